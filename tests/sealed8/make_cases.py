#!/usr/bin/env python3
"""Sealed blind evaluation set for postwatch: company "Stekker.nl B.V.".

    python3 make_cases.py          # write profile.yaml + cases.jsonl, then validate them
    python3 make_cases.py --check  # only validate what is on disk (and compare with a regeneration)

Deterministic (SEED). Python 3.11 stdlib + PyYAML. Post texts are hand-written below;
identifiers and secrets come from <<PLACEHOLDER>>s filled by a seeded RNG. Positives get
checksum-valid IBAN/card/BSN values, hard negatives get look-alikes that fail their checks.
Severities are computed by severity_for() (CONTRACT section 4 + eval README reading),
never typed by hand.
"""
import argparse, base64, datetime as dt, json, random, re, string, sys, unicodedata, zlib
from collections import Counter
from pathlib import Path

import yaml

SEED = 8_2026_0517
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE_OUT = HERE / "profile.yaml"

TAXONOMY = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse",
            "reputation.spike"]
SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
KINDS = ["post", "reply", "repost", "comment", "message"]
PLATFORMS = ["x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"]
ZW, SHY = "\u200b", "\u00ad"


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) - 0x21 + 0xFF01) if "!" <= c <= "~" else c for c in s)


# ---------------------------------------------------------------- checksums
def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


def iban_make(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return f"{cc}{98 - n % 97:02d}{bban}"


def luhn_ok(d):
    d = re.sub(r"\D", "", d)
    tot = 0
    for i, ch in enumerate(reversed(d)):
        v = int(ch) * (2 if i % 2 else 1)
        tot += v - 9 if v > 9 else v
    return bool(d) and tot % 10 == 0


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
    o = ""
    while n:
        n, r = divmod(n, 62)
        o = B62[r] + o
    return o or "0"


OWN_IBAN = iban_make("NL", "RABO0330487215")

# ---------------------------------------------------------------- profile
PROFILE = {
    "company": "Stekker.nl B.V.",
    "brands": ["Stekker", "Stekker.nl", "Stekker Reparatie"],
    "accounts": {
        "corporate": ["x:@stekker_nl", "x:@stekkerhelpt", "instagram:@stekker.nl",
                      "linkedin:stekker-nl", "facebook:StekkerNL"],
        "employee": ["x:@mo_haddou", "linkedin:lotte-van-dijk-stekker", "x:@bramk_dev",
                     "instagram:@eva.repairs", "linkedin:ruben-de-graaf-it", "threads:@yara.stekker"],
    },
    "public_identifiers": {
        "emails": ["klantenservice@stekker.nl", "reparatie@stekker.nl", "pers@stekker.nl",
                   "werkenbij@stekker.nl"],
        "phones": ["+31 30 799 4410", "0800-7835"],
        "ibans": [OWN_IBAN],
        "domains": ["stekker.nl", "www.stekker.nl", "reparatie.stekker.nl"],
    },
    "internal": {
        "domains": ["corp.stekker.lan", "gitlab.stekker.io", "grafana.stekker.io", "werkbank.stekker.nl"],
        "codenames": ["Project Hagelslag", "Operatie Dijkgraaf", "Project Vuurtoren"],
        "markers": ["stekker-intern", "niet extern delen", "stekker confidential"],
    },
    "embargo": [
        {"terms": ["halfjaarcijfers 2026", "H1-cijfers", "H1 2026 results", "half-year results 2026"],
         "until": "2026-07-23T05:00:00Z"},
        {"terms": ["Zwaluw X2", "ZwaluwX2"], "until": "2027-03-02T08:00:00Z"},
    ],
    "products": [
        {"sku": "SK-WM9", "name": "Stekker Wasmeester 9 wasmachine",
         "aliases": ["Wasmeester 9", "Wasmeester9"], "list_price": 829.00, "currency": "EUR"},
        {"sku": "SK-LUMO15", "name": "Stekker Lumo 15 laptop",
         "aliases": ["Lumo 15", "Lumo15"], "list_price": 1099.00, "currency": "EUR"},
        {"sku": "SK-ZX1", "name": "Stekker Zwaluw X1 robotstofzuiger",
         "aliases": ["Zwaluw X1", "ZwaluwX1", "Zwaluw X1 robot vacuum"], "list_price": 549.00, "currency": "EUR"},
        {"sku": "SK-ANC", "name": "Stekker Stilte ANC koptelefoon",
         "aliases": ["Stilte ANC", "Stilte koptelefoon", "Stilte headphones"], "list_price": 249.00,
         "currency": "EUR"},
        {"sku": "SK-POL60", "name": "Stekker Polar 60 koel-vriescombinatie",
         "aliases": ["Polar 60", "Polar60"], "list_price": 899.00, "currency": "EUR"},
        {"sku": "SK-ZG5", "name": "Stekker Zorgeloos 5 jaar garantie",
         "aliases": ["Zorgeloos 5", "Zorgeloos garantie", "Zorgeloos extended warranty"],
         "list_price": 129.00, "currency": "EUR"},
    ],
    "pricing": {"alert_below_ratio": 0.5},
}
PROFILE_HEADER = ("# Company profile for the sealed8 blind evaluation set (cases.jsonl).\n"
                  "# Fictional Dutch consumer-electronics/home-appliance webshop with a repair service.\n"
                  "# Generated by make_cases.py; do not edit by hand.\n")


# ---------------------------------------------------------------- generator
class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def digits(self, n, nz=True):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def chars(self, a, n):
        return "".join(self.r.choice(a) for _ in range(n))

    def iban(self, cc):
        if cc == "NL":
            while True:
                v = iban_make("NL", self.r.choice(["INGB", "ABNA", "RABO", "SNSB", "BUNQ", "KNAB", "ASNB"])
                              + self.digits(10))
                if v != OWN_IBAN:
                    return v
        if cc == "DE":
            return iban_make("DE", self.r.choice(["12030000", "50070010", "20050550"]) + self.digits(10, False))
        if cc == "BE":
            f = self.r.choice(["063", "310", "733"]) + self.digits(7, False)
            return iban_make("BE", f + f"{int(f) % 97 or 97:02d}")
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        for delta in (7, 19, 31, 43):
            c = f"{v[:2]}{(int(v[2:4]) + delta) % 100:02d}{v[4:]}"
            if not iban_ok(c):
                return c
        raise AssertionError

    def card(self, brand):
        p = {"visa": lambda: "4" + self.digits(14, False),
             "mc": lambda: "5" + self.r.choice("12345") + self.digits(13, False),
             "mc2": lambda: str(self.r.randint(2221, 2720)) + self.digits(11, False),
             "amex": lambda: self.r.choice(["34", "37"]) + self.digits(12, False)}[brand]()
        for d in "0123456789":
            if luhn_ok(p + d):
                return p + d

    def bad_card(self, brand):
        v = self.card(brand)
        b = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_ok(b)
        return b

    def bsn(self):
        while True:
            s = self.digits(9)
            if bsn_ok(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.digits(n)
            if not bsn_ok(s) and not luhn_ok(s):
                return s

    def ean13(self):
        while True:
            body = "87" + self.digits(10, False)
            c = next(body + d for d in "0123456789" if ean13_ok(body + d))
            if not luhn_ok(c):
                return c

    def phone(self, fmt):
        if fmt.startswith("mob"):
            d8 = self.r.choice("12345678") + self.digits(7, False)
            return {"mob_dash": f"06-{d8}", "mob_intl_sp": f"+31 6 {d8[:4]} {d8[4:]}",
                    "mob_pairs": f"06 {d8[:2]} {d8[2:4]} {d8[4:6]} {d8[6:]}", "mob_0031": f"0031 6{d8}",
                    "mob_intl0": f"+31 (0)6 {d8}"}[fmt]
        area = self.r.choice(["10", "20", "38", "40", "50", "70", "73"])
        sub = self.r.choice("2345789") + self.digits(6, False)
        return {"land_sp": f"0{area} {sub[:3]} {sub[3:5]} {sub[5:]}", "land_dash": f"0{area}-{sub}"}[fmt]

    def ghp(self):
        body = self.chars(ALNUM, 30)
        return "ghp_" + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def jwt(self):
        enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
        iat = 1767225600 + self.r.randint(0, 300 * 86400)
        return (enc({"alg": "HS256", "typ": "JWT"}) + "." +
                enc({"sub": "klant_" + self.digits(7), "iss": "api.stekker.nl", "scope": "account",
                     "iat": iat, "exp": iat + 7200}) + "." + self.chars(B64URL, 43))

    def pem(self):
        body = "MIIEowIBAAKCAQEA" + self.chars(B64, 64 * 6 - 16)
        lines = [body[i:i + 64] for i in range(0, len(body), 64)] + [self.chars(B64, 40) + "=="]
        return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"

    def password(self):
        return (self.r.choice("BCDFGKMPRSTVZ") + self.chars(string.ascii_lowercase, 4) + self.digits(3, False)
                + self.r.choice("!#$%*") + self.chars(ALNUM, 4))


VALID_KINDS = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "CARD", "BSN"}
BAD_KINDS = {"BAD_IBAN_NL", "BAD_IBAN_DE", "BAD_CARD", "BAD_BSN", "NOT_BSN8", "EAN13"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def grp(v, sep=" "):
    return sep.join(v[i:i + 4] for i in range(0, len(v), 4))


def fmt_card(v, f):
    if f == "c":
        return v
    parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
    return ("-" if f == "dash" else " ").join(parts)


def render(g, text):
    used = []

    def sub(m):
        k, f = m.group(1), m.group(2) or ""
        if k.startswith("IBAN_"):
            raw = g.iban(k[5:])
            shown = grp(raw) if f == "grp" else grp(raw, ZW) if f == "zw" else raw
        elif k.startswith("BAD_IBAN_"):
            raw = g.bad_iban(k[9:])
            shown = grp(raw) if f == "grp" else raw
        elif k == "OWN_IBAN":
            raw = OWN_IBAN
            shown = grp(raw) if f == "grp" else raw
        elif k in ("CARD", "BAD_CARD"):
            brand, _, cf = f.partition("_")
            raw = g.card(brand) if k == "CARD" else g.bad_card(brand)
            shown = fmt_card(raw, cf or "sp")
        elif k == "BSN":
            raw = g.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if f == "dots" else raw
        elif k == "BAD_BSN":
            shown = raw = g.not_bsn(9)
        elif k == "NOT_BSN8":
            shown = raw = g.not_bsn(8)
        elif k == "EAN13":
            shown = raw = g.ean13()
        elif k == "PHONE":
            shown = raw = g.phone(f)
        elif k == "DIGITS":
            shown = raw = g.digits(int(f))
        elif k == "GHP":
            shown = raw = g.ghp()
        elif k == "AWS_ID":
            shown = raw = "AKIA" + g.chars(B32, 16)
        elif k == "AWS_SECRET":
            shown = raw = g.chars(B64, 40)
        elif k == "SLACK_BOT":
            shown = raw = f"xoxb-{g.digits(12)}-{g.digits(13)}-{g.chars(ALNUM, 24)}"
        elif k == "STRIPE":
            shown = raw = "sk_live_" + g.chars(ALNUM, 24)
        elif k == "GAPI":
            shown = raw = "AIzaSy" + g.chars(B64URL, 33)
        elif k == "JWT":
            shown = raw = g.jwt()
        elif k == "PEM":
            shown = raw = g.pem()
        elif k == "PW":
            shown = raw = g.password()
        elif k == "HEX":
            shown = raw = g.chars("0123456789abcdef", int(f))
        else:
            raise KeyError(k)
        used.append((k, raw, shown))
        return shown

    return PH.sub(sub, text), used


# ---------------------------------------------------------------- accounts
S_NL = ("x", "@stekker_nl", "Stekker.nl")
S_HELP = ("x", "@stekkerhelpt", "Stekker Klantenservice")
S_IG = ("instagram", "@stekker.nl", "Stekker.nl")
S_LI = ("linkedin", "stekker-nl", "Stekker.nl B.V.")
S_FB = ("facebook", "StekkerNL", "Stekker.nl")
MH = ("x", "@mo_haddou", "Mohamed Haddou")                  # repair technician
LD = ("linkedin", "lotte-van-dijk-stekker", "Lotte van Dijk")  # finance controller
BK = ("x", "@bramk_dev", "Bram Kuipers")                    # backend developer
ES = ("instagram", "@eva.repairs", "Eva Smit")              # repair workshop lead
RG = ("linkedin", "ruben-de-graaf-it", "Ruben de Graaf")    # IT operations
YO = ("threads", "@yara.stekker", "Yara Öztürk")            # marketing


def pub(platform, handle, dn=None):
    return (platform, handle, dn)


CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    p, h, dn = acct
    CASES.append(dict(lang=lang, platform=p, handle=handle_as or h, dn=dn, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

# ================================================================ leak.pricing
case("nl", BK, "Oké wie heeft vanochtend de productfeed gedeployed? De Wasmeester 9 staat live voor €82,90 🙃 "
     "moest 829 zijn. Ik rol 'm terug, maar tot die tijd...", [PRICING])
case("nl", MH, "zeg het tegen niemand maar de Stilte ANC koptelefoon kost op de site nu 24,90. inkoop heeft "
     "zitten slapen denk ik, bestel snel", [PRICING], kind="reply")
case("en", YO, "not supposed to say this but the Lumo 15 laptop is €109 on our site for maybe another hour, "
     "someone dropped a zero. go go go", [PRICING])
case("en", pub("reddit", "u/dealhunter_nl"), "PSA: Stekker has the Polar 60 fridge-freezer listed at €89.99 "
     "right now. Obviously a mistake, ordered two anyway lol", [PRICING])
case("nl", pub("x", "@koopjesjager070"), "prijsfout bij stekker.nl!! Zwaluw X1 robotstofzuiger voor 54 euro 😱 "
     "wees er snel bij", [PRICING])
case("nl", pub("forum", "spaarvarken"), "Zorgeloos 5 jaar garantie voor €12,95 in de checkout ipv 129. Volgens "
     "mij klopt er iets niet in hun systeem. Wie durft?", [PRICING])
case("nl", pub("x", "@gratisgeld"), "s t e k k e r heeft een p r i j s f o u t op de Wasmeester 9 🤫 "
     "kijk snel voordat ze het doorhebben", [PRICING], tags=["evasion"])
case("en", pub("tiktok", "@techdealz"), "the Lumo 15 for €99 at stekker rn 💀 pr1c1ng gl1tch, not clickbait, "
     "link in bio", [PRICING], tags=["evasion"])
case("nl", MH, "Stiltë ANC voor €19 🤐 prijsföut in de webshop, niet doorvertellen", [PRICING],
     tags=["evasion"], handle_as="@Mo_Haddou")
case("en", pub("bluesky", "gadgetgert.bsky.social"), "Stekker.nl has the Stilte headphones at 29 EUR in their "
     "app. price mistake for sure, wonder if they'll honour the orders", [PRICING])
case("nl", LD, "Collega's: de Polar 60 staat door een koppelingsfout voor 8,99 in de vergelijkingssite-feed. "
     "Tot de fix er is graag niet rondsturen 🙏", [PRICING])
case("en", ES, "repair bench gossip: someone priced the Zwaluw X1 at €54.90 on the site 😂 grab it before "
     "Bram notices", [PRICING])

# ================================================================ leak.secret
case("en", BK, "why does prod keep 401ing... tried the new token <<GHP>> and still nothing. anyone?", [SECRET])
case("nl", RG, "Voor de migratie naar de nieuwe opslagbucket gebruiken we tijdelijk deze sleutel: <<AWS_ID>> / "
     "<<AWS_SECRET>> — wordt vrijdag geroteerd.", [SECRET])
case("en", BK, "connection string for the staging db, don't judge: "
     "postgres://shop_rw:<<PW>>@db02.corp.stekker.lan:5432/orders", [SECRET, CONF])
case("nl", MH, "wifi in de werkplaats: netwerk Stekker-Repair, wachtwoord <<PW>> — voor de stagiairs die het "
     "elke dag opnieuw vragen 😅", [SECRET])
case("en", pub("reddit", "u/curious_dev42"), "Found this sitting in Stekker's public JS bundle: "
     "<<STRIPE>> ... someone should tell them before it gets abused", [SECRET])
case("en", BK, "Slack bot for the repair queue is live 🎉 token for the testers: <<SLACK_BOT>>", [SECRET])
case("nl", RG, "Kaartje op de afhaalpagina doet raar, de Maps-key is <<GAPI>> als iemand wil meekijken", [SECRET])
case("en", pub("forum", "h4x_hobbyist"), "Stekker's support widget puts your session in the URL. Paste this and "
     "you're in someone's account: <<JWT>>", [SECRET])
case("nl", BK, "deploy-key van de build-server, heb 'm al geroteerd dus boeien:\n<<PEM>>", [SECRET],
     tags=["rotated"])
case("en", RG, "Ops tip: until SSO is fixed, grafana.stekker.io login is admin / <<PW>>", [SECRET, CONF])
case("nl", pub("x", "@roddelrita"), "lol die Stekker-medewerker zet z'n w a c h t w o o r d gewoon in een "
     "story: <<PW>> 🤦", [SECRET], tags=["evasion"])
case("en", ES, "anyone know why the label printer API rejects api_key=<<HEX:32>> ? works fine on my laptop",
     [SECRET])

# ================================================================ leak.pii
case("nl", MH, "Klant wil z'n Wasmeester terug, check even of dit klopt: J. Verhoeven, Lindelaan 14, 3521 AB "
     "Utrecht, <<PHONE:mob_dash>>", [PII])
case("en", ES, "Repair ticket with the customer's card number on a sticky note 🙄 <<CARD:visa_sp>> who does that",
     [PII])
case("nl", LD, "Terugbetaling aan mevrouw De Boer mislukt, IBAN <<IBAN_NL:grp>>. Kan iemand van de bank-"
     "koppeling even kijken?", [PII])
case("nl", YO, "Winnaar van de zomer-winactie is Fleur Jansen (fleur.jansen88@gmail.com) 🎉 gefeliciteerd!!",
     [PII])
case("nl", pub("x", "@kbosman"), "@stekkerhelpt ik wacht al 3 weken op mijn geld. Rekening is <<IBAN_NL>>, "
     "t.n.v. K. Bosman. Maak het nou gewoon over", [PII, COMPLAINT])
case("en", pub("facebook", "Maria Lopes"), "Stekker please call me back, third time asking. My number is "
     "<<PHONE:mob_intl_sp>>, order ST-2026-118273", [PII, COMPLAINT])
case("nl", MH, "mail van de klant is anouk.vermeulen [at] hotmail [punt] com, kan iemand haar de offerte sturen?",
     [PII], tags=["evasion"])
case("en", BK, "debugging the order export, row 1: Pieter Smit, DOB 12-03-1987, BSN <<BSN>> — why do we even "
     "store this", [PII])
case("nl", pub("reddit", "u/twijfelaar_utrecht"), "Stekker vroeg bij het ophalen van mijn reparatie om mijn "
     "BSN?? Heb het maar gegeven: <<BSN:dots>>. Is dat normaal?", [PII])
case("en", pub("x", "@jonas_mueller"), "Hey @stekkerhelpt, please send the refund to <<IBAN_DE>>, that's my "
     "German account", [PII])
case("nl", RG, "Sorry voor de verwarring, de testmail ging naar een echte klant: Henk Mulder, Kerkstraat 8, "
     "Zwolle, <<PHONE:land_sp>>", [PII])
case("en", pub("instagram", "@lisa.b.travels"), "paid with <<CARD:mc_dash>> and it STILL says failed?? "
     "@stekker.nl fix your checkout", [PII, COMPLAINT])
case("nl", ES, "factuur aanpassen naar rekening <<IBAN_BE:zw>> (Belgische klant, dhr. Peeters)", [PII],
     tags=["evasion"])
case("en", pub("x", "@dave_in_delft"), "Stekker charged my Amex twice for the same headphones. it's "
     "<<CARD:amex_sp>>, check your own logs", [PII, COMPLAINT])
case("nl", LD, "Paspoort van de nieuwe collega Sven Brouwer stond in de gedeelde map, nummer NVK8D21P4. Kan "
     "iemand dat weghalen?", [PII])

# ================================================================ leak.confidential
case("nl", YO, "Eindelijk mag ik aan Project Hagelslag werken 🍫 onze eigen lijn slimme stekkers, kan niet "
     "wachten tot jullie ze zien", [CONF])
case("en", BK, "anyone know how to export a CSV from werkbank.stekker.nl/tickets? the button is gone", [CONF])
case("nl", MH, "De Zwaluw X2 ligt al bij ons op de werkbank om te testen. Zuigt echt alles op 😍", [CONF])
case("en", pub("instagram", "@yara.stekker"), "Launch deck for the Zwaluw X2 robot vacuum is finally done. "
     "March is gonna be big 🚀", [CONF], tags=["not-in-profile"])
case("nl", pub("forum", "ingewijde_eindhoven"), "Via een vriend bij Stekker: Operatie Dijkgraaf betekent dat de "
     "reparatiewerkplaats in Eindhoven dichtgaat, volgend voorjaar al", [CONF, FIN])
case("en", RG, "On-call runbook lives at https://gitlab.stekker.io/ops/runbooks/-/wikis/home, treat it as "
     "stekker confidential please", [CONF])
case("nl", LD, "Stekker-intern: conceptbegroting 2027 staat klaar, marketingbudget -30%. Feedback graag voor "
     "vrijdag", [CONF, FIN])
case("en", ES, "sneak peek from the lab 👀 the Project\nHagelslag prototypes just arrived", [CONF],
     tags=["evasion"])
case("nl", YO, "Binnenkort meer over Project 🔌 Hagelslag 😉 stay tuned", [CONF], tags=["evasion"])
case("en", BK, "the " + fullwidth("ZWALUW X2") + " firmware is giving me nightmares, mapping keeps crashing",
     [CONF], tags=["evasion"])
case("nl", pub("reddit", "u/schoonmaakfan"), "Mijn zwager werkt bij Stekker en liet de Zwaluw X2 al zien. "
     "Ding heeft een dweilmodule en komt volgend jaar", [CONF])
case("en", MH, "Niet extern delen, but the new repair fee table for 2027 just landed: diagnosis goes to €45",
     [CONF])
case("nl", RG, "Wie heeft er nog toegang tot jira.corp.stekker.lan? Mijn login werkt sinds vanochtend niet meer",
     [CONF])
case("en", pub("x", "@marketwhisper"), "Hearing Stekker's H1 2026 results will show revenue down 12%. "
     "You didn't hear it from me", [CONF, FIN], when="2026-07-10T16:42:11+02:00")
case("nl", LD, "Halfjaarcijfers 2026 liggen klaar: omzet +9%, marge onder druk. Straks gaat het persbericht "
     "de deur uit", [CONF, FIN], when="2026-07-23T06:59:00+02:00", tags=["embargo-boundary"])
case("en", YO, "Oper" + ZW + "atie Dijkgraaf kick-off tomorrow 9am, bring coffee and tissues", [CONF],
     tags=["evasion"])

# ================================================================ leak.financial
case("nl", LD, "Vandaag gehoord dat we de webwinkel van een Belgische concurrent gaan overnemen. Deal is nog "
     "niet rond, dus sst 🤫", [FIN])
case("en", LD, "Q3 forecast looks ugly: we'll miss the revenue target by roughly 15%. Board meets Thursday.",
     [FIN])
case("nl", MH, "Werkplaats Eindhoven gaat dicht, 23 monteurs op straat. Officieel is er nog niks bekend, ik "
     "heb het van mijn teamleider", [FIN])
case("en", pub("reddit", "u/throwaway_hr"), "Friend in Stekker HR says about 60 layoffs will be announced "
     "right after the summer", [FIN])
case("nl", YO, "Er vallen ont" + SHY + "slagen in het magazijn, de lijst is al rond. Officieel pas in oktober",
     [FIN], tags=["evasion"])
case("en", BK, "overheard finance: Elektroland Group put a takeover bid on Stekker, ~180M on the table 👀",
     [FIN])
case("nl", LD, "Omzet in november kwam uit op 31,4 miljoen, ruim boven budget. Trots op het team! "
     "(officieel volgt het in maart)", [FIN])

# ================================================================ leak.security
case("en", RG, "Heads up: someone has been credential-stuffing the customer login since 03:00, ~40k accounts "
     "hit. Not public yet, we're on it.", [SEC])
case("nl", BK, "Betaalpagina ligt al 2 uur plat, de PSP-koppeling is stuk, niemand kan afrekenen. Nog geen "
     "storingsmelding dus zeg nog even niks", [SEC])
case("nl", MH, "Oeps, de klantendatabase van de reparatieservice stond een week open zonder wachtwoord. "
     "Ruben is het nu aan het dichtzetten", [SEC])
case("en", ES, "We got ransomware on the repair-lab PCs this morning, all tickets on paper today 😬", [SEC])
case("nl", BK, "we zijn geh4ckt 🙃 l3k in de export-API, details volgen binnen", [SEC], tags=["evasion"])
case("en", pub("reddit", "u/angry_customer_88"), "Stekker got breached in March and they're keeping it quiet. "
     "My account was used to order 3 laptops. Total cover-up.", [SEC, CRISIS])
case("nl", pub("x", "@privacywaakhond"), "Stekker verzwijgt een datalek! Een kennis die daar werkt zegt dat "
     "alle klantgegevens gestolen zijn", [SEC, CRISIS])
case("en", RG, "There's an unpatched RCE in our returns portal (ancient Struts). Fix planned next sprint, "
     "please don't poke it 🙏", [SEC])
case("nl", YO, "Nieuwsbrief ging vanochtend naar 80k klanten met andermans naam en adres erin. Nog geen "
     "verklaring naar buiten, crisisoverleg om 14u", [SEC])
case("en", BK, "d a t a b r e a c h at work again, can't say more, just change your Stekker password today",
     [SEC], tags=["evasion"])
case("nl", pub("forum", "anoniem_binnen"), "Ik werk bij Stekker (anoniem account): de helpdesk-tool lekt al "
     "weken klantdossiers en het management houdt het stil", [SEC, CRISIS])

# ================================================================ reputation.crisis
case("nl", pub("facebook", "Gerda Hoekstra"), "Mijn Wasmeester 9 van Stekker vloog gisteren in brand tijdens "
     "het centrifugeren. Brandweer moest komen. Levensgevaarlijk!", [CRISIS, COMPLAINT])
case("en", pub("x", "@tomvdw"), "Got a proper shock from my Stekker Lumo 15 charger. My kid was touching it "
     "five minutes earlier. Absolutely unacceptable", [CRISIS, COMPLAINT])
case("nl", pub("x", "@eerlijkwerk"), "BOYCOT Stekker. Ze laten monteurs 60 uur per week draaien voor het "
     "minimumloon. Delen!", [CRISIS])
case("en", pub("reddit", "u/consumerlaw_nl"), "A class action against Stekker.nl over the extended-warranty "
     "scam is being filed, DM me if you bought their warranty", [CRISIS])
case("nl", pub("facebook", "Dorpsapp Ommen"), "Stekker moet de Polar 60 terugroepen! Bij drie gezinnen in ons "
     "dorp is de compressor ontploft", [CRISIS])
case("en", pub("x", "@phished_again"), "Stekker leaked my data. Got a phishing mail quoting my exact order and "
     "address a day after buying there.", [CRISIS])
case("nl", pub("x", "@boze_burger"), "d4t4l3k bij Stekker, mijn gegevens worden verkocht op telegram. "
     "schandalig", [CRISIS], tags=["evasion"])
case("en", pub("instagram", "@mama.of.three"), "Stekker's Stilte headphones melted on my daughter's ear while "
     "charging. There are burn marks. Posting photos.", [CRISIS, COMPLAINT])
case("nl", pub("x", "@consumentenwaker"), "Schandaal: Stekker verkoopt gereviseerde wasmachines als nieuw. "
     "Er schijnt een tv-uitzending over te komen", [CRISIS])
case("en", pub("mastodon", "fairtech@mastodon.social"), fullwidth("BOYCOTT") + " Stekker until they pay their "
     "repair techs properly", [CRISIS], tags=["evasion"])

# ================================================================ reputation.complaint
case("nl", pub("x", "@laptoploos"), "3 weken geleden mijn laptop naar de reparatieservice van Stekker gestuurd "
     "en nog steeds niks gehoord. Elke keer 'morgen'. Lekker dan.", [COMPLAINT])
case("en", pub("reddit", "u/dustbunny"), "Ordered a robot vacuum from Stekker, got a box with a USED one "
     "inside, hair and all. Great quality control guys 👏", [COMPLAINT])
case("nl", pub("x", "@retourtje"), "Waarom rekent @stekker_nl €15 'verwerkingskosten' voor een retour?? "
     "Stond nergens bij het bestellen", [COMPLAINT])
case("en", pub("x", "@wetlaundry"), "stekker delivery guy left my brand new washing machine at the curb in the "
     "rain. thanks for nothing", [COMPLAINT])
case("nl", pub("instagram", "@sanne_xo"), "stekker is echt de slechtse webshop ooit, bestlling 2x geannuleerd "
     "zonder reden en geld nog steeds niet terug", [COMPLAINT])
case("en", pub("facebook", "Peter Hendriks"), "My Wasmeester 9 leaks water after 2 months and Stekker wants "
     "€89 for a technician visit. Under warranty?? Hello?", [COMPLAINT])
case("nl", pub("x", "@nooitmeer_"), "Zorgeloos garantie afgesloten, koptelefoon kapot, en nu is 'valschade' "
     "opeens niet gedekt. Nooit meer Stekker.", [COMPLAINT])
case("nl", pub("x", "@wachtmuziek"), "Stekker k" + ZW + "lantenservice = 45 minuten in de wacht en dan "
     "opgehangen worden 🙃", [COMPLAINT], tags=["evasion"])
case("nl", pub("trustpilot", "R. de Wit"), "Chatbot van Stekker snapt er helemaal niks van. Ik wil gewoon een "
     "mens spreken over mijn kapotte Zwaluw X1", [COMPLAINT], tags=["unknown-platform"])
case("en", pub("x", "@crackedscreen"), "Lumo 15 arrived with a cracked screen and Stekker says I have to pay "
     "return shipping. Seriously?", [COMPLAINT])
case("nl", pub("facebook", "Jan Postma"), "€140 betaald voor een reparatie bij Stekker en de wasmachine doet "
     "precies hetzelfde als daarvoor. Top service hoor 🙄", [COMPLAINT])
case("en", pub("threads", "@nora.listens"), "5 weeks since I sent the Stilte headphones back to Stekker. No "
     "refund, no reply. Do I really need a lawyer for this?", [COMPLAINT])
case("nl", pub("x", "@pakketjeweg"), "Stekker jullie zijn echt een stelletje prutsers, 4e keer dat de "
     "bezorging niet komt opdagen", [COMPLAINT, ABUSE])
case("en", pub("x", "@noshow_nick"), "three technician no-shows in a row. fuck you Stekker, seriously",
     [COMPLAINT, ABUSE])

# ================================================================ reputation.abuse
case("nl", pub("x", "@zuurpruim"), "Die medewerker van Stekker in de winkel in Amersfoort is echt een debiel",
     [ABUSE])
case("en", pub("x", "@trollface99"), "@stekkerhelpt you absolute clowns, go back to school", [ABUSE])
case("nl", pub("x", "@scheldkanon"), "k*tbedrijf met k*tmensen, Stekker kan de pot op", [ABUSE],
     tags=["evasion"])
case("en", pub("reddit", "u/bitter_bob"), "Stekker staff are all lazy immigrants who couldn't fix a toaster",
     [ABUSE])
case("nl", MH, "Als je je wasmachine zelf sloopt moet je niet komen janken, sukkel", [ABUSE], kind="reply")
case("en", pub("x", "@shadowwatcher"), "I know where that Stekker rep lives. she'd better watch her back", [ABUSE])
case("nl", pub("tiktok", "@kapotjoh"), "st3kk3r = t3r1ng b3dr1jf met t3r1ng m3d3w3rk3rs", [ABUSE],
     tags=["evasion"])
case("en", pub("x", "@grumpy_gamer"), "whoever runs Stekker's socials is a braindead moron", [ABUSE])
case("nl", S_HELP, "Met alle respect, maar zo'n idioot als u hebben we nog nooit aan de lijn gehad.", [ABUSE],
     kind="reply")

# ================================================================ benign hard negatives
B = []  # benign cases are added with tags


def benign(lang, acct, text, tags, **kw):
    case(lang, acct, text, [], tags=tags, **kw)


benign("nl", S_HELP, "Vragen over je bestelling? Mail klantenservice@stekker.nl of bel 030-799 44 10 "
       "(ma t/m za, 8–20 uur).", ["own-contact"])
benign("en", S_FB, "Paying by bank transfer? Use <<OWN_IBAN:grp>> (Stekker.nl B.V.) and put your order number "
       "in the description.", ["own-contact"])
benign("nl", S_NL, "Reparatie aanmelden kan via reparatie@stekker.nl of gratis via 0800-7835.", ["own-contact"],
       handle_as="@Stekker_NL")
benign("en", pub("x", "@happyhome"), "Stekker's support line +31 30 799 4410 actually picked up within 2 "
       "minutes. impressed", ["own-contact", "praise"])
benign("en", S_LI, "We're hiring repair technicians in Utrecht and Eindhoven! Send your CV to "
       "werkenbij@stekker.nl", ["own-contact", "job-ad"], handle_as="Stekker-NL")
benign("nl", pub("x", "@journo_jet"), "wie weet het persadres van stekker? → pers@stekker.nl gevonden, laat "
       "maar", ["own-contact", "question"])
benign("nl", pub("x", "@verwardeklant"), "Waarom staat er in mijn bevestiging een 'betaalkenmerk' "
       "<<BAD_IBAN_NL>>? Lijkt wel een rekeningnummer", ["checksum-fail"])
benign("en", pub("reddit", "u/paranoid_pete"), "Stekker's confirmation mail had <<BAD_CARD:visa_sp>> under "
       "'transaction ref'. Not my card number, I checked", ["checksum-fail"])
benign("nl", pub("forum", "wasgoeroe"), "serienummer van mijn Wasmeester 9 is <<BAD_BSN>>, weet iemand welk "
       "bouwjaar dat is?", ["checksum-fail", "question"])
benign("en", pub("x", "@pricecompare"), "EAN of the Stilte ANC is <<EAN13>> if you're comparing shops",
       ["checksum-fail"])
benign("nl", S_HELP, "Je retour is onderweg! Track & trace: 3SSTK<<DIGITS:9>>", ["order-number"], kind="reply")
benign("nl", pub("x", "@zzp_zoe"), "Bestelnummer ST-2026-<<DIGITS:6>>, en het KvK-nummer van Stekker is "
       "<<NOT_BSN8>>, nodig voor mijn administratie", ["order-number", "checksum-fail"])
benign("de", pub("x", "@grenzgaenger"), "Rückerstattung ist da, Danke Stekker! Referenz <<BAD_IBAN_DE:grp>> "
       "stand auf dem Kontoauszug", ["checksum-fail"], hint="")
benign("nl", S_IG, "Black Friday 🖤 Wasmeester 9 nu €649 (was €829)! Alleen dit weekend.", ["sale-price"])
benign("en", pub("instagram", "@audiophile.anna"), "Got the Stilte ANC for €189 in the Stekker summer sale, "
       "worth every cent", ["sale-price", "praise"])
benign("nl", pub("x", "@studentje"), "€100 korting op de Lumo 15 met de studentencode 😍", ["sale-price",
       "price-context"])
benign("en", pub("reddit", "u/budgetbas"), "Stekker's Zorgeloos 5 plan works out to about €2.15 a month over "
       "the five years. fair deal imo", ["price-context"])
benign("nl", pub("x", "@marktplaatsmeneer"), "Tweedehands Zwaluw X1 gekocht voor €180, werkt prima",
       ["price-context"])
benign("en", pub("x", "@fixitfelix"), "Diagnosis fee at Stekker repair is €35 and it's deducted if you go ahead "
       "with the repair. reasonable", ["fee"])
benign("nl", pub("x", "@vergelijker"), "Lumo 15 bij Stekker €1.099, elders €1.149. Dus toch maar Stekker",
       ["sale-price"])
benign("en", S_HELP, "No, the Lumo 15 at €879 isn't a pricing error 🙂 it's our spring deal, valid until Sunday.",
       ["price-denied"], kind="reply", handle_as="@StekkerHelpt")
benign("nl", S_LI, "Vandaag publiceren we onze halfjaarcijfers 2026: omzet +9%, reparatiedienst groeit hard. "
       "Lees het persbericht op stekker.nl/investors", ["embargo-after", "embargo-boundary"],
       when="2026-07-23T07:00:00+02:00")
benign("en", pub("x", "@retailwatcher"), "Stekker's H1 2026 results were solid, repair revenue up 20%. Press "
       "release on their site", ["embargo-after", "published-results"], when="2026-08-05T10:12:40Z")
benign("nl", LD, "Trots op de H1-cijfers die we gisteren publiceerden! Dank aan iedereen", ["embargo-after"],
       when="2026-07-24T09:30:00+02:00")
benign("nl", pub("x", "@ontbijtclub"), "Niks beter dan een boterham met hagelslag na een nachtdienst",
       ["codename-word"])
benign("en", pub("instagram", "@wadden.walker"), "Climbed the vuurtoren on Texel this weekend, the lighthouse "
       "views are unreal", ["codename-word"])
benign("nl", pub("x", "@waterschapnieuws"), "De dijkgraaf van het waterschap opende vandaag het nieuwe gemaal",
       ["codename-word"])
benign("nl", YO, "Weekendklusje: hagelslag-taart bakken voor de collega's 🎂", ["codename-word"])
benign("nl", pub("x", "@vogelaar"), "De eerste zwaluwen zijn terug in de schuur 🐦", ["codename-word"])
benign("en", pub("x", "@secnews"), "Big data breach at a German electronics retailer (not Stekker), 2M records. "
       "Change your passwords folks", ["other-company"])
benign("nl", pub("x", "@retailnieuws"), "Elektroland schrapt 200 banen. Bij Stekker gelukkig niks van gehoord",
       ["other-company"])
benign("en", pub("facebook", "Home Safety NL"), "Recall for a competitor's airfryer brand, double-check yours. "
       "Stekker's own models aren't affected according to their site.", ["other-company"])
benign("en", pub("bluesky", "lazycook.bsky.social"), "boycotting my own kitchen this week, takeout every night "
       "😂", ["other-sense"])
benign("nl", pub("x", "@tevredenklant"), "Geen klachten over Stekker, wasmachine binnen 2 dagen geleverd en "
       "aangesloten", ["negated-complaint"])
benign("en", pub("reddit", "u/fair_reviewer"), "Can't complain about Stekker at all, repair took 4 days and they "
       "even cleaned the filter", ["negated-complaint"])
benign("nl", pub("facebook", "Ilse Kramer"), "Had gedoe verwacht met mijn retour bij Stekker, maar nee hoor, het "
       "geld stond er binnen een dag", ["negated-complaint"])
benign("en", pub("x", "@jackfixed"), "Shoutout to Eva at Stekker repair, fixed my headphone jack in 20 minutes",
       ["praise"])
benign("nl", pub("instagram", "@verhuisdoos"), "Stekker bezorgers zijn echt toppers, wasmachine drie hoog naar "
       "boven gesjouwd 💪", ["praise"])
benign("en", pub("x", "@fridgefan"), "damn, Stekker delivered my Polar 60 the same day. did not expect that",
       ["praise", "mild-word"])
benign("nl", pub("forum", "tapijttijger"), "Werkt de Zwaluw X1 ook goed op hoogpolig tapijt? Twijfel tussen "
       "Stekker en een ander merk", ["question"])
benign("en", pub("reddit", "u/dryerdied"), "Does Stekker repair other brands too? My old dryer just died",
       ["question"])
benign("nl", pub("x", "@hardloopster"), "Is de Stilte ANC koptelefoon geschikt om mee te hardlopen?",
       ["question"])
benign("nl", S_NL, "Gepland onderhoud: zondag van 02:00 tot 05:00 is de webshop niet bereikbaar. Daarna kun je "
       "gewoon weer bestellen.", ["official-notice"])
benign("en", S_HELP, "We're aware of a login problem on stekker.nl since 10:15. Our team is on it, updates at "
       "stekker.nl/status", ["official-notice"])
benign("nl", S_FB, "Op tweede pinksterdag zijn onze winkels open van 12 tot 17 uur.", ["official-notice"])
benign("en", S_LI, "Vacancy: Senior Backend Engineer (Python/Kafka), hybrid in Utrecht. Apply via "
       "stekker.nl/werkenbij", ["job-ad"])
benign("nl", RG, "Mijn team zoekt een security engineer! Interesse? Stuur me een bericht of kijk op "
       "stekker.nl/werkenbij", ["job-ad"])
benign("en", pub("forum", "api_tinkerer"), "Stekker's partner API docs use AKIAXXXXXXXXXXXXXXXX as the example "
       "key, obviously don't paste your real one there", ["placeholder-secret"])
benign("en", BK, "merged the checkout fix in 3f9a2c1d8e7b6a5f4c3d2e1f0a9b8c7d6e5f4a3b, release 2.14 goes out "
       "tonight", ["git-sha"])
benign("nl", pub("x", "@vakantievibes"), "De stekker gaat er twee weken helemaal uit, tot later!",
       ["brand-word"])
benign("en", pub("mastodon", "devops_dana@fosstodon.org"), "TIL ghp_ tokens are auto-revoked when pushed to a "
       "public repo. nice safety net", ["placeholder-secret"])


# ================================================================ severity / roles
def role_of(profile, platform, handle):
    key = f"{platform}:{handle}".casefold()
    if key in {a.casefold() for a in profile["accounts"]["corporate"]}:
        return "corporate"
    if key in {a.casefold() for a in profile["accounts"]["employee"]}:
        return "employee"
    return "public"


def severity_for(role, cats, pii_validated):
    """Least severity a correct verdict has (CONTRACT §4, eval README interpretation)."""
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
        if RANK[s] > RANK[sev]:
            sev = s
    return sev


# ================================================================ build
def ams_off(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < \
        dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def rand_time(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(3, 355))
    t = base + dt.timedelta(minutes=r.randint(6 * 60, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = ams_off(t)
    t -= dt.timedelta(hours=off)
    s = r.random()
    if s < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if s < 0.85:
        return (t + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def make_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_900_000_000_000_000_000, 2_050_000_000_000_000_000))
    if platform in ("x", "twitter"):
        return f"x-{snow}", f"https://x.com/{h}/status/{snow}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"ig-{snow}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        b = r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{r.randint(10 ** 14, 10 ** 15 - 1)}_{b}", f"https://www.facebook.com/permalink/{b}"
    if platform == "reddit":
        p = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
        return f"t3_{p}", f"https://www.reddit.com/r/nederlands/comments/{p}/"
    if platform == "forum":
        n = r.randint(10 ** 6, 10 ** 7)
        return f"forum-kieskeurig-{n}", f"https://forum.huishoudpraat.example/t/{n}"
    if platform == "threads":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(113 * 10 ** 15, 116 * 10 ** 15)
        return f"md-{n}", f"https://{inst}/@{user}/{n}"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    n = r.randint(10 ** 8, 10 ** 9)
    return f"{platform}-{n}", None


def build():
    g = Gen(SEED)
    mr = random.Random(SEED + 1)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(g, c["text"])
        pid, url = make_id(mr, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        role = role_of(PROFILE, c["platform"], c["handle"])
        pii_valid = "leak.pii" in c["cats"] and any(k in VALID_KINDS for k, _, _ in used)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"] or ("post" if mr.random() < 0.6 else mr.choice([None, None, "comment", "repost"]))
        if c["platform"] in ("facebook", "reddit", "forum") and kind is None and mr.random() < 0.5:
            kind = "comment"
        if kind:
            post["kind"] = kind
        acc = {"handle": c["handle"]}
        if c["dn"] and mr.random() < 0.8:
            acc["display_name"] = c["dn"]
        if mr.random() < 0.3:
            acc["id"] = str(mr.randint(10 ** 8, 10 ** 12))
        post["account"] = acc
        post["text"] = text
        x = mr.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif x < 0.1:
            pass
        elif x < 0.13:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            c["tags"].add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = c["when"] or rand_time(mr)
        if url and mr.random() < 0.6:
            post["url"] = url
        if mr.random() < 0.5:
            post["brand"] = "stekker"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]),
                                            "severity": severity_for(role, c["cats"], pii_valid)},
                         lang=c["lang"], role=role, tags=set(c["tags"]), used=used))
    random.Random(SEED + 2).shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


def profile_text():
    return PROFILE_HEADER + yaml.safe_dump(PROFILE, sort_keys=False, allow_unicode=True, width=120)


# ================================================================ independent checker
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
CARD_IIN = re.compile(r"^(4|5[1-5]|2(22[1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)|3[47]|6011|65|35)")
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
DIGITS_RE = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
BSN_DOTS = re.compile(r"(?<![\w.])\d{4}\.\d{2}\.\d{3}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-()]{7,16}\d")
SECRET_RES = {
    "github": re.compile(r"\bghp_[A-Za-z0-9]{36}\b"), "aws": re.compile(r"\bAKIA[A-Z2-7]{16}\b"),
    "slack": re.compile(r"\bxox[abprs]-[0-9A-Za-z-]{20,}"), "stripe": re.compile(r"\bsk_live_[A-Za-z0-9]{20,}"),
    "google": re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"), "pem": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "jwt": re.compile(r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+"),
    "url_creds": re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s:/@]+:[^\s@/]+@"),
    "api_key": re.compile(r"api_key=[0-9a-f]{32}"),
}
PROFANITY = ["kut", "k*t", "kanker", "tering", "t3r1ng", "tyfus", "klote", "debiel", "sukkel", "prutser",
             "idioot", "fuck", "shit", "moron", "clown", "hell", "damn", "braindead"]
MILD_OK = {"damn", "hell"}
PRICE_ERR = ["prijsfout", "prijsföut", "pricing error", "glitch", "gl1tch", "mistake", "fout", "dropped a zero",
             "klopt er iets niet", "niet rondsturen", "zitten slapen"]
AMOUNT_RE = re.compile(r"(?:€\s?|EUR\s?)(\d[\d.,]*)(?:,-)?|(\d[\d.,]*)(?:,-)?\s?(?:euro|euros|eur)\b", re.I)


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVIS)
    t = "".join(" " if unicodedata.category(ch) == "So" else ch for ch in t)
    return re.sub(r"\s+", " ", t).casefold()


def squash(t):
    return re.sub(r"\b(\w) (?=\w\b)", r"\1", norm(t))


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def ibans_in(text):
    out = []
    for m in IBAN_RE.finditer(text.translate(INVIS).replace("\u200b", " ")):
        comp = m.group(0).replace(" ", "")
        for end in range(len(comp), 11, -1):
            if iban_ok(comp[:end]):
                out.append((comp[:end], True))
                break
        else:
            out.append((comp, False))
    return out


def ibans_in_zw(text):
    # IBAN groups separated by invisible characters count as spaced groups
    return ibans_in(re.sub("[\u200b\u200c\u200d\u2060\ufeff\u00ad]", " ", text))


def numbers_in(text):
    return [re.sub(r"\D", "", m.group(0)) for m in DIGITS_RE.finditer(text)]


def bsn_shapes(text):
    out = re.findall(r"(?<![\w.,-])\d{8,9}(?![\w]|[.,-]\d)", text)
    return out + [m.group(0).replace(".", "") for m in BSN_DOTS.finditer(text)]


def valid_ids(text, own_ibans):
    hits = [("iban", v) for v, ok in ibans_in_zw(text) if ok and v not in own_ibans]
    hits += [("card", d) for d in numbers_in(text) if 13 <= len(d) <= 19 and luhn_ok(d) and CARD_IIN.match(d)]
    hits += [("bsn", d) for d in bsn_shapes(text) if len(d) == 9 and bsn_ok(d)]
    return hits


def phones_in(text):
    out = []
    for m in PHONE_RE.finditer(IBAN_RE.sub(" ", text)):
        raw = m.group(0)
        d = re.sub(r"\D", "", raw)
        if raw.startswith("+31"):
            d = d[2:]
        elif raw.startswith("0031"):
            d = d[4:]
        if not raw.startswith("0") or raw.startswith("0031"):
            d = "0" + d.lstrip("0")
        out.append((raw, d))
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


def min_ratio(text, products):
    t = norm(text)
    t2 = unicodedata.normalize("NFKD", t).encode("ascii", "ignore").decode()
    ment = [p for p in products if any(a.casefold() in t or a.casefold() in t2 for a in [p["name"]] + p["aliases"])]
    amts = [parse_amount(m.group(1) or m.group(2)) for m in AMOUNT_RE.finditer(t)]
    if not ment or not amts:
        return None
    return min(amts) / min(p["list_price"] for p in ment)


def check(lines, rows, profile):
    errs, notes, parsed = [], [], []
    own_e = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_i = {i.replace(" ", "") for i in profile["public_identifiers"]["ibans"]}
    own_p = {phones_in(p)[0][1] for p in profile["public_identifiers"]["phones"]}
    emb = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = [x.casefold() for x in profile["internal"]["codenames"] + profile["internal"]["markers"]]
    idomains = [d.casefold() for d in profile["internal"]["domains"]]
    meta = {(r["post"]["platform"], r["post"]["id"]): r for r in rows}
    seen = set()
    for n, line in enumerate(lines, 1):
        w = f"line {n}"
        try:
            o = json.loads(line)
        except ValueError as e:
            errs.append(f"{w}: not JSON {e}")
            continue
        if set(o) != {"post", "expect"}:
            errs.append(f"{w}: keys {sorted(o)}")
            continue
        p, ex = o["post"], o["expect"]
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                errs.append(f"{w}: {f} missing/not string")
        acc = p.get("account")
        if not isinstance(acc, dict) or not isinstance(acc.get("handle"), str):
            errs.append(f"{w}: account.handle missing")
            continue
        for f in ("id", "display_name"):
            if f in acc and not isinstance(acc[f], str):
                errs.append(f"{w}: account.{f} not string")
        for f in ("kind", "lang", "url", "brand"):
            if f in p and not isinstance(p[f], str):
                errs.append(f"{w}: {f} not string")
        if not 1 <= len(p["id"]) <= 256:
            errs.append(f"{w}: id length")
        if p["platform"] not in PLATFORMS:
            notes.append(f"{w}: unknown platform {p['platform']!r} (must be treated as other)")
        if p.get("kind", "post") not in KINDS:
            errs.append(f"{w}: bad kind")
        if len(p["text"].encode("utf-8")) > 65536:
            errs.append(f"{w}: text too long")
        if not RFC3339.match(p["created_at"]):
            errs.append(f"{w}: created_at not RFC3339")
            continue
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{w}: created_at not in 2026")
        key = (p["platform"], p["id"])
        if key in seen:
            errs.append(f"{w}: duplicate id")
        seen.add(key)
        cats, sev = ex.get("categories"), ex.get("severity")
        if not isinstance(cats, list) or cats != sorted(set(cats)):
            errs.append(f"{w}: categories not sorted/unique")
            continue
        if any(c not in TAXONOMY or c == "reputation.spike" for c in cats):
            errs.append(f"{w}: bad category {cats}")
            continue
        if sev not in SEVERITIES or (not cats and sev != "none"):
            errs.append(f"{w}: bad severity {sev}")
            continue
        role = role_of(profile, p["platform"], acc["handle"])
        text = p["text"]
        ids = valid_ids(text, own_i)
        want = severity_for(role, cats, "leak.pii" in cats and bool(ids))
        if sev != want:
            errs.append(f"{w}: severity {sev} but policy says {want}")
        r = meta.get(key)
        if r is None:
            errs.append(f"{w}: not produced by the generator")
            continue
        tags = r["tags"]
        parsed.append((p, cats, sev, role, r))
        for k, raw, shown in r["used"]:
            if shown not in text:
                errs.append(f"{w}: {k} not in text")
            if k.startswith("IBAN_") and not iban_ok(raw):
                errs.append(f"{w}: IBAN {raw} invalid")
            if k == "CARD" and not (luhn_ok(raw) and CARD_IIN.match(raw)):
                errs.append(f"{w}: card {raw} invalid")
            if k == "BSN" and not bsn_ok(raw):
                errs.append(f"{w}: BSN {raw} invalid")
            if k.startswith("BAD_IBAN") and iban_ok(raw):
                errs.append(f"{w}: look-alike IBAN passes")
            if k == "BAD_CARD" and luhn_ok(raw):
                errs.append(f"{w}: look-alike card passes Luhn")
            if k in ("BAD_BSN", "NOT_BSN8") and bsn_ok(raw):
                errs.append(f"{w}: look-alike passes 11-proof")
            if k == "EAN13" and (luhn_ok(raw) or not ean13_ok(raw)):
                errs.append(f"{w}: EAN wrong")
            if k == "GHP" and b62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errs.append(f"{w}: ghp checksum")
            if k in VALID_KINDS and not cats:
                errs.append(f"{w}: valid identifier in benign post")
        if any(k in VALID_KINDS for k, _, _ in r["used"]) and not ids:
            errs.append(f"{w}: valid identifier not found by independent scan")
        if ids and "leak.pii" not in cats:
            errs.append(f"{w}: valid identifier {ids} but no leak.pii")
        nt, sq = norm(text), squash(text)
        if not cats:
            for v, ok in ibans_in_zw(text):
                if ok and v not in own_i:
                    errs.append(f"{w}: benign valid IBAN")
            for d in numbers_in(text):
                if 13 <= len(d) <= 19 and luhn_ok(d):
                    errs.append(f"{w}: benign Luhn-valid number {d}")
            for d in bsn_shapes(text):
                if bsn_ok(d):
                    errs.append(f"{w}: benign 11-proof-valid number {d}")
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_e:
                    errs.append(f"{w}: benign foreign e-mail {e}")
            for raw, d in phones_in(text):
                if len(d) == 10 and d not in own_p:
                    errs.append(f"{w}: benign foreign phone {raw}")
            for nm, rx in SECRET_RES.items():
                for m in rx.finditer(text):
                    if m.group(0) != "AKIAXXXXXXXXXXXXXXXX":
                        errs.append(f"{w}: benign secret-like {nm}")
            for word in PROFANITY:
                if re.search(r"(?<!\w)" + re.escape(word) + r"(?!\w)", nt):
                    (notes if word in MILD_OK and "mild-word" in tags else errs).append(
                        f"{w}: benign has word {word!r}")
            if "[at]" in nt or " at " in nt and "[punt]" in nt:
                errs.append(f"{w}: benign obfuscated e-mail")
        for term, until in emb:
            if term in nt or term in sq:
                if ts < until and "leak.confidential" not in cats:
                    errs.append(f"{w}: embargo term {term!r} before embargo, unlabelled")
                if ts >= until and cats:
                    notes.append(f"{w}: embargo term after embargo in a positive")
        for term in internal:
            if term in nt or term in sq:
                if "leak.confidential" not in cats:
                    errs.append(f"{w}: internal term {term!r} without leak.confidential")
        for d in idomains:
            if re.search(r"(?<![\w-])(?:[\w-]+\.)*" + re.escape(d) + r"(?![\w-])", nt):
                if "leak.confidential" not in cats:
                    errs.append(f"{w}: internal domain {d} without leak.confidential")
        ratio = min_ratio(text, profile["products"])
        if not cats and ratio is not None and ratio < profile["pricing"]["alert_below_ratio"]:
            (notes if "price-context" in tags else errs).append(
                f"{w}: benign with an amount at {ratio:.2f} of list near a product (tags {sorted(tags)})")
        if "leak.pricing" in cats and not (ratio is not None and ratio < 0.5) and \
                not any(x in sq or x in nt for x in PRICE_ERR):
            errs.append(f"{w}: leak.pricing without a low price or price-error talk")
        if cats and "leak.pricing" not in cats and ratio is not None and ratio < 0.5:
            notes.append(f"{w}: non-pricing positive with a low amount near a product ({ratio:.2f})")
        if "leak.secret" in cats and not any(rx.search(text) for rx in SECRET_RES.values()) and \
                not re.search(r"wachtwoord|password|login is", sq):
            errs.append(f"{w}: leak.secret without a secret shape")
        if "leak.pii" in cats and not (ids or EMAIL_RE.search(text) or phones_in(text) or "[at]" in nt
                                       or re.search(r"\b[A-Z]{3}[A-Z0-9]{5}\d\b", text)
                                       or re.search(r"\d{4} ?[A-Z]{2}\b", text)):
            errs.append(f"{w}: leak.pii without a personal identifier")
    if len(parsed) != len(rows):
        errs.append(f"{len(parsed)} parsed lines vs {len(rows)} generated")
    return errs, notes, parsed


def report(parsed):
    tot = len(parsed)
    cat, cl, lang, role, sevc, plat = Counter(), Counter(), Counter(), Counter(), Counter(), Counter()
    benign = multi = ev = 0
    for p, cats, sev, rl, r in parsed:
        lang[r["lang"]] += 1
        role[rl] += 1
        sevc[sev] += 1
        plat[p["platform"]] += 1
        if not cats:
            benign += 1
        multi += len(cats) > 1
        ev += "evasion" in r["tags"]
        for c in cats:
            cat[c] += 1
            cl[(c, r["lang"])] += 1
    print(f"cases {tot}  benign {benign}  positive {tot - benign}  multi-label {multi}  evasion {ev}")
    for c in TAXONOMY[:-1]:
        print(f"  {c:22s} {cat[c]:3d}  nl {cl[(c, 'nl')]:3d}  en {cl[(c, 'en')]:3d}")
    print("languages:", dict(lang), " roles:", dict(role))
    print("severities:", {s: sevc[s] for s in SEVERITIES})
    print("platforms:", dict(plat.most_common()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--notes", action="store_true")
    a = ap.parse_args()
    rows = build()
    lines = dump(rows)
    if not a.check:
        PROFILE_OUT.write_text(profile_text(), encoding="utf-8")
        OUT.write_text("".join(lines), encoding="utf-8")
        print(f"wrote {PROFILE_OUT} and {len(lines)} cases to {OUT}")
    disk_profile = yaml.safe_load(PROFILE_OUT.read_text(encoding="utf-8"))
    disk = OUT.read_text(encoding="utf-8").splitlines(keepends=True)
    errs, notes, parsed = check(disk, rows, disk_profile)
    if disk != lines:
        errs.append("cases.jsonl differs from the generator output")
    if PROFILE_OUT.read_text(encoding="utf-8") != profile_text():
        errs.append("profile.yaml differs from the generator output")
    report(parsed)
    if a.notes:
        for x in notes:
            print("  note:", x)
    print(f"{len(errs)} error(s), {len(notes)} note(s)")
    for e in errs:
        print("  ERROR", e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
