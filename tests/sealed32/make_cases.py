#!/usr/bin/env python3
"""Deterministic generator for the sealed32 blind set (postwatch).

    python3 make_cases.py          # (re)write cases.jsonl next to this file
    python3 make_cases.py --check  # regenerate in memory, compare, validate labels

Company: Heliotroop Drogisterijen B.V. (fictional Dutch drugstore/beauty chain), see profile.yaml.
Texts are hand-written below. Identifiers and secrets are filled in from placeholders by
a seeded RNG; positives get checksum-valid identifiers, near-misses get invalid ones.
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
from pathlib import Path

SEED = 32032026
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
            if v != "NL03RABO0312456789":
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
        payload = {"sub": "cust_" + self.digits(6, True), "iss": "app.heliotroop.nl",
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
H_X = ("x", "@heliotroop", "Heliotroop")
H_CARE = ("x", "@heliotroop_helpt", "Heliotroop Klantenservice")
H_IG = ("instagram", "@heliotroop.beauty", "Heliotroop Beauty")
H_LI = ("linkedin", "heliotroop-drogisterijen", "Heliotroop Drogisterijen B.V.")
H_FB = ("facebook", "HeliotroopNL", "Heliotroop")
H_TT = ("tiktok", "@heliotroopbeauty", "Heliotroop")
# employees (profile accounts.employee)
NOOR = ("instagram", "@mua_noor_helio", "Noor | beauty advisor")       # beauty advisor, store Rotterdam
DAAN = ("x", "@daanwebdev", "Daan Smit")                               # webshop / app developer
ILSE = ("linkedin", "ilse-kramer-heliotroop", "Ilse Kramer")           # finance controller
BRAM = ("x", "@bram_dc_tilburg", "Bram")                               # distribution centre Tilburg
YUSUF = ("linkedin", "yusuf-aydin-it", "Yusuf Aydın")                  # IT operations
EVA = ("tiktok", "@apothekersassistent_eva", "Eva 💊")                 # pharmacy counter assistant
LOTTE = ("x", "@lotte_filiaal_zwolle", "Lotte")                        # store Zwolle


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

# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", DAAN, "ehm.. de Lumina IPL Pro staat in de webshop voor €34,90 ipv €349 😬\n"
     "komma verschoven in de productfeed. ticket staat uit maar tot de volgende deploy is het feest", [PRICING])
case("nl", LOTTE, "collega's appen het al rond: Dauw Hydra Serum scant bij ons aan de kassa voor 2,49 🫢 "
     "kassasysteem heeft de verkeerde prijs binnengekregen. niet doorvertellen he", [PRICING], kind="reply")
case("en", BRAM, "heads up fam, Noir de Sel 100ml is €7.90 in the app rn. somebody at HQ dropped a zero. "
     "grab it before finance wakes up lol", [PRICING])
case("nl", pub("reddit", "u/kortingsjager_tom"), "PSA: Helio Sonic S7 voor €8,99 op shop.heliotroop.nl\n\n"
     "Volgens mij een prijsfout, heb er meteen 3 besteld. Benieuwd of ze gaan leveren of annuleren",
     [PRICING], kind="post")
case("en", pub("x", "@glowwithjas"), "heliotroop has the lumina ipl for 39 euros in their app?? thats gotta be a mistake. "
     "ordered one anyway 👀 #pricingerror", [PRICING])
case("nl", pub("forum", "dealhunter_88"), "[PRIJSFOUT?] Velours Nude Palette €2,99 bij Heliotroop (normaal 29,95)\n"
     "same day bezorging werkt ook gewoon. Snel zijn!!", [PRICING])
case("nl", pub("instagram", "@makeupmetmerel"), "p r i j s f o u t bij heliotroop 🏃‍♀️💨 Dauw SPF50 voor 1,79 in de app. "
     "wie weet hoe lang nog, ik heb er 6 🤭", [PRICING], tags=["evasion"])
case("nl", H_FB, "🚨 Alleen vandaag: de Helio Sonic S7 voor maar €8,99! Op = op, dus wees er snel bij 🦷✨",
     [PRICING])
case("en", NOOR, "girls the Velours palette is ringing up at €3 in store today 🙈 some till glitch. "
     "come by before they notice xx", [PRICING])
case("nl", pub("tiktok", "@lisa.dupes"), "Lumína IPL voor €35?!?! heliotroop app is helemaal de weg kwijt 😭 prijsf0ut alert",
     [PRICING], tags=["evasion"])
case("en", pub("bluesky", "hannekeb.bsky.social"), "Anyone else seeing Dauw Hydra Serum at 1.99 on Heliotroop's webshop? "
     "Pretty sure they slipped a decimal.", [PRICING])
case("nl", EVA, "Noir de Sel staat sinds vanochtend voor 19 euro in het systeem 🤷‍♀️ lijkt me een prijsfout maar "
     "wie m vandaag koopt heeft mazzel", [PRICING])
case("nl", pub("x", "@r_vandijk"), "Heliotroop heeft mijn bestelling van de Lumina IPL à €34,90 (duidelijke prijsfout, ok) "
     "zonder enig bericht geannuleerd. Geld pas na 9 dagen terug, klantenservice reageert nergens op. Matig.",
     [PRICING, COMPLAINT])

# pricing near-misses (benign)
case("nl", pub("instagram", "@skinbysanne"), "Lumina IPL Pro nu €249 ipv €349 met je Plus-kaart 😍 "
     "zit er al maanden naar te loeren, nu dan toch maar", tags=["price-context"])
case("nl", H_IG, "€10 korting op de Velours Nude Palette met code NUDE10 in de app ✨ alleen dit weekend!",
     tags=["price-context"])
case("nl", pub("facebook", "Marjolein Bosch"), "Te koop: Lumina IPL, 3x gebruikt, doos en lader erbij. €120, ophalen in Ede",
     tags=["price-context"])
case("en", pub("reddit", "u/toothnerd"), "Replacement heads for the Sonic S7 are €12.99 for a 4-pack at Heliotroop, "
     "way cheaper than the big brand ones imo", kind="comment", tags=["price-context"])
case("nl", H_CARE, "Nee hoor, geen prijsfout 😊 de Dauw SPF50 valt deze week onder 3 halen 2 betalen.",
     kind="reply", tags=["price-context"])
case("en", pub("x", "@budgetbeautynl"), "Blossom Beauty has their own hyaluronic serum for 4.99 now. "
     "Heliotroop's Dauw serum is 24.99, is it really 5x better? thread 🧵", tags=["price-context", "other-company"])
case("nl", pub("threads", "@fien.koopt"), "same day bezorging kost €3,95 bij heliotroop, prima deal als je "
     "om 8 uur 's avonds nog zonnebrand nodig hebt voor de vakantie", tags=["price-context"])
case("nl", pub("x", "@jorisdeal"), "Dauw Hydra Serum 1+1 gratis bij Heliotroop, dus twee voor €24,99. Mooie actie 👌",
     tags=["price-context"])

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", DAAN, "who pushed the checkout .env to a public gist?? 🤦\nSTRIPE_SECRET_KEY=<<STRIPE>>\nrotating it now, chill",
     [SECRET])
case("nl", YUSUF, "Voor de collega's die de koppeling met de bezorgpartner testen: gebruiker svc_sameday, "
     "wachtwoord <<PW>> . Vrijdag gaat het live, graag voor die tijd testen.", [SECRET])
case("en", DAAN, "CI is broken again so using my personal token for the release job for now: <<GHP>>\npls dont judge",
     [SECRET])
case("en", pub("reddit", "u/apk_poker"), "Decompiled the Heliotroop Plus app for fun. Their Google key is just sitting "
     "in strings.xml: <<GAPI>>\nlmao", [SECRET], kind="post")
case("nl", BRAM, "handscanners in het DC willen niet connecten, config maar even hier gedropt voor ict:\n"
     "DATABASE_URL=postgres://wms_admin:<<PW>>@db-wms.heliotroop.local:5432/voorraad", [SECRET, CONF])
case("en", YUSUF, "For whoever picks up the product-image bucket migration:\naws_access_key_id = <<AWS_ID>>\n"
     "aws_secret_access_key = <<AWS_SECRET>>\nregion eu-west-1", [SECRET])
case("en", pub("mastodon", "bugbountybeth@infosec.exchange"), "Heliotroop devs committed a Slack webhook to a public repo, "
     "anyone can post into their channel: <<SLACK_HOOK>>\nreported, no answer yet", [SECRET])
case("nl", DAAN, "waarom geeft de Plus-kaart API een 401 met deze token?? iemand een idee\nAuthorization: Bearer <<JWT>>",
     [SECRET])
case("en", YUSUF, "New deploy key for the loyalty servers, drop it in ~/.ssh and chmod 600:\n<<PEM_OPENSSH>>", [SECRET])
case("nl", LOTTE, "nieuwe inlog voor de kassa-backoffice van filiaal Zwolle want de groepsapp doet raar: "
     "gebruiker zwolle01 ww <<PW>>", [SECRET], kind="reply")
case("nl", DAAN, "Geen paniek mensen, deze key is al ingetrokken:\n<<STRIPE:long>>\nmaar haal hem wel even uit je notities",
     [SECRET])
case("en", pub("x", "@h4ck3rm4n_nl"), "lol heliotroop staging login is literally user 'beheer' password <<PW>> , "
     "saw it on a screenshot one of their staff posted", [SECRET])
case("en", DAAN, "slack bot for the order alerts, token if you want to test locally: <<SLACK_BOT>>", [SECRET], kind="reply")

# secret near-misses (benign)
case("en", YUSUF, "Friendly reminder for our dev team and everyone else: never put real keys in docs. "
     "We use AKIAXXXXXXXXXXXXXXXX as the placeholder in every example.", tags=["placeholder"])
case("en", DAAN, "fixed the cart rounding bug in <<HEX:40>> 🎉 will be live on heliotroop.nl tomorrow", tags=["git-sha"])
case("nl", pub("x", "@anoukkk"), "wachtwoord vergeten van de heliotroop app en de resetmail komt niet binnen, "
     "staat die link ergens anders?", tags=["neutral-question"])
case("en", pub("reddit", "u/devops_dirk"), "Do you all use ghp_ classic tokens or the fine-grained ones in CI? "
     "Our retail client (a drugstore chain) is moving over", kind="comment", tags=["placeholder"])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", EVA, "mevrouw die net haar medicijnen ophaalde liet haar formulier liggen 🙄 J. Verbeek, BSN <<BSN>>, "
     "geboren 14-03-1958. als u dit ziet: het ligt bij de balie", [PII])
case("nl", LOTTE, "Deze klant belde vandaag 5x over haar bestelling. nummer <<PHONE:mob_dash>> , bel jij haar maar terug "
     "haha ik ben er klaar mee", [PII])
case("en", NOOR, "bridal trial with Sophie de Groot today 💍✨ her photographer asked for her email so here: "
     "sophiedegroot.bride88@hotmail.com x", [PII])
case("nl", DAAN, "Terugbetaling handmatig gedaan naar <<IBAN_NL:grp>> t.n.v. R. Bos, kan iemand van finance even "
     "checken of die aankomt?", [PII])
case("en", ILSE, "Expense claim of Mark Jansen got charged twice on his corporate card <<CARD:visa_sp>> — "
     "who in AP can reverse this?", [PII])
case("nl", pub("x", "@aylin_yilmaz"), "@heliotroop_helpt ik wacht al 2 weken op mijn terugbetaling!! rekeningnummer "
     "<<IBAN_NL>> t.n.v. A. Yilmaz. Graag vandaag nog", [PII, COMPLAINT], kind="reply")
case("en", pub("x", "@mike_in_delft"), "@heliotroop_helpt my card <<CARD:mc_c>> got charged for an order I cancelled "
     "last week. sort it out please", [PII, COMPLAINT], kind="reply")
case("nl", pub("facebook", "Petra Hoekstra"), "Bezorger van Heliotroop same day heeft mijn pakket gewoon bij de verkeerde "
     "buren neergezet. Staat toch duidelijk: Petra Hoekstra, Merelstraat 14, 3532 CK Utrecht. Hoe moeilijk kan het zijn",
     [PII, COMPLAINT], kind="comment")
case("nl", pub("x", "@wraakengel77"), "die caissière van heliotroop almere was zo onbeschoft. ze heet Kim Vos en woont "
     "op de Lijsterbeslaan 7 in Almere. ga haar maar eens opzoeken allemaal", [PII, ABUSE])
case("en", BRAM, "driver missed a same-day drop, customer is Mr. de Wit, Dorpsstraat 3 Oisterwijk, "
     "tel <<PHONE:mob_intl_sp>> — can the evening shift call him?", [PII])
case("nl", pub("instagram", "@jorienkuiper"), "heeft iemand nog een Velours palette over die ze kwijt wil? "
     "mail me op j.kuiper [at] kpnmail [punt] nl 💌", [PII], tags=["evasion"])
case("nl", EVA, "wie heeft deze herhaalrecept-aanvraag hier laten liggen? BSN <<BSN:dots>>, mevr. Dekker. "
     "ik hou hem achter de balie", [PII], kind="post")
case("en", pub("reddit", "u/sorrynotsorry_nl"), "Heliotroop pharmacy handed me someone else's prescription bag. "
     "Label says Henk Mulder, born 02/11/1949. This is so not ok, what if I'd taken those pills?",
     [PII, CRISIS])
case("en", NOOR, "congrats to our giveaway winner Fleur van Leeuwen 🎉 your box is going to Kerkstraat 22, 2011 AB Haarlem, "
     "right? check your DMs!", [PII])
case("nl", pub("facebook", "Wim Claes"), "Belgische klant hier. Retour van 2 weken geleden nog altijd niet terugbetaald. "
     "Mijn rekening is <<IBAN_BE>>, doe er iets mee Heliotroop", [PII, COMPLAINT], kind="comment")
case("nl", LOTTE, "voor de ophaalservice: mevrouw van der Linden, Zonnebloemweg 12, tel <<PHONE:land_sp>>. "
     "zij komt dinsdag haar bestelling halen", [PII])
case("en", pub("x", "@amexgirlie"), "typed my amex <<CARD:amex_dash>> into the heliotroop app 3 times and it still says "
     "payment failed?? fix your checkout", [PII, COMPLAINT])

# pii near-misses (benign)
case("nl", H_CARE, "Wat vervelend! Bel ons gerust op 030 799 44 00 of mail klantenservice@heliotroop.nl, "
     "dan zoeken we het samen uit.", kind="reply", tags=["own-contact"])
case("nl", H_FB, "Doneer mee met onze Pink Ribbon-actie 🎀 Overmaken kan ook direct naar NL03 RABO 0312 4567 89 "
     "t.n.v. Heliotroop Drogisterijen o.v.v. Pink Ribbon.", tags=["own-contact"])
case("nl", H_X, "Vragen over je Plus-kaart? Bel gratis 0800-4354 (ma-za 8-20u).", tags=["own-contact"])
case("en", pub("x", "@privacymatters_nl"), "Tip: if you want Heliotroop to delete your loyalty data, mail privacy@heliotroop.nl "
     "or call +31(0)30-7994400. Took 3 days for me, smooth.", tags=["own-contact"])
case("nl", pub("x", "@kim_hoekman"), "Vraagje: kan ik mijn Plus-kaartnummer <<NOT_BSN9>> nog koppelen in de app "
     "of moet dat in de winkel?", tags=["bad-checksum", "neutral-question"])
case("nl", pub("instagram", "@greenbeautynl"), "Weet iemand of deze Dauw serum parfumvrij is? barcode <<EAN13>> "
     "staat er niet bij op de site", tags=["bad-checksum"])
case("nl", pub("x", "@t_berends"), "Had een typfout in mijn kaartnummer (<<BAD_CARD:visa_sp>>) daarom werd de betaling "
     "geweigerd in de app 🤦‍♂️ m'n eigen schuld, werkt nu prima", tags=["bad-checksum"])
case("nl", pub("facebook", "Groepsaankoop Velours"), "Voor de groepsbestelling Velours palettes: het nummer dat "
     "in de vorige post stond (<<BAD_IBAN_NL:grp>>) klopt niet, daar stond een cijfer fout. Niks overmaken tot we het nieuwe delen!",
     tags=["bad-checksum"])
case("nl", pub("x", "@pakketjesjan"), "Bestelling HT-26-0048213 al binnen, 2 uur na bestellen 😳 Heliotroop same day is echt same day",
     tags=["order-number"])
case("en", pub("threads", "@nadia.skin"), "my tracking code 3SHTR<<NOT_BSN8>> says delivered and the bag is at my door, "
     "that was fast heliotroop 🫶", tags=["order-number", "bad-checksum"])
case("nl", pub("x", "@betaaldus"), "Factuur van de Heliotroop zakelijke bestelling netjes betaald naar NL03RABO0312456789, "
     "nu maar hopen dat de EHBO-dozen snel komen", tags=["own-contact"])

# ===========================================================================
# leak.confidential
# ===========================================================================
case("nl", NOOR, "mag nog niks zeggen maaaar Project Goudsbloem wordt echt iets 🌼🤫 de eerste samples zijn zó goed", [CONF])
case("en", DAAN, "staging for the new app is up at https://app-staging.heliotroop.local/plus — VPN only, "
     "feedback welcome!", [CONF])
case("nl", LOTTE, "slides van het regio-overleg hebben 'Heliotroop intern' in de hoek maar ik vind de nieuwe "
     "winkelindeling te mooi om niet te delen 😍📸", [CONF])
case("en", BRAM, "DC is already stacked with Dauw Retinol Night boxes 👀 launch can't be far off",
     [CONF], when="2026-09-12T14:22:05+02:00")
case("nl", pub("x", "@zusvaneen_helio"), "Mijn zus werkt bij Heliotroop en zegt dat de Velours Glow Drops eraan komen 🔥 "
     "ik ga stalken", [CONF], when="2026-09-05T19:41:00+02:00")
case("en", NOOR, "can't wait for you all to try the Velours Glow\nDrops 💧✨ I've been testing for weeks",
     [CONF], when="2026-09-28T20:03:11+02:00", tags=["evasion"])
case("nl", ILSE, "halfjaarcijfers 2026 zijn net binnen. zeg nog niks maar de champagne staat koud 🍾",
     [CONF, FIN], when="2026-08-20T17:15:00+02:00")
case("nl", YUSUF, "Wiki traag vandaag? Deze pagina laadt bij niemand: https://wiki.heliotroop.nl/display/APO/Receptuur-proces",
     [CONF])
case("en", pub("reddit", "u/retailwatcher"), "Someone posted a screenshot from jira.heliotroop.nl full of tickets "
     "labelled Operatie Zeeduin. Anyone know what that is?", [CONF], kind="post")
case("nl", BRAM, "ｏｐｅｒａｔｉｅ ｚｅｅｄｕｉｎ begint maandag voor ons in het DC, succes allemaal 💪",
     [CONF], tags=["evasion"])
case("en", DAAN, "finally moving to Amberlicht full time 🥳 can't say what it is but it'll change how you order from us",
     [CONF])
case("nl", EVA, "apotheekportaal.heliotroop.nl ligt er sinds 9 uur uit, niemand kan recepten inzien. "
     "officieel weten klanten van niks 🙃", [CONF, SEC])
case("en", pub("x", "@retailinsider_eu"), "Deck marked 'Heliotroop Confidential' is going around. Plan: close 30 stores "
     "in 2027 and merge the beauty counters. Big if true.", [CONF, FIN])
case("en", BRAM, "Project Goudsbloem pallets came in today, 40 of them, all wrapped in black foil lol. very secret much",
     [CONF])
case("nl", pub("instagram", "@noor.mua"), "Sneak peek van Project Goudsbloem 🌼 mijn vriendin die bij Heliotroop werkt "
     "liet me het al zien", [CONF])
case("nl", NOOR, "nieuwe kleurenkaart voor de winter, staat 'niet extern delen' op maar ach 🤭 swipe →", [CONF],
     handle_as="@Mua_Noor_Helio")

# confidential near-misses (benign)
case("nl", pub("instagram", "@handjesvanhanna"), "Goudsbloemzalf van Heliotroop is mijn redder in nood voor droge "
     "handen in de winter 🌼", tags=["codename-word"])
case("nl", pub("x", "@wandelwout"), "Heerlijk gewandeld door de zeeduinen bij Castricum, daarna nog even langs de "
     "Heliotroop voor zonnebrand", tags=["codename-word"])
case("nl", H_LI, "Vandaag publiceerden wij onze halfjaarcijfers 2026. Lees het persbericht op heliotroop.nl/pers.",
     when="2026-08-27T08:00:00+02:00", tags=["after-embargo"])
case("en", pub("youtube", "Skincare with Sam"), "Dauw Retinol Night honest review after 3 weeks: mild, no purging, "
     "good value. Full video up!", when="2026-10-22T18:30:00+02:00", tags=["after-embargo"])
case("nl", H_IG, "Ze zijn er!! 💧 De nieuwe Velours Glow Drops, vanaf nu in alle winkels en online.",
     when="2026-10-01T10:00:00+02:00", tags=["after-embargo"])
case("en", pub("x", "@candlecore"), "amber light, rain outside, fresh face mask from heliotroop. perfect sunday",
     tags=["codename-word"])
case("nl", pub("x", "@student_roos"), "Mijn project deze zomer: eindelijk een vaste skincare routine. "
     "Begin bij de Heliotroop met een simpele cleanser", tags=["codename-word"])

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", ILSE, "Omzet Q2 ligt 8% onder plan. Het bestuur praat over het sluiten van 23 winkels, "
     "wordt pas na de zomer gecommuniceerd.", [FIN])
case("en", ILSE, "Can't share much, but the acquisition of a Belgian pharmacy chain is basically done. "
     "Signing next Thursday 🤝", [FIN])
case("nl", LOTTE, "net van de regiomanager gehoord dat onze vestiging in maart dichtgaat en we allemaal worden ontslagen 😢 "
     "we mogen het nog tegen niemand zeggen", [FIN])
case("nl", YUSUF, "Op het hoofdkantoor komt een reorgani\u00adsatie, 120 fte eruit. Wordt pas in oktober aangekondigd, "
     "dus ssst", [FIN], tags=["evasion"])
case("en", BRAM, "heard in the managers meeting that DC Tilburg gets outsourced to a 3PL next year. nobody on the floor knows yet",
     [FIN])
case("en", pub("x", "@fin_gossip"), "friend at Heliotroop HQ says Q3 like-for-like sales are down 12% and the owners are "
     "quietly shopping for a buyer", [FIN])
case("nl", YUSUF, "IT-budget voor 2027 gehalveerd en onze afdeling gaat op in die van het moederbedrijf. "
     "Officieel nieuws volgt later", [FIN])
case("en", ILSE, "FY26 EBITDA forecast just got cut from 41m to 29m internally. brutal week in finance", [FIN])
case("nl", pub("reddit", "u/insider_drogist"), "Insider hier: Heliotroop wordt overgenomen door een Duitse keten, "
     "de deal wordt in november bekendgemaakt", [FIN], kind="comment")
case("nl", NOOR, "de beauty-afdelingen in 40 filialen worden volgend jaar wegbezuinigd, horen we net 💔 zeg nog niks",
     [FIN])

# financial near-misses (benign)
case("en", H_LI, "We're opening 6 new stores this autumn, including our first in Groningen. Come work with us!",
     tags=["published-news"])
case("nl", pub("x", "@retailnieuws"), "Blossom Beauty schrapt 200 banen en sluit 35 winkels, meldt het bedrijf vandaag",
     tags=["other-company"])
case("nl", pub("linkedin", "joost-peters-retail"), "Mooie cijfers van Heliotroop in het jaarverslag 2025 dat vorige "
     "maand uitkwam. Goed te zien dat de apotheekbalies groeien.", tags=["published-news"])

# ===========================================================================
# leak.security
# ===========================================================================
case("en", YUSUF, "Not public yet, but someone was scraping Plus-app accounts all weekend, around 30k profiles "
     "exposed. Incident team is on it.", [SEC])
case("nl", DAAN, "checkout van de webshop ligt al 2 uur plat door een ddos, nog geen statusbericht want "
     "management wil eerst weten hoe erg het is", [SEC])
case("nl", EVA, "ons apotheeksysteem is gehackt?? we mogen niks tegen klanten zeggen maar kunnen geen enkel recept "
     "meer openen", [SEC])
case("en", DAAN, "lol found an IDOR in our order API, change the id and you see anyone's order incl. address. "
     "reported it, still not fixed", [SEC])
case("nl", BRAM, "ransomware op de scanners in het DC, alles ligt stil en we moeten het tegen chauffeurs 'storing' noemen",
     [SEC])
case("nl", pub("x", "@bezorgdeklant"), "Mijn vriend werkt bij Heliotroop IT en zegt dat ze een datalek hebben "
     "maar dat het stil wordt gehouden. Lekker dan.", [SEC, CRISIS])
case("en", pub("reddit", "u/changeyourpasswords"), "Heliotroop is covering up a breach of their loyalty database. "
     "My cousin in their IT team confirmed it. Change your passwords.", [SEC, CRISIS], kind="post")
case("nl", LOTTE, "kassasysteem is g3h4ckt denk ik, alle pinautomaten in regio noord offline en wij mogen het niet zeggen",
     [SEC], tags=["evasion"])
case("en", YUSUF, "Vuln in the pharmacy portal lets any logged-in user see other patients' prescriptions. Patching tonight, "
     "don't mention it outside the team.", [SEC])
case("nl", LOTTE, "Storing in alle kassa's landelijk, hoofdkantoor vermoedt een aanval. Naar buiten zeggen we "
     "'technische storing' 🙃", [SEC], kind="reply")
case("en", NOOR, "our makeup booking tool sent customers' phone numbers to other customers yesterday and we're told "
     "to keep quiet about it 😬", [SEC])

# security near-misses (benign)
case("nl", H_CARE, "Vannacht tussen 23:00 en 01:00 is de Heliotroop app niet beschikbaar wegens gepland onderhoud. "
     "Excuses voor het ongemak!", tags=["official-notice"])
case("en", pub("x", "@cybernieuws"), "Big shoe webshop confirms data breach affecting 400k customers. "
     "Reminder to use unique passwords everywhere.", tags=["other-company"])
case("nl", pub("facebook", "Karin Lammers"), "De beveiliger bij de ingang van de Heliotroop in Den Bosch was zo vriendelijk, "
     "hielp me zelfs met mijn kinderwagen", kind="comment", tags=["praise"])
case("nl", pub("x", "@marco_b"), "Storing bij de kassa's van Heliotroop gisteren was binnen 10 minuten opgelost, "
     "netjes gedaan", tags=["praise"])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@boos_op_helio"), "Heliotroop heeft mijn gegevens gelekt! Phishingmail gehad met mijn "
     "Plus-kaartnummer en naam erin. Datalek!! #heliotroop", [CRISIS])
case("en", pub("instagram", "@crueltyfree.claire"), "#BoycottHeliotroop 🐰 their own-label Dauw line is sold in markets "
     "that require animal testing, despite the bunny logo on the box. Don't buy it.", [CRISIS])
case("nl", pub("facebook", "Sandra Meijer"), "Na de Dauw SPF50 zit mijn dochter vol blaren en rode plekken, "
     "huisarts zegt chemische verbranding. Waarom ligt dit spul nog in de schappen??", [CRISIS, COMPLAINT])
case("en", pub("x", "@lasergirl_amy"), "my Lumina IPL Pro from Heliotroop started smoking mid-session and left a burn "
     "mark on my leg 😳 unplugged it just in time", [CRISIS, COMPLAINT])
case("nl", pub("x", "@consumentnieuws"), "Consumentenorganisatie stapt naar de rechter tegen Heliotroop om "
     "misleidende SPF-claims op zonnebrand van het eigen merk", [CRISIS])
case("en", pub("reddit", "u/sunsafe"), "Is Heliotroop recalling the Dauw Sun Fluid SPF50? Heard a batch tested way below "
     "SPF 50. Why is nobody talking about this", [CRISIS], kind="post")
case("nl", pub("x", "@dochtervanria"), "Apotheek van Heliotroop gaf mijn moeder de verkeerde dosering bloedverdunners mee. "
     "Ze ligt nu in het ziekenhuis. Schandalig.", [CRISIS, COMPLAINT])
case("en", pub("threads", "@jeroen.codes"), "Heliotroop's loyalty app got hacked and now I'm getting scam texts "
     "that use my full name. Data breach much?", [CRISIS])
case("nl", pub("tiktok", "@meisjevanmorgen"), "d a t a l e k bij heliotroop?? kreeg een mail van een vreemde met "
     "mijn hele bestelgeschiedenis erin 😨", [CRISIS], tags=["evasion"])
case("en", pub("x", "@watchdog_retail"), "Heliotroop store manager caught re-labelling expired sunscreen with new "
     "dates. Video in the thread. Disgusting.", [CRISIS])
case("nl", pub("x", "@eczeemmama"), "Niet meer naar Heliotroop gaan mensen. Hun whitening crème gaf mijn zoon "
     "zware eczeem en ze weigeren hem uit de schappen te halen. #boycot", [CRISIS])

# crisis near-misses (benign)
case("nl", pub("x", "@suikervrij_sas"), "Ik boycot suiker deze maand, dus bij de Heliotroop alleen maar suikervrije "
     "keelpastilles gehaald haha", tags=["other-sense"])
case("en", pub("x", "@movienight_lu"), "watching Total Recall with a Dauw sheet mask on, peak friday 🎬",
     tags=["other-sense"])
case("nl", pub("instagram", "@bijtjeszoem"), "Mijn moeder heeft kanker en de dame bij de Heliotroop apotheek nam echt "
     "alle tijd om de medicatie uit te leggen ❤️ dankjewel", tags=["mild-word", "praise"])
case("en", pub("bluesky", "lotteleest.bsky.social"), "Blossom Beauty is recalling a batch of their dry shampoo "
     "over a propellant issue. Check your cupboards.", tags=["other-company"])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@lynn_ak"), "Same day bezorging?? Besteld om 10 uur 's ochtends, om 22:00 nog steeds niks. "
     "@heliotroop_helpt waar is mijn pakket", [COMPLAINT])
case("en", pub("reddit", "u/pointlesspoints"), "Plus card points disappeared AGAIN after the app update, 2,400 points gone. "
     "Support keeps sending copy-paste answers.", [COMPLAINT], kind="comment")
case("nl", pub("instagram", "@x_femke_x"), "Dauw serum gekocht, pompje na 3 dagen kapot. Ruilen in de winkel? "
     "'Nee mevrouw, alleen met bon.' Bon zat in de app en die deed het niet 🙄", [COMPLAINT])
case("en", pub("x", "@grumpygrandad"), "Waited 40 minutes at the Heliotroop pharmacy counter for a repeat prescription "
     "that was supposedly ready. One person working. Every single time.", [COMPLAINT])
case("nl", pub("facebook", "Esra Demir"), "Velours palette kapot geleverd, alles verbrijzeld. Foto's gestuurd, sinds "
     "vorige week geen reactie meer", [COMPLAINT], kind="comment")
case("en", pub("x", "@couponqueen"), "the heliotroop app keeps logging me out and won't let me use my digital coupons "
     "at the till. so annoying", [COMPLAINT])
case("nl", pub("x", "@bas_t"), "Retour van de Sonic S7 is al 3 weken onderweg en nog geen cent terug. Heliotroop, "
     "hallo??", [COMPLAINT])
case("en", pub("instagram", "@ivorynotmocha"), "ordered foundation in light ivory, got deep mocha. second time this month "
     "Heliotroop, pay attention please", [COMPLAINT])
case("nl", pub("threads", "@chantal.v"), "€3,95 bezorgkosten betalen en dan alsnog een dag te laat. Heliotroop doe even normaal",
     [COMPLAINT])
case("nl", pub("x", "@geduldop"), "Hеliotroop klantenservice is echt onbereikbaar, 45 min in de wacht en toen "
     "werd ik gewoon opgehangen", [COMPLAINT], tags=["evasion"])
case("en", pub("youtube", "Perfume Pete"), "Noir de Sel from Heliotroop smells nothing like the tester, pretty sure "
     "it's a different batch. Refund refused because I opened it. meh.", [COMPLAINT], kind="comment")
case("nl", pub("x", "@zomerzoe"), "Mijn Dauw SPF50 via de webshop was al over datum toen ik hem kreeg?? houdbaar "
     "tot vorige maand. Serieus", [COMPLAINT])

# complaint near-misses (benign)
case("nl", pub("x", "@snelleservice"), "Geen klachten over de same day bezorging, binnen 3 uur in huis 👌", tags=["negated"])
case("nl", pub("facebook", "Ingrid Smeets"), "Shoutout naar de beauty advisor in Heliotroop Arnhem, beste kleuradvies ooit",
     kind="comment", tags=["praise"])
case("nl", pub("x", "@vraagjevanvera"), "Heeft de Heliotroop in Leiden Centrum ook een apotheekbalie of moet ik naar "
     "de Haarlemmerstraat?", tags=["neutral-question"])
case("en", pub("x", "@nightowl_nina"), "Heliotroop same-day delivery showed up in under 2 hours. Colour me impressed",
     tags=["praise"])
case("nl", pub("instagram", "@serumsquad"), "Ik werk niet bij Heliotroop hoor, maar hun Hydra Serum is gewoon echt goed. "
     "Geen sponsor, geen gezeur", tags=["praise"])
case("en", pub("facebook", "Anouk Visser"), "\"The customer is always right\" said the girl at the till, and threw in "
     "an extra sample 😂 lovely service", kind="comment", tags=["quote", "praise"])
case("nl", pub("tiktok", "@grwm.jade"), "grwm met alleen Heliotroop producten 💄 de Velours Nude Palette blijft "
     "mijn favoriet #grwm #drogisterijfinds", tags=["praise"])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@zuurpruim"), "heliotroop kankerbedrijf, nooit meer", [ABUSE])
case("en", pub("tiktok", "@trolololol_nl"), "whoever runs the heliotroop tiktok is a braindead idiot lmao", [ABUSE],
     kind="comment")
case("nl", pub("x", "@grotebek"), "@heliotroop_helpt jullie zijn echt een stelletje debielen", [ABUSE], kind="reply")
case("en", NOOR, "had a customer today who was a complete b*tch about the swatches. some people are just trash honestly",
     [ABUSE], tags=["evasion"])
case("nl", LOTTE, "die klant van vanmorgen, wat een tering wijf zeg 🤬", [ABUSE])
case("en", pub("x", "@proudpatriot1488"), "why is Heliotroop hiring all these hijab girls at the counter. "
     "go back where you came from", [ABUSE])
case("nl", pub("instagram", "@h8r_020"), "heliotroop = k4nker zooi, f*ck jullie", [ABUSE], tags=["evasion"])
case("nl", H_FB, "Misschien eerst even leren lezen voordat je gaat zeuren, sukkel.", [ABUSE], kind="comment")
case("en", pub("instagram", "@meanmakeup"), "that beauty advisor @mua_noor_helio is ugly af, no wonder her makeup "
     "looks like trash", [ABUSE], kind="comment")
case("nl", pub("x", "@fietsmaar"), "Klotebedrijf met klotepersoneel. Ga toch fietsen Heliotroop", [ABUSE])
case("nl", pub("x", "@derdekeer"), "Godverdomme Heliotroop, derde keer dat mijn bestelling niet komt. "
     "Stelletje prutsers", [COMPLAINT, ABUSE])

# ===========================================================================
# more benign: own accounts and everyday talk
# ===========================================================================
case("nl", H_LI, "Vacature: apothekersassistent in onze nieuwe winkel in Amersfoort. Solliciteer via heliotroop.nl/werken",
     tags=["corporate-routine"])
case("en", NOOR, "using only the Velours Nude Palette today ✨ soft brown smokey, tutorial on my stories",
     tags=["employee-routine"])
case("nl", LOTTE, "Nieuwe winkelindeling in Zwolle is klaar, kom zaterdag langs voor een gratis huidanalyse!",
     tags=["employee-routine"])
case("nl", EVA, "tip van de dag 💊 lees altijd de bijsluiter en vraag ons aan de balie als je twijfelt #apotheek",
     tags=["employee-routine"])
case("en", BRAM, "DC summer party tonight 🎉 see you there team", tags=["employee-routine"])
case("nl", H_TT, "POV: je loopt de Heliotroop binnen voor tandpasta en gaat naar buiten met 7 maskers 😅",
     tags=["corporate-routine"])
case("en", pub("x", "@writerwendy"), "Short story idea: a beauty advisor hacks the loyalty system so every customer gets "
     "a million points. Pure fiction, I'd never 😂", tags=["fiction"])
case("nl", pub("x", "@grapjas_gijs"), "Mijn Plus-kaart heeft meer punten dan ik ooit op school heb gehaald 😂",
     tags=["joke"])
case("en", pub("x", "@broke_but_glowing"), "my bank account after one Heliotroop haul: 💀💀",
     tags=["joke"])
case("nl", pub("reddit", "u/zonnebrandvraag"), "Heliotroop of Blossom Beauty voor zonnebrand? Dauw SPF50 voelt fijner, "
     "maar wat zeggen de tests?", kind="post", tags=["neutral-question", "other-company"])
case("nl", pub("instagram", "@gezelligbreda"), "De Heliotroop in Breda heeft echt de gezelligste medewerkers ever 🥰",
     tags=["praise"])
case("en", H_X, "Our Plus members get double points on all own-label skincare this week 🌿 Shop at heliotroop.nl",
     tags=["corporate-routine"])
case("nl", YUSUF, "Trots op ons team: de nieuwe app is live en draait stabiel. Dank aan iedereen die heeft meegetest!",
     tags=["employee-routine"])
case("nl", H_CARE, "Hoi Lisa, je bestelling is onderweg en komt vandaag voor 21:00 aan. Fijne avond! 🌙",
     kind="reply", tags=["corporate-routine"])
case("en", pub("linkedin", "maria-hendriks-pharmacy"), "Great panel on pharmacy-in-retail today with speakers from "
     "Heliotroop and two hospital pharmacies. Lots to think about.", tags=["neutral"])
case("nl", pub("x", "@lippenbalsem_lover"), "'Je kan nooit genoeg lippenbalsem hebben' - mijn oma, en ook mijn mandje "
     "bij Heliotroop vandaag", tags=["quote"])
case("nl", pub("x", "@dierenvriend_d"), "Fijn dat Heliotroop het konijnenlogo op de eigen lijn heeft, scheelt zoeken",
     tags=["praise"])
case("en", pub("lemon8", "drugstore-talk"), "Heliotroop vs Blossom Beauty loyalty programs, which gives more back? "
     "Asking for my wallet", tags=["neutral-question", "other-company"])
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
            return f"t1_{cid}", f"https://www.reddit.com/r/thenetherlands/comments/{post}/_/{cid}/"
        return f"t3_{post}", f"https://www.reddit.com/r/thenetherlands/comments/{post}/"
    if platform == "forum":
        n = r.randint(1_000_000, 9_999_999)
        return f"forum-beautyforum-{n}", f"https://beautyforum.example/t/{n}"
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
            post["brand"] = "heliotroop"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=set(c["tags"]), used=used))
    order_r.shuffle(rows)
    return rows


def dump_lines(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]




# ===========================================================================
# light self-check and entry point
# ===========================================================================

def self_check(rows, profile):
    from collections import Counter
    errors = []
    for r in rows:
        p, ex = r["post"], r["expect"]
        cats = ex["categories"]
        used = r["used"]
        kinds = {k for k, _, _ in used}
        for kind, raw, shown in used:
            if shown not in p["text"]:
                errors.append(f"{p['id']}: {kind} not in text")
            if kind.startswith("IBAN_") and not iban_ok(raw):
                errors.append(f"{p['id']}: bad IBAN {raw}")
            if kind == "CARD" and not luhn_ok(raw):
                errors.append(f"{p['id']}: bad card {raw}")
            if kind == "BSN" and not bsn_ok(raw):
                errors.append(f"{p['id']}: bad BSN {raw}")
            if kind.startswith("BAD_IBAN") and iban_ok(raw):
                errors.append(f"{p['id']}: negative IBAN passes")
            if kind == "BAD_CARD" and luhn_ok(raw):
                errors.append(f"{p['id']}: negative card passes")
            if kind in ("NOT_BSN9", "NOT_BSN8", "BAD_BSN") and bsn_ok(raw):
                errors.append(f"{p['id']}: negative BSN passes")
        if kinds & VALID_ID_KINDS and "leak.pii" not in cats:
            errors.append(f"{p['id']}: valid identifier without leak.pii")
        if not cats and kinds & (VALID_ID_KINDS | {"GHP", "AWS_ID", "AWS_SECRET", "SLACK_BOT", "SLACK_HOOK",
                                                 "STRIPE", "GAPI", "JWT", "PEM_RSA", "PEM_OPENSSH", "PW", "PHONE"}):
            errors.append(f"{p['id']}: benign post with a real identifier/secret")
        if not cats and ex["severity"] != "none":
            errors.append(f"{p['id']}: benign with severity")
        if "reputation.spike" in cats:
            errors.append(f"{p['id']}: spike on a post")
    by_cat, by_lang, by_role, by_sev = Counter(), Counter(), Counter(), Counter()
    benign = multi = 0
    for r in rows:
        cats = r["expect"]["categories"]
        by_lang[r["lang"]] += 1
        by_role[r["role"]] += 1
        by_sev[r["expect"]["severity"]] += 1
        if not cats:
            benign += 1
        if len(cats) > 1:
            multi += 1
        for c in cats:
            by_cat[c] += 1
    print(f"cases {len(rows)} benign {benign} multi {multi}")
    for c in TAXONOMY:
        print(f"  {c:24s} {by_cat[c]}")
    print("lang", dict(by_lang), "role", dict(by_role), "sev", dict(by_sev))
    for c in TAXONOMY[:-1]:
        if by_cat[c] < 10:
            errors.append(f"category {c} has only {by_cat[c]} posts")
    return errors


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    lines = dump_lines(rows)
    errors = self_check(rows, profile)
    if args.check:
        if OUT.read_text(encoding="utf-8").splitlines(keepends=True) != lines:
            errors.append("cases.jsonl differs from the generator output")
    else:
        OUT.write_text("".join(lines), encoding="utf-8")
        print(f"wrote {len(lines)} cases to {OUT}")
    for e in errors:
        print("ERROR", e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
