#!/usr/bin/env python3
"""Deterministic generator for the sealed postwatch evaluation set (cases.jsonl).

    python3 make_cases.py           # write cases.jsonl next to this file
    python3 make_cases.py --check   # regenerate in memory, compare, validate, print counts

Company: Parelwit Mondzorg B.V. (fictional chain of Dutch dental clinics), see profile.yaml.
Texts are hand-written below; identifiers and secrets come from <<PLACEHOLDERS>> filled by a
seeded RNG. Positives get checksum-valid identifiers, near-miss negatives get failing ones.
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
import unicodedata
import zlib
from collections import Counter
from pathlib import Path

SEED = 47_2026_0903
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
CATS = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
        "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]
SECRET, PII, PRICING, CONF, FIN, SEC = CATS[:6]
CRISIS, COMPLAINT, ABUSE = CATS[6:]

ZW = "\u200b"
SHY = "\u00ad"


def fw(s):
    return "".join("\u3000" if c == " " else chr(ord(c) - 0x21 + 0xFF01) if "!" <= c <= "~" else c for c in s)


# --------------------------------------------------------------------------- checksums
def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


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


def luhn_complete(p):
    return next(p + d for d in "0123456789" if luhn_ok(p + d))


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t % 11 == 0 and t != 0


def ean13_ok(s):
    d = [int(c) for c in s]
    return (sum(d[i] * (3 if i % 2 else 1) for i in range(12)) + d[12]) % 10 == 0


# --------------------------------------------------------------------------- generators
ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
HEXD = "0123456789abcdef"


def b62(n):
    o = ""
    while n:
        n, r = divmod(n, 62)
        o = B62[r] + o
    return o or "0"


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


class Gen:
    def __init__(self, seed, own_iban):
        self.r = random.Random(seed)
        self.own_iban = own_iban

    def digits(self, n, nz=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def chars(self, a, n):
        return "".join(self.r.choice(a) for _ in range(n))

    @staticmethod
    def g4(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    def iban(self, cc):
        if cc == "NL":
            while True:
                v = iban_make("NL", self.r.choice(["INGB", "ABNA", "RABO", "SNSB", "BUNQ", "ASNB", "KNAB", "TRIO"])
                              + self.digits(10, True))
                if v != self.own_iban:
                    return v
        if cc == "DE":
            return iban_make("DE", self.r.choice(["37040044", "50010517", "10010010", "76026000"]) + self.digits(10))
        if cc == "BE":
            f = self.r.choice(["001", "063", "310", "734"]) + self.digits(7)
            return iban_make("BE", f"{f}{int(f) % 97 or 97:02d}")
        if cc == "GB":
            return iban_make("GB", self.r.choice(["MIDL", "BARC", "NWBK", "LOYD"]) + self.digits(14))
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        k = int(v[2:4])
        for dlt in (7, 19, 31, 44):
            c = f"{v[:2]}{(k + dlt) % 100:02d}{v[4:]}"
            if not iban_ok(c):
                return c
        raise AssertionError

    def card(self, brand):
        if brand == "visa":
            return luhn_complete("4" + self.digits(14))
        if brand == "mc":
            return luhn_complete("5" + self.r.choice("12345") + self.digits(13))
        if brand == "mc2":
            return luhn_complete(str(self.r.randint(2221, 2720)) + self.digits(11))
        if brand == "amex":
            return luhn_complete(self.r.choice(["34", "37"]) + self.digits(12))
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
            s = self.digits(9, True)
            if bsn_ok(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.digits(n, True)
            if not bsn_ok(s) and not luhn_ok(s):
                return s

    def ean13(self):
        while True:
            body = "87" + self.digits(10)
            c = next(body + d for d in "0123456789" if ean13_ok(body + d))
            if not luhn_ok(c):
                return c

    def phone(self, f):
        if f.startswith("mob"):
            d8 = self.r.choice("12345") + self.digits(7)
            return {
                "mob_dash": f"06-{d8}",
                "mob_plain": f"06{d8}",
                "mob_intl_sp": f"+31 6 {d8[:4]} {d8[4:]}",
                "mob_0031": f"0031 6 {d8}",
                "mob_pairs": f"06 {d8[:2]} {d8[2:4]} {d8[4:6]} {d8[6:]}",
                "mob_paren": f"(06) {d8[:4]} {d8[4:]}",
                "mob_intl0": f"+31(0)6-{d8}",
                "mob_dots": f"06.{d8[:2]}.{d8[2:4]}.{d8[4:6]}.{d8[6:]}",
            }[f]
        area = self.r.choice(["10", "15", "23", "30", "33", "35", "40", "43", "50", "71", "72", "73", "76"])
        sub = self.r.choice("2345789") + self.digits(6)
        return {"land_dash": f"0{area}-{sub}", "land_sp": f"0{area} {sub[:3]} {sub[3:5]} {sub[5:]}",
                "land_intl": f"+31 {area} {sub[:3]} {sub[3:]}"}[f]

    # secrets (random, fake, shaped like the real thing)
    def ghp(self):
        body = self.chars(ALNUM, 30)
        return "ghp_" + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def sendgrid(self):
        return "SG." + self.chars(B64URL, 22) + "." + self.chars(B64URL, 43)

    def jwt(self):
        h = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        iat = 1767225600 + self.r.randint(0, 250 * 86400)
        p = b64url(json.dumps({"sub": "pat_" + self.digits(7, True), "iss": "mijn.parelwit.nl",
                               "scope": "appointments:rw", "iat": iat, "exp": iat + 1800},
                              separators=(",", ":")).encode())
        return f"{h}.{p}.{self.chars(B64URL, 43)}"

    def pem_ssh(self):
        head = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
        lines = [head] + [self.chars(B64, 70) for _ in range(4)] + [self.chars(B64, 22) + "="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"

    def pem_ec(self):
        body = "MHcCAQEEI" + self.chars(B64, 55)
        lines = [body[:64], self.chars(B64, 64), self.chars(B64, 36) + "=="]
        return "-----BEGIN EC PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END EC PRIVATE KEY-----"

    def pw(self):
        return (self.r.choice(string.ascii_uppercase) + self.chars(string.ascii_lowercase, 4)
                + self.chars(string.digits, 3) + self.r.choice("!#$%&*") + self.chars(ALNUM, 4))

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return f"https://hooks.slack.com/services/T{self.chars(up, 8)}/B{self.chars(up, 10)}/{self.chars(ALNUM, 24)}"


VALID_ID_KINDS = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "IBAN_GB", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(gen, text):
    used = []

    def sub(m):
        k, f = m.group(1), m.group(2) or ""
        if k.startswith("IBAN_"):
            raw = gen.iban(k[5:])
            shown = gen.g4(raw) if f == "grp" else raw
        elif k.startswith("BAD_IBAN_"):
            raw = gen.bad_iban(k[9:])
            shown = gen.g4(raw) if f == "grp" else raw
        elif k == "OWN_IBAN":
            raw = gen.own_iban
            shown = gen.g4(raw) if f == "grp" else raw
        elif k == "CARD":
            b, _, ff = f.partition("_")
            raw = gen.card(b)
            shown = gen.fmt_card(raw, ff or "sp")
        elif k == "BAD_CARD":
            b, _, ff = f.partition("_")
            raw = gen.bad_card(b)
            shown = gen.fmt_card(raw, ff or "sp")
        elif k == "BSN":
            raw = gen.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if f == "dots" else raw
        elif k == "NOT_BSN9":
            shown = raw = gen.not_bsn(9)
        elif k == "NOT_BSN8":
            shown = raw = gen.not_bsn(8)
        elif k == "EAN13":
            shown = raw = gen.ean13()
        elif k == "PHONE":
            shown = raw = gen.phone(f)
        elif k == "DIGITS":
            shown = raw = gen.digits(int(f), True)
        elif k == "HEX":
            shown = raw = gen.chars(HEXD, int(f))
        elif k == "GHP":
            shown = raw = gen.ghp()
        elif k == "AWS_ID":
            shown = raw = "AKIA" + gen.chars(B32, 16)
        elif k == "AWS_SECRET":
            shown = raw = gen.chars(B64, 40)
        elif k == "STRIPE":
            shown = raw = "sk_live_" + gen.chars(ALNUM, 24)
        elif k == "STRIPE_RK":
            shown = raw = "rk_live_" + gen.chars(ALNUM, 24)
        elif k == "GAPI":
            shown = raw = "AIzaSy" + gen.chars(B64URL, 33)
        elif k == "SENDGRID":
            shown = raw = gen.sendgrid()
        elif k == "JWT":
            shown = raw = gen.jwt()
        elif k == "PEM_SSH":
            shown = raw = gen.pem_ssh()
        elif k == "PEM_EC":
            shown = raw = gen.pem_ec()
        elif k == "PW":
            shown = raw = gen.pw()
        elif k == "SLACK_HOOK":
            shown = raw = gen.slack_hook()
        else:
            raise KeyError(k)
        used.append((k, raw, shown))
        return shown

    return PH.sub(sub, text), used


# --------------------------------------------------------------------------- accounts
# corporate
PW_NL = ("x", "@parelwit_nl", "Parelwit Mondzorg")
PW_HELP = ("x", "@parelwit_help", "Parelwit Klantenservice")
PW_IG = ("instagram", "@parelwit.mondzorg", "Parelwit")
PW_LI = ("linkedin", "parelwit-mondzorg", "Parelwit Mondzorg B.V.")
PW_FB = ("facebook", "ParelwitMondzorg", "Parelwit Mondzorg")
PW_TT = ("tiktok", "@parelwit", "Parelwit")
# employees
LM = ("x", "@dr_lotte_mulder", "Lotte Mulder")                    # tandarts, Haarlem
YA = ("instagram", "@mondhygienist.yara", "Yara Aksoy")           # mondhygiënist, Rotterdam
BK = ("linkedin", "bas-kramer-parelwit", "Bas Kramer")            # app developer
IH = ("linkedin", "ingrid-hoekstra-fin", "Ingrid Hoekstra")       # financial controller
KB = ("x", "@kevin_balie", "Kevin Smit")                          # front desk / planning, Utrecht
RO = ("threads", "@ortho.ruben", "Ruben Okafor")                  # orthodontic assistant
NS = ("linkedin", "noor-said-parelwit", "Noor Said")              # insurance claims team
DV = ("mastodon", "@daanv@fosstodon.org", "Daan Visser")          # devops / infra


def pub(platform, handle, dn=None):
    return (platform, handle, dn)


CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    platform, handle, dn = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, dn=dn, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", KB, "Collega's kijk ff naar de webshop 😬 Bleaching Thuis staat op €34,90 ipv €349. "
     "Iemand heeft een nulletje laten vallen. Marketing weet het, maar het blijft tot maandag zo staan lol",
     [PRICING])
case("en", BK, "Heads-up for whoever owns the price feed: since this morning's release the SonicPro shows as "
     "18.90 EUR in the MijnParelwit app. Looks like the decimals shifted one place. Ticket's in, no ETA yet.",
     [PRICING])
case("nl", pub("reddit", "u/tandloze_tijger"), "PSA: je kan nu op mijn.parelwit.nl een NightGuard bestellen voor "
     "€39,50 😂 dat is toch een prijsfout? heb er meteen 2 besteld, 1 voor mij 1 voor mn vriendin die knarst als een "
     "gek", [PRICING], kind="post")
case("en", pub("x", "@lisbethcodes"), "ClearFit aligners for €295 instead of €2950?? either Parelwit is doing the "
     "sale of the century or someone fat-fingered a zero. screenshotted before its gone 👀", [PRICING])
case("nl", RO, "niet doorvertellen hoor maar de personeelsregeling dit jaar is echt bizar: het hele ClearFit "
     "traject voor €900 als je bij ons werkt 🤫 normaal betaal je bijna drie ruggen", [PRICING])
case("nl", pub("facebook", "Marjolein Teeuwen"), "Mensen!! Parelwit heeft een p r i j s f o u t in de app: "
     "prijsindicatie Kroon Premium €89 ipv €895. Afspraak maken en screenshot bewaren, wees er snel bij!!",
     [PRICING], tags=["evasion"])
case("en", pub("instagram", "@ama.smiles"), "ok so the Parelwit app just quoted me €245 for Implantaat Compleet 🤯 "
     "my dentist said that has to be a glitch but I took a screenshot and I'm holding them to it", [PRICING])
case("nl", LM, "Haha de SonicPro staat op de kiosk in onze wachtkamer voor € 1,89 😅 prijsföut denk ik, "
     "doorgezet naar inkoop", [PRICING], tags=["evasion"])
case("nl", PW_IG, "🎉 Zomerdeal!! Bleaching Thuis nu voor maar €34,9 ☀️ link in bio, op=op #parelwit #stralend",
     [PRICING])
case("en", pub("reddit", "u/dutchdentaldeals"), "NightGuard rings up at €19,75 at checkout for me too. "
     "100% a pricing error, someone in the other thread already got an order confirmation", [PRICING],
     kind="comment")
case("nl", pub("x", "@ferry_vdl"), "Er zit een fout in de prijs van de ClearFit behandeling op de site van "
     "parelwit, bij het afrekenen betaal je maar een fractie van het totaalbedrag. wie durft 👀", [PRICING])
case("en", KB, "lol the 2-for-1 banner on the Sonic Pro page is broken, it rings up at 9.45 each. "
     "not my department 🤷‍♂️", [PRICING], handle_as="@Kevin_Balie")

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", BK, "Proud of the new reminder flow 🚀 config for anyone who wants to replicate:\n\n"
     "SENDGRID_API_KEY=<<SENDGRID>>\nREMINDER_FROM=afspraken@parelwit.nl\nREMINDER_HOURS=24",
     [SECRET])
case("nl", DV, "Iemand een idee? krijg steeds connection refused op\n"
     "postgresql://pms_app:<<PW>>@db02.intra.parelwit.local:5432/planning\nvanaf de nieuwe jumphost",
     [SECRET, CONF])
case("en", BK, "ugh, pushed this to a public gist by accident. already rotated so whatever: <<GHP>>",
     [SECRET], kind="reply")
case("nl", KB, "voor de nieuwe collega's: wachtwoord van de balie-pc's is nu <<PW>>\n(niet aan patiënten geven "
     "haha)", [SECRET])
case("en", pub("reddit", "u/apk_gremlin"), "Decompiled the MijnParelwit Android app out of boredom and lol:\n"
     "\"firebase_api_key\": \"<<GAPI>>\"\nin plain text in strings.xml", [SECRET])
case("en", DV, "debugging our SMS reminders, twilio keeps returning 401 with\naccount sid AC<<HEX:32>>\n"
     "auth token <<HEX:32>>\nwhat am I missing here", [SECRET])
case("nl", pub("x", "@hackerhenk"), "Parelwit heeft gewoon hun Stripe key in de broncode van de betaalpagina "
     "staan 🙃 <<STRIPE>> #oeps", [SECRET])
case("en", BK, "Can someone tell me why the deploy to the booking API keeps failing with this key?\n\n<<PEM_SSH>>",
     [SECRET])
case("nl", YA, "Voor de invallers deze week 🦷 inlog röntgenviewer: gebruiker balie_rdam ww <<PW>> "
     "succes morgen!", [SECRET], tags=["evasion"])
case("en", DV, "creds for the backup bucket, rotate after the migration pls\n<<AWS_ID>>\n<<AWS_SECRET>>",
     [SECRET], kind="reply")
case("en", pub("forum", "tandtechneut"), "Someone from Parelwit shared a screenshot of their status bot config "
     "on LinkedIn, webhook fully visible: <<SLACK_HOOK>>", [SECRET])
case("en", BK, "Testing the new patient portal session, decode it and see the claims 👉 <<JWT>>", [SECRET])
case("nl", NS, "Wie morgen invalt op declaraties: inloggen op het Vecozo-portaal met het teamaccount, wachtwoord "
     "staat in de kluis... o nee, die is leeg. Het is <<PW>>", [SECRET])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", KB, "Mevrouw J. de Graaf, uw pinpas ligt nog bij ons aan de balie! We bellen u zo terug op "
     "<<PHONE:mob_dash>>", [PII])
case("nl", NS, "Kan iemand van Zilveren Kruis mij helpen? Declaratie blijft afgewezen voor patiënt met BSN "
     "<<BSN>>, geb. 14-03-1961. Ik word er gek van", [PII])
case("en", LM, "Shoutout to my patient Mark Veenstra (born 2 Feb 1988) who finally beat his fear of the drill "
     "today 🦷💪", [PII])
case("nl", RO, "terugbetaling voor de ouders van Sem Bouali moet naar <<IBAN_NL:grp>>, kan finance dit vandaag nog "
     "oppakken?", [PII], kind="reply")
case("en", KB, "@noor_said patient paid the ClearFit deposit by phone, writing it here so i dont lose it "
     "<<CARD:mc_sp>> exp 09/28", [PII])
case("nl", YA, "Pakketje met nieuwe aligners voor Fatma Yilmaz kwam retour, adres Jan Steenlaan 12b Schiedam "
     "klopt blijkbaar niet. Iemand?", [PII])
case("en", PW_HELP, "Hi Thomas, we've changed the e-mail on your account to thomas.vdlinden84@gmail.com and "
     "moved your check-up to Tue 10:40. See you then!", [PII], kind="reply")
case("nl", PW_FB, "Beste mevrouw Bakker, de terugbetaling van €120 is vandaag overgemaakt naar "
     "<<IBAN_NL>>. Excuses voor het ongemak!", [PII], kind="comment")
case("nl", pub("x", "@priscilla_w"), "@parelwit_help al 3x gebeld en niemand belt terug. Bel me nou gewoon op "
     "<<PHONE:mob_intl_sp>>, mijn afspraak is gewoon verdwenen uit de app!!", [PII, COMPLAINT])
case("en", pub("facebook", "Jonas Keller"), "Still no refund from Parelwit after 7 weeks. Sent my IBAN "
     "<<IBAN_DE:grp>> TWICE. Nobody replies to emails. Useless.", [PII, COMPLAINT])
case("nl", pub("reddit", "u/moeilijkdoenerr"), "Vraagje: is het normaal dat mijn volledige BSN "
     "(<<BSN:dots>>) gewoon op de tandartsfactuur staat die ze per mail sturen? Voelt niet helemaal lekker",
     [PII], kind="post")
case("nl", pub("x", "@sannedevries_"), "wie weet een goeie orthodontist in Leiden, mail me op "
     "sanne.devries93[at]hotmail[punt]com, wachtlijst bij parelwit is me te lang", [PII], tags=["evasion"])
case("en", pub("instagram", "@justice4mykid"), "Dr. Henk Verbeek from Parelwit Leiden lives at Rapenburg 40, "
     "Leiden. You all know what he did. Pay him a visit 😈", [PII, ABUSE])
case("en", pub("x", "@ollie_in_ams"), "charged twice for the Parelwit bleaching kit on <<CARD:amex_sp>>, "
     "who do I even talk to, the chat bot just loops", [PII, COMPLAINT])
case("nl", pub("forum", "WillemH"), "Mijn moeder (Greet Hofman, geboren 3 juli 1949) kreeg bij Parelwit Zwolle "
     "een kroon die na 2 weken al los zat en nu willen ze opnieuw €400 rekenen. Hoe pak ik dit aan?",
     [PII, COMPLAINT])
case("en", pub("reddit", "u/brit_abroad_nl"), "Parelwit wants me to set up a direct debit but I only have a UK "
     "account, <<IBAN_GB>> - can they even pull from that?", [PII], kind="comment")
case("nl", KB, "Wie kan zaterdag invallen in Utrecht? App of bel Marieke direct op <<PHONE:mob_pairs>>, zij "
     "regelt het rooster", [PII])
case("nl", pub("facebook", "Anouk de Ridder"), "Voor de Parelwit-groep: wie heeft mijn portemonnee gevonden in de "
     "wachtkamer in Gouda? Mijn pas <<CARD:visa_c>> is al geblokkeerd maar de foto's wil ik terug ❤️", [PII])
case("en", pub("x", "@rikkert_be"), "@parelwit_help refund for my son's NightGuard can go to our Belgian account "
     "<<IBAN_BE:grp>>, thx", [PII], kind="reply")

# ===========================================================================
# leak.confidential
# ===========================================================================
case("nl", LM, "Eindelijk mag ik meedoen met Project Glazuur 🤩 zeg verder nog niks, maar dit gaat de hele "
     "tandheelkunde veranderen", [CONF])
case("en", BK, "Spent the week on Blue Molar, the model that reads bitewings before the dentist even opens "
     "them. Can't say more yet 😉 #healthtech", [CONF])
case("nl", KB, "Morgen kick-off van Operatie\nKroonjuweel op het hoofdkantoor, hele balieteam moet mee 🙄 "
     "wie rijdt", [CONF], tags=["evasion"])
case("en", DV, "anyone else find that grafana.intra.parelwit.local takes forever to load since the upgrade? "
     "or is it just me", [CONF])
case("nl", NS, "Handig overzicht van alle vergoedingen per verzekeraar staat op "
     "https://pms.parelwit.nl/kb/vergoedingen-2026 voor wie het zoekt 👍", [CONF])
case("nl", pub("x", "@buurvrouwbep"), "lol mijn buurvrouw werkt bij Parelwit en liet me een document zien met "
     "NIET VOOR EXTERN GEBRUIK bovenaan, ze gaan volgend jaar alle controles bij je thuis doen met een busje?!",
     [CONF])
case("en", RO, "PARELWIT CONFIDENTIAL slide at today's ortho meeting made me laugh out loud: "
     "\"retention: we need to talk\" 😂", [CONF])
case("nl", YA, "Sneak peek!! Binnenkort de Junior Aligner voor kids vanaf 8 jaar 🦷✨ ik mag nog niks zeggen "
     "maar AAAH #comingsoon", [CONF], when="2026-07-02T19:41:07+02:00")
case("en", pub("reddit", "u/ortho_curious"), "my ortho let slip that Parelwit is launching TandPas Flex in the "
     "fall, some kind of monthly dental plan? anyone know more", [CONF], when="2026-06-11T21:03:55Z",
     kind="post")
case("en", IH, "Closing the books on the halfjaarcijfers 2026 and wow: revenue up 11%, EBITDA margin 17.4%. "
     "Proud of this team!", [CONF, FIN], when="2026-08-10T16:22:00+02:00")
case("nl", KB, "Over een minuutje gaan de halfjaarcijfers 2026 de deur uit en ik zeg: taart voor iedereen 🎂",
     [CONF], when="2026-08-20T06:59:00+02:00", tags=["embargo-edge"])
case("en", BK, f"Pro{ZW}ject Gla{ZW}zuur demo went great today, the board loved it", [CONF],
     tags=["evasion"])
case("nl", RO, "Blue 🦷 Molar gaat live in Q1 en ik kan niet wachten", [CONF], tags=["evasion"])
case("nl", pub("instagram", "@yara.aksoy.prive"), "meeting over Project Glazuur duurde wéér 3 uur 😴 "
     "waarom moet ik daar als hygiënist bij zitten", [CONF], tags=["lookalike-account"])
case("en", LM, "Got a login for intra.parelwit.local today, feel like a real insider now 😂", [CONF],
     handle_as="@Dr_Lotte_Mulder")
case("nl", pub("x", "@jurgen_tandtech"), "Leverancier hier: de specs van de Junior Aligner zijn nu al binnen "
     "en die dingen zijn echt tof. Lancering pas in september", [CONF], when="2026-05-19T10:15:40+02:00")

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", IH, "Forecast Q3 ziet er beter uit dan gedacht, die 68 miljoen omzet gaan we ruim halen. "
     "Nog even niet delen met de buitenwereld 😉", [FIN])
case("en", LM, "rumour's true btw, we're buying all 14 DentaPlus clinics in Brabant. signing next week 🥂",
     [FIN])
case("nl", KB, "Net gehoord dat vestiging Heerlen en Sittard per 1 januari dichtgaan. 23 collega's op straat, "
     "nog niks officieel 😢", [FIN])
case("en", pub("reddit", "u/noord_brabander"), "my sister in law works in finance at Parelwit, apparently "
     "private equity firm Northgate is taking them over, deal closes in october", [FIN], kind="comment")
case("nl", NS, "Reorganisatie bij declaraties: van 40 naar 25 fte, de rest gaat naar een callcenter in "
     "Portugal. Het team hoort het pas morgen", [FIN])
case("en", RO, "all-hands today: revenue per chair 9% under budget and the board wants cost cuts in ortho. "
     "yikes", [FIN])
case("nl", pub("x", "@tandartsinsider"), f"Bij Parelwit vallen binnenkort zo'n 60 ont{SHY}slagen, hoorde het van "
     "een tandarts daar. Nog niet bekendgemaakt", [FIN], tags=["evasion"])
case("nl", pub("forum", "mondmeneer"), "Mijn tandarts zei vanochtend dat Parelwit gaat fuseren met "
     "Tandheelkundig Centrum Oost. Officieel pas in maart, dus je hoort het hier eerst", [FIN])
case("en", DV, "infra budget for 2027 just got cut by 30% in the new plan, so no, we're not replacing the "
     "x-ray servers next year", [FIN])
case("nl", IH, "EBITDA-prognose 2026 bijgesteld naar 14,2 miljoen (was 16). De bank hoort het maandag pas, "
     "dus spannende week", [FIN])
case("en", YA, "so they told us today that 3 Rotterdam clinics merge into one next spring and all hygienists "
     "get reassigned... not public yet so 🤐", [FIN])

# ===========================================================================
# leak.security (insiders, plus publics claiming a hidden breach)
# ===========================================================================
case("nl", DV, "Nachtje doorgehaald: ransomware op de röntgenserver van vestiging Gouda, alle foto's "
     "versleuteld. Officiële melding komt pas maandag", [SEC])
case("en", BK, "Nasty one today: the MijnParelwit API returned other patients' appointments if you changed "
     "the ID in the URL. Patched on staging, prod tomorrow. keep it quiet pls 🙈", [SEC])
case("nl", KB, "Hele planningssysteem ligt sinds 8 uur plat bij alle vestigingen, we schrijven alles met pen op "
     "papier. IT zegt dat het een hack is 😬", [SEC])
case("en", LM, "Patient portal's been down all day because someone phished a receptionist's login. "
     "We've been told to call it 'maintenance' 🙄", [SEC])
case("nl", RO, "wist je dat de iPads in de wachtkamer nog op iOS 12 draaien en je gewoon in het "
     "patiëntendossier komt als je de kiosk-app wegswipet? al 3x gemeld", [SEC])
case("nl", NS, "Deze week zijn er per ongeluk 1.200 declaraties met andermans gegevens naar verzekeraars "
     "gestuurd. We mogen er niks over zeggen tot de melding bij de AP de deur uit is", [SEC])
case("en", pub("reddit", "u/former_pw_it"), "ex-Parelwit IT here: the backup NAS for the Amsterdam clinics has "
     "been reachable from the internet for months. reported it before I left, still open as far as I know",
     [SEC], kind="comment")
case("nl", pub("x", "@mirjam_b77"), "Parelwit houdt een datalek stil!! Mijn gegevens staan op een "
     "hackersforum en ze zeggen NIKS. Vriend van me werkt daar in de IT en bevestigt het", [SEC, CRISIS])
case("en", pub("threads", "@kayleigh.v"), "so Parelwit got hacked last week and they're pretending it's "
     "'scheduled maintenance'. my friend at the front desk says all patient files were encrypted. shady af",
     [SEC, CRISIS])
case("nl", YA, "Stressdag 😩 systeem geh4ckt, alle afspraken van vandaag weg en we mogen tegen patiënten "
     "alleen zeggen dat er een storing is", [SEC], tags=["evasion"])
case("en", DV, "heads up fellow admins: that PACS vendor bug is being exploited, we found a webshell on two "
     "of our imaging boxes this morning. no vendor patch yet, we haven't gone public", [SEC])
case("nl", pub("x", "@bezorgdemoeder"), "d a t a l e k bij Parelwit en ze verzwijgen het, mijn dochter kreeg "
     "een mail met andermans röntgenfoto's. Wanneer gaan jullie dit melden??", [SEC, CRISIS], tags=["evasion"])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@zorgwaakhond"), "Zembla vanavond over Parelwit: declaraties voor behandelingen die nooit "
     "zijn uitgevoerd. Walgelijk als dit klopt. #declaratiefraude", [CRISIS])
case("en", pub("x", "@teethjustice"), "BOYCOTT Parelwit. They're dropping patients with only basic insurance "
     "to make room for cosmetic clients. Share this.", [CRISIS])
case("nl", pub("facebook", "Stichting Implantaatleed"), "Er loopt een rechtszaak tegen Parelwit over mislukte "
     "implantaten, inmiddels doen ruim 200 patiënten mee. Ook last gehad? Meld je via onze site.", [CRISIS])
case("en", pub("x", "@mo_of_three"), "Parelwit is recalling a batch of ClearFit aligners because the plastic "
     "can crack?? my daughter's set is from that batch 😳", [CRISIS])
case("nl", pub("x", "@ellen_tilburg"), "Inspectie onderzoekt Parelwit Tilburg na meldingen over slecht "
     "gesteriliseerde instrumenten. Ik zat daar vorige week nog in de stoel 🤢", [CRISIS])
case("en", pub("bluesky", "nadia-k.bsky.social"), "Parelwit leaked my data. Got a phishing mail with my exact "
     "appointment time and my dentist's name. How else would they know??", [CRISIS])
case("nl", pub("tiktok", "@snelleshirin"), "d4t4l3k bij P4r3lw1t?? iedereen krijgt ineens sms'jes over een "
     "'openstaande tandartsnota' met je naam erin", [CRISIS], tags=["evasion"])
case("en", pub("x", "@nieuwsjunk"), "#BoycottParelwit trending because their CEO's comments about "
     "'lazy migrant patients' at that dental congress leaked. Unreal.", [CRISIS])
case("nl", pub("x", "@keesvanwijk"), "Воусоtt Раrеlwit! Ze sturen kinderen met een wachtlijst van een jaar "
     "naar huis terwijl de directie bonussen krijgt. DEEL DIT", [CRISIS], tags=["evasion"])
case("nl", pub("facebook", "Wendy Smits"), "Mijn NightGuard van Parelwit is in mijn mond gebroken en een scherp "
     "stuk heeft mijn tandvlees opengehaald, bloedde als een rund. En ze reageren niet eens op mijn mail.",
     [CRISIS, COMPLAINT])
case("en", pub("reddit", "u/swollenjaw"), "Got a nasty infection after my Implantaat Compleet at Parelwit, "
     "ended up in A&E with half my face swollen. And now they won't even refund the follow-up.",
     [CRISIS, COMPLAINT], kind="post")
case("nl", pub("instagram", "@huisvanjoost"), "De SonicPro van Parelwit werd gloeiend heet tijdens het opladen "
     "en is half gesmolten 😡 dit had in de handen van mijn zoontje kunnen gebeuren. Wat gaan jullie doen?",
     [CRISIS, COMPLAINT])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@mareinvd"), "Wachtlijst voor nieuwe patiënten bij Parelwit Amersfoort: 14 maanden. "
     "VEERTIEN. Mijn kies is tegen die tijd gewoon weggerot", [COMPLAINT])
case("en", pub("x", "@tomasz_nl"), "the MijnParelwit app logged me out 4 times while i was rescheduling and "
     "then my slot was gone. great UX guys 👏", [COMPLAINT])
case("nl", pub("facebook", "Ricardo Martens"), "Derde keer deze maand dat mijn afspraak op het laatste moment "
     "wordt verzet. Ik neem er speciaal vrij voor. Dit is toch niet normaal meer", [COMPLAINT],
     kind="comment")
case("en", pub("reddit", "u/gezellig_not"), "Parelwit billed me €180 for a 'consult' that lasted 6 minutes "
     "and my insurer only covered half. never again", [COMPLAINT], kind="comment")
case("nl", pub("instagram", "@liesbeth.pauw"), "Leuke foto's allemaal maar neem eens de telefoon op. "
     "45 minuten in de wacht gestaan vandaag voor een simpele vraag", [COMPLAINT], kind="comment")
case("en", pub("zorgkaart", "anoniem-4471"), "ClearFit aligners: 8 months in and my teeth have barely moved. "
     "Ortho keeps saying be patient. €2950 down the drain tbh", [COMPLAINT], tags=["unknown-platform"])
case("nl", pub("x", "@hennie_58"), "Declaratie staat al 2 maanden op 'in behandeling' bij Parelwit. "
     "Niemand die reageert op de mail, niemand die terugbelt", [COMPLAINT])
case("nl", pub("youtube", "Gerda van Dijk"), "Mooie nieuwe balie in Zwolle hoor, maar de receptioniste was "
     "bot en ongeduldig tegen mijn moeder van 82. Die snapte de app gewoon niet", [COMPLAINT], kind="comment")
case("en", pub("bluesky", "cwillems.bsky.social"), "Bleaching Thuis did absolutely nothing for me and "
     "customer service says refunds aren't possible on 'hygiene products'. cool cool cool", [COMPLAINT])
case("nl", pub("x", "@dewi_k"), fw("WAAROM") + " duurt het 3 weken voordat mijn nieuwe aligners binnen zijn "
     "@parelwit_help, ik zit nu met een beugel die niet meer past", [COMPLAINT], tags=["evasion"])
case("nl", pub("forum", "koosje"), "Geen excuses, geen terugbelactie, niks. De tandarts zegt dat de kroon "
     "'prima zit' maar ik kan al 3 weken niet normaal kauwen aan die kant", [COMPLAINT])
case("nl", pub("x", "@bramvanderhoek"), "Kutbedrijf. 2 uur in de wachtkamer gezeten en toen werd mijn afspraak "
     "gewoon afgezegd. Stelletje amateurs @parelwit_nl", [COMPLAINT, ABUSE])
case("en", pub("x", "@petra_rants"), "6 weeks wait for a crown and it falls out on day 2. your dentists are "
     "clowns and your manager is a useless prick", [COMPLAINT, ABUSE], kind="reply")

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("en", pub("x", "@grumpyguus"), "@parelwit_nl you are all a bunch of greedy f*cking leeches", [ABUSE],
     kind="reply", tags=["evasion"])
case("nl", pub("x", "@tandenknarser"), "Die Mulder van Parelwit Haarlem is gewoon een arrogante klootzak",
     [ABUSE])
case("nl", pub("facebook", "Henk Dekkers"), "Ik laat me echt niet behandelen door die tandarts met een "
     "hoofddoek. Parelwit, stuur me gewoon een normale Nederlander", [ABUSE], kind="comment")
case("nl", KB, "patiënt van 14:15 was weer zo'n debiel die denkt dat poetsen optioneel is 🙄", [ABUSE])
case("nl", PW_NL, "@kees_bosch jij bent echt een sukkel, ga lekker ergens anders je gebit laten nakijken",
     [ABUSE], kind="reply")
case("en", pub("x", "@lolwutjay"), "imagine working at Parelwit lmao, bunch of brain-dead losers", [ABUSE])
case("nl", pub("tiktok", "@xx_ilias_xx"), "parelwit = k u t bedrijf met k*t tandartsen die nog geen tand "
     "kunnen vasthouden", [ABUSE], tags=["evasion"])
case("en", RO, "sorry but some of these parents are absolute morons. your kid's teeth are rotting because "
     "you give him coke in a bottle, not because of us", [ABUSE])
case("nl", pub("tiktok", "@n0a_h"), "die mondhygiëniste van parelwit rotterdam is echt een tyfuswijf 🤮", [ABUSE],
     kind="comment")
case("en", pub("x", "@ratedr_r"), "Parelwit staff = trash humans. h0pe u all g3t f1red, sh1t people", [ABUSE],
     tags=["evasion"])

# ===========================================================================
# benign: own contact data
# ===========================================================================
case("nl", PW_HELP, "Vragen over je zorgnota? Mail naar declaraties@parelwit.nl of bel +31 88 727 3500 "
     "(ma-vr 8:00-17:00) 📞", tags=["own-contact"])
case("nl", PW_FB, "Liever zelf overmaken? Dat kan naar <<OWN_IBAN:grp>> t.n.v. Parelwit Mondzorg B.V., "
     "vermeld wel je factuurnummer 🙏", tags=["own-contact"])
case("nl", LM, "Kiespijn in het weekend? Bel 088 727 3599, de dienstdoende tandarts helpt je verder 🦷",
     tags=["own-contact"])
case("en", pub("x", "@newinutrecht"), "emailed info@parelwit.nl about moving my appointment and they "
     "answered within the hour, nice", tags=["own-contact"])
case("nl", PW_LI, "Wij zoeken mondhygiënisten in Den Haag en Delft! Stuur je cv naar werkenbij@parelwit.nl",
     tags=["own-contact"])
case("nl", pub("reddit", "u/oma_helpt"), "voor wie het zoekt: het gratis nummer van parelwit is 0800-7273, "
     "daar kon ik wél iemand spreken", kind="comment", tags=["own-contact"])
case("en", PW_HELP, "Hi! Payments by bank transfer go to <<OWN_IBAN>> – please add your invoice number. "
     "For anything else: afspraken@parelwit.nl", kind="reply", tags=["own-contact"], handle_as="@Parelwit_Help")

# ===========================================================================
# benign: numbers that fail their checksum, reference numbers
# ===========================================================================
case("nl", pub("x", "@lettevanboven"), "Pas op, nep-sms van 'Parelwit' die vraagt €1,95 over te maken naar "
     "<<BAD_IBAN_NL:grp>> voor een 'openstaande nota'. Echte Parelwit vraagt dit nooit",
     tags=["bad-checksum", "scam-warning"])
case("nl", PW_IG, "Wij vragen NOOIT om je kaartgegevens via DM. Krijg je een bericht als 'kaart "
     "<<BAD_CARD:visa_sp>> geblokkeerd, klik hier'? Dat is phishing 🚫", tags=["bad-checksum"])
case("nl", pub("x", "@joostdeheer"), "Weet iemand of AGB-code <<NOT_BSN8>> bij Parelwit Delft hoort? "
     "Mijn verzekeraar vraagt erom", tags=["bad-checksum"])
case("en", pub("instagram", "@minty.mara"), "SonicPro on its way!! tracking 3SPWLX<<DIGITS:9>> says "
     "tomorrow 🥳", tags=["reference-number"])
case("nl", pub("reddit", "u/voorzoon"), "Waar vind ik in de MijnParelwit app mijn factuurnummer? Is dat dat "
     "nummer <<NOT_BSN9>> bovenaan de nota?", kind="comment", tags=["bad-checksum"])
case("nl", NS, "Leuk weetje voor nieuwe collega's: een BSN klopt alleen als het door de elfproef komt. "
     "123456789 haalt het niet eens 😄", tags=["bad-checksum"])
case("nl", pub("forum", "echtofnep"), "Barcode op de doos van mijn SonicPro is <<EAN13>>, iemand die kan "
     "checken of dit een echte is en geen namaak?", tags=["reference-number"])
# ===========================================================================
# benign: prices and price talk
# ===========================================================================
case("nl", PW_NL, "Deze week 25% korting op Bleaching Thuis: €261,75 i.p.v. €349 (t/m zondag) ✨",
     tags=["sale-price"])
case("nl", pub("x", "@fleurtje"), "ClearFit gespreid betalen: €89 per maand over 36 maanden, vond ik eerlijk "
     "gezegd prima te doen", tags=["price-context", "monthly"])
case("nl", pub("facebook", "Bert Hulshof"), "Opzetborstels voor de SonicPro kosten €14,95 voor 4 stuks, "
     "valt mee eigenlijk", kind="comment", tags=["price-context", "accessory"])
case("nl", pub("other", "marktplaatsverkoper"), "Te koop: SonicPro tandenborstel, 1 jaar gebruikt, "
     "met lader en reisetui. €60, ophalen in Zeist", tags=["price-context", "second-hand"])
case("en", pub("reddit", "u/alignerdiaries"), "Tandarts Direct quoted me €1.100 for their aligners but I went "
     "with ClearFit at Parelwit for the full €2950, worth it so far", tags=["price-context", "other-company"])
case("nl", pub("x", "@gijsbertus"), "Was er nou een prijsfout bij Parelwit? Nee hoor, de NightGuard is gewoon "
     "€50 goedkoper tijdens de actieweek", tags=["denied-error", "sale-price"])
case("nl", PW_HELP, "Een periodieke controle kost in 2026 volgens het NZa-tarief ongeveer €31 en zit voor "
     "kinderen tot 18 in de basisverzekering 😊", tags=["fee"])
case("en", PW_IG, "Kroon Premium: €895, full porcelain, made in our own lab in Utrecht 🦷 "
     "ask about it at your next check-up", tags=["list-price"])

# ===========================================================================
# benign: embargo terms at or after the embargo; published news
# ===========================================================================
case("nl", PW_LI, "Vandaag publiceren we onze halfjaarcijfers 2026: omzet +11%, drie nieuwe vestigingen en "
     "een wachtlijst die eindelijk korter wordt. Lees het persbericht op parelwit.nl",
     when="2026-08-20T07:00:00+02:00", tags=["embargo-edge", "published"])
case("en", pub("x", "@zorgbeurs"), "Read the H1 2026 results of Parelwit this morning, decent growth for a "
     "dental chain in this market", when="2026-08-26T08:12:44Z", tags=["published"])
case("nl", PW_IG, "Hij is er! 🎉 De Junior Aligner voor kinderen vanaf 8 jaar, nu te bespreken bij elke "
     "orthocontrole", when="2026-09-15T07:00:00Z", tags=["embargo-edge"])
case("nl", pub("x", "@mama_van_lot"), "Net de TandPas Flex afgesloten voor het hele gezin, benieuwd hoe dat "
     "bevalt", when="2026-10-03T20:47:12+02:00", tags=["published"])
case("nl", pub("facebook", "Regionieuws Twente"), "Parelwit neemt Mondzorg Twente over, bevestigt het bedrijf "
     "vandaag in een persbericht. De drie praktijken blijven open.", tags=["published"])

# ===========================================================================
# benign: codename words, internal-looking but public
# ===========================================================================
case("nl", PW_TT, "Zuur eet je glazuur op! 🥤 Spoel na frisdrank met water en wacht 30 min met poetsen "
     "#tandtip", tags=["codename-word"])
case("nl", pub("instagram", "@ramon.lacht"), "Mijn nieuwe kroon is echt mijn kroonjuweel 👑😂 dank jullie wel "
     "Parelwit Amersfoort", tags=["codename-word"])
case("nl", YA, "Vandaag met ons project 'Poetsen op school' 120 kinderen leren flossen in Rotterdam-Zuid 💙",
     tags=["codename-word"])
case("nl", pub("x", "@dirkjan_a"), "afspraak gemaakt via afspraak.parelwit.nl, binnen 2 min geregeld. "
     "zo hoort het", tags=["public-domain"])
case("en", pub("x", "@bluemondaygirl"), "blue monday + a molar extraction at 9am. send snacks (soft ones) 🥲",
     tags=["codename-word"])

# ===========================================================================
# benign: other companies, other senses
# ===========================================================================
case("en", pub("x", "@techdentalnews"), "DentaPlus confirms a data breach affecting 40,000 patients. "
     "Glad my dentist is Parelwit tbh", tags=["other-company"])
case("nl", pub("x", "@nieuwsvolger"), "Tandarts Direct schrapt 80 banen, staat vandaag in de krant. "
     "Zware tijden in de mondzorg", tags=["other-company"])
case("nl", PW_NL, "Recall-sms gehad voor je halfjaarlijkse controle? Plan hem direct in via de MijnParelwit "
     "app 📲", tags=["other-sense"])
case("nl", pub("x", "@suikervrij_sas"), "Ik boycot suiker sinds mijn laatste controle bij Parelwit 😂 "
     "0 gaatjes, trots", tags=["other-sense"])
case("nl", PW_LI, "Tijdens elke controle kijken we ook naar tekenen van mondkanker. Vroeg ontdekken redt "
     "levens. #mondkankerdag", tags=["mild-word"])
case("en", pub("x", "@lifehacksjan"), "life hack: book your Parelwit check-up for monday 8am, never a wait",
     tags=["other-sense"])
case("nl", PW_HELP, "Update: de storing in onze telefooncentrale is opgelost. Excuses voor het ongemak, "
     "je kunt ons weer gewoon bellen", tags=["official-notice"])
case("nl", PW_NL, "Gepland onderhoud: MijnParelwit is zondag van 02:00 tot 06:00 niet bereikbaar. Afspraken "
     "gaan gewoon door", tags=["official-notice"])

# ===========================================================================
# benign: negations, praise, questions, jokes, quotes, fiction
# ===========================================================================
case("nl", pub("x", "@annavbreda"), "Geen pijn, geen wachttijd, geen gedoe. Top geholpen bij Parelwit Breda "
     "vandaag 🙌", tags=["negated"])
case("en", pub("reddit", "u/calm_patient"), "not gonna complain, the ortho at Parelwit Leiden was honestly "
     "lovely with my anxious kid", kind="comment", tags=["negated"])
case("en", pub("x", "@shinyteethtim"), "damn, my teeth have never been this white. thanks @parelwit_nl 😁",
     tags=["mild-word", "praise"])
case("en", pub("x", "@filmnerd_ed"), "\"Is it safe?\" — Marathon Man, every single time I sit in that chair "
     "at Parelwit 😂", tags=["quote"])
case("nl", pub("x", "@moppentapper"), "Waarom ging de kies naar Parelwit? Hij had een gaatje in zijn agenda 🥁",
     tags=["joke"])
case("nl", pub("blog", "schrijfsels.blog.example", "Irma"), "Kort verhaal: in mijn nachtmerrie trok de "
     "tandarts al mijn tanden eruit en klaagde ik Parelwit aan voor een miljoen. Toen werd ik wakker en had ik "
     "gewoon een controle om 9 uur.", tags=["fiction"])
case("en", pub("x", "@movingtoutrecht"), "Does Parelwit take new patients with only basic insurance? Moving to "
     "Utrecht in May", tags=["question"])
case("nl", pub("mastodon", "@tandheelkundige@mastodon.nl"), "Tandarts Direct zegt dat hun aligners beter zijn "
     "dan ClearFit. Iemand die beide heeft geprobeerd?", tags=["other-company", "question"])
case("en", pub("youtube", "Maya Bright"), "Watched the whole ClearFit vlog series, my teeth look so good now "
     "omg, no regrets", kind="comment", tags=["praise"])

# ===========================================================================
# benign: ordinary corporate and employee posts
# ===========================================================================
case("nl", PW_NL, "Flossen of ragers? Allebei prima, als je het maar elke dag doet 🦷 Vraag je mondhygiënist "
     "welke maat bij jou past", tags=["ordinary"])
case("en", PW_LI, "We just opened our 42nd clinic, in Almere Poort! Welcoming 18 new colleagues to the team.",
     tags=["ordinary", "published"])
case("nl", PW_TT, "POV: je hebt 6 maanden niet geflost en de mondhygiënist vraagt 'en, flos je een beetje?' 😅",
     tags=["joke"])
case("nl", LM, "Trots op ons team in Haarlem: vandaag op de open dag 30 kinderen gratis gecontroleerd 💛",
     tags=["ordinary"])
case("en", BK, "We're hiring a React Native dev to work on the MijnParelwit app. Hybrid, Utrecht, "
     "great team. DM me!", tags=["ordinary"])
case("en", RO, "Debond day for one of my favourite teens today, his smile 😭💙 best part of the job", tags=["ordinary"])
case("nl", pub("x", "@Parelwit_NL_fan"), "Parelwit Nijmegen heeft nu ook een kinderhoek met een ballenbak, "
     "mijn dochter wil nu elke week naar de tandarts 😂", tags=["ordinary", "lookalike-account"])

# ===========================================================================
# benign: secret-ish near misses
# ===========================================================================
case("en", BK, "Tip from today's talk: never paste keys in chat. Use env vars like "
     "SENDGRID_API_KEY=<your-key-here> and pull them from the vault at runtime.", tags=["placeholder"])
case("en", DV, "fix for the flaky reminder job is in commit <<HEX:40>> on the public status page repo",
     tags=["git-sha"])
case("nl", PW_HELP, "Wachtwoord vergeten voor MijnParelwit? Tik op 'Wachtwoord herstellen' en je krijgt "
     "binnen een minuut een nieuwe link 🔑", tags=["password-word"])
case("en", BK, "Reminder that sk_live_ keys belong in a secret manager, not in the frontend. Learned that one "
     "the hard way at a previous job 😅", tags=["bare-prefix"])


# =========================================================================== profile, roles, severity
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


# =========================================================================== building
def ams_offset(t):
    s = dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc)
    e = dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc)
    return 2 if s <= t < e else 1


def random_time(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(2, 355))
    g = base + dt.timedelta(minutes=r.randint(6 * 60 + 30, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = ams_offset(g)
    t = g - dt.timedelta(hours=off)
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
    snow = str(r.randint(1_900_000_000_000_000_000, 2_050_000_000_000_000_000))
    if platform in ("x", "twitter"):
        return f"x-{snow}", f"https://x.com/{h}/status/{snow}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        return f"ig-{snow}", f"https://www.instagram.com/p/{''.join(r.choice(B64URL) for _ in range(11))}/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}_{b}", f"https://www.facebook.com/{a}/posts/{b}"
    if platform == "reddit":
        p = "".join(r.choice(B36) for _ in range(7))
        if kind == "comment":
            c = "".join(r.choice(B36) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/tandarts/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/tandarts/comments/{p}/"
    if platform == "threads":
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/{''.join(r.choice(B64URL) for _ in range(11))}"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        v = "".join(r.choice(B64URL) for _ in range(11))
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(112_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3l" + "".join(r.choice(B32.lower()) for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-tandenforum-{n}", f"https://www.tandenforum.example/topic/{n}"
    if platform == "blog":
        n = r.randint(10, 999)
        return f"blog-{h}-{n}", f"https://{h}/{n}"
    n = r.randint(10 ** 7, 10 ** 9)
    return f"{platform}-{n}", None


def build(profile):
    gen = Gen(SEED, profile["public_identifiers"]["ibans"][0])
    mr = random.Random(SEED + 1)
    orr = random.Random(SEED + 2)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(gen, c["text"])
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
        if kind is not None:
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
        elif x < 0.09:
            pass
        elif x < 0.12:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            c["tags"].add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if url and mr.random() < 0.6:
            post["url"] = url
        if mr.random() < 0.45:
            post["brand"] = "parelwit"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=set(c["tags"]), used=used))
    orr.shuffle(rows)
    return rows


def dump_lines(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# =========================================================================== checker
INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
NUM_RE = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-().]{7,16}\d")
CARD_IIN = re.compile(r"^(4|5[1-5]|2(22[1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)|3[47])")
SECRET_RES = [re.compile(p) for p in (
    r"\bghp_[A-Za-z0-9]{36}\b", r"\bAKIA[A-Z2-7]{16}\b", r"hooks\.slack\.com/services/T\w+/B\w+/\w+",
    r"\b[sr]k_live_[A-Za-z0-9]{20,}", r"\bAIza[0-9A-Za-z_-]{35}", r"-----BEGIN [A-Z ]*PRIVATE KEY-----",
    r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+", r"\bSG\.[\w-]{22}\.[\w-]{43}", r"://[^\s:/@]+:[^\s@/]+@")]
PROFANITY = ["kut", "kanker", "tering", "tyfus", "klote", "klootzak", "debiel", "sukkel", "fuck", "f*ck",
             "shit", "sh1t", "idiot", "moron", "clown", "prick", "loser", "damn", "hell"]
MILD_OK = {"damn", "hell", "kanker"}


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVISIBLE)
    t = "".join(" " if unicodedata.category(ch) == "So" else ch for ch in t)
    return re.sub(r"\s+", " ", t).casefold()


def squash(t):
    return re.sub(r"\b(\w) (?=\w\b)", r"\1", norm(t))


def valid_ids(text, own):
    hits = []
    for m in IBAN_RE.finditer(text):
        comp = m.group(0).replace(" ", "")
        for end in range(len(comp), 11, -1):
            if iban_ok(comp[:end]):
                if comp[:end] not in own:
                    hits.append(("iban", comp[:end]))
                break
    for m in NUM_RE.finditer(text):
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19 and luhn_ok(d) and CARD_IIN.match(d):
            hits.append(("card", d))
    for d in re.findall(r"(?<![\w.,-])\d{9}(?![\w]|[.,-]\d)", text) + \
            [x.replace(".", "") for x in re.findall(r"(?<![\w.])\d{4}\.\d{2}\.\d{3}(?![\w])", text)]:
        if bsn_ok(d):
            hits.append(("bsn", d))
    return hits


def phone_digits(raw):
    d = re.sub(r"\D", "", raw)
    if raw.startswith("0031"):
        d = d[4:]
    elif raw.startswith("+31"):
        d = d[2:]
    else:
        return d
    return "0" + d.lstrip("0")


def check(lines, rows, profile):
    errors = []
    own_e = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_i = {i.replace(" ", "") for i in profile["public_identifiers"]["ibans"]}
    own_p = {phone_digits(p) for p in profile["public_identifiers"]["phones"]}
    emb = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = [x.casefold() for x in profile["internal"]["codenames"] + profile["internal"]["domains"]
                + profile["internal"]["markers"]]
    seen = set()
    for n, line in enumerate(lines, 1):
        obj = json.loads(line)
        p, ex = obj["post"], obj["expect"]
        r = rows[n - 1]
        w = f"line {n} ({p['id']})"
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                errors.append(f"{w}: {f}")
        key = (p["platform"], p["id"])
        if key in seen:
            errors.append(f"{w}: duplicate id")
        seen.add(key)
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errors.append(f"{w}: not 2026")
        cats, sev = ex["categories"], ex["severity"]
        if cats != sorted(set(cats)) or any(c not in CATS for c in cats):
            errors.append(f"{w}: bad categories {cats}")
        role = role_of(profile, p["platform"], p["account"]["handle"])
        ids = valid_ids(p["text"], own_i)
        want = severity_for(role, cats, PII in cats and bool(ids))
        if want != sev:
            errors.append(f"{w}: severity {sev} vs policy {want}")
        for k, raw, shown in r["used"]:
            if shown not in p["text"]:
                errors.append(f"{w}: {k} not in text")
            if k.startswith("IBAN_") and not iban_ok(raw):
                errors.append(f"{w}: bad IBAN {raw}")
            if k.startswith("BAD_IBAN") and iban_ok(raw):
                errors.append(f"{w}: negative IBAN passes")
            if k == "CARD" and not (luhn_ok(raw) and CARD_IIN.match(raw)):
                errors.append(f"{w}: card fails")
            if k == "BAD_CARD" and luhn_ok(raw):
                errors.append(f"{w}: negative card passes")
            if k == "BSN" and not bsn_ok(raw):
                errors.append(f"{w}: BSN fails")
            if k.startswith("NOT_BSN") and bsn_ok(raw):
                errors.append(f"{w}: negative BSN passes")
            if k == "GHP" and b62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errors.append(f"{w}: ghp crc")
        if any(k in VALID_ID_KINDS for k, _, _ in r["used"]) and not ids:
            errors.append(f"{w}: valid identifier not found by scan")
        if ids and PII not in cats:
            errors.append(f"{w}: valid identifier {ids} without leak.pii")
        t = p["text"]
        nt, sq = norm(t), squash(t)
        for term, until in emb:
            if term in nt or term in sq:
                if ts < until and CONF not in cats:
                    errors.append(f"{w}: embargo term {term} before end without leak.confidential")
                if ts >= until and CONF in cats:
                    errors.append(f"{w}: embargo term {term} after end labelled confidential")
        for term in internal:
            if re.search(r"(?<![\w.])" + re.escape(term) + r"(?![\w])", nt) or term in sq:
                if CONF not in cats:
                    errors.append(f"{w}: internal term {term} without leak.confidential")
        if not cats:
            if ids:
                errors.append(f"{w}: benign with valid id")
            for e in EMAIL_RE.findall(t):
                if e.casefold() not in own_e:
                    errors.append(f"{w}: benign with e-mail {e}")
            for m in PHONE_RE.finditer(IBAN_RE.sub(" ", t)):
                d = phone_digits(m.group(0))
                if len(d) >= 9 and d not in own_p:
                    errors.append(f"{w}: benign with phone {m.group(0)}")
            for rx in SECRET_RES:
                if rx.search(t):
                    errors.append(f"{w}: benign with secret shape {rx.pattern}")
            for word in PROFANITY:
                if re.search(r"\b" + re.escape(word), nt) and not (word in MILD_OK and "mild-word" in r["tags"]):
                    errors.append(f"{w}: benign with word {word}")
    sh = []
    for r in rows:
        ws = re.findall(r"\w+", norm(r["post"]["text"]))
        sh.append({tuple(ws[i:i + 3]) for i in range(max(0, len(ws) - 2))})
    for i in range(len(sh)):
        for j in range(i + 1, len(sh)):
            if sh[i] and sh[j]:
                jac = len(sh[i] & sh[j]) / len(sh[i] | sh[j])
                if jac > 0.3:
                    errors.append(f"lines {i + 1},{j + 1}: trigram overlap {jac:.2f}")
    return errors


def report(rows):
    cat, catlang, catrole = Counter(), Counter(), Counter()
    lang, role, sev, plat, kinds, tags = Counter(), Counter(), Counter(), Counter(), Counter(), Counter()
    multi = 0
    for r in rows:
        cs = r["expect"]["categories"]
        lang[r["lang"]] += 1
        role[r["role"]] += 1
        sev[r["expect"]["severity"]] += 1
        plat[r["post"]["platform"]] += 1
        kinds[r["post"].get("kind", "(default)")] += 1
        for t in r["tags"]:
            tags[t] += 1
        multi += len(cs) > 1
        for c in cs or ["(benign)"]:
            cat[c] += 1
            catlang[(c, r["lang"])] += 1
            catrole[(c, r["role"])] += 1
    print(f"cases {len(rows)}  benign {cat['(benign)']}  multi {multi}")
    for c in CATS + ["(benign)"]:
        print(f"  {c:22s} {cat[c]:4d}  nl {catlang[(c, 'nl')]:3d} en {catlang[(c, 'en')]:3d}  "
              f"corp {catrole[(c, 'corporate')]:3d} emp {catrole[(c, 'employee')]:3d} pub {catrole[(c, 'public')]:3d}")
    print("lang", dict(lang), "role", dict(role))
    print("severity", {s: sev[s] for s in SEVERITIES})
    print("platform", dict(plat.most_common()))
    print("kind", dict(kinds.most_common()))
    print("tags", dict(sorted(tags.items())))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    lines = dump_lines(rows)
    if not a.check:
        OUT.write_text("".join(lines), encoding="utf-8")
        print(f"wrote {len(lines)} cases to {OUT}")
        return 0
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
