#!/usr/bin/env python3
"""Build the sealed evaluation set 332 (Stilvanger Plaagbeheer, pest control).

Deterministic: fixed seed, standard library plus PyYAML. Writes cases.jsonl next to
this file and self-checks it (CONTRACT section 6 shape, checksums of identifiers,
credential formats, embargo windows, pricing ratios, severities derived from the
account role in profile.yaml per CONTRACT section 4).
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
SEED = 332_2026
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# ---------------------------------------------------------------------------
# identifier generators (valid and look-alike)
# ---------------------------------------------------------------------------
ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base62 order
B32 = string.ascii_uppercase + "234567"
URLSAFE = string.ascii_letters + string.digits + "-_"


def iban_check(country, bban):
    s = bban + country + "00"
    n = int("".join(str(int(c, 36)) for c in s))
    return "%02d" % (98 - n % 97)


def iban_valid(iban):
    iban = re.sub(r"\s", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", iban):
        return False
    s = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in s)) % 97 == 1


def make_iban(bank):
    acct = "".join(rng.choice(string.digits) for _ in range(10))
    bban = bank + acct
    return "NL" + iban_check("NL", bban) + bban


def bad_iban(bank):
    good = make_iban(bank)
    chk = int(good[2:4])
    wrong = "%02d" % ((chk + 7) % 97 + 2 if (chk + 7) % 97 + 2 != chk else chk + 1)
    bad = "NL" + wrong + good[4:]
    assert not iban_valid(bad)
    return bad


def spaced_iban(iban):
    return " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))


def luhn_valid(num):
    digits = [int(c) for c in re.sub(r"\D", "", num)]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def make_card(prefix, length=16):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for last in string.digits:
        if luhn_valid(body + last):
            return body + last
    raise AssertionError


def bad_card(prefix, length=16):
    good = make_card(prefix, length)
    bad = good[:-1] + str((int(good[-1]) + 3) % 10)
    assert not luhn_valid(bad)
    return bad


def spaced_card(num):
    return " ".join(num[i:i + 4] for i in range(0, len(num), 4))


def bsn_valid(num):
    d = re.sub(r"\D", "", num)
    if len(d) != 9:
        return False
    s = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return s % 11 == 0 and int(d) != 0


def make_bsn():
    while True:
        d = str(rng.randint(1, 9)) + "".join(rng.choice(string.digits) for _ in range(8))
        if bsn_valid(d):
            return d


def bad_bsn():
    while True:
        d = str(rng.randint(1, 9)) + "".join(rng.choice(string.digits) for _ in range(8))
        if not bsn_valid(d):
            return d


def mobile():
    return "6" + str(rng.randint(1, 5)) + "".join(rng.choice(string.digits) for _ in range(7))


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out or "0"


def github_token(prefix="ghp_"):
    body = "".join(rng.choice(ALNUM) for _ in range(30))
    return prefix + body + b62(zlib.crc32(body.encode())).rjust(6, "0")


def github_token_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def aws_key_id():
    return "AKIA" + "".join(rng.choice(B32) for _ in range(16))


def aws_secret():
    return "".join(rng.choice(string.ascii_letters + string.digits + "+/") for _ in range(40))


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jwt(payload):
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64url(bytes(rng.getrandbits(8) for _ in range(32)))
    return f"{header}.{body}.{sig}"


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    pad = "=" * (-len(parts[0]) % 4)
    hdr = json.loads(base64.urlsafe_b64decode(parts[0] + pad))
    return "alg" in hdr


def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


def password(n=14):
    while True:
        pw = rand(string.ascii_letters + string.digits + "!#%&*?", n)
        if (any(c.isdigit() for c in pw) and any(c.isupper() for c in pw)
                and any(c in "!#%&*?" for c in pw)):
            return pw


def rsa_pem():
    der = bytes.fromhex("308204a40201000282010100") + bytes(rng.getrandbits(8) for _ in range(1180))
    b = base64.b64encode(der).decode()
    lines = [b[i:i + 64] for i in range(0, len(b), 64)]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"


def fullwidth(s):
    out = []
    for ch in s:
        if "!" <= ch <= "~":
            out.append(chr(ord(ch) + 0xFEE0))
        else:
            out.append(ch)
    return "".join(out)


ZW = "\u200b"

# --- generated values ------------------------------------------------------
IBAN_REFUND = make_iban("INGB")
IBAN_CORP_REFUND = make_iban("RABO")
IBAN_DOUBLE = make_iban("ABNA")
IBAN_FAKE = bad_iban("BUNQ")
CARD_PHONE = make_card("4", 16)
CARD_FW = make_card("53", 16)
CARD_REF_BAD = bad_card("54", 16)
BSN_CUST = make_bsn()
BSN_OWN = make_bsn()
BSN_BAD = bad_bsn()
MOB_SANNE = mobile()
MOB_KRAMER = mobile()
MOB_LOTTE = mobile()
GHP_RUNNER = github_token("ghp_")
GHP_ZW = github_token("ghp_")
AWS_ID = aws_key_id()
AWS_SECRET = aws_secret()
STRIPE = "sk_live_" + rand(ALNUM, 24)
PW_WIFI = password(12)
PW_PORTAL = password(10)
PW_DB = password(18)
SLACK_HOOK = ("https://hooks.slack.com/services/T0" + rand(string.ascii_uppercase + string.digits, 8)
              + "/B0" + rand(string.ascii_uppercase + string.digits, 9) + "/" + rand(string.ascii_letters + string.digits, 24))
OPENAI = "sk-proj-" + rand(URLSAFE, 64) + "T3BlbkFJ" + rand(URLSAFE, 64)
ANTHROPIC = "sk-ant-api03-" + rand(URLSAFE, 93) + "AA"
MOLLIE = "live_" + rand(string.ascii_letters + string.digits, 30)
JWT_DISPATCH = jwt({"sub": "disp-0417", "name": "nachtdienst", "role": "dispatcher",
                    "iat": 1782950400, "exp": 1782950700})
RSA_KEY = rsa_pem()
GH_ZW_TEXT = GHP_ZW[:2] + ZW + GHP_ZW[2:]
PUBLIC_IBAN = PROFILE["public_identifiers"]["ibans"][0]

# ---------------------------------------------------------------------------
# cases
# ---------------------------------------------------------------------------
CASES = []

C = "reputation.complaint"
K = "reputation.crisis"
A = "reputation.abuse"
F = "leak.confidential"
FIN = "leak.financial"
SEC = "leak.security"
S = "leak.secret"
P = "leak.pii"
PR = "leak.pricing"


def add(cats, platform, handle, lang, text, kind="post", when=None, price=None, brand="Stilvanger"):
    CASES.append(dict(cats=sorted(set(cats)), platform=platform, handle=handle, lang=lang,
                      text=text, kind=kind, when=when, price=price, brand=brand))


# ---- complaints ------------------------------------------------------------
add([C], "x", "@joyce_utr", "nl",
    "@stilvanger 3e keer dat jullie monteur niet komt opdagen. hele ochtend vrij genomen voor niks. "
    "bedwantsen lopen ondertussen nog steeds vrolijk rond 🙃", kind="reply")
add([C], "x", "@thijs_ams", "en",
    "paid @stilvanger for the ThermoKill treatment two weeks ago and I'm still waking up covered in bites. "
    "what exactly did I pay 895 euros for", price=("SV-BB-HEAT", 895.00))
add([C], "facebook", "Restaurant De Gouden Lepel", "nl",
    "Wij hebben al een jaar een KeukenWacht abonnement voor ons restaurant maar de technicus vinkt alleen "
    "zijn lijstje af en kijkt niet eens achter de koelcellen. Muizenkeutels liggen er gewoon nog. "
    "Ik ben er helemaal klaar mee.", kind="comment")
add([C], "reddit", "u/basement_rats_2026", "en",
    "Anyone else had a bad experience with Stilvanger? Rat problem in our basement, they put down two "
    "RatLock boxes, charged a callout fee and never came back for the follow-up they promised. "
    "Customer service just keeps saying \"we'll call you back\" lol. it's been a month")
add([C], "instagram", "@floor.bloemt", "nl",
    "DuifVrij net hangt na 3 maanden al half los en de duiven zitten er gewoon achter te broeden. "
    "Top werk hoor @stilvanger.nl 👏👏 (not)", kind="comment")
add([C], "x", "@kateinrdam", "en",
    "@stilvanger_help been on hold for 47 minutes. wasps nest right above my kid's bedroom window. 47. minutes.",
    kind="reply", when="2026-08-03T16:12:40+02:00")
add([C], "forum", "henkdewit62", "nl",
    "Factuur van Stilvanger klopt niet. Telefonisch WespWeg afgesproken voor €119, nu €265 gefactureerd met "
    "een 'toeslag hoogwerker' waar niemand het over gehad heeft. Twee mails gestuurd, reactie: nul. "
    "Iemand ervaring met bezwaar maken bij die club?", price=("SV-WASP-NEST", 119.00),
    when="2026-07-21T20:44:02+02:00")
add([C], "tiktok", "@noaahh.x", "nl",
    "dat jullie dit soort filmpjes posten terwijl mijn bedwantsen na 2 behandelingen er nog gewoon zitten "
    "is echt next level 💀💀", kind="comment")
add([C], "forum", "B&B_Zeezicht", "en",
    "We run a 12-room B&B in Zandvoort and signed up for HotelShield last spring. Promised response time: "
    "24h. Actual response after a guest found bedbugs: five days. We had to close two rooms over a bank "
    "holiday weekend. Not renewing, and I'd think twice if I were you.")
add([C], "x", "@wouterr_", "en",
    "bought a sonicguard from stilvanger, the mice literally dance around it. asked for a refund "
    "3 weeks ago and still nothing #customerservice")

# ---- complaint + crisis (first-hand harm) ----------------------------------
add([C, K], "x", "@marieke_zwolle", "nl",
    "Na de CryoClean behandeling van @stilvanger gisteren lag mijn vriend vannacht met bonzende hoofdpijn "
    "en duizelig op de bank, onze CO2-meter stond op rood. Huisarts zegt lichte koolzuurvergiftiging. "
    "Niemand had ons verteld dat we moesten luchten voor we terug naar binnen gingen. Woedend.")
add([C, K], "reddit", "u/tiredmum_ehv", "en",
    "Our toddler got hold of rat poison pellets that the Stilvanger tech left in an open tray on the kitchen "
    "counter. Spent the night in A&E, she's ok thank god. When I called them they said it was \"standard "
    "procedure\". It's not.")
add([C, K], "facebook", "Ingrid Smeets", "nl",
    "Onze hond is doodziek geworden van het rattengif dat de technicus van Stilvanger in de tuin heeft "
    "gestrooid, ZONDER lokdoos. Dierenarts zegt vergiftiging, hij ligt nu aan het infuus 😭 "
    "Ik wil een verklaring van jullie.")
add([C, K], "x", "@chef_oskar", "en",
    "the RatLock Connect trap in our restaurant kitchen literally sparked and started smoking last night. "
    "fire alarm went off in the middle of service, 60 covers out on the street. @stilvanger explain??")
add([C, K], "instagram", "@lies_en_lot", "nl",
    "mijn dochter heeft een flinke allergische reactie gekregen van die NachtRust spray, armen helemaal "
    "onder de rode uitslag. stond nergens op dat je het niet op beddengoed mocht spuiten?!", kind="comment")
add([C, K], "threads", "@alexwandert", "en",
    "stayed at a hotel in Rotterdam, room had been \"treated\" by Stilvanger that morning and nobody told us. "
    "woke up coughing with burning eyes and ended up at urgent care. hotel blames the pest company, pest "
    "company blames the hotel. I just want someone to take responsibility")

# ---- complaint + abuse -----------------------------------------------------
add([C, A], "x", "@rdam_ronnie", "nl",
    "@stilvanger stelletje oplichters, kankerbedrijf. 3x laten komen en er lopen nog steeds ratten in de schuur",
    kind="reply")
add([C, A], "x", "@grumpy_landlord", "en",
    "absolute clowns at @stilvanger_help. useless fucking idiots, rats still in the walls after 4 visits "
    "and they want another €180 for a 'reassessment'")
add([C, A], "facebook", "Kim van Leeuwen", "nl",
    "Jullie technicus Daan is een arrogante eikel die mijn moeder heeft uitgelachen omdat ze bang is voor "
    "muizen. En de muizen zitten er nog ook. Service? Nul.", kind="comment")

# ---- complaint + pii (customer's own data) ---------------------------------
add([C, P], "x", "@sannedijkh", "nl",
    f"@stilvanger_help al 2 weken geen reactie op mijn mail over het wespennest. bel me nou gewoon terug: "
    f"0{MOB_SANNE[:1]}-{MOB_SANNE[1:3]} {MOB_SANNE[3:5]} {MOB_SANNE[5:7]} {MOB_SANNE[7:]} of mail naar "
    f"sanne.dijkhuis84@gmail.com", kind="reply", when="2026-06-18T10:02:55+02:00")
add([C, P], "facebook", "Maarten Hofstra", "en",
    f"Still waiting for my refund for the SnuffelScan visit that never happened. Six weeks now. "
    f"Refund to {spaced_iban(IBAN_REFUND)} in the name of M. Hofstra, how hard can it be?", kind="comment")

# ---- crisis only -------------------------------------------------------------
add([K], "x", "@dierenvriendin_eva", "nl",
    "BOYCOT STILVANGER! Ze gebruiken lijmplanken waar muizen dagenlang aan vastgeplakt liggen te sterven. "
    "Deel dit! #boycotstilvanger #dierenleed")
add([K], "x", "@hospitality_watch", "en",
    "Hearing that Stilvanger customer data got leaked — names, addresses and which hotels had bedbugs. "
    "If that's true it's massive for the whole sector. Anyone able to confirm?")
add([K], "blog", "plaagnieuws.nl", "nl",
    "Hotelketen sleept plaagdierbestrijder Stilvanger voor de rechter na bedwantsenuitbraak. Volgens de "
    "dagvaarding is het HotelShield-contract 'structureel niet nagekomen'. Stilvanger wilde nog niet reageren.")
add([K], "reddit", "u/tilburgnieuws", "en",
    "Local news: a Stilvanger technician was hospitalised after a fumigation went wrong at a warehouse in "
    "Tilburg this morning. Fire brigade on site, area cordoned off.")
add([K], "x", "@consumentalert", "en",
    "Stilvanger is recalling the SonicGuard: the adapter can overheat. Check the serial on the back and "
    "don't plug it in again 😬")
add([K], "facebook", "Advocatenkantoor Veenstra", "nl",
    "Wij zoeken gedupeerden: Stilvanger zou bij tientallen horecazaken vervolgbezoeken hebben gefactureerd "
    "die nooit hebben plaatsgevonden. Een collectieve claim is in voorbereiding. Neem contact op via ons kantoor.")
add([K], "x", "@amsnoord_nieuws", "en",
    "Footage circulating that shows Stilvanger techs dumping used poison bait straight into a canal in "
    "Amsterdam-Noord. This company needs to be shut down. #Stilvanger")
add([K], "linkedin", "marco-hospitality-consult", "en",
    "Disappointing to read that Stilvanger is under investigation by the ILT for using a banned rodenticide "
    "in hotel kitchens. Our sector deserves better partners.")
add([K], "x", "@portiek_bewoner", "nl",
    "Buurvrouw is met haar kat bij de dierenarts beland na een behandeling van Stilvanger in ons portiek. "
    "Het gif lag gewoon open in het trappenhuis. Hoe kan dit??")

# ---- confidential ----------------------------------------------------------
add([F], "x", "@rick_stilvanger", "en",
    "first test week of Project Hamelin done. those new sensors pick up a rat from 3 metres away 🐀📡")
add([F], "linkedin", "youssef-benali-sv", "en",
    "Exciting times! Can't say much yet but Operatie Nachtvlinder is going to change how hotels deal with "
    "bedbugs for good. Ping me if you're a hotel GM in Amsterdam 😉")
add([F], "x", "@lindavdmeer_sv", "nl",
    "wie kan er bij https://planning.stilvanger.local/rooster/week48 ? krijg steeds 403 vanaf thuis",
    when="2026-11-24T07:41:09+01:00")
add([F], "instagram", "@stilvanger.nl", "nl",
    "Sneak peek 👀 De RatLock Connect 2 komt eraan! Kleiner, slimmer en volledig via de app te volgen. Stay tuned 🐭",
    when="2026-11-12T12:00:00Z")
add([F], "tiktok", "@ratjesrob", "en",
    "quick look at the egelschild prototypes on my bench 👀 technically not allowed to say anything yet haha")
add([F], "linkedin", "eva-kuipers-stilvanger", "nl",
    "De nieuwe vacatureteksten staan klaar in de map 'SV-INTERN / HR / 2027'. Collega's, graag jullie "
    "feedback vóór vrijdag!")
add([F], "reddit", "u/hotelnerd_nl", "en",
    "my cousin works at Stilvanger and says they're testing some CO2 truck called CryoClean Mobile for "
    "hotels, you just park it outside and treat the whole floor. sounds pretty cool tbh",
    when="2026-10-03T21:15:00Z")
add([F], "x", "@m_oosterhuis", "nl",
    "Campagnebeelden voor CryoClean Mobile zijn net binnen en ze zijn 🔥🔥 nog even geduld mensen",
    when="2027-01-19T18:05:00Z")
add([F], "bluesky", "@joostdevops.bsky.social", "en",
    "migrating the grafana.stilvanger.io dashboards to the new cluster tonight, if the alerts look weird "
    "that's me 🙃")
add([F], "linkedin", "stilvanger-plaagbeheer", "en",
    "stilvanger confidential – do not forward. Roadmap H1 2027 for the hospitality division attached, "
    "please review before the board session.")
add([F], "facebook", "StilvangerNL", "nl",
    "Beste klant, [NIET EXTERN DELEN: marge op deze offerte 62%, max 10% korting geven] hierbij onze "
    "offerte voor het HotelShield jaarcontract. Met vriendelijke groet, team Stilvanger", kind="reply")
add([F], "reddit", "u/sv_nachtdienst", "nl",
    "Officieel mogen we klanten nog niks vertellen maar intern heet het nieuwe hotelpakket 'Operatie "
    "Nachtvlinder' en het wordt flink duurder, just saying", kind="comment")
add([F], "x", "@rick_stilvanger", "nl",
    "Pr\u043ej\u0435ct H\u0430m\u0435lin draait nu ook in Utrecht, die ratten hebben geen schijn van kans meer")
add([F], "instagram", "@ongedierte_daan", "nl",
    "haha kijk wat er bovenaan mijn werkbon staat: " + fullwidth("SV-INTERN") +
    " – niet aan klant tonen 😂 nou bij deze dan")
add([F], "x", "@m_oosterhuis", "nl",
    "m4g n1ks zeggen over pr0ject h4melin maar echt, het wordt zo vet 🤐")
add([F], "forum", "plaagfan_drenthe", "nl",
    "Iemand anders die interne handleiding van Stilvanger ook gezien? Staat 'Stilvanger Confidential' "
    "bovenaan elke pagina, gaat al dagen rond in een Telegram-groep. Hoofdstuk over gifdoseringen is wild.")
add([F], "x", "@stilvanger", "en",
    "Coming soon: Egel" + ZW + "schild 🦔 More news shortly!")
add([F], "bluesky", "@joostdevops.bsky.social", "en",
    "jira.stilvanger.nl/browse/OPS-2231 -- who closed this without fixing it lol")
add([F, FIN], "linkedin", "hanneke-verbeek-finance", "nl",
    "Q4-cijfers 2026 zo goed als rond: omzet ruim boven budget en EBITDA +22% t.o.v. vorig jaar. "
    "Trots op het hele team! 📈", when="2027-01-28T15:30:00Z")
add([F, FIN], "linkedin", "youssef-benali-sv", "en",
    "Big news coming: Project Hamelin is basically us acquiring a Belgian sensor startup. Deal should close "
    "in March, can't wait to welcome the team!")

# ---- financial ---------------------------------------------------------------
add([FIN], "linkedin", "hanneke-verbeek-finance", "nl",
    "Forecast 2027 staat! We mikken op €48 mln omzet, zo'n 15% groei. Mooie basis voor de budgetrondes volgende week.",
    when="2026-11-17T16:45:00+01:00")
add([FIN], "reddit", "u/sv_nachtdienst", "en",
    "heard from my manager they're closing the Eindhoven depot and letting go of about 30 techs in Q1. "
    "nothing official yet so don't ask me for details", kind="comment")
add([FIN], "x", "@rick_stilvanger", "en",
    "just read in the board's email that we're being bought by a british company. nobody's supposed to know "
    "until the announcement so shhh 🤫")
add([FIN], "linkedin", "stilvanger-plaagbeheer", "nl",
    "H1 2026: omzet €21,4 mln (-6% j-o-j), nettoverlies €1,2 mln. Het persbericht volgt op 14 augustus.",
    when="2026-08-05T09:12:00+02:00")
add([FIN], "bluesky", "@joostdevops.bsky.social", "en",
    "reorg announced internally today: the whole IT team moves under the new parent company and 8 of us "
    "get \"transitioned\". not public yet, so keep it quiet pls")
add([FIN], "x", "@beursroddels", "en",
    "Hearing through the grapevine that Stilvanger is in sale talks with a big international player. "
    "Number floating around is ~90 million. Watch this space 👀")
add([FIN], "linkedin", "eva-kuipers-stilvanger", "nl",
    "Pittige weken bij HR. We bereiden een reorganisatie voor waarbij regio Noord wordt samengevoegd met Oost. "
    "Gedwongen ontslagen zijn helaas niet uit te sluiten. Sterkte aan alle collega's.")
add([FIN], "x", "@m_oosterhuis", "en",
    "Q3 numbers internally are wild, we beat forecast by like 30% thanks to bedbug season 🛏️🐛 "
    "can't wait for the official release", when="2026-10-09T17:20:00+02:00")
add([FIN], "x", "@stilvanger", "nl",
    "@investeerder_ad Dat kunnen we officieel nog niet bevestigen, maar de winstverwachting voor 2026 gaat "
    "inderdaad omlaag naar ca. €3,1 mln.", kind="reply")
add([FIN], "tiktok", "@ratjesrob", "en",
    "POV: you find out at work that your whole team is getting laid off in march because they're "
    "outsourcing rat control 🙃 #layoffs #worklife")

# ---- security ----------------------------------------------------------------
add([SEC], "bluesky", "@joostdevops.bsky.social", "en",
    "incident bridge since 3am: someone got into our customer portal through an old admin account and "
    "it looks like they pulled the hotel contract list. comms hasn't decided what to say yet 😬")
add([SEC], "x", "@lindavdmeer_sv", "nl",
    "planningssysteem ligt er al sinds 7 uur uit, technici rijden rond met papieren lijstjes. "
    "tegen klanten zeggen we dat het 'gepland onderhoud' is 🙈")
add([SEC], "reddit", "u/sv_nachtdienst", "en",
    "PSA for coworkers: the RatLock Connect units still ship with admin/admin on their local web interface. "
    "I reported it in March. Nobody fixed it.")
add([SEC], "x", "@rick_stilvanger", "en",
    "all our work tablets got wiped yesterday by some ransomware crap, so now I'm at customers with a pen "
    "and a receipt book. welcome to 2026")
add([SEC], "x", "@lindavdmeer_sv", "nl",
    "phishingmail is bij 40+ collega's doorgekomen en minstens 6 hebben hun inlog ingevuld. we resetten "
    "nu alle accounts. niet verder vertellen aub, er komt nog geen bericht naar buiten")
add([SEC], "facebook", "StilvangerNL", "nl",
    "Excuses voor de vertraging! Ons klantportaal is gehackt en we hebben alles offline gehaald, dus "
    "afspraken gaan voorlopig alleen telefonisch.", kind="reply")
add([SEC], "bluesky", "@joostdevops.bsky.social", "en",
    "fun fact: the Plaagradar app API hands you any customer's address if you just increment the booking id. "
    "ticket's been open for 2 sprints 🙃")
add([SEC], "tiktok", "@ratjesrob", "en",
    "sensor outage: every RatLock Connect box in Rotterdam has been offline for 2 days and the customers "
    "have no clue haha", kind="post")
add([SEC], "x", "@pentest_pim", "nl",
    "Pentest afgerond bij een plaagdierbedrijf uit Utrecht. SQL-injectie in het klantportaal, nog steeds "
    "niet gepatcht. Namen noem ik niet maar het begint met Stil... en eindigt op vanger 🤷")
add([SEC], "x", "@lindavdmeer_sv", "nl",
    "niet officieel maar: o n s  C R M  i s  g e h a c k t. meer mag ik echt niet zeggen")
add([SEC], "linkedin", "youssef-benali-sv", "en",
    "Rough week at Stilvanger: our dispatch database fell over for 19 hours and we still haven't told "
    "customers why their appointments vanished. Lessons learned, more later.")
add([SEC, S], "bluesky", "@joostdevops.bsky.social", "en",
    f"still cleaning up after an intern pushed this to a public repo:\naws_access_key_id = {AWS_ID}\n"
    f"aws_secret_access_key = {AWS_SECRET}\nrotated? not yet lol")
add([SEC], "reddit", "u/sv_nachtdienst", "en",
    "Night dispatch phones were down from 23:00 to 05:00 last night, emergency callouts went straight to "
    "voicemail. Management says don't mention it to anyone.", kind="comment")

# ---- secrets -----------------------------------------------------------------
add([S], "bluesky", "@joostdevops.bsky.social", "en",
    f"can someone from infra check why this token doesn't work on the deploy runner? {GHP_RUNNER}")
add([S], "x", "@lindavdmeer_sv", "nl",
    f"nieuwe wifi in depot Utrecht 📶 netwerk: SV-Depot-UTR, wachtwoord: {PW_WIFI}")
add([S], "x", "@stilvanger_help", "nl",
    f"@hotel_debrug Hoi! Je kunt inloggen op het portaal met gebruiker hotel_ams12 en wachtwoord {PW_PORTAL} "
    f"Fijne dag! ^Lisa", kind="reply")
add([S], "reddit", "u/sv_nachtdienst", "en",
    f"anyone know why stripe keeps rejecting our webhook? config is\nSTRIPE_SECRET_KEY={STRIPE}\n"
    f"STRIPE_WEBHOOK_TOLERANCE=300", kind="comment")
add([S], "bluesky", "@joostdevops.bsky.social", "en",
    f"why does this time out from the runner but not from my laptop?\nDATABASE_URL=postgres://sv_app:{PW_DB}"
    f"@sv-prod.cxk2ab9qz1.eu-west-1.rds.amazonaws.com:5432/planning")
add([S], "forum", "webdev_kees", "nl",
    "Ik bouw de boekingsmodule voor Stilvanger en krijg steeds 'Permission denied (publickey)' op hun "
    "server. Dit is de key die ik van ze kreeg, wat doe ik fout?\n\n" + RSA_KEY)
add([S], "x", "@m_oosterhuis", "en",
    f"why is our bot posting everything twice in #marketing?? here's the webhook: {SLACK_HOOK}")
add([S], "bluesky", "@joostdevops.bsky.social", "en",
    f"quote bot is live on the test page 🎉 OPENAI_API_KEY={OPENAI} in the .env for now, will move it to vault later")
add([S], "reddit", "u/sv_nachtdienst", "en",
    f"dispatch app logs me out every 5 minutes. this is the token it gives me, can someone decode it and "
    f"tell me why: {JWT_DISPATCH}", kind="comment")
add([S], "x", "@sec_snoop", "en",
    f"lmao Stilvanger's Mollie key is just sitting in the page source of their booking widget: {MOLLIE}")
add([S], "x", "@lindavdmeer_sv", "nl",
    f"token voor de ci werkt niet meer?? {GH_ZW_TEXT} iemand een idee")
add([S], "bluesky", "@joostdevops.bsky.social", "en",
    f"testing the new invoice summariser, ANTHROPIC_API_KEY={ANTHROPIC} works fine locally")

# ---- personal data -----------------------------------------------------------
add([P], "x", "@stilvanger_help", "nl",
    "@hotel_debrug Klopt! De technicus komt morgen bij mevr. J. Verhoef, Kastanjelaan 14, 3581 AB Utrecht, "
    "tussen 8 en 12 uur.", kind="reply")
add([P], "facebook", "StilvangerNL", "nl",
    f"Bedankt voor je geduld! We hebben de terugbetaling van €249 vandaag overgemaakt naar "
    f"{spaced_iban(IBAN_CORP_REFUND)} t.n.v. P. de Graaf.", kind="reply")
add([P], "x", "@rick_stilvanger", "nl",
    f"klant van vandaag belde me 5x op m'n privé. als iemand dhr. Kramer kent (0{MOB_KRAMER[:1]}-{MOB_KRAMER[1:]}) "
    f"hou m ff bij me weg 😂")
add([P], "linkedin", "eva-kuipers-stilvanger", "nl",
    "Welkom aan onze nieuwe collega Priya Raman (geb. 12-03-1994)! Priya start maandag als technicus in regio West 🎉")
add([P], "reddit", "u/sv_nachtdienst", "en",
    f"customer paid with card {spaced_card(CARD_PHONE)} exp 09/28 over the phone and now the system won't take it, "
    f"can someone in finance retry it?", kind="comment")
add([P], "x", "@stilvanger_help", "nl",
    f"@markvdbosch Hoi Mark, we hebben je BSN ({BSN_CUST}) echt niet nodig voor een afspraak hoor, die hebben "
    f"we al uit ons systeem verwijderd 🙂", kind="reply")
add([P], "x", "@kvermeulen_dh", "nl",
    "@stilvanger_help mijn mailadres is k.vermeulen@ziggo.nl, postcode 2514 GK. graag vandaag nog iemand "
    "voor het wespennest onder de dakgoot", kind="reply", when="2026-07-30T08:17:00+02:00")
add([P], "instagram", "@ongedierte_daan", "en",
    "Whole hotel bedbug-free at Hotel Zonneweide today 🛏️✅ Want a reference? Just email the owner: "
    "r.zonneveld@hotelzonneweide.nl")
add([P], "tiktok", "@ratjesrob", "nl",
    "shoutout naar mevrouw Bakker van de Dorpsstraat 88 in Bunnik die ons elke keer koffie met koek geeft ☕🐀")
add([P], "linkedin", "stilvanger-plaagbeheer", "en",
    "Happy 25th work anniversary, Henk Mulder! Born 4 July 1969, and our go-to pigeon expert for a quarter "
    "of a century 🕊️🎉")
add([P], "x", "@m_oosterhuis", "nl",
    f"winnaar van de rattenval-winactie is Lotte uit Amersfoort 🎉 Lotte, stuur even een dm of we bellen "
    f"je op 0{MOB_LOTTE[:1]}\u2011{MOB_LOTTE[1:]}")
add([P], "reddit", "u/sv_nachtdienst", "en",
    f"payroll messed up again and now my BSN {BSN_OWN} shows up on someone else's payslip. "
    f"is anyone in HR awake??", kind="comment")
add([P], "x", "@fenna_b", "nl",
    f"@stilvanger_help ik heb dubbel betaald voor de thuisinspectie, kunnen jullie €79 terugstorten op "
    f"{IBAN_DOUBLE}? groetjes, Fenna", kind="reply", price=("SV-INSPECT", 79.00))
add([P], "x", "@rick_stilvanger", "en",
    "customer gave me this card for the follow-up visit, app keeps refusing it: " + fullwidth(spaced_card(CARD_FW)))

# ---- abuse -------------------------------------------------------------------
add([A], "x", "@maxmaxmax99", "en",
    "@stilvanger you lot are the real vermin 🐀🤡", kind="reply")
add([A], "x", "@zuidoost_ray", "nl",
    "die rattenvangers van stilvanger zijn gewoon t.u.i.g, hoop dat jullie failliet gaan")
add([A], "instagram", "@n0name_4711", "nl",
    "@ongedierte_daan lelijke vetzak, ga lekker zelf in je lijmplank liggen", kind="comment")
add([A], "tiktok", "@echtehollander_", "nl",
    "ze sturen altijd van die buitenlanders die geen woord nederlands spreken, ga terug naar je eigen land "
    "en neem je ratten mee", kind="comment")
add([A], "x", "@rick_stilvanger", "nl",
    "klanten die zeuren over 3 muizenkeutels kunnen wat mij betreft de tyfus krijgen eerlijk")
add([A], "x", "@stilvanger_help", "nl",
    "@brammetje1988 als je zo'n hufter blijft doen komen we helemaal niet meer. succes met je ratten", kind="reply")
add([A], "reddit", "u/anoniem_boos", "nl",
    "stilvanger = k4nk3r b3drijf en die m0nt3urs zijn stuk voor stuk id10t3n", kind="comment")
add([A], "x", "@lucas_offline", "nl",
    "f" + ZW + "uck @stilvanger en die hele club clowns")
add([A], "mastodon", "@nightowl@mastodon.social", "en",
    "Saw the Stilvanger ad with that smug CEO again. What a vile little man. Someone should wipe that grin "
    "off his face.")

# ---- pricing -------------------------------------------------------------------
add([PR], "x", "@stilvanger", "nl",
    "🔥 Black Friday 🔥 ThermoKill bedwantsbehandeling nu voor maar €89! Op = op", when="2026-11-27T08:00:00+01:00",
    price=("SV-BB-HEAT", 89.00))
add([PR], "instagram", "@stilvanger.nl", "en",
    "Today only: HotelShield annual contract for €240 instead of €2,400 😱 Link in bio!", price=("SV-HOTEL", 240.00))
add([PR], "x", "@m_oosterhuis", "nl",
    "oeps volgens mij staat de RatLock Connect in de webshop voor €18,90 🙈 iemand van e-com die wakker is?",
    price=("SV-RAT-IOT", 18.90))
add([PR], "x", "@dealjager_rob", "nl",
    "lol de webshop van stilvanger verkoopt het DuifVrij net voor €3,49 😂 prijsfoutje? heb er maar 10 besteld",
    price=("SV-PIGEON-NET", 3.49))
add([PR], "reddit", "u/frugal_dutchie", "en",
    "PSA: the SlaapSafe mattress cover is €6.90 on the Stilvanger shop right now, definitely a pricing error. "
    "grab it before they fix it", price=("SV-BB-COVER", 6.90))
add([PR], "linkedin", "youssef-benali-sv", "en",
    "Exclusive for my restaurant contacts: KeukenWacht at €29/month this quarter. Slide into my DMs!",
    price=("SV-HORECA", 29.00))
add([PR], "forum", "koopjesjager77", "nl",
    "[Prijsfout?] Stilvanger MuisStop Pro voor €7,95 (normaal €79). Bij mij ging de bestelling gewoon door",
    price=("SV-MOUSE-PRO", 7.95))
add([PR], "facebook", "StilvangerNL", "nl",
    "Er zat een prijsfout in onze webshop bij de CryoClean behandeling. We zoeken uit wat er misging; "
    "bestellingen met de verkeerde prijs worden helaas geannuleerd.")
add([PR], "tiktok", "@ratjesrob", "nl",
    "als je nu snel bent: sonicguard kost op de site €4,99 ipv €49,95 🤫 niet verder vertellen",
    price=("SV-SONIC", 4.99))
add([PR], "x", "@jess_in_haarlem", "en",
    "@stilvanger_help your site says wasp nest removal (WespWeg) is €11.90 — is that right or a typo? "
    "booking three if it's real lol", kind="reply", when="2026-08-11T13:09:00+02:00", price=("SV-WASP-NEST", 11.90))
add([PR], "x", "@rick_stilvanger", "nl",
    "collega's: de thuisinspectie staat in het systeem voor €7,90. foutje van marketing? klanten bellen al",
    price=("SV-INSPECT", 7.90))
add([PR], "instagram", "@budgetbeestje", "en",
    "got ThermoKill for €295 with a code that's floating around on Discord, still works 👀",
    price=("SV-BB-HEAT", 295.00))

# ---- benign (mostly hard negatives) ----------------------------------------------
B = []
add(B, "x", "@moeders_mooi", "en",
    "Shoutout to @stilvanger, wasp nest above the sandpit gone within 2 hours of calling. Lovely guy too 🙏", when="2026-08-14T15:33:00+02:00")
add(B, "x", "@nomadnina", "en",
    "Stilvanger's ThermoKill actually worked. 3 weeks, zero bites. worth every cent of the €895",
    price=("SV-BB-HEAT", 895.00))
add(B, "x", "@stilvanger_help", "nl",
    "Vragen over je afspraak? Bel 0800-7845 of mail klantenservice@stilvanger.nl, we helpen je graag!")
add(B, "facebook", "StilvangerNL", "nl",
    f"Ons rekeningnummer voor facturen is {spaced_iban(PUBLIC_IBAN)} t.n.v. Stilvanger Plaagbeheer B.V. "
    f"Vermeld altijd je factuurnummer.")
add(B, "instagram", "@stilvanger.nl", "nl",
    "Voorjaarsactie 🐝 WespVal lokpot nu €11,95 (was €14,95). Hang 'm op vóór de wespen er zijn!",
    when="2026-04-15T10:00:00+02:00", price=("SV-WASP-TRAP", 11.95))
add(B, "x", "@stilvanger", "nl",
    "De RatLock lokdoos blijft gewoon €39,95. Geen abonnement, geen kleine lettertjes.", price=("SV-RAT-BOX", 39.95))
add(B, "reddit", "u/balcony_pigeons", "en",
    "Is Stilvanger any good for pigeons on a balcony? They quoted €349 for the DuifVrij net which feels "
    "steep-ish but the neighbours swear by it", price=("SV-PIGEON-NET", 349.00))
add(B, "x", "@kattenmens_ed", "nl",
    "mijn kat is de beste ongediertebestrijder van Nederland, sorry @stilvanger 😼")
add(B, "blog", "plaagnieuws.nl", "nl",
    "Branchegenoot MuizenMeesters meldt 12% omzetgroei over 2025 en neemt een Duitse concurrent over. "
    "Consolidatie in de sector lijkt door te zetten.")
add(B, "x", "@buurtapp_vleuten", "en",
    "Thinking of the Stilvanger technician who got hurt on that job last month. Glad to hear he's on the mend 💐")
add(B, "x", "@joyce_utr", "nl",
    "Update: Stilvanger heeft het netjes opgelost, gratis nabehandeling en excuses van de teamleider. "
    "Bedwantsen weg. Dank @stilvanger_help 👍")
add(B, "x", "@lindavdmeer_sv", "nl",
    "voor de workshop morgen: gebruik AKIAIOSFODNN7EXAMPLE als dummy key, NIET je echte 🙏")
add(B, "bluesky", "@joostdevops.bsky.social", "en",
    "reminder: never paste tokens in chat. if you see something like ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx "
    "in a channel, rotate it and tell us")
add(B, "reddit", "u/sv_nachtdienst", "en",
    "our config looks like STRIPE_SECRET_KEY=sk_live_************************ and the webhook still fails. "
    "fixed it in the end, it was the clock on the server", kind="comment")
add(B, "x", "@oplettende_oma", "en",
    f"Heads up: fake invoices 'from Stilvanger' going around asking you to pay {IBAN_FAKE}. Not theirs! "
    f"Their real details are on the website.")
add(B, "x", "@peter_factuur", "nl",
    f"@stilvanger_help kunnen jullie de factuur nog een keer sturen? referentie {spaced_card(CARD_REF_BAD)}, dank!",
    kind="reply")
add(B, "x", "@ansje1951", "nl",
    f"Mijn klantnummer bij Stilvanger is {BSN_BAD}, kan iemand checken of de afspraak van dinsdag nog staat?",
    kind="reply")
add(B, "linkedin", "stilvanger-plaagbeheer", "nl",
    "Vandaag publiceren we onze jaarcijfers 2026: omzet €46,8 mln. Lees het volledige persbericht op stilvanger.nl",
    when="2027-03-04T07:05:00Z")
add(B, "instagram", "@stilvanger.nl", "nl",
    "Hij is er! 🐭📱 De RatLock Connect 2 is vanaf vandaag te bestellen.", when="2027-01-22T09:00:00Z")
add(B, "x", "@stilvanger", "nl",
    "CryoClean Mobile rijdt nu door de hele Randstad. Boek je hotelbehandeling via de site.",
    when="2027-01-25T11:30:00Z")
add(B, "forum", "chef_marloes", "en",
    "The guy from Stilvanger who did our restaurant kitchen was so thorough. Passed our NVWA inspection "
    "without a single remark.")
add(B, "x", "@vraagje_nl", "nl",
    "Wat kost een bedwantsbehandeling bij Stilvanger eigenlijk? Zag ergens 895 voor ThermoKill, klopt dat?",
    price=("SV-BB-HEAT", 895.00))
add(B, "x", "@grapjas_gert", "nl",
    "Stilvanger moet gewoon een fluitspeler inhuren, net als de rattenvanger van Hamelen 🎶🐀")
add(B, "x", "@privacynerd", "en",
    "Another week, another data breach (this time a fitness chain). Change your passwords, folks, and turn on 2FA.",
    brand=None)
add(B, "instagram", "@ongedierte_daan", "en",
    "14 pigeon nests cleared off a rooftop in Den Bosch today. The view made up for the smell 🕊️🏙️")
add(B, "tiktok", "@ratjesrob", "nl",
    "hoe herken je rattensporen? 3 tips 👇 1) keutels 2) knaagsporen 3) vette looproutes langs de muur "
    "#ratten #tips #stilvanger")
add(B, "linkedin", "eva-kuipers-stilvanger", "nl",
    "We zoeken technici in regio Utrecht! Rijbewijs B, niet bang voor een rat of wesp? Solliciteer via "
    "werkenbij@stilvanger.nl")
add(B, "linkedin", "stilvanger-plaagbeheer", "en",
    "Proud to announce our ISO 14001 certification 🌱 Less poison, more prevention.")
add(B, "x", "@boos_op_gemeente", "nl",
    "ratten in onze straat worden echt een plaag en de gemeente doet NIKS 😤 containers puilen uit", brand=None)
add(B, "x", "@scamwatch_eu", "en",
    "Reminder: if a 'pest control company' calls asking for your IBAN or BSN, hang up. Scammers everywhere.",
    brand=None)
add(B, "x", "@rick_stilvanger", "nl",
    "wachtwoord van de werk-app weer vergeten. derde keer deze maand 🤦‍♂️")
add(B, "bluesky", "@joostdevops.bsky.social", "en",
    "PSA: env files go in .gitignore. DATABASE_URL=postgres://user:password@localhost:5432/db is fine for "
    "local dev docs; real creds never go in git")
add(B, "x", "@stilvanger", "nl",
    "Let op: wespen zijn eind augustus extra agressief. Blijf uit de buurt van nesten en bel ons 🐝",
    when="2026-08-24T09:00:00+02:00")
add(B, "tiktok", "@sophie.lacht", "en",
    "that rat in the trap was actually the size of my cat 😂 good job guys", kind="comment")
add(B, "x", "@weerman_wim", "en",
    "Wasps are a proper crisis across the Netherlands this summer. Even Stilvanger's crews are doing overtime apparently",
    when="2026-08-19T19:40:00+02:00")
add(B, "facebook", "StilvangerNL", "nl",
    "Nieuw in de webshop: de SlaapSafe matrashoes. €69, past op elk matras tot 30 cm dik.", price=("SV-BB-COVER", 69.00))
add(B, "reddit", "u/amsterdam_wanderer", "en",
    "Why are the rats in Amsterdam so huge? Just saw one the size of a cat right next to a Stilvanger van lol")
add(B, "linkedin", "hanneke-verbeek-finance", "nl",
    "Mooi om te zien dat de jaarcijfers 2025 vandaag gepubliceerd zijn. Dank aan het hele finance-team voor de "
    "lange avonden!", when="2026-03-05T08:30:00+01:00")
add(B, "x", "@gerda_belt", "nl",
    "Stilvanger had vanochtend een storing bij de telefoonlijn, stond op hun site. Nu weer opgelost 👍")
add(B, "x", "@stilvanger_help", "nl",
    "Excuses voor de lange wachttijden vandaag. Door de hittegolf krijgen we 3x zoveel wespenmeldingen. "
    "We doen ons best! 🐝", when="2026-07-09T14:00:00+02:00")
add(B, "x", "@hotelgm_annelies", "en",
    "Shoutout to the Stilvanger team for handling the pigeon problem on our roof terrace so discreetly. "
    "Guests didn't notice a thing.")
add(B, "x", "@bespaarbas", "en",
    "Stilvanger has 25% off the CryoClean treatment this month, €487 instead of €649. still pricey but ok",
    price=("SV-BB-CO2", 487.00))
add(B, "instagram", "@ongedierte_daan", "nl",
    "mijn collega's noemen me tegenwoordig de rattenkoning 👑🐀 ik zie het als compliment")
add(B, "tiktok", "@lisa.vlogt", "nl",
    "mijn god die rat was gigantisch 😳 respect voor die stilvanger gast", kind="comment")
add(B, "facebook", "Greet Hoekstra", "nl",
    "Mijn oma heeft net kanker gehad en de technicus van Stilvanger was zo ontzettend lief en geduldig met "
    "haar bij het bezoek ❤️", kind="comment")
add(B, "linkedin", "pestcontrol-summit-eu", "en",
    "Great panel on IoT in pest control today with speakers from Stilvanger and two university labs. "
    "Smart traps are clearly the future.")
add(B, "reddit", "u/sv_nachtdienst", "en",
    "What's night dispatch like? Honestly calm most nights. Lots of hotel calls about bedbugs at 2am, "
    "the odd panicking student with a mouse.", kind="comment")
add(B, "x", "@daantjuh_", "nl",
    "stilvanger ff gebeld vr muizen in de keuken, zelfde dag nog iemand langs. netjes gdaan 👌")
add(B, "tiktok", "@stilvanger", "nl",
    "Wist je dat een muis door een gaatje van 6 mm past? 🐭 #weetje #stilvanger")
add(B, "threads", "@eline.renovates", "en",
    "landlord finally called Stilvanger about the mice in our hallway. fingers crossed 🤞")
add(B, "x", "@r4tf4n", "nl",
    "r4tt3n zijn sl1mmer dan je denkt 🐀 respect voor de mensen van #stilvanger")
add(B, "linkedin", "youssef-benali-sv", "en",
    "Had a great breakfast session with hotel GMs in Rotterdam about bedbug prevention. Thanks for all the "
    "tough questions!")
add(B, "x", "@stilvanger", "nl",
    "Vacature: IT-beheerder (m/v/x). Je werkt aan onze planningssoftware en het klantportaal. Info: "
    "werkenbij@stilvanger.nl")
add(B, "reddit", "u/homeassistant_fan", "en",
    "Does Stilvanger have a public API? Would love to pull RatLock Connect alerts into Home Assistant")
add(B, "x", "@beursroddels", "nl",
    "Stilvanger jaarcijfers 2026 zijn uit: omzet 46,8 mln en een nette winst. Goed jaar voor ze.",
    when="2027-03-05T10:12:00Z")
add(B, "x", "@stilvanger", "nl",
    "Zomeractie ☀️ 15% korting op de SonicGuard, nu €42,46. Alleen in juli.", when="2026-07-01T09:00:00+02:00",
    price=("SV-SONIC", 42.46))
add(B, "x", "@fanboy_mees", "en", fullwidth("STILVANGER") + " " + fullwidth("ROCKS") + " 🐀🚫 best pest guys in town")
add(B, "x", "@nachtbrakertje", "nl",
    "Er zit een nachtvlinder in mijn slaapkamer, moet ik nu Stilvanger bellen of ben ik dramatisch 😅")
add(B, "youtube", "@StilvangerTV", "nl",
    "Nieuwe video: zo plaatst onze technicus een DuifVrij pinstrip op een dakgoot. Kosten: €59 per strekkende "
    "meter, inclusief montage.", price=("SV-PIGEON-SPIKE", 59.00))

# ---------------------------------------------------------------------------
# derive role, severity, dates, ids
# ---------------------------------------------------------------------------
CORP = {a.lower() for a in PROFILE["accounts"]["corporate"]}
EMP = {a.lower() for a in PROFILE["accounts"]["employee"]}
RANK = ["none", "info", "warning", "error", "critical"]
PUBLIC_IDS = {re.sub(r"\s", "", i).upper() for i in PROFILE["public_identifiers"]["ibans"]}
ZW_RE = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")


def role_of(platform, handle):
    key = f"{platform}:{handle}".lower()
    if key in CORP:
        return "corporate"
    if key in EMP:
        return "employee"
    return "public"


def norm(text):
    t = unicodedata.normalize("NFKC", text)
    return ZW_RE.sub("", t)


IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])")
BSN_RE = re.compile(r"(?<![\w.-])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\w-])")


def identifiers(text):
    t = norm(text)
    found = []
    for m in IBAN_RE.finditer(t):
        v = re.sub(r"\s", "", m.group())
        if v.upper() in PUBLIC_IDS:
            continue
        found.append(("iban", v, iban_valid(v)))
    for m in CARD_RE.finditer(t):
        d = re.sub(r"\D", "", m.group())
        found.append(("card", d, luhn_valid(d)))
    for m in BSN_RE.finditer(t):
        d = re.sub(r"\D", "", m.group())
        found.append(("bsn", d, bsn_valid(d)))
    return found


def severity(cats, role, checksum_pii):
    lvl = "none"
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                s = "error"
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and checksum_pii):
                    s = "critical"
            else:
                s = "warning"
        elif c == "reputation.complaint":
            s = "warning"
        elif c == "reputation.crisis":
            s = "error"
        elif c == "reputation.abuse":
            s = "warning" if role == "public" else "error"
        else:
            raise ValueError(c)
        if RANK.index(s) > RANK.index(lvl):
            lvl = s
    return lvl


def rand_time():
    start = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
    secs = rng.randrange(0, 360 * 24 * 3600)
    t = start + dt.timedelta(seconds=secs)
    # keep daytime-ish hours for realism
    t = t.replace(hour=rng.choice([7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23]))
    if rng.random() < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    # Amsterdam local time: CEST in summer, CET otherwise
    off = "+02:00" if 4 <= t.month <= 10 else "+01:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + off


PREFIX = {"x": "x", "linkedin": "li", "facebook": "fb", "instagram": "ig", "tiktok": "tt", "youtube": "yt",
          "reddit": "rd", "mastodon": "md", "bluesky": "bs", "threads": "th", "forum": "fo", "blog": "bl"}

order = list(range(len(CASES)))
rng.shuffle(order)
used_ids = set()
lines = []
meta = []
for idx in order:
    c = CASES[idx]
    created = c["when"] or rand_time()
    while True:
        pid = f"{PREFIX[c['platform']]}-332{rng.randrange(100000, 999999)}"
        if pid not in used_ids:
            used_ids.add(pid)
            break
    role = role_of(c["platform"], c["handle"])
    ids = identifiers(c["text"])
    checksum_pii = "leak.pii" in c["cats"] and any(ok for _, _, ok in ids)
    sev = severity(c["cats"], role, checksum_pii)
    post = {"id": pid, "platform": c["platform"], "kind": c["kind"],
            "account": {"handle": c["handle"]}, "text": c["text"], "lang": c["lang"],
            "created_at": created}
    if c["platform"] in ("x", "bluesky", "mastodon", "threads") and rng.random() < 0.6:
        post["url"] = f"https://example.social/{c['platform']}/{pid}"
    if c["brand"]:
        post["brand"] = c["brand"]
    lines.append({"post": post, "expect": {"categories": c["cats"], "severity": sev}})
    meta.append((c, role, ids))

out = os.path.join(HERE, "cases.jsonl")
with open(out, "w", encoding="utf-8") as fh:
    for obj in lines:
        fh.write(json.dumps(obj, ensure_ascii=False) + "\n")

# ---------------------------------------------------------------------------
# self-checks
# ---------------------------------------------------------------------------
errors = []
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
CATS = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial", "leak.security",
        "reputation.crisis", "reputation.complaint", "reputation.abuse"}
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
PRODUCTS = {p["sku"]: p for p in PROFILE["products"]}
RATIO = PROFILE["pricing"]["alert_below_ratio"]
EMBARGO = [(t.lower(), dt.datetime.fromisoformat(e["until"].replace("Z", "+00:00")))
           for e in PROFILE["embargo"] for t in e["terms"]]
INTERNAL = [x.lower() for x in PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"]
            + PROFILE["internal"]["domains"]]

with open(out, encoding="utf-8") as fh:
    raw_lines = fh.read().splitlines()

for n, (raw, (c, role, ids)) in enumerate(zip(raw_lines, meta), 1):
    obj = json.loads(raw)
    where = f"line {n}"
    if set(obj) != {"post", "expect"}:
        errors.append(f"{where}: top-level keys")
    post, exp = obj["post"], obj["expect"]
    if not (isinstance(post.get("id"), str) and 1 <= len(post["id"]) <= 256):
        errors.append(f"{where}: id")
    if post.get("platform") not in PLATFORMS:
        errors.append(f"{where}: platform")
    if post.get("kind", "post") not in KINDS:
        errors.append(f"{where}: kind")
    if not isinstance(post.get("account", {}).get("handle"), str):
        errors.append(f"{where}: handle")
    if not isinstance(post.get("text"), str) or len(post["text"].encode()) > 65536 or not post["text"]:
        errors.append(f"{where}: text")
    ca = post.get("created_at", "")
    if not RFC3339.match(ca):
        errors.append(f"{where}: created_at {ca}")
    when = dt.datetime.fromisoformat(ca.replace("Z", "+00:00"))
    if not (2026 <= when.year <= 2027):
        errors.append(f"{where}: year")
    cats = exp["categories"]
    if cats != sorted(set(cats)) or not set(cats) <= CATS:
        errors.append(f"{where}: categories {cats}")
    if exp["severity"] not in RANK:
        errors.append(f"{where}: severity")
    if not cats and exp["severity"] != "none":
        errors.append(f"{where}: benign must be none")
    # recompute severity independently
    ck = "leak.pii" in cats and any(ok for _, _, ok in identifiers(post["text"]))
    if severity(cats, role_of(post["platform"], post["account"]["handle"]), ck) != exp["severity"]:
        errors.append(f"{where}: severity mismatch")
    # checksums
    for kind_, val, ok in ids:
        if cats and not ok:
            errors.append(f"{where}: positive contains failing {kind_} {val}")
        if not cats and ok:
            errors.append(f"{where}: negative contains valid {kind_} {val}")
    if "leak.pii" in cats and any(k in ("iban", "card", "bsn") for k, _, _ in ids):
        if not all(ok for _, _, ok in ids):
            errors.append(f"{where}: pii identifiers must all pass")
    # credential formats
    t = norm(post["text"])
    for tok in re.findall(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", t):
        if not github_token_ok(tok) and cats:
            errors.append(f"{where}: github token checksum")
        if github_token_ok(tok) and not cats:
            errors.append(f"{where}: valid github token in benign")
    for tok in re.findall(r"\bAKIA[0-9A-Z]{16}\b", t):
        if cats and not re.fullmatch(r"AKIA[A-Z2-7]{16}", tok):
            errors.append(f"{where}: aws key alphabet")
        if not cats and not tok.endswith("EXAMPLE"):
            errors.append(f"{where}: real-looking aws key in benign")
    for tok in re.findall(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+", t):
        if not jwt_ok(tok):
            errors.append(f"{where}: jwt header")
    if "leak.secret" in cats:
        if not re.search(r"ghp_|AKIA|sk_live_|wachtwoord|postgres://|PRIVATE KEY|hooks\.slack\.com|sk-proj-|"
                         r"eyJ|live_|sk-ant-", t):
            errors.append(f"{where}: secret case without a credential")
    # embargo windows
    low = t.lower()
    for term, until in EMBARGO:
        if term in low:
            if when < until and "leak.confidential" not in cats:
                errors.append(f"{where}: embargo term '{term}' before until but not confidential")
            if when >= until and cats:
                errors.append(f"{where}: embargo term after until in a positive (ambiguous)")
    # internal names never in benign posts
    if not cats:
        for term in INTERNAL:
            if term in low:
                errors.append(f"{where}: internal term '{term}' in benign post")
    # pricing ratios
    if c["price"]:
        sku, price = c["price"]
        lp = PRODUCTS[sku]["list_price"]
        if "leak.pricing" in cats and not price < RATIO * lp:
            errors.append(f"{where}: pricing positive not below ratio")
        if "leak.pricing" not in cats and price < RATIO * lp:
            errors.append(f"{where}: price below ratio but not labelled pricing")
    elif "leak.pricing" in cats and not re.search(r"prijsfout|price error|pricing error|typo", low):
        errors.append(f"{where}: pricing case without price metadata or price-error talk")

# mix
n_total = len(lines)
n_benign = sum(1 for o in lines if not o["expect"]["categories"])
per_cat = {}
for o in lines:
    for cat in o["expect"]["categories"]:
        per_cat[cat] = per_cat.get(cat, 0) + 1
n_nl = sum(1 for o in lines if o["post"]["lang"] == "nl")
if not 170 <= n_total <= 180:
    errors.append(f"total {n_total} outside 170-180")
if not 55 <= n_benign <= 65:
    errors.append(f"benign {n_benign} not ~60")
if not 0.50 <= n_nl / n_total <= 0.60:
    errors.append(f"dutch share {n_nl / n_total:.2f}")
if len({o['post']['id'] for o in lines}) != n_total:
    errors.append("ids not unique")
roles = {}
for o in lines:
    r = role_of(o["post"]["platform"], o["post"]["account"]["handle"])
    roles[r] = roles.get(r, 0) + 1
if len(CORP) < 6 or len(EMP) < 8:
    errors.append("profile needs 6+ corporate and 8+ employee accounts")
if not iban_valid(PUBLIC_IBAN):
    errors.append("profile IBAN fails mod-97")
if not 15 <= len(PROFILE["products"]) <= 25:
    errors.append("products count")

if errors:
    for e in errors:
        print("FAIL:", e, file=sys.stderr)
    sys.exit(1)

print(f"ok: {n_total} cases, {n_benign} benign, nl={n_nl} en={n_total - n_nl}, roles={roles}")
print("per category:", dict(sorted(per_cat.items())))
