#!/usr/bin/env python3
"""Held-out evaluation set 413 for postwatch.

Company: Vondstwerk B.V. (fictional), a regional chain of second-hand furniture
and thrift stores. Post texts are hand-written below; credentials and personal
identifiers are generated deterministically (fixed seed) the way the real ones
are built. Writes cases.jsonl beside this file and self-checks it.

Severities are never typed by hand: they follow CONTRACT section 4, computed from
the expected categories and the account role looked up in profile.yaml.
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

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 413
rng = random.Random(SEED)          # identifiers and credentials
drng = random.Random(SEED + 1)     # timestamps and post urls

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = B62
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


# ---------------------------------------------------------------- generators
def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


def base62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def github_token(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + base62(zlib.crc32(body.encode())).rjust(6, "0")


def github_token_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and base62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def aws_key_id():
    return "AKIA" + rand(B32, 16)


def aws_secret():
    return rand(ALNUM + "/+", 40)


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jwt(payload):
    header = {"alg": "HS256", "typ": "JWT"}
    h = b64url(json.dumps(header, separators=(",", ":")).encode())
    p = b64url(json.dumps(payload, separators=(",", ":")).encode())
    s = b64url(bytes(rng.getrandbits(8) for _ in range(32)))
    return f"{h}.{p}.{s}"


def openssh_private_key():
    raw = b"openssh-key-v1\x00" + b"\x00\x00\x00\x04none\x00\x00\x00\x04none" + \
        bytes(rng.getrandbits(8) for _ in range(340))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + \
        "\n-----END OPENSSH PRIVATE KEY-----"


def iban_check_digits(cc, bban):
    s = bban + cc + "00"
    n = int("".join(str(int(c, 36)) for c in s))
    return "%02d" % (98 - n % 97)


def iban_ok(iban):
    iban = iban.replace(" ", "")
    s = iban[4:] + iban[:4]
    try:
        return int("".join(str(int(c, 36)) for c in s)) % 97 == 1
    except ValueError:
        return False


def nl_iban(bank):
    bban = bank + rand(string.digits, 10)
    return "NL" + iban_check_digits("NL", bban) + bban


def bad_nl_iban(bank):
    good = nl_iban(bank)
    cd = int(good[2:4])
    bad = "NL%02d" % ((cd + 7) % 97 + 2 if (cd + 7) % 97 + 2 < 100 else 11) + good[4:]
    assert not iban_ok(bad)
    return bad


def spaced(s, n=4):
    return " ".join(s[i:i + n] for i in range(0, len(s), n))


def luhn_ok(num):
    digits = [int(c) for c in num if c.isdigit()]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def card(prefix, length=16):
    body = prefix + rand(string.digits, length - len(prefix) - 1)
    for last in string.digits:
        if luhn_ok(body + last):
            return body + last
    raise AssertionError


def bad_card(prefix, length=16):
    good = card(prefix, length)
    bad = good[:-1] + str((int(good[-1]) + 3) % 10)
    assert not luhn_ok(bad)
    return bad


def bsn_ok(num):
    d = [int(c) for c in num if c.isdigit()]
    if len(d) != 9:
        return False
    s = sum(d[i] * (9 - i) for i in range(8)) - d[8]
    return s % 11 == 0


def bsn():
    while True:
        d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        last = sum(d[i] * (9 - i) for i in range(8)) % 11
        if last < 10:
            return "".join(map(str, d + [last]))


def bad_bsn():
    while True:
        d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(8)]
        s = "".join(map(str, d))
        if not bsn_ok(s):
            return s


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in s)


# Generated values, in a fixed order (determinism depends on it).
V = {}
V["gh"] = github_token("ghp_")
V["aws_id"] = aws_key_id()
V["aws_secret"] = aws_secret()
V["mollie"] = "live_" + rand(ALNUM, 30)
V["slack"] = "xoxb-" + rand(string.digits, 11) + "-" + rand(string.digits, 12) + "-" + rand(ALNUM, 24)
V["openai"] = "sk-proj-" + rand(ALNUM + "-_", 58) + "T3BlbkFJ" + rand(ALNUM + "-_", 58)
V["sshkey"] = openssh_private_key()
V["jwt"] = jwt({"sub": "u_20417", "name": "webteam-admin", "role": "admin",
                "iss": "winkel-api", "iat": 1776412800, "exp": 1776413700})
V["gmaps"] = "AIza" + rand(ALNUM + "-_", 35)
V["gh_ci"] = github_token("ghs_")
V["iban_refund"] = nl_iban("INGB")
V["iban_customer"] = nl_iban("BUNQ")
V["iban_payroll"] = nl_iban("ASNB")
V["card_found"] = card("4")
V["card_mc"] = card("52")
V["bsn_found"] = bsn()
V["bad_iban"] = bad_nl_iban("RABO")
V["bad_card_loyalty"] = bad_card("6033")
V["bad_card_visa"] = bad_card("4921")
V["bad_bsn"] = bad_bsn()
V["pub_iban"] = PROFILE["public_identifiers"]["ibans"][0]


# ---------------------------------------------------------------- profile look-ups
def _key(platform, handle):
    return f"{platform}:{handle}".lower()


ROLE = {}
for a in PROFILE["accounts"]["corporate"]:
    ROLE[a.lower()] = "corporate"
for a in PROFILE["accounts"]["employee"]:
    ROLE[a.lower()] = "employee"


def role_of(platform, handle):
    return ROLE.get(_key(platform, handle), "public")


PUBLIC_IBANS = {i.replace(" ", "").upper() for i in PROFILE["public_identifiers"]["ibans"]}
IBAN_LEN = {"NL": 18, "BE": 16, "DE": 22, "FR": 27, "GB": 22, "LU": 20}
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"\b(?:\d{4}[ -]){3}\d{4}\b|\b\d{16}\b")
BSN_RE = re.compile(r"\b\d{9}\b|\b\d{4}\.\d{2}\.\d{3}\b")


def identifiers(text):
    """Yield (kind, value, valid) for every IBAN/card/BSN-shaped token, minus the company's own."""
    for m in IBAN_RE.finditer(text):
        s = m.group(0).replace(" ", "")
        L = IBAN_LEN.get(s[:2])
        if L is None or len(s) < L:
            continue
        s = s[:L]
        if s in PUBLIC_IBANS:
            continue
        yield "iban", s, iban_ok(s)
    for m in CARD_RE.finditer(text):
        yield "card", m.group(0), luhn_ok(m.group(0))
    for m in BSN_RE.finditer(text):
        yield "bsn", m.group(0), bsn_ok(m.group(0))


ORDER = ["none", "info", "warning", "error", "critical"]


def severity(cats, role, text):
    sev = "none"
    strong = any(ok for _, _, ok in identifiers(text))
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                v = "error"
                if c in ("leak.secret", "leak.pricing"):
                    v = "critical"
                if c == "leak.pii" and strong:
                    v = "critical"
            else:
                v = "warning"
        elif c == "reputation.complaint":
            v = "warning"
        elif c == "reputation.crisis":
            v = "error"
        elif c == "reputation.abuse":
            v = "warning" if role == "public" else "error"
        else:
            raise ValueError(c)
        if ORDER.index(v) > ORDER.index(sev):
            sev = v
    return sev


# ---------------------------------------------------------------- case builder
CASES = []
SHORT = {"complaint": "reputation.complaint", "crisis": "reputation.crisis",
         "abuse": "reputation.abuse", "secret": "leak.secret", "pii": "leak.pii",
         "pricing": "leak.pricing", "conf": "leak.confidential",
         "fin": "leak.financial", "sec": "leak.security"}


def rand_time_2026():
    start = dt.datetime(2026, 1, 2, 6, 0, tzinfo=dt.timezone.utc)
    secs = drng.randint(0, int((dt.datetime(2026, 12, 30, 22, 0, tzinfo=dt.timezone.utc) - start).total_seconds()))
    return (start + dt.timedelta(seconds=secs)).strftime("%Y-%m-%dT%H:%M:%SZ")


def P(acct, lang, text, cats="", kind="post", when=None, name=None):
    platform, handle = acct.split(":", 1)
    cats = sorted(SHORT[c] for c in cats.split()) if cats else []
    created = when if when else rand_time_2026()
    idx = len(CASES) + 1
    post = {
        "id": f"{platform}-413{idx:04d}",
        "platform": platform,
        "kind": kind,
        "account": {"handle": handle, "display_name": name or handle.lstrip("@")},
        "text": text,
        "lang": lang,
        "created_at": created,
        "brand": "Vondstwerk",
    }
    if platform == "x":
        post["url"] = f"https://x.com/{handle.lstrip('@')}/status/{drng.randint(10**18, 10**19 - 1)}"
    elif platform == "reddit":
        post["url"] = f"https://www.reddit.com/r/thenetherlands/comments/{rand_id()}/"
    role = role_of(platform, handle)
    CASES.append({"post": post,
                  "expect": {"categories": cats, "severity": severity(cats, role, text)}})


def rand_id():
    return "".join(drng.choice(string.ascii_lowercase + string.digits) for _ in range(7))


# ====================================================================
# COMPLAINTS (public customers, everyday failures of a thrift chain)
# ====================================================================
P("x:@lindavanderhoek", "nl",
  "@vondstwerk_hulp al 3x een afspraak voor het ophalen gemaakt en 3x kwam er niemand opdagen. "
  "Ik heb er een vrije dag voor opgenomen!! Bank staat nog steeds in de gang 😤",
  "complaint", kind="reply")
P("facebook:gerda.hoogland", "nl",
  "Vandaag bij Vondstwerk Amersfoort een hele aanhanger met spullen willen brengen. Nette spullen hoor, "
  "servies, lampen, een kinderstoel. Medewerker kijkt er 2 seconden naar en zegt 'nee dit nemen we niet aan'. "
  "En dan op je site zetten dat je alles graag ontvangt?? Alles weer mee terug naar Leusden.",
  "complaint", name="Gerda Hoogland")
P("x:@dutchexpat_jen", "en",
  "ordered a sideboard on the Vondstwerk webshop, paid extra for delivery, it showed up 9 days late with a "
  "massive scratch across the top that was NOT in the photos. customer service says 'it's second hand, wear "
  "is expected'. wear yes. a 30cm gouge no.",
  "complaint")
P("instagram:@woonmetnoor", "nl",
  "Die chesterfield die ik vorige maand bij jullie kocht stinkt zó erg naar sigarettenrook, krijg het er met "
  "geen mogelijkheid uit. In de winkel niet geroken want daar ruikt alles al muf 🙄 Terugbrengen mag niet "
  "want 'gezien is gekocht'",
  "complaint", kind="comment")
P("reddit:u/fietsenfrits", "en",
  "PSA for anyone in Utrecht: don't bother with the 'refurbished' Stadsvlinder bikes from Vondstwerk. Chain "
  "came off twice in week one, rear light never worked, and the 'garantie' turned out to be 14 days, which "
  "had passed by the time they could fit me in. €179 down the drain.",
  "complaint")
P("x:@mo_ahmadi", "en",
  "Reserved a desk online at Vondstwerk, drove an hour to pick it up and it had just been sold to someone else. "
  "'Sorry, the reservation wasn't in the system.' Brilliant service, really.",
  "complaint")
P("forum:Kringloopjager", "nl",
  "Is het mij of zijn de prijzen bij Vondstwerk de laatste tijd echt absurd? Gewone Billy kast voor 45 euro. "
  "Kringloop was ooit voor mensen met een kleine beurs, nu betaal je bijna nieuwprijs voor andermans afdankertjes.",
  "complaint", kind="comment")
P("x:@saskia_b", "nl",
  "Al 2 weken wachten op m'n geld voor de wasmachine die ik heb teruggebracht. 4x gebeld, elke keer 'het "
  "staat door naar financiën'. Hoe lang nog @vondstwerk_hulp ??",
  "complaint")
P("threads:@emmaklust", "en",
  "Bought the Frisk 250 fridge at Vondstwerk in June. Stopped cooling in August. They'll 'take a look' but "
  "only if I bring it in myself. It's a fridge. I don't own a van. 🙃",
  "complaint")
P("x:@henkiepenkie64", "nl",
  "kassa in Zwolle weer 1 van de 4 open op zaterdagmiddag, rij tot aan de boekenafdeling. 25 min gewacht "
  "voor een lampje van 4 euro. doe er wat aan vondstwerk",
  "complaint")
P("tiktok:@thriftwithkay", "en",
  "storytime: went to vondstwerk for the 'huge sale' from their insta… got there and literally nothing was "
  "discounted and staff had no clue what i was talking about. wasted my whole saturday 💀 #thrifting #vondstwerk",
  "complaint")
P("facebook:joke.mulderbrink", "nl",
  "Cadeaukaart van Vondstwerk gekregen voor mijn verjaardag, wil hem in Deventer gebruiken en ze zeggen dat "
  "hij 'alleen online' geldig is. Staat nergens op de kaart. Erg teleurgesteld, zo geef je toch geen cadeau.",
  "complaint", name="Joke Mulder-Brink")
P("bluesky:@pieterjan.bsky.social", "en",
  "Vondstwerk webshop photos are wildly optimistic. 'Vintage schoolbureau, good condition' turns up with one "
  "leg shorter than the rest and somebody's chewing gum collection underneath. And returning it costs extra. "
  "Great.",
  "complaint")

# first-hand safety incidents: crisis + complaint
P("facebook:marieke.dijkhuis", "nl",
  "Ik wil iedereen waarschuwen. Vorige week bij Vondstwerk een elektrisch kacheltje gekocht, de Gloed 2000. "
  "Gisteravond begon dat ding te smeulen en stond er vlam bij de stekker. Mijn man kon hem net op tijd "
  "uittrekken, de vloer is geschroeid. Met een kleintje in huis! Vondstwerk reageert nog steeds niet op mijn mail.",
  "crisis complaint", name="Marieke Dijkhuis")
P("x:@rvdmeer_", "en",
  "got a proper shock off the Frisk 250 I bought from @vondstwerk last month. touched the door handle and "
  "the sink at the same time and ZAP. electrician says the earth wire was never connected. this is a "
  "'tested' appliance?? hands still tingling",
  "crisis complaint")
P("instagram:@mama.van.drie", "nl",
  "Het beuken ledikant dat we bij Vondstwerk kochten is vannacht ingezakt terwijl onze dochter erin lag. "
  "Bodem schoot los, ze lag half klem tussen de spijlen. Gelukkig alleen een blauwe plek maar ik heb de hele "
  "nacht niet geslapen. Hoe kan dit verkocht worden als 'gecontroleerd'??",
  "crisis complaint")
P("reddit:u/lagunelover", "en",
  "The Lagune hanging chair from Vondstwerk came with their own ceiling hook. Hook snapped after a week with my "
  "wife in it, she landed on her tailbone and we spent the night at the ER. Turns out the hook is rated for 40 kg. "
  "Support just keeps sending me the same form.",
  "crisis complaint")
P("x:@annelies_w", "nl",
  "Bank gekocht bij Vondstwerk Apeldoorn en binnen een week zitten m'n kinderen onder de bulten. Bedwantsen. "
  "Huisarts bevestigt het. Hele huis moet behandeld worden. Jullie controleren echt niks he @vondstwerk",
  "crisis complaint")

# complaint + the customer's own personal data
P("x:@bartjebakker", "nl",
  "@vondstwerk_hulp wacht al 3 weken op terugbetaling van order VW-88213. Bel me gewoon even terug ipv die "
  "standaard DM's: 06-48213377. Groet, Bart Bakker",
  "complaint pii", kind="reply")
P("facebook:sophie.ligthart", "en",
  "Vondstwerk, your pickup crew left a trail of mud through my hallway and broke a picture frame on the way "
  "out. Nobody picks up the phone. Email me back please: sophie.ligthart82@gmail.com, I've been waiting a week.",
  "complaint pii", name="Sophie Ligthart")

# ====================================================================
# CRISIS (third-party news, scandal, boycott, breach accusations, lawsuits)
# ====================================================================
P("x:@rtvoost_regio", "nl",
  "Brandweer rukte dinsdagavond uit voor een woningbrand in Hengelo. Volgens de bewoners ontstond het vuur in "
  "een elektrische kachel die enkele dagen eerder bij kringloopketen Vondstwerk was gekocht. Niemand raakte gewond.",
  "crisis")
P("x:@consumentwaakhond", "nl",
  "BREEKT: Vondstwerk roept alle Gloed 2000-kachels terug die sinds maart zijn verkocht. Klanten wordt "
  "gevraagd het apparaat direct uit het stopcontact te halen. #terugroepactie",
  "crisis")
P("x:@jordy_onderzoekt", "nl",
  "Draadje 🧵 Spullen die je 'voor het goede doel' bij Vondstwerk inlevert gaan per container naar een "
  "opkoper in Polen. Ik heb de vrachtbrieven gezien. Ondertussen staat op elke gevel 'lokaal hergebruik'. "
  "Dit is gewoon misleiding. 1/8",
  "crisis")
P("reddit:u/privacy_first_nl", "en",
  "Ordered once from the Vondstwerk webshop using a unique email alias. Two weeks later that alias gets "
  "phishing mails with my full name and my order number in them. Either they sold my data or they got "
  "breached and aren't telling anyone.",
  "crisis")
P("x:@kringloopvrij", "nl",
  "Boycot Vondstwerk! Vrijwilligers werken er voor niks terwijl de directie zich een bonus van 4 ton "
  "toekent. Breng je spullen naar een échte kringloop. #boycotvondstwerk",
  "crisis")
P("linkedin:arnoud-smeets-advocaten", "nl",
  "Namens elf voormalige vrijwilligers hebben wij vandaag een procedure aanhangig gemaakt tegen Vondstwerk B.V. "
  "Zij verrichtten jarenlang structureel werk zonder arbeidsovereenkomst. Wij vorderen nabetaling van loon.",
  "crisis", name="Arnoud Smeets")
P("threads:@secondhandsally", "en",
  "Heard a kid got hurt at Vondstwerk Nijmegen this afternoon, a wardrobe that wasn't anchored tipped over "
  "in the store. Ambulance and everything. Hope the little one's ok 🙏",
  "crisis")
P("x:@radarfan", "en",
  "Consumer show last night did a whole segment on Vondstwerk selling refurbished washing machines with the "
  "door safety switch bridged out. ACM is looking into it apparently. Yikes.",
  "crisis")
P("tiktok:@groenkritisch", "en",
  "Vondstwerk acts all sustainable but last week we filmed entire sofas going straight into the trash "
  "compactor 🤡 share this so everyone knows #greenwashing #vondstwerk",
  "crisis")
P("x:@boze_burger_ap", "nl",
  "Die graaiers van Vondstwerk verdienen het om failliet te gaan. Stelletje gore uitbuiters. BOYCOT ze, "
  "niemand nog een cent naar die tyfustent.",
  "crisis abuse")

# ====================================================================
# ABUSE (at the company or staff; two from the company's own people)
# ====================================================================
P("x:@gertjan1979", "nl",
  "die dikke kassajuf bij vondstwerk zwolle is echt het domste wijf dat ik ooit ben tegengekomen",
  "abuse")
P("x:@l0ll0lnl", "nl",
  "vondstwerk = k4nk3rz00i. en die k4nk3rl1jers achter die balie kunnen de t1efus krijgen",
  "abuse")
P("instagram:@driesje_d", "nl",
  "k.u.t.b.e.d.r.i.j.f. en die gast met dat paardenstaartje bij de inname mag ook oprotten",
  "abuse", kind="comment")
P("reddit:u/throwaway_angry22", "en",
  "Whoever manages the Vondstwerk Arnhem store is a complete fucking idiot and the staff are lazy morons. "
  "Every last one of them.",
  "abuse", kind="comment")
P("x:@freek_oranje", "nl",
  "Vondstwerk Utrecht neemt alleen nog buitenlanders aan achter de kassa, kan er geen normaal Nederlands meer "
  "praten. Rot toch op naar je eigen land allemaal.",
  "abuse")
P("facebook:ron.vermeulen.77", "nl",
  "Naima van Vondstwerk, jij bent echt een arrogante trut. Ik weet waar je werkt en ik kom je wel even opzoeken.",
  "abuse", kind="comment", name="Ron Vermeulen")
P("x:@koen_vondst", "nl",
  "@henkiepenkie64 ga lekker ergens anders zeiken dan, zeurpiet. hoef je ook niet meer terug te komen",
  "abuse", kind="reply")
P("tiktok:@jeroen.opdezolder", "nl",
  "POV: klant vraagt voor de 5e keer of er 'nog wat af kan' 🙄 lieve mensen dit is een kringloop, geen "
  "Turkse bazaar. Sommige klanten zijn echt achterlijk 🤡 #kringloopleven",
  "abuse")
P("bluesky:@mattvw.bsky.social", "en",
  "vondstwerk customer service is staffed by brain-dead clowns. every single one of them. useless pricks",
  "abuse")
P("youtube:@RestauratieRik", "nl",
  "Wat een stelletje prutsers bij Vondstwerk. Die 'restauratie' van dat dressoir in jullie filmpje is om te "
  "janken. Klungels, sukkels, blijf er met je poten vanaf.",
  "abuse", kind="comment")
P("mastodon:@grumpydev@mastodon.social", "en",
  "The people running @vondstwerk are scum. Absolute scum. Stop shoving your shitty ads in my feed.",
  "abuse")

# ====================================================================
# CONFIDENTIAL (codenames, internal hosts, markers, embargoed terms)
# ====================================================================
P("x:@marloes_vw", "en",
  "Full day offsite with the leadership team on Operatie Spinnenweb. Brain is fried but what energy! 💪 #vondstwerk",
  "conf")
P("linkedin:ruben-de-wit-vondstwerk", "en",
  "Proud to be leading the Lantaarnvis team: we're rebuilding our whole web shop and checkout from scratch. "
  "Can't say much yet, but stay tuned 👀 #ecommerce #circulareconomy",
  "conf", name="Ruben de Wit")
P("instagram:@ilse.restaureert", "nl",
  "Sneak peek van wat we voor Meubelabo aan het opknappen zijn 🤫 meer mag ik echt nog niet zeggen!",
  "conf", when="2026-11-14T15:12:40Z")
P("x:@sjoerd_kassa", "nl",
  "weet iemand waarom intranet.vondstwerk.local het vanaf thuis niet doet? moet m'n rooster checken",
  "conf")
P("linkedin:naima-bouzid", "en",
  "Proud of what the stores pulled off this month. Straight from our ops sheet (vondstwerk intern): donation "
  "intake week 23: Amersfoort 14.2 t, Zwolle 11.8 t, Deventer 9.1 t. Incredible.",
  "conf", name="Naima Bouzid")
P("facebook:Henk.Verbeek.Vondstwerk", "nl",
  "Voor de collega's die het zochten: de uitleg over retouren staat op wiki.vondstwerk.nl/kassa/retouren 👍",
  "conf", name="Henk Verbeek")
P("x:@koen_vondst", "en",
  "can't wait for Project Houtworm to go public. gonna shake up the whole second-hand scene in the east 🤐",
  "conf")
P("reddit:u/kringloopinsider", "en",
  "A friend at Vondstwerk showed me the Meubelabo plan: rent vintage furniture per month instead of buying it. "
  "Supposedly launching very soon.",
  "conf", when="2027-01-12T20:41:03Z")
P("mastodon:@d.kuipers@mastodon.nl", "en",
  "Question for devs: our stock sync runs on git.vondstwerk.nl/lantaarnvis/sync and the Marktplaats webhooks "
  "keep arriving twice. Anyone seen that before? DMs open",
  "conf")
P("bluesky:@lotte-winkel.bsky.social", "en",
  "so happy I get to join " + fullwidth("Project Houtworm") + " 🥳 full-time from monday!!",
  "conf")
P("tiktok:@jeroen.opdezolder", "nl",
  "Achter de schermen bij \u041eperatie Spinnenweb… meer kan ik echt niet laten zien 😅 #werkvlog",
  "conf")
P("linkedin:vondstwerk-bv", "nl",
  "Wij zoeken een projectleider Meubelabo (32–40 uur) die ons nieuwe abonnementsmodel mee uitrolt. "
  "Solliciteer via werkenbij@vondstwerk.nl",
  "conf", when="2026-12-08T08:30:00Z", name="Vondstwerk")
P("x:@vondstwerk_hulp", "nl",
  "@saskia_b excuses! je retour staat bij ons als 'in behandeling', zie kassa.vondstwerk.local/retour/44102. "
  "We zetten er een spoedje op.",
  "conf", kind="reply")

# confidential + financial
P("x:@marloes_vw", "nl",
  "Net de jaarcijfers 2026 doorgenomen met de RvC: omzet 48,3 mln, verlies gehalveerd. Volgende week pas naar "
  "buiten, maar ik ben zó trots op dit team 🥹",
  "conf fin", when="2027-02-26T17:05:22Z")
P("linkedin:naima-bouzid", "en",
  "Big week. Project Houtworm is signed: we're acquiring Kringloop De Zilverreiger and all 9 of its stores, "
  "announcement planned for January. Can't believe I get to work on this.",
  "conf fin", when="2026-11-20T19:48:10Z", name="Naima Bouzid")

# security + confidential
P("x:@sjoerd_kassa", "nl",
  "kassa.vondstwerk.local ligt er al sinds 8 uur uit in álle filialen, IT mompelt iets over ransomware op de "
  "server 😬 we schrijven alles met de hand op. niet doorvertellen he",
  "sec conf")
P("mastodon:@d.kuipers@mastodon.nl", "en",
  "Fun discovery at work: vpn.vondstwerk.nl still accepts the old shared admin account nobody has rotated "
  "since 2023. Reported it four months ago. Still open. Love it here.",
  "sec conf")

# ====================================================================
# FINANCIAL (unpublished results, forecasts, deals, closures, layoffs)
# ====================================================================
P("x:@koen_vondst", "nl",
  "Hoorde net op de regiodag dat Deventer, Emmen en Hoogeveen volgend jaar dichtgaan. Ruim 60 man eruit. "
  "Officieel weet nog niemand het. Balen.",
  "fin")
P("linkedin:ruben-de-wit-vondstwerk", "en",
  "Interesting times: our Q3 online revenue landed 38% above plan. Numbers go to the board next Tuesday, "
  "before we report anything. Second-hand e-commerce is real, people!",
  "fin", name="Ruben de Wit")
P("facebook:Henk.Verbeek.Vondstwerk", "nl",
  "Vanaf 1 april wordt de hele ophaaldienst uitbesteed aan een extern bedrijf, is ons vanmiddag verteld. "
  "Wij krijgen 'een passend aanbod'. Ja ja.",
  "fin", name="Henk Verbeek")
P("x:@marloes_vw", "en",
  "Forecast for 2027 looks rough. Finance is projecting a loss of roughly 2 million unless we cut store hours. "
  "Not official yet but ugh.",
  "fin")
P("reddit:u/vw_ex_medewerker", "en",
  "Hearing from ex-colleagues that Vondstwerk is in talks with Brabants Groeifonds about selling a majority "
  "stake. Supposed to be signed this month.",
  "fin", kind="comment")
P("bluesky:@lotte-winkel.bsky.social", "nl",
  "Loonsverhoging gaat dit jaar niet door, overleg afgeblazen omdat de halfjaarcijfers 'tegenvallen' "
  "(-9% omzet). Vandaag van m'n manager gehoord, staat nog nergens.",
  "fin")
P("x:@sjoerd_kassa", "en",
  "rumour from the break room is confirmed: CFO is out end of the month and they're merging the two regional "
  "offices. 25 jobs gone in Apeldoorn.",
  "fin")
P("tiktok:@jeroen.opdezolder", "nl",
  "ff een update voor jullie: onze winkel in Emmen gaat 31 maart dicht, de collega's horen het morgen pas 🤫 "
  "weet het via m'n teamleider",
  "fin")
P("linkedin:femke-oosterhuis-finance", "en",
  "Closing the books on Q2: EBITDA margin at 4.1%, well below the 7% we promised the bank. Long nights ahead. "
  "#finance #retail",
  "fin", name="Femke Oosterhuis")
P("x:@beursroddel", "nl",
  "Volgens mijn bron bij Vondstwerk gaat het bedrijf z'n webshoptak verkopen aan een groot online platform. "
  "Deal is rond, aankondiging over twee weken.",
  "fin")

# ====================================================================
# SECURITY (insiders letting slip incidents, holes, outages)
# ====================================================================
P("x:@koen_vondst", "en",
  "card terminals in Zwolle, Deventer and Apeldoorn down since this morning, cash only. head office doesn't "
  "want us saying why but it's a hack at the payment supplier",
  "sec")
P("linkedin:ruben-de-wit-vondstwerk", "en",
  "Lesson learned this week: a phishing mail got three of our finance colleagues to type in their passwords, "
  "and the attacker sat in those mailboxes for two days before we noticed. We haven't told customers yet, but…",
  "sec", name="Ruben de Wit")
P("mastodon:@d.kuipers@mastodon.nl", "nl",
  "Onze webshop heeft een IDOR: ordernummer in de URL ophogen en je ziet andermans naam, adres en "
  "telefoonnummer. Al 6 weken gemeld, nog steeds niet gefixt. Ik zeg verder niks 🙃",
  "sec")
P("x:@sjoerd_kassa", "nl",
  "backups van het voorraadsysteem draaien al 3 weken niet en niemand die het oppakt. als die server nu "
  "omvalt zijn we alles kwijt lol",
  "sec")
P("instagram:@ilse.restaureert", "nl",
  "Kan vandaag geen bestellingen inpakken, de hele webshop ligt er sinds gisteravond uit en IT weet nog niet "
  "wat het is. Klanten weten van niks 🙈",
  "sec")
P("bluesky:@lotte-winkel.bsky.social", "en",
  "someone got into our shared store instagram login last night and posted crypto ads before we deleted them. "
  "management says 'don't mention it' lol",
  "sec")
P("reddit:u/it_contractor_oost", "en",
  "Did some network work for a regional thrift chain (Vondstwerk, you all know them). Their guest Wi-Fi sits on "
  "the same network as the card terminals. Told them in September. Nothing has changed.",
  "sec", kind="comment")
P("x:@marloes_vw", "en",
  "Really unpleasant: yesterday a laptop with customer data from our pickup crews was stolen out of one of "
  "the vans. Unencrypted 😬 legal is on it.",
  "sec")
P("facebook:Henk.Verbeek.Vondstwerk", "nl",
  "Het camerasysteem van de winkel in Apeldoorn hangt gewoon open op internet met admin/admin, zegt m'n neef "
  "die er verstand van heeft. Al aan de baas doorgegeven maar er gebeurt niks.",
  "sec", name="Henk Verbeek")
P("linkedin:femke-oosterhuis-finance", "en",
  "Quick heads-up for my network: if you got an invoice from 'Vondstwerk' this week asking you to pay to a new "
  "bank account, that came through our compromised supplier portal. Still investigating, nothing announced yet.",
  "sec", name="Femke Oosterhuis")
P("x:@kassa_anoniem", "nl",
  "Werk bij Vondstwerk (anoniem account ja). Sinds maandag kan iedereen met code 0000 op elke kassa inloggen "
  "als manager. 'Tijdelijk' zeggen ze.",
  "sec")

# ====================================================================
# SECRETS
# ====================================================================
P("mastodon:@d.kuipers@mastodon.nl", "en",
  f"anyone know why this 404s? curl -H 'Authorization: token {V['gh']}' "
  "https://api.github.com/repos/vondstwerk-dev/voorraad",
  "secret")
P("linkedin:ruben-de-wit-vondstwerk", "en",
  "Setting up our nightly export on AWS, loving it so far. Config for the curious:\n"
  f"aws_access_key_id = {V['aws_id']}\naws_secret_access_key = {V['aws_secret']}\nregion = eu-west-1",
  "secret", name="Ruben de Wit")
P("x:@sjoerd_kassa", "nl",
  "voor wie vanavond sluitdienst heeft: nieuw wachtwoord van de kluis-pc is Kringl00p!2026 "
  "(niet aan klanten geven haha)",
  "secret")
P("bluesky:@lotte-winkel.bsky.social", "nl",
  "collega's, de gedeelde insta-login is veranderd:\ngebruiker: vondstwerk.kringloop\n"
  "wacht\u200bwoord: Zolder#Vondst_88",
  "secret")
P("x:@koen_vondst", "en",
  f"why does mollie keep rejecting my call?? using {V['mollie']} as the api key, docs say that's right",
  "secret")
P("x:@marloes_vw", "en",
  f"Can someone check if the bot for the store channels still works? token: {V['slack']}",
  "secret")
P("x:@yusuf_webteam", "en",
  "our AI product descriptions for the webshop are live!! 🤖 for the devs asking how:\n"
  f"OPENAI_API_KEY={V['openai']}",
  "secret")
P("mastodon:@d.kuipers@mastodon.nl", "nl",
  "Waarom weigert de deploy-server deze key?? permissies staan op 600\n" + V["sshkey"],
  "secret")
P("x:@yusuf_webteam", "en",
  f"admin API token expires way too fast, anyone? Authorization: Bearer {V['jwt']}",
  "secret")
P("reddit:u/stagiair_2026", "nl",
  "Loop stage bij een kringloopketen (Vondstwerk) en de database-URL staat gewoon in de README: "
  "postgresql://vw_app:Zomer2026!vw@10.20.4.15:5432/voorraad   is dit normaal??",
  "secret")
P("threads:@vondstwerk.kringloop", "nl",
  "Nieuw op onze site: de winkelzoeker 🗺️ vind je dichtstbijzijnde Vondstwerk! "
  f"(dev: maps key = {V['gmaps']})",
  "secret")
P("x:@yusuf_webteam", "en",
  "finally the new POS database is up 🎉 note to self:\n"
  "DATABASE_URL=postgres://kassa_admin:Vw8!kQz3rT@db.vondstwerk.local:5432/kassa",
  "secret conf")

# ====================================================================
# PERSONAL DATA
# ====================================================================
P("x:@vondstwerk_hulp", "nl",
  "@gerda_h Sorry voor het ongemak! We hebben uw gegevens doorgezet: Gerda Hoogland, Bergweg 14, 3832 AB "
  "Leusden, tel. +31 6 2194 7730. De ophaalploeg belt u morgen.",
  "pii", kind="reply")
P("facebook:VondstwerkKringloop", "nl",
  f"Beste mevrouw De Graaf, uw retourbedrag is vandaag teruggestort op {spaced(V['iban_refund'])} "
  "t.n.v. M. de Graaf. Excuses voor het lange wachten!",
  "pii", kind="comment", name="Vondstwerk Kringloop")
P("x:@koen_vondst", "en",
  f"Customer left their credit card at the Deventer store, number {spaced(V['card_found'])} valid till 08/28. "
  "Missing it? Call the shop!",
  "pii")
P("linkedin:naima-bouzid", "en",
  "Proud of our newest colleague! Welcome Daan Verhoef (born 12-03-1998), starting Monday as team lead in "
  "Amersfoort 🎉",
  "pii", name="Naima Bouzid")
P("instagram:@ilse.restaureert", "nl",
  "In deze secretaire vonden we een envelop met een oude loonstrook, naam en BSN er gewoon op: J.W. Kramer, "
  f"BSN {V['bsn_found']}. Mensen, check je laatjes voordat je iets inlevert!!",
  "pii")
P("x:@tinekevdb", "nl",
  "Hoi @vondstwerk, ik wil een bankstel laten ophalen. Adres: Tineke van den Berg, Kerkstraat 88, 7411 HT "
  "Deventer, tel 0570-612384. Wanneer kunnen jullie?",
  "pii")
P("facebook:ahmet.yildiz.nl", "en",
  f"@vondstwerk_hulp as asked in the form, here's my account for the refund: {V['iban_customer']}, "
  "name Ahmet Yildiz, order VW-77120. thanks!",
  "pii", kind="comment", name="Ahmet Yildiz")
P("reddit:u/verzamelaar_hans", "nl",
  "Zoek degene die vorige week bij Vondstwerk Apeldoorn die notenhouten secretaire kocht, wil 'm graag "
  "overnemen. Mail hans.terpstra [at] ziggo [dot] nl of app 0031 6 3092 4418",
  "pii")
P("x:@sjoerd_kassa", "nl",
  "die klant die vanmiddag die scene maakte heet gewoon Richard Bos, Vechtstraat 3 in Zwolle, staat in de "
  "bezorglijst 😂",
  "pii")
P("instagram:@vondstwerk.kringloop", "en",
  "Congrats to our giveaway winner 🎉 Lisa Hendriks, we'll drop your new hanging chair off at Oranjesingel 21, "
  "Nijmegen this Friday!",
  "pii")
P("linkedin:femke-oosterhuis-finance", "en",
  "Wrong window, sorry all 🙈 For payroll: correction for Emre Kaya, transfer €412,50 to "
  f"{spaced(V['iban_payroll'])} before Friday.",
  "pii", name="Femke Oosterhuis")
P("tiktok:@kringloopkoningin", "nl",
  "haha vond een oude agenda in een kast bij vondstwerk met iemands hele leven erin. Anja de Wit, geboren "
  "4 mei 1961, Prinsenweg 9 Amersfoort 📖 zal ik haar opzoeken??",
  "pii")
P("x:@noobshopper99", "en",
  f"@vondstwerk_hulp hi! can I use this card in the store too or only online? {V['card_mc']} exp 11/27, "
  "it's a mastercard from my bank",
  "pii", kind="reply")

# ====================================================================
# PRICING
# ====================================================================
P("x:@vondstwerk", "nl",
  "🔥 WEEKENDDEAL 🔥 Chesterfield bank 3-zits nu voor maar €49,50! Alleen zaterdag, in alle filialen. "
  "#vondstwerk #kringloop",
  "pricing")
P("x:@dealjager_nl", "nl",
  "PRIJSFOUT bij Vondstwerk webshop: Frisk 250 koelkast voor €22,90 ipv €229. Snel zijn!! 🏃‍♂️ #prijsfout",
  "pricing")
P("x:@koen_vondst", "nl",
  "jongens in het systeem staat het teak dressoir op €42,50 ipv 425, iemand is een 0 vergeten 😂 wie het eerst komt",
  "pricing")
P("reddit:u/bargainbas", "en",
  "Vondstwerk site is listing the Deense eetkamerstoelen (set of 4) at €28. Either a pricing error or the deal "
  "of the century. Ordered 2 sets, let's see if they honour it.",
  "pricing")
P("facebook:VondstwerkKringloop", "nl",
  "Nieuw binnen! Massief houten bed 160x200, vandaag €29 🛏️ Op = op!",
  "pricing", name="Vondstwerk Kringloop")
P("x:@koopjeskoning", "nl",
  "p r i j s f o u t bij Vondstwerk: Atelier vloerlamp voor €8,90 😱 link in bio",
  "pricing")
P("tiktok:@hauls_by_hanna", "en",
  "ran to vondstwerk bc the app showed the Lagune hangstoel for €15.90 instead of 159 😭 and they honoured "
  "it!!! #thrifthaul",
  "pricing")
P("instagram:@ilse.restaureert", "nl",
  "Vandaag bij ons in Amersfoort: de cognac fauteuil voor €19! Ja echt, vraag niet hoe 🤭",
  "pricing")
P("linkedin:naima-bouzid", "en",
  "Anyone else having a crazy Monday? Our web shop had a price error on the Spoel 7 washing machines all "
  "weekend and we're now cancelling 140 orders.",
  "pricing", name="Naima Bouzid")
P("bluesky:@sanne-koopt.bsky.social", "en",
  "Anyone want a barok spiegel? Vondstwerk.nl has them for €14,50, must be a glitch but I just ordered "
  "two 🤷‍♀️",
  "pricing")
P("facebook:koopjes.oost.nederland", "nl",
  "Cadeaukaart 50 van Vondstwerk voor €5 in de webshop!! Prijsfout? Gauw bestellen voordat ze het zien.",
  "pricing", name="Koopjes Oost-Nederland")
P("x:@vondstwerk_hulp", "en",
  "@mo_ahmadi you're right, the notenhouten secretaire had a price error on the site (€27,50). "
  "It's been corrected now, sorry!",
  "pricing", kind="reply")

# ====================================================================
# BENIGN — mostly hard negatives
# ====================================================================
P("x:@vondstwerk", "nl",
  "Zaterdag 20% korting op alle fauteuils, ook op de cognac fauteuil (nu €188). Tot dan! 🛋️")
P("instagram:@vondstwerk.kringloop", "nl",
  "Onze restaurateurs hebben deze eiken eettafel 180 weer helemaal tot leven gewekt 😍 Nu te koop voor €349 "
  "in Amersfoort.")
P("x:@happyhome_fien", "en",
  "Shoutout to the crew at Vondstwerk Deventer! Helped me lift the chesterfield into my car and gave me tips "
  "on caring for the leather ❤️")
P("x:@studentjesse", "en",
  "Scored a whole stack of plates for 4 euros at Vondstwerk, the student house is thrilled 😂")
P("reddit:u/newinzwolle", "en",
  "Does anyone know if Vondstwerk in Zwolle takes old washing machines? Mine still works fine, just upgrading.")
P("x:@vondstwerk_hulp", "nl",
  "@newinzwolle Hoi! Ja, werkend witgoed nemen we graag aan. Plan het ophalen via ophalen@vondstwerk.nl of "
  "bel gratis 0800-8637.", kind="reply")
P("facebook:VondstwerkKringloop", "nl",
  f"Wil je ons buurtfonds steunen? Doneren kan op {spaced(V['pub_iban'])} t.n.v. Vondstwerk B.V. o.v.v. "
  "'buurtfonds'. Dank je wel! 💚", name="Vondstwerk Kringloop")
P("x:@annadekoning", "en",
  f"@vondstwerk_hulp got an email telling me to pay for my order to {spaced(V['bad_iban'])}, is that "
  "really you? Seems a bit dodgy.", kind="reply")
P("x:@spaarzame_sien", "nl",
  f"Mijn klantenpasnummer bij Vondstwerk is {spaced(V['bad_card_loyalty'])}, krijg ik dan echt 10% op "
  "woensdag of is dat alleen voor 65+?")
P("forum:BonnetjesBert", "nl",
  f"Op mijn bon van Vondstwerk staat bovenaan 'ref {V['bad_bsn']}'. Heb ik die nodig als ik wil ruilen?",
  kind="comment")
P("x:@yusuf_webteam", "en",
  "Reminder for the new devs: never paste real keys in tickets. Use the doc placeholders like "
  "AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY in examples.")
P("mastodon:@d.kuipers@mastodon.nl", "nl",
  "Tip: haal je logs door een filter voor je ze ergens plakt. Bij ons stond er gelukkig al "
  "'Authorization: Bearer sk_live_****************' in, netjes gemaskeerd.")
P("x:@yusuf_webteam", "en",
  "The example .env in our repo just says GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx, the real one "
  "lives in the vault 🔐 please keep it that way")
P("x:@opa_gerrit", "nl",
  "Hoe verander ik het wachtwoord van mijn Vondstwerk account? Kan de knop niet vinden, ben niet zo handig "
  "met die dingen 😅")
P("linkedin:vondstwerk-bv", "nl",
  "Vandaag publiceren wij onze jaarcijfers 2026: een omzet van €48,3 miljoen en een halvering van het verlies. "
  "Het volledige verslag staat op vondstwerk.nl/investeerders.",
  when="2027-03-05T09:00:00Z", name="Vondstwerk")
P("instagram:@vondstwerk.kringloop", "nl",
  "Hij is er! 🎉 Met Meubelabo huur je vintage meubels per maand. Alles over het Vondstwerk Thuisabo op "
  "vondstwerk.nl/abo", when="2027-01-20T10:00:00Z")
P("x:@marloes_vw", "nl",
  "Wat een dag gisteren, de jaarcijfers 2026 zijn eruit en de reacties zijn zo positief 🥹 Dank aan iedereen!",
  when="2027-03-06T08:14:51Z")
P("x:@wooncritica", "en",
  "Tried the Meubelabo thing from Vondstwerk: €39 a month for a sofa plus a table. Honestly not bad?",
  when="2027-02-02T12:33:09Z")
P("x:@retailnieuws", "nl",
  "Woonwarenhuis Vanderlinde schrapt 200 banen en sluit zes vestigingen. Kringloopketens als Vondstwerk zien "
  "juist meer klanten, zeggen analisten.")
P("x:@techredactie", "en",
  "Big data breach at marketplace Tweedekans.nl: 1.2 million accounts exposed. Thrift chains such as Vondstwerk "
  "say they use separate systems and are not affected.")
P("x:@saskia_b", "nl",
  "Update: geld voor de wasmachine staat er eindelijk op. Netjes opgelost door @vondstwerk_hulp uiteindelijk, dank!")
P("facebook:truus.hendriks", "nl",
  "Wat verschrikkelijk om te lezen van die brand in Hengelo. Veel sterkte voor de familie 🙏",
  kind="comment", name="Truus Hendriks")
P("x:@grappigegerard", "nl",
  "Vrouw zegt dat ik een verzamelwoede heb. Ik zeg: pas een probleem als Vondstwerk mij komt ophalen 😂")
P("x:@vintagevera", "en",
  "this teak dressoir from vondstwerk is absolutely killing it in my living room 😍🔥 worth every cent of the €425")
P("tiktok:@thriftwithkay", "en",
  "vondstwerk haul!! the Atelier floor lamp is SICK, brass is so in rn. 10/10 would thrift again #vondstwerk")
P("instagram:@woonmetnoor", "nl",
  "Oké ik ben om, die Lagune hangstoel is echt de bom 💣 hangt nu in de serre", kind="comment")
P("x:@kringloopliefde", "en",
  "Sunday thrift round: Vondstwerk Apeldoorn had three school desks, a whole crate of LPs and the cutest "
  "lamps today. #secondhand #thrifting")
P("linkedin:vondstwerk-bv", "nl",
  "Wij zoeken een chauffeur voor onze ophaaldienst in regio Zwolle (32 uur). Interesse? Mail werkenbij@vondstwerk.nl",
  name="Vondstwerk")
P("x:@vondstwerk", "nl",
  "Journalisten kunnen met vragen terecht bij pers@vondstwerk.nl of +31 30 760 4400.")
P("instagram:@ilse.restaureert", "nl",
  "Van rommelzolder naar pronkstuk ✨ Deze barok spiegel had drie lagen verf, nu weer goud. Zo blij met dit vak.")
P("linkedin:naima-bouzid", "en",
  "5 years at Vondstwerk today! From cashier in Deventer to regional manager. Grateful for this team and for "
  "every donation that gets a second life.", name="Naima Bouzid")
P("linkedin:ruben-de-wit-vondstwerk", "en",
  "Good read on password hygiene for small retailers. We ran a phishing awareness session for all store staff "
  "last month and I can only recommend it.", name="Ruben de Wit")
P("x:@bezorgdeklant", "en",
  "Is it safe to pay online at Vondstwerk with iDEAL? I see the padlock in the browser so I assume it is.")
P("x:@tuinman_toon", "nl",
  "Houtworm in m'n oude eikenhouten kast ontdekt 😩 iemand tips? Of gaat ie gewoon naar de Vondstwerk?")
P("x:@schoonmaakqueen", "nl",
  "Halve zolder leeg gehaald voor Vondstwerk, spinnenwebben in m'n haar, stof overal, maar het voelt zó goed 😅")
P("instagram:@balkonbea", "en",
  "Picked up an old lantern and a glass fish for the balcony at Vondstwerk yesterday 🐟✨")
P("linkedin:femke-oosterhuis-finance", "en",
  "We're hiring an internal auditor for our finance team in Amersfoort. Apply via werkenbij@vondstwerk.nl.",
  name="Femke Oosterhuis")
P("x:@vondstwerk_hulp", "nl",
  "@tinekevdb Dank je! Deel je adres liever niet openbaar, stuur het even via DM. We gaan vertrouwelijk met je "
  "gegevens om 🙂", kind="reply")
P("x:@budgetbianca", "en",
  "Frisk 250 at Vondstwerk for €229 with 6 months warranty, or a brand new one for 600 at the electronics "
  "store. Decisions decisions…")
P("facebook:VondstwerkKringloop", "nl",
  "Alleen deze week: 30% korting op al het refurbished witgoed! Spoel 7 wasmachine nu €181, Frisk 250 koelkast "
  "nu €160.", name="Vondstwerk Kringloop")
P("x:@vondstwerk", "en",
  "Student deal 🎓 10% off with your student card, e.g. the grenen boekenkast for €107 instead of €119. "
  "Also online at winkel.vondstwerk.nl")
P("x:@cadeautjesclaire", "nl",
  "Cadeaukaart 50 van Vondstwerk gegeven aan m'n zus, ze was er superblij mee 🎁")
P("x:@vondstwerk_hulp", "nl",
  "@verhuisdmarco De ophaalservice kost €39 per rit binnen de regio, boeken kan via de site.", kind="reply")
P("x:@dealjager_nl", "nl",
  "Prijsfout bij een grote webwinkel: airfryer voor €9,99. Alweer weg helaas.")
P("x:@fietsfanaat", "en",
  "That Stadsvlinder from Vondstwerk rides like a dream, my old bike was a wreck compared to this.")
P("x:@jamie_in_ams", "en",
  "vondstwerk always has the best mid-century stuff. scored a set of danish chairs for my flat and the guy at "
  "the counter even threw in a lamp 😍")
P("reddit:u/zwollenaar", "nl",
  "Weet iemand of die nieuwe Vondstwerk aan de Grote Voort al open is? Vorige week hing er nog een bord 'binnenkort'.",
  kind="comment")
P("linkedin:vondstwerk-bv", "en",
  "In 2025 we gave 1.8 million items a second life across our 14 stores. The full impact report is on our website.",
  name="Vondstwerk")
P("x:@brandweerfan_amf", "en",
  "Fire drill at Vondstwerk Amersfoort this morning, everyone outside in 3 minutes. Nice job by the staff 👏")
P("x:@livingwithlou", "en",
  "the shock when I saw the Chesterfield bank 3-zits at Vondstwerk for €495, that's a third of what it costs new!!")
P("x:@productwaarschuwing", "nl",
  "Terugroepactie: babymerk Kidzz roept de kinderstoel Hoppa terug wegens valgevaar. Kringlopen zoals Vondstwerk "
  "halen ze ook uit de schappen, goed bezig.")
P("facebook:wilma.dejong.55", "nl",
  "Klacht ingediend over een kapotte poot van mijn eettafel, binnen 2 dagen stond er iemand met een nieuwe. "
  "Zo hoort het! Dankjewel Vondstwerk.", name="Wilma de Jong")
P("x:@buurtapp_zwolle", "nl",
  "Spullen over na de verhuizing? Vondstwerk haalt op, bel 0800-8637 of mail ophalen@vondstwerk.nl")
P("instagram:@vondstwerk.kringloop", "nl",
  "Deze week in het zonnetje: vrijwilliger Gerard (78!) die al 12 jaar elke dinsdag de boekenhoek bijhoudt 📚💚")
P("x:@vondstwerk", "nl",
  "Nieuwe winkel! Vanaf 1 juni vind je ons ook aan de Hanzeweg 12 in Deventer. Open ma–za 10–17.")
P("linkedin:femke-oosterhuis-finance", "en",
  "Our annual report 2025 is out. Proud of the team that made the audit go so smoothly. Read it at "
  "vondstwerk.nl/jaarverslag.", name="Femke Oosterhuis")
P("x:@homehacks_ella", "en",
  "Thrift hack: Vondstwerk restocks furniture on Tuesday mornings. Go early, thank me later 😉")
P("x:@confused_tourist", "en",
  f"Does Vondstwerk take foreign cards? mine is {spaced(V['bad_card_visa'])}, oh wait, probably shouldn't post "
  "that lol. Visa ok?")
P("youtube:@VondstwerkTV", "nl",
  "Nieuwe video: zo schuur je een eiken eettafel 180 zelf op zonder de patina te verliezen. Veel kijkplezier! 🎬")
P("tiktok:@vondstwerk", "en",
  "Guess the price 👀 this messing vloerlamp left the store today for €89. Would you have bought it? #thriftfind")
P("threads:@minimalmira", "en",
  "Donated three boxes of books and a desk to Vondstwerk today. Feels good to declutter and know someone else "
  "will love them.")


# ---------------------------------------------------------------- shuffle, number, write
random.Random(SEED + 2).shuffle(CASES)
for n, c in enumerate(CASES, 1):
    c["post"]["id"] = f"{c['post']['platform']}-413{n:04d}"

OUT = os.path.join(HERE, "cases.jsonl")
with open(OUT, "w", encoding="utf-8") as fh:
    for c in CASES:
        fh.write(json.dumps(c, ensure_ascii=False) + "\n")


# ---------------------------------------------------------------- self-check
def check():
    errors = []

    def err(cid, msg):
        errors.append(f"{cid}: {msg}")

    CATS = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"}
    PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
                 "mastodon", "bluesky", "threads", "forum", "blog", "other"}
    KINDS = {"post", "reply", "repost", "comment", "message"}
    RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")

    def ts(s):
        return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))

    def norm(s):
        s = unicodedata.normalize("NFKC", s)
        s = re.sub("[\u200b\u200c\u200d\u2060\ufeff]", "", s)
        s = s.translate(str.maketrans("АВЕКМНОРСТХаеорсху\u0456", "ABEKMHOPCTXaeopcxyi"))
        return s.lower()

    products = [(a.lower(), p["list_price"]) for p in PROFILE["products"]
                for a in [p["name"]] + p["aliases"]]
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    AMOUNT = re.compile(r"€\s?(\d+(?:[.,]\d{1,2})?)|(\d+(?:[.,]\d{1,2})?)\s?(?:euro|eur)\b")

    def low_prices(text):
        t = norm(text)
        hits = []
        for alias, lp in products:
            for m in re.finditer(re.escape(alias), t):
                window = t[m.end():m.end() + 60]
                for a in AMOUNT.finditer(window):
                    val = float((a.group(1) or a.group(2)).replace(",", "."))
                    if val < ratio * lp:
                        hits.append((alias, val))
        return hits

    PRICE_ERR = re.compile(r"prijs\s*fout|price error|pricing error|prijsfoutje")

    def spaced_out(t):
        return re.sub(r"(?<=\b\w) (?=\w\b)", "", t)

    internal_terms = [x.lower() for x in PROFILE["internal"]["domains"] + PROFILE["internal"]["codenames"]
                      + PROFILE["internal"]["markers"]]
    embargo = [(t.lower(), ts(e["until"])) for e in PROFILE["embargo"] for t in e["terms"]]

    SECRET_RES = [re.compile(p) for p in [
        r"\bgh[pousr]_[0-9A-Za-z]{36}\b", r"\bAKIA[A-Z2-7]{16}\b", r"\blive_[0-9A-Za-z]{30}\b",
        r"\bxox[bpas]-\d+-\d+-[0-9A-Za-z]+", r"\bsk-proj-[0-9A-Za-z_-]{40,}", r"-----BEGIN [A-Z ]*PRIVATE KEY-----",
        r"\beyJ[0-9A-Za-z_-]+\.eyJ[0-9A-Za-z_-]+\.[0-9A-Za-z_-]+", r"\bAIza[0-9A-Za-z_-]{35}\b",
        r"\b[a-z]+(?:ql)?://[^\s:/@]+:[^\s@]+@",
        r"(?:wachtwoord|password)\b[^\n]{0,30}?(?:\bis\b|:)\s*\S+"]]

    ids = set()
    lines = open(OUT, encoding="utf-8").read().splitlines()
    counts = {}
    langs = {}
    benign = 0
    for ln in lines:
        c = json.loads(ln)
        if set(c) != {"post", "expect"}:
            err("?", "top-level keys")
        p, e = c["post"], c["expect"]
        cid = p.get("id")
        if not isinstance(cid, str) or not 1 <= len(cid) <= 256 or cid in ids:
            err(cid, "bad or duplicate id")
        ids.add(cid)
        for f in ("platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                err(cid, f"missing {f}")
        if p["platform"] not in PLATFORMS:
            err(cid, "platform")
        if p.get("kind", "post") not in KINDS:
            err(cid, "kind")
        if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str):
            err(cid, "account.handle")
        if len(p["text"].encode("utf-8")) > 65536:
            err(cid, "text too large")
        if not RFC3339.match(p["created_at"]):
            err(cid, "created_at")
        when = ts(p["created_at"])
        if not (dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) <= when < dt.datetime(2027, 4, 1, tzinfo=dt.timezone.utc)):
            err(cid, "created_at out of range")
        if when.year == 2027 and not any(t in norm(p["text"]) for t, _ in embargo):
            err(cid, "2027 date without embargo term")
        cats = e["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= CATS:
            err(cid, "categories")
        role = role_of(p["platform"], p["account"]["handle"])
        if e["severity"] != severity(cats, role, p["text"]):
            err(cid, "severity does not follow policy")
        for cat in cats:
            counts[cat] = counts.get(cat, 0) + 1
        langs[p["lang"]] = langs.get(p["lang"], 0) + 1
        if not cats:
            benign += 1
            if e["severity"] != "none":
                err(cid, "benign severity")
        text = p["text"]
        t = norm(text)
        # checksums: positives pass, look-alikes in negatives fail
        for kind, val, ok in identifiers(text):
            if "leak.pii" in cats and not ok:
                err(cid, f"{kind} {val} in a positive fails its checksum")
            if "leak.pii" not in cats and ok:
                err(cid, f"valid {kind} {val} in a post not labelled pii")
        if "leak.pii" not in cats and "@" in t:
            for m in re.finditer(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", text):
                if m.group(0).lower() not in [x.lower() for x in PROFILE["public_identifiers"]["emails"]] \
                        and not m.group(0).startswith("@"):
                    if not re.search(r"://[^\s]*" + re.escape(m.group(0)), text):
                        err(cid, f"e-mail {m.group(0)} in a post not labelled pii")
        # secrets
        # documentation samples and redacted keys are not secrets
        scrub = re.sub(r"\S*(?:EXAMPLE|xxxxxx|\*\*\*\*)\S*", " ", text)
        has_secret = any(r.search(scrub) for r in SECRET_RES) or any(r.search(norm(scrub)) for r in SECRET_RES)
        if ("leak.secret" in cats) != has_secret:
            err(cid, f"secret pattern presence ({has_secret}) disagrees with label")
        for tok in re.findall(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", scrub):
            if not github_token_ok(tok):
                err(cid, "github token checksum")
        for tok in re.findall(r"\beyJ[0-9A-Za-z_-]+\.[0-9A-Za-z_-]+\.[0-9A-Za-z_-]+", text):
            h = tok.split(".")[0]
            hdr = json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)))
            if "alg" not in hdr:
                err(cid, "jwt header without alg")
        # confidential terms / embargo
        conf_hit = any(x in t for x in internal_terms) or \
            any(term in t and when < until for term, until in embargo)
        if ("leak.confidential" in cats) != conf_hit:
            err(cid, f"confidential term presence ({conf_hit}) disagrees with label")
        # pricing
        price_hit = bool(low_prices(text)) or (
            bool(PRICE_ERR.search(spaced_out(t))) and any(a in t for a, _ in products))
        if ("leak.pricing" in cats) != price_hit:
            err(cid, f"pricing evidence ({price_hit}) disagrees with label")
        # leaks mostly from own accounts; reputation mostly from the public
        if role == "public" and p["account"]["handle"].lower() in {a.split(":", 1)[1].lower() for a in ROLE}:
            err(cid, "public handle collides with a profile handle on another platform")

    n = len(lines)
    if not 170 <= n <= 180:
        errors.append(f"case count {n} not in 170..180")
    print(f"{n} cases, {benign} benign")
    for k in sorted(counts):
        print(f"  {k:22s} {counts[k]}")
    print("  languages:", langs)
    roles = {}
    for c in CASES:
        r = role_of(c["post"]["platform"], c["post"]["account"]["handle"])
        roles[r] = roles.get(r, 0) + 1
    print("  roles:", roles)
    if errors:
        print("SELF-CHECK FAILED:")
        for x in errors:
            print("  " + x)
        sys.exit(1)
    print("self-check OK")


check()
