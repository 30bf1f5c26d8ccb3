#!/usr/bin/env python3
"""Deterministic generator for the sealed postwatch evaluation set 138.

    python3 make_cases.py           # write cases.jsonl next to this file
    python3 make_cases.py --check   # regenerate in memory, compare, validate, print counts

Company: Akkerboek Accountants B.V. (fictional), a Dutch accounting and payroll firm
for farmers and agricultural businesses. Profile: profile.yaml next to this file.

Texts are written by hand below. Identifiers and secrets are filled in from
<<KIND:fmt>> placeholders by one seeded RNG, so output is byte-for-byte reproducible.
Positives get checksum-VALID identifiers (IBAN mod-97, Luhn, BSN 11-proof); benign
near-misses get identifiers that FAIL their checksum. Secrets are random and fake.
Severity is computed from CONTRACT section 4, never typed by hand.
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

SEED = 138_2026_0711
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
TAXONOMY = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]

ZW = "\u200b"
SHY = "\u00ad"
CYR = str.maketrans({"a": "\u0430", "o": "\u043e", "e": "\u0435", "c": "\u0441", "p": "\u0440",
                     "A": "\u0410", "O": "\u041e", "E": "\u0415", "C": "\u0421", "P": "\u0420", "K": "\u041a"})


def cyr(s):
    """Swap some Latin letters for Cyrillic look-alikes."""
    return s.translate(CYR)


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


def luhn_valid(d):
    d = re.sub(r"\D", "", d)
    s = 0
    for i, ch in enumerate(reversed(d)):
        v = int(ch) * (2 if i % 2 else 1)
        s += v - 9 if v > 9 else v
    return bool(d) and s % 10 == 0


def luhn_finish(p):
    return next(p + c for c in "0123456789" if luhn_valid(p + c))


def elfproef(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t != 0 and t % 11 == 0


def ean13_valid(s):
    return (sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(s[:12])) + int(s[12])) % 10 == 0


# ---------------------------------------------------------------- placeholder values
ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
OWN_IBAN = "NL04RABO0316482950"


def to_b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


class Fill:
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
            while True:
                v = iban_build("NL", self.r.choice(["RABO", "INGB", "ABNA", "SNSB", "TRIO", "ASNB", "KNAB", "BUNQ"])
                               + self.d(10, nz=True))
                if v != OWN_IBAN:
                    return v
        if cc == "DE":
            return iban_build("DE", self.r.choice(["28050100", "26550105", "40050150", "25050180"]) + self.d(10))
        if cc == "BE":
            first = self.r.choice(["001", "063", "143", "734", "850"]) + self.d(7)
            return iban_build("BE", f"{first}{int(first) % 97 or 97:02d}")
        if cc == "PL":
            return iban_build("PL", self.r.choice(["10205561", "11402004", "10901014", "12401037"]) + self.d(16))
        raise ValueError(cc)

    def broken_iban(self, cc):
        v = self.iban(cc)
        for delta in (7, 19, 31, 44, 58):
            cand = f"{v[:2]}{(int(v[2:4]) + delta) % 100:02d}{v[4:]}"
            if not iban_valid(cand):
                return cand
        raise AssertionError

    def card(self, brand):
        if brand == "visa":
            return luhn_finish("4" + self.d(14))
        if brand == "mc":
            return luhn_finish("5" + self.r.choice("12345") + self.d(13))
        if brand == "mc2":
            return luhn_finish(str(self.r.randint(2221, 2720)) + self.d(11))
        if brand == "amex":
            return luhn_finish(self.r.choice(["34", "37"]) + self.d(12))
        raise ValueError(brand)

    def broken_card(self, brand):
        v = self.card(brand)
        bad = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_valid(bad)
        return bad

    @staticmethod
    def fmt_card(v, f):
        if f == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if f == "dash" else " ").join(parts)

    def bsn(self):
        while True:
            s = self.d(9, nz=True)
            if elfproef(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.d(n, nz=True)
            if not elfproef(s) and not luhn_valid(s):
                return s

    def ean13(self):
        while True:
            body = "87" + self.d(10)
            cand = next(body + c for c in "0123456789" if ean13_valid(body + c))
            if not luhn_valid(cand):
                return cand

    def phone(self, f):
        if f.startswith("mob"):
            x = self.r.choice("12345678") + self.d(7)  # 8 digits after 06
            return {
                "mob_dash": f"06-{x}",
                "mob_plain": f"06{x}",
                "mob_intl_sp": f"+31 6 {x[:2]} {x[2:4]} {x[4:6]} {x[6:]}",
                "mob_intl": f"+316{x}",
                "mob_0031": f"0031 6 {x[:4]} {x[4:]}",
                "mob_pairs": f"06 {x[:2]} {x[2:4]} {x[4:6]} {x[6:]}",
                "mob_intl0": f"+31 (0)6 {x}",
            }[f]
        area = self.r.choice(["50", "58", "512", "513", "515", "516", "521", "522", "527", "591", "594", "595"])
        sub = self.r.choice("2345789") + self.d(8 - len(area))
        return {
            "land_dash": f"0{area}-{sub}",
            "land_sp": f"0{area} {sub[:3]} {sub[3:]}",
            "land_intl": f"+31 {area} {sub}",
        }[f]

    def ghp(self):
        body = self.c(ALNUM, 30)
        return "ghp_" + body + to_b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def jwt(self):
        enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        head = enc({"alg": "RS256", "typ": "JWT", "kid": "portal-" + self.d(3)})
        body = enc({"sub": "klant-" + self.d(6, nz=True), "iss": "https://mijn.akkerboek.nl", "scope": "dossier.read",
                    "iat": iat, "exp": iat + 1800})
        return f"{head}.{body}.{self.c(B64URL, 86)}"

    def pem_openssh(self):
        head = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
        rows = [head] + [self.c(B64, 70) for _ in range(4)] + [self.c(B64, 22) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(rows) + "\n-----END OPENSSH PRIVATE KEY-----"

    def pem_rsa(self):
        body = "MIIEowIBAAKCAQEA" + self.c(B64, 64 * 6 - 16)
        rows = [body[i:i + 64] for i in range(0, len(body), 64)] + [self.c(B64, 40) + "=="]
        return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(rows) + "\n-----END RSA PRIVATE KEY-----"

    def pw(self):
        return (self.r.choice(string.ascii_uppercase) + self.c(string.ascii_lowercase, 4) + self.c(string.digits, 2)
                + self.r.choice("!*-_~") + self.c(ALNUM, 4))


VALID_KINDS = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "IBAN_PL", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(f, text):
    used = []

    def sub(m):
        k, fmt = m.group(1), m.group(2) or ""
        if k.startswith("IBAN_"):
            raw = f.iban(k[5:])
            shown = f.g4(raw) if fmt == "grp" else raw.lower() if fmt == "lower" else raw
        elif k.startswith("BAD_IBAN_"):
            raw = f.broken_iban(k[9:])
            shown = f.g4(raw) if fmt == "grp" else raw
        elif k == "CARD":
            b, _, ff = fmt.partition("_")
            raw = f.card(b)
            shown = f.fmt_card(raw, ff or "sp")
        elif k == "BAD_CARD":
            b, _, ff = fmt.partition("_")
            raw = f.broken_card(b)
            shown = f.fmt_card(raw, ff or "sp")
        elif k == "BSN":
            raw = f.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if fmt == "dots" else raw
        elif k in ("BAD_BSN", "NOT_BSN9"):
            shown = raw = f.not_bsn(9)
        elif k == "KVK":
            shown = raw = f.not_bsn(8)
        elif k == "UBN":
            shown = raw = f.d(7, nz=True)
        elif k == "EAN13":
            shown = raw = f.ean13()
        elif k == "PHONE":
            shown = raw = f.phone(fmt)
        elif k == "DIGITS":
            shown = raw = f.d(int(fmt), nz=True)
        elif k == "HEX":
            shown = raw = f.c("0123456789abcdef", int(fmt))
        elif k == "PASSPORT_PL":
            shown = raw = f.c(string.ascii_uppercase, 2) + f.d(7)
        elif k == "GHP":
            shown = raw = f.ghp()
        elif k == "AWS_ID":
            shown = raw = "AKIA" + f.c(B32, 16)
        elif k == "AWS_SECRET":
            shown = raw = f.c(B64, 40)
        elif k == "SLACK_BOT":
            shown = raw = f"xoxb-{f.d(12, True)}-{f.d(13, True)}-{f.c(ALNUM, 24)}"
        elif k == "SLACK_HOOK":
            up = string.ascii_uppercase + string.digits
            shown = raw = f"https://hooks.slack.com/services/T{f.c(up, 8)}/B{f.c(up, 10)}/{f.c(ALNUM, 24)}"
        elif k == "MOLLIE":
            shown = raw = "live_" + f.c(ALNUM, 30)
        elif k == "SENDGRID":
            shown = raw = "SG." + f.c(B64URL, 22) + "." + f.c(B64URL, 43)
        elif k == "AZKEY":
            shown = raw = f.c(B64, 86) + "=="
        elif k == "GAPI":
            shown = raw = "AIzaSy" + f.c(B64URL, 33)
        elif k == "JWT":
            shown = raw = f.jwt()
        elif k == "PEM_OPENSSH":
            shown = raw = f.pem_openssh()
        elif k == "PEM_RSA":
            shown = raw = f.pem_rsa()
        elif k == "PW":
            shown = raw = f.pw()
        else:
            raise KeyError(k)
        used.append((k, raw, shown))
        return shown

    return PH.sub(sub, text), used


# ---------------------------------------------------------------- accounts
# corporate
AB_X = ("x", "@akkerboek", "Akkerboek")
AB_SERV = ("x", "@akkerboek_service", "Akkerboek Servicedesk")
AB_LI = ("linkedin", "akkerboek-accountants", "Akkerboek Accountants B.V.")
AB_FB = ("facebook", "AkkerboekAccountants", "Akkerboek Accountants")
AB_IG = ("instagram", "@akkerboek.nl", "Akkerboek")
# employees
HP = ("linkedin", "hendrik-postma-akkerboek", "Hendrik Postma")       # senior accountant, dairy
WK = ("x", "@wiebke_kloosterman", "Wiebke Kloosterman")               # payroll, seasonal work
SD = ("linkedin", "sjoerd-dijkstra-it", "Sjoerd Dijkstra")            # IT operations
AT = ("x", "@annelies_subsidie", "Annelies ter Horst")                # subsidy adviser
MB = ("x", "@marcodev_nl", "Marco Bos")                               # portal developer
JS = ("instagram", "@jelmer.sikkema", "Jelmer Sikkema")               # tax intern
RV = ("linkedin", "rianne-veenstra-akkerboek", "Rianne Veenstra")     # controller / finance


def pub(platform, handle, name=None):
    return (platform, handle, name)


PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    platform, handle, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# =====================================================================================
# leak.pricing
# =====================================================================================
case("nl", MB, "oeps 🙈 sinds de deploy van vanmiddag staat Jaarrekening Eenmanszaak op €139,50 in de webshop "
     "ipv €1.395. komma-bugje, fix komt morgenochtend. niet rondvertellen pls", [PRICING])
case("nl", pub("facebook", "gerrit.hoekstra.7", "Gerrit Hoekstra"),
     "Kijk nou! Akkerboek rekent voor de IB-aangifte Compleet maar €38,50 op de site 😂 vorig jaar was ik nog "
     "bijna 400 kwijt. Even snel vastleggen voordat ze het doorhebben", [PRICING])
case("en", pub("reddit", "u/friesian_fields"),
     "Dairy farmer in NL here. Akkerboek's checkout shows Mijn Akkerboek Pro at €5.40/yr?? That has to be a bug "
     "right. Signed up for 3 years just in case lol", [PRICING])
case("nl", AT, "Tip voor mijn boeren 🚜 deze week kost de Subsidiescan GLB via mij maar €95 i.p.v. de gewone prijs. "
     "Stuur een DM, en niet aan de buurman vertellen 😉", [PRICING])
case("en", WK, "heads up team: the quote tool shows the seasonal payroll package at €64.90 instead of 649, someone "
     "dropped a digit. don't send out any offers till IT fixed it", [PRICING])
case("nl", pub("forum", "AspergeAnton"),
     "[Prijsfout?] Seizoensloon van Akkerboek voor € 6,49 per seizoen\n\nStond vanochtend zo in hun offertemodule. "
     "Iemand ervaring of ze zoiets nakomen? Heb 14 Poolse jongens op de asperges staan dus zou mooi meegenomen zijn",
     [PRICING], when="2026-04-22T06:58:14+02:00")
case("nl", JS, "p r ij s f o u t op de site 👀 IB Compleet voor 3,85 haha wie het eerst komt #stagelife",
     [PRICING], tags=["evasion", "evasion:spaced"])
case("en", pub("threads", "@agri.deals.nl"), "Akkerboek pricing " + cyr("glitch") + " — Subsidiescan GLB for €29 🤯 "
     "grab it before they notice", [PRICING], tags=["evasion", "evasion:homoglyph"])
case("nl", AB_FB, "🌱 Voorjaarsactie! Akkerboek Jaarrekening Eenmanszaak nu voor €299 als je vóór 1 april je stukken "
     "aanlevert. 👉 akkerboek.nl/voorjaar", [PRICING], when="2026-03-04T09:30:00+01:00")
case("en", pub("youtube", "@boerenvlog_jorrit"), "Got the Jaarrekening Maatschap from Akkerboek for €22.50 during "
     "their price mess-up last night, confirmation mail and everything. Will they honour it? 🤔", [PRICING],
     kind="comment")
case("nl", HP, "Voor wie het vraagt: nee, die €225 voor de Jaarrekening Maatschap klopt niet, fout in de "
     "prijstabel. Staat al op gitlab.akkerboek.nl/portaal/issues/812 en gaat vandaag terug.", [PRICING, CONF])
case("nl", pub("x", "@trekkerteun"), f"prijs{ZW}fout: Akkerboek Pro voor 5 euro per jaar?! 😳 wie durft",
     [PRICING], tags=["evasion", "evasion:zero-width"])

# =====================================================================================
# leak.secret
# =====================================================================================
case("en", MB, "why is the portal build failing AGAIN 😤 GITHUB_TOKEN=<<GHP>> works on my laptop, can someone "
     "look at the runner", [SECRET])
case("nl", SD, "Kleine waarschuwing aan vakgenoten in de agri-IT: kijk je oude scripts na. Vond vandaag dit in een "
     "back-upjob van ons:\n\naws_access_key_id = <<AWS_ID>>\naws_secret_access_key = <<AWS_SECRET>>\n\nIs inmiddels "
     "ingetrokken, maar toch. #cloud #security", [SECRET])
case("nl", WK, "Collega's, het wachtwoord van de gedeelde mailbox loonadministratie is nu <<PW>> (let op de "
     "hoofdletter). Appen als het niet werkt", [SECRET])
case("en", MB, "postgres://portal_rw:<<PW>>@db02.intra.akkerboek.local:5432/mijnakkerboek times out from the new "
     "VM, anyone?", [SECRET, CONF])
case("nl", AB_SERV, "@boer_dewit Excuses voor het ongemak! De iDEAL-betaling werkt weer. (debug: <<MOLLIE>>)",
     [SECRET], kind="reply")
case("en", pub("reddit", "u/sloot_springer"), "Found this in the page source of mijn.akkerboek.nl: maps key "
     "<<GAPI>> — surely that isn't supposed to be public?", [SECRET], kind="comment")
case("en", MB, "our #salarisrun bot posts everything twice since tuesday 🙃 token <<SLACK_BOT>> if anyone has a sec",
     [SECRET])
case("nl", SD, "Iemand een idee waarom de sftp naar de RVO-koppeling deze key weigert?\n\n<<PEM_OPENSSH>>", [SECRET])
case("nl", pub("facebook", "hinke.jansma.32", "Hinke Jansma"),
     "Kan iemand mij helpen, ik kom niet meer in Mijn Akkerboek. gebruikersnaam melkveebedrijf_jansma wachtwoord "
     "Koe<<DIGITS:4>>!Tulp. De jongens zijn op het land en ik snap er niks van", [SECRET])
case("en", MB, "portal api gives 403 with this bearer, what am I missing?\nAuthorization: Bearer <<JWT>>", [SECRET])
case("nl", pub("x", "@ex_stagiair_ab"), "lol Akkerboek heeft hun slack-webhook gewoon in een open repo staan: "
     "<<SLACK_HOOK>> 🤡", [SECRET])
case("en", SD, "DefaultEndpointsProtocol=https;AccountName=akkerboekloonstroken;AccountKey=<<AZKEY>>;"
     "EndpointSuffix=core.windows.net\n\n^ payslip export can't write to this container since the update. ideas?",
     [SECRET])
case("nl", MB, "alle klantmailings bouncen 😩 sendgrid key is <<SENDGRID>> kan iemand van marketing checken of die "
     "nog actief is", [SECRET])
case("nl", JS, "eerste week stage bij Akkerboek 🤓 login van het stage-account hangt gewoon op een post-it: "
     "stagiair01 / ww <<PW>> 😅", [SECRET])

# =====================================================================================
# leak.pii
# =====================================================================================
case("nl", WK, "Kan iemand van Hoeve Zonnedauw even het goede rekeningnummer doorgeven voor Piotr Nowak? Zijn loon "
     "staat op <<IBAN_PL:grp>> maar komt steeds terug 🤷‍♀️", [PII])
case("nl", HP, "Zucht. Wéér een klant die zijn BSN <<BSN:dots>> in de onderwerpregel zet. Mensen, alsjeblieft niet "
     "doen, gebruik het portaal.", [PII])
case("en", pub("facebook", "tjeerd.vdmeer", "Tjeerd van der Meer"),
     "Akkerboek please refund the double charge for my IB Compleet!! Account <<IBAN_NL:grp>>, 6 weeks now and nothing",
     [PII, COMPLAINT])
case("nl", AT, "Gefeliciteerd Sietske Hofstra (geb. 02-09-1998, Oudebildtdijk 112, Westhoek) met je toekenning "
     "Jonge Landbouwers 🎉🚜 dik verdiend!", [PII])
case("nl", WK, "Wie kan morgen de loonstrook uitleggen aan Mariusz Kowalski? Hij belt steeds naar kantoor, zijn "
     "nummer is <<PHONE:mob_intl_sp>>. Ik spreek geen Pools 😅", [PII])
case("en", pub("reddit", "u/kalverkoen"), "So the Akkerboek portal wants my card again. Fine: <<CARD:mc_sp>> exp "
     "09/28, let's see if the upgrade goes through this time", [PII])
case("nl", pub("x", "@grasland_gerben"), "Mijn boekhouder bij Akkerboek reageert nooit. Mail hem zelf maar: "
     "r.terpstra [at] akkerboek [punt] nl 🙄", [PII, COMPLAINT], tags=["evasion", "evasion:obfuscated-email"])
case("nl", HP, "Iemand een loonwerker nodig? Mail m.dewit.melkvee@gmail.com, de veehouder wiens overname ik vorige "
     "week afrondde zoekt nog hulp bij het maaien", [PII])
case("en", MB, "payment retries keep failing for client 4471, card on file <<CARD:visa_dash>>, mollie says "
     "declined. ideas?", [PII])
case("nl", AB_SERV, "@fam_vanderveen Uw wijziging is verwerkt: het nieuwe rekeningnummer <<IBAN_NL>> staat nu in uw "
     "dossier ✔️", [PII], kind="reply")
case("en", pub("instagram", "@kuba.w.nl"), "first payslip via Akkerboek payroll 🥲 my BSN <<BSN>> is on it, is it "
     "normal they send this over whatsapp?", [PII])
case("nl", JS, "Eerste keer zelf een ID-check gedaan voor een seizoenskracht 💪 paspoort <<PASSPORT_PL>> van "
     "Agnieszka Wójcik, netjes gescand", [PII])
case("en", pub("x", "@hof_brandt_ostfriesland"), "Dear Akkerboek, I'm the German farmer you billed twice. Please "
     "send it back to <<IBAN_DE>>, danke", [PII, COMPLAINT])
case("nl", pub("facebook", "jannie.postmus", "Jannie Postmus"), "Die adviseur van Akkerboek zou terugbellen en deed "
     "het weer niet. Hier is zijn mobiel: <<PHONE:mob_dash>>, misschien neemt hij bij jou wel op 😡",
     [PII, COMPLAINT])
case("en", RV, "Lovely visit to Klaas & Anneke de Boer at Kollumerweg 41, 9291 AB Kollum — proud to support their "
     "switch to organic 🌾", [PII])
case("nl", WK, "loon van Tomasz gaat vanaf nu naar <<IBAN_NL:lower>> (nieuwe bank), kan iemand dat in de run van "
     "vrijdag zetten?", [PII], tags=["evasion", "evasion:lowercase-iban"])
case("en", pub("facebook", "ferme.vandamme", "Ferme Vandamme"), "Our farm is just across the border in Belgium and "
     "Akkerboek does our payroll. Refund to <<IBAN_BE>> please, NOT the old account", [PII])
case("nl", pub("x", "@jelmer_sikkema"), "Stagedag 3 bij Akkerboek: BSN-nummers van 40 boeren overtypen. Deze ging "
     "fout: <<BSN>> haha", [PII])

# =====================================================================================
# leak.confidential
# =====================================================================================
case("en", MB, "anyone else's connection to vpn.akkerboek.nl dropping every 10 min? trying to deploy from home 😩",
     [CONF])
case("nl", AT, "Straks zien onze akkerbouwers hun stikstofruimte direct in het portaal 🤩 de Stikstofmodule is "
     "bijna klaar, vandaag zelf getest!", [CONF], when="2026-08-19T16:42:10+02:00")
case("en", pub("reddit", "u/groninger_klei"), "Akkerboek is working on something called Operatie\nWintertarwe, a "
     "mate who works there showed me the slides at the pub", [CONF], kind="comment",
     tags=["evasion", "evasion:line-break"])
case("en", RV, "Excited about the Growth Plan 2030 we're preparing for our clients 🚀 can't say much yet, but "
     "they're going to love it.", [CONF], when="2026-10-05T10:20:00+02:00")
case("nl", pub("x", "@akkerbouw_arjen"), "Zag net op de Agro-beurs een demo van de Akkerboek Stikstofmodule, ziet er "
     "strak uit! 👌", [CONF], when="2026-08-28T11:05:33Z")
case("nl", WK, "hele dag hei-sessie over Project 🐦 Kievit, hoofd zit vol 🤯", [CONF],
     tags=["evasion", "evasion:emoji-split"])
case("nl", MB, "test gerust mee op acc.mijn.akkerboek.nl, inloggen met je eigen account, de nieuwe subsidiepagina "
     "staat erop 👀", [CONF])
case("en", SD, "Two years of work on Veldspat and next week we migrate the first 300 clients. Proud of this team 💪",
     [CONF])
case("nl", AT, "Nog één minuutje en dan staat de Stikstofmodule live voor al onze klanten 🥳🌱", [CONF],
     when="2026-09-01T08:59:00+02:00")
case("en", pub("x", "@polderpiet"), "heard akkerboek is building " + fullwidth("Operatie Wintertarwe") + " to replace "
     "their payroll system 👀", [CONF], tags=["evasion", "evasion:full-width"])
case("nl", RV, "Memo 'Akkerboek intern' vandaag rondgestuurd: Q3 zit 8% onder budget, dus vacaturestop tot januari. "
     "Pittig.", [CONF, FIN], when="2026-10-08T16:20:44+02:00")
case("nl", pub("facebook", "wietske.bouma", "Wietske Bouma"), "Vriendin werkt bij Akkerboek en had het over "
     "‘" + cyr("Project Kievit") + "’, iets met een nieuwe app voor melkveehouders. Iemand meer gehoord?", [CONF],
     tags=["evasion", "evasion:homoglyph"])
case("nl", HP, "Vandaag met het MT de roadmap van Veldspat doorgenomen. Spannend jaar!", [CONF],
     handle_as="Hendrik-Postma-Akkerboek")
case("nl", HP, "Over een half uur presenteren we het Groeiplan 2030 aan alle klanten, zenuwen! 😬", [CONF],
     when="2026-11-03T08:30:00+01:00")
case("en", MB, "nitrogen module demo went great today, launch is close 🚀🌱", [CONF],
     when="2026-08-12T17:03:41+02:00")
case("en", pub("instagram", "@hendrik.postma.privé"), "Sunday reading: printed the Project Kievit deck, marked "
     "'niet delen met klanten' but the cows won't tell 🐄😄", [CONF], when="2026-10-11T10:34:11+02:00")

# =====================================================================================
# leak.financial
# =====================================================================================
case("nl", RV, "Zware dag. Morgen horen 23 collega's van de loonadministratie dat hun functie vervalt door de "
     "automatisering. Ik mag er nog niks over zeggen maar het zit me dwars.", [FIN])
case("en", HP, "Between us: we're close to signing the takeover of Boerenbalans Administratie. Due diligence wraps "
     "up Friday 🤝", [FIN])
case("nl", pub("x", "@zuivelzus"), "Hoor van mijn neef die daar werkt dat Akkerboek wordt overgenomen door een "
     "Duitse investeerder?? Iemand meer info #akkerboek", [FIN])
case("en", RV, "Forecast for 2026 is in: revenue down ~11% because of fewer subsidy files. Board meeting next week "
     "is going to be tense.", [FIN])
case("nl", WK, f"Op de afdeling gaat het gerucht dat er voor de zomer 15 mensen ont{SHY}slagen worden 😢 officieel "
     "zegt niemand iets", [FIN], when="2026-04-16T12:41:07+02:00", tags=["evasion", "evasion:soft-hyphen"])
case("en", pub("reddit", "u/throwaway_boekhouder"), "Ex-employee here. Akkerboek's profit dropped like 40% last "
     "year and they're quietly closing the Drachten office in June. Not public yet.", [FIN])
case("nl", RV, "Q2 kwam uit op €4,1 mln omzet, ruim boven begroting 🍾 cijfers gaan pas in september naar buiten, "
     "dus mondje dicht", [FIN], when="2026-07-14T17:45:09+02:00")
case("nl", MB, "r3organ1satie bij IT intern aangekondigd, 4 devs moeten weg 😶", [FIN],
     tags=["evasion", "evasion:leet"])
case("en", HP, "Heads up to our partner network: our fees go up 15% from January, board approved it yesterday, the "
     "announcement follows in November.", [FIN], when="2026-09-17T15:02:48+02:00")
case("en", WK, "HR just told payroll that all seasonal payroll moves to a partner in Poland next year and our team "
     "of 9 gets reorganised. Not announced yet 😞", [FIN])

# =====================================================================================
# leak.security
# =====================================================================================
case("nl", SD, "Al sinds 04:00 op: ransomware op twee fileservers bij ons. Klanten weten nog van niks, pers ook "
     "niet. Koffie graag ☕", [SEC])
case("en", MB, "found a bug where changing the dossier id in the portal URL shows another farmer's annual "
     "accounts 😬 reported internally, not fixed yet", [SEC])
case("nl", WK, "Vanochtend zijn er phishingmails met een nep-loonstrook verstuurd vanuit de mailbox van een "
     "collega. IT zegt: nog niks naar buiten brengen", [SEC])
case("en", SD, "gitlab.akkerboek.nl has been down all morning, restoring from backup, ETA unknown and a few repos "
     "might be gone 😬", [SEC, CONF])
case("nl", pub("x", "@boos_op_de_bult"), "Akkerboek is al een week gehackt en ze houden het gewoon stil!! Neef "
     "werkt daar, alle loonstroken liggen op straat #datalek", [SEC, CRISIS])
case("en", pub("reddit", "u/veldwerk_vince"), "Akkerboek's portal has an open directory full of payslips. Reported "
     "it 3 weeks ago, they still haven't told anyone.", [SEC, CRISIS])
case("nl", MB, "portaal ligt eruit want we zijn geh4ckt, niet doorvertellen pls, wordt aan gewerkt", [SEC],
     tags=["evasion", "evasion:leet"])
case("en", AT, "The subsidy integration mixed up applications between clients for ~2 hours this morning. Legal is "
     "deciding whether to notify the AP. Rough day.", [SEC])
case("nl", SD, "Lek in onze VPN-appliance nog steeds niet gepatcht, leverancier heeft geen fix. Tot die tijd maar "
     "hopen dat niemand het merkt 🙃", [SEC])
case("en", MB, "Mijn Akkerboek down since 6am because someone dropped the prod database 🤦 restoring last night's "
     "backup, don't tell clients yet", [SEC])
case("nl", pub("threads", "@koeienkees"), "d a t a l e k bij Akkerboek, collega van mijn vrouw zegt dat ze het pas "
     "maandag gaan melden", [SEC, CRISIS], tags=["evasion", "evasion:spaced"])
case("nl", JS, "help 😱 heb per ongeluk de export met klantdossiers naar een verkeerd mailadres gestuurd, mijn "
     "begeleider zegt dat we het 'intern oplossen'", [SEC])

# =====================================================================================
# reputation.crisis
# =====================================================================================
case("nl", pub("x", "@melkvee_marrit"), "Akkerboek heeft door een fout in mijn GLB-aanvraag €18.000 subsidie laten "
     "verlopen. Wij stappen naar de rechter, en we zijn echt niet de enigen. #boerenbedrog", [CRISIS, COMPLAINT])
case("en", pub("x", "@fair_farming_now"), "Boycott Akkerboek. They pushed dozens of farmers into a nitrogen buy-out "
     "deal that ruined them and now hide behind their T&Cs. Share this.", [CRISIS])
case("nl", pub("facebook", "bauke.de.jong.54", "Bauke de Jong"), "Dus Akkerboek heeft mijn loonstroken en BSN bij "
     "een datalek laten rondslingeren? Lees net de brief. Schandalig.", [CRISIS])
case("nl", pub("x", "@noordnieuws_fan"), "FIOD-inval bij Akkerboek in Heerenveen vanochtend?? Wat is daar aan de hand",
     [CRISIS])
case("en", pub("linkedin", "pieter-wiersma-agri"), "A class action is forming against Akkerboek Accountants over "
     "the botched VAT filings under the farming scheme. DM me if your farm was affected.", [CRISIS])
case("nl", pub("tiktok", "@trekker_tessa"), "B O Y C O T Akkerboek!! die lui lachen ons boeren gewoon uit",
     [CRISIS], tags=["evasion", "evasion:spaced"])
case("en", pub("mastodon", "@wouter@boeren.social"), "Akkerboek leaked my farm's financials to my bank? How else "
     "did they know about my loan before I told them. #databreach", [CRISIS])
case("nl", pub("facebook", "harm.kuipers.9", "Harm Kuipers"), "Accountant van Akkerboek heeft jarenlang subsidies "
     "van klanten naar z'n eigen rekening gesluisd, stond vandaag in de krant. Hoeveel boeren zijn nog meer gedupeerd?",
     [CRISIS])
case("nl", pub("x", "@vee_en_veld"), cyr("Akkerboek") + " d4t4lek: al onze gegevens liggen op straat. Wie doet mee "
     "met de rechtszaak?", [CRISIS], tags=["evasion", "evasion:homoglyph", "evasion:leet"])
case("en", pub("bluesky", "@agrinews-watch.bsky.social"), "Akkerboek accountant sanctioned by the disciplinary "
     "board for sloppy audits at 12 dairy farms. Trust is gone.", [CRISIS])
case("nl", pub("facebook", "anne.tolsma", "Anne Tolsma"), "Brand in het archief van Akkerboek in Joure, honderden "
     "boerendossiers zijn verbrand 😱 wat nu met onze papieren?", [CRISIS])
case("en", pub("tiktok", "@farmgirl.fenna"), "storytime: my accountant (akkerboek) sent MY tax return to ANOTHER "
     "farmer 💀 data breach much?? #farmtok", [CRISIS])

# =====================================================================================
# reputation.complaint
# =====================================================================================
case("nl", pub("x", "@varkensboer_v"), "3 maanden wachten op mijn jaarrekening bij @akkerboek en nog steeds niks. "
     "Bank wil hem vrijdag hebben 😤", [COMPLAINT])
case("en", pub("reddit", "u/beet_harvest"), "Akkerboek's client portal logs me out every 2 minutes while I upload "
     "receipts. Support just says 'clear your cache'. Not helpful at all.", [COMPLAINT])
case("en", pub("instagram", "@marek_on_the_farm"), "my payslip from akkerboek payroll is wrong again, 20 hours "
     "overtime missing. who do i even talk to 😞", [COMPLAINT])
case("nl", pub("forum", "Geitenhouder_Gijs"), "Iemand ervaring met bezwaar tegen de facturen van Akkerboek? Ze "
     "rekenen ineens 'dossierkosten' van €175 die nergens in de offerte stonden.", [COMPLAINT])
case("en", pub("facebook", "dairy.dijkstra", "Dijkstra Dairy"), "Switched to Akkerboek last year for our dairy farm. "
     "Slow, expensive, and they keep asking for documents we already uploaded. Looking for another firm.",
     [COMPLAINT])
case("nl", pub("x", "@melkrobot_m"), "Äkkerböek klantënservice is echt bagger traag, 2 weken voor een simpel antwoord",
     [COMPLAINT], tags=["evasion", "evasion:diacritics"])
case("en", pub("x", "@glasshouse_gert"), "Akkerboek charged me twice for the GLB scan and the refund 'takes 6-8 "
     "weeks'. Come on.", [COMPLAINT])
case("nl", pub("x", "@aardbeien_aart"), "@akkerboek_service dit is nu de derde keer dat de loonrun voor mijn "
     "seizoenskrachten te laat is. Die jongens willen gewoon hun geld.", [COMPLAINT], kind="reply")
case("en", pub("mastodon", "@hanna@mastodon.nl"), "Akkerboek still hasn't filed my VAT return and now I got a fine "
     "from the Belastingdienst. Who's paying that?", [COMPLAINT])
case("nl", pub("youtube", "@fosfaat_frans"), "Bij ons ging de jaarrekening van Akkerboek drie keer heen en weer "
     "omdat ze de fosfaatrechten verkeerd hadden staan. Slechte service.", [COMPLAINT], kind="comment")
case("en", pub("x", "@onion_grower_nl"), "akkerb0ek support is a joke. ticket open since march about my subsidy "
     "application", [COMPLAINT], when="2026-08-18T21:03:52Z", tags=["evasion", "evasion:leet"])
case("en", pub("other", "farmersweekly_comments"), "Akkerboek's new portal is a step backwards. Three clicks to "
     "find an invoice, and the export to my bank doesn't work.", [COMPLAINT])

# =====================================================================================
# reputation.abuse
# =====================================================================================
case("en", pub("x", "@spud_lord"), "whoever runs the akkerboek account is a total moron lmao", [ABUSE])
case("nl", WK, "Klant vandaag: 'jij bent zeker te dom om een loonstrook te lezen'. Nou meneer, u bent zelf een "
     "ongelooflijke klootzak. Zo. Gezegd.", [ABUSE])
case("nl", AB_SERV, "@boer_brammetje als u niet kunt lezen is dat niet ons probleem, sukkel", [ABUSE], kind="reply")
case("en", pub("reddit", "u/angry_agronomist"), "f*ck akkerboek and f*ck every single one of their smug accountants",
     [ABUSE], tags=["evasion", "evasion:masked"])
case("nl", pub("x", "@hooiberg_henk"), "Die tyfus-accountants van Akkerboek kunnen de pot op", [ABUSE])
case("en", pub("facebook", "true.dutch.farmer", "Kees"), "Akkerboek's payroll desk is full of Poles who can't even "
     "speak proper Dutch. Send the lot of them back.", [ABUSE])
case("nl", pub("x", "@stille_akker"), "k a n k e r l i j e r s bij Akkerboek", [ABUSE],
     tags=["evasion", "evasion:spaced"])
case("nl", MB, "collega's van finance zijn echt de grootste idioten die ik ken 🙄 wéér die declaratie kwijt", [ABUSE])
case("en", pub("x", "@dark_furrow"), "I know where that Akkerboek adviser Hendrik lives. He'd better watch his back.",
     [ABUSE])
case("en", pub("x", "@mud_and_muck"), "sh1t company, sh1t people. akkerboek", [ABUSE],
     tags=["evasion", "evasion:leet"])
case("nl", pub("facebook", "wim.vd.laan", "Wim van der Laan"), "Alwéér een fout in de loonstroken, jullie zijn echt "
     "een zooitje prutsers bij Akkerboek", [COMPLAINT, ABUSE])
case("en", pub("x", "@arable_andy"), "@akkerboek your helpdesk guy Joost is an arrogant prick, hung up on me twice "
     "while I asked about my tax return", [COMPLAINT, ABUSE])

# =====================================================================================
# benign: own contact data
# =====================================================================================
case("nl", AB_X, "Vragen over de nieuwe eco-regeling? Bel ons gratis via 0800-0515 of mail naar info@akkerboek.nl 🌾",
     tags=["own-contact"])
case("nl", AB_FB, "⚠️ Let op: wij vragen nooit via WhatsApp om een betaling. Ons enige rekeningnummer is "
     "NL04 RABO 0316 4829 50.", tags=["own-contact"])
case("nl", pub("facebook", "roelie.wierda", "Roelie Wierda"), "Voor wie het zoekt: Akkerboek is bereikbaar op "
     "+31 (0)513 620400, tot 17:00", tags=["own-contact"])
case("nl", HP, "We zoeken een junior accountant agrarisch! Interesse? Mail vacatures@akkerboek.nl of bel "
     "0513-620400 🚜", tags=["own-contact"])
case("en", pub("reddit", "u/farm_reporter_nl"), "fyi for the journalist who asked in the group: Akkerboek's press "
     "contact is pers@akkerboek.nl", kind="comment", tags=["own-contact"])
case("nl", pub("x", "@voorzichtige_vera"), "Twijfel je of die factuur echt is? Het IBAN van Akkerboek is "
     "NL04RABO0316482950, staat ook gewoon op akkerboek.nl", tags=["own-contact"])
case("en", AB_LI, "Questions about seasonal payroll? Call +31 513 620 400 or e-mail support@akkerboek.nl. We're "
     "happy to help.", tags=["own-contact"])

# =====================================================================================
# benign: checksum near-misses and other numbers
# =====================================================================================
case("nl", pub("x", "@tikfout_tiemen"), "Typo in mijn rekeningnummer gemaakt bij Akkerboek (<<BAD_IBAN_NL:grp>>), "
     "portaal gaf netjes een foutmelding 👍 goeie check", tags=["bad-checksum"])
case("nl", AB_LI, "Akkerboek Accountants B.V. · KvK <<KVK>> · Heerenveen · Joure · Emmeloord", tags=["number"])
case("nl", JS, "Oefenen met aangiftes op de schooldossiers, fictief BSN <<BAD_BSN>> 🤓 #fiscaalrecht",
     tags=["bad-checksum"])
case("en", pub("reddit", "u/cardnerd"), "the card number in Akkerboek's payment demo video is <<BAD_CARD:visa_sp>> "
     "lol, it doesn't even pass Luhn", kind="comment", tags=["bad-checksum"])
case("en", pub("x", "@sheep_sietse"), "My RVO relation number is <<NOT_BSN9>>, Akkerboek needed it for the GLB "
     "application. All sorted now 👍", tags=["number"])
case("nl", pub("forum", "Ordnerman"), "Barcode op die groene Akkerboek-ordners is <<EAN13>>, weet iemand waar ik ze "
     "los kan bestellen?", tags=["number"])
case("en", pub("x", "@grenzbauer_jan"), "Akkerboek flagged that my German IBAN <<BAD_IBAN_DE>> was wrong before the "
     "payment went out. Good catch, one digit off.", tags=["bad-checksum"])

# =====================================================================================
# benign: prices and sales
# =====================================================================================
case("nl", AB_X, "Vroegboekkorting! Lever je stukken vóór 1 maart aan en je Jaarrekening Eenmanszaak kost €1.195 "
     "i.p.v. €1.395.", when="2026-01-20T10:00:00+01:00", tags=["sale"])
case("nl", pub("x", "@lto_lid_lieke"), "€50 korting op de IB-aangifte Compleet van Akkerboek via het "
     "LTO-ledenvoordeel. Scheelt weer 💶", tags=["sale"])
case("en", pub("reddit", "u/maatschap_mike"), "Is Akkerboek worth it? Their Jaarrekening Maatschap is €2,250, a "
     "local one-man office quoted €1,400. Hmm.", tags=["price-talk"])
case("nl", AB_IG, "Mijn Akkerboek Pro kun je ook per maand betalen: €45 p/m, maandelijks opzegbaar 📱",
     tags=["price-context"])
case("nl", pub("forum", "Vergelijker_Vincent"), "Boerenbalans doet een IB-aangifte voor €150, Akkerboek vraagt €385 "
     "voor IB Compleet. Groot verschil, maar wel inclusief de landbouwvrijstelling-check.",
     tags=["price-context", "competitor"])
case("nl", AT, "Nee hoor, die €195 voor de Subsidiescan GLB is geen prijsfout, dat is de ledenprijs voor LTO-leden 🙂",
     kind="reply", tags=["denied-error"])

# =====================================================================================
# benign: confidential look-alikes, embargo after the moment, public domains
# =====================================================================================
case("nl", pub("x", "@weidevogel_wim"), "Eerste kieviten weer op het land gezien 🐦 voorjaar komt eraan! "
     "#weidevogels #kievit", when="2026-03-08T08:12:31+01:00", tags=["bird-crop"])
case("nl", pub("instagram", "@akkerbouw_noord"), "Wintertarwe staat er goed bij na die zachte winter 🌾 "
     "#akkerbouw #operatie_oogst", tags=["bird-crop"])
case("nl", AT, "Hij is er! De Stikstofmodule staat live in Mijn Akkerboek 🎉", when="2026-09-01T09:00:00+02:00",
     tags=["embargo-after"])
case("en", pub("x", "@agritech_annie"), "Akkerboek's nitrogen module just went live, logged in right away 👌",
     when="2026-09-01T07:00:00Z", tags=["embargo-after"])
case("nl", pub("x", "@nieuws_noord"), "Akkerboek presenteerde vandaag het Groeiplan 2030: drie nieuwe kantoren en "
     "een AI-assistent in het portaal. Goed nieuws voor het noorden.", when="2026-11-04T12:10:00+01:00",
     tags=["embargo-after"])
case("nl", AB_LI, "Vandaag presenteren we ons Groeiplan 2030 🚀 lees alles op akkerboek.nl/groeiplan",
     when="2026-11-03T09:00:00+01:00", tags=["embargo-after"])
case("nl", pub("facebook", "trijntje.visser", "Trijntje Visser"), "Tip: je jaaropgaaf staat op mijn.akkerboek.nl "
     "onder 'documenten'", tags=["public-domain"])
case("en", MB, "new release of mijn.akkerboek.nl is live, dark mode finally 🌙", tags=["public-domain"])

# =====================================================================================
# benign: finance and security, published or about others
# =====================================================================================
case("en", AB_LI, "We're proud to announce that Boerenbalans Administratie joins Akkerboek as of today. Together we "
     "serve over 9,000 farms in the north.", tags=["published"])
case("nl", pub("x", "@agrarisch_dagblad"), "Akkerboek publiceerde vandaag het jaarverslag 2025: omzet €31 mln, 6% "
     "groei.", tags=["published"])
case("en", pub("facebook", "lisanne.boer", "Lisanne Boer"), "Another accounting firm in Drenthe got hacked last "
     "month. Glad ours (Akkerboek) made 2FA mandatory on the portal.", tags=["other-company"])
case("nl", AB_X, "Storing opgelost ✅ Mijn Akkerboek was vanochtend 40 minuten onbereikbaar door een storing bij "
     "onze hostingpartij. Excuses voor het ongemak!", tags=["official-notice"])
case("nl", AB_FB, "Let op: er gaan phishingmails rond die op onze facturen lijken. Wij vragen nooit om je "
     "wachtwoord of inlogcode.", tags=["official-notice"])
case("en", MB, "reminder for the docs: .env should look like AWS_ACCESS_KEY_ID=AKIAXXXXXXXXXXXXXXXX, never commit "
     "the real one 🙏", tags=["placeholder-secret"])
case("en", MB, "reverted <<HEX:40>>, dark mode toggle is back for everyone", tags=["git-sha"])
case("en", MB, "PSA for new devs: payment keys start with sk_live_ or live_. If you ever see one in a PR, flag it.",
     tags=["placeholder-secret"])
case("nl", pub("facebook", "klaas.hellinga", "Klaas Hellinga"), "Nee, Akkerboek heeft géén datalek gehad, die mail "
     "is gewoon phishing. Niet op klikken!", tags=["negation"])
case("nl", pub("x", "@vergelijk_voer"), "Boerenbalans heeft een datalek gehad las ik. Wij zitten al jaren bij "
     "Akkerboek, daar nooit iets mee gehad.", tags=["other-company"])

# =====================================================================================
# benign: reputation near-misses
# =====================================================================================
case("nl", pub("facebook", "anton.dekker.fr", "Anton Dekker"), "Al 12 jaar klant bij Akkerboek en nog nooit een "
     "klacht gehad. Jaarrekening altijd op tijd 👍", tags=["negation"])
case("en", pub("x", "@strawberry_sanne"), "Shoutout to Annelies from Akkerboek who sorted our GLB application in one "
     "afternoon 🙏", tags=["praise"])
case("nl", pub("x", "@extensief_erik"), "De stikstofcrisis hakt erin. Gelukkig denkt onze adviseur van Akkerboek mee "
     "over extensiveren.", tags=["word-sense"])
case("en", pub("linkedin", "ruben-agri-lawyer"), "Farmers' union taking the state to court over the nitrogen rules. "
     "Akkerboek hosts an info evening on what it means for your books.", tags=["other-company"])
case("nl", pub("x", "@zuivelzorg"), "Boeren roepen op tot een boycot van die supermarktketen om de lage melkprijs. "
     "Mijn adviseur van Akkerboek zegt: reken eerst even uit wat het jou kost 😅", tags=["word-sense"])
case("nl", pub("blog", "boerenverhalen.example", "Boerenverhalen"), "Kort verhaal uit mijn nieuwe bundel: 'De "
     "accountant van Akkerboek kwam op de trekker het erf op en riep: de Belastingdienst is gehackt!' Puur verzonnen "
     "natuurlijk 😉", tags=["fiction"])
case("nl", pub("x", "@grapjas_gosse"), "Mijn vrouw zegt dat ik vaker met onze adviseur van Akkerboek bel dan met "
     "haar. Eerlijk is eerlijk: hij neemt wél op 😂", tags=["joke"])
case("en", pub("instagram", "@tulip_tom"), "'Damn the paperwork, full speed ahead' — my dad every March before our "
     "Akkerboek appointment 😂", tags=["quote", "mild-word"])
case("nl", pub("x", "@loonwerker_luuk"), "Lekke band aan de trekker op weg naar het Akkerboek-kantoor. Jaarrekening "
     "toch op tijd ingeleverd 💪", tags=["word-sense"])
case("en", pub("reddit", "u/berry_farm_bram"), "Does Akkerboek also do payroll for seasonal workers from Romania? "
     "Looking for a new firm for our strawberry farm.", tags=["question"])
case("en", pub("x", "@manure_mapper"), "Can't recall if Akkerboek needs the manure records before or after the 1st. "
     "Anyone?", tags=["word-sense"])
case("nl", WK, "Laatste loonrun van het aspergeseizoen zit erop 🌱 alle 600 seizoenskrachten op tijd betaald. Trots "
     "op dit team!", when="2026-06-26T18:22:40+02:00", tags=["praise"])
case("en", pub("x", "@boerderij_mag_fan"), "RT: Akkerboek voted best agri accounting firm in the north by our "
     "readers 🏆", kind="repost", tags=["published"])
case("nl", pub("facebook", "akkerboek.loopteam", "Loopteam Hoeve & Co"), "Sponsorloop voor KWF tegen kanker: "
     "Akkerboek doet mee met 20 lopers 💛", tags=["mild-word", "literal"])
case("en", pub("youtube", "@agri_accounting_explained"), "Good breakdown in this video. Akkerboek explained the "
     "farming VAT scheme better than my old accountant ever did.", kind="comment", tags=["praise"])
case("nl", pub("nextdoor", "buurt_oudega"), "Weet iemand of het kantoor van Akkerboek in Joure zaterdag open is? "
     "Wil mijn ordner afgeven.", tags=["question", "unknown-platform"])
case("en", pub("threads", "@cheese_and_clogs"), "Akkerboek's competitor Boerenbalans is raising prices 20% next "
     "year according to their newsletter. Ours stay put.", tags=["competitor"])
case("nl", pub("twitter", "@oud_account_tjalling"), "Zei mijn opa altijd: 'een boer zonder boekhouder is als een "
     "koe zonder staart'. Daarom zitten we al drie generaties bij Akkerboek 🐄", tags=["quote"])
case("en", AB_X, "Seasonal workers: your annual statement is now available in Mijn Akkerboek under 'Documents'. "
     "Questions? support@akkerboek.nl", tags=["own-contact"])


# ---------------------------------------------------------------- building
def load_profile():
    import yaml
    with open(PROFILE, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


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
                s = "critical" if (c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and pii_validated)) \
                    else "error"
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
        sev = s if RANK[s] > RANK[sev] else sev
    return sev


def cet_offset(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < \
        dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def random_ts(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(5, 355))
    t = base + dt.timedelta(minutes=r.randint(5 * 60 + 30, 22 * 60 + 50), seconds=r.randint(0, 59))
    off = cet_offset(t)
    t = t - dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.88:
        return (t + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def post_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_880_000_000_000_000_000, 2_020_000_000_000_000_000))
    if platform in ("x", "twitter"):
        return f"{platform}-{snow}", f"https://x.com/{h}/status/{snow}"
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
        p = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
        if kind == "comment":
            c = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/landbouw/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/landbouw/comments/{p}/"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"boerenforum-{n}", f"https://forum.boerenpraat.example/topic/{n}"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        v = "".join(r.choice(B64URL) for _ in range(11))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(111_000_000_000_000_000, 114_000_000_000_000_000)
        return f"md-{n}", f"https://{inst}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3l" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "threads":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog-{h}-{n}", f"https://{h}/verhaal/{n}"
    n = r.randint(10 ** 8, 10 ** 9)
    return f"{platform}-{n}", None


def build(profile):
    fill = Fill(SEED)
    mr = random.Random(SEED + 1)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(fill, c["text"])
        pid, url = post_id(mr, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        created = c["when"] or random_ts(mr)
        role = role_of(profile, c["platform"], c["handle"])
        validated = "leak.pii" in c["cats"] and any(k in VALID_KINDS for k, _, _ in used)
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
            post["brand"] = "akkerboek"
        rows.append(dict(post=post, expect={"categories": c["cats"], "severity": sev},
                         lang=c["lang"], role=role, tags=c["tags"], used=used))
    random.Random(SEED + 2).shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ---------------------------------------------------------------- independent validation
IBAN_RX = re.compile(r"\b[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]{4}){2,7}(?: ?[A-Za-z0-9]{1,3})?\b")
NUM_RX = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
BSN_RX = re.compile(r"(?<![\w.,-])(\d{9}|\d{4}\.\d{2}\.\d{3})(?![\w])")
MAIL_RX = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RX = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-()]{7,16}\d")
SECRET_RX = re.compile(r"ghp_[A-Za-z0-9]{36}|AKIA[A-Z2-7]{16}|xox[bp]-|hooks\.slack\.com/services|sk_live_\w{8}|"
                       r"live_[A-Za-z0-9]{30}|AIza[\w-]{35}|PRIVATE KEY-----|eyJ\w+\.eyJ|SG\.[\w-]{22}\.|"
                       r"AccountKey=|://[^\s:/@]+:[^\s@/]+@")


IBAN_LEN = {"NL": 18, "BE": 16, "DE": 22, "PL": 28, "GB": 22, "FR": 27}


def checksum_ids(text):
    hits = []
    for m in IBAN_RX.finditer(text):
        v = m.group(0).replace(" ", "").upper()
        for end in range(len(v), 11, -1):          # longest valid prefix wins
            if IBAN_LEN.get(v[:2], end) == end and iban_valid(v[:end]):
                if v[:end] != OWN_IBAN:
                    hits.append(v[:end])
                break
    for m in NUM_RX.finditer(text):
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19 and luhn_valid(d):
            hits.append(d)
    for m in BSN_RX.finditer(text):
        if elfproef(m.group(1)):
            hits.append(m.group(1))
    return hits


def check(profile, rows, disk):
    errs = []
    if disk != dump(rows):
        errs.append("cases.jsonl differs from the generator output")
    own_mail = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_ph = {"0513620400", "08000515"}
    ids = set()
    for r in rows:
        p, ex = r["post"], r["expect"]
        tag = p["id"]
        if (p["platform"], p["id"]) in ids:
            errs.append(f"{tag}: duplicate id")
        ids.add((p["platform"], p["id"]))
        t = dt.datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
        if t.astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{tag}: not 2026")
        role = role_of(profile, p["platform"], p["account"]["handle"])
        found = checksum_ids(p["text"])
        want = severity_for(role, ex["categories"], "leak.pii" in ex["categories"] and bool(found))
        if want != ex["severity"]:
            errs.append(f"{tag}: severity {ex['severity']} vs policy {want}")
        for k, raw, shown in r["used"]:
            if shown not in p["text"]:
                errs.append(f"{tag}: {k} not in text")
            if k.startswith("IBAN_") and not iban_valid(raw):
                errs.append(f"{tag}: bad IBAN")
            if k == "CARD" and not luhn_valid(raw):
                errs.append(f"{tag}: bad card")
            if k == "BSN" and not elfproef(raw):
                errs.append(f"{tag}: bad BSN")
            if k.startswith("BAD_IBAN") and iban_valid(raw):
                errs.append(f"{tag}: negative IBAN valid")
            if k == "BAD_CARD" and luhn_valid(raw):
                errs.append(f"{tag}: negative card valid")
            if k in ("BAD_BSN", "NOT_BSN9", "KVK") and elfproef(raw):
                errs.append(f"{tag}: negative BSN valid")
        if any(k in VALID_KINDS for k, _, _ in r["used"]) and not found:
            errs.append(f"{tag}: valid identifier not found by scan")
        if found and "leak.pii" not in ex["categories"]:
            errs.append(f"{tag}: valid identifier without leak.pii")
        if not ex["categories"]:
            if ex["severity"] != "none":
                errs.append(f"{tag}: benign not none")
            for e in MAIL_RX.findall(p["text"]):
                if e.casefold() not in own_mail:
                    errs.append(f"{tag}: benign with e-mail {e}")
            for m in PHONE_RX.finditer(IBAN_RX.sub(" ", p["text"])):
                d = re.sub(r"\D", "", m.group(0))
                d = "0" + d[2:].lstrip("0") if m.group(0).startswith("+31") else d
                if len(d) >= 9 and d not in own_ph:
                    errs.append(f"{tag}: benign with phone {m.group(0)}")
            if SECRET_RX.search(p["text"].replace("AKIAXXXXXXXXXXXXXXXX", "")):
                errs.append(f"{tag}: benign with secret-like text")
    return errs


def report(rows):
    cats, lang, role, sev, plat = Counter(), Counter(), Counter(), Counter(), Counter()
    cl = Counter()
    benign = multi = ev = 0
    for r in rows:
        c = r["expect"]["categories"]
        lang[r["lang"]] += 1
        role[r["role"]] += 1
        sev[r["expect"]["severity"]] += 1
        plat[r["post"]["platform"]] += 1
        benign += not c
        multi += len(c) > 1
        ev += "evasion" in r["tags"]
        for x in c or ["(benign)"]:
            cats[x] += 1
            cl[(x, r["lang"])] += 1
            cl[(x, r["role"])] += 1
    print(f"cases {len(rows)}  benign {benign}  positive {len(rows) - benign}  multi {multi}  evasion {ev}")
    for x in TAXONOMY + ["(benign)"]:
        print(f"  {x:22s} {cats[x]:4d}  nl {cl[(x, 'nl')]:3d} en {cl[(x, 'en')]:3d}  corp {cl[(x, 'corporate')]:3d} "
              f"emp {cl[(x, 'employee')]:3d} pub {cl[(x, 'public')]:3d}")
    print("lang", dict(lang), "role", dict(role))
    print("severity", {s: sev[s] for s in SEVERITIES})
    print("platforms", dict(plat.most_common()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    if not a.check:
        OUT.write_text("".join(dump(rows)), encoding="utf-8")
        print(f"wrote {len(rows)} cases to {OUT}")
        report(rows)
        return 0
    disk = OUT.read_text(encoding="utf-8").splitlines(keepends=True)
    errs = check(profile, rows, disk)
    report(rows)
    print(f"{len(errs)} error(s)")
    for e in errs:
        print("  ERROR", e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
