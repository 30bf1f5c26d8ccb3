#!/usr/bin/env python3
"""Deterministic generator for the sealed87 blind evaluation set of postwatch.

    python3 make_cases.py           # write cases.jsonl next to this file
    python3 make_cases.py --check   # regenerate in memory, compare, validate, print counts

Company: "Ankerweg Mobiliteit N.V." (profile.yaml), a fictional Dutch car insurer
and roadside assistance club.

Texts are hand-written below. Identifiers and secrets are filled in from
placeholders (<<KIND:fmt>>) by one seeded RNG, so the output is reproducible.
Positives get checksum-valid identifiers; hard negatives get look-alikes that fail
their checksum. Secrets are random and fake, shaped like the real formats.
Severity is never typed by hand: severity_for() computes it from CONTRACT section 4
(account role from profile.yaml, categories, and whether a checksum-validated
identifier is present).
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

SEED = 87_2026_0915
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

TAXONOMY = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]
SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}

ZW = "\u200b"
SHY = "\u00ad"
CYR_O = "\u043e"   # Cyrillic small o, looks like Latin o
CYR_A = "\u0430"   # Cyrillic small a


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) - 0x21 + 0xFF01) if "!" <= c <= "~" else c
                   for c in s)


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------

def iban_valid(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    num = "".join(str(int(c, 36)) for c in s[4:] + s[:4])
    return int(num) % 97 == 1


def iban_build(cc, bban):
    num = "".join(str(int(c, 36)) for c in bban + cc + "00")
    return f"{cc}{98 - int(num) % 97:02d}{bban}"


def luhn_valid(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    if not d:
        return False
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2:
            x *= 2
            x -= 9 if x > 9 else 0
        tot += x
    return tot % 10 == 0


def elfproef(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    tot = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return tot != 0 and tot % 11 == 0


def ean13_valid(s):
    d = [int(c) for c in s]
    return len(d) == 13 and (sum(d[i] * (3 if i % 2 else 1) for i in range(12)) + d[12]) % 10 == 0


B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def base62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


# ---------------------------------------------------------------------------
# seeded values
# ---------------------------------------------------------------------------

class Filler:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def num(self, n, lead=True):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        if lead and s[0] == "0":
            s = self.r.choice("123456789") + s[1:]
        return s

    def pick(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    @staticmethod
    def by4(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    # IBAN
    def iban(self, cc):
        if cc == "NL":
            while True:
                v = iban_build("NL", self.r.choice(["RABO", "INGB", "ABNA", "SNSB", "ASNB", "KNAB", "BUNQ", "TRIO"])
                               + self.num(10))
                if v != "NL87INGB0007412358":
                    return v
        if cc == "DE":
            return iban_build("DE", self.r.choice(["30050110", "25050180", "43060967", "12030000"]) + self.num(10, False))
        if cc == "BE":
            first = self.r.choice(["001", "063", "143", "310", "737"]) + self.num(7, False)
            return iban_build("BE", f"{first}{int(first) % 97 or 97:02d}")
        if cc == "GB":
            return iban_build("GB", self.r.choice(["NWBK", "BARC", "LOYD", "MIDL"]) + self.num(6) + self.num(8))
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        for step in (7, 19, 31, 44, 58):
            cand = f"{v[:2]}{(int(v[2:4]) + step) % 100:02d}{v[4:]}"
            if not iban_valid(cand):
                return cand
        raise AssertionError

    # cards
    def card(self, brand):
        pre = {"visa": lambda: "4" + self.num(14, False),
               "mc": lambda: "5" + self.r.choice("12345") + self.num(13, False),
               "mc2": lambda: str(self.r.randint(2221, 2720)) + self.num(11, False),
               "amex": lambda: self.r.choice(["34", "37"]) + self.num(12, False)}[brand]()
        for d in string.digits:
            if luhn_valid(pre + d):
                return pre + d
        raise AssertionError

    def bad_card(self, brand):
        v = self.card(brand)
        return v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)

    @staticmethod
    def card_fmt(v, f):
        if f == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if f == "dash" else " ").join(parts)

    # BSN and look-alikes
    def bsn(self):
        while True:
            s = self.num(9)
            if elfproef(s):
                return s

    def non_bsn(self, n):
        while True:
            s = self.num(n)
            if not elfproef(s) and not luhn_valid(s):
                return s

    def ean13(self):
        while True:
            body = "871" + self.num(9, False)
            full = next(body + d for d in string.digits if ean13_valid(body + d))
            if not luhn_valid(full):
                return full

    # phones
    def phone(self, f):
        if f.startswith("m"):
            d8 = self.r.choice("1234") + self.num(7, False)
            return {
                "m_dash": f"06-{d8}",
                "m_plain": f"06{d8}",
                "m_intl": f"+31 6 {d8[:4]} {d8[4:]}",
                "m_0031": f"0031 6 {d8[:2]} {d8[2:5]} {d8[5:]}",
                "m_pairs": f"06 {d8[:2]} {d8[2:4]} {d8[4:6]} {d8[6:]}",
                "m_paren": f"(06) {d8[:4]}-{d8[4:]}",
                "m_intl0": f"+31 (0)6 {d8}",
                "m_compact": f"+316{d8}",
            }[f]
        area = self.r.choice(["10", "15", "20", "30", "35", "38", "50", "53", "58", "71", "72", "75", "76"])
        sub = self.r.choice("2345678") + self.num(6, False)
        return {
            "l_dash": f"0{area}-{sub}",
            "l_space": f"0{area} {sub[:3]} {sub[3:]}",
            "l_intl": f"+31 {area} {sub[:3]} {sub[3:5]} {sub[5:]}",
        }[f]

    def passport(self):
        letters = "ABCDEFGHIJKLMNPQRSTUVWXYZ"
        return self.pick(letters, 2) + self.pick(letters + string.digits, 6) + self.num(1, False)

    # secrets
    def ghp(self):
        body = self.pick(ALNUM, 30)
        return "ghp_" + body + base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def glpat(self):
        return "glpat-" + self.pick(ALNUM + "_-", 20)

    def aws_id(self):
        return "AKIA" + self.pick(B32, 16)

    def aws_secret(self):
        return self.pick(B64, 40)

    def slack_bot(self):
        return f"xoxb-{self.num(11)}-{self.num(13)}-{self.pick(ALNUM, 24)}"

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return f"https://hooks.slack.com/services/T{self.pick(up, 8)}/B{self.pick(up, 10)}/{self.pick(ALNUM, 24)}"

    def stripe(self):
        return "sk_live_" + self.pick(ALNUM, 28)

    def gapi(self):
        return "AIza" + self.pick(B64URL, 35)

    def jwt(self):
        h = b64url(b'{"alg":"RS256","typ":"JWT"}')
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        body = {"sub": "lid-" + self.num(7), "iss": "https://mijn.ankerweg.nl", "scope": "polis:read claims:write",
                "iat": iat, "exp": iat + 1800}
        p = b64url(json.dumps(body, separators=(",", ":")).encode())
        return f"{h}.{p}.{self.pick(B64URL, 86)}"

    def azure(self):
        return self.pick(B64, 86) + "=="

    def pem(self):
        head = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
        rows = [head] + [self.pick(B64, 70) for _ in range(4)] + [self.pick(B64, 22) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(rows) + "\n-----END OPENSSH PRIVATE KEY-----"

    def password(self):
        return (self.r.choice(string.ascii_uppercase) + self.pick(string.ascii_lowercase, 4)
                + self.pick(string.digits, 3) + self.r.choice("!#%*") + self.pick(ALNUM, 3))

    def hexs(self, n):
        return self.pick("0123456789abcdef", n)


VALIDATED = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "IBAN_GB", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def fill(f, text):
    used = []

    def one(m):
        k, a = m.group(1), m.group(2) or ""
        if k.startswith("IBAN_"):
            raw = f.iban(k[5:])
            shown = f.by4(raw) if a == "grp" else raw
        elif k.startswith("BADIBAN_"):
            raw = f.bad_iban(k[8:])
            shown = f.by4(raw) if a == "grp" else raw
        elif k == "CARD":
            brand, _, fm = a.partition("_")
            raw = f.card(brand)
            shown = f.card_fmt(raw, fm or "sp")
        elif k == "BADCARD":
            brand, _, fm = a.partition("_")
            raw = f.bad_card(brand)
            shown = f.card_fmt(raw, fm or "sp")
        elif k == "BSN":
            raw = f.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if a == "dots" else (f"{raw[:3]} {raw[3:6]} {raw[6:]}" if a == "sp" else raw)
        elif k == "NONBSN":
            raw = shown = f.non_bsn(int(a or 9))
        elif k == "EAN13":
            raw = shown = f.ean13()
        elif k == "PHONE":
            raw = shown = f.phone(a)
        elif k == "PASSPORT":
            raw = shown = f.passport()
        elif k == "HEX":
            raw = shown = f.hexs(int(a))
        else:
            gen = {"GHP": f.ghp, "GLPAT": f.glpat, "AWS_ID": f.aws_id, "AWS_SECRET": f.aws_secret,
                   "SLACK_BOT": f.slack_bot, "SLACK_HOOK": f.slack_hook, "STRIPE": f.stripe,
                   "GAPI": f.gapi, "JWT": f.jwt, "AZURE": f.azure, "PEM": f.pem, "PW": f.password}[k]
            raw = shown = gen()
        used.append((k, raw, shown))
        return shown

    return PH.sub(one, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

# corporate
AW = ("x", "@ankerweg", "Ankerweg")
AWH = ("x", "@ankerweg_hulp", "Ankerweg Pechhulp")
AWIG = ("instagram", "@ankerweg.nl", "Ankerweg")
AWFB = ("facebook", "AnkerwegNL", "Ankerweg")
AWLI = ("linkedin", "ankerweg-mobiliteit", "Ankerweg Mobiliteit N.V.")
AWTT = ("tiktok", "@ankerweg", "Ankerweg")
# employees
MARCO = ("x", "@marco_takel", "Marco Terpstra")                         # tow truck driver
INGRID = ("linkedin", "ingrid-postma-ankerweg", "Ingrid Postma")        # claims handler
BAS = ("x", "@basvink_dev", "Bas Vink")                                 # developer
YUSUF = ("linkedin", "yusuf-kaya-7b21", "Yusuf Kaya")                   # finance controller
KEES = ("instagram", "@kees.wegpatrouille", "Kees Wolters")             # roadside patrol
NOOR = ("x", "@noor_redactie", "Noor Rietveld")                         # member magazine editor
EVA = ("mastodon", "@evadijkstra@infosec.exchange", "Eva Dijkstra")     # IT security
LOTTE = ("threads", "@lotte.meldkamer", "Lotte Smit")                   # dispatch centre


def pub(platform, handle, name=None):
    return (platform, handle, name)


CASES = []


def case(lang, acct, text, cats=(), kind=None, at=None, tags=(), hint=None, handle_as=None):
    platform, handle, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, at=at, tags=set(tags), hint=hint))


SECRET, PII, PRICING, CONF, FIN, SEC = ("leak.secret", "leak.pii", "leak.pricing", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", MARCO, "Jongens. De StartBoost 1200 staat in de webshop voor €11,90 😳 volgens mij is er iemand "
     "met z'n elleboog op het toetsenbord geleund. Heb er alvast 3 besteld voor in de bus 🤫", [PRICING])
case("en", BAS, "pro tip: don't let marketing edit prices in the CMS on a friday afternoon.\n"
     "Pechhulp Europa has been live at €15.90/yr since 16:20 and nobody is answering slack", [PRICING])
case("nl", AWFB, "🚗 ZOMERDEAL 🚗\nMet Pechhulp Basis sta je nooit meer alleen langs de kant van de weg. "
     "Nu voor maar €8,90 per jaar! Afsluiten via ankerweg.nl", [PRICING])
case("nl", pub("forum", "dealjager_78", "dealjager_78"),
     "[PRIJSFOUT?] Ankerweg Dashcam D2 voor 14,90 ipv 149 euro, verzending gratis. Wordt vast geannuleerd "
     "maar baat het niet dan schaadt het niet", [PRICING])
case("nl", pub("x", "@sjoerdjeee"), "iemand anders ook een p r i j s f o u t gezien bij ankerweg?? "
     "MobielZeker module kost in de app ineens helemaal niks", [PRICING], tags=["evasion"])
case("en", pub("reddit", "u/throwaway_vroom"), "PSA: the Ankerweg StartBoost jump starter shows €1.19 at checkout "
     "if you add it through the member portal. Pretty sure it's a glitch, grabbed two anyway", [PRICING])
case("nl", KEES, "App-groep gaat helemaal los 😂 premieberekening Allrisk Plus geeft €114 per jaar voor een "
     "Golf uit 2019. Daar mist een nulletje. Snel afsluiten voor iemand het fixt 😅 #collegas", [PRICING])
case("nl", pub("tiktok", "@fleurrijdt"), "prijsföut bij Ankerweg!!! pechhulp europa €1,59 😂😂 rennen",
     [PRICING], kind="comment", tags=["evasion"])
case("en", NOOR, "Told my neighbour the Dashcam D2 was €29 on the members shop this morning. Turns out that "
     "was a mistake and NOT the Onderweg reader offer 🙈 she already ordered one", [PRICING])
case("nl", pub("facebook", "Henny.Vos.1961", "Henny Vos"), "Klopt het dat Pechhulp Europa nu €39 per jaar is?? "
     "Zag het net in de nieuwsbrief. Lijkt me een foutje maar ik neem hem graag 😇", [PRICING], kind="comment")
case("nl", pub("x", "@kortingskoning"), "pr1jsf0ut bij @ankerweg: dashcam D2 €19,- 🏃‍♂️💨",
     [PRICING], tags=["evasion"])
case("en", pub("bluesky", "mirte.bsky.social"), "Ankerweg's site is quoting Allrisk Plus at €95 a year for my car. "
     "Either they lost their minds or a decimal went walkabout. Not complaining 😇", [PRICING])

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", BAS, "anyone know why boto keeps 403ing on me?\n\naws_access_key_id = <<AWS_ID>>\n"
     "aws_secret_access_key = <<AWS_SECRET>>\nregion = eu-west-1\n\nworked fine yesterday 🤷", [SECRET])
case("en", BAS, "nvm, token had expired. new one is <<GHP>> if anyone on the claims-portal team needs it "
     "before I put it in the vault", [SECRET], kind="reply")
case("nl", EVA, "Les van vandaag: zet nooit je Slack bot-token in een screenshot. Zoals ik net deed: "
     "<<SLACK_BOT>> 🤦‍♀️ is al ingetrokken hoor", [SECRET])
case("nl", KEES, "Nieuwe tablets in de servicewagens 🔧🚐 wachtwoord voor de beheer-app is <<PW>> "
     "dus als je er eentje vindt langs de A28, breng m terug 😂", [SECRET])
case("en", pub("forum", "garagesoft_dev", "GarageSoft dev"), "Integrating our workshop software with Ankerweg's "
     "repair-order feed. Their sandbox page ships a live payment key: <<STRIPE>>\nIs that supposed to be there??",
     [SECRET])
case("en", AWLI, "We're hiring front-end devs! 🧡 Curious how our live roadside map works? Have a peek:\n"
     "maps.googleapis.com/maps/api/js?key=<<GAPI>>&callback=initPechkaart\n#vacature #werkenbij", [SECRET])
case("nl", BAS, "postgres://claims_rw:<<PW>>@db-claims03.ankerweg.local:5432/schade\n"
     "waarom pakt ie deze connectie niet vanaf thuis 😩", [SECRET, CONF])
case("en", EVA, "Reminder: JWTs are signed, not encrypted. Here's one from our member portal, decode it yourself "
     "and see what's in there:\n<<JWT>>", [SECRET])
case("nl", LOTTE, "wifi op de meldkamer eindelijk gefixt 🙌 netwerk AW-Meldkamer-5G, ww: <<PW>> "
     "(niet doorvertellen aan de buren 🤫)", [SECRET])
case("en", BAS, "git clone https://oauth2:<<GLPAT>>@gitlab.ankerweg.nl/pechhulp/dispatch-app.git\n"
     "why is this sooo slow over home wifi", [SECRET, CONF])
case("en", pub("x", "@apk_peeker"), "lol @ankerweg your android app ships this in strings.xml:\n<<GAPI>>\n"
     "might want to restrict that", [SECRET], kind="reply")
case("en", BAS, "can someone from platform tell me why this gives AuthenticationFailed??\n"
     "DefaultEndpointsProtocol=https;AccountName=awschadefotos;AccountKey=<<AZURE>>;EndpointSuffix=core.windows.net",
     [SECRET])
case("nl", MARCO, "slack-webhook voor de takelmeldingen: <<SLACK_HOOK>> hang m aan je eigen botje als je wil 👍",
     [SECRET])
case("en", pub("forum", "sleepdienst_hofstra_it"), "Ankerweg gave us this key for the SFTP drop of tow orders, "
     "still getting 'permission denied'. Any ideas?\n\n<<PEM>>", [SECRET])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", INGRID, "Vandaag een mooie: mevrouw J. de Wit (geb. 14-08-1958), Lindelaan 23 in Apeldoorn, had haar "
     "auto keurig in de sloot geparkeerd 🙈 Schade binnen 2 uur geregeld. Daarom doe ik dit werk! 💪", [PII])
case("nl", MARCO, "Klant belt 5x of ik er al ben. Meneer, ik sta in dezelfde file als u 😤 wie hem wil "
     "geruststellen: <<PHONE:m_dash>>", [PII])
case("en", INGRID, "Can someone in finance push the refund to <<IBAN_NL:grp>> for mr. Hendriks? "
     "He's been waiting 6 weeks already 🙏", [PII])
case("nl", INGRID, "BSN van de tegenpartij klopt niet in ons systeem, iemand een idee? <<BSN:dots>> staat "
     "op het schadeformulier van mevr. Yilmaz", [PII])
case("nl", AWH, "@rdekker83 Hoi Rob, we hebben je net gebeld op <<PHONE:m_intl>> maar kregen geen gehoor. "
     "Bel je ons terug op 0800-2659? ^Sanne", [PII], kind="reply")
case("en", AW, "Hi Priya, we've resent the documents to priya.raman82@gmail.com, could you check your spam folder? ^TJ",
     [PII], kind="reply")
case("en", LOTTE, "Member stuck in Lyon with a broken clutch, passport no. <<PASSPORT>>, Els can you forward "
     "that to the hotel for the booking? 🙏", [PII])
case("en", YUSUF, "Friendly reminder to colleagues: refunds to Belgian members go to their BE account, "
     "e.g. <<IBAN_BE>> (mr. Peeters), NOT to the NL template. Third time this month 🙃", [PII])
case("nl", NOOR, "Leuke brief van lezeres Gerda Mulder uit Dokkum (Schoolstraat 8) voor de volgende Onderweg 💌 "
     "ze is 91 en rijdt nog elke dag naar de markt!", [PII])
case("en", BAS, "debugging payments. the card that keeps failing is <<CARD:amex_sp>> (member mr. Okafor), "
     "any idea why the PSP hates amex?", [PII])
case("nl", KEES, "Vandaag de Tesla van Daan Koster uit Meppel op de wagen gezet 😎 geboren op 03-05-1990 "
     "en nu al z'n derde total loss 😂 #pechhulp", [PII])
case("en", INGRID, "UK member moving back home, refund to <<IBAN_GB>> (Mrs. Clarke) approved ✔️ love a happy ending",
     [PII])
case("nl", pub("x", "@mbos_1974"), "@ankerweg al 3 weken wacht ik op mijn terugbetaling!! Rekening is <<IBAN_NL>> "
     "ten name van M. Bos, hoe moeilijk kan het zijn", [PII, COMPLAINT])
case("nl", pub("facebook", "Ilse.Kramer.Zwolle", "Ilse Kramer"), "Kan iemand van Ankerweg mij terugbellen over "
     "mijn schademelding? Ik ben na 17u bereikbaar op <<PHONE:m_pairs>>. Groetjes Ilse", [PII], kind="comment")
case("en", pub("x", "@dan_expat_ams"), "@ankerweg_hulp payment page keeps failing, tried my card <<CARD:visa_sp>> "
     "like six times now, exp 09/28. what is going on", [PII, COMPLAINT])
case("nl", pub("x", "@jvdam77"), "Ankerweg stuur die polis dan maar naar j.vandam1977 [at] hotmail [punt] com, "
     "want via de app komt er nooit iets aan", [PII, COMPLAINT], tags=["evasion"])
case("nl", pub("x", "@bumperboos"), "Die takelaar van Ankerweg die mijn bumper heeft gesloopt heet Henk Bos en "
     "woont op de Vondelstraat 41 in Hoorn. Ga hem maar eens een bezoekje brengen jongens",
     [PII, ABUSE, COMPLAINT])
case("nl", pub("x", "@formulierhater"), "Mijn BSN is <<BSN>>, waarom moet ik dat voor de derde keer invullen op "
     "jullie formulier @ankerweg? Slaan jullie helemaal niks op?", [PII, COMPLAINT])
case("en", pub("linkedin", "fleetmanager-vanderlaan-transport"), "Ankerweg claims team: please contact our driver "
     "Tomasz Nowak directly at <<PHONE:m_0031>> about last week's collision, he doesn't speak Dutch.", [PII])
case("nl", pub("x", "@woutvk"), "@ankerweg de uitkering mag naar mijn Duitse rekening <<IBAN_DE:grp>>, "
     "ik woon tegenwoordig in Kleef", [PII], kind="reply")

# ===========================================================================
# leak.confidential
# ===========================================================================
case("nl", BAS, "Kan niet wachten tot we Project Windhoos live zetten 🌪️ eindelijk geen faxen meer van garages",
     [CONF])
case("nl", INGRID, "Training gehad over Operatie\nVangrail vandaag. Als dat doorgaat wordt schadeafhandeling "
     "echt een ander vak 👀", [CONF], tags=["evasion"])
case("en", NOOR, "Sneak peek from today's design session 👀 Tarmac 🛣️ Zero is going to change how members get "
     "help on the road. That's all I'm allowed to say!", [CONF], tags=["evasion"])
case("en", BAS, "screenshot from https://schade-intern.ankerweg.nl/claims/2026/queue because 3k open claims "
     "on a monday is a vibe 😬 send coffee", [CONF])
case("nl", LOTTE, "Slide van de kwartaalsessie. Onderaan stond 'Ankerweg Intern' maar deze was te mooi om niet "
     "te delen 😇 #meldkamer #teamwork", [CONF])
case("en", pub("x", "@ankerweg_watcher"), "Got forwarded a deck marked ANKERWEG CONFIDENTIAL: they want NPS 60 "
     "by 2027 and to drop phone support at night. Spicy.", [CONF])
case("nl", MARCO, "Tip voor de nieuwe jongens: eerst inloggen op vpn.ankerweg.nl en dán pas de ritplanner "
     "openen, scheelt je een hoop gedoe", [CONF])
case("nl", pub("x", "@zwagerweetalles"), "Mijn zwager werkt bij Ankerweg en zegt dat ze in september "
     "Ankerweg Laadhulp lanceren voor elektrische auto's 👀⚡", [CONF], at="2026-08-02T21:14:09+02:00")
case("nl", KEES, "Nog heel even en dan mag iedereen het weten: LaadHulp Direct komt eraan ⚡🔌 "
     "Trots op dit team!", [CONF], at="2026-09-15T08:59:00+02:00")
case("en", pub("x", "@evnerd_nl"), "leaked press kit says Ankerweg Laadhulp goes live today. embargo? never heard of her",
     [CONF], at="2026-09-15T06:59:30Z")
case("nl", NOOR, f"Voor de oktober-Onderweg mogen we nog niks zeggen over Pro{ZW}ject Wind{ZW}hoos, "
     "maar reken maar dat het groot wordt 📰", [CONF], tags=["evasion"])
case("nl", pub("reddit", "u/dutchdevnomad"), "Iemand heeft een screenshot van gitlab.ankerweg.nl in een Discord "
     "gegooid, repo 'windhoos-backend' en alles. Zet het hier maar neer voor de archeologen",
     [CONF], kind="comment")
case("en", EVA, f"Pentest scope for Project Windh{CYR_O}{CYR_O}s signed off, red team starts monday 🔐",
     [CONF], tags=["evasion"])
case("nl", LOTTE, "Heeft iemand het document 'niet extern delen – rooster meldkamer Q1' nog? Ik ben hem kwijt "
     "en gisteren stond hij nog gewoon op sharepoint", [CONF])
case("nl", MARCO, fullwidth("tarmac zero") + " gaat alles veranderen voor ons takelaars, echt waar", [CONF],
     tags=["evasion"])
case("nl", pub("instagram", "@marco_takel", "Marco T."), "Tarmac Zero 🤫 binnenkort meer, meer mag ik niet zeggen",
     [CONF], tags=["role-trap"])

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", YUSUF, "Pff, lange dag. De schadelast over Q3 komt 14% hoger uit dan begroot door die hagelbuien. "
     "Dat wordt een lastig verhaal als het in november naar buiten gaat.", [FIN])
case("nl", LOTTE, "Net gehoord in het afdelingsoverleg: de meldkamer in Zwolle gaat dicht, 38 fte, en niemand "
     "mag het nog weten 😞", [FIN])
case("en", INGRID, "Big news internally today: we're acquiring Pechpunt! Signing next week, press release after. "
     "Can't wait to welcome them 🎉", [FIN], at="2026-05-06T17:42:10+02:00")
case("nl", YUSUF, "Voorlopige jaarcijfers 2026: combined ratio 101,8%. Niet best, maar beter dan gevreesd.",
     [CONF, FIN])
case("en", pub("reddit", "u/claimsguy_bff"), "My buddy is a claims adjuster at Ankerweg, says they're cutting "
     "about 200 jobs early next year and moving claims handling to an offshore vendor", [FIN])
case("nl", MARCO, f"In regio Noord worden per 1 januari 12 chauffeurs ont{SHY}slagen, de rest gaat naar "
     "Sleepdienst Hofstra. Lekker dan.", [FIN], tags=["evasion"])
case("en", YUSUF, "For my finance friends: solvency ratio ended Q3 at 138%, board is discussing a capital injection. "
     "Not in the annual report until spring, so you didn't hear it here.", [FIN])
case("nl", NOOR, "De Onderweg wordt verkocht aan uitgeverij Brandpunt Media. Deal is rond maar nog niet "
     "aangekondigd. Weet nog niet of ik mee ga 🤷‍♀️", [FIN])
case("nl", pub("facebook", "BergingsbedrijfDeJong", "Bergingsbedrijf De Jong"), "Ankerweg heeft ons vandaag "
     "gebeld: vanaf januari laten ze alle bergingen in Friesland door één partij doen. 22 jaar samengewerkt. "
     "Is nog niet openbaar, maar van ons mag iedereen het weten.", [FIN])
case("en", pub("x", "@insidertips_nl"), "h3ard from inside: Ankerweg premiums going up ~11% next year, "
     "announcement planned for november", [FIN])
case("en", YUSUF, "Drafting the annual results 2026 deck: net profit €41.2m, down from €57m. Long weeks ahead ☕",
     [CONF, FIN])
case("nl", INGRID, "Vanaf maart wordt de schadeafdeling opgeknipt in drie units en verdwijnen alle "
     "teamleidersfuncties. Vandaag officieus gehoord 😳", [FIN])

# ===========================================================================
# leak.security
# ===========================================================================
case("nl", EVA, "Sinds 06:00 ransomware op de schadeservers. Alles van het net gehaald, klanten weten nog van niks. "
     "Lange dag ☕☕☕", [SEC])
case("en", BAS, "so the member portal bug where you see someone else's policy if you change the id in the url… "
     "still not fixed. ticket's been open 3 weeks 🙃", [SEC])
case("nl", LOTTE, "Telefooncentrale van de meldkamer ligt volledig plat, mensen met pech komen niet door. "
     "Nog niks naar buiten gecommuniceerd, wij zitten hier duimen te draaien", [SEC])
case("en", EVA, "Phishing sim? Nope, a real one. 31 colleagues typed in their credentials yesterday and the "
     "attacker has been reading mail since. Comms says 'no statement yet'.", [SEC])
case("nl", MARCO, "onze ritplanner is geh4ckt ofzo, alle opdrachten staan op naam van 1 chauffeur 😂 "
     "kantoor houdt t stil", [SEC], tags=["evasion"])
case("nl", INGRID, "Intern gerucht: d a t a l e k bij schade, 4000 dossiers per mail naar de verkeerde garage "
     "gestuurd. Mondje dicht zeggen ze", [SEC], tags=["evasion"])
case("en", pub("x", "@privacy_first_nl"), "Ankerweg is sitting on a data breach. A friend in their IT says member "
     "data has been up for sale on a forum since last week and they haven't told anyone. #ankerweg",
     [SEC, CRISIS])
case("nl", pub("reddit", "u/verzekerdofniet"), "Waarom zegt Ankerweg niks over die hack? Kennis van me werkt "
     "daar, de hele klantendatabase is gekopieerd en ze houden het gewoon stil", [SEC, CRISIS])
case("en", BAS, "lol the claim form still has that SQL injection in the licence plate field. told security in "
     "march. anyway happy friday 🍻", [SEC])
case("nl", KEES, "GPS van alle servicewagens ligt sinds gisteravond plat, we rijden op gevoel 😅 "
     "op de site staat nog niks", [SEC])
case("en", EVA, "A laptop with unencrypted claim files got nicked from a colleague's car in Utrecht. "
     "Management wants to 'handle it quietly'. Not a fan.", [SEC])
case("nl", YUSUF, "Incassosysteem draait sinds vanochtend niet, 80.000 premie-afschrijvingen blijven hangen. "
     "Nog niet gecommuniceerd, dus duimen maar.", [SEC])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@annekeh"), "Sinds ik schade heb gemeld bij Ankerweg krijg ik elke dag nep-sms'jes met MIJN "
     "polisnummer erin. Jullie hebben mijn gegevens gelekt, geef het gewoon toe.", [CRISIS])
case("nl", pub("facebook", "LimburgStaatOp", "Limburg Staat Op"), "Ankerweg weigert claims van mensen in Limburg "
     "na het hoogwater want 'geen dekking'. Zeg allemaal je polis op! #boycotAnkerweg", [CRISIS])
case("en", pub("x", "@consumentenclaim"), "Class action against Ankerweg filed today over how they calculated "
     "no-claim discounts. Member between 2019 and 2024? You may be entitled. Thread 🧵", [CRISIS])
case("nl", pub("x", "@a7verkeer"), "Takelwagen van Ankerweg verloor vanochtend een auto op de A7 bij Sneek. Twee "
     "auto's erachter geraakt en een gewonde. Hoe kan dat nou", [CRISIS])
case("nl", pub("x", "@ruudjeknoops"), "Mijn StartBoost 1200 van Ankerweg vloog gisteravond in brand tijdens het "
     "opladen in de gang. Rookmelder ging af, gelukkig niemand gewond. Wat verkopen jullie?!", [CRISIS, COMPLAINT])
case("en", pub("reddit", "u/meltedmount"), "My Ankerweg Dashcam D2 got so hot it melted the mount and left a burn "
     "mark on the windscreen. Support says that's 'normal'. It is NOT normal.", [CRISIS, COMPLAINT])
case("en", pub("bluesky", "sanderw.bsky.social"), "Ankerweg's CEO took a €1.4m bonus in the same year they "
     "rejected a record number of storm claims. Disgraceful. #ankerweg", [CRISIS])
case("nl", pub("x", "@dubbelcheck"), "ik krijg ineens spam op het mailadres dat ik ALLEEN bij Ankerweg gebruik. "
     "d4t4l3k bij @ankerweg?? ik vertrouw het niet", [CRISIS], tags=["evasion"])
case("en", pub("x", "@recallwatch_eu"), "Ankerweg recalls StartBoost 1200 jump starters over battery fire risk. "
     "Check the serial on the bottom and stop charging it now.", [CRISIS])
case("nl", pub("tiktok", "@dashcam_daan"), "Patrouille van Ankerweg met 140 over de vluchtstrook, gefilmd vanaf "
     "de A1 😳 levensgevaarlijk", [CRISIS])
case("en", pub("x", "@furiousmember"), "Ankerweg sent my claim file INCLUDING my medical report to some random "
     "garage. You absolute scumbags.", [CRISIS, ABUSE])
case("nl", pub("instagram", "@sanne.onderweg"), "Patrouilleur zette niet eens een gevarendriehoek neer en werd "
     "zelf bijna geschept door een vrachtwagen, terwijl ik met de kinderen achter de vangrail stond. "
     "Onverantwoord @ankerweg.nl", [CRISIS, COMPLAINT])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@papavan2"), "3,5 uur op de vluchtstrook bij knooppunt Oudenrijn staan wachten op de "
     "takelwagen van @ankerweg. Met twee kinderen. In november. Top service hoor 👎", [COMPLAINT])
case("en", pub("reddit", "u/hailnope"), "Ankerweg rejected my hail damage claim because the 'photos weren't clear "
     "enough'. I sent 14 photos. Anyone had luck escalating to Kifid?", [COMPLAINT])
case("nl", pub("facebook", "Wim.Hoekstra.55", "Wim Hoekstra"), "Premie 18% omhoog zonder één brief of mail. Ik ben "
     "al 12 jaar lid. Zo ga je niet om met trouwe klanten, Ankerweg.", [COMPLAINT])
case("en", pub("x", "@kimdriesNL"), "the Mijn Ankerweg app logs me out every 30 seconds so I can't upload my "
     "damage photos. 3rd day in a row @ankerweg_hulp", [COMPLAINT])
case("nl", pub("x", "@opgezegd_is_opgezegd"), "In maart opgezegd en nog steeds elke maand die Onderweg in de bus 🙄 "
     "en de afschrijving loopt ook gewoon door trouwens @ankerweg", [COMPLAINT])
case("nl", pub("trustpilot", "Gerrit V.", "Gerrit V."), "1 ster. 47 minuten in de wacht bij de klantenservice, "
     "daarna doorverbonden en toen viel de lijn weg. Nooit meer Ankerweg.", [COMPLAINT], tags=["unknown-platform"])
case("en", pub("x", "@bumpergate"), "Ankerweg tow truck guy scratched my entire bumper loading the car and now "
     "they say it 'was already there'. great. just great.", [COMPLAINT])
case("nl", pub("instagram", "@reislustje"), "MobielZeker zou vervangend vervoer in Frankrijk regelen… 2 dagen in "
     "een hotel gezeten zonder auto en nog steeds geen vergoeding @ankerweg.nl", [COMPLAINT], kind="comment")
case("nl", pub("x", "@rooie_rinus"), "serieus?? 6 weke wachte op me geld vd schade en nu zeggen ze da het "
     "formulier kwijt is. ankerweg echt he", [COMPLAINT])
case("en", pub("threads", "@maartje.travels"), "Paid for Pechhulp Europa, broke down in Austria, and Ankerweg said "
     "the garage was 'outside the network' so I paid €480 myself. What exactly am I paying for?", [COMPLAINT])
case("nl", pub("youtube", "Jolanda Peters"), "Jullie reclame zegt 'binnen 45 minuten bij je', bij mij duurde het "
     "2 uur en 20 minuten. Misleidend.", [COMPLAINT], kind="comment")
case("nl", pub("x", "@tim_rijdt_elektrisch"), "dashcam D2 van ankerweg na 2 maanden al stuk 😤 scherm blijft zwart "
     "en de garantie 'duurt 6 tot 8 weken'", [COMPLAINT])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@boze_bert"), "Ankerweg is echt een kankerbedrijf. Stelletje oplichters.", [ABUSE])
case("en", pub("x", "@grumpy_commuter"), "@ankerweg you bunch of useless clowns, every single one of you", [ABUSE],
     kind="reply")
case("nl", pub("instagram", "@lachend_langs_de_weg"), "@kees.wegpatrouille met zo'n kop zou ik ook bij de "
     "pechhulp gaan werken, zielig mannetje", [ABUSE], kind="comment")
case("nl", pub("x", "@echtnederlands"), "Die nieuwe patrouilleur van Ankerweg met die hoofddoek, moet dat nou? "
     "Ga terug naar je eigen land.", [ABUSE])
case("nl", AWH, "@vdberg_rijdt Als u niet kunt lezen wat er in uw polis staat is dat niet ons probleem. "
     "Doe normaal, sukkel.", [ABUSE], kind="reply", handle_as="@AnkerWeg_Hulp")
case("nl", MARCO, "Weer zo'n debiel die z'n tank leeg rijdt op de Afsluitdijk en dan gaat zeuren dat het lang "
     "duurt. Blijf volgende keer lekker staan, mongool.", [ABUSE], handle_as="@Marco_Takel")
case("en", pub("x", "@rage_quit_99"), "f*cking Ankerweg, what a pack of sh1tbags", [ABUSE], tags=["evasion"])
case("nl", pub("x", "@a4_vast"), "4 uur wachten op de A4 en dan nog een chagrijnige takelaar ook. Klootzakken "
     "zijn het bij Ankerweg.", [COMPLAINT, ABUSE])
case("en", pub("x", "@deniedagain"), "Claim denied AGAIN. Ankerweg are a bunch of lying bastards, I pay them "
     "€1100 a year for this sh*t", [COMPLAINT, ABUSE])
case("nl", pub("x", "@ventiel"), "ankerweg = k u t b e d r i j f", [ABUSE], tags=["evasion"])
case("en", BAS, "customers who call the hotline screaming at 3am because they locked their keys in the car "
     "are the dumbest f***ing people alive", [ABUSE], handle_as="@BasVink_Dev")
case("nl", pub("x", "@lezer_met_mening"), "@noor_redactie jij schrijft als een kleuter, wie heeft jou ooit "
     "aangenomen, trut", [ABUSE], kind="reply")

# ===========================================================================
# benign: hard negatives
# ===========================================================================
# own contact data
case("nl", AWFB, "Premie liever zelf overmaken? Dat kan naar NL87 INGB 0007 4123 58 t.n.v. Ankerweg Mobiliteit "
     "N.V., vermeld wel je polisnummer 🙏", tags=["own-contact"], handle_as="ankerwegnl")
case("nl", AWH, "Pech onderweg? Bel 24/7 0800-2659. Vanuit het buitenland: +31 30 799 4100. Zet je "
     "gevarendriehoek neer en wacht achter de vangrail 🦺", tags=["own-contact", "near-codename"])
case("nl", AW, "Schade melden kan ook gewoon per mail via schade@ankerweg.nl, met foto's erbij gaat het "
     "het snelst 📸", tags=["own-contact"])
case("en", AWLI, "Press enquiries about our new roadside vans? Reach us at pers@ankerweg.nl or 088-2653700.",
     tags=["own-contact"], handle_as="Ankerweg-Mobiliteit")
case("nl", AWIG, "Werken als patrouilleur? 🔧 Stuur je cv naar werkenbij@ankerweg.nl of bel +31 (0)30 799 41 00 "
     "en vraag naar HR.", tags=["own-contact"])
case("en", AWH, "For security we only ever show the last digits of your account in chat (NL** INGB **** **** 58), "
     "never the whole number. Questions? Call +31 88 265 3700.", tags=["own-contact", "masked"])
# checksum failures and other numbers
case("en", pub("x", "@careful_carla"), "Got a message claiming to be Ankerweg asking me to pay an 'outstanding "
     "premium' to <<BADIBAN_NL:grp>>. That's not their account right? Looks like a scam",
     tags=["bad-checksum"])
case("en", pub("x", "@fatfinger_fred"), "typo'd my card as <<BADCARD:mc_sp>> on the Ankerweg form and it caught it "
     "instantly, nice validation 👌", tags=["bad-checksum"])
case("nl", pub("facebook", "Truus.de.Boer", "Truus de Boer"), "Waar vind ik mijn polisnummer? Op de brief staat "
     "alleen <<NONBSN:9>> bovenaan. Is dat hem?", tags=["bad-checksum"], kind="comment")
case("en", pub("reddit", "u/quickclaims"), "claim ref <<NONBSN:8>> got approved in 4 days by Ankerweg, genuinely "
     "impressed", tags=["bad-checksum", "praise"])
case("nl", pub("forum", "gadgetgijs"), "Barcode op de doos van mijn Dashcam D2: <<EAN13>>. Weet iemand of dit "
     "de nieuwe hardwareversie is?", tags=["ean"])
case("nl", pub("x", "@nieuwsgierige_nel"), "Klopt het dat mijn BSN <<NONBSN:9>> is als het op die brief van "
     "Ankerweg staat? Lijkt me raar, ze vragen toch nooit om een BSN?", tags=["bad-checksum"])
case("nl", AWH, "Bij een ongeluk met gewonden altijd eerst 112 bellen, daarna pas ons. Veiligheid voor alles 🚨",
     tags=["short-number"])
# prices and sales
case("nl", AW, "Black Friday bij Ankerweg 🖤 Dashcam D2 van €149 voor €109. Alleen dit weekend, op = op.",
     tags=["sale"])
case("nl", AWIG, "Pechhulp Europa nu met €30 korting voor nieuwe leden 🌍☀️ link in bio!", tags=["price-context"])
case("nl", pub("x", "@zuinigezeeuw"), "Pechhulp Basis kost me €7,42 per maand via automatische incasso, prima "
     "te doen toch voor die zekerheid?", tags=["price-context"])
case("en", pub("reddit", "u/moving_to_spain"), "Selling my Ankerweg Dashcam D2, used 6 months, €60 ono, "
     "pickup in Utrecht", tags=["price-context", "second-hand"])
case("nl", pub("x", "@vergelijkvera"), "Iemand ervaring met Pechpunt? Die vragen €49 voor Europese dekking, bij "
     "Ankerweg betaal ik €159 voor Pechhulp Europa. Wil vooral weten of de service vergelijkbaar is.",
     tags=["price-context", "competitor"])
case("nl", AWH, "Nee hoor, geen foutje 😊 De StartBoost 1200 is deze week echt €89 voor leden. Op = op!",
     kind="reply", tags=["price-denial"])
case("en", pub("x", "@expat_jules"), "Heads up for expats: changing the plate on your Ankerweg policy costs a €25 "
     "admin fee, took 5 minutes online. Easy.", tags=["fee"])
# embargo after the moment, codename words in their ordinary sense
case("nl", AW, "Vanaf vandaag: Ankerweg Laadhulp ⚡ Lege accu van je EV onderweg? Wij komen met een mobiele lader.",
     at="2026-09-15T09:00:00+02:00", tags=["embargo-after"])
case("en", pub("x", "@evnerd_nl"), "Ankerweg Laadhulp is live as of right now, let's see how it holds up",
     at="2026-09-15T07:00:00Z", tags=["embargo-after"])
case("nl", pub("x", "@stekkerstijn"), "LaadHulp Direct getest vannacht, binnen 40 minuten weer 30% erin. Top!",
     at="2026-09-22T08:31:44.512Z", tags=["embargo-after", "praise"])
case("nl", pub("x", "@weerman_zeeland"), "Windhoos trok vanmiddag over Goes, drie daken eraf 😱 Ankerweg-busjes "
     "rijden af en aan om auto's weg te slepen", tags=["near-codename"])
case("nl", pub("facebook", "Petra.Lammers", "Petra Lammers"), "Bijna de vangrail in bij Hoevelaken door een "
     "spookrijder. Dank aan de man van Ankerweg die daarna koffie voor me haalde 🙏", tags=["near-codename", "praise"])
case("en", pub("x", "@schiphol_spotter"), "Tarmac at P3 is actually melting lol, three cars stuck, Ankerweg patrol "
     "is on its way", tags=["near-codename"])
case("nl", NOOR, "Nieuwe Onderweg ligt vanaf vandaag op de mat 📬 thema winterbanden. Ook online op "
     "onderweg.ankerweg.nl", tags=["public-domain"], handle_as="@Noor_Redactie")
case("en", pub("x", "@linkhelper"), "You can download your green card from mijn.ankerweg.nl under 'Documenten', "
     "took me a while to find it", tags=["public-domain"], kind="reply")
# published results, other companies, other senses
case("nl", AWLI, "Onze jaarcijfers over 2025 staan online. Dank aan 1,2 miljoen leden voor het vertrouwen. "
     "Lees het jaarverslag op ankerweg.nl/jaarverslag", tags=["published"])
case("nl", AW, "Vandaag maken we bekend dat Pechpunt onderdeel wordt van Ankerweg. Voor leden van beide clubs "
     "verandert er voorlopig niets.", at="2026-05-18T08:00:00+02:00", tags=["published"])
case("en", pub("x", "@roadside_weekly"), "Pechpunt laid off 80 people today. Rough time for the roadside sector, "
     "hope Ankerweg is in better shape.", tags=["other-company"])
case("nl", pub("x", "@veiligonline"), "Weer een datalek bij een webwinkel. Gelukkig vraagt Ankerweg tenminste om "
     "tweestapsverificatie bij het inloggen.", tags=["other-company"])
case("nl", pub("x", "@autonieuwsnl"), "Fabrikant roept 40.000 auto's terug vanwege de airbags. Ankerweg laat weten "
     "dat je voor vragen bij je dealer moet zijn.", tags=["other-company", "recall-other"])
case("nl", pub("instagram", "@rotterdam_012"), "Bij de brand in de parkeergarage stonden de bergers van Ankerweg "
     "ook klaar om auto's weg te halen. Respect 💪", tags=["brand-word", "praise"])
case("nl", pub("x", "@treinforens"), "Ik boycot de A2 in de spits, neem gewoon de trein. Mijn Ankerweg-lidmaatschap "
     "wordt zo wel heel goedkoop per pechgeval 😂", tags=["boycott-word"])
case("en", AWH, "We're aware of fake text messages pretending to be Ankerweg. Our systems have not been breached; "
     "we never ask for card details by SMS.", tags=["denial"])
case("nl", AWH, "Gepland onderhoud: Mijn Ankerweg is zondag van 02:00 tot 05:00 niet bereikbaar. Pechhulp via "
     "0800-2659 werkt gewoon.", tags=["official-notice", "own-contact"])
case("en", AWTT, "Storm update 🌬️ Our phone lines are extra busy right now. Need help? Use the app, we see "
     "every request. Sorry for the wait!", tags=["official-notice"])
case("nl", EVA, "Leuke talk gegeven over phishing-herkenning op de Security Meetup in Utrecht. Slides staan op "
     "mijn blog 🎤", tags=["employee-benign"])
# negations, praise, questions
case("nl", pub("x", "@tevreden_tineke"), "Geen klachten over Ankerweg hoor, binnen 25 minuten stond er iemand naast "
     "me op de A50 👍", tags=["negated"])
case("en", pub("threads", "@daveinhaarlem"), "People love moaning about their insurer but Ankerweg sorted my "
     "windscreen in a day. No complaints here.", tags=["negated"])
case("nl", pub("x", "@vraagje_vera"), "Weet iemand of Pechhulp Basis ook geldt als ik in een huurauto rijd?",
     tags=["question"])
case("en", pub("reddit", "u/newtoNL"), "Does Ankerweg cover breakdowns in Switzerland or is that outside Europa "
     "cover? Their site is a bit vague on non-EU countries.", tags=["question"])
case("nl", KEES, "Mooiste rit van de week: jongetje van 4 mocht voorin de takelwagen 🥹 #pechhulp #ankerweg",
     tags=["employee-benign"], handle_as="@Kees.Wegpatrouille")
case("nl", INGRID, "Vandaag 10 jaar bij Ankerweg 🎉 van schadebehandelaar tot teamcoach. Dank aan alle "
     "collega's!", tags=["employee-benign"])
case("nl", LOTTE, "Nachtdienst zit erop. Gladheid = druk. Rij voorzichtig allemaal 🧊", tags=["employee-benign"])
case("nl", MARCO, "Zonsopkomst boven de Afsluitdijk vanuit de cabine. Soms is dit werk gewoon mooi 🌅",
     tags=["employee-benign"])
# quotes, jokes, fiction, mild words
case("en", pub("x", "@metalmaarten"), "Stuck on the hard shoulder blasting Highway to Hell while waiting for "
     "Ankerweg. They showed up in 20 min, legends 🤘", tags=["quote", "mild-word", "praise"])
case("nl", pub("facebook", "Fietsen.Voor.Het.Goede.Doel"), "Ankerweg sponsort dit jaar weer onze fietstocht tegen "
     "kanker 🚴‍♀️ en de bezemwagen is van hen. Dank jullie wel!", tags=["mild-word"])
case("nl", pub("x", "@schoonzoon_sjaak"), "De enige pech die Ankerweg niet kan verhelpen is mijn schoonvader "
     "achter het stuur 😂", tags=["joke"])
case("en", pub("mastodon", "@pelicanfan@mastodon.social"), "Is it just me or does the Ankerweg mascot look like "
     "a very tired pelican", tags=["joke"])
case("nl", pub("blog", "schrijfsels.nl", "Schrijfsels"), "Hoofdstuk 3 van mijn NaNoWriMo-verhaal: inspecteur "
     "De Ruyter wacht op de A12 op de takelwagen van 'Ankerweg'. Die komt nooit. Dan vindt hij het lijk in de berm.",
     tags=["fiction"])
case("en", BAS, "TIL GitHub tokens start with ghp_ and carry a checksum at the end so scanners can spot them. "
     "Turn on push protection, people.", tags=["secret-prefix"])
case("en", EVA, "From our secure-coding training: AKIAXXXXXXXXXXXXXXXX is a placeholder. Never put the real thing "
     "in code, use the vault.", tags=["placeholder"])
case("nl", BAS, "fix zit in commit <<HEX:40>>, uitrol staat voor morgen gepland 🚀", tags=["git-sha"])
case("nl", AWH, "Wachtwoord vergeten van Mijn Ankerweg? Reset het via mijn.ankerweg.nl. Wij vragen je nooit om je "
     "wachtwoord, ook niet aan de telefoon 🙏", tags=["password-word"])
case("en", pub("x", "@sleepyhead_eindhoven"), "My sister works at Ankerweg and honestly she just loves her job. "
     "Drives a tow truck, happiest person I know 🧡", tags=["relative-benign"])


# ===========================================================================
# profile, roles, severity (CONTRACT section 4)
# ===========================================================================

def load_profile():
    import yaml
    with open(PROFILE, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def role_of(profile, platform, handle):
    key = f"{platform}:{handle}".casefold()
    if key in {a.casefold() for a in profile["accounts"]["corporate"]}:
        return "corporate"
    if key in {a.casefold() for a in profile["accounts"]["employee"]}:
        return "employee"
    return "public"


def severity_for(role, cats, validated_id):
    sev = "none"
    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                s = "critical" if (c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and validated_id)) \
                    else "error"
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
# posts
# ===========================================================================

def dst_offset(t):
    start = dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc)
    end = dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc)
    return 2 if start <= t < end else 1


def some_time(r):
    day = r.randint(5, 355)
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=day - 1)
    local = base + dt.timedelta(minutes=r.randint(6 * 60, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = dst_offset(local)
    utc = local - dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.88:
        return local.strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def post_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_880_000_000_000_000_000, 2_000_000_000_000_000_000))
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
        return f"fb-{a}_{b}", f"https://www.facebook.com/{h.replace(' ', '')}/posts/{b}"
    if platform == "reddit":
        p = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
        sub = r.choice(["thenetherlands", "Netherlands", "autos_nl"])
        if kind == "comment":
            c = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/{sub}/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/{sub}/comments/{p}/"
    if platform == "forum":
        n = r.randint(100000, 999999)
        return f"forum-autoforum-{n}", f"https://forum.autopraat.example/t/{n}"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        v = "".join(r.choice(B64URL) for _ in range(11))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(112_000_000_000_000_000, 115_999_999_999_999_999)
        return f"md-{n}", f"https://{inst}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3l" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "threads":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog-{h}-{n}", f"https://{h}/{n}"
    n = r.randint(10 ** 8, 10 ** 9)
    return f"{platform}-{n}", None


def build(profile):
    fl = Filler(SEED)
    mr = random.Random(SEED + 1)
    order = random.Random(SEED + 2)
    rows, seen = [], set()
    for c in CASES:
        text, used = fill(fl, c["text"])
        pid, url = post_id(mr, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        created = c["at"] or some_time(mr)
        role = role_of(profile, c["platform"], c["handle"])
        validated = PII in c["cats"] and any(k in VALIDATED or k.startswith("IBAN_") for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and mr.random() < 0.65:
            kind = "post"
        if kind is not None:
            post["kind"] = kind
        acc = {"handle": c["handle"]}
        if c["name"] and mr.random() < 0.7:
            acc["display_name"] = c["name"]
        if mr.random() < 0.3:
            acc["id"] = str(mr.randint(10 ** 7, 10 ** 12))
        post["account"] = acc
        post["text"] = text
        x = mr.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif x < 0.1:
            pass
        elif x < 0.13:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            c["tags"].add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if url and mr.random() < 0.6:
            post["url"] = url
        if mr.random() < 0.45:
            post["brand"] = "ankerweg"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=set(c["tags"]), used=used))
    order.shuffle(rows)
    return rows


def lines_of(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ===========================================================================
# independent checks
# ===========================================================================

INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
RUN_RE = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
DOTS_RE = re.compile(r"(?<![\w.])\d{4}\.\d{2}\.\d{3}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-()]{7,16}\d")
SECRET_RES = [re.compile(p) for p in (
    r"ghp_[A-Za-z0-9]{36}", r"glpat-[\w-]{20}", r"AKIA[A-Z2-7]{16}", r"xox[abpr]-[\w-]{20,}",
    r"hooks\.slack\.com/services/", r"sk_live_\w{20,}", r"AIza[\w-]{35}", r"PRIVATE KEY-----",
    r"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+", r"://[^\s:/@]+:[^\s@/]+@", r"AccountKey=")]
BAD_WORDS = ["kut", "kanker", "klote", "klootzak", "tering", "tyfus", "debiel", "mongool", "trut", "sukkel",
             "fuck", "f*ck", "f***", "shit", "sh1t", "sh*t", "bastard", "idiot", "clown", "scum", "hell", "damn"]
ALLOWED_MILD = {"hell", "kanker"}
PRICE_WORDS = ["prijsfout", "prijsfout", "glitch", "fout", "mistake", "decimal", "nulletje", "broke the price",
               "fat", "elleboog", "niks", "niet de", "lost their minds"]


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVIS)
    t = "".join(" " if unicodedata.category(ch) == "So" else ch for ch in t)
    return re.sub(r"\s+", " ", t).casefold()


def squash(t):
    return re.sub(r"\b(\w) (?=\w\b)", r"\1", norm(t))


def valid_ids(text, own_ibans):
    hits = []
    for m in IBAN_RE.finditer(text):
        comp = m.group(0).replace(" ", "")
        for end in range(len(comp), 11, -1):
            if iban_valid(comp[:end]):
                if comp[:end] not in own_ibans:
                    hits.append(("iban", comp[:end]))
                break
    for m in RUN_RE.finditer(text):
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19 and luhn_valid(d):
            hits.append(("card", d))
    shapes = re.findall(r"(?<![\w.,-])\d{8,9}(?![\w]|[.,-]\d)", text)
    shapes += [m.group(0).replace(".", "") for m in DOTS_RE.finditer(text)]
    shapes += [m.group(0).replace(" ", "") for m in re.finditer(r"(?<![\w ])\d{3} \d{3} \d{3}(?![\w])", text)]
    for d in shapes:
        if elfproef(d):
            hits.append(("bsn", d))
    return hits


def phone_digits(raw):
    d = re.sub(r"\D", "", raw)
    if raw.startswith("+31"):
        d = d[2:]
    elif raw.startswith("0031"):
        d = d[4:]
    else:
        return d
    return "0" + (d[1:] if d.startswith("0") else d)


def phones(text):
    text = IBAN_RE.sub(" ", text)
    return [(m.group(0), phone_digits(m.group(0))) for m in PHONE_RE.finditer(text)]


AMOUNT_RE = re.compile(r"(?:€\s?)(\d[\d.,]*)(?:,-)?|(\d[\d.,]*)(?:,-)?\s?(?:euro|eur)\b", re.I)


def amount(s):
    s = s.rstrip(".,")
    if "," in s and "." in s:
        dec = "," if s.rfind(",") > s.rfind(".") else "."
        s = s.replace("." if dec == "," else ",", "").replace(dec, ".")
    elif "," in s:
        s = s.replace(",", ".") if re.search(r",\d{2}$", s) else s.replace(",", "")
    elif "." in s:
        s = s if re.search(r"\.\d{1,2}$", s) else s.replace(".", "")
    return float(s)


def price_ratio(text, products):
    t = norm(text)
    hit = [p for p in products if any(a.casefold() in t for a in [p["name"]] + p["aliases"])]
    amts = [amount(m.group(1) or m.group(2)) for m in AMOUNT_RE.finditer(t)]
    if not hit or not amts:
        return None
    return min(amts) / min(p["list_price"] for p in hit)


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def validate(lines, rows, profile):
    errs, notes = [], []
    own_ibans = {i.replace(" ", "") for i in profile["public_identifiers"]["ibans"]}
    own_mails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_phones = {phone_digits(p) if p.startswith("+") else re.sub(r"\D", "", p)
                  for p in profile["public_identifiers"]["phones"]}
    emb = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    inner = ([c.casefold() for c in profile["internal"]["codenames"]]
             + [d.casefold() for d in profile["internal"]["domains"]]
             + [m.casefold() for m in profile["internal"]["markers"]])
    allowed_keys = {"company", "brands", "accounts", "public_identifiers", "internal", "embargo", "products",
                    "pricing"}
    if set(profile) != allowed_keys:
        errs.append(f"profile keys {sorted(profile)}")
    for p in profile["products"]:
        if set(p) != {"name", "aliases", "list_price", "currency"}:
            errs.append(f"product keys {sorted(p)}")
    meta = {(r["post"]["platform"], r["post"]["id"]): r for r in rows}
    seen = set()
    for n, line in enumerate(lines, 1):
        w = f"line {n}"
        o = json.loads(line)
        p, ex = o["post"], o["expect"]
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                errs.append(f"{w}: {f}")
        if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", p["created_at"]):
            errs.append(f"{w}: created_at")
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{w}: year")
        k = (p["platform"], p["id"])
        if k in seen:
            errs.append(f"{w}: dup id")
        seen.add(k)
        cats, sev = ex["categories"], ex["severity"]
        if cats != sorted(set(cats)) or any(c not in TAXONOMY for c in cats):
            errs.append(f"{w}: categories {cats}")
        role = role_of(profile, p["platform"], p["account"]["handle"])
        text = p["text"]
        ids = valid_ids(text, own_ibans)
        if sev != severity_for(role, cats, PII in cats and bool(ids)):
            errs.append(f"{w}: severity {sev} vs policy")
        r = meta[k]
        tags = r["tags"]
        for kind, raw, shown in r["used"]:
            if shown not in text:
                errs.append(f"{w}: {kind} not in text")
            if kind.startswith("IBAN_") and not iban_valid(raw):
                errs.append(f"{w}: bad IBAN {raw}")
            if kind.startswith("BADIBAN") and iban_valid(raw):
                errs.append(f"{w}: negative IBAN passes")
            if kind == "CARD" and not luhn_valid(raw):
                errs.append(f"{w}: card fails Luhn")
            if kind == "BADCARD" and luhn_valid(raw):
                errs.append(f"{w}: negative card passes")
            if kind == "BSN" and not elfproef(raw):
                errs.append(f"{w}: BSN fails")
            if kind == "NONBSN" and elfproef(raw):
                errs.append(f"{w}: non-BSN passes")
            if kind == "GHP" and base62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errs.append(f"{w}: ghp crc")
        if any(kk in VALIDATED or kk.startswith("IBAN_") for kk, _, _ in r["used"]) and not ids:
            errs.append(f"{w}: validated id not found by scan")
        if ids and PII not in cats:
            errs.append(f"{w}: valid id {ids} without leak.pii")
        nt, sq = norm(text), squash(text)
        if not cats:
            if ids:
                errs.append(f"{w}: benign has valid id {ids}")
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_mails:
                    errs.append(f"{w}: benign has email {e}")
            for raw, d in phones(text):
                if d not in own_phones and len(d) >= 10:
                    errs.append(f"{w}: benign has phone {raw}")
            for rx in SECRET_RES:
                for m in rx.finditer(text):
                    if m.group(0) != "AKIAXXXXXXXXXXXXXXXX":
                        errs.append(f"{w}: benign has secret-like {m.group(0)[:16]}")
            for bw in BAD_WORDS:
                if re.search(r"(?<!\w)" + re.escape(bw), nt) or re.search(r"(?<!\w)" + re.escape(bw), sq):
                    if not (bw in ALLOWED_MILD and "mild-word" in tags):
                        errs.append(f"{w}: benign has word {bw}")
            ratio = price_ratio(text, profile["products"])
            if ratio is not None and ratio < profile["pricing"]["alert_below_ratio"]:
                (notes if "price-context" in tags else errs).append(f"{w}: benign price ratio {ratio:.2f} {sorted(tags)}")
        for term, until in emb:
            if term in nt or term in sq:
                if ts < until and CONF not in cats:
                    errs.append(f"{w}: embargo term {term} before until, unlabelled")
                if ts >= until and CONF in cats:
                    errs.append(f"{w}: embargo term {term} after until but labelled")
        for term in inner:
            if re.search(r"(?<![\w.])" + re.escape(term) + r"(?!\w)", nt) and CONF not in cats:
                errs.append(f"{w}: internal term {term} unlabelled")
        if PRICING in cats:
            ratio = price_ratio(text, profile["products"])
            if not (ratio is not None and ratio < 0.5) and not any(x in sq for x in PRICE_WORDS):
                notes.append(f"{w}: pricing positive without low price / error words")
    return errs, notes


def report(rows):
    total = len(rows)
    cat, cat_lang, cat_role, langs, roles, sevs, plats, kinds = (Counter() for _ in range(8))
    benign = multi = ev = 0
    for r in rows:
        cs = r["expect"]["categories"]
        langs[r["lang"]] += 1
        roles[r["role"]] += 1
        sevs[r["expect"]["severity"]] += 1
        plats[r["post"]["platform"]] += 1
        kinds[r["post"].get("kind", "(default)")] += 1
        if not cs:
            benign += 1
            cs = ["(benign)"]
        multi += len(cs) > 1
        ev += "evasion" in r["tags"]
        for c in cs:
            cat[c] += 1
            cat_lang[(c, r["lang"])] += 1
            cat_role[(c, r["role"])] += 1
    print(f"cases {total}  benign {benign}  positive {total - benign}  multi {multi}  evasion {ev}")
    print(f"{'category':24s} total   nl   en  corp  empl   pub")
    for c in TAXONOMY + ["(benign)"]:
        print(f"{c:24s} {cat[c]:5d} {cat_lang[(c, 'nl')]:4d} {cat_lang[(c, 'en')]:4d} "
              f"{cat_role[(c, 'corporate')]:5d} {cat_role[(c, 'employee')]:5d} {cat_role[(c, 'public')]:5d}")
    print("lang", dict(langs), "role", dict(roles))
    print("severity", {s: sevs[s] for s in SEVERITIES})
    print("platform", dict(plats.most_common()))
    print("kind", dict(kinds.most_common()))


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
    errs, notes = validate(disk, rows, profile)
    if disk != lines:
        errs.append("cases.jsonl differs from the generator output")
    try:
        from stdnum import iban as si, luhn as sl
        from stdnum.nl import bsn as sb
        bad = [raw for r in rows for k, raw, _ in r["used"]
               if (k.startswith("IBAN_") and not si.is_valid(raw)) or (k == "CARD" and not sl.is_valid(raw))
               or (k == "BSN" and not sb.is_valid(raw)) or (k.startswith("BADIBAN") and si.is_valid(raw))
               or (k == "BADCARD" and sl.is_valid(raw)) or (k == "NONBSN" and sb.is_valid(raw.zfill(9)))]
        print("python-stdnum:", "agrees" if not bad else f"DISAGREES {bad}")
    except ImportError:
        print("python-stdnum not installed")
    report(rows)
    if a.notes:
        for x in notes:
            print("note:", x)
    print(f"{len(errs)} error(s), {len(notes)} note(s)")
    for e in errs:
        print("ERROR", e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
