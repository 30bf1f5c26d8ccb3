#!/usr/bin/env python3
"""Generate and validate the BLIND evaluation set for postwatch.

    python3 make_cases.py            # write cases.jsonl next to this file, then validate it
    python3 make_cases.py --check    # regenerate in memory, validate, and compare with cases.jsonl
    python3 make_cases.py --stats    # also print the counts

The set was written WITHOUT reading the detection rules (rules/, src/) or the
test data (tests/data/), and in different wording from shared/eval/dev.jsonl,
so it measures how far the rules generalise. The profile is profile.yaml in
this folder (fictional Dutch/UK sportswear webshop "Velora Sport B.V.").

Labels follow shared/eval/README.md. Severities are never typed by hand:
severity_for() derives the LEAST correct severity from the categories, the
account role (looked up in profile.yaml by platform:handle, case-insensitive)
and whether a checksum-validated identifier (IBAN mod-97, Luhn card, BSN
11-proof) is among the PII.

Every identifier, secret and price in the texts is generated from the seed
below: they are FAKE. Validation (always run) checks among other things:
  * every declared IBAN / card / BSN passes its checksum and occurs in the text;
    every declared decoy FAILS its checksum; own contact data matches the profile;
  * no benign or non-PII post contains an accidental checksum-valid IBAN, card or BSN;
  * every embargo term, codename, internal domain and internal marker in any text
    agrees with the leak.confidential label (embargo compared as an instant);
  * every declared price agrees with pricing.alert_below_ratio and the label;
  * the declared account role agrees with the profile; the severity rule holds.
"""
import base64
import datetime as dt
import json
import os
import random
import re
import string
import sys
import unicodedata
import zlib

import yaml

SEED = 20260917
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "cases.jsonl")
with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

rng = random.Random(SEED)

CATEGORIES = [
    "leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
    "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse",
]
SEV = ["none", "info", "warning", "error", "critical"]
ZW = "\u200b"  # zero-width space

# --------------------------------------------------------------------------- checksums

def iban_ok(s):
    s = re.sub(r"[\s.\-]", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def iban_make(cc, bban):
    r = bban + cc + "00"
    n = int("".join(str(int(c, 36)) for c in r))
    return f"{cc}{98 - n % 97:02d}{bban}"


def luhn_ok(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def luhn_make(prefix, length):
    while True:
        body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
        for c in string.digits:
            if luhn_ok(body + c):
                return body + c


def bsn_ok(s):
    d = re.sub(r"\D", "", s)
    if len(d) == 8:
        d = "0" + d
    if len(d) != 9 or d == "000000000":
        return False
    v = [int(c) for c in d]
    return (sum(v[i] * (9 - i) for i in range(8)) - v[8]) % 11 == 0


def bsn_make():
    while True:
        d = str(rng.randint(1, 9)) + "".join(rng.choice(string.digits) for _ in range(8))
        if bsn_ok(d):
            return d


def bsn_bad():
    while True:
        d = str(rng.randint(1, 9)) + "".join(rng.choice(string.digits) for _ in range(8))
        if not bsn_ok(d):
            return d


def group(s, n=4, sep=" "):
    return sep.join(s[i:i + n] for i in range(0, len(s), n))


def digits(n):
    return "".join(rng.choice(string.digits) for _ in range(n))

# --------------------------------------------------------------------------- fake identifiers

def nl_iban(bank):
    return iban_make("NL", bank + digits(10))


def be_iban():
    first = str(rng.randint(1, 9)) + digits(9)
    chk = int(first) % 97 or 97
    return iban_make("BE", f"{first}{chk:02d}")


def de_iban():
    return iban_make("DE", digits(8) + digits(10))


def gb_iban(bank):
    return iban_make("GB", bank + digits(6) + digits(8))


def break_iban(v):
    cd = int(v[2:4])
    return v[:2] + f"{(cd + 37) % 100:02d}" + v[4:]


IB_NL_REFUND = nl_iban("INGB")
IB_BE_CORP = be_iban()
IB_GB_REFUND = gb_iban("MONZ")
IB_DE_OWN = de_iban()
IB_NL_EMP = nl_iban("BUNQ")
IB_NL_BAD = break_iban(nl_iban("INGB"))

CARD_VISA = luhn_make("4", 16)
CARD_MC5 = luhn_make("53", 16)
CARD_MC2 = luhn_make(str(rng.randint(2221, 2720)), 16)
CARD_AMEX = luhn_make("37", 15)
GIFT_BAD = (lambda c: c[:-1] + str((int(c[-1]) + 3) % 10))(luhn_make("6280", 16))
EAN_LIKE = "8719327044818"

BSN_APPLICANT = bsn_make()
BSN_BAD_CLIENTNR = bsn_bad()


def fmt_bsn_dotted(b):
    return f"{b[:4]}.{b[4:6]}.{b[6:]}"

# --------------------------------------------------------------------------- fake secrets

B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "-_"


def rand(alpha, n):
    return "".join(rng.choice(alpha) for _ in range(n))


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def ghp():
    body = rand(ALNUM, 30)
    return "ghp_" + body + b62(zlib.crc32(body.encode())).rjust(6, "0")


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


SEC_STRIPE = "sk_live_51" + rand(ALNUM, 96)
SEC_GHP = ghp()
SEC_PG_PW = rand(ALNUM, 10) + "!" + rand(ALNUM, 5)
SEC_AKIA = "AKIA" + rand(string.ascii_uppercase + "234567", 16)
SEC_AWS_SECRET = rand(ALNUM + "/+", 40)
SEC_GOOGLE = "AIza" + rand(URLSAFE, 35)
SEC_SLACK = f"xoxb-{digits(12)}-{digits(13)}-{rand(ALNUM, 24)}"
SEC_SENDGRID = "SG." + rand(URLSAFE, 22) + "." + rand(URLSAFE, 43)
_pem_body = base64.b64encode(
    b"openssh-key-v1\x00\x00\x00\x00\x04none\x00\x00\x00\x04none\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x003\x00\x00\x00\x0bssh-ed25519"
    + bytes(rng.getrandbits(8) for _ in range(260))
).decode()
SEC_PEM = ("-----BEGIN OPENSSH PRIVATE KEY-----\n"
           + "\n".join(_pem_body[i:i + 70] for i in range(0, len(_pem_body), 70))
           + "\n-----END OPENSSH PRIVATE KEY-----")
SEC_JWT = ".".join([
    b64url(b'{"alg":"HS256","typ":"JWT"}'),
    b64url(json.dumps({"sub": "svc-backoffice", "role": "admin", "iss": "auth.velora",
                       "iat": 1781000000, "exp": 1812536000}, separators=(",", ":")).encode()),
    rand(URLSAFE, 43),
])
SEC_PASSWORD = "Kr@anwater#" + digits(4)
SEC_NPM = "npm_" + rand(ALNUM, 36)
SEC_GLPAT = "glpat-" + rand(URLSAFE, 20)
SEC_AZURE = base64.b64encode(bytes(rng.getrandbits(8) for _ in range(64))).decode()
SEC_SHOPIFY = "shpat_" + rand("0123456789abcdef", 32)
SEC_OPENAI = "sk-proj-" + rand(URLSAFE, 20) + "T3BlbkFJ" + rand(URLSAFE, 20)
SHA_LIKE = rand("0123456789abcdef", 40)

# --------------------------------------------------------------------------- timestamps

DST_START = dt.datetime(2026, 3, 29, 1, 0, tzinfo=dt.timezone.utc)
DST_END = dt.datetime(2026, 10, 25, 1, 0, tzinfo=dt.timezone.utc)


def render(t_utc, zone, ms):
    summer = DST_START <= t_utc < DST_END
    off = {"ams": 2 if summer else 1, "uk": 1 if summer else 0, "z": None}[zone]
    frac = f".{rng.randint(0, 999):03d}" if ms else ""
    if off is None or (zone == "uk" and off == 0 and rng.random() < 0.6):
        return t_utc.strftime("%Y-%m-%dT%H:%M:%S") + frac + "Z"
    loc = t_utc + dt.timedelta(hours=off)
    return loc.strftime("%Y-%m-%dT%H:%M:%S") + frac + f"+{off:02d}:00"


def rand_ts(lang):
    start = dt.datetime(2026, 1, 3, tzinfo=dt.timezone.utc)
    t = start + dt.timedelta(seconds=rng.randint(0, 350 * 86400))
    t = t.replace(hour=rng.choice([6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22]))
    zone = rng.choice(["z", "ams", "ams"] if lang == "nl" else ["z", "uk", "ams"])
    return render(t, zone, rng.random() < 0.2)


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))

# --------------------------------------------------------------------------- roles, severity

def _acct_set(key):
    return {a.lower() for a in PROFILE["accounts"][key]}


CORP, EMPL = _acct_set("corporate"), _acct_set("employee")


def role_of(platform, handle):
    key = f"{platform}:{handle}".lower()
    return "corporate" if key in CORP else "employee" if key in EMPL else "public"


def severity_for(cats, role, validated_pii):
    lvl = 0
    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                s = 3
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and validated_pii):
                    s = 4
            else:
                s = 2
        elif c == "reputation.complaint":
            s = 2
        elif c == "reputation.crisis":
            s = 3
        elif c == "reputation.abuse":
            s = 3 if insider else 2
        else:
            raise ValueError(c)
        lvl = max(lvl, s)
    return SEV[lvl]

# --------------------------------------------------------------------------- the cases

CASES = []


def add(lang, platform, handle, who, text, cats=(), *, kind="post", hint="same", at=None,
        ids=(), decoys=(), own=(), price=None, evasion=None, neg=None, display=None, brand=True):
    """lang: real language; who: intended role (pub/emp/corp), checked against the profile.
    ids: (type, value) identifiers that must pass their checksum.
    decoys: (type, value) look-alikes that must FAIL their checksum.
    own: company contact data in some notation (must match public_identifiers).
    price: (alias, amount, reason) for price talk; reason 'leak', 'error_talk' or a benign reason.
    evasion: technique tag for evasion positives; neg: hard-negative tag for benign posts."""
    CASES.append(dict(lang=lang, platform=platform, handle=handle, who=who, text=text,
                      cats=sorted(cats), kind=kind, hint=hint, at=at, ids=list(ids),
                      decoys=list(decoys), own=list(own), price=price, evasion=evasion,
                      neg=neg, display=display, brand=brand))


SEC, PII, PRC, CONF, FIN, SECU = ("leak.secret", "leak.pii", "leak.pricing", "leak.confidential",
                                  "leak.financial", "leak.security")
CRI, COM, ABU = "reputation.crisis", "reputation.complaint", "reputation.abuse"

# ---- leak.secret -----------------------------------------------------------------------
add("nl", "x", "@sophie_codes_nl", "emp",
    f"vrijdagmiddag-debuggen 🙃 waarom pakt de checkout-service m'n env niet op?? "
    f"STRIPE_SECRET_KEY={SEC_STRIPE} staat er gewoon in. iemand een idee?", [SEC], at="2026-07-17T15:48:12+02:00")
add("en", "x", "@daan_velora", "emp",
    f"note to self: stop pasting terminal output into tweets. anyway it's already rotated so whatever: {SEC_GHP}",
    [SEC], hint="nl")
add("en", "linkedin", "joost-vermeulen-1984", "emp",
    "Proud of our data team! 🚀 Here's a peek at the nightly job that feeds our dashboards:\n\n"
    f"source:\n  uri: postgresql://etl_reader:{SEC_PG_PW}@pg-dwh-01.corp.velora.local:5432/dwh\n"
    "  schedule: '0 3 * * *'\n\n#dataengineering #ecommerce", [SEC, CONF], kind=None)
add("nl", "threads", "@kevin.okafor", "emp",
    f"hoe krijg ik dit ooit nog uit m'n klembord 😅 AWS_ACCESS_KEY_ID={SEC_AKIA} "
    f"AWS_SECRET_ACCESS_KEY={SEC_AWS_SECRET}", [SEC])
add("en", "reddit", "u/apk_poker", "pub",
    "Velora's Android app (5.14.2) ships a Google Maps key hard-coded in the APK, took me two minutes "
    f"with jadx: {SEC_GOOGLE} — it isn't even restricted to their package name.", [SEC], kind="post")
add("en", "bluesky", "@lotte-vdl.bsky.social", "emp",
    f"the warehouse standup bot finally posts on its own 🎉 (yes I'll revoke it after the demo) {SEC_SLACK}",
    [SEC])
add("nl", "x", "@velora_help", "corp",
    "Hoi Anouk, excuses voor het wachten! We sturen je retourlabel vandaag opnieuw. "
    f"[macro retourlabel | mail_api_key={SEC_SENDGRID}]", [SEC], kind="reply")
add("nl", "mastodon", "@rikdekker@mastodon.nl", "emp",
    f"waarom accepteert die bastion m'n key nou weer niet 😤\n\n{SEC_PEM}", [SEC])
add("nl", "forum", "kees_tweakt", "pub",
    "Bij het inspecteren van de paginabron van de Velora webshop zie ik dat de frontend een token met "
    f"admin-rol meestuurt: {SEC_JWT}\nIemand die hun securityteam kent?", [SEC], kind="comment")
add("en", "linkedin", "amira-haddou", "emp",
    "Onboarding tip for new joiners in the analytics team: the shared Looker login is user "
    f"analytics_ro with password {SEC_PASSWORD}. Don't change it, just use it 😉", [SEC])
add("en", "x", "@ollie_at_velora", "emp",
    f"npm publish kept failing so I cat'ed my .npmrc to compare: //registry.npmjs.org/:_authToken={SEC_NPM}",
    [SEC], kind=None)
add("nl", "x", "@bitflip_nina", "pub",
    f"lol Velora heeft een publieke repo met dit erin: {SEC_GLPAT} — heb ze maar even een DM gestuurd",
    [SEC])
add("en", "threads", "@kevin.okafor", "emp",
    "anyone else's Azure Storage Explorer choking on this?? DefaultEndpointsProtocol=https;"
    f"AccountName=veloraimgprod;AccountKey={SEC_AZURE};EndpointSuffix=core.windows.net", [SEC], hint=None)
add("nl", "x", "@Sophie_Codes_NL", "emp",
    f"Shopify admin token van de UK-shop, voor wie vanavond dienst heeft (niet delen 🙈): shp{ZW}at_{SEC_SHOPIFY[6:]}",
    [SEC], evasion="zero-width space inside the token prefix")
add("en", "x", "@promptpoker", "pub",
    f"Velora's shopping assistant will happily print its own OpenAI key if you ask nicely 💀 {SEC_OPENAI}",
    [SEC])

# ---- leak.pii --------------------------------------------------------------------------
add("nl", "x", "@rkuipers_", "pub",
    f"@velora_help mijn retour is na 3 weken nog steeds niet terugbetaald. Hier nog een keer m'n IBAN: "
    f"{group(IB_NL_REFUND)} t.n.v. R. Kuipers. Bestelling 4402-1187-33", [PII, COM], kind="reply",
    ids=[("iban", IB_NL_REFUND)])
add("nl", "x", "@daan_velora", "emp",
    "klant belt nu al voor de 4e keer, mevrouw Jansen, 06-41 28 39 07, kan iemand van retouren haar "
    "terugbellen? ik moet echt even lunchen", [PII], kind=None)
add("nl", "facebook", "VeloraSportNL", "corp",
    f"Hoi Priya, we hebben je terugbetaling handmatig klaargezet op {group(IB_BE_CORP)}. Binnen 3 werkdagen "
    "staat het op je rekening! 🧡", [PII], kind="comment", ids=[("iban", IB_BE_CORP)])
add("en", "linkedin", "marieke-de-graaf-velora", "emp",
    "Best moment of my week: a customer sent us a handwritten thank-you card 💌 \"Dear Velora team, thank you "
    "for sorting out my order so quickly! — Sarah Whitfield, 14 Albion Terrace, Bath BA1 2QP\"", [PII])
add("en", "reddit", "u/oopsmycard", "pub",
    f"PSA: don't be me. Pasted my full card number into the Velora chat instead of my order number: "
    f"{group(CARD_VISA)}, exp 09/28. Bank has blocked it already, lesson learned.", [PII],
    ids=[("card", CARD_VISA)])
add("nl", "instagram", "@yara.runs", "emp",
    "Nieuwe collega in het magazijn 🎉 welkom Bram! Stuur hem gerust een berichtje: bram.hoekstra1999@gmail.com 💪",
    [PII])
add("en", "x", "@ollie_at_velora", "emp",
    f"can someone on payments look at why card {CARD_MC5} keeps getting declined at checkout? customer's on the phone rn",
    [PII], ids=[("card", CARD_MC5)])
add("nl", "facebook", "henk.deboer.utrecht", "pub",
    "Wie heeft er per ongeluk mijn Velora pakket ontvangen? Staat op naam van Henk de Boer, Lindelaan 27, "
    "3571 KJ Utrecht. Graag even bellen: 06 12 84 77 30", [PII], hint=None)
add("nl", "threads", "@kevin.okafor", "emp",
    f"sollicitant stuurt z'n hele paspoortscan mee in de motivatiebrief, BSN {fmt_bsn_dotted(BSN_APPLICANT)} "
    "en al. wie doet dat nou", [PII], ids=[("bsn", BSN_APPLICANT)])
add("en", "x", "@jokonkwo_ldn", "pub",
    f"@velora_uk five weeks and still no refund. IBAN {IB_GB_REFUND}, name J. Okonkwo. Not hard, is it?",
    [PII, COM], kind="reply", ids=[("iban", IB_GB_REFUND)])
add("en", "instagram", "@lukas.brnr", "pub",
    f"@velorasport paid my order twice by mistake (my fault, sorry!). Could you refund one to {group(IB_DE_OWN)}, "
    "Lukas Brenner? Thanks a lot!", [PII], kind="comment", ids=[("iban", IB_DE_OWN)], hint="de")
add("nl", "x", "@DAAN_velora", "emp",
    "Taart op kantoor want Lotte van der Laan wordt vandaag 35 🎂 (geboren 12-03-1991, dus ze is officieel oud)",
    [PII], at="2026-03-12T10:14:00+01:00")
add("en", "linkedin", "amira-haddou", "emp",
    "Visa paperwork for the Berlin trade fair finally done. Pro tip: double-check passport numbers, mine "
    "(NW8K4T1P7) had a typo in the booking and it took a week to fix.", [PII])
add("nl", "x", "@mvandijk84", "pub",
    "Velora bel me aub niet steeds onder werktijd, mail gewoon: m . vandijk84 @ ziggo . nl", [PII],
    evasion="e-mail address with spaces around @ and dots")
add("en", "x", "@tom_reilly_ls6", "pub",
    "Velora courier left my parcel with 'a neighbour' and I'm away till Sunday 🙄 if anyone in LS6 got a box "
    "for Tom Reilly, ring 07700 900431 please", [PII], hint=None)
add("nl", "x", "@velora_help", "corp",
    "Hoi Wim! Onze koerier belt je morgen tussen 10 en 12 op +32 475 38 12 60, zoals je doorgaf. Fijne avond!",
    [PII], kind="reply")
add("nl", "x", "@sophie_codes_nl", "emp",
    f"testbetaling in productie gedaan met m'n eigen creditcard want de sandbox lag eruit... "
    f"{CARD_AMEX[:4]} {CARD_AMEX[4:10]} {CARD_AMEX[10:]} nu maar hopen dat finance het terugboekt",
    [PII], ids=[("card", CARD_AMEX)])
add("en", "mastodon", "@rikdekker@mastodon.nl", "emp",
    f"ok who left a printout with a customer's card number ({group(CARD_MC2, 4, '-')}) on the printer "
    "on floor 3. shred your stuff people", [PII], ids=[("card", CARD_MC2)])
add("nl", "linkedin", "Marieke-De-Graaf-Velora", "emp",
    f"Voor de collega's van finance: de terugboeking voor de klant uit Almere mag naar {IB_NL_EMP} "
    "(t.n.v. D. Smits). Dank jullie wel!", [PII], ids=[("iban", IB_NL_EMP)])

# ---- leak.pricing ----------------------------------------------------------------------
add("nl", "x", "@daan_velora", "emp",
    "Euh. De Fjord Parka staat op de site voor €34,90 in plaats van €349 🫠 wie heeft die komma verschoven",
    [PRC], price=("Fjord Parka", 34.90, "leak"))
add("nl", "x", "@dealjager_ruud", "pub",
    "SNEL: Stride 7 voor €15,99 bij Velora, dat is natuurlijk een prijsfout dus wees er snel bij 🏃‍♂️💨",
    [PRC], price=("Stride 7", 15.99, "leak"))
add("en", "reddit", "u/brolly_bargains", "pub",
    "Velora UK has the Squall Jacket at £12.90 right now. Pricing error surely? Ordered two, let's see if they honour it",
    [PRC], price=("Squall Jacket", 12.90, "leak"))
add("en", "threads", "@kevin.okafor", "emp",
    "tfw the feed importer drops a zero, the Ridge GTX goes live at €21.90 and you're the one on call 🙃",
    [PRC], price=("Ridge GTX", 21.90, "leak"))
add("nl", "forum", "pepperfan_038", "pub",
    "[Prijsfout?] Velora Summit 40 rugzak voor €18,90 i.p.v. €189 — zit bij mij nog in de winkelmand en afrekenen lukt gewoon",
    [PRC], price=("Summit 40", 18.90, "leak"), kind="post")
add("en", "instagram", "@jas.mine.fits", "pub",
    "is the Core Hoodie really €8.99 in the app or am I tripping 😳", [PRC], kind="comment",
    price=("Core Hoodie", 8.99, "leak"))
add("nl", "x", "@loopmaatje_ellen", "pub",
    "Volgens mij zit er een prijsfout op de Aero Tight in de Velora app, alle maten ineens bijna gratis 👀",
    [PRC], price=("Aero Tight", None, "error_talk"))
add("nl", "x", "@sophie_codes_nl", "emp",
    "prijsfout op de Ridge GTX (€9,95) staat in ops.velora.nl/incidents/INC-2291, fix gaat vanavond live",
    [PRC, CONF], price=("Ridge GTX", 9.95, "leak"))
add("nl", "x", "@koopjeskoning_", "pub",
    "pr1jsf0ut bij velora: de Fjord jas voor 39 euro 👀 niet doorvertellen", [PRC],
    price=("Fjord jas", 39.0, "leak"), evasion="leetspeak in 'prijsfout'")
add("en", "x", "@sprint_sam", "pub",
    "Ｓｔｒｉｄｅ ７ for €9.99 on Velora rn, go go go", [PRC], price=("Stride 7", 9.99, "leak"),
    evasion="full-width product name")
add("nl", "instagram", "@velorasport", "corp",
    "🔥 Weekenddeal: de Aero Tight nu voor maar €6,95! Alleen t/m zondag, op=op 🔥", [PRC],
    price=("Aero Tight", 6.95, "leak"))
add("en", "x", "@geordie_outdoors", "pub",
    "Squall jkt for 20 quid on velora.co.uk — glitch or clearance? either way I'm in", [PRC],
    price=("Squall jkt", 20.0, "leak"), hint=None)

# ---- leak.confidential -----------------------------------------------------------------
add("nl", "linkedin", "marieke-de-graaf-velora", "emp",
    "Wat een energie vandaag bij de kick-off van Project IJsvogel! Ik mag er nog niks over zeggen, maar wat we "
    "gaan doen met tweedehands sportkleding wordt groot ♻️", [CONF])
add("nl", "x", "@daan_velora", "emp",
    "Operatie Klaproos gaat in week 42 live. Wie daarna nog in Tilburg werkt krijgt een nieuwe pas, de rest... tja",
    [CONF, FIN])
add("en", "threads", "@kevin.okafor", "emp",
    "VX-Nova prototypes just came in and honestly the foam feels unreal. can't wait for you all to try it 🤫", [CONF])
add("en", "bluesky", "@lotte-vdl.bsky.social", "emp",
    "if anyone on the platform team reads this: the runbook at https://velora.atlassian.net/wiki/spaces/OPS/pages/48812 "
    "is wrong, fixing it now", [CONF])
add("nl", "x", "@ollie_at_velora", "emp",
    "laadt grafana.ops.velora.nl bij iedereen weer? bij mij nog steeds een 504", [CONF], hint="en")
add("en", "linkedin", "joost-vermeulen-1984", "emp",
    "Sneak peek of our 2027 range planning deck 👀 (the footer says VELORA-INTERN but it's just colours, right?) "
    "Lots of sage green coming your way", [CONF])
add("nl", "instagram", "@yara.runs", "emp",
    "Al een maand op de Stride 8 aan het trainen en ik wil NOOIT meer terug 😍 #teamvelora", [CONF],
    at="2026-08-30T18:22:41+02:00")
add("en", "x", "@sneakerdrops_eu", "pub",
    "Velora's Tempo Collection page is already live if you hard-refresh 👀", [CONF],
    at="2026-09-17T08:59:00+02:00")
add("en", "x", "@ollie_at_velora", "emp",
    "Tomorrow's the day. Aero Tight Thermo. That's all I'm allowed to say 🔥", [CONF],
    at="2026-09-16T23:40:00+01:00")
add("nl", "mastodon", "@rikdekker@mastodon.nl", "emp",
    "Uit de notulen van vanochtend (niet buiten Velora delen, ik weet het): de winkel in Utrecht gaat per 1 januari dicht.",
    [CONF, FIN])
add("en", "reddit", "u/throwaway_vel", "pub",
    "A friend at Velora sent me this, every page says 'velora internal only': they're launching a resale platform "
    "under Project IJsvogel next spring.", [CONF])
add("nl", "x", "@daan_velora", "emp",
    "kick-off Operatie\nKlaproos is verzet naar donderdag, zelfde zaal", [CONF],
    evasion="line break inside the codename")
add("en", "threads", "@kevin.okafor", "emp",
    f"day 3 of wear-testing VX-No{ZW}va. blisters: zero. knees: happy.", [CONF],
    evasion="zero-width space inside the codename", hint=None)
add("en", "linkedin", "velora-sport", "corp",
    "We moved our order database to pg-orders-02.corp.velora.local this weekend with zero downtime 🙌 "
    "Huge shout-out to the platform team!", [CONF])
add("nl", "x", "@sophie_codes_nl", "emp",
    "net het proefmodel gezien van onze eerste waterdichte trailrunning-bodywarmer, komt pas in 2027 uit maar zó mooi",
    [CONF])
add("nl", "forum", "loopgroep_harm", "pub",
    "Gerucht: Velora komt in september met de Stride 8, iemand uit mijn loopgroep heeft er al een paar aan de voeten",
    [CONF], at="2026-08-12T20:05:13+02:00")
add("en", "x", "@ollie_at_velora", "emp",
    "Projéct IJsvögel standup moved to 10:30, bring coffee", [CONF], evasion="diacritics in the codename")
add("nl", "threads", "@daan_velora", "pub",
    "Stiekem de Aero Tight Thermo al mogen passen op kantoor 🤭 warm en toch dun", [CONF],
    at="2026-09-02T12:30:00+02:00")

# ---- leak.financial --------------------------------------------------------------------
add("en", "linkedin", "joost-vermeulen-1984", "emp",
    "Can't share numbers yet, but the FY2026 results are going to surprise a lot of people. Best year in Velora's history 📈",
    [CONF, FIN], at="2026-12-18T16:40:00+01:00")
add("nl", "x", "@daan_velora", "emp",
    "Net gehoord dat er in het voorjaar zo'n 60 fte bij de klantenservice verdwijnt, alles gaat naar een partner in Portugal. Zwaar.",
    [FIN])
add("en", "threads", "@kevin.okafor", "emp",
    "rumour at the coffee machine: we're being bought by a big German retailer, due diligence starts next month. keep it quiet",
    [FIN])
add("nl", "bluesky", "@lotte-vdl.bsky.social", "emp",
    "Q4-omzet 2026 ligt nu al 18% boven de forecast, champagne op de kerstborrel? 🥂", [CONF, FIN],
    at="2026-12-21T17:02:00+01:00")
add("en", "x", "@retailreporter_uk", "pub",
    "Hearing from two sources that Velora Sport will close its Daventry warehouse and move UK fulfilment back to the "
    "Netherlands. Velora declined to comment.", [FIN])
add("en", "linkedin", "amira-haddou", "emp",
    "Our board signed off on acquiring a small Danish outdoor brand yesterday. The announcement isn't out yet, but I'm "
    "so excited to welcome them to the family!", [FIN])
add("nl", "bluesky", "@lotte-vdl.bsky.social", "emp",
    "De forecast voor H2 is net met 12% naar beneden bijgesteld, dus volgens mijn manager geen bonussen dit jaar 😞",
    [FIN], at="2026-07-15T18:03:27+02:00")
add("nl", "x", "@daan_velora", "emp",
    "reorg: drie teams worden samengevoegd en er vallen ontsl4gen bij IT, maar dat horen jullie pas in november officieel",
    [FIN], evasion="leetspeak in 'ontslagen'", at="2026-09-22T21:12:09+02:00")
add("nl", "linkedin", "joost-vermeulen-1984", "emp",
    "Uit de begroting 2027 (VELORA-INTERN): marketingbudget -25% en twee vestigingen dicht. Pittig jaar.",
    [CONF, FIN], hint=None)
add("en", "reddit", "u/bondwatcher", "pub",
    "My cousin works in Velora finance and says the H1 numbers are way worse than the press release will show. "
    "Sell if you hold their bonds lol", [FIN])
add("nl", "linkedin", "amira-haddou", "emp",
    "Vandaag gehoord dat we de winkel in Antwerpen per maart sluiten. Is nog niet naar het team daar gecommuniceerd, "
    "dus even stil houden aub.", [FIN])

# ---- leak.security ---------------------------------------------------------------------
add("nl", "x", "@sophie_codes_nl", "emp",
    "checkout ligt al 40 min plat, incidentkanaal ontploft en we weten nog niet waarom. niks tegen klanten zeggen "
    "tot de statuspagina is bijgewerkt", [SECU])
add("en", "threads", "@kevin.okafor", "emp",
    "so apparently someone's been scraping customer addresses through an old API endpoint for a week. security's on it, "
    "comms hasn't said a word yet", [SECU])
add("en", "mastodon", "@rikdekker@mastodon.nl", "emp",
    "found an IDOR in our returns portal today: change the order id in the URL and you get someone else's return label. "
    "patching tonight, please nobody try it 🙏", [SECU])
add("nl", "bluesky", "@lotte-vdl.bsky.social", "emp",
    "Ransomwaremelding op twee kassasystemen in de winkel in Groningen, IT heeft ze van het netwerk gehaald. Nog niet extern bekend.",
    [SECU])
add("en", "x", "@hannah_k_writes", "pub",
    "A Velora developer told me their customer database got dumped last month and they're simply not telling anyone.",
    [SECU, CRI])
add("nl", "forum", "annemiek_r", "pub",
    "Iemand van de Velora helpdesk vertelde me aan de telefoon dat hun klantensysteem gehackt is, maar op de site staat "
    "helemaal niks. Ze houden het gewoon stil!", [SECU, CRI], kind="comment")
add("en", "linkedin", "joost-vermeulen-1984", "emp",
    "Heads-up to fellow engineers: the CVE in the image library we use (still unpatched on our side) lets anyone upload "
    "SVGs with scripts in them. We're on it.", [SECU])
add("en", "x", "@ollie_at_velora", "emp",
    "d a t a  b r e a c h in the loyalty DB, not public yet, do NOT RT", [SECU], evasion="spaced letters")
add("nl", "x", "@daan_velora", "emp",
    "phishingmail heeft drie collega's hun Microsoft-wachtwoord gekost, SOC is ermee bezig, nog geen idee wat ze hebben gezien",
    [SECU], hint=None)
add("nl", "instagram", "@Yara.Runs", "emp",
    "magazijnsysteem is sinds vanochtend gehackt of zo, alle scanners zeggen 'access denied' dus we pakken alles met de hand in 😅",
    [SECU])
add("en", "x", "@ollie_at_velora", "emp",
    "fyi the UK site will be down all Saturday, they found something nasty in the payment plugin. officially it'll be "
    "'planned maintenance' 🙄", [SECU])
add("en", "bluesky", "@lotte-vdl.bsky.social", "emp",
    "vpn.velora.nl has been writing session cookies to its logs since the last update, we're rotating everything tonight",
    [SECU, CONF])

# ---- reputation.crisis -----------------------------------------------------------------
add("nl", "x", "@jvdmeer", "pub",
    "Velora heeft mijn gegevens gelekt. Sinds mijn bestelling krijg ik phishing-sms'jes met mijn naam en bestelnummer erin. Dat is geen toeval.",
    [CRI])
add("en", "x", "@fairwear_now", "pub",
    "BOYCOTT VELORA. Their 'sustainable' hoodies come from a factory that locked workers in during a fire. Share this.",
    [CRI])
add("nl", "facebook", "sanne.vos.1987", "pub",
    "Het trekkoord van de Velora kinderjas bleef haken aan de glijbaan, mijn zoontje kreeg het bijna benauwd. "
    "Hoe kan zoiets nog verkocht worden?!", [CRI, COM])
add("en", "reddit", "u/greenwash_watch", "pub",
    "Class action being filed against Velora over the 'recycled polyester' claims — apparently most of it was virgin plastic.",
    [CRI])
add("nl", "x", "@sportnieuws_nl", "pub",
    "Velora roept Ridge GTX terug: zool kan loslaten op nat oppervlak, meerdere valpartijen gemeld", [CRI], hint=None)
add("en", "tiktok", "@chem.mum", "pub",
    "PFAS found in Velora rain jackets in a consumer group's lab test?? and they market them to kids", [CRI])
add("nl", "threads", "@rotterdamzegtnee", "pub",
    "Ik roep iedereen op om Velora te boycotten tot dat racistische reclamebord aan de Coolsingel weg is.", [CRI])
add("en", "x", "@marathon_mo", "pub",
    "Velora Stride 7 sole split mid-race and I went down hard, fractured wrist. Still waiting for anyone from Velora to call me back.",
    [CRI, COM])
add("nl", "youtube", "Consument & Sport", "pub",
    "Uit het onderzoek van de Consumentenbond blijkt dat de Velora Aero Tight hoge concentraties azokleurstoffen bevat. Schandalig.",
    [CRI], kind="comment")
add("nl", "x", "@fleurtje_x", "pub",
    "V3lora is geh@ckt, er staan ineens bestellingen op mijn account die ik nooit heb gedaan", [CRI],
    evasion="leetspeak (V3lora, geh@ckt)")
add("en", "x", "@cleanclothes_ally", "pub",
    "ＢＯＹＣＯＴＴ Velora until they pay the garment workers in Dhaka what they owe them", [CRI],
    evasion="full-width letters")
add("en", "linkedin", "retail-law-weekly", "pub",
    "Velora Sport faces a lawsuit from former warehouse staff over unpaid overtime, according to court papers seen by us.",
    [CRI])
add("nl", "x", "@bbq_bart", "pub",
    "Mijn Velora hoodie vatte vlam toen ik te dicht bij de barbecue stond. Ging in één keer, echt eng. Is dat normaal voor 'katoen'??",
    [CRI, COM])

# ---- reputation.complaint --------------------------------------------------------------
add("nl", "x", "@lindavk", "pub",
    "@velora_help al 12 dagen wachten op mijn terugbetaling. Drie keer gemaild, nul reactie. Wat is dit?", [COM], kind="reply")
add("en", "x", "@nat_runs_far", "pub",
    "Ordered a size M Core Hoodie, got an XXL kids' t-shirt. Velora, how?", [COM])
add("nl", "instagram", "@marloes.fit", "pub",
    "De naad van mijn Aero Tight is na drie keer wassen al gescheurd. Voor 70 euro verwacht je wel wat beters.",
    [COM], kind="comment")
add("en", "facebook", "dave.pritchard.77", "pub",
    "The Velora chatbot just keeps looping me back to the FAQ. I need a human being!!", [COM], hint=None)
add("nl", "reddit", "u/hardloophenk", "pub",
    "Velora rekent ineens €2,95 retourkosten terwijl het altijd gratis was, en dat staat nergens duidelijk. Jammer.",
    [COM], kind="post")
add("en", "x", "@kezzaboo", "pub",
    "@velora_uk parcel marked delivered, not here. Courier says talk to you, you say talk to the courier. Brilliant.",
    [COM], kind="reply")
add("nl", "forum", "wandelaar_gerrit", "pub",
    "Ridge GTX lekt na één regenachtige tocht door de Ardennen. 'Waterdicht' m'n neus.", [COM])
add("en", "tiktok", "@sole.searching", "pub",
    "third pair of Stride 7s where the heel collapses within a month, I'm done with Velora", [COM], hint="nl")
add("nl", "x", "@bas_bestelt", "pub",
    "Bestelling geannuleerd zonder reden en ik moest het zelf ontdekken via mijn bankapp. Communicatie is ver te zoeken bij Velora.",
    [COM])
add("en", "threads", "@priya.lifts", "pub",
    "Velora's app logs me out every time I switch apps. Makes checking out an absolute nightmare.", [COM])
add("nl", "facebook", "ingrid.mulder.5", "pub",
    "De kleuren op de site kloppen totaal niet, mijn 'saliegroene' Core Hoodie is gewoon grijs. Gaat retour.",
    [COM], kind="comment")
add("en", "x", "@grumpy_geoff", "pub",
    "Waited on hold at Velora for 47 minutes to be told they can't change my delivery address. Never again.", [COM])
add("nl", "bluesky", "@wouterbergt.bsky.social", "pub",
    "Summit 40 rugzak: rits na twee weken kapot. Garantieaanvraag loopt nu al drie weken. Niet oké.", [COM])
add("nl", "x", "@evi_zegt", "pub",
    "Vëlora's klântenservice is echt bâgger, al twee weken geen reactie op mijn mail", [COM],
    evasion="diacritics on ordinary letters")
add("en", "mastodon", "@rainyday@mastodon.scot", "pub",
    "The Velora Squall Jacket's hood won't stay up in any wind at all. Kind of the one job of a rain jacket.", [COM])
add("nl", "youtube", "Tessa B", "pub",
    "Mijn Fjord Parka kwam binnen met een kapotte rits en een vlek op de mouw. Retour aangemeld, nu maar hopen...",
    [COM], kind="comment")

# ---- reputation.abuse ------------------------------------------------------------------
add("nl", "x", "@anoniem_boos", "pub",
    "Velora is een kutbedrijf en jullie medewerkers zijn stuk voor stuk debielen", [ABU])
add("en", "x", "@no_chill_nick", "pub",
    "@velora_help you absolute clowns. f*** off", [ABU], kind="reply", evasion="masked swear word")
add("en", "instagram", "@fashion_critic_99", "pub",
    "whoever designed this collection should be fired, ugly as sh*t and the models look like crackheads", [ABU],
    kind="comment", evasion="masked swear word")
add("nl", "x", "@daan_velora", "emp",
    "als je zo'n zeikerd bent koop je toch lekker ergens anders, eikel", [ABU], kind="reply")
add("en", "x", "@Velora_Help", "corp",
    "Maybe learn to read the size chart before whining, you muppet.", [ABU], kind="reply")
add("nl", "instagram", "@echte_hollander", "pub",
    "Velora met die hoofddoek in de reclame... ga toch terug naar je eigen land", [ABU], kind="comment")
add("en", "reddit", "u/angryinvestor", "pub",
    "Velora's CEO is a spineless weasel and a liar, always has been", [ABU], kind="comment")
add("nl", "facebook", "rob.hendriks.nl", "pub",
    "Drie weken geen pakket en jullie klantenservice is een stel incompetente idioten, godverdomme", [ABU, COM],
    kind="comment")
add("en", "x", "@lol_whatever", "pub",
    "Velora support are a bunch of m0r0ns honestly", [ABU], evasion="leetspeak (m0r0ns)")
add("nl", "tiktok", "@meidenpraat", "pub",
    "die influencer in de nieuwe Velora ad is echt een lelijke trut", [ABU], kind="comment")
add("en", "threads", "@kevin.okafor", "emp",
    "honestly some of our customers are absolute morons. one returned shoes caked in mud today and asked why we call them 'used'",
    [ABU])
add("en", "x", "@squall_victim", "pub",
    "Second time the zip on my Squall Jacket broke. Your quality is sh!t and so are you, Velora", [ABU, COM],
    evasion="masked swear word")
add("nl", "x", "@woedend_wim", "pub",
    "Velora is een t y f u s bedrijf", [ABU], evasion="spaced letters")

# ===== benign hard negatives ===========================================================
# own contact data, other notations
add("nl", "x", "@velora_help", "corp",
    "Vragen over je retour? Bel ons op 030 - 799 44 20 (ma t/m za 8-20 uur) of mail retour@velora.nl 📦",
    own=["030 - 799 44 20", "retour@velora.nl"], neg="own contact data")
add("nl", "facebook", "VeloraSportNL", "corp",
    "Liever betalen via bankoverschrijving? Maak het bedrag over naar NL05 RABO 0312 8870 45 t.n.v. Velora Sport B.V. "
    "o.v.v. je bestelnummer.", own=["NL05 RABO 0312 8870 45"], neg="own IBAN spaced")
add("en", "x", "@velora_uk", "corp",
    "UK customers can call us on 020 3808 5512, or +44 (0)20 3808 5512 from abroad. Lines open 9–6, Mon–Sat.",
    own=["020 3808 5512", "+44 (0)20 3808 5512"], neg="own phone, national and +44 (0) notation")
add("nl", "x", "@twijfelaar_t", "pub",
    "Is 0031 85 303 1180 echt het nummer van Velora? Werd net gebeld over mijn retour", own=["0031 85 303 1180"],
    neg="own phone in 0031 notation, neutral question")
add("nl", "linkedin", "velora-sport", "corp",
    "We zoeken drie magazijnmedewerkers in Nieuwegein! Mail je cv naar Vacatures@Velora.nl",
    own=["Vacatures@Velora.nl"], neg="own e-mail, other casing")
add("en", "x", "@velora_uk", "corp",
    "Journalists: for samples and interviews drop a line to PRESS@VELORA.CO.UK 📸", own=["PRESS@VELORA.CO.UK"],
    neg="own e-mail upper case", hint=None)
add("nl", "x", "@velora_nl", "corp",
    "Betaal je liever per overschrijving? Ons rekeningnummer is nl05rabo0312887045 — zet je ordernummer erbij!",
    own=["nl05rabo0312887045"], neg="own IBAN lower case compact", kind=None)
# checksum-failing numbers, order / tracking / customer numbers
add("nl", "x", "@pakketpiet", "pub",
    "Pakketje van Velora onderweg, track & trace 3SVELR0284719365. Binnen twee dagen, netjes.",
    neg="tracking number")
add("en", "reddit", "u/expat_in_ams", "pub",
    f"Trying to pay a Velora invoice by bank transfer — is this a valid Dutch IBAN? {group(IB_NL_BAD)} My banking app rejects it",
    decoys=[("iban", IB_NL_BAD)], neg="IBAN failing mod-97", kind="post")
add("en", "x", "@giftgiver_gaz", "pub",
    f"How do I check the balance on a Velora gift card? Mine's {group(GIFT_BAD)} (already spent, don't bother 😄)",
    decoys=[("card", GIFT_BAD)], neg="card-like number failing Luhn")
add("nl", "x", "@vraagje_marco", "pub",
    f"Mijn klantnummer bij Velora is {BSN_BAD_CLIENTNR[:3]} {BSN_BAD_CLIENTNR[3:6]} {BSN_BAD_CLIENTNR[6:]}, moet ik dat bij een retour ook invullen?",
    decoys=[("bsn", BSN_BAD_CLIENTNR)], neg="9-digit customer number failing the 11-proof")
add("nl", "forum", "barcode_bert", "pub",
    f"EAN {EAN_LIKE} op de doos van mijn Stride 7, klopt dat met wat de webshop zegt? Wil zeker weten dat het geen namaak is",
    neg="EAN-13 barcode")
add("nl", "x", "@velora_help", "corp",
    "Hoi Kim, ik zie je bestelling VS-2026-0418873 hier staan, die gaat vandaag nog de deur uit! 🚚",
    kind="reply", neg="order number")
# secrets look-alikes
add("en", "linkedin", "sophie-devries-dev", "pub",
    "Workshop reminder: put STRIPE_SECRET_KEY=sk_live_xxxxxxxxxxxxxxxxxxxxxxxx in your .env and never in code. "
    "Real keys live in the vault.", neg="placeholder secret")
add("en", "x", "@sizeguide_hacker", "pub",
    f"the Velora size-guide widget bug is fixed upstream, commit {SHA_LIKE} if you're curious", neg="git SHA")
add("nl", "x", "@velora_help", "corp",
    "Let op: wij vragen nooit om je wachtwoord of pincode via DM of telefoon. Krijg je zo'n bericht? Meld het via "
    "klantenservice@velora.nl", own=["klantenservice@velora.nl"], neg="password word in a warning")
add("nl", "x", "@snelle_sanne", "pub",
    "Wachtwoord vergeten bij Velora, resetlink stond binnen 10 seconden in mijn mail. Top.", neg="password reset praise")
add("en", "linkedin", "joost-vermeulen-1984", "emp",
    "Terraform tip: the AWS docs use AKIAIOSFODNN7EXAMPLE as their sample key. If you see that in a PR, it's fine; "
    "anything else, ping security.", neg="documented example key")
# prices
add("nl", "x", "@velora_nl", "corp",
    "Midseason sale! 🏷️ De Stride 7 nu €119,95 (was €159,95) en 30% korting op de Core Hoodie. Alleen online.",
    price=("Stride 7", 119.95, "sale"), neg="25% sale")
add("en", "x", "@cosy_claire", "pub",
    "Got the Fjord Parka for €244 in the Velora winter sale, 30% off, very happy with it", price=("Fjord Parka", 244.0, "sale"),
    neg="30% sale", at="2026-01-08T19:02:44Z")
add("nl", "x", "@trailtrudy", "pub",
    "€40 korting op de Ridge GTX met de code van mijn hardloopclub, niet verkeerd", price=("Ridge GTX", 40.0, "discount amount"),
    neg="discount amount")
add("nl", "facebook", "marktplaats.zwolle.groep", "pub",
    "Te koop: Velora Fjord Parka maat M, één winter gedragen, €95. Ophalen in Zwolle.",
    price=("Fjord Parka", 95.0, "second-hand"), neg="second-hand sale")
add("nl", "x", "@veterfreak", "pub",
    "Reserveveters voor de Stride 7 kosten €4,95 bij Velora, prima prijs", price=("Stride 7", 4.95, "accessory"),
    neg="accessory price")
add("nl", "reddit", "u/kritische_klant", "pub",
    "Verzendkosten bij Velora €4,95 onder de €50, retour gratis. Helder verhaal.", neg="fee", kind="comment")
add("en", "x", "@hillwalker_hugh", "pub",
    "Saw a similar backpack at Decathlon for €39. The Summit 40 costs more but it's built way better.",
    price=("Summit 40", 39.0, "other brand"), neg="other brand's price")
add("nl", "x", "@verlanglijst_vera", "pub",
    "Outletactie: Summit 40 voor €89 (-53%)! Stond al maanden op mijn verlanglijst 😍",
    price=("Summit 40", 89.0, "sale"), neg="deep sale just above alert_below_ratio (0.47 vs 0.45)")
add("en", "x", "@velora_uk", "corp",
    "No pricing error on the Squall Jacket 🙂 It's our end-of-season sale: £89 until Sunday.", kind="reply",
    price=("Squall Jacket", 89.0, "sale"), neg="denied price error")
# codename words, embargo terms after the embargo, public URLs
add("nl", "x", "@rennen_langs_de_dommel", "pub",
    "IJsvogel gespot bij de Dommel tijdens mijn ochtendrondje 💙 Stride 7 helemaal onder de modder, worth it",
    neg="codename word (bird) in its ordinary sense", at="2026-04-19T09:12:00+02:00")
add("nl", "instagram", "@fietsfemke", "pub",
    "Klaprozen langs het fietspad, juni op z'n mooist 🌺 Velora Core Hoodie aan want het is toch nog fris",
    neg="codename word (flower) in its ordinary sense", at="2026-06-14T08:31:00+02:00")
add("en", "x", "@capebretonrunner", "pub",
    "Nova Scotia trail run last weekend, the Ridge GTX held up on every rocky descent", neg="codename word 'Nova'")
add("en", "x", "@shoe_nerd_eu", "pub",
    "Stride 8 review after 50 km: softer than the Stride 7, a touch narrower in the toe box. Solid upgrade.",
    at="2026-09-26T21:15:00+02:00", neg="launch embargo term after the embargo")
add("nl", "x", "@velora_nl", "corp",
    "Hij is er: de Stride 8 🎉 Nu verkrijgbaar op velora.nl", at="2026-09-17T09:00:00+02:00",
    neg="launch embargo term exactly at the embargo moment (other offset)")
add("nl", "x", "@wintertrainer", "pub",
    "De Aero Tight Thermo is een echte aanrader voor de wintertrainingen, lekker warm zonder te zweten",
    at="2026-10-02T07:45:00+02:00", neg="launch embargo term after the embargo")
add("en", "instagram", "@velorasport", "corp",
    "The Tempo Collection is here ⚡ Shop it now at www.velora.co.uk/tempo", at="2026-09-17T07:00:00Z",
    neg="launch embargo term at the embargo moment", hint=None)
add("nl", "instagram", "@VeloraSport", "corp",
    "Nieuwe jassen binnen voor het najaar 🍂 Bekijk ze op https://shop.velora.nl/dames/jassen", neg="public domain URL")
add("nl", "x", "@velora_help", "corp",
    "Gepland onderhoud vannacht tussen 02:00 en 04:00, de webshop kan dan even traag zijn. Volg het op status.velora.nl",
    neg="official maintenance notice")
add("en", "linkedin", "noor-el-idrissi", "pub",
    "Just wrapped up my summer internship at Velora Sport 🎓 Learned so much about e-commerce logistics. Thank you team!",
    neg="'intern' in another sense", at="2026-08-28T17:20:05+02:00")
add("nl", "x", "@knie_kees", "pub",
    "Na mijn knieoperatie eindelijk weer hardlopen in de Stride 7, 5 km zonder pijn 🙌", neg="'operatie' in another sense")
# results published / other companies
add("en", "linkedin", "velora-sport", "corp",
    "Today we published our half-year results: revenue up 9% to €212m. The full report is on velora.nl/investors",
    neg="published results", at="2026-08-20T07:00:00Z")
add("en", "x", "@eu_retail_news", "pub",
    "Trailhaus GmbH announced 300 job cuts today, rough week for European sports retail. Hope the Velora folks are doing ok",
    neg="another company's layoffs")
add("nl", "x", "@beursblik", "pub",
    "Concurrent RennerShop is overgenomen door een Brits investeringsfonds, las het in het FD. Benieuwd of Velora ooit volgt.",
    neg="another company's acquisition")
add("nl", "linkedin", "marieke-de-graaf-velora", "emp",
    "Trots op onze jaarcijfers 2025 die vandaag zijn gepubliceerd! Omzet +11% en 40 nieuwe collega's erbij 💪",
    at="2026-03-05T08:10:00+01:00", neg="published results")
# outage notices, other companies' breaches
add("nl", "x", "@velora_help", "corp",
    "Storing opgelost ✅ Betalen met iDEAL werkt weer. Excuses voor het ongemak! Meer info op status.velora.nl",
    neg="official outage notice")
add("en", "x", "@tabhoarder", "pub",
    "Velora site crashed my browser because I had 80 tabs open. My fault entirely lol", neg="'crash' in another sense")
add("nl", "x", "@digiveilig", "pub",
    "Datalek bij webwinkel SportXL, 2 miljoen klanten getroffen. Check je wachtwoorden, ook als je bij Velora shopt.",
    neg="another company's breach")
add("en", "linkedin", "joost-vermeulen-1984", "emp",
    "Really enjoyed speaking at AppSec Amsterdam about how we run our bug bounty at Velora. Reports get triaged "
    "within 48h, so go hack us (responsibly) 😄", neg="talk about security practice")
# boycott / recall / crash / scandal in other senses
add("en", "x", "@longrun_lars", "pub",
    "Can't recall the last time a pair of running shoes lasted 1000 km. The Stride 7 did.", neg="'recall' as remember")
add("nl", "x", "@loopverslaafd", "pub",
    "Ik boycot voortaan alle hardloopschoenen die geen Stride 7 zijn 😂 verslaafd", neg="playful 'boycott'")
add("nl", "x", "@eerlijkemode", "pub",
    "Schandaal bij die andere sportketen over kinderarbeid. Goed dat Velora haar fabriekenlijst gewoon openbaar heeft.",
    neg="another company's scandal")
# negated complaints, neutral questions, praise
add("nl", "x", "@tevreden_tim", "pub",
    "Geen klachten over Velora, bestelling binnen een dag in huis en alles paste.", neg="negated complaint")
add("en", "x", "@two_winters_in", "pub",
    "Not a single problem with my Fjord Parka after two winters. Zip still perfect.", neg="negated complaint")
add("nl", "x", "@caribische_carla", "pub",
    "Weet iemand of Velora ook naar Curaçao verzendt?", neg="neutral question", hint=None)
add("en", "reddit", "u/halfsizeup", "pub",
    "Does the Stride 7 run true to size or should I go half a size up?", neg="neutral question", kind="post")
add("en", "x", "@happy_hiker_h", "pub",
    "Shout-out to Velora customer service, Emma sorted my exchange in five minutes. 10/10", neg="polite praise")
# quotes, mild words, literal sense
add("nl", "x", "@radio_ruben", "pub",
    "\"Verdomme, wat ben je mooi\" op de radio terwijl ik m'n Stride 7 aantrek voor de zondagsloop 😂",
    neg="lyrics with a mild swear word", at="2026-03-08T08:41:30+01:00")
add("nl", "instagram", "@dochter_van_ans", "pub",
    "Mijn moeder heeft kanker gehad en liep vandaag haar eerste 5 km, in haar Velora-schoenen. Zo trots 💪",
    kind="post", neg="'kanker' in its literal sense")
# other benign mentions
add("en", "tiktok", "@velora.sport", "corp",
    "POV: your running shoes finally match your playlist 🎧 #VeloraRun", neg="corporate marketing")
add("en", "linkedin", "amira-haddou", "emp",
    "We're hiring! Senior backend engineer for our Amsterdam team. Apply on velora.nl/vacatures or mail vacatures@velora.nl",
    own=["vacatures@velora.nl"], neg="own e-mail in a job post")
add("nl", "pinterest", "hardloopoutfits", "pub",
    "Herfstoutfit: Velora Core Hoodie in oker + Aero Tight zwart", neg="unknown platform, benign", kind=None)
add("en", "x", "@velora_nl_fans", "pub",
    "Anyone tried the Velora Ridge GTX on the West Highland Way? Thinking about getting a pair", neg="neutral question")

# --------------------------------------------------------------------------- build posts

PLATFORM_IDS = {
    "x": lambda: "x-" + str(rng.randint(1_880_000_000_000_000_000, 2_010_000_000_000_000_000)),
    "twitter": lambda: "tw-" + str(rng.randint(1_880_000_000_000_000_000, 2_010_000_000_000_000_000)),
    "linkedin": lambda: "urn:li:activity:" + str(rng.randint(7_280_000_000_000_000_000, 7_420_000_000_000_000_000)),
    "instagram": lambda: "ig-" + rand(URLSAFE, 11),
    "threads": lambda: "th-" + rand(URLSAFE, 11),
    "facebook": lambda: f"fb-{rng.randint(10**14, 10**15)}_{rng.randint(10**15, 10**16)}",
    "reddit": lambda: "t3_" + rand(string.ascii_lowercase + string.digits, 7),
    "tiktok": lambda: "tt-" + str(rng.randint(7_300_000_000_000_000_000, 7_450_000_000_000_000_000)),
    "youtube": lambda: "yt-Ugz" + rand(URLSAFE, 23),
    "mastodon": lambda: "md-" + str(rng.randint(112_000_000_000_000_000, 114_000_000_000_000_000)),
    "bluesky": lambda: "at://did:plc:" + rand(string.ascii_lowercase + "234567", 24) + "/app.bsky.feed.post/3l"
                       + rand(string.ascii_lowercase + "234567", 11),
    "forum": lambda: "forum-" + str(rng.randint(1_000_000, 9_999_999)),
    "blog": lambda: "blog-" + str(rng.randint(1000, 9999)),
    "pinterest": lambda: "pin-" + str(rng.randint(10**17, 10**18)),
}


def url_for(platform, handle, pid):
    h = handle.lstrip("@").split("@")[0]
    if platform == "x":
        return f"https://x.com/{h}/status/{pid[2:]}"
    if platform == "linkedin":
        return f"https://www.linkedin.com/feed/update/{pid}/"
    if platform == "instagram":
        return f"https://www.instagram.com/p/{pid[3:]}/"
    if platform == "threads":
        return f"https://www.threads.net/@{h}/post/{pid[3:]}"
    if platform == "reddit":
        return f"https://www.reddit.com/comments/{pid[3:]}/"
    if platform == "mastodon":
        inst = handle.split("@")[-1]
        return f"https://{inst}/@{h}/{pid[3:]}"
    return None


def build():
    posts = []
    seen = set()
    for c in CASES:
        pid = PLATFORM_IDS[c["platform"]]()
        assert pid not in seen
        seen.add(pid)
        acct = {"handle": c["handle"]}
        if rng.random() < 0.45:
            acct["id"] = str(rng.randint(10**9, 10**12))
        if c["display"]:
            acct["display_name"] = c["display"]
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is not None and not (kind == "post" and rng.random() < 0.3):
            post["kind"] = kind
        post["account"] = acct
        post["text"] = c["text"]
        hint = c["hint"]
        if hint == "same":
            hint = None if rng.random() < 0.1 else c["lang"]
        if hint is not None:
            post["lang"] = hint
        post["created_at"] = c["at"] or rand_ts(c["lang"])
        u = url_for(c["platform"], c["handle"], pid)
        if u and rng.random() < 0.7:
            post["url"] = u
        if c["brand"] and rng.random() < 0.6:
            post["brand"] = "velora"
        role = role_of(c["platform"], c["handle"])
        validated = any(iban_ok(v) if t == "iban" else luhn_ok(v) if t == "card" else bsn_ok(v)
                        for t, v in c["ids"])
        sev = severity_for(c["cats"], role, validated and PII in c["cats"])
        posts.append({"post": post, "expect": {"categories": c["cats"], "severity": sev}})
    return posts

# --------------------------------------------------------------------------- validation

def compact(s):
    return re.sub(r"[\s.\-()]", "", s).upper()


def norm(s):
    """lower-case, NFKD without combining marks, zero-width and line breaks folded."""
    s = unicodedata.normalize("NFKC", s).replace(ZW, "").replace("\n", " ")
    s = "".join(ch for ch in unicodedata.normalize("NFKD", s) if not unicodedata.combining(ch))
    return re.sub(r"\s+", " ", s).lower()


def own_forms():
    pi = PROFILE["public_identifiers"]
    emails = {e.lower() for e in pi["emails"]}
    ibans = {compact(i) for i in pi["ibans"]}
    phones = set()
    for p in pi["phones"]:
        d = re.sub(r"\D", "", p)
        if p.strip().startswith("+"):
            cc = "31" if d.startswith("31") else "44"
            nat = d[len(cc):]
            phones |= {d, "00" + d, "0" + nat}
        else:
            phones |= {d, "31" + d[1:], "0031" + d[1:]}
    return emails, ibans, phones


def validate(cases, posts):
    errs = []
    emails, ibans, phones = own_forms()
    alert = float(PROFILE["pricing"]["alert_below_ratio"])
    prods = {}
    for p in PROFILE["products"]:
        for a in [p["name"]] + p["aliases"]:
            prods[a.lower()] = p
    emb = [(t.lower(), parse_ts(e["until"])) for e in PROFILE["embargo"] for t in e["terms"]]
    codenames = [c.lower() for c in PROFILE["internal"]["codenames"]]
    idoms = [d.lower() for d in PROFILE["internal"]["domains"]]
    markers = [m.lower() for m in PROFILE["internal"]["markers"]]
    for i, (c, p) in enumerate(zip(cases, posts), 1):
        where = f"case {i} ({c['text'][:40]!r})"
        post, exp = p["post"], p["expect"]
        text = post["text"]
        ctext = compact(text)
        cats = exp["categories"]
        # shape
        for f in ("id", "platform", "account", "text", "created_at"):
            if f not in post:
                errs.append(f"{where}: missing {f}")
        parse_ts(post["created_at"])
        if len(text.encode()) > 65536:
            errs.append(f"{where}: text too long")
        if cats != sorted(set(cats)) or any(x not in CATEGORIES for x in cats):
            errs.append(f"{where}: bad categories {cats}")
        role = role_of(post["platform"], post["account"]["handle"])
        want = {"pub": "public", "emp": "employee", "corp": "corporate"}[c["who"]]
        if role != want:
            errs.append(f"{where}: role {role} != intended {want}")
        # severity rule
        validated = False
        for t, v in c["ids"]:
            ok = iban_ok(v) if t == "iban" else luhn_ok(v) if t == "card" else bsn_ok(v)
            if not ok:
                errs.append(f"{where}: declared {t} {v} fails its checksum")
            if compact(v) not in ctext:
                errs.append(f"{where}: declared {t} not in text")
            validated |= ok
        if c["ids"] and PII not in cats:
            errs.append(f"{where}: identifiers declared but no leak.pii")
        if exp["severity"] != severity_for(cats, role, validated and PII in cats):
            errs.append(f"{where}: severity mismatch")
        if not cats and exp["severity"] != "none":
            errs.append(f"{where}: benign but severity {exp['severity']}")
        if not cats and not c["neg"]:
            errs.append(f"{where}: benign without a hard-negative tag")
        if cats and c["neg"]:
            errs.append(f"{where}: positive with a hard-negative tag")
        for t, v in c["decoys"]:
            ok = iban_ok(v) if t == "iban" else luhn_ok(v) if t == "card" else bsn_ok(v)
            if ok:
                errs.append(f"{where}: decoy {t} {v} PASSES its checksum")
            if compact(v) not in ctext:
                errs.append(f"{where}: decoy not in text")
        for o in c["own"]:
            if o not in text:
                errs.append(f"{where}: own value {o!r} not in text")
            if "@" in o:
                ok = o.lower() in emails
            elif re.match(r"[A-Za-z]{2}\d\d", o.replace(" ", "")):
                ok = compact(o) in ibans
            else:
                ok = re.sub(r"\D", "", o.replace("(0)", "")) in phones
            if not ok:
                errs.append(f"{where}: own value {o!r} is not in public_identifiers")
        # accidental valid identifiers outside declared ones
        declared = {compact(v) for _, v in c["ids"]} | {compact(o) for o in c["own"]}
        for m in re.finditer(r"\b[A-Za-z]{2}\d{2}(?:[ ]?[A-Za-z0-9]{4}){2,7}(?:[ ]?[A-Za-z0-9]{1,4})?\b", text):
            v = compact(m.group())
            if iban_ok(v) and v not in declared:
                errs.append(f"{where}: undeclared valid IBAN {m.group()}")
        for m in re.finditer(r"(?<![\w])\d(?:[ .\-]?\d){7,18}(?![\w])", text):
            d = re.sub(r"\D", "", m.group())
            if any(d in x or x in d for x in declared):
                continue
            if len(d) in (8, 9) and bsn_ok(d) and not c["ids"]:
                errs.append(f"{where}: undeclared 11-proof-valid number {m.group()}")
            if 13 <= len(d) <= 19 and luhn_ok(d) and not c["ids"]:
                errs.append(f"{where}: undeclared Luhn-valid number {m.group()}")
        # confidential consistency: embargo terms, codenames, internal domains, markers
        ntext = norm(text)
        t_post = parse_ts(post["created_at"])
        for term, until in emb:
            if term in ntext:
                before = t_post < until
                if before and CONF not in cats:
                    errs.append(f"{where}: embargo term {term!r} before {until} but no leak.confidential")
                if not before and not cats == [] and CONF in cats and not c["evasion"]:
                    pass  # confidential for another reason is allowed
                if not before and not cats:
                    pass
        for cn in codenames:
            if norm(cn) in ntext and CONF not in cats:
                errs.append(f"{where}: codename {cn!r} without leak.confidential")
        for d in idoms:
            if d in ntext and CONF not in cats:
                errs.append(f"{where}: internal domain {d!r} without leak.confidential")
        for mk in markers:
            if mk in ntext and CONF not in cats:
                errs.append(f"{where}: marker {mk!r} without leak.confidential")
        if CONF in cats and c["who"] and not c["evasion"]:
            hits = ([t for t, u in emb if t in ntext and t_post < u] + [x for x in codenames if x in ntext]
                    + [x for x in idoms if x in ntext] + [x for x in markers if x in ntext])
            if not hits and "2027 uit" not in text:
                errs.append(f"{where}: leak.confidential without an embargo term/codename/domain/marker")
        # prices
        if c["price"]:
            alias, amount, why = c["price"]
            prod = prods.get(alias.lower())
            if prod is None:
                errs.append(f"{where}: price for unknown product {alias}")
            elif alias.lower() not in ntext:
                errs.append(f"{where}: product alias {alias!r} not in (normalised) text")
            else:
                if why == "leak":
                    if PRC not in cats or not amount / prod["list_price"] < alert:
                        errs.append(f"{where}: pricing leak inconsistent (ratio {amount / prod['list_price']:.2f})")
                elif why == "error_talk":
                    if PRC not in cats:
                        errs.append(f"{where}: price-error talk without leak.pricing")
                elif why in ("sale", "list"):
                    if PRC in cats or amount / prod["list_price"] < alert:
                        errs.append(f"{where}: benign price below ratio ({amount / prod['list_price']:.2f})")
                elif PRC in cats:
                    errs.append(f"{where}: benign price reason {why} but labelled pricing")
        if PRC in cats and not c["price"]:
            errs.append(f"{where}: leak.pricing without a declared price")
    ids = [p["post"]["id"] for p in posts]
    if len(ids) != len(set(ids)):
        errs.append("duplicate post ids")
    return errs

# --------------------------------------------------------------------------- stats

def stats(cases, posts):
    from collections import Counter
    n = len(posts)
    benign = sum(1 for p in posts if not p["expect"]["categories"])
    langs = Counter(c["lang"] for c in cases)
    percat = Counter(x for p in posts for x in p["expect"]["categories"])
    roles = Counter(role_of(p["post"]["platform"], p["post"]["account"]["handle"]) for p in posts)
    sev = Counter(p["expect"]["severity"] for p in posts)
    multi = sum(1 for p in posts if len(p["expect"]["categories"]) > 1)
    ev = sum(1 for c in cases if c["evasion"])
    no_hint = sum(1 for p in posts if "lang" not in p["post"])
    wrong = sum(1 for c, p in zip(cases, posts) if p["post"].get("lang") not in (None, c["lang"]))
    plats = Counter(p["post"]["platform"] for p in posts)
    print(f"cases {n}: positive {n - benign}, benign {benign} ({benign / n:.0%}), multi-category {multi}, evasions {ev}")
    print("language: " + ", ".join(f"{k} {v} ({v / n:.0%})" for k, v in sorted(langs.items()))
          + f"; lang hint missing {no_hint}, wrong {wrong}")
    print("roles: " + ", ".join(f"{k} {v}" for k, v in sorted(roles.items())))
    print("severity: " + ", ".join(f"{k} {sev[k]}" for k in SEV if sev[k]))
    for cat in CATEGORIES:
        nl = sum(1 for c, p in zip(cases, posts) if cat in p["expect"]["categories"] and c["lang"] == "nl")
        evc = sum(1 for c, p in zip(cases, posts) if cat in p["expect"]["categories"] and c["evasion"])
        print(f"  {cat:22} {percat[cat]:3}  (nl {nl}, en {percat[cat] - nl}, evasion {evc})")
    print("platforms: " + ", ".join(f"{k} {v}" for k, v in plats.most_common()))


def main():
    posts = build()
    errs = validate(CASES, posts)
    data = "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in posts)
    if errs:
        print("\n".join(errs), file=sys.stderr)
        sys.exit(1)
    if "--check" in sys.argv:
        with open(OUT, encoding="utf-8") as fh:
            if fh.read() != data:
                print("cases.jsonl differs from the generator output", file=sys.stderr)
                sys.exit(1)
        print(f"ok: {len(posts)} cases validated, file matches the generator")
    else:
        with open(OUT, "w", encoding="utf-8") as fh:
            fh.write(data)
        print(f"wrote {OUT}: {len(posts)} cases, all checks passed")
    if "--stats" in sys.argv or "--check" not in sys.argv:
        stats(CASES, posts)


if __name__ == "__main__":
    main()
