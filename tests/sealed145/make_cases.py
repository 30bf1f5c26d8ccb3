#!/usr/bin/env python3
"""Deterministic generator for the sealed evaluation set 145 (cases.jsonl).

    python3 make_cases.py          # writes cases.jsonl next to this file and self-checks it

Fictional company: Rederij Wierhaven B.V., a ferry operator to the Wadden islands.
All texts are hand-written below. Identifiers and secrets are filled in from
[[KIND:fmt]] placeholders by one seeded RNG, so the output is byte-for-byte
reproducible. Positives get checksum-valid identifiers, benign look-alikes fail
their checksum. Severity is computed from CONTRACT section 4 (role from profile.yaml,
categories, and whether a checksum-validated identifier is present) - never typed.
"""
import base64
import datetime as dt
import json
import random
import re
import string
import sys
import zlib
from pathlib import Path

SEED = 145_2026
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
ZW = "\u200b"
SHY = "\u00ad"


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# ---------------------------------------------------------------- checksums
def iban_valid(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


def iban_build(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return f"{cc}{98 - n % 97:02d}{bban}"


def luhn(d):
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
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t != 0 and t % 11 == 0


def ean13(s):
    d = [int(c) for c in s]
    return (sum(d[i] * (3 if i % 2 else 1) for i in range(12)) + d[12]) % 10 == 0


B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def base62(n):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return s or "0"


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


# ---------------------------------------------------------------- seeded values
class Filler:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def dig(self, n, nz=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def pick(self, alpha, n):
        return "".join(self.r.choice(alpha) for _ in range(n))

    @staticmethod
    def grp(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    def iban(self, cc):
        if cc == "NL":
            while True:
                v = iban_build("NL", self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "BUNQ", "ASNB", "TRIO"]) + self.dig(10, True))
                if v != "NL52RABO0312456780":
                    return v
        if cc == "DE":
            return iban_build("DE", self.r.choice(["20050550", "29050101", "28050100", "44010046"]) + self.dig(10))
        if cc == "BE":
            f = self.r.choice(["063", "310", "737", "001"]) + self.dig(7)
            return iban_build("BE", f"{f}{(int(f) % 97) or 97:02d}")
        if cc == "GB":
            return iban_build("GB", self.r.choice(["BARC", "LOYD", "NWBK", "MIDL"]) + self.dig(14))
        raise ValueError(cc)

    def broken_iban(self, cc):
        v = self.iban(cc)
        for k in (7, 19, 31, 43):
            c = f"{v[:2]}{(int(v[2:4]) + k) % 100:02d}{v[4:]}"
            if not iban_valid(c):
                return c
        raise AssertionError

    def card(self, brand):
        pre = {"visa": "4" + self.dig(14), "mc": "5" + self.r.choice("12345") + self.dig(13),
               "mc2": str(self.r.randint(2221, 2720)) + self.dig(11), "amex": self.r.choice(["34", "37"]) + self.dig(12)}[brand]
        for d in string.digits:
            if luhn(pre + d):
                return pre + d
        raise AssertionError

    def broken_card(self, brand):
        v = self.card(brand)
        b = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn(b)
        return b

    @staticmethod
    def card_fmt(v, f):
        if f == "plain":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if f == "dash" else " ").join(parts)

    def bsn(self):
        while True:
            s = self.dig(9, True)
            if elfproef(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.dig(n, True)
            if not elfproef(s) and not luhn(s):
                return s

    def ean(self):
        while True:
            body = "87" + self.dig(10)
            c = next(body + d for d in string.digits if ean13(body + d))
            if not luhn(c) and not elfproef(c):
                return c

    def phone(self, f):
        m = self.r.choice("12345") + self.dig(7)   # 8 digits after the 06
        area = self.r.choice(["58", "517", "562", "519", "515", "50", "566"])
        sub = self.r.choice("2345678") + self.dig(9 - len(area) - 1)
        return {
            "m_dash": f"06-{m}", "m_plain": f"06{m}", "m_pairs": f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}",
            "m_intl": f"+31 6 {m[:4]} {m[4:]}", "m_intl_c": f"+316{m}", "m_0031": f"0031 6{m}",
            "m_dots": f"06.{m[:2]}.{m[2:4]}.{m[4:6]}.{m[6:]}", "m_paren": f"(06) {m}",
            "l_dash": f"0{area}-{sub}", "l_intl": f"+31 {area} {sub}",
        }[f]

    def ghp(self):
        body = self.pick(ALNUM, 30)
        return "ghp_" + body + base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def pw(self):
        return (self.r.choice(string.ascii_uppercase) + self.pick(string.ascii_lowercase, 4)
                + self.pick(string.digits, 3) + self.r.choice("!#$%&") + self.pick(ALNUM, 4))

    def jwt(self):
        h = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        iat = 1767225600 + self.r.randint(0, 320 * 86400)
        p = b64u(json.dumps({"sub": "klant-" + self.dig(7, True), "iss": "boeken.wierhaven.nl",
                             "scope": "booking:read booking:write", "iat": iat, "exp": iat + 7200},
                            separators=(",", ":")).encode())
        return f"{h}.{p}.{self.pick(B64URL, 43)}"

    def pem(self, kind):
        if kind == "openssh":
            lines = ["b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"]
            lines += [self.pick(B64, 70) for _ in range(4)] + [self.pick(B64, 22) + "=="]
            return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"
        body = "MIIEowIBAAKCAQEA" + self.pick(B64, 64 * 6 - 16)
        lines = [body[i:i + 64] for i in range(0, len(body), 64)] + [self.pick(B64, 40) + "="]
        return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"

    def fill(self, kind, fmt):
        """Return (raw, shown) for one placeholder."""
        if kind == "IBAN":
            cc, _, f = fmt.partition("_")
            raw = self.iban(cc)
            return raw, self.grp(raw) if f == "grp" else raw
        if kind == "BADIBAN":
            cc, _, f = fmt.partition("_")
            raw = self.broken_iban(cc)
            return raw, self.grp(raw) if f == "grp" else raw
        if kind in ("CARD", "BADCARD"):
            brand, _, f = fmt.partition("_")
            raw = self.card(brand) if kind == "CARD" else self.broken_card(brand)
            return raw, self.card_fmt(raw, f or "sp")
        if kind == "BSN":
            raw = self.bsn()
            return raw, f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if fmt == "dots" else raw
        if kind == "NOTBSN":
            raw = self.not_bsn(int(fmt))
            return raw, raw
        if kind == "EAN":
            raw = self.ean()
            return raw, raw
        if kind == "PHONE":
            raw = self.phone(fmt)
            return raw, raw
        simple = {
            "GHP": self.ghp, "PW": self.pw, "JWT": self.jwt,
            "AWSID": lambda: "AKIA" + self.pick(B32, 16), "AWSKEY": lambda: self.pick(B64, 40),
            "XOXB": lambda: f"xoxb-{self.dig(12, True)}-{self.dig(13, True)}-{self.pick(ALNUM, 24)}",
            "HOOK": lambda: (f"https://hooks.slack.com/services/T{self.pick(string.ascii_uppercase + string.digits, 8)}/"
                             f"B{self.pick(string.ascii_uppercase + string.digits, 10)}/{self.pick(ALNUM, 24)}"),
            "STRIPE": lambda: "sk_live_" + self.pick(ALNUM, 24 if fmt != "long" else 99),
            "GAPI": lambda: "AIzaSy" + self.pick(B64URL, 33),
            "MOLLIE": lambda: "live_" + self.pick(ALNUM, 30),
            "PEM": lambda: self.pem(fmt),
            "SHA": lambda: self.pick("0123456789abcdef", 40 if fmt == "" else int(fmt)),
        }
        raw = simple[kind]()
        return raw, raw


VALID_KINDS = {"IBAN", "CARD", "BSN"}
PH = re.compile(r"\[\[([A-Z]+)(?::([A-Za-z0-9_]+))?\]\]")


def render(filler, text):
    used = []

    def sub(m):
        raw, shown = filler.fill(m.group(1), m.group(2) or "")
        used.append((m.group(1), raw, shown))
        return shown
    return PH.sub(sub, text), used


# ---------------------------------------------------------------- accounts
# corporate
WH = ("x", "@wierhaven", "Rederij Wierhaven")
WH_INFO = ("x", "@wierhaven_info", "Wierhaven Klantenservice")
WH_IG = ("instagram", "@rederijwierhaven", "Rederij Wierhaven")
WH_FB = ("facebook", "RederijWierhaven", "Rederij Wierhaven")
WH_LI = ("linkedin", "rederij-wierhaven", "Rederij Wierhaven B.V.")
WH_TT = ("tiktok", "@wierhaven.veer", "Wierhaven")
# employees
JELLE = ("x", "@kapitein_jelle", "Jelle Hiemstra")                          # captain
RUBEN = ("x", "@dekknecht_ruben", "Ruben Faber")                           # deckhand
ANOUK = ("x", "@planner_anouk", "Anouk Terpstra")                          # operations planner
FEMKE = ("x", "@femke_codes", "Femke Bakker")                              # app developer
MARK = ("linkedin", "mark-hoekstra-wierhaven", "Mark Hoekstra")            # IT manager
SIETSKE = ("linkedin", "sietske-de-boer-finance", "Sietske de Boer")       # finance
LOTTE = ("instagram", "@lotte.aan.de.balie", "Lotte Visser")               # ticket desk Harlingen
GERRIT = ("facebook", "gerrit.zijlstra.machinist", "Gerrit Zijlstra")      # ship engineer


def pub(platform, handle, dn=None):
    return (platform, handle, dn)


SECRET, PII, PRICING, CONF, FIN, SEC = ("leak.secret", "leak.pii", "leak.pricing", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    platform, handle, dn = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, dn=dn, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# =================================================================== leak.pricing
case("nl", ANOUK, "Uhm collega's... iemand heeft bij de tariefupload een nul laten vallen. Autoretour Terschelling "
     "staat nu voor €23,90 in het boekingssysteem 🙃 en de boekingen stromen al binnen. Wie heeft er dienst bij revenue??",
     [PRICING])
case("en", pub("reddit", "u/wadden_wanderer"), "Wierhaven's booking site has the Eilandpas season pass listed at "
     "€57.50 instead of €575. Somebody misplaced a decimal lol. Grabbed two, will update if they actually honour it",
     [PRICING])
case("nl", pub("facebook", "henk.vd.meulen.3", "Henk van der Meulen"), "Zit ik net in de WierGo app en de "
     "10-rittenkaart kost 25,90?? Normaal ruim 250 euro. Zal wel een prijsfout zijn maar heb m toch maar afgerekend 😬",
     [PRICING], kind="comment")
case("nl", WH_FB, "🌊 LAST MINUTE 🌊 Alleen vandaag: Sneldienst Vlieland retour voor maar €9,95 p.p.! Op = op, "
     "boek via boeken.wierhaven.nl ⛴️☀️ #vlieland #dagjeuit", [PRICING])
case("en", SIETSKE, "Heads-up for colleagues: because of a fare table sync error this morning, the Auto Retour Ameland "
     "was sold at €18,40 for about three hours (should be €184). Finance is counting how many bookings went through. "
     "Please don't comment on this publicly.", [PRICING])
case("nl", pub("x", "@eilandgek_"), "p r i j s f o u t bij wierhaven!!! retourtje Terschelling voor €3,19 😂😂 "
     "snel zijn mensen #eilandleven", [PRICING], tags=["evasion", "evasion:spaced"])
case("en", RUBEN, "lmao the ticket machines at the Harlingen terminal are selling Terschelling retour for €0,32 today, "
     "queue is out the door 😂 dont tell the office", [PRICING],
     handle_as="@Dekknecht_Ruben")
case("nl", pub("forum", "Sjoerd_Leeuwarden"), "Gezien op boeken.wierhaven.nl: Eilandpas Seizoen voor € 57,50 i.p.v. "
     "€ 575. Lijkt me een prijsfout, heb er 1 gekocht en de bevestiging is al binnen.\n\nIemand ervaring of Wierhaven "
     "zoiets nakomt of gewoon annuleert?", [PRICING])
case("en", pub("x", "@dealhunter_nl"), "Wierhaven pricing gli\u0441h!! Vlieland fast ferry return at €4.98 rn 🏃‍♀️💨",
     [PRICING], tags=["evasion", "evasion:homoglyph"])
case("nl", LOTTE, "Kassa aan de balie rekent de tienrittenkaart af voor € 2,59 😳 het systeem is de komma kwijt. "
     "We mogen m voorlopig even niet verkopen", [PRICING])
case("nl", ANOUK, "autoretour Ameland staat sinds 7u voor €18,40 live 😬 screenshot van "
     "planning.wierhaven.nl/tarieven/upload in de groepsapp. Fix gaat pas mee met de release van vanavond",
     [PRICING, CONF])
case("en", pub("youtube", "@eilandvlogs"), "Booked the Auto Retour Terschelling for €23,90 during yesterday's glitch, "
     "confirmation email and all 😂 lets see if they let me on the boat", [PRICING], kind="comment")
case("nl", JELLE, "Kantoor meldt een prijsfout op de Sneldienst Vlieland kaartjes, er zitten passagiers aan boord "
     "die een paar euro hebben betaald. Wij varen gewoon hoor 🤷‍♂️⚓", [PRICING])

# =================================================================== leak.secret
case("nl", MARK, "Les van deze sprint: nooit sleutels in je app-config. Dit stond in een oude build van de WierGo "
     "app:\n\nAWS_ACCESS_KEY_ID=[[AWSID]]\nAWS_SECRET_ACCESS_KEY=[[AWSKEY]]\n\nIs inmiddels geroteerd 😉 "
     "#appsec #lessonslearned", [SECRET])
case("en", FEMKE, "Maps SDK in the WierGo app throws 403 since this morning 😩 key [[GAPI]] is restricted to the "
     "wrong package name I think?? any android ppl around", [SECRET])
case("nl", LOTTE, "Voor de collega's van de vroege dienst: wachtwoord van de balie-pc is sinds vandaag Veerboot2026! "
     "(met hoofdletter V). Niet meer op een post-it plakken aub 🙏", [SECRET],
     handle_as="@Lotte.Aan.De.Balie")
case("en", RUBEN, "crew wifi on the Kwelderkoning changed btw: network WH-CREW, pass [[PW]] ✌️", [SECRET])
case("en", pub("reddit", "u/null_pointer_piet"), "Fun find: the checkout page on boeken.wierhaven.nl ships a live "
     "Stripe secret key in main.js: [[STRIPE]]\nThat should never be client side. Someone ping them.", [SECRET],
     kind="comment")
case("en", pub("blog", "sec-notes.example", "Pieter Wassenaar"), "Teardown of the WierGo Android app (v3.8.0): "
     "besides the usual analytics SDKs, the APK contains a GitHub personal access token, [[GHP]], with read access "
     "to their private repos. Reported to pers@wierhaven.nl, no reply yet.", [SECRET])
case("en", FEMKE, "psql string for the booking db if you need it for the hotfix: "
     "postgresql://booking_rw:[[PW]]@db-boek01.intra.wierhaven.local:5432/reserveringen", [SECRET, CONF])
case("nl", MARK, "Na een middag zoeken eindelijk gevonden waarom de sftp naar het havenbedrijf faalde: verkeerde "
     "sleutel. Voor de volledigheid de oude (niet meer in gebruik):\n[[PEM:openssh]]", [SECRET])
case("en", ANOUK, "the timetable bot in slack died again 🙄 token [[XOXB]] , can someone from IT restart it before "
     "the 6am sailing list goes out", [SECRET])
case("nl", pub("forum", "bootje_varen"), "Waarom logt de WierGo app me steeds uit? Ik heb m'n sessie uit de "
     "browser gehaald: [[JWT]] klopt daar iets niet aan?", [SECRET])
case("nl", RUBEN, "w8woord kaartautomaat Lauwersoog is nu Zeehond#2026 , niet doorvertellen he 🤐",
     [SECRET], tags=["evasion", "evasion:slang"])
case("en", MARK, "Rotated within 40 minutes, but for the record, this key sat in a public gist: "
     "[[AWSID]] / [[AWSKEY]] . Please use the vault, people. #devsecops", [SECRET],
     handle_as="Mark-Hoekstra-Wierhaven")
case("nl", pub("x", "@janvisser1979"), "@wierhaven_info app blijft zeggen 'ongeldige gegevens'. Ik log gewoon in "
     "met jan.visser79@ziggo.nl en wachtwoord Vlieland1979 hoor, al 3x gereset. Boot gaat over een uur 😤",
     [SECRET, PII, COMPLAINT], kind="reply")
case("en", FEMKE, "Mollie key for the new kiosk build, staging ran out of test mode: [[MOLLIE]] dont commit it pls",
     [SECRET])

# =================================================================== leak.pii
case("nl", LOTTE, "Kan iemand van de administratie even kijken? Meneer Postma wacht al weken op zijn restitutie van "
     "de geannuleerde autoretour, rekening [[IBAN:NL_grp]]. Hij staat elke ochtend aan de balie 😅", [PII])
case("en", WH_INFO, "@Klaus_HH Your refund for the cancelled crossing has been sent today to [[IBAN:DE]]. Sorry for "
     "the wait and see you on Terschelling! ⛴️", [PII], kind="reply")
case("en", ANOUK, "missing passenger?? Mrs A. de Jong, born 14-03-1951, was on the list for the 09:15 to Vlieland "
     "but never boarded. anyone seen her near the gangway?", [PII])
case("en", JELLE, "Lost property: wallet found on the car deck of the 16:40. Belongs to R. Bouma, Kerkstraat 12, "
     "8881 BT West-Terschelling. Pick it up at the desk in Harlingen 👍", [PII])
case("nl", RUBEN, "Voor de late dienst: de schipper van de watertaxi die vannacht hielp is Wessel, bereikbaar op "
     "[[PHONE:m_dash]] als de sloep weer vastloopt", [PII])
case("nl", SIETSKE, "Groepsboeking van 42 personen, klant wil betalen met [[CARD:visa]] maar de terminal weigert "
     "steeds. Kan iemand van het betaalteam dit handmatig doorzetten?", [PII])
case("nl", WH_FB, "Hoi Marjolein! We hebben je nieuwe boekingsbevestiging net gestuurd naar "
     "marjolein.terpstra@kpnmail.nl, kijk ook even in je spam 📩", [PII], kind="reply")
case("nl", SIETSKE, "Voor de loonadministratie, nieuwe matroos Dirk start maandag. BSN [[BSN:dots]], contract ligt "
     "bij HR. Graag vóór vrijdag in het systeem.", [PII])
case("nl", pub("x", "@mireille_z"), "@wierhaven_info bel me aub terug op [[PHONE:m_intl]], ik hang al 40 min in de "
     "wacht en mijn boot vertrekt straks", [PII, COMPLAINT], kind="reply")
case("nl", pub("facebook", "hanneke.smit.71", "Hanneke Smit"), "Nog steeds geen geld terug voor de uitgevallen "
     "afvaart van 3 mei. Maak het gewoon over naar [[IBAN:NL_grp]] t.n.v. H. Smit, dan zijn we er vanaf. "
     "Zesde mail inmiddels.", [PII, COMPLAINT], kind="comment",
     when="2026-06-19T21:03:52+02:00")
case("en", pub("reddit", "u/angryferrydad"), "That deckhand on the Ameland boat is Sven Dijkman, lives at "
     "Zeilmakerstraat 4 in Harlingen. Arrogant little prick, go tell him what you think of him.", [PII, ABUSE])
case("nl", pub("x", "@sanne_wiersma"), "Heb nog 2 kaartjes voor de boot van zaterdag over, mail me ff op "
     "sanne.wiersma [at] gmail [punt] com 🙋‍♀️ #wierhaven #terschelling", [PII],
     tags=["evasion", "evasion:at-dot"])
case("nl", pub("instagram", "@yfke.fotografeert"), "Mijn paspoort (NRK4H7J28) laten liggen op de boot van 14:30 "
     "naar Ameland 😭 iemand van Wierhaven die hem gevonden heeft?", [PII])
case("nl", pub("x", "@tim_de_groot_"), "lol mn vader heeft net zijn hele creditcard in de familie-appgroep gezet om "
     "de Wierhaven boot te boeken 🤦 [[CARD:mc_sp]] pa dit kan echt niet", [PII])
case("en", FEMKE, "exporting the bounced booking mails for support: p.vandermeer@hotmail.com, "
     "g.hofstra1962@gmail.com, info@bakkerij-zeewind.nl - all three bounced, full mailboxes probably", [PII])
case("en", pub("x", "@chloe_in_leeds"), "Still no refund from Wierhaven 6 weeks after they cancelled our crossing. "
     "Here's my account AGAIN since your form keeps failing: [[IBAN:GB_grp]]. Just pay up.", [PII, COMPLAINT])
case("nl", pub("facebook", "an.peeters.gent", "An Peeters"), "Aan Wierhaven: het bedrag van de dubbele boeking mag "
     "terug naar [[IBAN:BE]], groetjes uit Gent en bedankt voor de snelle hulp aan de telefoon!", [PII], kind="comment")

# =================================================================== leak.confidential
case("en", FEMKE, "Tidewalker beta builds go out to the crew phones next week 👀 finally no more paper manifests",
     [CONF])
case("nl", JELLE, "Vandaag met een paar collega's de werf in Harderwijk bezocht voor Project Aalscholver. Wat een "
     "schip gaat dat worden 😍⚓", [CONF])
case("nl", SIETSKE, "Trots op het team achter Project\nAalscholver. Ruim een jaar rekenen, onderhandelen en "
     "tekenen, en nu begint het echte werk.", [CONF], tags=["evasion", "evasion:linebreak"])
case("nl", SIETSKE, "Operatie Wantij in het kort: 2 van de 5 winterafvaarten naar Vlieland schrappen en 18 fte "
     "minder aan de wal. Presentatie aan de OR is vrijdag.", [CONF, FIN])
case("nl", LOTTE, "Nieuwe werkinstructie voor het boarden 😅 staat er in koeienletters WIERHAVEN INTERN boven maar "
     "ach, het gaat alleen over de rolstoelrampen 📄", [CONF])
case("nl", RUBEN, "Over een half uur wordt de MS Wadkoning gedoopt 🍾 en ik mag mee aan boord!!",
     [CONF], when="2026-06-12T11:35:00+02:00")
case("nl", SIETSKE, "Kleine voorproef: de tarieven 2027 gaan gemiddeld 6,8% omhoog, de autoretour richting de "
     "€255. Goed onderbouwd door de brandstofkosten.", [CONF], when="2026-09-14T16:02:11+02:00")
case("nl", pub("x", "@ameland_anne"), "Mijn buurman werkt bij Wierhaven en zegt dat de tariefverhoging 2027 flink "
     "wordt, ruim 7%. Nog snel een Eilandpas kopen dan 😬", [CONF], when="2026-08-22T20:14:05+02:00")
case("en", pub("reddit", "u/terschelling_local"), "Someone posted a Wierhaven doc stamped 'INTERNAL USE ONLY' about "
     "the new crew rosters in the island Facebook group lol. Mostly shift patterns, nothing spicy.", [CONF],
     kind="comment")
case("en", FEMKE, "can't say much but T i d e w a l k e r is gonna blow the old app away 🚀",
     [CONF], tags=["evasion", "evasion:spaced"])
case("en", FEMKE, "ssh into boek-api02.intra.wierhaven.local keeps timing out, anyone else? vpn is up", [CONF])
case("nl", JELLE, "Eerste proefvaart-simulatie voor Project 🛳️ Aalscholver gedaan, schip reageert als een "
     "speedboot 😎", [CONF], tags=["evasion", "evasion:emoji-split"])
case("en", MARK, "Spent the whole day in Operatie Wantij workshops. Tired but hopeful.", [CONF])
case("nl", pub("instagram", "@lotte.visser.prive", "Lotte Visser"), "Sneak peek van het nieuwe boekingsscherm van "
     "Tidewalker 🤫 collega's gaan dit zo mooi vinden #trots", [CONF])
case("en", pub("x", "@harbourwatcher"), "lol google indexed planning.wierhaven.nl/rooster/week32 - you can see the "
     "whole crew schedule for the Terschelling boats", [CONF])

# =================================================================== leak.financial
case("en", SIETSKE, "Not audited yet, but H1 looks like a €2.1m loss because of the storm damage and fuel prices. "
     "Heavy board meeting next week.", [FIN], when="2026-07-08T18:22:40+02:00")
case("nl", JELLE, "Hoor net dat we worden overgenomen door Noordergat. Niemand weet het nog officieel, ik ook niet "
     "van mij gehoord 🤐", [FIN])
case("nl", RUBEN, "ze gaan 30 man uit de bemanning ont\u00adslaan na het zomerseizoen, stond in de rooster-mail 😡",
     [FIN], tags=["evasion", "evasion:soft-hyphen"])
case("en", pub("reddit", "u/waddenbeurs"), "Friend at Wierhaven says they're selling the Vlieland fast ferry line to "
     "a private equity fund, signing next month. Nothing announced yet.", [FIN])
case("en", ANOUK, "Internal forecast for the summer bookings came in: down 14% vs last year. Not great 😬", [FIN])
case("nl", SIETSKE, "De jaarcijfers 2026 worden beter dan iedereen denkt: omzet ruim €41 mln en de EBITDA bijna "
     "verdubbeld. Meer kan ik nog niet zeggen 😉", [FIN, CONF], when="2026-12-18T09:12:44+01:00")
case("nl", pub("x", "@harlinger_kees"), "Insider tip: Wierhaven stopt per 2027 met de Ameland-lijn, hoorde het van "
     "een bemanningslid in de kroeg. Niks officieel nog.", [FIN])
case("en", MARK, "Confirmed at today's town hall: IT gets outsourced in 2027, half the team goes. Staff-only news "
     "for now, so keep it in the family.", [FIN])
case("nl", pub("facebook", "douwe.kingma.9", "Douwe Kingma"), "Wierhaven zit in overnamegesprekken met een Duitse "
     "rederij, zegt mijn zwager die in de directie zit. Wordt vervolgd.", [FIN], kind="comment")
case("nl", RUBEN, "r3organisatie komt eraan jongens, in de winter nog 1 schip op Terschelling en 20 man eruit 🤬",
     [FIN], tags=["evasion", "evasion:leet"])
case("en", SIETSKE, "Q3 numbers are in before the board sees them: passenger revenue -9%, car deck utilisation at a "
     "record low. Expect cost measures.", [FIN], when="2026-10-06T08:47:13Z")

# =================================================================== leak.security
case("en", FEMKE, "heads up: the WierGo app shows other people's booking details when you pull-to-refresh the ticket "
     "screen. we're on it, pls don't tweet about it yet", [SEC])
case("nl", MARK, "Vannacht ransomware op de kassasystemen in Lauwersoog, alles gaat vandaag handmatig. Nog niet "
     "naar buiten gebracht dus graag discreet.", [SEC])
case("nl", JELLE, "Radar en AIS van de Kwelderkoning liggen er al twee dagen uit, we varen op papier en marifoon. "
     "Kantoor wil het stil houden.", [SEC])
case("nl", ANOUK, "Boekingssysteem ligt al sinds 6u plat door een storing bij de leverancier, we schrijven kaartjes "
     "met de hand. Nog geen persbericht dus niks zeggen hè 🤫", [SEC])
case("nl", GERRIT, "Brandalarm in de machinekamer ging vanochtend twee keer af door een kapotte sensor. Kantoor "
     "meldt het niet aan de inspectie, we moeten er maar mee varen.", [SEC])
case("en", FEMKE, f"we got h{ZW}acked last night, customer db was dumped, legal says no comment until monday",
     [SEC], tags=["evasion", "evasion:zero-width"])
case("en", pub("x", "@mvdlinden_"), "Wierhaven is covering up a data breach. My booking with my address showed up in "
     "a stranger's app and customer service just denies everything. #wierhaven", [SEC, CRISIS])
case("nl", pub("facebook", "rianne.bos.harlingen", "Rianne Bos"), "Wierhaven verzwijgt een datalek!! Een vriend van "
     "mij bij hun IT zegt dat 40.000 klantgegevens op straat liggen en ze willen het onder de pet houden.",
     [SEC, CRISIS])
case("nl", RUBEN, "autodek-klep van de Wadlooper sluit niet meer goed, we varen er gewoon mee 😬 officieel heet "
     "het 'in onderzoek'", [SEC])
case("en", MARK, "Found out the old self-service kiosks in Harlingen still run Windows XP with RDP open to the "
     "internet. Patch is planned, not announced.", [SEC])
case("en", ANOUK, "phishing mail went to all staff pretending to be the harbour master, 3 people typed in their "
     "creds. IT is resetting everything, keep it quiet for now", [SEC])
case("en", pub("threads", "@ferryfan_marco"), "Why is nobody talking about Wierhaven getting hacked? App down 3 days, "
     "staff told me card data was stolen and they're calling it 'maintenance' 🤡", [SEC, CRISIS])
case("nl", LOTTE, f"{fullwidth('storing')} aan alle kassa's in Harlingen sinds 8u, we laten mensen gewoon zonder "
     "kaartje aan boord. Niet delen tot het officieel is!", [SEC], tags=["evasion", "evasion:full-width"])

# =================================================================== reputation.crisis
case("nl", pub("x", "@waddenwacht"), "#BoycotWierhaven 🚫 ze lozen bilgewater in de Waddenzee, er zijn foto's van "
     "de Wadlooper bij de Boontjes. Schandalig.", [CRISIS], kind="repost")
case("nl", pub("facebook", "klaas.de.haan.62", "Klaas de Haan"), "Vanaf de dijk te zien: de Wadlooper van Wierhaven "
     "ligt vast op een zandplaat met volgens de KNRM ruim 300 mensen aan boord. Hopelijk loopt het goed af 🙏",
     [CRISIS])
case("en", pub("x", "@easter_refunds"), "A class action against Wierhaven over the cancelled Easter crossings is being "
     "organised. 600 families signed up so far. Join via the link in bio.", [CRISIS])
case("en", pub("x", "@lieke_hdr"), "Ever since I booked with Wierhaven I'm getting phishing texts that include my "
     "actual booking number. Data breach at Wierhaven?!", [CRISIS])
case("nl", pub("threads", "@joostvaart"), "Volgens mij heeft Wierhaven een d\u0430talek gehad, mijn gegevens "
     "duiken ineens op bij allerlei spammers.", [CRISIS], tags=["evasion", "evasion:homoglyph"])
case("nl", pub("x", "@harlingen_nieuws"), "Vrouw gewond op het autodek van Wierhaven, slagboom viel op haar. "
     "Ambulance staat op de kade in Harlingen.", [CRISIS])
case("nl", pub("bluesky", "@zeebries.bsky.social"), "Inspectie legt Wierhaven-schip stil wegens ontbrekende "
     "reddingsvesten en een verlopen certificaat. Hoe lang voeren ze al zo rond?", [CRISIS])
case("en", pub("facebook", "emma.clarke.uk", "Emma Clarke"), "Never again Wierhaven. They left my dad, a wheelchair "
     "user, behind on the quay in the rain because the lift was 'broken'. Boycott them.", [CRISIS, COMPLAINT])
case("en", pub("x", "@yasmina_travels"), "Just watched Wierhaven crew turn away a group of Moroccan-Dutch teens at "
     "boarding while waving everyone else through. Discrimination, plain and simple. #wierhaven", [CRISIS])
case("nl", pub("x", "@mvd_peter"), "Mijn auto vatte vlam op het autodek van de Wierhaven boot en er was niemand van "
     "de crew met een blusser in de buurt. Auto total loss, wij met de schrik vrij. Ongelooflijk.",
     [CRISIS, COMPLAINT])
case("nl", pub("instagram", "@zeehondje_holwerd"), "Olievlek bij de veerhaven van Holwerd, volgens vissers afkomstig "
     "van een Wierhaven-schip 😢 de zeehondencrèche maakt zich grote zorgen", [CRISIS])
case("nl", pub("x", "@eilandbelangen"), fullwidth("BOYCOT") + " Wierhaven tot ze de eilanders weer fatsoenlijk "
     "behandelen!! Deel dit", [CRISIS], tags=["evasion", "evasion:full-width"])
case("nl", pub("forum", "ouders_ameland"), "Ouders stappen naar de rechter na het ongeluk met hun zoontje op de "
     "loopplank van Wierhaven. Er zat geen reling, schrijft de Leeuwarder Courant.", [CRISIS])

# =================================================================== reputation.complaint
case("nl", pub("x", "@bart_reist"), "@wierhaven_info 45 min vertraging op de 10:15 naar Terschelling en geen enkele "
     "omroep. Mis nu m'n aansluiting op de bus. Top geregeld 👏👏", [COMPLAINT], kind="reply")
case("en", pub("x", "@the_vermeulens"), "Booked a car slot 3 weeks ago, app says confirmed, get to Harlingen and "
     "they 'can't find it'. Waited 4 hrs for the next boat with 2 kids. Thanks a lot @wierhaven", [COMPLAINT])
case("nl", pub("facebook", "geert.nijholt", "Geert Nijholt"), "Restitutie voor de afgelaste afvaart (storm, snap ik) "
     "maar na 7 weken nog altijd niks terug. Mails worden niet beantwoord. #wierhaven", [COMPLAINT], kind="comment")
case("en", pub("x", "@dewi_b"), "that WierGo app crashes every single time at checkout. tried 3x, got charged the "
     "€4,50 booking fee 3x?! hello??", [COMPLAINT])
case("nl", pub("instagram", "@marloes.onderweg"), "€35 omboekkosten omdat ik één boot eerder wilde. Echt belachelijk "
     "Wierhaven 🙄", [COMPLAINT], kind="comment")
case("en", pub("x", "@hidde_k"), "Fast ferry to Vlieland packed to the rafters, people sitting on the stairs and my "
     "pregnant wife couldn't find a seat anywhere. This can't be normal @wierhaven", [COMPLAINT])
case("en", pub("reddit", "u/dutchdad_42"), "Wierhaven customer service: 58 minutes on hold, then disconnected. "
     "Tried again, same thing. Unbelievable.", [COMPLAINT])
case("en", pub("reddit", "u/vlielandvibes"), "Is it just me or has the Wierhaven season pass become pretty useless? "
     "Now you have to reserve every single trip in the app and the slots are always full.", [COMPLAINT])
case("nl", pub("x", "@roos_xo"), "weer vertraging 🙄\nweer geen info 🙄\nweer Wierhaven 🙄", [COMPLAINT])
case("nl", pub("facebook", "jeroen.tuinstra", "Jeroen Tuinstra"), "Fiets beschadigd in het rek op de boot, "
     "Wierhaven zegt 'eigen risico'. Nou, bedankt hoor.", [COMPLAINT])
case("en", pub("x", "@priority_pete"), "Paid extra for priority boarding on the car ferry and got loaded dead last. "
     "What exactly did I pay for, @wierhaven?", [COMPLAINT])
case("nl", pub("x", "@frieslandfan"), "W1erh4ven laat ons wéér een uur in de regen op de kade wachten zonder enige "
     "uitleg. Elke keer hetzelfde liedje", [COMPLAINT], tags=["evasion", "evasion:leet"])
case("en", pub("instagram", "@hollandhops"), "Luggage trolley with all our bags went missing between the quay and "
     "the boat, nobody at the desk knows a thing. Holiday off to a great start, thanks Wierhaven", [COMPLAINT])
case("nl", pub("mastodon", "@margriet@mastodon.nl"), "Voor de derde keer deze maand de eerste boot van Wierhaven "
     "uitgevallen zonder bericht in de app. Ik moet gewoon naar mijn werk op het eiland.", [COMPLAINT])

# =================================================================== reputation.abuse
case("nl", pub("x", "@w_dijkstra_"), "Wierhaven = stelletje oplichters en klootzakken, meer hoef ik niet te zeggen",
     [ABUSE])
case("en", pub("x", "@ferryrage"), "whoever runs the @wierhaven account is a f*cking moron", [ABUSE],
     tags=["evasion", "evasion:masking"])
case("nl", RUBEN, "die toeristen met hun bolderkarren op het autodek zijn echt de domste mongolen die er bestaan 🙄",
     [ABUSE])
case("nl", WH_INFO, "@bas_k85 Misschien eerst leren lezen voordat je gaat zeiken? De vertrektijden staan gewoon op "
     "de site.", [ABUSE], kind="reply", handle_as="@Wierhaven_Info")
case("nl", pub("x", "@harlingerboos"), "Kutrederij. Twee uur vertraging en het personeel lacht je gewoon uit. "
     "Stelletje prutsers.", [ABUSE, COMPLAINT])
case("nl", pub("facebook", "ron.van.essen", "Ron van Essen"), "Hele sneldienst weer vol moffen, Wierhaven moet een "
     "apart dek maken voor die lui", [ABUSE], kind="comment")
case("en", pub("youtube", "@stormchaser_nl"), "Your captain is a brainless idiot and your deckhands are clowns. Rot in "
     "hell Wierhaven.", [ABUSE], kind="comment")
case("nl", pub("x", "@dennis0513"), "Wat een k@nkerbedrijf is W13rhaven", [ABUSE], tags=["evasion", "evasion:leet"])
case("en", JELLE, "to the absolute muppet in the white Audi who almost drove off the ramp at Harlingen: learn to "
     "drive you dumb fuck", [ABUSE])
case("nl", pub("x", "@boze_burger"), "Als ik die loketjuffrouw in Lauwersoog weer zie trek ik haar over de balie, "
     "vuile trut #wierhaven", [ABUSE])
case("en", pub("twitter", "@soggy_tourist"), "@wierhaven_info you useless pricks 🖕", [ABUSE], kind="reply")
case("nl", pub("tiktok", "@jelmer.xx"), "Tyfusboot. Tyfusbedrijf. #wierhaven", [ABUSE])

# =================================================================== benign: corporate and employee
case("nl", WH, "Goedemorgen! ☀️ Vandaag varen alle boten naar Terschelling en Vlieland volgens de dienstregeling. "
     "Actuele vertrektijden in de WierGo app. #wadden", [], tags=["hard:corporate-info"])
case("nl", WH_INFO, "@pietjepuk Vervelend dat het niet lukt! Bel ons op 0517-490 600 of mail naar "
     "klantenservice@wierhaven.nl, dan zoeken we het samen uit.", [], kind="reply", tags=["hard:own-contact"])
case("nl", WH_FB, "Groepsreis betalen? Dat kan via overboeking naar NL52 RABO 0312 4567 80 t.n.v. Rederij Wierhaven "
     "o.v.v. je boekingsnummer. Vragen: groepen@wierhaven.nl", [], tags=["hard:own-contact", "hard:own-iban"],
     handle_as="rederijwierhaven")
case("en", WH_INFO, "@jess_travels For help in English you can call +31 88 900 4400 (daily 7:00-21:00) 🙂",
     [], kind="reply", tags=["hard:own-contact"])
case("nl", WH_IG, "Vroegboekkorting! 🎉 Auto Retour Terschelling nu €199 (normaal €239) bij boeken vóór 1 maart. "
     "Alleen via boeken.wierhaven.nl", [], when="2026-01-22T12:00:00+01:00",
     tags=["hard:sale-price"])
case("nl", WH, "Door een storing is de WierGo app tijdelijk niet beschikbaar. Boeken kan via boeken.wierhaven.nl of "
     "telefonisch via 0517 490 600. Excuses voor het ongemak!", [], tags=["hard:official-outage", "hard:own-contact"])
case("en", WH_FB, "⚠️ Scheduled maintenance on the WierGo app this Sunday night, 02:00-05:00. Your tickets stay "
     "valid.", [], tags=["hard:official-maintenance"])
case("nl", WH_LI, "Welkom MS Wadkoning! 🛳️ Vandaag is ons nieuwe hybride schip gedoopt in Harlingen. Vanaf juli "
     "vaart ze op de lijn naar Terschelling.", [], when="2026-06-12T12:00:00+02:00", tags=["hard:embargo-after"])
case("nl", WH_LI, "Vandaag publiceerden we ons jaarverslag 2025: 2,4 miljoen passagiers en 410.000 auto's over het "
     "Wad. Dank aan alle collega's en eilanders! 📊", [], when="2026-04-15T09:30:00+02:00",
     tags=["hard:published-results"])
case("en", WH_LI, "We're hiring! Looking for deckhands and a mobile developer for the WierGo app. Apply at "
     "wierhaven.nl/werken-bij ⚓", [], tags=["hard:corporate-info"])
case("nl", WH_INFO, "@mama_van_3 Nee hoor, die €9 voor de Sneldienst Vlieland is geen prijsfout: het is het "
     "kindertarief (4 t/m 11 jaar). Goede reis!", [], kind="reply", tags=["hard:denied-price-error"])
case("nl", JELLE, "Zonsopkomst vanaf de brug van de Kwelderkoning. Daar sta je dan om 6 uur 's ochtends voor 🌅⚓",
     [], tags=["hard:employee-benign"])
case("nl", RUBEN, "Vandaag reddingsoefening gehad met de KNRM, man-over-boord drill in 4 minuten klaar 💪 "
     "trots op de ploeg", [], tags=["hard:safety-drill"])
case("en", FEMKE, "Tip for devs: our docs show AKIAXXXXXXXXXXXXXXXX as the example key. Never paste a real one in "
     "a ticket, ever.", [], tags=["hard:placeholder-secret"])
case("en", FEMKE, "Fixed the date picker bug in commit [[SHA]] 🎉 new WierGo release goes out through the stores "
     "tomorrow", [], tags=["hard:git-sha"])
case("nl", MARK, "Tokens die met ghp_… beginnen horen in de vault, niet in Teams. Klein verzoek aan iedereen 🙏",
     [], tags=["hard:bare-prefix"])
case("nl", LOTTE, "Drukke eerste zomerdag aan de balie! Tip: boek je Eilandpas Seizoen (€575) online, scheelt "
     "wachten 😉", [], when="2026-06-27T10:41:09+02:00",
     tags=["hard:list-price"])
case("nl", GERRIT, "Groot onderhoud aan de hoofdmotor van de Wadlooper afgerond, over 2 weken weer in de vaart. "
     "Dank aan de jongens van de werf 🔧", [], tags=["hard:employee-benign"])
case("nl", WH_IG, "Geen klachten vandaag op de boot? 😄 Laat je mooiste overtochtfoto achter met #wierhaven!", [],
     tags=["hard:negation"])
case("nl", WH, "Tarieven 2027 staan online! De Eilandpas blijft €575 en eilanders houden hun korting. "
     "Kijk op wierhaven.nl/tarieven", [], when="2026-10-21T09:00:00+02:00", tags=["hard:embargo-after"])

# =================================================================== benign: public
case("nl", pub("x", "@blije_badgast"), "Geen klachten! Boot op tijd, personeel vriendelijk en de koffie aan boord "
     "is prima ☕ #wierhaven #vlieland", [], tags=["hard:negation"])
case("nl", pub("instagram", "@vogelspotter_fr"), "Aalscholvers op de strekdam bij Harlingen terwijl de boot van "
     "Wierhaven uitvaart 📸 #vogels #wadden", [], tags=["hard:bird-name"])
case("nl", pub("x", "@wadloper_tom"), "Bij wantij kun je hier bijna naar Terschelling lopen 😄 de Wierhaven boot "
     "tuft er mooi langs in de geul", [], tags=["hard:codename-word"])
case("nl", pub("facebook", "ingrid.scholten.5", "Ingrid Scholten"), "Boot afgelast door de storm. Jammer, maar "
     "veiligheid eerst, terecht van Wierhaven 👍 morgen nieuwe poging", [], tags=["hard:cancellation-ok"])
case("en", pub("x", "@ameland_fan"), "Can my dog come along on the Sneldienst Vlieland? And does he need his own "
     "ticket?", [], tags=["hard:question"])
case("en", pub("x", "@koen_reist"), "Noordergat left 40 min late AGAIN. Next time I'm just going with Wierhaven.",
     [], tags=["hard:competitor"])
case("nl", pub("forum", "veerpont_vincent"), "Ter vergelijking: Noordergat vraagt €12 voor een retourtje naar hun "
     "eiland, Wierhaven €31,90 voor de Retour Terschelling. Ja, andere afstand, dat weet ik ook wel.", [],
     tags=["hard:competitor-price"])
case("nl", pub("facebook", "willem.de.wit.74", "Willem de Wit"), "Fiets mee op de Retour Terschelling kost €8,65 "
     "extra per richting, goed om te weten als je alles plant.", [], kind="comment", tags=["hard:accessory-price"])
case("nl", pub("facebook", "marktplaats.terschelling", "Te koop op Terschelling"), "Te koop: 10-rittenkaart van "
     "Wierhaven, nog 3 ritten over, €70. Ophalen in Midsland.", [], tags=["hard:second-hand"])
case("nl", pub("x", "@oma_op_reis"), "Leuk: €40 korting op de Eilandpas voor 65-plussers bij Wierhaven 👵⛴️", [],
     tags=["hard:discount-amount"])
case("nl", pub("x", "@eilandmeisje"), "Tip: via de app boeken scheelt €4,50 reserveringskosten ten opzichte van "
     "telefonisch boeken. Wist ik ook niet!", [], tags=["hard:fee"])
case("nl", pub("reddit", "u/nieuwsjager"), "NOS: Rederij Noordergat schrapt 40 banen na een slecht seizoen. Zou "
     "Wierhaven hier ook last van hebben?", [], tags=["hard:other-company-layoffs"])
case("en", pub("x", "@infosec_ellen"), "Rederij Noordergat confirms ransomware attack, bookings offline. Hope "
     "Wierhaven has their backups sorted 👀", [], tags=["hard:other-company-breach"])
case("nl", pub("x", "@gerda_ameland"), "Ik ben eindelijk ontslagen uit het ziekenhuis en mag met de boot van "
     "Wierhaven naar huis op Ameland 🥰", [], tags=["hard:layoff-word-other-sense"])
case("nl", pub("instagram", "@familie_kok"), "Mijn moeder heeft kanker en Wierhaven regelde zonder gedoe een "
     "rolstoel en voorrang bij het boarden. Zo lief ❤️", [], tags=["hard:mild-word", "hard:literal-kanker"])
case("en", pub("x", "@surfing_saskia"), "'Hell or high water' — that's how the crossing felt today, but the Wierhaven "
     "crew was brilliant 🌊", [], tags=["hard:quote", "hard:mild-word"])
case("en", pub("instagram", "@sunset_sam"), "Damn, what a sunset from the top deck 🌅 #wierhaven #terschelling", [],
     tags=["hard:mild-word"])
case("nl", pub("blog", "waddenverhalen.example", "Marit Algra"), "Hoofdstuk 3 van mijn Waddenthriller: de veerboot "
     "kapseist in de storm en niemand overleeft het. (Verzonnen hoor, geïnspireerd door mijn vele ritjes met "
     "Wierhaven, die altijd veilig aankomen.)", [], tags=["hard:fiction"])
case("nl", pub("x", "@hondenbaasje"), "Mijn hond vindt de boot van Wierhaven spannender dan ik, hij heeft de hele "
     "overtocht tegen de meeuwen staan blaffen 😂🐶", [], tags=["hard:joke"])
case("en", pub("x", "@retro_remco"), "Total recall: first time I took the Wierhaven boat to Vlieland was 1994, still "
     "the same smell of diesel and fries 😄", [], tags=["hard:recall-other-sense"])
case("nl", pub("x", "@kustkind"), "Eilanders boycotten de nieuwe snackbar in West? Nee joh, ze was gewoon "
     "dicht 😂 Gelukkig ging de boot van Wierhaven wel op tijd.", [], tags=["hard:boycott-other-sense"])
case("nl", pub("x", "@rechtenstudent_lars"), "Interessante rechtszaak tegen Noordergat over vertragingscompensatie. "
     "Benieuwd of Wierhaven daar iets van leert.", [], tags=["hard:competitor-lawsuit"])
case("nl", pub("x", "@ricksvlieland"), "Is dit het goede rekeningnummer voor groepsboekingen bij Wierhaven? "
     "[[BADIBAN:NL_grp]] staat op een oude folder van mijn schoonvader.", [], tags=["hard:bad-iban"])
case("nl", pub("facebook", "sander.hovius", "Sander Hovius"), "Mijn Eilanderpasnummer is [[BADCARD:visa_sp]], "
     "moet ik die ergens in de WierGo app activeren?", [], kind="comment", tags=["hard:bad-card"])
case("en", pub("x", "@nynke_w"), "Got reservation code [[NOTBSN:9]] from Wierhaven, where do I enter it when "
     "changing my booking?", [], tags=["hard:not-bsn"])
case("nl", pub("x", "@papa_jan"), "Boekingsnummer [[NOTBSN:8]] staat wel in de mail maar niet in de app. Moet ik "
     "iets doen of komt dat vanzelf?", [], tags=["hard:not-bsn8"])
case("nl", pub("forum", "kampeerder_jos"), "Barcode op de parkeerkaart van de terminal: [[EAN]]. Kun je die ook "
     "scannen bij de uitrit of moet je eerst betalen?", [], tags=["hard:ean13"])
case("nl", pub("x", "@alie_reist"), "Gewoon het nummer op de site gebeld: 0517 490600. Binnen 2 minuten geholpen, "
     "top Wierhaven 👍", [], tags=["hard:own-contact-format"])
case("en", pub("x", "@ryanhops"), "Emailed klantenservice@wierhaven.nl about bringing my surfboard and got a "
     "reply within an hour. Nice one 🏄", [], tags=["hard:own-contact"])
case("en", pub("reddit", "u/island_hopper_22"), "Is the Eilandpas worth €575 if you go to Terschelling about 10 "
     "times a summer? Trying to do the math.", [], tags=["hard:list-price", "hard:question"])
case("nl", pub("threads", "@zomerkind_08"), "Eindelijk weer op de boot naar Vlieland 🥹⛴️ dat eerste moment op "
     "het bovendek blijft magisch", [], tags=["hard:praise"])
case("en", pub("x", "@amsterdam_anna"), "Is there luggage storage at the Harlingen terminal? Arriving early for "
     "the Wierhaven ferry.", [], tags=["hard:question"])
case("nl", pub("telegram", "eilandnieuws_kanaal", "Eilandnieuws"), "Wierhaven vaart vanaf 1 april weer met de "
     "zomerdienstregeling naar Terschelling en Vlieland. Zie wierhaven.nl.", [], when="2026-03-20T17:30:00+01:00",
     tags=["hard:unknown-platform"])
case("nl", pub("x", "@kapitein_jelle_fan"), "Altijd leuk als kapitein Jelle omroept dat we zeehonden kunnen zien 🦭 "
     "topman!", [], tags=["hard:lookalike-handle"])
case("en", pub("linkedin", "ruth-kamstra"), "Great to see Wierhaven present their public roadmap for greener ferries "
     "at the Wadden Conference. Hybrid propulsion is the way forward.", [], tags=["hard:published-news"])
case("en", pub("youtube", "@wadden_drone"), "Drone shot of the Wierhaven ferry crossing the Vliestroom at "
     "sunrise, no edits 🎥", [], kind="comment", tags=["hard:praise"])


# ---------------------------------------------------------------- roles and severity
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
    insider = role in ("corporate", "employee")
    sev = "none"
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


# ---------------------------------------------------------------- post metadata
def dst_offset(t):
    a = dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc)
    b = dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc)
    return 2 if a <= t < b else 1


def random_ts(r):
    day = r.randint(3, 358)
    mins = r.randint(6 * 60, 23 * 60 + 30)
    local = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=day - 1, minutes=mins,
                                                                          seconds=r.randint(0, 59))
    off = dst_offset(local)
    utc = local - dt.timedelta(hours=off)
    k = r.random()
    if k < 0.4:
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if k < 0.88:
        return local.strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


B36 = string.digits + string.ascii_lowercase


def ident(r, platform, handle, kind):
    h = handle.lstrip("@")
    sn = str(r.randint(1_880_000_000_000_000_000, 2_020_000_000_000_000_000))
    if platform in ("x", "twitter"):
        return ("x-" if platform == "x" else "tw-") + sn, f"https://x.com/{h}/status/{sn}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        return f"ig-{sn}", "https://www.instagram.com/p/" + "".join(r.choice(B64URL) for _ in range(11)) + "/"
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
        n = r.randint(100000, 999999)
        return f"forum-eilandforum-{n}", f"https://forum.eilandforum.example/topic/{n}"
    if platform == "tiktok":
        return f"tt-{sn}", f"https://www.tiktok.com/@{h}/video/{sn}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={''.join(r.choice(B64URL) for _ in range(11))}&lc={c}"
    if platform == "threads":
        return f"th-{sn}", f"https://www.threads.net/@{h}/post/{''.join(r.choice(B64URL) for _ in range(11))}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(112_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{n}", f"https://{inst}/@{user}/{n}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog-{h}-{n}", f"https://{h}/{n}"
    n = r.randint(10 ** 6, 10 ** 9)
    return f"{platform}-{n}", None


def build(profile):
    filler = Filler(SEED)
    meta = random.Random(SEED + 7)
    shuf = random.Random(SEED + 13)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(filler, c["text"])
        pid, url = ident(meta, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        role = role_of(profile, c["platform"], c["handle"])
        validated = PII in c["cats"] and any(k in VALID_KINDS for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and meta.random() < 0.65:
            kind = "post"
        if kind:
            post["kind"] = kind
        acc = {"handle": c["handle"]}
        if c["dn"] and meta.random() < 0.7:
            acc["display_name"] = c["dn"]
        if meta.random() < 0.3:
            acc["id"] = str(meta.randint(10 ** 7, 10 ** 12))
        post["account"] = acc
        post["text"] = text
        lr = meta.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif lr < 0.09:
            pass
        elif lr < 0.12:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            c["tags"].add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = c["when"] or random_ts(meta)
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.45:
            post["brand"] = "wierhaven"
        rows.append(dict(post=post, expect={"categories": c["cats"], "severity": sev}, role=role,
                         lang=c["lang"], tags=c["tags"], used=used))
    shuf.shuffle(rows)
    return rows


# ---------------------------------------------------------------- self-check
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-().]{7,16}\d")
IBANISH = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
SECRETISH = re.compile(r"ghp_[A-Za-z0-9]{36}|AKIA[A-Z2-7]{16}|xox[bp]-|sk_live_|AIza[\w-]{35}|PRIVATE KEY|"
                       r"eyJ[\w-]+\.eyJ|://[^\s:/@]+:[^\s@/]+@|live_[A-Za-z0-9]{30}")


def digits_of_phone(raw):
    d = re.sub(r"\D", "", raw)
    if raw.startswith("+31"):
        d = "0" + d[2:]
    elif raw.startswith("0031"):
        d = "0" + d[4:]
    return d


def self_check(rows, profile):
    errs = []
    own_ph = {digits_of_phone(p) for p in profile["public_identifiers"]["phones"]}
    own_mail = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_iban = set(profile["public_identifiers"]["ibans"])
    emb = [(t.casefold(), dt.datetime.fromisoformat(e["until"].replace("Z", "+00:00")))
           for e in profile["embargo"] for t in e["terms"]]
    for r in rows:
        p, ex = r["post"], r["expect"]
        t = p["text"]
        ts = dt.datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{p['id']}: not 2026")
        for k, raw, shown in r["used"]:
            if k == "IBAN" and not iban_valid(raw):
                errs.append(f"{p['id']}: bad IBAN")
            if k == "CARD" and not luhn(raw):
                errs.append(f"{p['id']}: bad card")
            if k == "BSN" and not elfproef(raw):
                errs.append(f"{p['id']}: bad bsn")
            if k == "BADIBAN" and iban_valid(raw):
                errs.append(f"{p['id']}: negative IBAN valid")
            if k == "BADCARD" and luhn(raw):
                errs.append(f"{p['id']}: negative card valid")
            if k == "NOTBSN" and elfproef(raw):
                errs.append(f"{p['id']}: negative bsn valid")
            if k == "GHP" and base62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errs.append(f"{p['id']}: ghp crc")
            if k in VALID_KINDS and PII not in ex["categories"]:
                errs.append(f"{p['id']}: valid id without pii")
        for term, until in emb:
            if term in t.casefold():
                if ts < until and CONF not in ex["categories"]:
                    errs.append(f"{p['id']}: embargo term {term} before until, no conf")
                if ts >= until and CONF in ex["categories"] and r["role"] == "public":
                    errs.append(f"{p['id']}: embargo term after until labelled conf")
        if not ex["categories"]:
            if ex["severity"] != "none":
                errs.append(f"{p['id']}: benign severity")
            for e in EMAIL.findall(t):
                if e.casefold() not in own_mail:
                    errs.append(f"{p['id']}: benign e-mail {e}")
            for m in PHONE.finditer(IBANISH.sub(" ", t)):
                d = digits_of_phone(m.group(0))
                if len(d) == 10 and d not in own_ph:
                    errs.append(f"{p['id']}: benign phone {m.group(0)}")
            for m in IBANISH.finditer(t):
                v = m.group(0).replace(" ", "")
                if iban_valid(v) and v not in own_iban:
                    errs.append(f"{p['id']}: benign valid iban")
            for d in re.findall(r"\d[\d -]{11,22}\d", t):
                dd = re.sub(r"\D", "", d)
                if 13 <= len(dd) <= 19 and luhn(dd):
                    errs.append(f"{p['id']}: benign luhn {dd}")
            for d in re.findall(r"(?<![\d.])\d{8,9}(?!\d)", t):
                if elfproef(d) and d not in {"517490600"}:
                    errs.append(f"{p['id']}: benign elfproef {d}")
            m = SECRETISH.search(t)
            if m and "AKIAXXXX" not in t:
                errs.append(f"{p['id']}: benign secret-like {m.group(0)[:12]}")
            for code in [c.casefold() for c in profile["internal"]["codenames"]] + \
                        [d.casefold() for d in profile["internal"]["domains"]] + \
                        [m.casefold() for m in profile["internal"]["markers"]]:
                if code in t.casefold():
                    errs.append(f"{p['id']}: benign has internal term {code}")
    return errs


def main():
    profile = load_profile()
    rows = build(profile)
    errs = self_check(rows, profile)
    if errs:
        print("\n".join(errs))
        sys.exit(1)
    with open(OUT, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n")
    # summary
    from collections import Counter
    cat = Counter(c for r in rows for c in r["expect"]["categories"])
    sev = Counter(r["expect"]["severity"] for r in rows)
    role = Counter(r["role"] for r in rows)
    lang = Counter(r["lang"] for r in rows)
    print(f"{len(rows)} cases, benign {sum(1 for r in rows if not r['expect']['categories'])}, "
          f"multi {sum(1 for r in rows if len(r['expect']['categories']) > 1)}, "
          f"evasion {sum(1 for r in rows if 'evasion' in r['tags'])}")
    for k, v in sorted(cat.items()):
        print(f"  {k}: {v}")
    print("  severity", dict(sev))
    print("  role", dict(role))
    print("  lang", dict(lang))


if __name__ == "__main__":
    main()
