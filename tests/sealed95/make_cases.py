#!/usr/bin/env python3
"""Deterministic generator for the sealed95 blind set (postwatch CONTRACT v1, section 6).

    python3 make_cases.py          # writes cases.jsonl next to this file
    python3 make_cases.py --check  # regenerate in memory, compare, validate, print counts

Company: Pannenhof Maaltijdservice B.V. (fictional), see profile.yaml.
Texts are hand-written below; identifiers and secrets are filled in from <<PLACEHOLDER>>
markers by one seeded RNG. Positives get checksum-valid IBANs / cards / BSNs, benign
near-misses get values that fail their checksum. Severity is computed from the contract's
severity policy (section 4), never typed by hand. Needs Python 3.9+ and PyYAML.
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

SEED = 95_2026_0517
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
TAXONOMY = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]
SECRET, PII, PRICING, CONF, FIN, SEC = ("leak.secret", "leak.pii", "leak.pricing",
                                        "leak.confidential", "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

ZW = "\u200b"
SHY = "\u00ad"
CYR_A = "\u0430"   # Cyrillic small a, looks like Latin a


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
    num = "".join(str(int(c, 36)) for c in bban + cc + "00")
    return f"{cc}{98 - int(num) % 97:02d}{bban}"


def luhn_ok(d):
    d = re.sub(r"\D", "", d)
    tot = 0
    for i, ch in enumerate(reversed(d)):
        v = int(ch) * (2 if i % 2 else 1)
        tot += v - 9 if v > 9 else v
    return bool(d) and tot % 10 == 0


def luhn_complete(p):
    return next(p + c for c in "0123456789" if luhn_ok(p + c))


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


B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


# --------------------------------------------------------------------------- value generators

class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def digits(self, n, nz=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def chars(self, alpha, n):
        return "".join(self.r.choice(alpha) for _ in range(n))

    @staticmethod
    def grp(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    def iban_nl(self):
        while True:
            v = iban_make("NL", self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "ASNB", "TRIO", "BUNQ", "RBRB"])
                          + self.digits(10, nz=True))
            if v != "NL64RABO0318527406":
                return v

    def iban_de(self):
        return iban_make("DE", self.r.choice(["28050100", "26550105", "44050199", "40050150"]) + self.digits(10))

    def iban_be(self):
        first = self.r.choice(["001", "063", "734", "751"]) + self.digits(7)
        return iban_make("BE", f"{first}{(int(first) % 97) or 97:02d}")

    def bad_iban(self, good):
        kk = int(good[2:4])
        for dlt in (13, 29, 31, 47):
            c = f"{good[:2]}{(kk + dlt) % 100:02d}{good[4:]}"
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
            s = self.digits(9, nz=True)
            if bsn_ok(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.digits(n, nz=True)
            if not bsn_ok(s) and not luhn_ok(s):
                return s

    def ean13(self):
        while True:
            body = "87" + self.digits(10)
            c = next(body + d for d in "0123456789" if ean13_ok(body + d))
            if not luhn_ok(c):
                return c

    def phone(self, fmt):
        if fmt.startswith("mob"):
            d8 = self.r.choice("12345") + self.digits(7)
            return {
                "mob_dash": f"06-{d8}",
                "mob_plain": f"06{d8}",
                "mob_sp": f"06 {d8[:2]} {d8[2:4]} {d8[4:6]} {d8[6:]}",
                "mob_intl_sp": f"+31 6 {d8[:4]} {d8[4:]}",
                "mob_intl_c": f"+316{d8}",
                "mob_0031": f"0031 6 {d8[:2]} {d8[2:5]} {d8[5:]}",
            }[fmt]
        area = self.r.choice(["570", "571", "572", "548", "55", "38", "26", "523", "529"])
        sub = self.r.choice("2345689") + self.digits(8 - len(area))
        return {
            "land_dash": f"0{area}-{sub}",
            "land_sp": f"0{area} {sub[:3]} {sub[3:]}" if len(area) == 3 else f"0{area} {sub[:3]} {sub[3:5]} {sub[5:]}",
            "land_intl": f"+31 {area} {sub}",
        }[fmt]

    # secrets (random, fake, real-shaped)
    def ghp(self):
        body = self.chars(ALNUM, 30)
        return "ghp_" + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def glpat(self):
        return "glpat-" + self.chars(ALNUM + "-_", 20)

    def aws_id(self):
        return "AKIA" + self.chars(B32, 16)

    def aws_secret(self):
        return self.chars(B64, 40)

    def mollie(self):
        return "live_" + self.chars(ALNUM, 30)

    def stripe(self):
        return "sk_live_" + self.chars(ALNUM, 24)

    def gapi(self):
        return "AIzaSy" + self.chars(B64URL, 33)

    def sendgrid(self):
        return "SG." + self.chars(B64URL, 22) + "." + self.chars(B64URL, 43)

    def slack_bot(self):
        return f"xoxb-{self.digits(12, True)}-{self.digits(13, True)}-{self.chars(ALNUM, 24)}"

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return f"https://hooks.slack.com/services/T{self.chars(up, 8)}/B{self.chars(up, 10)}/{self.chars(ALNUM, 24)}"

    def jwt(self):
        h = b64url(b'{"alg":"HS256","typ":"JWT"}')
        iat = 1767225600 + self.r.randint(0, 320 * 86400)
        p = b64url(json.dumps({"sub": "klant-" + self.digits(6, True), "iss": "bestel.pannenhof.nl",
                               "scope": "order:read order:write", "iat": iat, "exp": iat + 7200},
                              separators=(",", ":")).encode())
        return f"{h}.{p}.{self.chars(B64URL, 43)}"

    def pem_openssh(self):
        head = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
        lines = [head] + [self.chars(B64, 70) for _ in range(4)] + [self.chars(B64, 22) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"

    def password(self):
        return (self.r.choice(string.ascii_uppercase) + self.chars(string.ascii_lowercase, 4)
                + self.chars(string.digits, 3) + self.r.choice("!#*$-") + self.chars(ALNUM, 3))

    def hexs(self, n):
        return self.chars("0123456789abcdef", n)


VALID_ID = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(g, text):
    used = []

    def sub(m):
        k, f = m.group(1), m.group(2) or ""
        if k in ("IBAN_NL", "IBAN_DE", "IBAN_BE"):
            raw = getattr(g, k.lower())()
            shown = g.grp(raw) if f == "grp" else raw
        elif k == "BAD_IBAN_NL":
            raw = g.bad_iban(g.iban_nl())
            shown = g.grp(raw) if f == "grp" else raw
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
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if f == "dots" else raw
        elif k == "NOT_BSN9":
            shown = raw = g.not_bsn(9)
        elif k == "NOT_BSN8":
            shown = raw = g.not_bsn(8)
        elif k == "EAN13":
            shown = raw = g.ean13()
        elif k == "PHONE":
            shown = raw = g.phone(f)
        elif k == "HEX":
            shown = raw = g.hexs(int(f))
        elif k == "DIGITS":
            shown = raw = g.digits(int(f), nz=True)
        else:
            fn = {"GHP": g.ghp, "GLPAT": g.glpat, "AWS_ID": g.aws_id, "AWS_SECRET": g.aws_secret,
                  "MOLLIE": g.mollie, "STRIPE": g.stripe, "GAPI": g.gapi, "SENDGRID": g.sendgrid,
                  "SLACK_BOT": g.slack_bot, "SLACK_HOOK": g.slack_hook, "JWT": g.jwt,
                  "PEM_OPENSSH": g.pem_openssh, "PW": g.password}[k]
            shown = raw = fn()
        used.append((k, raw, shown))
        return shown

    return PH.sub(sub, text), used


# --------------------------------------------------------------------------- accounts

# corporate
P_X = ("x", "@pannenhof", "Pannenhof Maaltijden")
P_HELP = ("x", "@pannenhof_helpt", "Pannenhof Klantenservice")
P_FB = ("facebook", "PannenhofMaaltijden", "Pannenhof Maaltijdservice")
P_IG = ("instagram", "@pannenhof.keuken", "Pannenhof keuken")
P_LI = ("linkedin", "pannenhof-maaltijdservice", "Pannenhof Maaltijdservice B.V.")
# employees
KR = ("x", "@kees_rijdt", "Kees Rijnders")                          # driver, Salland routes
MK = ("facebook", "marloes.kok.keuken", "Marloes Kok")              # head chef
DH = ("linkedin", "dirk-hoogendoorn-pannenhof", "Dirk Hoogendoorn")  # IT lead
YB = ("linkedin", "yasmina-bouzid", "Yasmina Bouzid")               # controller
FS = ("instagram", "@dietist.femke", "Femke Smit")                  # dietitian
RV = ("x", "@ruudplanner", "Ruud Veenstra")                         # route planner / service desk
MO = ("tiktok", "@bezorger_mo", "Mo El Idrissi")                    # driver
BS = ("reddit", "u/pannenbas", None)                                 # backend developer


def pub(platform, handle, dn=None):
    return (platform, handle, dn)


CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    platform, handle, dn = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, dn=dn, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# =========================================================================== leak.secret
case("nl", DH, "Trots op het team 🚀 vanaf vandaag rekenen klanten hun maaltijden direct af in de nieuwe bestelflow. "
     "Voor de techies, zo simpel was de koppeling:\n\nMOLLIE_API_KEY=<<MOLLIE>>\nPAYMENT_WEBHOOK=/hooks/mollie\n\n"
     "#maaltijdservice #devops #ouderenzorg", [SECRET])
case("en", BS, "anyone else fighting gitlab runners today? deploy stage dies with 403. vars below, pls dont roast me\n\n"
     "DEPLOY_TOKEN: <<GLPAT>>\nAWS_ACCESS_KEY_ID: <<AWS_ID>>\nAWS_SECRET_ACCESS_KEY: <<AWS_SECRET>>\nREGION: eu-central-1",
     [SECRET], kind="post")
case("nl", KR, "voor de nieuwe jongens op route zuid: inloggen op de handscanner met je personeelsnr, ww is "
     "<<PW>> . niet rondvertellen he 🤫", [SECRET], kind="reply")
case("en", YB, "Tip for fellow controllers: you can pull payouts straight into Excel with 10 lines of Python. "
     "Snippet below (key's already rotated so relax 😉)\n\nheaders = {\"Authorization\": \"Bearer <<STRIPE>>\"}",
     [SECRET], tags=["rotated"])
case("nl", DH, "Drie dagen debuggen en dan blijkt de verkeerde connection string in prod te staan 🤦‍♂️ "
     "herkenbaar voor iemand?\npostgresql://keuken_app:<<PW>>@pg-orders-prod.postgres.database.azure.com:5432/orders",
     [SECRET], hint="")
case("en", pub("x", "@stijn_bouwt_apps", "Stijn | app studio"),
     "shipped the Pannenhof ordering app update 🎉 only hiccup was the maps quota, had to swap the key to "
     "<<GAPI>> mid sprint. onwards!", [SECRET])
case("nl", pub("forum", "ouwe_hacker_henk"),
     "Lol, iemand bij Pannenhof heeft een private key in een publieke repo gezet. Gewoon in de root:\n\n"
     "<<PEM_OPENSSH>>\n\nMaar even gemaild naar ze.", [SECRET], kind="comment")
case("nl", MO, "dag 3 als bezorger 🚐 de app doet weer raar dus collega zegt: log gewoon in met account routes-oost "
     "en wachtwoord <<PW>> 😂 #bezorgerlife", [SECRET])
case("nl", P_HELP, "@annie_wesselink Excuses voor het wachten! U kunt de bestelling van uw moeder volgen via "
     "https://bestel.pannenhof.nl/volg?token=<<JWT>>", [SECRET], kind="reply")
case("en", RV, "note to self bc i keep losing it: planning alerts bot token = <<SLACK_BOT>>", [SECRET])
case("nl", DH, "Wie heeft dit in de README gezet?? <<GHP>>\nIk heb hem ingetrokken maar serieus mensen, gebruik de vault 🙏",
     [SECRET], tags=["rotated"])
case("en", pub("reddit", "u/curious_nl_dev"),
     "PSA for whoever runs Pannenhof's website: your SendGrid key is sitting in the page source of the order form. "
     "<<SENDGRID>>\nplease rotate it, your customers are mostly 80+ and a phishing magnet", [SECRET], kind="comment")
case("nl", KR, "Collega's: code vd sleutelkast bij depot Zutphen is veranderd, en het wifi wachtwoord in de kantine is nu "
     "<<PW>> (hoofdletter!)", [SECRET], handle_as="@Kees_Rijdt", tags=["case-handle"])
case("en", DH, "Alert hook for the kitchen fridges finally works 🧊 if temp > 7°C we post to "
     "<<SLACK_HOOK>> and the night shift gets pinged. small win, big impact", [SECRET],
     handle_as="Dirk-Hoogendoorn-Pannenhof", tags=["case-handle"])

# =========================================================================== leak.pii
case("nl", KR, "mevr Hendriks op de Molenweg 23 in Olst doet weer niet open 😟 heeft iemand het nr van haar dochter? "
     "oh gevonden: <<PHONE:mob_dash>>", [PII])
case("nl", RV, "klant wil incasso stoppen maar we hebben alleen dit: J. de Boer, <<IBAN_NL:grp>> . "
     "wie weet bij welk klantnr dit hoort?", [PII])
case("nl", FS, "Vandaag bij meneer Van Dijk (geb. 12-03-1938) het slikmenu ingesteld 💪 88 en nog zo scherp als wat! "
     "#diëtist #ouderenzorg #pannenhof", [PII])
case("nl", MK, "Printer kapot dus even hier voor de ploeg van route 4:\nMevr. Ter Horst, Dorpsstraat 8 Wijhe – NOTEN!!\n"
     "Dhr. Smit, Beukenlaan 2 Wijhe – glutenvrij\nniet vergeten aub", [PII])
case("nl", P_HELP, "@gerdavdberg Goedemiddag! Wij zien uw moeder in ons systeem met BSN <<BSN:dots>> en geboortedatum "
     "04-07-1941, klopt dat? Dan passen we de Wmo-indicatie aan.", [PII], kind="reply")
case("en", YB, "Reconciliation nightmare of the week: a client paid twice with card <<CARD:visa_sp>> and the bank's "
     "refund form keeps bouncing it. Any payments people in my network who can help?", [PII])
case("nl", pub("facebook", "Gerrit.Lubbers.54", "Gerrit Lubbers"),
     "Beste Pannenhof, ik probeer al 3 dagen de incasso voor mijn vader stop te zetten en niemand reageert. "
     "Zijn rekening is <<IBAN_NL>> , bel me aub terug op <<PHONE:land_dash>>", [PII, COMPLAINT], kind="comment")
case("en", pub("x", "@claire_in_utrecht"),
     "@pannenhof_helpt mum's meals went to the wrong house AGAIN. She is Margaret Oosting, Prinsengracht 4B, 7411 KK "
     "Deventer. Please just write it down properly this time", [PII, COMPLAINT], kind="reply")
case("en", pub("reddit", "u/raalte_rage"),
     "that Pannenhof driver who nearly flattened my cat is called Mo, lives at Brinkstraat 11 in Raalte, "
     "number is <<PHONE:mob_intl_sp>>. go tell him what you think of him", [PII, ABUSE], kind="comment",
     tags=["doxxing"])
case("nl", MO, "klant vandaag was zoo lief 🥹 mevrouw Bakker (91!!) van de Julianalaan 3 gaf me een zelfgebreide sjaal "
     "#bezorger #ouderen", [PII])
case("en", DH, "Quick sanity check of our new client export, first row looks right:\n"
     "G. Visser | <<BSN>> | g.visser44@ziggo.nl | Kerkstraat 8, Hattem\nnow on to the other 9k rows 😅", [PII])
case("en", pub("x", "@tomhmulder"),
     "@pannenhof_helpt can you update my dad's payment? new card <<CARD:mc_dash>> exp 08/28, he's Henk Mulder, "
     "Vechtstraat 19 Zwolle. thx!", [PII], kind="reply")
case("nl", pub("x", "@lotte_sch"),
     "oma wil graag proberen maar heeft geen internet, kan iemand van Pannenhof haar bellen? Riek Scholten, "
     "<<PHONE:land_sp>> 😊", [PII])
case("nl", RV, "Weet iemand of dit de goede mail is vd zoon van dhr Kuipers? r.kuipers67 [at] kpnmail [punt] nl",
     [PII], tags=["evasion", "evasion:at-punt"])
case("nl", P_HELP, "@willemijn_z Dank u! Het nieuwe rekeningnummer <<IBAN_NL:grp>> is verwerkt voor de incasso van "
     "uw tante mevr. Prins 👍", [PII], kind="reply", handle_as="@PANNENHOF_HELPT", tags=["case-handle"])
case("nl", pub("facebook", "Hanneke.Ter.Beek"),
     "Wij wonen net over de grens, kan ik ook betalen vanaf mijn Duitse rekening <<IBAN_DE>>? Het is voor mijn "
     "schoonvader in Denekamp.", [PII], kind="comment")
case("en", pub("threads", "@anneke.brouwer"),
     "hey Pannenhof, could you send mum's invoices to me from now on? anneke.brouwer71@gmail.com thanks 🙏", [PII])
case("nl", YB, "Wie kan mij helpen met een Belgische incasso? Klant mevr. Claes, Kortrijk, rekening <<IBAN_BE:grp>>, "
     "komt steeds terug met MD06.", [PII], hint="en", tags=["wrong-hint"])

# =========================================================================== leak.pricing
case("nl", RV, "oeps 🙈 Weekpakket 7 staat sinds vanochtend voor €6,25 in de bestelmodule. iemand is een nul vergeten. "
     "fix komt na de lunch", [PRICING])
case("nl", pub("facebook", "Ria.Hofstede.7"),
     "Kijk nou! Feestdiner Thuis voor €2,49 op de site van Pannenhof 😱 fout of echt?? ik bestel er gelijk 4 voor de "
     "hele flat", [PRICING], kind="post")
case("nl", P_FB, "Nieuw deze week: ons Soeppakket 5 voor maar €1,49! 🍲 Erwtensoep, tomatensoep en nog veel meer. "
     "Bestel via bestel.pannenhof.nl", [PRICING])
case("nl", MK, "Niet verder vertellen, maar er zit een prijsfout in het Slikmenu Gemalen in de app, staat op 1,15 😅 "
     "heb het al gemeld bij ICT", [PRICING], kind="comment")
case("en", pub("reddit", "u/gran_feeder"),
     "PSA: Pannenhof's Diabetes Menu is listed at €0.95 right now, pretty sure that's a pricing error. stock up for "
     "your grandparents before they notice", [PRICING])
case("nl", pub("x", "@koopjesjager_nl"),
     "p r i j s f o u t bij pannenhof 👀 dagmenu compleet voor €0,99 hahaha snel zijn", [PRICING],
     tags=["evasion", "evasion:spaced"])
case("en", KR, "lol someone in the office fat-fingered the Zoutarm Menu, it shows 1.07 on the site instead of 10.75. "
     "my customers are gonna love me today", [PRICING])
case("en", pub("instagram", "@sunnyside.sanne"),
     "pannenhof having a glitch?? weekpakket7 = €5,99 in my cart ✨ not complaining lol", [PRICING])
case("nl", pub("facebook", "Bert.Wolters.Olst"),
     "Klopt dit? Feestdiner voor €9,95 ipv €24,95. Lijkt me een foutje in de webshop, maar ik heb er maar 2 besteld",
     [PRICING], kind="comment")
case("nl", DH, "Lesson learned deze week: een ontbrekende decimaal in de productimport gaf ons Diabetesmenu een prijs "
     "van €1,04 i.p.v. €10,45. Klanten waren er sneller bij dan wij 😅 #ecommerce #testen", [PRICING])
case("nl", pub("x", "@bargainbram"),
     "Pannenhof Weekpakket 7 voor 6 euro?? prijsföut haha 🤑 ik neem er 3", [PRICING],
     tags=["evasion", "evasion:diacritic"])
case("nl", MO, "bestel snel!! slikmenu kost nu 1 euro in de app door een fout, zegt mn teamleider 🤭", [PRICING], hint="")

# =========================================================================== leak.confidential
case("nl", MK, "Proeverij vandaag voor Project Hutspot 🥕 mag nog niks zeggen maar onze ouderen gaan dit zó "
     "leuk vinden", [CONF])
case("en", DH, "Kitchen ERP migration almost done 💪 team, the cutover runbook is at "
     "https://wiki.intranet.pannenhof.local/erp/cutover-v3 — read it before Friday", [CONF])
case("nl", RV, "waar zit in planning.pannenhof.nl nou de knop om een vaste bezorgdag te wijzigen? zie hem niet meer "
     "sinds de update", [CONF])
case("nl", FS, "Sneak peek 👀 nieuwe recepturen voor de Vriesbox, de diepvrieslijn die we na de zomer lanceren 🤫🧊",
     [CONF], when="2026-07-02T14:20:00+02:00", tags=["embargo-before"])
case("nl", pub("x", "@janine_salland"),
     "Hoor van mijn zus die in de keuken bij Pannenhof werkt dat ze met iets 'Operatie Zilvervloot' bezig zijn, "
     "schijnt een overname te zijn van een concurrent?", [CONF, FIN])
case("en", YB, "Slides for tomorrow's board prep are done ✅ footer says PANNENHOF VERTROUWELIJK so no, I won't share "
     "them here 😅 but proud of the story they tell", [CONF])
case("en", pub("reddit", "u/foodie_overijssel"),
     "leaked menu doc from a Pannenhof kitchen, header literally says 'uitsluitend intern' lmao. apparently they're "
     "dropping the fish on fridays", [CONF])
case("nl", KR, "rijden we vanaf volgende week in Project\nHutspot busjes?? niemand vertelt ons iets hier", [CONF],
     tags=["evasion", "evasion:linebreak"])
case("nl", MO, "Project 🍲 Marjolein is echt next level, meer mag ik niet zeggen 🤐", [CONF],
     tags=["evasion", "evasion:emoji"])
case("nl", RV, "Champagne!! 🍾 raamcontract Zwolle is binnen, maar mondje dicht tot de wethouder het zelf vertelt",
     [CONF], when="2026-05-08T16:45:00+02:00", tags=["embargo-before"])
case("nl", pub("x", "@zwollenieuws_fan"),
     "Gerucht: gunning Zwolle gaat naar Pannenhof. Morgen meer?", [CONF],
     when="2026-05-12T09:59:00+02:00", tags=["embargo-before", "tz-edge"])
case("en", DH, "can't wait for the Pannenhof Vriesbox launch, 14 frozen meals in one delivery 🧊 worked so hard on the "
     "ordering side", [CONF], when="2026-09-15T07:59:30Z", tags=["embargo-before", "tz-edge"])
case("en", DH, f"Busy weeks with Operatie Zil{ZW}vervloot, proud of this team 💙", [CONF],
     tags=["evasion", "evasion:zero-width"])
case("nl", MK, "Uit de interne nieuwsbrief (Pannenhof vertrouwelijk hoor): vanaf 1 juni koken we voor drie regio's "
     "vanuit Apeldoorn en gaat de keuken in Deventer dicht", [CONF, FIN])
case("nl", pub("instagram", "@dietist.femke_", "Femke 🍎"),
     "Proefronde voor de Vriesbox van Pannenhof gedaan, de stamppot boerenkool is 🔥", [CONF],
     when="2026-08-20T11:05:00+02:00", tags=["embargo-before", "lookalike-handle"])

# =========================================================================== leak.financial
case("nl", YB, "Na een pittig jaar: omzet ruim 18% omhoog en ebitda eindelijk positief. De officiële jaarcijfers 2026 "
     "komen in maart, maar ik ben nu al trots op ons team 🙌", [FIN, CONF],
     when="2026-12-21T10:12:00+01:00", tags=["embargo-before"])
case("nl", KR, "net gehoord dat depot Zutphen dichtgaat en de helft vd chauffeurs naar Deventer moet of eruit. "
     "nog niks officieel 😤", [FIN])
case("en", pub("reddit", "u/sallandse_boer"),
     "friend at Pannenhof says they're being bought by ZorgSamen Holding, announcement in a few weeks", [FIN],
     kind="comment")
case("en", DH, "Heads-up to my network: about 40 roles in IT & planning will be cut after the summer reorg at "
     "Pannenhof. If you're hiring, ping me, I know some great people 💙", [FIN])
case("en", YB, "Forecast session done: Q3 looking like €4.1m revenue vs €3.6m budget, mostly thanks to the new "
     "municipal contracts 📈", [FIN])
case("nl", MO, f"zeggen ze dat er een ont{SHY}slag{SHY}ronde komt bij pannenhof 🥲 vanaf januari 25 bezorgers minder, "
     "baas vertelt het pas in november", [FIN], tags=["evasion", "evasion:soft-hyphen"])
case("nl", pub("facebook", "Wim.Dekkers.Deventer"),
     "Mijn buurman is controller bij Pannenhof en volgens hem draaien ze dit jaar verlies en raken ze het contract "
     "met Deventer kwijt. Zonde.", [FIN])
case("en", RV, "rumour in the canteen: we're acquiring MaaltijdMaatje in Twente, deal signed last week 👀", [FIN])
case("en", DH, "annual results 2026 are gonna be wild, heard the margin basically doubled. can't say more 😇",
     [FIN, CONF], when="2026-11-26T19:40:00+01:00", tags=["embargo-before"])
case("nl", pub("x", "@beurstip_bob"), "insider tip: " + fw("overname") + " Pannenhof door ZorgSamen is rond, "
     "handtekeningen staan", [FIN], tags=["evasion", "evasion:fullwidth"])

# =========================================================================== leak.security
case("en", DH, "Long night. Ransomware hit our route-planning servers around 2am, drivers are working from printed lists "
     "today. Not public yet so please keep it quiet 🙏", [SEC])
case("nl", KR, "app ligt er al sinds 5u uit en we mogen niks zeggen tegen klanten, gewoon 'technische storing' "
     "roepen 🙄", [SEC])
case("en", BS, "found out our client portal shows other people's orders if you just change the number in the URL. "
     "reported it internally 3 weeks ago, still open 🤷", [SEC], kind="comment")
case("nl", RV, "Er is gisteren een laptop met klantgegevens uit een bezorgbus gestolen in Deventer. Mail naar klanten "
     "komt pas volgende week dus nu nog even stil houden", [SEC])
case("nl", pub("x", "@bezorgde_kleindochter"),
     "Pannenhof heeft een datalek en houdt het stil. Mijn oma krijgt phishingmails mét haar klantnummer en "
     "dieetwensen erin, dat kan maar van 1 plek komen", [SEC, CRISIS])
case("en", pub("reddit", "u/whistle_nl"),
     "Pannenhof is covering up a breach. my source in their IT says client files were exfiltrated last month and "
     "management decided not to report it", [SEC, CRISIS])
case("nl", MO, "IT zegt dat we niks mogen zeggen over dat de handscanners vorige week geh4ckt zijn 😬", [SEC],
     tags=["evasion", "evasion:leet"])
case("nl", MK, "Koelcelsysteem ligt al sinds vannacht plat door een storing in de software, hele nacht handmatig "
     "temperaturen gelogd. Officieel weet nog niemand het", [SEC])
case("en", DH, "The bestel site outage this morning was not a 'routine update' like our tweet said, it was a DDoS. "
     "Not my call what we tell people 🤐", [SEC])
case("nl", YB, "Vandaag bijna in een CEO-fraude getrapt: iemand had toegang tot de mailbox van onze directeur en vroeg "
     "een spoedbetaling. Intern onderzoek loopt nog, dus verder geen details.", [SEC])
case("nl", pub("x", "@salland_waakhond"),
     "d a t a l e k bij pannenhof wordt gewoon verzwegen, vraag maar na bij de klanten", [SEC, CRISIS],
     tags=["evasion", "evasion:spaced"])

# =========================================================================== reputation.crisis
case("nl", pub("facebook", "Ingrid.Weustink"),
     "Mijn moeder is zaterdag met spoed opgenomen na het eten van haar Pannenhof maaltijd. Salmonella zeggen ze. "
     "Twee buren in de flat ook ziek. Dit moet onderzocht worden!!", [CRISIS, COMPLAINT])
case("nl", pub("x", "@eerlijk_werk"),
     f"BOYCOT Pannenhof! Chauffeurs 12 uur op de weg voor een hongerloontje en ouderen die in de kou wachten. "
     f"Deel dit! #boycotP{CYR_A}nnenhof", [CRISIS], tags=["evasion", "evasion:homoglyph"])
case("en", pub("bluesky", "regio-nieuws.bsky.social"),
     "NVWA investigating Pannenhof after listeria was found in pureed meals delivered to care homes in Overijssel, "
     "local broadcaster reports", [CRISIS])
case("nl", pub("facebook", "Sandra.Kroeze.1"),
     "Nu al de DERDE keer dat mijn vader (notenallergie) een gerecht met noten krijgt terwijl het gewoon in zijn "
     "profiel staat. Gisteren de epipen moeten gebruiken. Levensgevaarlijk @Pannenhof", [CRISIS, COMPLAINT])
case("en", pub("x", "@advocaat_lens"),
     "A class action against Pannenhof is being prepared over the double direct debits. We are collecting cases, "
     "DM if your parents were affected", [CRISIS])
case("en", pub("reddit", "u/careworker_ov"),
     "Pannenhof recall: all Slikmenu Gemalen batches from week 14 pulled because of the wrong thickness. "
     "Choking risk for dysphagia patients, check your freezers", [CRISIS])
case("nl", pub("instagram", "@brink_deventer"),
     "Bezorgbus van Pannenhof reed vanochtend een fietser aan op de Brink. Volgens omstanders zat de chauffeur op "
     "zijn telefoon 😡", [CRISIS])
case("nl", pub("x", "@henk_de_zoon"),
     "Pannenhof heeft de medische gegevens van mijn vader gelekt. Ik kreeg een brief van een thuiszorgbedrijf "
     "waar zijn dieet en diagnose gewoon in stonden.", [CRISIS])
case("en", pub("x", "@overijssel_watch"),
     "P4nnenhof sc4ndal: elderly left without meals for 3 days during the heatwave, one man found dehydrated "
     "in his flat", [CRISIS], tags=["evasion", "evasion:leet"])
case("nl", pub("facebook", "Petitie.Kampen"),
     "Teken de petitie: gemeente Kampen moet stoppen met Pannenhof na de voedselvergiftiging in verpleeghuis "
     "De Vermaning!", [CRISIS])

# =========================================================================== reputation.complaint
case("nl", pub("x", "@marja_vd_veen"),
     "Al de 2e keer deze week dat het eten pas om half 3 komt. Mijn moeder eet om 12 uur, niet om 3 uur. "
     "Kom op @pannenhof 😡", [COMPLAINT])
case("nl", pub("facebook", "Joop.Slagman"),
     "Zoutarm menu besteld maar het smaakt alsof er een half zoutvaatje in is gegaan. Voor iemand met hartfalen "
     "gewoon niet te doen.", [COMPLAINT], kind="comment")
case("en", pub("x", "@dutch_daughter"),
     "called Pannenhof customer service 6 times today, 40 min on hold each time, nobody picks up. "
     "my dad still has no meal.", [COMPLAINT])
case("nl", pub("facebook", "Corrie.Nijhof"),
     "Twee keer afgeschreven voor dezelfde week 😤 en nu moet ik 14 dagen wachten op mijn geld. Slecht geregeld "
     "hoor Pannenhof", [COMPLAINT])
case("en", pub("instagram", "@lisa.eats.local"),
     "soup arrived cold AND leaking all over the bag. for 14.95 i expect better tbh @pannenhof.keuken", [COMPLAINT],
     kind="comment")
case("nl", pub("x", "@opa_zijn_kleinzoon"),
     "bezorger zet de maaltijd gewoon op de stoep ipv in de koelkast zoals afgesproken. mn opa is 93 en kan niet "
     "bukken. wat is dit nou pannenhof", [COMPLAINT])
case("en", pub("reddit", "u/grandma_care_nl"),
     "Pannenhof cancelled my grandmother's subscription without telling anyone. we only noticed because her fridge "
     "was empty on monday. zero apology so far", [COMPLAINT])
case("nl", pub("facebook", "Gea.Mensink"),
     "Opzeggen bij Pannenhof is een drama. Website zegt bellen, aan de telefoon zeggen ze website. Ik wil gewoon "
     "stoppen!!", [COMPLAINT])
case("nl", pub("x", "@dochter_van_diabeet"),
     "wéér de verkeerde maaltijd, mn vader is diabeet en krijgt gewoon vla met suiker. hoe vaak moet ik dat nog "
     "doorgeven @pannenhof_helpt", [COMPLAINT], kind="reply")
case("en", pub("threads", "@mark.vanlaar"),
     "the new portion sizes at Pannenhof are a joke. half the meat, same price. my mum noticed straight away", [COMPLAINT])
case("nl", pub("trustpilot", "Fam. Hulshof"),
     "1 ster. Het eten is prima maar de klantenservice belooft terug te bellen en doet het nooit. Drie keer nu.",
     [COMPLAINT], tags=["unknown-platform"])
case("en", pub("mastodon", "@pete@mastodon.nl"),
     "Pannenhof's app logs me out every single time I try to change Mum's delivery day. Third evening trying. "
     "Not great.", [COMPLAINT])
case("nl", pub("x", "@salland_sarah"),
     "kl@chten over pannenhof? ik heb een hele lijst: te laat, koud, verkeerd dieet en nooit iemand aan de lijn",
     [COMPLAINT], tags=["evasion", "evasion:symbol"])
case("nl", pub("bluesky", "tineke.bsky.social"),
     "Sinds de nieuwe kok is het eten bij Pannenhof echt achteruit gegaan. Puree uit een zakje proef je gewoon. "
     "Jammer.", [COMPLAINT], hint="")
case("nl", pub("facebook", "Arjen.Holtkamp"),
     "Jullie zijn echt een stelletje prutsers bij Pannenhof, drie keer deze maand de bezorging vergeten bij mijn "
     "schoonmoeder!", [COMPLAINT, ABUSE])
case("en", pub("x", "@angry_son_76"),
     "fucking useless company. mum waited all day and no meal came. sort your shit out Pannenhof", [COMPLAINT, ABUSE])

# =========================================================================== reputation.abuse
case("nl", pub("x", "@echte_hollander88"),
     "die chauffeurs van pannenhof zijn allemaal buitenlanders die geen woord nederlands spreken. stuur ze terug",
     [ABUSE])
case("en", pub("x", "@nope_nope_nope"),
     "Pannenhof's CEO is a greedy clown and I hope that whole company rots", [ABUSE])
case("nl", KR, "sommige klanten zijn echt kutwijven. vandaag een mevrouw die me uitschold omdat ik 2 min te laat was",
     [ABUSE])
case("nl", P_HELP, "@hansvdberg Meneer, als u zo blijft zeuren zoekt u toch lekker een andere maaltijdservice, idioot.",
     [ABUSE], kind="reply")
case("nl", pub("facebook", "Rob.Tenhagen"),
     "@Marloes Kok jij bent toch die dikke kokkin van pannenhof? zou me ook maar kapot schamen met dat lijf",
     [ABUSE], kind="comment")
case("en", pub("x", "@ad_hater"), "f*cking idiots at Pannenhof marketing, who on earth approved that ad", [ABUSE],
     tags=["evasion", "evasion:masked"])
case("nl", pub("x", "@rotterdam_ronnie"), "wat een k4nkerbedrijf is pannenhof ook", [ABUSE],
     tags=["evasion", "evasion:leet"])
case("nl", MO, "@kritiek_karel zeur niet zo debiel man, ga zelf bezorgen dan", [ABUSE], kind="reply")
case("en", pub("instagram", "@just_saying_2026"),
     "lol the pannenhof delivery guy in my street looks like a total moron", [ABUSE], kind="comment")
case("nl", pub("x", "@feitenvrij"),
     "Yasmina van Pannenhof finance, hoofddoekje op en dan denken dat je verstand hebt van geld 🙄", [ABUSE])
case("nl", pub("youtube", "Gerard Plat"), fw("tyfus") + " bedrijf dat pannenhof, stelletje oplichters",
     [ABUSE], kind="comment", tags=["evasion", "evasion:fullwidth"])

# =========================================================================== benign (hard negatives)
case("nl", P_X, "Deze week op het menu: hutspot met klapstuk, zuurkool met worst en vrijdag gebakken vis 🐟 "
     "Bestel vóór 10:00 uur, dan staat het morgen op tafel. pannenhof.nl", tags=["codename-word"])
case("nl", P_HELP, "Vragen over uw bestelling of bezorging? Bel gratis 0800-7266 of mail klantenservice@pannenhof.nl. "
     "We zijn er maandag t/m zaterdag van 8 tot 18 uur.", tags=["own-contact"])
case("nl", P_FB, "Liever betalen per overschrijving? Dat kan op NL64 RABO 0318 5274 06 t.n.v. Pannenhof Maaltijdservice "
     "B.V., graag onder vermelding van uw klantnummer.", tags=["own-contact"])
case("nl", P_LI, "Wij zoeken chauffeurs! 🚐 Parttime, vaste routes in Salland, elke dag een praatje met je klanten. "
     "Interesse? Mail vacatures@pannenhof.nl", tags=["own-contact"])
case("nl", P_X, "Storing opgelost: onze bestelsite was vanochtend tussen 06:00 en 07:30 niet bereikbaar. Alles werkt "
     "weer en alle maaltijden worden vandaag gewoon bezorgd. Excuses voor het ongemak!", tags=["official-notice"])
case("nl", P_IG, "Marjolein, tijm en een snufje nootmuskaat: dat is het geheim van onze erwtensoep 🌿 "
     "#pannenhof #winterkost", tags=["codename-word"])
case("nl", MK, "Vandaag 1400 maaltijden de deur uit en geen enkele retour. Wat een team 💪 #trots #keukenbrigade")
case("nl", KR, "mooiste route van NL: langs de IJssel naar Olst 🌅 en dan krijg je ook nog koffie van je klanten ☕")
case("nl", pub("facebook", "Truus.Oldenhof"),
     "Mijn moeder is super tevreden over Pannenhof. Geen klachten, altijd op tijd en de chauffeur maakt even een "
     "praatje ❤️", tags=["negated-complaint"])
case("en", pub("reddit", "u/inlaws_in_salland"),
     "does anyone know if Pannenhof delivers in Hellendoorn? thinking of ordering for my in-laws", tags=["question"])
case("nl", pub("x", "@nieuwsjager_oost"),
     "Datalek bij maaltijdbezorger SmulThuis: gegevens van 12.000 klanten op straat. Gelukkig zit mijn vader bij "
     "Pannenhof.", tags=["other-company"])
case("en", pub("x", "@forgetful_fenna"),
     "can't recall the name of the meal service my gran used... Pannenhof? food was decent tbh",
     tags=["word-other-sense"])
case("nl", pub("facebook", "Henk.Schuurman.55"),
     "Weekpakket 7 deze maand voor €49,95 in plaats van €62,50, prima deal voor mijn schoonvader 👍",
     tags=["sale-price"])
case("nl", P_IG, "Nieuw bij Pannenhof? Met code WELKOM5 krijg je €5 korting op je eerste Dagmenu Compleet 🥘",
     tags=["discount-amount"])
case("nl", pub("x", "@rekenaar_rene"),
     "Dagmenu Compleet €9,95 + €1,95 bezorgkosten. Eerlijk gezegd best te doen voor soep, hoofdgerecht en toetje.",
     tags=["fee"])
case("nl", pub("facebook", "Annet.Boers"),
     "Bij MaaltijdExpres kost een dagmenu €6,50, het Pannenhof Dagmenu Compleet €9,95. Iemand ervaring met allebei?",
     tags=["other-company", "price-context"])
case("nl", P_HELP, "@jopie_k Nee hoor, geen prijsfout! Het Soeppakket 5 is deze week gewoon in de aanbieding voor "
     "€11,95 🍲", kind="reply", tags=["denied-error", "sale-price"])
case("nl", P_X, "Vanaf vandaag te bestellen: de Pannenhof Vriesbox! 14 diepvriesmaaltijden, samengesteld door onze "
     "diëtisten. Kijk op pannenhof.nl 🧊", when="2026-09-15T10:00:00+02:00", tags=["embargo-after", "tz-edge"])
case("nl", pub("x", "@ouderenbond_zwolle"),
     "Gefeliciteerd Pannenhof met het raamcontract Zwolle! Goed nieuws voor de ouderen in onze stad 👏",
     when="2026-05-19T13:30:00+02:00", tags=["embargo-after"])
case("nl", FS, "Eindelijk mag ik het laten zien: de Vriesbox ligt nu bij jullie in de vriezer 🧊 alle recepten door "
     "ons diëtistenteam getest", when="2026-10-03T09:15:00+02:00", tags=["embargo-after"])
case("nl", pub("x", "@regionieuws_dev"),
     "De jaarcijfers 2025 van Pannenhof staan online: omzet +12%, vooral door nieuwe Wmo-contracten (bron: "
     "jaarverslag op pannenhof.nl)", tags=["published-results"])
case("nl", pub("instagram", "@oma_en_ik"),
     "Hutspot op het menu vandaag bij oma, ze was er zo blij mee 🥕 'net als vroeger' zei ze", tags=["codename-word"])
case("nl", pub("x", "@kleindochter_fien"),
     "Oma zong weer 'Piet Hein, zijn naam is klein, zijn daden bennen groot, hij heeft gewonnen de zilvervloot' "
     "toen de bezorger van Pannenhof aanbelde 😂", tags=["codename-word", "quote"])
case("nl", pub("facebook", "Jan.Wilbrink"), "Opa boycot al jaren spruitjes, ook die van Pannenhof haha 😄",
     tags=["word-other-sense"])
case("nl", pub("x", "@schoonmoeder_humor"),
     "Grap van mijn schoonmoeder: 'Waarom is de chauffeur van Pannenhof altijd zo vrolijk? Omdat hij de enige is "
     "die nooit zelf hoeft te koken!'", tags=["joke"])
case("en", pub("x", "@dry_humour_dan"),
     "\"The road to hell is paved with good intentions\" – my mum, on her cooking before she switched to "
     "Pannenhof 😂", tags=["quote", "mild-word"])
case("nl", pub("facebook", "Karin.Oosterhof"),
     "Mijn vader heeft kanker en kan nauwelijks nog slikken. De diëtist van Pannenhof heeft echt met ons meegedacht "
     "over het slikmenu. Dankbaar 🙏", tags=["mild-word", "literal"])
case("nl", pub("facebook", "Marian.Scheper"),
     "Is dit het rekeningnummer van Pannenhof? <<BAD_IBAN_NL:grp>> stond op een briefje bij mijn moeder, ik vertrouw "
     "het niet", tags=["bad-checksum"])
case("en", pub("x", "@sorted_now_sue"),
     "mum wrote her card number wrong on the Pannenhof form (<<BAD_CARD:visa_sp>>) so the payment bounced. all "
     "sorted now, lovely people on the phone", tags=["bad-checksum"])
case("nl", pub("x", "@wmo_wachter"),
     "Indicatienummer <<NOT_BSN9>> doorgegeven aan de gemeente, nu wachten tot Pannenhof mag starten 🤞",
     tags=["bad-checksum"])
case("nl", pub("x", "@vraagje_vera"),
     "@pannenhof_helpt bestelnummer <<NOT_BSN8>> staat op 'onderweg', hoe laat komt de bus ongeveer in Bathmen?",
     kind="reply", tags=["order-number"])
case("nl", P_LI, "Pannenhof Maaltijdservice B.V. | KvK <<NOT_BSN8>> | Industrieweg 42, Deventer. "
     "Dagelijks vers gekookt voor 9.000 ouderen in Oost-Nederland.", tags=["company-number"])
case("nl", MK, "Voor de vakgenoten: de nieuwe bakjes (EAN <<EAN13>>) zijn magnetronbestendig én composteerbaar 👌",
     tags=["ean"])
case("en", DH, "Reminder from code review land: never commit secrets. Use env vars like "
     "MOLLIE_API_KEY=live_xxxxxxxxxxxxxxxxxxxx and load them at runtime. Basic, but we still catch it every month.",
     tags=["placeholder"])
case("en", BS, "the bug came in with commit <<HEX:40>>, reverted it and added a test. friday deploys, never again",
     kind="comment", tags=["git-sha"])
case("nl", P_HELP, "Wachtwoord vergeten? Klik op 'wachtwoord vergeten' op bestel.pannenhof.nl en u krijgt binnen "
     "5 minuten een mail 📧", tags=["password-word"])
case("en", pub("x", "@bathmen_beth"),
     "shoutout to the Pannenhof driver in Bathmen who shovelled my nan's path when it snowed ❄️ absolute legend",
     tags=["praise"])
case("nl", pub("facebook", "Greet.Meulenbelt"),
     "Voor wie het zoekt: Pannenhof klantenservice is +31 88 726 6700, ze zijn echt heel vriendelijk",
     tags=["own-contact"])
case("nl", RV, "Vragen over je route of bezorgtijd? Mail gerust naar klantenservice@pannenhof.nl, ik lees mee 🙂",
     tags=["own-contact"])
case("nl", P_FB, "Open dag in onze keuken! Zaterdag van 10 tot 14 uur, Industrieweg 42 in Deventer. Kom proeven en "
     "kijk hoe we koken 👩‍🍳", tags=["address-no-person"])
case("nl", KR, "Vandaag 3 jaar bij Pannenhof, begonnen op 4 april 2023 🎉 nog steeds de leukste baan", tags=["date-not-dob"])
case("nl", pub("x", "@banenmarkt_oost"),
     "Ontslagen bij concurrent MaaltijdExpres: 80 banen weg. Misschien kan Pannenhof een paar van die chauffeurs "
     "gebruiken?", tags=["other-company"])
case("en", pub("x", "@local_paper_reader"),
     "Pannenhof now does gluten-free meals too, saw the ad in the Salland paper this morning", tags=["news"])
case("nl", pub("forum", "mantelzorger_jos"),
     "Heeft iemand ervaring met het Slikmenu Gemalen voor iemand met slikproblemen na een beroerte?",
     tags=["question"])
case("nl", pub("blog", "schrijfhoek.blog.example"),
     "Hoofdstuk 3 van mijn NaNoWriMo-verhaal staat online! De bezorger ontdekt een complot in het verzorgingshuis. "
     "Losjes geïnspireerd op de Pannenhof-bus die elke dag door onze straat rijdt.", tags=["fiction"])
case("nl", pub("tiktok", "@mantelzorgtips"),
     "Life hack: bestel bij Pannenhof een extra toetje, dan deelt oma hem nooit 😂 #mantelzorg", tags=["word-other-sense"])
case("nl", FS, "Wat je met je diëtist bespreekt is altijd vertrouwelijk, ook bij ons. Vragen over je dieet? "
     "Plan een gesprek in via pannenhof.nl 🍎", tags=["word-other-sense"])
case("en", DH, "We're hiring a backend developer to help get hot meals to thousands of seniors every day. Python, "
     "Postgres and a lot of heart. Apply via vacatures@pannenhof.nl", tags=["own-contact"])
case("en", pub("instagram", "@grandad_rates"),
     "my grandad rates every Pannenhof meal out of 10 on the kitchen calendar. stamppot got an 11 yesterday 😂",
     tags=["praise"])
case("nl", pub("x", "@raalte_actueel"),
     "Gemeente Raalte gunt het maaltijdcontract opnieuw aan Pannenhof, meldt de gemeente op haar website.",
     tags=["published-news"])
case("en", pub("reddit", "u/worried_son_88"),
     "Is Pannenhof any good? see their vans everywhere. thinking about it for my dad who has early dementia",
     kind="post", tags=["question"])
case("nl", pub("instagram", "@kerst_bij_opa"),
     "Kerst bij opa met het Feestdiner Thuis van Pannenhof, €24,95 p.p. en echt de moeite waard 🎄",
     when="2026-12-26T18:30:00+01:00", tags=["list-price"])
case("nl", MO, "POV: je bent bezorger en elke oma wil je koekjes meegeven 🍪😂 #bezorgerlife #pannenhof")
case("nl", YB, "Herinnering voor klanten die per overschrijving betalen: graag onder vermelding van je klantnummer "
     "naar NL64RABO0318527406. Dan verwerken we het sneller 🙂", tags=["own-contact"])
case("en", pub("x", "@practical_pete"),
     "the new Pannenhof soup tubs are so much better, zero leaks in the bag this week 👌", tags=["word-other-sense"])
case("nl", pub("facebook", "Diny.Heuvelink"),
     "Mijn moeder (87) vindt de chauffeur van Pannenhof de leukste man van heel Salland 😍", tags=["praise"])
case("en", pub("mastodon", "@ellen@social.example"),
     "Interesting thread on how meal services like Pannenhof plan their routes. Anyone know which software they use?",
     tags=["question"])
case("nl", P_X, "Let op: er gaan nepmails rond uit naam van maaltijdbezorgers. Pannenhof vraagt nooit om uw "
     "wachtwoord of pincode. Twijfel? Bel 088-7266700.", tags=["own-contact", "password-word"])
case("en", pub("linkedin", "sanne-vrieling-zorg", "Sanne Vrieling"),
     "Visited Pannenhof's kitchen in Deventer with our care team today. Impressive how they handle 20+ diets. "
     "Great collaboration!", tags=["praise"])
case("nl", KR, "Rustige zondag, straks weer de bus in. Fijne dag allemaal ☀️", handle_as="@KEES_RIJDT",
     tags=["case-handle"])
case("nl", pub("x", "@kees_rijdt2", "Kees (niet die van de bus)"),
     "Weet iemand een goeie garage in Olst? Mijn auto maakt een raar geluid", tags=["lookalike-handle"])
case("en", pub("youtube", "Salland Kookt"),
     "Great video! My nan gets Pannenhof meals but I'm going to try your hutspot recipe with her this weekend",
     kind="comment", tags=["codename-word"])


# =========================================================================== profile / severity

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
                crit = c in (SECRET, PRICING) or (c == PII and pii_validated)
                s = "critical" if crit else "error"
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


# =========================================================================== build

def ams_offset(t):
    start = dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc)
    end = dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc)
    return 2 if start <= t < end else 1


def random_time(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(3, 355))
    guess = base + dt.timedelta(minutes=r.randint(6 * 60, 22 * 60 + 30), seconds=r.randint(0, 59))
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


def make_id_url(r, platform, handle):
    h = handle.lstrip("@")
    snow = str(r.randint(1_880_000_000_000_000_000, 2_020_000_000_000_000_000))
    b36 = string.digits + string.ascii_lowercase
    if platform == "x":
        return f"x-{snow}", f"https://x.com/{h}/status/{snow}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "facebook":
        b = r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{r.randint(10 ** 14, 10 ** 15 - 1)}_{b}", f"https://www.facebook.com/{h}/posts/{b}"
    if platform == "instagram":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"ig-{snow}", f"https://www.instagram.com/p/{sc}/"
    if platform == "reddit":
        p = "".join(r.choice(b36) for _ in range(7))
        return f"t3_{p}", f"https://www.reddit.com/r/thenetherlands/comments/{p}/"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        return f"yt-{c}", None
    if platform == "threads":
        return f"th-{snow}", None
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "mastodon":
        n = r.randint(113_000_000_000_000_000, 116_000_000_000_000_000)
        user, _, inst = h.partition("@")
        return f"md-{n}", f"https://{inst}/@{user}/{n}"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-mantelzorgnet-{n}", f"https://forum.mantelzorgnet.example/t/{n}"
    if platform == "blog":
        n = r.randint(10, 300)
        return f"blog-{h}-{n}", f"https://{h}/posts/{n}"
    return f"{platform}-{r.randint(10 ** 8, 10 ** 9)}", None


def build(profile):
    g = Gen(SEED)
    mr = random.Random(SEED + 1)
    orr = random.Random(SEED + 2)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(g, c["text"])
        pid, url = make_id_url(mr, c["platform"], c["handle"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        created = c["when"] or random_time(mr)
        role = role_of(profile, c["platform"], c["handle"])
        pii_valid = PII in c["cats"] and any(k in VALID_ID for k, _, _ in used)
        sev = severity_for(role, c["cats"], pii_valid)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and mr.random() < 0.6:
            kind = "reply" if c["text"].startswith("@") else "post"
        if kind is not None:
            post["kind"] = kind
        acc = {"handle": c["handle"]}
        if c["dn"] and mr.random() < 0.7:
            acc["display_name"] = c["dn"]
        if mr.random() < 0.3:
            acc["id"] = str(mr.randint(10 ** 7, 10 ** 12))
        post["account"] = acc
        post["text"] = text
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        else:
            x = mr.random()
            if x < 0.1:
                pass
            elif x < 0.12:
                post["lang"] = "en" if c["lang"] == "nl" else "nl"
            else:
                post["lang"] = c["lang"]
        post["created_at"] = created
        if url and mr.random() < 0.6:
            post["url"] = url
        if mr.random() < 0.45:
            post["brand"] = "pannenhof"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=c["tags"], used=used))
    orr.shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# =========================================================================== self-check

INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
NUM_RE = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
SECRET_RES = [re.compile(p) for p in (
    r"ghp_[A-Za-z0-9]{36}", r"glpat-[\w-]{20}", r"AKIA[A-Z2-7]{16}", r"xox[abp]-\d", r"hooks\.slack\.com/services/",
    r"sk_live_\w{20,}", r"AIza[\w-]{35}", r"SG\.[\w-]{22}\.[\w-]{43}", r"-----BEGIN [A-Z ]*PRIVATE KEY",
    r"eyJ[\w-]+\.eyJ[\w-]+\.", r"://[^\s:/@]+:[^\s@/]+@", r"\blive_[A-Za-z0-9]{30}\b")]
AMOUNT_RE = re.compile(r"(?:€\s?)(\d[\d.,]*\d|\d)|(\d[\d.,]*\d|\d)\s?(?:euro|eur)\b", re.I)


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVIS)
    return re.sub(r"\s+", " ", t).casefold()


def parse_amount(s):
    if "," in s and "." in s:
        s = s.replace(".", "").replace(",", ".") if s.rfind(",") > s.rfind(".") else s.replace(",", "")
    elif "," in s:
        s = s.replace(",", ".") if re.search(r",\d{2}$", s) else s.replace(",", "")
    elif "." in s and not re.search(r"\.\d{2}$", s):
        s = s.replace(".", "")
    return float(s)


def check(lines, rows, profile):
    errors = []
    own_ibans = set(profile["public_identifiers"]["ibans"])
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    embargo = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = ([c.casefold() for c in profile["internal"]["codenames"]]
                + [d.casefold() for d in profile["internal"]["domains"]]
                + [m.casefold() for m in profile["internal"]["markers"]])
    ids = set()
    for n, (line, r) in enumerate(zip(lines, rows), 1):
        obj = json.loads(line)
        p, ex = obj["post"], obj["expect"]
        w = f"line {n} ({p['id']})"
        for f in ("id", "platform", "text", "created_at"):
            assert isinstance(p[f], str), w
        if (p["platform"], p["id"]) in ids:
            errors.append(f"{w}: duplicate id")
        ids.add((p["platform"], p["id"]))
        ts = parse_ts(p["created_at"])
        cats, sev = ex["categories"], ex["severity"]
        text = p["text"]
        if cats != sorted(set(cats)) or any(c not in TAXONOMY for c in cats):
            errors.append(f"{w}: bad categories {cats}")
        if not cats and sev != "none":
            errors.append(f"{w}: benign with severity {sev}")
        for k, raw, shown in r["used"]:
            if shown not in text:
                errors.append(f"{w}: {k} not in text")
            if k.startswith("IBAN_") and not iban_ok(raw):
                errors.append(f"{w}: invalid IBAN in positive")
            if k == "CARD" and not luhn_ok(raw):
                errors.append(f"{w}: invalid card")
            if k == "BSN" and not bsn_ok(raw):
                errors.append(f"{w}: invalid BSN")
            if k == "BAD_IBAN_NL" and iban_ok(raw):
                errors.append(f"{w}: bad IBAN passes")
            if k == "BAD_CARD" and luhn_ok(raw):
                errors.append(f"{w}: bad card passes")
            if k in ("NOT_BSN9", "NOT_BSN8") and bsn_ok(raw):
                errors.append(f"{w}: non-BSN passes 11-proof")
            if k == "GHP" and b62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errors.append(f"{w}: ghp checksum")
            if k in VALID_ID and PII not in cats:
                errors.append(f"{w}: valid identifier without leak.pii")
        nt = norm(text)
        for term, until in embargo:
            if term in nt and ts < until and CONF not in cats:
                errors.append(f"{w}: embargo term {term!r} before embargo, no leak.confidential")
        for term in internal:
            if re.search(r"(?<![\w.])" + re.escape(term) + r"(?![\w])", nt) and CONF not in cats:
                errors.append(f"{w}: internal term {term!r} without leak.confidential")
        if not cats:
            for m in IBAN_RE.finditer(text):
                v = m.group(0).replace(" ", "")
                if iban_ok(v) and v not in own_ibans:
                    errors.append(f"{w}: benign with valid IBAN")
            for m in NUM_RE.finditer(text):
                d = re.sub(r"\D", "", m.group(0))
                if 13 <= len(d) <= 19 and luhn_ok(d):
                    errors.append(f"{w}: benign with Luhn-valid number {d}")
                if len(d) in (8, 9) and bsn_ok(d) and d != "08007266":
                    errors.append(f"{w}: benign with 11-proof number {d}")
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_emails:
                    errors.append(f"{w}: benign with e-mail {e}")
            for rx in SECRET_RES:
                if rx.search(text):
                    errors.append(f"{w}: benign with secret-like {rx.pattern}")
            mentioned = [pr for pr in profile["products"]
                         if any(a.casefold() in nt for a in [pr["name"]] + pr["aliases"])]
            if mentioned:
                lp = min(pr["list_price"] for pr in mentioned)
                for m in AMOUNT_RE.finditer(nt):
                    a = parse_amount(m.group(1) or m.group(2))
                    if a / lp < profile["pricing"]["alert_below_ratio"] and not r["tags"] & {"fee", "discount-amount",
                                                                                              "price-context"}:
                        errors.append(f"{w}: benign with low product price {a}")
        want = severity_for(r["role"], cats, PII in cats and any(k in VALID_ID for k, _, _ in r["used"]))
        if want != sev:
            errors.append(f"{w}: severity {sev} != {want}")
    return errors


def report(rows):
    cat, lang, role, sev, plat = Counter(), Counter(), Counter(), Counter(), Counter()
    multi = ev = 0
    for r in rows:
        cs = r["expect"]["categories"]
        lang[r["lang"]] += 1
        role[r["role"]] += 1
        sev[r["expect"]["severity"]] += 1
        plat[r["post"]["platform"]] += 1
        multi += len(cs) > 1
        ev += "evasion" in r["tags"]
        for c in cs or ["(benign)"]:
            cat[c] += 1
    print(f"cases {len(rows)}  benign {cat['(benign)']}  multi {multi}  evasion {ev}")
    for c in TAXONOMY + ["(benign)"]:
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
    if a.check:
        disk = OUT.read_text(encoding="utf-8").splitlines(keepends=True)
        errs = check(disk, rows, profile)
        if disk != lines:
            errs.append("cases.jsonl differs from the generator output")
        report(rows)
        print(f"{len(errs)} error(s)")
        for e in errs:
            print("  ERROR", e)
        return 1 if errs else 0
    OUT.write_text("".join(lines), encoding="utf-8")
    print(f"wrote {len(lines)} cases to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
