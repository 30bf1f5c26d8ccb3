#!/usr/bin/env python3
"""Evaluation set sealed281 for postwatch: Kwastel Robotics B.V. (fictional robot-vacuum maker).

Deterministic: fixed seed, standard library plus PyYAML. Writes cases.jsonl beside this
file and checks it: identifiers in positives pass their checksums, look-alikes in
negatives fail them, every line is a valid CONTRACT section 6 case, and every severity is
computed from the account role in profile.yaml according to CONTRACT section 4.
"""
import base64
import datetime as dt
import json
import os
import random
import re
import string
import sys
import zlib

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))
rng = random.Random(281281)

SEC = "leak.secret"
PII = "leak.pii"
PRI = "leak.pricing"
CON = "leak.confidential"
FIN = "leak.financial"
SECU = "leak.security"
CRI = "reputation.crisis"
CMP = "reputation.complaint"
ABU = "reputation.abuse"
TAXONOMY = {SEC, PII, PRI, CON, FIN, SECU, CRI, CMP, ABU}

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


# ---------------------------------------------------------------- checksums
def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(bank, acct):
    bban = bank + acct
    n = int("".join(str(int(c, 36)) for c in bban + "NL00"))
    return "NL%02d%s" % (98 - n % 97, bban)


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return len(d) >= 13 and tot % 10 == 0


def bsn_ok(num):
    d = re.sub(r"\D", "", num)
    if len(d) != 9:
        return False
    s = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return s % 11 == 0


def gen_iban():
    bank = rng.choice(["INGB", "ABNA", "RABO", "SNSB", "TRIO", "ASNB", "KNAB", "BUNQ"])
    acct = "".join(rng.choice(string.digits) for _ in range(10))
    return make_iban(bank, acct)


def bad_iban():
    while True:
        v = gen_iban()
        w = v[:-1] + str((int(v[-1]) + rng.randint(1, 8)) % 10)
        if not iban_ok(w):
            return w


def gen_card(prefix):
    while True:
        body = prefix + "".join(rng.choice(string.digits) for _ in range(15 - len(prefix)))
        for c in string.digits:
            if luhn_ok(body + c):
                return body + c


def bad_card(prefix):
    v = gen_card(prefix)
    return v[:-1] + str((int(v[-1]) + rng.randint(1, 9)) % 10)


def gen_bsn():
    while True:
        d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        s = sum(d[i] * (9 - i) for i in range(8)) % 11
        if s <= 9:
            v = "".join(map(str, d)) + str(s)
            assert bsn_ok(v)
            return v


def bad_bsn():
    while True:
        v = "".join(str(rng.randint(0, 9)) for _ in range(9))
        if v[0] != "0" and not bsn_ok(v):
            return v


def grp4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


# ---------------------------------------------------------------- credentials
def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def gh_token(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF, 6)


def gh_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()) & 0xFFFFFFFF, 6) == m.group(2)


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt(payload):
    h = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    p = b64u(json.dumps(payload, separators=(",", ":")).encode())
    s = b64u(bytes(rng.getrandbits(8) for _ in range(32)))
    return f"{h}.{p}.{s}"


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    pad = "=" * (-len(parts[0]) % 4)
    return "alg" in json.loads(base64.urlsafe_b64decode(parts[0] + pad))


def openssh_key():
    raw = b"openssh-key-v1\x00" + bytes(rng.getrandbits(8) for _ in range(330))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


URLSAFE = ALNUM + "-_"
GH_TOKEN = gh_token("ghp_")
AWS_ID = "AKIA" + rand(string.ascii_uppercase + "234567", 16)
AWS_SECRET = rand(ALNUM + "/+", 40)
SUPPORT_JWT = jwt({"sub": "support-api", "role": "admin", "iat": 1767225600 + rng.randint(0, 9000000)})
STRIPE_KEY = "sk_live_" + rand(ALNUM, 24)
DB_PASS = rand(ALNUM, 14)
SLACK_TOKEN = "xoxb-%d-%d-%s" % (rng.randint(10**11, 10**12 - 1), rng.randint(10**12, 10**13 - 1), rand(ALNUM, 24))
SSH_KEY = openssh_key()
GITLAB_TOKEN = "glpat-" + rand(URLSAFE, 20)
GOOGLE_KEY = "AIza" + rand(URLSAFE, 35)
ANTHROPIC_KEY = "sk-ant-api03-" + rand(URLSAFE, 93) + "AA"

# ---------------------------------------------------------------- identifiers
IBAN_REFUND = gen_iban()         # corporate posts a customer's IBAN
IBAN_OWN = gen_iban()            # public customer posts their own IBAN
IBAN_OTHER = gen_iban()          # public: someone else's invoice
CARD_CHAT = gen_card("4")        # employee posts a customer's card
CARD_OWN = gen_card("52")        # public posts own card
CARD_EMP = gen_card("4")         # employee, dash notation
BSN_FORM = gen_bsn()             # employee posts BSN from a returns form
FAKE_IBAN = bad_iban()           # look-alike on a phishing invoice
FAKE_CARD = bad_card("4")        # look-alike: device serial number
FAKE_BSN1 = bad_bsn()            # look-alike: order number
FAKE_BSN2 = bad_bsn()            # look-alike: customer number
PUBLIC_IBAN = PROFILE["public_identifiers"]["ibans"][0]

# ---------------------------------------------------------------- cases
CASES = []
URLBASE = {"x": "https://x.com/{h}/status/{n}", "reddit": "https://www.reddit.com/r/robotvacuums/comments/{n}"}


def add(platform, handle, lang, text, cats=(), kind="post", at=None, ids=(), fakes=(), name=None):
    CASES.append(dict(platform=platform, handle=handle, lang=lang, text=text, cats=list(cats),
                      kind=kind, at=at, ids=list(ids), fakes=list(fakes), name=name))


# ======================= reputation.complaint =======================
add("x", "@sanne_dr", "nl",
    "Al 3 weken wacht ik op antwoord van @kwastel_help over mijn Zwaluw S7 die steeds 'fout 14: wiel vast' geeft. Er zit NIKS vast. Niemand reageert. Echt zo klaar mee 😤",
    [CMP], at="2026-05-04T08:47:12Z")
add("x", "@the_dustbuster_uk", "en",
    "@kwastel_nl the S9 Omni dock has been leaking dirty mop water onto my oak floor for a week now. Third ticket, zero replies. Not what I paid for mate",
    [CMP], kind="reply", at="2026-09-14T07:58:40Z")
add("facebook", "Henk.Postma", "nl",
    "Na de laatste update is de kaart van ons hele huis weg. 4x opnieuw laten scannen en hij blijft de keuken als muur zien. Wie test die updates eigenlijk bij Kwastel??",
    [CMP], kind="comment")
add("reddit", "u/robovac_rick", "en",
    "PSA for anyone eyeing the Kwastel Lijster V10: battery went from 45 min to 9 min in 14 months, and the warranty claim got denied because the battery is a \"wear part\". Never again.",
    [CMP])
add("x", "@kees1964", "nl",
    "@kwastel_help 18 nov besteld, 'binnen 2 werkdagen in huis' stond er. Het is nu 2 dec en de tracking staat al 9 dagen op 'in voorbereiding'. Wat is dit nou weer",
    [CMP], kind="reply", at="2026-12-02T19:41:07Z")
add("instagram", "@lisa.maakt.schoon", "en",
    "love the design but honestly the kwastel app is a disaster, logs me out every single day and the schedule just doesn't run half the time 🙄",
    [CMP], kind="comment")
add("x", "@bramvdl", "nl",
    "Reiger M3 laat strepen achter op de tegels en de pads zijn na 2x wassen al uitgerafeld. Voor 549 euro verwacht je toch iets beters van Kwastel",
    [CMP])
add("x", "@hannahreviews", "en",
    "Called Kwastel support twice today, got cut off twice after 40 min in the queue. Robot still won't dock. Brilliant.",
    [CMP])
add("tiktok", "@mama_van_3", "en",
    "ours drives straight down the stairs every single day 😭 cliff sensors do nothing. told kwastel twice, they say 'clean the sensors'. done that. doesn't help one bit",
    [CMP], kind="comment")
add("reddit", "u/stofnerd", "nl",
    "Glans W2 raamrobot stopt elke keer halverwege met 'zuigkracht laag' en laat een dikke veeg achter. Retour aangevraagd bij Kwastel, krijg ik een formulier van 6 pagina's terug. Serieus?",
    [CMP])
add("x", "@jeroenfixes", "en",
    "kwastel side brushes for the zwaluw have been 'out of stock' for 2 months and mine are falling apart. what's the point of 'spare parts guaranteed for 7 years' if you never actually have them",
    [CMP])
add("x", "@ingridk", "en",
    "The Zwaluw S9 Omni sounds like a leaf blower every time it empties the bin. Wakes the kids up at night. Apparently 'quiet mode' only exists in Kwastel's brochure #disappointed",
    [CMP])

# first-hand safety incidents: crisis + complaint
add("x", "@daan_bouwt", "nl",
    "Onze Kwastel Zwaluw S7 is vannacht in de gang in brand gevlogen tijdens het laden. Rookmelder ging af, gelukkig waren we thuis. Plint zwartgeblakerd, accu helemaal opgezwollen. @kwastel_help ik wil NU antwoord.",
    [CRI, CMP])
add("x", "@petlover_nina", "en",
    "My Kwastel Lijster V8 gave me a proper electric shock when I touched the charging contacts, arm was tingling for an hour. Unplugged it, it's going back. Scary stuff @kwastel_nl",
    [CRI, CMP])
add("facebook", "Anouk.de.Groot", "nl",
    "Onze Adem P4 luchtreiniger stonk ineens naar verbrand plastic, het ding was gloeiend heet. Mijn dochter kreeg hoofdpijn en moest overgeven. Kwastel doet net alsof er niks aan de hand is.",
    [CRI, CMP])
add("reddit", "u/cat_dad_ams", "en",
    "The mop-lift on our Kwastel S9 Omni caught my toddler's fingers while it was docking. Bruised nail, lots of crying, could have been much worse. Support's answer: 'keep children away during operation'. Wow.",
    [CRI, CMP])
add("x", "@frits_op_x", "nl",
    "Stoomvogel van Kwastel spoot ineens kokend water uit de zijkant. Tweedegraads brandwond op m'n enkel 🤕 eerst naar de huisartsenpost geweest, nu klacht indienen",
    [CRI, CMP])

# ======================= reputation.crisis (third party / accusations) =======================
add("x", "@nieuws_eemland", "nl",
    "Brandweer: woningbrand aan de Vlasakker vermoedelijk veroorzaakt door een opladende robotstofzuiger van Kwastel. Bewoners konden op tijd naar buiten, niemand gewond.",
    [CRI])
add("x", "@StofEnZo_blog", "en",
    "Reports keep piling up about overheating Kwastel docks, and Kwastel has now quietly pulled the AutoEmpty Dock from its webshop. Recall incoming?",
    [CRI])
add("x", "@wouterw", "en",
    "#BoycottKwastel they sell the floor plans of your home to advertisers. Don't buy. Share this!!",
    [CRI])
add("reddit", "u/privacyfirst_eu", "en",
    "Kwastel data breach? Several people in this sub are seeing strangers' floor maps and camera snapshots in their own app. Kwastel has been silent for 2 days.",
    [CRI])
add("linkedin", "mr-ilse-brouwer", "nl",
    "Ons kantoor start namens ruim 2.000 kopers van de Lijster V10 een collectieve claim tegen Kwastel Robotics. De accu's geven massaal binnen de garantieperiode de geest.",
    [CRI])
add("x", "@productalert_eu", "en",
    "RECALL: Kwastel Robotics is recalling Ooievaar X1 wet/dry vacuums made between March and June 2026 because the power cord can overheat. Stop using the device and contact the manufacturer.",
    [CRI], at="2026-08-19T10:02:00Z")
add("instagram", "@huishoudhacks", "en",
    "Scandal at Kwastel? Former staff say factory testers were made to work 12-hour days with no breaks. Full story at the link in bio.",
    [CRI])
add("x", "@mike_t_ldn", "en",
    "Neighbour's little boy got his hair caught in their Kwastel robot vacuum while lying on the floor, ambulance came. He's fine now thank god. Check your robots people.",
    [CRI])
add("x", "@ellen.b", "nl",
    "Kwastel-robots filmen je hele woonkamer en die beelden staan gewoon onbeveiligd online?? Als dit klopt is dit een gigantisch datalek.",
    [CRI])
add("mastodon", "@grt@mastodon.social", "en",
    "Don't buy Kwastel. They're taking a security researcher to court for reporting a firmware bug. Boycott until they drop the case. #Kwastel",
    [CRI])

# ======================= reputation.abuse =======================
add("x", "@roy_r", "nl",
    "Mijn S7 na 2 maanden kapot en niemand neemt de telefoon op. Kwastel is gewoon een stelletje kankeroplichters. Tyfuszooi.",
    [ABU, CMP])
add("x", "@ghostrider99", "en",
    "@dewi_codes you absolute clown. your garbage firmware bricked my robot last night. hope they fire you, idiot",
    [ABU, CMP], kind="reply")
add("x", "@xxnoortjexx", "nl",
    "@maartje_kwastel wat ben jij een dom wijf zeg met je neppe glimlach in die kwastel reclames. kijk maar uit als ik je tegenkom",
    [ABU], kind="reply")
add("reddit", "u/angryvacuum", "en",
    "Every single person at Kwastel support is a brain-dead moron. Fuck this company.",
    [ABU], kind="comment")
add("tiktok", "@baas_bert", "nl",
    "die kwastel gasten zijn echt k@nkerl1jers 🤮🤮",
    [ABU], kind="comment")
add("x", "@sk8r_tomm", "en",
    "kwastel = f.u.c.k.i.n.g s.c.a.m.m.e.r.s lmao",
    [ABU])
add("x", "@pvdm_1970", "nl",
    "Die Turkse klantenservicemedewerkers van Kwastel spreken niet eens fatsoenlijk Nederlands. Stuur ze terug naar hun eigen land.",
    [ABU])
add("x", "@jorisvdheuvel", "nl",
    "@kees1964 als je te dom bent om een app te installeren koop je gewoon een bezem, sukkel",
    [ABU], kind="reply")
add("instagram", "@real_lenny", "en",
    "Kwastel marketing team = bunch of talentless twats 😂 who approved this ad",
    [ABU], kind="comment")
add("facebook", "Gert.Vos", "nl",
    "KUT bedrijf. KUT robot. KLOOTZAKKEN bij Kwastel, al 4 weken wachten op een onderdeel!!!",
    [ABU, CMP], kind="comment")
add("x", "@n0name_", "en",
    "the kwastel ceo is a greedy piece of sh1t, hope his house burns down with him in it",
    [ABU])
add("x", "@lucas_h", "nl",
    "Met die Kwastel-idioten valt niet te praten, stelletje ｋｌｏｏｔｚａｋｋｅｎ",
    [ABU])

# ======================= leak.pricing =======================
add("x", "@kwastel_nl", "nl",
    "🔥 Flash deal! De Kwastel Zwaluw S9 Omni nu voor maar €109 — alleen vandaag in onze webshop!",
    [PRI])
add("x", "@gadgetgijs", "nl",
    "PRIJSFOUT?! Reiger M3 staat op shop.kwastel.nl voor €54,90 😳 snel zijn mensen",
    [PRI])
add("reddit", "u/dealhunter_nl", "en",
    "Kwastel Lijster V10 for €42.90 on their own site right now, has to be a pricing error. ordered 2 lol",
    [PRI])
add("x", "@maartje_kwastel", "nl",
    "Oeps, er staat een prijsfout in de webshop bij de Glans W2. We zijn ermee bezig, bestellingen tegen die prijs worden geannuleerd 🙈",
    [PRI])
add("instagram", "@kwastel.home", "nl",
    "Actieprijs deze week: de Kwastel Adem P4 luchtreiniger voor €34,90! 🌬️ Link in bio.",
    [PRI])
add("x", "@bargainbecca", "en",
    "lol the Kwastel Tillo pool robot is listed at €89 on the Belgian store, someone's getting a phone call on monday",
    [PRI])
add("facebook", "Marco.Bakker", "nl",
    "Heb net bij Kwastel zelf een Zwaluw S7 Pro besteld voor 59 euro. Ben benieuwd of ze gaan leveren of annuleren 😅",
    [PRI])
add("linkedin", "ruben-hoekstra-kwastel", "nl",
    "Heads-up voor collega's in sales: door een fout in de prijsfeed staat de Ooievaar X1 bij twee retailers op €37,90. Wordt opgepakt.",
    [PRI])
add("tiktok", "@kwastelrobotics", "nl",
    "Mus 2 voor €22,90?! Ja echt 🐦 alleen via de link in onze bio",
    [PRI])
add("x", "@kw_deals_bot", "en",
    "DEAL ALERT: Kwastel Zwaluw S9 Omni Pet Edition — €124.90 (was €1,249.00) — -90% #deals",
    [PRI])
add("x", "@tim_bespaart", "en",
    "Anyone else get an email from Kwastel saying the Lijster V8 was sold for €29 'due to a pricing error' and their order is cancelled?",
    [PRI])
add("facebook", "KwastelRoboticsNL", "nl",
    "Black Friday bij Kwastel: de Stoomvogel SM1 voor €15,90! Op = op.",
    [PRI], at="2026-11-27T07:00:00Z")

# ======================= leak.financial =======================
add("x", "@jorisvdheuvel", "nl",
    "Net all-hands gehad. Q3-omzet 14% onder plan, CFO zei letterlijk dat de jaarprognose omlaag moet. Dat wordt geen bonus dit jaar 😬",
    [FIN], at="2026-10-09T16:20:00Z")
add("linkedin", "ayse-yilmaz-kw", "en",
    "Mixed feelings today. Management just told us that around 60 roles in Eindhoven will be cut early next year as part of the reorganisation. It hasn't been announced yet, so I can't say more.",
    [FIN])
add("bluesky", "@lottevisser.bsky.social", "nl",
    "ok dus wij worden blijkbaar overgenomen door een grote Aziatische elektronicagigant, deal moet in januari rond zijn. niemand mag het weten maar ik ontplof bijna",
    [FIN])
add("x", "@beursbabbel", "en",
    "Hearing from a good source that Kwastel Robotics is in talks with a private equity firm about a full takeover. Offer reportedly around 400 million.",
    [FIN])
add("linkedin", "kwastel-robotics", "nl",
    "Sneak peek jaarcijfers 2026: omzet €212 mln en EBITDA verdubbeld 🚀 Officiële publicatie volgt in februari!",
    [FIN, CON], at="2026-12-18T11:00:00Z")
add("x", "@dewi_codes", "nl",
    "heel R&D in Delft gaat dicht, alles naar Shenzhen. 'Operatie Stofwolk' heet het. lekker dan",
    [FIN, CON])
add("x", "@maartje_kwastel", "en",
    "Can't say much but next quarter's numbers are going to be rough. Guidance cut coming before the shareholders meeting.",
    [FIN])
add("reddit", "u/throwaway_kw2026", "en",
    "Throwaway because I work there: Kwastel is closing the Tilburg warehouse and moving logistics to a 3PL. About 90 people affected, they'll only be told in January.",
    [FIN])
add("linkedin", "ruben-hoekstra-kwastel", "nl",
    "Vandaag intern gehoord dat we het EBITDA-doel voor Q4 niet halen, we eindigen rond de -3 miljoen. Hopelijk trekt het volgend jaar aan.",
    [FIN], at="2026-11-30T18:05:00Z")
add("instagram", "@sem.kwastel", "nl",
    "vrijdag laatste dag bij kwastel 🥲 hele supportteam wordt per 1 maart ge-outsourcet, ze maken het pas na de kerst bekend",
    [FIN], at="2026-12-09T20:15:00Z")
add("x", "@insider_techNL", "nl",
    "Kwastel schrapt de complete Reiger-lijn en rekent op een afschrijving van €18 mln. Staat in een memo die ik heb gezien.",
    [FIN])
add("mastodon", "@bartfw@mastodon.nl", "en",
    "From the CFO town hall: they're forecasting a 25% revenue drop next year and the bank covenant is at risk. None of this is public yet.",
    [FIN])

# ======================= leak.confidential =======================
add("x", "@dewi_codes", "nl",
    "lidar-module voor Project Zeearend eindelijk stabiel, 0 botsingen in 400 testruns 🎉",
    [CON])
add("linkedin", "ayse-yilmaz-kw", "en",
    "So proud of the team behind Moddervis — our next wet-cleaning platform is going to blow everything else out of the water 🌊 (can't share details yet!)",
    [CON])
add("x", "@jorisvdheuvel", "nl",
    "weet iemand waarom jira.kwastel.io zo traag is vandaag? m'n sprintboard laadt niet eens",
    [CON])
add("bluesky", "@lottevisser.bsky.social", "nl",
    "prototype van de Zwaluw S11 Omni staat naast m'n bureau en ik mag er niks over zeggen 🤐 maar WOW",
    [CON], at="2027-02-27T13:44:00Z")
add("instagram", "@kwastel.home", "nl",
    "Er komt iets aan… 👀 De Reiger M5 zet dweilen op z'n kop. Stay tuned!",
    [CON], at="2026-11-14T17:00:00Z")
add("x", "@maartje_kwastel", "nl",
    "Deck voor de retailerdag is af! Slide 1: 'KW-CONFIDENTIAL – roadmap 2027' 😅 nu eerst wijn",
    [CON])
add("x", "@leakhunter_tech", "en",
    "Exclusive: Kwastel's next flagship, the Zwaluw S11, gets a robotic arm and 22,000 Pa suction. Launch pencilled in for March.",
    [CON], at="2026-09-23T08:30:00Z")
add("reddit", "u/kw_support_niels", "nl",
    "Voor wie ernaar vroeg: de FAQ staat op intra.kwastel.local/support/faq-s9 maar die is alleen via de VPN te bereiken, sorry",
    [CON], kind="comment")
add("linkedin", "ruben-hoekstra-kwastel", "nl",
    "Sterke workshop vandaag over de nieuwe dock-architectuur. Het document is 'niet extern delen', maar de kern: één dock voor al onze robots.",
    [CON])
add("x", "@dewi_codes", "en",
    "zeearend evt2 build finally green on fwbuild.kwastel.local, going home",
    [CON])
add("instagram", "@sem.kwastel", "nl",
    "sneak peek van het nieuwe kleurtje voor de Mus 3 🤫 mag eigenlijk nog niet",
    [CON])
add("x", "@jorisvdheuvel", "nl",
    "P r o j e c t   Z e e a r e n d gaat volgend jaar de markt op, echt heel vet wat we hebben gebouwd",
    [CON])
add("x", "@railspotter", "en",
    "Guy next to me on the train is editing slides titled 'Moddervis – kwastel intern – BOM cost'. Mate, the whole carriage can read your screen.",
    [CON])
add("mastodon", "@bartfw@mastodon.nl", "en",
    "Is anyone else's runner on git.kwastel.io stuck on 'pending' since lunch? Asking for the whole firmware team",
    [CON])

# ======================= leak.security =======================
add("x", "@dewi_codes", "nl",
    "ugh, de cloud-API voor de app ligt al sinds 03:00 plat, alle robots offline. statuspagina staat nog op groen lol",
    [SECU])
add("mastodon", "@bartfw@mastodon.nl", "en",
    "Found out today that our robots accept unsigned firmware over the local network. Anyone on your wifi can push whatever they like. Patch is weeks away.",
    [SECU])
add("linkedin", "ayse-yilmaz-kw", "en",
    "Rough night. Part of our office network got hit by ransomware. Customers haven't been told yet, legal is still deciding how to handle it.",
    [SECU])
add("x", "@jorisvdheuvel", "en",
    "lol turns out we had an open S3 bucket with the maps of ~20k customers' homes. closed since yesterday, nothing said publicly yet",
    [SECU])
add("reddit", "u/kw_support_niels", "en",
    "Tip: if your app shows someone else's robot right now, log out and back in. Known bug since this morning, we're not allowed to post about it officially yet.",
    [SECU], kind="comment")
add("reddit", "u/ex_kwastel_dev", "en",
    "Former Kwastel dev here. The camera stream on the S9 Omni is encrypted with a hardcoded key that's identical on every unit. Reported it internally last year, never fixed.",
    [SECU])
add("bluesky", "@lottevisser.bsky.social", "nl",
    "psst, de betaalmodule van de webshop is sinds vanochtend gehackt, creditcardgegevens mogelijk buitgemaakt. officieel bericht komt pas maandag",
    [SECU])
add("x", "@maartje_kwastel", "en",
    "friends: do NOT update your Zwaluw tonight. the 4.2 OTA bricks about 1 in 20 units and we haven't pulled it yet",
    [SECU])
add("instagram", "@sem.kwastel", "en",
    "entire ticket system is down, haven't seen a single customer question in 6 hours 🙃 don't tell the customers",
    [SECU])
add("x", "@dewi_codes", "nl",
    "Кwastel app-login heeft een bug waardoor je met je óude wachtwoord nog steeds kunt inloggen. nog niet gefixt, niet doorvertellen",
    [SECU])
add("x", "@secresearcher_jm", "en",
    "Heads up: Kwastel's cloud has an unauthenticated endpoint that returns any robot's floor map by serial number. Vendor notified 3 weeks ago, no reply, not disclosed yet.",
    [SECU])
add("linkedin", "ruben-hoekstra-kwastel", "nl",
    "Heftige dag: een phishingmail bij finance leidde tot een inlog op ons ERP. Het forensisch team is binnen, we communiceren pas als we weten wat er weg is.",
    [SECU])
add("x", "@jorisvdheuvel", "nl",
    "alle robots in Duitsland rijden rondjes sinds de servermigratie van vanmiddag, iedereen zit in de war room 🔥",
    [SECU])

# ======================= leak.secret =======================
add("x", "@dewi_codes", "nl",
    f"waarom werkt dit niet 😩\nexport GITHUB_TOKEN={GH_TOKEN} && ./deploy.sh --env prod",
    [SEC])
add("mastodon", "@bartfw@mastodon.nl", "en",
    f"aws configure is sooo much fun\nAWS_ACCESS_KEY_ID={AWS_ID}\nAWS_SECRET_ACCESS_KEY={AWS_SECRET}\nand still AccessDenied",
    [SEC])
add("reddit", "u/kw_support_niels", "nl",
    f"Als je de support-API wilt testen: curl -H \"Authorization: Bearer {SUPPORT_JWT}\" https://api.kwastel.com/v2/tickets",
    [SEC], kind="comment")
add("reddit", "u/hobby_hacker", "en",
    f"Decompiled the Kwastel Android app for fun. They ship a LIVE Stripe key in it: {STRIPE_KEY} 🤦",
    [SEC])
add("x", "@jorisvdheuvel", "nl",
    f"DATABASE_URL=postgres://kw_app:{DB_PASS}@db01.intra.kwastel.local:5432/robots\nwaarom krijg ik connection refused?? iemand?",
    [SEC, CON])
add("bluesky", "@lottevisser.bsky.social", "nl",
    "wifi op kantoor is wéér veranderd 🙄 netwerk KW-Office, wachtwoord: Stofzuig!2026#",
    [SEC])
add("x", "@maartje_kwastel", "en",
    f"Slack bot finally posts our launch countdown 🎉 token for future me: {SLACK_TOKEN}",
    [SEC])
add("mastodon", "@bartfw@mastodon.nl", "en",
    f"{SSH_KEY}\noops, wrong window. ignore that",
    [SEC])
add("x", "@dewi_codes", "en",
    f"git clone https://oauth2:{GITLAB_TOKEN}@git.kwastel.io/firmware/zwaluw.git is the only way it works from the lab pc",
    [SEC, CON])
add("x", "@randomdev42", "en",
    f"Kwastel's public web app has a Google Maps key hardcoded in main.js: {GOOGLE_KEY} 🙃",
    [SEC])
add("x", "@jorisvdheuvel", "nl",
    f"onze support-chatbot draait op deze key, niet aankomen aub: {ANTHROPIC_KEY}",
    [SEC])
add("x", "@dewi_codes", "nl",
    "admin-wa\u200bcht\u200bwoord van de demo-robots op de beurs: Kw@stel-Demo2026 (niet verder vertellen)",
    [SEC])

# ======================= leak.pii =======================
add("x", "@kwastel_help", "nl",
    "@annemiek_v Hoi Annemiek, we sturen de vervangende accu naar Annemiek Vos, Kerkstraat 112, 2011 GT Haarlem. Klopt dat adres nog?",
    [PII], kind="reply")
add("x", "@jorisvdheuvel", "nl",
    "klant belt al 5x vandaag, Sjoerd Wiersma, 06-4817 2293, als iemand hem wil terugbellen 🙃",
    [PII])
add("facebook", "KwastelRoboticsNL", "nl",
    f"Beste meneer Verhoeven, uw terugbetaling van €449 is vandaag overgemaakt naar {grp4(IBAN_REFUND)}. Met vriendelijke groet, team Kwastel",
    [PII], kind="comment", ids=[("iban", IBAN_REFUND)])
add("x", "@ricky_refund", "nl",
    f"@kwastel_help al 6 weken geen terugbetaling!! Stort het nou gewoon op {IBAN_OWN} t.n.v. R. de Lange",
    [PII, CMP], kind="reply", ids=[("iban", IBAN_OWN)])
add("instagram", "@sem.kwastel", "nl",
    f"haha deze klant plakte z'n hele creditcard in de chat: {grp4(CARD_CHAT)} 🤦 mensen toch",
    [PII], ids=[("card", CARD_CHAT)])
add("x", "@oldschool_bob", "en",
    f"@kwastel_help you asked me to verify my order so here: card {grp4(CARD_OWN)}, exp 09/28. just send the robot please",
    [PII], kind="reply", ids=[("card", CARD_OWN)])
add("bluesky", "@lottevisser.bsky.social", "nl",
    f"zit wéér een BSN op een retourformulier: {BSN_FORM}. waarom vullen mensen dat in 😭",
    [PII], ids=[("bsn", BSN_FORM)])
add("x", "@kwastel_help", "nl",
    "@mo_elhadji we hebben je mail ontvangen op mo.elhadji1988@outlook.com en bellen je morgen op +31 6 2290 1175 👍",
    [PII], kind="reply")
add("linkedin", "ruben-hoekstra-kwastel", "nl",
    "Gefeliciteerd aan onze collega Priya Raghunathan (geboren 14-03-1991), die vandaag 5 jaar bij Kwastel werkt! 🎉",
    [PII])
add("x", "@buurvrouw_jo", "nl",
    "Wie mist er een Kwastel robot? Stond vanochtend bij ons in de tuin. Sticker zegt: J. Mulder, Akkerweg 7, Zwolle, tel 038-4217781",
    [PII])
add("x", "@maartje_kwastel", "en",
    "And the winner of our giveaway is Laura Jenkins! 🎉 Laura, we'll ship to 22 Elm Grove, Bristol BS6 5PR — DM me if that's wrong",
    [PII])
add("instagram", "@kwastel.home", "nl",
    "@tessa.bakker we hebben deze gegevens van je: Tessa Bakker, geb. 02-11-1987, tessa.bakker87@outlook.com. Klopt dat?",
    [PII], kind="comment")
add("reddit", "u/angry_customer_22", "en",
    f"Kwastel support just emailed me SOMEONE ELSE'S invoice. IBAN {IBAN_OTHER}, name P. Claassen, Dorpsstraat 3, Ede. This is how they handle our data??",
    [PII, CRI], ids=[("iban", IBAN_OTHER)])
add("x", "@jorisvdheuvel", "nl",
    f"wie heeft deze betaling gedaan? kaart eindigt niet op wat de klant zegt: {CARD_EMP[:4]}-{CARD_EMP[4:8]}-{CARD_EMP[8:12]}-{CARD_EMP[12:]}",
    [PII], ids=[("card", CARD_EMP)])
add("x", "@gadget_gran", "en",
    "My grandson set up our Kwastel for us. If support needs me: Margaret Oduya, 0031 20 6183 447, m.oduya@kpnmail.nl",
    [PII])

# ======================= benign (hard negatives mostly) =======================
add("x", "@marloes_k", "nl",
    "Zwaluw S7 draait nu 2 maanden en ik heb geen kruimel meer gezien. Beste aankoop van het jaar 🙌 #kwastel")
add("x", "@dogmom_ellie", "en",
    "The Kwastel S9 Omni is an absolute beast, eats golden retriever hair for breakfast. Killer mop feature too.")
add("instagram", "@familie_smit", "nl",
    "Onze Mus 2 heet Henk en is doodsbang voor de kat. Elke ochtend een stand-off in de gang 😂")
add("reddit", "u/firsthome_fin", "en",
    "Does the Kwastel Reiger M3 cope with thick rugs or should I roll them up first? Thinking of buying one.")
add("x", "@sanne_dr", "nl",
    "Update: Kwastel heeft mijn Zwaluw S7 binnen 3 dagen omgeruild, zonder gezeur. Dikke duim voor @kwastel_help 👍",
    at="2026-05-09T12:03:55Z")
add("x", "@pj_cooper", "en",
    "Sending love to the Kwastel support folks, they must be swamped with holiday orders. Mine was super patient with me today ❤️",
    at="2026-12-21T15:10:00Z")
add("x", "@kwastel_nl", "nl",
    "Black Friday 🖤 Zwaluw S7 van €449 voor €359. Alleen dit weekend op kwastel.nl",
    at="2026-11-27T06:00:00Z")
add("x", "@robin_vl", "en",
    "Just grabbed the Reiger M3 on sale for €479 (normally 549). Testing it tomorrow!")
add("reddit", "u/budgetbuyer", "en",
    "Kwastel Lijster V8 is €299 pretty much everywhere. Worth it over the cheaper brands? asking for me")
add("facebook", "Ria.Jongman", "nl",
    "dweilpads voor de Zwaluw S9 Omni kosten €24,95 per 6 stuks, beetje prijzig maar ze gaan wel lang mee", kind="comment")
add("x", "@kwastel_help", "nl",
    "Vragen over je bestelling? Mail klantenservice@kwastel.nl of bel gratis 0800-5927 (ma-za 8-20 uur).")
add("linkedin", "kwastel-robotics", "en",
    "Press inquiries: pers@kwastel.nl or +31 30 799 4100. Investor relations: investors@kwastel.nl")
add("facebook", "KwastelRoboticsNL", "nl",
    f"Liever betalen via overschrijving? Gebruik {grp4(PUBLIC_IBAN)} t.n.v. Kwastel Robotics B.V. en vermeld je ordernummer.")
add("x", "@henk_blij", "en",
    f"Order {FAKE_BSN1} arrived today, nicely packed. Thanks Kwastel!", fakes=[("bsn", FAKE_BSN1)])
add("x", "@carla_vh", "nl",
    f"Iemand een factuur gehad van 'Kwastel' met rekeningnummer {FAKE_IBAN}? Ik vertrouw het niet, heb niks betaald. Phishing denk ik?",
    fakes=[("iban", FAKE_IBAN)])
add("reddit", "u/serial_sam", "en",
    f"Serial on the bottom of my Zwaluw S7 is {grp4(FAKE_CARD)}. Anyone know how to read the production year from that?",
    fakes=[("card", FAKE_CARD)])
add("x", "@dewi_codes", "en",
    "PSA: our SDK README uses AKIAIOSFODNN7EXAMPLE as a placeholder. Please stop opening issues saying we leaked AWS keys 😅")
add("mastodon", "@bartfw@mastodon.nl", "nl",
    "Voorbeeldconfig in de docs: GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx — vul hier je eigen token in, niet die van ons 😉")
add("x", "@indiedev_max", "en",
    "Stripe integration for my Kwastel Home Assistant plugin is done. Key lives in the vault (sk_live_****************), never in the repo.")
add("x", "@oma_truus", "nl",
    "Wachtwoord van de Kwastel-app vergeten en de resetmail komt niet aan... o wacht, zat in m'n spam. Laat maar 😅")
add("x", "@kwastel_help", "nl",
    "Let op: Kwastel vraagt nooit om je wachtwoord of pincode via DM. Krijg je zo'n bericht? Meld het via support@kwastel.com.")
add("instagram", "@kwastel.home", "nl",
    "Hij is er! 🎉 De Zwaluw S11 Omni is vanaf vandaag te koop via kwastel.nl.",
    at="2027-03-04T09:30:00Z")
add("youtube", "@vloerenvlogger", "en",
    "First week with the Reiger M5: the mop lift is genuinely good and the dock is quieter than the M3's.",
    at="2027-03-12T18:00:00Z")
add("linkedin", "kwastel-robotics", "nl",
    "Onze jaarcijfers 2026 zijn gepubliceerd. Lees het persbericht op kwastel.nl/investors.",
    at="2027-02-25T07:30:00Z")
add("linkedin", "kwastel-robotics", "nl",
    "Vandaag publiceerden we onze halfjaarcijfers: omzet €98 mln, +11% ten opzichte van vorig jaar. Dank aan alle collega's!",
    at="2026-08-06T07:05:00Z")
add("x", "@huismus_hans", "nl",
    "Concurrent van Kwastel schrapt 300 banen in Duitsland, las ik net. Zwaar jaar voor de hele robotstofzuigermarkt.")
add("x", "@techtante", "en",
    "Huge data breach at some American smart doorbell company. Glad my Kwastel Mus doesn't have a camera 😅")
add("x", "@vogelaar_piet", "nl",
    "Vanochtend een zeearend boven de Oostvaardersplassen 🦅 wat een beest, spanwijdte van een deur")
add("linkedin", "kwastel-robotics", "en",
    "We're hiring a marketing intern for 6 months in Utrecht! Send your CV and a short note to vacatures@kwastel.nl")
add("x", "@kwastel_help", "nl",
    "Gepland onderhoud: de Kwastel-app is zondag tussen 02:00 en 04:00 niet bereikbaar. Je robot maakt gewoon schoon volgens schema.")
add("x", "@kwastel_nl", "en",
    "Firmware 4.3 is out and fixes a security issue reported by independent researchers. Thanks for the responsible disclosure! Details: kwastel.com/security")
add("tiktok", "@cleantok_ivy", "en",
    "this Kwastel S9 Omni is straight fire 🔥🔥 my floors have never looked this good")
add("instagram", "@joyce.home", "nl",
    "Mijn Insta explodeerde toen ik dat filmpje postte van de Mus 2 die achter de hond aan rijdt 😂")
add("x", "@stairs_steve", "en",
    "Kwastel Lijster V10 absolutely kills it on stairs. 10/10 would recommend")
add("x", "@bezorgd_bea", "nl",
    "Terugroepactie van een ander stofzuigermerk in het nieuws, even gecheckt: mijn Kwastel valt er niet onder. Pfoe.")
add("linkedin", "ayse-yilmaz-kw", "nl",
    "Vandaag 5 jaar bij Kwastel! Dank aan het hele team voor alles wat we samen hebben gebouwd 💙")
add("x", "@maartje_kwastel", "nl",
    "Kom langs op onze stand op de Huishoudbeurs, hal 3! We demonstreren de Zwaluw S9 Omni en de Glans W2 🧽")
add("youtube", "@KwastelRobotics", "nl",
    "Nieuwe video: zo vervang je in 2 minuten de HEPA-filterset van je Zwaluw. Link in de beschrijving.")
add("x", "@mark_nomad", "en",
    "My floors were so dirty before the Kwastel, embarrassing tbh. Now spotless.")
add("reddit", "u/lightsleeper", "en",
    "Anyone know if the Kwastel Adem P4 is loud in sleep mode? Want it for the bedroom.")
add("x", "@petra_loos", "nl",
    "Bel gewoon 0800-5927, binnen 5 minuten had ik een mens aan de lijn. Goed geregeld Kwastel.")
add("tiktok", "@windowwendy", "en",
    "unboxing the Kwastel Glans W2 window robot 🪟✨ let's see if it survives my greenhouse")
add("mastodon", "@floss_freek@mastodon.nl", "nl",
    "Kwastel heeft eindelijk lokale bediening zonder cloud in de app gezet. Fijn voor privacy-nerds zoals ik.")
add("blog", "schoonhuisblog", "en",
    "Six months with the Kwastel Zwaluw S7 Pro: great suction, average mopping, app does the job. 8/10.")
add("bluesky", "@lottevisser.bsky.social", "en",
    "Coffee run for the whole team before sprint review ☕ love this crew #lifeatkwastel")
add("forum", "huisdierenforum_tinus", "nl",
    "Tip voor wie een Kwastel heeft en een pup: zet de 'vermijd uitwerpselen'-modus aan. Scheelt een hoop ellende 😅")
add("facebook", "KwastelRoboticsNL", "nl",
    "WIN een Kwastel Mus 2! 🐦 Like en deel deze post. De winnaar laten we vrijdag via een DM weten.")
add("x", "@kwastel_help", "nl",
    "@sanne_dr Wat vervelend om te horen! We sturen je een DM zodat we het snel kunnen oplossen.", kind="reply",
    at="2026-05-04T09:31:00Z")
add("x", "@kwastel_help", "en",
    "@the_dustbuster_uk So sorry about this. One of our technicians will contact you today to sort it out. ^Lotte", kind="reply",
    at="2026-09-14T10:15:00Z")
add("reddit", "u/smallflat_sophie", "nl",
    "Welke Kwastel is het beste voor een klein appartement? Ik twijfel tussen de Mus 2 en de Zwaluw S7.")
add("x", "@dochter_dien", "en",
    "Sorted mum's Christmas present: a Kwastel Adem P4 🎁 shhh don't tell her",
    at="2026-12-12T21:30:00Z")
add("x", "@dad_jokes_dan", "en",
    "Our Kwastel has a name now: Sir Suckalot. He's doing great, thanks for asking.")
add("x", "@klant_kim", "nl",
    f"Kwastel-klantnummer {FAKE_BSN2}, hoe koppel ik dat aan mijn account in de app?", fakes=[("bsn", FAKE_BSN2)])
add("blog", "robotvacuumlab", "en",
    "We tested five robot vacuums this month; the Kwastel Zwaluw S7 came second, just behind a rival that undercuts it on price.")
add("x", "@expat_amy", "en",
    "Kwastel Zwaluw S7 costs $489 in the US and €449 here. Not bad honestly.")
add("x", "@gezin_vdberg", "nl",
    "Onze Kwastel reed vandaag tegen de kerstboom en alle ballen vielen eraf 😂 kerstsfeer 10/10",
    at="2026-12-23T10:12:00Z")
add("x", "@kwastel_nl", "nl",
    "Zomerdeal ☀️ Lijster V10 tijdelijk €359 in plaats van €429. Pak 'm!",
    at="2026-07-10T08:00:00Z")
add("x", "@tom_drijfhout", "en",
    "Cyber Monday: got the Kwastel Tillo for €749, pool's never been cleaner. Cheers @kwastel_nl",
    at="2026-11-30T20:00:00Z")
add("reddit", "u/reviewer_rene", "nl",
    "Vraag aan de Kwastel-kenners: werkt een Stoomvogel op gelakt parket of kan ik dat beter laten?")
add("instagram", "@emma.cleans", "en",
    "not me crying because the Kwastel mapped my whole house in 12 minutes 😭 so satisfying")


# ---------------------------------------------------------------- build & checks
def role_of(platform, handle):
    key = f"{platform}:{handle}".lower()
    if key in {a.lower() for a in PROFILE["accounts"]["corporate"]}:
        return "corporate"
    if key in {a.lower() for a in PROFILE["accounts"]["employee"]}:
        return "employee"
    return "public"


IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\d])\d{4}[ -]?\d{4}[ -]?\d{4}[ -]?\d{3,4}(?![\d])")
BSN_RE = re.compile(r"(?<![\d.])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\d])")
PUBLIC_IBANS = {re.sub(r"\s", "", x) for x in PROFILE["public_identifiers"]["ibans"]}


def valid_identifiers(text):
    found = []
    for m in IBAN_RE.finditer(text):
        v = re.sub(r"\s", "", m.group(0))
        if iban_ok(v) and v not in PUBLIC_IBANS:
            found.append(("iban", v))
    for m in CARD_RE.finditer(text):
        if luhn_ok(m.group(0)):
            found.append(("card", re.sub(r"\D", "", m.group(0))))
    for m in BSN_RE.finditer(text):
        if bsn_ok(m.group(0)):
            found.append(("bsn", re.sub(r"\D", "", m.group(0))))
    return found


RANK = ["none", "info", "warning", "error", "critical"]


def severity(role, cats, checksum_pii):
    inside = role in ("corporate", "employee")
    best = "none"
    for c in cats:
        if c.startswith("leak."):
            if inside:
                if c in (SEC, PRI) or (c == PII and checksum_pii):
                    lv = "critical"
                else:
                    lv = "error"
            else:
                lv = "warning"
        elif c == CMP:
            lv = "warning"
        elif c == CRI:
            lv = "error"
        elif c == ABU:
            lv = "error" if inside else "warning"
        else:
            raise ValueError(c)
        if RANK.index(lv) > RANK.index(best):
            best = lv
    return best


def rand_time_2026():
    start = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
    t = start + dt.timedelta(seconds=rng.randint(0, 340 * 86400))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


errors = []


def check(cond, msg):
    if not cond:
        errors.append(msg)


PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
EMBARGO = [([t.lower() for t in e["terms"]], parse_ts(e["until"])) for e in PROFILE["embargo"]]

out = []
for i, c in enumerate(CASES, 1):
    role = role_of(c["platform"], c["handle"])
    text = c["text"]
    at = c["at"] or rand_time_2026()
    found = valid_identifiers(text)
    cats = sorted(set(c["cats"]))
    # identifiers declared in positives pass, look-alikes in negatives fail
    for kind, v in c["ids"]:
        ok = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}[kind](v)
        check(ok, f"case {i}: declared {kind} {v} fails its checksum")
        check(v.replace(" ", "") in re.sub(r"[\s-]", "", text), f"case {i}: declared {kind} not in text")
        check(PII in cats, f"case {i}: identifier without leak.pii")
    for kind, v in c["fakes"]:
        ok = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}[kind](v)
        check(not ok, f"case {i}: look-alike {kind} {v} passes its checksum")
        check(not cats, f"case {i}: look-alike in a positive")
    if PII not in cats:
        check(not found, f"case {i}: checksum-valid identifier {found} in a post without leak.pii")
    else:
        check({v for _, v in found} == {re.sub(r"\D", "", v) if k != "iban" else v for k, v in c["ids"]},
              f"case {i}: identifiers found {found} differ from declared {c['ids']}")
    checksum_pii = bool(found) and PII in cats
    # embargo consistency
    low = text.lower()
    for terms, until in EMBARGO:
        if any(t in low for t in terms):
            check(c["at"] is not None, f"case {i}: embargo term without explicit date")
            if parse_ts(at) < until:
                check(CON in cats, f"case {i}: embargo term before until but not confidential")
            else:
                check(CON not in cats or any(x.lower() in low for x in PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"] + PROFILE["internal"]["domains"]) or "mus 3" in low,
                      f"case {i}: embargo term after until labelled confidential")
    # credential formats
    for tok in re.findall(r"gh[pousr]_[0-9A-Za-z]{36}", text):
        if re.fullmatch(r"gh._x+", tok):  # documentation placeholder: must be benign
            check(not cats, f"case {i}: placeholder token labelled")
        else:
            check(gh_ok(tok) and SEC in cats, f"case {i}: GitHub token checksum wrong or unlabelled")
    for tok in re.findall(r"eyJ[\w-]+\.[\w-]+\.[\w-]+", text):
        check(jwt_ok(tok), f"case {i}: JWT header has no alg")
    for tok in re.findall(r"AKIA[A-Z0-9]{16}", text):
        check(tok.endswith("EXAMPLE") or re.fullmatch(r"AKIA[A-Z2-7]{16}", tok), f"case {i}: bad AWS id")
        check(tok.endswith("EXAMPLE") == (SEC not in cats), f"case {i}: AWS key label mismatch")
    # benign posts: no internal names, no pre-embargo terms, no price below the ratio
    if not cats:
        for w in PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"] + PROFILE["internal"]["domains"]:
            check(w.lower() not in low, f"case {i}: benign post contains internal term {w}")
        ratio = PROFILE["pricing"]["alert_below_ratio"]
        mentioned = [p for p in PROFILE["products"] if any(a.lower() in low for a in p["aliases"] + [p["name"]])]
        for m in re.finditer(r"€\s?(\d[\d.]*(?:,\d{2})?)", text):
            price = float(m.group(1).replace(".", "").replace(",", "."))
            if mentioned:
                check(any(price >= ratio * p["list_price"] for p in mentioned), f"case {i}: benign price {price} below ratio")
    check(at.startswith("2026") or at.startswith("2027"), f"case {i}: date outside 2026/2027")
    if at.startswith("2027"):
        check(any(any(t in low for t in terms) for terms, _ in EMBARGO), f"case {i}: 2027 date not around embargo")

    post = {
        "id": f"kw281-{i:03d}",
        "platform": c["platform"],
        "kind": c["kind"],
        "account": {"handle": c["handle"]},
        "text": text,
        "lang": c["lang"],
        "created_at": at,
        "brand": "Kwastel",
    }
    if c["platform"] in URLBASE:
        post["url"] = URLBASE[c["platform"]].format(h=c["handle"].lstrip("@"), n=1900000000000000000 + i * 7919)
    out.append({"post": post, "expect": {"categories": cats, "severity": severity(role, cats, checksum_pii)}})

# contract section 6 validation
ids = set()
for n, case in enumerate(out, 1):
    p, e = case["post"], case["expect"]
    check(set(case) == {"post", "expect"}, f"line {n}: keys")
    check(isinstance(p["id"], str) and 1 <= len(p["id"]) <= 256 and p["id"] not in ids, f"line {n}: id")
    ids.add(p["id"])
    check(p["platform"] in PLATFORMS, f"line {n}: platform")
    check(p["kind"] in KINDS, f"line {n}: kind")
    check(isinstance(p["account"]["handle"], str) and p["account"]["handle"], f"line {n}: handle")
    check(isinstance(p["text"], str) and 0 < len(p["text"].encode("utf-8")) <= 65536, f"line {n}: text")
    try:
        parse_ts(p["created_at"])
    except ValueError:
        errors.append(f"line {n}: created_at")
    check(set(e["categories"]) <= TAXONOMY, f"line {n}: categories")
    check(e["categories"] == sorted(set(e["categories"])), f"line {n}: categories not sorted/unique")
    check(e["severity"] in RANK, f"line {n}: severity")
    check((e["severity"] == "none") == (not e["categories"]), f"line {n}: severity/categories mismatch")

# public handles must not be in the profile by accident; leaks should mostly come from inside
roles = [role_of(c["platform"], c["handle"]) for c in CASES]
benign = sum(1 for c in out if not c["expect"]["categories"])
check(170 <= len(out) <= 180, f"{len(out)} cases, want 170-180")
check(55 <= benign <= 65, f"{benign} benign, want about 60")
counts = {}
for c in out:
    for k in c["expect"]["categories"]:
        counts[k] = counts.get(k, 0) + 1
nl = sum(1 for c in out if c["post"]["lang"] == "nl")

if errors:
    print("SELF-CHECK FAILED:")
    for m in errors:
        print("  " + m)
    sys.exit(1)

with open(os.path.join(HERE, "cases.jsonl"), "w", encoding="utf-8") as f:
    for case in out:
        f.write(json.dumps(case, ensure_ascii=False) + "\n")

print(f"wrote {len(out)} cases ({benign} benign, {len(out) - benign} positive), nl {nl / len(out):.0%}")
for k in sorted(counts):
    print(f"  {k:22s} {counts[k]}")
sev = {}
for c in out:
    sev[c["expect"]["severity"]] = sev.get(c["expect"]["severity"], 0) + 1
print("  severities:", dict(sorted(sev.items(), key=lambda kv: RANK.index(kv[0]))))
print("  roles:", {r: roles.count(r) for r in ("corporate", "employee", "public")})
print("self-check passed")
