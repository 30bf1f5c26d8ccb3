#!/usr/bin/env python3
"""Deterministic generator for the sealed97 blind evaluation set of postwatch.

    python3 make_cases.py            # write cases.jsonl next to this file
    python3 make_cases.py --check    # regenerate in memory, compare, validate, print counts

Company: the fictional Dutch skincare brand "Duinroos Skincare B.V." (profile.yaml).
Every post text is written by hand in CASES below. Identifiers and secrets are
filled in from placeholders such as {{IBAN_NL}} by one seeded RNG, so the output is
byte-for-byte reproducible. Positives get checksum-VALID identifiers (IBAN mod-97,
Luhn, BSN 11-proof); hard negatives get look-alikes that FAIL their checksum.
All secrets are random and fake, shaped like the real formats.

Severity is never typed by hand: it follows CONTRACT section 4 from the account role
(profile.yaml, platform:handle, case-insensitive), the categories, and whether a
checksum-validated identifier is in a leak.pii post.
Needs Python 3.9+ and PyYAML.
"""
import argparse
import base64
import datetime as dt
import json
import random
import re
import string
import struct
import sys
import unicodedata
import zlib
from collections import Counter
from pathlib import Path

SEED = 97_2026_0611
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

CATS = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
        "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]
SEVS = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVS)}

ZWSP = "\u200b"
SHY = "\u00ad"


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------

def mod97_ok(iban):
    s = re.sub(r"\s", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{8,30}", s):
        return False
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


def with_check(country, bban):
    n = int("".join(str(int(c, 36)) for c in bban + country + "00"))
    return f"{country}{98 - n % 97:02d}{bban}"


def luhn(num):
    ds = [int(c) for c in re.sub(r"\D", "", num)][::-1]
    tot = 0
    for i, d in enumerate(ds):
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        tot += d
    return bool(ds) and tot % 10 == 0


def elfproef(num):
    s = re.sub(r"\D", "", num)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t != 0 and t % 11 == 0


def ean_ok(s):
    return len(s) == 13 and sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(s)) % 10 == 0


B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
URLSAFE = ALNUM + "-_"


def base62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def ghp_checksum(body):
    return base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")


# ---------------------------------------------------------------------------
# seeded values
# ---------------------------------------------------------------------------

OWN_IBAN = "NL17INGB0007312544"


class Values:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def d(self, n, lead=True):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if lead and s[0] == "0" else s

    def pick(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    # IBANs
    def iban(self, cc):
        while True:
            if cc == "NL":
                v = with_check("NL", self.r.choice(["RABO", "INGB", "ABNA", "SNSB", "BUNQ", "TRIO", "ASNB"])
                               + self.d(10))
            elif cc == "DE":
                v = with_check("DE", self.r.choice(["10010010", "37050198", "60050101", "50070010"]) + self.d(10, False))
            elif cc == "BE":
                head = self.r.choice(["310", "063", "732", "001"]) + self.d(7, False)
                v = with_check("BE", head + f"{(int(head) % 97) or 97:02d}")
            else:
                raise ValueError(cc)
            if v != OWN_IBAN:
                return v

    def bad_iban(self, cc):
        v = self.iban(cc)
        for k in range(1, 97):
            cand = f"{v[:2]}{(int(v[2:4]) + k) % 100:02d}{v[4:]}"
            if not mod97_ok(cand):
                return cand
        raise AssertionError

    # cards
    def card(self, brand):
        head = {"visa": lambda: "4" + self.d(14, False),
                "mc": lambda: "5" + self.r.choice("12345") + self.d(13, False),
                "mc2": lambda: str(self.r.randint(2221, 2720)) + self.d(11, False),
                "amex": lambda: self.r.choice(["34", "37"]) + self.d(12, False)}[brand]()
        for c in string.digits:
            if luhn(head + c):
                return head + c
        raise AssertionError

    def bad_card(self, brand):
        v = self.card(brand)
        return v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)

    @staticmethod
    def card_fmt(v, style):
        if style == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if style == "dash" else " ").join(parts)

    # BSN and look-alikes
    def bsn(self):
        while True:
            s = self.d(9)
            if elfproef(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.d(n)
            if not elfproef(s) and not luhn(s):
                return s

    def ean(self):
        while True:
            body = "87" + self.d(10, False)
            full = next(body + c for c in string.digits if ean_ok(body + c))
            if not luhn(full):
                return full

    # phones
    def phone(self, style):
        m = self.r.choice("12345678") + self.d(7, False)      # 8 digits after 06
        area = self.r.choice(["10", "20", "23", "30", "35", "40", "50", "70", "71", "72", "74", "76"])
        sub = self.r.choice("2345789") + self.d(6, False)
        return {
            "mob_dash": f"06-{m}",
            "mob_plain": f"06{m}",
            "mob_sp": f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}",
            "mob_intl_sp": f"+31 6 {m[:4]} {m[4:]}",
            "mob_intl_c": f"+316{m}",
            "mob_0031": f"0031 6 {m}",
            "land_dash": f"0{area}-{sub}",
            "land_intl": f"+31 {area} {sub[:3]} {sub[3:]}",
        }[style]

    # secrets
    def ghp(self):
        body = self.pick(ALNUM, 30)
        return "ghp_" + body + ghp_checksum(body)

    def aws_id(self):
        return "AKIA" + self.pick("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)

    def aws_secret(self):
        return self.pick(B64, 40)

    def shpat(self):
        return "shpat_" + self.pick("0123456789abcdef", 32)

    def sendgrid(self):
        return "SG." + self.pick(URLSAFE, 22) + "." + self.pick(URLSAFE, 43)

    def mailchimp(self):
        return self.pick("0123456789abcdef", 32) + "-us" + str(self.r.randint(2, 21))

    def stripe(self, long):
        return "sk_live_51" + self.pick(ALNUM, 97) if long else "sk_live_" + self.pick(ALNUM, 24)

    def gapi(self):
        return "AIzaSy" + self.pick(URLSAFE, 33)

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return f"https://hooks.slack.com/services/T{self.pick(up, 8)}/B{self.pick(up, 10)}/{self.pick(ALNUM, 24)}"

    def jwt(self):
        enc = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
        iat = 1768000000 + self.r.randint(0, 250 * 86400)
        head = enc(b'{"alg":"HS256","typ":"JWT"}')
        body = enc(json.dumps({"sub": "lid-" + self.d(7), "aud": "loyalty.duinroos.nl", "tier": "zilver",
                               "iat": iat, "exp": iat + 7200}, separators=(",", ":")).encode())
        return f"{head}.{body}.{self.pick(URLSAFE, 43)}"

    def pem_ssh(self):
        pub = bytes(self.r.randrange(256) for _ in range(32))
        priv = bytes(self.r.randrange(256) for _ in range(64))

        def sstr(b):
            return struct.pack(">I", len(b)) + b
        blob = (b"openssh-key-v1\x00" + sstr(b"none") + sstr(b"none") + sstr(b"") + struct.pack(">I", 1)
                + sstr(sstr(b"ssh-ed25519") + sstr(pub)))
        chk = bytes(self.r.randrange(256) for _ in range(4))
        inner = chk + chk + sstr(b"ssh-ed25519") + sstr(pub) + sstr(priv) + sstr(b"deploy@ci-runner-03")
        inner += bytes(range(1, 1 + (-len(inner)) % 8))
        b64 = base64.b64encode(blob + sstr(inner)).decode()
        lines = [b64[i:i + 70] for i in range(0, len(b64), 70)]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"

    def password(self):
        w = self.r.choice(["Duin", "Zeewind", "Helm", "Roos", "Strand", "Golf", "Schelp"])
        return w + self.d(2, False) + self.r.choice("!*-_") + self.pick(ALNUM, 4) + self.r.choice("!.~")


VALIDATED = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "CARD", "BSN"}
LOOKALIKE = {"BAD_IBAN_NL", "BAD_CARD", "NOT_BSN9", "NOT_BSN8", "EAN13"}
PH = re.compile(r"\{\{([A-Z0-9_]+)(?::([a-z0-9_]+))?\}\}")


def fill(vals, text):
    used = []

    def one(m):
        kind, opt = m.group(1), m.group(2) or ""
        if kind in ("IBAN_NL", "IBAN_DE", "IBAN_BE"):
            raw = vals.iban(kind[-2:])
            shown = " ".join(raw[i:i + 4] for i in range(0, len(raw), 4)) if opt == "grp" else raw
        elif kind == "BAD_IBAN_NL":
            raw = vals.bad_iban("NL")
            shown = " ".join(raw[i:i + 4] for i in range(0, len(raw), 4)) if opt == "grp" else raw
        elif kind in ("CARD", "BAD_CARD"):
            brand, _, style = opt.partition("_")
            raw = vals.card(brand) if kind == "CARD" else vals.bad_card(brand)
            shown = vals.card_fmt(raw, style or "sp")
        elif kind == "BSN":
            raw = vals.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if opt == "dots" else raw
        elif kind == "NOT_BSN9":
            shown = raw = vals.not_bsn(9)
        elif kind == "NOT_BSN8":
            shown = raw = vals.not_bsn(8)
        elif kind == "EAN13":
            shown = raw = vals.ean()
        elif kind == "DIGITS":
            shown = raw = vals.d(int(opt))
        elif kind == "PHONE":
            shown = raw = vals.phone(opt)
        elif kind == "GHP":
            shown = raw = vals.ghp()
        elif kind == "AWS_ID":
            shown = raw = vals.aws_id()
        elif kind == "AWS_SECRET":
            shown = raw = vals.aws_secret()
        elif kind == "SHPAT":
            shown = raw = vals.shpat()
        elif kind == "SENDGRID":
            shown = raw = vals.sendgrid()
        elif kind == "MAILCHIMP":
            shown = raw = vals.mailchimp()
        elif kind == "STRIPE":
            shown = raw = vals.stripe(opt == "long")
        elif kind == "GAPI":
            shown = raw = vals.gapi()
        elif kind == "SLACK_HOOK":
            shown = raw = vals.slack_hook()
        elif kind == "JWT":
            shown = raw = vals.jwt()
        elif kind == "PEM_SSH":
            shown = raw = vals.pem_ssh()
        elif kind == "PW":
            shown = raw = vals.password()
        else:
            raise KeyError(kind)
        used.append((kind, raw, shown))
        return shown

    return PH.sub(one, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

# corporate
C_IG = ("instagram", "@duinroos.skincare", "Duinroos Skincare")
C_X = ("x", "@duinroos_nl", "Duinroos")
C_HELP = ("x", "@duinroos_help", "Duinroos Klantenservice")
C_TT = ("tiktok", "@duinroos", "Duinroos")
C_FB = ("facebook", "DuinroosSkincare", "Duinroos Skincare")
C_LI = ("linkedin", "duinroos-skincare-bv", "Duinroos Skincare B.V.")
# employees
LOTTE = ("instagram", "@lotte.formulates", "Lotte Hendriks")           # R&D formulation chemist
BRAM = ("x", "@bramkoster_dr", "Bram Koster")                          # webshop developer
INGRID = ("linkedin", "ingrid-de-wit-duinroos", "Ingrid de Wit")        # finance controller
YUSUF = ("linkedin", "yusuf-aydin-ops", "Yusuf Aydın")                  # IT operations
EVA = ("x", "@evavdlinden", "Eva van der Linden")                      # influencer marketing
NOA = ("threads", "@noa.werkt.bij.duinroos", "Noa Smits")              # customer care
MEES = ("tiktok", "@mees_magazijn", "Mees Bos")                        # warehouse Leiden


def pub(platform, handle, name=None):
    return (platform, handle, name)


SECRET, PII, PRICING, CONF, FIN, SEC = ("leak.secret", "leak.pii", "leak.pricing", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    platform, handle, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", BRAM, "eeh collega's 👀 de Ritueel Giftset staat sinds 2 uur voor €8,90 in de shop ipv €89. "
     "feed naar de marketplaces is ook al mee 🙃 ik zet hem terug zodra de PO wakker is, niet RTen pls", [PRICING])
case("en", pub("reddit", "u/glowgoblin_nl"), "PSA: Duinroos Hydra Serum is €3.49 on their webshop rn. obviously a "
     "pricing mistake but checkout went through?? ordered 4, lets see if they honour it", [PRICING])
case("nl", pub("forum", "skinfluencer_wannabe"), "p r i j s f o u t  bij duinroos!!!\nnachtbalsem voor 4,99 😱😱 "
     "wees er snel bij voor ze het doorhebben", [PRICING], tags=["evasion"])
case("nl", NOA, "de telefoon staat roodgloeiend over de zonnefluid van €2,29 🫠 ja, foutje in de prijsfeed, nee we "
     "weten nog niet of die orders geleverd worden. stay strong team", [PRICING])
case("en", EVA, "psst creator friends 🤫 the Kwelder cleansing oil is listed at €1,99 in the app right now (yes "
     "that's a mistake lol). go before IT wakes up", [PRICING])
case("nl", pub("instagram", "@mirjam_mua"), "Lipbalsem Rozenbottel voor 0,89 euro?? iemand heeft zitten slapen bij "
     "@duinroos.skincare 😂 10 stuks in mn mandje", [PRICING], kind="comment")
case("en", pub("x", "@benelux_deals"), "Belgian Duinroos shop has the Duindoorn Day Cream at €2.75 🤔 glitch or "
     "early black friday? either way, cart'd", [PRICING])
case("nl", MEES, "kom net binnen op mn dienst en de printer spuugt honderden pakbonnen uit voor de giftset Ritueel 💀 "
     "stond blijkbaar voor een tientje online door een fout op de site. succes ons vandaag", [PRICING])
case("nl", pub("facebook", "Marieke Schouten"), "Net bevestiging binnen: 3x Hydraserum à € 0,35 per stuk 🤣 dat moet "
     "wel een prijsfout zijn toch. Ben benieuwd of het geleverd wordt", [PRICING])
case("en", C_HELP, "@lisa.skin yes, the Night Balm showed €4.99 for about two hours yesterday because of a pricing "
     "error on our side. Orders at that price will be cancelled and fully refunded, sorry for the confusion 💛",
     [PRICING], kind="reply")
case("nl", pub("x", "@kimberleyy_x"), "hydrä serum voor €3,95 in de app?!? prijsföut of gewoon een kerstwonder 🎄",
     [PRICING], tags=["evasion"])
case("en", pub("youtube", "Jade Verhoeven"), "bought the Ritueel set for 12 euros during that glitch on their site last "
     "week and they just cancelled my order without even asking. lame, Duinroos. honour your prices",
     [PRICING, COMPLAINT], kind="comment")
case("nl", YUSUF, "Korte post-mortem voor wie het volgt: door een fout in de koppeling tussen PIM en webshop stond de "
     "Zonnefluid SPF50 twaalf minuten op €0,00. 212 bestellingen voordat we het zagen. Lessons learned 👇 "
     "#ecommerce #retail", [PRICING])

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", BRAM, "anyone know why our Shopify webhooks 401 on staging? this is the admin token we use, scopes look "
     "fine to me 🤷\n{{SHPAT}}", [SECRET])
case("en", YUSUF, "Small lesson from this week: never print your env at startup 😅 Our worker dumped this into a "
     "shared channel:\nDATABASE_URL=postgres://dr_shop:{{PW}}@db-prod-02.intra.duinroos.local:5432/orders\n"
     "Luckily it stayed internal. #devops #lessonslearned", [SECRET, CONF])
case("en", pub("forum", "octo_snoop"), "Found this in a public repo forked from one of Duinroos' agencies 🙃\n"
     "aws_access_key_id = {{AWS_ID}}\naws_secret_access_key = {{AWS_SECRET}}\nsomeone tell them pls", [SECRET])
case("nl", EVA, "voor de creators in de groepsapp die niet kunnen inloggen: gedeelde TikTok van de campagne, ww is "
     "{{PW}} 😇 niet verder sturen he", [SECRET])
case("en", LOTTE, "lab day 🧪✨ new stability samples going into the 40°C oven\n(ignore the sticky note on my screen "
     "lol — LIMS lab_admin / {{PW}})", [SECRET])
case("nl", BRAM, "Ja die Stripe key stond even in de frontend bundle, maar is al geroteerd hoor dus chill:\n"
     "{{STRIPE:long}}", [SECRET], kind="reply")
case("en", YUSUF, "Rotating our deploy keys today. For the juniors who asked what a private key actually looks "
     "like, here's the old one (retired, don't worry):\n{{PEM_SSH}}", [SECRET])
case("nl", pub("reddit", "u/devmetkoffie"), "De Duinroos app stuurt gewoon een Google API key mee in de frontend: "
     "{{GAPI}}\nlekker bezig jongens", [SECRET], kind="comment")
case("en", NOA, "who set up the zendesk → slack hook?? it posts every ticket 3x 😵 url: {{SLACK_HOOK}} pls fix",
     [SECRET])
case("nl", MEES, "voor de nieuwe uitzendkrachten morgen: wifi DR-Magazijn, wachtwoord {{PW}} 👍 tot 7 uur!",
     [SECRET])
case("en", pub("pastebin", "anon_8812"), "duinroos newsletter stuff, have fun\nSENDGRID_API_KEY={{SENDGRID}}\n"
     "LIST_ID=duinroos-nieuwsbrief-nl", [SECRET])
case("en", BRAM, "why does the loyalty api reject this, exp is fine?? 😩\nAuthorization: Bearer {{JWT}}", [SECRET])
case("nl", YUSUF, "Note to self, en aan iedereen die CI-tokens in een README zet: deze vond ik vandaag in onze "
     "docs-repo 🙈 {{GHP}} (inmiddels ingetrokken)", [SECRET])
case("nl", C_FB, "Oeps, verkeerde klembord 🙈 {{MAILCHIMP}}\n...wat we eigenlijk wilden zeggen: de nieuwe "
     "nieuwsbrief is uit! 💌", [SECRET])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", NOA, "mevrouw J. Verbeek uit Katwijk belt nu voor de 5e keer over haar retour, nummer {{PHONE:mob_dash}} "
     "— kan iemand van de 2e lijn haar vandaag terugbellen 🙏", [PII])
case("en", C_HELP, "@sophie_dkr all sorted! We've refunded €34.95 to {{IBAN_NL:grp}}, it should be on your account "
     "within 2–3 working days 🌸", [PII], kind="reply")
case("nl", INGRID, "Weet iemand waarom de loonadministratie het BSN van onze nieuwe collega Daan Mulder "
     "({{BSN:dots}}) blijft weigeren? Zit al een uur met de helpdesk te bellen 😩", [PII])
case("nl", pub("instagram", "@femkejansen_92"), "@duinroos.skincare mijn pakket is NOOIT aangekomen en niemand "
     "reageert!! bel me gwn op {{PHONE:mob_intl_sp}} of mail femke.jansen92@hotmail.com", [PII, COMPLAINT],
     kind="comment")
case("en", pub("facebook", "Tasha Brouwer"), "Duinroos charged me TWICE for the same order. here's the card so you "
     "can look it up: {{CARD:visa_sp}}. fix it please, this is the second time", [PII, COMPLAINT])
case("nl", EVA, "pakketje voor Famke de Graaf gaat naar Lindengracht 114-2 in Amsterdam, koerier moet voor 12 uur "
     "komen want daarna is ze op set 📦", [PII])
case("nl", MEES, "deze meneer heeft nu 6x de giftset geretourneerd 💀 Peter van Dam, Zeeweg 31 in Noordwijk. respect "
     "voor de commitment", [PII])
case("nl", C_IG, "🎉 Winnaar van onze zomer-giveaway: Sanne Koopmans (geb. 14-02-1991) uit Zwolle! Gefeliciteerd, "
     "je pakket komt eraan ☀️", [PII])
case("en", YUSUF, "Debugging checkout for a customer today, payload was {\"name\":\"Mariam Boukhari\","
     "\"email\":\"m.boukhari@ziggo.nl\",\"phone\":\"{{PHONE:mob_intl_c}}\"} and the phone validator choked on the "
     "prefix. Fun afternoon.", [PII])
case("nl", pub("x", "@robinvdm"), "Drie weken geleden mijn IBAN ({{IBAN_NL}}) naar Duinroos gestuurd voor de "
     "terugbetaling, nog steeds geen cent gezien. Wat een gedoe", [PII, COMPLAINT])
case("en", NOA, "customer wants her refund on her German account {{IBAN_DE:grp}} (Mrs H. Wagner), can finance do "
     "non-NL refunds or not?", [PII], handle_as="@Noa.Werkt.Bij.Duinroos")
case("en", pub("forum", "dutchmum_74"), "duinroos support asked my mum for a copy of her passport (Maria Jansen, "
     "NW3K8PR52) to process a return?? is that even normal", [PII])
case("nl", NOA, "klant wil teruggemaild worden: anouk.de.boer [at] kpnmail [punt] nl, ging over een kapotte pomp. "
     "wie pakt m op?", [PII], tags=["evasion"])
case("en", pub("x", "@ilse_kookt"), "can I pay with Amex at Duinroos? this is my card {{CARD:amex_c}}, do I "
     "need to type it in somewhere here?", [PII])
case("nl", pub("facebook", "Lien Peeters"), "Voor de groepsbestelling bij Duinroos: stort je deel (€45) op "
     "{{IBAN_BE:grp}} t.a.v. Lien Peeters, dan bestel ik vrijdag 🛍️", [PII])
case("nl", INGRID, "Leverancier van de nieuwe flacons wil per creditcard, heb de zakelijke kaart van Bas maar "
     "gebruikt: {{CARD:mc_dash}} exp 09/28. Hopelijk komt het goed 🤞", [PII],
     handle_as="Ingrid-de-Wit-Duinroos")
case("nl", pub("x", "@jobhunter_ruben"), "sollicitatieformulier van Duinroos vraagt meteen om je BSN?? "
     "{{BSN}} ingevuld want ik wil die baan, maar voelt raar", [PII])

# ===========================================================================
# leak.confidential
# ===========================================================================
case("nl", LOTTE, "sneak peek van Project Zeekraal 👀🌿 mag er eigenlijk nog niks over zeggen maar die textuur!!! "
     "#labliefde", [CONF])
case("nl", EVA, "Zo trots dat we haar hebben gestrikt: Duinroos x Noor Vissers 💫 lancering pas in oktober dus sssst",
     [CONF], when="2026-08-12T21:14:05+02:00")
case("nl", pub("instagram", "@noorvissers"), "kan nog niks zeggen maar… Zeeschuim serum 🌊 coming soon. trust me on "
     "this one", [CONF], when="2026-09-15T19:02:44+02:00")
case("nl", BRAM, "wie wil de nieuwe productpagina testen? staging: https://preview.intra.duinroos.local/nieuw/"
     "serum-launch 👉 feedback graag in de thread", [CONF])
case("en", YUSUF, "Proud of the team 💪 we migrated 14k tickets into jira.duinroos-lab.nl over the weekend without "
     "a single lost attachment.", [CONF])
case("en", LOTTE, "reformulating our night balm 🌙 draft INCI below (duinroos confidential, don't screenshot lol): "
     "aqua, squalane, retinal 0.1%, bakuchiol, ceramide NP, tocopherol…", [CONF])
case("nl", NOA, "ik mag het eigenlijk niet delen (er staat letterlijk 'niet extern delen' op het document 😅) maar "
     "vanaf 1 november wordt retourneren van geopende producten gratis", [CONF])
case("en", pub("reddit", "u/refillqueen"), "A friend who works at Duinroos told me about Operatie Helmgras - "
     "apparently a whole refillable line coming next spring. Anyone else heard?", [CONF])
case("nl", EVA, "briefing voor Project 🌱 Zeekraal creators staat op dinsdag! bring your best skin 💚", [CONF],
     tags=["evasion"])
case("nl", MEES, f"er staan net 30 pallets met Tide{ZWSP}pool dozen in gang 4 🤐 mogen er nog niks over zeggen dus "
     "ik zeg niks", [CONF], tags=["evasion"])
case("nl", C_X, "Over precies 1 minuut… 🌊 Zeeschuim Retinol Serum. Zijn jullie er klaar voor?", [CONF],
     when="2026-10-01T09:59:00+02:00", tags=["embargo-edge"])
case("nl", INGRID, "Laatste loodjes voor de halfjaarcijfers 2026 🙌 omzet ruim 12% boven plan, dus donderdag wordt "
     "een mooie presentatie", [CONF, FIN], when="2026-08-18T16:40:12+02:00")
case("en", pub("x", "@beursbabbel"), "my cousin in Duinroos finance says the H1 2026 results show EBITDA basically "
     "halved. announcement in a few hours, you heard it here first", [CONF, FIN],
     when="2026-08-20T07:30:00+02:00", tags=["embargo-edge"])
case("nl", pub("tiktok", "@skincare.sem"), "wie weet wat " + fullwidth("Project Zeekraal") + " is?? stond op een doos "
     "achter de kassa bij de drogist 👀 #duinroos", [CONF], tags=["evasion"])
case("nl", BRAM, "deploy freeze tot vrijdag ivm Operatie \u041d\u0435lmgras 🫡", [CONF], tags=["evasion"])
case("nl", NOA, "nieuwe collega's: het script voor allergie-meldingen staat op wiki.duinroos.nl/klantenservice/"
     "allergie-protocol, lees dat eerst!", [CONF])
case("nl", LOTTE, "gebruik nu al 3 weken onze nieuwe bakuchiol-oogcrème die pas in 2027 uitkomt 🤫 nog niet "
     "aangekondigd maar mijn wallen zijn weg", [CONF])
case("nl", pub("x", "@bramkoster"), "ff checken of iemand hier bij kan: https://lims.duinroos.local/batches/2026 "
     "— thuis krijg ik een time-out", [CONF], tags=["lookalike-handle"])

# ===========================================================================
# leak.financial
# ===========================================================================
case("en", EVA, "ok the rumours are true, Maison Berrand is buying us 😳 signing is next week, I can't say more 🤐",
     [FIN])
case("nl", MEES, "magazijn in Leiden gaat dicht, 40 man eruit en we horen het pas officieel in november. kut.",
     [FIN, ABUSE])
case("en", NOA, "team meeting today: customer care gets outsourced to Lisbon by Q1 😶 nobody's supposed to know yet "
     "so act surprised", [FIN])
case("nl", INGRID, "Q3-forecast staat op €14,2 mln omzet, zo'n 11% onder budget. Dat wordt pas 20 oktober "
     "gecommuniceerd, dus nog even stil houden 🙏", [FIN])
case("nl", pub("forum", "drogistfan"), "Via via gehoord dat Drogisterij Vlinder Duinroos per januari uit het schap "
     "haalt, contract wordt niet verlengd. Dat gaat pijn doen in hun omzet", [FIN])
case("nl", LOTTE, f"rare dag. R&D wordt ge{SHY}reorga{SHY}niseerd, de helft van ons lab gaat naar Gent. mag nog niet "
     "naar buiten, dus 🤐", [FIN], tags=["evasion"])
case("en", BRAM, "got told today the e-com team is being cut in half as part of the 'Vooruit 2027' plan. announcement "
     "comes next month. cool cool cool", [FIN])
case("en", pub("reddit", "u/pallet_prince"), "supplier here, not staff: Duinroos is closing their Belgian entity, "
     "termination letters to BE distributors go out next week", [FIN])
case("nl", EVA, "influencerbudget H2 gehalveerd, ruim een miljoen eraf 😬 officieel hoor je het pas na de zomer maar "
     "ik zeg het nu vast tegen mijn creators", [FIN])

# ===========================================================================
# leak.security
# ===========================================================================
case("nl", BRAM, "checkout ligt er al 3 uur uit omdat iemand een skimmer-script in de betaalpagina had gezet 😬 "
     "nog niks naar buiten gecommuniceerd dus shhh", [SEC])
case("en", YUSUF, "Long night. Ransomware hit the warehouse management system at our Leiden DC, we're restoring "
     "from backups. Comms hasn't said anything yet, so keep it to yourselves 🙏", [SEC])
case("nl", NOA, "we mogen klanten nog niet vertellen dat de loyaltydatabase een week open op internet stond. als "
     "iemand belt: 'technische storing' zeggen 🙄", [SEC])
case("nl", pub("x", "@woedende_wendy"), "Duinroos is geh4ckt en ze houden het stil!!! mijn naam + adres + "
     "bestelling staan gewoon op een forum. #datalek", [SEC, CRISIS], tags=["evasion"])
case("en", pub("threads", "@marloes.reads"), "Duinroos had a leak weeks ago and STILL hasn't told customers. got a "
     "phishing mail quoting my exact order. shady af", [SEC, CRISIS])
case("en", LOTTE, "lab formulation server got compromised last week 😶 IT says keep quiet until legal decides. so... "
     "I said nothing", [SEC])
case("nl", MEES, "alle scanners in het magazijn liggen plat door een virus, niks naar buiten brengen zei de "
     "teamleider. dus we tellen met de hand 🥲", [SEC])
case("en", EVA, "someone got into our Meta ads account and burned ~20k on crypto ads overnight. we haven't said "
     "anything publicly yet so pls don't ask 😵", [SEC])
case("en", YUSUF, "Pentest came back: an IDOR in the shop's order endpoint lets logged-in customers view other "
     "customers' orders. Fix isn't deployed yet. Good reminder to test your authz!", [SEC])
case("nl", BRAM, "d a t a l e k bij ons vannacht. niemand mag het weten tot maandag, ik zeg dus niks 🤐", [SEC],
     tags=["evasion"])
case("nl", pub("forum", "kritische_klant"), "Iemand die bij Duinroos werkt zegt dat er klantgegevens gestolen zijn "
     "en dat de directie het onder de pet houdt. Wanneer gaan ze dit melden??", [SEC, CRISIS])
case("en", INGRID, "Hard week: fraudsters spoofed our CEO's email and we wired €180k to them. Not public yet, but "
     "please, everyone, double-check every payment request.", [SEC])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("en", pub("x", "@bunnyfree_eu"), "#BoycottDuinroos they sell in mainland China where animal testing is required. "
     "'cruelty free' my foot. unfollow + share", [CRISIS])
case("nl", pub("facebook", "Ouders Voor Veilige Zonbescherming"), "Terugroepactie! Duinroos Zonnefluid SPF50 uit "
     "batch 25K3 haalt maar SPF 20 volgens een onafhankelijke test. Niet meer gebruiken bij kinderen!!", [CRISIS])
case("nl", pub("instagram", "@sarahhh.v"), "Na twee avonden jullie nachtbalsem lag ik op de SEH met dichtgezwollen "
     "ogen 😭 kon niks meer zien. @duinroos.skincare wat zit hier in??", [CRISIS, COMPLAINT])
case("en", pub("tiktok", "@glassskinjess"), "chemical burns from the Kwelder cleansing oil 🥲 derm says it's a "
     "reaction to something that isn't on the label. pics in my stories, be careful y'all", [CRISIS, COMPLAINT])
case("en", pub("x", "@consumerwatch_nl"), "Class action filed in Amsterdam against Duinroos over its 'clean beauty' "
     "claims, a consumer group confirms.", [CRISIS], kind="repost")
case("en", pub("threads", "@tea.spill.nl"), "so Duinroos' biggest influencer was faking her before/afters with "
     "filters AND the brand signed off on it?? the screenshots are wild", [CRISIS])
case("nl", pub("x", "@hennie_b"), "Duinroos heeft mijn gegevens gelekt, ik krijg ineens sms'jes met mijn "
     "bestelnummer en naam erin. Bedankt hoor", [CRISIS])
case("nl", pub("instagram", "@veganvera"), "b0yc0t Duinr00s 🚫 ze testen gewoon op dieren, deel dit!!", [CRISIS],
     tags=["evasion"])
case("en", pub("x", "@zonopjehuid"), "A consumer TV show says there's benzene in the Duinroos sun fluid. Stop "
     "using it until they clear this up!!", [CRISIS])
case("nl", pub("facebook", "Joyce Hermans"), "Mijn dochter van 4 heeft een slok van jullie reinigingsolie genomen, "
     "het flesje heeft geen kindveilige dop. Vergiftigingencentrum gebeld, gelukkig ok, maar dit kan echt niet "
     "Duinroos", [CRISIS, COMPLAINT])
case("en", pub("x", "@leiden_canal_watch"), "Video in thread: Duinroos' plant in Leiden dumping milky waste water "
     "straight into the canal. Tag @duinroos_nl until they answer", [CRISIS])
case("nl", pub("reddit", "u/hollandsnieuwe"), "Boycot die racistische klootzakken van Duinroos, de uitgelekte chat "
     "van hun marketingmanager is walgelijk", [CRISIS, ABUSE])
case("en", pub("tiktok", "@derm.diaries"), "PSA stop using the Duinroos Hydra Serum from batch 26A07 — several people "
     "found mold in their bottles", [CRISIS])
case("nl", pub("forum", "arbo_anton"), "Ex-medewerkers van het Duinroos-lab slepen het bedrijf voor de rechter om "
     "blootstelling aan oplosmiddelen zonder fatsoenlijke afzuiging", [CRISIS])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@annelies_r"), "Al 12 dagen wachten op mijn bestelling bij Duinroos en de klantenservice "
     "reageert gewoon niet. Echt slecht dit", [COMPLAINT])
case("en", pub("instagram", "@noor.skin"), "the pump on my Hydra Serum stopped working after a week, half the bottle "
     "is still in there and I can't get it out 😤 @duinroos.skincare", [COMPLAINT], kind="comment")
case("nl", pub("facebook", "Gerda Vos"), "Retour 4 weken geleden teruggestuurd, nog steeds geen geld terug. Mailtjes "
     "worden niet beantwoord. Duinroos, wat is dit?", [COMPLAINT])
case("en", pub("reddit", "u/oily_and_annoyed"), "Duinroos Duindoorn Day Cream broke me out, tiny bumps all over my "
     "chin. Support says opened products can't be returned. Super disappointed tbh", [COMPLAINT])
case("en", pub("threads", "@jorien.k"), "why does the new Kwelder cleansing oil suddenly smell like plastic?? the "
     "old formula was sooo much better, not rebuying", [COMPLAINT])
case("nl", pub("instagram", "@lisa_hh"), "al 3 maanden is de nachtbalsem uitverkocht en niemand kan zeggen wanneer "
     "hij terugkomt. zo frustrerend", [COMPLAINT], kind="comment")
case("en", pub("x", "@tired_of_bots"), "your chatbot is useless @duinroos_help, asked about my order 4 times and it "
     "keeps sending me the FAQ", [COMPLAINT], kind="reply")
case("nl", pub("forum", "mo_zuinig"), "Verzendkosten van €4,95 op een lipbalsem van €8,95, serieus Duinroos? "
     "Belachelijk", [COMPLAINT])
case("en", pub("facebook", "Priya Ramdin"), "Package arrived soaked, the cleansing oil leaked all over the gift box. "
     "Not what you expect when you pay 89 euros, Duinroos", [COMPLAINT])
case("nl", pub("x", "@laat_weer"), "Duinr0os levert nooit op tijd, 3e keer nu dat mijn pakket 'vertraagd' is 🙄 "
     "#klantonvriendelijk", [COMPLAINT], tags=["evasion"])
case("nl", pub("instagram", "@demi.dmv"), "Giftset kwam kapot aan, potje gebarsten, en nu moet ik hem op eigen "
     "kosten terugsturen?? Nee toch @duinroos.skincare", [COMPLAINT])
case("en", pub("threads", "@hannah.sub"), "cancelled my Duinroos subscription in March and they STILL charged me for "
     "April. support keeps saying 'we've escalated it'", [COMPLAINT])
case("nl", pub("facebook", "Wilma de Jong"), "Bij de drogist een Duinroos dagcrème gekocht die al 4 maanden over de "
     "datum was. Dan verwacht je toch beter van een 'premium' merk", [COMPLAINT])
case("nl", pub("trustpilot", "Karin M."), "1 ster. Twee keer het verkeerde product ontvangen van Duinroos en de "
     "klantenservice blijft me doorverwijzen. Nooit meer.", [COMPLAINT], tags=["unknown-platform"])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@boos_in_brabant"), "Duinroos is echt een kutbedrijf vol oplichters", [ABUSE])
case("en", pub("x", "@grumpygrl"), "@duinroos_help you are absolute clowns, every single one of you", [ABUSE],
     kind="reply")
case("nl", pub("instagram", "@anoniem_1234"), "die nieuwe influencer van duinroos is echt een dikke trut, wie heeft "
     "haar gekozen", [ABUSE], kind="comment")
case("en", pub("facebook", "Dirk Stam"), "Duinroos putting a woman in a hijab in their new campaign. go back where "
     "you came from. disgusting", [ABUSE], kind="comment")
case("nl", NOA, "sommige klanten zijn echt debiel. mevrouw, het staat OP het etiket 🙄", [ABUSE])
case("nl", C_X, "@pietertje88 rot toch op met je nepreviews, sukkel", [ABUSE], kind="reply", handle_as="@Duinroos_NL")
case("nl", pub("tiktok", "@ongefilterd"), "f*ck duinroos en hun nepreclames 🖕", [ABUSE], kind="comment",
     tags=["evasion"])
case("nl", pub("tiktok", "@xx_rage_xx"), "tyfusmerk met je nep-influencers", [ABUSE], kind="comment")
case("en", pub("x", "@n0_name_here"), "I know where that Duinroos social media girl lives. she should watch herself",
     [ABUSE])
case("nl", pub("x", "@zuurpruim"), "k4nker bedrijf, hoop dat jullie failliet gaan", [ABUSE], tags=["evasion"])
case("en", EVA, "ugh, these fake-tan influencer bimbos pitching to us are so brainless. delete your accounts", [ABUSE])
case("nl", pub("facebook", "Ron Visser"), "Klote service. 3 weken geen antwoord op mijn mail over mijn kapotte "
     "bestelling, stelletje idioten", [COMPLAINT, ABUSE])

# ===========================================================================
# benign (hard negatives)
# ===========================================================================
# prices
case("nl", C_IG, "Black Friday is er 🖤 30% korting op de Hydra Serum: nu €24,47 in plaats van €34,95. Alleen dit "
     "weekend op duinroos.nl", tags=["sale"])
case("nl", pub("x", "@voordeelvera"), "Hydra serum bij de drogist in de actie, 2e halve prijs. Twee flesjes voor "
     "€52,43, meteen voorraad ingeslagen 😌", tags=["sale"])
case("en", pub("reddit", "u/sensitive_sam"), "The Ordinary niacinamide is like €7 and the Duinroos Hydra Serum is "
     "€34.95. Is it really 5x better? genuinely asking, sensitive skin here", tags=["price-context", "competitor"])
case("nl", pub("facebook", "Yvonne Kuipers"), "Te koop: Duinroos Nachtbalsem, 1x gebruikt (past niet bij mijn huid). "
     "€15, ophalen in Leiden-Noord", tags=["price-context", "second-hand"])
case("en", pub("instagram", "@bday.planner"), "got €10 off the Ritueel Giftset with the newsletter code 🎁 perfect bday "
     "gift for my sister", tags=["sale", "price-context"])
case("nl", pub("x", "@zomerzus"), "Was dat nou een prijsfout? Nee hoor, gewoon de zomeractie: Zonnefluid voor €15,95 "
     "t/m zondag ☀️", kind="reply", tags=["negation", "sale"])
case("nl", pub("threads", "@handigehenk"), "Goed om te weten: bij Duinroos is verzenden gratis vanaf €40, daaronder "
     "betaal je €4,95", tags=["fee"])
case("nl", C_FB, "Bij elke Ritueel Giftset krijg je deze maand een gratis mini Hydra Serum (5 ml, t.w.v. €6,95) 💝",
     tags=["price-context"])
# secrets look-alikes
case("nl", BRAM, "Tip voor wie net met Stripe begint: in de docs staat sk_live_xxxxxxxx als voorbeeld. Plak daar "
     "NOOIT je echte key in een issue 😅", tags=["placeholder"])
case("en", BRAM, "finally fixed the flaky checkout test 🎉 it was a timezone thing, of course. commit "
     "9c4e1f2a7b3d0e6f5a8c2b1d4e7f0a3c6b9d2e5f if you care", tags=["git-sha"])
case("nl", YUSUF, "Security-tip van de week: GitHub-tokens beginnen met ghp_ en AWS access keys met AKIA. Zet "
     "secret scanning aan op je repos, het kost niks.", tags=["prefix-only"])
case("nl", C_HELP, "Wachtwoord vergeten? Via duinroos.nl/account kun je het zelf resetten. Wij vragen er nooit om "
     "via DM of mail 🔐", tags=["password-word"])
# own contact data and numbers that are not personal data
case("nl", C_HELP, "Hoi Marloes! Stuur je ordernummer even naar klantenservice@duinroos.nl of bel ons op "
     "088-3846700 (ma–vr 9–17u), dan zoeken we het uit 💛", kind="reply", tags=["own-contact"])
case("nl", C_FB, "Liever betalen via overschrijving? Kan gewoon: NL17 INGB 0007 3125 44 t.a.v. Duinroos Skincare "
     "B.V., o.v.v. je ordernummer. Vragen? Bel +31 71 760 2040", tags=["own-contact"])
case("nl", pub("x", "@oplettendeoma"), "Kreeg een mail 'van Duinroos' dat ik €49,95 moest overmaken naar "
     "{{BAD_IBAN_NL:grp}}. Dat nummer klopt niet eens, is phishing. Niet doen mensen!", tags=["bad-checksum"])
case("nl", pub("forum", "cadeautjes_carla"), "Weet iemand of een Duinroos cadeaukaart (nummer {{BAD_CARD:visa_sp}}) "
     "ook in de winkel werkt of alleen online?", tags=["bad-checksum"])
case("en", pub("x", "@serumsteph"), "order #{{NOT_BSN9}} shipped today, tracking 3SDUIN{{DIGITS:9}} 🥳 can't wait "
     "for my serum", tags=["order-number"])
case("nl", pub("instagram", "@drogistjunkie"), "Voor wie de lipbalsem zoekt bij de drogist: EAN {{EAN13}}, ligt bij "
     "de lippenverzorging 💄", tags=["ean"])
case("en", C_LI, "Duinroos Skincare B.V. · Leiden · KvK {{NOT_BSN8}}\nWe're hiring a Senior Formulation Chemist! "
     "Apply via vacatures@duinroos.nl", tags=["own-contact", "kvk"])
case("nl", pub("x", "@vraagje_vivian"), "Iemand ervaring met Duinroos zonnefluid uit LOT 26C118? Wil weten hoe lang "
     "hij nog goed is na openen", tags=["batch-number", "question"])
# codename words in ordinary use, embargo after its moment, public URLs
case("nl", pub("instagram", "@texel_tessa"), "zeekraal geplukt op de kwelder bij Texel 🌿 straks even bakken in "
     "boter. En daarna Duinroos aftersun want ik ben knalrood 😅", tags=["codename-word"])
case("nl", pub("threads", "@ochtendmens"), "Ochtendwandeling door het helmgras bij Meijendel, huid glowt en het is "
     "pas 8 uur 🌾 #duinroos", tags=["codename-word"])
case("nl", C_IG, "Hij is er! 🌊 Zeeschuim Retinol Serum, vanaf vandaag in onze shop en bij de drogist.",
     when="2026-10-01T10:00:00+02:00", tags=["embargo-after", "embargo-edge"])
case("en", pub("x", "@texture_tales"), "two weeks in with the Zeeschuim serum and honestly? my texture is so much "
     "smoother. no irritation either 🌊", when="2026-10-15T20:41:10Z", tags=["embargo-after"])
case("nl", pub("x", "@beursflits"), "Duinroos publiceert halfjaarcijfers 2026: omzet +9%, marge onder druk door "
     "duurdere grondstoffen.", when="2026-08-20T09:15:00+02:00", tags=["embargo-after", "published-news"])
case("nl", INGRID, "Gisteren publiceerden we de halfjaarcijfers 2026. Trots op het team dat dit mogelijk maakte 🙌 "
     "Het persbericht staat op duinroos.nl/investors", when="2026-08-21T08:05:31.250+02:00",
     tags=["embargo-after"])
case("en", pub("x", "@numbersnerd"), "Duinroos H1 2026 results are out: revenue +9%. Not bad for a skincare brand "
     "from Leiden", when="2026-08-20T08:00:00+02:00", tags=["embargo-after", "embargo-edge"])
case("en", pub("x", "@restock_radar"), "restock alert!! the Night Balm is back on shop.duinroos.nl 🌙 go go go",
     tags=["public-domain"])
case("nl", pub("tiktok", "@nat.skin"), "mijn top secret skincare routine (niet doorvertellen 🤫): water drinken, "
     "slapen en SPF. that's it", tags=["joke"])
case("nl", pub("blog", "huidverhalen.nl"), "Kort verhaal, deel 3. Elise sloot het lab af en keek nog één keer naar de "
     "flesjes. 'Niemand mag weten wat hier in zit,' fluisterde ze. Morgen zou iedereen haar serum willen hebben.",
     tags=["fiction"])
# financial, security look-alikes
case("nl", pub("x", "@cosmeticanieuws"), "Maison Berrand schrapt 300 banen in Frankrijk na tegenvallende verkopen "
     "#cosmetica", kind="repost", tags=["other-company"])
case("nl", C_LI, "We groeien! 🌱 In ons lab in Leiden zoeken we 3 nieuwe collega's. Kijk op duinroos.nl/werken-bij",
     tags=["hiring"])
case("en", pub("x", "@shopaholic_saar"), "my budget has officially been restructured after the Duinroos sale 💸 no regrets",
     tags=["joke"])
case("nl", C_HELP, "Gepland onderhoud: de webshop is vannacht tussen 01:00 en 03:00 even niet bereikbaar. "
     "Bestellingen daarvoor en daarna gaan gewoon door 🛠️", tags=["official-notice"], handle_as="@Duinroos_Help")
case("nl", C_X, "Let op: er gaan nepmails rond uit naam van Duinroos met een 'gratis giftset'. Wij vragen nooit om "
     "je bankgegevens. Twijfel? Mail klantenservice@duinroos.nl", tags=["official-notice", "own-contact"])
case("en", pub("reddit", "u/privacy_pim"), "Huge data breach at some US beauty retailer today, 2M records. Glad my "
     "Duinroos account has 2FA at least", tags=["other-company"])
case("nl", pub("x", "@nuchtere_nina"), "Nee, Duinroos is niet gehackt hoor, die mail was gewoon phishing. Check "
     "altijd de afzender 👀", kind="reply", tags=["negation"])
case("en", YUSUF, "Ran our yearly phishing awareness training today. 92% of colleagues reported the test mail within "
     "an hour. Proud of this bunch 🛡️", tags=["employee-ordinary"])
# reputation look-alikes
case("nl", pub("threads", "@spaarstand"), "Ik boycot mezelf deze maand van online shoppen haha. Behalve de Duinroos "
     "lipbalsem, die is op en dat is een noodgeval", tags=["other-sense"])
case("en", pub("reddit", "u/forgetful_fenna"), "I can't recall which Duinroos cream my sister recommended, the yellow "
     "tube? help", tags=["other-sense"])
case("en", pub("x", "@zonnebrilletje"), "Another sunscreen brand is recalling a batch over low SPF. glad I've "
     "got Duinroos in my bag", tags=["other-company"])
case("en", pub("instagram", "@lobster.lena"), "got absolutely toasted at the beach 🦞 Duinroos aftersun is saving my "
     "life rn", tags=["near-miss"])
case("nl", pub("tiktok", "@patchtestpien"), "patch test gedaan met de nachtbalsem, 48 uur niks, geen reactie ✅ "
     "vanavond eindelijk echt proberen", tags=["negation"])
case("nl", pub("facebook", "Ria Bosman"), "Geen klachten hoor! Serum werkt top en de bestelling was in 1 dag binnen 🙌",
     tags=["negation"])
case("nl", pub("x", "@rosacea_rosa"), "Is de Duinroos zonnefluid ook geschikt voor een gevoelige huid met rosacea? "
     "Iemand ervaring?", tags=["question"])
case("en", pub("x", "@happyhilde"), "shoutout to @duinroos_help, sorted out my wrong shipment in 5 minutes. that's "
     "how it's done 👏", tags=["praise"])
case("nl", pub("instagram", "@nootjesnienke"), "Zit er amandelolie of een andere notenolie in de Lipbalsem "
     "Rozenbottel? Heb een notenallergie 🥜", kind="comment", tags=["question", "allergy-word"])
case("nl", C_IG, "Huidkanker is de meest voorkomende vorm van kanker in Nederland. Smeer je in, ook als het bewolkt "
     "is ☁️☀️ #huidkankermaand", tags=["literal-word"])
case("en", pub("x", "@mirror_talk"), "'damn, she's glowing' — me quoting my own bathroom mirror after the Duinroos "
     "routine 😌", tags=["quote", "mild-word"])
case("en", pub("tiktok", "@mascara.melt"), "this Kwelder cleansing oil should be illegal, it melts my waterproof "
     "mascara in 3 seconds 😭", tags=["joke"])
case("en", C_LI, "Our lab team is killing it 🔥 three dermatologically tested formulas passed their final stability "
     "checks this quarter. Thank you all!", tags=["joke"])
case("nl", pub("x", "@vraagstelster"), "'Wij testen nooit op dieren' staat letterlijk op de site van Duinroos. Weet "
     "iemand of dat ook voor hun leveranciers geldt?", tags=["quote", "question"])
case("nl", pub("instagram", "@eerlijkeeline"), "#ad | samenwerking met @duinroos.skincare — mijn eerlijke mening na "
     "4 weken Hydra Serum: minder rode plekjes, fijne textuur ✨", tags=["influencer"])
case("nl", pub("tiktok", "@boterzacht"), "deze reinigingsolie is echt insane goed 😭 mijn huid voelt als boter",
     tags=["slang"])
# employees and corporate being ordinary
case("en", BRAM, "gave a talk at a frontend meetup in Leiden about making webshops faster on slow phones, slides are "
     "on my site 🙌", tags=["employee-ordinary"])
case("en", NOA, "Lovely shift on the phones today. A customer called just to tell us her eczema has finally "
     "calmed down 🥹", tags=["employee-ordinary"])
case("en", C_TT, "POV: you finally found a cleanser that doesn't sting 🫧 (it's ours, obviously)",
     tags=["corporate-ordinary"])


# ===========================================================================
# profile, role and severity
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


def severity_for(role, cats, pii_validated):
    insider = role in ("corporate", "employee")
    sev = "none"
    for c in cats:
        if c.startswith("leak."):
            if insider:
                s = "critical" if (c in (SECRET, PRICING) or (c == PII and pii_validated)) else "error"
            else:
                s = "warning"
        elif c == COMPLAINT:
            s = "warning"
        elif c == CRISIS:
            s = "error"
        elif c == ABUSE:
            s = "error" if insider else "warning"
        else:
            raise ValueError(c)
        if RANK[s] > RANK[sev]:
            sev = s
    return sev


# ===========================================================================
# building
# ===========================================================================

def amsterdam_offset(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < dt.datetime(
        2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def some_time(r):
    t = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc) + dt.timedelta(
        days=r.randint(0, 355), minutes=r.randint(6 * 60, 23 * 60 + 30), seconds=r.randint(0, 59))
    off = amsterdam_offset(t)
    t -= dt.timedelta(hours=off)          # the minutes above were local time
    u = r.random()
    if u < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if u < 0.88:
        return (t + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def post_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    big = r.randint(1_880_000_000_000_000_000, 2_000_000_000_000_000_000)
    short = "".join(r.choice(URLSAFE) for _ in range(11))
    if platform == "x":
        return f"x-{big}", f"https://x.com/{h}/status/{big}"
    if platform == "linkedin":
        a = r.randint(7_300_000_000_000_000_000, 7_400_000_000_000_000_000)
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        return f"ig-{big}", f"https://www.instagram.com/p/{short}/"
    if platform == "threads":
        return f"th-{big}", f"https://www.threads.net/@{h}/post/{short}"
    if platform == "tiktok":
        return f"tt-{big}", f"https://www.tiktok.com/@{h}/video/{big}"
    if platform == "facebook":
        n = r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{n}", f"https://www.facebook.com/permalink.php?story_fbid={n}"
    if platform == "reddit":
        p = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
        if kind == "comment":
            c = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/huidverzorging/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/huidverzorging/comments/{p}/"
    if platform == "youtube":
        return f"yt-Ugz{short}{r.randint(1000, 9999)}", f"https://www.youtube.com/watch?v={short}"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-mooiemensen-{n}", f"https://forum.mooiemensen.example/t/{n}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog-{h}-{n}", f"https://{h}/verhalen/{n}"
    n = r.randint(10 ** 7, 10 ** 9)
    return f"{platform}-{n}", None


def build(profile):
    vals = Values(SEED)
    meta = random.Random(SEED + 7)
    shuf = random.Random(SEED + 11)
    rows, seen = [], set()
    for c in CASES:
        text, used = fill(vals, c["text"])
        pid, url = post_id(meta, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        created = c["when"] or some_time(meta)
        role = role_of(profile, c["platform"], c["handle"])
        validated = PII in c["cats"] and any(k in VALIDATED for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and meta.random() < 0.65:
            kind = "post"
        if kind:
            post["kind"] = kind
        acct = {"handle": c["handle"]}
        if c["name"] and meta.random() < 0.7:
            acct["display_name"] = c["name"]
        if meta.random() < 0.3:
            acct["id"] = str(meta.randint(10 ** 7, 10 ** 11))
        post["account"] = acct
        post["text"] = text
        u = meta.random()
        tags = set(c["tags"])
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif u < 0.09:
            pass
        elif u < 0.12:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            tags.add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.45:
            post["brand"] = "duinroos"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=tags, used=used))
    shuf.shuffle(rows)
    return rows


def lines_of(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ===========================================================================
# checker (an outsider's reading of the file)
# ===========================================================================

INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
IBAN_RX = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
NUM_RX = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
BSN_RX = re.compile(r"(?<![\w.,-])(\d{8,9}|\d{4}\.\d{2}\.\d{3})(?![\w]|[.,-]\d)")
MAIL_RX = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RX = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-()]{7,14}\d")
SECRET_RX = [re.compile(p) for p in (
    r"ghp_[A-Za-z0-9]{36}", r"AKIA[A-Z2-7]{16}", r"shpat_[a-f0-9]{32}", r"SG\.[\w-]{22}\.[\w-]{43}",
    r"\b[a-f0-9]{32}-us\d{1,2}\b", r"sk_live_[A-Za-z0-9]{20,}", r"AIza[\w-]{35}", r"hooks\.slack\.com/services/",
    r"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+", r"-----BEGIN [A-Z ]*PRIVATE KEY-----", r"://[^\s:/@]+:[^\s@/]+@")]
SWEARS = ["kut", "kanker", "k4nker", "tering", "tyfus", "klote", "klootzak", "debiel", "trut", "sukkel", "idioot",
          "idioten", "fuck", "f*ck", "shit", "clown", "bimbo", "moron"]
PRICE_ERR = ["prijsfout", "pricing error", "pricing mistake", "glitch", "mistake", "fout", "foutje", "prijsfeed"]
AMOUNT_RX = re.compile(r"(?:€\s?)(\d[\d.,]*)|(\d[\d.,]*)\s?(?:euro|euros|eur)\b", re.I)


def norm(t):
    t = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", t).translate(INVIS))
    t = "".join(ch for ch in t if not unicodedata.combining(ch))
    return re.sub(r"\s+", " ", t).casefold()


def amount(s):
    s = s.rstrip(".,")
    if "," in s and "." in s:
        dec = "," if s.rfind(",") > s.rfind(".") else "."
        s = s.replace("." if dec == "," else ",", "").replace(dec, ".")
    elif "," in s:
        s = s.replace(",", ".") if re.search(r",\d{2}$", s) else s.replace(",", "")
    elif "." in s and not re.search(r"\.\d{2}$", s):
        s = s.replace(".", "")
    return float(s)


def lowest_ratio(text, products):
    t = norm(text)
    hit = [p for p in products if any(norm(a) in t for a in [p["name"]] + p["aliases"])]
    nums = [amount(m.group(1) or m.group(2)) for m in AMOUNT_RX.finditer(t)]
    if not hit or not nums:
        return None
    return min(nums) / min(p["list_price"] for p in hit)


def phone_digits(raw):
    d = re.sub(r"\D", "", raw)
    if raw.startswith("+31"):
        d = "0" + d[2:].lstrip("0")
    elif raw.startswith("0031"):
        d = "0" + d[4:]
    return d


def check(disk, rows, profile):
    errs, notes = [], []
    own_mail = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_phone = {phone_digits(p) for p in profile["public_identifiers"]["phones"]}
    own_iban = set(profile["public_identifiers"]["ibans"])
    emb = [(norm(t), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = [norm(x) for x in profile["internal"]["codenames"] + profile["internal"]["domains"]
                + profile["internal"]["markers"]]
    by_id = {(r["post"]["platform"], r["post"]["id"]): r for r in rows}
    seen = set()
    for n, line in enumerate(disk, 1):
        w = f"line {n}"
        o = json.loads(line)
        p, ex = o["post"], o["expect"]
        assert set(o) == {"post", "expect"}
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                errs.append(f"{w}: {f} missing")
        if not isinstance(p.get("account", {}).get("handle"), str):
            errs.append(f"{w}: handle missing")
        if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", p["created_at"]):
            errs.append(f"{w}: bad timestamp")
        ts = parse_ts(p["created_at"])
        key = (p["platform"], p["id"])
        if key in seen:
            errs.append(f"{w}: duplicate id")
        seen.add(key)
        cats, sev = ex["categories"], ex["severity"]
        if cats != sorted(set(cats)) or any(c not in CATS for c in cats):
            errs.append(f"{w}: bad categories {cats}")
        r = by_id[key]
        role = role_of(profile, p["platform"], p["account"]["handle"])
        text = p["text"]
        valid_ids = []
        for m in IBAN_RX.finditer(text):
            v = m.group(0).replace(" ", "")
            if mod97_ok(v) and v not in own_iban:
                valid_ids.append(v)
        for m in NUM_RX.finditer(text):
            d = re.sub(r"\D", "", m.group(0))
            if 13 <= len(d) <= 19 and luhn(d):
                valid_ids.append(d)
        for m in BSN_RX.finditer(text):
            d = m.group(0).replace(".", "")
            if len(d) == 9 and elfproef(d):
                valid_ids.append(d)
        want = severity_for(role, cats, PII in cats and bool(valid_ids))
        if sev != want:
            errs.append(f"{w}: severity {sev} but policy gives {want}")
        if not cats and sev != "none":
            errs.append(f"{w}: benign but severity {sev}")
        for kind, raw, shown in r["used"]:
            if shown not in text:
                errs.append(f"{w}: {kind} not in text")
            if kind.startswith("IBAN_") and not mod97_ok(raw):
                errs.append(f"{w}: IBAN fails")
            if kind == "CARD" and not luhn(raw):
                errs.append(f"{w}: card fails Luhn")
            if kind == "BSN" and not elfproef(raw):
                errs.append(f"{w}: BSN fails")
            if kind == "BAD_IBAN_NL" and mod97_ok(raw):
                errs.append(f"{w}: bad IBAN passes")
            if kind == "BAD_CARD" and luhn(raw):
                errs.append(f"{w}: bad card passes")
            if kind in ("NOT_BSN9", "NOT_BSN8") and (elfproef(raw) or luhn(raw)):
                errs.append(f"{w}: look-alike passes a checksum")
            if kind == "EAN13" and (not ean_ok(raw) or luhn(raw)):
                errs.append(f"{w}: EAN wrong")
            if kind == "GHP" and ghp_checksum(raw[4:34]) != raw[34:]:
                errs.append(f"{w}: ghp checksum")
        if valid_ids and PII not in cats:
            errs.append(f"{w}: valid identifier {valid_ids} without leak.pii")
        if any(k in VALIDATED for k, _, _ in r["used"]) and not valid_ids:
            errs.append(f"{w}: generated identifier not found by scan")
        nt = norm(text)
        squashed = re.sub(r"\b(\w) (?=\w\b)", r"\1", nt)
        for term, until in emb:
            if term in nt or term in squashed:
                if ts < until and CONF not in cats:
                    errs.append(f"{w}: embargo term {term!r} before its moment without leak.confidential")
                if ts >= until and CONF in cats:
                    errs.append(f"{w}: embargo term {term!r} after its moment labelled confidential")
        for term in internal:
            if re.search(r"(?<![\w])" + re.escape(term) + r"(?![\w])", nt) and CONF not in cats:
                errs.append(f"{w}: internal term {term!r} without leak.confidential")
        ratio = lowest_ratio(text, profile["products"])
        if not cats:
            for m in MAIL_RX.findall(text):
                if m.casefold() not in own_mail:
                    errs.append(f"{w}: benign post with e-mail {m}")
            for m in PHONE_RX.finditer(IBAN_RX.sub(" ", text)):
                d = phone_digits(m.group(0))
                if len(d) == 10 and d not in own_phone:
                    errs.append(f"{w}: benign post with phone {m.group(0)}")
            for rx in SECRET_RX:
                if rx.search(text):
                    errs.append(f"{w}: benign post with secret shape {rx.pattern}")
            for s in SWEARS:
                if re.search(r"(?<!\w)" + re.escape(s), nt):
                    (notes if ("literal-word" in r["tags"] and s == "kanker") else errs).append(
                        f"{w}: benign post with word {s!r}")
            if ratio is not None and ratio < profile["pricing"]["alert_below_ratio"]:
                (notes if "price-context" in r["tags"] else errs).append(
                    f"{w}: benign post with a price at {ratio:.2f} of list")
        if PRICING in cats:
            talk = any(x in nt or x in squashed for x in PRICE_ERR)
            if not (ratio is not None and ratio < 0.5) and not talk:
                notes.append(f"{w}: pricing without a parsed low price or error words")
    return errs, notes


def report(rows):
    tot = len(rows)
    cat_c, cat_lang, cat_role = Counter(), Counter(), Counter()
    sev_c, lang_c, role_c, plat_c, tag_c = Counter(), Counter(), Counter(), Counter(), Counter()
    benign = multi = evasion = 0
    for r in rows:
        cats = r["expect"]["categories"]
        lang_c[r["lang"]] += 1
        role_c[r["role"]] += 1
        plat_c[r["post"]["platform"]] += 1
        sev_c[r["expect"]["severity"]] += 1
        for t in r["tags"]:
            tag_c[t] += 1
        if not cats:
            benign += 1
            cat_c["(benign)"] += 1
            cat_lang[("(benign)", r["lang"])] += 1
            cat_role[("(benign)", r["role"])] += 1
        multi += len(cats) > 1
        evasion += "evasion" in r["tags"]
        for c in cats:
            cat_c[c] += 1
            cat_lang[(c, r["lang"])] += 1
            cat_role[(c, r["role"])] += 1
    print(f"cases {tot}  benign {benign}  positive {tot - benign}  multi {multi}  evasion {evasion}")
    print(f"{'category':24s} total   nl   en  corp  empl  publ")
    for c in CATS + ["(benign)"]:
        print(f"{c:24s} {cat_c[c]:5d} {cat_lang[(c, 'nl')]:4d} {cat_lang[(c, 'en')]:4d} "
              f"{cat_role[(c, 'corporate')]:5d} {cat_role[(c, 'employee')]:5d} {cat_role[(c, 'public')]:5d}")
    print("languages", dict(lang_c), " roles", dict(role_c))
    print("severities", {s: sev_c[s] for s in SEVS})
    print("platforms", dict(plat_c.most_common()))
    print("tags", dict(sorted(tag_c.items())))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    lines = lines_of(rows)
    if not a.check:
        OUT.write_text("".join(lines), encoding="utf-8")
        print(f"wrote {len(lines)} cases to {OUT}")
    disk = OUT.read_text(encoding="utf-8").splitlines(keepends=True)
    errs, notes = check(disk, rows, profile)
    if disk != lines:
        errs.append("cases.jsonl differs from the generator output")
    report(rows)
    for x in notes:
        print("  note  " + x)
    print(f"{len(errs)} error(s)")
    for e in errs:
        print("  ERROR " + e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
