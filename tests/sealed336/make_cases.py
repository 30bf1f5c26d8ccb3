#!/usr/bin/env python3
"""Labelled evaluation set 336 for postwatch: Kleinveld Infant Nutrition B.V.

Deterministic (fixed seed). Writes cases.jsonl next to this file and checks it:
  * every line is a valid CONTRACT section 6 case,
  * account roles come from profile.yaml, severities are computed from CONTRACT
    section 4 (never typed by hand),
  * every IBAN / payment card / BSN in a positive passes its checksum, every
    look-alike in a benign post fails it,
  * generated credentials are well-formed (GitHub CRC-32, AWS key id, JWT header),
  * codenames, markers, internal hosts and embargo terms are labelled consistently,
  * price mentions agree with the pricing labels.
Run:  python3 make_cases.py
"""
import base64
import json
import os
import random
import re
import string
import struct
import sys
import unicodedata
import zlib
from collections import Counter
from datetime import datetime, timedelta, timezone

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = os.path.join(HERE, "profile.yaml")
OUT = os.path.join(HERE, "cases.jsonl")

rng = random.Random(336)

B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase  # 0-9A-Za-z
URLSAFE = B62 + "-_"

# --------------------------------------------------------------------------
# generators for identifiers and credentials
# --------------------------------------------------------------------------


def rnd(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


def base62(n):
    if n == 0:
        return "0"
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out


def github_token(prefix="ghp_"):
    body = rnd(B62, 30)
    crc = zlib.crc32(body.encode()) & 0xFFFFFFFF
    return prefix + body + base62(crc).rjust(6, "0")


def github_token_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    if not m:
        return False
    crc = zlib.crc32(m.group(1).encode()) & 0xFFFFFFFF
    return base62(crc).rjust(6, "0") == m.group(2)


def aws_key_id():
    return "AKIA" + rnd("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)


def aws_secret():
    return rnd(string.ascii_letters + string.digits + "/+", 40)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt_token():
    header = {"alg": "HS256", "typ": "JWT"}
    payload = {"sub": "svc-mes-lijn3", "role": "line_admin", "site": "VNDL",
               "iat": 1780300800, "exp": 1811836800}
    sig = bytes(rng.randrange(256) for _ in range(32))
    return ".".join([b64url(json.dumps(header, separators=(",", ":")).encode()),
                     b64url(json.dumps(payload, separators=(",", ":")).encode()),
                     b64url(sig)])


def openssh_private_key():
    def s(b):
        return struct.pack(">I", len(b)) + b
    pub = rng.randbytes(32)
    priv = rng.randbytes(32)
    pubblob = s(b"ssh-ed25519") + s(pub)
    check = rng.randbytes(4)
    sec = check + check + s(b"ssh-ed25519") + s(pub) + s(priv + pub) + s(b"joost@kv-jump01")
    sec += bytes(range(1, 1 + (-len(sec)) % 8))
    blob = b"openssh-key-v1\x00" + s(b"none") + s(b"none") + s(b"") + struct.pack(">I", 1) + s(pubblob) + s(sec)
    b = base64.b64encode(blob).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def iban_check_digits(country, bban):
    s = bban + country + "00"
    return 98 - int("".join(str(int(c, 36)) for c in s)) % 97


def iban_ok(iban):
    s = iban.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{8,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(country):
    if country == "NL":
        bank = rng.choice(["ABNA", "INGB", "RABO", "SNSB", "TRIO", "KNAB", "BUNQ", "ASNB"])
        bban = bank + "".join(str(rng.randrange(10)) for _ in range(10))
    elif country == "BE":
        first = "".join(str(rng.randrange(10)) for _ in range(10))
        chk = int(first) % 97 or 97
        bban = first + "%02d" % chk
    elif country == "DE":
        bban = "".join(str(rng.randrange(10)) for _ in range(18))
    else:
        raise ValueError(country)
    return "%s%02d%s" % (country, iban_check_digits(country, bban), bban)


def spaced(iban):
    return " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))


def break_digit(num):
    """Change one digit (not the first two characters) so a checksum fails."""
    chars = list(num)
    idx = [i for i, c in enumerate(chars) if c.isdigit() and i >= 4]
    i = rng.choice(idx)
    chars[i] = str((int(chars[i]) + rng.randrange(1, 10)) % 10)
    return "".join(chars)


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    if len(d) < 12:
        return False
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def make_card(prefix, length=16):
    while True:
        body = prefix + "".join(str(rng.randrange(10)) for _ in range(length - len(prefix) - 1))
        for last in "0123456789":
            if luhn_ok(body + last):
                return body + last


def card_fmt(c):
    return " ".join(c[i:i + 4] for i in range(0, len(c), 4))


def bsn_ok(num):
    d = re.sub(r"\D", "", num)
    if len(d) != 9 or d == "000000000":
        return False
    tot = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return tot % 11 == 0


def make_bsn():
    while True:
        first = str(rng.randrange(1, 7)) + "".join(str(rng.randrange(10)) for _ in range(7))
        last = sum(int(first[i]) * (9 - i) for i in range(8)) % 11
        if last < 10:
            return first + str(last)


def bad_bsn():
    while True:
        b = make_bsn()
        i = rng.randrange(9)
        d = list(b)
        d[i] = str((int(d[i]) + rng.randrange(1, 10)) % 10)
        b2 = "".join(d)
        if not bsn_ok(b2) and b2[0] != "0":
            return b2


def mobile_digits():
    return "6" + str(rng.randrange(1, 6)) + "".join(str(rng.randrange(10)) for _ in range(7))


# --------------------------------------------------------------------------
# generated values (order matters for determinism)
# --------------------------------------------------------------------------
G = {}
G["iban_refund"] = make_iban("NL")
G["iban_customer"] = make_iban("NL")
G["iban_be"] = make_iban("BE")
G["iban_bad"] = break_digit(make_iban("NL"))
G["card_visa"] = make_card("4", 16)
G["card_mc"] = make_card("5" + str(rng.randrange(1, 6)), 16)
G["card_bad"] = break_digit(make_card("4", 16))
while luhn_ok(G["card_bad"]):
    G["card_bad"] = break_digit(make_card("4", 16))
G["bsn_hr"] = make_bsn()
G["bsn_child"] = make_bsn()
G["bsn_bad1"] = bad_bsn()
G["bsn_bad2"] = bad_bsn()
G["mob1"] = mobile_digits()
G["mob2"] = mobile_digits()
G["mob3"] = mobile_digits()
G["mob4"] = mobile_digits()
G["land_leiden"] = "5" + "".join(str(rng.randrange(10)) for _ in range(6))
G["ghp"] = github_token("ghp_")
G["aws_id"] = aws_key_id()
G["aws_secret"] = aws_secret()
G["jwt"] = jwt_token()
G["anthropic"] = "sk-ant-api03-" + rnd(URLSAFE, 93) + "AA"
G["stripe"] = "sk_live_51" + rnd(B62, 97)
G["sshkey"] = openssh_private_key()
G["slack"] = "xoxb-%d-%d-%s" % (rng.randrange(10**11, 10**12), rng.randrange(10**12, 10**13), rnd(B62, 24))
G["google"] = "AIza" + rnd(URLSAFE, 35)
G["pg_pw"] = rnd(B62, 20)
G["glpat"] = "glpat-" + rnd(URLSAFE, 20)
G["redis_pw"] = rnd(B62, 24)

SECRET_VALUES = [G[k] for k in ("ghp", "aws_id", "aws_secret", "jwt", "anthropic", "stripe",
                                "sshkey", "slack", "google", "pg_pw", "glpat", "redis_pw")]


def m_dash(m):        # 06-12345678
    return "0" + m[:1] + "-" + m[1:]


def m_split(m):       # 06 1234 5678
    return "0" + m[:1] + " " + m[1:5] + " " + m[5:]


def m_intl(m):        # +31 6 12 34 56 78
    return "+31 6 " + " ".join(m[i:i + 2] for i in range(1, 9, 2))


def m_pairs(m):       # 06 12 34 56 78
    return "06 " + " ".join(m[i:i + 2] for i in range(1, 9, 2))


# --------------------------------------------------------------------------
# the cases
# --------------------------------------------------------------------------
SEC, PII, PRC, CONF, FIN, SECU = ("leak.secret", "leak.pii", "leak.pricing",
                                  "leak.confidential", "leak.financial", "leak.security")
CRI, COM, ABU = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def rand_time_2026():
    start = datetime(2026, 1, 3, 6, 0, tzinfo=timezone.utc)
    t = start + timedelta(seconds=rng.randrange(0, 357 * 86400))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def case(platform, handle, lang, text, cats=(), when=None, kind="post", brand=None):
    CASES.append({"platform": platform, "handle": handle, "lang": lang, "text": text,
                  "cats": sorted(set(cats)), "when": when or rand_time_2026(),
                  "kind": kind, "brand": brand})


# ---------------- complaints ----------------
case("x", "@inge_mamavan2", "nl",
     "@kleinveld_helpt al 3 dagen wachten op antwoord over mijn Maandbox. In januari opgezegd en jullie schrijven NOG STEEDS €89 af. Wat is dit voor service 😤",
     [COM], kind="reply", brand="Nestwarm")
case("facebook", "Daphne Kortenhoeven", "nl",
     "Sinds de nieuwe verpakking lost Nestwarm 2 gewoon niet meer op. Klontjes in de speen, mijn dochter krijgt er niks door en ik sta de halve nacht te schudden. Graag het oude recept terug Kleinveld!",
     [COM], brand="Nestwarm")
case("reddit", "u/sleepless_in_utrecht", "en",
     "Anyone else getting tins of Nestwarm HA with no scoop inside? Second time this month. Had to measure with a teaspoon at 3am like a caveman. Kleinveld support just sends me a form link.",
     [COM], brand="Nestwarm")
case("instagram", "@fleur.en.finn", "nl",
     "@nestwarm.baby mooie plaatjes allemaal maar mijn bestelling KV-2026-118473 staat al 9 dagen op 'in behandeling'. baby drinkt morgen het laatste schepje. wie kan ik bellen die wél opneemt?",
     [COM], kind="comment", brand="Nestwarm")
case("x", "@dadof3_rob", "en",
     "Bought the Stoomsterilisator 6 from Kleinveld, stopped heating after 5 weeks. Warranty claim has been 'under review' for 3 weeks now. Not impressed tbh",
     [COM], brand="Kleinveld")
case("forum", "mamsie_88", "nl",
     "Ervaringen met de Flesjesmaker Pro? Die van ons lekt aan de onderkant en geeft soms maar een halve fles. Klantenservice zegt ontkalken, hebben we al 4x gedaan. Voor 169 euro verwacht je toch wat beters...",
     [COM], brand="Kleinveld")
case("tiktok", "@tired.but.trying", "en",
     "POV: you open a fresh 800g tin of Nestwarm 1 and it's literally half air 🙃 paid full price for like 60% of a tin @nestwarm.ouders #formulamom #notsponsored",
     [COM], brand="Nestwarm")
case("threads", "@janneke.bakt", "en",
     "Kleinveld Dreumeskoekjes suddenly taste like cardboard and half the pack is crumbs when you open it. Used to be our favourite, such a shame",
     [COM], brand="Kleinveld")
case("mastodon", "@petra_k@todon.nl", "en",
     "Kleinveld's webshop charged my card twice for one order and their chat bot keeps looping me back to the FAQ. How is this acceptable for a company that sells baby food",
     [COM], brand="Kleinveld")
case("facebook", "Yvonne Smit-de Graaf", "nl",
     "Anti-Colic Fles van Kleinveld: na 2x vaatwasser zit er een barst in. En de speen laat veel te snel door, dochter verslikt zich steeds. Wil gewoon m'n geld terug.",
     [COM], brand="Kleinveld")
case("x", "@refluxmama_nl", "nl",
     "Alweer geen Nestwarm AR bij de drogist en online 'tijdelijk uitverkocht'. Kleinveld, jullie weten toch dat reflux-baby's niet zomaar over kunnen stappen?? Derde week zo #tekort",
     [COM], brand="Nestwarm")
case("x", "@kevin_zwolle", "nl",
     "Kleinveld klantenservice is echt een stelletje kutlijers. 45 min in de wacht en dan ophangen. Mijn zoon heeft gewoon honger, idioten.",
     [COM, ABU], brand="Kleinveld")
case("facebook", "Megan Lowther", "en",
     "Third wrong delivery in a row. Your warehouse people are brain-dead morons, Kleinveld. I ordered Nestwarm Lactosevrij and got rice porridge. AGAIN.",
     [COM, ABU], brand="Nestwarm")
case("x", "@lotte_vsch", "nl",
     "@kleinveld_helpt ik word nergens teruggebeld over die kapotte sterilisator. Bel me dan gewoon op " + m_dash(G["mob1"]) + ", ben de hele dag thuis. Lotte Verschuur",
     [COM, PII], kind="reply", brand="Kleinveld")

# ---------------- first-hand safety incidents: crisis + complaint ----------------
case("facebook", "Ramon Oudshoorn", "nl",
     "Gisteravond begon onze Flesjesmaker Pro ineens te sissen en kwam er rook uit de achterkant. Stekker kon ik er nog net uittrekken, onderkant is helemaal gesmolten. Stond gewoon naast het bedje. Kleinveld, dit is levensgevaarlijk!!",
     [CRI, COM], brand="Kleinveld")
case("x", "@hollyb_travels", "en",
     "Got a proper electric shock off my Kleinveld Stoomsterilisator 6 this morning when I lifted the lid, hand is still tingling. Unplugged and it's going straight back. Could have been my toddler touching it.",
     [CRI, COM], brand="Kleinveld")
case("instagram", "@samenmetsaar", "nl",
     "Onze zoon (7 wk) heeft 2 nachten in het ziekenhuis gelegen met uitdroging en hoge koorts, vlak nadat we een nieuw blik Nestwarm 1 waren begonnen. Arts denkt aan een bacterie in de voeding. Lotnummer L26-0417B. En Kleinveld stuurt alleen een standaardmailtje 💔",
     [CRI, COM], brand="Nestwarm")
case("reddit", "u/gr8fulmum", "en",
     "Found a sharp piece of blue plastic in my daughter's bottle, came straight out of the Nestwarm Comfort tin. She gagged on it before I fished it out. Kleinveld asked me to 'send a photo' and that's it??",
     [CRI, COM], brand="Nestwarm")
case("tiktok", "@mama.van.lieke", "nl",
     "flessenwarmer duo van kleinveld maakte de melk gewoon kokendheet terwijl ie op 37 graden stond. dochter heeft nu een blaar op haar lip 😭 ben zo boos op mezelf én op dat ding",
     [CRI, COM], brand="Kleinveld")
case("forum", "JH_dad", "en",
     "My son threw up streaks of blood after two days on Nestwarm AR and we ended up in A&E. Docs said irritation, but that tin smelled off from day one. Reported it to Kleinveld, zero follow-up so far.",
     [CRI, COM], brand="Nestwarm")

# ---------------- crisis (third party / public) ----------------
case("x", "@prematuur_ouders", "nl",
     "🚨 Volgens de NVWA-site wordt een partij Nestwarm Pre teruggeroepen vanwege Cronobacter. Waarom zegt Kleinveld zelf nog niks?? Deel dit met alle ouders van prematuurtjes!",
     [CRI], brand="Nestwarm")
case("bluesky", "@breastfeedingfacts.bsky.social", "en",
     "Boycott Kleinveld. They're handing out 'free samples' of Nestwarm on maternity wards in Kenya, a straight breach of the WHO code. Don't buy their stuff. #BoycottKleinveld #WHOcode",
     [CRI], brand="Kleinveld")
case("linkedin", "marit-gerritsen-consumerlaw", "en",
     "Reports today that a class action is being prepared against Kleinveld Infant Nutrition over the 'closest to breastmilk' claims on Nestwarm. Curious how this plays out for the whole sector.",
     [CRI], brand="Kleinveld")
case("x", "@moederclub_ede", "nl",
     "Hoor van meerdere moeders in onze groep dat ze phishing krijgen mét hun Kleinveld-bestelnummer en adres erin. Er moet gewoon een datalek bij Kleinveld zijn. Waarom geen melding??",
     [CRI], brand="Kleinveld")
case("facebook", "Gerda Hoogeveen", "nl",
     "Las net in de krant dat er een baby in Zwolle op de IC ligt, de ouders wijzen naar een blik Nestwarm Geit 1. Vreselijk. Hoop zo dat het goed komt met dat kindje.",
     [CRI], brand="Nestwarm")
case("x", "@foodsafety_eu", "en",
     "RECALL: Kleinveld Peer & Wortel pouches, possible glass fragments, batch codes starting 2609. If you've got them in the cupboard, check the lot code and don't feed them.",
     [CRI], brand="Kleinveld")
case("reddit", "u/exlinewerker", "en",
     "Former line worker here. Kleinveld sat on a salmonella positive at the Veenendaal plant and shipped that batch anyway. Management knew. This needs to come out.",
     [CRI], brand="Kleinveld")
case("instagram", "@natuurlijk.moeder", "nl",
     "Ik ben er klaar mee. Kleinveld betaalt een influencer die roept dat borstvoeding 'overrated' is. Ontvolgen en boycotten, allemaal! #boycotKleinveld",
     [CRI], brand="Kleinveld")
case("mastodon", "@hanswiersma@mastodon.social", "en",
     "Do I read this right, the Dutch consumer association is taking Kleinveld to court over too much vitamin D in Nestwarm 3? If that's true it's a scandal.",
     [CRI], brand="Nestwarm")

# ---------------- abuse ----------------
case("x", "@d3nnis_r", "nl",
     "Kleinveld = tyfusbedrijf. Hoop dat jullie failliet gaan, vuile geldwolven",
     [ABU], brand="Kleinveld")
case("x", "@zoe_writes_stuff", "en",
     "@kleinveld_nl you absolute clowns. Pathetic company run by pathetic people.",
     [ABU], kind="reply", brand="Kleinveld")
case("instagram", "@rick_0031", "nl",
     "die Marloes van de klantenservice is echt een dom wicht. iemand moet haar eens flink op d'r plek zetten, weet waar dat kantoor zit",
     [ABU], kind="comment", brand="Kleinveld")
case("tiktok", "@xx_j0rd1_xx", "nl",
     "k4nk3rb3dr1jf kl31nv3ld, st3rf g3woon 🤮🤮",
     [ABU], kind="comment", brand="Kleinveld")
case("facebook", "Craig Donnelly", "en",
     "whoever runs Kleinveld's social media is a useless piece of sh1t, delete your account",
     [ABU], kind="comment", brand="Kleinveld")
case("x", "@echtnederland77", "nl",
     "Natuurlijk krijg je bij Kleinveld weer iemand aan de lijn die geen woord Nederlands spreekt. Stuur die gelukzoekers terug en neem normale mensen aan.",
     [ABU], brand="Kleinveld")
case("youtube", "@parentingtruths", "en",
     "Kleinveld marketing team: bunch of lying scumbags preying on exhausted parents. Go to hell.",
     [ABU], kind="comment", brand="Kleinveld")
case("reddit", "u/boze_buurman", "nl",
     "K.u.t.b.e.d.r.i.j.f die Kleinveld. O.p.l.i.c.h.t.e.r.s en l.u.l.l.e.n zijn het, allemaal",
     [ABU], kind="comment", brand="Kleinveld")
case("x", "@timo_ploegleider", "nl",
     "@mamavanmees als je te dom bent om de schep in het blik te vinden moet je misschien geen kinderen nemen 🙄",
     [ABU], kind="reply", brand="Nestwarm")
case("threads", "@justice4babies", "en",
     "Found the LinkedIn of Kleinveld's QA manager. Ingrid, we know where you work and what car you drive. You'll answer for this, you vile witch.",
     [ABU], brand="Kleinveld")

# ---------------- personal data ----------------
case("x", "@kleinveld_helpt", "nl",
     "@ouders_van_sem Dank voor je geduld! De terugbetaling van €47,90 is vandaag gestort op " + spaced(G["iban_refund"]) + " t.n.v. R. de Boer. Binnen 2 werkdagen op je rekening 💛",
     [PII], kind="reply", brand="Kleinveld")
case("x", "@marloes_dijkhuis", "en",
     "can someone in billing look at this one pls, she keeps calling: Hanna Kowalski, card " + card_fmt(G["card_visa"]) + " exp 09/28, charged 3x for the Maandbox",
     [PII], brand="Nestwarm")
case("linkedin", "sander-hoekstra-kv", "nl",
     "Welkom aan onze nieuwe collega Daan Mertens! 🎉 (HR: zijn BSN " + G["bsn_hr"] + " en startdatum 1 maart staan al in het dossier, hoeft niet meer gemaild te worden)",
     [PII], brand="Kleinveld")
case("facebook", "KleinveldVoeding", "nl",
     "En de winnaar van de Nestwarm Maandbox-actie is... Femke Jansen, Dorpsstraat 14, 3931 AB Woudenberg! Gefeliciteerd, je pakket komt eraan 🎁",
     [PII], brand="Nestwarm")
case("x", "@marloes_dijkhuis", "nl",
     "collega's: mevrouw Aydın belt al de hele ochtend, " + m_intl(G["mob2"]) + " — kan iemand van tweedelijns haar terugbellen over die sterilisator?",
     [PII], brand="Kleinveld")
case("threads", "@noor.kv.sales", "nl",
     "Thanks voor de leuke meeting gisteren! Wie contact wil met de inkoper van Babyland: j.peeters.inkoop@gmail.com of " + m_split(G["mob3"]) + " (privé, maar hij vindt het prima)",
     [PII], brand="Kleinveld")
case("bluesky", "@evi-kleinveld.bsky.social", "en",
     "Happy birthday to our little Nestwarm cover star Mila van Dijk, born 14-03-2025! 🥳 her mum said we could share 💕",
     [PII], brand="Nestwarm")
case("instagram", "@nestwarm.baby", "nl",
     "@lisa.moeder we zien je bestelling! Voor de zekerheid: we versturen naar Lisa Hofstede, Kastanjelaan 8, 2312 CK Leiden en bellen je op 071-" + G["land_leiden"] + " als er iets is 😊",
     [PII], kind="reply", brand="Nestwarm")
case("x", "@m_yilmaz_", "en",
     "@kleinveld_helpt as requested, my account number for the steriliser return: " + G["iban_customer"] + " (M. Yilmaz)",
     [PII], kind="reply", brand="Kleinveld")
case("facebook", "Olivia Grant", "en",
     "Kleinveld your form keeps failing so here it is: Olivia Grant, DOB 22/07/1991, olivia.grant88@outlook.com — please sign me up for the Nestwarm baby club",
     [PII], kind="comment", brand="Nestwarm")
case("reddit", "u/vaderrr", "nl",
     "Creditcard van m'n vrouw wordt niet geaccepteerd in de Kleinveld webshop: " + card_fmt(G["card_mc"]) + " — iemand een idee wat er mis is? Andere shops doen het wel",
     [PII], brand="Kleinveld")
case("x", "@sophie_m_ams", "en",
     "Kleinveld never answers email so reach me directly: sophie.mulder [at] gmail [dot] com. Need to talk about our Maandbox subscription",
     [PII], brand="Nestwarm")
case("instagram", "@ouders.van.jules", "nl",
     "Kleinveld vraagt het BSN van ons zoontje voor de allergie-registratie?? Nou, hier dan: " + G["bsn_child"] + ". Vind het wel raar eerlijk gezegd",
     [PII], brand="Kleinveld")
case("forum", "keesbrouwer_apd", "nl",
     "Wie wil onze overgebleven Nestwarm HA blikken? 4 stuks, ongeopend. Ophalen bij Kees Brouwer, Molenweg 23a, Apeldoorn, of bel " + m_pairs(G["mob4"]),
     [PII], brand="Nestwarm")

# ---------------- confidential ----------------
case("linkedin", "femke-brouwer-rd", "nl",
     "Trots op het team! Na 18 maanden is de eerste proefproductie van Project Zwaluw gelukt: onze nieuwe formule met vijf HMO's. Binnenkort meer 😉",
     [CONF], brand="Kleinveld")
case("x", "@bram_kv_devops", "en",
     "whoever keeps pasting https://jira.kleinveld.nl/browse/QA-2281 into the supplier channel pls stop 🙃",
     [CONF])
case("instagram", "@yusuf.labwerk", "nl",
     "Stabiliteitstesten voor Nestwarm Bio 1 staan klaar voor maandag 🧪🔬 #lablife #qc",
     [CONF], when="2026-10-16T15:42:00Z", brand="Nestwarm")
case("tiktok", "@nestwarm.ouders", "nl",
     "sneak peek 👀 binnenkort in de schappen: Nestwarm Sensitive Plus, speciaal voor gevoelige buikjes! #nieuw #binnenkort",
     [CONF], when="2026-11-27T17:05:00Z", brand="Nestwarm")
case("threads", "@noor.kv.sales", "nl",
     "Deck voor de retailmeeting is af, nog even 'STRIKT VERTROUWELIJK' van elke slide halen voor ik 'm deel 😅 slide 4 is mijn favoriet: Project Zwaluw in september bij drie ketens",
     [CONF], brand="Kleinveld")
case("x", "@baby_deals_spotter", "en",
     "lol someone at Kleinveld left a doc on a public drive marked 'Kleinveld internal – do not forward' with the entire 2027 shelf plan for Nestwarm. screenshots in the replies",
     [CONF], brand="Nestwarm")
case("mastodon", "@joostvb@mastodon.nl", "en",
     "For the colleagues asking: new line dashboard lives at https://grafana.intra.kleinveld.local/d/lijn3-oee — only reachable over VPN",
     [CONF])
case("x", "@timo_ploegleider", "nl",
     "mooie dag op lijn 3, eerste echte run van Ｐｒｏｊｅｃｔ Ｚｗａｌｕｗ gedraaid 💪 de ploeg heeft het weer geflikt",
     [CONF])
case("bluesky", "@evi-kleinveld.bsky.social", "nl",
     "Campagneshoot voor Prоjеct Zwаluw vandaag afgerond, mag nog echt niks laten zien 🤫📸",
     [CONF])
case("linkedin", "ingrid-van-der-laan-kleinveld", "en",
     "Excited to share that Nestwarm Bio 1 passed its final dossier review today! Launch date is still under NDA, so no spoilers 😊 Huge thanks to the QA and regulatory team.",
     [CONF], when="2027-03-09T16:20:00Z", brand="Nestwarm")
case("forum", "tante_ria", "nl",
     "Mijn zus werkt bij Kleinveld en zegt dat er onder de codenaam Tandem-K iets groots loopt, ze mocht niet zeggen wat. Niet verder vertellen hè 🤐",
     [CONF], brand="Kleinveld")
case("linkedin", "kleinveld-infant-nutrition", "nl",
     "Vacature: Data Engineer (Utrecht). Je bouwt mee aan de koppeling tussen onze LIMS-omgeving (lims.kleinveld.local) en het datawarehouse. Interesse? Solliciteer via werkenbij@kleinveld.nl",
     [CONF], brand="Kleinveld")
case("x", "@bram_kv_devops", "nl",
     "Roadmap slide (k\u200bleinveld inter\u200bnal): Flesjesmaker Pro 2 met app-koppeling komt in Q2, en nee, de pairing heeft nog steeds geen pincode 🙈",
     [CONF])
case("x", "@marloes_dijkhuis", "nl",
     "Voor iedereen die vraagt: nee ik mag niks zeggen over Nestwarm Sensitive Plus. Maar het blik is GROEN 💚",
     [CONF], when="2026-12-02T10:11:00Z", brand="Nestwarm")
case("reddit", "u/throwaway_vndl", "en",
     "Cousin at Kleinveld showed me slides titled 'Operatie Wiegelied': the Veenendaal spray dryer closes in 2027 and Nestwarm production moves to Poland. ~180 jobs. Nothing announced yet.",
     [CONF, FIN], brand="Kleinveld")
case("linkedin", "sander-hoekstra-kv", "nl",
     "Drukke weken hier. De due diligence voor Tandem-K loopt, en als alles meezit nemen we in Q1 een Belgische producent van biologische babyvoeding over 🤞",
     [CONF, FIN], brand="Kleinveld")
case("x", "@bram_kv_devops", "en",
     "anyone else getting timeouts on the cache? conn string I'm testing with: redis://:" + G["redis_pw"] + "@cache01.intra.kleinveld.local:6379/0",
     [SEC, CONF])
case("mastodon", "@joostvb@mastodon.nl", "nl",
     "Sinds 04:10 ligt sap.intra.kleinveld.local plat, orderverwerking staat stil en we weten nog steeds niet waarom. Klanten krijgen voorlopig niks te horen van 'boven'.",
     [SECU, CONF])

# ---------------- financial ----------------
case("x", "@timo_ploegleider", "nl",
     "Vandaag gehoord dat lijn 2 en 4 per 1 april dichtgaan. 60 man eruit. Mag pas na de OR-vergadering naar buiten maar ik ben er gewoon klaar mee",
     [FIN])
case("threads", "@noor.kv.sales", "en",
     "Q3 sales came in 14% under budget, Nestwarm volumes in Germany basically fell off a cliff. Expect a profit warning before Christmas 😬",
     [FIN], when="2026-10-08T19:30:00Z", brand="Nestwarm")
case("linkedin", "femke-brouwer-rd", "en",
     "Big townhall today: R&D budget for 2027 goes down 30% and two of our five teams get merged. Not official yet, so shhh",
     [FIN])
case("x", "@ronald_belegt", "nl",
     "Mijn buurman zit in de directie bij Kleinveld, zegt dat ze worden overgenomen door Nordavia Foods. Deal is rond, bekendmaking volgende week. Nordavia-aandelen kopen? 😏",
     [FIN], brand="Kleinveld")
case("mastodon", "@joostvb@mastodon.nl", "en",
     "Heard at the CFO all-hands: 2026 EBITDA forecast cut from 41M to 29M. They'll only say it out loud with the half-year numbers.",
     [FIN], when="2026-06-22T20:14:00Z")
case("facebook", "KleinveldVoeding", "nl",
     "Onze jaarcijfers 2026 zijn binnen: omzet +7,2% naar €412 miljoen 🎉 Dank aan alle ouders die ons vertrouwen!",
     [CONF, FIN], when="2027-02-24T18:03:00Z", brand="Kleinveld")
case("x", "@marloes_dijkhuis", "en",
     "not supposed to say this but customer care is being outsourced to a call centre in Lisbon next summer, 35 of us gone. found out via a calendar invite someone forwarded lol",
     [FIN])
case("instagram", "@yusuf.labwerk", "nl",
     "Laatste dienst van het jaar in het lab in Heerenveen 😢 Ze gaan de hele QC-afdeling naar Veenendaal verhuizen en de helft eruit gooien, maar dat mag nog niemand weten",
     [FIN], when="2026-12-23T16:45:00Z")
case("linkedin", "paul-verbruggen-packaging", "en",
     "Word from the supplier side: Kleinveld has quietly put its Belgian subsidiary up for sale, bids due end of October. Interesting times in infant nutrition.",
     [FIN], when="2026-09-17T08:30:00Z", brand="Kleinveld")
case("bluesky", "@evi-kleinveld.bsky.social", "en",
     "Marketing budget for H1 2027 just got halved, apparently because the Q4 numbers will be really ugly. you heard it here first 🙊",
     [FIN], when="2026-11-12T21:02:00Z")
case("linkedin", "sander-hoekstra-kv", "nl",
     "Opgelucht dat de herfinanciering bij de banken rond is; zonder die €60 mln was het in januari echt spannend geworden met de convenanten. Persbericht volgt later.",
     [FIN], when="2026-12-10T12:00:00Z")

# ---------------- security ----------------
case("x", "@bram_kv_devops", "en",
     "fun night. turns out the Maandbox portal shows you anyone's order if you just bump the number in /orders/<id>. patch isn't shipping until next sprint 🫠",
     [SECU], brand="Nestwarm")
case("mastodon", "@joostvb@mastodon.nl", "nl",
     "Ransomware op de productie-OT in Veenendaal, de lijnen staan sinds gisteravond stil. Officieel heet het 'gepland onderhoud'. Meer zeg ik niet.",
     [SECU])
case("reddit", "u/kv_lijn3_operator", "en",
     "Throwaway-ish, but: the HMI on our filling line still runs Windows 7 with default creds. IT knows, nobody fixes it. One USB stick and the whole line is gone.",
     [SECU])
case("x", "@timo_ploegleider", "nl",
     "Hele kantoor moest vandaag z'n wachtwoord resetten, 4 collega's hadden op een phishingmail geklikt en de aanvaller heeft dagen in hun mailbox gezeten. Mag niet naar buiten dus ik zeg niks 🤐",
     [SECU])
case("threads", "@noor.kv.sales", "en",
     "Heads up to my retail contacts: don't use the Kleinveld B2B order portal today, it's showing other retailers' price lists to whoever logs in. IT is on it.",
     [SECU], brand="Kleinveld")
case("bluesky", "@evi-kleinveld.bsky.social", "nl",
     "De Flesjesmaker-app stuurt de wifi-wachtwoorden van klanten gewoon onversleuteld naar onze server. Ontdekt door een stagiair. Fix komt 'ergens in Q3'. Ik schaam me kapot",
     [SECU], brand="Kleinveld")
case("x", "@cardwatch_nl", "en",
     "friend in Kleinveld IT says their webshop checkout was skimmed for ~10 days in August and they still haven't told customers. if you paid by card there, watch your statements",
     [SECU, CRI], when="2026-09-21T11:48:00Z", brand="Kleinveld")
case("linkedin", "ingrid-van-der-laan-kleinveld", "en",
     "Eventful week in QA: our lab temperature logging system turned out to be reachable from the internet without a password since the vendor update. Closed it today, still working out what was accessed.",
     [SECU])
case("x", "@kleinveld_helpt", "nl",
     "@moeder_van_twee tussen ons: het is geen onderhoud, we worden sinds vanochtend platgelegd door een DDoS. Officiële melding komt pas vanavond.",
     [SECU], kind="reply", brand="Kleinveld")
case("x", "@bram_kv_devops", "en",
     "customer DB backups have been failing silently for 6 weeks. if anything dies today we're toast. not a word to anyone 👀",
     [SECU])
case("reddit", "u/kv_lijn3_operator", "en",
     "Since last week's update anyone on the guest wifi can reach the PLCs on line 3. Reported it twice, nothing happened.",
     [SECU])
case("mastodon", "@nerdmoeder@fosstodon.org", "en",
     "A Kleinveld contractor told me their SSO has been broken for two days and meanwhile everyone logs in with one shared admin account. yikes.",
     [SECU], brand="Kleinveld")

# ---------------- secrets ----------------
case("x", "@bram_kv_devops", "en",
     "note to self bc laptop is dying: " + G["ghp"],
     [SEC])
case("mastodon", "@joostvb@mastodon.nl", "nl",
     "Waarom krijg ik steeds AccessDenied op de bucket met labrapporten?\nAWS_ACCESS_KEY_ID=" + G["aws_id"] + "\nAWS_SECRET_ACCESS_KEY=" + G["aws_secret"] + "\nregio eu-west-1. Iemand?",
     [SEC])
case("reddit", "u/kv_lijn3_operator", "en",
     "Why does our MES API keep rejecting this? Header is\nAuthorization: Bearer " + G["jwt"] + "\nworked fine yesterday",
     [SEC])
case("threads", "@noor.kv.sales", "nl",
     "Voor de collega's die erom vroegen, het gedeelde Babyland-portal account: gebruiker kleinveld.sales, wachtwoord: Nestwarm#2026!Sales — niet verder delen 😉",
     [SEC])
case("bluesky", "@evi-kleinveld.bsky.social", "en",
     "testing our new recipe chatbot for the Nestwarm site, finally works with ANTHROPIC_API_KEY=" + G["anthropic"] + " 🎉",
     [SEC], brand="Nestwarm")
case("x", "@bram_kv_devops", "en",
     "stripe webhook keeps throwing 401s, this is the key I'm using: " + G["stripe"] + " can anyone spot what I'm doing wrong?",
     [SEC])
case("mastodon", "@joostvb@mastodon.nl", "nl",
     "kan iemand checken of dit de goede key is voor de jumphost? werkt bij mij niet\n" + G["sshkey"],
     [SEC])
case("x", "@timo_ploegleider", "nl",
     "onze slackbot voor storingsmeldingen van de lijnen draait weer 🥳 token voor wie 'm wil toevoegen: " + G["slack"],
     [SEC])
case("reddit", "u/frontend_fiona", "en",
     "Found this in the public JS bundle on shop.kleinveld.nl: const mapsKey = \"" + G["google"] + "\"; not restricted to their domain either",
     [SEC], brand="Kleinveld")
case("bluesky", "@evi-kleinveld.bsky.social", "nl",
     "crm-export werkt weer!! voor wie het nodig heeft: postgresql://kv_crm:" + G["pg_pw"] + "@kv-crm-prod.c9xk2mq1zt.eu-west-1.rds.amazonaws.com:5432/crm",
     [SEC])
case("x", "@bram_kv_devops", "en",
     "runner token for the new pipeline since the vault is down again: " + G["glpat"] + " don't tell security",
     [SEC])

# ---------------- pricing ----------------
case("x", "@kleinveld_nl", "nl",
     "🎉 Weekendknaller: Nestwarm 1 Zuigelingenvoeding 800g nu voor €4,99! Alleen in onze webshop, op = op.",
     [PRC], brand="Nestwarm")
case("instagram", "@nestwarm.baby", "en",
     "Black Friday deal 🖤 the Flesjesmaker Pro for just €49! Link in bio",
     [PRC], when="2026-11-27T07:00:00Z", brand="Kleinveld")
case("x", "@koopjesjager_nl", "nl",
     "PRIJSFOUT bij Kleinveld 😱 Stoomsterilisator 6 voor €6,49 in de webshop, snel zijn!! #prijsfout #deal",
     [PRC], brand="Kleinveld")
case("reddit", "u/frugal_parent_ehv", "en",
     "Kleinveld webshop has Nestwarm Geit 1 listed at €3.25 a tin right now, is that a glitch? Ordered 6 lol",
     [PRC], brand="Nestwarm")
case("x", "@marloes_dijkhuis", "nl",
     "Kan iemand van e-com even kijken? Klanten bellen dat de Maandbox voor €8,90 per maand op de site staat ipv €89. Volgens mij een prijsfout 😬",
     [PRC], brand="Nestwarm")
case("threads", "@noor.kv.sales", "en",
     "Heads up: the Babyland feed is pushing Nestwarm HA 1 at €2.99. That's a price error on our side, we're on it",
     [PRC], brand="Nestwarm")
case("facebook", "Wendy Pronk", "nl",
     "Bij Kleinveld online de Flessenwarmer Duo voor 9,95 euro 🤯 foutje of echt? Heb er maar meteen twee besteld",
     [PRC], kind="comment", brand="Kleinveld")
case("tiktok", "@dealsforbabies", "en",
     "price glitch!! Nestwarm AR 800g for €1.99 on the kleinveld site, go go go #pricemistake #babydeals",
     [PRC], brand="Nestwarm")
case("facebook", "KleinveldVoeding", "nl",
     "Alleen vandaag: de Kleinveld Anti-Colic Fles voor €0,99 🍼 Pak je kans!",
     [PRC], brand="Kleinveld")
case("x", "@mo_bargains", "en",
     "Nestwarm Comfort for €５.９９ on Kleinveld's shop?? pricing error surely 👀",
     [PRC], brand="Nestwarm")
case("bluesky", "@evi-kleinveld.bsky.social", "nl",
     "Oeps. Nieuwsbrief ging net de deur uit met 'Nestwarm Pre nu €1,95' terwijl het €19,95 moest zijn. Prijsfout, we zijn ermee bezig 🙈",
     [PRC], brand="Nestwarm")
case("forum", "lisanne_t", "nl",
     "Kosten de Dreumeskoekjes bij jullie in de app ook €0,39? Staat er echt zo. Heb er maar 20 besteld haha",
     [PRC], brand="Kleinveld")

# ---------------- benign (mostly hard negatives) ----------------
case("x", "@kleinveld_helpt", "nl",
     "Vragen over Nestwarm? Bel gratis 0800-0477 (ma t/m za 8-20 uur) of mail klantenservice@kleinveld.nl 💛",
     brand="Nestwarm")
case("facebook", "KleinveldVoeding", "nl",
     "Betaal je je Maandbox liever per overschrijving? Maak het bedrag over naar " + spaced("NL03RABO0318457209") + " t.n.v. Kleinveld Infant Nutrition B.V. en vermeld je klantnummer.",
     brand="Nestwarm")
case("x", "@sanne_slaapt_niet", "nl",
     "Nestwarm Comfort is echt een redder in nood, ze slaapt eindelijk door 🙏 #kleinveld",
     brand="Nestwarm")
case("instagram", "@thehomebirthdiaries", "en",
     "Shoutout to the Kleinveld care team: tin arrived dented, they sent a new one the next day. Sorted in 10 minutes, zero fuss. That's how you do it.",
     kind="comment", brand="Kleinveld")
case("reddit", "u/caffeinated_papa", "en",
     "My kid drinks Nestwarm like it's a pre-workout. Absolute killer of a bottle at 2am, then out cold 😂",
     kind="comment", brand="Nestwarm")
case("x", "@budgetmama_", "nl",
     "Nestwarm 2 deze week €18,79 bij de drogist (20% korting). Prima deal, meteen ingeslagen.",
     brand="Nestwarm")
case("facebook", "Jeroen Buitenhuis", "en",
     "Bought the Flesjesmaker Pro for €169, two weeks in and still happy with it. Saves so much faff at night",
     kind="comment", brand="Kleinveld")
case("x", "@bram_kv_devops", "en",
     "For our interns: never paste real keys anywhere. In docs use placeholders like AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY and nothing else.",
     )
case("x", "@bram_kv_devops", "en",
     "PSA: if you must reference a token in a ticket, redact it like ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx — our scanner catches the real thing 🔍",
     )
case("instagram", "@nestwarm.baby", "nl",
     "Let op: Kleinveld vraagt NOOIT via DM naar je wachtwoord of bankgegevens. Krijg je zo'n bericht? Niet reageren en meld het bij ons 🚫",
     brand="Kleinveld")
case("x", "@anoukdekker_", "nl",
     "Kreeg net een sms: 'Kleinveld terugbetaling, bevestig uw rekening " + G["iban_bad"] + "'. Dit is toch nep? Lijkt me phishing",
     brand="Kleinveld")
case("reddit", "u/newdad_notts", "en",
     "Kleinveld checkout keeps saying 'invalid card' for " + card_fmt(G["card_bad"]) + ". Oh wait, I typed the last digit wrong. Never mind, it went through 🤦",
     brand="Kleinveld")
case("forum", "tweeling_mam", "nl",
     "Is het klantnummer bij Kleinveld (bij mij " + G["bsn_bad1"] + ") hetzelfde als het Maandbox-nummer? Wil m'n bezorgmoment wijzigen maar snap het menu niet",
     brand="Nestwarm")
case("linkedin", "kleinveld-infant-nutrition", "nl",
     "Vandaag publiceren we onze jaarcijfers 2026: omzet +7,2% naar €412 miljoen. Het volledige jaarverslag staat op kleinveld.nl.",
     when="2027-02-25T09:00:00Z", brand="Kleinveld")
case("instagram", "@nestwarm.baby", "nl",
     "Hij is er! 🌱 Nestwarm Bio 1, onze eerste biologische zuigelingenvoeding. Vanaf vandaag in de winkel.",
     when="2027-03-12T08:00:00Z", brand="Nestwarm")
case("x", "@chloe_and_bump", "en",
     "Just tried the new Nestwarm Sensitive Plus, my little one's tummy is so much calmer. Thanks Kleinveld!",
     when="2027-03-15T13:27:00Z", brand="Nestwarm")
case("x", "@nicole_vk", "en",
     "Salmonella recall at a French baby food maker. Double-checked the NVWA site: nothing about Kleinveld or Nestwarm, phew.",
     brand="Kleinveld")
case("facebook", "Marieke ter Horst", "nl",
     "Heel veel sterkte aan alle ouders op de NICU. Wij hebben er 6 weken gezeten, de verpleging gaf daar Nestwarm Pre en ons meisje groeide er zo goed op ❤️",
     brand="Nestwarm")
case("x", "@eerstekindje", "nl",
     "Vraagje @kleinveld_helpt: kun je Nestwarm HA 1 en gewone Nestwarm 1 mengen als je overstapt? Of beter niet?",
     brand="Nestwarm")
case("x", "@kleinveld_helpt", "nl",
     "@kim_en_jip Wat vervelend dat je blik beschadigd aankwam! We sturen vandaag nog een nieuwe, excuses voor het ongemak 💛",
     kind="reply", brand="Kleinveld")
case("tiktok", "@budgetbabyhaul", "en",
     "stock-up haul 🛒 3 tins of Nestwarm 3 for €52 at the big supermarket sale, saving where we can #momlife #babyhaul",
     brand="Nestwarm")
case("linkedin", "femke-brouwer-rd", "nl",
     "Mooi overzichtsartikel in Voeding Nu over HMO's in zuigelingenvoeding. Goed om te zien hoeveel onafhankelijk onderzoek er wereldwijd gebeurt.",
     )
case("x", "@timo_ploegleider", "nl",
     "De zwaluwen zijn terug boven het fabrieksterrein 🐦 lente!",
     when="2026-04-14T06:55:00Z")
case("reddit", "u/nightshift_dad", "en",
     "'operation lullaby' is what we call the 3am bottle routine in our house. Nestwarm, warmer, rock, repeat.",
     kind="comment", brand="Nestwarm")
case("linkedin", "kleinveld-infant-nutrition", "nl",
     "Vacature: Lijnoperator Veenendaal (3-ploegen). Geen ervaring nodig, wel zin om te leren. Solliciteer via werkenbij@kleinveld.nl of kijk op kleinveld.nl/werken-bij",
     brand="Kleinveld")
case("x", "@henk_de_boer_", "nl",
     "Weer een reorganisatie bij een zuivelreus, 300 banen weg. Hoop dat Kleinveld gespaard blijft, daar werkt mijn zwager.",
     brand="Kleinveld")
case("reddit", "u/marketnerd_eu", "en",
     "Does anyone know when Kleinveld usually publishes its annual report? Want to see how the baby formula market did overall.",
     brand="Kleinveld")
case("x", "@kleinveld_nl", "nl",
     "Deze week 25% korting op de Kleinveld Stoomsterilisator 6: van €64,95 voor €48,71 🍼",
     brand="Kleinveld")
case("instagram", "@mamavanmax.nl", "nl",
     "Flessenwarmer Duo in de aanbieding voor €39,95, vorige keer betaalde ik €44,95. Meegenomen!",
     brand="Kleinveld")
case("forum", "bram_en_bo", "nl",
     "Wat betalen jullie eigenlijk voor Nestwarm Lactosevrij? Ik zie het overal rond de €16-17 liggen",
     brand="Nestwarm")
case("instagram", "@yusuf.labwerk", "nl",
     "Open dag in ons lab in Heerenveen 🔬 Kom kijken hoe we elke batch testen op o.a. Cronobacter en Salmonella. Aanmelden via kleinveld.nl",
     brand="Kleinveld")
case("tiktok", "@nestwarm.ouders", "nl",
     "Zo maak je een flesje met de Flesjesmaker Pro: 1) waterreservoir vullen 2) poeder in het bakje 3) knop indrukken. Klaar in 2 minuten ⏱️ #tutorial",
     brand="Kleinveld")
case("youtube", "@hannahpeeters", "en",
     "Great video Kleinveld, finally someone explains the difference between HA and AR formula properly.",
     kind="comment", brand="Kleinveld")
case("threads", "@jesse.papa", "nl",
     "Mijn dochter kijkt me aan alsof ik haar persoonlijk beledig als de fles Nestwarm 2 nog 2 minuten moet afkoelen 😂",
     brand="Nestwarm")
case("bluesky", "@mikkel-rasmussen.bsky.social", "en",
     "Kleinveld is hiring data engineers in Utrecht apparently. Anyone worked there? Decent culture?",
     brand="Kleinveld")
case("linkedin", "ingrid-van-der-laan-kleinveld", "en",
     "Proud that our Veenendaal site passed the unannounced FSSC 22000 audit with zero major findings. Hats off to the QA team!",
     brand="Kleinveld")
case("x", "@opa_gerrit", "nl",
     "Vorig jaar was er een terugroepactie bij een ander merk en Kleinveld legde toen netjes uit waarom hun eigen batches veilig waren. Dat soort openheid waardeer ik.",
     brand="Kleinveld")
case("forum", "jonge_ouders_zuid", "nl",
     "Voor de kinderbijslag vroegen ze ons BSN, niet Kleinveld hoor 😅 Kleinveld wil alleen je adres voor de bezorging, verder niks.",
     brand="Kleinveld")
case("x", "@femkevos__", "nl",
     "Haha mijn bestelnummer bij Kleinveld is " + G["bsn_bad2"] + ", lijkt wel een BSN. Schrok me even rot",
     brand="Kleinveld")
case("x", "@marloes_dijkhuis", "nl",
     "Vandaag 212 gesprekken met ouders gevoerd, van slapeloze nachten tot spuugbaby's. Mooiste baan die er is 💛",
     )
case("youtube", "@KleinveldNL", "nl",
     "Nieuwe video: 5 tips voor reflux-baby's met Nestwarm AR, samen met kinderarts dr. Bakker. Kijk mee!",
     brand="Nestwarm")
case("mastodon", "@ethicalfood@mstdn.social", "en",
     "Reading up on WHO code violations by the big formula brands. To be fair, Kleinveld's marketing looks a lot more restrained than the giants'.",
     brand="Kleinveld")
case("x", "@tomhuisman_", "en",
     "The Kleinveld webshop outage yesterday was annoying but they posted updates every hour and it's back now. Fair play.",
     brand="Kleinveld")
case("x", "@kleinveld_nl", "nl",
     "Update: onze webshop is weer volledig bereikbaar. Excuses voor het ongemak vanochtend!",
     brand="Kleinveld")
case("facebook", "Anouk Verhagen", "en",
     "Tip for new parents: always keep a spare tin in the house. We use Nestwarm 1, it's €24.99 and lasts us almost 2 weeks.",
     kind="comment", brand="Nestwarm")
case("reddit", "u/thrifty_twins", "en",
     "Kleinveld Meergranenpap is €3.79 pretty much everywhere. Any cheaper porridge that's just as good?",
     brand="Kleinveld")
case("bluesky", "@evi-kleinveld.bsky.social", "en",
     "Our new Nestwarm campaign just went live on TV 📺 so proud of this team",
     brand="Nestwarm")
case("x", "@wachtwoordtips", "nl",
     "Tip: gebruik een wachtwoordmanager, ook voor je Kleinveld-account. Mijn wachtwoord? ******** haha, nice try",
     brand="Kleinveld")
case("linkedin", "nina-vos-finance", "en",
     "Good talk by Kleinveld's CFO at the Food Finance congress on supply chain resilience. No numbers, but plenty of useful insight.",
     brand="Kleinveld")
case("threads", "@bigbro.bottles", "en",
     "This formula is the bomb 💣 my kid demolishes a bottle in 3 minutes flat. Nestwarm for life",
     brand="Nestwarm")
case("x", "@ilse_en_co", "nl",
     "Weet iemand of de Kleinveld Anti-Colic Fles ook met een andere speen werkt? Ze kosten €9,49 per stuk, wil niet meteen 3 kopen",
     brand="Kleinveld")
case("facebook", "KleinveldVoeding", "nl",
     "De winnaar van onze Maandbox-actie is bekend! We hebben de gelukkige persoonlijk gemaild 🎁 (privacy first!)",
     brand="Nestwarm")
case("x", "@equity_anna", "en",
     "Kleinveld full-year results 2026 look solid, +7% revenue in a tough market.",
     when="2027-02-26T10:40:00Z", brand="Kleinveld")
case("instagram", "@onzekleinemees", "nl",
     "Ons mannetje is vandaag 1 jaar geworden 🎂 van Nestwarm Pre naar Nestwarm 3, wat een reis",
     brand="Nestwarm")
case("reddit", "u/bughunter_nl", "en",
     "FYI Kleinveld runs a bug bounty. Reported a small XSS to them last year, they fixed it within a week and paid out. Respect.",
     brand="Kleinveld")
case("x", "@dealjager_wim", "nl",
     "Gehoord van die prijsfout bij een elektronicazaak, 65 inch tv voor 50 euro. Zoiets zie je bij Kleinveld nooit haha, de Nestwarm blikken blijven gewoon netjes geprijsd",
     brand="Nestwarm")
case("linkedin", "sander-hoekstra-kv", "en",
     "Our annual report 2025 is out — proud of the progress on recyclable tins. Read it on kleinveld.nl",
     when="2026-03-19T09:00:00Z", brand="Kleinveld")
case("mastodon", "@lienekeb@mastodon.nl", "en",
     "Thinking of everyone at the distribution centre next to Kleinveld after last week's fire. Glad nobody got hurt.",
     brand="Kleinveld")
case("x", "@dutchdad_abroad", "en",
     "Kleinveld's customer line 0800-0477 actually picked up in 2 minutes. Is this a dream?",
     brand="Kleinveld")
case("tiktok", "@vakantiemetbaby", "nl",
     "Zo doen wij de flesjes op vakantie 🏖️ Nestwarm kant-en-klaar, €8,99 voor 6 pakjes, super handig in het vliegtuig",
     brand="Nestwarm")


# --------------------------------------------------------------------------
# profile, roles, severity
# --------------------------------------------------------------------------
with open(PROFILE, encoding="utf-8") as f:
    P = yaml.safe_load(f)

ROLE = {}
for role in ("corporate", "employee"):
    for ent in P["accounts"][role]:
        plat, handle = ent.split(":", 1)
        ROLE[(plat.lower(), handle.lower())] = role


def role_of(platform, handle):
    plat = "x" if platform == "twitter" else platform
    return ROLE.get((plat.lower(), handle.lower()), "public")


PUB_IBANS = {i.replace(" ", "").upper() for i in P["public_identifiers"]["ibans"]}
PUB_EMAILS = {e.lower() for e in P["public_identifiers"]["emails"]}
PUB_PHONE_DIGITS = {re.sub(r"\D", "", p) for p in P["public_identifiers"]["phones"]}

IBAN_LEN = {"NL": 18, "BE": 16, "DE": 22, "FR": 27, "GB": 22, "ES": 24, "IT": 27}
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\w-])(?:\d[ -]?){12,18}\d(?![\w-])")
BSN_RE = re.compile(r"(?<![\w.])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\w])")


def checksum_candidates(text):
    """Return list of (kind, value, valid) for IBAN/card/BSN look-alikes."""
    t = text
    for s in SECRET_VALUES:
        t = t.replace(s, " ")
    out = []
    for m in IBAN_RE.finditer(t):
        v = m.group(0).replace(" ", "")
        if IBAN_LEN.get(v[:2]) == len(v):
            out.append(("iban", v, iban_ok(v)))
            t = t[:m.start()] + " " * (m.end() - m.start()) + t[m.end():]
    for m in CARD_RE.finditer(t):
        v = re.sub(r"\D", "", m.group(0))
        if 13 <= len(v) <= 19:
            out.append(("card", v, luhn_ok(v)))
            t = t[:m.start()] + " " * (m.end() - m.start()) + t[m.end():]
    for m in BSN_RE.finditer(t):
        v = re.sub(r"\D", "", m.group(0))
        out.append(("bsn", v, bsn_ok(v)))
    return out


SEV_ORDER = ["none", "info", "warning", "error", "critical"]


def severity(cats, role, text):
    sev = "none"

    def bump(s):
        nonlocal sev
        if SEV_ORDER.index(s) > SEV_ORDER.index(sev):
            sev = s
    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                bump("error")
                if c in ("leak.secret", "leak.pricing"):
                    bump("critical")
                if c == "leak.pii" and any(ok and not (k == "iban" and v in PUB_IBANS)
                                           for k, v, ok in checksum_candidates(text)):
                    bump("critical")
            else:
                bump("warning")
        elif c == "reputation.complaint":
            bump("warning")
        elif c == "reputation.crisis":
            bump("error")
        elif c == "reputation.abuse":
            bump("error" if insider else "warning")
    return sev


PLAT_PREFIX = {"x": "x", "facebook": "fb", "instagram": "ig", "linkedin": "li", "tiktok": "tt",
               "youtube": "yt", "reddit": "rd", "mastodon": "ma", "bluesky": "bs",
               "threads": "th", "forum": "fo"}


def url_for(platform, handle, pid):
    h = handle.lstrip("@")
    num = pid.split("-", 1)[1]
    return {
        "x": f"https://x.com/{h}/status/{num}",
        "facebook": f"https://www.facebook.com/{h.replace(' ', '.')}/posts/{num}",
        "instagram": f"https://www.instagram.com/p/{num}/",
        "linkedin": f"https://www.linkedin.com/feed/update/urn:li:activity:{num}/",
        "tiktok": f"https://www.tiktok.com/@{h}/video/{num}",
        "youtube": f"https://www.youtube.com/post/{num}",
        "reddit": f"https://www.reddit.com/comments/{num}",
        "mastodon": f"https://mastodon.example/@{h.split('@')[0]}/{num}",
        "bluesky": f"https://bsky.app/profile/{h}/post/{num}",
        "threads": f"https://www.threads.net/@{h}/post/{num}",
        "forum": f"https://forum.ouderspraat.example/t/{num}",
    }[platform]


def build():
    order = list(range(len(CASES)))
    rng.shuffle(order)
    seen = set()
    lines = []
    for i in order:
        c = CASES[i]
        while True:
            pid = "%s-%d" % (PLAT_PREFIX[c["platform"]], rng.randrange(10**15, 10**18))
            if pid not in seen:
                seen.add(pid)
                break
        role = role_of(c["platform"], c["handle"])
        post = {"id": pid, "platform": c["platform"], "kind": c["kind"],
                "account": {"handle": c["handle"]}, "text": c["text"], "lang": c["lang"],
                "created_at": c["when"], "url": url_for(c["platform"], c["handle"], pid)}
        if c["brand"]:
            post["brand"] = c["brand"]
        lines.append({"post": post, "expect": {"categories": c["cats"],
                                               "severity": severity(c["cats"], role, c["text"])}})
    return lines


# --------------------------------------------------------------------------
# self-checks
# --------------------------------------------------------------------------
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
CATEGORIES = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
              "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse",
              "reputation.spike"}
ZW = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)


def norm(t):
    return unicodedata.normalize("NFKC", t).translate(ZW).lower()


def parse_ts(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


PRODUCTS = []
for p in P["products"]:
    names = [p["name"]] + list(p.get("aliases", []))
    PRODUCTS.append((p["sku"], [n.lower() for n in names], float(p["list_price"])))
RATIO = float(P["pricing"]["alert_below_ratio"])
AMOUNT_RE = re.compile(r"€\s?(\d{1,4}(?:[.,]\d{1,2})?)|(\d{1,4}(?:[.,]\d{1,2})?)\s?(?:euro|eur)\b")
ERROR_WORDS = ["prijsfout", "price error", "pricing error", "price glitch", "pricemistake",
               "price mistake", "foutieve prijs", "glitch"]


def mentioned_products(t):
    out = []
    for sku, names, price in PRODUCTS:
        for n in names:
            if re.search(r"(?<![\w])" + re.escape(n) + r"(?![\w])", t):
                out.append((sku, price))
                break
    return out


def amounts(t):
    res = []
    for m in AMOUNT_RE.finditer(t):
        v = m.group(1) or m.group(2)
        res.append(float(v.replace(",", ".")))
    return res


def check(lines):
    errs = []

    def fail(pid, msg):
        errs.append(f"{pid}: {msg}")

    n = len(lines)
    if not 170 <= n <= 180:
        errs.append(f"case count {n} outside 170-180")
    ids = set()
    for L in lines:
        if set(L) != {"post", "expect"}:
            fail("?", "bad top-level keys")
        p, e = L["post"], L["expect"]
        pid = p.get("id")
        # --- contract section 1 / 6 shape
        if not isinstance(pid, str) or not 1 <= len(pid) <= 256:
            fail(pid, "bad id")
        if pid in ids:
            fail(pid, "duplicate id")
        ids.add(pid)
        if p.get("platform") not in PLATFORMS:
            fail(pid, "bad platform")
        if p.get("kind", "post") not in KINDS:
            fail(pid, "bad kind")
        if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str):
            fail(pid, "bad account.handle")
        if not isinstance(p.get("text"), str) or not p["text"].strip():
            fail(pid, "bad text")
        elif len(p["text"].encode("utf-8")) > 64 * 1024:
            fail(pid, "text too large")
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", p.get("created_at", "")):
            fail(pid, "bad created_at")
        ts = parse_ts(p["created_at"])
        if not (datetime(2026, 1, 1, tzinfo=timezone.utc) <= ts < datetime(2027, 4, 1, tzinfo=timezone.utc)):
            fail(pid, "created_at out of range")
        if ts.year == 2027 and not (datetime(2027, 2, 15, tzinfo=timezone.utc) <= ts <= datetime(2027, 3, 20, tzinfo=timezone.utc)):
            fail(pid, "2027 timestamp not around an embargo")
        cats = e.get("categories")
        if not isinstance(cats, list) or cats != sorted(set(cats)) or not set(cats) <= CATEGORIES:
            fail(pid, "bad categories")
        if "reputation.spike" in cats:
            fail(pid, "spike on a single post")
        if e.get("severity") not in SEV_ORDER:
            fail(pid, "bad severity")
        role = role_of(p["platform"], p["account"]["handle"])
        if e["severity"] != severity(cats, role, p["text"]):
            fail(pid, "severity not per policy")
        if not cats and e["severity"] != "none":
            fail(pid, "benign with severity")
        if cats and e["severity"] in ("none", "info"):
            fail(pid, "positive with none/info")

        text = p["text"]
        t = norm(text)
        # --- checksummed identifiers
        cands = [c for c in checksum_candidates(text) if not (c[0] == "iban" and c[1] in PUB_IBANS)]
        if cats:
            for k, v, ok in cands:
                if not ok:
                    fail(pid, f"positive holds a {k} failing its checksum: {v}")
                elif "leak.pii" not in cats:
                    fail(pid, f"valid {k} but no leak.pii label")
        else:
            for k, v, ok in cands:
                if ok:
                    fail(pid, f"benign holds a valid {k}: {v}")
        # --- own public data only in benign posts
        if not cats:
            for em in re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", text):
                if em.lower() not in PUB_EMAILS:
                    fail(pid, f"benign holds a non-public e-mail {em}")
            stripped = IBAN_RE.sub(" ", text)
            stripped = CARD_RE.sub(" ", stripped)
            for ph in re.findall(r"(?:\+31|0031|\b0)[\d \-()]{8,16}\d", stripped):
                if re.sub(r"\D", "", ph) not in PUB_PHONE_DIGITS:
                    fail(pid, f"benign holds a phone-like number {ph}")
        # --- credentials
        for tok in re.findall(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", text):
            if cats and "leak.secret" in cats and not github_token_ok(tok):
                fail(pid, "GitHub token with bad CRC")
            if not cats and github_token_ok(tok):
                fail(pid, "benign holds a real-format GitHub token")
        for akia in re.findall(r"\bAKIA[0-9A-Z]{16}\b", text):
            if cats:
                if not re.fullmatch(r"AKIA[A-Z2-7]{16}", akia) or "leak.secret" not in cats:
                    fail(pid, "bad AWS key id / label")
            elif not akia.endswith("EXAMPLE"):
                fail(pid, "benign holds a real AWS key id")
        for j in re.findall(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+", text):
            hdr = json.loads(base64.urlsafe_b64decode(j.split(".")[0] + "=" * (-len(j.split(".")[0]) % 4)))
            if "alg" not in hdr or "leak.secret" not in cats:
                fail(pid, "JWT without alg or label")
        for s in SECRET_VALUES:
            if s in text and "leak.secret" not in cats:
                fail(pid, "generated secret in a post not labelled leak.secret")
        # --- confidential terms
        conf_hit = [x for x in P["internal"]["codenames"] + P["internal"]["markers"] + P["internal"]["domains"]
                    if x.lower() in t]
        if conf_hit and "leak.confidential" not in cats:
            fail(pid, f"internal term {conf_hit} not labelled confidential")
        for emb in P["embargo"]:
            until = parse_ts(emb["until"])
            for term in emb["terms"]:
                if term.lower() in t:
                    if ts < until and "leak.confidential" not in cats:
                        fail(pid, f"embargo term {term!r} before until, not labelled")
                    if ts >= until and "leak.confidential" in cats and not conf_hit:
                        fail(pid, f"embargo term {term!r} after until but labelled confidential")
        # --- pricing
        prods = mentioned_products(t)
        amts = amounts(t)
        if "leak.pricing" in cats:
            low = any(a < RATIO * price for a in amts for _, price in prods)
            if not prods or not (low or any(w in t for w in ERROR_WORDS)):
                fail(pid, "pricing positive without product + low price / error talk")
        elif prods:
            floor = RATIO * min(price for _, price in prods)
            if any(a < floor for a in amts):
                fail(pid, f"non-pricing post with a price below {RATIO} x list")
            if any(w in t for w in ERROR_WORDS):
                fail(pid, "non-pricing post with price-error talk next to a product")
    # --- roles of authors
    for c in CASES:
        r = role_of(c["platform"], c["handle"])
        if r == "public" and ("@kleinveld" in c["handle"].lower() or "kv_" in c["handle"].lower()):
            errs.append(f"public handle looks like a company one: {c['handle']}")
    return errs


def main():
    lines = build()
    errs = check(lines)
    with open(OUT, "w", encoding="utf-8") as f:
        for L in lines:
            f.write(json.dumps(L, ensure_ascii=False) + "\n")
    # re-read and re-check what was written
    with open(OUT, encoding="utf-8") as f:
        reread = [json.loads(x) for x in f]
    if reread != lines:
        errs.append("cases.jsonl does not round-trip")

    cat_count = Counter(c for L in lines for c in L["expect"]["categories"])
    sev_count = Counter(L["expect"]["severity"] for L in lines)
    lang_count = Counter(L["post"]["lang"] for L in lines)
    roles = Counter(role_of(L["post"]["platform"], L["post"]["account"]["handle"]) for L in lines)
    benign = sum(1 for L in lines if not L["expect"]["categories"])
    print(f"cases: {len(lines)}  benign: {benign}  positives: {len(lines) - benign}")
    print("categories:", dict(sorted(cat_count.items())))
    print("severity:", dict(sev_count))
    print("lang:", dict(lang_count), " roles:", dict(roles))
    nl_share = lang_count["nl"] / len(lines)
    if not 0.50 <= nl_share <= 0.62:
        errs.append(f"Dutch share {nl_share:.2f} outside 0.50-0.62")
    if not 55 <= benign <= 65:
        errs.append(f"benign count {benign} outside 55-65")
    if errs:
        print("SELF-CHECK FAILED:")
        for e in errs:
            print("  -", e)
        sys.exit(1)
    print("self-check OK ->", OUT)


if __name__ == "__main__":
    main()
