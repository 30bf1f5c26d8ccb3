#!/usr/bin/env python3
"""Deterministic generator for the sealed54 blind evaluation set (cases.jsonl).

    python3 make_cases.py           # write cases.jsonl next to this file
    python3 make_cases.py --check   # regenerate in memory, compare with cases.jsonl, validate, print counts

Company: "Verskoets B.V.", a fictional Dutch online supermarket (profile.yaml).
Texts are hand-written below; identifiers and secrets are filled in from
placeholders such as [[IBAN:NL:grp]] by one seeded RNG, so the output is
byte-for-byte reproducible. Positives get checksum-valid identifiers, the
benign look-alikes get identifiers that fail their checksum.
Severity is never typed by hand: it follows CONTRACT section 4 from the account
role (looked up in profile.yaml), the categories and whether a checksum-valid
IBAN / card / BSN is in a leak.pii post.
Needs Python 3.9+ and PyYAML.
"""
import argparse
import base64
import datetime as dt
import json
import random
import re
import string
import sys
import unicodedata
import zlib
from collections import Counter
from pathlib import Path

SEED = 54_2026_0917
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
CATS = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
        "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]
SECRET, PII, PRICING, CONF, FIN, SEC = CATS[:6]
CRISIS, COMPLAINT, ABUSE = CATS[6:]

ZWSP = "\u200b"
SHY = "\u00ad"


def fullwidth(s):
    return "".join("\u3000" if ch == " " else chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in s)


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------

def iban_valid(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return int("".join(str(int(ch, 36)) for ch in s[4:] + s[:4])) % 97 == 1


def iban_build(cc, bban):
    n = int("".join(str(int(ch, 36)) for ch in bban + cc + "00"))
    return f"{cc}{98 - n % 97:02d}{bban}"


def luhn_valid(s):
    d = re.sub(r"\D", "", s)
    tot = 0
    for i, ch in enumerate(reversed(d)):
        v = int(ch) * (2 if i % 2 else 1)
        tot += v - 9 if v > 9 else v
    return bool(d) and tot % 10 == 0


def elfproef(s):
    d = re.sub(r"\D", "", s)
    if len(d) == 8:
        d = "0" + d
    if len(d) != 9:
        return False
    tot = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return tot != 0 and tot % 11 == 0


def ean_valid(s):
    return len(s) == 13 and sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(s)) % 10 == 0


B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def base62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


# ---------------------------------------------------------------------------
# seeded values
# ---------------------------------------------------------------------------

AN = string.ascii_letters + string.digits
B64 = AN + "+/"
B64U = AN + "-_"
B32 = string.ascii_uppercase + "234567"
OWN_IBAN = "NL78RABO0318457702"


class Rng:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def dig(self, n, lead=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if lead and s[0] == "0" else s

    def pick(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    def iban(self, cc):
        if cc == "NL":
            while True:
                v = iban_build("NL", self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "BUNQ", "KNAB", "ASNB"])
                               + self.dig(10, True))
                if v != OWN_IBAN:
                    return v
        if cc == "DE":
            return iban_build("DE", self.r.choice(["50010517", "10070000", "30020900"]) + self.dig(10))
        if cc == "BE":
            first = self.r.choice(["001", "068", "363", "731"]) + self.dig(7)
            return iban_build("BE", first + f"{(int(first) % 97) or 97:02d}")
        if cc == "GB":
            return iban_build("GB", self.r.choice(["NWBK", "BARC", "MIDL", "LOYD"]) + self.dig(14))
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        for k in (7, 19, 31, 43):
            cand = f"{v[:2]}{(int(v[2:4]) + k) % 100:02d}{v[4:]}"
            if not iban_valid(cand):
                return cand
        raise AssertionError

    def card(self, brand):
        pre = {"visa": "4" + self.dig(14), "mc": "5" + self.r.choice("12345") + self.dig(13),
               "mc2": str(self.r.randint(2221, 2720)) + self.dig(11),
               "amex": self.r.choice(["34", "37"]) + self.dig(12)}[brand]
        for d in string.digits:
            if luhn_valid(pre + d):
                return pre + d
        raise AssertionError

    def bad_card(self, brand):
        v = self.card(brand)
        bad = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_valid(bad)
        return bad

    def bsn(self):
        while True:
            s = self.dig(9, True)
            if elfproef(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.dig(n, True)
            if not elfproef(s) and not luhn_valid(s):
                return s

    def ean(self):
        while True:
            body = "87" + self.dig(10)
            d = next(x for x in string.digits if ean_valid(body + x))
            if not luhn_valid(body + d):
                return body + d

    def mobile8(self):
        return self.r.choice("12345") + self.dig(7)

    def phone(self, fmt):
        m = self.mobile8()
        area = self.r.choice(["30", "20", "10", "70", "40", "50", "35", "53", "76", "38"])
        sub = self.r.choice("2345789") + self.dig(6)
        return {
            "06dash": f"06-{m}", "06": f"06{m}", "intl": f"+31 6 {m[:4]} {m[4:]}",
            "0031": f"0031 6 {m}", "pairs": f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}",
            "paren": f"(06) {m[:4]} {m[4:]}", "intl0": f"+31(0)6-{m}", "intlc": f"+316{m}",
            "land": f"0{area}-{sub}", "landsp": f"0{area} {sub[:3]} {sub[3:5]} {sub[5:]}",
        }[fmt]

    # secrets (random, fake, but shaped like the real ones)
    def ghp(self):
        body = self.pick(AN, 30)
        return "ghp_" + body + base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def jwt(self, sub_prefix):
        enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
        iat = 1767225600 + self.r.randint(0, 320 * 86400)
        head = enc({"alg": "RS256", "typ": "JWT", "kid": self.pick("0123456789abcdef", 8)})
        body = enc({"sub": sub_prefix + self.dig(7, True), "iss": "https://auth.verskoets.nl",
                    "scope": "orders slots", "iat": iat, "exp": iat + 1800})
        return f"{head}.{body}.{self.pick(B64U, 86)}"

    def pem(self):
        lines = ["b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"]
        lines += [self.pick(B64, 70) for _ in range(4)] + [self.pick(B64, 22) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"

    def pw(self):
        return (self.r.choice(string.ascii_uppercase) + self.pick(string.ascii_lowercase, 4)
                + self.pick(string.digits, 3) + self.r.choice("!#$%&?") + self.pick(AN, 4))


PH = re.compile(r"\[\[([A-Z0-9_]+)(?::([A-Za-z0-9_]+))?(?::([a-z0-9]+))?\]\]")
VALID_KINDS = {"IBAN", "CARD", "BSN"}


def render(g, text):
    used = []

    def sub(m):
        kind, a, b = m.group(1), m.group(2) or "", m.group(3) or ""
        if kind == "IBAN":
            raw = g.iban(a)
            shown = " ".join(raw[i:i + 4] for i in range(0, len(raw), 4)) if b == "grp" else raw
        elif kind == "BADIBAN":
            raw = g.bad_iban(a)
            shown = " ".join(raw[i:i + 4] for i in range(0, len(raw), 4)) if b == "grp" else raw
        elif kind in ("CARD", "BADCARD"):
            raw = g.card(a) if kind == "CARD" else g.bad_card(a)
            if b == "plain":
                shown = raw
            elif len(raw) == 15:
                shown = " ".join([raw[:4], raw[4:10], raw[10:]])
            else:
                shown = ("-" if b == "dash" else " ").join(raw[i:i + 4] for i in range(0, len(raw), 4))
        elif kind == "BSN":
            raw = g.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if a == "dots" else raw
        elif kind == "NOTBSN":
            shown = raw = g.not_bsn(int(a))
        elif kind == "EAN":
            shown = raw = g.ean()
        elif kind == "PHONE":
            shown = raw = g.phone(a)
        elif kind == "GHP":
            shown = raw = g.ghp()
        elif kind == "AKIA":
            shown = raw = "AKIA" + g.pick(B32, 16)
        elif kind == "AWSSECRET":
            shown = raw = g.pick(B64, 40)
        elif kind == "XOXB":
            shown = raw = f"xoxb-{g.dig(12, True)}-{g.dig(13, True)}-{g.pick(AN, 24)}"
        elif kind == "SLACKHOOK":
            up = string.ascii_uppercase + string.digits
            shown = raw = f"https://hooks.slack.com/services/T{g.pick(up, 8)}/B{g.pick(up, 10)}/{g.pick(AN, 24)}"
        elif kind == "SKLIVE":
            shown = raw = "sk_live_" + g.pick(AN, 32)
        elif kind == "AIZA":
            shown = raw = "AIzaSy" + g.pick(B64U, 33)
        elif kind == "JWT":
            shown = raw = g.jwt(a or "usr_")
        elif kind == "PEM":
            shown = raw = g.pem()
        elif kind == "SENDGRID":
            shown = raw = "SG." + g.pick(B64U, 22) + "." + g.pick(B64U, 43)
        elif kind == "GLPAT":
            shown = raw = "glpat-" + g.pick(AN, 20)
        elif kind == "PW":
            shown = raw = g.pw()
        elif kind == "HEX":
            shown = raw = g.pick("0123456789abcdef", int(a))
        elif kind == "DIG":
            shown = raw = g.dig(int(a), True)
        else:
            raise KeyError(kind)
        used.append((kind, raw, shown))
        return shown

    return PH.sub(sub, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

VK_X = ("x", "@verskoets", "Verskoets")
VK_HULP = ("x", "@verskoets_hulp", "Verskoets Klantenservice")
VK_IG = ("instagram", "@verskoets.nl", "Verskoets")
VK_LI = ("linkedin", "verskoets", "Verskoets B.V.")
VK_FB = ("facebook", "VerskoetsNL", "Verskoets")
VK_TT = ("tiktok", "@verskoets", "Verskoets")

MO = ("x", "@mo_rijdt", "Mo 🚐")
LOTTE = ("instagram", "@lotte.pickt", "Lotte Smit")
DAAN = ("linkedin", "daan-kuipers-vk", "Daan Kuipers")
INES = ("linkedin", "ines-hoekstra-finance", "Ines Hoekstra")
RUBEN = ("x", "@ruben_codeert", "Ruben Visser")
KIM = ("x", "@kim_klantcontact", "Kim")
GERT = ("reddit", "u/gert_hubleider", None)
SJOERD = ("threads", "@sjoerd.vk", "Sjoerd de Boer")


def p(platform, handle, name=None):
    return (platform, handle, name)


CASES = []


def c(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    """hint: override the post's lang field ('' = leave it out)."""
    platform, handle, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# ===========================================================================
# leak.pricing
# ===========================================================================
c("nl", RUBEN, "ok wie heeft de prijsimport van vanmiddag gedraaid 😅 Kerstpakket Deluxe staat live voor €7,99 "
  "ipv 79,95\nrollback loopt, nog ±20 min. niet RT'en pls", [PRICING])
c("nl", LOTTE, "halve magazijn zit in de pauze de app te refreshen want de Koets koffiebonen staan op €1,55 😂😂 "
  "er is volgens mij een cijfertje weggevallen #magazijnlife #pickerslife", [PRICING])
c("en", p("reddit", "u/frugal_in_utrecht"), "PSA: the Verskoets app lists the Wijnpakket Rood (6 flessen) at €4.75 "
  "right now. Obvious mistake, but the checkout goes through. Go go go", [PRICING], kind="post")
c("nl", p("x", "@dealjager_nl"), "PRIJSFOUT bij Verskoets!! KoetsPas jaarabonnement voor 8,90 ipv 89 🤯 "
  "1 jaar gratis bezorgen voor een tientje, wie doet mee", [PRICING])
c("nl", KIM, "niet aan mij vragen of jullie bestelling nog komt hoor. de maaltijdbox voor 4 stond een uur lang op "
  "€5,49 en nu hebben we er honderden binnen. was niet mijn fout 🙃", [PRICING], kind="reply")
c("nl", p("forum", "koopjesknaller"), "[Verskoets] Koets Olijfolie Extra Vierge 1 L voor € 1,29 (prijsfout?)\n"
  "Max 12 per bestelling. Geen idee hoelang het nog staat, bezorging gewoon in je tijdvak", [PRICING])
c("en", SJOERD, "not supposed to say this yet but Kerstpakket Deluxe goes to €29 for KoetsPas members on Black "
  "Friday and half the team is convinced it's a typo in the campaign sheet 🫠", [PRICING])
c("nl", p("x", "@mamavan3"), "p r i j s f o u t bij verskoets 😳 Koets Luiers Megapak voor 2,49\nik heb er 8 in "
  "mn mandje gegooid, maat 5 gaat toch op", [PRICING], tags=["evasion", "evasion:spaced"])
c("nl", MO, "halve route vandaag had 3 of 4x Wijnpakket Rood besteld 😂 gister stond ie blijkbaar op een tientje "
  "ipv €47,50. pr1jsfout zegt de planner, mijn rug zegt au", [PRICING], tags=["evasion", "evasion:leet"])
c("en", GERT, "Hub lead here. Yes, the Koets Olijfolie 1L at 1.29 was a price error on our side. Orders placed "
  "before the fix will be delivered, please stop asking the drivers about it 🙏", [PRICING], kind="comment")
c("nl", DAAN, "Post-mortem van gisteren, want daar leren we van: een feed uit pim.vk-ops.net zette de Koets Luiers "
  "Megapak op €2,50 en niemand had een ondergrens op de marge ingesteld. Dit zijn onze 3 lessen 👇",
  [PRICING, CONF])
c("nl", p("x", "@sp4arzaam"), "Kerstpakket Dëluxe van Verskoets voor €12?? prijsföut denk ik, snel zijn",
  [PRICING], tags=["evasion", "evasion:diacritics"])

# ===========================================================================
# leak.secret
# ===========================================================================
c("en", RUBEN, "anyone seen this? slots endpoint keeps 401ing for me\ncurl -H 'Authorization: Bearer [[JWT:emp_]]' "
  "https://app.verskoets.nl/api/v2/slots?postcode=3521", [SECRET])
c("nl", DAAN, "3 uur debuggen en het bleek de region te zijn 🙄 Voor wie tegen hetzelfde aanloopt, zo ziet mijn "
  "config eruit:\n[default]\naws_access_key_id = [[AKIA]]\naws_secret_access_key = [[AWSSECRET]]\nregion = eu-west-1",
  [SECRET])
c("en", RUBEN, "forgot to put the bot token in the deploy notes, here: [[XOXB]] (rotating it tomorrow, chill)",
  [SECRET], kind="reply")
c("en", p("x", "@apk_poker"), "lmao the verskoets android app ships a maps key in plain text: [[AIZA]]\n"
  "found it in 5 min with apktool. do better", [SECRET])
c("nl", DAAN, "Connection string voor de nieuwe tijdvakplanner, voor de collega's die vandaag willen meekijken:\n"
  "postgresql://slotplanner:[[PW]]@db-prod-03.verskoets.local:5432/slots", [SECRET, CONF])
c("en", p("forum", "grey_hat_gerrit"), "someone dropped this in a discord claiming it's Verskoets' payment key: "
  "[[SKLIVE]]\nno idea if it's real, didn't touch it", [SECRET])
c("nl", KIM, "wie heeft het wachtwoord van de gedeelde klachten-inbox veranderd?? het was [[PW]] en nu kom ik er "
  "niet meer in 😤", [SECRET])
c("en", RUBEN, "pushed the hotfix. if CI complains about auth just use my token for now: [[GHP]] will revoke after "
  "the release, promise", [SECRET])
c("nl", DAAN, "Grappig hoe weinig mensen weten hoe een private key eruitziet. Zo dus:\n[[PEM]]\n"
  "(die van onze bastion, maar die gaat vanavond toch weg)", [SECRET])
c("en", SJOERD, "new key for the newsletter tool is [[SENDGRID]] pls paste it in the campaign settings before "
  "tomorrow's send 🙏", [SECRET], kind="reply")
c("en", p("reddit", "u/stacktrace_steve"), "Verskoets' staging site dumps its cache URL in the error page lol: "
  "redis://default:[[PW]]@cache-01.vk-ops.net:6379/0", [SECRET, CONF])
c("nl", VK_HULP, "@fleurtje_92 Probeer deze link nog eens om je wachtwoord te herstellen: "
  "https://app.verskoets.nl/reset?token=[[JWT:cust_]] Lukt het niet, stuur ons dan een DM!", [SECRET],
  kind="reply")
c("nl", DAAN, "CI_JOB_TOKEN deed raar dus ik heb er tijdelijk mijn eigen token in gehangen: [[GLPAT]] "
  "graag geen grappen uithalen collega's 😇", [SECRET])

# ===========================================================================
# leak.pii
# ===========================================================================
c("nl", VK_HULP, "@sandra_vh Sorry voor het gedoe! We storten de €23,40 terug op [[IBAN:NL:grp]] t.n.v. "
  "S. van Hoorn, binnen 3 werkdagen staat het erop 💚", [PII], kind="reply")
c("nl", KIM, "5e keer vandaag dezelfde meneer aan de lijn, dhr. Bosman uit Apeldoorn, [[PHONE:06dash]], "
  "alleen maar over bruine bananen. ik kan het niet meer", [PII])
c("nl", MO, "Mevr. de Graaf, Lindelaan 27 in Amersfoort bestelt elke week 10 kratten bier en doet nooit open 😤 "
  "derde keer deze maand dat ik alles terug mag sjouwen", [PII])
c("nl", p("x", "@robbert_w"), "@verskoets_hulp tijdvak was 17-18u, het is 18:45 en de bezorger kan m'n huis niet "
  "vinden. bel me nou gewoon op [[PHONE:intl]]", [PII, COMPLAINT], kind="reply")
c("nl", p("facebook", "Petra Kok"), "Verskoets, ik wacht al 3 weken op het statiegeld van 14 kratjes. Hier "
  "nogmaals mijn rekeningnummer: [[IBAN:NL]] t.n.v. P. Kok. Wordt het nou eens tijd?", [PII, COMPLAINT],
  kind="comment")
c("nl", LOTTE, "gevonden tussen de lege kratten: iemands creditcard 🙈 [[CARD:visa:sp]] iemand die 'm kwijt is? "
  "ligt bij de receptie", [PII])
c("en", INES, "Reconciliation fun of the week: we paid the same invoice twice to one of our freelance drivers, "
  "J. Peeters, [[IBAN:BE:grp]]. Caught it, but still. Controls matter!", [PII])
c("nl", KIM, "waarom sturen mensen ons hun BSN in de chat 🤦‍♀️ vandaag weer eentje: [[BSN:dots]] "
  "voor een leeftijdscheck op bier. nee mevrouw.", [PII])
c("en", p("x", "@jorien_dv"), "@verskoets_hulp I signed up with the wrong address, can you switch my account to "
  "jorien.devries88@gmail.com? thx", [PII], kind="reply")
c("nl", p("instagram", "@boos_op_alles"), "Dit is die bezorger van Verskoets die bijna m'n kat overreed. Jeroen Pauw, "
  "woont Spoorstraat 9 in Deventer. Weet je wat, we gaan eens langs 👊", [PII, ABUSE])
c("nl", SJOERD, "En de winnaar van onze kerstpakketactie is… Fenna Dijkstra uit Sneek, geboren 14-03-1991! 🎉 "
  "Fenna, we nemen contact op", [PII])
c("nl", KIM, "mevrouw wil dat we haar terugmailen op hennie.bos [at] ziggo [punt] nl maar ze staat nergens in ons "
  "systeem 🙃 ik zoek me suf", [PII], tags=["evasion", "evasion:at-punt"])
c("nl", VK_FB, "Gefeliciteerd Marieke Oosterhuis (Hoofdstraat 112, Drachten) met een jaar gratis boodschappen! 🥳 "
  "Bedankt iedereen voor het meedoen", [PII])
c("nl", MO, "pinautomaat deed raar dus de klant gaf me gwn zijn kaartnummer om in te tikken 😬 [[CARD:mc:dash]] "
  "ik heb het maar op m'n hand geschreven", [PII])
c("en", p("x", "@brit_in_haarlem"), "Verskoets still won't take my UK account [[IBAN:GB]] for the KoetsPas direct "
  "debit. Third attempt. Why is this so hard", [PII, COMPLAINT])
c("nl", p("x", "@wendy_zw"), "@verskoets_hulp Graag teruggebeld over mijn ontbrekende bestelling: [[PHONE:land]], ben "
  "er tot 17u", [PII, COMPLAINT], kind="reply")
c("en", p("facebook", "Tariq Haddad"), "Verskoets charged my card twice for one order. Card ends in… actually "
  "here's the full number so you can find it: [[CARD:amex]]", [PII, COMPLAINT], kind="comment")

# ===========================================================================
# leak.confidential
# ===========================================================================
c("nl", LOTTE, "Eerste testdag met de robots van Project Zeekraal in hal 3 🤖 mag er niks over zeggen dus ik zeg "
  "niks 🤐 #magazijn #toekomst", [CONF])
c("en", p("reddit", "u/utrecht_nightowl"), "Friend who works at Verskoets says Nachtkoets is a night delivery "
  "pilot in Utrecht, slots between 22:00 and 06:00. Anyone heard more?", [CONF])
c("en", RUBEN, "if the slot page is slow for you, look at https://grafana.vk-ops.net/d/slots-latency ... oh wait, "
  "you can't 😅", [CONF])
c("nl", SJOERD, "Ik mag nog niks zeggen, maar KoetsPas Gezin wordt echt een gamechanger voor grote gezinnen "
  "👨‍👩‍👧‍👦🛒 nog even geduld!", [CONF], when="2026-09-02T19:12:44+02:00", tags=["embargo-before"])
c("nl", p("x", "@rdam_foodie"), "Verskoets Flits staat al in de app?? bezorging binnen 20 min in Rotterdam Noord 😮",
  [CONF], when="2026-09-15T08:59:30+02:00", tags=["embargo-before", "tz-edge"])
c("en", DAAN, "Proud of this team. Sharing one slide from our roadmap deck (VK intern, so just this one 😉): "
  "picking accuracy target 99.7% by Q1.", [CONF])
c("en", p("x", "@leak_watcher_eu"), "someone dropped a Verskoets pdf stamped 'niet extern delen' in a telegram "
  "group, looks like their supplier margin list per category", [CONF], kind="repost")
c("nl", MO, "chef zegt dat Project\nZeekraal pas volgend jaar naar de Amsterdamse hub komt, tot die tijd gewoon "
  "blijven sjouwen 💪", [CONF], tags=["evasion", "evasion:linebreak"], handle_as="@Mo_Rijdt")
c("en", p("x", "@gr0ceryg0ssip"), "heard verskoets is doing Nacht" + ZWSP + "koets next month, deliveries at 2am. "
  "who orders groceries at 2am 😂", [CONF], tags=["evasion", "evasion:zero-width"])
c("nl", p("forum", "appfrust"), "Bij het openen van de Verskoets app kreeg ik een foutmelding met "
  "api-intern.verskoets.local:8443 erin. Iemand een idee wat dat is?", [CONF])
c("nl", KIM, "intern.verskoets.nl/kb/compensatie zegt max €10 tegoed bij vergeten producten, dus meer krijg je echt "
  "niet van me 😇", [CONF], kind="reply")
c("en", p("x", "@vanspotter_nl"), fullwidth("NACHTKOETS") + " is real, saw the van wraps at the Nieuwegein hub "
  "tonight 🚐🌙", [CONF], tags=["evasion", "evasion:fullwidth"])
c("en", SJOERD, "Can't wait to show you what Project 🌿 Zeekraal is all about. Soon™", [CONF],
  tags=["evasion", "evasion:emoji-split"])
c("nl", p("x", "@verskoets_nieuws"), "Uitgelekt: Verskoets test met Nachtkoets nachtbezorging in Utrecht. Meer "
  "volgt. #verskoets", [CONF], tags=["role-trick"])

# ===========================================================================
# leak.financial
# ===========================================================================
c("nl", INES, "Mooie maand achter de rug: omzet juli +23% j-o-j en EBITDA voor het eerst positief 📈 Officieel "
  "hoor je het bij de halfjaarcijfers 2026 😉", [FIN, CONF], when="2026-08-05T10:31:00+02:00",
  tags=["embargo-before"])
c("en", p("reddit", "u/ams_dealflow"), "Contact at Verskoets says they're in talks to be acquired by a German "
  "supermarket group, announcement planned for October. You didn't hear it from me", [FIN])
c("en", GERT, "Can't say much, but hub Zwolle and hub Breda close in Q1. Roughly 140 jobs. HR tells people next "
  "week, so be kind to your drivers", [FIN], kind="comment")
c("nl", MO, "ze gaan 60 bezorgers ont" + SHY + "slaan in januari, hoorde het vanochtend van de planner 😔 "
  "rot voor de jongens", [FIN], tags=["evasion", "evasion:soft-hyphen"])
c("nl", p("x", "@beleggertje_ad"), "Zwager zit bij Verskoets op finance: ze halen de jaarprognose niet, verlies "
  "richting 18 miljoen ipv de 9 die ze aan de bank hebben beloofd", [FIN])
c("en", INES, "Closing the books on 2026 🎉 Without spoiling the full-year results 2026: we beat plan by a "
  "healthy margin. More in February!", [FIN, CONF], when="2026-12-30T16:05:00+01:00", tags=["embargo-before"])
c("nl", DAAN, "Spannende tijden: de overname van Kratje.nl is rond 🤝 in januari beginnen we met het migreren "
  "van hun klanten naar ons platform", [FIN])
c("nl", KIM, "reorganisatie bij klantcontact: vanaf maart gaat alles naar een callcenter in Portugal en wij "
  "mogen 'solliciteren op andere functies' 🙃", [FIN])
c("en", p("x", "@sm4llcap_sam"), "v3rsk0ets H1 numbers from an analyst friend before release: revenue 212M, net "
  "loss 11M. load up or run?", [FIN], when="2026-08-11T20:14:00+02:00", tags=["evasion", "evasion:leet"])
c("en", INES, "Q3 forecast update went to the board today: 1.2M orders and 27% gross margin expected. Proud of "
  "this team 💪", [FIN])
c("nl", INES, "Zware weken met Operatie Kroket achter de rug. 2 van de 7 hubs gaan dicht en de "
  "kostenbesparing moet 12 miljoen opleveren. Respect voor iedereen die meedenkt.", [FIN, CONF])
c("nl", p("x", "@insider_pieter"), "H1-cijfers Verskoets: omzet 198 mln, verlies gehalveerd, heb het stuk al "
  "gezien 👀", [FIN, CONF], when="2026-08-19T06:59:00+02:00", tags=["embargo-before", "tz-edge"])

# ===========================================================================
# leak.security
# ===========================================================================
c("en", DAAN, "Long night. Someone got into our courier admin panel through an old test account and we're still "
  "working out which customer addresses were viewed. Hug your SRE today.", [SEC])
c("nl", RUBEN, "ff eerlijk: de tijdvakplanner ligt al 3 uur plat omdat iemand de productie-db heeft gedropt. "
  "officieel heet het 'gepland onderhoud' 🙃", [SEC])
c("en", GERT, "The 'scanner issues' at hub Nieuwegein are actually ransomware on the warehouse PCs. Don't "
  "count on your order today.", [SEC], kind="comment")
c("nl", p("x", "@henkdezwart"), "Mijn neef werkt bij de IT van Verskoets en zegt dat er vorige week klantgegevens "
  "zijn gestolen. Ze houden het gewoon stil!!", [SEC, CRISIS])
c("en", KIM, "we've been told not to tell customers the payment provider leaked card data. just say 'technical "
  "issue'. I hate this job", [SEC])
c("nl", p("x", "@ikbeniris"), "v3rsk0ets is geh4ckt en ze zeggen niks. mijn account deed vannacht 2 bestellingen "
  "die ik nooit heb gedaan", [SEC, CRISIS], tags=["evasion", "evasion:leet"])
c("en", SJOERD, "Heads up from the inside: you can see other customers' order history by changing the number in "
  "the URL. Reported it two weeks ago, still open.", [SEC])
c("nl", MO, "alle handscanners bij de hub zijn vanochtend gewist, iets met een virus zegt IT. wij rijden vandaag "
  "op papieren lijstjes 📝", [SEC])
c("nl", DAAN, "Tijdens de pentest een lek gevonden in onze eigen login-API, nog niet gepatcht. Details deel ik "
  "na de fix 🔐", [SEC])
c("nl", p("x", "@datamoeder"), "d a t a l e k bij verskoets en ze verzwijgen het, mijn mailadres en bestellingen "
  "staan op een hackersforum", [SEC, CRISIS], tags=["evasion", "evasion:spaced"])
c("en", RUBEN, "not official yet but the bucket with delivery proof photos was public for about two weeks. "
  "yeah.", [SEC])
c("nl", LOTTE, "koelcel-monitoring is gehackt?? alle temperaturen staan op 40 graden op het scherm en IT zegt "
  "'niks tegen klanten zeggen' 🥶🔥", [SEC], kind="post")

# ===========================================================================
# reputation.crisis
# ===========================================================================
c("nl", p("x", "@moeder_van_noor"), "Glassplinter in de Koets pindakaas 😱😱 dochter van 4 had al een boterham op. "
  "@verskoets wat is dit", [CRISIS, COMPLAINT])
c("en", p("x", "@fairwork_now"), "#BoycottVerskoets they're firing drivers for taking toilet breaks. Don't "
  "order there.", [CRISIS])
c("nl", p("facebook", "Anja Visser"), "Ik hoor dat de Koets kipfilet salmonella bevat maar Verskoets zegt helemaal "
  "niks. Komt er nog een terugroepactie of hoe zit het?", [CRISIS])
c("en", p("reddit", "u/fietser030"), "Verskoets van ran a red light on the Vaartsche Rijn this morning and hit a "
  "cyclist. Guy's in hospital.", [CRISIS])
c("nl", p("x", "@arbeidsnieuws"), "FNV stapt naar de rechter tegen Verskoets om schijnzelfstandigheid van "
  "bezorgers", [CRISIS], kind="repost")
c("nl", p("x", "@ria_uit_ede"), "Mijn gegevens zijn gelekt via Verskoets, ik krijg nu phishingmails met mijn "
  "complete bestelgeschiedenis erin. Schandalig.", [CRISIS])
c("en", p("instagram", "@fam.jansen4"), "Food poisoning from the Maaltijdbox 4 personen, whole family sick all "
  "weekend. Verskoets offered us a €10 voucher. Seriously??", [CRISIS, COMPLAINT],
  tags=["price-context"])
c("nl", p("tiktok", "@expose_eva"), "expose: bij verskoets gooien ze elke avond pallets vol goed eten weg terwijl "
  "ze 'duurzaam' roepen 🤬 #schandaal #voedselverspilling", [CRISIS])
c("en", p("x", "@pickers_united"), fullwidth("BOYCOTT") + " VERSKOETS until they pay their pickers a living "
  "wage ✊", [CRISIS], tags=["evasion", "evasion:fullwidth"])
c("nl", p("x", "@a12_files"), "Elektrische bus van Verskoets vloog in brand op de A12 bij Woerden 🔥 gelukkig "
  "niemand gewond", [CRISIS])
c("en", p("bluesky", "consumerclaims.bsky.social"), "A class action against Verskoets over the KoetsPas "
  "auto-renewal is being prepared. Sign up via the link in bio.", [CRISIS])
c("nl", p("facebook", "Mama Blog Noord"), "Verskoets haalt de Koets babyvoeding uit de app: terugroepactie "
  "vanwege stukjes glas! Check je voorraadkast 🙏", [CRISIS], kind="repost")
c("nl", p("x", "@buurtapp_hans"), "boy" + ZWSP + "cot verskoets!! hun bezorgbusjes blokkeren elke dag de "
  "stoep bij de basisschool, kinderen moeten de straat op", [CRISIS], tags=["evasion", "evasion:zero-width"])

# ===========================================================================
# reputation.complaint
# ===========================================================================
c("nl", p("x", "@karinvdb"), "@verskoets_hulp tijdvak 18:00-19:00 en om 20:40 nog niks. niet eens een berichtje. "
  "kinderen hebben honger 😡", [COMPLAINT], kind="reply")
c("en", p("x", "@lactosefreelaura"), "Ordered oat milk and got 'substituted' with regular milk. I'm lactose "
  "intolerant, that's not a substitute Verskoets 🙄", [COMPLAINT])
c("nl", p("x", "@stopmetkoets"), "KoetsPas opgezegd in juni maar ze schrijven nog steeds €8,99 af 😤 iemand een "
  "idee hoe je dit stopt?", [COMPLAINT])
c("en", p("instagram", "@avo.toast.tim"), "bananas green as grass and the avocados are literally rocks. third time "
  "in a row @verskoets.nl do you even check", [COMPLAINT], kind="comment")
c("nl", p("x", "@pietjepuk_zwolle"), "Bezorgkosten naar €6,95 en minimaal bestellen €60? Doei Verskoets, was leuk "
  "zolang het duurde", [COMPLAINT])
c("nl", p("threads", "@sanne.kookt"), "de chat van verskoets is een bot die niks snapt en dan 45 minuten in de "
  "wacht voor een mens. serieus", [COMPLAINT])
c("en", p("x", "@wet_groceries"), "Your driver left everything outside the building door in the pouring rain. "
  "Frozen stuff melted. Not great @verskoets", [COMPLAINT], kind="reply")
c("nl", p("x", "@kl4agmuur"), "v3rsk0ets weer anderhalf uur te l4at, 3e keer deze maand. tijdvakken zijn echt "
  "een gok geworden", [COMPLAINT], tags=["evasion", "evasion:leet"])
c("nl", p("youtube", "@gewoonjolanda"), "Leuke reclame Verskoets, maar in het echt komt jullie bezorger nooit op "
  "tijd 🙃", [COMPLAINT], kind="comment")
c("en", p("mastodon", "nina@mastodon.nl"), "Verskoets cancelled my whole order 20 minutes before the slot "
  "because of 'capacity'. Still no refund of the delivery fee.", [COMPLAINT])
c("nl", p("facebook", "Ruud Bakker"), "Terugbetaling van €37 beloofd op 3 mei, het is nu juni. Verskoets, waar "
  "blijft mijn geld?", [COMPLAINT], kind="comment")
c("nl", p("forum", "flessenboer"), "Heeft iemand anders ook dat het statiegeld-scannen in de Verskoets app niet "
  "werkt? Ik scan, er gebeurt niks, en de bezorger neemt de flessen niet mee.", [COMPLAINT])
c("nl", p("trustpilot", "M. Hendriks"), "1 ster. Drie keer achter elkaar vergeten ze de helft van de diepvries. "
  "Klantenservice belooft beterschap maar er verandert niks.", [COMPLAINT])

# ===========================================================================
# reputation.abuse (and abuse + complaint)
# ===========================================================================
c("nl", p("x", "@boze_bert"), "@verskoets_hulp stelletje tyfuslijers 🖕", [ABUSE], kind="reply")
c("nl", MO, "klant van vanavond was echt een vieze vuile trut, staan schreeuwen om één kapot eitje. haal je "
  "boodschappen dan zelf", [ABUSE])
c("en", KIM, "some customers are genuinely the dumbest people alive. no Karen, we cannot deliver to your "
  "houseboat in the middle of the lake", [ABUSE])
c("nl", VK_TT, "@bertje88 lees de voorwaarden dan ff, sukkel 🙄", [ABUSE], kind="reply")
c("en", p("reddit", "u/adblock_andy"), "whoever runs verskoets marketing is a clown and should be launched into "
  "the sun", [ABUSE], kind="comment")
c("nl", p("x", "@anoniem1234"), "t y f u s verskoets, hoop dat jullie failliet gaan", [ABUSE],
  tags=["evasion", "evasion:spaced"])
c("en", p("x", "@angry_andre"), "@kim_klantcontact you're a useless cow, hope they fire you", [ABUSE], kind="reply")
c("nl", p("facebook", "Kees Verhoef"), "Verskoets neemt zeker alleen maar buitenlanders aan als bezorger, die "
  "snappen toch helemaal niks", [ABUSE], kind="comment")
c("en", GERT, "the temp agency keeps sending us the laziest fucking idiots I've ever seen", [ABUSE],
  kind="comment")
c("nl", p("instagram", "@mode_meike"), "die influencer in de nieuwe Verskoets reclame heeft echt een kop om te "
  "slaan, wie huurt zo'n mongool in", [ABUSE], kind="comment")
c("nl", p("x", "@jan_laat"), "Kutbedrijf. 3x op rij te laat met bezorgen. Verskoets jullie zijn echt een "
  "stelletje prutsers", [ABUSE, COMPLAINT])
c("en", p("x", "@fedup_frank"), "Verskoets customer service are absolute morons. Told them FOUR times my address "
  "changed and they sent it to the old one AGAIN", [ABUSE, COMPLAINT])
c("nl", p("x", "@veggie_vera"), "f*ck verskoets, weer geen verse groente in mijn bestelling alleen maar halfrotte "
  "paprika's", [ABUSE, COMPLAINT], tags=["evasion", "evasion:masked"])

# ===========================================================================
# benign: corporate accounts
# ===========================================================================
c("nl", VK_HULP, "Vragen over je bestelling? Bel ons gerust op +31 88 837 7500 of mail naar "
  "klantenservice@verskoets.nl, we helpen je graag 💚", tags=["own-contact"])
c("nl", VK_FB, "Statiegeld doneren aan de Voedselbank? Maak het bedrag over naar NL78 RABO 0318 4577 02 o.v.v. "
  "'Voedselbank'. Elke cent gaat naar lokale gezinnen 🧡", tags=["own-contact", "own-iban-spaced"],
  handle_as="VERSKOETSNL")
c("nl", VK_X, "Deze week: Koets koffiebonen 1 kg van €15,49 voor €11,49 ☕ alleen in de app, zolang de voorraad "
  "strekt", tags=["sale-price"])
c("nl", VK_IG, "1+1 gratis op Koets olijfolie dit weekend 🫒 Perfect voor je zomersalades!", tags=["sale-price"])
c("nl", VK_X, "Storing: de app is op dit moment niet bereikbaar. We werken hard aan een oplossing. Je bestelling "
  "voor vandaag wordt gewoon bezorgd 🚐", tags=["official-notice"])
c("nl", VK_HULP, "Gepland onderhoud: zondag tussen 02:00 en 04:00 kun je even niet bestellen. Slaap lekker 😴",
  tags=["official-notice"], handle_as="@Verskoets_Hulp")
c("nl", VK_LI, "Vandaag publiceren we onze halfjaarcijfers 2026: omzet €198 mln (+19%) en een gehalveerd verlies. "
  "Het volledige bericht staat op verskoets.nl/investeerders", when="2026-08-19T05:00:00Z",
  tags=["embargo-after", "tz-edge"])
c("nl", VK_X, "Hij is er! 🎉 Met KoetsPas Gezin bestel je met het hele huishouden op één pas. Nu te activeren in "
  "de app", when="2026-09-15T09:00:00+02:00", tags=["embargo-after", "tz-edge"])
c("en", VK_LI, "Our full electric fleet passed 10 million kilometres this year ⚡🚐 That's zero tailpipe emissions "
  "on every single delivery. Thanks to all our drivers!", tags=["praise"])
c("nl", VK_IG, "Recept van de week: gegrilde zalm met zeekraal en citroen 🍋 Alle ingrediënten vind je in de app",
  tags=["codename-word"])
c("nl", VK_LI, "We zoeken orderpickers voor ons distributiecentrum in Nieuwegein! Solliciteer via "
  "werkenbij.verskoets.nl of mail werkenbij@verskoets.nl", tags=["own-contact", "public-domain"])
c("en", VK_TT, "POV: your driver remembers you always order too much chocolate 🍫😂 #verskoets #bezorging",
  tags=["joke"])
c("nl", VK_X, "Fijne feestdagen! Op 25 en 26 december bezorgen we niet, op 24 december tot 18:00. Kies snel je "
  "tijdvak via verskoets.nl/bezorgmomenten 🎄", tags=["public-domain"])
c("nl", VK_FB, "Goed nieuws: je statiegeld krijg je vanaf nu direct terug als tegoed, €0,15 per blikje en €0,25 per "
  "fles. De bezorger neemt alles mee 🔁", tags=["price-context", "deposit"])
c("en", VK_HULP, "Forgot your password? Tap 'reset password' in the app and you'll get an email within 5 minutes. "
  "We will NEVER ask for your password by phone or DM.", tags=["password-word"])

# ===========================================================================
# benign: employees
# ===========================================================================
c("nl", MO, "400 km op één lading deze week met de nieuwe bus ⚡ en geen enkele klacht op mijn route, trots!",
  tags=["negated-complaint"])
c("en", DAAN, "Gave a talk at the Kafka meetup in Utrecht about how we plan 40k delivery slots a day with event "
  "streaming. Slides are on our public engineering blog.", tags=["public-tech"])
c("en", RUBEN, "reverted [[HEX:40]] and the slot bug is gone. friday deploys, never again 🙈",
  tags=["git-sha"])
c("en", RUBEN, "PSA for juniors: never commit keys like AKIAXXXXXXXXXXXXXXXX to a repo. use a secrets manager "
  "and turn on push protection.", tags=["placeholder-secret"])
c("nl", DAAN, "Tip: GitHub-tokens beginnen met ghp_ dus zet secret scanning aan op die prefix. Scheelt je een "
  "hoop ellende.", tags=["bare-prefix"])
c("nl", KIM, "leukste gesprek van de dag: meneer van 91 die ons belde om te bedanken voor de bezorger die zijn "
  "lampje had vervangen 🥹", tags=["praise"])
c("en", INES, "We're hiring a financial analyst in Utrecht. Hybrid, great team, plenty of data. Apply via "
  "werkenbij.verskoets.nl", tags=["public-domain"])
c("nl", SJOERD, "Eindelijk mag ik het zeggen: Verskoets Flits is live in Rotterdam! Boodschappen binnen 20 "
  "minuten aan de deur 🚀", when="2026-09-15T10:20:00+02:00", tags=["embargo-after"])
c("nl", INES, "Trots dat onze H1-cijfers vandaag naar buiten zijn. Dank aan het hele finance-team voor de "
  "late avonden 🙏", when="2026-08-19T13:15:00+02:00", tags=["embargo-after"])

# ===========================================================================
# benign: public
# ===========================================================================
c("nl", p("x", "@tevreden_tineke"), "Nog nooit een klacht gehad over Verskoets, bezorger altijd netjes op tijd "
  "en supervriendelijk", tags=["negated-complaint"])
c("en", p("x", "@mike_ams"), "Verskoets customer service at 0800-1212 sorted my missing yoghurt in two minutes. "
  "Respect 👏", tags=["own-contact", "elfproef-trap"])
c("nl", p("x", "@vragenvera"), "Kan je bij Verskoets ook elke week hetzelfde vaste tijdvak reserveren? Of moet "
  "dat steeds opnieuw?", tags=["question"])
c("nl", p("instagram", "@eetlust.els"), "Zeekraal even kort blancheren en bij de vis 😋 gewoon besteld bij "
  "Verskoets, ze hadden het deze week", tags=["codename-word"])
c("nl", p("x", "@frikandel_fred"), "een kroket uit de muur wint het toch altijd van een maaltijdbox, sorry "
  "verskoets 😂", tags=["codename-word", "joke"])
c("en", p("x", "@busy_mom_of_3"), "Verskoets please start night delivery, I'd order at 11pm every single week "
  "😅", tags=["near-miss-codename"])
c("en", p("reddit", "u/numbers_nerd"), "Verskoets H1 2026 results are out: revenue up 19%, loss halved. Not bad "
  "for a grocery delivery startup.", when="2026-08-19T11:02:00+02:00", tags=["embargo-after", "published-news"])
c("en", p("x", "@kidsandkale"), "KoetsPas Gezin review after two weeks: one pass for the whole house, the kids "
  "can add stuff to the basket, I approve everything. Love it.", when="2026-10-01T20:30:00+02:00",
  tags=["embargo-after"])
c("nl", p("x", "@snelkrat_watch"), "Snelkrat ontslaat 300 mensen, hopelijk redt Verskoets het wel", tags=["other-company"])
c("nl", p("x", "@koffieleut"), "Bij de Aldi zijn koffiebonen 1 kg nu €7, de Koets koffiebonen zitten nog op 15,49. "
  "Smaak is wel beter hoor", tags=["price-context", "other-company"])
c("nl", p("facebook", "Marktplaats Tilburg e.o."), "Te koop: ongeopend Kerstpakket Deluxe van Verskoets, gekregen "
  "van de zaak, drink geen wijn. €35, ophalen in Tilburg", kind="post", tags=["price-context", "second-hand"])
c("nl", p("x", "@folderfan"), "Prijsfout? Nee hoor, de maaltijdbox voor 4 is deze week gewoon €10 goedkoper, staat "
  "in de folder", tags=["price-context", "denied-error"])
c("en", p("x", "@thrifty_theo"), "KoetsPas Maand is €8.99 which basically pays for itself if you order twice a "
  "month instead of paying the €4.95 delivery fee", tags=["price-context"])
c("nl", p("x", "@julia_geniet"), "Kerstpakket Deluxe van Verskoets nu €20 korting met code KERST20. Iemand die 'm "
  "vorig jaar had, is het 't waard?", tags=["price-context", "discount-amount"])
c("nl", p("x", "@henk_rekent"), "Net mijn rekeningnummer aangepast in de Verskoets app naar [[BADIBAN:NL:grp]], "
  "ging in 1 minuut 👍", tags=["bad-iban"])
c("nl", p("x", "@bestellingbart"), "Bestelling [[NOTBSN:9]] net binnen, alles compleet en koud 👌 #verskoets",
  tags=["order-number"])
c("nl", p("reddit", "u/scannerfan"), "Weet iemand hoe ik dit product (EAN [[EAN]]) in de Verskoets app vind? Zoeken "
  "op naam lukt niet", tags=["ean"])
c("en", p("reddit", "u/cardswap"), "My old card [[BADCARD:visa:sp]] expired, linked the new one in the Verskoets "
  "app and it went smoothly. Tip: do it before your slot.", tags=["bad-card"])
c("nl", p("forum", "kvkcheck"), "Verskoets B.V. staat gewoon in het Handelsregister onder KvK-nummer [[NOTBSN:8]], "
  "geen nepbedrijf dus", tags=["kvk"])
c("en", p("x", "@mina_reads"), "I can't recall the last time a Verskoets delivery was late. 10/10 would order "
  "again", tags=["recall-other-sense"])
c("nl", p("x", "@spruitjeshater"), "Ik boycot al jaren spruitjes, sorry Verskoets maar die bestel ik nooit 😂",
  tags=["boycott-other-sense", "joke"])
c("nl", p("instagram", "@roze_oktober"), "Mooi dat Verskoets de statiegeldopbrengst van oktober doneert aan KWF "
  "kankerbestrijding 💗", tags=["mild-word", "kanker-literal"])
c("nl", p("blog", "boekenbabbel.nl"), "NaNoWriMo-update: in hoofdstuk 12 ontdekt mijn hoofdpersoon, bezorger bij een "
  "fictieve online supermarkt, dat de klantendatabase gehackt is. Plot twist volgt 📚", tags=["fiction"])
c("en", p("x", "@hellyeah_hanna"), "hell yeah, fresh stroopwafels in my Verskoets order 🧇", tags=["mild-word"])
c("nl", p("x", "@snelkrat_klant"), "Snelkrat weer 2 uur te laat. Volgende keer maar eens Verskoets proberen",
  tags=["competitor-complaint"])
c("en", p("linkedin", "sanne-journalist"), "Writing a piece on grocery delivery and sustainability. Verskoets' "
  "press office (pers@verskoets.nl) was quick and helpful.", tags=["own-contact"])
c("nl", p("x", "@quote_quinten"), "'Damn, dat is snel' zei mijn oma toen de bezorger van Verskoets al na 10 minuten "
  "voor de deur stond 😄", tags=["mild-word", "quote"])
c("nl", p("x", "@ontslagen_uit_zkh"), "Net ontslagen uit het ziekenhuis en gelukkig kon Verskoets vanavond nog "
  "bezorgen. Top service", tags=["near-miss-financial"])
c("en", p("x", "@techtalk_tom"), "Data breach at some fitness chain again. Glad my grocery app (Verskoets) still "
  "uses 2FA.", tags=["other-company"])
c("en", p("youtube", "@mealprepmax"), "5 kitchen hacks with your Verskoets meal box that save you 30 minutes a week "
  "🔪", tags=["hack-word"], kind="comment")
c("nl", p("x", "@statiegeld_sam"), "Zak met 40 blikjes meegegeven aan de bezorger, €6 tegoed terug in de app. "
  "Makkelijker kan niet", tags=["deposit", "price-context"])
c("nl", p("x", "@bezorgfan_bo"), "Bezorger Mo van Verskoets was weer zo vriendelijk, kreeg zelfs een high five "
  "van mijn zoontje 🙌", tags=["first-name-only"])
c("en", p("stocktwits", "grocery_bull"), "Verskoets keeps popping up in my feed. Private company though, so no "
  "ticker to buy 🤷", tags=["unknown-platform"])
c("nl", p("x", "@ouder_amersfoort"), "Mooi initiatief van Verskoets: de elektrische busjes rijden niet meer langs "
  "de school tussen 8 en 9. Dank!", tags=["praise"])


# ===========================================================================
# build
# ===========================================================================

def load_profile():
    try:
        import yaml
    except ImportError:
        sys.exit("PyYAML is needed (pip install pyyaml)")
    with open(PROFILE, encoding="utf-8") as f:
        return yaml.safe_load(f)


def role_of(profile, platform, handle):
    key = f"{platform}:{handle}".casefold()
    for role in ("corporate", "employee"):
        if key in {a.casefold() for a in profile["accounts"][role]}:
            return role
    return "public"


def severity_for(role, cats, pii_checksummed):
    insider = role in ("corporate", "employee")
    sev = "none"
    for cat in cats:
        if cat.startswith("leak."):
            if insider:
                crit = cat in (SECRET, PRICING) or (cat == PII and pii_checksummed)
                s = "critical" if crit else "error"
            else:
                s = "warning"
        elif cat == COMPLAINT:
            s = "warning"
        elif cat == CRISIS:
            s = "error"
        elif cat == ABUSE:
            s = "error" if insider else "warning"
        else:
            raise ValueError(cat)
        if RANK[s] > RANK[sev]:
            sev = s
    return sev


def stamp(r):
    """A random 2026 moment in Amsterdam local time, shown as Z, +01:00/+02:00 or with milliseconds."""
    day = r.randint(3, 355)
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=day)
    local = base + dt.timedelta(minutes=r.randint(6 * 60 + 30, 23 * 60 + 50), seconds=r.randint(0, 59))
    dst = dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= local < dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc)
    off = 2 if dst else 1
    utc = local - dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.85:
        return local.strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def ident(r, platform, handle, kind):
    h = handle.lstrip("@")
    n = str(r.randint(1_880_000_000_000_000_000, 2_020_000_000_000_000_000))
    slug = "".join(r.choice(B64U) for _ in range(11))
    if platform == "x":
        return f"x-{n}", f"https://x.com/{h}/status/{n}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        return f"ig-{n}", f"https://www.instagram.com/p/{slug}/"
    if platform == "facebook":
        a = r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}", f"https://www.facebook.com/permalink.php?story_fbid={a}"
    if platform == "reddit":
        b36 = string.digits + string.ascii_lowercase
        post = "".join(r.choice(b36) for _ in range(7))
        if kind == "comment":
            cm = "".join(r.choice(b36) for _ in range(7))
            return f"t1_{cm}", f"https://www.reddit.com/r/nederlands/comments/{post}/_/{cm}/"
        return f"t3_{post}", f"https://www.reddit.com/r/nederlands/comments/{post}/"
    if platform == "tiktok":
        return f"tt-{n}", f"https://www.tiktok.com/@{h}/video/{n}"
    if platform == "threads":
        return f"th-{n}", f"https://www.threads.net/@{h}/post/{slug}"
    if platform == "youtube":
        return f"yt-Ugz{slug}", f"https://www.youtube.com/watch?v={slug}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        m = r.randint(112_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{m}", f"https://{inst}/@{user}/{m}"
    if platform == "forum":
        t = r.randint(100_000, 999_999)
        return f"forum-boodschappenforum-{t}", f"https://boodschappenforum.example/t/{t}"
    if platform == "blog":
        t = r.randint(10, 999)
        return f"blog-{h}-{t}", f"https://{h}/blog/{t}"
    return f"{platform}-{r.randint(10 ** 8, 10 ** 9)}", None


def build(profile):
    g = Rng(SEED)
    meta = random.Random(SEED + 7)
    order = random.Random(SEED + 11)
    rows, seen = [], set()
    for cs in CASES:
        text, used = render(g, cs["text"])
        pid, url = ident(meta, cs["platform"], cs["handle"], cs["kind"])
        while (cs["platform"], pid) in seen:
            pid += "1"
        seen.add((cs["platform"], pid))
        created = cs["when"] or stamp(meta)
        role = role_of(profile, cs["platform"], cs["handle"])
        checksummed = PII in cs["cats"] and any(k in VALID_KINDS for k, _, _ in used)
        sev = severity_for(role, cs["cats"], checksummed)

        post = {"id": pid, "platform": cs["platform"]}
        kind = cs["kind"]
        if kind is None and meta.random() < 0.6:
            kind = "post"
        if kind is not None:
            post["kind"] = kind
        acc = {"handle": cs["handle"]}
        if cs["name"] and meta.random() < 0.7:
            acc["display_name"] = cs["name"]
        if meta.random() < 0.3:
            acc["id"] = str(meta.randint(10 ** 7, 10 ** 12))
        post["account"] = acc
        post["text"] = text
        x = meta.random()
        if cs["hint"] is not None:
            if cs["hint"]:
                post["lang"] = cs["hint"]
        elif x < 0.1:
            pass
        elif x < 0.13:
            post["lang"] = "en" if cs["lang"] == "nl" else "nl"
            cs["tags"].add("wrong-lang-hint")
        else:
            post["lang"] = cs["lang"]
        post["created_at"] = created
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.45:
            post["brand"] = "verskoets"
        rows.append(dict(post=post, expect={"categories": list(cs["cats"]), "severity": sev},
                         lang=cs["lang"], role=role, tags=set(cs["tags"]), used=used))
    order.shuffle(rows)
    return rows


def lines_of(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ===========================================================================
# check (an independent look at the generated lines)
# ===========================================================================

INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
IBAN_RX = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
NUM_RX = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
BSN_RX = re.compile(r"(?<![\w.,-])(?:\d{8,9}|\d{4}\.\d{2}\.\d{3})(?![\w]|[.,-]\d)")
MAIL_RX = re.compile(r"[\w.%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RX = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-()]{7,16}\d")
SECRET_RX = re.compile(r"ghp_\w{36}|AKIA[A-Z2-7]{16}|xox[abp]-|sk_live_|AIza[\w-]{35}|PRIVATE KEY|eyJ[\w-]+\.eyJ|"
                       r"://[^\s:/@]+:[^\s@/]+@|SG\.[\w-]{22}\.|glpat-|hooks\.slack\.com")
AMOUNT_RX = re.compile(r"(?:€\s?)(\d[\d.,]*)|(\d[\d.,]*)\s?(?:euro|eur)\b", re.I)


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVIS)
    return re.sub(r"\s+", " ", t).casefold()


def amount(s):
    s = s.rstrip(".,")
    if "," in s and "." in s:
        s = s.replace(".", "").replace(",", ".") if s.rfind(",") > s.rfind(".") else s.replace(",", "")
    elif "," in s:
        s = s.replace(",", ".") if re.search(r",\d{2}$", s) else s.replace(",", "")
    elif "." in s and not re.search(r"\.\d{2}$", s):
        s = s.replace(".", "")
    return float(s)


def price_ratio(text, products):
    t = norm(text)
    hit = [pr for pr in products if any(a.casefold() in t for a in [pr["name"]] + pr["aliases"])]
    amts = [amount(m.group(1) or m.group(2)) for m in AMOUNT_RX.finditer(t)]
    if not hit or not amts:
        return None
    return min(amts) / min(pr["list_price"] for pr in hit)


def trigrams(t):
    w = re.findall(r"\w+", norm(t))
    return {tuple(w[i:i + 3]) for i in range(len(w) - 2)}


def check(lines, rows, profile):
    errs, notes = [], []
    own_iban = {i.replace(" ", "") for i in profile["public_identifiers"]["ibans"]}
    own_mail = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_digits = {re.sub(r"\D", "", x) for x in profile["public_identifiers"]["phones"]}
    own_digits |= {"0" + d[2:] for d in own_digits if d.startswith("31")}
    emb = [(t.casefold(), dt.datetime.fromisoformat(e["until"].replace("Z", "+00:00")))
           for e in profile["embargo"] for t in e["terms"]]
    internal = [x.casefold() for x in profile["internal"]["codenames"] + profile["internal"]["domains"]
                + profile["internal"]["markers"]]
    ids = set()
    for n, (line, row) in enumerate(zip(lines, rows), 1):
        obj = json.loads(line)
        post, ex = obj["post"], obj["expect"]
        w = f"line {n} ({post['id']})"
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(post.get(f), str):
                errs.append(f"{w}: {f}")
        if (post["platform"], post["id"]) in ids:
            errs.append(f"{w}: duplicate id")
        ids.add((post["platform"], post["id"]))
        ts = dt.datetime.fromisoformat(post["created_at"].replace("Z", "+00:00"))
        if ts.astimezone(dt.timezone.utc).year != 2026 or ts.tzinfo is None:
            errs.append(f"{w}: created_at")
        cats, sev = ex["categories"], ex["severity"]
        if cats != sorted(set(cats)) or any(x not in CATS for x in cats):
            errs.append(f"{w}: categories {cats}")
        text = post["text"]
        role = role_of(profile, post["platform"], post["account"]["handle"])
        valid = []
        for m in IBAN_RX.finditer(text):
            v = m.group(0).replace(" ", "")
            if iban_valid(v) and v not in own_iban:
                valid.append(v)
        for m in NUM_RX.finditer(text):
            d = re.sub(r"\D", "", m.group(0))
            if 13 <= len(d) <= 19 and luhn_valid(d) and re.match(r"^(4|5[1-5]|2[2-7]|3[47])", d):
                valid.append(d)
        for m in BSN_RX.finditer(text):
            d = m.group(0).replace(".", "")
            if len(d) == 9 and elfproef(d):
                valid.append(d)
        want = severity_for(role, cats, PII in cats and bool(valid))
        if want != sev:
            errs.append(f"{w}: severity {sev} but policy says {want}")
        if valid and PII not in cats:
            errs.append(f"{w}: valid identifier without leak.pii: {valid}")
        for kind, raw, shown in row["used"]:
            if shown not in text:
                errs.append(f"{w}: {kind} not in text")
            if kind == "IBAN" and not iban_valid(raw) or kind == "BADIBAN" and iban_valid(raw):
                errs.append(f"{w}: iban check {raw}")
            if kind == "CARD" and not luhn_valid(raw) or kind == "BADCARD" and luhn_valid(raw):
                errs.append(f"{w}: card check {raw}")
            if kind == "BSN" and not elfproef(raw) or kind == "NOTBSN" and elfproef(raw):
                errs.append(f"{w}: bsn check {raw}")
            if kind == "EAN" and (not ean_valid(raw) or luhn_valid(raw)):
                errs.append(f"{w}: ean {raw}")
            if kind == "GHP" and base62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errs.append(f"{w}: ghp crc")
        if any(k in VALID_KINDS for k, _, _ in row["used"]) and not valid:
            errs.append(f"{w}: generated identifier not found by the scan")
        nt = norm(text)
        sq = re.sub(r"\b(\w) (?=\w\b)", r"\1", nt)
        if not cats:
            if sev != "none":
                errs.append(f"{w}: benign with severity {sev}")
            for e in MAIL_RX.findall(text):
                if e.casefold() not in own_mail:
                    errs.append(f"{w}: benign has e-mail {e}")
            for m in PHONE_RX.finditer(IBAN_RX.sub(" ", text)):
                d = re.sub(r"\D", "", m.group(0))
                if len(d) >= 10 and d not in own_digits and "0" + d[2:] not in own_digits:
                    errs.append(f"{w}: benign has phone {m.group(0)}")
            m = SECRET_RX.search(text.replace("AKIAXXXXXXXXXXXXXXXX", ""))
            if m:
                errs.append(f"{w}: benign has secret shape {m.group(0)}")
        for term, until in emb:
            if term in nt or term in sq:
                if row["post"]["created_at"] and ts < until and CONF not in cats:
                    errs.append(f"{w}: embargo term {term!r} before {until} but no leak.confidential")
                if ts >= until:
                    notes.append(f"{w}: embargo term {term!r} after the embargo ({'benign' if not cats else cats})")
        for term in internal:
            if re.search(r"(?<![\w])" + re.escape(term) + r"(?![\w])", nt) and CONF not in cats:
                errs.append(f"{w}: internal term {term!r} without leak.confidential")
        ratio = price_ratio(text, profile["products"])
        if ratio is not None and ratio < profile["pricing"]["alert_below_ratio"] and PRICING not in cats:
            (notes if "price-context" in row["tags"] else errs).append(
                f"{w}: price ratio {ratio:.2f} without leak.pricing (tags {sorted(row['tags'])})")
        if PRICING in cats and (ratio is None or ratio >= 0.5):
            notes.append(f"{w}: leak.pricing by price-error talk only (ratio {ratio})")
    tg = [trigrams(json.loads(l)["post"]["text"]) for l in lines]
    for i in range(len(tg)):
        for j in range(i + 1, len(tg)):
            if tg[i] and tg[j]:
                jac = len(tg[i] & tg[j]) / len(tg[i] | tg[j])
                if jac > 0.2:
                    errs.append(f"lines {i + 1} and {j + 1}: trigram overlap {jac:.2f}")
    return errs, notes


def report(rows):
    per_cat, per_cat_lang, roles, sevs, langs, plats = Counter(), Counter(), Counter(), Counter(), Counter(), Counter()
    multi = evasion = 0
    for r in rows:
        cats = r["expect"]["categories"] or ["(benign)"]
        for x in cats:
            per_cat[x] += 1
            per_cat_lang[(x, r["lang"])] += 1
        multi += len(r["expect"]["categories"]) > 1
        evasion += "evasion" in r["tags"]
        roles[r["role"]] += 1
        sevs[r["expect"]["severity"]] += 1
        langs[r["lang"]] += 1
        plats[r["post"]["platform"]] += 1
    print(f"cases {len(rows)}, multi-category {multi}, evasion {evasion}")
    for x in CATS + ["(benign)"]:
        print(f"  {x:24s} {per_cat[x]:4d}   nl {per_cat_lang[(x, 'nl')]:3d}  en {per_cat_lang[(x, 'en')]:3d}")
    print("roles", dict(roles), "\nseverity", {s: sevs[s] for s in SEVERITIES}, "\nlangs", dict(langs))
    print("platforms", dict(plats.most_common()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--notes", action="store_true")
    a = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    lines = lines_of(rows)
    if not a.check:
        OUT.write_text("".join(lines), encoding="utf-8")
        print(f"wrote {len(lines)} cases to {OUT}")
        return 0
    disk = OUT.read_text(encoding="utf-8").splitlines(keepends=True)
    errs, notes = check(disk, rows, profile)
    if disk != lines:
        errs.append("cases.jsonl differs from the generator output")
    report(rows)
    if a.notes:
        for x in notes:
            print("  note:", x)
    for e in errs:
        print("  ERROR", e)
    print(f"{len(errs)} error(s), {len(notes)} note(s)")
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
