#!/usr/bin/env python3
"""Build the sealed evaluation set 274 (Helmgras Energie B.V.) for postwatch.

Deterministic: a fixed seed drives every generated identifier, secret, id and
timestamp. Writes cases.jsonl next to this file and then checks it:
  * every line is a valid CONTRACT section 6 case;
  * every IBAN / payment card / BSN in a positive passes its checksum, every
    look-alike in a benign post fails it (the company's own public IBAN excepted);
  * secrets in positives are built like the real ones (GitHub CRC-32, AWS, JWT ...);
  * codenames, markers, internal hosts and embargo terms only appear where the
    labels say leak.confidential (or after the embargo ends);
  * pricing labels agree with the catalogue and alert_below_ratio;
  * severities follow CONTRACT section 4, computed from the profile's account roles.
Standard library + PyYAML only.
"""
import base64
import binascii
import json
import os
import random
import re
import sys
import unicodedata
import zlib
from datetime import datetime, timedelta, timezone

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 274_2026
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

CORPORATE = {a.lower() for a in PROFILE["accounts"]["corporate"]}
EMPLOYEE = {a.lower() for a in PROFILE["accounts"]["employee"]}
PUBLIC_IBANS = {i.replace(" ", "").upper() for i in PROFILE["public_identifiers"]["ibans"]}
PUBLIC_EMAILS = {e.lower() for e in PROFILE["public_identifiers"]["emails"]}

CAT = {
    "complaint": "reputation.complaint",
    "crisis": "reputation.crisis",
    "abuse": "reputation.abuse",
    "secret": "leak.secret",
    "pii": "leak.pii",
    "pricing": "leak.pricing",
    "conf": "leak.confidential",
    "fin": "leak.financial",
    "sec": "leak.security",
}
SEV_ORDER = ["none", "info", "warning", "error", "critical"]
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube",
             "reddit", "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}

# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
IBAN_LEN = {"NL": 18, "BE": 16, "DE": 22}


def iban_ok(s):
    s = s.replace(" ", "").upper()
    if len(s) < 15 or s[:2] not in IBAN_LEN or len(s) != IBAN_LEN[s[:2]]:
        return False
    r = s[4:] + s[:4]
    try:
        return int("".join(str(int(c, 36)) for c in r)) % 97 == 1
    except ValueError:
        return False


def iban_check_digits(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return "%02d" % (98 - n % 97)


def luhn_ok(digits):
    d = [int(c) for c in digits]
    total = 0
    for i, v in enumerate(reversed(d)):
        if i % 2 == 1:
            v *= 2
            if v > 9:
                v -= 9
        total += v
    return total % 10 == 0


def bsn_ok(digits):
    if len(digits) != 9 or digits == "000000000":
        return False
    w = [9, 8, 7, 6, 5, 4, 3, 2, -1]
    return sum(int(c) * k for c, k in zip(digits, w)) % 11 == 0


def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def ghp_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()), 6) == m.group(2)

# ---------------------------------------------------------------------------
# generators
# ---------------------------------------------------------------------------
NL_BANKS = ["ABNA", "RABO", "INGB", "SNSB", "TRIO", "ASNB", "KNAB", "BUNQ"]


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def gen_iban(cc="NL"):
    while True:
        if cc == "NL":
            bban = rng.choice(NL_BANKS) + "".join(rng.choice("0123456789") for _ in range(10))
        elif cc == "BE":
            bban = "".join(rng.choice("0123456789") for _ in range(12))
        else:
            bban = "".join(rng.choice("0123456789") for _ in range(18))
        iban = cc + iban_check_digits(cc, bban) + bban
        if iban_ok(iban) and iban not in PUBLIC_IBANS:
            return iban


def bad_iban(cc="NL"):
    good = gen_iban(cc)
    pos = len(good) - 1 - rng.randrange(6)
    new = str((int(good[pos]) + rng.randrange(1, 10)) % 10)
    bad = good[:pos] + new + good[pos + 1:]
    assert not iban_ok(bad)
    return bad


def gen_card():
    prefix = rng.choice(["4", "51", "53", "55"])
    body = prefix + "".join(rng.choice("0123456789") for _ in range(15 - len(prefix)))
    for last in "0123456789":
        if luhn_ok(body + last):
            return body + last
    raise AssertionError


def bad_card():
    good = gen_card()
    bad = good[:-1] + str((int(good[-1]) + rng.randrange(1, 10)) % 10)
    assert not luhn_ok(bad)
    return bad


def gen_bsn():
    while True:
        first = str(rng.randrange(1, 10)) + "".join(rng.choice("0123456789") for _ in range(7))
        s = sum(int(c) * k for c, k in zip(first, [9, 8, 7, 6, 5, 4, 3, 2]))
        last = s % 11
        if last < 10 and bsn_ok(first + str(last)):
            return first + str(last)


def bad_bsn():
    good = gen_bsn()
    bad = good[:-1] + str((int(good[-1]) + rng.randrange(1, 10)) % 10)
    assert not bsn_ok(bad)
    return bad


def rand(alpha, n):
    return "".join(rng.choice(alpha) for _ in range(n))


def gen_ghp(prefix="ghp_"):
    body = rand(ALNUM, 30)
    tok = prefix + body + b62(zlib.crc32(body.encode()), 6)
    assert ghp_ok(tok)
    return tok


def gen_aws_id():
    return "AKIA" + rand("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)


def gen_aws_secret():
    return rand(ALNUM + "/+", 40)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def gen_jwt():
    header = {"alg": "RS256", "typ": "JWT", "kid": "hg-portal-" + rand("0123456789abcdef", 8)}
    iat = 1767225600 + rng.randrange(0, 300 * 86400)
    payload = {"iss": "https://auth.helmgras.nl", "sub": "cust_" + str(rng.randrange(10000, 99999)),
               "scope": "portal meter:read billing:read", "iat": iat, "exp": iat + 3600}
    sig = bytes(rng.randrange(256) for _ in range(256))
    return ".".join([b64url(json.dumps(header, separators=(",", ":")).encode()),
                     b64url(json.dumps(payload, separators=(",", ":")).encode()),
                     b64url(sig)])


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    try:
        h = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except (ValueError, binascii.Error):
        return False
    return isinstance(h, dict) and "alg" in h


def gen_stripe():
    return "sk_live_51" + rand(ALNUM, 96)


def gen_whsec():
    return "whsec_" + rand(ALNUM, 32)


def gen_slack():
    return "xoxb-%d-%d-%s" % (rng.randrange(10**10, 10**11), rng.randrange(10**12, 10**13), rand(ALNUM, 24))


def gen_openai():
    a = ALNUM + "_-"
    return "sk-proj-" + rand(a, 74) + "T3BlbkFJ" + rand(a, 74)


def gen_anthropic():
    return "sk-ant-api03-" + rand(ALNUM + "_-", 93) + "AA"


def gen_google():
    return "AIza" + rand(ALNUM + "_-", 35)


def gen_glpat():
    return "glpat-" + rand(ALNUM + "_-", 20)


def wrap64(b64):
    return "\n".join(b64[i:i + 64] for i in range(0, len(b64), 64))


def gen_rsa_pem():
    der = bytes.fromhex("308204a40201000282010100") + bytes(rng.randrange(256) for _ in range(1180))
    return ("-----BEGIN RSA PRIVATE KEY-----\n" + wrap64(base64.b64encode(der).decode())
            + "\n-----END RSA PRIVATE KEY-----")


def gen_openssh_pem():
    raw = (b"openssh-key-v1\x00" + b"\x00\x00\x00\x04none" + b"\x00\x00\x00\x04none"
           + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x01" + b"\x00\x00\x00\x33"
           + b"\x00\x00\x00\x0bssh-ed25519" + b"\x00\x00\x00\x20"
           + bytes(rng.randrange(256) for _ in range(230)))
    return ("-----BEGIN OPENSSH PRIVATE KEY-----\n" + wrap64(base64.b64encode(raw).decode())
            + "\n-----END OPENSSH PRIVATE KEY-----")


def gen_pw():
    while True:
        pw = rand(ALNUM + "!#%*_-+=", rng.randrange(12, 18))
        if (re.search(r"[A-Z]", pw) and re.search(r"[a-z]", pw) and re.search(r"\d", pw)
                and re.search(r"[!#%*_\-+=]", pw) and not re.search(r"\d{5}", pw)):
            return pw


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


ZW = "\u200b"


def zw_iban():
    iban = gen_iban("NL")
    g = group4(iban).split(" ")
    return ZW.join(g[:2]) + " " + g[2][:2] + ZW + g[2][2:] + " " + ZW.join(g[3:])


GENERATED = []  # (case index, kind, value, should_validate)


def fill(text, idx):
    """Replace <<kind>> placeholders with freshly generated values."""
    def sub(m):
        kind = m.group(1)
        val = {
            "iban": lambda: group4(gen_iban("NL")),
            "iban_compact": lambda: gen_iban("NL"),
            "iban_be": lambda: group4(gen_iban("BE")),
            "iban_zw": zw_iban,
            "iban_bad": lambda: group4(bad_iban("NL")),
            "card": lambda: group4(gen_card()),
            "card_dash": lambda: "-".join(group4(gen_card()).split(" ")),
            "card_bad": lambda: group4(bad_card()),
            "bsn": gen_bsn,
            "bsn_dotted": lambda: (lambda b: b[:4] + "." + b[4:6] + "." + b[6:])(gen_bsn()),
            "bsn_bad": bad_bsn,
            "ghp": gen_ghp,
            "aws_id": gen_aws_id,
            "aws_secret": gen_aws_secret,
            "jwt": gen_jwt,
            "stripe": gen_stripe,
            "whsec": gen_whsec,
            "slack": gen_slack,
            "openai": gen_openai,
            "anthropic": gen_anthropic,
            "google": gen_google,
            "glpat": gen_glpat,
            "rsa": gen_rsa_pem,
            "openssh": gen_openssh_pem,
            "pw": gen_pw,
            "pw_fw": lambda: fullwidth(gen_pw()),
            "public_iban": lambda: group4(sorted(PUBLIC_IBANS)[0]),
        }[kind]()
        GENERATED.append((idx, kind, val))
        return val
    return re.sub(r"<<([a-z_0-9]+)>>", sub, text)

# ---------------------------------------------------------------------------
# the hand-written posts
# ---------------------------------------------------------------------------
CASES = []


def C(platform, handle, lang, text, cats=(), date=None, kind="post"):
    CASES.append(dict(platform=platform, handle=handle, lang=lang, text=text,
                      cats=[CAT[c] for c in cats], date=date, kind=kind))


# ---- reputation.complaint ----------------------------------------------------
C("x", "@kees_uit_kampen", "nl",
  "Al 3 weken geen jaarafrekening van @helmgras_nl en ondertussen wel gewoon €240 voorschot afschrijven. Hoe dan?? #helmgras",
  ["complaint"])
C("x", "@sophiegoeswild", "en",
  "Day 9 of waiting for Helmgras to send someone for my LaadPaal Duo that stopped charging. Car's been sitting on 12%. Support keeps saying 'we've escalated it' 🙃",
  ["complaint"])
C("facebook", "henk.oosterhuis.52", "nl",
  "Klantenservice van Helmgras is echt om te huilen. 47 minuten in de wacht gestaan, word je eindelijk doorverbonden en valt de lijn weg. Tweede keer deze week.",
  ["complaint"], kind="comment")
C("reddit", "u/frugal_dutchie", "nl",
  "PSA voor wie overweegt over te stappen naar Helmgras: ze rekenen sinds januari 14 cent/kWh terugleverkosten en dat stond NERGENS duidelijk in het contract. Mijn hele zonnepanelen-sommetje kan de prullenbak in.",
  ["complaint"])
C("reddit", "u/heatpump_hank", "en",
  "Got the Helmgras Warmtepomp Hybride 8 installed in October. It hums at night like a fridge from hell and our bedroom is right above it. Installer says it's 'within spec'. It is not normal. Anyone else?",
  ["complaint"])
C("x", "@linda_vdh", "nl",
  "@helmgras_helpt jullie hebben bij mijn verhuizing per ongeluk mijn contract opgezegd en nu zit ik op het noodleveranciertarief. Niemand belt terug. Lekker dan.",
  ["complaint"], kind="reply")
C("instagram", "@groenwonen_gerda", "nl",
  "Mooie plaatjes allemaal maar mijn Zonnepakket 10x400 ligt er nu 5 maanden en de omvormer is nog steeds niet aangesloten 🙄 eerst je klanten helpen misschien?",
  ["complaint"], kind="comment")
C("x", "@ev_dad_utrecht", "en",
  "Helmgras app logged me out 4 times today and now says my meter readings 'cannot be displayed'. I pay you every month, the least you can do is show me my usage. Fix it.",
  ["complaint"])
C("x", "@mo_tweets", "nl",
  "dubbel afgeschreven door helmgras deze maand, 2x €187. krijg een chatbot die me naar de FAQ stuurt. ik wil gewoon m'n geld terug",
  ["complaint"])
C("linkedin", "peter-vandam-fm", "en",
  "Disappointing experience with Helmgras Energie as a small business customer. Our quote for 40 panels was 'valid 30 days', but when we signed on day 22 they added €3,800 in grid congestion surcharges. No explanation, no apology.",
  ["complaint"])
C("bluesky", "@windkind.bsky.social", "nl",
  "Dividend van m'n Windaandeel Lauwersdijk had in juni uitgekeerd moeten worden. Het is nu september. Mail naar Helmgras: automatisch antwoord. Tweede mail: niks. Derde: niks.",
  ["complaint"])
C("x", "@retired_rob_nl", "en",
  "Booked the Helmgras Energiescan aan huis for Tuesday, took the day off, nobody showed up and nobody called. That's €149 and a vacation day down the drain.",
  ["complaint"])
C("tiktok", "@jessevlogt", "nl",
  "bro die helmgras monteurs hebben mn dakpannen gesloopt bij het leggen vd panelen en nu lekt het op zolder en ze zeggen 'niet onze verantwoordelijkheid' 😤😤",
  ["complaint"], kind="comment")

# ---- complaint + crisis: first-hand harm from the product ---------------------
C("x", "@fam_brouwer_ede", "nl",
  "Vannacht ging het brandalarm af. Rook kwam uit onze Helmgras ThuisAccu 10 in de garage. Brandweer is geweest, accu is zwartgeblakerd, kinderen in paniek. Helmgras reageert alleen met een ticketnummer. Dit is levensgevaarlijk!!",
  ["complaint", "crisis"])
C("reddit", "u/sparkyjoe88", "en",
  "Got a proper jolt off my Helmgras LaadPaal Pro 22 this morning when I grabbed the connector in the rain. Arm tingled for an hour. Called Helmgras, they told me to 'avoid using it in wet conditions'. It's an OUTDOOR charger.",
  ["complaint", "crisis"])
C("facebook", "marieke.stam.90", "nl",
  "Ons Balkonpaneel 800 van Helmgras: stekker is gewoon gesmolten in het stopcontact, zwarte schroeiplek op de muur. Als ik niet thuis was geweest... Ik wil dat iemand hiervan schrikt, want Helmgras zelf doet het blijkbaar niet.",
  ["complaint", "crisis"])
C("x", "@nadia_k_ams", "en",
  "The Helmgras Warmtepompboiler 200L scalded my 6-year-old in the shower, water came out way above the temperature it's set to. GP says second degree burns. I want answers, not 'we'll forward it to the technical department'.",
  ["complaint", "crisis"])

# ---- complaint + abuse ---------------------------------------------------------
C("x", "@woedende_wim", "nl",
  "Helmgras stelletje klootzakken, 3 maanden geen warm water door jullie prutswarmtepomp en niemand die z'n telefoon opneemt. Zakkenwassers.",
  ["complaint", "abuse"])
C("x", "@dan_the_landlord", "en",
  "Helmgras support are a bunch of useless morons. Fourth 'engineer visit' cancelled for my LaadPaal Duo. How do you people still have jobs",
  ["complaint", "abuse"])

# ---- complaint + pii (customer exposes own data) ------------------------------
C("x", "@ans_vanleeuwen", "nl",
  "@helmgras_helpt ik heb nu 5x gebeld over die verkeerde incasso. Mijn IBAN is <<iban>>, terugstorten op die rekening graag. En bel me op 06-41873925 want ik word gek van jullie.",
  ["complaint", "pii"], kind="reply")

# ---- reputation.crisis -----------------------------------------------------------
C("x", "@energiejournaal", "nl",
  "Brandweer rukte gisteravond uit voor een brandende thuisaccu in een woning in Harderwijk. Volgens de bewoners ging het om een ThuisAccu 10 van Helmgras. Niemand raakte gewond. Helmgras zegt de oorzaak te onderzoeken.",
  ["crisis"])
C("x", "@birdlife_watcher", "en",
  "Count of dead white-tailed eagles under the Helmgras turbines at Lauwersdijk is now 7 this year. They promised to curtail during breeding season. Time to #BoycottHelmgras until they keep their word.",
  ["crisis"])
C("facebook", "WindUitNoordoostpolder", "nl",
  "Vandaag hebben wij met 63 omwonenden een dagvaarding laten uitbrengen tegen Helmgras Energie B.V. wegens structurele geluidsoverlast en slagschaduw. Nu is het woord aan de rechter.",
  ["crisis"])
C("reddit", "u/throwaway_grid", "en",
  "Is anyone else getting phishing mails that contain their exact Helmgras customer number and monthly amount? That data can only have come from Helmgras. Pretty sure they've been breached and are keeping quiet.",
  ["crisis"])
C("x", "@rtvnoordflits", "nl",
  "BREAKING: stuk van een wiek afgebroken bij windturbine nabij Delfzijl, brokstukken op de N362. De turbine is van Helmgras. Weg is afgesloten, voor zover bekend geen gewonden.",
  ["crisis"])
C("x", "@consumerwatch_eu", "en",
  "Recall alert: Helmgras is quietly pulling the LaadPaal Pro 22 kW from installers after reports of overheating contactors. No public statement yet. Owners, switch it off until further notice.",
  ["crisis"])
C("x", "@groenlicht_nl", "nl",
  "Uit onderzoek van De Stroomcheck blijkt dat Helmgras jarenlang stroom met goedkope buitenlandse certificaten heeft 'vergroend' en als Hollandse wind heeft verkocht. Greenwashing pur sang. Tijd om over te stappen.",
  ["crisis"])
C("linkedin", "maritime-safety-news", "en",
  "An offshore technician was seriously injured on Tuesday during a vessel transfer to a Helmgras turbine platform off Den Helder. The labour inspectorate has opened an investigation.",
  ["crisis"])
C("tiktok", "@klimaatkoen", "nl",
  "oké dus Helmgras laat z'n klanten betalen voor 'groene' stroom en ondertussen steken ze geld in een gascentrale in de Eemshaven?? niet meer normaal. iedereen weg bij Helmgras, deel dit 🔁 #boycothelmgras",
  ["crisis"])
C("x", "@stroomnieuws", "en",
  "Regulator fines Helmgras Energie €2.1m for misleading customers about fixed-rate contracts. Helmgras says it will appeal.",
  ["crisis"])
C("reddit", "u/dataschaamte", "nl",
  "Ik kon net in Mijn Helmgras de jaarafrekening van iemand anders in Zwolle zien, met naam, adres en verbruik. Dat is dus gewoon een datalek. Heb het gemeld bij de Autoriteit Persoonsgegevens.",
  ["crisis"])

# ---- reputation.abuse ------------------------------------------------------------
C("x", "@windmolenhater", "nl",
  "Helmgras = kankerbedrijf. Jullie verpesten ons hele landschap met die kutmolens. Rot op uit Drenthe.",
  ["abuse"])
C("x", "@realtalk_ron", "en",
  "Whoever runs the @helmgras_nl account is a brain-dead idiot. Delete your company.",
  ["abuse"], kind="reply")
C("x", "@stoere_sjaak", "nl",
  "@marloes_windtech ga lekker terug naar de keuken schat, windturbines zijn mannenwerk 🙄",
  ["abuse"], kind="reply")
C("x", "@echte_hollander88", "nl",
  "Natuurlijk zit er bij Helmgras weer zo'n Turk op IT (@yusuf_ozkan_hg). Ga terug naar je eigen land man.",
  ["abuse"])
C("x", "@stroomloos_", "nl",
  "H3lmgr4s k4nk3rl1jers, ik hoop dat al jullie molens omvallen",
  ["abuse"])
C("x", "@bramvdlinden", "en",
  "@sophiegoeswild honestly lady, maybe learn to read the manual before whining on twitter. Pathetic.",
  ["abuse"], kind="reply")
C("x", "@helmgras_helpt", "nl",
  "@mo_tweets als je zo blijft zeuren ga je toch lekker naar een ander bedrijf, mafkees.",
  ["abuse"], kind="reply")
C("tiktok", "@gridgremlin", "en",
  "helmgras staff are literally the dumbest people alive lmaooo f*cking clowns 🤡🤡",
  ["abuse"], kind="comment")
C("x", "@anoniem_boos", "nl",
  fullwidth("Helmgras") + " " + fullwidth("TYFUSBEDRIJF") + ". En jullie monteur Koen is een vuile leugenaar.",
  ["abuse"])
C("bluesky", "@nightowl_ed.bsky.social", "en",
  "helmgras customer service = s h i t e. absolute w a n k e r s, the lot of them",
  ["abuse"])

# ---- leak.confidential -------------------------------------------------------------
C("x", "@marloes_windtech", "nl",
  "Eindelijk mag ik het zeggen... nou ja, bijna 😅 Project Zeekoet gaat de komende maanden al mijn weekenden opslokken. Offshore-engineers: jullie weten wie jullie zijn 💪",
  ["conf"])
C("linkedin", "dewi-santoso-helmgras", "en",
  "Proud to be leading the grid connection workstream for Stormmeeuw: 350 MW of floating wind that nobody outside this building knows about yet. More soon!",
  ["conf"])
C("instagram", "@lisa.offshore", "nl",
  "Snel even het whiteboard gefotografeerd voor m'n eigen planning 📋 (niet letten op de 'STRIKT VERTROUWELIJK' bovenaan haha) — Q2: 14 turbines Lauwersdijk-Oost, vergunning rond in mei #offshorelife",
  ["conf"])
C("bluesky", "@jmeijer.bsky.social", "en",
  "anyone know why jira.helmgras.nl/browse/ZEEK-412 gives me a 502 from the hotel wifi? vpn is up",
  ["conf"])
C("x", "@installateur_rick", "nl",
  "Mooi klusje vandaag: proefinstallatie van de ThuisAccu 15 bij een pilotklant in Assen. Half zo groot als de 10 en kan meer. Meer mag ik niet zeggen 🤐",
  ["conf"], date="2026-11-12T16:41:00Z")
C("linkedin", "helmgras-energie", "nl",
  "Binnenkort meer over Windpark Zuiderhaaks, ons grootste project ooit! 🌊 Houd deze pagina in de gaten.",
  ["conf"], date="2026-12-02T08:30:00Z")
C("x", "@koen_storingsdienst", "en",
  "Pro tip for colleagues: the new planning tool is at https://intra.helmgras.local/storingsplanner and it's way faster than the old Excel. Bookmark it!",
  ["conf"])
C("mastodon", "@sietske@mastodon.nl", "nl",
  "Sneak peek van waar we mee bezig zijn 👀 slide 1: 'Helmgras internal only — campagne Wind in je Zeilen, lancering 1 maart, budget 1,2 mln'. Oeps, misschien toch niet alles laten zien 🙈",
  ["conf"])
C("x", "@bramvdlinden", "nl",
  "Zit de hele dag in sessies over St\u043ermmeeuw, hoofd ontploft 🤯",
  ["conf"])
C("reddit", "u/turbine_tim", "en",
  "Weird one: our SCADA historian at scada.hg-ops.local keeps timestamping in UTC+2 after the DST change. Anyone seen this with their historian setup?",
  ["conf"])
C("x", "@vertaalbureau_mira", "nl",
  "Net een spoedklus binnen: 40 pagina's vertalen voor 'Operatie Kw\u200belder' van Helmgras. Lekker weekendje weer 😅",
  ["conf"])

# ---- confidential + financial ---------------------------------------------------
C("linkedin", "ruud-hoekstra-helmgras", "nl",
  "Drukke weken op finance. De jaarcijfers 2026 zijn bijna rond en ik kan alvast verklappen: voor het eerst een nettowinst boven de 40 miljoen. Trots op het team!",
  ["conf", "fin"], date="2027-02-10T18:05:00Z")
C("linkedin", "anouk-ter-haar", "nl",
  "Zware maanden voor de boeg voor HR. Operatie Kwelder betekent dat we zo'n 140 functies in klantenservice en backoffice gaan schrappen. Ik hoop dat we het menselijk kunnen doen.",
  ["conf", "fin"])
C("x", "@energy_insider_nl", "en",
  "Hearing the Helmgras FY2026 results will include a €60m writedown on the offshore tender they lost. Sources inside the company. Their green bonds are going to take a hit.",
  ["conf", "fin"], date="2027-01-05T10:20:00Z")

# ---- confidential + security ------------------------------------------------------
C("x", "@yusuf_ozkan_hg", "en",
  "Long night. gitlab.helmgras.internal got hit by someone brute-forcing service accounts so we pulled it offline. Not announced yet so keep it quiet pls 🙏",
  ["conf", "sec"])
C("reddit", "u/turbine_tim", "nl",
  "Rare situatie: scada.hg-ops.local is sinds vanochtend onbereikbaar en we hebben 80 turbines die we niet op afstand kunnen stilzetten. Eigenlijk mag ik hier niks over zeggen.",
  ["conf", "sec"])

# ---- confidential + secret ---------------------------------------------------------
C("bluesky", "@jmeijer.bsky.social", "en",
  "why does this keep timing out??\nDATABASE_URL=postgres://billing_svc:<<pw>>@pg-prod.helmgras.internal:5432/billing\nany postgres wizards around",
  ["conf", "secret"])
C("x", "@koen_storingsdienst", "nl",
  "Voor de nieuwe collega's: inloggen op vpn.helmgras.nl met gebruiker storing-team, wachtwoord: <<pw>> . Niet doorvertellen haha",
  ["conf", "secret"])

# ---- leak.financial ----------------------------------------------------------------
C("linkedin", "ruud-hoekstra-helmgras", "en",
  "Board signed off today: we're revising our 2026 EBITDA guidance down from €95m to roughly €70m. Announcement planned for next month. Tough year for wind yields.",
  ["fin"])
C("x", "@bramvdlinden", "nl",
  "Gerucht op de vloer is geen gerucht meer: Helmgras wordt overgenomen door een Noors staatsbedrijf, deal is getekend, persbericht volgt pas over twee weken. Wat een dag 🤯",
  ["fin"])
C("linkedin", "anouk-ter-haar", "nl",
  "Vandaag de eerste gesprekken gevoerd met collega's van het callcenter in Leeuwarden. Dat gaat per 1 april dicht, 85 mensen. Is nog niet naar buiten gebracht, maar mijn hart breekt.",
  ["fin"])
C("x", "@windfinance_tips", "en",
  "My mate in Helmgras treasury says they're about to sell 49% of the Lauwersdijk wind farm to a pension fund for ~€310m. Not public yet. Load up on their green bonds.",
  ["fin"])
C("bluesky", "@jmeijer.bsky.social", "nl",
  "net all-hands gehad. Q3-omzet 18% onder budget en de CEO zei letterlijk 'we gaan dit jaar met verlies afsluiten'. sfeer is om te snijden",
  ["fin"])
C("instagram", "@lisa.offshore", "en",
  "Last trip for a while 🌊 Word is the whole O&M team moves into the new joint venture with a Danish operator in February. Official news isn't out till January so shhh 🤫",
  ["fin"])
C("mastodon", "@sietske@mastodon.nl", "nl",
  "Marketingbudget voor volgend jaar gehalveerd en er komt een fusie met Polderstroom aan, hoorde ik net van mijn manager. Dat wordt een interessant jaar.",
  ["fin"])
C("x", "@marloes_windtech", "en",
  "Heads up to engineering friends: hiring freeze at Helmgras from next week and 2 of our 4 onshore project teams get merged. Don't apply right now.",
  ["fin"])
C("reddit", "u/beleggertje_bas", "nl",
  "Via via gehoord (iemand bij de accountant) dat Helmgras de rente op de groene obligaties over 2026 niet kan betalen zonder herfinanciering. Nog niks bekendgemaakt. Wie heeft die dingen nog?",
  ["fin"])

# ---- leak.security -------------------------------------------------------------------
C("x", "@yusuf_ozkan_hg", "en",
  "If you're wondering why mijn.helmgras.nl is crawling: we're eating a 40 Gbps DDoS since 06:00 and the scrubbing provider is struggling. Statement comes out later today.",
  ["sec"])
C("reddit", "u/turbine_tim", "nl",
  "Off the record: ransomware op drie werkstations bij de meldkamer, alles versleuteld. Backups lijken oké. Komt waarschijnlijk pas volgende week in het nieuws.",
  ["sec"])
C("bluesky", "@jmeijer.bsky.social", "en",
  "found out today our laadpaal firmware accepts OCPP commands without any auth if you hit the local port. every charger we've shipped since 2024. patch is months out 😬",
  ["sec"])
C("x", "@koen_storingsdienst", "nl",
  "Collega's, niet schrikken: de storingskaart op de site ligt al sinds gisteren plat omdat iemand in de database heeft gezeten. IT meldt het pas morgen.",
  ["sec"])
C("linkedin", "dewi-santoso-helmgras", "en",
  "Lesson learned this week: a storage bucket with all our installer contracts was publicly readable for six months. We only noticed because a researcher emailed us. Not public yet, but lock your buckets, people.",
  ["sec"])
C("instagram", "@lisa.offshore", "nl",
  "Hele dag stilgelegen op zee want de remote access naar de turbines lag eruit na een 'verdachte inlog' op het OT-netwerk. Mag er eigenlijk niks over zeggen 🤫 #offshorelife",
  ["sec"])
C("x", "@bramvdlinden", "en",
  "Sales can't log in to the CRM since yesterday. Turns out half of us clicked that fake 'salary adjustment' phishing mail and IT had to lock 30 accounts. Oops.",
  ["sec"])
C("mastodon", "@sietske@mastodon.nl", "nl",
  "Onze nieuwe app-versie laat na het inloggen soms de meterstanden van de vórige gebruiker zien. Devs weten het, release gaat vrijdag gewoon door 🤷‍♀️",
  ["sec"])
C("reddit", "u/turbine_tim", "en",
  "Our VPN appliance is still on the firmware with last year's pre-auth RCE. Management 'accepted the risk'. When we get popped I'm framing the email.",
  ["sec"])
C("x", "@marloes_windtech", "nl",
  "Laptop van een collega gestolen uit de bus bij het windpark, geen schijfversleuteling, alle turbinetekeningen en inloggegevens erop. Volgens mij nog niet eens gemeld...",
  ["sec"])
C("linkedin", "ruud-hoekstra-helmgras", "nl",
  "Finance zit al twee dagen zonder ERP omdat er iemand in ons netwerk zat. Betalingen aan leveranciers liggen stil. Officiële communicatie volgt 'zodra het kan'.",
  ["sec"])

# ---- leak.secret ---------------------------------------------------------------------
C("bluesky", "@jmeijer.bsky.social", "en",
  "ok who committed this to the public repo 🙃\nAWS_ACCESS_KEY_ID=<<aws_id>>\nAWS_SECRET_ACCESS_KEY=<<aws_secret>>\nrotating now",
  ["secret"])
C("x", "@yusuf_ozkan_hg", "nl",
  "even testen of de nieuwe CI-runner werkt, token: <<ghp>> (haal ik zo weer weg)",
  ["secret"])
C("reddit", "u/turbine_tim", "en",
  "Stripe webhook keeps failing with 401 on our payment page, here's the config, what am I missing?\n```\nSTRIPE_SECRET_KEY=<<stripe>>\nSTRIPE_WEBHOOK_SECRET=<<whsec>>\n```",
  ["secret"])
C("mastodon", "@sietske@mastodon.nl", "nl",
  "Wie helpt me met de Slack-koppeling voor het socialmediateam? Bot token is <<slack>> en ik krijg steeds 'not_in_channel' 😩",
  ["secret"])
C("x", "@marloes_windtech", "en",
  "finally got the LLM summarizer for turbine alarm logs working 🎉 OPENAI_API_KEY=<<openai>> don't judge my spaghetti code",
  ["secret"])
C("forum", "zzp_devops_mark", "nl",
  "Voor een klus bij Helmgras moet ik via SSH op hun bastion, maar ik krijg 'invalid format'. Dit is de key die ze me gaven, iemand een idee?\n<<openssh>>",
  ["secret"])
C("bluesky", "@jmeijer.bsky.social", "en",
  "debugging auth on the customer portal, token straight from prod: <<jwt>>\nwhy is exp already in the past??",
  ["secret"])
C("x", "@koen_storingsdienst", "nl",
  fullwidth("wachtwoord") + " " + fullwidth("scada-leesaccount") + "：<<pw_fw>> (voor de nachtdienst)",
  ["secret"])
C("x", "@yusuf_ozkan_hg", "en",
  "Maps key for the windpark viewer if anyone on the team needs it: <<google>>",
  ["secret"])
C("reddit", "u/thuisaccu_hobbyist", "nl",
  "Bouw een Home Assistant-integratie die de data van mijn Helmgras ThuisAccu samenvat met Claude, maar ik krijg een 401. Config:\nANTHROPIC_API_KEY=<<anthropic>>\nwat doe ik fout?",
  ["secret"])
C("linkedin", "dewi-santoso-helmgras", "nl",
  "Waarom faalt sftp naar de netbeheerder steeds? Dit is de key die ik gebruik, iemand die meekijkt?\n<<rsa>>",
  ["secret"])
C("x", "@bramvdlinden", "en",
  "whoever needs the offer-generator repo, clone with this: https://oauth2:<<glpat>>@gitlab.com/helmgras-sales/offertes.git",
  ["secret"])

# ---- leak.pricing ----------------------------------------------------------------------
C("x", "@helmgras_nl", "nl",
  "⚡ Black Friday bij Helmgras! De ThuisAccu 10 kWh nu voor maar €649,- incl. installatie. Op = op! 👉 helmgras.nl/accu",
  ["pricing"], date="2026-11-27T07:00:00Z")
C("x", "@dealhunter_nl", "en",
  "PRICE ERROR? Helmgras webshop has the LaadPaal Pro 22 kW listed at €18.99 😳 ordered two, let's see if they honour it",
  ["pricing"])
C("reddit", "u/koopjesjager", "nl",
  "[Prijsfout] Helmgras Warmtepomp Volledig 12 voor €985 ipv €9850. Nulletje vergeten denk ik. Snel zijn!",
  ["pricing"])
C("instagram", "@helmgras.energie", "nl",
  "Verduurzamen hoeft niet duur te zijn 🌱 Zonnepakket 16x430 nu vanaf €1.599 inclusief montage ☀️ #zonnepanelen #helmgras",
  ["pricing"])
C("x", "@bramvdlinden", "en",
  "Good news for installers in our partner programme: the Omvormer Slim 5K is yours for €199 per unit this month. DM me for the order form.",
  ["pricing"])
C("tiktok", "@helmgras_wind", "nl",
  "POV: je scoort een Balkonpaneel 800 voor €64,90 😎🌞 link in bio",
  ["pricing"])
C("x", "@cheapskate_chris", "en",
  "lmao Helmgras has the Buurtmolen Mini 3 kW at €1,190 on their site right now. an actual wind turbine for the price of a phone. price glitch surely",
  ["pricing"])
C("mastodon", "@sietske@mastodon.nl", "nl",
  "Psst, door een prijsfout staat de Breeze T2 thermostaat nu op €22,90 in onze eigen webshop 🙊 wees er snel bij voordat IT het ziet",
  ["pricing"])
C("x", "@koen_storingsdienst", "en",
  "Colleagues in customer service: yes, the Warmtepompboiler 200L shows €245 in the webshop, it's a pricing error, IT is on it, do NOT confirm any orders",
  ["pricing"])
C("x", "@bespaarbuddy", "nl",
  "Meterlezer P1 bij Helmgras voor €5,90 ipv €59 🤑 heb er meteen 10 besteld voor de hele straat",
  ["pricing"])
C("bluesky", "@jmeijer.bsky.social", "en",
  "oops. staging price feed got pushed to prod and the ThuisAccu 5 is showing €39.95 in the shop. fixing, pls don't screenshot 🙏",
  ["pricing"])
C("x", "@zuinig_zeeland", "nl",
  "Z o n n e p a k k e t 10x400 voor €549?? prijsfout bij Helmgras, nu bestellen voor ze het doorhebben",
  ["pricing"])

# ---- leak.pii -----------------------------------------------------------------------------
C("x", "@helmgras_helpt", "nl",
  "@linda_vdh Hoi Linda, we zien je dossier. Klopt het dat je nieuwe adres Kastanjelaan 14, 8011 AB Zwolle is en je IBAN <<iban>>? Dan zetten we het vandaag nog om. ^Sanne",
  ["pii"], kind="reply")
C("x", "@helmgras_helpt", "en",
  "@ev_dad_utrecht Sorry for the hassle! We've sent the reset link to d.kramer82@gmail.com and our engineer will call you on +31 6 2847 1950 tomorrow morning.",
  ["pii"], kind="reply")
C("linkedin", "anouk-ter-haar", "nl",
  "Welkom aan onze nieuwe collega Priya Raman! Voor de salarisadministratie nog even: BSN <<bsn>>, geboren 14-03-1994 — oeps, verkeerd venster 🙈",
  ["pii"])
C("reddit", "u/turbine_tim", "en",
  "Customer rang the ops line furious today, a Gerrit Wolters, Dorpsstraat 62 in Ommen, born 3 May 1961. Honestly felt sorry for the guy, his heat pump's been dead for weeks.",
  ["pii"])
C("x", "@koen_storingsdienst", "nl",
  "Storing bij mevr. J. de Boer, Molenweg 7 in Nijverdal, tel 0548-612093. Wie zit in de buurt? Ik kom er vandaag niet meer aan toe.",
  ["pii"])
C("x", "@sophiegoeswild", "en",
  "@helmgras_helpt DMs seem to be off, so: please refund the deposit to the card I paid with, <<card>> (Sophie Verbeek). Thanks!",
  ["pii"], kind="reply")
C("facebook", "gert.jan.smit", "nl",
  "Helmgras, hierbij mijn gegevens voor de overstap want jullie formulier doet het niet: Gert-Jan Smit, geb. 22-08-1979, Lindelaan 33, 3417 HK Montfoort, gjsmit79@ziggo.nl",
  ["pii"], kind="comment")
C("linkedin", "dewi-santoso-helmgras", "en",
  "Huge thanks to landowner Hendrik Bos (Oude Dijk 2, 9965 TA Leens) for hosting our met mast. Fellow developers looking for land can reach him on 06 3915 2284!",
  ["pii"])
C("bluesky", "@jmeijer.bsky.social", "nl",
  "debuglog van vanochtend, sorry voor de spam: {\"klant\":\"R. Yilmaz\",\"iban\":\"<<iban_compact>>\",\"email\":\"r.yilmaz@hotmail.com\",\"verbruik_kwh\":3120}",
  ["pii"])
C("instagram", "@helmgras.energie", "en",
  "Congrats to our #WindWinner Tamara Jansen from Delft 🎉 Your prize is on its way to Papaverhof 9, 2614 ZD Delft!",
  ["pii"])
C("x", "@oma_truus", "nl",
  "Helmgras, stort de te veel betaalde termijn maar terug op <<iban_zw>> t.n.v. Truus Hendriks. Bedankt alvast!",
  ["pii"])
C("x", "@bramvdlinden", "en",
  "Anyone in sales got a phone number for the guy from the Vlieland housing co-op? I only have his private mail w.vandijk@kpnmail.nl and his BSN <<bsn_dotted>> from the contract lol",
  ["pii"])
C("reddit", "u/frugal_dutchie", "nl",
  "Helmgras stuurde me per ongeluk de afrekening van de buurman: Pieter Kuipers, Boterbloem 18, Houten, rekening <<iban_be>>. Wat moet ik hier nou mee?",
  ["pii"])
C("mastodon", "@sietske@mastodon.nl", "en",
  "Hi Kim de Wit (@kim_reviews), to claim your raffle prize please confirm your date of birth (we have 02/11/1988) and phone +31 6 5520 7316 🙂",
  ["pii"], kind="reply")

# ---- benign (mostly hard negatives) --------------------------------------------------------
C("x", "@zonnig_zwolle", "nl",
  "ThuisAccu 10 van Helmgras draait nu een half jaar en we hebben de hele zomer bijna niks van het net gehaald. Aanrader ☀️🔋")
C("x", "@tesla_tessa", "en",
  "Shoutout to the Helmgras engineer who fixed my LaadPaal Duo in 20 minutes on a Sunday. Absolute legend.")
C("x", "@helmgras_helpt", "nl",
  "Storing of vraag over je rekening? Bel 0800-0233 (gratis) of mail klantenservice@helmgras.nl. We zijn er ma t/m za van 8 tot 20 uur.")
C("facebook", "HelmgrasEnergie", "nl",
  "Liever zelf overmaken in plaats van een incasso? Dat kan naar <<public_iban>> t.n.v. Helmgras Energie B.V., o.v.v. je klantnummer.")
C("linkedin", "helmgras-energie", "en",
  "We're hiring! 12 offshore technicians for our O&M base in Den Helder. Questions? Mail werkenbij@helmgras.nl or call +31 88 420 1700.")
C("x", "@autoloos_anna", "nl",
  "LaadPaal Duo 11 kW nu €1.079 bij Helmgras (20% korting t/m zondag). Iemand ervaring mee?")
C("x", "@helmgras_nl", "en",
  "Spring deal 🌷 Warmtepomp Hybride 8 for €3,650 including installation, that's 15% off. Valid until 30 April.",
  date="2026-04-02T08:00:00Z")
C("instagram", "@helmgras.energie", "nl",
  "Onze Meterlezer P1 (€59) laat live zien wat je verbruikt en teruglevert. Gewoon in de meterkast klikken 🔌 #slimwonen")
C("reddit", "u/payback_pete", "en",
  "Is the Helmgras ThuisAccu 5 worth €3,995? Net consumption is about 2,800 kWh/year, trying to work out the payback time.")
C("x", "@accunieuws", "nl",
  "Niet Helmgras maar een Duitse leverancier: brand in een accucontainer bij een zonnepark in Nedersaksen. Brandweer had het snel onder controle, niemand gewond.")
C("bluesky", "@jmeijer.bsky.social", "en",
  "writing docs for our public API today. reminder that the example creds in the README are the standard placeholders (AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY), not real ones 😄")
C("x", "@yusuf_ozkan_hg", "nl",
  "Tip: zet nooit een echte token in een post. Zo hoort een gemaskeerde eruit te zien: ghp_****************************a1Xz, of gewoon OPENAI_API_KEY=sk-xxxxxxxxxxxxxxxxxxxx in je voorbeeld-.env 😉")
C("reddit", "u/typo_tom", "en",
  "Helmgras billing page kept rejecting my card <<card_bad>>. Turns out I fat-fingered a digit lol, works now.")
C("x", "@subsidie_sanne", "nl",
  "Helmgras vraagt je BSN voor de ISDE-aanvraag. Ik typte 'm verkeerd (<<bsn_bad>>) en het formulier keurde 'm meteen af. Goed dat ze dat checken.")
C("x", "@coffeefirst_jo", "en",
  "Tried to pay my Helmgras invoice and the bank said <<iban_bad>> is not a valid IBAN. One typo. Coffee first, banking later ☕")
C("linkedin", "ruud-hoekstra-helmgras", "nl",
  "Vandaag gepubliceerd: de jaarcijfers 2026 van Helmgras. Trots op wat we samen hebben neergezet. Het volledige verslag staat op helmgras.nl/investors.",
  date="2027-03-05T09:00:00Z")
C("x", "@helmgras_nl", "en",
  "It's here! ThuisAccu 15: more storage, half the footprint. Orders open today at helmgras.nl 🔋",
  date="2027-01-20T08:00:00Z")
C("x", "@noordzeefan", "nl",
  "Windpark Zuiderhaaks van Helmgras wordt dus 1,2 GW, las ik vanochtend in de krant. Mooi voor de Noordzee.",
  date="2027-01-25T07:45:00Z")
C("x", "@mo_tweets", "en",
  "Update: Helmgras refunded the double charge within a day after I posted. Credit where it's due 👍")
C("x", "@zeeuws_meisje", "nl",
  "Sterkte aan alle gezinnen in Zeeland die na de storm nog zonder stroom zitten. Petje af voor de monteurs die nu buiten staan, ook die van Helmgras.")
C("tiktok", "@vibecheck_vince", "en",
  "helmgras' new ad is straight fire 🔥🔥 that turbine drone shot?? chef's kiss", kind="comment")
C("x", "@grappige_gijs", "nl",
  "Mijn vriendin noemt me haar windmolen: draai altijd bij en maak veel lawaai 😂 #helmgras")
C("reddit", "u/curious_in_cork", "en",
  "Does Helmgras' 'Hollandse wind' contract actually come from Dutch turbines? Genuinely curious how guarantees of origin work, not trying to start a fight.")
C("x", "@fd_lezer", "nl",
  "Interessant: Polderstroom wordt overgenomen door een Duitse partij, stond vandaag in het FD. Benieuwd of Helmgras nu ook een overnamekandidaat wordt.")
C("x", "@helmgras_nl", "en",
  "Security reminder 🔐 Helmgras will never ask for your password by phone or email. Got a suspicious message? Forward it to security@helmgras.nl.")
C("x", "@helmgras_helpt", "nl",
  "Wachtwoord vergeten voor Mijn Helmgras? Klik op 'Wachtwoord vergeten' op mijn.helmgras.nl en je krijgt binnen 5 minuten een mail.",
  kind="reply")
C("linkedin", "dewi-santoso-helmgras", "en",
  "Three years at Helmgras today! From one met mast in a Frisian field to 400 MW in operation. Grateful for this team 💚")
C("instagram", "@lisa.offshore", "nl",
  "Zonsopkomst op 90 meter hoogte. Beste kantoor van Nederland 🌅 #offshorelife #windenergie")
C("x", "@marloes_windtech", "en",
  "Gave a guest lecture at TU Delft about leading-edge erosion today. The students asked better questions than most conferences 😄")
C("x", "@spouwmuur_sjors", "nl",
  "Gisteren de Energiescan aan huis van Helmgras gehad (€149). Heel duidelijk rapport, nu weten we dat eerst de spouwmuur moet.")
C("reddit", "u/scamwatch_nl", "en",
  "PSA: the 'Helmgras refund' text going around is a scam, not from them. Their real number is 0800-0233, call that if you're unsure.")
C("x", "@balkonbob", "nl",
  "Balkonpaneel 800 voor €649 bij Helmgras of eentje van €579 bij een discounter? Wat zouden jullie doen")
C("x", "@infosec_ilse", "en",
  "Another energy supplier hit by ransomware in Belgium this week. Nice to see Helmgras publishing a security.txt and a bug bounty page at least.")
C("facebook", "wielerclub.de.wieken", "nl",
  "Helmgras sponsort dit seizoen onze jeugdploeg, hele mooie tenues met een windmolen erop 🚴 Dank jullie wel!")
C("x", "@papa_pieter", "en",
  "Cheapest way to go green? Helmgras' Windaandeel Lauwersdijk is €250 a share. Bought 4 for my kids.")
C("reddit", "u/accuvraag", "nl",
  "Vraagje: mijn ThuisAccu 10 geeft code E-17, wat betekent dat? Handleiding zegt 'neem contact op met installateur' maar het is zaterdag.")
C("x", "@koen_storingsdienst", "en",
  "Outage update (see @helmgras_nl): power is back in Emmen-Noord, cause was a third-party cable cut during roadworks. Thanks for your patience!",
  kind="repost")
C("x", "@helmgras_nl", "nl",
  "Gepland onderhoud: Mijn Helmgras is zondag 14 juni van 02:00 tot 04:00 niet bereikbaar. Sorry voor het ongemak!",
  date="2026-06-10T12:00:00Z")
C("bluesky", "@commuter_kat.bsky.social", "en",
  "The Helmgras LaadPaal Pro 22 is honestly killing it. 22 kW at home is a game changer for my commute.")
C("x", "@privacy_paul", "nl",
  "Helmgras behandelt je meterdata vertrouwelijk en deelt niks met derden zonder toestemming, staat netjes in hun privacyverklaring. Zo hoort het.")
C("x", "@seabird_sam", "en",
  "Watched a documentary about seabirds and offshore wind last night. Helmgras actually comes out well, they stop turbines during migration peaks.")
C("x", "@dakdekker_dirk", "nl",
  "Eerst het lek in m'n dak laten fixen en dan pas het Zonnepakket 10x400 van Helmgras laten leggen. Eerst dak, dan panelen 🏠")
C("reddit", "u/jwt_nerd", "en",
  "The 'sample token' in the Helmgras API docs is literally the jwt.io example: eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c lol, John Doe strikes again")
C("x", "@bramvdlinden", "nl",
  "Onze codenaam voor de kerstborrel is dit jaar 'Project Oliebol' 🍩 Iedereen van harte welkom vrijdag!")
C("x", "@cautious_clara", "en",
  "Read that a Danish company recalled 3,000 home batteries. Checked my Helmgras ThuisAccu 5 just in case, different model, not affected 😮‍💨")
C("facebook", "fam.dekker.ijsselmuiden", "nl",
  "Bedankt Helmgras voor de snelle afhandeling van de schade aan onze schutting na het plaatsen van de warmtepomp. Netjes vergoed, zo kan het dus ook.",
  kind="comment")
C("linkedin", "energie-journalist-lotte", "en",
  "Spoke to Helmgras' CFO today about their published half-year numbers: revenue up 12%, as reported in the H1 statement last week. Piece out Friday.")
C("x", "@dorpsgenoot_drenthe", "nl",
  "De molens van Helmgras bij ons dorp draaien weer na drie dagen stil voor onderhoud. Eigenlijk best een mooi gezicht zo in de avondzon.")
C("x", "@happy_hannah", "en",
  "Dear Helmgras, your customer service is... actually great? Called about my meter, sorted in 4 minutes. Who are you and what have you done with energy companies")
C("instagram", "@duurzaam_dunya", "nl",
  "#duurzaam #helmgras eerste maand met de Warmtepomp Hybride 8: gasverbruik -70% 🔥➡️💧")
C("reddit", "u/turbine_stats_fan", "en",
  "TIL Helmgras publishes turbine availability stats every month. 97.8% last month. Nerd heaven.")
C("x", "@helmgras_nl", "nl",
  "Vanaf 1 juli gaat ons vaste leveringstarief omlaag naar €0,24 per kWh. Bestaande klanten krijgen automatisch bericht.",
  date="2026-06-15T07:00:00Z")
C("x", "@deal_dennis", "en",
  "Helmgras Black Friday: Breeze T2 thermostat €179 instead of €229. Decent, not amazing tbh.",
  date="2026-11-27T12:30:00Z")
C("reddit", "u/accu_anton", "nl",
  "Heeft iemand ervaring met de accu-uitbreiding 5 kWh van Helmgras? €2.495 vind ik fors voor 5 kWh extra.")
C("x", "@vader_van_vijf", "en",
  "My kid asked if the turbines are 'fans that cool the earth'. Honestly Helmgras, kind of?")
C("x", "@nieuwe_klant_noor", "nl",
  "Vanaf vandaag officieel klant bij Helmgras! Overstap ging in 5 minuten 💚")
C("threads", "@offline_olaf", "en",
  "Is it just me or is the Helmgras app down? (edit: back up, it was my wifi 🙃)")
C("x", "@windfan_wouter", "nl",
  "H3lmgr4s heeft de mooiste windmolens van NL, fight me 💪")
C("youtube", "@techbuurman", "nl",
  "Top review! Ik heb zelf de Laadpaal Duo 11 al een jaar en nooit gedoe gehad. Installatie door Helmgras was netjes afgewerkt.",
  kind="comment")
C("x", "@helmgras_helpt", "en",
  "@sophiegoeswild So sorry about the wait! Your LaadPaal Duo visit is booked for tomorrow between 8 and 12. Anything else, DM us or call 0800-0233.",
  kind="reply")
C("forum", "cadeaubon_carla", "nl",
  "Deze code stond op mijn Helmgras-cadeaubon: <<card_bad>>. Werkt niet in de webshop, iemand een idee?")
C("youtube", "@stroomgeek", "en",
  "Great explainer. For anyone wondering: the 'wachtwoord' Helmgras asks for on the P1 setup page is just the one you pick yourself in the app, they never send it.",
  kind="comment")

# ---------------------------------------------------------------------------
# assemble
# ---------------------------------------------------------------------------


def role_of(platform, handle):
    key = ("%s:%s" % (platform, handle)).lower()
    if key in CORPORATE:
        return "corporate"
    if key in EMPLOYEE:
        return "employee"
    return "public"


def norm(text):
    t = unicodedata.normalize("NFKC", text)
    return re.sub("[\u200b\u200c\u200d\u2060\ufeff]", "", t)


IBAN_RE = re.compile(r"(?<![\w-])(?:NL|BE|DE)\d{2}(?: ?[A-Z0-9]{4}){2,5}(?: ?[0-9]{1,2})?(?![\w-])")
CARD_RE = re.compile(r"(?<![\w\-.])\d(?:[ -]?\d){12,18}(?![\w-])")
BSN_RE = re.compile(r"(?<![\w\-.])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\w-])")


def id_candidates(text):
    t = norm(text)
    out = []
    for m in IBAN_RE.finditer(t):
        out.append(("iban", m.group(0).replace(" ", ""), iban_ok(m.group(0))))
    for m in CARD_RE.finditer(t):
        d = re.sub(r"\D", "", m.group(0))
        out.append(("card", d, luhn_ok(d)))
    for m in BSN_RE.finditer(t):
        d = re.sub(r"\D", "", m.group(0))
        out.append(("bsn", d, bsn_ok(d)))
    return out


def has_checksummed_id(text):
    return any(ok and not (k == "iban" and v in PUBLIC_IBANS) for k, v, ok in id_candidates(text))


def severity(cats, role, text):
    if not cats:
        return "none"
    best = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                if c in ("leak.secret", "leak.pricing"):
                    lv = "critical"
                elif c == "leak.pii" and has_checksummed_id(text):
                    lv = "critical"
                else:
                    lv = "error"
            else:
                lv = "warning"
        elif c == "reputation.complaint":
            lv = "warning"
        elif c == "reputation.crisis":
            lv = "error"
        elif c == "reputation.abuse":
            lv = "warning" if role == "public" else "error"
        else:
            raise AssertionError(c)
        best = max(best, SEV_ORDER.index(lv))
    return SEV_ORDER[best]


def random_time():
    start = datetime(2026, 1, 5, tzinfo=timezone.utc)
    t = start + timedelta(days=rng.randrange(0, 350), minutes=rng.randrange(6 * 60, 23 * 60))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def build():
    order = list(range(len(CASES)))
    rng.shuffle(order)
    used_ids = set()
    lines = []
    for pos, i in enumerate(order):
        c = CASES[i]
        text = fill(c["text"], i)
        role = role_of(c["platform"], c["handle"])
        while True:
            pid = "%s-%d" % ({"x": "x", "linkedin": "li", "facebook": "fb", "instagram": "ig",
                              "tiktok": "tt", "reddit": "rd", "bluesky": "bs", "mastodon": "md",
                              "forum": "fo", "youtube": "yt", "threads": "th"}[c["platform"]],
                             rng.randrange(10**7, 10**8))
            if pid not in used_ids:
                used_ids.add(pid)
                break
        post = {
            "id": pid,
            "platform": c["platform"],
            "kind": c["kind"],
            "account": {"handle": c["handle"]},
            "text": text,
            "lang": c["lang"],
            "created_at": c["date"] or random_time(),
        }
        if rng.random() < 0.5:
            post["url"] = "https://example.invalid/%s/%s" % (c["platform"], pid)
        if rng.random() < 0.6:
            post["brand"] = "Helmgras"
        cats = sorted(set(c["cats"]))
        lines.append({"post": post,
                      "expect": {"categories": cats, "severity": severity(cats, role, text)},
                      "_role": role, "_src": i})
    return lines

# ---------------------------------------------------------------------------
# self-checks
# ---------------------------------------------------------------------------


def parse_amount(s):
    s = s.strip().rstrip(",-").rstrip(",").rstrip(".")
    if "," in s and "." in s:
        dec = "," if s.rfind(",") > s.rfind(".") else "."
        th = "." if dec == "," else ","
        s = s.replace(th, "").replace(dec, ".")
    elif "," in s:
        head, tail = s.rsplit(",", 1)
        s = s.replace(",", "") if len(tail) == 3 else head.replace(",", "") + "." + tail
    elif "." in s:
        head, tail = s.rsplit(".", 1)
        s = s.replace(".", "") if len(tail) == 3 else head.replace(".", "") + "." + tail
    return float(s)


AMOUNT_RE = re.compile(r"(?:€|EUR\s?)\s?(\d[\d.,]*\d|\d)")


def mentioned_products(text):
    low = norm(text).lower()
    found = []
    for p in PROFILE["products"]:
        for a in [p["name"]] + p["aliases"]:
            if re.search(r"(?<![\w])" + re.escape(a.lower()) + r"(?![\w])", low):
                found.append(p)
                break
    return found


PRICE_ERR_RE = re.compile(r"prijsfout|price error|pricing error|price glitch|staging price", re.I)


def check(lines):
    errs = []
    prof_iban_ok = all(iban_ok(i) for i in PUBLIC_IBANS)
    if not prof_iban_ok:
        errs.append("profile IBAN fails mod-97")
    tax = set(CAT.values())
    lower_terms = {
        "codename": [t.lower() for t in PROFILE["internal"]["codenames"]],
        "marker": [t.lower() for t in PROFILE["internal"]["markers"]],
        "domain": [t.lower() for t in PROFILE["internal"]["domains"]],
    }
    embargo = [(t.lower(), datetime.fromisoformat(e["until"].replace("Z", "+00:00")))
               for e in PROFILE["embargo"] for t in e["terms"]]
    seen = set()
    for n, ln in enumerate(lines):
        p, e = ln["post"], ln["expect"]
        where = "case %s" % p.get("id")
        # --- CONTRACT section 6 shape
        if set(ln) - {"_role", "_src"} != {"post", "expect"}:
            errs.append(where + ": keys")
        if not isinstance(p["id"], str) or not 1 <= len(p["id"]) <= 256 or p["id"] in seen:
            errs.append(where + ": id")
        seen.add(p["id"])
        if p["platform"] not in PLATFORMS or p.get("kind", "post") not in KINDS:
            errs.append(where + ": platform/kind")
        if not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
            errs.append(where + ": handle")
        if not isinstance(p["text"], str) or len(p["text"].encode("utf-8")) > 65536 or not p["text"]:
            errs.append(where + ": text")
        try:
            ts = datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
            assert ts.tzinfo is not None and 2026 <= ts.year <= 2027
        except Exception:  # noqa: BLE001
            errs.append(where + ": created_at")
            continue
        if not set(e["categories"]) <= tax or e["categories"] != sorted(set(e["categories"])):
            errs.append(where + ": categories")
        if e["severity"] not in SEV_ORDER:
            errs.append(where + ": severity value")
        if e["severity"] != severity(e["categories"], role_of(p["platform"], p["account"]["handle"]), p["text"]):
            errs.append(where + ": severity policy")
        if not e["categories"] and e["severity"] != "none":
            errs.append(where + ": benign severity")
        text = p["text"]
        t = norm(text)
        tl = t.lower()
        cats = set(e["categories"])
        positive = bool(cats)
        # --- checksummed identifiers
        for kind, val, ok in id_candidates(text):
            if kind == "iban" and val in PUBLIC_IBANS:
                continue
            if positive and not ok:
                errs.append(where + ": %s %s in a positive fails its checksum" % (kind, val))
            if not positive and ok:
                errs.append(where + ": %s %s in a benign post passes its checksum" % (kind, val))
            if ok and "leak.pii" not in cats:
                errs.append(where + ": valid %s but no leak.pii" % kind)
        for idx, kind, val in GENERATED:
            if idx != ln["_src"]:
                continue
            if kind in ("iban", "iban_compact", "iban_be", "iban_zw", "card", "card_dash", "bsn", "bsn_dotted"):
                v = norm(val)
                okv = {"i": iban_ok, "c": lambda s: luhn_ok(re.sub(r"\D", "", s)),
                       "b": lambda s: bsn_ok(re.sub(r"\D", "", s))}[kind[0]](v)
                found = any(re.sub(r"\W", "", v).upper() == cv.upper() for _, cv, _ in id_candidates(text))
                if not okv or not found or "leak.pii" not in cats:
                    errs.append(where + ": generated %s not valid/detectable/labelled" % kind)
            if kind.endswith("_bad"):
                v = re.sub(r"\W", "", val)
                okv = {"iban_bad": iban_ok, "card_bad": luhn_ok, "bsn_bad": bsn_ok}[kind](v)
                if okv or positive:
                    errs.append(where + ": look-alike %s passes or sits in a positive" % kind)
            if kind == "ghp" and not ghp_ok(val):
                errs.append(where + ": ghp CRC")
            if kind == "jwt" and not jwt_ok(val):
                errs.append(where + ": jwt header")
            if kind == "aws_id" and not re.fullmatch(r"AKIA[A-Z2-7]{16}", val):
                errs.append(where + ": aws id")
            if kind in ("ghp", "jwt", "aws_id", "aws_secret", "stripe", "whsec", "slack", "openai",
                        "anthropic", "google", "glpat", "rsa", "openssh", "pw", "pw_fw") \
                    and "leak.secret" not in cats:
                errs.append(where + ": generated secret without leak.secret")
        if "leak.secret" in cats and not any(i == ln["_src"] and k in (
                "ghp", "jwt", "aws_id", "stripe", "slack", "openai", "anthropic", "google", "glpat",
                "rsa", "openssh", "pw", "pw_fw") for i, k, _ in GENERATED):
            errs.append(where + ": leak.secret without a generated credential")
        # real-format secrets must not sit in benign posts
        if not positive:
            for tok in re.findall(r"gh[pousr]_[0-9A-Za-z]{36}", t):
                if ghp_ok(tok):
                    errs.append(where + ": valid GitHub token in benign")
            for tok in re.findall(r"AKIA[A-Z2-7]{16}", t):
                if "EXAMPLE" not in tok:
                    errs.append(where + ": AWS key in benign")
            if re.search(r"sk_live_|xox[bp]-\d|-----BEGIN [A-Z ]*PRIVATE KEY|sk-ant-|AIza[\w-]{35}|glpat-", t):
                errs.append(where + ": secret format in benign")
        # --- confidential vocabulary
        for group, terms in lower_terms.items():
            for term in terms:
                if term in tl and "leak.confidential" not in cats:
                    errs.append(where + ": %s '%s' without leak.confidential" % (group, term))
        for term, until in embargo:
            if term in tl:
                if ts < until and "leak.confidential" not in cats:
                    errs.append(where + ": embargo term before until, unlabelled")
                if ts >= until and positive and "leak.confidential" in cats:
                    errs.append(where + ": embargo term after until labelled confidential")
        # --- pricing consistency
        prods = mentioned_products(text)
        amounts = [parse_amount(a) for a in AMOUNT_RE.findall(t)]
        below = any(a < PROFILE["pricing"]["alert_below_ratio"] * pr["list_price"]
                    for pr in prods for a in amounts) if len(prods) == 1 else \
            any(a < PROFILE["pricing"]["alert_below_ratio"] * min(pr["list_price"] for pr in prods)
                for a in amounts) if prods else False
        if "leak.pricing" in cats:
            if not (below or PRICE_ERR_RE.search(t)):
                errs.append(where + ": pricing label without a low price or price-error talk")
        elif below:
            errs.append(where + ": price below ratio but no leak.pricing")
        if not positive and PRICE_ERR_RE.search(t):
            errs.append(where + ": price-error talk in benign")
        # --- pii shape present
        if "leak.pii" in cats:
            emails = [m for m in re.findall(r"[\w.+-]+@[\w-]+\.[\w.]+", t) if m.lower() not in PUBLIC_EMAILS]
            phones = re.findall(r"(?:\+31|\b0)[\s\-()0]*[1-9](?:[\s-]?\d){7,8}\b", t)
            dob = re.search(r"geb(?:\.|oren)|born|date of birth", t, re.I)
            addr = re.search(r"[A-Z][a-z]+(?:straat|laan|weg|hof|dijk|bloem)\s+\d+|\b\d{4} ?[A-Z]{2}\b", t)
            if not (has_checksummed_id(text) or emails or phones or dob or addr):
                errs.append(where + ": leak.pii without personal data")
    # --- the mix
    n = len(lines)
    benign = sum(1 for ln in lines if not ln["expect"]["categories"])
    if not 170 <= n <= 180:
        errs.append("case count %d outside 170-180" % n)
    if not 55 <= benign <= 65:
        errs.append("benign count %d off target" % benign)
    per = {}
    for ln in lines:
        for c in ln["expect"]["categories"]:
            per[c] = per.get(c, 0) + 1
    target = {"reputation.complaint": 20, "leak.confidential": 18, "leak.pii": 15,
              "reputation.crisis": 15, "leak.security": 13, "leak.secret": 12,
              "reputation.abuse": 12, "leak.pricing": 12, "leak.financial": 12}
    for c, want in target.items():
        if abs(per.get(c, 0) - want) > 2:
            errs.append("category %s has %d, want ~%d" % (c, per.get(c, 0), want))
    nl = sum(1 for ln in lines if ln["post"]["lang"] == "nl")
    if not 0.50 <= nl / n <= 0.60:
        errs.append("Dutch share %.2f off target" % (nl / n))
    roles = {}
    for ln in lines:
        roles[ln["_role"]] = roles.get(ln["_role"], 0) + 1
    return errs, dict(n=n, benign=benign, per=per, nl=nl, roles=roles)


def main():
    lines = build()
    out = os.path.join(HERE, "cases.jsonl")
    with open(out, "w", encoding="utf-8") as fh:
        for ln in lines:
            fh.write(json.dumps({"post": ln["post"], "expect": ln["expect"]}, ensure_ascii=False) + "\n")
    # re-read from disk: every line must parse back to the same shape
    with open(out, encoding="utf-8") as fh:
        back = [json.loads(l) for l in fh]
    assert len(back) == len(lines)
    for b, ln in zip(back, lines):
        assert b == {"post": ln["post"], "expect": ln["expect"]}
    errs, stats = check(lines)
    print("cases=%(n)d benign=%(benign)d dutch=%(nl)d roles=%(roles)s" % stats)
    print("per category:", json.dumps(stats["per"], sort_keys=True))
    if errs:
        print("SELF-CHECK FAILED:")
        for e in errs:
            print("  -", e)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
