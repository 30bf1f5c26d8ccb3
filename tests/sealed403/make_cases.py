#!/usr/bin/env python3
"""Held-out evaluation set sealed403: Larixo Buitenbouw B.V. (garden sheds & carports).

Deterministic: fixed seed, hand-written post texts, generated identifiers and
credentials (with their real checksums). Writes cases.jsonl beside this file and
self-checks it; exits non-zero on any failed check.
"""
import base64
import hashlib
import hmac
import json
import os
import random
import re
import string
import sys
import zlib
from datetime import datetime, timedelta, timezone

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
rng = random.Random(403_2026)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# ---------------------------------------------------------------- checksums
def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", s):
        return False
    if s[:2] == "NL" and len(s) != 18:
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(bank, acct, cc="NL"):
    bban = bank + acct
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return "%s%02d%s" % (cc, 98 - n % 97, bban)


def luhn_ok(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    if not 13 <= len(d) <= 19:
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
    body = [int(c) for c in prefix]
    while len(body) < length - 1:
        body.append(rng.randint(0, 9))
    for last in range(10):
        cand = "".join(map(str, body + [last]))
        if luhn_ok(cand):
            return cand


def bsn_ok(s):
    d = re.sub(r"\D", "", s)
    if len(d) != 9:
        return False
    tot = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return tot % 11 == 0 and d[0] != "0"


def make_bsn():
    while True:
        d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        s = sum(d[i] * (9 - i) for i in range(8)) % 11
        if s <= 9:
            return "".join(map(str, d + [s]))


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


# ---------------------------------------------------------------- credentials
ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base-62 order 0-9A-Za-z
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def rstr(alpha, n):
    return "".join(rng.choice(alpha) for _ in range(n))


def b62(n, width=6):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def gh_token(prefix="ghp_"):
    body = rstr(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF)


def gh_token_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()) & 0xFFFFFFFF) == m.group(2)


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt(payload):
    header = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64u(json.dumps(payload, separators=(",", ":")).encode())
    key = bytes(rng.getrandbits(8) for _ in range(32))
    sig = b64u(hmac.new(key, (header + "." + body).encode(), hashlib.sha256).digest())
    return header + "." + body + "." + sig


def make_openssh_key():
    pub = bytes(rng.getrandbits(8) for _ in range(32))
    priv = bytes(rng.getrandbits(8) for _ in range(64))
    chk = bytes(rng.getrandbits(8) for _ in range(4))

    def sstr(b):
        return len(b).to_bytes(4, "big") + b

    pubblob = sstr(b"ssh-ed25519") + sstr(pub)
    privblock = chk + chk + sstr(b"ssh-ed25519") + sstr(pub) + sstr(priv) + sstr(b"eva@deploy-01") + b"\x01\x02\x03"
    raw = (b"openssh-key-v1\x00" + sstr(b"none") + sstr(b"none") + sstr(b"")
           + (1).to_bytes(4, "big") + sstr(pubblob) + sstr(privblock))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


AWS_ID = "AKIA" + rstr("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
AWS_SECRET = rstr(string.ascii_letters + string.digits + "/+", 40)
GH_TOKEN = gh_token("ghp_")
GH_TOKEN2 = gh_token("ghs_")
SSH_KEY = make_openssh_key()
STRIPE_KEY = "sk_live_" + rstr(ALNUM, 24)
SLACK_TOKEN = "xoxb-%d-%d-%s" % (rng.randint(10**11, 10**12 - 1), rng.randint(10**12, 10**13 - 1), rstr(ALNUM, 24))
JWT = make_jwt({"sub": "monteur-117", "name": "D. Bakker", "role": "admin",
                "iat": 1781690400, "exp": 1781776800, "iss": "montage-app"})
PG_PASS = rstr(string.ascii_letters + string.digits, 18)
URLSAFE = string.ascii_letters + string.digits + "_-"
OPENAI_KEY = "sk-proj-" + rstr(URLSAFE, 64) + "T3BlbkFJ" + rstr(URLSAFE, 64)
GITLAB_PAT = "glpat-" + rstr(URLSAFE, 20)
MOLLIE_KEY = "live_" + rstr(ALNUM, 30)
GOOGLE_KEY = "AIza" + rstr(URLSAFE, 35)

# ---------------------------------------------------------------- personal data
COMPANY_IBAN = PROFILE["public_identifiers"]["ibans"][0]
IBAN_REFUND = make_iban("INGB", "0007%06d" % rng.randint(0, 999999))
IBAN_OWN = make_iban("ASNB", "%010d" % rng.randint(10**8, 10**10 - 1))
IBAN_CUST = make_iban("ABNA", "%010d" % rng.randint(10**8, 10**10 - 1))
CARD_PHONE = make_card("4" + str(rng.randint(10000, 99999)))
CARD_OWN = make_card("5" + str(rng.randint(1, 5)) + str(rng.randint(1000, 9999)))
BSN_NEW = make_bsn()
BSN_CUST = make_bsn()


def break_iban(good):
    cd = int(good[2:4])
    return good[:2] + "%02d" % ((cd + 37) % 97 if (cd + 37) % 97 > 1 else 55) + good[4:]


FAKE_IBAN1 = break_iban(make_iban("RABO", "0123456789"))
FAKE_IBAN2 = break_iban(make_iban("BUNQ", "%010d" % rng.randint(10**8, 10**10 - 1)))
_c = make_card("4000")
FAKE_CARD = _c[:-1] + str((int(_c[-1]) + 3) % 10)
FAKE_BSN_1 = "123456780"
FAKE_BSN_2 = "318204957"

# ---------------------------------------------------------------- cases
CAT = {
    "secret": "leak.secret", "pii": "leak.pii", "pricing": "leak.pricing",
    "conf": "leak.confidential", "fin": "leak.financial", "secu": "leak.security",
    "crisis": "reputation.crisis", "compl": "reputation.complaint", "abuse": "reputation.abuse",
}
CASES = []


def add(platform, handle, lang, text, cats=(), kind="post", when=None, name=None, allow=()):
    CASES.append(dict(platform=platform, handle=handle, lang=lang, text=text,
                      cats=sorted(CAT[c] for c in cats), kind=kind, when=when, name=name,
                      allow=set(allow)))


# ======================= complaints =======================
add("x", "@sanne_030", "nl",
    "@larixo_service al 3 weken wachten op de deur van mijn Veluwe 240. Tuinhuis staat er, maar zonder deur "
    "heb ik gewoon een duur afdakje 🙄 wanneer komt ie nou?", ["compl"], kind="reply")
add("facebook", "Petra van Dijk", "nl",
    "Vorige week de Carport Duo laten leveren. Pakket 4 van de 6 ontbrak gewoon. Klantenservice zegt 'wordt "
    "nagestuurd' maar niemand kan me een datum geven. Monteurs dus voor niks gekomen en ik mag wel de "
    "voorrijkosten betalen?? Heel slecht geregeld Larixo.", ["compl"], name="Petra van Dijk")
add("x", "@homesteadhank", "en",
    "Ordered the Hardy 200 steel shed from Larixo in March. It's June. Three delivery dates, three no-shows. "
    "Nobody picks up the phone. Done with these people.", ["compl"])
add("instagram", "@tuinliefde_mirjam", "nl",
    "Mooie foto's hoor, maar bij ons zijn de planken van de Kloof houtopslag na één winter helemaal krom "
    "getrokken. Zo jammer voor zo'n prijs 😞", ["compl"], kind="comment")
add("x", "@b_janssen72", "nl",
    "dakpakket lekt. na 1 regenbui staat er een plas in mn schuur. epdm niet goed verlijmd door jullie "
    "montageploeg. @larixo_service wie komt dit oplossen?", ["compl"])
add("reddit", "u/shedlife_nl", "en",
    "PSA for anyone in NL looking at Larixo: the instructions for the Aurora greenhouse are a joke. Step 14 "
    "references parts that don't exist in the box, the glass clips were the wrong size, and it took customer "
    "service 11 days to answer one email. Ended up buying clips at the DIY store myself. The thing looks fine "
    "now but wow, what a process. Would not do it again.", ["compl"])
add("x", "@RuudZwolle", "nl",
    "Ik wacht nu 6 weken op mijn geld terug voor een geannuleerde Studio 9 😤 @larixo_service elke keer "
    "'het ligt bij finance'. €900 aanbetaling, ik wil het gewoon terug.", ["compl"])
add("facebook", "Liz Morgan", "en",
    "The colour we ordered was 'antraciet' and what showed up is basically light grey. Larixo says it's "
    "'within tolerance'. It isn't. Two different colours on one carport now, looks ridiculous from the street.",
    ["compl"], name="Liz Morgan")
add("x", "@mevrouwdebruin", "en",
    "Larixo's delivery driver drove his truck straight across our lawn. Deep ruts, box hedge flattened. "
    "Emailed them, got an auto-reply. Lovely service.", ["compl"])
add("forum", "henkdeklusser", "nl",
    "Larixo fietsenberging Duko gekocht, dak is een week na montage al gaan klapperen bij wind. Schroeven te "
    "kort geleverd als je het mij vraagt. Dealer verwijst naar Larixo, Larixo verwijst naar dealer. Iemand "
    "ervaring hoe je dit afdwingt?", ["compl"])
add("x", "@anoukvdberg", "nl",
    "@larixo_service montage is nu 3x verzet en niemand belt terug. Bel me nou gewoon even: 06-41273958. "
    "Ordernr 2026-48113. Dank.", ["compl", "pii"], kind="reply")
add("facebook", "Dave Hollis", "en",
    "Still no refund for the cancelled Terra 400 canopy, five weeks on. Larixo, email me at "
    "dave.hollis74@gmail.com — I've given up on your phone line.", ["compl", "pii"], name="Dave Hollis")
add("x", "@gozer_mo", "nl",
    "Teringbedrijf. 3 maanden wachten op een carport en dan komt ie KAPOT binnen. Larixo stelletje "
    "kutoplichters 🤬", ["compl", "abuse"])
add("x", "@mad_mike_uk", "en",
    "Larixo you absolute clowns. fourth missing part. FOURTH. who the fuck packs these boxes, a blind monkey?",
    ["compl", "abuse"])

# ======================= safety incidents, first-hand (crisis + complaint) =======================
add("x", "@familie_smit_", "nl",
    "Onze Carport Solo is vannacht onder de sneeuw ingestort. Auto eronder, voorruit kapot, dak ingedeukt. "
    "Mijn man stond er 10 minuten eerder nog naast. Dit had iemand kunnen doden @larixo_service. Ding is 8 "
    "maanden oud.", ["crisis", "compl"])
add("facebook", "Sarah Whitfield", "en",
    "The solar LED lamp from our Larixo carport literally caught fire last night. Melted plastic all over the "
    "car roof, we put it out with the garden hose. Who sells this stuff??", ["crisis", "compl"],
    name="Sarah Whitfield")
add("instagram", "@lottevandaalen", "nl",
    "Mijn dochter (6) heeft een diepe snee in haar hand van een uitstekende schroef in het Kabouterhuisje. "
    "4 hechtingen. Hoe kan zoiets door een controle komen?? #larixo #kinderveiligheid", ["crisis", "compl"])
add("reddit", "u/bricksandbeams", "en",
    "Larixo Aurora greenhouse: a pane just slid out of its clip in a gust and shattered right next to my son. "
    "He's got cuts on his arm from the shards. Clips were fitted exactly per the manual. Warning to others — "
    "and Larixo, you need to fix this.", ["crisis", "compl"])
add("x", "@wim_hovenier", "nl",
    "Kreeg een flinke schok toen ik de verlichting van het Havik prieel aanraakte na de regen. Bedrading uit "
    "de kit van Larixo is niet waterdicht. Lag er bijna naast. Dit is levensgevaarlijk spul.",
    ["crisis", "compl"])
add("facebook", "Marco Hendriks", "nl",
    "Dakplaat van mijn Terra overkapping losgewaaid tijdens die storm, vloog zo tegen mijn schouder. Kneuzing, "
    "bij de huisarts geweest. Overkapping is pas 2 maanden oud en precies volgens de handleiding gemonteerd. "
    "Larixo reageert nergens op.", ["crisis", "compl"], name="Marco Hendriks")

# ======================= crisis, third party / other =======================
add("x", "@buildwatch_eu", "en",
    "Dutch shed maker Larixo hit with a recall: bolts on the Carport Solo roof beams can shear under snow "
    "load, according to a notice filed with the consumer authority. Roughly 2,300 units affected.", ["crisis"])
add("x", "@nieuwsbuurt_ov", "nl",
    "Bij een woning in Dalfsen is zaterdag een carport ingestort waarbij een 54-jarige man lichtgewond raakte. "
    "Het gaat volgens omwonenden om een model van Larixo.", ["crisis"])
add("x", "@eerlijkhout", "nl",
    "Larixo verkoopt 'FSC' tuinhuizen van hout dat aantoonbaar uit illegale kap in Roemenië komt. Niet kopen! "
    "#boycotLarixo #eerlijkhout", ["crisis"])
add("x", "@privacyfirst_nl", "en",
    "Larixo customers: check your inbox. Looks like their order database leaked — phishing mails are quoting "
    "real order numbers and delivery addresses. Larixo is staying silent.", ["crisis"])
add("facebook", "Gerrit Boersma", "nl",
    "Er loopt nu een rechtszaak tegen Larixo van zo'n 40 kopers van de Veluwe XL vanwege rottende vloerbalken. "
    "Wie ook problemen heeft kan zich aansluiten via de belangenvereniging.", ["crisis"], name="Gerrit Boersma")
add("linkedin", "anna-reyes-journalist", "en",
    "Hearing from several ex-employees at Larixo's Hardenberg plant about saws with guards removed to 'keep "
    "the line moving'. One worker lost two fingers in September. Story coming this week.", ["crisis"])
add("tiktok", "@klusdaddy_nl", "nl",
    "Stop met Larixo kopen!! ze laten hun Poolse montagejongens 14 uur per dag werken voor een habbekrats. "
    "delen delen delen #boycot #larixo", ["crisis"])
add("x", "@anita_b", "en",
    "Little boy next door taken away by ambulance today, their Larixo playhouse toppled over while he was "
    "climbing on it. Awful. Thinking of his parents 💔", ["crisis"])
add("x", "@consumentenclaim", "en",
    "We're preparing a class action on behalf of Larixo carport owners. If your Carport Duo sagged or cracked "
    "within 2 years, register with us.", ["crisis"])

# ======================= abuse =======================
add("x", "@sjonnie_040", "nl", "Larixo = kankerbedrijf. Punt.", ["abuse"])
add("x", "@dirkske", "nl",
    "@dennisbouwt jij bent toch die mongool die mijn schuur scheef heeft neergezet? Leer eerst eens een "
    "waterpas vasthouden, debiel", ["abuse"], kind="reply")
add("x", "@trollface_99", "en",
    "@marloes_larixo nobody cares about your stupid shed posts you ugly cow", ["abuse"], kind="reply")
add("instagram", "@x_jaymz_x", "nl", "Wat een k4nk3r zooi verkopen jullie ook 🤮🤮", ["abuse"], kind="comment")
add("facebook", "Brian Kowalski", "en",
    "Larixo staff are a bunch of lazy brainless morons. Not one of them could build a birdhouse.",
    ["abuse"], kind="comment", name="Brian Kowalski")
add("x", "@zwolsejongen", "nl",
    "Die klantenservice van Larixo, stelletje tyfuslijers zijn het. Ga toch allemaal dood.", ["abuse"])
add("x", "@henkie_h", "nl",
    "Larixo neemt alleen nog buitenlanders aan die geen woord Nederlands spreken. Terug naar je eigen land "
    "met die hele montageploeg.", ["abuse"])
add("x", "@dennisbouwt", "nl",
    "@dirkske misschien als je niet zo'n domme lul was had je gewoon de handleiding gelezen. sukkel.",
    ["abuse"], kind="reply")
add("tiktok", "@shedhater", "en", "f.u.c.k larixo and their s h i t sheds", ["abuse"], kind="comment")
add("x", "@boos_in_brabant", "nl", "Larixo zijn echt ｋｌｏｏｔｚａｋｋｅｎ, nooit meer.", ["abuse"])
add("x", "@larixo_service", "nl",
    "@gozer_mo Rustig aan. Met zulke achterlijke idioten als jij gaan we niet in gesprek.", ["abuse"],
    kind="reply")

# ======================= pricing =======================
add("x", "@larixo_nl", "nl",
    "🌞 ZOMERDEAL! De Carport Duo nu voor maar €289,- Alleen dit weekend op larixo.nl #carport #zomer",
    ["pricing"])
add("facebook", "LarixoBuitenbouw", "nl",
    "Laatste kans: het Veluwe XL tuinhuis voor €274,90 incl. bezorging! Op = op.", ["pricing"])
add("x", "@marloes_larixo", "en",
    "Heads up team, the shop is showing the Blokhut Drenthe at €429 instead of €4,299 😬 someone fix the feed "
    "before the deal sites pick it up", ["pricing"])
add("x", "@dealjager_nl", "nl",
    "PRIJSFOUT?! Larixo Hardy 200 staalberging voor €89 op shop.larixo.nl 🔥🔥 snel zijn #prijsfout", ["pricing"])
add("forum", "koopjesknaller", "nl",
    "Larixo Tuinkantoor Studio 9 staat voor €899 in de webshop (normaal bijna 9k). Besteld, eens kijken of ze "
    "leveren 😂", ["pricing"])
add("reddit", "u/dealhound_nl", "en",
    "Larixo has the Lumen alu carport listed at €349. Pretty sure that's a decimal error. Ordered two anyway lol",
    ["pricing"])
add("threads", "@bram_planning", "nl",
    "lol er komen opeens 60 orders binnen voor de Duko. blijkt dat ie op 114,90 staat ipv 1149 🙈 prijsfout "
    "van de eeuw", ["pricing"])
add("instagram", "@larixo.tuin", "nl",
    "Nieuw in de collectie 🌿 het Prieel Havik, nu vanaf €179. Link in bio!", ["pricing"])
add("x", "@bargainbarn", "en",
    "Larixo Aurora greenhouse €129.90 with free delivery?? price glitch, go go go", ["pricing"])
add("x", "@evavdlinden", "nl",
    "Importscript heeft alle carportprijzen door 10 gedeeld 🤦‍♀️ Carport Solo staat nu op €164,90. Rollback "
    "loopt.", ["pricing"])
add("x", "@kortingskoning", "en", "Larixo price error: Trio containerberging for 7.99 🤯 cart it before they notice",
    ["pricing"])
add("facebook", "Henk.Tuinman.Larixo", "nl",
    "Klant belt me net, hij zag de Stabiel schuurdeur voor €34,90 op de site. Prijsfout jongens, die orders "
    "gaan we niet leveren.", ["pricing"])

# ======================= financial =======================
add("linkedin", "kees-vermeulen-larixo", "nl",
    "Pittig kwartaal achter de rug. Omzet Q3 komt uit op €41,2 mln, 17% onder budget, en dat hoort de bank "
    "pas volgende week. Koffie is op 😅", ["fin"], when="2026-10-06T16:12:00Z")
add("x", "@marloes_larixo", "nl",
    "Nog niet officieel maar we worden overgenomen door een Duits concern 🇩🇪 tekenen is in maart. "
    "Spannend allemaal!", ["fin"])
add("linkedin", "yasmina-haddou", "en",
    "Hard week in HR. We're preparing the works council consultation for closing the Hardenberg assembly line "
    "— around 80 colleagues affected. The announcement is planned for 3 November. Please be kind to each other.",
    ["fin"], when="2026-10-21T18:40:00Z")
add("threads", "@bram_planning", "nl",
    "Planning voor 2027 gezien: ze rekenen op 25% minder carports. Reorganisatie in de buitendienst komt "
    "eraan, minstens 3 montageploegen weg.", ["fin"])
add("x", "@zwager_van_jan", "en",
    "My brother-in-law works at Larixo in Hardenberg and says the whole factory is moving to Poland, "
    "announcement next month. Anyone else heard this?", ["fin"])
add("x", "@evavdlinden", "en",
    "forecast deck for the board just landed in my inbox by accident: FY26 EBITDA guidance cut from 9.5M to "
    "6.1M. not my department, but yikes", ["fin"])
add("facebook", "LarixoBuitenbouw", "nl",
    "Beste collega's, zoals besproken gaan we per 1 januari samen verder met Noordhout Holding. De "
    "aandeelhouders hebben ingestemd; de markt wordt op 12 december geïnformeerd.", ["fin"],
    when="2026-11-27T08:05:00Z")
add("linkedin", "kees-vermeulen-larixo", "en",
    "Closing the H1 2027 results this week. Gross margin down to 22% from 31%, mostly timber costs. Going to "
    "be a tough story for the lenders.", ["fin", "conf"], when="2027-07-14T19:02:00Z")
add("x", "@dennisbouwt", "nl",
    "Hoorde vandaag van de chef dat er 40 man uit de montage moeten voor de zomer. Niemand weet het nog "
    "officieel 🤐", ["fin"])
add("mastodon", "@joost_k", "nl",
    "Vandaag de koppeling gebouwd tussen ons ERP en dat van de koper. Ja, koper. Meer mag ik niet zeggen 🤫 "
    "#overname", ["fin"])
add("x", "@timberinsider", "en",
    "Sources tell me Larixo's 2026 revenue will land ~€30M short of plan and the owners are quietly shopping "
    "the company to private equity. Not public yet.", ["fin"])
add("linkedin", "kees-vermeulen-larixo", "nl",
    "De halfjaarcijfers 2027 zien er beter uit dan verwacht: +12% omzet, nettowinst verdubbeld. Mooi werk "
    "iedereen! Officieel volgt op de 20e.", ["fin", "conf"], when="2027-08-04T12:30:00Z")

# ======================= security =======================
add("x", "@evavdlinden", "nl",
    "Dag 2 van de ransomware-ellende. ERP, planning en mail liggen plat, klanten weten nog van niks. Niet de "
    "week om me te vragen wanneer je schuur komt 🫠", ["secu"])
add("mastodon", "@joost_k", "en",
    "found out today that our order tracking API returns any customer's address if you just increment the "
    "order id. reported it internally 3 weeks ago, still live. sigh.", ["secu"])
add("threads", "@bram_planning", "nl",
    "Heel het planningssysteem ligt er al sinds 7 uur vanochtend uit, we plannen montages nu met pen en "
    "papier 😂 officieel heet het 'gepland onderhoud' haha", ["secu"])
add("x", "@evavdlinden", "nl",
    "Phishingmail doorgeklikt door 3 collega's van de buitendienst, hun accounts zijn gebruikt om nepfacturen "
    "naar klanten te sturen. Wordt nu intern onderzocht, nog niks naar buiten.", ["secu"])
add("x", "@marloes_larixo", "en",
    "PSA to my team: the backup of the customer newsletter list sat in a public storage bucket for a week. IT "
    "closed it today. Don't mention it to customers until legal says so.", ["secu"])
add("facebook", "Henk.Tuinman.Larixo", "nl",
    "Betaalmodule van de webshop doet het al 2 dagen niet met iDEAL, klanten krijgen een foutmelding en wij "
    "mogen niks zeggen. Zucht.", ["secu"])
add("x", "@larixo_service", "en",
    "@greenthumb_liz So sorry! Someone got into our customer database last weekend, that's why you got that "
    "odd mail. We're not announcing it yet, so please keep it between us 🙏", ["secu"], kind="reply")
add("mastodon", "@joost_k", "nl",
    "Onze montage-app slaat de wachtwoorden van monteurs gewoon in plain text op in de lokale database 🙃 "
    "ticket ligt er al sinds maart", ["secu"])
add("x", "@ex_larixo_it", "en",
    "Old colleagues at Larixo tell me the webshop has had an SQL injection hole for weeks and management "
    "won't fix it until after the summer promo.", ["secu"])
add("linkedin", "yasmina-haddou", "en",
    "Reminder for everyone at Larixo: our HR portal was compromised on Friday and payroll data may be exposed. "
    "We'll communicate externally once forensics is done — please don't share.", ["secu"])
add("instagram", "@rik.timmert", "nl",
    "Zagerij ligt stil omdat de besturing van de CNC-lijn gehackt is 😳 mag niemand weten maar we zitten al "
    "3 dagen te kaarten in de kantine", ["secu"])
add("x", "@evavdlinden", "en",
    "our VPN box is still unpatched against last month's critical CVE and someone's been poking at it all "
    "night. not public, don't RT", ["secu"])
add("threads", "@bram_planning", "en",
    "customer portal's been down since yesterday bc of a DDoS. the site says 'issue at our hosting provider' 🙊",
    ["secu"])

# ======================= secrets =======================
add("x", "@evavdlinden", "en",
    "anyone know why this keeps 403ing? `aws s3 ls --profile prod` with\naws_access_key_id = %s\n"
    "aws_secret_access_key = %s" % (AWS_ID, AWS_SECRET), ["secret"])
add("mastodon", "@joost_k", "nl",
    "Hmm, CI build faalt op de deploy-stap. GITHUB_TOKEN=%s staat gewoon in de env, iemand een idee?"
    % GH_TOKEN, ["secret"])
add("x", "@evavdlinden", "en",
    "which of these is the deploy key again 🤔\n" + SSH_KEY, ["secret"])
add("threads", "@bram_planning", "nl",
    "Voor de nieuwe planners: inloggen op het planbord met gebruiker planning01, wachtwoord: Sch00rDak!2026 😉",
    ["secret"])
add("reddit", "u/freelance_dev_nl", "en",
    "Building a webshop plugin for a shed company (Larixo). Their Stripe integration throws 'No such customer'. "
    "Config is:\nSTRIPE_KEY=%s\nWhat am I missing?" % STRIPE_KEY, ["secret"])
add("x", "@marloes_larixo", "nl",
    "Slack-bot voor de social inbox werkt weer 🎉 token voor wie hem ook wil koppelen: %s" % SLACK_TOKEN,
    ["secret"])
add("mastodon", "@joost_k", "en",
    "debugging auth on the montage app, this is the token it gets back, why does it say admin?? %s" % JWT,
    ["secret"])
add("x", "@evavdlinden", "nl",
    "DATABASE_URL=postgres://shop_rw:%s@10.12.0.21:5432/webshop werkt lokaal wel maar niet in de container, "
    "iemand?" % PG_PASS, ["secret"])
add("x", "@larixo_nl", "nl",
    "Maak kennis met onze nieuwe tuinplanner-chatbot 🌿 OPENAI_API_KEY=%s" % OPENAI_KEY, ["secret"])
add("mastodon", "@joost_k", "nl",
    "gitlab token voor de pipeline: %s — verloopt eind van de maand, daarna vraag je zelf maar een nieuwe"
    % GITLAB_PAT, ["secret"])
add("x", "@contractor_ben", "en",
    "Larixo's Mollie key is hardcoded in their checkout js lol: %s" % MOLLIE_KEY, ["secret"])
add("x", "@evavdlinden", "nl",
    "Maps key voor de bezorgplanner, voor als je hem zoekt: %s (graag niet in de repo zetten)" % GOOGLE_KEY,
    ["secret"])

# ======================= confidential =======================
add("x", "@marloes_larixo", "nl",
    "Eindelijk mag ik het zeggen... nee toch niet 🙊 Maar Project Marten wordt echt de mooiste lancering ooit. "
    "Nog even geduld!", ["conf"])
add("instagram", "@rik.timmert", "nl",
    "Eerste prototype van de Larixo Solarport vandaag in elkaar gezet in de hal ☀️🚗 zonnepanelen op je "
    "carport, hoe vet is dat", ["conf"], when="2026-10-09T15:20:00Z")
add("linkedin", "kees-vermeulen-larixo", "en",
    "Great session today reviewing the Boomklever business case with the board. Exciting times ahead.", ["conf"])
add("x", "@evavdlinden", "nl",
    "wie heeft er toegang tot https://gitlab.larixo.nl/webshop/checkout ? krijg alleen een 404", ["conf"])
add("x", "@dennisbouwt", "en",
    "Montagehandleiding v3 — LARIXO VERTROUWELIJK — niet verspreiden. look at this new roof system we're "
    "getting 😎", ["conf"])
add("threads", "@bram_planning", "nl",
    "Operatie Regenton gaat door volgende maand, eindelijk duidelijkheid voor de planners", ["conf"])
add("facebook", "LarixoBuitenbouw", "nl",
    "Alleen intern: nieuwe prijslijst 2027 met +8% op alle tuinhuizen gaat per 1 februari in. Niet delen met "
    "dealers.", ["conf"])
add("x", "@shedspotter", "en",
    "Spotted a Larixo test rig in Hardenberg: carport with solar panels on top, sign said 'Solarport Duo — "
    "prototype'. Looks sweet", ["conf"], when="2026-11-18T13:44:00Z")
add("mastodon", "@joost_k", "nl", "Login op erp.larixo.local weer eens traag vandaag, iemand anders ook?", ["conf"])
add("x", "@marloes_larixo", "en", "Can't wait for Boom\u200bklever to go live 🐦", ["conf"])
add("instagram", "@rik.timmert", "nl", "Druk druk druk met P r o j e c t  M a r t e n 🔨🔨", ["conf"])
add("x", "@marloes_larixo", "nl",
    "\u0405olarport Duo proefmodel staat in de showroom achter de gordijnen 👀", ["conf"],
    when="2027-02-20T10:15:00Z")
add("linkedin", "yasmina-haddou", "en",
    "Attaching the onboarding pack, marked 'Larixo vertrouwelijk' so please don't forward: new hires start "
    "at intra.larixo.local/welkom", ["conf"])
add("x", "@leverancier_piet", "nl",
    "Mooi dat we als leverancier mogen meedenken over Operatie Regenton bij Larixo, spannend project!", ["conf"])
add("facebook", "Henk.Tuinman.Larixo", "nl",
    "Klanten vragen of er een carport met zonnepanelen komt. Jazeker! De Larixo Solarport komt in maart, maar "
    "dat heb je niet van mij 😉", ["conf"], when="2026-09-12T11:00:00Z")
add("mastodon", "@joost_k", "en",
    "deploy to ｐｌａｎｎｉｎｇ.ｌａｒｉｘｏ.ｌｏｃａｌ failed again, third time today", ["conf"])

# ======================= personal data =======================
add("x", "@dennisbouwt", "nl",
    "Morgen montage bij mevrouw Jolanda Verhoef, Berkenlaan 27 in Heino. Koffie staat klaar zei ze 😄", ["pii"])
add("x", "@larixo_service", "nl",
    "@RuudZwolle We hebben de €900 vandaag teruggestort naar %s t.n.v. R. Kuipers. Excuses voor het lange "
    "wachten!" % group4(IBAN_REFUND), ["pii"], kind="reply")
add("x", "@evavdlinden", "en",
    "who keeps pasting customer data into test tickets?? 'jan.wolters1961@ziggo.nl, 0523-614782, Kampenweg 3 "
    "Ommen' just sitting in a public issue", ["pii"])
add("linkedin", "yasmina-haddou", "nl",
    "Welkom aan onze nieuwe collega Sven Dijkstra! Voor de salarisadministratie: BSN %s — oeps, verkeerd "
    "venster 🙈" % BSN_NEW, ["pii"])
add("facebook", "Henk.Tuinman.Larixo", "nl",
    "Klant heeft de aanbetaling telefonisch met creditcard gedaan, even hier genoteerd zodat ik het niet kwijt "
    "raak: %s geldig tot 08/28" % group4(CARD_PHONE), ["pii"])
add("threads", "@bram_planning", "nl",
    "Kan iemand fam. Oosterhuis bellen? Ze staan morgen op de planning maar niemand neemt op. 06 28 19 47 53",
    ["pii"])
add("x", "@neighbour_nosy", "en",
    "Dennis from Larixo who built my shed lives at Zandstraat 8 in Raalte, saw his van parked there 😂 small "
    "world", ["pii"])
add("x", "@lisa_koopt", "nl",
    "@larixo_service mijn factuur klopt niet, jullie hebben €120 te veel afgeschreven. Rekening waarvan ik "
    "betaald heb: %s. Graag het verschil terugstorten." % IBAN_OWN, ["pii", "compl"], kind="reply")
add("instagram", "@rik.timmert", "nl",
    "Fijne verjaardag aan onze eigen Gerda Bosman uit de inpakhal, vandaag 60 geworden (geboren 2 juni 1966) 🎉",
    ["pii"], when="2026-06-02T07:45:00Z")
add("x", "@larixo_nl", "en",
    "Congrats to our winner Mark de Groot, mark.degroot88@gmail.com — we'll be in touch about your free "
    "Kabouterhuisje!", ["pii"])
add("facebook", "LarixoBuitenbouw", "nl",
    "Ophaalbevestiging: mevr. T. Kramer, Dorpsstraat 112, 7721 AB Dalfsen, tel 0529 431876 — Trio "
    "containerberging staat klaar in het magazijn.", ["pii"])
add("mastodon", "@joost_k", "en",
    "test data is real data again 🙄 'BSN %s.%s.%s, IBAN %s' copied straight from an actual financing check "
    "for a Studio 9" % (BSN_CUST[:4], BSN_CUST[4:6], BSN_CUST[6:], group4(IBAN_CUST)), ["pii"])
add("x", "@piet_vd_molen", "nl",
    "Mijn creditcard is twee keer belast door Larixo!! %s — kijk maar in jullie systeem. Ik wil mijn geld terug."
    % "-".join(CARD_OWN[i:i + 4] for i in range(0, 16, 4)), ["pii", "compl"])

# ======================= benign (mostly hard negatives) =======================
add("x", "@larixo_service", "nl",
    "Vragen over je bestelling? Mail klantenservice@larixo.nl of bel 0800-5279 (ma-vr 8-18u).")
add("facebook", "LarixoBuitenbouw", "nl",
    "Betalen per overschrijving? Gebruik IBAN %s t.n.v. Larixo Buitenbouw B.V. en vermeld je ordernummer."
    % group4(COMPANY_IBAN))
add("x", "@happyshedowner", "en",
    "Just finished our Veluwe 240 with my dad this weekend. Instructions spot on, not a single missing screw. "
    "Chuffed! 🛠️ #larixo")
add("instagram", "@tuinvanmarjan", "nl",
    "Een boomklever gespot in ons nieuwe prieel 🐦💚 De natuur heeft het Havik prieel al goedgekeurd #vogels "
    "#tuin", allow=["codename"])
add("x", "@dealjager_nl", "nl",
    "Larixo zomersale: Carport Solo van €1.649 voor €1.319 (20% korting) 🔥 geldig t/m zondag")
add("x", "@larixo_nl", "en",
    "Spring sale! 15% off the whole Aurora greenhouse range — the Aurora is now €1,104. Ends Sunday.")
add("x", "@vraagbaak_tuin", "nl",
    "Iemand ervaring met de Hardy 200? €899 vind ik best veel voor een metalen berging, maar hij ziet er "
    "degelijk uit.")
add("reddit", "u/shedlife_nl", "en",
    "Update on my Aurora saga: Larixo sent new clips by courier, a tech came by and sorted it in an hour, and "
    "they refunded the clips I'd bought myself. Fair play, it's resolved.")
add("x", "@lachende_loodgieter", "en",
    "My father-in-law calls his Larixo shed 'the bunker'. Sofa, fridge, telly. My mother-in-law hasn't seen "
    "him since March 😂")
add("x", "@devnotes", "en",
    "Reminder: never put keys in code. The AWS docs use AKIAIOSFODNN7EXAMPLE as a sample — if you ever see a "
    "real one in a repo, rotate it first, ask questions later.")
add("mastodon", "@joost_k", "nl",
    "Tip voor collega-devs: tokens in een vault, niet in je .env. Dus niet "
    "GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx maar gewoon een verwijzing 😉")
add("x", "@evavdlinden", "en",
    "Rotated all the CI secrets today like a responsible adult. Config now reads STRIPE_KEY=sk_live_************ "
    "from the vault 🔐")
add("x", "@ict_nieuws", "nl",
    "Tuinmeubelmaker Gardiq uit Gent neemt branchegenoot Houtland over voor een onbekend bedrag. Bij Houtland "
    "verdwijnen 30 banen.")
add("linkedin", "tom-richter-analyst", "en",
    "Garden building market outlook 2026: demand for carports up ~6% in the Benelux as EV ownership grows. "
    "Larixo, Gardiq and a few others look well positioned.")
add("x", "@larixo_nl", "nl",
    "Hij is er! De Larixo Solarport: een carport met zonnepanelen die je auto oplaadt ☀️🚗 Nu te bestellen "
    "op larixo.nl", when="2027-03-16T08:00:00Z")
add("linkedin", "larixo-buitenbouw", "nl",
    "Vandaag publiceren we onze halfjaarcijfers 2027: omzet +12%, sterke vraag naar carports. Het volledige "
    "persbericht staat op larixo.nl/pers", when="2027-08-20T07:00:00Z")
add("x", "@retail_watch", "en",
    "Larixo's H1 2027 results are out: revenue up 12%, margins squeezed by timber prices.",
    when="2027-08-21T09:30:00Z")
add("x", "@inbraakvrij", "en",
    "What padlock would you recommend for a Larixo storage shed? The neighbours' shed got broken into last week.")
add("x", "@larixo_service", "nl",
    "Let op: er gaan nepmails rond namens 'Larixo'. Wij vragen nooit om je wachtwoord of betaalgegevens via "
    "mail. Twijfel je? Bel ons op 0800-5279.")
add("x", "@larixo_nl", "nl",
    "Vanavond tussen 22:00 en 00:00 is de webshop even offline voor onderhoud. Sorry voor het ongemak!")
add("x", "@anna_b_gardens", "en",
    "Hope the Larixo crew that did our carport is alright after yesterday's hail — they finished it in the "
    "pouring rain. Legends 💚")
add("x", "@oma_truus", "nl",
    "Kleinkinderen de hele middag in het Kabouterhuisje gespeeld. Stevig ding, geen splinter te bekennen 😊")
add("x", "@gloves_on", "en",
    "Built a Larixo shed this weekend. Wore gloves, zero injuries — only my pride got hurt when my wife did "
    "the roof faster than me 😂")
add("facebook", "Jannie Post", "nl",
    "Vorige maand geklaagd over een kromme deur, vandaag kwam er een monteur die het in 10 minuten heeft "
    "opgelost en meteen een nieuw scharnier meebracht. Zo hoort het, dank je Larixo!", name="Jannie Post")
add("x", "@mrs_k", "en",
    "The IBAN field isn't showing on the Larixo checkout page for me, do I just pay by card instead?")
add("x", "@boekhoudles", "nl",
    "Voorbeeld uit de cursus boekhouden: %s t.n.v. Tuinhuis BV. Klopt die controlecode eigenlijk? Volgens mij "
    "niet 😅" % FAKE_IBAN1)
add("x", "@cardnerd", "en",
    "The card on the Larixo gift-card ad reads %s lol, that's not even a valid number" % group4(FAKE_CARD))
add("linkedin", "hr-adviseur-nl", "nl",
    "Zo ziet een BSN eruit: 9 cijfers, bijvoorbeeld %s? Nee hoor, die haalt de elfproef niet 😉 Gebruik in "
    "trainingen nooit echte nummers." % FAKE_BSN_1)
add("x", "@marloes_larixo", "en",
    "Our new Veluwe XL brochure is out! Download it at www.larixo.nl/brochure 🌿")
add("instagram", "@larixo.tuin", "nl",
    "Zo zet je de Veluwe 240 in 2 dagen neer 💪 Bekijk de montagevideo op ons YouTube-kanaal.")
add("x", "@wintertuin", "en",
    "Proper dump of snow on the carport roof today ❄️ brushed it off just to be safe. Holding up fine!")
add("x", "@gert_tuinman", "en",
    "The Larixo lads worked their socks off in that heat yesterday, hats off 🧢")
add("x", "@helpful_hans", "en",
    "@sanne_030 Larixo's service number is 0800-5279, they sorted my missing door in 2 days", kind="reply")
add("x", "@dennisbouwt", "nl",
    "Vandaag 3 carports neergezet in Zwolle. Mooi weer, blije klanten, lekker gewerkt 💪")
add("linkedin", "yasmina-haddou", "en",
    "We're hiring! Join Larixo as a carpenter in Hardenberg. Apply via werkenbij@larixo.nl 🔨")
add("linkedin", "kees-vermeulen-larixo", "nl",
    "Trots op ons team: vandaag het gepubliceerde jaarverslag 2025 toegelicht aan onze dealers. Omzet €162 mln, "
    "zoals in het persbericht van maart al stond.")
add("x", "@vogelaar_ed", "nl",
    "Eerste regenton aangesloten op de dakgoot van de Larixo berging. 200 liter gratis water voor de "
    "moestuin 💧")
add("x", "@marten_visser", "en",
    "Marten here — just want to say the Larixo Duko bike shed is brilliant. Fits 4 bikes plus the kids' "
    "scooters.", name="Marten Visser")
add("x", "@priceguru", "nl",
    "Ter vergelijking: Carport Duo €2.899 bij Larixo, vergelijkbaar model bij de concurrent €2.650. Scheelt "
    "niet eens zoveel.")
add("facebook", "LarixoBuitenbouw", "en",
    "Black Friday: save €300 on the Carport Duo (now €2,599) 🖤 Only this week.")
add("x", "@klusvrouw_ilse", "en",
    "Quick q: will a €189 EPDM dakpakket fit an old summerhouse from another brand? Mine's about 2.4m wide")
add("x", "@moppentapper", "nl",
    "Mijn vrouw zei: 'die schuur is echt een ramp'. Bleek ze de rommel erin te bedoelen, niet de schuur zelf. "
    "Larixo staat als een huis 😂")
add("x", "@sec_researcher", "en",
    "Nice to see Larixo publishes a security.txt and a responsible disclosure page. More small manufacturers "
    "should do that.")
add("x", "@larixo_service", "nl",
    "@b_janssen72 Vervelend dat het dak lekt! We sturen deze week een monteur langs om het kosteloos te "
    "herstellen. Stuur je ordernummer even via DM?", kind="reply")
add("x", "@gardenmum", "en",
    "Does the Kabouterhuisje come with safety glass or plexi in the windows? Want to be sure before the kids "
    "use it.")
add("facebook", "Hennie Wolters", "nl",
    "RIP oude schuur 🪦 Na 30 jaar heeft de storm hem gesloopt. Volgende week komt de nieuwe Veluwe 240 van "
    "Larixo!", name="Hennie Wolters")
add("x", "@news_bot_eu", "en",
    "Recall: German garden-furniture brand Holzwerk recalls 12,000 folding chairs over a pinching hazard.")
add("x", "@tuinfluencer", "nl",
    "Geen gesponsorde post hoor, maar de Alu Lumen carport is gewoon de mooiste die er is. €3.499 maar elke "
    "cent waard.")
add("x", "@evavdlinden", "en",
    "Migrating our docs to the new wiki this week. If a link to the old one breaks, ping me on the usual "
    "channel 🙂")
add("x", "@jwt_uitleg", "nl",
    "Uitleg JWT voor beginners: de header eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9 zegt alleen welk algoritme er "
    "gebruikt wordt, daar zit geen geheim in.")
add("x", "@karin_tuiniert", "en",
    "If you couldn't log in at Larixo either: the 'forgot password' email was sitting in my spam folder. Sorted!")
add("reddit", "u/ex_carpenter", "en",
    "Worked at a shed factory (not Larixo) years ago — layoffs every winter, it's just how that industry works.")
add("x", "@marktkoopman", "en",
    "FYI the dealer in Meppel sells Larixo sheds at the same price as online, €1,899 for the Veluwe 240. Fair.")
add("x", "@larixo_nl", "en",
    "Journalists: our press office is at pers@larixo.nl or +31 38 555 0140.")
add("tiktok", "@klusmet_kim", "nl",
    "Deel 2: dak erop bij het Havik prieel! Deze keer ging alles in één keer goed 🙌 #larixo #diy")
add("x", "@zonnig_thuis", "nl",
    "Wanneer komt de Larixo Solarport eigenlijk bij de dealers? Zag hem net op hun site staan, vanaf €5.999 toch?",
    when="2027-04-02T19:10:00Z")
add("x", "@scamwatch_nl", "en",
    "Scam alert: someone on WhatsApp claims to be Larixo and asks for payment to %s. That is NOT Larixo's "
    "account — theirs is on your invoice." % FAKE_IBAN2)
add("x", "@vraagje_factuur", "nl",
    "Die 9 cijfers op mijn Larixo-factuur (%s) zijn gewoon het klantnummer toch, geen BSN?" % FAKE_BSN_2)
add("youtube", "@LarixoMontage", "en",
    "New video: the Kloof houtopslag put together in 45 minutes. Tip: let the timber acclimatise for 48 hours "
    "first!")
add("tiktok", "@larixo_bouwt", "en",
    "POV: you finally have a place for the lawnmower 😌 #carport #gardenshed #larixo")


# ---------------------------------------------------------------- build
ROLE = {}
for role in ("corporate", "employee"):
    for acc in PROFILE["accounts"][role]:
        ROLE[acc.lower()] = role


def role_of(platform, handle):
    return ROLE.get(("%s:%s" % (platform, handle)).lower(), "public")


PUB_IBANS = {re.sub(r"\s", "", i).upper() for i in PROFILE["public_identifiers"]["ibans"]}
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\d-])\d{4}(?:[ -]?\d{4}){3}(?![\d-])")
BSN_RE = re.compile(r"(?<![\d.])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\d.])")


def checked_ids(text):
    """Identifiers in text that pass their checksum (and are not the company's own)."""
    found = []
    for m in IBAN_RE.finditer(text):
        s = re.sub(r"\s", "", m.group())
        if iban_ok(s) and s not in PUB_IBANS:
            found.append(("iban", s))
    for m in CARD_RE.finditer(text):
        if luhn_ok(m.group()):
            found.append(("card", m.group()))
    for m in BSN_RE.finditer(text):
        if bsn_ok(m.group()):
            found.append(("bsn", m.group()))
    return found


def lookalikes(text):
    out = []
    for m in IBAN_RE.finditer(text):
        s = re.sub(r"\s", "", m.group())
        if not iban_ok(s):
            out.append(s)
    for m in CARD_RE.finditer(text):
        if not luhn_ok(m.group()):
            out.append(m.group())
    for m in BSN_RE.finditer(text):
        if not bsn_ok(m.group()):
            out.append(m.group())
    return out


SEV = ["none", "info", "warning", "error", "critical"]


def severity(cats, role, text):
    inside = role in ("corporate", "employee")
    best = 0
    for c in cats:
        if c.startswith("leak."):
            if not inside:
                s = "warning"
            elif c in ("leak.secret", "leak.pricing"):
                s = "critical"
            elif c == "leak.pii" and checked_ids(text):
                s = "critical"
            else:
                s = "error"
        elif c == "reputation.complaint":
            s = "warning"
        elif c == "reputation.crisis":
            s = "error"
        elif c == "reputation.abuse":
            s = "error" if inside else "warning"
        else:
            raise ValueError(c)
        best = max(best, SEV.index(s))
    return SEV[best]


def rand_time():
    start = datetime(2026, 1, 3, tzinfo=timezone.utc)
    t = start + timedelta(days=rng.randint(0, 355), minutes=rng.randint(6 * 60, 23 * 60 + 50))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


order = list(range(len(CASES)))
rng.shuffle(order)
PREFIX = {"x": "x", "facebook": "fb", "instagram": "ig", "linkedin": "li", "tiktok": "tt", "youtube": "yt",
          "reddit": "rd", "mastodon": "md", "threads": "th", "forum": "fo"}
lines = []
used_ids = set()
for n, idx in enumerate(order):
    c = CASES[idx]
    cid = "%s-403%04d" % (PREFIX[c["platform"]], 17 + n * 3 + rng.randint(0, 2))
    assert cid not in used_ids
    used_ids.add(cid)
    created = c["when"] or rand_time()
    post = {"id": cid, "platform": c["platform"], "kind": c["kind"],
            "account": {"handle": c["handle"]}, "text": c["text"], "lang": c["lang"],
            "created_at": created, "brand": "Larixo"}
    if c["name"]:
        post["account"]["display_name"] = c["name"]
    if c["platform"] == "x":
        post["url"] = "https://x.com/%s/status/%d" % (c["handle"].lstrip("@"), rng.randint(10**18, 10**19 - 1))
    role = role_of(c["platform"], c["handle"])
    sev = severity(c["cats"], role, c["text"]) if c["cats"] else "none"
    lines.append({"post": post, "expect": {"categories": c["cats"], "severity": sev}})
    c["_role"] = role

out_path = os.path.join(HERE, "cases.jsonl")
with open(out_path, "w", encoding="utf-8") as fh:
    for ln in lines:
        fh.write(json.dumps(ln, ensure_ascii=False) + "\n")


# ---------------------------------------------------------------- self-check
errors = []


def err(cid, msg):
    errors.append("%s: %s" % (cid, msg))


PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
TAXONOMY = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial", "leak.security",
            "reputation.crisis", "reputation.complaint", "reputation.abuse"}

# profile sanity
for i in PROFILE["public_identifiers"]["ibans"]:
    if not iban_ok(i):
        errors.append("profile IBAN fails mod-97: " + i)
for e in PROFILE["embargo"]:
    if not str(e["until"]).startswith("2027"):
        errors.append("embargo until not in 2027")
if len(PROFILE["accounts"]["corporate"]) < 6 or len(PROFILE["accounts"]["employee"]) < 8:
    errors.append("too few accounts in profile")
if not 15 <= len(PROFILE["products"]) <= 25:
    errors.append("product count out of range")
if PROFILE["pricing"]["alert_below_ratio"] != 0.5:
    errors.append("alert_below_ratio")

# credential sanity
assert gh_token_ok(GH_TOKEN) and gh_token_ok(GH_TOKEN2)
assert re.fullmatch(r"AKIA[A-Z2-7]{16}", AWS_ID)
_h = JWT.split(".")[0]
assert "alg" in json.loads(base64.urlsafe_b64decode(_h + "=" * (-len(_h) % 4)))

SECRET_PATTERNS = [
    re.compile(r"\bAKIA[A-Z2-7]{16}\b"), re.compile(r"\bgh[pousr]_[0-9A-Za-z]{36}\b"),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"), re.compile(r"\bsk_live_[0-9A-Za-z]{20,}"),
    re.compile(r"\bxox[abposr]-\d+-\d+-[0-9A-Za-z]+"), re.compile(r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+"),
    re.compile(r"\bpostgres(?:ql)?://[^:\s]+:[^@\s]+@"), re.compile(r"\bsk-proj-[\w-]{40,}"),
    re.compile(r"\bglpat-[\w-]{20}\b"), re.compile(r"\blive_[0-9A-Za-z]{30}\b"),
    re.compile(r"\bAIza[\w-]{35}\b"), re.compile(r"wachtwoord:\s*\S+", re.I),
]
FAKE_SECRET_OK = re.compile(r"EXAMPLE|x{8,}|\*{6,}")


def low(s):
    return s.casefold()


internal_terms = [("domain", d) for d in PROFILE["internal"]["domains"]] + \
                 [("codename", d) for d in PROFILE["internal"]["codenames"]] + \
                 [("marker", d) for d in PROFILE["internal"]["markers"]]

seen_handles_public = set()
for ln, c in zip(lines, [CASES[i] for i in order]):
    post, exp = ln["post"], ln["expect"]
    cid, text = post["id"], post["text"]
    # §1 / §6 shape
    for f, t in (("id", str), ("platform", str), ("text", str), ("created_at", str)):
        if not isinstance(post.get(f), t):
            err(cid, "missing/invalid " + f)
    if not 1 <= len(post["id"]) <= 256:
        err(cid, "id length")
    if post["platform"] not in PLATFORMS:
        err(cid, "platform")
    if post["kind"] not in KINDS:
        err(cid, "kind")
    if not isinstance(post["account"].get("handle"), str) or not post["account"]["handle"]:
        err(cid, "handle")
    if len(text.encode("utf-8")) > 64 * 1024:
        err(cid, "text too large")
    try:
        ts = datetime.fromisoformat(post["created_at"].replace("Z", "+00:00"))
        assert ts.tzinfo is not None and 2026 <= ts.year <= 2027
    except Exception:
        err(cid, "created_at not RFC 3339")
        continue
    cats = exp["categories"]
    if cats != sorted(set(cats)) or not set(cats) <= TAXONOMY:
        err(cid, "categories")
    if exp["severity"] not in SEV:
        err(cid, "severity value")
    if not cats and exp["severity"] != "none":
        err(cid, "benign must be none")
    if cats and exp["severity"] != severity(cats, c["_role"], text):
        err(cid, "severity mismatch")
    if cats and exp["severity"] in ("none", "info"):
        err(cid, "positive with none/info")
    if c["_role"] == "public":
        seen_handles_public.add(post["account"]["handle"])

    # checksum identifiers
    ids = checked_ids(text)
    if ids and "leak.pii" not in cats:
        err(cid, "valid identifier in a post without leak.pii: %r" % ids)
    if not cats:
        for la in lookalikes(text):
            if iban_ok(la) or luhn_ok(la) or bsn_ok(la):
                err(cid, "look-alike passes")
    # every IBAN/card/BSN-looking number in a positive must pass; every one in a negative must fail
    if cats:
        la = lookalikes(text)
        if la:
            err(cid, "failing identifier in a positive: %r" % la)

    # secrets
    has_secret = any(p.search(text) for p in SECRET_PATTERNS)
    fake_ok = bool(FAKE_SECRET_OK.search(text))
    if "leak.secret" in cats and not has_secret:
        err(cid, "secret case without a recognisable credential")
    if "leak.secret" not in cats:
        for tok in re.findall(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", text):
            if gh_token_ok(tok):
                err(cid, "valid GitHub token outside a secret case")
        for tok in re.findall(r"\bAKIA[A-Z2-7]{16}\b", text):
            if not tok.endswith("EXAMPLE"):
                err(cid, "real-looking AWS key id outside a secret case")
        if has_secret and not fake_ok:
            err(cid, "credential-looking text in non-secret case")
    for tok in re.findall(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", text):
        if "leak.secret" in cats and not gh_token_ok(tok):
            err(cid, "GitHub token with bad CRC in a positive")

    # internal terms and embargo
    for kind_, term in internal_terms:
        if low(term) in low(text) and "leak.confidential" not in cats and kind_ not in c["allow"]:
            err(cid, "internal %s %r without leak.confidential" % (kind_, term))
    for e in PROFILE["embargo"]:
        until = datetime.fromisoformat(str(e["until"]).replace("Z", "+00:00"))
        for term in e["terms"]:
            if low(term) in low(text):
                if ts < until and "leak.confidential" not in cats:
                    err(cid, "embargo term before until without leak.confidential")
                if ts >= until and not cats:
                    pass  # after the embargo: harmless

    # pricing: a product alias must appear
    if "leak.pricing" in cats:
        names = [p["name"] for p in PROFILE["products"]] + [a for p in PROFILE["products"] for a in p["aliases"]]
        if not any(low(n) in low(text) for n in names):
            err(cid, "pricing case names no product")

for h in seen_handles_public:
    for acc in ROLE:
        if acc.split(":", 1)[1] == h.lower():
            err(h, "public handle collides with a profile account")

# the positive identifiers we planted must pass, the look-alikes must fail
for v in (IBAN_REFUND, IBAN_OWN, IBAN_CUST):
    assert iban_ok(v), v
for v in (CARD_PHONE, CARD_OWN):
    assert luhn_ok(v), v
for v in (BSN_NEW, BSN_CUST):
    assert bsn_ok(v), v
for v in (FAKE_IBAN1, FAKE_IBAN2):
    assert not iban_ok(v), v
assert not luhn_ok(FAKE_CARD)
for v in (FAKE_BSN_1, FAKE_BSN_2):
    assert not bsn_ok(v), v

# mix
from collections import Counter
n = len(lines)
benign = sum(1 for l in lines if not l["expect"]["categories"])
per_cat = Counter(c for l in lines for c in l["expect"]["categories"])
langs = Counter(l["post"]["lang"] for l in lines)
roles = Counter(c["_role"] for c in CASES)
if not 170 <= n <= 180:
    errors.append("case count %d out of 170-180" % n)
if len({l["post"]["id"] for l in lines}) != n:
    errors.append("duplicate ids")
if len({l["post"]["text"] for l in lines}) != n:
    errors.append("duplicate texts")

print("cases %d, benign %d, positives %d" % (n, benign, n - benign))
print("per category:", dict(sorted(per_cat.items())))
print("languages:", dict(langs), "roles:", dict(roles))
print("severities:", dict(Counter(l["expect"]["severity"] for l in lines)))
if errors:
    print("SELF-CHECK FAILED:")
    for e in errors:
        print("  " + e)
    sys.exit(1)
print("self-check OK")
