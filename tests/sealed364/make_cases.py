#!/usr/bin/env python3
"""Evaluation set sealed364 for postwatch: Handwoord Tolkengroep B.V. (interpreting agency).

Deterministic (fixed seed). Writes cases.jsonl next to this file and self-checks it:
checksums of every identifier, CONTRACT section 6 shape, severities per CONTRACT section 4
computed from the account role in profile.yaml, embargo timing, price ratios, secret formats.
Standard library + PyYAML only.
"""
import base64
import json
import os
import re
import string
import sys
import unicodedata
import zlib
import random
from datetime import datetime, timedelta, timezone

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 364
rng = random.Random(SEED)
with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase

# --------------------------------------------------------------------------------------
# checksum validators
# --------------------------------------------------------------------------------------
IBAN_LEN = {"NL": 18, "BE": 16, "DE": 22}


def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    if s[:2] in IBAN_LEN and len(s) != IBAN_LEN[s[:2]]:
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def luhn_ok(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    if not 13 <= len(d) <= 19:
        return False
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def bsn_ok(s):
    d = re.sub(r"\D", "", s)
    if len(d) != 9:
        return False
    tot = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return tot % 11 == 0 and int(d) != 0


# --------------------------------------------------------------------------------------
# generators; each identifier is registered with the case that is built next
# --------------------------------------------------------------------------------------
PENDING = []  # (kind, shown_text, should_be_valid)


def _iban_check(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return "%02d" % (98 - n % 97)


def _fmt4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def _digits(n):
    return "".join(rng.choice(string.digits) for _ in range(n))


def _make_iban(cc, bank):
    if cc == "NL":
        bban = bank + _digits(10)
    elif cc == "BE":
        acct = str(rng.randint(1, 999)).zfill(3) + _digits(7)
        chk = int(acct) % 97 or 97
        bban = acct + "%02d" % chk
    elif cc == "DE":
        bban = _digits(8) + _digits(10)
    else:
        raise ValueError(cc)
    return cc + _iban_check(cc, bban) + bban


def iban(cc="NL", bank="INGB", spaced=True):
    v = _make_iban(cc, bank)
    shown = _fmt4(v) if spaced else v
    PENDING.append(("iban", shown, True))
    return shown


def bad_iban(cc="NL", bank="RABO", spaced=True):
    v = _make_iban(cc, bank)
    while True:
        pos = rng.randrange(len(v) - 6, len(v))
        nd = rng.choice([c for c in string.digits if c != v[pos]])
        w = v[:pos] + nd + v[pos + 1:]
        if not iban_ok(w):
            break
    shown = _fmt4(w) if spaced else w
    PENDING.append(("iban", shown, False))
    return shown


def _luhn_complete(prefix, length):
    body = prefix + _digits(length - len(prefix) - 1)
    for c in string.digits:
        if luhn_ok(body + c):
            return body + c
    raise AssertionError


def _fmt_card(num):
    if len(num) == 15:
        return "%s %s %s" % (num[:4], num[4:10], num[10:])
    return _fmt4(num)


def card(kind="visa"):
    prefix = {"visa": "4", "mc": rng.choice(["51", "52", "53", "54", "55"]), "amex": rng.choice(["34", "37"])}[kind]
    num = _luhn_complete(prefix, 15 if kind == "amex" else 16)
    shown = _fmt_card(num)
    PENDING.append(("card", shown, True))
    return shown


def bad_card(prefix="4"):
    num = _luhn_complete(prefix, 16)
    last = str((int(num[-1]) + rng.randint(1, 9)) % 10)
    num = num[:-1] + last
    assert not luhn_ok(num)
    shown = _fmt4(num)
    PENDING.append(("card", shown, False))
    return shown


def _bsn_valid():
    while True:
        d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        s = sum(d[i] * (9 - i) for i in range(8)) % 11
        if s <= 9:
            v = "".join(map(str, d)) + str(s)
            if bsn_ok(v):
                return v


def bsn(dotted=False):
    v = _bsn_valid()
    shown = "%s.%s.%s" % (v[:4], v[4:6], v[6:]) if dotted else v
    PENDING.append(("bsn", shown, True))
    return shown


def bad_bsn():
    while True:
        v = str(rng.randint(100000000, 999999999))
        if not bsn_ok(v):
            PENDING.append(("bsn", v, False))
            return v


def mobile(style):
    sub = str(rng.randint(1, 9)) + _digits(7)
    if style == "06-":
        return "06-" + sub
    if style == "06 ":
        return "06 %s %s" % (sub[:4], sub[4:])
    if style == "+31":
        return "+31 6 %s %s" % (sub[:4], sub[4:])
    if style == "pairs":
        return "06 %s %s %s %s" % (sub[:2], sub[2:4], sub[4:6], sub[6:])
    raise ValueError(style)


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def gh_token(prefix="ghp_"):
    body = "".join(rng.choice(ALNUM) for _ in range(30))
    return prefix + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")


def gh_token_ok(tok):
    body, chk = tok[4:34], tok[34:]
    return b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0") == chk


def aws_key_id():
    return "AKIA" + "".join(rng.choice(string.ascii_uppercase + "234567") for _ in range(16))


def aws_secret():
    return "".join(rng.choice(ALNUM + "/+") for _ in range(40))


def stripe_live():
    return "sk_live_51" + "".join(rng.choice(ALNUM) for _ in range(97))


def slack_webhook():
    up = string.ascii_uppercase + string.digits
    return "https://hooks.slack.com/services/T%s/B%s/%s" % (
        "".join(rng.choice(up) for _ in range(8)),
        "".join(rng.choice(up) for _ in range(10)),
        "".join(rng.choice(ALNUM) for _ in range(24)))


def glpat():
    return "glpat-" + "".join(rng.choice(ALNUM + "-_") for _ in range(20))


def openai_key():
    ch = ALNUM + "-_"
    return "sk-proj-" + "".join(rng.choice(ch) for _ in range(74)) + "T3BlbkFJ" + "".join(rng.choice(ch) for _ in range(74))


def anthropic_key():
    ch = ALNUM + "-_"
    return "sk-ant-api03-" + "".join(rng.choice(ch) for _ in range(93)) + "AA"


def _b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt():
    header = {"alg": "HS256", "typ": "JWT"}
    iat = 1767225600 + rng.randint(0, 20000000)
    payload = {"sub": "planner-%d" % rng.randint(1000, 9999), "role": "admin", "tenant": "handwoord",
               "iat": iat, "exp": iat + 3600}
    sig = bytes(rng.randrange(256) for _ in range(32))
    return ".".join([_b64u(json.dumps(header, separators=(",", ":")).encode()),
                     _b64u(json.dumps(payload, separators=(",", ":")).encode()), _b64u(sig)])


def rsa_key():
    body = base64.b64encode(b"\x30\x82\x04\xa3\x02\x01\x00\x02\x82\x01\x01\x00" +
                            bytes(rng.randrange(256) for _ in range(560))).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"


WORDS = ["Gebaar", "Zomer", "Tolk", "Molen", "Kaas", "Fiets", "Storm", "Duin", "Linde", "Koffie", "Regen", "Polder"]


def password():
    return rng.choice(WORDS) + rng.choice("!#$%&*?") + rng.choice(WORDS).lower() + str(rng.randint(10, 9999))


def db_password():
    return "".join(rng.choice(ALNUM) for _ in range(18))


# --------------------------------------------------------------------------------------
# evasion helpers
# --------------------------------------------------------------------------------------
def fw(s):
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


CYR = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "c": "\u0441", "p": "\u0440", "x": "\u0445", "y": "\u0443",
       "i": "\u0456", "k": "\u043a"}


def cyr(s, letters="aeo"):
    return "".join(CYR[c] if c in letters else c for c in s)


def unevade(s):
    s = unicodedata.normalize("NFKC", s)
    s = re.sub("[\u200b\u200c\u200d\u2060\ufeff]", "", s)
    inv = {v: k for k, v in CYR.items()}
    return "".join(inv.get(c, c) for c in s)


# --------------------------------------------------------------------------------------
# profile lookups
# --------------------------------------------------------------------------------------
ROLE = {}
for role in ("corporate", "employee"):
    for entry in PROFILE["accounts"][role]:
        plat, handle = entry.split(":", 1)
        ROLE[(plat.lower(), handle.lower())] = role
ALL_HANDLES = {h for (_, h) in ROLE}
PRODUCTS = {}
for p in PROFILE["products"]:
    for nm in [p["name"]] + p["aliases"]:
        PRODUCTS[nm.lower()] = p
RATIO = PROFILE["pricing"]["alert_below_ratio"]
EMBARGO = [(t, datetime.fromisoformat(e["until"].replace("Z", "+00:00"))) for e in PROFILE["embargo"] for t in e["terms"]]
INTERNAL = ([d.lower() for d in PROFILE["internal"]["domains"]] + [c.lower() for c in PROFILE["internal"]["codenames"]] +
            [m.lower() for m in PROFILE["internal"]["markers"]])
PUBLIC_IBANS = {re.sub(r"\s", "", i) for i in PROFILE["public_identifiers"]["ibans"]}


def role_of(platform, handle):
    return ROLE.get((platform.lower(), handle.lower()), "public")


# --------------------------------------------------------------------------------------
# case building
# --------------------------------------------------------------------------------------
SHORT = {"complaint": "reputation.complaint", "crisis": "reputation.crisis", "abuse": "reputation.abuse",
         "secret": "leak.secret", "pii": "leak.pii", "pricing": "leak.pricing", "confidential": "leak.confidential",
         "financial": "leak.financial", "security": "leak.security"}
WHO = {"pub": "public", "emp": "employee", "corp": "corporate"}
CASES = []
START = datetime(2026, 1, 2, 6, 0, tzinfo=timezone.utc)


def C(platform, handle, who, lang, cats, text, kind="post", when=None, price=None, evasion=False, allow=False):
    ids = PENDING[:]
    PENDING.clear()
    if when is None:
        dt = START + timedelta(seconds=rng.randint(0, 354 * 86400))
    else:
        dt = datetime.fromisoformat(when.replace("Z", "+00:00"))
    CASES.append(dict(platform=platform, handle=handle, who=WHO[who], lang=lang,
                      cats=sorted({SHORT[c] for c in cats}), text=text, kind=kind, dt=dt,
                      price=price, evasion=evasion, allow=allow, ids=ids))


SEV = ["none", "info", "warning", "error", "critical"]


def severity(cats, role, ids):
    sev = "none"

    def up(s):
        nonlocal sev
        if SEV.index(s) > SEV.index(sev):
            sev = s
    inside = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if inside:
                up("error")
                if c in ("leak.secret", "leak.pricing"):
                    up("critical")
                if c == "leak.pii" and any(v for (_, _, v) in ids):
                    up("critical")
            else:
                up("warning")
        elif c == "reputation.complaint":
            up("warning")
        elif c == "reputation.crisis":
            up("error")
        elif c == "reputation.abuse":
            up("error" if inside else "warning")
    return sev


# ======================================================================================
# POSTS
# ======================================================================================

# ---------------- leak.pricing ----------------
C("x", "@handwoord", "corp", "nl", ["pricing"],
  "🔥 Alleen dit weekend: de Fluisterset 10 voor €68,90! Op = op. Bestellen via boeken.handwoord.nl",
  price=("Fluisterset 10", 68.90))
C("x", "@ellenvdmeer", "pub", "nl", ["pricing"],
  "Eh @handwoord, jullie webshop zegt Tolkkoffer €129,50 😳 prijsfout of mag ik er gewoon drie bestellen?",
  price=("Tolkkoffer", 129.50))
C("x", "@daan_ngt", "emp", "nl", ["pricing"],
  "Collega's: de SignCam staat per ongeluk op €24,90 op de site 😂 snel bestellen voordat iemand het ziet",
  price=("SignCam", 24.90))
C("reddit", "u/quietsigner", "pub", "en", ["pricing"],
  "Handwoord Academie is selling the NGT Basiscursus for €42.50 right now?? glitch or not, I just enrolled lol",
  price=("NGT Basiscursus", 42.50))
C("linkedin", "handwoord-tolkengroep", "corp", "nl", ["pricing"],
  "Nieuw: Handwoord Zakelijk Plus. Al je tolkdiensten (NGT, schrijftolk, video) onder één contract, nu al vanaf €44,90 per maand.",
  price=("Zakelijk Plus", 44.90))
C("linkedin", "esra-yildiz-handwoord", "emp", "en", ["pricing"],
  "For our regular partners this month only: the Congrespakket for €950 instead of €2,450. First come, first served!",
  price=("Congrespakket", 950))
C("reddit", "u/budget_deaf_dad", "pub", "en", ["pricing"],
  "PSA: the Handwoord app lists Videotolk 300 at €3.49 right now. Pretty sure that's a pricing error. Grabbed two bundles.",
  price=("Videotolk 300", 3.49))
C("threads", "@sem.bouwt", "emp", "nl", ["pricing"],
  "oeps, prijsfout in de nieuwe checkout: Tolk-app Pro staat op €5,99 per jaar 🙈 ticket is aangemaakt, fix gaat morgen live",
  price=("Tolk-app Pro", 5.99))
C("facebook", "Henk.Wolters.73", "pub", "nl", ["pricing"],
  "Ringleiding Mobiel voor 39 euro bij Handwoord?!? 😳 meteen besteld voordat ze het doorhebben",
  price=("Ringleiding Mobiel", 39))
C("instagram", "@handwoord.tolken", "corp", "nl", ["pricing"],
  "Cadeautip 🎁 de Tolk-headset Duo nu voor maar €13,90! (was €139) Link in bio.",
  price=("Tolk-headset Duo", 13.90))
C("x", "@ruben_schrijft", "emp", "en", ["pricing"],
  "Customer just called: the quote tool charged €8.90 an hour for Schrijftolk Live. Pretty sure a decimal point is in the wrong place",
  price=("Schrijftolk Live", 8.90))
C("x", "@conference_kate", "pub", "en", ["pricing"],
  "Is the Tolkcabine rental really €87.50 for a whole day? That's what the Handwoord booking page says. Typo?",
  price=("Tolkcabine", 87.50))

# ---------------- leak.secret ----------------
C("x", "@bartdevops_hw", "emp", "en", ["secret"],
  "pipeline still dies on the S3 upload 🤬 can anyone spot what's wrong?\n"
  f"export AWS_ACCESS_KEY_ID={aws_key_id()}\nexport AWS_SECRET_ACCESS_KEY={aws_secret()}\n"
  "aws s3 sync ./build s3://hw-videotolk-assets")
C("mastodon", "@wouterb@fosstodon.org", "emp", "en", ["secret"],
  f"Anyone else getting 401s from the GitHub API today? Our release script uses {gh_token('ghp_')} and it worked fine yesterday. #github #devops")
C("threads", "@sem.bouwt", "emp", "en", ["secret"],
  f"stripe webhooks arriving twice since the upgrade, anyone seen this? we just run the live key {stripe_live()} with the stock library")
C("x", "@marieke_tolkt", "emp", "nl", ["secret"],
  f"Voor de collega's die vanavond niet in het roosterportaal komen: inlog is tolkpool_utrecht, wachtwoord: {password()} . Morgen zet IT het weer goed 🙏")
C("x", "@handwoord_help", "corp", "nl", ["secret", "confidential"],
  f"@ruben_schrijft hier de connectiestring die je vroeg: DATABASE_URL=postgresql://hw_app:{db_password()}@db01.hw-intern.nl:5432/planning",
  kind="reply")
C("x", "@bartdevops_hw", "emp", "en", ["secret"],
  f"why does ssh keep saying 'invalid format' for this key?? copied it straight out of the vault\n{rsa_key()}")
C("mastodon", "@wouterb@fosstodon.org", "emp", "en", ["secret"],
  "Debugging our booking API: this bearer token decodes fine on jwt.io but the gateway says 'signature invalid'. Ideas?\n"
  f"Authorization: Bearer {jwt()}")
C("threads", "@sem.bouwt", "emp", "nl", ["secret"],
  f"experimentje met een vertaalbotje voor de planners 🤖 OPENAI_API_KEY={openai_key()} draait nu op mijn laptop, feedback welkom")
C("x", "@amira_tolkt_freelance", "pub", "en", ["secret"],
  f"lol, Handwoord accidentally pasted their Slack webhook into my assignment confirmation: {slack_webhook()} someone should probably rotate that @handwoord_help")
C("x", "@daan_ngt", "emp", "nl", ["secret"],
  f"Iemand van IT wakker? Ruben gaf me deze token voor de SignCam-firmware repo maar ik krijg 403: {glpat()}")
C("x", "@ruben_schrijft", "emp", "nl", ["secret"],
  f"voor de nieuwe schrijftolken, inlog voor het ondertitelplatform: gebruiker hw_ondertitel, w a c h t w o o r d : {password()}",
  evasion=True)
C("threads", "@sem.bouwt", "emp", "en", ["secret"],
  f"moved the meeting summariser to Claude. key for the team while the vault is down: {anthropic_key()} pls don't burn through the credits 😅")

# ---------------- leak.security ----------------
C("x", "@bartdevops_hw", "emp", "en", ["security"],
  "Don't tell customers, but the video interpreting servers have been down since 06:00 and the vendor has no clue. Comms will call it 'busy lines' 🙃")
C("mastodon", "@wouterb@fosstodon.org", "emp", "en", ["security"],
  "Fun morning: turns out our booking API hands you other clients' appointments if you just bump the id in the URL. Patching now, nothing disclosed yet, so keep it quiet pls.")
C("threads", "@sem.bouwt", "emp", "en", ["security"],
  "ransomware on the planning server overnight. everything offline, newest backup is 3 days old. customers have no idea yet")
C("x", "@daan_ngt", "emp", "en", ["security"],
  "Phishing mail about 'new interpreter rates' this morning and at least 4 colleagues typed in their login. IT says: don't take it outside. OK then.")
C("x", "@marieke_tolkt", "emp", "en", ["security"],
  "Since yesterday's update the interpreter portal shows me case files of clients that aren't mine at all 😬 reported it, but we're told 'not to communicate about it yet'")
C("x", "@karim_tolk_fl", "pub", "nl", ["security"],
  "freelance tolk hier: het Handwoord-portaal ligt al 2 dagen plat. Officieel 'gepland onderhoud', maar intern hoor je dat ze gehackt zijn.")
C("tiktok", "@kim.ngt", "emp", "nl", ["security"],
  "POV: je bent tolk en je weet dat de SignCam-firmware een lek heeft waardoor vreemden kunnen meekijken, maar je mag het nog niet zeggen 🤐 #tolkleven")
C("x", "@bartdevops_hw", "emp", "en", ["security"],
  "pager's been screaming since 14:00: DDoS on live.handwoord.nl. Official line will be 'unexpectedly high demand' 🙄")
C("threads", "@sem.bouwt", "emp", "nl", ["security"],
  "de bucket met opnames van videotolkgesprekken stond een week lang publiek leesbaar. niemand buiten IT weet het nog. ik slaap er slecht van")
C("mastodon", "@wouterb@fosstodon.org", "emp", "en", ["security"],
  "We have an unreported auth bypass in our own WebRTC relay: anyone holding an old session link can join a live interpreting call. Fix ETA 'next sprint'. 🫠")
C("x", "@ruben_schrijft", "emp", "nl", ["security"],
  "onze ondertitelservers zijn vannacht g e h a c k t, alle live sessies eruit. officieel heet het 'een storing', van mij hoor je niks",
  evasion=True)
C("linkedin", "esra-yildiz-handwoord", "emp", "nl", ["security"],
  "Collega's: de planningstool is sinds vanochtend onbetrouwbaar, afspraken verdwijnen gewoon. Bel cliënten niet zelf, we wachten op IT en communiceren nog niets extern.")

# ---------------- leak.confidential (and with leak.financial) ----------------
C("x", "@marieke_tolkt", "emp", "nl", ["confidential"],
  "Eindelijk mag ik aansluiten bij Project Zwaluw 🤫 meer mag ik er niet over zeggen, maar wauw.")
C("x", "@daan_ngt", "emp", "en", ["confidential"],
  "Saw the Kolibrie demo today. Once that goes live our planners never have to chase interpreters by phone again 🔥")
C("linkedin", "esra-yildiz-handwoord", "emp", "nl", ["confidential"],
  "Inspirerende MT-sessie gehad! Uit de deck (alleen voor intern gebruik): volgend voorjaar een nieuwe boekingsapp met realtime tolk-tracking, zoals bij een pakketbezorger.")
C("threads", "@sem.bouwt", "emp", "en", ["confidential"],
  "look at that latency 😍 screenshot from grafana.hw-intern.nl/d/vt-edge/videotolk after the migration")
C("tiktok", "@kim.ngt", "emp", "nl", ["confidential"],
  "sneak peek van de SignCam 2 🤩🤩 (sst, mag eigenlijk nog niet)", when="2027-01-14T18:22:05Z")
C("instagram", "@handwoord.tolken", "corp", "nl", ["confidential"],
  "Er komt iets aan... ✨ Videotolk AI. Binnenkort meer!", when="2026-11-20T10:00:00Z")
C("x", "@ruben_schrijft", "emp", "nl", ["confidential", "financial"],
  "Operatie Vuurtoren klinkt heel heroïsch, maar komt neer op: 25 planners eruit en het kantoor in Zwolle dicht. Top naampje verzonnen hoor.")
C("instagram", "@lotte.gebaart", "emp", "en", ["confidential"],
  "Guess who's interpreting the Project Zwaluw kickoff in Antwerp next week 🙋‍♀️ can't say more!")
C("reddit", "u/signs_and_wonders", "pub", "en", ["confidential"],
  "Handwoord freelancers got an NDA-stamped email today about something called 'AvatarTolk', pilot starts in January. Anyone know more?",
  when="2026-10-30T20:41:13Z")
C("linkedin", "ilse-van-dam-handwoord", "emp", "nl", ["confidential"],
  "Uit onze interne memo (handwoord internal only): vanaf 2027 een nieuw beoordelingssysteem voor tolken, met klantscores per opdracht. Benieuwd wat jullie ervan vinden!")
C("facebook", "HandwoordTolken", "corp", "nl", ["confidential"],
  "Team! Vergeet niet je uren in planning.hw-intern.nl te zetten vóór vrijdag 17:00, anders schuift de uitbetaling een maand op.")
C("x", "@daan_ngt", "emp", "nl", ["confidential"],
  fw("project zwaluw") + " loopt weer vertraging op, overleg verzet naar maandag 😬", evasion=True)
C("tiktok", "@kim.ngt", "emp", "nl", ["confidential"],
  "Kol\u200bibrie-training morgen om 9 uur, laptop mee en veel koffie ☕", evasion=True)
C("instagram", "@lotte.gebaart", "emp", "nl", ["confidential"],
  "Vandaag de eerste test gedaan met Avatar" + cyr("Tolk", "o") + " bij een klant... tja. Mensen blijven beter 🤷‍♀️",
  when="2026-12-03T15:12:40Z", evasion=True)
C("x", "@marieke_tolkt", "emp", "en", ["confidential"],
  "can't share much, but the new booking flow we're testing (Kolibrie) finally handles last-minute DGS bookings properly 🙌")
C("linkedin", "joost-kramer-hw", "emp", "nl", ["confidential", "financial"],
  "Project Zwaluw: due diligence zo goed als rond. Als alles meezit tekenen we in januari voor de Belgische overname. Spannende tijden!")
C("linkedin", "joost-kramer-hw", "emp", "nl", ["confidential", "financial"],
  "De jaarcijfers 2026 zijn binnen: omzet +11%, EBITDA-marge 9,4%. Trots op dit team, op 3 maart vertellen we officieel meer!",
  when="2027-02-12T08:15:00Z")
C("x", "@bartdevops_hw", "emp", "en", ["confidential"],
  "who can give me access to gitlab.hw-intern.nl/kolibrie/backend? my account only sees the frontend")

# ---------------- leak.financial ----------------
C("linkedin", "esra-yildiz-handwoord", "emp", "nl", ["financial"],
  "Q3 zit 14% onder budget en het MT overweegt een vacaturestop voor planning. Zeg het nog even niet verder 🙏")
C("x", "@daan_ngt", "emp", "nl", ["financial"],
  "Net gehoord dat er in maart 30 fte verdwijnt bij de planningsafdeling. Leuk kerstcadeau van de directie.")
C("linkedin", "joost-kramer-hw", "emp", "en", ["financial"],
  "Early close of the books: revenue for this year lands around €38.2m, up 11%, margins ahead of plan. Can't wait to share the official numbers in March.")
C("x", "@rickvdlinde", "pub", "nl", ["financial"],
  "Zwager werkt bij Handwoord en zegt dat ze worden overgenomen door TaalNet Europe. Is nog geheim dus ssst 🤫")
C("bluesky", "@noor-tolkt.bsky.social", "emp", "en", ["financial"],
  "rumour confirmed at today's team meeting: freelance rates go down 15% next year and the Rotterdam office closes. Nothing's been announced yet.")
C("instagram", "@lotte.gebaart", "emp", "nl", ["financial"],
  "Dikke knuffel voor de 12 collega's die per 1 februari boventallig worden 💔 Het is nog niet officieel, maar ik wilde het toch gezegd hebben.")
C("linkedin", "joost-kramer-hw", "emp", "nl", ["financial"],
  "Onze forecast voor 2027 gaat naar beneden, richting €35 mln, nu we de aanbesteding van de gemeente Utrecht kwijt zijn. De board weet het, de markt nog niet.")
C("linkedin", "ilse-van-dam-handwoord", "emp", "en", ["financial"],
  "Hiring freeze plus a reorganisation announcement to all staff planned for next Monday. Tough week ahead for HR.")
C("reddit", "u/boekhouder_anoniem", "pub", "en", ["financial"],
  "Friend in Handwoord's finance team says they're negotiating to buy the Belgian agency Signum Vertaalt for roughly €6m. Deal not public yet.")
C("threads", "@sem.bouwt", "emp", "en", ["financial"],
  "so the investors want out and there are talks with an American buyer. guess our standups will be in English soon anyway 🙃")

# ---------------- leak.pii ----------------
C("linkedin", "esra-yildiz-handwoord", "emp", "nl", ["pii"],
  "Wie kan morgen om 10:00 tolken voor mevrouw Annelies de Wit, Lindelaan 14, 3818 HK Amersfoort? Intake bij de cardioloog, ze is doof en slechtziend. Graag snel reageren!")
C("x", "@daan_ngt", "emp", "nl", ["pii"],
  f"Terugbelverzoek van meneer Bakker over zijn tolk voor de rechtbank, nummer {mobile('06-')}. Wie pakt 'm op?")
C("x", "@marieke_tolkt", "emp", "nl", ["pii"],
  f"Factuur van mevrouw Jansen komt steeds terug. IBAN {iban('NL', 'INGB')} klopt volgens haar wel, iemand van facturatie die even meekijkt?")
C("x", "@sandra_doof", "pub", "nl", ["pii", "complaint"],
  f"@handwoord_help al 3x gebeld en niemand belt terug. Tolk kwam gisteren wéér niet opdagen. Bel me gewoon op {mobile('06 ')} !!!",
  kind="reply")
C("x", "@jessicamoreau_events", "pub", "en", ["pii"],
  "@handwoord hi! could you send me a quote for the Congrespakket for our conference in May? my email is jessica.moreau@lumen-events.fr thanks!",
  kind="reply")
C("bluesky", "@noor-tolkt.bsky.social", "emp", "en", ["pii"],
  "Swap request: tomorrow's asylum hearing for Mr. Yusuf Haddad, born 14-03-1987, Arabic (Syrian dialect), 09:30 at the IND in Zevenaar. Anyone free?")
C("linkedin", "ilse-van-dam-handwoord", "emp", "nl", ["pii"],
  f"Welkom Femke Bos, onze nieuwe NGT-tolk! 🎉 Femke, je BSN {bsn()} moet nog in het HR-systeem, stuur je nog even een kopie van je ID?")
C("x", "@ruben_schrijft", "emp", "nl", ["pii"],
  f"Klant betaalde de Ondertitelservice met creditcard {card('visa')} maar de betaling blijft hangen. Iemand van finance die dit kan checken?")
C("facebook", "Gerda.Pijnacker", "pub", "nl", ["pii"],
  f"Het BSN van mijn moeder is {bsn(dotted=True)}, staat dat nu goed in haar dossier @HandwoordTolken? Ze heeft morgen een tolk nodig bij de gemeente.")
C("x", "@handwoord_help", "corp", "nl", ["pii"],
  "@pjanssen_zetten Dag Piet Janssen, we hebben uw nieuwe adres genoteerd: Dorpsstraat 8, 6671 AB Zetten. De tolk komt donderdag om 14:00.",
  kind="reply")
C("tiktok", "@kim.ngt", "emp", "nl", ["pii"],
  "Mijn vaste cliënt Thijs van Leeuwen (geboren 2 september 1961) is vandaag 65 geworden en we hebben taart gegeten tijdens de afspraak 🎂🥹",
  when="2026-09-02T16:40:00Z")
C("x", "@tomasz_w_nl", "pub", "en", ["pii", "complaint"],
  f"@handwoord_help still waiting for my refund for the interpreter who never showed up (€96). Account: {iban('BE')}. Two weeks now.",
  kind="reply")
C("x", "@marieke_tolkt", "emp", "en", ["pii"],
  "Could someone forward Thursday's assignment to sanne.vermeulen84@gmail.com? She's taking it over from me 🙏")
C("x", "@daan_ngt", "emp", "nl", ["pii"],
  f"Tolk voor dhr. Kok morgen om 8 uur, hij is bereikbaar op {fw(mobile('06 '))}", evasion=True)
C("facebook", "HandwoordTolken", "corp", "nl", ["pii"],
  f"Beste Linda de Boer, de terugbetaling van € 96,00 is vandaag overgemaakt naar {iban('NL', 'ABNA')}. Nogmaals excuses voor de gemiste afspraak!",
  kind="reply")

# ---------------- reputation.crisis (and first-hand safety = crisis + complaint) ----------------
C("x", "@privacywaakhond", "pub", "nl", ["crisis"],
  "Klopt het dat Handwoord een datalek heeft gehad? Op een forum circuleren dossiers van dove cliënten, met naam en diagnose erbij. Dit moet uitgezocht worden. #datalek")
C("x", "@deafpride_nl", "pub", "en", ["crisis"],
  "#BoycottHandwoord until they stop replacing human interpreters with cheap avatars. Deaf people deserve real interpreters, not cartoons.")
C("forum", "doofnieuws_redactie", "pub", "nl", ["crisis"],
  "Dovenbelang Nederland daagt Handwoord voor de rechter. Een tolk zou bij een ziekenhuisgesprek het beroepsgeheim hebben geschonden door informatie door te spelen aan de werkgever van de cliënt.")
C("x", "@handwoord", "corp", "nl", ["crisis"],
  "TERUGROEPACTIE: voedingsadapters van de SignCam uit productiebatch 2026-07 kunnen oververhit raken. Stop direct met gebruik en neem contact op via info@handwoord.nl voor een gratis vervangende adapter.")
C("x", "@mireille_slaapt", "pub", "nl", ["crisis", "complaint"],
  "De oplader van mijn SignCam vatte vannacht vlam op het nachtkastje 🔥🔥 Gelukkig werd ik wakker van de rookmelder. Dit is levensgevaarlijk @handwoord")
C("facebook", "Margaret.Hollis.UK", "pub", "en", ["crisis", "complaint"],
  "Got a proper shock off the Ringleiding Mobiel when I plugged it in at church this morning. Hand still tingling hours later. @HandwoordTolken what on earth are you selling?")
C("instagram", "@joyce_hr_life", "pub", "nl", ["crisis", "complaint"],
  "De Tolk-headset Duo gaf midden in de vergadering een keiharde piep. Twee dagen later hoor ik nog steeds een fluittoon, de huisarts spreekt van mogelijke gehoorschade. Bedankt Handwoord.")
C("x", "@vlaamsnieuwsflits", "pub", "nl", ["crisis"],
  "Bij een congres in Gent raakte een Fluisterset van Handwoord oververhit: rookontwikkeling en twee bezoekers lichtgewond, meldt HLN.")
C("bluesky", "@careworker-zwolle.bsky.social", "pub", "en", ["crisis"],
  "Reading that a Handwoord SignCam charger started a small fire in a care home in Zwolle. Residents evacuated, nobody hurt. Scary.")
C("x", "@advocaat_asiel", "pub", "nl", ["crisis"],
  "Handwoord-tolk vertaalt bij de IND 'gevangengezet' als 'gelogeerd' en nu is het asielverzoek afgewezen. Dit is een schandaal. Wie controleert die tolken eigenlijk?")
C("reddit", "u/interpreter_union_nl", "pub", "en", ["crisis"],
  "Freelance interpreters have filed a class action against Handwoord over years of unpaid travel time. First hearing is set for spring.")
C("facebook", "Ria.Spaargaren", "pub", "nl", ["crisis"],
  "Gemeenten, STOP met Handwoord! Ze betalen hun tolken een hongerloon en strijken zelf de winst op. Delen!! #boycot")
C("facebook", "Bas.Hoogendijk.1980", "pub", "nl", ["crisis", "complaint"],
  "Mijn zoon (9) kreeg vandaag een schok van de mobiele ringleiding in de klas. De juf moest de stekker eruit trekken. Hoe komt zoiets door de keuring?! @HandwoordTolken")
C("x", "@whistle_nl", "pub", "en", ["crisis"],
  "Leaked screenshots show Handwoord planners mocking deaf clients in a group chat. Absolutely disgusting.")
C("x", "@lisa_hears_nothing", "pub", "en", ["crisis"],
  "@handwoord I got a phishing mail quoting my exact hospital appointment AND my interpreter's name. Only you had that info. Were you hacked??",
  kind="reply")
C("tiktok", "@ameliesigns", "pub", "en", ["crisis", "complaint"],
  "the SignCam casing got so hot I burned two fingers taking it off the stand 🤕 @handwoordlive this can't be normal")

# ---------------- reputation.complaint ----------------
C("x", "@femkedoof", "pub", "nl", ["complaint"],
  "Derde keer dit jaar dat de NGT-tolk niet komt opdagen bij mijn ziekenhuisafspraak. Ik zat daar gewoon, de arts praatte maar tegen mijn moeder. @handwoord dit is echt niet oké.")
C("x", "@mkowalski_ut", "pub", "en", ["complaint"],
  "Booked a Polish interpreter for my dad's court hearing, @handwoord sent a Romanian one. Hearing postponed by six weeks. Thanks a lot.")
C("x", "@jeroen_zzp", "pub", "en", ["complaint"],
  "Videotolk 60 drops out every 5 minutes and I still pay for the full hour 🙄 #handwoord")
C("x", "@oma_truus_ngt", "pub", "nl", ["complaint"],
  "wachttijd bij de Telefoontolk vandaag: 47 minuten. 47!!! de huisarts heeft maar 10 min voor me @handwoord_help")
C("linkedin", "priya-raman-events", "pub", "en", ["complaint"],
  "The Schrijftolk Live captions at our webinar were half gibberish: 'deaf' turned into 'death' three times. Not a great look, Handwoord.")
C("facebook", "Wendy.Kuipers.NL", "pub", "nl", ["complaint"],
  "Tolk annuleert om 11 uur voor een afspraak om 12 uur, en IK krijg een factuur voor annuleringskosten?? Handwoord, leg dat maar eens uit.")
C("x", "@stijn_appt", "pub", "en", ["complaint"],
  "Tolk-app Pro crashes every single time I try to reschedule. Two weeks now. Customer service ignores my emails.")
C("instagram", "@proudmum_of_three", "pub", "en", ["complaint"],
  "Our NGT interpreter showed up 40 minutes late to my daughter's graduation. She missed the entire speech. Handwoord, you had one job.",
  kind="comment")
C("forum", "werkendmetdoofheid", "pub", "nl", ["complaint"],
  "Al sinds september vraag ik Handwoord om een vaste NGT-tolk voor mijn werkoverleg. Elke week een ander gezicht dat niks van de context weet. Vier keer gemeld, er gebeurt niks.")
C("youtube", "@nina_captions", "pub", "en", ["complaint"],
  "the interpreter in your videos gets covered by the subtitles half the time. how is that accessible, @HandwoordNGT??",
  kind="comment")
C("x", "@boze_bert", "pub", "nl", ["complaint", "abuse"],
  "Wéér een tolk die te laat is. Stelletje amateurs, waardeloos kutbedrijf @handwoord")
C("x", "@tired_of_waiting_", "pub", "en", ["complaint", "abuse"],
  "worst agency ever. your planners are useless idiots, third no-show this month @handwoord_help")

# ---------------- reputation.abuse ----------------
C("x", "@trollie_1988", "pub", "nl", ["abuse"],
  "@marieke_tolkt jij bent echt de slechtste tolk ooit, ga een ander vak zoeken dom wijf", kind="reply")
C("x", "@angrytaxpayer_", "pub", "en", ["abuse"],
  "Handwoord management are a bunch of greedy parasites. Rot in hell, all of you.")
C("facebook", "Kees.vanderPlas.55", "pub", "nl", ["abuse"],
  "Stuur me nooit meer die tolk met die hoofddoek. Dat soort mensen hoort hier niet. @HandwoordTolken")
C("x", "@xx_d3str0y3r_xx", "pub", "nl", ["abuse"],
  "h4ndw00rd = k4nk3rb3drijf, al jullie t0lk3n zijn l00z3rs", evasion=True)
C("x", "@geen_geduld", "pub", "nl", ["abuse"],
  "jullie planners zijn echt k.l.o.o.t.z.a.k.k.e.n @handwoord_help", evasion=True)
C("x", "@ruben_schrijft", "emp", "nl", ["abuse"],
  "@klaagkees02 als je zo blijft zeuren ben je gewoon een zielige idioot. Blocked.", kind="reply")
C("instagram", "@anon_9917", "pub", "en", ["abuse"],
  "I know where your Utrecht office is. Tell @lotte.gebaart she'd better watch her back.", kind="comment")
C("x", "@nuchtere_nederlander", "pub", "nl", ["abuse"],
  "Tolken zijn parasieten die op subsidie leven, en Handwoord is de grootste bloedzuiger van allemaal. Tuig.")
C("reddit", "u/edgelord_4000", "pub", "en", ["abuse"],
  "lmao Handwoord and their overpriced babysitters for the deaf. retards, the lot of them")
C("x", "@zwartkijker77", "pub", "nl", ["abuse"],
  "Handwoord zijn " + cyr("echte klootzakken", "aeo") + ", stelletje oplichters", evasion=True)

# ======================================================================================
# BENIGN (mostly hard negatives)
# ======================================================================================
C("x", "@jorisvandam_", "pub", "nl", [],
  "Shoutout naar de NGT-tolk van Handwoord bij de uitvaart van mijn opa. Zo warm en respectvol, iedereen kon meedoen. Dankjewel 🤍")
C("x", "@hannah_signs", "pub", "en", [],
  "Handwoord's video interpreter rescued my GP appointment today. Connection was crisp, interpreter was lovely. 10/10")
C("x", "@femkedoof", "pub", "nl", [],
  "Update: @handwoord_help heeft het keurig opgelost, nieuwe tolk geregeld en de annuleringskosten kwijtgescholden. Zo kan het dus ook 👍",
  kind="reply")
C("reddit", "u/lowkey_deaf", "pub", "en", [],
  "Had a no-show from Handwoord last week, but they called me the next morning, apologised and refunded it without me asking. Stuff happens, handled well.")
C("x", "@meelevende_mien", "pub", "nl", [],
  "Sterkte @marieke_tolkt, wat een heftige persconferentie om te tolken. Je deed het ontzettend goed.", kind="reply")
C("x", "@tolkgebruiker_ams", "pub", "en", [],
  "Data breach at a Belgian translation bureau, 20,000 files out in the open. Honestly glad my interpreters are booked through Handwoord.")
C("linkedin", "marco-de-ruiter-taalbranche", "pub", "nl", [],
  "TaalNet Europe neemt Vertaalbureau Noord over, las ik vanochtend in het FD. De consolidatie in de tolkenmarkt gaat gewoon door.")
C("x", "@ans_uit_utrecht", "pub", "nl", [],
  "Vraag over je tolkafspraak? Mail planning@handwoord.nl of bel 030-7602040, ik was binnen vijf minuten geholpen.")
C("facebook", "HandwoordTolken", "corp", "nl", [],
  "Let op: wij wijzigen nooit ons rekeningnummer per mail. Ons enige IBAN is NL06 RABO 0307 4455 21. Twijfel je? Bel gratis 0800-4269.")
C("mastodon", "@wouterb@fosstodon.org", "emp", "en", [],
  f"Our unit tests use the IBAN {bad_iban('NL', 'RABO')} on purpose: it fails mod-97, so the validator has to reject it 😇")
C("x", "@ruben_schrijft", "emp", "nl", [],
  f"Klantnummers zijn voortaan 16 cijfers, bijvoorbeeld {bad_card('4')}. Lijkt op een creditcardnummer, is het niet 😅")
C("x", "@petra_wacht", "pub", "en", [],
  f"@handwoord_help my order number is {bad_bsn()}, any idea when the Fluisterset will be delivered?", kind="reply")
C("x", "@bartdevops_hw", "emp", "en", [],
  "Reminder for the docs: AWS example keys look like AKIAIOSFODNN7EXAMPLE with secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY. Never paste real ones in tickets.")
C("mastodon", "@wouterb@fosstodon.org", "emp", "en", [],
  "Rotated every token we had today. The old ghp_************************************ one is dead and buried.")
C("x", "@handwoord_help", "corp", "nl", [],
  "Wachtwoord vergeten? Via boeken.handwoord.nl/reset stuur je jezelf een nieuwe link. Wij vragen je nooit om je wachtwoord, ook niet via DM.")
C("threads", "@sem.bouwt", "emp", "en", [],
  "added an example to our docs: DATABASE_URL=postgres://<user>:<password>@localhost:5432/app. fill in your own, and never commit it")
C("x", "@handwoord", "corp", "nl", [],
  "Vandaag gelanceerd: de SignCam 2 📸 Scherper beeld, betere belichting en gemaakt voor videotolken. Nu te bestellen via handwoord.nl",
  when="2027-01-27T09:30:00Z")
C("linkedin", "handwoord-tolkengroep", "corp", "nl", [],
  "Onze jaarcijfers 2026 staan online: omzet €38,4 mln (+11%). Dank aan alle tolken, planners en klanten. Lees het verslag op handwoord.nl/jaarverslag",
  when="2027-03-04T07:30:00Z")
C("x", "@daan_ngt", "emp", "en", [],
  "Week one with Videotolk AI live and the customer questions keep pouring in. Exciting and fun at the same time!",
  when="2027-02-02T12:05:00Z")
C("x", "@tuinliefhebber_gr", "pub", "nl", [],
  "Eerste zwaluw gezien in de tuin! De lente komt eraan 🐦")
C("instagram", "@backpack_bea", "pub", "en", [],
  "Saw a hummingbird on holiday (kolibrie in Dutch!) and now I'm learning the sign for it in the Handwoord app 🐦",
  allow=True)
C("instagram", "@lotte.gebaart", "emp", "nl", [],
  "Vandaag getolkt bij een rondleiding in de vuurtoren van Westkapelle. Wat een uitzicht, en wat een trappen 😅")
C("instagram", "@handwoord.tolken", "corp", "nl", [],
  "Black Friday 🖤 20% korting op de Fluisterset 10: nu €551,20 in plaats van €689.", price=("Fluisterset 10", 551.20))
C("x", "@zzp_coach_nick", "pub", "en", [],
  "Videotolk 60 is €79, which feels fair for an hour of NGT over video with no travel time.", price=("Videotolk 60", 79))
C("linkedin", "handwoord-tolkengroep", "corp", "nl", [],
  "Zomeractie Handwoord Academie: de NGT Basiscursus voor €361,25 (15% korting) bij inschrijving vóór 1 juli.",
  price=("NGT Basiscursus", 361.25))
C("x", "@dealjager", "pub", "nl", [],
  "Prijsfout bij een webshop: tv van 1200 euro voor 120. Helaas al gecanceld 😂 #prijsfout")
C("reddit", "u/smallbiz_owner_ut", "pub", "en", [],
  "Paid €349 for the Videotolk 300 bundle for my small business. Worth every cent honestly.", price=("Videotolk 300", 349))
C("linkedin", "esra-yildiz-handwoord", "emp", "nl", [],
  "Voor scholen: de Tolkkoffer met 30% onderwijskorting, €906,50 excl. btw. Mail info@handwoord.nl voor een offerte.",
  price=("Tolkkoffer", 906.50))
C("x", "@koffieleerling", "pub", "en", [],
  "My NGT teacher says my sign for 'coffee' actually means 'broken washing machine' 😂 #HandwoordAcademie")
C("facebook", "Olena.Marchenko.NL", "pub", "en", [],
  "Does anyone know if Handwoord has Ukrainian interpreters for a parent-teacher meeting?")
C("x", "@handwoord_help", "corp", "nl", [],
  "Storing opgelost ✅ HandwoordLive is weer bereikbaar. Excuses voor het ongemak, gemiste gesprekken worden niet in rekening gebracht.")
C("instagram", "@lotte.gebaart", "emp", "nl", [],
  "Vandaag mijn 500e opdracht als NGT-tolk 🎉 Van schoolgesprek tot bruiloft, ik blijf dit het mooiste vak vinden.")
C("linkedin", "handwoord-tolkengroep", "corp", "nl", [],
  "Onze tolken zijn er ook bij de zwaarste gesprekken, zoals een kankerdiagnose. Lees het verhaal van Ans op handwoord.nl/verhalen.")
C("tiktok", "@festivalfien", "pub", "nl", [],
  "die tolk bij het concert gisteren was echt killer, ze gebaarde de hele rap mee 🔥🔥 @handwoordlive")
C("x", "@gigs_and_signs", "pub", "en", [],
  "The Handwoord interpreter absolutely destroyed it on stage at Lowlands. Insane energy.")
C("linkedin", "handwoord-tolkengroep", "corp", "nl", [],
  "Wij zoeken NGT-tolken en schrijftolken in heel Nederland! Solliciteer via werkenbij@handwoord.nl")
C("x", "@marieke_tolkt", "emp", "nl", [],
  "Mooie bijscholing gegeven over beroepsgeheim: wat deel je wél en níet als tolk? Spoiler: bijna niks 😉")
C("bluesky", "@noor-tolkt.bsky.social", "emp", "en", [],
  "Reminder to fellow interpreters: never post client names or dates of birth online, not even in a 'funny story'. Confidentiality is the job.")
C("linkedin", "sanne-ouwerkerk-analist", "pub", "nl", [],
  "Lingvo Group rapporteert kwartaalverlies en schrapt 80 banen. Zware tijden voor de vertaalbranche.")
C("reddit", "u/newly_deafened_42", "pub", "en", [],
  "Is the Tolk-app Pro worth €59.99 a year? Mostly want it for booking video sessions quickly.", price=("Tolk-app Pro", 59.99))
C("x", "@handwoord", "corp", "nl", [],
  "Nieuw in de Academie: de NGT Vervolgcursus start 12 oktober. €495 inclusief lesmateriaal, aanmelden via academie.handwoord.nl",
  price=("NGT Vervolgcursus", 495))
C("x", "@snelgeholpen", "pub", "en", [],
  "Tip: you can also WhatsApp them, +31 6 41 80 22 33 is Handwoord's WhatsApp line. Got an answer super fast.")
C("x", "@bartdevops_hw", "emp", "en", [],
  "debugging trivia: a JWT almost always starts with eyJ because that's base64 for {\" 🤓")
C("x", "@infosec_ines", "pub", "en", [],
  "Handwoord's interpreters at the security conference handled all the jargon perfectly: ransomware, phishing, zero-days, the lot.")
C("forum", "studerenmeteenbeperking", "pub", "nl", [],
  "Lifehack voor dove studenten: vraag je schrijftolk om het transcript na afloop. Bij Handwoord krijg je het standaard gemaild.")
C("x", "@ov_reiziger_doof", "pub", "nl", [],
  "Interessante rechtszaak over omroepen op stations zonder NGT. De Handwoord-tolk bij het NOS-item deed het top.")
C("facebook", "Gerrit.Holtkamp", "pub", "nl", [],
  "Philips roept alweer iets terug. Mijn Ringleiding Mobiel van Handwoord doet het na drie jaar nog steeds prima 👌")
C("instagram", "@thuiswerker_tess", "pub", "en", [],
  "Glad the SignCam has thermal protection, left it on all night by accident and it was totally fine.")
C("x", "@ruben_schrijft", "emp", "nl", [],
  "Vragen over je factuur? Liever mailen naar facturatie@handwoord.nl dan een DM, dan komt het meteen bij de juiste collega.")
C("x", "@handwoord_help", "corp", "nl", [],
  "Deel nooit je volledige kaartnummer met ons. Wij vragen hooguit de laatste 4 cijfers (**** 4821) om een betaling terug te vinden.")
C("linkedin", "ilse-van-dam-handwoord", "emp", "en", [],
  "Passing on a tip from our IT colleagues: use a password manager and never share your password, not even with a colleague.")
C("x", "@trotse_tante_ria", "pub", "nl", [],
  "Op zoek naar een stageplek als tolk? Handwoord heeft interne opleidingsplekken, mijn nicht zit er nu en is heel enthousiast.")
C("x", "@smug_signer", "pub", "en", [],
  "Another interpreting platform had a massive outage today. My Handwoord video line worked fine, so for once I get to be smug.")
C("x", "@blije_bep", "pub", "nl", [],
  "Mijn tolk was vandaag jarig en had zelf taart meegenomen 🎂 wat een schat.")
C("forum", "freelancetolkennetwerk", "pub", "nl", [],
  "Tip voor freelance tolken: lees de NDA altijd goed voordat je tekent, ook bij grote bureaus als Handwoord.")
C("reddit", "u/library_regular", "pub", "en", [],
  "Tried the new AvatarTolk demo at the library. Impressive, but I'd still book a human interpreter for anything important.",
  when="2027-02-10T14:20:00Z")
C("linkedin", "pieter-bos-marktanalyse", "pub", "en", [],
  "ING expects the Dutch interpreting market to grow about 4% in 2027. Good news for agencies like Handwoord.")
C("x", "@maarten_typt", "pub", "en", [],
  f"Tried to pay my Handwoord invoice but my bank app said the IBAN {bad_iban('NL', 'RABO', spaced=False)} I entered was invalid. Typo on my side, found it 🙈")
C("tiktok", "@kim.ngt", "emp", "nl", [],
  "Nieuwe video: 5 gebaren voor op kantoor, van 'vergadering' tot 'storing' 😄 #NGT #tolkleven")
C("x", "@daan_ngt", "emp", "nl", [],
  "Vandaag getolkt bij de open dag van de brandweer. Het gebaar voor 'brand' kende iedereen al na vijf minuten 🚒")
C("x", "@webcamnerd", "pub", "en", [],
  "Congrats to Handwoord on the SignCam, finally a webcam that doesn't make signing look like a slideshow.")

assert not PENDING

# ======================================================================================
# output
# ======================================================================================
rng.shuffle(CASES)
lines = []
for i, c in enumerate(CASES, 1):
    role = role_of(c["platform"], c["handle"])
    c["role"] = role
    c["id"] = "hw364-%03d" % i
    post = {"id": c["id"], "platform": c["platform"], "kind": c["kind"], "account": {"handle": c["handle"]},
            "text": c["text"], "lang": c["lang"], "created_at": c["dt"].strftime("%Y-%m-%dT%H:%M:%SZ"),
            "brand": "handwoord"}
    expect = {"categories": c["cats"], "severity": severity(c["cats"], role, c["ids"] if "leak.pii" in c["cats"] else [])}
    c["expect"] = expect
    lines.append(json.dumps({"post": post, "expect": expect}, ensure_ascii=False))
OUT = os.path.join(HERE, "cases.jsonl")
with open(OUT, "w", encoding="utf-8") as fh:
    fh.write("\n".join(lines) + "\n")

# ======================================================================================
# self-checks
# ======================================================================================
errors = []


def err(cid, msg):
    errors.append("%s: %s" % (cid, msg))


PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon", "bluesky",
             "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
CATS = set(SHORT.values())

IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\d])\d(?:[ -]?\d){12,18}(?![\d])")
BSN_RE = re.compile(r"(?<![\d.\-])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\d])")
SECRET_RES = [re.compile(p) for p in [
    r"AKIA[A-Z2-7]{16}", r"gh[pousr]_[A-Za-z0-9]{36}", r"sk_live_[A-Za-z0-9]{20,}", r"sk-(?:proj|ant-api03)-[A-Za-z0-9_-]{40,}",
    r"xox[abp]-\d+", r"hooks\.slack\.com/services/T[A-Z0-9]+/B[A-Z0-9]+/[A-Za-z0-9]+", r"glpat-[A-Za-z0-9_-]{20}",
    r"AIza[0-9A-Za-z_-]{35}", r"-----BEGIN [A-Z ]*PRIVATE KEY-----", r"eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+",
    r"://[^\s:/@<]+:[^\s@<>]+@", r"(?i)w\s*a\s*c\s*h\s*t\s*w\s*o\s*o\s*r\s*d\s*:\s*\S+", r"(?i)\bww:\s*\S+"]]

ids_seen = set()
with open(OUT, encoding="utf-8") as fh:
    raw = fh.read().splitlines()
if not 170 <= len(raw) <= 180:
    err("-", "case count %d outside 170-180" % len(raw))
for line, c in zip(raw, CASES):
    obj = json.loads(line)
    post, expect = obj["post"], obj["expect"]
    cid = post.get("id")
    if set(obj) != {"post", "expect"}:
        err(cid, "top-level keys")
    if not isinstance(cid, str) or not 1 <= len(cid) <= 256 or cid in ids_seen:
        err(cid, "bad or duplicate id")
    ids_seen.add(cid)
    if post["platform"] not in PLATFORMS:
        err(cid, "platform")
    if post["kind"] not in KINDS:
        err(cid, "kind")
    if not isinstance(post["account"].get("handle"), str) or not post["account"]["handle"]:
        err(cid, "handle")
    if not isinstance(post["text"], str) or not post["text"] or len(post["text"].encode("utf-8")) > 65536:
        err(cid, "text")
    try:
        dt = datetime.fromisoformat(post["created_at"].replace("Z", "+00:00"))
        if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", post["created_at"]) or dt.year not in (2026, 2027):
            err(cid, "created_at")
    except ValueError:
        err(cid, "created_at parse")
    cats = expect["categories"]
    if cats != sorted(set(cats)) or not set(cats) <= CATS:
        err(cid, "categories %r" % cats)
    if expect["severity"] not in SEV:
        err(cid, "severity")
    if not cats and expect["severity"] != "none":
        err(cid, "benign with severity")
    if cats and expect["severity"] in ("none", "info"):
        err(cid, "positive with none")
    # role: declared vs profile
    role = role_of(post["platform"], post["account"]["handle"])
    if role != c["who"]:
        err(cid, "role %s but written as %s" % (role, c["who"]))
    if role == "public" and post["account"]["handle"].lower() in ALL_HANDLES:
        err(cid, "public handle reuses a profile handle")
    if expect["severity"] != severity(cats, role, c["ids"] if "leak.pii" in cats else []):
        err(cid, "severity mismatch")
    text = post["text"]
    plain = unevade(text)
    benign = not cats
    # registered identifiers
    for kind, shown, valid in c["ids"]:
        if shown not in text:
            err(cid, "identifier not in text: " + shown)
        ok = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}[kind](shown)
        if ok != valid:
            err(cid, "%s %s checksum %s, wanted %s" % (kind, shown, ok, valid))
        if valid and "leak.pii" not in cats:
            err(cid, "valid identifier outside a pii positive")
        if not valid and not benign:
            err(cid, "look-alike in a positive")
    # generic scan: every IBAN / card / BSN-like number
    masked = text
    for m in IBAN_RE.finditer(text):
        compact = re.sub(r"\s", "", m.group(0))
        if compact in PUBLIC_IBANS:
            pass
        elif benign and iban_ok(compact):
            err(cid, "valid IBAN in benign: " + m.group(0))
        elif not benign and not iban_ok(compact):
            err(cid, "invalid IBAN in positive: " + m.group(0))
        masked = masked.replace(m.group(0), "#" * len(m.group(0)))
    for m in CARD_RE.finditer(masked):
        d = re.sub(r"\D", "", m.group(0))
        if d.startswith("0") or not 13 <= len(d) <= 19:
            continue
        if benign and luhn_ok(d):
            err(cid, "Luhn-valid number in benign: " + m.group(0))
        if not benign and not luhn_ok(d):
            err(cid, "Luhn-invalid card in positive: " + m.group(0))
    for m in BSN_RE.finditer(masked):
        if benign and bsn_ok(m.group(0)):
            err(cid, "11-proof number in benign: " + m.group(0))
        if not benign and not bsn_ok(m.group(0)):
            err(cid, "non-11-proof 9-digit number in positive: " + m.group(0))
    # secrets
    found = [r for r in SECRET_RES if r.search(plain)]
    if "leak.secret" in cats and not found:
        err(cid, "secret positive without a credential")
    if benign:
        for r in SECRET_RES:
            for m in r.finditer(plain):
                if "EXAMPLE" not in m.group(0):
                    err(cid, "credential-like text in benign: " + m.group(0)[:40])
        if re.search(r"AKIA[A-Z2-7]{16}", plain) and "EXAMPLE" not in plain:
            err(cid, "AWS key in benign")
    for m in re.finditer(r"gh[pousr]_[A-Za-z0-9]{36}", text):
        if gh_token_ok(m.group(0)) == benign:
            err(cid, "GitHub token checksum state wrong")
    for m in re.finditer(r"eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", text):
        h = m.group(0).split(".")[0]
        hdr = json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)))
        if "alg" not in hdr:
            err(cid, "JWT without alg")
    # pricing
    if c["price"]:
        alias, amount = c["price"]
        if alias not in text or alias.lower() not in PRODUCTS:
            err(cid, "price product not in text/profile: " + alias)
        else:
            r = amount / PRODUCTS[alias.lower()]["list_price"]
            if "leak.pricing" in cats and r >= RATIO:
                err(cid, "pricing positive not below ratio (%.2f)" % r)
            if benign and r < RATIO:
                err(cid, "benign price below ratio (%.2f)" % r)
            if benign and not (r >= 0.69):
                err(cid, "benign sale deeper than 30%% (%.2f)" % r)
    elif "leak.pricing" in cats:
        err(cid, "pricing positive without price check")
    # embargo / internal
    low = plain.lower()
    for term, until in EMBARGO:
        if term.lower() in low:
            if dt < until and "leak.confidential" not in cats:
                err(cid, "embargo term before until without confidential: " + term)
            if dt >= until and "leak.confidential" in cats and not any(k in low for k in INTERNAL):
                err(cid, "confidential only by an embargo that has ended: " + term)
    if benign and not c["allow"]:
        for k in INTERNAL:
            if k in low:
                err(cid, "internal term in benign: " + k)
    if "leak.confidential" in cats:
        if not (any(k in low for k in INTERNAL) or any(t.lower() in low and dt < u for t, u in EMBARGO)):
            err(cid, "confidential without codename/marker/internal host/embargo term")
    for (pid, _) in [(post["id"], 0)]:
        pass

# mix
from collections import Counter
cc = Counter(cat for c in CASES for cat in c["cats"])
nben = sum(1 for c in CASES if not c["cats"])
nl = sum(1 for c in CASES if c["lang"] == "nl")
nev = sum(1 for c in CASES if c["evasion"])
roles = Counter((c["role"], bool(c["cats"])) for c in CASES)
print("cases:", len(CASES), "benign:", nben, "positive:", len(CASES) - nben)
for k, v in sorted(cc.items()):
    print("  %-22s %d" % (k, v))
print("dutch share: %.2f  evasion posts: %d" % (nl / len(CASES), nev))
print("roles:", dict(roles))
print("severities:", dict(Counter(c["expect"]["severity"] for c in CASES)))
if not 50 <= nben <= 66:
    err("-", "benign count %d" % nben)
if not 0.48 <= nl / len(CASES) <= 0.62:
    err("-", "dutch share %.2f" % (nl / len(CASES)))
if nev < 5:
    err("-", "too few evasion posts")
if not any(c["dt"].year == 2027 for c in CASES):
    err("-", "no 2027 posts")

if errors:
    print("SELF-CHECK FAILED:")
    for e in errors:
        print("  " + e)
    sys.exit(1)
print("self-check OK ->", OUT)
