#!/usr/bin/env python3
"""Sealed blind evaluation set 5 for postwatch: fictional e-bike maker "Stroomfiets B.V.".

    python3 make_cases.py            # write profile.yaml + cases.jsonl next to this file, then validate
    python3 make_cases.py --check    # only validate the files on disk against a fresh in-memory build
    python3 make_cases.py --notes    # also print informational notes

Python 3.11 standard library + PyYAML only. Deterministic (SEED): running it again
gives byte-identical files.

All post texts are hand-written below (CASES). Identifiers and secrets come from
placeholders such as <<IBAN_DE>> filled by one seeded RNG. Labelled positives get
checksum-VALID identifiers (IBAN mod-97, Luhn, BSN 11-proof); benign look-alikes get
identifiers that FAIL their checksum. Secrets are random and fake, only shaped like
real ones.

Severity is never typed by hand: severity_for() derives it from CONTRACT section 4
(account role looked up in the profile by platform:handle, case-insensitive; the
categories; and whether a checksum-validated identifier is present), following the
eval README's reading (insider PII without a checksummed identifier = error).
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

SEED = 51_20260317
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE_PATH = HERE / "profile.yaml"

TAXONOMY = [
    "leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
    "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse",
    "reputation.spike",
]
SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
KINDS = ["post", "reply", "repost", "comment", "message"]
PLATFORMS = ["x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube",
             "reddit", "mastodon", "bluesky", "threads", "forum", "blog", "other"]

ZW = "\u200b"    # zero-width space
SHY = "\u00ad"   # soft hyphen
ZWJ = "\u200d"   # zero-width joiner


def fw(s):
    """Full-width rendering of ASCII text."""
    out = []
    for ch in s:
        if ch == " ":
            out.append("\u3000")
        elif "!" <= ch <= "~":
            out.append(chr(ord(ch) - 0x21 + 0xFF01))
        else:
            out.append(ch)
    return "".join(out)


# ---------------------------------------------------------------------------
# the company profile (CONTRACT section 5)
# ---------------------------------------------------------------------------

PROFILE_YAML = """\
# Company profile for the sealed evaluation set 5 (tests/sealed5/cases.jsonl).
# A fictional Dutch e-bike maker with its own webshop, stores and repair/service network.
company: "Stroomfiets B.V."
brands: ["Stroomfiets", "Stroomfiets B.V.", "StroomShop", "Kade Cargo", "StroomAbo"]

accounts:
  # platform:handle, compared case-insensitively
  corporate:
    - "x:@stroomfiets"
    - "x:@stroomfiets_help"
    - "instagram:@stroomfiets.nl"
    - "linkedin:stroomfiets-bv"
    - "facebook:StroomfietsNL"
    - "tiktok:@stroomfiets"
    - "youtube:@StroomfietsOfficial"
  employee:
    - "x:@bramwerkplaats"                  # Bram Hoekstra, mechanic, service hub Zwolle
    - "linkedin:anouk-visser-stroomfiets"  # Anouk Visser, finance
    - "x:@devrobin_sf"                     # Robin Kok, backend developer
    - "instagram:@yara.rijdt"              # Yara Mulder, store Haarlem
    - "linkedin:dennis-oyelaran"           # Dennis Oyelaran, battery QA / supply chain
    - "reddit:u/eelco_sf"                  # Eelco, IT operations
    - "threads:@mees.stroom"               # Mees de Boer, marketing
    - "mastodon:@nadia@fietsen.social"     # Nadia Smit, firmware engineer

public_identifiers:
  emails: ["service@stroomfiets.nl", "pers@stroomfiets.nl", "werkenbij@stroomfiets.nl", "privacy@stroomfiets.nl"]
  phones: ["+31 30 799 4400", "0800-7876337"]
  ibans: ["NL55RABO0312457890"]
  domains: ["stroomfiets.nl", "www.stroomfiets.nl", "shop.stroomfiets.nl", "service.stroomfiets.nl", "stroomfiets.com"]

internal:
  domains: ["erp.stroomfiets.nl", "gitlab.stroomfiets.nl", "vpn.stroomfiets.nl", "sf-ops.internal"]
  codenames: ["Project Windkracht", "Operatie Dijkgraaf", "Kwelder"]
  markers: ["stroomfiets intern", "niet extern delen", "sf-confidential"]

embargo:
  - terms: ["Polder 8", "Polder8"]
    until: "2026-05-19T07:00:00Z"
  - terms: ["jaarcijfers 2026", "jaarresultaten 2026", "FY2026 results", "full-year 2026 results"]
    until: "2027-02-25T07:00:00Z"

products:
  - sku: "SF-PLD7"
    name: "Stroomfiets Polder 7"
    aliases: ["Polder 7", "Polder7", "Polder 7 e-bike"]
    list_price: 2799.00
    currency: EUR
  - sku: "SF-GTJS"
    name: "Stroomfiets Getij S speed pedelec"
    aliases: ["Getij S", "GetijS", "Getij-S"]
    list_price: 4899.00
    currency: EUR
  - sku: "SF-KADE2"
    name: "Kade Cargo 2 bakfiets"
    aliases: ["Kade Cargo 2", "Kade Cargo", "KadeCargo 2"]
    list_price: 5499.00
    currency: EUR
  - sku: "SF-ACC625"
    name: "Stroomfiets Accupack 625"
    aliases: ["Accupack 625", "Accupack625", "Accupack"]
    list_price: 749.00
    currency: EUR
  - sku: "SF-ABO"
    name: "StroomAbo e-bike subscription (per month)"
    aliases: ["StroomAbo", "Stroom Abo"]
    list_price: 89.00
    currency: EUR
  - sku: "SF-SPT"
    name: "Stroomfiets ServicePlan Totaal (per year)"
    aliases: ["ServicePlan Totaal", "Service Plan Totaal", "ServicePlan"]
    list_price: 179.00
    currency: EUR
  - sku: "SF-SLOT"
    name: "Stroomfiets SlimSlot smart lock"
    aliases: ["SlimSlot", "Slim Slot"]
    list_price: 129.00
    currency: EUR

pricing:
  alert_below_ratio: 0.5
"""

OWN_IBAN = "NL55RABO0312457890"


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------

def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def iban_make(country, bban):
    r = bban + country + "00"
    check = 98 - int("".join(str(int(c, 36)) for c in r)) % 97
    return f"{country}{check:02d}{bban}"


def luhn_ok(digits):
    digits = re.sub(r"\D", "", digits)
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
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


# ---------------------------------------------------------------------------
# seeded placeholder generators
# ---------------------------------------------------------------------------

ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
UPNUM = "ABCDEFGHIJKLMNPQRSTUVWXYZ0123456789"   # Dutch document numbers have no letter O


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Gen:
    """All placeholders draw from one seeded RNG, in CASES order."""

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

    # IBANs ---------------------------------------------------------------
    def iban_nl(self):
        bank = self.r.choice(["INGB", "ABNA", "RABO", "SNSB", "ASNB", "KNAB", "BUNQ", "TRIO"])
        while True:
            v = iban_make("NL", bank + self.digits(10, True))
            if v != OWN_IBAN:
                return v

    def iban_de(self):
        return iban_make("DE", self.r.choice(["50070010", "12030000", "37050198", "76026000"]) + self.digits(10))

    def iban_be(self):
        first10 = self.r.choice(["310", "063", "143", "737", "523"]) + self.digits(7)
        return iban_make("BE", f"{first10}{int(first10) % 97 or 97:02d}")

    def iban_gb(self):
        return iban_make("GB", self.r.choice(["BARC", "NWBK", "MIDL", "LOYD"]) + self.digits(14))

    def bad_iban(self, valid):
        kk = int(valid[2:4])
        for delta in (7, 19, 31, 44, 58):
            cand = f"{valid[:2]}{(kk + delta) % 100:02d}{valid[4:]}"
            if not iban_ok(cand):
                return cand
        raise AssertionError

    # cards ------------------------------------------------------------------
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
        return ("-" if fmt == "dash" else " ").join(parts)

    # BSN and look-alike numbers --------------------------------------------
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
            cand = next(body + d for d in "0123456789" if ean13_ok(body + d))
            if not luhn_ok(cand):
                return cand

    def passport(self):
        return self.chars("ABCDEFGHIJKLMNPQRSTUVWXYZ", 2) + self.chars(UPNUM, 6) + self.digits(1)

    def frame(self):
        return f"SF{self.r.choice(['24', '25', '26'])}-{self.chars('ABCDEFGHJKLMNPRSTUVWXYZ', 3)}-{self.digits(6)}"

    # phones ------------------------------------------------------------------
    def phone(self, fmt):
        m = self.r.choice("12345") + self.digits(7)   # the 8 digits after '06'
        area = self.r.choice(["10", "13", "20", "23", "24", "26", "35", "38", "40", "43", "50", "53", "58", "70", "72"])
        sub = self.r.choice("2345789") + self.digits(6)
        be = "4" + self.r.choice("6789") + self.digits(7)
        de = "1" + self.r.choice("567") + self.digits(8)
        return {
            "mob_dash": f"06-{m}",
            "mob_plain": f"06{m}",
            "mob_intl_sp": f"+31 6 {m[:4]} {m[4:]}",
            "mob_0031": f"0031 6 {m[:2]} {m[2:5]} {m[5:]}",
            "mob_pairs": f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}",
            "mob_paren": f"(06) {m[:4]}-{m[4:]}",
            "mob_intl0": f"+31 (0)6 {m}",
            "mob_intl_c": f"+316{m}",
            "mob_dots": f"06.{m[:2]}.{m[2:4]}.{m[4:6]}.{m[6:]}",
            "land_dash": f"0{area}-{sub}",
            "land_sp": f"0{area} {sub[:3]} {sub[3:5]} {sub[5:]}",
            "land_intl": f"+31 {area} {sub[:3]} {sub[3:]}",
            "be_mob": f"+32 {be[:3]} {be[3:5]} {be[5:7]} {be[7:]}",
            "de_mob": f"+49 {de[:3]} {de[3:]}",
        }[fmt]

    # secrets -------------------------------------------------------------
    def ghp(self):
        body = self.chars(ALNUM, 30)
        return "ghp_" + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def glpat(self):
        return "glpat-" + self.chars(ALNUM + "_-", 20)

    def aws_id(self):
        return "AKIA" + self.chars(B32, 16)

    def aws_secret(self):
        return self.chars(B64, 40)

    def mollie(self):
        return "live_" + self.chars(ALNUM, 30)

    def sendgrid(self):
        return "SG." + self.chars(B64URL, 22) + "." + self.chars(B64URL, 43)

    def shpat(self):
        return "shpat_" + self.chars("0123456789abcdef", 32)

    def gapi(self):
        return "AIzaSy" + self.chars(B64URL, 33)

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return (f"https://hooks.slack.com/services/T{self.chars(up, 8)}/"
                f"B{self.chars(up, 10)}/{self.chars(ALNUM, 24)}")

    def jwt(self):
        header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        iat = 1767225600 + self.r.randint(0, 300 * 86400)
        payload = {"sub": "rider_" + self.digits(7, True), "iss": "shop.stroomfiets.nl",
                   "scope": "fleet:read", "iat": iat, "exp": iat + 3600}
        body = b64url(json.dumps(payload, separators=(",", ":")).encode())
        return f"{header}.{body}.{self.chars(B64URL, 43)}"

    def pem_openssh(self):
        head = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
        lines = [head] + [self.chars(B64, 70) for _ in range(4)] + [self.chars(B64, 22) + "=="]
        return ("-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines)
                + "\n-----END OPENSSH PRIVATE KEY-----")

    def password(self):
        return (self.r.choice(string.ascii_uppercase) + self.chars(string.ascii_lowercase, 4)
                + self.r.choice("!#%&*?") + self.chars(string.digits, 3) + self.chars(ALNUM, 4))

    def hexs(self, n):
        return self.chars("0123456789abcdef", n)


VALID_ID_KINDS = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "IBAN_GB", "CARD", "BSN"}
BAD_ID_KINDS = {"BAD_IBAN_NL", "BAD_IBAN_DE", "BAD_CARD", "NOT_BSN9", "NOT_BSN8", "EAN13"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(gen, text):
    """Fill <<KIND:fmt>> placeholders; return (text, [(kind, raw, shown)])."""
    used = []

    def sub(m):
        kind, fmt = m.group(1), m.group(2) or ""
        if kind in ("IBAN_NL", "IBAN_DE", "IBAN_BE", "IBAN_GB"):
            raw = getattr(gen, kind.lower())()
            shown = gen.group4(raw) if fmt == "grp" else raw
        elif kind in ("BAD_IBAN_NL", "BAD_IBAN_DE"):
            raw = gen.bad_iban(gen.iban_nl() if kind.endswith("NL") else gen.iban_de())
            shown = gen.group4(raw) if fmt == "grp" else raw
        elif kind in ("CARD", "BAD_CARD"):
            brand, _, f = fmt.partition("_")
            raw = gen.card(brand) if kind == "CARD" else gen.bad_card(brand)
            shown = gen.fmt_card(raw, f or "sp")
        elif kind == "BSN":
            raw = gen.bsn()
            shown = {"dots": f"{raw[:4]}.{raw[4:6]}.{raw[6:]}",
                     "sp": f"{raw[:3]} {raw[3:6]} {raw[6:]}"}.get(fmt, raw)
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
        elif kind == "PASSPORT":
            shown = raw = gen.passport()
        elif kind == "FRAME":
            shown = raw = gen.frame()
        elif kind == "GHP":
            shown = raw = gen.ghp()
        elif kind == "GLPAT":
            shown = raw = gen.glpat()
        elif kind == "AWS_ID":
            shown = raw = gen.aws_id()
        elif kind == "AWS_SECRET":
            shown = raw = gen.aws_secret()
        elif kind == "MOLLIE":
            shown = raw = gen.mollie()
        elif kind == "SENDGRID":
            shown = raw = gen.sendgrid()
        elif kind == "SHPAT":
            shown = raw = gen.shpat()
        elif kind == "GAPI":
            shown = raw = gen.gapi()
        elif kind == "SLACK_HOOK":
            shown = raw = gen.slack_hook()
        elif kind == "JWT":
            shown = raw = gen.jwt()
        elif kind == "PEM_OPENSSH":
            shown = raw = gen.pem_openssh()
        elif kind == "PW":
            shown = raw = gen.password()
        elif kind == "HEX":
            shown = raw = gen.hexs(int(fmt))
        else:
            raise KeyError(kind)
        used.append((kind, raw, shown))
        return shown

    return PH.sub(sub, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

# corporate
SF_X = ("x", "@stroomfiets", "Stroomfiets")
SF_HELP = ("x", "@stroomfiets_help", "Stroomfiets Klantenservice")
SF_IG = ("instagram", "@stroomfiets.nl", "Stroomfiets")
SF_LI = ("linkedin", "stroomfiets-bv", "Stroomfiets B.V.")
SF_FB = ("facebook", "StroomfietsNL", "Stroomfiets")
SF_TT = ("tiktok", "@stroomfiets", "Stroomfiets")
SF_YT = ("youtube", "@StroomfietsOfficial", "Stroomfiets")
# employees
BH = ("x", "@bramwerkplaats", "Bram Hoekstra")
AV = ("linkedin", "anouk-visser-stroomfiets", "Anouk Visser")
RK = ("x", "@devrobin_sf", "Robin Kok")
YM = ("instagram", "@yara.rijdt", "Yara Mulder")
DO = ("linkedin", "dennis-oyelaran", "Dennis Oyelaran")
EL = ("reddit", "u/eelco_sf", "Eelco")
MS = ("threads", "@mees.stroom", "Mees de Boer")
NS = ("mastodon", "@nadia@fietsen.social", "Nadia Smit")


def pub(platform, handle, display_name=None):
    return (platform, handle, display_name)


CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    """One labelled case. hint overrides the lang field ('' = leave it out)."""
    platform, handle, dn = acct
    if handle_as is not None:
        handle = handle_as
    CASES.append(dict(lang=lang, platform=platform, handle=handle, display_name=dn, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


SECRET, PII, PRICING, CONF, FIN, SEC = ("leak.secret", "leak.pii", "leak.pricing",
                                        "leak.confidential", "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"
EV = "evasion"

# The hand-written cases live in cases_text() so that the module header stays readable.

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", RK, "anyone else getting 401s from the GitHub API in CI since this morning?? token is <<GHP>> "
     "and it definitely has repo scope. firmware pipeline is dead in the water 😩", [SECRET])
case("nl", RK, "@thijs_dev die token voor de build-runner is <<GLPAT>> (scope api, verloopt pas in december). "
     "Niet in de wiki zetten aub, vorige keer stond ie daar een half jaar", [SECRET], kind="reply")
case("en", EL, "boto3 keeps throwing SignatureDoesNotMatch and I'm losing my mind. config (yes yes, I'll rotate after):\n\n"
     "[default]\naws_access_key_id = <<AWS_ID>>\naws_secret_access_key = <<AWS_SECRET>>\nregion = eu-west-1\n\n"
     "bucket holds the ride telemetry from our bikes, nothing fancy", [SECRET])
case("nl", NS, "Mollie checkout geeft steeds 'invalid API key' terwijl dit gewoon de live key uit het dashboard is: "
     "<<MOLLIE>> 🤔 iemand die dit herkent?", [SECRET])
case("nl", SF_TT, "Kijkje achter de schermen bij onze monteurs 🔧⚡ Fun fact: het inlog van de diagnoselaptop hangt "
     "gewoon op het whiteboard haha (gebruiker: werkplaats, ww: <<PW>>) #stroomfiets #ebike #werkplaats", [SECRET])
case("en", NS, "oops, wrong clipboard. ignore this 🙃\n<<PEM_OPENSSH>>", [SECRET], kind="reply")
case("en", EL, "Filing this with the fleet-API vendor but maybe someone here knows: their endpoint rejects our bearer with "
     "'exp claim invalid' even though exp is an hour out. Sample token: <<JWT>>", [SECRET], kind="comment")
case("en", pub("x", "@jorien_appsec", "Jorien | appsec"),
     "Found a SendGrid key in a public GitHub repo called stroomfiets-mailer: <<SENDGRID>> . "
     "Someone at @stroomfiets should rotate it today.", [SECRET])
case("nl", YM, "Personeels-wifi in de winkel is eindelijk snel 🙌 netwerk SF-Staff, wachtwoord <<PW>> "
     "(niet doorvertellen aan de klanten hè 😂)", [SECRET])
case("en", RK, "store locator blew through its google maps quota again 🙄 key is <<GAPI>> if anyone at google "
     "support happens to read this", [SECRET])
case("nl", EL, "Onze voorraad-sync draait met deze string en dat werkt gewoon: "
     "postgresql://sf_sync:<<PW>>@db01.erp.stroomfiets.nl:5432/voorraad — waarom krijgt pgbouncer dan "
     "timeouts?", [SECRET, CONF], kind="comment")
case("nl", pub("facebook", "Kees Brouwer", "Kees Brouwer"),
     "Lachwekkend. Ben al een half jaar weg bij Stroomfiets maar het dealerportaal slikt nog steeds mijn oude "
     "login. gebruiker k.brouwer / wachtwoord <<PW>>. Security op z'n best.", [SECRET])
case("en", MS, "new storefront app finally approved 🥳 admin API token: <<SHPAT>> …ok that was meant for the "
     "dev channel, not for here. deleting in a sec", [SECRET])
case("nl", RK, "w@chtw00rd van de staging-db was toch <<PW>>? ik krijg steeds access denied, wie heeft 'm "
     "veranderd 😤", [SECRET], tags=[EV])
case("en", EL, "our deploy bot posts to <<SLACK_HOOK>> — for some reason messages arrive twice. retry logic or "
     "slack being slack?", [SECRET])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", BH, "Klant wil z'n aanbetaling terug en heeft het rekeningnummer op het werkbriefje gekrabbeld: "
     "<<IBAN_NL:grp>> t.n.v. H. Bosma. Wie van finance pakt dit op?", [PII])
case("en", YM, "Customer literally handed me a sticky note with his card number 'to save for next time' 💀 "
     "<<CARD:visa_sp>> exp 08/28. No sir. Shredded. (after this pic obviously)", [PII], handle_as="@Yara.Rijdt")
case("nl", AV, "Voor de bijtelling van de leasefiets hebben we het BSN van collega R. Koster nodig — klopt dit: "
     "<<BSN:dots>>? Dan zet ik het door naar de salarisadministratie.", [PII])
case("nl", SF_HELP, "@marloes_fietst Sorry voor het wachten! Onze monteur belt je morgen tussen 9 en 12 op "
     "<<PHONE:mob_dash>>, klopt dat nummer nog?", [PII], kind="reply")
case("en", SF_FB, "Hi Peter! We've re-sent the replacement charger to Peter van Dam, Berkenlaan 27, 3818 KJ "
     "Amersfoort — could you confirm via pvdam71@ziggo.nl that the address is right?", [PII], kind="comment")
case("nl", pub("facebook", "Sandra Mertens", "Sandra Mertens"),
     "Stroomfiets, al 6 weken wacht ik op de terugbetaling van €749 voor de accu die ik retour heb gestuurd. "
     "Voor de DERDE keer: mijn rekening is <<IBAN_DE>> (Duitse bank, ja). Schiet eens op.", [PII, COMPLAINT])
case("en", pub("reddit", "u/waffle_pedaler", None),
     "Stroomfiets support keeps saying they 'can't find my IBAN'. Fine, here it is for the whole internet: "
     "<<IBAN_BE:grp>>. Refund for a cancelled Getij S order, 4 weeks and counting.", [PII, COMPLAINT])
case("en", pub("x", "@harriet_in_utrecht", "Harriet"),
     "@Stroomfiets_Help could you send the deposit refund to my UK account instead? <<IBAN_GB>> cheers!", [PII],
     kind="reply")
case("nl", BH, "Klant heeft z'n paspoort op de balie laten liggen bij het ophalen van de leasefiets. "
     "Paspoortnummer <<PASSPORT>>, naam S. El Idrissi. Ligt in de kluis in Zwolle.", [PII])
case("nl", YM, "Mevrouw de Graaf van de Zonnebloemstraat 8 in Heemstede staat wéér bij ons met een lekke band 😂 "
     "derde keer deze maand, ze krijgt zo een stempelkaart", [PII])
case("en", DO, "Happy 70th to our most loyal test rider Gerrit Veenstra, born 3 March 1956 and still doing "
     "60 km a week! 🎂🚲", [PII])
case("nl", pub("x", "@boos_in_deventer", None),
     "Die 'monteur' Wessel Jacobs van Stroomfiets Deventer die mijn trapas heeft verknald woont op Brinkstraat 41, "
     "ik weet je te vinden vriend 👀", [PII, ABUSE, COMPLAINT])
case("nl", RK, "klant kan niet inloggen, het mailadres in het systeem is a.vermeulen1987 [at] hotmail [punt] com. "
     "kan iemand met backoffice-rechten dat even resetten?", [PII], tags=[EV])
case("en", pub("reddit", "u/sprocket_sam", None),
     "Stroomfiets charged my card twice for the ServicePlan. Support ghosting me for 10 days. Card is "
     "<<CARD:mc2_sp>>, both charges €179 on the same day. How do I get this back??", [PII, COMPLAINT])
case("nl", pub("instagram", "@fenna.rijdt.snel", "Fenna"),
     "Checklist leasefiets via de zaak: loonstrook ✔️ ID ✔️ BSN <<BSN:dots>> ✔️ morgen de Getij S ophalen!! 🚴‍♀️💨",
     [PII])
case("nl", SF_HELP, "@henkfietst We hebben uw zoon teruggebeld op <<PHONE:land_sp>> maar kregen geen gehoor. "
     "We hebben hem ook gemaild op j.terpstra@kpnmail.nl.", [PII], kind="reply", handle_as="@StroomFiets_Help")
case("en", MS, "Shoutout to our Antwerp ambassador Lien Claes 💛 want a test ride? just text her on "
     "<<PHONE:be_mob>> and she'll sort you out", [PII])
case("en", pub("x", "@kai_rides_bxl", "Kai"),
     "@stroomfiets_help my BSN is <<BSN:sp>> for the employer bike scheme form, it keeps saying invalid?? it's "
     "not, checked twice", [PII, COMPLAINT], kind="reply")

# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", YM, "Collega's, kijk even naar de webshop 👀 Polder 7 staat voor €279,- ipv €2.799,-. "
     "Ik zeg niks 🤐", [PRICING])
case("en", RK, "who pushed the price feed?? Getij S is live at €489.90 on stroomfiets.com. rolling back, "
     "give me 10 min", [PRICING])
case("nl", BH, "Meneer aan de balie wil de Kade Cargo 2 voor 549 euro afrekenen want 'zo staat ie op jullie site'. "
     "Komma-foutje, sorry meneer 🙃", [PRICING], kind="reply")
case("nl", MS, "p r i j s f o u t alert: SlimSlot staat in de app voor €1,29 🙈 en nee, marketing heeft het niet "
     "gedaan", [PRICING], tags=[EV])
case("nl", pub("x", "@rikkert_zzp", "Rikkert"),
     "Ehm @stroomfiets het Accupack 625 staat op jullie site voor €74,90?? Heb er meteen twee besteld 😏", [PRICING])
case("en", pub("reddit", "u/dutchdeals_bot_not", None),
     "PSA: the Stroomfiets Polder 7 is listed at €27.99 on their Belgian webshop right now. Obviously a mistake "
     "but maybe they honour it?", [PRICING])
case("nl", pub("forum", "koopjesjager77", None),
     "Is dit een prijsfout of zo? ServicePlan Totaal voor €1,79 per jaar. Lijkt me sterk maar ik heb 'm besteld",
     [PRICING])
case("nl", pub("facebook", "Mo Aydin", "Mo Aydin"),
     "Volgens mij zit er een prijsfout in de app: Getij S staat bij mij voor een fractie van de normale prijs. "
     "Wie durft te bestellen? 😅", [PRICING])
case("nl", SF_IG, "🔥 Voorjaarsdeal 🔥 De Kade Cargo 2 bakfiets nu voor maar €549! Op = op. Link in bio 🚲👶",
     [PRICING], when="2026-04-08T11:00:00+02:00")
case("en", MS, "pricing glitch on StroomAbo: checkout shows €8.90/month instead of €89. flagged to the shop team "
     "already, pls nobody screenshot this 🙏", [PRICING])
case("en", pub("x", "@gadgetgrabber", None),
     "G3tij S for 489 euro?? gl1tch or did christmas come early @stroomfiets 👀", [PRICING], tags=[EV])
case("en", pub("reddit", "u/lowkey_cyclist", None),
     "Accupack 625 showing at EUR 7.49 in the cart for me too. Clearly a misprint but the order went through 🤷",
     [PRICING], kind="comment")
case("nl", BH, "Kassasysteem rekent de Polder 7 af voor 27,99 euro. Wie heeft de nieuwe prijslijst geüpload?? 🤦",
     [PRICING])
# ===========================================================================
# leak.confidential
# ===========================================================================
case("nl", DO, "Vandaag de eerste testrit gemaakt met het Project Windkracht-prototype. Die nieuwe middenmotor "
     "trekt als een beest 🚀 Meer mag ik er nog niet over zeggen!", [CONF])
case("en", NS, "Long day flashing boards for Project\nWindkracht. The 48V system is finally stable. Can't say "
     "more 🤫", [CONF], tags=[EV])
case("en", MS, "big things coming with Operatie 🌊 Dijkgraaf, comms plan is ready, just waiting for legal 👀",
     [CONF], tags=[EV])
case("nl", DO, "Bezoek aan de celfabriek in Zuid-Korea voor Kwelder afgerond. De nieuwe cellen halen zo'n 20% meer "
     "capaciteit. Stay tuned 🔋", [CONF])
case("en", pub("reddit", "u/cellchemistry", None),
     "Supplier contact told me Stroomfiets is switching battery cells under the codename Kwelder, launch late 2027. "
     "Grain of salt and all that.", [CONF])
case("en", NS, "MR is up: https://gitlab.stroomfiets.nl/firmware/slimslot-ble/-/merge_requests/212 reviewers "
     "welcome", [CONF])
case("en", EL, "We solved the split-tunnel issue by pushing a route for vpn.stroomfiets.nl only, everything else "
     "goes direct. Works fine with WireGuard.", [CONF], kind="comment")
case("en", EL, "Our dashboards at grafana.sf-ops.internal show the exact same latency spike every night at 02:00. "
     "Cron? Backups? Ghosts?", [CONF])
case("nl", YM, "Sneak peek van de najaarsplanning 👀 ja er staat 'niet extern delen' op de eerste pagina, maar "
     "die kleuren zijn gewoon té mooi 😍", [CONF])
case("en", DO, "[SF-CONFIDENTIAL] Battery supplier scorecard for Q2. Sharing with the wider QA community for "
     "feedback on the format, not the numbers 😉", [CONF], kind="repost")
case("nl", BH, "Nieuwe werkinstructie voor de achterrem van de Getij S binnen, bovenaan staat "
     "'n i e t  e x t e r n  d e l e n' dus hier alleen de kern: de remklauw moet 2 mm verder naar buiten.",
     [CONF], tags=[EV])
case("nl", DO, "Laatste duurtest van de Polder 8 zit erop: 10.000 km op de rollenbank zonder één storing 💪",
     [CONF], when="2026-04-02T10:12:31+02:00")
case("nl", pub("facebook", "Fietsplezier Meppel", "Fietsplezier Meppel"),
     "Wij krijgen als dealer volgende week al een Polder 8 demofiets binnen! Wie wil er als eerste een proefrit "
     "maken? 🚲", [CONF], when="2026-05-11T16:40:00+02:00")
case("en", MS, "one minute to go… the Polder8 is almost here 🚲⚡", [CONF], when="2026-05-19T08:59:00+02:00")
case("nl", AV, "De jaarcijfers 2026 worden beter dan de prognose, dat kan ik alvast wel verklappen 😉",
     [CONF, FIN], when="2026-12-11T16:20:03+01:00")
case("en", EL, "Can't share numbers, but the FY2026 results are going to surprise people in a good way. Finance "
     "floor is buzzing.", [CONF, FIN], kind="comment")
case("nl", pub("x", "@treinspotter_ams", None),
     "Lekker dan: iemand heeft een stapel papier met 'Stroomfiets intern' in de voettekst laten liggen in de "
     "intercity naar Zwolle. 'Winkelstrategie 2027' staat erop 😬", [CONF])
case("en", RK, "deploying to " + fw("erp.stroomfiets.nl") + " tonight, expect a blip around 23:00", [CONF],
     tags=[EV])

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", AV, "Voorlopige Q3: omzet €41,2 mln, 9% onder budget. De officiële cijfers komen pas in november, "
     "maar ik wilde het team alvast bedanken voor de inzet 💪", [FIN], when="2026-10-09T17:45:12+02:00")
case("en", DO, "Internal forecast got revised this morning: we now expect roughly 18% fewer cargo bike sales this "
     "year. Rough news for the supply team.", [FIN])
case("nl", AV, "Operatie Dijkgraaf = de overname van Fietsgroep Noord, tekenen eind deze maand. Spannend!",
     [CONF, FIN])
case("nl", BH, "Net gehoord dat in Zwolle 30 fte van de werkplaats eruit gaan na de zomer. Niemand heeft het nog "
     "officieel gehoord. Fijne vrijdag 🙃", [FIN], when="2026-03-06T16:58:40+01:00")
case("nl", pub("x", "@yara.rijdt", "Yara"),
     "Gerucht op de afdeling: 8 van de 24 winkels gaan in het voorjaar dicht. Haarlem blijft (denk ik). "
     "Ik ben er kapot van", [FIN])
case("nl", pub("x", "@ron_belegt", "Ron"),
     "Zwager werkt op het hoofdkantoor van Stroomfiets. Volgens hem worden ze volgend jaar overgenomen door een "
     "Duits concern, deal is rond 🤫", [FIN])
case("en", pub("reddit", "u/anon_cfo_friend", None),
     "friend in their finance team says Stroomfiets is in talks with the banks about breaching covenants. not "
     "public yet so take it with a grain of salt", [FIN], kind="comment")
case("nl", RK, "Morgen om 10u all-hands over de reor" + ZW + "gani" + ZW + "satie. IT wordt samengevoegd met die "
     "van de nieuwe eigenaar, volgens mijn teamlead gaan er 12 man uit", [FIN], tags=[EV])
case("en", MS, "bonus pool is getting cut because H2 EBITDA is going negative. nobody outside knows yet so keep "
     "it quiet lol", [FIN])
case("en", DO, "Before it's officially announced: we're closing our Belgian subsidiary by Q1. Proud of what the "
     "Antwerp team built. ❤️", [FIN])
case("nl", pub("telegram", "@beurs_insider_nl", "Beurs Insider"),
     "Insider tip: Stroomfiets haalt in H1 minder dan de helft van de geplande omzet, die obligaties worden "
     "straks interessant 📉", [FIN])
case("nl", EL, "Ik zou nu echt niet solliciteren bij ons op IT, na de overname worden er 12 mensen ont" + SHY +
     "slagen. Weet ik uit de eerste hand.", [FIN], kind="comment", tags=[EV])

# ===========================================================================
# leak.security
# ===========================================================================
case("nl", EL, "Kleine heads-up uit de IT-kelder: sinds vrijdag hebben we een datalek in de klantendatabase, "
     "zo'n 40k records. Persbericht komt pas als legal klaar is, dus ssst", [SEC])
case("en", RK, "fun fact: our bike-tracking API returns any rider's last GPS location if you bump the id by one. "
     "ticket's been open 3 weeks, no fix in sight 🙃", [SEC])
case("en", EL, "ERP got hit by ransomware overnight. Stores are writing receipts by hand. Management wants zero "
     "chatter until Monday.", [SEC])
case("en", NS, "Confirmed today that the SlimSlot opens if you replay a captured BLE packet. Patch is months out. "
     "Not my call to keep quiet about it, but here we are.", [SEC])
case("nl", RK, "webshop ligt er al sinds 6 uur vanochtend uit en we mogen van comms nog niks zeggen 🤐 "
     "betalingen komen gewoon niet door", [SEC])
case("en", AV, "Phishing got through to finance last week: two mailboxes compromised and invoices were read. "
     "Still under internal investigation, so not much more I can say.", [SEC])
case("nl", BH, "Mag eigenlijk niks zeggen maar er is een d a t a l e k bij de werkplaatsplanning, klantadressen "
     "lagen gewoon open 😬", [SEC], tags=[EV])
case("nl", MS, "Ons nieuwsbriefplatform is geh@ckt, alle mailadressen buitgemaakt. Officieel heet het nog "
     "'gepland onderhoud' 😶", [SEC], tags=[EV])
case("nl", pub("x", "@privacy_petra", "Petra"),
     "Stroomfiets verzwijgt een datalek! Mijn mailadres en bestelling staan op een darkweb-forum en zij zeggen "
     "'niks aan de hand'. #datalek", [SEC, CRISIS])
case("en", pub("reddit", "u/not_a_phish", None),
     "They're covering up a breach. I got a phishing mail quoting my exact Stroomfiets order number and frame "
     "size. Support denies everything.", [SEC, CRISIS])
case("nl", pub("facebook", "Jeroen Wijnands", "Jeroen Wijnands"),
     "Een vriend die bij Stroomfiets werkt zegt dat het lek in de SlimSlot-app al maanden bekend is en gewoon "
     "stil wordt gehouden. Fijn voor alle fietsendieven 👍", [SEC, CRISIS])
case("en", EL, "Our dealer portal had a SQL injection hole for three weeks. Logs show someone dumped the whole "
     "dealer table. Not disclosed yet.", [SEC])
case("en", RK, "payment provider cert expired at 04:00, checkout has been failing for every single customer since. "
     "comms says 'wait'. so we wait.", [SEC])
case("nl", NS, "Vannacht is de lock-cloud gecompromitteerd, alle SlimSlot-codes worden in stilte gereset. Klanten "
     "krijgen gewoon 'een update-melding'.", [SEC])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("facebook", "Marieke Lubbers", "Marieke Lubbers"),
     "Vannacht vloog de accu van mijn Polder 7 in brand in de schuur. Brandweer erbij, schuur afgebrand, fiets "
     "8 maanden oud. Stroomfiets reageert met een standaardmailtje. Ik ben woest.", [CRISIS, COMPLAINT])
case("nl", pub("x", "@utrecht_oost_nieuws", None),
     "Flat in Utrecht-Oost ontruimd nadat de e-bike-accu van een bewoner ontplofte. Een Stroomfiets, zeggen "
     "buren. Hoeveel van die dingen moeten er nog afgaan?", [CRISIS])
case("en", pub("reddit", "u/collarbone_club", None),
     "Front fork on my Getij S snapped at 38 km/h. Broken collarbone, three weeks off work. Stroomfiets wants "
     "'photos and a police report' before they'll even talk to me.", [CRISIS, COMPLAINT])
case("en", pub("x", "@fairtrade_fietser", None),
     "Cobalt mined by kids in their batteries and they still run ads about a 'green future'. Boycott Stroomfiets "
     "until they come clean.", [CRISIS])
case("nl", pub("blog", "fietsrecht.example", "Stichting Fietsrecht"),
     "Stichting Fietsrecht start een collectieve rechtszaak tegen Stroomfiets vanwege falende schijfremmen op de "
     "Getij S. Gedupeerden kunnen zich via onze site aanmelden.", [CRISIS])
case("nl", pub("x", "@spamvrij_svp", None),
     "Stroomfiets heeft gewoon mijn gegevens gelekt. Sinds ik daar een fiets kocht krijg ik elke dag spam met "
     "mijn naam en adres erin. Schandalig.", [CRISIS])
case("en", pub("tiktok", "@just_rolling_nl", "rolling"),
     "Watch the Stroomfiets store staff laugh at a man in a wheelchair asking about an adapted trike. 2M views "
     "and counting. Disgusting. #stroomfiets #boycott", [CRISIS])
case("en", pub("x", "@bakfiets_mama", None),
     "Why is there STILL no recall for the Kade Cargo 2 steering rod? Three snapped rods in our parents' group "
     "chat alone. Someone's kid is going to get hurt.", [CRISIS])
case("nl", pub("x", "@vakbondsvrouw", None),
     "B0YC0TT Str00mfiets!! Ze ontslaan monteurs die een vakbond willen oprichten 🤬 deel dit", [CRISIS], tags=[EV])
case("nl", pub("instagram", "@drie.kids.een.bakfiets", None),
     "Mijn Stroomfiets-áccu vloog in bránd tijdens het laden in de gang. Kinderen sliepen boven. Nooit meer.",
     [CRISIS, COMPLAINT], tags=[EV])
case("nl", pub("x", "@nieuwsjunk", None),
     "RT @nieuwsflits: FIOD doet inval bij hoofdkantoor Stroomfiets in verband met mogelijke btw-fraude",
     [CRISIS], kind="repost")
case("nl", pub("facebook", "Linda van Os", "Linda van Os"),
     "Onze Kade Cargo 2 kantelde in de bocht met twee kinderen erin, de remmen reageerden gewoon niet. Gelukkig "
     "alleen schaafwonden. Stroomfiets noemt het 'een gebruikersfout'.", [CRISIS, COMPLAINT])
case("en", pub("youtube", "@gearhead_gijs", "Gijs"),
     "Got a proper electric shock from the Stroomfiets charger the first time I plugged it in, the casing was "
     "cracked out of the box. Sent them a video, radio silence.", [CRISIS, COMPLAINT], kind="comment")

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@mirjam_fietst", "Mirjam"),
     "Fiets staat nu 5 weken bij het Stroomfiets-servicepunt voor een 'simpele' motorcheck. Elke keer 'volgende "
     "week'. Ik rijd al een maand op de oude barrel van m'n oma", [COMPLAINT])
case("en", pub("x", "@tom_commutes", "Tom"),
     "Ordered a Polder 7 on the 2nd, promised 'within 5 working days'. It's the 24th. Tracking hasn't moved in a "
     "week. @stroomfiets??", [COMPLAINT], when="2026-03-24T08:31:27+01:00")
case("en", pub("reddit", "u/refund_when", None),
     "Returned my Accupack in March, Stroomfiets confirmed they received it. Still no refund in May. Anyone had "
     "luck escalating?", [COMPLAINT], when="2026-05-21T20:14:09Z")
case("nl", pub("x", "@regen_in_leiden", None),
     "SlimSlot-app zegt 'verbonden' maar het slot gaat niet open. Sta nu 20 minuten in de regen voor de Albert "
     "Heijn. Top product 👏👏", [COMPLAINT], kind="reply")
case("en", pub("bluesky", "kimvd.bsky.social", "Kim"),
     "the stroomfiets app crashes every time I open ride history. reinstalled twice. pls fix", [COMPLAINT])
case("nl", pub("forum", "trapper_twente", None),
     "Mijn Getij S maakt sinds 800 km een ratelend geluid uit de middenmotor. Dealer zegt 'normaal'. Is het niet.",
     [COMPLAINT])
case("en", pub("x", "@range_anxiety_rob", None),
     "Advertised 120 km range on the Polder 7. I get 55 on eco, flat roads, 70 kg rider. Feels like false "
     "advertising tbh", [COMPLAINT])
case("nl", pub("other", "Reviewer 4471", None),
     "Medewerker in de winkel in Amersfoort was echt onbeschoft, rolde met z'n ogen toen ik naar de garantie "
     "vroeg. Voelde me totaal niet welkom.", [COMPLAINT])
case("en", pub("reddit", "u/cancelled_means_cancelled", None),
     "Cancelled my StroomAbo in January and they've billed me three more months since. Every call ends with "
     "'we'll escalate it'.", [COMPLAINT])
case("nl", pub("facebook", "Gerda Hofman", "Gerda Hofman"),
     "ServicePlan Totaal afgesloten 'voor alle zorgen'. Kapotte versnellingskabel valt er niet onder want "
     "'slijtage'. Waar betaal ik dan voor?", [COMPLAINT])
case("en", pub("instagram", "@the.cargo.dad", None),
     "Kade Cargo 2 arrived with a crushed box and a scratched frame. Courier says not their problem, Stroomfiets "
     "says it's the courier's problem. Great.", [COMPLAINT])
case("nl", pub("x", "@kritische_klant", None),
     "Stroomfiets: " + fw("WAT EEN AFZETTERIJ") + ". €89 voor een 'diagnose' die vijf minuten duurde.",
     [COMPLAINT], tags=[EV])
case("nl", pub("x", "@ongeduldige_jan", None),
     "Jullie zijn echt een stelletje prutsers. Fiets al 5 weken in reparatie en niemand weet waar hij staat.",
     [COMPLAINT, ABUSE])
case("en", pub("reddit", "u/chainbreaker3", None),
     "f*cking useless support from stroomfiets. third chain in 2 months and they want me to pay for it. "
     "bunch of cl0wns", [COMPLAINT, ABUSE], tags=[EV])
case("nl", pub("threads", "@buurtfietser", None),
     "Lekke band laten plakken bij Stroomfiets: €45 en drie dagen wachten. Bij de buurtfietsenmaker 12 euro en "
     "je wacht er gewoon bij.", [COMPLAINT])
case("en", pub("mastodon", "@wout@mstdn.example", "Wout"),
     "The Stroomfiets webshop refused my payment four times, then charged me for all four attempts. Now "
     "waiting on support for the refund. Fun Tuesday.", [COMPLAINT])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@woedend_020", None), "Stroomfiets is gewoon een kankerbedrijf vol oplichters. Zo.", [ABUSE])
case("en", pub("x", "@hot_take_harry", None),
     "The Stroomfiets CEO is a clown and every single one of his managers is a moron.", [ABUSE])
case("nl", pub("x", "@zwolsezwerver", None),
     "Als ik nog één keer zo'n reclame zie steek ik die winkel in Zwolle persoonlijk in de fik.", [ABUSE])
case("nl", pub("facebook", "Henk Zijlstra", "Henk Zijlstra"),
     "Die monteur en z'n hoofddoek-collega's snappen toch niks van fietsen, stuur ze lekker terug naar hun eigen "
     "land", [ABUSE], kind="comment")
case("en", pub("instagram", "@angrybiker_99", None), fw("STROOMFIETS STAFF ARE WORTHLESS SCUM"), [ABUSE],
     kind="comment", tags=[EV])
case("nl", SF_HELP, "@rickdekoning Als je alleen maar komt zeuren kun je je fiets beter bij een andere "
     "sukkelfabriek kopen. Fijne dag verder.", [ABUSE], kind="reply")
case("nl", BH, "@gertjan_1970 met zo'n debiele vraag hoef je ook niet bij de werkplaats aan te komen, echt niet",
     [ABUSE], kind="reply", handle_as="@BramWerkplaats")
case("en", MS, "customers like this guy are the reason I drink. absolute scum, hope he faceplants off his "
     "bike 🙃", [ABUSE], kind="reply")
case("en", pub("youtube", "@ex_klant", None), "hope your warehouse burns to the ground, pathetic losers",
     [ABUSE], kind="comment")
case("nl", pub("x", "@haarlem_hater", None),
     "die m0ng00l achter de balie in Haarlem moet je meteen buiten zetten @stroomfiets", [ABUSE], tags=[EV])
case("nl", pub("tiktok", "@tering_tijn", None), "tering bende daar, stelletje tyfuslijers", [ABUSE],
     kind="comment")
# ===========================================================================
# benign (hard negatives unless tagged otherwise)
# ===========================================================================
HN = "hard-negative"
# own published contact data, in several notations
case("nl", SF_HELP, "@fietsfanaat_023 Vervelend! Stuur je ordernummer even naar service@stroomfiets.nl of bel ons "
     "op 030-799 44 00 (ma–za 8–20 uur), dan zoeken we het samen uit.", kind="reply", tags=[HN, "own-contact"])
case("en", SF_X, "Questions about your order? Call +31 30 799 4400, toll-free 0800-7876337, or mail "
     "service@stroomfiets.nl. We're here Monday to Saturday.", tags=[HN, "own-contact"])
case("nl", SF_FB, "Zakelijke klanten: betaal facturen voortaan op NL55 RABO 0312 4578 90 t.n.v. Stroomfiets B.V. "
     "onder vermelding van het factuurnummer.", tags=[HN, "own-contact"])
case("nl", pub("x", "@slotloos_in_delft", None),
     "Tip voor wie vastloopt met de SlimSlot: gewoon bellen naar 0307994400, binnen twee minuten geholpen. Top!",
     tags=[HN, "own-contact", "praise"])
case("en", pub("reddit", "u/gdpr_nerd", None),
     "For press it's pers@stroomfiets.nl and for privacy requests privacy@stroomfiets.nl. Both answered me "
     "within a day, fwiw.", kind="comment", tags=[HN, "own-contact"])
case("nl", SF_LI, "Vacature: Fietstechnicus (32–40 uur) in onze servicehub in Zwolle 🔧 Solliciteer via "
     "werkenbij@stroomfiets.nl of kijk op www.stroomfiets.nl/werken-bij #vacature #ebike",
     tags=[HN, "own-contact", "job-ad"])
case("en", pub("x", "@expat_on_wheels", None),
     "If you're abroad their number is 0031 30 799 4400, worked fine for me from Valencia. Sorted in 5 min.",
     tags=[HN, "own-contact"])
# checksum-failing look-alikes, order/frame/serial numbers
case("nl", pub("facebook", "Bas Veenstra", "Bas Veenstra"),
     "De webshop zegt dat mijn IBAN ongeldig is: <<BAD_IBAN_NL:grp>>. Zal wel een typfout van mezelf zijn, "
     "morgen nog eens proberen.", tags=[HN, "bad-checksum"])
case("en", pub("x", "@daan_rides", None),
     "Card kept getting declined on stroomfiets.com… turns out I'd typed <<BAD_CARD:mc_sp>> instead of my "
     "actual number. Me = the problem 🤦", tags=[HN, "bad-checksum"])
case("nl", pub("forum", "nieuwe_polderrijder", None),
     "Waar vind ik het framenummer? Op mijn Polder 7 staat onder de trapas <<FRAME>> en op de accu een "
     "barcode <<EAN13>>. Welke moet ik invullen bij de registratie?", tags=[HN, "serial", "question"])
case("nl", pub("x", "@blij_met_bakfiets", None),
     "Bestelling <<NOT_BSN9>> vandaag binnen, netjes ingepakt en de bezorger legde alles rustig uit 👌",
     tags=[HN, "order-number", "praise"])
case("en", pub("reddit", "u/paranoid_buyer", None),
     "KvK number of Stroomfiets B.V. is <<NOT_BSN8>>, I checked before buying because I'm paranoid. Legit company.",
     kind="comment", tags=[HN, "bad-checksum"])
case("nl", pub("x", "@wachtopbezorger", None),
     "Track & trace 3SSTRM<<DIGITS:9>> stond twee dagen op 'aangemeld'… o wacht, hij is net onderweg 😄",
     tags=[HN, "tracking", "negated-complaint"])
case("nl", pub("facebook", "Eva Kuipers", "Eva Kuipers"),
     "Mijn klantnummer bij Stroomfiets is <<NOT_BSN9>>, waar vind ik mijn facturen terug in de app?",
     tags=[HN, "bad-checksum", "question"])
case("en", RK, "SlimSlot firmware 3.4.1 is out 🎉 (commit <<HEX:40>>). Changelog is on stroomfiets.nl/slimslot",
     tags=[HN, "git-sha"])
case("en", NS, "PSA for fellow embedded devs: never commit keys. Use placeholders like AKIAXXXXXXXXXXXXXXXX in "
     "your examples and fetch the real thing from a vault at runtime.", tags=[HN, "placeholder-secret"])
# normal prices, ordinary discounts, other price talk
case("nl", SF_IG, "Zomerdeal ☀️ Polder 7 nu €2.399 (was €2.799). Alleen t/m zondag, in al onze winkels en online.",
     tags=[HN, "sale-price"])
case("en", SF_X, "Accupack 625 now €599, that's 20% off the usual €749. Spare range for those long summer rides 🔋",
     tags=[HN, "sale-price"])
case("nl", pub("x", "@slotfan", None),
     "Net de SlimSlot gescoord voor €99 in de actie, €30 onder de normale prijs 🔒",
     tags=[HN, "sale-price", "price-context", "discount-amount"])
case("nl", pub("facebook", "Marktplaats-groep Zwolle", None),
     "Te koop: Stroomfiets Polder 7 uit 2023, 6.000 km, nieuwe ketting. Vraagprijs €1.150. Ophalen in Zwolle-Zuid.",
     tags=[HN, "price-context", "second-hand"])
case("en", pub("reddit", "u/lease_or_buy", None),
     "Is StroomAbo worth it? €79/month for a Polder 7 incl. servicing vs buying it outright for €2,799. Leaning "
     "towards the subscription.", tags=[HN, "price-context", "lease"])
case("nl", SF_FB, "Nu €500 inruilkorting op de Kade Cargo 2 als je je oude fiets meeneemt. Geldig t/m 31 oktober.",
     tags=[HN, "price-context", "discount-amount"])
case("nl", pub("x", "@vergelijker", None),
     "Spatbordset voor de Polder 7 kost €34,95 in de winkel, online €29,95. Kleine moeite om even te vergelijken.",
     tags=[HN, "price-context", "accessory"])
case("en", pub("x", "@budget_vs_quality", None),
     "Competitor's city e-bike is €1,299 and honestly it rides worse than my Polder 7. You get what you pay for.",
     tags=[HN, "price-context", "other-brand"])
case("nl", SF_HELP, "@ingridfietst Klopt! ServicePlan Totaal kan ook per maand: €14,95. Je kunt dan maandelijks "
     "opzeggen.", kind="reply", tags=[HN, "price-context", "monthly"])
case("nl", pub("x", "@dealhunter_nl", None),
     "Nee hoor, geen prijsfout: de Getij S is gewoon €200 goedkoper in de Black Friday-actie. Staat ook in hun "
     "nieuwsbrief.", kind="reply", when="2026-11-27T13:05:44+01:00", tags=[HN, "price-context", "denied-error"])
# embargo terms at or after the embargo moment
case("nl", SF_X, "Hij is er! De nieuwe Polder 8 staat vanaf nu in de webshop en in al onze winkels 🚲⚡",
     when="2026-05-19T07:00:00Z", tags=[HN, "after-embargo"])
case("en", pub("reddit", "u/testride_tess", None),
     "Test rode the Polder 8 today at the Haarlem store. Noticeably smoother than my 7. Very tempted!",
     when="2026-06-03T18:22:10+02:00", tags=[HN, "after-embargo"])
case("nl", pub("x", "@fietsvlogger_jesse", "Jesse"),
     "Mijn Polder8 review staat online! Link in bio 🎥", when="2026-05-19T09:00:00+02:00",
     tags=[HN, "after-embargo"])
# codename words in their everyday sense
case("nl", pub("x", "@afsluitdijk_anne", None),
     "Windkracht 7 tegen op de Afsluitdijk vandaag. Zonder ondersteuning was ik er nu nog 😅 #ebike",
     tags=[HN, "codename-word"])
case("nl", pub("facebook", "Waterschap-nieuws Vechtdal", None),
     "De dijkgraaf fietste vanochtend mee bij de opening van het nieuwe fietspad langs de Vecht. Mooi initiatief!",
     tags=[HN, "codename-word"])
# published results, incidents and layoffs at other companies
case("nl", SF_LI, "Vandaag publiceren wij onze jaarcijfers 2025: omzet €168 mln (+7%), 24 winkels en 61 "
     "servicepunten. Het volledige jaarverslag staat op stroomfiets.nl/investor.",
     when="2026-03-05T08:00:00+01:00", tags=[HN, "published-results"])
case("en", AV, "Our half-year numbers went public this morning. Proud of the team for a solid first half. "
     "Full report on the website.", when="2026-08-20T09:30:00+02:00", tags=[HN, "published-results"])
case("en", pub("x", "@ebike_industry_watch", None),
     "VeloNova just announced 200 layoffs and a recall of 12,000 batteries. Rough year for that brand.",
     tags=[HN, "other-company"])
case("nl", pub("x", "@techkritiek", None),
     "Weer een datalek bij een grote elektronica-webwinkel, 2 miljoen klantgegevens op straat. Gelukkig niet bij "
     "mijn fietsenboer.", tags=[HN, "other-company"])
case("en", pub("reddit", "u/charge_outside", None),
     "Fire at a scooter shop in Rotterdam last night, apparently a cheap no-name battery. Charge your stuff "
     "outside, people.", tags=[HN, "other-company"])
# negated complaints, mild words, quotes
case("nl", pub("x", "@getij_gert", None),
     "Geen klagen hoor: 4.000 km op de Getij S en nog geen enkel probleem. Alleen de banden een keer vervangen.",
     tags=[HN, "negated-complaint"])
case("en", pub("reddit", "u/warranty_win", None),
     "Not complaining at all: Stroomfiets fixed my motor under warranty in 3 days, loaner bike included.",
     kind="comment", tags=[HN, "negated-complaint"])
case("en", pub("x", "@quote_cyclist", None),
     "'Life is like riding a bicycle. To keep your balance you must keep moving.' Damn right. 40 km today on "
     "the Polder 7.", tags=[HN, "quote", "mild-word"])
case("en", pub("instagram", "@twee.in.de.bak", None),
     "Hell yes, first ride with both kids in the Kade Cargo 2. They screamed the whole way (happily) 😂",
     tags=[HN, "mild-word"])
case("nl", pub("x", "@samen_tegen_kanker", None),
     "Fietstocht voor KWF Kankerbestrijding: 200 deelnemers, veel op Stroomfietsen, 80 km door de Betuwe. "
     "Prachtige dag!", tags=[HN, "mild-word", "literal"])
# praise, neutral questions
case("en", pub("bluesky", "lotte.bsky.social", "Lotte"),
     "Shoutout to Stroomfiets support for replacing my SlimSlot, no questions asked. Rare these days.",
     tags=[HN, "praise"])
case("nl", pub("reddit", "u/oude_polder", None),
     "Weet iemand of het Accupack 625 ook op de oudere Polder 6 past? Staat nergens duidelijk op de site.",
     tags=[HN, "question"])
case("en", pub("x", "@fahrrad_felix", None),
     "@stroomfiets do you ship the Getij S to Germany? And is it registered as a speed pedelec there?",
     kind="reply", tags=[HN, "question"])
# official corporate notices
case("nl", SF_X, "Terugroepactie: bij een klein aantal Kade Cargo 2 bakfietsen (bouwjaar 2025, framenummers die "
     "beginnen met KC25-A) kan de stuurstang loskomen. Stop met rijden en maak een gratis afspraak via "
     "stroomfiets.nl/terugroep. Onze excuses.", tags=[HN, "official-notice"])
case("en", SF_X, "Scheduled maintenance: the app and webshop will be unavailable Sunday 02:00–04:00 CET. Your "
     "SlimSlot keeps working offline.", tags=[HN, "official-notice"])
case("nl", SF_HELP, "Storing opgelost ✅ Vanochtend konden sommige klanten niet afrekenen in de webshop. Alles "
     "werkt weer, excuses voor het ongemak.", tags=[HN, "official-notice"])
case("en", SF_LI, "Security notice: we've seen phishing mails pretending to be Stroomfiets. We will never ask for "
     "your password by e-mail. Forward suspicious mails to privacy@stroomfiets.nl.",
     tags=[HN, "official-notice", "own-contact"])
# job ads, ride photos, words in other senses
case("en", SF_LI, "We're hiring a Senior Backend Engineer (Kotlin, Postgres) for our Utrecht HQ. Hybrid, 32–40h, "
     "lease e-bike included 😉 Apply at stroomfiets.nl/careers", tags=[HN, "job-ad"])
case("nl", pub("instagram", "@zondagrijder", None),
     "Zondagrit langs de Lek 🌾 60 km en de accu staat nog op 40%. #polder7 #stroomfiets #fietsen",
     when="2026-06-21T19:48:00+02:00", tags=[HN, "ride-photo", "leak-word"])
case("nl", YM, "Nieuwe etalage in Haarlem staat! Kom langs voor een proefrit op de Polder 7 of de Getij S ☀️ "
     "#storelife", tags=[HN, "employee-benign"])
case("nl", BH, "Werkdag erop. 14 fietsen gefikst, 3 lekke banden, 1 krakende trapas. Trots op ons team in Zwolle 🔧",
     tags=[HN, "employee-benign", "leak-word"])
case("en", pub("x", "@mum_bike_mystery", None),
     "I can't recall which Stroomfiets model my mum has, it's blue and heavy lol. Anyone know?",
     tags=[HN, "recall-word", "question"])
case("nl", pub("facebook", "Dewi Prins", "Dewi Prins"),
     "Vandaag ontslag genomen bij mijn oude baan en dat gevierd met een rondje op de Polder 7 🥳",
     tags=[HN, "layoff-word"])
case("en", DO, "Great panel at the trade fair on battery safety standards. Proud that Stroomfiets helped draft "
     "the new charging guidance for apartment buildings.", tags=[HN, "employee-benign"])
case("nl", pub("x", "@brandweer_vrijwilliger", None),
     "Open dag bij de brandweerkazerne, half het dorp kwam op de e-bike. Ook een paar Kade Cargo's gespot 😄",
     tags=[HN, "fire-word"])


# ===========================================================================
# severity (CONTRACT section 4 + eval README interpretation)
# ===========================================================================

def role_of(profile, platform, handle):
    key = f"{platform}:{handle}".casefold()
    for role in ("corporate", "employee"):
        if key in {a.casefold() for a in profile["accounts"][role]}:
            return role
    return "public"


def severity_for(role, cats, pii_validated):
    """Least severity a correct verdict has. Highest single-finding severity wins.

    Insider (corporate/employee) leak.*: error; critical for leak.secret, leak.pricing and for
    leak.pii when a checksum-validated identifier (IBAN, card, BSN) is in the post.
    Public leak.*: warning. complaint: warning. crisis: error. abuse: warning (public) / error (insider).
    """
    insider = role in ("corporate", "employee")
    sev = "none"
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

def ams_offset(t_utc):
    start = dt.datetime(2026, 3, 29, 1, 0, tzinfo=dt.timezone.utc)
    end = dt.datetime(2026, 10, 25, 1, 0, tzinfo=dt.timezone.utc)
    return 2 if start <= t_utc < end else 1


def random_time(r):
    day = r.randint(6, 355)
    local_min = r.randint(6 * 60 + 30, 23 * 60 + 50)
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=day - 1)
    guess = base + dt.timedelta(minutes=local_min, seconds=r.randint(0, 59))
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
    snow = str(r.randint(1_900_000_000_000_000_000, 2_050_000_000_000_000_000))
    if platform in ("x", "twitter"):
        return f"x-{snow}", f"https://x.com/{h}/status/{snow}"
    if platform == "linkedin":
        act = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{act}", f"https://www.linkedin.com/feed/update/urn:li:activity:{act}/"
    if platform == "instagram":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"ig-{sc}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}_{b}", None
    if platform == "reddit":
        post = "".join(r.choice(B36) for _ in range(7))
        sub = r.choice(["thenetherlands", "ebikes", "fietsen", "cycling"])
        if kind == "comment":
            cid = "".join(r.choice(B36) for _ in range(7))
            return f"t1_{cid}", f"https://www.reddit.com/r/{sub}/comments/{post}/_/{cid}/"
        return f"t3_{post}", f"https://www.reddit.com/r/{sub}/comments/{post}/"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"fietsforum-{n}", f"https://forum.fietsforum.example/topic/{n}"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        v = "".join(r.choice(B64URL) for _ in range(11))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(112_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "threads":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"th-{sc}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog-{h}-{n}", f"https://{h}/nieuws/{n}"
    n = r.randint(10 ** 8, 10 ** 9)
    return f"{platform}-{n}", None


def build(profile):
    gen = Gen(SEED)
    meta_r = random.Random(SEED + 1)
    order_r = random.Random(SEED + 2)
    rows, seen_ids = [], set()
    for c in CASES:
        text, used = render(gen, c["text"])
        kinds_used = {k for k, _, _ in used}
        pid, url = make_id_url(meta_r, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen_ids:
            pid += "1"
        seen_ids.add((c["platform"], pid))
        created = c["when"] or random_time(meta_r)
        role = role_of(profile, c["platform"], c["handle"])
        sev = severity_for(role, c["cats"], "leak.pii" in c["cats"] and bool(kinds_used & VALID_ID_KINDS))
        tags = set(c["tags"])

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
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
                if c["hint"] != c["lang"]:
                    tags.add("wrong-lang-hint")
            else:
                tags.add("no-lang-hint")
        elif p < 0.09:
            tags.add("no-lang-hint")
        elif p < 0.125:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            tags.add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if url and meta_r.random() < 0.6:
            post["url"] = url
        if meta_r.random() < 0.45:
            post["brand"] = "kade-cargo" if "Kade Cargo" in text and meta_r.random() < 0.5 else "stroomfiets"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=tags, used=used))
    order_r.shuffle(rows)
    return rows


def dump_lines(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ===========================================================================
# independent checker: reads the files as an outsider would
# ===========================================================================

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
CARD_IIN = re.compile(r"^(4|5[1-5]|2(22[1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)|3[47]|6011|65|35)")
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
DIGITS_RE = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
BSN_SHAPES = [re.compile(r"(?<![\w.,-])\d{8,9}(?![\w]|[.,-]\d)"),
              re.compile(r"(?<![\w.])\d{4}\.\d{2}\.\d{3}(?![\w])"),
              re.compile(r"(?<!\d )(?<![\w])\d{3} \d{3} \d{3}(?![\w]| \d)")]
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
OBF_EMAIL_RE = re.compile(r"[\w.]+\s*[\[(]\s*(?:at|@)\s*[\])]\s*\w+\s*[\[(]?\s*(?:dot|punt)\s*[\])]?\s*\w+", re.I)
PHONE_RE = re.compile(r"(?<![\w+])(?:\+\d{2}|00\d{2}|0)[\d .\-()]{7,16}\d")
SECRET_RES = {
    "github": re.compile(r"\bghp_[A-Za-z0-9]{36}\b"),
    "gitlab": re.compile(r"\bglpat-[A-Za-z0-9_-]{20}\b"),
    "aws_id": re.compile(r"\bAKIA[A-Z2-7]{16}\b"),
    "aws_secret": re.compile(r"aws_secret_access_key\s*=\s*[A-Za-z0-9+/]{40}"),
    "mollie": re.compile(r"\blive_[A-Za-z0-9]{30}\b"),
    "sendgrid": re.compile(r"\bSG\.[\w-]{22}\.[\w-]{43}\b"),
    "shopify": re.compile(r"\bshpat_[0-9a-f]{32}\b"),
    "google": re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),
    "slack_hook": re.compile(r"hooks\.slack\.com/services/T\w+/B\w+/\w+"),
    "pem": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "jwt": re.compile(r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+"),
    "url_creds": re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s:/@]+:[^\s@/]+@"),
}
PASSWORD_WORDS = re.compile(r"(wachtwoord|password|w@chtw00rd|\bww\b|\bpw\b|login)", re.I)
PROFANITY = ["kut", "kanker", "tering", "tyfus", "klote", "klootzak", "godverdomme", "debiel", "sukkel", "mongool",
             "m0ng00l", "prutser", "fuck", "f*ck", "f**k", "shit", "scum", "moron", "idiot", "clown", "cl0wn",
             "loser", "hell", "damn", "oplichter"]
MILD_OK = {"hell", "damn", "kanker"}
PRICE_ERROR_WORDS = ["prijsfout", "foutje", "komma", "verkeerde prijs", "glitch", "gl1tch", "misprint", "mistake",
                     "price feed", "prijslijst", "fractie", "deal"]


def norm(text):
    t = unicodedata.normalize("NFKC", text).translate(INVISIBLE)
    t = "".join(" " if unicodedata.category(ch) == "So" else ch for ch in t)
    return re.sub(r"\s+", " ", t).casefold()


def squash(text):
    """norm() plus 'p r i j s' -> 'prijs' (single letters separated by single spaces)."""
    t = unicodedata.normalize("NFKC", text).translate(INVISIBLE)
    t = re.sub(r"(?<!\w)\w(?: \w(?!\w))+", lambda m: m.group(0).replace(" ", ""), t)
    return norm(t)


def found_ibans(text):
    out = []
    for m in IBAN_RE.finditer(unicodedata.normalize("NFKC", text).translate(INVISIBLE)):
        compact = m.group(0).replace(" ", "")
        for end in range(len(compact), 11, -1):
            if iban_ok(compact[:end]):
                out.append((compact[:end], True))
                break
        else:
            out.append((compact, False))
    return out


def found_numbers(text):
    return [re.sub(r"\D", "", m.group(0)) for m in DIGITS_RE.finditer(text)]


def found_bsn_shapes(text):
    out = []
    for rx in BSN_SHAPES:
        out += [re.sub(r"\D", "", m.group(0)) for m in rx.finditer(text)]
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
    """(raw, national-format digits) for phone-shaped runs; IBANs are removed first."""
    out = []
    text = IBAN_RE.sub(" ", text)
    for m in PHONE_RE.finditer(text):
        raw = m.group(0)
        d = re.sub(r"\D", "", raw)
        if raw.startswith("+31") or raw.startswith("0031"):
            d = d[4:] if raw.startswith("0031") else d[2:]
            d = "0" + (d[1:] if d.startswith("0") else d)
        elif raw.startswith("+") or raw.startswith("00"):
            d = "+" + d.lstrip("0")
        out.append((raw, d))
    return out


AMOUNT_RE = re.compile(r"(?:€\s?|eur\s)(\d[\d.,]*)(?:,-)?|(\d[\d.,]*)(?:,-)?\s?(?:euro|euros|eur)\b", re.I)


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
    if not mentioned:
        return None
    amounts = [parse_amount(m.group(1) or m.group(2)) for m in AMOUNT_RE.finditer(t)]
    if not amounts:
        return None
    lp = max(p["list_price"] for p in mentioned)
    return min(a / lp for a in amounts)


def shingles(text, n=3):
    w = re.findall(r"\w+", norm(text))
    return {tuple(w[i:i + n]) for i in range(max(0, len(w) - n + 1))}


def check_profile(profile):
    errors = []
    for f in ("company", "brands", "accounts", "public_identifiers", "internal", "embargo", "products", "pricing"):
        if f not in profile:
            errors.append(f"profile: missing {f}")
    for i in profile["public_identifiers"]["ibans"]:
        if not iban_ok(i):
            errors.append(f"profile: own IBAN {i} fails mod-97")
    now = dt.datetime(2026, 12, 31, tzinfo=dt.timezone.utc)
    untils = sorted(parse_ts(e["until"]) for e in profile["embargo"])
    if not (untils[0] < now < untils[-1]):
        errors.append("profile: want one embargo that ends within 2026 and one after 2026")
    if not 5 <= len(profile["products"]) <= 7:
        errors.append("profile: want 5-7 products")
    for p in profile["products"]:
        if p.get("currency") != "EUR" or not isinstance(p.get("list_price"), (int, float)):
            errors.append(f"profile: product {p.get('sku')} list price/currency")
    return errors


def check(lines, rows, profile):
    errors, notes = check_profile(profile), []
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_ibans = {i.replace(" ", "") for i in profile["public_identifiers"]["ibans"]}
    own_phones = {phones_in(p)[0][1] for p in profile["public_identifiers"]["phones"]}
    embargo = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal_terms = [x.casefold() for x in profile["internal"]["codenames"] + profile["internal"]["domains"]
                      + profile["internal"]["markers"]]
    meta = {(r["post"]["platform"], r["post"]["id"]): r for r in rows}
    seen, parsed = set(), []

    for n, line in enumerate(lines, 1):
        where = f"line {n}"
        try:
            obj = json.loads(line)
        except ValueError as e:
            errors.append(f"{where}: not JSON: {e}")
            continue
        if set(obj) != {"post", "expect"}:
            errors.append(f"{where}: top-level keys {sorted(obj)}")
            continue
        p, ex = obj["post"], obj["expect"]
        # CONTRACT section 1
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                errors.append(f"{where}: post.{f} missing or not a string")
        if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str):
            errors.append(f"{where}: account.handle missing")
            continue
        for f in ("id", "display_name"):
            if f in p["account"] and not isinstance(p["account"][f], str):
                errors.append(f"{where}: account.{f} not a string")
        for f in ("kind", "lang", "url", "brand"):
            if f in p and not isinstance(p[f], str):
                errors.append(f"{where}: post.{f} not a string")
        if not 1 <= len(p["id"]) <= 256:
            errors.append(f"{where}: id length")
        if p["platform"] not in PLATFORMS:
            notes.append(f"{where}: platform {p['platform']!r} is not listed (treated as other)")
        if p.get("kind", "post") not in KINDS:
            errors.append(f"{where}: kind {p.get('kind')!r}")
        if "lang" in p and not re.fullmatch(r"[a-z]{2}", p["lang"]):
            errors.append(f"{where}: lang not ISO 639-1")
        if not p["text"] or len(p["text"].encode("utf-8")) > 64 * 1024:
            errors.append(f"{where}: text empty or over 64 KiB")
        if not RFC3339.match(p["created_at"]):
            errors.append(f"{where}: created_at not RFC 3339")
            continue
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errors.append(f"{where}: created_at not in 2026")
        key = (p["platform"], p["id"])
        if key in seen:
            errors.append(f"{where}: duplicate id {key}")
        seen.add(key)
        # CONTRACT section 6
        cats, sev = ex.get("categories"), ex.get("severity")
        if not isinstance(cats, list) or cats != sorted(set(cats)):
            errors.append(f"{where}: categories must be sorted and unique")
            continue
        for c in cats:
            if c not in TAXONOMY or c == "reputation.spike":
                errors.append(f"{where}: bad per-post category {c}")
        if sev not in SEVERITIES:
            errors.append(f"{where}: unknown severity {sev}")
            continue
        if not cats and sev != "none":
            errors.append(f"{where}: benign post with severity {sev}")
        role = role_of(profile, p["platform"], p["account"]["handle"])
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

        # identifiers
        for kind, raw, shown in r["used"]:
            if shown not in text:
                errors.append(f"{where}: generated {kind} not in text")
            if kind.startswith("IBAN_") and not iban_ok(raw):
                errors.append(f"{where}: {kind} fails mod-97")
            if kind == "CARD" and not (luhn_ok(raw) and CARD_IIN.match(raw)):
                errors.append(f"{where}: card not Luhn-valid with a card IIN")
            if kind == "BSN" and not bsn_ok(raw):
                errors.append(f"{where}: BSN fails the 11-proof")
            if kind.startswith("BAD_IBAN") and iban_ok(raw):
                errors.append(f"{where}: look-alike IBAN passes mod-97")
            if kind == "BAD_CARD" and luhn_ok(raw):
                errors.append(f"{where}: look-alike card passes Luhn")
            if kind in ("NOT_BSN9", "NOT_BSN8") and (bsn_ok(raw) or luhn_ok(raw)):
                errors.append(f"{where}: look-alike number passes the 11-proof or Luhn")
            if kind == "EAN13" and (luhn_ok(raw) or not ean13_ok(raw)):
                errors.append(f"{where}: EAN should be a valid EAN-13 that fails Luhn")
            if kind == "GHP" and b62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errors.append(f"{where}: GitHub token checksum wrong")
            if kind in VALID_ID_KINDS and not cats:
                errors.append(f"{where}: checksum-valid identifier in a benign post")
            if kind in BAD_ID_KINDS and cats:
                notes.append(f"{where}: look-alike identifier in a positive post")
        if any(k in VALID_ID_KINDS for k, _, _ in r["used"]) and not ids:
            errors.append(f"{where}: generated identifier not found by the independent scan")
        if ids and "leak.pii" not in cats:
            errors.append(f"{where}: checksum-valid identifier {ids} but no leak.pii label")
        if "leak.pii" in cats and not (ids or EMAIL_RE.search(text) or OBF_EMAIL_RE.search(text)
                                       or phones_in(text) or re.search(r"paspoort|passport|born|geboren|\d+[a-z]? "
                                                                       r"|straat|laan", text, re.I)):
            notes.append(f"{where}: leak.pii without an identifier the checker recognises")

        if not cats:
            for v, ok in found_ibans(text):
                if ok and v not in own_ibans:
                    errors.append(f"{where}: benign post has a valid IBAN")
            for d in found_numbers(text):
                if 13 <= len(d) <= 19 and luhn_ok(d):
                    errors.append(f"{where}: benign post has a Luhn-valid number {d}")
            for d in found_bsn_shapes(text):
                if bsn_ok(d):
                    errors.append(f"{where}: benign post has an 11-proof-valid number {d}")
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_emails:
                    errors.append(f"{where}: benign post has e-mail {e}")
            if OBF_EMAIL_RE.search(text):
                errors.append(f"{where}: benign post has an obfuscated e-mail")
            for raw, d in phones_in(text):
                if d not in own_phones:
                    errors.append(f"{where}: benign post has phone-shaped {raw!r} ({d})")
            for name, rx in SECRET_RES.items():
                for m in rx.finditer(text):
                    if name == "aws_id" and m.group(0) == "AKIAXXXXXXXXXXXXXXXX":
                        continue
                    errors.append(f"{where}: benign post has secret-like {name}")
            low = norm(text)
            for w in PROFANITY:
                if re.search(r"(?<!\w)" + re.escape(w), low):
                    if w in MILD_OK and tags & {"mild-word", "quote", "literal"}:
                        notes.append(f"{where}: benign post has mild/literal word {w!r}")
                    else:
                        errors.append(f"{where}: benign post has word {w!r}")
            if len(tags & {HN}) == 0:
                notes.append(f"{where}: benign post without the hard-negative tag")

        # confidential terms
        nt, sq = norm(text), squash(text)
        for term, until in embargo:
            if re.search(r"(?<!\w)" + re.escape(term) + r"(?!\w)", nt) or term in sq:
                if ts < until and "leak.confidential" not in cats:
                    errors.append(f"{where}: embargo term {term!r} before until without leak.confidential")
                if ts >= until and "leak.confidential" in cats:
                    errors.append(f"{where}: embargo term {term!r} after until labelled confidential")
        conf_hit = False
        for term, until in embargo:
            if ts < until and (re.search(r"(?<!\w)" + re.escape(term) + r"(?!\w)", nt) or term in sq):
                conf_hit = True
        for term in internal_terms:
            if re.search(r"(?<![\w-])" + re.escape(term) + r"(?![\w-])", nt) or term in sq:
                conf_hit = True
                if "leak.confidential" not in cats:
                    errors.append(f"{where}: internal term {term!r} without leak.confidential")
        if "leak.confidential" in cats and not conf_hit:
            errors.append(f"{where}: leak.confidential but no internal or embargoed term found")

        # pricing
        ratio = min_price_ratio(text, profile["products"])
        below = ratio is not None and ratio < profile["pricing"]["alert_below_ratio"]
        if below and "leak.pricing" not in cats:
            if "price-context" in tags:
                notes.append(f"{where}: amount at {ratio:.2f} of a mentioned product's list price, "
                             f"but not its price (tags {sorted(tags - {HN})})")
            else:
                errors.append(f"{where}: product price at {ratio:.2f} of list without leak.pricing")
        if "leak.pricing" in cats and not below and not any(w in sq for w in PRICE_ERROR_WORDS):
            notes.append(f"{where}: leak.pricing without a parsed low price or error words")
        if "leak.secret" in cats and not any(rx.search(text) for rx in SECRET_RES.values()) \
                and not PASSWORD_WORDS.search(text):
            errors.append(f"{where}: leak.secret without a secret pattern or password word")

    # near duplicates
    sh = [(n, shingles(p["text"])) for n, p, *_ in parsed]
    for i in range(len(sh)):
        for j in range(i + 1, len(sh)):
            a, b = sh[i][1], sh[j][1]
            if a and b:
                jac = len(a & b) / len(a | b)
                if jac > 0.2:
                    (errors if jac > 0.45 else notes).append(
                        f"lines {sh[i][0]} and {sh[j][0]}: word-trigram overlap {jac:.2f}")

    # composition requirements of the brief
    per_cat = Counter(c for _, _, cats, *_ in parsed for c in cats)
    for c in TAXONOMY[:-1]:
        if per_cat[c] < 12:
            errors.append(f"composition: {c} has {per_cat[c]} positives (< 12)")
    if per_cat["reputation.complaint"] < 20 or per_cat["leak.confidential"] < 18:
        errors.append("composition: want about 25 complaint and about 20 confidential positives")
    total = len(parsed)
    benign = sum(1 for _, _, cats, *_ in parsed if not cats)
    if not 0.25 <= benign / total <= 0.36:
        errors.append(f"composition: benign share {benign / total:.2f}")
    nl = sum(1 for *_, r in parsed if r["lang"] == "nl")
    if not 0.5 <= nl / total <= 0.6:
        errors.append(f"composition: Dutch share {nl / total:.2f}")
    ev = sum(1 for *_, r in parsed if "evasion" in r["tags"])
    if not 12 <= ev <= 20:
        errors.append(f"composition: {ev} evasion positives")
    return errors, notes, parsed


def report(parsed):
    total = len(parsed)
    by_cat, cat_lang, by_lang, by_role, by_plat, by_kind, by_sev, tag_c = (Counter() for _ in range(8))
    benign = multi = ev = 0
    for n, p, cats, sev, role, r in parsed:
        lang = r["lang"]
        by_lang[lang] += 1
        by_role[role] += 1
        by_plat[p["platform"]] += 1
        by_kind[p.get("kind", "(default post)")] += 1
        by_sev[sev] += 1
        if not cats:
            benign += 1
            by_cat["(benign)"] += 1
            cat_lang[("(benign)", lang)] += 1
        multi += len(cats) > 1
        for c in cats:
            by_cat[c] += 1
            cat_lang[(c, lang)] += 1
        ev += "evasion" in r["tags"]
        for t in r["tags"]:
            tag_c[t] += 1
    print(f"cases: {total}   benign: {benign}   positive: {total - benign}   multi-category: {multi}   "
          f"evasion positives: {ev}")
    print("\nper category (posts)         total    nl    en")
    for c in TAXONOMY[:-1] + ["(benign)"]:
        print(f"  {c:26s} {by_cat[c]:6d} {cat_lang[(c, 'nl')]:5d} {cat_lang[(c, 'en')]:5d}")
    print("\nper language:", ", ".join(f"{k} {v} ({100 * v / total:.0f}%)" for k, v in sorted(by_lang.items())))
    print("per account role:", dict(sorted(by_role.items())))
    print("per severity:", {s: by_sev[s] for s in SEVERITIES})
    print("per platform:", dict(by_plat.most_common()))
    print("per kind:", dict(by_kind.most_common()))
    print("lang hints: missing", tag_c["no-lang-hint"], " wrong", tag_c["wrong-lang-hint"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="validate the files on disk only, do not write")
    ap.add_argument("--notes", action="store_true", help="print informational notes too")
    args = ap.parse_args()
    if not args.check:
        PROFILE_PATH.write_text(PROFILE_YAML, encoding="utf-8")
    profile = yaml.safe_load(PROFILE_PATH.read_text(encoding="utf-8"))
    if yaml.safe_load(PROFILE_YAML) != profile:
        print("ERROR profile.yaml differs from the generator's profile")
        return 1
    rows = build(profile)
    lines = dump_lines(rows)
    if not args.check:
        OUT.write_text("".join(lines), encoding="utf-8")
        print(f"wrote {PROFILE_PATH.name} and {len(lines)} cases to {OUT.name}")
    disk = OUT.read_text(encoding="utf-8").splitlines(keepends=True)
    errors, notes, parsed = check(disk, rows, profile)
    if disk != lines:
        errors.append("cases.jsonl differs from what make_cases.py generates")
    report(parsed)
    if args.notes:
        print("\nnotes:")
        for x in notes:
            print("  " + x)
    print(f"\n{len(errors)} error(s), {len(notes)} note(s)")
    for e in errors:
        print("  ERROR " + e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
