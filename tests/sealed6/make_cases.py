#!/usr/bin/env python3
"""Sealed blind evaluation set #6 for postwatch: company "Klusplein B.V.".

    python3 make_cases.py            # write profile.yaml + cases.jsonl, then validate them
    python3 make_cases.py --check    # only validate the files on disk against the generator
    python3 make_cases.py --notes    # also print informational notes

Python 3.11 standard library + PyYAML. Deterministic (SEED below): running it again
gives the same bytes. If python-stdnum is importable, the identifiers are cross-checked.

Post texts are hand-written in CASES. Identifiers and secrets are filled from
placeholders like <<IBAN_BE:grp>> by one seeded RNG: positives get checksum-VALID
identifiers, benign look-alikes get identifiers that FAIL their checksum. Severity is
never typed by hand: severity_for() derives it from CONTRACT section 4 (account role
from the profile, categories, and whether a checksum-validated IBAN/card/BSN is present).
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

SEED = 6_2026_0711
HERE = Path(__file__).resolve().parent
OUT_CASES = HERE / "cases.jsonl"
OUT_PROFILE = HERE / "profile.yaml"

TAXONOMY = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse",
            "reputation.spike"]
SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
KINDS = ["post", "reply", "repost", "comment", "message"]
PLATFORMS = ["x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube",
             "reddit", "mastodon", "bluesky", "threads", "forum", "blog", "other"]

ZW = "\u200b"    # zero-width space
ZWJ = "\u200d"   # zero-width joiner
SHY = "\u00ad"   # soft hyphen


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) - 0x21 + 0xFF01) if "!" <= c <= "~" else c
                   for c in s)


# ===========================================================================
# checksums
# ===========================================================================

def _iban_num(s):
    return int("".join(str(int(c, 36)) for c in s))


def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return _iban_num(s[4:] + s[:4]) % 97 == 1


def iban_make(cc, bban):
    return f"{cc}{98 - _iban_num(bban + cc + '00') % 97:02d}{bban}"


def luhn_ok(d):
    d = re.sub(r"\D", "", d)
    tot = 0
    for i, ch in enumerate(reversed(d)):
        v = int(ch) * (2 if i % 2 else 1)
        tot += v - 9 if v > 9 else v
    return bool(d) and tot % 10 == 0


def luhn_finish(partial):
    return next(partial + x for x in "0123456789" if luhn_ok(partial + x))


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    tot = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return tot != 0 and tot % 11 == 0


def ean13_ok(s):
    return (sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(s[:12])) + int(s[12])) % 10 == 0


# ===========================================================================
# the company's fixed public data (also written into profile.yaml)
# ===========================================================================

OWN_IBAN_NL = iban_make("NL", "RABO0331245867")
OWN_IBAN_BE = iban_make("BE", "735034781122"[:10] + f"{int('7350347811') % 97:02d}")
OWN_EMAILS = ["klantenservice@klusplein.nl", "pers@klusplein.nl", "klantendienst@klusplein.be",
              "jobs@klusplein.nl"]
OWN_PHONES = ["+31 85 303 4400", "0800-5587", "+32 3 808 12 00"]
EMBARGO_PAST_UNTIL = "2026-03-02T07:00:00Z"     # Voltix P18 launch
EMBARGO_FUTURE_UNTIL = "2027-02-24T06:00:00Z"   # annual results + solar-roof service


def grp4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


PROFILE = {
    "company": "Klusplein B.V.",
    "brands": ["Klusplein", "Klusplein Keukens", "Voltix", "KlusPas", "Kleurwerk"],
    "accounts": {
        "corporate": [
            "x:@klusplein", "x:@klusplein_helpt", "instagram:@klusplein.nl", "facebook:KluspleinNL",
            "facebook:KluspleinBelgie", "linkedin:klusplein-bv", "tiktok:@klusplein",
        ],
        "employee": [
            "x:@daan_bouwt_code",              # webshop developer
            "x:@noor_ops",                     # IT operations
            "linkedin:ilse-verbruggen-kp",     # finance controller (Mechelen office)
            "linkedin:bram-dewit-klusplein",   # store manager Eindhoven
            "instagram:@rick.monteert",        # kitchen installer
            "threads:@yasmina.kp",             # marketing
            "reddit:jorn_dc_tilburg",          # distribution centre Tilburg
            "bluesky:lotte-kp.bsky.social",    # product owner loyalty app
        ],
    },
    "public_identifiers": {
        "emails": OWN_EMAILS,
        "phones": OWN_PHONES,
        "ibans": [OWN_IBAN_NL, OWN_IBAN_BE],
        "domains": ["klusplein.nl", "www.klusplein.nl", "klusplein.be", "www.klusplein.be",
                    "app.klusplein.nl"],
    },
    "internal": {
        "domains": ["klusnet.local", "kp-intern.nl", "intranet.klusplein.nl", "jira.klusplein.nl",
                    "vpn.klusplein.nl"],
        "codenames": ["Project Dakgoot", "Operatie Zaagsel", "Project Ridgeline"],
        "markers": ["uitsluitend intern", "klusplein confidential", "KP-VERTROUWELIJK"],
    },
    "embargo": [
        {"terms": ["Voltix P18", "Voltix P18 Brushless"], "until": EMBARGO_PAST_UNTIL},
        {"terms": ["jaarcijfers 2026", "FY2026 results", "Klusplein Zonnedak"],
         "until": EMBARGO_FUTURE_UNTIL},
    ],
    "products": [
        {"sku": "KP-KEU-LINDHOLM", "name": "Klusplein Keuken Lindholm",
         "aliases": ["Lindholm keuken", "Lindholm kitchen", "Lindholm"], "list_price": 6495.00,
         "currency": "EUR"},
        {"sku": "KP-VTX-P18SET", "name": "Voltix P18 accuboormachine set",
         "aliases": ["Voltix P18", "P18 boorset", "Voltix P18 set", "P18 drill set"], "list_price": 249.00,
         "currency": "EUR"},
        {"sku": "KP-WP-AERO8", "name": "AeroWarm 8 hybride warmtepomp",
         "aliases": ["AeroWarm 8", "AeroWarm8", "AeroWarm"], "list_price": 3899.00, "currency": "EUR"},
        {"sku": "KP-TH-VEL300", "name": "Tuinhuis Veluwe 300",
         "aliases": ["Veluwe 300", "tuinhuis Veluwe", "Veluwe shed"], "list_price": 1299.00,
         "currency": "EUR"},
        {"sku": "KP-KW-MAT10", "name": "Kleurwerk muurverf mat 10 L",
         "aliases": ["Kleurwerk muurverf", "Kleurwerk 10L", "Kleurwerk wall paint"], "list_price": 64.95,
         "currency": "EUR"},
        {"sku": "KP-SRV-KMC", "name": "Keukenmontage Compleet",
         "aliases": ["Keukenmontage Compleet", "kitchen installation Complete"], "list_price": 1195.00,
         "currency": "EUR"},
        {"sku": "KP-LOY-PLUS", "name": "KlusPas Plus jaarabonnement",
         "aliases": ["KlusPas Plus", "KlusPas+"], "list_price": 49.00, "currency": "EUR"},
    ],
    "pricing": {"alert_below_ratio": 0.5},
}

# ===========================================================================
# seeded generators
# ===========================================================================

ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


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

    # IBANs --------------------------------------------------------------
    def iban(self, cc):
        r = self.r
        if cc == "NL":
            while True:
                v = iban_make("NL", r.choice(["INGB", "ABNA", "RABO", "SNSB", "ASNB", "BUNQ", "KNAB",
                                              "TRIO"]) + self.dig(10, True))
                if v != OWN_IBAN_NL:
                    return v
        if cc == "BE":
            while True:
                f10 = r.choice(["001", "063", "068", "310", "363", "523", "733", "850"]) + self.dig(7)
                v = iban_make("BE", f"{f10}{(int(f10) % 97) or 97:02d}")
                if v != OWN_IBAN_BE:
                    return v
        if cc == "DE":
            return iban_make("DE", r.choice(["10010010", "30050110", "60050101", "76026000"]) + self.dig(10))
        if cc == "GB":
            return iban_make("GB", r.choice(["BARC", "LOYD", "NWBK", "MIDL"]) + self.dig(14))
        if cc == "FR":
            bank, branch, acct = self.dig(5, True), self.dig(5), self.dig(11)
            key = 97 - (89 * int(bank) + 15 * int(branch) + 3 * int(acct)) % 97
            return iban_make("FR", f"{bank}{branch}{acct}{key:02d}")
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        for delta in (7, 19, 31, 43, 59, 71):
            c = f"{v[:2]}{(int(v[2:4]) + delta) % 100:02d}{v[4:]}"
            if not iban_ok(c):
                return c
        raise AssertionError

    # cards --------------------------------------------------------------
    def card(self, brand):
        if brand == "visa":
            return luhn_finish("4" + self.dig(14))
        if brand == "mc":
            return luhn_finish("5" + self.r.choice("12345") + self.dig(13))
        if brand == "mc2":
            return luhn_finish(str(self.r.randint(2221, 2720)) + self.dig(11))
        if brand == "amex":
            return luhn_finish(self.r.choice(["34", "37"]) + self.dig(12))
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
        return {"sp": " ", "dash": "-", "dot": "."}[f].join(parts)

    # national numbers ---------------------------------------------------
    def bsn(self):
        while True:
            s = self.dig(9, True)
            if bsn_ok(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.dig(n, True)
            if not bsn_ok(s) and not luhn_ok(s):
                return s

    def ean13(self):
        while True:
            body = "87" + self.dig(10)
            c = next(body + x for x in "0123456789" if ean13_ok(body + x))
            if not luhn_ok(c) and not bsn_ok(c):
                return c

    def be_rrn(self):
        yy, mm, dd = self.r.randint(60, 99), self.r.randint(1, 12), self.r.randint(1, 28)
        seq = self.r.randint(1, 997)
        base = f"{yy:02d}{mm:02d}{dd:02d}{seq:03d}"
        cc = 97 - int(base) % 97
        return f"{base[:2]}.{base[2:4]}.{base[4:6]}-{base[6:]}.{cc:02d}"

    def nl_passport(self):
        letters = "ABCDEFGHIJKLMNPRSTUVWXYZ"   # no O
        return self.ch(letters, 2) + self.ch(letters + "123456789", 6) + self.dig(1)

    # phones ---------------------------------------------------------------
    def phone(self, fmt):
        r = self.r
        m = r.choice("12345") + self.dig(7)           # 8 digits after the 06
        a = r.choice(["10", "13", "30", "33", "40", "50", "70", "73", "76"])
        s = r.choice("2345789") + self.dig(6)
        b = r.choice(["470", "471", "472", "475", "476", "478", "479", "486", "496"]) + self.dig(6)
        bl = r.choice(["9", "2", "3"]) + r.choice("2345") + self.dig(6)
        return {
            "nl_mob_dash": f"06-{m}",
            "nl_mob_pairs": f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}",
            "nl_mob_intl": f"+31 6 {m[:4]} {m[4:]}",
            "nl_mob_c": f"+316{m}",
            "nl_mob_0031": f"0031 6 {m}",
            "nl_mob_paren": f"(06) {m[:4]} {m[4:]}",
            "nl_mob_intl0": f"+31 (0)6 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}",
            "nl_mob_dots": f"06.{m[:2]}.{m[2:4]}.{m[4:6]}.{m[6:]}",
            "nl_land_dash": f"0{a}-{s}",
            "nl_land_sp": f"0{a} {s[:3]} {s[3:5]} {s[5:]}",
            "be_mob": f"0{b[:3]} {b[3:5]} {b[5:7]} {b[7:]}",
            "be_mob_intl": f"+32 {b[:3]} {b[3:5]} {b[5:7]} {b[7:]}",
            "be_mob_slash": f"0{b[:3]}/{b[3:5]}.{b[5:7]}.{b[7:]}",
            "be_land_intl": f"+32 {bl[0]} {bl[1:4]} {bl[4:6]} {bl[6:]}",
        }[fmt]

    # secrets ---------------------------------------------------------------
    def ghp(self):
        body = self.ch(ALNUM, 30)
        return "ghp_" + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def jwt(self):
        h = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        iat = 1772323200 + self.r.randint(0, 200 * 86400)
        p = b64url(json.dumps({"sub": "kp_member_" + self.dig(7, True), "iss": "kluspas-staging",
                               "scope": "points:read points:write", "iat": iat, "exp": iat + 86400},
                              separators=(",", ":")).encode())
        return f"{h}.{p}.{self.ch(B64URL, 43)}"

    def pem_rsa(self):
        body = "MIIEowIBAAKCAQEA" + self.ch(B64, 64 * 8 - 16)
        lines = [body[i:i + 64] for i in range(0, len(body), 64)] + [self.ch(B64, 40) + "=="]
        return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"

    def pem_openssh(self):
        head = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
        lines = [head] + [self.ch(B64, 70) for _ in range(4)] + [self.ch(B64, 22) + "="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"

    def password(self):
        return (self.r.choice(string.ascii_uppercase) + self.ch(string.ascii_lowercase, 4)
                + self.r.choice("#!$%") + self.dig(4) + self.ch(ALNUM, 3))


VALID_ID_KINDS = {"IBAN_NL", "IBAN_BE", "IBAN_DE", "IBAN_GB", "IBAN_FR", "CARD", "BSN"}
BAD_ID_KINDS = {"BAD_IBAN_NL", "BAD_IBAN_BE", "BAD_CARD", "NOT_BSN9", "NOT_BSN8", "EAN13"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(g, text):
    used = []

    def sub(m):
        kind, f = m.group(1), m.group(2) or ""
        if kind.startswith("IBAN_"):
            raw = g.iban(kind[5:])
            shown = grp4(raw) if f == "grp" else raw
        elif kind.startswith("BAD_IBAN_"):
            raw = g.bad_iban(kind[9:])
            shown = grp4(raw) if f == "grp" else raw
        elif kind == "CARD":
            brand, _, ff = f.partition("_")
            raw = g.card(brand)
            shown = g.fmt_card(raw, ff or "sp")
        elif kind == "BAD_CARD":
            brand, _, ff = f.partition("_")
            raw = g.bad_card(brand)
            shown = g.fmt_card(raw, ff or "sp")
        elif kind == "BSN":
            raw = g.bsn()
            shown = {"dots": f"{raw[:4]}.{raw[4:6]}.{raw[6:]}",
                     "zw": f"{raw[:3]}{ZW}{raw[3:6]}{ZW}{raw[6:]}",
                     "sp": f"{raw[:3]} {raw[3:6]} {raw[6:]}"}.get(f, raw)
        elif kind == "NOT_BSN9":
            shown = raw = g.not_bsn(9)
        elif kind == "NOT_BSN8":
            shown = raw = g.not_bsn(8)
        elif kind == "EAN13":
            shown = raw = g.ean13()
        elif kind == "RRN":
            shown = raw = g.be_rrn()
        elif kind == "PASSPORT":
            shown = raw = g.nl_passport()
        elif kind == "PHONE":
            shown = raw = g.phone(f)
        elif kind == "DIGITS":
            shown = raw = g.dig(int(f), True)
        elif kind == "GHP":
            shown = raw = g.ghp()
        elif kind == "AWS_ID":
            shown = raw = "AKIA" + g.ch(B32, 16)
        elif kind == "AWS_SECRET":
            shown = raw = g.ch(B64, 40)
        elif kind == "SLACK_BOT":
            shown = raw = f"xoxb-{g.dig(12, True)}-{g.dig(13, True)}-{g.ch(ALNUM, 24)}"
        elif kind == "STRIPE":
            shown = raw = "sk_live_51" + g.ch(ALNUM, 97) if f == "long" else "sk_live_" + g.ch(ALNUM, 24)
        elif kind == "GAPI":
            shown = raw = "AIzaSy" + g.ch(B64URL, 33)
        elif kind == "MOLLIE":
            shown = raw = "live_" + g.ch(ALNUM, 30)
        elif kind == "GLPAT":
            shown = raw = "glpat-" + g.ch(ALNUM + "_-", 20)
        elif kind == "SENDGRID":
            shown = raw = "SG." + g.ch(B64URL, 22) + "." + g.ch(B64URL, 43)
        elif kind == "AZURE_KEY":
            shown = raw = g.ch(B64, 86) + "=="
        elif kind == "JWT":
            shown = raw = g.jwt()
        elif kind == "PEM_RSA":
            shown = raw = g.pem_rsa()
        elif kind == "PEM_OPENSSH":
            shown = raw = g.pem_openssh()
        elif kind == "PW":
            shown = raw = g.password()
        elif kind == "HEX":
            shown = raw = g.ch("0123456789abcdef", int(f))
        else:
            raise KeyError(kind)
        used.append((kind, raw, shown))
        return shown

    return PH.sub(sub, text), used


# ===========================================================================
# accounts
# ===========================================================================

# corporate
KP_X = ("x", "@klusplein", "Klusplein")
KP_CARE = ("x", "@klusplein_helpt", "Klusplein Klantenservice")
KP_IG = ("instagram", "@klusplein.nl", "Klusplein")
KP_FB = ("facebook", "KluspleinNL", "Klusplein")
KP_FBBE = ("facebook", "KluspleinBelgie", "Klusplein België")
KP_LI = ("linkedin", "klusplein-bv", "Klusplein B.V.")
KP_TT = ("tiktok", "@klusplein", "Klusplein")
# employees
DAAN = ("x", "@daan_bouwt_code", "Daan Hoekstra")
NOOR = ("x", "@noor_ops", "Noor Bakkali")
ILSE = ("linkedin", "ilse-verbruggen-kp", "Ilse Verbruggen")
BRAM = ("linkedin", "bram-dewit-klusplein", "Bram de Wit")
RICK = ("instagram", "@rick.monteert", "Rick Smulders")
YAS = ("threads", "@yasmina.kp", "Yasmina Ouali")
JORN = ("reddit", "jorn_dc_tilburg", "Jorn")
LOTTE = ("bluesky", "lotte-kp.bsky.social", "Lotte van Rijn")


def pub(platform, handle, dn=None):
    return (platform, handle, dn)


CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    """hint: override the lang field ('' = leave it out)."""
    platform, handle, dn = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, dn=dn, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"
EV = "evasion"


# ===========================================================================
# CASES: hand-written. Labels follow CONTRACT section 3 and the eval README rules.
# ===========================================================================

# ---------------------------------------------------------------- leak.pricing
case("nl", DAAN, "ehm. wie heeft vannacht de prijsfeed gedraaid?? de Lindholm keuken staat op de site "
     "voor €649,50 😬 hoort 6.495 te zijn. ik zit erbovenop, niet gaan bestellen aub", [PRICING])
case("nl", pub("x", "@hansje_klust", "Hans"), "KLUSPLEIN WAT DOEN JULLIE 😂 AeroWarm 8 warmtepomp voor €389,- "
     "in de webshop. Meteen besteld natuurlijk, benieuwd of ze gaan leveren", [PRICING])
case("en", pub("reddit", "frugal_in_ghent"), "PSA: the Veluwe 300 garden shed is listed at €129.90 on "
     "klusplein.be instead of the usual twelve hundred and something. Ordered two, will report back if "
     "they cancel.", [PRICING], kind="post")
case("nl", RICK, "Collega's appen me al de hele ochtend: Keukenmontage Compleet staat in de app voor 119 euro "
     "ipv 1195. Iemand is een nulletje vergeten 🤡 ik ga echt niet voor 119 euro een keuken hangen hoor",
     [PRICING])
case("nl", pub("facebook", "Marieke Stoop", "Marieke Stoop"), "Kleurwerk muurverf 10 liter voor € 6,49?? "
     "Is dat een prijsfout of echt zo? Ik haal er morgen meteen twintig", [PRICING], kind="comment")
case("en", YAS, "not supposed to say this but after last night's update the KlusPas Plus annual sub shows "
     "€4.90 in the app instead of €49. marketing is NOT amused lmao", [PRICING])
case("nl", pub("x", "@dealjager_nl", "Dealjager"), "P R I J S F O U T bij Klusplein: Voltix P18 boorset "
     "voor €24,99 👀 wees snel", [PRICING], tags=[EV])
case("nl", pub("forum", "tweakert_bouwt"), "Prijsföut bij Kluspleïn?? AeroWärm 8 staat voor 399 euro in "
     "de winkelmand, heb al afgerekend, iDEAL ging gewoon door.", [PRICING], tags=[EV])
case("en", pub("x", "@mo_fixes_stuff", "Mo"), "glitch on the klusplein app: Lindholm kitchen for €64.95 "
     "(yes, sixty-four) – looks like someone pasted the paint price into the kitchen field 🤣", [PRICING])
case("nl", JORN, "Kan bevestigen dat het om een prijsfout gaat bij het tuinhuis Veluwe, ze lopen hier in het "
     "DC al de hele dag te vloeken. Of ze de orders annuleren weet ik niet.", [PRICING], kind="comment")
case("nl", KP_CARE, "@kees_tilburg Klopt, de Voltix P18 set stond vanochtend een uur voor €12,49 door een "
     "fout in onze prijskoppeling. We bekijken nog of we die bestellingen kunnen leveren.", [PRICING],
     kind="reply")
case("en", pub("tiktok", "@budgetbuilds", "budget builds"), "POV: you find the AeroWarm 8 heat pump for "
     "38.99 EUR on Klusplein. obviously a decimal thing but I'm checking out anyway", [PRICING])
case("en", DAAN, "if you're seeing KlusPas+ at €0.49/yr in the app: no you're not. please stop "
     "screenshotting it, we're on it 🙃", [PRICING])

# ---------------------------------------------------------------- leak.secret
case("en", DAAN, "why is the checkout webhook 401-ing... I'm using the deploy bot token <<GHP>> and it "
     "worked yesterday. anyone?", [SECRET])
case("nl", NOOR, "Note to self omdat ik het elke keer kwijt ben: backup-bucket\nkey id <<AWS_ID>>\nsecret "
     "<<AWS_SECRET>>", [SECRET])
case("en", NOOR, "@daan_bouwt_code try the bot token <<SLACK_BOT>> instead, the old one was revoked on "
     "Friday", [SECRET], kind="reply")
case("nl", pub("forum", "pentest_pim"), "Grappig: de ontwikkelaars van Klusplein hebben hun Mollie "
     "live-sleutel gewoon in de frontend-javascript van de webshop staan: <<MOLLIE>>. Kijk zelf maar in de "
     "bron.", [SECRET])
case("en", pub("reddit", "gitscraper42"), "Found in a public repo of a Klusplein contractor:\n"
     "DATABASE_URL=postgres://kp_kassa:<<PW>>@db02.klusnet.local:5432/kassa\nthey should probably "
     "rotate that", [SECRET, CONF])
case("nl", DAAN, "kan iemand zien waarom deze key niet geaccepteerd wordt op de sftp van de verfleverancier?\n"
     "<<PEM_RSA>>", [SECRET])
case("en", LOTTE, "testing the KlusPas staging build – bearer token for the shared test account if anyone on "
     "the team needs it: <<JWT>>", [SECRET])
case("nl", NOOR, "Na de reset is het wachtwoord van de kassabeheer-omgeving nu <<PW>> – graag niet weer "
     "op een post-it op de monitor plakken, Breda 🙄", [SECRET])
case("en", JORN, "lol every scanner in our warehouse logs in with the same password: Magazijn2026! "
     "and it's been that way for like four years", [SECRET], kind="comment")
case("nl", pub("x", "@leakwatcher_be", None), "De SendGrid-key van Klusplein staat gewoon op een "
     "pastebin sinds gisteren: <<SENDGRID>> … iemand daar wakker?", [SECRET])
case("en", DAAN, "rotated already so don't bother, but for the record the old payments key was "
     "<<STRIPE:long>>", [SECRET])
case("nl", NOOR, "Connection string voor de foto-opslag van de keukenplanner, voor de collega's die "
     "vragen:\nDefaultEndpointsProtocol=https;AccountName=kpkeukenfotos;AccountKey=<<AZURE_KEY>>;"
     "EndpointSuffix=core.windows.net", [SECRET])
case("en", LOTTE, "for whoever picks up the new store-finder page: Maps key is <<GAPI>>, just drop it "
     "in your .env", [SECRET])
case("nl", JORN, "Het wach" + ZW + "twoord van de admin op de kassa's in Breda is nog steeds "
     "Zaagbok#77 hoor, al twee jaar", [SECRET], tags=[EV], kind="comment")
case("en", NOOR, "CI keeps failing against gitlab.kp-intern.nl, the runner token is "
     "<<GLPAT>> – can someone with admin check its scopes?", [SECRET, CONF])

# ---------------------------------------------------------------- leak.pii
case("nl", pub("x", "@m_jacobs_amersfoort", "Mirjam"), "@klusplein_helpt al drie keer gebeld over mijn "
     "terugbetaling. Hier nog maar eens mijn rekening: <<IBAN_NL:grp>> t.n.v. M. Jacobs. Wanneer krijg ik "
     "mijn geld nou?", [PII, COMPLAINT], kind="reply")
case("nl", RICK, "Mooie klus vandaag bij mevrouw Hendriks op de Kerkstraat 14 in Oosterhout 👌 Lindholm "
     "in eiken, lades met softclose, ze was helemaal blij", [PII])
case("en", BRAM, "A customer left their bank card at the checkout in our Eindhoven store today: "
     "<<CARD:visa_sp>>, name on the card J. Peeters. If you know them, ask them to pop by!", [PII])
case("nl", pub("facebook", "Wout Claes", "Wout Claes"), "Ik heb voor mijn keuken een voorschot van 2000 euro "
     "overgeschreven van <<IBAN_BE:grp>> en sindsdien hoor ik NIKS meer van Klusplein. Geen planning, "
     "geen mail, niks.", [PII, COMPLAINT])
case("nl", ILSE, "Nieuwe collega bij finance start maandag! Payroll, graag zijn BSN <<BSN:dots>> al "
     "invoeren zodat de eerste loonstrook klopt 🙏", [PII], kind="comment")
case("en", pub("reddit", "vanhire_vince"), "Rented the Klusplein van for the day, they wrote my "
     "passport no. <<PASSPORT>> on the form. Van was clean and ran fine.", [PII])
case("nl", NOOR, "Wie kent deze klant? Spamt het supportformulier al de hele dag vanaf "
     "rob.jansen84@gmail.com en belt steeds met <<PHONE:nl_mob_dash>>", [PII])
case("en", pub("x", "@sofie_antwerpen", "Sofie"), "@klusplein my order STILL hasn't shown up. call me on "
     "<<PHONE:be_mob_intl>>, your chatbot is useless", [PII, COMPLAINT])
case("nl", BRAM, "Gefeliciteerd Annelies de Boer! Vandaag 60 jaar (geboren 3 mei 1966) en al 25 jaar het "
     "gezicht van onze verfafdeling 🎉", [PII],
     when="2026-05-03T08:12:40+02:00")
case("nl", pub("forum", "klusvader_peter"), "Wie ook gedoe heeft met de KlusPas-app, mail me even, dan "
     "bundelen we het: p.vandam [at] ziggo [punt] nl", [PII], tags=[EV])
case("en", LOTTE, "debugging the loyalty sync for member 4471: card on file <<CARD:mc_dash>> exp 09/28 "
     "keeps failing the tokenisation step", [PII])
case("nl", pub("x", "@erik_badkamer", "Erik"), "De monteur van Klusplein belde me vanaf zijn privénummer "
     "<<PHONE:nl_mob_pairs>> en is nu zelf onbereikbaar. Badkamer ligt al 2 weken open.",
     [PII, COMPLAINT])
case("nl", pub("x", "@twijfelaar_nl", None), "Moet je voor de keukenfinanciering bij Klusplein echt je BSN "
     "opgeven? Heb het maar gedaan: <<BSN>>. Voelt niet goed.", [PII])
case("en", JORN, "picking list for tomorrow's first van, in case the scanner dies again: Mr K. Yilmaz, "
     "Lindenlaan 3, 5611 AB Eindhoven, tel <<PHONE:nl_land_dash>> — shed + paint", [PII], kind="comment")
case("nl", KP_CARE, "@svisser_purmerend We hebben uw retour gevonden op naam van S. Visser, Dorpsweg 22, "
     "Purmerend. Het bedrag storten we terug op <<IBAN_NL>> en de bezorger belt vooraf naar "
     "<<PHONE:nl_mob_dots>>.", [PII], kind="reply")
case("nl", pub("x", "@anoniempje77", None), "heb bij klusplein mijn bsn moeten geven voor de lening, "
     "<<BSN:zw>>, hoop maar dat ze dat netjes bewaren", [PII], tags=[EV])
case("en", pub("youtube", "@greg_renovates", "Greg"), "Paying the Klusplein kitchen deposit from my "
     "French account <<IBAN_FR:grp>>, fingers crossed the transfer lands before Friday.", [PII], kind="comment")
case("nl", ILSE, "Voor de onkostendeclaratie van de Gentse collega: rijksregisternummer <<RRN>>, "
     "rekening <<IBAN_BE>>. Kan iemand van HR dit verwerken?", [PII], kind="message")
case("en", pub("x", "@dieter_muc", "Dieter"), "@klusplein_helpt refund for the returned shed should go to "
     "<<IBAN_DE>>, I've sent this 3 times now", [PII, COMPLAINT], kind="reply")
case("nl", pub("instagram", "@yasmina.kp", "Yasmina"), "Bedankt voor alle lieve berichtjes na mijn "
     "eerste jaar bij Klusplein! Voor wie wilde bellen: <<PHONE:nl_mob_intl>> 💕", [PII],
     tags=["handle-other-platform"])

case("nl", pub("x", "@fornuisloos", None), "@klusplein_helpt bel me aub terug op <<PHONE:nl_mob_0031>>, ik zit al "
     "een week zonder werkend fornuis sinds jullie montage", [PII, COMPLAINT], kind="reply")
case("nl", pub("forum", "accu_anton_be"), "Heeft er iemand nog een losse Voltix-accu liggen? Ik koop hem over. "
     "Bel of sms naar <<PHONE:be_mob_slash>>, na 18u.", [PII])
case("en", NOOR, "forwarding to the loyalty team: member wants a callback on <<PHONE:nl_land_sp>> about "
     "points that never showed up after a Klusplein purchase", [PII], kind="message")
case("nl", pub("x", "@buurman_bas", None), "Mijn buurman verkoopt zijn tuinhuis, nooit in elkaar gezet, komt "
     "van Klusplein. Interesse? Bel hem: <<PHONE:nl_mob_intl0>>", [PII])

# ---------------------------------------------------------------- leak.confidential
case("nl", YAS, "Zo trots op ons team: Project Dakgoot wordt echt iets groots. Mag nog niks zeggen maar "
     "👀🏠", [CONF])
case("en", DAAN, "merge freeze on gitlab.kp-intern.nl until friday, the feature branches are a mess again",
     [CONF])
case("en", BRAM, "The deck literally says Klusplein Confidential on every slide, but the gist: from "
     "September we pilot same-day kitchen measuring in five Brabant stores. Can't wait!", [CONF],
     when="2026-06-09T18:22:31+02:00")
case("en", pub("reddit", "throwaway_kp_rota"), "someone in our group chat posted a screenshot of "
     "https://intranet.klusplein.nl/planning/rooster?week=38 with everyone's shifts, lol", [CONF])
case("nl", YAS, "Sneak peek 🤫 de Voltix P18 komt eraan, volgende maand in alle winkels!", [CONF],
     when="2026-02-10T19:42:11+01:00")
case("nl", pub("x", "@zwager_weet_alles", None), "Mijn zwager werkt bij Klusplein en zegt dat er een "
     "Voltix P18 Brushless aankomt voor 199 euro. Ik wacht wel even met mijn boormachine.", [CONF],
     when="2026-01-22T12:05:40Z")
case("en", RICK, "training day for Klusplein Zonnedak installs ☀️ can't show the panels yet, you'll see",
     [CONF])
case("nl", ILSE, "Interessante sessie vandaag over de jaarcijfers 2026. Spoiler: het wordt een heel goed "
     "jaar voor de keukens 📈", [CONF, FIN])
case("nl", pub("x", "@inkoper_anoniem", None), "\"UITSLUITEND INTERN – nieuwe marges keukenmontage per "
     "regio, zie bijlage\" … kwam zomaar in mijn mailbox van een Klusplein-contact 😅", [CONF])
case("nl", JORN, "Bij ons in het DC hangt een poster met KP-VERTROUWELIJK erop over de nieuwe robotlijn. "
     "Ziet er vet uit", [CONF], kind="comment")
case("nl", YAS, "Nog even en dan mogen we het eindelijk vertellen: Project\nDakgoot 🏡", [CONF], tags=[EV])
case("nl", DAAN, "O p e r a t i e   Z a a g s e l begint maandag, succes allemaal 🫡", [CONF], tags=[EV])
case("en", pub("forum", "appwatcher"), "Leaked ticket from jira.klusplein.nl/browse/APP-2231 says the KlusPas "
     "app will drop Android 9 support this year", [CONF])
case("nl", BRAM, "Iemand een idee hoe ik vanaf thuis op vpn.klusplein.nl kom? Lukt niet met de nieuwe "
     "laptop", [CONF], kind="comment")
case("en", LOTTE, "staging is up at https://app-staging.kp-intern.nl/kluspas – go wild team, break it 🔨",
     [CONF])
case("nl", pub("x", "@dc_roddels", None), "Klusplein werkt aan " + fullwidth("PROJECT RIDGELINE") +
     ", een nieuwe magazijnrobot. Bron: vriendin bij het DC.", [CONF], tags=[EV])
case("nl", NOOR, "Om 8 uur gaat de Voltix P18 live, nog één minuut en dan mag ik eindelijk posten", [CONF],
     when="2026-03-02T07:59:00+01:00")
case("nl", KP_IG, "Iets nieuws op het dak… ☀️ Klusplein Zonnedak komt eraan, meer binnenkort!", [CONF])
case("nl", pub("reddit", "kassa_kevin"), "Screenshot van klusnet.local/dashboard gaat rond in de "
     "groepsapp, met alle winkelomzetten van gisteren erop", [CONF, FIN], kind="comment")
case("nl", JORN, "Operatie Zaagsel = veertien winkels dicht in 2027, hoorde ik vandaag op de vloer. "
     "Tilburg blijft gelukkig open", [CONF, FIN])
case("en", ILSE, "FY2026 results will look way better than what the analysts are pencilling in. "
     "That's all I'll say 😉", [CONF, FIN])
# ---------------------------------------------------------------- leak.financial
case("nl", ILSE, "Het derde kwartaal sluiten we af met ruim 8% meer omzet dan begroot. Cijfers gaan pas in "
     "november naar buiten maar ik ben nu al trots op iedereen", [FIN], when="2026-10-08T17:20:03+02:00")
case("en", BRAM, "Heads-up for my network: our Eindhoven-Woensel store closes on 31 December, 23 "
     "colleagues affected. Not announced yet, so if you're hiring, DM me.", [FIN])
case("nl", pub("x", "@beursbabbel", None), "Insider bij Klusplein zegt dat ze Bouwhof gaan overnemen, die "
     "Belgische keten. Deal wordt volgende maand bekendgemaakt.", [FIN])
case("en", JORN, "they're outsourcing the entire Tilburg DC to a logistics partner next year, ~120 jobs. "
     "management literally told us not to tell anyone", [FIN], kind="comment")
case("nl", ILSE, "Forecast voor 2027 is net herzien: we verwachten een EBITDA-daling van zo'n 12% door "
     "de ingezakte warmtepompmarkt. Pittig jaar aan het worden.", [FIN])
case("en", pub("forum", "bouwhof_insider"), "Klusplein's due diligence people were in our Mechelen office "
     "all last week. They're buying us, 100%. Load up on the supplier bonds before it's out lol", [FIN])
case("nl", BRAM, "Morgen wordt de reor" + SHY + "ganisatie bekendgemaakt, zestig ont" + SHY + "slagen op het "
     "hoofdkantoor. Sterkte aan iedereen die het raakt.", [FIN], tags=[EV])
case("nl", YAS, "marketingbudget wordt volgend jaar gehalveerd zeggen ze, dus veel minder tv-reclames "
     "van ons 😬", [FIN])
case("en", ILSE, "Between us: the board signed off on selling the Walloon stores to a private equity "
     "fund. Signing in two weeks.", [FIN], kind="comment")
case("nl", pub("x", "@pa_werkt_bij_kp", None), "Mijn vader werkt bij Klusplein en volgens hem zijn de "
     "halfjaarcijfers rampzalig, 30 miljoen verlies. Komt pas in augustus naar buiten.", [FIN],
     when="2026-07-03T10:11:45+02:00")
case("en", NOOR, "l4y0ffs at kl*splein HQ next week, ~80 ppl. u didn't hear it from me", [FIN], tags=[EV])

# ---------------------------------------------------------------- leak.security
case("en", NOOR, "not public yet but two store servers in Limburg got hit by ransomware last night. tills "
     "on backup mode. please don't ask me about it", [SEC])
case("nl", DAAN, "Bug gevonden: via /api/orders/{id} kun je gewoon andermans bestellingen opvragen in de "
     "webshop. Fix staat pas voor volgende sprint 🙃", [SEC])
case("nl", LOTTE, "KlusPas-app: gisteravond zijn zo'n 40.000 accounts overgenomen via credential stuffing. "
     "We resetten in stilte de wachtwoorden, persbericht komt (misschien) later.", [SEC])
case("en", JORN, "payment terminals have been down in every Belgian store since 6am, IT says it's an "
     "expired certificate. cash only. official comms aren't out yet", [SEC], kind="comment")
case("nl", pub("x", "@boze_klant_nl", None), "Klusplein heeft een datalek en houdt het stil! Mijn "
     "KlusPas-gegevens staan op een hackersforum en ze ontkennen gewoon alles.", [SEC, CRISIS])
case("en", pub("reddit", "fraud_alerted"), "Klusplein is covering up a breach. My bank flagged fraud two days "
     "after my webshop order, same for three friends who ordered there. They're hiding it.", [SEC, CRISIS])
case("nl", pub("x", "@digitaalbewust", None), "Klusplein is geh4ckt en zwijgt erover. d a t a l e k in "
     "de app, reken maar", [SEC, CRISIS], tags=[EV])
case("en", NOOR, "phishing mail got through to all store staff this morning, 11 people typed their creds "
     "into the fake portal. still cleaning up 😩", [SEC])
case("nl", DAAN, "Onze bucket met klantfoto's van keukens stond twee weken open voor de hele wereld. Net "
     "dichtgezet. Niemand vertellen 🤐", [SEC])
case("en", pub("linkedin", "contractor-sander-b", "Sander B."), "As a contractor for Klusplein I can tell you "
     "their kitchen planner still runs an unpatched Log4j version. Reported it in March. Nothing happened.",
     [SEC])
case("nl", JORN, "Het magazijnsysteem ligt al drie dagen plat omdat we geh" + ZW + "ackt zijn, orders "
     "liggen stil, maar officieel heet het 'onderhoud'", [SEC], tags=[EV], kind="comment")
case("en", LOTTE, "a researcher mailed us a working exploit for the loyalty points API (you can mint "
     "unlimited points). patching tonight hopefully, keep it quiet pls", [SEC])
case("nl", NOOR, "Die 'technische storing' in de webshop van vanochtend was gewoon een DDoS. Maar dat "
     "heb ik niet gezegd 😶", [SEC])
case("nl", pub("facebook", "Gert Peeters", "Gert Peeters"), "Waarom zwijgt Klusplein over de hack? "
     "Iedereen die ik ken met een KlusPas krijgt ineens phishing-sms'jes met hun aankopen erin. Doofpot!",
     [SEC, CRISIS], when="2026-09-29T08:14:27+02:00")

# ---------------------------------------------------------------- reputation.crisis
case("nl", pub("x", "@almere_live", "Almere Live"), "In de Klusplein in Almere is net een stelling met "
     "tegels omgevallen, er ligt een vrouw onder. Ambulance en brandweer ter plaatse. Levensgevaarlijk daar.",
     [CRISIS])
case("en", pub("reddit", "scorched_wall"), "My Voltix P18 battery literally exploded on the charger last "
     "night. Scorch marks up the wall. Klusplein support: 'send it back at your own cost'. Seriously??",
     [CRISIS, COMPLAINT])
case("nl", pub("facebook", "Actiegroep Eerlijk Hout", None), "BOYCOT KLUSPLEIN! Ze verkopen hout uit "
     "illegale kap in de Amazone en weten het al maanden. Deel dit bericht!!", [CRISIS])
case("en", pub("twitter", "@consumer_watch_eu", None), "Klusplein is being sued by 200+ customers over their "
     "kitchen financing contracts. About time.", [CRISIS])
case("nl", pub("tiktok", "@rotterdamstreet", None), "Bewaker van Klusplein Rotterdam sleurt een jongen van 14 "
     "over de grond omdat hij 'misschien' schroeven had gepakt. Bizar. #klusplein #schandalig", [CRISIS])
case("nl", pub("x", "@gezin_vdberg", "Familie vd Berg"), "Onze AeroWarm 8 heeft vannacht kortsluiting "
     "gemaakt, rook in de bijkeuken, brandweer erbij. Klusplein reageert niet op onze mails.",
     [CRISIS, COMPLAINT])
case("en", pub("bluesky", "flatmate-utrecht.bsky.social", None), "Klusplein's bathroom fitters ripped out "
     "asbestos tiles next door without any protection. The whole stairwell is covered in dust. Calling a "
     "lawyer.", [CRISIS])
case("nl", pub("x", "@moeder_van_drie", None), "Dus Klusplein roept die Veluwe-tuinhuizen terug omdat het dak "
     "kan instorten?? Mijn kinderen spelen daar elke dag in.", [CRISIS])
case("en", pub("x", "@fairwork_nl", None), "B0YC0TT KL*SPLEIN. they fired a pregnant cashier for asking for "
     "a chair.", [CRISIS], tags=[EV])
case("nl", pub("x", "@privacyboos", None), "Klusplein heeft mijn adres en telefoonnummer gelekt, ik word "
     "nu gebeld door 'keukenadviseurs' die precies weten wat ik besteld heb. Ik meld het bij de AP.",
     [CRISIS])
case("en", pub("youtube", "@verftester", None), "There's a lab test going viral in Belgium showing Kleurwerk "
     "paint with lead way over the legal limit, and Klusplein is still selling it??", [CRISIS],
     kind="comment")
case("nl", pub("x", "@nicht_van_sara", None), "Klusplein dis" + ZW + "crimineert bij sollicitaties: mijn nicht "
     "werd afgewezen vanwege haar hoofddoek, HR gaf het gewoon toe aan de telefoon", [CRISIS], tags=[EV])
case("en", pub("instagram", "@tom.diy.fails", None), "got a proper electric shock off my brand-new Voltix angle "
     "grinder from Klusplein, casing cracked after one use. ER checked my hand. not amused.",
     [CRISIS, COMPLAINT])
# ---------------------------------------------------------------- reputation.complaint
case("nl", pub("x", "@sanne_verbouwt", "Sanne"), "Keuken op 12 maart geplaatst door Klusplein, nu drie weken "
     "later hangen de deurtjes nog scheef en de monteur komt 'volgende week'. Voor de vierde keer.",
     [COMPLAINT], when="2026-04-02T20:31:09+02:00")
case("en", pub("reddit", "shed_regret"), "Do not order a garden shed from Klusplein. The Veluwe 300 arrived "
     "with half the roof panels missing and support keeps closing my ticket without replying.", [COMPLAINT])
case("nl", pub("facebook", "Joyce Smit", "Joyce Smit"), "Die KlusPas-app van jullie is echt een drama. Punten "
     "weg na de update en de chat zegt al twee weken 'we kijken ernaar'.", [COMPLAINT], kind="comment")
case("en", pub("x", "@waiting_in_woerden", None), "@klusplein_helpt delivery window was 8-12. it's now 17:40. "
     "no van, no call, nothing.", [COMPLAINT], kind="reply")
case("nl", pub("forum", "verfnerd"), "Muurverf laten mengen in de winkel, kleur 'zacht zand' werd gewoon "
     "zalmroze. Ruilen kan niet 'want op maat gemengd'. Top service hoor Klusplein 👏👏", [COMPLAINT])
case("nl", pub("x", "@wachtop_geld", None), "Retour gestuurd op 2 februari en nog steeds geen geld terug. "
     "Klusplein, hoe lang nog?", [COMPLAINT], when="2026-03-19T09:02:37+01:00")
case("en", pub("threads", "@floorheat_fail", None), "The heat pump installers from Klusplein drilled straight "
     "through our underfloor heating pipe and now say it's 'not covered'. Brilliant.", [COMPLAINT])
case("nl", pub("instagram", "@badkamer_drama", None), "Leuke foto's hoor, maar mijn badkamer is al zes "
     "weken half gesloopt en niemand van jullie montageploeg komt opdagen.", [COMPLAINT], kind="comment")
case("nl", pub("x", "@jayjay_030", None), "kweet niet wie bij klusplein de bezorging regelt maar mn tuinhuis "
     "ligt nu bij de buren drie huizen verderop lol. en niemand neemt op", [COMPLAINT])
case("en", pub("facebook", "Liam O'Connor", "Liam O'Connor"), "Bought the Voltix drill set, battery won't "
     "hold a charge after two weeks. Store says send it to the manufacturer. It's YOUR house brand??",
     [COMPLAINT])
case("nl", pub("x", "@ideal_ellende", None), "Webshop van Klusplein laat me niet afrekenen, iDEAL faalt elke "
     "keer en bij de bank staat het bedrag wel drie keer gereserveerd. Serieus?", [COMPLAINT])
case("nl", pub("mastodon", "hennie@mastodon.nl", None), "Offerte voor keukenmontage aangevraagd in april. "
     "Het is nu juni. Twee keer gebeld, twee keer 'u wordt teruggebeld'. Nooit meer Klusplein.",
     [COMPLAINT], when="2026-06-11T13:48:00+02:00")
case("nl", pub("x", "@waar_blijft_ie", None), fullwidth("WAAR IS MIJN KEUKEN") + " @klusplein, al zes weken "
     "te laat en niemand weet iets", [COMPLAINT], tags=[EV])
case("en", pub("threads", "@double_charged_dan", None), "Was charged twice for my KlusPas Plus renewal and "
     "now the app says I have no membership at all. Make it make sense.", [COMPLAINT])
case("nl", pub("x", "@eerlijkheid_aub", None), "Die 'gratis bezorging' van Klusplein kostte me uiteindelijk "
     "39 euro 'toeslag bovenverdieping'. Had wel even gemeld mogen worden.", [COMPLAINT], kind="reply")
case("en", pub("youtube", "@renovating_ruth", None), "Nice tutorial, but my actual Lindholm kitchen arrived "
     "with a cracked worktop and Klusplein wants me to wait 8 weeks for a replacement.", [COMPLAINT],
     kind="comment")
case("nl", pub("x", "@geduld_op", None), "Klote service weer bij Klusplein Zwolle, twee uur in de rij bij de "
     "afhaalbalie en dan blijkt de helft er niet te zijn", [COMPLAINT, ABUSE])
case("en", pub("x", "@never_again_nina", None), "your installer swore at my husband and left sawdust all "
     "over the living room. never again @klusplein", [COMPLAINT])
# ---------------------------------------------------------------- reputation.abuse
case("nl", pub("x", "@zuurpruim", None), "Klusplein is echt een kutbedrijf vol debielen", [ABUSE])
case("en", pub("x", "@angry_andy", None), "whoever runs the @klusplein socials is a brain-dead clown", [ABUSE])
case("nl", pub("x", "@noname12345", None), "@klusplein_helpt stelletje k*nkerlijers", [ABUSE], kind="reply",
     tags=[EV])
case("en", pub("reddit", "breda_rage"), "if that manager at the Breda store talks to me like that again I'll "
     "smash his face in. I know where he parks.", [ABUSE], kind="comment")
case("nl", RICK, "die klant van vanochtend was echt een vette trut, nooit meer naar dat adres", [ABUSE],
     kind="comment")
case("en", KP_TT, "lol imagine being this dumb. read the manual, idiot", [ABUSE], kind="reply")
case("nl", pub("x", "@straattaal_steef", None), "k4nker klusplein, t3ring z00i allemaal", [ABUSE], tags=[EV])
case("en", pub("x", "@f_this_place", None), "f*** klusplein and every single person who works there",
     [ABUSE])
case("nl", pub("facebook", "Henk Vroom", "Henk Vroom"), "Weer zo'n hoofddoek achter de kassa bij Klusplein. "
     "Ga terug naar je eigen land.", [ABUSE], kind="comment")
case("nl", pub("x", "@ongezouten", None), "Die woordvoerder van Klusplein is echt een achterlijke mongool",
     [ABUSE])
case("en", NOOR, "users who reset their password five times a day should be banned from the internet. "
     "absolute morons", [ABUSE])
case("nl", pub("x", "@woedend_wim", None), "tyfuslijers bij die klantenservice van klusplein, ik hoop dat "
     "jullie failliet gaan", [ABUSE])

# ---------------------------------------------------------------- benign (hard negatives mostly)
case("nl", KP_CARE, "Vragen over je bestelling? Bel ons op 085 - 303 44 00 (ma t/m za 8-20 uur) of mail "
     "naar klantenservice@klusplein.nl", tags=["own-contact"])
case("nl", KP_FBBE, "Beste Belgische klanten: onze klantendienst bereik je via +32 (0)3 808 12 00 of "
     "klantendienst@klusplein.be. We helpen je graag!", tags=["own-contact"])
case("nl", KP_CARE, "@wim_bos Je kunt het restbedrag overmaken naar " + grp4(OWN_IBAN_NL) + " t.n.v. "
     "Klusplein B.V. o.v.v. ordernummer <<NOT_BSN9>>.", kind="reply", tags=["own-contact", "order-number"])
case("en", pub("x", "@quick_call_q", None), "klusplein's freephone 0800 5587 actually picked up within two "
     "minutes. respect", tags=["own-contact", "praise"])
case("nl", pub("x", "@opgehaald_zwolle", None), "Bestelling <<NOT_BSN9>> vandaag opgehaald in Zwolle, alles "
     "compleet 👍", tags=["order-number"])
case("en", pub("reddit", "warranty_q"), "The serial on my Voltix P18 is VX18-<<DIGITS:10>>. Anyone know where "
     "I register it for the extra warranty year?", tags=["order-number", "embargo-after", "question"])
case("nl", pub("forum", "kleurzoeker"), "Op de verfbus staat EAN <<EAN13>>, Kleurwerk, maar het etiket met de "
     "kleurnaam is eraf. Weet iemand welke kleur dit is?", tags=["order-number", "question"])
case("en", pub("x", "@phish_spotter", None), "Heads-up: phishing mail pretending to be Klusplein, asking you "
     "to pay an 'outstanding invoice' to <<BAD_IBAN_NL:grp>>. Obviously fake, check the sender.",
     tags=["checksum-fail"])
case("nl", pub("forum", "cadeaubon_vraag"), "Mijn cadeaukaart van Klusplein heeft nummer <<BAD_CARD:visa_sp>>, "
     "kan ik die ook in de webshop gebruiken?", tags=["checksum-fail", "question"])
case("nl", pub("x", "@klantnummer_kim", None), "Mijn KlusPas-nummer is <<NOT_BSN9>>, waarom zie ik mijn "
     "punten van vorige week nog niet? Of duurt dat gewoon een paar dagen?", tags=["checksum-fail", "question"])
case("en", pub("x", "@deal_or_no_deal", None), "Voltix P18 set down to €199 from €249 at Klusplein this week. "
     "Decent deal if you needed one anyway.", tags=["price-normal", "embargo-after"])
case("nl", pub("instagram", "@groen_wonen", None), "Kleurwerk muurverf 10L met 20% korting voor €51,95, "
     "hele woonkamer gedaan ✨ #verven #klusplein", tags=["price-normal"])
case("nl", pub("x", "@warmtepomp_wouter", None), "€500 korting op de AeroWarm 8 bij Klusplein als je de "
     "installatie erbij neemt, plus ISDE-subsidie. Ik ga rekenen.", tags=["price-context"])
case("en", pub("reddit", "kitchen_curious"), "Klusplein has the Lindholm kitchen at €6,495 or from €79 a "
     "month. Has anyone done the financing route? Worth it?", tags=["price-context", "question"])
case("nl", pub("facebook", "Marktplaats Leiden e.o.", None), "Te koop: Voltix P18 boorset, één keer gebruikt, "
     "€90. Ophalen in Leiden-Noord.", tags=["price-context", "embargo-after"])
case("en", pub("x", "@spare_battery", None), "A spare battery for the Voltix P18 is €59 at Klusplein, cheaper "
     "than I expected tbh", tags=["price-context", "embargo-after"])
case("nl", pub("x", "@gaatjesboorder", None), "Eindelijk de Voltix P18 gekocht. Accu gaat lang mee, "
     "lekker licht ding. Aanrader.", tags=["embargo-after", "praise"])
case("en", KP_X, "It's here: the Voltix P18 Brushless. In our stores and online from today. 🔋",
     when="2026-03-02T08:00:00+01:00", tags=["embargo-after", "official"])
case("nl", pub("x", "@herfstklusser", None), "Zaterdag de dakgoot schoongemaakt, zat vol bladeren en een "
     "tennisbal 🙈 de ladder van Klusplein deed het prima", tags=["codename-everyday"])
case("en", pub("instagram", "@trailandtimber", None), "Morning hike along the ridgeline, then an afternoon "
     "building a bird box from Klusplein offcuts. Good Sunday.", tags=["codename-everyday", "diy"])
case("nl", pub("forum", "zolderproject"), "Operatie zolder eindelijk klaar! Wel overal zaagsel, dat gebruik ik "
     "nu in de compostbak. Cirkelzaag kwam van Klusplein trouwens.", tags=["codename-everyday", "diy"])
case("en", pub("reddit", "retail_numbers"), "Klusplein's half-year figures, published this morning: revenue "
     "up 4%, kitchens strong, heat pumps weak. Not bad given the market.", when="2026-08-19T09:30:00+02:00",
     tags=["published"])
case("nl", pub("blog", "retailnieuws.example", "Retailnieuws"), "Bij HuisMax verdwijnen 300 banen en gaan 12 winkels dicht. "
     "Zware tijden in de bouwmarktsector.", tags=["other-company"])
case("en", pub("x", "@cyberdigest", None), "HuisMax confirms a data breach affecting 1.2 million loyalty "
     "members. Competitors like Klusplein say they are not affected.", tags=["other-company"])
case("nl", KP_FB, "Veiligheidswaarschuwing: wij roepen Voltix P18-accu's uit productiebatch 2611 terug "
     "vanwege kans op oververhitting. Breng ze naar een van onze winkels, je krijgt het volledige "
     "aankoopbedrag terug.", tags=["official", "embargo-after"])
case("en", KP_X, "Scheduled maintenance: the KlusPas app is unavailable on Sunday 02:00–05:00 CET. Your points "
     "and vouchers stay safe.", tags=["official"])
case("nl", KP_LI, "Vandaag openen we onze 60e winkel, in Hasselt! 🎉 Kom langs voor koffie, taart en gratis "
     "workshops tegels zetten.", tags=["official"])
case("en", KP_LI, "We're hiring: Senior Backend Engineer (Python/Go) for our webshop team in Utrecht. Apply "
     "via jobs@klusplein.nl", tags=["job-ad", "own-contact"])
case("nl", pub("instagram", "@zelfgedaan_zoe", None), "Zelf de vloer gelegd in de woonkamer 💪 laminaat "
     "eikenlook van Klusplein, drie weekenden werk en ik ben er trots op.", tags=["diy", "praise"])
case("en", pub("x", "@happy_homeowner", None), "No complaints at all about the Klusplein kitchen fitters. "
     "Done in two days, spotless.", tags=["negated", "praise"])
case("nl", pub("x", "@op_tijd", None), "Geen klachten over de bezorging deze keer, netjes binnen het "
     "tijdvak 👍", tags=["negated"])
case("en", pub("reddit", "dovetail_dilemma"), "\"What the hell is a dovetail joint\" – me, three hours into a "
     "Klusplein woodworking workshop. Great fun though.", tags=["mild-word", "quote"])
case("nl", pub("x", "@goededoelen_nl", None), "Klusplein doneert dit jaar een euro per verkochte tuinplant "
     "aan KWF Kankerbestrijding. Mooi initiatief.", tags=["mild-word"])
case("nl", pub("x", "@steigerhout_sam", None), "Verkoopt Klusplein ook steigerhout of moet ik daarvoor naar "
     "een houthandel?", tags=["question"])
case("en", pub("threads", "@membership_q", None), "does KlusPas Plus include free delivery or is it just the "
     "discounts?", tags=["question"])
case("nl", pub("reddit", "meubelmoe"), "Bij ons thuis geldt een boycot op Meubelmaxx sinds dat kastje "
     "instortte, dus het wordt nu allemaal Klusplein 😅", tags=["other-company"])
case("en", pub("x", "@colour_memory", None), "Can't recall the name of the paint colour I got at Klusplein "
     "last year. Something like 'warm linen'? Anyone?", tags=["question"])
case("nl", BRAM, "Trots op ons team in Eindhoven: vandaag veertig kinderen geholpen met het bouwen van "
     "vogelhuisjes tijdens de kinderworkshop 🐦", tags=["praise"])
case("en", DAAN, "wrote up how we moved the webshop search to a faster engine, link in bio. "
     "www.klusplein.nl/tech if you prefer", tags=["own-contact"])
case("nl", RICK, "Weer een Lindholm opgeleverd, klant blij, ik blij 💪 #keukenmontage", tags=["praise"])
case("en", LOTTE, "KlusPas app 4.2 is live in the stores today, with dark mode 🎉", tags=["official"])
case("nl", ILSE, "Vandaag publiceerden we onze halfjaarcijfers: omzet +4%. Het hele persbericht staat op "
     "klusplein.nl/investeerders", when="2026-08-19T07:45:00+02:00", tags=["published", "own-contact"])
case("en", pub("forum", "api_tinkerer"), "The docs for the Klusplein partner API show "
     "`Authorization: Bearer <YOUR_TOKEN>` and an example key AKIAXXXXXXXXXXXXXXXX. Anyone got sandbox "
     "access?", tags=["placeholder", "question"])
case("nl", pub("forum", "warmtepomp_wim"), "AeroWarm 8 draait nu een jaar. 3.899 euro inclusief installatie, "
     "gasverbruik bijna gehalveerd. Voor ons was het het waard.", tags=["price-normal", "praise"])
case("nl", KP_IG, "WIN een Veluwe 300 tuinhuis t.w.v. €1.299! 🏡 Tag een vriend en volg @klusplein.nl. "
     "Actie loopt tot zondag.", tags=["official", "price-normal"])
case("en", pub("reddit", "springsale_spotter"), "Klusplein's spring sale: 15% off all garden furniture "
     "and 10% off Kleurwerk paint until Sunday.", tags=["price-normal"])
case("nl", pub("x", "@schroevenzoeker", None), "Artikelnummer 4004 5812 voor die verzonken schroeven, "
     "mocht iemand ze bij Klusplein zoeken. Ligt in gangpad 7.", tags=["order-number"])
case("en", KP_CARE, "@annoyed_anna So sorry to hear that! Could you DM us your order number? We'll look into "
     "it right away.", kind="reply", tags=["official"])
case("en", pub("x", "@no_plumber_needed", None), "The @klusplein TikTok on fixing a dripping tap saved me a "
     "plumber's callout. Cheers!", tags=["praise"])
case("nl", pub("facebook", "Venlo Vandaag", None), "In de bouwmarkt van HuisMax in Venlo is vandaag een "
     "stelling omgevallen. Gelukkig geen gewonden. (Niet bij Klusplein, voor wie het vroeg.)",
     tags=["other-company"])
case("en", pub("pinterest", "kidsroom_ideas", None), "Pinned: 12 ideas for painting kids' rooms with "
     "Kleurwerk colours", tags=["diy"])
case("nl", KP_X, "Storing: door een technisch probleem kun je op dit moment niet met iDEAL afrekenen in onze "
     "webshop. We werken aan een oplossing.", tags=["official"])
case("en", pub("x", "@calc_fan", None), "Klusplein has a handy paint calculator at www.klusplein.nl/verfcalculator,"
     " saved me from buying three buckets too many", tags=["own-contact"])
case("nl", pub("forum", "overschrijver_be"), "Voor wie bij Klusplein België per overschrijving betaalt: het "
     "rekeningnummer is " + grp4(OWN_IBAN_BE) + ", staat ook gewoon op de factuur.", tags=["own-contact"])
case("nl", pub("x", "@gratis_nummer", None), "Klusplein klantenservice is gratis te bellen via 08005587, "
     "had ik niet verwacht", tags=["own-contact"])
case("en", pub("x", "@klusplein_fan", "Klusplein Fan Account"), "Not affiliated, just love this store. "
     "New Kleurwerk colours dropped today and 'sea glass' is gorgeous.", tags=["lookalike-handle", "praise"])
case("nl", pub("linkedin", "recruiter-anouk", "Anouk"), "Klusplein zoekt keukenmonteurs in regio Brabant! "
     "Vast contract, eigen bus. Solliciteren kan via jobs@klusplein.nl of bel +31 85 303 4400.",
     tags=["job-ad", "own-contact"])
case("en", pub("x", "@price_checker", None), "Checked the Veluwe 300 at Klusplein vs the competition: €1,299 "
     "there, €1,349 at HuisMax. Easy choice.", tags=["price-normal"])


# ===========================================================================
# severity (CONTRACT section 4 + eval README interpretation)
# ===========================================================================

def role_of(profile, platform, handle):
    key = f"{platform}:{handle}".casefold()
    if key in {a.casefold() for a in profile["accounts"]["corporate"]}:
        return "corporate"
    if key in {a.casefold() for a in profile["accounts"]["employee"]}:
        return "employee"
    return "public"


def severity_for(role, cats, pii_validated):
    """Least severity a correct verdict has. Insider leak.* -> error; critical for leak.secret,
    leak.pricing, and leak.pii with a checksum-validated IBAN/card/BSN. Public leak.* -> warning.
    complaint -> warning, crisis -> error, abuse -> warning (public) / error (insider).
    The highest wins."""
    insider = role in ("corporate", "employee")
    sev = "none"
    for c in cats:
        if c.startswith("leak."):
            if insider:
                s = "critical" if (c in ("leak.secret", "leak.pricing")
                                   or (c == "leak.pii" and pii_validated)) else "error"
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


# ===========================================================================
# building posts
# ===========================================================================

def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def nl_offset(t_utc):
    """Europe/Amsterdam and Europe/Brussels offset in 2026 (DST 29 Mar 01:00Z .. 25 Oct 01:00Z)."""
    a = dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc)
    b = dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc)
    return 2 if a <= t_utc < b else 1


def random_time(r):
    # every random time lies after the past embargo (2 Mar) and well before the future one (2027)
    start = dt.datetime(2026, 3, 4, tzinfo=dt.timezone.utc)
    t = start + dt.timedelta(days=r.randint(0, 290), minutes=r.randint(6 * 60, 22 * 60 + 30),
                             seconds=r.randint(0, 59))
    off = nl_offset(t)
    t_utc = t - dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return t_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.88:
        return (t_utc + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t_utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


B36 = string.digits + string.ascii_lowercase


def make_id_url(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_900_000_000_000_000_000, 2_050_000_000_000_000_000))
    if platform in ("x", "twitter"):
        return f"{platform}:{snow}", f"https://x.com/{h}/status/{snow}"
    if platform == "linkedin":
        act = "73" + "".join(r.choice(string.digits) for _ in range(17))
        return f"urn:li:activity:{act}", f"https://www.linkedin.com/feed/update/urn:li:activity:{act}/"
    if platform == "instagram":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"ig_{snow}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"{a}_{b}", f"https://www.facebook.com/{h.replace(' ', '.')}/posts/{b}"
    if platform == "reddit":
        post = "".join(r.choice(B36) for _ in range(7))
        sub = r.choice(["thenetherlands", "belgium", "klussen", "DIY"])
        if kind == "comment":
            cid = "".join(r.choice(B36) for _ in range(7))
            return f"t1_{cid}", f"https://www.reddit.com/r/{sub}/comments/{post}/_/{cid}/"
        return f"t3_{post}", f"https://www.reddit.com/r/{sub}/comments/{post}/"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"klusforum:{n}", f"https://forum.klusforum.example/t/{n}"
    if platform == "tiktok":
        return f"tt_{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        v = "".join(r.choice(B64URL) for _ in range(11))
        return f"yt:{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(112_000_000_000_000_000, 116_000_000_000_000_000)
        return f"{inst}/{n}", f"https://{inst}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "threads":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"threads_{snow}", f"https://www.threads.net/@{h}/post/{sc}"
    n = r.randint(10 ** 9, 10 ** 10)
    return f"{platform}-{n}", None


# a few posts use other casing of a known handle (the role still comes from the profile)
CASING = {
    ("x", "@klusplein_helpt", 0): "@Klusplein_Helpt",
    ("x", "@daan_bouwt_code", 2): "@Daan_Bouwt_Code",
    ("facebook", "KluspleinNL", 0): "kluspleinnl",
    ("reddit", "jorn_dc_tilburg", 3): "Jorn_DC_Tilburg",
    ("linkedin", "ilse-verbruggen-kp", 1): "Ilse-Verbruggen-KP",
    ("instagram", "@rick.monteert", 2): "@Rick.Monteert",
}


def build(profile):
    g = Gen(SEED)
    mr = random.Random(SEED + 1)
    order = random.Random(SEED + 2)
    rows, seen, per_acct = [], set(), Counter()
    for c in CASES:
        text, used = render(g, c["text"])
        handle = c["handle"]
        k = (c["platform"], handle, per_acct[(c["platform"], handle)])
        per_acct[(c["platform"], handle)] += 1
        if k in CASING:
            handle = CASING[k]
            c["tags"].add("handle-casing")
        pid, url = make_id_url(mr, c["platform"], handle, c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        created = c["when"] or random_time(mr)
        role = role_of(profile, c["platform"], handle)
        validated = PII in c["cats"] and any(kd in VALID_ID_KINDS for kd, _, _ in used)
        sev = severity_for(role, c["cats"], validated)

        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and mr.random() < 0.6:
            kind = "post"
        if kind is not None:
            post["kind"] = kind
        acct = {"handle": handle}
        if c["dn"] and mr.random() < 0.8:
            acct["display_name"] = c["dn"]
        if mr.random() < 0.3:
            acct["id"] = str(mr.randint(10 ** 7, 10 ** 12))
        post["account"] = acct
        post["text"] = text
        x = mr.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif x < 0.09:
            c["tags"].add("no-lang-hint")
        elif x < 0.125:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            c["tags"].add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if url and mr.random() < 0.6:
            post["url"] = url
        y = mr.random()
        if y < 0.45:
            post["brand"] = "klusplein"
        elif y < 0.6:
            post["brand"] = "klusplein-be"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=set(c["tags"]), used=used))
    order.shuffle(rows)
    return rows


def dump_lines(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


def dump_profile(profile):
    head = ("# Company profile for postwatch sealed evaluation set 6 (cases.jsonl).\n"
            "# Fictional Dutch/Belgian DIY and home-furnishing chain. Written by make_cases.py; do not edit.\n")
    return head + yaml.safe_dump(profile, sort_keys=False, allow_unicode=True, width=110)


# ===========================================================================
# checker: reads the files as an outsider would
# ===========================================================================

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
CARD_IIN = re.compile(r"^(4|5[1-5]|2(22[1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)|3[47]|6011|65|35)")
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
DIGITS_RE = re.compile(r"(?<![\w])\d(?:[ .-]?\d){7,18}(?![\w])")
BSN_DOTS_RE = re.compile(r"(?<![\w.])\d{4}\.\d{2}\.\d{3}(?![\w])")
BSN_SP_RE = re.compile(r"(?<![\w])\d{3} \d{3} \d{3}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
OBF_EMAIL_RE = re.compile(r"[a-z0-9._-]+\s*[\[(]\s*(?:at|apenstaartje)\s*[\])]\s*[a-z0-9-]+\s*[\[(]\s*"
                          r"(?:dot|punt)\s*[\])]\s*[a-z]{2,}", re.I)
PHONE_RE = re.compile(r"(?<![\w+])(?:\+3[12]|003[12]|0)[\d \-()./]{6,16}\d")
SECRET_RES = {
    "github": re.compile(r"\bghp_[A-Za-z0-9]{36}\b"),
    "aws_id": re.compile(r"\bAKIA[A-Z2-7]{16}\b"),
    "slack": re.compile(r"\bxox[abprs]-[0-9A-Za-z-]{20,}"),
    "stripe": re.compile(r"\bsk_live_[A-Za-z0-9]{20,}"),
    "google": re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),
    "mollie": re.compile(r"\blive_[A-Za-z0-9]{30}\b"),
    "gitlab": re.compile(r"\bglpat-[A-Za-z0-9_-]{20}\b"),
    "sendgrid": re.compile(r"\bSG\.[\w-]{22}\.[\w-]{43}\b"),
    "azure": re.compile(r"AccountKey=[A-Za-z0-9+/]{80,}={0,2}"),
    "pem": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "jwt": re.compile(r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+"),
    "url_creds": re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s:/@]+:[^\s@/]+@"),
}
PASSWORD_WORDS = re.compile(r"(wachtwoord|password|passwort|\bww\b|\bpw\b)", re.I)
PROFANITY = ["kut", "kanker", "k*nker", "k4nker", "tering", "t3ring", "tyfus", "klote", "kloot", "debiel",
             "trut", "mongool", "achterlijk", "godver", "fuck", "f***", "f*ck", "shit", "sh!t", "idiot",
             "moron", "clown", "hell", "damn", "loser", "l o s e r", "brain-dead", "stelletje"]
MILD_OK = {"hell", "damn", "kanker"}
PRICE_ERROR_WORDS = ["prijsfout", "prijsföut", "per ongeluk", "verkeerde prijs", "pricing error", "glitch",
                     "fout", "decimal", "nulletje", "nul vergeten", "pasted", "fat-finger", "prijskoppeling"]
AMOUNT_RE = re.compile(r"(?:€\s?|EUR\s?)(\d[\d.,]*)(?:,-)?|(\d[\d.,]*)(?:,-)?\s?(?:euro|euros|eur)\b", re.I)


def norm(text):
    t = unicodedata.normalize("NFKC", text).translate(INVISIBLE)
    t = "".join(" " if unicodedata.category(ch) == "So" else ch for ch in t)
    return re.sub(r"\s+", " ", t).casefold()


def squash(text):
    t = norm(text)
    return re.sub(r"\b(\w) +(?=\w\b)", r"\1", t)


def deaccent(t):
    return "".join(ch for ch in unicodedata.normalize("NFKD", t) if not unicodedata.combining(ch))


def scan_text(text):
    """What the independent scans look at: NFKC, invisible characters removed."""
    return unicodedata.normalize("NFKC", text).translate(INVISIBLE)


def found_ibans(text):
    out = []
    for m in IBAN_RE.finditer(scan_text(text)):
        compact = m.group(0).replace(" ", "")
        for end in range(len(compact), 11, -1):
            if iban_ok(compact[:end]):
                out.append((compact[:end], True))
                break
        else:
            out.append((compact, False))
    return out


def found_numbers(text):
    t = IBAN_RE.sub(" ", scan_text(text))
    return [re.sub(r"\D", "", m.group(0)) for m in DIGITS_RE.finditer(t)]


def found_bsn_shapes(text):
    t = IBAN_RE.sub(" ", scan_text(text))
    out = re.findall(r"(?<![\w.,/-])\d{8,9}(?![\w]|[.,/-]\d)", t)
    out += [m.group(0).replace(".", "") for m in BSN_DOTS_RE.finditer(t)]
    out += [m.group(0).replace(" ", "") for m in BSN_SP_RE.finditer(t)]
    return out


def valid_ids(text, own_ibans):
    hits = []
    for v, ok in found_ibans(text):
        if ok and v not in own_ibans:
            hits.append(("iban", v))
    for d in found_numbers(text):
        if 13 <= len(d) <= 19 and luhn_ok(d) and CARD_IIN.match(d):
            hits.append(("card", d))
    for d in found_bsn_shapes(text):
        if len(d) == 9 and bsn_ok(d):
            hits.append(("bsn", d))
    return hits


def phone_nsn(raw):
    """National significant number (country code and trunk 0 removed)."""
    d = re.sub(r"\D", "", raw)
    if raw.startswith("+"):
        d = d[2:]
    elif d.startswith("00"):
        d = d[4:]
    if "(0)" in raw:
        d = d.replace("0", "", 1) if d.startswith("0") else d
    return d.lstrip("0") if d.startswith("0") else d


def phones_in(text):
    t = IBAN_RE.sub(" ", scan_text(text))
    out = []
    for m in PHONE_RE.finditer(t):
        raw = m.group(0)
        n = phone_nsn(raw)
        if 7 <= len(n) <= 10:
            out.append((raw, n))
    return out


def parse_amount(s):
    s = s.rstrip(".,")
    if "," in s and "." in s:
        dec = "," if s.rfind(",") > s.rfind(".") else "."
        s = s.replace("." if dec == "," else ",", "").replace(dec, ".")
    elif "," in s:
        s = s.replace(",", ".") if re.search(r",\d{2}$", s) else s.replace(",", "")
    elif "." in s:
        s = s if re.search(r"\.\d{2}$", s) else s.replace(".", "")
    return float(s)


def min_price_ratio(text, products):
    t = deaccent(norm(text))
    mentioned = [p for p in products if any(deaccent(a.casefold()) in t for a in [p["name"]] + p["aliases"])]
    if not mentioned:
        return None
    amounts = [parse_amount(m.group(1) or m.group(2)) for m in AMOUNT_RE.finditer(t)]
    if not amounts:
        return None
    return min(amounts) / min(p["list_price"] for p in mentioned)


def term_in(term, text):
    """Whole-phrase match (sub-hosts of an internal domain count), also after squashing spaced letters
    and removing line breaks and symbols."""
    t = term.casefold()
    nt = norm(text)
    pat = r"(?<![\w-])" + re.escape(t) + r"(?![\w-])"
    return bool(re.search(pat, nt) or re.search(pat, squash(text)) or re.search(pat, deaccent(nt)))


def shingles(text, n=3):
    w = re.findall(r"\w+", norm(text))
    return {tuple(w[i:i + n]) for i in range(max(0, len(w) - n + 1))}


def check(case_lines, profile_text, rows):
    errors, notes = [], []
    profile = yaml.safe_load(profile_text)
    if profile != PROFILE:
        errors.append("profile.yaml differs from the generator's PROFILE")
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_ibans = {i.replace(" ", "") for i in profile["public_identifiers"]["ibans"]}
    own_nsn = {phone_nsn(p) for p in profile["public_identifiers"]["phones"]}
    for i in own_ibans:
        if not iban_ok(i):
            errors.append(f"own IBAN {i} invalid")
    embargo = [(t, parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = (profile["internal"]["codenames"] + profile["internal"]["domains"]
                + profile["internal"]["markers"])
    meta = {(r["post"]["platform"], r["post"]["id"]): r for r in rows}
    seen, parsed = set(), []

    for n, line in enumerate(case_lines, 1):
        w = f"line {n}"
        try:
            obj = json.loads(line)
        except ValueError as e:
            errors.append(f"{w}: not JSON ({e})")
            continue
        if set(obj) != {"post", "expect"}:
            errors.append(f"{w}: top-level keys {sorted(obj)}")
            continue
        p, ex = obj["post"], obj["expect"]
        # CONTRACT section 1
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                errors.append(f"{w}: post.{f} missing or not a string")
        if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str):
            errors.append(f"{w}: account.handle missing")
            continue
        for f in ("id", "display_name"):
            if f in p["account"] and not isinstance(p["account"][f], str):
                errors.append(f"{w}: account.{f} not a string")
        for f in ("kind", "lang", "url", "brand"):
            if f in p and not isinstance(p[f], str):
                errors.append(f"{w}: post.{f} not a string")
        if not 1 <= len(p["id"]) <= 256:
            errors.append(f"{w}: id length")
        if p["platform"] not in PLATFORMS:
            notes.append(f"{w}: platform {p['platform']!r} not listed (must be treated as other)")
        if p.get("kind", "post") not in KINDS:
            errors.append(f"{w}: kind {p.get('kind')!r}")
        if len(p["text"].encode("utf-8")) > 64 * 1024 or not p["text"]:
            errors.append(f"{w}: text empty or over 64 KiB")
        if "lang" in p and not re.fullmatch(r"[a-z]{2}", p["lang"]):
            errors.append(f"{w}: lang not ISO 639-1")
        if not RFC3339.match(p["created_at"]):
            errors.append(f"{w}: created_at not RFC 3339")
            continue
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errors.append(f"{w}: created_at not in 2026")
        key = (p["platform"], p["id"])
        if key in seen:
            errors.append(f"{w}: duplicate id")
        seen.add(key)
        # CONTRACT section 6
        cats, sev = ex.get("categories"), ex.get("severity")
        if not isinstance(cats, list) or cats != sorted(set(cats)):
            errors.append(f"{w}: categories not a sorted unique list")
            continue
        if any(c not in TAXONOMY or c == "reputation.spike" for c in cats):
            errors.append(f"{w}: bad category in {cats}")
            continue
        if sev not in SEVERITIES:
            errors.append(f"{w}: bad severity")
            continue
        if not cats and sev != "none":
            errors.append(f"{w}: benign with severity {sev}")
        role = role_of(profile, p["platform"], p["account"]["handle"])
        text = p["text"]
        ids = valid_ids(text, own_ibans)
        want = severity_for(role, cats, "leak.pii" in cats and bool(ids))
        if sev != want:
            errors.append(f"{w} ({p['id']}): severity {sev}, policy says {want} (role {role})")
        r = meta.get(key)
        if r is None:
            errors.append(f"{w}: not produced by the generator")
            continue
        tags = r["tags"]
        parsed.append((p, cats, sev, role, r))

        # identifiers
        for kind, raw, shown in r["used"]:
            if shown not in text:
                errors.append(f"{w}: generated {kind} not in text")
            if kind.startswith("IBAN_") and not iban_ok(raw):
                errors.append(f"{w}: {kind} {raw} fails mod-97")
            if kind == "CARD" and not (luhn_ok(raw) and CARD_IIN.match(raw)):
                errors.append(f"{w}: card {raw} invalid")
            if kind == "BSN" and not bsn_ok(raw):
                errors.append(f"{w}: BSN {raw} fails 11-proof")
            if kind.startswith("BAD_IBAN") and iban_ok(raw):
                errors.append(f"{w}: look-alike IBAN {raw} passes mod-97")
            if kind == "BAD_CARD" and luhn_ok(raw):
                errors.append(f"{w}: look-alike card {raw} passes Luhn")
            if kind in ("NOT_BSN9", "NOT_BSN8") and (bsn_ok(raw) or luhn_ok(raw)):
                errors.append(f"{w}: look-alike number {raw} passes a checksum")
            if kind == "EAN13" and (luhn_ok(raw) or not ean13_ok(raw)):
                errors.append(f"{w}: EAN {raw} wrong")
            if kind == "RRN":
                d = re.sub(r"\D", "", raw)
                if 97 - int(d[:9]) % 97 != int(d[9:]):
                    errors.append(f"{w}: RRN {raw} fails mod-97")
            if kind == "GHP":
                body, crc = raw[4:34], raw[34:]
                if b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0") != crc:
                    errors.append(f"{w}: GitHub token CRC wrong")
        if any(k in VALID_ID_KINDS for k, _, _ in r["used"]):
            if "leak.pii" not in cats:
                errors.append(f"{w}: valid identifier placed in a post without leak.pii")
            if not ids:
                errors.append(f"{w}: valid identifier not found by the independent scan")
        if ids and "leak.pii" not in cats:
            errors.append(f"{w}: checksum-valid identifier {ids} but no leak.pii")

        nt = norm(text)
        sq = squash(text)
        # embargo and internal terms: every post
        for term, until in embargo:
            if term_in(term, text):
                if ts < until and "leak.confidential" not in cats:
                    errors.append(f"{w}: embargo term {term!r} before {until} without leak.confidential")
                if ts >= until and "leak.confidential" in cats and not any(
                        term_in(x, text) for x in internal) and not any(
                        term_in(t2, text) and ts < u2 for t2, u2 in embargo):
                    notes.append(f"{w}: embargo term {term!r} after the embargo but labelled confidential")
        for term in internal:
            if term_in(term, text) and "leak.confidential" not in cats:
                errors.append(f"{w}: internal term {term!r} without leak.confidential")
        if "leak.confidential" in cats and "evasion" not in tags:
            if not (any(term_in(t, text) for t in internal)
                    or any(term_in(t, text) and ts < u for t, u in embargo)):
                notes.append(f"{w}: leak.confidential via context only (no profile term)")

        ratio = min_price_ratio(text, profile["products"])
        if not cats:
            # benign posts must be clean of everything a correct detector reports
            for v, ok in found_ibans(text):
                if ok and v not in own_ibans:
                    errors.append(f"{w}: benign post has valid IBAN {v}")
            for d in found_numbers(text):
                if 13 <= len(d) <= 19 and luhn_ok(d):
                    errors.append(f"{w}: benign post has Luhn-valid number {d}")
            for d in found_bsn_shapes(text):
                if bsn_ok(d):
                    errors.append(f"{w}: benign post has 11-proof-valid number {d}")
            for e in EMAIL_RE.findall(scan_text(text)):
                if e.casefold() not in own_emails:
                    errors.append(f"{w}: benign post has e-mail {e}")
            if OBF_EMAIL_RE.search(text):
                errors.append(f"{w}: benign post has an obfuscated e-mail")
            for raw, nsn in phones_in(text):
                if nsn not in own_nsn:
                    errors.append(f"{w}: benign post has phone {raw!r} (nsn {nsn})")
            for name, rx in SECRET_RES.items():
                for m in rx.finditer(scan_text(text)):
                    if name == "aws_id" and m.group(0) == "AKIAXXXXXXXXXXXXXXXX":
                        continue
                    errors.append(f"{w}: benign post has secret-like {name}")
            for word in PROFANITY:
                if re.search(r"(?<!\w)" + re.escape(word) + (r"(?!\w)" if len(word) <= 4 else ""), sq) or \
                        re.search(r"(?<!\w)" + re.escape(word), nt):
                    ok = word in MILD_OK and ("mild-word" in tags or "quote" in tags)
                    (notes if ok else errors).append(f"{w}: benign post has word {word!r}")
            if ratio is not None and ratio < profile["pricing"]["alert_below_ratio"]:
                if "price-context" in tags:
                    notes.append(f"{w}: benign price-context amount at {ratio:.2f} of list (not the product price)")
                else:
                    errors.append(f"{w}: benign post with a product price at {ratio:.2f} of list")
            if not (tags - {"no-lang-hint", "wrong-lang-hint", "handle-casing"}):
                notes.append(f"{w}: benign post without a hard-negative tag")
        else:
            for e in EMAIL_RE.findall(SECRET_RES["url_creds"].sub(" ", scan_text(text))):
                if e.casefold() not in own_emails and "leak.pii" not in cats:
                    errors.append(f"{w}: foreign e-mail {e} without leak.pii")
        if "leak.pricing" in cats:
            talk = any(x in deaccent(sq).replace(" ", "") or x in deaccent(sq) for x in PRICE_ERROR_WORDS)
            if not (ratio is not None and ratio < 0.5) and not talk:
                errors.append(f"{w}: leak.pricing without a low price or error talk")
        if "leak.secret" in cats:
            if not any(rx.search(scan_text(text)) for rx in SECRET_RES.values()) and \
                    not PASSWORD_WORDS.search(sq.replace(" ", "")) and not PASSWORD_WORDS.search(nt):
                errors.append(f"{w}: leak.secret without a secret pattern or password word")
        if "reputation.abuse" in cats and role != "public":
            pass  # insider abuse is error by policy; nothing more to check
        if "leak.security" in cats and "reputation.crisis" in cats and role != "public":
            errors.append(f"{w}: security+crisis should be a public 'breach is hidden' claim")

    # near duplicates
    sh = [(i, shingles(p["text"])) for i, (p, *_) in enumerate(parsed, 1)]
    for i in range(len(sh)):
        for j in range(i + 1, len(sh)):
            a, b = sh[i][1], sh[j][1]
            if a and b:
                jac = len(a & b) / len(a | b)
                if jac > 0.2:
                    (errors if jac > 0.45 else notes).append(
                        f"lines {sh[i][0]} and {sh[j][0]}: word-trigram overlap {jac:.2f}")
    return errors, notes, parsed


def balance(parsed):
    """Set-level requirements of the brief."""
    errors = []
    c = Counter()
    benign = ev = nl = 0
    for p, cats, sev, role, r in parsed:
        for x in cats:
            c[x] += 1
        benign += not cats
        ev += "evasion" in r["tags"] and bool(cats)
        nl += r["lang"] == "nl"
    total = len(parsed)
    for cat in TAXONOMY[:-1]:
        if c[cat] < 12:
            errors.append(f"{cat}: only {c[cat]} positives (need >= 12)")
    if c["reputation.complaint"] < 22:
        errors.append("reputation.complaint below ~25")
    if c["leak.confidential"] < 18:
        errors.append("leak.confidential below ~20")
    if not 0.25 <= benign / total <= 0.35:
        errors.append(f"benign share {benign / total:.2f} outside 25-35%")
    if not 0.5 <= nl / total <= 0.6:
        errors.append(f"Dutch share {nl / total:.2f} outside 50-60%")
    if not 12 <= ev <= 22:
        errors.append(f"{ev} evasion positives (want about 15)")
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
            if kind in VALID_ID_KINDS or kind in BAD_ID_KINDS:
                n += 1
            if kind.startswith("IBAN_") and not s_iban.is_valid(raw):
                bad.append(raw)
            if kind.startswith("BAD_IBAN") and s_iban.is_valid(raw):
                bad.append(raw)
            if kind == "CARD" and not s_luhn.is_valid(raw):
                bad.append(raw)
            if kind in ("BAD_CARD", "EAN13") and s_luhn.is_valid(raw):
                bad.append(raw)
            if kind == "BSN" and not s_bsn.is_valid(raw):
                bad.append(raw)
            if kind == "NOT_BSN9" and s_bsn.is_valid(raw):
                bad.append(raw)
    for i in PROFILE["public_identifiers"]["ibans"]:
        n += 1
        if not s_iban.is_valid(i):
            bad.append(i)
    if bad:
        return f"python-stdnum DISAGREES on: {bad}"
    return f"python-stdnum agrees on all {n} IBANs, card numbers, BSNs and look-alikes"


def report(parsed):
    total = len(parsed)
    by_cat, cat_lang, cat_role, by_lang, by_role, by_sev, by_plat, by_kind, tagc = (Counter() for _ in range(9))
    benign = multi = ev = hard = 0
    for p, cats, sev, role, r in parsed:
        lang = r["lang"]
        by_lang[lang] += 1
        by_role[role] += 1
        by_sev[sev] += 1
        by_plat[p["platform"]] += 1
        by_kind[p.get("kind", "(default)")] += 1
        for t in r["tags"]:
            tagc[t] += 1
        if not cats:
            benign += 1
            hard += bool(r["tags"] - {"no-lang-hint", "wrong-lang-hint", "handle-casing", "praise"})
            cats_ = ["(benign)"]
        else:
            cats_ = cats
            ev += "evasion" in r["tags"]
        multi += len(cats) > 1
        for c in cats_:
            by_cat[c] += 1
            cat_lang[(c, lang)] += 1
            cat_role[(c, role)] += 1
    print(f"cases {total}  positive {total - benign}  benign {benign} (hard negatives {hard})  "
          f"multi-category {multi}  evasion positives {ev}")
    print(f"  {'category':24s} total   nl   en  corp  empl  publ")
    for c in TAXONOMY[:-1] + ["(benign)"]:
        print(f"  {c:24s} {by_cat[c]:5d} {cat_lang[(c, 'nl')]:4d} {cat_lang[(c, 'en')]:4d} "
              f"{cat_role[(c, 'corporate')]:5d} {cat_role[(c, 'employee')]:5d} {cat_role[(c, 'public')]:5d}")
    print("  languages:", ", ".join(f"{k} {v} ({100 * v / total:.0f}%)" for k, v in sorted(by_lang.items())))
    print("  roles:", dict(sorted(by_role.items())))
    print("  severities:", {s: by_sev[s] for s in SEVERITIES})
    print("  platforms:", dict(by_plat.most_common()))
    print("  kinds:", dict(by_kind.most_common()))
    print("  tags:", dict(sorted(tagc.items())))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true", help="only validate the files on disk")
    ap.add_argument("--notes", action="store_true", help="print informational notes")
    args = ap.parse_args()
    rows = build(PROFILE)
    lines = dump_lines(rows)
    prof = dump_profile(PROFILE)
    if not args.check:
        OUT_PROFILE.write_text(prof, encoding="utf-8")
        OUT_CASES.write_text("".join(lines), encoding="utf-8")
        print(f"wrote {OUT_PROFILE} and {len(lines)} cases to {OUT_CASES}")
    disk_lines = OUT_CASES.read_text(encoding="utf-8").splitlines(keepends=True)
    disk_prof = OUT_PROFILE.read_text(encoding="utf-8")
    errors, notes, parsed = check(disk_lines, disk_prof, rows)
    if disk_lines != lines or disk_prof != prof:
        errors.append("files on disk differ from what make_cases.py generates")
    # determinism: a second build must give the same bytes
    global CASES
    saved = CASES
    CASES = [dict(c, tags=set(c["tags"])) for c in saved]
    if dump_lines(build(PROFILE)) != lines:
        errors.append("generator is not deterministic")
    CASES = saved
    errors += balance(parsed)
    print(cross_check_stdnum(rows))
    report(parsed)
    if args.notes:
        print("notes:")
        for x in notes:
            print("  " + x)
    print(f"{len(errors)} error(s), {len(notes)} note(s)")
    for e in errors:
        print("  ERROR " + e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
