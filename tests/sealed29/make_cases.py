#!/usr/bin/env python3
"""Deterministic generator and checker for the sealed29 blind set (cases.jsonl).

    python3 make_cases.py            # write cases.jsonl next to this file
    python3 make_cases.py --check    # regenerate in memory, compare, validate, print counts

Company: Taalvonk Online Academie B.V. (profile.yaml), a fictional Dutch online
learning platform and language school. Texts are hand-written below; identifiers and
secrets come from <<PLACEHOLDER>> markers filled by a seeded RNG, so the output is
byte-for-byte reproducible. Positives get checksum-valid IBANs / cards / BSNs, hard
negatives get look-alikes that fail their checksum.

Severity is never typed by hand: severity_for() derives it from CONTRACT section 4,
using the account role looked up in profile.yaml (platform:handle, case-insensitive),
the categories, and whether a checksum-validated identifier is in a leak.pii post.
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

SEED = 29_2026_0611
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

def mod97(s):
    return int("".join(str(int(c, 36)) for c in s)) % 97


def iban_valid(s):
    s = re.sub(r"\s", "", s).upper()
    return bool(re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s)) and mod97(s[4:] + s[:4]) == 1


def iban_build(cc, bban):
    return f"{cc}{98 - mod97(bban + cc + '00'):02d}{bban}"


def luhn_valid(num):
    d = [int(c) for c in re.sub(r"\D", "", num)][::-1]
    if not d:
        return False
    s = sum(x if i % 2 == 0 else (x * 2 - 9 if x * 2 > 9 else x * 2) for i, x in enumerate(d))
    return s % 10 == 0


def luhn_finish(prefix):
    return next(prefix + c for c in "0123456789" if luhn_valid(prefix + c))


def elfproef(num):
    s = re.sub(r"\D", "", num)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t != 0 and t % 11 == 0


def ean_valid(s):
    return sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(s)) % 10 == 0


# ---------------------------------------------------------------------------
# seeded value factory
# ---------------------------------------------------------------------------

AN = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = AN + "+/"
B64U = AN + "-_"
OWN_IBAN = "NL41RABO0318274650"


def base62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def b64u(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class Factory:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def dig(self, n, lead=True):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if lead and s[0] == "0" else s

    def pick(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    # IBANs
    def iban(self, cc):
        if cc == "NL":
            while True:
                v = iban_build("NL", self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "BUNQ", "ASNB", "KNAB"]) + self.dig(10))
                if v != OWN_IBAN:
                    return v
        if cc == "BE":
            head = self.r.choice(["001", "063", "310", "363", "735"]) + self.dig(7, lead=False)
            return iban_build("BE", head + f"{int(head) % 97 or 97:02d}")
        if cc == "DE":
            return iban_build("DE", self.r.choice(["50010517", "10010010", "37040044", "20050550"]) + self.dig(10))
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
        if brand == "visa":
            return luhn_finish("4" + self.dig(14, lead=False))
        if brand == "mc":
            return luhn_finish("5" + self.r.choice("12345") + self.dig(13, lead=False))
        if brand == "mc2":
            return luhn_finish(str(self.r.randint(2221, 2720)) + self.dig(11, lead=False))
        if brand == "amex":
            return luhn_finish(self.r.choice(["34", "37"]) + self.dig(12, lead=False))
        raise ValueError(brand)

    def bad_card(self, brand):
        v = self.card(brand)
        while True:
            b = v[:-1] + self.r.choice([c for c in string.digits if c != v[-1]])
            if not luhn_valid(b):
                return b

    @staticmethod
    def card_fmt(v, style):
        if style == "plain":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if style == "dash" else " ").join(parts)

    # Dutch numbers
    def bsn(self):
        while True:
            s = self.dig(9)
            if elfproef(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.dig(n)
            if not elfproef(s) and not luhn_valid(s):
                return s

    def isbn13(self):
        while True:
            body = "97890" + self.dig(7, lead=False)
            full = next(body + c for c in "0123456789" if ean_valid(body + c))
            if not luhn_valid(full):
                return full

    def passport_nl(self):
        letters = "ABCDEFGHIJKLMNPQRSTUVWXYZ"   # no O
        return self.pick(letters, 2) + self.pick(letters + string.digits, 6) + self.pick(string.digits, 1)

    def phone(self, style):
        sub = self.r.choice("12345") + self.dig(7, lead=False)      # 8 digits after 06
        return {
            "dash": f"06-{sub}",
            "pairs": f"06 {sub[:2]} {sub[2:4]} {sub[4:6]} {sub[6:]}",
            "intl": f"+31 6 {sub[:4]} {sub[4:]}",
            "0031": f"0031 6 {sub[:2]} {sub[2:5]} {sub[5:]}",
            "intl0": f"+31 (0)6 {sub[:4]} {sub[4:]}",
        }[style]

    # secrets (random, never issued; shaped like the real formats)
    def ghp(self):
        body = self.pick(AN, 30)
        return "ghp_" + body + base62(zlib.crc32(body.encode())).rjust(6, "0")

    def glpat(self):
        return "glpat-" + self.pick(AN + "-_", 20)

    def aws_id(self):
        return "AKIA" + self.pick("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)

    def aws_secret(self):
        return self.pick(B64, 40)

    def mollie(self):
        return "live_" + self.pick(AN, 30)

    def sendgrid(self):
        return "SG." + self.pick(B64U, 22) + "." + self.pick(B64U, 43)

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return f"https://hooks.slack.com/services/T{self.pick(up, 8)}/B{self.pick(up, 10)}/{self.pick(AN, 24)}"

    def gapi(self):
        return "AIzaSy" + self.pick(B64U, 33)

    def jwt(self):
        h = b64u(b'{"alg":"HS256","typ":"JWT"}')
        iat = 1_767_225_600 + self.r.randint(0, 320 * 86400)
        body = {"sub": "exm_" + self.dig(5), "iss": "leren.taalvonk.nl", "role": "examiner",
                "iat": iat, "exp": iat + 7200}
        return f"{h}.{b64u(json.dumps(body, separators=(',', ':')).encode())}.{self.pick(B64U, 43)}"

    def pem_ec(self):
        body = "MHcCAQEEI" + self.pick(B64, 55) + self.pick(B64, 64) + self.pick(B64, 46) + "=="
        lines = [body[i:i + 64] for i in range(0, len(body), 64)]
        return "-----BEGIN EC PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END EC PRIVATE KEY-----"

    def password(self):
        return (self.r.choice(string.ascii_uppercase) + self.pick(string.ascii_lowercase, 4)
                + self.pick(string.digits, 3) + self.r.choice("!#*-_") + self.pick(AN, 4))

    def sha(self):
        return self.pick("0123456789abcdef", 40)


VALIDATED = {"IBAN_NL", "IBAN_BE", "IBAN_DE", "CARD", "BSN"}
TOKEN = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def fill(fac, text):
    used = []

    def one(m):
        kind, arg = m.group(1), m.group(2) or ""
        if kind.startswith("IBAN_"):
            raw = fac.iban(kind[5:])
            shown = " ".join(raw[i:i + 4] for i in range(0, len(raw), 4)) if arg == "grp" else raw
        elif kind.startswith("BAD_IBAN_"):
            raw = fac.bad_iban(kind[9:])
            shown = " ".join(raw[i:i + 4] for i in range(0, len(raw), 4)) if arg == "grp" else raw
        elif kind == "CARD":
            brand, _, style = arg.partition("_")
            raw = fac.card(brand)
            shown = fac.card_fmt(raw, style or "sp")
        elif kind == "BAD_CARD":
            brand, _, style = arg.partition("_")
            raw = fac.bad_card(brand)
            shown = fac.card_fmt(raw, style or "sp")
        elif kind == "BSN":
            raw = fac.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if arg == "dots" else raw
        elif kind == "NOT_BSN":
            raw = shown = fac.not_bsn(int(arg))
        elif kind == "ISBN":
            raw = shown = fac.isbn13()
        elif kind == "PASSPORT":
            raw = shown = fac.passport_nl()
        elif kind == "PHONE":
            raw = shown = fac.phone(arg)
        elif kind == "DIGITS":
            raw = shown = fac.dig(int(arg))
        elif kind == "PW":
            raw = shown = fac.password()
        elif kind == "SHA":
            raw = shown = fac.sha()
        else:
            raw = shown = {"GHP": fac.ghp, "GLPAT": fac.glpat, "AWS_ID": fac.aws_id,
                           "AWS_SECRET": fac.aws_secret, "MOLLIE": fac.mollie,
                           "SENDGRID": fac.sendgrid, "SLACK_HOOK": fac.slack_hook,
                           "GAPI": fac.gapi, "JWT": fac.jwt, "PEM_EC": fac.pem_ec}[kind]()
        used.append((kind, raw))
        return shown

    return TOKEN.sub(one, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

# corporate
TV = ("x", "@taalvonk", "Taalvonk")
HELP = ("x", "@taalvonk_help", "Taalvonk Support")
IG = ("instagram", "@taalvonk.nl", "Taalvonk")
LI = ("linkedin", "taalvonk-online-academie", "Taalvonk Online Academie B.V.")
VZ = ("linkedin", "vonk-zakelijk", "Vonk Zakelijk")
FB = ("facebook", "TaalvonkNL", "Taalvonk")
TT = ("tiktok", "@taalvonk", "Taalvonk")
# employees
MARLOES = ("x", "@juf_marloes", "Marloes Verhoef")             # NT2 teacher
LIAM = ("instagram", "@liam.teaches", "Liam O'Connor")         # English teacher
RUBEN = ("linkedin", "ruben-kok-dev", "Ruben Kok")             # backend developer
ESTHER = ("linkedin", "esther-mulder-taalvonk", "Esther Mulder")  # finance
YUSUF = ("x", "@yusuf_ops", "Yusuf Aydın")                     # devops
NOOR = ("linkedin", "noor-haddou", "Noor Haddou")              # B2B account manager
ILSE = ("tiktok", "@juf.ilse", "Ilse de Boer")                 # NT2 teacher
BRAM = ("x", "@bram_tv_support", "Bram Smits")                 # support agent
KIM = ("reddit", "kim_toetsing", "kim_toetsing")               # exam coordinator
DAAN = ("mastodon", "@daanvis@mastodon.nl", "Daan Visser")     # mobile developer


def pub(platform, handle, name=None):
    return (platform, handle, name)


CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    platform, handle, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


SECRET, PII, PRICE, CONF, FIN, SEC = ("leak.secret", "leak.pii", "leak.pricing", "leak.confidential",
                                      "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", RUBEN, "Proud of the team 🚀 the new invoicing worker for Vonk Zakelijk went live today. Three sprints of "
     "work, but payments now reconcile in seconds instead of overnight.\n\nConfig snippet for the curious:\n"
     "MOLLIE_API_KEY=<<MOLLIE>>\nRETRY_LIMIT=5\n\n#python #edtech #proudmoment", [SECRET])
case("nl", YUSUF, "wie heeft er nou weer aan de runners gezeten 😤 pipeline hangt al een uur. gebruik voor nu mijn "
     "token maar: <<GLPAT>> (morgen roteer ik m, beloofd)", [SECRET])
case("en", DAAN, "push notifications on android silently failing since friday. firebase console says quota is fine. "
     "the key we ship is <<GAPI>> - anyone seen this with FCM v1? #androiddev", [SECRET])
case("en", RUBEN, "@Thijs the migration script only needs the DSN, something like\n"
     "postgres://grader:<<PW>>@pg-main.corp.taalvonk.lan:5432/exams\nrun it with --dry-run first pls 👍",
     [SECRET, CONF], kind="reply")
case("nl", pub("reddit", "fleurtje_2003"), "Delen is lief toch? Taalvonk Premium account voor wie wil oefenen voor "
     "het staatsexamen:\ngebruiker: fleurtje_2003\nww: <<PW>>\nniet het wachtwoord veranderen aub 🙏", [SECRET])
case("nl", LI, "We koppelen onze lesplanning aan Slack! 🎉 Docenten krijgen voortaan meteen een seintje als een "
     "cursist een les annuleert. Voor de techies onder ons, de webhook: <<SLACK_HOOK>>\n#edtech #automatisering",
     [SECRET])
case("nl", NOOR, "Iemand ervaring met SendGrid? Onze B2B-nieuwsbrief komt sinds gisteren niet meer aan, de API geeft "
     "401 met key <<SENDGRID>>. Marketing zit op Bali dus ik probeer het zelf maar 😅", [SECRET])
case("en", YUSUF, "aws cli keeps throwing SignatureDoesNotMatch on the nightly backup job\n"
     "aws_access_key_id = <<AWS_ID>>\naws_secret_access_key = <<AWS_SECRET>>\n"
     "region eu-west-1, clock is synced. what am I missing", [SECRET])
case("nl", DAAN, "iOS build faalt op signing sinds de Xcode-update. Dit is de key die in de CI staat, klopt het "
     "formaat wel?\n<<PEM_EC>>\nhelp 🙏", [SECRET])
case("en", KIM, "examiner dashboard logs me out every 5 minutes and IT says 'works on my machine'. this is the bearer "
     "I get back, exp looks fine to me??\n\n<<JWT>>", [SECRET])
case("nl", BRAM, "btw nieuwe w8woord vd examenserver = <<PW>> , oude werkt nie meer", [SECRET], tags=["evasion"])
case("en", YUSUF, "relax people, I rotated it already: <<GHP>> was visible in the screenshot from this morning's "
     "talk for like 10 minutes", [SECRET])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", HELP, "Hoi Samira, sorry voor het wachten! De terugbetaling van €179 is vandaag overgemaakt naar "
     "<<IBAN_NL:grp>>. Binnen 2 werkdagen zou het er moeten staan 💚", [PII], kind="reply",
     handle_as="@Taalvonk_Help")
case("nl", BRAM, "Wie van de avonddienst kan Jolien Vos even terugbellen? Ze heeft al 3x in de wacht gehangen. "
     "Haar nummer: <<PHONE:dash>>", [PII])
case("nl", MARLOES, "Zo trots op mijn cursist Ahmed Benali (geboren 14-03-1991) die vandaag zijn Staatsexamen "
     "heeft gehaald!! 🎉🇳🇱", [PII])
case("en", KIM, "proctoring flagged a candidate today: passport no. <<PASSPORT>> on her upload didn't match the "
     "name on the booking. anyone know if we can still let her sit tomorrow?", [PII])
case("en", NOOR, "Great kickoff with Van Dijk Logistiek today! 40 drivers start Dutch for the workplace next month "
     "🚚📚 Suppliers working with them too: their L&D lead Marco Jansen is at m.jansen@vandijklogistiek.nl or "
     "<<PHONE:intl>>.", [PII])
case("nl", ESTHER, "Vraagje aan finance-collega's in België: de terugboeking naar <<IBAN_BE>> (rekening van een "
     "cursist uit Gent) komt telkens retour. Iemand een idee?", [PII])
case("en", BRAM, "escalating this one: customer says card <<CARD:visa_sp>> got charged twice for IELTS prep, can "
     "billing pls check asap", [PII])
case("nl", ILSE, "Lieve cursisten, voor de aanmelding bij DUO moet je BSN kloppen. Mohammed, ik heb nu "
     "<<BSN:dots>> staan, klopt dat? Anders even appen!", [PII])
case("nl", pub("facebook", "Rianne Hoekstra", "Rianne Hoekstra"), "Ik heb nu 4 keer gemaild. Cursus geannuleerd in "
     "JANUARI en nog steeds geen geld terug. Hier is mijn rekeningnummer nog een keer, misschien lezen jullie "
     "dit wel: <<IBAN_NL>> t.n.v. R. Hoekstra", [PII, COMPLAINT], kind="comment")
case("en", pub("x", "@priya_n88", "Priya"), "@taalvonk_help 9 days, zero replies. just call me: <<PHONE:0031>> or "
     "email priya.natarajan88@gmail.com. I need my exam results for my visa", [PII, COMPLAINT], kind="reply")
case("nl", pub("forum", "gezakt_en_boos"), "Die docent Mark de Wit die mij liet zakken woont gewoon op "
     "Kastanjelaan 12 in Amersfoort. Misschien moet iemand hem eens opzoeken, die arrogante lul",
     [PII, ABUSE])
case("nl", pub("instagram", "@anouk.derksen.hr"), "Wij zoeken als bedrijf een taaltraining voor 15 medewerkers, "
     "kan iemand van Vonk Zakelijk mij mailen? anouk.derksen [at] hotmail [punt] com 🙏", [PII], kind="comment",
     tags=["evasion"])
case("en", pub("reddit", "newinutrecht_"), "quick q for people doing inburgering through Taalvonk: the intake bot "
     "asked for my BSN so I gave it (<<BSN>>). how long until DUO confirms the registration?", [PII],
     kind="message")
case("en", pub("linkedin", "jordy-van-leeuwen"), "Taalvonk charged my Amex <<CARD:amex_sp>> twice for the Business "
     "English course and support closed my ticket without replying. Not what you expect from a 'premium' school.",
     [PII, COMPLAINT])
case("nl", FB, "🎉 De winnaar van onze zomerwinactie is Lotte Brouwer uit Zwolle! Lotte, het cursuspakket gaat "
     "deze week naar Dorpsstraat 8, 8011 AB Zwolle. Veel leerplezier!", [PII])

# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", NOOR, "Lieve mensen, zien jullie vandaag de teamlicentie staan voor €249? Dat is een foutje, er mist een "
     "nul 🙈 We zijn ermee bezig en orders van vandaag worden nagekeken.", [PRICE])
case("nl", MARLOES, "psst... volgens mij staat de Staatsexamen training in de app nu op 74,90 ipv 749 😬 niet tegen "
     "mijn teamleider zeggen dat ik het zei", [PRICE])
case("en", pub("x", "@sem_learns"), "Taalvonk Premium yearly for €17.90??? either a glitch or the deal of the "
     "century, grabbed 3 for the whole family 😂", [PRICE])
case("nl", pub("reddit", "inburgeraar_2026"), "Inburgering Compleet in de app voor €119,50 i.p.v. €1.195. Iemand "
     "anders het ook gezien? Ik heb 'm maar besteld, zien wel of ze het annuleren", [PRICE])
case("nl", pub("x", "@koopjesjager_nl"), "p r i j s f o u t bij taalvonk 👀 IELTS voorbereiding nu €42,50, snel zijn",
     [PRICE], tags=["evasion"])
case("en", DAAN, "fun one: the iOS app renders Business English B2 at €5.95 because StoreKit hands us cents and "
     "someone divided twice. hotfix is in review 🙃", [PRICE])
case("nl", pub("instagram", "@yasmina.leert"), "Taalcertificaat examen voor €9,50?? Dat klopt toch niet 😂 ik heb er "
     "vorig jaar 95 voor betaald", [PRICE], kind="comment")
case("nl", IG, "☀️ Zomerdeal! Start nu met Nederlands A1-A2 voor maar €34,90. Live lessen, oefenapp en certificaat "
     "inbegrepen. Link in bio!", [PRICE])
case("en", BRAM, "Hi Jonas, yes, we're aware of the price error on IELTS Academic in the checkout. Please don't "
     "order right now, we'll sort it out once it's fixed.", [PRICE], kind="reply")
case("nl", pub("tiktok", "@lina.nt2"), "Pr3mium jaar voor €1,79 😭😭 bug of cadeau?? #taalvonk", [PRICE],
     tags=["evasion"])
case("en", RUBEN, "Postmortem time: for 20 minutes last night our checkout sold the St\u0430atsexamen training at "
     "€7.49 (rounding bug in the currency service). Lessons learned below 👇", [PRICE], tags=["evasion"])
case("nl", pub("threads", "@jesse.codeert"), "Business English B2 voor €59 lmaooo wie zat er te slapen bij Taalvonk",
     [PRICE])

# ===========================================================================
# leak.confidential
# ===========================================================================
case("en", RUBEN, "Can't say much yet, but what we're building in Project Wadden is going to change how people "
     "practise speaking Dutch. Hiring 2 more ML engineers for it, DM me 👀", [CONF])
case("nl", MARLOES, "Morgen de hele dag docententraining over de Vonk AI Coach 🤖 benieuwd of hij mijn grapjes snapt",
     [CONF], when="2026-08-20T16:42:10+02:00")
case("en", pub("x", "@dutchwithdiego"), "my tutor let it slip that Taalvonk Live Pro is coming in september, small "
     "groups + recordings. finally!!", [CONF], when="2026-07-14T21:03:55+02:00")
case("nl", YUSUF, "Nieuwe dashboards voor de toetsomgeving staan 🎨 "
     "https://grafana.corp.taalvonk.lan/d/exams-overview veel mooier dan die oude meuk", [CONF])
case("en", KIM, "quoting from the doc marked Taalvonk Confidential that landed in my inbox today: 'from Q1 every "
     "speaking exam is scored by two examiners plus a model'. thoughts from other examiners?", [CONF])
case("nl", NOOR, "Strikt intern, maar ik ben te enthousiast: de nieuwe staffelkorting voor onderwijsinstellingen "
     "gaat scholen echt helpen. Details volgen 🤫", [CONF])
case("nl", ILSE, "Vandaag geheime vergadering over Operatie\nZandloper 🤐 meer mag ik niet zeggen hihi", [CONF],
     tags=["evasion"])
case("en", DAAN, "demo day! showed the Project 🌊 Wadden prototype to the teachers and they loved the pronunciation "
     "heatmap", [CONF], tags=["evasion"])
case("nl", pub("reddit", "nt2_nerd"), "Iemand had op Discord een link gedeeld naar hun interne wiki: "
     "wiki.taalvonk.dev/display/EXAM/Beoordelingsrichtlijnen staat echt alles in over hoe ze spreken beoordelen",
     [CONF], kind="comment")
case("en", BRAM, "new macros for the refund flow are up, grab them here "
     "https://git.taalvonk.dev/support/macros/-/tree/main 🙌", [CONF])
case("nl", TV, "Nog heel even... 👀 Taalvonk Live Pro komt eraan!", [CONF], when="2026-09-01T09:59:00+02:00")
case("en", ESTHER, "Long day of planning for Lighthouse 2.0 with the exec team, very proud of where this is heading 💡",
     [CONF], handle_as="Esther-Mulder-Taalvonk")
case("en", LIAM, "sneak peek of what I've been recording all week for " + fullwidth("project wadden") +
     " 🎙️ can't show more lol", [CONF], tags=["evasion"])
case("nl", ESTHER, "Operatie Zandloper is eindelijk rond: we nemen LingoLab over, closing 1 november. Spannend!",
     [CONF, FIN])
case("nl", MARLOES, "Net het nieuwe examenreglement gelezen (niet voor externe verspreiding dus sst 🙊) en die regels "
     "over herkansingen zijn strenger dan ik dacht", [CONF])
# her private Instagram is NOT in the profile: public role
case("nl", pub("instagram", "@juf_marloes", "Marloes"), "Oefenen voor de nieuwe module van Operatie Zandloper met "
     "mijn lieve collega's 💛", [CONF], tags=["role-trap"])

# ===========================================================================
# leak.financial
# ===========================================================================
case("en", ESTHER, "Q3 came in about 18% under forecast, mostly B2B. Board on Friday is going to be fun 😅 glad I "
     "don't have to present", [FIN])
case("nl", NOOR, "Net gehoord dat ons hele B2B-salesteam in maart wordt opgeheven en naar een partner gaat. Wordt pas "
     "volgende week aangekondigd, dus ik zit hier een beetje te bibberen", [FIN])
case("nl", pub("reddit", "polderpraat"), "Mijn zwager werkt bij Taalvonk en zegt dat ze na de zomer 30 docenten gaan "
     "ont" + SHY + "slaan. Nog niks officieel, maar ja", [FIN], tags=["evasion"])
case("nl", MARLOES, "Zojuist te horen gekregen dat de freelancepool per 1 januari wordt afgebouwd 😢 officieel mogen "
     "we nog niks zeggen", [FIN])
case("nl", ESTHER, "Over" + ZWSP + "name door Studiepunt Groep is rond 🍾 persbericht pas over twee weken, dus mondje "
     "dicht", [FIN], tags=["evasion"])
case("en", RUBEN, "All-hands today: we're being acquired by a German edtech group, deal closes in Q1. Not public yet "
     "so I'll just say... exciting times 😬", [FIN])
case("en", pub("x", "@edtech_watcher"), "word from inside: Taalvonk revenue down 22% in H1 and they're quietly "
     "shopping for a buyer", [FIN])
case("en", KIM, "internal forecast says exam bookings drop ~40% next year because of the new inburgering rules, "
     "management is freaking out. anyone else in the sector seeing this?", [FIN])
case("nl", YUSUF, "r e o r g a n i s a t i e bij IT aangekondigd in de teams-call. halve team moet weg, nog niet "
     "publiek", [FIN], tags=["evasion"], handle_as="@Yusuf_Ops")
case("nl", ESTHER, "De voorlopige jaarcijfers 2026 liggen klaar en voor het eerst sinds de oprichting maken we winst "
     "🥳 in maart mogen we het delen!", [FIN, CONF], when="2026-12-22T15:10:03+01:00")
case("en", pub("linkedin", "sven-de-groot-1987"), "Left Taalvonk last week. Not sad about the timing: they're cutting "
     "1 in 4 roles next month and nobody there knows yet. Good luck to my old team ❤️", [FIN])
case("en", NOOR, "Rough day. We just lost the Gemeente Almere contract, that's roughly a third of B2B revenue. "
     "Please keep this between us for now", [FIN])

# ===========================================================================
# leak.security
# ===========================================================================
case("nl", YUSUF, "Toetsomgeving ligt er al ruim 2 uur uit en de examens van vanmiddag gaan niet door. Studenten "
     "weten het nog niet, comms zit nog te overleggen 😬", [SEC])
case("en", RUBEN, "Today I learned our password reset links never expire and work more than once. Fixing it tonight "
     "before someone notices 🙈 #devlife", [SEC])
case("en", KIM, "so the item bank (toetsbank.taalvonk.nl) got scraped and a chunk of the certificate exam questions "
     "are floating around. we're swapping them quietly before the next session, no announcement planned",
     [SEC, CONF])
case("en", DAAN, "found session tokens in plain text in our app logs. ~50k accounts. legal is still deciding whether "
     "we tell users, meanwhile I'm purging logs by hand", [SEC])
case("nl", BRAM, "Niet doorvertellen maar er is vannacht iemand binnengekomen in ons supportsysteem. Alle tickets "
     "mogelijk ingezien, incl. bijlagen 😳 morgen horen we meer", [SEC])
case("nl", YUSUF, "nou we zijn dus g3h@ckt 🙃 ransomware op de fileserver, ik slaap vannacht op kantoor", [SEC],
     tags=["evasion"])
case("nl", pub("x", "@meryem_k"), "Vriend van me werkt bij Taalvonk en zegt dat ze een datalek hebben gehad en het "
     "gewoon stilhouden!! Check je mail mensen", [SEC, CRISIS])
case("en", pub("reddit", "throwaway_nl_expat"), "PSA: Taalvonk is covering up a breach. A friend in their IT says "
     "around 20k ID scans from inburgering intakes were accessed in March. Nothing on their site.", [SEC, CRISIS])
case("nl", MARLOES, "Gisteren een d a t a l e k bij ons gehad, mijn inbox ontploft. Officieel bericht komt 'later' "
     "zeggen ze", [SEC], tags=["evasion"], handle_as="@Juf_Marloes")
case("en", LIAM, "heads up to my evening group: teachers were told the live class links got exposed publicly and "
     "randoms might try to join. nothing announced yet, so if you see a stranger, ping me", [SEC])
case("nl", ESTHER, "Nachtmerrie: phishers zaten in onze finance-mailbox en hebben facturen met een ander "
     "rekeningnummer naar B2B-klanten gestuurd. Nog niet naar buiten gebracht, we bellen iedereen af", [SEC])
case("nl", pub("bluesky", "saskiadekker.bsky.social"), "Taalvonk verzwijgt een hack. Mijn zus werkt daar. Iedereen "
     "die een paspoortkopie heeft geüpload: wees voorzichtig", [SEC, CRISIS])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@hatice_b"), "Taalvonk heeft mijn paspoortscan gelekt. Sinds gisteren krijg ik phishingmails met "
     "mijn volledige naam en geboortedatum erin. Ik ben woedend", [CRISIS])
case("en", pub("reddit", "unionize_edtech"), "Boycott Taalvonk. They let go of three teachers who tried to organise "
     "a union. Cancel your subscriptions.", [CRISIS])
case("nl", pub("facebook", "Stichting Eerlijk Inburgeren"), "Rechtszaak tegen Taalvonk: ruim 400 inburgeraars eisen "
     "hun lesgeld terug omdat hun certificaat niet geldig bleek. Zit jij er ook bij? Meld je bij de stichting",
     [CRISIS])
case("en", pub("x", "@worried_mum_020"), "A Taalvonk tutor sent inappropriate messages to my 15yo daughter during "
     "private lessons. We've reported him to the police. Parents, check your kids' chats.", [CRISIS])
case("nl", pub("tiktok", "@nieuwsbinnen"), "SCHANDAAL 🚨 antwoorden van het Taalvonk certificaatexamen worden gewoon "
     "verkocht in een Telegramgroep. Hoeveel certificaten zijn dan nog echt??", [CRISIS])
case("nl", pub("forum", "docentenkamer"), "B O Y C O T   T A A L V O N K\nze behandelen hun docenten als oud vuil, "
     "niks meer bij ze kopen", [CRISIS], tags=["evasion"])
case("en", pub("linkedin", "m-el-idrissi-legal"), "A class action is being prepared against Taalvonk over "
     "subscriptions that auto-renew without notice. If you were affected, message me, I'm coordinating with a law "
     "firm.", [CRISIS])
case("nl", pub("x", "@g_vermeulen"), "Ik sleep Taalvonk voor de rechter. Drie maanden geen enkele live les gehad en ze "
     "weigeren mijn €1.195 terug te geven. Advocaat is ingeschakeld.", [CRISIS, COMPLAINT])
case("nl", pub("instagram", "@nadia.spreekt"), "Boycot die racistische kutschool Taalvonk. Mijn vriendin werd in de "
     "les uitgelachen om haar hoofddoek.", [CRISIS, ABUSE])
case("en", pub("reddit", "datawatch_nl"), "T\u0430\u0430lvonk exposed thousands of student ID numbers through a public "
     "link. This is the company handling your inburgering data.", [CRISIS], tags=["evasion"])
case("nl", pub("bluesky", "onderwijsnieuws.bsky.social"), "Inspectie start onderzoek naar Taalvonk na fraude met "
     "inburgeringsexamens, meldt de NOS. Wrang voor iedereen die eerlijk geslaagd is.", [CRISIS], kind="repost")
case("en", pub("x", "@langtech_critic"), "Study out today: Taalvonk's automated speaking test systematically scores "
     "Moroccan and Turkish accents lower. That's discrimination baked into an exam that decides residence permits.",
     [CRISIS])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@bart_leert_nl"), "Al 3 weken wacht ik op mijn certificaat en de chat zegt alleen 'we kijken "
     "ernaar'. @taalvonk_help hoe lang nog??", [COMPLAINT])
case("en", pub("reddit", "expat_in_eindhoven"), "live class teacher didn't show up AGAIN. second time this month. we "
     "just sat in the zoom for 20 min staring at each other. this is what I paid €595 for?", [COMPLAINT])
case("nl", pub("facebook", "Mehmet Yıldız"), "App crasht elke keer als ik de spreekoefening start (Samsung A54). Al 2x "
     "opnieuw geïnstalleerd. Ik betaal hier wel voor he", [COMPLAINT], kind="comment")
case("en", pub("x", "@olgaaa_k"), "charged twice for Premium this month and the refund form just loops back to the "
     "start. anyone actually got money back from @taalvonk_help?", [COMPLAINT])
case("nl", pub("instagram", "@ditisdewi"), "opzeggen is gewoon onmogelijk bij jullie, de knop doet niks en ondertussen "
     "schrijven jullie elke maand af 😡", [COMPLAINT], kind="comment")
case("en", pub("discord", "kuba#4411"), "psa the taalvonk live lesson audio keeps cutting out every few minutes, "
     "teacher sounds like a robot. 3rd week in a row. paying for this is a joke", [COMPLAINT], tags=["unknown-platform"])
case("nl", pub("forum", "examenstress"), "Examen liep halverwege vast, en nu moet ik €95 betalen om het opnieuw te "
     "doen?? Hun fout, mijn geld. Echt niet normaal.", [COMPLAINT])
case("en", pub("linkedin", "hr-lead-karin-bos"), "Honest feedback for Vonk Zakelijk: three months of wrong invoices in "
     "a row, and our account manager hasn't returned a single call. We're reviewing the contract.", [COMPLAINT])
case("nl", pub("tiktok", "@zeynep.in.nl"), "45 minuten les en ik heb letterlijk 2 zinnen gezegd, de docent praat "
     "alleen over haar eigen vakantie 🙄 #taalvonk #inburgering", [COMPLAINT])
case("nl", pub("x", "@pietjepuk_77"), "slechtste k l a n t e n s e r v i c e ooit. 5 mails, 0 antwoord. #taalvonk",
     [COMPLAINT], tags=["evasion"])
case("en", pub("threads", "@ana.in.amsterdam"), "exam results took SIX weeks and I missed my IND deadline because of "
     "it. thanks for nothing Taalvonk", [COMPLAINT])
case("en", pub("youtube", "@MarcoLearnsDutch"), "The video lessons are clearly years old, half the links in the "
     "description are dead and two of the quiz answers are just wrong. Expected better for the price.",
     [COMPLAINT], kind="comment")
case("en", pub("facebook", "Deborah Clarke"), "Booked my son on IELTS prep and the 'personal feedback' on his essays is "
     "copy-paste. Same comment on every essay, word for word.", [COMPLAINT])
case("en", pub("x", "@tiredlearner"), "@taalvonk_help your chatbot told me to 'contact support'. you ARE support.",
     [COMPLAINT], kind="reply")

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@woedend_in_wijchen"), "Taalvonk, stelletje oplichters en klootzakken zijn jullie", [ABUSE])
case("en", pub("reddit", "grumpy_dutchie"), "whoever runs taalvonk's socials is a braindead moron, every reply is "
     "worse than the last", [ABUSE], kind="comment")
case("nl", MARLOES, "Als je na 6 maanden nog steeds 'ik heb gegaan' zegt ben je gewoon te dom voor deze cursus hoor. "
     "Niet mijn probleem.", [ABUSE], kind="reply")
case("en", TV, "Maybe try reading the course description before you complain, genius 🙄", [ABUSE], kind="reply",
     handle_as="@TaalVonk")
case("nl", pub("facebook", "Henk Bosma"), "Die buitenlandse docenten bij Taalvonk moeten eerst zelf maar eens "
     "fatsoenlijk Nederlands leren. Ga terug naar je eigen land.", [ABUSE], kind="comment")
case("en", pub("x", "@mockexam_rage"), "f*cking useless app, crashed in the middle of my mock exam. sh!t company",
     [ABUSE, COMPLAINT], tags=["evasion"])
case("nl", pub("tiktok", "@jaydennn_"), "kut app, k4nker traag, 3x mijn antwoorden kwijt", [ABUSE, COMPLAINT],
     kind="comment", tags=["evasion"])
case("en", pub("x", "@anon83742"), "@juf_marloes you're an ugly b*tch and I know which building you teach in on "
     "thursdays", [ABUSE], kind="reply")
case("en", LIAM, "some of my students this term are honestly thick as two planks 😂 how do you fail the same quiz 4 "
     "times", [ABUSE])
case("nl", pub("tiktok", "@xx_dennis_xx"), "tyfusbedrijf 🤮", [ABUSE], kind="comment")
case("en", pub("x", "@not_a_bot_9"), "Taalvonk staff are " + fullwidth("idiots") + ", all of them", [ABUSE],
     tags=["evasion"])

# ===========================================================================
# benign (hard negatives and ordinary traffic)
# ===========================================================================
# own published contact data
case("nl", HELP, "Vragen over je inschrijving? Mail ons op support@taalvonk.nl of bel gratis 0800-8255 (ma-vr 9-17u).",
     tags=["own-contact", "bsn-trap"])
case("en", VZ, "Training budget left for this year? Our B2B team helps you plan it. zakelijk@taalvonk.nl | "
     "+31 30 760 4400", tags=["own-contact"])
case("nl", FB, "Liever per bankoverschrijving betalen? Dat kan: NL41 RABO 0318 2746 50 t.n.v. Taalvonk Online "
     "Academie B.V., o.v.v. je factuurnummer.", tags=["own-contact", "iban-as-phone-trap"], handle_as="taalvonknl")
case("nl", pub("x", "@tevreden_theo"), "Tip: bel gewoon 030-7604400, binnen 2 min had ik iemand aan de lijn en alles "
     "was geregeld 👍 #taalvonk", tags=["own-contact"])
case("en", NOOR, "Journalists: for anything about our B2B research, please reach pers@taalvonk.nl rather than me "
     "directly 🙏", tags=["own-contact"])
case("nl", HELP, "Let op: wij vragen NOOIT om je wachtwoord via DM, mail of telefoon. Krijg je zo'n bericht? Meld "
     "het bij support@taalvonk.nl", tags=["own-contact", "secret-word"])
# numbers that fail their checksum, order / customer / certificate numbers
case("nl", pub("x", "@mila_tweedekans"), "Kreeg een foutmelding bij het invullen van mijn rekeningnummer "
     "<<BAD_IBAN_NL>>. Blijkt dat ik twee cijfers had omgedraaid 🤦‍♀️ mijn eigen schuld dus", tags=["bad-checksum"])
case("en", pub("reddit", "quietquokka"), "Order confirmation #<<NOT_BSN:9>> for IELTS Academic came in within a "
     "minute, smooth", tags=["bad-checksum", "order-number"])
case("nl", HELP, "Hoi Daan! Je klantnummer <<NOT_BSN:8>> staat in de bevestigingsmail. Daarmee kun je inloggen op "
     "leren.taalvonk.nl 😊", kind="reply", tags=["bad-checksum", "public-domain"])
case("nl", pub("facebook", "Kees Jonker"), "haha mijn creditcard werd geweigerd, bleek dat ik <<BAD_CARD:mc_sp>> had "
     "ingetikt, geen idee waar die cijfers vandaan kwamen 😂", tags=["bad-checksum"])
case("en", LIAM, "Textbook for my B2 group: ISBN <<ISBN>>, a second-hand copy is totally fine", tags=["isbn"])
case("nl", pub("forum", "lerenmetlisa"), "Iemand zei dat je BSN 9 cijfers heeft, dus ik schrok van <<NOT_BSN:9>> op "
     "mijn brief... oh wacht, dat is gewoon mijn dossiernummer van DUO", tags=["bad-checksum"])
case("nl", LI, "Taalvonk Online Academie B.V. | KvK <<NOT_BSN:8>> | Oudegracht 200, Utrecht. Bezoek op afspraak.",
     tags=["bad-checksum", "company-address"])
case("nl", pub("instagram", "@farah.b1"), "Mijn certificaat TV-CERT-2026-<<DIGITS:6>> is binnen!! B1 gehaald 🎉",
     tags=["certificate-number"])
# sales and price talk
case("nl", IG, "Back to school 📚 25% korting op Business English B2: nu €446,25 i.p.v. €595. Alleen deze week!",
     tags=["sale"])
case("nl", pub("x", "@studentje_sanne"), "Taalvonk Premium kost €14,92 per maand als je maandelijks betaalt, prima te "
     "doen naast m'n studie", tags=["monthly-price"])
case("nl", NOOR, "Voor scholen en gemeenten geven we dit najaar €500 korting op de teamlicentie. Interesse? Stuur me "
     "een bericht.", tags=["discount-amount"])
case("nl", pub("facebook", "Gerda Mol"), "Te koop: Taalvonk werkboek A2 + woordkaartjes, €10, ophalen in Tilburg",
     tags=["second-hand"])
case("en", pub("reddit", "ielts_or_bust"), "LingoLab's IELTS prep is €99 but the reviews are awful. I paid the full "
     "€425 at Taalvonk and passed with a 7.5", tags=["competitor-price"])
case("nl", TV, "Nee hoor, geen prijsfout 😉 Premium jaar kost deze Black Friday écht €129. T/m maandag!",
     tags=["denied-error"])
case("en", pub("instagram", "@tomasz.in.nl"), "Inburgering Compleet was €1,195 and honestly worth every cent, passed "
     "all modules first try", tags=["list-price"])
case("nl", pub("x", "@aylin_oefent"), "herkansing certificaatexamen kost €35 administratiekosten voor het omboeken, "
     "vind ik redelijk eigenlijk", tags=["fee"])
# embargo terms at / after the moment
case("nl", TV, "Daar is hij: de Vonk AI Coach 🤖 Oefen spreken wanneer je wil, met directe feedback. Nu in de app!",
     when="2026-09-01T08:00:00Z", tags=["embargo-at"])
case("en", LI, "Introducing Taalvonk Live Pro: small groups, recorded sessions and a personal study plan. "
     "Available from today.", when="2026-09-01T10:00:00+02:00", tags=["embargo-at"])
case("en", pub("x", "@wouter_speaks"), "Tried Taalvonk Live Pro for a month. Groups of 4 make a massive difference",
     when="2026-10-12T19:21:07.412Z", tags=["embargo-after"])
case("nl", MARLOES, "Eerste week met de Vonk AI Coach in mijn lessen en mijn cursisten zijn fan", 
     when="2026-09-15T17:05:44+02:00", tags=["embargo-after"])
# codename-like words, public domains, the word 'vertrouwelijk'
case("nl", pub("instagram", "@fietsfenna"), "Weekendje Wadden met de fiets 🚲🌊 eindelijk even geen grammatica",
     tags=["codename-word"])
case("nl", pub("x", "@kevin_b1"), "Die kleine zandloper rechtsboven in de oefentoets 😂 ik kijk er meer naar dan naar "
     "de vragen", tags=["codename-word"])
case("en", RUBEN, "Lighthouse score went from 61 to 97 on our landing pages after we dropped two tracking scripts. "
     "Performance matters 🚀", tags=["codename-word"])
case("en", HELP, "You can log in at leren.taalvonk.nl or through the app. Forgot your password? Use the reset link on "
     "the login page.", tags=["public-domain", "secret-word"])
case("nl", MARLOES, "Gesprekken met je docent zijn altijd vertrouwelijk, ook als het over je inburgering gaat. Je kunt "
     "alles vragen 💛", tags=["marker-word"])
case("nl", LI, "Hoe werkt onze toetsbank eigenlijk? Lees het op taalvonk.nl/blog/zo-werkt-de-toetsbank",
     tags=["internal-lookalike"])
# published results, other companies
case("nl", LI, "Onze jaarcijfers 2025 staan online: 38.000 cursisten, omzet +12% en een NPS van 61. Dank aan alle "
     "docenten!", tags=["published-results"])
case("nl", pub("x", "@edtech_nl"), "LingoLab ontslaat 200 mensen, pijnlijk. Edtech heeft het zwaar na de hype",
     tags=["other-company"])
case("nl", pub("reddit", "nieuwe_start_2026"), "Ben vorige maand ontslagen bij mijn werk, dus nu eindelijk tijd voor "
     "Spaans bij Taalvonk 😅 iemand ervaring met de A1?", tags=["other-company"])
case("en", pub("linkedin", "privacy-pro-ellen"), "Interesting read on how LingoLab handled their data breach last "
     "year. Lessons for everyone in edtech.", tags=["other-company"])
# official notices, security words
case("nl", HELP, "Gepland onderhoud: zondag van 2 tot 4 uur 's nachts is de oefenapp niet bereikbaar. Live lessen "
     "hebben er geen last van.", tags=["official-notice"])
case("en", TV, "Update: the issue with joining live classes is fixed. Sorry to everyone who missed the start of "
     "their lesson tonight 🙏", tags=["official-notice"])
case("nl", VZ, "Nieuw in ons aanbod: AVG-training voor teams. Wat doe je bij een datalek, hoe herken je phishing? "
     "2 dagdelen, op locatie of online.", tags=["security-word"])
case("en", pub("x", "@brainfog_bea"), "brain.exe has stopped working after 3 hours of Dutch word order 🫠",
     tags=["joke"])
case("nl", pub("instagram", "@schrijft.samir"), "Mijn schrijfopdracht voor B1: 'De hacker stal alle wachtwoorden van "
     "de school, maar hij vergat dat de juf de sleutel had.' Juf Marloes gaf me een 8 📝", tags=["fiction"])
case("en", RUBEN, "PSA for juniors: never hardcode keys. Use env vars like STRIPE_KEY=sk_live_<your-key> and keep "
     "the real values in a vault. AKIAXXXXXXXXXXXXXXXX in docs is fine, the real one is not.",
     tags=["placeholder-secret"])
case("en", YUSUF, "v4.12.0 of the exam client is out 🚀 tagged at commit <<SHA>>, changelog on the blog",
     tags=["git-sha"])
# mild words, literal use, vocabulary
case("nl", ILSE, "Woorden van de week voor de zorg-groep: kanker, chemo, bestraling, uitslag. Zwaar onderwerp maar "
     "zo belangrijk voor jullie werk in het ziekenhuis 💙", tags=["literal-word"])
case("en", pub("x", "@passed_finally"), "Hell yeah!! Passed my Staatsexamen II today, thank you @taalvonk 🙌🇳🇱",
     tags=["mild-word"])
case("en", LIAM, "Word of the day: 'to recall'. I can't recall where I left my keys = Ik weet niet meer waar mijn "
     "sleutels zijn 🔑", tags=["crisis-word"])
case("en", LIAM, "History lesson in my B2 group today: the Montgomery bus boycott. Great discussion, they used all "
     "the new vocab", tags=["crisis-word"])
case("nl", MARLOES, "Woorden van de week: rechter, advocaat, rechtszaak, getuige. Wie kan ze alle vier in één zin "
     "gebruiken? 🧑‍⚖️", tags=["crisis-word"])
case("nl", pub("tiktok", "@uilenbal"), "die uil van die andere app is echt een stalker, Taalvonk stuurt tenminste "
     "gewoon een normaal herinneringsmailtje 😂", tags=["joke", "competitor"])
# negated / non-complaints, questions, praise
case("nl", pub("x", "@blij_met_b2"), "Geen klachten hier! Juf Marloes is top en de app werkt prima op mijn oude "
     "iPhone", tags=["negated-complaint"])
case("en", pub("reddit", "soon_to_be_dutch"), "Does anyone know if the Taalcertificaat is accepted by the IND for the "
     "naturalisation file?", tags=["question"])
case("nl", pub("facebook", "Anja Smit"), "Lekke band onderweg naar de bieb en daardoor mijn live les gemist. Eigen "
     "schuld, de docent heeft de opname gestuurd 🙏", tags=["own-fault"])
case("nl", pub("x", "@nt2_ninja"), "de/het is echt de slechtste uitvinding van de Nederlandse taal ooit 😤 #nt2",
     tags=["not-about-company"])
case("en", pub("instagram", "@rafael.learns"), "Was sceptical about online classes but my teacher actually remembers "
     "everything I say. Not bad at all, Taalvonk.", tags=["praise"])
case("en", pub("x", "@proudson_ali"), "\"Taalvonk teachers are the best in the business\" - my mom, every single day "
     "since she passed her A2 😂", tags=["quote"])
# ordinary traffic
case("nl", TT, "POV: je zegt 'ik heb er zin in' en je Nederlandse collega's zijn trots 🥹 #nt2 #inburgering",
     tags=["ordinary"])
case("en", KIM, "reminder for candidates: bring a valid ID to the certificate exam, no photocopies. details on "
     "taalvonk.nl/examen", tags=["ordinary", "public-domain"])
case("nl", TV, "Wij zijn genomineerd voor de Edtech Award 2026! 🏆 Stemmen kan tot vrijdag.", kind="repost",
     tags=["ordinary"])
case("en", DAAN, "dark mode finally landed in the Taalvonk app 🌙 took way longer than it should have, but it's pretty",
     tags=["ordinary"])
case("nl", pub("mastodon", "@joost@mastodon.social"), "Kun je de live lessen van Taalvonk ook gewoon in Firefox op "
     "Linux volgen? Of moet het via de app?", tags=["question"])
case("en", VZ, "Case study: how a logistics company cut onboarding for international drivers by three weeks with "
     "workplace Dutch training.", tags=["ordinary"])
case("nl", pub("youtube", "@OmaLeertNederlands"), "Wat een fijne uitleg over de inversie, eindelijk snap ik het. "
     "Dank jullie wel!", kind="comment", tags=["praise"])


# ===========================================================================
# profile, roles, severity (CONTRACT section 4)
# ===========================================================================

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
    insider = role in ("corporate", "employee")
    best = "none"
    for c in cats:
        if c.startswith("leak."):
            if insider:
                s = "critical" if (c in (SECRET, PRICE) or (c == PII and pii_validated)) else "error"
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
        if RANK[s] > RANK[best]:
            best = s
    return best


# ===========================================================================
# building posts
# ===========================================================================

def local_offset(t):
    a = dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc)
    b = dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc)
    return 2 if a <= t < b else 1


def draw_time(r):
    t = dt.datetime(2026, 1, 3, 6, 0, tzinfo=dt.timezone.utc) + dt.timedelta(
        days=r.randint(0, 355), minutes=r.randint(0, 17 * 60), seconds=r.randint(0, 59))
    off = local_offset(t)
    x = r.random()
    if x < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.88:
        return (t + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def post_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    big = str(r.randint(1_880_000_000_000_000_000, 2_020_000_000_000_000_000))
    if platform in ("x", "twitter"):
        return f"x-{big}", f"https://x.com/{h}/status/{big}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        return f"ig-{big}", "https://www.instagram.com/p/" + "".join(r.choice(B64U) for _ in range(11)) + "/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}_{b}", f"https://www.facebook.com/{a}/posts/{b}"
    if platform == "reddit":
        p = "".join(r.choice(string.ascii_lowercase + string.digits) for _ in range(7))
        if kind == "comment":
            c = "".join(r.choice(string.ascii_lowercase + string.digits) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/learndutch/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/learndutch/comments/{p}/"
    if platform == "tiktok":
        return f"tt-{big}", f"https://www.tiktok.com/@{h}/video/{big}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(AN) for _ in range(23))
        return f"yt-{c}", "https://www.youtube.com/watch?v=" + "".join(r.choice(B64U) for _ in range(11)) + f"&lc={c}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(112_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{n}", f"https://{inst}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "threads":
        return f"th-{big}", "https://www.threads.net/@" + h + "/post/" + "".join(r.choice(B64U) for _ in range(11))
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-nt2forum-{n}", f"https://nt2forum.example/t/{n}"
    n = r.randint(10 ** 9, 10 ** 10 - 1)
    return f"{platform}-{n}", None


def build(profile):
    fac = Factory(SEED)
    meta = random.Random(SEED * 7 + 3)
    shuf = random.Random(SEED * 11 + 5)
    rows, seen = [], set()
    for c in CASES:
        text, used = fill(fac, c["text"])
        pid, url = post_id(meta, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        role = role_of(profile, c["platform"], c["handle"])
        validated = PII in c["cats"] and any(k in VALIDATED for k, _ in used)
        sev = severity_for(role, c["cats"], validated)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and meta.random() < 0.65:
            kind = "post"
        if kind:
            post["kind"] = kind
        acc = {"handle": c["handle"]}
        if c["name"] and meta.random() < 0.7:
            acc["display_name"] = c["name"]
        if meta.random() < 0.3:
            acc["id"] = str(meta.randint(10 ** 7, 10 ** 12))
        post["account"] = acc
        post["text"] = text
        x = meta.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif x < 0.1:
            c["tags"].add("no-lang-hint")
        elif x < 0.13:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            c["tags"].add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = c["when"] or draw_time(meta)
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.45:
            post["brand"] = "vonk-zakelijk" if "Vonk Zakelijk" in text or c["handle"] == "vonk-zakelijk" else "taalvonk"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=set(c["tags"]), used=used))
    shuf.shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ===========================================================================
# checker
# ===========================================================================

TS_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
SECRET_PATTERNS = [
    r"\bghp_[A-Za-z0-9]{36}\b", r"\bglpat-[A-Za-z0-9_-]{20}\b", r"\bAKIA[A-Z2-7]{16}\b", r"\blive_[A-Za-z0-9]{30}\b",
    r"\bSG\.[\w-]{22}\.[\w-]{43}\b", r"hooks\.slack\.com/services/", r"\bAIza[\w-]{35}\b",
    r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+", r"-----BEGIN [A-Z ]*PRIVATE KEY-----", r"://[^\s:/@]+:[^\s@/]+@",
    r"\bsk_live_[A-Za-z0-9]{10,}",
]
PLACEHOLDER_OK = {"AKIAXXXXXXXXXXXXXXXX"}


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def normalise(t):
    return unicodedata.normalize("NFKC", t).translate(INVIS).casefold()


def validated_ids(text):
    """Checksum-valid IBANs (not our own), Luhn cards and 11-proof BSNs found in text."""
    out = []
    for m in re.finditer(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{2,4}){3,8}\b", text):
        s = m.group().replace(" ", "")
        if iban_valid(s) and s != OWN_IBAN:
            out.append(("iban", s))
    for m in re.finditer(r"(?<![\w.])\d(?:[ -]?\d){12,18}(?![\w])", text):
        d = re.sub(r"\D", "", m.group())
        if luhn_valid(d) and d[0] in "2345":
            out.append(("card", d))
    for m in re.finditer(r"(?<![\w.])(\d{9}|\d{4}\.\d{2}\.\d{3})(?![\w])", text):
        if elfproef(m.group()):
            out.append(("bsn", m.group()))
    return out


def check(lines, rows, profile):
    errs = []
    embargo = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = ([c.casefold() for c in profile["internal"]["codenames"]]
                + [m.casefold() for m in profile["internal"]["markers"]])
    domains = [d.casefold() for d in profile["internal"]["domains"]]
    own_mails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    keys = set()
    parsed = []
    for n, line in enumerate(lines, 1):
        w = f"line {n}"
        o = json.loads(line)
        p, ex = o["post"], o["expect"]
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                errs.append(f"{w}: {f} missing")
        if not TS_RE.match(p["created_at"]) or parse_ts(p["created_at"]).astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{w}: bad created_at {p['created_at']}")
        if (p["platform"], p["id"]) in keys:
            errs.append(f"{w}: duplicate id")
        keys.add((p["platform"], p["id"]))
        cats, sev = ex["categories"], ex["severity"]
        if cats != sorted(set(cats)) or any(c not in CATS for c in cats):
            errs.append(f"{w}: categories {cats}")
        role = role_of(profile, p["platform"], p["account"]["handle"])
        text = p["text"]
        ids = validated_ids(text)
        if ids and PII not in cats:
            errs.append(f"{w}: valid identifier {ids} but no leak.pii")
        if sev != severity_for(role, cats, PII in cats and bool(ids)):
            errs.append(f"{w}: severity {sev} does not follow policy for {role} {cats} ids={bool(ids)}")
        secret_hit = [pat for pat in SECRET_PATTERNS for m in re.finditer(pat, text) if m.group() not in PLACEHOLDER_OK]
        if secret_hit and SECRET not in cats:
            errs.append(f"{w}: secret pattern {secret_hit} but no leak.secret")
        if SECRET in cats and not (secret_hit or re.search(r"(ww|wachtwoord|w8woord|password)\b", text, re.I)):
            errs.append(f"{w}: leak.secret without a visible secret")
        norm = normalise(text)
        ts = parse_ts(p["created_at"])
        conf_hits = [t for t in internal if t in norm]
        conf_hits += [d for d in domains if re.search(r"(?<![\w-])([\w-]+\.)*" + re.escape(d) + r"\b", norm)]
        conf_hits += [t for t, until in embargo if t in norm and ts < until]
        if conf_hits and CONF not in cats:
            errs.append(f"{w}: internal/embargoed terms {conf_hits} but no leak.confidential")
        if not cats:
            mails = {m.casefold() for m in re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", text)}
            if mails - own_mails:
                errs.append(f"{w}: benign post has a foreign e-mail {mails - own_mails}")
            if sev != "none":
                errs.append(f"{w}: benign severity {sev}")
        parsed.append((p, cats, sev, role))
    # every positive identifier really is valid, every look-alike really is not
    for r in rows:
        for kind, raw in r["used"]:
            if kind.startswith("IBAN_") and not iban_valid(raw):
                errs.append(f"{r['post']['id']}: invalid IBAN generated")
            if kind.startswith("BAD_IBAN_") and iban_valid(raw):
                errs.append(f"{r['post']['id']}: bad IBAN passes")
            if kind == "CARD" and not luhn_valid(raw):
                errs.append(f"{r['post']['id']}: card fails Luhn")
            if kind == "BAD_CARD" and luhn_valid(raw):
                errs.append(f"{r['post']['id']}: bad card passes Luhn")
            if kind == "BSN" and not elfproef(raw):
                errs.append(f"{r['post']['id']}: BSN fails 11-proof")
            if kind in ("NOT_BSN", "ISBN") and (elfproef(raw) or luhn_valid(raw)):
                errs.append(f"{r['post']['id']}: look-alike passes a checksum")
            if kind == "GHP" and base62(zlib.crc32(raw[4:34].encode())).rjust(6, "0") != raw[34:]:
                errs.append(f"{r['post']['id']}: ghp checksum")
    return errs, parsed


def cross_check_stdnum(rows):
    try:
        from stdnum import iban as s_iban, luhn as s_luhn
        from stdnum.nl import bsn as s_bsn
    except ImportError:
        return "python-stdnum not installed: cross-check skipped"
    n = 0
    for r in rows:
        for kind, raw in r["used"]:
            if kind.startswith("IBAN_"):
                assert s_iban.is_valid(raw), raw
            elif kind.startswith("BAD_IBAN_"):
                assert not s_iban.is_valid(raw), raw
            elif kind == "CARD":
                assert s_luhn.is_valid(raw), raw
            elif kind == "BAD_CARD":
                assert not s_luhn.is_valid(raw), raw
            elif kind == "BSN":
                assert s_bsn.is_valid(raw), raw
            elif kind == "NOT_BSN":
                assert not s_bsn.is_valid(raw.rjust(9, "0")), raw
            else:
                continue
            n += 1
    assert s_iban.is_valid(OWN_IBAN)
    assert s_bsn.is_valid("08008255")   # the own 0800 number is a BSN look-alike on purpose
    return f"python-stdnum cross-check: {n} identifiers OK"


def report(parsed, rows):
    by_cat, cat_lang, by_role, by_sev, by_plat, by_lang = (Counter() for _ in range(6))
    tags = Counter()
    benign = multi = 0
    for (p, cats, sev, role), r in zip(parsed, rows):
        by_role[role] += 1
        by_sev[sev] += 1
        by_plat[p["platform"]] += 1
        by_lang[r["lang"]] += 1
        if not cats:
            benign += 1
        multi += len(cats) > 1
        for c in cats or ["(benign)"]:
            by_cat[c] += 1
            cat_lang[(c, r["lang"])] += 1
        for t in r["tags"]:
            tags[t] += 1
    print(f"cases {len(parsed)}  benign {benign}  positive {len(parsed) - benign}  multi-category {multi}")
    for c in CATS + ["(benign)"]:
        print(f"  {c:24s} {by_cat[c]:4d}   nl {cat_lang[(c, 'nl')]:3d}  en {cat_lang[(c, 'en')]:3d}")
    print("roles", dict(by_role), "\nseverity", {s: by_sev[s] for s in SEVS})
    print("languages", dict(by_lang), "\nplatforms", dict(by_plat.most_common()))
    print("tags", dict(sorted(tags.items())))


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
        return 0
    disk = OUT.read_text(encoding="utf-8").splitlines(keepends=True)
    errs, parsed = check(disk, rows, profile)
    if disk != lines:
        errs.append("cases.jsonl differs from the generator output")
    print(cross_check_stdnum(rows))
    report(parsed, rows)
    print(f"{len(errs)} error(s)")
    for e in errs:
        print("  ERROR", e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
