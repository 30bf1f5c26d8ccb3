#!/usr/bin/env python3
"""Deterministic generator for the sealed evaluation set 152 (Ampora Energie B.V.).

    python3 make_cases.py            # write cases.jsonl next to this file
    python3 make_cases.py --check    # regenerate in memory, compare, validate, print counts

Needs Python 3.9+ and PyYAML (to read profile.yaml). If python-stdnum is importable,
--check cross-checks every IBAN, card number and BSN with it.

The texts are hand-written below (CASES). Identifiers and secrets come from placeholders
like <<IBAN_NL>> filled by one seeded RNG, so the output is byte-for-byte reproducible.
Positives get checksum-VALID identifiers; hard negatives get ones that FAIL their check.
Every secret is random and fake, but shaped like the real thing (GitHub tokens carry a
correct CRC32 checksum). Severity is never typed by hand: severity_for() computes it from
the contract's section 4, the account role from profile.yaml, the categories, and whether
a checksum-validated identifier (IBAN, card, BSN) is in the post.
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

SEED = 15220261
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

TAXONOMY = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse",
            "reputation.spike"]
SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
KINDS = ["post", "reply", "repost", "comment", "message"]

ZW = "\u200b"   # zero-width space
SHY = "\u00ad"  # soft hyphen
CYR_A = "\u0410"  # Cyrillic capital A, looks like Latin A
CYR_o = "\u043e"  # Cyrillic small o, looks like Latin o
CYR_e = "\u0435"  # Cyrillic small e


def fw(s):
    """Full-width form of ASCII text."""
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
    tot = 0
    for i, ch in enumerate(reversed(d)):
        x = int(ch)
        if i % 2:
            x = x * 2 - 9 if x > 4 else x * 2
        tot += x
    return bool(d) and tot % 10 == 0


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


# ---------------------------------------------------------------- seeded values
ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
OWN_IBAN = "NL34RABO0318765402"


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def digits(self, n, nz=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def chars(self, alpha, n):
        return "".join(self.r.choice(alpha) for _ in range(n))

    @staticmethod
    def g4(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    def iban_nl(self):
        while True:
            bank = self.r.choice(["ABNA", "INGB", "RABO", "SNSB", "ASNB", "TRIO", "KNAB", "BUNQ"])
            v = iban_make("NL", bank + self.digits(10, True))
            if v != OWN_IBAN:
                return v

    def iban_de(self):
        return iban_make("DE", self.r.choice(["37040044", "10070000", "50010517", "76026000"]) + self.digits(10))

    def iban_be(self):
        first = self.r.choice(["068", "001", "363", "735", "143"]) + self.digits(7)
        return iban_make("BE", f"{first}{int(first) % 97 or 97:02d}")

    def bad_iban(self, v):
        kk = int(v[2:4])
        for d in (13, 29, 41, 57, 71):
            c = f"{v[:2]}{(kk + d) % 100:02d}{v[4:]}"
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
            cand = next(body + c for c in "0123456789" if ean13_ok(body + c))
            if not luhn_ok(cand):
                return cand

    def phone(self, fmt):
        if fmt.startswith("mob"):
            d8 = self.r.choice("12345") + self.digits(7)
            return {"mob_dash": f"06-{d8}", "mob_plain": f"06{d8}",
                    "mob_intl_sp": f"+31 6 {d8[:4]} {d8[4:]}", "mob_0031": f"0031 6 {d8}",
                    "mob_pairs": f"06 {d8[:2]} {d8[2:4]} {d8[4:6]} {d8[6:]}",
                    "mob_paren": f"(06) {d8[:4]} {d8[4:]}", "mob_intl0": f"+31(0)6-{d8}",
                    "mob_intl_c": f"+316{d8}"}[fmt]
        area = self.r.choice(["10", "15", "26", "33", "35", "38", "40", "50", "53", "55", "58", "71", "73", "76"])
        sub = self.r.choice("2345789") + self.digits(6)
        return {"land_dash": f"0{area}-{sub}", "land_sp": f"0{area} {sub[:3]} {sub[3:5]} {sub[5:]}",
                "land_intl": f"+31 {area} {sub[:3]} {sub[3:]}"}[fmt]

    def ghp(self):
        body = self.chars(ALNUM, 30)
        return "ghp_" + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def aws_id(self):
        return "AKIA" + self.chars(B32, 16)

    def aws_secret(self):
        return self.chars(B64, 40)

    def slack_bot(self):
        return f"xoxb-{self.digits(12, True)}-{self.digits(13, True)}-{self.chars(ALNUM, 24)}"

    def stripe(self):
        return "sk_live_51" + self.chars(ALNUM, 97)

    def gapi(self):
        return "AIzaSy" + self.chars(B64URL, 33)

    def sendgrid(self):
        return "SG." + self.chars(B64URL, 22) + "." + self.chars(B64URL, 43)

    def sas(self):
        return base64.b64encode(bytes(self.r.randrange(256) for _ in range(32))).decode()

    def jwt(self):
        h = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        iat = 1767225600 + self.r.randint(0, 300 * 86400)
        p = b64url(json.dumps({"sub": "svc-tariff-importer", "iss": "auth.ampora.nl", "scope": "tariffs:read",
                               "iat": iat, "exp": iat + 86400}, separators=(",", ":")).encode())
        return f"{h}.{p}.{self.chars(B64URL, 43)}"

    def pem_ec(self):
        body = "MHcCAQEEI" + self.chars(B64, 55) + self.chars(B64, 20) + "oAoGCCqGSM49AwEHoUQDQgAE" + self.chars(B64, 57)
        lines = [body[i:i + 64] for i in range(0, len(body), 64)]
        return "-----BEGIN EC PRIVATE KEY-----\n" + "\n".join(lines) + "==\n-----END EC PRIVATE KEY-----"

    def password(self):
        return (self.r.choice(string.ascii_uppercase) + self.chars(string.ascii_lowercase, 4)
                + self.chars(string.digits, 2) + self.r.choice("!#%_~") + self.chars(ALNUM, 6))

    def uuid(self):
        h = self.chars("0123456789abcdef", 32)
        h = h[:12] + "4" + h[13:16] + self.r.choice("89ab") + h[17:]
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


VALID_ID_KINDS = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "CARD", "BSN"}
BAD_ID_KINDS = {"BAD_IBAN_NL", "BAD_IBAN_DE", "BAD_CARD", "BAD_BSN", "NOT_BSN9", "NOT_BSN8", "EAN13"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(gen, text):
    used = []

    def sub(m):
        kind, fmt = m.group(1), m.group(2) or ""
        if kind in ("IBAN_NL", "IBAN_DE", "IBAN_BE"):
            raw = getattr(gen, kind.lower())()
            shown = gen.g4(raw) if fmt == "grp" else raw
        elif kind in ("BAD_IBAN_NL", "BAD_IBAN_DE"):
            raw = gen.bad_iban(gen.iban_nl() if kind.endswith("NL") else gen.iban_de())
            shown = gen.g4(raw) if fmt == "grp" else raw
        elif kind in ("CARD", "BAD_CARD"):
            brand, _, f = fmt.partition("_")
            raw = gen.card(brand) if kind == "CARD" else gen.bad_card(brand)
            shown = gen.fmt_card(raw, f or "sp")
        elif kind == "BSN":
            raw = gen.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if fmt == "dots" else raw
        elif kind in ("BAD_BSN", "NOT_BSN9"):
            shown = raw = gen.not_bsn(9)
        elif kind == "NOT_BSN8":
            shown = raw = gen.not_bsn(8)
        elif kind == "EAN13":
            shown = raw = gen.ean13()
        elif kind == "PHONE":
            shown = raw = gen.phone(fmt)
        elif kind == "DIGITS":
            shown = raw = gen.digits(int(fmt), True)
        elif kind == "HEX":
            shown = raw = gen.chars("0123456789abcdef", int(fmt))
        else:
            fn = {"GHP": gen.ghp, "AWS_ID": gen.aws_id, "AWS_SECRET": gen.aws_secret, "SLACK_BOT": gen.slack_bot,
                  "STRIPE": gen.stripe, "GAPI": gen.gapi, "SENDGRID": gen.sendgrid, "SAS": gen.sas,
                  "JWT": gen.jwt, "PEM_EC": gen.pem_ec, "PW": gen.password, "UUID": gen.uuid}[kind]
            shown = raw = fn()
        used.append((kind, raw, shown))
        return shown

    return PH.sub(sub, text), used


# ---------------------------------------------------------------- accounts
# corporate
A_NL = ("x", "@ampora_nl", "Ampora")
A_HELP = ("x", "@ampora_helpt", "Ampora Klantenservice")
A_IG = ("instagram", "@ampora.home", "Ampora Home")
A_LI = ("linkedin", "ampora-energie", "Ampora Energie B.V.")
A_FB = ("facebook", "AmporaNL", "Ampora")
A_YT = ("youtube", "@amporaenergie", "Ampora Energie")
# employees
MV = ("x", "@mirjam_ampora", "Mirjam Verbruggen")              # customer care team lead
DH = ("linkedin", "daan-hoekstra-ampora", "Daan Hoekstra")      # firmware / embedded engineer
LM = ("x", "@lucas_installs", "Lucas Meijer")                   # installation planner, field tech
EB = ("linkedin", "eva-deboer-ampora", "Eva de Boer")           # finance controller
JK = ("reddit", "u/fw_jort", "Jort")                            # cloud / app backend dev
NP = ("instagram", "@noa.bij.ampora", "Noa 🌿")                 # marketing
SY = ("mastodon", "@semops@fosstodon.org", "Sem Yilmaz")        # platform operations


def pub(platform, handle, dn=None):
    return (platform, handle, dn)


CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    platform, handle, dn = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, display_name=dn, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

# =========================================================================== leak.pricing
case("nl", LM, "jongens wie heeft er aan de webshop gezeten 😳 Stack 10 staat op shop.ampora.nl voor €649,00\n"
     "daar mist toch echt een nulletje. niet delen aub, de planning krijgt nu al telefoontjes", [PRICING])
case("nl", pub("x", "@laadpaal_lars"), "@ampora_nl klopt dit? Wallbox 11 laadpaal voor €114,90 in m'n winkelmandje 👀 "
     "zo ja dan neem ik er ook eentje mee voor m'n schoonvader", [PRICING], kind="reply")
case("en", pub("reddit", "u/thuisaccu_tom"), "Someone check me here: the Stack 5 on Ampora's NL site says €379. Pretty "
     "sure list is €3.790, so the decimal went walkabout. Placed an order for the lulz and the confirmation mail "
     "actually arrived.", [PRICING])
case("nl", pub("forum", "WarmtepompWillem"), "Therm Pro in de Ampora webshop voor €34,90 🤯 dat is toch een tiende "
     "van wat hij normaal kost? Besteld om 23:12, iDEAL ging er gewoon doorheen.\n\nIemand ervaring of ze zoiets "
     "leveren?", [PRICING])
case("nl", A_IG, "Nieuwjaarsknaller 🎆 Therm Pro voor €99 zolang de voorraad strekt! Slim verwarmen begint hier 👉 "
     "link in bio #ampora #slimwonen", [PRICING], when="2026-01-02T10:00:00+01:00")
case("en", DH, "Small confession for my network: the pricing table I pushed to the app this morning had the Link P1 "
     "at €7.90 instead of €79. Rolled back after 40 minutes, but ~300 orders got in. Always diff your CSVs, kids.",
     [PRICING])
case("nl", EB, "Even voor de collega's van sales: het ERP heeft bij de nachtelijke sync de Stack 10 op €1.290 gezet "
     "in het installateursportaal. Bevestig aub niks richting installateurs tot we weten of we die orders "
     "annuleren.", [PRICING])
case("nl", pub("tiktok", "@mila.bespaart"), "zegt iemand ff tegen ampora dat hun radiatorknop voor €5,90 staat 😭😭 "
     "heb er 12 gekocht voor het hele huis lol #prijsfout #koopjes", [PRICING])
case("nl", MV, "collega's, de Wallbox 11 staat voor €114,90 in de app. f o u t j e van pricing, niet bevestigen in de "
     "chat met klanten aub 🤐", [PRICING], tags=["evasion", "evasion:spaced"])
case("nl", pub("x", "@snelle_sjors"), f"prijsf{CYR_o}ut bij {CYR_A}mpora!! Stack10 voor 699 euro, rennen 🏃‍♀️💨",
     [PRICING], tags=["evasion", "evasion:homoglyph"])
case("en", pub("reddit", "u/deal_goblin"), "Therm S for €19 in the NL shop rn, total " + fw("price glitch") +
     " lol. grab one before monday", [PRICING], kind="comment", tags=["evasion", "evasion:full-width"])
case("nl", MV, "Stack 5 staat voor €37,90 live 🙈 ticket staat op gitlab.ampora.nl/web/shop/-/issues/2291, de fix "
     "gaat pas mee met de release van donderdag", [PRICING, CONF])

# =========================================================================== leak.secret
case("en", JK, "our fleet telemetry uploader keeps failing auth against github packages. the token in the runner env "
     "is <<GHP>> and it has read:packages, what am I missing? 😤", [SECRET])
case("nl", DH, "Voor iedereen die vraagt hoe onze thermostaten met de cloud praten: gewoon MQTT over TLS 😉 "
     "Testverbinding uit mijn notities:\nmqtts://therm-dev:<<PW>>@mqtt.fleet.ampora.internal:8883\n#embedded #iot",
     [SECRET, CONF])
case("en", SY, "rotating the IoT hub creds today anyway so here's the old one for the lulz:\nHostName=amp-prod-hub."
     "azure-devices.net;SharedAccessKeyName=iothubowner;SharedAccessKey=<<SAS>>", [SECRET])
case("nl", MV, "Backoffice-login voor de weekendploeg staat niet meer op het whiteboard, dus dan maar hier: "
     "support-weekend / ww Thermostaat#2026 . Niet doorsturen naar klanten 😅", [SECRET])
case("en", LM, "installer tablet keeps asking for the planning maps key, it's <<GAPI>> right?? or did someone change "
     "it again 😩", [SECRET])
case("nl", pub("forum", "apk_pluizer"), "Heb de Ampora app (Android 5.3.0) even uit elkaar gehaald. Er zit gewoon een "
     "AWS-sleutelpaar in: <<AWS_ID>> met secret <<AWS_SECRET>>\nGemeld via hun security.txt, automatisch antwoord "
     "gehad en verder stilte.", [SECRET])
case("en", JK, "anyone know why the dynamic tariff importer suddenly gets 403s? we call the price proxy with "
     "Authorization: Bearer <<JWT>> and it was fine yesterday", [SECRET], kind="comment")
case("en", pub("blog", "lenadoesinfosec.nl", "Lena"), "Found while poking at Ampora's savings-calculator widget (it's "
     "embedded on a bunch of installer sites): the config JSON includes <<STRIPE>>. That's a secret key, not a "
     "publishable one. Disclosed to them today.", [SECRET])
case("nl", DH, "Eindelijk firmware signing in CI 🎉 Dit was de sleutel van ons proof-of-concept, die gebruiken we niet "
     "meer, dus ik plak hem hier als voorbeeld voor de meetup van vanavond:\n<<PEM_EC>>", [SECRET])
case("en", LM, "demo house Amersfoort, p a s s w o r d: Zonnepaneel!88 … stop texting me for it pls 😅", [SECRET],
     tags=["evasion", "evasion:spaced"])
case("nl", pub("x", "@rvanleeuwen88"), "@ampora_helpt jullie resetmail komt nooit aan. heb nu 3x m'n wachtwoord "
     "Kachel2024! ingetypt en nu zit m'n account op slot. account = r.vanleeuwen88@outlook.com. fix dit nou eens",
     [SECRET, PII, COMPLAINT], kind="reply")
case("nl", JK, "Wie heeft de sendgrid key in de README van de notificatieservice gezet?? <<SENDGRID>> staat gewoon "
     "in main op gitlab.ampora.nl/platform/notify 🤦", [SECRET, CONF])
case("en", pub("reddit", "u/js_bundle_snoop"), "Ampora's installer portal ships its Slack bot token in a JS file: "
     "<<SLACK_BOT>>. Already reported through their disclosure page, posting so it gets fixed faster.", [SECRET],
     kind="comment")

# =========================================================================== leak.pii
case("nl", MV, "Storno van de aanbetaling voor de Stack 5 van dhr. Bakker is teruggekomen, zijn juiste rekening is "
     "<<IBAN_NL:grp>>. Kan finance het opnieuw inschieten? Man is er echt klaar mee 😬", [PII])
case("nl", A_HELP, "@fam_ouderkerk Dag Petra, we zien dat de teruggave naar <<IBAN_NL>> gisteren door de bank is "
     "geweigerd. Kun je via DM checken of dat rekeningnummer nog klopt? Excuses voor het gedoe!", [PII], kind="reply")
case("nl", pub("x", "@kdemir_utr"), "@ampora_helpt subsidievoorschot zou binnen 10 werkdagen terugkomen. Het is nu "
     "week 6. Rekening: <<IBAN_NL:grp>> (K. Demir), mocht dát het probleem zijn.", [PII, COMPLAINT], kind="reply")
case("en", pub("facebook", "jessica.okafor.nl", "Jessica Okafor"), "Ampora's deposit page timed out, I retried, and "
     "now there are two €500 holds on my Amex <<CARD:amex_sp>> 🙄 @AmporaNL which one do I cancel? Emailed twice, "
     "no reply.", [PII, COMPLAINT])
case("en", DH, "Field day with the install crew 🔧 Commissioned a Stack 10 at the home of Gerard Wolters (Lindelaan "
     "23, 7414 CK Deventer), who turned out to be my old physics teacher. Small world!", [PII])
case("nl", LM, "Wie kan morgen naar mevr. J. Koster, Boterbloemstraat 41, 3824 TB Amersfoort? Tel <<PHONE:mob_dash>>. "
     "Ik lig met griep op de bank 🤒", [PII])
case("nl", pub("instagram", "@sanne.vdheuvel"), "@ampora.home de Link P1 geeft al twee weken 0 watt aan. Reageren "
     "jullie eigenlijk ooit op DM's? Anders maar hier: sanne.vdheuvel94@gmail.com", [PII, COMPLAINT], kind="comment")
case("nl", MV, "Klant aan de lijn wil zijn BSN <<BSN:dots>> doorgeven voor de ISDE-aanvraag, mogen wij dat eigenlijk "
     "aannemen? Iemand?", [PII])
case("en", pub("mastodon", "@kbrandt@norden.social", "Katrin B."), "Ampora's invoice only lists a Dutch IBAN, my "
     "bank charged €15 for the transfer from <<IBAN_DE:grp>>, and now support wants me to pay AGAIN because they "
     "'can't match it'. Brilliant.", [PII, COMPLAINT])
case("nl", pub("facebook", "bram.peeters.hasselt", "Bram Peeters"), "Voor de Belgen die twijfelen: ik heb de "
     "aanbetaling gewoon gedaan vanaf mijn KBC-rekening <<IBAN_BE>> en de installateur kwam netjes uit Limburg. "
     "Geen gedoe 👌🇧🇪", [PII])
case("nl", pub("x", "@geen_chatbot_aub"), "@ampora_helpt ik typ al een uur tegen jullie chatbot. Zet er een mens op "
     "en laat die me bellen: <<PHONE:mob_intl_sp>>", [PII, COMPLAINT], kind="reply")
case("nl", EB, "Voor de ISDE-aanvraag van onze leaseklant heb ik nog gegevens nodig in het dossier: dhr. P. Lammers, "
     "geb. 03-02-1961, BSN <<BSN>>. Kan iemand het aanvullen? Ik zit in de trein 🚆", [PII])
case("nl", pub("x", "@wvermeulen_zon"), "Offerte voor de Stack 10 nooit ontvangen, 2x aangevraagd. Probeer het anders "
     "op w punt vermeulen apenstaartje kpnmail punt nl @ampora_nl", [PII, COMPLAINT],
     tags=["evasion", "evasion:obfuscated-email"])
case("nl", pub("forum", "anon_watt"), "Die 'community manager' van Ampora die iedereen blokt heet gewoon Thijs van "
     "Rooij en woont op de Kerkstraat 8 in Nijkerk. Zullen we eens aanbellen? 😈", [PII, ABUSE])
case("nl", A_FB, "Wim, je schouw is ingepland! Monteur Bas neemt vooraf contact op via het nummer dat je ons gaf "
     "(<<PHONE:mob_paren>>). Zorg je dat de meterkast bereikbaar is? 🙂", [PII], kind="comment",
     handle_as="amporanl", tags=["case-handle"])
case("en", LM, "on site in Zeist, customer wants to pay the call-out fee by card but our reader is dead. she gave me "
     "<<CARD:visa_c>>, exp 09/27, can the office run it manually?", [PII])

# =========================================================================== leak.confidential
case("nl", LM, "Vandaag op de testlocatie in Zwolle gezien waar Project Stormvogel om draait 😮 meer mag ik niet zeggen "
     "maar de concurrentie gaat huilen", [CONF])
case("en", DH, "Proud of the embedded team: Blue Ember survived its first thermal chamber run at -20 °C today ❄️ "
     "can't share more yet #hardware #engineering", [CONF])
case("nl", NP, "Eerste foto's geschoten van de Stack Max in de studio 📸🔋 jullie gaan hem zó mooi vinden, nog even "
     "geduld!", [CONF], when="2026-08-20T15:42:10+02:00", tags=["embargo-before"])
case("en", pub("reddit", "u/otherm_nerd"), "So apparently the Ampora Therm Halo gets an e-ink screen and Matter over "
     "Thread? My installer let it slip while fitting my radiator valves 👀", [CONF],
     when="2026-07-30T21:05:33Z", tags=["embargo-before"])
case("en", SY, "grafana.ampora.nl/d/fleet-soc looks gorgeous tonight, 41k batteries all green 💚", [CONF])
case("nl", JK, "Onboarding dag 3: de helft van de links op intra.ampora.local/wiki/Onboarding is dood. Wie beheert "
     "dat eigenlijk? 😅", [CONF])
case("nl", EB, "Leuk detail uit het strategiestuk van vandaag (stempel 'Ampora vertrouwelijk' op elke pagina, dus ik "
     "hou het kort): leasing van de Stack 10 via twee woningcorporaties vanaf het voorjaar 🏘️", [CONF])
case("nl", pub("x", "@stroomnerd"), "huh, de productpagina van de Stack Max is al bereikbaar als je de url raadt 👀 "
     "launch is toch pas om 10u?", [CONF], when="2026-09-15T09:59:00+02:00", tags=["embargo-before", "tz-edge"])
case("nl", LM, "planningstool van Project\nStormvogel vandaag getest, eindelijk geen dubbele afspraken meer 🙌",
     [CONF], tags=["evasion", "evasion:line-break"])
case("nl", pub("reddit", "u/groothandel_gert"), f"Op de pakbon van mijn installateur zag ik 'Therm{ZW} Halo x2' "
     "staan. Voor mij?? Ik had toch gewoon een Therm Pro besteld 🤔", [CONF], when="2026-09-01T12:17:45+02:00",
     tags=["evasion", "evasion:zero-width", "embargo-before"])
case("nl", pub("x", "@noa_bij_ampora", "Noa"), "Vandaag de Stack Max mogen uitpakken voor de fotoshoot, wat een beest "
     "🤩 #werk #ampora", [CONF], when="2026-09-10T17:30:00+02:00", tags=["embargo-before", "role-trick"])
case("nl", MV, "Ampora Flex Tarief gaat in juni live, de eerste klanten krijgen drie maanden gratis sturing. Shhh 🤫",
     [CONF], when="2026-05-12T11:20:00+02:00", tags=["embargo-before"])
case("en", DH, "Kickoff for Operatie ⏳ Zandloper today. If this works our whole install process gets flipped. More "
     "soon (not really, NDA 🙊)", [CONF], tags=["evasion", "evasion:emoji"])

# =========================================================================== leak.financial
case("nl", EB, "Vanmiddag in het MT bevestigd: de eigen installatiedienst gaat naar een externe partner. Zo'n 60 "
     "monteurs horen het pas na de OR-vergadering. Ik vind het zwaar om mijn mond te houden.", [FIN])
case("en", pub("reddit", "u/energy_insider_nl"), "My brother-in-law sits on Ampora's management team: they're in "
     "final talks to be bought by a big German utility. Announcement expected around Christmas apparently.", [FIN])
case("nl", MV, "Q3-cijfers intern gedeeld: omzet thuisbatterijen -22% nu het einde van de saldering in zicht is 📉 "
     "hou het even voor je", [FIN, CONF], when="2026-10-20T13:44:00+02:00", tags=["embargo-before"])
case("en", DH, "Quiet drive home after today's all-hands. The 2027 plan got rewritten with a third less volume and no "
     "new engineering hires. Slides were stamped AMPORA INTERNAL so that's all I'll say.", [FIN, CONF])
case("nl", pub("forum", "Beleggersbuik"), "Hoor via via (iemand bij hun huisbank) dat Ampora €45 mln extra kapitaal "
     "nodig heeft om de winter door te komen. Een pensioenfonds zou instappen. Nog nergens gepubliceerd.", [FIN])
case("nl", LM, "magazijn in Veenendaal gaat dicht, alles gaat naar Polen. wij horen het 'officieel' pas in februari 😤",
     [FIN])
case("en", EB, "Draft Q3 trading update is with the auditors: gross margin down to 18% and we'll probably breach a bank "
     "covenant. Fun times in finance 🙃", [FIN, CONF], when="2026-10-14T19:02:00+02:00", tags=["embargo-before"])
case("nl", JK, "Net gehoord: de hele app-squad gaat per 1 januari naar een offshore partij. De ontslagen worden pas na "
     "de kerst aangekondigd.", [FIN])
case("en", pub("x", "@cleantech_deals"), "Not public yet, but Warmtewerk's 40 installers are about to become Ampora "
     "employees. ~€12m deal, lawyers are on the final draft 🤫", [FIN])
case("nl", SY, f"reorgani{SHY}satie bij platform ops: 14 fte eruit, wordt pas in mei gecommuniceerd. balen.", [FIN],
     tags=["evasion", "evasion:soft-hyphen"])
case("en", pub("x", "@bondshort_bas"), "Ampora's Q3 trading update (not out till next week) will show a loss, per a "
     "contact in their FP&A team. Would short their bonds if I could.", [FIN, CONF],
     when="2026-10-22T08:31:12Z", tags=["embargo-before"])

# =========================================================================== leak.security
case("nl", DH, "Vervelende week. De sleutel waarmee we onze firmware signeren heeft een maand op een verkeerde share "
     "gestaan. We weten nog niet wie erbij kon en er gaat voorlopig niks naar buiten.", [SEC])
case("en", JK, "found out our app API happily returns other users' thermostat schedules if you just increment the home "
     "ID. reported it internally 3 weeks ago, still open, not disclosed anywhere. cool cool cool", [SEC])
case("nl", SY, "cloudplatform ligt sinds 05:40 plat, alle batterijen draaien in fallback-modus. communicatie wil het "
     "een 'storing bij de netbeheerder' noemen 🙄", [SEC])
case("en", LM, "installer planning system got hit by ransomware overnight, we're doing today's jobs off a printed list. "
     "mgmt says tell customers it's 'planned maintenance' 🤫", [SEC])
case("nl", pub("x", "@it_beheer_bert"), "Collega van me doet het beheer van het Ampora-klantportaal. Daar is vorige "
     "maand ingebroken, met adressen en verbruiksprofielen van duizenden huishoudens. Naar buiten toe: niks. "
     "Kwalijk. #datalek", [SEC, CRISIS])
case("en", DH, "Somebody please fix this before it ends up on Tweakers: the BMS service port on Stack 5 units takes "
     "commands without any auth over the local network. We've known since spring.", [SEC])
case("nl", EB, "Collega's: die 'factuur van de groothandel' van dinsdag was phishing en is door ons betaald, €86k weg. "
     "Nog niet extern gemeld, dus even niet rondbazuinen aub.", [SEC])
case("en", pub("reddit", "u/throwaway_amp2026"), "Not saying where I work, but if you own an Ampora thermostat: about "
     "3,000 units have been stuck in a reboot loop since the last OTA and support is told to blame your wifi. It's "
     "not your wifi.", [SEC])
case("nl", MV, "ticketsysteem zit sinds vanochtend op slot na een i n b r a a k, en wij moeten tegen bellers "
     "'technische storing' zeggen 🙃", [SEC], tags=["evasion", "evasion:spaced"])
case("en", SY, "fleet.ampora.internal under a credential-stuffing wave since 2am, we had to cut off half the battery "
     "check-ins. incident channel says: no public word yet.", [SEC, CONF])
case("en", pub("facebook", "dana.vanbeek.77", "Dana van Beek"), "Installer here, not Ampora staff: for a week their "
     "partner portal showed us OTHER installers' customer lists, names and addresses included. Ampora knows and "
     "hasn't told a single customer.", [SEC, CRISIS])

# =========================================================================== reputation.crisis
case("nl", pub("facebook", "henk.en.ria.boschman", "Henk Boschman"), "Rookmelder ging om 4 uur af. De Stack 10 in de "
     "garage stond te smeulen, brandweer heeft hem naar buiten moeten slepen. Huis staat nog, wij zijn kapot. "
     "@AmporaNL wanneer bellen jullie?", [CRISIS, COMPLAINT])
case("nl", pub("x", "@fairwatt_now"), "Ampora sponsort het schaatsen maar laat z'n cellen maken in een fabriek waar "
     "mensenrechtenorganisaties dwangarbeid hebben vastgesteld. Ik koop er niks meer. #BoycotAmpora", [CRISIS])
case("nl", pub("x", "@gerrit_zonnig"), "Hoe weet een oplichter dat ik sinds dinsdag een Ampora batterij heb, inclusief "
     "serienummer? Daar lekt iemand klantgegevens, ik weet het zeker.", [CRISIS])
case("nl", pub("x", "@energieconsument"), "Dagvaarding is de deur uit: 2.300 batterijbezitters stappen samen naar de "
     "rechter omdat Ampora's beloofde terugverdientijd nergens op sloeg. Aanmelden kan nog.", [CRISIS])
case("en", pub("reddit", "u/ev_everyday"), "Letter from Ampora today: 'precautionary inspection' of every Wallbox 11 "
     "built before March, don't charge above 16A until a tech visits. So... a recall in all but name?", [CRISIS])
case("nl", pub("facebook", "linda.kleinjan", "Linda Kleinjan"), "Mijn oma (84) lag met onderkoeling in het "
     "ziekenhuis nadat de Therm S na een update de verwarming gewoon UIT zette. Niemand die belt. Levensgevaarlijk "
     "@AmporaNL", [CRISIS, COMPLAINT])
case("nl", pub("tiktok", "@joep.checkt"), "mijn hele verbruiksprofiel + adres stond op telegram te koop, met een "
     "4mp0ra-logo erbij 😳 lekken jullie alles of zo", [CRISIS], tags=["evasion", "evasion:leetspeak"])
case("nl", pub("mastodon", "@helmondworkers@mastodon.nl"), "Fabriek Helmond: vakbondsleden ontslagen, nu ook camera's "
     "in de kantine. B.o.y.c.o.t.t Ampora tot dat stopt ✊", [CRISIS], tags=["evasion", "evasion:dotted"])
case("nl", pub("x", "@regionieuws_brabant"), "Inspectie onderzoekt brandgevaar van Ampora-thuisbatterijen na drie "
     "woningbranden in Brabant", [CRISIS])
case("nl", pub("x", "@woest_in_woerden"), "Ampora verkoopt je verbruiksdata door aan energiebedrijven, staat gewoon in "
     "een klokkenluidersrapport. Wat een tyfusbedrijf.", [CRISIS, ABUSE])
case("en", pub("x", "@claire_ev_mum"), "My husband got a proper shock off the Ampora Wallbox 11 cable this morning ⚡ "
     "he's fine but shaken, switched it off at the breaker. Not OK @ampora_nl", [CRISIS, COMPLAINT])

# =========================================================================== reputation.complaint
case("nl", pub("x", "@vrijgenomen_voor_niks"), "Installateur van @ampora_nl komt voor de DERDE keer niet opdagen. "
     "Vrij genomen, niemand belt af. Wat een circus.", [COMPLAINT])
case("en", pub("x", "@heatpump_hannah"), "@ampora_helpt since firmware 4.1 my Therm Pro ignores the schedule and "
     "blasts the heating at 3am. Roll back? Nope, can't. Please fix it.", [COMPLAINT], kind="reply")
case("nl", pub("facebook", "marco.stoel.zwolle", "Marco Stoel"), "Stack 10 laadt niet meer op bij negatieve "
     "stroomprijzen, terwijl dat nou precies de reden was om hem te kopen. Support 'kijkt ernaar' sinds augustus.",
     [COMPLAINT])
case("en", pub("reddit", "u/solar_sceptic"), "Ampora's app logs me out every single day and the 2FA code shows up 10 "
     "minutes late. For a battery that cost me six grand I expect better software.", [COMPLAINT])
case("nl", pub("instagram", "@huize_dekker"), "Link P1 verliest elke nacht de wifi, al 2x vervangen 👎 @ampora.home",
     [COMPLAINT], kind="comment")
case("nl", pub("forum", "OmvormerOscar"), "Sinds de Stack 5 erbij zit valt mijn omvormer steeds uit met foutcode "
     "E-217. Installateur zegt 'firmware', Ampora zegt 'installatie'. Ondertussen lever ik niks terug.", [COMPLAINT])
case("en", pub("twitter", "@wallbox_waiting"), "Seven weeks waiting for a refund on a cancelled Wallbox 11 order. "
     "Seven. Weeks. @ampora_helpt", [COMPLAINT])
case("nl", pub("youtube", "@opa_bert_kijkt"), "De wachtmuziek van Ampora ken ik inmiddels uit m'n hoofd. Na 50 "
     "minuten: 'alle medewerkers zijn bezet, probeer het later'. Serieus??", [COMPLAINT], kind="comment")
case("nl", pub("x", "@slaaptekort_sietske"), "Radiatorknoppen piepen de hele nacht als de batterij bijna leeg is en de "
     "app geeft geen enkele melding. 3 nachten slecht geslapen @ampora_helpt", [COMPLAINT])
case("en", pub("bluesky", "pietjepower.bsky.social"), "Ampora charged me a €75 'reconnection fee' after THEIR update "
     "kicked my battery off the tariff integration. make it make sense", [COMPLAINT])
case("nl", pub("threads", "@dynamisch_dirk"), "Dynamisch contract gekoppeld via de app, maar Ampora ziet al een week "
     "geen uurprijzen meer. Batterij laadt nu gewoon op als het duur is. Bedankt hè.", [COMPLAINT])
case("nl", pub("x", "@retourgeld_ruben"), "@ampora_helpt w a a r  b l i j f t  m i j n  g e l d. thermostaat al 5 "
     "weken retour", [COMPLAINT], tags=["evasion", "evasion:spaced"])

# =========================================================================== reputation.abuse
case("nl", pub("x", "@reclamemoe"), "Elke keer als die Ampora-jingle op de radio komt denk ik: wat een stelletje "
     "klootzakken zitten daar.", [ABUSE])
case("en", pub("x", "@sarcasm_inc"), "@ampora_helpt the person running this account has the IQ of a thermostat set to "
     "12 degrees. pathetic 🤡", [ABUSE], kind="reply")
case("nl", pub("x", "@anoniempje4471"), "@mirjam_ampora zag je gisteren in de Jumbo in Houten 👀 heks. ik weet nu "
     "waar je je boodschappen doet", [ABUSE], kind="reply")
case("nl", pub("facebook", "ronnie.vaneck", "Ronnie van Eck"), "Kutbedrijf. Batterij staat al een maand uit omdat "
     "niemand van Ampora de omvormerinstelling durft aan te passen. Prutsers allemaal.", [ABUSE, COMPLAINT])
case("en", pub("reddit", "u/fed_up_in_almere"), "Ampora I swear to god, your 'firmware fix' bricked my thermostat "
     "AGAIN. fucking amateurs, every single one of you", [ABUSE, COMPLAINT])
case("nl", LM, "Sommige klanten... meneer wilde de batterij per se in zijn slaapkamer 'anders steelt de buurman "
     "stroom'. Wat een debiel 🤦‍♂️", [ABUSE])
case("nl", A_HELP, "@kev_tinkers als je zelf aan een 400V-aansluiting gaat prutsen moet je niet bij ons komen janken, "
     "sukkel", [ABUSE], kind="reply", handle_as="@Ampora_Helpt", tags=["case-handle"])
case("nl", pub("x", "@echtehollander71"), "Ampora stuurt alleen nog Polen en Roemenen als monteur. Kunnen geen boor "
     "vasthouden, laat staan Nederlands praten. Tuig.", [ABUSE])
case("en", pub("x", "@no_filter_niels"), "f*ck ampora and everyone who works there", [ABUSE],
     tags=["evasion", "evasion:masked"])
case("nl", pub("instagram", "@boos_op_alles"), f"hoop dat die hele Ampora-directie op de fles gaat, stelletje t{ZW}yfuslijers", [ABUSE], kind="comment",
     tags=["evasion", "evasion:zero-width"])
case("en", JK, "sprint review today. our new VP thinks a heat pump and a home battery are the same thing and nobody "
     "may correct him. what a moron 🙄", [ABUSE])

# =========================================================================== BENIGN
# --- prices that are not a pricing leak
case("nl", A_IG, "Deze week alleen: de Therm S van €219 voor €169 🖤 Zolang de voorraad strekt, bestellen via de link "
     "in onze bio.", when="2026-11-27T07:00:00+01:00", tags=["sale-price"])
case("nl", pub("forum", "ZuinigeZeeuw"), "Stack 10 voor €5.490 bij Ampora deze week, €1.000 onder de adviesprijs. "
     "Nog steeds prijzig maar wel scherp.", tags=["sale-price", "price-context", "number-format"])
case("nl", pub("x", "@twijfelkont_tess"), "Zojuist drie Therm S'en gescoord à €119 per stuk, voor elke verdieping "
     "één. Die korting was te mooi om te laten liggen 👌", tags=["sale-price", "ratio-edge"])
case("en", pub("reddit", "u/moving_to_porto"), "Moving abroad, so our Stack 10 (installed 2023) is for sale: asking "
     "€2.900, buyer arranges a certified installer to take it out. DM me.", tags=["price-context", "second-hand"])
case("nl", A_FB, "Geen €3.790 in één keer? Met het Ampora Thuisabonnement staat de Stack 5 bij je voor €39 per maand, "
     "onderhoud en monitoring inbegrepen.", tags=["price-context"])
case("nl", pub("x", "@rekenaar_rik"), "Ampora premium kost €3,99 per maand en met de Therm S bespaar ik volgens eigen "
     "spreadsheet zo'n €15 per maand. Prima ruil.", tags=["price-context"])
case("nl", pub("forum", "KlusKees"), "Installatiekosten voor de Stack 10 waren €395 extra, viel me eigenlijk mee voor "
     "een halve dag werk.", tags=["price-context", "fee"])
case("nl", MV, "Derde klant vandaag die vraagt of die €169 voor de Therm S 'een fout in het systeem' is 😅 nope, "
     "gewoon Black Friday. Bestel maar gerust.", when="2026-11-27T14:20:00+01:00", tags=["negated", "sale-price"])
case("nl", A_LI, "Nieuw voor installateurs in ons partnerprogramma: vaste inkoopvoorwaarden op de Wallbox 11 en de "
     "Therm Pro, het hele jaar door. Aanmelden via installateurs@ampora.nl", tags=["price-talk", "own-contact"])
case("nl", pub("x", "@accu_annemiek"), "Volgens het dashboard bespaart de Stack 10 ons zo'n €640 per jaar sinds we "
     "een dynamisch contract hebben 🔋📉", tags=["price-context", "savings"])
case("en", pub("reddit", "u/powerwall_or_not"), "Comparing quotes: installer A does a Powerwall 3 for €8,900 fitted, "
     "installer B the Ampora Stack 10 plus fitting for about €7k. Similar capacity. Thoughts?",
     tags=["price-context", "other-company"])
# --- secret-looking but not a secret
case("en", JK, "new pre-commit hook across our repos: it refuses any commit with something that looks like a glpat- "
     "or ghp_ token. 20 minutes to set up, saves us a very bad day someday 🙏", tags=["secret-prefix-only"])
case("nl", A_HELP, "Let op: er gaan nepmails rond 'namens Ampora' over een subsidieteruggave. Wij vragen nooit om "
     "inloggegevens. Niet zeker? Check het even via 0800-2186.", tags=["own-contact", "password-word"])
case("en", DH, "Release notes for thermostat firmware 4.2 are up. Build hash <<HEX:40>> if you want to verify what's "
     "on your device. Changelog on ampora.nl/firmware", tags=["hex-not-secret"])
case("en", pub("blog", "homelab-henk", "Henk"), "Tutorial: getting your Ampora Link P1 readings into Home Assistant. "
     "Put your token in secrets.yaml as ampora_token: YOUR_TOKEN_HERE and never commit that file.",
     tags=["placeholder"])
case("en", pub("reddit", "u/early_bird_ev"), "Got my Ampora order confirmation (ref <<UUID>>) and an installer slot "
     "within the hour. Impressed so far.", tags=["lookalike-number"])
# --- own contact data, numbers that fail their checksum
case("nl", A_NL, "Batterij die niet meer laadt of thermostaat offline? Onze storingslijn 0800-2186 is in de winter "
     "ook op zaterdag open. Mailen kan altijd: service@ampora.nl", tags=["own-contact"])
case("nl", A_FB, "Aanbetaling voor je installatie: 20% van het offertebedrag op NL34 RABO 0318 7654 02 (Ampora "
     "Energie B.V.). Zet je offertenummer erbij, bv. OFF-2026-08812, dan plannen we je in.", tags=["own-contact"])
case("en", A_LI, "Journalists with questions about battery safety standards: our press desk is reachable at "
     "pers@ampora.nl and +31 30 799 4400, weekends included.", tags=["own-contact"])
case("nl", A_LI, "Ben jij de monteur die zonnepanelen, batterijen én warmtepompen snapt? Ons installatieteam groeit. "
     "Reageer via werkenbij@ampora.nl 🔧", handle_as="Ampora-Energie", tags=["own-contact", "case-handle"])
case("nl", pub("x", "@tevreden_tjitske"), "Wat een verschil met vorig jaar: storingsnummer 030-799 44 00 gebeld en de "
     "monteur stond dezelfde middag op de stoep. Top @ampora_helpt", tags=["own-contact", "praise"])
case("nl", pub("facebook", "truus.hamer", "Truus Hamer"), "Mijn moeder kreeg een brief 'van Ampora' dat haar "
     "abonnement verlengd moest worden via <<BAD_IBAN_NL:grp>>. Even nagerekend: dat rekeningnummer klopt niet eens. "
     "Zo doorzichtig 🙄", tags=["bad-checksum"])
case("en", JK, "UX test of the new checkout today: typed the made-up number <<BAD_CARD:visa_sp>> and the form flagged "
     "it before I even left the field. Small win 🎉", tags=["bad-checksum", "employee-benign"])
case("nl", pub("x", "@subsidie_sander"), "Aanvraagnummer subsidie <<NOT_BSN9>>, nu wachten op RVO. De Stack 5 hangt "
     "er al 🔋", tags=["bad-checksum", "lookalike-number"])
case("nl", pub("forum", "Prijzenpiet"), "Groothandel kon de Link P1 niet vinden op naam, uiteindelijk besteld op "
     "barcode <<EAN13>>. Morgen binnen.", tags=["lookalike-number"])
case("en", pub("forum", "invoice_ivan"), "Writing unit tests for our installer invoicing tool (we bill Ampora jobs): "
     "<<BAD_IBAN_DE:grp>> is my go-to 'must fail' IBAN, the check digits are off on purpose.", tags=["bad-checksum"])
case("nl", pub("forum", "Voucher_Vera"), "Kortingsvoucher van de Energiebeurs: <<BAD_CARD:mc_sp>>. App zegt 'ongeldige "
     "code'. Weet iemand of die nog geldt voor de Radiatorknop?", tags=["bad-checksum", "question"])
case("nl", pub("x", "@meterkast_maarten"), "Slimme meter vervangen, nieuw meternummer <<BAD_BSN>>. Moet ik dat ergens "
     "in de Ampora app aanpassen of pakt de Link P1 dat zelf op?", tags=["bad-checksum", "question"])
case("nl", pub("linkedin", "yvonne-boekhouding-zzp", "Yvonne Smit"), "Boekhouder vroeg om het KvK-nummer van de "
     "leverancier voor de zakelijke aftrek. Staat onderaan de Ampora-factuur: <<NOT_BSN8>>. Opgelost.",
     tags=["lookalike-number"])
case("nl", pub("bluesky", "parcelpatrick.bsky.social"), "Pakket 3SAMP<<DIGITS:7>> ligt al in het sorteercentrum, dus "
     "de radiatorknoppen zijn er morgen. Net op tijd voor de koude week 🥶", tags=["lookalike-number"])
# --- embargo terms at or after the embargo, codename-like words, public domains
case("nl", A_NL, "15 kWh, modulair en zo stil dat je hem vergeet 🔋 De Ampora Stack Max is vanaf nu leverbaar. "
     "Bekijk hem op shop.ampora.nl", when="2026-09-15T08:00:00Z", tags=["embargo-after", "tz-edge"])
case("nl", A_IG, "Therm Halo is live ✨ een e-ink scherm dat je om 3 uur 's nachts niet verblindt, Matter-ready en "
     "klaar voor je warmtepomp.", when="2026-09-15T10:00:00+02:00", handle_as="@Ampora.Home",
     tags=["embargo-after", "tz-edge", "case-handle"])
case("en", pub("youtube", "@thermostat_thijs"), "Two weeks with the Therm Halo on a hybrid heat pump: it modulates "
     "way smarter than my old Therm Pro, but the e-ink refresh is slow. Full video tonight.",
     when="2026-10-02T18:00:00Z", tags=["embargo-after"])
case("nl", NP, "Showroom Utrecht heeft sinds vandaag een Stack Max naast de Stack 10 staan, handig om het formaat te "
     "vergelijken 📏 kom gerust kijken!", when="2026-09-16T12:05:00+02:00", tags=["embargo-after"])
case("nl", A_NL, "Vanaf vandaag: Ampora Flex Tarief 🌬️ je batterij laadt en ontlaadt automatisch op de uurprijzen.",
     when="2026-06-01T09:00:00+02:00", tags=["embargo-after", "tz-edge"])
case("nl", A_LI, "Q3 trading update 2026 📊 omzet €61 mln, brutomarge 24% en 9.300 nieuwe batterijen aangesloten. "
     "Het persbericht staat op ampora.nl/investors", when="2026-10-29T07:00:00+01:00",
     tags=["published", "embargo-after", "tz-edge"])
case("en", pub("x", "@dutch_smallcaps"), "Ampora's Q3 trading update this morning: margin pressure as expected, no "
     "real surprises.", when="2026-10-29T10:15:00+01:00", tags=["published", "embargo-after"])
case("nl", LM, "Vanaf een dak in Urk een stormvogel boven zee zien scheren 🐦 mooie afsluiter van de werkdag",
     tags=["codename-word"])
case("nl", pub("threads", "@gezin_van_vijf"), "Ouderwetse zandloper op de badkamerplank: de kids mogen 5 minuten "
     "douchen. De Therm S doet de rest 😂 #energiebesparen", tags=["codename-word"])
case("nl", pub("x", "@app_weer_ok"), "status.ampora.nl zegt alles groen en ja hoor, de app doet het weer 👍",
     tags=["public-domain"])
# --- published or other companies' news; official notices
case("nl", pub("linkedin", "ruud-energieanalist", "Ruud Kamps"), "Analyse: na het einde van de saldering schrappen "
     "twee omvormerfabrikanten samen 600 banen. Ampora lijkt vooralsnog buiten schot te blijven, hun halfjaarcijfers "
     "van augustus lieten nog groei zien.", tags=["other-company", "published"])
case("nl", pub("mastodon", "@privacy_piet@mastodon.nl"), "Net het nieuws over de hack bij Stekkerpunt gelezen. Voor "
     "wie twijfelt: dat is een ander laadpaalmerk, niet Ampora. Kijk op de sticker onder de klep.",
     tags=["other-company"])
case("nl", A_HELP, "Vannacht rollen we firmware 4.2 uit naar alle Therm Pro's. Je thermostaat herstart één keer kort, "
     "je instellingen blijven staan. Vragen? Kijk op status.ampora.nl", tags=["official-notice"])
case("nl", A_NL, "Op dit moment laden sommige grafieken in de app traag door een storing bij onze cloudleverancier. "
     "We werken eraan, updates volgen op status.ampora.nl", tags=["official-notice"])
case("nl", A_LI, "Nieuw in de app: inloggen met een passkey 🔐 Geen wachtwoord meer onthouden voor je thermostaat. "
     "Aanzetten via Instellingen > Account.", tags=["password-word"])
case("en", DH, "Wrote up our coordinated disclosure of last year's BLE pairing issue in the Radiatorknop: fixed in "
     "firmware 2.8 and published on ampora.nl/security back in March. Thanks again to the researcher!",
     tags=["published"])
case("en", A_YT, "New video: how to pair the Therm Pro with your heat pump in under ten minutes 🎥",
     tags=["corporate-benign"])
# --- crisis-like words, jokes, fiction, quotes
case("en", pub("reddit", "u/modulation_q"), "Quick q before I buy: do I need to recall my boiler's OpenTherm settings "
     "after fitting a Therm Pro, or does it read them itself?", tags=["question", "crisis-word"])
case("nl", A_NL, "Tip van onze installateurs 🧯 Een thuisbatterij hoort niet naast de cv-ketel of in een dichte kast. "
     "Ventilatie en een gecertificeerde plaatsing maken het verschil. Meer op ampora.nl/veiligheid",
     tags=["crisis-word"])
case("nl", pub("blog", "verhalenvanjoke", "Joke"), "Kort verhaal: 'De laatste winter'. In 2041 valt het net een "
     "week uit en alleen oma's oude Ampora-batterij houdt de lampjes aan, terwijl buiten de sneeuw alles stil maakt. "
     "(fictie, geen reclame hoor)", tags=["fiction"])
case("nl", pub("x", "@grapjas_gijs"), "mijn Therm S en ik hebben een toxische relatie: ik zet hem op 21, hij vraagt "
     "'weet je het zeker?' 😂", tags=["joke"])
case("nl", pub("threads", "@winter_wendy"), "\"Winter is coming\" zei mijn vriend toen hij de Ampora app op 19 graden "
     "zag staan 😂", tags=["quote"])
case("en", pub("x", "@neighbour_ned"), "Neighbour's verdict on the Stack 10 in our garage: \"hell, I thought it'd be "
     "a lot louder\" 😄", tags=["quote", "mild-word"])
case("nl", pub("instagram", "@dochter_van_dick"), "Sinds zijn kankerbehandeling zit mijn vader veel thuis, en de "
     "Therm Pro houdt het huis precies op 21 graden. Fijn als zoiets gewoon werkt 💛", tags=["mild-word", "praise"])
# --- praise, negated complaints, neutral posts
case("nl", pub("x", "@tweejaar_stil"), "Twee winters verder met de Stack 5 en nog niet één keer iets mis gehad. Snap "
     "al die klachten online eerlijk gezegd niet zo 🤷", tags=["negated"])
case("en", pub("reddit", "u/happy_heatpump"), "Honestly expected the install to be a nightmare after reading this sub. "
     "Nope: two guys, four hours, zero mess, and they explained the app to my mum. Credit where it's due, Ampora.",
     tags=["negated", "praise"])
case("nl", A_HELP, "@vera_huis Dank voor je geduld! De Link P1 heeft na firmware 1.9 soms een nieuwe wifi-koppeling "
     "nodig, zo doe je dat: ampora.nl/hulp/link-p1. Lukt het niet, dan bellen we je op een moment dat jou uitkomt.",
     kind="reply", tags=["company-reply"])
case("en", pub("instagram", "@dad_and_tech"), "Big thanks to Mirjam on Ampora's support line. My dad is 79 and she "
     "walked him through pairing the thermostat step by step, no rushing at all 💛", tags=["praise", "name-only"])
case("nl", pub("x", "@planner_petra"), "Schouw staat! Lucas van Ampora komt dinsdag 14-04-2026 tussen 9 en 10 kijken "
     "of de meterkast groot genoeg is 🔌", when="2026-04-02T19:40:00+02:00", tags=["date-not-dob"])
case("nl", EB, "Jaarafsluiting gehaald zonder één avond overwerken. Dat is ooit anders geweest 😄 Trots op ons "
     "finance-team!", when="2026-02-20T17:10:00+01:00", tags=["employee-benign"])
case("nl", pub("discord", "stackgang_030"), fw("AMPORA") + " STACK GANG 🔋🔋 vandaag eindelijk geïnstalleerd",
     tags=["full-width-benign", "unknown-platform"])
case("nl", A_NL, "RT @warmtepompweb: Test van zes slimme thermostaten met een hybride warmtepomp. Ampora Therm Pro "
     "wint op zuinigheid, tado op app-gemak.", kind="repost", tags=["published"])


# ---------------------------------------------------------------- profile, roles, severity
def load_profile():
    try:
        import yaml
    except ImportError:
        sys.exit("PyYAML is needed (pip install pyyaml)")
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


# ---------------------------------------------------------------- building posts
def ams_offset(t):
    start = dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc)
    end = dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc)
    return 2 if start <= t < end else 1


def random_time(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(3, 358))
    guess = base + dt.timedelta(minutes=r.randint(6 * 60 + 30, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = ams_offset(guess)
    t = guess - dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.88:
        return (t + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


B36 = string.digits + string.ascii_lowercase


def make_id_url(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_880_000_000_000_000_000, 2_020_000_000_000_000_000))
    if platform in ("x", "twitter"):
        return ("x-" if platform == "x" else "tw-") + snow, f"https://x.com/{h}/status/{snow}"
    if platform == "linkedin":
        act = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{act}", f"https://www.linkedin.com/feed/update/urn:li:activity:{act}/"
    if platform == "instagram":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"ig-{snow}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}_{b}", f"https://www.facebook.com/{h}/posts/{b}"
    if platform == "reddit":
        sub = r.choice(["thuisbatterij", "thenetherlands", "homeassistant", "Zonnepanelen"])
        post = "".join(r.choice(B36) for _ in range(7))
        if kind == "comment":
            cid = "".join(r.choice(B36) for _ in range(7))
            return f"t1_{cid}", f"https://www.reddit.com/r/{sub}/comments/{post}/_/{cid}/"
        return f"t3_{post}", f"https://www.reddit.com/r/{sub}/comments/{post}/"
    if platform == "forum":
        n = r.randint(1_000_000, 9_999_999)
        return f"forum-energieforum-{n}", f"https://forum.energiepraat.example/t/{n}"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        v = "".join(r.choice(B64URL) for _ in range(11))
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(111_000_000_000_000_000, 115_900_000_000_000_000)
        return f"md-{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "threads":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "blog":
        n = r.randint(100, 999)
        return f"blog-{h}-{n}", f"https://{h if '.' in h else h + '.blog.example'}/posts/{n}"
    return f"{platform}-{r.randint(10 ** 8, 10 ** 9)}", None


def build(profile):
    gen = Gen(SEED)
    meta = random.Random(SEED + 1)
    order = random.Random(SEED + 2)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(gen, c["text"])
        pid, url = make_id_url(meta, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        created = c["when"] or random_time(meta)
        role = role_of(profile, c["platform"], c["handle"])
        validated = "leak.pii" in c["cats"] and any(k in VALID_ID_KINDS for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and meta.random() < 0.65:
            kind = "post"
        if kind is not None:
            post["kind"] = kind
        acc = {"handle": c["handle"]}
        if c["display_name"] and meta.random() < 0.7:
            acc["display_name"] = c["display_name"]
        if meta.random() < 0.3:
            acc["id"] = str(meta.randint(10 ** 8, 10 ** 12))
        post["account"] = acc
        post["text"] = text
        tags = set(c["tags"])
        x = meta.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif x < 0.09:
            pass
        elif x < 0.12:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            tags.add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.45:
            post["brand"] = "ampora"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=tags, used=used))
    order.shuffle(rows)
    return rows


def dump_lines(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ---------------------------------------------------------------- independent checker
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
CARD_IIN = re.compile(r"^(4|5[1-5]|2(22[1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)|3[47]|6011|65|35)")
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
DIGITS_RE = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
BSN_DOTS_RE = re.compile(r"(?<![\w.])\d{4}\.\d{2}\.\d{3}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-()]{7,16}\d")
SECRET_RES = {
    "github": re.compile(r"\bghp_[A-Za-z0-9]{36}\b"),
    "aws_id": re.compile(r"\bAKIA[A-Z2-7]{16}\b"),
    "slack": re.compile(r"\bxox[abprs]-[0-9A-Za-z-]{20,}"),
    "stripe": re.compile(r"\bsk_live_[A-Za-z0-9]{20,}"),
    "google": re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),
    "sendgrid": re.compile(r"\bSG\.[\w-]{22}\.[\w-]{43}\b"),
    "pem": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "jwt": re.compile(r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+"),
    "url_creds": re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s:/@]+:[^\s@/]+@"),
    "azure_sas": re.compile(r"SharedAccessKey=[A-Za-z0-9+/=]{40,}"),
}
PASSWORD_WORDS = re.compile(r"(wachtwoord|password|\bww\b|\bpw\b)", re.I)
PROFANITY = ["kut", "kanker", "tering", "tyfus", "klote", "klootzak", "debiel", "heks", "fuck", "f*ck", "shit",
             "idiot", "moron", "clown", "hell", "damn", "prutser", "braindead", "useless tool"]
MILD_OK = {"hell", "kanker"}
PRICE_ERROR_WORDS = ["prijsfout", "price glitch", "pricing mishap", "nulletje", "decimal slip", "fout in de koppeling",
                     "instead of", "is dit een prijsfout"]


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVISIBLE)
    t = t.replace(CYR_A, "A").replace(CYR_o, "o").replace(CYR_e, "e")
    t = "".join(" " if unicodedata.category(ch) == "So" else ch for ch in t)
    return re.sub(r"\s+", " ", t).casefold()


def squash(t):
    return re.sub(r"\b(\w) (?=\w\b)", r"\1", norm(t))


def found_ibans(text):
    out = []
    for m in IBAN_RE.finditer(text):
        comp = m.group(0).replace(" ", "")
        for end in range(len(comp), 11, -1):
            if iban_ok(comp[:end]):
                out.append((comp[:end], True))
                break
        else:
            out.append((comp, False))
    return out


def found_numbers(text):
    return [re.sub(r"\D", "", m.group(0)) for m in DIGITS_RE.finditer(text)]


def found_bsn_shapes(text):
    out = re.findall(r"(?<![\w.,-])\d{8,9}(?![\w]|[.,-]\d)", text)
    return out + [m.group(0).replace(".", "") for m in BSN_DOTS_RE.finditer(text)]


def valid_ids(text, own_ibans):
    hits = [("iban", v) for v, ok in found_ibans(text) if ok and v not in own_ibans]
    hits += [("card", d) for d in found_numbers(text) if 13 <= len(d) <= 19 and luhn_ok(d) and CARD_IIN.match(d)]
    hits += [("bsn", d) for d in found_bsn_shapes(text) if len(d) == 9 and bsn_ok(d)]
    return hits


def phones_in(text):
    out = []
    for m in PHONE_RE.finditer(IBAN_RE.sub(" ", text)):
        raw = m.group(0)
        d = re.sub(r"\D", "", raw)
        if raw.startswith("+31") or raw.startswith("0031"):
            d = d[4:] if raw.startswith("0031") else d[2:]
            d = "0" + (d[1:] if d.startswith("0") else d)
        out.append((raw, d))
    return out


AMOUNT_RE = re.compile(r"(?:€\s?|EUR\s?)(\d[\d.,]*)(?:,-)?|(\d[\d.,]*)(?:,-)?\s?(?:euro|euros|eur)\b", re.I)


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


def min_price_ratio(text, products):
    t = norm(text)
    ment = [p for p in products if any(a.casefold() in t for a in [p["name"]] + p["aliases"])]
    amts = [parse_amount(m.group(1) or m.group(2)) for m in AMOUNT_RE.finditer(t)]
    if not ment or not amts:
        return None
    return min(amts) / min(p["list_price"] for p in ment)


def shingles(text, n=3):
    w = re.findall(r"\w+", norm(text))
    return {tuple(w[i:i + n]) for i in range(max(0, len(w) - n + 1))}


def check(lines, rows, profile):
    errors, notes, parsed = [], [], []
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_ibans = {i.replace(" ", "") for i in profile["public_identifiers"]["ibans"]}
    own_phones = {phones_in(p)[0][1] for p in profile["public_identifiers"]["phones"]}
    embargo = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = [x.casefold() for x in profile["internal"]["codenames"] + profile["internal"]["domains"]
                + profile["internal"]["markers"]]
    meta = {(r["post"]["platform"], r["post"]["id"]): r for r in rows}
    seen = set()
    for n, line in enumerate(lines, 1):
        w = f"line {n}"
        obj = json.loads(line)
        if set(obj) != {"post", "expect"}:
            errors.append(f"{w}: keys")
            continue
        p, ex = obj["post"], obj["expect"]
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                errors.append(f"{w}: {f}")
        if not isinstance(p.get("account", {}).get("handle"), str):
            errors.append(f"{w}: handle")
        if p.get("kind", "post") not in KINDS:
            errors.append(f"{w}: kind")
        if not RFC3339.match(p["created_at"]):
            errors.append(f"{w}: created_at")
            continue
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errors.append(f"{w}: not 2026")
        key = (p["platform"], p["id"])
        if key in seen:
            errors.append(f"{w}: duplicate id")
        seen.add(key)
        cats, sev = ex["categories"], ex["severity"]
        if cats != sorted(set(cats)) or any(c not in TAXONOMY or c == "reputation.spike" for c in cats):
            errors.append(f"{w}: categories {cats}")
        if not cats and sev != "none":
            errors.append(f"{w}: benign with severity {sev}")
        role = role_of(profile, p["platform"], p["account"]["handle"])
        text = p["text"]
        ids = valid_ids(text, own_ibans)
        want = severity_for(role, cats, "leak.pii" in cats and bool(ids))
        if sev != want:
            errors.append(f"{w}: severity {sev}, policy {want}")
        r = meta.get(key)
        tags = r["tags"] if r else set()
        parsed.append((n, p, cats, sev, role, r))
        for kind, raw, shown in (r["used"] if r else []):
            if shown not in text:
                errors.append(f"{w}: {kind} not in text")
            if kind.startswith("IBAN_") and not iban_ok(raw):
                errors.append(f"{w}: bad IBAN")
            if kind == "CARD" and not (luhn_ok(raw) and CARD_IIN.match(raw)):
                errors.append(f"{w}: bad card")
            if kind == "BSN" and not bsn_ok(raw):
                errors.append(f"{w}: bad BSN")
            if kind.startswith("BAD_IBAN") and iban_ok(raw):
                errors.append(f"{w}: negative IBAN valid")
            if kind == "BAD_CARD" and luhn_ok(raw):
                errors.append(f"{w}: negative card valid")
            if kind in ("BAD_BSN", "NOT_BSN9", "NOT_BSN8") and bsn_ok(raw):
                errors.append(f"{w}: negative BSN valid")
            if kind == "EAN13" and (luhn_ok(raw) or not ean13_ok(raw)):
                errors.append(f"{w}: EAN")
            if kind == "GHP" and b62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errors.append(f"{w}: ghp crc")
        if ids and "leak.pii" not in cats:
            errors.append(f"{w}: valid id {ids} without leak.pii")
        if r and any(k in VALID_ID_KINDS for k, _, _ in r["used"]) and not ids:
            errors.append(f"{w}: generated id not found by scan")
        if not cats:
            for v, ok in found_ibans(text):
                if ok and v not in own_ibans:
                    errors.append(f"{w}: benign valid IBAN")
            for d in found_numbers(text):
                if 13 <= len(d) <= 19 and luhn_ok(d):
                    errors.append(f"{w}: benign Luhn-valid {d}")
            for d in found_bsn_shapes(text):
                if bsn_ok(d):
                    errors.append(f"{w}: benign 11-proof-valid {d}")
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_emails:
                    errors.append(f"{w}: benign e-mail {e}")
            for raw, d in phones_in(text):
                if len(d) >= 9 and d not in own_phones and re.sub(r"\D", "", raw) not in own_phones:
                    errors.append(f"{w}: benign phone {raw}")
            for name, rx in SECRET_RES.items():
                if rx.search(text):
                    errors.append(f"{w}: benign secret-like {name}")
            low = norm(text)
            for word in PROFANITY:
                if re.search(r"\b" + re.escape(word), low):
                    (notes if word in MILD_OK and tags & {"mild-word", "quote"} else errors).append(
                        f"{w}: benign has {word!r}")
        nt, sq = norm(text), squash(text)
        for term, until in embargo:
            if term in nt or term in sq:
                if ts < until and "leak.confidential" not in cats:
                    errors.append(f"{w}: embargo term {term!r} before until, no leak.confidential")
                if ts >= until and "leak.confidential" in cats and not any(
                        t in nt for t in internal):
                    errors.append(f"{w}: embargo term {term!r} after until but labelled confidential")
        for term in internal:
            if re.search(r"(?<![\w.])" + re.escape(term) + r"(?![\w])", nt) or term.replace(" ", "") in sq.replace(" ", "") and term in sq:
                if "leak.confidential" not in cats:
                    errors.append(f"{w}: internal term {term!r} without leak.confidential")
        ratio = min_price_ratio(text, profile["products"])
        if not cats and ratio is not None and ratio < profile["pricing"]["alert_below_ratio"]:
            if tags & {"price-context"}:
                notes.append(f"{w}: benign price at {ratio:.2f} of list, not the product's price ({sorted(tags)})")
            else:
                errors.append(f"{w}: benign product price at {ratio:.2f} of list")
        if "leak.pricing" in cats:
            talk = any(x in sq for x in PRICE_ERROR_WORDS)
            if not (ratio is not None and ratio < 0.5) and not talk:
                notes.append(f"{w}: pricing without parsed low price or error words")
        if "leak.secret" in cats and not any(rx.search(text) for rx in SECRET_RES.values()) \
                and not PASSWORD_WORDS.search(squash(text)):
            notes.append(f"{w}: secret without pattern")
    sh = [(n, shingles(p["text"])) for n, p, *_ in parsed]
    for i in range(len(sh)):
        for j in range(i + 1, len(sh)):
            a, b = sh[i][1], sh[j][1]
            if a and b:
                jac = len(a & b) / len(a | b)
                if jac > 0.25:
                    (errors if jac > 0.5 else notes).append(f"lines {sh[i][0]} and {sh[j][0]}: overlap {jac:.2f}")
    return errors, notes, parsed


def cross_check_stdnum(rows):
    try:
        from stdnum import iban as s_iban, luhn as s_luhn
        from stdnum.nl import bsn as s_bsn
    except ImportError:
        return "python-stdnum not installed: cross-check skipped"
    bad, n = [], 0
    for r in rows:
        for kind, raw, _ in r["used"]:
            if kind in VALID_ID_KINDS | BAD_ID_KINDS:
                n += 1
            if kind.startswith("IBAN_") and not s_iban.is_valid(raw):
                bad.append(raw)
            if kind.startswith("BAD_IBAN") and s_iban.is_valid(raw):
                bad.append(raw)
            if kind == "CARD" and not s_luhn.is_valid(raw):
                bad.append(raw)
            if kind in ("BAD_CARD", "EAN13") and s_luhn.is_valid(raw):
                bad.append(raw)
            if kind == "BSN" and not s_bsn.is_valid(raw):
                bad.append(raw)
            if kind in ("BAD_BSN", "NOT_BSN9") and s_bsn.is_valid(raw):
                bad.append(raw)
            if kind == "NOT_BSN8" and s_bsn.is_valid("0" + raw):
                bad.append(raw)
    if not s_iban.is_valid(OWN_IBAN):
        bad.append(OWN_IBAN)
    return f"python-stdnum DISAGREES on {bad}" if bad else f"python-stdnum agrees on all {n} identifiers"


def report(parsed):
    total = len(parsed)
    cat, lang, role, sev, plat, catlang, catrole = (Counter() for _ in range(7))
    benign = multi = evasion = 0
    for n, p, cats, s, rl, r in parsed:
        lg = r["lang"]
        lang[lg] += 1
        role[rl] += 1
        sev[s] += 1
        plat[p["platform"]] += 1
        if not cats:
            benign += 1
        if len(cats) > 1:
            multi += 1
        if "evasion" in r["tags"]:
            evasion += 1
        for c in cats or ["(benign)"]:
            cat[c] += 1
            catlang[(c, lg)] += 1
            catrole[(c, rl)] += 1
    print(f"cases {total}  benign {benign}  positive {total - benign}  multi-category {multi}  evasion {evasion}")
    print(f"{'category':26s} total   nl   en  corp  empl  publ")
    for c in [t for t in TAXONOMY if t != "reputation.spike"] + ["(benign)"]:
        print(f"{c:26s} {cat[c]:5d} {catlang[(c, 'nl')]:4d} {catlang[(c, 'en')]:4d} {catrole[(c, 'corporate')]:5d}"
              f" {catrole[(c, 'employee')]:5d} {catrole[(c, 'public')]:5d}")
    print("languages:", dict(lang), " roles:", dict(role))
    print("severities:", {s: sev[s] for s in SEVERITIES})
    print("platforms:", dict(plat.most_common()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--notes", action="store_true")
    a = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    lines = dump_lines(rows)
    if not a.check:
        OUT.write_text("".join(lines), encoding="utf-8")
        print(f"wrote {len(lines)} cases to {OUT}")
        return 0
    disk = OUT.read_text(encoding="utf-8").splitlines(keepends=True)
    errors, notes, parsed = check(disk, rows, profile)
    if disk != lines:
        errors.append("cases.jsonl differs from the generator output")
    print(cross_check_stdnum(rows))
    report(parsed)
    if a.notes:
        for x in notes:
            print("  note: " + x)
    print(f"{len(errors)} error(s), {len(notes)} note(s)")
    for e in errors:
        print("  ERROR " + e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
