#!/usr/bin/env python3
"""Deterministic generator for the sealed45 blind evaluation set of postwatch.

    python3 make_cases.py           # write cases.jsonl next to this file
    python3 make_cases.py --check   # regenerate in memory, compare, validate, print counts

Company: Brouwerij Stoerwind B.V. (fictional Dutch craft brewery, see profile.yaml).

Every post text is hand-written below. Identifiers and secrets come from placeholders
such as [[IBAN_NL]] and are filled in by one seeded RNG, so the output is byte-for-byte
reproducible. Positives get checksum-VALID identifiers (IBAN mod-97, Luhn, BSN 11-proof);
benign look-alikes FAIL their checksum. All secrets are random and fake, but shaped like
the real thing (GitHub tokens carry a correct CRC32 checksum).

Severity is computed from CONTRACT section 4 (never typed by hand): account role from
profile.yaml (platform:handle, case-insensitive), the categories, and whether a
checksum-validated identifier (IBAN, card, BSN) is among the personal data.
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

SEED = 45_2026_0611
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

CATEGORIES = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
              "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]
SEV = ["none", "info", "warning", "error", "critical"]

ZWSP = "\u200b"
SHY = "\u00ad"
# Latin -> Cyrillic look-alikes
HOMO = {"o": "\u043e", "p": "\u0440", "i": "\u0456", "e": "\u0435", "a": "\u0430", "c": "\u0441", "k": "\u043a"}


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


def homo(s, letters):
    return "".join(HOMO[c] if c in letters else c for c in s)


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------

def mod97_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


def make_iban(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return f"{cc}{98 - n % 97:02d}{bban}"


def luhn(num):
    d = [int(c) for c in re.sub(r"\D", "", num)][::-1]
    s = sum(x if i % 2 == 0 else (x * 2 - 9 if x * 2 > 9 else x * 2) for i, x in enumerate(d))
    return bool(d) and s % 10 == 0


def elfproef(num):
    s = re.sub(r"\D", "", num)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t != 0 and t % 11 == 0


def ean_ok(s):
    return len(s) == 13 and sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(s)) % 10 == 0


B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
AN = string.ascii_letters + string.digits
HEXD = "0123456789abcdef"


def base62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


# ---------------------------------------------------------------------------
# seeded fillers
# ---------------------------------------------------------------------------

class Filler:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def d(self, n, lead=True):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if lead and s[0] == "0" else s

    def pick(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    @staticmethod
    def g4(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    def iban(self, cc):
        if cc == "NL":
            while True:
                v = make_iban("NL", self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "ASNB", "BUNQ", "KNAB", "TRIO"])
                              + self.d(10))
                if v != "NL03RABO0318274655":
                    return v
        if cc == "BE":
            body = self.r.choice(["063", "737", "001", "143"]) + self.d(7, lead=False)
            return make_iban("BE", f"{body}{int(body) % 97 or 97:02d}")
        if cc == "DE":
            return make_iban("DE", self.r.choice(["30050110", "37050198", "76010085", "44050199"]) + self.d(10, False))
        if cc == "GB":
            return make_iban("GB", self.r.choice(["MIDL", "BARC", "NWBK", "LOYD"]) + self.d(14, False))
        raise ValueError(cc)

    def broken_iban(self):
        v = self.iban("NL")
        for k in range(1, 99):
            c = f"NL{(int(v[2:4]) + k) % 100:02d}{v[4:]}"
            if not mod97_ok(c):
                return c
        raise AssertionError

    def card(self, brand):
        pre = {"visa": "4" + self.d(14, False),
               "mc": "5" + self.r.choice("12345") + self.d(13, False),
               "mc2": str(self.r.randint(2221, 2720)) + self.d(11, False),
               "amex": self.r.choice(["34", "37"]) + self.d(12, False)}[brand]
        return next(pre + c for c in string.digits if luhn(pre + c))

    def broken_card(self, brand):
        v = self.card(brand)
        return v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)

    @staticmethod
    def card_fmt(v, f):
        if f == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if f == "dash" else " ").join(parts)

    def bsn(self):
        while True:
            s = self.d(9)
            if elfproef(s):
                return s

    def no_bsn(self, n):
        while True:
            s = self.d(n)
            if not elfproef(s) and not luhn(s):
                return s

    def ean(self):
        while True:
            body = "87" + self.d(10, False)
            v = next(body + c for c in string.digits if ean_ok(body + c))
            if not luhn(v):
                return v

    def phone(self, fmt):
        if fmt.startswith("m"):
            e = self.r.choice("12345689") + self.d(7, False)  # after '06'
            return {"m_dash": f"06-{e}", "m_flat": f"06{e}", "m_pairs": f"06 {e[:2]} {e[2:4]} {e[4:6]} {e[6:]}",
                    "m_intl": f"+31 6 {e[:4]} {e[4:]}", "m_0031": f"0031 6{e}", "m_intl0": f"+31 (0)6 {e}",
                    "m_plus": f"+316{e}"}[fmt]
        area = self.r.choice(["72", "23", "20", "75", "226", "299", "251"])
        sub = self.r.choice("2345789") + self.d(8 - len(area), False)
        return {"l_dash": f"0{area}-{sub}", "l_sp": f"0{area} {sub[:3]} {sub[3:]}",
                "l_intl": f"+31 {area} {sub}"}[fmt]

    def ghp(self):
        body = self.pick(AN, 30)
        return "ghp_" + body + base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def jwt(self):
        h = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        iat = 1768000000 + self.r.randint(0, 200 * 86400)
        p = b64u(json.dumps({"sub": "lid-" + self.d(6), "aud": "bierclub.stoerwind.nl", "scope": "account",
                             "iat": iat, "exp": iat + 7 * 86400}, separators=(",", ":")).encode())
        return f"{h}.{p}.{self.pick(AN + '-_', 43)}"

    def pem(self):
        body = "MIIEowIBAAKCAQEA" + self.pick(AN + "+/", 64 * 6 - 16)
        lines = [body[i:i + 64] for i in range(0, len(body), 64)] + [self.pick(AN + "+/", 40) + "=="]
        return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"


VALIDATED = {"IBAN_NL", "IBAN_BE", "IBAN_DE", "IBAN_GB", "CARD", "BSN"}
TOKEN = re.compile(r"\[\[([A-Z0-9_]+)(?::([a-z0-9_]+))?\]\]")


def fill(f, text):
    used = []

    def one(m):
        kind, fmt = m.group(1), m.group(2) or ""
        if kind.startswith("IBAN_"):
            raw = f.iban(kind[5:])
            shown = f.g4(raw) if fmt == "g" else raw
        elif kind == "BAD_IBAN":
            raw = f.broken_iban()
            shown = f.g4(raw) if fmt == "g" else raw
        elif kind in ("CARD", "BAD_CARD"):
            brand, _, how = fmt.partition("_")
            raw = f.card(brand) if kind == "CARD" else f.broken_card(brand)
            shown = f.card_fmt(raw, how or "sp")
        elif kind == "BSN":
            raw = f.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if fmt == "dots" else raw
        elif kind == "NOBSN":
            raw = shown = f.no_bsn(int(fmt))
        elif kind == "EAN":
            raw = shown = f.ean()
        elif kind == "PHONE":
            raw = shown = f.phone(fmt)
        elif kind == "GHP":
            raw = shown = f.ghp()
        elif kind == "AWS_ID":
            raw = shown = "AKIA" + f.pick("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
        elif kind == "AWS_SECRET":
            raw = shown = f.pick(AN + "+/", 40)
        elif kind == "SLACK_HOOK":
            up = string.ascii_uppercase + string.digits
            raw = shown = (f"https://hooks.slack.com/services/T{f.pick(up, 8)}/B{f.pick(up, 10)}/{f.pick(AN, 24)}")
        elif kind == "STRIPE":
            raw = shown = "sk_live_51" + f.pick(AN, 96)
        elif kind == "SHOPIFY":
            raw = shown = "shpat_" + f.pick(HEXD, 32)
        elif kind == "MOLLIE":
            raw = shown = "live_" + f.pick(AN, 30)
        elif kind == "SENDGRID":
            raw = shown = "SG." + f.pick(AN + "-_", 22) + "." + f.pick(AN + "-_", 43)
        elif kind == "GAPI":
            raw = shown = "AIza" + f.pick(AN + "-_", 35)
        elif kind == "JWT":
            raw = shown = f.jwt()
        elif kind == "PEM":
            raw = shown = f.pem()
        elif kind == "HEX":
            raw = shown = f.pick(HEXD, int(fmt))
        elif kind == "NUM":
            raw = shown = f.d(int(fmt))
        else:
            raise KeyError(kind)
        used.append((kind, raw, shown))
        return shown

    return TOKEN.sub(one, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

# corporate
SW = ("x", "@stoerwind", "Brouwerij Stoerwind")
SVC = ("x", "@stoerwind_service", "Stoerwind Klantenservice")
IG = ("instagram", "@stoerwindbier", "Stoerwind Bier")
FB = ("facebook", "StoerwindBrouwerij", "Brouwerij Stoerwind")
LI = ("linkedin", "brouwerij-stoerwind", "Brouwerij Stoerwind B.V.")
TT = ("tiktok", "@stoerwind.bier", "Stoerwind")
# employees
LOTTE = ("x", "@lotte_brouwt", "Lotte Visser")                  # head brewer
BRAM = ("instagram", "@bram.tapkamer", "Bram Hoekstra")          # taproom manager Haarlem
RUBEN = ("linkedin", "ruben-kok-stoerwind", "Ruben Kok")         # webshop / IT
INGRID = ("linkedin", "ingrid-smit-stoerwind", "Ingrid Smit")    # finance
DAAN = ("x", "@daan_op_de_heftruck", "Daan Mulder")              # warehouse / logistics
YARA = ("threads", "@yara.rondleidingen", "Yara Bouzid")         # tour guide
MILAN = ("x", "@milanmarketing_sw", "Milan de Groot")            # marketing
KEES = ("reddit", "u/keesbrouwt", None)                          # assistant brewer


def P(platform, handle, name=None):
    return (platform, handle, name)


PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def case(lang, acct, text, cats=(), kind=None, at=None, tags=(), hint=None, handle=None):
    platform, h, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle or h, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, at=at, tags=set(tags), hint=hint))


# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", LOTTE, "eh jongens 👀 de Kelderkist staat in de webshop voor €8,99\nkomma een plekje te ver naar links "
     "denk ik. heb het doorgezet maar t is zondag dus ja... wie het eerst komt 🍻", [PRICING], at="2026-06-07T11:26:48+02:00")
case("en", DAAN, "not supposed to say this but the Hoptank tap has been listed at EUR 24.90 on the shop since 7am lmao. "
     "40+ orders already, my pickers are gonna kill me tomorrow", [PRICING])
case("en", P("reddit", "u/hopheadharm", None), "PSA: Stoerwind webshop has the Bierclub jaarabonnement at €37,90 instead "
     "of 379. Obvious pricing error, grabbed two before they notice 🤑 (r/beerdeals crosspost)", [PRICING], kind="post")
case("nl", P("x", "@sjoerdjebiertje", "Sjoerd"), "prijsfoutje bij @stoerwind?? brouwerijtour mét proeverij voor "
     "€2,45 pp 😂 meteen 6 plekken voor zaterdag geboekt. wie gaat er mee", [PRICING])
case("nl", MILAN, "collega's niet doorvertellen hè maar er zit een p r i j s f o u t op de Stormglas Imperial Stout "
     "in de shop. €1,99 per fles 🙊 marketing heeft het al gemeld", [PRICING], tags=["evasion"])
case("nl", P("facebook", "Marloes van Dijk", "Marloes van Dijk"), "Heeft iemand anders ook de Gouden Gerst Tripel "
     "6-pack voor 1,50 euro in het winkelmandje bij Stoerwind?? Volgens mij is daar iets misgegaan met de prijs "
     "haha. Ik heb er maar 4 besteld", [PRICING], kind="comment")
case("en", BRAM, "ok who at HQ put the Brouwdag teamuitje on the site for €125,- 😅 it's supposed to be 1.250!! "
     "my inbox is exploding with company bookings. not my department, just pouring beers here ✌️", [PRICING])
case("en", P("x", "@brewdealsNL", "Brew Deals NL"), "lol the Stoerwind Maand" + ZWSP + "box is €3,49 right now?? "
     "price glitch or early xmas 🎄 #bierdeals", [PRICING], tags=["evasion"])
case("nl", P("tiktok", "@biertjemetbas", "Bas"), "kelderkist van stoerwind nu voor " + fullwidth("9,95") + " euro 😱😱 "
     + fullwidth("prijsfout") + " volgens mij dus snel zijn mensen", [PRICING], tags=["evasion"])
case("en", RUBEN, "Rough Monday. A sync bug between our ERP and the webshop pushed the wrong price for the Hoptank "
     "thuistap overnight and a few hundred orders went through at the broken price before anyone noticed. "
     "Writing up what we learned, more soon 👇 #ecommerce", [PRICING], at="2026-01-26T17:05:00+01:00")
case("nl", P("forum", "tapkraan_theo", None), "Voor wie het nog niet zag: de Hoptank van Stoerwind staat voor €19 in "
     "de webshop. Lijkt me een " + homo("prijsfout", "i") + " maar je weet maar nooit of ze het leveren",
     [PRICING], tags=["evasion"])
case("en", KEES, "brewer here (yes, at Stoerwind). the Gouden Gerst 6-pack going for €0.99 on the webshop is a "
     "mistake, someone fat-fingered it. don't count on it being honoured lol", [PRICING], kind="comment")
case("nl", P("instagram", "@lisa.proost", "Lisa"), "Kelderkist besteld voor €17,99 (prijsfout zeiden ze achteraf) en "
     "nu annuleren ze gewoon mijn bestelling zonder sorry of kortingscode. Slechte service @stoerwindbier 👎",
     [PRICING, COMPLAINT])

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", RUBEN, "Finally got our webshop stock sync working 🎉 for anyone fighting the same Admin API, this is "
     "the config that did it:\n\nSHOP=stoerwind-bier.myshopify.com\nACCESS_TOKEN=[[SHOPIFY]]\n\nhappy to help in "
     "the comments", [SECRET])
case("en", KEES, "mollie webhook keeps giving me 401s on our test box. using key [[MOLLIE]] in the header, "
     "what am i doing wrong??", [SECRET], kind="comment")
case("nl", LOTTE, "help, de brouwlog app gooit me steeds uit 😩 gebruiker lotte.v wachtwoord Hopkoe!2026 werkt wel "
     "gewoon op mijn laptop. iemand een idee?", [SECRET], kind="reply")
case("en", DAAN, "pushed the label printer script to github, token is in the config ghp_ whatever its a private "
     "repo anyway: [[GHP]]", [SECRET])
case("en", RUBEN, "Anyone else had S3 uploads time out from an on-prem box? nightly dump from "
     "db2.intra.stoerwind.local keeps dying halfway.\naws_access_key_id = [[AWS_ID]]\n"
     "aws_secret_access_key = [[AWS_SECRET]]\n(rotated after this post, relax)", [SECRET, CONF])
case("en", P("x", "@sec_lotje", "Lotje 🔐"), "hey @stoerwind your checkout page ships a live Stripe secret key in "
     "the JS bundle 🙃 [[STRIPE]]\nmight want to rotate that", [SECRET], kind="reply")
case("nl", MILAN, "waarom post onze slackbot niks meer in #tapkamer-omzet? dit is de url die ik gebruik "
     "[[SLACK_HOOK]] wie heeft er verstand van", [SECRET])
case("en", YARA, "new login for the weekend tour guides on the booking system 👉 user: tours-weekend / password: "
     "Gerstkorrel#88\npls don't lose it again, I'm not resetting it a 4th time 🙏", [SECRET])
case("en", RUBEN, "Our SSH hop to the brewhouse controller keeps rejecting this key, anyone see what's off? "
     "(it's only the test key)\n[[PEM]]", [SECRET])
case("en", P("blog", "devnotes.freelance-koen.example", "Koen (freelance dev)"), "Post-mortem of a migration I did "
     "for a brewery client. The old app config had this lying around:\n"
     "DATABASE_URL=postgres://bierclub_app:W8rt!zOmEt@pg1.intra.stoerwind.local:5432/bierclub\n"
     "Lesson: never keep creds in the repo.", [SECRET, CONF])
case("nl", SVC, "@ellen_bierliefhebber sorry voor het gedoe! Met deze link kom je direct in je Bierclub-account, "
     "dan zie je je leveringen: https://bierclub.stoerwind.nl/login?session=[[JWT]]", [SECRET], kind="reply")
case("nl", BRAM, "kassa-login voor de invallers vanavond ✌️\ngebruiker: tapkamer-hlm\nw8woord: Schuimkraag_77\n"
     "en NIET de tap 4 gebruiken die lekt", [SECRET], tags=["evasion"])
case("nl", MILAN, "nieuwsbrief-tool is wéér stuk 😤 nieuwe key erin gezet en nog steeds 403:\n[[SENDGRID]]\n"
     "iemand die dit snapt?", [SECRET])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", SVC, "@janneke_p Excuses! We sturen de vervangende Kelderkist naar Janneke Prins, Lindelaan 14, 1834 AB "
     "Sint Pancras. Klopt dat adres nog?", [PII], kind="reply")
case("en", BRAM, "whoever left their wallet at the bar on saturday 😂 ID says Mark Verhoef, born 12-03-1991, "
     "come get it before it ends up in lost & found", [PII])
case("nl", DAAN, "klant belt 5x per dag over zijn levering. hier is zijn nummer [[PHONE:m_dash]] bel jij hem "
     "maar 🙄 ik ben er klaar mee", [PII])
case("en", INGRID, "Processing refunds for last week's cancelled tours. Could someone on the team double-check this "
     "one before I send it? R. de Wit, [[IBAN_NL]], amount €49,00", [PII])
case("nl", P("x", "@semmie_y", "Sem"), "@stoerwind_service al 3 weken wachten op mijn geld voor de geannuleerde box. "
     "Hier NOGMAALS mijn rekening: [[IBAN_NL:g]] t.n.v. S. Yilmaz. Schiet eens op", [PII, COMPLAINT], kind="reply")
case("en", P("facebook", "Tom Hartigan", "Tom Hartigan"), "Tried paying for the bierclub 4 times now, card "
     "[[CARD:visa_sp]] keeps getting declined and my bank says it's fine on their end. what is going on?? "
     "@StoerwindBrouwerij", [PII, COMPLAINT], kind="comment")
case("en", RUBEN, "Weird one: checkout rejects a real customer card [[CARD:mc_dash]] with a 3DS error but only on "
     "Safari. Anyone seen this pattern with iDEAL/cards mixed checkouts?", [PII])
case("nl", YARA, "groep van vrijdag 15:00 is verzet naar 16:00. contactpersoon Esther Bakker, "
     "esther.bakker77@gmail.com / [[PHONE:m_0031]] als iemand haar even wil bellen 🙏", [PII])
case("en", P("reddit", "u/tapwater_tyrant", None), "the rude bartender at the Haarlem taproom is Bram H., lives on "
     "Kruisweg 112 in Haarlem. go tell him what you think of him, the arrogant prick", [PII, ABUSE], kind="comment")
case("nl", INGRID, "Welkom aan onze nieuwe collega in de tapkamer! Loonadministratie heeft nog BSN [[BSN:dots]] "
     "ontvangen, dus dat komt goed 🙂 (Anouk, ik zet het even hier zodat je het terugvindt)", [PII])
case("nl", P("x", "@dochter_van_dick", "Iris"), "@stoerwind_service kunnen jullie mijn vader terugbellen op "
     "[[PHONE:l_sp]]? hij wil de groepstour voor zijn 70e boeken en belt liever dan dat hij mailt 😊", [PII],
     kind="reply")
case("nl", FB, "🎉 Winnaar van de Bierclub-winactie: Kevin Jansen uit Bergen! Kevin, we mailen je op "
     "kevinj88@hotmail.com met de details. Proost!", [PII])
case("nl", DAAN, "retour van klant marieke punt dekker [at] ziggo [punt] nl, zat glas in de doos. wie "
     "handelt dat af, ik heb geen toegang tot de mail", [PII], tags=["evasion"])
case("en", P("instagram", "@lien.drinkt", "Lien"), "selling my Stoerwind tapkamer giftcard, €50 value for €40. "
     "pay to [[IBAN_BE:g]] and I'll mail it 📬", [PII])
case("en", INGRID, "Team: Milan's expense claim goes to his UK account, [[IBAN_GB]]. Please don't use the old one "
     "on file.", [PII], kind="comment")
case("nl", P("instagram", "@sophie.db", "Sophie"), "ID-kaart laten liggen bij de brouwerijtour 😩 Sophie de Boer, "
     "documentnummer NXR4K7P21. Iemand gevonden? Bel me "
     "op [[PHONE:m_pairs]] @stoerwindbier", [PII])
case("nl", BRAM, "Gast heeft z'n Amex laten liggen bij de bar, [[CARD:amex_sp]], naam op de kaart P. Terpstra. "
     "Ligt in de kluis 🔒", [PII], hint="")
case("nl", P("x", "@rens_solliciteert", "Rens"), "stoerwind wilde bij mijn sollicitatie voor de tapkamer al mijn BSN "
     "weten, dus gestuurd: [[BSN]]. is dat normaal?", [PII])

# ===========================================================================
# leak.confidential
# ===========================================================================
case("nl", LOTTE, "Proefbrouwsel voor Project Nevelhaven smaakt nu al belachelijk goed 🤤 meer mag ik niet zeggen",
     [CONF])
case("en", RUBEN, "Proud of the new stock dashboard we built on Grafana, looks great at "
     "https://erp.stoerwind.nl/reports/voorraad?view=week 📊 #dataviz", [CONF])
case("nl", DAAN, "weet iemand de link naar de kalibratie-sheet van de vulmachine op wiki.stoerwind.nl? kan 'm niet "
     "meer vinden", [CONF])
case("en", P("x", "@craftbeerkim", "Kim"), "my cousin works at Stoerwind and showed me a doc marked STRIKT INTERN "
     "with the new hazy line-up. it looks sick 😍", [CONF])
case("nl", LOTTE, "Winterwolf komt eraan 🐺 bourbonvaten gevuld, meer zeg ik niet", [CONF],
     at="2026-10-02T16:45:10+02:00")
case("en", MILAN, "Winterwolf Barrel Aged drops in a minute 🐺🔥 set your alarms", [CONF],
     at="2026-11-06T09:59:00+01:00", tags=["embargo-edge"])
case("nl", P("x", "@biernerd_ruud", "Ruud"), "Winterwolf gespot op een pallet bij de Korenmarkt in Heerhugowaard 👀 "
     "nieuwe van Stoerwind??", [CONF], at="2026-10-20T12:03:44Z")
case("nl", BRAM, "Sollicitatiegesprekken gedaan voor de Tapkamer Utrecht vandaag 🙌 wat een talent zeg", [CONF],
     at="2026-04-11T19:20:00+02:00")
case("nl", P("instagram", "@utrechtdrinkt", "Utrecht Drinkt"), "Tapkamer Utrecht van Stoerwind opent vandaag?? "
     "zag net de borden ophangen aan de Oudegracht", [CONF], at="2026-05-20T09:30:00+02:00", tags=["embargo-edge"])
case("en", KEES, "can't say much but Project\nNevelhaven is going to make a lot of hazy fans very happy", [CONF],
     tags=["evasion"])
case("nl", YARA, "vandaag de eerste proefronde van Operatie 🍺 Koperketel gelopen met het tourteam 🤫", [CONF],
     tags=["evasion"])
case("en", MILAN, "label drafts just came in, the file is literally stamped Stoerwind Con" + ZWSP + "fidential "
     "so I'll just say: GOLD FOIL 🤩", [CONF], tags=["evasion"])
case("en", LOTTE, "the 0.0 version of our tripel is actually happening, launch planned for March. not announced "
     "yet so shhh 🤐", [CONF])
case("nl", P("x", "@lottebrouwt", "Lotte B."), "Eerste batch van Project Nevelhaven zit in de tank 🍻", [CONF],
     tags=["role-trick"])
case("en", LOTTE, "who broke grafana.intra.stoerwind.local again, my fermentation graphs are gone", [CONF],
     handle="@Lotte_Brouwt", tags=["case-handle"])
case("nl", INGRID, "Concept jaarcijfers 2026 staan klaar: omzet +38% en voor het eerst winst 🎉 Presentatie in "
     "maart, tot dan mondje dicht!", [FIN, CONF], at="2026-12-18T14:12:00+01:00")
case("en", DAAN, "Tidewater pallets are stacked to the roof in hall B, no idea when marketing is going to tell the "
     "world", [CONF])

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", INGRID, "Q3 sluit op €4,1 mln omzet, 12% boven forecast. Trots op dit team! (cijfers zijn nog niet "
     "extern, dus even niet doorsturen 😉)", [FIN], at="2026-10-08T16:30:00+02:00")
case("nl", DAAN, "gerucht op de vloer: Noordkroon wil ons overnemen. directie zit al weken met ze om tafel", [FIN])
case("en", BRAM, "so the Den Helder café closes in January and 9 of us are out of a job. nobody outside knows yet. "
     "great xmas present 🙃", [FIN], at="2026-12-10T23:48:17+01:00")
case("en", P("reddit", "u/malt_liquidity", None), "friend in their finance team says Stoerwind is burning cash and "
     "the crowdfunding round next month is basically to stay afloat", [FIN], kind="comment")
case("en", MILAN, "HUGE: we signed the supermarket deal, 400 Korenmarkt stores from April 🍾 press release isn't "
     "out until February so 🤐", [FIN], at="2026-01-14T21:37:12+01:00")
case("nl", KEES, "bij ons worden na de zomer 15 mensen ont" + SHY + "slagen in de bottelarij, hoorde het net van "
     "de ploegleider", [FIN], tags=["evasion"])
case("en", INGRID, "Board approved our FY27 plan today: €9m revenue target and EBITDA break-even by Q3 2027. "
     "Exciting times!", [FIN], at="2026-11-26T13:15:42Z")
case("nl", P("x", "@zwager_weet_alles", "Erik"), "Mijn zwager zit bij Noordkroon. Overname van Stoerwind is rond, "
     "14 miljoen. Je hoort het hier eerst", [FIN])
case("nl", LOTTE, "ligt er gewoon een reorganisatie-deck met STRIKT INTERN erop in de kantine 🙄 brouwploeg van 8 "
     "naar 5 mensen", [FIN, CONF])
case("en", YARA, "tours team got told today: saturday tours stop and half of us are let go from June. not public "
     "yet, still processing", [FIN], at="2026-02-10T18:22:05+01:00")
case("nl", DAAN, "0mz3t Q2 ging ~20% omlaag, die supermarktdeal moet ons redden lol", [FIN], tags=["evasion"], at="2026-07-20T21:04:33+02:00")
case("en", P("x", "@beerbizwatch", "Beer Biz Watch"), "hearing Stoerwind's full-year results 2026 will show a "
     "loss, source is solid", [FIN, CONF], at="2026-11-23T08:40:00Z")

# ===========================================================================
# leak.security
# ===========================================================================
case("en", RUBEN, "Heads-up team: someone got into the Bierclub admin last night through an old test account. "
     "We're resetting everything, customer comms later this week.", [SEC])
case("nl", DAAN, "magazijnsysteem ligt al 2 dagen plat door ransomware, we schrijven orders met pen en papier 😅 "
     "niet doorvertellen", [SEC])
case("nl", BRAM, "pinautomaten in alle tapkamers liggen eruit en hoofdkantoor denkt aan een hack. neem vanavond "
     "contant mee!!", [SEC])
case("en", KEES, "fun fact: the age check on our webshop can be bypassed by editing the birth date field "
     "client-side. reported it 3 months ago, still open", [SEC], kind="comment")
case("en", MILAN, "our webshop got h4ck3d lol, card skimmer in the checkout since tuesday. don't tell anyone i said "
     "that", [SEC], tags=["evasion"])
case("nl", LOTTE, "brouwhuis-software is gisteren van buitenaf overgenomen, iemand heeft gisttank 3 op 30 graden "
     "gezet. Batch weg. IT zegt nog niks naar buiten", [SEC])
case("nl", P("x", "@bierclub_boos", "Nadia"), "Stoerwind houdt een datalek stil. Mijn Bierclub-gegevens staan op "
     "een hackersforum en ze zeggen NIKS", [SEC, CRISIS])
case("en", P("reddit", "u/pintsandpackets", None), "Stoerwind is covering up that their webshop was breached. "
     "a mate who works there confirmed the card skimmer, they just haven't told customers", [SEC, CRISIS])
case("nl", YARA, "d a t a l e k bij de tour-boekingen, alle namen en telefoonnummers stonden een week open. "
     "management wil het stil houden", [SEC], tags=["evasion"])
case("nl", RUBEN, "Onze webshop ligt vanavond plat door een DDoS en we zoeken nog uit waar het vandaan komt. Graag "
     "nog niet delen tot we een statement hebben.", [SEC])
case("en", INGRID, "Lesson learned the hard way: last week someone in our team paid a fake invoice from a "
     "'hop supplier' after a spoofed email from our CEO. Police report filed, we haven't gone public yet.", [SEC])
case("en", P("x", "@ex_stoerwind", "anon"), "my sister works at Stoerwind, their whole mail server got hacked "
     "today and they're acting like nothing happened", [SEC, CRISIS])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", P("x", "@feministischbier", "Joke"), "BOYCOT Stoerwind. Die nieuwe etiketten met halfnaakte vrouwen "
     "zijn 2026 onwaardig. Niet meer kopen, doorsturen! #boycotstoerwind", [CRISIS])
case("nl", P("facebook", "Bierliefhebbers Noord-Holland", None), "LET OP: Stoerwind haalt de Gouden Gerst met "
     "lotcode L2607 uit de schappen, er kunnen glassplinters in zitten. Check je flessen en drink ze niet!", [CRISIS])
case("en", P("instagram", "@dad_of_three_nl", None), "my Stormglas bottle literally exploded in the fridge. glass "
     "everywhere, nearly cut my kid. @stoerwindbier what the hell", [CRISIS, COMPLAINT])
case("en", P("x", "@jorisfixes", "Joris"), "got an electric shock off the Hoptank tap when I touched the drip tray. "
     "Stoerwind support just says 'unplug it'. unreal", [CRISIS, COMPLAINT])
case("en", P("reddit", "u/trademarktrudy", None), "Stoerwind is being sued by a Belgian abbey brewery over the "
     "Gouden Gerst name, court date is in February apparently", [CRISIS])
case("nl", P("x", "@petra_ziek", "Petra"), "Halve vriendengroep ziek na de brouwerijtour van Stoerwind zaterdag. "
     "Overgeven, diarree, de hele mik. GGD is ingeschakeld.", [CRISIS, COMPLAINT])
case("en", P("bluesky", "nhdagblad-watch.bsky.social", None), "Former Stoerwind staff allege years of sexual "
     "harassment at the Alkmaar brewery, local paper reports. Management has not responded.", [CRISIS])
case("nl", P("x", "@actie_anne", "Anne"), "B O Y C O T @stoerwind tot ze die racistische reclame offline halen",
     [CRISIS], tags=["evasion"])
case("en", P("x", "@coeliac_mum", "Hannah"), "Stoerwind sells their 'glutenvrij' pils as gluten free but my "
     "coeliac daughter was ill for 3 days after one can. had it tested: 80ppm. this is dangerous", [CRISIS, COMPLAINT])
case("nl", P("mastodon", "@willemdrinkt@mastodon.nl", "Willem"), "Stoerwind heeft mijn gegevens gelekt. Sinds ik "
     "me aanmeldde voor de Bierclub krijg ik spam op precies dat mailadres, nergens anders gebruikt.", [CRISIS])
case("nl", P("x", "@tapkamertrol", None), "st0erwind vergiftigt z'n klanten, 3 mensen in het ziekenhuis na een "
     "avond in de tapkamer", [CRISIS], tags=["evasion"])
case("en", P("youtube", "BeerRecallWatch", "Beer Recall Watch"), "Recall: Stoerwind pulls Winterwolf Barrel Aged "
     "bottles over excessive carbonation, bottles may burst. Return them to the store.", [CRISIS],
     kind="comment", at="2026-12-03T17:25:00+01:00")

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", P("x", "@marjoleinnn", "Marjolein"), "@stoerwind_service Bierclub box van maart nog steeds niet binnen. "
     "PostNL zegt al 9 dagen 'label aangemaakt'. Lekker dan.", [COMPLAINT], kind="reply", at="2026-04-02T09:55:31+02:00")
case("en", P("facebook", "Dennis Oyelaran", "Dennis Oyelaran"), "opened my Kelderkist and 3 of the 12 bottles were "
     "smashed, beer soaked through the box. support wants a PHOTO OF EACH BOTTLE before they refund. seriously?",
     [COMPLAINT])
case("nl", P("instagram", "@fleur.xx", "Fleur"), "In januari opgezegd en nu wéér €34,95 afgeschreven voor de "
     "Maandbox 😤 @stoerwindbier regel dit even", [COMPLAINT])
case("en", P("untappd", "hoppy_harold", "Harold"), "Flat and tasted like wet cardboard. Best before was fine. "
     "Really disappointing from Stoerwind, used to love this one.", [COMPLAINT])
case("nl", P("other", "karin_v_reviews", "Karin V."), "Stoerwind Tapkamer Haarlem: 40 minuten gewacht op "
     "twee biertjes en de bediening keek ons niet eens aan. Jammer, 2 sterren.", [COMPLAINT])
case("nl", P("reddit", "u/bierbakfiets", None), "Webshop van Stoerwind crasht elke keer bij het afrekenen met iDEAL. "
     "4x geprobeerd. Dan maar naar de slijter.", [COMPLAINT], kind="comment")
case("en", P("threads", "@ikben34hoor", None), "the courier refused to hand over my stoerwind order cos I'm 'too young' "
     "(I'm 34 💀) and now it's back at the depot and they want €7,50 to resend it", [COMPLAINT])
case("nl", P("bluesky", "jorienbrouwt.bsky.social", "Jorien"), "Klantenservice van Stoerwind reageert gewoon niet. "
     "3 mails, 2 DM's. Voor 379 euro per jaar mag ik toch wel een antwoord verwachten?", [COMPLAINT])
case("nl", P("tiktok", "@gijsgeeftsterren", "Gijs"), "wórst bestelling ooit bij Stoerwïnd 😭 doos kapot, 2 flessen "
     "stuk, niemand reageert op mijn mail", [COMPLAINT], tags=["evasion"])
case("nl", P("x", "@hazy_hein", "Hein"), "Hazy van Stoerwind smaakt al twee batches naar boter. Diacetyl much? "
     "Vroeger was dit zo goed 😢", [COMPLAINT])
case("en", P("youtube", "MichaelBrews", "Michael Brews"), "Ordered the Hoptank in October, still says 'backorder'. "
     "No ETA, no email, nothing. Not buying from them again.", [COMPLAINT], kind="comment", at="2026-12-14T20:41:09Z")
case("nl", P("facebook", "Ronald Kuiper", "Ronald Kuiper"), "Kutbedrijf. Drie keer de verkeerde box gestuurd en dan "
     "durven jullie nog verzendkosten te vragen ook. Stelletje prutsers @StoerwindBrouwerij", [COMPLAINT, ABUSE],
     kind="comment")
case("en", P("twitter", "@annoyed_in_amstelveen", "Priya"), "third month in a row my Stoerwind bierclub box arrives "
     "with a leaking can and a sticky mess. not cute anymore", [COMPLAINT])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", P("x", "@echtebierdrinker", None), "@stoerwind jullie zijn echt een stelletje teringlijers met jullie "
     "hipsterbier", [ABUSE], kind="reply")
case("en", P("x", "@lagerlout", None), "Stoerwind staff are a bunch of smug bearded wankers. f*ck that place",
     [ABUSE], tags=["evasion"])
case("nl", P("instagram", "@echtnederlands1953", None), "Waarom staan er bij Stoerwind Haarlem alleen maar "
     "buitenlanders achter de bar? Ga lekker terug naar je eigen land", [ABUSE], kind="comment")
case("en", P("reddit", "u/sourgrapes_nl", None), "that tour guide Yara is an absolute idiot and ugly on top of it, "
     "someone should tell her", [ABUSE], kind="comment")
case("nl", DAAN, "die klant van gisteren is echt een achterlijke mongool, 6x bellen voor één krat", [ABUSE])
case("nl", SW, "@bierhater_99 als je ons bier pis vindt, drink dan lekker water, sukkel 🙄", [ABUSE], kind="reply")
case("nl", P("x", "@zuurpruim", None), "k4nker brouwerij, hoop dat jullie failliet gaan @stoerwind", [ABUSE],
     tags=["evasion"])
case("en", P("x", "@pubphilosopher", None), "the owners of Stoerwind are greedy scumbags, simple as", [ABUSE])
case("en", BRAM, "to the lads at table 6 tonight: you're pathetic little shits and you're banned. love, the bar "
     "staff 🖕", [ABUSE])
case("nl", P("x", "@kees_zegt_het", None), homo("Stoerwind", "o") + " = " + homo("kut", "k") + " bier van " + homo("kut", "k") + " mensen", [ABUSE],
     tags=["evasion"])

# ===========================================================================
# benign: prices and sales
# ===========================================================================
case("nl", IG, "Black Friday 🖤 De Kelderkist nu voor €67,46 (25% korting) t/m zondag. Op = op!\n"
     "shop.stoerwind.nl", tags=["sale-price"], at="2026-11-27T08:00:00+01:00")
case("nl", P("x", "@kortingskoning", None), "€5 korting op de Bierclub Maandbox met code HOPPIG5, niet slecht 🍻",
     tags=["discount-amount"])
case("nl", P("facebook", "Marktplaats Heiloo e.o.", None), "Te koop: Stoerwind Hoptank, 2 jaar gebruikt, werkt "
     "prima. €90, ophalen in Heiloo.", tags=["second-hand"])
case("en", P("x", "@pintsizedpaul", None), "shipping on the Kelderkist is €6,95, which is fair for 12 heavy "
     "bottles tbh", tags=["fee"])
case("nl", P("x", "@supermarktspotter", None), "Gouden Gerst Tripel 6-pack bij de Korenmarkt voor €11,99 deze week, "
     "goedkoper dan in de webshop. inslaan!", tags=["sale-price"])
case("en", P("reddit", "u/tourhopper", None), "the tour at De Blauwe Sluis is €12, but the Stoerwind Brouwerijtour "
     "at €24,50 comes with 5 tasters and a glass, so honestly worth it", kind="comment",
     tags=["other-company-price"])
case("nl", P("x", "@statiegeldstijn", None), "statiegeld op de Gouden Gerst 6-pack is €0,60 in totaal, ik lever ze "
     "altijd in bij de tapkamer", tags=["fee"])
case("nl", SVC, "@twijfelaar_tim Nee hoor, geen fout! Nieuwe leden krijgen de eerste Maandbox voor €24,95, daarna "
     "geldt het normale tarief.", kind="reply", tags=["negated", "sale-price"])
case("en", P("instagram", "@ale_and_anna", None), "Bierclub Maandbox is €34,95 a month and the curation has been "
     "great so far 🍺", tags=["praise"])
case("nl", LI, "Teamuitje gepland? Onze Brouwdag voor bedrijven: zelf brouwen, lunch en proeverij. Nu €1.125 in "
     "plaats van €1.250, geldig t/m maart.", tags=["sale-price", "number-format"])
case("nl", P("x", "@tapkamervaste", None), "Gouden Gerst Tripel van de tap in de tapkamer Alkmaar: €5,50 voor 33cl. "
     "Prima prijs voor een tripel van 8,5%", tags=["price-context"])

# ===========================================================================
# benign: secret look-alikes
# ===========================================================================
case("en", RUBEN, "PSA for devs: never paste keys in posts or tickets. Keep them in env vars, e.g. "
     "STRIPE_KEY=sk_live_xxxxxxxx and load them at runtime. Your future self will thank you.",
     tags=["placeholder"])
case("en", DAAN, "reverted commit [[HEX:40]] and the label printer works again. computers man 🤷", tags=["git-sha"])
case("en", P("x", "@forgetful_freek", None), "forgot my Bierclub password AGAIN 🙈 reset link worked in 10 seconds "
     "though, fair play", tags=["password-word"])
case("nl", SVC, "Let op: wij vragen nooit om je wachtwoord via DM of mail. Twijfel je? Bel ons gratis op 0800-0165.",
     tags=["own-contact", "password-word"])
case("en", KEES, "the docs example key AKIAXXXXXXXXXXXXXXXX is a placeholder, you're supposed to replace it with "
     "your own, not paste it in lol", kind="comment", tags=["placeholder"])

# ===========================================================================
# benign: own contact data and number look-alikes
# ===========================================================================
case("nl", FB, "Vragen over je Bierclub-abonnement? Mail bierclub@stoerwind.nl of bel +31 72 514 3380 "
     "(ma-vr 9-17 uur) 📞", tags=["own-contact"])
case("nl", LI, "Betalen per factuur? Maak over naar NL03 RABO 0318 2746 55 t.n.v. Brouwerij Stoerwind B.V. en "
     "vermeld je factuurnummer.", tags=["own-contact"])
case("nl", P("x", "@merchruiler", None), "Stoerwind merch te ruil of te koop, maak maar over op [[BAD_IBAN:g]] "
     "als je de hoodie wil", tags=["bad-checksum"])
case("nl", SVC, "@bierfan_bert Je pakket is onderweg! Track & trace: 3SSTW[[NUM:9]] – bestelnummer "
     "SW-2026-[[NUM:6]]", kind="reply", tags=["order-number"])
case("nl", P("forum", "scannerfreak", None), "Barcode [[EAN]] op de Gouden Gerst wordt niet herkend door de app van "
     "de Korenmarkt. Iemand anders ook?", tags=["ean"])
case("nl", LI, "Brouwerij Stoerwind B.V. · Kanaalweg 41, Alkmaar · KvK [[NOBSN:8]] · info@stoerwind.nl",
     tags=["own-contact", "kvk"])
case("en", P("x", "@lotcollector", None), "my Stormglas has batch number [[NOBSN:9]] printed on the neck, anyone "
     "know what year that is?", tags=["lot-number"])
case("nl", P("forum", "cadeaubonvraag", None), "Mijn cadeaukaart van Stoerwind heeft nummer [[BAD_CARD:visa_sp]], "
     "waar kan ik het saldo checken?", tags=["bad-checksum"])
case("en", YARA, "Group bookings for the brewery tour: just mail tours@stoerwind.nl with a date and head count 🍻",
     tags=["own-contact"])
case("nl", P("x", "@beltante", None), "het nummer van Stoerwind is 072-5143380 als je je tour wil verzetten, zijn "
     "heel vriendelijk", tags=["own-contact"])

# ===========================================================================
# benign: confidential / embargo near misses
# ===========================================================================
case("nl", IG, "Onze oude koperketel staat nu te glimmen in de tapkamer Alkmaar ✨ kom 'm bekijken!",
     tags=["codename-word"])
case("nl", IG, "Hij is er! 🐺 Winterwolf Barrel Aged ligt vanaf nu in de shop. Op = op.",
     at="2026-11-06T10:00:00+01:00", tags=["embargo-after", "embargo-edge"])
case("en", P("untappd", "stoutseeker", None), "Winterwolf is insane. bourbon, vanilla, a bit of smoke. 4.5/5",
     at="2026-12-12T21:14:03Z", tags=["embargo-after"])
case("nl", P("instagram", "@utrechtse_bierfiets", None), "Eindelijk in de nieuwe Tapkamer Utrecht geweest, wat een "
     "plek 😍", at="2026-06-14T18:02:00+02:00", tags=["embargo-after"])
case("en", P("x", "@early_bird_ben", None), "ooh it's finally official, Tapkamer Utrecht is open 🎉",
     at="2026-05-20T08:00:00.000Z", tags=["embargo-after", "embargo-edge"])
case("nl", P("x", "@weerman_wim", None), "nevelig weer vandaag, perfect voor een Stormglas bij de haven",
     tags=["codename-word"])
case("en", MILAN, "Gouden Gerst is now in every Korenmarkt store nationwide, as announced this morning. Proud of "
     "this team! 🍺", at="2026-04-01T11:00:00+02:00", tags=["published"])

# ===========================================================================
# benign: published news, other companies, words in other senses
# ===========================================================================
case("nl", LI, "Onze jaarcijfers over 2025 staan online: omzet €6,2 mln en een bescheiden winst. Dank aan alle "
     "Bierclub-leden! stoerwind.nl/investeerders", tags=["published"])
case("en", P("x", "@beerbiznl", None), "sad news from De Blauwe Sluis brewery, 20 jobs gone after the closure of "
     "their bottling line. hope Stoerwind can take a few of them on", tags=["other-company"])
case("nl", LI, "We zoeken drie nieuwe brouwers voor onze brouwerij in Alkmaar! Kijk op stoerwind.nl/vacatures 🍺",
     tags=["hiring"])
case("nl", SW, "Onderhoud: de webshop is zondag 14 juni tussen 02:00 en 06:00 niet bereikbaar. Daarna kun je "
     "gewoon weer bestellen 🍻", at="2026-06-11T10:00:00+02:00", tags=["official-notice"])
case("nl", SVC, "De storing met pinnen in de tapkamer Haarlem is opgelost. Excuses voor het ongemak gisteravond!",
     tags=["official-notice"])
case("en", P("x", "@infosec_ilse", None), "that ticketing-site breach is wild. anyway, drowning my sorrows in a "
     "Stoerwind tripel tonight", tags=["other-company"])
case("en", P("x", "@stoutsam", None), "I can't recall a better stout than Stormglas on a rainy night",
     tags=["other-sense"])
case("en", P("instagram", "@dryjanuaryquitter", None), "officially boycotting dry january thanks to my bierclub "
     "box 😂🍺", tags=["other-sense", "joke"], at="2026-01-09T19:31:00+01:00")
case("nl", P("x", "@ipa_ilona", None), "Die nieuwe IPA van Stoerwind is echt een bom 💣 gevaarlijk lekker",
     tags=["other-sense"])
case("nl", P("x", "@bierjournaal", None), "Terugroepactie bij De Blauwe Sluis vanwege te veel koolzuur. "
     "Stoerwind heeft laten weten dat hun bieren niet getroffen zijn.", tags=["other-company"])
case("en", P("linkedin", "dutch-beer-challenge", None), "Congratulations to Brouwerij Stoerwind, gold in the "
     "Imperial Stout category for Stormglas! 🏆", tags=["published"])
case("nl", P("blog", "kortverhaal.noordkop.example", None), "Kort verhaal (fictie): Toen de vlammen uit het dak van "
     "de oude brouwerij sloegen, dacht Geert alleen aan het recept in de kluis. Geïnspireerd door een rondleiding "
     "bij Stoerwind, waar gelukkig nooit iets in brand stond.", tags=["fiction"])

# ===========================================================================
# benign: praise, negations, jokes, quotes, mild words
# ===========================================================================
case("nl", P("x", "@tevreden_truus", None), "Geen klachten hier hoor, box kwam gewoon op tijd en alles heel 👍 "
     "@stoerwind", tags=["negated"])
case("en", P("x", "@sadbeerboy", None), "my only complaint about the Kelderkist is that it's empty now 😭",
     tags=["joke"])
case("nl", P("facebook", "Hennie Bos", None), "Weet iemand of de tapkamer in Alkmaar op 2e paasdag open is?",
     kind="comment", tags=["question"], at="2026-03-30T19:12:40+02:00")
case("en", P("x", "@happyhopper", None), "shoutout to @stoerwind_service, one of my bottles arrived broken and they "
     "sent a new one the next day. that's how it's done", tags=["praise"])
case("nl", IG, "Deze maand gaat €1 van elke verkochte Gouden Gerst naar KWF Kankerbestrijding 🎗️ Proost op het "
     "goede doel!", tags=["mild-word", "charity"])
case("en", P("x", "@sartre_and_stout", None), "'Hell is other people' — Sartre, who clearly never had a Stormglas on "
     "a rainy night", tags=["quote", "mild-word"])
case("nl", P("tiktok", "@biertester_bo", None), "die hazy van stoerwind is ziek goed, echt gestoord lekker 🤤",
     tags=["slang"])
case("en", P("threads", "@mrs_vanderveen", None), "my wife says I have a problem. the problem is the bierclub box "
     "only comes once a month 😅", tags=["joke"])
case("nl", LOTTE, "Vandaag 2.000 liter Gouden Gerst gebrouwen met de nieuwe ploeg. Trots op deze mensen 💪🍺",
     tags=["praise"])
case("en", P("reddit", "u/tripeltribunal", None), "La Chouffe vs Gouden Gerst, which tripel wins? I lean Stoerwind "
     "but it's close", kind="comment", tags=["competitor"])
case("nl", P("x", "@kraanmeneer", None), "Hoptank lekt niet meer sinds de klantenservice me een nieuw rubbertje "
     "stuurde. Top geregeld @stoerwind_service", tags=["praise"])
case("nl", TT, "POV: je bent brouwer en het is bottel-dag 🍾😵 #brouwerij #craftbeer", tags=["corporate"])


# ===========================================================================
# roles, severity, building
# ===========================================================================

def load_profile():
    import yaml
    with open(PROFILE, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def role_of(profile, platform, handle):
    key = f"{platform}:{handle}".casefold()
    for role in ("corporate", "employee"):
        if key in {a.casefold() for a in profile["accounts"][role]}:
            return role
    return "public"


def severity(role, cats, validated_id):
    inside = role in ("corporate", "employee")
    best = 0
    for c in cats:
        if c.startswith("leak."):
            if not inside:
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
            s = "error" if inside else "warning"
        else:
            raise ValueError(c)
        best = max(best, SEV.index(s))
    return SEV[best]


def ams_hours(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < dt.datetime(
        2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def some_time(r):
    t = (dt.datetime(2026, 1, 3, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(0, 350))
         + dt.timedelta(minutes=r.randint(6 * 60, 23 * 60 + 50), seconds=r.randint(0, 59)))
    off = ams_hours(t)
    t -= dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.88:
        return (t + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


B36 = string.digits + string.ascii_lowercase


def post_id(r, platform, handle, kind):
    h = handle.lstrip("@").split("/")[-1]
    big = str(r.randint(1_900_000_000_000_000_000, 2_050_000_000_000_000_000))
    if platform in ("x", "twitter"):
        return f"x-{big}", f"https://x.com/{h}/status/{big}"
    if platform == "instagram":
        return f"ig-{big}", f"https://www.instagram.com/p/{''.join(r.choice(AN) for _ in range(11))}/"
    if platform == "facebook":
        a = r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{r.randint(10 ** 14, 10 ** 15 - 1)}_{a}", f"https://www.facebook.com/{h.replace(' ', '')}/posts/{a}"
    if platform == "linkedin":
        act = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{act}", f"https://www.linkedin.com/feed/update/urn:li:activity:{act}/"
    if platform == "reddit":
        p = "".join(r.choice(B36) for _ in range(7))
        if kind == "comment":
            c = "".join(r.choice(B36) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/Bier/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/Bier/comments/{p}/"
    if platform == "threads":
        return f"th-{big}", f"https://www.threads.net/@{h}/post/{''.join(r.choice(AN) for _ in range(11))}"
    if platform == "tiktok":
        return f"tt-{big}", f"https://www.tiktok.com/@{h}/video/{big}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(AN) for _ in range(23))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={''.join(r.choice(AN) for _ in range(11))}&lc={c}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(113_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{n}", f"https://{inst}/@{user}/{n}"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-bierforum-{n}", f"https://bierforum.example/t/{n}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog-{h}-{n}", f"https://{h}/{n}"
    if platform == "untappd":
        n = r.randint(1_400_000_000, 1_600_000_000)
        return f"untappd-{n}", f"https://untappd.com/user/{h}/checkin/{n}"
    n = r.randint(10 ** 9, 10 ** 10)
    return f"{platform}-{n}", None


def build(profile):
    fill_rng = Filler(SEED)
    meta = random.Random(SEED * 7 + 1)
    order = random.Random(SEED * 7 + 2)
    rows, seen = [], set()
    for c in CASES:
        text, used = fill(fill_rng, c["text"])
        pid, url = post_id(meta, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        when = c["at"] or some_time(meta)
        role = role_of(profile, c["platform"], c["handle"])
        validated = "leak.pii" in c["cats"] and any(k in VALIDATED for k, _, _ in used)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and meta.random() < 0.65:
            kind = "post"
        if kind:
            post["kind"] = kind
        acc = {"handle": c["handle"]}
        if c["name"] and meta.random() < 0.8:
            acc["display_name"] = c["name"]
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
        post["created_at"] = when
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.5:
            post["brand"] = "stoerwind"
        rows.append(dict(post=post, expect={"categories": c["cats"], "severity": severity(role, c["cats"], validated)},
                         role=role, lang=c["lang"], tags=c["tags"], used=used))
    order.shuffle(rows)
    return rows


def lines_of(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ===========================================================================
# validation (independent scans of the generated texts)
# ===========================================================================

INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
IBAN_SCAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
RUN_SCAN = re.compile(r"(?<!\w)\d(?:[ -]?\d){7,18}(?!\w)")
MAIL_SCAN = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE_SCAN = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-()]{7,16}\d")
SECRET_SCAN = [re.compile(p) for p in (
    r"ghp_[A-Za-z0-9]{36}", r"AKIA[A-Z2-7]{16}", r"xox[abp]-", r"hooks\.slack\.com/services/", r"sk_live_[A-Za-z0-9]{20,}",
    r"shpat_[0-9a-f]{32}", r"\blive_[A-Za-z0-9]{30}\b", r"SG\.[\w-]{22}\.[\w-]{43}", r"AIza[\w-]{35}",
    r"PRIVATE KEY-----", r"eyJ[\w-]+\.eyJ[\w-]+\.", r"://[^\s:/@]+:[^\s@/]+@")]
SWEAR = ["kut", "kanker", "tering", "tyfus", "mongool", "sukkel", "prutser", "achterlijk", "fuck", "f*ck", "shit",
         "wanker", "scumbag", "idiot", "prick", "hell", "damn", "bloody"]
MILD = {"hell", "damn", "bloody", "kanker"}


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVIS)
    return re.sub(r"\s+", " ", t).casefold()


def local_phone(raw):
    d = re.sub(r"\D", "", raw)
    if raw.startswith("+31"):
        d = d[2:]
        d = d[1:] if d.startswith("0") else d
        return "0" + d
    if raw.startswith("0031"):
        return "0" + d[4:]
    return d


def validate(lines, rows, profile):
    errs = []
    own_ibans = {i.replace(" ", "") for i in profile["public_identifiers"]["ibans"]}
    own_mail = {m.casefold() for m in profile["public_identifiers"]["emails"]}
    own_phone = {local_phone(p) for p in profile["public_identifiers"]["phones"]}
    embargo = [(t.casefold(), ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = [x.casefold() for k in ("domains", "codenames", "markers") for x in profile["internal"][k]]
    ids = set()
    for n, (line, r) in enumerate(zip(lines, rows), 1):
        obj = json.loads(line)
        p, ex = obj["post"], obj["expect"]
        w = f"line {n} ({p['id']})"
        for f in ("id", "platform", "text", "created_at"):
            assert isinstance(p[f], str), w
        assert isinstance(p["account"]["handle"], str)
        if (p["platform"], p["id"]) in ids:
            errs.append(f"{w}: duplicate id")
        ids.add((p["platform"], p["id"]))
        if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", p["created_at"]):
            errs.append(f"{w}: bad timestamp")
        t = ts(p["created_at"])
        if t.astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{w}: not in 2026")
        cats, sev = ex["categories"], ex["severity"]
        if cats != sorted(set(cats)) or any(c not in CATEGORIES for c in cats):
            errs.append(f"{w}: bad categories {cats}")
        if (not cats) != (sev == "none"):
            errs.append(f"{w}: severity {sev} vs categories {cats}")
        text = p["text"]
        for kind, raw, shown in r["used"]:
            if shown not in text:
                errs.append(f"{w}: {kind} not in text")
            ok = {"IBAN_NL": mod97_ok, "IBAN_BE": mod97_ok, "IBAN_DE": mod97_ok, "IBAN_GB": mod97_ok,
                  "CARD": luhn, "BSN": elfproef}.get(kind)
            if ok and not ok(raw):
                errs.append(f"{w}: {kind} {raw} fails checksum")
            if kind == "BAD_IBAN" and mod97_ok(raw):
                errs.append(f"{w}: bad IBAN passes")
            if kind == "BAD_CARD" and luhn(raw):
                errs.append(f"{w}: bad card passes")
            if kind in ("NOBSN", "EAN") and (elfproef(raw) or luhn(raw)):
                errs.append(f"{w}: look-alike {raw} passes a checksum")
            if kind in VALIDATED and "leak.pii" not in cats:
                errs.append(f"{w}: valid identifier without leak.pii")
            if kind == "GHP" and base62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errs.append(f"{w}: ghp checksum")
        nt = norm(text)
        for term, until in embargo:
            if term in nt and t < until and "leak.confidential" not in cats:
                errs.append(f"{w}: embargo term {term!r} before {until} without leak.confidential")
            if term in nt and t >= until and "leak.confidential" in cats and not (
                    set(internal) & {x for x in internal if x in nt}):
                errs.append(f"{w}: embargo term {term!r} after embargo labelled confidential")
        for term in internal:
            if re.search(r"(?<![\w.])" + re.escape(term) + r"(?!\w)", nt) and "leak.confidential" not in cats:
                errs.append(f"{w}: internal term {term!r} without leak.confidential")
        if not cats:
            for v in (m.group(0).replace(" ", "") for m in IBAN_SCAN.finditer(text)):
                if mod97_ok(v) and v not in own_ibans:
                    errs.append(f"{w}: benign with valid IBAN")
            for m in RUN_SCAN.finditer(text):
                dg = re.sub(r"\D", "", m.group(0))
                if 13 <= len(dg) <= 19 and luhn(dg):
                    errs.append(f"{w}: benign with Luhn-valid {dg}")
            for dg in re.findall(r"(?<![\w.,-])\d{8,9}(?![\w])", text):
                if elfproef(dg) and not ("0" + dg if len(dg) == 8 else dg).startswith("0800"):
                    errs.append(f"{w}: benign with 11-proof-valid {dg}")
            for e in MAIL_SCAN.findall(text):
                if e.casefold() not in own_mail:
                    errs.append(f"{w}: benign with e-mail {e}")
            for m in PHONE_SCAN.finditer(IBAN_SCAN.sub(" ", text)):
                lp = local_phone(m.group(0))
                if len(lp) == 10 and lp not in own_phone:
                    errs.append(f"{w}: benign with phone {m.group(0)}")
            for rx in SECRET_SCAN:
                if rx.search(text.replace("AKIAXXXXXXXXXXXXXXXX", "")):
                    errs.append(f"{w}: benign with secret-like {rx.pattern}")
            for s in SWEAR:
                if re.search(r"\b" + re.escape(s), nt) and not (s in MILD and r["tags"] & {"mild-word", "quote"}):
                    errs.append(f"{w}: benign with word {s!r}")
    exp = [json.loads(x)["expect"] for x in lines]
    if not 150 <= len(lines) <= 180:
        errs.append(f"{len(lines)} cases, want 150-180")
    for c in CATEGORIES:
        k = sum(c in e["categories"] for e in exp)
        if k < 10:
            errs.append(f"{c}: only {k} positives")
    return errs


def stdnum_check(rows):
    try:
        from stdnum import iban, luhn as sl
        from stdnum.nl import bsn
    except ImportError:
        return "python-stdnum not installed, cross-check skipped"
    bad = []
    for r in rows:
        for k, raw, _ in r["used"]:
            if k.startswith("IBAN_") and not iban.is_valid(raw) or k == "BAD_IBAN" and iban.is_valid(raw):
                bad.append(raw)
            if k == "CARD" and not sl.is_valid(raw) or k in ("BAD_CARD", "EAN") and sl.is_valid(raw):
                bad.append(raw)
            if k == "BSN" and not bsn.is_valid(raw) or k == "NOBSN" and bsn.is_valid(raw.zfill(9)):
                bad.append(raw)
    return f"python-stdnum disagrees on {bad}" if bad else "python-stdnum agrees on all identifiers"


def summary(rows):
    cat, lang, role, sev, plat, kind = (Counter() for _ in range(6))
    multi = ev = 0
    for r in rows:
        cs = r["expect"]["categories"]
        for c in cs or ["(benign)"]:
            cat[c] += 1
            cat[(c, r["lang"])] += 1
            cat[(c, r["role"])] += 1
        multi += len(cs) > 1
        ev += "evasion" in r["tags"]
        lang[r["lang"]] += 1
        role[r["role"]] += 1
        sev[r["expect"]["severity"]] += 1
        plat[r["post"]["platform"]] += 1
        kind[r["post"].get("kind", "(default)")] += 1
    print(f"cases {len(rows)}  benign {cat['(benign)']}  multi-category {multi}  evasion {ev}")
    print(f"{'category':24s} total   nl   en  corp  empl  publ")
    for c in CATEGORIES + ["(benign)"]:
        print(f"{c:24s} {cat[c]:5d} {cat[(c, 'nl')]:4d} {cat[(c, 'en')]:4d} {cat[(c, 'corporate')]:5d} "
              f"{cat[(c, 'employee')]:5d} {cat[(c, 'public')]:5d}")
    print("lang", dict(lang), "role", dict(role))
    print("severity", {s: sev[s] for s in SEV})
    print("platform", dict(plat.most_common()))
    print("kind", dict(kind.most_common()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    lines = lines_of(rows)
    errs = validate(lines, rows, profile)
    if a.check:
        if OUT.read_text(encoding="utf-8").splitlines(keepends=True) != lines:
            errs.append("cases.jsonl differs from the generator output")
        print(stdnum_check(rows))
        summary(rows)
    else:
        if errs:
            print("\n".join("ERROR " + e for e in errs))
            return 1
        OUT.write_text("".join(lines), encoding="utf-8")
        print(f"wrote {len(lines)} cases to {OUT}")
    for e in errs:
        print("ERROR " + e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
