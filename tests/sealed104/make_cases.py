#!/usr/bin/env python3
"""Blind evaluation set sealed104 for postwatch: generator and self-check.

    python3 make_cases.py            # write cases.jsonl next to this file
    python3 make_cases.py --check    # regenerate in memory, compare, validate, print counts

Company: Stuurmeester Rijopleidingen B.V. (profile.yaml), a fictional Dutch
driving-school chain with lesson packages, exam bookings, lesson cars, online
theory courses and a pupil app (StuurApp).

Every text is hand-written below. Identifiers and secrets come from placeholders
(<<KIND:fmt>>) filled by one seeded RNG, so the output is byte-for-byte
reproducible. Positives get checksum-valid IBANs / cards / BSNs; benign
look-alikes get numbers that fail their checksum. All secrets are random and fake
but shaped like the real ones (GitHub tokens carry a valid CRC32 checksum).

Severity is never typed by hand: it follows CONTRACT section 4 from the account
role (profile lookup by platform:handle, case-insensitive), the categories and
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

import yaml

SEED = 104_2026_0611
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
CATS = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
        "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]

ZW = "\u200b"     # zero-width space
ZWJ = "\u200d"    # zero-width joiner
SHY = "\u00ad"    # soft hyphen
CYR_S = "\u0405"  # Cyrillic capital DZE, looks like Latin S
CYR_s = "\u0455"  # Cyrillic small dze, looks like latin s
CYR_e = "\u0435"  # Cyrillic small ie, looks like latin e
CYR_o = "\u043e"  # Cyrillic small o


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------

def _iban_num(s):
    return int("".join(str(int(c, 36)) for c in s))


def iban_valid(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return _iban_num(s[4:] + s[:4]) % 97 == 1


def iban_build(cc, bban):
    return f"{cc}{98 - _iban_num(bban + cc + '00') % 97:02d}{bban}"


def luhn_valid(num):
    d = [int(c) for c in re.sub(r"\D", "", num)][::-1]
    if not d:
        return False
    tot = 0
    for i, x in enumerate(d):
        if i % 2:
            x *= 2
            x -= 9 if x > 9 else 0
        tot += x
    return tot % 10 == 0


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


def ean13_valid(s):
    return len(s) == 13 and sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(s)) % 10 == 0


B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "-_"
B64 = ALNUM + "+/"


def base62(n):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return s or "0"


def ghp_checksum_ok(tok):
    body, crc = tok[4:34], tok[34:]
    return base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0") == crc


# ---------------------------------------------------------------------------
# seeded value generators
# ---------------------------------------------------------------------------

OWN_IBAN = "NL96RABO0318447290"


class Values:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def num(self, n, lead=True):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if lead and s[0] == "0" else s

    def pick(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    # IBANs ---------------------------------------------------------------
    def iban(self, cc):
        if cc == "NL":
            while True:
                v = iban_build("NL", self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "BUNQ", "ASNB", "KNAB"])
                               + self.num(10))
                if v != OWN_IBAN:
                    return v
        if cc == "BE":
            head = self.r.choice(["001", "063", "310", "735", "850"]) + self.num(7, lead=False)
            return iban_build("BE", f"{head}{(int(head) % 97) or 97:02d}")
        if cc == "DE":
            return iban_build("DE", self.r.choice(["30050110", "36010043", "44010046", "10010010"])
                              + self.num(10, lead=False))
        if cc == "GB":
            return iban_build("GB", self.r.choice(["BARC", "NWBK", "HBUK"]) + self.num(14, lead=False))
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        for shift in (7, 19, 31, 45, 62):
            cand = f"{v[:2]}{(int(v[2:4]) + shift) % 100:02d}{v[4:]}"
            if not iban_valid(cand):
                return cand
        raise AssertionError

    # cards -----------------------------------------------------------------
    def card(self, brand):
        if brand == "visa":
            return luhn_finish("4" + self.num(14, lead=False))
        if brand == "mc":
            return luhn_finish("5" + self.r.choice("12345") + self.num(13, lead=False))
        if brand == "mc2":
            return luhn_finish(str(self.r.randint(2221, 2720)) + self.num(11, lead=False))
        if brand == "amex":
            return luhn_finish(self.r.choice(["34", "37"]) + self.num(12, lead=False))
        if brand == "maestro":
            return luhn_finish("6759" + self.num(14, lead=False))
        raise ValueError(brand)

    def bad_card(self, brand):
        v = self.card(brand)
        bad = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_valid(bad)
        return bad

    @staticmethod
    def card_fmt(v, style):
        if style == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if style == "dash" else " ").join(parts)

    # BSN and look-alikes ------------------------------------------------------
    def bsn(self):
        while True:
            s = self.num(9)
            if elfproef(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.num(n)
            if not elfproef(s) and not luhn_valid(s):
                return s

    def ean13(self):
        while True:
            body = "97890" + self.num(7, lead=False)
            full = next(body + c for c in "0123456789" if ean13_valid(body + c))
            if not luhn_valid(full):
                return full

    # phones ------------------------------------------------------------------
    def phone(self, fmt):
        m = self.r.choice("12345678") + self.num(7, lead=False)   # 8 digits after 06
        area = self.r.choice(["10", "20", "30", "33", "35", "40", "50", "70", "72", "76", "85"])
        sub = self.r.choice("2345678") + self.num(6, lead=False)
        return {
            "mob_dash": f"06-{m}",
            "mob_plain": f"06{m}",
            "mob_intl_sp": f"+31 6 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}",
            "mob_intl_c": f"+316{m}",
            "mob_pairs": f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}",
            "mob_0031": f"0031 6 {m[:4]} {m[4:]}",
            "mob_dots": f"06.{m[:4]}.{m[4:]}",
            "land_dash": f"0{area}-{sub}",
            "land_sp": f"0{area} {sub[:3]} {sub[3:]}",
        }[fmt]

    # secrets -------------------------------------------------------------------
    def ghp(self):
        body = self.pick(ALNUM, 30)
        return "ghp_" + body + base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def glpat(self):
        return "glpat-" + self.pick(URLSAFE.replace("-", "").replace("_", ""), 20)

    def mollie(self):
        return "live_" + self.pick(ALNUM, 30)

    def sendgrid(self):
        return "SG." + self.pick(URLSAFE, 22) + "." + self.pick(URLSAFE, 43)

    def aws_id(self):
        return "AKIA" + self.pick("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)

    def aws_secret(self):
        return self.pick(B64, 40)

    def gapi(self):
        return "AIzaSy" + self.pick(URLSAFE, 33)

    def xoxb(self):
        return f"xoxb-{self.num(11)}-{self.num(13)}-{self.pick(ALNUM, 24)}"

    def twilio(self):
        return "SK" + self.pick("0123456789abcdef", 32)

    def jwt(self):
        enc = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
        head = enc(json.dumps({"alg": "RS256", "typ": "JWT"}, separators=(",", ":")).encode())
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        body = {"sub": "instr-" + self.num(5), "iss": "https://app.stuurmeester.nl", "scope": "planning:write",
                "iat": iat, "exp": iat + 8 * 3600}
        return f"{head}.{enc(json.dumps(body, separators=(',', ':')).encode())}.{self.pick(URLSAFE, 86)}"

    def pem_ec(self):
        body = "MHcCAQEEI" + self.pick(B64, 55) + "oAoGCCqGSM49AwEHoUQDQgAE" + self.pick(B64, 88)
        lines = [body[i:i + 64] for i in range(0, len(body), 64)]
        return "-----BEGIN EC PRIVATE KEY-----\n" + "\n".join(lines) + "==\n-----END EC PRIVATE KEY-----"

    def password(self):
        words = ["Lesauto", "Rotonde", "Koppeling", "Spiegel", "Voorrang", "Parkeer", "Knipper", "Zebra"]
        return (self.r.choice(words) + self.num(2, lead=False) + self.r.choice("!#$%&*?")
                + self.pick(ALNUM, 4))

    def hexs(self, n):
        return self.pick("0123456789abcdef", n)


VALIDATED = {"IBAN_NL", "IBAN_BE", "IBAN_DE", "IBAN_GB", "CARD", "BSN"}
NEGATIVE = {"BAD_IBAN_NL", "BAD_IBAN_BE", "BAD_CARD", "NOT_BSN9", "NOT_BSN8", "EAN13"}
PLACEHOLDER = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def fill(vals, text):
    used = []

    def one(m):
        kind, fmt = m.group(1), m.group(2) or ""
        if kind.startswith("IBAN_"):
            raw = vals.iban(kind[5:])
            shown = " ".join(raw[i:i + 4] for i in range(0, len(raw), 4)) if fmt == "grp" else raw
        elif kind.startswith("BAD_IBAN_"):
            raw = vals.bad_iban(kind[9:])
            shown = " ".join(raw[i:i + 4] for i in range(0, len(raw), 4)) if fmt == "grp" else raw
        elif kind in ("CARD", "BAD_CARD"):
            brand, _, style = fmt.partition("_")
            raw = vals.card(brand) if kind == "CARD" else vals.bad_card(brand)
            shown = vals.card_fmt(raw, style or "sp")
        elif kind == "BSN":
            raw = vals.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if fmt == "dots" else (
                f"{raw[:3]} {raw[3:6]} {raw[6:]}" if fmt == "sp" else raw)
        elif kind == "NOT_BSN9":
            shown = raw = vals.not_bsn(9)
        elif kind == "NOT_BSN8":
            shown = raw = vals.not_bsn(8)
        elif kind == "EAN13":
            shown = raw = vals.ean13()
        elif kind == "PHONE":
            shown = raw = vals.phone(fmt)
        elif kind == "HEX":
            shown = raw = vals.hexs(int(fmt))
        else:
            gen = {"GHP": vals.ghp, "GLPAT": vals.glpat, "MOLLIE": vals.mollie, "SENDGRID": vals.sendgrid,
                   "AWS_ID": vals.aws_id, "AWS_SECRET": vals.aws_secret, "GAPI": vals.gapi, "XOXB": vals.xoxb,
                   "TWILIO": vals.twilio, "JWT": vals.jwt, "PEM_EC": vals.pem_ec, "PW": vals.password}[kind]
            shown = raw = gen()
        used.append((kind, raw, shown))
        return shown

    return PLACEHOLDER.sub(one, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

# corporate
SM_X = ("x", "@stuurmeester", "Stuurmeester Rijopleidingen")
SM_HELP = ("x", "@stuurmeester_help", "Stuurmeester Klantenservice")
SM_IG = ("instagram", "@stuurmeester.rijschool", "Stuurmeester")
SM_FB = ("facebook", "StuurmeesterRijopleidingen", "Stuurmeester Rijopleidingen")
SM_LI = ("linkedin", "stuurmeester-rijopleidingen", "Stuurmeester Rijopleidingen B.V.")
SM_TT = ("tiktok", "@stuurmeester", "Stuurmeester")
# employees
KEES = ("x", "@kees_rijinstructeur", "Kees Hoogendoorn")          # instructor, Amersfoort
LISA = ("instagram", "@lisa.rijdt", "Lisa Verhoef")               # instructor, Utrecht
MEHMET = ("linkedin", "mehmet-yilmaz-stm", "Mehmet Yılmaz")        # IT / platform lead
INGRID = ("linkedin", "ingrid-vandijk-stuurmeester", "Ingrid van Dijk")  # finance controller
ROOS = ("x", "@roos_planning", "Roos Smit")                       # planning / exam bookings
JOOST = ("tiktok", "@rijmetjoost", "Joost de Graaf")              # instructor with a TikTok
BAS = ("x", "@basdevapp", "Bas Mulder")                           # app developer


def pub(platform, handle, name=None):
    return (platform, handle, name)


PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle=None):
    """hint: override the post's lang field ('' = leave it out). handle: spell the handle differently."""
    platform, h, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle or h, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", ROOS, "eh collega's... in de webshop staat het Compleetpakket ineens op €189,50 ipv €1895 🙃 "
     "iemand is een nul vergeten. heb het doorgezet naar marketing maar tot die tijd lopen de boekingen gewoon door",
     [PRICING])
case("nl", pub("x", "@yaraa_x"), "WAT. Spoedcursus bij @stuurmeester voor €269?? dat moet een prijsfout zijn, "
     "normaal is die bijna 2700 😳 snel boeken voor ze het doorhebben", [PRICING])
case("en", pub("reddit", "u/dutchdrivingexpat"), "Heads up fellow expats: Stuurmeester's site lists the "
     "Startpakket 20 for €119.50 right now. Pretty sure someone dropped a digit, it's normally around 1.2k. "
     "Booked mine and saved a screenshot just in case.", [PRICING])
case("nl", SM_IG, "🏍️ ZOMERDEAL 🏍️\nMotorpakket A2 nu voor €174,90!\nAlleen deze week via de link in bio ☀️ "
     "#motorrijbewijs #A2 #stuurmeester", [PRICING])
case("en", BAS, "who touched the price seeds on prod 😅 TheorieOnline shows €3.99 in the app checkout. "
     "rolling back, hold your horses", [PRICING])
case("nl", pub("facebook", "monique.terpstra.9", "Monique Terpstra"), "Mijn dochter heeft net het Examenpakket "
     "geboekt bij Stuurmeester en er is maar €34,90 afgeschreven... klopt dat wel? Ik dacht dat het rond de 350 "
     "euro zat. Niet dat ik klaag hoor 😅", [PRICING], kind="comment")
case("nl", pub("tiktok", "@snelleschijf"), "p r ij s f o u t bij stuurmeester 🚨🚨 losse rijles voor €6,40 in de "
     "app, wie gaat er 20 boeken 😭 #rijles #prijsfout", [PRICING], tags=["evasion", "evasion:spaced"])
case("nl", KEES, "Leerling laat me net in de app zien dat haar Compleet 30 voor 95 euro is afgeschreven 😂 "
     "wie zit er aan de prijzen te prutsen? Niet rondvertellen tot het gefixt is aub", [PRICING])
case("nl", pub("forum", "kortingsjager_ede"), "[Prijsfout?] Stuurmeester Spoedcursus 10 dagen - €26,95\n\n"
     "Gewoon in het mandje gegooid en met iDEAL afgerekend. Bevestiging binnen. Iemand ervaring of ze dit "
     "nakomen of gaan ze moeilijk doen?", [PRICING])
case("en", pub("bluesky", "@noahdrives.bsky.social"), "stuurmeester's theory course (TheorieOnline) is going for "
     "€0,39 in the iOS app lmao. glitch or early black friday??", [PRICING])
case("nl", INGRID, "Collega's, even een intern puntje: door een fout in de prijsimport staat het Startpakket sinds "
     "gisteravond op €119,50. De lijst met geraakte orders staat op planbord.stuurmeester.nl/finance/prijsfout-juni. "
     "Graag niet extern communiceren.", [PRICING, CONF])
case("nl", pub("x", "@danique_rijdt"), f"{CYR_S}tuurmeester Motorpakket voor €17,49 😭😭 iemand heeft de komma "
     "verschoven, ik heb er gelijk eentje", [PRICING], tags=["evasion", "evasion:homoglyph"])
case("en", pub("youtube", "@gerritgaming"), "lol got the spoedcursus for 269 eur during that price error last "
     "night, confirmation mail and everything. lets see if they honour it", [PRICING], kind="comment")

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", BAS, "ci keeps failing on the StuurApp iOS build 🙄 anyone seen this?\n"
     "git clone https://oauth2:<<GLPAT>>@gitlab.stm-backoffice.nl/app/stuurapp-ios.git\n→ 403 Forbidden",
     [SECRET, CONF])
case("en", MEHMET, "Found this gem in an old Slack export while cleaning up our workspace:\n\n"
     "MOLLIE_API_KEY=<<MOLLIE>>\n\nYes, it has been revoked since. Scan your repos and chat logs, people. "
     "#devsecops #payments", [SECRET])
case("nl", ROOS, "inlog CBR-zakelijk voor het weekend (ik ben er niet): gebruiker stm-examens, wachtwoord "
     "<<PW>> 🙈 maandag verander ik het weer", [SECRET])
case("nl", KEES, "wifi op het lesbureau in Amersfoort is wéér veranderd 🙄 nieuw ww: Rijles2026!Amf. "
     "wie verzint dit", [SECRET], handle="@Kees_Rijinstructeur")
case("en", pub("reddit", "u/apk_poker"), "Stuurmeester's pupil app (StuurApp 4.3 for Android) bundles a SendGrid "
     "key in plain text: <<SENDGRID>>\nAnyone could send mail as their noreply address. Reported via their "
     "contact form two weeks ago, no reply.", [SECRET])
case("en", BAS, "note to self + everyone who keeps DMing me: staging db = "
     "postgres://stm_app:<<PW>>@db-staging.stuurmeester.local:5432/lessen", [SECRET, CONF])
case("nl", JOOST, "POV: je deelt per ongeluk je hele scherm tijdens de teamcall 🫣 (maps-key van de "
     "instructeursapp: <<GAPI>>) #rijinstructeur #oeps", [SECRET])
case("en", pub("forum", "sec_sietse"), "Someone on Stuurmeester's planning team pasted a bearer token in their "
     "public helpdesk chat, and the transcript is indexed:\nAuthorization: Bearer <<JWT>>\nStill accepted by "
     "their API as of this morning.", [SECRET])
case("nl", MEHMET, "Voor de collega's die de SFTP-koppeling met het CBR testen, tijdelijke sleutel hieronder "
     "(na de test trek ik 'm in):\n<<PEM_EC>>", [SECRET])
case("nl", KEES, f"wacht{ZW}woord van de tablets in de lesauto's is nu <<PW>> (sticker op het dashboard is "
     "eraf gevallen 🙃)", [SECRET], tags=["evasion", "evasion:zero-width"])
case("en", pub("blog", "hannekeaudits.nl", "Hanneke Bos"), "While reviewing the JavaScript bundle of a large Dutch "
     "driving school (Stuurmeester) I found working AWS credentials: <<AWS_ID>> with secret <<AWS_SECRET>>. "
     "The key has list access to one of their storage buckets. Disclosure timeline below.", [SECRET])
case("en", ROOS, "exam-alerts slackbot is down again 😩 token <<XOXB>>, can someone "
     "from IT have a look? I don't have the rights", [SECRET])
case("en", SM_HELP, "@jayden_moves So sorry about that! If the reset link still fails, log in with the "
     "temporary account we made: user jayden.m / password <<PW>> and change it straight away 🙏",
     [SECRET], kind="reply", handle="@Stuurmeester_Help")
case("nl", pub("x", "@sennakaya03"), "wie kan morgen voor mij een les inplannen in de stuurapp, zit in Turkije "
     "zonder bereik haha. inlog: senna.k03 / <<PW>> ❤️ niet misbruiken", [SECRET])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", LISA, "Planning morgen 📋☕\n07:30 Daan de Wit (ophalen Prinses Irenestraat 41, Bunnik)\n"
     "09:00 Sara Öztürk (station Driebergen)\nLet's go! #rijinstructrice", [PII])
case("nl", ROOS, "@kees_rijinstructeur examen van Yara El Idrissi (geb. 02-11-2007) is verzet naar donderdag, "
     "ze belt je zelf nog op <<PHONE:mob_dash>>", [PII], kind="reply")
case("nl", SM_HELP, "@m_vanleeuwen Je restitutie van €320 staat klaar en wordt overgemaakt naar "
     "<<IBAN_NL:grp>> t.n.v. M. van Leeuwen. Uiterlijk binnen 3 werkdagen!", [PII], kind="reply")
case("nl", INGRID, "Weet iemand van de administratie waarom de terugbetaling aan de ouders van Sem Vos "
     "(<<IBAN_BE>>) nog steeds niet verwerkt is? Ze wonen in Turnhout, vandaar de Belgische rekening.", [PII])
case("nl", KEES, "leerling zet haar BSN gewoon in de groepsapp voor de machtiging 🙈 <<BSN:dots>> "
     "— Femke haal dat aub weg", [PII])
case("nl", pub("x", "@lotte_vdb"), "@stuurmeester_help al 3x gebeld, bel me nou gewoon terug: <<PHONE:mob_intl_sp>>. "
     "mijn theorie-examen is overmorgen en de code van TheorieOnline doet het niet 😤", [PII, COMPLAINT])
case("nl", pub("facebook", "erik.vermeulen.71", "Erik Vermeulen"), "Beste Stuurmeester, mijn zoon Thijs "
     "Vermeulen (12-06-2008) wacht al 9 weken op een examendatum. Hij is bereikbaar via "
     "thijs.vermeulen08@gmail.com of <<PHONE:mob_pairs>>. Dit duurt echt veel te lang.", [PII, COMPLAINT])
case("en", pub("reddit", "u/stalled_again"), "paid for my exam package with card <<CARD:visa_sp>> and got charged "
     "TWICE. Stuurmeester support has ghosted me for 10 days now. How do I do a chargeback in NL?",
     [PII, COMPLAINT])
case("en", BAS, "debugging a failed payment for a pupil: card <<CARD:mc_dash>> exp 09/28 keeps getting declined "
     "by the PSP with code 05. ideas?", [PII])
case("en", pub("x", "@jpeeters_be"), "hey @stuurmeester can u send my lesson schedule to j.peeters [at] outlook "
     "[dot] com instead of my old address? thx 🙏", [PII], tags=["evasion", "evasion:obfuscated-email"])
case("nl", SM_FB, "Hoi Kim, we hebben je gegevens gevonden: Kim Hendriks, Molenweg 22, 3811 AB Amersfoort, "
     "geboren 30-01-2007. Klopt dit nog? Dan passen we het ophaaladres voor je lessen aan 😊", [PII], kind="reply")
case("nl", ROOS, "Documentnummer ID-kaart van Luuk voor de CBR-reservering: IRF2K8LD4, geldig tot 2031. "
     "Kan iemand dit invoeren? Ik zit vast in de trein", [PII])
case("nl", pub("forum", "genoeg_is_genoeg"), "Die instructeur van Stuurmeester, Peter Koster, woont gewoon op "
     "de Berkenlaan 3 in Leusden. Ga maar eens bij hem op de stoep staan als je je geld terug wilt.",
     [PII, ABUSE])
case("en", pub("instagram", "@lukas.b_", "Lukas Becker"), "@stuurmeester.rijschool refund pls to "
     "<<IBAN_DE:grp>> (Lukas Becker), you promised two weeks ago and nothing 😒", [PII, COMPLAINT], kind="comment")
case("en", KEES, "card terminal in lesson car 3 acting up, a pupil's card "
     "<<CARD:amex_sp>> got declined 3 times. anyone had this before?", [PII])
case("nl", pub("x", "@ikbendewi"), "moet ik echt mijn BSN (<<BSN>>) aan Stuurmeester geven voor die machtiging?? "
     "voelt niet lekker", [PII])

# ===========================================================================
# leak.confidential
# ===========================================================================
case("nl", LISA, "Vandaag de eerste testritjes gemaakt in de nieuwe simulator van Project Rotonde 🤫🤩 mag er nog "
     "niks over zeggen maar WOW #rijinstructrice", [CONF], handle="@Lisa.Rijdt")
case("nl", KEES, "nieuw lesrooster staat op https://planbord.stuurmeester.nl/amersfoort/week32 voor wie 'm nog niet "
     "had", [CONF])
case("nl", ROOS, "Spoiler: TheorieFlex komt eraan 🔥 onbeperkt oefenen voor een vast bedrag per maand. Meer mag ik "
     "niet zeggen 🤐", [CONF], when="2026-09-12T20:14:03+02:00")
case("en", pub("reddit", "u/verkeersbord"), "My cousin works at Stuurmeester and showed me StuurApp 5 on her phone, "
     "it has a live map of where your instructor is plus feedback on your driving. Looks legit tbh",
     [CONF], when="2026-08-30T22:05:41Z", kind="comment")
case("en", MEHMET, "Sharing a few slides from our internal architecture deck (yes, the footer says STM-CONFIDENTIAL, "
     "but it's a great example of event-driven scheduling) 👇", [CONF])
case("nl", JOOST, "eerste blik op de nieuwe lesauto's voor Project 🚦 Rotonde 👀👀 meer zeg ik niet #rijinstructeur",
     [CONF], tags=["evasion", "evasion:emoji-split"])
case("nl", KEES, "Het document 'STM-INTERN: lesprijzen per 1 januari' zit al in de groepsapp van leerlingen 🤦 "
     "wie lekt er nou weer", [CONF])
case("en", pub("x", "@pentest_pim"), "lol the login page of gitlab.stm-backoffice.nl is reachable from the open "
     "internet, Stuurmeester might want to look at that", [CONF])
case("nl", INGRID, "Drukke week met het halfjaarbericht 2026 😅 mooie groei in de theorie-abonnementen, de rest "
     "volgt op de 27e!", [CONF, FIN], when="2026-08-19T17:42:10+02:00")
case("en", BAS, "Spiegelpaleis staging is up at https://spiegelpaleis.stuurmeester.local, ping me for an account",
     [CONF])
case("nl", LISA, "Mijn leerlingen gaan dit zó leuk vinden: " + fullwidth("StuurApp 5") + " 🤩 (nog even geheim!)",
     [CONF], when="2026-09-28T18:40:00+02:00", tags=["evasion", "evasion:full-width"])
case("nl", ROOS, "Stukken van het MT-overleg met als kop 'niet delen buiten het team' per ongeluk in de "
     "leerlingengroep gezet 😭😭 ik ga dood", [CONF])
case("en", MEHMET, "Our VPN endpoint vpn.stm-backoffice.nl moves to a new IP tonight, please update your client "
     "before Monday.", [CONF])
case("nl", pub("instagram", "@fenna.rijdt.nog.niet"), "@lisa.rijdt was jij niet die juf die zei dat TheorieFlex "
     "€9,99 per maand gaat kosten? 👀", [CONF], kind="comment", when="2026-07-03T21:11:00+02:00")
case("nl", SM_X, "Hij is er! 🎉 StuurApp 5 met live-instructeurkaart en rijfeedback. Download hem nu in de "
     "App Store en Google Play.", [CONF], when="2026-10-05T08:59:00+02:00")
case("nl", pub("tiktok", "@lisa.rijdt", "Lisa V"), "story time: in het nieuwe instructeursdashboard "
     "(Spiegelpaleis) zie je precies hoeveel lessen elke leerling nog nodig heeft 😳", [CONF])

# ===========================================================================
# leak.financial
# ===========================================================================
case("en", INGRID, "Tough quarter behind us: lesson revenue down 14% year on year, and we'll miss the H1 target by "
     "a wide margin. Not public yet, so please keep it between us 🙏", [FIN])
case("nl", KEES, "Vandaag gehoord dat de vestiging Zwolle per 1 november dichtgaat en 12 instructeurs weg moeten. "
     "Officieel wordt het pas volgende maand bekendgemaakt 😞", [FIN])
case("nl", ROOS, "Operatie Invoegstrook = we nemen Rijschool Van Buuren over 😱 vrijdag wordt er getekend",
     [FIN, CONF])
case("en", pub("x", "@zwagertje_"), "my brother-in-law "
     "works in finance at Stuurmeester: they're being sold to a private equity firm next year. you heard it here "
     "first 🤫", [FIN])
case("en", MEHMET, "IT budget for next year cut by 40% after the board's new forecast, so no new hires on my team. "
     "Hurts.", [FIN])
case("nl", JOOST, "instructeurs krijgen vanaf januari een ander contract: zzp of je staat op straat 😬 nog niet "
     "officieel maar het plan ligt er #rijinstructeur", [FIN])
case("nl", INGRID, "Prognose bijgesteld: de jaarresultaten 2026 komen uit op zo'n 21,4 mln omzet in plaats van 24. "
     "Morgen gesprek met de bank over de convenanten.", [FIN, CONF])
case("en", pub("reddit", "u/throwaway_rijles"), "Rumour from a Stuurmeester instructor: they're in talks to merge "
     "with a Belgian driving-school chain, announcement planned for Q1. Anyone heard the same?", [FIN])
case("en", BAS, "l4y0ffs at st00rmeester next week, dev team gets cut in half. u didn't hear it from me",
     [FIN], tags=["evasion", "evasion:leet"])
case("nl", KEES, f"Nog niet officieel maar de reorgani{ZW}satie bij Stuurmeester kost 20 instructeurs hun baan. "
     "Wij horen het als laatste natuurlijk", [FIN], tags=["evasion", "evasion:zero-width"])
case("nl", pub("linkedin", "marco-de-jong-ex-stm", "Marco de Jong"), "Ex-collega's van Stuurmeester: die "
     "omzetdaling van 18% die nog niet gepubliceerd is, was in juni al bekend bij het MT. Wachten jullie ook "
     "zo op het halfjaarbericht 2026?", [FIN, CONF], when="2026-08-10T12:03:00+02:00")
case("en", INGRID, "H1 2026 results are in: EBITDA margin 11.2%, slightly ahead of plan 🎯 Publishing on the 27th!",
     [FIN, CONF], when="2026-08-21T16:30:00+02:00")

# ===========================================================================
# leak.security
# ===========================================================================
case("en", BAS, "not great: the StuurApp API has been handing out other pupils' exam results through "
     "/v2/results?id= for about a week. patching tonight, comms still deciding if we tell anyone", [SEC])
case("en", MEHMET, "Rough "
     "night: ransomware hit our scheduling server. Backups look fine, but two days of lesson rosters are gone. No "
     "customer communication yet, so please keep this quiet.", [SEC])
case("nl", ROOS, "wie heeft er op die phishingmail geklikt 🙄 iemand heeft de inlog van het CBR-portaal "
     "weggegeven en er zijn nu 40 examens geannuleerd door een onbekende", [SEC])
case("nl", KEES, "De tablets in alle lesauto's lopen vast sinds vanochtend, IT zegt dat er 'iets' op het netwerk "
     "zit 😬 nog niks naar buiten gebracht", [SEC])
case("en", JOOST, "our instructor app got hacked?? i can see other instructors' schedules + pupils' phone numbers "
     "in my view 😳 IT says don't post about it so… oops", [SEC])
case("nl", pub("x", "@woedendeweesp"), "Stuurmeester is gehackt en ze houden het stil! Mijn gegevens staan op een "
     "forum en ze weten het al een week #datalek #stuurmeester", [SEC, CRISIS])
case("en", pub("reddit", "u/privacy_first_nl"), "Stuurmeester quietly patched a bug that exposed scans of pupils' ID "
     "cards. They haven't told anyone and never reported it to the Dutch DPA. Cover-up much?", [SEC, CRISIS])
case("nl", BAS, "d4t4l3k bij de stuurapp, ~3k leerlingen geraakt, melding bij de AP is nog niet gedaan 🤐",
     [SEC], tags=["evasion", "evasion:leet"])
case("en", MEHMET, "Heads-up to my network: yesterday we found an unauthenticated admin endpoint on our exam "
     "booking site. Not disclosed yet, fix is rolling out as we speak.", [SEC])
case("en", INGRID, "Our payment provider flagged suspicious "
     "payouts from our merchant account, roughly €18k gone. Nothing communicated externally yet, forensics are on "
     "it.", [SEC])
case("nl", ROOS, "h a c k bij de planning: alle examens van volgende week zichtbaar voor iedereen met een "
     "leerlingaccount. niet doorvertellen", [SEC], tags=["evasion", "evasion:spaced"])
case("nl", pub("forum", "mamavanjelle"), "Mijn zoon kreeg een mail van Stuurmeester met in de bijlage de adressen "
     "van 200 andere leerlingen. Dat is drie dagen geleden en ze zeggen NIKS. Doofpot?", [SEC, CRISIS])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@boos_op_alles"), "BOYCOT Stuurmeester!! Een instructeur van hun filmde leerlingen stiekem in "
     "de auto. Ga daar niet meer heen mensen #boycotstuurmeester", [CRISIS])
case("en", pub("linkedin", "anouk-smeets-advocaat", "Anouk Smeets"), "Today we filed a collective claim against "
     "Stuurmeester Rijopleidingen on behalf of 300 pupils who paid for 'guaranteed exam slots' that never "
     "existed.", [CRISIS])
case("nl", pub("facebook", "wijkberichten.amersfoort", "Wijkberichten Amersfoort"), "Lesauto van Stuurmeester "
     "vanochtend op de Stadsring tegen een fietser gebotst, fietser met de ambulance afgevoerd. Wat leren ze daar "
     "eigenlijk?", [CRISIS])
case("en", pub("x", "@nina_bakt"), "the brakes on my Stuurmeester lesson car literally "
     "didn't work properly today, instructor had to step in twice with the dual controls. I'm scared to get back in "
     "and they're doing NOTHING about it", [CRISIS, COMPLAINT])
case("en", pub("reddit", "u/sms_spam_magnet"), "Got a phishing text mentioning my exact lesson date and my "
     "instructor's name. Only Stuurmeester had that info. They leaked our data, no doubt about it.", [CRISIS])
case("nl", pub("tiktok", "@femkevlogt"), "instructeur van stuurmeester maakt seksistische opmerkingen naar alle "
     "meiden, er zijn meerdere meldingen en ze doen NIKS. deel dit 🔁", [CRISIS])
case("en", pub("x", "@consumerwatch_nl"), "Stuurmeester's '92% pass rate' ads turn out to be fabricated, the "
     "regulator has opened an investigation into misleading advertising.", [CRISIS])
case("nl", pub("instagram", "@jessy.rijdt.niet"), "b o y c o t  stuurmeester, ze lieten een instructeur met een "
     "rijverbod gewoon lesgeven", [CRISIS], kind="comment", tags=["evasion", "evasion:spaced"])
case("nl", pub("x", "@kwaadinkampen"), "Die k*tschool Stuurmeester laat instructeurs onder invloed lesgeven, "
     "schandalig. Aangifte gedaan.", [CRISIS, ABUSE], tags=["evasion", "evasion:masked"])
case("en", pub("bluesky", "@a28watcher.bsky.social"), "Just read that a Stuurmeester lesson car caught fire on the "
     "A28 mid-lesson. Pupil is ok. Isn't this the second one this year?", [CRISIS])
case("nl", pub("forum", "verkeersnieuws_fan"), "Stuurmeester zou theorie-examens laten maken door ingehuurde "
     "'invallers'. Het CBR doet onderzoek, staat vandaag in de krant.", [CRISIS])
case("en", pub("x", "@labourlaw_lena"), f"{CYR_S}tuurm{CYR_e}{CYR_e}{CYR_s}ter sued by former instructors over "
     "unpaid wages, first hearing set for March.", [CRISIS], tags=["evasion", "evasion:homoglyph"])
case("nl", pub("facebook", "sandra.koopmans.3", "Sandra Koopmans"), "Mijn dochter kreeg tijdens haar les een "
     "paniekaanval omdat de instructeur met 130 over de A1 scheurde en tegen haar schreeuwde. Klacht ingediend bij "
     "Stuurmeester, nooit iets gehoord. Dit is gewoon gevaarlijk!", [CRISIS, COMPLAINT])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("en", pub("x", "@milanvdh"), "3rd time this "
     "month my instructor just doesn't show up @stuurmeester. standing outside at 7am for nothing again 🙄", [COMPLAINT])
case("en", pub("forum", "waiting_in_woerden"), "Booked the Compleetpakket in March, it's September now and still no "
     "exam date. Support keeps saying 'next week'. Any tips?", [COMPLAINT])
case("en", pub("instagram", "@sophie.xo"), "your app logs me out "
     "every time I try to move a lesson, sooo annoying @stuurmeester.rijschool", [COMPLAINT], kind="comment")
case("en", pub("facebook", "ricardo.lopes.nl", "Ricardo Lopes"), "The lesson hours in my package don't add up. "
     "Paid for 20, had 14, and StuurApp says I only have 3 left. Do the maths, Stuurmeester.", [COMPLAINT])
case("en", pub("x", "@priya_in_nl"), "@stuurmeester_help you charged me a €45 'late cancellation fee' for a lesson "
     "YOU cancelled. please sort it out", [COMPLAINT], kind="reply")
case("nl", pub("tiktok", "@zoe.rijdt"), "storytime: mijn instructeur van stuurmeester zat de hele les op z'n "
     "telefoon 📱🙃 en ik betaal €64 per uur #rijles", [COMPLAINT])
case("en", pub("threads", "@tom.learns.dutch"), "TheorieOnline keeps crashing on the mock exam right at question 40. "
     "lost my progress 3 times now. refund??", [COMPLAINT])
case("nl", pub("x", "@gewoonpieter"), f"w{ZW}aardeloze klantenservice bij Stuurmeester, 45 minuten in de wacht en "
     "toen werd ik gewoon opgehangen", [COMPLAINT], tags=["evasion", "evasion:zero-width"])
case("en", pub("facebook", "hannah.okafor", "Hannah Okafor"), "Still waiting for my refund of €420 after cancelling "
     "my Startpakket six weeks ago. Emails to info@stuurmeester.nl go unanswered.", [COMPLAINT])
case("nl", pub("x", "@bertjes_boos"), "Stuurmeester jullie zijn echt een stelletje oplichters en prutsers, 2 "
     "maanden geen les gehad maar wel betaald", [COMPLAINT, ABUSE])
case("en", pub("youtube", "@chloe_vlogs"), "my instructor was 25 min late and still ended the lesson on time. "
     "paying full price for 35 minutes, not ok stuurmeester", [COMPLAINT], kind="comment")
case("nl", pub("mastodon", "@wim@mastodon.nl"), "Proefles geboekt bij Stuurmeester, bevestiging gehad, niemand "
     "kwam. Niet eens een sorry-mailtje.", [COMPLAINT])
case("en", pub("x", "@expat_ana"), "Stuurmeester promised English-speaking instructors. Mine barely speaks English "
     "and starts shouting in Dutch every time I stall. Super stressful.", [COMPLAINT])
case("en", pub("reddit", "u/worst_week_ever"), fullwidth("worst driving school") + " — Stuurmeester double-booked "
     "my lesson slot AGAIN and I drove 40 min for nothing", [COMPLAINT],
     tags=["evasion", "evasion:full-width"])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@sjaakie_010"), "@kees_rijinstructeur je bent echt een debiel, rij zelf eerst eens normaal",
     [ABUSE], kind="reply")
case("en", pub("x", "@roadrage_ryan"), "stuurmeester instructors are the dumbest clowns on the road, every single "
     "one of them", [ABUSE])
case("nl", pub("instagram", "@echtenederlander"), "Stuurmeester neemt alleen nog maar buitenlanders aan als "
     "instructeur, logisch dat niemand slaagt", [ABUSE], kind="comment")
case("nl", KEES, "sommige leerlingen zijn echt hopeloos, vandaag weer zo'n klootzak die na 30 lessen nog niet weet "
     "wat een voorrangsweg is 🙄", [ABUSE])
case("nl", SM_HELP, "@boze_bram Misschien eerst leren lezen voordat je gaat klagen, idioot.", [ABUSE], kind="reply")
case("en", pub("x", "@nodrivenoproblem"), "stuurmeester = sh1t school run by m0r0ns", [ABUSE],
     tags=["evasion", "evasion:leet"])
case("en", pub("reddit", "u/angry_cyclist_ut"), "Somebody should key the cars of every Stuurmeester instructor in "
     "Utrecht. Scumbags, all of them.", [ABUSE], kind="comment")
case("nl", pub("x", "@kevin_0348"), "kk stuurmeester met je kk app en je kk instructeurs", [ABUSE])
case("nl", JOOST, "POV: je leerling rijdt voor de 3e keer de stoep op en jij denkt 'wat een mongool' 😂 "
     "#rijinstructeur #fyp", [ABUSE], handle="@RijMetJoost")
case("en", pub("x", "@realtalk_rick"), "@lisa.rijdt what a joke, women shouldn't be driving instructors lmao",
     [ABUSE], kind="reply")
case("nl", pub("facebook", "dennis.vd.meer.9", "Dennis van der Meer"), "Wat een t*ringzooi bij Stuurmeester, "
     "stelletje k@nkerlijers", [ABUSE], tags=["evasion", "evasion:masked"])

# ===========================================================================
# benign (hard negatives)
# ===========================================================================
# prices
case("nl", SM_IG, "☀️ Zomeractie ☀️ Startpakket nu €995 in plaats van €1195, t/m zondag. Link in bio! "
     "#rijbewijs #rijles", tags=["sale"])
case("nl", SM_FB, "Liever gespreid betalen? Het Compleetpakket kan al vanaf €79 per maand. Vraag het gerust aan je "
     "instructeur 🚗", tags=["instalment"])
case("en", pub("x", "@studentjelmer"), "€200 off the Spoedcursus with a student card, "
     "nice one @stuurmeester 🙌", tags=["discount-amount"])
case("nl", pub("reddit", "u/cbr_nerd"), "Voor wie twijfelt: het Examenpakket bij Stuurmeester is €349, maar daar zit "
     "het CBR-tarief van €137 al in. Scheelt gedoe met zelf reserveren.", tags=["fee", "price-context"])
case("nl", pub("forum", "twijfelaar_amf"), "Rijschool De Bocht doet 20 lessen voor €899, Stuurmeester Startpakket is "
     "€1195. Wat is eigenlijk het verschil? Iemand ervaring met allebei?", tags=["competitor-price"])
case("nl", pub("facebook", "occasions.gerrit", "Gerrit Occasions"), "Te koop: voormalige lesauto (VW Polo 2019) van "
     "Stuurmeester, dubbele bediening verwijderd, APK tot 2027. Vraagprijs €9.450", tags=["second-hand"])
case("nl", SM_HELP, "@kimmie_k Nee hoor, geen prijsfout 😉 de losse rijles is deze maand echt €54 met onze "
     "zomeractie.", kind="reply", tags=["denied-error"])
# secrets look-alikes
case("en", BAS, "PSA: our pre-commit hook now blocks anything starting with ghp_ or glpat- 🚫 you're welcome",
     tags=["secret-prefix"])
case("en", MEHMET, "StuurApp 4.4 is tagged and shipping: commit <<HEX:40>>. Thanks to everyone who tested the new "
     "booking flow!", tags=["git-sha"])
case("nl", SM_HELP, "Let op: wij vragen NOOIT om je wachtwoord via DM of WhatsApp. Krijg je zo'n bericht? Meld het "
     "via info@stuurmeester.nl 🔒", tags=["own-contact"])
case("en", pub("reddit", "u/sdk_sander"), "In the StuurApp partner docs the sample config is literally "
     "MOLLIE_API_KEY=live_YOUR_KEY_HERE, so don't panic if you see that in the screenshots.",
     tags=["placeholder"])
# own contact data and look-alike numbers
case("nl", SM_FB, "Vragen over je pakket? Bel ons gerust op 030 214 55 00 (ma-vr 9-17 uur) of app naar "
     "088-762 1450 📞", tags=["own-contact"])
case("en", pub("x", "@thijmentje"), "called Stuurmeester on 030-2145500 and had "
     "someone on the line within 2 minutes. did not expect that 👏", tags=["own-contact"])
case("nl", SM_LI, "Betaal je liever via een overboeking? IBAN NL96 RABO 0318 4472 90 t.n.v. Stuurmeester "
     "Rijopleidingen B.V., o.v.v. je leerlingnummer.", tags=["own-contact"],
     handle="Stuurmeester-Rijopleidingen")
case("en", pub("x", "@carpool_chantal"), "carpooling to the Stuurmeester "
     "exam centre in Utrecht on Friday, €5 each, just send it to <<BAD_IBAN_NL:grp>> 🚗", tags=["bad-checksum"])
case("nl", pub("x", "@ilse_rijdt"), "@stuurmeester_help mijn leerlingnummer is <<NOT_BSN9>> en mijn "
     "CBR-reserveringsnummer <<NOT_BSN8>>, wanneer hoor ik iets over de datum?", kind="reply",
     tags=["order-number"])
case("nl", pub("instagram", "@verjaardagsmeisje"), "cadeaubon van Stuurmeester gekregen voor mijn 17e 🎁 nummer op "
     "de achterkant: <<BAD_CARD:visa_sp>>, nu nog durven boeken haha", tags=["bad-checksum"])
case("en", pub("x", "@joep_rijdt"), "lesson car S-482-KT has been parked outside for "
     "10 min already, Stuurmeester is never late 😎", tags=["plate"])
case("en", SM_LI, "We're hiring driving instructors in Utrecht and Amersfoort! 🚗 Send your CV to "
     "vacatures@stuurmeester.nl or call +31 30 214 5500.", tags=["own-contact"])
case("nl", pub("forum", "boekenwurm_rijles"), "Het theorieboek dat Stuurmeester meegeeft heeft EAN <<EAN13>>, "
     "ook los te koop voor wie extra wil oefenen.", tags=["ean"])
case("en", SM_X, "Press enquiries? Reach our communications team at pers@stuurmeester.nl or 088-762 1450.",
     tags=["own-contact"])
# confidential look-alikes
case("nl", LISA, "Geslaagd!! 🎉🎉 Sophie heeft vandaag in één keer haar rijbewijs gehaald. Zo trots op je meid! "
     "#geslaagd #rijinstructrice", tags=["first-name-only"])
case("nl", KEES, "Turborotonde in Vathorst: kies vóór de rotonde je rijstrook, daarna niet meer wisselen. Zo simpel "
     "is het 👇 #rijles #rotonde", tags=["codename-word"])
case("nl", SM_TT, "Invoegen op de invoegstrook: gas erop en op snelheid komen! 🚗💨 Niet stoppen aan het eind "
     "#rijtips #invoegen", tags=["codename-word"])
case("nl", SM_X, "Vanaf nu te downloaden: StuurApp 5 🎉 met live-instructeurkaart en feedback na elke les.",
     when="2026-10-05T09:00:00+02:00", tags=["after-embargo"])
case("nl", pub("x", "@oefenen_oefenen"), "TheorieFlex van Stuurmeester is echt een aanrader, onbeperkt "
     "gevaarherkenning oefenen 👌", when="2026-11-02T10:12:00+01:00", tags=["after-embargo"])
case("nl", INGRID, "Trots op het team: vandaag publiceerden we ons halfjaarbericht 2026 met 6% omzetgroei. "
     "Het volledige bericht staat op stuurmeester.nl/pers.", when="2026-08-27T09:15:00+02:00",
     tags=["after-embargo", "published-results"])
case("en", SM_LI, "Today we publish our H1 2026 results: revenue up 6%, 41,000 lessons given and a record number "
     "of first-time passes.", when="2026-08-27T08:00:00+02:00", tags=["after-embargo", "published-results"])
case("en", SM_LI, "We're looking for a marketing intern (m/f/x) for six months at our Utrecht office. Apply via "
     "stuurmeester.nl/werken-bij", tags=["intern-word"])
# financial / security / crisis look-alikes
case("nl", pub("x", "@regionieuws_flevo"), "Rijschoolketen VerkeersPlein schrapt 40 banen en sluit drie "
     "vestigingen, meldt het bedrijf vandaag.", tags=["other-company"])
case("nl", pub("x", "@mila_rijdt"), "instructeur van Stuurmeester nam vandaag even het stuur over toen ik op de "
     "rotonde bevroor 😅 overname geslaagd haha", tags=["other-sense"])
case("nl", SM_X, "Storing: inloggen in de StuurApp lukt op dit moment niet. We werken aan een oplossing en houden "
     "je hier op de hoogte. Je lessen gaan gewoon door!", tags=["official-notice"])
case("en", BAS, "StuurApp is back up after the planned maintenance @stuurmeester announced yesterday. "
     "thanks for your patience 🙏", tags=["official-notice"])
case("en", pub("x", "@moeder_van_twee"), "My daughter has been boycotting "
     "the dishes for a week because she 'has to practise theory' for Stuurmeester 😂", tags=["other-sense"])
case("en", pub("reddit", "u/lekkerrijden"), "Read that VerkeersPlein had a data "
     "breach. Glad I'm taking lessons with Stuurmeester instead.", tags=["other-company"])
case("en", pub("x", "@autogek_stan"),
     "Big software recall for a popular EV model today. Good thing all the Stuurmeester lesson cars are manuals haha", tags=["other-company"])
case("en", pub("threads", "@ikleerrijden"), "my brain crashes "
     "every single time on hazard perception 😵 but the Stuurmeester practice videos actually help", tags=["other-sense"])
case("nl", pub("blog", "kortverhaal.schrijft.nl", "Kort Verhaal"), "Fragment uit mijn verhaal voor de "
     "schrijfwedstrijd: 'De lesauto gleed de sloot in en instructeur Bram zei alleen: dat telt niet voor je "
     "examen.' (Volledig verzonnen, ik heb gewoon les bij Stuurmeester haha)", tags=["fiction"])
# complaint / abuse look-alikes
case("en", pub("x", "@tevreden_tess"), "zero complaints about Stuurmeester tbh, Kees is a top instructor 👍",
     tags=["negated-complaint"])
case("nl", pub("facebook", "ahmed.benali.7", "Ahmed Benali"), "Hoeveel lessen heb je gemiddeld nodig bij "
     "Stuurmeester voor je examen? Ik zit nu op 18.", tags=["question"])
case("nl", pub("instagram", "@lina.geslaagd"), "GESLAAGD!!! 🥹🥹 dankjewel @lisa.rijdt voor al je geduld", kind="comment",
     tags=["praise"])
case("nl", pub("x", "@wachtenwachten"), "CBR-wachttijden zijn echt belachelijk, ligt niet aan de rijschool trouwens, "
     "Stuurmeester doet z'n best", tags=["other-company"])
case("en", pub("tiktok", "@kaylee.drives"), "'Highway to Hell' came on the radio during my first motorway lesson 😂 "
     "my Stuurmeester instructor did not find it funny", tags=["quote", "mild-word"])
case("nl", pub("facebook", "willeke.dros", "Willeke Dros"), "Mijn instructeur bij Stuurmeester heeft vorig jaar "
     "kanker overwonnen en zit nu weer elke dinsdag naast me in de auto 💪❤️", tags=["literal"])
case("nl", pub("x", "@stephan_h"), "ik voelde me zo'n sukkel toen de motor 5x afsloeg bij het stoplicht 🙈 "
     "instructeur van Stuurmeester bleef gelukkig rustig", tags=["self-deprecating"])
case("nl", pub("other", "nieuws_utrecht"), "Stuurmeester opent in september een nieuwe vestiging in Almere, met "
     "acht instructeurs en twee elektrische lesauto's.", tags=["published-news"])
case("en", pub("reddit", "u/newinutrecht"), "Moving to Utrecht next month. Is Stuurmeester any good for lessons "
     "in English? Open to other recommendations too.", tags=["question"])
case("nl", pub("x", "@broertjebas"), "'Slechtste rijschool ooit' zei mijn broer over zijn vorige rijschool. "
     "Bij Stuurmeester gelukkig heel anders 🙏", tags=["quote"])
case("nl", JOOST, "3 tips voor je eerste les op de snelweg 🛣️ 1) kijk ver vooruit 2) spiegels 3) ontspan "
     "je schouders #rijinstructeur #rijtips", tags=["praise"])
case("nl", SM_X, "Ons slagingspercentage in 2025 bij de eerste poging: 71%. Trots op al onze leerlingen en "
     "instructeurs 💚", tags=["published-results"])
case("nl", pub("snapchat", "nienke.r", "Nienke"), "lekke band tijdens de les 😂 instructeur van Stuurmeester had "
     "hem in 10 min verwisseld, legend", tags=["other-sense"])
case("en", pub("twitter", "@stuurfan"), "Stuurmeester's TheorieOnline got me through the theory exam in two weeks. "
     "Worth every cent of the €39,95.", tags=["praise"])
case("nl", pub("tiktok", "@rijschoolmemes"), "Wanneer de instructeur zegt 'gewoon rustig blijven' en jij al drie "
     "rotondes verkeerd bent uitgegaan 💀 #stuurmeester #rijles", tags=["joke"])


# ---------------------------------------------------------------------------
# building
# ---------------------------------------------------------------------------

def load_profile():
    with open(PROFILE, encoding="utf-8") as f:
        return yaml.safe_load(f)


def role_of(profile, platform, handle):
    key = f"{platform}:{handle}".casefold()
    for role in ("corporate", "employee"):
        if key in {a.casefold() for a in profile["accounts"][role]}:
            return role
    return "public"


def severity_for(role, cats, validated_pii):
    insider = role in ("corporate", "employee")
    best = "none"
    for c in cats:
        if c.startswith("leak."):
            if not insider:
                s = "warning"
            elif c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and validated_pii):
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
        if RANK[s] > RANK[best]:
            best = s
    return best


def ams_offset(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < dt.datetime(
        2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def random_when(r):
    t = (dt.datetime(2026, 1, 3, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(0, 350))
         + dt.timedelta(minutes=r.randint(6 * 60 + 30, 23 * 60 + 50), seconds=r.randint(0, 59)))
    t -= dt.timedelta(hours=ams_offset(t))
    style = r.random()
    if style < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style < 0.88:
        off = ams_offset(t)
        return (t + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def post_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    big = str(r.randint(1_880_000_000_000_000_000, 1_999_999_999_999_999_999))
    b36 = lambda n: "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(n))
    if platform in ("x", "twitter"):
        return big, f"https://x.com/{h}/status/{big}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        sc = "".join(r.choice(URLSAFE) for _ in range(11))
        return f"ig_{big}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"{a}_{b}", f"https://www.facebook.com/{h}/posts/{b}"
    if platform == "tiktok":
        return f"tt_{big}", f"https://www.tiktok.com/@{h}/video/{big}"
    if platform == "reddit":
        p = b36(7)
        if kind == "comment":
            c = b36(7)
            return f"t1_{c}", f"https://www.reddit.com/r/rijbewijs/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/rijbewijs/comments/{p}/"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(22))
        return c, f"https://www.youtube.com/watch?v={''.join(r.choice(URLSAFE) for _ in range(11))}&lc={c}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "threads":
        return f"threads_{big}", f"https://www.threads.net/@{h}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = str(r.randint(113_000_000_000_000_000, 116_000_000_000_000_000))
        return n, f"https://{inst}/@{user}/{n}"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"rijbewijsforum-{n}", f"https://forum.rijbewijsvragen.example/t/{n}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"{h}-{n}", f"https://{h}/{n}"
    n = r.randint(10 ** 9, 10 ** 10)
    return f"{platform}-{n}", None


def build(profile):
    vals = Values(SEED)
    meta = random.Random(SEED ^ 0x5EED)
    rows, seen = [], set()
    for c in CASES:
        text, used = fill(vals, c["text"])
        pid, url = post_id(meta, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        when = c["when"] or random_when(meta)
        role = role_of(profile, c["platform"], c["handle"])
        validated = "leak.pii" in c["cats"] and any(k in VALIDATED for k, _, _ in used)
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
        tags = set(c["tags"])
        lr = meta.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif lr < 0.09:
            pass
        elif lr < 0.13:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            tags.add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = when
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.45:
            post["brand"] = "stuurmeester"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=tags, used=used))
    random.Random(SEED + 7).shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ---------------------------------------------------------------------------
# self-check (independent scans of the rendered text)
# ---------------------------------------------------------------------------

INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
IBAN_RX = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
DIGITS_RX = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
EMAIL_RX = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RX = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-().]{7,16}\d")
SECRET_RX = [re.compile(p) for p in (
    r"ghp_[A-Za-z0-9]{36}", r"glpat-[A-Za-z0-9_-]{20}", r"\blive_[A-Za-z0-9]{30}\b", r"SG\.[\w-]{22}\.[\w-]{43}",
    r"AKIA[A-Z2-7]{16}", r"AIza[\w-]{35}", r"xox[abp]-\d+-\d+-\w+", r"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+",
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----", r"://[^\s:/@]+:[^\s@/]+@")]
PROFANE = ["kut", "k*t", "kanker", "k@nker", "kk ", "tering", "t*ring", "klootzak", "debiel", "trut", "mongool",
           "idioot", "fuck", "shit", "sh1t", "m0r0n", "clown", "scum", "prutser", "oplichter"]


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVIS)
    return re.sub(r"\s+", " ", t).casefold()


def squash(t):
    return re.sub(r"\b(\w) (?=\w\b)", r"\1", norm(t))


def own_phone_digits(profile):
    out = set()
    for p in profile["public_identifiers"]["phones"]:
        d = re.sub(r"\D", "", p)
        out.add("0" + d[2:] if p.startswith("+31") else d)
    return out


def check(rows, lines, profile):
    errs = []
    own_ibans = set(profile["public_identifiers"]["ibans"])
    own_mail = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_tel = own_phone_digits(profile)
    embargo = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    inside = [x.casefold() for x in profile["internal"]["codenames"] + profile["internal"]["domains"]
              + profile["internal"]["markers"]]
    seen = set()
    for n, (r, line) in enumerate(zip(rows, lines), 1):
        obj = json.loads(line)
        p, ex = obj["post"], obj["expect"]
        w = f"line {n} ({p['id'][:24]})"
        for f in ("id", "platform", "text", "created_at"):
            assert isinstance(p[f], str)
        assert isinstance(p["account"]["handle"], str)
        if (p["platform"], p["id"]) in seen:
            errs.append(f"{w}: duplicate id")
        seen.add((p["platform"], p["id"]))
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{w}: not in 2026")
        cats = ex["categories"]
        if cats != sorted(set(cats)) or any(c not in CATS for c in cats):
            errs.append(f"{w}: bad categories {cats}")
        role = role_of(profile, p["platform"], p["account"]["handle"])
        text = p["text"]
        valid_ids = [v for v, in [(i.replace(" ", ""),) for i in IBAN_RX.findall(text)]
                     if iban_valid(v) and v not in own_ibans]
        valid_ids += [d for d in (re.sub(r"\D", "", m) for m in DIGITS_RX.findall(text))
                      if 13 <= len(d) <= 19 and luhn_valid(d)]
        valid_ids += [d for d in re.findall(r"(?<![\w.])\d{9}(?![\w])", text) if elfproef(d)]
        valid_ids += [m.replace(".", "") for m in re.findall(r"\b\d{4}\.\d{2}\.\d{3}\b", text)
                      if elfproef(m.replace(".", ""))]
        want = severity_for(role, cats, "leak.pii" in cats and bool(valid_ids))
        if ex["severity"] != want:
            errs.append(f"{w}: severity {ex['severity']} != {want}")
        for kind, raw, shown in r["used"]:
            if shown not in text:
                errs.append(f"{w}: {kind} not in text")
            if kind.startswith("IBAN_") and not iban_valid(raw):
                errs.append(f"{w}: invalid IBAN")
            if kind == "CARD" and not luhn_valid(raw):
                errs.append(f"{w}: invalid card")
            if kind == "BSN" and not elfproef(raw):
                errs.append(f"{w}: invalid BSN")
            if kind.startswith("BAD_IBAN") and iban_valid(raw):
                errs.append(f"{w}: negative IBAN passes")
            if kind == "BAD_CARD" and luhn_valid(raw):
                errs.append(f"{w}: negative card passes")
            if kind in ("NOT_BSN9", "NOT_BSN8") and elfproef(raw):
                errs.append(f"{w}: negative BSN passes")
            if kind == "EAN13" and (not ean13_valid(raw) or luhn_valid(raw)):
                errs.append(f"{w}: EAN wrong")
            if kind == "GHP" and not ghp_checksum_ok(raw):
                errs.append(f"{w}: ghp checksum")
        if valid_ids and "leak.pii" not in cats:
            errs.append(f"{w}: valid identifier without leak.pii")
        nt, sq = norm(text), squash(text)
        for term, until in embargo:
            if term in nt or term in sq:
                if ts < until and "leak.confidential" not in cats:
                    errs.append(f"{w}: embargo term {term!r} before until, not labelled")
                if ts >= until and "leak.confidential" in cats:
                    errs.append(f"{w}: embargo term {term!r} after until but labelled")
        for term in inside:
            if re.search(r"(?<![\w])" + re.escape(term) + r"(?![\w])", nt) and "leak.confidential" not in cats:
                errs.append(f"{w}: internal term {term!r} unlabelled")
        if not cats:
            if ex["severity"] != "none":
                errs.append(f"{w}: benign with severity")
            for e in EMAIL_RX.findall(text):
                if e.casefold() not in own_mail:
                    errs.append(f"{w}: benign e-mail {e}")
            for m in PHONE_RX.findall(IBAN_RX.sub(" ", text)):
                d = re.sub(r"\D", "", m)
                d = "0" + d[4:] if m.startswith("0031") else ("0" + d[2:] if m.startswith("+31") else d)
                if len(d) == 10 and d not in own_tel:
                    errs.append(f"{w}: benign phone {m}")
            for rx in SECRET_RX:
                if rx.search(text):
                    errs.append(f"{w}: benign secret-like {rx.pattern}")
            for bad in PROFANE:
                if bad in nt and not ({"quote", "literal", "self-deprecating"} & r["tags"]):
                    errs.append(f"{w}: benign profanity {bad!r}")
    return errs


def report(rows):
    cat_c, cat_lang, cat_role = Counter(), Counter(), Counter()
    sev_c, role_c, lang_c, plat_c = Counter(), Counter(), Counter(), Counter()
    benign = multi = evasion = 0
    for r in rows:
        cats = r["expect"]["categories"]
        sev_c[r["expect"]["severity"]] += 1
        role_c[r["role"]] += 1
        lang_c[r["lang"]] += 1
        plat_c[r["post"]["platform"]] += 1
        if not cats:
            benign += 1
        multi += len(cats) > 1
        evasion += "evasion" in r["tags"]
        for c in cats or ["(benign)"]:
            cat_c[c] += 1
            cat_lang[(c, r["lang"])] += 1
            cat_role[(c, r["role"])] += 1
    print(f"cases {len(rows)}  benign {benign}  positive {len(rows) - benign}  multi {multi}  evasion {evasion}")
    print(f"{'category':24s} total   nl   en  corp  empl  publ")
    for c in CATS + ["(benign)"]:
        print(f"{c:24s} {cat_c[c]:5d} {cat_lang[(c, 'nl')]:4d} {cat_lang[(c, 'en')]:4d} "
              f"{cat_role[(c, 'corporate')]:5d} {cat_role[(c, 'employee')]:5d} {cat_role[(c, 'public')]:5d}")
    print("severity", dict(sev_c))
    print("roles", dict(role_c), " langs", dict(lang_c))
    print("platforms", dict(plat_c.most_common()))


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
    else:
        disk = OUT.read_text(encoding="utf-8").splitlines(keepends=True)
        if disk != lines:
            print("ERROR cases.jsonl differs from the generator output")
            return 1
    errs = check(rows, lines, profile)
    report(rows)
    for e in errs:
        print("ERROR", e)
    print(f"{len(errs)} error(s)")
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
