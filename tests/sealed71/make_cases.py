#!/usr/bin/env python3
"""Deterministic generator for the sealed71 evaluation set (postwatch).

    python3 make_cases.py          # writes cases.jsonl next to this file and validates it

Company: the fictional Dutch bakery chain "Korenbloem Bakkerijen B.V." (profile.yaml):
bakeries, a cake webshop (custom birthday cakes, photo cakes, wedding cakes), bread
subscriptions, franchise shops, allergen information and home delivery.

Every text is written by hand in the CASES list. Identifiers and secrets come from
<<KIND:fmt>> placeholders filled by one seeded RNG, so the output is byte-for-byte
reproducible. Positives get checksum-VALID identifiers (IBAN mod-97, Luhn, BSN 11-proof),
hard negatives get look-alikes that FAIL their check. Secrets are random and fake but shaped
like the real formats (GitHub tokens carry their CRC32 checksum).

Severity is never typed by hand: severity_for() derives it from CONTRACT section 4 using
the account role (from profile.yaml, platform:handle case-insensitive), the categories,
and whether a checksum-validated identifier is in the text.
Needs Python 3.9+ and PyYAML.
"""
import base64
import datetime as dt
import json
import random
import re
import string
import sys
import unicodedata
import zlib
from pathlib import Path

SEED = 71_2026_0711
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
ZW = "\u200b"
SHY = "\u00ad"
CYR_O = "\u043e"   # Cyrillic small o, looks like Latin o


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) - 0x21 + 0xFF01) if "!" <= c <= "~" else c for c in s)


# --------------------------------------------------------------------------- checksums

def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


def iban_make(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return f"{cc}{98 - n % 97:02d}{bban}"


def luhn_ok(d):
    d = re.sub(r"\D", "", d)
    tot = 0
    for i, ch in enumerate(reversed(d)):
        v = int(ch) * (2 if i % 2 else 1)
        tot += v - 9 if v > 9 else v
    return bool(d) and tot % 10 == 0


def luhn_complete(p):
    return next(p + x for x in "0123456789" if luhn_ok(p + x))


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t % 11 == 0 and t != 0


def ean13_ok(s):
    d = [int(c) for c in s]
    return (sum(d[i] * (3 if i % 2 else 1) for i in range(12)) + d[12]) % 10 == 0


# --------------------------------------------------------------------------- generators

ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
HEX = "0123456789abcdef"
OWN_IBAN = "NL93RABO0314159265"


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def digits(self, n, nz=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def chars(self, alpha, n):
        return "".join(self.r.choice(alpha) for _ in range(n))

    @staticmethod
    def grp(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    # IBAN
    def iban_nl(self):
        while True:
            v = iban_make("NL", self.r.choice(["RABO", "INGB", "ABNA", "SNSB", "ASNB", "KNAB", "BUNQ", "TRIO"])
                          + self.digits(10, True))
            if v != OWN_IBAN:
                return v

    def iban_de(self):
        return iban_make("DE", self.r.choice(["50010517", "37040044", "43060967", "12030000"]) + self.digits(10))

    def iban_be(self):
        first = self.r.choice(["063", "001", "735", "143"]) + self.digits(7)
        chk = int(first) % 97 or 97
        return iban_make("BE", f"{first}{chk:02d}")

    def bad_iban(self, v):
        kk = int(v[2:4])
        for delta in (7, 19, 31, 43, 59):
            c = f"{v[:2]}{(kk + delta) % 100:02d}{v[4:]}"
            if not iban_ok(c):
                return c
        raise AssertionError

    # cards
    def card(self, brand):
        if brand == "visa":
            return luhn_complete("4" + self.digits(14))
        if brand == "mc":
            return luhn_complete("5" + self.r.choice("12345") + self.digits(13))
        if brand == "mc2":
            return luhn_complete(str(self.r.randint(2221, 2720)) + self.digits(11))
        if brand == "amex":
            return luhn_complete(self.r.choice(["34", "37"]) + self.digits(12))
        raise ValueError(brand)

    def bad_card(self):
        v = self.card(self.r.choice(["visa", "mc"]))
        b = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_ok(b)
        return b

    @staticmethod
    def fmt_card(v, fmt):
        if fmt == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if fmt == "dash" else " ").join(parts)

    # BSN and look-alikes
    def bsn(self):
        while True:
            s = self.digits(9, True)
            if bsn_ok(s):
                return s

    def not_bsn(self, n=9):
        while True:
            s = self.digits(n, True)
            if not bsn_ok(s) and not luhn_ok(s):
                return s

    def ean13(self):
        while True:
            body = "87" + self.digits(10)
            c = next(body + d for d in "0123456789" if ean13_ok(body + d))
            if not luhn_ok(c) and not bsn_ok(c):
                return c

    # phones
    def phone(self, fmt):
        if fmt.startswith("mob"):
            d8 = self.r.choice("12345") + self.digits(7)
            return {
                "mob_dash": f"06-{d8}",
                "mob_plain": f"06{d8}",
                "mob_pairs": f"06 {d8[:2]} {d8[2:4]} {d8[4:6]} {d8[6:]}",
                "mob_intl": f"+31 6 {d8[:2]} {d8[2:5]} {d8[5:]}",
                "mob_0031": f"0031 6{d8}",
                "mob_intl0": f"+31 (0)6 {d8}",
            }[fmt]
        area = self.r.choice(["30", "33", "20", "10", "70", "35", "40", "50"])
        sub = self.r.choice("2345789") + self.digits(6)
        return {
            "land_dash": f"0{area}-{sub}",
            "land_sp": f"0{area} {sub[:3]} {sub[3:5]} {sub[5:]}",
            "land_intl": f"+31 {area} {sub[:3]} {sub[3:]}",
        }[fmt]

    # secrets
    def ghp(self):
        body = self.chars(ALNUM, 30)
        return "ghp_" + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def jwt(self):
        enc = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
        head = enc(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        body = enc(json.dumps({"sub": "drv_" + self.digits(5, True), "iss": "bezorg.korenbloem.nl",
                               "scope": "route:read", "iat": iat, "exp": iat + 7200},
                              separators=(",", ":")).encode())
        return f"{head}.{body}.{self.chars(B64URL, 43)}"

    def pem_rsa(self):
        body = "MIIEowIBAAKCAQEA" + self.chars(B64, 64 * 6 - 16)
        lines = [body[i:i + 64] for i in range(0, len(body), 64)] + [self.chars(B64, 40) + "=="]
        return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"

    def pem_ec(self):
        body = "MHcCAQEEI" + self.chars(B64, 55) + "\n" + "oAoGCCqGSM49AwEHoUQDQgAE" + self.chars(B64, 40) + "\n" \
            + self.chars(B64, 44) + "=="
        return "-----BEGIN EC PRIVATE KEY-----\n" + body + "\n-----END EC PRIVATE KEY-----"

    def password(self):
        return (self.r.choice(string.ascii_uppercase) + self.chars(string.ascii_lowercase, 4)
                + self.chars(string.digits, 2) + self.r.choice("!#%*") + self.chars(ALNUM, 6))


PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?(?::([a-z0-9_]+))?>>")
VALID_ID_KINDS = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "CARD", "BSN"}


def render(g, text):
    used = []

    def sub(m):
        kind, a, b = m.group(1), m.group(2) or "", m.group(3) or ""
        raw = None
        if kind in ("IBAN_NL", "IBAN_DE", "IBAN_BE"):
            raw = getattr(g, kind.lower())()
            shown = g.grp(raw) if a == "grp" else raw
        elif kind == "BAD_IBAN_NL":
            raw = g.bad_iban(g.iban_nl())
            shown = g.grp(raw) if a == "grp" else raw
        elif kind == "OWN_IBAN":
            raw = OWN_IBAN
            shown = g.grp(raw) if a == "grp" else raw
        elif kind == "CARD":
            raw = g.card(a)
            shown = g.fmt_card(raw, b or "sp")
        elif kind == "BAD_CARD":
            raw = g.bad_card()
            shown = g.fmt_card(raw, a or "sp")
        elif kind == "BSN":
            raw = g.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if a == "dots" else raw
        elif kind == "NOT_BSN":
            raw = g.not_bsn(int(a) if a else 9)
            shown = raw
        elif kind == "EAN13":
            raw = g.ean13()
            shown = raw
        elif kind == "PHONE":
            raw = g.phone(a)
            shown = raw
        elif kind == "GHP":
            raw = shown = g.ghp()
        elif kind == "AWS_ID":
            raw = shown = "AKIA" + g.chars(B32, 16)
        elif kind == "AWS_SECRET":
            raw = shown = g.chars(B64, 40)
        elif kind == "STRIPE":
            raw = shown = "sk_live_" + g.chars(ALNUM, 24)
        elif kind == "MOLLIE":
            raw = shown = "live_" + g.chars(ALNUM, 30)
        elif kind == "SHOPIFY":
            raw = shown = "shpat_" + g.chars(HEX, 32)
        elif kind == "SENDGRID":
            raw = shown = "SG." + g.chars(B64URL, 22) + "." + g.chars(B64URL, 43)
        elif kind == "GLPAT":
            raw = shown = "glpat-" + g.chars(ALNUM + "-_", 20)
        elif kind == "GAPI":
            raw = shown = "AIzaSy" + g.chars(B64URL, 33)
        elif kind == "SLACK_HOOK":
            up = string.ascii_uppercase + string.digits
            raw = shown = (f"https://hooks.slack.com/services/T{g.chars(up, 8)}/B{g.chars(up, 10)}/"
                           f"{g.chars(ALNUM, 24)}")
        elif kind == "JWT":
            raw = shown = g.jwt()
        elif kind == "PEM_RSA":
            raw = shown = g.pem_rsa()
        elif kind == "PEM_EC":
            raw = shown = g.pem_ec()
        elif kind == "PW":
            raw = shown = g.password()
        elif kind == "SHA":
            raw = shown = g.chars(HEX, 40 if a == "full" else 7)
        else:
            raise ValueError(kind)
        used.append((kind, raw, shown))
        return shown

    return PH.sub(sub, text), used


# --------------------------------------------------------------------------- accounts

KB_NL = ("x", "@korenbloem_nl", "Korenbloem Bakkerij")
KB_SVC = ("x", "@korenbloem_service", "Korenbloem Klantenservice")
KB_IG = ("instagram", "@korenbloembakkerij", "Korenbloem")
KB_AMF = ("instagram", "@korenbloem_amersfoort", "Korenbloem Amersfoort")
KB_FB = ("facebook", "KorenbloemBakkerij", "Korenbloem Bakkerij")
KB_LI = ("linkedin", "korenbloem-bakkerijen", "Korenbloem Bakkerijen B.V.")
KB_TT = ("tiktok", "@korenbloem.taart", "Korenbloem Taart")
LOTTE = ("x", "@lotte_bakt", "Lotte Verhoef")                       # filiaalmanager Utrecht
RUUD = ("linkedin", "ruud-hendriks-korenbloem", "Ruud Hendriks")    # IT / webshop
NOOR = ("linkedin", "noor-azizi-fin", "Noor Azizi")                 # controller
KEVIN = ("x", "@kevin_bezorgt", "Kevin Smit")                       # bezorger
MEREL = ("instagram", "@merel.taartdecoratie", "Merel Jacobs")      # taartdecorateur
DAAN = ("reddit", "u/deeg_daan", None)                              # developer
FATIH = ("facebook", "fatih.demir.bakker", "Fatih Demir")           # bakker centrale bakkerij
SOPHIE = ("threads", "@sophie.hr.kb", "Sophie Vermeulen")           # HR


def pub(platform, handle, dn=None):
    return (platform, handle, dn)


SECRET, PII, PRICING, CONF, FIN, SEC = ("leak.secret", "leak.pii", "leak.pricing", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    platform, handle, dn = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, dn=dn, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# =========================================================================== leak.pricing
case("nl", MEREL, "Oeps 🙈 iemand op kantoor heeft de fototaart op €3,49 gezet ipv €34,95 op taarten.korenbloem.nl... "
     "wie snel is 🤭 (niet van mij gehoord)", [PRICING], kind="post")
case("en", KEVIN, "lmao the website is selling the Bruidstaart Trio for €24.90 rn 💀 we've had like 40 wedding cake "
     "orders since breakfast and guess who's delivering them", [PRICING])
case("nl", pub("x", "@joycevdm_"), "@korenbloem_nl klopt het dat het broodabonnement nu €2,75 per maand is?? staat zo "
     "op jullie site. heb er meteen 3 afgesloten voor mn hele familie haha #prijsfout", [PRICING], kind="reply")
case("nl", pub("forum", "KortingsKees"), "[Prijsfout?] Korenbloem Ontbijtbox € 3,99\n\nNormaal bijna 40 euro. "
     "Bezorging morgen tussen 7 en 9. Mijn gok: binnen een uur geannuleerd 🙃\n\nEdit: bevestigingsmail is binnen!",
     [PRICING])
case("en", pub("reddit", "u/stroopwafel_sam"), "Korenbloem (Dutch bakery chain) has their Christmas stollen at €1.49 "
     "on the webshop right now. Either a glitch or the deal of the century. Grabbed six.", [PRICING])
case("nl", KB_FB, "🎂 Alleen dit weekend: onze Verjaardagstaart op Maat voor €4,95! Jouw ontwerp, jouw smaak. "
     "Bestel via taarten.korenbloem.nl ✨", [PRICING])
case("nl", NOOR, "Collega's: de prijzenimport van vannacht is mislukt. Appeltaart XL en kerststol staan in de webshop op "
     "ongeveer 10% van de normale prijs (€2,15 en €1,50). IT draait het terug, deel tot die tijd aub geen screenshots.",
     [PRICING])
case("nl", pub("tiktok", "@zoetekauw.lisa"), "p r ij s f 0 u t bij korenbloem 😱😱 fototaart voor 3 euro 50\n"
     "ik ga er 5 bestellen voor de hele klas #taart #deal #fyp", [PRICING], tags=["evasion"])
case("en", pub("x", "@deal_dave_nl"), "the Korenbloem custom cake is €4,49 on their site rn 👀 pr1cing gl1tch, "
     "go go go before they notice", [PRICING], tags=["evasion"])
case("nl", LOTTE, "kassa in de winkel rekent de bruidstaart trio af voor €2,49 ipv €249 😂 iemand heeft de komma "
     "verschoven, pas morgen gefixt. tot die tijd handmatig aanslaan collega's!", [PRICING])
case("nl", pub("instagram", "@glutenvrij.genieten"), "@korenbloembakkerij ik zag net glutenvrij desembrood voor €0,69 "
     "in jullie webshop?! vast een foutje maar ik heb er toch 10 besteld 🤭🍞", [PRICING], kind="comment")
case("en", RUUD, "Lesson learned this week: a decimal-separator bug in our new price feed put a wrong price on the "
     "Ontbijtbox in the webshop for most of Tuesday. Finance is still counting how many orders came in before we "
     "caught it. #ecommerce #testing", [PRICING])
case("en", DAAN, "anyone know why the price sync to taarten.korenbloem.nl keeps failing? the live shop shows the photo cake "
     "at €0.35 and the job log on git.korenbloem.nl/webshop/prijzen only says 'decimal overflow' 🙃",
     [PRICING, CONF], kind="comment")

# =========================================================================== leak.secret
case("en", RUUD, "Friendly reminder after this week's code review: never paste payment credentials into a ticket. "
     "Real example we found (revoked since):\n\nMOLLIE_API_KEY=<<MOLLIE>>\n\n#devsecops #webshop", [SECRET])
case("nl", DAAN, "Iemand enig idee waarom de shopify koppeling een 401 geeft? token <<SHOPIFY>> werkt wel gewoon "
     "in postman 🤔", [SECRET])
case("en", KEVIN, "pls someone fix the route app 😩 login for the drivers tablet is bezorg01 / Krentenbol!42 and it "
     "keeps kicking me out every 10 min", [SECRET])
case("nl", LOTTE, "voor de zaterdagploeg: het wachtwoord van de kassa-pc is Tompouce2026! en de kluis weet je. "
     "niet op een briefje schrijven aub 🙏", [SECRET], handle_as="@Lotte_Bakt")
case("en", pub("blog", "appsec-annelies.example", "Annelies Mulder"), "Found a hard-coded AWS key pair in the "
     "Korenbloem Taarten Android app (3.8.0): <<AWS_ID>> with secret <<AWS_SECRET>>. I e-mailed pers@korenbloem.nl "
     "ten days ago and haven't had a reply.", [SECRET])
case("en", DAAN, "git push keeps failing on the CI runner, I set <<GHP>> as GITHUB_TOKEN and the scopes look fine?? "
     "what am I missing", [SECRET], kind="post")
case("nl", RUUD, "Eindelijk de bestel-API gemigreerd 🎉 Voor wie lokaal wil draaien:\n"
     "postgresql://bestel_app:<<PW>>@db02.intra.korenbloem.local:5432/bestellingen", [SECRET, CONF])
case("en", KB_LI, "We're hiring a backend developer! 🥐 Sneak peek of our stack:\n\nSENDGRID_API_KEY=<<SENDGRID>>\n"
     "NODE_ENV=production\n\nApply via www.korenbloem.nl/werken-bij", [SECRET])
case("en", pub("reddit", "u/maps_nerd_ut"), "Korenbloem's order page loads Google Maps with key <<GAPI>> and it isn't "
     "restricted at all lol. Someone there should lock that down.", [SECRET], kind="comment")
case("nl", SOPHIE, "w8woord HR-portaal voor de nieuwe collega's: W e l k o m K B 2 0 2 6 !\neerste keer inloggen en "
     "meteen veranderen he 😊", [SECRET], tags=["evasion"])
case("en", pub("forum", "crumbs_and_code"), "Ex-Korenbloem dev here. Their old staging box still accepts this key, "
     "nobody ever rotated it:\n<<PEM_RSA>>\nnot my problem anymore 🤷", [SECRET])
case("nl", KEVIN, "app zegt steeds sessie verlopen 😤 dit is mijn token <<JWT>> kan iemand van IT even kijken",
     [SECRET])
case("en", pub("x", "@hannah_bakes_not"), "@korenbloem_service can't log in to my bread subscription?? password is "
     "Zuurdesem88 and my email is hannah.kramer91@outlook.com, what am I doing wrong. 3rd day trying",
     [SECRET, PII, COMPLAINT], kind="reply")
case("nl", DAAN, "webhook voor #bestellingen-alerts als je je script wil koppelen: <<SLACK_HOOK>> (niet spammen pls)",
     [SECRET], kind="comment")

# =========================================================================== leak.pii
case("nl", KEVIN, "Mevrouw Jansen op de Oudegracht 112 in Utrecht heeft alweer haar broodabo niet binnengehaald 🙄 "
     "staat er nu 3 dagen op de stoep", [PII])
case("nl", KB_SVC, "@anoukvdb Hoi Anouk! Je terugbetaling van €44,95 voor de taart is vandaag teruggestort op "
     "<<IBAN_NL:grp>>. Fijne dag nog! 💛", [PII], kind="reply")
case("en", MEREL, "Look at this beauty 😍 dinosaur cake for little Finn, turning 5 on Saturday! Delivering tomorrow to "
     "his mum Sarah (<<PHONE:mob_pairs>>) in case anyone from the team needs to call her 🦕🎂", [PII])
case("nl", LOTTE, "Nieuwe collega begint maandag, kan HR haar gegevens nog even checken? Sanne de Wit, BSN "
     "<<BSN:dots>>, geb. 14-03-2004. Thanks!", [PII])
case("en", pub("x", "@jurre_v"), "@korenbloem_service charged TWICE for my cake!! card <<CARD:visa:sp>>, please refund "
     "one of them asap", [PII, COMPLAINT], kind="reply")
case("nl", pub("facebook", "marloes.peters.12", "Marloes Peters"), "Bestelling voor zaterdag nog steeds niet "
     "bevestigd 😤 Bel me aub terug op <<PHONE:mob_dash>>, ik heb al 2x de chat geprobeerd. Groetjes Marloes",
     [PII, COMPLAINT])
case("nl", NOOR, "Vraagje aan mijn netwerk: franchisenemer in Zeist betaalt zijn franchisefee vanaf rekening "
     "<<IBAN_NL>>, maar de incasso blijft weigeren. Iemand ervaring met dit soort storno's?", [PII])
case("en", pub("reddit", "u/annoyed_neighbour"), "This Korenbloem driver left my neighbour's cake at MY door, with the "
     "slip on top: 'Ahmed El Idrissi, Vinkenstraat 23, 3572 AB Utrecht, tel <<PHONE:land_dash>>'. Great privacy, "
     "guys. Anyone can read that.", [PII, COMPLAINT])
case("nl", KB_IG, "Gefeliciteerd Yara! 🎉 Jij wint onze fototaart-winactie. Yara, we bezorgen hem op Lindelaan 8 in "
     "Houten, klopt dat adres nog? 📸🎂", [PII])
case("en", pub("x", "@lisa_b88"), "@korenbloem_nl nobody answers my DMs about my wedding cake order. contact me at "
     "lisa.brouwer88 [at] gmail [dot] com pls, the wedding is in 2 weeks", [PII, COMPLAINT], kind="reply",
     tags=["evasion"])
case("nl", SOPHIE, "Vraagje voor de payroll-mensen: bakker uit Nieuwegein (Joris Peeters) wil zijn loon op een "
     "Belgische rekening, <<IBAN_BE:grp>>. Kan dat gewoon in ons systeem?", [PII])
case("en", pub("instagram", "@mama.of.emma"), "Ordered a cake for my daughter Emma van Leeuwen, born 02-11-2019, and "
     "the allergy form asked for her date of birth AND her school?? Why does @korenbloembakkerij need that 🤨",
     [PII, COMPLAINT])
case("nl", pub("x", "@bruidje2026"), "Hulp! Aanbetaling voor de bruidstaart lukt niet, ik heb nu al 3x "
     "<<CARD:amex:sp>> ingevoerd en hij blijft weigeren 😩 @korenbloem_service", [PII, COMPLAINT])
case("en", RUUD, "Debugging the checkout with the team: order 88213, Priya Ramdin, priya.ramdin@kpnmail.nl, card "
     "ending 4417. Why does she fail the 3DS step every single time?", [PII])
case("nl", LOTTE, "Duitse toeriste wil geld terug voor haar taart en heeft haar IBAN op een bonnetje geschreven: "
     "<<IBAN_DE>>. Mag ik dat gewoon vanuit de winkel regelen? 🤔", [PII])
case("nl", MEREL, "klant gaf in de winkel haar pasnummer op voor de aanbetaling van de bruidstaart, "
     "<<CARD:mc:dash>>, is dat wel de bedoeling zo? 🤔", [PII])
case("nl", pub("facebook", "ricardo.wolters", "Ricardo Wolters"), "Verkoop 2 kaartjes voor de Korenbloem "
     "taartworkshop van zaterdag in Utrecht, kan zelf niet. App me op <<PHONE:mob_0031>> 🧁", [PII])

# =========================================================================== leak.confidential
case("nl", LOTTE, "Morgen training over Project Zandloper, eindelijk nieuwe kassa's 🎉 wie heeft de slides nog?",
     [CONF])
case("en", RUUD, "Operatie Bladerdeeg kicks off on Monday. Long nights ahead 🥐☕ can't say more yet 🤐", [CONF])
case("nl", MEREL, "Proefbakken voor Goudkorst 🤫 ons nieuwe premium brood, komt pas volgend jaar in de winkels. "
     "Die korst is echt ✨", [CONF])
case("nl", KB_NL, "Binnenkort bij ons: de Ontbijtbox XL 😍🥐🧃 voor het hele gezin. Stay tuned!", [CONF],
     when="2026-10-15T07:59:00+02:00")
case("en", pub("x", "@tessa_eats"), "my cousin works at Korenbloem and says the Sinterklaas Surprisetaart is coming this "
     "autumn, with a marzipan letter hidden inside 👀", [CONF], when="2026-08-20T19:12:44+02:00")
case("en", KEVIN, "anyone remember the login page for planning.korenbloem.nl? new tablet and I can't find the bookmark",
     [CONF])
case("en", pub("forum", "kruimeltje_84"), "Leaked doc floating around in a Telegram group, header says KORENBLOEM "
     "VERTROUWELIJK. Looks like their new allergen supplier list.", [CONF])
case("nl", DAAN, "sprint review vandaag ging over Project\nZandloper, de migratie van alle kassa's naar de cloud. "
     "ben benieuwd", [CONF], tags=["evasion"])
case("en", MEREL, "Operatie 🥐 Bladerdeeg day 1 😍 so many new shops to design cakes for", [CONF], tags=["evasion"])
case("nl", RUUD, "Wie heeft de repo git.korenbloem.nl/webshop/taart-configurator gearchiveerd? Build faalt nu.", [CONF])
case("nl", pub("instagram", "@merel_taartdecoratie"), "Sneak peek van Goudkorst, ons nieuwe brood 🍞 (ssst!)", [CONF])
case("nl", LOTTE, "Mag eigenlijk niks zeggen (NDA met de leverancier) maar vanaf maart verkopen we vegan tompoucen in "
     "alle filialen 🤫💛", [CONF])
case("nl", SOPHIE, "Nieuwe roosterregels [" + fullwidth("KB-INTERNAL") + "]: vanaf 1 juni start de vroege dienst in de "
     "centrale bakkerij om 03:30", [CONF], tags=["evasion"])
case("en", NOOR, "Slide 4 of the franchise deck (niet voor extern gebruik): target margin per store goes up to 14% "
     "next year. Proud of this team!", [CONF, FIN])
case("en", pub("x", "@retailwatcher_nl"), "Hearing that Korenbloem's annual results 2026 will show a loss for the "
     "first time in a decade. Franchisees are nervous.", [CONF, FIN])

# =========================================================================== leak.financial
case("nl", NOOR, "Zware week op finance. Omzet Q3 ligt 9% onder budget, en dat nog voordat de jaarcijfers 2026 naar "
     "buiten gaan. Duimen voor de kerst 🎄", [FIN, CONF])
case("en", SOPHIE, "Hardest part of HR: preparing letters for the 38 colleagues at the Nieuwegein central bakery "
     "before the closure is even announced 💔", [FIN])
case("nl", FATIH, "Gerucht klopt, de centrale bakkerij gaat in 2027 dicht. Wij horen het pas officieel volgende "
     "maand dus ssst", [FIN])
case("en", pub("x", "@bakery_insider"), "My brother-in-law sits on Korenbloem's board: they're buying De Gouden Aar "
     "bakeries for about €18M. Not announced yet.", [FIN])
case("nl", RUUD, "Vanmiddag gehoord: 6 van de 14 collega's van IT worden on" + SHY + "t" + SHY + "sla" + SHY + "gen "
     "in de reorganisatie. Nog niet gecommuniceerd, dus even slikken.", [FIN], tags=["evasion"])
case("en", NOOR, "Our forecast for next year says ~15 franchise stores that don't break even will have to close. "
     "Board decides in November. Heavy stuff.", [FIN])
case("nl", LOTTE, "Filiaalmanagers kregen vandaag de cijfers: webshop-omzet +41% dit jaar, winkels -6%. Persbericht "
     "komt pas in maart 🤐", [FIN])
case("en", pub("reddit", "u/vlaai_enjoyer"), "Friend in Korenbloem finance says they're in talks with an investor to "
     "sell 40% of the company. Announcement maybe Q1.", [FIN], kind="comment")
case("en", KEVIN, "rumour in the depot: l4y0ffs for half the drivers in jan, deliveries go to an external company. "
     "nobody told us anything officially", [FIN], tags=["evasion"])
case("nl", pub("facebook", "wendy.schouten.9", "Wendy Schouten"), "Mijn vriendin werkt op het hoofdkantoor van "
     "Korenbloem: ze gaan 20 eigen winkels omzetten naar franchise en het personeel krijgt een andere cao. "
     "Nog geheim hoor.", [FIN])
case("en", RUUD, "Our M&A team asked me to set up a data room for the Gouden Aar deal at "
     "dataroom.intra.korenbloem.local 👀 exciting times", [FIN, CONF])

# =========================================================================== leak.security
case("nl", RUUD, "Niet verder vertellen: sinds vannacht zit er ransomware op de kassaservers. Winkels draaien op "
     "pin-only met handgeschreven bonnen. Communicatie naar klanten volgt misschien morgen.", [SEC])
case("en", DAAN, "so uh, turns out the photo upload on the custom cake page accepted .php files and someone dropped a "
     "webshell there 3 weeks ago. we're cleaning up, no announcement yet", [SEC], kind="comment")
case("nl", KEVIN, "alle bestellingen van vandaag kwijt, de bezorgapp is gehackt zeggen ze bij IT 😳 klanten weten "
     "nog van niks", [SEC])
case("en", pub("x", "@ingrid_k"), "Korenbloem is hiding a data breach. I got phishing mails quoting my exact cake "
     "order and address the day after ordering. They deny everything. #datalek", [SEC, CRISIS])
case("nl", pub("x", "@privacyvos"), "Bron binnen Korenbloem: klantgegevens van 80.000 webshopklanten zijn in augustus "
     "gelekt en ze hebben het nooit gemeld bij de AP. Ze houden het gewoon stil. Schandalig.", [SEC, CRISIS])
case("en", NOOR, "Finance heads-up: a fake invoice from a 'flour supplier' got paid last week, €46k gone through a "
     "hacked supplier mailbox. Police are involved, keep it internal for now.", [SEC])
case("nl", LOTTE, "kassa's zijn weer geh4ckt 🙄 derde keer deze maand, en we mogen het niet tegen klanten zeggen",
     [SEC], tags=["evasion"])
case("en", RUUD, "Fun fact: our franchise portal still runs an unpatched Struts version with a known RCE. Raised it "
     "3 times, nobody cares.", [SEC], handle_as="Ruud-Hendriks-Korenbloem")
case("nl", pub("reddit", "u/bitflipper_nl"), "Als je in de bestel-URL van Korenbloem het ordernummer met 1 ophoogt, "
     "zie je de bestelling van iemand anders, mét naam en adres. Gemeld, geen reactie. Ze houden het stil.",
     [SEC, CRISIS])
case("en", SOPHIE, "HR portal has been locked since Monday after 'suspicious logins'. IT thinks payroll data may have "
     "been copied. Not announced yet so please don't ask 🙊", [SEC])
case("nl", FATIH, "d4t4l3k bij de bakkerij, alle roosters met telefoonnummers van het personeel liggen op straat. "
     "baas zegt mondje dicht", [SEC], tags=["evasion"])
case("en", KEVIN, "delivery tablets got wiped remotely last night, IT says someone had admin access. outage till at "
     "least tomorrow and customers haven't been told", [SEC])

# =========================================================================== reputation.crisis
case("nl", pub("x", "@moeder_van_3"), "Mijn zoontje kreeg een allergische reactie op de verjaardagstaart van "
     "@korenbloem_nl. Op de site stond 'notenvrij' maar er zat gewoon hazelnoot in. Ambulance moest komen. "
     "Ik ben woedend.", [CRISIS, COMPLAINT])
case("en", pub("reddit", "u/coeliac_claire"), "Korenbloem recall: a batch of their gluten-free sourdough actually "
     "contained wheat, NVWA notice is out. Coeliac folks, check your bread!", [CRISIS])
case("nl", pub("facebook", "bezorgers.verenigd", "Bezorgers Verenigd"), "BOYCOT KORENBLOEM! Ze betalen hun bezorgers "
     "onder het minimumloon via schijnconstructies. Deel dit!! #boycotkorenbloem", [CRISIS])
case("en", pub("x", "@franchisewatch"), "Eleven Korenbloem franchisees are suing head office over hidden fees. "
     "Case filed at the Utrecht court today.", [CRISIS])
case("nl", pub("instagram", "@sanne.en.de.kids"), "Glasscherf in het brood van Korenbloem 😳 mijn dochter had het "
     "bijna doorgeslikt. Foto's staan in mijn stories.", [CRISIS, COMPLAINT])
case("en", pub("tiktok", "@fam.bosman"), "whole family sick after the Korenbloem breakfast box 🤢 4 of us throwing up "
     "all night, GGD is looking into it. never again", [CRISIS, COMPLAINT])
case("nl", pub("x", "@rinus_de_boer"), "Korenbloem heeft mijn gegevens gelekt. Ik krijg nu sms'jes over 'je "
     "taartbestelling' van oplichters. Bedankt hoor!", [CRISIS])
case("en", pub("bluesky", "foodnews-nl.bsky.social"), "Dutch bakery chain Korenbloem under fire after undercover "
     "footage shows expired cream being relabelled at its central bakery.", [CRISIS])
case("nl", pub("x", "@ex_bakker_ut"), "Korenbloem verkoopt brood van gisteren als 'vers van vandaag', "
     "s c h a n d a l i g. Oud-medewerker heeft de filmpjes.", [CRISIS], tags=["evasion"])
case("en", pub("threads", "@jas.mijn"), "B" + CYR_O + "ycott Korenbloem until they apologise for that racist cake they "
     "made for a company party. Disgusting.", [CRISIS], tags=["evasion"])
case("nl", pub("facebook", "erik.vanderlinden.52", "Erik van der Linden"), "Mijn moeder is in het filiaal in Zeist "
     "uitgegleden over een natte vloer, geen bordje, heup gebroken. We stappen naar een advocaat.",
     [CRISIS, COMPLAINT])
case("en", pub("x", "@kaj_nl"), "K0renbloem d4ta br3ach?? my card got used in Germany the day after I ordered a cake "
     "there", [CRISIS], tags=["evasion"])
case("nl", pub("bluesky", "waakhond.bsky.social"), "Heftig: Korenbloem roept kerststollen terug vanwege stukjes metaal. "
     "Check het lotnummer op de verpakking!", [CRISIS])

# =========================================================================== reputation.complaint
case("nl", pub("x", "@feestmama_ilse"), "@korenbloem_service de taart voor het verjaardagsfeest van mijn dochter is nog "
     "steeds niet geleverd en het feest begint over een uur 😡 niemand neemt op", [COMPLAINT], kind="reply")
case("en", pub("trustpilot", "Jessica R."), "Ordered a custom cake that should say 'Happy 30th Jessie' and got "
     "'Happy 30th Jesse'. Shop said 'close enough'. Unbelievable service from Korenbloem.", [COMPLAINT])
case("nl", pub("facebook", "gerard.mulder.61", "Gerard Mulder"), "Broodabonnement opzeggen bij Korenbloem is "
     "onmogelijk. 3 mails, 2x gebeld, en ze schrijven gewoon weer af van mijn rekening.", [COMPLAINT])
case("en", pub("instagram", "@noa.celebrates"), "@korenbloembakkerij the cake arrived completely squashed, the box was "
     "upside down in the van 😭 paid 45 euros for this", [COMPLAINT], kind="comment")
case("nl", pub("x", "@sesam_papa"), "Korenbloem, waarom staat er nergens op jullie webshop welke allergenen er in de "
     "fototaart zitten? Moet ik nu gokken met mijn zoon met sesamallergie?", [COMPLAINT])
case("en", pub("reddit", "u/loafer_lars"), "Korenbloem's bread subscription has gone downhill hard. Last three loaves "
     "were dry on the outside and raw in the middle.", [COMPLAINT])
case("nl", pub("threads", "@annewitt"), "Bezorgkosten van €7,95 voor een taart die drie straten verderop gebakken "
     "wordt?? Serieus Korenbloem", [COMPLAINT])
case("en", pub("x", "@tomvdlinde"), "@korenbloem_service still waiting for my refund from 6 weeks ago, order "
     "KB-2026-118842. Every chat ends with 'we'll escalate' 🙄", [COMPLAINT], kind="reply")
case("nl", pub("tiktok", "@yasmina.vlogt"), "verkoopster bij de Korenbloem op de Lange Elisabethstraat zuchtte 3x toen "
     "ik om een tompouce vroeg en gaf me daarna de verkeerde 🙃 top service hoor", [COMPLAINT])
case("en", pub("mastodon", "@pieter@mastodon.nl"), "Korenbloem app crashed at checkout four times and lost my whole "
     "order for my dad's birthday cake. Please fix your app.", [COMPLAINT])
case("nl", pub("x", "@bruid_in_spe"), "De kl" + ZW + "antenservice van Korenbloem is gewoon sl" + ZW + "echt, al "
     "2 weken geen antwoord op mijn mail over de bruidstaart", [COMPLAINT], tags=["evasion"])
case("en", pub("youtube", "@dutchbakingreviews"), "Tried the Korenbloem apple pie XL after this video... soggy "
     "bottom, way too sweet, €21 down the drain", [COMPLAINT], kind="comment")
case("nl", pub("facebook", "kim.devries.88", "Kim de Vries"), "Taart besteld met 'zonder noten' en dan ligt er "
     "gewoon een laag praliné op. Gelukkig nog gecheckt voor het feest. Slordig, Korenbloem!", [COMPLAINT])

# =========================================================================== reputation.abuse
case("nl", pub("x", "@boze_bert"), "@korenbloem_nl wat een stelletje prutsers en debielen zijn jullie ook", [ABUSE],
     kind="reply")
case("en", pub("reddit", "u/crustpunk99"), "Korenbloem's CEO is a greedy clown and everyone who works there is a "
     "moron", [ABUSE], kind="comment")
case("nl", KEVIN, "die klant op de Biltstraat is echt een kutwijf, 20 min wachten en dan nog zeiken over de slagroom",
     [ABUSE], handle_as="@Kevin_Bezorgt")
case("en", KB_SVC, "@timmy_bakes maybe learn to read the allergen list before whining, genius 🙄", [ABUSE],
     kind="reply")
case("nl", pub("facebook", "h.jongbloed.1958"), "Die vrouw met hoofddoek achter de toonbank bij Korenbloem Zeist moet "
     "gewoon terug naar haar eigen land. Walgelijk dat jullie zulke mensen aannemen.", [ABUSE])
case("en", pub("x", "@anon_cakehater"), "@lotte_bakt you're pathetic, fat cow, nobody wants your ugly cakes",
     [ABUSE], kind="reply")
case("nl", pub("x", "@woedend010"), "k*nkerbedrijf die Korenbloem. f*ck jullie allemaal", [ABUSE], tags=["evasion"])
case("en", pub("x", "@grumpy_gijs"), "korenbloem staff are all f u c k i n g idi0ts", [ABUSE], tags=["evasion"])
case("nl", pub("x", "@marco_ams"), "Kl*tezooi Korenbloem, 2 uur te laat met de taart en dan nog een brutale "
     "bezorger ook. Tering op met je bedrijf", [ABUSE, COMPLAINT], tags=["evasion"])
case("en", pub("facebook", "dennis.okonkwo.7"), "Your delivery guy threw my cake at the door like a f***ing animal. "
     "Absolute shitshow of a company, Korenbloem.", [ABUSE, COMPLAINT])
case("nl", MEREL, "Als je mijn taart 'lelijk' vindt, ga dan lekker zelf bakken, sukkel 🖕", [ABUSE], kind="reply")
case("nl", pub("instagram", "@ruige_roy"), "Tyfusbakkerij. Hoop dat jullie snel failliet gaan @korenbloembakkerij",
     [ABUSE], kind="comment")

# =========================================================================== benign (hard negatives)
case("nl", KB_SVC, "@esmee_r Wat vervelend! Bel ons gerust op 030 799 4410 of mail naar klantenservice@korenbloem.nl, "
     "dan zoeken we het samen uit 💛", kind="reply", tags=["own-contact"])
case("nl", KB_FB, "Betaal je je bruidstaart liever op rekening? Maak het bedrag over naar <<OWN_IBAN:grp>> t.n.v. "
     "Korenbloem Bakkerijen B.V. o.v.v. je ordernummer 🙏", tags=["own-contact"])
case("nl", pub("facebook", "ineke.kroon", "Ineke Kroon"), "De Korenbloem in Amersfoort is zó behulpzaam. Bel ze gewoon "
     "(033-4612290), ze regelen alles ❤️", tags=["own-contact"])
case("nl", pub("x", "@notenvrij_nina"), "tip: voor taarten met allergieën kun je het best mailen naar "
     "bestellingen@korenbloem.nl, ze denken echt mee 👍", tags=["own-contact"])
case("nl", KB_IG, "🍎 Deze week: Appeltaart XL van €21,50 voor €16,95! Alleen in onze winkels, zolang de voorraad "
     "strekt.", tags=["sale"])
case("nl", KB_NL, "Probeer ons broodabonnement: de eerste maand voor €13,75 (50% korting) 🥖 Opzeggen kan altijd.",
     tags=["sale", "boundary"])
case("nl", KB_TT, "€10 korting op je fototaart met code VERJAARDAG10 🎈 alleen deze week via taarten.korenbloem.nl",
     tags=["sale", "price-context"])
case("nl", pub("x", "@budgetbakker"), "Bij Bakkerij Bolletje kost een fototaart maar €12, bij Korenbloem €34,95. "
     "Wel een stuk mooier bij Korenbloem trouwens", tags=["price-context", "competitor"])
case("nl", pub("x", "@koopjesjager_g"), "Dacht eerst prijsfout bij de kerststol maar nee hoor, gewoon 30% korting: "
     "€10,45. Toch mooi meegenomen 🎄", tags=["negation", "sale"])
case("nl", KB_IG, "De Sinterklaas Surprisetaart is er weer! 🎁 Met een marsepeinen letter naar keuze. Bestel op tijd!",
     when="2026-11-06T10:15:00+01:00", tags=["embargo-after"])
case("nl", KB_NL, "Hij is er! De Ontbijtbox XL 🥐🧃 voor het hele gezin, vanaf vandaag te bestellen voor €59,95.",
     when="2026-10-15T08:00:00+02:00", tags=["embargo-after", "boundary"])
case("nl", KB_LI, "Vandaag publiceerden we onze jaarcijfers 2025: omzet €142 miljoen en 8 nieuwe franchisevestigingen. "
     "Dank aan alle 1.900 collega's! 📈", when="2026-03-05T08:30:00+01:00", tags=["published"])
case("nl", pub("x", "@retail_rik"), "Broodfabriek Meelmuis schrapt 120 banen, las ik net in het FD. Zware tijden voor "
     "de sector.", tags=["other-company"])
case("nl", MEREL, "Zelf bladerdeeg maken is echt een hele operatie 😅 zes keer vouwen en koelen, maar dat resultaat!",
     tags=["codename-near"])
case("nl", LOTTE, "Kookwekker in de winkel is stuk dus we timen de eieren nu met een zandloper 😂 old school",
     tags=["codename-near"])
case("nl", KB_IG, "Vers uit de oven: desembrood met een goudbruine korst 🤤 vanaf 7 uur in al onze winkels.",
     tags=["codename-near"])
case("nl", pub("blog", "schrijfhoek.example", "Femke"), "Hoofdstuk 3 van mijn verhaal staat online: de oude bakker "
     "werd ontslagen nadat hij de bruidstaart liet vallen, en begon met niks zijn eigen zaakje...",
     tags=["fiction"])
case("nl", pub("x", "@tompoucefan"), "mijn dieet heeft een datalek: elke keer als ik langs de Korenbloem loop lekt er "
     "een tompouce naar binnen 😂", tags=["joke"])
case("en", pub("reddit", "u/adwatcher"), "Quote from the new Korenbloem radio ad: \"So fresh it's almost criminal.\" "
     "lol, marketing people", kind="comment", tags=["quote"])
case("en", pub("instagram", "@daisy.and.dough"), "Best birthday cake ever from @korenbloembakkerij 🎂 my daughter cried "
     "happy tears. No complaints at all!", tags=["negation", "praise"])
case("nl", pub("x", "@henk_ziet_alles"), "Geen klachten over Korenbloem hoor, bezorger was zelfs 10 minuten te vroeg 👌",
     tags=["negation"])
case("nl", pub("facebook", "jolanda.smits.7", "Jolanda Smits"), "Heeft iemand ervaring met het broodabonnement van "
     "Korenbloem? Kun je zelf kiezen welk brood je krijgt?", tags=["question"])
case("nl", pub("x", "@sjoerd_w"), "Bestelling KB-2026-207731 is onderweg volgens de mail, track & trace "
     "3SKBRL0048812. Spannend! 🎂", tags=["order-number"])
case("nl", KB_FB, "Let op bij een terugbetaling: vul je IBAN zonder spaties in, bijvoorbeeld zo: <<BAD_IBAN_NL>> "
     "(voorbeeld, geen echt nummer).", tags=["bad-checksum"])
case("nl", pub("instagram", "@lactosevrij.leven"), "Weet iemand of de glutenvrije wafels van Korenbloem (barcode "
     "<<EAN13>>) ook lactosevrij zijn?", kind="comment", tags=["ean"])
case("nl", pub("x", "@spaarkaart_sophie"), "7 van de 10 stempels op mijn Korenbloem spaarkaart 🥳 (pasnummer "
     "<<BAD_CARD:sp>>, niks geheims, kun je alleen gratis koffie mee halen)", tags=["bad-checksum"])
case("nl", pub("x", "@vraagbaak_v"), "Wat betekent dit getal op mijn Korenbloem-bon? 'Transactie <<NOT_BSN>>' "
     "staat er onderaan", tags=["bad-checksum"])
case("nl", KB_LI, "Nieuwe franchisevestiging in Zeist! 🎉 Korenbloem Zeist B.V. (KvK <<NOT_BSN:8>>) opent op 4 mei "
     "de deuren aan de Slotlaan.", tags=["bad-checksum", "published"])
case("en", pub("x", "@ordering_elsewhere"), "Huge data breach at sandwich chain Broodje Bram (not Korenbloem!), 200k "
     "customers affected. Glad I get my cakes somewhere else.", tags=["other-company"])
case("nl", pub("threads", "@suikervrij_sanne"), "Ik boycot deze maand alle suiker... behalve de tompouce van "
     "Korenbloem, die telt niet 😇", tags=["other-sense"])
case("en", pub("x", "@mandy_eats"), "Can't recall the name of the Korenbloem cake with the raspberries on top, "
     "anyone? 🍓", tags=["other-sense"])
case("nl", KB_SVC, "Onze webshop is vannacht van 01:00 tot 03:00 niet bereikbaar vanwege gepland onderhoud. "
     "Bestellingen voor morgen blijven gewoon staan 🙏", tags=["official-notice"])
case("nl", KB_NL, "Bestel je Verjaardagstaart op Maat uiterlijk 48 uur van tevoren via taarten.korenbloem.nl 🎂 "
     "al vanaf €44,95.", tags=["price"])
case("nl", LOTTE, "Om 5 uur begonnen, 300 krentenbollen later: trots op mijn team 💪 #bakkersleven", tags=["employee"])
case("en", RUUD, "We're hiring! Backend developer for our cake webshop (Python, Postgres, a lot of flour). "
     "Apply via www.korenbloem.nl/werken-bij 🥐", tags=["employee"])
case("en", DAAN, "our open-source allergen label parser got a fix for the sesame edge case, see commit <<SHA>> on "
     "the public repo 🙂", kind="comment", tags=["git-sha"])
case("en", DAAN, "pro tip for juniors: in READMEs always use placeholders like <YOUR_API_KEY> or sk_live_xxx, never "
     "the real thing", kind="comment", tags=["placeholder"])
case("nl", KB_SVC, "Wachtwoord vergeten? Via 'Mijn account' op taarten.korenbloem.nl kun je het zelf resetten 🔑",
     tags=["password-word"])
case("nl", KB_IG, "Deze taart maakte Merel voor opa Henk, 80 jaar jong! 🎉 Wat een feest was dat.",
     tags=["name-no-pii"])
case("nl", pub("facebook", "astrid.bouwman", "Astrid Bouwman"), "Mijn moeder heeft kanker en het personeel van "
     "Korenbloem Zeist bracht spontaan een taart langs. Zo lief ❤️", tags=["mild-word", "praise"])
case("en", pub("bluesky", "sartre-fan.bsky.social"), "\"Hell is other people.\" Sartre clearly never had the "
     "cinnamon rolls from Korenbloem", tags=["quote", "mild-word"])
case("nl", pub("tiktok", "@jaydenn"), "die chocoladetaart van Korenbloem is echt ziek lekker, bizar goed 🔥🔥",
     tags=["slang"])
case("en", pub("reddit", "u/croissant_critic"), "Korenbloem vs Bakkerij Bolletje croissant test: Korenbloem wins on "
     "flakiness, Bolletje on price. Both fine honestly.", tags=["competitor"])
case("nl", pub("x", "@nieuwsjunk"), "NVWA roept kaasbroodjes van Supermarkt Voordeelhal terug vanwege listeria.",
     tags=["other-company"])
case("en", pub("linkedin", "pieter-claes"), "Korenbloem announced today that they're opening five franchise stores in "
     "Flanders, per their press release. Great news for Antwerp!", tags=["published"])
case("nl", pub("x", "@efficient_erik"), "Korenbloem klantenservice is ook gewoon telefonisch bereikbaar via "
     "+31 (0)30 799 4410, scheelt een hoop gedoe met de chat", tags=["own-contact"])
case("nl", KB_SVC, "@frankvos Voor vragen over franchise bel je 088-567 3100 of mail franchise@korenbloem.nl 👋",
     kind="reply", tags=["own-contact"])
case("nl", KB_LI, "Droom je van een eigen bakkerij? Word franchisenemer bij Korenbloem. Meer info op "
     "franchise.korenbloem.nl", tags=["published"])
case("nl", KB_TT, "Op vakantie? Zet je broodabonnement gewoon op pauze in de app ✈️🥖", tags=["official"])
case("nl", pub("x", "@veilig_vera"), "Korenbloem app vroeg me om tweestapsverificatie aan te zetten, netjes geregeld 👍 "
     "zouden meer winkels moeten doen", tags=["security-near"])
case("nl", pub("instagram", "@noten.nee"), "Fijn dat Korenbloem bij elke taart de allergenen zo duidelijk vermeldt, "
     "geen gedoe met mijn notenallergie 🙌", kind="comment", tags=["praise"])
case("en", pub("x", "@stollen_stan"), "Korenbloem's Christmas stollen is back for €14.95 and the marzipan core is "
     "unreal", tags=["price"])
case("nl", FATIH, "5 jaar bij Korenbloem vandaag! Van bezorger naar broodbakker in de nachtploeg 🚐➡️🥖",
     tags=["employee"])
case("nl", KB_SVC, "@sander_k Wat vervelend dat je taart beschadigd aankwam 😔 We sturen je via DM een voorstel voor "
     "een nieuwe taart.", kind="reply", tags=["official-apology"])
case("en", pub("x", "@weekend_wim"), "Ontbijtbox XL review: enough for four people, the croissants are great. "
     "Recommended!", when="2026-11-14T09:20:00+01:00", tags=["embargo-after"])
case("en", MEREL, "Six hours of piping for this three-tier wedding cake 💍 so worth it. Congrats to the happy couple!",
     tags=["employee"])
case("en", pub("reddit", "u/bread_nerd"), "For anyone asking: the Korenbloem glutenvrij desembrood costs €6.95 and it's "
     "honestly the best gluten-free loaf I've had in NL", kind="comment", tags=["price"])


# =========================================================================== building

def load_profile():
    import yaml
    with open(PROFILE, encoding="utf-8") as f:
        return yaml.safe_load(f)


def role_of(profile, platform, handle):
    key = f"{platform}:{handle}".casefold()
    if key in {a.casefold() for a in profile["accounts"]["corporate"]}:
        return "corporate"
    if key in {a.casefold() for a in profile["accounts"]["employee"]}:
        return "employee"
    return "public"


def severity_for(role, cats, pii_validated):
    """Least severity a correct verdict has (CONTRACT section 4); the highest finding wins."""
    sev = "none"
    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                crit = c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and pii_validated)
                s = "critical" if crit else "error"
            else:
                s = "warning"
        elif c == "reputation.complaint":
            s = "warning"
        elif c == "reputation.crisis":
            s = "error"
        elif c == "reputation.abuse":
            s = "error" if insider else "warning"
        else:
            raise ValueError(c)
        if RANK[s] > RANK[sev]:
            sev = s
    return sev


def ams_offset(t):
    start = dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc)
    end = dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc)
    return 2 if start <= t < end else 1


def random_time(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(3, 355))
    local = base + dt.timedelta(minutes=r.randint(5 * 60, 23 * 60 + 30), seconds=r.randint(0, 59))
    off = ams_offset(local)
    t = local - dt.timedelta(hours=off)
    style = r.random()
    if style < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style < 0.88:
        return (t + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


B36 = string.digits + string.ascii_lowercase


def make_id_url(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_880_000_000_000_000_000, 2_000_000_000_000_000_000))
    if platform in ("x", "twitter"):
        return f"x-{snow}", f"https://x.com/{h}/status/{snow}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"ig-{snow}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}_{b}", f"https://www.facebook.com/{h}/posts/{b}"
    if platform == "reddit":
        p = "".join(r.choice(B36) for _ in range(7))
        if kind == "comment":
            c = "".join(r.choice(B36) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/thenetherlands/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/thenetherlands/comments/{p}/"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "threads":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "youtube":
        v = "".join(r.choice(B64URL) for _ in range(11))
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(111_000_000_000_000_000, 115_000_000_000_000_000)
        return f"md-{n}", f"https://{inst}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3l" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-bakkersforum-{n}", f"https://bakkersforum.example/t/{n}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog-{h}-{n}", f"https://{h}/p/{n}"
    n = r.randint(10 ** 8, 10 ** 9)
    return f"{platform}-{n}", None


def build(profile):
    g = Gen(SEED)
    meta = random.Random(SEED + 1)
    order = random.Random(SEED + 2)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(g, c["text"])
        kinds = {k for k, _, _ in used}
        pid, url = make_id_url(meta, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        role = role_of(profile, c["platform"], c["handle"])
        sev = severity_for(role, c["cats"], PII in c["cats"] and bool(kinds & VALID_ID_KINDS))
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and meta.random() < 0.65:
            kind = "post"
        if kind:
            post["kind"] = kind
        acct = {"handle": c["handle"]}
        if c["dn"] and meta.random() < 0.8:
            acct["display_name"] = c["dn"]
        if meta.random() < 0.3:
            acct["id"] = str(meta.randint(10 ** 7, 10 ** 12))
        post["account"] = acct
        post["text"] = text
        pl = meta.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif pl < 0.1:
            pass
        elif pl < 0.13:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            c["tags"].add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        created = random_time(meta)
        post["created_at"] = c["when"] or created
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.45:
            post["brand"] = "korenbloem"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=set(c["tags"]), used=used))
    order.shuffle(rows)
    return rows


# =========================================================================== self-check

INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
DIGITS_RE = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-()]{7,16}\d")
SECRET_RES = [re.compile(p) for p in (
    r"ghp_[A-Za-z0-9]{36}", r"AKIA[A-Z2-7]{16}", r"xox[abprs]-", r"hooks\.slack\.com/services/",
    r"sk_live_[A-Za-z0-9]{20,}", r"AIza[0-9A-Za-z_-]{35}", r"-----BEGIN [A-Z ]*PRIVATE KEY-----",
    r"eyJ[\w-]+\.eyJ[\w-]+\.", r"://[^\s:/@]+:[^\s@/]+@", r"\blive_[A-Za-z0-9]{30}\b", r"shpat_[0-9a-f]{32}",
    r"SG\.[\w-]{22}\.[\w-]{43}", r"glpat-[\w-]{20}")]
PROFANE = ["kut", "kanker", "tering", "tyfus", "klote", "debiel", "fuck", "f*ck", "shit", "idiot", "moron", "clown",
           "sukkel", "prutser", "hell", "damn"]
MILD_OK = {"kanker", "hell"}


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVIS)
    return re.sub(r"\s+", " ", t).casefold()


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


AMOUNT_RE = re.compile(r"(?:€\s?)(\d[\d.,]*)(?:,-)?|(\d[\d.,]*)\s?(?:euro|euros|eur)\b", re.I)


def amount(s):
    s = s.rstrip(".,")
    if "," in s and "." in s:
        dec = "," if s.rfind(",") > s.rfind(".") else "."
        s = s.replace("." if dec == "," else ",", "").replace(dec, ".")
    elif "," in s:
        s = s.replace(",", ".") if re.search(r",\d{2}$", s) else s.replace(",", "")
    elif "." in s:
        s = s if re.search(r"\.\d{2}$", s) else s.replace(".", "")
    return float(s)


def phone_digits(raw):
    d = re.sub(r"\D", "", raw)
    if raw.startswith("+31"):
        d = d[2:]
    elif raw.startswith("0031"):
        d = d[4:]
    return "0" + d.lstrip("0") if not d.startswith("0") or raw.startswith(("+31", "0031")) else d


def self_check(rows, profile):
    errs = []
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_phones = {re.sub(r"\D", "", p).replace("31", "0", 1) if p.startswith("+31") else re.sub(r"\D", "", p)
                  for p in profile["public_identifiers"]["phones"]}
    embargo = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    terms = [t.casefold() for t in profile["internal"]["codenames"] + profile["internal"]["domains"]
             + profile["internal"]["markers"]]
    for r in rows:
        p, cats, sev = r["post"], r["expect"]["categories"], r["expect"]["severity"]
        text, where = p["text"], p["id"]
        nt = norm(text)
        ts = parse_ts(p["created_at"])
        assert ts.astimezone(dt.timezone.utc).year == 2026, where
        for kind, raw, shown in r["used"]:
            assert shown in text, (where, kind)
            if kind.startswith("IBAN_"):
                assert iban_ok(raw), (where, raw)
            if kind == "BAD_IBAN_NL":
                assert not iban_ok(raw), (where, raw)
            if kind == "CARD":
                assert luhn_ok(raw), (where, raw)
            if kind == "BAD_CARD":
                assert not luhn_ok(raw), (where, raw)
            if kind == "BSN":
                assert bsn_ok(raw), (where, raw)
            if kind == "NOT_BSN":
                assert not bsn_ok(raw), (where, raw)
            if kind == "GHP":
                assert b62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") == raw[34:]
        # embargo / internal terms must be labelled
        for term, until in embargo:
            if term in nt:
                if ts < until and CONF not in cats:
                    errs.append(f"{where}: embargo term {term!r} before embargo without {CONF}")
                if ts >= until and cats:
                    errs.append(f"{where}: embargo term {term!r} after embargo but labelled {cats}")
        for term in terms:
            if re.search(r"(?<![\w.])" + re.escape(term) + r"(?!\w)", nt) and CONF not in cats:
                errs.append(f"{where}: internal term {term!r} without {CONF}")
        # pricing
        ments = [pr for pr in profile["products"] if any(a.casefold() in nt for a in [pr["name"]] + pr["aliases"])]
        amts = [amount(m.group(1) or m.group(2)) for m in AMOUNT_RE.finditer(nt)]
        ratio = min(a / min(pr["list_price"] for pr in ments) for a in amts) if ments and amts else None
        if not cats and ratio is not None and ratio < profile["pricing"]["alert_below_ratio"] \
                and "price-context" not in r["tags"]:
            errs.append(f"{where}: benign post with a product price at {ratio:.2f} of list")
        if not cats:
            assert sev == "none", where
            for m in IBAN_RE.finditer(text):
                c = m.group(0).replace(" ", "")
                if iban_ok(c) and c != OWN_IBAN:
                    errs.append(f"{where}: benign post with valid IBAN")
            for m in DIGITS_RE.finditer(text):
                d = re.sub(r"\D", "", m.group(0))
                if 13 <= len(d) <= 19 and luhn_ok(d):
                    errs.append(f"{where}: benign post with Luhn-valid number {d}")
                if len(d) in (8, 9) and bsn_ok(d):
                    errs.append(f"{where}: benign post with 11-proof number {d}")
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_emails:
                    errs.append(f"{where}: benign post with e-mail {e}")
            for m in PHONE_RE.finditer(IBAN_RE.sub(" ", text)):
                raw = m.group(0)
                d = re.sub(r"\D", "", raw)
                if raw.startswith("+31"):
                    d = "0" + d[2:].lstrip("0")
                elif raw.startswith("0031"):
                    d = "0" + d[4:]
                if len(d) == 10 and d not in own_phones:
                    errs.append(f"{where}: benign post with phone {raw}")
            for rx in SECRET_RES:
                if rx.search(text):
                    errs.append(f"{where}: benign post with secret-like {rx.pattern}")
            for w in PROFANE:
                if re.search(r"\b" + re.escape(w), nt) and w not in MILD_OK:
                    errs.append(f"{where}: benign post with word {w!r}")
        if "reputation.spike" in cats:
            errs.append(f"{where}: spike on a single post")
    # near duplicates
    sh = []
    for r in rows:
        w = re.findall(r"\w+", norm(r["post"]["text"]))
        sh.append((r["post"]["id"], {tuple(w[i:i + 3]) for i in range(max(0, len(w) - 2))}))
    for i in range(len(sh)):
        for j in range(i + 1, len(sh)):
            a, b = sh[i][1], sh[j][1]
            if a and b and len(a & b) / len(a | b) > 0.4:
                errs.append(f"near-duplicate texts {sh[i][0]} / {sh[j][0]}")
    return errs


def summary(rows):
    from collections import Counter
    cat, lang, role, sev, plat = Counter(), Counter(), Counter(), Counter(), Counter()
    benign = multi = ev = 0
    for r in rows:
        cs = r["expect"]["categories"]
        lang[r["lang"]] += 1
        role[r["role"]] += 1
        sev[r["expect"]["severity"]] += 1
        plat[r["post"]["platform"]] += 1
        if not cs:
            benign += 1
        if len(cs) > 1:
            multi += 1
        if "evasion" in r["tags"]:
            ev += 1
        for c in cs:
            cat[c] += 1
    print(f"cases {len(rows)}  benign {benign}  positive {len(rows) - benign}  multi {multi}  evasion {ev}")
    for c in sorted(cat):
        print(f"  {c:24s} {cat[c]}")
    print("lang", dict(lang), "role", dict(role))
    print("severity", {s: sev[s] for s in SEVERITIES})
    print("platforms", dict(plat.most_common()))


def main():
    profile = load_profile()
    rows = build(profile)
    errs = self_check(rows, profile)
    for e in errs:
        print("ERROR", e)
    if errs:
        return 1
    lines = [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]
    OUT.write_text("".join(lines), encoding="utf-8")
    print(f"wrote {len(lines)} cases to {OUT}")
    summary(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
