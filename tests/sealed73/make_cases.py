#!/usr/bin/env python3
"""Sealed evaluation set 73 for postwatch: a Dutch funeral insurer / funeral services group.

    python3 make_cases.py           # write cases.jsonl next to this file
    python3 make_cases.py --check   # regenerate in memory, compare, validate, print counts

The company ("Vredehaven Uitvaartgroep N.V.") is described in profile.yaml in this folder.
All texts are hand-written below. Identifiers and secrets are filled in from placeholders
such as <<IBAN_NL:grp>> by one seeded RNG, so the output is byte-for-byte reproducible.
Positives get checksum-valid identifiers (IBAN mod-97, Luhn, BSN 11-proof); the benign
near-misses get values that fail their checksum. Every secret is random and fake.

Severity is never typed by hand: it is derived from CONTRACT section 4 using the account
role (looked up in profile.yaml by platform:handle, case-insensitive), the categories, and
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
import zlib
from collections import Counter
from pathlib import Path

SEED = 73_2026_0519
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
CATEGORIES = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
              "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]

ZW = "\u200b"


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# Cyrillic look-alikes for a few Latin letters
CYR = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "c": "\u0441", "p": "\u0440"}


def homoglyph(word, letters):
    return "".join(CYR[c] if c in letters else c for c in word)


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------

def iban_valid(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    moved = s[4:] + s[:4]
    return int("".join(str(int(ch, 36)) for ch in moved)) % 97 == 1


def iban_build(cc, bban):
    n = int("".join(str(int(ch, 36)) for ch in bban + cc + "00"))
    return f"{cc}{98 - n % 97:02d}{bban}"


def luhn_valid(num):
    ds = [int(c) for c in re.sub(r"\D", "", num)][::-1]
    tot = 0
    for i, d in enumerate(ds):
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        tot += d
    return bool(ds) and tot % 10 == 0


def elfproef(num):
    s = re.sub(r"\D", "", num)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    tot = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return tot != 0 and tot % 11 == 0


# ---------------------------------------------------------------------------
# seeded values
# ---------------------------------------------------------------------------

ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
OWN_IBAN = "NL33RABO0317402958"


class Values:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def d(self, n, nonzero=True):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        if nonzero and s[0] == "0":
            s = self.r.choice("123456789") + s[1:]
        return s

    def pick(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    @staticmethod
    def grp(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    def iban(self, cc):
        if cc == "NL":
            while True:
                v = iban_build("NL", self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "ASNB", "KNAB", "BUNQ", "RBRB"])
                               + self.d(10))
                if v != OWN_IBAN:
                    return v
        if cc == "DE":
            return iban_build("DE", self.r.choice(["12030000", "43060967", "29050101", "76026000"]) + self.d(10, False))
        if cc == "BE":
            head = self.r.choice(["063", "091", "143", "310", "651"]) + self.d(7, False)
            return iban_build("BE", head + f"{int(head) % 97 or 97:02d}")
        if cc == "GB":
            return iban_build("GB", self.r.choice(["BUKB", "NWBK", "LOYD", "MIDL"]) + self.d(6) + self.d(8, False))
        raise ValueError(cc)

    def bad_iban(self, cc):
        good = self.iban(cc)
        k = int(good[2:4])
        for step in (7, 19, 31, 44, 58):
            cand = f"{good[:2]}{(k + step) % 100:02d}{good[4:]}"
            if not iban_valid(cand):
                return cand
        raise AssertionError

    def card(self, brand):
        body = {"visa": lambda: "4" + self.d(14, False),
                "mc": lambda: "5" + self.r.choice("12345") + self.d(13, False),
                "mc2": lambda: str(self.r.randint(2221, 2720)) + self.d(11, False),
                "amex": lambda: self.r.choice(["34", "37"]) + self.d(12, False)}[brand]()
        for c in "0123456789":
            if luhn_valid(body + c):
                return body + c
        raise AssertionError

    def bad_card(self, brand):
        v = self.card(brand)
        bad = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_valid(bad)
        return bad

    @staticmethod
    def card_fmt(v, style):
        if style == "plain":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if style == "dash" else " ").join(parts)

    def bsn(self):
        while True:
            s = self.d(9)
            if elfproef(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.d(n)
            if not elfproef(s) and not luhn_valid(s):
                return s

    def phone(self, fmt):
        if fmt.startswith("mob"):
            x = self.r.choice("12345678") + self.d(7, False)   # 8 digits after '06'
            return {"mob_dash": f"06-{x}", "mob_sp": f"06 {x[:4]} {x[4:]}",
                    "mob_intl_sp": f"+31 6 {x[:2]} {x[2:4]} {x[4:6]} {x[6:]}", "mob_0031": f"0031 6{x}",
                    "mob_intl0": f"+31 (0)6 {x}", "mob_plain": f"06{x}"}[fmt]
        area = self.r.choice(["50", "592", "591", "38", "58", "511", "53"])
        sub = self.r.choice("2345789") + self.d(8 - len(area), False)
        if fmt == "land_sp":
            return f"0{area} {sub[:3]} {sub[3:]}" if len(sub) == 6 else f"0{area} {sub[:3]} {sub[3:5]} {sub[5:]}"
        if fmt == "land_dash":
            return f"0{area}-{sub}"
        raise ValueError(fmt)

    def ghp(self):
        body = self.pick(ALNUM, 30)
        n = zlib.crc32(body.encode()) & 0xFFFFFFFF
        out = ""
        while n:
            n, rem = divmod(n, 62)
            out = B62[rem] + out
        return "ghp_" + body + out.rjust(6, "0")

    def password(self):
        word = self.r.choice(["Rouw", "Lelie", "Kaars", "Duif", "Wilg", "Herfst", "Tulp", "Zerk"])
        return word + self.d(4) + self.r.choice("!#$%*") + self.pick(ALNUM, 4)

    def jwt(self):
        enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
        iat = 1769904000 + self.r.randint(0, 200 * 86400)
        head = enc({"alg": "HS256", "typ": "JWT"})
        body = enc({"sub": "page_" + self.d(7), "iss": "herdenken.vredehaven.nl", "scope": "guestbook:write",
                    "iat": iat, "exp": iat + 7200})
        return f"{head}.{body}.{self.pick(B64URL, 43)}"

    def pem_rsa(self):
        body = "MIIEowIBAAKCAQEA" + self.pick(B64, 64 * 8 - 16)
        rows = [body[i:i + 64] for i in range(0, len(body), 64)] + [self.pick(B64, 40) + "=="]
        return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(rows) + "\n-----END RSA PRIVATE KEY-----"

    def value(self, kind, fmt):
        """Return (raw, shown) for one placeholder."""
        if kind in ("IBAN_NL", "IBAN_DE", "IBAN_BE", "IBAN_GB"):
            raw = self.iban(kind[-2:])
            return raw, self.grp(raw) if fmt == "grp" else raw
        if kind in ("BAD_IBAN_NL", "BAD_IBAN_DE"):
            raw = self.bad_iban(kind[-2:])
            return raw, self.grp(raw) if fmt == "grp" else raw
        if kind in ("CARD", "BAD_CARD"):
            brand, _, style = fmt.partition("_")
            raw = self.card(brand) if kind == "CARD" else self.bad_card(brand)
            return raw, self.card_fmt(raw, style or "sp")
        if kind == "BSN":
            raw = self.bsn()
            return raw, f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if fmt == "dots" else raw
        if kind == "BAD_BSN":
            raw = self.not_bsn(9)
            return raw, raw
        if kind == "NOT_BSN8":
            raw = self.not_bsn(8)
            return raw, raw
        if kind == "PHONE":
            raw = self.phone(fmt)
            return raw, raw
        if kind == "DIGITS":
            raw = self.d(int(fmt))
            return raw, raw
        if kind == "HEX":
            raw = self.pick("0123456789abcdef", int(fmt))
            return raw, raw
        simple = {
            "GHP": self.ghp,
            "AWS_ID": lambda: "AKIA" + self.pick(B32, 16),
            "AWS_SECRET": lambda: self.pick(B64, 40),
            "SLACK_BOT": lambda: f"xoxb-{self.d(11)}-{self.d(13)}-{self.pick(ALNUM, 24)}",
            "SLACK_HOOK": lambda: ("https://hooks.slack.com/services/T" + self.pick(string.ascii_uppercase + string.digits, 9)
                                   + "/B" + self.pick(string.ascii_uppercase + string.digits, 10) + "/"
                                   + self.pick(ALNUM, 24)),
            "STRIPE": lambda: "sk_live_" + self.pick(ALNUM, 28),
            "GAPI": lambda: "AIzaSy" + self.pick(B64URL, 33),
            "JWT": self.jwt,
            "PEM_RSA": self.pem_rsa,
            "PW": self.password,
        }
        raw = simple[kind]()
        return raw, raw


PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")
VALIDATED_KINDS = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "IBAN_GB", "CARD", "BSN"}
FAILING_KINDS = {"BAD_IBAN_NL", "BAD_IBAN_DE", "BAD_CARD", "BAD_BSN", "NOT_BSN8"}


def fill(vals, text):
    used = []

    def sub(m):
        raw, shown = vals.value(m.group(1), m.group(2) or "")
        used.append((m.group(1), raw, shown))
        return shown

    return PH.sub(sub, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

# corporate
VH_X = ("x", "@vredehaven_nl", "Vredehaven")
VH_ZORG = ("x", "@vredehaven_zorg", "Vredehaven Klantcontact")
VH_FB = ("facebook", "VredehavenUitvaartzorg", "Vredehaven Uitvaartzorg")
VH_LI = ("linkedin", "vredehaven-uitvaartgroep", "Vredehaven Uitvaartgroep N.V.")
VH_IG = ("instagram", "@vredehaven.herdenken", "Vredehaven Herdenken")
# employees
IP = ("x", "@ingrid_uitvaart", "Ingrid Postma")                 # uitvaartleider, Groningen
BH = ("linkedin", "bas-hofstede-vredehaven", "Bas Hofstede")     # IT infrastructure
MO = ("x", "@m_oudshoorn", "Mirjam Oudshoorn")                  # polisadministratie / uitkeringen
YK = ("linkedin", "yusuf-kaya-finance", "Yusuf Kaya")           # finance controller
DS = ("instagram", "@daan.draagt", "Daan Scholten")             # drager / rouwchauffeur
NB = ("x", "@nachtdienst_noor", "Noor Bakkali")                 # 24/7 meldkamer, nights
LD = ("x", "@liekedev", "Lieke van Dam")                        # web developer, memorial pages


def pub(platform, handle, name=None):
    return (platform, handle, name)


CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), handle_as=None, hint=None):
    platform, handle, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


PRICING, SECRET, PII, CONF = "leak.pricing", "leak.secret", "leak.pii", "leak.confidential"
FIN, SEC = "leak.financial", "leak.security"
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", LD, "ehm. sinds de release van vanmiddag rekent de uitvaartconfigurator de Basisuitvaart af op €449,50 🫠 "
     "rollback loopt, stuur tot die tijd aub niemand naar de site", [PRICING])
case("nl", pub("facebook", "annemarie.jonkers", "Annemarie Jonkers"),
     "Ik zat voor mijn moeder alvast wat uit te zoeken en bij Vredehaven staat 'Rustig Afscheid' nu voor €18,95?! "
     "Normaal is dat bijna 1900 euro. Moet ik dit vastleggen of is het gewoon een fout van hun kant?", [PRICING])
case("en", pub("reddit", "u/frugal_in_utrecht"),
     "Not to be morbid but Vredehaven's webshop has the Herdenkpagina Plus at €5.90 right now instead of €59. "
     "Grabbed one for my grandad's page before someone notices lol", [PRICING], kind="comment")
case("nl", MO, "Offertetool is helemaal van slag: Begrafenispakket Compleet komt voor iedereen uit op €795 ipv €7.950 😳 "
     "er zijn al 3 families die die offerte per mail hebben. wie heeft er aan de tabellen gezeten??", [PRICING])
case("nl", VH_FB, "Een waardig afscheid hoeft niet duur te zijn 🕊️ Rustig Afscheid, een crematie zonder plechtigheid, "
     "nu voor €189. Meer weten? Wij zijn dag en nacht bereikbaar.", [PRICING])
case("nl", pub("forum", "Zuinig_Zeeland"),
     "[Prijsfout?] Uitvaartkist Linde bij Vredehaven voor € 115,-\n\nStaat er sinds gisteravond zo in de webwinkel, "
     "normaal ruim 1100. Iemand ervaring of ze zoiets honoreren?", [PRICING])
case("nl", pub("x", "@gierige_gert"), "prijsf" + homoglyph("o", "o") + "ut bij vredehaven lol, crematiepakket eenvoud "
     "voor 329 euro 💀 iemand is een nul vergeten", [PRICING], tags=["evasion", "evasion:homoglyph"])
case("en", pub("threads", "@marieke.writes"),
     "Vredehaven is listing Pakket Compleet at €79.50 today 😬 that's a full burial package that normally runs "
     "close to 8k. someone is getting a talking-to on monday", [PRICING])
case("nl", pub("facebook", "truus.hamstra.1", "Truus Hamstra"),
     "Herdenkpagina Plus staat op dit moment gratis (€0,00) bij het afrekenen op de site van Vredehaven. Vast een "
     "foutje, maar misschien fijn voor wie net iemand verloren heeft 🕯️", [PRICING])
case("en", YK, "Heads-up for colleagues only: a decimal separator bug in last night's price import put Crematiepakket "
     "Eenvoud on the website at €3,30. We're counting the orders that came in overnight. Please don't share.",
     [PRICING])
case("en", LD, "Rustig Afscheid shows €18.95 on prod since 14:00, ticket is "
     "gitlab.vredehaven.nl/web/configurator/-/issues/212 but no hotfix until the change board meets tomorrow 🙃",
     [PRICING, CONF])
case("nl", pub("tiktok", "@zwartehumor_zoe"),
     "als je bij vredehaven een Basisuitvaart ziet staan voor €44,95 en je denkt: mijn kans 💀 #prijsfout #darkhumor",
     [PRICING])

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", LD, "why does cloning the memorial pages repo fail in CI but work on my laptop?? "
     "git clone https://<<GHP>>@github.com/vredehaven/herdenken-web.git token should have repo scope 🤔",
     [SECRET])
case("nl", BH, "Iemand ervaring met Terraform en S3 cross-account? Dit is mijn provider-blok voor de CDN van de "
     "herdenkingspagina's, maar de apply faalt steeds op AccessDenied:\n\nprovider \"aws\" {\n  region     = "
     "\"eu-west-1\"\n  access_key = \"<<AWS_ID>>\"\n  secret_key = \"<<AWS_SECRET>>\"\n}\n\nTips welkom! "
     "#terraform #aws", [SECRET])
case("nl", NB, "voor wie vannacht invalt: ww van de meldkamer-pc is <<PW>> , die voor de voicemail ligt onder het "
     "toetsenbord 🙈 fijne dienst ☕", [SECRET])
case("nl", VH_ZORG, "@fam_hoekman Excuses voor het ongemak, de betaling voor de herdenkingspagina werkt weer. Wilt u "
     "het nog eens proberen? (ref <<STRIPE>>)", [SECRET], kind="reply")
case("en", pub("blog", "secnotes.nl", "secnotes"),
     "Short write-up: herdenken.vredehaven.nl loads its cemetery map with the key <<GAPI>> and that key accepts "
     "requests from any referrer, so anyone can run up their Maps bill. Reported via their security.txt contact, "
     "no answer after 30 days.", [SECRET])
case("nl", pub("forum", "freelance_frits"),
     "Help, koppeling met de planningsdatabase van een klant (uitvaartorganisatie) werkt ineens niet meer. "
     "Foutmelding: password authentication failed. Connectiestring is "
     "postgresql://planner_rw:<<PW>>@db02.planning.vredehaven.nl:5432/uitvaarten, wat mis ik?", [SECRET, CONF])
case("nl", MO, "Voor team uitkeringen: tot SSO het doet is de login van het nieuwe portaal gebruiker uitkering-team, "
     "wachtwoord <<PW>> Niet doorsturen aub 🙏", [SECRET])
case("en", LD, "failed memorial uploads now ping Slack 🎉 webhook is <<SLACK_HOOK>> if you want to pipe your own "
     "scripts into it", [SECRET])
case("nl", pub("x", "@gerrit_bosman56"),
     "@vredehaven_zorg ik kom al 3 dagen niet in mijn.vredehaven.nl om de polis van mijn vader te bekijken. "
     "gebruiker g.bosman1956@kpnmail.nl en wachtwoord Lelie1956! wat doe ik fout?? dit is toch niet normaal",
     [SECRET, PII, COMPLAINT], kind="reply")
case("en", LD, "debugging the guestbook API: <<JWT>> gets rejected as expired but exp is two hours away?? clock skew "
     "on the pods maybe", [SECRET])
case("en", pub("reddit", "u/apk_poker"),
     "Decompiled the Vredehaven app (v3.8) out of curiosity. There's a private key just sitting in the assets "
     "folder:\n<<PEM_RSA>>\nPretty sure that wasn't meant to ship.", [SECRET])
case("en", BH, "note for the on-call crew: the p a s s w o r d for the backup NAS is <<PW>> , rotating it next week",
     [SECRET], tags=["evasion", "evasion:spaced"])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", VH_ZORG, "@r_wijnberg Beste meneer Wijnberg, de teveel betaalde premie (€86,40) is vandaag teruggestort op "
     "<<IBAN_NL>>. U ziet het binnen twee werkdagen op uw rekening.", [PII], kind="reply")
case("nl", IP, "Morgen om 10 uur vertrekken we vanaf het rouwadres, familie Hazenberg, Wilhelminalaan 31, 9751 CK "
     "Haren. Collega's graag om half 10 aanwezig 🖤", [PII])
case("nl", NB, "melding van 03:12 nog niet verwerkt: overledene mevr. A. Tuinstra, BSN <<BSN>>, wie zet het in het "
     "systeem? ik zit in een ander gesprek", [PII])
case("nl", MO, "Kan iemand van uitkeringen even meekijken? Betaling aan nabestaande Jolanda Meijer komt steeds terug, "
     "haar IBAN is <<IBAN_NL:grp>> en ze is bereikbaar op <<PHONE:mob_dash>>.", [PII])
case("nl", pub("facebook", "sander.koopmans.79", "Sander Koopmans"),
     "Mijn vader is vorige week overleden. De polis bij Vredehaven dekt maar een deel van de kosten. Wie wil "
     "bijdragen aan een mooi afscheid: <<IBAN_NL:grp>> t.n.v. S. Koopmans. Elke euro helpt 💐", [PII])
case("nl", pub("instagram", "@oma_en_ik"),
     "@vredehaven.herdenken ik wil graag de Herdenkpagina Plus voor mijn oma, kan ik mijn kaartnummer gewoon "
     "hier geven? <<CARD:visa_sp>> geldig t/m 08/28", [PII], kind="comment")
case("nl", DS, "Mevrouw Tineke Brouwer (geboren 12-08-1949) woont sinds het overlijden van haar man helemaal alleen. "
     "Wie van ons komt er toevallig langs voor een kop koffie? ❤️", [PII])
case("en", pub("mastodon", "@kerstin_h@norden.social", "Kerstin H."),
     "Paid my aunt's cremation invoice to Vredehaven from my German account <<IBAN_DE:grp>> three weeks ago and "
     "they keep sending reminders. Does anyone there read their mail?", [PII, COMPLAINT])
case("nl", pub("facebook", "els.verbruggen.antwerpen", "Els Verbruggen"),
     "Vanuit Antwerpen alles geregeld, betaald via <<IBAN_BE>>, en Vredehaven zorgde dat mama toch in Zeeland "
     "begraven kon worden. Heel dankbaar 🙏", [PII])
case("en", YK, "Refund to the Pearson family in Leeds bounced twice. Account is <<IBAN_GB>>, can someone in payments "
     "try it via SWIFT instead?", [PII])
case("nl", pub("x", "@rvos62"),
     "stuur de factuur van de crematie dan maar naar r.vos.1962 apenstaartje hotmail punt com, jullie portaal doet "
     "het al een week niet @vredehaven_zorg", [PII, COMPLAINT], tags=["evasion", "evasion:obfuscated-email"])
case("nl", pub("forum", "RechtOpWraak"),
     "Die uitvaartleider van Vredehaven heet Ingrid Postma en woont op de Kerklaan 18 in Zuidhorn. Ga haar maar "
     "eens opzoeken, dat arrogante wijf.", [PII, ABUSE])
case("nl", VH_FB, "Beste Wilma, wat verdrietig om te lezen. Onze uitvaartverzorger belt u vanmiddag tussen 14 en 16 "
     "uur op <<PHONE:mob_0031>>. Veel sterkte.", [PII], kind="comment", handle_as="vredehavenuitvaartzorg",
     tags=["case-handle"])
case("nl", pub("facebook", "monique.dijkhuis", "Monique Dijkhuis"),
     "Vredehaven wilde per se een kopie van het paspoort van mijn overleden moeder via WhatsApp (nummer "
     "NW4RK81P6). Raakt het kwijt en nu moet ik alles opnieuw aanleveren. Slordig!", [PII, COMPLAINT])
case("nl", IP, "BSN van meneer Zwart ontbreekt nog in het dossier, van zijn ID-kaart overgenomen: <<BSN:dots>>. Wie "
     "op kantoor zet hem er even in?", [PII], handle_as="@Ingrid_Uitvaart", tags=["case-handle"])
case("en", pub("x", "@clare_ob"),
     "@vredehaven_zorg you charged my Amex <<CARD:amex_sp>> twice for the memorial page. TWICE. During the worst "
     "week of my life.", [PII, COMPLAINT], kind="reply")
case("nl", NB, "Overdracht nachtdienst: mevrouw De Boer belde om 04:10 over haar broer, ze wil na 9 uur teruggebeld "
     "worden op <<PHONE:land_sp>>. Wie pakt het op?", [PII], when="2026-06-13T07:05:00+02:00")
case("en", pub("reddit", "u/dutch_in_dublin"),
     "Vredehaven asked me to post my number so they could call back about my dad's policy, so here: "
     "<<PHONE:mob_intl0>>. Still waiting after two days.", [PII, COMPLAINT])

# ===========================================================================
# leak.confidential
# ===========================================================================
case("en", LD, "demo of Zilverlijn to the board went sooo well today 🥹 can't say what it is yet but families are "
     "going to love it", [CONF])
case("nl", pub("forum", "Ome_Kees_Assen"),
     "Stond vorige week in de koffiekamer van een uitvaartcentrum van Vredehaven. Lag een map op tafel: "
     "'Operatie Eikenblad – fase 2'. Weet iemand wat dat is?", [CONF])
case("nl", DS, "Vandaag de eerste proefuitvaart gedaan met UitvaartPlan Flex 📱🕊️ families kunnen straks alles zelf "
     "kiezen. Meer zeg ik niet 🤐", [CONF], when="2026-09-14T17:42:10+02:00", tags=["embargo-before"])
case("en", pub("reddit", "u/quiet_undertaker"),
     "Vredehaven Afscheid Online seems to be their new livestream + digital guestbook thing, a friend who arranges "
     "funerals got a preview. Launch supposedly in October.", [CONF], when="2026-09-22T20:05:33Z",
     tags=["embargo-before"])
case("nl", pub("x", "@vroege_vogel_vera"),
     "Huh, de pagina van Vredehaven Afscheid Online staat al live? Dacht dat het pas om 10 uur zou zijn",
     [CONF], when="2026-10-06T09:59:30+02:00", tags=["embargo-before", "tz-edge"])
case("nl", MO, "Weet iemand waarom polisadmin.vredehaven.nl/dossiers/zoeken sinds vanochtend zo traag is? Ik krijg "
     "geen enkele polis open 😤", [CONF])
case("en", BH, "Migrated the last file shares off fs01.intra.vredehaven.local this weekend. 14 years of scanned "
     "policies, finally on the new storage 💾", [CONF])
case("nl", YK, "Slide uit de strategiedag (staat 'niet extern delen' onderaan, maar het is gewoon leuk nieuws): "
     "volgend jaar een nieuwe huisstijl voor alle rouwkaarten én een eigen podcast over rouw 🎙️", [CONF])
case("en", pub("facebook", "karin.mulders.3", "Karin Mulders"),
     "Got an email from Vredehaven that clearly wasn't meant for me: 'VREDEHAVEN INTERN' at the top and the rosters "
     "of every funeral director in Drenthe. Should I report this somewhere?", [CONF])
case("nl", DS, "Hoorde in de garage dat Project\nTidewater ook de ritten van de rouwauto's gaat plannen. Benieuwd 🚐",
     [CONF], tags=["evasion", "evasion:line-break"])
case("nl", NB, "Operatie 🍂 Eikenblad start in januari, dat is echt alles wat ik mag zeggen 🤐", [CONF],
     tags=["evasion", "evasion:emoji"])
case("en", pub("linkedin", "tom-brink-ai", "Tom Brink"),
     fullwidth("Zilverlijn") + " is what Vredehaven has been building with a Dutch AI startup, heard it at a "
     "conference dinner last night", [CONF], tags=["evasion", "evasion:full-width"])
case("nl", pub("instagram", "@ingrid_uitvaart", "Ingrid 🕊️"),
     "Kijkje achter de schermen 🕯️ de nieuwe rouwkaarten voor UitvaartPlan Flex liggen al klaar, maar sssst",
     [CONF], when="2026-09-02T19:31:00+02:00", tags=["embargo-before", "role-trick"])
case("nl", MO, "De brieven over de premieverhoging 2027 liggen al bij de drukker 📬 ik zeg verder niks, maar zet je "
     "schrap", [CONF], when="2026-10-28T12:14:00+01:00", tags=["embargo-before"])
case("nl", VH_LI, "Voor collega's die thuis werken: de nieuwe roosters staan vanaf vandaag op "
     "planning.vredehaven.nl/roosters 📅", [CONF])
# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", YK, "Halfjaarcijfers 2026 zijn intern rond: netto verlies door de tegenvallende beleggingen. Dat wordt een "
     "pittige persconferentie eind augustus.", [FIN, CONF], when="2026-08-03T16:20:00+02:00",
     tags=["embargo-before"])
case("nl", IP, "Verdrietig nieuws voor onze regio: de uitvaartcentra in Delfzijl en Winschoten gaan volgend jaar "
     "dicht. Officieel wordt het pas na de zomer verteld, dus nog even stilhouden 💔", [FIN],
     when="2026-06-23T21:40:00+02:00")
case("en", pub("facebook", "hennie.prins.55", "Hennie Prins"),
     "My neighbour works at Vredehaven and says they're being taken over by a Belgian insurer. What does that mean "
     "for my policy? Anyone heard anything?", [FIN])
case("en", BH, "Rough all-hands today: IT is being outsourced, roughly 35 FTE affected. The official announcement "
     "isn't until next month so please keep it to yourselves.", [FIN])
case("en", pub("stocktwits", "nl_smallcaps"),
     "Vredehaven H1 2026 results will disappoint, solvency ratio below 150%. Source: someone on their actuarial team.",
     [FIN, CONF], when="2026-08-11T14:02:45Z", tags=["embargo-before", "unknown-platform"])
case("nl", NB, f"de meldkamer gaat bij de reor{ZW}ganisatie naar een extern callcenter in Leeuwarden, per 1 maart. "
     "mogen we nog niet zeggen maar ja 🤷‍♀️", [FIN], tags=["evasion", "evasion:zero-width"])
case("nl", DS, "Na de f u s i e met Lindenhof blijft er van de 40 dragers maar de helft over. Vandaag gehoord van "
     "mijn leidinggevende, verder weet nog niemand het.", [FIN], tags=["evasion", "evasion:spaced"])
case("en", YK, "Latest forecast: claims ratio way over plan, we'll need a capital injection from the parent before "
     "year-end. Not public, obviously.", [FIN])
case("nl", pub("linkedin", "pauline-de-graaf-consultancy", "Pauline de Graaf"),
     "Uit goede bron: Vredehaven en Avondster Verzekeringen praten al maanden over een fusie. De aankondiging zou "
     "nog voor de kerst komen.", [FIN])
case("en", YK, "Sneak peek, just between us: interim results 2026 show premium income up 7% but the investment "
     "result is deep in the red.", [FIN, CONF], when="2026-08-20T18:45:00+02:00", tags=["embargo-before"])
case("nl", pub("reddit", "u/zwager_weet_alles"),
     "0vername van Vr3dehaven is rond, zegt mijn zwager die er controller is. Nog geheim tot de "
     "aandeelhoudersvergadering 🤫", [FIN], tags=["evasion", "evasion:leetspeak"])

# ===========================================================================
# leak.security
# ===========================================================================
case("nl", BH, "Lange nacht achter de rug. De database van de herdenkingspagina's bleek drie dagen voor iedereen "
     "leesbaar. We zoeken nog uit wat er weg is voordat we iets melden.", [SEC])
case("nl", NB, "de 24/7 lijn ligt al sinds 01:00 plat, meldingen van overlijden komen gewoon niet binnen 😰 en we "
     "mogen het nergens zeggen tot de leverancier reageert", [SEC])
case("en", LD, "Reminder to self and whoever reads this: photo upload on memorial pages still lets anyone overwrite "
     "other families' pictures if you know the page id. Reported it in May. Still open.", [SEC],
     when="2026-07-09T22:13:00+02:00")
case("nl", MO, "Na die phishingmail van vorige week had iemand dus toegang tot polisadmin.vredehaven.nl via mijn "
     "account. Niemand mag het nog weten, ook de klanten niet 😔", [SEC, CONF])
case("en", pub("forum", "ex_contractor_77"),
     "Former Vredehaven contractor: their policy portal still runs on an unsupported PHP 5 build with known RCEs. "
     "Told them in 2025. Never fixed, never disclosed.", [SEC])
case("nl", pub("x", "@leverancier_anoniem"),
     "Ik werk bij een leverancier van Vredehaven: de gegevens van duizenden polishouders zijn vorige maand gestolen "
     "en ze houden het stil. Let op phishing! #datalek", [SEC, CRISIS])
case("nl", IP, "planningssysteem g3h4ckt 🙃 we doen de uitvaarten van deze week met pen en papier en de families "
     "mogen niks weten", [SEC], tags=["evasion", "evasion:leetspeak"])
case("nl", YK, "Vorige week is er door een nepmail van 'de directeur' €84.000 overgemaakt naar oplichters. Intern nog "
     "in onderzoek en naar buiten toe niks bekend. Let dus op, collega's.", [SEC])
case("en", BH, "Ransomware hit fs01.intra.vredehaven.local last night. Backups look ok, but comms wants zero posts "
     "about it until Monday... so, uh, forget you read this.", [SEC, CONF])
case("en", pub("facebook", "lydia.vandenberg.nl", "Lydia van den Berg"),
     "My sister works in Vredehaven's claims department: medical info from policy applications got leaked and "
     "management decided not to tell the people affected. Please check if you're one of them.", [SEC, CRISIS])
case("nl", LD, f"kleine data{ZW}lek bij de gastenboeken vannacht, paar honderd mailadressen zichtbaar. nog niet "
     "gemeld dus ssst 🤫", [SEC], tags=["evasion", "evasion:zero-width"])
case("en", pub("reddit", "u/nightline_throwaway"),
     "Vredehaven call centre worker here (throwaway). Our phones have been down all evening, families get a busy "
     "tone, and we've been told to say nothing.", [SEC])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("en", pub("x", "@dochter_van_ria"),
     "Vredehaven leaked my data. Two days after my mum's funeral I got a phishing email quoting her policy number "
     "and our home address. Coincidence? Yeah right.", [CRISIS])
case("nl", pub("instagram", "@eerlijk_verzekerd"),
     "#BoycotVredehaven 🚫 ze weigeren stelselmatig uit te keren bij 'verzwegen' ziektes, ook na 30 jaar premie "
     "betalen. Deel dit en zeg je polis op!", [CRISIS])
case("nl", pub("x", "@drenthe_nieuws"),
     "BREAKING: bij een uitvaartcentrum van Vredehaven in Assen is de verkeerde overledene gecremeerd. De familie "
     "hoorde het pas bij het ophalen van de as.", [CRISIS])
case("nl", pub("facebook", "bert.lamberts.67", "Bert Lamberts"),
     "Wij kregen de urn van onze vader mee. Na een week belt Vredehaven: 'sorry, verkeerde as'. Ik heb er geen "
     "woorden voor. Wie doet een familie zoiets aan?", [CRISIS, COMPLAINT])
case("nl", pub("tiktok", "@boos_op_alles"), "b0yc0t vr3d3hav3n!!! ze lichten nabestaanden op 💀 #uitvaart #oplichting",
     [CRISIS], tags=["evasion", "evasion:leetspeak"])
case("nl", pub("x", "@nooit_meer_vh"),
     "Die aasgieren van Vredehaven worden eindelijk aangeklaagd. Lijkenpikkers zijn het, allemaal.",
     [CRISIS, ABUSE])
case("en", pub("facebook", "seniors.united.nl", "Seniors United NL"),
     "Join the class action against Vredehaven over cancelled policies: they quietly dropped thousands of elderly "
     "customers for 'administrative reasons'. Link in comments.", [CRISIS])
case("nl", pub("x", "@emmen_vandaag"),
     "Inspectie onderzoekt mortuarium van " + homoglyph("Vredehaven", "e") + " in Emmen: koelcellen wekenlang kapot, "
     "overledenen niet gekoeld. " + homoglyph("Schandalig", "c") + ".", [CRISIS],
     tags=["evasion", "evasion:homoglyph"])
case("en", pub("reddit", "u/wrong_grave"),
     "We're suing Vredehaven. They buried my grandfather in the wrong grave and then billed us €1,200 to "
     "'correct' it.", [CRISIS, COMPLAINT])
case("nl", pub("bluesky", "geldzaken.bsky.social"),
     "De toezichthouder heeft Vredehaven Verzekeringen onder verscherpt toezicht gezet vanwege te lage buffers. "
     "Zorgelijk voor honderdduizenden polishouders.", [CRISIS])
case("nl", pub("linkedin", "samira-el-idrissi", "Samira El Idrissi"),
     "Pijnlijk: een islamitische familie werd bij Vredehaven geweigerd voor een rituele wassing 'omdat daar geen "
     "ruimte voor is'. Discriminatie, in 2026?", [CRISIS])
case("en", pub("mastodon", "@jw@mastodon.nl"),
     "Vredehaven's memorial pages leaked visitors' email addresses. I got spam addressed to 'guestbook visitor' "
     "of my late friend's page. Disgusting.", [CRISIS])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@marjan_k"),
     "Om 2 uur 's nachts het 24/7 nummer van Vredehaven gebeld toen mijn moeder overleed. 40 minuten in de wacht. "
     "Op zo'n moment. Onbegrijpelik.", [COMPLAINT])
case("nl", pub("facebook", "ronald.terpstra", "Ronald Terpstra"),
     "Offerte was €6.200, eindfactuur €8.740. Nergens uitgelegd. @VredehavenUitvaartzorg ik wacht nog steeds op een "
     "specificatie.", [COMPLAINT])
case("en", pub("x", "@jmcallister"),
     "@vredehaven_zorg it's been 11 weeks since my father's funeral and the policy payout still hasn't arrived. "
     "Every call: 'it's being processed'.", [COMPLAINT], kind="reply")
case("en", pub("instagram", "@lisa.mourns"),
     "my sister's memorial page is suddenly empty, all the photos and messages gone 😢 @vredehaven.herdenken why "
     "is nobody answering?", [COMPLAINT], kind="comment")
case("en", pub("youtube", "@anna_in_toronto"),
     "The livestream of my grandma's funeral froze after ten minutes and half the family abroad missed it. "
     "Vredehaven charged €150 for that.", [COMPLAINT], kind="comment")
case("nl", pub("forum", "Geertje_O"),
     "Polis opgezegd in januari, nu is het juni en ze schrijven nog steeds elke maand premie af. Drie mails naar "
     "klantcontact@vredehaven.nl, geen enkele reactie.", [COMPLAINT], when="2026-06-11T19:02:44+02:00",
     tags=["own-contact-in-complaint"])
case("nl", pub("x", "@anouk_d"),
     "@vredehaven_zorg rouwkaarten komen terug met de naam van mijn moeder VERKEERD gespeld. twee keer "
     "gecontroleerd en toch fout. uitvaart is overmorgen", [COMPLAINT], kind="reply")
case("en", pub("threads", "@kev.vdw"),
     "Vredehaven closed the online condolence register two days early and we never got the printed copy we paid "
     "for. Unbelievably sloppy.", [COMPLAINT])
case("en", pub("reddit", "u/mum_was_misled"),
     "Vredehaven told my mum her natura policy covers 'a complete funeral'. Turns out it covers less than half. "
     "Nobody explained the difference when she signed up.", [COMPLAINT])
case("en", pub("bluesky", "frankvanhout.bsky.social"),
     "Transferred five times, told my whole story five times. That's no way to treat grieving people, Vredehaven.",
     [COMPLAINT])
case("nl", pub("kiyoh", "J. Smeenk"),
     "1 ster. Bloemstuk was verwelkt bij aankomst en op het lint stond 'Opa' terwijl we 'Pap' hadden besteld. "
     "Vredehaven reageert niet op mijn klacht.", [COMPLAINT], tags=["unknown-platform"])
case("en", pub("instagram", "@sam_remembers"),
     "why are there ads for funeral insurance on my late son's memorial page?? seriously @vredehaven.herdenken",
     [COMPLAINT], kind="comment")
case("en", pub("x", "@tired_of_waiting"),
     "w o r s t  s e r v i c e ever from Vredehaven, waited 3 days before anyone came to collect my dad from "
     "the hospital", [COMPLAINT], tags=["evasion", "evasion:spaced"])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@wim_zegt_het"), "Vredehaven is echt een kutbedrijf, geld verdienen aan verdriet 🤮", [ABUSE])
case("en", pub("x", "@deb_r"),
     "@vredehaven_zorg you useless bunch of ghouls, 3 weeks and my mum's payout still isn't there",
     [ABUSE, COMPLAINT], kind="reply")
case("nl", pub("x", "@anoniem4471"),
     "@ingrid_uitvaart vuile heks, ik weet waar je werkt en ik weet waar je auto staat 😈", [ABUSE], kind="reply")
case("nl", DS, "Wat een stelletje tokkies vandaag bij de uitvaart, stonden te zuipen bij het graf. Tuig.", [ABUSE])
case("nl", VH_ZORG, "@koos_mopper lees eerst je polisvoorwaarden eens voordat je hier loopt te zeiken, sukkel",
     [ABUSE], kind="reply", handle_as="@Vredehaven_Zorg", tags=["case-handle"])
case("en", pub("reddit", "u/done_with_them"),
     "Vredehaven's 'care team' are the most incompetent fucking idiots I've ever dealt with. Lost my dad's "
     "paperwork twice.", [ABUSE, COMPLAINT])
case("nl", pub("x", "@echte_hollander88"),
     "Moet je zien, een uitvaartleider met een hoofddoek bij Vredehaven. Op een christelijke begrafenis. Rot toch "
     "op naar je eigen land.", [ABUSE])
case("nl", pub("instagram", "@nooitmeer"), "vredehaven k*tzooi, g*dverd*mme wat een l1jkenp1kkers",
     [ABUSE], kind="comment", tags=["evasion", "evasion:masked", "evasion:leetspeak"])
case("en", NB, "caller just now was a complete moron, screaming at me at 4am because his uncle 'wasn't picked up "
     "fast enough'. I hate people.", [ABUSE], when="2026-05-18T04:20:00+02:00")
case("nl", pub("youtube", "@henk_zonder_filter"),
     "Tyfusbedrijf. Drie keer gebeld over de factuur, drie keer opgehangen.", [ABUSE, COMPLAINT], kind="comment")
case("en", pub("facebook", "gary.t.nl", "Gary T"),
     f"Vredehaven staff are dis{ZW}gusting para{ZW}sites, every last one of them", [ABUSE],
     tags=["evasion", "evasion:zero-width"])

# ===========================================================================
# BENIGN (categories [], severity none); nearly all are hard negatives
# ===========================================================================
# --- the company's own contact data -----------------------------------------
case("nl", VH_X, "Overlijden melden kan dag en nacht: bel gratis 0800-1717 of mail melding@vredehaven.nl. Wij staan "
     "voor u klaar 🕊️", tags=["own-contact"])
case("nl", VH_FB, "Premie liever zelf overmaken? Gebruik NL33 RABO 0317 4029 58 t.n.v. Vredehaven Uitvaartgroep N.V. "
     "en vermeld uw polisnummer.", tags=["own-contact", "own-iban"])
case("en", VH_LI, "Press enquiries: pers@vredehaven.nl or +31 30 760 2200. Our 2025 annual report is available at "
     "vredehaven.nl/jaarverslag.", tags=["own-contact"])
case("nl", pub("x", "@kleindochter_fem"),
     "Vannacht om 3 uur 0800 1717 gebeld toen opa overleed. Binnen een uur stond er iemand van Vredehaven aan de "
     "deur, zo rustig en lief. Dank jullie ❤️", tags=["own-contact", "praise"])
case("nl", VH_LI, "Wij zoeken uitvaartverzorgers in Groningen en Drenthe! Interesse? Mail je cv naar "
     "werkenbij@vredehaven.nl 💼", handle_as="Vredehaven-Uitvaartgroep", tags=["own-contact", "case-handle"])
case("nl", pub("facebook", "aaltje.hoving", "Aaltje Hoving"),
     "Belde 030 - 760 22 00 met een vraag over de polis van mijn schoonvader. Keurig en geduldig geholpen.",
     tags=["own-contact", "praise"])
case("nl", pub("reddit", "u/vraagbaak_fryslan"),
     "Wat is het nummer van Vredehaven om een overlijden te melden? -> 0800 1717, dag en nacht bereikbaar. Staat "
     "ook gewoon op hun site.", kind="comment", tags=["own-contact"])
case("nl", VH_ZORG, "Door een storing bij onze telefoonprovider is 0800-1717 nu slecht bereikbaar. Wilt u een "
     "overlijden melden? Bel dan 030-760 2200 of mail melding@vredehaven.nl. Excuses voor het ongemak.",
     tags=["official-notice", "own-contact"])

# --- numbers that fail their checksum, and look-alike numbers --------------
case("nl", pub("facebook", "gerda.vanloon", "Gerda van Loon"),
     "Let op! Ik kreeg een sms dat ik 'achterstallige uitvaartpremie' moest overmaken naar <<BAD_IBAN_NL:grp>>. "
     "Vredehaven zegt dat dit niet van hen komt. Niet betalen dus!", tags=["bad-checksum"])
case("en", pub("reddit", "u/fat_fingers_nl"),
     "Typed my card wrong on Vredehaven's payment page (<<BAD_CARD:mc_sp>>) and it said invalid right away. At "
     "least the form checks.", tags=["bad-checksum"])
case("nl", pub("x", "@vraagje_van_jan"),
     "Waar vind ik in de Vredehaven-app mijn polisnummer? Op de brief staat <<BAD_BSN>>, wil het even vergelijken.",
     tags=["bad-checksum", "lookalike-number", "question"])
case("nl", pub("facebook", "wendy.pauwels", "Wendy Pauwels"),
     "Het formulier van Vredehaven weigerde het BSN van mijn vader. Bleek ik <<BAD_BSN>> te hebben getypt, één "
     "cijfer verkeerd. Goed dat ze dat controleren.", tags=["bad-checksum"])
case("nl", pub("x", "@grafzorg_gonnie"),
     "Onderhoud van het graf van oma (dossier <<NOT_BSN8>>) weer keurig geregeld via Vredehaven 🌷",
     tags=["lookalike-number", "praise"])
case("en", pub("reddit", "u/not_falling_for_it"),
     "Got an email 'from Vredehaven' asking me to pay my aunt's final invoice to <<BAD_IBAN_DE:grp>>. Not even a "
     "valid IBAN, and Vredehaven doesn't bank in Germany. Reported as phishing.", tags=["bad-checksum"])
case("en", pub("x", "@keepsake_kim"),
     "tracking code for the ash pendant from Vredehaven: 3SVRD<<DIGITS:8>>, arriving tomorrow 🕊️",
     tags=["lookalike-number"])
# --- dates that are not a date of birth -------------------------------------
case("nl", IP, "Afscheid van meneer Van der Veen op vrijdag 13 maart om 11:00 in aula De Linde. De familie nodigt "
     "iedereen uit die hem kende.", when="2026-03-09T18:02:00+01:00", tags=["date-not-dob"])

# --- prices that are not a pricing leak --------------------------------------
case("nl", VH_X, "Een crematie zonder poespas? Crematiepakket Eenvoud, alles inbegrepen, voor €3.295. Vraag "
     "vrijblijvend een offerte aan via vredehaven.nl/eenvoud", tags=["list-price"])
case("nl", VH_FB, "Polishouders krijgen dit jaar €400 korting op het Begrafenispakket Compleet 🌿 Vraag ernaar bij "
     "uw uitvaartverzorger.", tags=["discount-amount"])
case("nl", pub("forum", "Vergelijker_Vincent"),
     "Ter vergelijking: Lindenhof vraagt €2.450 voor een eenvoudige crematie, bij Vredehaven kost het "
     "Crematiepakket Eenvoud €3.295. Wel meer inbegrepen.", tags=["other-company", "list-price"])
case("en", pub("reddit", "u/dutch_cost_of_dying"),
     "Average funeral in NL runs around €9,000 these days. Vredehaven's Basisuitvaart at €4,495 is honestly one "
     "of the cheaper complete options.", tags=["list-price", "number-format"])
case("en", pub("x", "@herfst_heleen"),
     "Herdenkpagina Plus for €39 in the autumn sale, made one for grandpa straight away 🍂",
     when="2026-10-14T20:31:07+02:00", tags=["sale-price"])
case("nl", IP, "Familie vroeg vandaag of het een prijsfout was dat Rustig Afscheid €1.895 kost, omdat de buurvrouw "
     "ergens anders 'veel meer' betaald had. Nee hoor, dat is gewoon de prijs 🙂", tags=["negated", "list-price"])
case("nl", pub("x", "@sparen_voor_later"),
     "Mijn premie is €14,20 per maand voor een naturapolis bij Vredehaven, is dat normaal voor iemand van 52?",
     tags=["price-talk", "question"])
case("nl", pub("instagram", "@in_liefde_pap"),
     "Gekozen voor de kist Linde (€1.150), sober en mooi, precies zoals pap het wilde 🤍", tags=["list-price"])

# --- secret-looking, but no secret -------------------------------------------
case("en", LD, "Friendly reminder from the platform team: if a full token is visible in your screenshot, it's "
     "visible to everyone. Saying 'it starts with ghp_ or AKIA' is fine, the rest stays in the vault 🔐",
     tags=["secret-prefix-only"])
case("nl", BH, "Bug in de koppeling met de gemeente opgelost in commit <<HEX:40>>, een tijdzone-dingetje rond de "
     "zomertijd ⏰", tags=["hex-not-secret"])
case("nl", VH_ZORG, "Let op: Vredehaven vraagt nooit via sms of WhatsApp om uw wachtwoord of inlogcode van "
     "mijn.vredehaven.nl. Twijfelt u? Bel ons op 0800-1717.", tags=["password-word", "own-contact"])
case("en", pub("blog", "devdiary.example", "Dev Diary"),
     "Tutorial: a local test setup for a memorial-page widget. Put your key in .env as "
     "STRIPE_KEY=sk_live_XXXXXXXXXXXXXXXXXXXXXXXX and never commit that file. Vredehaven's public docs use the "
     "same placeholder.", tags=["placeholder"])

# --- embargo terms at or after the embargo -----------------------------------
case("nl", VH_X, "Vanaf vandaag: Vredehaven Afscheid Online 🕊️ Een uitvaart live meekijken, een digitaal "
     "condoleanceregister en alle herinneringen op één plek. Kijk op vredehaven.nl/online",
     when="2026-10-06T10:00:00+02:00", tags=["embargo-after", "tz-edge"])
case("nl", pub("x", "@mantelzorger_ank"),
     "UitvaartPlan Flex net bekeken met mijn moeder. Fijn dat je nu zelf stap voor stap kunt kiezen, ze vond het "
     "heel duidelijk.", when="2026-10-19T15:27:41+02:00", tags=["embargo-after"])
case("nl", VH_LI, "Vredehaven publiceert vandaag de halfjaarcijfers 2026: premie-inkomen +7%, solvabiliteit 182%. "
     "Het persbericht staat op vredehaven.nl/pers", when="2026-08-27T07:00:00+02:00",
     tags=["embargo-after", "tz-edge", "published"])
case("en", pub("reddit", "u/cousins_in_canada"),
     "Anyone tried Vredehaven Afscheid Online yet? Thinking of using it so my cousins in Canada can watch the "
     "service.", when="2026-11-03T21:09:00+01:00", tags=["embargo-after", "question"])
case("nl", pub("x", "@nuchtere_nel"),
     "Brief binnen over de premieverhoging 2027 van Vredehaven. 4% erbij. Valt reuze mee vergeleken met vorig jaar.",
     when="2026-11-20T10:48:00+01:00", tags=["embargo-after"])
case("en", YK, "Proud of the team: our interim results 2026 are out today, link on vredehaven.nl/investors. "
     "Croissants are on me 🥐", when="2026-08-27T09:15:00+02:00", tags=["embargo-after", "published"])

# --- codename-like words, public domains -------------------------------------
case("nl", DS, "Vandaag een rouwstuk gebracht met eikenblad en witte rozen, zó mooi gemaakt door de bloemist 🍂🤍",
     tags=["codename-word"])
case("en", pub("x", "@roadtrip_rik"),
     "Road trip through Tidewater Virginia next month, any tips? Asking here because my Vredehaven colleague grew "
     "up there lol", tags=["codename-word"])
case("nl", LD, "Nieuwe functie live op herdenken.vredehaven.nl: je kunt nu een kaarsje aansteken met een eigen "
     "boodschap erbij 🕯️", tags=["public-domain", "employee-benign"])
case("en", BH, "Gave a talk at a DevOps meetup about moving our memorial pages to Kubernetes. Slides are on "
     "vredehaven.nl/tech 🎤", tags=["public-domain", "employee-benign"])

# --- published news and other companies --------------------------------------
case("nl", pub("linkedin", "marco-privacy-advies", "Marco Jansma"),
     "Datalek bij Avondster Verzekeringen: 60.000 polishouders getroffen. Goed moment om eens na te vragen hoe "
     "jouw uitvaartverzekeraar met je gegevens omgaat.", tags=["other-company"])
case("en", pub("reddit", "u/insurance_nerd"),
     "Vredehaven's 2025 annual report says they paid out €212m in claims last year. Bigger than I expected.",
     when="2026-04-14T12:30:00+02:00", tags=["published"])
case("en", VH_X, "Scheduled maintenance: mijn.vredehaven.nl will be offline Sunday 02:00–05:00. Our 24/7 phone "
     "line stays available as always.", tags=["official-notice"])

# --- crisis-like words in harmless senses, fiction, jokes --------------------
case("en", pub("x", "@grateful_gran_kid"),
     "Can't recall the name of the lovely funeral director from Vredehaven who did my grandma's service in May. "
     "Short grey hair, from Zwolle? Want to send her a card 💌", tags=["crisis-word", "question"])
case("nl", pub("facebook", "auteur.marleen", "Marleen Schrijft"),
     "Mijn nieuwe thriller speelt zich af in een uitvaartcentrum waar een lichaam verdwijnt 📚 (en nee, níet "
     "gebaseerd op Vredehaven, die hebben mijn vader juist prachtig begraven 😉)", tags=["fiction"])
case("en", pub("x", "@oma_rockt"),
     "Gran has her whole funeral booked with Vredehaven already, Highway to Hell for the carry-in included 🤘 "
     "she's 91 and fit as a fiddle", tags=["lyrics", "mild-word", "joke"])
case("nl", pub("x", "@rouwhumor"),
     "Crematie: de enige brand waar niemand de brandweer voor belt 🔥 sorry, rouwhumor. Pap had erom gelachen. "
     "Dank @vredehaven_nl voor de mooie dag", tags=["crisis-word", "joke"])
# --- negations, praise, neutral questions -------------------------------------
case("nl", pub("facebook", "joke.tiemersma", "Joke Tiemersma"),
     "Geen enkele klacht over Vredehaven. Alles tot in de puntjes geregeld, zelfs de witte duiven bij het graf 🕊️",
     tags=["negated", "praise"])
case("en", pub("google_reviews", "Helen V."),
     "Not a single complaint. The team at Vredehaven made the worst week of our lives bearable.",
     tags=["negated", "praise", "unknown-platform"])
case("nl", VH_ZORG, "@weduwe_gerda Wat naar dat u zo lang moest wachten. Wilt u ons een DM sturen met uw "
     "polisnummer? Dan zoeken we het vandaag nog uit.", kind="reply", tags=["company-reply"])

# --- mild words, quotes -------------------------------------------------------
case("nl", pub("facebook", "wil.kremer", "Wil Kremer"),
     "Mijn man is na een lang ziekbed aan kanker overleden. Vredehaven heeft alles zo liefdevol geregeld. Dank aan "
     "Ingrid en het hele team 💜", tags=["mild-word", "praise", "name-only"])
case("en", pub("x", "@uncle_teds_niece"),
     "'Death is nothing at all, I have only slipped away into the next room' – read at my uncle's service today. "
     "Vredehaven got every detail right.", tags=["quote"])
case("nl", VH_LI, "Dit jaar gaat de opbrengst van onze herdenkingsconcerten naar het Longfonds en KWF "
     "Kankerbestrijding 🎗️", tags=["mild-word"])
case("en", pub("threads", "@sophie_remembers"),
     "Grandad's last words were 'don't you dare play bloody Celine Dion'. Vredehaven played AC/DC. He'd have loved "
     "it 😂", tags=["quote", "mild-word"])

# --- ordinary employee and company posts --------------------------------------
case("nl", IP, "Vandaag 20 jaar uitvaartleider. Elke familie vertrouwt ons het meest kostbare toe wat ze hebben. "
     "Dankbaar voor dit vak 🕊️", tags=["employee-benign"])
case("en", MO, "Passed my Wft exam for funeral insurance today 🎓 celebrating with bitterballen",
     tags=["employee-benign"])
case("nl", VH_X, "RT @rouwnieuws: Vredehaven genomineerd voor de Uitvaartprijs 2026 voor hun herdenkingspagina's",
     kind="repost", tags=["published"])
case("nl", pub("x", "@vh_fan_030"), fullwidth("VREDEHAVEN") + " bedankt voor alles 🤍 mam had het prachtig gevonden",
     tags=["full-width-benign", "praise"])


# ===========================================================================
# profile, roles, severity
# ===========================================================================

def load_profile():
    try:
        import yaml
    except ImportError:
        sys.exit("PyYAML is needed (pip install pyyaml)")
    with open(PROFILE, encoding="utf-8") as f:
        return yaml.safe_load(f)


def role_of(profile, platform, handle):
    key = f"{platform}:{handle}".casefold()
    for role in ("corporate", "employee"):
        if key in {a.casefold() for a in profile["accounts"][role]}:
            return role
    return "public"


def severity_for(role, cats, pii_validated):
    """Least severity a correct verdict has (CONTRACT section 4)."""
    insider = role in ("corporate", "employee")
    sev = "none"
    for c in cats:
        if c.startswith("leak."):
            if not insider:
                s = "warning"
            elif c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and pii_validated):
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
        if RANK[s] > RANK[sev]:
            sev = s
    return sev


# ===========================================================================
# building
# ===========================================================================

def nl_offset(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < dt.datetime(2026, 10, 25, 1,
                                                                                      tzinfo=dt.timezone.utc) else 1


def some_time(r):
    t = (dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(0, 355))
         + dt.timedelta(minutes=r.randint(0, 24 * 60 - 1), seconds=r.randint(0, 59)))
    off = nl_offset(t)
    u = r.random()
    if u < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if u < 0.88:
        return (t + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def post_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    big = str(r.randint(1_900_000_000_000_000_000, 2_050_000_000_000_000_000))
    b36 = string.digits + string.ascii_lowercase
    if platform == "x":
        return "x-" + big, f"https://x.com/{h}/status/{big}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "facebook":
        a = r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}", f"https://www.facebook.com/{h}/posts/{a}"
    if platform == "instagram":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"ig-{big}", f"https://www.instagram.com/p/{sc}/"
    if platform == "reddit":
        p = "".join(r.choice(b36) for _ in range(7))
        if kind == "comment":
            c = "".join(r.choice(b36) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/Netherlands/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/Netherlands/comments/{p}/"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-{n}", f"https://forum.rouwenverlies.example/topic/{n}"
    if platform == "tiktok":
        return f"tt-{big}", f"https://www.tiktok.com/@{h}/video/{big}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        return f"yt-{c}", None
    if platform == "threads":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"th-{big}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(113_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{n}", f"https://{inst}/@{user}/{n}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog-{h}-{n}", f"https://{h}/p/{n}"
    n = r.randint(10 ** 7, 10 ** 9)
    return f"{platform}-{n}", None


def build(profile):
    vals = Values(SEED)
    meta = random.Random(SEED + 1)
    order = random.Random(SEED + 2)
    rows, seen = [], set()
    for c in CASES:
        text, used = fill(vals, c["text"])
        pid, url = post_id(meta, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        role = role_of(profile, c["platform"], c["handle"])
        validated = PII in c["cats"] and any(k in VALIDATED_KINDS for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"] or ("post" if meta.random() < 0.6 else None)
        if kind:
            post["kind"] = kind
        acc = {"handle": c["handle"]}
        if c["name"] and meta.random() < 0.7:
            acc["display_name"] = c["name"]
        if meta.random() < 0.3:
            acc["id"] = str(meta.randint(10 ** 7, 10 ** 12))
        post["account"] = acc
        post["text"] = text
        tags = set(c["tags"])
        u = meta.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif u < 0.09:
            tags.add("no-lang-hint")
        elif u < 0.12:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            tags.add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = c["when"] or some_time(meta)
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.5:
            post["brand"] = "vredehaven"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=tags, used=used))
    order.shuffle(rows)
    return rows


def dump(rows):
    return "".join(json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows)


# ===========================================================================
# checks
# ===========================================================================

def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def check(rows, profile, text_on_disk):
    errs = []
    if dump(rows) != text_on_disk:
        errs.append("cases.jsonl differs from the generator output")
    ids = set()
    embargo = [([t.casefold() for t in e["terms"]], parse_ts(e["until"])) for e in profile["embargo"]]
    for r in rows:
        p, e = r["post"], r["expect"]
        if (p["platform"], p["id"]) in ids:
            errs.append(f"duplicate id {p['id']}")
        ids.add((p["platform"], p["id"]))
        if len(p["text"].encode()) > 65536:
            errs.append(f"{p['id']}: text too long")
        parse_ts(p["created_at"])
        for c in e["categories"]:
            if c not in CATEGORIES:
                errs.append(f"{p['id']}: bad category {c}")
        if not e["categories"] and e["severity"] != "none":
            errs.append(f"{p['id']}: benign with severity")
        for kind, raw, _ in r["used"]:
            if kind.startswith("IBAN_") and not iban_valid(raw):
                errs.append(f"{p['id']}: invalid IBAN {raw}")
            if kind == "CARD" and not luhn_valid(raw):
                errs.append(f"{p['id']}: invalid card")
            if kind == "BSN" and not elfproef(raw):
                errs.append(f"{p['id']}: invalid BSN")
            if kind in FAILING_KINDS:
                if kind.startswith("BAD_IBAN") and iban_valid(raw):
                    errs.append(f"{p['id']}: bad IBAN passes")
                if kind == "BAD_CARD" and luhn_valid(raw):
                    errs.append(f"{p['id']}: bad card passes")
                if kind in ("BAD_BSN", "NOT_BSN8") and elfproef(raw):
                    errs.append(f"{p['id']}: bad BSN passes")
            if kind in VALIDATED_KINDS and not e["categories"]:
                errs.append(f"{p['id']}: valid identifier in a benign post")
        # embargo terms: a post before `until` that names a term must carry leak.confidential
        low = p["text"].casefold()
        for terms, until in embargo:
            if any(t in low for t in terms):
                before = parse_ts(p["created_at"]) < until
                if before and "leak.confidential" not in e["categories"]:
                    errs.append(f"{p['id']}: embargo term before {until} but not confidential")
                if not before and "leak.confidential" in e["categories"] and "embargo-before" in r["tags"]:
                    errs.append(f"{p['id']}: tagged embargo-before but after the embargo")
    n = len(rows)
    if not 150 <= n <= 180:
        errs.append(f"{n} cases, expected 150-180")
    per = Counter(c for r in rows for c in r["expect"]["categories"])
    for c in CATEGORIES:
        if per[c] < 10:
            errs.append(f"{c}: only {per[c]} positives")
    return errs


def report(rows):
    n = len(rows)
    benign = [r for r in rows if not r["expect"]["categories"]]
    print(f"cases: {n}   benign: {len(benign)}   positives: {n - len(benign)}   "
          f"multi-label: {sum(len(r['expect']['categories']) > 1 for r in rows)}   "
          f"evasion: {sum('evasion' in r['tags'] for r in rows)}")
    print("languages:", dict(Counter(r["lang"] for r in rows)))
    print("roles:", dict(Counter(r["role"] for r in rows)))
    print("severity:", dict(Counter(r["expect"]["severity"] for r in rows)))
    print("platforms:", dict(Counter(r["post"]["platform"] for r in rows)))
    per = Counter(c for r in rows for c in r["expect"]["categories"])
    for c in CATEGORIES:
        rs = [r for r in rows if c in r["expect"]["categories"]]
        print(f"  {c:22s} {per[c]:3d}  nl {sum(r['lang'] == 'nl' for r in rs):2d}  "
              f"insider {sum(r['role'] != 'public' for r in rs):2d}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    if args.check:
        on_disk = OUT.read_text(encoding="utf-8") if OUT.exists() else ""
        errs = check(rows, profile, on_disk)
        report(rows)
        for e in errs:
            print("ERROR:", e)
        sys.exit(1 if errs else 0)
    OUT.write_text(dump(rows), encoding="utf-8")
    report(rows)
    errs = check(rows, profile, dump(rows))
    for e in errs:
        print("ERROR:", e)
    sys.exit(1 if errs else 0)


if __name__ == "__main__":
    main()
