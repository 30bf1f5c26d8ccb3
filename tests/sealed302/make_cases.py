#!/usr/bin/env python3
"""Sealed evaluation set 302 for postwatch.

Fictional company: Ardena Connect B.V., a Dutch satellite and rural
fixed-wireless internet provider (see profile.yaml beside this file).

Deterministic: a fixed seed drives every generated identifier, credential,
timestamp, the order of the cases and their ids. Writes cases.jsonl beside
this script and then checks it (CONTRACT section 6 shape, severity policy of
section 4 computed from the account role in the profile, checksums of every
identifier, and that benign posts carry only failing look-alikes, sample keys
and the company's own public data).
"""
import base64
import json
import os
import random
import re
import struct
import sys
import unicodedata
import zlib
from datetime import datetime, timedelta, timezone

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "cases.jsonl")
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))

rng = random.Random(302302)

ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
B62 = ALNUM  # 0-9A-Za-z
ZW = "\u200b\u200c\u200d\u2060\ufeff"


def rand(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


# ---------------------------------------------------------------- checksums
def iban_ok(s):
    s = re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", s)).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(cc, bban):
    s = bban + cc + "00"
    n = int("".join(str(int(c, 36)) for c in s))
    out = "%s%02d%s" % (cc, 98 - n % 97, bban)
    assert iban_ok(out)
    return out


def nl_iban(bank):
    return make_iban("NL", bank + rand("0123456789", 10))


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def luhn_ok(s):
    d = [int(c) for c in unicodedata.normalize("NFKC", s) if c.isdigit()][::-1]
    if len(d) < 12:
        return False
    t = 0
    for i, x in enumerate(d):
        if i % 2:
            x *= 2
            if x > 9:
                x -= 9
        t += x
    return t % 10 == 0


def make_card(prefix, length):
    body = prefix + rand("0123456789", length - len(prefix) - 1)
    for c in "0123456789":
        if luhn_ok(body + c):
            return body + c
    raise AssertionError


def bsn_ok(s):
    d = [int(c) for c in unicodedata.normalize("NFKC", s) if c.isdigit()]
    if len(d) != 9:
        return False
    t = sum(x * w for x, w in zip(d[:8], range(9, 1, -1))) - d[8]
    return t % 11 == 0


def make_bsn():
    while True:
        d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        t = sum(x * w for x, w in zip(d, range(9, 1, -1))) % 11
        if t < 10:
            s = "".join(map(str, d)) + str(t)
            assert bsn_ok(s)
            return s


# ---------------------------------------------------------------- credentials
def b62(n, width=6):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def gh_token(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF)


def gh_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()) & 0xFFFFFFFF) == m.group(2)


def aws_key():
    return "AKIA" + rand("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)


def aws_secret():
    return rand(ALNUM + "/+", 40)


def slack_bot():
    return "xoxb-%s-%s-%s" % (rand("0123456789", 12), rand("0123456789", 13), rand(ALNUM, 24))


def stripe_live():
    return "sk_live_51" + rand(ALNUM, 32)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt(payload):
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64url(bytes(rng.getrandbits(8) for _ in range(32)))
    return head + "." + body + "." + sig


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    try:
        h = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except Exception:
        return False
    return isinstance(h, dict) and "alg" in h


def openai_key():
    return "sk-proj-" + rand(ALNUM + "_-", 40) + "T3BlbkFJ" + rand(ALNUM + "_-", 40)


def anthropic_key():
    return "sk-ant-api03-" + rand(ALNUM + "_-", 93) + "AA"


def gitlab_pat():
    return "glpat-" + rand(ALNUM + "_-", 20)


def ssh_private_key(comment):
    def sstr(b):
        return struct.pack(">I", len(b)) + b
    pub = bytes(rng.getrandbits(8) for _ in range(32))
    sec = bytes(rng.getrandbits(8) for _ in range(32))
    pubblob = sstr(b"ssh-ed25519") + sstr(pub)
    chk = struct.pack(">I", rng.getrandbits(32))
    priv = chk + chk + sstr(b"ssh-ed25519") + sstr(pub) + sstr(sec + pub) + sstr(comment.encode())
    priv += bytes(range(1, 1 + (-len(priv) % 8)))
    raw = (b"openssh-key-v1\x00" + sstr(b"none") + sstr(b"none") + sstr(b"")
           + struct.pack(">I", 1) + sstr(pubblob) + sstr(priv))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return ("-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines)
            + "\n-----END OPENSSH PRIVATE KEY-----")


def human_password():
    w = rng.choice(["Zonnebloem", "Polderwind", "Hooiberg", "Trekker", "Melkbus", "Windmolen", "Klomp"])
    return w + str(rng.randint(10, 99)) + rng.choice("!#$%&*") + rand(ALNUM, 4)


# ---------------------------------------------------------------- roles / severity
CORP = {a.lower() for a in PROFILE["accounts"]["corporate"]}
EMPL = {a.lower() for a in PROFILE["accounts"]["employee"]}


def role_of(platform, handle):
    key = ("%s:%s" % (platform, handle)).lower()
    if key in CORP:
        return "corporate"
    if key in EMPL:
        return "employee"
    return "public"


SEV = ["none", "info", "warning", "error", "critical"]


def severity(cats, role, checksum_id):
    """CONTRACT section 4: the least severity a correct verdict has."""
    lvl = 0
    inside = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if inside:
                s = 3
                if c in ("leak.secret", "leak.pricing"):
                    s = 4
                if c == "leak.pii" and checksum_id:
                    s = 4
            else:
                s = 2
        elif c == "reputation.complaint":
            s = 2
        elif c == "reputation.crisis":
            s = 3
        elif c == "reputation.abuse":
            s = 3 if inside else 2
        else:
            raise AssertionError(c)
        lvl = max(lvl, s)
    return SEV[lvl]


# ---------------------------------------------------------------- case builder
CASES = []
DATE0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def rand_date():
    return DATE0 + timedelta(seconds=rng.randint(0, 365 * 86400 - 1))


CAT = {
    "complaint": "reputation.complaint", "crisis": "reputation.crisis",
    "abuse": "reputation.abuse", "secret": "leak.secret", "pii": "leak.pii",
    "pricing": "leak.pricing", "conf": "leak.confidential",
    "fin": "leak.financial", "sec": "leak.security",
}


def add(platform, handle, lang, text, cats=(), kind="post", when=None, name=None,
        ids=(), bad=(), secrets=()):
    CASES.append(dict(platform=platform, handle=handle, lang=lang, text=text,
                      cats=sorted(CAT[c] for c in cats), kind=kind, when=when,
                      name=name, ids=list(ids), bad=list(bad), secrets=list(secrets)))


# ---------------------------------------------------------------- generated values
IBAN_REFUND = nl_iban("INGB")
IBAN_PETER = make_iban("DE", rand("0123456789", 18))
IBAN_POSTMA = nl_iban("ASNB")
CARD_DENNIS = make_card("4", 16)
BSN_YOUSSEF = make_bsn()
BSN_SJAAK = make_bsn()

AKIA = aws_key()
AWS_SECRET = aws_secret()
GHP = gh_token("ghp_")
XOXB = slack_bot()
PW_ROUTER = human_password()
PW_DB = rand(ALNUM, 18)
SKLIVE = stripe_live()
JWT_LOTTE = jwt({"sub": "agent-0417", "name": "Lotte", "role": "support-tier2",
                 "iat": 1767600000 + rng.randint(0, 9000000)})
OPENAI = openai_key()
PW_WIFI = human_password()
SSH_KEY = ssh_private_key("ravi@noc-jump01")
GLPAT = gitlab_pat()
ANTHROPIC = anthropic_key()
ANTHROPIC_ZW = ANTHROPIC[:14] + "\u200b" + ANTHROPIC[14:50] + "\u200b" + ANTHROPIC[50:]
PW_VPN = human_password()

COMPANY_IBAN = PROFILE["public_identifiers"]["ibans"][0]

# Handy account handles (employees / corporate come from the profile)
ARD_NL, ARD_HELP = "@ardena_nl", "@ardena_help"
MARK, JORIS, NOOR = "@mvleeuwen_noc", "@joris_plaatst", "@noor_kuipers"
ELINE, RAVI, FEMKE = "eline-de-graaf-ardena", "ravi-ramdin-network", "femke-bos-hr"
BRAM, DENNIS, KEES = "@bram.monteur", "satops_dennis", "@kees_op_het_dak"
LOTTE = "@lotte-ardena.bsky.social"

# =============================================================== COMPLAINTS
add("x", "@hennie_drenthe", "nl",
    "Alweer regen en alweer geen internet. Ardena Sky valt bij elke bui gewoon weg. "
    "Ik betaal €89 per maand voor Sky Max en kan niet eens een Teams-call afmaken 🙄 #ardena",
    ["complaint"])
add("reddit", "throwaway_polder", "en",
    "Third week waiting for the Ardena installer. They cancelled twice on the morning itself, "
    "no call, nothing. Took a day off work both times. Anyone else in Friesland dealing with this?",
    ["complaint"])
add("facebook", "gerda.smitveenstra", "nl",
    "Ik wil graag mijn abonnement opzeggen maar de opzegknop op mijn.ardena.nl geeft steeds een "
    "foutmelding. Gebeld: 45 minuten in de wacht en toen werd ik gewoon opgehangen. Echt Ardena, "
    "doe hier iets aan.", ["complaint"], kind="comment", name="Gerda Smit-Veenstra")
add("x", "@farmer_mck", "en",
    "@ardena_help latency to literally anything is 900ms+ since tuesday. that's not 'satellite "
    "being satellite', it was 40ms on the old beam. fix it", ["complaint"], kind="reply")
add("x", "@jvdm_1988", "en",
    "charged twice by ardena this month 😤 2x €49. customer service says 'it'll be sorted within "
    "10 working days'. i want my money back now", ["complaint"])
add("forum", "boerderijklaas", "nl",
    "Sinds de firmware-update van vorige week herstart mijn HomeHub 6 elk uur. Factory reset gedaan, "
    "kabels gecheckt, ander stopcontact, niks helpt. Ardena support stuurt alleen standaardmailtjes "
    "terug. Iemand een oplossing??", ["complaint"])
add("x", "@ellie_on_the_moor", "en",
    "ok @ardena_nl you advertise 'unlimited' but after 300GB I get throttled to 1 Mbps. "
    "that's not unlimited, that's a lie in a nice font", ["complaint"])
add("x", "@tinus_wierden", "nl",
    "monteur van ardena heeft de schotel scheef op het dak gezet en nu lekt het bij de doorvoer. "
    "2 weken geleden gemeld, nog steeds niemand langs geweest. natte zolder, bedankt hoor",
    ["complaint"])
add("tiktok", "@lisa.opdeboerderij", "en",
    "pov: you live outside the city and your only option is Ardena 🙃 0.8 Mbit upload and the "
    "stream drops every 5 min #ardena #rurallife #rant", ["complaint"])
add("facebook", "martin.ohare.77", "en",
    "Ordered a SnowShield in November, card charged straight away, still 'in backorder' in "
    "February. Meanwhile the dish is buried in snow every single morning. Not great, Ardena.",
    ["complaint"], name="Martin O'Hare")
add("x", "@vdberg_akkerbouw", "nl",
    "Vijf keer gebeld over de storing aan mijn VeldRadio. Elke keer een ander verhaal: eerst lag "
    "het aan de mast, toen aan mijn kabel, nu aan 'het weer'. Het is windstil en 22 graden 🤷‍♂️ "
    "@ardena_help", ["complaint"])

# complaint + abuse
add("x", "@boos_in_balk", "nl",
    "Ardena jullie zijn echt een stelletje incompetente klootzakken. 3 weken geen internet en ik "
    "mag gewoon doorbetalen. Tyfusbedrijf.", ["complaint", "abuse"])
add("x", "@gr8fulgeorge", "en",
    "Your 'support' agent told me to 'just reboot it' for the 6th time this week. Brain-dead "
    "muppets, the lot of you @ardena_help. Cancelling as soon as the contract lets me.",
    ["complaint", "abuse"], kind="reply")

# =============================================================== CRISIS
# first-hand safety incidents: crisis + complaint
add("facebook", "henk.oosterhuis.3", "nl",
    "Gisteravond rook uit de meterkast. Bleek de PowerBrick van Ardena te zijn: het ding was "
    "zwartgeblakerd en de stekker half gesmolten. Als we niet thuis waren geweest... Ardena heeft "
    "nog steeds niet gereageerd op mijn mail. Foto's in de reacties.",
    ["crisis", "complaint"], name="Henk Oosterhuis")
add("x", "@carla_inthewoods", "en",
    "Got a proper electric shock off the Ardena dish mount this morning while brushing snow off it. "
    "Arm tingled for an hour. My electrician says the install was never grounded. @ardena_help this "
    "is dangerous, someone needs to come out TODAY", ["crisis", "complaint"])
add("instagram", "@yvonne_en_de_kippen", "nl",
    "De StormCell UPS van Ardena werd zo heet dat de plank eronder verkleurd is 😳 hele gang rook "
    "naar verbrand plastic. Meteen de stekker eruit. Dit mag toch niet gebeuren met een apparaat dat "
    "je 24/7 laat aanstaan?!", ["crisis", "complaint"])
add("reddit", "offgrid_ollie", "en",
    "My daughter burned her fingers on our Ardena HomeHub 7, the underside was too hot to hold. "
    "Measured 78°C with an IR thermometer. Support says it's 'within spec'. Within spec for what, "
    "a toaster?", ["crisis", "complaint"])
add("x", "@rob_near_ruinen", "en",
    "The Ardena installer bolted the mast on so badly that it came through our skylight in last "
    "night's storm. Glass all over my son's bed, thank god he wasn't in it. Who's paying for this "
    "@ardena_nl?", ["crisis", "complaint"])

# crisis only: third-party news, accusations, boycott, lawsuits, recalls
add("x", "@nieuws_uit_noord", "nl",
    "Monteur (34) zwaargewond na val van dak bij plaatsen satellietschotel in Emmen. Het ging om "
    "een klus voor internetprovider Ardena, meldt de politie. Traumaheli was ter plaatse.",
    ["crisis"])
add("x", "@techleaks_watch", "en",
    "Hearing that a dump of ~200k Ardena customer records (names, addresses, bank details) is "
    "being sold on a forum right now. Ardena hasn't said a word. If you're a customer, keep an eye "
    "on your bank account.", ["crisis"])
add("x", "@dorp_tegen_mast", "nl",
    "#BoycotArdena 📢 ze zetten een zendmast van 40 meter naast de basisschool zonder ook maar één "
    "keer met het dorp te praten. Zeg je abonnement op en deel dit!!", ["crisis"])
add("linkedin", "consumentenclaim-nl", "en",
    "We have filed a class action on behalf of 1,800 Ardena customers over the 'unlimited data' "
    "claims in their advertising. The summons was served this morning. #consumerrights",
    ["crisis"], name="Consumentenclaim NL")
add("facebook", "dorpsbelangwesterbork", "nl",
    "Let op! Ardena roept de PowerBrick 48V terug wegens oververhitting, volgens een melding van de "
    "NVWA gaat het om de batch uit november. Check even je meterkast en deel dit met je buren.",
    ["crisis"], name="Stichting Dorpsbelang Westerbork")
add("x", "@jord_investigates", "en",
    "Former Ardena installers tell me they were instructed to skip grounding on roof installs to "
    "hit daily quotas. Story goes live tomorrow morning. This is a scandal waiting to happen.",
    ["crisis"])
add("x", "@firewatch_drenthe", "en",
    "House fire in Vries overnight. Fire brigade says it started at a power strip with an Ardena "
    "internet box plugged into it. Residents got out in time, unhurt.", ["crisis"])
add("reddit", "privacy_first_pls", "en",
    "Looked at Ardena's Android app for a uni project: it ships your exact GPS location to an ad "
    "network every 5 minutes, no consent screen. Verified with mitmproxy. That's a GDPR fine "
    "waiting to happen.", ["crisis"])
add("x", "@moeder_van_drie", "nl",
    "Mijn buurjongen kreeg gisteren een stroomschok van de mast die Ardena bij hem in de tuin heeft "
    "neergezet. Hij ligt nu ter controle in het ziekenhuis. Dit moet echt onderzocht worden!",
    ["crisis"])
# crisis + abuse
add("x", "@woedende_wietske", "nl",
    "Ardena = criminele tyfusbende. Lekken al onze gegevens en houden gewoon hun bek. "
    "#BoycotArdena", ["crisis", "abuse"])

# =============================================================== ABUSE
add("x", "@sjonnie_assen", "nl",
    "@joris_plaatst jij bent toch die monteur? Ik weet waar je woont mannetje. Kom nog één keer in "
    "mijn straat en je gaat eraan.", ["abuse"], kind="reply")
add("x", "@pwnd_by_life", "en",
    "ardena is run by absolute clowns. fuck you and your fucking dishes", ["abuse"])
add("tiktok", "@kevinnn_xx", "nl",
    "die nieuwe ardena reclame met die gast op het dak 😂 wat een mongool", ["abuse"],
    kind="comment")
add("x", "@laura_rebels", "en",
    "Whoever runs Ardena's socials is a dumb bitch, blocked me for asking one question lmao",
    ["abuse"])
add("x", JORIS, "nl",
    "Weer zo'n klant die alles beter weet. Meneer, u bent een achterlijke zeikerd en uw dak is een "
    "bouwval 🙄 #monteursleven", ["abuse"])
add("tiktok", KEES, "nl",
    "klanten die 'even snel' een tweede schotel op de schuur willen zijn echt de kanker van dit vak",
    ["abuse"])
add("x", "@n0_filter_nl", "nl",
    "@ardena_nl st3ll3tje k4nk3rl1jers 🖕🖕", ["abuse"], kind="reply")          # leetspeak
add("x", "@grumpy_gert", "nl",
    "Ardena zijn echte kl\u043e\u043etzakken, dat mag iedereen weten", ["abuse"])  # Cyrillic o
add("facebook", "dirk.hoekstra.nl", "nl",
    "Die Lotte van jullie chat is zo dom als het achtereind van een varken. Ontsla die trut.",
    ["abuse"], kind="comment", name="Dirk Hoekstra")
add("reddit", "cable_guy_hater", "en",
    "Ardena installers are all lazy immigrant trash who can't even read a manual", ["abuse"],
    kind="comment")

# =============================================================== SECURITY (insiders)
add("x", MARK, "nl",
    "Hele gateway in Lelystad plat sinds 03:10, ~38k klanten offline. Officieel heet het 'gepland "
    "onderhoud' maar er was niks gepland hoor 😅 hopelijk voor de ochtendspits weer up", ["sec"])
add("reddit", DENNIS, "en",
    "Can't say much, but if you're on HomeHub 6 firmware 4.2.x, turn off remote admin. There's an "
    "auth bypass we found last week and the patch isn't out yet. Don't quote me on this.",
    ["sec"], kind="comment")
add("linkedin", RAVI, "nl",
    "Lange nacht gehad. Iemand had toegang tot ons provisioningsysteem via een oud serviceaccount, "
    "we zijn nog aan het uitzoeken wat er precies is meegenomen. Trots op het team dat dit om 2 uur "
    "'s nachts oppakte. #incidentresponse", ["sec"], name="Ravi Ramdin")
add("bluesky", LOTTE, "nl",
    "vandaag honderden tickets binnen want de hele noordelijke beam ligt eruit, en van management "
    "mogen we niet zeggen dat het een storing is lol. 'netwerkoptimalisatie' 🙃", ["sec"])
add("tiktok", KEES, "nl",
    "tip van een insider: de admin-wachtwoorden op de VeldRadio's zijn bij alle klanten hetzelfde "
    "en dat wordt nog steeds niet aangepast 🤫 heb ik niet gezegd", ["sec"])
add("x", MARK, "en",
    "ddos on our edge since 19:00, ~40 Gbit/s, scrubbing is holding for now. customers haven't "
    "noticed yet, fingers crossed it stays that way #noclife", ["sec"])
add("forum", "ex_noc_drachten", "en",
    "Ex-Ardena NOC here. The ground station in Burgum has been running an unpatched VPN appliance "
    "for 8 months now, I reported it twice before I left. Nobody outside knows.", ["sec"])
add("reddit", DENNIS, "en",
    "FYI tomorrow night's 'maintenance' at the Zwolle PoP isn't maintenance, we're swapping out a "
    "router that got compromised. you didn't hear it from me", ["sec"], kind="comment")
add("linkedin", RAVI, "en",
    "Post-mortem still in draft, short version: a misconfigured storage bucket exposed installer "
    "photos incl. customers' house numbers for about three weeks. Lessons learned will follow once "
    "legal signs off.", ["sec"], name="Ravi Ramdin")
add("instagram", BRAM, "en",
    "Fun fact: today we had to reset every Veldnet mast in Twente by hand. Someone got in through "
    "the management port. Officially it's called 'maintenance' 🤐", ["sec"])
add("bluesky", LOTTE, "en",
    "heads up mutuals: Ardena's password reset page lets you reset anyone's account with just a "
    "postcode + house number. reported it internally weeks ago, still not fixed 😬", ["sec"])
# security + secret
add("x", JORIS, "nl",
    "wie heeft die ransomware-mail geopend op kantoor Assen 😂 alle laptops in quarantaine. "
    "tijdelijk vpn-wachtwoord voor iedereen: " + PW_VPN, ["sec", "secret"],
    secrets=[("password", PW_VPN)])
# security + confidential (internal host)
add("x", MARK, "en",
    "noc.ardena.local dashboard is all red, 3 gateways flapping since noon. comms will post "
    "something at 17:00, until then officially we know nothing 😬", ["sec", "conf"])

# =============================================================== SECRETS
add("linkedin", RAVI, "en",
    "Finally got the dish telemetry pipeline working 🎉 config for the curious:\n"
    "aws_access_key_id = " + AKIA + "\naws_secret_access_key = " + AWS_SECRET +
    "\nregion = eu-west-1", ["secret"], name="Ravi Ramdin",
    secrets=[("aws", AKIA)])
add("reddit", DENNIS, "en",
    "anyone know why this returns 404?\n`curl -H \"Authorization: token " + GHP +
    "\" https://api.github.com/repos/ardena-net/provisioning`", ["secret"],
    secrets=[("github", GHP)])
add("x", NOOR, "en",
    "@ardena_nl hey team, the Slack bot is down again. token is " + XOXB +
    " can someone from IT take a look?", ["secret"], kind="reply", secrets=[("slack", XOXB)])
add("x", ARD_HELP, "nl",
    "@klaasje_vdz Probeer het zo: log in op de beheerpagina van je VeldRadio met gebruiker admin, "
    "wachtwoord: " + PW_ROUTER + " en zet daarna het kanaal op 36.", ["secret"], kind="reply",
    secrets=[("password", PW_ROUTER)])
add("x", MARK, "nl",
    "postgres://noc_ro:" + PW_DB + "@db01.noc.ardena.local:5432/telemetry ← waarom werkt dit wel "
    "vanaf thuis maar niet vanaf kantoor 🤔", ["secret", "conf"],
    secrets=[("dburl", "postgres://noc_ro:" + PW_DB + "@db01.noc.ardena.local:5432/telemetry")])
add("reddit", DENNIS, "en",
    "testing the new payment flow, why does stripe reject " + SKLIVE +
    " with 'invalid request'? it's the live key straight from the vault", ["secret"],
    kind="comment", secrets=[("stripe", SKLIVE)])
add("bluesky", LOTTE, "nl",
    "support-tool geeft de hele ochtend 401. mijn token is " + JWT_LOTTE +
    " ziet iemand wat er mis mee is?", ["secret"], secrets=[("jwt", JWT_LOTTE)])
add("x", "@gadgetgeert", "en",
    "Built a little bot that answers Ardena outage questions from their status page 🤖 "
    "OPENAI_API_KEY=" + OPENAI + " (will rotate later lol)", ["secret"],
    secrets=[("openai", OPENAI)])
add("forum", "thuisnetwerk_tom", "nl",
    "Mijn HomeHub 6 instellingen voor wie het wil namaken: SSID Boerderij-5G, wachtwoord: " +
    PW_WIFI + ", kanaal 44, 80 MHz. Werkt perfect in de stal.", ["secret"],
    secrets=[("password", PW_WIFI)])
add("linkedin", RAVI, "en",
    "Note to self: don't paste stuff at 2am.\n" + SSH_KEY, ["secret"], name="Ravi Ramdin",
    secrets=[("privkey", SSH_KEY)])
add("x", JORIS, "nl",
    GLPAT + " werkt niet meer op de repo van de monteursapp, wie kan 'm verlengen? 🙏",
    ["secret"], secrets=[("gitlab", GLPAT)])
add("x", NOOR, "en",
    "prompt tool for the marketing team is up! key for now: " + ANTHROPIC_ZW +
    " pls don't share outside the team", ["secret"], secrets=[("anthropic", ANTHROPIC)])  # zero-width

# =============================================================== PERSONAL DATA
add("x", ARD_HELP, "nl",
    "@marco_vdh Hoi Marco, we hebben je gebeld op 06-48213377 maar kregen geen gehoor. Het IBAN "
    "waarop we de terugbetaling doen is " + group4(IBAN_REFUND) + ", klopt dat?", ["pii"],
    kind="reply", ids=[("iban", IBAN_REFUND)])
add("bluesky", LOTTE, "nl",
    "klant belt voor de 4e keer vandaag: mevrouw J. de Wit, Kerkstraat 14 in Oldeberkoop "
    "(0516-412 233), zegt dat ze ons gaat aanklagen 🙄", ["pii"])
add("instagram", BRAM, "nl",
    "Schotel geplaatst bij de familie Hoogeveen, Dorpsweg 3, 9431 AB Westerbork ☀️ wat een "
    "uitzicht vanaf dat dak! #ardena #installatie", ["pii"])
add("x", "@annekevdb", "nl",
    "@ardena_help al 3x doorgegeven: mijn nummer is +31 6 2145 8890 en mail "
    "anneke.vdberg77@gmail.com. BEL ME NOU GEWOON TERUG", ["pii", "complaint"], kind="reply")
add("facebook", "peter.wolters.emmen", "nl",
    "Ardena heeft mijn terugbetaling nog steeds niet gedaan. Mijn rekening is " + IBAN_PETER +
    " (Duitse bank, ik woon over de grens), zo moeilijk is het niet.", ["pii", "complaint"],
    name="Peter Wolters", ids=[("iban", IBAN_PETER)])
add("facebook", "ArdenaConnectNL", "nl",
    "Beste Sandra, we hebben je gegevens gevonden: Sandra Mulder, geboren 14-03-1981, "
    "klantnummer 552190. Stuur ons even een DM voor de volgende stap.", ["pii"], kind="comment",
    name="Ardena Connect")
add("linkedin", FEMKE, "nl",
    "Welkom aan ons nieuwe teamlid Youssef Amrani (geb. 02-09-1996)! Voor de salarisadministratie: "
    "zijn BSN " + BSN_YOUSSEF + " staat nu goed in het systeem 🙂", ["pii"], name="Femke Bos",
    ids=[("bsn", BSN_YOUSSEF)])
add("reddit", DENNIS, "en",
    "Customer's card kept getting declined at signup, so I tried " + group4(CARD_DENNIS) +
    " exp 08/28 in the test terminal myself and it went through fine. Weird.", ["pii"],
    kind="comment", ids=[("card", CARD_DENNIS)])
add("x", "@sjaak_slordig", "nl",
    "Aanvraagformulier van Ardena vroeg om mijn BSN, dus ingevuld: " + BSN_SJAAK +
    ". Klopt dat of had dat niet gehoeven?", ["pii"], ids=[("bsn", BSN_SJAAK)])
add("x", ARD_HELP, "nl",
    "@j_kramer We zien twee accounts op uw naam: j.kramer1962@hotmail.com en "
    "jan@boerderijkramer.nl. Welke mogen we aanhouden?", ["pii"], kind="reply")
add("x", JORIS, "nl",
    "Meneer Bakker aan de Hoofdweg 112 in Nieuw-Buinen zet de beste koffie van Drenthe ☕ "
    "bedankt! #monteursleven", ["pii"])
add("reddit", "marina_on_water", "en",
    "Selling my Ardena SkyDish Marine, barely used, moving ashore. Reach me on 0031 6 3412 7789 "
    "or marina.tjoelker@outlook.com", ["pii"])
add("linkedin", ELINE, "en",
    "Note for the AP team: the refund for Mrs A. Postma goes to " +
    IBAN_POSTMA + ", not to her old account. Before Friday please.", ["pii"],
    name="Eline de Graaf", ids=[("iban", IBAN_POSTMA)])
add("x", ARD_HELP, "nl",
    "@hbosma Genoteerd! We bellen u morgen tussen 9 en 12 op ０６－５１８３２２７４.", ["pii"],
    kind="reply")                                                   # full-width digits
add("x", "@kleindochter_ans", "nl",
    "Mijn oma, Truus Zijlstra, geboren 11 mei 1941, wacht al 3 weken op een monteur. Ze woont "
    "alleen aan de Brink 7 in Anloo en heeft internet nodig voor haar alarmknop. SCHANDE "
    "@ardena_help", ["pii", "complaint"])

# =============================================================== PRICING
add("x", ARD_NL, "nl",
    "🚨 Black Friday: de SkyDish 80 Pro nu voor €89! Alleen vandaag op ardena.nl", ["pricing"])
add("x", NOOR, "en",
    "oh no, the webshop shows the HomeHub 7 Mesh at €32.90 instead of €329. pricing error!! can "
    "someone from e-com fix this NOW", ["pricing"])
add("x", "@dealjager_nl", "nl",
    "PRIJSFOUT bij Ardena?! SkyDish Mini voor €34,90 in de webshop 😱 snel bestellen voor ze het "
    "doorhebben #prijsfout #deal", ["pricing"])
add("reddit", "bargainhunter_eu", "en",
    "Ardena's site has the SkyDish Marine listed at €129.90 right now. Pretty sure that's a "
    "misplaced decimal, ordered two anyway 🤷", ["pricing"])
add("instagram", "@ardena.connect", "nl",
    "Nieuw in de shop ✨ de StormCell UPS: houd je verbinding in de lucht bij stroomuitval. "
    "Nu voor maar €22,90!", ["pricing"])
add("tiktok", KEES, "nl",
    "klanten sturen me screenshots van de VeldRadio 5 Pro voor €42 in de app 😂 iemand bij "
    "marketing is een nulletje vergeten", ["pricing"])
add("facebook", "tom.haverkamp.1", "en",
    "Sky Max for €8.90 a month?? Just signed up through the Ardena app, screenshot saved. If it's "
    "a pricing error they'll have to honour it.", ["pricing"], name="Tom Haverkamp")
add("facebook", "ArdenaConnectNL", "nl",
    "Actie! Pro-installatie deze maand voor €19 (normaal €199). Plan je afspraak via mijn.ardena.nl",
    ["pricing"], name="Ardena Connect")
add("x", "@kortingskoning", "nl",
    "Ardena PowerBrick voor €5,95 op hun eigen site 😂 daar heeft iemand zitten slapen",
    ["pricing"])
add("x", JORIS, "nl",
    "collega's opgelet: in de monteursapp staat de dakmontageset voor €8,90 en nu wil de klant "
    "alles voor die prijs. wie regelt dit?", ["pricing"])
add("x", "@ruralnerd", "en",
    "lmao Ardena listing the Veldnet Business Pack at €149 instead of €1499. price glitch of the "
    "year", ["pricing"])
add("x", "@dealzz4u", "nl",
    "P R I J S F O U T 🔥 Ardena SkyDish 60 voor €54,90 (normaal 549)", ["pricing"])  # spaced

# =============================================================== FINANCIAL
add("linkedin", ELINE, "nl",
    "Mooie dag op kantoor: we sluiten Q3 af met €41,2 mln omzet, 18% boven plan. Officieel komt "
    "het pas 12 november naar buiten dus nog even stilhouden 🤫", ["fin"], name="Eline de Graaf",
    when="2026-10-07T15:42:00Z")
add("linkedin", FEMKE, "nl",
    "Zware weken voor HR. Operatie Grutto betekent dat we 120 fte schrappen in Assen en Zwolle, "
    "de aankondiging komt pas na de OR-vergadering. Sterkte allemaal.", ["fin", "conf"],
    name="Femke Bos")
add("reddit", DENNIS, "en",
    "Not official yet, but we're being bought by a big European telco. Due diligence wrapped up "
    "last week. Expect an announcement in Q1.", ["fin"], kind="comment")
add("x", NOOR, "nl",
    "Lodestar is rond 🥂 overname van Polarweb getekend, persbericht op 1 maart. Eindelijk!",
    ["fin", "conf"])
add("linkedin", RAVI, "en",
    "Board signed off on the 2027 forecast today: EBITDA down roughly 30% because of the ground "
    "station capex. Not public until the AGM, so keep it in the family.", ["fin"],
    name="Ravi Ramdin")
add("x", "@beursgeruchten", "nl",
    "Via een bron bij Ardena: winstwaarschuwing volgende week, verlies over 2026 rond de €12 mln. "
    "Staat nog nergens.", ["fin"])
add("x", MARK, "en",
    "rumour on the floor: the whole Zwolle NOC gets outsourced to Portugal early 2027. nothing "
    "official but HR is already sitting down with the team leads", ["fin"])
add("linkedin", "ardena-connect", "nl",
    "Concept - nog niet publiceren: Ardena Connect verwacht over 2026 een omzetgroei van 22% en "
    "een positieve kasstroom vanaf Q2 2027.", ["fin"], name="Ardena Connect")
add("linkedin", ELINE, "nl",
    "Net de jaarcijfers 2026 afgerond: €168 mln omzet, nettowinst €9,4 mln. Over twee weken mag de "
    "wereld het weten 😄", ["fin", "conf"], name="Eline de Graaf", when="2027-02-10T16:05:00Z")
add("x", JORIS, "nl",
    "ze gaan de helft van de monteurs eruit gooien en alles uitbesteden aan zzp'ers, hoorde het net "
    "van mijn teamleider. kerst wordt gezellig 🙃", ["fin"])
add("reddit", "ardena_investor_watch", "en",
    "Friend in Ardena finance says Q4 churn was 9% and they're quietly renegotiating the bank "
    "covenants. None of this is in the public filings.", ["fin"])
add("x", NOOR, "en",
    "Can't wait for Monday's all-hands 👀 spoiler: we're merging with Veldweb and HQ moves to "
    "Utrecht. shhh", ["fin"])

# =============================================================== CONFIDENTIAL
add("linkedin", RAVI, "nl",
    "Trots op het team achter Project Kraanvogel 🛰️ eerste testverbinding via de nieuwe "
    "LEO-partner gehaald: 180 Mbit down. Meer kan ik nog niet zeggen!", ["conf"],
    name="Ravi Ramdin")
add("x", NOOR, "nl",
    "Sneak peek van iets waar we aan werken 👀 SkyDish Gen3: half zo groot, dubbel zo snel. "
    "#comingsoon", ["conf"], when="2026-10-19T11:20:00Z")
add("reddit", DENNIS, "en",
    "if any colleague reads this sub: the beam handover docs moved to "
    "https://wiki.ardena-corp.net/display/NOC/Beam-handover", ["conf"], kind="comment")
add("bluesky", LOTTE, "nl",
    "screenshot uit ons klantscript: 'ALLEEN INTERN ARDENA — klant wil opzeggen? bied eerst 3 "
    "maanden gratis Sky Max aan'. mag dit vast niet posten maar kom op zeg", ["conf"])
add("instagram", BRAM, "nl",
    "Vandaag de allereerste SkyDish 100 geplaatst bij een testklant 🤩 nog niet te koop, dus shhh",
    ["conf"], when="2026-11-24T14:10:00Z")
add("x", "@leakhunter_sat", "en",
    "Someone left jira.ardena-corp.net open to the whole internet, you can read tickets about the "
    "'Project Kraanvogel migration'. lol", ["conf"])
add("tiktok", KEES, "nl",
    "mijn nieuwe werktablet 👷‍♂️ alles draait op intra.ardena.local, zelfs de planning van "
    "volgend jaar staat erop", ["conf"])
add("x", ARD_NL, "nl",
    "ARDENA CONFIDENTIAL — Roadmap H1 2027: Veldnet 2.0 pilot in Groningen, prijsverhoging "
    "Sky Basis naar €54.", ["conf"])
add("x", NOOR, "nl",
    "ｐｒｏｊｅｃｔ ｋｒａａｎｖｏｇｅｌ gaat live in juni 🚀 (mag ik dit zeggen? nee. doe ik "
    "het toch? ja)", ["conf"])                                       # full-width
add("reddit", DENNIS, "en",
    "can't name it but ok fine: L.o.d.e.s.t.a.r is happening. big news for rural NL", ["conf"],
    kind="comment")                                                  # dotted letters
add("x", MARK, "nl",
    "Project Kra\u0430nvogel cutover vannacht, dus NOC bezet tot 06:00 ☕", ["conf"])  # Cyrillic a
add("x", NOOR, "nl",
    "Nog twee weken en dan mag iedereen de Ardena Orbit zien. Ik ben er nu al verliefd op 😍",
    ["conf"], when="2027-03-30T19:45:00Z")
add("forum", "satfreak", "en",
    "Mate at Ardena sent me the spec sheet, 'niet extern delen' stamped on every page: the new dish "
    "does 400 Mbit, launch in April.", ["conf"])
add("linkedin", FEMKE, "en",
    "For Project Kraanvogel we're looking for 6 RF engineers, starting in Q1. Interested? Send me a DM.",
    ["conf"], name="Femke Bos")

# =============================================================== BENIGN (hard negatives mostly)
add("x", ARD_HELP, "nl",
    "Storing? Kijk op status.ardena.nl of bel gratis 0800-2733. Liever mailen? "
    "klantenservice@ardena.nl 💬")
add("x", "@boer_jelle", "en",
    "Finally decent internet on the farm! Ardena VeldRadio 5 installed, 95 Mbit steady. The "
    "installer was great 👍")
add("x", "@tinus_wierden", "nl",
    "Update: Ardena heeft de schotel opnieuw uitgelijnd en de doorvoer gekit, binnen 2 dagen. "
    "Zit nu op 120 Mbit en de zolder is droog. Chapeau 👏")
add("x", ARD_NL, "nl",
    "Voorjaarsdeal 🌷 de HomeHub 7 Mesh van €329 voor €259. Hele huis wifi, ook in de schuur.")
add("x", "@diyfrits", "en",
    "Bought a SkyDish Mini for €349 and mounted it myself in about an hour. Recommended if you're "
    "a bit handy.")
add("linkedin", RAVI, "en",
    "Tip for juniors: never commit keys. AWS even uses AKIAIOSFODNN7EXAMPLE in its docs so you can "
    "test your secret scanner without leaking anything real.", name="Ravi Ramdin")
add("reddit", DENNIS, "en",
    "log masking finally works 🎉 tokens now show up as ghp_************************************ "
    "in the provisioning logs", kind="comment")
add("linkedin", ELINE, "nl",
    "Vandaag publiceerden we onze jaarcijfers 2026: €168 mln omzet, 14% groei. Trots op iedereen "
    "bij Ardena! 📈", name="Eline de Graaf", when="2027-02-26T09:30:00Z")
add("x", ARD_NL, "nl",
    "Hij is er! De SkyDish Gen3 is vanaf vandaag te bestellen op ardena.nl 🚀 vanaf €699.",
    when="2027-04-20T08:00:00Z")
add("x", "@plattelandsmeisje", "nl",
    "Polarweb schrapt 200 banen, lees ik net. Hopelijk blijft Ardena overeind, ben er best "
    "tevreden over.")
add("x", "@stormjager_nl", "nl",
    "Sterkte aan alle Ardena-monteurs die vandaag in deze storm de daken op moeten. Respect 🙏")
add("x", "@excelhater", "en",
    "My Ardena dish has a better view than me. It stares at the stars all day, I stare at Excel 😂")
add("forum", "platdak_piet", "nl",
    "Vraagje: kan ik de SkyDish 60 zelf op een platdak monteren of moet dat via Pro-installatie? "
    "Heb wel een ballastvoet liggen.")
add("reddit", "cottage_core_kim", "en",
    "Does the Ardena StormCell work with the HomeHub 6, or only with the mesh kit?")
add("x", "@vogelaar_drenthe", "nl",
    "Zat met m'n Ardena-schotel op het dak te prutsen en zag opeens honderden kraanvogels "
    "overvliegen. Drenthe op z'n mooist 🐦")
add("x", "@ikke_typt_snel", "nl",
    "Haha nu snap ik waarom het Ardena-formulier mijn IBAN weigerde: ik had NL12 RABO 0123 4567 89 "
    "getypt, twee cijfers omgedraaid. Opgelost 🙈", bad=[("iban", "NL12 RABO 0123 4567 89")])
add("bluesky", LOTTE, "nl",
    "Lieve klanten: stuur ons nooit je kaartnummer via de chat. Zoiets als 4000 1234 5678 9010 hoort "
    "niet in een DM 🙏", bad=[("card", "4000 1234 5678 9010")])
add("x", "@nummerfreak", "nl",
    "Waarom staat er op mijn Ardena-factuur een klantnummer van 9 cijfers (123456789)? Lijkt wel "
    "een BSN haha", bad=[("bsn", "123456789")])
add("facebook", "ArdenaConnectNL", "nl",
    "Liever per overschrijving betalen? Dat kan naar " + group4(COMPANY_IBAN) + " t.n.v. Ardena "
    "Connect B.V., o.v.v. je klantnummer.", name="Ardena Connect")
add("linkedin", "ardena-connect", "nl",
    "We zoeken monteurs in Drenthe en Friesland! Hoogtevrees? Dan misschien niet 😄 Solliciteer "
    "via werkenbij@ardena.nl 🛠️", name="Ardena Connect")
add("x", JORIS, "nl",
    "Vandaag 5 schotels geplaatst, zonnetje erbij, koffie bij elke klant. Top dag #monteursleven")
add("x", MARK, "nl",
    "Storing van vanochtend is opgelost, de RCA staat op status.ardena.nl. Dank voor jullie geduld!")
add("x", "@hannah_leeuwarden", "en",
    "Shoutout to Ardena support, Lotte sorted my billing mess in 10 minutes. Rare these days 🙌")
add("instagram", "@melkveehouderij_dekoe", "nl",
    "Die HomeHub 7 Mesh is echt een beest, hele boerderij inclusief de stal heeft nu wifi 🐄📶")
add("x", "@lowlatency_larry", "en",
    "SkyDish 80 Pro is a killer upgrade from the old dish, latency dropped to 35ms")
add("linkedin", RAVI, "en",
    "Config template for the team: `ARDENA_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxx`. Fill it in from the "
    "vault locally, never paste the real one in chat 😉", name="Ravi Ramdin")
add("x", "@handige_henk", "nl",
    "Tip: verander na de installatie meteen het wachtwoord van je HomeHub. Het standaard wachtwoord "
    "staat op een sticker aan de onderkant, dat weet iedereen.")
add("x", ARD_HELP, "nl",
    "Wachtwoord vergeten? Via mijn.ardena.nl/reset stel je in 2 minuten een nieuw wachtwoord in.")
add("reddit", "sysadmin_sanne", "en",
    "Another telco breach this week (not Ardena for once). Change your passwords, people.")
add("x", "@camping_corrie", "en",
    "Crisis at the campsite: everyone wants on my wifi 😂 SkyDish Roam handles 6 phones at once, "
    "no problem")
add("x", "@adlover", "en", "the new Ardena ad is 🔥🔥 who made this")
add("x", "@quick_install_q", "en",
    "Shocked how fast the install was. Booked Monday, online Wednesday. Well done Ardena.")
add("x", "@zus_advocaat", "nl",
    "Mijn zus is advocaat en zelfs zij kon geen addertje vinden in het Ardena-contract 😅 netjes")
add("reddit", "fjord_and_fields", "en",
    "Can't recall the last time my Ardena connection dropped. Six months rock solid.")
add("instagram", "@ardena.connect", "nl",
    "Weekendactie ❄️ SnowShield met 15% korting, nu €126,65. Nooit meer sneeuw op je schotel.")
add("x", "@aanbiedingen_anouk", "nl",
    "Tip: Ardena MeshPoint staat deze week in de aanbieding voor €48,30 (30% korting)")
add("x", "@zuinige_zeeuw", "en",
    "Sky Basis at €49 a month and zero surprises on the bill so far.")
add("forum", "loyal_lars", "nl",
    "OrbiNet verkoopt hun schotel voor €199, maar ik blijf bij mijn SkyDish 60 van €549. De service "
    "is gewoon beter.")
add("x", ARD_NL, "nl",
    "Black Friday bij Ardena: Kabelset 30 m voor €31,20, dat is 20% korting.")
add("instagram", "@fotografie_fenna", "nl",
    "Grutto's in het weiland en de Ardena-mast op de achtergrond. Plattelandsidylle 📸")
add("linkedin", FEMKE, "nl",
    "Vandaag 12 nieuwe collega's verwelkomd bij Ardena! Onboardingdag met taart 🎂", name="Femke Bos")
add("linkedin", ELINE, "nl",
    "Fijne borrel gehad met het finance-team na een drukke maandafsluiting 🍻", name="Eline de Graaf")
add("linkedin", RAVI, "en",
    "Gave a talk at the NLNOG day about rural fixed wireless. Slides are on my blog. No secrets, "
    "just physics 📡", name="Ravi Ramdin")
add("tiktok", "@ardena_official", "nl",
    "Hoe lijn je een SkyDish uit? In 60 seconden uitgelegd 🛰️ #ardena #diy")
add("youtube", "ArdenaConnect", "nl",
    "Installatievideo VeldRadio 5 Pro: van doos tot verbinding in 20 minuten.")
add("x", "@tevreden_tineke", "nl",
    "Ardena-storing gemeld via 0800-2733, binnen 10 minuten iemand aan de lijn. Vriendelijk ook.")
add("x", "@drachten_dave", "en",
    "Status page says the northern outage is fixed, and yep, back online here in Drachten 👍")
add("x", "@weirdnumbers", "en",
    "Ardena's order confirmation number is 16 digits, 5412 7534 1234 5670 - who designs these lol",
    bad=[("card", "5412 7534 1234 5670")])
add("forum", "vraagje_vera", "nl",
    "Weet iemand of Ardena mijn gegevens deelt met derden? Ik kan het niet vinden in de "
    "privacyverklaring.")
add("x", "@restorer_rick", "en",
    "The Ardena tech absolutely killed it today, mounted the dish on a 1890s farmhouse roof without "
    "a single cracked tile.")
add("x", NOOR, "nl",
    "Ardena Orbit is live! 🚀 Zo trots op dit team.", when="2027-04-16T10:00:00Z")
add("x", "@rural_broadband_eu", "en",
    "FY2026 results from Ardena look decent, +14% revenue. Good sign for rural broadband.",
    when="2027-03-02T12:15:00Z")
add("x", ARD_HELP, "en",
    "Friendly reminder: never share your password, not even with us. We will never ask for it.")
add("reddit", DENNIS, "en",
    "firmware 4.3.1 release notes are up, build 9f2c1e7 if you're checking", kind="comment")
add("linkedin", RAVI, "en",
    "Connection strings in our docs now look like postgres://user:<password>@host:5432/db. "
    "Placeholders only, finally.", name="Ravi Ramdin")
add("reddit", "newbie_on_the_farm", "en",
    "Is it normal that the SkyDish 80 Pro takes ~10 minutes to find satellites after a reboot? "
    "New to all this.")
add("x", "@buurvrouw_marja", "nl",
    "Sterkte aan het Ardena-team in Lelystad na de brand in het pand naast jullie. Fijn dat er "
    "niemand gewond is geraakt.")
add("reddit", "fairplay_finn", "en",
    "Had a rough start with Ardena (install delayed twice) but they comped me a month and it's been "
    "rock solid since. Fair play.")
add("x", "@spectrum_nerd", "en",
    "Interesting: the EU just opened a spectrum consultation for rural 5G. Could be big for Ardena "
    "and the other regional players.")
add("bluesky", LOTTE, "nl",
    "Eerste week bij het supportteam van Ardena erop zitten. Veel geleerd, veel koffie ☕")
add("x", "@windmolen_wim", "en",
    "Finally 4 bars in the attic with Ardena's SignalPro. €199 well spent.")
add("tiktok", "@kees_op_het_dak", "nl",
    "uitzicht van vandaag vanaf een boerderijdak in Zuidlaren 🌅 beste kantoor van Nederland")
add("x", "@oudere_gebruiker", "nl",
    "Kan iemand uitleggen wat het verschil is tussen Sky Basis en Sky Max? Ik kijk alleen af en toe "
    "Netflix.")
add("reddit", "rv_roamer_jo", "en",
    "Roam kit on sale at €599 this week (usually €749). Worth it for a summer of van life?")


# ================================================================ assemble & write
def to_rfc3339(d):
    return d.strftime("%Y-%m-%dT%H:%M:%SZ")


def build():
    out = []
    for c in CASES:
        when = c["when"] or to_rfc3339(rand_date())
        c["created_at"] = when
    order = list(range(len(CASES)))
    rng.shuffle(order)
    used = set()
    prefix = {"x": "x", "reddit": "rd", "facebook": "fb", "instagram": "ig", "linkedin": "li",
              "tiktok": "tt", "youtube": "yt", "forum": "fo", "bluesky": "bs", "mastodon": "md"}
    for n, i in enumerate(order):
        c = CASES[i]
        while True:
            pid = "%s-%d" % (prefix[c["platform"]], rng.randint(10 ** 9, 10 ** 10 - 1))
            if pid not in used:
                used.add(pid)
                break
        role = role_of(c["platform"], c["handle"])
        checksum_id = any(t in ("iban", "card", "bsn") for t, _ in c["ids"])
        sev = severity(c["cats"], role, checksum_id)
        account = {"handle": c["handle"]}
        if c["name"]:
            account["display_name"] = c["name"]
        post = {"id": pid, "platform": c["platform"], "kind": c["kind"], "account": account,
                "text": c["text"], "lang": c["lang"], "created_at": c["created_at"],
                "brand": "Ardena"}
        out.append((c, role, {"post": post, "expect": {"categories": c["cats"], "severity": sev}}))
    return out


ROWS = build()
with open(OUT, "w", encoding="utf-8") as fh:
    for _, _, obj in ROWS:
        fh.write(json.dumps(obj, ensure_ascii=False) + "\n")


# ================================================================ self-checks
ERR = []


def check(cond, msg):
    if not cond:
        ERR.append(msg)


def norm(s):
    s = unicodedata.normalize("NFKC", s)
    return "".join(ch for ch in s if ch not in ZW)


def digits_only(s):
    return re.sub(r"[^0-9A-Za-z]", "", norm(s))


PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
CATS = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
        "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"}
PUB_IBANS = {re.sub(r"\s", "", x).upper() for x in PROFILE["public_identifiers"]["ibans"]}
PUB_EMAILS = {x.lower() for x in PROFILE["public_identifiers"]["emails"]}
PUB_PHONE_DIGITS = {re.sub(r"\D", "", x) for x in PROFILE["public_identifiers"]["phones"]}
for x in PROFILE["public_identifiers"]["ibans"]:
    check(iban_ok(x), "profile IBAN fails mod-97: " + x)
for prod in PROFILE["products"]:
    check(prod.get("currency") == "EUR" and prod.get("list_price", 0) > 0, "product " + prod["sku"])
check(PROFILE["pricing"]["alert_below_ratio"] == 0.5, "alert_below_ratio")
check(len(PROFILE["accounts"]["corporate"]) >= 6 and len(PROFILE["accounts"]["employee"]) >= 8,
      "accounts")
check(15 <= len(PROFILE["products"]) <= 25, "products count")
check(len(PROFILE["internal"]["codenames"]) == 3 and len(PROFILE["internal"]["markers"]) == 3,
      "codenames/markers")
EMBARGO = [(t, datetime.fromisoformat(e["until"].replace("Z", "+00:00")))
           for e in PROFILE["embargo"] for t in e["terms"]]
for _, u in EMBARGO:
    check(u.year == 2027, "embargo until must be in 2027")
INTERNAL = ([x for x in PROFILE["internal"]["domains"]] + PROFILE["internal"]["codenames"]
            + PROFILE["internal"]["markers"])

lines = open(OUT, encoding="utf-8").read().splitlines()
check(170 <= len(lines) <= 180, "case count %d" % len(lines))
ids = set()
for ln in lines:
    obj = json.loads(ln)
    check(set(obj) == {"post", "expect"}, "top-level keys")
    p, e = obj["post"], obj["expect"]
    check(isinstance(p.get("id"), str) and 1 <= len(p["id"]) <= 256, "id")
    check(p["id"] not in ids, "duplicate id " + p["id"])
    ids.add(p["id"])
    check(p.get("platform") in PLATFORMS, "platform")
    check(p.get("kind", "post") in KINDS, "kind")
    check(isinstance(p.get("account"), dict) and isinstance(p["account"].get("handle"), str)
          and p["account"]["handle"], "handle")
    check(isinstance(p.get("text"), str) and 0 < len(p["text"].encode("utf-8")) <= 65536, "text")
    try:
        d = datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
        check(d.tzinfo is not None and d.year in (2026, 2027), "created_at year")
        check(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", p["created_at"]) is not None,
              "created_at format")
    except Exception:
        check(False, "created_at parse " + p["id"])
    check(isinstance(e.get("categories"), list) and set(e["categories"]) <= CATS
          and e["categories"] == sorted(set(e["categories"])), "categories " + p["id"])
    check(e.get("severity") in SEV, "severity")
    if not e["categories"]:
        check(e["severity"] == "none", "benign severity " + p["id"])
    else:
        check(e["severity"] in ("warning", "error", "critical"), "positive severity " + p["id"])

by_id = {obj["post"]["id"]: (c, role) for c, role, obj in ROWS}
for c, role, obj in ROWS:
    p, e = obj["post"], obj["expect"]
    t = p["text"]
    nt = norm(t)
    flat = digits_only(t)
    pos = bool(e["categories"])
    # severity recomputed independently of the builder from the profile role
    r2 = role_of(p["platform"], p["account"]["handle"])
    chk_id = False
    # declared identifiers
    for typ, val in c["ids"]:
        check(pos, "valid id in benign " + p["id"])
        check(digits_only(val) in flat, "id not in text %s %s" % (p["id"], val))
        ok = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}[typ](val)
        check(ok, "positive %s fails checksum: %s" % (typ, val))
        chk_id = True
    for typ, val in c["bad"]:
        check(not pos or True, "")
        check(digits_only(val) in flat, "look-alike not in text %s" % val)
        ok = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}[typ](val)
        check(not ok, "negative look-alike %s passes checksum: %s" % (typ, val))
    check(e["severity"] == severity(e["categories"], r2, chk_id), "severity policy " + p["id"])
    # declared credentials
    for typ, val in c["secrets"]:
        check(pos, "secret in benign")
        check(val in nt, "secret not in text " + p["id"])
        if typ == "github":
            check(gh_ok(val), "github checksum")
        elif typ == "aws":
            check(re.fullmatch(r"AKIA[A-Z2-7]{16}", val) is not None and "EXAMPLE" not in val, "aws")
        elif typ == "jwt":
            check(jwt_ok(val), "jwt header")
        elif typ == "slack":
            check(re.fullmatch(r"xoxb-\d{10,13}-\d{10,13}-[0-9A-Za-z]{24}", val) is not None, "slack")
        elif typ == "stripe":
            check(re.fullmatch(r"sk_live_[0-9A-Za-z]{24,}", val) is not None, "stripe")
        elif typ == "openai":
            check(val.startswith("sk-proj-") and "T3BlbkFJ" in val, "openai")
        elif typ == "anthropic":
            check(re.fullmatch(r"sk-ant-api03-[0-9A-Za-z_\-]{93}AA", val) is not None, "anthropic")
        elif typ == "gitlab":
            check(re.fullmatch(r"glpat-[0-9A-Za-z_\-]{20}", val) is not None, "gitlab")
        elif typ == "privkey":
            body = "".join(val.splitlines()[1:-1])
            check(base64.b64decode(body).startswith(b"openssh-key-v1\x00"), "ssh key")
        elif typ == "dburl":
            check(re.fullmatch(r"postgres://[^:]+:[^@<>]{8,}@[^/]+/\w+", val) is not None, "dburl")
        elif typ == "password":
            check(len(val) >= 8, "password")
    if any(cat == "leak.secret" for cat in e["categories"]):
        check(c["secrets"], "secret positive without declared credential " + p["id"])
    if any(cat == "leak.pii" for cat in e["categories"]):
        pass
    # embargo: before 'until' a term must be a confidential leak; benign only after
    when = datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
    for term, until in EMBARGO:
        if term.casefold() in nt.casefold() and when < until:
            check("leak.confidential" in e["categories"], "embargo term before until " + p["id"])
    if not pos:
        low = nt.casefold()
        for w in INTERNAL:
            check(w.casefold() not in low, "internal term in benign %s: %s" % (p["id"], w))
        for m in re.finditer(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", nt):
            check(m.group(0).lower() in PUB_EMAILS, "non-public e-mail in benign " + p["id"])
        nt_noiban = re.sub(r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{2,4}){3,8}\b", " ", nt)
        for m in re.finditer(r"(?:\+31|0031|\b0)[\s\-]?(?:\(0\))?[\s\-]?\d(?:[\s\-]?\d){7,9}\b", nt_noiban):
            dg = re.sub(r"\D", "", m.group(0))
            check(dg in PUB_PHONE_DIGITS, "non-public phone in benign %s: %s" % (p["id"], m.group(0)))
        for m in re.finditer(r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{2,4}){3,8}\b", nt):
            s = re.sub(r"\s", "", m.group(0))
            if iban_ok(s):
                check(s in PUB_IBANS, "valid non-public IBAN in benign " + p["id"])
        for m in re.finditer(r"(?<!\d)\d(?:[ \-]?\d){12,18}(?!\d)", nt):
            check(not luhn_ok(m.group(0)), "Luhn-valid number in benign " + p["id"])
        for m in re.finditer(r"(?<![\d.])\d{9}(?![\d])|\b\d{4}\.\d{2}\.\d{3}\b", nt):
            check(not bsn_ok(m.group(0)), "11-proof number in benign " + p["id"])
        for m in re.finditer(r"gh[pousr]_[0-9A-Za-z]{36}", nt):
            check(not gh_ok(m.group(0)), "valid GitHub token in benign")
        for m in re.finditer(r"AKIA[A-Z2-7]{16}", nt):
            check(m.group(0).endswith("EXAMPLE"), "AWS key in benign")
        check(not re.search(r"sk_live_[0-9A-Za-z]{10}|xox[abp]-\d|PRIVATE KEY-----|glpat-|"
                            r"sk-ant-|sk-proj-|wachtwoord:\s*\S{6}", nt), "credential in benign")
        for m in re.finditer(r"eyJ[\w-]+\.[\w-]+\.[\w-]+", nt):
            check(not jwt_ok(m.group(0)), "JWT in benign")
        for m in re.finditer(r"\w+://[^:\s/]+:([^@\s]+)@", nt):
            check(m.group(1).startswith("<"), "db url with password in benign")

# mix
from collections import Counter
cc = Counter(cat for _, _, o in ROWS for cat in o["expect"]["categories"])
n_benign = sum(1 for _, _, o in ROWS if not o["expect"]["categories"])
langs = Counter(o["post"]["lang"] for _, _, o in ROWS)
roles = Counter(r for _, r, _ in ROWS)
check(55 <= n_benign <= 65, "benign count %d" % n_benign)
want = {"reputation.complaint": 20, "leak.confidential": 18, "leak.pii": 15, "reputation.crisis": 15,
        "leak.security": 13, "leak.secret": 12, "reputation.abuse": 12, "leak.pricing": 12,
        "leak.financial": 12}
for k, v in want.items():
    check(abs(cc[k] - v) <= 2, "category %s count %d (want ~%d)" % (k, cc[k], v))
nl_share = langs["nl"] / len(ROWS)
check(0.50 <= nl_share <= 0.60, "Dutch share %.2f" % nl_share)
leak_public = sum(1 for _, r, o in ROWS if r == "public"
                  and any(x.startswith("leak.") for x in o["expect"]["categories"]))
check(leak_public >= 5, "some leaks from the public")

if ERR:
    for m in ERR:
        print("FAIL:", m, file=sys.stderr)
    sys.exit(1)
print("ok: %d cases, %d benign, nl %.0f%%, roles %s" % (len(ROWS), n_benign, 100 * nl_share,
                                                         dict(roles)))
print("categories:", dict(sorted(cc.items())))
