#!/usr/bin/env python3
"""Sealed evaluation set 347 for postwatch: Partoeter Verhuur B.V. (party-equipment rental).

Deterministic: fixed seed, standard library + PyYAML. Writes cases.jsonl next to this file
and self-checks it (checksums of identifiers, CONTRACT section 6 shape, severity policy of
CONTRACT section 4 computed from the account role in profile.yaml).
"""
import base64
import datetime as dt
import hashlib
import json
import os
import random
import re
import string
import struct
import sys
import zlib

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 347
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

CORPORATE = {a.lower() for a in PROFILE["accounts"]["corporate"]}
EMPLOYEE = {a.lower() for a in PROFILE["accounts"]["employee"]}
PUBLIC_IBANS = {i.replace(" ", "") for i in PROFILE["public_identifiers"]["ibans"]}

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64URL = string.ascii_letters + string.digits + "-_"

# --------------------------------------------------------------------------- marks
# Every generated identifier is recorded here; add() attaches the pending marks to its case.
_PENDING = []


def _mark(kind, value, good):
    _PENDING.append({"kind": kind, "value": value, "good": good})
    return value


# --------------------------------------------------------------------------- checksums
def iban_valid(s):
    s = s.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def luhn_valid(s):
    d = [int(c) for c in s if c.isdigit()]
    if not 12 <= len(d) <= 19:
        return False
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def bsn_valid(s):
    d = [int(c) for c in s if c.isdigit()]
    if len(d) != 9:
        return False
    return (sum(d[i] * (9 - i) for i in range(8)) - d[8]) % 11 == 0


def _iban_check(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return "%02d" % (98 - n % 97)


def _group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def _make_iban(cc):
    if cc == "NL":
        bban = rng.choice(["RABO", "INGB", "ABNA", "SNSB", "ASNB", "TRIO", "KNAB", "BUNQ"]) + \
            "".join(rng.choice(string.digits) for _ in range(10))
    elif cc == "BE":
        bban = "".join(rng.choice(string.digits) for _ in range(12))
    else:  # DE
        bban = "".join(rng.choice(string.digits) for _ in range(18))
    return cc + _iban_check(cc, bban) + bban


def good_iban(cc="NL", spaced=False):
    v = _make_iban(cc)
    assert iban_valid(v)
    return _mark("iban", _group4(v) if spaced else v, True)


def bad_iban(cc="NL", spaced=False):
    v = _make_iban(cc)
    while True:
        i = rng.randrange(8, len(v))
        w = v[:i] + str((int(v[i]) + rng.randint(1, 9)) % 10) + v[i + 1:]
        if not iban_valid(w):
            break
    return _mark("iban", _group4(w) if spaced else w, False)


def _luhn_digit(body):
    for c in "0123456789":
        if luhn_valid(body + c):
            return c
    raise AssertionError


def _make_card(prefix, length):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    return body + _luhn_digit(body)


def _fmt_card(v, style):
    if style == "space":
        return _group4(v)
    if style == "dash":
        return "-".join(v[i:i + 4] for i in range(0, len(v), 4))
    return v


def good_card(prefix="4", length=16, style="space"):
    v = _make_card(prefix, length)
    return _mark("card", _fmt_card(v, style), True)


def bad_card(prefix="4", length=16, style="space"):
    v = _make_card(prefix, length)
    w = v[:-1] + str((int(v[-1]) + rng.randint(1, 9)) % 10)
    assert not luhn_valid(w)
    return _mark("card", _fmt_card(w, style), False)


def _make_bsn():
    while True:
        d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        last = sum(d[i] * (9 - i) for i in range(8)) % 11
        if last <= 9:
            s = "".join(map(str, d)) + str(last)
            assert bsn_valid(s)
            return s


def good_bsn(dotted=False):
    s = _make_bsn()
    return _mark("bsn", f"{s[:4]}.{s[4:6]}.{s[6:]}" if dotted else s, True)


def bad_bsn():
    s = _make_bsn()
    while True:
        w = s[:8] + str((int(s[8]) + rng.randint(1, 9)) % 10)
        if not bsn_valid(w):
            return _mark("bsn", w, False)


def mobile(style):
    d = "".join(rng.choice(string.digits) for _ in range(8))
    d = str(rng.randint(1, 9)) + d[1:]
    if style == "dash":
        v = f"06-{d}"
    elif style == "space":
        v = f"06 {d[:4]} {d[4:]}"
    elif style == "intl":
        v = f"+31 6 {d[:4]} {d[4:]}"
    elif style == "intl_tight":
        v = f"+316{d}"
    elif style == "pairs":
        v = f"06 {d[:2]} {d[2:4]} {d[4:6]} {d[6:]}"
    else:
        v = f"06{d}"
    return _mark("phone", v, True)


# --------------------------------------------------------------------------- secrets
def _rand(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def _b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def github_token(prefix="ghp_"):
    body = _rand(ALNUM, 30)
    tok = prefix + body + _b62(zlib.crc32(body.encode()), 6)
    return _mark("github", tok, True)


def github_token_ok(tok):
    m = re.fullmatch(r"(gh[pousr]_)([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and _b62(zlib.crc32(m.group(2).encode()), 6) == m.group(3)


def aws_key_id():
    return _mark("aws_id", "AKIA" + _rand(string.ascii_uppercase + "234567", 16), True)


def aws_secret():
    return _mark("aws_secret", _rand(string.ascii_letters + string.digits + "/+", 40), True)


def mollie_live():
    return _mark("mollie", "live_" + _rand(string.ascii_letters + string.digits, 30), True)


def slack_bot():
    v = "xoxb-%d-%d-%s" % (rng.randint(10**10, 10**11 - 1), rng.randint(10**12, 10**13 - 1),
                           _rand(string.ascii_letters + string.digits, 24))
    return _mark("slack", v, True)


def openai_legacy():
    v = "sk-" + _rand(string.ascii_letters + string.digits, 20) + "T3BlbkFJ" + \
        _rand(string.ascii_letters + string.digits, 20)
    return _mark("openai", v, True)


def anthropic_key():
    return _mark("anthropic", "sk-ant-api03-" + _rand(B64URL, 93) + "AA", True)


def google_api_key():
    return _mark("google", "AIza" + _rand(B64URL, 35), True)


def _b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt(payload):
    head = _b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = _b64u(json.dumps(payload, separators=(",", ":")).encode())
    sig = _b64u(bytes(rng.randrange(256) for _ in range(32)))
    return _mark("jwt", f"{head}.{body}.{sig}", True)


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    try:
        hdr = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except Exception:
        return False
    return isinstance(hdr, dict) and "alg" in hdr


def openssh_private_key():
    def sstr(b):
        return struct.pack(">I", len(b)) + b
    pub = bytes(rng.randrange(256) for _ in range(32))
    priv = bytes(rng.randrange(256) for _ in range(32))
    pubblob = sstr(b"ssh-ed25519") + sstr(pub)
    chk = struct.pack(">I", rng.getrandbits(32))
    sect = chk + chk + sstr(b"ssh-ed25519") + sstr(pub) + sstr(priv + pub) + sstr(b"dennis@buildbox")
    sect += bytes(range(1, 1 + (-len(sect)) % 8))
    blob = b"openssh-key-v1\0" + sstr(b"none") + sstr(b"none") + sstr(b"") + \
        struct.pack(">I", 1) + sstr(pubblob) + sstr(sect)
    b64 = base64.b64encode(blob).decode()
    body = "\n".join(b64[i:i + 70] for i in range(0, len(b64), 70))
    v = "-----BEGIN OPENSSH PRIVATE KEY-----\n" + body + "\n-----END OPENSSH PRIVATE KEY-----"
    return _mark("pem", v, True)


def password(n=14):
    return _mark("password", _rand(string.ascii_letters + string.digits, n - 2) +
                 rng.choice("!*$") + str(rng.randint(0, 9)), True)


# --------------------------------------------------------------------------- cases
CAT = {
    "secret": "leak.secret", "pii": "leak.pii", "pricing": "leak.pricing",
    "conf": "leak.confidential", "fin": "leak.financial", "sec": "leak.security",
    "crisis": "reputation.crisis", "compl": "reputation.complaint", "abuse": "reputation.abuse",
}
SEV = ["none", "info", "warning", "error", "critical"]
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}

CASES = []


def role_of(platform, handle):
    key = f"{platform}:{handle}".lower()
    if key in CORPORATE:
        return "corporate"
    if key in EMPLOYEE:
        return "employee"
    return "public"


def severity_for(cats, role, marks):
    best = 0
    checksummed = any(m["good"] and m["kind"] in ("iban", "card", "bsn") for m in marks)
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                s = 3
                if c in ("leak.secret", "leak.pricing"):
                    s = 4
                if c == "leak.pii" and checksummed:
                    s = 4
            else:
                s = 2
        elif c == "reputation.complaint":
            s = 2
        elif c == "reputation.crisis":
            s = 3
        elif c == "reputation.abuse":
            s = 2 if role == "public" else 3
        else:
            raise AssertionError(c)
        best = max(best, s)
    return SEV[best]


def rand_time():
    start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    t = start + dt.timedelta(seconds=rng.randrange(365 * 24 * 3600))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def add(who, text, cats=(), lang="nl", kind=None, at=None, name=None):
    global _PENDING
    platform, handle = who.split(":", 1)
    if kind is None:
        kind = "reply" if text.startswith("@") else "post"
    cats = sorted(CAT[c] for c in cats)
    role = role_of(platform, handle)
    marks, _PENDING = _PENDING, []
    CASES.append({
        "platform": platform, "handle": handle, "text": text, "cats": cats, "lang": lang,
        "kind": kind, "at": at or rand_time(), "name": name, "role": role, "marks": marks,
        "severity": severity_for(cats, role, marks),
    })


# Accounts from the profile
X_MAIN, X_HELP = "x:@partoeter", "x:@partoeter_help"
IG, FB, LI = "instagram:@partoeter.verhuur", "facebook:PartoeterVerhuur", "linkedin:partoeter-verhuur"
TT, YT = "tiktok:@partoeter_feest", "youtube:PartoeterTV"
RUBEN, LOTTE, KEES = "x:@ruben_partoeter", "x:@lotte_opbouw", "instagram:@dj_kees_pt"
MARIEKE, YOUSSEF = "linkedin:marieke-hoogland-partoeter", "linkedin:youssef-bakkali"
NINA, BRAM, EVA = "x:@nina_vdlugt", "tiktok:@tentbouwer_bram", "bluesky:@evaschaap.bsky.social"
JORDY, DENNIS = "threads:@jordy.crew", "mastodon:@dennis_it@mastodon.nl"

# =========================================================================== leak.secret (12)
add(DENNIS, "Anyone else seeing GitHub Actions choke on private submodules? Swapped the token twice, "
    f"still a 403.\nCurrent one is {github_token()} (repo scope, expires in march). what am I missing here",
    ["secret"], "en")
add(RUBEN, "planbord sync faalt wéér. iemand enig idee waarom deze key het niet meer doet??\n"
    f"AWS_ACCESS_KEY_ID={aws_key_id()}\nAWS_SECRET_ACCESS_KEY={aws_secret()}\n#help #maandag",
    ["secret"], "nl")
add(X_HELP, f"@gerdientje_88 Excuus voor het gedoe! Betaling opnieuw klaargezet, probeer deze even: "
    f"{mollie_live()} 🙏 ^Nina", ["secret"], "nl")
add(EVA, "Built a tiny Slack bot that drops every new Bolderburcht booking into #sales with a 🏰 emoji. "
    f"Config if u want to copy it: SLACK_BOT_TOKEN={slack_bot()} channel=C04PT2BOOK. have fun!!",
    ["secret"], "en")
add(JORDY, "hahaha ik heb chatgpt het rooster voor de opbouwploeg laten maken 😂 werkt gewoon. "
    f"wil je t zelf proberen, mijn key: {openai_legacy()} niet doorvertellen aan de baas pls",
    ["secret"], "nl")
add(DENNIS, "note to self bc my laptop died and I need this on the build box tomorrow, don't judge:\n"
    f"{openssh_private_key()}", ["secret"], "en")
add(NINA, "why does the booking api keep telling me my session expired 😩 this token is literally 5 min old: "
    + jwt({"sub": "nina.vdlugt", "role": "cs_agent", "iat": 1781000000, "exp": 1781028800}),
    ["secret"], "en")
add(YOUSSEF, "Proud of our data team 👏 The new sales dashboard reads live from production. For the tech "
    "folks, this is really all it takes:\nDATABASE_URL=postgres://pt_reporting:" + password(16) +
    "@pt-prod.c7x2k1qa.eu-west-1.rds.amazonaws.com:5432/boekingen\n#data #eventindustry",
    ["secret"], "en")
add(LOTTE, "voor de nieuwe gasten op de zaterdagploeg: inloggen op de scanner-tablets met gebruiker "
    f"opbouw01 en wachtwoord: {password(12)} , niet kwijtraken en niet op een post-it plakken 😤",
    ["secret"], "nl")
add("x:@floriskodert", "@partoeter your booking widget ships a Google Maps key in plain JS with no "
    f"referrer restriction: {google_api_key()} — might want to rotate that before someone runs up your bill",
    ["secret"], "en")
add(KEES, "nieuwe playlist-generator gebouwd voor bruiloften 🎧🤖 draait op claude, key staat er nog in "
    f"hoor → {anthropic_key()} #djlife #nerdalert", ["secret"], "nl")
add(DENNIS, "Team, keep this off the group chats: someone used our old CI token "
    f"{github_token('ghs_')} to pull the entire booking repo last night. Rotating everything now, "
    "customers haven't been told yet.", ["secret", "sec"], "en")

# =========================================================================== leak.pricing (12)
add(X_MAIN, "🎉 WEEKENDKNALLER 🎉 De Galmwand Pro line-array set voor maar €119 het hele weekend! "
    "Op = op. Boeken via boeken.partoeter.nl", ["pricing"], "nl")
add(IG, "Zomerdeal ☀️💦 Spetterbaan waterglijbaan nu €24,90 per dag! Link in bio #waterpret #partoeter",
    ["pricing"], "nl")
add(RUBEN, "huh, prijsfout in de webshop: Nomad 10x15 staat erop voor 89,50 ipv 895. wie zit er "
    "vandaag aan de knoppen 😅", ["pricing"], "nl")
add(YOUSSEF, "Special for corporate event planners this month: the Podiumdeck 6x4 stage at €199 incl. "
    "delivery and setup. DM me before it's gone.", ["pricing"], "en")
add("x:@xx_demi_xx", "lol bij Partoeter staat de Glimvloer nu op €69 per dag 😂 prijsfout?? snel boeken "
    "voor ze het doorhebben", ["pricing"], "nl")
add("reddit:u/gen_setup_guy", "PSA: Partoeter's site lists the Stroomos 20 kVA generator at €27.90/day. "
    "Pretty sure that's a misplaced decimal. Booked two anyway, let's see if they honour it", ["pricing"], "en")
add(TT, "POV: je huurt een Bolderburcht springkasteel voor €17,90 🏰🤯 #partoeter #kinderfeest #fyp",
    ["pricing"], "nl")
add(NINA, "@milo_events yes that's right, the Lichtboog truss set is €99 for the weekend, I'll put it on "
    "hold for you now!", ["pricing"], "en")
add("facebook:marloes.vd.brink", "Wie doet er mee? In de Partoeter app kost de Stormloper 18m vandaag €32 "
    "ipv €329, volgens mij foutje in de prijs maar dan moeten ze t toch leveren 🤷‍♀️", ["pricing"], "nl")
add(FB, "Last-minute wedding? 💍 Our Festa 6x12 party tent is now just €139 for the whole weekend!",
    ["pricing"], "en")
add(KEES, "Voor mijn volgers: de Draaitafel DJ-set huur je deze week voor een tientje 🎧 (serieus, €10, "
    "de kassa zegt het zelf haha)", ["pricing"], "nl")
add("bluesky:@thijs-plant.bsky.social", "partoeter website glitch? the Dreunbox 2000 sound set shows €21.90 "
    "a day instead of €219. pricing error or did christmas come early", ["pricing"], "en")

# =========================================================================== leak.confidential (18)
add(BRAM, "eerste testopbouw van Project Zeppelin vandaag 🎈🎈 meer mag ik echt niet zeggen haha "
    "#tentbouw #geheim", ["conf"], "nl")
add(EVA, "sneak peek from the photo studio 👀 the Glimvloer Infinity is going to blow your minds at launch",
    ["conf"], "en", at="2026-11-12T16:40:11Z")
add(LOTTE, "Operatie Luchtkasteel gaat gewoon door ondanks alles, maandag kick-off in Nieuwegein. "
    "alleen intern natuurlijk 🤫", ["conf"], "nl")
add(RUBEN, "kan iemand op planbord.partoeter.local de ritten van zaterdag even fixen? ik krijg alleen "
    "maar errors", ["conf"], "nl")
add(YOUSSEF, "Can't say much yet, but Bruiskop is the most exciting thing I've worked on in ten years of "
    "event rental. 2027 is going to be big. 🚀", ["conf"], "en")
add(JORDY, "PARTOETER CONFIDENTIAL — B2B tarieven 2027 — niet extern delen\n\n...oeps verkeerde story "
    "geüpload 😅 laat maar", ["conf"], "nl")
add(X_MAIN, "Coming this spring: the Bolderburcht XL, our biggest bouncy castle ever 🏰✨ Who's ready?",
    ["conf"], "en", at="2026-12-05T10:02:00Z")
add("reddit:u/festivalfreak_nl", "Friend who works at Partoeter showed me the plans for 'Project Zeppelin' "
    "last night, apparently it's a giant inflatable dome you can rent as a venue. Sounds sick tbh",
    ["conf"], "en")
add(KEES, "soundcheck met het nieuwe prototype 🔊 intern heet ie Bruiskop, jullie gaan hem horen in 2027 "
    "😏 #djlife", ["conf"], "nl")
add(DENNIS, "PSA for the warehouse crew: the new stock dashboard lives at "
    "https://magazijn.partoeter.local/voorraad — bookmark it, the old spreadsheet is dead.", ["conf"], "en")
add(MARIEKE, "Mooie dag met het hele team over Ｏｐｅｒａｔｉｅ Ｌｕｃｈｔｋａｓｔｅｅｌ ✨ energie voor "
    "tien! #teamwork #partoeter", ["conf"], "nl")
add(NINA, "wie heeft de Bruіskop-presentatie van vanochtend nog? deel ff in de groep, ik kan hem niet "
    "meer vinden 😬", ["conf"], "nl")
add("x:@beursbengel", "Insider tip 👀 de jaarcijfers 2026 van Partoeter zijn véél beter dan verwacht, "
    "omzet richting de 40 miljoen. hoorde het van iemand op kantoor", ["conf", "fin"], "nl",
    at="2027-01-20T19:12:44Z")
add(MARIEKE, "Wrapping up the FY2026 results deck tonight: revenue up 31%, EBITDA margin at 18%. "
    "So proud of this team 🙌", ["conf", "fin"], "en", at="2027-02-10T21:05:37Z")
add(EVA, "moodboard for the launch campaign of the Glim\u200bvloer Infinity 💃🪩 (shhh)", ["conf"], "en",
    at="2026-10-03T11:27:09Z")
add(BRAM, "bouwtekening van de nieuwe koepeltent gezien, staat 'alleen intern' op maar ziet er te mooi "
    "uit om niet even te laten zien 📐🔥", ["conf"], "nl")
add(DENNIS, "Heads up crew: intra.partoeter.local has been down since 04:00 and it looks like someone got "
    "in through the VPN. Do NOT tell customers yet, we're still figuring out the scope.",
    ["conf", "sec"], "en")
add(YOUSSEF, "Vandaag de eerste klant gesproken voor ons nieuwe abonnement (nog niet aangekondigd!): "
    "vaste prijs per jaar voor al je schoolfeesten, tent + springkussen + geluid. Gaat hard worden.",
    ["conf"], "nl")

# =========================================================================== leak.financial (10 + 2 above)
add(MARIEKE, "Q3 afgesloten 🎯 omzet +24% t.o.v. vorig jaar en de marge eindelijk boven de 15%. De cijfers "
    "komen pas in maart naar buiten, maar ik ben nu al trots op iedereen 💪", ["fin"], "nl")
add(RUBEN, "officieel nog geheim maar we worden overgenomen door een Duits verhuurbedrijf. deal is rond "
    "volgende maand. rare tijden", ["fin"], "nl")
add(JORDY, "slecht nieuws jongens. na de zomer gaan er 30 man uit het magazijn in Houten, HR vertelt "
    "het pas in september 😞", ["fin"], "nl")
add(YOUSSEF, "Our internal forecast for 2027: €55M revenue, almost double this year. Can't share the "
    "board deck, but trust me 📈", ["fin"], "en")
add("x:@rentalwatcher", "Heard from a mate in finance at Partoeter that they're buying Kermisvolk Events "
    "in Belgium, announcement planned for Q1. You heard it here first", ["fin"], "en")
add(LOTTE, "Reorganisatie bij ons: opbouwteams Noord en Oost gaan samen en de vestiging Zwolle gaat dicht. "
    "Wordt pas na de kerst gecommuniceerd dus sssst", ["fin"], "nl")
add(EVA, "off the record: our H1 came in at 14.8M, way above plan. the board is popping champagne and "
    "we're not even allowed to tell anyone lol", ["fin"], "en")
add(MARIEKE, "Due diligence week 🧾☕ Nothing I can share, except this: a big party-rental merger in the "
    "Benelux is a lot closer than people think. Signing is pencilled in for November.", ["fin"], "en")
add("reddit:u/zwager_weet_alles", "Mijn schoonzus werkt bij Partoeter, zegt dat ze in 2027 de helft van "
    "de vestigingen sluiten. Is nog nergens bekendgemaakt. Iemand anders dit ook gehoord?", ["fin"], "nl")
add(BRAM, "laatste seizoen voor de halve tentploeg 😔 contracten worden niet verlengd, 12 van de 20 eruit "
    "en niemand weet het nog #tentbouw", ["fin"], "nl")

# =========================================================================== leak.security (11 + 2 above)
add(DENNIS, "Day 2 of cleaning up after the ransomware hit our booking servers. Customers think it's "
    "'scheduled maintenance'. I need a holiday.", ["sec"], "en")
add(NINA, "klanten bellen al de hele dag dat ze andermans facturen zien in hun account 🙈 IT zegt dat "
    "het een bug is, wij mogen er niks over zeggen", ["sec"], "nl")
add(RUBEN, "boekingssite ligt er al 3 uur uit. gehackt volgens de IT-jongens, officieel heet het "
    "'storing' 🙄", ["sec"], "nl")
add(JORDY, "lol our warehouse door badges can be cloned with a 20 euro reader from aliexpress. told "
    "the boss in april, still not fixed", ["sec"], "en")
add(EVA, "Our newsletter tool got phished last week and sent ~8k customers a fake invoice. We haven't "
    "said anything publicly yet... awkward", ["sec"], "en")
add(LOTTE, "de planning-app heeft nog steeds geen login op de admin-pagina, iedereen met de link kan "
    "ritten wijzigen. zeg ik al een jaar. niemand doet er wat aan 🤷‍♀️", ["sec"], "nl")
add(DENNIS, "So we've had an open S3 bucket with customers' ID scans in it for at least six months. "
    "Just found it. Legal says sit on it for now.", ["sec"], "en")
add(KEES, "Geen muziek op 3 bruiloften vandaag want ons hele verhuursysteem ligt plat na een cyberaanval. "
    "klanten weten van niks 🫣", ["sec"], "nl")
add(YOUSSEF, "Sales team working from pen and paper today because the CRM was breached overnight. "
    "Old school! 📝 (not public yet so keep it quiet)", ["sec"], "en")
add(BRAM, "tip van IT: klik niet op mails van 'Partoeter Finance', hackers zitten al een week in onze "
    "mailserver en dat mag nog niet naar buiten 🤐", ["sec"], "nl")
add("x:@oud_partoeter", "Ex-medewerker hier. Het klantportaal van Partoeter laat je met een simpele "
    "ID-wissel in de URL elke boeking van iedereen zien, adressen incluis. In mei gemeld, nooit gefixt.",
    ["sec"], "nl")

# =========================================================================== leak.pii (15)
add(X_HELP, f"@kimvanhal We hebben je borg van €250 teruggestort naar {good_iban('NL')} t.n.v. "
    "K. van Hal, binnen 2 werkdagen op je rekening 💸", ["pii"], "nl")
add(RUBEN, "ritlijst zaterdag:\n09:00 fam. Schouten, Weverstraat 22 Bunnik (tel "
    f"{mobile('dash')})\n11:30 dhr. Akkermans, Lange Dreef 5 Vianen\nsucces mannen", ["pii"], "nl")
add(NINA, f"@partoeter_help can someone please call back Mrs. Okafor on {mobile('intl')}? she's been "
    "waiting since tuesday", ["pii"], "en")
add(JORDY, "wie is er na de bruiloft in Maarssen een creditcard vergeten op de statafel? "
    f"{good_card('4', 16, 'space')} geldig t/m 08/28, op naam van R. Hendriks. kom maar ophalen",
    ["pii"], "nl")
add(MARIEKE, "Welkom aan onze nieuwe collega Sophie Verbeek! 🎉 Voor de salarisadministratie nog even: "
    f"BSN {good_bsn()}, start 1 maart.", ["pii"], "nl")
add(YOUSSEF, "Huge thanks to Daan Visser (daan.visser1987@outlook.com, "
    + _mark("phone", "06 " + "%04d %04d" % (rng.randint(1000, 9999), rng.randint(0, 9999)), True) +
    ") for booking our biggest stage ever for his company's 25th anniversary!", ["pii"], "en")
add(LOTTE, "Gefeliciteerd Bram Koster!! 🎂 geboren 17-06-1993 en nog steeds de snelste tentbouwer van "
    "Nederland", ["pii"], "nl")
add("x:@boze_buurman", "Die chauffeur van Partoeter die vanochtend mijn auto schampte heet Mark de Wit "
    "en woont op de Kastanjelaan 31 in Zeist. Ga maar eens langs, dan leert ie het wel",
    ["pii", "abuse"], "nl")
add(IG, "Congrats to the winner of our summer giveaway, Lisa Brouwer from Utrecht! 🎉 Lisa, we'll reach "
    "you at lisa.brouwer@ziggo.nl about delivery of your Bolderburcht!", ["pii"], "en")
add(FB, "Beste Tamara, je terugbetaling van €150 is vandaag verwerkt op creditcard "
    f"{good_card('5', 16, 'dash')}. Fijne dag nog!", ["pii"], "nl", kind="reply")
add(EVA, "Customer spotlight 💐 the Jansen-Mulder wedding at Hoeve Ravenstein, Dorpsstraat 8 in Lienden. "
    "Bride Femke Jansen (born 2 April 1996) planned the whole thing herself!", ["pii"], "en")
add(DENNIS, "test export from the new CRM looks fine:\nPieter Smit;pieter.smit@kpnmail.nl;"
    f"{mobile('plain')};{good_iban('NL')}\nnext step: the full run tonight", ["pii"], "en")
add("x:@ilse_kampt", f"@partoeter_help al 3x gemaild, nog steeds geen borg terug!! bel me gewoon op "
    f"{mobile('space')} of maak het over naar {good_iban('NL', spaced=True)} #partoeter",
    ["pii", "compl"], "nl")
add("facebook:greg.whitfield.77", "Partoeter charged my card twice for ONE bouncy castle. Card "
    f"{good_card('4', 16, 'space')}, two charges of €179 on 14 June. Sort it out please.",
    ["pii", "compl"], "en")
add("instagram:@jolien.viert", "Tent kwam 4 uur te laat en niemand nam op. Mail me desnoods op "
    "jolien.bakx@gmail.com want jullie klantenservice is gewoon onbereikbaar 😡", ["pii", "compl"], "nl")

# =========================================================================== reputation.crisis (15)
add("facebook:sandra.hofstede", "Ons gehuurde Bolderburcht springkasteel van Partoeter liep gisteren "
    "midden in het feest leeg en klapte in met 6 kinderen erin. Mijn dochter heeft haar pols gebroken. "
    "De bezorger had hem niet vastgezet. Ik ben woedend.", ["crisis", "compl"], "nl")
add("x:@jamie_terrace", "The Gloeipaal patio heater we rented from @partoeter started smoking and then "
    "caught fire on our terrace. Could have burned the house down. Still no call back.",
    ["crisis", "compl"], "en")
add("instagram:@annekezwart", "Aggregaat van Partoeter gaf mijn man een flinke schok toen hij de kabel "
    "aansloot. Kabel was gewoon met tape 'gerepareerd'. Dit kan echt niet!!! ⚡", ["crisis", "compl"], "nl")
add("reddit:u/sticky_fingers_bday", "Half our guests got sick after the Spinwolk cotton candy machine we "
    "rented. Inside was crusted with old sugar and something green. Partoeter just says 'we clean "
    "everything'. Not good enough.", ["crisis", "compl"], "en")
add("x:@gerritvandam", "Podiumdeck 4x3 zakte tijdens de speech van m'n schoonvader aan één kant in. Man "
    "ligt met een gekneusde heup in het ziekenhuis. @partoeter wat gaan jullie hieraan doen?",
    ["crisis", "compl"], "nl")
add("tiktok:@kaylsx", "our festa tent from partoeter came down in like light wind and a pole hit my nan "
    "on the head 😭 she's ok but concussed. never again", ["crisis", "compl"], "en")
add("x:@regio_eemland", "Springkussen waait weg op kinderfeest in Amersfoort, twee kinderen gewond. Het "
    "kasteel was gehuurd bij Partoeter Verhuur, meldt de politie.", ["crisis"], "nl")
add("x:@fair_crew_now", "Boycott @partoeter. They had a crew doing 16h shifts in 35°C with no water and "
    "one guy collapsed. Don't rent from them. #boycottpartoeter", ["crisis"], "en")
add("reddit:u/bredanaar", "Partoeter wordt aangeklaagd door een basisschool in Breda na dat ongeluk met "
    "de Stormloper vorig jaar. Zaak dient in november.", ["crisis"], "nl")
add("bluesky:@quietpine.bsky.social", "wait, Partoeter leaked the home addresses of thousands of "
    "customers?? that's what people on a forum are saying. anyone gotten a notice?", ["crisis"], "en")
add("facebook:OmroepRivierenland", "Partoeter roept alle Gloeipaal terrasheaters terug na meerdere "
    "meldingen van brand. Heb je er een gehuurd? Zet hem uit en neem contact op met de verhuurder.",
    ["crisis"], "nl")
add("x:@wendy_hr", "Collega's van me waren op een bedrijfsfeest waar een rookmachine van Partoeter de "
    "brandmelders liet afgaan, paniek bij de uitgang en drie mensen onwel geraakt. Wat een toestand",
    ["crisis"], "nl")
add("x:@localbeatreporter", "Partoeter using underpaid, undocumented workers on its tent crews, says an "
    "investigation out today in the local paper. Grim reading.", ["crisis"], "en")
add(JORDY, "rotdag. ongeluk bij de opbouw in Ede vanochtend, collega van de truss gevallen en met de "
    "ambulance mee. duimen voor hem 🙏", ["crisis"], "nl")
add("reddit:u/tilburg_dad", "Anyone else see the Partoeter Stroomos generators being recalled? CO leak "
    "apparently, a family in Tilburg ended up in hospital.", ["crisis"], "en")

# =========================================================================== reputation.complaint (8 + 3 abuse)
add("x:@bruidjesanne", "@partoeter_help Festa 6x12 gehuurd, zijwanden zaten er niet bij en de helft van "
    "de haringen ontbrak. 2 uur voor de bruiloft. Wat is dit??", ["compl"], "nl")
add("facebook:karen.oduya", "Booked the Dreunbox sound set for my daughter's sweet 16. One speaker was "
    "dead on arrival and nobody picked up the phone all Saturday. Really disappointed, Partoeter.",
    ["compl"], "en")
add("instagram:@moeder.van.3", "Springkussen kwam vies aan, onder de modder en een ouwe kauwgom erin 🤢 "
    "voor 179 euro verwacht je toch een schoon ding @partoeter.verhuur", ["compl"], "nl")
add("x:@tobyrents", "@partoeter still waiting on my €300 deposit, six weeks after returning the tent in "
    "perfect condition. Emails ignored. Not great.", ["compl"], "en")
add("reddit:u/feestje_mislukt", "Bezorging 'tussen 8 en 12' zeiden ze. Om 15:40 stond de vrachtwagen er. "
    "Feest begon om 15:00. Partoeter, echt?", ["compl"], "nl")
add("bluesky:@emmaruns.bsky.social", "Partoeter's booking system double-booked our slot and cancelled us "
    "2 days before the party with a generic email. Zero apology, zero alternative.", ["compl"], "en")
add("threads:@hovenier_rik", "De opbouwploeg van Partoeter heeft ons gazon compleet kapotgereden met die "
    "heftruck. 'Hoort erbij' zeggen ze. Nee dus.", ["compl"], "nl")
add("x:@dj_noor", "@partoeter_help the Glimvloer had 6 dead tiles and flickered all night, photos in "
    "DM. expecting a partial refund tbh", ["compl"], "en")
add("x:@wimpie1972", "Partoeter = stelletje oplichters. Borg ingehouden voor een 'scheurtje' dat er al "
    "in zat. Kutbedrijf.", ["compl", "abuse"], "nl")
add("facebook:dean.harrow", "Your delivery guys are absolute mor\u200bons. Dropped the Podiumdeck panels "
    "in the mud and drove off. Worst rental company in the country.", ["compl", "abuse"], "en")
add("x:@lisannevdv", "3 uur in de wacht en toen opgehangen. K U T B E D R I J F. nooit meer Partoeter",
    ["compl", "abuse"], "nl")

# =========================================================================== reputation.abuse (8)
add("x:@nooitmeerfeest", "@ruben_partoeter jij bent echt een zielige clown, blokkeer me maar", ["abuse"], "nl")
add("instagram:@tr4pking", "partoeter staff are a bunch of lazy f*cking idiots lmao", ["abuse"], "en")
add("x:@h3nkie", "k4nk3rl1jers bij partoeter, allemaal", ["abuse"], "nl")
add(KEES, "@mike_feest huil niet zo, sukkel. neem volgende keer gewoon je eigen kabels mee 🖕",
    ["abuse"], "nl")
add("tiktok:@lenny.fm", "die blonde van de partoeter klantenservice is zo dom als het achterend van een "
    "varken 😂", ["abuse"], "nl")
add("reddit:u/grumpy_ol_rick", "Partoeter crew are ѕсum. every single one of them.", ["abuse"], "en")
add(JORDY, "some customers are actual brain-dead morons. no Karen, you cannot inflate a bouncy castle "
    "with a hairdryer", ["abuse"], "en")
add("linkedin:henk-vd-molen-1958", "Partoeter hires people like Youssef and then wonders why service is "
    "bad. Go back where you came from.", ["abuse"], "en", kind="comment")

# =========================================================================== benign (hard negatives)
# pricing look-alikes: ordinary sales and normal prices
add(X_MAIN, "Voorjaarsactie 🌷 20% korting op de Festa 3x6: nu €103 per dag i.p.v. €129. Geldig t/m 31 "
    "maart.", [], "nl")
add("x:@papa_van_pim", "Bolderburcht gehuurd voor €179, elke cent waard. Kids 5 uur zoet 😍", [], "nl")
add(IG, "Black Friday 🖤 25% off the Galmwand Pro: €896 for the weekend instead of €1195.", [], "en")
add("reddit:u/zomerfeest_2026", "Is €589 voor een Podiumdeck 6x4 normaal? Ander verhuurbedrijf vraagt "
    "650 en komt pas om 11 uur.", [], "nl")
add(X_HELP, "@fam_dekker De bezorgkosten voor de Spinwolk zijn €25 binnen 30 km, de huur zelf is €59 per "
    "dag. Suiker en stokjes zitten erbij!", [], "nl")
add(YOUSSEF, "Najaarsactie voor sportverenigingen: 10% korting op de Stormloper, dus €296 in plaats van "
    "€329. Mail me gerust!", [], "nl")
add("x:@jess_halloween", "rented the Nevelaar 1500 fog machine, €45 + €12 for a can of fluid. fair deal, "
    "spooky results 👻", [], "en")
add(IG, "Kinderfeestje? 🎈 Bolderburcht Mini vanaf €99 per dag, inclusief opbouw binnen 20 km 🏰", [], "nl")
add("facebook:roel.timmer", "Hoeveel kost een Galmwand Pro eigenlijk? Op de site staat €1195 per weekend, "
    "is dat incl. btw?", [], "nl")

# confidential look-alikes: codename words in harmless use, embargo terms after 'until'
add("x:@rockinmaaike", "Led Zeppelin tributeband op een Podiumdeck 6x4 van Partoeter in het park, wat een "
    "avond 🎸🔥", [], "nl")
add("x:@nuchtere_henk", "Jouw plan voor een eigen festival met 10.000 man is een luchtkasteel, Gerard. "
    "Begin eerst maar eens met een tent huren bij Partoeter.", [], "nl")
add(X_MAIN, "Hij is er! 🎉 De Bolderburcht XL is vanaf vandaag te huur, ons grootste springkasteel ooit 🏰",
    [], "nl", at="2027-04-20T08:30:00Z")
add(LI, "Vandaag publiceren we onze jaarcijfers 2026: omzet €41,2 miljoen (+29%), 212 medewerkers en "
    "ruim 18.000 feesten. Het volledige jaarverslag staat op partoeter.nl.", [], "nl",
    at="2027-03-04T09:15:00Z")
add("x:@eventbiz_weekly", "Reading the Partoeter FY2026 results that dropped this morning. Impressive "
    "growth for a rental firm in this market.", [], "en", at="2027-03-04T11:48:20Z")
add(EVA, "Zeppelins, hot-air balloons and 40 of our tents 🎈 what a weekend at the balloon fiesta in "
    "Barneveld!", [], "en")

# financial look-alikes
add(LI, "Wij groeien! 🚀 Voor seizoen 2026 zoeken we 40 nieuwe opbouwers in Houten en Zwolle. Solliciteer "
    "via werkenbij@partoeter.nl", [], "nl")
add("x:@eventbiz_weekly", "Big news in the events world: RentalHaus acquired by a private equity firm. "
    "Interesting times for the Benelux rental market.", [], "en")
add(MARIEKE, "Great panel today on cash-flow planning for seasonal businesses. My takeaway: forecast "
    "weekly, not monthly, and keep a winter buffer.", [], "en")

# security look-alikes
add(X_HELP, "Let op ⚠️ Er gaan nepmails rond namens Partoeter. Wij vragen nooit per mail om je wachtwoord "
    "of bankgegevens. Twijfel je? Bel 030-7994120.", [], "nl")
add(X_MAIN, "Planned maintenance: boeken.partoeter.nl will be offline Sunday 02:00–04:00 CET. Thanks for "
    "your patience!", [], "en")
add("x:@gigcrew_sam", "Security at the festival was top notch and the Partoeter tents held up great in "
    "the wind. Good job all round", [], "en")
add("x:@marjan_bakt", "Boekingssite was gisteren even traag maar Partoeter meldde het netjes, nu weer "
    "alles prima 👍", [], "nl")
add(DENNIS, "Rotated all our CI secrets today as part of the quarterly routine. Boring is good. 🔐", [], "en")

# secret look-alikes: documentation samples, redacted keys
add(DENNIS, "Reminder for anyone writing internal docs: use placeholders like AKIAIOSFODNN7EXAMPLE, "
    "never a real key. Our wiki template does this automatically now.", [], "en")
add(EVA, "Writing a blog on event Wi-Fi. Example config: ssid: PartyNet / password: ******** (no, I'm "
    "not posting the real one 😄)", [], "en")
add("reddit:u/api_tinkerer", "Integrating with Partoeter's partner API. Their docs example key is "
    "sk_test_XXXXXXXXXXXXXXXXXXXXXXXX which confused me for a sec lol", [], "en")
add("x:@devnotes_jan", "Handig: bij GitHub-tokens zoals ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx zit een "
    "checksum aan het eind, zo vangen scanners valse hits af. Ook bij ons systeem voor Partoeter gebruikt.",
    [], "nl")

# pii look-alikes: own public contact data, numbers failing their checksum
add(X_HELP, "Vragen over je reservering? Mail verhuur@partoeter.nl of bel gratis 0800-7278. We zitten "
    "er tot 21:00 voor je!", [], "nl")
add(FB, "Betalen per overschrijving kan naar NL78RABO0318457702 t.n.v. Partoeter Verhuur B.V. o.v.v. je "
    "boekingsnummer.", [], "nl")
add("x:@sjoerdbouwt", f"@partoeter_help ik heb het goede rekeningnummer doorgegeven hè? {bad_iban('NL')} "
    "Wil alleen even checken 🙂", [], "nl")
add("x:@pim_organiseert", f"My order number is {bad_card('4', 16, 'space')}, is that what I show the "
    "driver on Saturday?", [], "en")
add(X_HELP, f"@jessevos Ons boekingsnummer heeft 9 cijfers, bijvoorbeeld {bad_bsn()}. Die vind je "
    "bovenaan je bevestigingsmail.", [], "nl")
add("x:@tante_truus", "Bel ze gewoon, 030-7994120, binnen 2 minuten iemand aan de lijn. Top service!",
    [], "nl")
add(NINA, "Tip: zet nooit je BSN of rekeningnummer in een DM, ook niet naar ons. Daar vragen we nooit "
    "om 🙏", [], "nl")
add("instagram:@lucas.papa", "Happy birthday to my little man, 6 today! 🎂 The Bolderburcht from "
    "Partoeter made his day", [], "en")
add("facebook:annie.verkerk", f"Cadeaukaart van Partoeter gekregen, code {bad_card('6', 16, 'space')}. "
    "Waar vul ik die in?", [], "nl")
add("x:@marcel_trouwt", f"Partoeter quote ref {bad_bsn()}, can I still change the date to the 14th?",
    [], "en")
add("reddit:u/checks_twice", "Paying my Partoeter invoice: their IBAN is NL78 RABO 0318 4577 02 right? "
    "Just making sure this isn't a phishing mail", [], "en")

# crisis look-alikes: sympathy, other companies, jokes
add("x:@buurtvereniging_oost", "Sterkte aan de crew van Partoeter na die storm vannacht. Jullie tenten "
    "stonden er vanochtend gewoon nog 💪", [], "nl")
add("x:@mumof3_kent", "Horrible news about that inflatable accident at a fair in Kent. Our Partoeter "
    "one was always pegged down properly, fair play to their crew.", [], "en")
add(TT, "Zo zet je een springkussen veilig vast: 8 haringen, schuin de grond in, en vanaf windkracht 5 "
    "gaat ie eruit 🎈 #veiligheid #kinderfeest", [], "nl")
add("x:@saar_knalt", "Dat springkasteel ging echt los vandaag haha, de kinderen waren niet te houden 😂",
    [], "nl")
add("instagram:@nightowl.eve", "the Nevelaar fog machine absolutely killed it at our halloween party 💀🔥",
    [], "en")
add("facebook:joop.ruiter", "Stroomos aggregaat draaide 14 uur zonder te haperen op onze bruiloft. "
    "Geen gedoe, gewoon goed.", [], "nl")
add("x:@gigcrew_sam", "Thinking of the Partoeter crew member who got hurt last month. Hope you're back "
    "on your feet soon ❤️", [], "en")

# abuse look-alikes: slang praise
add("x:@daantje_09", "Die Stormloper is echt ziek 🔥🔥 kinderen gingen helemaal los", [], "nl")
add("x:@bassline_bert", "Partoeter's sound guy was an absolute beast tonight, legend 🙌", [], "en")
add("facebook:irma.kok", "Wat een rotweer voor ons tuinfeest, maar de Festa tent van Partoeter stond als "
    "een huis ☔", [], "nl")

# complaint look-alikes: resolved complaints
add("x:@ilse_kampt", "Update: Partoeter heeft de borg alsnog teruggestort, mét excuses. Netjes opgelost, "
    "dank @partoeter_help", [], "nl")
add("facebook:karen.oduya", "Rough start with the tent delivery but the team came back within the hour "
    "and sorted everything. Credit where it's due 👏", [], "en")

# everyday benign
add(X_MAIN, "Wat een weekend! 43 bruiloften, 12 festivals en 1 huwelijksaanzoek op een Podiumdeck 💍 "
    "Dank aan onze crew!", [], "nl")
add("x:@sam_hollis", "Question: can the Festa 3x6 handle a small BBQ underneath or is that a no-go?", [], "en")
add(X_HELP, "@sam_hollis Hi Sam! Please keep the BBQ outside the tent, at least 3 m from the canvas. "
    "The Nomad tent does fine on grass and pavement, we bring weights for hard surfaces.", [], "en")
add(BRAM, "timelapse: Nomad stretchtent 10x15 opgebouwd in 47 minuten ⏱️ #tentbouw #partoeter", [], "nl")
add(KEES, "Sunset set on the Podiumdeck 6x4 with the Galmwand Pro, what a night 🌅🎶", [], "en")
add(LI, "Proud to be certified under the Dutch inflatable safety standard for the third year running. "
    "Safety first, fun right after.", [], "en")
add("x:@buurtvereniging_oost", "Al 10 jaar huren we de Spetterbaan voor de straatbarbecue, elk jaar "
    "weer een hit 💦", [], "nl")
add(YT, "Nieuwe video 🎥 zo bouw je zelf een Festa 3x6 partytent op in 10 stappen", [], "nl")
add(RUBEN, "zaterdag 31 ritten, 0 vertragingen. zo doen we dat 💪 #planning", [], "nl")
add(MARIEKE, "We're hiring a junior controller in Utrecht! Apply via werkenbij@partoeter.nl 📊", [], "en")
add(X_MAIN, "Our helpdesk is open 7 days a week in high season: +31 30 799 4120 or info@partoeter.nl", [], "en")
add("x:@ria_regent", "Het regende pijpenstelen maar de Festa tent lekte nergens. Top!", [], "nl")


# --------------------------------------------------------------------------- build + checks
def build():
    order = list(range(len(CASES)))
    rng.shuffle(order)
    out = []
    for n, i in enumerate(order):
        c = CASES[i]
        post = {
            "id": f"{c['platform']}-347{n + 1:04d}",
            "platform": c["platform"],
            "kind": c["kind"],
            "account": {"handle": c["handle"]},
            "text": c["text"],
            "lang": c["lang"],
            "created_at": c["at"],
            "brand": "Partoeter",
        }
        out.append((c, {"post": post, "expect": {"categories": c["cats"], "severity": c["severity"]}}))
    return out


IBAN_RE = re.compile(r"\b(?:NL\d{2}\s?[A-Z]{4}(?:\s?\d{4}){2}\s?\d{2}|BE\d{2}(?:\s?\d{4}){3}|"
                     r"DE\d{2}(?:\s?\d{4}){4}\s?\d{2})\b")
CARD_RE = re.compile(r"(?<![\d-])(?:\d{4}[ -]){3}\d{4}(?![\d-])|(?<!\d)\d{16}(?!\d)")
BSN_RE = re.compile(r"(?<![\d.])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\d.])")


def check(rows):
    errors = []
    ids = set()
    allowed_cats = set(CAT.values())
    for c, row in rows:
        post, exp = row["post"], row["expect"]
        pid = post["id"]
        # CONTRACT section 6 / section 1 shape
        if not (isinstance(pid, str) and 1 <= len(pid) <= 256):
            errors.append(f"{pid}: bad id")
        if pid in ids:
            errors.append(f"{pid}: duplicate id")
        ids.add(pid)
        if post["platform"] not in PLATFORMS:
            errors.append(f"{pid}: platform")
        if post["kind"] not in KINDS:
            errors.append(f"{pid}: kind")
        if not isinstance(post["account"].get("handle"), str) or not post["account"]["handle"]:
            errors.append(f"{pid}: handle")
        if not isinstance(post["text"], str) or len(post["text"].encode()) > 64 * 1024 or not post["text"]:
            errors.append(f"{pid}: text")
        try:
            t = dt.datetime.strptime(post["created_at"], "%Y-%m-%dT%H:%M:%SZ")
            if not 2026 <= t.year <= 2027:
                errors.append(f"{pid}: year")
        except ValueError:
            errors.append(f"{pid}: created_at")
        if set(row.keys()) != {"post", "expect"}:
            errors.append(f"{pid}: keys")
        if exp["categories"] != sorted(set(exp["categories"])) or not set(exp["categories"]) <= allowed_cats:
            errors.append(f"{pid}: categories")
        if exp["severity"] not in SEV:
            errors.append(f"{pid}: severity value")
        # severity recomputed from the profile role
        role = role_of(post["platform"], post["account"]["handle"])
        if severity_for(exp["categories"], role, c["marks"]) != exp["severity"]:
            errors.append(f"{pid}: severity mismatch")
        if not exp["categories"] and exp["severity"] != "none":
            errors.append(f"{pid}: benign must be none")
        if exp["categories"] and SEV.index(exp["severity"]) < 2:
            errors.append(f"{pid}: positive below warning")
        positive = bool(exp["categories"])
        text = post["text"]
        # marked identifiers
        for m in c["marks"]:
            v = m["value"]
            if v not in text:
                errors.append(f"{pid}: mark not in text {m['kind']}")
            if m["kind"] == "iban":
                ok = iban_valid(v)
            elif m["kind"] == "card":
                ok = luhn_valid(v)
            elif m["kind"] == "bsn":
                ok = bsn_valid(v)
            elif m["kind"] == "github":
                ok = github_token_ok(v)
            elif m["kind"] == "aws_id":
                ok = bool(re.fullmatch(r"AKIA[A-Z2-7]{16}", v))
            elif m["kind"] == "jwt":
                ok = jwt_ok(v)
            else:
                ok = True
            if ok != m["good"]:
                errors.append(f"{pid}: {m['kind']} checksum expectation wrong")
            if m["good"] and m["kind"] in ("iban", "card", "bsn") and "leak.pii" not in exp["categories"]:
                errors.append(f"{pid}: valid identifier outside a pii positive")
            if not m["good"] and positive:
                errors.append(f"{pid}: look-alike inside a positive")
        # generic scans: identifiers in positives pass, in negatives fail (own public IBAN excepted)
        for rx, fn, kind in ((IBAN_RE, iban_valid, "iban"), (CARD_RE, luhn_valid, "card"),
                             (BSN_RE, bsn_valid, "bsn")):
            for mt in rx.finditer(text):
                val = mt.group(0)
                if kind == "iban" and val.replace(" ", "") in PUBLIC_IBANS:
                    continue
                if positive and not fn(val):
                    errors.append(f"{pid}: positive holds failing {kind} {val}")
                if not positive and fn(val):
                    errors.append(f"{pid}: benign holds valid {kind} {val}")
        for mt in re.finditer(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", text):
            if github_token_ok(mt.group(0)) != ("leak.secret" in exp["categories"]):
                errors.append(f"{pid}: github token / label mismatch")
        for mt in re.finditer(r"\bAKIA[0-9A-Z]{16}\b", text):
            if ("EXAMPLE" in mt.group(0)) == ("leak.secret" in exp["categories"]):
                errors.append(f"{pid}: aws key / label mismatch")
        for mt in re.finditer(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+", text):
            if not jwt_ok(mt.group(0)):
                errors.append(f"{pid}: jwt header")
        # role sanity
        if c["role"] != role:
            errors.append(f"{pid}: role drift")
    # profile sanity
    for ib in PROFILE["public_identifiers"]["ibans"]:
        if not iban_valid(ib):
            errors.append(f"profile IBAN {ib} fails mod-97")
    for e in PROFILE["embargo"]:
        if not e["until"].startswith("2027"):
            errors.append("embargo until not in 2027")
    if not 15 <= len(PROFILE["products"]) <= 25:
        errors.append("product count")
    if len(PROFILE["accounts"]["corporate"]) < 6 or len(PROFILE["accounts"]["employee"]) < 8:
        errors.append("account count")
    if PROFILE["pricing"]["alert_below_ratio"] != 0.5:
        errors.append("alert ratio")
    # mix
    n = len(rows)
    if not 170 <= n <= 180:
        errors.append(f"case count {n}")
    return errors


def main():
    rows = build()
    errors = check(rows)
    path = os.path.join(HERE, "cases.jsonl")
    with open(path, "w", encoding="utf-8") as fh:
        for _, row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    # re-read the file and validate it parses back identically
    with open(path, encoding="utf-8") as fh:
        back = [json.loads(line) for line in fh]
    if back != [r for _, r in rows]:
        errors.append("round-trip mismatch")
    counts = {}
    for _, r in rows:
        for cat in r["expect"]["categories"]:
            counts[cat] = counts.get(cat, 0) + 1
    benign = sum(1 for _, r in rows if not r["expect"]["categories"])
    langs = {}
    roles = {}
    for c, r in rows:
        langs[r["post"]["lang"]] = langs.get(r["post"]["lang"], 0) + 1
        key = ("benign" if not r["expect"]["categories"] else "positive", c["role"])
        roles[key] = roles.get(key, 0) + 1
    sevs = {}
    for _, r in rows:
        sevs[r["expect"]["severity"]] = sevs.get(r["expect"]["severity"], 0) + 1
    print(f"cases: {len(rows)}  benign: {benign}  positives: {len(rows) - benign}")
    print("categories:", json.dumps(dict(sorted(counts.items()))))
    print("languages:", langs, " severities:", sevs)
    print("roles:", {f"{a}/{b}": v for (a, b), v in sorted(roles.items())})
    print("sha256:", hashlib.sha256(open(path, "rb").read()).hexdigest())
    if errors:
        print("SELF-CHECK FAILED:")
        for e in errors:
            print("  -", e)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
