#!/usr/bin/env python3
"""Deterministic generator and self-check for the sealed93 blind evaluation set.

    python3 make_cases.py            # (re)write cases.jsonl next to this file
    python3 make_cases.py --check    # regenerate in memory, compare, validate, print counts

Company: the fictional "Meridiaan Musea Groep B.V." (profile.yaml), a Dutch museum
and cultural-attractions group. All texts are hand-written below; identifiers and
secrets are filled from <<KIND:fmt>> placeholders by a seeded RNG, so the output is
byte-for-byte reproducible. Positives get checksum-valid identifiers, near-miss
negatives get identifiers that fail their checksum. Every secret is random and fake.

Severity is never typed by hand: severity_for() derives it from CONTRACT section 4
(account role from profile.yaml by platform:handle, case-insensitive; categories;
whether a checksum-validated IBAN / card / BSN is present in a leak.pii post).
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

SEED = 93_2026_0611
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

TAXONOMY = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse",
            "reputation.spike"]
SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
PLATFORMS = ["x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube",
             "reddit", "mastodon", "bluesky", "threads", "forum", "blog", "other"]

ZW = "\u200b"     # zero-width space
SHY = "\u00ad"    # soft hyphen
CYR_O = "\u043e"  # Cyrillic small o (looks like Latin o)
CYR_A = "\u0430"  # Cyrillic small a


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) - 0x21 + 0xFF01) if "!" <= c <= "~" else c
                   for c in s)


# --------------------------------------------------------------------------- checksums

def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    num = "".join(str(int(c, 36)) for c in s[4:] + s[:4])
    return int(num) % 97 == 1


def iban_build(country, bban):
    num = "".join(str(int(c, 36)) for c in bban + country + "00")
    return f"{country}{98 - int(num) % 97:02d}{bban}"


def luhn_ok(d):
    d = re.sub(r"\D", "", d)
    tot = 0
    for i, ch in enumerate(reversed(d)):
        v = int(ch) * (2 if i % 2 else 1)
        tot += v - 9 if v > 9 else v
    return bool(d) and tot % 10 == 0


def luhn_finish(prefix):
    return next(prefix + c for c in "0123456789" if luhn_ok(prefix + c))


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t != 0 and t % 11 == 0


def ean13_ok(s):
    return (sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(s[:12])) + int(s[12])) % 10 == 0


# --------------------------------------------------------------------------- placeholder values

ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
OWN_IBAN = "NL39RABO0314459870"


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

    def dig(self, n, nz=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def ch(self, alpha, n):
        return "".join(self.r.choice(alpha) for _ in range(n))

    @staticmethod
    def g4(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    def iban_nl(self):
        while True:
            v = iban_build("NL", self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "ASNB", "BUNQ", "KNAB", "TRIO"])
                           + self.dig(10, True))
            if v != OWN_IBAN:
                return v

    def iban_de(self):
        return iban_build("DE", self.r.choice(["50010517", "12030000", "30050110", "76010085"]) + self.dig(10))

    def iban_be(self):
        first = self.r.choice(["063", "001", "310", "737", "143"]) + self.dig(7)
        return iban_build("BE", f"{first}{(int(first) % 97) or 97:02d}")

    def bad_iban(self, good):
        k = int(good[2:4])
        for d in (7, 19, 31, 44, 58):
            c = f"{good[:2]}{(k + d) % 100:02d}{good[4:]}"
            if not iban_ok(c):
                return c
        raise AssertionError

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
            s = self.dig(9, True)
            if bsn_ok(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.dig(n, True)
            if not bsn_ok(s) and not luhn_ok(s):
                return s

    def ean13(self):
        while True:
            body = "87" + self.dig(10)
            full = next(body + c for c in "0123456789" if ean13_ok(body + c))
            if not luhn_ok(full) and not bsn_ok(full):
                return full

    def phone(self, fmt):
        if fmt.startswith("mob"):
            d = self.r.choice("12345") + self.dig(7)   # 8 digits after the 6
            return {"mob_dash": f"06-{d}", "mob_plain": f"06{d}",
                    "mob_intl_sp": f"+31 6 {d[:4]} {d[4:]}", "mob_pairs": f"06 {d[:2]} {d[2:4]} {d[4:6]} {d[6:]}",
                    "mob_0031": f"0031 6 {d}", "mob_intl0": f"+31 (0)6 {d[:2]} {d[2:5]} {d[5:]}"}[fmt]
        area = self.r.choice(["10", "15", "20", "30", "35", "40", "50", "70", "71", "76"])
        sub = self.r.choice("2345789") + self.dig(6)
        return {"land_dash": f"0{area}-{sub}", "land_sp": f"0{area} {sub[:3]} {sub[3:]}"}[fmt]

    def passport(self):
        letters = "ABCDEFGHIJKLMNPQRSTUVWXYZ"   # no O in Dutch document numbers
        return (self.ch(letters, 2) + self.ch(letters + "123456789", 6) + self.ch(string.digits, 1))

    def ghp(self):
        body = self.ch(ALNUM, 30)
        return "ghp_" + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def glpat(self):
        return "glpat-" + self.ch(ALNUM + "-_", 20)

    def aws_id(self):
        return "AKIA" + self.ch(B32, 16)

    def aws_secret(self):
        return self.ch(B64, 40)

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return f"https://hooks.slack.com/services/T{self.ch(up, 8)}/B{self.ch(up, 10)}/{self.ch(ALNUM, 24)}"

    def stripe(self):
        return "sk_live_" + self.ch(ALNUM, 24)

    def mollie(self):
        return "live_" + self.ch(ALNUM, 30)

    def sendgrid(self):
        return "SG." + self.ch(B64URL, 22) + "." + self.ch(B64URL, 43)

    def gapi(self):
        return "AIzaSy" + self.ch(B64URL, 33)

    def jwt(self):
        h = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        iat = 1767225600 + self.r.randint(0, 300 * 86400)
        p = b64url(json.dumps({"sub": "staff_" + self.dig(5, True), "iss": "tickets.meridiaanmusea.nl",
                               "scope": "schools.admin", "iat": iat, "exp": iat + 7200},
                              separators=(",", ":")).encode())
        return f"{h}.{p}.{self.ch(B64URL, 43)}"

    def pem_openssh(self):
        head = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
        lines = [head] + [self.ch(B64, 70) for _ in range(3)] + [self.ch(B64, 22) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"

    def password(self):
        return (self.r.choice(string.ascii_uppercase) + self.ch(string.ascii_lowercase, 4)
                + self.ch(string.digits, 3) + self.r.choice("!#$%&") + self.ch(ALNUM, 4))

    def hexs(self, n):
        return self.ch("0123456789abcdef", n)


VALID_ID_KINDS = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(g, text):
    used = []

    def sub(m):
        k, f = m.group(1), m.group(2) or ""
        if k in ("IBAN_NL", "IBAN_DE", "IBAN_BE"):
            raw = getattr(g, k.lower())()
            shown = g.g4(raw) if f == "grp" else raw
        elif k in ("BAD_IBAN_NL", "BAD_IBAN_DE"):
            raw = g.bad_iban(g.iban_nl() if k.endswith("NL") else g.iban_de())
            shown = g.g4(raw) if f == "grp" else raw
        elif k == "CARD":
            b, _, ff = f.partition("_")
            raw = g.card(b)
            shown = g.fmt_card(raw, ff or "sp")
        elif k == "BAD_CARD":
            b, _, ff = f.partition("_")
            raw = g.bad_card(b)
            shown = g.fmt_card(raw, ff or "sp")
        elif k == "BSN":
            raw = g.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if f == "dots" else (
                f"{raw[:3]} {raw[3:6]} {raw[6:]}" if f == "sp" else raw)
        elif k == "NOT_BSN9":
            shown = raw = g.not_bsn(9)
        elif k == "NOT_BSN8":
            shown = raw = g.not_bsn(8)
        elif k == "EAN13":
            shown = raw = g.ean13()
        elif k == "PHONE":
            shown = raw = g.phone(f)
        elif k == "PASSPORT":
            shown = raw = g.passport()
        elif k == "HEX":
            shown = raw = g.hexs(int(f))
        else:
            fn = {"GHP": g.ghp, "GLPAT": g.glpat, "AWS_ID": g.aws_id, "AWS_SECRET": g.aws_secret,
                  "SLACK_HOOK": g.slack_hook, "STRIPE": g.stripe, "MOLLIE": g.mollie,
                  "SENDGRID": g.sendgrid, "GAPI": g.gapi, "JWT": g.jwt, "PEM_OPENSSH": g.pem_openssh,
                  "PW": g.password}[k]
            shown = raw = fn()
        used.append((k, raw, shown))
        return shown

    return PH.sub(sub, text), used


# --------------------------------------------------------------------------- accounts

# corporate
MM_X = ("x", "@meridiaanmusea", "Meridiaan Musea")
MM_INFO = ("x", "@meridiaan_info", "Meridiaan Klantenservice")
MM_IG = ("instagram", "@meridiaan.musea", "Meridiaan Musea")
MM_LI = ("linkedin", "meridiaan-musea-groep", "Meridiaan Musea Groep B.V.")
MM_FB = ("facebook", "MeridiaanMusea", "Meridiaan Musea")
MM_TT = ("tiktok", "@meridiaanmusea", "Meridiaan")
# employees
LOTTE = ("x", "@lotte_educatie", "Lotte Smit")                        # education / school visits
DAAN = ("instagram", "@daan.suppoost", "Daan Visser")                  # attendant / night security
NOOR = ("linkedin", "noor-hendriks-meridiaan", "Noor Hendriks")        # finance controller
BAS = ("linkedin", "bas-kuipers-ict", "Bas Kuipers")                   # IT
YARA = ("x", "@yara_cafe_mm", "Yara Benali")                           # café manager
RUBEN = ("threads", "@ruben.curator", "Ruben Mulder")                  # curator / exhibitions
EVA = ("bluesky", "eva-kassa.bsky.social", "Eva de Wit")               # ticket desk
MILAN = ("mastodon", "@milanb@mastodon.nl", "Milan Bos")               # web developer


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


# =========================================================================== leak.secret

case("en", BAS, "Proud of the team 💪 we moved all ticketing webhooks to the new cluster this weekend, zero downtime!\n\n"
     "config for the curious:\nMOLLIE_API_KEY=<<MOLLIE>>\nWEBHOOK_URL=https://tickets.meridiaanmusea.nl/hooks/mollie\n\n"
     "#devops #museumtech", [SECRET])
case("nl", MILAN, "wie kan me helpen, deploy faalt steeds met een 403 😩\n\n"
     "git clone https://milanb:<<GHP>>@github.com/meridiaan-musea/kassa-app.git\n\nal 2 uur mee bezig",
     [SECRET], kind="post")
case("en", MILAN, "note to self bc i keep losing it lol\nstaging db → postgres://mm_app:<<PW>>@db-stg.meridiaan.local:5432/tickets",
     [SECRET, CONF])
case("nl", EVA, "ICT heeft me eindelijk toegang gegeven tot de kassa-admin 🎉 wachtwoord is <<PW>> , "
     "dat ga ik dus echt nooit onthouden haha", [SECRET])
case("en", pub("reddit", "u/apk_pokes_around"), "Decompiled the Meridiaan Musea app (v3.2) out of curiosity. "
     "There's a Google API key sitting in the resources in plain text: <<GAPI>>\n\n"
     "Mailed info@meridiaanmusea.nl about it last week, no answer yet.", [SECRET])
case("nl", YARA, "Koppeling tussen de cafékassa en de bezorgapp werkt eindelijk!! 🥳 voor de collega van de late dienst "
     "zet ik de key even hier want de mail doet raar: <<STRIPE>>", [SECRET])
case("en", BAS, "Throwback to how we used to do it 🙈 the old backup user for our collection image bucket:\n"
     "key id <<AWS_ID>>\nsecret <<AWS_SECRET>>\nRotated since, so don't bother. Use a vault, folks. #infosec",
     [SECRET], tags=["rotated"])
case("nl", MILAN, "kan iemand zien waarom ssh deze niet slikt? 🤔\n\n<<PEM_OPENSSH>>", [SECRET], kind="post")
case("nl", pub("forum", "webnerd_rdam"), "Die webbouwer van Meridiaan heeft hun Slack-webhook gewoon in de JS van de "
     "site laten staan lol\n<<SLACK_HOOK>>\nkan iedereen berichten in hun kanaal posten 🙃", [SECRET])
case("nl", MM_X, "test nieuwe planningstool, negeer dit\nsendgrid: <<SENDGRID>>", [SECRET])
case("en", LOTTE, "why does the school booking portal log me out every 5 min?!! here's my session token in case IT "
     "wants to look: <<JWT>>", [SECRET])
case("nl", DAAN, "nachtdienst in het depot 🌙 en de wifi in het beveiligingshok doet het eindelijk.\n"
     "w a c h t w o o r d: <<PW>>\n(niet tegen m'n leidinggevende zeggen 🤫)", [SECRET], tags=["evasion"])
case("en", pub("x", "@gitscraper_bot_nl"), "lmao @meridiaanmusea your intern pushed a gitlab token to a public repo: "
     "<<GLPAT>> 🤦 might wanna look at that", [SECRET])

# =========================================================================== leak.pii

case("nl", EVA, "mevrouw liet haar Meridiaanpas liggen bij de kassa, iemand die haar kent? Ingrid Vermeulen, "
     "ingrid.vermeulen72@gmail.com, <<PHONE:mob_dash>> 🙏", [PII])
case("nl", MM_INFO, "@jvdlinden Excuses voor het gedoe! We storten het bedrag terug op <<IBAN_NL:grp>> t.n.v. "
     "J. van der Linden, binnen 5 werkdagen op je rekening.", [PII], kind="reply")
case("nl", NOOR, "Nieuwe vrijwilliger begint maandag in het Glazen Pakhuis 🎉 voor de salarisadministratie: "
     "Henk Schouten, BSN <<BSN:dots>>, geb. 14-03-1961.\n\n(oeps, verkeerde groep??)", [PII])
case("nl", pub("facebook", "Kübra Demir"), "Hoi Meridiaan, het schoolreisje van groep 7 ging niet door. Wanneer krijg "
     "ik mijn geld terug?? Rekening <<IBAN_NL>> t.n.v. K. Demir. Al 3 weken niks gehoord!", [PII, COMPLAINT],
     kind="comment")
case("en", pub("instagram", "@wanderlust.jess"), "booked the Meridiaan day ticket but payment failed twice ugh. "
     "card <<CARD:visa_sp>> exp 09/28, can someone at @meridiaan.musea check what's wrong?? 😭",
     [PII, COMPLAINT])
case("nl", pub("x", "@ronnie_sdam"), "die suppoost van zaal 2 heet Kevin Mol en woont op de Zwanenstraat 14 in Schiedam. "
     "ga maar eens langs, die eikel heeft het verdiend", [PII, ABUSE])
case("nl", LOTTE, "Morgen drie klassen van OBS De Regenboog voor de Ontdekroute! 🚌 Contact juf Marieke: "
     "<<PHONE:mob_intl_sp>> voor als de bus vertraging heeft", [PII])
case("en", pub("reddit", "u/biketoday010"), "PSA: found a wallet near the Glazen Pakhuis entrance. ID card says "
     "Tomasz Nowak, born 02-11-1988, document no. <<PASSPORT>>. Handed it in at the Meridiaan desk but posting "
     "just in case", [PII])
case("nl", DAAN, "Gevonden voorwerpen 🔎 laptoptas met naam Sophie Brandsma, mailadres op het labeltje: "
     "sophie.brandsma [at] hotmail [punt] com. iemand?", [PII], tags=["evasion"])
case("en", pub("x", "@marcotravels"), "@meridiaan_info why was my Meridiaanpas renewal charged TWICE?? same "
     "Mastercard <<CARD:mc_dash>> both times. sort it out pls", [PII, COMPLAINT], kind="reply")
case("nl", MM_FB, "Beste meneer Koster, uw nieuwe Meridiaanpas is vandaag verstuurd naar Lindelaan 3, 2612 AB Delft. "
     "Veel museumplezier!", [PII], kind="comment")
case("nl", pub("forum", "anouk_b"), "Moest voor de vrijwilligersvacature bij Meridiaan een formulier invullen maar "
     "de mail kwam terug. Heb nu mijn BSN <<BSN>> en geboortedatum gewoon in het contactformulier gezet, is dat erg?",
     [PII])
case("en", YARA, "Happy birthday to our café superstar Priya Raman!! 🎂 born 21/07/1999 (don't tell her I told you) "
     "and if you wanna send flowers: Rozengracht 88b, Rotterdam 💐", [PII])
case("nl", pub("threads", "@stefan.jansen.bonn"), "Meridiaan, ik heb 2x betaald voor de depottour. Terugstorten op "
     "mijn Duitse rekening graag: <<IBAN_DE>> - S. Jansen", [PII, COMPLAINT])
case("en", EVA, "refund for mr. Peeters from Gent still pending, his account is <<IBAN_BE>>. who in finance picks "
     "this up?", [PII])
case("nl", pub("tiktok", "@fatmaa.k"), "wie heeft die klas van de Keizer Karelschool gezien in het Glazen Pakhuis "
     "vandaag? m'n dochter is haar jas kwijt, bel me aub <<PHONE:mob_plain>> (Fatma)", [PII])
case("nl", pub("x", "@jeroen_klaagt"), "Meridiaan reageert niet op mail dus dan maar zo: bel me terug op "
     "<<PHONE:land_sp>> over die dubbele afschrijving van de Meridiaanpas!! Jeroen Bakker", [PII, COMPLAINT])

# =========================================================================== leak.pricing

case("nl", EVA, "haha in de webshop staat de Meridiaanpas ineens voor €6,50 😅 volgens mij heeft iemand een komma "
     "verschoven", [PRICING])
case("nl", pub("x", "@dealjager"), "PRIJSFOUT!! Glazen Pakhuis Familieticket voor €6,90 op tickets.meridiaanmusea.nl "
     "🏃‍♀️🏃‍♀️ snel boeken", [PRICING])
case("en", pub("reddit", "u/cheapskate_ams"), "Meridiaan day ticket showing €2.45 at checkout right now. pretty sure "
     "that's not intended but grabbed 4 anyway lol", [PRICING])
case("nl", LOTTE, "Collega's!! Ontdekroute schoolbezoek staat in het boekingssysteem voor €18,50 per klas, scholen "
     "boeken massaal 😬 wie kan dit fixen", [PRICING])
case("nl", MM_IG, "Zomerdeal ☀️ Meridiaanpas Duo nu voor maar €10,90! Alleen deze week 🎟️ #museumzomer", [PRICING])
case("nl", YARA, "oei, de Meridiaan high tea stond vanmiddag voor €3,25 in de kassa 🙈 halve zaal zat vol. morgen "
     "weer normaal hoor", [PRICING])
case("nl", pub("facebook", "Rianne de Groot"), "p r i j s f o u t bij de depottour denk ik?? €1,75 pp 😂 wie gaat er "
     "mee zaterdag", [PRICING], tags=["evasion"])
case("en", pub("threads", "@lowkeycheap"), "there's a pricing error on the Meridiaan museum card renewal in the app "
     "rn, it's literally cents. go go go", [PRICING])
case("en", MILAN, "oops. pushed a bad price feed, the Duopas is listed at €1.09 on the webshop since 14:00. rolling "
     "back now, pls don't share 🙏", [PRICING])
case("en", pub("x", "@budgetbart"), "Meridiaan dägticket for €4 😳 pricing glïtch or what", [PRICING],
     tags=["evasion"])
case("nl", pub("forum", "theeleut"), "Volgens mij is er iets misgegaan bij de High Tea Meridiaan: voor 2 personen "
     "€6 totaal ipv €65. Heb maar meteen geboekt haha", [PRICING])
case("en", NOOR, "Heads up finance team: the Glazen Pakhuis family ticket went out at €16.90 in the partner feed "
     "instead of €69.00. ~1,200 sold. Need a decision on honouring them by EOD.", [PRICING])
case("nl", pub("tiktok", "@sparen.met.sanne"), "Meridiaanpas voor €9,95?!? pr1jsf0ut alert 🚨🚨 ren", [PRICING],
     tags=["evasion"])

# =========================================================================== leak.confidential

case("nl", RUBEN, "Eindelijk mag ik het zeggen… nou ja, bijna 🤭 Project Zilvermeeuw wordt de mooiste zaal die we "
     "ooit hebben gebouwd. Meer verklap ik niet!", [CONF])
case("en", RUBEN, "Two years of work on the Drowned Fleet show — wreck finds from the Zuiderzee, 300+ objects, "
     "opening this autumn. Can't wait!!", [CONF], when="2026-06-10T21:14:03+02:00")
case("nl", pub("x", "@museummeisje"), "m'n tante werkt in het depot en zegt dat de volgende expo De Verdronken Vloot "
     "heet, met echte scheepswrakken 😍 #meridiaan", [CONF], when="2026-07-02T18:40:00Z")
case("nl", EVA, "Over een paar minuten gaan de boekingen open voor De Verdronken Vloot!! wie komt er?", [CONF],
     when="2026-09-01T09:59:00+02:00", tags=["embargo-edge"])
case("nl", BAS, "Wie heeft er nog toegang tot collectie.meridiaan.local? Moet de nieuwe aanwinsten uploaden voor "
     "de website en krijg steeds een timeout", [CONF])
case("en", MILAN, "anyone else hate vague jira tickets? 'fix the thing' 😤 https://jira.meridiaanmusea.nl/browse/TIX-2291",
     [CONF])
case("nl", pub("reddit", "u/kunstkijker_010"), "Kreeg dit doorgestuurd van een vriend, bovenaan staat "
     "'MERIDIAAN VERTROUWELIJK' en het gaat over de herinrichting van de kinderzaal. Ziet er tof uit eigenlijk",
     [CONF])
case("nl", DAAN, "nachtdienst tijdens de verbouwing van Operatie\nEbbenhout 👷 stiekem al even binnen gekeken, wauw",
     [CONF], tags=["evasion"])
case("en", LOTTE, "Can't say much but Project 🕊️ Zilvermeeuw is going to change how schools experience the museum!!",
     [CONF], tags=["evasion"])
case("en", pub("x", "@astro_anne"), "Heard Meridiaan is building something called the Kepler Dome on top of the "
     "Glazen Pakhuis?? planetarium vibes 🔭", [CONF], when="2026-03-30T12:05:41Z")
case("nl", MM_X, "Nog één minuut… 👀 de Keplerkoepel komt eraan!", [CONF], when="2026-04-14T08:59:00+02:00",
     tags=["embargo-edge"])
case("nl", NOOR, "Druk met de eerste versie van het jaarverslag 2026 📊 spoiler: het wordt een heel goed jaar", [CONF, FIN])
case("en", BAS, "Sharing our new onboarding deck for IT volunteers (slide 1 says MERIDIAAN CONFIDENTIAL but that's "
     "fine right 😅) https://wiki.meridiaanmusea.nl/it/onboarding", [CONF])
case("en", pub("forum", "opsec_otter"), "Their VPN portal is just vpn.meridiaanmusea.nl, spotted it in a job ad "
     "screenshot lol", [CONF])
case("nl", YARA, "Nieuwe menukaart komt tegelijk met Blauw" + ZW + "druk26 😋 meer mag ik niet zeggen", [CONF],
     tags=["evasion"])
case("nl", EVA, "Nieuwe kassa-instructie gekregen, staat 'niet voor extern gebruik' bovenop maar ik snap er echt "
     "niks van 🙃 wie wel", [CONF])
case("nl", pub("instagram", "@ruben.curator"), "Sneak peek 👀 de eerste vitrines voor Project Zilvermeeuw zijn binnen!",
     [CONF], tags=["unlisted-handle"])

# =========================================================================== leak.financial

case("nl", NOOR, "Zware dag. De gemeente kort de subsidie met 22% en er gaan zo'n 35 fte uit. Officieel hoort "
     "niemand het vóór de OR-vergadering.", [FIN])
case("en", RUBEN, "Not supposed to say this, but we're in talks to take over Museum Dorrestein in Leiden. Would be "
     "huge for our collection.", [FIN])
case("nl", pub("x", "@insider_010"), "Hoor van binnenuit dat Meridiaan het Glazen Pakhuis wil verkopen aan een "
     "pretparkketen 😳", [FIN])
case("nl", YARA, "omzet café dit kwartaal 30% onder begroting, we moeten voor de zomer 4 mensen laten gaan 😔", [FIN])
case("en", NOOR, "Q3 visitor numbers came in 18% below forecast. Board meets Thursday, expecting a hiring freeze "
     "across all three museums.", [FIN])
case("nl", LOTTE, "Educatieteam wordt per 1 januari opgeheven, iedereen krijgt een ont" + SHY + "slag" + SHY
     + "brief 💔 nog niet verder vertellen", [FIN], tags=["evasion"])
case("en", pub("reddit", "u/numbersguy_nl"), "my mate in finance says Meridiaan will post a loss of about 3 million "
     "this year and the board is looking at closing one location", [FIN])
case("nl", BAS, "Interne reorganisatie bij ICT: onze afdeling gaat op in een shared service center met de gemeente. "
     "Aankondiging volgt pas in oktober.", [FIN])
case("en", EVA, "rumour at the ticket desk confirmed by our manager: they're outsourcing the whole kassa team to an "
     "agency next year. still not announced", [FIN])
case("nl", MM_LI, "Intern: fusiegesprekken met Stichting Havenlicht in afrondende fase, persbericht volgt 12/11. "
     "Graag nog niet delen.", [FIN])
case("en", NOOR, "l4yoffs incoming at the museum group, 20-ish roles in visitor services. can't believe it", [FIN],
     tags=["evasion"])
case("nl", pub("facebook", "Marja Hoekstra"), "Mijn buurvrouw zit in de raad van toezicht en vertelde dat de "
     "Meridiaanpas volgend jaar €89 wordt en dat ze een ander museum gaan overnemen", [FIN])

# =========================================================================== leak.security

case("nl", DAAN, "al 2 weken doen de bewegingsmelders in zaal 5 (Gouden Eeuw) het niet 😬 we lopen gewoon extra "
     "rondes. niet tegen de verzekeraar zeggen haha", [SEC])
case("en", BAS, "Long night. Ransomware hit our ticketing back office around 2am, restoring from backups now. Not "
     "public yet so keep it quiet pls", [SEC])
case("en", MILAN, "found out today that if you change the order number in the e-ticket URL you can download other "
     "people's tickets incl. their names 🤦 ticket is in, fix next sprint", [SEC])
case("nl", EVA, "Kassasysteem ligt er in alle drie de musea uit sinds 9 uur, we laten mensen gewoon gratis binnen 🙈 "
     "officieel bericht komt nog", [SEC])
case("nl", pub("x", "@boos_op_alles"), "Meridiaan is gehackt en ze houden het stil!! Mijn neef werkt er, alle "
     "klantgegevens van de Meridiaanpas liggen op straat. #datalek", [SEC, CRISIS])
case("en", DAAN, "the depot back door alarm has been off since the renovation started, anyone could walk in lol. "
     "security budget 📉", [SEC])
case("nl", BAS, "onze mailserver is geh4ckt, er gaan phishingmails uit namens info@meridiaanmusea.nl. intern mag "
     "niemand er iets over zeggen", [SEC], tags=["evasion"])
case("nl", LOTTE, "Boekingsportaal voor scholen ligt sinds gisteren plat, honderden groepen kunnen niet boeken en we "
     "mogen nog niks communiceren 😩", [SEC])
case("en", pub("reddit", "u/throwaway_mm_it"), "Meridiaan Musea leaked the museum card database and is covering it "
     "up. A friend on the IT team says they've known for weeks.", [SEC, CRISIS])
case("nl", MILAN, fullwidth("lek") + " in de ticketshop: admin panel is zonder login bereikbaar. gemeld, maar er "
     "gebeurt niks", [SEC], tags=["evasion"])
case("en", YARA, "café card terminals got skimmed?? police were here this morning and we're told to say "
     "'maintenance' 🤐", [SEC])
case("nl", BAS, "Camerasysteem in het Glazen Pakhuis draait nog op Windows XP en hangt gewoon open aan internet. "
     "Niemand wil het horen.", [SEC])

# =========================================================================== reputation.crisis

case("nl", pub("x", "@klimaatkees"), "Meridiaan laat zich sponsoren door een oliegigant 🤮 BOYCOT tot ze stoppen. "
     "Zeg je Meridiaanpas op! #boycotmeridiaan", [CRISIS])
case("en", pub("reddit", "u/provenance_matters"), "Meridiaan has been displaying a bronze they know was looted, and "
     "the director lied about where it came from in that interview. Absolute scandal.", [CRISIS])
case("nl", pub("facebook", "Sandra Wijnands"), "Mijn dochter (6) kreeg gisteren een vitrinedeksel op haar hand in "
     "het Glazen Pakhuis, 2 vingers gebroken. Niemand van het personeel heeft ook maar iets gedaan!!",
     [CRISIS, COMPLAINT])
case("en", pub("x", "@lena_vdm"), "Meridiaan leaked my data. Got a phishing mail with my museum card number and home "
     "address in it. Thanks a lot @meridiaanmusea", [CRISIS])
case("nl", pub("instagram", "@moederdochterdagje"), "Na de high tea bij Café Meridiaan lagen mijn moeder en ik twee "
     "dagen ziek op bed. Voedselvergiftiging. Nooit meer.", [CRISIS, COMPLAINT])
case("en", pub("youtube", "ArtLawWatch"), "The heirs of the Goldstein family are suing Meridiaan over that painting "
     "in room 3. Hope they win.", [CRISIS], kind="comment")
case("nl", pub("x", "@woedend_wim"), "d a t a l e k bij Meridiaan?? m'n mail en adres staan op een of ander "
     "forum 😡", [CRISIS], tags=["evasion"])
case("en", pub("threads", "@allergymum"), "Café Meridiaan's hazelnut cookies are part of that nut allergen recall and "
     "they were STILL selling them yesterday!", [CRISIS])
case("en", pub("tiktok", "@dayoutwithkids"), "Ceiling panel came down in the Glazen Pakhuis café area an hour ago, "
     "people screaming, kids everywhere. how is this building even open", [CRISIS])
case("nl", pub("x", "@sms_spam_hater"), "M3ridiaan geh4ckt?? iedereen met een Meridiaanpas krijgt rare sms'jes en "
     "zij zeggen helemaal niks", [SEC, CRISIS], tags=["evasion"])
case("en", pub("bluesky", "juf-amira.bsky.social"), "Teachers: please stop booking school trips with Meridiaan "
     "until they answer for the racist labels in the colonial wing. #boycott", [CRISIS])
case("en", pub("facebook", "Linda Okafor"), "My husband slipped on the wet floor at the Meridiaan entrance, no sign "
     "anywhere, broken wrist. Staff just shrugged. We're talking to a lawyer.", [CRISIS, COMPLAINT])

# =========================================================================== reputation.complaint

case("nl", pub("x", "@hanneke_r"), "Al 40 min in de rij voor de kassa terwijl we een tijdslot hadden geboekt. "
     "Waarom boek je dan een tijdslot @meridiaanmusea 🙄", [COMPLAINT])
case("en", pub("forum", "tripnotes"), "Audio tour crashed 3 times in 20 minutes and staff told me to 'just restart "
     "your phone'. Not what you expect for €24.50 a ticket.", [COMPLAINT])
case("nl", pub("facebook", "Meester Joost"), "Onze klas had de Ontdekroute geboekt maar de rondleider kwam niet "
     "opdagen. 28 kinderen een uur laten wachten. Graag een reactie.", [COMPLAINT], kind="comment")
case("en", pub("instagram", "@flatwhite.fiona"), "café meridiaan took 45 min for two coffees and a cold croissant. "
     "lovely museum, terrible café ☕️👎", [COMPLAINT])
case("en", pub("reddit", "u/wheelsandwheels"), "Wheelchair lift at the Glazen Pakhuis has been 'out of order' for "
     "three visits now. My dad couldn't get to the top floor again.", [COMPLAINT])
case("nl", pub("threads", "@annabel.uit.zwolle"), "de zaal waarvoor we kwamen was gewoon dicht en dat stond nergens "
     "op de site. 2 uur gereden voor niks", [COMPLAINT], hint="")
case("nl", pub("tiktok", "@mamavan3"), "kinderen mochten niks aanraken in het 'doe-museum' lol en de helft van de "
     "interactieve dingen was kapot 😒 #glazenpakhuis", [COMPLAINT])
case("en", pub("bluesky", "tomaszk.bsky.social"), "tickets never arrived in my inbox, had to pay again at the door. "
     "n o t   h a p p y @meridiaanmusea", [COMPLAINT], tags=["evasion"])
case("nl", pub("forum", "kritischebezoeker"), "Waarom rekent Meridiaan €2,50 'servicekosten' per online ticket? "
     "Aan de kassa betaal je dat niet. Belachelijk.", [COMPLAINT])
case("nl", pub("x", "@jassie_weg"), "Wat een kutmuseum. Garderobe is m'n jas kwijtgeraakt en die trut aan de balie "
     "lacht me gewoon uit", [COMPLAINT, ABUSE])
case("nl", pub("reddit", "u/moederdagfail"), "High tea geboekt voor moederdag, krijgen we een lauw theepotje en scones "
     "van gisteren. Voor dat geld? Nee dank je.", [COMPLAINT], kind="comment")
case("nl", pub("x", "@frits_parkeert"), "Slagboom van de museumgarage weigerde m'n Meridiaanpas, 25 min vast gestaan "
     "met een rij toeterende auto's achter me. Top service weer @meridiaan_info", [COMPLAINT], hint="en")
case("en", pub("mastodon", "@rollingrosa@mastodon.social"), "Meridiaan's website says 'fully accessible'. The "
     "entrance has 6 steps and the ramp was locked. Please do better.", [COMPLAINT])
# =========================================================================== reputation.abuse

case("nl", pub("x", "@zuurpruim"), "@meridiaanmusea stelletje oplichters en zakkenwassers, jullie hele directie kan "
     "de tering krijgen", [ABUSE], kind="reply")
case("en", pub("reddit", "u/grumpy_at_art"), "Meridiaan's social media team are absolute morons, every single post "
     "is cringe garbage", [ABUSE], kind="comment")
case("nl", DAAN, "Die toeristen vandaag waren echt de grootste debielen die ik ooit heb gezien, overal aanzitten "
     "met hun vette poten 🤬", [ABUSE])
case("nl", MM_INFO, "@klaagkees doe eens normaal man, f*ck off met je gezeur", [ABUSE], kind="reply",
     handle_as="@Meridiaan_Info", tags=["evasion"])
case("en", pub("tiktok", "@realtalk_dutch"), "that museum is full of foreigners working the desk who can't even "
     "speak proper Dutch, send them all back", [ABUSE])
case("nl", pub("x", "@anoniem4821"), "@lotte_educatie jij bent echt een waardeloze trut, ik weet waar je werkt 😈",
     [ABUSE], kind="reply")
case("nl", pub("youtube", "Gerrit B"), "M3ridiaan kan de k@nker krijgen, stelletje sh1tmensen", [ABUSE],
     kind="comment", tags=["evasion"])
case("en", pub("instagram", "@hangry.hugo"), "your café staff are fucking useless, waited an hour for a sandwich "
     "that never came", [ABUSE, COMPLAINT])
case("en", YARA, "to the entitled lady who threw her tea at my barista today: you're a disgusting pig and I hope "
     "everyone knows it", [ABUSE])
case("nl", pub("facebook", "Bert Pronk"), "Die curator van Meridiaan is een achterlijke idioot en dat zie je "
     "aan alles", [ABUSE])
case("nl", pub("bluesky", "ongezouten.bsky.social"), "Meridiaan? stelletje kl" + CYR_O + CYR_O + "tzakken, echt",
     [ABUSE], tags=["evasion"])

# =========================================================================== benign (hard negatives)

case("nl", MM_INFO, "@sjoerd_r Vervelend! Stuur je bestelnummer even via DM of bel ons op 010-444 7700, dan zoeken "
     "we het meteen uit 🙏", kind="reply", tags=["own-contact"])
case("nl", MM_FB, "Schoolgroepen kunnen boeken via groepen@meridiaanmusea.nl of gratis bellen: 0800-6374 📚",
     tags=["own-contact"])
case("nl", MM_LI, "Facturen voor schoolbezoeken graag voldoen op NL39 RABO 0314 4598 70 o.v.v. het factuurnummer. "
     "Dank!", tags=["own-contact"])
case("en", pub("x", "@journo_jan"), "For anyone asking: Meridiaan's press desk is pers@meridiaanmusea.nl, they got "
     "back to me within a day 👍", tags=["own-contact"])
case("en", pub("reddit", "u/callmemaybe_nl"), "Called their group line on 010 444 77 00 and had a school trip "
     "sorted in ten minutes. Surprisingly painless.", tags=["own-contact"])
case("en", MM_X, "Questions about your museum card? Call +31 (0)10 444 7700 on weekdays 9–17, or mail "
     "info@meridiaanmusea.nl", tags=["own-contact"])
case("nl", pub("facebook", "Wendy Aarts"), "Is dit het goede rekeningnummer voor de schoolreis? <<BAD_IBAN_NL:grp>> "
     "— juf zei dat het van het museum is", tags=["bad-checksum"])
case("en", pub("reddit", "u/voucherquestion"), "does anyone know if Meridiaan gift vouchers are 16 digits? mine "
     "reads <<BAD_CARD:visa_sp>> and I'm not sure I copied it right", tags=["bad-checksum"])
case("nl", pub("forum", "pashouder"), "Mijn Meridiaanpas-nummer is <<NOT_BSN9>>, kan ik daarmee ook online een "
     "tijdslot boeken of heb ik een account nodig?", tags=["bad-checksum"])
case("nl", pub("x", "@zaterdaguitje"), "bestelling <<NOT_BSN8>> binnen 🎟️ zin in zaterdag!", tags=["order-number"])
case("en", pub("x", "@splitthebill"), "splitting the Meridiaan day tickets from Saturday: €24,50 each, transfer to "
     "<<BAD_IBAN_NL:grp>> pls 🙏", tags=["bad-checksum"])
case("en", pub("threads", "@printornot"), "the barcode on my Meridiaan ticket is <<EAN13>> — does the scanner read it "
     "off a phone screen or should I print it?", tags=["order-number"])
case("nl", NOOR, "Tip voor HR-collega's: test je formulieren nooit met echte gegevens. Ons dummy-BSN in de "
     "testomgeving is <<NOT_BSN9>> en dat is expres ongeldig.", tags=["bad-checksum"])
case("nl", pub("x", "@kvk_nerd"), "Voor wie het zoekt: Meridiaan Musea Groep, KvK 24301122, staat gewoon in het "
     "handelsregister", tags=["order-number"])
case("nl", MM_IG, "🌷 Voorjaarsactie: Meridiaanpas nu €49,95 (normaal €64,95). Alleen t/m 30 april!", tags=["sale"])
case("en", pub("x", "@studentsaver"), "€10 off the Meridiaan museum card with a student ID, worth it if you go more "
     "than twice a year", tags=["sale", "price-context"])
case("nl", MM_FB, "Let op: bij online boeken rekenen we €1,50 reserveringskosten per Meridiaan dagticket.",
     tags=["fee", "price-context"])
case("nl", pub("facebook", "Ilse Kramer"), "Wie wil mijn 2 Meridiaan dagtickets voor zaterdag overnemen? €10 voor "
     "allebei, kan zelf niet meer 😢", tags=["second-hand", "price-context"])
case("en", pub("reddit", "u/museum_hopper"), "Museum Dorrestein's day ticket is only €11, the Meridiaan day ticket "
     "is €24.50. Both worth it tbh, Meridiaan has the better café.", tags=["competitor", "price-context"])
case("nl", pub("x", "@koffieleut"), "koffie €3,80 en appeltaart €4,50 bij Café Meridiaan, best prima voor Rotterdam "
     "eigenlijk", tags=["price-context"])
case("nl", EVA, "Nee hoor, de Meridiaanpas voor €44,95 is geen prijsfout, dat is gewoon de jongerenactie t/m 18 jaar 😉",
     kind="reply", tags=["denied-error", "sale"])
case("en", pub("x", "@dealalert_eu"), "Museum Dorrestein had a pricing glitch last night, day tickets for €1. "
     "Meridiaan would never lol", tags=["competitor", "price-context"])
case("nl", pub("x", "@duo_denkers"), "Is de Meridiaanpas Duo (€109) de moeite waard als je met z'n tweeën zo'n "
     "3x per jaar gaat?", tags=["price-question"])
case("en", MM_FB, "Meridiaan day ticket €24.50, kids under 4 free, Meridiaanpas holders free. See you soon!",
     tags=["price-list"])
case("nl", MM_TT, "Vanaf vandaag te zien: De Verdronken Vloot 🚢 300 vondsten uit de Zuiderzee. Tickets via "
     "tickets.meridiaanmusea.nl", when="2026-09-03T10:12:00+02:00", tags=["after-embargo"])
case("nl", MM_X, "Het is zover: de Keplerkoepel is open! 🔭✨ Elk heel uur een sterrenvoorstelling.",
     when="2026-04-14T09:00:00+02:00", tags=["after-embargo", "embargo-edge"])
case("en", pub("x", "@shipwreck_sam"), "The Drowned Fleet exhibition was just announced, wreck finds from the "
     "Zuiderzee. Booking for October!", when="2026-09-01T08:00:00Z", tags=["after-embargo", "embargo-edge"])
case("en", pub("bluesky", "sterrenkijker.bsky.social"), "Finally visited the Kepler Dome at Meridiaan. The show about "
     "Jupiter's moons had my kids silent for 25 minutes, a miracle.", when="2026-06-21T15:30:00.250Z",
     tags=["after-embargo"])
case("nl", pub("instagram", "@terraszitter"), "Zilvermeeuw jatte zo m'n broodje van het terras bij het museum 😂🐦 "
     "respect eigenlijk", tags=["bird", "joke"])
case("nl", RUBEN, "Dit ebbenhouten kabinet uit ca. 1650 is net terug van de restaurator. Kijk die inlegwerkjes! "
     "Vanaf zaterdag in zaal 4.", tags=["word-sense"])
case("nl", MM_LI, "Ons jaarverslag 2025 staat online: 1,1 miljoen bezoekers en 212 scholen op bezoek. Dank aan alle "
     "medewerkers en vrijwilligers! meridiaanmusea.nl/jaarverslag", tags=["published-results"])
case("en", NOOR, "Proud to share that our annual report 2025 was shortlisted for a transparency award 🏆 "
     "well done team!", tags=["published-results"])
case("en", pub("reddit", "u/culture_watch"), "Rough news: Museum Havenlicht in Vlissingen is laying off 40 staff "
     "after losing its subsidy. Hope the smaller museums make it through this.", tags=["other-company"])
case("nl", pub("x", "@geschiedenisjuf"), "Prachtige zaal over de suikerboycot van 1791 bij Meridiaan, wist niet dat "
     "mensen toen al massaal suiker lieten staan", tags=["word-sense"])
case("en", pub("bluesky", "papa-pim.bsky.social"), "My kid could recall every ship name from the Meridiaan maritime "
     "room on the way home 😄 best school trip ever according to him", tags=["word-sense"])
case("nl", pub("facebook", "Trudy Mols"), "Geen klachten hoor! Rij was kort, personeel vriendelijk en de high tea "
     "was top 👌", tags=["negated-complaint"])
case("en", pub("x", "@sartre_fan"), "'Hell is other people' — Sartre, probably after a Saturday afternoon at the "
     "Meridiaan 😂 (kidding, loved it)", tags=["quote", "mild-word"])
case("nl", MM_LI, "Lezing 12 mei: 'Van kwakzalver tot chemokuur', 150 jaar kankeronderzoek in beeld. Aanmelden via "
     "meridiaanmusea.nl/lezingen", tags=["mild-word", "word-sense"])
case("nl", MM_X, "Gepland onderhoud: onze ticketshop is dinsdag tussen 06:00 en 08:00 niet bereikbaar. De musea "
     "zijn gewoon open!", tags=["official-notice"])
case("en", MM_IG, "Fire drill at the Glazen Pakhuis at 11:00 today – don't worry if you hear the alarm, it's only a "
     "test 🚒", tags=["official-notice"])
case("nl", pub("reddit", "u/schrijfster_s"), "In mijn thriller breekt de hoofdpersoon in bij een museum en schakelt "
     "het alarm uit met een magneet. Te ongeloofwaardig? (inspiratie: het Glazen Pakhuis 😅)", tags=["fiction"])
case("nl", pub("x", "@nieuwsvolger"), "Kunstroof bij Museum Havenlicht vannacht, 3 schilderijen weg. Hopelijk "
     "heeft Meridiaan de beveiliging beter op orde 🙏", tags=["other-company"])
case("en", MILAN, "PSA for new devs on the ticket API docs: put your key in .env like "
     "MOLLIE_API_KEY=live_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx and never commit it. the AWS examples use "
     "AKIAXXXXXXXXXXXXXXXX on purpose", tags=["placeholder-secret"])
case("en", MILAN, "Fixed the screen reader bug in the museum card app, commit <<HEX:40>> 🎉 opening hours are "
     "announced properly now", tags=["git-sha"])
case("nl", pub("facebook", "Gerda Hofman"), "Is het Glazen Pakhuis rolstoeltoegankelijk? Mijn oma wil graag mee 🙂",
     tags=["question"])
case("en", MM_X, "We're hiring security officers (m/f/x) for night shifts at our depot. Apply via "
     "meridiaanmusea.nl/werken", tags=["word-sense"])
case("nl", pub("instagram", "@roamingroos"), "Sta nu letterlijk op de nulmeridiaan in Greenwich 🌍 één voet oost, "
     "één voet west", tags=["word-sense"])
case("nl", LOTTE, "Wat een heerlijke ochtend met groep 5 uit Vlaardingen bij de Ontdekroute! Zoveel vragen over de "
     "walvisskeletten 🐋", tags=["praise"], handle_as="@Lotte_Educatie")
case("en", YARA, "New on the menu at Café Meridiaan: pumpkin soup with sourdough 🎃 come say hi!", tags=["praise"])
case("nl", pub("x", "@privacyprof"), "Weer een datalek bij een ticketplatform (niet Meridiaan gelukkig), check even "
     "of je wachtwoord ergens is uitgelekt", tags=["other-company"])
case("nl", pub("threads", "@modemeisje"), "Schandalig mooi, die nieuwe textielzaal bij Meridiaan 😍", tags=["word-sense"])
case("en", MM_TT, "Museum hack: come on Thursday evening, it's quieter and Café Meridiaan does 2-for-1 mocktails 🍹",
     tags=["word-sense"])
case("nl", pub("mastodon", "@digibewust@mastodon.nl"), "Nee, die mail over je Meridiaanpas is geen phishing, het is "
     "echt hun nieuwsbrief. Link gaat gewoon naar pas.meridiaanmusea.nl", tags=["negation", "public-domain"])
case("en", DAAN, "Nightshift views 🌙 the Glazen Pakhuis empty at 3am is something else", tags=["praise"])
case("en", pub("reddit", "u/planner_paula"), "If your school is planning a trip: the Ontdekroute is €185 per class "
     "and worth every cent, the kids still talk about it.", tags=["price-list"])
# =========================================================================== building

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
    sev, insider = "none", role in ("corporate", "employee")
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


def ams_offset(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < dt.datetime(2026, 10, 25, 1,
                                                                                       tzinfo=dt.timezone.utc) else 1


def random_time(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(3, 355))
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
        return f"x-{snow}", f"https://x.com/{h}/status/{snow}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"ig-{snow}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}_{b}", f"https://www.facebook.com/{a}/posts/{b}"
    if platform == "reddit":
        p = "".join(r.choice(B36) for _ in range(7))
        if kind == "comment":
            c = "".join(r.choice(B36) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/rotterdam/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/rotterdam/comments/{p}/"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-uitagenda-{n}", f"https://forum.uitagenda.example/topic/{n}"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        v = "".join(r.choice(B64URL) for _ in range(11))
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(111_000_000_000_000_000, 115_000_000_000_000_000)
        return f"md-{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "threads":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/{sc}"
    return f"{platform}-{r.randint(10 ** 8, 10 ** 9)}", None


def build(profile):
    g = Gen(SEED)
    mr = random.Random(SEED + 1)
    orr = random.Random(SEED + 2)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(g, c["text"])
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
        if c["name"] and mr.random() < 0.7:
            acc["display_name"] = c["name"]
        if mr.random() < 0.3:
            acc["id"] = str(mr.randint(10 ** 8, 10 ** 12))
        post["account"] = acc
        post["text"] = text
        pl = mr.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
                if c["hint"] != c["lang"]:
                    c["tags"].add("wrong-lang-hint")
        elif pl < 0.09:
            pass
        elif pl < 0.12:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            c["tags"].add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if url and mr.random() < 0.6:
            post["url"] = url
        if mr.random() < 0.5:
            post["brand"] = "meridiaan"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=set(c["tags"]), used=used))
    orr.shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# =========================================================================== self-check

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
DIGITS_RE = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-()]{7,16}\d")
SECRET_RES = [re.compile(p) for p in (
    r"ghp_[A-Za-z0-9]{36}", r"glpat-[\w-]{20}", r"AKIA[A-Z2-7]{16}", r"hooks\.slack\.com/services/",
    r"sk_live_[A-Za-z0-9]{20,}", r"\blive_[A-Za-z0-9]{30}\b", r"SG\.[\w-]{22}\.[\w-]{43}", r"AIza[\w-]{35}",
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----", r"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+", r"://[^\s:/@]+:[^\s@/]+@")]
PROFANITY = ["kut", "kanker", "k@nker", "tering", "klootzak", "debiel", "trut", "eikel", "fuck", "f*ck", "shit",
             "sh1t", "moron", "idiot", "clown", "pig", "zakkenwasser", "hell"]
MILD_OK = {"hell", "kanker"}


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVIS)
    return re.sub(r"\s+", " ", t).casefold()


def parse_amount(s):
    s = s.rstrip(".,")
    if "," in s and "." in s:
        dec = "," if s.rfind(",") > s.rfind(".") else "."
        s = s.replace("." if dec == "," else ",", "").replace(dec, ".")
    elif "," in s:
        s = s.replace(",", ".") if re.search(r",\d{2}$", s) else s.replace(",", "")
    elif "." in s and not re.search(r"\.\d{2}$", s):
        s = s.replace(".", "")
    return float(s)


def min_ratio(text, products):
    t = norm(text)
    hit = [p for p in products if any(a.casefold() in t for a in [p["name"]] + p["aliases"])]
    amts = [parse_amount(m.group(1)) for m in re.finditer(r"€\s?(\d[\d.,]*)", t)]
    if not hit or not amts:
        return None
    return min(amts) / min(p["list_price"] for p in hit)


def own_phone_digits(profile):
    out = set()
    for p in profile["public_identifiers"]["phones"]:
        d = re.sub(r"\D", "", p)
        out.add("0" + d[2:] if p.startswith("+31") else d)
    return out


def check(lines, rows, profile):
    errs = []
    own_ibans = {i.replace(" ", "") for i in profile["public_identifiers"]["ibans"]}
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_phones = own_phone_digits(profile)
    emb = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = ([c.casefold() for c in profile["internal"]["codenames"]]
                + [m.casefold() for m in profile["internal"]["markers"]])
    idomains = [d.casefold() for d in profile["internal"]["domains"]]
    meta = {(r["post"]["platform"], r["post"]["id"]): r for r in rows}
    seen = set()
    for n, line in enumerate(lines, 1):
        w = f"line {n}"
        o = json.loads(line)
        p, ex = o["post"], o["expect"]
        for f in ("id", "platform", "text", "created_at"):
            assert isinstance(p[f], str), (w, f)
        assert isinstance(p["account"]["handle"], str)
        if not RFC3339.match(p["created_at"]):
            errs.append(f"{w}: bad timestamp")
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{w}: not 2026")
        if p["platform"] not in PLATFORMS:
            errs.append(f"{w}: platform")
        k = (p["platform"], p["id"])
        if k in seen:
            errs.append(f"{w}: duplicate id")
        seen.add(k)
        cats, sev = ex["categories"], ex["severity"]
        if cats != sorted(set(cats)) or any(c not in TAXONOMY or c == "reputation.spike" for c in cats):
            errs.append(f"{w}: categories {cats}")
        r = meta[k]
        text = p["text"]
        valid = []
        for kind, raw, shown in r["used"]:
            if shown not in text:
                errs.append(f"{w}: {kind} not in text")
            ok = {"IBAN": iban_ok, "CARD": luhn_ok, "BSN": bsn_ok}
            base = kind.replace("BAD_", "").split("_")[0]
            if base in ok:
                good = ok[base](raw)
                if kind.startswith("BAD_") and good:
                    errs.append(f"{w}: negative {kind} passes its checksum")
                if not kind.startswith("BAD_") and not good:
                    errs.append(f"{w}: {kind} fails its checksum")
                if not kind.startswith("BAD_"):
                    valid.append(kind)
            if kind in ("NOT_BSN9", "NOT_BSN8", "EAN13") and (bsn_ok(raw) or luhn_ok(raw)):
                errs.append(f"{w}: look-alike {kind} passes a checksum")
            if kind == "GHP" and b62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errs.append(f"{w}: ghp crc")
        want = severity_for(r["role"], cats, PII in cats and bool(valid))
        if sev != want or (not cats and sev != "none"):
            errs.append(f"{w}: severity {sev} vs {want}")
        if valid and PII not in cats:
            errs.append(f"{w}: valid identifier without leak.pii")
        nt = norm(text)
        for term, until in emb:
            if term in nt:
                if ts < until and CONF not in cats:
                    errs.append(f"{w}: embargo term {term!r} before embargo, unlabelled")
                if ts >= until and CONF in cats:
                    errs.append(f"{w}: embargo term {term!r} after embargo but labelled")
        for term in internal:
            if term in nt and CONF not in cats:
                errs.append(f"{w}: internal term {term!r} unlabelled")
        for d in idomains:
            if re.search(r"(?<![\w-])(?:[\w-]+\.)*" + re.escape(d) + r"(?![\w.-]*\w)", nt) and CONF not in cats:
                errs.append(f"{w}: internal domain {d!r} unlabelled")
        if not cats:
            for m in IBAN_RE.finditer(text):
                if iban_ok(m.group(0)) and m.group(0).replace(" ", "") not in own_ibans:
                    errs.append(f"{w}: benign valid IBAN")
            for m in DIGITS_RE.finditer(text):
                d = re.sub(r"\D", "", m.group(0))
                if 13 <= len(d) <= 19 and luhn_ok(d):
                    errs.append(f"{w}: benign Luhn-valid number")
            for m in re.finditer(r"(?<![\w.,-])\d{9}(?![\w])", text):
                if bsn_ok(m.group(0)):
                    errs.append(f"{w}: benign 11-proof-valid number")
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_emails and not e.startswith("@"):
                    errs.append(f"{w}: benign e-mail {e}")
            for m in PHONE_RE.finditer(IBAN_RE.sub(" ", text)):
                raw = m.group(0)
                d = re.sub(r"\D", "", raw)
                if raw.startswith("+31"):
                    d = "0" + d[2:].lstrip("0")
                if len(d) == 10 and d not in own_phones:
                    errs.append(f"{w}: benign phone {raw}")
            for rx in SECRET_RES:
                for m in rx.finditer(text):
                    if "XXXX" in m.group(0) or "xxxx" in m.group(0):
                        continue
                    errs.append(f"{w}: benign secret-like {m.group(0)[:16]}")
            for wd in PROFANITY:
                if re.search(r"\b" + re.escape(wd), nt) and not (wd in MILD_OK and r["tags"] & {"quote", "mild-word"}):
                    errs.append(f"{w}: benign profanity {wd!r}")
            ratio = min_ratio(text, profile["products"])
            if ratio is not None and ratio < profile["pricing"]["alert_below_ratio"] and "price-context" not in r["tags"]:
                errs.append(f"{w}: benign price at {ratio:.2f} of list")
        if PRICING in cats:
            ratio = min_ratio(text, profile["products"])
            if ratio is not None and ratio >= 0.5:
                errs.append(f"{w}: pricing positive with ratio {ratio:.2f}")
    return errs


def report(rows):
    cat, catl, role, sev, plat, kinds, langs = (Counter() for _ in range(7))
    benign = multi = evasion = 0
    for r in rows:
        cs = r["expect"]["categories"]
        langs[r["lang"]] += 1
        role[r["role"]] += 1
        sev[r["expect"]["severity"]] += 1
        plat[r["post"]["platform"]] += 1
        kinds[r["post"].get("kind", "(default)")] += 1
        if not cs:
            benign += 1
            catl[("benign", r["lang"])] += 1
        multi += len(cs) > 1
        evasion += "evasion" in r["tags"]
        for c in cs:
            cat[c] += 1
            catl[(c, r["lang"])] += 1
            cat[(c, r["role"])] += 1
    print(f"cases {len(rows)}  benign {benign}  positive {len(rows) - benign}  multi {multi}  evasion {evasion}")
    for c in TAXONOMY[:-1]:
        print(f"  {c:22s} {cat[c]:3d}  nl {catl[(c, 'nl')]:3d} en {catl[(c, 'en')]:3d}  "
              f"corp {cat[(c, 'corporate')]:2d} emp {cat[(c, 'employee')]:2d} pub {cat[(c, 'public')]:2d}")
    print(f"  {'benign':22s} {benign:3d}  nl {catl[('benign', 'nl')]:3d} en {catl[('benign', 'en')]:3d}")
    print("languages", dict(langs), " roles", dict(role))
    print("severity", {s: sev[s] for s in SEVERITIES})
    print("platforms", dict(plat.most_common()))
    print("kinds", dict(kinds.most_common()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    lines = dump(rows)
    if not a.check:
        OUT.write_text("".join(lines), encoding="utf-8")
        print(f"wrote {len(lines)} cases to {OUT}")
    disk = OUT.read_text(encoding="utf-8").splitlines(keepends=True)
    errs = check(disk, rows, profile)
    if disk != lines:
        errs.append("cases.jsonl differs from the generator output")
    report(rows)
    print(f"{len(errs)} error(s)")
    for e in errs:
        print("  ERROR", e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
