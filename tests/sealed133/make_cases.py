#!/usr/bin/env python3
"""Deterministic generator for the sealed postwatch evaluation set sealed133.

    python3 make_cases.py           # write cases.jsonl next to this file
    python3 make_cases.py --check   # regenerate in memory, compare with cases.jsonl, validate, print counts

Company: Kroonenberg Touringcars B.V. (fictional Dutch regional coach-charter and
coach-travel company; see profile.yaml). Texts are hand-written below (CASES).
Identifiers and secrets come from <<PLACEHOLDER>> markers filled by one seeded RNG:
labelled positives get checksum-VALID identifiers, hard negatives get identifiers
that FAIL their checksum. Secrets are random and fake but shaped like real ones.

Severity is never typed by hand: it follows CONTRACT section 4 from the account
role (profile lookup by platform:handle, case-insensitive), the categories, and
whether a checksum-validated identifier (IBAN, card, BSN) is among the PII.
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

SEED = 133_2026_0517
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

TAXONOMY = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]
SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}

ZW = "\u200b"   # zero-width space


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) - 0x21 + 0xFF01) if "!" <= c <= "~" else c for c in s)


def cyr(s):
    """Swap some Latin letters for Cyrillic look-alikes."""
    return s.translate(str.maketrans({"o": "\u043e", "a": "\u0430", "e": "\u0435", "p": "\u0440", "c": "\u0441"}))


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------

def iban_valid(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


def iban_build(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return f"{cc}{98 - n % 97:02d}{bban}"


def luhn_valid(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2:
            x *= 2
            x -= 9 if x > 9 else 0
        tot += x
    return bool(d) and tot % 10 == 0


def luhn_finish(prefix):
    return next(prefix + c for c in "0123456789" if luhn_valid(prefix + c))


def bsn_valid(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t != 0 and t % 11 == 0


def ean13_valid(s):
    d = [int(c) for c in s]
    return len(d) == 13 and (sum(d[i] * (3 if i % 2 else 1) for i in range(12)) + d[12]) % 10 == 0


B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def base62(n):
    o = ""
    while n:
        n, r = divmod(n, 62)
        o = B62[r] + o
    return o or "0"


def ghp_checksum_ok(tok):
    body, crc = tok[4:34], tok[34:]
    return base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0") == crc


OWN_IBAN = "NL03RABO0312456789"


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def dig(self, n, nz=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def ch(self, alpha, n):
        return "".join(self.r.choice(alpha) for _ in range(n))

    @staticmethod
    def grp(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    # IBANs
    def iban(self, cc):
        if cc == "NL":
            while True:
                v = iban_build("NL", self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "TRIO", "BUNQ", "ASNB", "KNAB"])
                               + self.dig(10, nz=True))
                if v != OWN_IBAN:
                    return v
        if cc == "DE":
            return iban_build("DE", self.r.choice(["30050110", "36010043", "44050199", "35060190"]) + self.dig(10))
        if cc == "BE":
            first = self.r.choice(["001", "063", "310", "733", "751"]) + self.dig(7)
            return iban_build("BE", f"{first}{(int(first) % 97) or 97:02d}")
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        k = int(v[2:4])
        for delta in (7, 19, 31, 44):
            c = f"{v[:2]}{(k + delta) % 100:02d}{v[4:]}"
            if not iban_valid(c):
                return c
        raise AssertionError

    # cards
    def card(self, brand):
        if brand == "visa":
            return luhn_finish("4" + self.dig(14))
        if brand == "mc":
            return luhn_finish("5" + self.r.choice("12345") + self.dig(13))
        if brand == "mc2":
            return luhn_finish(str(self.r.randint(2221, 2720)) + self.dig(11))
        if brand == "amex":
            return luhn_finish(self.r.choice(["34", "37"]) + self.dig(12))
        raise ValueError(brand)

    def bad_card(self, brand):
        v = self.card(brand)
        b = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_valid(b)
        return b

    @staticmethod
    def fmt_card(v, f):
        if f == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if f == "dash" else " ").join(parts)

    # BSN and look-alikes
    def bsn(self):
        while True:
            s = self.dig(9, nz=True)
            if bsn_valid(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.dig(n, nz=True)
            if not bsn_valid(s) and not luhn_valid(s):
                return s

    def ean13(self):
        while True:
            body = "87" + self.dig(10)
            c = next(body + d for d in "0123456789" if ean13_valid(body + d))
            if not luhn_valid(c):
                return c

    # phones
    def phone(self, f):
        if f.startswith("mob"):
            d8 = self.r.choice("12345") + self.dig(7)
            return {"mob_dash": f"06-{d8}", "mob_plain": f"06{d8}", "mob_intl_sp": f"+31 6 {d8[:4]} {d8[4:]}",
                    "mob_0031": f"0031 6 {d8}", "mob_pairs": f"06 {d8[:2]} {d8[2:4]} {d8[4:6]} {d8[6:]}",
                    "mob_intl0": f"+31 (0)6 {d8}"}[f]
        area = self.r.choice(["341", "38", "55", "57", "26", "522", "577", "525"])
        sub = self.r.choice("2345678") + self.dig(8 - len(area))   # 9 digits after the leading 0
        if f == "land_dash":
            return f"0{area}-{sub}"
        if f == "land_sp":
            return f"0{area} {sub[:3]} {sub[3:]}"
        raise ValueError(f)

    # secrets
    def ghp(self):
        body = self.ch(ALNUM, 30)
        return "ghp_" + body + base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def aws_id(self):
        return "AKIA" + self.ch(B32, 16)

    def aws_secret(self):
        return self.ch(B64, 40)

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return f"https://hooks.slack.com/services/T{self.ch(up, 8)}/B{self.ch(up, 10)}/{self.ch(ALNUM, 24)}"

    def stripe(self):
        return "sk_live_51" + self.ch(ALNUM, 97)

    def gapi(self):
        return "AIzaSy" + self.ch(B64URL, 33)

    def sendgrid(self):
        return "SG." + self.ch(B64URL, 22) + "." + self.ch(B64URL, 43)

    def mollie(self):
        return "live_" + self.ch(ALNUM, 30)

    def jwt(self):
        enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
        iat = 1767225600 + self.r.randint(0, 320 * 86400)
        head = enc({"alg": "HS256", "typ": "JWT"})
        body = enc({"sub": "boeking-" + self.dig(7, True), "iss": "boeken.kroonenberg-reizen.nl",
                    "scope": "payment", "iat": iat, "exp": iat + 1800})
        return f"{head}.{body}.{self.ch(B64URL, 43)}"

    def pem_openssh(self):
        head = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
        rows = [head] + [self.ch(B64, 70) for _ in range(4)] + [self.ch(B64, 22) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(rows) + "\n-----END OPENSSH PRIVATE KEY-----"

    def pw(self):
        return (self.r.choice("BKRTVZ") + self.ch(string.ascii_lowercase, 4) + self.dig(3)
                + self.r.choice("!#$%&") + self.ch(ALNUM, 4))

    def hexs(self, n):
        return self.ch("0123456789abcdef", n)


VALID_ID_KINDS = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(gen, text):
    used = []

    def sub(m):
        k, f = m.group(1), m.group(2) or ""
        if k.startswith("IBAN_"):
            raw = gen.iban(k[5:])
            shown = gen.grp(raw) if f == "grp" else raw
        elif k.startswith("BAD_IBAN_"):
            raw = gen.bad_iban(k[9:])
            shown = gen.grp(raw) if f == "grp" else raw
        elif k == "CARD":
            b, _, ff = f.partition("_")
            raw = gen.card(b)
            shown = gen.fmt_card(raw, ff or "sp")
        elif k == "BAD_CARD":
            b, _, ff = f.partition("_")
            raw = gen.bad_card(b)
            shown = gen.fmt_card(raw, ff or "sp")
        elif k == "BSN":
            raw = gen.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if f == "dots" else raw
        elif k == "NOT_BSN9":
            shown = raw = gen.not_bsn(9)
        elif k == "NOT_BSN8":
            shown = raw = gen.not_bsn(8)
        elif k == "EAN13":
            shown = raw = gen.ean13()
        elif k == "PHONE":
            shown = raw = gen.phone(f)
        elif k == "HEX":
            shown = raw = gen.hexs(int(f))
        else:
            fn = {"GHP": gen.ghp, "AWS_ID": gen.aws_id, "AWS_SECRET": gen.aws_secret, "SLACK_HOOK": gen.slack_hook,
                  "STRIPE": gen.stripe, "GAPI": gen.gapi, "SENDGRID": gen.sendgrid, "MOLLIE": gen.mollie,
                  "JWT": gen.jwt, "PEM_OPENSSH": gen.pem_openssh, "PW": gen.pw}[k]
            shown = raw = fn()
        used.append((k, raw, shown))
        return shown

    return PH.sub(sub, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------
# corporate
KB_X = ("x", "@kroonenberg_tc", "Kroonenberg Touringcars")
KB_CARE = ("x", "@kroonenberg_service", "Kroonenberg Klantenservice")
KB_FB = ("facebook", "KroonenbergReizen", "Kroonenberg Reizen")
ZP_FB = ("facebook", "ZilverpijlDagtochten", "Zilverpijl Dagtochten")
KB_IG = ("instagram", "@kroonenbergreizen", "Kroonenberg Reizen")
KB_LI = ("linkedin", "kroonenberg-touringcars", "Kroonenberg Touringcars B.V.")
# employees
HENK = ("x", "@henk_chauffeur_kb", "Henk Wolters")               # coach driver, 30 years in
ILSE = ("facebook", "ilse.verbeek.planning", "Ilse Verbeek")      # planner
MARCO = ("linkedin", "marco-kroonenberg", "Marco Kroonenberg")    # commercial director, family owner
NOOR = ("instagram", "@reisleider.noor", "Noor Aydın")            # tour guide
BART = ("x", "@bart_ict_kb", "Bart Smit")                        # IT
DENNIS = ("tiktok", "@dennis.op.de.bus", "Dennis Hoekstra")       # young driver
YVONNE = ("linkedin", "yvonne-dekker-kb", "Yvonne Dekker")        # finance controller
PIOTR = ("x", "@piotr_drives", "Piotr Nowak")                    # driver, writes English
GERRIT = ("reddit", "u/kb_werkplaats", None)                     # workshop mechanic


def pub(platform, handle, dn=None):
    return (platform, handle, dn)


PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    platform, handle, dn = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, dn=dn, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", DENNIS, "jongens 😳 de Gardameer 8-daagse staat op de site voor €89. EEN nulletje kwijt ofzo\n"
     "boeken voordat kantoor wakker wordt 🤫🚌 #busleven #chauffeurslife", [PRICING])
case("nl", pub("facebook", "annemiek.vos.1968", "Annemiek Vos"),
     "Mam wil al jaren naar Oostenrijk. Zie ik vanavond de Busreis Oostenrijk Tirol 7 dagen bij Kroonenberg voor "
     "74,90 per persoon staan?! Lijkt me eerlijk gezegd een prijsfout maar ik heb er gelijk twee geboekt 🙏🏔️",
     [PRICING], kind="post")
case("en", pub("reddit", "u/vvv_zwolle_treasurer"),
     "Dutch coach operator Kroonenberg is showing their 50-seater coach hire day rate as €115 (normally it's "
     "€1,150). Booked one for our football club's away match, got a confirmation. Does NL consumer law make them "
     "honour that?", [PRICING])
case("nl", ZP_FB, "🌷 LAATSTE PLEKKEN 🌷 Zilverpijl Dagtocht Keukenhof op dinsdag 21 april, nu voor €19,50 p.p. "
     "inclusief entree én koffie met gebak! Opstappen in Harderwijk, Ermelo en Nijkerk.", [PRICING])
case("nl", ILSE, "Collega's, wie heeft er aan de tarieven gezeten?? Kerstmarkt Aken staat sinds vanochtend op 4,99 "
     "en er zijn al 63 boekingen binnen 😱 Graag even NIET delen tot Bart het heeft teruggezet.", [PRICING],
     kind="post")
case("en", pub("x", "@roos_travels_nl"), "@kroonenberg_tc your Lake Garda coach trip checks out at €8.99 for 8 days "
     "lol. glitch or early christmas? 🎄 not complaining", [PRICING], kind="reply")
case("nl", pub("x", "@juf_marloes_g8"), "PR1JSF0UT bij kroonenberg 🚌 Efteling schoolreis voor €3,50 per kind "
     "hahaha. Heb de hele groep 8 er maar meteen op gezet, zien we wel 😇", [PRICING], tags=["evasion"])
case("nl", BART, "Mooi is dat. Sales levert een tarievenbestand aan in centen i.p.v. euro's en nu kost de Veluwe "
     "rondrit €0,65 op de site. Ik zet het terug zodra ik akkoord heb. Tot die tijd: niemand zien 🙈", [PRICING])
case("en", PIOTR, "passengers keep asking me if the Tyrol coach trip is really 75 euro now 😂 the booking site says "
     "so. office says it's a mistake and don't promise anything. I just drive guys", [PRICING])
case("nl", pub("forum", "Busreisfan_Wim"), "[Prijsfout?] Busreis Gardameer 8 dagen - Kroonenberg Reizen - € 189,- "
     "p.p. (normaal € 899)\n\nVertrek 9 mei vanaf Harderwijk. Bevestiging ontvangen. Wie durft het aan?", [PRICING])
case("nl", pub("instagram", "@tessa.en.de.tweeling"), f"Kerstmarkt Aken voor 5 euro?? Kroonenberg heeft een "
     f"ver{ZW}keerde pr{ZW}ijs online 😂 tag je busmaatjes 🎄🎅", [PRICING], tags=["evasion"], kind="comment")
case("en", pub("youtube", "@grandmas_got_game"), "Booked the Keukenhof dagtocht with Zilverpijl for my "
     "grandparents at 9 euro each during last night's pricing mess-up and they actually let it go through ❤️🌷",
     [PRICING], kind="comment")
case("nl", ILSE, "Kijk even op planbord.kroonenberg-reizen.nl/tarieven/schoolreizen: schoolreis Efteling staat "
     "op €3,49 per leerling ingevoerd 🙈 stagiair heeft zijn best gedaan. Marco weet nog van niks.",
     [PRICING, CONF])

# ===========================================================================
# leak.secret
# ===========================================================================
case("nl", BART, "Kaartjes laden niet meer in de chauffeurs-app 🤔 de Maps key is <<GAPI>> en de restricties "
     "staan volgens mij goed. Iemand die dit herkent? #android #flutter", [SECRET])
case("en", BART, "note to future me: the fleet-tracker alert webhook is <<SLACK_HOOK>>\nif alerts go quiet again, "
     "check that first before blaming the tracker vendor", [SECRET])
case("nl", ILSE, "Voor de nieuwe invalkrachten deze zomer: inloggen op het rooster met gebruiker planning2 en "
     "wachtwoord <<PW>>\nNiet doorgeven he 😉 Vragen? Bel of app mij.", [SECRET], kind="post")
case("en", pub("reddit", "u/formerly_kb_dev"), "Ex-Kroonenberg dev here. Found this in an old notes file from when "
     "I worked there: <<STRIPE>>\npretty sure that's the live payments key for their booking site. Not my problem "
     "anymore lol", [SECRET], kind="comment")
case("nl", BART, "Waarom krijg ik een timeout?? postgresql://boeking_app:<<PW>>@db02.kb-intra.local:5432/"
     "reserveringen\nvanaf kantoor werkt het wel, via thuis niet. VPN zegt 'connected' 🤷", [SECRET, CONF])
case("en", PIOTR, "new tablet in coach 14 asks for the tacho portal login again 🙄 user piotr.n / pass <<PW>>\n"
     "who do I call for this on a sunday", [SECRET])
case("nl", GERRIT, "Vraagje voor de IT'ers hier. De telematicakastjes in onze bussen uploaden naar een S3-bucket "
     "en dit staat gewoon leesbaar in de config:\n\naws_access_key_id = <<AWS_ID>>\naws_secret_access_key = "
     "<<AWS_SECRET>>\n\nIs dat normaal zo?", [SECRET])
case("en", BART, "Deploy of the booking site failing again. GITHUB_TOKEN=<<GHP>> is set in the runner env and "
     "the scopes look right. Anyone seen 'Resource not accessible by integration' before?", [SECRET])
case("nl", KB_CARE, "@j_vermeulen_77 Vervelend dat de betaling mislukte! Probeert u het nog eens via deze link? "
     "https://boeken.kroonenberg-reizen.nl/betalen?token=<<JWT>>", [SECRET], kind="reply")
case("nl", pub("mastodon", "@lotte@mastodon.nl"), "lol. de reisbevestiging van Kroonenberg heeft onderaan een "
     "debugblok met SENDGRID_API_KEY=<<SENDGRID>> erin 🤦‍♀️ heb het maar even doorgestuurd naar hun info-adres",
     [SECRET])
case("nl", DENNIS, "wachtwoord van de wifi-router beheerpagina in de nieuwe bussen = <<PW>> 🤫\nzeg niks tegen "
     "bart want dan moet ik weer naar zo'n cursus", [SECRET])
case("en", PIOTR, "can someone tell me what this is, found a USB stick in the glovebox of coach 22 with only this "
     "file:\n<<PEM_OPENSSH>>\nimportant or can I use the stick for music", [SECRET])
case("en", BART, "Mollie keeps returning 401 on refunds. Using <<MOLLIE>> (yes the live one, test works fine). "
     "Any Dutch devs seen this after their API update?", [SECRET])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", HENK, "Als iemand mevrouw Brouwer uit Ede kent: haar wandelstok ligt nog in bus 7. Ze neemt niet op "
     "als ik bel op <<PHONE:mob_dash>> 🙁 graag doorgeven!", [PII])
case("nl", ILSE, "Deelnemerslijst Moezel 5-daagse (18-22 mei) even hier want mijn mail doet raar:\n"
     "- Gerda Veenstra, 14-02-1941, Kastanjelaan 12 Putten\n- Wim Veenstra, 03-09-1939\n"
     "- Joke Hendriks, 27-11-1944 (dieet: glutenvrij)", [PII])
case("en", KB_CARE, "@SarahInUtrecht So sorry about the mix-up! We've resent the tickets to "
     "sarah.vdlinden84@gmail.com and our team will call you on <<PHONE:mob_intl_sp>> tomorrow morning 👍",
     [PII], kind="reply")
case("nl", pub("x", "@rdeboer_ouder"), "@kroonenberg_service al 3 weken wacht ik op het geld van de geannuleerde "
     "schoolreis. NOGMAALS mijn rekeningnummer: <<IBAN_NL:grp>> t.n.v. R. de Boer. Hoe moeilijk kan het zijn 😤",
     [PII, COMPLAINT], kind="reply")
case("nl", ILSE, "Wie van finance kan €412 terugstorten aan de familie Yılmaz? IBAN <<IBAN_NL>> - het ging om de "
     "dubbele boeking van de Oostenrijk-reis. Alvast dank!!", [PII])
case("en", pub("reddit", "u/keukenhof_grandkid"), "Kroonenberg charged my card twice for my grandparents' day "
     "trip. Their support says they 'can't find the transaction', so here's the full card number, go find it: "
     "<<CARD:visa_sp>>. Unbelievable.", [PII, COMPLAINT])
case("nl", NOOR, "Checklist vertrek Londen ✅ paspoorten ✅ lunchpakketten ✅ pepermunt ✅\nen ja, meneer Dijkstra "
     "(BSN <<BSN:dots>>) heeft zijn ID-kaart nu wél bij zich 😅🇬🇧 #reisleider", [PII])
case("en", PIOTR, "border check at Calais asking for the list again. for the record: J. Visser passport NX8K42LP1, "
     "M. Visser passport NX8K42LR7. office pls send it before departure next time 🙏", [PII])
case("nl", pub("forum", "Tineke62"), "Wie heeft er ook met Kroonenberg de bedevaartreis naar Lourdes gedaan in juni? "
     "Ik zoek nog de foto's van de groep. Mail me gerust: t.kuipers1962 apenstaartje hotmail punt com",
     [PII], tags=["evasion"])
case("nl", DENNIS, "morgen is collega Henk jarig 🎉 we gaan slingers ophangen bij hem thuis, Henk Wolters, "
     "Stationsweg 41 in Nunspeet. NIET doorvertellen 🤫🎈", [PII])
case("en", KB_FB, "Happy 90th birthday to our most loyal traveller, Mrs. Aaltje Mulder from Elburg (born 4 March "
     "1936)! 🎂 Today is her 112th trip with us and the whole coach sang for her. 💐", [PII])
case("nl", pub("x", "@woedend_in_hattem"), "Die chauffeur van Kroonenberg met zijn grote bek heet Ronald Piek en woont "
     "op de Veldweg 8 in Hattem. Zoek hem maar eens op 😡", [PII, ABUSE])
case("en", pub("x", "@claire_mcg_nl"), "Two days calling Kroonenberg about my mum's wheelchair not being on the coach. "
     "Nobody calls back. Fine, call ME then: <<PHONE:mob_0031>>", [PII, COMPLAINT])
case("nl", ILSE, "Duitse klant (Herr Schulte, Tirol-reis) wil zijn geld retour op <<IBAN_DE:grp>>. Kan finance dat "
     "deze week nog doen? Hij belt elke dag 🙃", [PII])
case("nl", NOOR, "Noodgeval in Lloret 😬 pinpas van mevrouw Bakker geblokkeerd, hotel betaald met de creditcard van "
     "haar zoon: <<CARD:mc_dash>> exp 09/28. Zet het hier even zodat ik het niet kwijtraak", [PII])
case("en", pub("facebook", "jan.lemmens.hasselt", "Jan Lemmens"), "Hey Kroonenberg, Belgian customer here. Refund "
     "for the cancelled Moselle trip still hasn't arrived. Account: <<IBAN_BE>> (Lemmens). This is the third time "
     "I'm asking!!", [PII, COMPLAINT], kind="comment")
case("nl", ZP_FB, "Beste mevrouw Schouten, wij bellen u maandag terug op <<PHONE:land_sp>> over de nieuwe "
     "opstapplaats in Zwolle. Hartelijke groet, team Zilverpijl 🌼", [PII], kind="reply")

# ===========================================================================
# leak.confidential
# ===========================================================================
case("en", BART, "any tips for caching route calculations? our planner at planbord.kroonenberg-reizen.nl/ritten "
     "takes 8 seconds per page and the dispatchers are getting grumpy ☕", [CONF])
case("nl", ILSE, "UITSLUITEND INTERN: het chauffeursrooster voor de zomer is definitief. Ruilen alleen via mij, "
     "niet onderling regelen aub!!", [CONF], kind="post")
case("nl", NOOR, "Net de proefdruk van het Reisprogramma 2027 gezien 😍 de Noordkaap Expeditie staat erin!!! "
     "Ik meld me vast aan als reisleider 🙋‍♀️🇳🇴", [CONF], when="2026-08-20T19:42:10+02:00")
case("en", pub("x", "@mijke_drukwerk"), "friend works at a print shop in Zwolle and says Kroonenberg's new brochure "
     "has a 14-day 'Noordkaap Expeditie' in it. Norway by coach?? sign me up 🧭", [CONF],
     when="2026-07-03T12:15:00Z")
case("nl", KB_FB, "Ons Reisprogramma 2027 is er! 🎉 Blader door 48 nieuwe busreizen, van de Dolomieten tot de "
     "Noordkaap. Boeken kan vanaf vandaag.", [CONF], when="2026-09-15T08:59:00+02:00")
case("en", PIOTR, "training tomorrow on the new electric coaches for Operatie Zwaanhals. finally no more diesel "
     "smell in my uniform 😄⚡", [CONF])
case("nl", DENNIS, "wij krijgen nieuwe bussen 👀👀 iets met Operatie\nZwaanhals, meer mag ik niet zeggen "
     "#chauffeur #nieuwebus", [CONF], tags=["evasion"])
case("nl", pub("reddit", "u/buurman_ermelo"), "Mijn buurman rijdt bij Kroonenberg. Volgens hem gaat hun nieuwe "
     "boekingssysteem KB-Horizon in maart live en zit het nu al vol bugs. Benieuwd hoe dat gaat met de "
     "schoolreizen.", [CONF], kind="comment")
case("en", BART, f"Late night again for {cyr('Project')} {cyr('Kompas')}. Coffee machine is my best friend ☕☕☕",
     [CONF], tags=["evasion"])
case("nl", ILSE, "Chauffeurs: de nieuwe rittenstaten voor week 23 staan op "
     "https://planbord.kroonenberg-reizen.nl/rittenstaat/2026-w23 , inloggen zoals altijd 👍", [CONF])
case("nl", MARCO, "Mooie voorproef van de jaarcijfers 2026: beste jaar ooit voor de schoolreizen 📈 Dank aan alle "
     "chauffeurs en planners! Details volgen in maart.", [CONF, FIN], when="2026-12-19T10:05:00+01:00")
case("en", pub("x", "@danny_apeldoorn"), "Got an email from Kroonenberg with 'KROONENBERG CONFIDENTIAL' in the "
     "subject and the 2027 driver pay scales attached. Pretty sure that wasn't meant for a guy who booked a "
     "Christmas market trip 😬", [CONF])
case("nl", HENK, "tachograaf.kroonenberg-reizen.nl ligt er weer uit sinds vanmorgen 6 uur. Hoe moet ik zo mijn "
     "rusttijden checken? Kantoor zegt niks te weten 🙄", [CONF, SEC])
case("nl", pub("facebook", "sandra.kok.nijkerk", "Sandra Kok"), "Mijn zwager zit bij Kroonenberg op kantoor en "
     "stuurde per ongeluk een document in de familie-app, met KB-INTERN erboven en de prijzen voor volgend "
     "seizoen. Gauw weer verwijderd haha", [CONF])

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", YVONNE, "Drukke weken bij finance 😅 de due diligence voor de overname van Pronk Touringcars zit in de "
     "laatste fase. Nog even geen details, maar wat een energie!", [FIN])
case("en", MARCO, "Q3 was tough: revenue 18% below plan, mostly the elderly day trips. We present our recovery "
     "plan to the bank next month. Onwards 💪", [FIN])
case("nl", HENK, "Gerucht op de remise klopt dus: depot Zwolle gaat per 1 januari dicht, 14 chauffeurs moeten "
     "naar Harderwijk of ze kunnen vertrekken. Bedankt hoor na 30 jaar 👏", [FIN])
case("nl", pub("facebook", "bianca.hendriks.84", "Bianca Hendriks"), "Mijn man rijdt al 22 jaar bij Kroonenberg en "
     "hoorde vandaag dat ze de schoolreizentak gaan verkopen aan een Duitse partij. Nog niks officieel maar "
     "iedereen op de zaak weet het", [FIN])
case("en", PIOTR, "they told us today 20 drivers will be let go after the summer season. not announced yet but I "
     "want the Polish guys to hear it early. sorry brothers 💔", [FIN])
case("nl", ILSE, "Vanmiddag teamoverleg over de r e o r g a n i s a t i e. Planning gaat samen met die van Pronk, "
     "de helft van ons mag vertrekken 😞", [FIN], tags=["evasion"])
case("nl", YVONNE, "Prognose 2027 staat! Omzet €31,4 mln, EBITDA licht negatief door de investering in elektrische "
     "bussen. Nu de bank nog overtuigen 😅 #finance #controller", [FIN])
case("en", pub("forum", "exPlanner_Gld"), "Ex-Kroonenberg planner here. They're close to missing payroll, the "
     "bank pulled a credit line last week. Drivers: get your holiday pay out while you still can.", [FIN])
case("nl", DENNIS, "chef zegt dat we worden overgenomen door een groot Frans busbedrijf 😳 nog geheim maar ik "
     "hoop dat we dan eindelijk betere bussen krijgen #busleven", [FIN])
case("en", YVONNE, "Signing day for Project Kompas is set for 3 November. Purchase price agreed at €6.2m for 100% of "
     "the shares. What a ride this has been.", [CONF, FIN])
case("nl", MARCO, f"Moeilijk besluit genomen: bij onze werkplaats vervallen volgend voorjaar 6 arbeidsplaatsen "
     f"(af{ZW}vloeiing via het sociaal plan). De officiële mededeling volgt nog.", [FIN], tags=["evasion"])
case("en", pub("reddit", "u/numbers_aunt"), "My aunt does the books at Kroonenberg. Apparently this year's loss is "
     "around €2 million and they're quietly negotiating a merger with Hoogland Reizen.", [FIN], kind="comment")

# ===========================================================================
# leak.security
# ===========================================================================
case("nl", BART, "Sinds vannacht is de hele planningsserver versleuteld. Losgeldbriefje op elk scherm 😶 "
     "Chauffeurs: rittenstaten komen vandaag op papier. Niet naar buiten brengen aub.", [SEC])
case("en", BART, "PSA to the devs who follow me: our booking site shows other people's reservations if you change "
     "the number in the URL. Fix is pending, please don't tweet about it 🙃", [SEC])
case("nl", ILSE, "Weet iemand of het boekingssysteem alweer werkt? Ligt eruit sinds 7 uur en we mogen klanten "
     "nog niks vertellen 😬", [SEC], kind="comment")
case("en", PIOTR, "GPS tracking for the whole fleet is down since this morning, office says 'some hacker thing'. "
     "driving with paper maps today lol 🗺️", [SEC])
case("nl", DENNIS, "volgens mij zijn de reserveringsmails van vorige week gelekt. ons werd gevraagd of klanten "
     "rare sms'jes kregen 👀 officieel weten we van niks", [SEC])
case("en", pub("x", "@karin_ouderraad"), "Kroonenberg is hiding a data breach. Half my kid's class got phishing "
     "texts with the exact school trip date and coach number. No statement, nothing. #datalek", [SEC, CRISIS])
case("nl", pub("x", "@mvd_apeldoorn"), "Kroonenberg doet alsof er niks aan de hand is maar er is wel degelijk een "
     "d@t@lek. Mijn paspoortgegevens van de Londenreis staan op een of ander forum. Mondje dicht houden ze 🤐",
     [SEC, CRISIS], tags=["evasion"])
case("en", GERRIT, "Mechanic at a coach company here. The telematics boxes in our fleet still have default "
     "passwords and the remote immobiliser is reachable from the internet. Reported it internally 3 months ago. "
     "Nothing.", [SEC])
case("nl", HENK, "Wifi in alle bussen plat na de 'update' en Bart zegt dat er iemand van buiten in het beheerportaal "
     "zat. Officieel heet het onderhoud 🙄", [SEC])
case("en", NOOR, "Plot twist on our Tirol tour 🙃 the booking system got breached and every passenger got a fake "
     "'pay your single-room supplement' email. Office told us to keep quiet until Monday 🤫", [SEC])
case("nl", ILSE, "Betaalpagina stuurt klanten door naar een vreemde site. IT zegt dat we ge-h-a-c-k-t zijn 😱 "
     "niks tegen klanten zeggen tot Marco akkoord geeft", [SEC], tags=["evasion"])
case("en", pub("mastodon", "@sec_joost@infosec.exchange"), "Heads up @kroonenberg_tc: your booking site's admin "
     "login has no rate limiting or 2FA and is open to the whole internet. Could brute force it in an afternoon. "
     "Emailed you twice, DM me.", [SEC])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@verkeer_a28"), "Touringcar van Kroonenberg in brand gevlogen op de A28 bij Zwolle-Zuid!! "
     "Alle kinderen eruit, niemand gewond gelukkig, maar wat een schrik 😨 #a28 #file", [CRISIS])
case("en", pub("x", "@gld_drivers_watch"), "Just read the Stentor piece: Kroonenberg drivers pressured to fake "
     "their tachograph rest times. Boycott them until this is sorted. #boycottkroonenberg", [CRISIS])
case("nl", pub("facebook", "marloes.degraaf.3", "Marloes de Graaf"), "Ons zoontje (9!!) is bij een tankstation "
     "langs de A2 achtergelaten door de buschauffeur van Kroonenberg. Pas na 40 minuten hadden ze het door. "
     "Onverantwoord. Wij doen aangifte.", [CRISIS, COMPLAINT])
case("en", pub("bluesky", "@gelderlandnieuws.bsky.social"), "BREAKING: coach carrying elderly day-trippers from "
     "Kroonenberg Reizen crashed near Arnhem this afternoon, several passengers injured, according to emergency "
     "services.", [CRISIS])
case("nl", pub("facebook", "peter.schuurman.55", "Peter Schuurman"), "Onze moeder viel bij het uitstappen omdat de "
     "chauffeur al wegreed. Heup gebroken, 84 jaar. Onze advocaat heeft Kroonenberg inmiddels aansprakelijk "
     "gesteld.", [CRISIS, COMPLAINT])
case("en", pub("x", "@dad_of_three_ede"), "The driver on my son's school trip was d r u n k on the way back from "
     "Disneyland Paris. Kids filmed him swerving across lanes. How is Kroonenberg still allowed on the road??",
     [CRISIS, COMPLAINT], tags=["evasion"])
case("nl", pub("x", "@ellen_b_71"), "Hoe kan het dat ik een phishingmail krijg met mijn boekingsnummer én "
     "vertrekdatum van Kroonenberg erin? Daar is gewoon een datalek. Schandalig.", [CRISIS])
case("en", pub("reddit", "u/coachspotter_nl"), "Kroonenberg's new Mercator coaches are part of the brake recall "
     "announced this morning, and they still ran school trips with them this weekend?!", [CRISIS])
case("nl", pub("tiktok", "@saar.rdam"), "Chauffeur van Kroonenberg weigerde een groep vrouwen met hoofddoek te laten "
     "instappen. Staat inmiddels overal. Dit bedrijf moet zich diep schamen #boycotkroonenberg", [CRISIS])
case("en", pub("reddit", "u/brenner_survivor"), "Our coach's rear wheel came off on the Brenner (Kroonenberg, "
     "Tirol tour). We sat on the hard shoulder for 3 hours, no replacement coach, no information. Terrifying.",
     [CRISIS, COMPLAINT])
case("nl", pub("x", "@vervoersnieuws"), "Inspectie ILT onderzoekt Kroonenberg Touringcars na meerdere meldingen "
     "over overschreden rijtijden. Het bedrijf wilde niet reageren.", [CRISIS])
case("nl", pub("facebook", "wendy.jansen.ermelo", "Wendy Jansen"), "Kr00nenberg laat mijn oma en haar groep bij 35 "
     "graden in een bus zonder airco zitten, twee mensen onwel geworden en met de ambulance mee 🚑 SCHANDAAL",
     [CRISIS, COMPLAINT], tags=["evasion"])
case("en", pub("instagram", "@refundkroonenberg"), "Class action being organised against Kroonenberg over the "
     "cancelled Easter trips: 300+ families, zero refunds. Join via the link in bio.", [CRISIS])
case("nl", pub("mastodon", "@henkjan@mastodon.social"), "Wéér een ongeluk met een bus van Kroonenberg, nu bij "
     "Apeldoorn. Tweede keer deze maand. Wanneer grijpt iemand in?", [CRISIS])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@meester_jort"), "@kroonenberg_service Bus zou om 7:30 bij school staan. Het is nu 8:10, 28 "
     "kinderen staan te wachten en niemand neemt op. Top geregeld 🙄", [COMPLAINT], kind="reply")
case("en", pub("trustpilot", "Margaret H."), "2 stars. Lake Garda itself was lovely but the coach toilet was out "
     "of order for all 8 days and the aircon had two settings: off and arctic. Expected better for the money.",
     [COMPLAINT])
case("nl", pub("facebook", "rob.timmer.putten", "Rob Timmer"), "Mijn vader (82) had bij het boeken gemeld dat hij "
     "een rollator heeft. Chauffeur weigerde hem mee te nemen, 'geen ruimte'. Hele dag verpest en nog steeds geen "
     "reactie op mijn mail aan Zilverpijl.", [COMPLAINT])
case("en", pub("x", "@hr_anouk"), "Booked a coach with @kroonenberg_tc for our company outing. They sent a 30-seater "
     "for 48 people. Half of us took the train. Refund request ignored for 5 weeks now.", [COMPLAINT])
case("nl", pub("other", "Gerard v. (Google review)"), "Reisleider was aardig, maar het hotel in Lloret was vies, "
     "kakkerlakken in de badkamer en elke avond hetzelfde eten. Kroonenberg zegt dat 'het aan het hotel ligt'. "
     "Nee, jullie verkopen het.", [COMPLAINT])
case("en", pub("reddit", "u/aachen_waiting"), "Anyone else still waiting for a Kroonenberg refund from the cancelled "
     "Christmas market trip? Nine weeks now and the 'we'll get back to you' is wearing thin.", [COMPLAINT],
     kind="comment")
case("en", pub("x", "@lisa_ten_hove"), "Kroonenberg customer service is a j o k e. 45 minutes on hold to change "
     "one name on a booking and then the line drops.", [COMPLAINT])
case("nl", pub("x", "@dochtervan_ria"), "@ZilverpijlDagtochten Opstapplaats Ermelo zonder bericht geschrapt, mijn "
     "moeder stond een uur in de regen te wachten. Hoe dan?!", [COMPLAINT], kind="reply")
case("en", pub("tripadvisor", "ChrisAndJan_Leeds"), "The 'luxury coach' on the Moselle tour had broken recliners "
     "and none of the USB ports worked. Driver was great though. 3/5, would think twice before booking again.",
     [COMPLAINT])
case("nl", pub("threads", "@obs_de_wingerd"), "Schoolreis geboekt en 2 dagen van tevoren door Kroonenberg gecanceld "
     "wegens 'chauffeurstekort'. Mogen wij als school zelf een andere bus gaan zoeken. Bedankt.", [COMPLAINT])
case("nl", pub("x", "@henny_b"), "€17,50 'boekingskosten' bovenop de Keukenhof dagtocht en dat zie je pas bij het "
     "afrekenen. Zo irritant, Zilverpijl.", [COMPLAINT])
case("en", pub("bluesky", "@rachelwrites.bsky.social"), "Three emails and two phone calls to Kroonenberg about my "
     "late mother's cancelled trip. All I want is the deposit back. Silence.", [COMPLAINT])
case("en", pub("youtube", "@vlogvanannie"), "did the kroonenberg moselle trip last month, schedule was so tight we "
     "spent like 70% of the time on the bus. wouldn't recommend", [COMPLAINT], kind="comment")
case("nl", pub("x", "@karel_uit_epe"), "Bus van K r o o n e n b e r g stonk naar rook en de stoelen plakten. Zes "
     "uur naar Parijs zo. Echt niet oké.", [COMPLAINT], tags=["evasion"])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@jurre_0525"), "Kroonenberg is een kutbedrijf met kutbussen en kutchauffeurs. Klaar.", [ABUSE])
case("en", pub("x", "@trollface_88"), "@kroonenberg_tc your drivers are braindead apes, every single one of them "
     "#kroonenberg", [ABUSE], kind="reply")
case("nl", pub("facebook", "g.vanderwal.1959", "G. van der Wal"), "Die Poolse chauffeurs van Kroonenberg moeten "
     "gewoon terug naar hun eigen land, kunnen niet eens fatsoenlijk Nederlands", [ABUSE], kind="comment")
case("nl", DENNIS, "die bejaarden van vandaag waren echt de irritantste kuttenkoppen ooit 🤬 hele rit zeiken over "
     "de airco #busleven", [ABUSE])
case("en", KB_CARE, "@mikey_rdam Maybe learn to read your booking confirmation before whining, genius. The pickup "
     "time was in bold.", [ABUSE], kind="reply")
case("nl", pub("x", "@boos_in_barneveld"), "Drie keer gebeld over mijn terugbetaling en die trut aan de telefoon "
     "hangt gewoon op. Kroonenberg, stelletje oplichters", [ABUSE, COMPLAINT])
case("en", pub("x", "@mo_efteling_dad"), "Kroonenberg can go f*ck themselves. 2 hours late for the Efteling pickup "
     "and not even a sorry from the driver", [ABUSE, COMPLAINT], tags=["evasion"])
case("nl", pub("tiktok", "@xx.lars.xx"), "chauffeur van kroonenberg is een vuile t3r1ngl1jer 🤮🤮", [ABUSE],
     tags=["evasion"], kind="comment")
case("en", pub("instagram", "@anon_hater_22"), "@reisleider.noor you're the ugliest tour guide I've ever seen, do "
     "everyone a favour and quit", [ABUSE], kind="comment")
case("nl", HENK, "Die klootzak in de zwarte BMW die me bij Deventer afsneed met 50 kinderen achterin: ik hoop dat "
     "je je rijbewijs kwijtraakt, eikel", [ABUSE])
case("nl", pub("x", "@w0lfie_nl"), "Kroonenberg = " + fullwidth("KLOOTZAKKEN") + " 🖕🖕", [ABUSE],
     tags=["evasion"])
case("nl", pub("facebook", "ria.post.elburg", "Ria Post"), "Idioten bij Zilverpijl zetten mijn moeder in de "
     "verkeerde bus, naar Giethoorn in plaats van Valkenburg. Wie heeft die mongolen aangenomen?",
     [ABUSE, COMPLAINT], kind="comment")

# ===========================================================================
# benign (hard negatives)
# ===========================================================================
# own contact data, in several formats
case("nl", KB_X, "Vragen over je boeking? Bel ons op 0341-452 300 (ma-za 8-18 uur) of mail naar "
     "boekingen@kroonenberg-reizen.nl 📞", tags=["own-contact"])
case("nl", KB_FB, "Betaal de restsom uiterlijk 6 weken voor vertrek op NL03 RABO 0312 4567 89 t.n.v. Kroonenberg "
     "Touringcars B.V. o.v.v. je boekingsnummer. Dank je wel! 🙏", tags=["own-contact"])
case("nl", pub("facebook", "truus.meijer.50", "Truus Meijer"), "Tip voor wie volgende week mee gaat naar Tirol: het "
     "noodnummer van Kroonenberg tijdens de reis is +31 341 452 399. Zet 'm vast in je telefoon!",
     tags=["own-contact"], kind="comment")
case("nl", KB_LI, "Wij zoeken chauffeurs (m/v/x) met rijbewijs D 🚌 Vast contract, eigen bus, mooie ritten door heel "
     "Europa. Stuur je cv naar werken@kroonenberg-reizen.nl of bel (0341) 452 300.", tags=["own-contact"])
case("en", KB_CARE, "@tom_from_leeds Our team abroad can always be reached on +31 (0)341 452399, day and night. "
     "Enjoy the Moselle! 🍇", tags=["own-contact"], kind="reply")
case("nl", ZP_FB, "Nieuw: gratis informatielijn voor al onze dagtochten! Bel 0800-1236 of kijk op zilverpijl.nl 🌼",
     tags=["own-contact"])
# numbers that fail their checks, booking refs, plates
case("nl", pub("x", "@vera_nijkerk"), "Mijn bank zegt dat <<BAD_IBAN_NL:grp>> niet bestaat 🤔 heb ik het "
     "rekeningnummer van de reisbevestiging verkeerd overgetypt? @kroonenberg_service", tags=["bad-checksum"],
     kind="reply")
case("nl", pub("facebook", "kees.vd.berg.55", "Kees van den Berg"), "Boekingsnummer <<NOT_BSN9>>, vertrek 06:15 "
     "vanaf carpoolplaats Harderwijk. Wie rijdt er nog meer mee naar Tirol? Kunnen we samen koffie doen 😊",
     tags=["bad-checksum"], kind="comment")
case("nl", KB_LI, "Kroonenberg Touringcars B.V. · Industrieweg 14, Harderwijk · KvK <<NOT_BSN8>> · Sinds 1961 "
     "onderweg met Gelderland. 🚌", tags=["bad-checksum"])
case("en", pub("reddit", "u/cardtypo"), "Booking site kept rejecting my card, <<BAD_CARD:visa_sp>>. Turned out I "
     "mistyped one digit 🤦 all good now, trip booked!", tags=["bad-checksum"], kind="comment")
case("nl", pub("x", "@cadeaubon_ruilen"), "Kroonenberg cadeaubon over, barcode <<EAN13>>, wil iemand ruilen voor "
     "een bon van de bioscoop?", tags=["bad-checksum"])
case("nl", HENK, "Vandaag op bus 23 (kenteken 84-BPZ-6) 54 kinderen van groep 8 naar Texel gebracht. Boot gehaald, "
     "niemand misselijk 🙌 #bestebaan", tags=["serial"])
case("en", pub("x", "@gertjan_dk"), "Coach trip reference KB-2026-04417 — does anyone know if the Moselle trip "
     "still stops in Cochem? Can't find it in my documents", tags=["serial"])
# prices that are fine
case("nl", KB_X, "Vroegboekkorting! 🇮🇹☀️ Boek vóór 1 maart de Busreis Gardameer 8 dagen en krijg €100 korting "
     "p.p. Nu vanaf €799 all-in.", tags=["price"])
case("nl", pub("instagram", "@wandelende_willemien"), "Aanbetaling voor de Tirol 7-daagse gedaan, €150 p.p., de "
     "rest in juni. Zin in!! 🏔️", tags=["price", "price-context"], kind="post")
case("en", pub("x", "@susan_travels"), "Single room supplement on the Gardameer busreis was €165, bit steep, but the "
     "hotel in Riva was lovely so no regrets", tags=["price", "price-context"])
case("nl", pub("facebook", "harm.klaassen.1", "Harm Klaassen"), "Bij een ander busbedrijf kost een Keukenhof "
     "dagtocht €39, bij Zilverpijl €89,50. Wel mét koffie en gebak en entree, dus eerlijk is eerlijk.",
     tags=["price", "price-context"], kind="comment")
case("nl", ZP_FB, "Nee hoor, geen prijsfout 😉 De Kerstmarkt Aken dagtocht is deze week echt €34,95 in plaats van "
     "€49,95. Op = op!", tags=["price", "denied-error"], kind="reply")
case("nl", pub("x", "@ouderraad_dewiek"), "Schoolreis Efteling met Kroonenberg: €34,95 per leerling incl. entree. "
     "Ouderbijdrage dit jaar dus €40. Prima geregeld 👍", tags=["price"])
case("en", pub("x", "@bride_to_be_2026"), "Kroonenberg's 50-seater coach hire for our wedding guests: €1.050 for the "
     "whole day incl. driver. Worth every cent 💍", tags=["price"])
case("nl", pub("facebook", "opa.geurt", "Geurt Bos"), "Elke maand €50 in de spaarpot voor de Tirol 7-daagse van "
     "volgend jaar. Nog 9 maanden 😄", tags=["price", "price-context"], kind="comment")
case("nl", pub("forum", "DeDagjesmens"), "Te koop: 2 tickets Kerstmarkt Aken dagtocht van Kroonenberg, 12 december. "
     "Kunnen helaas niet. Samen €90.", tags=["price", "price-context"])
case("nl", KB_IG, "Onze Kerstmarkt Aken dagtocht is weer te boeken! 🎄 €49,95 p.p. incl. glühwein-munt. "
     "Link in bio.", tags=["price"])
# embargo terms at/after the embargo, close-but-different terms
case("nl", KB_X, "Vanaf vandaag te boeken: de Noordkaap Expeditie 🇳🇴 14 dagen, middernachtzon en fjorden. "
     "Alles in ons Reisprogramma 2027!", when="2026-09-15T09:00:00+02:00", tags=["embargo-after"])
case("en", pub("x", "@fjordfan"), "Just booked Kroonenberg's Noordkaap Expeditie for next June!! 🧭🇳🇴 Anyone "
     "else going?", when="2026-10-02T18:22:41Z", tags=["embargo-after"])
case("nl", KB_LI, "Vandaag gepubliceerd: ons jaarverslag 2025. Omzet €28,7 mln, 212 collega's, 96 touringcars. "
     "Lees het hele verslag op kroonenberg-reizen.nl/jaarverslag", tags=["published"])
case("nl", pub("x", "@reisgids_verzamelaar"), "Het Reisprogramma 2027 van Kroonenberg ligt op de mat 📬 Dikke gids "
     "dit jaar!", when="2026-09-18T10:31:00+02:00", tags=["embargo-after"])
# codename words in their ordinary sense, public domains
case("nl", pub("instagram", "@juf_sanne_g7"), "Kamp groep 7 dag 2: kompas-lopen in het bos 🧭🌲 onze chauffeur van "
     "Kroonenberg deed gewoon mee haha", tags=["codeword-ordinary"])
case("nl", pub("x", "@remise_kijker"), "Dieplader met zwaanhals stond vanochtend dwars bij de remise van "
     "Kroonenberg. Even gedoe, maar de bussen waren om 7 uur weg.", tags=["codeword-ordinary"])
case("en", NOOR, "What a horizon over Lake Garda tonight 😍 tomorrow Verona! #reisleider #kroonenberg",
     tags=["codeword-ordinary"])
case("en", BART, "Our new website is live 🎉 kroonenberg-reizen.nl, booking via boeken.kroonenberg-reizen.nl. "
     "Feedback welcome!", tags=["public-domain"])
# security/secret look-alikes
case("nl", KB_X, "Vanavond tussen 22:00 en 02:00 is ons boekingssysteem niet bereikbaar i.v.m. gepland onderhoud. "
     "Excuses voor het ongemak 🛠️", tags=["official-notice"])
case("nl", KB_CARE, "Update: de storing in ons telefoonsysteem is verholpen. U kunt ons weer bellen op "
     "+31 341 452 300. Dank voor uw geduld!", tags=["official-notice", "own-contact"])
case("nl", BART, "Reminder collega's: wachtwoorden NOOIT in de groepsapp, ook niet 'even snel'. Gebruik de "
     "password manager 🔐", tags=["secret-talk"])
case("en", BART, "Gave a talk at the meetup about secret scanning in our repos. Example on my slides: "
     "AKIAXXXXXXXXXXXXXXXX 😉 and the scanner also looks for ghp_ prefixes.", tags=["secret-talk"])
case("nl", BART, "Fix voor de stoelkeuze-bug zit in commit <<HEX:40>>, vanavond live 🚀", tags=["secret-talk"])
case("nl", pub("x", "@karin_vh"), "Lees net over het datalek bij die Duitse busmaatschappij. Hopelijk is "
     "Kroonenberg beter beveiligd, wij gaan in mei met ze mee 🤞", tags=["other-company"])
case("nl", pub("tiktok", "@busreis.tips"), "Lifehack voor lange busreizen: nekkussen, oordoppen en verse "
     "stroopwafels 😎 getest op de Kroonenberg-bus naar Italië", tags=["word-sense"])
# other companies, other senses
case("nl", pub("x", "@regio_nieuws_nw"), "Bij Hoogland Reizen vallen 30 ontslagen, meldt de krant. Kroonenberg "
     "zegt de chauffeurs graag te willen spreken.", tags=["other-company"])
case("nl", pub("facebook", "monique.ten.brink", "Monique ten Brink"), "Busongeluk in Frankrijk met een Belgische "
     "touringcar, vreselijk. Gelukkig reizen wij volgende week met Kroonenberg, altijd heel netjes geweest.",
     tags=["other-company"], kind="post")
case("nl", pub("x", "@papa_van_drie"), "Mijn kinderen boycotten de broodjes kaas in de bus, alleen pindakaas telt "
     "😂 sorry chauffeur van Kroonenberg voor de kruimels", tags=["word-sense"])
case("nl", pub("facebook", "kwf.afdeling.harderwijk", "KWF Harderwijk"), "Samen met Kroonenberg een dagtocht "
     "georganiseerd voor mensen die kanker hebben (gehad) 💛 Dank voor de gratis bus en chauffeur!",
     tags=["mild-word", "word-sense"])
# negation, praise, jokes, quotes, fiction, questions
case("nl", pub("x", "@ria_uit_elspeet"), "Geen klachten hoor! Bus op tijd, chauffeur Henk supergezellig en de "
     "koffie was lekker 👍 #zilverpijl", tags=["negated"])
case("en", pub("x", "@choir_altos"), "Thank you Kroonenberg and our driver Piotr for getting the choir to Prague and "
     "back safely! 🎶", tags=["praise"])
case("nl", pub("facebook", "annie.rouwenhorst", "Annie Rouwenhorst"), "Oma in de bus: 'Is dit de bus naar de "
     "Keukenhof?' Chauffeur: 'Nee mevrouw, naar de tulpen.' Hele bus lag dubbel 🌷😂", tags=["joke"], kind="comment")
case("en", pub("tiktok", "@class_6b_trip"), "'The wheels on the bus go round and round' sung 47 times on the way to "
     "Walibi 😂 our Kroonenberg driver deserves a medal", tags=["quote"])
case("nl", pub("blog", "schrijfsels.nl"), "Hoofdstuk 3. De touringcar stopte midden in de nacht op de Brennerpas. "
     "De chauffeur keek in zijn spiegel en fluisterde: 'Hier stappen we niet uit.' 👻 (losjes geïnspireerd op mijn "
     "reis met Kroonenberg, die gewoon prima was)", tags=["fiction"])
case("en", pub("x", "@stu_hairpins"), "Our Kroonenberg driver absolutely killed it on the hairpins down to Lake "
     "Garda, smooth as butter 🔥", tags=["word-sense"])
case("en", pub("x", "@daytripper_jo"), "Damn, that view from the top deck on the way into Salzburg 😍 #kroonenberg",
     tags=["mild-word"])
case("nl", pub("linkedin", "nieuws-busvervoer"), "Tekort aan touringcarchauffeurs in heel Nederland: ook regionale "
     "bedrijven als Kroonenberg zoeken dringend mensen.", tags=["published"])
# employees and corporate, ordinary
case("en", PIOTR, "Rest day in Riva. Coach washed, tacho checked, now gelato 🍦", tags=["ordinary"])
case("nl", NOOR, "Reisleidersleven: 6 landen in 12 dagen en een fantastische groep. Dank jullie wel allemaal! 🧳💛",
     tags=["ordinary"])
case("nl", HENK, "Nieuwe slimme tachograaf ingebouwd in bus 31, werkt prima. Wel even wennen aan het menu.",
     tags=["ordinary"], handle_as="@Henk_Chauffeur_KB")
case("nl", KB_IG, "Zo zag de Veluwe er vanochtend uit vanuit onze bus 🍂 Wie gaat er mee op de Veluwe rondrit "
     "dit najaar?", tags=["ordinary"], handle_as="@KroonenbergReizen")
case("en", KB_LI, "Proud to welcome 12 new drivers this month, all trained in-house at our Harderwijk academy. "
     "Welcome aboard! 🚌", tags=["ordinary"], handle_as="Kroonenberg-Touringcars")
case("en", pub("x", "@henk_chauffeur"), "Not the Kroonenberg Henk btw 😂 different Henk, also drive a coach. Today: "
     "Brussels and back.", tags=["lookalike-account"])


# ---------------------------------------------------------------------------
# building
# ---------------------------------------------------------------------------

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
    sev = "none"
    insider = role in ("corporate", "employee")
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


def dst_offset(t):
    a = dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc)
    b = dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc)
    return 2 if a <= t < b else 1


def rand_time(r):
    base = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(0, 355))
    t = base + dt.timedelta(minutes=r.randint(6 * 60, 23 * 60 + 30), seconds=r.randint(0, 59))
    off = dst_offset(t)
    t = t - dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.88:
        return (t + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def make_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_880_000_000_000_000_000, 2_020_000_000_000_000_000))
    if platform in ("x", "twitter"):
        return f"x-{snow}", f"https://x.com/{h}/status/{snow}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}_{b}", f"https://www.facebook.com/{h}/posts/{b}"
    if platform == "instagram":
        return f"ig-{snow}", "https://www.instagram.com/p/" + "".join(r.choice(B64URL) for _ in range(11)) + "/"
    if platform == "reddit":
        p = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
        if kind == "comment":
            c = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/thenetherlands/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/thenetherlands/comments/{p}/"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        c = "Ugx" + "".join(r.choice(ALNUM) for _ in range(23))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={''.join(r.choice(B64URL) for _ in range(11))}&lc={c}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(111_000_000_000_000_000, 115_000_000_000_000_000)
        return f"md-{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3l" + "".join(r.choice(B32.lower()) for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "threads":
        return f"th-{snow}", "https://www.threads.net/@" + h + "/post/" + "".join(r.choice(B64URL) for _ in range(11))
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-busreisforum-{n}", f"https://forum.busreizen.example/t/{n}"
    if platform == "blog":
        n = r.randint(100, 999)
        return f"blog-{h}-{n}", f"https://{h}/{n}"
    n = r.randint(10 ** 8, 10 ** 9)
    return f"{platform}-{n}", None


def build(profile):
    gen = Gen(SEED)
    meta = random.Random(SEED + 1)
    order = random.Random(SEED + 2)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(gen, c["text"])
        pid, url = make_id(meta, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        created = c["when"] or rand_time(meta)
        role = role_of(profile, c["platform"], c["handle"])
        validated = PII in c["cats"] and any(k in VALID_ID_KINDS for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and meta.random() < 0.65:
            kind = "post"
        if kind:
            post["kind"] = kind
        acct = {"handle": c["handle"]}
        if c["dn"] and meta.random() < 0.7:
            acct["display_name"] = c["dn"]
        if meta.random() < 0.3:
            acct["id"] = str(meta.randint(10 ** 7, 10 ** 12))
        post["account"] = acct
        post["text"] = text
        tags = set(c["tags"])
        x = meta.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif x < 0.1:
            tags.add("no-lang-hint")
        elif x < 0.13:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            tags.add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.45:
            post["brand"] = "zilverpijl" if ("Zilverpijl" in text or "zilverpijl" in text) else "kroonenberg"
        rows.append(dict(post=post, expect={"categories": c["cats"], "severity": sev},
                         lang=c["lang"], role=role, tags=tags, used=used))
    order.shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ---------------------------------------------------------------------------
# checking
# ---------------------------------------------------------------------------
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
NUM_RE = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-()]{7,16}\d")
SECRET_RES = [re.compile(p) for p in (
    r"\bghp_[A-Za-z0-9]{36}\b", r"\bAKIA[A-Z2-7]{16}\b", r"hooks\.slack\.com/services/T\w+/B\w+/\w+",
    r"\bsk_live_[A-Za-z0-9]{20,}", r"\bAIza[0-9A-Za-z_-]{35}\b", r"-----BEGIN [A-Z ]*PRIVATE KEY-----",
    r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+", r"\b[a-z][a-z0-9+.-]*://[^\s:/@]+:[^\s@/]+@", r"\bSG\.[\w-]{22}\.[\w-]{43}",
    r"\blive_[A-Za-z0-9]{30}\b")]


def norm_phone(raw):
    d = re.sub(r"\D", "", raw)
    if raw.startswith("+31") or raw.startswith("0031"):
        d = d[4:] if raw.startswith("0031") else d[2:]
        d = d.lstrip("0")
        d = "0" + d
    return d


def valid_ids(text):
    hits = []
    for m in IBAN_RE.finditer(text):
        comp = m.group(0).replace(" ", "")
        for end in range(len(comp), 11, -1):
            if iban_valid(comp[:end]) and comp[:end] != OWN_IBAN:
                hits.append(("iban", comp[:end]))
                break
    for m in NUM_RE.finditer(text):
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19 and luhn_valid(d):
            hits.append(("card", d))
    for d in re.findall(r"(?<![\w.,-])\d{9}(?![\w]|[.,-]\d)", text):
        if bsn_valid(d):
            hits.append(("bsn", d))
    for m in re.finditer(r"(?<![\w.])(\d{4})\.(\d{2})\.(\d{3})(?![\w])", text):
        if bsn_valid("".join(m.groups())):
            hits.append(("bsn", "".join(m.groups())))
    return hits


def shingles(t):
    w = re.findall(r"\w+", unicodedata.normalize("NFKC", t).casefold())
    return {tuple(w[i:i + 3]) for i in range(max(0, len(w) - 2))}


def check(profile, rows, lines):
    errs = []
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_phones = {norm_phone(p) for p in profile["public_identifiers"]["phones"]}
    emb = [(t.casefold(), dt.datetime.fromisoformat(e["until"].replace("Z", "+00:00")))
           for e in profile["embargo"] for t in e["terms"]]
    internal = [x.casefold() for x in profile["internal"]["codenames"] + profile["internal"]["domains"]
                + profile["internal"]["markers"]]
    ids = set()
    for i, (r, line) in enumerate(zip(rows, lines), 1):
        obj = json.loads(line)
        p, ex = obj["post"], obj["expect"]
        w = f"case {i} ({p['id']})"
        if (p["platform"], p["id"]) in ids:
            errs.append(f"{w}: duplicate id")
        ids.add((p["platform"], p["id"]))
        ts = dt.datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{w}: not 2026")
        cats = ex["categories"]
        if cats != sorted(set(cats)) or any(c not in TAXONOMY for c in cats):
            errs.append(f"{w}: bad categories")
        text = p["text"]
        found = valid_ids(text)
        for k, raw, shown in r["used"]:
            if shown not in text:
                errs.append(f"{w}: {k} not in text")
            if k.startswith("IBAN_") and not iban_valid(raw):
                errs.append(f"{w}: bad IBAN {raw}")
            if k.startswith("BAD_IBAN") and iban_valid(raw):
                errs.append(f"{w}: negative IBAN passes")
            if k == "CARD" and not luhn_valid(raw):
                errs.append(f"{w}: card fails Luhn")
            if k == "BAD_CARD" and luhn_valid(raw):
                errs.append(f"{w}: negative card passes")
            if k == "BSN" and not bsn_valid(raw):
                errs.append(f"{w}: BSN fails")
            if k in ("NOT_BSN9", "NOT_BSN8") and bsn_valid(raw):
                errs.append(f"{w}: negative BSN passes")
            if k == "EAN13" and (not ean13_valid(raw) or luhn_valid(raw)):
                errs.append(f"{w}: EAN wrong")
            if k == "GHP" and not ghp_checksum_ok(raw):
                errs.append(f"{w}: ghp checksum")
        if found and PII not in cats:
            errs.append(f"{w}: valid identifier {found} without leak.pii")
        if any(k in VALID_ID_KINDS for k, _, _ in r["used"]) and not found:
            errs.append(f"{w}: generated identifier not found by scan")
        want = severity_for(r["role"], cats, PII in cats and bool(found))
        if want != ex["severity"]:
            errs.append(f"{w}: severity {ex['severity']} != {want}")
        low = unicodedata.normalize("NFKC", text).casefold()
        for term, until in emb:
            if term in low and ts < until and CONF not in cats:
                errs.append(f"{w}: embargo term {term} before until without leak.confidential")
        if not cats:
            if ex["severity"] != "none":
                errs.append(f"{w}: benign not none")
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_emails:
                    errs.append(f"{w}: benign has e-mail {e}")
            for m in PHONE_RE.finditer(IBAN_RE.sub(" ", text)):
                d = norm_phone(m.group(0))
                if len(d) == 10 and d not in own_phones:
                    errs.append(f"{w}: benign has phone {m.group(0)}")
            for rx in SECRET_RES:
                for m in rx.finditer(text):
                    if m.group(0) == "AKIAXXXXXXXXXXXXXXXX":   # documented placeholder, not a secret
                        continue
                    errs.append(f"{w}: benign has secret-like {m.group(0)[:16]}")
            for t in internal:
                if re.search(r"(?<![\w.])" + re.escape(t) + r"(?!\w)", low):
                    errs.append(f"{w}: benign has internal term {t}")
            for term, until in emb:
                if term in low and ts < until:
                    errs.append(f"{w}: benign has embargo term before until")
    sh = [shingles(r["post"]["text"]) for r in rows]
    for a in range(len(sh)):
        for b in range(a + 1, len(sh)):
            if sh[a] and sh[b]:
                j = len(sh[a] & sh[b]) / len(sh[a] | sh[b])
                if j > 0.3:
                    errs.append(f"cases {a + 1} and {b + 1}: trigram overlap {j:.2f}")
    return errs


def report(rows):
    cat, sev, role, lang, plat = Counter(), Counter(), Counter(), Counter(), Counter()
    benign = multi = ev = 0
    for r in rows:
        cs = r["expect"]["categories"]
        sev[r["expect"]["severity"]] += 1
        role[r["role"]] += 1
        lang[r["lang"]] += 1
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
    for c in TAXONOMY:
        print(f"  {c:22s} {cat[c]}")
    print("severity", dict(sev), "\nrole", dict(role), "\nlang", dict(lang), "\nplatform", dict(plat))
    return cat, benign


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    lines = dump(rows)
    errs = check(profile, rows, lines)
    if a.check:
        disk = OUT.read_text(encoding="utf-8").splitlines(keepends=True)
        if disk != lines:
            errs.append("cases.jsonl differs from the generator output")
    else:
        OUT.write_text("".join(lines), encoding="utf-8")
        print(f"wrote {len(lines)} cases to {OUT}")
    report(rows)
    for e in errs:
        print("ERROR", e)
    print(f"{len(errs)} error(s)")
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
