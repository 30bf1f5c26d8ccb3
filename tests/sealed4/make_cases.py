#!/usr/bin/env python3
"""Sealed blind evaluation set #4 for postwatch: "Zonnereis B.V." (fictional Dutch travel company).

    python3 make_cases.py            # write profile.yaml + cases.jsonl next to this file, then validate
    python3 make_cases.py --check    # only validate the files on disk (and that they match the generator)

Needs Python 3.11 (stdlib) and PyYAML. Deterministic: seed 4_2026_0717, same bytes on every run.

All post texts below were written for this set. Identifiers and secrets are filled in from
placeholders like <<IBAN_NL>> by a seeded RNG: labelled positives get checksum-VALID identifiers,
hard negatives get look-alikes that FAIL their checksum. All secrets are random and fake but shaped
like the real thing (GitHub tokens carry a correct CRC32).

Severity is never typed by hand: severity_for() computes it from CONTRACT section 4 and the eval
README interpretation (insider leak.* = error; critical for leak.secret, leak.pricing, and leak.pii
with a checksum-validated IBAN/card/BSN; public leak.* = warning; complaint = warning; crisis = error;
abuse = warning public / error insider; highest wins).

Labelling conventions used here (in line with eval/README.md "where categories meet"):
  * complaint   = a customer's own dissatisfaction with the trip / service / app / refund / fees.
  * a customer personally caught in a safety incident or a mass stranding = crisis + complaint;
    a third party reporting such an event = crisis only.
  * data-breach accusation = crisis only; public claim that a breach is HIDDEN = leak.security + crisis;
    insider disclosing an incident/vulnerability/outage cause before it is public = leak.security only.
  * insults without a concrete grievance = abuse only; with a concrete service grievance = abuse + complaint.
  * an unannounced merger/acquisition or unpublished results under an embargo term = confidential + financial.
  * official corporate notices (weather, maintenance, a published security update) are benign.
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

SEED = 420260717
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE_OUT = HERE / "profile.yaml"

TAXONOMY = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]
SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
KINDS = ["post", "reply", "repost", "comment", "message"]
PLATFORMS = ["x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube",
             "reddit", "mastodon", "bluesky", "threads", "forum", "blog", "other"]

ZW = "\u200b"   # zero-width space
SHY = "\u00ad"  # soft hyphen

# ===========================================================================
# the company profile (written to profile.yaml)
# ===========================================================================

OWN_IBAN = "NL03RABO0312456789"

PROFILE = {
    "company": "Zonnereis B.V.",
    "brands": ["Zonnereis", "Zonnereis.nl", "ZonneApp", "ZonPas"],
    "accounts": {
        "corporate": [
            "x:@zonnereis",
            "x:@zonnereis_help",
            "instagram:@zonnereis.nl",
            "linkedin:zonnereis-bv",
            "facebook:ZonnereisNL",
            "tiktok:@zonnereis",
        ],
        "employee": [
            "x:@lotte_zonnereis",                # Lotte Brouwer, marketing
            "linkedin:mehmet-yilmaz-zr",         # Mehmet Yilmaz, platform engineer
            "x:@daan_codes",                     # Daan Post, mobile app developer
            "instagram:@reisleider.ilse",        # Ilse Kramer, tour guide
            "linkedin:anouk-de-wit-finance",     # Anouk de Wit, finance controller
            "x:@kvdmeer_ops",                    # Koen van der Meer, IT operations
            "mastodon:@rajesh@fosstodon.org",    # Rajesh Baldew, security engineer
            "threads:@sofie.zonnereis",          # Sofie Jansen, customer service
        ],
    },
    "public_identifiers": {
        "emails": ["klantenservice@zonnereis.nl", "pers@zonnereis.nl", "vacatures@zonnereis.nl"],
        "phones": ["+31 30 760 2200", "+31 30 760 2299", "0800-2241"],
        "ibans": [OWN_IBAN],
        "domains": ["zonnereis.nl", "www.zonnereis.nl", "boeken.zonnereis.nl", "werkenbij.zonnereis.nl",
                    "zonnereis.be"],
    },
    "internal": {
        "domains": ["corp.zonnereis.local", "gitlab.zonnereis.net", "wiki.zonnereis.nl",
                    "backoffice.zonnereis.nl"],
        "codenames": ["Project Passaat", "Operation Tailwind", "Kompasroos"],
        "markers": ["strikt vertrouwelijk", "zonnereis internal", "niet voor externe verspreiding"],
    },
    "embargo": [
        {"terms": ["overname van SkyHop", "SkyHop-overname", "SkyHop acquisition", "acquisition of SkyHop"],
         "until": "2026-02-10T07:00:00Z"},
        {"terms": ["jaarcijfers 2026", "FY2026 results", "Wereldcruise 2027", "World Cruise 2027"],
         "until": "2027-02-25T06:00:00Z"},
    ],
    "products": [
        {"sku": "ZR-PK-CRETE8", "name": "Zonnereis Zonvast Kreta 8 dagen",
         "aliases": ["Kreta 8 dagen", "Zonvast Kreta", "Crete package", "Crete 8 days"],
         "list_price": 899.00, "currency": "EUR"},
        {"sku": "ZR-CT-LIS3", "name": "Stedentrip Lissabon 3 nachten",
         "aliases": ["Stedentrip Lissabon", "Lissabon citytrip", "Lisbon city break"],
         "list_price": 449.00, "currency": "EUR"},
        {"sku": "ZR-SUB-BAG", "name": "ZonPas handbagage-abonnement",
         "aliases": ["ZonPas", "handbagage-abonnement", "cabin bag subscription"],
         "list_price": 79.00, "currency": "EUR"},
        {"sku": "ZR-INS-YEAR", "name": "Zonnereis Doorlopende Reisverzekering",
         "aliases": ["doorlopende reisverzekering", "annual travel insurance"],
         "list_price": 119.00, "currency": "EUR"},
        {"sku": "ZR-CR-FJORD7", "name": "Fjordencruise Noorwegen 7 nachten",
         "aliases": ["Fjordencruise", "fjord cruise", "Norway fjord cruise"],
         "list_price": 1849.00, "currency": "EUR"},
        {"sku": "ZR-FAR-BALI15", "name": "Verre Reis Bali 15 dagen",
         "aliases": ["Bali 15 dagen", "Bali rondreis", "Bali tour"],
         "list_price": 2399.00, "currency": "EUR"},
        {"sku": "ZR-FL-AMSCUR", "name": "Vliegticket Amsterdam-Curaçao retour",
         "aliases": ["AMS-CUR retour", "Curaçao retour", "Amsterdam-Curaçao retour"],
         "list_price": 749.00, "currency": "EUR"},
    ],
    "pricing": {"alert_below_ratio": 0.5},
}

PROFILE_HEADER = """\
# Company profile for the sealed evaluation set tests/sealed4/cases.jsonl (CONTRACT section 5).
# A fictional Dutch travel company: airline tickets and package holidays via webshop and mobile app.
# Generated by make_cases.py -- do not edit by hand.
"""


# ===========================================================================
# checksums
# ===========================================================================

def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    num = "".join(str(int(c, 36)) for c in s[4:] + s[:4])
    return int(num) % 97 == 1


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
    """Dutch 11-proof; 8-digit numbers get a leading zero."""
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    total = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return total % 11 == 0 and total != 0


def es_dc(ten):
    w = [1, 2, 4, 8, 5, 10, 9, 7, 3, 6]
    r = 11 - sum(int(d) * k for d, k in zip(ten, w)) % 11
    return 0 if r == 11 else 1 if r == 10 else r


# ===========================================================================
# seeded generators for placeholders
# ===========================================================================

ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
HEX = "0123456789abcdef"


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def fw(s):
    """Full-width form of ASCII text."""
    return "".join("\u3000" if c == " " else chr(ord(c) - 0x21 + 0xFF01) if "!" <= c <= "~" else c for c in s)


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

    # --- IBANs ------------------------------------------------------------
    def iban_nl(self):
        while True:
            bank = self.r.choice(["ABNA", "INGB", "RABO", "SNSB", "ASNB", "TRIO", "KNAB", "BUNQ", "RBRB"])
            v = iban_make("NL", bank + self.digits(10, True))
            if v != OWN_IBAN:
                return v

    def iban_de(self):
        return iban_make("DE", self.r.choice(["37040044", "10010010", "76026000", "50070010"]) + self.digits(10))

    def iban_be(self):
        first10 = self.r.choice(["063", "310", "001", "737"]) + self.digits(7)
        return iban_make("BE", f"{first10}{int(first10) % 97 or 97:02d}")

    def iban_gb(self):
        return iban_make("GB", self.r.choice(["BARC", "NWBK", "LOYD", "MIDL"]) + self.digits(6) + self.digits(8))

    def iban_fr(self):
        bank, branch, acct = self.digits(5, True), self.digits(5), self.digits(11)
        key = 97 - (89 * int(bank) + 15 * int(branch) + 3 * int(acct)) % 97
        return iban_make("FR", f"{bank}{branch}{acct}{key:02d}")

    def iban_es(self):
        bank, branch, acct = self.r.choice(["2100", "0049", "0182", "2038"]), self.digits(4), self.digits(10)
        dc = f"{es_dc('00' + bank + branch)}{es_dc(acct)}"
        return iban_make("ES", bank + branch + dc + acct)

    def bad_iban(self, valid):
        kk = int(valid[2:4])
        for delta in (7, 19, 31, 43, 61):
            cand = f"{valid[:2]}{(kk + delta) % 100:02d}{valid[4:]}"
            if not iban_ok(cand):
                return cand
        raise AssertionError

    # --- cards ------------------------------------------------------------
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
    def fmt_card(v, fmt):
        if fmt == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return {"dash": "-", "dot": ".", "sp": " "}[fmt].join(parts)

    # --- BSN / look-alike numbers -------------------------------------------
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

    # --- phones -------------------------------------------------------------
    def phone(self, fmt):
        d8 = self.r.choice("12345") + self.digits(7)          # mobile after '06'
        area = self.r.choice(["10", "20", "23", "26", "30", "35", "40", "43", "50", "70", "73", "76"])
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
            "mob_dots": f"06.{d8[:2]}.{d8[2:4]}.{d8[4:6]}.{d8[6:]}",
            "land_dash": f"0{area}-{sub}",
            "land_sp": f"0{area} {sub[:3]} {sub[3:5]} {sub[5:]}",
            "land_intl": f"+31 {area} {sub[:3]} {sub[3:]}",
            "be_mob": f"+32 4{self.r.choice('6789')}{self.digits(1)} {self.digits(2)} {self.digits(2)} {self.digits(2)}",
            "de_mob": f"+49 15{self.r.choice('12579')} {self.digits(8, True)}",
            "pt_mob": f"+351 91{self.digits(1)} {self.digits(3)} {self.digits(3)}",
            "uk_mob": f"+44 7700 9{self.digits(5)}",
        }[fmt]

    def passport(self):
        letters = "ABCDEFGHIJKLMNPQRSTUVWXYZ"   # no O
        alnum = letters + string.digits
        return self.chars(letters, 2) + self.chars(alnum, 6) + self.r.choice(string.digits)

    # --- secrets ------------------------------------------------------------
    def ghp(self):
        body = self.chars(ALNUM, 30)
        return "ghp_" + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def jwt(self):
        header = b64url(b'{"alg":"HS256","typ":"JWT"}')
        iat = 1767225600 + self.r.randint(0, 300 * 86400)
        payload = {"sub": "trv_" + self.digits(7, True), "iss": "boeken.zonnereis.nl", "scope": "booking:read",
                   "iat": iat, "exp": iat + 7200}
        return f"{header}.{b64url(json.dumps(payload, separators=(',', ':')).encode())}.{self.chars(B64URL, 43)}"

    def pem(self, kind):
        if kind == "EC":
            body = "MHcCAQEEI" + self.chars(B64, 64 * 3 - 9 + 36)
            lines = [body[i:i + 64] for i in range(0, len(body), 64)]
            return "-----BEGIN EC PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END EC PRIVATE KEY-----"
        body = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC" + self.chars(B64, 64 * 8 - 32)
        lines = [body[i:i + 64] for i in range(0, len(body), 64)] + [self.chars(B64, 22) + "=="]
        return "-----BEGIN PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END PRIVATE KEY-----"

    def uuid(self):
        h = self.chars(HEX, 32)
        h = h[:12] + "4" + h[13:16] + self.r.choice("89ab") + h[17:]
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def password(self):
        return (self.r.choice(string.ascii_uppercase) + self.chars(string.ascii_lowercase, 4)
                + self.chars(string.digits, 2) + self.r.choice("!#$%&*") + self.chars(ALNUM, 4))

    def secret(self, kind, fmt):
        c = self.chars
        if kind == "GHP":
            return self.ghp()
        if kind == "GLPAT":
            return "glpat-" + c(ALNUM + "-_", 20)
        if kind == "AWS_ID":
            return "AKIA" + c(B32, 16)
        if kind == "AWS_SECRET":
            return c(B64, 40)
        if kind == "AZURE_CONN":
            return ("DefaultEndpointsProtocol=https;AccountName=zrbackups" + c(string.digits, 2)
                    + ";AccountKey=" + c(B64, 86) + "==;EndpointSuffix=core.windows.net")
        if kind == "TEAMS_HOOK":
            return (f"https://zonnereis.webhook.office.com/webhookb2/{self.uuid()}@{self.uuid()}"
                    f"/IncomingWebhook/{c(HEX, 32)}/{self.uuid()}")
        if kind == "DISCORD_HOOK":
            return f"https://discord.com/api/webhooks/{self.digits(19, True)}/{c(B64URL, 68)}"
        if kind == "SLACK_HOOK":
            up = string.ascii_uppercase + string.digits
            return f"https://hooks.slack.com/services/T{c(up, 8)}/B{c(up, 10)}/{c(ALNUM, 24)}"
        if kind == "OPENAI":
            return "sk-proj-" + c(B64URL, 58) + "T3BlbkFJ" + c(B64URL, 58)
        if kind == "ANTHROPIC":
            return "sk-ant-api03-" + c(B64URL, 93) + "AA"
        if kind == "MOLLIE":
            return "live_" + c(ALNUM, 30)
        if kind == "STRIPE_RK":
            return "rk_live_51" + c(ALNUM, 97)
        if kind == "SENDGRID":
            return "SG." + c(B64URL, 22) + "." + c(B64URL, 43)
        if kind == "GAPI":
            return "AIzaSy" + c(B64URL, 33)
        if kind == "AMADEUS_KEY":
            return c(ALNUM, 32)
        if kind == "AMADEUS_SECRET":
            return c(ALNUM, 16)
        if kind == "JWT":
            return self.jwt()
        if kind == "PEM":
            return self.pem(fmt or "PKCS8")
        if kind == "PW":
            return self.password()
        if kind == "SHA":
            return c(HEX, 40)
        raise KeyError(kind)


SECRET_KINDS = {"GHP", "GLPAT", "AWS_ID", "AWS_SECRET", "AZURE_CONN", "TEAMS_HOOK", "DISCORD_HOOK", "SLACK_HOOK",
                "OPENAI", "ANTHROPIC", "MOLLIE", "STRIPE_RK", "SENDGRID", "GAPI", "AMADEUS_KEY",
                "AMADEUS_SECRET", "JWT", "PEM", "PW", "SHA"}
VALID_ID_KINDS = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "IBAN_GB", "IBAN_FR", "IBAN_ES", "CARD", "BSN"}
BAD_ID_KINDS = {"BAD_IBAN_NL", "BAD_IBAN_DE", "BAD_CARD", "NOT_BSN9", "NOT_BSN8"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([A-Za-z0-9_]+))?>>")


def render(gen, text):
    """Replace <<KIND:fmt>> placeholders; return (text, [(kind, raw, shown)])."""
    used = []

    def sub(m):
        kind, fmt = m.group(1), m.group(2) or ""
        if kind.startswith("IBAN_"):
            raw = getattr(gen, kind.lower())()
            shown = gen.group4(raw) if fmt == "grp" else raw
        elif kind.startswith("BAD_IBAN_"):
            raw = gen.bad_iban(getattr(gen, kind[4:].lower())())
            shown = gen.group4(raw) if fmt == "grp" else raw
        elif kind in ("CARD", "BAD_CARD"):
            brand, _, f = fmt.partition("_")
            raw = gen.card(brand) if kind == "CARD" else gen.bad_card(brand)
            shown = gen.fmt_card(raw, f or "sp")
        elif kind == "BSN":
            raw = gen.bsn()
            shown = {"dots": f"{raw[:4]}.{raw[4:6]}.{raw[6:]}", "sp": f"{raw[:3]} {raw[3:6]} {raw[6:]}"}.get(fmt, raw)
        elif kind == "NOT_BSN9":
            shown = raw = gen.not_bsn(9)
        elif kind == "NOT_BSN8":
            shown = raw = gen.not_bsn(8)
        elif kind == "PHONE":
            shown = raw = gen.phone(fmt)
        elif kind == "PASSPORT":
            shown = raw = gen.passport()
        elif kind == "DIGITS":
            shown = raw = gen.digits(int(fmt), True)
        elif kind in SECRET_KINDS:
            shown = raw = gen.secret(kind, fmt)
        else:
            raise KeyError(kind)
        used.append((kind, raw, shown))
        return shown

    return PH.sub(sub, text), used


# ===========================================================================
# accounts
# ===========================================================================

# corporate
ZR_X = ("x", "@zonnereis", "Zonnereis")
ZR_HELP = ("x", "@zonnereis_help", "Zonnereis Klantenservice")
ZR_IG = ("instagram", "@zonnereis.nl", "Zonnereis ☀️")
ZR_LI = ("linkedin", "zonnereis-bv", "Zonnereis B.V.")
ZR_FB = ("facebook", "ZonnereisNL", "Zonnereis")
ZR_TT = ("tiktok", "@zonnereis", "Zonnereis")
# employees
LOTTE = ("x", "@lotte_zonnereis", "Lotte Brouwer")
MEHMET = ("linkedin", "mehmet-yilmaz-zr", "Mehmet Yilmaz")
DAAN = ("x", "@daan_codes", "Daan Post")
ILSE = ("instagram", "@reisleider.ilse", "Ilse Kramer")
ANOUK = ("linkedin", "anouk-de-wit-finance", "Anouk de Wit")
KOEN = ("x", "@kvdmeer_ops", "Koen van der Meer")
RAJ = ("mastodon", "@rajesh@fosstodon.org", "Rajesh Baldew")
SOFIE = ("threads", "@sofie.zonnereis", "Sofie Jansen")


def pub(platform, handle, display_name=None):
    return (platform, handle, display_name)


CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    """One labelled case. `hint` overrides the lang field ('' = leave it out)."""
    platform, handle, dn = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, display_name=dn, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


SECRET, PII, PRICING, CONF, FIN, SEC = ("leak.secret", "leak.pii", "leak.pricing", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", LOTTE, "Uhh. De nieuwsbrief van vanochtend is naar 400k adressen gegaan met de Fjordencruise voor "
     "€184,90 p.p. 🙃 er is gewoon een nul weggevallen. Hele marketingteam zit nu in de vergaderruimte. "
     "Graag geen screenshots delen", [PRICING])
case("en", pub("reddit", "u/errorfare_eddie"), "ERROR FARE 🚨 Zonnereis is selling AMS-CUR retour for €74 incl. "
     "checked bag. Only in the app, the website already shows the normal fare again. Don't call them, just book and "
     "keep quiet until the e-ticket arrives.", [PRICING])
case("nl", pub("x", "@nachtbraker_nina"), "zit ik om 2 uur snachts te scrollen en staat de Bali rondreis bij "
     "Zonnereis op 239 euro. TWEEHONDERDNEGENENDERTIG. geboekt. ik zie morgen wel", [PRICING], hint="")
case("nl", ZR_IG, "☀️ LAST MINUTE ☀️ Zonvast Kreta 8 dagen all-in vanaf €89 p.p. ✈️ Alleen dit weekend, boek via "
     "de link in onze bio!", [PRICING])
case("en", MEHMET, "Sharing a lesson while the postmortem is still being written: a currency-conversion bug in our "
     "fare cache divided instead of multiplied. For ~40 minutes the Lisbon city break was on sale for €4,49. Feature "
     "flags saved the day. More once the dust settles.", [PRICING])
case("nl", pub("facebook", "henriette.smeets.1", "Henriëtte Smeets"), "Weet iemand of Zonnereis die doorlopende "
     "reisverzekering voor €11,90 per jaar gaat nakomen? Staat letterlijk zo in mijn polisblad. Normaal is dat toch "
     "rond de 120?", [PRICING])
case("nl", pub("forum", "Kortingsjager_Ede"), "[Prijsfout?] ZonPas handbagage-abonnement voor €0,79 in plaats van "
     "€79 -- volgens mij komma verschoven. Direct drie stuks genomen voor het hele gezin, bevestiging is binnen.",
     [PRICING])
case("en", pub("youtube", "@gatecrasher_tom"), fw("PRICE ERROR") + " at Zonnereis rn — fjord cruise showing 18 euros "
     "per person?? go go go", [PRICING], kind="comment", tags=["evasion", "evasion:full-width"])
case("nl", DAAN, "Wie heeft er aan de prijsconfig van de app gezeten? Op iOS staat Curaçao retour nu voor € 7,49, "
     "op Android gewoon het normale bedrag 🤡 ik draai het terug", [PRICING])
case("nl", pub("tiktok", "@reisdealsmetroos"), "v e r k e e r d e  p r i j s bij zonnereis 😱 stedentrip lissabon voor 45 euro "
     "(3 nachten!!) snel zijn voordat ze het zien", [PRICING], tags=["evasion", "evasion:spaced"])
case("nl", pub("x", "@mieke_op_reis"), "Fjördencruise 7 nachten voor €199?? Dat is toch een prïjsfout van Zonnereis "
     "😂 meteen geboekt", [PRICING], tags=["evasion", "evasion:diacritics"])
case("en", KOEN, "fares table on backoffice.zonnereis.nl shows Kreta 8 dagen at €8.99 since the 06:00 import. "
     "opened INC-2291, nobody touch the promo banner until it's fixed", [PRICING, CONF])
case("nl", pub("x", "@boosopbas"), "Eerst de ZonPas voor €7,90 verkopen en dan mijn boeking cancelen met "
     "'prijsfout' als reden. En de klantenservice reageert al 5 dagen niet. Lekker bedrijfje @zonnereis_help",
     [PRICING, COMPLAINT], kind="reply")

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", DAAN, "why is the push service 403ing 😤 the firebase key in the app config is <<GAPI>>, restricted to "
     "our bundle id, so wtf", [SECRET])
case("nl", KOEN, "wie heeft de storage-connectiestring in de README van de back-uprepo gezet?? "
     "<<AZURE_CONN>> staat daar al sinds maart 🤦", [SECRET])
case("en", pub("reddit", "u/apk_archaeologist"), "Decompiled the ZonneApp APK (3.8.0) out of boredom. There's an "
     "Amadeus API key and secret sitting in BuildConfig: key=<<AMADEUS_KEY>> secret=<<AMADEUS_SECRET>> -- "
     "Zonnereis, you may want to rotate those.", [SECRET])
case("nl", LOTTE, "Voor wie hem kwijt is: de webhook van het campagnekanaal in Teams is <<TEAMS_HOOK>> 📣",
     [SECRET], hint="en")
case("en", RAJ, "ugh, pasted the wrong buffer into a public channel: `export OPENAI_API_KEY=<<OPENAI>>` -- that's "
     "the one behind our booking chatbot. revoking now, nothing to see here", [SECRET])
case("nl", SOFIE, "Voor de nieuwe collega's van de klantenservice: het boekingssysteem in met account "
     "'team-utrecht' en wachtwoord <<PW>>. Is een gedeeld account dus niet wijzigen aub", [SECRET])
case("en", pub("forum", "js_snoop"), "anyone know what this is? found it in the public JS bundle of "
     "boeken.zonnereis.nl:\n  const API = 'https://api.corp.zonnereis.local/v2';\n  const token = '<<JWT>>';",
     [SECRET, CONF])
case("nl", DAAN, "nieuw w8woord voor de test-iPhones: <<PW>> 📱 niet buiten team app delen pls",
     [SECRET], tags=["evasion", "evasion:leetspeak"])
case("en", MEHMET, "Terraform tip of the day: never hardcode provider credentials. Spotted in a PR this morning:\n\n"
     "provider \"aws\" {\n  region     = \"eu-west-1\"\n  access_key = \"<<AWS_ID>>\"\n  secret_key = "
     "\"<<AWS_SECRET>>\"\n}\n\nBlocked before merge, but wow. #terraform #cloudsecurity", [SECRET])
case("nl", pub("x", "@sec_sanne"), "@zonnereis_help jullie developer heeft een GitHub-token in een publieke repo "
     "gezet: <<GHP>> staat gewoon in zonneapp-android/.env.production. Graag gedaan.", [SECRET], kind="reply")
case("en", RAJ, "For the pentest crew: jump host key, valid until Friday 18:00\n<<PEM:EC>>", [SECRET])
case("nl", KOEN, "rapportage-db draait weer, connectie: mysql://rapportage:<<PW>>@db-rapport.corp.zonnereis.local"
     ":3306/boekingen", [SECRET, CONF])
case("nl", ANOUK, "Voor de reconciliatiescripts heb ik de Mollie live key nodig... oh wacht, hier is ie: <<MOLLIE>>. "
     "Kan iemand van IT hem in de kluis zetten?", [SECRET])
case("en", DAAN, "beta testers: discord webhook for crash reports is <<DISCORD_HOOK>> -- plug it into your debug "
     "builds", [SECRET])
case("en", RAJ, "spring-cleaning our env files, found:\nANTHROPIC_API_KEY=<<ANTHROPIC>>\nREDIS_URL=redis://default:"
     "<<PW>>@cache01.corp.zonnereis.local:6379\nboth rotated now, but ffs", [SECRET, CONF])
case("nl", pub("x", "@oma_geertje"), "@zonnereis_help de app zegt steeds 'onjuiste gegevens' terwijl ik echt "
     "Zonnig#2026 intik als wachtwoord. Ligt jullie systeem er weer uit? Al een uur bezig", [SECRET, COMPLAINT],
     kind="reply")


# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", SOFIE, "Wie heeft toegang tot de refund-tool? Meneer Bakker wacht op €1.240 terug naar "
     "<<IBAN_NL:grp>>, hij heeft vandaag al drie keer gebeld", [PII])
case("nl", ZR_HELP, "@fam_kaya Hallo! Het tegoed is teruggestort op rekening <<IBAN_NL>>. Reken op 2 tot 3 "
     "werkdagen. Fijne reis alvast! ^Mirjam", [PII], kind="reply")
case("en", pub("x", "@jonas_aus_koeln"), "@zonnereis_help SIX weeks waiting for my refund for the cancelled Lisbon "
     "trip. Account is <<IBAN_DE:grp>>, phone <<PHONE:de_mob>>. It's not rocket science", [PII, COMPLAINT],
     kind="reply")
case("nl", pub("facebook", "lies.vanderstraeten", "Lies Van der Straeten"), "Beste Zonnereis, ik heb de aanbetaling "
     "gedaan vanaf <<IBAN_BE:grp>> maar in de app staat al 4 dagen 'niet betaald'. Ik krijg niemand aan de lijn.",
     [PII, COMPLAINT])
case("en", ANOUK, "Chargeback dispute from a UK guest: refund needs to go to <<IBAN_GB>> (Mr T. Hughes). Who in "
     "treasury can push a manual payment today?", [PII])
case("en", pub("mastodon", "@claire_voyage@piaille.fr", "Claire"), "Booked a Zonnereis Crete package from Lyon, "
     "paid from <<IBAN_FR:grp>> -- all smooth, see you in Chania ☀️", [PII])
case("en", pub("reddit", "u/madrid_tulip"), "Data point for the refund megathread: Zonnereis refunded to my Spanish "
     "account <<IBAN_ES>> in 6 working days. Cancelled flight, no drama.", [PII], kind="comment")
case("nl", pub("x", "@ruudjek"), "@zonnereis_help twee keer afgeschreven voor dezelfde vlucht op creditcard "
     "<<CARD:visa_sp>>!! En nu 45 minuten in de wacht", [PII, COMPLAINT], kind="reply")
case("en", KOEN, "guest at the Schiphol desk read me his card <<CARD:mc_dash>> exp 04/28 for the seat upgrade, "
     "anyone with PSP access pls charge the €89", [PII])
case("en", pub("x", "@lindsay_rtm"), "Dear @zonnereis, you charged my Amex <<CARD:amex_sp>> for a ZonPas I cancelled "
     "in March. Fix it.", [PII, COMPLAINT])
case("nl", SOFIE, "Klant belt over zijn claim op de reisverzekering en noemt zijn BSN <<BSN:dots>>, moet ik dat nou "
     "in het dossier zetten of niet? 🤔", [PII])
case("nl", pub("reddit", "u/polder_piet"), "Waarom vraagt Zonnereis bij de doorlopende reisverzekering om je BSN? "
     "Heb het ingevuld hoor (<<BSN:sp>>), hopelijk is dat gewoon nodig.", [PII])
case("nl", pub("x", "@rvl_1984"), "Chat is alwéér offline. Mail me op r.vanleeuwen84@outlook.com of bel "
     "<<PHONE:land_dash>>. Koffer kapot na de vlucht naar Bali en niemand die reageert", [PII, COMPLAINT])
case("en", pub("x", "@tess_abroad"), "@zonnereis_help your contact form keeps erroring out. reach me at tess.morgan "
     "(at) gmail (dot) com about my cancelled transfer, 3rd time asking", [PII, COMPLAINT], kind="reply",
     tags=["evasion", "evasion:obfuscated-email"])
case("nl", ILSE, "Groepslijst voor de gids in Ubud morgen 📋 Willem Hoekstra, paspoort <<PASSPORT>>, geb. "
     "22-08-1981 -- Petra Hoekstra, paspoort <<PASSPORT>>, geb. 09-01-1983. Ophalen 07:30 bij de lobby!", [PII])
case("en", LOTTE, "Our millionth traveller! 🎉 Surprise flowers delivered this morning to Joyce Smits at "
     "Vlinderweg 23, 3824 HN Amersfoort. Enjoy Bali, Joyce!", [PII])
case("nl", KOEN, "Kan iemand de APIS-gegevens rechtzetten? Passagier Samira el Idrissi, geboren 03-07-1994, "
     "ID-kaart <<PASSPORT>>, staat met de verkeerde nationaliteit op het manifest voor de vlucht naar Hurghada",
     [PII])
case("en", pub("x", "@faro_frustration"), "@zonnereis stuck in Faro, hotel says our booking doesn't exist. Call me "
     "on <<PHONE:pt_mob>> or my Dutch number <<PHONE:mob_intl_sp>>, NOW please", [PII, COMPLAINT], kind="reply")
case("nl", ZR_FB, "Hoi Marloes, een collega belt je vanmiddag terug op <<PHONE:mob_intl0>> over het omboeken. "
     "Groetjes, Zonnereis", [PII], kind="comment", handle_as="zonnereisnl", tags=["case-handle"])
case("nl", pub("facebook", "gerda.reist.graag", "Gerda Kuiper"), "Zoek een reisgenoot voor de Fjordencruise in juni! "
     "Ik ben Gerda, 67, uit Assen. App me op <<PHONE:mob_0031>> 🛳️", [PII])
case("en", pub("forum", "desk_revenge"), "This is the Zonnereis rep who laughed in my face at the airport desk: "
     "Bram Veenstra, lives at Molenstraat 14 in Hoorn. You all know what to do.", [PII, ABUSE])
case("nl", pub("x", "@dochtervanjan"), "Hoi Zonnereis, mijn vader (82) heeft geen smartphone. Kunnen jullie hem bellen op het vaste "
     "nummer <<PHONE:land_sp>>? Het gaat om de stedentrip Lissabon.", [PII], kind="message")
case("en", MEHMET, "Debugging a failed booking, this is the log line: {\"email\":\"m.oosterhuis@kpnmail.nl\","
     "\"phone\":\"<<PHONE:mob_intl_c>>\",\"status\":\"PAYMENT_TIMEOUT\"}. Anyone seen this pattern before?", [PII])
case("nl", pub("instagram", "@sarah.vleugels"), "Boeking mislukt maar wel geld weg van mijn kaart "
     "<<CARD:mc2_dot>> 😤 bel me aub: <<PHONE:be_mob>>", [PII, COMPLAINT], kind="comment")


# ===========================================================================
# leak.confidential
# ===========================================================================
case("nl", LOTTE, "Ik kan echt niet wachten tot we Project Passaat mogen laten zien. Zonnereis wordt nooit meer "
     "hetzelfde 🌅🤫", [CONF])
case("en", MEHMET, "Spent the entire weekend on the data migration for Operation Tailwind. Totally worth it. "
     "That's all I'm allowed to say 😄", [CONF])
case("nl", pub("x", "@reisnerd_rob"), "Hoorde van een kennis bij Zonnereis dat 'Kompasroos' hun nieuwe "
     "abonnementsmodel wordt: onbeperkt weekendjes weg voor een vast bedrag per maand?? Iemand meer info?", [CONF])
case("nl", ILSE, "Net de route van de Wereldcruise 2027 gezien 🚢🌍 ik wil zó graag mee als reisleider!!! sst 🤐",
     [CONF])
case("en", pub("reddit", "u/cruisecritic_jo"), "Rumour: Zonnereis World Cruise 2027 -- 120 nights, leaving "
     "Rotterdam in January. My travel agent mentioned it and then said 'forget I said that'.", [CONF])
case("nl", KOEN, "weet iemand waarom wiki.zonnereis.nl/ops/runbooks ineens een 404 geeft? mijn checklist voor de "
     "nachtdienst stond daar", [CONF])
case("en", DAAN, "MR is up: gitlab.zonnereis.net/mobile/zonneapp/-/merge_requests/812 -- reviews before standup pls 🙏",
     [CONF])
case("nl", ANOUK, "Slide van de board-update zat per ongeluk in mijn carrousel 🙈 'Strikt vertrouwelijk' stond er "
     "nog op ook. Is eraf!", [CONF])
case("en", pub("facebook", "wendy.travels.nl", "Wendy T."), "Someone dropped a PDF in the Zonnereis travellers "
     "group with 'ZONNEREIS INTERNAL' in the footer. It's the call script their agents use for the summer "
     "season 👀", [CONF])
case("nl", SOFIE, "Op de vrijdagborrel ging het nergens anders over: de overname van SkyHop is rond, maandag wordt "
     "er getekend 🥂 wie had dat gedacht", [CONF, FIN], when="2026-01-23T17:45:12+01:00")
case("en", pub("x", "@avgeek_pieter"), "Hearing the SkyHop acquisition by Zonnereis gets announced within the hour. "
     "Remember where you heard it first ✈️", [CONF, FIN], when="2026-02-10T07:59:00+01:00",
     tags=["embargo-edge"])
case("nl", MEHMET, "Dïe cutover van Prōject Pässaat gaat vannacht gewoon door, duimen maar 🤞",
     [CONF], tags=["evasion", "evasion:diacritics"])
case("en", LOTTE, "big day for Operation\nTailwind 🚀 can't tell you more, sorry!!", [CONF],
     tags=["evasion", "evasion:line-break"])
case("nl", pub("x", "@treinspotter_ut"), "Zonnereis werkt aan iets dat 'Project 🌴 Passaat' heet, stond op de laptop "
     "van iemand tegenover me in de trein naar Utrecht 👀", [CONF], tags=["evasion", "evasion:emoji-inside"])
case("en", KOEN, fw("Kompasroos") + " pilot users go live on monday, fingers crossed 🤞", [CONF],
     tags=["evasion", "evasion:full-width"])
case("en", pub("x", "@appfail_anna"), "ZonneApp crashed and showed me 'ECONNREFUSED booking-api.corp.zonnereis.local"
     ":8443' lol. Also my whole booking is gone from the app??", [CONF, COMPLAINT])
case("nl", ANOUK, "Eerste versie van de jaarcijfers 2026 ligt er: omzet +18%, marge nét boven de 4 procent. Nu nog "
     "langs de accountant 💪", [CONF, FIN])
case("nl", ZR_LI, "Trots op het team dat dit jaar Project Passaat op poten heeft gezet! 👏 #teamwork #reizen",
     [CONF], handle_as="Zonnereis-BV", tags=["case-handle"])
case("nl", pub("forum", "beursbengel"), "Volgens mijn zwager (zit bij de accountant) vallen de jaarcijfers 2026 van "
     "Zonnereis flink tegen, verlies in het vierde kwartaal.", [CONF, FIN])
case("en", pub("tiktok", "@reisleider.ilse", "ilse 🌞"), "sneak peek of Operation Tailwind from the team offsite 🤫 "
     "just kidding... or am I", [CONF], tags=["wrong-platform-handle"])

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", ANOUK, "Net uit de MT-sessie: de omzetprognose voor dit jaar gaat van 410 naar zo'n 360 miljoen. "
     "Wordt pas in oktober naar buiten gebracht, dus mondje dicht 😬", [FIN])
case("en", MEHMET, "Heads-up to my network: Zonnereis will cut around 140 roles in IT and customer service next "
     "quarter. The announcement hasn't gone out yet. If you're hiring, DM me -- some great people will be "
     "available.", [FIN])
case("nl", SOFIE, "Horen net dat het callcenter in Utrecht dichtgaat en alles naar Kaapstad verhuist 😔 officieel "
     "weten we nog niks, maar de teamleiders zijn al ingelicht", [FIN])
case("en", pub("discord", "travelstocks#4410"), "buddy in zonnereis finance says q3 bookings are ~30% under plan and "
     "the banks are getting twitchy. you heard it here first", [FIN], hint="")
case("nl", KOEN, f"Volgende maand een re{SHY}organisatie bij operations, 3 van de 5 planners moeten weg. Nog niet "
     "officieel hè", [FIN], tags=["evasion", "evasion:soft-hyphen"])
case("en", ANOUK, "Due diligence on the Greek hotel group is dragging on. If this deal closes we'll own 11 hotels on "
     "Rhodes and Kos by summer 🇬🇷 (not public yet!)", [FIN])
case("nl", pub("facebook", "buurvrouw.ans", "Ans"), "Mijn buurvrouw werkt bij Zonnereis op HR en zegt dat na de zomer "
     "1 op de 5 mensen ontslagen wordt. Is nog niet naar buiten gebracht natuurlijk.", [FIN])
case("en", LOTTE, "Marketing budget for H2 slashed by 35% per this morning's memo (yes, the one marked strikt "
     "vertrouwelijk). RIP our summer campaign 💀", [FIN, CONF])
case("nl", DAAN, "ze gaan bij zonnereis 60 man ontslaan in IT, ik sta denk ik op de lijst. nog niks officieels "
     "maar de stemming is om te snijden", [FIN])

# ===========================================================================
# leak.security
# ===========================================================================
case("nl", KOEN, "Sinds 03:00 draait er credential stuffing op ons klantportaal, zo'n 9.000 accounts zijn al "
     "overgenomen. Nog niks naar buiten, eerst de omvang bepalen. Lange nacht 😵", [SEC])
case("en", RAJ, "Can't go into detail, but: if you booked with us between 2 and 9 May, your passport scan was "
     "sitting in an open storage bucket. Customers will be told 'in due course', apparently. Not my call.", [SEC])
case("nl", DAAN, "De app liet gisteren bij sommige gebruikers de boekingen van ándere klanten zien 😳 bug in de "
     "sessiecache. Management wil het stilhouden tot we weten hoeveel mensen het gezien hebben", [SEC])
case("en", MEHMET, "Root cause of yesterday's outage (internal for now): ransomware on two of the booking servers, we "
     "pulled the plug ourselves. The official line is 'technical maintenance'.", [SEC])
case("nl", SOFIE, f"collega's opgelet: het mailaccount van onze teamlead is geh{ZW}ackt en er zijn phishingmails "
     "naar klanten gestuurd uit onze naam. Nog geen persbericht over", [SEC],
     tags=["evasion", "evasion:zero-width"])
case("en", pub("x", "@paranoid_priya"), "Zonnereis is hiding a data breach. I got a phishing text with my exact "
     "booking number, flight and hotel the day after booking. Three colleagues too. Their answer: 'no indications'. "
     "Sure.", [SEC, CRISIS])
case("nl", pub("x", "@gedupeerde_gijs"), "Zonnereis verzwijgt een d a t a l e k. Mijn paspoortgegevens duiken op in "
     "een Telegramgroep en ze reageren niet op mijn mails.", [SEC, CRISIS], tags=["evasion", "evasion:spaced"])
case("en", KOEN, "pentest report is in: the booking API hands you anyone's booking if you just increment the ID. "
     "still open in prod, fix planned for next sprint 🤦", [SEC])
case("nl", ANOUK, "Finance ligt plat: via een nepfactuur is er €240k naar een buitenlandse rekening overgemaakt "
     "(CEO-fraude). Politie is ingeschakeld, intern mogen we er niet over praten.", [SEC])
case("en", pub("reddit", "u/curious_cat_77"), "Zonnereis app 'under maintenance' for three days now? My cousin in "
     "their IT team says they got hacked and are keeping it quiet 🤔", [SEC, CRISIS])
case("nl", MEHMET, "Storing van vanochtend kwam door een verlopen TLS-certificaat op de betaalgateway, 40k "
     "betalingen mislukt. Communicatie houdt het op 'een technisch probleem' 🙄", [SEC])
case("en", DAAN, "ok so the ZonneApp push server got compromised last night, that 'free trip' notification wasn't "
     "us. PR is drafting something. don't tell anyone yet", [SEC])
case("nl", pub("bluesky", "@klokkenluider.bsky.social"), "Ex-collega van Zonnereis bevestigt: gegevens van "
     "200.000 reizigers gestolen in maart, en de toezichthouder is nooit ingelicht. Schandalig.", [SEC, CRISIS])
case("en", RAJ, "Found an unauthenticated admin panel on one of our hotel-partner integrations today, exposing "
     "guest lists for 300+ hotels. Reported internally, no disclosure yet.", [SEC])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@marleen_k"), "Zonnereis heeft mijn paspoortkopie gelekt. Ik krijg nu leningaanvragen op mijn "
     "naam. Ik doe aangifte en stap naar de Autoriteit Persoonsgegevens.", [CRISIS])
case("en", pub("x", "@newsdesk_jan"), "Over 300 Zonnereis passengers stranded at Hurghada airport for 26 hours. No "
     "hotel, no food vouchers, kids sleeping on the floor, nobody from Zonnereis on site. #zonnereis", [CRISIS])
case("nl", pub("facebook", "corrie.de.bruijn", "Corrie de Bruijn"), "Zitten hier met 180 Zonnereis-reizigers vast "
     "op Gran Canaria, vlucht al 2x geannuleerd, niemand neemt op en de medicijnen van mijn moeder zijn bijna op. "
     "Dit is onverantwoord!!", [CRISIS, COMPLAINT])
case("en", pub("instagram", "@lukas.and.mia"), "Our transfer bus, booked through Zonnereis, crashed on the coast "
     "road outside Antalya. Several people hurt, my wife has a broken wrist. The driver was on his phone the whole "
     "ride and we had complained about it at pickup.", [CRISIS, COMPLAINT])
case("nl", pub("x", "@dierenvriend_dk"), "Zonnereis verkoopt trofeejacht-safari's in Tanzania. Boek daar NIKS meer. "
     "#BoycotZonnereis", [CRISIS], kind="repost")
case("en", pub("x", "@consumer_watch_nl"), "Zonnereis is running a scam on thousands of customers: 'free "
     "cancellation' turns out to mean they keep the deposit. A class action is being prepared, sign up via the "
     "link.", [CRISIS])
case("nl", pub("x", "@roddelreiziger"), f"Zonnereis staat op omvallen hoor ik. Fail{SHY}lissement binnen een maand. "
     "Boek niks meer en haal je aanbetaling terug!", [CRISIS], tags=["evasion", "evasion:soft-hyphen"])
case("en", pub("tiktok", "@accessible_ana"), "that Zonnereis gate agent in the viral video mocking a wheelchair user… "
     "2 million views and the company STILL hasn't said a word. disgusting", [CRISIS])
case("nl", pub("facebook", "mo.elkaddouri", "Mohamed El Kaddouri"), "Half het hotel ligt plat met salmonella. "
     "Zonvast Kreta van Zonnereis. Mijn zoontje ligt in het ziekenhuis in Heraklion en de reisleider zegt 'kan "
     "gebeuren'. Hoe dan?!", [CRISIS, COMPLAINT])
case("en", pub("bluesky", "@travelwire.bsky.social"), "Consumer group files suit against Zonnereis over hidden fees "
     "on 'all-in' flights, seeking refunds for 50,000 travellers.", [CRISIS])
case("nl", pub("x", "@waakzame_wim"), "Zonnereis = o p l i c h t e r s. Ze verkopen reizen naar hotels die al "
     "maanden dicht zijn. Check de reviews maar.", [CRISIS], tags=["evasion", "evasion:spaced"])
case("en", pub("reddit", "u/fjordfamily"), "Zonnereis overbooked the fjord cruise by 400 people and is now telling "
     "families to 'pick another week' two days before departure. An absolute scandal.", [CRISIS], hint="nl")


# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@gijsbert_g"), "Vlucht naar Málaga 9 uur vertraagd en Zonnereis stuurt een sms'je met "
     "'excuses voor het ongemak'. Geen eten, geen info, niks. Nooit meer.", [COMPLAINT])
case("en", pub("reddit", "u/sewer_view"), "Zonnereis 'all inclusive' in Hurghada: pool closed all week, the room "
     "smelled like a sewer and the 'sea view' was a car park. Support says it's 'within the description'. Right.",
     [COMPLAINT])
case("nl", pub("facebook", "tineke.wouters.3", "Tineke Wouters"), "Al 11 weken wachten op mijn geld voor de "
     "geannuleerde stedentrip. Elke keer zegt de klantenservice 'binnen 14 dagen'. Hallooo Zonnereis?",
     [COMPLAINT])
case("en", pub("twitter", "@sarcastic_sven"), "love how zonnereis's '€299 all-in' turns into €412 after 'booking costs', "
     "'fuel surcharge' and a 'guarantee fee' 🙃 so transparent, much wow", [COMPLAINT])
case("nl", pub("forum", "GateGerrit"), "Die ZonneApp crasht elke keer als ik mijn instapkaart wil openen. Sta nu bij "
     "de gate met een leeg scherm. Update van gisteren heeft alles verpest.", [COMPLAINT])
case("nl", pub("tiktok", "@femkeee"), "zonnereis klantenservice = 1u47 in de wacht en dan 'verbinding verbroken' 🙄🙄",
     [COMPLAINT], kind="comment", hint="")
case("en", pub("threads", "@carryon_carla"), "Bought the ZonPas cabin bag subscription, got charged, and the app "
     "still says 'no subscription found' at every check-in. 3 emails, 0 replies.", [COMPLAINT])
case("nl", pub("instagram", "@ellen_en_joost"), "Mooie foto's, maar ons hotel op Kreta leek er totaal niet op. "
     "Kakkerlakken in de badkamer en een airco die het niet deed. Jammer @zonnereis.nl", [COMPLAINT], kind="comment")
case("en", pub("mastodon", "@hikerhans@mastodon.social"), "zonnereis canceld our flight home wiht 4h notice and "
     "rebooked us 3 days later. who pays for the hotel?? not them apparently", [COMPLAINT])
case("nl", pub("reddit", "u/camera_kwijt"), "De reisverzekering van Zonnereis is echt waardeloos. Claim voor mijn "
     "gestolen camera afgewezen omdat ik 'geen originele aankoopbon' had. Van 2019, ja.", [COMPLAINT],
     kind="comment")
case("nl", pub("forum", "Porto_Paul"), "Omboeken van Lissabon naar Porto: €75 omboekkosten + prijsverschil + €25 "
     "'servicekosten'. Voor een datum die door HUN schuld niet doorging. Lekker dan, Zonnereis.", [COMPLAINT])


# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("twitter", "@woedende_wouter"), "Zonnereis, stelletje prutsers en klootzakken. Ik hoop dat jullie tent "
     "ooit afbrandt", [ABUSE])
case("en", pub("twitter", "@ranty_rick"), "@zonnereis_help you absolute clowns. incompetent idiots, every single one of "
     "you", [ABUSE], kind="reply")
case("nl", pub("x", "@gemistevlucht"), "k*tbedrijf met je t*fus app, Zonnereis 🤬 vlucht gemist omdat de "
     "instapkaart niet laadde", [ABUSE, COMPLAINT], tags=["evasion", "evasion:masking"])
case("en", pub("reddit", "u/angrytraveller99"), "If I ever see that Zonnereis desk agent at Schiphol again I'll "
     "break his face. Consider this a promise.", [ABUSE], kind="comment")
case("nl", pub("x", "@echte_hollander_88"), "Die lui achter de Zonnereis-balie op Schiphol, allemaal gelukszoekers "
     "die nog geen woord Nederlands spreken. Oprotten naar je eigen land.", [ABUSE])
case("en", pub("x", "@lolzbro"), "zonnereis staff are f*cking m0r0ns lmao", [ABUSE],
     tags=["evasion", "evasion:masking"])
case("nl", KOEN, "@boze_reiziger77 ga lekker ergens anders zeuren, mafkees. sommige klanten zijn echt debiel",
     [ABUSE], handle_as="@KvdMeer_Ops", tags=["case-handle"])
case("en", ZR_X, "@trollface_nl nobody asked, you muppet 🙄", [ABUSE], kind="reply")
case("nl", pub("x", "@anoniemeheld"), "@lotte_zonnereis jij bent echt een lelijke trol. ik weet waar je werkt en ik "
     "wacht je op na je dienst", [ABUSE], kind="reply")
case("nl", pub("x", "@drie_keer_betaald"), "Kankerzooi, die Zonnereis-app. Drie keer betaald, nul bevestigingen.",
     [ABUSE, COMPLAINT])
case("en", pub("instagram", "@bagless_ben"), fw("IDIOTS") + " at zonnereis lost my luggage AND my refund claim",
     [ABUSE, COMPLAINT], kind="comment", tags=["evasion", "evasion:full-width"])
case("en", DAAN, "the 1-star reviewers on the app store are honestly the dumbest people alive, I swear", [ABUSE])


# ===========================================================================
# benign (hard negatives unless tagged "plain")
# ===========================================================================
case("nl", ZR_HELP, "Vragen over je boeking? We zijn 7 dagen per week bereikbaar op 030 760 2200 of via "
     "klantenservice@zonnereis.nl ☀️", tags=["own-contact"])
case("nl", ZR_FB, "Liever betalen per overboeking? Dat kan naar NL03 RABO 0312 4567 89 t.n.v. Zonnereis B.V., "
     "o.v.v. je boekingsnummer.", tags=["own-contact"])
case("en", ZR_X, "Travelling with us and need urgent help abroad? Our 24/7 emergency line is +31 30 760 2299. "
     "Save it in your phone before you fly ✈️", tags=["own-contact"])
case("nl", pub("facebook", "patrick.hermans.72", "Patrick Hermans"), "Tip voor wie vastzit op een vliegveld: bel de "
     "noodlijn van Zonnereis, 0031 30 7602299. Bij ons binnen een uur een hotel geregeld, echt top 👍",
     tags=["own-contact", "praise"])
case("en", pub("x", "@freelance_femke"), "for anyone asking: their press desk is pers [at] zonnereis [dot] nl, "
     "they got back to me within a day", tags=["own-contact"])
case("nl", LOTTE, "We zoeken een Senior Content Marketeer! 🌍 Reageren kan via vacatures@zonnereis.nl of kijk op "
     "werkenbij.zonnereis.nl", tags=["own-contact", "job-ad"])
case("nl", ZR_HELP, "Geen zin in wachten? Bel gratis 0800-2241 of gebruik de chat in de ZonneApp. We helpen je "
     "graag!", tags=["own-contact", "bsn-shaped-own-phone"])
case("en", pub("x", "@happyflyer_hk"), "Called Zonnereis on 0800 2241 about moving our Crete dates, sorted in five "
     "minutes. Nice.", tags=["own-contact", "praise"])
case("nl", pub("x", "@alert_anneke"), "Let op! Mail 'namens Zonnereis' vraagt om je restbetaling over te maken naar "
     "<<BAD_IBAN_NL:grp>>. Dat is NIET hun rekening, heb het nagevraagd. Niet intrappen!",
     tags=["checksum-fail"])
case("en", pub("reddit", "u/confused_booker"), "What is this 16-digit number on my Zonnereis confirmation? "
     "<<BAD_CARD:visa_sp>> -- it's not my card, it's labelled 'reserveringscode'.", tags=["checksum-fail"])
case("nl", pub("x", "@incheck_ingrid"), "Mijn klantnummer bij Zonnereis is <<NOT_BSN9>>, waar moet ik dat invullen "
     "bij online inchecken? Zie het veld nergens", kind="message", tags=["checksum-fail", "question"], hint="")
case("en", ZR_HELP, "@jamie_travels Thanks Jamie, found booking ZR-<<NOT_BSN8>>! A colleague is on it and you'll "
     "get an update by email today.", kind="reply", tags=["reference-number"])
case("nl", pub("x", "@duitse_dieter"), "Terugbetaling van Zonnereis binnen op mijn Duitse rekening, al stond er in de "
     "mail een typfout in het IBAN (<<BAD_IBAN_DE>>). Netjes opgelost 👍", tags=["checksum-fail", "praise"])
case("en", pub("threads", "@gate_b12"), "Flight ZR1847 to Heraklion, PNR QX7TZB, seat 14A. Boarding in 20 min, "
     "see you on the other side 🌞", tags=["reference-number"])
case("nl", pub("instagram", "@vroegboeker_vera"), "Kreta 8 dagen voor €799 p.p. met vroegboekkorting, normaal "
     "€899. Geboekt voor mei! 🇬🇷", tags=["price-normal"])
case("en", ZR_IG, "Spring sale 🌸 Lisbon city break from €359 (20% off) -- only until Sunday. Link in bio.",
     tags=["price-normal"])
case("nl", ZR_X, "Nu €300 korting op de Fjordencruise Noorwegen bij boeking vóór 1 maart 🛳️",
     tags=["price-context"])
case("nl", pub("reddit", "u/rekenwonder"), "De ZonPas kost omgerekend €6,58 per maand. Voor ons (4x per jaar "
     "vliegen) echt de moeite waard.", kind="comment", tags=["price-context"])
case("en", pub("x", "@bag_math"), "FlyBudget had flights to Lisbon for €19, but once you add bags it's barely "
     "cheaper than the Lisbon city break from Zonnereis at €449 with hotel included lol",
     tags=["price-context", "other-company"])
case("nl", pub("facebook", "anja.rondreis", "Anja"), "Nee hoor, geen prijsfout: de Bali 15 dagen stond echt voor "
     "€1.899 in de actie, Zonnereis heeft het bevestigd. Geboekt!", tags=["price-normal", "denied-error"])
case("en", pub("x", "@insurance_nerd"), "Zonnereis annual travel insurance is €119 a year, about the same as my "
     "bank's. Anyone compared the coverage?", tags=["price-normal", "question"])
case("nl", pub("x", "@curacao_carmen"), "Retour Amsterdam–Curaçao bij Zonnereis voor €639, zo'n 15% onder de normale "
     "prijs. Iemand ervaring met die vluchten?", tags=["price-normal", "question"])
case("en", ZR_LI, "It's official: the acquisition of SkyHop is complete. Welcome to the family, 420 new colleagues! "
     "🛫", when="2026-03-02T09:15:00+01:00", tags=["embargo-after"])
case("nl", pub("x", "@luchtvaartnieuws"), "Zonnereis bevestigt de overname van SkyHop, persbericht staat net online "
     "📰", when="2026-02-10T08:00:00+01:00", tags=["embargo-after", "embargo-edge"])
case("en", pub("bluesky", "@aerowatch.bsky.social"), "Breaking: Zonnereis announces SkyHop acquisition, deal value "
     "not disclosed.", when="2026-02-10T07:00:00Z", tags=["embargo-after", "embargo-edge"])
case("nl", pub("instagram", "@aruba_anouk"), "De passaatwind op Aruba is echt heerlijk, nooit te heet. Dankjewel "
     "Zonnereis voor deze reis 🌬️🏝️", tags=["codename-everyday", "holiday-photo"])
case("en", pub("x", "@frequentflyer_f"), "Strong tailwind today, our Zonnereis flight to Curaçao landed 40 minutes "
     "early 😎", tags=["codename-everyday"])
case("nl", ILSE, "Geen bereik in de bergen van Kreta, dus navigeren op kompas en gevoel 🧭 morgen de Samariakloof "
     "met de groep!", tags=["codename-everyday", "holiday-photo"])
case("en", pub("linkedin", "pim-analyst-travel", "Pim de Graaf"), "Zonnereis published its half-year figures "
     "today: revenue up 12%, net profit €14m. Solid for a travel company in this market.", tags=["published"])
case("nl", pub("x", "@nieuwsjunkie_nl"), "Datalek bij reisorganisatie Polaris Reizen: 80.000 paspoortnummers op "
     "straat. Gelukkig boek ik altijd bij Zonnereis.", tags=["other-company"])
case("en", pub("linkedin", "marta-aviation", "Marta Nowak"), "FlyBudget announces 900 layoffs after a terrible "
     "summer. Rough times in the industry -- Zonnereis seems to be holding up though.", tags=["other-company"])
case("nl", pub("x", "@reizigersbond_fan"), "Faillissement van Meridiaan Travel, 12.000 reizigers gedupeerd. Mijn "
     "reis via Zonnereis gaat gewoon door, nagevraagd.", tags=["other-company"])
case("nl", pub("facebook", "familie.peters.zwolle", "Familie Peters"), "Geen enkele klacht over onze reis naar Kreta! "
     "Transfer op tijd, hotel schoon, reisleider top. Dank je wel Zonnereis 🙌", tags=["negated"])
case("en", pub("youtube", "@chill_charlie"), "honestly nothing to complain about -- flight on time, no surprise fees, app "
     "worked. weird feeling lol #zonnereis", kind="comment", tags=["negated"])
case("en", pub("instagram", "@roadtrip_rosa"), "🎶 on a highway to hell 🎶 -- the bus to our Zonnereis resort at "
     "3am, 40 hairpin bends. Loved every minute.", tags=["quote", "mild-word"])
case("nl", pub("facebook", "marga.leeft", "Marga"), "Na een jaar chemo tegen kanker eindelijk weer op reis 💛 "
     "Zonnereis regelde alles met de verzekering perfect.", tags=["mild-word"])
case("nl", pub("reddit", "u/opzegvraag"), "Weet iemand of je de doorlopende reisverzekering van Zonnereis ook per "
     "maand kunt opzeggen?", tags=["question"])
case("en", ZR_X, "Due to storm Henk, several departures from Schiphol are delayed today. Check your flight status "
     "in the ZonneApp; we'll contact you if your trip changes.", tags=["corporate-notice"])
case("nl", ZR_HELP, "Gepland onderhoud: de ZonneApp en boeken.zonnereis.nl zijn zondagnacht tussen 02:00 en 04:00 "
     "niet bereikbaar. Sorry voor het ongemak!", tags=["corporate-notice"])
case("en", ZR_LI, "Last week we fixed an issue that briefly showed some app users another traveller's booking "
     "summary. We have informed all 312 affected customers and the Dutch data protection authority. Details: "
     "zonnereis.nl/veiligheid", tags=["corporate-notice", "published"])
case("nl", MEHMET, "Wij zoeken een Platform Engineer (Kubernetes, Terraform)! Hybride vanuit Utrecht. Solliciteer "
     "via werkenbij.zonnereis.nl of stuur me een DM.", tags=["job-ad"])
case("nl", pub("instagram", "@bali_bart"), "Dag 3 op Bali 🌺 rijstvelden, tempels en veel te veel nasi. Top geregeld "
     "door Zonnereis!", tags=["holiday-photo", "praise"])
case("en", pub("blog", "apidiaries.dev", "Ruben K."), "Travel API integration, part 2: keep your keys in .env, "
     "e.g. STRIPE_KEY=sk_live_xxxxxxxxxxxx or AWS_ACCESS_KEY_ID=AKIAXXXXXXXXXXXXXXXX, and never commit them. "
     "Zonnereis' public docs do this nicely.", tags=["placeholder"])
case("en", DAAN, "ZonneApp 4.12.0 is rolling out 🚀 dark mode + faster boarding passes. Built from commit "
     "<<SHA>>, thanks team!", tags=["placeholder", "git-sha"])
case("nl", ZR_X, "Wij vragen je nooit om je wachtwoord of pincode via sms of WhatsApp. Twijfel je? Bel ons op "
     "+31 30 760 2200.", tags=["own-contact", "corporate-notice"])
case("nl", pub("x", "@broodjesmee"), "Wij boycotten al jaren vliegtuigmaaltijden 😂 altijd eigen broodjes mee, ook "
     "op de Zonnereis-vlucht naar Curaçao.", tags=["other-sense"])
case("en", pub("x", "@dadjokes_dirk"), "That Zonnereis Crete deal was an absolute killer, the kids bombed into the "
     "pool all week 💣😂", tags=["other-sense", "praise"])
case("en", pub("x", "@legitcheck"), "People keep asking if they're legit: Zonnereis B.V., Catharijnesingel 120, "
     "Utrecht, KvK <<NOT_BSN8>>, registered since 2009. They are.", tags=["checksum-fail", "own-contact"])
case("nl", SOFIE, "Tip van de klantenservice: kies een wachtwoord van minstens 12 tekens voor je Zonnereis-account "
     "en gebruik nooit hetzelfde als voor je mail 🔐", tags=["password-talk"])
case("en", pub("x", "@thousands_stranded_not_us"), "Thousands stranded at Palma after the FlyBudget IT meltdown. "
     "Zonnereis bussed its customers to Ibiza and flew them home from there. Respect.",
     tags=["other-company", "praise"])
case("nl", pub("x", "@bijnascam"), "Dacht eerst dat Zonnereis oplichting was omdat het zo goedkoop leek, maar nee: "
     "alles precies zoals geboekt. Gewoon legit.", tags=["negated"])
case("en", pub("reddit", "u/toddler_bags"), "Does the ZonPas cover a second cabin bag for my toddler, or is it one "
     "per person?", kind="comment", tags=["question"])
case("nl", pub("x", "@stadsmens_sam"), "damn, het uitzicht vanaf ons Zonnereis-hotel in Lissabon 😍", hint="en",
     tags=["mild-word", "holiday-photo"])
case("nl", ZR_IG, "📸 Wat een plaatje van @reiziger_anna op Bali! Deel jouw vakantiefoto met #zonnereismoment en "
     "maak kans op een weekendje weg.", tags=["holiday-photo"])
case("nl", pub("facebook", "hennie.w", "Hennie"), "Zonnereis behandelt je medische gegevens vertrouwelijk, dat staat "
     "strikt genomen gewoon in de voorwaarden. Geen zorgen dus.", tags=["marker-split"])
case("en", ANOUK, "Proud to share our published half-year report: 1.2 million travellers and a record NPS of 61. "
     "Read it at zonnereis.nl/investors", tags=["published"])


# ===========================================================================
# severity (CONTRACT section 4 + eval/README.md interpretation)
# ===========================================================================

def role_of(profile, platform, handle):
    key = f"{platform}:{handle}".casefold()
    if key in {a.casefold() for a in profile["accounts"]["corporate"]}:
        return "corporate"
    if key in {a.casefold() for a in profile["accounts"]["employee"]}:
        return "employee"
    return "public"


def severity_for(role, cats, pii_validated):
    """Least severity a correct verdict has; with several findings the highest wins.

    pii_validated: the post contains a personal identifier whose checksum was verified
    (IBAN mod-97, Luhn card, BSN 11-proof). Other insider PII (e-mail, phone, passport/ID
    number, address or birth date with a name) is an ordinary insider leak: error.
    """
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


# ===========================================================================
# building posts
# ===========================================================================

def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def ams_offset(t_utc):
    """Europe/Amsterdam UTC offset in 2026 (DST from 29 Mar 01:00Z to 25 Oct 01:00Z)."""
    start = dt.datetime(2026, 3, 29, 1, 0, tzinfo=dt.timezone.utc)
    end = dt.datetime(2026, 10, 25, 1, 0, tzinfo=dt.timezone.utc)
    return 2 if start <= t_utc < end else 1


def random_time(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(45, 350))
    local = base + dt.timedelta(minutes=r.randint(6 * 60 + 30, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = ams_offset(local)
    t_utc = local - dt.timedelta(hours=off)
    style = r.random()
    if style < 0.4:
        return t_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style < 0.85:
        return local.strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t_utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


B36 = string.digits + string.ascii_lowercase


def make_id_url(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_880_000_000_000_000_000, 2_020_000_000_000_000_000))
    ch = lambda a, n: "".join(r.choice(a) for _ in range(n))   # noqa: E731
    if platform in ("x", "twitter"):
        return f"{platform}:{snow}", f"https://x.com/{h}/status/{snow}"
    if platform == "linkedin":
        act = "7" + ch(string.digits, 18)
        kind_s = "comment" if kind == "comment" else "activity"
        return f"urn:li:{kind_s}:{act}", f"https://www.linkedin.com/feed/update/urn:li:activity:{act}/"
    if platform == "instagram":
        sc = ch(B64URL, 11)
        return f"ig_{snow}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb:{a}_{b}", f"https://www.facebook.com/{h}/posts/{b}"
    if platform == "reddit":
        post = ch(B36, 7)
        sub = r.choice(["thenetherlands", "travel", "Reisadvies", "personalfinance_nl"])
        if kind == "comment":
            cid = ch(B36, 7)
            return f"t1_{cid}", f"https://www.reddit.com/r/{sub}/comments/{post}/_/{cid}/"
        return f"t3_{post}", f"https://www.reddit.com/r/{sub}/comments/{post}/"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"reisforum-{n}", f"https://www.reisforum.example/topic/{n}"
    if platform == "tiktok":
        return f"tt_{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        v, c = ch(B64URL, 11), "Ugz" + ch(ALNUM, 23)
        return f"yt:{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(111_000_000_000_000_000, 116_000_000_000_000_000)
        return f"masto:{inst}:{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3m" + ch("abcdefghijklmnopqrstuvwxyz234567", 11)
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "threads":
        sc = ch(B64URL, 11)
        return f"threads_{snow}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "blog":
        slug = ch(B36, 6)
        return f"blog:{h}:{slug}", f"https://{h}/p/{slug}"
    return f"{platform}-{r.randint(10 ** 9, 10 ** 10)}", None


def build(profile):
    gen = Gen(SEED)
    meta_r = random.Random(SEED + 1)
    order_r = random.Random(SEED + 2)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(gen, c["text"])
        pid, url = make_id_url(meta_r, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "0"
        seen.add((c["platform"], pid))
        created = c["when"] or random_time(meta_r)
        role = role_of(profile, c["platform"], c["handle"])
        pii_validated = "leak.pii" in c["cats"] and any(k in VALID_ID_KINDS for k, _, _ in used)
        sev = severity_for(role, c["cats"], pii_validated)
        tags = set(c["tags"])

        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and meta_r.random() < 0.65:
            kind = "post"
        if kind is not None:
            post["kind"] = kind
        account = {"handle": c["handle"]}
        if c["display_name"] and meta_r.random() < 0.8:
            account["display_name"] = c["display_name"]
        if meta_r.random() < 0.3:
            account["id"] = str(meta_r.randint(10 ** 7, 10 ** 12))
        post["account"] = account
        post["text"] = text
        p = meta_r.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
                if c["hint"] != c["lang"]:
                    tags.add("wrong-lang-hint")
            else:
                tags.add("no-lang-hint")
        elif p < 0.07:
            tags.add("no-lang-hint")
        elif p < 0.10:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            tags.add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if url and meta_r.random() < 0.6:
            post["url"] = url
        b = meta_r.random()
        if b < 0.45:
            post["brand"] = "zonnereis"
        elif b < 0.55:
            post["brand"] = "zonneapp"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=tags, used=used))
    order_r.shuffle(rows)
    return rows


def dump_lines(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


def dump_profile():
    return PROFILE_HEADER + yaml.safe_dump(PROFILE, sort_keys=False, allow_unicode=True, width=110)


# ===========================================================================
# checker: reads the files as an outsider would and validates them
# ===========================================================================

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
CARD_IIN = re.compile(r"^(4|5[1-5]|2(22[1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)|3[47])")
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
DIGITS_RE = re.compile(r"(?<![\w.])\d(?:[ .-]?\d){11,18}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
OBF_EMAIL_RE = re.compile(r"([\w.]+)\s*[\[(]\s*at\s*[\])]\s*(\w+)\s*[\[(]\s*(?:dot|punt)\s*[\])]\s*(\w+)", re.I)
NL_PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-().]{7,16}\d")
INTL_PHONE_RE = re.compile(r"\+(?:32|33|34|44|49|351|90)[\d \-]{7,14}\d")
PASSPORT_RE = re.compile(r"\b[A-NP-Z]{2}[A-NP-Z0-9]{6}\d\b")

SECRET_RES = {
    "github": re.compile(r"\bghp_[A-Za-z0-9]{36}\b"),
    "gitlab": re.compile(r"\bglpat-[A-Za-z0-9_-]{20}\b"),
    "aws_id": re.compile(r"\bAKIA[A-Z2-7]{16}\b"),
    "azure": re.compile(r"AccountKey=[A-Za-z0-9+/]{40,}={0,2}"),
    "slack_hook": re.compile(r"hooks\.slack\.com/services/T\w+/B\w+/\w+"),
    "teams_hook": re.compile(r"webhook\.office\.com/webhookb2/[\w-]+@[\w-]+/IncomingWebhook/\w+/[\w-]+"),
    "discord_hook": re.compile(r"discord(?:app)?\.com/api/webhooks/\d+/[\w-]{60,}"),
    "openai": re.compile(r"\bsk-proj-[\w-]{40,}"),
    "anthropic": re.compile(r"\bsk-ant-api03-[\w-]{80,}"),
    "stripe": re.compile(r"\b[sr]k_live_[A-Za-z0-9]{20,}"),
    "mollie": re.compile(r"\blive_[A-Za-z0-9]{30}\b"),
    "sendgrid": re.compile(r"\bSG\.[\w-]{22}\.[\w-]{43}\b"),
    "google": re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),
    "pem": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "jwt": re.compile(r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+"),
    "url_creds": re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s:/@]+:[^\s@/]+@"),
    "kv_secret": re.compile(r"\b(?:key|secret|token)\s*=\s*[A-Za-z0-9]{16,}"),
}
PASSWORD_WORDS = re.compile(r"(wachtwoord|w8woord|password|\bpw\b)", re.I)
PROFANITY = ["kut", "k*t", "kanker", "tering", "tyfus", "t*fus", "klote", "klootzak", "godverdomme", "debiel",
             "mafkees", "trut", "fuck", "f*ck", "shit", "idiot", "moron", "m0r0n", "clown", "muppet", "hell",
             "damn", "prutser", "sukkel", "oprotten"]
MILD_OK = {"hell", "damn", "kanker"}
PRICE_ERROR_WORDS = ["prijsfout", "prijsföut", "prïjsfout", "price error", "error fare", "glitch", "fout",
                     "verkeerde prijs", "komma", "nul weggevallen", "conversion bug", "fat-finger", "import",
                     "prijsconfig"]


def norm(text):
    t = unicodedata.normalize("NFKC", text).translate(INVISIBLE)
    t = "".join(" " if unicodedata.category(ch) == "So" else ch for ch in t)
    return re.sub(r"\s+", " ", t).casefold()


def squash(text):
    """Also join single letters separated by single spaces ('d a t a' -> 'data')."""
    return re.sub(r"\b(\w) (?=\w\b)", r"\1", norm(text))


def found_ibans(text):
    out = []
    for m in IBAN_RE.finditer(text):
        compact = m.group(0).replace(" ", "")
        for end in range(len(compact), 11, -1):      # longest valid prefix
            if iban_ok(compact[:end]):
                out.append((compact[:end], True))
                break
        else:
            out.append((compact, False))
    return out


def found_numbers(text):
    return [re.sub(r"\D", "", m.group(0)) for m in DIGITS_RE.finditer(IBAN_RE.sub(" ", text))]


def found_bsn_shapes(text):
    t = IBAN_RE.sub(" ", text)
    out = re.findall(r"(?<![\w.,-])\d{8,9}(?![\w]|[.,-]\d)", t)
    out += [m.replace(".", "") for m in re.findall(r"(?<![\w.])\d{4}\.\d{2}\.\d{3}(?![\w])", t)]
    out += [m.replace(" ", "") for m in re.findall(r"(?<![\d ])\d{3} \d{3} \d{3}(?![\d])", t)]
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


def phones_in(text):
    """Dutch phone numbers normalised to national digits ('0...')."""
    out = []
    for m in NL_PHONE_RE.finditer(IBAN_RE.sub(" ", text)):
        raw = m.group(0)
        d = re.sub(r"\D", "", raw)
        if raw.startswith("+31"):
            d = d[2:]
        elif raw.startswith("0031"):
            d = d[4:]
        if not d.startswith("0"):
            d = "0" + d
        d = re.sub(r"^00", "0", d)                     # +31 (0)6 ...
        out.append((raw, d))
    return out


AMOUNT_RE = re.compile(r"(?:€\s?|EUR\s?)(\d[\d.,]*)(?:,-)?|(\d[\d.,]*)(?:,-)?\s?(?:euro|euros|eur)\b", re.I)


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
    t = norm(text)
    mentioned = [p for p in products if any(a.casefold() in t for a in [p["name"]] + p["aliases"])]
    amounts = [parse_amount(m.group(1) or m.group(2)) for m in AMOUNT_RE.finditer(t)]
    if not mentioned or not amounts:
        return None
    return min(amounts) / min(p["list_price"] for p in mentioned)


def shingles(text, n=3):
    w = re.findall(r"\w+", norm(text))
    return {tuple(w[i:i + n]) for i in range(max(0, len(w) - n + 1))}


def dev_texts():
    """Texts of the development set generator (only to prove we did not reuse its wording)."""
    path = Path("/work/shared/eval/make_dev.py")
    if not path.exists():
        return None
    import importlib.util
    spec = importlib.util.spec_from_file_location("_pw_make_dev", path)
    mod = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(mod)
    except Exception:                                     # pragma: no cover
        return None
    return [c["text"] for c in getattr(mod, "CASES", [])]


def check(lines, rows, profile):
    errors, notes = [], []
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_ibans = {i.replace(" ", "") for i in profile["public_identifiers"]["ibans"]}
    own_phones = set()
    for ph in profile["public_identifiers"]["phones"]:
        got = phones_in(ph)
        own_phones.add(got[0][1] if got else re.sub(r"\D", "", ph))
    embargo = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    codenames = [c.casefold() for c in profile["internal"]["codenames"]]
    internal_domains = [d.casefold() for d in profile["internal"]["domains"]]
    markers = [m.casefold() for m in profile["internal"]["markers"]]
    meta = {(r["post"]["platform"], r["post"]["id"]): r for r in rows}
    seen, parsed = set(), []

    for n, line in enumerate(lines, 1):
        where = f"line {n}"
        try:
            line.encode("utf-8")
            obj = json.loads(line)
        except (ValueError, UnicodeError) as e:
            errors.append(f"{where}: not JSON/UTF-8: {e}")
            continue
        if not isinstance(obj, dict) or set(obj) != {"post", "expect"}:
            errors.append(f"{where}: top-level keys must be post, expect")
            continue
        p, ex = obj["post"], obj["expect"]
        # --- CONTRACT section 1 ---------------------------------------------------
        if not isinstance(p, dict):
            errors.append(f"{where}: post is not an object")
            continue
        allowed = {"id", "platform", "kind", "account", "text", "lang", "created_at", "url", "brand"}
        if set(p) - allowed:
            errors.append(f"{where}: unexpected post fields {sorted(set(p) - allowed)}")
        bad = False
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                errors.append(f"{where}: post.{f} missing or not a string")
                bad = True
        acc = p.get("account")
        if not isinstance(acc, dict) or not isinstance(acc.get("handle"), str) or not acc["handle"]:
            errors.append(f"{where}: post.account.handle missing")
            bad = True
        if bad:
            continue
        for f in ("display_name", "id"):
            if f in acc and not isinstance(acc[f], str):
                errors.append(f"{where}: account.{f} not a string")
        if set(acc) - {"handle", "id", "display_name"}:
            errors.append(f"{where}: unexpected account fields")
        for f in ("kind", "lang", "url", "brand"):
            if f in p and not isinstance(p[f], str):
                errors.append(f"{where}: post.{f} not a string")
        if not 1 <= len(p["id"]) <= 256:
            errors.append(f"{where}: id length {len(p['id'])}")
        if p["platform"] not in PLATFORMS:
            notes.append(f"{where}: platform {p['platform']!r} is not a listed value (must be treated as other)")
        if p.get("kind", "post") not in KINDS:
            errors.append(f"{where}: kind {p.get('kind')!r}")
        if "lang" in p and not re.fullmatch(r"[a-z]{2}", p["lang"]):
            errors.append(f"{where}: lang {p['lang']!r} is not ISO 639-1")
        if not p["text"].strip():
            errors.append(f"{where}: empty text")
        if len(p["text"].encode("utf-8")) > 64 * 1024:
            errors.append(f"{where}: text over 64 KiB")
        if not RFC3339.match(p["created_at"]):
            errors.append(f"{where}: created_at not RFC 3339: {p['created_at']}")
            continue
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errors.append(f"{where}: created_at not in 2026")
        key = (p["platform"], p["id"])
        if key in seen:
            errors.append(f"{where}: duplicate id {key}")
        seen.add(key)
        # --- CONTRACT section 6 ---------------------------------------------------
        if not isinstance(ex, dict) or set(ex) != {"categories", "severity"}:
            errors.append(f"{where}: expect must have exactly categories and severity")
            continue
        cats, sev = ex["categories"], ex["severity"]
        if not isinstance(cats, list) or cats != sorted(set(cats)):
            errors.append(f"{where}: categories must be a sorted list without duplicates")
            continue
        if any(c not in TAXONOMY for c in cats):
            errors.append(f"{where}: unknown or stream-level category in {cats}")
            continue
        if sev not in SEVERITIES:
            errors.append(f"{where}: unknown severity {sev}")
            continue
        if not cats and sev != "none":
            errors.append(f"{where}: benign post with severity {sev}")
        role = role_of(profile, p["platform"], acc["handle"])
        text = p["text"]
        ids = valid_ids(text, own_ibans)
        want = severity_for(role, cats, "leak.pii" in cats and bool(ids))
        if sev != want:
            errors.append(f"{where} ({p['id']}): severity {sev}, policy says {want} (role {role})")
        r = meta.get(key)
        if r is None:
            errors.append(f"{where}: not produced by the generator")
            continue
        tags = r["tags"]
        parsed.append((n, p, cats, sev, role, r))

        # --- generated identifiers --------------------------------------------
        for kind, raw, shown in r["used"]:
            if shown not in text:
                errors.append(f"{where}: generated {kind} not in text")
            if kind.startswith("IBAN_") and not iban_ok(raw):
                errors.append(f"{where}: {kind} {raw} fails mod-97")
            if kind == "CARD" and not (luhn_ok(raw) and CARD_IIN.match(raw)):
                errors.append(f"{where}: card {raw} not Luhn-valid with a card IIN")
            if kind == "BSN" and not bsn_ok(raw):
                errors.append(f"{where}: BSN {raw} fails the 11-proof")
            if kind.startswith("BAD_IBAN") and iban_ok(raw):
                errors.append(f"{where}: look-alike IBAN {raw} passes mod-97")
            if kind == "BAD_CARD" and luhn_ok(raw):
                errors.append(f"{where}: look-alike card {raw} passes Luhn")
            if kind in ("NOT_BSN9", "NOT_BSN8") and (bsn_ok(raw) or luhn_ok(raw)):
                errors.append(f"{where}: look-alike number {raw} passes the 11-proof or Luhn")
            if kind == "GHP":
                body, crc = raw[4:34], raw[34:]
                if b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0") != crc:
                    errors.append(f"{where}: GitHub token CRC32 wrong")
            if kind in VALID_ID_KINDS and not cats:
                errors.append(f"{where}: checksum-valid {kind} in a benign post")
            if kind in BAD_ID_KINDS and cats:
                errors.append(f"{where}: look-alike {kind} used in a positive (keep them for hard negatives)")
        if any(k in VALID_ID_KINDS for k, _, _ in r["used"]) and not ids:
            errors.append(f"{where}: positive identifier not found by the independent scan")
        if ids and "leak.pii" not in cats:
            errors.append(f"{where}: checksum-valid identifier {ids} without leak.pii")

        # --- category sanity for positives -----------------------------------
        sq = squash(text)
        if "leak.secret" in cats:
            if not any(rx.search(text) for rx in SECRET_RES.values()) and not PASSWORD_WORDS.search(sq):
                errors.append(f"{where}: leak.secret without any secret pattern or password word")
        if "leak.pii" in cats:
            has = (ids or EMAIL_RE.search(text) or OBF_EMAIL_RE.search(text) or phones_in(text)
                   or INTL_PHONE_RE.search(text) or PASSPORT_RE.search(text)
                   or re.search(r"\b\d{4} ?[A-Z]{2}\b|geb(?:\.|oren)|\b\d{1,3}\s(?:in|,)\s[A-Z]|straat \d|weg \d", text))
            if not has:
                errors.append(f"{where}: leak.pii without a recognisable personal datum")
        if "leak.pricing" in cats:
            ratio = min_price_ratio(text, profile["products"])
            talk = any(w in sq for w in PRICE_ERROR_WORDS)
            if not (ratio is not None and ratio < profile["pricing"]["alert_below_ratio"]) and not talk:
                notes.append(f"{where}: leak.pricing relies on wording/normalisation only (tags {sorted(tags)})")
        if "evasion" in tags and not cats:
            errors.append(f"{where}: evasion tag on a benign post")

        # --- benign posts must be clean of everything a correct detector reports --
        if not cats:
            for v, ok in found_ibans(text):
                if ok and v not in own_ibans:
                    errors.append(f"{where}: benign post has a valid IBAN {v}")
            for d in found_numbers(text):
                if 13 <= len(d) <= 19 and luhn_ok(d):
                    errors.append(f"{where}: benign post has a Luhn-valid number {d}")
            for d in found_bsn_shapes(text):
                if bsn_ok(d) and not any(d == re.sub(r"\D", "", x)[-len(d):] for x in own_phones):
                    errors.append(f"{where}: benign post has an 11-proof-valid number {d}")
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_emails:
                    errors.append(f"{where}: benign post has e-mail {e}")
            for m in OBF_EMAIL_RE.finditer(text):
                e = f"{m.group(1)}@{m.group(2)}.{m.group(3)}".casefold()
                if e not in own_emails:
                    errors.append(f"{where}: benign post has obfuscated e-mail {e}")
            for raw, d in phones_in(text):
                if len(d) >= 9 and d not in own_phones:
                    errors.append(f"{where}: benign post has phone {raw}")
            for m in INTL_PHONE_RE.finditer(text):
                errors.append(f"{where}: benign post has international phone {m.group(0)}")
            if PASSPORT_RE.search(text) and "reference-number" not in tags:
                errors.append(f"{where}: benign post has a passport-shaped token")
            for name, rx in SECRET_RES.items():
                for m in rx.finditer(text):
                    if m.group(0) == "AKIAXXXXXXXXXXXXXXXX":
                        continue
                    errors.append(f"{where}: benign post has secret-like {name}: {m.group(0)[:16]}…")
            low = norm(text)
            for w in PROFANITY:
                if re.search(r"(?<!\w)" + re.escape(w), low):
                    if w in MILD_OK and "mild-word" in tags:
                        notes.append(f"{where}: benign post has mild word {w!r} (tagged mild-word)")
                    else:
                        errors.append(f"{where}: benign post has word {w!r}")
            ratio = min_price_ratio(text, profile["products"])
            if ratio is not None and ratio < profile["pricing"]["alert_below_ratio"]:
                if "price-context" in tags:
                    notes.append(f"{where}: benign, amount at {ratio:.2f} of list near a product, but not "
                                 f"the product's price (price-context)")
                else:
                    errors.append(f"{where}: benign post with a product price at {ratio:.2f} of list")
            if not (tags - {"plain", "wrong-lang-hint", "no-lang-hint", "case-handle"}):
                notes.append(f"{where}: benign post without a hard-negative tag")

        # --- internal terms and embargoes -------------------------------------
        nt = norm(text)
        for term, until in embargo:
            if term in nt or term in sq:
                if ts < until and "leak.confidential" not in cats:
                    errors.append(f"{where}: embargo term {term!r} before {until} without leak.confidential")
                if ts >= until and "leak.confidential" in cats:
                    errors.append(f"{where}: embargo term {term!r} after {until} labelled confidential")
        for term in codenames + internal_domains + markers:
            if re.search(r"(?<![\w.])" + re.escape(term) + r"(?!\w)", nt) or term in sq:
                if "leak.confidential" not in cats:
                    errors.append(f"{where}: internal term {term!r} without leak.confidential")

    # --- near duplicates inside the set and against the dev set ---------------
    sh = [(n, shingles(p["text"])) for n, p, *_ in parsed]
    for i in range(len(sh)):
        for j in range(i + 1, len(sh)):
            a, b = sh[i][1], sh[j][1]
            if a and b:
                jac = len(a & b) / len(a | b)
                if jac > 0.3:
                    (errors if jac > 0.5 else notes).append(f"lines {sh[i][0]} and {sh[j][0]}: trigram overlap {jac:.2f}")
    dev = dev_texts()
    if dev is None:
        notes.append("dev generator not available: wording-reuse check skipped")
    else:
        dev_sh = [shingles(PH.sub("X", t)) for t in dev]
        worst = 0.0
        for n, s in sh:
            for d in dev_sh:
                if s and d:
                    jac = len(s & d) / len(s | d)
                    worst = max(worst, jac)
                    if jac > 0.2:
                        errors.append(f"line {n}: wording overlaps a dev-set post (trigram Jaccard {jac:.2f})")
        notes.append(f"highest trigram overlap with any dev-set post: {worst:.2f}")
    return errors, notes, parsed


def coverage_errors(parsed):
    errors = []
    total = len(parsed)
    by_cat = Counter(c for *_, cats, _s, _r, _m in [(x[0], x[1], x[2], x[3], x[4], x[5]) for x in parsed] for c in cats)
    benign = sum(1 for x in parsed if not x[2])
    nl = sum(1 for x in parsed if x[5]["lang"] == "nl")
    evasion = sum(1 for x in parsed if "evasion" in x[5]["tags"])
    for c in TAXONOMY:
        need = {"reputation.complaint": 24, "leak.confidential": 18}.get(c, 12)
        if by_cat[c] < need:
            errors.append(f"coverage: {c} has {by_cat[c]} positives, want at least {need}")
    if not 0.25 <= benign / total <= 0.35:
        errors.append(f"coverage: benign share {benign / total:.2f} outside 0.25-0.35")
    if not 0.50 <= nl / total <= 0.60:
        errors.append(f"coverage: Dutch share {nl / total:.2f} outside 0.50-0.60")
    if not 12 <= evasion <= 20:
        errors.append(f"coverage: {evasion} evasion positives, want about 15")
    hard = sum(1 for x in parsed if not x[2] and x[5]["tags"] - {"plain", "wrong-lang-hint", "no-lang-hint"})
    if hard < 0.8 * benign:
        errors.append(f"coverage: only {hard} of {benign} benign posts are hard negatives")
    if not any(x[1]["platform"] not in PLATFORMS for x in parsed):
        errors.append("coverage: no post with an unknown platform")
    if not any("wrong-lang-hint" in x[5]["tags"] for x in parsed) or not any("lang" not in x[1] for x in parsed):
        errors.append("coverage: need posts with a wrong and with a missing lang hint")
    return errors


def report(parsed):
    total = len(parsed)
    by_cat, cat_lang, by_lang, by_role, by_sev, by_plat, by_kind, tag_c = (Counter() for _ in range(8))
    benign = multi = evasion = 0
    for n, p, cats, sev, role, r in parsed:
        lang = r["lang"]
        by_lang[lang] += 1
        by_role[role] += 1
        by_sev[sev] += 1
        by_plat[p["platform"]] += 1
        by_kind[p.get("kind", "(default post)")] += 1
        if not cats:
            benign += 1
            cat_lang[("(benign)", lang)] += 1
            by_cat["(benign)"] += 1
        multi += len(cats) > 1
        evasion += "evasion" in r["tags"]
        for c in cats:
            by_cat[c] += 1
            cat_lang[(c, lang)] += 1
        for t in r["tags"]:
            tag_c[t] += 1
    print(f"cases: {total}   benign: {benign}   positive: {total - benign}   multi-category: {multi}   "
          f"evasion positives: {evasion}")
    print("\nper category (posts)         total    nl    en")
    for c in TAXONOMY + ["(benign)"]:
        print(f"  {c:26s} {by_cat[c]:6d} {cat_lang[(c, 'nl')]:5d} {cat_lang[(c, 'en')]:5d}")
    print("\nper language:", ", ".join(f"{k} {v} ({100 * v / total:.0f}%)" for k, v in sorted(by_lang.items())))
    print("per account role:", dict(sorted(by_role.items())))
    print("per severity:", {s: by_sev[s] for s in SEVERITIES})
    print("per platform:", dict(by_plat.most_common()))
    print("per kind:", dict(by_kind.most_common()))
    print("lang hints: missing", sum(1 for x in parsed if "lang" not in x[1]),
          "wrong", sum(1 for x in parsed if "wrong-lang-hint" in x[5]["tags"]))
    print("tags:", dict(sorted(tag_c.items())))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="only validate the files on disk")
    ap.add_argument("--notes", action="store_true", help="also print informational notes")
    args = ap.parse_args()

    rows = build(PROFILE)
    lines = dump_lines(rows)
    prof_text = dump_profile()
    if dump_lines(build(PROFILE)) != lines:
        sys.exit("generator is not deterministic")
    if not args.check:
        PROFILE_OUT.write_text(prof_text, encoding="utf-8")
        OUT.write_text("".join(lines), encoding="utf-8")
        print(f"wrote {PROFILE_OUT} and {len(lines)} cases to {OUT}")

    # validate what is on disk, reading the profile back through YAML
    profile = yaml.safe_load(PROFILE_OUT.read_text(encoding="utf-8"))
    disk = OUT.read_text(encoding="utf-8").splitlines(keepends=True)
    errors, notes, parsed = check(disk, rows, profile)
    errors += coverage_errors(parsed)
    if disk != lines:
        errors.append("cases.jsonl differs from what make_cases.py generates")
    if PROFILE_OUT.read_text(encoding="utf-8") != prof_text:
        errors.append("profile.yaml differs from what make_cases.py generates")
    if profile != PROFILE:
        errors.append("profile.yaml does not round-trip through YAML")
    if not iban_ok(OWN_IBAN):
        errors.append("own IBAN in the profile fails mod-97")
    report(parsed)
    if args.notes:
        print("\nnotes:")
        for x in notes:
            print("  " + x)
    print(f"\n{len(errors)} error(s), {len(notes)} note(s)")
    for e in errors:
        print("  ERROR " + e)
    print("VALIDATION PASSED" if not errors else "VALIDATION FAILED")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
