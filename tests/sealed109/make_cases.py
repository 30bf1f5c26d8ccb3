#!/usr/bin/env python3
"""Deterministic generator for the sealed postwatch evaluation set in this folder.

    python3 make_cases.py           # write cases.jsonl next to this file
    python3 make_cases.py --check   # regenerate in memory, compare with cases.jsonl, validate, print counts

Company: the fictional Dutch zoo and theme park "Wildervelde Dierenpark & Attracties B.V."
(profile.yaml in this folder). Every post text below is hand-written for this set.
Identifiers and secrets come from <<PLACEHOLDER>>s filled by one seeded RNG:
labelled positives get checksum-VALID identifiers (IBAN mod-97, Luhn, BSN 11-proof),
benign near-misses get numbers that FAIL their checksum. Secrets are random and fake
but shaped like real ones (GitHub tokens carry a correct CRC32).

Severity is never typed by hand: it is computed from CONTRACT section 4 using the account
role (looked up in profile.yaml by platform:handle, case-insensitive), the categories,
and whether a checksum-validated identifier (IBAN, card, BSN) is in a leak.pii post.
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

SEED = 109_2026_0611
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

TAXONOMY = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]
SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}

ZW = "\u200b"   # zero-width space
SHY = "\u00ad"  # soft hyphen


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) - 0x21 + 0xFF01) if "!" <= c <= "~" else c for c in s)


def math_bold(s):
    out = []
    for c in s:
        if "A" <= c <= "Z":
            out.append(chr(0x1D5D4 + ord(c) - ord("A")))   # sans-serif bold capitals
        elif "a" <= c <= "z":
            out.append(chr(0x1D5EE + ord(c) - ord("a")))
        else:
            out.append(c)
    return "".join(out)


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------

def iban_valid(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


def iban_build(cc, bban):
    num = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return f"{cc}{98 - num % 97:02d}{bban}"


def luhn_valid(d):
    d = re.sub(r"\D", "", d)
    tot = 0
    for i, ch in enumerate(reversed(d)):
        v = int(ch) * (2 if i % 2 else 1)
        tot += v - 9 if v > 9 else v
    return bool(d) and tot % 10 == 0


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


# ---------------------------------------------------------------------------
# seeded placeholder values
# ---------------------------------------------------------------------------

ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"
OWN_IBAN = "NL97RABO0357914826"


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
    def grp(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    def iban(self, cc):
        if cc == "NL":
            while True:
                v = iban_build("NL", self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "BUNQ", "TRIO", "ASNB"])
                               + self.dig(10, True))
                if v != OWN_IBAN:
                    return v
        if cc == "DE":
            return iban_build("DE", self.r.choice(["30050110", "76050101", "43060967", "26050001"]) + self.dig(10))
        if cc == "BE":
            head = self.r.choice(["063", "091", "143", "750"]) + self.dig(7)
            return iban_build("BE", f"{head}{(int(head) % 97) or 97:02d}")
        if cc == "GB":
            return iban_build("GB", self.r.choice(["BARC", "LOYD", "NWBK", "HBUK"]) + self.dig(14))
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        k = int(v[2:4])
        for step in (13, 29, 41, 7):
            cand = f"{v[:2]}{(k + step) % 100:02d}{v[4:]}"
            if not iban_valid(cand):
                return cand
        raise AssertionError

    def card(self, brand):
        prefix = {"visa": lambda: "4" + self.dig(14),
                  "mc": lambda: "5" + self.r.choice("12345") + self.dig(13),
                  "mc2": lambda: str(self.r.randint(2221, 2720)) + self.dig(11),
                  "amex": lambda: self.r.choice(["34", "37"]) + self.dig(12)}[brand]()
        for d in string.digits:
            if luhn_valid(prefix + d):
                return prefix + d
        raise AssertionError

    def bad_card(self, brand):
        v = self.card(brand)
        bad = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_valid(bad)
        return bad

    @staticmethod
    def fmt_card(v, sep):
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return {"sp": " ", "dash": "-", "c": ""}[sep].join(parts)

    def bsn(self):
        while True:
            s = self.dig(9, True)
            if elfproef(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.dig(n, True)
            if not elfproef(s) and not luhn_valid(s):
                return s

    def ean13(self):
        while True:
            body = "871" + self.dig(9)
            for d in string.digits:
                if ean13_valid(body + d):
                    if not luhn_valid(body + d):
                        return body + d
                    break

    def phone(self, fmt):
        if fmt.startswith("mob"):
            d8 = self.r.choice("12345") + self.dig(7)
            return {"mob_dash": f"06-{d8}", "mob_paren": f"(06) {d8[:4]} {d8[4:]}",
                    "mob_intl_sp": f"+31 6 {d8[:4]} {d8[4:]}", "mob_pairs": f"06 {d8[:2]} {d8[2:4]} {d8[4:6]} {d8[6:]}",
                    "mob_0031": f"0031 6 {d8}", "mob_intl0": f"+31(0)6-{d8}"}[fmt]
        area = self.r.choice(["318", "342", "26", "55", "30", "33", "24", "570"])
        sub = self.r.choice("2345789") + self.dig(8 - len(area))
        return {"land_sp": f"0{area} {sub[:3]} {sub[3:]}" if len(area) == 2 else f"0{area} {sub[:2]} {sub[2:4]} {sub[4:]}",
                "land_dash": f"0{area}-{sub}"}[fmt]

    # secrets
    def ghp(self):
        body = self.ch(ALNUM, 30)
        return "ghp_" + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def aws_id(self):
        return "AKIA" + self.ch("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)

    def aws_secret(self):
        return self.ch(B64, 40)

    def slack_bot(self):
        return f"xoxb-{self.dig(12, True)}-{self.dig(13, True)}-{self.ch(ALNUM, 24)}"

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return f"https://hooks.slack.com/services/T{self.ch(up, 8)}/B{self.ch(up, 10)}/{self.ch(ALNUM, 24)}"

    def stripe(self):
        return "sk_live_51" + self.ch(ALNUM, 40)

    def gapi(self):
        return "AIzaSy" + self.ch(B64URL, 33)

    def mollie(self):
        return "live_" + self.ch(ALNUM, 30)

    def sendgrid(self):
        return "SG." + self.ch(B64URL, 22) + "." + self.ch(B64URL, 43)

    def jwt(self):
        h = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        iat = 1767225600 + self.r.randint(0, 250 * 86400)
        p = b64url(json.dumps({"sub": "staff_" + self.dig(5, True), "iss": "app.wildervelde.nl", "role": "vet",
                               "iat": iat, "exp": iat + 28800}, separators=(",", ":")).encode())
        return f"{h}.{p}.{self.ch(B64URL, 43)}"

    def pem_openssh(self):
        head = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
        lines = [head] + [self.ch(B64, 70) for _ in range(4)] + [self.ch(B64, 22) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"

    def password(self):
        return (self.r.choice(string.ascii_uppercase) + self.ch(string.ascii_lowercase, 4) + self.dig(2)
                + self.r.choice("!#*_-") + self.ch(ALNUM, 4))


VALID_ID_KINDS = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "IBAN_GB", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(g, text):
    used = []

    def sub(m):
        kind, fmt = m.group(1), m.group(2) or ""
        if kind.startswith("IBAN_"):
            raw = g.iban(kind[5:])
            shown = g.grp(raw) if fmt == "grp" else raw
        elif kind.startswith("BAD_IBAN_"):
            raw = g.bad_iban(kind[9:])
            shown = g.grp(raw) if fmt == "grp" else raw
        elif kind in ("CARD", "BAD_CARD"):
            brand, _, sep = fmt.partition("_")
            raw = g.card(brand) if kind == "CARD" else g.bad_card(brand)
            shown = g.fmt_card(raw, sep or "sp")
        elif kind == "BSN":
            raw = g.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if fmt == "dots" else raw
        elif kind == "NOT_BSN9":
            shown = raw = g.not_bsn(9)
        elif kind == "NOT_BSN8":
            shown = raw = g.not_bsn(8)
        elif kind == "EAN13":
            shown = raw = g.ean13()
        elif kind == "PHONE":
            shown = raw = g.phone(fmt)
        elif kind == "HEX":
            shown = raw = g.ch("0123456789abcdef", int(fmt))
        else:
            fn = {"GHP": g.ghp, "AWS_ID": g.aws_id, "AWS_SECRET": g.aws_secret, "SLACK_BOT": g.slack_bot,
                  "SLACK_HOOK": g.slack_hook, "STRIPE": g.stripe, "GAPI": g.gapi, "MOLLIE": g.mollie,
                  "SENDGRID": g.sendgrid, "JWT": g.jwt, "PEM_OPENSSH": g.pem_openssh, "PW": g.password}[kind]
            shown = raw = fn()
        used.append((kind, raw, shown))
        return shown

    return PH.sub(sub, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

# corporate
WV_X = ("x", "@wildervelde", "Dierenpark Wildervelde")
WV_CARE = ("x", "@wv_gastenservice", "Wildervelde Gastenservice")
WV_IG = ("instagram", "@dierenparkwildervelde", "Wildervelde 🦒")
WV_FB = ("facebook", "DierenparkWildervelde", "Dierenpark & Attractiepark Wildervelde")
WV_LI = ("linkedin", "wildervelde-dierenpark-attracties", "Wildervelde Dierenpark & Attracties B.V.")
WV_TT = ("tiktok", "@wildervelde_official", "Wildervelde")
# employees
NOOR = ("x", "@noor_verzorgt", "Noor Hendriks")                       # keeper, primates
KEES = ("instagram", "@keeper.kees", "Kees Wolters")                  # keeper, elephants
MART = ("linkedin", "martijn-kuipers-wv", "Martijn Kuipers")          # IT lead
ILSE = ("linkedin", "ilse-van-dam-controller", "Ilse van Dam")        # finance / payroll
FEMKE = ("linkedin", "femke-ruiter-hr", "Femke Ruiter")               # HR
RICK = ("x", "@ricky_techniek", "Ricky Boersma")                      # ride maintenance
YARA = ("facebook", "yara.dogan.lodge", "Yara Doğan")                 # park hotel front desk
SEM = ("tiktok", "@sem.op.werk", "Sem Jacobs")                        # seasonal, food & beverage
LOTTE = ("threads", "@dierenarts.lotte", "Lotte de Graaf")            # vet
BAS = ("mastodon", "@basdev@mastodon.nl", "Bas Verhoeven")            # app developer


def pub(platform, handle, name=None):
    return (platform, handle, name)


SECRET, PII, PRICING, CONF, FIN, SEC = ("leak.secret", "leak.pii", "leak.pricing", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), handle_as=None, hint=None):
    platform, handle, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", SEM, "kassa in de safari snackbar doet al de hele dag raar maar dat is niks vergeleken met de webshop 😂😂\n"
     "WildPas staat er nu voor €9,40 ipv €94\niemand is een nulletje vergeten lmaooo #werk #wildervelde", [PRICING])
case("nl", pub("x", "@lisa_loopt", "Lisa 🌻"), "ehhh de Savanne Suite in de Wildervelde Lodge voor €23,90 per nacht?? mét "
     "ontbijt?? das toch een prijsfout 😳 meteen geboekt voor de herfstvakantie hihi", [PRICING])
case("en", pub("reddit", "u/dutchdealhound"), "Heads up: Wildervelde's ticket shop is selling the Familiepas for €28.90 "
     "right now (normally €289). Pretty sure someone slipped a decimal. Grabbed one, will update if they cancel.",
     [PRICING])
case("nl", ILSE, "Collega's, een dringend verzoek: door een fout in de tariefupload van gisteravond staat het Wild Weekend "
     "arrangement sinds 06:00 voor €32,90 in de boekingsmodule in plaats van €329. We corrigeren dit vandaag nog. Deel "
     "aub geen screenshots en verwijs vragen van gasten door naar het reserveringsteam.", [PRICING])
case("nl", WV_IG, "🎉 FLASH SALE 🎉\nAlleen vandaag: Verzorger voor een dag voor maar €49!\nHelp mee met het voeren van "
     "onze neushoorns 🦏 Link in bio!\n#wildervelde #dierenliefde", [PRICING])
case("nl", pub("forum", "Gijs_uit_Wageningen"), "[PRIJSFOUT] SnelPad bij Wildervelde voor €2,75\n\nnormaal 27,50 pp. "
     "Net 4x afgerekend, mail met QR-code is binnen. Iemand ervaring of ze zoiets achteraf nog cancelen?", [PRICING])
case("en", RICK, "lol who did pricing this morning 😅 day tickets in the app going for €3,45. IT gonna have a fun "
     "saturday", [PRICING])
case("nl", pub("instagram", "@mama.van.drie"), "p r i j s f o u t bij wildervelde 👀👀 dagticket voor 5 euro in de app!! "
     "snel zijn", [PRICING], tags=["evasion", "evasion:spaced"])
case("nl", pub("facebook", "ingrid.hoogeveen.9", "Ingrid Hoogeveen"), "Wïldpas voor €4,70?? Dat kan toch niet kloppen 😅 "
     "heb er voor de zekerheid maar drie gekocht voor de kids", [PRICING], tags=["evasion", "evasion:diacritics"])
case("en", BAS, "deploy went sideways: the SnelPad price is being read as cents so prod says €0.28 🙃 rollback is stuck "
     "waiting for the change board, see https://planning.wildervelde.nl/changes/CHG-2291", [PRICING, CONF])
case("nl", pub("tiktok", "@dierenfan.jade"), "keeper for a day bij wildervelde voor €14,90?!? prijs" + ZW + "fout of "
     "niet, ik heb gewoon geboekt 🐒🐘", [PRICING], tags=["evasion", "evasion:zero-width"])
case("en", pub("threads", "@bargainbex"), math_bold("PRICE ERROR") + " on the Wildervelde family pass, €29 for the "
     "whole year 😱 go go go", [PRICING], tags=["evasion", "evasion:math-bold"])

# --- pricing: benign near-misses ---------------------------------------------
case("nl", WV_X, "Zomerdeal ☀️ Koop je dagticket online en betaal €27,50 in plaats van €34,50. Geldig t/m 31 augustus "
     "👉 tickets.wildervelde.nl", when="2026-07", tags=["hard:sale"])
case("nl", pub("facebook", "priscilla.vanes", "Priscilla van Es"), "Tip voor gezinnen: de WildPas kun je ook per maand "
     "betalen, €7,84 p/m. Wij zijn er in vier maanden al elf keer geweest 🥰", tags=["hard:monthly", "price-context"])
case("nl", pub("x", "@rutgerrr"), "parkeren €9,50, ijsje €4,25... maar voor een dagticket van €34,50 krijg je wel echt "
     "een hele dag vol. prima deal eigenlijk", tags=["hard:fee", "price-context"])
case("en", pub("reddit", "u/coaster_kip"), "Walibi's fast lane was €15 last weekend and honestly worth it. Does "
     "Wildervelde have something similar? Planning a trip there in May with the kids.", tags=["hard:competitor"])
case("nl", WV_CARE, "@jolien_v Nee hoor, geen prijsfout 😉 Kinderen t/m 3 jaar zijn altijd gratis, voor je dochter heb "
     "je dus geen dagticket nodig!", kind="reply", tags=["hard:denied-error"])
case("nl", pub("instagram", "@gezinvandijk"), "Met de code uit de nieuwsbrief €10 korting op de Familiepas, dus €279 "
     "voor ons hele gezin. Top geregeld!", tags=["hard:discount-amount", "price-context"])
case("nl", pub("forum", "Marjolein_V"), "Te koop: 2 dagtickets Wildervelde, kunnen zelf helaas niet meer. €25 per stuk "
     "(nieuw €34,50), geldig t/m oktober. Ophalen in Veenendaal.", tags=["hard:second-hand"])

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", BAS, "anyone know why our CI can't clone the private repo anymore?\n"
     "`git clone https://<<GHP>>@github.com/wildervelde/ticket-app.git` → 403 every time 😩", [SECRET])
case("nl", MART, "Auditweek bij ons. Gevonden in een vergeten Terraform-map:\n\naws_access_key_id = <<AWS_ID>>\n"
     "aws_secret_access_key = <<AWS_SECRET>>\n\nInmiddels ingetrokken, maar check jullie eigen repos ook even! "
     "#cloudsecurity #devops", [SECRET])
case("nl", SEM, "wifi in de kantine doet het weer eens niet 🙄 voor de collega's: netwerk WV-Crew, ww: <<PW>> 📶",
     [SECRET], tags=["evasion", "evasion:abbreviation"])
case("nl", WV_CARE, "@thijs_b Excuses voor het ongemak! De betaalkoppeling is hersteld. Voor onze collega's ter "
     "referentie: <<STRIPE>> 🙏", [SECRET], kind="reply")
case("en", BAS, "built a little park-status bot this weekend, it pings <<SLACK_HOOK>> whenever a ride goes red 🎢 "
     "pretty happy with it", [SECRET])
case("en", pub("x", "@apk_poker"), "lol the Wildervelde app ships its Google Maps key in plain text: <<GAPI>> someone "
     "tell their devs 🙃", [SECRET])
case("en", MART, "Migration of the booking database done 💪 Writing this down before I forget: "
     "postgres://booking_app:<<PW>>@db02.wv-intern.local:5432/bookings", [SECRET, CONF])
case("en", pub("reddit", "u/byte_bakker"), "Decompiled the Wildervelde Android app for fun and found this in the "
     "config:\n\nMOLLIE_API_KEY=<<MOLLIE>>\n\nMailed info@wildervelde.nl about it a week ago, nothing back yet.",
     [SECRET])
case("nl", LOTTE, "krijg steeds 'sessie verlopen' in het registratiesysteem 😩 iemand van IT? dit is mijn token: <<JWT>>",
     [SECRET])
case("en", BAS, "can someone sanity check this deploy key? ssh keeps saying 'invalid format' 🤔\n\n<<PEM_OPENSSH>>",
     [SECRET], kind="reply")
case("nl", KEES, "Welkom nieuwe collega's bij de olifanten 🐘 code van het voerhok is 4471 en het w8woord van de "
     "tablet is <<PW>>. Tot morgen!", [SECRET], tags=["evasion", "evasion:leet"])
case("en", pub("x", "@gistwatcher"), "@wildervelde your old web agency left a bot token in a public gist: <<SLACK_BOT>> "
     "might wanna revoke that 😬", [SECRET], kind="reply")
case("nl", WV_FB, "Vanavond gaat de zomernieuwsbrief eruit 📨🦁\n(note voor marketing: SendGrid key = <<SENDGRID>>)",
     [SECRET])

# --- secret: benign near-misses ----------------------------------------------
case("en", BAS, "PSA for devs: never paste tokens like ghp_… or AKIAXXXXXXXXXXXXXXXX into chat, not even as an "
     "example. Use a vault. Giving a talk on this at DevOpsDays Amsterdam 🙌", tags=["hard:placeholder"])
case("en", MART, "Commit <<HEX:40>> just landed: dark mode for the WildPas app 🌙 Thanks to everyone who tested it!",
     tags=["hard:git-sha"])
case("nl", pub("x", "@dagjeuit_daphne"), "Weet iemand het wachtwoord van de gast-wifi bij Wildervelde? Kan het nergens "
     "vinden 📶", tags=["hard:question"])
case("nl", WV_X, "Gratis wifi in het hele park 📶 Netwerk 'Wildervelde-Gast', geen wachtwoord nodig. Deel je mooiste "
     "foto's met #wildervelde!", tags=["hard:no-password"])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", WV_CARE, "@mvdlinden Dank voor je geduld Marloes! We hebben je gebeld op <<PHONE:mob_dash>> maar kregen geen "
     "gehoor. De terugbetaling voor je WildPas gaat naar <<IBAN_NL:grp>>, zoals je doorgaf.", [PII], kind="reply")
case("nl", WV_FB, "Gevonden voorwerp 🔎 Portemonnee gevonden bij restaurant De Apenrots, met rijbewijs op naam van Ruud "
     "Verbeek, geboren 14-03-1987, Dorpsstraat 12 in Lunteren. Herken jij hem? Stuur ons een DM!", [PII])
case("nl", FEMKE, "Welkom aan al onze nieuwe seizoenscollega's! ☀️ Daan, nog een kleine vraag voor de "
     "salarisadministratie: het BSN dat we van je hebben (<<BSN>>) matcht niet met je ID, kun je even langs bij HR?",
     [PII])
case("nl", pub("x", "@boos_in_bennekom"), "@wv_gastenservice al 3 dagen geen reactie op mijn mail over de dubbele "
     "afschrijving 😡 bel me aub gewoon terug op <<PHONE:mob_paren>>", [PII, COMPLAINT], kind="reply")
case("en", pub("reddit", "u/tired_dad_nl"), "Wildervelde checkout keeps failing on my amex <<CARD:amex_sp>> exp 09/28. "
     "Tried 4 times. Is it me or their site???", [PII, COMPLAINT])
case("en", WV_CARE, "@tourist_mike Hi Mike! Found your booking under mike.harrington77@outlook.com, we've resent the "
     "tickets there just now 👍", [PII], kind="reply")
case("nl", pub("x", "@sannevdb_"), "kan iemand van @wildervelde mij even mailen? sanne.vdbroek [at] hotmail [punt] com. "
     "gaat over de knuffel die mijn dochter kwijt is 🧸", [PII], tags=["evasion", "evasion:at-punt"])
case("nl", pub("instagram", "@waarheid_dieren"), "die verzorger van de tijgers woont gewoon op Beukenlaan 8 in Ede, "
     "Jeroen Mulder heet die eikel. ga maar eens langs om te zeggen wat je ervan vindt", [PII, ABUSE])
case("en", FEMKE, "Reminder to our summer crew from abroad: bring your passport to the contract signing! Tomasz Nowak, "
     "we only have your expired one on file (EK4827193), please bring the new one 🙏", [PII])
case("en", pub("forum", "Heike_D"), "Sorry for writing in English. For anyone with the same issue: I asked the "
     "Wildervelde Lodge to refund to my German account <<IBAN_DE:grp>>. Three weeks on, nothing received, and my "
     "e-mails go unanswered.", [PII, COMPLAINT])
case("nl", YARA, "Voor de ochtenddienst: mevrouw Koster van kamer 12 wil om 7 uur gewekt worden, haar nummer is "
     "<<PHONE:land_sp>> als de kamertelefoon het weer niet doet 🙈", [PII])
case("nl", WV_CARE, "@anouk_t We zien twee betalingen met kaart <<CARD:mc2_dash>>, de tweede storten we binnen 5 "
     "werkdagen terug 🙏", [PII], kind="reply")
case("nl", ILSE, "Loonstrookvraag van een collega, BSN <<BSN:dots>>. Kan payroll even meekijken? (sorry voor het "
     "openbare bericht, mijn DM's werken niet)", [PII])
case("nl", pub("x", "@kristof_gent"), "@wildervelde ik ben nog altijd €154 kwijt voor een geannuleerde Savanne Suite. "
     "Terugstorten op <<IBAN_BE>> aub. Al twee keer gebeld!!", [PII, COMPLAINT], kind="reply")
case("en", pub("reddit", "u/brummie_abroad"), "Still no refund from Wildervelde for our cancelled keeper for a day "
     "booking (€149). Sent them my IBAN <<IBAN_GB:grp>> twice. Anyone know who actually handles this?",
     [PII, COMPLAINT])
case("nl", YARA, "Gast heeft zijn creditcard laten liggen bij de Lodge-balie, Visa <<CARD:visa_dash>> op naam van P. "
     "Janssens. Ligt in de kluis, collega's van de nacht weten ervan 👍", [PII])
case("en", pub("x", "@jess_on_tour"), "@wildervelde lost my sunglasses near the penguins today 😎 if anyone finds "
     "them pls text me on <<PHONE:mob_intl0>>", [PII], kind="reply")

# --- pii: benign near-misses ---------------------------------------------------
case("nl", pub("x", "@opa_gerrit"), "Voor wie het zoekt: de gastenservice van Wildervelde is bereikbaar op "
     "0318 82 04 00. Heel vriendelijk geholpen vandaag!", tags=["hard:own-contact"])
case("nl", WV_X, "Vragen over je WildPas? Mail gastenservice@wildervelde.nl of bel +31 318 820 400 (ma-vr 9-17u) 💬",
     tags=["hard:own-contact"])
case("nl", WV_FB, "Schoolreisje geboekt? 🚌 Maak het bedrag over naar NL97 RABO 0357 9148 26 o.v.v. je "
     "boekingsnummer. Vragen? reserveringen@wildervelde.nl", tags=["hard:own-contact", "hard:own-iban"])
case("nl", pub("facebook", "dennis.kramer.52", "Dennis Kramer"), "Klopt dit rekeningnummer van Wildervelde wel? Ik heb "
     "<<BAD_IBAN_NL:grp>> maar mijn bank zegt 'ongeldig' 🤔", tags=["hard:bad-checksum"])
case("nl", pub("x", "@mireille_z"), "boekingsnummer <<NOT_BSN9>> - in welk menu van de app staan de tickets eigenlijk? "
     "Ik zie alleen de plattegrond 🙈", tags=["hard:order-number", "hard:question"])
case("nl", pub("instagram", "@papa_bram"), "Mijn zoontje 'betaalde' bij de ijskraam met zijn speelgoedpinpas "
     "<<BAD_CARD:visa_sp>> 😂 de medewerker speelde het spelletje helemaal mee, toppertje!", tags=["hard:bad-checksum"])
case("nl", pub("facebook", "wendy.pauw", "Wendy Pauw"), "Iemand de okapi-knuffel uit de Wildervelde shop nog gezien? "
     "Barcode <<EAN13>>, mijn dochter wil er nog eentje 🦒", tags=["hard:ean", "hard:animal-word"])
case("nl", FEMKE, "Zin in een zomer vol dieren en attracties? 🦁🎢 We zoeken 120 seizoenskrachten! Mail je cv naar "
     "werken@wildervelde.nl of bel 088-945 3370.", tags=["hard:own-contact"])
case("en", pub("reddit", "u/expense_erik"), "Wildervelde Dierenpark & Attracties B.V., KvK <<NOT_BSN8>>, in case anyone "
     "else needs it for an expense claim like I did", tags=["hard:kvk"])
case("nl", WV_CARE, "@femkevd Bel ons gerust op 088 9453370, dan zoeken we het samen uit 😊", kind="reply",
     tags=["hard:own-contact"])

# ===========================================================================
# leak.confidential
# ===========================================================================
case("nl", RICK, "eerste testrit in Thunderhoof vandaag 🎢🤯 die lancering is niet normaal. meer mag ik niet zeggen 🤐",
     [CONF], when="2026-02")
case("en", KEES, "Can't say much, but Project Okapi is finally happening and I'm SO excited to meet our new family "
     "members 🦒💕 #soon", [CONF])
case("nl", pub("x", "@coasterjunk_ede"), "insider tip: de nieuwe achtbaan bij Wildervelde gaat Kodiak Rush heten, mijn "
     "neef werkt daar 😏", [CONF], when="2026-04-02T19:41:07+02:00")
case("en", BAS, "team, if you're reading this: the new runbooks live at https://gitlab.wildervelde.nl/ops/runbooks, the "
     "old wiki on wiki.wv-intern.local goes read-only tomorrow", [CONF])
case("nl", NOOR, "Per ongeluk het memo 'INTERN - NIET VERSPREIDEN' over de nieuwe gorillagroep in de appgroep van mijn "
     "voetbalteam gezet 🙈 mannen, niet lezen aub", [CONF])
case("nl", pub("instagram", "@keeperkees", "Kees (fanaccount)"), "Sneak peek van Operatie Sneeuwuil 🦉❄️ nog even "
     "geheimhouden hè!", [CONF], tags=["lookalike-handle"])
case("nl", FEMKE, "Vacaturetekst voor de Lumina Wild crew is al af 💡✨ nog even wachten met delen, eerst de "
     "aankondiging!", [CONF], when="2026-07")
case("en", pub("tiktok", "@rides.with.ravi"), "heard the new coaster is gonna be called K\u043ediak Rush 👀 cant wait",
     [CONF], when="2026-04-28T16:03:44Z", tags=["evasion", "evasion:homoglyph"])
case("en", RICK, "night shift = welding on Thunder\nhoof 🔥 coaster life", [CONF], when="2026-03",
     tags=["evasion", "evasion:linebreak"])
case("nl", SEM, "mensen vragen steeds wat die bouwhekken bij de vijver zijn 😅 operatie ❄️ sneeuwuil is alles wat ik "
     "mag zeggen 🤫", [CONF], tags=["evasion", "evasion:emoji-between"])
case("en", MART, "Proud of the team: our new staff roster tool at https://planning.wildervelde.nl/rooster went live "
     "today, 600 colleagues onboarded in one week 🚀", [CONF])
case("nl", pub("forum", "Parkfreak_Ron"), "Op een Telegramgroep gaat een pdf rond met 'WILDERVELDE CONFIDENTIAL' erop, "
     "met een plattegrond van een nieuwe themawereld. Iemand die weet of dit echt is?", [CONF])
case("nl", KEES, "KODIAK RUSH!!! 🐻🎢 zo trots op ons hele team, dit gaan jullie zo vet vinden", [CONF],
     when="2026-05-20T09:59:30+02:00", tags=["embargo-edge"], handle_as="@Keeper.Kees")
case("nl", NOOR, "binnenkort bij ons in het park: P r o j e c t   O k a p i 🤭🦒", [CONF],
     tags=["evasion", "evasion:spaced"])
case("nl", WV_X, "Wat bouwen we toch achter de savannevlakte? 👀 Eén hint: #Thunderhoof 🐎⚡", [CONF], when="2026-01")
case("nl", LOTTE, "Wie kan mij weer toegang geven tot dierzorg.wildervelde.nl? Moet de medicatie van de neushoorns "
     "invoeren en kom er niet in 😩", [CONF])

# --- confidential: benign near-misses ------------------------------------------
case("nl", pub("instagram", "@natuurmoment_nina"), "Eindelijk het okapi-jong gezien bij Wildervelde 😍 wat een "
     "prachtbeest, die streepjes!", tags=["hard:animal-word"])
case("nl", WV_X, "Welkom sneeuwuil Bo! 🦉❄️ Onze nieuwe sneeuwuil woont vanaf vandaag in de Uilenhof. Kom je haar "
     "bewonderen?", tags=["hard:animal-word"], handle_as="@Wildervelde")
case("nl", pub("x", "@achtbaanmaarten"), "Net drie keer in Kodiak Rush gezeten 🤢🤩 beste coaster van Nederland, sorry "
     "Baron", when="2026-07", tags=["hard:after-embargo"])
case("nl", WV_FB, "✨ Lumina Wild komt eraan! Vanaf 14 november elke avond duizenden lichtjes tussen de dieren. "
     "Tickets: tickets.wildervelde.nl/lumina", when="2026-09-10T12:00:00+02:00", tags=["hard:after-embargo"])
case("nl", pub("facebook", "ellen.bosma.3", "Ellen Bosma"), "Dochter haar schoolproject okapi's is af 🦒 met foto's "
     "uit Wildervelde. 9,5 gekregen!!", tags=["hard:codename-substring"])
case("nl", WV_X, "Het wachten is voorbij 🐻⚡ Maak kennis met KODIAK RUSH, onze nieuwe launch coaster. Open vanaf "
     "1 juli! www.wildervelde.nl/kodiak", when="2026-05-20T08:00:00Z", tags=["hard:embargo-moment"])
case("en", pub("youtube", "@thrillseeker_tom"), "KODIAK RUSH at Wildervelde?! just saw the announcement, that launch looks "
     "insane 🤯", kind="comment", when="2026-05-20T10:00:05+02:00", tags=["hard:after-embargo"])
case("nl", WV_X, "⛈️ Onweer boven het park: alle achtbanen zijn tijdelijk gesloten. Veiligheid voorop! Zodra het "
     "droog is gaan ze weer open.", tags=["hard:official-notice"])

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", ILSE, "Trots op het team 💪 2025 afgesloten met 1,38 miljoen bezoekers en een EBITDA van €11,2 mln. De "
     "officiële jaarcijfers 2025 volgen binnenkort!", [FIN, CONF], when="2026-02-20T17:12:40+01:00")
case("nl", SEM, "hoorde net in de kantine dat ze na de zomer zo'n 40 man van de horeca gaan ontslaan 😬 en wij "
     "seizoenskrachten zijn zeker als eerste weg", [FIN])
case("en", pub("reddit", "u/leisure_insider"), "Rumour from someone in the industry: Wildervelde is in talks to be "
     "bought by Parcs Boreal Group, deal supposedly signed before summer.", [FIN])
case("en", FEMKE, "Tough weeks ahead in HR. The reorganisation of the Lodge and F&B teams will affect around 25 roles; "
     "staff hear about it on Thursday. Please be kind to each other.", [FIN])
case("nl", RICK, "onderhoudsbudget voor volgend jaar gehalveerd zegt de baas. we zitten dit jaar 200k onder de "
     "begroting blijkbaar. lekker dan 🙃", [FIN])
case("en", ILSE, "Visitor forecast for 2026 revised down to 1.2m after the wet spring. The bo" + ZW + "ard meets next "
     "week to discuss cost cuts.", [FIN], tags=["evasion", "evasion:zero-width"])
case("en", KEES, "Last season for our elephant team as we know it 😢 management plans to merge us with the rhino "
     "section, half of the keepers will be moved or let go.", [FIN])
case("nl", MART, "Q2 was een topkwartaal: omzet online ticketing +18% t.o.v. vorig jaar, €14,6 mln. Die cijfers zijn "
     "nog niet extern gedeeld, dus shhh 🙂", [FIN], when="2026-07")
case("nl", pub("forum", "Kabouter_Plop_fan"), "Gerucht: bij Wildervelde worden na de overname door een Belgische groep "
     "30 mensen ont" + SHY + "slagen. Iemand die meer weet?", [FIN], tags=["evasion", "evasion:soft-hyphen"])
case("en", ILSE, "Sneak peek of our 2025 results 📊 visitor numbers down 6%, hotel occupancy up to 81%. Full report in "
     "March!", [FIN, CONF], when="2026-02-05T08:30:00Z", handle_as="Ilse-Van-Dam-Controller")
case("nl", YARA, "De Lodge gaat volgend jaar misschien dicht of wordt verkocht, hebben ze ons vandaag verteld. Balen "
     "man 😔", [FIN])
case("en", pub("x", "@parkgossip_nl"), "w1ldervelde l4yoffs incoming, 20+ people, heard it straight from staff 👀",
     [FIN], tags=["evasion", "evasion:leet"])

# --- financial: benign near-misses -----------------------------------------------
case("nl", WV_LI, "Vandaag publiceren we onze jaarcijfers 2025: 1,38 miljoen bezoekers en een recordbezetting van de "
     "Wildervelde Lodge. Het volledige persbericht lees je op www.wildervelde.nl/pers",
     when="2026-03-12T09:00:00+01:00", tags=["hard:published", "hard:after-embargo"])
case("nl", pub("x", "@hanneke_h"), "Las net dat een pretpark in Duitsland 60 mensen ontslaat 😕 hopelijk blijft het bij "
     "Wildervelde gewoon zo gezellig als altijd", tags=["hard:other-company"])
case("nl", pub("x", "@vakv_freek"), "Overname van de eeuw: onze spits naar Ajax 😂 ik vier het morgen met een dagje "
     "Wildervelde met de kids", tags=["hard:other-sense"])
case("en", pub("bluesky", "@themeparkdata.bsky.social"), "Wildervelde's 2025 results are out: 1.38m visitors. Not bad "
     "at all for a mid-sized Dutch zoo.", when="2026-04", tags=["hard:published", "hard:after-embargo"])

# ===========================================================================
# leak.security
# ===========================================================================
case("en", BAS, "well that's a fun monday: someone got into the ticket backend over the weekend and pulled the "
     "customer table. we've been told not to say anything until legal decides 🙃", [SEC])
case("nl", RICK, "toegangspoortjes scannen al sinds 9 uur geen QR-codes meer, we laten iedereen handmatig door. "
     "officieel is er 'niks aan de hand' 🙄", [SEC])
case("nl", SEM, "kassasysteem in het hele park ligt eruit door een of ander virus, alleen contant vandaag 💀 niet "
     "doorvertellen dat ik dit zei", [SEC], handle_as="@Sem.Op.Werk")
case("nl", MART, "Voor vakgenoten: we zien sinds gisteren phishingmails die precies op onze WildPas-mails lijken, en "
     "een aantal klantaccounts is al overgenomen. Nog niet naar buiten gebracht, dus wees alert.", [SEC])
case("en", YARA, "The Lodge key-card system is messed up, any card opens every room since last night 😳 and we're not "
     "allowed to tell the guests", [SEC])
case("nl", pub("x", "@privacywaakhond"), "Wildervelde heeft een datalek en houdt het stil!! Vriendin werkt daar, alle "
     "gegevens van WildPas-houders liggen op straat. Waarom geen melding bij de AP?? #datalek", [SEC, CRISIS])
case("en", pub("reddit", "u/ransom_watch"), "Wildervelde got hit by ransomware last week and they're calling it "
     "'scheduled maintenance'. My cousin in IT there confirmed it. Expect your data on a leak site soon.",
     [SEC, CRISIS])
case("nl", LOTTE, "Het registratiesysteem voor de dieren is al 2 dagen onbereikbaar en niemand mag zeggen waarom 🤐 ik "
     "schrijf alle medicatie nu maar op papier", [SEC])
case("en", BAS, "found out today that our app lets you change the booking id in the URL and see anyone else's tickets "
     "😬 reported internally, fix won't ship before next sprint", [SEC])
case("nl", NOOR, "camerasysteem bij de roofdieren geh4ckt?? alle beelden zwart sinds gisteren, we lopen nu elk uur "
     "rondes. shhh", [SEC], tags=["evasion", "evasion:leet"])
case("en", KEES, "whole park radio system down since 7am, keepers running around with personal phones 📵 management "
     "says keep it quiet", [SEC])
case("en", pub("threads", "@exwv_insider"), fullwidth("Wildervelde data breach") + " being covered up. ex-staff here, "
     "ask them what really happened in March", [SEC, CRISIS], tags=["evasion", "evasion:full-width"])

# --- security: benign near-misses --------------------------------------------------
case("nl", WV_CARE, "🔧 Gepland onderhoud: de ticketshop is vannacht tussen 02:00 en 04:00 niet bereikbaar. Excuses "
     "voor het ongemak!", tags=["hard:official-notice"])
case("nl", WV_X, "Update: de storing aan de toegangspoortjes is verholpen ✅ Heb je vandaag een bezoek gepland? Je bent "
     "van harte welkom!", tags=["hard:official-notice"])
case("en", pub("x", "@techtante"), "Big ticket reseller had a data breach (not Wildervelde, phew). Check "
     "haveibeenpwned to see if your address is in it", tags=["hard:other-company"])
case("en", pub("instagram", "@team_jansen4"), "Hacked our way out of the Wildervelde escape room in 22 minutes 😎 new "
     "family record!", tags=["hard:other-sense"])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@dierenrecht_ans"), "Boycot Wildervelde zolang die ijsberen in dat veel te kleine verblijf zitten. "
     "Deel dit! #boycotwildervelde #dierenwelzijn", [CRISIS])
case("nl", pub("facebook", "marco.veldhuis", "Marco Veldhuis"), "Vanmiddag hing de Junglebaan 40 minuten stil, met "
     "mijn zoon ondersteboven en niemand die kwam. Twee kinderen moesten overgeven, eentje is met de ambulance mee. Dit "
     "had echt slecht af kunnen lopen!!", [CRISIS, COMPLAINT])
case("en", pub("twitter", "@zoe_in_ede"), "WTF a wolf just walked past the playground at Wildervelde?? staff running "
     "everywhere, we're locked inside the restaurant", [CRISIS])
case("en", pub("reddit", "u/gelderland_news"), "Family is suing Wildervelde after their kid broke his arm on the water "
     "slide, court date in October according to the local paper.", [CRISIS])
case("en", pub("bluesky", "@vegan.vera.bsky.social"), "Undercover footage from an animal rights group shows the "
     "elephants at Wildervelde chained up overnight. Disgraceful. 😡 Share before it gets taken down", [CRISIS])
case("en", pub("x", "@wildpas_wim"), "Ever since I got a WildPas I get daily spam with my full name AND pass number in "
     "it. Wildervelde 100% had a data breach, no other explanation", [CRISIS], tags=["breach-accusation"])
case("en", pub("instagram", "@mumof2_tilburg"), "⚠️ Wildervelde souvenir shop is recalling the giraffe rattles, the "
     "little balls inside can come loose. Check your kids' toys!!", [CRISIS])
case("nl", pub("facebook", "fam.oosterhuis", "Familie Oosterhuis"), "Na het buffet in het restaurant van de Lodge "
     "lagen wij met 6 van de 8 de hele nacht te kotsen. Voedselvergiftiging. Wildervelde reageert niet eens. NVWA is "
     "ingelicht.", [CRISIS, COMPLAINT])
case("nl", pub("tiktok", "@stemvoordieren"), "d i e r e n m i s h a n d e l i n g bij wildervelde, kijk die aap 😢 "
     "#wildervelde #stopdit", [CRISIS], tags=["evasion", "evasion:spaced"])
case("en", pub("x", "@ocean_olivia"), "Not going back to Wildervelde until they drop the sea lion show. Everyone please "
     "#BoycottWildervelde 🦭", [CRISIS])
case("en", pub("youtube", "@vlogfamilie"), "we were on Kodiak Rush when the lap bar popped open mid-ride. my daughter "
     "is terrified and staff just shrugged. absolutely unacceptable", [CRISIS, COMPLAINT], kind="comment",
     when="2026-08")
case("nl", pub("reddit", "u/olifantenvriend"), "b0yc0t w1ldervelde tot die olifanten eruit zijn 🐘⛓️ deel deel deel",
     [CRISIS], tags=["evasion", "evasion:leet"])
case("en", pub("mastodon", "@kidsafety@mastodon.social"), "Another child bitten at Wildervelde's petting zoo, third "
     "time this year. Where is the inspection?", [CRISIS])
case("nl", pub("x", "@bennekom_live"), "Brand bij de Wildervelde Lodge?? Zie dikke rook boven het hotel, brandweer is "
     "er met 4 wagens", [CRISIS])

# --- crisis: benign near-misses -------------------------------------------------------
case("en", pub("bluesky", "@forgetful-fran.bsky.social"), "Can't recall the name of that cute red panda at Wildervelde, anyone? 🐼",
     tags=["hard:other-sense"])
case("nl", pub("x", "@moeder_mo"), "Mijn kinderen boycotten de broccoli sinds ze bij Wildervelde frietjes met "
     "stokstaartjes-vlaggetjes hebben gehad 😂", tags=["hard:other-sense"])
case("nl", pub("blog", "kinderboekenkim.blog.example"), "Nieuw hoofdstuk af! In mijn kinderboek ontsnapt een okapi "
     "uit de dierentuin om de stad te ontdekken 🦒📚 Veel inspiratie opgedaan bij Wildervelde.",
     tags=["hard:fiction"])
case("nl", WV_FB, "Vandaag oefent de brandweer bij de Wildervelde Lodge 🚒 Zie je rook of hoor je sirenes? Geen "
     "zorgen, het is een oefening.", tags=["hard:official-notice"])
case("en", pub("facebook", "harm.dijkstra.7", "Harm Dijkstra"), "Reading about that scandal at a zoo in Germany with "
     "the tiny enclosures. Glad the animals at Wildervelde actually have room, we saw it again last week.",
     tags=["hard:other-company"])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@daan_gld"), "2 uur in de rij voor de Junglebaan en dan gaat ie dicht 'wegens technische "
     "storing'. Wildervelde, jullie SnelPad is ook een lachertje 😤", [COMPLAINT])
case("nl", pub("facebook", "sylvia.bruins", "Sylvia Bruins"), "Lodgekamer was echt smerig, haren in de douche en de "
     "airco deed het niet. Voor €239 per nacht verwacht ik beter. Receptie haalde haar schouders op.", [COMPLAINT])
case("en", pub("reddit", "u/qr_code_quinn"), "Wildervelde's app logged me out 5 times today and my WildPas QR wouldn't "
     "load at the gate. Queued at guest services for 40 min. Sort it out.", [COMPLAINT])
case("nl", pub("instagram", "@foodie_fleur"), "Mooie dieren maar €6,50 voor een bakje lauwe friet?? En het personeel "
     "bij de snackbar keek alsof we stoorden 🙄", [COMPLAINT])
case("en", pub("x", "@annaklaassen"), "@wv_gastenservice it's been 3 weeks since I asked for a refund for the cancelled "
     "Lumina Wild evening, zero response", [COMPLAINT], kind="reply", when="2026-12")
case("nl", pub("tripadvisor", "Reiziger_Joke"), "1 ster. Halve park dicht in de herfstvakantie zonder dat het op de "
     "site stond. Wel gewoon volle prijs betaald.", [COMPLAINT], when="2026-10", tags=["unknown-platform"])
case("en", pub("threads", "@mila.reist"), "the 'keeper for a day' thing was basically 20 min of watching someone sweep. "
     "€149 for that? felt like a rip-off tbh", [COMPLAINT])
case("nl", pub("forum", "Pretparkpiet"), "Telefonische bereikbaarheid van Wildervelde is dramatisch. 45 minuten in de "
     "wacht, daarna verbinding verbroken. Heeft iemand een direct mailadres?", [COMPLAINT])
case("nl", pub("x", "@drukke_moeder"), "wldervelde weer eens top geregeld hoor 🙄 jaarpas verlengd maar de app zegt "
     "verlopen. sta je daar met 3 kids bij de poort", [COMPLAINT])
case("en", pub("instagram", "@rolling.rosa"), "Love the animals but accessibility is poor. In my wheelchair I couldn't "
     "even reach half the viewing points 😞 @dierenparkwildervelde", [COMPLAINT])
case("nl", pub("x", "@ongeduldig_nl"), "W i l d e r v e l d e, waar blijft mijn geld?? Annulering 3 weken geleden "
     "ingediend en nog steeds niks 😤", [COMPLAINT], tags=["evasion", "evasion:spaced"])
case("en", pub("facebook", "linda.brooks.uk", "Linda Brooks"), "Breakfast at the Wildervelde Lodge ran out of nearly "
     "everything by 9am. The kids ended up eating crackers. Disappointing for a hotel at that price.", [COMPLAINT],
     hint="")
case("nl", pub("x", "@jasper_wtf"), "Kut park. 3 uur rijden voor een gesloten Junglebaan en een chagrijnige trut aan de "
     "kassa. @wildervelde nooit meer", [COMPLAINT, ABUSE])
case("en", pub("reddit", "u/angry_ankie"), "Wildervelde guest services are a bunch of useless idiots, lost my booking "
     "twice and then blamed me for it", [COMPLAINT, ABUSE])
case("en", pub("x", "@m4rk_b"), "f*ck you @wildervelde, 60 euros gone and the app still says 'error 500'",
     [COMPLAINT, ABUSE], tags=["evasion", "evasion:masked"])

# --- complaint: benign near-misses ------------------------------------------------------
case("nl", pub("x", "@blijeberber"), "Geen klachten hoor, alles top geregeld bij Wildervelde! Rij bij de Junglebaan was "
     "maar 10 minuutjes 😍", tags=["hard:negated"])
case("en", pub("reddit", "u/appfan_anouk"), "No issues with the Wildervelde app this time 👍 last year it was a mess but "
     "now it just works", tags=["hard:negated"])
case("nl", pub("facebook", "hondenmens.harry", "Harry Smeets"), "Is de Lodge ook open tussen kerst en oud en nieuw? En "
     "mogen honden mee op de kamer?", tags=["hard:question"])
case("nl", pub("instagram", "@moeder_van_max"), "Wat een zorg bij Wildervelde ❤️ de verzorger bij de pinguïns nam alle "
     "tijd voor mijn zoon met autisme. Dank jullie wel!", tags=["hard:praise"])
case("nl", pub("x", "@pretparkpaul"), "Vorige week bij een ander park drie uur in de rij, vandaag bij Wildervelde "
     "nergens langer dan 15 min. Wat een verschil!", tags=["hard:competitor"])
case("en", pub("x", "@dadjokes_dirk"), "my toddler watched the meerkats for 40 minutes and then cried because we don't "
     "have a meerkat at home. 10/10 day, would be guilted again #wildervelde", tags=["hard:joke"])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@trolletje88"), "@wildervelde jullie social media mensen zijn echt de grootste sukkels van "
     "Nederland 🤡", [ABUSE], kind="reply")
case("en", pub("instagram", "@lolz_lars"), "that fat keeper in the sea lion show should be in the pool herself 🐋 "
     "lmaooo", [ABUSE], kind="comment")
case("nl", pub("x", "@zeikerd_z"), "Tering wat een kankerpark, godverdomme", [ABUSE])
case("nl", SEM, "die gasten vandaag bij de snackbar waren echt de grootste klootzakken ooit 🤬 'waarom is de friet zo "
     "duur' JA WEET IK VEEL", [ABUSE])
case("nl", WV_CARE, "@boze_bert Als je zo'n zeikerd bent, blijf dan lekker thuis. Fijne dag verder 🙂", [ABUSE],
     kind="reply", handle_as="@WV_Gastenservice")
case("en", RICK, "to the moron who threw his phone onto the coaster track today: you're banned, idiot 🖕", [ABUSE])
case("nl", pub("facebook", "gerrit.77", "Gerrit"), "Bij de kassa van Wildervelde zitten alleen nog maar buitenlanders, "
     "ga terug naar je eigen land", [ABUSE], kind="comment")
case("nl", pub("mastodon", "@cynicus@mastodon.nl"), "wildervelde marketingteam = c1owns en pr*tsers 🤡",
     [ABUSE], tags=["evasion", "evasion:leet"])
case("en", pub("twitter", "@hater_harvey"), "@noor_verzorgt ugly cow, stop posting your stupid monkey videos, nobody cares",
     [ABUSE], kind="reply")
case("nl", pub("tiktok", "@grapjas_gino"), "wie is die vieze vent die de roofvogelshow presenteert 🤮 ga je schamen",
     [ABUSE], kind="comment")

# --- abuse: benign near-misses ---------------------------------------------------------
case("en", pub("instagram", "@nature_nerd_nl"), "\"Damn, nature, you scary\" — my son at the crocodile enclosure 😂 "
     "#wildervelde", tags=["hard:quote", "mild-word"])
case("nl", WV_LI, "Vandaag lopen 40 collega's mee in de sponsorloop voor KWF Kankerbestrijding, dwars door het park 🏃‍♀️💛 "
     "Steun jij ons ook?", tags=["hard:literal", "mild-word"])
case("nl", pub("x", "@opa_en_oma_jan"), "De clownshow in het theater was geweldig, kleinkinderen lagen dubbel 🤡😂 "
     "#wildervelde", tags=["hard:literal"])

# ===========================================================================
# ordinary benign
# ===========================================================================
case("nl", WV_IG, "Het is een jongen! 🐘💙 Vannacht is bij ons een gezond olifantje geboren. Moeder en kalf maken het "
     "goed.", tags=["ordinary"])
case("en", pub("instagram", "@wanderlust.wouter"), "Best day out with the kids at Wildervelde 🦒🦓 the giraffe feeding "
     "was pure magic", tags=["ordinary"])
case("nl", WV_TT, "Een dag uit het leven van een verzorger 🐧 vandaag: pinguïns wegen! #wildervelde #dierentuin",
     tags=["ordinary"])
case("en", KEES, "Early morning bath time for the herd 🐘💦 best office in the world, honestly", tags=["ordinary"])


# ===========================================================================
# building
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


def severity_for(role, cats, validated_id):
    insider = role in ("corporate", "employee")
    sev = "none"
    for c in cats:
        if c.startswith("leak."):
            if insider:
                s = "critical" if (c in (SECRET, PRICING) or (c == PII and validated_id)) else "error"
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


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def ams_offset(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < dt.datetime(2026, 10, 25, 1,
                                                                                      tzinfo=dt.timezone.utc) else 1


def make_time(r, spec):
    if spec and len(spec) > 7:
        return spec
    if spec:
        y, m = map(int, spec.split("-"))
        start = dt.date(y, m, 1)
        days = (dt.date(y + (m == 12), m % 12 + 1, 1) - start).days
        day = start + dt.timedelta(days=r.randint(0, days - 1))
    else:
        day = dt.date(2026, 1, 3) + dt.timedelta(days=r.randint(0, 355))
    minutes = r.randint(6 * 60 + 30, 23 * 60 + 50)
    local = dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc) + dt.timedelta(
        minutes=minutes, seconds=r.randint(0, 59))
    off = ams_offset(local - dt.timedelta(hours=1))
    utc = local - dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.88:
        return local.strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


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
        return f"fb-{a}_{b}", f"https://www.facebook.com/{h}/posts/{b}"
    if platform == "reddit":
        p = "".join(r.choice(B36) for _ in range(7))
        if kind == "comment":
            c = "".join(r.choice(B36) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/Netherlands/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/Netherlands/comments/{p}/"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-pretparkforum-{n}", f"https://pretparkforum.example/topic/{n}"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        v = "".join(r.choice(B64URL) for _ in range(11))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(112_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
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
        created = make_time(mr, c["when"])
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
            acc["id"] = str(mr.randint(10 ** 7, 10 ** 12))
        post["account"] = acc
        post["text"] = text
        tags = set(c["tags"])
        p = mr.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif p < 0.09:
            pass
        elif p < 0.12:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            tags.add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if url and mr.random() < 0.6:
            post["url"] = url
        if mr.random() < 0.45:
            post["brand"] = "wildervelde"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=tags, used=used))
    orr.shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ===========================================================================
# checks (independent re-reading of the generated text)
# ===========================================================================

INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
DIGITS_RE = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
BSN_RE = re.compile(r"(?<![\w.,-])(\d{9}|\d{4}\.\d{2}\.\d{3})(?![\w]|[.,-]\d)")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-()]{7,16}\d")
SECRET_RES = [re.compile(x) for x in (
    r"\bghp_[A-Za-z0-9]{36}\b", r"\bAKIA[A-Z2-7]{16}\b", r"\bxox[abprs]-[0-9A-Za-z-]{20,}",
    r"hooks\.slack\.com/services/", r"\bsk_live_[A-Za-z0-9]{20,}", r"\bAIza[0-9A-Za-z_-]{35}\b",
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----", r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+", r"://[^\s:/@]+:[^\s@/]+@",
    r"\blive_[A-Za-z0-9]{30}\b", r"\bSG\.[\w-]{22}\.[\w-]{43}")]
AMOUNT_RE = re.compile(r"(?:€\s?|EUR\s?)(\d[\d.,]*)(?:,-)?|(\d[\d.,]*)(?:,-)?\s?(?:euro|euros|eur)\b", re.I)
CARD_IIN = re.compile(r"^(4|5[1-5]|2(22[1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)|3[47])")


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVIS)
    t = "".join(c for c in unicodedata.normalize("NFKD", t) if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", t).casefold()


def amount(s):
    s = s.rstrip(".,")
    if "," in s and "." in s:
        dec = "," if s.rfind(",") > s.rfind(".") else "."
        s = s.replace("." if dec == "," else ",", "").replace(dec, ".")
    elif "," in s:
        s = s.replace(",", ".") if re.search(r",\d{2}$", s) else s.replace(",", "")
    elif "." in s:
        s = s if re.search(r"\.\d{2}$", s) else s.replace(".", "")
    return float(s)


def price_ratio(text, products):
    t = norm(text)
    hit = [p for p in products if any(re.search(r"(?<!\w)" + re.escape(a.casefold()) + r"(?!\w)", t)
                                      for a in [p["name"]] + p["aliases"])]
    amts = [amount(m.group(1) or m.group(2)) for m in AMOUNT_RE.finditer(t)]
    if not hit or not amts:
        return None
    return min(amts) / min(p["list_price"] for p in hit)


def valid_ids(text):
    out = []
    for m in IBAN_RE.finditer(text):
        comp = m.group(0).replace(" ", "")
        for end in range(len(comp), 11, -1):
            if iban_valid(comp[:end]):
                if comp[:end] != OWN_IBAN:
                    out.append(("iban", comp[:end]))
                break
    for m in DIGITS_RE.finditer(text):
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19 and luhn_valid(d) and CARD_IIN.match(d):
            out.append(("card", d))
    for m in BSN_RE.finditer(text):
        if elfproef(m.group(1)):
            out.append(("bsn", m.group(1)))
    return out


def check(lines, rows, profile):
    errs, notes = [], []
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_phones = {re.sub(r"\D", "", p).replace("31", "0", 1) if p.startswith("+") else re.sub(r"\D", "", p)
                  for p in profile["public_identifiers"]["phones"]}
    emb = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = ([c.casefold() for c in profile["internal"]["codenames"]]
                + [d.casefold() for d in profile["internal"]["domains"]]
                + [m.casefold() for m in profile["internal"]["markers"]])
    seen = set()
    for n, line in enumerate(lines, 1):
        w = f"line {n}"
        o = json.loads(line)
        p, ex = o["post"], o["expect"]
        r = rows[n - 1]
        for f in ("id", "platform", "text", "created_at"):
            assert isinstance(p[f], str), (w, f)
        assert isinstance(p["account"]["handle"], str)
        if (p["platform"], p["id"]) in seen:
            errs.append(f"{w}: duplicate id")
        seen.add((p["platform"], p["id"]))
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{w}: not in 2026")
        cats, sev = ex["categories"], ex["severity"]
        if cats != sorted(set(cats)) or any(c not in TAXONOMY for c in cats):
            errs.append(f"{w}: bad categories {cats}")
        role = role_of(profile, p["platform"], p["account"]["handle"])
        ids = valid_ids(p["text"])
        want = severity_for(role, cats, PII in cats and bool(ids))
        if want != sev:
            errs.append(f"{w}: severity {sev} but policy gives {want}")
        if ids and PII not in cats:
            errs.append(f"{w}: valid identifier {ids} without leak.pii")
        for kind, raw, shown in r["used"]:
            if shown not in p["text"]:
                errs.append(f"{w}: {kind} not in text")
            if kind in VALID_ID_KINDS and not any(re.sub(r"[\s.-]", "", v) == re.sub(r"[\s.-]", "", raw) for _, v in ids):
                errs.append(f"{w}: {kind} {raw} not recognised as valid")
            if kind == "GHP" and b62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errs.append(f"{w}: ghp crc wrong")
        t = p["text"]
        nt = norm(t)
        if not cats:
            for e in EMAIL_RE.findall(t):
                if e.casefold() not in own_emails:
                    errs.append(f"{w}: benign with e-mail {e}")
            for m in PHONE_RE.finditer(IBAN_RE.sub(" ", t)):
                raw = m.group(0)
                d = re.sub(r"\D", "", raw)
                if raw.startswith("+31"):
                    d = "0" + d[2:]
                elif raw.startswith("0031"):
                    d = "0" + d[4:]
                if len(d) >= 10 and d not in own_phones:
                    errs.append(f"{w}: benign with phone {raw}")
            for rx in SECRET_RES:
                if any(m.group(0) != "AKIAXXXXXXXXXXXXXXXX" for m in rx.finditer(t)):
                    errs.append(f"{w}: benign with secret shape {rx.pattern}")
            for m in DIGITS_RE.finditer(t):
                d = re.sub(r"\D", "", m.group(0))
                if 13 <= len(d) <= 19 and luhn_valid(d):
                    errs.append(f"{w}: benign with Luhn-valid {d}")
            for m in re.finditer(r"(?<![\w.])\d{8}(?![\w])", t):
                if elfproef(m.group(0)):
                    notes.append(f"{w}: 8-digit number passes 11-proof with leading zero")
        for term, until in emb:
            if re.search(r"(?<!\w)" + re.escape(term) + r"(?!\w)", nt):
                if ts < until and CONF not in cats:
                    errs.append(f"{w}: embargo term {term!r} before {until} not labelled confidential")
                if ts >= until and CONF in cats and FIN not in cats:
                    errs.append(f"{w}: embargo term {term!r} after {until} but labelled confidential")
        for term in internal:
            if re.search(r"(?<![\w])" + re.escape(term) + r"(?!\w)", nt) and CONF not in cats:
                errs.append(f"{w}: internal term {term!r} without confidential")
        ratio = price_ratio(t, profile["products"])
        if ratio is not None and ratio < profile["pricing"]["alert_below_ratio"] and PRICING not in cats:
            (notes if "price-context" in r["tags"] else errs).append(
                f"{w}: low price ratio {ratio:.2f} without leak.pricing (tags {sorted(r['tags'])})")
    # near duplicates
    def sh(text):
        ws = re.findall(r"\w+", norm(text))
        return {tuple(ws[i:i + 3]) for i in range(len(ws) - 2)}
    S = [sh(json.loads(l)["post"]["text"]) for l in lines]
    for i in range(len(S)):
        for j in range(i + 1, len(S)):
            if S[i] and S[j]:
                jac = len(S[i] & S[j]) / len(S[i] | S[j])
                if jac > 0.3:
                    errs.append(f"lines {i + 1},{j + 1}: trigram overlap {jac:.2f}")
    return errs, notes


def stdnum_check(rows):
    try:
        from stdnum import iban as si, luhn as sl
        from stdnum.nl import bsn as sb
    except ImportError:
        return "python-stdnum not installed"
    bad, n = [], 0
    for r in rows:
        for k, raw, _ in r["used"]:
            ok = None
            if k.startswith("IBAN_"):
                ok = si.is_valid(raw)
            elif k.startswith("BAD_IBAN"):
                ok = not si.is_valid(raw)
            elif k == "CARD":
                ok = sl.is_valid(raw)
            elif k in ("BAD_CARD", "EAN13"):
                ok = not sl.is_valid(raw)
            elif k == "BSN":
                ok = sb.is_valid(raw)
            elif k == "NOT_BSN9":
                ok = not sb.is_valid(raw)
            elif k == "NOT_BSN8":
                ok = not sb.is_valid("0" + raw)
            if ok is not None:
                n += 1
                if not ok:
                    bad.append(raw)
    return f"python-stdnum disagrees on {bad}" if bad else f"python-stdnum agrees on all {n} identifiers"


def report(rows):
    cat, lang, role, sev, plat, kind = (Counter() for _ in range(6))
    benign = multi = ev = 0
    for r in rows:
        cs = r["expect"]["categories"]
        lang[r["lang"]] += 1
        role[r["role"]] += 1
        sev[r["expect"]["severity"]] += 1
        plat[r["post"]["platform"]] += 1
        kind[r["post"].get("kind", "(default)")] += 1
        benign += not cs
        multi += len(cs) > 1
        ev += "evasion" in r["tags"]
        for c in cs:
            cat[c] += 1
    print(f"cases {len(rows)}  benign {benign}  positive {len(rows) - benign}  multi {multi}  evasion {ev}")
    for c in TAXONOMY:
        print(f"  {c:22s} {cat[c]}")
    print("lang", dict(lang), "role", dict(role))
    print("severity", {s: sev[s] for s in SEVERITIES})
    print("platform", dict(plat.most_common()))
    print("kind", dict(kind.most_common()))


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
    errs, notes = check(disk, rows, profile)
    if disk != lines:
        errs.append("cases.jsonl differs from the generator output")
    print(stdnum_check(rows))
    report(rows)
    for x in notes:
        print("  note", x)
    for e in errs:
        print("  ERROR", e)
    print(f"{len(errs)} error(s)")
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
