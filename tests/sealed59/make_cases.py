#!/usr/bin/env python3
"""Deterministic generator for the sealed59 evaluation set of postwatch.

    python3 make_cases.py            # (re)write cases.jsonl next to this file
    python3 make_cases.py --check    # regenerate in memory, compare with cases.jsonl,
                                     # validate every line and print counts

The company is the fictional regional hospital "Stichting Ziekenhuis Vechtkamp"
(profile.yaml in this folder). All post texts are hand-written in the CASES list
below. Identifiers and secrets come from placeholders such as <<IBAN_NL>> that a
seeded RNG fills in, so the output is byte-for-byte reproducible. Labelled positives
get checksum-VALID identifiers (IBAN mod-97, Luhn, BSN 11-proof); hard negatives get
look-alikes that FAIL their checksum. Secrets are random and fake but shaped like the
real formats (GitHub tokens carry a correct CRC32 checksum).

Severity is never typed by hand: it is computed from CONTRACT section 4 from the
account role (profile.yaml, platform:handle, case-insensitive), the categories and
whether a checksum-validated identifier (IBAN, card, BSN) is in a leak.pii post.
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

SEED = 59_2026_0915
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
CYR = str.maketrans({"e": "\u0435", "a": "\u0430", "o": "\u043e", "c": "\u0441"})  # Latin -> Cyrillic look-alikes


def fullwidth(s):
    return "".join("\u3000" if ch == " " else chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in s)


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


def luhn_valid(s):
    d = [int(c) for c in re.sub(r"\D", "", s)][::-1]
    if not d:
        return False
    tot = sum(x if i % 2 == 0 else (x * 2 - 9 if x * 2 > 9 else x * 2) for i, x in enumerate(d))
    return tot % 10 == 0


def luhn_finish(prefix):
    for c in "0123456789":
        if luhn_valid(prefix + c):
            return prefix + c
    raise AssertionError(prefix)


def elfproef(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    tot = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return tot != 0 and tot % 11 == 0


# ---------------------------------------------------------------------------
# seeded generators for placeholders
# ---------------------------------------------------------------------------

ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"
HEXL = "0123456789abcdef"


def to_b62(n):
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

    def digits(self, n, lead_nonzero=True):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        if lead_nonzero and s[0] == "0":
            s = self.r.choice("123456789") + s[1:]
        return s

    def pick(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    @staticmethod
    def grp(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    # IBANs -------------------------------------------------------------------
    def iban_nl(self):
        bank = self.r.choice(["RABO", "INGB", "ABNA", "SNSB", "ASNB", "KNAB", "BUNQ", "TRIO", "RBRB"])
        return iban_build("NL", bank + self.digits(10))

    def iban_de(self):
        return iban_build("DE", self.r.choice(["26550105", "28050100", "44050199", "36050105"]) + self.digits(10, False))

    def iban_be(self):
        first = self.r.choice(["063", "143", "310", "734", "001"]) + self.digits(7, False)
        return iban_build("BE", f"{first}{int(first) % 97 or 97:02d}")

    def bad_iban_nl(self):
        v = self.iban_nl()
        for k in (7, 19, 31, 44, 58):
            cand = f"NL{(int(v[2:4]) + k) % 100:02d}{v[4:]}"
            if not iban_valid(cand):
                return cand
        raise AssertionError

    # cards --------------------------------------------------------------------
    def card(self, brand):
        if brand == "visa":
            return luhn_finish("4" + self.digits(14, False))
        if brand == "mc":
            return luhn_finish("5" + self.r.choice("12345") + self.digits(13, False))
        if brand == "mc2":
            return luhn_finish(str(self.r.randint(2221, 2720)) + self.digits(11, False))
        if brand == "amex":
            return luhn_finish(self.r.choice(["34", "37"]) + self.digits(12, False))
        raise ValueError(brand)

    def bad_number16(self):
        while True:
            s = self.digits(16)
            if not luhn_valid(s):
                return s

    @staticmethod
    def fmt_card(v, style):
        if style == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if style == "dash" else " ").join(parts)

    # BSN-ish ------------------------------------------------------------------
    def bsn(self):
        while True:
            s = self.digits(9)
            if elfproef(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.digits(n)
            if not elfproef(s) and not luhn_valid(s):
                return s

    def passport_nl(self):
        letters = "ABCDEFGHIJKLMNPQRSTUVWXYZ"  # no O in Dutch document numbers
        return self.pick(letters, 2) + self.pick(letters + string.digits, 6) + self.pick(string.digits, 1)

    # phones -------------------------------------------------------------------
    def phone(self, fmt):
        if fmt.startswith("mob"):
            d8 = self.r.choice("12345") + self.digits(7, False)
            return {
                "mob_dash": f"06-{d8}",
                "mob_plain": f"06{d8}",
                "mob_sp": f"06 {d8[:2]} {d8[2:4]} {d8[4:6]} {d8[6:]}",
                "mob_intl_sp": f"+31 6 {d8[:4]} {d8[4:]}",
                "mob_intl0": f"+31 (0)6 {d8}",
                "mob_0031": f"0031 6{d8}",
            }[fmt]
        area, sub = self.r.choice([("529", 6), ("38", 7), ("548", 6), ("523", 6), ("572", 6), ("53", 7)])
        s = self.r.choice("23456789") + self.digits(sub - 1, False)
        if fmt == "land_sp":
            return f"0{area} {s[:2]} {s[2:4]} {s[4:]}" if sub == 6 else f"0{area} {s[:3]} {s[3:]}"
        if fmt == "land_dash":
            return f"0{area}-{s}"
        raise ValueError(fmt)

    # secrets ------------------------------------------------------------------
    def ghp(self):
        body = self.pick(ALNUM, 30)
        return "ghp_" + body + to_b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def aws_id(self):
        return "AKIA" + self.pick("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)

    def aws_secret(self):
        return self.pick(B64, 40)

    def slack_bot(self):
        return f"xoxb-{self.digits(12)}-{self.digits(13)}-{self.pick(ALNUM, 24)}"

    def mollie(self):
        return "live_" + self.pick(ALNUM, 30)

    def gapi(self):
        return "AIza" + self.pick(B64URL, 35)

    def sendgrid(self):
        return "SG." + self.pick(B64URL, 22) + "." + self.pick(B64URL, 43)

    def twilio_sid(self):
        return "AC" + self.pick(HEXL, 32)

    def rbytes(self, n):
        return bytes(self.r.randrange(256) for _ in range(n))

    def azure_key(self):
        return base64.b64encode(self.rbytes(64)).decode()  # 88 chars ending in ==

    def jwt(self):
        h = b64url(b'{"alg":"RS256","typ":"JWT","kid":"mvk-2026-03"}')
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        p = b64url(json.dumps({"sub": "pat-" + self.digits(7), "iss": "https://mijn.vechtkamp.nl",
                               "scope": "portal.read", "iat": iat, "exp": iat + 3600},
                              separators=(",", ":")).encode())
        return f"{h}.{p}.{self.pick(B64URL, 86)}"

    def pem_ec(self):
        """SEC1 DER shape of a P-256 key: 121 bytes, private scalar and public point random."""
        der = (bytes.fromhex("30770201010420") + self.rbytes(32)
               + bytes.fromhex("a00a06082a8648ce3d030107a14403420004") + self.rbytes(64))
        b = base64.b64encode(der).decode()
        return ("-----BEGIN EC PRIVATE KEY-----\n" + "\n".join(b[i:i + 64] for i in range(0, len(b), 64))
                + "\n-----END EC PRIVATE KEY-----")

    def password(self):
        return (self.r.choice(string.ascii_uppercase) + self.pick(string.ascii_lowercase, 4)
                + self.pick(string.digits, 3) + self.r.choice("!#*$-_") + self.pick(ALNUM, 4))

    def hexs(self, n):
        return self.pick(HEXL, n)


VALID_ID_KINDS = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "CARD", "BSN"}
NEG_ID_KINDS = {"BAD_IBAN_NL", "BAD_NUM16", "NOT_BSN9", "NOT_BSN8"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(gen, text):
    used = []

    def sub(m):
        kind, fmt = m.group(1), m.group(2) or ""
        if kind in ("IBAN_NL", "IBAN_DE", "IBAN_BE"):
            raw = getattr(gen, kind.lower())()
            shown = gen.grp(raw) if fmt == "grp" else raw
        elif kind == "BAD_IBAN_NL":
            raw = gen.bad_iban_nl()
            shown = gen.grp(raw) if fmt == "grp" else raw
        elif kind == "CARD":
            brand, _, style = fmt.partition("_")
            raw = gen.card(brand)
            shown = gen.fmt_card(raw, style or "sp")
        elif kind == "BAD_NUM16":
            raw = gen.bad_number16()
            shown = raw
        elif kind == "BSN":
            raw = gen.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if fmt == "dots" else raw
        elif kind == "NOT_BSN9":
            shown = raw = gen.not_bsn(9)
        elif kind == "NOT_BSN8":
            shown = raw = gen.not_bsn(8)
        elif kind == "PASSPORT":
            shown = raw = gen.passport_nl()
        elif kind == "PHONE":
            shown = raw = gen.phone(fmt)
        elif kind == "GHP":
            shown = raw = gen.ghp()
        elif kind == "AWS_ID":
            shown = raw = gen.aws_id()
        elif kind == "AWS_SECRET":
            shown = raw = gen.aws_secret()
        elif kind == "SLACK_BOT":
            shown = raw = gen.slack_bot()
        elif kind == "MOLLIE":
            shown = raw = gen.mollie()
        elif kind == "GAPI":
            shown = raw = gen.gapi()
        elif kind == "SENDGRID":
            shown = raw = gen.sendgrid()
        elif kind == "TWILIO_SID":
            shown = raw = gen.twilio_sid()
        elif kind == "AZURE_KEY":
            shown = raw = gen.azure_key()
        elif kind == "JWT":
            shown = raw = gen.jwt()
        elif kind == "PEM_EC":
            shown = raw = gen.pem_ec()
        elif kind == "PW":
            shown = raw = gen.password()
        elif kind == "HEX":
            shown = raw = gen.hexs(int(fmt))
        else:
            raise KeyError(kind)
        used.append((kind, raw, shown))
        return shown

    return PH.sub(sub, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

# corporate
VK_X = ("x", "@vechtkamp_zkh", "Ziekenhuis Vechtkamp")
VK_HELP = ("x", "@mijnvechtkamp_hulp", "MijnVechtkamp Helpdesk")
VK_FB = ("facebook", "ZiekenhuisVechtkamp", "Ziekenhuis Vechtkamp")
VK_IG = ("instagram", "@ziekenhuisvechtkamp", "Ziekenhuis Vechtkamp")
VK_LI = ("linkedin", "ziekenhuis-vechtkamp", "Stichting Ziekenhuis Vechtkamp")
VK_FONDS = ("instagram", "@vechtkampfonds", "Vechtkamp Fonds")
# employees
LOTTE = ("x", "@lotte_ic_vk", "Lotte Hendriks")
RUBEN = ("linkedin", "ruben-mulder-vechtkamp", "Ruben Mulder")
AYSE = ("x", "@dr_aysedemir", "Ayşe Demir")
MARLOES = ("linkedin", "marloes-kuipers-fin", "Marloes Kuipers")
BAS = ("threads", "@bas.wijnen", "Bas Wijnen")
JORIS = ("x", "@joris_facilitair", "Joris Kamphuis")
NOOR = ("instagram", "@nurse.noor.vk", "Noor El Idrissi")
HJ = ("linkedin", "henk-jan-bosman", "Henk-Jan Bosman")
THIJS = ("x", "@thijs_codeert", "Thijs Veenstra")
NACHT = ("reddit", "u/nachtdienst_vk", None)


def pub(platform, handle, display_name=None):
    return (platform, handle, display_name)


CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    platform, handle, dn = acct
    if handle_as is not None:
        handle = handle_as
    CASES.append(dict(lang=lang, platform=platform, handle=handle, display_name=dn, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii",
                                        "leak.confidential", "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

# ===========================================================================
# leak.pricing
# ===========================================================================
case("en", THIJS, "welp. pushed the new tariff table and the Gezondheidscheck Compleet now shows €4,95 on "
     "afspraken.vechtkamp.nl 🙃\nrollback running, pls nobody book it in the next 20 min", [PRICING])
case("nl", pub("forum", "Pretecho_Mama"), "[Prijsfout?] 3D pretecho bij Ziekenhuis Vechtkamp voor € 8,90\n\n"
     "Normaal kost ie €89 dus er mist een nulletje denk ik 😅 Heb er meteen eentje geboekt voor week 28. "
     "Iemand ervaring of ze zoiets gewoon doorzetten?", [PRICING])
case("nl", pub("facebook", "dewi.scholten.12", "Dewi Scholten"), "Klopt dit?? Kraamsuite Comfort bij Vechtkamp "
     "voor €29,50 per nacht staat er op de site. Bij onze eerste hebben we bijna 300 per nacht betaald!! "
     "Weet iemand of dat een fout is", [PRICING], kind="comment")
case("nl", VK_IG, "🏃‍♀️🚴 Sporter? Check je hart en conditie met ons Sportmedisch Onderzoek Basis, nu voor "
     "€18,90! Boek via vechtkamp.nl/sport\n#sportkeuring #vechtkamp #ommen", [PRICING])
case("nl", JORIS, "Hahaha de automaat bij de hoofdingang verkoopt de parkeerweekkaart voor €2,75 ipv €27,50 🤦‍♂️ "
     "komma verschoven bij de update. Monteur komt pas morgen dus ik zeg lekker niks 🤐", [PRICING])
case("en", pub("reddit", "u/eyes_on_ommen"), "Vechtkamp hospital lists LASIK at €145 on their site right now. "
     "Pricing glitch or are they just desperate for patients? Booked an intake anyway, we'll see if they "
     "honour it lol", [PRICING])
case("nl", BAS, "collega's van oogheelkunde: er staat een f o u t i e v e  p r i j s bij de ooglaserbehandeling "
     "in het portaal, de telefoon staat hier roodgloeiend. niet doorsturen pls", [PRICING],
     tags=["evasion", "evasion:spaced"])
case("nl", pub("x", "@gratisgerrit"), "Gezondheidscheck Compleet voor 49 euro bij " + "Vechtkamp".translate(CYR)
     + "?? zal wel een prijsfout zijn maar ik heb 'm voor m'n pa en ma allebei besteld 😂", [PRICING],
     tags=["evasion", "evasion:homoglyph"])
case("nl", pub("instagram", "@mamaworden2026"), "Net onze pretecho geboekt voor €4,45 😂😂 iemand bij Vechtkamp "
     "heeft zitten slapen, normaal is ie €89!\n#zwanger #pretecho #15weken", [PRICING])
case("nl", MARLOES, "Korte terugblik op een hectisch weekend: door een fout in de tariefkoppeling stond de "
     "Kraamsuite Comfort drie dagen voor €2,95 per nacht in ons boekingssysteem. 14 boekingen voordat het "
     "werd opgemerkt. Les geleerd: vier-ogenprincipe bij tariefwijzigingen, óók in het weekend.", [PRICING])
case("en", THIJS, "LASIK is €14,50 on the portal since this morning's deploy 🫠 tracking it in "
     "topdesk.vechtkamp.nl/tas/secure/incident?unid=<<HEX:12>>, fix goes in after the change board on thu",
     [PRICING, CONF])
case("en", pub("threads", "@hockey_fien"), "sportmedisch onderzoek at Vechtkamp for 9 euros??? typo surely. "
     "grabbed 2 slots for me and my brother before they notice 🏑", [PRICING])

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", RUBEN, "Week 3 of moving our archive storage to the cloud ✅\nFor anyone curious how simple the "
     "hookup is:\n\nDefaultEndpointsProtocol=https;AccountName=vkarchief01;AccountKey=<<AZURE_KEY>>;"
     "EndpointSuffix=core.windows.net\n\nProud of this team! #healthIT #azure", [SECRET])
case("en", THIJS, "twilio keeps bouncing our appointment reminder SMS with error 20003 🤯 creds look fine to "
     "me??\nSID <<TWILIO_SID>>\ntoken <<HEX:32>>\nanyone?", [SECRET])
case("nl", RUBEN, "Wie heeft ervaring met timeouts op een HL7-koppeling? Dit is onze connectiestring:\n"
     "Server=hix-sql02.vechtkamp.local;Database=KOPPEL_PROD;User Id=svc_hl7;Password=<<PW>>;\n"
     "Alle tips welkom 🙏", [SECRET, CONF], handle_as="Ruben-Mulder-Vechtkamp")
case("nl", LOTTE, f"voor alle nieuwe collega's op de IC 👋 het w{ZW}achtwoord van de personeels-wifi is <<PW>> "
     "(hoofdlettergevoelig!!) succes met jullie eerste dienst 💙", [SECRET],
     tags=["evasion", "evasion:zero-width"])
case("nl", HJ, "Zo bouwden we in één weekend de nieuwe donatiepagina van het Vechtkamp Fonds 🚀 De "
     "Mollie-koppeling is letterlijk drie regels:\n\nconst mollie = createMollieClient({ apiKey: '<<MOLLIE>>' });"
     "\n\nDank aan alle vrijwilligers die meebouwden!", [SECRET])
case("en", THIJS, "git clone https://<<GHP>>@github.com/vechtkamp/portal-frontend.git\n^ why does this 403 on "
     "the build agent but work fine on my laptop 😤", [SECRET])
case("nl", pub("reddit", "u/scriptkiddo_zwolle"), "Lol, de parkeerapp van Vechtkamp heeft gewoon een Google Maps "
     "key in de frontend hangen: <<GAPI>>\nGratis kaartjes voor iedereen 🗺️", [SECRET], kind="comment")
case("en", pub("forum", "portal_tinkerer"), "Trying to figure out why MijnVechtkamp logs me out every few "
     "minutes. This is the token it hands me after login:\n<<JWT>>\nExpiry looks fine?? Super annoying when "
     "you're halfway through a form.", [SECRET, COMPLAINT])
case("en", THIJS, "debug log from the mail service, spot the problem 🙈\n[mailer] init provider=sendgrid "
     "key=<<SENDGRID>>\n[mailer] 401 Unauthorized", [SECRET])
case("en", THIJS, "can someone explain why openssl says 'unable to load key' 🥲\n\n<<PEM_EC>>", [SECRET],
     kind="reply")
case("nl", JORIS, "Slack-bot voor de slagboommeldingen doet het weer! Token voor wie 'm ook in z'n kanaal wil: "
     "<<SLACK_BOT>> 🚗🅿️", [SECRET])
case("en", pub("x", "@cloudsnoop"), "Vendor building the Vechtkamp hospital parking app left this in a public "
     "gist 🤦\naws_access_key_id = <<AWS_ID>>\naws_secret_access_key = <<AWS_SECRET>>", [SECRET])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", LOTTE, "Gefeliciteerd meneer Gerrit Pasman (bed 6), vandaag 85 geworden, geboren 12-04-1941 🎂 ook "
     "op de IC vieren we het leven 💙", [PII], when="2026-04-12T15:22:10+02:00")
case("nl", VK_HELP, "@m_vanderlinde Excuses voor het ongemak! We hebben uw dossier (BSN <<BSN:dots>>) inmiddels "
     "aan de juiste huisarts gekoppeld. Fijne dag!", [PII], kind="reply")
case("nl", BAS, "wie kan me helpen, deze mevrouw staat 3x dubbel in de agenda: Johanna Smit-Wolters, geb. "
     "03-03-1958, Kerkstraat 14, Dalfsen. welke moet ik houden??", [PII])
case("nl", pub("facebook", "ria.bosch.dalfsen", "Ria Bosch"), "Al TWEE weken wacht ik op een terugbelverzoek van "
     "de poli cardiologie van Vechtkamp. Mijn nummer is <<PHONE:mob_dash>>, bel me nou gewoon even!! 😡",
     [PII, COMPLAINT])
case("en", pub("x", "@klaus_on_tour"), "Vechtkamp invoiced me twice for the same ED visit (holiday, bike crash 🙄). "
     "Refund please to <<IBAN_DE:grp>>, K. Berger", [PII, COMPLAINT], hint="de")
case("nl", pub("instagram", "@joke.geeft"), "Net €50 gedoneerd aan @vechtkampfonds voor de kinderafdeling 💛 maar "
     "waarom is het 2x afgeschreven van mijn creditcard <<CARD:visa_sp>>??", [PII, COMPLAINT])
case("nl", NOOR, "Welkom op de wereld lieve Fenna van Dijk, geboren 14-02-2026 om 03:12 🌸 de hele afdeling is "
     "verliefd 💕\n#valentijnsbaby #nurselife", [PII], when="2026-02-14T11:40:03+01:00")
case("nl", MARLOES, "Trots op ons team salarisadministratie! Even een kijkje achter de schermen 📊\n(screenshot: "
     "'Mutatie rekeningnummer medewerker 10482 → <<IBAN_NL:grp>> t.n.v. P. Koster')", [PII])
case("nl", pub("x", "@vechtdalvent"), "Die arrogante chirurg Van Harten woont gewoon op de Vechtweg 22 in Ommen, ga "
     "maar eens langs bij die klootzak", [PII, ABUSE])
case("en", pub("reddit", "u/backpack_rosa"), "Admitted to Vechtkamp after a hiking fall. Admin wants my passport "
     "number (<<PASSPORT>>) and a callback number, which is <<PHONE:mob_intl_sp>>. Can I just post it here "
     "for them? lol", [PII])
case("nl", JORIS, "Eigenaar van de grijze Golf op de ambulance-opstelplaats: verzetten AUB! We hebben je nummer uit "
     "de parkeerregistratie (<<PHONE:mob_intl0>>) maar je neemt niet op 😤", [PII])
case("nl", pub("x", "@dirkjan_hdb"), "Parkeerautomaat Vechtkamp weigert al 3x mijn pas. Kaartnummer "
     "<<CARD:mc_dash>>, is die nou geblokkeerd of ligt het aan jullie?? sta hier al 20 min", [PII, COMPLAINT])
case("nl", pub("facebook", "sanne.vos.84", "Sanne Vos"), "Voor wie mij nog moet hebben na de bijeenkomst van de "
     "patiëntenraad bij Vechtkamp: sanne.vos84 [at] hotmail [punt] com 👋", [PII],
     tags=["evasion", "evasion:email-obfuscated"])
case("nl", NACHT, "Vraagje aan collega's: patiënte met BSN <<BSN>> staat twee keer in HiX met een ander "
     "geboortejaar. Wie mag dat samenvoegen? Afdeling zegt poli, poli zegt afdeling 🙄", [PII])
case("nl", pub("x", "@belgische_bart"), "Factuur SEH al op 2 mei betaald vanaf <<IBAN_BE:grp>> en nu krijg ik een "
     "aanmaning van Vechtkamp?! Belgen zijn blijkbaar tweederangs patiënten", [PII, COMPLAINT])
case("nl", VK_FB, "Beste Kees, vervelend om te lezen! We hebben u zojuist gemaild op kees.vandam1962@gmail.com. "
     "Groet, team Patiëntenservice", [PII], kind="reply")
case("en", pub("x", "@henk_lubbers"), "Lost my wallet in the main hall at Vechtkamp this morning 😩 if you find it "
     "please call me on <<PHONE:land_sp>>, Henk Lubbers. Reward!", [PII])

# ===========================================================================
# leak.confidential
# ===========================================================================
case("nl", LOTTE, "Heliotroop gaat in november live zeggen ze. De oefenomgeving crasht nu al 3x per dienst, "
     "succes ermee 😬", [CONF])
case("en", RUBEN, "Nice milestone: the acceptance environment of our new EHR is up! 🎉 Colleagues can test via "
     "https://epd-acc01.vechtkamp.local/login — feedback to me please.", [CONF])
case("nl", BAS, "nieuwe dienstrooster staat op rooster.vechtkamp.nl/planning/2026/wk14 👀 wie wil er zaterdag "
     "ruilen, ik heb een bruiloft 💍", [CONF], when="2026-03-19T21:04:44+01:00")
case("en", AYSE, "Project Zandloper promises nobody waits longer than 2h in our ED by summer. I'll believe it when "
     "I see it 🙄 #emergencymedicine", [CONF])
case("nl", HJ, "Alleen voor intern gebruik, maar ik kan het niet laten: we hebben groen licht voor het familiehuis "
     "naast de kinderafdeling! Bouw start in het voorjaar 🏡", [CONF])
case("en", pub("reddit", "u/vechtdal_local"), "A friend who works at Vechtkamp says they're in merger talks with "
     "Lindeoord, internally it's called Operatie Kompas. Expect the Dalfsen clinic to close.", [CONF, FIN])
case("nl", MARLOES, "Drukke weken met Operatie Kompas. Het boekenonderzoek bij onze fusiepartner loopt, hopelijk "
     "voor de zomer een intentieverklaring. Meer kan ik (nog) niet zeggen 😉", [CONF, FIN])
case("nl", NOOR, "Spannend! Straks verhuizen onze kleine hartpatiëntjes naar het Hartcentrum Vechtdal 💓 nog "
     "even geheimhouden hè 🤫", [CONF], when="2026-08-21T19:12:00+02:00")
case("nl", VK_LI, "Vandaag openen wij officieel het Hartcentrum Vechtdal: hartzorg dichtbij huis voor de hele "
     "regio ❤️ Lees meer op vechtkamp.nl/hartcentrum", [CONF], when="2026-09-15T09:59:00+02:00",
     tags=["embargo-boundary"])
case("nl", pub("facebook", "gerda.lamberts", "Gerda Lamberts"), "Hoor ik nou goed dat er een Hartcentrum Vechtdal "
     "komt bij Vechtkamp? Mijn nicht werkt op de cardiologie en had het erover. Goed nieuws als het klopt!",
     [CONF], when="2026-09-01T10:31:27+02:00")
case("nl", LOTTE, "Eindelijk de planning voor Project\nZandloper gezien. SEH krijgt een extra triagekamer en wij van "
     "de IC nul komma nul 🙃", [CONF], tags=["evasion", "evasion:linebreak"])
case("nl", NACHT, "Iedereen op de gang fluistert over Operatie 🧭 Kompas maar niemand weet wat het is. Iemand?",
     [CONF], tags=["evasion", "evasion:emoji"])
case("en", THIJS, "[VECHTKAMP INTERN] new portal design system is looking 🔥 sneak peek of the login screen "
     "below 👇", [CONF])
case("nl", JORIS, "MT-vertrouwelijk, dus je hebt het niet van mij: P2 gaat vanaf maart dicht voor de nieuwbouw 🚧 "
     "succes met parkeren allemaal", [CONF])
case("en", THIJS, f"long night on Helio{ZW}troop again. mapping 400 lab codes by hand, send coffee ☕", [CONF],
     tags=["evasion", "evasion:zero-width"])
case("nl", pub("instagram", "@lotte_ic_vk"), "Net de training voor Heliotroop gehad, 4 uur klikken 😵‍💫 #zorg "
     "#epd", [CONF], tags=["handle-other-platform"])

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", MARLOES, "Laatste loodjes van het boekjaar. Onze jaarcijfers 2026 gaan een tekort van ruim €4 miljoen "
     "laten zien, vooral door inhuur van personeel. Niet het verhaal dat we in april willen vertellen...",
     [FIN, CONF], when="2026-12-03T08:47:51+01:00")
case("nl", LOTTE, "Net teamoverleg gehad: de IC gaat volgend jaar van 12 naar 8 bedden. Officieel weet nog niemand "
     "het, de OR moet nog advies geven. Ik ben er kapot van 💔", [FIN])
case("en", AYSE, "Heard it straight from the board: our ED will close at night from 2027 on. The announcement is "
     "being held back until after the municipal elections. Unreal.", [FIN])
case("nl", pub("x", "@ommenaar74"), "Schoonzus werkt bij Vechtkamp: 40 banen weg bij de administratie, wordt pas "
     "na de zomer bekendgemaakt. Zo gaan ze dus met hun mensen om", [FIN])
case("nl", HJ, "Tussenstand die ik eigenlijk nog niet mag delen: het Fonds loopt €1,2 mln achter op de begroting "
     "en het voorjaarsgala gaat niet door. Het bestuur communiceert in juni.", [FIN])
case("nl", BAS, f"30 collega's van het afsprakenbureau krijgen volgende week een boventalligheidsbrief. de "
     f"reorgani{SHY}satie is nog niet aangekondigd dus sst 🤫", [FIN], tags=["evasion", "evasion:soft-hyphen"])
case("en", THIJS, "all-hands today: ICT gets outsourced to an external vendor by Q2 2027, about 25 FTE affected. "
     "not public yet so you didn't hear it here 🫢", [FIN])
case("en", RUBEN, "The 2027 ICT budget is being cut by 35%, three projects go on ice. Officially only after next "
     "month's works council meeting, so keep it to yourselves.", [FIN])
case("nl", pub("facebook", "wilma.ter.brugge", "Wilma ter Brugge"), "Mijn moeder is verpleegkundige in Dalfsen en "
     "zegt dat de poli daar eind 2027 dichtgaat. Wordt pas in januari bekendgemaakt. Waar moeten al die "
     "ouderen dan heen?", [FIN], kind="comment")
case("nl", NOOR, "Kinderafdeling moet 6 bedden inleveren, volgende maand pas officieel. Ik snap er echt niks van 😢 "
     "#zorgbezuinigingen", [FIN])
case("en", MARLOES, "Sneak preview of our annual results 2026: margin well below 1% and the bank covenant is getting "
     "tight. Not public until spring, but it has been a tough year for Dutch hospitals.", [FIN, CONF],
     when="2026-11-20T17:05:12+01:00")

# ===========================================================================
# leak.security
# ===========================================================================
case("en", RUBEN, "Rough night behind us. Ransomware on two lab servers, we're running on downtime procedures and "
     "results go out by courier. Can't say more yet, a press release will follow later.", [SEC])
case("nl", LOTTE, "EPD ligt er al sinds 6 uur vanochtend uit, alles op papier en de ambulances worden omgeleid "
     "naar Zwolle. Naar buiten toe is er nog niks gezegd 🤐", [SEC])
case("en", AYSE, "Radiology PACS has been down for 9 hours, we're reading CTs on a laptop in the corridor. "
     "Officially it's 'scheduled maintenance' lol", [SEC])
case("en", THIJS, "found an IDOR in our patient portal today: change the id in /api/results/ and you see someone "
     "else's lab results. hotfix not before monday 😬", [SEC])
case("nl", NACHT, "Phishingmail 'uw salarisstrook staat klaar' is bij honderden collega's binnengekomen en minstens "
     "20 hebben hun inlog ingevuld. ICT houdt het stil.", [SEC])
case("nl", BAS, "klein d a t a l e k bij ons: 200 afspraakbrieven naar de verkeerde adressen gestuurd. nog niet "
     "gemeld bij de AP, leidinggevende zegt 'even afwachten'", [SEC], tags=["evasion", "evasion:spaced"])
case("nl", JORIS, "Parkeersysteem is vannacht gehackt, alle slagbomen staan open en de camera's zijn zwart. Van "
     "communicatie mogen we er niks over zeggen dus dit is geen tweet 😅", [SEC])
case("nl", AYSE, "Ik zeg niks maar volgens ICT zijn we geh4ckt. Telefooncentrale dood, EPD zo traag als dikke "
     "stroop. Succes iedereen vannacht", [SEC], tags=["evasion", "evasion:leet"])
case("nl", pub("x", "@waakzame_wim"), "Vechtkamp verzwijgt een datalek!! Buurman werkt bij hun ICT en zegt dat "
     "duizenden dossiers al weken online staan. Waarom hoor ik hier NIKS over?", [SEC, CRISIS])
case("en", pub("reddit", "u/concerned_in_ommen"), "Vechtkamp hospital is covering up a breach. My cousin in their "
     "IT team says the portal was compromised weeks ago and patients still haven't been told.", [SEC, CRISIS])
case("nl", NOOR, "Vannacht vielen alle monitoren op de kinderafdeling 40 minuten uit door een netwerkstoring. Er is "
     "nog niks gemeld en ik lig er wakker van", [SEC])
case("nl", HJ, "Het donatieplatform van het Fonds is gehackt, donateursgegevens zijn mogelijk buitgemaakt. Het "
     "bestuur wil eerst een intern onderzoek voordat we iets naar buiten brengen.", [SEC])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@vechtkamp_nieuws", "Vechtkamp Nieuws (geen officieel account)"), "Inspectie zet Ziekenhuis "
     "Vechtkamp onder verscherpt toezicht na drie overlijdens op de SEH. Dit is toch niet normaal meer "
     "#vechtkamp #igj", [CRISIS], kind="repost")
case("nl", pub("facebook", "anton.egberts", "Anton Egberts"), "Geen cent meer naar het Vechtkamp Fonds zolang die "
     "bestuursvoorzitter zijn bonus van twee ton houdt. Deel dit! #boycotvechtkamp", [CRISIS])
case("nl", pub("x", "@miriam_k"), "Iemand bij Vechtkamp heeft zonder reden in mijn dossier zitten kijken "
     "(logging opgevraagd!). Melding gedaan bij de AP. Dit is gewoon een datalek.", [CRISIS])
case("en", pub("x", "@regio_nieuws_en"), "Family sues Vechtkamp hospital after surgeons operated on the wrong knee "
     "of their 71-year-old father. Their lawyer says more patients are coming forward.", [CRISIS])
case("nl", pub("facebook", "petra.nijland", "Petra Nijland"), "Ik kreeg op afdeling 3B de medicatie van mijn "
     "buurvrouw op zaal. Twee dagen extra op de IC gelegen. Niemand zegt sorry, niemand belt. Vechtkamp, "
     "schaam je.", [CRISIS, COMPLAINT])
case("nl", pub("x", "@kersverse_mama"), "Legionella in de kranen van de kraamafdeling bij Vechtkamp en de moeders "
     "worden niet eens gewaarschuwd?!", [CRISIS])
case("nl", pub("blog", "zorgwaakhond.nl"), "Terugroepactie heupprothese: Vechtkamp plaatste het model ruim 300 "
     "keer. Wat betekent dit voor patiënten? Een overzicht van wat we weten.", [CRISIS])
case("nl", pub("x", "@ikzegwatikdenk"), "V3chtk4mp sch4ndaal: 'arts' zonder BIG-registratie werkte twee jaar op de "
     "SEH. Hoe dan?!", [CRISIS], tags=["evasion", "evasion:leet"])
case("en", pub("reddit", "u/angry_son_ommen"), "My dad fell out of bed at Vechtkamp, broke his hip, and nobody "
     "noticed for five hours. Filing a formal complaint and talking to a lawyer.", [CRISIS, COMPLAINT])
case("nl", pub("tiktok", "@zorgschandalen"), "Verpleegkundige van Vechtkamp filmde patiënten op de SEH en zette het "
     "gewoon online 🤢 schandalig, hoe kan dit", [CRISIS])
case("nl", pub("x", "@jannes_ommen"), "Brand op de OK van Vechtkamp, patiënten geëvacueerd via de trappen 😳 hoop "
     "dat iedereen ok is", [CRISIS])
case("nl", pub("facebook", "roelof.dekker.3", "Roelof Dekker"), "Ze laten mensen gewoon creperen op de gang bij "
     "Vechtkamp. Stelletje moordenaars, boycot dat ziekenhuis!!", [CRISIS, ABUSE])
case("en", pub("mastodon", "@watchdog@mastodon.nl"), "Vechtkamp's foundation spent donor money on a board retreat in "
     "Portugal, according to leaked minutes. Unbelievable scandal.", [CRISIS])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@pols_in_gips"), "5 uur. VIJF UUR op de SEH bij Vechtkamp met een gebroken pols 😩 en dan "
     "nog steeds 'u bent zo aan de beurt'\n#wachttijden", [COMPLAINT])
case("nl", pub("facebook", "ingrid.wolters.7", "Ingrid Wolters"), "Voor de derde keer is mijn afspraak bij de "
     "KNO-poli verzet. Drie keer vrij genomen van werk. Vechtkamp, hoe moeilijk kan het zijn?", [COMPLAINT])
case("nl", pub("x", "@gert_r"), "@mijnvechtkamp_hulp inloggen met DigiD werkt al een week niet, ik kom steeds "
     "terug op het beginscherm. Ik wil gewoon mijn uitslagen zien", [COMPLAINT], kind="reply")
case("nl", pub("facebook", "marian.ten.hove", "Marian ten Hove"), "€2,40 per uur parkeren terwijl je moeder op de "
     "palliatieve unit ligt. Elke dag. Dat is toch geen beleid, Vechtkamp", [COMPLAINT])
case("en", pub("x", "@expat_in_ommen"), "barrier at P1 Vechtkamp is broken AGAIN, been stuck for 35 min and nobody "
     "answers the intercom 🙄🚗", [COMPLAINT])
case("en", pub("reddit", "u/billedtwice"), "Got billed twice for the same outpatient visit at Vechtkamp. Called "
     "three times, every time 'we'll look into it'. Anyone had any luck getting a refund?", [COMPLAINT])
case("nl", pub("zorgkaart", "anoniem-8841"), "Baliemedewerker bij de poli dermatologie was ronduit onbeschoft, "
     "zuchtte en rolde met haar ogen toen ik een vraag stelde. 2/10 voor Vechtkamp.", [COMPLAINT],
     tags=["unknown-platform"])
case("en", pub("instagram", "@lena.eats.nl"), "So this was my 'hot meal' on ward 5 at Vechtkamp 🥶 ice-cold "
     "potatoes and limp beans. Seriously?\n#hospitalfood", [COMPLAINT])
case("nl", pub("x", "@chantal_b"), "Bel al 40 minuten naar 0529 46 21 11 en hang nog steeds in de wachtrij. Ik wil "
     "alleen maar een afspraak verzetten Vechtkamp!! ☎️😤", [COMPLAINT], tags=["own-contact"])
case("nl", pub("facebook", "johan.mensink", "Johan Mensink"), "16 weken wachten voor een knieoperatie bij "
     "Vechtkamp en ondertussen loop ik op krukken en kan ik niet werken. Fijn.", [COMPLAINT])
case("en", pub("reddit", "u/worried_daughter"), "Vechtkamp discharged my mum at 10pm with no transport and no "
     "meds. Back in the ED two days later. Ward staff were lovely but the discharge process is a shambles.",
     [COMPLAINT])
case("nl", pub("threads", "@evi.ziet.alles"), "ontslagbrief naar de huisarts is na 3 weken nog steeds niet "
     "verstuurd dus mijn herhaalrecept kan niet 🙃 goed bezig @ziekenhuisvechtkamp", [COMPLAINT])
case("en", pub("x", "@tom_from_leeds"), "Camping near Ommen, kid cut his foot, waited 4 hours at the Vechtkamp ED "
     "and nobody at reception would speak English or German with us. Not great for a holiday region.",
     [COMPLAINT])
case("en", pub("bluesky", "@kimvd.bsky.social"), "the MijnVechtkamp app crashes every single time I open my lab "
     "results. three updates, same bug.", [COMPLAINT])
case("nl", pub("x", "@geduld_op"), "3 uur in de wachtkamer en dan een arts die 2 minuten naar je kijkt. "
     "K*tziekenhuis, stelletje prutsers", [COMPLAINT, ABUSE], tags=["evasion", "evasion:masked"])
case("nl", pub("facebook", "hennie.slot", "Hennie Slot"), "Kankerzooi dat parkeren bij Vechtkamp, €2,40 per uur en "
     "de helft van de plekken is afgezet", [COMPLAINT, ABUSE])
case("nl", pub("x", "@stopbellen"), "Vechtkamp Fonds blijft me maar bellen voor een donatie terwijl ik al 3x heb "
     "gezegd dat ik wil stoppen. Nu echt klaar mee.", [COMPLAINT])
case("en", pub("youtube", "@MRIwaiter"), "Your 'patient experience' video is cute but I waited 7 weeks for an MRI "
     "appointment at Vechtkamp. Fix the waiting lists first.", [COMPLAINT], kind="comment")

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@hardewerker_ommen"), "Die dokter van de SEH van Vechtkamp is een arrogante klootzak, moet "
     "gewoon opzouten", [ABUSE])
case("en", pub("x", "@real_dutch_pride"), "Every doctor at Vechtkamp is a foreigner now. Go back to your own "
     "countries, we want Dutch doctors.", [ABUSE])
case("nl", pub("facebook", "kees.bolhuis", "Kees Bolhuis"), "Die k*tverpleegsters van Vechtkamp kunnen de pot op",
     [ABUSE], tags=["evasion", "evasion:masked"])
case("nl", LOTTE, "Patiënt van vannacht was echt een vuile tyfuslijer. Slaat mijn collega en vraagt dan om een "
     "extra deken. Sorry not sorry.", [ABUSE])
case("nl", VK_FB, "Met iemand die ons personeel zo uitscheldt praten we niet verder. Idioot.", [ABUSE],
     kind="reply")
case("nl", pub("x", "@nachtuil_666"), "Ik weet waar die triageverpleegkundige van Vechtkamp woont. Wacht maar tot ze "
     "vanavond thuiskomt.", [ABUSE])
case("en", pub("twitter", "@rage_quit_nl"), "fuck vechtkamp and fuck every overpaid manager in that building",
     [ABUSE])
case("nl", NACHT, "Onze nieuwe teamleider is echt een ongelofelijke trut. Nog nooit een nachtdienst gedraaid en ons "
     "vertellen hoe het moet.", [ABUSE])
case("en", pub("x", "@caps_lock_carl"), fullwidth("FUCK VECHTKAMP") + " 🖕", [ABUSE],
     tags=["evasion", "evasion:full-width"])
case("nl", pub("tiktok", "@balie_hater"), "kl00tzakken bij de balie van Vechtkamp, t3ring op met jullie regeltjes",
     [ABUSE], tags=["evasion", "evasion:leet"])
case("en", AYSE, "To the drunk idiots who headbutted our nurse tonight: you are scum.", [ABUSE])

# ===========================================================================
# benign (hard negatives and ordinary traffic)
# ===========================================================================
case("nl", VK_FONDS, "💛 Help mee aan een nieuwe speelkamer op de kinderafdeling! Doneer via NL03 RABO 0312 4567 89 "
     "t.n.v. Stichting Vechtkamp Fonds of op vechtkampfonds.nl 🧸\n#samensterk", tags=["own-contact"])
case("nl", VK_X, "Afspraak verzetten? Dat kan 24/7 via mijn.vechtkamp.nl of bel ons afsprakenbureau op "
     "0529 46 21 11 (ma-vr 8-17 uur).", tags=["own-contact"])
case("nl", pub("x", "@tevreden_tineke"), "patientenservice@vechtkamp.nl reageerde binnen een dag op mijn vraag over "
     "de rekening. Netjes!", tags=["own-contact"])
case("nl", VK_LI, "Wij zoeken SEH-verpleegkundigen! 💙 Vragen? Mail werkenbij@vechtkamp.nl of bel +31 529 46 20 00.",
     tags=["own-contact"])
case("nl", pub("forum", "Oplettende_Opa"), "Let op: phishingmail 'namens Ziekenhuis Vechtkamp' over een openstaande "
     "factuur, betalen naar <<BAD_IBAN_NL:grp>>. Dat rekeningnummer klopt niet eens 🤨 Niet betalen dus!",
     tags=["bad-checksum"])
case("en", pub("reddit", "u/parking_nerd"), "Paid for parking at Vechtkamp and the receipt shows transaction ID "
     "<<BAD_NUM16>>. Looks like a card number lol but it's just their reference.", tags=["bad-checksum"])
case("nl", pub("facebook", "jos.haverkamp", "Jos Haverkamp"), "Handig: met je afspraakreferentie (die van mij was "
     "<<NOT_BSN9>>) meld je je bij de zuil in de hal van Vechtkamp aan en hoef je niet in de rij 👍",
     tags=["bad-checksum"])
case("nl", BAS, "AGB-code van de nieuwe huisartsenpraktijk in Dalfsen is <<NOT_BSN8>>, voor wie verwijzingen "
     "klaarzet 👍", tags=["bad-checksum"])
case("en", THIJS, "fixed the date bug in the appointment widget, commit <<HEX:40>> is live. thanks to everyone "
     "who reported it 🙏", tags=["git-sha"])
case("nl", RUBEN, "Security-tip voor ontwikkelaars: zet nooit sleutels in je code. In onze interne training "
     "gebruiken we AKIAXXXXXXXXXXXXXXXX als voorbeeld en laten we zien hoe je een vault gebruikt. #zorgICT",
     tags=["placeholder"])
case("nl", VK_HELP, "Wij vragen u nooit om uw wachtwoord of DigiD-code via social media, mail of telefoon. Twijfelt "
     "u? Bel 0529 46 21 11.", tags=["own-contact", "password-word"])
case("nl", VK_HELP, "Gepland onderhoud: MijnVechtkamp is zaterdag 14 november van 23:00 tot 03:00 niet "
     "bereikbaar. Excuses voor het ongemak.", when="2026-11-10T16:00:00+01:00", tags=["official-notice"])
case("nl", VK_X, "Door een landelijke storing bij DigiD kunt u op dit moment niet inloggen op MijnVechtkamp. Wij "
     "houden u op de hoogte.", tags=["official-notice"], handle_as="@Vechtkamp_ZKH")
case("nl", pub("x", "@nieuwsgierige_nel"), "Datalek bij Ziekenhuis Lindeoord in het nieuws. Hopelijk heeft "
     "Vechtkamp het beter geregeld 🤞", tags=["other-company"])
case("nl", VK_FB, "Ons jaarverslag 2025 staat online: 312.000 poli-bezoeken, 41.000 SEH-patiënten en een klein "
     "positief resultaat. Dank aan al onze medewerkers! vechtkamp.nl/jaarverslag", tags=["published"])
case("nl", VK_LI, "Vanaf vandaag is het Hartcentrum Vechtdal open ❤️ Hartzorg van topniveau, gewoon om de hoek. "
     "Het hele verhaal en de openingstijden vindt u op vechtkamp.nl/hartcentrum",
     when="2026-09-15T10:00:00+02:00", tags=["embargo-boundary"])
case("nl", pub("x", "@hartpatient_herman"), "Vandaag controle gehad in het nieuwe Hartcentrum Vechtdal. Wat een mooi "
     "gebouw en wat een lieve cardioloog 🫶", when="2026-10-08T13:27:40+02:00", tags=["embargo-after"])
case("nl", NOOR, "Het is zover: het Hartcentrum Vechtdal is open en onze kinderhartpoli verhuist mee 💓 trots!",
     when="2026-09-15T08:00:00Z", tags=["embargo-boundary"])
case("nl", pub("x", "@bloedprikker"), "Ze hebben bij de bloedafname van Vechtkamp een zandloper op de balie staan 😂 "
     "vintage wachtrijsysteem, maar ik was binnen 10 minuten klaar hoor", tags=["codename-word"])
case("nl", LOTTE, "Mijn morele kompas na 4 nachtdiensten: koffie, bed, koffie. Fijne zondag allemaal ☕😴",
     tags=["codename-word"])
case("nl", VK_IG, "Uw medische gegevens worden altijd vertrouwelijk behandeld. In ons privacyreglement leest u hoe "
     "wij met uw dossier omgaan 🔒 vechtkamp.nl/privacy", tags=["marker-word"])
case("en", pub("x", "@quick_results"), "Results already in via mijn.vechtkamp.nl, within two days! Well organised 👏",
     tags=["public-domain"])
case("nl", VK_IG, "🎁 Cadeautip: de Gezondheidscheck Compleet deze maand voor €395 (normaal €495). Voor uzelf of "
     "voor uw ouders. Boek via vechtkamp.nl/check", tags=["sale-price"])
case("nl", pub("x", "@brillendrager"), "Eigen risico is €385, maar de LASIK bij Vechtkamp betaal je sowieso "
     "helemaal zelf (€1.450). Nog even sparen dus 👓", tags=["price-context"])
case("nl", pub("facebook", "lieke.en.tim", "Lieke Postma"), "Pretecho bij een echopraktijk in Zwolle €65, bij "
     "Vechtkamp €89. Wij gaan toch voor Vechtkamp, daar hadden we ook de 20-wekenecho 🥰",
     tags=["other-company", "price-context"])
case("nl", VK_FB, "Parkeren bij Vechtkamp: de eerste 30 minuten zijn gratis, daarna €2,40 per uur. Komt u vaker? "
     "Een parkeerweekkaart kost €27,50 en koopt u bij de automaat in de hal.", tags=["price-context", "fee"])
case("nl", pub("x", "@sticklife"), "Via mijn hockeyclub €50 korting op het sportmedisch onderzoek bij Vechtkamp, "
     "aanrader voor iedereen die fanatiek sport 🏑", tags=["price-context", "discount"])
case("en", pub("reddit", "u/four_eyes_no_more"), "LASIK quotes so far: private clinic in Zwolle €995 per eye, "
     "Vechtkamp €1,450. Anyone compared the two?", tags=["other-company"])
case("nl", pub("x", "@hechting_harm"), "Geen klachten over de SEH van Vechtkamp hoor, binnen een uur gehecht en weer "
     "naar huis 🩹", tags=["negation"])
case("nl", pub("facebook", "annie.brinkman", "Annie Brinkman"), "Dank aan alle verpleegkundigen van afdeling 4A "
     "die mijn vader zo liefdevol hebben verzorgd in zijn laatste dagen. Jullie zijn goud 💛", tags=["praise"])
case("en", pub("x", "@rolstoel_rik"), "Does anyone know if you can park for free at Vechtkamp with a disabled "
     "parking card?", tags=["question"])
case("nl", pub("x", "@snel_geholpen"), "7 uur gewacht bij Lindeoord vorig jaar, nu bij Vechtkamp in 50 minuten "
     "klaar. Wat een verschil 🙌", tags=["other-company"])
case("nl", pub("x", "@n34_file"), "File op de N34 en dus te laat voor mijn afspraak bij Vechtkamp, maar ze hebben "
     "me er gewoon nog tussen gepropt. Lieverds 🥹", tags=["near-miss"])
case("nl", pub("instagram", "@sterke.sas"), "Vandaag mijn laatste chemo tegen borstkanker gehad bij Vechtkamp 🔔 de "
     "bel geluid! Dank aan het hele team van de oncologie 💗", tags=["literal-word"])
case("nl", pub("x", "@gerrit_65"), "Teruggeroepen na het bevolkingsonderzoek darmkanker. Spannend, maar het was "
     "gelukkig niks. Fijne begeleiding bij Vechtkamp.", tags=["literal-word", "recall-other-sense"])
case("nl", VK_X, "Vanmiddag om 14:00 houden wij een brandoefening in gebouw B. Schrik niet van het alarm, de "
     "patiëntenzorg gaat gewoon door 🚒", tags=["fire-drill"])
case("nl", pub("x", "@zwarte_vrijdag_nee"), "Dit jaar boycotten wij Black Friday en doneren we het geld aan het "
     "Vechtkamp Fonds voor de kinderafdeling 🧸💛", when="2026-11-27T09:14:22+01:00",
     tags=["boycott-other-sense"])
case("nl", pub("blog", "nachtdienst-thriller.nl"), "Hoofdstuk 3 van mijn thriller staat online: 'Nachtdienst'. Het "
     "ziekenhuis in het verhaal lijkt misschien op Vechtkamp, maar alle personages zijn verzonnen. Spoiler: de "
     "portier weet meer dan hij zegt 📖", tags=["fiction"])
case("en", pub("x", "@bingewatcher"), "Watched every season of Grey's Anatomy so I basically qualify for the "
     "Vechtkamp ED night shift now, right? 🩺😂", tags=["joke"])
case("nl", pub("x", "@revalideren"), "'Highway to Hell' knalde door de speakers in de oefenzaal van de fysio bij "
     "Vechtkamp 😂 toepasselijke keuze voor een revalidatiezaal", tags=["quote", "mild-word"])
case("nl", pub("x", "@dochter_van"), "Lindeoord onder verscherpt toezicht, las ik net. Blij dat mijn moeder bij "
     "Vechtkamp ligt.", tags=["other-company"])
case("en", AYSE, "12 years at Vechtkamp today. Still love the chaos of the ED at 3am ❤️🚑 #emergencymedicine",
     tags=["praise"])
case("nl", VK_LI, "Welkom aan de 18 nieuwe verpleegkundigen die deze maand bij ons zijn begonnen! 💙 "
     "#werkenbijvechtkamp")
case("en", pub("x", "@horse_girl_mum"), "Huge thanks to the Vechtkamp ED team in Ommen, my daughter fell off a horse "
     "and they were brilliant, in English AND German 🙏", tags=["praise"])
case("nl", NOOR, "Sinterklaas was vandaag op de kinderafdeling 🎁 zoveel blije gezichtjes! #kinderafdeling #sint",
     when="2026-12-04T14:02:09+01:00")
case("en", pub("x", "@visiting_gran"), "What time do visiting hours end on the cardiology ward at Vechtkamp?",
     tags=["question"])
case("nl", HJ, "Wat een opbrengst! De Vechtloop haalde €86.000 op voor het Vechtkamp Fonds 🏃‍♀️ Dank aan alle "
     "lopers en sponsors. Doneren kan nog via vechtkampfonds.nl of NL03RABO0312456789.",
     tags=["own-contact", "published"])
case("en", pub("reddit", "u/ommen_local"), "The Vechtkamp appointments line is 0529-462111 btw, way faster than the "
     "general number", tags=["own-contact"], kind="comment")
case("nl", pub("x", "@ehbo_erik"), "Bij spoed altijd 112 bellen, bij twijfel eerst de huisartsenpost. De SEH van "
     "Vechtkamp is geen huisarts 😉 #tip", tags=["near-miss"])
case("nl", VK_HELP, "Tip: in de MijnVechtkamp-app ziet u vanaf nu ook uw actuele wachttijd op de poli ⏱️")
case("en", THIJS, "reminder to the team: our pre-commit scanner now blocks anything starting with ghp_… or "
     "anything that looks like an AWS key. you're welcome 😎", tags=["placeholder"])
case("nl", JORIS, "Nieuwe fietsenstalling bij de hoofdingang is open 🚲 overdekt én met laadpunten voor e-bikes")
case("nl", pub("threads", "@mama.van.mees"), "Vechtkamp Fonds heeft nieuwe knuffels voor de SEH betaald 🧸 mijn "
     "zoontje kreeg er eentje na zijn gipsje, zo lief", tags=["praise"])
case("en", VK_X, "Visiting us from abroad? Our ED is open 24/7. Non-urgent questions: info@vechtkamp.nl or "
     "+31 529 46 20 00.", tags=["own-contact"])
case("nl", pub("facebook", "factcheck.vechtdal", "Factcheck Vechtdal"), "Nee, er is GEEN datalek bij Vechtkamp. Dat "
     "bericht dat rondgaat is nep, het ziekenhuis heeft het zelf ook ontkracht. Niet verder delen dus.",
     tags=["negation"])
case("nl", pub("x", "@knie_kees"), "Wachttijd poli orthopedie Vechtkamp is volgens hun site nu 4 weken, de kortste "
     "van de regio 👍", tags=["near-miss"])


# ===========================================================================
# profile, roles, severity
# ===========================================================================

def load_profile():
    try:
        import yaml
    except ImportError:
        sys.exit("PyYAML is needed to read profile.yaml (pip install pyyaml)")
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
    """Least severity a correct verdict has (CONTRACT section 4, read as eval/README.md does)."""
    insider = role in ("corporate", "employee")
    sev = "none"
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
# building posts
# ===========================================================================

def ams_offset(t_utc):
    start = dt.datetime(2026, 3, 29, 1, 0, tzinfo=dt.timezone.utc)
    end = dt.datetime(2026, 10, 25, 1, 0, tzinfo=dt.timezone.utc)
    return 2 if start <= t_utc < end else 1


def random_time(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(3, 355))
    guess = base + dt.timedelta(minutes=r.randint(6 * 60, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = ams_offset(guess)
    t_utc = guess - dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return t_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.88:
        return (t_utc + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t_utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def make_id_url(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_880_000_000_000_000_000, 2_020_000_000_000_000_000))
    if platform in ("x", "twitter"):
        return ("x-" if platform == "x" else "tw-") + snow, f"https://x.com/{h}/status/{snow}"
    if platform == "linkedin":
        act = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{act}", f"https://www.linkedin.com/feed/update/urn:li:activity:{act}/"
    if platform == "instagram":
        return f"ig-{snow}", "https://www.instagram.com/p/" + "".join(r.choice(B64URL) for _ in range(11)) + "/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}_{b}", f"https://www.facebook.com/{h}/posts/{b}"
    if platform == "reddit":
        p = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
        sub = r.choice(["thenetherlands", "Netherlands", "overijssel", "verpleging"])
        if kind == "comment":
            c = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/{sub}/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/{sub}/comments/{p}/"
    if platform == "threads":
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/" + "".join(r.choice(B64URL) for _ in range(11))
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        return f"yt-{c}", "https://www.youtube.com/watch?v=" + "".join(r.choice(B64URL) for _ in range(11)) + f"&lc={c}"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-zorgforum-{n}", f"https://zorgforum.example/topic/{n}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(112_000_000_000_000_000, 115_900_000_000_000_000)
        return f"md-{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog-{h}-{n}", f"https://{h}/{n}"
    n = r.randint(10 ** 7, 10 ** 9)
    return f"{platform}-{n}", f"https://www.zorgkaartnederland.example/review/{n}" if platform == "zorgkaart" else None


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
        if c["display_name"] and meta.random() < 0.8:
            acc["display_name"] = c["display_name"]
        if meta.random() < 0.3:
            acc["id"] = str(meta.randint(10 ** 7, 10 ** 12))
        post["account"] = acc
        post["text"] = text
        x = meta.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif x < 0.09:
            pass
        elif x < 0.12:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            c["tags"].add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.45:
            post["brand"] = "vechtkamp"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=set(c["tags"]), used=used))
    order.shuffle(rows)
    return rows


def dump_lines(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ===========================================================================
# checker (independent scans over the written text)
# ===========================================================================

INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
NUM_RE = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-()]{7,16}\d")
CARD_IIN = re.compile(r"^(4|5[1-5]|2(22[1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)|3[47])")
SECRET_RES = {
    "github": re.compile(r"\bghp_[A-Za-z0-9]{36}\b"),
    "aws_id": re.compile(r"\bAKIA[A-Z2-7]{16}\b"),
    "slack": re.compile(r"\bxox[abprs]-[0-9A-Za-z-]{20,}"),
    "mollie": re.compile(r"\blive_[A-Za-z0-9]{30}\b"),
    "google": re.compile(r"\bAIza[0-9A-Za-z_-]{35}"),
    "sendgrid": re.compile(r"\bSG\.[\w-]{22}\.[\w-]{43}"),
    "twilio": re.compile(r"\bAC[0-9a-f]{32}\b"),
    "azure": re.compile(r"AccountKey=[A-Za-z0-9+/]{86}=="),
    "pem": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "jwt": re.compile(r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+"),
    "conn_pw": re.compile(r"Password=[^;\s]+", re.I),
}
PROFANITY = ["kut", "k*t", "kanker", "tering", "t3ring", "tyfus", "klote", "klootzak", "kl00tzak", "trut", "idioot",
             "idiot", "fuck", "shit", "scum", "prutser", "hell", "damn", "moordenaar"]
MILD_OK = {"hell", "damn", "kanker"}


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVIS)
    return re.sub(r"\s+", " ", t).casefold()


def squash(t):
    return re.sub(r"\b(\w) (?=\w\b)", r"\1", norm(t))


def phone_digits(raw):
    d = re.sub(r"\D", "", raw)
    if raw.startswith("0031"):
        d = d[4:]
    elif raw.startswith("+31"):
        d = d[2:]
    else:
        return d
    return "0" + d.lstrip("0")


AMOUNT_RE = re.compile(r"(?:€\s?|EUR\s?)(\d[\d.,]*)(?:,-)?|(\d[\d.,]*)\s?(?:euro|euros|eur)\b", re.I)


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
    hit = [p for p in products if any(a.casefold() in t for a in [p["name"]] + p["aliases"])]
    amounts = [parse_amount(m.group(1) or m.group(2)) for m in AMOUNT_RE.finditer(t)]
    if not hit or not amounts:
        return None
    return min(amounts) / min(p["list_price"] for p in hit)


def check(lines, rows, profile):
    errors, notes = [], []
    own_ibans = {i.replace(" ", "") for i in profile["public_identifiers"]["ibans"]}
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_phones = {phone_digits(p) for p in profile["public_identifiers"]["phones"]}
    embargo = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = [x.casefold() for x in profile["internal"]["codenames"] + profile["internal"]["domains"]
                + profile["internal"]["markers"]]
    seen = set()
    for n, (line, r) in enumerate(zip(lines, rows), 1):
        where = f"line {n}"
        obj = json.loads(line)
        p, ex = obj["post"], obj["expect"]
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                errors.append(f"{where}: {f} missing")
        if (p["platform"], p["id"]) in seen:
            errors.append(f"{where}: duplicate id")
        seen.add((p["platform"], p["id"]))
        if p.get("kind", "post") not in KINDS:
            errors.append(f"{where}: bad kind")
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errors.append(f"{where}: not 2026")
        cats, sev = ex["categories"], ex["severity"]
        if cats != sorted(set(cats)) or any(c not in TAXONOMY or c == "reputation.spike" for c in cats):
            errors.append(f"{where}: bad categories {cats}")
        text = p["text"]
        role = role_of(profile, p["platform"], p["account"]["handle"])
        valid_ids = []
        for m in IBAN_RE.finditer(text):
            comp = m.group(0).replace(" ", "")
            if any(iban_valid(comp[:k]) for k in range(len(comp), 11, -1)) and comp not in own_ibans:
                valid_ids.append(comp)
        for m in NUM_RE.finditer(text):
            d = re.sub(r"\D", "", m.group(0))
            if 13 <= len(d) <= 19 and luhn_valid(d) and CARD_IIN.match(d):
                valid_ids.append(d)
        for d in re.findall(r"(?<![\w.,-])\d{9}(?![\w]|[.,-]\d)", text) + \
                [x.replace(".", "") for x in re.findall(r"(?<![\w.])\d{4}\.\d{2}\.\d{3}(?![\w])", text)]:
            if elfproef(d):
                valid_ids.append(d)
        want = severity_for(role, cats, "leak.pii" in cats and bool(valid_ids))
        if want != sev:
            errors.append(f"{where}: severity {sev} but policy gives {want}")
        if valid_ids and "leak.pii" not in cats:
            errors.append(f"{where}: valid identifier {valid_ids} without leak.pii")
        for kind, raw, shown in r["used"]:
            if shown not in text:
                errors.append(f"{where}: {kind} not in text")
            if kind.startswith("IBAN_") and not iban_valid(raw):
                errors.append(f"{where}: invalid {kind}")
            if kind == "CARD" and not luhn_valid(raw):
                errors.append(f"{where}: invalid card")
            if kind == "BSN" and not elfproef(raw):
                errors.append(f"{where}: invalid BSN")
            if kind == "BAD_IBAN_NL" and iban_valid(raw):
                errors.append(f"{where}: negative IBAN passes")
            if kind == "BAD_NUM16" and luhn_valid(raw):
                errors.append(f"{where}: negative number passes Luhn")
            if kind in ("NOT_BSN9", "NOT_BSN8") and elfproef(raw):
                errors.append(f"{where}: negative number passes 11-proof")
            if kind == "GHP" and to_b62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errors.append(f"{where}: ghp checksum")
        nt, sq = norm(text), squash(text)
        for term, until in embargo:
            if term in nt or term in sq:
                if ts < until and "leak.confidential" not in cats:
                    errors.append(f"{where}: embargo term {term!r} before embargo without leak.confidential")
                if ts >= until and cats:
                    notes.append(f"{where}: embargo term after embargo in a positive")
        for term in internal:
            if re.search(r"(?<![\w.])" + re.escape(term) + r"(?!\w)", nt) or term in sq:
                if "leak.confidential" not in cats:
                    errors.append(f"{where}: internal term {term!r} without leak.confidential")
        if not cats:
            if valid_ids:
                errors.append(f"{where}: benign with valid id")
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_emails:
                    errors.append(f"{where}: benign with e-mail {e}")
            for m in PHONE_RE.finditer(IBAN_RE.sub(" ", text)):
                d = phone_digits(m.group(0))
                if len(d) >= 10 and d not in own_phones:
                    errors.append(f"{where}: benign with phone {m.group(0)}")
            for name, rx in SECRET_RES.items():
                for m in rx.finditer(text):
                    if name == "aws_id" and m.group(0) == "AKIAXXXXXXXXXXXXXXXX":
                        continue  # documented placeholder, not a key
                    errors.append(f"{where}: benign with secret-like {name}")
            for w in PROFANITY:
                if re.search(r"(?<!\w)" + re.escape(w), nt):
                    if w in MILD_OK and r["tags"] & {"mild-word", "quote", "literal-word"}:
                        notes.append(f"{where}: benign uses {w!r} ({sorted(r['tags'])})")
                    else:
                        errors.append(f"{where}: benign uses {w!r}")
            ratio = min_ratio(text, profile["products"])
            if ratio is not None and ratio < profile["pricing"]["alert_below_ratio"]:
                if "price-context" in r["tags"]:
                    notes.append(f"{where}: benign amount at {ratio:.2f} of list, not the product's price")
                else:
                    errors.append(f"{where}: benign with product price at {ratio:.2f}")
        if "leak.pricing" in cats:
            ratio = min_ratio(text, profile["products"])
            if ratio is None or ratio >= 0.5:
                notes.append(f"{where}: pricing positive without a parsed low price (talk of an error)")
    return errors, notes


def report(rows):
    tot = len(rows)
    cat, cat_lang, cat_role = Counter(), Counter(), Counter()
    lang, role, plat, kinds, sev = Counter(), Counter(), Counter(), Counter(), Counter()
    multi = evasion = benign = 0
    for r in rows:
        cats = r["expect"]["categories"]
        lang[r["lang"]] += 1
        role[r["role"]] += 1
        plat[r["post"]["platform"]] += 1
        kinds[r["post"].get("kind", "(default)")] += 1
        sev[r["expect"]["severity"]] += 1
        keys = cats or ["(benign)"]
        benign += not cats
        multi += len(cats) > 1
        evasion += "evasion" in r["tags"]
        for c in keys:
            cat[c] += 1
            cat_lang[(c, r["lang"])] += 1
            cat_role[(c, r["role"])] += 1
    print(f"cases {tot}  benign {benign}  positive {tot - benign}  multi-category {multi}  evasion {evasion}")
    print(f"  {'category':24s} total   nl   en  corp  empl  publ")
    for c in [t for t in TAXONOMY if t != "reputation.spike"] + ["(benign)"]:
        print(f"  {c:24s} {cat[c]:5d} {cat_lang[(c, 'nl')]:4d} {cat_lang[(c, 'en')]:4d} "
              f"{cat_role[(c, 'corporate')]:5d} {cat_role[(c, 'employee')]:5d} {cat_role[(c, 'public')]:5d}")
    print("languages:", dict(lang), " roles:", dict(role))
    print("severities:", {s: sev[s] for s in SEVERITIES})
    print("platforms:", dict(plat.most_common()))
    print("kinds:", dict(kinds.most_common()))


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
    errors, notes = check(disk, rows, profile)
    if disk != lines:
        errors.append("cases.jsonl differs from the generator output")
    report(rows)
    if a.notes:
        for x in notes:
            print("  note: " + x)
    print(f"{len(errors)} error(s), {len(notes)} note(s)")
    for e in errors:
        print("  ERROR " + e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
