#!/usr/bin/env python3
"""Blind evaluation set sealed18: generator for cases.jsonl.

    python3 make_cases.py          # write cases.jsonl next to this file
    python3 make_cases.py --check  # regenerate in memory, compare, self-validate, print counts

Company: Pimpelmees N.V. (fictional Belgian-Dutch toy and baby-products retailer),
see profile.yaml. Texts are hand-written below; identifiers and secrets come from
<<KIND:fmt>> placeholders filled by one seeded RNG, so output is byte-identical on
every run. Positive identifiers pass their checksum (IBAN mod-97, Luhn, BSN 11-proof,
Belgian national register mod-97); near-misses in benign posts fail it.
Severity is computed from CONTRACT section 4, never typed by hand.
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
from pathlib import Path

SEED = 18_2026_0611
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}

SECRET, PII, PRICING, CONF, FIN, SEC = ("leak.secret", "leak.pii", "leak.pricing",
                                        "leak.confidential", "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"
ALL_CATS = [SECRET, PII, PRICING, CONF, FIN, SEC, CRISIS, COMPLAINT, ABUSE]

ZW = "\u200b"
SHY = "\u00ad"

# ---------------------------------------------------------------- checksums

def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    n = "".join(str(int(c, 36)) for c in s[4:] + s[:4])
    return int(n) % 97 == 1


def iban_make(cc, bban):
    n = "".join(str(int(c, 36)) for c in bban + cc + "00")
    return f"{cc}{98 - int(n) % 97:02d}{bban}"


def luhn_ok(d):
    d = re.sub(r"\D", "", d)
    tot = 0
    for i, ch in enumerate(reversed(d)):
        v = int(ch)
        if i % 2:
            v = v * 2 - 9 if v * 2 > 9 else v * 2
        tot += v
    return bool(d) and tot % 10 == 0


def luhn_fill(prefix):
    return next(prefix + c for c in "0123456789" if luhn_ok(prefix + c))


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t % 11 == 0 and t != 0


def rrn_ok(s):
    """Belgian national register number: 97 - (first 9 digits mod 97), '2' prefix for births >= 2000."""
    s = re.sub(r"\D", "", s)
    if len(s) != 11:
        return False
    body, chk = int(s[:9]), int(s[9:])
    return chk == 97 - body % 97 or chk == 97 - int("2" + s[:9]) % 97


# ---------------------------------------------------------------- generators
ALNUM = string.ascii_letters + string.digits
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def b62(n):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return s or "0"


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

    def iban(self, cc):
        if cc == "BE":
            f = self.r.choice(["001", "063", "068", "143", "363", "737", "973"]) + self.dig(7)
            return iban_make("BE", f + f"{int(f) % 97 or 97:02d}")
        if cc == "NL":
            return iban_make("NL", self.r.choice(["RABO", "INGB", "ABNA", "SNSB", "BUNQ", "TRIO"]) + self.dig(10, True))
        if cc == "DE":
            return iban_make("DE", self.r.choice(["37040044", "50010517", "10020030"]) + self.dig(10))
        if cc == "FR":
            return iban_make("FR", "30004" + self.dig(5) + self.dig(11) + self.dig(2))
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        for k in (7, 19, 31, 44):
            c = f"{v[:2]}{(int(v[2:4]) + k) % 100:02d}{v[4:]}"
            if not iban_ok(c):
                return c
        raise AssertionError

    def card(self, brand):
        if brand == "visa":
            return luhn_fill("4" + self.dig(14))
        if brand == "mc":
            return luhn_fill("5" + self.r.choice("12345") + self.dig(13))
        if brand == "mc2":
            return luhn_fill(str(self.r.randint(2221, 2720)) + self.dig(11))
        if brand == "amex":
            return luhn_fill(self.r.choice(["34", "37"]) + self.dig(12))
        raise ValueError(brand)

    def bad_luhn(self, n=16, first="6"):
        while True:
            s = first + self.dig(n - 1)
            if not luhn_ok(s):
                return s

    def bsn(self):
        while True:
            s = self.dig(9, True)
            if bsn_ok(s):
                return s

    def not_bsn(self, n=9):
        while True:
            s = self.dig(n, True)
            if not bsn_ok(s) and not luhn_ok(s):
                return s

    def rrn(self):
        y, m, d = self.r.randint(70, 99), self.r.randint(1, 12), self.r.randint(1, 28)
        ser = self.r.randint(1, 997)
        body = f"{y:02d}{m:02d}{d:02d}{ser:03d}"
        return body + f"{97 - int(body) % 97:02d}"

    def bad_rrn(self):
        v = self.rrn()
        c = (int(v[9:]) + 13) % 97 or 5
        return v[:9] + f"{c:02d}"

    def ean13(self):
        while True:
            b = "54" + self.dig(10)
            for c in "0123456789":
                d = [int(x) for x in b + c]
                if (sum(d[i] * (3 if i % 2 else 1) for i in range(12)) + d[12]) % 10 == 0:
                    if not luhn_ok(b + c):
                        return b + c

    def phone(self, fmt):
        if fmt.startswith("be"):
            m = "4" + self.r.choice("789") + self.dig(7)   # 9 digits without 0
            return {
                "be_intl": f"+32 {m[:3]} {m[3:5]} {m[5:7]} {m[7:]}",
                "be_slash": f"0{m[:3]}/{m[3:5]}.{m[5:7]}.{m[7:]}",
                "be_sp": f"0{m[:3]} {m[3:5]} {m[5:7]} {m[7:]}",
                "be_0032": f"0032{m}",
                "be_land": f"09 {self.r.choice('2345')}{self.dig(2)} {self.dig(2)} {self.dig(2)}",
            }[fmt]
        d8 = self.r.choice("12345") + self.dig(7)
        return {
            "nl_dash": f"06-{d8}",
            "nl_intl": f"+31 6 {d8[:4]} {d8[4:]}",
            "nl_pairs": f"06 {d8[:2]} {d8[2:4]} {d8[4:6]} {d8[6:]}",
        }[fmt]

    # secrets, random but in the real formats
    def ghp(self):
        body = self.ch(ALNUM, 30)
        return "ghp_" + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def jwt(self):
        enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        p = {"sub": "mbr_" + self.dig(7, True), "iss": "https://auth.pimpelmees.be", "aud": "pimpelclub-api",
             "scope": "points:read points:write", "iat": iat, "exp": iat + 7200}
        return f"{enc({'alg': 'RS256', 'typ': 'JWT', 'kid': self.ch(ALNUM, 8)})}.{enc(p)}.{self.ch(B64URL, 86)}"

    def pem(self):
        body = "MIIEowIBAAKCAQEA" + self.ch(B64, 64 * 6 - 16)
        lines = [body[i:i + 64] for i in range(0, len(body), 64)] + [self.ch(B64, 40) + "=="]
        return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"

    def secret(self, kind):
        return {
            "NPM": lambda: "npm_" + self.ch(ALNUM, 36),
            "AZKEY": lambda: base64.b64encode(bytes(self.r.getrandbits(8) for _ in range(64))).decode(),
            "SHOPIFY": lambda: "shpat_" + self.ch("0123456789abcdef", 32),
            "GLPAT": lambda: "glpat-" + self.ch(B64URL, 20),
            "SENDGRID": lambda: "SG." + self.ch(B64URL, 22) + "." + self.ch(B64URL, 43),
            "GAPI": lambda: "AIzaSy" + self.ch(B64URL, 33),
            "AWS_ID": lambda: "AKIA" + self.ch(B32, 16),
            "AWS_SECRET": lambda: self.ch(B64, 40),
            "STRIPE": lambda: "sk_live_" + self.ch(ALNUM, 99),
            "GHP": self.ghp,
            "JWT": self.jwt,
            "PEM": self.pem,
            "SLACK_HOOK": lambda: (f"https://hooks.slack.com/services/T{self.ch(string.ascii_uppercase + string.digits, 10)}"
                                   f"/B{self.ch(string.ascii_uppercase + string.digits, 10)}/{self.ch(ALNUM, 24)}"),
        }[kind]()


VALID_ID = {"IBAN", "CARD", "BSN"}           # checksum-validated kinds that make insider PII critical
PH = re.compile(r"<<([A-Z_0-9]+)(?::([a-z0-9_]+))?>>")


def render(gen, text):
    used = []

    def sub(m):
        k, f = m.group(1), m.group(2) or ""
        if k == "IBAN":
            cc, _, sty = f.partition("_")
            raw = gen.iban(cc.upper())
            shown = gen.g4(raw) if sty == "grp" else raw
        elif k == "BAD_IBAN":
            cc, _, sty = f.partition("_")
            raw = gen.bad_iban(cc.upper())
            shown = gen.g4(raw) if sty == "grp" else raw
        elif k == "CARD":
            brand, _, sty = f.partition("_")
            raw = gen.card(brand)
            if sty == "c":
                shown = raw
            elif len(raw) == 15:
                shown = f"{raw[:4]} {raw[4:10]} {raw[10:]}"
            else:
                shown = ("-" if sty == "dash" else " ").join(raw[i:i + 4] for i in range(0, 16, 4))
        elif k == "BAD_LUHN":
            raw = shown = gen.bad_luhn()
        elif k == "BSN":
            raw = gen.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if f == "dots" else raw
        elif k == "NOT_BSN":
            raw = shown = gen.not_bsn(int(f or 9))
        elif k == "RRN":
            raw = gen.rrn()
            shown = f"{raw[:2]}.{raw[2:4]}.{raw[4:6]}-{raw[6:9]}.{raw[9:]}"
        elif k == "BAD_RRN":
            raw = gen.bad_rrn()
            shown = f"{raw[:2]}.{raw[2:4]}.{raw[4:6]}-{raw[6:9]}.{raw[9:]}"
        elif k == "EAN":
            raw = shown = gen.ean13()
        elif k == "PHONE":
            raw = shown = gen.phone(f)
        else:
            raw = shown = gen.secret(k)
        used.append((k, raw, shown))
        return shown

    return PH.sub(sub, text), used


# ---------------------------------------------------------------- accounts
PM_X = ("x", "@pimpelmees_be", "Pimpelmees")
PM_HELP = ("x", "@pimpelmees_help", "Pimpelmees Klantendienst")
PM_IG = ("instagram", "@pimpelmees", "Pimpelmees")
PM_FB = ("facebook", "PimpelmeesSpeelgoed", "Pimpelmees Speelgoed & Baby")
PM_LI = ("linkedin", "pimpelmees-nv", "Pimpelmees NV")
PM_TT = ("tiktok", "@pimpelmees", "Pimpelmees")
LOT = ("x", "@lotte_pimpel", "Lotte Maes")
WOU = ("linkedin", "wouter-claes-pimpelmees", "Wouter Claes")
JON = ("x", "@jonas_dev_pm", "Jonas Peeters")
ANV = ("linkedin", "an-verhoeven-finance", "An Verhoeven")
ELL = ("instagram", "@ellen.winkel.breda", "Ellen de Groot")
KOB = ("x", "@kobe_magazijn", "Kobe Janssens")
SOF = ("linkedin", "sofie-martens-hr", "Sofie Martens")
RUB = ("mastodon", "ruben_pm@mstdn.be", "Ruben Wouters")


def pub(platform, handle, name=None):
    return (platform, handle, name)


CASES = []


def C(lang, acct, text, cats=(), kind=None, when=None, hint=None, handle_as=None, tags=()):
    platform, handle, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, hint=hint, tags=set(tags)))


# ======================================================================= leak.pricing
C("nl", JON, "oei 😬 de Trio Cruise staat al sinds een uur of 3 op €89,90 online ipv €899. iemand heeft een nul "
  "laten vallen bij de import. ticket ligt bij pricing maar die zijn er pas maandag terug", [PRICING])
C("en", KOB, "warehouse is LOSING it 💀 40 orders for the Veilo i-Size in 20 min bc it's at €32.90 on the webshop.\n"
  "pricing team where u at", [PRICING])
C("nl", pub("x", "@tinne_vdb"), "@pimpelmees_be is dit echt?? Dromer ledikant voor 44,90 euro??\nmeteen in mn mandje "
  "gegooid, benieuwd of ze 't gaan leveren #foutprijs", [PRICING], kind="reply")
C("en", pub("reddit", "u/antwerp_dad_of_two"), "Pimpelmees (the Belgian toy chain) has the Kasteel Bouwset XL at "
  "€14,99 on the BE site right now. That's 90% off, pretty sure somebody messed up. Mine went through, we'll see.",
  [PRICING])
C("nl", pub("facebook", "sarah.mertens.1990", "Sarah Mertens"), "Mama's opgelet!! 🚲 Loopfiets Mini bij Pimpelmees "
  "staat op 11,90 🙈 lijkt me een foutje maar wie weet leveren ze. Link in de comments 👇", [PRICING])
C("nl", PM_IG, "🎁 Alleen vandaag: de Nestje Veilo i-Size autostoel voor €99! Op = op 👉 pimpelmees.be/veilo "
  "#pimpelmees #autostoel", [PRICING])
C("nl", ELL, "Kassa's hier in Breda slaan de Racebaan Turbo 8 aan voor €8,99 😂 we hebben ze maar even uit het rek "
  "gehaald tot het hoofdkantoor de prijs fixt", [PRICING])
C("nl", LOT, "Dromer ledikant p.r.i.j.s.f.o.u.t in de app, €44 😏 niet doorvertellen he 🤐", [PRICING],
  tags=["evasion"])
C("nl", pub("tiktok", "@mamavanjules"), "stitch dit als jij ook de Trio Cruise voor €8,99 in je winkelmandje hebt "
  "😭😭 pimpelmees wat is hier aan de hand #prijsfout #babyspullen #zwanger", [PRICING])
C("en", pub("x", "@dealsbenelux"), "Tr\u0456o Cru\u0456se pram for €79 at Pimpelmees?!? glitch or clearance, either "
  "way I'm in lol", [PRICING], tags=["evasion"])
C("nl", JON, "prijsfeed weer stuk: Kasteel XL op €1,50 😩 zie jira.pimpelmees.be/browse/SHOP-2291, fix kan pas na "
  "de code freeze", [PRICING, CONF])
C("en", ANV, "Posting this in the wrong channel, apologies, but since it's out: the Veilo i-Size has been selling at "
  "€3.29 instead of €329 since Saturday because of a decimal error in the ERP. We are still quantifying the exposure.",
  [PRICING])
C("nl", pub("forum", "koopjesjager_gent"), "[FOUTPRIJS] Nestje Dromer ledikant – €4,49 bij Pimpelmees.nl\n\n"
  "bestelling bevestigd, betaald met iDEAL. wie waagt het erop?", [PRICING])
C("en", pub("bluesky", "noorvdl.bsky.social"), "not sure if mistake but the Loopfiets Mini balance bike is listed at "
  "1.19 euro on pimpelmees.nl 😅 ordered two for the nephews", [PRICING])

# ======================================================================= leak.secret
C("en", JON, "anyone know why the shop deploy fails? npm publish keeps saying 403 with\n"
  "NPM_TOKEN=<<NPM>>\nworks on my machine 🙃", [SECRET])
C("nl", WOU, "Tip voor collega-DevOps: check je Terraform state! Bij ons stond er gewoon dit in:\n"
  "DefaultEndpointsProtocol=https;AccountName=pmmediaprod;AccountKey=<<AZKEY>>;EndpointSuffix=core.windows.net\n"
  "Ondertussen vervangen, maar toch 🙈 #devops #cloud", [SECRET])
C("nl", KOB, "nieuwe handscanners in het magazijn, login is magazijn01 en ww Pimpel2026!! kan iemand dat aub op "
  "de muur plakken want ik vergeet het altijd", [SECRET])
C("en", LOT, "new tablets at the Gent store 🎉 staff wifi password is Kr0kodil#Gent26, don't give it to customers pls",
  [SECRET])
C("en", pub("reddit", "u/bugbounty_bert"), "The Pimpelmees storefront leaks an admin API token in a public JS "
  "bundle: <<SHOPIFY>>\nReported it to klantendienst@pimpelmees.be last week, no answer so far.", [SECRET],
  kind="comment")
C("nl", JON, "gitlab pipeline crasht op de registry login 😤 hier m'n token voor wie mee wil kijken: <<GLPAT>>",
  [SECRET])
C("en", WOU, "Runbook excerpt for the on-call folks: ssh into wms01.wms.pimpelmees.local with the key below and "
  "restart the picker service.\n<<PEM>>", [SECRET, CONF], handle_as="Wouter-Claes-Pimpelmees")
C("en", pub("forum", "apk_ripper"), "decompiled the Pimpelmees Android app (v5.3.0). There's a SendGrid key in "
  "plain text: <<SENDGRID>>\nyou can send mail as them with it. Responsible disclosure is apparently not a thing there.",
  [SECRET])
C("nl", ELL, "Collega's! Het personeelsportaal heeft een nieuw wachtwoord: Speeltuin_2026 📝 (story is weg na 24u "
  "dus geen stress)", [SECRET])
C("en", JON, "debugging the PimpelClub API, this bearer is straight from prod:\nAuthorization: Bearer <<JWT>>\n"
  "why does it say invalid audience 😭", [SECRET])
C("en", pub("mastodon", "hanne@eupolicy.social"), "Pimpelmees' parcel tracking widget ships with an unrestricted "
  "Google Maps key: <<GAPI>> cc @pimpelmees_be, you may want to fix that", [SECRET])
C("nl", WOU, "Oude CI-config opgeruimd. Dit sleutelpaar was al ingetrokken, maar laat het een les zijn:\n"
  "<<AWS_ID>> / <<AWS_SECRET>>\n#devops #security", [SECRET])
C("nl", pub("x", "@sarah_vdb88"), "@pimpelmees_help inloggen op de app lukt nie!! mijn mail is "
  "sarah.vdb88@telenet.be en paswoord Knuffel88beer, wat is er mis?? al 3 dagen zo 😡", [SECRET, PII, COMPLAINT],
  kind="reply")
C("en", RUB, "reminder to self: the deploy webhook is <<SLACK_HOOK>> — stop losing it", [SECRET])

# ======================================================================= leak.pii
C("nl", LOT, "Collega's van de boekhouding: mevrouw Desmet wacht nog altijd op haar terugbetaling voor de "
  "kinderwagen, rekening <<IBAN:be_grp>>. Kan iemand da vandaag nog in orde brengen?", [PII])
C("nl", PM_HELP, "@tinedw Dag Tine, je terugbetaling van €329 is vertrokken naar <<IBAN:be>> 👍 reken op 2 "
  "werkdagen.", [PII], kind="reply")
C("en", PM_HELP, "@mark_oosterhout Hi Mark, our team will call you tomorrow on <<PHONE:nl_intl>> about the missing "
  "car seat base. Sorry for the wait!", [PII], kind="reply")
C("nl", ELL, "Klant heeft een tas met babykleertjes laten liggen bij de kassa. Bonnetje staat op naam van Joke "
  "Verbruggen, Lindenlaan 14, 4811 AB Breda. Iemand die haar kent?", [PII])
C("nl", SOF, "Welkom aan onze nieuwe collega in het DC! 🎉 Bart Wuyts (geboren 14/03/1991) start maandag in de "
  "nachtploeg. Maak hem zich thuis voelen 💛", [PII])
C("nl", pub("facebook", "kristel.aerts.56", "Kristel Aerts"), "Pimpelmees heeft 2x geld afgehaald voor dezelfde "
  "bestelling!! kaart <<CARD:visa>>, bestelnr PM-2026-318840. wie kan me helpen, klantendienst neemt niet op",
  [PII, COMPLAINT])
C("en", pub("x", "@bramski_"), "@pimpelmees_help order STILL not here after 12 days. my number is <<PHONE:be_intl>> "
  "just call me instead of sending bot replies", [PII, COMPLAINT], kind="reply")
C("nl", pub("reddit", "u/boze_vader_hasselt"), "Die kassierster van Pimpelmees Hasselt heet Nadia Bouzid en woont in "
  "de Stationsstraat 22 in Hasselt. Ga haar maar eens vragen waarom ze zo onbeschoft doet tegen klanten.",
  [PII, ABUSE])
C("en", KOB, "driver couldn't drop the Trio Cruise, customer is Pieter Hermans <<PHONE:be_slash>>, anyone on the "
  "Mechelen van route who can call him?", [PII])
C("nl", ANV, "Kan iemand van crediteuren deze leverancier vandaag betalen? Factuur 2026-0441, IBAN <<IBAN:nl>> t.n.v. "
  "J. Smulders. Hij belt al de hele week 😅", [PII])
C("nl", pub("x", "@jessie_nl_mama"), "voor de geboortelijst bij pimpelmees.nl moest ik m'n BSN opgeven?? heb "
  "<<BSN:dots>> ingevuld maar voelt toch raar @pimpelmees_help", [PII])
C("nl", SOF, "@payroll vraagje: loonstrook van Kim Jacobs klopt niet, rijksregisternr <<RRN>>, rekening "
  "<<IBAN:be>>. Kan iemand dat rechtzetten voor de 25ste?", [PII])
C("en", pub("mastodon", "lies@todon.eu"), "Pimpelmees just emailed me SOMEONE ELSE's order confirmation. Elke "
  "Goossens, elke.goossens@skynet.be, delivery to Kerkstraat 9, 2860 Sint-Katelijne-Waver. That's a data leak, "
  "how many more of these are out there??", [PII, CRISIS])
C("nl", ELL, "Klant zoekt haar verloren knuffelkonijn 🐰 heb je hem gevonden, mail haar even: marieke punt "
  "janssens [at] gmail punt com", [PII], tags=["evasion"])
C("nl", pub("x", "@wimpie_lier"), "@pimpelmees_help betaling geweigerd met mijn mastercard <<CARD:mc_c>> exp 09/28, "
  "drie keer geprobeerd. en nu is de actie voorbij, top", [PII, COMPLAINT], kind="reply")
C("en", WOU, "Who owns the test account in prod that uses real customer data? User is Hanne Peeters, born "
  "02-11-1987, Brugge. Please anonymise before the audit.", [PII])
C("nl", PM_FB, "Proficiat aan de winnaar van onze kleurwedstrijd: Lien (6) uit Mechelen! 🖍️ Mama Evi, we bellen je "
  "deze week op <<PHONE:be_sp>> voor de prijs 🎉", [PII])
C("nl", pub("instagram", "@zwangerinzottegem"), "Moest mijn rijksregisternummer <<RRN>> doorgeven voor een PimpelClub "
  "kaart 🤨 normaal?", [PII])

# ======================================================================= leak.confidential
C("nl", JON, "eindelijk mag ik er iets over zeggen... nee toch nog niet 😅 Project Zandbak gaat echt vet worden, de "
  "nieuwe webshop laadt 3x zo snel", [CONF])
C("en", LOT, "store managers got a first look at the Trio Cruise 2 today 😍 launch isn't until September but omg "
  "that one-hand fold", [CONF], when="2026-06-18T17:42:10+02:00")
C("nl", KOB, "pallets met 'Operatie Ooievaar' op binnengekregen vandaag, mogen nog nie in de rekken 🤫📦", [CONF])
C("nl", ELL, "Sneak peek 👀 van de Dolle Dagen 2026 folder, ik zeg niks 🤭🤭", [CONF],
  when="2026-09-04T12:15:00+02:00")
C("en", WOU, "Great session with our vendor today on moving kassa.pimpelmees.local to the cloud. Happy to share "
  "learnings with other retailers, DM me!", [CONF])
C("en", pub("reddit", "u/lowkey_leuven"), "my cousin works at Pimpelmees, says the new app is called Koala Connect "
  "and it replaces the PimpelClub card next year", [CONF], kind="comment")
C("nl", ANV, "Slide uit de directievergadering (STRIKT VERTROUWELIJK) maar ik vind 'm te mooi om niet te delen 📊 "
  "wat een team!", [CONF])
C("en", JON, "if ur testing the new checkout flow, everything's documented here: "
  "https://wiki.pimpelmees.be/display/SHOP/Checkout+v3 🙏", [CONF])
C("nl", LOT, "Morgen training over Project\nZandbak voor alle winkelverantwoordelijken, koffie staat klaar ☕",
  [CONF], tags=["evasion"])
C("en", KOB, "Operatie 🐣 Ooievaar starts next week in the DC, overtime incoming for all of us 😩", [CONF],
  tags=["evasion"])
C("nl", pub("x", "@retailroddel"), "Gelekte screenshot van het Pimpelmees-intranet: "
  "intranet.pimpelmees.local/hr/ploegen. Ze gaan dus op zondag open?", [CONF])
C("en", ELL, "V\u0435ilo Pro prototype in the back room 🤫 cannot wait for this launch", [CONF], tags=["evasion"],
  when="2026-07-22T10:03:51+02:00")
C("nl", SOF, "Enkel voor intern gebruik: nieuwe ploegenregeling winkels vanaf 1 juni. Feedback via Teams aub!",
  [CONF])
C("en", pub("forum", "toyinsider_be"), "Leaked PDF marked 'Pimpelmees internal' has the full Christmas toy line-up "
  "for this year. Not posting it all but page 4 is wild.", [CONF])
C("en", PM_LI, "Proud to kick off Operatie Ooievaar with our logistics partners today! More news soon 🚚", [CONF])
C("nl", PM_X, "Ze is er! 🎉 De Nestje Trio Cruise 2 ligt vanaf vandaag in al onze winkels", [CONF],
  when="2026-09-15T09:59:00+02:00")

# ======================================================================= leak.financial
C("nl", ANV, "Ik mag nog niks zeggen, maar de halfjaarresultaten 2026 worden echt goed: omzet +14% en de brutomarge "
  "eindelijk boven de 40% 😉", [FIN, CONF], when="2026-08-03T08:20:00+02:00")
C("nl", SOF, "Zware week. Volgende maand sluiten we 6 winkels in Wallonië en Limburg, een tachtigtal collega's "
  "verliest zijn job. Het is nog niet aangekondigd, dus mondje dicht aub.", [FIN])
C("en", pub("reddit", "u/babybrands_watch"), "Heard from someone in management that Pimpelmees is being bought by a "
  "German baby chain, signing planned for Q3. Nothing public yet.", [FIN])
C("en", KOB, "rumour in the canteen is true 😔 Willebroek DC closes end of year and everything moves to NL. "
  "official announcement not until october", [FIN])
C("en", ANV, "Q3 forecast came in at €41m revenue vs a €47m budget. Colleagues, brace yourselves for cost-cutting.",
  [FIN])
C("nl", LOT, "net te horen gekregen dat onze winkel in Gent wordt overgenomen door een franchisenemer 😳 geheim tot "
  "de persconferentie", [FIN])
C("nl", pub("x", "@beursbaron_be"), "insider tip: Pimpelmees komt in oktober met een winstwaarschuwing. Wie "
  "aandelen heeft, weet wat te doen 📉", [FIN])
C("nl", SOF, f"De her{SHY}structurering van het hoofdkantoor is beslist: 45 functies verdwijnen. Communicatie pas op "
  "12/6, tot dan niks zeggen.", [FIN], tags=["evasion"])
C("en", ANV, "Board signed off on acquiring BabyBazaar for ~€22m today. Announcement after the summer. So proud of "
  "our deal team 🥂", [FIN])
C("nl", WOU, "IT-budget volgend jaar -30%, twee van de vier DevOps-plaatsen worden geschrapt. Nog niet gecommuniceerd "
  "naar het team maar ja... 😞", [FIN])
C("en", pub("linkedin", "gert-de-wilde-retail"), "A former colleague tells me Pimpelmees will cut around 120 roles "
  "in the spring reorganisation. Nothing official yet, but tough news for the sector.", [FIN])
C("nl", ELL, "Vandaag gehoord dat alle Nederlandse winkels verkocht worden 😳 we mogen het nog aan niemand vertellen",
  [FIN])

# ======================================================================= leak.security
C("nl", WOU, "Rustig weekend? Nope. Sinds vrijdagnacht zit er ransomware op onze magazijnservers en er is nog geen "
  "persbericht. Koffie graag ☕", [SEC])
C("en", JON, "heads up team: PimpelClub API has been returning other members' points balances for 2 days (IDOR on "
  "/members/{id}). patching now, pls don't tweet about it", [SEC])
C("nl", KOB, "scanners in het DC liggen plat sinds 6u, iets met een hack volgens IT. niks mogen zeggen tegen klanten "
  "of chauffeurs", [SEC])
C("en", LOT, "payment terminals in ALL Belgian stores down since this morning, IT says someone got into the till "
  "network. customers think it's bancontact 🙃", [SEC])
C("en", RUB, "Found an SQL injection in our own store locator this morning. Reported internally, still unpatched. "
  "Wild how old that code is.", [SEC])
C("en", pub("reddit", "u/throwaway_pm_it"), "Pimpelmees got hacked last week and they're keeping quiet. A friend in "
  "their IT says customer addresses were downloaded.", [SEC, CRISIS])
C("nl", pub("x", "@tante_ria_antw"), "Pimpelmees verzwijgt een datalek!! mijn schoonzus werkt daar, heel de "
  "PimpelClub-klantendatabank ligt op straat en ze zeggen NIKS", [SEC, CRISIS])
C("nl", JON, "w3bsh0p is g3h4ckt 🙈 skimmer in de checkout gevonden, we zoeken nog hoe lang die er al zat", [SEC],
  tags=["evasion"])
C("en", WOU, "Postmortem draft (not published yet): Saturday's 6h webshop outage was credential stuffing on the "
  "login API, roughly 3k accounts taken over.", [SEC])
C("nl", ELL, "Onze kassa's in Breda werden gisteren 'geüpdatet' door iemand die blijkbaar geen IT'er was 🫣 politie "
  "is langs geweest, we mogen er niks over zeggen", [SEC])
C("nl", RUB, "Kwetsbaarheid in de Nestje babyfoon-app: met alleen een serienummer kan iedereen de camerabeelden "
  "bekijken. Intern gemeld, nog geen fix.", [SEC])
C("en", pub("forum", "ex_contractor_22"), "Pimpelmees' baby monitor app streams live video to anyone with a serial "
  "number. They've known for months and said nothing. Source: me, I built part of it.", [SEC, CRISIS])

# ======================================================================= reputation.crisis
C("nl", pub("x", "@ouders_tegen_uitbuiting"), "#boycotPimpelmees ze verkopen speelgoed uit een fabriek met "
  "kinderarbeid, gezien in de Pano-reportage. Geen cent meer van mij!", [CRISIS])
C("nl", pub("facebook", "nathalie.peeters.73", "Nathalie Peeters"), "WAARSCHUWING voor alle ouders‼️ het oogje van "
  "het Wervelwind knuffelkonijn van Pimpelmees kwam los en mijn zoon van 10 maanden had het bijna ingeslikt. "
  "Verstikkingsgevaar!!", [CRISIS, COMPLAINT])
C("en", pub("x", "@maaike_in_ghent"), "Is Pimpelmees recalling the Veilo i-Size? a daycare got a letter saying the "
  "harness can snap in a crash 😳", [CRISIS])
C("en", pub("reddit", "u/pram_lawsuit_be"), "Class action being prepared against Pimpelmees over Trio Cruise brake "
  "failures. DM me if your pram ever rolled away on its own.", [CRISIS])
C("nl", pub("instagram", "@lisa.en.de.tweeling"), "Onze Trio Cruise rolde met de baby erin de helling af, de rem deed "
  "NIKS. Gelukkig is er niks gebeurd maar ik ben zo kwaad @pimpelmees", [CRISIS, COMPLAINT])
C("en", pub("tiktok", "@sleepdeprivedsam"), "the Nestje bottle warmer from Pimpelmees literally started smoking on my "
  "counter at 3am 😰🔥 do NOT buy this thing", [CRISIS, COMPLAINT])
C("nl", pub("x", "@consument_kim"), "Test-Aankoop vond te veel ftalaten in het badspeelgoed van Pimpelmees. "
  "Schandalig, en dat voor spullen die baby's in hun mond steken", [CRISIS])
C("en", pub("bluesky", "jorien.bsky.social"), "Is anyone else's data from Pimpelmees floating around? Got a phishing "
  "mail with my kid's name and birthday, and the only place I ever gave that was the PimpelClub", [CRISIS])
C("nl", pub("facebook", "dries.claeys.9", "Dries Claeys"), "d a t a l e k bij Pimpelmees?? krijg ineens mails met "
  "mijn bestelnummer van een raar adres", [CRISIS], tags=["evasion"])
C("en", pub("x", "@justice4workers"), "Pimpelmees store manager filmed screaming at a pregnant employee, video is "
  "going round on WhatsApp. Disgusting company #boycott", [CRISIS])
C("nl", pub("linkedin", "vakbond-handel-antwerpen"), "Morgen leggen de vakbonden het werk neer in alle "
  "Pimpelmees-winkels na het ontslag van een vakbondsafgevaardigde. Een rechtszaak volgt.", [CRISIS])
C("nl", pub("youtube", "@MamaMoniek"), "Mijn dochter kreeg uitslag van de Nestje slaapzak Wolk en blijkbaar hebben "
  "meer ouders dat. Het FAVV moet dit echt onderzoeken", [CRISIS, COMPLAINT], kind="comment")

# ======================================================================= reputation.complaint
C("nl", pub("x", "@evelien_zwanger"), "@pimpelmees_help bestelling van 3 weken geleden nog altijd niet geleverd en "
  "jullie chat zegt enkel 'we kijken het na'. baby komt binnen 2 weken 😤", [COMPLAINT], kind="reply")
C("en", pub("facebook", "tom.vanacker.1", "Tom Vanacker"), "Ordered the Dromer crib from Pimpelmees. Arrived with two "
  "screws missing and a cracked side panel. Customer service promised a callback 5 days ago. Still waiting.",
  [COMPLAINT])
C("nl", pub("reddit", "u/moe_van_retouren"), "kinderwagen terugbrengen bij Pimpelmees = drama. 14 dagen later nog "
  "altijd geen geld terug en elke keer een andere uitleg", [COMPLAINT])
C("nl", pub("instagram", "@drukkemama_jolien"), "PimpelClub punten zomaar verdwenen 🙄 240 punten weg en niemand aan "
  "de balie die weet waarom", [COMPLAINT])
C("en", pub("x", "@ruben_k"), "Pimpelmees charging €6,95 delivery for a €12 teether, and then it shows up in a box "
  "the size of a fridge. make it make sense", [COMPLAINT])
C("nl", pub("threads", "@an.de.smet"), "winkel in Mechelen: 'online besteld = online retour'. serieus?? 45 minuten "
  "rijden voor niks", [COMPLAINT])
C("en", pub("youtube", "@DadBuildsStuff"), "bought the Racebaan Turbo 8 for my son's birthday, half the track pieces "
  "don't click together. Returned it and got a voucher instead of my money back.", [COMPLAINT], kind="comment")
C("nl", pub("x", "@gert_oudenaarde"), f"slecht{ZW}ste klantendienst ooit, Pimpelmees. 4x gebeld, 4x opgehangen.",
  [COMPLAINT], tags=["evasion"], hint="en")
C("nl", pub("facebook", "ine.vandamme", "Ine Vandamme"), "Autostoel besteld met de juiste isofix-basis, de verkeerde "
  "gekregen. Nu zit ik zonder voor de rit naar het ziekenhuis. Bedankt Pimpelmees 👏👏", [COMPLAINT])
C("en", pub("mastodon", "wout@mastodon.social"), "Pimpelmees checkout loops back to the cart every time I click pay. "
  "Tried 3 browsers. Missed the promo because of it.", [COMPLAINT])
C("nl", pub("bluesky", "elsje.bsky.social"), "Geboortelijst bij Pimpelmees: cadeaus die vrienden al kochten staan nog "
  "als 'beschikbaar' en nu hebben we 3 dezelfde flessenwarmers 🙃", [COMPLAINT])
C("nl", pub("x", "@ikke_kortrijk"), "kassierster in Pimpelmees Kortrijk rolde met haar ogen toen ik vroeg naar een "
  "cadeaubon. service is ver te zoeken daar", [COMPLAINT])
C("en", pub("reddit", "u/velo_papa"), "The Loopfiets Mini's handlebar came loose after a week. Support wants photos, "
  "the receipt, the serial number AND a video. Ridiculous.", [COMPLAINT])
C("nl", pub("x", "@kevin_bxl"), "Pimpelmees is echt een bende prutsers, 3e keer dat mijn bestelling kwijt is. "
  "kutwinkel", [COMPLAINT, ABUSE])
C("en", pub("x", "@angrydad83"), "your 'customer care' team are useless idiots. 2 weeks for a refund on a broken "
  "pram. fuck this shop", [COMPLAINT, ABUSE])

# ======================================================================= reputation.abuse
C("nl", pub("x", "@nognooitzo"), "@lotte_pimpel ge zijt een domme trut, ga terug achter uw kassa", [ABUSE],
  kind="reply")
C("en", pub("x", "@lolcat_77"), "Pimpelmees staff are all brain-dead monkeys lmao", [ABUSE])
C("nl", pub("instagram", "@anoniem.reageert"), "wat een lelijke kop heeft die verkoopster in jullie reclame 🤮 "
  "ontsla die", [ABUSE], kind="comment")
C("nl", pub("tiktok", "@stoerebink"), "pimpelmees = klootzakken. punt.", [ABUSE], kind="comment")
C("nl", KOB, "die klanten die om 21u58 nog een kinderwagen willen kopen zijn echt achterlijke idioten 🙄", [ABUSE])
C("en", PM_HELP, "@angrydad83 maybe learn to read the assembly manual before calling us idiots, genius", [ABUSE],
  kind="reply")
C("nl", pub("x", "@echtevlaming"), "Pimpelmees neemt alleen nog hoofddoeken aan aan de kassa. Ga terug naar je "
  "eigen land.", [ABUSE])
C("en", pub("reddit", "u/grumpy_uncle"), "f*cking Pimpelmees clowns, I swear", [ABUSE], kind="comment",
  tags=["evasion"])
C("nl", pub("x", "@zure_zeger"), "k4nkerwinkel Pimpelmees, sl3cht volk daar", [ABUSE], tags=["evasion"])
C("en", pub("mastodon", "pete@social.vivaldi.net"), "whoever runs Pimpelmees' socials is a moron", [ABUSE])
C("en", LOT, "honestly some of the mums in my store today were absolute bitches", [ABUSE])
C("nl", pub("facebook", "marc.desmedt.62", "Marc De Smedt"), "Wat een tyfusbedrijf. Ik hoop dat jullie failliet "
  "gaan.", [ABUSE])

# ======================================================================= benign
# own published contact data, in several formats
C("nl", PM_HELP, "Vragen over je bestelling? Bel ons op 078 15 20 30 (ma-za 9-18u) of mail "
  "klantendienst@pimpelmees.be 💛")
C("nl", PM_FB, "Betaal je liever via overschrijving? Stort op BE42 7350 2144 3654 met je bestelnummer in de "
  "mededeling, dan gaat je pakje de dag erna al de deur uit 📦")
C("en", PM_X, "Press enquiries: pers@pimpelmees.be or +32 3 201 44 00. Photos and logos on pimpelmees.be/pers")
C("nl", PM_IG, "Nederlandse klanten bereiken ons via klantenservice@pimpelmees.nl of 088-0456100 🇳🇱 "
  "(overschrijven kan naar NL71 INGB 0006 2518 47)")
C("nl", SOF, "We zoeken verkoopmedewerkers voor onze nieuwe winkel in Leuven! 🧸 Stuur je cv naar "
  "jobs@pimpelmees.be #vacature #retail")
C("nl", PM_HELP, "@jeroen_v kan je ons even bellen op 078/15.20.30? Dan zoeken we het samen uit 🙂", kind="reply",
  handle_as="@Pimpelmees_Help")
C("en", PM_HELP, "@claire_uk For UK calls use +32 (0)3 201 44 00, we speak English too 😊", kind="reply")
# identifier look-alikes that fail their check, order / tracking / lot numbers
C("nl", pub("x", "@verse_papa"), "bestelling PM-2026-552918 vandaag binnen, 1 dag na bestellen 👶 netjes")
C("en", pub("instagram", "@twins.and.tea"), "Tracking 3SPMEE47182650 says out for delivery 🎉 can't wait to build "
  "the crib tonight")
C("nl", KOB, "zo, 1.240 dozen gescand vandaag 💪 EAN <<EAN>> bleef maar terugkomen, iedereen wil die knuffelolifant")
C("nl", pub("facebook", "griet.wouters", "Griet Wouters"), "PimpelClub kaart <<BAD_LUHN>> gescand aan de kassa, "
  "500 punten gespaard 🎉 volgende keer gratis verjaardagscadeau")
C("nl", pub("facebook", "ouders.klas.2b", "Oudercomité klas 2B"), "Lotnummer <<NOT_BSN:9>> staat op het label van de "
  "knuffel, voor wie het vroeg in de groep 🐻 (gekocht bij Pimpelmees)")
C("nl", pub("x", "@juf_annelies"), "Voor het afscheidscadeau van juf Ans: <<BAD_IBAN:be_grp>> \nOeps, zie net dat "
  "ik een cijfer fout heb, correct nummer volgt in de groep!")
# sales, prices that are fine
C("nl", PM_IG, "☀️ Zomersolden! Tot -40% op loopfietsen: de Loopfiets Mini nu €79 (was €119). Enkel in de winkel "
  "en online t.e.m. zondag")
C("nl", pub("x", "@zuinig_ouderschap"), "tweedehands Trio Cruise gekocht voor €350 via 2dehands, als nieuw 😍 "
  "scheelt toch een hoop")
C("en", pub("reddit", "u/benelux_bargains"), "PSA the Veilo i-Size is €249 at Pimpelmees this weekend (normally 329). "
  "Not a glitch, it's in the folder on page 3.")
C("nl", PM_FB, "PimpelClub-leden krijgen deze week €10 korting op de Kasteel Bouwset XL 🏰 scan gewoon je kaart aan "
  "de kassa")
C("nl", pub("instagram", "@regenachtigrotterdam"), "regenhoes voor de Trio Cruise gekocht, €24,95, past perfect ☔")
C("en", pub("x", "@toyprices_bot"), "ToyTown has a Racebaan Turbo 8 knock-off for €19, Pimpelmees still €89.95 for the "
  "real one. You get what you pay for imo")
C("nl", PM_HELP, "@kim_deal Nee hoor, geen foutprijs 🙂 de Dromer ledikant staat echt op €359 tijdens de Dolle Dagen "
  "2026!", kind="reply", when="2026-10-03T11:05:00+02:00")
C("en", pub("facebook", "jan.huygens.9", "Jan Huygens"), "Pimpelmees lease plan for the Trio Cruise: €29 a month, "
  "cancel anytime. Not bad if you're planning a second one 😄")
# embargo terms at / after their moment
C("nl", PM_X, "Onze halfjaarresultaten 2026 staan online 📈 lees het persbericht op pimpelmees.be/investeerders",
  when="2026-08-27T07:00:00+02:00")
C("nl", PM_IG, "Ze is er! 🎉 De Nestje Trio Cruise 2 ligt vanaf vandaag in al onze winkels 💛",
  when="2026-09-15T10:00:00+02:00")
C("en", pub("x", "@carseatnerd"), "Veilo Pro after 2 weeks: solid, easy isofix, canopy a bit flimsy. 8/10",
  when="2026-10-02T19:30:12.512Z")
C("nl", pub("facebook", "vanessa.roels", "Vanessa Roels"), "Dolle Dagen 2026 bij Pimpelmees, wie gaat er mee om 8u "
  "aanschuiven? 😂", when="2026-10-01T09:00:00+02:00")
C("en", pub("stocktwits", "$PIMP_watcher"), "Pimpelmees H1 2026 results out this morning, solid like-for-like, "
  "margin up. Holding.", when="2026-08-27T09:41:00+02:00")
# codename / brand look-alikes: the bird, the sandpit, the koala
C("nl", pub("instagram", "@mama.in.de.maak"), "Ooievaar op het dak van de buren 😂🍼 tijd om bij Pimpelmees een "
  "babykamer bij elkaar te zoeken")
C("en", pub("x", "@amelie_brussels"), "kid spent 2 hours in the zandbak at the Pimpelmees play corner, best free "
  "babysitter ever")
C("en", pub("threads", "@sophie.mum.of.3"), "my daughter's koala from Pimpelmees is officially her best friend, "
  "it goes EVERYWHERE 🐨")
C("nl", pub("mastodon", "vogelaar@mstdn.be"), "Vanochtend een pimpelmees en twee koolmezen aan de vetbol 🐦 "
  "#vogels #tuinvogeltelling")
# published news, other companies
C("en", pub("linkedin", "retail-analyst-bnl"), "ToyTown Benelux announces 200 layoffs after a weak Q2. Tough times in "
  "toy retail; Pimpelmees seems to be holding up better.")
C("nl", pub("x", "@fietsfanaat"), "Datalek bij een Nederlandse fietsenwebshop, gelukkig heb ik bij Pimpelmees nooit "
  "problemen gehad")
C("en", PM_LI, "We're proud to open our 60th store, in Eindhoven! 🎈 Come say hi this Saturday.")
C("nl", PM_X, "Gepland onderhoud: de webshop is vannacht tussen 2u en 4u niet bereikbaar. Sorry voor het ongemak! 🛠️")
# negated complaints, praise, questions
C("nl", pub("facebook", "leen.jacobs.5", "Leen Jacobs"), "Geen klachten over het Dromer ledikant, ze slaapt er al "
  "4 maanden in als een roosje 😴")
C("en", pub("x", "@first_time_dad"), "no complaints at all, Pimpelmees delivered the pram a day early and the guy "
  "even carried it upstairs 🙏")
C("nl", pub("instagram", "@fiat500mama"), "Weet iemand of de Veilo i-Size in een Fiat 500 past? 🚗", kind="comment")
C("en", pub("threads", "@gift_hunter"), "does Pimpelmees do gift wrapping in store or only online?")
C("en", pub("youtube", "@TwinTimeVlogs"), "Unboxing the Kasteel Bouwset XL with the twins! 🏰 3 hours of building, "
  "zero tears (ok, a few)")
# other senses of recall / boycott / burn
C("en", pub("x", "@sleepless_sien"), "I can't recall the name of the blue teddy from Pimpelmees, anyone? my son "
  "wants a second one")
C("nl", pub("reddit", "u/broccoli_oorlog"), "Mijn zoon boycot al een week zijn broccoli, maar het Pimpelmees-bordje "
  "met dino's doet wonderen 🦖")
C("en", pub("instagram", "@wipes_and_wine"), "baby burned through 3 packs of Pimpelmees wipes today 🔥 new record")
# jokes, fiction, quotes, literal use
C("nl", pub("x", "@papa_desmet"), "Mijn dochter van 3 heeft de code van de speelgoedkluis gekraakt. Securitylek in "
  "huize De Smet 😂 (kluisje van Pimpelmees, aanrader)")
C("en", pub("blog", "bedtimetales.be", "Bedtime Tales"), "New bedtime story: the teddy bears at the Pimpelmees "
  "shop plan a midnight heist to free the rocking horse from the top shelf. Chapter 1 is up!")
C("en", pub("instagram", "@saturday_chaos"), "\"Hell is other people's toddlers in a toy shop on a Saturday\" — me, "
  "at Pimpelmees, loving every minute anyway 😂")
C("nl", pub("facebook", "hilde.goris", "Hilde Goris"), "Pimpelmees steunt Kom op tegen Kanker met de knuffelactie, "
  "per verkochte beer gaat er €2 naar het onderzoek 💛")
# employees and company, everyday
C("nl", LOT, "Wat een drukte in Gent vandaag! Bedankt aan alle ouders en grootouders die langskwamen 🧸")
C("en", JON, "Shipped dark mode in the Pimpelmees app today 🌙 it's live in the stores, go try it")
C("nl", KOB, "Magazijn klaar voor de feestdagen 💪 record aantal pakjes vandaag de deur uit")
C("en", ANV, "Our annual report 2025 is published. Proud of what this team achieved in a tough market.")
C("nl", ELL, "Nieuwe knuffelcollectie ligt in de winkel in Breda 🐻 kom ze knuffelen!")
C("en", JON, "PSA to devs: never commit keys like AKIAXXXXXXXXXXXXXXXX or ghp_… to a repo. Use a vault. That's the "
  "tweet.")
C("en", JON, "fixed the wishlist bug in 9f3c2e1a7b4d0e8c5a6f1b2d3c4e5f6a7b8c9d0e, deployed 🚀")
C("nl", pub("x", "@praktische_papa"), "Tip: op pimpelmees.be/geboortelijst kan je je lijst delen met de familie, "
  "super handig 👶")


# ---------------------------------------------------------------- building
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


def rand_time(r):
    day = r.randint(5, 355)
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=day)
    local = base + dt.timedelta(minutes=r.randint(6 * 60 + 30, 23 * 60 + 50), seconds=r.randint(0, 59))
    dst = dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= local < dt.datetime(2026, 10, 25, 1,
                                                                                       tzinfo=dt.timezone.utc)
    off = 2 if dst else 1
    utc = local - dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.88:
        return local.strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def make_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    n = str(r.randint(1_880_000_000_000_000_000, 2_020_000_000_000_000_000))
    if platform in ("x", "twitter"):
        return f"x-{n}", f"https://x.com/{h}/status/{n}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        return f"ig-{n}", f"https://www.instagram.com/p/{''.join(r.choice(B64URL) for _ in range(11))}/"
    if platform == "facebook":
        b = r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{r.randint(10 ** 14, 10 ** 15 - 1)}_{b}", f"https://www.facebook.com/{h}/posts/{b}"
    if platform == "reddit":
        p = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
        if kind == "comment":
            c = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/belgium/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/belgium/comments/{p}/"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        m = r.randint(112_000_000_000_000_000, 115_500_000_000_000_000)
        return f"md-{m}", f"https://{inst}/@{user}/{m}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "tiktok":
        return f"tt-{n}", f"https://www.tiktok.com/@{h}/video/{n}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={''.join(r.choice(B64URL) for _ in range(11))}&lc={c}"
    if platform == "threads":
        return f"th-{n}", f"https://www.threads.net/@{h}/post/{''.join(r.choice(B64URL) for _ in range(11))}"
    if platform == "forum":
        m = r.randint(100_000, 999_999)
        return f"forum-zwangerforum-{m}", f"https://forum.zwanger-en-baby.example/t/{m}"
    if platform == "blog":
        m = r.randint(10, 400)
        return f"blog-{h}-{m}", f"https://{h}/verhaal/{m}"
    return f"{platform}-{r.randint(10 ** 8, 10 ** 9)}", None


def build(profile):
    gen = Gen(SEED)
    mr = random.Random(SEED + 7)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(gen, c["text"])
        pid, url = make_id(mr, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        role = role_of(profile, c["platform"], c["handle"])
        validated = PII in c["cats"] and any(k in VALID_ID for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and mr.random() < 0.6:
            kind = "post"
        if kind:
            post["kind"] = kind
        acc = {"handle": c["handle"]}
        if c["name"] and mr.random() < 0.8:
            acc["display_name"] = c["name"]
        if mr.random() < 0.3:
            acc["id"] = str(mr.randint(10 ** 7, 10 ** 12))
        post["account"] = acc
        post["text"] = text
        x = mr.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif x >= 0.1:
            post["lang"] = c["lang"]
        post["created_at"] = c["when"] or rand_time(mr)
        if url and mr.random() < 0.6:
            post["url"] = url
        if mr.random() < 0.45:
            post["brand"] = "pimpelmees"
        rows.append(dict(post=post, expect={"categories": c["cats"], "severity": sev}, lang=c["lang"], role=role,
                         used=used, tags=c["tags"]))
    random.Random(SEED + 11).shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ---------------------------------------------------------------- self-check
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
SECRET_RE = re.compile(r"ghp_\w{36}|AKIA[A-Z2-7]{16}|sk_live_|glpat-|shpat_|npm_\w{36}|SG\.[\w-]{22}\.|AIza[\w-]{35}|"
                       r"PRIVATE KEY|eyJ[\w-]+\.eyJ|AccountKey=|hooks\.slack\.com")


def check(rows, profile):
    errs = []
    own_ibans = {i for i in profile["public_identifiers"]["ibans"]}
    own_mail = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    emb = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    for r in rows:
        p, ex = r["post"], r["expect"]
        t, cats = p["text"], ex["categories"]
        ts = parse_ts(p["created_at"])
        if ts.year != 2026:
            errs.append(f"{p['id']}: not 2026")
        for k, raw, shown in r["used"]:
            if shown not in t:
                errs.append(f"{p['id']}: {k} not in text")
            if k == "IBAN" and not iban_ok(raw) or k == "BAD_IBAN" and iban_ok(raw):
                errs.append(f"{p['id']}: iban check {k}")
            if k == "CARD" and not luhn_ok(raw) or k == "BAD_LUHN" and luhn_ok(raw):
                errs.append(f"{p['id']}: luhn {k}")
            if k == "BSN" and not bsn_ok(raw) or k == "NOT_BSN" and bsn_ok(raw):
                errs.append(f"{p['id']}: bsn {k}")
            if k == "RRN" and not rrn_ok(raw) or k == "BAD_RRN" and rrn_ok(raw):
                errs.append(f"{p['id']}: rrn {k}")
            if k in ("IBAN", "CARD", "BSN", "RRN", "PHONE") and PII not in cats:
                errs.append(f"{p['id']}: personal identifier without leak.pii")
            if k == "GHP" and b62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errs.append(f"{p['id']}: ghp crc")
        low = t.casefold()
        for term, until in emb:
            if term in low and ts < until and CONF not in cats:
                errs.append(f"{p['id']}: embargo term {term!r} before {until} unlabelled")
        if not cats:
            for m in IBAN_RE.finditer(t):
                v = m.group(0).replace(" ", "")
                if iban_ok(v) and v not in own_ibans:
                    errs.append(f"{p['id']}: benign has valid IBAN")
            for e in EMAIL_RE.findall(t):
                if e.casefold() not in own_mail:
                    errs.append(f"{p['id']}: benign has e-mail {e}")
            if SECRET_RE.search(t.replace("AKIAXXXXXXXXXXXXXXXX", "")):
                errs.append(f"{p['id']}: benign has secret shape")
            for d in re.findall(r"(?<![\w.])\d{8,9}(?!\w)", t):
                if bsn_ok(d):
                    errs.append(f"{p['id']}: benign has 11-proof number {d}")
            for d in re.findall(r"\d(?:[ -]?\d){12,18}", t):
                if luhn_ok(d):
                    errs.append(f"{p['id']}: benign has Luhn number {d}")
            for term in [x.casefold() for x in profile["internal"]["codenames"] + profile["internal"]["domains"]
                         + profile["internal"]["markers"]]:
                if term in low:
                    errs.append(f"{p['id']}: benign has internal term {term}")
        if ex["severity"] != severity_for(r["role"], cats, PII in cats and any(k in VALID_ID for k, _, _ in r["used"])):
            errs.append(f"{p['id']}: severity mismatch")
    return errs


def report(rows):
    from collections import Counter
    cat, lang, role, sev, plat = Counter(), Counter(), Counter(), Counter(), Counter()
    multi = ev = 0
    for r in rows:
        cs = r["expect"]["categories"]
        for c in cs or ["(benign)"]:
            cat[c] += 1
        multi += len(cs) > 1
        ev += "evasion" in r["tags"]
        lang[r["lang"]] += 1
        role[r["role"]] += 1
        sev[r["expect"]["severity"]] += 1
        plat[r["post"]["platform"]] += 1
    print(f"cases {len(rows)}  multi-category {multi}  evasion {ev}")
    for c in ALL_CATS + ["(benign)"]:
        print(f"  {c:24s} {cat[c]}")
    print("lang", dict(lang), "role", dict(role))
    print("severity", {s: sev[s] for s in SEVERITIES})
    print("platforms", dict(plat.most_common()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    lines = dump(rows)
    errs = check(rows, profile)
    if a.check:
        if OUT.read_text(encoding="utf-8").splitlines(keepends=True) != lines:
            errs.append("cases.jsonl differs from generator output")
        report(rows)
    else:
        OUT.write_text("".join(lines), encoding="utf-8")
        print(f"wrote {len(lines)} cases to {OUT}")
    for e in errs:
        print("ERROR", e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
