#!/usr/bin/env python3
"""Build the labelled evaluation set 442 (Hoeveduin Zwammen B.V. / Sporenhuis).

Deterministic: every random value (credentials, identifiers, timestamps) comes from
random.Random(SEED).  Post texts are hand-written; placeholders <<NAME>> are filled with
generated credentials and identifiers.  Expected severities are computed from the
account role in profile.yaml (CONTRACT section 4), never typed by hand.

Writes cases.jsonl next to this file and then self-checks it.
"""
import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import random
import re
import sys
import unicodedata
import zlib

import yaml

SEED = 442
HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = os.path.join(HERE, "profile.yaml")
OUT = os.path.join(HERE, "cases.jsonl")

ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"  # base62 order
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

CMP = "reputation.complaint"
CRI = "reputation.crisis"
ABU = "reputation.abuse"
CON = "leak.confidential"
PII = "leak.pii"
SEC = "leak.security"
SCR = "leak.secret"
PRC = "leak.pricing"
FIN = "leak.financial"
TAXONOMY = {CMP, CRI, ABU, CON, PII, SEC, SCR, PRC, FIN}

SEV_RANK = {"none": 0, "info": 1, "warning": 2, "error": 3, "critical": 4}
SEV_NAME = {v: k for k, v in SEV_RANK.items()}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube",
             "reddit", "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}


# ---------------------------------------------------------------- checksums

def iban_valid(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(ch, 36)) for ch in r)) % 97 == 1


def iban_make(cc, bban):
    r = bban + cc + "00"
    n = int("".join(str(int(ch, 36)) for ch in r))
    return "%s%02d%s" % (cc, 98 - n % 97, bban)


def luhn_valid(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def luhn_complete(prefix_digits):
    for last in range(10):
        cand = prefix_digits + str(last)
        if luhn_valid(cand):
            return cand
    raise AssertionError


def bsn_valid(s):
    d = re.sub(r"\D", "", s)
    if len(d) != 9:
        return False
    tot = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return tot % 11 == 0 and int(d) != 0


def gh_checksum(body):
    n = zlib.crc32(body.encode()) & 0xFFFFFFFF
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out.rjust(6, "0")


def gh_valid(tok):
    body, chk = tok[4:34], tok[34:]
    return len(tok) == 40 and gh_checksum(body) == chk


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def b64url_dec(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


# ---------------------------------------------------------------- generators

class Gen:
    def __init__(self, rng):
        self.r = rng

    def chars(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    def github(self, prefix="ghp_"):
        body = self.chars(ALNUM, 30)
        return prefix + body + gh_checksum(body)

    def github_bad(self, prefix="ghp_"):
        body = self.chars(ALNUM, 30)
        good = gh_checksum(body)
        while True:
            bad = self.chars(ALNUM, 6)
            if bad != good:
                return prefix + body + bad

    def aws_id(self):
        return "AKIA" + self.chars(B32, 16)

    def aws_secret(self):
        return self.chars(ALNUM + "/+", 40)

    def stripe(self):
        return "sk_live_51" + self.chars(ALNUM, 97)

    def slack(self):
        return "xoxb-%s-%s-%s" % (self.chars("0123456789", 12), self.chars("0123456789", 13),
                                  self.chars(ALNUM, 24))

    def openai(self):
        a = ALNUM + "_-"
        return "sk-proj-" + self.chars(a, 74) + "T3BlbkFJ" + self.chars(a, 74)

    def google(self):
        return "AIza" + self.chars(ALNUM + "_-", 35)

    def jwt(self):
        header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        iat = 1767225600 + self.r.randint(0, 30000000)
        payload = b64url(json.dumps({"sub": "cust_%d" % self.r.randint(100000, 999999),
                                     "scope": "orders:read", "iat": iat, "exp": iat + 86400 * 30},
                                    separators=(",", ":")).encode())
        key = bytes(self.r.randrange(256) for _ in range(32))
        sig = b64url(hmac.new(key, (header + "." + payload).encode(), hashlib.sha256).digest())
        return header + "." + payload + "." + sig

    def ssh_key(self):
        raw = b"openssh-key-v1\x00" + bytes(self.r.randrange(256) for _ in range(384))
        body = base64.b64encode(raw).decode()
        lines = [body[i:i + 70] for i in range(0, len(body), 70)]
        return ("-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines)
                + "\n-----END OPENSSH PRIVATE KEY-----")

    def password(self):
        words = ["Kas", "Zwam", "Oester", "Spore", "Compost", "Myceel", "Vocht", "Plukker"]
        return (self.r.choice(words) + self.chars("0123456789", 2) + self.r.choice("!#$%&*?")
                + self.r.choice(words).lower() + self.chars("0123456789", 2))

    def iban(self, cc, bank=None, pretty=False):
        if cc == "NL":
            bban = bank + self.chars("0123456789", 10)
        elif cc == "PL":
            bban = self.chars("0123456789", 24)
        else:
            raise ValueError(cc)
        s = iban_make(cc, bban)
        assert iban_valid(s)
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4)) if pretty else s

    def iban_bad(self, cc, bank, pretty=True):
        s = self.iban(cc, bank)
        chk = int(s[2:4])
        bad = s[:2] + "%02d" % ((chk + self.r.randint(1, 40)) % 97 + 2) + s[4:]
        if iban_valid(bad):
            bad = s[:2] + "%02d" % ((chk + 41) % 97 + 2) + s[4:]
        assert not iban_valid(bad)
        return " ".join(bad[i:i + 4] for i in range(0, len(bad), 4)) if pretty else bad

    def card(self, prefix, sep=" "):
        num = luhn_complete(prefix + self.chars("0123456789", 15 - len(prefix)))
        return sep.join(num[i:i + 4] for i in range(0, 16, 4))

    def card_bad(self, prefix, sep=" "):
        num = luhn_complete(prefix + self.chars("0123456789", 15 - len(prefix)))
        num = num[:-1] + str((int(num[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_valid(num)
        return sep.join(num[i:i + 4] for i in range(0, 16, 4))

    def bsn(self):
        while True:
            d = str(self.r.randint(1, 9)) + self.chars("0123456789", 8)
            if bsn_valid(d):
                return d

    def bsn_bad(self):
        while True:
            d = str(self.r.randint(1, 9)) + self.chars("0123456789", 8)
            if not bsn_valid(d):
                return d


def make_values(rng):
    g = Gen(rng)
    v = {}
    v["GHP1"] = g.github("ghp_")
    v["GHO1"] = g.github("gho_")
    v["GHP_BAD"] = g.github_bad("ghp_")
    v["AKIA1"] = g.aws_id()
    v["AWSSEC1"] = g.aws_secret()
    v["AKIA2"] = g.aws_id()
    v["AWSSEC2"] = g.aws_secret()
    v["PW1"] = g.password()
    v["PGPW"] = g.password().replace("#", "x").replace("?", "q").replace("%", "p").replace("&", "n")
    v["STRIPE1"] = g.stripe()
    v["SLACK1"] = g.slack()
    v["OPENAI1"] = g.openai()
    v["GOOGLE1"] = g.google()
    v["JWT1"] = g.jwt()
    v["SSHKEY"] = g.ssh_key()
    v["IBAN_A"] = g.iban("NL", "INGB", pretty=True)
    v["IBAN_B"] = g.iban("NL", "ABNA")
    v["IBAN_C"] = g.iban("PL", pretty=True)
    v["IBAN_BAD"] = g.iban_bad("NL", "BUNQ")
    v["CARD_A"] = g.card("4", " ")
    v["CARD_B"] = g.card("5" + str(rng.randint(1, 5)), "-")
    v["CARD_BAD"] = g.card_bad("4", " ")
    v["CARD_BAD2"] = g.card_bad("5" + str(rng.randint(1, 5)), " ")
    v["BSN_A"] = g.bsn()
    b = g.bsn_bad()
    v["BSN_BAD_DOT"] = b[:4] + "." + b[4:6] + "." + b[6:]
    return v


# ---------------------------------------------------------------- the posts
# Each case: platform, handle, lang, text, categories, plus optional
#   at    : fixed created_at (else a seeded random moment in 2026)
#   kind  : post kind (default: reply when the text starts with @, else post)
#   price : (sku, price) of a product price named in the text, checked against the list price
#   free  : confidential case whose leak is not a profile term (checked by hand)

def K(platform, handle, lang, text, cats=(), **kw):
    d = {"platform": platform, "handle": handle, "lang": lang, "text": text, "cats": list(cats)}
    d.update(kw)
    return d


CASES = [
    # ------------------------------------------------------------ complaints (public)
    K("x", "@anoukvdb", "nl",
      "@hoeveduin_zorg kweekset besteld op 3 jan, nu 2 weken later nog steeds niks. track & trace zegt al 10 dagen 'in behandeling' 🙄 wat is dit nou",
      [CMP]),
    K("reddit", "u/soggy_portobello", "en",
      "Bought the Hoeveduin chestnut mushrooms 400g at the supermarket yesterday, opened the pack this morning and half of them were slimy and brown. Best-before is NEXT week. Not impressed tbh.",
      [CMP]),
    K("facebook", "Ingrid Schoemaker", "nl",
      "Die Oesterzwam Kweekset van Sporenhuis doet na 5 weken nog steeds helemaal niks. Precies volgens de instructies gesproeid, 2x per dag. Mailtje gestuurd, geen reactie. Zonde van m'n 25 euro",
      [CMP]),
    K("instagram", "@greenthumb.jess", "en",
      "@sporenhuis.nl my shiitake block arrived literally covered in green mould. trichoderma city 🤢 asked for a replacement 10 days ago and still waiting",
      [CMP]),
    K("x", "@henk_westland", "nl",
      "klantenservice van hoeveduin is echt een lachertje. 3x gebeld, 3x een ander verhaal gehoord. ik wil gewoon m'n geld terug voor die kapotte kweekkast, is dat nou zo moeilijk",
      [CMP]),
    K("x", "@mvdsteen", "nl",
      "Bakje Hoeveduin champignons 250g even op de keukenweegschaal gezet: 212 gram. Da's toch geen 250? Beetje jammer dit @hoeveduin",
      [CMP]),
    K("reddit", "u/Fungi_Frank", "en",
      "The Sporenhuis grow subscription charged me twice this month and the 'manage subscription' page just throws an error. Cancel button literally does nothing. Anyone else? #fail",
      [CMP]),
    K("facebook", "Yvonne Pranger", "nl",
      "Pruikzwam kweekset gekregen voor m'n verjaardag, doos helemaal ingedeukt en de zak was lek, alles nat. Foto's gestuurd naar hallo@sporenhuis.nl maar ja... al een week stilte.",
      [CMP]),
    K("x", "@claire_bakes", "en",
      "ordered the Kweektrio gift box as a christmas present, it showed up on the 29th. 'guaranteed delivery before christmas' yeah right. do better @sporenhuis.nl",
      [CMP]),
    K("x", "@jerome_cooks", "en",
      "Why do Hoeveduin portobellos keep having black spots lately? Binned two packs in a row now. Quality has really gone downhill",
      [CMP]),
    K("x", "@plantdad_rob", "en",
      "Humidifier Pro from @sporenhuis.nl started leaking water all over my shelf after three weeks. Support says 'user error'. It's a humidifier. How do I use it wrong???",
      [CMP]),
    K("x", "@natasha_in_nl", "en",
      "second time the courier just dumps my grow kit on the doorstep in the pouring rain. box completely soggy, bag torn open. Sporenhuis pls pick another delivery company",
      [CMP]),
    K("facebook", "Hans Olthof", "nl",
      "bio champignons van hoeveduin smaken de laatste maanden naar niks en zijn binnen 2 dagen zacht en bruin. vroeger prima, wat is er gebeurd met jullie teelt?",
      [CMP]),
    K("youtube", "@MycoMarta", "en",
      "Your coffee grounds starter is a joke tbh. Followed every step of this video, got nothing but mould. And the 'grow guarantee' form wants a receipt that you never emailed me.",
      [CMP], kind="comment"),
    # ------------------------------------------------------------ first-hand harm: crisis + complaint
    K("x", "@fam_de_ruiter", "nl",
      "Onze Kweekkast Mini van Sporenhuis begon vannacht te roken, stekker zwartgeblakerd en het stopcontact gesmolten. Gelukkig was ik nog wakker. Dit had ECHT fout kunnen aflopen. @hoeveduin_zorg wat gaan jullie hieraan doen??",
      [CMP, CRI]),
    K("reddit", "u/damp_basement_dave", "en",
      "Got a proper electric shock off the KweekLamp LED when I touched the metal housing while misting the kit. Wet hands, sure, but it's a GROW lamp, it's literally meant to sit next to water. Unplugged, binned, never again.",
      [CMP, CRI]),
    K("facebook", "Samira El Idrissi", "nl",
      "Hele gezin ziek na de Hoeveduin wokmix van zaterdag. Overgeven, diarree, onze dochter van 6 moest 's nachts naar de huisartsenpost. Ik wil weten wat daar in zat!!",
      [CMP, CRI]),
    K("x", "@lindsay_t", "en",
      "My son cut his finger on a sharp sliver of hard plastic INSIDE a punnet of Hoeveduin sliced mushrooms. Proper cut, plaster and lots of tears. How does that even end up in there??",
      [CMP, CRI]),
    K("instagram", "@thuis.bij.ellis", "nl",
      "Bevochtiger Pro van Sporenhuis is aan de onderkant gesmolten 😳 brandlucht door het hele huis en hij stond gewoon op het aanrecht. levensgevaarlijk ding",
      [CMP, CRI]),
    # ------------------------------------------------------------ crisis (third party, news, boycott, lawsuits, recalls)
    K("x", "@voedselalert_nl", "nl",
      "TERUGROEPACTIE: partij Hoeveduin Oesterzwammen 150g wordt teruggeroepen vanwege mogelijke listeria. THT 14-03 t/m 18-03. Niet opeten, terugbrengen naar de winkel. #terugroepactie",
      [CRI]),
    K("reddit", "u/phishy_business", "en",
      "Heard Hoeveduin had a data breach, customer names + addresses from the Sporenhuis shop apparently dumped on some forum. Anyone else get a weird 'your order is on hold' phishing mail this week?",
      [CRI]),
    K("x", "@eerlijkeoogst", "nl",
      "Boycot Hoeveduin! Ze laten arbeidsmigranten 12 uur per dag plukken voor een hongerloontje en proppen ze in overvolle caravans. Niet meer kopen mensen. #boycothoeveduin",
      [CRI]),
    K("x", "@westlandnieuws_fan", "en",
      "Local news: big fire last night at a mushroom farm in Honselersdijk owned by Hoeveduin Zwammen. No injuries reported but a whole growing hall is gone. Smoke visible from the A20.",
      [CRI]),
    K("linkedin", "marloes-arbeidsrecht", "nl",
      "Zeven oud-medewerkers van Hoeveduin stappen naar de kantonrechter om onbetaalde overuren. Zitting staat gepland voor juni. Een zaak om in de gaten te houden voor de hele tuinbouw.",
      [CRI]),
    K("x", "@tom_in_utrecht", "en",
      "Neighbour's kid ended up in A&E after eating mushrooms from a Sporenhuis kit that apparently weren't what was on the box. Contaminated block or something. Really scary stuff.",
      [CRI]),
    K("x", "@keukenkritiek", "nl",
      "Volgens de uitzending van gisteren verpakt Hoeveduin Poolse champignons gewoon als 'Hollandse teelt'. Als dat klopt is het gewoon consumentenbedrog. Schandalig.",
      [CRI]),
    K("reddit", "u/refundplease", "en",
      "A class action is being organised against Sporenhuis over subscription auto-renewals. If you got charged after cancelling, the claim foundation is collecting cases.",
      [CRI]),
    K("facebook", "HoeveduinZwammen", "nl",
      "Terugroepactie: uit voorzorg roepen wij de Hoeveduin Portobello Duo met THT 22-05-2026 terug, omdat in een deel van de verpakkingen stukjes glas kunnen zitten. Niet consumeren. Breng het product terug naar de winkel, u krijgt uw geld terug.",
      [CRI]),
    K("x", "@112_westland", "nl",
      "Ammoniaklek bij het compostbedrijf van Hoeveduin aan de Middelbroekweg, twee medewerkers met ademhalingsklachten naar het ziekenhuis. Brandweer doet metingen.",
      [CRI]),
    # ------------------------------------------------------------ abuse
    K("x", "@dekkert_1970", "nl",
      "@hoeveduin stelletje 0pl1cht3rs zijn jullie, k@nkerbedrijf. rot toch op met je schimmelzooi",
      [ABU]),
    K("x", "@xXshroomhaterXx", "en",
      "whoever runs the @sporenhuis.nl account is a braindead moron. just delete your account",
      [ABU]),
    K("facebook", "Rene Kooij", "nl",
      "Die Lotte van de klantenservice is echt een dom wijf, snapt er geen ene moer van",
      [ABU], kind="comment"),
    K("x", "@realtalk_nl", "en",
      "Hoeveduin only hires lazy foreigners who can't even speak Dutch. no wonder everything they sell is rotten",
      [ABU]),
    K("instagram", "@boos.bert", "nl",
      "jullie zijn een stelletje k.u.t.w.i.j.v.e.n bij sporenhuis, echt waar",
      [ABU], kind="comment"),
    K("x", "@angry_al", "en",
      "＠hoeveduin_zorg you ｆｕｃｋｉｎｇ ｉｄｉｏｔｓ, answer your DMs",
      [ABU]),
    K("x", "@bas_in_de_kas", "nl",
      "die klant die vandaag 4x belde over een 'te kleine champignon' is echt een debiel. sorry niet sorry",
      [ABU]),
    K("x", "@anoniem8812", "nl",
      "ik weet waar die teeltmanager van hoeveduin woont. wacht maar af jij",
      [ABU]),
    K("threads", "@kees.kookt.niet", "nl",
      "@mieke_hoeveduin hou toch je bek, niemand zit te wachten op jouw marketingpraatjes trut",
      [ABU]),
    K("instagram", "@notafan_77", "en",
      "@sporenhuis.nl that guy in your grow videos is such a smug little prick, can't stand his face",
      [ABU], kind="comment"),
    K("x", "@crookwatch", "en",
      "Hoeveduin are а bunch of fuсking crооks",
      [ABU]),
    K("x", "@hoeveduin_zorg", "nl",
      "@pietjepuk_73 doe even normaal man, idioot. we hebben je al 3x uitgelegd hoe het werkt",
      [ABU]),
    # ------------------------------------------------------------ pricing
    K("instagram", "@sporenhuis.nl", "nl",
      "🍄 FLASH DEAL 🍄 Pruikzwam Kweekset nu voor maar €3,25! Alleen vandaag via sporenhuis.nl",
      [PRC], price=("SH-PRK-KIT", 3.25)),
    K("x", "@dealhunter_jay", "en",
      "lmao the Sporenhuis Kweekkast Mini is listed at €14.90 on their site right now, surely a price error?? ordered two 😂",
      [PRC], price=("SH-KAST-MINI", 14.90)),
    K("instagram", "@teun.kweekt", "nl",
      "oeps 🙈 foutje in de webshop: de Kweektrio cadeaubox stond een uur lang op €5,99. wordt gefixt!",
      [PRC], price=("SH-TRIO", 5.99)),
    K("x", "@koopjesjager_nl", "nl",
      "Shiitake Kweekblok voor €2,99 bij sporenhuis?? prijsfout lijkt me, snel zijn mensen",
      [PRC], price=("SH-SHI-BLK", 2.99)),
    K("reddit", "u/cheapskate_chris", "en",
      "the Sporenhuis newsletter has the Humidifier Pro for €8.90 lol, pretty sure someone forgot a zero",
      [PRC], price=("SH-BEV-PRO", 8.90)),
    K("x", "@jorisvdlinde", "nl",
      "Wie heeft de prijslijst naar de supermarkten gestuurd? Shiitake 150g staat erop voor €0,29 per bakje ipv €2,99 🤦‍♂️",
      [PRC], price=("HD-SHI150", 0.29)),
    K("x", "@budgetbeer", "nl",
      "KweekLamp LED voor 6 euro 49 in de app van Sporenhuis. wedden dat dat 64,95 had moeten zijn 😅",
      [PRC], price=("SH-LAMP", 6.49)),
    K("tiktok", "@kweekmetkim", "nl",
      "Kweekabonnement voor een heel jaar voor maar €19,90 via mijn link!! 🍄🍄 wees er snel bij",
      [PRC], price=("SH-ABO-JR", 19.90)),
    K("reddit", "u/glitchfinder", "en",
      "PSA: Sporenhuis Broedsel 2kg is showing €3.49 at checkout (normally ~35). Price glitch, grab it before they notice.",
      [PRC], price=("SH-BROED2", 3.49)),
    K("x", "@hoeveduin_zorg", "nl",
      "@sjoerd_k klopt, er stond gisteren een prijsfout bij de Roze Oester Kit. Bestellingen tegen die prijs annuleren we helaas, je krijgt je geld binnen 3 dagen terug.",
      [PRC]),
    K("x", "@thrifty_tess", "en",
      "golden oyster kit for €1 in the Sporenhuis sale?? pretty sure someone put the decimal point in the wrong place",
      [PRC], price=("SH-CIT-KIT", 1.00)),
    K("x", "@mieke_hoeveduin", "en",
      "heads up webshop team: the Koffiedik Starter is live at €1.95 instead of €19.95, can someone fix the decimal asap",
      [PRC], price=("SH-KOFFIE", 1.95)),
    # ------------------------------------------------------------ secrets
    K("bluesky", "@daanmol.bsky.social", "nl",
      "waarom werkt dit nou weer niet 😩\n\nexport GITHUB_TOKEN=<<GHP1>> && npm publish --access restricted",
      [SCR]),
    K("linkedin", "ahmed-bouzid-hoeveduin", "en",
      "For the team, creds for the new backup bucket:\nAWS_ACCESS_KEY_ID=<<AKIA1>>\nAWS_SECRET_ACCESS_KEY=<<AWSSEC1>>",
      [SCR]),
    K("x", "@jorisvdlinde", "nl",
      "kas-pc wachtwoord is alweer veranderd. voor wie het zoekt, wachtwoord: <<PW1>>",
      [SCR]),
    K("bluesky", "@daanmol.bsky.social", "en",
      "stripe webhook test keeps failing, anyone see what's wrong? curl https://api.stripe.com/v1/charges -u <<STRIPE1>>:",
      [SCR]),
    K("threads", "@lotte.hoeveduin", "nl",
      "kan iemand de bot weer aanzetten? token staat hier: <<SLACK1>>",
      [SCR]),
    K("bluesky", "@daanmol.bsky.social", "nl",
      "iemand een idee waarom deze connectie timeout? postgresql://shop_rw:<<PGPW>>@erp.hoeveduin.nl:5432/sporenhuis",
      [SCR, CON]),
    K("linkedin", "ahmed-bouzid-hoeveduin", "nl",
      "Key voor de deploy-server, zet hem maar in je ~/.ssh:\n<<SSHKEY>>",
      [SCR]),
    K("instagram", "@teun.kweekt", "en",
      "openai key for the kweek-chatbot, pls don't share 🙏 <<OPENAI1>>",
      [SCR]),
    K("x", "@devnoor", "en",
      "@hoeveduin_zorg your order tracking link puts a live session token in the URL: https://sporenhuis.nl/track?t=<<JWT1>> anyone with the link can see my orders",
      [SCR]),
    K("mastodon", "@rianne_sec@infosec.exchange", "en",
      "note to self: never paste in the wrong window. maps key for the route planner: <<GOOGLE1>>",
      [SCR]),
    K("x", "@hoeveduin", "nl",
      "test post graag negeren token=<<GHO1>>",
      [SCR]),
    K("reddit", "u/repo_crawler", "nl",
      "Gevonden in een publieke GitHub-repo van Sporenhuis: <<AKIA2>> met secret <<AWSSEC2>>. Iemand daar moet even wakker worden.",
      [SCR]),
    # ------------------------------------------------------------ security (insiders)
    K("mastodon", "@rianne_sec@infosec.exchange", "en",
      "Rough night. Ransomware hit the greenhouse climate controllers at work, half the growing rooms are on manual now. Not public yet so shh 🤐",
      [SEC]),
    K("linkedin", "ahmed-bouzid-hoeveduin", "nl",
      "Vandaag ontdekt dat het klantportaal van Sporenhuis de bestellingen van andere klanten laat zien als je het ordernummer in de URL aanpast. Fix staat pas voor volgende week gepland.",
      [SEC]),
    K("x", "@bas_in_de_kas", "nl",
      "alle klimaatcomputers in kas 3 en 4 liggen er al sinds vanochtend uit. IT zegt 'aanval van buitenaf'. de oogst van deze week kunnen we wel vergeten vrees ik",
      [SEC]),
    K("bluesky", "@daanmol.bsky.social", "en",
      "psa to my coworkers: sporenhuis checkout is still on the Magento build with that RCE, patch got pushed back again 🙃",
      [SEC]),
    K("threads", "@lotte.hoeveduin", "nl",
      "wij mogen het nog tegen niemand zeggen maar de webshop ligt al 2 dagen half plat, betalingen komen gewoon niet door. klanten denken dat het aan hun bank ligt haha",
      [SEC]),
    K("x", "@jorisvdlinde", "en",
      "Someone phished the teeltadministratie mailbox last week and changed a supplier's bank details. Finance caught it just in time. Keep it quiet till the incident report is done.",
      [SEC]),
    K("linkedin", "ellen-kroes-hd", "en",
      "Glad our auditor found the hole in our supplier portal before anyone else did. Passwords were stored in plain text in the database 😬 Now to actually fix it.",
      [SEC]),
    K("tiktok", "@kweekmetkim", "en",
      "bts: whole grow kit packing line is down today bc of some 'cyber thing' and we're all just sitting around lol 🍄💤 pls don't tell anyone",
      [SEC]),
    K("mastodon", "@rianne_sec@infosec.exchange", "en",
      "Found out grafana.hoeveduin.nl has been reachable from the internet without auth for months. Nobody noticed. Closing it now, then a long talk with whoever set it up.",
      [SEC, CON]),
    K("bluesky", "@daanmol.bsky.social", "en",
      "the bucket with all the Sporenhuis customer invoices has been public-read since march. found it this morning, still working out whether anyone actually downloaded it",
      [SEC]),
    K("x", "@hoeveduin_zorg", "nl",
      "@gerda_w we hebben op dit moment last van een DDoS-aanval op ons orderplatform, daarom werkt inloggen niet. Dit is nog niet officieel gecommuniceerd, dus graag niet verder delen.",
      [SEC]),
    K("x", "@bas_in_de_kas", "nl",
      "kasnet is geh\u200backt, alle temperatuur\u200binstellingen in de teelt\u200bcellen aangepast. chef is woest, niks naar buiten brengen zegt ie",
      [SEC]),
    K("linkedin", "ahmed-bouzid-hoeveduin", "en",
      "Fun fact: our VPN appliance is still vulnerable to that Fortinet CVE from January. The vendor patch has been sitting in a ticket for months. Lovely.",
      [SEC]),
    # ------------------------------------------------------------ confidential
    K("x", "@jorisvdlinde", "nl",
      "Project Morielje gaat lekker!! eerste morieljes uit de proefcel vandaag, niemand geloofde dat het zou lukken 🍄",
      [CON]),
    K("x", "@mieke_hoeveduin", "en",
      "can't wait for you all to see the Kweekkast Maxi next spring, it's gorgeous 😍",
      [CON]),
    K("linkedin", "ellen-kroes-hd", "nl",
      "Drukke weken: de due diligence voor Operatie Sluierzwam loopt, boekenonderzoek bij de overnamekandidaat is bijna klaar.",
      [CON, FIN]),
    K("bluesky", "@daanmol.bsky.social", "en",
      "link for the team, pls review before friday: https://git.hoeveduin.nl/webshop/checkout/-/merge_requests/412",
      [CON]),
    K("x", "@bas_in_de_kas", "nl",
      "nieuw rooster staat op intra.hoeveduin.local/rooster, wie wil zaterdag ruilen?",
      [CON]),
    K("linkedin", "hoeveduin-zwammen", "nl",
      "HD-VERTROUWELIJK — Concept persbericht: Hoeveduin opent in 2027 een nieuwe kwekerij in Zeeland met 40 teeltcellen. Niet verspreiden vóór akkoord directie.",
      [CON]),
    K("instagram", "@teun.kweekt", "nl",
      "de nieuwe oesterbaan draait 😍 straks 3x zoveel oesterzwammen per week",
      [CON]),
    K("facebook", "Wim Hoogerwerf", "nl",
      "Mijn zwager werkt bij Hoeveduin en zegt dat ze met 'Project Morielje' morieljes in kassen gaan kweken. Best cool als dat lukt.",
      [CON]),
    K("tiktok", "@kweekmetkim", "nl",
      "sneak peek 👀 onze nieuwe Kweekkast Maxi, nog supergeheim dus niks zeggen 🤫",
      [CON]),
    K("threads", "@lotte.hoeveduin", "nl",
      "letterlijk uit de mail met 'hoeveduin internal only' erboven: vanaf mei geen telefonische klantenservice meer in het weekend. leuk voor de klanten 🙃",
      [CON]),
    K("linkedin", "ahmed-bouzid-hoeveduin", "en",
      "Whoever lost their login for erp.hoeveduin.nl/admin, give me a call and I'll reset it.",
      [CON]),
    K("linkedin", "ellen-kroes-hd", "nl",
      "Mooie jaarcijfers 2026 op komst, meer mag ik nog niet zeggen 😉",
      [CON, FIN], at="2027-02-19T16:42:10Z"),
    K("reddit", "u/beursgeruchten", "en",
      "Hoeveduin FY2026 results are floating around on a forum already, revenue apparently up 18% and a dividend coming.",
      [CON, FIN], at="2027-02-26T11:05:37Z"),
    K("instagram", "@sporenhuis.nl", "nl",
      "Binnenkort in onze shop: de Sporenhuis Kweekkast Maxi 🍄 stay tuned!",
      [CON]),
    K("x", "@mieke_hoeveduin", "en",
      "ｐｒｏｊｅｃｔ ｍｏｒｉｅｌｊｅ update: the tasting panel loved it 🤤",
      [CON]),
    K("reddit", "u/pdf_digger", "en",
      "Found a PDF stamped HD-VERTROUWELIJK on Hoeveduin's public website, looks like supplier terms with a big supermarket chain. Someone's getting fired.",
      [CON]),
    # ------------------------------------------------------------ financial
    K("linkedin", "ellen-kroes-hd", "nl",
      "Q3 loopt ver achter op budget; we gaan de winstverwachting voor 2026 waarschijnlijk met zo'n 30% moeten verlagen. Zwaar gesprek met de bank morgen.",
      [FIN]),
    K("x", "@jorisvdlinde", "nl",
      "hoorde net dat de kwekerij in Horst dichtgaat, 60 man op straat 😢 wordt pas in maart bekendgemaakt",
      [FIN]),
    K("x", "@mieke_hoeveduin", "en",
      "so apparently we're being bought by a big Belgian veg group?? announcement 'in a few weeks'. wild.",
      [FIN]),
    K("x", "@stocktips_eu", "en",
      "Insider tip: Hoeveduin is taking over German grower Pilzhof. Deal is done, press release coming soon.",
      [FIN]),
    K("linkedin", "ahmed-bouzid-hoeveduin", "nl",
      "Reorganisatie bij IT: 8 van de 20 fte verdwijnen per 1 juli. De mensen zelf weten het nog niet eens.",
      [FIN]),
    K("linkedin", "ellen-kroes-hd", "en",
      "Preliminary H1 numbers: Sporenhuis webshop revenue down 22% YoY, but margins held up. Board meeting next week.",
      [FIN]),
    K("linkedin", "hoeveduin-zwammen", "nl",
      "Concept: Hoeveduin verwacht over 2026 een EBITDA van €14,2 mln (2025: €11,8 mln). Niet publiceren vóór de aandeelhoudersvergadering.",
      [FIN]),
    K("x", "@ex_plukker", "en",
      "friend in Hoeveduin finance says Q2 sales to supermarkets dropped 15% after they lost the Lidl contract. not announced yet obviously",
      [FIN]),
    K("threads", "@lotte.hoeveduin", "nl",
      "klantenservice gaat naar een callcenter in Portugal en wij zijn vanaf oktober 'overbodig'. officieel weet nog niemand het",
      [FIN]),
    # ------------------------------------------------------------ personal data
    K("x", "@hoeveduin_zorg", "nl",
      "@anouk_verschoor Hoi Anouk, we hebben je retour ontvangen. Het bedrag wordt binnen 5 werkdagen teruggestort op <<IBAN_A>>.",
      [PII]),
    K("threads", "@lotte.hoeveduin", "nl",
      "klant belde over een kweekset: mevr. J. de Wit, Kerkstraat 14, 2671 AB Naaldwijk. wil teruggebeld worden, wie pakt 'm?",
      [PII]),
    K("instagram", "@sanne_koster", "en",
      "@sporenhuis.nl STILL no refund after 3 weeks!! my order email is sanne.koster93@gmail.com and my number is 06-48213907, just call me",
      [PII, CMP]),
    K("instagram", "@teun.kweekt", "nl",
      "haha kijk deze bestelling: #SH-88213 — Pieter Smulders, geb. 12-04-1987, p.smulders@ziggo.nl, 5 Kweekkasten Mini 😂",
      [PII]),
    K("facebook", "HoeveduinZwammen", "nl",
      "Hoi Mark, je betaling met kaart <<CARD_A>> (geldig t/m 09/28) is mislukt. Wil je het nog een keer proberen?",
      [PII], kind="comment"),
    K("linkedin", "ellen-kroes-hd", "nl",
      "Wie heeft de personeelslijst met BSN's bij de printer laten liggen?! Gerrit z'n nummer <<BSN_A>> stond er gewoon bovenaan. Echt niet oké.",
      [PII]),
    K("x", "@ruudjanssen", "nl",
      "@hoeveduin_zorg mijn rekeningnummer is <<IBAN_B>>, kunnen jullie het retourbedrag van 24,95 daarop storten? Alvast bedankt!",
      [PII]),
    K("x", "@bas_in_de_kas", "nl",
      "nieuwe collega Jasper woont om de hoek, Beukenlaan 7 in Monster. kan iemand hem maandag om 6u ophalen? z'n nummer is 06 3174 2290",
      [PII]),
    K("reddit", "u/wrongparcel", "en",
      "Got someone else's Sporenhuis parcel: Fatma Yilmaz, Dorpsstraat 88, 3421 BK Oudewater. Fatma if you see this, I'll drop it off tomorrow 🙂",
      [PII]),
    K("youtube", "@SporenhuisKweken", "nl",
      "En de winnaar van onze kweekwedstrijd is... Henk Visser (geb. 03-11-1958) uit Emmen! 🎉 Gefeliciteerd Henk!",
      [PII]),
    K("x", "@lisa_bakt", "nl",
      "help, mijn creditcard <<CARD_B>> exp 11/27 wordt niet geaccepteerd bij het afrekenen op sporenhuis.nl. ligt het aan mij?",
      [PII]),
    K("linkedin", "ahmed-bouzid-hoeveduin", "en",
      "Sorry all, test order went to prod: customer Karin Jansen, karin.jansen@hetnet.nl, +31 6 2047 7815. Cleaning it up now.",
      [PII]),
    K("x", "@hoeveduin_zorg", "nl",
      "@bramhendriks Hoi Bram, we hebben je gegevens doorgegeven aan de bezorger: bram.hendriks@outlook.com en 0612 884 301. Ze nemen vandaag contact op!",
      [PII]),
    K("x", "@jorisvdlinde", "nl",
      "kan iemand van salaris die seizoenskracht even handmatig betalen? Marek Nowak, IBAN <<IBAN_C>>, 62 uur",
      [PII]),
    K("mastodon", "@rianne_sec@infosec.exchange", "en",
      "Someone emailed a passport scan to our support inbox AGAIN. Dutch passport NW2K6P4H3, belongs to a Mrs. M. de Groot, born 17-08-1979. Please, people.",
      [PII]),
    # ------------------------------------------------------------ benign: pricing hard negatives
    K("instagram", "@sporenhuis.nl", "nl",
      "Voorjaarsactie 🌱 20% korting op de Oesterzwam Kweekset: nu €19,96 in plaats van €24,95. Alleen deze week!",
      [], price=("SH-OES-KIT", 19.96)),
    K("x", "@blackfriday_bea", "en",
      "Picked up the Kweektrio gift box for €49.95 in the Black Friday sale, decent deal for a present",
      [], price=("SH-TRIO", 49.95)),
    K("x", "@mama_van_3", "nl",
      "Hoeveduin champignons 250g kost bij onze Jumbo nu €1,29, prima prijs voor Hollandse champignons",
      [], price=("HD-CHW250", 1.29)),
    K("reddit", "u/balcony_grower", "en",
      "Is the Kweekkast Mini worth €149? Thinking about getting one for my balcony, any experiences?",
      [], price=("SH-KAST-MINI", 149.00)),
    K("facebook", "HoeveduinZwammen", "nl",
      "Kweekabonnement nu met 15% korting: €169,15 voor een heel jaar kweekplezier. Elke 2 maanden een nieuwe soort in de bus!",
      [], price=("SH-ABO-JR", 169.15)),
    K("x", "@prijsfoutje_nl", "nl",
      "prijsfout bij een grote webwinkel: airfryer voor 12 euro lol. al geannuleerd natuurlijk",
      []),
    K("x", "@happy_harvest", "en",
      "My grow subscription cost €199 and honestly worth every cent, on my 4th kit now",
      [], price=("SH-ABO-JR", 199.00)),
    K("tiktok", "@sporenhuis", "nl",
      "Shiitake Kweekblok van €29,95 voor €23,95 dit weekend 🍄 wie gaat er kweken?",
      [], price=("SH-SHI-BLK", 23.95)),
    # ------------------------------------------------------------ benign: secret hard negatives
    K("bluesky", "@daanmol.bsky.social", "en",
      "reminder: the AWS docs use AKIAIOSFODNN7EXAMPLE as a placeholder. if you paste YOUR key in an issue, that's on you 😅",
      []),
    K("reddit", "u/newbie_coder", "en",
      "How do I rotate a GitHub token? The tutorial just shows ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx as an example",
      []),
    K("linkedin", "ahmed-bouzid-hoeveduin", "nl",
      "Reminder voor iedereen: wachtwoorden deel je nooit via de chat, ook niet 'even snel'. Gebruik de wachtwoordmanager, daar is hij voor.",
      []),
    K("mastodon", "@rianne_sec@infosec.exchange", "en",
      "workshop slide: this is what a leaked token looks like: <<GHP_BAD>> (fake, the checksum is wrong, don't bother trying it)",
      []),
    K("bluesky", "@daanmol.bsky.social", "nl",
      "rotatie gedaan, oude key sk_live_**** is ingetrokken. config staat gewoon in de vault, niet in de repo",
      []),
    # ------------------------------------------------------------ benign: security hard negatives
    K("x", "@boodschapper", "nl",
      "app van de supermarkt ligt er weer eens uit, kan niks bestellen. iemand anders ook?",
      []),
    K("instagram", "@sporenhuis.nl", "nl",
      "Gepland onderhoud: de webshop is zondag tussen 02:00 en 04:00 niet bereikbaar. Bestel gerust daarvoor of daarna 🍄",
      []),
    K("mastodon", "@rianne_sec@infosec.exchange", "en",
      "Great talk at the agri-tech security meetup on phishing awareness for growers. Slides are on my blog.",
      []),
    K("x", "@hoeveduin_zorg", "en",
      "Update: the checkout problem from this morning is fixed and all orders went through. Sorry for the wait, everyone!",
      []),
    # ------------------------------------------------------------ benign: confidential / embargo hard negatives
    K("linkedin", "hoeveduin-zwammen", "nl",
      "Vandaag publiceren we onze jaarcijfers 2026: omzet +12%, en voor het eerst meer dan de helft van onze energie uit eigen zonnepanelen. Het volledige verslag staat op hoeveduin.nl.",
      [], at="2027-03-04T07:30:00Z"),
    K("instagram", "@sporenhuis.nl", "nl",
      "Eindelijk daar: de Sporenhuis Kweekkast Maxi! 🍄 Nu te bestellen in de shop.",
      [], at="2027-04-20T10:00:00Z"),
    K("x", "@bospad_anne", "nl",
      "gisteren morieljes gevonden in het bos 🍄 niet van Hoeveduin haha, gewoon van moeder natuur",
      []),
    K("x", "@fin_watcher", "en",
      "Hoeveduin's FY2026 results are out: revenue +12%, solid year for a Dutch grower.",
      [], at="2027-03-03T09:15:00Z"),
    # ------------------------------------------------------------ benign: financial hard negatives
    K("x", "@agri_analyst", "en",
      "Hoeveduin's published annual report says revenue grew 9% in 2025, nice to see a Dutch grower doing well in a tough market",
      []),
    K("x", "@fd_lezer", "nl",
      "Overname van Funghi Verde door een Deense investeerder, stond vandaag in de krant. Benieuwd wat dat voor de champignonmarkt betekent.",
      []),
    K("linkedin", "hoeveduin-zwammen", "nl",
      "Onze halfjaarcijfers staan online op hoeveduin.nl/investeerders. Dank aan alle collega's voor een sterk eerste halfjaar.",
      []),
    # ------------------------------------------------------------ benign: personal-data hard negatives
    K("x", "@hoeveduin", "nl",
      "Vragen over je bestelling? Mail klantenservice@hoeveduin.nl of bel gratis 0800-0247. Betalen per overschrijving kan op NL05 RABO 0312 4587 90 t.n.v. Hoeveduin Zwammen B.V.",
      []),
    K("reddit", "u/studentje_ba", "nl",
      "Voorbeeld-IBAN uit onze schoolopdracht: <<IBAN_BAD>>. Volgens mijn docent klopt het controlegetal niet, maar waarom?",
      []),
    K("x", "@hoeveduin_zorg", "nl",
      "Voor persvragen kun je terecht bij pers@hoeveduin.nl of +31 174 555 230.",
      []),
    K("x", "@grapjas_gijs", "nl",
      "mijn 'creditcard' voor de kinderwinkel: <<CARD_BAD>> 😂 (nep natuurlijk, klopt niet eens)",
      []),
    K("x", "@bday_girl_nina", "en",
      "Birthday today 🎂 celebrating with a pink oyster kit from Sporenhuis, best present ever",
      []),
    K("x", "@orderfreak", "nl",
      "Mijn pakketnummer is <<CARD_BAD2>> en volgens de tracker staat hij al bij de buren. Top, dank Sporenhuis!",
      []),
    K("facebook", "Corrie Bosman", "nl",
      "Factuurnummer <<BSN_BAD_DOT>> staat er op mijn bon van de kweekset. Bewaar ik die voor de garantie of is het digitaal ook goed?",
      []),
    # ------------------------------------------------------------ benign: praise, jokes, questions, news, sympathy
    K("instagram", "@tomgrowsstuff", "en",
      "First flush from my Sporenhuis oyster kit!! look at these beauties 🍄🍄🍄 #growyourown #mushrooms",
      []),
    K("x", "@punmaster_pete", "en",
      "My mushroom kit has a better social life than me. It's a real fungi. I'll see myself out.",
      []),
    K("reddit", "u/mouldy_no_more", "en",
      "Update: Sporenhuis sent a new shiitake block two days after I posted about my mouldy one. Fair play, good service 👍",
      []),
    K("x", "@westlander_joost", "nl",
      "Sterkte aan iedereen bij Hoeveduin na de brand van vorige week. Hopelijk kunnen jullie snel weer aan de slag 💪",
      []),
    K("x", "@mieke_hoeveduin", "nl",
      "Zo trots op ons team! Hoeveduin wint de Groene Teler Award 2026 🏆🍄",
      []),
    K("tiktok", "@kweekmetkim", "nl",
      "POV: je werkt bij een champignonkwekerij en je collega's vinden je shiitake-dansje niet grappig 🍄💃 #werkvloer",
      []),
    K("x", "@foodsafety_watch", "en",
      "Big recall at a German enoki grower today (not Hoeveduin btw), listeria again. Check your fridge if you buy Asian mushrooms.",
      []),
    K("x", "@hoeveduin_zorg", "en",
      "Our customer service is available Mon–Sat via hallo@sporenhuis.nl or +31 174 555 230. Happy to help!",
      []),
    K("instagram", "@mama.kweekt", "en",
      "the lion's mane kit is sooo cool, it looks like a little pom-pom. kids are obsessed",
      []),
    K("facebook", "Petra Vink", "nl",
      "Was eerst boos omdat mijn kweekset maar niet kwam, maar Sporenhuis heeft netjes een nieuwe gestuurd plus een kortingscode. Opgelost 👌",
      []),
    K("reddit", "u/oyster_curious", "en",
      "What's the difference between the pink oyster kit and the golden oyster kit? Which one is easier for a total beginner?",
      []),
    K("linkedin", "ellen-kroes-hd", "nl",
      "Trots dat we vandaag ons jaarverslag 2025 hebben gepubliceerd, met voor het eerst een volledige CO2-paragraaf.",
      []),
    K("x", "@jorisvdlinde", "en",
      "Gave a tour to a school class today. 30 kids, zero mushroom fans at the start, twelve converts after the tasting 😄",
      []),
    K("facebook", "Annelies de Bruin", "nl",
      "Vandaag gecollecteerd voor KWF Kankerbestrijding, ook bij de kwekerij van Hoeveduin. Super gul die mensen daar ❤️",
      []),
    K("x", "@ramen_rick", "en",
      "this mushroom risotto slaps fr. Hoeveduin chestnut mushrooms are the GOAT",
      []),
    K("x", "@noodle_nerd", "en",
      "damn, these Hoeveduin shiitake are killer in ramen. not even kidding",
      []),
    K("linkedin", "hoeveduin-zwammen", "nl",
      "Wij zoeken een teeltspecialist (m/v/x) voor onze locatie in Horst. Solliciteren kan via vacatures@hoeveduin.nl.",
      []),
    K("bluesky", "@daanmol.bsky.social", "en",
      "shipping a new version of the Sporenhuis app today, now with dark mode 🌙",
      []),
    K("reddit", "u/raw_or_not", "en",
      "Is it safe to eat mushrooms from a grow kit raw? Asking before I do something dumb 😅",
      []),
    K("x", "@loyal_lars", "en",
      "Boycott? Nah, I'm happily buying Hoeveduin mushrooms as always. Best in the country.",
      []),
    K("x", "@happy_customer_h", "en",
      "Honestly the Hoeveduin rep Lotte was so kind when I called, sorted my order in two minutes",
      []),
    K("x", "@tuinvrouw", "nl",
      "Datalek bij een grote webwinkel in tuinspullen, gelukkig nooit daar besteld. Mijn kweeksets koop ik bij Sporenhuis en die staan niet in het artikel.",
      []),
    K("tiktok", "@sporenhuis", "nl",
      "3 fouten die iedereen maakt met een kweekset 🍄 nummer 2: veel te veel water! #kweektips",
      []),
    K("x", "@addicted_to_kits", "en",
      "me: I'll just buy one grow kit. also me, 3 months later: 9 kits and a mini grow tent from Sporenhuis. send help",
      []),
    K("threads", "@lotte.hoeveduin", "nl",
      "Dank voor alle lieve berichten na de storing van vorige week, en nogmaals sorry voor het wachten!",
      []),
    K("x", "@voedselbank_zh", "en",
      "Shoutout to Hoeveduin for donating 500kg of mushrooms to the food bank this month 👏",
      []),
    K("youtube", "@SporenhuisKweken", "en",
      "New video: harvesting your first oyster flush, step by step. When to pick, how to twist and what to do after 🍄",
      []),
    K("x", "@grumpy_but_fair", "en",
      "I was pretty rude to Sporenhuis support last week about a late kit. They stayed friendly and sorted it. Fair play, my bad.",
      []),
    K("reddit", "u/myco_scientist", "en",
      "For anyone wondering: green patches on a kit are usually trichoderma. Not the end of the world, just cut it out and keep humidity lower. Sporenhuis has a decent guide on it.",
      []),
]


# ---------------------------------------------------------------- building

def load_profile():
    with open(PROFILE, encoding="utf-8") as f:
        return yaml.safe_load(f)


def role_of(profile, platform, handle):
    key = ("%s:%s" % (platform, handle)).lower()
    if key in {a.lower() for a in profile["accounts"]["corporate"]}:
        return "corporate"
    if key in {a.lower() for a in profile["accounts"]["employee"]}:
        return "employee"
    return "public"


ZW = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)


def norm(text):
    return unicodedata.normalize("NFKC", text).translate(ZW)


IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\w-])(?:\d{4}[ -]?){3}\d{1,4}(?![\w-])")
BSN_RE = re.compile(r"(?<![\w.-])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\w-])")


def identifiers(text, profile):
    """(kind, value, valid, public) for every IBAN, card and BSN look-alike."""
    t = norm(text)
    public = {re.sub(r"\s", "", i).upper() for i in profile["public_identifiers"]["ibans"]}
    out = []
    for m in IBAN_RE.finditer(t):
        v = re.sub(r"\s", "", m.group())
        out.append(("iban", v, iban_valid(v), v in public))
        t = t[:m.start()] + " " * (m.end() - m.start()) + t[m.end():]
    for m in CARD_RE.finditer(t):
        v = re.sub(r"\D", "", m.group())
        if len(v) >= 13:
            out.append(("card", v, luhn_valid(v), False))
        t = t[:m.start()] + " " * (m.end() - m.start()) + t[m.end():]
    for m in BSN_RE.finditer(t):
        out.append(("bsn", m.group(), bsn_valid(m.group()), False))
    return out


def severity(cats, role, checked_pii):
    rank = 0
    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                r = SEV_RANK["error"]
                if c in (SCR, PRC) or (c == PII and checked_pii):
                    r = SEV_RANK["critical"]
            else:
                r = SEV_RANK["warning"]
        elif c == CMP:
            r = SEV_RANK["warning"]
        elif c == CRI:
            r = SEV_RANK["error"]
        elif c == ABU:
            r = SEV_RANK["error"] if insider else SEV_RANK["warning"]
        else:
            raise AssertionError(c)
        rank = max(rank, r)
    return SEV_NAME[rank]


PLATFORM_URL = {
    "x": "https://x.com/{h}/status/{n}", "instagram": "https://www.instagram.com/p/{n}",
    "facebook": "https://www.facebook.com/{h}/posts/{n}", "linkedin": "https://www.linkedin.com/feed/update/urn:li:activity:{n}",
    "reddit": "https://www.reddit.com/r/Netherlands/comments/{n}", "tiktok": "https://www.tiktok.com/{h}/video/{n}",
    "youtube": "https://www.youtube.com/watch?v={n}", "bluesky": "https://bsky.app/profile/{h}/post/{n}",
    "threads": "https://www.threads.net/{h}/post/{n}", "mastodon": "https://infosec.exchange/{h}/{n}",
}


def brand_of(text):
    t = text.lower()
    kit_words = ("sporenhuis", "kweek", "kit", "grow", "humidifier", "bevochtiger", "broedsel", "koffiedik")
    return "Sporenhuis" if any(w in t for w in kit_words) else "Hoeveduin"


def build():
    rng = random.Random(SEED)
    profile = load_profile()
    values = make_values(rng)
    start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    span = int((dt.datetime(2026, 12, 31, 23, 0, tzinfo=dt.timezone.utc) - start).total_seconds())
    order = list(range(len(CASES)))
    rng.shuffle(order)
    lines = []
    meta = []
    used_ids = set()
    for pos, idx in enumerate(order):
        c = CASES[idx]
        text = re.sub(r"<<(\w+)>>", lambda m: values[m.group(1)], c["text"])
        if c.get("at"):
            created = c["at"]
        else:
            created = (start + dt.timedelta(seconds=rng.randint(0, span))).strftime("%Y-%m-%dT%H:%M:%SZ")
        while True:
            num = str(rng.randint(10 ** 15, 10 ** 16 - 1))
            pid = "%s-%s" % (c["platform"], num)
            if pid not in used_ids:
                used_ids.add(pid)
                break
        role = role_of(profile, c["platform"], c["handle"])
        ids = identifiers(text, profile)
        checked = any(ok and not pub for _k, _v, ok, pub in ids)
        cats = sorted(set(c["cats"]))
        kind = c.get("kind") or ("reply" if text.startswith("@") else "post")
        post = {
            "id": pid,
            "platform": c["platform"],
            "kind": kind,
            "account": {"handle": c["handle"]},
            "text": text,
            "lang": c["lang"],
            "created_at": created,
            "brand": brand_of(text),
        }
        if c["platform"] in PLATFORM_URL:
            post["url"] = PLATFORM_URL[c["platform"]].format(h=c["handle"].lstrip("@").split("@")[0], n=num)
        rec = {"post": post, "expect": {"categories": cats, "severity": severity(cats, role, checked)}}
        lines.append(json.dumps(rec, ensure_ascii=False))
        meta.append((c, role, ids))
    return profile, values, lines, meta


# ---------------------------------------------------------------- self-check

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def parse_time(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def check(profile, lines, meta):
    errors = []

    def err(i, msg):
        errors.append("case %d: %s" % (i, msg))

    # profile sanity
    for ib in profile["public_identifiers"]["ibans"]:
        if not iban_valid(ib):
            errors.append("profile IBAN %s fails mod-97" % ib)
    assert len(profile["accounts"]["corporate"]) >= 6 and len(profile["accounts"]["employee"]) >= 8
    assert 15 <= len(profile["products"]) <= 25
    assert profile["pricing"]["alert_below_ratio"] == 0.5
    products = {p["sku"]: p for p in profile["products"]}
    internal_terms = ([d.lower() for d in profile["internal"]["domains"]]
                      + [c.lower() for c in profile["internal"]["codenames"]]
                      + [m.lower() for m in profile["internal"]["markers"]])
    embargo = [(parse_time(e["until"]), [t.lower() for t in e["terms"]]) for e in profile["embargo"]]

    seen = set()
    for i, (line, (c, role, ids)) in enumerate(zip(lines, meta)):
        rec = json.loads(line)
        post, exp = rec["post"], rec["expect"]
        # CONTRACT section 6 / section 1 shape
        if set(rec) != {"post", "expect"}:
            err(i, "top-level keys")
        if not isinstance(post.get("id"), str) or not 1 <= len(post["id"]) <= 256:
            err(i, "id")
        if post["id"] in seen:
            err(i, "duplicate id")
        seen.add(post["id"])
        if post.get("platform") not in PLATFORMS:
            err(i, "platform")
        if post.get("kind", "post") not in KINDS:
            err(i, "kind")
        if not isinstance(post.get("account", {}).get("handle"), str) or not post["account"]["handle"]:
            err(i, "handle")
        if not isinstance(post.get("text"), str) or len(post["text"].encode("utf-8")) > 65536:
            err(i, "text")
        if not RFC3339.match(post.get("created_at", "")):
            err(i, "created_at")
        created = parse_time(post["created_at"])
        if created.year not in (2026, 2027):
            err(i, "created_at year")
        cats = exp["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= TAXONOMY:
            err(i, "categories %r" % cats)
        if exp["severity"] not in SEV_RANK:
            err(i, "severity")
        if (not cats) != (exp["severity"] == "none"):
            err(i, "benign <-> none")
        checked = any(ok and not pub for _k, _v, ok, pub in ids)
        if exp["severity"] != severity(cats, role, checked):
            err(i, "severity not per policy")
        # authors
        if c["handle"].lower() in {a.split(":", 1)[1].lower() for a in
                                   profile["accounts"]["corporate"] + profile["accounts"]["employee"]} \
                and role == "public":
            err(i, "profile handle on another platform counted as public")
        # identifiers with checksums
        for kind, v, ok, pub in ids:
            if PII in cats:
                if not ok:
                    err(i, "%s %s in a personal-data positive fails its checksum" % (kind, v))
            else:
                if ok and not pub:
                    err(i, "%s %s passes its checksum in a case without leak.pii" % (kind, v))
        text = norm(post["text"])
        low = text.lower()
        # secrets
        for tok in re.findall(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", text):
            if (SCR in cats) != gh_valid(tok):
                err(i, "github token %s checksum/label mismatch" % tok[:8])
        for key in re.findall(r"\bAKIA[A-Z2-7]{16}\b", text):
            if (SCR in cats) == ("EXAMPLE" in key):
                err(i, "AWS key id label mismatch")
        for jwt in re.findall(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+", text):
            hdr = json.loads(b64url_dec(jwt.split(".")[0]))
            if "alg" not in hdr:
                err(i, "JWT without alg")
        if SCR in cats and not re.search(
                r"gh[pousr]_|AKIA|sk_live_|xoxb-|sk-proj-|AIza|eyJ|PRIVATE KEY|://[^:\s]+:[^@\s]+@|wachtwoord:", text):
            err(i, "secret positive without a credential")
        # confidential terms
        hits = [t for t in internal_terms if t in low]
        for until, terms in embargo:
            if created < until:
                hits += [t for t in terms if t in low]
        if CON in cats and not hits and not c.get("free"):
            err(i, "confidential positive without a profile term")
        if CON not in cats and hits:
            err(i, "confidential term %r in a case without leak.confidential" % hits)
        # prices
        if c.get("price"):
            sku, price = c["price"]
            p = products[sku]
            names = [p["name"]] + p["aliases"]
            if not any(n.lower() in low for n in names):
                err(i, "price case does not name %s" % sku)
            ratio = price / p["list_price"]
            if PRC in cats and ratio >= profile["pricing"]["alert_below_ratio"]:
                err(i, "pricing positive not below ratio")
            if PRC not in cats and not 0.7 <= ratio <= 1.0:
                err(i, "benign price outside normal/sale band (%.2f)" % ratio)
        if PRC in cats and not c.get("price") and "prijsfout" not in low and "price error" not in low:
            err(i, "pricing positive without price or price-error talk")
        # public handles must not be profile accounts
        if role == "public" and any(c["handle"].lower() == a.split(":", 1)[1].lower()
                                    for a in profile["accounts"]["corporate"] + profile["accounts"]["employee"]):
            err(i, "public author uses a profile handle")
    return errors


def main():
    profile, values, lines, meta = build()
    # determinism: a second build must be byte-identical
    _p, _v, lines2, _m = build()
    assert lines == lines2, "build is not deterministic"
    with open(OUT, "w", encoding="utf-8") as f:
        for line in lines:
            f.write(line + "\n")
    errors = check(profile, lines, meta)
    n = len(lines)
    benign = sum(1 for l in lines if not json.loads(l)["expect"]["categories"])
    counts = {}
    for l in lines:
        for cat in json.loads(l)["expect"]["categories"]:
            counts[cat] = counts.get(cat, 0) + 1
    nl = sum(1 for c, _r, _i in meta if c["lang"] == "nl")
    roles = {}
    for l, (c, role, _i) in zip(lines, meta):
        key = ("benign" if not json.loads(l)["expect"]["categories"] else "positive", role)
        roles[key] = roles.get(key, 0) + 1
    if not 170 <= n <= 180:
        errors.append("case count %d outside 170-180" % n)
    print("cases: %d  benign: %d  positive: %d  nl: %.0f%%" % (n, benign, n - benign, 100.0 * nl / n))
    for cat in sorted(counts):
        print("  %-22s %d" % (cat, counts[cat]))
    for k in sorted(roles):
        print("  %-10s %-9s %d" % (k[0], k[1], roles[k]))
    if errors:
        for e in errors:
            print("FAIL", e)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
