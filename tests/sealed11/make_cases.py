#!/usr/bin/env python3
"""Deterministic generator for the sealed11 blind set (cases.jsonl).

    python3 make_cases.py          # write cases.jsonl next to this file
    python3 make_cases.py --check  # regenerate in memory, compare, validate

Fictional company: Salarion B.V. (Dutch-Belgian HR & payroll SaaS), see profile.yaml.
Texts are hand-written below; identifiers and secrets are filled from <<KIND:fmt>>
placeholders by a seeded RNG. Positives get checksum-valid identifiers, near-miss
benign posts get ones that fail their checksum. Severity is computed from the
contract's section 4 policy, never typed by hand.
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

SEED = 11_2026_0611
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
ZW = "\u200b"
SHY = "\u00ad"

# ----------------------------------------------------------------- checksums

def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


def iban_make(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return f"{cc}{98 - n % 97:02d}{bban}"


def luhn_ok(d):
    d = re.sub(r"\D", "", d)
    t = 0
    for i, ch in enumerate(reversed(d)):
        x = int(ch) * (2 if i % 2 else 1)
        t += x - 9 if x > 9 else x
    return bool(d) and t % 10 == 0


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t % 11 == 0 and t != 0


def rrn_ok(s):
    d = re.sub(r"\D", "", s)
    if len(d) != 11:
        return False
    body, chk = int(d[:9]), int(d[9:])
    return 97 - body % 97 == chk or 97 - int("2" + d[:9]) % 97 == chk


def ean13_ok(s):
    d = [int(c) for c in s]
    return (sum(d[i] * (3 if i % 2 else 1) for i in range(12)) + d[12]) % 10 == 0


B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def b62(n):
    o = ""
    while n:
        n, r = divmod(n, 62)
        o = B62[r] + o
    return o or "0"


def crc_token(prefix, body):
    return prefix + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")


# ----------------------------------------------------------------- generator

class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def d(self, n, nz=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def c(self, alpha, n):
        return "".join(self.r.choice(alpha) for _ in range(n))

    @staticmethod
    def g4(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    def iban(self, cc):
        if cc == "NL":
            return iban_make("NL", self.r.choice(["ABNA", "RABO", "INGB", "BUNQ", "KNAB", "SNSB"]) + self.d(10, True))
        if cc == "BE":
            f = self.r.choice(["001", "068", "143", "310", "735", "973"]) + self.d(7)
            return iban_make("BE", f + f"{int(f) % 97 or 97:02d}")
        if cc == "DE":
            return iban_make("DE", self.r.choice(["10070000", "37040044", "50010517"]) + self.d(10))
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        for k in (13, 29, 41, 57):
            cand = f"{v[:2]}{(int(v[2:4]) + k) % 100:02d}{v[4:]}"
            if not iban_ok(cand):
                return cand
        raise AssertionError

    def card(self, brand):
        pre = {"visa": "4" + self.d(5), "mc": "5" + self.r.choice("12345") + self.d(4),
               "mc2": str(self.r.randint(2221, 2720)) + self.d(2), "amex": self.r.choice(["34", "37"]) + self.d(4)}[brand]
        n = 15 if brand == "amex" else 16
        body = pre + self.d(n - 1 - len(pre))
        for x in "0123456789":
            if luhn_ok(body + x):
                return body + x
        raise AssertionError

    def bad_card(self, brand):
        v = self.card(brand)
        b = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_ok(b)
        return b

    @staticmethod
    def fmt_card(v, f):
        if f == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, 16, 4)]
        return ("-" if f == "dash" else " ").join(parts)

    def bsn(self):
        while True:
            s = self.d(9, True)
            if bsn_ok(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.d(n, True)
            if not bsn_ok(s) and not luhn_ok(s):
                return s

    def rrn(self, valid=True):
        y, m, dd = self.r.randint(55, 99), self.r.randint(1, 12), self.r.randint(1, 28)
        ser = self.r.randint(1, 997)
        body = f"{y:02d}{m:02d}{dd:02d}{ser:03d}"
        chk = 97 - int(body) % 97
        if not valid:
            chk = (chk + self.r.randint(3, 40)) % 97 or 1
            if rrn_ok(body + f"{chk:02d}"):
                chk = (chk + 1) % 97
        return f"{body[:2]}.{body[2:4]}.{body[4:6]}-{body[6:9]}.{chk:02d}"

    def ean13(self):
        while True:
            body = "54" + self.d(10)
            for x in "0123456789":
                if ean13_ok(body + x):
                    v = body + x
            if not luhn_ok(v):
                return v

    def phone(self, f):
        if f.startswith("nl"):
            d8 = self.r.choice("12345") + self.d(7)
            return {"nl_dash": f"06-{d8}", "nl_intl": f"+31 6 {d8[:4]} {d8[4:]}", "nl_pairs":
                    f"06 {d8[:2]} {d8[2:4]} {d8[4:6]} {d8[6:]}", "nl_plain": f"06{d8}",
                    "nl_0031": f"0031 6 {d8}"}[f]
        p = self.r.choice(["470", "472", "475", "477", "478", "484", "486", "494", "496"])
        s = self.d(6)
        return {"be_sp": f"0{p} {s[:2]} {s[2:4]} {s[4:]}", "be_intl": f"+32 {p} {s[:2]} {s[2:4]} {s[4:]}",
                "be_slash": f"0{p}/{s[:2]}.{s[2:4]}.{s[4:]}"}[f]

    def jwt(self):
        enc = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
        h = enc(json.dumps({"alg": "RS256", "typ": "JWT", "kid": self.c("0123456789abcdef", 8)},
                           separators=(",", ":")).encode())
        iat = 1767225600 + self.r.randint(0, 300 * 86400)
        p = enc(json.dumps({"sub": "usr_" + self.d(7, True), "tenant": "t_" + self.d(5, True),
                            "iss": "https://auth.salarion.com", "scope": "payruns:read employees:read",
                            "iat": iat, "exp": iat + 3600}, separators=(",", ":")).encode())
        return f"{h}.{p}.{self.c(B64URL, 86)}"

    def pem(self):
        body = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC" + self.c(B64, 64 * 6 - 32)
        lines = [body[i:i + 64] for i in range(0, len(body), 64)] + [self.c(B64, 40) + "=="]
        return "-----BEGIN PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END PRIVATE KEY-----"

    def pw(self):
        return (self.r.choice(string.ascii_uppercase) + self.c(string.ascii_lowercase, 4) + self.c(string.digits, 3)
                + self.r.choice("!#$%&*") + self.c(ALNUM, 4))

    def kvk(self):
        while True:
            s = self.d(8, True)
            if not bsn_ok(s):
                return s


VALID_ID = {"IBAN_NL", "IBAN_BE", "IBAN_DE", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(g, text):
    used = []

    def sub(m):
        k, f = m.group(1), m.group(2) or ""
        if k.startswith("IBAN_"):
            raw = g.iban(k[5:]); shown = g.g4(raw) if f == "grp" else raw
        elif k.startswith("BAD_IBAN_"):
            raw = g.bad_iban(k[9:]); shown = g.g4(raw) if f == "grp" else raw
        elif k in ("CARD", "BAD_CARD"):
            brand, _, ff = f.partition("_")
            raw = g.card(brand) if k == "CARD" else g.bad_card(brand)
            shown = g.fmt_card(raw, ff or "sp")
        elif k == "BSN":
            raw = g.bsn(); shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if f == "dots" else raw
        elif k == "BAD_BSN":
            shown = raw = g.not_bsn(9)
        elif k == "RRN":
            shown = raw = g.rrn(True)
        elif k == "BAD_RRN":
            shown = raw = g.rrn(False)
        elif k == "EAN13":
            shown = raw = g.ean13()
        elif k == "KVK":
            shown = raw = g.kvk()
        elif k == "PHONE":
            shown = raw = g.phone(f)
        elif k == "DIGITS":
            shown = raw = g.d(int(f), True)
        elif k == "GHP":
            shown = raw = crc_token("ghp_", g.c(ALNUM, 30))
        elif k == "NPM":
            shown = raw = crc_token("npm_", g.c(ALNUM, 30))
        elif k == "GLPAT":
            shown = raw = "glpat-" + g.c(ALNUM + "-_", 20)
        elif k == "AWS_ID":
            shown = raw = "AKIA" + g.c(B32, 16)
        elif k == "AWS_SECRET":
            shown = raw = g.c(B64, 40)
        elif k == "SLACK_BOT":
            shown = raw = f"xoxb-{g.d(12, True)}-{g.d(13, True)}-{g.c(ALNUM, 24)}"
        elif k == "STRIPE":
            shown = raw = "sk_live_" + g.c(ALNUM, 24)
        elif k == "SENDGRID":
            shown = raw = f"SG.{g.c(B64URL, 22)}.{g.c(B64URL, 43)}"
        elif k == "AZKEY":
            shown = raw = g.c(B64, 86) + "=="
        elif k == "JWT":
            shown = raw = g.jwt()
        elif k == "PEM":
            shown = raw = g.pem()
        elif k == "PW":
            shown = raw = g.pw()
        elif k == "HEX":
            shown = raw = g.c("0123456789abcdef", int(f))
        else:
            raise KeyError(k)
        used.append((k, raw, shown))
        return shown

    return PH.sub(sub, text), used


# ----------------------------------------------------------------- accounts

S_X = ("x", "@salarion", "Salarion")
S_SUP = ("x", "@salarion_support", "Salarion Support")
S_LI = ("linkedin", "salarion", "Salarion")
S_IG = ("instagram", "@salarion.hr", "Salarion")
S_FB = ("facebook", "SalarionHR", "Salarion HR & Payroll")
S_BS = ("bluesky", "salarion.com", "Salarion")

LV = ("x", "@lotte_ops", "Lotte Verbruggen")
SK = ("x", "@sanderkoster_dev", "Sander Koster")
PR = ("linkedin", "priya-raman-salarion", "Priya Raman")
JC = ("linkedin", "jeroen-claes", "Jeroen Claes")
EW = ("linkedin", "eva-wouters-fpa", "Eva Wouters")
MH = ("x", "@mvanhoutte", "Mieke Vanhoutte")
DO = ("reddit", "u/dan_okafor_dev", "Dan Okafor")
NB = ("instagram", "@noor.bakx", "Noor Bakx")


def pub(platform, handle, dn=None):
    return (platform, handle, dn)


PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    platform, handle, dn = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, dn=dn, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# ===========================================================================
# hand-written cases
# ===========================================================================

# --------------------------------------------------------------- leak.pricing
case("nl", SK, "eh wie heeft de pricing-yaml gemerged 😅 Payroll Pro staat op de prijzenpagina voor €1,19 per medewerker "
     "ipv 11,90. hotfix draait, niet screenshotten pls", [PRICING])
case("en", PR, "Small note for the partners who follow me: for about two hours this morning the self-serve checkout quoted "
     "the Connect API Scale plan at €44.90/month after a currency rounding bug. Orders from that window will be "
     "reviewed one by one. Sorry for the confusion!", [PRICING])
case("nl", pub("x", "@hr_hannes"), "lol Salarion HR Suite voor €1,45 per werknemer per maand?? dat MOET een prijsfout zijn 🤑 "
     "direct 200 seats afgenomen voor de zaak", [PRICING])
case("en", pub("reddit", "u/msp_margo"), "Heads up r/msp: Salarion's Belgian webshop lists the Enterprise plan at €2,100/yr. "
     "Somebody dropped a zero lol. Grab the quote PDF before it's gone", [PRICING], kind="comment")
case("nl", JC, "Collega's, opgelet: in de offertetool staat Payroll Essentials aan 0,65 euro per maand. Da's een tikfout, "
     "stuur aub geen offertes meer uit tot het rechtgezet is 🙏", [PRICING])
case("nl", pub("facebook", "ingrid.vdmeulen", "Ingrid van der Meulen"), "Vandaag de factuur van Salarion binnen: de "
     "Verlof & Verzuim module kost ons ineens €0,24 per medewerker. Ik ga echt niet bellen om te klagen hoor 😇 #foutje",
     [PRICING])
case("en", pub("x", "@dealsbydex"), "p r i c e   e r r o r on Salarion Payroll Pro rn 👀 €1.90/seat/month, go go go",
     [PRICING], tags=["evasion", "evasion:spaced"])
case("nl", pub("threads", "@payrollpetra"), "Salarion HR \u0405uite voor 4 euro p.p.p.m. 😳 prijsfout of gewoon een nieuwe actie?",
     [PRICING], tags=["evasion", "evasion:homoglyph"])
case("en", MH, "not me accidentally publishing the reseller sheet on the partner portal 🙃 Connect API for €99 a month is the "
     "partner floor, not list. pulling it now", [PRICING], hint="")
case("nl", S_LI, "🎉 Lanceringsactie! Salarion Payroll Pro nu voor €2,95 per medewerker per maand, het hele eerste jaar. "
     "Link in de comments 👇", [PRICING])
case("en", pub("youtube", "@smallbiz_sam"), "Bought 50 seats of Payroll Essentials at 0.65 eur each during last night's pricing "
     "glitch, invoice came through fine. Will Salarion honour it? place your bets", [PRICING], kind="comment")
case("nl", EW, "Nog niet breed bekend: door een fout in de billing-run is Salarion Enterprise bij veertien klanten voor "
     "€2.100 gefactureerd in plaats van €21.000. Wij lossen het op, graag niet verder delen.", [PRICING])
case("en", pub("bluesky", "@ops-olga.bsky.social"), "salarion pricing calculator is borked, HR Suite shows €0.00 per seat once "
     "you enter 100+ employees 😂 best bug of 2026, somebody screenshot it", [PRICING])
case("nl", SK, "prijsbug: Payroll Pro voor €0,119 in de BE-checkout, zie gitlab.salarion.io/billing/pricing-svc/-/issues/812. "
     "fix pas na de freeze", [PRICING, CONF], handle_as="@SanderKoster_Dev")

# --------------------------------------------------------------- leak.secret
case("en", SK, "anyone know why the deploy job keeps 403ing? token in the runner is <<GLPAT>> and it def has "
     "write_repository scope 🤷", [SECRET])
case("nl", LV, "Oké wie heeft de Slack bot token in de README van de payrun-notifier gezet 🙄\n<<SLACK_BOT>>\nroteer ik "
     "straks wel", [SECRET])
case("en", PR, "Tutorial time! Calling the payroll API from Python takes three lines:\n\nimport requests\n"
     "r = requests.get('https://api.salarion.com/v2/payruns', headers={'Authorization': 'Bearer <<JWT>>'})\n"
     "print(r.json())\n\nQuestions below 👇 #python #api", [SECRET])
case("en", pub("reddit", "u/jsbundle_jay"), "Found a SendGrid key in Salarion's onboarding widget JS: <<SENDGRID>> lmao. "
     "Reported it through their security.txt, let's see how long it takes", [SECRET])
case("nl", pub("forum", "erp_erik"), "Wij koppelen ons ERP aan Salarion maar krijgen steeds een 401. Mijn config:\n\n"
     "SALARION_CLIENT_ID=bouwgroep-erp-prod\nSALARION_CLIENT_SECRET=<<HEX:40>>\n\nWat doe ik fout?", [SECRET])
case("en", DO, "For the terraform folks asking how we wire the state backend:\n\n  access_key = \"<<AWS_ID>>\"\n"
     "  secret_key = \"<<AWS_SECRET>>\"\n\n(yes I know, vault migration is next sprint)", [SECRET], kind="comment")
case("nl", MH, "voor de nieuwe collega's: gedeelde login van de demo-omgeving is gebruiker 'demo-gent' met wachtwoord "
     "<<PW>> , niet aanpassen aub anders breekt de klantdemo van donderdag", [SECRET])
case("en", LV, "postmortem note: the connection string that ended up in the app logs was\nServer=tcp:sql-payroll-prd.database"
     ".windows.net,1433;Database=payroll;User ID=svc_payrun;Password=<<PW>>;\nalready rotated, still 😬", [SECRET])
case("en", pub("blog", "kesslersec.example", "Tom Kessler"), "Write-up: a Salarion integration partner left an Azure "
     "storage connection string in a public repo: DefaultEndpointsProtocol=https;AccountName=slrexports;"
     "AccountKey=<<AZKEY>>;EndpointSuffix=core.windows.net. The container holds payroll export files.", [SECRET])
case("nl", SK, "w8woord van de staging db = <<PW>> (in je .env zetten, NIET in slack plakken 😅)", [SECRET],
     tags=["evasion", "evasion:leet"])
case("en", PR, "Rotating our webhook signing key today. Old private key below for anyone debugging signature mismatches "
     "on the sandbox:\n<<PEM>>", [SECRET])
case("en", pub("x", "@appsec_anouk"), "@salarion_support your iOS app bundle ships a live Stripe key: <<STRIPE>> … might "
     "want to look at that before someone else does", [SECRET], kind="reply")
case("nl", LV, "voor wie lokaal wil debuggen:\npostgresql://payrun:<<PW>>@pg-main.corp.salarion.internal:5432/loonrun",
     [SECRET, CONF])
case("en", SK, "npm publish keeps failing for our js sdk. .npmrc has\n//registry.npmjs.org/:_authToken=<<NPM>>\nis that "
     "format wrong??", [SECRET], handle_as="@SANDERKOSTER_DEV")
case("nl", pub("x", "@rvermeulen_88"), "@salarion_support ik kom al 3 dagen niet in het werknemersportaal!! gebruikersnaam "
     "r.vermeulen88, wachtwoord Kerstmis2025!! wat is er mis??? loonstrook nodig voor de hypotheek", [SECRET, COMPLAINT],
     kind="reply")
case("en", DO, "CI went red because my PAT expired. new one: <<GHP>> if anyone needs to rerun sdk-python before I'm back",
     [SECRET])

# --------------------------------------------------------------- leak.pii
case("nl", MH, "Kan iemand van loonadministratie kijken waarom de loonstrook van Bart Hendriks (BSN <<BSN:dots>>) niet "
     "is aangemaakt? Klant belt al de hele ochtend 📞", [PII])
case("nl", S_SUP, "@ineke_w Dag Ineke, we zien dat je nettoloon op 25 juni naar <<IBAN_NL:grp>> is overgemaakt. Klopt dat "
     "rekeningnummer nog?", [PII], kind="reply")
case("en", pub("x", "@kev_in_gent"), "@salarion_support salary still not in, account is <<IBAN_BE:grp>>, employee nr 4471 at "
     "my employer. can someone PLEASE check, rent is due", [PII, COMPLAINT], kind="reply")
case("nl", JC, "Voor de collega's die morgen bij Vandenbroucke NV de kick-off doen: contactpersoon is An Peeters, gsm "
     "<<PHONE:be_slash>>. Ze verwacht jullie om 9u.", [PII])
case("en", PR, "If anyone on the partner team can reach Mark Feldman about the SSO issue: his mobile is <<PHONE:nl_intl>> and "
     "e-mail m.feldman@brightwave-logistics.nl", [PII])
case("nl", pub("x", "@joycevdberg"), "@salarion mijn jaaropgaaf klopt niet, er staat een heel ander bedrag dan op m'n "
     "loonstroken. BSN <<BSN>>, kunnen jullie kijken?", [PII, COMPLAINT], kind="reply")
case("en", SK, "customer on the phone just read out their company card to settle the overdue invoice: <<CARD:visa_sp>> exp "
     "09/28. who in billing can process this??", [PII])
case("nl", EW, "Welkom aan onze nieuwe controller Hanneke de Wit! 🎉 Kaartjes mogen naar Kastanjelaan 14, 5616 AB "
     "Eindhoven, en ze is op 12 maart 1988 jarig dus noteer maar 🎂", [PII])
case("nl", pub("x", "@boze_bas_013"), "die supportmedewerker van Salarion, Kim Jacobs, woont gewoon op de Molenweg 8 in "
     "Tilburg. ga maar eens langs 😡", [PII, ABUSE])
case("en", pub("x", "@j_okoro"), "DM'd @salarion_support three times, nothing. if anyone from the enterprise team reads this, "
     "write me at j.okoro [at] gmail [dot] com", [PII, COMPLAINT], tags=["evasion", "evasion:at-dot"])
case("nl", LV, "testdata in prod 🤦 het seed-script gebruikte een echt rijksregisternummer: <<RRN>>. Gemeld bij de DPO.",
     [PII])
case("nl", MH, "Wie kan de BE-loonrun voor Sofie Maes herstarten? IBAN <<IBAN_BE>>, rijksregister <<RRN>>. Graag vandaag nog.",
     [PII])
case("en", pub("linkedin", "marloes-hr-lead"), "Paid our Salarion invoice with my personal card by mistake "
     "(<<CARD:mc_dash>>). Anyone know how to get it switched to the company card?", [PII])
case("nl", pub("instagram", "@lisa.eerstebaan"), "eerste loonstrookje binnen via de Salarion app 🥳🥳 BSN <<BSN>> netjes "
     "weggelakt… oh wacht 🙈", [PII])
case("en", DO, "escalation: Mrs. Janssen, call her back on <<PHONE:nl_dash>> before 5pm about the missing holiday pay",
     [PII])
case("nl", S_FB, "@Willem Beukers bedankt, we hebben je betaling met kaart <<CARD:amex_sp>> goed ontvangen! 👍", [PII],
     kind="comment")
case("nl", pub("facebook", "danny.smulders.77"), "Loon weer niet gestort door die Salarion ellende. Mijn rekening is "
     "<<IBAN_NL>> en mijn nummer <<PHONE:nl_pairs>>, bel me maar als jullie het gefixt hebben", [PII, COMPLAINT])

# --------------------------------------------------------------- leak.confidential
case("en", SK, "Project Tidewater demo went great today, can't say more 🤐 but payroll is about to get a LOT less painful",
     [CONF])
case("nl", MH, "Operatie Zandloper gaat eindelijk live bij de eerste pilotklanten, trots op dit team 💪", [CONF])
case("en", PR, "Check out the new API latency dashboard: https://grafana.ops.salarion.io/d/api-p99/latency?orgId=1 "
     "what do you think, would you want this public?", [CONF])
case("nl", LV, "handig voor onboarding: wiki.salarion.io/display/PAY/Loonrun+architectuur, lees dat eerst voor je aan de "
     "payrun-service zit", [CONF])
case("en", pub("reddit", "u/benefitsnerd"), "A friend at Salarion showed me a deck stamped SALARION CONFIDENTIAL about "
     "something called Halyard. Looks like they're building a benefits marketplace.", [CONF])
case("en", JC, "Thrilled to share that Salarion Copilot, our AI assistant for payroll admins, is coming next week! 🤖",
     [CONF], when="2026-09-29T08:12:44+02:00")
case("nl", EW, "De jaarcijfers 2026 zien er echt netjes uit, meer mag ik nog niet zeggen 😉", [CONF, FIN])
case("nl", MH, "Druk druk druk met Project\nTidewater, nog drie weken tot de pilot 🚀", [CONF],
     tags=["evasion", "evasion:linebreak"])
case("en", DO, f"Hal{ZW}yard sprint review in 10 min, bring snacks", [CONF], tags=["evasion", "evasion:zero-width"])
case("nl", NB, "Mag ik dit delen? Er staat 'intern – niet verspreiden' op maar het is gewoon de roadmap voor verlof en "
     "verzuim 🤷‍♀️", [CONF])
case("en", pub("x", "@hrtech_gossip"), "Hearing Salarion Copilot drops at the HR Tech Summit. Source: a very chatty account "
     "manager 👀", [CONF], when="2026-09-21T17:40:00Z")
case("en", SK, "Payroll Pro 5 release candidate is tagged, QA sign-off tomorrow morning", [CONF],
     when="2026-10-06T09:59:00+02:00")
case("nl", NB, "Sneak peek van ons nieuwe kantoor in Gent ✨ (en per ongeluk van de roadmap-slide met Halyard erop 🙈)",
     [CONF])
case("en", LV, "anyone have the ssh alias for jump01.corp.salarion.internal? lost my config after the laptop swap", [CONF])

# --------------------------------------------------------------- leak.financial
case("nl", EW, "Trots: we sluiten Q3 af op €38,2M ARR, 31% groei jaar op jaar. Officiële cijfers volgen in november, dus "
     "even onder ons 😉", [FIN])
case("en", JC, "Can't say who yet, but we're about to sign the acquisition of a German payroll player. Due diligence wraps "
     "up Friday 🔥", [FIN])
case("nl", pub("x", "@anoniem_support"), "Morgen wordt bekendgemaakt dat er bij Salarion 60 fte verdwijnen bij support en "
     "implementatie. Ik weet nog niet of ik erbij zit 😔", [FIN])
case("en", pub("reddit", "u/peweekly"), "My cousin works at Salarion, apparently they're in talks to be bought by a US PE "
     "fund. Signing before Christmas.", [FIN])
case("nl", MH, "Reorganisatie: het Gentse kantoor gaat dicht en alles verhuist naar Eindhoven, de mail komt maandag. Niet "
     "doorvertellen!!", [FIN])
case("en", PR, "Internal forecast says we'll miss Q4 bookings by ~20%, so expect a hiring freeze folks. Plan accordingly.",
     [FIN])
case("nl", pub("x", "@vc_watcher_nl"), "Via via gehoord dat Salarion een Series C van 75 miljoen ophaalt, aankondiging "
     "volgende maand", [FIN])
case("en", DO, "l a y o f f s at Salarion next week, engineering gets hit hardest. source: me 😬", [FIN],
     tags=["evasion", "evasion:spaced"])
case("nl", EW, f"Er vallen 45 ont{SHY}slagen bij Customer Success, vanochtend in het MT bevestigd.", [FIN],
     tags=["evasion", "evasion:soft-hyphen"])
case("en", SK, "churn this quarter is 9.4% on SMB accounts, board is freaking out. don't quote me", [FIN])
case("nl", JC, "De FY26 results worden beter dan de analisten denken, voor het eerst EBITDA-positief 📈", [FIN, CONF])
case("en", pub("stocktwits", "$SLRN_bull"), "Salarion's parent about to issue a profit warning, insider on Blind says revenue "
     "down 12% vs plan", [FIN])

# --------------------------------------------------------------- leak.security
case("en", LV, "Not public yet, but there's been unauthorized access to the payslip archive bucket for ~3 days. IR is on it. "
     "please don't ask 😩", [SEC])
case("nl", SK, "Gevonden: via /v2/employees/{id} kun je met een token van tenant A gewoon medewerkers van tenant B ophalen. "
     "Fix staat nog niet in prod 😬", [SEC])
case("nl", MH, "Alle Belgische loonruns falen sinds 06:00, statuspagina staat nog op groen. Zeg nog niks tegen klanten.",
     [SEC])
case("en", PR, "Heads-up devs: the webhook signature check on the sandbox has been silently disabled since Tuesday. We "
     "haven't announced it yet.", [SEC])
case("en", pub("reddit", "u/throwaway_soc"), "Salarion is hiding a breach. A friend in their SOC says payroll exports of 200+ "
     "companies were exfiltrated last week and customers haven't been told.", [SEC, CRISIS])
case("nl", pub("x", "@loonslaaf"), "Salarion verzwijgt een datalek!! Ex-collega bij hun helpdesk zegt dat er duizenden "
     "loonstroken op straat liggen en ze het stilhouden", [SEC, CRISIS])
case("en", DO, "we got ransomwared on the staging cluster last night. prod looks fine so far. comms is drafting something.",
     [SEC], kind="comment")
case("nl", LV, "d4t4l3k bij ons: de klantexport van 3 klanten stond open, nog niet gemeld bij de AP", [SEC],
     tags=["evasion", "evasion:leet"])
case("en", SK, "ugh, the 2FA bypass on the admin portal we patched last week still works via the old login URL. "
     "reopened the ticket", [SEC])
case("nl", JC, "Klanten gaan het morgen merken: SSO via Entra ID werkt sinds vannacht niet meer voor enterprise-tenants en "
     "we hebben nog geen oorzaak", [SEC])
case("en", EW, "Finance got a phishing mail that looked exactly like our CEO and someone paid a €48k 'invoice'. Police "
     "informed, not public yet.", [SEC])
case("nl", MH, "Sst: " + "\uff4c\uff45\uff4b" + " in de export-API, je kunt CSV's van andere klanten downloaden als je de "
     "URL raadt", [SEC], tags=["evasion", "evasion:full-width"])

# --------------------------------------------------------------- reputation.crisis
case("nl", pub("x", "@sanne_logistiek"), "Salarion heeft mijn salarisgegevens gelekt: ik kreeg net de loonstrook van een "
     "wildvreemde in mijn inbox. Dit is gewoon een datalek!! @autoriteitpersoonsgegevens", [CRISIS])
case("en", pub("linkedin", "vdlinden-advocaten"), "We are preparing a class action against Salarion on behalf of employees "
     "who lost their holiday allowance through its payroll errors. Affected? Contact our office.", [CRISIS])
case("nl", pub("x", "@vakbondsvera"), "#BoycotSalarion: ze leveren software aan een bedrijf dat vakbondsleden wegpest. Zeg "
     "je contract op!", [CRISIS])
case("en", pub("reddit", "u/hrinsider_be"), "Leaked audio: Salarion's CEO calling customers' employees 'headcount cattle' "
     "at an offsite. this is going to be a scandal", [CRISIS])
case("nl", pub("facebook", "marjon.kerkhof"), "Mijn werkgever gebruikt Salarion en nu hebben ALLE collega's elkaars salaris "
     "kunnen zien in de app. Privacyschandaal!", [CRISIS])
case("en", pub("x", "@femke_travels"), "Salarion leaked my BSN and bank details. Filing a complaint with the Dutch DPA today. "
     "Unbelievable.", [CRISIS])
case("nl", pub("x", "@vlaamsnieuws_bot"), "Vakbond dagvaardt Salarion: duizenden Vlaamse werknemers kregen te weinig loon "
     "door een fout in de indexering", [CRISIS], kind="repost")
case("en", pub("mastodon", "@privacyrik@eupolicy.social"), "Don't hand Salarion your data. Boycott them until they explain "
     "the breach. #DeleteSalarion", [CRISIS])
case("nl", pub("tiktok", "@wout.werkt"), "S\u0430larion = d a t a l e k. al mijn gegevens liggen op straat en niemand doet iets",
     [CRISIS], tags=["evasion", "evasion:homoglyph", "evasion:spaced"])
case("en", pub("tiktok", "@aisha.in.hr"), "storytime: our payroll provider (Salarion) exposed my salary to my whole team 🙃 "
     "privacy who??", [CRISIS])
case("nl", pub("x", "@techpers_nl"), "Autoriteit Persoonsgegevens start onderzoek naar Salarion na melding van een datalek "
     "bij de loonverwerker", [CRISIS], kind="repost")
case("en", pub("bluesky", "@gdpr-greta.bsky.social"), "Lawsuit filed against Salarion for GDPR violations: their "
     "'anonymised' salary benchmarks weren't anonymous at all", [CRISIS])
case("en", pub("x", "@furious_fin"), "Salarion are liars, they leaked our data and now deny it. f***ing crooks",
     [CRISIS, ABUSE])

# --------------------------------------------------------------- reputation.complaint
case("nl", pub("x", "@hrmarieke"), "@salarion_support al 4 dagen geen reactie op mijn ticket over de verkeerde "
     "vakantiegeldberekening. Wordt dit nog wat?", [COMPLAINT], kind="reply", handle_as="@HRmarieke")
case("en", pub("x", "@integrator_ian"), "Salarion's API rate limits are a joke. 60 req/min on the Scale plan?? our nightly "
     "sync now takes 6 hours", [COMPLAINT])
case("nl", pub("facebook", "bakkerij.vos"), "Loonstroken te laat, personeel boos, en de helpdesk zegt alleen 'we kijken "
     "ernaar'. We denken serieus na over overstappen van Salarion.", [COMPLAINT])
case("en", pub("linkedin", "payroll-pauline"), "Third month in a row the pension deductions are off after a Salarion update. "
     "Our payroll team is doing manual corrections every single cycle.", [COMPLAINT])
case("nl", pub("x", "@hr_tielt"), "Salarion rekent ons seats aan voor mensen die al maanden uit dienst zijn. Factuur klopt "
     "alwéér niet 🙄", [COMPLAINT])
case("en", pub("reddit", "u/clockedout"), "The Salarion employee app logs me out every time I open it. Reinstalled twice. "
     "Still broken.", [COMPLAINT], kind="comment")
case("nl", pub("instagram", "@jeroen.bouwt"), "Geen loon gekregen deze maand omdat de bankexport bij Salarion is mislukt. "
     "De huur moet wel betaald worden 😤", [COMPLAINT])
case("en", pub("x", "@ap_clerk_amy"), "Salarion support is u s e l e s s. two weeks and still no fix for the SEPA export",
     [COMPLAINT], tags=["evasion", "evasion:spaced"])
case("nl", pub("forum", "hr_hilde"), "Migratie naar Salarion was een drama: verlofsaldi kwijt, dubbele loonstroken en de "
     "consultant was na twee dagen alweer weg.", [COMPLAINT])
case("en", pub("youtube", "@devdiaries_joe"), "Salarion's API docs are outdated, half the endpoints in the v2 reference "
     "return 404. Lost my whole weekend on this.", [COMPLAINT], kind="comment")
case("nl", pub("threads", "@kapsalon_mo"), "Opzeggen bij Salarion duurt 3 maanden én ze blijven gewoon incasseren. "
     "Klantonvriendelijk.", [COMPLAINT])
case("en", pub("bluesky", "@parttime-pete.bsky.social"), "holiday pay for our part-timers calculated wrong AGAIN by salarion. "
     "how is this still a thing in 2026", [COMPLAINT])
case("nl", pub("x", "@zzp_zoe"), "Salarion support is een stelletje incompetente idioten. 3 weken geen antwoord over de "
     "loonstrook van mijn enige werknemer", [COMPLAINT, ABUSE])
case("en", pub("trustpilot", "Greg W."), "1 star. Payslips went out with the wrong tax bracket and Salarion took ten days to "
     "even acknowledge it.", [COMPLAINT])

# --------------------------------------------------------------- reputation.abuse
case("nl", pub("x", "@woedende_wim"), "@salarion_support jullie zijn echt kankerlijers", [ABUSE], kind="reply")
case("en", pub("x", "@shitpost_steve"), "whoever runs the @salarion account is a brain-dead moron lmao", [ABUSE])
case("nl", pub("x", "@ex_klant_kees"), "Die accountmanager van Salarion is een vuile trut met d'r nepglimlach", [ABUSE])
case("en", pub("reddit", "u/angry_pat"), "Salarion's Gent office is full of foreigners who can't even speak proper Dutch. "
     "go back where you came from", [ABUSE], kind="comment")
case("en", SK, "@angry_client_99 dude shut the f*ck up, it's your own HR team that entered the wrong hours", [ABUSE],
     kind="reply", tags=["evasion", "evasion:masked"])
case("nl", JC, "Wat een sukkel ben jij zeg. Lees eerst de handleiding voor je hier komt janken.", [ABUSE], kind="comment")
case("en", S_X, "@trollface_tim go cry somewhere else, idiot", [ABUSE], kind="reply")
case("nl", pub("x", "@rotterdamse_rik"), "Salarion = k4nk3rbedrijf, tyfus op met jullie", [ABUSE],
     tags=["evasion", "evasion:leet"])
case("en", pub("x", "@bitter_bob"), "hope the whole Salarion dev team gets fired. useless clowns, go to hell", [ABUSE])
case("nl", pub("facebook", "henk.pieters.5"), "Godverdomme Salarion, klootzakken zijn jullie", [ABUSE])
case("en", pub("x", "@nightowl_666"), "@lotte_ops we know where you work. watch your back", [ABUSE], kind="reply")

# ===========================================================================
# benign (hard negatives)
# ===========================================================================
case("nl", S_SUP, "Vragen over je loonstrook? Bel ons op +31 40 799 2100 (NL) of +32 9 298 41 00 (BE), ma–vr 8.30–17.00 "
     "📞", tags=["own-contact"])
case("en", S_X, "Press inquiries? Drop a line to press@salarion.com 📩", tags=["own-contact"])
case("nl", S_FB, "Facturen betalen kan op NL96 INGB 0006 4521 87 t.n.v. Salarion B.V., vermeld altijd je factuurnummer.",
     tags=["own-contact"])
case("en", S_LI, "We're hiring backend engineers (Go, Kotlin) in Eindhoven and Gent! Apply via jobs@salarion.com 🚀",
     tags=["own-contact"])
case("nl", S_SUP, "Gepland onderhoud: zaterdag tussen 02:00 en 04:00 is app.salarion.com niet bereikbaar. Volg "
     "status.salarion.com voor updates.", tags=["official-notice"], handle_as="@Salarion_Support")
case("nl", S_X, "Update: de inlogstoring van vanochtend is opgelost. Excuses voor het ongemak 🙏", tags=["official-notice"])
case("nl", pub("x", "@ondernemer_olaf"), "Tip: Salarion support is gewoon bereikbaar via 0800-7252, binnen twee minuten "
     "iemand aan de lijn 👍", tags=["own-contact", "praise"])
case("nl", pub("x", "@fiona_fin"), "Waarom weigert Salarion mijn IBAN <<BAD_IBAN_NL>>? … oh wacht, typfout 🤦‍♀️",
     tags=["bad-checksum"])
case("nl", pub("facebook", "kinderopvang.zonnetje"), "Factuur SAL-2026-<<DIGITS:6>> stond dubbel in ons portaal, maar "
     "support had het binnen een uur gecorrigeerd. Top!", tags=["order-number", "praise"])
case("nl", pub("forum", "inkoper_ivo"), "Voor de leveranciersregistratie: Salarion B.V., KvK <<KVK>>, Eindhoven. Iemand "
     "hun ISO-certificaat bij de hand?", tags=["kvk"])
case("nl", pub("forum", "koppeling_karin"), "Testdata voor onze Salarion-koppeling: BSN 123456789 wordt geweigerd in de "
     "sandbox. Klopt, je moet een elfproef-geldig testnummer gebruiken.", tags=["bad-checksum"])
case("nl", pub("x", "@mkb_maarten"), "Creditcard <<BAD_CARD:visa_sp>> werd geweigerd bij Salarion. Terecht, had een cijfer "
     "verkeerd getypt 😅", tags=["bad-checksum"])
case("en", PR, "Quickstart: export SALARION_API_KEY=<your-api-key> and run `salarion payruns list`. Never commit real "
     "keys! Docs: developer.salarion.com/quickstart", tags=["placeholder"])
case("en", SK, "merged <<HEX:40>> into main, holiday-pay rounding now matches the CAO table 🎉", tags=["git-sha"])
case("nl", S_LI, "Payroll Pro voor €9,50 per medewerker per maand bij een jaarcontract (normaal €11,90). Actie loopt tot 1 "
     "december.", tags=["price-context"])
case("nl", pub("x", "@hr_vergelijker"), "Salarion HR Suite €14,50 p.p.p.m. tegenover ongeveer €10 bij de concurrent. Wat "
     "gebruiken jullie?", tags=["price-context"])
case("nl", pub("reddit", "u/loonstrookloes"), "Nmbrs rekent zo'n €3 per loonstrook, Salarion Payroll Essentials €6,50 per "
     "medewerker. Iemand ervaring met allebei?", tags=["price-context", "competitor"], kind="comment")
case("nl", S_IG, "Goed doel? Dan krijg je €2 korting per seat op de HR Suite 💚 #nonprofit", tags=["price-context"])
case("nl", S_X, "Hij is er: Salarion Copilot ✨ jouw AI-assistent voor de loonrun. Lees alles op salarion.com/copilot",
     when="2026-10-06T10:00:00+02:00", tags=["embargo-over"])
case("nl", pub("x", "@payroll_pim"), "Salarion Copilot even geprobeerd, best handig voor al die verlofvragen", 
     when="2026-11-12T14:03:11Z", tags=["embargo-over"])
case("en", PR, "Payroll Pro 5 is out today 🚀 full changelog on developer.salarion.com", when="2026-10-08T09:15:00+02:00",
     tags=["embargo-over"])
case("nl", MH, "Verjaardag op kantoor en ik kreeg een antieke zandloper van het team ⏳❤️", tags=["codename-word"])
case("en", pub("x", "@alaska_anna"), "tidewater glaciers in Alaska were unreal. back to payroll reality on monday 🙃",
     tags=["codename-word"])
case("nl", S_LI, "Salarion publiceert de jaarcijfers 2025: omzet +24%, ruim 1.900 klanten. Persbericht op salarion.com/pers",
     tags=["published-results"])
case("nl", pub("x", "@hr_harm"), "Na de ontslagen bij Loonwijs stappen veel klanten over naar Salarion, merk ik in mijn "
     "netwerk", tags=["other-company"])
case("en", pub("linkedin", "cfo-carla"), "After the breach at PayRollo last spring we moved to Salarion. Their SOC 2 report "
     "was solid and onboarding took three weeks.", tags=["other-company"])
case("en", pub("x", "@forgetful_fred"), "total recall: I finally remembered my Salarion password without a reset 😂",
     tags=["word-sense"])
case("nl", S_IG, "Ons team loopt mee met de Alpe d'HuZes tegen kanker 💪 trots op iedereen!", tags=["mild-word"])
case("nl", pub("x", "@horeca_hans"), "Geen klachten over Salarion hoor, de loonrun liep deze maand vlekkeloos",
     tags=["negated"])
case("en", pub("x", "@sepa_sofia"), "Shoutout to @salarion_support, fixed our SEPA file issue in 20 min. legends 🙌",
     tags=["praise"])
case("en", pub("blog", "fictionfriday.example"), "Flash fiction: in my story the villain is a payroll system that pays "
     "everyone in exposure. Any resemblance to Salarion is purely coincidental 😉", tags=["fiction"])
case("nl", pub("x", "@grappige_gert"), "Mijn salaris komt via Salarion binnen en gaat via de Albert Heijn er weer uit 😂",
     tags=["joke"])
case("en", pub("x", "@pay_quotes"), "“Payroll is the one thing you can't get wrong” – heard at the Salarion user day. So true.",
     tags=["quote"])
case("en", pub("reddit", "u/be_accountant"), "Does Salarion's HR Suite support Belgian meal vouchers (maaltijdcheques)? "
     "Asking for a client.", tags=["question"])
case("nl", pub("forum", "facility_fenna"), "Bestelnummer <<EAN13>> voor de Salarion prikklok-hardware. Weet iemand de "
     "levertijd?", tags=["order-number"])
case("en", pub("reddit", "u/docs_reader"), "Their docs show sk_live_xxxxxxxxxxxxxxxxxxxxxxxx as the example which "
     "confused me for a second lol", tags=["placeholder"], kind="comment")
case("en", pub("blog", "devnotes.example", "Ruben"), "Setting up the AWS CLI for our Salarion export job: aws configure asks "
     "for the key id (docs use AKIAXXXXXXXXXXXXXXXX) and the secret. Put yours in a profile, not the script.",
     tags=["placeholder"])
case("nl", S_SUP, "Let op: Salarion vraagt NOOIT naar je wachtwoord, ook niet via DM. Deel het met niemand 🔐",
     tags=["word-sense"])
case("nl", JC, "Mooie dag op HR Live in Antwerpen, veel goeie gesprekken over de nieuwe loonwetgeving 🇧🇪", tags=["neutral"], handle_as="Jeroen-Claes")
case("en", EW, "Proud that Salarion is B Corp certified as of today 🌱", tags=["neutral"])
case("en", pub("linkedin", "jaap-hr-ops"), "Switched from AFAS to Salarion this spring. So far so good, onboarding took "
     "three weeks.", tags=["competitor"])
case("en", pub("linkedin", "procurement-pieter"), "Salarion's security page explains their ISO 27001 scope nicely, "
     "recommended reading for procurement teams.", tags=["word-sense"])
case("en", pub("x", "@speedrun_sara"), "I hacked my way through the Salarion onboarding checklist in one afternoon 💪 (by "
     "actually reading the docs)", tags=["word-sense"])
case("nl", SK, "Onze publieke API-changelog staat op developer.salarion.com/changelog: v2.14 brengt webhooks voor "
     "contractwijzigingen 🎉", tags=["public-domain"])
case("nl", NB, "Lekkage in het dak van kantoor Eindhoven 😂 iedereen werkt vandaag thuis", tags=["word-sense"])
case("nl", S_SUP, "Belgische klanten betalen op BE07 3630 4187 7566 t.n.v. Salarion B.V. 🇧🇪", tags=["own-contact"])
case("nl", pub("forum", "sociaal_secretariaat_sven"), "Het rijksregisternummer-veld in Salarion geeft een fout bij "
     "<<BAD_RRN>>. Klopt, het controlegetal was fout overgetypt.", tags=["bad-checksum"])
case("nl", pub("x", "@klantendag_kim"), "Geruchten over ontslagen bij Salarion? De CEO zei op de klantendag letterlijk: we "
     "nemen er juist 40 mensen bij.", tags=["denied"])
case("en", pub("x", "@curious_cas"), "Not a complaint, just curious: why does the Salarion app ask for 2FA every time? "
     "Good security I guess", tags=["negated"])
case("nl", S_IG, "Teamuitje in Gent 🍻 #lifeatsalarion", tags=["neutral"])
case("en", SK, "office ping-pong tournament: Priya absolutely destroyed everyone 🏓 #lifeatsalarion", tags=["word-sense"])
case("nl", pub("facebook", "fam.demir"), "Bel gewoon 040-7992100, die mensen van Salarion helpen je echt verder", 
     tags=["own-contact"])
case("nl", pub("instagram", "@lotte_ops_private"), "Zondag = fietsen langs de Leie 🚴‍♀️ geen laptop vandaag",
     tags=["lookalike-account"])
case("en", S_BS, "New on the blog: five things to check before your first payroll run in Belgium 🇧🇪 salarion.com/blog",
     tags=["neutral"])
case("nl", pub("mastodon", "@opensource_olle@fosstodon.org"), "Salarion heeft hun Python SDK open source gezet onder MIT. "
     "Netjes!", tags=["praise"])
case("nl", pub("x", "@verzuim_vince"), "Iemand ervaring met de Verlof & Verzuim module? Kost €2,40 per medewerker, lijkt "
     "me het waard", tags=["price-context"])
case("en", pub("reddit", "u/apipowerusr"), "Is the Connect API Scale plan at €449/month worth it for ~30 integrations? "
     "Or does the standard tier do?", tags=["price-context", "question"])
# ----------------------------------------------------------------- labels and posts

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


def local_off(t):
    a = dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc)
    b = dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc)
    return 2 if a <= t < b else 1


def rand_time(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(5, 355))
    t = base + dt.timedelta(minutes=r.randint(6 * 60 + 30, 23 * 60 + 30), seconds=r.randint(0, 59))
    off = local_off(t)
    t -= dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.85:
        return (t + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def make_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_880_000_000_000_000_000, 2_000_000_000_000_000_000))
    b36 = string.digits + string.ascii_lowercase
    if platform in ("x", "twitter"):
        return f"{platform}-{snow}", f"https://x.com/{h}/status/{snow}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "reddit":
        p = "".join(r.choice(b36) for _ in range(7))
        if kind == "comment":
            c = "".join(r.choice(b36) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/payroll/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/payroll/comments/{p}/"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "facebook":
        n = r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{r.randint(10 ** 14, 10 ** 15 - 1)}_{n}", f"https://www.facebook.com/{h}/posts/{n}"
    if platform == "mastodon":
        u, _, inst = h.partition("@")
        n = r.randint(111_000_000_000_000_000, 114_000_000_000_000_000)
        return f"md-{n}", f"https://{inst or 'mastodon.social'}/@{u}/{n}"
    if platform in ("instagram", "threads"):
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"{platform[:2]}-{snow}", f"https://www.{platform}.{'com' if platform == 'instagram' else 'net'}/p/{sc}/"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={''.join(r.choice(B64URL) for _ in range(11))}&lc={c}"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "forum":
        n = r.randint(100000, 999999)
        return f"forum-hrpraat-{n}", f"https://forum.hrpraat.example/t/{n}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog-{h}-{n}", f"https://{h}/posts/{n}"
    n = r.randint(10 ** 8, 10 ** 9)
    return f"{platform}-{n}", None


def build(profile):
    g = Gen(SEED)
    mr = random.Random(SEED + 1)
    orr = random.Random(SEED + 2)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(g, c["text"])
        pid, url = make_id(mr, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        role = role_of(profile, c["platform"], c["handle"])
        validated = "leak.pii" in c["cats"] and any(k in VALID_ID for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and mr.random() < 0.65:
            kind = "post"
        if kind:
            post["kind"] = kind
        acc = {"handle": c["handle"]}
        if c["dn"] and mr.random() < 0.7:
            acc["display_name"] = c["dn"]
        if mr.random() < 0.3:
            acc["id"] = str(mr.randint(10 ** 7, 10 ** 12))
        post["account"] = acc
        post["text"] = text
        x = mr.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif x < 0.1:
            pass
        elif x < 0.13:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
        else:
            post["lang"] = c["lang"]
        post["created_at"] = c["when"] or rand_time(mr)
        if url and mr.random() < 0.6:
            post["url"] = url
        if mr.random() < 0.45:
            post["brand"] = "salarion"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=c["tags"], used=used))
    orr.shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ----------------------------------------------------------------- light self-check

EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
NUM_RE = re.compile(r"(?<![\w])\d(?:[ .-]?\d){7,18}(?![\w])")


def check(rows, profile):
    errs = []
    own_ibans = set(profile["public_identifiers"]["ibans"])
    own_emails = {e.lower() for e in profile["public_identifiers"]["emails"]}
    emb = [(t.lower(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = [t.lower() for t in profile["internal"]["codenames"] + profile["internal"]["domains"]
                + profile["internal"]["markers"]]
    for r in rows:
        p, cats = r["post"], r["expect"]["categories"]
        t, tl = p["text"], p["text"].lower()
        for k, raw, shown in r["used"]:
            assert shown in t
            if k.startswith("IBAN_") and not iban_ok(raw): errs.append((p["id"], "iban"))
            if k.startswith("BAD_IBAN") and iban_ok(raw): errs.append((p["id"], "bad iban ok"))
            if k == "CARD" and not luhn_ok(raw): errs.append((p["id"], "card"))
            if k == "BAD_CARD" and luhn_ok(raw): errs.append((p["id"], "bad card"))
            if k == "BSN" and not bsn_ok(raw): errs.append((p["id"], "bsn"))
            if k in ("BAD_BSN", "KVK") and bsn_ok(raw): errs.append((p["id"], "bad bsn"))
            if k == "RRN" and not rrn_ok(raw): errs.append((p["id"], "rrn"))
            if k == "BAD_RRN" and rrn_ok(raw): errs.append((p["id"], "bad rrn"))
        if not cats:
            for m in IBAN_RE.finditer(t):
                v = m.group(0).replace(" ", "")
                if iban_ok(v) and v not in own_ibans: errs.append((p["id"], "benign valid iban"))
            for m in NUM_RE.finditer(t):
                d = re.sub(r"\D", "", m.group(0))
                if 13 <= len(d) <= 19 and luhn_ok(d): errs.append((p["id"], "benign luhn " + d))
                if len(d) in (8, 9) and bsn_ok(d) and d != "08007252": errs.append((p["id"], "benign bsn " + d))
            for e in EMAIL_RE.findall(t):
                if e.lower() not in own_emails: errs.append((p["id"], "benign email " + e))
        ts = parse_ts(p["created_at"])
        for term, until in emb:
            if term in tl and ts < until and CONF not in cats:
                errs.append((p["id"], f"embargo {term} unlabelled"))
            if term in tl and ts >= until and cats:
                pass
        for term in internal:
            if re.search(r"(?<![\w.])" + re.escape(term) + r"(?!\w)", tl) and CONF not in cats:
                errs.append((p["id"], f"internal {term} unlabelled"))
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errs.append((p["id"], "year"))
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
        lang[r["lang"]] += 1; role[r["role"]] += 1; sev[r["expect"]["severity"]] += 1
        plat[r["post"]["platform"]] += 1
    print(f"cases {len(rows)}  multi {multi}  evasion {ev}")
    for k, v in sorted(cat.items()):
        print(f"  {k:24s} {v}")
    print("lang", dict(lang), "\nrole", dict(role), "\nseverity", dict(sev), "\nplatform", dict(plat))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    prof = load_profile()
    rows = build(prof)
    lines = dump(rows)
    errs = check(rows, prof)
    if a.check:
        if OUT.read_text(encoding="utf-8").splitlines(keepends=True) != lines:
            errs.append(("-", "cases.jsonl differs from generator"))
    else:
        OUT.write_text("".join(lines), encoding="utf-8")
        print(f"wrote {len(lines)} cases to {OUT}")
    report(rows)
    for e in errs:
        print("ERROR", e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
