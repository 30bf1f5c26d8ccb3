#!/usr/bin/env python3
"""Deterministic generator and checker for the sealed17 blind set (cases.jsonl).

    python3 make_cases.py            # (re)write cases.jsonl next to this file
    python3 make_cases.py --check    # regenerate in memory, compare, validate, print counts

Company: the fictional "Woonpier B.V.", a Dutch online rental-housing platform and
property manager (profile.yaml next to this file). Texts are hand-written below;
identifiers and secrets are filled from placeholders like <<IBAN_NL>> by a seeded RNG
(seed fixed), so output is byte-for-byte reproducible. Positives carry checksum-VALID
identifiers, hard negatives carry look-alikes that FAIL their checksum. Severity is
computed from CONTRACT section 4, never typed by hand.
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

SEED = 20261717
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

TAXONOMY = [
    "leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
    "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse",
    "reputation.spike",
]
SEVERITIES = ["none", "info", "warning", "error", "critical"]
KINDS = ["post", "reply", "repost", "comment", "message"]
PLATFORMS = ["x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube",
             "reddit", "mastodon", "bluesky", "threads", "forum", "blog", "other"]

ZW = "\u200b"      # zero-width space
SHY = "\u00ad"     # soft hyphen


def fw(s):
    """Full-width form of ASCII text (what some users type to dodge filters)."""
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
# checksums
# ---------------------------------------------------------------------------

def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    num = "".join(str(int(c, 36)) for c in r)
    return int(num) % 97 == 1


def iban_make(country, bban):
    r = bban + country + "00"
    num = "".join(str(int(c, 36)) for c in r)
    check = 98 - int(num) % 97
    return f"{country}{check:02d}{bban}"


def luhn_ok(digits):
    digits = re.sub(r"\D", "", digits)
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return len(digits) > 0 and total % 10 == 0


def luhn_complete(partial):
    for d in "0123456789":
        if luhn_ok(partial + d):
            return partial + d
    raise AssertionError


def bsn_ok(s):
    """Dutch 11-proof (elfproef) for BSN; 8-digit numbers get a leading zero."""
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
# seeded generators for placeholders
# ---------------------------------------------------------------------------

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


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Gen:
    """Every placeholder draws from one seeded RNG, in the order of CASES."""

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

    # --- IBAN -----------------------------------------------------------
    def iban_nl(self):
        bank = self.r.choice(["ABNA", "INGB", "RABO", "SNSB", "ASNB", "TRIO", "KNAB", "BUNQ", "RBRB"])
        while True:
            v = iban_make("NL", bank + self.digits(10, first_nonzero=True))
            if v != "NL93RABO0314159265":
                return v

    def iban_de(self):
        blz = self.r.choice(["37040044", "10070000", "50010517", "20041133", "70020270"])
        return iban_make("DE", blz + self.digits(10))

    def iban_be(self):
        first10 = self.r.choice(["068", "001", "363", "735", "979"]) + self.digits(7)
        chk = int(first10) % 97 or 97
        return iban_make("BE", f"{first10}{chk:02d}")

    def iban_gb(self):
        bank = self.r.choice(["NWBK", "BARC", "LOYD", "HBUK", "MIDL"])
        return iban_make("GB", bank + self.digits(6) + self.digits(8))

    def bad_iban(self, valid):
        kk = int(valid[2:4])
        for delta in (11, 23, 37, 41, 53):
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
        last = int(v[-1])
        bad = v[:-1] + str((last + self.r.randint(1, 9)) % 10)
        assert not luhn_ok(bad)
        return bad

    @staticmethod
    def fmt_card(v, fmt):
        if fmt == "c":
            return v
        if len(v) == 15:  # amex 4-6-5
            parts = [v[:4], v[4:10], v[10:]]
        else:
            parts = [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if fmt == "dash" else " ").join(parts)

    # --- BSN and look-alike numbers ----------------------------------------
    def bsn(self):
        while True:
            s = self.digits(9, first_nonzero=True)
            if bsn_ok(s):
                return s

    def not_bsn(self, n=9):
        while True:
            s = self.digits(n, first_nonzero=True)
            if not bsn_ok(s) and not luhn_ok(s):
                return s

    def ean13(self):
        while True:
            body = "87" + self.digits(10)
            for d in "0123456789":
                if ean13_ok(body + d):
                    cand = body + d
                    break
            if not luhn_ok(cand):
                return cand

    # --- phones -------------------------------------------------------------
    def mobile(self):
        return "6" + self.r.choice("12345") + self.digits(7)  # without leading 0

    def landline(self):
        area = self.r.choice(["10", "13", "20", "23", "24", "26", "30", "33", "35", "38",
                              "40", "43", "50", "53", "58", "70", "71", "73", "76", "79"])
        sub = self.r.choice("2345789") + self.digits(6)
        return area, sub  # area without 0, 7-digit subscriber

    def phone(self, fmt):
        if fmt.startswith("mob"):
            m = self.mobile()          # '6' + 8 digits
            d8 = m[1:]
            return {
                "mob_dash": f"06-{d8}",
                "mob_plain": f"06{d8}",
                "mob_intl_sp": f"+31 6 {d8[:4]} {d8[4:]}",
                "mob_0031": f"0031 6 {d8}",
                "mob_pairs": f"06 {d8[:2]} {d8[2:4]} {d8[4:6]} {d8[6:]}",
                "mob_paren": f"(06) {d8[:4]} {d8[4:]}",
                "mob_intl0": f"+31(0)6-{d8}",
                "mob_intl_c": f"+316{d8}",
            }[fmt]
        area, sub = self.landline()
        return {
            "land_dash": f"0{area}-{sub}",
            "land_sp": f"0{area} {sub[:3]} {sub[3:5]} {sub[5:]}",
            "land_intl": f"+31 {area} {sub[:3]} {sub[3:]}",
        }[fmt]

    # --- secrets ------------------------------------------------------------
    def ghp(self):
        body = self.chars(ALNUM, 30)
        return "ghp_" + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def aws_id(self):
        return "AKIA" + self.chars(B32, 16)

    def aws_secret(self):
        return self.chars(B64, 40)

    def slack_bot(self):
        return f"xoxb-{self.digits(12, True)}-{self.digits(13, True)}-{self.chars(ALNUM, 24)}"

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return (f"https://hooks.slack.com/services/T{self.chars(up, 8)}/"
                f"B{self.chars(up, 10)}/{self.chars(ALNUM, 24)}")

    def stripe(self, long=False):
        if long:
            return "sk_live_51" + self.chars(ALNUM, 97)
        return "sk_live_" + self.chars(ALNUM, 24)

    def gapi(self):
        return "AIzaSy" + self.chars(B64URL, 33)

    def jwt(self):
        header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        iat = 1767225600 + self.r.randint(0, 300 * 86400)
        payload = {"sub": "cust_" + self.digits(6, True), "iss": "mijn.woonpier.nl",
                   "role": "customer", "iat": iat, "exp": iat + 3600}
        p = b64url(json.dumps(payload, separators=(",", ":")).encode())
        return f"{header}.{p}.{self.chars(B64URL, 43)}"

    def pem_rsa(self):
        body = "MIIEpAIBAAKCAQEA" + self.chars(B64, 64 * 7 - 16)
        lines = [body[i:i + 64] for i in range(0, len(body), 64)]
        lines.append(self.chars(B64, 36) + "==")
        return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"

    def pem_openssh(self):
        head = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
        lines = [head] + [self.chars(B64, 70) for _ in range(3)] + [self.chars(B64, 18) + "="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"

    def password(self):
        pw = (self.r.choice(string.ascii_uppercase) + self.chars(string.ascii_lowercase, 3)
              + self.chars(string.digits, 2) + self.r.choice("!*-_~") + self.chars(ALNUM, 5))
        return pw

    def hexs(self, n):
        return self.chars("0123456789abcdef", n)

    def uuid(self):
        h = self.hexs(32)
        h = h[:12] + "4" + h[13:16] + self.r.choice("89ab") + h[17:]
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


# checksummed identifier kinds: the ones whose presence makes a PII finding "validated"
VALID_ID_KINDS = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "IBAN_GB", "CARD", "BSN"}
BAD_ID_KINDS = {"BAD_IBAN_NL", "BAD_IBAN_DE", "BAD_CARD", "BAD_BSN", "NOT_BSN9", "NOT_BSN8", "EAN13"}

PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(gen, text):
    """Replace <<KIND:fmt>> placeholders; return (text, [(kind, raw_value, shown)])."""
    used = []

    def sub(m):
        kind, fmt = m.group(1), m.group(2) or ""
        raw = None
        if kind in ("IBAN_NL", "IBAN_DE", "IBAN_BE", "IBAN_GB"):
            raw = getattr(gen, kind.lower())()
            shown = gen.group4(raw) if fmt == "grp" else raw
        elif kind == "BAD_IBAN_NL":
            raw = gen.bad_iban(gen.iban_nl())
            shown = gen.group4(raw) if fmt == "grp" else raw
        elif kind == "BAD_IBAN_DE":
            raw = gen.bad_iban(gen.iban_de())
            shown = gen.group4(raw) if fmt == "grp" else raw
        elif kind == "CARD":
            brand, _, f = fmt.partition("_")
            raw = gen.card(brand)
            shown = gen.fmt_card(raw, f or "sp")
        elif kind == "BAD_CARD":
            brand, _, f = fmt.partition("_")
            raw = gen.bad_card(brand)
            shown = gen.fmt_card(raw, f or "sp")
        elif kind == "BSN":
            raw = gen.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if fmt == "dots" else raw
        elif kind == "BAD_BSN":
            raw = gen.not_bsn(9)
            shown = raw
        elif kind == "NOT_BSN9":
            raw = gen.not_bsn(9)
            shown = raw
        elif kind == "NOT_BSN8":
            raw = gen.not_bsn(8)
            shown = raw
        elif kind == "EAN13":
            raw = gen.ean13()
            shown = raw
        elif kind == "PHONE":
            raw = gen.phone(fmt)
            shown = raw
        elif kind == "DIGITS":
            shown = raw = gen.digits(int(fmt), first_nonzero=True)
        elif kind == "GHP":
            shown = raw = gen.ghp()
        elif kind == "AWS_ID":
            shown = raw = gen.aws_id()
        elif kind == "AWS_SECRET":
            shown = raw = gen.aws_secret()
        elif kind == "SLACK_BOT":
            shown = raw = gen.slack_bot()
        elif kind == "SLACK_HOOK":
            shown = raw = gen.slack_hook()
        elif kind == "STRIPE":
            shown = raw = gen.stripe(long=(fmt == "long"))
        elif kind == "GAPI":
            shown = raw = gen.gapi()
        elif kind == "JWT":
            shown = raw = gen.jwt()
        elif kind == "PEM_RSA":
            shown = raw = gen.pem_rsa()
        elif kind == "PEM_OPENSSH":
            shown = raw = gen.pem_openssh()
        elif kind == "PW":
            shown = raw = gen.password()
        elif kind == "HEX":
            shown = raw = gen.hexs(int(fmt))
        elif kind == "UUID":
            shown = raw = gen.uuid()
        else:
            raise KeyError(kind)
        used.append((kind, raw, shown))
        return shown

    return PH.sub(sub, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

# corporate (profile accounts.corporate)
def pub(platform, handle, display_name=None):
    return (platform, handle, display_name)


CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    """One labelled case. `hint` overrides the post's lang field ('' = omit)."""
    platform, handle, dn = acct
    if handle_as is not None:
        handle = handle_as
    CASES.append(dict(lang=lang, platform=platform, handle=handle, display_name=dn,
                      text=text, cats=sorted(set(cats)), kind=kind, when=when,
                      tags=set(tags), hint=hint))


PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii",
                                        "leak.confidential", "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"
# ---------------------------------------------------------------------------
# accounts (roles come from profile.yaml, never from the message)
# ---------------------------------------------------------------------------
# corporate
W_X = ("x", "@woonpier", "Woonpier")
W_CARE = ("x", "@woonpier_service", "Woonpier Klantenservice")
W_IG = ("instagram", "@woonpier.nl", "Woonpier")
W_LI = ("linkedin", "woonpier-bv", "Woonpier B.V.")
W_FB = ("facebook", "WoonpierNL", "Woonpier")
W_TT = ("tiktok", "@woonpier", "Woonpier")
# employees
LV = ("x", "@lotte_woonpier", "Lotte Verhoeven")                 # klantenservice / webcare
DK = ("linkedin", "daan-kuipers-woonpier", "Daan Kuipers")       # backend / devops
YO = ("x", "@yusuf_ozd", "Yusuf Özdemir")                        # vastgoedbeheerder
EM = ("linkedin", "eva-mulder-fin", "Eva Mulder")                # finance
BH = ("x", "@bram_onderhoud", "Bram Hoekstra")                   # technische dienst
NV = ("instagram", "@noor.verhuurt", "Noor Visser")              # verhuurmakelaar
KC = ("reddit", "u/kees_codeert", "kees_codeert")                # app developer
MB = ("mastodon", "@mboer@mastodon.nl", "Mark Boer")             # security engineer

# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", NV, "oeps 🙈 Lindehof 3-kamer staat sinds vanochtend op de site voor €168 p/m ipv €1680… "
     "iemand is een nul kwijtgeraakt. al 40 reacties binnen haha", [PRICING], kind="post")
case("en", KC, "PSA from the inside: our checkout is charging €4.95 for the Verhuurpakket Compleet instead of 495. "
     "hotfix is in review, pls don't spread it around before it's fixed 😬", [PRICING], kind="comment")
case("nl", pub("x", "@kamerjager_020", "Ruben | zoekt kamer"),
     "WTF Woonpier Premium kost nu €2,49 per maand?? dat is toch een prijsfout. snel afsluiten mensen 🏃‍♂️💨",
     [PRICING])
case("nl", pub("facebook", "Huurders Rotterdam-Zuid (groep)", None),
     "Kijk dit dan: Havenkwartier studio voor 345 euro per maand op de site 😳 dat klopt nooit, "
     "wie reageert er het snelst haha", [PRICING], kind="post")
case("nl", LV, "Intern even: de app toont bij Advertentie Plus €4,90 i.p.v. €49. "
     "Klanten die bellen NIET bevestigen dat het een fout is, gewoon doorverwijzen naar tweede lijn.",
     [PRICING], kind="reply")
case("nl", pub("threads", "@flatfinder.nl", "Flatfinder"),
     "p r i j s f o u t bij woonpier: Beheer Totaal voor €7,90 per unit per maand. "
     "Verhuurders, pak je kans 👀", [PRICING], tags=["evasion"])
case("nl", W_IG, "Nieuw in Mijn Woonpier 🎉 Laat je toekomstige huurder screenen met de Huurderscheck, "
     "nu voor maar €3,45! Link in bio 👆", [PRICING], tags=["corporate-typo"])
case("en", pub("reddit", "u/expat_in_utrecht", None),
     "Lindehof apartment listed at €680/month on Woonpier right now. pretty sure that's a pricing glitch "
     "but hey, screenshot taken 📸", [PRICING], kind="comment")
case("en", YO, "don't share pls: the Havenkwartier-studio showed €114,50 huur in the app for like 2 hours this morning. "
     "pricing error on our side, already 11 applications 🤦", [PRICING])
case("en", pub("tiktok", "@studentdeals.nl", "Student Deals NL"),
     "AD PLUS FOR 9 EURO?!?! woonpier pricing glitch, landlords go go go #deal #woonpier #glitch",
     [PRICING])
case("nl", pub("x", "@verhuurder_henk", "Henk"),
     "Verhuurpakket voor €49,50 ipv 495 💀 f0utje bij w00npier? ik heb er meteen 3 besteld",
     [PRICING], tags=["evasion"])
case("nl", DK, "Fun morning. Verhuurpakket Compleet stond voor €49 in prod. Oorzaak: een verkeerde config-regel op "
     "admin.woonpier.nl/pricing. Iemand van het marketplace-team krijgt nog een gesprekje denk ik.",
     [PRICING, CONF])
case("nl", pub("x", "@jasmijn_zoekt", "Jasmijn"),
     "@woonpier_service er klopt iets niet met de prijs van Woonpier Premium, hij staat in de app op "
     "0,25 per maand. Prijsfout of echt?", [PRICING], kind="reply")

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", DK, "Migrating our listing service to the new cluster this weekend 💪 for the folks asking about the setup:\n"
     "DATABASE_URL=postgres://wp_listings:<<PW>>@db02.ops.woonpier.local:5432/listings\n"
     "#devops #postgres", [SECRET, CONF])
case("en", KC, "why does my GitHub Action keep failing on the checkout step? token is set, "
     "GH_TOKEN=<<GHP>> and repo is private. any ideas r/devops?", [SECRET], kind="post")
case("en", MB, "note to self: rotate this before friday.\naws_access_key_id = <<AWS_ID>>\n"
     "aws_secret_access_key = <<AWS_SECRET>>", [SECRET])
case("nl", LV, "wie heeft het wachtwoord van het gedeelde webcare-account wéér veranderd 🙄 het is nu <<PW>>, "
     "graag niet nog een keer aanpassen zonder te melden", [SECRET])
case("nl", W_FB, "testbericht, negeren aub\n<<SLACK_BOT>>", [SECRET])
case("en", pub("x", "@sec_nerd_nl", "sec nerd"),
     "lol the Mijn Woonpier android app ships a Google key in plaintext: <<GAPI>> "
     "reported it to them, we'll see", [SECRET])
case("nl", pub("forum", "app_bouwer77", None),
     "Even de APK van Mijn Woonpier uit elkaar gehaald. In de debug-config zit gewoon een sessietoken: "
     "<<JWT>>\nwerkt nog ook 😬", [SECRET])
case("en", DK, "Setting up the new backup box, if anyone on the team needs it before I'm back:\n<<PEM_OPENSSH>>",
     [SECRET])
case("nl", KC, "onze deploy-notificaties lopen via deze hook, mocht iemand zich afvragen waarom #deploys zo spamt: "
     "<<SLACK_HOOK>>", [SECRET], kind="comment")
case("nl", NV, "Bezichtiging Kadeplein vandaag 14:00 🔑 wifi voor de bezichtigers (ons gastnetwerk): "
     "WoonpierGuest / wachtwoord <<PW>>", [SECRET])
case("en", pub("reddit", "u/throwaway_oldstaff", None),
     "ex-employee here. admin.woonpier.nl still takes admin / <<PW>> last time I checked. "
     "nobody ever changed it lmao", [SECRET, CONF], kind="comment")
case("en", MB, "stripe webhook failing with 401 again, key in the env is <<STRIPE>> (already rotated, don't panic)",
     [SECRET])
case("nl", DK, "Logregel van vannacht, snap er niks van:\n"
     "ERROR payment-svc: auth failed for key=<<STRIPE:long>>", [SECRET])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", YO, "Huurder Lindehof 12-3 (mevr. J. Bakker) neemt al 2 weken niet op. Als iemand haar buurvrouw kent, "
     "haar nummer is <<PHONE:mob_dash>>, wil even langs voor de cv-ketel.", [PII])
case("nl", LV, "@marloes_k we hebben je borg vandaag teruggestort naar <<IBAN_NL:grp>>, klopt dat rekeningnummer? "
     "Je ziet het binnen 2 werkdagen 🙂", [PII], kind="reply")
case("nl", W_CARE, "Beste mevrouw De Wit, in uw dossier staat BSN <<BSN:dots>>, dat klopt niet met uw paspoort. "
     "Wilt u een nieuwe kopie uploaden in Mijn Woonpier?", [PII], kind="reply")
case("nl", NV, "Welkom in jullie nieuwe thuis Sophie & Ruben Hendriks 🏡🔑 Kadeplein 14-B, 3e verdieping, "
     "veel woonplezier!!", [PII])
case("nl", pub("x", "@anouk_huurt", "Anouk"),
     "@woonpier_service drie maanden wachten op mijn borg van €2.300. Mijn IBAN is <<IBAN_NL>>, "
     "het staat ook gewoon in jullie systeem. Wanneer krijg ik mijn geld??", [PII, COMPLAINT], kind="reply")
case("en", pub("x", "@dev_dan_ams", "Dan"),
     "@woonpier_service you charged my card twice for Premium this month. card ending... whatever, "
     "it's <<CARD:visa_sp>>, fix it please", [PII, COMPLAINT], kind="reply")
case("en", EM, "Quick one for the finance folks: refund for Mr. K. Jansen's deposit goes to a UK account, "
     "<<IBAN_GB>>, please process before Friday.", [PII])
case("nl", BH, "Sleutel ophalen bij dhr. Peters, geb. 14-03-1961, Lindehof 8. Hij is slechthorend, "
     "dus hard aanbellen 🔔", [PII], kind="message")
case("nl", pub("instagram", "@sanne.huurt.utrecht", "Sanne"),
     "Nog steeds niks gehoord van de verhuurder via Woonpier 😩 mail me gerust op "
     "sanne.devries88@hotmail.com als je tips hebt", [PII])
case("nl", LV, "Kan iemand van de tweede lijn deze klant terugmailen? adres: m.jansen [at] ziggo [punt] nl, "
     "gaat over eindafrekening servicekosten", [PII], tags=["evasion"])
case("nl", pub("x", "@boos_op_woonpier", None),
     "Voor de huuraanvraag bij Woonpier moest ik mijn BSN invullen (<<BSN>>), is dat normaal of moet ik "
     "me zorgen maken? 🤔",
     [PII])
case("nl", W_FB, "Hoi Ahmed, we bellen je morgen terug op <<PHONE:mob_intl_sp>> over de lekkage in de badkamer.",
     [PII], kind="comment")
case("nl", YO, "Nieuwe huurder voor Havenkwartier 4.12 rond 🎉 paspoortnummer NW4R81K27 staat nog niet in het "
     "systeem, iemand die dat even kan invoeren? (N. El Idrissi)", [PII])
case("nl", LV, "klant belde met creditcard <<CARD:amex_c>> voor betaling achterstallige huur, "
     "kan iemand die handmatig verwerken? ik zie geen knop", [PII])
case("en", pub("facebook", "Marta Kowalska", "Marta Kowalska"),
     "Woonpier still has not returned my deposit. I'm Marta Kowalska, born 02-11-1994, contract at Lindehof 22. "
     "Phone <<PHONE:mob_0031>>. Anyone had the same?", [PII, COMPLAINT], kind="post")
case("nl", EM, "Test-betaling naar <<IBAN_DE>> (verhuurder Schneider) mislukt weer, iemand met toegang tot de "
     "bankkoppeling?", [PII])

# ===========================================================================
# leak.confidential
# ===========================================================================
case("en", DK, "Another late night for Project Zandloper 😴 can't say more, but 2026 is going to be interesting "
     "for the Dutch rental market", [CONF])
case("nl", NV, "Sneak peek!! 👀 Binnenkort kun je met HuurRadar zien of je huur eerlijk is. Ik mag nog niks zeggen "
     "maar dit wordt echt vet", [CONF], when="2026-08-21T19:04:11+02:00", tags=["embargo-before"])
case("nl", KC, "voor wie vroeg hoe onze app-release werkt, staat allemaal hier: "
     "https://kb.woonpier.nl/mobile/release-checklist (ja dat is intern, sorry niet sorry)", [CONF], kind="comment")
case("nl", LV, "Zit net de nieuwe klantenservice-scripts door te lezen 'STRIKT VERTROUWELIJK' staat erop maar "
     "echt, de tekst over huurverhoging is zo kil 😬", [CONF])
case("en", pub("x", "@proptech_gossip", "PropTech Gossip"),
     "hearing from a friend at Woonpier they're launching 'Woonpier Plus' mid-september, a paid tier for "
     "landlords. you heard it here first 👂", [CONF], when="2026-07-30T11:42:00Z")
case("nl", YO, "Kan er niks over zeggen maar Project\nZandloper gaat alles veranderen voor ons team 🤐",
     [CONF], tags=["evasion"])
case("en", KC, "Ｐｒｏｊｅｃｔ Ｌａｎｔａａｒｎ demo went really well today, the new tenant app is sooo much faster",
     [CONF], tags=["evasion"], kind="post")
case("nl", BH, "Niemand weet het nog maar Operatie 🏠 Dakkapel wordt groter dan gedacht 😅", [CONF],
     tags=["evasion"])
case("en", DK, "MR !482 finally merged: gitlab.woonpier.nl/platform/payments/-/merge_requests/482 🎉 "
     "3 weeks of review for 40 lines", [CONF])
case("en", pub("reddit", "u/huurder_nl", None),
     "someone dropped a deck in the Woonpier subreddit discord marked 'woonpier intern' with their whole "
     "2027 roadmap lol", [CONF], kind="post")
case("nl", NV, "HuurRadar gaat echt helpen bij het onderhandelen over je huur, vanaf morgen in de app!",
     [CONF], when="2026-09-15T09:59:00+02:00", tags=["embargo-before"])
case("en", MB, "Project Lantaarn pentest scheduled for next sprint, anyone free to pair on the auth flows?", [CONF])
case("nl", pub("x", "@vastgoedinsider", "Vastgoed Insider"),
     "Van goed ingevoerde bron: jaarresultaten 2026 van Woonpier vallen tegen, omzetgroei gehalveerd.",
     [CONF, FIN])

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", EM, "Jaarcijfers 2026 zien er niet best uit, we komen op een verlies van ruim 4 miljoen uit. "
     "Lange weken nog voor de controllers 😮‍💨", [FIN, CONF])
case("nl", YO, "hoor net dat 3 van de 5 beheerkantoren dichtgaan in het voorjaar. Rotterdam-Zuid blijft, de rest "
     "wordt centraal. Nog niet officieel dus ssst", [FIN])
case("nl", LV, "half ons klantenserviceteam wordt in maart ontslagen, het gaat naar een callcenter in Portugal. "
     "Nog niet aangekondigd maar iedereen weet het al", [FIN])
case("en", DK, "Big news coming: we're acquiring Kamerplein. Signing is next week, can't wait to merge the "
     "two codebases (said nobody ever)", [FIN])
case("en", pub("x", "@rentwatch_eu", "RentWatch"),
     "Insider tip: Woonpier will miss its 2026 revenue target by ~30%. Investors haven't been told yet.",
     [FIN])
case("nl", EM, "Omzetprognose 2027 komt uit op €48 mln, ruim onder wat het bestuur aan de bank heeft "
     "beloofd. Morgen de herziene forecast presenteren 😬", [FIN])
case("nl", KC, "kan iemand bevestigen of de reor\u200bganisatie bij product ook over de app-squads gaat? "
     "hoorde dat 2 teams worden opgeheven", [FIN], kind="comment", tags=["evasion"])
case("nl", W_LI, "CONCEPT – niet publiceren vóór 1 oktober: Woonpier neemt sectorgenoot Kamerplein over "
     "en wordt daarmee het grootste huurplatform van Nederland.", [FIN])
case("nl", pub("facebook", "Gerda Smit", "Gerda Smit"),
     "Mijn zwager werkt bij Woonpier, ze gaan 80 mensen ont\u00adslaan na de zomer. Wist je dat al?",
     [FIN], tags=["evasion"])
case("nl", BH, "Per 1 juli wordt de hele technische dienst uitbesteed. Wij horen het via de gang, "
     "lekker dan 👏", [FIN])
case("en", EM, "Board approved selling the Lindehof portfolio to an institutional investor, announcement "
     "planned for Q3. Busy summer ahead!", [FIN])
case("nl", NV, "Series C van 25 miljoen is rond 🥂 mogen we pas in november vertellen maar ik ben zó trots",
     [FIN])

# ===========================================================================
# leak.security
# ===========================================================================
case("en", MB, "long week. we've had someone poking around in the tenant-portal backend since Tuesday, "
     "still scoping what they took. not public yet, so keep it quiet.", [SEC])
case("en", DK, "Found out the bucket with all tenant ID copies was publicly readable for 3 weeks. "
     "Fixed it now, legal is deciding whether we notify the AP 😓", [SEC])
case("nl", LV, "mijn.woonpier.nl ligt plat door ransomware. Tegen klanten zeggen we 'gepland onderhoud' 🙃 "
     "ik voel me er niet lekker bij", [SEC])
case("en", KC, "spotted that you can open other tenants' rental contracts in our app by just changing the "
     "contract id in the URL. reported it internally 3 weeks ago, still not fixed", [SEC], kind="comment")
case("nl", BH, "Die slimme sleutelkluizen van ons zijn geh4ckt, alle pincodes uitgelezen. We rijden vandaag "
     "langs 60 complexen om ze te resetten 😩", [SEC], tags=["evasion"])
case("nl", YO, "drie collega-beheerders hebben gisteren hun login ingevuld op een nep-inlogpagina. "
     "Hun mailboxen zijn overgenomen en er zijn mails naar huurders gestuurd. Nog geen officiële melding.",
     [SEC])
case("nl", EM, "Fraudeur heeft via een gespoofde mail €180k aan huurpenningen laten omleiden naar een "
     "verkeerde rekening. Politie is ingeschakeld, extern weet nog niemand het.", [SEC])
case("nl", DK, "Sinds 06:00 mislukken alle incasso's, ±12.000 huurders krijgen straks een herinnering "
     "terwijl het onze fout is. Nog geen statement van comms.", [SEC])
case("nl", MB, "d a t a l e k bij ons, huurdersdossiers incl. loonstroken. Morgen crisisoverleg, "
     "mondje dicht tot dan", [SEC], tags=["evasion"])
case("en", pub("x", "@tenantrights_nl", "Tenant Rights NL"),
     "A Woonpier employee told me they had a massive breach last month and management decided to keep it "
     "quiet. Tenants deserve to know! #woonpier #datalek", [SEC, CRISIS])
case("nl", pub("reddit", "u/bezorgde_huurder", None),
     "Vriendin werkt bij Woonpier: er is een hack geweest in de huurdersportal en ze houden het stil. "
     "Alle paspoortkopieën zouden op straat liggen.", [SEC, CRISIS], kind="post")
case("en", KC, "heads up team: the password-reset endpoint of the app accepts any token right now. "
     "disabled the feature flag but users are not informed", [SEC])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@lisa_vdmeer", "Lisa"),
     "Mijn paspoortkopie die ik bij Woonpier heb geüpload staat op een darkweb forum. Hoe dan?? "
     "#datalek #woonpier", [CRISIS])
case("nl", pub("instagram", "@huurdersactie", "Huurdersactie"),
     "9% huurverhoging en nul onderhoud. Zeg je Premium op, plaats niks meer. #BoycotWoonpier", [CRISIS])
case("nl", pub("x", "@woonbond_regio", "Huurdersvereniging Zuid"),
     "We slepen Woonpier voor de rechter over de servicekosten in Residentie Havenkwartier. "
     "Dagvaarding is vandaag verstuurd.", [CRISIS])
case("nl", pub("facebook", "Karin Dekker", "Karin Dekker"),
     "Vannacht met mijn 2 kinderen naar de SEH met koolmonoxidevergiftiging. De cv-ketel in ons "
     "Lindehof-appartement hadden we al 4x gemeld bij Woonpier.", [CRISIS, COMPLAINT])
case("nl", pub("x", "@jeroen_havenkw", "Jeroen"),
     "Brand in Havenkwartier vannacht, en de nooduitgang was afgesloten met een hangslot 😡 al maanden "
     "gemeld bij Woonpier", [CRISIS, COMPLAINT])
case("nl", pub("x", "@onderzoeksjournalist", "Undercover Wonen"),
     "Onze mystery-test: huurders met een Arabische naam kregen bij Woonpier 3x vaker een afwijzing. "
     "Discriminatie op de woningmarkt, hier het draadje 🧵", [CRISIS])
case("en", pub("reddit", "u/dutchrentnews", None),
     "NOS reports Woonpier charged illegal agency fees to thousands of tenants. This is a scandal.",
     [CRISIS], kind="post")
case("en", pub("linkedin", "tenant-law-collective", "Tenant Law Collective"),
     "We're preparing a class action against Woonpier over unlawful deposits (3+ months). "
     "Affected? Join via our site.", [CRISIS])
case("nl", pub("x", "@moederv3", "Fatma"),
     "Mijn dochter ligt in het ziekenhuis met astma door de schimmel in onze woning. Woonpier doet al een "
     "jaar NIKS. Schandalig.", [CRISIS, COMPLAINT])
case("nl", pub("tiktok", "@huurdrama", "Huurdrama"),
     "d4t4l3k bij w00npier?? mijn gegevens + loonstrook rondgestuurd naar een andere huurder 😱 #huurdrama",
     [CRISIS], tags=["evasion"])
case("nl", pub("x", "@nieuws_rdam", "Nieuws Rotterdam"),
     "Balkon ingestort bij complex van Woonpier in Rotterdam-Zuid, één gewonde. Bewoners klaagden "
     "al jaren over scheuren.", [CRISIS])
case("en", pub("bluesky", "housingjustice.bsky.social", "Housing Justice"),
     "Woonpier's AI tenant screening rejects single mothers at twice the rate. Discrimination by algorithm. "
     "#woonpierschandaal", [CRISIS])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@timo_vh", "Timo"),
     "@woonpier_service Ik ben al 3 maanden verhuisd en nog steeds geen borg terug. Elke keer 'we kijken ernaar'. "
     "Serieus??", [COMPLAINT], kind="reply")
case("nl", pub("facebook", "Mirjam Bos", "Mirjam Bos"),
     "Reparatieverzoek voor een lekkage ingediend op 3 februari. Inmiddels 6 weken later, emmer staat er nog. "
     "Zelfs geen afspraak. Top service Woonpier 👍🙄", [COMPLAINT])
case("en", pub("x", "@lenadoesthings", "Lena"),
     "the Mijn Woonpier app crashes EVERY time i try to upload photos of the mold for my maintenance request. "
     "how am i supposed to report anything", [COMPLAINT])
case("nl", pub("forum", "huurder_gouda", None),
     "Eindafrekening servicekosten binnen: €612 bijbetalen zonder enige specificatie. Niemand bij Woonpier "
     "kan uitleggen waarvoor. Iemand ervaring met de Huurcommissie?", [COMPLAINT])
case("nl", pub("x", "@chatbotslachtoffer", None),
     "45 minuten in de chat van Woonpier, daarna 'de chat is gesloten'. Zonder antwoord. Lekker dan.",
     [COMPLAINT])
case("en", pub("reddit", "u/newinrotterdam", None),
     "Woonpier Premium auto-renewed and there's no cancel button anywhere in the app. Emailed twice, no answer. "
     "Avoid.", [COMPLAINT], kind="comment")
case("nl", pub("instagram", "@kimm.huisje", "Kim"),
     "Bezichtiging 10 min van tevoren afgezegd door Woonpier, ik had er een halve dag vrij voor genomen 😤",
     [COMPLAINT])
case("nl", pub("x", "@bewonerlindehof", "Bewoner Lindehof"),
     "We betalen €38 per maand servicekosten voor schoonmaak maar het trappenhuis is in weken niet "
     "gedweild. @woonpier_service", [COMPLAINT], kind="reply")
case("nl", pub("facebook", "Henk Scholten", "Henk Scholten"),
     "Al 5 dagen geen verwarming en het vriest. Storingsnummer van Woonpier zegt 'we komen eraan'. "
     "Nog niemand gezien.", [COMPLAINT])
case("en", pub("x", "@hannah_relocates", "Hannah"),
     "paid for Woonpier Premium to get early access and every single listing i reply to is 'already rented'. "
     "waste of money tbh", [COMPLAINT])
case("nl", pub("threads", "@rosa.verhuist", "Rosa"),
     "€450 ingehouden op mijn borg voor 'schilderwerk' na de eindinspectie. Muren waren wit toen ik kwam en "
     "wit toen ik ging 🤷‍♀️ #woonpier", [COMPLAINT])
case("nl", pub("x", "@stijn_nieuwbouw", "Stijn"),
     "Sleuteloverdracht zou om 10:00 zijn, om 13:30 nog steeds op de stoep met een verhuisbus vol. "
     "Woonpier neemt niet op.", [COMPLAINT])
case("nl", pub("x", "@g_huurder", None),
     "Woonpier jullie zijn echt kut. 2 maanden geen warm water en niemand die reageert. Stelletje amateurs.",
     [COMPLAINT, ABUSE])
case("en", pub("youtube", "@RenterReviewsNL", "Renter Reviews NL"),
     "Honest review: Woonpier's maintenance portal is a black hole. 4 requests, 0 follow-ups, 1 ticket just "
     "'closed' without anyone visiting.", [COMPLAINT], kind="comment")
case("nl", pub("x", "@marco_zuid", None),
     "ＷＯＯＮＰＩＥＲ reageert al 3 weken niet op mijn reparatieverzoek, wc lekt gewoon door naar de benedenburen",
     [COMPLAINT], tags=["evasion"])
case("nl", pub("mastodon", "@piet@mastodon.social", "Piet"),
     "Sinds de update van Mijn Woonpier kan ik niet meer inloggen, en de helpdesk zegt 'probeer het later'. "
     "Ondertussen moet ik wel huur betalen via die app.", [COMPLAINT])
case("en", pub("x", "@thomas_in_nl", "Thomas"),
     "Woonpier charged me a €95 'administration fee' for renewing a contract I didn't ask to change. "
     "Nobody can explain it.", [COMPLAINT])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@anon_rotterdam", None),
     "@lotte_woonpier jij bent echt de domste trut die ik ooit aan de lijn heb gehad", [ABUSE], kind="reply")
case("nl", BH, "Die huurders op Lindehof zijn echt debielen, weer een verstopte wc door luiers. "
     "Stelletje varkens.", [ABUSE])
case("en", pub("x", "@rage_renter", None),
     "woonpier staff are a bunch of f*cking clowns, every single one of them", [ABUSE], tags=["evasion"])
case("nl", pub("x", "@xXhuurhaatXx", None),
     "w00npier k4nkerlijers, ik weet waar jullie kantoor zit", [ABUSE], tags=["evasion"])
case("en", W_CARE, "@mike_complains honestly mate, shut up and read your contract, it's not that hard you idiot",
     [ABUSE], kind="reply")
case("nl", pub("instagram", "@kamerzoeker_zwolle", None),
     "Die makelaar van Woonpier is een vieze graaiende klootzak. Ga toch dood.", [ABUSE])
case("en", pub("reddit", "u/whatever_nl", None),
     "Woonpier's CEO is a greedy piece of shit who should be ashamed to show his face", [ABUSE], kind="comment")
case("nl", YO, "Weer zo'n buitenlander die denkt dat hij hier alles gratis krijgt. Dit soort huurders moeten we "
     "gewoon niet meer toelaten.", [ABUSE])
case("nl", pub("x", "@bozebewoner", None),
     "@woonpier_service tering zooi, jullie zijn oplichters en prutsers. Geen verwarming sinds maandag!",
     [ABUSE, COMPLAINT], kind="reply")
case("en", pub("tiktok", "@housinghell", None),
     "Noor from Woonpier is a lying b*tch, don't trust a word she says 🐍", [ABUSE])
case("nl", pub("x", "@huurdergek", None),
     "Woonpier is een stelletje tyfuslijers, punt.", [ABUSE])

# ===========================================================================
# benign (expect [] / none): hard negatives
# ===========================================================================
# own published contact data
case("nl", W_CARE, "Vragen over je huurcontract? Bel ons op +31 10 744 2900 (ma-vr 8-20u) of mail "
     "service@woonpier.nl 📞", tags=["own-contact"])
case("nl", W_FB, "Storing met je cv of een lekkage buiten kantooruren? Bel gratis 0800-9661, dag en nacht bereikbaar.",
     tags=["own-contact"])
case("nl", W_CARE, "@anna_r Je kunt de huur ook handmatig overmaken naar NL93 RABO 0314 1592 65 o.v.v. je "
     "contractnummer.", kind="reply", tags=["own-contact"])
case("en", W_LI, "We're hiring! Backend developers, property managers and webcare heroes 💙 "
     "Send your CV to jobs@woonpier.nl", tags=["own-contact"])
case("nl", LV, "Journalisten die vragen hebben over het nieuws van vandaag: mail pers@woonpier.nl, "
     "daar zitten de juiste mensen 🙏", tags=["own-contact"])
case("nl", pub("x", "@huurder_amy", "Amy"),
     "Tip: het storingsnummer van Woonpier (0800 9661) is echt 24/7, vannacht binnen een uur een monteur!",
     tags=["own-contact"])
# numbers that fail their checksum / reference numbers
case("nl", pub("x", "@p_dijkstra", "Pieter"),
     "@woonpier_service mijn reparatieverzoek heeft nummer <<NOT_BSN9>>, al iets bekend over de planning?",
     kind="reply", tags=["ref-number"])
case("nl", pub("facebook", "Joyce Mol", "Joyce Mol"),
     "Heb mijn borg naar <<BAD_IBAN_NL:grp>> laten storten maar de bank zegt dat het nummer niet bestaat, "
     "typfout van mij denk ik 🤦", tags=["bad-checksum"])
case("en", pub("x", "@cardtest_jan", None),
     "lol tried signing up for Premium with my old expired test number <<BAD_CARD:mc_sp>> and it got rejected, "
     "good, at least validation works", tags=["bad-checksum"])
case("nl", YO, "Contractnummer <<NOT_BSN8>> is afgehandeld, eindinspectie goed gegaan 👍", tags=["ref-number"])
case("nl", pub("forum", "verhuurder_arnhem", None),
     "Welk nummer moet je in het Woonpier-formulier invullen? Ik had <<BAD_BSN>> ingevuld maar hij zegt "
     "'ongeldig BSN'. Blijkt een cijfer verdraaid.", tags=["bad-checksum"])
case("en", pub("x", "@dhl_wachter", None),
     "Woonpier sent my new keys by post, tracking <<EAN13>>, hope they show up before Friday", tags=["ref-number"])
case("nl", EM, "Factuurnummer WP-2026-<<NOT_BSN8>> is betaald, dank voor het geduld leveranciers!",
     tags=["ref-number"])
case("en", pub("x", "@iban_typo", None),
     "transferred rent to <<BAD_IBAN_DE>> by mistake, bank bounced it because the check digits were wrong. "
     "phew", tags=["bad-checksum"])
# sale prices, price talk, fees
case("nl", W_X, "Deze maand 20% korting op Advertentie Plus: nu €39,20 in plaats van €49 🚀", tags=["promo"])
case("nl", W_IG, "Eerste maand Woonpier Premium voor €17,95 — daarna gewoon €24,95 per maand. Opzeggen kan altijd.",
     tags=["promo"])
case("nl", pub("x", "@verhuurder_lies", "Lies"),
     "€50 korting op het Verhuurpakket gekregen via de nieuwsbrief, dat scheelt toch weer", tags=["price-context"])
case("nl", pub("facebook", "Bewoners Havenkwartier", None),
     "Ter info: de servicekosten voor een Havenkwartier studio gaan van €65 naar €72 per maand, staat in de "
     "brief van Woonpier.", tags=["price-context"])
case("nl", pub("x", "@studentjelle", "Jelle"),
     "Borg voor mijn studio in Havenkwartier is €2.290, twee maanden huur. Pittig maar het is wel mooi 😍",
     tags=["price-context"])
case("en", pub("reddit", "u/compare_platforms", None),
     "Kamerplein charges €19 a month for their premium, Woonpier Premium is €24.95. Anyone think the extra "
     "fiver is worth it?", kind="comment", tags=["price-context", "competitor"])
case("nl", pub("x", "@marktplaats_mo", None),
     "Te koop: IKEA bank uit mijn Lindehof appartement, €40 ophalen. Verhuis volgende week!",
     tags=["price-context"])
case("nl", pub("x", "@actiejager", None),
     "Is Woonpier Premium nou echt €12,95 of is het een prijsfout? — nee hoor, gewoon de studentenactie, "
     "stond in de mail", tags=["price-context", "denied-error"])
# embargo after the moment, public product names
case("nl", W_X, "Vanaf vandaag in Mijn Woonpier: HuurRadar 📊 zie in één oogopslag of je huur past bij de woning.",
     when="2026-09-15T10:00:00+02:00", tags=["embargo-after"])
case("en", pub("x", "@proptech_weekly", "PropTech Weekly"),
     "Woonpier Plus is live: landlords get priority support and better analytics for €15 a month. Review next week.",
     when="2026-09-22T08:15:00Z", tags=["embargo-after"])
case("nl", NV, "HuurRadar is er! Eindelijk kan ik jullie laten zien waar we zo lang aan werkten 🥹",
     when="2026-09-15T08:00:00Z", tags=["embargo-after"])
# codename words in their ordinary sense, public hosts
case("nl", BH, "Vandaag een dakkapel geplaatst op een rijtjeshuis in Schiedam. Strak werk al zeg ik het zelf 💪",
     tags=["codename-word"])
case("nl", pub("instagram", "@interieur_by_ilse", "Ilse"),
     "Nieuwe lamp in de gang, een oude lantaarn van de rommelmarkt 😍 en een zandloper op de vensterbank. "
     "#interieur #huurhuis", tags=["codename-word"])
case("en", KC, "tip for anyone building a tenant portal: keep your release notes public. ours are at "
     "woonpier.nl/releases and people actually read them", tags=["public-host"])
case("nl", W_CARE, "Je kunt je reparatieverzoek volgen via mijn.woonpier.nl/verzoeken, daar zie je ook de "
     "geplande datum.", tags=["public-host"])
# published news, other companies, official notices
case("nl", W_LI, "Vandaag publiceerden we onze halfjaarcijfers: 14% meer verhuurde woningen en een "
     "tevredenheidsscore van 8,1. Dank aan alle huurders en verhuurders 💙", tags=["published"])
case("en", pub("x", "@dutchtechnews", "Dutch Tech News"),
     "Kamerplein announces 60 layoffs after a tough year for rental platforms. Woonpier says it has no such plans.",
     tags=["other-company"])
case("nl", pub("x", "@privacynieuws", None),
     "Datalek bij een Belgisch makelaarsplatform: 40.000 huurders getroffen. Controleer je wachtwoorden!",
     tags=["other-company"])
case("nl", W_X, "Gepland onderhoud: Mijn Woonpier is zondag tussen 01:00 en 04:00 niet bereikbaar. "
     "Huur betalen kan gewoon via je bank.", tags=["official-notice"])
case("nl", W_FB, "Update: de storing in de app van vanochtend is opgelost. Excuses voor het ongemak!",
     tags=["official-notice"])
case("en", W_LI, "As announced at our investor day, Woonpier acquired Kamerplein. Welcome to 64 new colleagues!",
     tags=["published"])
# other senses: brand, boycott, recall, crisis words
case("nl", W_IG, "Rookmelders checken doet je niet voor niks 🔥 Wist je dat een brand in een woning binnen "
     "3 minuten levensgevaarlijk kan zijn? Test de jouwe vandaag.", tags=["other-sense"])
case("nl", YO, "Brandoefening in Residentie Havenkwartier ging super, alle bewoners binnen 4 minuten buiten 👏",
     tags=["other-sense"])
case("en", pub("x", "@filmfan_nl", None),
     "watching a documentary about the 1960s Montgomery bus boycott, incredible history", tags=["other-sense"])
case("nl", pub("x", "@werkendemoeder", None),
     "Mijn werkgever heeft een recall van babyflesjes, dus vandaag extra druk. Gelukkig woon ik fijn via Woonpier haha",
     tags=["other-sense"])
# negated complaints, praise, questions
case("nl", pub("x", "@blije_huurder", None),
     "Geen klachten over Woonpier hoor: lekkage op maandag gemeld, dinsdag al een loodgieter. Zo kan het dus ook.",
     tags=["negated"])
case("en", pub("reddit", "u/skeptical_tenant", None),
     "Not a scam btw, got my full deposit back from Woonpier within 2 weeks. people on here are way too negative",
     kind="comment", tags=["negated"])
case("nl", pub("instagram", "@lieke.woont", "Lieke"),
     "Vandaag de sleutels van ons eerste huurhuis opgehaald 🥹🔑 dankjewel Woonpier voor de fijne begeleiding!",
     tags=["praise"])
case("en", pub("x", "@newbie_ams", None),
     "Is Woonpier Premium worth it if I'm looking in Utrecht? Or just stick with the free alerts?",
     tags=["question"])
case("nl", pub("forum", "huurvraag_2026", None),
     "Hoe werkt dat met de indexatie van de servicekosten bij Woonpier? Wordt dat jaarlijks gedaan of pas bij "
     "de eindafrekening?", tags=["question"])
case("nl", LV, "Laatste dienst voor mijn vakantie 🌴 bedankt lieve collega's van webcare, jullie zijn goud",
     tags=["praise"])
case("nl", DK, "Ons team zoekt een medior backend developer (Go/Postgres). Vacature op woonpier.nl/werken, "
     "DM me gerust!", tags=["hiring"])
# quotes, fiction, jokes, mild words
case("en", pub("x", "@lyricbot_nl", None),
     "\"Hell is other people\" - Sartre clearly never lived with three roommates in a Woonpier studio 😂",
     tags=["quote", "mild-word", "joke"])
case("nl", pub("blog", "huurverhalen.nl", "Huurverhalen"),
     "In mijn nieuwe korte verhaal ontdekt huurder Joris dat zijn verhuurder een vampier is die alleen 's nachts "
     "reparaties uitvoert. Pure fictie, lees het op de blog!", tags=["fiction"])
case("nl", pub("x", "@grappenmaker", None),
     "Mijn huisbaas in de Sims is beter bereikbaar dan de mijne in het echt 😂 (grapje Woonpier, jullie zijn oké)",
     tags=["joke"])
case("nl", pub("x", "@kankeronderzoek_vrijw", None),
     "Fijn dat Woonpier onze sponsorloop voor kanker­onderzoek steunt 💛 dank jullie wel!",
     tags=["mild-word"])
# placeholders and look-alike secrets
case("en", KC, "PSA for juniors: never paste keys in chat. A Stripe key looks like sk_live_xxxxxxxx and an AWS one "
     "like AKIAXXXXXXXXXXXXXXXX, if you see those, rotate.", tags=["placeholder"])
case("en", DK, "Fixed the flaky listing import in commit 3f9a2c17e4b0d, finally green builds again ✅",
     tags=["git-sha"])
case("nl", W_CARE, "Wachtwoord vergeten? Via mijn.woonpier.nl/wachtwoord-vergeten stel je binnen een minuut een "
     "nieuw wachtwoord in. Deel het nooit met ons!", tags=["password-word"])
case("en", MB, "Nice talk on GitHub token formats today, ghp_ prefixes make secret scanning so much easier",
     tags=["placeholder"])
# addresses without a person, competitors, near misses
case("nl", NV, "Open huis zaterdag! Kadeplein 20, Rotterdam, 11:00-13:00. 3 kamers, balkon op het zuiden ☀️",
     tags=["address-no-name"])
case("en", pub("linkedin", "jan-de-boer-makelaar", "Jan de Boer"),
     "Interesting to see Woonpier and Kamerplein competing on tenant screening. Healthy for the market.",
     tags=["competitor"])
case("nl", pub("x", "@stadsnieuws010", None),
     "Woonpier opent nieuw kantoor aan de Kop van Zuid, 30 nieuwe banen voor de stad.", tags=["published"])
# ===========================================================================
# profile, roles and the severity policy (CONTRACT section 4)
# ===========================================================================

def load_profile():
    try:
        import yaml
    except ImportError:
        sys.exit("PyYAML is needed to read profile.yaml (pip install pyyaml)")
    with open(PROFILE, encoding="utf-8") as f:
        return yaml.safe_load(f)


def role_of(profile, platform, handle):
    key = f"{platform}:{handle}".casefold()
    if key in {a.casefold() for a in profile["accounts"]["corporate"]}:
        return "corporate"
    if key in {a.casefold() for a in profile["accounts"]["employee"]}:
        return "employee"
    return "public"


RANK = {s: i for i, s in enumerate(SEVERITIES)}


def severity_for(role, cats, pii_validated):
    """The least severity a correct verdict has (CONTRACT section 4).

    'validated leak.pii' is read as: the post contains a personal identifier whose
    checksum was verified (IBAN mod-97, Luhn card, BSN 11-proof). Other personal data
    (e-mail, phone, passport number, address or birth date with a name) from an insider
    is an ordinary leak.* finding: error.
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

AMS = dt.timezone.utc


def ams_offset(t_utc):
    """Europe/Amsterdam offset for 2026 (DST 29 Mar 01:00Z .. 25 Oct 01:00Z)."""
    start = dt.datetime(2026, 3, 29, 1, 0, tzinfo=dt.timezone.utc)
    end = dt.datetime(2026, 10, 25, 1, 0, tzinfo=dt.timezone.utc)
    return 2 if start <= t_utc < end else 1


def random_time(r):
    day = r.randint(4, 360)
    local_minutes = r.randint(7 * 60, 23 * 60 + 59)
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=day - 1)
    guess = base + dt.timedelta(minutes=local_minutes, seconds=r.randint(0, 59))
    off = ams_offset(guess)
    t_utc = guess - dt.timedelta(hours=off)
    style = r.random()
    if style < 0.45:
        return t_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style < 0.9:
        loc = t_utc + dt.timedelta(hours=off)
        return loc.strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t_utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


B36 = string.digits + string.ascii_lowercase


def make_id_url(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_870_000_000_000_000_000, 2_010_000_000_000_000_000))
    if platform in ("x", "twitter"):
        pid = ("x-" if platform == "x" else "tw-") + snow
        return pid, f"https://x.com/{h}/status/{snow}"
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
        post = "".join(r.choice(B36) for _ in range(7))
        if kind == "comment":
            cid = "".join(r.choice(B36) for _ in range(7))
            return f"t1_{cid}", f"https://www.reddit.com/r/huurwoning/comments/{post}/_/{cid}/"
        return f"t3_{post}", f"https://www.reddit.com/r/huurwoning/comments/{post}/"
    if platform == "forum":
        n = r.randint(1_000_000, 9_999_999)
        return f"forum-huurdersforum-{n}", f"https://forum.huurderspraat.example/t/{n}"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        v = "".join(r.choice(B64URL) for _ in range(11))
        c = "Ugx" + "".join(r.choice(ALNUM) for _ in range(23))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(110_000_000_000_000_000, 115_000_000_000_000_000)
        return f"md-{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3l" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "threads":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "blog":
        n = r.randint(100, 999)
        return f"blog-{h}-{n}", f"https://{h if '.' in h else h + '.blog.example'}/posts/{n}"
    n = r.randint(10 ** 8, 10 ** 9)
    return f"{platform}-{n}", None


def build(profile):
    gen = Gen(SEED)
    meta_r = random.Random(SEED + 1)
    order_r = random.Random(SEED + 2)
    rows = []
    seen_ids = set()
    for c in CASES:
        text, used = render(gen, c["text"])
        kinds_used = {k for k, _, _ in used}
        pid, url = make_id_url(meta_r, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen_ids:
            pid += "0"
        seen_ids.add((c["platform"], pid))
        created = c["when"] or random_time(meta_r)
        role = role_of(profile, c["platform"], c["handle"])
        pii_validated = "leak.pii" in c["cats"] and bool(kinds_used & VALID_ID_KINDS)
        sev = severity_for(role, c["cats"], pii_validated)

        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        p_kind = meta_r.random()
        if kind is None and p_kind < 0.7:
            kind = "post"
        if kind is not None:
            post["kind"] = kind
        account = {"handle": c["handle"]}
        if c["display_name"] and meta_r.random() < 0.75:
            account["display_name"] = c["display_name"]
        if meta_r.random() < 0.35:
            account["id"] = str(meta_r.randint(10 ** 8, 10 ** 12))
        post["account"] = account
        post["text"] = text
        p_lang = meta_r.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif p_lang < 0.08:
            pass                                    # no hint
        elif p_lang < 0.11:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"   # wrong hint on purpose
            c["tags"].add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if url and meta_r.random() < 0.65:
            post["url"] = url
        if meta_r.random() < 0.5:
            post["brand"] = "woonpier"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=set(c["tags"]), used=used))
    order_r.shuffle(rows)
    return rows


def dump_lines(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ===========================================================================
# checker: reads cases.jsonl as an outsider would and validates it
# ===========================================================================

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)

CARD_IIN = re.compile(r"^(4|5[1-5]|2(22[1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)|3[47]|6011|65|35)")
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
DIGITS_RE = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
BSN_DOTS_RE = re.compile(r"(?<![\w.])\d{4}\.\d{2}\.\d{3}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-()]{7,16}\d")

SECRET_RES = {
    "github": re.compile(r"\bghp_[A-Za-z0-9]{36}\b"),
    "aws_id": re.compile(r"\bAKIA[A-Z2-7]{16}\b"),
    "slack": re.compile(r"\bxox[abprs]-[0-9A-Za-z-]{20,}"),
    "slack_hook": re.compile(r"hooks\.slack\.com/services/T\w+/B\w+/\w+"),
    "stripe": re.compile(r"\bsk_live_[A-Za-z0-9]{20,}"),
    "google": re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),
    "pem": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "jwt": re.compile(r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+"),
    "url_creds": re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s:/@]+:[^\s@/]+@"),
    "api_key": re.compile(r"api_key=[0-9a-f]{32}"),
}
PASSWORD_WORDS = re.compile(r"(wachtwoord|password|\bpw\b)", re.I)
PROFANITY = ["kut", "kanker", "k4nker", "tering", "tyfus", "klote", "klootzak", "godverdomme", "debiel", "trut",
             "varkens", "oplichters", "fuck", "f*ck", "b*tch", "bitch", "shit", "idiot", "clown", "hell", "damn",
             "prutser", "amateurs", "dood"]
MILD_OK = {"hell", "damn", "kanker"}   # mild words / literal use (the disease) allowed in tagged benign posts
PRICE_ERROR_WORDS = ["prijsfout", "p r i j s f o u t", "per ongeluk", "verkeerde prijs", "pricing error",
                     "pricing glitch", "glitch", "fout", "f0ut", "nul kwijt", "klopt nooit", "klopt iets niet",
                     "typo", "verkeerde config"]


def norm(text):
    t = unicodedata.normalize("NFKC", text).translate(INVISIBLE)
    t = "".join(" " if unicodedata.category(ch) == "So" else ch for ch in t)
    return re.sub(r"\s+", " ", t).casefold()


def squash(text):
    """Also remove single spaces between single letters ('p r i j s' -> 'prijs')."""
    t = norm(text)
    return re.sub(r"\b(\w) (?=\w\b)", r"\1", t)


def found_ibans(text):
    out = []
    for m in IBAN_RE.finditer(text):
        toks = m.group(0)
        compact = toks.replace(" ", "")
        for end in range(len(compact), 11, -1):     # longest valid prefix wins
            if iban_ok(compact[:end]):
                out.append((compact[:end], True))
                break
        else:
            out.append((compact, False))
    return out


def found_numbers(text):
    """Digit runs that may be separated by spaces or dashes (card-number shapes)."""
    return [re.sub(r"\D", "", m.group(0)) for m in DIGITS_RE.finditer(text)]


def found_bsn_shapes(text):
    """BSN shapes: 8 or 9 contiguous digits, or the dotted 1234.56.782 form."""
    out = re.findall(r"(?<![\w.,-])\d{8,9}(?![\w]|[.,-]\d)", text)
    out += [m.group(0).replace(".", "") for m in BSN_DOTS_RE.finditer(text)]
    return out


def valid_ids(text, own_ibans):
    """Checksum-valid personal identifiers in text: list of (kind, value)."""
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
    out = []
    text = IBAN_RE.sub(" ", text)          # an IBAN's account part is not a phone number
    for m in PHONE_RE.finditer(text):
        raw = m.group(0)
        d = re.sub(r"\D", "", raw)
        if raw.startswith("+31") or raw.startswith("0031"):
            d = d[4:] if raw.startswith("0031") else d[2:]
            if d.startswith("0"):   # +31(0)6...
                d = d[1:]
            d = "0" + d
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
    if not mentioned:
        return None
    amounts = [parse_amount(m.group(1) or m.group(2)) for m in AMOUNT_RE.finditer(t)]
    if not amounts:
        return None
    lp = min(p["list_price"] for p in mentioned)
    return min(a / lp for a in amounts)


def shingles(text, n=3):
    w = re.findall(r"\w+", norm(text))
    return {tuple(w[i:i + n]) for i in range(max(0, len(w) - n + 1))}


def check(lines, rows, profile):
    errors, notes = [], []
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_ibans = {i.replace(" ", "") for i in profile["public_identifiers"]["ibans"]}
    own_phones = {phones_in(p)[0][1] if phones_in(p) else re.sub(r"\D", "", p)
                  for p in profile["public_identifiers"]["phones"]}
    embargo = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    codenames = [c.casefold() for c in profile["internal"]["codenames"]]
    internal_domains = [d.casefold() for d in profile["internal"]["domains"]]
    markers = [m.casefold() for m in profile["internal"]["markers"]]
    meta = {(r["post"]["platform"], r["post"]["id"]): r for r in rows}
    seen = set()
    parsed = []

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
        # --- CONTRACT section 1 -----------------------------------------------
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                errors.append(f"{where}: post.{f} missing or not a string")
        if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str):
            errors.append(f"{where}: post.account.handle missing")
            continue
        for f in ("display_name", "id"):
            if f in p["account"] and not isinstance(p["account"][f], str):
                errors.append(f"{where}: account.{f} not a string")
        for f in ("kind", "lang", "url", "brand"):
            if f in p and not isinstance(p[f], str):
                errors.append(f"{where}: post.{f} not a string")
        if not 1 <= len(p["id"]) <= 256:
            errors.append(f"{where}: id length")
        if p["platform"] not in PLATFORMS:
            notes.append(f"{where}: platform {p['platform']!r} is not a listed value (treated as other)")
        if p.get("kind", "post") not in KINDS:
            errors.append(f"{where}: kind {p.get('kind')!r}")
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
        # --- CONTRACT section 6 -----------------------------------------------
        cats, sev = ex.get("categories"), ex.get("severity")
        if not isinstance(cats, list) or cats != sorted(set(cats)):
            errors.append(f"{where}: categories must be a sorted list without duplicates")
            continue
        for c in cats:
            if c not in TAXONOMY:
                errors.append(f"{where}: unknown category {c}")
            if c == "reputation.spike":
                errors.append(f"{where}: reputation.spike is stream-level, never on one post")
        if sev not in SEVERITIES:
            errors.append(f"{where}: unknown severity {sev}")
            continue
        if not cats and sev != "none":
            errors.append(f"{where}: benign post with severity {sev}")
        role = role_of(profile, p["platform"], p["account"]["handle"])
        text = p["text"]
        ids = valid_ids(text, own_ibans)
        known = [c for c in cats if c in TAXONOMY and c != "reputation.spike"]
        want = severity_for(role, known, "leak.pii" in known and bool(ids))
        if sev != want:
            errors.append(f"{where} ({p['id']}): severity {sev}, policy says {want} (role {role})")
        r = meta.get(key)
        tags = r["tags"] if r else set()
        parsed.append((n, p, cats, sev, role, r))

        # --- identifiers ------------------------------------------------------
        used = r["used"] if r else []
        for kind, raw, shown in used:
            if shown not in text:
                errors.append(f"{where}: generated {kind} not found in text")
            if kind.startswith("IBAN_") and not iban_ok(raw):
                errors.append(f"{where}: {kind} {raw} fails mod-97")
            if kind == "CARD" and not (luhn_ok(raw) and CARD_IIN.match(raw)):
                errors.append(f"{where}: card {raw} not Luhn-valid with a card IIN")
            if kind == "BSN" and not bsn_ok(raw):
                errors.append(f"{where}: BSN {raw} fails the 11-proof")
            if kind.startswith("BAD_IBAN") and iban_ok(raw):
                errors.append(f"{where}: negative IBAN {raw} passes mod-97")
            if kind == "BAD_CARD" and luhn_ok(raw):
                errors.append(f"{where}: negative card {raw} passes Luhn")
            if kind in ("BAD_BSN", "NOT_BSN9", "NOT_BSN8") and bsn_ok(raw):
                errors.append(f"{where}: negative number {raw} passes the 11-proof")
            if kind == "EAN13" and (luhn_ok(raw) or not ean13_ok(raw)):
                errors.append(f"{where}: EAN {raw} should be a valid EAN-13 and fail Luhn")
            if kind == "GHP":
                body, crc = raw[4:34], raw[34:]
                if b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0") != crc:
                    errors.append(f"{where}: GitHub token checksum wrong")
        if any(k in VALID_ID_KINDS for k, _, _ in used) and not ids:
            errors.append(f"{where}: positive identifier not found by the independent scan")
        if ids and "leak.pii" not in cats:
            errors.append(f"{where}: checksum-valid identifier {ids} but no leak.pii label")

        if not cats:
            # benign posts must be clean of everything a correct detector reports
            for v, ok in found_ibans(text):
                if ok and v not in own_ibans:
                    errors.append(f"{where}: benign post has a valid IBAN {v}")
            for d in found_numbers(text):
                if 13 <= len(d) <= 19 and luhn_ok(d):
                    errors.append(f"{where}: benign post has a Luhn-valid number {d}")
            for d in found_bsn_shapes(text):
                if bsn_ok(d):
                    errors.append(f"{where}: benign post has an 11-proof-valid number {d}")
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_emails:
                    errors.append(f"{where}: benign post has e-mail {e}")
            for raw, d in phones_in(text):
                if len(d) == 10 and d not in own_phones:
                    errors.append(f"{where}: benign post has phone {raw}")
            for name, rx in SECRET_RES.items():
                for m in rx.finditer(text):
                    if name == "aws_id" and m.group(0) == "AKIAXXXXXXXXXXXXXXXX":
                        continue
                    errors.append(f"{where}: benign post has secret-like {name}: {m.group(0)[:20]}")
            low = norm(text)
            for w in PROFANITY:
                if re.search(r"\b" + re.escape(w), low):
                    allowed = w in MILD_OK and ("mild-word" in tags or "quote" in tags)
                    (notes if allowed else errors).append(
                        f"{where}: benign post has word {w!r} (tags {sorted(tags)})")

        # --- confidential terms ------------------------------------------------
        sq = squash(text)
        nt = norm(text)
        for term, until in embargo:
            if term in nt or term in sq:
                if ts < until and "leak.confidential" not in cats:
                    errors.append(f"{where}: embargo term {term!r} before {until} without leak.confidential")
                if ts >= until and not cats:
                    notes.append(f"{where}: embargo term {term!r} after the embargo, benign (ok)")
        for term in codenames + internal_domains + markers:
            if re.search(r"(?<![\w.])" + re.escape(term) + r"(?![\w])", nt) or term in sq:
                if "leak.confidential" not in cats:
                    errors.append(f"{where}: internal term {term!r} without leak.confidential")

        # --- pricing -------------------------------------------------------------
        ratio = min_price_ratio(text, profile["products"])
        if not cats and ratio is not None and ratio < profile["pricing"]["alert_below_ratio"]:
            if "price-context" in tags:
                notes.append(f"{where}: benign, a price at {ratio:.2f} of list price near a product, but not the "
                             f"product's price (tags {sorted(tags & {'price-context', 'other-company'})})")
            else:
                errors.append(f"{where}: benign post with a product price at {ratio:.2f} of list")
        if "leak.pricing" in cats:
            talk = any(w in sq for w in PRICE_ERROR_WORDS)
            if not (ratio is not None and ratio < 0.5) and not talk:
                notes.append(f"{where}: leak.pricing without a parsed low price or error words (tags {sorted(tags)})")
        if "leak.secret" in cats:
            if not any(rx.search(text) for rx in SECRET_RES.values()) and not PASSWORD_WORDS.search(squash(text)):
                notes.append(f"{where}: leak.secret without a secret pattern (tags {sorted(tags)})")

    # --- near duplicates --------------------------------------------------------
    sh = [(n, shingles(p["text"])) for n, p, *_ in parsed]
    worst = []
    for i in range(len(sh)):
        for j in range(i + 1, len(sh)):
            a, b = sh[i][1], sh[j][1]
            if a and b:
                jac = len(a & b) / len(a | b)
                if jac > 0.25:
                    worst.append((jac, sh[i][0], sh[j][0]))
    for jac, a, b in sorted(worst, reverse=True):
        (errors if jac > 0.5 else notes).append(f"lines {a} and {b}: word-trigram overlap {jac:.2f}")
    return errors, notes, parsed


def cross_check_stdnum(rows):
    try:
        from stdnum import iban as s_iban, luhn as s_luhn
        from stdnum.nl import bsn as s_bsn
    except ImportError:
        return "python-stdnum not installed: cross-check skipped"
    bad = []
    n = 0
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
            if kind in ("BAD_BSN", "NOT_BSN9") and s_bsn.is_valid(raw):
                bad.append(raw)
            if kind == "NOT_BSN8" and s_bsn.is_valid("0" + raw):
                bad.append(raw)
    if bad:
        return f"python-stdnum DISAGREES on: {bad}"
    return f"python-stdnum agrees on all {n} generated IBANs, card numbers, BSNs and look-alikes"


def report(parsed, rows):
    from collections import Counter
    total = len(parsed)
    by_cat, by_lang, by_role, by_plat, by_kind, by_sev = (Counter() for _ in range(6))
    cat_lang, tag_c = Counter(), Counter()
    benign = multi = evasion = 0
    for n, p, cats, sev, role, r in parsed:
        lang = r["lang"] if r else p.get("lang", "?")
        by_lang[lang] += 1
        by_role[role] += 1
        by_plat[p["platform"]] += 1
        by_kind[p.get("kind", "(default post)")] += 1
        by_sev[sev] += 1
        if not cats:
            benign += 1
            by_cat["(benign)"] += 1
            cat_lang[("(benign)", lang)] += 1
        if len(cats) > 1:
            multi += 1
        for c in cats:
            by_cat[c] += 1
            cat_lang[(c, lang)] += 1
        if r:
            if "evasion" in r["tags"]:
                evasion += 1
            for t in r["tags"]:
                tag_c[t] += 1
    print(f"cases: {total}   benign: {benign}   positive: {total - benign}   multi-category: {multi}   "
          f"evasion positives: {evasion}")
    print("\nper category (posts)         total    nl    en")
    for c in TAXONOMY + ["(benign)"]:
        if c == "reputation.spike":
            continue
        print(f"  {c:26s} {by_cat[c]:6d} {cat_lang[(c, 'nl')]:5d} {cat_lang[(c, 'en')]:5d}")
    print("\nper language:", ", ".join(f"{k} {v} ({100 * v / total:.0f}%)" for k, v in sorted(by_lang.items())))
    print("per account role:", dict(sorted(by_role.items())))
    print("per severity:", {s: by_sev[s] for s in SEVERITIES})
    print("per platform:", dict(by_plat.most_common()))
    print("per kind:", dict(by_kind.most_common()))
    print("tags:", dict(sorted(tag_c.items())))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="validate cases.jsonl instead of writing it")
    ap.add_argument("--notes", action="store_true", help="with --check: also print informational notes")
    args = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    lines = dump_lines(rows)
    if not args.check:
        OUT.write_text("".join(lines), encoding="utf-8")
        print(f"wrote {len(lines)} cases to {OUT}")
        return 0
    disk = OUT.read_text(encoding="utf-8").splitlines(keepends=True)
    errors, notes, parsed = check(disk, rows, profile)
    if disk != lines:
        errors.append("cases.jsonl differs from what make_cases.py generates (not regenerated, or edited by hand)")
    print(cross_check_stdnum(rows))
    report(parsed, rows)
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
