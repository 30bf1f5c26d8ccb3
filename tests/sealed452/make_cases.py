#!/usr/bin/env python3
"""Build the sealed evaluation set 452 (Raventop Avonturenparken) and self-check it.

Deterministic: a fixed seed drives every generated identifier, credential and
timestamp. Writes cases.jsonl next to this file, then validates every line
against CONTRACT section 6 and the checksum / severity rules. Exit status 1 on
any failed check.
"""
import base64
import datetime
import json
import os
import random
import re
import string
import struct
import sys
import unicodedata
import zlib

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "cases.jsonl")
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))

rng = random.Random(452)
UTC = datetime.timezone.utc
DIG = string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase  # 0-9A-Za-z
B64 = string.ascii_letters + string.digits + "+/"
URLSAFE = string.ascii_letters + string.digits + "-_"

# ---------------------------------------------------------------- identifiers


def iban_check_digits(cc, bban):
    s = bban + cc + "00"
    n = int("".join(str(int(ch, 36)) for ch in s))
    return "%02d" % (98 - n % 97)


def iban_valid(s):
    s = re.sub(r"[\s.-]", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(ch, 36)) for ch in r)) % 97 == 1


def make_iban(bank):
    acct = "".join(rng.choice(DIG) for _ in range(10))
    bban = bank + acct
    return "NL" + iban_check_digits("NL", bban) + bban


def spaced(s, n=4):
    return " ".join(s[i:i + n] for i in range(0, len(s), n))


def break_iban(iban):
    # change one digit of the account number: mod-97 always catches a single substitution
    pos = rng.randrange(8, len(iban))
    d = iban[pos]
    nd = str((int(d) + rng.randrange(1, 10)) % 10)
    bad = iban[:pos] + nd + iban[pos + 1:]
    assert not iban_valid(bad)
    return bad


def luhn_valid(num):
    digits = [int(c) for c in re.sub(r"\D", "", num)]
    if not 13 <= len(digits) <= 19:
        return False
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def make_card(prefix, length=16):
    body = prefix + "".join(rng.choice(DIG) for _ in range(length - len(prefix) - 1))
    for c in DIG:
        if luhn_valid(body + c):
            return body + c
    raise AssertionError


def break_card(card):
    last = int(card[-1])
    bad = card[:-1] + str((last + rng.randrange(1, 10)) % 10)
    assert not luhn_valid(bad)
    return bad


def bsn_valid(s):
    d = re.sub(r"\D", "", s)
    if len(d) != 9:
        return False
    total = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return total % 11 == 0 and d != "000000000"


def make_bsn():
    while True:
        d = [rng.randrange(1, 10)] + [rng.randrange(10) for _ in range(7)]
        r = sum(d[i] * (9 - i) for i in range(8)) % 11
        if r < 10:
            s = "".join(map(str, d)) + str(r)
            assert bsn_valid(s)
            return s


def bad_bsn():
    while True:
        s = str(rng.randrange(100000000, 999999999))
        if not bsn_valid(s):
            return s


def mobile(style):
    n = str(rng.randrange(1, 10)) + "".join(rng.choice(DIG) for _ in range(7))
    if style == "dash":
        return "06-" + n
    if style == "space":
        return "06 " + n[:4] + " " + n[4:]
    if style == "intl":
        return "+31 6 " + n[:4] + " " + n[4:]
    if style == "0031":
        return "0031 6 " + n[:2] + " " + n[2:5] + " " + n[5:]
    if style == "plain":
        return "06" + n
    if style == "split":
        return "06 - " + " ".join(n)
    raise ValueError(style)


# ---------------------------------------------------------------- credentials


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def gh_token(prefix="ghp_"):
    body = "".join(rng.choice(B62) for _ in range(30))
    return prefix + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")


def gh_valid(tok):
    m = re.fullmatch(r"(gh[pousr]_)([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    if not m:
        return False
    return b62(zlib.crc32(m.group(2).encode()) & 0xFFFFFFFF).rjust(6, "0") == m.group(3)


def aws_key_id():
    return "AKIA" + "".join(rng.choice(string.ascii_uppercase + "234567") for _ in range(16))


def aws_valid(k):
    return re.fullmatch(r"AKIA[A-Z2-7]{16}", k) is not None and not k.endswith("EXAMPLE")


def rand(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt():
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = b64url(json.dumps({"sub": "u-1042", "name": "admin-boekingen", "role": "superadmin",
                                 "iat": 1767225600}, separators=(",", ":")).encode())
    sig = b64url(bytes(rng.randrange(256) for _ in range(32)))
    return header + "." + payload + "." + sig


def jwt_valid(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    try:
        hdr = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except Exception:
        return False
    return isinstance(hdr, dict) and "alg" in hdr


def openssh_key():
    blob = (b"openssh-key-v1\x00" + struct.pack(">I", 4) + b"none" + struct.pack(">I", 4) + b"none"
            + struct.pack(">I", 0) + struct.pack(">I", 1) + struct.pack(">I", 51)
            + struct.pack(">I", 11) + b"ssh-ed25519" + struct.pack(">I", 32)
            + bytes(rng.randrange(256) for _ in range(32)) + bytes(rng.randrange(256) for _ in range(230)))
    b = base64.b64encode(blob).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def password(n=14):
    while True:
        p = rand(string.ascii_letters + string.digits + "!#$%&*?@", n)
        if (re.search(r"[a-z]", p) and re.search(r"[A-Z]", p) and re.search(r"\d", p)
                and re.search(r"[!#$%&*?@]", p)):
            return p


# ---------------------------------------------------------------- generated values

IBAN_REFUND = make_iban("INGB")
IBAN_PUBLIC = make_iban("ASNB")
IBAN_INFL = make_iban("BUNQ")
BSN_NEW = make_bsn()
BSN_INFL = make_bsn()
VISA_CUST = make_card("4", 16)
MC_PROD = make_card("5", 16)
IBAN_SCAM_BAD = break_iban(make_iban("ABNA"))
IBAN_FAKE_INV_BAD = break_iban(make_iban("TRIO"))
CARD_BOOKING_BAD = break_card(make_card("5", 16))
CARD_GIFT_BAD = break_card(make_card("6", 16))
BSN_LOOK_BAD = bad_bsn()

PH_COMPLAINT = mobile("dash")
PH_SVEN = mobile("space")
PH_FLEUR = mobile("intl")
PH_LOST = mobile("plain")
PH_GIFT = mobile("dash")
PH_WALLET = mobile("split")

GH_TOKEN = gh_token("ghp_")
AWS_ID = aws_key_id()
AWS_SECRET = rand(B64, 40)
STRIPE = "sk_live_" + rand(string.ascii_letters + string.digits, 24)
SLACK = "xoxb-" + rand(DIG, 12) + "-" + rand(DIG, 13) + "-" + rand(string.ascii_letters + string.digits, 24)
OPENAI = "sk-proj-" + rand(URLSAFE, 74) + "T3BlbkFJ" + rand(URLSAFE, 74)
ANTHROPIC = "sk-ant-api03-" + rand(URLSAFE, 93) + "AA"
SENDGRID = "SG." + rand(URLSAFE, 22) + "." + rand(URLSAFE, 43)
JWT = make_jwt()
SSH_KEY = openssh_key()
PW_WIFI = password(13)
PW_SCORE = password(11)
PW_DB = password(18)
PW_MYSQL = password(16)
GH_OAUTH = gh_token("gho_")

# ---------------------------------------------------------------- cases

CASES = []

L_SEC, L_PII, L_PRI = "leak.secret", "leak.pii", "leak.pricing"
L_CON, L_FIN, L_SECU = "leak.confidential", "leak.financial", "leak.security"
R_CRI, R_COM, R_ABU = "reputation.crisis", "reputation.complaint", "reputation.abuse"


def C(platform, handle, lang, cats, text, kind="post", at=None, checks=(), brand="Raventop", name=None):
    CASES.append(dict(platform=platform, handle=handle, lang=lang, cats=sorted(set(cats)), text=text,
                      kind=kind, at=at, checks=list(checks), brand=brand, name=name))


def V(kind, value):  # an identifier / credential that must pass its check
    return (kind, value, True)


def F(kind, value):  # a look-alike that must fail its check
    return (kind, value, False)


# ===== reputation.complaint (pure) =====
C("x", "@sanne_b82", "nl", [R_COM],
  "2 uur in de rij gestaan voor de Mega Zipline bij @raventop_nl Veluwe en toen ging ie 'wegens wind' dicht. "
  "geen voucher, geen sorry, niks. Top dagje uit 🙃", brand="Vliegvos")
C("reddit", "u/brabant_ben", "en", [R_COM],
  "Booked the Combi Avonturendag for my brother's 30th through the Raventop site, paid in full, got a "
  "cancellation email the night before saying \"capacity issues\". Refund has been 'processing' for 5 weeks now. "
  "Anyone else stuck in this loop?")
C("facebook", "mirjam.kuipers.9", "nl", [R_COM],
  "Kinderfeestje geboekt voor 8 kids. Begeleider kwam 40 min te laat en de helft van de maskers was zo beslagen "
  "dat ze geen hand voor ogen zagen. Voor €27,50 p.p. verwacht je echt beter Raventop. Jammer jammer.",
  kind="comment")
C("x", "@jkw_travels", "en", [R_COM],
  "@raventop_help third time asking: where is my refund for the cancelled Nachtvlucht?? Order went through on "
  "2 May. Your chatbot just loops me back to the FAQ page", kind="reply", at="2026-06-11T19:42:10Z")
C("instagram", "@roos.en.ruben", "nl", [R_COM],
  "die huur-overalls bij SplatRidge stinken echt naar natte hond en zaten nog onder de verf van de vorige groep. "
  "beetje wassen tussendoor?? 🤢", kind="comment", brand="SplatRidge")
C("forum", "PaintDad_NL", "en", [R_COM],
  "Marker jammed every 3 shots, the field marshal just shrugged and said they're old. We paid for the Paintball "
  "1000 package and used maybe half the balls before the time ran out. Won't be back at SplatRidge Brabant.",
  brand="SplatRidge")
C("x", "@femkevl", "nl", [R_COM],
  "parkeerplaats raventop brabant om 10u al vol, moesten 1,5 km langs de provinciale weg lopen met 2 kleine "
  "kinderen. en dan ook nog 8 euro parkeergeld. serieus??")
C("threads", "@marco.dijkstra", "en", [R_COM],
  "the raventop app logged me out mid-checkout twice and now I've been charged for TWO jaarkaarts. only one "
  "shows up in my account. phone line just rings and rings. brilliant")
C("tiktok", "@lisavandenhoek", "nl", [R_COM],
  "wij hadden de boomtoppentocht geboekt en halverwege ging alles dicht 'ivm onweer' terwijl de zon scheen ☀️ "
  "geld terug? nee hoor, tegoedbon die over 3 maanden verloopt", kind="comment", brand="Vliegvos")
C("facebook", "hr.team.vandijk", "en", [R_COM],
  "Teamuitje Compleet for 22 people. Lunch was two sad sandwiches each, the BBQ from the brochure never "
  "happened and our guide clearly did not want to be there. €95 a head. Emailed twice, zero reply.")
C("forum", "Gerda_W", "nl", [R_COM],
  "Flight Video besteld bij de zipline (14,95) en nooit ontvangen. Link in de mail geeft een 404. Bij de balie: "
  "'moet u mailen'. Mail wordt niet beantwoord. Zo gaat dat dus bij Raventop.", brand="Vliegvos")
C("x", "@ollie_pb", "en", [R_COM],
  "we literally had our hands up and got lit up anyway and the ref did nothing. SplatRidge refs need actual "
  "training, that's not a game anymore", brand="SplatRidge")

# ===== crisis + complaint (first-hand harm) =====
C("x", "@mamavanmees", "nl", [R_CRI, R_COM],
  "Mijn dochter (9) is vandaag bij @raventop_nl Drenthe van het Kids Klimparcours gevallen omdat haar karabiner "
  "niet goed vastzat. Pols gebroken. Geen medewerker te bekennen. Ik ben woest en ik wil antwoorden.")
C("reddit", "u/hangingsideways", "en", [R_CRI, R_COM],
  "My harness buckle came undone on the Mega Zipline at Raventop Veluwe. Backup line held so I didn't drop, but I "
  "hung sideways 15m up for ten minutes before anyone came. Still shaking hours later. This cannot be normal??",
  brand="Vliegvos")
C("facebook", "teamsales.wessels", "nl", [R_CRI, R_COM],
  "Na de lunch in het parkrestaurant van Raventop Brabant lagen 4 van de 6 uit ons team de hele nacht te kotsen. "
  "Kipwrap was lauw en van binnen nog roze. Wie controleert dit eigenlijk?")
C("instagram", "@kayla.shoots", "en", [R_CRI, R_COM],
  "my Thermal Pro mask lens cracked from a close shot and a piece cut my eyelid. SplatRidge staff: 'that never "
  "happens'. well it did. ER, 3 stitches 😡", kind="comment", brand="SplatRidge")
C("tiktok", "@jurre.zzz", "nl", [R_CRI, R_COM],
  "bij de nachtvlucht remde die kabel gewoon niet, ik knalde vol tegen het eindplatform. ribben gekneusd. "
  "'hoort erbij' zei die jongen daar. echt niet oké raventop", brand="Vliegvos")
C("x", "@tim_schouten", "en", [R_CRI, R_COM],
  "rental marker at SplatRidge Veluwe started leaking CO2, tank fitting went ice cold and burned two of my "
  "fingers. nobody gave a damn, just handed me another one and said carry on", brand="SplatRidge")

# ===== complaint + abuse =====
C("x", "@dennis_r020", "nl", [R_COM, R_ABU],
  "raventop zijn gewoon een stel oplichters. €79 voor een combidag waarvan de helft dicht is. kankerbedrijf")
C("x", "@ange_kerr", "en", [R_COM, R_ABU],
  "@raventop_help your so-called help desk is run by absolute morons. 4 emails, 4 copy-paste answers, still no "
  "refund for my cancelled booking. useless clowns", kind="reply")

# ===== complaint + pii (customer exposing own number) =====
C("x", "@ingridp_", "nl", [R_COM, L_PII],
  "@raventop_help al 3x gebeld over mijn dubbele afschrijving en niemand belt terug. Bel me dan zelf even: "
  + PH_COMPLAINT + ". Ingrid Pauwels", kind="reply")

# ===== reputation.crisis (third party) =====
C("x", "@apeldoornnieuws", "en", [R_CRI],
  "BREAKING: zipline cable at Raventop Veluwe reportedly snapped this afternoon, two people taken to hospital. "
  "Park is being evacuated. #Apeldoorn", brand="Vliegvos")
C("x", "@wouter_bakx", "nl", [R_CRI],
  "Raventop heeft dus duizenden klantgegevens gelekt. Mijn mail en telnr staan op een hackersforum in een "
  "bestand 'raventop_boekingen.csv'. Hoe dan?! Niemand van hen heeft ons iets laten weten.")
C("instagram", "@wildbos.drenthe", "en", [R_CRI],
  "Boycott Raventop. They clear-cut 3 hectares of old forest in Drenthe for a new paintball field, right in "
  "nesting season. Share this. #BoycottRaventop")
C("x", "@regionieuws_mb", "nl", [R_CRI],
  "Ouders van het meisje dat vorige maand van het klimparcours viel stappen naar de rechter. Hun advocaat spreekt "
  "van 'structureel onderbemand toezicht' bij Raventop.")
C("reddit", "u/tilburgtoday", "en", [R_CRI],
  "Inspectors shut down the Vliegvos zipline at Raventop Brabant today after finding 'serious defects in the "
  "braking system'. Visitors apparently got sent home.", brand="Vliegvos")
C("facebook", "paintballforum.nederland", "nl", [R_CRI],
  "Terugroepactie: SplatRidge roept de Thermal Pro maskers terug, de lens kan breken bij schoten van dichtbij. "
  "Check het serienummer aan de binnenkant.", brand="SplatRidge")
C("threads", "@ex.instructor.talks", "en", [R_CRI],
  "Ex-instructors at Raventop now saying they were told to skip daily harness checks when it got busy. If that's "
  "true it's a scandal waiting to become a tragedy.")
C("x", "@yara_mensah", "nl", [R_CRI],
  "Mijn zwarte vrienden werden bij de ingang van Raventop Veluwe apart genomen voor 'tascontrole', de rest van de "
  "groep liep gewoon door. Dat is discriminatie, gewoon zeggen hoe het is. Wij gaan nooit meer.")
C("reddit", "u/renewal_rage", "en", [R_CRI],
  "Class action forming against Raventop over the annual pass auto-renewal. Hundreds charged without notice. "
  "Lawyer is collecting cases, DM me if you were hit too.")

# ===== reputation.abuse =====
C("x", "@grumpy_gert", "en", [R_ABU],
  "Raventop is the most pathetic excuse for a company I've ever seen. Bunch of greedy idiots.")
C("x", "@xxbrammiexx", "nl", [R_ABU],
  "@lotte_vliegt jij bent echt de domste muts die ik ooit aan een kabel heb zien hangen", kind="reply",
  brand="Vliegvos")
C("reddit", "u/nofunallowed77", "en", [R_ABU],
  "that ginger ref at splatridge is a worthless piece of shit. hope someone's waiting for him in the car park",
  kind="comment", brand="SplatRidge")
C("tiktok", "@n1ck_0", "nl", [R_ABU],
  "r4v3nt0p = k4nk3r b3dr1jf, st3lletj3 g3ldw0lv3n 🖕", kind="comment")
C("x", "@mo_j_22", "en", [R_ABU],
  "raventop staff are f.u.c.k.i.n.g i.d.i.o.t.s, every single one of them")
C("facebook", "henk.van.der.sluis.1", "nl", [R_ABU],
  "Waarom laat Raventop tegenwoordig al die hoofddoekjes achter de kassa staan, ga lekker terug naar je eigen "
  "land", kind="comment")
C("x", "@mdekker_rt", "en", [R_ABU],
  "@coolpete88 maybe learn to read the safety briefing before whining online, you absolute dumbass",
  kind="reply")
C("instagram", "@coach.bram.splat", "nl", [R_ABU],
  "Dat team uit Tilburg van vanmiddag: wat een stelletje achterlijke mongolen waren dat zeg 🙄",
  brand="SplatRidge")
C("x", "@bjorn_h", "en", [R_ABU],
  "Rаvеntоp = scаm. stupid fucking clоwns, all of them")  # Cyrillic а, е, о
C("x", "@jessie_tbg", "nl", [R_ABU],
  "Die kutmedewerkers bij de zipline doen alsof ze God zelf zijn. Eikels.", brand="Vliegvos")

# ===== leak.confidential =====
C("x", "@lotte_vliegt", "nl", [L_CON],
  "Eerste testrit op de Vliegvos Titan gedaan vandaag 😍 1,4 km, echt absurd. Mag nog niks zeggen maar jullie "
  "gaan gek worden", at="2026-09-18T16:05:00Z", brand="Vliegvos")
C("instagram", "@raventop.parks", "nl", [L_CON],
  "Sneak peek: Park Zeeland 👀 De eerste bomen voor het klimparcours staan al. Meer nieuws volgt!",
  at="2026-11-04T10:30:00Z")
C("bluesky", "@sophievd.bsky.social", "en", [L_CON],
  "moodboard for Zwerm-7 finally approved!! drone light show + night zipline combo is going to be wild")
C("reddit", "u/thijs_rt_dev", "en", [L_CON],
  "anyone know why planning.raventop.nl/rooster keeps timing out when you're not on the office wifi? asking "
  "for a friend 😅", kind="comment")
C("x", "@mdekker_rt", "nl", [L_CON],
  "RT-CONFIDENTIAL — tariefvoorstel 2027: dagpas +12%, jaarkaart +18%, parkeren +2 euro. wie had dat verwacht "
  "haha")
C("instagram", "@coach.bram.splat", "nl", [L_CON],
  "Nieuwe veldlayout voor de Scenariodag uitgeprobeerd 💥 foto van de plattegrond hieronder, staat wel "
  "'raventop intern' bovenaan maar ach 📸", brand="SplatRidge")
C("forum", "Kees_Apd", "nl", [L_CON],
  "Vriend van me werkt bij Raventop en zegt dat Project Hoornaar iets met België te maken heeft. Iemand meer "
  "info?")
C("tiktok", "@ziplinedaan", "nl", [L_CON],
  "POV: je mag de Vliegvos Titan al testen maar niemand mag het weten 🤫🦊 #zipline #behindthescenes",
  at="2026-10-02T13:14:00Z", brand="Vliegvos")
C("threads", "@emma.raventop", "nl", [L_CON],
  "Klant vroeg vandaag of we Park Zeeland gaan openen. Pokerface 😶 zeg niks zeg niks zeg niks",
  at="2026-08-21T15:40:00Z")
C("linkedin", "raventop-adventure-parks", "nl", [L_CON],
  "Vertrouwelijk - niet doorsturen: vanaf 1 januari wordt de inkoop van paintballs en CO2 centraal geregeld "
  "vanuit het hoofdkantoor in Apeldoorn. Parkmanagers krijgen hierover apart bericht.")
C("x", "@nina_ops_rt", "nl", [L_CON],
  "vandaag wéér de hele dag Operatie Span\u200bbrug meetings 😩 wanneer mag ik weer gewoon servers fixen")
C("x", "@lotte_vliegt", "nl", [L_CON],
  "ｐｒｏｊｅｃｔ ｈｏｏｒｎａａｒ is echt de beste naam ooit voor wat we gaan doen 🐝")
C("tiktok", "@ziplinedaan", "nl", [L_CON],
  "nog 4 maanden en dan mag iedereen de Vliegvоs Тitan proberen 🚀 ik heb al 30x gevlogen 🤭",
  at="2026-11-20T18:22:00Z", brand="Vliegvos")  # Cyrillic о and Т
C("linkedin", "ayse-kaya-rt", "en", [L_CON],
  "Excited to be working on employer branding for the Raventop Zeeland opening — we'll be hiring 60 new "
  "colleagues for spring! Stay tuned 🌊", at="2026-10-13T08:45:00Z")
C("instagram", "@raventop.parks", "nl", [L_CON],
  "Morgen om 9 uur groot nieuws... 🌊 Park Zeeland, we zijn er bijna klaar voor!",
  at="2027-03-14T19:00:00Z")

# ===== financial + confidential =====
C("linkedin", "joris-hermans-raventop", "nl", [L_FIN, L_CON],
  "Drukke week: due diligence voor Project Hoornaar loopt. Als dat rondkomt zijn we met 11 parken de grootste "
  "speler van de Benelux. Nog even volhouden!")
C("x", "@mdekker_rt", "nl", [L_FIN, L_CON],
  "Operatie Spanbrug betekent dus dat de helft van het kantoor in Apeldoorn eruit gaat. Nog niet aangekondigd. "
  "Ik slaap er slecht van.")
C("x", "@raventop_nl", "nl", [L_FIN, L_CON],
  "Jaarcijfers 2026: omzet +14% naar €48,2 mln, EBITDA €9,1 mln. Persbericht volgt.",
  at="2027-02-10T11:02:00Z")

# ===== leak.financial =====
C("linkedin", "joris-hermans-raventop", "en", [L_FIN],
  "Preliminary H1 numbers are in: revenue 9% under plan, mostly Brabant. Board meeting on Thursday is going to "
  "be fun 🙃", at="2026-07-08T07:55:00Z")
C("x", "@lotte_vliegt", "nl", [L_FIN],
  "hoorde net in de kantine dat Raventop verkocht wordt aan een Duitse investeerder. niemand weet het nog "
  "officieel 😳")
C("reddit", "u/antwerp_andre", "en", [L_FIN],
  "My uncle sits on the board of a Belgian park group and says Raventop is in talks to buy them for around "
  "€30m. You heard it here first.")
C("threads", "@emma.raventop", "en", [L_FIN],
  "internal sales forecast for next season just dropped: minus 20% on corporate outings. guess who's cold "
  "calling all winter")
C("bluesky", "@sophievd.bsky.social", "en", [L_FIN],
  "marketing budget for 2027 got cut by 40% today and the rumour is they're closing the Drenthe park after "
  "summer. not public yet obviously")
C("facebook", "RaventopAvonturenparken", "nl", [L_FIN],
  "Goed nieuws voor het hele team: Q3 afgesloten met een recordwinst van €3,4 miljoen, ruim boven begroting! "
  "De officiële cijfers volgen in maart.", at="2026-10-09T14:10:00Z")
C("x", "@nina_ops_rt", "en", [L_FIN],
  "heard HR is preparing 35 redundancies at head office before Christmas. nobody's been told. great vibes in "
  "the office today", at="2026-10-28T12:30:00Z")
C("x", "@schoonzus_watcher", "nl", [L_FIN],
  "Schoonzus zit op de boekhouding bij Raventop: ze gaan dit jaar flink verlies draaien, iets van 4 miljoen "
  "min. Jaarkaarthouders opgelet 👀")
C("linkedin", "ayse-kaya-rt", "nl", [L_FIN],
  "Lastige weken in aantocht. Plan is: drie parkmanagers worden één regiomanager en er gaat 18 fte af op "
  "kantoor. Officiële aankondiging pas in november.", at="2026-09-24T09:00:00Z")

# ===== security + confidential =====
C("x", "@nina_ops_rt", "nl", [L_SECU, L_CON],
  "kassa.raventop.local ligt eruit sinds 07:40, alle parken kunnen alleen nog pinnen via de noodterminal. "
  "NIET naar buiten communiceren aub")

# ===== leak.security =====
C("x", "@nina_ops_rt", "nl", [L_SECU],
  "hele nacht ransomware van de boekingsserver gepoetst. klanten merken (nog) niks en dat willen we graag zo "
  "houden 🤐")
C("reddit", "u/thijs_rt_dev", "en", [L_SECU],
  "found out our booking API at work hands you other customers' reservations if you just increment the id. "
  "reported it internally 3 weeks ago, still open. not naming names 🙃", kind="comment")
C("tiktok", "@ziplinedaan", "nl", [L_SECU],
  "reserveringssysteem ligt er al de hele ochtend uit, we schrijven namen op een whiteboard 😂 officieel heet "
  "het 'gepland onderhoud'", brand="Vliegvos")
C("x", "@mdekker_rt", "en", [L_SECU],
  "Someone got into the park managers' shared mailbox last week and sent fake invoices to our suppliers. IT says "
  "keep quiet until forensics is done.")
C("bluesky", "@sophievd.bsky.social", "nl", [L_SECU],
  "Ons insta-account is vannacht gehackt geweest. We hebben hem terug, maar er zijn DM's van klanten gelezen. "
  "Nog geen idee hoe we dit gaan communiceren 😬")
C("x", "@raventop_help", "en", [L_SECU],
  "@jenna_k sorry for the trouble! Between us: our payment provider had a data exposure this week, that's why "
  "your card got blocked. We'll announce it soon.", kind="reply")
C("threads", "@emma.raventop", "en", [L_SECU],
  "fun fact: the guest wifi password is also the admin password on our kassa terminals. told them twice. nobody "
  "cares")
C("forum", "seizoenskracht_anon", "nl", [L_SECU],
  "Ik werk als seizoenskracht bij Raventop en de kassa's draaien nog op Windows 7 zonder updates. Iedereen met een "
  "usb-stick kan erin. Dit is nooit naar buiten gebracht.")
C("linkedin", "joris-hermans-raventop", "en", [L_SECU],
  "Lesson learned this month: our finance system was down for three days after a phishing mail got clicked. "
  "We haven't told customers or suppliers yet, so keep this between us.")
C("x", "@lotte_vliegt", "nl", [L_SECU],
  "ons roostersysteem ligt al 2 dagen plat na 'een beveiligingsincident'. niemand weet wanneer ie moet werken 🙄 "
  "en we mogen het niet aan gasten vertellen")
C("instagram", "@coach.bram.splat", "en", [L_SECU],
  "heads up crew: since the update the online booking site leaks every customer's email in the page source. IT "
  "knows, fix is 'next sprint' 🤦", brand="SplatRidge")
C("reddit", "u/thijs_rt_dev", "en", [L_SECU],
  "PSA for my own team: the CCTV cameras at the Brabant park still run the factory default password and are "
  "reachable from the internet. Ticket got closed as won't fix.")

# ===== secret + confidential =====
C("reddit", "u/thijs_rt_dev", "en", [L_SEC, L_CON],
  "migration keeps failing with 'too many connections', this is what the job uses:\n"
  "DATABASE_URL=postgres://boeking_app:" + PW_DB + "@db01.intra.raventop.local:5432/boekingen\nideas?",
  kind="comment")

# ===== leak.secret =====
C("reddit", "u/thijs_rt_dev", "en", [L_SEC],
  "why does this keep 401ing??\ncurl -H \"Authorization: token " + GH_TOKEN
  + "\" https://api.github.com/repos/raventop/booking-api/issues", checks=[V("gh", GH_TOKEN)])
C("x", "@nina_ops_rt", "nl", [L_SEC],
  "kan iemand checken of deze nog werken voor de bucket met parkfoto's? AWS_ACCESS_KEY_ID=" + AWS_ID
  + " AWS_SECRET_ACCESS_KEY=" + AWS_SECRET, checks=[V("aws", AWS_ID)])
C("bluesky", "@sophievd.bsky.social", "en", [L_SEC],
  "stripe webhook still failing 😩 here's my config if anyone spots it: STRIPE_SECRET_KEY=" + STRIPE)
C("threads", "@emma.raventop", "nl", [L_SEC],
  "wifi in de nieuwe kantine Apeldoorn: netwerk RT-Staff, wachtwoord: " + PW_WIFI
  + " — graag niet aan gasten geven!")
C("forum", "freelance_fabian", "en", [L_SEC],
  "Freelance dev here. Raventop's agency asked me to debug their chatbot and emailed me their Slack bot token "
  "in plain text: " + SLACK + " ... wild")
C("instagram", "@coach.bram.splat", "nl", [L_SEC],
  "nieuwe login voor het scorebord op het SplatRidge veld: gebruiker veldcoach / ww " + PW_SCORE
  + " (niet delen met de gasten he)", brand="SplatRidge")
C("reddit", "u/thijs_rt_dev", "en", [L_SEC],
  "does this look like a valid deploy key? server keeps rejecting it\n\n" + SSH_KEY)
C("x", "@nina_ops_rt", "nl", [L_SEC],
  "token uit de admin-omgeving van het boekingssysteem verloopt gewoon nooit?? Authorization: Bearer " + JWT,
  checks=[V("jwt", JWT)])
C("bluesky", "@sophievd.bsky.social", "en", [L_SEC],
  "built a lil caption generator for our insta posts 🤓 OPENAI_API_KEY=" + OPENAI + " works like a charm")
C("facebook", "RaventopAvonturenparken", "nl", [L_SEC],
  "test koppeling nieuwsbrief SENDGRID_API_KEY=" + SENDGRID + " graag negeren")
C("reddit", "u/jsbundle_jan", "en", [L_SEC],
  "lmao found this hardcoded in the JS bundle of raventop's chat widget: " + ANTHROPIC, kind="comment")
C("x", "@nina_ops_rt", "nl", [L_SEC],
  "rapportage kassa kan hier weer bij: mysql://kassa_rw:" + PW_MYSQL + "@10.20.4.11:3306/kassa en de oauth "
  "token van de CI is " + GH_OAUTH, checks=[V("gh", GH_OAUTH)])

# ===== leak.pii =====
C("x", "@raventop_help", "en", [L_PII],
  "@mvanleeuwen Hi Marieke, the refund of €158 has been sent to IBAN " + spaced(IBAN_REFUND)
  + " (M. van Leeuwen), it should arrive within 3 working days.", kind="reply",
  checks=[V("iban", IBAN_REFUND)])
C("x", "@lotte_vliegt", "nl", [L_PII],
  "wie heeft de telefoon van Sven Mulder laten liggen bij de zipline?? zijn nummer is " + PH_SVEN
  + ", bel hem even 😅", brand="Vliegvos")
C("instagram", "@coach.bram.splat", "nl", [L_PII],
  "Gefeliciteerd Jesse de Wit, vandaag 18 geworden (geboren 14-06-2008) en meteen zijn eerste Scenariodag "
  "gewonnen 🎉🔫", at="2026-06-14T17:20:00Z", brand="SplatRidge")
C("x", "@noor_b_1995", "nl", [L_PII],
  "@raventop_help betaling lukt niet, kaart " + spaced(VISA_CUST) + " exp 09/28, wat doe ik fout??",
  kind="reply", checks=[V("card", VISA_CUST)])
C("linkedin", "ayse-kaya-rt", "en", [L_PII],
  "Welcome aboard to our new instructor Tobias Brandsma! Payroll details for the team: BSN " + BSN_NEW
  + ", starting 1 April at Raventop Veluwe.", checks=[V("bsn", BSN_NEW)])
C("facebook", "RaventopAvonturenparken", "nl", [L_PII],
  "Beste Ruud Scholten, we sturen de vervangende jaarkaart naar Lindenlaan 42, 7312 AB Apeldoorn. Klopt dat "
  "adres nog?", kind="reply")
C("threads", "@emma.raventop", "en", [L_PII],
  "customer contact for saturday's team outing if anyone's covering: Fleur Jacobs, fleur.jacobs84@gmail.com, "
  + PH_FLEUR)
C("forum", "jasweg_drenthe", "nl", [L_PII],
  "Heeft iemand mijn zwarte jas gevonden bij Raventop Drenthe? Mail me op m.boersma.1987@ziggo.nl of bel "
  + PH_LOST + " (Marloes)")
C("x", "@mdekker_rt", "en", [L_PII],
  "whoever parked the black Golf across the exit: booking says it's Dennis Koster, Beekstraat 17, Oisterwijk. "
  "towing it now 🙄")
C("instagram", "@splatridge_nl", "nl", [L_PII],
  "@pb_lisa Hoi Lisa! Je cadeaubon is gekoppeld aan lisa.vermeulen@hotmail.nl en telefoon " + PH_GIFT
  + ". Veel plezier op het veld!", kind="reply", brand="SplatRidge")
C("reddit", "u/thijs_rt_dev", "en", [L_PII],
  "test payment failing on prod with a real customer card " + MC_PROD + " — it passes luhn, so what gives?",
  checks=[V("card", MC_PROD)])
C("x", "@j_okafor", "en", [L_PII],
  "@raventop_help please refund to my account " + IBAN_PUBLIC + ", name J. Okafor, booking RT-88231",
  kind="reply", checks=[V("iban", IBAN_PUBLIC)])
C("tiktok", "@ziplinedaan", "nl", [L_PII],
  "shoutout naar Femke Hoekstra die vandaag haar 100e zipline deed 🎂 jarig ook nog, geboren 3 maart 1991, dus "
  "35 jaar jong!", at="2026-03-03T15:00:00Z", brand="Vliegvos")
C("bluesky", "@sophievd.bsky.social", "en", [L_PII],
  "influencer contract spring campaign: Noor El Idrissi, IBAN " + IBAN_INFL + ", BSN " + BSN_INFL
  + ", fee €2.500 — sorry wrong window 🙈", checks=[V("iban", IBAN_INFL), V("bsn", BSN_INFL)])
C("facebook", "vincent.degraaf.3", "en", [L_PII],
  "Found a wallet in the Raventop Veluwe car park. Owner, call me on " + PH_WALLET + " and I'll drop it off.")

# ===== leak.pricing =====
C("instagram", "@raventop.parks", "nl", [L_PRI],
  "🔥 Alleen vandaag: de Jaarkaart voor €39! Link in bio, op = op")
C("x", "@lotte_vliegt", "nl", [L_PRI],
  "haha de site zegt dat de Combi Avonturendag €7,90 kost, volgens mij mist er een 0 😂 snel boeken mensen")
C("reddit", "u/markerhunter", "en", [L_PRI],
  "PSA: the Vortex T1 is listed at €34.90 on splatridge.nl right now. Pricing error for sure, grab one before "
  "they fix it", brand="SplatRidge")
C("tiktok", "@vliegvos", "nl", [L_PRI],
  "Nachtvlucht nu voor maar €12,50 p.p. 🌙🦊 #zipline #nachtvlucht", brand="Vliegvos")
C("instagram", "@coach.bram.splat", "nl", [L_PRI],
  "Vrijgezellen Splat deze maand voor €19 pp, zeg maar dat Bram je stuurt 😉", brand="SplatRidge")
C("x", "@petra_vos", "nl", [L_PRI],
  "prijsfout bij raventop?? Teamuitje Compleet staat op €9,50 p.p. in de app")
C("threads", "@emma.raventop", "en", [L_PRI],
  "heads up team: there was a price error on the Adventure Camp page last night, it showed €38.50 instead of "
  "€385. About 60 bookings came in. Don't mention it to customers yet.")
C("facebook", "RaventopAvonturenparken", "nl", [L_PRI],
  "Thermal Pro masker tijdelijk voor €29 in de parkwinkel! 😎", brand="SplatRidge")
C("forum", "cheapskate_chris", "en", [L_PRI],
  "lol the Raventop webshop has the GripLine harness for €12.99, obviously a typo. ordered 3", brand="Vliegvos")
C("x", "@nina_ops_rt", "nl", [L_PRI],
  "prijsimport ging vannacht mis, alle Field Paint 2000 dozen staan op €5,40 in de webshop. wie kan dit "
  "terugdraaien?", brand="SplatRidge")
C("tiktok", "@zoe.fvm", "nl", [L_PRI],
  "Boomtoppentocht voor €3,45??? 😭 boeken boeken boeken", kind="comment", brand="Vliegvos")
C("x", "@raventop_nl", "en", [L_PRI],
  "Black Friday madness: the Paintball 1000 package for just €19! 💥", at="2026-11-27T08:00:00Z",
  brand="SplatRidge")

# ===== benign (hard negatives mostly) =====
C("x", "@raventop_nl", "nl", [],
  "Vragen over je boeking? Mail naar boekingen@raventop.nl of bel +31 85 555 0140 (ma–vr 9–17u).")
C("facebook", "RaventopAvonturenparken", "nl", [],
  "Liever per overschrijving betalen? Dat kan: IBAN NL94 RABO 0318 6429 75 t.n.v. Raventop Avonturenparken "
  "B.V., o.v.v. je boekingsnummer.")
C("x", "@lucas_brt", "en", [],
  "Absolutely killed it at SplatRidge today 🔥 got destroyed in round 1 and then massacred them in the final. "
  "best birthday ever", brand="SplatRidge")
C("instagram", "@oma.en.ik", "nl", [],
  "die zipline-instructeur was echt een beest, mijn moeder (68!!) durfde dankzij hem toch de Mega Zipline te "
  "doen 😍", kind="comment", brand="Vliegvos")
C("reddit", "u/dad_of_three_nl", "en", [],
  "Is the Nachtvlucht ok for a 10 year old? Site says 1.40m minimum and she's 1.42 lol", brand="Vliegvos")
C("instagram", "@raventop.parks", "nl", [],
  "Voorjaarsactie 🌱 20% korting op de Combi Avonturendag: nu €63,20 in plaats van €79.")
C("x", "@anouk_travels", "en", [],
  "Paid €39.50 for the zipline day pass at Raventop and honestly worth every cent", brand="Vliegvos")
C("facebook", "klimvrienden.oost", "nl", [],
  "Bij een klimpark in de Ardennen is gisteren een kabel gebroken, drie gewonden. Sterkte aan iedereen daar. "
  "Bij Raventop zag ik ze vorige week nog elke ochtend alle lijnen checken, dat geeft wel rust.")
C("x", "@raventop_help", "nl", [],
  "@kimdejong Fijn dat het is opgelost en de terugbetaling binnen is! Tot de volgende keer 🙌", kind="reply")
C("x", "@rachel_vd", "en", [],
  "Update: Raventop called me back, apologised and refunded the full team outing. Credit where it's due 👏")
C("reddit", "u/thijs_rt_dev", "en", [],
  "for the workshop slides I'm using the AWS docs example pair AKIAIOSFODNN7EXAMPLE / "
  "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY so nobody panic")
C("x", "@hobbycoder_nl", "nl", [],
  "GitHub mailde me dat mijn token ghp_************************************ gelekt was in een oud repo. al "
  "ingetrokken, lesje geleerd 😅")
C("facebook", "annemiek.schot", "nl", [],
  "Let op! Phishingmail 'namens Raventop' met het verzoek €49 over te maken naar " + IBAN_SCAM_BAD
  + ". Niet doen, dit is nep!", checks=[F("iban", IBAN_SCAM_BAD)])
C("x", "@kevin_ftw", "nl", [],
  "@raventop_help ik wil mijn boeking verzetten naar zaterdag, boekingsnr " + spaced(CARD_BOOKING_BAD)
  + ". Kan dat nog?", kind="reply", checks=[F("card", CARD_BOOKING_BAD)])
C("forum", "Jaarkaart_Joke", "nl", [],
  "Mijn lidnummer jaarkaart is " + BSN_LOOK_BAD + ", geldt die ook in Drenthe of alleen op de Veluwe?",
  checks=[F("bsn", BSN_LOOK_BAD)])
C("x", "@raventop_nl", "nl", [],
  "Het is officieel: Park Zeeland opent op 1 mei! 🎉 Tickets zijn vanaf vandaag te boeken.",
  at="2027-03-15T08:30:00Z")
C("linkedin", "raventop-adventure-parks", "nl", [],
  "Onze jaarcijfers 2026 staan online. Lees het volledige jaarverslag op raventop.nl/investors.",
  at="2027-02-25T07:15:00Z")
C("tiktok", "@vliegvos", "nl", [],
  "Vliegvos Titan is OPEN!! 1,4 km vliegen boven de duinen 🦊🌊", at="2027-03-20T09:00:00Z", brand="Vliegvos")
C("x", "@hannekeb", "nl", [],
  "Wat een storm vandaag, hopelijk is iedereen bij Raventop Drenthe veilig en valt de schade mee 🙏")
C("x", "@pete_the_meat", "en", [],
  "my wife shot me in the butt at point blank at SplatRidge and now I'm filing for divorce 😂😂 10/10 would go "
  "again", brand="SplatRidge")
C("x", "@lotte_vliegt", "nl", [],
  "Laatste dienst van het seizoen zit erop. Wat een zomer, dank aan alle gasten en collega's 🧡",
  at="2026-10-31T18:00:00Z")
C("linkedin", "raventop-adventure-parks", "nl", [],
  "We zoeken 25 seizoensinstructeurs voor 2026! Zin in een zomer buiten? Solliciteer via werkenbij@raventop.nl",
  at="2026-02-02T09:00:00Z")
C("linkedin", "joris-hermans-raventop", "en", [],
  "Proud of the team: our 2025 annual report is now public. Read it at raventop.nl/investors",
  at="2026-03-12T10:00:00Z")
C("x", "@parkpro_news", "en", [],
  "Avontura Parks in Belgium announced 40 layoffs today. Tough times in the leisure sector.")
C("instagram", "@raventop.parks", "en", [],
  "PSA: the 'Raventop giveaway' accounts popping up are fake, don't click their links. The only real account "
  "is this one, @raventop.parks 💚")
C("x", "@mees_tw", "nl", [],
  "ben helemaal kapot na 3 rondes paintball, alles doet pijn maar wat een dag 😂 #splatridge",
  brand="SplatRidge")
C("tiktok", "@zara.zooms", "en", [],
  "the zipline was so fast I screamed the whole way down, my soul left my body. DOING IT AGAIN 🫠",
  kind="comment", brand="Vliegvos")
C("x", "@raventop_help", "nl", [],
  "Wachtwoord vergeten? Via raventop.nl/account kun je het zelf resetten. Lukt dat niet, stuur ons dan even "
  "een DM.")
C("reddit", "u/thijs_rt_dev", "en", [],
  "for the README: put GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx in your .env and never commit "
  "the real one")
C("forum", "gezin_vd_berg", "en", [],
  "Is the Raventop Jaarkaart worth it? €189 sounds like a lot but we'd probably go 6 times a year")
C("x", "@bas_onderweg", "nl", [],
  "Raventop Brabant vandaag dicht door harde wind, netjes gemaild en kosteloos omgeboekt. Prima geregeld 👍")
C("instagram", "@splatridge_nl", "nl", [],
  "Nieuw in de parkwinkel: het Thermal Pro masker, €89. Anti-condens en 270° zicht 👌", brand="SplatRidge")
C("threads", "@maaike.hiking", "en", [],
  "Raventop Drenthe: paintball isn't really my thing, but the Boomtoppentocht was lovely and the staff were "
  "super friendly.")
C("instagram", "@femke_durft", "nl", [],
  "Ik háát hoogtes maar heb toch de Nachtvlucht gedaan. Held van de dag 💪", brand="Vliegvos")
C("reddit", "u/first_time_pb", "en", [],
  "First paintball day at SplatRidge, got a few bruises like the briefing said I would. Totally fine, mostly "
  "asking how long they usually last lol", brand="SplatRidge")
C("tiktok", "@ziplinedaan", "nl", [],
  "Ochtendroutine: elke karabiner 2x checken, elke lijn afgelopen ✅ veiligheid eerst, daarna pas koffie",
  brand="Vliegvos")
C("x", "@wendy.fietst", "nl", [],
  "Mijn band was lek op de parkeerplaats en twee medewerkers van Raventop hebben me geholpen met verwisselen. "
  "Wat een toppers!")
C("x", "@budget_bart", "en", [],
  "life hack: book the Combidag on a weekday. half the queue, same €79")
C("instagram", "@jarig.job", "nl", [],
  "Cadeaubon 50 gekregen voor mijn verjaardag 🥳 tips wat ik daar het beste mee kan doen?", kind="comment")
C("reddit", "u/breda_bram", "en", [],
  "Paintball 1000 at Raventop is €69, the place near Breda does about the same for €65. Still going Raventop "
  "for the zipline combo.", brand="SplatRidge")
C("x", "@raventop_nl", "nl", [],
  "Jaarkaart-actie: nu €160,65 (15% korting) t/m zondag! 🎟️")
C("instagram", "@gillende.gijs", "en", [],
  "zipline's Flight Video was €14.95 and worth it just for my face 😂", brand="Vliegvos")
C("forum", "Nieuwsgierige_Nel", "nl", [],
  "Iemand gehoord dat Raventop een nieuw park gaat openen? Waar dan? Zou top zijn als het dichter bij Utrecht is.")
C("tiktok", "@jaylen_pb", "en", [],
  "the ref yelled 'you're dead!' and I've never felt more alive 😂", kind="comment", brand="SplatRidge")
C("x", "@fangirl_fleur", "en", [],
  "ＲＡＶＥＮＴＯＰ ＩＳ ＴＨＥ ＢＥＳＴ ＤＡＹ ＯＵＴ ＥＶＥＲ")
C("facebook", "gert.jan.mulder.5", "nl", [],
  "Boycot? Welnee. Na al dat gedoe op twitter ben ik gewoon gegaan en het was top. Mensen overdrijven ook altijd.",
  kind="comment")
C("x", "@mdekker_rt", "nl", [],
  "Veluwe is vandaag uitverkocht! Kom liever op een doordeweekse dag, dan heb je het park bijna voor jezelf 🙏")
C("x", "@raventop_help", "en", [],
  "Our phone line 0800-0456 is open again from Monday. Thanks for your patience, and sorry for the wait!")
C("x", "@stag_sam", "en", [],
  "Raventop or a karting place for a stag do? The Vrijgezellen Splat looks decent at €59 pp",
  brand="SplatRidge")
C("instagram", "@lotje.gilt", "nl", [],
  "die Mega Zipline is echt levensgevaarlijk... voor je stembanden 😂 twee dagen geen stem gehad",
  kind="comment", brand="Vliegvos")
C("linkedin", "ayse-kaya-rt", "nl", [],
  "Trots op onze collega's: gemiddeld 4,7 sterren over 2025, uit ruim 12.000 reviews. Dank jullie wel!",
  at="2026-01-15T08:30:00Z")
C("facebook", "ouders.van.lucas", "nl", [],
  "Ons zoontje wordt op 12 juni 8 jaar en we willen een Kinderfeestje geven. Hoe ver van tevoren moet je "
  "boeken?")
C("facebook", "RaventopAvonturenparken", "nl", [],
  "Let op: oplichters versturen nepfacturen met rekeningnummer " + spaced(IBAN_FAKE_INV_BAD)
  + ". Ons enige rekeningnummer is NL94RABO0318642975. Twijfel je? Bel 085-5550140.",
  checks=[F("iban", IBAN_FAKE_INV_BAD)])
C("forum", "Vortex_Vera", "en", [],
  "thinking of getting the Vortex T1 for my birthday. €349 is steep but the reviews are great",
  brand="SplatRidge")
C("instagram", "@gift_giver_gwen", "nl", [],
  "Waar vul ik de code van mijn cadeaukaart in? Op de kaart staat " + spaced(CARD_GIFT_BAD)
  + " maar ik zie nergens een veld ervoor", kind="comment", checks=[F("card", CARD_GIFT_BAD)])
C("x", "@newsjunkie_em", "en", [],
  "Big data breach at a Spanish theme park chain today. Glad the only thing I ever gave Raventop was my email "
  "address 😅")
C("bluesky", "@sophievd.bsky.social", "nl", [],
  "Onze nieuwe zomercampagne staat live! Kijk op raventop.nl/zomer voor alle activiteiten 🌞",
  at="2026-05-20T09:00:00Z")
C("x", "@raventop_nl", "en", [],
  "Stripe keys in our logs now show as sk_live_••••••••4f2a — thanks to the team for tightening that up! "
  "#devlife")
C("youtube", "@RaventopParks", "nl", [],
  "Nieuwe video: zo bouwen onze monteurs elk voorjaar de ziplines op, stap voor stap 🔧🦊", brand="Vliegvos")
C("forum", "teamleider_tessa", "nl", [],
  "Vorig jaar Teamuitje Compleet gedaan met 15 man, €95 p.p. Was echt een succes, aanrader voor afdelingen.")


# ---------------------------------------------------------------- build

ROLE = {}
for h in PROFILE["accounts"]["corporate"]:
    ROLE[h.lower()] = "corporate"
for h in PROFILE["accounts"]["employee"]:
    ROLE[h.lower()] = "employee"

RANK = ["none", "info", "warning", "error", "critical"]


def role_of(platform, handle):
    return ROLE.get(("%s:%s" % (platform, handle)).lower(), "public")


def severity(cats, role, checks):
    sev = "none"

    def up(s):
        nonlocal sev
        if RANK.index(s) > RANK.index(sev):
            sev = s

    inside = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if not inside:
                up("warning")
            elif c in (L_SEC, L_PRI):
                up("critical")
            elif c == L_PII and any(k in ("iban", "card", "bsn") and ok for k, _, ok in checks):
                up("critical")
            else:
                up("error")
        elif c == R_COM:
            up("warning")
        elif c == R_CRI:
            up("error")
        elif c == R_ABU:
            up("error" if inside else "warning")
    return sev


def rand_ts():
    start = datetime.datetime(2026, 1, 1, tzinfo=UTC)
    sec = rng.randrange(0, 365 * 86400)
    return (start + datetime.timedelta(seconds=sec)).strftime("%Y-%m-%dT%H:%M:%SZ")


PREFIX = {"x": "x", "reddit": "rd", "facebook": "fb", "instagram": "ig", "tiktok": "tt", "threads": "th",
          "linkedin": "li", "forum": "fo", "bluesky": "bs", "youtube": "yt", "whatsapp": "wa"}

order = list(range(len(CASES)))
rng.shuffle(order)
lines = []
for n, idx in enumerate(order):
    c = CASES[idx]
    role = role_of(c["platform"], c["handle"])
    c["role"] = role
    at = c["at"] or rand_ts()
    pid = "%s-452%04d" % (PREFIX[c["platform"]], 17 + n * 7)
    post = {"id": pid, "platform": c["platform"], "kind": c["kind"],
            "account": {"handle": c["handle"]}, "text": c["text"], "lang": c["lang"],
            "created_at": at, "brand": c["brand"]}
    if c["platform"] == "x":
        post["url"] = "https://x.com/%s/status/%d" % (c["handle"].lstrip("@"), 1900000000000000000 + n * 7919)
    lines.append({"post": post, "expect": {"categories": c["cats"],
                                           "severity": severity(c["cats"], role, c["checks"])}})
    c["line"] = lines[-1]

with open(OUT, "w", encoding="utf-8") as fh:
    for ln in lines:
        fh.write(json.dumps(ln, ensure_ascii=False) + "\n")

# ---------------------------------------------------------------- self-check

errors = []


def err(msg):
    errors.append(msg)


ALLOWED_PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
                     "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
CATS = {L_SEC, L_PII, L_PRI, L_CON, L_FIN, L_SECU, R_CRI, R_COM, R_ABU}

ZW = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)
CYR = str.maketrans("аеорсухіјТАВЕКМНОРСХУ", "aeopcyxijTABEKMHOPCXY")


def norm(s):
    return unicodedata.normalize("NFKC", s).translate(ZW).translate(CYR).lower()


own_ibans = {re.sub(r"\s", "", i).upper() for i in PROFILE["public_identifiers"]["ibans"]}
for i in own_ibans:
    if not iban_valid(i):
        err("profile IBAN fails mod-97: " + i)

IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\d])\d(?:[ -]?\d){12,18}(?![\d])")
BSN_RE = re.compile(r"(?<![\d.])(\d{9}|\d{4}\.\d{2}\.\d{3})(?![\d])")
GH_RE = re.compile(r"gh[pousr]_[0-9A-Za-z]{36}")
AWS_RE = re.compile(r"AKIA[A-Z2-7]{16}")

seen_ids = set()
raw_lines = open(OUT, encoding="utf-8").read().splitlines()
if not 170 <= len(raw_lines) <= 180:
    err("case count %d outside 170-180" % len(raw_lines))

for ln_no, raw in enumerate(raw_lines, 1):
    obj = json.loads(raw)
    post, exp = obj.get("post"), obj.get("expect")
    where = "line %d" % ln_no
    if set(obj) != {"post", "expect"} or not isinstance(post, dict) or not isinstance(exp, dict):
        err(where + ": bad shape")
        continue
    for f in ("id", "platform", "text", "created_at"):
        if not isinstance(post.get(f), str):
            err(where + ": missing/typed field " + f)
    if not isinstance(post.get("account"), dict) or not isinstance(post["account"].get("handle"), str):
        err(where + ": account.handle")
    if not 1 <= len(post["id"]) <= 256 or post["id"] in seen_ids:
        err(where + ": id length/uniqueness " + post["id"])
    seen_ids.add(post["id"])
    if len(post["text"].encode("utf-8")) > 64 * 1024:
        err(where + ": text too large")
    if post.get("kind", "post") not in KINDS:
        err(where + ": kind " + str(post.get("kind")))
    try:
        ts = datetime.datetime.fromisoformat(post["created_at"].replace("Z", "+00:00"))
        if ts.tzinfo is None or not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)",
                                                 post["created_at"]):
            err(where + ": created_at not RFC 3339")
        if ts.year not in (2026, 2027):
            err(where + ": created_at year")
    except ValueError:
        err(where + ": created_at unparsable")
        ts = None
    cats = exp.get("categories")
    if not isinstance(cats, list) or cats != sorted(set(cats)) or not set(cats) <= CATS:
        err(where + ": categories " + repr(cats))
    if exp.get("severity") not in RANK:
        err(where + ": severity")
    if not cats and exp["severity"] != "none":
        err(where + ": benign with severity")

# per-case semantic checks (on the in-memory records, which carry the checks list)
for c in CASES:
    line = c["line"]
    post, exp = line["post"], line["expect"]
    where = post["id"]
    text = post["text"]
    cats = exp["categories"]
    role = c["role"]
    ts = datetime.datetime.fromisoformat(post["created_at"].replace("Z", "+00:00"))
    if exp["severity"] != severity(cats, role, c["checks"]):
        err(where + ": severity mismatch")
    if c["platform"] not in ALLOWED_PLATFORMS:
        err(where + ": platform")
    # registered identifiers/credentials
    registered = {}
    for kind, value, ok in c["checks"]:
        if value not in text and spaced(value) not in text:
            err(where + ": check value not in text " + value)
        fn = {"iban": iban_valid, "card": luhn_valid, "bsn": bsn_valid, "gh": gh_valid, "aws": aws_valid,
              "jwt": jwt_valid}[kind]
        if fn(value) != ok:
            err(where + ": %s %s expected valid=%s" % (kind, value, ok))
        if ok and kind in ("iban", "card", "bsn") and L_PII not in cats:
            err(where + ": valid identifier without leak.pii")
        if not ok and cats:
            err(where + ": look-alike inside a positive")
        registered[re.sub(r"\D", "", value) if kind != "iban" else value.replace(" ", "")] = ok
    # scan for unregistered checksum-valid identifiers
    for m in IBAN_RE.finditer(text):
        v = m.group(0).replace(" ", "")
        if iban_valid(v) and v not in own_ibans and v not in registered:
            err(where + ": unregistered valid IBAN " + v)
        if v in own_ibans and cats and L_PII in cats:
            err(where + ": own IBAN counted as pii")
    for m in CARD_RE.finditer(text):
        d = re.sub(r"\D", "", m.group(0))
        if luhn_valid(d) and d not in registered:
            err(where + ": unregistered Luhn-valid number " + m.group(0))
    for m in BSN_RE.finditer(text):
        d = re.sub(r"\D", "", m.group(0))
        if bsn_valid(d) and d not in registered:
            err(where + ": unregistered 11-proof number " + m.group(0))
    for m in GH_RE.finditer(text):
        if gh_valid(m.group(0)) and L_SEC not in cats:
            err(where + ": valid GitHub token in non-secret case")
        if L_SEC in cats and not gh_valid(m.group(0)):
            err(where + ": GitHub token in secret case fails CRC")
    for m in AWS_RE.finditer(text):
        if aws_valid(m.group(0)) and L_SEC not in cats:
            err(where + ": live-looking AWS key in non-secret case")
    if L_SEC in cats:
        pat = (r"ghp_|gho_|AKIA|sk_live_|xoxb-|sk-proj-|sk-ant-|SG\.|BEGIN OPENSSH PRIVATE KEY|eyJ|"
               r"://[^:\s]+:[^@\s]+@|wachtwoord:|ww ")
        if not re.search(pat, text):
            err(where + ": secret case without a credential")
        for m in re.finditer(r"eyJ[\w-]+\.[\w-]+\.[\w-]+", text):
            if not jwt_valid(m.group(0)):
                err(where + ": JWT without alg header")
    # confidential terms <-> label
    nt = norm(text)
    hits = []
    for t in PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"] + PROFILE["internal"]["domains"]:
        if t.lower() in nt:
            hits.append(t)
    for e in PROFILE["embargo"]:
        until = datetime.datetime.fromisoformat(e["until"].replace("Z", "+00:00"))
        for t in e["terms"]:
            if t.lower() in nt and ts < until:
                hits.append(t)
    if bool(hits) != (L_CON in cats):
        err(where + ": confidential terms %r vs categories %r" % (hits, cats))
    # pricing: any product mention with a price below the ratio must be a pricing case
    low = False
    for p in PROFILE["products"]:
        for alias in [p["name"]] + p["aliases"]:
            for m in re.finditer(re.escape(alias.lower()), text.lower()):
                window = text[m.end():m.end() + 70]
                for pm in re.finditer(r"€\s?(\d{1,4}(?:[.,]\d{2})?)(?!\d)", window):
                    price = float(pm.group(1).replace(",", "."))
                    if price < PROFILE["pricing"]["alert_below_ratio"] * p["list_price"]:
                        low = True
    if low and L_PRI not in cats:
        err(where + ": low product price without leak.pricing")
    if L_PRI in cats and not (low or re.search(r"prijsfout|price error|typo|mist er een 0", text, re.I)):
        err(where + ": pricing case without a low price or price-error talk")
    # roles
    if c["handle"].startswith("@") is False and c["platform"] in ("x", "instagram", "tiktok", "threads"):
        err(where + ": handle should start with @")

# mix statistics
from collections import Counter

cat_count = Counter(cat for c in CASES for cat in c["cats"])
benign = sum(1 for c in CASES if not c["cats"])
langs = Counter(c["lang"] for c in CASES)
roles = Counter((c["role"], bool(c["cats"])) for c in CASES)
leak_roles = Counter(c["role"] for c in CASES if any(x.startswith("leak.") for x in c["cats"]))
rep_roles = Counter(c["role"] for c in CASES if any(x.startswith("reputation.") for x in c["cats"]))
print("cases:", len(CASES), "benign:", benign)
print("categories:", dict(sorted(cat_count.items())))
print("langs:", dict(langs), "nl share %.0f%%" % (100.0 * langs["nl"] / len(CASES)))
print("leak authors:", dict(leak_roles), "reputation authors:", dict(rep_roles))
print("severities:", dict(Counter(c["line"]["expect"]["severity"] for c in CASES)))

if errors:
    print("SELF-CHECK FAILED (%d):" % len(errors))
    for e in errors:
        print("  -", e)
    sys.exit(1)
print("self-check OK")
