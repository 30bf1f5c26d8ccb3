#!/usr/bin/env python3
"""Deterministic generator for the sealed67 blind evaluation set (cases.jsonl).

    python3 make_cases.py            # write cases.jsonl next to this file
    python3 make_cases.py --check    # regenerate in memory, compare, validate, print counts

Company: Linguaduin B.V. (fictional Dutch translation / interpreting / language-course
agency), see profile.yaml in this folder.

Every post text is hand-written below (CASES). Identifiers and secrets are filled in from
placeholders like <<IBAN_NL>> by one seeded RNG, so the output is byte-for-byte
reproducible. Positives get checksum-VALID identifiers (IBAN mod-97, Luhn, BSN 11-proof);
benign near-misses get identifiers that FAIL their checksum. Secrets are random fakes
shaped like real ones (GitHub tokens carry a correct CRC32).

Severity is never typed by hand: severity_for() computes the least correct severity from
CONTRACT section 4, the account role (profile lookup by platform:handle, case-insensitive)
and whether a checksum-validated identifier is in a leak.pii post.
"""
import argparse
import base64
import datetime as dt
import json
import random
import re
import string
import sys
import uuid as _uuid
import zlib
from pathlib import Path

SEED = 67_2026_0611
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
CATS = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
        "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]

ZW = "\u200b"     # zero-width space
SHY = "\u00ad"    # soft hyphen
CYR_E = "\u0435"  # Cyrillic small ie, looks like Latin e
CYR_O = "\u043e"  # Cyrillic small o
CYR_A = "\u0430"  # Cyrillic small a


def fw(s):
    """Full-width letters."""
    return "".join("\u3000" if c == " " else chr(ord(c) - 0x21 + 0xFF01) if "!" <= c <= "~" else c for c in s)


def sans_bold(s):
    """Mathematical sans-serif bold letters (the 'fancy font' generators people use)."""
    out = []
    for c in s:
        if "a" <= c <= "z":
            out.append(chr(0x1D5EE + ord(c) - ord("a")))
        elif "A" <= c <= "Z":
            out.append(chr(0x1D5D4 + ord(c) - ord("A")))
        else:
            out.append(c)
    return "".join(out)


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------

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
        v = int(ch)
        if i % 2:
            v = v * 2 - 9 if v > 4 else v * 2
        tot += v
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
    return (sum(int(s[i]) * (3 if i % 2 else 1) for i in range(12)) + int(s[12])) % 10 == 0


# ---------------------------------------------------------------------------
# seeded value generators
# ---------------------------------------------------------------------------

ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
OWN_IBAN = "NL24RABO0318562270"


def b62(n):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return s or "0"


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

    # IBAN
    def iban_nl(self):
        while True:
            v = iban_make("NL", self.r.choice(["INGB", "ABNA", "RABO", "SNSB", "ASNB", "KNAB", "BUNQ", "TRIO"])
                          + self.digits(10, True))
            if v != OWN_IBAN:
                return v

    def iban_de(self):
        return iban_make("DE", self.r.choice(["10010010", "50070010", "37050198", "60050101"]) + self.digits(10))

    def iban_be(self):
        f = self.r.choice(["001", "063", "068", "310", "735"]) + self.digits(7)
        return iban_make("BE", f"{f}{int(f) % 97 or 97:02d}")

    def bad_iban(self, v):
        for d in (13, 29, 31, 47, 59):
            c = f"{v[:2]}{(int(v[2:4]) + d) % 100:02d}{v[4:]}"
            if not iban_ok(c):
                return c
        raise AssertionError

    # cards
    def card(self, brand):
        if brand == "visa":
            return luhn_complete("4" + self.digits(14))
        if brand == "mc":
            return luhn_complete("5" + self.r.choice("12345") + self.digits(13))
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
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return v if f == "c" else ("-" if f == "dash" else " ").join(parts)

    # BSN and look-alikes
    def bsn(self):
        while True:
            s = self.digits(9, True)
            if bsn_ok(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.digits(n, True)
            if not bsn_ok(s) and not luhn_ok(s):
                return s

    def isbn(self):
        while True:
            body = "97890" + self.digits(7)
            c = next(body + d for d in "0123456789" if ean13_ok(body + d))
            if not luhn_ok(c):
                return c

    def passport(self):
        letters = "ABCDEFGHIJKLMNPQRSTUVWXYZ"  # Dutch document numbers never use O
        return (self.chars(letters, 2) + self.chars(letters + string.digits, 6) + self.digits(1))

    # phones
    def phone(self, fmt):
        if fmt.startswith("mob"):
            d8 = self.r.choice("12345") + self.digits(7)
            return {
                "mob_dash": f"06-{d8}",
                "mob_intl_sp": f"+31 6 {d8[:4]} {d8[4:]}",
                "mob_0031": f"0031 6 {d8[:2]} {d8[2:5]} {d8[5:]}",
                "mob_pairs": f"06 {d8[:2]} {d8[2:4]} {d8[4:6]} {d8[6:]}",
                "mob_paren": f"(06) {d8}",
                "mob_plain": f"06{d8}",
            }[fmt]
        area = self.r.choice(["10", "20", "35", "40", "50", "58", "70", "73"])
        sub = self.r.choice("2345789") + self.digits(6)
        return {"land_sp": f"0{area} {sub[:3]} {sub[3:5]} {sub[5:]}",
                "land_intl": f"+31 {area} {sub[:3]} {sub[3:]}"}[fmt]

    # secrets
    def ghp(self):
        body = self.chars(ALNUM, 30)
        return "ghp_" + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def aws_id(self):
        return "AKIA" + self.chars(B32, 16)

    def aws_secret(self):
        return self.chars(B64, 40)

    def slack_bot(self):
        return f"xoxb-{self.digits(12, True)}-{self.digits(13, True)}-{self.chars(ALNUM, 24)}"

    def gapi(self):
        return "AIzaSy" + self.chars(B64URL, 33)

    def deepl(self):
        return str(_uuid.UUID(int=self.r.getrandbits(128), version=4)) + ":fx"

    def openai(self):
        return "sk-proj-" + self.chars(B64URL, 74) + "T3BlbkFJ" + self.chars(B64URL, 74)

    def jwt(self):
        h = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        iat = 1767225600 + self.r.randint(0, 300 * 86400)
        p = b64url(json.dumps({"sub": "bk_" + self.digits(7, True), "iss": "boeken.linguaduin.nl",
                               "scope": "booking:edit", "iat": iat, "exp": iat + 86400 * 7},
                              separators=(",", ":")).encode())
        return f"{h}.{p}.{self.chars(B64URL, 43)}"

    def pem_openssh(self):
        head = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
        lines = [head] + [self.chars(B64, 70) for _ in range(3)] + [self.chars(B64, 22) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"

    def password(self):
        word = self.r.choice(["Duinpan", "Helmgras", "Strandpaal", "Tolkje", "Zeewind", "Woordenboek"])
        return word + self.r.choice("!#$*") + self.digits(4)

    def hexs(self, n):
        return self.chars("0123456789abcdef", n)

    def uuid(self):
        return str(_uuid.UUID(int=self.r.getrandbits(128), version=4))


VALID_ID_KINDS = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(gen, text):
    used = []

    def sub(m):
        kind, fmt = m.group(1), m.group(2) or ""
        if kind in ("IBAN_NL", "IBAN_DE", "IBAN_BE"):
            raw = getattr(gen, kind.lower())()
            shown = gen.g4(raw) if fmt == "grp" else raw
        elif kind in ("BAD_IBAN_NL", "BAD_IBAN_BE"):
            raw = gen.bad_iban(getattr(gen, kind[4:].lower())())
            shown = gen.g4(raw) if fmt == "grp" else raw
        elif kind == "CARD":
            b, _, f = fmt.partition("_")
            raw = gen.card(b)
            shown = gen.fmt_card(raw, f or "sp")
        elif kind == "BAD_CARD":
            b, _, f = fmt.partition("_")
            raw = gen.bad_card(b)
            shown = gen.fmt_card(raw, f or "sp")
        elif kind == "BSN":
            raw = gen.bsn()
            shown = {"dots": f"{raw[:4]}.{raw[4:6]}.{raw[6:]}", "sp": f"{raw[:3]} {raw[3:6]} {raw[6:]}"}.get(fmt, raw)
        elif kind == "BAD_BSN":
            shown = raw = gen.not_bsn(9)
        elif kind == "NOT_BSN":
            shown = raw = gen.not_bsn(int(fmt or 9))
        elif kind == "ISBN":
            raw = gen.isbn()
            shown = f"{raw[:3]}-{raw[3:5]}-{raw[5:9]}-{raw[9:12]}-{raw[12]}" if fmt == "dash" else raw
        elif kind == "PASSPORT":
            shown = raw = gen.passport()
        elif kind == "PHONE":
            shown = raw = gen.phone(fmt)
        elif kind == "DIGITS":
            shown = raw = gen.digits(int(fmt), True)
        elif kind == "GHP":
            shown = raw = gen.ghp()
        elif kind == "AWS_ID":
            shown = raw = gen.aws_id()
        elif kind == "AWS_SECRET":
            shown = raw = gen.aws_secret()
        elif kind == "SLACK_BOT":
            shown = raw = gen.slack_bot()
        elif kind == "GAPI":
            shown = raw = gen.gapi()
        elif kind == "DEEPL":
            shown = raw = gen.deepl()
        elif kind == "OPENAI":
            shown = raw = gen.openai()
        elif kind == "JWT":
            shown = raw = gen.jwt()
        elif kind == "PEM_OPENSSH":
            shown = raw = gen.pem_openssh()
        elif kind == "PW":
            shown = raw = gen.password()
        elif kind == "HEX":
            shown = raw = gen.hexs(int(fmt))
        elif kind == "UUID":
            shown = raw = gen.uuid()
        else:
            raise KeyError(kind)
        used.append((kind, raw, shown))
        return shown

    return PH.sub(sub, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

# corporate
LD_X = ("x", "@linguaduin", "Linguaduin")
LD_HELP = ("x", "@linguaduin_help", "Linguaduin Klantenservice")
LD_LI = ("linkedin", "linguaduin-bv", "Linguaduin B.V.")
DT_IG = ("instagram", "@duintaal.academie", "Duintaal Academie")
LD_FB = ("facebook", "LinguaduinVertalingen", "Linguaduin Vertalingen")
DT_TT = ("tiktok", "@duintaal", "Duintaal")
# employees
MV = ("x", "@marieke_vertaalt", "Marieke Verhoef")                       # sworn translator DE/NL
JV = ("linkedin", "joost-vermeulen-linguaduin", "Joost Vermeulen")       # head of IT
AT = ("x", "@ayoub_tolkt", "Ayoub Tahiri")                               # staff interpreter
HG = ("linkedin", "hanna-de-groot-finance", "Hanna de Groot")            # finance controller
LO = ("instagram", "@juf.lotte.nt2", "Lotte Oosterhuis")                 # NT2 teacher
DW = ("x", "@planner_dewi", "Dewi Pattiasina")                           # interpreter planning desk
KD = ("mastodon", "@kees_dev@fosstodon.org", "Kees")                     # booking-portal developer


def pub(platform, handle, dn=None):
    return (platform, handle, dn)


PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None, price=None):
    """One labelled case. price=(list_price, amount) is asserted against the 0.5 ratio."""
    platform, handle, dn = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, dn=dn, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint, price=price))


# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", DW, "Uhm… het boekingsportaal rekent voor een Duintolk Dagdeel nu €42,50 i.p.v. €425 🙃 iemand is een "
     "nul kwijtgeraakt. IT is gebeld, tot die tijd alle boekingen van vandaag even handmatig nakijken aub",
     [PRICING], price=(425, 42.50))
case("nl", pub("x", "@jessevdb_"), "wtf Certified Express bij Linguaduin voor €11,90?? meteen mijn diploma en cijferlijst "
     "erin gegooid, dit is 100% een foutje 😂 #prijsfout", [PRICING], price=(119, 11.90))
case("en", pub("reddit", "u/expat_in_utrecht"), "Linguaduin's site lists the Business English Premium course at €240 "
     "instead of €2,400. Misplaced zero obviously. Booked it for my whole team anyway, will update if they honour it.",
     [PRICING], price=(2400, 240))
case("nl", DT_IG, "☀️ Zomerdeal! Het NT2 Startpakket nu voor €295 (normaal €695). Alleen deze week via duintaal.nl 📚 "
     "#nt2 #inburgeren", [PRICING], price=(695, 295))
case("en", JV, "Small post-mortem, because we learn in public: a rounding job in our billing service divided a few "
     "prices by 100 for about 40 minutes yesterday. The Apostille Pakket showed as €1,89 in the portal. Rolled back, "
     "nine orders to clean up. Colleagues: please don't share screenshots.", [PRICING], price=(189, 1.89))
case("nl", pub("facebook", "nadia.bouzid.3", "Nadia Bouzid"), "Klopt het dat een videotolk van een uur bij Duintolk "
     "maar €9,50 kost?? Staat zo op de site bij Video 60. Lijkt me een typfout maar heb er meteen 4 geboekt voor de "
     "gesprekken op school van mijn zoon", [PRICING], price=(95, 9.50))
case("nl", MV, "Collega's, die klant die de Certified Express voor 19 euro wil omdat het zo op de offertepagina stond "
     "heeft gelijk, de calculator rekent fout. Niet op reageren op socials tot sales het oppakt!", [PRICING],
     price=(119, 19))
case("nl", pub("forum", "Kantoorkat_Ellen"), "p r i j s f o u t bij duintaal: Zakelijk Intensief voor 185 euro ipv "
     "1850. Wie doet mee, hele afdeling inschrijven?", [PRICING], tags=["evasion", "evasion:spaced"],
     price=(1850, 185))
case("en", pub("x", "@tolkwatch"), f"Linguaduin pric{CYR_E} glitch 👀 Duintolk Dagdeel for €4,25 rn, go go go",
     [PRICING], tags=["evasion", "evasion:homoglyph"], price=(425, 4.25))
case("nl", AT, "Haha tolk dagdeel voor 42 euro in het portaal 😅 ticket staat op tms.linguaduin.nl/ticket/88213, "
     "wie het eerst boekt…", [PRICING, CONF], price=(425, 42))
case("nl", pub("tiktok", "@sterre.werkt"), "POV: je baas zegt dat Business English Premium te duur is en jij ziet "
     "hem gisteravond voor €199 staan bij Duintaal 🤡 screenshot gemaakt dus ze MOETEN wel", [PRICING],
     price=(2400, 199))
case("en", pub("bluesky", "@cheapskate.bsky.social"), fw("price error") + " at Duintaal: Zakelijk Intensief "
     "language course for €18.50, someone forgot two zeros", [PRICING], tags=["evasion", "evasion:full-width"],
     price=(1850, 18.50))

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", KD, "anyone seen this? portal CI keeps failing on the GitHub step even though the token is fine:\n"
     "GH_TOKEN=<<GHP>>\nworks on my machine 🤔 #help", [SECRET])
case("nl", JV, "Waarom we overstappen op een secrets vault, in één screenshot. Dit stond gewoon in de config van onze "
     "vertaalkoppeling:\n\nDEEPL_AUTH_KEY=<<DEEPL>>\n\nIs inmiddels vervangen hoor 😉 #security #lessenvandeweek",
     [SECRET])
case("nl", MV, "wie weet het wachtwoord van het gedeelde DeepL-account nog? was het nou <<PW>> of is die weer "
     "veranderd 🙈", [SECRET], kind="reply")
case("nl", DW, "Voor de nieuwe invalkrachten op de planning: inloggen in het roosterprogramma met gebruiker "
     "planning2 en wachtwoord <<PW>> 😊 welkom allemaal!", [SECRET])
case("nl", pub("x", "@freelance_femke", "Femke | vertaler EN-NL"), "Linguaduin stuurt in een groepsmail aan ALLE "
     "freelancers gewoon de login van het vertaalportaal rond 🤦‍♀️ gebruikersnaam vertalers2026, ww <<PW>>. "
     "Zou ik maar snel veranderen als ik jullie was", [SECRET], tags=["role-trick"])
case("en", KD, "why won't this connect from my laptop, am I being dumb\n"
     "postgresql://booking_app:<<PW>>@db02.intra.linguaduin.local:5432/duintolk", [SECRET, CONF])
case("en", JV, "Great turnout at the cloud meetup! My slide on 'what not to paste in a ticket' used a real example "
     "from our own backlog (revoked since):\nAWS_ACCESS_KEY_ID=<<AWS_ID>>\nAWS_SECRET_ACCESS_KEY=<<AWS_SECRET>>",
     [SECRET])
case("en", pub("reddit", "u/js_bundle_diver"), "Found this in the public JS bundle of Duintaal's learning platform lol\n\n"
     "const OPENAI_KEY = \"<<OPENAI>>\";\n\nsomeone tell them before their bill explodes", [SECRET], kind="comment")
case("nl", AT, "iemand van IT wakker? de slackbot van de tolkenplanning stuurt niks meer door. token uit de "
     "handleiding is <<SLACK_BOT>> toch?", [SECRET])
case("nl", LD_HELP, "@k_brandsma Sorry voor het gedoe! Via deze link kun je je afspraak zelf verzetten: "
     "https://boeken.linguaduin.nl/wijzig?token=<<JWT>>", [SECRET], kind="reply")
case("en", KD, "deploy box key for whoever's on call tonight, don't judge\n<<PEM_OPENSSH>>", [SECRET], kind="message")
case("nl", MV, "Glossarytool doet het weer 🎉 voor wie hem lokaal draait: de key is <<GAPI>>", [SECRET])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", MV, "Mooiste akte van de week 😍 handgeschreven geboorteakte van meneer Theodoor Wijnands, geboren "
     "03-08-1962 in Paramaribo. Wat een handschrift! #beëdigdvertaler", [PII])
case("nl", DW, "Wie kan morgen invallen? Tolk Arabisch gezocht voor de intake van mevrouw Samira el Idrissi in "
     "Nieuwegein, ze is bereikbaar op <<PHONE:mob_dash>>", [PII])
case("nl", HG, "Freelancer kreeg haar betaling maar niet binnen omdat haar IBAN verkeerd in ons systeem stond. Nu "
     "gecorrigeerd naar <<IBAN_NL:grp>> (t.n.v. R. Kalkman), dus het komt goed!", [PII])
case("nl", MV, "Grappig: krijg een uittreksel binnen om te vertalen met BSN <<BSN:dots>> en de naam van de klant is "
     "precies die van mijn oude juf 😂", [PII])
case("nl", pub("x", "@s_oukili"), "@linguaduin_help al 2 weken geen reactie op mijn aanvraag voor een beëdigde "
     "vertaling. BSN <<BSN>>, geboren 14-11-1991, kunnen jullie nu eindelijk even kijken??", [PII, COMPLAINT],
     kind="reply")
case("en", pub("facebook", "aleksandra.nowak.nl", "Aleksandra Nowak"), "For the Linguaduin people who keep asking in "
     "DM: my passport number is <<PASSPORT>>, Aleksandra Nowak. Please just finish the certified translation, the IND "
     "deadline is Friday", [PII])
case("en", AT, "Long day interpreting at the hospital. Shoutout to Mr Karim Haddad (Oudegracht 214, Utrecht) who "
     "insisted on making me tea after his appointment ☕", [PII])
case("nl", LD_HELP, "@jvdlinden We hebben je boeking gevonden! Je tolk bereikt je op <<PHONE:mob_intl_sp>> en de "
     "factuur gaat naar j.vanderlinden78@outlook.com 👍", [PII], kind="reply")
case("en", pub("reddit", "u/careful_with_cards"), "Linguaduin's planning desk read another client's card details to "
     "me over the phone by mistake: <<CARD:visa_sp>>, exp 09/28. Posting it so people see how careless they are "
     "with our data.", [PII, CRISIS])
case("en", HG, "Can someone in AP tell me why vendor 2291 keeps bouncing? We're paying <<IBAN_DE>> (Heike Brandt, "
     "our sworn DE translator in Köln) and it fails every time", [PII])
case("nl", pub("x", "@hofstede_s"), "Ik zoek de tolk die me vorige week hielp bij Duintolk, wil haar bedanken. Kan "
     "iemand me mailen? sanne.hofstede [at] gmail [punt] com", [PII], tags=["evasion", "evasion:at-punt"])
case("nl", pub("instagram", "@ayoub_tolkt", "Ayoub"), "Nieuwe klant vandaag: mevrouw Brouwer, Kerkstraat 12 in Zeist, "
     "wil een tolk Turks bij haar notarisafspraak 📝", [PII], tags=["role-trick"])
case("en", DW, "oops, forgot to wipe the whiteboard after a phone booking and someone took a pic: <<CARD:mc_dash>> 🙈 "
     "wiping it now", [PII])
case("nl", pub("forum", "Gerechtigheid_nu"), "Kennen jullie die arrogante tolk van Linguaduin? Heet Ahmed B., woont "
     "op de Zonnebloemlaan 7 in Almere, telefoon <<PHONE:mob_pairs>>. Maak hem het leven maar zuur.", [PII, ABUSE])
case("nl", JV, "Test-export van de nieuwe klantadministratie ziet er goed uit. Eerste rij: Lieve Vandenbroucke, "
     "<<IBAN_BE>>, Gent ✅ morgen de rest migreren", [PII])
case("nl", pub("x", "@ronald_ktm"), "Linguaduin bel me nou eens terug, <<PHONE:mob_0031>>. Wacht al een week op de "
     "offerte voor de vertaling van ons handboek 😤", [PII, COMPLAINT])

# ===========================================================================
# leak.confidential
# ===========================================================================
case("en", JV, "Proud of this team: Project Babelvis passed its first internal pilot today. Can't share details yet, "
     "but interpreting is about to change 🚀 #ai #language", [CONF])
case("nl", DW, "Iedereen op de planning heeft het over Operatie Zandloper. Geen idee wat het precies is, maar ik moest "
     "dinsdag de hele middag vrijhouden 🤷‍♀️", [CONF])
case("en", KD, "marram staging is finally green 🎉 three months of my life, worth it", [CONF])
case("nl", MV, "Tip voor collega-vertalers: de termbase op tms.linguaduin.nl/termbase/juridisch is eindelijk "
     "bijgewerkt met het Omgevingswet-jargon 📚", [CONF])
case("nl", LO, "Nieuwe lesmethode binnen! Op het voorblad staat 'Linguaduin intern – niet extern delen' maar een "
     "sneak peek mag toch wel 👀📖 #nt2 #docentenleven", [CONF])
case("nl", AT, "Net de eerste testsessie gedaan met Duintolk Live, tolken via de app met live ondertiteling erbij 🤯 "
     "meer mag ik niet zeggen", [CONF], when="2026-10-12T16:40:00+02:00", tags=["embargo-before"])
case("nl", pub("x", "@appjager"), "Duintolk Live staat al in de App Store?? Dacht dat die pas vandaag uit zou komen",
     [CONF], when="2026-11-03T08:59:00+01:00", tags=["embargo-before", "tz-edge"])
case("en", pub("reddit", "u/polyglot_pieter"), "A friend who freelances for Linguaduin showed me the Duintolk Live "
     "beta. Looks slick, launching early November apparently.", [CONF], when="2026-09-30T21:12:44Z",
     tags=["embargo-before"])
case("en", HG, "Board deck done ✅ It has LD-CONFIDENTIAL in the footer, so all I'll say is: Operatie Zandloper is "
     "happening 😉", [CONF])
case("nl", DW, "Project\nBabelvis demo morgen om 10 uur, koffie en stroopwafels staan klaar ☕", [CONF],
     tags=["evasion", "evasion:line-break"])
case("nl", AT, "Operatie ⏳ Zandloper begint maandag, wij tolken zelf ook mee 🤐", [CONF],
     tags=["evasion", "evasion:emoji"])
case("en", pub("linkedin", "bram-tech-recruiter", "Bram Oost"), fw("Marram") + " is what Linguaduin calls its new "
     "speech-to-speech engine, according to a recruiter who pinged me. Sounds ambitious.", [CONF],
     tags=["evasion", "evasion:full-width"])
case("nl", pub("forum", "vertaler_utrecht"), "Het freelancersrooster draait trouwens gewoon op "
     "rooster.linguaduin.local, dus je komt er alleen via hun vpn in 🙄", [CONF])
case("nl", HG, "Halfjaarcijfers 2026 zijn bijna klaar en ze zien er prima uit: omzet +11% 📈 meer kan ik nog niet "
     "zeggen!", [FIN, CONF], when="2026-07-28T17:05:00+02:00", tags=["embargo-before"])
case("en", pub("reddit", "u/nl_smallcaps"), "Someone at Linguaduin says the H1 2026 results will show a loss on the "
     "courses side, biggest since 2020.", [FIN, CONF], when="2026-08-20T06:45:00+02:00",
     tags=["embargo-before", "tz-edge"])

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", DW, "Vandaag gehoord dat de planningsafdeling in Utrecht wordt opgeheven en alles naar Leeuwarden gaat. "
     "Officieel horen we het pas in juni 😞", [FIN])
case("en", AT, "Rumour in the interpreters' room: we lost the framework contract with the courts from January. "
     "Management hasn't told anyone yet", [FIN])
case("en", pub("glassdoor", "current-employee-utrecht"), "Current employee. Leadership is quietly negotiating a sale "
     "of the Duintaal academy to a Scandinavian edtech group. Expect layoffs after the summer.", [FIN],
     tags=["unknown-platform"])
case("en", HG, "Forecast review done: courses revenue will land roughly 20% under budget this year, so the hiring "
     "freeze stays. Not announced yet, keep it in the team 🙏", [FIN])
case("nl", pub("facebook", "karin.dijkstra.88", "Karin Dijkstra"), "Mijn nicht werkt bij Linguaduin: ze gaan 25 "
     "vaste vertalers ontslaan en alles via freelancers en AI doen. Is nog niet bekendgemaakt!", [FIN])
case("nl", MV, f"Stil op de afdeling vandaag. Re{SHY}organisatie komt eraan, 1 op de 3 vertaalplekken verdwijnt "
     "zeggen ze. Nog niks officieel.", [FIN], tags=["evasion", "evasion:soft-hyphen"])
case("nl", JV, "Due-diligenceteam van een Brits vertaalconcern liep vandaag door ons kantoor. Ik zeg verder niks 🤐 "
     "#overname", [FIN])
case("en", pub("twitter", "@dealflow_nl"), "Hearing Linguaduin is buying Tolkcentrum Oost for roughly €8m, signing next "
     "week. You heard it here first 👀", [FIN])
case("nl", LO, "Net gehoord dat onze NT2-locatie in Zwolle per september dichtgaat. Cursisten weten nog van niks 😢",
     [FIN])
case("nl", pub("reddit", "u/duinkonijn"), "Operatie Zandloper = de verkoop van Duintaal aan een investeerder. Hoorde "
     "het van iemand die er werkt.", [FIN, CONF], kind="comment")
case("en", pub("threads", "@anon_linguist"), "l a y o f f s at linguaduin next month, around 40 people. source: me, "
     "I work there", [FIN], tags=["evasion", "evasion:spaced"])

# ===========================================================================
# leak.security
# ===========================================================================
case("en", KD, "3am and the booking portal has been returning other clients' appointments on /api/v2/bookings since "
     "Friday's deploy. fix is going in, comms says nothing goes out until legal decides 😵", [SEC])
case("en", HG, "Two of us in finance paid a fake invoice from a 'freelancer' last week, €14k gone. Not communicated "
     "yet, so stay sharp everyone.", [SEC])
case("nl", MV, "Beëdigde vertalingen van paspoorten stonden dagenlang op een open share, iedereen met de link kon "
     "erbij. Nu dicht, maar klanten worden (nog) niet ingelicht 😶", [SEC])
case("en", JV, "Pentest report landed: on the Duintaal learning platform any student can view other students' "
     "grades by changing an ID in the URL. Patch planned next sprint.", [SEC])
case("en", pub("forum", "ex_contractor_42"), "Former Linguaduin contractor here: their TMS still runs a version with "
     "a known RCE, unpatched for months. They know, nothing's been published.", [SEC])
case("nl", pub("x", "@it_beheer_anoniem"), "Ik doe IT-beheer voor een partner van Linguaduin: ze zijn vorige week "
     "gehackt en vertaalde medische dossiers liggen op straat. Ze houden het stil. #datalek", [SEC, CRISIS])
case("en", pub("reddit", "u/not_maintenance"), "Linguaduin got hit by ransomware and is hiding it. Four days of "
     "'scheduled maintenance' on the portal, sure.", [SEC, CRISIS])
case("nl", AT, "tolkapp is geh@ckt 🤐 nog niet naar buiten gebracht dus ssst", [SEC],
     tags=["evasion", "evasion:leetspeak"])
case("nl", DW, f"ransom{ZW}ware op de planningsserver, we mogen niks zeggen tegen klanten 🙊", [SEC],
     tags=["evasion", "evasion:zero-width"])
case("en", KD, "someone's been brute-forcing sso.intra.linguaduin.local since midnight, 40k attempts and counting. "
     "incident channel says no public statement yet", [SEC, CONF])
case("nl", LO, "Cursisten, krijg je rare mails 'namens Duintaal'? Ons leerplatform is gelekt, IT weet het sinds "
     "maandag maar het officiële bericht komt pas later. Klik nergens op! 🙏", [SEC])
case("en", pub("facebook", "mike.jansen.ede", "Mike Jansen"), "My wife works at their call centre: Linguaduin had a "
     "breach, certified translations of passports were stolen, and they're sitting on it.", [SEC, CRISIS])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("instagram", "@tolkenvakbond"), "#BoycotLinguaduin ✊ Ze betalen freelance tolken een schijntje en laten "
     "ze maanden wachten op hun geld. Delen!", [CRISIS])
case("en", pub("x", "@priya_r"), "Linguaduin leaked my data. The sworn translation of my divorce papers landed in a "
     "complete stranger's inbox. A STRANGER.", [CRISIS])
case("nl", pub("x", "@rechtspraakwatcher"), "Rechtbank: tolk van Linguaduin vertaalde verklaring van verdachte fout, "
     "zaak moet over. Advocaten eisen onafhankelijk onderzoek.", [CRISIS])
case("nl", pub("linkedin", "wouter-arbeidsrecht", "Wouter Smits"), "Tien oud-freelancers slepen Linguaduin voor de "
     "rechter wegens schijnzelfstandigheid. Benieuwd hoe dit afloopt voor de hele tolkenbranche.", [CRISIS])
case("en", pub("blog", "inburgering-insider", "Inburgering Insider"), "Why the Duintaal exam-course scandal matters\n\n"
     "Hundreds of newcomers paid for an NT2 course that, according to former teachers, the academy knew would not "
     "prepare them for the state exam. The academy still advertises it.", [CRISIS])
case("nl", pub("facebook", "ilse.koopmans.9", "Ilse Koopmans"), "De tolk van Duintolk kwam dronken naar het gesprek "
     "van mijn moeder met de cardioloog. Levensgevaarlijk als daar iets verkeerd vertaald wordt! 😡", [CRISIS, COMPLAINT])
case("en", pub("mastodon", "@privacyfirst@mastodon.nl"), "b0yc0tt linguaduin, they feed confidential client documents "
     "into public AI tools", [CRISIS], tags=["evasion", "evasion:leetspeak"])
case("nl", pub("tiktok", "@mila.nl"), f"Dat{CYR_A}lek bij Linguaduin?? mijn paspoort + vertaling gaat rond in een "
     "telegramgroep 😱😱", [CRISIS], tags=["evasion", "evasion:homoglyph"])
case("en", pub("reddit", "u/former_student_b2"), "A Duintaal teacher has been accused of harassing students for years "
     "and the school kept him on. Several ex-students are now speaking out.", [CRISIS])
case("nl", pub("x", "@boos_op_ld"), "Die oplichters van Linguaduin verkopen onze gegevens aan AI-bedrijven. Stelletje "
     "criminele ratten #boycotlinguaduin", [CRISIS, ABUSE])
case("en", pub("threads", "@newsroom_nl"), "IND rejected hundreds of certified translations stamped by Linguaduin, "
     "reports say the sworn translator's registration had lapsed. Refugee families are now stuck.", [CRISIS])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@thijs_wb"), "@linguaduin_help beëdigde vertaling van mijn diploma zou maandag klaar zijn. Het is "
     "donderdag. Geen mail, geen telefoon. Serieus?", [COMPLAINT], kind="reply")
case("en", pub("trustpilot", "Daniela M."), "1 star. Paid for Certified Express, got it after six working days, and my "
     "surname was misspelled on every page. Useless for the embassy.", [COMPLAINT], tags=["unknown-platform"])
case("nl", pub("facebook", "mo.elhaddaoui", "Mohamed El Haddaoui"), "Tolk kwam gewoon niet opdagen bij het gesprek met "
     "de gemeente. Afspraak verzet, weer 3 weken wachten. Bedankt Duintolk 👏👏", [COMPLAINT])
case("en", pub("reddit", "u/corporate_learner"), "Duintaal's Business English Premium is overpriced fluff. 40% of our "
     "sessions were cancelled by the trainer and there were no make-up lessons.", [COMPLAINT])
case("nl", pub("instagram", "@yara.studeert"), "boekingsportaal geeft steeds een foutmelding bij het betalen 😤 al 4x "
     "geprobeerd @duintaal.academie", [COMPLAINT], kind="comment")
case("en", pub("linkedin", "petra-hr-lead", "Petra Wolters"), "We booked Zakelijk Intensief for twelve colleagues. "
     "The trainer changed three times in ten weeks and the materials were full of mistakes. Disappointing, "
     "Linguaduin.", [COMPLAINT])
case("nl", pub("x", "@gerritjan_b"), "Factuur van Linguaduin met €80 'spoedtoeslag' die nergens in de offerte stond. "
     "Die ga ik dus mooi niet betalen.", [COMPLAINT])
case("en", pub("youtube", "@sunita_vlogs"), "Used Duintolk Video 60 for my dad's GP appointment, the connection dropped "
     "five times and the interpreter couldn't hear a thing. Refund 'pending' for 5 weeks now.", [COMPLAINT],
     kind="comment")
case("nl", pub("forum", "Visumstress"), "Apostille ontbrak gewoon op de vertaling terwijl ik het Apostille Pakket had "
     "betaald. Nu moet alles opnieuw en loopt mijn visumaanvraag vertraging op. Klantenservice: 'we kijken ernaar'.",
     [COMPLAINT])
case("en", pub("bluesky", "@ines-in-nl.bsky.social"), "Duintaal NT2 class: 20 people in a room meant for 12 and a "
     "teacher who barely looked up from her phone. Not what I paid for.", [COMPLAINT])
case("nl", pub("x", "@ergernis_elif"), "Vertaling twee weken te laat en niemand die sorry zegt. " + sans_bold("Slechte service")
     + " bij Linguaduin", [COMPLAINT], tags=["evasion", "evasion:math-bold"])
case("en", pub("facebook", "tom.and.julia.nl", "Tom Bakker"), "The 'sworn' German translation of our marriage "
     "certificate had the wrong wedding date on it. Sent it back twice already. Linguaduin, how hard can it be?",
     [COMPLAINT])
case("nl", pub("x", "@kimberleyyy"), "@linguaduin_help jullie chatbot snapt er niks van en een mens bereiken lukt "
     "niet. Ik wil gewoon mijn boeking annuleren 😩", [COMPLAINT], kind="reply")
case("en", pub("reddit", "u/expat_refund_fight"), "Warning to expats: Duintaal kept my €695 for the NT2 Startpakket "
     "even though I cancelled within 14 days. Support ignores every email.", [COMPLAINT], price=(695, 695))
case("nl", pub("facebook", "henk.vd.wal", "Henk van der Wal"), "Wat een prutsers bij Linguaduin. Vertaling zat vol "
     "fouten en nu moet ik zelf alles nalopen. Kutbedrijf.", [COMPLAINT, ABUSE])
case("en", pub("x", "@angry_in_amersfoort"), "@Linguaduin_Help your interpreter was 40 mins late AGAIN, f*cking "
     "useless bunch", [COMPLAINT, ABUSE], kind="reply", tags=["evasion", "evasion:masked"])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@nlrealist"), "Linguaduin is gewoon een kutbedrijf vol kuttolken. Klaar.", [ABUSE])
case("en", pub("facebook", "real.dutch.values", "Dutch Values"), "Why does Duintolk send interpreters in headscarves "
     "to Dutch hospitals? Send them back where they came from.", [ABUSE])
case("nl", AT, "Die advocaat van vanochtend was echt een arrogante klootzak, liet me geen zin afmaken", [ABUSE])
case("en", LD_HELP, "@tomvk maybe read the quote before crying about the invoice, genius 🙄", [ABUSE], kind="reply",
     handle_as="@Linguaduin_Help", tags=["case-handle"])
case("en", pub("reddit", "u/cringe_patrol"), "whoever runs Duintaal's TikTok is a braindead clown 🤡", [ABUSE],
     kind="comment")
case("nl", pub("x", "@anoniem_7781"), "@marieke_vertaalt jij bent toch die vertaalster van Linguaduin? Ik weet waar "
     "je kantoor is. Kijk maar goed uit 😈", [ABUSE], kind="reply")
case("en", DW, "clients who book an interpreter for 9am and stroll in at 10:15 are the dumbest idiots alive", [ABUSE])
case("nl", pub("instagram", "@kees_zegt_het"), f"Duintaal jullie zijn echt t{ZW}y{ZW}fuslijers", [ABUSE],
     kind="comment", tags=["evasion", "evasion:zero-width"])
case("nl", pub("youtube", "@dr4akje"), "L1ngu4du1n is één grote k*tzooi vol 1d10ten", [ABUSE], kind="comment",
     tags=["evasion", "evasion:leetspeak", "evasion:masked"])
case("nl", pub("tiktok", "@echtehollander"), "Die Marokkaanse tolk van Duintolk spreekt zelf niet eens normaal "
     "Nederlands lol ga terug naar je eigen land", [ABUSE])
case("nl", LO, "Sommige cursisten zijn gewoon te dom om te leren, ik word er echt gek van 🙄 #docentenleven", [ABUSE])
case("en", pub("x", "@brutal_reviews"), "Duintaal's trainer in Amersfoort is a useless fat cow who can't even teach "
     "the present tense", [ABUSE])

# ===========================================================================
# BENIGN (categories [], severity none); nearly all are hard negatives
# ===========================================================================

# --- prices that are not a pricing leak -------------------------------------
case("nl", DT_IG, "Vroegboekkorting! 15% korting op Zakelijk Intensief: nu €1.572,50 i.p.v. €1.850 ⏰ t/m 31 augustus",
     when="2026-07-14T09:00:00+02:00", tags=["sale-price", "number-format"], price=(1850, 1572.50))
case("nl", pub("facebook", "student.ana.m", "Ana M."), "NT2 Startpakket voor €349 met studentenkorting, dat scheelt "
     "toch flink 😊", tags=["sale-price", "ratio-edge"], price=(695, 349))
case("nl", LD_FB, "Zakelijk Intensief liever gespreid betalen? Dat kan in 4 termijnen van €462,50, zonder extra "
     "kosten.", tags=["instalment"])
case("nl", pub("linkedin", "femke-vertaalt-en-nl", "Femke de Ruiter"), "Tarieven vergelijken voor freelancers: "
     "Linguaduin betaalt €0,09 per woord voor EN-NL, een ander bureau €0,11. Kijk dus goed rond.",
     tags=["price-context"])
case("nl", LD_X, "€25 korting op je eerste Duintolk Video 60 met code TOLK25 🎧 geldig tot eind maart",
     tags=["price-context"])
case("nl", pub("x", "@lowbudget_lisa"), "Bij een ander bureau kost een beëdigde vertaling €45, de Certified Express van "
     "Linguaduin is €119 maar wel binnen 48 uur klaar. Keuzes keuzes 🤔", tags=["price-context", "other-company"],
     price=(119, 119))
case("nl", pub("facebook", "marktplaats.mira", "Mira"), "Te koop: lesboeken uit het NT2 Startpakket, zo goed als nieuw, "
     "€20 voor alles. Ophalen in Amersfoort.", tags=["second-hand"])
case("nl", DW, "Nee hoor, geen prijsfout: Duintolk Video 60 kost tijdens de pilot met gemeenten €75. Gewoon een "
     "afspraak met de VNG 😉", tags=["negated", "sale-price"], price=(95, 75))
case("en", pub("x", "@quick_docs"), "€35 rush fee on top of a Certified Express, but I had my documents the next "
     "morning. Worth it.", tags=["fee"])

# --- secret-looking but not a secret -----------------------------------------
case("en", KD, "reminder for the team: tokens look like ghp_…, sk-proj-… or xoxb-…. if you spot one in a ticket, "
     "revoke it first and ask questions later 🙏", tags=["secret-prefix-only"])
case("nl", JV, "In onze workshop gebruikten we de voorbeeldsleutel uit de AWS-documentatie (AKIAIOSFODNN7EXAMPLE), "
     "dus nee, dat was geen lek 😉", tags=["placeholder"])
case("en", MV, "Fix for the ü/ö mangling in the PDF export is in commit <<HEX:40>>, thanks Kees! 🎉",
     tags=["hex-not-secret"])
case("nl", LD_HELP, "Wij vragen je nooit om je wachtwoord of inlogcode, ook niet via DM. Twijfel je? Bel ons gratis "
     "op 0800-0455.", tags=["own-contact", "password-word"])
case("en", pub("blog", "translatortech", "Translator Tech Notes"), "Setting up the DeepL plugin in your CAT tool: put "
     "DEEPL_AUTH_KEY=your-key-here:fx in the config file and never commit it. (Linguaduin's onboarding guide "
     "recommends the same.)", tags=["placeholder"])
case("nl", pub("x", "@stipte_stijn"), "Boekingsreferentie <<UUID>>, tolk was keurig op tijd 👌 top geregeld",
     tags=["lookalike-number", "praise"])

# --- own contact data and identifiers that fail their checksum ---------------
case("nl", LD_X, "Offerte nodig voor een beëdigde vertaling? Mail offerte@linguaduin.nl of bel 030 760 44 00 "
     "(ma–vr 8.30–17.30) 📞", tags=["own-contact"])
case("nl", LD_FB, "Betaal je liever per overschrijving? Maak het bedrag over naar NL24 RABO 0318 5622 70 t.n.v. "
     "Linguaduin B.V. en vermeld je dossiernummer (bijv. LD-2026-04417).", tags=["own-contact"])
case("en", LD_LI, "Press enquiries: pers@linguaduin.nl or +31 30 760 4400. Our annual report 2025 is on "
     "linguaduin.nl/investors.", tags=["own-contact"])
case("nl", pub("x", "@opa_henk_tolk"), "Tolkenplanning van Duintolk gemaild via planning@duintolk.nl en binnen een "
     "uur een tolk Tigrinya geregeld. Chapeau!", tags=["own-contact", "praise"])
case("nl", pub("facebook", "sylvia.tromp", "Sylvia Tromp"), "Offerte opvragen ging super makkelijk, gewoon mailen "
     "naar offerte [at] linguaduin [punt] nl 👍", tags=["own-contact", "obfuscated"])
case("nl", pub("x", "@belletje_b"), "Linguaduin gebeld op 030-7604400, binnen twee minuten iemand aan de lijn die "
     "wist waar ze het over had 😊", tags=["own-contact", "praise"])
case("nl", pub("facebook", "joke.vd.meer", "Joke van der Meer"), "Kreeg een mail dat ik nog €59 moet overmaken naar "
     "<<BAD_IBAN_NL:grp>> voor 'legalisatiekosten'. Is dit echt van Linguaduin of phishing?",
     tags=["bad-checksum", "question"])
case("en", pub("reddit", "u/fat_fingers"), "The Linguaduin checkout rejected my card because I typed "
     "<<BAD_CARD:visa_sp>>, one digit off. At least their form validation works 😅", tags=["bad-checksum"])
case("nl", pub("x", "@cijfertje"), "Haha, het aanvraagformulier voor de beëdigde vertaling weigerde mijn BSN. Had "
     "<<BAD_BSN>> getypt, één cijfer fout. Goede check eigenlijk.", tags=["bad-checksum"])
case("nl", pub("x", "@wachten_op_post"), "Dossiernummer <<NOT_BSN:9>>, volgens de mail ligt mijn vertaling morgen in "
     "de bus 📬", tags=["lookalike-number"])
case("nl", pub("forum", "Boekenwurm_NT2"), "Het werkboek van het NT2 Startpakket heeft ISBN <<ISBN:dash>>, handig als "
     "je een tweede exemplaar wilt bestellen.", tags=["lookalike-number"])
case("nl", pub("linkedin", "anouk-administratie", "Anouk Hermans"), "KvK-nummer van Linguaduin staat gewoon onderaan "
     "de factuur: <<NOT_BSN:8>>. Fijn voor de boekhouding.", tags=["lookalike-number"])
case("en", pub("reddit", "u/scam_alert_nl"), "Someone in a WhatsApp group claims Linguaduin's account is "
     "<<BAD_IBAN_BE:grp>>. That isn't even a valid IBAN and Linguaduin banks in NL. Don't pay.",
     tags=["bad-checksum"])
case("nl", pub("x", "@afspraak_anne"), "Afspraak met tolk Ayoub op 14-05-2026 om 10:30 bij de huisarts, fijn dat het "
     "zo snel kon 🙏", when="2026-05-06T18:22:00+02:00", tags=["date-not-dob", "name-only"])
case("en", pub("instagram", "@dad_learns_dutch"), "Shoutout to Lotte at Duintaal, she stayed an extra half hour to "
     "help my dad with his A2 speaking exam prep 💛", tags=["praise", "name-only"])

# --- embargo terms at/after the moment, codename-like words, public domains --
case("nl", LD_X, "Hij is er! 🎉 Duintolk Live: binnen 60 seconden een tolk in je oor, gewoon via de app. Download nu "
     "via duintolk.nl/live", when="2026-11-03T09:00:00+01:00", tags=["embargo-after", "tz-edge"])
case("nl", pub("x", "@huisarts_hanneke"), "Vandaag voor het eerst Duintolk Live gebruikt bij een consult met een "
     "Oekraïense patiënt. Werkte prima!", when="2026-11-20T14:02:31Z", tags=["embargo-after"])
case("en", DT_TT, "It's live!! Duintolk Live is in the app stores now 🚀📱", when="2026-11-03T08:00:00Z",
     tags=["embargo-after", "tz-edge"], handle_as="@Duintaal")
case("nl", LD_LI, "Vandaag publiceren we de halfjaarcijfers 2026: omzet €21,4 miljoen (+11%), vooral gedreven door "
     "tolkdiensten. Het volledige bericht staat op linguaduin.nl/investors", when="2026-08-20T07:00:00+02:00",
     tags=["published", "embargo-after", "tz-edge"])
case("nl", MV, "Elke vertaler droomt stiekem van een babelvis in het oor 🐟 (Transgalactisch Liftershandboek, iemand?)",
     tags=["codename-word"])
case("nl", LO, "Spelletje in de les: de zandloper loopt, wie noemt de meeste onregelmatige werkwoorden? ⏳ #nt2",
     tags=["codename-word"])
case("nl", pub("x", "@snelgeboekt"), "Tolk geboekt via boeken.linguaduin.nl, in drie minuten geregeld. Zo hoort het.",
     tags=["public-domain", "praise"])

# --- published / other companies' finance, fiction --------------------------
case("nl", LD_LI, "Vandaag publiceren we ons jaarverslag 2025: omzet €38,2 miljoen en 64 nieuwe collega's. Lees het "
     "hele verslag op linguaduin.nl/investors", when="2026-03-12T08:00:00+01:00", tags=["published"])
case("en", pub("linkedin", "sector-watcher-nl", "Jorien Blom"), "Another machine-translation startup cutting 120 jobs "
     "this week. Meanwhile Linguaduin is hiring interpreters again. Interesting times.", tags=["other-company"])
case("nl", LO, "Leesoefening B1 voor vandaag: 'Karel hoort op een dinsdag dat zijn fabriek gaat sluiten en dat hij "
     "zijn baan kwijtraakt. Wat moet hij nu doen?' Schrijf een kort antwoord 📝", tags=["fiction", "exercise"])
case("nl", pub("blog", "thrillerschrijfster", "Roos schrijft"), "Hoofdstuk 3 van mijn thriller staat online! De tolk "
     "ontdekt dat het vertaalbureau gehackt is en dat iemand de dossiers verkoopt… Wie haar geheimen vertaalt, kent ze "
     "ook.", tags=["fiction", "crisis-word"])

# --- outages / security talk that is not an insider leak ---------------------
case("nl", LD_X, "Gepland onderhoud: zondag tussen 02:00 en 05:00 is het boekingsportaal niet bereikbaar. Spoed? Bel "
     "0800-0455 🛠️", tags=["official-notice", "own-contact"])
case("en", LD_HELP, "Heads-up: video interpreting via Duintolk Video is down for some users right now. We're on it "
     "and will post updates here.", tags=["official-notice"])
case("nl", pub("x", "@vertaalnerd"), "DeepL had vanochtend een storing, half vertaalland lag stil 😅 gelukkig zijn de "
     "vertalers bij Linguaduin gewoon mensen", tags=["other-company"])
case("nl", JV, "Ons responsible-disclosureprogramma in 2025: 12 meldingen, allemaal opgelost en gepubliceerd op "
     "linguaduin.nl/security. Dank aan alle onderzoekers! 🔐", tags=["published"])
case("nl", LD_LI, "Oktober is de maand van cybersecurity. Tip van ons IT-team: een lange wachtzin van vier woorden "
     "is sterker dan Welkom01! 🔐", when="2026-10-07T08:30:00+02:00", tags=["password-word"])
case("nl", pub("mastodon", "@privacynieuws@mastodon.nl"), "Datalek bij een Belgisch vertaalbureau: 30.000 dossiers "
     "op straat. Hoog tijd dat de hele branche dit serieuzer neemt.", tags=["other-company"])

# --- crisis-like words in harmless senses -------------------------------------
case("en", pub("reddit", "u/brain_fog"), "I can't recall whether Duintaal's B2 course includes the exam fee, anyone "
     "know?", tags=["question", "crisis-word"])
case("nl", LO, "Woord van de dag: boycotten 📝 Let op de spelling: ik boycot, wij boycotten, ik heb geboycot. "
     "#nt2 #grammatica", tags=["crisis-word"])
case("nl", LD_FB, "Ook voor processtukken in rechtszaken leveren wij beëdigde vertalingen, snel en vertrouwelijk. "
     "Vraag een offerte aan via offerte@linguaduin.nl", tags=["crisis-word", "own-contact"])
case("nl", pub("x", "@enthousiaste_emma"), "Het is eigenlijk een schandaal hoe leuk deze cursus Spaans is 😍 Duintaal "
     "jullie zijn toppers", tags=["crisis-word", "joke"])
case("nl", AT, "Brandoefening op kantoor vandaag, iedereen binnen 3 minuten buiten 🔥🧯 goed gedaan collega's",
     tags=["crisis-word"])

# --- quotes, jokes, literal senses, praise, questions, negated complaints -----
case("nl", MV, "Vertaaldilemma van de dag: hoe vertaal je een ziektevloek als 'tering' naar het Engels? 'Bloody hell' "
     "komt in de buurt, maar mist de ziekte 😄 #vertalen #taal", tags=["quote", "mild-word"])
case("nl", AT, "Vandaag getolkt bij een oncoloog. Zware gesprekken over kanker, maar wat ben ik dankbaar voor dit werk "
     "💙", tags=["literal", "mild-word"])
case("en", pub("x", "@pun_intended"), "What do you call a translator who never makes mistakes? A fictional character 😂 "
     "(love you Linguaduin)", tags=["joke"])
case("en", pub("reddit", "u/late_learner"), "Damn, Duintaal's evening Spanish course is actually good. Did not expect "
     "to enjoy grammar at 40.", tags=["mild-word", "praise"])
case("nl", pub("x", "@tevreden_tarik"), "Geen klachten over de tolk van Duintolk, alles duidelijk vertaald en op tijd "
     "👍", tags=["negated"])
case("en", pub("facebook", "grace.expat.nl", "Grace O."), "No complaints at all, the IND accepted Linguaduin's "
     "certified translation of my birth certificate straight away.", tags=["negated"])
case("nl", pub("instagram", "@verhuisd_naar_nl"), "Mijn vorige vertaalbureau was echt een ramp, bij Linguaduin ging "
     "alles in één keer goed 🙏", tags=["other-company", "praise"])
case("nl", DT_TT, "Raad het woord: 'uitwaaien' 🌬️ Bestaat er een Engels woord voor? Zet je gok in de comments!",
     tags=["neutral"], handle_as="@DuinTaal")


# ===========================================================================
# profile, roles, severity (CONTRACT section 4)
# ===========================================================================

def load_profile():
    try:
        import yaml
    except ImportError:
        sys.exit("PyYAML is needed to read profile.yaml")
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


# ===========================================================================
# post metadata
# ===========================================================================

def ams_offset(t_utc):
    start = dt.datetime(2026, 3, 29, 1, 0, tzinfo=dt.timezone.utc)
    end = dt.datetime(2026, 10, 25, 1, 0, tzinfo=dt.timezone.utc)
    return 2 if start <= t_utc < end else 1


def random_time(r):
    day = r.randint(5, 355)
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=day - 1)
    guess = base + dt.timedelta(minutes=r.randint(6 * 60 + 30, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = ams_offset(guess)
    t_utc = guess - dt.timedelta(hours=off)
    style = r.random()
    if style < 0.4:
        return t_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style < 0.88:
        return (t_utc + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t_utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


B36 = string.digits + string.ascii_lowercase


def make_id_url(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_900_000_000_000_000_000, 2_050_000_000_000_000_000))
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
        post = "".join(r.choice(B36) for _ in range(7))
        sub = r.choice(["Netherlands", "thenetherlands", "Utrecht", "TranslationStudies", "learndutch"])
        if kind == "comment":
            cid = "".join(r.choice(B36) for _ in range(7))
            return f"t1_{cid}", f"https://www.reddit.com/r/{sub}/comments/{post}/_/{cid}/"
        return f"t3_{post}", f"https://www.reddit.com/r/{sub}/comments/{post}/"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-taalforum-{n}", f"https://taalforum.example/t/{n}"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        v = "".join(r.choice(B64URL) for _ in range(11))
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(111_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "threads":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog-{h}-{n}", f"https://{h}.blog.example/posts/{n}"
    n = r.randint(10 ** 7, 10 ** 9)
    return f"{platform}-{n}", None


def build(profile):
    gen = Gen(SEED)
    meta = random.Random(SEED + 1)
    order = random.Random(SEED + 2)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(gen, c["text"])
        kinds = {k for k, _, _ in used}
        pid, url = make_id_url(meta, c["platform"], c["handle"], c["kind"])
        while pid in seen:
            pid += "1"
        seen.add(pid)
        created = c["when"] or random_time(meta)
        role = role_of(profile, c["platform"], c["handle"])
        sev = severity_for(role, c["cats"], PII in c["cats"] and bool(kinds & VALID_ID_KINDS))
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and meta.random() < 0.65:
            kind = "post"
        if kind is not None:
            post["kind"] = kind
        acc = {"handle": c["handle"]}
        if c["dn"] and meta.random() < 0.7:
            acc["display_name"] = c["dn"]
        if meta.random() < 0.3:
            acc["id"] = str(meta.randint(10 ** 7, 10 ** 12))
        post["account"] = acc
        post["text"] = text
        tags = set(c["tags"])
        p = meta.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif p < 0.09:
            tags.add("no-lang-hint")
        elif p < 0.12:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            tags.add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.45:
            post["brand"] = "linguaduin"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=tags, used=used, price=c["price"]))
    order.shuffle(rows)
    return rows


def dump(rows):
    return "".join(json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows)


# ===========================================================================
# validation
# ===========================================================================

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
NUM_RE = re.compile(r"(?<![\w.])\d(?:[ .-]?\d){7,18}(?![\w])")


def accidental_ids(text, own_iban):
    """Checksum-valid IBAN / card / BSN shapes in a text (own IBAN excluded)."""
    hits = []
    for m in IBAN_RE.finditer(text):
        v = m.group().replace(" ", "")
        if iban_ok(v) and v != own_iban:
            hits.append(("iban", v))
    for m in NUM_RE.finditer(text):
        d = re.sub(r"\D", "", m.group())
        if 13 <= len(d) <= 19 and re.match(r"^(4|5[1-5]|3[47]|2[2-7])", d) and luhn_ok(d):
            hits.append(("card", d))
        if len(d) == 9 and bsn_ok(d):
            hits.append(("bsn", d))
    return hits


def check(rows, profile):
    errors = []
    own_iban = profile["public_identifiers"]["ibans"][0]
    assert iban_ok(own_iban), "own IBAN must be valid"
    ratio = profile["pricing"]["alert_below_ratio"]
    ids = set()
    for r in rows:
        p, e = r["post"], r["expect"]
        pid = p["id"]
        if pid in ids:
            errors.append(f"duplicate id {pid}")
        ids.add(pid)
        for f in ("id", "platform", "account", "text", "created_at"):
            if f not in p:
                errors.append(f"{pid}: missing {f}")
        if not RFC3339.match(p["created_at"]) or not p["created_at"].startswith("2026-"):
            errors.append(f"{pid}: bad created_at")
        if len(p["text"].encode()) > 65536:
            errors.append(f"{pid}: text too long")
        if any(c not in CATS for c in e["categories"]) or e["categories"] != sorted(set(e["categories"])):
            errors.append(f"{pid}: bad categories")
        if not e["categories"] and e["severity"] != "none":
            errors.append(f"{pid}: benign with severity")
        if "<<" in p["text"]:
            errors.append(f"{pid}: unrendered placeholder")
        # identifiers: valid in positives, invalid in near-misses
        for kind, raw, _ in r["used"]:
            if kind.startswith("IBAN_") and not iban_ok(raw):
                errors.append(f"{pid}: invalid IBAN")
            if kind == "CARD" and not luhn_ok(raw):
                errors.append(f"{pid}: invalid card")
            if kind == "BSN" and not bsn_ok(raw):
                errors.append(f"{pid}: invalid BSN")
            if kind.startswith("BAD_IBAN") and iban_ok(raw):
                errors.append(f"{pid}: near-miss IBAN passes")
            if kind == "BAD_CARD" and luhn_ok(raw):
                errors.append(f"{pid}: near-miss card passes")
            if kind in ("BAD_BSN", "NOT_BSN") and (bsn_ok(raw) or luhn_ok(raw)):
                errors.append(f"{pid}: near-miss number passes")
            if kind == "ISBN" and (not ean13_ok(raw) or luhn_ok(raw)):
                errors.append(f"{pid}: ISBN")
            if kind in ("IBAN_NL", "IBAN_DE", "IBAN_BE", "CARD", "BSN") and "leak.pii" not in e["categories"]:
                errors.append(f"{pid}: valid identifier outside a PII positive")
        if "leak.pii" not in e["categories"] and accidental_ids(p["text"], own_iban):
            errors.append(f"{pid}: accidental valid identifier {accidental_ids(p['text'], own_iban)}")
        if r["price"]:
            lp, amount = r["price"]
            below = amount < ratio * lp
            if below != ("leak.pricing" in e["categories"]):
                errors.append(f"{pid}: price ratio {amount}/{lp} disagrees with label")
        # embargo terms: compare as instants
        t = parse_ts(p["created_at"])
        low = p["text"].casefold()
        for emb in profile["embargo"]:
            if any(term.casefold() in low for term in emb["terms"]):
                before = t < parse_ts(emb["until"])
                if before != ("leak.confidential" in e["categories"]):
                    errors.append(f"{pid}: embargo label mismatch")
        # codenames / internal domains / markers must make a confidential label
        internal = profile["internal"]
        for term in internal["codenames"] + internal["domains"] + internal["markers"]:
            if term.casefold() in low and "leak.confidential" not in e["categories"]:
                errors.append(f"{pid}: internal term {term!r} in a non-confidential post")
        # severity recomputed independently
        pii_valid = "leak.pii" in e["categories"] and any(k in VALID_ID_KINDS for k, _, _ in r["used"])
        if severity_for(r["role"], e["categories"], pii_valid) != e["severity"]:
            errors.append(f"{pid}: severity")
    return errors


def cross_check_stdnum(rows):
    try:
        from stdnum import iban as s_iban, luhn as s_luhn
        from stdnum.nl import bsn as s_bsn
    except ImportError:
        return "python-stdnum not installed; skipped"
    n = 0
    for r in rows:
        for kind, raw, _ in r["used"]:
            if kind.startswith("IBAN_"):
                assert s_iban.is_valid(raw), raw
            elif kind.startswith("BAD_IBAN"):
                assert not s_iban.is_valid(raw), raw
            elif kind == "CARD":
                assert s_luhn.is_valid(raw), raw
            elif kind == "BAD_CARD":
                assert not s_luhn.is_valid(raw), raw
            elif kind == "BSN":
                assert s_bsn.is_valid(raw), raw
            elif kind in ("BAD_BSN",):
                assert not s_bsn.is_valid(raw), raw
            else:
                continue
            n += 1
    return f"python-stdnum agrees on {n} identifiers"


def report(rows):
    from collections import Counter
    pos = [r for r in rows if r["expect"]["categories"]]
    print(f"cases {len(rows)}: positives {len(pos)}, benign {len(rows) - len(pos)}, "
          f"multi-category {sum(len(r['expect']['categories']) > 1 for r in rows)}, "
          f"evasion {sum('evasion' in r['tags'] for r in rows)}")
    print("lang", dict(Counter(r["lang"] for r in rows)), "role", dict(Counter(r["role"] for r in rows)))
    print("severity", dict(Counter(r["expect"]["severity"] for r in rows)))
    print("platform", dict(Counter(r["post"]["platform"] for r in rows).most_common()))
    print(f"{'category':22} total   nl   en  corp  empl  publ")
    for c in CATS:
        rs = [r for r in rows if c in r["expect"]["categories"]]
        print(f"{c:22} {len(rs):5} {sum(r['lang'] == 'nl' for r in rs):4} {sum(r['lang'] == 'en' for r in rs):4} "
              f"{sum(r['role'] == 'corporate' for r in rs):5} {sum(r['role'] == 'employee' for r in rs):5} "
              f"{sum(r['role'] == 'public' for r in rs):5}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    errs = check(rows, profile)
    if errs:
        print("\n".join(errs))
        sys.exit(1)
    out = dump(rows)
    if a.check:
        if OUT.read_text(encoding="utf-8") != out:
            sys.exit("cases.jsonl differs from the generator output")
        print("cases.jsonl matches the generator")
    else:
        OUT.write_text(out, encoding="utf-8")
        print(f"wrote {OUT}")
    print(cross_check_stdnum(rows))
    report(rows)


if __name__ == "__main__":
    main()
