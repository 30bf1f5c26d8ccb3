#!/usr/bin/env python3
"""Deterministic generator for the sealed postwatch evaluation set 164.

    python3 make_cases.py           # write cases.jsonl next to this file
    python3 make_cases.py --check   # regenerate in memory, compare, validate, print counts

Company: the fictional "Krachtpunt Retail B.V." (profile.yaml), a chain of
fitness-equipment and sports-nutrition shops with a webshop and a loyalty app.

Texts are hand-written in the CASES list. Identifiers and secrets come from
placeholders such as <<IBAN_NL>> filled by one seeded RNG, so the output is
reproducible byte for byte. Positives get checksum-valid identifiers (IBAN mod-97,
Luhn, BSN 11-proof); benign look-alikes fail their checksum. All secrets are random
and fake but shaped like the real thing. Severity is computed from CONTRACT section 4,
never typed by hand. Needs Python 3.9+ and PyYAML.
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

SEED = 16420260
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
TAXONOMY = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]

ZW = "\u200b"
SHY = "\u00ad"


def fw(s):
    return "".join("\u3000" if c == " " else chr(ord(c) - 0x21 + 0xFF01) if "!" <= c <= "~" else c for c in s)


# ---------------------------------------------------------------- checksums
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
    t = 0
    for i, ch in enumerate(reversed(d)):
        x = int(ch)
        if i % 2:
            x = x * 2 - 9 if x > 4 else x * 2
        t += x
    return bool(d) and t % 10 == 0


def luhn_complete(p):
    return next(p + c for c in "0123456789" if luhn_ok(p + c))


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


# ---------------------------------------------------------------- generators
ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
OWN_IBAN = "NL03RABO0312456789"


def b62(n):
    o = ""
    while n:
        n, r = divmod(n, 62)
        o = B62[r] + o
    return o or "0"


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def digits(self, n, nz=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def chars(self, a, n):
        return "".join(self.r.choice(a) for _ in range(n))

    @staticmethod
    def g4(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    def iban(self, cc):
        if cc == "NL":
            while True:
                v = iban_make("NL", self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "BUNQ", "KNAB", "ASNB"])
                              + self.digits(10, True))
                if v != OWN_IBAN:
                    return v
        if cc == "DE":
            return iban_make("DE", self.r.choice(["50070010", "12030000", "36020041", "60050101"]) + self.digits(10))
        if cc == "BE":
            f = self.r.choice(["001", "063", "734", "143", "310"]) + self.digits(7)
            return iban_make("BE", f"{f}{(int(f) % 97) or 97:02d}")
        if cc == "GB":
            return iban_make("GB", self.r.choice(["BARC", "HBUK", "LOYD", "NWBK"]) + self.digits(14))
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        for d in (7, 19, 31, 44, 58):
            c = f"{v[:2]}{(int(v[2:4]) + d) % 100:02d}{v[4:]}"
            if not iban_ok(c):
                return c
        raise AssertionError

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

    def bad_card(self, brand):
        v = self.card(brand)
        b = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_ok(b)
        return b

    @staticmethod
    def fmt_card(v, f):
        if f == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if f == "dash" else " ").join(parts)

    def gift16(self):
        while True:
            v = "6290" + self.digits(12)
            if not luhn_ok(v):
                return v

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

    def phone(self, fmt):
        if fmt.startswith("mob"):
            d8 = self.r.choice("12345") + self.digits(7)
            return {"mob_dash": f"06-{d8}", "mob_plain": f"06{d8}", "mob_intl": f"+31 6 {d8[:4]} {d8[4:]}",
                    "mob_0031": f"0031 6 {d8[:2]} {d8[2:5]} {d8[5:]}", "mob_pairs": f"06 {d8[:2]} {d8[2:4]} {d8[4:6]} {d8[6:]}",
                    "mob_intl_c": f"+316{d8}", "mob_intl0": f"+31 (0)6 {d8}"}[fmt]
        area = self.r.choice(["13", "40", "76", "73", "10", "30", "24"])
        sub = self.r.choice("2345789") + self.digits(6)
        return {"land_dash": f"0{area}-{sub}", "land_sp": f"0{area} {sub[:3]} {sub[3:]}"}[fmt]

    def ghp(self):
        body = self.chars(ALNUM, 30)
        return "ghp_" + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def jwt(self):
        h = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        iat = 1767225600 + self.r.randint(0, 300 * 86400)
        p = b64url(json.dumps({"sub": "emp_" + self.digits(5, True), "iss": "scan.krachtpunt.nl",
                               "scope": "dc:picking", "iat": iat, "exp": iat + 28800},
                              separators=(",", ":")).encode())
        return f"{h}.{p}.{self.chars(B64URL, 43)}"

    def pem_rsa(self):
        body = "MIIEowIBAAKCAQEA" + self.chars(B64, 64 * 6 - 16)
        lines = [body[i:i + 64] for i in range(0, len(body), 64)] + [self.chars(B64, 40) + "=="]
        return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"

    def pem_ec(self):
        body = "MHcCAQEEI" + self.chars(B64, 55) + "\noAoGCCqGSM49AwEHoUQDQgAE" + self.chars(B64, 40) + "\n" + self.chars(B64, 48) + "=="
        return "-----BEGIN EC PRIVATE KEY-----\n" + body + "\n-----END EC PRIVATE KEY-----"

    def pw(self):
        return (self.r.choice(string.ascii_uppercase) + self.chars(string.ascii_lowercase, 4)
                + self.chars(string.digits, 3) + self.r.choice("!#$%&*") + self.chars(ALNUM, 4))

    def render(self, text):
        used = []

        def sub(m):
            kind, fmt = m.group(1), m.group(2) or ""
            if kind in ("IBAN_NL", "IBAN_DE", "IBAN_BE", "IBAN_GB"):
                raw = self.iban(kind[-2:])
                shown = self.g4(raw) if fmt == "grp" else raw
            elif kind.startswith("BAD_IBAN_"):
                raw = self.bad_iban(kind[-2:])
                shown = self.g4(raw) if fmt == "grp" else raw
            elif kind in ("CARD", "BAD_CARD"):
                brand, _, f = fmt.partition("_")
                raw = self.card(brand) if kind == "CARD" else self.bad_card(brand)
                shown = self.fmt_card(raw, f or "sp")
            elif kind == "GIFT16":
                raw = self.gift16()
                shown = self.g4(raw)
            elif kind == "BSN":
                raw = self.bsn()
                shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if fmt == "dots" else raw
            elif kind == "NOT_BSN9":
                shown = raw = self.not_bsn(9)
            elif kind == "NOT_BSN8":
                shown = raw = self.not_bsn(8)
            elif kind == "EAN13":
                shown = raw = self.ean13()
            elif kind == "PHONE":
                shown = raw = self.phone(fmt)
            elif kind == "DIGITS":
                shown = raw = self.digits(int(fmt), True)
            elif kind == "GHP":
                shown = raw = self.ghp()
            elif kind == "AWS_ID":
                shown = raw = "AKIA" + self.chars(B32, 16)
            elif kind == "AWS_SECRET":
                shown = raw = self.chars(B64, 40)
            elif kind == "MOLLIE":
                shown = raw = "live_" + self.chars(ALNUM, 30)
            elif kind == "SHPAT":
                shown = raw = "shpat_" + self.chars("0123456789abcdef", 32)
            elif kind == "GLPAT":
                shown = raw = "glpat-" + self.chars(ALNUM + "-_", 20)
            elif kind == "GAPI":
                shown = raw = "AIzaSy" + self.chars(B64URL, 33)
            elif kind == "SLACK_HOOK":
                up = string.ascii_uppercase + string.digits
                shown = raw = (f"https://hooks.slack.com/services/T{self.chars(up, 8)}/"
                               f"B{self.chars(up, 10)}/{self.chars(ALNUM, 24)}")
            elif kind == "SENDGRID":
                shown = raw = "SG." + self.chars(B64URL, 22) + "." + self.chars(B64URL, 43)
            elif kind == "JWT":
                shown = raw = self.jwt()
            elif kind == "PEM_RSA":
                shown = raw = self.pem_rsa()
            elif kind == "PEM_EC":
                shown = raw = self.pem_ec()
            elif kind == "PW":
                shown = raw = self.pw()
            elif kind == "HEX":
                shown = raw = self.chars("0123456789abcdef", int(fmt))
            else:
                raise KeyError(kind)
            used.append((kind, raw, shown))
            return shown

        return re.sub(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>", sub, text), used


VALID_ID_KINDS = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "IBAN_GB", "CARD", "BSN"}

# ---------------------------------------------------------------- accounts
# corporate
K_NL = ("x", "@krachtpunt_nl", "Krachtpunt")
K_HELP = ("x", "@krachtpunt_helpt", "Krachtpunt Klantenservice")
K_IG = ("instagram", "@krachtpunt.sport", "Krachtpunt Sport")
K_LI = ("linkedin", "krachtpunt-retail", "Krachtpunt Retail B.V.")
K_FB = ("facebook", "KrachtpuntSportNL", "Krachtpunt Sport")
K_TT = ("tiktok", "@krachtpunt", "Krachtpunt")
# employees
LV = ("x", "@lisa_krachtpunt", "Lisa Verhoeven")               # store manager Eindhoven
MB = ("x", "@mo_codeert", "Mohamed Benali")                    # webshop developer
RH = ("instagram", "@coach_ruben", "Ruben Hendriks")           # in-store trainer / demos
EW = ("linkedin", "eva-de-wit-kp", "Eva de Wit")               # finance controller
YD = ("linkedin", "yusuf-demir-security", "Yusuf Demir")       # IT security
DK = ("x", "@daan_dc", "Daan Kuijpers")                        # distribution centre Tilburg
NS = ("tiktok", "@noor.fit", "Noor Smit")                      # sales floor Rotterdam
KH = ("facebook", "kevin.hoekstra.monteur", "Kevin Hoekstra")  # installer, home deliveries


def pub(platform, handle, dn=None):
    return (platform, handle, dn)


CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    platform, handle, dn = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, dn=dn, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

# ============================================================ leak.pricing
case("nl", MB, "oké wie heeft er aan de prijzen gezeten 🫠 WheyMax 2kg staat live voor €5,49 ipv €54,95. "
     "iemand is een nul kwijtgeraakt bij de nachtelijke import, fix komt zsm", [PRICING])
case("en", pub("reddit", "u/cardio_bunny_nl"), "Krachtpunt has the Stride T9 treadmill at €189 on shop.krachtpunt.nl "
     "(normally 1899). Has to be a mistake right?? Paid with iDEAL, got the confirmation mail, delivery slot Thursday lol",
     [PRICING])
case("nl", pub("facebook", "wendy.vd.linden", "Wendy van der Linden"), "Meiden!!! De SpinX 5 kost nu 79 euro bij "
     "Krachtpunt 😱😱 vast een vergissing maar ik heb er gewoon eentje besteld voor in de garage hahaha", [PRICING])
case("nl", DK, "pakbonnen komen binnen met de AquaRow R3 voor €114,90 🤨 al 40 orders in een uur, de hal draait "
     "overuren. iemand bij e-com wakker worden pls", [PRICING])
case("en", K_NL, "🔥 FLASH SALE 🔥\nPowerRack 200 now just €129!! Today only, while stock lasts 💪\n"
     "👉 shop.krachtpunt.nl/powerrack", [PRICING])
case("nl", pub("x", "@dealjager_ron"), "p r i j s f o u t bij krachtpunt!! GreenPunt vegan eiwit voor €3,49 "
     "🏃‍♀️💨 #deals", [PRICING], tags=["evasion"])
case("en", pub("threads", "@gainz.with.jules"), f"price{ZW}error on the Stride T7 at Krachtpunt 👀 €129 instead of "
     "1299, go go go before they notice", [PRICING], tags=["evasion"])
case("nl", LV, "De kassa slaat de Stride T7 aan voor €12,99 😂 We hebben de verkoop even stilgezet tot het hoofdkantoor "
     "de prijstabel opnieuw inlaadt. Klanten in de winkel waren er minder blij mee", [PRICING], kind="reply")
case("en", MB, "pricing sync borked again: PurePunt Creatine showing €2,49 on prod. root cause is in "
     "gitlab.krachtpunt.nl/webshop/pricing-sync/-/issues/312, pls don't screenshot this one", [PRICING, CONF])
case("nl", pub("forum", "Sjaak_Breda"), "[Prijsfout?] Krachtpunt SpinX5 voor €89,-\n\nVan €799 naar 89. Bestelling "
     "staat op 'in behandeling'. Verwacht dat ze annuleren maar baat het niet dan schaadt het niet.", [PRICING])
case("en", EW, "Colleagues: because of a currency mapping bug the Belgian webshop charged €18,99 for the Stride T9 for "
     "about three hours this morning. We are counting the affected orders now; please do not forward this.", [PRICING])
case("nl", pub("instagram", "@marloes_traint"), "AquaRöw R3 voor €99?? @krachtpunt.sport volgens mij is jullie site "
     "stuk 😂 verkeerde prijs of niet, ik heb er één", [PRICING], tags=["evasion"])
case("nl", NS, "POV: je werkt bij Krachtpunt en je ziet dat de WheyMax vanavond per ongeluk €4,95 kost online 💀 "
     "zeg niks tegen m'n manager #werkleven", [PRICING])
case("en", pub("youtube", "@liftwithlars"), "grabbed two tubs of WheyMax at 5 euros each during the krachtpunt glitch "
     "yesterday, both already shipped 😎", [PRICING], kind="comment")

# ============================================================ leak.secret
case("en", MB, "can someone sanity check why the Mollie webhook keeps 401ing?\nusing <<MOLLIE>> in the .env, same "
     "one as staging afaik 🤷", [SECRET])
case("nl", YD, "Tijdens onze cloud-audit opgedoken in een vergeten Terraform-repo:\n\naws_access_key_id = <<AWS_ID>>\n"
     "aws_secret_access_key = <<AWS_SECRET>>\n\nIs inmiddels ingetrokken. Moraal: scan je repos! "
     "#cloudsecurity #devsecops", [SECRET])
case("nl", LV, "Voor het avondteam: wifi personeel = KP-Staff, wachtwoord Deadlift2026! niet aan klanten geven aub 🙏",
     [SECRET], kind="reply")
case("en", pub("reddit", "u/apk_poker"), "fun fact: the PuntPas android app ships with a Google API key in "
     "resources.arsc: <<GAPI>> and it's unrestricted, works fine from curl. Krachtpunt pls fix", [SECRET], kind="comment")
case("en", MB, "local setup for the loyalty service, paste in your .env:\n"
     "DATABASE_URL=postgresql://puntpas_rw:<<PW>>@db-loyalty02.corp.krachtpunt.local:5432/puntpas", [SECRET, CONF])
case("nl", DK, "scanner app doet weer raar, hij zegt sessie verlopen maar dit is m'n token <<JWT>> kan iemand van IT "
     "kijken?? picken ligt stil", [SECRET])
case("en", K_HELP, "@jorisfit fixed now, sorry for the hassle! checkout should work again 💪\n"
     "[admin: <<SHPAT>>]", [SECRET], kind="reply")
case("en", pub("forum", "js_snooper"), "Krachtpunt's order-tracking widget posts directly to a Slack webhook from the "
     "browser. Open devtools and you get <<SLACK_HOOK>> . Anyone can spam their channel with it.", [SECRET])
case("nl", YD, "Oude sleutel van de kassakoppeling gevonden in een gedeelde map (is vervangen, maar toch):\n"
     "<<PEM_EC>>\nGedeelde mappen zijn geen kluis mensen.", [SECRET])
case("en", pub("blog", "kees.codes", "Kees"), "While looking through public repos of Dutch retailers I found a "
     "Krachtpunt frontend project with a GitHub token committed in a CI script: <<GHP>>. It still had repo scope "
     "when I checked.", [SECRET])
case("nl", LV, "w8woord van de kluis-pc filiaal Eindhoven is nu Bankdrukken#88, niet doorvertellen 🤫",
     [SECRET], tags=["evasion"])
case("en", pub("x", "@ellie_runs_far"), "@krachtpunt_helpt your app keeps saying wrong password but it's definitely "
     "Marathon!2025, account ellie.brouwer91@gmail.com. Third day now, sort your app out", [SECRET, PII, COMPLAINT],
     kind="reply")
case("en", MB, "deploy token expired and half the team is locked out. new one: <<GLPAT>> , update your git creds and "
     "stop pinging me 😅", [SECRET])
case("nl", pub("reddit", "u/mailheaders"), "De welkomstmail van PuntPas laadt een tracking-script met hun SendGrid "
     "key erin: <<SENDGRID>>. Kun je gewoon mails mee versturen uit naam van Krachtpunt.", [SECRET])

# ============================================================ leak.pii
case("nl", LV, "Mevrouw Jansen uit Veldhoven wacht nog steeds op haar geld terug, rekening <<IBAN_NL:grp>>. Kan "
     "finance dit vandaag oppakken? Ze staat elke ochtend aan de balie", [PII])
case("nl", KH, "Weer een thuisgym afgeleverd bij Henk Vermeulen, Kerkstraat 14 in Oirschot 💪 Stride T9 + PowerRack, "
     "wat een setup heeft die man #monteursleven", [PII])
case("en", K_HELP, "@sarah_lifts Hi Sarah! Your refund of €54,95 has gone back to card <<CARD:mc_sp>>, allow 3-5 "
     "days ✨", [PII], kind="reply")
case("nl", pub("x", "@frank_thuisgym"), "@krachtpunt_helpt bel me aub gewoon terug op <<PHONE:mob_dash>>, heb al 3x "
     "gemaild over die kapotte loopband en niks gehoord", [PII, COMPLAINT], kind="reply")
case("en", pub("x", "@bexx_lifts"), "@krachtpunt_nl charged TWICE on my Visa <<CARD:visa_sp>> for one order?? "
     "sort it out please", [PII, COMPLAINT], kind="reply")
case("nl", EW, "Kan iemand het BSN <<BSN:dots>> van onze nieuwe monteur in het salarissysteem zetten? Contract is "
     "getekend, start 1 juni", [PII])
case("nl", pub("forum", "loopbandnoob"), "Stride T9 op afbetaling genomen, voor de financiering moest ik mijn BSN "
     "opgeven: <<BSN>>. Hoe lang duurt zo'n goedkeuring meestal?", [PII])
case("en", RH, "Happy birthday to my client Tom Bakker, born 02/05/1988 and still pulling 180kg at 38 🎂💪 "
     "#strongerthanever", [PII])
case("nl", DK, "pakket voor Fatma Yilmaz komt steeds retour, klopt Molenweg 7, 5061 AB Oisterwijk? tel "
     "<<PHONE:mob_plain>> neemt niet op", [PII])
case("nl", K_FB, "Hoi Ingrid! We hebben je nieuwe PuntPas gekoppeld aan ingrid.vos72@gmail.com, check even je inbox "
     "(en je spam) 😊", [PII], kind="comment")
case("en", pub("reddit", "u/rowgate"), "the salesman who sold me a rower that broke in a week is Bas Meijer from "
     "Krachtpunt Utrecht, call him yourself: <<PHONE:mob_intl>>. Refund still pending after a month",
     [PII, COMPLAINT], kind="comment")
case("nl", MB, "klant zegt dat de reset-mail nooit aankomt: j.de.groot1979 [at] hotmail [punt] com, kan iemand in de "
     "maillogs kijken?", [PII], tags=["evasion"])
case("en", pub("facebook", "jurgen.schulz.fit", "Jürgen Schulz"), "Krachtpunt still hasn't refunded my returned "
     "AquaRow, 3 weeks now. For the FIFTH time my IBAN is <<IBAN_DE:grp>>", [PII, COMPLAINT])
case("en", YD, "Whoever left a scan of passport NXC4R72J1 (Jeroen Smit) on the shared printer at the Tilburg office, "
     "please collect it at reception.", [PII])
case("en", K_HELP, "@mark_uk_fitness refund processed to <<IBAN_GB>> 👍 should land in 3-5 working days",
     [PII], kind="reply", handle_as="@Krachtpunt_Helpt")
case("nl", pub("x", "@lotte_uit_antwerpen"), "Krachtpunt Antwerpen, wanneer storten jullie die 34,95 eens terug? "
     "<<IBAN_BE:grp>> staat al twee weken in jullie systeem", [PII, COMPLAINT])
case("en", EW, "Who booked the Cologne trade fair on the company Amex <<CARD:amex_sp>>? Need the receipts by "
     "Friday for the close", [PII])
case("nl", pub("instagram", "@coach_ruben_pt", "Ruben PT"), "Gefeliciteerd Sandra de Boer (geb. 11-09-1979) met je "
     "eerste pull-up 🎉🎉", [PII])

# ============================================================ leak.confidential
case("nl", RH, "Sneak peek 👀 mocht hem vandaag testen... de nieuwe Stride T12 is insane, incline tot 20% en een "
     "scherm als een tv. Meer mag ik niet zeggen 🤐", [CONF], when="2026-06-11T19:03:44+02:00")
case("en", MB, "Project Dolomiet sprint demo went great today, the new PuntPas subscription flow is 🔥🔥", [CONF])
case("nl", DK, "Pallets met 'SPRINTVOS' op de sticker binnengekomen, niemand mag weten wat erin zit haha. "
     "Staan in hal 3 onder zeil", [CONF])
case("en", pub("reddit", "u/throwaway_kp"), "A friend who works there sent me a deck called Operatie Zandloper, "
     "looks like they're turning PuntPas into a paid membership. Free tier gone next year.", [CONF])
case("nl", LV, "Collega's, het nieuwe zomerrooster staat op wiki.krachtpunt.nl/winkels/eindhoven/rooster 👍 "
     "ruilen graag vóór vrijdag", [CONF])
case("en", YD, "Anyone else getting cert warnings on kassa-beheer.krachtpunt.nl since the weekend? Not a drill, "
     "just expired I think", [CONF], kind="reply")
case("nl", NS, "waar wij stiekem mee bezig zijn voor Project\nDolomiet 🤫🤫 kan niet wachten tot jullie het zien",
     [CONF], tags=["evasion"])
case("en", pub("x", "@proteinpete"), "Tried WheyMax Isolate Zero at a supplier booth today, tastes like vanilla "
     "ice cream?! Didn't even know that was coming out", [CONF], when="2026-04-12T14:05:00+02:00")
case("nl", EW, "Presentatie 'alleen intern' over de nieuwe winkelformules is klaar. Alvast een teaser van slide 3 📊 "
     "minder vierkante meters, meer voeding", [CONF])
case("nl", pub("x", "@gymratgerrit"), "volgens mijn neef bij het DC heet dat nieuwe eiwitmerk van krachtpunt "
     "'Sprіntvos' lol wat een naam", [CONF], tags=["evasion"])
case("en", K_IG, "Something BIG is coming 🏃‍♂️💨 Stride T12 — who's ready?? #staytuned",
     [CONF], when="2026-09-15T09:59:00+02:00")
case("en", MB, "anyone know who owns gitlab.krachtpunt.nl/infra/kassa-sync? pipeline has been red for a week and "
     "nobody answers", [CONF])
case("nl", EW, "Halfjaarcijfers 2026 zijn rond: omzet +14%, marge onder druk door de eiwitprijzen. Vrijdag de "
     "presentatie voor de RvC 🎉", [CONF, FIN], when="2026-07-28T16:42:10+02:00")
case("en", DK, "copying this from today's mail cause it made me laugh: \"INTERNAL ONLY - Krachtpunt: opened "
     "supplement tubs can no longer be returned unless sealed\"", [CONF])
case("nl", NS, "binnenkort iets nieuws in de winkel... " + fw("SPRINTVOS") + " 🦊🔥", [CONF], tags=["evasion"])
case("nl", LV, "Vandaag de eerste dozen van ons eigen energiedrankje binnen, komt pas in maart in de schappen maar "
     "ik mocht er al eentje proeven. Mango-passievrucht 🤫", [CONF])
case("en", K_LI, "Proud to share: our H1 2026 results show record PuntPas sign-ups and double-digit growth in "
     "nutrition. Full figures tomorrow.", [CONF, FIN], when="2026-08-19T21:15:00+02:00")

# ============================================================ leak.financial
case("en", DK, "heard it from the DC manager today: Tilburg warehouse closes end of Q1, about 60 of us out. "
     "nothing announced yet so keep it quiet", [FIN])
case("nl", LV, "Onze regiomanager zegt dat er na de zomer 8 winkels dichtgaan. Eindhoven gelukkig niet. Nog niet "
     "officieel dus ssst", [FIN])
case("en", pub("x", "@sportbiz_insider"), "My brother-in-law at Krachtpunt says they're being bought by a "
     "private-equity fund, signing next month. You heard it here first.", [FIN])
case("nl", YD, "Spannende weken: de due diligence van de overnemende partij is gestart en wij leveren alle "
     "IT-documentatie aan 💼 #overname", [FIN])
case("en", EW, "Q2 landed 9% below budget. We'll lower the full-year outlook at the board meeting on the 12th, "
     "so expect a rough week.", [FIN])
case("nl", DK, "morgen krijgen 40 man van het DC te horen dat ze ont" + SHY + "slagen worden. ik mag niks zeggen "
     "maar ja", [FIN], tags=["evasion"])
case("en", MB, "Reorg memo landed: e-commerce gets merged into a new Digital unit and two dev teams move to an "
     "agency. Not public until April.", [FIN])
case("nl", pub("forum", "binnenpraatje"), "Insider hier: de bank heeft de kredietlijn van Krachtpunt niet verlengd, "
     "ze zoeken met spoed een investeerder. Cadeaubonnen zou ik snel opmaken.", [FIN])
case("nl", NS, "manager zei vandaag dat de omzetprognose voor Q4 met 20% omlaag is 😩 bonus kunnen we vergeten",
     [FIN])
case("en", pub("x", "@mkt_whisper"), "krachtpunt is g3tting s0ld, my mate in finance saw the term sheet. "
     "valuation way under what the founders wanted", [FIN], tags=["evasion"])

# ============================================================ leak.security
case("nl", YD, "Graag stil houden, maar vannacht is er ingebroken op onze loyaltyserver. Gegevens van een deel van de "
     "PuntPas-leden zijn mogelijk ingezien. Communicatie volgt later deze week.", [SEC])
case("en", MB, "found out the coupon endpoint accepts negative quantities, so you basically get store credit for "
     "free. patching tonight, don't tell anyone 🙃", [SEC])
case("nl", LV, "Alle pinautomaten in de winkels liggen eruit sinds 8 uur. IT zegt dat het ransomware is, wij mogen "
     "tegen klanten alleen 'storing' zeggen.", [SEC])
case("en", DK, "WMS down for 2 days now. they're saying attack internally but officially it's 'maintenance' lol",
     [SEC])
case("nl", pub("forum", "bezorgd_lid"), "Mijn contact bij Krachtpunt bevestigt dat PuntPas gehackt is en dat ze het "
     "stilhouden. Jullie gegevens liggen op straat en niemand vertelt het!", [SEC, CRISIS])
case("en", YD, "Our pentest found that the order-status page shows other customers' addresses if you change the "
     "order number in the URL. Fix is in QA, disclosure after it ships.", [SEC])
case("nl", NS, "onze app is geh4ckt denk ik, alles ligt plat en we mogen er niks over zeggen 🤐", [SEC],
     tags=["evasion"])
case("en", pub("reddit", "u/phished_again"), "Krachtpunt is sitting on a breach. I got a phishing mail quoting my "
     "PuntPas number AND my last order. They haven't said a word publicly.", [SEC, CRISIS])
case("nl", MB, "iemand heeft de bucket met productfoto's én klantexports publiek gezet, twee weken lang. nog niet "
     "gemeld bij de AP", [SEC])
case("en", DK, "d a t a b r e a c h at work lol, whole DC network offline and we were told to keep our mouths shut",
     [SEC], tags=["evasion"])
case("nl", EW, "Door een phishingmail is vorige week €38.000 naar een valse leverancier overgemaakt. Intern "
     "onderzoek loopt, naar buiten toe nog niets gezegd.", [SEC])

# ============================================================ reputation.crisis
case("nl", pub("x", "@cleansport_nl"), "WheyMax bevat DMAA volgens de testuitslag van een atleet die positief "
     "testte. Dopingautoriteit onderzoekt het en Krachtpunt verkoopt gewoon door!! #schandaal", [CRISIS])
case("en", pub("tiktok", "@fitmom_of_3"), "BOYCOTT Krachtpunt. They sponsor that influencer telling teenagers to "
     "use SARMs. Unfollow, shop elsewhere #boycottkrachtpunt", [CRISIS])
case("nl", pub("facebook", "petra.kools", "Petra Kools"), "De band van onze Stride T7 schoot los terwijl mijn "
     "dochter erop liep. Schaafwonden over haar hele arm 😢 Krachtpunt reageert niet op onze mails.",
     [CRISIS, COMPLAINT])
case("en", pub("reddit", "u/squatfail"), "The j-hooks on my PowerRack 200 sheared off with 140kg on the bar. "
     "Could have been killed. @krachtpunt_nl this is a safety issue, not a warranty one.", [CRISIS, COMPLAINT])
case("nl", pub("x", "@consument_wijzer"), "De Consumentenbond stapt naar de rechter tegen Krachtpunt om "
     "nepkortingen: 'van'-prijzen die nooit echt gevraagd werden.", [CRISIS])
case("en", pub("x", "@angry_dani"), "Krachtpunt leaked my data. I get spam on an address I only ever used for "
     "PuntPas. Thanks a lot.", [CRISIS])
case("nl", pub("facebook", "gym.moeders.breda"), "Terugroepactie voor PurePunt Creatine? Ik hoor dat er "
     "glassplinters in een batch zaten en Krachtpunt zegt helemaal niks", [CRISIS])
case("en", pub("bluesky", "@retailwatch.bsky.social"), "Krachtpunt under investigation by the ACM for misleading "
     "'sale' prices, according to the NOS this morning.", [CRISIS], kind="repost")
case("nl", pub("instagram", "@thuisfit_tessa"), "De adapter van mijn SpinX 5 begon te smelten en te roken 🔥😳 "
     "bijna brand in de woonkamer. Ding is net 2 maanden oud.", [CRISIS, COMPLAINT])
case("nl", pub("x", "@oudervanjoep"), "Kinderen ziek na gratis eiwitrepen die bij Krachtpunt Breda werden "
     "uitgedeeld, de GGD is ingeschakeld", [CRISIS])
case("en", pub("x", "@no2kp"), "b0yc0tt krachtpunt until they pull the fat-shaming ads. RT if you're with us",
     [CRISIS], tags=["evasion"])
case("nl", pub("linkedin", "arbeidsrecht-advocaat-m-peters"), "Namens twaalf ex-medewerkers van Krachtpunt hebben "
     "wij vandaag een rechtszaak aangespannen wegens niet-uitbetaalde overuren.", [CRISIS])

# ============================================================ reputation.complaint
case("nl", pub("x", "@thuissporter_bas"), "Loopband besteld op 3 mei, 'binnen 5 werkdagen'. Het is nu 28 mei. "
     "Drie keer gebeld, elke keer een ander verhaal. @krachtpunt_helpt serieus??", [COMPLAINT])
case("en", pub("reddit", "u/macro_mike"), "WheyMax chocolate used to be decent, the new formula tastes like chalk "
     "and won't mix no matter how long you shake. Not buying again.", [COMPLAINT], kind="comment")
case("nl", pub("facebook", "ans.vermeer.10", "Ans Vermeer"), "Mijn PuntPas punten zijn zomaar verdwenen, 2300 "
     "punten weg. Klantenservice zegt 'dat kan gebeuren' 🙄", [COMPLAINT])
case("en", pub("x", "@veggie_lifter"), "ordered vanilla, got two tubs of strawberry. return label costs €6.95?? "
     "your mistake not mine @krachtpunt_nl", [COMPLAINT])
case("nl", pub("x", "@roeiend_door_t_leven"), "Monteur zou vandaag de AquaRow komen opbouwen, niemand kwam opdagen. "
     "Nieuwe afspraak pas over 3 weken 😤", [COMPLAINT])
case("en", pub("threads", "@kaylalifts"), "tried cancelling my WheyMax subscription in the app and there's "
     "literally no button. 4 emails later still charged. dark patterns much?", [COMPLAINT])
case("nl", pub("x", "@piepende_fiets"), "k l a c h t: spinningfiets van Krachtpunt piept na twee weken al, winkel "
     "zegt dat ik hem zelf maar moet opsturen", [COMPLAINT], tags=["evasion"])
case("en", pub("x", "@marco_v"), "krachtpunt webshop crashed three times at checkout and then charged me anyway. "
     "no order, no confirmation. great.", [COMPLAINT])
case("nl", pub("facebook", "jens.de.smet.9", "Jens De Smet"), "Da's de laatste keer dat ik bij Krachtpunt bestel. "
     "Pakket kapot aangekomen, poeder overal in de doos.", [COMPLAINT])
case("en", pub("x", "@sophie_deadlifts"), "@krachtpunt_helpt 9 days and still no reply to my refund request. "
     "ticket 48213", [COMPLAINT], kind="reply")
case("nl", pub("forum", "hardloperhans"), "Stride T9 na een half jaar motor kapot. Garantie? 'Slijtage' volgens "
     "Krachtpunt. Voor bijna 1900 euro verwacht je toch iets meer.", [COMPLAINT])

# ============================================================ reputation.abuse
case("nl", pub("x", "@bozebart"), "Die verkoper bij Krachtpunt Eindhoven is echt een ongelooflijke klootzak", [ABUSE])
case("en", pub("x", "@keyboard_king99"), "krachtpunt staff are brain-dead clowns, every single one of them", [ABUSE])
case("nl", LV, "Als je zo'n toon aanslaat haal je je shakes voortaan maar bij de concurrent, sukkel.", [ABUSE],
     kind="reply", handle_as="@LISA_Krachtpunt")
case("nl", K_HELP, "@gymrat_ferry lol leer lezen, het staat gewoon op de site. Idioot.", [ABUSE], kind="reply")
case("en", pub("x", "@rage_reps"), "f*cking useless company, krachtpunt can go to h3ll", [ABUSE], tags=["evasion"])
case("nl", pub("x", "@ferry_fit"), "Tering Krachtpunt, vier weken wachten op een loopband en dan komt ie kapot "
     "binnen. Stelletje prutsers.", [ABUSE, COMPLAINT])
case("en", pub("instagram", "@anon_lifter_77"), "@noor.fit you're the ugly cow from the Rotterdam store right? "
     "everyone there laughs at you behind your back", [ABUSE], kind="comment")
case("nl", pub("x", "@echte_nederlander88"), "Al die hoofddoekjes achter de kassa bij Krachtpunt, ga terug naar je "
     "eigen land", [ABUSE])
case("en", pub("tiktok", "@cringe_police"), "imagine being such a loser that you work at krachtpunt refilling "
     "protein shelves lmao", [ABUSE], kind="comment")
case("nl", pub("x", "@woedende_wim"), "k*tbedrijf, jullie klantenservice is k a n k e r traag, 5 dagen op een "
     "antwoord wachten", [ABUSE, COMPLAINT], tags=["evasion"])
case("en", RH, "to the customer who returned a half-eaten tub of WheyMax as 'defective': you absolute moron, "
     "nobody believes you", [ABUSE])
case("nl", pub("facebook", "r.kuipers.77"), "Krachtpunt stelletje tyfuslijers, nooit meer", [ABUSE])

# ============================================================ benign: corporate
case("nl", K_HELP, "Vragen over je bestelling? Bel 0800-2255 (gratis) of mail klantenservice@krachtpunt.nl, we "
     "zitten voor je klaar van 8 tot 21 uur 💬", tags=["own-contact"])
case("nl", K_NL, "Zomerdeal ☀️ WheyMax 2kg nu €39,95 (was €54,95) en de 2e tub halve prijs! t/m zondag, "
     "op=op", tags=["sale"])
case("nl", K_FB, "Let op: oplichters sturen nepfacturen uit naam van Krachtpunt met rekeningnummer "
     "<<BAD_IBAN_NL:grp>>. Wij vragen nooit om zo te betalen: alleen via iDEAL of naar onze eigen rekening "
     "NL03 RABO 0312 4567 89. Twijfel? Bel +31 40 760 2300.", tags=["own-contact", "bad-checksum"],
     handle_as="krachtpuntsportnl")
case("nl", K_LI, "Vandaag publiceren wij onze halfjaarcijfers 2026. Omzet groeide met 11%, vooral dankzij voeding "
     "en de PuntPas app. Het volledige persbericht staat op krachtpunt.nl/pers.", tags=["after-embargo"],
     when="2026-08-20T08:00:00+02:00")
case("nl", K_IG, "Hij is er! 🏃‍♀️ De Stride T12 staat vanaf vandaag in al onze winkels. Kom hem testen!",
     tags=["after-embargo"], when="2026-09-15T10:00:00+02:00")
case("nl", K_HELP, "Gepland onderhoud: de PuntPas app is vannacht tussen 02:00 en 04:00 niet bereikbaar. Je punten "
     "blijven gewoon staan 👍", tags=["official-notice"])
case("nl", K_TT, "Wie haalt 100 burpees in 10 minuten? 😅 tag je gymmaatje #krachtpunt #beastmode", tags=["fun"])
case("nl", K_HELP, "@lotte_runs Wat vervelend! Stuur je ordernummer even via DM, dan zoeken we het meteen uit 🙏",
     kind="reply", tags=["support-reply"])
case("en", K_NL, "Black Friday 🖤 Stride T9 from €1899 down to €1399, this week only. Free installation included.",
     tags=["sale"])
case("nl", K_LI, "We zoeken monteurs voor regio Brabant 🔧 Rijbewijs B, handig met gereedschap? Mail je cv naar "
     "werkenbij@krachtpunt.nl", tags=["own-contact"])
case("nl", K_FB, "Loopband leasen kan ook: de Stride T7 al vanaf €34 per maand 💸 incl. onderhoud",
     tags=["price-context"])
case("en", K_HELP, "Our phone line +31 (0)40 760 2300 is working again, thanks for your patience everyone!",
     tags=["own-contact", "official-notice"])
case("en", K_LI, "Privacy question about your PuntPas data? Our privacy team is at privacy@krachtpunt.nl and "
     "answers within 5 working days.", tags=["own-contact"])

# ============================================================ benign: employees
case("nl", LV, "Trots op mijn team in Eindhoven 💪 beste klantbeoordelingen van de hele regio deze maand, er is taart!",
     tags=["praise"])
case("en", MB, "Good day at the hackathon, built a little barcode scanner with Python and way too much coffee ☕ "
     "#developerlife", tags=["neutral"])
case("nl", RH, "Leg day was brutal vandaag 🥵 squats tot ik niet meer kon. Killer sessie, morgen spierpijn gegarandeerd",
     tags=["mild-word"])
case("nl", DK, "Zandloper-training met het DC team vandaag: 30 sec sprint, 30 sec rust, tot de zandloper leeg is ⏳😅",
     tags=["codename-nearmiss"])
case("nl", EW, "Ons jaarverslag 2025 staat online op krachtpunt.nl/investors. Mooi jaar gehad met z'n allen!",
     tags=["published-results"])
case("nl", YD, "Tip voor het weekend: gebruik een wachtwoordmanager en zet MFA aan op je mail en je bank. "
     "Kost 10 minuten 🔐", tags=["secret-nearmiss"])
case("nl", NS, "Dolomieten hike was 🔥 volgend jaar weer! #bergen #wandelen", tags=["codename-nearmiss"])
case("nl", KH, "Weer 6 loopbanden opgebouwd vandaag, rug doet zeer maar de klanten waren blij 😄", tags=["neutral"])
case("en", MB, "bisected it: commit 3f9a2c1e8b7d40a6c15e9f02b84d7e61a9c03b5d broke the size picker, reverted. "
     "friday deploys are a myth anyway", tags=["git-sha"])
case("nl", EW, "Testbetaling in acceptatie met kaartnummer <<BAD_CARD:visa_sp>> gaf netjes een foutmelding ✅ "
     "precies wat we wilden", tags=["bad-checksum"])
case("en", YD, "Setting up env vars the right way: AWS_ACCESS_KEY_ID=AKIAXXXXXXXXXXXXXXXX in the example file, the "
     "real one comes from the vault. Don't commit secrets, folks.", tags=["placeholder"])
case("nl", LV, "Vandaag hebben we met de winkel meegelopen in de sponsorloop tegen kanker 💛 €1.200 opgehaald!",
     tags=["mild-word"])

# ============================================================ benign: public
case("nl", pub("x", "@henkie_runs"), "Net de Stride T7 bij Krachtpunt gekocht, monteur was super vriendelijk. "
     "Geen klachten! 👌", tags=["negated-complaint"])
case("en", pub("reddit", "u/oatmilk_gains"), "Does WheyMax vanilla mix well with oat milk? Thinking of switching "
     "from my current brand", kind="comment", tags=["question"])
case("nl", pub("x", "@gerda_bakt"), "Krachtpunt klantenservice gebeld op 040 760 2300, binnen 5 minuten geholpen "
     "met mijn garantie. Top!", tags=["own-contact"])
case("en", pub("facebook", "martin.koster.3"), "Selling my Stride T9, 2 years old, works perfectly. €650, "
     "pick up in Utrecht. DM me", tags=["price-context"])
case("nl", pub("forum", "budgetsporter"), "Bij de Decathlon een loopband voor €299, bij Krachtpunt de Stride T7 "
     "voor €1299. Het verschil merk je wel als je er echt op rent.", tags=["price-context"])
case("en", pub("x", "@secnews_daily"), "Another gym chain breached: FitFabriek confirms member data was stolen. "
     "Change your passwords, people.", tags=["other-company"])
case("nl", pub("x", "@suikervrij_sanne"), "Ik boycot deze maand alle suiker 😂 alleen nog WheyMax shakes en "
     "groente", tags=["other-sense"])
case("en", pub("x", "@spinclass_survivor"), "this is fine 🔥🙂 — me after my first SpinX class", tags=["joke"])
case("nl", pub("instagram", "@tijgermama"), "'Eye of the Tiger' op repeat in de Krachtpunt winkel vandaag, "
     "ik ging helemaal los 🐯", tags=["quote"])
case("en", pub("blog", "inkandiron", "Ink & Iron"), "Chapter 7 draft: the villain hides the stolen launch codes "
     "inside a tub of protein powder. Too silly? Asking for a friend.", tags=["fiction"])
case("nl", pub("x", "@cadeautje_joyce"), "Hoe check ik het saldo van Krachtpunt cadeaukaart <<GIFT16>>? Gekregen voor "
     "m'n verjaardag 🎁", tags=["bad-checksum"])
case("en", pub("instagram", "@rowing_rosa"), "PostNL says 3SKRPN4417082 is out for delivery, my new rower arrives "
     "today!! 🚣‍♀️", tags=["tracking"])
case("nl", pub("reddit", "u/etiketlezer"), "Is barcode <<EAN13>> dezelfde WheyMax als vroeger? Nieuwe verpakking "
     "en ik zie geen verschil op het etiket", kind="comment", tags=["ean"])
case("en", pub("x", "@quickship_q"), "order <<NOT_BSN9>> from Krachtpunt arrived in 2 days, nice packaging too",
     tags=["order-number"])
case("nl", pub("x", "@nieuwsflits_nl"), "Krachtpunt maakt halfjaarcijfers 2026 bekend: omzet licht gestegen, winst "
     "onder druk door hogere inkoopprijzen.", tags=["after-embargo"], when="2026-08-20T07:31:12Z")
case("en", pub("youtube", "@treadmill_reviews"), "My Stride T12 review is up! Incline up to 20%, surprisingly quiet "
     "motor, but the app pairing needs work.", tags=["after-embargo"], when="2026-10-02T18:20:00+02:00")
case("en", pub("reddit", "u/deal_spotter"), "Pricing error at FitShop24: kettlebells for €1 each. Not Krachtpunt "
     "sadly, they never have those.", tags=["other-company"])
case("nl", pub("x", "@kortingkees"), "Geen prijsfout hoor, de WheyMax is echt €39,95 deze week, staat gewoon in de "
     "folder", tags=["negated"])
case("en", pub("x", "@first_rower"), "Shoutout to the Krachtpunt Utrecht team for helping me pick a rower. Zero "
     "pressure, great advice 🙌", tags=["praise"])
case("nl", pub("instagram", "@motivatie.dagelijks"), "'Pijn is tijdelijk, opgeven is voor altijd' 💪 motto van "
     "vandaag #krachtpunt", tags=["quote"])
case("nl", pub("facebook", "sportclub.de.spurt"), "Wie heeft ervaring met de PuntPas app? Is punten sparen de moeite "
     "waard of is het gedoe?", tags=["question"])
case("en", pub("linkedin", "sanne-hr-talent"), "Sad to see FitFabriek laying off 200 people. If you're affected, "
     "Krachtpunt is hiring: werkenbij@krachtpunt.nl", tags=["other-company", "own-contact"])
case("nl", pub("strava", "ochtendloper_ad"), "Ochtendrun 10 km 🏃‍♂️ nieuwe schoenen van Krachtpunt doen het prima",
     tags=["unknown-platform"])
case("en", pub("tiktok", "@snackhacker"), "life hack: freeze your WheyMax shake into popsicles 🍦 thank me later",
     tags=["other-sense"])
case("nl", pub("x", "@lid_vraagje"), "Mijn PuntPas lidnummer is <<NOT_BSN9>>, 9 cijfers, klopt dat? Die van mijn "
     "vriendin is korter", tags=["bad-checksum"])
case("en", pub("x", "@warranty_win"), "call them on +31 40 760 2300, they sorted my warranty claim in 5 min 👍",
     tags=["own-contact"])
case("en", pub("threads", "@sadrunner"), "my treadmill has seen more of my tears than my therapist 😂",
     tags=["joke"])
case("nl", pub("x", "@retailnieuws"), "Krachtpunt opent volgend jaar drie winkels in België, meldt het bedrijf in "
     "een persbericht van vandaag.", tags=["published-news"])
case("en", pub("instagram", "@plantpowered_pia"), "Picked up GreenPunt Vegan for €29,95 on sale, decent taste, "
     "a bit gritty", tags=["sale"])
case("nl", pub("forum", "ijzervreter"), "Wat is beter voor een thuisgym, de PowerRack 200 of een half rack? "
     "Plafond is 2,40 m", tags=["question"])
case("en", pub("mastodon", "@lena@fosstodon.org"), "Spent the afternoon reading the GDPR text for fun. Yes, I am "
     "fun at parties. No, Krachtpunt, I don't want your newsletter.", tags=["neutral"])
case("nl", pub("x", "@vosje_loopt"), "Zag vanochtend een vos sprinten over het fietspad, sneller dan ik op de "
     "loopband haha 🦊", tags=["codename-nearmiss"])
case("en", pub("reddit", "u/bankdetails_q"), "Krachtpunt asked me to transfer to NL03RABO0312456789 for my "
     "invoice, is that their real account? Found it on their website too so I guess yes", kind="comment",
     tags=["own-contact"])
case("en", pub("x", "@protein_nerd"), "PurePunt Creatine at €24,95 for 500g is about average. Check the price per "
     "gram before you buy anything, kids", tags=["price-talk"])


# ---------------------------------------------------------------- building
def load_profile():
    import yaml
    with open(PROFILE, encoding="utf-8") as f:
        return yaml.safe_load(f)


def role_of(profile, platform, handle):
    key = f"{platform}:{handle}".casefold()
    for role in ("corporate", "employee"):
        if key in {a.casefold() for a in profile["accounts"][role]}:
            return role
    return "public"


def severity_for(role, cats, pii_validated):
    sev = "none"
    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                s = "critical" if c in (SECRET, PRICING) or (c == PII and pii_validated) else "error"
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


def ams_offset(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def random_time(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(3, 358))
    guess = base + dt.timedelta(minutes=r.randint(6 * 60 + 30, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = ams_offset(guess)
    t = guess - dt.timedelta(hours=off)
    s = r.random()
    if s < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if s < 0.88:
        return (t + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def make_id_url(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_880_000_000_000_000_000, 2_020_000_000_000_000_000))
    if platform == "x":
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
        p = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
        sub = r.choice(["fitness_nl", "thenetherlands", "homegym", "Supplements"])
        if kind == "comment":
            c = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/{sub}/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/{sub}/comments/{p}/"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-sportforum-{n}", f"https://sportforum.example/topic/{n}"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        v = "".join(r.choice(B64URL) for _ in range(11))
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "threads":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(112_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog-{h}-{n}", f"https://{h if '.' in h else h + '.example'}/p/{n}"
    return f"{platform}-{r.randint(10 ** 9, 10 ** 10)}", None


def build(profile):
    gen = Gen(SEED)
    mr = random.Random(SEED + 1)
    order = random.Random(SEED + 2)
    rows, seen = [], set()
    for c in CASES:
        text, used = gen.render(c["text"])
        pid, url = make_id_url(mr, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        created = c["when"] or random_time(mr)
        role = role_of(profile, c["platform"], c["handle"])
        validated = PII in c["cats"] and any(k in VALID_ID_KINDS for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and mr.random() < 0.65:
            kind = "post"
        if kind:
            post["kind"] = kind
        acc = {"handle": c["handle"]}
        if c["dn"] and mr.random() < 0.7:
            acc["display_name"] = c["dn"]
        if mr.random() < 0.3:
            acc["id"] = str(mr.randint(10 ** 7, 10 ** 12))
        post["account"] = acc
        post["text"] = text
        pl = mr.random()
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
        post["created_at"] = created
        if url and mr.random() < 0.6:
            post["url"] = url
        if mr.random() < 0.45:
            post["brand"] = "krachtpunt"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=set(c["tags"]), used=used))
    order.shuffle(rows)
    return rows


def dump_lines(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ---------------------------------------------------------------- checks
INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
DIGITS_RE = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-()]{7,16}\d")
CARD_IIN = re.compile(r"^(4|5[1-5]|2(22[1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)|3[47]|6011|65|35)")
SECRET_RES = [re.compile(p) for p in (
    r"\bghp_[A-Za-z0-9]{36}\b", r"\bAKIA[A-Z2-7]{16}\b", r"\bxox[abprs]-", r"hooks\.slack\.com/services/",
    r"\bsk_live_", r"\bAIza[0-9A-Za-z_-]{35}", r"-----BEGIN [A-Z ]*PRIVATE KEY-----", r"\beyJ[\w-]+\.eyJ",
    r"\b[a-z][a-z0-9+.-]*://[^\s:/@]+:[^\s@/]+@", r"\blive_[A-Za-z0-9]{30}\b", r"\bshpat_[0-9a-f]{32}\b",
    r"\bglpat-[\w-]{20}\b", r"\bSG\.[\w-]{22}\.[\w-]{43}\b")]
PROFANITY = ["kut", "kanker", "tering", "tyfus", "klote", "klootzak", "godverdomme", "debiel", "sukkel", "idioot",
             "fuck", "f*ck", "shit", "idiot", "moron", "clown", "hell", "damn", "prutser", "loser", "cow"]


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVIS)
    return re.sub(r"\s+", " ", t).casefold()


def squash(t):
    return re.sub(r"\b(\w) (?=\w\b)", r"\1", norm(t))


def valid_ids(text):
    hits = []
    for m in IBAN_RE.finditer(text):
        c = m.group(0).replace(" ", "")
        for end in range(len(c), 11, -1):
            if iban_ok(c[:end]):
                if c[:end] != OWN_IBAN:
                    hits.append(("iban", c[:end]))
                break
    for m in DIGITS_RE.finditer(text):
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19 and luhn_ok(d) and CARD_IIN.match(d):
            hits.append(("card", d))
    for d in re.findall(r"(?<![\w.,-])\d{9}(?![\w]|[.,-]\d)", text) + \
            [m.replace(".", "") for m in re.findall(r"(?<![\w.])\d{4}\.\d{2}\.\d{3}(?![\w])", text)]:
        if bsn_ok(d):
            hits.append(("bsn", d))
    return hits


def phones_in(text):
    out = []
    for m in PHONE_RE.finditer(IBAN_RE.sub(" ", text)):
        raw = m.group(0)
        d = re.sub(r"\D", "", raw)
        if raw.startswith("+31"):
            d = d[2:]
        elif raw.startswith("0031"):
            d = d[4:]
        d = "0" + d.lstrip("0") if not d.startswith("0") or raw.startswith(("+31", "0031")) else d
        out.append((raw, d))
    return out


AMOUNT_RE = re.compile(r"(?:€\s?)(\d[\d.,]*)(?:,-)?|(\d[\d.,]*)(?:,-)?\s?(?:euro|euros|eur)\b", re.I)


def parse_amount(s):
    s = s.rstrip(".,")
    if "," in s and "." in s:
        dec = "," if s.rfind(",") > s.rfind(".") else "."
        s = s.replace("." if dec == "," else ",", "").replace(dec, ".")
    elif "," in s:
        s = s.replace(",", ".") if re.search(r",\d{2}$", s) else s.replace(",", "")
    elif "." in s:
        s = s if re.search(r"\.\d{2}$", s) else s.replace(".", "")
    return float(s)


def min_ratio(text, products):
    t = norm(text)
    ment = [p for p in products if any(a.casefold() in t for a in [p["name"]] + p["aliases"])]
    am = [parse_amount(m.group(1) or m.group(2)) for m in AMOUNT_RE.finditer(t)]
    if not ment or not am:
        return None
    return min(am) / min(p["list_price"] for p in ment)


def shingles(text):
    w = re.findall(r"\w+", norm(text))
    return {tuple(w[i:i + 3]) for i in range(max(0, len(w) - 2))}


def check(lines, rows, profile):
    errors = []
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_phones = {"0407602300", "08002255"}
    embargo = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = [x.casefold() for x in profile["internal"]["codenames"] + profile["internal"]["domains"]
                + profile["internal"]["markers"]]
    meta = {(r["post"]["platform"], r["post"]["id"]): r for r in rows}
    seen = set()
    for n, line in enumerate(lines, 1):
        w = f"line {n}"
        o = json.loads(line)
        p, ex = o["post"], o["expect"]
        key = (p["platform"], p["id"])
        if key in seen:
            errors.append(f"{w}: duplicate id")
        seen.add(key)
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errors.append(f"{w}: not 2026")
        cats, sev = ex["categories"], ex["severity"]
        role = role_of(profile, p["platform"], p["account"]["handle"])
        text = p["text"]
        ids = valid_ids(text)
        if sev != severity_for(role, cats, PII in cats and bool(ids)):
            errors.append(f"{w}: severity mismatch")
        r = meta[key]
        for kind, raw, shown in r["used"]:
            if shown not in text:
                errors.append(f"{w}: {kind} not in text")
            if kind in VALID_ID_KINDS and not (iban_ok(raw) if kind.startswith("IBAN") else
                                               luhn_ok(raw) if kind == "CARD" else bsn_ok(raw)):
                errors.append(f"{w}: {kind} invalid")
            if kind.startswith("BAD_IBAN") and iban_ok(raw):
                errors.append(f"{w}: bad IBAN passes")
            if kind in ("BAD_CARD", "GIFT16", "EAN13", "NOT_BSN9") and luhn_ok(raw):
                errors.append(f"{w}: {kind} passes Luhn")
            if kind in ("NOT_BSN9", "NOT_BSN8", "EAN13") and bsn_ok(raw):
                errors.append(f"{w}: {kind} passes 11-proof")
            if kind == "GHP" and b62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errors.append(f"{w}: ghp crc")
        if any(k in VALID_ID_KINDS for k, _, _ in r["used"]) and not ids:
            errors.append(f"{w}: valid id not found by scan")
        if ids and PII not in cats:
            errors.append(f"{w}: valid id without pii label")
        nt, sq = norm(text), squash(text)
        if not cats:
            if ids:
                errors.append(f"{w}: benign with valid id {ids}")
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_emails:
                    errors.append(f"{w}: benign e-mail {e}")
            for raw, d in phones_in(text):
                if d not in own_phones and len(d) >= 9:
                    errors.append(f"{w}: benign phone {raw} -> {d}")
            for rx in SECRET_RES:
                for m in rx.finditer(text):
                    if m.group(0) != "AKIAXXXXXXXXXXXXXXXX":
                        errors.append(f"{w}: benign secret-like {m.group(0)[:16]}")
            for word in PROFANITY:
                if re.search(r"\b" + re.escape(word), nt) and not ({"mild-word", "quote"} & r["tags"]):
                    errors.append(f"{w}: benign has {word!r}")
            ratio = min_ratio(text, profile["products"])
            if ratio is not None and ratio < profile["pricing"]["alert_below_ratio"] and "price-context" not in r["tags"]:
                errors.append(f"{w}: benign low price ratio {ratio:.2f}")
        for term, until in embargo:
            if term in nt or term in sq:
                if ts < until and CONF not in cats:
                    errors.append(f"{w}: embargo term {term!r} before until without CONF")
                if ts >= until and CONF in cats and not any(t in nt or t in sq for t in internal):
                    errors.append(f"{w}: embargo term after until labelled CONF")
        for term in internal:
            if re.search(r"(?<![\w.])" + re.escape(term) + r"(?![\w])", nt) or term in sq:
                if CONF not in cats:
                    errors.append(f"{w}: internal term {term!r} without CONF")
        if PRICING in cats:
            ratio = min_ratio(text, profile["products"])
            if ratio is not None and ratio >= 0.5:
                errors.append(f"{w}: pricing positive with ratio {ratio:.2f}")
    sh = [shingles(json.loads(l)["post"]["text"]) for l in lines]
    for i in range(len(sh)):
        for j in range(i + 1, len(sh)):
            if sh[i] and sh[j] and len(sh[i] & sh[j]) / len(sh[i] | sh[j]) > 0.3:
                errors.append(f"lines {i + 1},{j + 1}: near-duplicate")
    return errors


def report(rows):
    cat, lang, role, sevc, plat, cat_role = Counter(), Counter(), Counter(), Counter(), Counter(), Counter()
    multi = ev = 0
    for r in rows:
        cats = r["expect"]["categories"]
        lang[r["lang"]] += 1
        role[r["role"]] += 1
        sevc[r["expect"]["severity"]] += 1
        plat[r["post"]["platform"]] += 1
        multi += len(cats) > 1
        ev += "evasion" in r["tags"]
        for c in cats or ["(benign)"]:
            cat[c] += 1
            cat_role[(c, r["role"])] += 1
    print(f"cases {len(rows)}  benign {cat['(benign)']}  multi {multi}  evasion {ev}")
    for c in TAXONOMY + ["(benign)"]:
        print(f"  {c:22s} {cat[c]:4d}   corp {cat_role[(c, 'corporate')]:3d} emp {cat_role[(c, 'employee')]:3d} "
              f"pub {cat_role[(c, 'public')]:3d}")
    print("lang", dict(lang), "role", dict(role))
    print("severity", {s: sevc[s] for s in SEVERITIES})
    print("platforms", dict(plat.most_common()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    lines = dump_lines(rows)
    if not a.check:
        OUT.write_text("".join(lines), encoding="utf-8")
        print(f"wrote {len(lines)} cases to {OUT}")
        report(rows)
        return 0
    disk = OUT.read_text(encoding="utf-8").splitlines(keepends=True)
    errors = check(disk, rows, profile)
    if disk != lines:
        errors.append("cases.jsonl differs from the generator output")
    report(rows)
    print(f"{len(errors)} error(s)")
    for e in errors:
        print("  ERROR", e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
