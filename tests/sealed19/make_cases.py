#!/usr/bin/env python3
"""Deterministic generator and checker for the sealed19 evaluation set.

    python3 make_cases.py            # (re)write cases.jsonl next to this file
    python3 make_cases.py --check    # regenerate in memory, compare with cases.jsonl,
                                     # validate every line, print counts

Company: the fictional Dutch energy supplier "Polderstroom Energie B.V." (profile.yaml).

All post texts are hand-written below (CASES). Identifiers and secrets are filled in
from placeholders such as <<IBAN_NL:grp>> by one seeded RNG, so the output is
byte-for-byte reproducible. Positives get checksum-VALID identifiers (IBAN mod-97,
Luhn, BSN 11-proof); benign look-alikes get identifiers that FAIL their checksum.
Secrets are random and fake, shaped like the real formats (GitHub tokens carry a
correct CRC32 checksum).

Severity is never typed by hand: severity_for() derives it from CONTRACT section 4,
using the account role (profile.yaml, platform:handle, case-insensitive), the
categories, and whether a checksum-valid identifier (IBAN, card, BSN) is in the text.
Needs Python 3.9+ and PyYAML; python-stdnum (optional) cross-checks identifiers.
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

SEED = 19190419
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

TAXONOMY = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse",
            "reputation.spike"]
SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
KINDS = ["post", "reply", "repost", "comment", "message"]
PLATFORMS = ["x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube",
             "reddit", "mastodon", "bluesky", "threads", "forum", "blog", "other"]

ZW = "\u200b"        # zero-width space
SHY = "\u00ad"       # soft hyphen
CYR_O = "\u043e"     # Cyrillic small o (looks like Latin o)


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------

def _iban_num(s):
    return int("".join(str(int(c, 36)) for c in s))


def iban_valid(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return _iban_num(s[4:] + s[:4]) % 97 == 1


def iban_build(cc, bban):
    return f"{cc}{98 - _iban_num(bban + cc + '00') % 97:02d}{bban}"


def luhn_valid(num):
    d = re.sub(r"\D", "", num)
    tot = 0
    for i, ch in enumerate(reversed(d)):
        v = int(ch)
        if i % 2:
            v = v * 2 - 9 if v > 4 else v * 2
        tot += v
    return bool(d) and tot % 10 == 0


def luhn_finish(prefix):
    return next(prefix + c for c in "0123456789" if luhn_valid(prefix + c))


def elfproef(num):
    d = re.sub(r"\D", "", num)
    if len(d) == 8:
        d = "0" + d
    if len(d) != 9:
        return False
    tot = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return tot != 0 and tot % 11 == 0


def gs1_check(body):
    """GS1 mod-10 check digit (EAN-13, EAN-18 connection codes)."""
    tot = sum(int(c) * (3 if i % 2 == 0 else 1) for i, c in enumerate(reversed(body)))
    return str((10 - tot % 10) % 10)


# ---------------------------------------------------------------------------
# seeded values
# ---------------------------------------------------------------------------

ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
OWN_IBAN = "NL44RABO0312457700"


def base62(n):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return s or "0"


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def digits(self, n, lead=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if lead and s[0] == "0" else s

    def pick(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    @staticmethod
    def grp(s, n=4):
        return " ".join(s[i:i + n] for i in range(0, len(s), n))

    # IBANs -----------------------------------------------------------------
    def iban(self, cc):
        if cc == "NL":
            while True:
                v = iban_build("NL", self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "ASNB", "KNAB", "BUNQ", "TRIO"])
                               + self.digits(10, lead=True))
                if v != OWN_IBAN:
                    return v
        if cc == "DE":
            return iban_build("DE", self.r.choice(["10010010", "37050198", "50070010", "76026000"]) + self.digits(10))
        if cc == "BE":
            first = self.r.choice(["063", "310", "735", "001"]) + self.digits(7)
            return iban_build("BE", f"{first}{int(first) % 97 or 97:02d}")
        raise ValueError(cc)

    def bad_iban(self, cc):
        """A look-alike IBAN failing mod-97; no leading part of it passes either."""
        while True:
            v = self.iban(cc)
            for step in (7, 19, 31, 43):
                cand = f"{v[:2]}{(int(v[2:4]) + step) % 100:02d}{v[4:]}"
                if not any(iban_valid(cand[:end]) for end in range(12, len(cand) + 1)):
                    return cand

    # cards ------------------------------------------------------------------
    def card(self, brand):
        if brand == "visa":
            return luhn_finish("4" + self.digits(14))
        if brand == "mc":
            return luhn_finish("5" + self.r.choice("12345") + self.digits(13))
        if brand == "mc2":
            return luhn_finish(str(self.r.randint(2221, 2720)) + self.digits(11))
        if brand == "amex":
            return luhn_finish(self.r.choice(["34", "37"]) + self.digits(12))
        raise ValueError(brand)

    def bad_card(self, brand):
        v = self.card(brand)
        out = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_valid(out)
        return out

    @staticmethod
    def card_fmt(v, style):
        if style == "plain":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if style == "dash" else " ").join(parts)

    # BSN and look-alikes ------------------------------------------------------
    def bsn(self):
        while True:
            s = self.digits(9, lead=True)
            if elfproef(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.digits(n, lead=True)
            if not elfproef(s) and not luhn_valid(s):
                return s

    def ean18(self):
        while True:
            body = "871687" + self.digits(11)
            v = body + gs1_check(body)
            if not luhn_valid(v):
                return v

    def meter_serial(self):
        while True:
            d = "0053" + self.digits(12)
            if not luhn_valid(d):
                return "E" + d

    # phones ----------------------------------------------------------------
    def phone(self, fmt):
        m = self.r.choice("12345") + self.digits(7)       # the 8 digits after 06
        if fmt == "mob_dash":
            return f"06-{m}"
        if fmt == "mob_pairs":
            return f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}"
        if fmt == "mob_intl_sp":
            return f"+31 6 {m[:4]} {m[4:]}"
        if fmt == "mob_intl0":
            return f"+31 (0)6 {m}"
        if fmt == "mob_plain":
            return f"06{m}"
        if fmt == "land_sp":
            area = self.r.choice(["038", "036", "0320", "050", "058", "0521", "0570"])
            rest = self.digits(10 - len(area), lead=True)
            return f"{area} {rest[:3]} {rest[3:]}" if len(rest) == 7 else f"{area} {rest}"
        raise ValueError(fmt)

    # secrets ----------------------------------------------------------------
    def ghp(self):
        body = self.pick(ALNUM, 30)
        return "ghp_" + body + base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def aws_id(self):
        return "AKIA" + self.pick(B32, 16)

    def aws_secret(self):
        return self.pick(B64, 40)

    def azure_key(self):
        return base64.b64encode(bytes(self.r.randrange(256) for _ in range(64))).decode()

    def mollie(self):
        return "live_" + self.pick(ALNUM, 30)

    def sendgrid(self):
        return "SG." + self.pick(B64URL, 22) + "." + self.pick(B64URL, 43)

    def npm(self):
        return "npm_" + self.pick(ALNUM, 36)

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return f"https://hooks.slack.com/services/T{self.pick(up, 8)}/B{self.pick(up, 10)}/{self.pick(ALNUM, 24)}"

    def jwt(self):
        head = b64url(json.dumps({"alg": "RS256", "typ": "JWT", "kid": self.pick(ALNUM, 8)},
                                 separators=(",", ":")).encode())
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        body = b64url(json.dumps({"sub": "klant-" + self.digits(7, lead=True), "iss": "mijn.polderstroom.nl",
                                  "aud": "ps-app", "scope": "meter:read billing:read", "iat": iat,
                                  "exp": iat + 900}, separators=(",", ":")).encode())
        return f"{head}.{body}.{self.pick(B64URL, 86)}"

    def pem_rsa(self):
        body = "MIIEowIBAAKCAQEA" + self.pick(B64, 64 * 8 - 16)
        lines = [body[i:i + 64] for i in range(0, len(body), 64)] + [self.pick(B64, 40) + "=="]
        return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"

    def password(self):
        return (self.r.choice(string.ascii_uppercase) + self.pick(string.ascii_lowercase, 4)
                + self.pick(string.digits, 3) + self.r.choice("!#$%&*") + self.pick(ALNUM, 4))


VALID_ID_KINDS = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "CARD", "BSN"}
BAD_ID_KINDS = {"BAD_IBAN_NL", "BAD_IBAN_DE", "BAD_CARD", "NOT_BSN9", "NOT_BSN8", "EAN18", "METER"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(gen, text):
    used = []

    def sub(m):
        kind, fmt = m.group(1), m.group(2) or ""
        if kind.startswith("IBAN_"):
            raw = gen.iban(kind[5:])
            shown = gen.grp(raw) if fmt == "grp" else raw
        elif kind.startswith("BAD_IBAN_"):
            raw = gen.bad_iban(kind[9:])
            shown = gen.grp(raw) if fmt == "grp" else raw
        elif kind == "CARD":
            brand, _, style = fmt.partition("_")
            raw = gen.card(brand)
            shown = gen.card_fmt(raw, style or "sp")
        elif kind == "BAD_CARD":
            brand, _, style = fmt.partition("_")
            raw = gen.bad_card(brand)
            shown = gen.card_fmt(raw, style or "sp")
        elif kind == "BSN":
            raw = gen.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if fmt == "dots" else raw
        elif kind == "NOT_BSN9":
            shown = raw = gen.not_bsn(9)
        elif kind == "NOT_BSN8":
            shown = raw = gen.not_bsn(8)
        elif kind == "EAN18":
            shown = raw = gen.ean18()
        elif kind == "METER":
            shown = raw = gen.meter_serial()
        elif kind == "PHONE":
            shown = raw = gen.phone(fmt)
        elif kind == "PW":
            shown = raw = gen.password()
        else:
            shown = raw = {
                "GHP": gen.ghp, "AWS_ID": gen.aws_id, "AWS_SECRET": gen.aws_secret, "AZKEY": gen.azure_key,
                "MOLLIE": gen.mollie, "SENDGRID": gen.sendgrid, "NPM": gen.npm, "SLACK_HOOK": gen.slack_hook,
                "JWT": gen.jwt, "PEM_RSA": gen.pem_rsa,
            }[kind]()
        used.append((kind, raw, shown))
        return shown

    return PH.sub(sub, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

# corporate (profile accounts.corporate)
PS = ("x", "@polderstroom", "Polderstroom")
PSH = ("x", "@polderstroom_help", "Polderstroom Klantenservice")
PSIG = ("instagram", "@polderstroom.nl", "Polderstroom")
PSLI = ("linkedin", "polderstroom-energie", "Polderstroom Energie B.V.")
PSFB = ("facebook", "PolderstroomEnergie", "Polderstroom Energie")
PSTT = ("tiktok", "@polderstroom", "Polderstroom")
# employees (profile accounts.employee)
RL = ("x", "@rvanleeuwen_ps", "Ruben van Leeuwen")                 # app developer
AV = ("linkedin", "anouk-visser-polderstroom", "Anouk Visser")     # finance controller
KS = ("x", "@kees_monteur", "Kees Smit")                           # installer (solar, batteries, meters)
YB = ("instagram", "@yara.boukhari", "Yara Boukhari")              # customer service
MY = ("linkedin", "mehmet-yilmaz-ps", "Mehmet Yılmaz")             # IT operations / security
LM = ("reddit", "u/netdata_lotte", "Lotte Mulder")                 # data engineer
DH = ("x", "@daan_tarieven", "Daan Hoekstra")                      # pricing analyst


def pub(platform, handle, name=None):
    return (platform, handle, name)


CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    """One labelled case. hint overrides the post's lang field ('' = leave it out)."""
    platform, handle, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


SECRET, PII, PRICING, CONF, FIN, SEC = ("leak.secret", "leak.pii", "leak.pricing", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", DH, "Auw. De prijsfeed van vannacht heeft de ThuisAccu 10 op €649,50 gezet ipv €6.495 😬 staat al ruim "
     "2 uur live, rollback loopt. Pls niet screenshotten en rondsturen", [PRICING])
case("nl", pub("x", "@zonnig_zwolle"), "Is dit een prijsfout of ben ik gek?? PolderZon 8 panelen voor €439 incl "
     "montage bij @polderstroom 😳 normaal ruim 4 mille. Meteen aangevraagd hoor #zonnepanelen #prijsfout", [PRICING])
case("en", pub("reddit", "u/dutchdealhunter"), "Polderstroom's webshop lists the Laadpaal 11 kW charger at €12.95 "
     "right now. Yes, twelve euros ninety-five. Someone clearly dropped two zeros. Order went through, got the "
     "confirmation mail and everything.", [PRICING])
case("nl", KS, "op de zaak gaat t los, klanten bellen dat de HW-4 warmtepomp in de app voor 399 euro staat 🤣 "
     "iemand bij marketing is een nulletje vergeten. wij gaan dat ding echt niet voor die prijs ophangen", [PRICING])
case("nl", PS, "🔋 Zomerdeal! De ThuisAccu 10 nu voor €64,95 — sla je eigen zonnestroom op en bespaar. Alleen "
     "deze week via polderstroom.nl/thuisaccu", [PRICING])
case("en", RL, "Fun Monday. A rounding bug in checkout made the EnergieHub come out at €0.89 for everyone paying "
     "with iDEAL, ~1,400 orders before anyone noticed. Hotfix is in review 🫠", [PRICING])
case("nl", pub("tiktok", "@zonnepanelen_zoe"), "p r i j s f o u t bij polderstroom!!! 🔋 de thuisaccu voor een "
     "fractie van de normale prijs, link in bio voordat ze het fixen 🏃‍♀️", [PRICING],
     tags=["evasion", "evasion:spaced"])
case("en", pub("x", "@evdriver_jules"), f"Polderstroom Laad{ZW}paal 11 for €99 incl. installation?? pretty sure "
     "that's a price glitch, ordered one anyway 🤷", [PRICING], tags=["evasion", "evasion:zero-width"])
case("nl", YB, "Collega's: als klanten bellen over de Polderstroom warmtepomp van €39,95 in de webshop → dat is een "
     "prijsfout, NIET bevestigen! Orders worden geannuleerd 🙏 #klantenservicelife", [PRICING])
case("nl", pub("tweakers", "Gijs_Apeldoorn"), "[Prijsfout?] Polderstroom EnergieHub P1-lezer €0,89\n\nStond net zo "
     "in de webshop, normaal €89. Verzending €4,95 dus alsnog een koopje 😅\nIemand anders ook besteld? "
     "Bevestiging is al binnen.", [PRICING], tags=["unknown-platform"])
case("nl", DH, "Voor wie zich afvraagt waarom de PolderZon 12 ineens €619 kost op de site: de testprijs uit de nieuwe "
     "tarievenfeed is live gegaan 🙃 zie jira.polderstroom.nl/browse/PRIJS-212, fix pas na de release freeze",
     [PRICING, CONF])
case("en", pub("x", "@stackingsats_nl"), "pr1c3 gl1tch @ polderstroom: ThuisAccu10 for €649 instead of €6495 🤑🤑 "
     "go go go", [PRICING], tags=["evasion", "evasion:leet"])
case("nl", pub("instagram", "@ev.rijder.ruud"), "Laadpaal 11 kW voor €129 bij Pöldersträöm?! prijsföut van het jaar "
     "😂 #laadpaal #elektrischrijden", [PRICING], tags=["evasion", "evasion:diacritics"])
case("nl", pub("x", "@polderstroom_nl", "Polderstroom Deals (fan)"), "Snel zijn: de EnergieHub staat voor €8,90 in "
     "de shop, lijkt een komma-foutje van Polderstroom 👀 #deal", [PRICING], tags=["lookalike-account"])

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", RL, "git clone of meter-sync works on my machine but the build agent says auth failed?? "
     "remote is https://<<GHP>>@github.com/polderstroom/meter-sync.git 😤", [SECRET])
case("nl", MY, "Eigen pentest, eigen schuld 🙈 In een oude Terraform state vonden we dit gewoon leesbaar:\n\n"
     "DefaultEndpointsProtocol=https;AccountName=psmeterdata;AccountKey=<<AZKEY>>;EndpointSuffix=core.windows.net"
     "\n\nSleutel is inmiddels vervangen. Check jullie state files, mensen! #cloudsecurity", [SECRET])
case("nl", YB, "nieuw wachtwoord van de belcomputer is Lente2026!! en ja ik heb het op een geeltje naast mn scherm "
     "geplakt 😂📝 #callcenterlife", [SECRET])
case("en", pub("reddit", "u/apk_ripper"), "PSA: the Polderstroom Android app (v7.3.0) ships a live Mollie API key "
     "in res/values/strings.xml: <<MOLLIE>>\nReported it through their contact form a month ago, crickets.",
     [SECRET])
case("nl", RL, "wie lokaal de tariefservice wil draaien: postgresql://tarief_rw:<<PW>>@pg-prod-02.ps-intra.local:5432"
     "/tarieven . niet naar prod schrijven he 😇", [SECRET, CONF], handle_as="@RvanLeeuwen_PS")
case("en", LM, "Kafka Connect sink to Snowflake keeps failing with 'JWT token is invalid'. This is the key-pair auth "
     "key we're using:\n<<PEM_RSA>>\nAny ideas? The docs aren't helping", [SECRET], kind="post")
case("en", pub("forum", "webdev_wouter"), "Polderstroom's marketing microsite has a SendGrid key hardcoded in "
     "main.js: <<SENDGRID>> — pretty sure that's what sends the 'uw jaarafrekening staat klaar' mails. Yikes.",
     [SECRET])
case("nl", KS, "tablet in de bus weer uitgelogd 🙄 voor de maten die vandaag meerijden: monteursportaal login is "
     "team-noord / <<PW>>", [SECRET])
case("en", PSH, "@jvdmeer_ Sorry for the wait, Jan! Your latest meter reading should now show in the app. "
     "<<SLACK_HOOK>>", [SECRET], kind="reply")
case("nl", RL, "iemand een idee waarom de app deze token weigert? <<JWT>>\nexp klopt gewoon, signing key ook 🤔",
     [SECRET])
case("en", MY, "Cleaning out the old smart-meter ingest Lambda. Keys were sitting in plain env vars 🤦 already "
     "disabled, so relax:\n<<AWS_ID>>\n<<AWS_SECRET>>\nUse IAM roles, people.", [SECRET])
case("nl", pub("bluesky", "koffieencode.bsky.social"), "lol het w a c h t w o o r d van de gastenwifi bij Polderstroom in Zwolle "
     "hangt gewoon op het raam: PolderGast#2026 📸", [SECRET], tags=["evasion", "evasion:spaced"])
case("en", DH, "trying to publish the tariff-calc package from my laptop, .npmrc has "
     "//registry.npmjs.org/:_authToken=<<NPM>> but I still get a 404. what am I missing", [SECRET])
case("nl", pub("x", "@hdijkstra77"), "@polderstroom_help ik kom al 3 dagen niet in de app!! gebruikersnaam "
     "h.dijkstra77@ziggo.nl ww Tulpen!2019 wat doe ik fout?? zie niks van mijn verbruik",
     [SECRET, PII, COMPLAINT], kind="reply")

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", YB, "Die meneer die vandaag 4x belde over zijn eindafrekening... J. Pronk, Kerkstraat 14 in Kampen. "
     "Als iemand hem morgen aan de lijn krijgt: hij wil ALLEEN een leidinggevende 🙄☕", [PII])
case("nl", PSH, "@marloes_dkkr Hoi Marloes, je teruggave van €212,40 is vandaag verwerkt en gaat naar "
     "<<IBAN_NL:grp>>. Binnen 5 werkdagen op je rekening 💚", [PII], kind="reply")
case("en", AV, "Can someone from collections look at why the direct debit keeps bouncing for one of our SME "
     "customers? IBAN on file is <<IBAN_DE>> (German bank), I suspect the SEPA mandate.", [PII])
case("en", RL, "debugging the BSN validation on the energy allowance form, this one gets rejected and I can't see "
     "why: <<BSN>> (real customer, sorry, deleting in 5 min)", [PII])
case("nl", PSFB, "Beste mevrouw Kaya, we hebben uw dossier gevonden: geboren 12-03-1961, Wilgenlaan 7, 3831 AB "
     "Leusden. Klopt dit? Dan passen we uw termijnbedrag aan.", [PII], kind="comment")
case("en", YB, "someone pasted their full card number in the chat AGAIN 🙃 <<CARD:visa_sp>> exp 09/28. how do I get "
     "a transcript scrubbed?? asking for a friend (me)", [PII], handle_as="@Yara.Boukhari")
case("nl", pub("x", "@sjaak_vd_molen"), "@polderstroom_help ik heb mijn nieuwe rekeningnummer nu al 3x doorgegeven!!! "
     "<<IBAN_NL>> kunnen jullie het een keer goed overnemen ipv van mijn oude rekening af te schrijven 😡",
     [PII, COMPLAINT], kind="reply")
case("nl", pub("facebook", "petra.jongbloed", "Petra Jongbloed"), "Kan iemand van Polderstroom me nou eens "
     "terugbellen? <<PHONE:mob_dash>>. Monteur is vandaag wéér niet gekomen en ik had er een vrije dag voor "
     "opgenomen", [PII, COMPLAINT])
case("nl", pub("x", "@dakloos_in_almere"), "Dit is die monteur van Polderstroom die ons dak heeft verneukt: Erik "
     "Veenstra, Meidoornstraat 22 Almere. Ga maar eens bij hem langs, misschien leert hij het dan",
     [PII, COMPLAINT, ABUSE])
case("en", pub("reddit", "u/jvr_utrecht"), "The Polderstroom rep told me to email photos of my meter but never gave "
     "an address?? Mine is j.vanrijn [at] kpnmail [dot] nl if anyone from Polderstroom reads this sub", [PII],
     kind="comment", tags=["evasion", "evasion:at-dot"])
case("nl", pub("x", "@moppermans"), "Moet ik echt mijn BSN opsturen voor die betalingsregeling bij Polderstroom? "
     "Nou vooruit dan: <<BSN:dots>> 🙄 als het maar snel geregeld is", [PII])
case("en", pub("x", "@claire_in_delft"), "@polderstroom_help you charged me twice this month. here's the full card "
     "so you can find it faster: <<CARD:mc_dash>>", [PII, COMPLAINT], kind="reply")
case("nl", AV, "Voor de KYC van een nieuwe zakelijke klant mist nog de ID-kopie. Paspoortnummer van de bestuurder, "
     "D. Terpstra: NW7K2RP84. Wie heeft dit dossier?", [PII], handle_as="Anouk-Visser-Polderstroom")
case("nl", MY, "Storingsdienst IT dit weekend: Henk Jonker, privé bereikbaar op <<PHONE:mob_intl_sp>>. Alleen "
     "bellen bij P1 graag!", [PII])
case("en", pub("facebook", "lucas.peeters.be", "Lucas Peeters"), "quick q: does Polderstroom take the monthly "
     "instalment from a Belgian account? mine is <<IBAN_BE:grp>>, would rather not open a Dutch one just for this",
     [PII])
case("nl", LM, "Testdata? Nee hoor, dit kwam rechtstreeks uit productie: 'S. el Idrissi, geb. 03-11-1979, "
     "Zonnebloemstraat 9 Emmeloord' 🙃 wie heeft die export naar de acceptatieomgeving gekopieerd??", [PII])
case("en", pub("x", "@gerrit_amex"), "@polderstroom_help switching my monthly payment to credit card, is "
     "<<CARD:amex_sp>> ok or do you only do direct debit?", [PII], kind="reply")

# ===========================================================================
# leak.confidential
# ===========================================================================
case("nl", RL, "Eerste interne demo van Project Zeearend gehad 🦅 de app wordt echt next level, meer mag ik er nog "
     "niet over zeggen 🤐", [CONF])
case("en", pub("reddit", "u/polder_watcher"), "A friend who works at Polderstroom says 'Operatie Windhoos' is their "
     "plan to move every gas customer to a new billing platform before winter. Anyone heard more?", [CONF])
case("nl", KS, "Net het eerste testmodel van de ThuisAccu Pro bij een proefklant opgehangen 😎 stuk compacter dan "
     "de 10 kWh, klanten gaan dit vet vinden", [CONF], when="2026-06-03T14:22:05+02:00")
case("nl", AV, "Slide uit de kwartaalsessie, staat wel 'ALLEEN INTERN' op maar dit wil ik toch even delen: "
     "klanttevredenheid 8,1 🎉 trots op het team", [CONF])
case("en", MY, "P1 ingest dashboard finally all green 💚 https://grafana.ps-intra.local/d/p1-ingest/overview?orgId=1 "
     "— thanks team", [CONF])
case("nl", DH, "wie heeft er toegang tot confluence.polderstroom.nl/display/TARIEF/Scenario+Q1? link in Teams werkt "
     "niet bij mij", [CONF])
case("en", LM, "Working on something called Heliotroop at my energy company, basically an ML model that predicts "
     "solar feed-in per postcode a day ahead. Fun problem!", [CONF])
case("nl", pub("x", "@zwager_zegt"), "Zwager werkt bij Polderstroom en zegt dat Project\nZeearend een compleet "
     "nieuwe app is met uurprijzen en zo. Benieuwd!", [CONF], tags=["evasion", "evasion:line-break"])
case("en", RL, "ThuisAccu Pro launch assets uploading 🚀🔋 see you all at 10!", [CONF],
     when="2026-09-15T09:59:00+02:00", tags=["embargo-edge"])
case("nl", AV, "Oeps. Screenshot van de hedge-memo (PS-CONFIDENTIAL in de kop) per ongeluk in mijn story gezet "
     "ipv naar mijn eigen mail gestuurd 🙈 stond er 20 minuten", [CONF])
case("en", pub("x", "@telegram_leaks_nl"), "Someone dropped a PDF in a Telegram group with 'INTERN MEMO POLDERSTROOM' "
     "on every page. Looks like their winter staffing plan for the call centre.", [CONF])
case("nl", pub("threads", "@gasklant_gerda"), "Operatie 🌪️ Windhoos gaat van start bij Polderstroom, hoor ik. Alle "
     "gasklanten naar een nieuw systeem 😬 dat gaat vast goed komen...", [CONF], tags=["evasion", "evasion:emoji"])
case("nl", pub("instagram", "@kees_monteur", "Kees"), "Sneak peek van het nieuwe Zonnedak Flex 👀 nog even geheim!",
     [CONF], when="2026-08-11T19:31:12+02:00", tags=["handle-other-platform"])
case("nl", pub("x", "@lekkerlekken"), "gelekte foto van de " + fullwidth("ThuisAccu Pro") + ", komt in september uit "
     "volgens mijn bron 👀🔋", [CONF], when="2026-08-02T21:47:00+02:00", tags=["evasion", "evasion:full-width"])

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", AV, "De H1-cijfers worden niet best: zo'n €38 mln verlies door de oude inkoopcontracten 😞 komt 20 "
     "augustus naar buiten", [CONF, FIN], when="2026-07-28T16:42:10+02:00")
case("en", AV, "Drafting the interim results 2026 release... revenue +9%, net loss narrowed to €14m. Publication "
     "still set for the 20th 🤞", [CONF, FIN], when="2026-08-19T22:15:00+02:00")
case("nl", pub("x", "@oom_in_de_rvc"), "Mijn oom zit bij Polderstroom in de RvC, de jaarcijfers 2026 worden volgens "
     "hem 'dramatisch', reken op een flink verlies", [CONF, FIN])
case("en", MY, "Sad day. Heard in the leadership call that the Zwolle contact centre closes in Q1, roughly 140 FTE. "
     "Official announcement isn't until November. Chin up everyone 💙", [FIN])
case("nl", DH, "Spoiler voor wie klant is: per 1 januari gaat het vaste leveringstarief €3,50 per maand omhoog. Wordt "
     "pas in oktober gecommuniceerd dus je hebt het niet van mij 🤫", [FIN])
case("en", pub("reddit", "u/amsterdam_analyst"), "Rumour from a mate in finance at Polderstroom: they're in talks to "
     "buy Kustenergie, due diligence is already running. Nothing public yet.", [FIN], kind="comment")
case("nl", pub("x", "@beursbengel"), "insider info: Polderstroom wordt verkocht aan een Duitse energiereus, deal is "
     "rond voor de zomer. onthoud dat je het hier eerst las", [FIN])
case("en", AV, "Preliminary numbers are in and we're ~12% ahead of budget on EBITDA this half 🥳 can't say more until "
     "the official release!", [FIN], when="2026-07-15T17:03:22+02:00")
case("nl", KS, "Vandaag gehoord dat ze de hele installatieafdeling gaan uitbesteden, 60 monteurs eruit. Nog niet "
     "officieel maar HR heeft het al bevestigd 😡", [FIN])
case("en", LM, f"the re{SHY}org deck says data & analytics gets folded into IT and 25 roles go. not announced yet so "
     "keep it quiet", [FIN], tags=["evasion", "evasion:soft-hyphen"])
case("en", DH, "Gas book forecast: we're looking at roughly €9m loss on the January hedge unwind. Board discusses "
     "it Thursday.", [FIN])
case("nl", YB, "Mailtje van HR: vacaturestop en de eindejaarsbonus gaat dit jaar niet door 'ivm tegenvallende "
     "resultaten'. Dat was nog niet naar buiten gebracht toch? 🤐", [FIN])
case("nl", pub("x", "@sssst_nl"), "bij polderstroom gaan 200 mensen 0ntsl4gen worden, mn vriendin werkt daar, nog "
     "geheim dus sssst", [FIN], tags=["evasion", "evasion:leet"])

# ===========================================================================
# leak.security
# ===========================================================================
case("en", RL, "so uh. turns out /api/v2/readings doesn't check which customer you are 🙃 change the id in the URL "
     "and you get someone else's smart meter data. fix is 'next sprint'. please nobody tell anyone", [SEC])
case("nl", MY, "Sinds 03:00 liggen onze facturatieservers plat, het ziet eruit als ransomware. Vandaag alles "
     "handmatig. Persbericht komt pas als we meer weten, dus niks delen.", [SEC])
case("nl", YB, "De app ligt er al sinds vanochtend uit maar we mogen klanten niet vertellen waarom 🤫 er is iets mis "
     "met de inlog, mensen konden elkaars account zien", [SEC])
case("en", KS, "Between us: the new EnergieHub dongles still ship with the factory admin login, anyone in wifi range "
     "can reflash them. Reported it twice, nothing happened.", [SEC])
case("en", pub("reddit", "u/throwaway_ps_it"), "Polderstroom got breached two weeks ago and they STILL haven't told "
     "customers. My friend on their IT team says the whole CRM was dumped.", [SEC, CRISIS])
case("nl", pub("x", "@boos_in_breda"), "Polderstroom houdt een hack stil!! Mijn gegevens staan op een forum en zij "
     "ontkennen alles. Wie nog meer?", [SEC, CRISIS])
case("en", LM, "fun fact: the meter-data bucket was public-read for three weeks. Legal is still deciding whether we "
     "notify the AP. cool cool cool", [SEC])
case("nl", RL, f"we zijn ge{ZW}hackt, klantportaal is offline gehaald. niks zeggen tot de officiële mail eruit is 🙏",
     [SEC], tags=["evasion", "evasion:zero-width"])
case("en", MY, "Our customer portal still runs a framework version with a known RCE. Patch is scheduled after the "
     "winter change freeze 😬 fingers crossed nobody notices", [SEC])
case("nl", DH, "de koppeling met de netbeheerders ligt al 2 dagen stil, daarom kloppen de meterstanden in de app "
     "niet. Intern heet het 'major incident', naar buiten zeggen we 'onderhoud' 🙄", [SEC])
case("en", pub("x", "@bugbounty_bas"), "Reported a stored XSS in mijn.polderstroom.nl six weeks ago. No fix, no "
     "reply. Publishing the PoC Friday if it's still open.", [SEC])
case("nl", YB, fullwidth("DATALEK") + " bij ons 😳 de CRM-export stond een heel weekend open. mag nog niks zeggen",
     [SEC], tags=["evasion", "evasion:full-width"])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@familie_dekker"), "Onze ThuisAccu van Polderstroom is vannacht in de garage in brand gevlogen "
     "🔥🔥 brandweer erbij, gelukkig niemand gewond. Hoe kan dit??", [CRISIS, COMPLAINT])
case("en", pub("reddit", "u/claimcounter"), "The class action against Polderstroom over the 2025 variable-tariff "
     "hikes has been filed, 30k+ customers joined. Link to the claim foundation in the comments.", [CRISIS])
case("nl", pub("x", "@warmtewinter"), "#BoycotPolderstroom ze sluiten gezinnen met kleine kinderen af midden in de "
     "winter. Stap over, NU.", [CRISIS])
case("nl", pub("facebook", "henk.roelofs.58", "Henk Roelofs"), "Klopt het dat Polderstroom de EnergieHub terugroept "
     "wegens oververhitting? Zag iets voorbijkomen. Moet ik de mijne nu uit de meterkast halen?", [CRISIS])
case("en", pub("mastodon", "phished@mastodon.social"), "Got a phishing mail with my exact Polderstroom customer number AND my monthly "
     "instalment amount. Polderstroom leaked our data, there's no other way they'd know", [CRISIS])
case("nl", pub("threads", "@zonnepaneel_zorgen"), "Schandaal: Polderstroom rekende jarenlang te hoge terugleverkosten aan "
     "duizenden zonnepaneelbezitters, blijkt uit uitzoekwerk van Radar. Geld terug!!", [CRISIS])
case("en", pub("x", "@kitchen_chaos_nl"), "Polderstroom's installer drilled straight through a gas pipe in our "
     "kitchen. Whole street evacuated for two hours. Unbelievable.", [CRISIS, COMPLAINT])
case("nl", pub("tiktok", "@goot_en_glas"), "mijn man kreeg een stroomschok van de omvormer van onze PolderZon panelen "
     "toen hij de goot schoonmaakte ⚡😱 hij is oké maar dit is echt niet normaal", [CRISIS, COMPLAINT])
case("nl", pub("x", "@lek_of_niet"), "d4t4l3k bij P0lderstroom?? m'n klantgegevens staan te koop op telegram, "
     "screenshot in de replies", [CRISIS], tags=["evasion", "evasion:leet"])
case("nl", pub("forum", "EVforum_Marco"), "Let op: terugroepactie Polderstroom Laadpaal 11, bepaalde series uit "
     "2024, de laadkabel kan smelten bij langdurig laden. Check het typeplaatje!", [CRISIS])
case("en", pub("instagram", "@scorched_wall"), "our smart meter literally melted a week after Polderstroom swapped it, "
     "there's a black scorch mark up the wall 😨 nobody's called back", [CRISIS, COMPLAINT], kind="post")
case("nl", pub("x", "@koude_kamer"), "B O Y C O T   P O L D E R S T R O O M tot ze stoppen met afsluiten in de "
     "winter ❄️", [CRISIS], tags=["evasion", "evasion:spaced"])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("facebook", "ron.bijl.7", "Ron Bijl"), "Eindafrekening van Polderstroom binnen: €1.140 bijbetalen terwijl ik elke maand braaf "
     "€165 termijn betaal. Hoe dan?! En bij de klantenservice neemt niemand op 😤", [COMPLAINT])
case("en", pub("x", "@sunny_side_sam"), "@polderstroom_help third time asking: my solar feed-in hasn't been credited "
     "since March. App just shows zeros. Please fix this", [COMPLAINT], kind="reply")
case("nl", pub("facebook", "anja.meijerink", "Anja Meijerink"), "Al 6 weken wachten op de installatie van onze "
     "zonnepanelen. Elke keer een nieuwe datum. Communicatie van Polderstroom is echt bedroevend", [COMPLAINT])
case("en", pub("reddit", "u/instalment_shock"), "Polderstroom bumped my monthly instalment from €120 to €245 with "
     "zero explanation. Anyone else? Chat just loops me back to the bot.", [COMPLAINT])
case("nl", pub("threads", "@wachtmuziek"), "52 minuten in de wacht bij polderstroom en dan word je gewoon opgehangen. top "
     "service hoor 👏👏 #nietdus", [COMPLAINT])
case("nl", pub("trustpilot", "R. Hendriks"), "1 ster. Slimme meter wordt al 3 maanden niet uitgelezen en de "
     "schattingen van Polderstroom zijn belachelijk hoog.", [COMPLAINT], tags=["unknown-platform"])
case("en", pub("x", "@moving_mila"), "Moving house and Polderstroom wants a €150 cancellation fee for a contract I "
     "already ended in writing. Nope, not paying.", [COMPLAINT])
case("nl", pub("facebook", "overstap.drama", "Nicole"), f"P{CYR_O}lderstroom heeft mijn overstap verknald, zit nu al 2 maanden bij de "
     "dure noodleverancier. Niemand die het oplost", [COMPLAINT], tags=["evasion", "evasion:homoglyph"])
case("en", pub("mastodon", "hanna@mastodon.nl"), "Polderstroom's heat pump installers left our hallway a mess and the "
     "outdoor unit drones all night. Support says that's 'normal'. It isn't.", [COMPLAINT])
case("nl", pub("bluesky", "terugleveraar.bsky.social"), "€28 per maand terugleverkosten bij Polderstroom?! Daar is "
     "bij het afsluiten met geen woord over gesproken", [COMPLAINT])
case("nl", pub("youtube", "@laadpaal_larissa"), "bij mij doet de laadpaal van polderstroom het ook niet meer sinds de "
     "update, auto laadt maar met 6 kW ipv 11. helpdesk weet van niks", [COMPLAINT], kind="comment")
case("nl", pub("linkedin", "marco-kuiper-bakkerij", "Marco Kuiper"), "Als MKB-klant 4 maanden geen factuur van "
     "Polderstroom gehad en nu ineens een incasso van €3.800 in één keer. Zo ga je niet met ondernemers om.",
     [COMPLAINT])
case("nl", pub("x", "@drie_keer_niks"), "Kutbedrijf @polderstroom, drie keer een monteur beloofd en drie keer niemand. "
     "Stelletje prutsers", [COMPLAINT, ABUSE])
case("en", pub("reddit", "u/lost_readings"), "Polderstroom support are absolute morons, they've 'lost' my meter "
     "readings three months in a row", [COMPLAINT, ABUSE], kind="comment")

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@woedende_willem"), "@polderstroom_help jullie zijn echt een stelletje debielen, ga toch allemaal "
     "kapot", [ABUSE], kind="reply")
case("en", pub("x", "@angry_andy_nl"), "Polderstroom's CEO is a clown and a crook, hope his mansion stays freezing "
     "all winter", [ABUSE])
case("nl", KS, "alweer zo'n klant die vindt dat ik na de installatie ook zijn tuin moet aanharken. Klootzak.",
     [ABUSE])
case("en", pub("instagram", "@not_a_fan_99"), "@yara.boukhari useless b*tch, learn to do your job or quit",
     [ABUSE], kind="comment", tags=["evasion", "evasion:masked"])
case("nl", PSH, "@boze_bert Als u zo blijft schelden stoppen we dit gesprek. Wat een zielig mannetje ben je zeg.",
     [ABUSE], kind="reply", handle_as="@Polderstroom_Help")
case("en", pub("x", "@windmill_hater"), "f*ck polderstroom and f*ck their smug little windmill ads", [ABUSE],
     tags=["evasion", "evasion:masked"])
case("nl", pub("x", "@reclamemoe"), "t3r1ngbedrijf, k4nker op met je reclames op youtube", [ABUSE],
     tags=["evasion", "evasion:leet"])
case("en", pub("reddit", "u/grumpy_grid"), "of course the Polderstroom call centre is staffed with foreigners who "
     "can't speak proper Dutch, send them all back", [ABUSE], kind="comment")
case("en", RL, "users who can't find the 'forgot password' link are honestly morons. it's the biggest button on the "
     "screen", [ABUSE])
case("nl", pub("x", "@caps_lock_cor"), fullwidth("tyfusbedrijf") + " polderstroom, rot op met je slimme meters",
     [ABUSE], tags=["evasion", "evasion:full-width"])

# ===========================================================================
# benign: own contact data and identifiers that are not findings
# ===========================================================================
case("nl", PSH, "@femke_rdam Vervelend dat het niet lukt! Bel ons gerust gratis op 0800-0414 (ma-vr 8-20u), dan "
     "kijken we samen naar je termijnbedrag 👍", kind="reply", tags=["own-contact"])
case("nl", PSFB, "Betaal je liever zelf dan via automatische incasso? Maak het bedrag over naar NL44 RABO 0312 4577 "
     "00 t.n.v. Polderstroom Energie B.V. en vermeld je klantnummer.", tags=["own-contact"])
case("nl", pub("x", "@tipvantineke"), "Tip voor wie z'n meterstanden niet via de app krijgt doorgegeven: gewoon "
     "mailen naar klantenservice@polderstroom.nl met een foto, binnen een dag geregeld 👍", tags=["own-contact"])
case("en", PSLI, "Press and media questions? Our spokespeople are reachable via pers@polderstroom.nl or "
     "+31 88 765 4300.", tags=["own-contact"], handle_as="Polderstroom-Energie")
case("nl", pub("x", "@omgedraaid"), "Vraagje: ik vul <<BAD_IBAN_NL>> in bij Mijn Polderstroom en krijg 'ongeldig "
     "IBAN'. Oh wacht, twee cijfers omgedraaid 🤦‍♀️ opgelost", tags=["bad-checksum"])
case("en", pub("reddit", "u/newcomer_nl"), "The Polderstroom form asks for my 'contract number', is that the "
     "16-digit one on the welcome letter (<<BAD_CARD:visa_sp>>) or the shorter customer number?",
     kind="comment", tags=["bad-checksum"])
case("nl", pub("x", "@snelklaar"), "klantnummer <<NOT_BSN9>>, meterstand doorgegeven via de app, was in 1 minuut "
     "klaar. Zo hoort het 👌", tags=["bad-checksum", "praise"])
case("nl", PSIG, "💡 Overstappen? Dan heb je je EAN-code nodig: 18 cijfers, begint altijd met 871. Zo ziet hij "
     "eruit: <<EAN18>>. Die van jou staat op je jaarafrekening.", tags=["ean"])
case("nl", pub("facebook", "wim.hofstede", "Wim Hofstede"), "Slimme meter vandaag vervangen door Polderstroom, "
     "nieuw serienummer <<METER>> 🙂 monteur was binnen een half uur klaar, netjes achtergelaten", tags=["serial"])
case("en", pub("reddit", "u/expat_emma"), "Quick Q for the expats: I'm giving Polderstroom my German account for the "
     "monthly instalment, is <<BAD_IBAN_DE:grp>> the right format with the spaces, or without?",
     tags=["bad-checksum"])
case("nl", pub("x", "@pakketpiet"), "ordernummer <<NOT_BSN8>> voor de EnergieHub: verzonden en morgen al binnen 📦 "
     "snel hoor", tags=["bad-checksum", "praise"])
case("nl", pub("x", "@gasgeur_gijs"), "Gaslucht in huis? Niet je leverancier bellen maar meteen het landelijke "
     "storingsnummer 0800-9009. Polderstroom zet het ook op hun site, goed zo", tags=["service-number"])
case("nl", pub("x", "@bsn_twijfel"), "Vraagt Polderstroom echt om je BSN bij een betalingsregeling, of is dit phishing? "
     "Kreeg een sms met een linkje", tags=["neutral-question"])

# --- prices that are not pricing leaks ---------------------------------------
case("nl", PS, "☀️ Najaarsactie: PolderZon 8 panelen nu €3.790 incl. installatie (normaal €4.390). Ook te betalen in "
     "60 maanden. polderstroom.nl/zon", tags=["sale"])
case("nl", PSIG, "De ThuisAccu 10 al vanaf €54 per maand 🔋 Slim opslaan, slim besparen.",
     tags=["price-context", "monthly"])
case("nl", pub("x", "@warmtepomp_wendy"), "€750 korting op de HW-4 via Polderstroom + de ISDE-subsidie erbij, dus "
     "uiteindelijk best betaalbaar geworden 👍", tags=["price-context", "discount"])
case("en", pub("reddit", "u/fusebox_fred"), "FYI Polderstroom charges €349 for installing the Laadpaal 11 on top of "
     "the unit price if your fuse box needs an extra group. Fair enough imo.", kind="comment",
     tags=["price-context", "fee"])
case("nl", pub("facebook", "marktplaats.mieke", "Mieke"), "Te koop: gebruikte EnergieHub van Polderstroom, werkt "
     "prima, €25 ophalen in Amersfoort", tags=["price-context", "second-hand"])
case("en", pub("youtube", "@battery_bench"), "Kustenergie's home battery is €3,999 for 10 kWh vs the ThuisAccu 10 at "
     "€6,495 list. Anyone compared the warranty terms?", kind="comment", tags=["competitor"])
case("nl", pub("x", "@nachtuil_030"), "Dynamisch contract bij Polderstroom: vannacht om 3 uur stroom voor €0,04 per "
     "kWh 🤯 wasmachine, vaatwasser en auto tegelijk aan", tags=["tariff"])
case("nl", PSH, "@bargainbas Nee hoor, geen prijsfout 🙂 De EnergieHub kost deze week echt €59 in de actie. Op = op!",
     kind="reply", tags=["denied-error", "sale"])

# --- embargo terms after the embargo, codename look-alikes, markers --------------
case("en", pub("bluesky", "energyticker.bsky.social"), "Polderstroom H1 results 2026 out this morning: revenue up 9%, net loss €14m. "
     "Better than I expected tbh", when="2026-08-20T07:30:00+02:00", tags=["after-embargo", "published"])
case("nl", PS, "Nieuw: de ThuisAccu Pro 🔋 compacter, slimmer en klaar voor dynamische tarieven. Nu te bestellen "
     "via polderstroom.nl/thuisaccu-pro", when="2026-09-15T10:00:00+02:00", tags=["after-embargo", "embargo-edge"])
case("nl", pub("linkedin", "joris-mulder-installateur", "Joris Mulder"), "Zonnedak Flex van Polderstroom gezien op de Solar Solutions beurs, ziet er "
     "echt strak uit maar wel prijzig", when="2026-10-04T15:12:44+02:00", tags=["after-embargo"])
case("nl", pub("linkedin", "sanne-vos-analist", "Sanne Vos"), "Jaarcijfers 2025 van Polderstroom gelezen: "
     "klantenaantal +6%, winst flink lager door de inkoop. Interessant stuk in het FD vanochtend.",
     when="2026-03-05T08:40:00+01:00", tags=["published"])
case("nl", pub("instagram", "@vogelaar_vera"), "Vandaag eindelijk een zeearend gespot bij de Oostvaardersplassen 🦅 "
     "vlak naast de windmolens van Polderstroom", tags=["codename-word"])
case("nl", pub("x", "@weerman_zeewolde"), "Windhoos trok vanmiddag over Zeewolde, paar zonnepanelen bij de buren los. "
     "Die van ons (Polderstroom) zijn gelukkig blijven liggen 😮‍💨", tags=["codename-word"])
case("en", PSLI, "Shout-out to our data intern Bram, who presented his thesis on smart charging strategies today 🎓 "
     "Thanks for all your work!", tags=["intern-word"])
case("nl", pub("x", "@verhuisdoos"), "Nieuw huis: we hebben alleen internet en nog geen stroom 😅 Polderstroom regelt "
     "het gelukkig per morgen", tags=["marker-lookalike"])
case("nl", pub("x", "@mijnverbruik"), "Handig: via mijn.polderstroom.nl/verbruik zie je per uur wat je verbruikt. "
     "Wist ik niet!", tags=["public-domain"])

# --- other companies, other senses of risky words ---------------------------------
case("nl", pub("mastodon", "nieuwsjunk@mastodon.nl"), "Kustenergie schrapt 300 banen, las ik net op nu.nl. Hopelijk blijft het bij "
     "Polderstroom rustig", tags=["other-company"])
case("en", pub("x", "@passwordpolice"), "Another energy supplier breach (NoordGas this time, not Polderstroom). Change "
     "your passwords, folks.", tags=["other-company"])
case("en", pub("x", "@tariff_nostalgia"), "I recall Polderstroom being way cheaper last year, or is that just me? "
     "Anyone still have the old tariff sheet?", tags=["recall-word"])
case("nl", KS, "Brandoefening in het magazijn vanochtend 🚒 iedereen binnen 3 minuten buiten, netjes!",
     tags=["brand-word", "employee-benign"])
case("nl", PSIG, "Energie-lifehack 💡 zet je vaatwasser aan als de zon schijnt en je panelen vol produceren. Zo "
     "gebruik je meer van je eigen stroom!", tags=["hack-word"])

# --- negated complaints, praise, questions ----------------------------------------
case("nl", pub("facebook", "gerda.vanes", "Gerda van Es"), "Na alle verhalen hier: ik heb al 5 jaar geen enkele "
     "klacht over Polderstroom. Eindafrekening klopte altijd en de app werkt prima.", tags=["negated"])
case("en", pub("x", "@credit_where_due"), "Not complaining for once: Polderstroom sent a technician the same day our "
     "meter died. credit where it's due 👏", tags=["negated", "praise"])
case("nl", pub("x", "@verhuizer_vincent"), "@polderstroom_help hoe geef ik een tussentijdse meterstand door als ik "
     "ga verhuizen? Kan dat in de app?", kind="reply", tags=["neutral-question"])
case("nl", pub("reddit", "u/overstapper_nl"), "Overgestapt van Kustenergie naar Polderstroom, scheelt ons zo'n €30 "
     "per maand en de app is een stuk beter", kind="comment", tags=["competitor", "praise"])

# --- quotes, lyrics, jokes, fiction ----------------------------------------------
case("en", pub("instagram", "@sunny_sundays"), "🎶 Here comes the sun 🎶 first properly sunny day since the PolderZon "
     "panels went up, 21 kWh already ☀️", tags=["lyrics"])
case("en", pub("facebook", "linda.achterberg", "Linda Achterberg"), "Rewatched The Day After Tomorrow and 'damn, it's cold' hits different when "
     "your Polderstroom HW-4 is working overtime in January 🥶😂", tags=["quote", "mild-word"])
case("nl", PSLI, "Wat een prestatie: 14 collega's beklommen zes keer de Alpe d'Huez voor Alpe d'HuZes, ten bate van "
     "KWF Kankerbestrijding 🚴 Opbrengst: €12.600!", tags=["mild-word"])
case("nl", pub("threads", "@thee_om_drie"), "Mijn slimme meter weet meer over mijn leven dan mijn vrouw 😂 'om 03:12 "
     "waterkoker aan?' ja Polderstroom, ik had gewoon trek in thee", tags=["joke"])
case("en", pub("blog", "climatefiction.blog", "Noor Bakker"), "Chapter 3 of my cli-fi serial is up: in 2041 a hacker "
     "collective calling itself Windhoos blacks out a fictional Dutch city for a week. Any resemblance to real "
     "energy companies is purely coincidental 😉", tags=["fiction", "codename-word"])

# --- official notices from corporate accounts, employee small talk ----------------
case("nl", PSH, "⚠️ Storing: de app en Mijn Polderstroom zijn op dit moment slecht bereikbaar. We werken aan een "
     "oplossing. Je stroom en gas worden gewoon geleverd. Update volgt.", tags=["official-notice"])
case("en", PS, "Scheduled maintenance: Mijn Polderstroom will be offline Sunday 02:00–05:00 CET. Meter readings you "
     "submit before then are safe.", tags=["official-notice"])
case("nl", PS, "RT @NOS: Meerdere energieleveranciers verlagen per 1 juli hun tarieven, ook Polderstroom doet mee",
     kind="repost", tags=["published"])
case("nl", RL, "PSA voor het team: wachtwoorden horen in de vault, niet in Slack. Zie je er toch een? Melden en laten "
     "roteren 🔐", tags=["secret-word"])
case("en", LM, "For anyone wiring up payments locally: MOLLIE_API_KEY=live_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx is just "
     "the shape, use your own test_ key for dev and never commit a real one", tags=["placeholder"])
case("en", RL, "meter-reading rounding fix merged in 4c1e9a07d2b3f5e8a6c0d9b1e2f3a4b5c6d7e8f9, ships with tonight's "
     "release 🚀", tags=["git-sha", "employee-benign"])
case("en", pub("reddit", "u/curious_about_tokens"), "Why do GitHub tokens start with ghp_ anyway? Saw one (blurred) "
     "in a screenshot on some utility's engineering blog", kind="comment", tags=["bare-prefix"])
case("nl", KS, "40 panelen gelegd vandaag in Dronten ☀️ mooi weer, goed team, blije klant. Zo mag elke dinsdag zijn 💪",
     tags=["employee-benign"])
case("nl", AV, "Lustrum! Precies vijf jaar geleden begon ik hier als junior controller. Nog steeds elke dag leuk, "
     "zelfs tijdens de maandafsluiting 😅🎂", tags=["employee-benign"])
case("en", MY, "Our security team in Zwolle is hiring a cloud engineer. DM me or apply via "
     "polderstroom.nl/werken-bij 🔐", tags=["employee-benign"])
case("nl", YB, "Lief bedankkaartje gekregen van een klant die we hielpen met haar betalingsregeling 🥹💚 hier doe je "
     "het voor", tags=["employee-benign"])
case("nl", PSTT, "POV: je ziet je slimme meter teruglopen op een zonnige dag ☀️📉 #polderstroom #zonnestroom",
     tags=["corporate-benign"])
case("nl", pub("other", "zonfan_flevo"), fullwidth("POLDERSTROOM") + " 💚 eerste maand 100% eigen zonnestroom",
     tags=["full-width-benign"], hint="")


# ===========================================================================
# profile, roles, severity policy (CONTRACT section 4)
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
    for role in ("corporate", "employee"):
        if key in {a.casefold() for a in profile["accounts"][role]}:
            return role
    return "public"


def severity_for(role, cats, validated_id):
    """Least severity a correct verdict has. Insider leak.pii is critical only when a
    checksum-validated identifier (IBAN, card, BSN) is in the post; other insider PII is error."""
    insider = role in ("corporate", "employee")
    sev = "none"
    for c in cats:
        if c.startswith("leak."):
            if not insider:
                s = "warning"
            elif c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and validated_id):
                s = "critical"
            else:
                s = "error"
        elif c == "reputation.complaint":
            s = "warning"
        elif c == "reputation.crisis":
            s = "error"
        elif c == "reputation.abuse":
            s = "error" if insider else "warning"
        else:
            raise ValueError(c)
        sev = max(sev, s, key=RANK.get)
    return sev


# ===========================================================================
# building posts
# ===========================================================================

def _offset_hours(t_utc):
    """Europe/Amsterdam in 2026: CEST from 29 Mar 01:00Z to 25 Oct 01:00Z."""
    lo = dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc)
    hi = dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc)
    return 2 if lo <= t_utc < hi else 1


def random_created(r):
    day = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(0, 355))
    local = day + dt.timedelta(minutes=r.randint(6 * 60 + 30, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = _offset_hours(local)
    t = local - dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.85:
        return local.strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


B36 = string.digits + string.ascii_lowercase


def make_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_880_000_000_000_000_000, 2_020_000_000_000_000_000))
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
        sub = r.choice(["thenetherlands", "zonnepanelen", "Netherlands", "energie"])
        if kind == "comment":
            c = "".join(r.choice(B36) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/{sub}/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/{sub}/comments/{p}/"
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
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-{n}", f"https://forum.energiepraat.example/t/{n}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog-{h}-{n}", f"https://{h}/{n}/"
    if platform == "tweakers":
        n = r.randint(2_200_000, 2_300_000)
        return f"tw-gathering-{n}", f"https://gathering.tweakers.net/forum/list_messages/{n}"
    n = r.randint(10 ** 8, 10 ** 9)
    return f"{platform}-{n}", None


def build(profile):
    gen = Gen(SEED)
    mr = random.Random(SEED + 1)
    shuffle_r = random.Random(SEED + 2)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(gen, c["text"])
        pid, url = make_id(mr, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        created = c["when"] or random_created(mr)
        role = role_of(profile, c["platform"], c["handle"])
        validated = bool({k for k, _, _ in used} & VALID_ID_KINDS)
        sev = severity_for(role, c["cats"], "leak.pii" in c["cats"] and validated)

        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and mr.random() < 0.65:
            kind = "post"
        if kind is not None:
            post["kind"] = kind
        acct = {"handle": c["handle"]}
        if c["name"] and mr.random() < 0.7:
            acct["display_name"] = c["name"]
        if mr.random() < 0.3:
            acct["id"] = str(mr.randint(10 ** 7, 10 ** 12))
        post["account"] = acct
        post["text"] = text
        x = mr.random()
        tags = set(c["tags"])
        lang = c["lang"]
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif x < 0.09:
            pass
        elif x < 0.12:
            post["lang"] = "en" if lang == "nl" else "nl"
            tags.add("wrong-lang-hint")
        else:
            post["lang"] = lang
        post["created_at"] = created
        if url and mr.random() < 0.6:
            post["url"] = url
        if mr.random() < 0.45:
            post["brand"] = "polderstroom"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=lang, role=role, tags=tags, used=used))
    shuffle_r.shuffle(rows)
    return rows


def dump_lines(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ===========================================================================
# checker: reads cases.jsonl as an outsider would
# ===========================================================================

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
    "slack_hook": re.compile(r"hooks\.slack\.com/services/T\w+/B\w+/\w+"),
    "mollie": re.compile(r"\blive_[A-Za-z0-9]{30}\b"),
    "sendgrid": re.compile(r"\bSG\.[\w-]{22}\.[\w-]{43}\b"),
    "npm": re.compile(r"\bnpm_[A-Za-z0-9]{36}\b"),
    "azure": re.compile(r"AccountKey=[A-Za-z0-9+/]{80,}={0,2}"),
    "pem": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "jwt": re.compile(r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+"),
    "url_creds": re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s:/@]+:[^\s@/]+@"),
}
PASSWORD_WORDS = re.compile(r"wachtwoord|password|\bww\b|login", re.I)
PROFANITY = ["kut", "kanker", "k4nker", "tering", "t3r1ng", "tyfus", "klote", "klootzak", "debiel", "trut", "kapot",
             "prutser", "verneuk", "fuck", "f*ck", "shit", "b*tch", "bitch", "moron", "idiot", "clown", "crook",
             "damn", "hell"]
MILD_OK = {"damn", "hell", "kanker"}
PRICE_ERROR_WORDS = ["prijsfout", "prijs fout", "prijsföut", "price glitch", "pr1c3 gl1tch", "mess-up", "fout",
                     "dropped two zeros", "nulletje", "rounding bug", "komma", "testprijs", "glitch"]


def norm(text):
    t = unicodedata.normalize("NFKC", text).translate(INVISIBLE)
    t = "".join(" " if unicodedata.category(ch) == "So" else ch for ch in t)
    return re.sub(r"\s+", " ", t).casefold()


def squash(text):
    t = norm(text)
    return re.sub(r"\b(\w) +(?=\w\b)", r"\1", t)


def found_ibans(text):
    out = []
    for m in IBAN_RE.finditer(text):
        compact = m.group(0).replace(" ", "")
        for end in range(len(compact), 11, -1):
            if iban_valid(compact[:end]):
                out.append((compact[:end], True))
                break
        else:
            out.append((compact, False))
    return out


def found_numbers(text):
    return [re.sub(r"\D", "", m.group(0)) for m in DIGITS_RE.finditer(text)]


def found_bsn_shapes(text):
    out = re.findall(r"(?<![\w.,-])\d{8,9}(?![\w]|[.,-]\d)", text)
    return out + [m.group(0).replace(".", "") for m in BSN_DOTS_RE.finditer(text)]


def valid_ids(text):
    hits = []
    for v, ok in found_ibans(text):
        if ok and v != OWN_IBAN:
            hits.append(("iban", v))
    for d in found_numbers(text):
        if 13 <= len(d) <= 19 and luhn_valid(d) and CARD_IIN.match(d):
            hits.append(("card", d))
    for d in found_bsn_shapes(text):
        if len(d) == 9 and elfproef(d):
            hits.append(("bsn", d))
    return hits


def phones_in(text):
    out = []
    for m in PHONE_RE.finditer(IBAN_RE.sub(" ", text)):
        raw = m.group(0)
        d = re.sub(r"\D", "", raw)
        if raw.startswith("+31"):
            d = "0" + d[2:].lstrip("0")
        elif raw.startswith("0031"):
            d = "0" + d[4:].lstrip("0")
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
    hit = [p for p in products if any(a.casefold() in t for a in [p["name"]] + p["aliases"])]
    amounts = [parse_amount(m.group(1) or m.group(2)) for m in AMOUNT_RE.finditer(t)]
    if not hit or not amounts:
        return None
    return min(amounts) / min(p["list_price"] for p in hit)


def shingles(text, n=3):
    w = re.findall(r"\w+", norm(text))
    return {tuple(w[i:i + n]) for i in range(max(0, len(w) - n + 1))}


def check(lines, rows, profile):
    errors, notes, parsed = [], [], []
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_phones = set()
    for p in profile["public_identifiers"]["phones"]:
        ph = phones_in(p)
        own_phones.add(ph[0][1] if ph else re.sub(r"\D", "", p))
        own_phones.add(re.sub(r"\D", "", p))
    own_phones.add("0887654300")
    embargo = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal_terms = ([(c.casefold(), r"(?<![\w.])") for c in profile["internal"]["codenames"]]
                      + [(d.casefold(), r"(?<![\w-])") for d in profile["internal"]["domains"]]
                      + [(m.casefold(), r"(?<![\w.])") for m in profile["internal"]["markers"]])
    meta = {(r["post"]["platform"], r["post"]["id"]): r for r in rows}
    seen = set()
    for n, line in enumerate(lines, 1):
        where = f"line {n}"
        try:
            obj = json.loads(line)
        except ValueError as e:
            errors.append(f"{where}: not JSON ({e})")
            continue
        if set(obj) != {"post", "expect"}:
            errors.append(f"{where}: top-level keys {sorted(obj)}")
            continue
        p, ex = obj["post"], obj["expect"]
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                errors.append(f"{where}: post.{f} missing or not a string")
        if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str):
            errors.append(f"{where}: account.handle missing")
            continue
        for f in ("kind", "lang", "url", "brand"):
            if f in p and not isinstance(p[f], str):
                errors.append(f"{where}: post.{f} not a string")
        if not 1 <= len(p["id"]) <= 256:
            errors.append(f"{where}: id length")
        if p["platform"] not in PLATFORMS:
            notes.append(f"{where}: platform {p['platform']!r} is unlisted (treated as other)")
        if p.get("kind", "post") not in KINDS:
            errors.append(f"{where}: kind {p.get('kind')!r}")
        if len(p["text"].encode()) > 64 * 1024:
            errors.append(f"{where}: text too large")
        if not RFC3339.match(p["created_at"]):
            errors.append(f"{where}: created_at not RFC 3339")
            continue
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errors.append(f"{where}: created_at not in 2026")
        key = (p["platform"], p["id"])
        if key in seen:
            errors.append(f"{where}: duplicate id")
        seen.add(key)
        cats, sev = ex.get("categories"), ex.get("severity")
        if not isinstance(cats, list) or cats != sorted(set(cats)):
            errors.append(f"{where}: categories not a sorted unique list")
            continue
        if any(c not in TAXONOMY or c == "reputation.spike" for c in cats):
            errors.append(f"{where}: bad category in {cats}")
            continue
        if sev not in SEVERITIES or (not cats and sev != "none"):
            errors.append(f"{where}: bad severity {sev}")
            continue
        role = role_of(profile, p["platform"], p["account"]["handle"])
        text = p["text"]
        ids = valid_ids(text)
        want = severity_for(role, cats, "leak.pii" in cats and bool(ids))
        if sev != want:
            errors.append(f"{where}: severity {sev}, policy says {want}")
        r = meta.get(key)
        tags = r["tags"] if r else set()
        parsed.append((n, p, cats, sev, role, r))

        for kind, raw, shown in (r["used"] if r else []):
            if shown not in text:
                errors.append(f"{where}: {kind} not in text")
            if kind.startswith("IBAN_") and not iban_valid(raw):
                errors.append(f"{where}: {kind} fails mod-97")
            if kind.startswith("BAD_IBAN") and iban_valid(raw):
                errors.append(f"{where}: {kind} passes mod-97")
            if kind == "CARD" and not (luhn_valid(raw) and CARD_IIN.match(raw)):
                errors.append(f"{where}: card not valid")
            if kind in ("BAD_CARD", "EAN18", "METER") and luhn_valid(raw):
                errors.append(f"{where}: {kind} passes Luhn")
            if kind == "BSN" and not elfproef(raw):
                errors.append(f"{where}: BSN fails 11-proof")
            if kind in ("NOT_BSN9", "NOT_BSN8") and elfproef(raw):
                errors.append(f"{where}: {kind} passes 11-proof")
            if kind == "EAN18" and gs1_check(raw[:-1]) != raw[-1]:
                errors.append(f"{where}: EAN18 check digit wrong")
            if kind == "GHP":
                body, crc = raw[4:34], raw[34:]
                if base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0") != crc:
                    errors.append(f"{where}: GitHub token CRC wrong")
        if r and any(k in VALID_ID_KINDS for k, _, _ in r["used"]) and not ids:
            errors.append(f"{where}: valid identifier not found by the independent scan")
        if ids and "leak.pii" not in cats:
            errors.append(f"{where}: valid identifier {ids} without leak.pii")
        if "leak.secret" in cats and not (any(rx.search(text) for rx in SECRET_RES.values())
                                          or PASSWORD_WORDS.search(squash(text))):
            notes.append(f"{where}: leak.secret without a secret pattern")

        if not cats:
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_emails:
                    errors.append(f"{where}: benign post has e-mail {e}")
            for raw, d in phones_in(text):
                if len(d) == 10 and d not in own_phones:
                    errors.append(f"{where}: benign post has phone {raw}")
            for v, ok in found_ibans(text):
                if ok and v != OWN_IBAN:
                    errors.append(f"{where}: benign post has valid IBAN")
            for d in found_numbers(text):
                if 13 <= len(d) <= 19 and luhn_valid(d):
                    errors.append(f"{where}: benign post has Luhn-valid number {d}")
            for d in found_bsn_shapes(text):
                if elfproef(d) and d not in ("08000414",):
                    errors.append(f"{where}: benign post has 11-proof number {d}")
            for name, rx in SECRET_RES.items():
                for m in rx.finditer(text):
                    if "placeholder" in tags and set(m.group(0)[5:]) == {"x"}:
                        notes.append(f"{where}: placeholder secret shape (benign by design)")
                        continue
                    errors.append(f"{where}: benign post has secret-like {name}")
            low = norm(text)
            for w in PROFANITY:
                if re.search(r"\b" + re.escape(w), low) or (not w[0].isalnum() and w in low):
                    ok = w in MILD_OK and tags & {"mild-word", "quote", "lyrics"}
                    (notes if ok else errors).append(f"{where}: benign post has word {w!r}")

        nt, sq = norm(text), squash(text)
        for term, until in embargo:
            if term in nt or term in sq:
                if ts < until and "leak.confidential" not in cats:
                    errors.append(f"{where}: embargo term {term!r} before {until} without leak.confidential")
                if ts >= until and "leak.confidential" in cats:
                    errors.append(f"{where}: embargo term {term!r} after {until} labelled confidential")
        for term, before in internal_terms:
            if re.search(before + re.escape(term) + r"(?!\w)", nt):
                if "leak.confidential" not in cats:
                    errors.append(f"{where}: internal term {term!r} without leak.confidential")

        ratio = min_price_ratio(text, profile["products"])
        if not cats and ratio is not None and ratio < profile["pricing"]["alert_below_ratio"]:
            if "price-context" in tags:
                notes.append(f"{where}: benign, amount at {ratio:.3f} of list near a product "
                             f"({sorted(tags - {'price-context'})})")
            else:
                errors.append(f"{where}: benign post with a product price at {ratio:.3f} of list")
        if "leak.pricing" in cats:
            talk = any(w in sq or w in nt for w in PRICE_ERROR_WORDS)
            if not (ratio is not None and ratio < 0.5) and not talk:
                notes.append(f"{where}: leak.pricing without low price or error talk ({sorted(tags)})")

    sh = [(n, shingles(p["text"])) for n, p, *_ in parsed]
    for i in range(len(sh)):
        for j in range(i + 1, len(sh)):
            a, b = sh[i][1], sh[j][1]
            if a and b:
                jac = len(a & b) / len(a | b)
                if jac > 0.2:
                    (errors if jac > 0.4 else notes).append(f"lines {sh[i][0]} and {sh[j][0]}: overlap {jac:.2f}")
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
            if kind in VALID_ID_KINDS or kind in BAD_ID_KINDS:
                n += 1
            if kind.startswith("IBAN_") and not s_iban.is_valid(raw):
                bad.append(raw)
            if kind.startswith("BAD_IBAN") and s_iban.is_valid(raw):
                bad.append(raw)
            if kind == "CARD" and not s_luhn.is_valid(raw):
                bad.append(raw)
            if kind in ("BAD_CARD", "EAN18") and s_luhn.is_valid(raw):
                bad.append(raw)
            if kind == "BSN" and not s_bsn.is_valid(raw):
                bad.append(raw)
            if kind == "NOT_BSN9" and s_bsn.is_valid(raw):
                bad.append(raw)
            if kind == "NOT_BSN8" and s_bsn.is_valid("0" + raw):
                bad.append(raw)
    if not s_iban.is_valid(OWN_IBAN):
        bad.append(OWN_IBAN)
    return (f"python-stdnum DISAGREES on {bad}" if bad
            else f"python-stdnum agrees on all {n} generated IBANs, cards, BSNs and look-alikes")


def report(parsed):
    total = len(parsed)
    cat_c, cat_l, cat_r, cat_e = Counter(), Counter(), Counter(), Counter()
    lang_c, role_c, sev_c, plat_c, kind_c, tag_c = (Counter() for _ in range(6))
    benign = multi = ev = 0
    for n, p, cats, sev, role, r in parsed:
        lang = r["lang"] if r else "?"
        tags = r["tags"] if r else set()
        lang_c[lang] += 1
        role_c[role] += 1
        sev_c[sev] += 1
        plat_c[p["platform"]] += 1
        kind_c[p.get("kind", "(default)")] += 1
        tag_c.update(tags)
        keys = cats or ["(benign)"]
        benign += not cats
        multi += len(cats) > 1
        ev += "evasion" in tags
        for c in keys:
            cat_c[c] += 1
            cat_l[(c, lang)] += 1
            cat_r[(c, role)] += 1
            cat_e[c] += "evasion" in tags
    print(f"cases: {total}  benign: {benign}  positive: {total - benign}  multi-category: {multi}  evasion: {ev}")
    print(f"\n{'category':24s} total   nl   en  corp  empl  publ  evasion")
    for c in [t for t in TAXONOMY if t != "reputation.spike"] + ["(benign)"]:
        print(f"{c:24s} {cat_c[c]:5d} {cat_l[(c, 'nl')]:4d} {cat_l[(c, 'en')]:4d} {cat_r[(c, 'corporate')]:5d} "
              f"{cat_r[(c, 'employee')]:5d} {cat_r[(c, 'public')]:5d} {cat_e[c]:8d}")
    print("\nlanguage:", dict(lang_c))
    print("role:", dict(role_c))
    print("severity:", {s: sev_c[s] for s in SEVERITIES})
    print("platform:", dict(plat_c.most_common()))
    print("kind:", dict(kind_c.most_common()))
    print("tags:", dict(sorted(tag_c.items())))
    return cat_c, total, benign


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--notes", action="store_true")
    args = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    lines = dump_lines(rows)
    if not args.check:
        OUT.write_text("".join(lines), encoding="utf-8")
        print(f"wrote {len(lines)} cases to {OUT}")
        return 0
    disk = OUT.read_text(encoding="utf-8").splitlines(keepends=True)
    errors, notes, parsed = check(disk, rows, profile)
    if disk != lines:
        errors.append("cases.jsonl differs from what make_cases.py generates")
    print(cross_check_stdnum(rows))
    cat_c, total, benign = report(parsed)
    if not 150 <= total <= 180:
        errors.append(f"{total} cases, want 150-180")
    for c in TAXONOMY:
        if c != "reputation.spike" and cat_c[c] < 10:
            errors.append(f"{c}: only {cat_c[c]} positives")
    if args.notes:
        print("\nnotes:")
        for x in notes:
            print("  " + x)
    print(f"\n{len(errors)} error(s), {len(notes)} note(s)")
    for e in errors:
        print("  ERROR " + e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
