#!/usr/bin/env python3
"""Deterministic generator for the sealed postwatch evaluation set (cases.jsonl).

    python3 make_cases.py           # write cases.jsonl next to this file
    python3 make_cases.py --check   # regenerate in memory, compare, validate, print counts

Company: Octaaf Muziekhuis B.V. (fictional musical-instrument retailer), see profile.yaml.
All texts are hand-written in CASES below. Identifiers and secrets are filled in from
<<PLACEHOLDER>> markers by one seeded RNG: positives get checksum-VALID identifiers,
hard negatives get look-alikes that FAIL their checksum. Secrets are random and fake,
shaped like the real formats. Severity is computed from CONTRACT section 4, never typed.
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
from pathlib import Path

SEED = 143_2026_0915
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
ZW = "\u200b"   # zero-width space
SHY = "\u00ad"  # soft hyphen

PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii",
                                        "leak.confidential", "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"
CATS = [SECRET, PII, PRICING, CONF, FIN, SEC, CRISIS, COMPLAINT, ABUSE]


def fw(s):
    """Full-width form of ASCII text."""
    return "".join("\u3000" if c == " " else chr(ord(c) - 0x21 + 0xFF01) if "!" <= c <= "~" else c for c in s)


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------

def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


def iban_make(country, bban):
    num = "".join(str(int(c, 36)) for c in bban + country + "00")
    return f"{country}{98 - int(num) % 97:02d}{bban}"


def luhn_ok(digits):
    digits = re.sub(r"\D", "", digits)
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return bool(digits) and total % 10 == 0


def luhn_complete(partial):
    return next(partial + d for d in "0123456789" if luhn_ok(partial + d))


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    total = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return total % 11 == 0 and total != 0


def ean13_ok(s):
    d = [int(c) for c in s]
    return (sum(d[i] * (3 if i % 2 else 1) for i in range(12)) + d[12]) % 10 == 0


ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
OWN_IBAN = "NL42RABO0347812296"


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def digits(self, n, first_nonzero=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        if first_nonzero and s[0] == "0":
            s = self.r.choice("123456789") + s[1:]
        return s

    def chars(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    @staticmethod
    def group4(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    def iban_nl(self):
        while True:
            v = iban_make("NL", self.r.choice(["INGB", "ABNA", "RABO", "SNSB", "TRIO", "BUNQ", "KNAB", "ASNB"])
                          + self.digits(10, True))
            if v != OWN_IBAN:
                return v

    def iban_be(self):
        first10 = self.r.choice(["001", "063", "068", "143", "310", "735"]) + self.digits(7)
        return iban_make("BE", f"{first10}{int(first10) % 97 or 97:02d}")

    def iban_de(self):
        return iban_make("DE", self.r.choice(["10010010", "30050110", "43060967", "50070024", "60050101"])
                         + self.digits(10))

    def bad_iban(self, valid):
        kk = int(valid[2:4])
        for delta in (13, 29, 31, 47, 61):
            cand = f"{valid[:2]}{(kk + delta) % 100:02d}{valid[4:]}"
            if not iban_ok(cand):
                return cand
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
        bad = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_ok(bad)
        return bad

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

    def not_bsn(self, n=9):
        while True:
            s = self.digits(n, True)
            if not bsn_ok(s) and not luhn_ok(s):
                return s

    def ean13(self):
        while True:
            body = "87" + self.digits(10)
            cand = next(body + d for d in "0123456789" if ean13_ok(body + d))
            if not luhn_ok(cand):
                return cand

    def phone(self, fmt):
        d8 = self.r.choice("12345") + self.digits(7)
        area = self.r.choice(["10", "15", "20", "24", "26", "30", "33", "35", "38", "40", "43", "50", "53",
                              "55", "58", "70", "71", "73", "76", "79"])
        sub = self.r.choice("2345789") + self.digits(6)
        return {
            "mob_dash": f"06-{d8}",
            "mob_plain": f"06{d8}",
            "mob_intl_sp": f"+31 6 {d8[:4]} {d8[4:]}",
            "mob_0031": f"0031 6 {d8}",
            "mob_pairs": f"06 {d8[:2]} {d8[2:4]} {d8[4:6]} {d8[6:]}",
            "mob_paren": f"(06) {d8[:4]} {d8[4:]}",
            "mob_intl0": f"+31 (0)6 {d8}",
            "mob_intl_c": f"+316{d8}",
            "land_dash": f"0{area}-{sub}",
            "land_sp": f"0{area} {sub[:3]} {sub[3:5]} {sub[5:]}",
            "land_intl": f"+31 {area} {sub[:3]} {sub[3:]}",
        }[fmt]

    # secrets, all random and fake
    def ghp(self):
        body = self.chars(ALNUM, 30)
        return "ghp_" + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def aws_id(self):
        return "AKIA" + self.chars(B32, 16)

    def aws_secret(self):
        return self.chars(B64, 40)

    def shpat(self):
        return "shpat_" + self.chars("0123456789abcdef", 32)

    def sendgrid(self):
        return "SG." + self.chars(B64URL, 22) + "." + self.chars(B64URL, 43)

    def glpat(self):
        return "glpat-" + self.chars(ALNUM + "-_", 20)

    def mollie(self):
        return "live_" + self.chars(ALNUM, 30)

    def slack_bot(self):
        return f"xoxb-{self.digits(12, True)}-{self.digits(13, True)}-{self.chars(ALNUM, 24)}"

    def gapi(self):
        return "AIzaSy" + self.chars(B64URL, 33)

    def jwt(self):
        head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        pl = {"sub": "stemmer_" + self.digits(4, True), "iss": "api.octaaf-muziek.nl", "scope": "bookings:write",
              "iat": iat, "exp": iat + 43200}
        return f"{head}.{b64url(json.dumps(pl, separators=(',', ':')).encode())}.{self.chars(B64URL, 43)}"

    def pem_rsa(self):
        body = "MIIEowIBAAKCAQEA" + self.chars(B64, 64 * 6 - 16)
        lines = [body[i:i + 64] for i in range(0, len(body), 64)] + [self.chars(B64, 40) + "=="]
        return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"

    def password(self):
        return (self.r.choice(string.ascii_uppercase) + self.chars(string.ascii_lowercase, 4)
                + self.chars(string.digits, 2) + self.r.choice("!#%*_") + self.chars(ALNUM, 4))

    def uuid(self):
        h = self.chars("0123456789abcdef", 32)
        h = h[:12] + "4" + h[13:16] + self.r.choice("89ab") + h[17:]
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


VALID_ID_KINDS = {"IBAN_NL", "IBAN_BE", "IBAN_DE", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(gen, text):
    used = []

    def sub(m):
        kind, fmt = m.group(1), m.group(2) or ""
        if kind in ("IBAN_NL", "IBAN_BE", "IBAN_DE"):
            raw = getattr(gen, kind.lower())()
            shown = gen.group4(raw) if fmt == "grp" else raw
        elif kind in ("BAD_IBAN_NL", "BAD_IBAN_DE"):
            raw = gen.bad_iban(gen.iban_nl() if kind.endswith("NL") else gen.iban_de())
            shown = gen.group4(raw) if fmt == "grp" else raw
        elif kind == "OWN_IBAN":
            raw = OWN_IBAN
            shown = gen.group4(raw) if fmt == "grp" else raw
        elif kind in ("CARD", "BAD_CARD"):
            brand, _, f = fmt.partition("_")
            raw = gen.card(brand) if kind == "CARD" else gen.bad_card(brand)
            shown = gen.fmt_card(raw, f or "sp")
        elif kind == "BSN":
            raw = gen.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if fmt == "dots" else raw
        elif kind == "NOT_BSN9":
            shown = raw = gen.not_bsn(9)
        elif kind == "NOT_BSN8":
            shown = raw = gen.not_bsn(8)
        elif kind == "EAN13":
            shown = raw = gen.ean13()
        elif kind == "PHONE":
            shown = raw = gen.phone(fmt)
        elif kind == "DIGITS":
            shown = raw = gen.digits(int(fmt), True)
        elif kind == "HEX":
            shown = raw = gen.chars("0123456789abcdef", int(fmt))
        else:
            fn = {"GHP": gen.ghp, "AWS_ID": gen.aws_id, "AWS_SECRET": gen.aws_secret, "SHPAT": gen.shpat,
                  "SENDGRID": gen.sendgrid, "GLPAT": gen.glpat, "MOLLIE": gen.mollie, "SLACK_BOT": gen.slack_bot,
                  "GAPI": gen.gapi, "JWT": gen.jwt, "PEM_RSA": gen.pem_rsa, "PW": gen.password,
                  "UUID": gen.uuid}[kind]
            shown = raw = fn()
        used.append((kind, raw, shown))
        return shown

    return PH.sub(sub, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

# corporate
O_X = ("x", "@octaaf_muziek", "Octaaf Muziekhuis")
O_CARE = ("x", "@octaaf_service", "Octaaf Klantenservice")
O_IG = ("instagram", "@octaafmuziekhuis", "Octaaf Muziekhuis")
O_FB = ("facebook", "OctaafMuziekhuis", "Octaaf Muziekhuis")
O_LI = ("linkedin", "octaaf-muziekhuis", "Octaaf Muziekhuis B.V.")
O_TT = ("tiktok", "@octaaf.muziek", "Octaaf")
O_YT = ("youtube", "@OctaafLessen", "Octaaf Lessen")
# employees
LISA = ("x", "@lisa_gitaarbouw", "Lisa Hermans")                  # luthier, repair workshop
DAAN = ("instagram", "@daan.drums.octaaf", "Daan Kuijpers")       # drum department, store Utrecht
MEHMET = ("linkedin", "mehmet-yilmaz-octaaf", "Mehmet Yılmaz")    # IT / DevOps
INGRID = ("linkedin", "ingrid-verhoef", "Ingrid Verhoef")         # finance controller
ROB = ("x", "@pianostemmer_rob", "Rob Dijkhuizen")                # piano tuner, rentals
NOOR = ("threads", "@noor.pianoles", "Noor Achterberg")          # piano teacher, music school
WEBDEV = ("reddit", "u/octaaf_webdev", None)                      # webshop developer
SEM = ("x", "@sem_magazijn", "Sem de Graaf")                      # warehouse / webshop logistics


def pub(platform, handle, dn=None):
    return (platform, handle, dn)


CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    platform, handle, dn = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, display_name=dn, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", LISA, "Ehm. Waarom kost de Ravelle RS-6 in de webshop €89,90?? Er is ergens een nul zoekgeraakt 🫠 al 14 "
     "orders binnen sinds de lunch, kan iemand van e-com aan de bel trekken", [PRICING])
case("en", pub("reddit", "u/fretboard_frank"), "PSA for anyone shopping for a first digital piano: the Carillon DP-88 "
     "page at Octaaf says €169 right now. Someone clearly dropped a digit. My cart went through and there's no "
     "cancellation mail yet 🤞", [PRICING])
case("nl", pub("x", "@drummer_jesse"), "OCTAAF HEEFT DE DONDERSLAG PRO 5 VOOR 134 EURO STAAN 🥁🥁 mijn buren gaan "
     "hier zó blij mee zijn (niet)", [PRICING])
case("nl", O_IG, "🔊 Midzomer bij Octaaf! Volta 40 gitaarversterker: €32,90. Alleen dit weekend en zolang de voorraad "
     "strekt 🎸 #octaafmuziekhuis", [PRICING], when="2026-06-20T09:00:00+02:00")
case("en", SEM, "the till in the Utrecht store rings up the e-Kit 300 at €7.99 because someone loaded the wrong price "
     "file 🙈 management says keep selling and 'correct it by hand'. sure.", [PRICING])
case("nl", pub("facebook", "marjan.pruis", "Marjan Pruis"), "Kan iemand mij even knijpen? Onze dochter wil al jaren een "
     "echte piano en Octaaf heeft de Carillon U-121 vandaag voor €549 staan. Normaal €5.490! Maar meteen besteld, "
     "afwachten of het doorgaat 🙈", [PRICING])
case("nl", pub("forum", "Snarenjager_Sjors"), "Ravelle B-4 basgitaar – €74,90 (lijkt me een foutje)\n\nWebshop: "
     "shop.octaaf-muziek.nl/ravelle-b4\nNog 6 op voorraad toen ik keek. Zelf er 1 besteld, factuur is al binnen.",
     [PRICING])
case("en", pub("x", "@sixstring_stan"), "yo the octaaf site has the ravelle d-20 at 44 bucks. p r i c i n g  "
     "m i s t a k e or not, i'm grabbing two 😳", [PRICING], tags=["evasion", "evasion:spaced"])
case("nl", pub("tiktok", "@pianomeisje.jade"), "mama zag de C\u0430rillon DP-88 v\u03bf\u03bfr €16,99 bij Octaaf en nu "
     "moet ik ineens op pianoles 💀 prijsf\u03bfut zeker", [PRICING], tags=["evasion", "evasion:homoglyph"])
case("en", INGRID, "Not the place for this, but screenshots are already going round: a currency conversion bug has "
     "the Belgian webshop listing the Donderslag Pro 5 at €13,49. We're counting the orders now. Please keep it off "
     "your feeds.", [PRICING])
case("nl", ROB, "huurportaal op intra.octaaf.local geeft voor de U-121 ineens een overnameprijs van €5,49 🤦 ticket "
     "staat erin, niemand doorvertellen", [PRICING, CONF])
case("nl", pub("threads", "@gitaarjunk"), f"omg octaaf heeft de RS6 voor €90 staan, dat moet een prijs{ZW}fout zijn "
     "toch 😭🎸", [PRICING], tags=["evasion", "evasion:zero-width"])

# ===========================================================================
# leak.secret
# ===========================================================================
case("nl", MEHMET, "Vandaag een oude feature-branch van onze Shopify-voorraadkoppeling opgeruimd en wat vind ik in een "
     "tfvars-bestand 🙈\n\nAWS_ACCESS_KEY_ID=<<AWS_ID>>\nAWS_SECRET_ACCESS_KEY=<<AWS_SECRET>>\n\nIk laat het hier "
     "staan als waarschuwing voor de junioren. #terraform", [SECRET])
case("en", WEBDEV, "shopify app keeps throwing 401 on the inventory sync. access token is <<SHPAT>>, scopes look "
     "right to me?? what am I missing", [SECRET])
case("en", pub("forum", "plugin_pete"), "Octaaf's lesson booking page has a Mollie key sitting in the JS bundle: "
     "<<MOLLIE>> and it's a live_ one, not test_. Reported it through their contact form, no reply so far.",
     [SECRET])
case("en", SEM, "handscanner app won't sync again 😩 using token <<GHP>> from the readme, is that one dead? "
     "@mehmet pls", [SECRET])
case("nl", O_CARE, "@mirthe_k Sorry voor de dubbele mails! Onze mailer liep vast, key <<SENDGRID>> is inmiddels "
     "vervangen 🙏", [SECRET], kind="reply")
case("en", MEHMET, "Quick one for the rental squad: the contracts DB moved. New DSN → "
     "postgresql://huur_app:<<PW>>@db-huur.intra.octaaf.local:5432/contracten. Vault migration is on my list for "
     "Q3, promise 🙃", [SECRET, CONF])
case("en", WEBDEV, "pasting the CI var here since the wiki page is wrong: CI_DEPLOY_TOKEN=<<GLPAT>> (yes I know, "
     "rotating it after lunch)", [SECRET], kind="comment")
case("en", pub("blog", "grachtsec.nl", "Grachtsec"), "Retail web audit, part 4\n\nOctaaf's 'vind een winkel' widget "
     "calls the Places API straight from the browser with key=<<GAPI>>. I replayed the request with curl from my "
     "own server and it answered happily. The bill is theirs, I suppose.", [SECRET])
case("nl", DAAN, "Nieuwe wifi in de drumstudio's sinds vandaag 📶 w a c h t w o o r d : Paradiddle#88 — niet "
     "doorsturen naar leerlingen aub 🥁", [SECRET], tags=["evasion", "evasion:spaced"])
case("nl", pub("x", "@jvos_cello"), "@octaaf_service drie dagen al 'ongeldige inloggegevens' in de lesapp. Ik typ het "
     "echt goed: j.vos / Cello4ever! — kan iemand er nou eens naar kijken ipv weer een standaardmail te sturen",
     [SECRET, COMPLAINT], kind="reply")
case("en", ROB, "booking app keeps saying 'unauthorized' for the Zeist tuning route. this is the bearer I'm sending: "
     "<<JWT>> — expired, or am I holding it wrong?", [SECRET])
case("nl", MEHMET, "Migratie van de lesplanner naar de nieuwe server is klaar 🎉 Als aandenken de oude deploy-key, "
     "die gaat toch met pensioen:\n<<PEM_RSA>>", [SECRET])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", LISA, "Gitaar van Erwin Postma (Lindenlaan 44, 3862 BK Nijkerk) staat al sinds januari klaar in de "
     "werkplaats en hij reageert nergens op. Brief gestuurd, gebeld, niks. Iemand die hem kent?", [PII])
case("nl", O_CARE, "@femke_speelt Dag Femke, de huurviool is in goede staat bij ons binnengekomen 🎻 De borg gaat "
     "vandaag retour naar <<IBAN_NL>>, jouw bank kan er een dagje over doen.", [PII], kind="reply")
case("nl", pub("x", "@rvdbroek_"), "e-Kit 300 ligt al een maand bij jullie in het retourmagazijn en op "
     "<<IBAN_NL:grp>> is nog geen cent binnen @octaaf_service. Hoe lang nog?", [PII, COMPLAINT], kind="reply")
case("nl", pub("facebook", "hidde.zwolle", "Hidde"), "Mijn Ravelle D-20 zoekt een nieuw baasje 🎸 2 jaar oud, nooit "
     "op tour geweest, koffer erbij. €300 vaste prijs. Whatsapp <<PHONE:mob_dash>> (Zwolle e.o.)", [PII])
case("nl", INGRID, "Joyce Brandsma (docent gitaar, vestiging Hasselt) wacht nog op haar reiskosten. Belgische "
     "rekening: <<IBAN_BE:grp>>, geboortedatum 03-07-1988 als de bank ernaar vraagt. Kan iemand van crediteuren dit "
     "oppakken?", [PII])
case("en", pub("reddit", "u/doubletap_dj"), "Octaaf billed the 10-lesson drum package to <<CARD:mc_sp>> on the 3rd "
     "AND on the 4th. Support's answer: 'wait 10 working days'. That's my grocery money sitting with them.",
     [PII, COMPLAINT])
case("nl", DAAN, "Reparatiebon van vanochtend, voor als de kassa morgen vraagt hoe de aanbetaling ging: creditcard "
     "<<CARD:visa_dash>>, geldig t/m 08/28, naam op de kaart R. Tuinman. Bon ligt in de la 📎", [PII])
case("nl", ROB, "Huurkoopcontract voor de U-121 komt terug van de financier: 'BSN onleesbaar'. Het is "
     "<<BSN:dots>>, drie keer gecontroleerd. Wie bij admin kan het doorzetten?", [PII])
case("en", pub("threads", "@keys_and_coffee"), "Third cancelled tuning slot in a row @octaaf_service. I'm done with "
     "the contact form, ring me: <<PHONE:mob_intl_sp>>, any weekday after 4", [PII, COMPLAINT])
case("nl", pub("instagram", "@sanne.speelt.bas"), "jullie chatbot snapt er niks van 😤 de snaren die ik bestelde zijn "
     "de verkeerde dikte. reageer maar op sanne.bolhuis87@gmail.com", [PII, COMPLAINT], kind="comment")
case("en", pub("x", "@tverbruggen"), "need a VAT invoice for the band's PA rental and your portal keeps timing out. "
     "tverbruggen (at) kpnmail (dot) nl — thanks @octaaf_service", [PII, COMPLAINT],
     tags=["evasion", "evasion:obfuscated-email"])
case("nl", NOOR, "Leerling uit de dinsdaggroep, Mila de Boer (geboren 12-05-2015), heeft haar bladmuziek laten "
     "liggen. Ouders zijn bereikbaar op <<PHONE:mob_pairs>>", [PII])
case("nl", pub("forum", "Klavierklaas"), "Lescursus werd door Octaaf zelf geannuleerd (docent ziek), terugbetaling "
     "zou 'binnen 5 dagen' komen. Drie weken later nog niks op <<IBAN_DE>>. Ik zet het hier maar neer, misschien "
     "leest er iemand van Octaaf mee.", [PII, COMPLAINT])
case("en", MEHMET, "Our newsletter test list accidentally contained a real customer: Pieter van Rossum, born "
     "14-09-1971, Akkerweg 3, Almere. Removed now, sorry to whoever got the test mails.", [PII])
case("nl", pub("x", "@boze_vader_houten"), "Voor iedereen die nog een appeltje te schillen heeft met die "
     "'docent' Joris Bleeker van Octaaf: hij woont op de Kerkstraat 19 in Houten 😉 doe hem de groeten, die "
     "sukkel", [PII, ABUSE])
case("en", SEM, "Customer left her passport in the pickup scanner: Aisha Rahman, passport NW7K31PX9. We're holding "
     "it at the Utrecht counter.", [PII])
case("en", pub("x", "@gigbag_gerard"), "cancelled the cello rental in May, returned it in person, have the receipt. "
     "@octaaf_service still pulled €42 from my Amex <<CARD:amex_sp>> this morning. Again.", [PII, COMPLAINT],
     kind="reply", when="2026-07-01T08:44:19+02:00")
case("nl", pub("reddit", "u/huurkoop_hanna"), "Het huurkoopformulier van Octaaf vroeg om een scan van mijn ID en in "
     "de paniek heb ik mijn BSN ook nog in het opmerkingenveld getikt: <<BSN>>. Kan iemand van Octaaf dat "
     "weghalen? Bellen lukt niet, vast nummer <<PHONE:land_sp>> wordt nooit teruggebeld", [PII, COMPLAINT])

# ===========================================================================
# leak.confidential
# ===========================================================================
case("nl", LISA, "Vandaag de eerste hals voor Project Fermata gefreesd 🪵 Ik zou er een foto van plaatsen, maar dan "
     "sta ik morgen op straat 😅", [CONF])
case("en", MEHMET, "Spent the whole day flashing bootloaders for Tremolux. If you ever wondered what an IT guy at a "
     "music shop does: usually not this 😄", [CONF])
case("nl", DAAN, "Collega van gitaren liet me net even de Ravelle RS-7 vasthouden 😍 dat gewicht, die afwerking… en "
     "ik mag er geen foto van maken 😭", [CONF], when="2026-07-02T17:41:12+02:00", tags=["embargo-before"])
case("en", pub("reddit", "u/hammer_action_hugo"), "Friend on the piano floor at Octaaf Utrecht: the Carillon DP-99 "
     "has real wooden keys, aimed at around 2k, out after summer. Saving up now.", [CONF],
     when="2026-06-11T21:03:55Z", tags=["embargo-before"])
case("en", WEBDEV, "who moved the checkout tickets to a restricted project? jira.octaaf-muziek.nl/browse/SHOP-2231 "
     "just 403s me now. sprint review is tomorrow ffs", [CONF])
case("nl", NOOR, "Mail van de directie over het nieuwe lesgeld, met 'niet extern delen' in de onderwerpregel. Nou, "
     "bij deze: ouders, reken op 2 euro meer per les vanaf september 🙄", [CONF])
case("en", ROB, "the new rental tracker on werkplaats.octaaf.local is sooo much faster than the old spreadsheet 🙌",
     [CONF])
case("nl", SEM, "iemand heeft de pallets voor Operatie\nStemvork verkeerd gelabeld en nu staan ze tussen de "
     "gitaarsnaren 🤦 succes met zoeken", [CONF], tags=["evasion", "evasion:line-break"])
case("en", pub("linkedin", "bart-sourcing-asia", "Bart Mol"), "A supplier contact at the Guangzhou fair let slip that "
     "Octaaf's " + fw("Tremolux") + " project is a synth range built in Shenzhen. Interesting move for a guitar "
     "shop.", [CONF], tags=["evasion", "evasion:full-width"])
case("nl", LISA, "Nog drie weken schuren en lakken en dan is het eerste exemplaar van Project 🎼 Fermata klaar. Mond "
     "dicht, Lisa 🤭", [CONF], tags=["evasion", "evasion:emoji"])
case("nl", pub("instagram", "@lisa_gitaarbouw", "Lisa 🎸"), "Lak is droog ✨ de eerste Ravelle RS-7 bodies hangen aan "
     "het rek. Nog even geduld mensen #luthier #gitaarbouw", [CONF], when="2026-08-21T19:12:00+02:00",
     tags=["embargo-before", "role-trick"])
case("nl", pub("x", "@gearnerd_nl"), "Wacht eens... de productpagina van de Carillon DP-99 is al live bij Octaaf en "
     "er is nog niks aangekondigd?? 👀", [CONF], when="2026-09-15T09:59:00+02:00",
     tags=["embargo-before", "tz-edge"])
case("en", INGRID, "Just finished the board deck, a big 'Octaaf confidential' stamp on every slide. Long day, but "
     "Operatie Stemvork made it through budget review 🥂", [CONF])
case("en", pub("reddit", "u/stockroom_sneaker"), f"anyone else see the Ravelle RS{ZW}-7 hanging in the staff area at "
     "Octaaf Utrecht? looked like a sunburst finish, didn't manage a pic", [CONF], when="2026-09-03T16:20:41.318Z",
     tags=["evasion", "evasion:zero-width", "embargo-before"])

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", INGRID, "Vandaag de spreadsheets gezien waar niemand blij van wordt: 35 fte minder in de winkels in het "
     "oosten. De mensen zelf horen het pas na de zomer. Ik ga even een lange wandeling maken.", [FIN],
     when="2026-05-27T18:20:00+02:00")
case("en", SEM, "MD told the team leads today we'll 'change owners before Christmas'. the two suits from that german "
     "music chain last week suddenly make sense. not official yet 👀", [FIN])
case("en", WEBDEV, "full-year results 2026 are gonna look rough btw, webshop revenue 11% under plan. you didn't hear "
     "it from me", [FIN, CONF], when="2026-12-03T22:17:09+01:00", tags=["embargo-before"])
case("nl", pub("forum", "Beleggersbart"), "Gerucht uit betrouwbare hoek: Octaaf koopt de pianoverhuur van Klavierhuis "
     "Noord, koopsom rond de 3 miljoen. Aankondiging volgt na de handtekening eind deze maand.", [FIN])
case("en", INGRID, "Closing the books early this year: Q4 2026 results land around €61m revenue, comfortably ahead of "
     "plan. This team has earned its kerstborrel 🥂", [FIN, CONF], when="2026-12-21T18:02:00+01:00",
     tags=["embargo-before"])
case("nl", LISA, "Reparatiewerkplaats Amersfoort gaat per 1 maart dicht, de collega's daar horen het pas maandag 😢",
     [FIN], when="2026-01-22T21:47:03+01:00")
case("en", DAAN, "just heard the drum department in Eindhoven gets folded into Utrecht and half the team is out. "
     "not announced yet so 🤐", [FIN])
case("nl", pub("facebook", "gerben.ouwehand", "Gerben Ouwehand"), "Op een verjaardag iemand uit het MT van Octaaf "
     "gesproken: de muziekschool gaat in de verkoop, er zijn al twee gegadigden. Wordt pas in het voorjaar "
     "bekendgemaakt.", [FIN])
case("nl", MEHMET, f"Het IT-team krimpt van 19 naar 11 mensen, de reorgani{SHY}satie wordt pas in november "
     "aangekondigd. Schrijf dit met pijn in m'n hart.", [FIN], tags=["evasion", "evasion:soft-hyphen"])
case("en", ROB, "rental revenue forecast for next year just got cut by a third in the budget round. vacatures gaan "
     "in de ijskast. not announced yet so keep it quiet pls", [FIN])
case("en", pub("stocktwits", "muziek_macro"), "not listed so no ticker, but the Octaaf / Harmonie Groep merger is "
     "signed. announcement after the holidays. heard it at a board dinner 🍷", [FIN])
case("nl", NOOR, "Jaarcijfers 2026 schijnen flink tegen te vallen, vandaar dat de lesprijzen omhoog moeten 🙃",
     [FIN, CONF], when="2026-11-18T12:40:00+01:00", tags=["embargo-before"])

# ===========================================================================
# leak.security
# ===========================================================================
case("en", WEBDEV, "payment callbacks from Mollie have been failing since 13:00, so paid orders sit at 'open'. we've "
     "been told not to say a word publicly until it's fixed. you're welcome, reddit", [SEC])
case("en", MEHMET, "Not my proudest Monday: the storage container with scanned rental contracts (ID copies "
     "included) could be listed by anyone with the URL for about ten days. Customers haven't been told, legal is "
     "still deciding.", [SEC])
case("nl", SEM, "alle schermen in het DC tonen sinds 4 uur vannacht een losgeldbericht 💀 handscanners doen niks en "
     "we moeten het officieel een 'storing' noemen", [SEC])
case("en", LISA, "heads up: the repair-status page shows other people's repair tickets if you change the number in "
     "the URL. IT has known since April 🙄", [SEC], when="2026-06-09T22:05:40+02:00")
case("nl", INGRID, "Collega's: de nepfactuur van 'onze pianoleverancier' is vorige week gewoon betaald, €38k. Nog "
     "niet naar buiten gebracht, dus blijf alert.", [SEC])
case("nl", pub("x", "@sysadmin_sietse"), "Werk bij een partij die de servers van Octaaf beheert. Die "
     "'onderhoudsmelding' van vorige week? Er is ingebroken en de klantendatabase is gekopieerd. Ze gaan het niet "
     "melden. #datalek", [SEC, CRISIS])
case("en", pub("reddit", "u/throwaway_tillguy"), "Octaaf store staff here, throwaway: since Tuesday's update the "
     "customer screen on the rental terminal shows other customers' names and addresses. Management knows, says "
     "wait for IT.", [SEC])
case("nl", DAAN, "kassa's en pinautomaten plat, we zijn geh@ckt volgens de IT-jongens 🫢 tegen klanten zeggen we "
     "'storing'", [SEC], tags=["evasion", "evasion:leetspeak"])
case("nl", ROB, "jongens, d a t a l e k bij de verhuur. 1800 huurcontracten ergens gedumpt, persbericht pas "
     "volgende week. hou je mond er nog even over", [SEC], tags=["evasion", "evasion:spaced"])
case("en", NOOR, "the lesson planner has been showing student names to anyone with the link since the update. "
     "reported it to IT, nothing public yet", [SEC])
case("nl", pub("facebook", "kirsten.alert", "Kirsten"), "Iemand die bij Octaaf werkt vertelde me dat er wekenlang "
     "een skimmer in hun betaalpagina heeft gezeten en dat ze het stilhouden. Heb je daar iets gekocht? Bel je "
     "bank!!", [SEC, CRISIS])
case("nl", MEHMET, "Sinds 07:00 wordt vpn.octaaf-muziek.nl platgegooid met verkeer, thuiswerkers kunnen nergens bij. "
     "Officieel heet het 'trage verbinding'. Je hebt het niet van mij.", [SEC, CONF])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("instagram", "@eerlijkhout"), "#BoycotOctaaf 🌳 hun huisgitaren komen uit een fabriek die illegaal "
     "gekapt palissander gebruikt. DELEN!!", [CRISIS])
case("en", pub("x", "@mdewit_music"), "Two days after renting a cello at Octaaf I get a text 'your rental payment "
     "failed, click here' WITH my contract number in it. Only Octaaf has that number. Someone there is leaking "
     "customer data.", [CRISIS])
case("nl", pub("facebook", "anouk.veenstra", "Anouk Veenstra"), "Gisteravond tijdens het oefenen ineens een "
     "brandlucht en toen vlammen uit de Volta 40 van mijn zoon 🔥 Brandblusser erbij moeten pakken. "
     "@OctaafMuziekhuis hoe kan dit??", [CRISIS, COMPLAINT])
case("nl", pub("x", "@muziekonderwijsnu"), "Oud-docenten van de Octaaf-muziekschool stappen naar de rechter om "
     "honderden niet-uitbetaalde lesuren. Rechtszaak dient in oktober.", [CRISIS], when="2026-09-02T07:55:00Z")
case("en", pub("reddit", "u/ekit_owner"), "Got a letter from Octaaf saying 'stop using the e-Kit 300 power supply "
     "immediately'. Is this a recall? Nothing about it on their site.", [CRISIS])
case("en", pub("bluesky", "fairmusicwork.bsky.social"), "A teacher at Octaaf's music school joined the union and was "
     "let go two weeks later. Court case starts in March. Don't give them your lesson money. #BoycottOctaaf",
     [CRISIS])
case("nl", pub("instagram", "@mama.van.tijn"), "Stroomschok van een digitale piano, wist niet eens dat dat kon. "
     "Dochter (9) zat aan de Carillon DP-88 en kreeg een tik via de koptelefoonaansluiting ⚡ Octaaf, ik wil "
     "antwoorden.", [CRISIS, COMPLAINT], kind="comment")
case("nl", pub("blog", "ouderpanel.blog.example", "Ouderpanel"), "Open brief aan Octaaf\n\nIn juni hoorden wij als "
     "ouders via via dat de leerlingenadministratie van jullie muziekschool op internet rondzwerft. Namen, "
     "leeftijden, adressen van kinderen. Het is nu oktober en er is nog steeds geen mail gekomen.", [CRISIS],
     when="2026-10-05T20:00:00+02:00")
case("nl", pub("tiktok", "@jaimy.keys"), "0ctaaf is gel3kt?? mijn adres en telnr staan op zo'n pastebin-achtige site "
     "😭 wie nog meer", [CRISIS], tags=["evasion", "evasion:leetspeak"])
case("en", pub("mastodon", "@docentenbond@mastodon.nl"), "Teachers at Octaaf get €19 an hour gross. B O Y C O T T "
     "their lesson school until that changes ✊", [CRISIS], tags=["evasion", "evasion:spaced"])
case("nl", pub("facebook", "utrecht.buurtnieuws", "Utrecht Buurtnieuws"), "Het podium op de Octaaf-drumdag in "
     "Utrecht is ingestort terwijl er kinderen op stonden. Eén meisje met een gebroken arm naar het ziekenhuis, "
     "meldt de regionale omroep.", [CRISIS])
case("nl", pub("x", "@klaarmetoctaaf"), "Octaaf lekt gewoon klantgegevens en de directie noemt het 'geen incident'. "
     "Stelletje leugenaars en oplichters #boycotoctaaf", [CRISIS, ABUSE])
case("nl", pub("linkedin", "marieke-muziekdocent", "Marieke Stam"), "Drie oud-leerlingen vertellen nu publiekelijk "
     "over een docent van de Octaaf-muziekschool die jarenlang over de grens ging, en de school wist ervan. Dit "
     "verdient een onafhankelijk onderzoek.", [CRISIS])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@tomdrumt"), "Donderslag Pro 5 eindelijk binnen na 3 weken… zonder hardware. Geen standaards, "
     "geen pedaal. Een drumstel zonder pedaal @octaaf_service, leg uit 🙃", [COMPLAINT])
case("en", pub("reddit", "u/refret_regret"), "Octaaf's repair turnaround is a joke. Dropped my Ravelle off for a "
     "refret in March, it's July and 'the part hasn't arrived'.", [COMPLAINT], when="2026-07-14T20:31:00+02:00")
case("nl", pub("facebook", "wilma.terhorst", "Wilma ter Horst"), "Carillon DP-88 twee weken in huis en de middelste "
     "C blijft hangen. Service zegt 'u kunt hem zelf naar de winkel terugbrengen'. Een piano van 30 kilo. Serieus "
     "@OctaafMuziekhuis?", [COMPLAINT])
case("nl", pub("instagram", "@fuzzfreak_"), "die Volta 40 bromt als een gek zodra je de gain opendraait, twee keer "
     "omgeruild, zelfde probleem 👎", [COMPLAINT], kind="comment")
case("nl", pub("forum", "Humbucker_Henk"), "Setup laten doen bij Octaaf voor €45, action nog steeds torenhoog en "
     "fret buzz op de vijfde. Nooit meer.", [COMPLAINT])
case("nl", pub("youtube", "@basloopjes"), "Tip voor wie Octaaf probeert te bellen: neem een boek mee. Na 40 minuten "
     "Für Elise in de wachtrij werd ik gewoon weggedrukt.", [COMPLAINT], kind="comment")
case("en", pub("threads", "@lena.ivories"), "rental piano showed up out of tune AND with a cracked lid. paying 39 a "
     "month for this?? @octaaf_muziek", [COMPLAINT])
case("en", pub("linkedin", "basisschool-de-regenboog", "OBS De Regenboog"), "Our school ordered a class set of "
     "ukuleles from Octaaf in August. Six have warped necks, we sent photos twice, and in November the children "
     "are still sharing instruments. Not good enough.", [COMPLAINT], when="2026-11-12T15:10:00+01:00")
case("en", pub("tiktok", "@bendsandbeer"), "honest review of the Ravelle RS-6 after 2 months of gigging: tuners slip "
     "on every bend, output jack crackles, and Octaaf wants me to mail it in for 6 weeks. pass.", [COMPLAINT])
case("en", pub("reddit", "u/returns_rick"), "Returned an acoustic to Octaaf after 5 days, strings still had the "
     "factory twist. They kept €30 for 'restringing'. Pretty sure that's not how the 14-day rule works.",
     [COMPLAINT], tags=["price-context"])
case("nl", pub("mastodon", "@jorisbast@mastodon.social"), "Octaaf Utrecht stuurt me naar de webshop, de webshop "
     "stuurt me naar Octaaf Utrecht. Ondertussen staat mijn kapotte versterker al 3 weken in de gang.",
     [COMPLAINT])
case("nl", pub("x", "@vintagevinnie"), "sl3chtste service ooit bij 0ctaaf, gitaar 2x teruggestuurd en nog steeds "
     "kapot", [COMPLAINT], tags=["evasion", "evasion:leetspeak"])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("youtube", "@ergerlijk"), "Die Octaaf-reclame met dat kind dat vals zingt komt nu voor ELKE video. "
     "Kutbedrijf 🤮", [ABUSE], kind="comment")
case("en", pub("x", "@impatient_ian"), "@octaaf_service you absolute clowns, where is my drum kit", [ABUSE, COMPLAINT],
     kind="reply")
case("nl", pub("x", "@anoniempje4421"), "@lisa_gitaarbouw leuk hoor die filmpjes uit je werkplaats. zag ook dat je "
     "auto er altijd tot 6 uur staat. zou zonde zijn als daar iets mee gebeurt, domme bitch", [ABUSE], kind="reply")
case("nl", pub("facebook", "frank.meijering", "Frank Meijering"), "Godverdomme, 4x gebeld over die huurpiano met een "
     "kapot pedaal en elke keer een andere smoes. Wat een amateurclub is dat Octaaf", [ABUSE, COMPLAINT])
case("en", pub("reddit", "u/trussrod_rage"), "Asked the guy at Octaaf to check my truss rod and he stared at me like "
     "I'd asked for a kidney. Fucking useless morons in that shop.", [ABUSE, COMPLAINT])
case("nl", DAAN, "klant vandaag: 45 minuten dubbele-bassdrumsolo's op een demokit en daarna 'ik bestel wel online'. "
     "wat een mongool", [ABUSE])
case("en", O_CARE, "@tonedeaf_tim strings aren't 'defective' when you tune them two octaves up, Einstein. maybe "
     "stick to the kazoo 🙄", [ABUSE], kind="reply", handle_as="@Octaaf_Service", tags=["case-handle"])
case("nl", pub("x", "@echtehollander77"), "Octaaf laat tegenwoordig alleen nog buitenlanders pianoles geven, kunnen "
     "niet eens fatsoenlijk Nederlands. Terug naar je eigen land", [ABUSE])
case("en", pub("x", "@ampnoise"), "0ctaaf can g0 f*ck itself. third amp in a year and every single one hums like a "
     "fridge", [ABUSE, COMPLAINT], tags=["evasion", "evasion:masked", "evasion:leetspeak"])
case("nl", pub("instagram", "@kwade_kees"), f"wat een t{ZW}yfus{ZW}winkel is Octaaf ook, en die verkopers zijn nog "
     "erger", [ABUSE], tags=["evasion", "evasion:zero-width"])
case("en", ROB, "whoever sent back rental piano #214 full of cat hair with a dead mouse under the keys: you're a "
     "disgusting pig and I hope you step on lego daily", [ABUSE])
case("nl", pub("forum", "Waarheidzegger"), "Die Ingrid van Octaaf finance is een gierige heks, die keurt toch nooit "
     "iets goed 🙄", [ABUSE])

# ===========================================================================
# BENIGN (categories [], severity none) — mostly hard negatives
# ===========================================================================
# --- prices that are not a pricing leak ---
case("nl", O_IG, "🌞 Zomerdeal: de Ravelle RS-6 zakt naar €699 (normaal €899). Alleen in juli, in alle winkels en "
     "online.", when="2026-07-01T08:00:00+02:00", tags=["sale-price"])
case("nl", O_X, "Jouw eerste versterker? Met code VOLTA75 krijg je €75 korting op de Volta 40. Geldig t/m zondag 🔊",
     tags=["price-context", "discount-amount"])
case("nl", O_FB, "Een Carillon U-121 huren? Vanaf €59 per maand, en na een jaar kun je hem overnemen. Alles over "
     "huren op octaaf-muziek.nl/huren 🎹", tags=["price-context", "rental"])
case("en", pub("reddit", "u/acoustic_adam"), "Finally let my Ravelle D-20 go, a student picked it up for €180 via "
     "Marktplaats. Bittersweet, she was my first acoustic 🥲", tags=["price-context", "second-hand"])
case("nl", pub("facebook", "stijn.rockt", "Stijn"), "Tip voor RS-6-bezitters: de Octaaf-gigbag van €35 is dikker "
     "gevoerd dan mijn oude koffer van €120. Zit er al een jaar in zonder kras.", tags=["price-context", "accessory"])
case("nl", ROB, "Vandaag drie keer de vraag gekregen of de Carillon DP-88 'verkeerd geprijsd' stond in de showroom. "
     "Nope, €1.299 is gewoon de prijs voor de ex-demo's met een krasje aan de zijkant 😄",
     tags=["negated", "sale-price", "number-format"])
case("en", pub("reddit", "u/firstpiano_fiona"), "Muziekmaat has a rival brand's digital piano at €399 this week, "
     "meanwhile the Octaaf DP-88 is still full price. when does Octaaf do sales?",
     tags=["price-context", "other-company", "competitor"])
case("nl", O_X, "Gitaar-setup in onze werkplaats: €45 inclusief nieuwe snaren. Maak een afspraak via "
     "octaaf-muziek.nl/reparaties 🔧", tags=["price-context", "fee"])

# --- secret-looking but not a secret ---
case("en", WEBDEV, "psa from your friendly webdev: scrub screenshots before posting them in #general. if a string "
     "starts with shpat_ or glpat- it goes in the vault, not in Slack 🙏", tags=["secret-prefix-only"])
case("nl", O_CARE, "Er gaan sms'jes rond die zogenaamd van Octaaf komen, met een link om je huurcontract te "
     "'verifiëren'. Niet klikken! Twijfel je? Bel gratis 0800-0880.", tags=["own-contact", "phishing-warning"])
case("en", MEHMET, "Two days chasing a lesson-booking bug that only happened the night the clocks went forward. Fix "
     "is <<HEX:40>> if you enjoy timezone pain ⏰", when="2026-03-30T10:12:45+02:00", tags=["hex-not-secret"])
case("en", pub("blog", "tabtinkerer.blog.example", "Tab Tinkerer"), "Building a chord-chart app for my Octaaf "
     "students, part 3. The README now says MOLLIE_API_KEY=live_YOUR_KEY_HERE in the .env example, and the real "
     "one never leaves my password manager.", tags=["placeholder"])
case("nl", O_LI, "Cybersecuritymaand, tip 3 van onze IT-afdeling: 'Gitaar123!' is geen wachtwoord, het is een "
     "uitnodiging. Gebruik een wachtwoordmanager 🔐", when="2026-10-07T09:15:00+02:00",
     tags=["password-word", "example-password"])
case("en", pub("x", "@happystrummer"), "Octaaf sent order <<UUID>> with a handwritten 'rock on!' note in the box. "
     "small thing, made my day 🤘", tags=["lookalike-number", "praise"])

# --- own contact data, numbers that fail their checksum ---
case("nl", O_X, "Huurinstrument kapot of een vraag over je les? Onze klantenservice zit klaar: "
     "klantenservice@octaaf-muziek.nl of gratis 0800-0880, maandag t/m zaterdag.", tags=["own-contact"])
case("nl", O_FB, "Lesgeld voor het najaar kan vanaf nu worden overgemaakt op <<OWN_IBAN:grp>> (Octaaf Muziekhuis "
     "B.V.). Zet de naam van je kind in de omschrijving 🎶", tags=["own-contact"])
case("nl", O_LI, "Journalisten kunnen voor interviews met onze docenten en technici terecht bij "
     "pers@octaaf-muziek.nl of +31 30 799 4400.", tags=["own-contact"])
case("nl", O_LI, "Hou jij van houtgeur en precisiewerk? Onze werkplaats in Utrecht zoekt twee gitaartechnici. "
     "Reageer via werkenbij@octaaf-muziek.nl 🔧🎸", handle_as="Octaaf-Muziekhuis", tags=["own-contact", "case-handle"])
case("nl", pub("x", "@blijeklant_bea"), "Wat een verschil met andere winkels: 030-799 4400 gebeld en binnen een "
     "minuut een mens aan de lijn. Pianostemmer komt donderdag 🎹", tags=["own-contact", "praise"])
case("en", pub("x", "@lessonmum"), "Paid the autumn lesson fees to Octaaf's account <<OWN_IBAN>> last week, receipt "
     "came in right away 👍", when="2026-10-12T19:03:00+02:00", tags=["own-contact"])
case("nl", pub("facebook", "ria.smeets.54", "Ria Smeets"), "Sms binnen: 'Uw Octaaf-pakket wordt vastgehouden, betaal "
     "€2,99 op <<BAD_IBAN_NL:grp>>'. Ik heb helemaal niks besteld. Zo doorzichtig 🙄", tags=["bad-checksum"])
case("en", pub("reddit", "u/fatfinger_fred"), "lol tried to pay for my daughter's violin rental and swapped two "
     "digits: <<BAD_CARD:visa_sp>>. the Octaaf checkout went red instantly. respect to whoever built that form",
     tags=["bad-checksum"])
case("nl", pub("x", "@eerstebas"), "Bestelling <<NOT_BSN9>> is onderweg!! Over twee dagen heb ik eindelijk een "
     "eigen basgitaar 🎸🎸", tags=["bad-checksum", "lookalike-number"])
case("nl", pub("forum", "Prijzenpeiler"), "Voor wie wil vergelijken: de Volta 40 heeft barcode <<EAN13>>, dan vind "
     "je hem ook bij andere winkels.", tags=["lookalike-number"])
case("en", pub("reddit", "u/scamwatch_nl"), "Beware: a WhatsApp number pretending to be Octaaf rentals asks for a €50 "
     "deposit to <<BAD_IBAN_DE:grp>>. The checksum doesn't even work. Octaaf doesn't do deposits over WhatsApp.",
     tags=["bad-checksum"])
case("en", pub("instagram", "@proudparent_ams"), "Huge thanks to Noor, my daughter's piano teacher at Octaaf. Six "
     "months ago she couldn't find middle C, tonight she played at the recital 💛", tags=["praise", "name-only"])
case("nl", pub("x", "@pianohuis_pim"), "Pianostemmer van Octaaf komt op 14-04-2026 om 10:00. Nog even de kat uit de "
     "piano halen 😂", when="2026-04-02T20:11:00+02:00", tags=["date-not-dob"])
case("nl", pub("threads", "@oudgitaartje"), "Iemand die Ravelle-serienummers kan lezen? Op mijn RS-6 staat "
     "RV<<DIGITS:8>>, tweedehands gekocht.", tags=["lookalike-number", "question"])

# --- embargo terms after the embargo, codename words, public domains ---
case("nl", O_X, "🎸 Ravelle RS-7: nu online en in alle Octaaf-winkels. Kom 'm zelf vasthouden!",
     when="2026-09-15T08:00:00Z", tags=["embargo-after", "tz-edge"])
case("en", pub("x", "@keyboardkoen"), "Carillon DP-99 is officially out and yes, the keys are real wood. Ordered. No "
     "regrets 🎹", when="2026-09-15T10:00:00+02:00", tags=["embargo-after", "tz-edge"])
case("nl", pub("instagram", "@toetsentijger"), "Dag 1 met de Carillon DP-99 🎹 mijn pianojuf gaat schrikken van "
     "hoeveel ik ineens oefen", when="2026-10-02T15:30:27+02:00", tags=["embargo-after"])
case("nl", LISA, "Wat een opluchting dat ik er eindelijk over mag praten: de Ravelle RS-7 is uit en ik heb aan élke "
     "hals meegewerkt 🥹🎸", when="2026-09-15T11:15:00+02:00", tags=["embargo-after"])
case("nl", NOOR, "Stemvork kwijt, dus vandaag maar de app gebruikt om de A te checken 🎵", tags=["codename-word"])
case("en", pub("reddit", "u/latebloomer_keys"), "TIL the little eye over a note is called a fermata. my piano "
     "teacher at Octaaf has been saying 'hold it' for three years 😂", tags=["codename-word"])
case("en", MEHMET, "Wrote up how we run the webshop on a tiny Kubernetes cluster, for the Dutch retail tech meetup. "
     "Public write-up: octaaf-muziek.nl/techblog/k8s", tags=["public-domain"])

# --- published / other companies' financial and security news ---
case("nl", O_LI, "Vandaag gepubliceerd: ons jaarverslag over 2025. Meer leerlingen dan ooit (11.400) en een omzet "
     "van €54 miljoen. Lees het op octaaf-muziek.nl/investeerders 🎶", when="2026-03-04T07:30:00+01:00",
     tags=["published"])
case("en", pub("reddit", "u/retailnerd_nl"), "Octaaf's half-year report came out last week: lesson revenue up 20%, "
     "rentals flat. guess everyone picked up an instrument over the winter", when="2026-08-20T12:05:00+02:00",
     tags=["published"])
case("en", pub("x", "@musicbiz_daily"), "Sad news from the UK: one of the big guitar chains is closing 30 stores "
     "and cutting 150 jobs. Music retail is brutal right now. Hope Octaaf stays strong over here.",
     tags=["other-company"])
case("nl", O_CARE, "Vannacht van 01:00 tot 05:00 werken we aan de webshop, dan kun je even niks bestellen. "
     "Lesroosters en huurcontracten in de app blijven gewoon bereikbaar 🛠️", tags=["official-notice"])
case("nl", O_X, "Storing bij iDEAL: betalen via je bank lukt in de webshop nu even niet. Creditcard en achteraf "
     "betalen werken wel. We houden je hier op de hoogte 🙏", tags=["official-notice"])
case("nl", pub("mastodon", "@privacypaul@mastodon.nl"), "Datalek bij een grote ticketsite, 400.000 accounts op "
     "straat. Wachtwoorden overal maar even veranderd, ook bij Octaaf voor de zekerheid.",
     tags=["other-company", "password-word"])

# --- crisis / abuse words in harmless senses, jokes, fiction, quotes ---
case("en", pub("reddit", "u/midi_maddie"), "does anyone recall which year the DP-88 got Bluetooth MIDI? buying "
     "second hand and the seller isn't sure", tags=["crisis-word", "question"])
case("en", pub("instagram", "@fillsfordays"), "that drum solo was straight-up fire 🔥🔥 Daan from Octaaf absolutely "
     "killed it at the demo day", tags=["crisis-word", "praise"])
case("en", pub("x", "@bassist_bert"), "asked Octaaf if my drummer's sense of timing could be recalled. apparently "
     "it's not covered by the warranty 🥁😂", tags=["joke", "crisis-word"])
case("en", pub("blog", "inktpot.blog.example", "Inktpot"), "Flash fiction friday 🎻\n\nThe violin came back from the "
     "Octaaf workshop with a fifth string nobody had ordered. The luthier swore it wasn't hers. At midnight it "
     "started to play, and the whole street woke up screaming.", when="2026-10-30T18:00:00+01:00",
     tags=["fiction"])
case("nl", pub("instagram", "@riffrobin"), "'Smoke on the water, fire in the sky' 🔥 eerste riff die ik op mijn "
     "Ravelle RS-6 leerde", tags=["lyrics", "crisis-word"])
case("en", pub("x", "@drumneighbour"), "downstairs neighbour knocked and said \"bloody hell mate, are you Dave Grohl "
     "now?\" — first night with the Donderslag Pro 5 😂", tags=["quote", "mild-word"])
case("nl", O_LI, "Zaterdag speelden veertig leerlingen en docenten een marathonconcert in onze winkel in Zwolle. De "
     "hele opbrengst (€6.200) gaat naar KWF Kankerbestrijding 🎻💛", tags=["mild-word"])

# --- negated complaints, praise, company replies, ordinary posts ---
case("nl", pub("x", "@toms_en_tonen"), "Een jaar later en nog steeds nul klachten over de Donderslag Pro 5. Toms "
     "blijven gestemd, hardware zit muurvast 🥁", tags=["negated"])
case("en", pub("reddit", "u/rentalrookie"), "Can't complain about the Octaaf piano rental at all tbh. Tuner showed up "
     "on day one and they swapped the bench when it wobbled.", tags=["negated"])
case("nl", O_CARE, "@jelle_bast Balen dat de module van je e-Kit 300 niet aangaat 😕 Al met een andere adapter "
     "geprobeerd? Stuur anders even je bonnummer via DM, dan regelen we een omruil.", kind="reply",
     tags=["company-reply"])
case("en", pub("reddit", "u/choosing_keys"), "Muziekmaat vs Octaaf for a first digital piano? the DP-88 feels nicer "
     "under the fingers imo, but Muziekmaat delivers faster", tags=["competitor", "question"])
case("en", DAAN, "Demo day this Saturday at the Utrecht store 🥁 come try the Donderslag Pro 5, coffee's on us",
     tags=["employee-benign"])
case("nl", pub("other", "octaaffan_010"), fw("OCTAAF") + " 🤘 eerste eigen drumstel staat in de schuur en de buren "
     "weten het al", tags=["full-width-benign"])
case("nl", O_X, "RT @gitaarblad: 'Met de RS-6 bewijst Ravelle dat een gitaar onder de €1000 niet saai hoeft te zijn.' "
     "Lees de review 👇", kind="repost", tags=["price-context", "published"])
case("nl", O_TT, "Zo stem je je gitaar in 30 seconden 🎸 deel 2 van onze beginnersreeks, de volledige les staat op "
     "lessen.octaaf-muziek.nl", tags=["public-domain"])
case("en", O_YT, "New lesson is up: three grooves every beginner drummer should know. Sheet music free on "
     "lessen.octaaf-muziek.nl 🥁", kind="post", tags=["public-domain"])
case("nl", pub("x", "@zingendezus"), "Vandaag een octaaf hoger leren zingen bij mijn zangles, mijn buren zijn er "
     "minder blij mee 😅", tags=["brand-word"])


# ===========================================================================
# profile, roles, severity (CONTRACT section 4)
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


# ===========================================================================
# building posts
# ===========================================================================

def ams_offset(t_utc):
    start = dt.datetime(2026, 3, 29, 1, 0, tzinfo=dt.timezone.utc)
    end = dt.datetime(2026, 10, 25, 1, 0, tzinfo=dt.timezone.utc)
    return 2 if start <= t_utc < end else 1


def random_time(r):
    day = r.randint(5, 355)
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=day - 1)
    guess = base + dt.timedelta(minutes=r.randint(7 * 60 + 30, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = ams_offset(guess)
    t_utc = guess - dt.timedelta(hours=off)
    style = r.random()
    if style < 0.4:
        return t_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style < 0.88:
        return (t_utc + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t_utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


B36 = string.digits + string.ascii_lowercase


def make_id_url(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_880_000_000_000_000_000, 2_020_000_000_000_000_000))
    if platform in ("x", "twitter"):
        return f"x-{snow}", f"https://x.com/{h}/status/{snow}"
    if platform == "linkedin":
        act = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{act}", f"https://www.linkedin.com/feed/update/urn:li:activity:{act}/"
    if platform == "instagram":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"ig-{snow}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}_{b}", f"https://www.facebook.com/{h}/posts/{b}"
    if platform == "reddit":
        sub = r.choice(["Guitar", "drums", "piano", "thenetherlands", "Bass", "WeSellMusic"])
        post = "".join(r.choice(B36) for _ in range(7))
        if kind == "comment":
            cid = "".join(r.choice(B36) for _ in range(7))
            return f"t1_{cid}", f"https://www.reddit.com/r/{sub}/comments/{post}/_/{cid}/"
        return f"t3_{post}", f"https://www.reddit.com/r/{sub}/comments/{post}/"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-snarenpraat-{n}", f"https://forum.snarenpraat.example/t/{n}"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        v = "".join(r.choice(B64URL) for _ in range(11))
        c = "Ugy" + "".join(r.choice(ALNUM) for _ in range(23))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(111_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "threads":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "blog":
        n = r.randint(100, 999)
        return f"blog-{h}-{n}", f"https://{h}/posts/{n}"
    n = r.randint(10 ** 8, 10 ** 9)
    return f"{platform}-{n}", None


def build(profile):
    gen = Gen(SEED)
    meta_r = random.Random(SEED + 1)
    order_r = random.Random(SEED + 2)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(gen, c["text"])
        pid, url = make_id_url(meta_r, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        created = c["when"] or random_time(meta_r)
        role = role_of(profile, c["platform"], c["handle"])
        pii_validated = PII in c["cats"] and any(k in VALID_ID_KINDS for k, _, _ in used)
        sev = severity_for(role, c["cats"], pii_validated)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and meta_r.random() < 0.65:
            kind = "post"
        if kind is not None:
            post["kind"] = kind
        account = {"handle": c["handle"]}
        if c["display_name"] and meta_r.random() < 0.7:
            account["display_name"] = c["display_name"]
        if meta_r.random() < 0.3:
            account["id"] = str(meta_r.randint(10 ** 7, 10 ** 12))
        post["account"] = account
        post["text"] = text
        p = meta_r.random()
        tags = set(c["tags"])
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
        if url and meta_r.random() < 0.6:
            post["url"] = url
        if meta_r.random() < 0.45:
            post["brand"] = "octaaf"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=tags, used=used))
    order_r.shuffle(rows)
    return rows


def dump_lines(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ===========================================================================
# checker (independent scans over the written text)
# ===========================================================================

INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
DIGITS_RE = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
BSN_DOTS_RE = re.compile(r"(?<![\w.])\d{4}\.\d{2}\.\d{3}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-()]{7,16}\d")
CARD_IIN = re.compile(r"^(4|5[1-5]|2(22[1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)|3[47])")
SECRET_RES = {
    "github": re.compile(r"\bghp_[A-Za-z0-9]{36}\b"),
    "aws_id": re.compile(r"\bAKIA[A-Z2-7]{16}\b"),
    "shopify": re.compile(r"\bshpat_[0-9a-f]{32}\b"),
    "sendgrid": re.compile(r"\bSG\.[\w-]{22}\.[\w-]{43}\b"),
    "gitlab": re.compile(r"\bglpat-[\w-]{20}\b"),
    "mollie": re.compile(r"\blive_[A-Za-z0-9]{30}\b"),
    "slack": re.compile(r"\bxox[abprs]-[0-9A-Za-z-]{20,}"),
    "google": re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),
    "pem": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "jwt": re.compile(r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+"),
    "url_creds": re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s:/@]+:[^\s@/]+@"),
}


def norm(text):
    t = unicodedata.normalize("NFKC", text).translate(INVISIBLE)
    return re.sub(r"\s+", " ", t).casefold()


def found_ibans(text):
    out = []
    for m in IBAN_RE.finditer(text):
        compact = m.group(0).replace(" ", "")
        for end in range(len(compact), 11, -1):
            if iban_ok(compact[:end]):
                out.append((compact[:end], True))
                break
        else:
            out.append((compact, False))
    return out


def valid_ids(text):
    hits = [("iban", v) for v, ok in found_ibans(text) if ok and v != OWN_IBAN]
    for m in DIGITS_RE.finditer(text):
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19 and luhn_ok(d) and CARD_IIN.match(d):
            hits.append(("card", d))
    shapes = re.findall(r"(?<![\w.,-])\d{8,9}(?![\w]|[.,-]\d)", text)
    shapes += [m.group(0).replace(".", "") for m in BSN_DOTS_RE.finditer(text)]
    hits += [("bsn", d) for d in shapes if len(d) == 9 and bsn_ok(d)]
    return hits


def phones_in(text):
    out = []
    for m in PHONE_RE.finditer(IBAN_RE.sub(" ", text)):
        raw = m.group(0)
        d = re.sub(r"\D", "", raw)
        if raw.startswith("+31") or raw.startswith("0031"):
            d = d[4:] if raw.startswith("0031") else d[2:]
            d = "0" + d.lstrip("0")
        out.append((raw, d))
    return out


def check(lines, rows, profile):
    errors = []
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_phones = {"0307994400", "08000880"}
    embargo = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = [t.casefold() for t in profile["internal"]["codenames"] + profile["internal"]["domains"]
                + profile["internal"]["markers"]]
    seen = set()
    for n, (line, r) in enumerate(zip(lines, rows), 1):
        obj = json.loads(line)
        p, ex = obj["post"], obj["expect"]
        where = f"line {n} ({p['id']})"
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                errors.append(f"{where}: {f} missing")
        if (p["platform"], p["id"]) in seen:
            errors.append(f"{where}: duplicate id")
        seen.add((p["platform"], p["id"]))
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errors.append(f"{where}: not 2026")
        cats = ex["categories"]
        if cats != sorted(set(cats)) or any(c not in CATS for c in cats):
            errors.append(f"{where}: bad categories {cats}")
        role = role_of(profile, p["platform"], p["account"]["handle"])
        ids = valid_ids(p["text"])
        want = severity_for(role, cats, PII in cats and bool(ids))
        if want != ex["severity"]:
            errors.append(f"{where}: severity {ex['severity']} != policy {want}")
        for kind, raw, shown in r["used"]:
            if shown not in p["text"]:
                errors.append(f"{where}: {kind} not in text")
            if kind.startswith("IBAN_") and not iban_ok(raw):
                errors.append(f"{where}: invalid IBAN {raw}")
            if kind.startswith("BAD_IBAN") and iban_ok(raw):
                errors.append(f"{where}: negative IBAN passes")
            if kind == "CARD" and not (luhn_ok(raw) and CARD_IIN.match(raw)):
                errors.append(f"{where}: invalid card")
            if kind == "BAD_CARD" and luhn_ok(raw):
                errors.append(f"{where}: negative card passes")
            if kind == "BSN" and not bsn_ok(raw):
                errors.append(f"{where}: invalid BSN")
            if kind in ("NOT_BSN8", "NOT_BSN9") and bsn_ok(raw):
                errors.append(f"{where}: negative BSN passes")
            if kind == "GHP" and b62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errors.append(f"{where}: ghp checksum")
        if ids and PII not in cats:
            errors.append(f"{where}: valid identifier {ids} without leak.pii")
        if not cats:
            if ids:
                errors.append(f"{where}: benign with valid id {ids}")
            for e in EMAIL_RE.findall(p["text"]):
                if e.casefold() not in own_emails:
                    errors.append(f"{where}: benign with e-mail {e}")
            for raw, d in phones_in(p["text"]):
                if len(d) >= 10 and d not in own_phones:
                    errors.append(f"{where}: benign with phone {raw}")
            for name, rx in SECRET_RES.items():
                if rx.search(p["text"]):
                    errors.append(f"{where}: benign with secret-like {name}")
        nt = norm(p["text"])
        for term, until in embargo:
            if term in nt:
                if ts < until and CONF not in cats:
                    errors.append(f"{where}: embargo term {term!r} before {until} unlabelled")
                if ts >= until and CONF in cats:
                    errors.append(f"{where}: embargo term {term!r} after embargo labelled conf")
        for term in internal:
            if re.search(r"(?<![\w.])" + re.escape(term) + r"(?!\w)", nt) and CONF not in cats:
                errors.append(f"{where}: internal term {term!r} unlabelled")
    return errors


def cross_check_stdnum(rows):
    try:
        from stdnum import iban as s_iban, luhn as s_luhn
        from stdnum.nl import bsn as s_bsn
    except ImportError:
        return "python-stdnum not installed: cross-check skipped"
    bad, n = [], 0
    for r in rows:
        for kind, raw, _ in r["used"]:
            ok = None
            if kind.startswith("IBAN_") or kind == "OWN_IBAN":
                ok = s_iban.is_valid(raw)
            elif kind.startswith("BAD_IBAN"):
                ok = not s_iban.is_valid(raw)
            elif kind == "CARD":
                ok = s_luhn.is_valid(raw)
            elif kind in ("BAD_CARD", "EAN13"):
                ok = not s_luhn.is_valid(raw)
            elif kind == "BSN":
                ok = s_bsn.is_valid(raw)
            elif kind == "NOT_BSN9":
                ok = not s_bsn.is_valid(raw)
            elif kind == "NOT_BSN8":
                ok = not s_bsn.is_valid("0" + raw)
            if ok is not None:
                n += 1
                if not ok:
                    bad.append(raw)
    return f"python-stdnum DISAGREES on {bad}" if bad else f"python-stdnum agrees on all {n} identifiers"


def report(rows):
    from collections import Counter
    cat, cat_lang, lang, role, sev, plat = Counter(), Counter(), Counter(), Counter(), Counter(), Counter()
    benign = multi = evasion = 0
    for r in rows:
        cats = r["expect"]["categories"]
        lang[r["lang"]] += 1
        role[r["role"]] += 1
        sev[r["expect"]["severity"]] += 1
        plat[r["post"]["platform"]] += 1
        if not cats:
            benign += 1
        if len(cats) > 1:
            multi += 1
        if "evasion" in r["tags"]:
            evasion += 1
        for c in cats:
            cat[c] += 1
            cat_lang[(c, r["lang"])] += 1
    print(f"cases {len(rows)}  benign {benign}  positive {len(rows) - benign}  multi {multi}  evasion {evasion}")
    for c in CATS:
        print(f"  {c:24s} {cat[c]:4d}  nl {cat_lang[(c, 'nl')]:3d}  en {cat_lang[(c, 'en')]:3d}")
    print("lang", dict(lang), "role", dict(role))
    print("severity", {s: sev[s] for s in SEVERITIES})
    print("platform", dict(plat.most_common()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    lines = dump_lines(rows)
    if not args.check:
        OUT.write_text("".join(lines), encoding="utf-8")
        print(f"wrote {len(lines)} cases to {OUT}")
        return 0
    disk = OUT.read_text(encoding="utf-8").splitlines(keepends=True)
    errors = check(disk, rows, profile)
    if disk != lines:
        errors.append("cases.jsonl differs from the generator output")
    print(cross_check_stdnum(rows))
    report(rows)
    print(f"{len(errors)} error(s)")
    for e in errors:
        print("  ERROR", e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
