#!/usr/bin/env python3
"""Sealed evaluation set 7 for postwatch: fictional Dutch streaming company "Kijkdoos B.V.".

    python3 make_cases.py    # writes profile.yaml + cases.jsonl next to this file, then validates both

Deterministic (SEED below). Identifiers and secrets come from <<PLACEHOLDER>> tokens filled by a
seeded RNG: positives get checksum-VALID IBAN/card/BSN, benign look-alikes get checksum-FAILING ones.
Severities are computed by severity_for() (CONTRACT section 4 + eval README interpretation),
never typed by hand. Needs Python 3.11 stdlib + PyYAML.
"""
import base64
import datetime as dt
import json
import random
import re
import string
import sys
import zlib
from pathlib import Path

import yaml

SEED = 7_2026_0531
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE_OUT = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
KINDS = ["post", "reply", "repost", "comment", "message"]
PLATFORMS = ["x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube",
             "reddit", "mastodon", "bluesky", "threads", "forum", "blog", "other"]
CATS9 = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
         "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]
ZW = "\u200b"
SHY = "\u00ad"


def fw(s):
    return "".join("\u3000" if c == " " else chr(ord(c) - 0x21 + 0xFF01) if "!" <= c <= "~" else c for c in s)


# --------------------------------------------------------------------------- checksums
def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


def iban_make(cc, bban):
    chk = 98 - int("".join(str(int(c, 36)) for c in bban + cc + "00")) % 97
    return f"{cc}{chk:02d}{bban}"


def luhn_ok(d):
    d = re.sub(r"\D", "", d)
    t = 0
    for i, ch in enumerate(reversed(d)):
        v = int(ch) * (2 if i % 2 else 1)
        t += v - 9 if v > 9 else v
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


# --------------------------------------------------------------------------- profile
OWN_IBAN = iban_make("NL", "INGB0006781234")
PROFILE = {
    "company": "Kijkdoos B.V.",
    "brands": ["Kijkdoos", "KijkdoosTV", "Kijkdoos Sport", "KD Box"],
    "accounts": {
        "corporate": ["x:@kijkdoos", "x:@kijkdoos_help", "instagram:@kijkdoos.tv",
                      "linkedin:kijkdoos-bv", "facebook:KijkdoosNL", "tiktok:@kijkdoos"],
        "employee": ["x:@mirjam_vl_kd", "linkedin:ruben-smit-kijkdoos", "x:@yas_bouzid",
                     "linkedin:daan-hoekstra-kd", "mastodon:@bramdekker@fosstodon.org",
                     "threads:@evakoster.kd"],
    },
    "public_identifiers": {
        "emails": ["klantenservice@kijkdoos.nl", "pers@kijkdoos.nl", "werkenbij@kijkdoos.nl"],
        "phones": ["+31 30 760 4400", "0800-5454"],
        "ibans": [OWN_IBAN],
        "domains": ["kijkdoos.nl", "www.kijkdoos.nl", "kijk.kijkdoos.nl", "status.kijkdoos.nl"],
    },
    "internal": {
        "domains": ["corp.kijkdoos.internal", "grafana.kd-ops.nl", "jira.kijkdoos.nl", "wiki.kijkdoos.nl"],
        "codenames": ["Project Reiger", "Operatie Tegenlicht", "Vuurtoren"],
        "markers": ["kijkdoos intern", "niet extern delen", "KD-CONFIDENTIAL"],
    },
    "embargo": [
        {"terms": ["Familiepakket", "Family Bundle", "Kijkdoos Familie"], "until": "2026-02-10T08:00:00Z"},
        {"terms": ["Box Mini", "KD Box Mini", "Sport Ultra"], "until": "2027-03-01T08:00:00Z"},
    ],
    "products": [
        {"sku": "KD-BOX4K", "name": "Kijkdoos Box 4K", "aliases": ["Box 4K", "KD Box 4K", "Box4K"],
         "list_price": 149.00, "currency": "EUR"},
        {"sku": "KD-STICK", "name": "Kijkdoos Stick HD", "aliases": ["Stick HD", "KD Stick"],
         "list_price": 59.00, "currency": "EUR"},
        {"sku": "KD-REMOTE", "name": "Kijkdoos Voice Remote", "aliases": ["Voice Remote", "spraakafstandsbediening"],
         "list_price": 39.95, "currency": "EUR"},
        {"sku": "KD-BASIS-Y", "name": "Kijkdoos Basis jaarabonnement",
         "aliases": ["Basis jaarabonnement", "Basis annual", "Basis jaar"], "list_price": 119.00, "currency": "EUR"},
        {"sku": "KD-PREM-Y", "name": "Kijkdoos Premium jaarabonnement",
         "aliases": ["Premium jaarabonnement", "Premium annual", "Premium annual plan"], "list_price": 179.00,
         "currency": "EUR"},
        {"sku": "KD-SPORT", "name": "Kijkdoos Sport seizoenspas",
         "aliases": ["Sport seizoenspas", "Sport Pass", "Sport season pass", "seizoenspas"],
         "list_price": 229.00, "currency": "EUR"},
    ],
    "pricing": {"alert_below_ratio": 0.5},
}

# --------------------------------------------------------------------------- generators
ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def b62(n):
    o = ""
    while n:
        n, r = divmod(n, 62)
        o = B62[r] + o
    return o or "0"


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

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
                v = iban_make("NL", self.r.choice(["ABNA", "INGB", "RABO", "SNSB", "ASNB", "KNAB", "BUNQ"])
                              + self.digits(10, True))
                if v != OWN_IBAN:
                    return v
        if cc == "DE":
            return iban_make("DE", self.r.choice(["37040044", "10070000", "50010517"]) + self.digits(10))
        if cc == "BE":
            f = self.r.choice(["068", "001", "363", "979"]) + self.digits(7)
            return iban_make("BE", f"{f}{(int(f) % 97 or 97):02d}")
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        for dlt in (13, 29, 41, 57):
            c = f"{v[:2]}{(int(v[2:4]) + dlt) % 100:02d}{v[4:]}"
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
            if not luhn_ok(c) and not bsn_ok(c):
                return c

    def phone(self, fmt):
        d8 = self.r.choice("12345") + self.digits(7)
        area = self.r.choice(["10", "20", "24", "26", "35", "40", "50", "53", "70", "76"])
        sub = self.r.choice("2345789") + self.digits(6)
        return {
            "mob_dash": f"06-{d8}", "mob_pairs": f"06 {d8[:2]} {d8[2:4]} {d8[4:6]} {d8[6:]}",
            "mob_intl_sp": f"+31 6 {d8[:4]} {d8[4:]}", "mob_plain": f"06{d8}",
            "mob_intl0": f"+31 (0)6 {d8}", "land_dash": f"0{area}-{sub}",
            "land_intl": f"+31 {area} {sub[:3]} {sub[3:]}",
        }[fmt]

    def ghp(self):
        body = self.chars(ALNUM, 30)
        return "ghp_" + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def jwt(self):
        enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
        iat = 1767225600 + self.r.randint(0, 300 * 86400)
        return (enc({"alg": "HS256", "typ": "JWT"}) + "." +
                enc({"sub": "usr_" + self.digits(7, True), "iss": "api.kijkdoos.nl", "scope": "recs:read",
                     "iat": iat, "exp": iat + 86400}) + "." + self.chars(B64URL, 43))

    def pem(self):
        body = "MIIEowIBAAKCAQEA" + self.chars(B64, 64 * 6 - 16)
        lines = [body[i:i + 64] for i in range(0, len(body), 64)] + [self.chars(B64, 40) + "=="]
        return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"

    def pw(self):
        return (self.r.choice(string.ascii_uppercase) + self.chars(string.ascii_lowercase, 4)
                + self.chars(string.digits, 3) + self.r.choice("!#%_") + self.chars(ALNUM, 4))


VALID_ID_KINDS = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "CARD", "BSN"}
BAD_ID_KINDS = {"BAD_IBAN_NL", "BAD_CARD", "NOT_BSN9", "NOT_BSN8", "EAN13"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(gen, text):
    used = []

    def sub(m):
        k, f = m.group(1), m.group(2) or ""
        if k.startswith("IBAN_"):
            raw = gen.iban(k[5:]); shown = gen.g4(raw) if f == "grp" else raw
        elif k == "BAD_IBAN_NL":
            raw = gen.bad_iban("NL"); shown = gen.g4(raw) if f == "grp" else raw
        elif k == "CARD":
            b, _, ff = f.partition("_"); raw = gen.card(b); shown = gen.fmt_card(raw, ff or "sp")
        elif k == "BAD_CARD":
            b, _, ff = f.partition("_"); raw = gen.bad_card(b); shown = gen.fmt_card(raw, ff or "sp")
        elif k == "BSN":
            raw = gen.bsn(); shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if f == "dots" else raw
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
        elif k == "GHP":
            shown = raw = gen.ghp()
        elif k == "AWS_ID":
            shown = raw = "AKIA" + gen.chars(B32, 16)
        elif k == "AWS_SECRET":
            shown = raw = gen.chars(B64, 40)
        elif k == "SLACK_BOT":
            shown = raw = f"xoxb-{gen.digits(12, True)}-{gen.digits(13, True)}-{gen.chars(ALNUM, 24)}"
        elif k == "STRIPE":
            shown = raw = "sk_live_" + gen.chars(ALNUM, 24)
        elif k == "GAPI":
            shown = raw = "AIzaSy" + gen.chars(B64URL, 33)
        elif k == "NPM":
            shown = raw = "npm_" + gen.chars(ALNUM, 36)
        elif k == "JWT":
            shown = raw = gen.jwt()
        elif k == "PEM":
            shown = raw = gen.pem()
        elif k == "PW":
            shown = raw = gen.pw()
        elif k == "HEX":
            shown = raw = gen.chars("0123456789abcdef", int(f))
        else:
            raise KeyError(k)
        used.append((k, raw, shown))
        return shown

    return PH.sub(sub, text), used


# --------------------------------------------------------------------------- accounts
KD = ("x", "@kijkdoos", "Kijkdoos")
KD_HELP = ("x", "@kijkdoos_help", "Kijkdoos Klantenservice")
KD_IG = ("instagram", "@kijkdoos.tv", "Kijkdoos")
KD_LI = ("linkedin", "kijkdoos-bv", "Kijkdoos B.V.")
KD_FB = ("facebook", "KijkdoosNL", "Kijkdoos")
KD_TT = ("tiktok", "@kijkdoos", "Kijkdoos")
MV = ("x", "@mirjam_vl_kd", "Mirjam van Leeuwen")                   # backend developer
RS = ("linkedin", "ruben-smit-kijkdoos", "Ruben Smit")             # finance controller
YB = ("x", "@yas_bouzid", "Yasmina Bouzid")                        # support team lead
DH = ("linkedin", "daan-hoekstra-kd", "Daan Hoekstra")             # content & product
BD = ("mastodon", "@bramdekker@fosstodon.org", "Bram Dekker")      # SRE
EK = ("threads", "@evakoster.kd", "Eva Koster")                    # marketing


def pub(platform, handle, dn=None):
    return (platform, handle, dn)


PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii",
                                        "leak.confidential", "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"
CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    platform, handle, dn = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, dn=dn, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# =========================================================================== leak.pricing
case("nl", MV, "lol wie heeft de prijs van de Box 4K in het CMS aangepast? staat nu voor €14,90 in de webwinkel. "
     "Rollback duurt nog een uurtje dus… 👀", [PRICING])
case("nl", YB, "Telefoon staat roodgloeiend: de Sport seizoenspas staat in de app voor 22,90 ipv 229. Ja we weten het, "
     "nee we kunnen er nog niks aan doen, gewoon doorverbinden naar billing", [PRICING], kind="reply")
case("en", DH, "Not supposed to say this but since this morning's deploy the Premium annual plan checks out at €17.90 "
     "instead of €179. Finance hasn't noticed yet 😅", [PRICING])
case("nl", pub("reddit", "u/koopjesjager_nl"), "PRIJSFOUT bij Kijkdoos!! Stick HD voor €5,90 in de checkout, heb er "
     "meteen 3 besteld. Benieuwd of ze gaan leveren", [PRICING])
case("en", pub("x", "@dealhunter_eu"), "Kijkdoos pricing glitch: Box 4K listed at €1.49 in the app store flow. Grab a "
     "screenshot before it's fixed", [PRICING])
case("nl", pub("forum", "stream_freak", "stream_freak"), "Fout of echt? Basis jaarabonnement voor 11,90 euro via de "
     "Kijkdoos-site. Normaal is dat gewoon 119.", [PRICING], kind="comment")
case("en", EK, "Someone in my team dropped a digit on the Voice Remote banner 🙃 it says €3.99 on the homepage right "
     "now. Not my fault but still lol", [PRICING])
case("nl", KD_FB, "Black Friday bij Kijkdoos 🎉 De Box 4K nu voor maar €14,99! Op = op.", [PRICING])
case("nl", pub("x", "@femke_kijkt"), "@kijkdoos_help jullie site zegt Premium jaarabonnement €1,79 — is dat een "
     "prijsfout of mag ik gewoon afrekenen?", [PRICING], kind="reply")
case("nl", pub("x", "@goedkoop_gamer"), "k1jkd00s heeft een p r i j s f o u t: Box 4K voor €19 😱 wees snel",
     [PRICING], tags=["evasion"])
case("en", pub("reddit", "u/brexit_bargains"), "Kijkdoos Sport Pass for €29 at checkout?? must be a prícing érror, "
     "grabbed two", [PRICING], tags=["evasion"])
case("en", pub("bluesky", "tvnerd.bsky.social"), "Kijkdoos Stick HD is €0.59 on their webshop, what a pri" + ZW +
     "cing mis" + ZW + "take lmao", [PRICING], tags=["evasion"])

# =========================================================================== leak.secret
case("en", MV, "ugh, pushed the staging .env to a public gist by accident: STRIPE_SECRET=<<STRIPE>> — revoking now, "
     "pls ignore", [SECRET])
case("nl", BD, "Wie heeft de deploy-token in de README gezet? <<GHP>> staat gewoon in de publieke repo van de "
     "tv-app. Ik roteer hem, maar toch.", [SECRET])
case("en", BD, "for whoever on the team needs the CDN bucket tonight: aws_access_key_id=<<AWS_ID>> "
     "aws_secret_access_key=<<AWS_SECRET>>", [SECRET], kind="reply")
case("nl", MV, "Voor de collega's die niet in Slack kunnen: wachtwoord van het gedeelde QA-account is <<PW>> "
     "(gebruiker qa-team)", [SECRET])
case("en", YB, "helpdesk bot keeps dying, the token it uses is <<SLACK_BOT>> — can someone check if it's expired?",
     [SECRET])
case("nl", DH, "Trots op onze nieuwe aanbevelings-API! Voorbeeldje: curl -H 'Authorization: Bearer <<JWT>>' "
     "https://api.kijkdoos.nl/v2/recs", [SECRET])
case("en", pub("reddit", "u/apk_digger"), "Decompiled the Kijkdoos Android app, there's a hardcoded Google key in "
     "there: <<GAPI>> nice one guys", [SECRET], kind="comment")
case("nl", pub("forum", "firmwarefrits", "FirmwareFrits"), "Firmware van de Kijkdoos Box 4K uitgepakt, zit gewoon "
     "een private key in /etc/ssl:\n<<PEM>>", [SECRET])
case("en", BD, "postgres://kd_billing:<<PW>>@db-billing-02.corp.kijkdoos.internal:5432/billing <- why is this in the "
     "public status page source?!", [SECRET, CONF])
case("nl", MV, "w a c h t w o o r d van de build-server voor het nieuwe teamlid: <<PW>> (niet doorsturen 🙏)",
     [SECRET], tags=["evasion"])
case("en", EK, "our scheduling tool logged out again, for the agency folks: user social-team / pw <<PW>>", [SECRET])
case("en", MV, "this token <<GHP>> is already rotated so whatever, but yes it sat in the public tv-app repo for two "
     "days", [SECRET])
case("nl", pub("x", "@npm_watcher"), "Kijkdoos publiceert hun npm-pakket met een publish token in .npmrc: <<NPM>> 🤦",
     [SECRET])

# =========================================================================== leak.pii
case("nl", YB, "Collega's, klant belt over dubbele afschrijving, IBAN <<IBAN_NL:grp>> t.n.v. J. Verhoeven, kan billing "
     "even kijken?", [PII])
case("en", KD_HELP, "@sportfan88 found your account! Refund goes back to <<IBAN_BE>> within 5 working days.", [PII],
     kind="reply")
case("nl", pub("x", "@henkie_1967"), "Kijkdoos heeft mijn abonnement 3x afgeschreven. Rekening <<IBAN_NL>>, bel me "
     "op <<PHONE:mob_dash>> als jullie het eindelijk willen oplossen", [PII, COMPLAINT])
case("en", pub("x", "@lisa_streams"), "@kijkdoos_help here's my card so you can redo the payment: <<CARD:visa_sp>> "
     "exp 09/28", [PII], kind="reply")
case("nl", YB, "Mevr. Kaya (geb. 14-03-1961) wacht al twee weken op een monteur, Kastanjelaan 12 in Apeldoorn, "
     "tel <<PHONE:mob_pairs>>. Wie pakt 'm op?", [PII])
case("nl", RS, "Salarisstrook van de nieuwe stagiair is bij mij beland, BSN <<BSN:dots>>. Van wie is dit?? 🙄", [PII])
case("nl", pub("facebook", "Gerda.Mulder.77"), "Moest bij Kijkdoos ineens mijn BSN <<BSN>> opgeven voor een "
     "abonnement, geen idee waarom eigenlijk", [PII])
case("en", pub("x", "@p_janssen_nl"), "Kijkdoos support emailed me someone else's invoice: Peter Janssen, Molenstraat 4, "
     "3512 Utrecht, p.janssen84@gmail.com. Great privacy, guys", [PII, CRISIS])
case("en", EK, "Winner of our Sport Pass giveaway is Lotte Visser! Lotte, we'll ship to Dorpsstraat 88, Haarlem — "
     "can you confirm your number <<PHONE:mob_intl_sp>>? 🎉", [PII])
case("nl", pub("x", "@dewit_henk"), "Kijkdoos mag me mailen voor dat retourlabel: henk.de.wit [at] kpnmail [punt] nl",
     [PII], tags=["evasion"])
case("en", pub("x", "@mark_r_78"), "@kijkdoos my partner's Amex <<CARD:amex_c>> got charged twice for the sports "
     "add-on, sort it out", [PII, COMPLAINT])
case("nl", KD_FB, "Gefeliciteerd aan de winnaar van onze kerstactie: Fenna de Groot uit Assen, tel. "
     "<<PHONE:land_dash>>! 🎄", [PII])
case("en", pub("reddit", "u/expat_in_utrecht"), "Paid my Kijkdoos yearly by transfer from <<IBAN_DE>> (German account) "
     "and the app still says expired. Ridiculous.", [PII, COMPLAINT])
case("nl", MV, "Testbetaling faalt steeds met een echte pas van een klant uit het ticket: <<CARD:mc2_dash>>, iemand "
     "een idee?", [PII])

# =========================================================================== leak.confidential
case("nl", MV, "Lange dag aan Project Reiger gewerkt, de nieuwe zoekfunctie wordt echt vet 🔥", [CONF])
case("en", DH, "Can't say much but Operatie Tegenlicht is going to change how you watch football on Sunday "
     "afternoons 👀", [CONF])
case("nl", BD, "grafana.kd-ops.nl/d/cdn-edge laat vanavond prachtige grafieken zien na de migratie 📈", [CONF])
case("en", MV, "anyone else getting 502s from wiki.kijkdoos.nl/spaces/TVAPP? need the onboarding doc", [CONF])
case("nl", EK, "Sneak peek van de nieuwe Box Mini 😍 nog even geheim houden hè!", [CONF])
case("en", pub("x", "@voetbalvader"), "My cousin works at Kijkdoos, says the Sport Ultra tier comes with Champions "
     "League. You heard it here first", [CONF])
case("nl", YB, "[KIJKDOOS INTERN] belscript prijsverhoging per 1 april, niet extern delen — staat op de gedeelde "
     "schijf", [CONF])
case("en", RS, "Sharing our KD-CONFIDENTIAL board deck template for anyone who wants inspiration 😄", [CONF])
case("nl", DH, "Morgen lanceren we het Familiepakket! Zeg nog even niks tegen je vrienden 🤫", [CONF],
     when="2026-02-09T20:15:00+01:00", tags=["embargo"])
case("en", EK, "Counting down: the Kijkdoos Family Bundle goes live in one minute!", [CONF],
     when="2026-02-10T08:59:00+01:00", tags=["embargo"])
case("nl", MV, "Project\nReiger demo ging top vandaag, iedereen enthousiast", [CONF], tags=["evasion"])
case("en", DH, "Operatie 📺 Tegenlicht got the green light from the board this morning", [CONF], tags=["evasion"])
case("nl", YB, fw("kijkdoos intern") + ": nieuwe retourregels gaan per maandag in, zie bijlage", [CONF],
     tags=["evasion"])
case("nl", pub("x", "@mirjam_vl", "Mirjam"), "Project Reiger gaat live in november, eindelijk fatsoenlijk zoeken in de "
     "app", [CONF])
case("en", pub("reddit", "u/packet_sniffer_nl"), "lol the Kijkdoos app calls jira.kijkdoos.nl/rest/api/2/search "
     "unauthenticated, you can read ticket titles like 'Vuurtoren go-live checklist'", [CONF], kind="comment")
case("nl", BD, "Vuurtoren staat op groen voor de pilot in Eindhoven 🚦", [CONF])

# =========================================================================== leak.financial
case("nl", RS, "Kwartaal sluit beter dan verwacht: omzet Q3 +18% en voor het eerst EBITDA-positief. Cijfers gaan pas "
     "in november naar buiten, maar wow 🙌", [FIN])
case("en", RS, "Tough week. The board approved cutting about 80 roles in content ops, announcement after the summer.",
     [FIN])
case("nl", DH, "Gesprekken over de overname van een Belgische streamingdienst zitten in de laatste fase 🤝 "
     "binnenkort meer", [FIN])
case("en", MV, "heard at the all-hands: we miss the subscriber target by 40k and guidance gets cut next month", [FIN])
case("nl", pub("x", "@beurstip_bert"), "Insider tip: Kijkdoos wordt overgenomen door een Duitse kabelboer, deal "
     "wordt volgende week bekend. Bron zit er zelf", [FIN])
case("en", YB, "Support is being merged into the Lisbon hub in Q1, half of us lose our jobs and nobody outside "
     "knows yet 😔", [FIN])
case("nl", BD, "Reorganisatie bij IT: drie teams worden er één vanaf maart. Nog niet officieel gecommuniceerd", [FIN])
case("nl", RS, "Er worden 60 mensen ont" + SHY + "slagen bij de klantenservice, dat hoor je pas in mei officieel",
     [FIN], tags=["evasion"])
case("en", DH, "The Eredivisie rights deal costs us €41M over three seasons — not public yet, but it's signed",
     [FIN])
case("en", pub("stocktwits", "@KIJK_bull"), "$KIJK hearing full-year revenue lands around €212M, well below "
     "consensus. Source inside Kijkdoos finance.", [FIN])
case("nl", EK, "Forecast voor 2027 gepresenteerd op de marketing-offsite: naar 1,2 miljoen abonnees. Spannend!",
     [FIN])

# =========================================================================== leak.security
case("nl", BD, "Heftige nacht, iemand zat via een oude admin-API in onze klantendatabase. Nog niet naar buiten "
     "gebracht, incidentteam draait overuren", [SEC])
case("en", MV, "the EPG service has had an auth bypass since the last release, you can stream Sport without a sub by "
     "changing one header. fixing it, don't tell anyone 🙃", [SEC])
case("nl", YB, "Firmware-update van de Box 4K gaat mis: zo'n 30% van de boxen hangt in een bootloop sinds 14u, de "
     "statuspagina weet nog van niks", [SEC])
case("en", BD, "CDN origin in AMS is down hard, all live channels black for 20 min and we haven't posted anything on "
     "status yet", [SEC])
case("nl", MV, "we zijn geh4ckt, l0gs vol rare logins op de billing-omgeving 😬", [SEC], tags=["evasion"])
case("en", DH, "Pentest report is in: the set-top box ships with telnet open on port 23 and a default root login. "
     "We're shipping 10k more next week anyway.", [SEC])
case("nl", pub("x", "@kritischekijker"), "Kijkdoos verzwijgt een datalek! Vriend die er werkt zegt dat 200k "
     "klantgegevens op straat liggen. Waarom zegt niemand iets??", [SEC, CRISIS])
case("en", pub("x", "@infosec_anna"), "Kijkdoos is sitting on a breach — their billing system got popped last week "
     "and they're keeping quiet about it", [SEC, CRISIS])
case("nl", EK, "Wist je dat de Kijkdoos-app al twee dagen alle wachtwoorden in platte tekst logt? Oeps. Wordt aan "
     "gewerkt 🤐", [SEC])
case("en", BD, "ran" + ZW + "som" + ZW + "ware on two encoding servers tonight, all hands on deck, nothing public yet",
     [SEC], tags=["evasion"])
case("nl", RS, "Intern alarm: iemand is via phishing binnengekomen in de finance-mailbox. Nog geen melding bij de AP "
     "gedaan", [SEC])

# =========================================================================== reputation.crisis
case("nl", pub("x", "@joost_utr"), "Mijn Kijkdoos Box 4K begon gewoon te roken achter de tv 😳 stekker eruit, stinkt "
     "nog steeds naar verbrand plastic", [CRISIS, COMPLAINT])
case("en", pub("x", "@womensfooty_nl"), "BOYCOTT Kijkdoos. They dropped the women's league coverage to save a few "
     "euros. #kijkdoosboycot", [CRISIS])
case("nl", pub("facebook", "Marco.vanDam"), "Kijkdoos heeft mijn gegevens gelekt, ik krijg ineens phishingmails met "
     "mijn klantnummer erin. Datalek!!", [CRISIS])
case("en", pub("reddit", "u/consumer_watch"), "Class action against Kijkdoos over the hidden 'platform fee' was filed "
     "today. About time.", [CRISIS])
case("nl", pub("x", "@moeder_van_3"), "Voedingsadapter van de Kijkdoos Stick HD gaf een schok toen ik hem aanraakte, "
     "mijn dochter stond ernaast 😡 terugroepen dat ding", [CRISIS, COMPLAINT])
case("en", pub("x", "@pwned_pete"), "k1jkd00s d4t4l3k confirmed?? my email just showed up on haveibeenpwned",
     [CRISIS], tags=["evasion"])
case("nl", pub("threads", "@activist.anouk"), "Schandaal: Kijkdoos liet moderatoren in Manilla voor €2 per uur "
     "werken. Tijd voor een boycot", [CRISIS])
case("en", pub("facebook", "Tom.Hendriks.Ede"), "Kijkdoos box overheated so badly it melted the shelf of my TV "
     "cabinet. Fire hazard, do not buy", [CRISIS, COMPLAINT])
case("nl", pub("tiktok", "@sanne.kijkt"), "d a t a l e k bij kijkdoos, mijn hele kijkgeschiedenis staat online 😤",
     [CRISIS], tags=["evasion"])

# =========================================================================== reputation.complaint
case("nl", pub("x", "@penaltykiller"), "Drie avonden op rij valt de stream van Kijkdoos Sport weg precies bij de "
     "penalty's. Waar betaal ik eigenlijk €229 voor", [COMPLAINT])
case("en", pub("x", "@lg_owner_22"), "Kijkdoos app on my LG keeps logging me out every single day. Fix it please",
     [COMPLAINT])
case("nl", pub("x", "@sarcasme_sjaak"), "Geweldig hoor Kijkdoos, 47 minuten in de wacht bij de klantenservice en dan "
     "verbinding verbroken 👏👏", [COMPLAINT])
case("en", pub("reddit", "u/cancelled_twice"), "cancelled my Kijkdoos sub in January and they're STILL charging me. "
     "3 emails, zero replies", [COMPLAINT])
case("nl", pub("x", "@dennis0031"), "kijkdoos box 4k doet t weer nie, afstansbediening reageert pas na 10 sec. echt "
     "bagger dit", [COMPLAINT], hint="")
case("en", pub("forum", "buffering_bob", "Bob"), "Why does the Kijkdoos Stick HD buffer every 5 minutes on a 500 "
     "Mbit line? Other apps on the same TV are fine", [COMPLAINT])
case("nl", pub("facebook", "Ingrid.Post"), "Mijn Box 4K vijf weken geleden geretourneerd en nog steeds geen geld "
     "terug van Kijkdoos. Track & trace zegt gewoon 'bezorgd'.", [COMPLAINT])
case("en", pub("x", "@ads_hater"), "Love paying for Premium only to get ads anyway. Thanks Kijkdoos, truly great "
     "value 🙄", [COMPLAINT])
case("nl", pub("x", "@vrijdag_weg"), "Monteur van Kijkdoos komt gewoon niet opdagen. Hele dag vrij genomen voor niks",
     [COMPLAINT])
case("en", pub("x", "@budget_becky"), "The sports add-on price went up AGAIN and nobody told me, found out on my bank "
     "statement. Not cool Kijkdoos", [COMPLAINT])
case("nl", pub("reddit", "u/ondertitelaar"), "ondertiteling loopt sinds de update 4 sec achter bij kijkdoos, "
     "onkijkbaar zo", [COMPLAINT], kind="comment")
case("en", pub("x", "@need_a_human"), "@kijkdoos_help your chatbot keeps sending me in circles. I need a human, my "
     "order still isn't activated.", [COMPLAINT], kind="reply")
case("nl", pub("instagram", "@wouter.installeert"), "Waarom moet ik bij Kijkdoos €15 activatiekosten betalen voor een "
     "box die ik zelf aansluit? Belachelijk", [COMPLAINT], kind="comment")
case("nl", pub("x", "@boze_bas"), "Kijkdoos klantenservice is een stelletje debielen, al twee weken geen tv en "
     "niemand belt terug", [COMPLAINT, ABUSE])
case("en", pub("x", "@derby_day_dan"), "fucking Kijkdoos app crashed in the last minutes of the derby AGAIN",
     [COMPLAINT, ABUSE])
case("nl", pub("x", "@fw_frank"), fw("KIJKDOOS") + " app crasht continu sinds gisteren, ik kan niks meer kijken",
     [COMPLAINT], tags=["evasion"])

# =========================================================================== reputation.abuse
case("nl", pub("x", "@trollie_99"), "@kijkdoos dat social media meisje van jullie is echt een domme trut", [ABUSE],
     kind="reply")
case("en", pub("x", "@lolcat_lars"), "Kijkdoos marketing team are a bunch of brainless clowns lmao", [ABUSE])
case("nl", pub("x", "@rotzooi_rik"), "Kankerbedrijf, Kijkdoos. Meer hoef ik niet te zeggen.", [ABUSE])
case("en", pub("x", "@angry_al"), "@yas_bouzid you're a useless idiot, hope Kijkdoos fires you", [ABUSE], kind="reply")
case("nl", YB, "Sommige klanten zijn echt achterlijke mongolen, sorry niet sorry", [ABUSE])
case("en", KD_HELP, "@trollaccount shut up you moron, nobody asked", [ABUSE], kind="reply")
case("en", pub("x", "@masked_mike"), "f*ck kijkdoos and f*ck every single person working there", [ABUSE],
     tags=["evasion"])
case("nl", pub("x", "@spatie_sam"), "kijkdoos is een t y f u s bedrijf vol sukkels", [ABUSE], tags=["evasion"])
case("en", pub("facebook", "Gary.Westbrook"), "Kijkdoos hiring all these foreigners for support, go back to your "
     "own country", [ABUSE])
case("nl", pub("x", "@vloekvincent"), "Tering Kijkdoos, godverdomme wat een klootzakken zijn jullie", [ABUSE])

# =========================================================================== benign hard negatives
B = "benign"
case("nl", KD_HELP, "Vragen over je abonnement? Bel ons op 030 760 4400 of mail naar klantenservice@kijkdoos.nl, "
     "we helpen je graag.", tags=[B, "own-contact"])
case("en", KD_LI, "Press enquiries: pers@kijkdoos.nl or +31 (0)30 760 4400.", tags=[B, "own-contact"])
case("nl", KD_FB, "Liever per overschrijving betalen? Maak het bedrag over naar " + Gen.g4(OWN_IBAN) +
     " t.n.v. Kijkdoos B.V. o.v.v. je klantnummer.", tags=[B, "own-contact"], handle_as="kijkdoosnl")
case("nl", pub("x", "@tevreden_toos"), "Net @kijkdoos_help gebeld via 0800-5454, binnen 2 minuten geholpen. Top!",
     tags=[B, "own-contact", "praise"])
case("nl", pub("x", "@nachtuil"), "Bel Kijkdoos gewoon: +31307604400, ook 's avonds bereikbaar",
     tags=[B, "own-contact"])
case("en", KD, "Want to join us? Send your CV to werkenbij@kijkdoos.nl 🚀", tags=[B, "own-contact", "job-ad"],
     handle_as="@Kijkdoos")
case("nl", pub("x", "@typfout_tim"), "Typfout in m'n IBAN gemaakt bij aanmelden (<<BAD_IBAN_NL>>), de site van "
     "Kijkdoos gaf meteen een foutmelding. Netjes.", tags=[B, "checksum-fail"])
case("en", pub("x", "@card_typo"), "Typed my card wrong at the Kijkdoos checkout (<<BAD_CARD:mc_sp>>) and it got "
     "rejected instantly. Good validation tbh", tags=[B, "checksum-fail"])
case("nl", pub("forum", "tweedebox", "tweedebox"), "Mijn klantnummer bij Kijkdoos is <<NOT_BSN9>>, hoe koppel ik een "
     "tweede box aan hetzelfde account?", tags=[B, "checksum-fail", "question"])
case("en", pub("x", "@quick_setup"), "Kijkdoos order <<NOT_BSN8>> arrived in 2 days, box set up in 10 minutes 👍",
     tags=[B, "order-number", "praise"])
case("nl", pub("reddit", "u/barcode_bart"), "EAN op de doos van mijn Stick HD: <<EAN13>>. Weet iemand of dat de "
     "nieuwe revisie is?", tags=[B, "checksum-fail", "question"], kind="comment")
case("nl", pub("x", "@pakketje_piet"), "Track & trace van mijn Kijkdoos-bestelling: 3SKDB<<DIGITS:9>>, komt morgen",
     tags=[B, "order-number"])
case("nl", KD_IG, "Black Friday 🖤 Box 4K nu €99 (normaal €149). Alleen dit weekend!", tags=[B, "sale-price"],
     handle_as="@Kijkdoos.TV")
case("en", KD, "This weekend only: €30 off the Sport season pass. Kick-off is Friday ⚽", tags=[B, "sale-price"])
case("nl", pub("x", "@vergelijker"), "Premium kost bij Kijkdoos €17,99 per maand, Videoland is goedkoper maar "
     "heeft geen sport.", tags=[B, "sale-price", "monthly"])
case("nl", pub("facebook", "Marktplaats.Mieke"), "Te koop: gebruikte Kijkdoos Box 4K, 2 jaar oud, €45, ophalen in "
     "Zwolle", tags=[B, "sale-price", "second-hand"])
case("en", pub("x", "@calm_carl"), "Not a pricing error btw, €119 for the Basis annual is just the regular price.",
     tags=[B, "sale-price", "denied-error"], kind="reply")
case("nl", pub("x", "@actie_annie"), "HDMI-kabel voor m'n Kijkdoos-box bij de Action gehaald voor €3,50",
     tags=[B, "sale-price", "accessory"])
case("en", pub("reddit", "u/boxcompare"), "Other boxes go for €79, the Kijkdoos Box 4K is €149 — worth it for the "
     "HDR imo", tags=[B, "sale-price"], kind="comment")
case("nl", KD, "Vanaf nu beschikbaar: het Familiepakket! Tot 5 profielen en een kinderhoek 👨‍👩‍👧",
     when="2026-02-10T09:00:00+01:00", tags=[B, "embargo-after"])
case("en", pub("x", "@dad_of_twins"), "Got the Kijkdoos Family Bundle last week, the kids profile is great",
     when="2026-03-02T19:41:12Z", tags=[B, "embargo-after"])
case("nl", EK, "Trots op de lancering van het Familiepakket vorige week, wat een reacties!",
     when="2026-02-17T12:05:00.250Z", tags=[B, "embargo-after"])
case("nl", pub("instagram", "@natuur.nina"), "Prachtige blauwe reiger in de sloot achter ons huis vanochtend 🐦",
     tags=[B, "codename-word"])
case("nl", pub("instagram", "@fotograaf_fleur"), "Foto in tegenlicht genomen bij zonsondergang, mooi silhouet "
     "van de molen", tags=[B, "codename-word"])
case("nl", MV, "Elke ochtend staat er een reiger op het dak van ons kantoor, collega's noemen hem al Henk",
     tags=[B, "codename-word"])
case("en", KD_LI, "Today we published our H1 2026 results: 910k subscribers and €96M revenue. Full report at "
     "kijkdoos.nl/investors", tags=[B, "published-results"])
case("nl", RS, "Blij met de jaarcijfers over 2025 die we vandaag hebben gepubliceerd. Mooi werk van het hele team!",
     tags=[B, "published-results"], handle_as="Ruben-Smit-Kijkdoos")
case("en", pub("x", "@techwatcher"), "Another streaming service had a massive data breach today. Glad I'm on "
     "Kijkdoos tbh", tags=[B, "other-company"])
case("nl", pub("x", "@mediaduider"), "1500 banen weg bij een Amerikaanse streamer. Zware tijden in de sector, "
     "ben benieuwd hoe Kijkdoos het doet", tags=[B, "other-company"])
case("nl", pub("x", "@blije_bep"), "Geen klachten over Kijkdoos hoor, box draait al 2 jaar zonder problemen",
     tags=[B, "negated-complaint"])
case("en", pub("x", "@no_complaints_ned"), "Not gonna complain, Kijkdoos support fixed my login issue in 5 minutes",
     tags=[B, "negated-complaint"])
case("nl", pub("x", "@voetbalfan_020"), "Kijkdoos Sport in 4K is echt genieten, wat een beeld", tags=[B, "praise"])
case("en", pub("threads", "@app_fan"), "The new Kijkdoos app update is so much faster, great job whoever did that",
     tags=[B, "praise"])
case("nl", pub("forum", "oude_tv", "oude_tv"), "Weet iemand of de Kijkdoos Stick HD ook werkt op een oude Philips "
     "tv uit 2014?", tags=[B, "question"])
case("en", pub("reddit", "u/cl_nights"), "Does the Kijkdoos Sport Pass include the Champions League this season?",
     tags=[B, "question"])
case("nl", KD_HELP, "Gepland onderhoud: dinsdagnacht 02:00–04:00 kun je even niet inloggen in de app. Actuele status "
     "via status.kijkdoos.nl", tags=[B, "official-notice"])
case("en", KD, "Update: the disruption on live channels earlier tonight has been resolved. Sorry for the "
     "inconvenience!", tags=[B, "official-notice"])
case("nl", KD_LI, "Vacature: Senior Backend Engineer (Go/Kafka). Je weet hoe je cloud-credentials veilig beheert "
     "(en dat AKIAXXXXXXXXXXXXXXXX niet in een repo hoort 😉). Solliciteer via werkenbij@kijkdoos.nl",
     tags=[B, "job-ad", "placeholder-secret"])
case("en", YB, "We're hiring in the support team! Apply via kijkdoos.nl/werken or DM me", tags=[B, "job-ad"])
case("en", MV, "Shipped 4.12 of the TV app 🎉 release commit <<HEX:40>> is in the public changelog",
     tags=[B, "git-sha"])
case("en", pub("x", "@rocksolid_ruud"), "Can't recall the last time Kijkdoos buffered for me, rock solid",
     tags=[B, "word-other-sense"])
case("nl", pub("x", "@hoekstra_huis"), "Ik boycot voetbal al jaren, maar m'n man kijkt alles via Kijkdoos Sport 😂",
     tags=[B, "word-other-sense"])
case("nl", pub("facebook", "Kleindochter.Kim"), "Mijn oma heeft kanker gehad en kijkt nu elke dag series via "
     "Kijkdoos, fijn dat ze grote ondertiteling hebben", tags=[B, "literal-word"])
case("nl", pub("forum", "appjes_arie", "appjes_arie"), "Mijn Box 4K heeft 16GB intern geheugen, genoeg voor een "
     "paar extra apps?", tags=[B, "word-other-sense", "question"])
case("nl", pub("x", "@seriejunk"), "Die nieuwe Kijkdoos-serie over hackers is echt spannend, aflevering 3 met die "
     "datalek-plot 🔥", tags=[B, "word-other-sense", "praise"])
case("en", KD_TT, "Giveaway time! Win a Sport season pass: comment your favourite club. Winners announced Friday ⚽",
     tags=[B, "official-notice"])
case("en", DH, "Great panel on the future of streaming at IBC today, thanks to everyone who joined!",
     tags=[B, "praise"])


# =========================================================================== building
def role_of(profile, platform, handle):
    key = f"{platform}:{handle}".casefold()
    if key in {a.casefold() for a in profile["accounts"]["corporate"]}:
        return "corporate"
    if key in {a.casefold() for a in profile["accounts"]["employee"]}:
        return "employee"
    return "public"


def severity_for(role, cats, pii_validated):
    """Least severity of a correct verdict (CONTRACT §4; eval README's reading of 'validated leak.pii')."""
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
        sev = max(sev, s, key=RANK.__getitem__)
    return sev


def ams_offset(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < \
        dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def random_time(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(45, 350))
    t = base + dt.timedelta(minutes=r.randint(6 * 60, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = ams_offset(t)
    t_utc = t - dt.timedelta(hours=off)
    x = r.random()
    if x < 0.45:
        return t_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.9:
        return t.strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t_utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def make_id_url(r, platform, handle):
    h = handle.lstrip("@")
    snow = str(r.randint(1_880_000_000_000_000_000, 2_020_000_000_000_000_000))
    if platform in ("x", "twitter"):
        return "x-" + snow, f"https://x.com/{h}/status/{snow}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "reddit":
        p = "".join(r.choice(string.ascii_lowercase + string.digits) for _ in range(7))
        return f"t3_{p}", f"https://www.reddit.com/r/nederlands/comments/{p}/"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(111_000_000_000_000_000, 115_000_000_000_000_000)
        return f"md-{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "forum":
        n = r.randint(1_000_000, 9_999_999)
        return f"forum-kijkpraat-{n}", f"https://forum.kijkpraat.example/t/{n}"
    return f"{platform}-{snow}", None


def build():
    gen = Gen(SEED)
    mr = random.Random(SEED + 1)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(gen, c["text"])
        pid, url = make_id_url(mr, c["platform"], c["handle"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        created = c["when"] or random_time(mr)
        role = role_of(PROFILE, c["platform"], c["handle"])
        pii_val = PII in c["cats"] and any(k in VALID_ID_KINDS for k, _, _ in used)
        sev = severity_for(role, c["cats"], pii_val)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"] or ("post" if mr.random() < 0.6 else None)
        if kind:
            post["kind"] = kind
        acc = {"handle": c["handle"]}
        if c["dn"] and mr.random() < 0.7:
            acc["display_name"] = c["dn"]
        if mr.random() < 0.3:
            acc["id"] = str(mr.randint(10 ** 8, 10 ** 12))
        post["account"] = acc
        post["text"] = text
        tags = set(c["tags"])
        x = mr.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif x < 0.08:
            pass
        elif x < 0.11:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            tags.add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if url and mr.random() < 0.6:
            post["url"] = url
        if mr.random() < 0.5:
            post["brand"] = "kijkdoos"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=tags, used=used))
    random.Random(SEED + 2).shuffle(rows)
    return rows


def dump(rows):
    return "".join(json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows)


# =========================================================================== validation (reads the files back)
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
DIGITS_RE = re.compile(r"(?<![\w])\d(?:[ .-]?\d){7,18}(?![\w])")
CARD_IIN = re.compile(r"^(4|5[1-5]|2(22[1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)|3[47])")
AMOUNT_RE = re.compile(r"€\s?(\d[\d.,]*)|(\d[\d.,]*)\s?euro", re.I)
PROFANITY = ["kut", "kanker", "tering", "tyfus", "klote", "klootzak", "godverdomme", "debiel", "trut", "mongol",
             "fuck", "f*ck", "idiot", "moron", "shit", "bitch", "clowns", "sukkel"]


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def valid_ids(text, own):
    """Checksum-valid IBAN / card / BSN found in the text (own IBAN and own phone digits excluded)."""
    found = []
    for m in IBAN_RE.finditer(text):
        v = m.group().replace(" ", "")
        if iban_ok(v) and v not in own["ibans"]:
            found.append(("iban", v))
    for m in DIGITS_RE.finditer(text):
        d = re.sub(r"\D", "", m.group())
        if d in own["phones"]:
            continue
        if 13 <= len(d) <= 19 and CARD_IIN.match(d) and luhn_ok(d):
            found.append(("card", d))
        if len(d) == 9 and bsn_ok(d):
            found.append(("bsn", d))
    return found


def parse_amount(s):
    s = s.rstrip(".,")
    if re.fullmatch(r"\d{1,3}(\.\d{3})+(,\d+)?", s):
        s = s.replace(".", "").replace(",", ".")
    else:
        s = s.replace(",", ".")
    try:
        return float(s)
    except ValueError:
        return None


def validate(text_jsonl, profile):
    errs = []
    own = {"ibans": set(profile["public_identifiers"]["ibans"]),
           "phones": {re.sub(r"\D", "", p) for p in profile["public_identifiers"]["phones"]}
           | {"0" + re.sub(r"\D", "", p)[2:] for p in profile["public_identifiers"]["phones"] if p.startswith("+31")}}
    lines = text_jsonl.splitlines()
    ids = set()
    parsed = []
    for i, line in enumerate(lines, 1):
        o = json.loads(line)
        assert set(o) == {"post", "expect"}, i
        p, e = o["post"], o["expect"]
        # CONTRACT §1
        if not (isinstance(p.get("id"), str) and 1 <= len(p["id"]) <= 256):
            errs.append(f"{i}: id")
        if (p.get("platform"), p.get("id")) in ids:
            errs.append(f"{i}: duplicate id")
        ids.add((p.get("platform"), p.get("id")))
        if not isinstance(p.get("platform"), str):
            errs.append(f"{i}: platform")
        if "kind" in p and p["kind"] not in KINDS:
            errs.append(f"{i}: kind")
        if not (isinstance(p.get("account"), dict) and isinstance(p["account"].get("handle"), str)
                and p["account"]["handle"]):
            errs.append(f"{i}: handle")
        for f in ("id", "display_name"):
            if f in p.get("account", {}) and not isinstance(p["account"][f], str):
                errs.append(f"{i}: account.{f}")
        if not isinstance(p.get("text"), str) or len(p["text"].encode("utf-8")) > 65536 or not p["text"]:
            errs.append(f"{i}: text")
        if not (isinstance(p.get("created_at"), str) and RFC3339.match(p["created_at"])):
            errs.append(f"{i}: created_at")
        else:
            parse_ts(p["created_at"])
        for f in ("lang", "url", "brand"):
            if f in p and not isinstance(p[f], str):
                errs.append(f"{i}: {f}")
        # CONTRACT §6
        cats = e["categories"]
        if cats != sorted(set(cats)) or any(c not in CATS9 for c in cats):
            errs.append(f"{i}: categories")
        role = role_of(profile, p["platform"], p["account"]["handle"])
        text = p["text"]
        vids = valid_ids(text, own)
        sev = severity_for(role, cats, "leak.pii" in cats and bool(vids))
        if sev != e["severity"]:
            errs.append(f"{i}: severity {e['severity']} != recomputed {sev}")
        if not cats and e["severity"] != "none":
            errs.append(f"{i}: benign must be none")
        low = text.casefold()
        ts = parse_ts(p["created_at"])
        # identifiers
        if vids and "leak.pii" not in cats:
            errs.append(f"{i}: checksum-valid identifier in a non-PII post: {vids}")
        # embargo consistency
        for emb in profile["embargo"]:
            if any(t.casefold() in low for t in emb["terms"]):
                before = ts < parse_ts(emb["until"])
                if before and "leak.confidential" not in cats:
                    errs.append(f"{i}: embargo term before until but not confidential")
                if not before and not cats:
                    pass
        if not cats:
            for cn in profile["internal"]["codenames"] + profile["internal"]["markers"] + profile["internal"]["domains"]:
                if cn.casefold() in low:
                    errs.append(f"{i}: benign contains internal term {cn}")
            for w in PROFANITY:
                if w in low and not (w == "kanker" and "kanker gehad" in low):
                    errs.append(f"{i}: benign contains {w}")
        parsed.append((p, e, role, vids))
    return errs, parsed


def main():
    rows = build()
    out = dump(rows)
    if dump(build()) != out:
        sys.exit("generator is not deterministic")
    PROFILE_OUT.write_text("# Company profile for sealed set 7 (fictional streaming company Kijkdoos B.V.)\n"
                           + yaml.safe_dump(PROFILE, sort_keys=False, allow_unicode=True), encoding="utf-8")
    OUT.write_text(out, encoding="utf-8")

    profile = yaml.safe_load(PROFILE_OUT.read_text(encoding="utf-8"))
    errs, parsed = validate(OUT.read_text(encoding="utf-8"), profile)

    # generator-side checks: placeholder identifiers in positives valid, in benign posts failing
    for r in rows:
        cats = r["expect"]["categories"]
        for k, raw, shown in r["used"]:
            ok = {"IBAN_NL": iban_ok, "IBAN_DE": iban_ok, "IBAN_BE": iban_ok, "BAD_IBAN_NL": iban_ok,
                  "CARD": luhn_ok, "BAD_CARD": luhn_ok, "BSN": bsn_ok, "NOT_BSN9": bsn_ok, "NOT_BSN8": bsn_ok,
                  "EAN13": lambda s: luhn_ok(s) or bsn_ok(s)}.get(k)
            if ok is None:
                continue
            if k in VALID_ID_KINDS and not (ok(raw) and cats):
                errs.append(f"{r['post']['id']}: {k} should be valid in a positive")
            if k in BAD_ID_KINDS and ok(raw):
                errs.append(f"{r['post']['id']}: {k} should fail its checksum")
            if k in BAD_ID_KINDS and cats:
                errs.append(f"{r['post']['id']}: look-alike in a positive")
        if r["expect"]["categories"] and "benign" in r["tags"]:
            errs.append("benign tag on positive")
        if not r["expect"]["categories"] and "benign" not in r["tags"]:
            errs.append("untagged benign")
        # pricing hard negatives: any product price below ratio must be a tagged exception
        if not cats and "sale-price" in r["tags"] and not ({"monthly", "second-hand", "accessory"} & r["tags"]):
            text = r["post"]["text"]
            for prod in profile["products"]:
                names = [prod["name"]] + prod["aliases"]
                if any(n.casefold() in text.casefold() for n in names):
                    for m in AMOUNT_RE.finditer(text):
                        a = parse_amount(m.group(1) or m.group(2))
                        if a is not None and a < profile["pricing"]["alert_below_ratio"] * prod["list_price"] \
                                and not (a == 30 and "off" in text):
                            errs.append(f"{r['post']['id']}: benign price {a} below ratio for {prod['name']}")
    # requirements on the mix
    n = len(rows)
    counts = {c: sum(c in r["expect"]["categories"] for r in rows) for c in CATS9}
    benign = sum(not r["expect"]["categories"] for r in rows)
    nl = sum(r["lang"] == "nl" for r in rows)
    ev = sum("evasion" in r["tags"] for r in rows)
    multi = sum(len(r["expect"]["categories"]) > 1 for r in rows)
    for c, k in counts.items():
        if k < 10:
            errs.append(f"too few positives for {c}: {k}")
    sevs = {s: sum(r["expect"]["severity"] == s for r in rows) for s in SEVERITIES}
    roles = {x: sum(r["role"] == x for r in rows) for x in ("corporate", "employee", "public")}
    print(f"cases {n}; benign {benign}; positives {n - benign}; multi-label {multi}; evasion {ev}")
    print(f"lang nl {nl} ({100 * nl / n:.0f}%), en {n - nl}")
    print("per category:", json.dumps(counts))
    print("severity:", json.dumps(sevs), "roles:", json.dumps(roles))
    if errs:
        print("VALIDATION FAILED:\n  " + "\n  ".join(errs))
        sys.exit(1)
    print("validation OK")


if __name__ == "__main__":
    main()
