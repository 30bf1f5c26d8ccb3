#!/usr/bin/env python3
"""Held-out evaluation set 381 for postwatch.

Company: Stroomgaard Meetdiensten B.V. (fictional smart-meter installation
contractor working for fictional Dutch grid operators).

Deterministic: fixed seed, standard library + PyYAML. Writes cases.jsonl next to
this file and checks it:
  * every line is a valid CONTRACT section 6 labelled case;
  * ids are unique;
  * severities follow CONTRACT section 4, computed from the account role in
    profile.yaml (never typed by hand);
  * every IBAN / card / BSN declared in a positive passes its checksum, every
    look-alike declared in a negative fails it, and no undeclared valid one hides
    in a benign (or non-PII) post;
  * generated credentials are well-formed (GitHub CRC-32, AWS id, JWT header ...);
  * embargo terms before `until` are labelled confidential, after it benign;
  * pricing positives are below alert_below_ratio x list price, benign price
    mentions are not.
"""
import base64
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
SEED = 381
rnd = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

ROLE = {}
for h in PROFILE["accounts"]["corporate"]:
    ROLE[h.lower()] = "corporate"
for h in PROFILE["accounts"]["employee"]:
    ROLE[h.lower()] = "employee"


def role_of(acct):
    return ROLE.get(acct.lower(), "public")


# ---------------------------------------------------------------------------
# checksum helpers
# ---------------------------------------------------------------------------
def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    n = int("".join(str(int(c, 36)) for c in r))
    return n % 97 == 1


def make_iban(cc, bban):
    r = bban + cc + "00"
    n = int("".join(str(int(c, 36)) for c in r))
    return cc + "%02d" % (98 - n % 97) + bban


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    if len(d) < 12:
        return False
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def make_card(prefix, length=16):
    while True:
        body = prefix + "".join(rnd.choice(string.digits) for _ in range(length - len(prefix) - 1))
        for c in string.digits:
            if luhn_ok(body + c):
                return body + c


def bsn_ok(s):
    d = re.sub(r"\D", "", s)
    if len(d) != 9:
        return False
    tot = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return tot % 11 == 0 and d != "000000000"


def make_bsn():
    while True:
        d = [rnd.randint(1, 9)] + [rnd.randint(0, 9) for _ in range(7)]
        s = sum(d[i] * (9 - i) for i in range(8)) % 11
        if s <= 9:
            return "".join(map(str, d)) + str(s)


def make_fake(valid, ok):
    """A look-alike of `valid` with one digit changed so that `ok` fails."""
    positions = [i for i, c in enumerate(valid) if c.isdigit()]
    while True:
        i = rnd.choice(positions[2:] if len(positions) > 4 else positions)
        c = rnd.choice([x for x in string.digits if x != valid[i]])
        cand = valid[:i] + c + valid[i + 1:]
        if not ok(cand):
            return cand


# ---------------------------------------------------------------------------
# credential generators (shaped like the real ones)
# ---------------------------------------------------------------------------
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "-_"


def rs(alphabet, n):
    return "".join(rnd.choice(alphabet) for _ in range(n))


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def github_token(prefix="ghp_"):
    body = rs(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode())).rjust(6, "0")


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def aws_key_id():
    return "AKIA" + rs(string.ascii_uppercase + "234567", 16)


def aws_secret():
    return rs(ALNUM + "/+", 40)


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt_token():
    header = {"alg": "HS256", "typ": "JWT"}
    payload = {"sub": "tech-%05d" % rnd.randint(10000, 99999), "role": "monteur",
               "regio": "oost", "iat": 1780300000, "exp": 1780386400}
    return ".".join([b64u(json.dumps(header, separators=(",", ":")).encode()),
                     b64u(json.dumps(payload, separators=(",", ":")).encode()),
                     b64u(bytes(rnd.getrandbits(8) for _ in range(32)))])


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    h = parts[0] + "=" * (-len(parts[0]) % 4)
    try:
        return "alg" in json.loads(base64.urlsafe_b64decode(h))
    except Exception:
        return False


def slack_token():
    while True:
        a = str(rnd.randint(10 ** 11, 10 ** 12 - 1))
        b = str(rnd.randint(10 ** 12, 10 ** 13 - 1))
        if not luhn_ok(b):
            return "xoxb-%s-%s-%s" % (a, b, rs(ALNUM, 24))


def openssh_key():
    blob = (b"openssh-key-v1\x00" + b"\x00\x00\x00\x04none" * 2 + b"\x00\x00\x00\x00"
            + b"\x00\x00\x00\x01\x00\x00\x00\x33\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20"
            + bytes(rnd.getrandbits(8) for _ in range(32))
            + b"\x00\x00\x00\x90" + bytes(rnd.getrandbits(8) for _ in range(144 + 39)))
    b = base64.b64encode(blob).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def password(n=14):
    while True:
        p = rs(ALNUM + "!#%&*?@", n)
        if (any(c.isdigit() for c in p) and any(c.isupper() for c in p)
                and any(c.islower() for c in p) and any(c in "!#%&*?@" for c in p)):
            return p


GH = github_token("ghp_")
AWS_ID, AWS_SECRET = aws_key_id(), aws_secret()
STRIPE = "sk_live_51" + rs(ALNUM, 96)
SLACK = slack_token()
OPENAI = "sk-proj-" + rs(URLSAFE, 64) + "T3BlbkFJ" + rs(URLSAFE, 64)
ANTHROPIC = "sk-ant-api03-" + rs(URLSAFE, 93) + "AA"
SSHKEY = openssh_key()
JWT = jwt_token()
DB_PW = password(18)
WIFI_PW = password(14)
GOOGLE = "AIza" + rs(URLSAFE, 35)
GLPAT = "glpat-" + rs(URLSAFE, 20)

# ---------------------------------------------------------------------------
# personal identifiers
# ---------------------------------------------------------------------------
IBAN1 = make_iban("NL", "INGB" + rs(string.digits, 10))
IBAN2 = make_iban("NL", "ASNB" + rs(string.digits, 10))
IBAN_DE = make_iban("DE", rs(string.digits, 18))
CARD1 = make_card("4", 16)      # Visa
CARD2 = make_card("52", 16)     # Mastercard
BSN1 = make_bsn()
BSN2 = make_bsn()
FAKE_IBAN = make_fake(make_iban("NL", "RABO" + rs(string.digits, 10)), iban_ok)
FAKE_CARD = make_fake(make_card("4", 16), luhn_ok)
FAKE_BSN = make_fake(make_bsn(), bsn_ok)


def mobile():
    # Dutch mobile numbers: 06-1xxxxxxx .. 06-5xxxxxxx
    return "6" + str(rnd.randint(1, 5)) + rs(string.digits, 7)


M1, M2, M3, M4 = mobile(), mobile(), mobile(), mobile()
PHONE1 = "06-%s %s" % (M1[1:5], M1[5:])                       # 06-1234 5678
PHONE2 = "+31 6 %s" % M2[1:]                                    # +31 6 12345678
PHONE3 = "06 %s %s %s %s" % (M3[1:3], M3[3:5], M3[5:7], M3[7:])  # 06 12 34 56 78
PHONE4 = "0031 6 %s %s" % (M4[1:5], M4[5:])                    # 0031 6 1234 5678
PUB_IBAN = PROFILE["public_identifiers"]["ibans"][0]

# ---------------------------------------------------------------------------
# the cases
# ---------------------------------------------------------------------------
CASES = []

COMPLAINT, CRISIS, ABUSE = "reputation.complaint", "reputation.crisis", "reputation.abuse"
SECRET, PII, PRICING = "leak.secret", "leak.pii", "leak.pricing"
CONF, FIN, SEC = "leak.confidential", "leak.financial", "leak.security"


def add(cats, acct, lang, text, kind="post", when=None, ids=(), fakes=(), price=None,
        secrets=(), evasion=None, name=None):
    CASES.append(dict(cats=sorted(set(cats)), acct=acct, lang=lang, text=text, kind=kind,
                      when=when, ids=list(ids), fakes=list(fakes), price=price,
                      secrets=list(secrets), evasion=evasion, name=name))


# ---- complaints ------------------------------------------------------------
add([COMPLAINT], "x:@jolien_tweet", "nl",
    "@stroomgaard_help al 3x een afspraak voor de slimme meter en 3x is er niemand "
    "komen opdagen. Drie keer vrij genomen voor niks. Wat is dit voor bedrijf?? 😤",
    kind="reply")
add([COMPLAINT], "reddit:u/sunny_side_nl", "en",
    "PSA for anyone in the Polderstroom area: the Stroomgaard guys swapped my meter on "
    "Tuesday and since then my solar feed-in reads zero. Called support twice, got told "
    "'ticket is open' both times. Two weeks of production just not registered. Anyone else?")
add([COMPLAINT], "facebook:Henk.Dolfing.52", "nl",
    "Monteur van Stroomgaard heeft de meterkast open laten staan en de plinten eruit "
    "gesloopt, de hele gang ligt vol gruis. Nergens een sorry of een briefje. Netjes werken "
    "is blijkbaar te veel gevraagd", kind="comment")
add([COMPLAINT], "x:@marco_bikes", "en",
    "@stroomgaard your 'installation window 8:00-12:00' turned into 16:40. No call, no "
    "text. Some of us have jobs.", kind="reply")
add([COMPLAINT], "x:@bas_knutselt", "nl",
    "Sinds de nieuwe meter erin zit geeft mijn P1 Basic alleen nog nullen. Helpdesk zegt "
    "'ligt aan je router'. Serieus? Werkte prima op de oude meter. #stroomgaard")
add([COMPLAINT], "threads:@tess.in.tilburg", "en",
    "Stroomgaard's Wijzer 7 display has been stuck on 'verbinden...' since the firmware "
    "update last Thursday. Congrats to me on my very expensive kitchen clock")
add([COMPLAINT], "forum:gasloos_gerrit", "nl",
    "Even mijn ervaring delen. Brief gehad van de netbeheerder dat Stroomgaard onze "
    "gasmeter zou ombouwen. Monteur kwam, zei dat de kast 'niet volgens norm' was en "
    "vertrok weer. Nieuwe afspraak: over 7 weken. Ondertussen 2x een dag vrij genomen. "
    "Klantenservice verwijst naar de netbeheerder, netbeheerder verwijst terug naar "
    "Stroomgaard. Pingpong. Iemand tips hoe je hier doorheen komt?")
add([COMPLAINT], "youtube:@DianeRoosendaal", "en",
    "Nice promo video, but maybe answer your emails? Four messages about my dead Balans 32 "
    "and not one reply in a month.", kind="comment")
add([COMPLAINT], "instagram:@fleur.woont", "nl",
    "mooie foto's van jullie monteurs maar mijn laadpaal installatie is nu al 5 weken "
    "'in behandeling' 🙄 wanneer komt er nou eens iemand", kind="comment")
add([COMPLAINT], "mastodon:@pkoenen@mastodon.social", "en",
    "Got billed twice for the Meterkast Keuring by @stroomgaard. Refund was promised "
    "'within 5 working days'. That was in March. It is now June.")
add([COMPLAINT], "x:@dennis_o", "nl",
    "wtf stroomgaard, monteur zet z'n bus pal voor mijn garage, staat een half uur te "
    "bellen in de tuin en de meter is nog steeds niet aangesloten als hij weg is")

# complaint + abuse
add([COMPLAINT, ABUSE], "x:@woedende_wim", "nl",
    "Stroomgaard zijn echt een stelletje kutprutsers. Derde keer dat de stroom eruit "
    "klapt sinds jullie 'upgrade'. Kankerbedrijf.")
add([COMPLAINT, ABUSE], "reddit:u/throwaway_meterrage", "en",
    "Stroomgaard technicians are absolute morons. Guy cracked my meter cabinet door, left "
    "the old meter on my doormat and just shrugged. Useless idiots, the lot of them.")

# complaint + pii (customer exposes own data)
add([COMPLAINT, PII], "x:@ria_v_loon", "nl",
    "@stroomgaard_help ik wacht al 2 weken op een terugbelverzoek over mijn kapotte "
    "Wijzer Mini. Bel me gewoon: %s. Ben het zat." % PHONE1, kind="reply",
    ids=[("phone", PHONE1)])
add([COMPLAINT, PII], "facebook:Sophie.Alders", "en",
    "Still no date for my meter relocation after six weeks. Here's my email since your "
    "contact form keeps erroring: sophie.alders77@outlook.com - someone please actually "
    "write back.", kind="comment", ids=[("email", "sophie.alders77@outlook.com")])

# crisis + complaint (first-hand safety incidents)
add([CRISIS, COMPLAINT], "x:@mama_van_drie", "nl",
    "Twee dagen na de installatie van de nieuwe meter door Stroomgaard rook het naar "
    "geschroeid plastic in de gang. Meterkast open: aansluitklem zwartgeblakerd. Brandweer "
    "is geweest. Mijn kinderen sliepen boven. Ik ben woest.")
add([CRISIS, COMPLAINT], "reddit:u/grietje_and_pete", "en",
    "My husband got a proper shock off the meter cabinet door this morning, the cabinet "
    "Stroomgaard fitted last week. He's ok, GP checked him, but you still feel a tingle if "
    "you touch the hinge. Nobody at their emergency line picked up. What do we do?")
add([CRISIS, COMPLAINT], "facebook:Erik.Maaswinkel", "nl",
    "Onze Oever 11 laadpaal (geplaatst door Stroomgaard) is gisteravond gaan smelten "
    "tijdens het laden. Stekker en kabel helemaal vervormd. Gelukkig stond ik ernaast. Dit "
    "had mijn huis kunnen zijn. Tot nu toe alleen een automatisch mailtje terug.")
add([CRISIS, COMPLAINT], "x:@hannah_k_bakes", "en",
    "Stroomgaard installer left a live wire hanging out of the cabinet, unmarked, "
    "untaped. My 4yo was standing right next to it when I noticed. Photos sent to "
    "@stroomgaard_help, still no reply. Absolutely furious.")
add([CRISIS, COMPLAINT], "instagram:@yvonne_in_huis", "nl",
    "Sinds die 'Meterkast Upgrade' springt de aardlek er elke avond uit en vanochtend "
    "kwamen er VONKEN uit de groepenkast 😱 monteur van Stroomgaard zegt 'komt wel goed'. "
    "Onafhankelijke elektricien: levensgevaarlijk aangesloten. Bedankt hoor.")

# ---- crisis (third party / boycott / lawsuit / breach / recall) ------------
add([CRISIS], "x:@buurtnieuws_vw", "nl",
    "Via de buurtapp: in de Vogelwijk is vannacht een meterkast uitgebrand, een dag nadat "
    "Stroomgaard er een slimme meter had geplaatst. Bewoners konden op tijd naar buiten.")
add([CRISIS], "bluesky:@energiewatch.bsky.social", "en",
    "Consumer group Netwaakhond says it is preparing a class action against Stroomgaard "
    "over meters installed without the owners' consent in rental blocks.")
add([CRISIS], "x:@eerlijkwerk_nu", "nl",
    "Boycot Stroomgaard! Ze laten onderaannemers voor een hongerloon 14 uur per dag meters "
    "wisselen. Netbeheerders: stop met dit bedrijf. #boycotstroomgaard")
add([CRISIS], "reddit:u/kaaskop_dev", "en",
    "So Stroomgaard has apparently been leaking customer addresses + install dates? My "
    "neighbour got a phishing SMS that knew our meter appointment to the minute. Smells "
    "like a data breach and they're saying nothing.")
add([CRISIS], "linkedin:redactie-rtv-rivierstad", "nl",
    "Rivierland Netwerken schort per direct alle opdrachten aan Stroomgaard op na meldingen "
    "over onveilig afgemonteerde meterkasten, bevestigt een woordvoerder.")
add([CRISIS], "x:@recallradar", "en",
    "Recall alert: Stroomgaard is pulling every GaardLink P1 Wifi Pro from batch 2611 "
    "after reports of the USB adapter overheating. Check the label on yours.")
add([CRISIS], "tiktok:@almere.alert", "nl",
    "deel dit!! monteur van stroomgaard in Almere betrapt terwijl hij bij een oudere "
    "mevrouw geld vroeg 'voor de meter'. zij heeft 200 euro gegeven. schandalig "
    "#oplichting #stroomgaard")
add([CRISIS], "mastodon:@gridnerd@fosstodon.org", "en",
    "Third report this month of Stroomgaard-fitted cabinets arcing in the Heuvelnet "
    "region. At what point does the regulator step in?")
add([CRISIS], "forum:juridisch_janneke", "nl",
    "Rechtszaak tegen Stroomgaard: een gezin uit Deventer eist schadevergoeding nadat hun "
    "zolder uitbrandde door een verkeerd aangesloten meter. Zitting staat voor september.")
add([CRISIS], "x:@noord_reporter", "en",
    "Hearing the Inspectorate has opened an investigation into Stroomgaard after the "
    "Zwolle fire. If true, this is big. #smartmeter #safety")

# ---- abuse -------------------------------------------------------------------
add([ABUSE], "x:@zwartkijker88", "nl",
    "@ruud_meet jij bent echt de grootste sukkel die ooit een schroevendraaier heeft "
    "vastgehouden. Flikker op met je slimme meter", kind="reply")
add([ABUSE], "x:@not_a_fan_tbh", "en",
    "@stroomgaard_help you absolute clowns. f*ck your 'customer journey'. Bunch of "
    "worthless idiots.", kind="reply")
add([ABUSE], "instagram:@dirk.zegt.het", "nl",
    "die monteur met z'n lelijke kop, ga lekker terug naar je eigen land", kind="comment")
add([ABUSE], "reddit:u/grumpy_in_groningen", "en",
    "Whoever runs Stroomgaard's planning department is a brain-dead muppet. Genuinely "
    "the dumbest people I've ever had to deal with.")
add([ABUSE], "x:@r4ge_m0de", "nl",
    "str00mgaard m0nteurs zijn echt m0ngolen, k4nkerl1jers allemaal",
    evasion="leetspeak")
add([ABUSE], "x:@cabinet_hater", "en",
    "S t r o o m g a a r d  c.u.n.t.s, every single one of you",
    evasion="split letters")
add([ABUSE], "x:@ellen_vdmeer", "nl",
    "Klant belt voor de 6e keer over zijn P1 lezer. Meneer, u bent gewoon te dom om een "
    "stekker in een poort te steken. Idioot.")
add([ABUSE], "tiktok:@monteur.mo", "nl",
    "pov: je komt binnen bij zo'n vies kutwijf en de meterkast zit achter drie meter "
    "vuilniszakken 🤮 #monteurlife")
add([ABUSE], "x:@graaiers_eruit", "nl",
    "@stroomgaard jullie directeur is een gore graaier en een leugenaar, ik hoop dat hij "
    "erin stikt", kind="reply")
add([ABUSE], "reddit:u/buurman_boos", "nl",
    "die helpdeskmedewerker van stroomgaard, Noor of zo, wat een arrogant kreng. Hoop dat "
    "ze d'r baan kwijtraakt.")

# ---- confidential -------------------------------------------------------------
add([CONF], "linkedin:daan-hoekstra-stroomgaard", "nl",
    "Trots op het team! Het afgelopen kwartaal hebben we Project Meerkoet stilletjes in 3 "
    "regio's getest. Zodra de netbeheerders akkoord geven gaan we landelijk. Meer mag ik "
    "nog niet zeggen 😉")
add([CONF], "x:@liekeplant", "nl",
    "iemand de link naar het nieuwe rooster? planbord.stroomgaard.nl/regio-oost/week-14 "
    "doet het bij mij niet, zie alleen de oude")
add([CONF], "instagram:@kevin.installeert", "nl",
    "Eerste kijkje in de nieuwe Wijzer 9 👀 scherm is echt next level #stroomgaard "
    "#monteurlife", when="2026-11-19T16:42:08+01:00")
add([CONF], "linkedin:stroomgaard-meetdiensten", "nl",
    "Vacature: Senior Data Engineer voor Kraanvogel, ons nieuwe meetdataplatform. "
    "(stroomgaard vertrouwelijk - niet doorsturen buiten recruitment)")
add([CONF], "reddit:u/metermeneer_sg", "en",
    "Not gonna say too much but Operatie Dijkgraaf is going to change how every install "
    "van gets routed next year. Can't wait honestly")
add([CONF], "bluesky:@joris-ops.bsky.social", "en",
    "PSA to colleagues: dashboards moved from grafana.sg-ops.internal to "
    "grafana2.sg-ops.internal, update your bookmarks pls")
add([CONF], "x:@ruud_meet", "nl",
    "Vandaag de eerste GaardLink P1 Ultra bij een klant mogen testen. Pakt eindelijk 5G "
    "op. Zeg nog niks hoor 🤫", when="2026-10-07T11:15:30+02:00")
add([CONF], "x:@lottevdb_", "nl",
    "Kreeg per ongeluk een mail van Stroomgaard met als bijlage 'SG-CONFIDENTIAL "
    "tariefstructuur netbeheerders 2027'. Lijkt me niet voor mij bedoeld 😬")
add([CONF, FIN], "linkedin:noor-bouzid-sg", "nl",
    "Ik mag nog niks zeggen over de jaarcijfers 2026, maar ik kan wel verklappen dat de "
    "champagne koud staat 🍾 wat een jaar!", when="2027-02-19T08:05:00+01:00")
add([CONF], "x:@stroomgaard", "nl",
    "Binnenkort: de Oever 22 Duo. Twee auto's tegelijk laden op één zuil ⚡ Stay tuned!",
    when="2027-01-12T10:00:00+01:00")
add([CONF], "threads:@sanne.werkvoorbereiding", "nl",
    "nieuwe werkinstructie staat op intranet.stroomgaard.local/wi/gasmeter-v4, even "
    "doorlezen voor maandag collega's 🙏")
add([CONF], "linkedin:marloes-van-dijk-sg", "nl",
    "Mooie sessie gehad met Polderstroom over de uitrol van Kraanvogel in 2027. De eerste "
    "pilotwijk wordt Leeuwarden-Zuid!")
add([CONF], "x:@ellen_vdmeer", "nl",
    "'Intern - niet delen: uitrolplanning Q1 2027, regio West 48.000 meters, regio Oost "
    "31.000' ... oeps, verkeerde venster gedeeld in de Teams-call 🙈")
add([CONF], "reddit:u/vanlife_voltage", "en",
    "Buddy who subcontracts for Stroomgaard showed me their new tablet app, they call it "
    "project М\u0435\u0435rk\u043e\u0435t internally and it auto-books the next job "
    "based on traffic. Pretty slick.", evasion="cyrillic look-alikes")
add([CONF], "x:@liekeplant", "nl",
    "K\u200br\u200ba\u200ba\u200bn\u200bv\u200bo\u200bg\u200be\u200bl go-live weer "
    "verschoven naar maart, mijn hele planning kan de prullenbak in 🙃",
    evasion="zero-width characters")
add([CONF], "x:@screenshot_sjaak", "en",
    "lol someone at Stroomgaard posted a screenshot with a big "
    "\uff33\uff27\uff0d\uff23\uff2f\uff2e\uff26\uff29\uff24\uff25\uff2e\uff34\uff29\uff21\uff2c "
    "watermark and deleted it 5 min later. Gist: install fee per meter for subcontractors "
    "drops to €41 from January.", evasion="full-width letters")
add([CONF], "facebook:StroomgaardMeetdiensten", "nl",
    "Vandaag bezoek van de wethouder op onze locatie in Amersfoort! Op de achtergrond ons "
    "planbord met Operatie Dijkgraaf, nee daar vertellen we nog niks over 😄")
add([CONF], "reddit:u/metermeneer_sg", "en",
    "For the guys asking in the other thread: the install checklist lives at "
    "https://git.stroomgaard.nl/field/checklists/-/blob/main/gasmeter.md - ask your "
    "teamlead for access", kind="comment")

# ---- financial ------------------------------------------------------------------
add([FIN], "x:@ellen_vdmeer", "nl",
    "Net de forecast voor 2027 gezien: omzet -18% omdat Polderstroom het contract niet "
    "verlengt. Dat wordt een pittige kerst bij finance.")
add([FIN], "reddit:u/metermeneer_sg", "en",
    "Heads up to anyone at SG: the reorg is real. 120 field jobs in the north go in Q2, "
    "announcement comes after the works council meeting on the 14th.")
add([FIN], "bluesky:@joris-ops.bsky.social", "nl",
    "Overnamegesprekken met Kabelkracht zitten in de laatste fase, due diligence loopt. "
    "Nog 3 weken en dan weet iedereen het.")
add([FIN], "x:@jeroen_zwolle", "nl",
    "Mijn zwager werkt bij Stroomgaard: ze gaan 80 mensen ontslaan in Zwolle, is nog niet "
    "aangekondigd. Tja.")
add([FIN], "linkedin:marloes-van-dijk-sg", "nl",
    "Q3 net afgesloten: EBITDA boven de 11 miljoen, ruim boven budget 💪 Nog niet extern "
    "gecommuniceerd dus even onder ons 😉")
add([FIN], "x:@ruud_meet", "en",
    "Boss just told us in the van: hiring freeze + 2 depots closing in March. Guess I'm "
    "updating my CV 🙃")
add([FIN, CONF], "linkedin:stroomgaard-meetdiensten", "en",
    "[DRAFT - not for release] Stroomgaard Meetdiensten to acquire Meetbaar Installaties "
    "for an undisclosed sum; closing expected Q1 2027. Quote CEO: TBD")
add([FIN], "threads:@sanne.werkvoorbereiding", "nl",
    "omzet dit jaar gaat de 140 mln niet halen zei de CFO op de townhall, eerder 118. "
    "dus geen winstdeling 😭")
add([FIN], "reddit:u/partner_knows", "en",
    "Not my employer, my partner's: Stroomgaard lost the Heuvelnet tender for 2027-2030. "
    "That's roughly a third of their volume. Expect announcements soon.")
add([FIN], "x:@liekeplant", "nl",
    "Planning krijgt vanaf juni 40% minder opdrachten van Rivierland, zegt m'n manager. "
    "Die 15 uitzendkrachten gaan er dus uit. Nog niet officieel.")
add([FIN], "linkedin:daan-hoekstra-stroomgaard", "en",
    "Can't share details yet, but the board signed off on merging our Noord and Oost "
    "divisions. Around 60 roles will become redundant. Tough week.")

# ---- security -------------------------------------------------------------------
add([SEC], "bluesky:@joris-ops.bsky.social", "en",
    "Ransomware on the field tablets since 03:00. All installs in region West cancelled "
    "today, we're re-imaging ~600 devices. Please don't tell customers yet.")
add([SEC], "x:@liekeplant", "nl",
    "afsprakenportaal ligt al sinds 6 uur plat, klanten kunnen niks boeken en we mogen "
    "het nog niet op de site zetten 🙈")
add([SEC], "reddit:u/metermeneer_sg", "en",
    "FYI the install app never checks whether the tech is assigned to the job - any tech "
    "can pull any customer's address and meter serial by changing the job id in the URL. "
    "Reported it 3 months ago, ticket still open.")
add([SEC], "threads:@sanne.werkvoorbereiding", "nl",
    "wie heeft die phishingmail 'loonstrook december' geopend? halve afdeling "
    "werkvoorbereiding is z'n Office-account kwijt, IT zit erbovenop. niet naar buiten "
    "brengen aub")
add([SEC], "x:@ruud_meet", "nl",
    "Firmware 4.2 op de P1 Wifi Pro laat telnet openstaan op poort 23 met de standaard "
    "login. Gemeld, maar ze fixen het pas in Q2 lol")
add([SEC], "linkedin:marloes-van-dijk-sg", "en",
    "Rough night: our meter-data platform was down for 9 hours and we lost the readings "
    "from roughly 14k households. Official statement comes Monday.")
add([SEC, CRISIS], "x:@anoniemeburger", "en",
    "friend at Stroomgaard says their customer database got scraped last week and they "
    "haven't told anyone yet. if you're a customer, change your passwords")
add([SEC], "tiktok:@monteur.mo", "nl",
    "story time: vandaag 4 uur lang niet kunnen inloggen op de monteursapp, hele regio "
    "stil. kantoor zegt 'zeg maar dat het aan de netbeheerder ligt' 💀")
add([SEC], "x:@ellen_vdmeer", "en",
    "Finance heads-up: the payment provider link has been rejecting every direct debit "
    "since Friday. About 3,000 customers get a failed-payment letter next week. Not "
    "announced anywhere.")
add([SEC], "x:@stroomgaard_help", "nl",
    "@klant_bert Klopt, sinds vanochtend storing in ons klantportaal door een "
    "beveiligingsincident. Daar mogen we nog niks over zeggen, excuses!", kind="reply")
add([SEC], "bluesky:@joris-ops.bsky.social", "en",
    "Pentest report landed: SQLi in the appointment API and the admin panel is reachable "
    "from the internet without MFA. Fun Monday. Fixes scheduled for 'sprint 14'.")
add([SEC], "reddit:u/zzp_installateur", "en",
    "Subcontractor here. Stroomgaard's tech portal still accepts the shared login from "
    "2024, and half the ex-contractors still have it. Nobody has rotated anything.")
add([SEC], "linkedin:daan-hoekstra-stroomgaard", "en",
    "Shoutout to the on-call team who fought off the DDoS on our booking site all weekend. "
    "Customers never noticed, and hopefully the press won't either 😅")

# ---- secrets -------------------------------------------------------------------
add([SECRET], "bluesky:@joris-ops.bsky.social", "en",
    "can someone check why this 401s?\ncurl -H 'Authorization: token %s' "
    "https://api.github.com/orgs/stroomgaard/repos" % GH, secrets=[("github", GH)])
add([SECRET], "reddit:u/metermeneer_sg", "en",
    "boto3 keeps throwing AccessDenied on the bucket, config below:\n[default]\n"
    "aws_access_key_id = %s\naws_secret_access_key = %s\nregion = eu-west-1"
    % (AWS_ID, AWS_SECRET), secrets=[("aws", AWS_ID), ("raw", AWS_SECRET)])
add([SECRET], "x:@ellen_vdmeer", "nl",
    "Stripe gekoppeld aan de webshop, deze key draait nu live: %s 👍 kan iemand de "
    "webhook even checken?" % STRIPE, secrets=[("raw", STRIPE)])
add([SECRET], "threads:@sanne.werkvoorbereiding", "nl",
    "slack bot token voor de planning-alerts, even hier geparkeerd want mijn notitie-app "
    "doet raar: %s" % SLACK, secrets=[("raw", SLACK)])
add([SECRET], "x:@ruud_meet", "nl",
    "scriptje gemaakt dat de werkbonnen samenvat met GPT 😎 gewoon "
    "export OPENAI_API_KEY=%s en gaan" % OPENAI, secrets=[("raw", OPENAI)])
add([SECRET], "bluesky:@joris-ops.bsky.social", "en",
    "ANTHROPIC_API_KEY=%s\nanyone know why this gets rate limited at 5 rpm?" % ANTHROPIC,
    secrets=[("raw", ANTHROPIC)])
add([SECRET], "reddit:u/metermeneer_sg", "en",
    "Lost SSH access to the jumpbox after the laptop swap, is this key even in the right "
    "format?\n\n%s" % SSHKEY, secrets=[("raw", SSHKEY)])
add([SECRET], "x:@liekeplant", "nl",
    "de monteursapp zegt 'token verlopen' maar deze is toch nog geldig?? %s" % JWT,
    secrets=[("jwt", JWT)])
add([SECRET, CONF], "bluesky:@joris-ops.bsky.social", "en",
    "DATABASE_URL=postgresql://meterdata_rw:%s@db-prod-02.stroomgaard.local:5432/metering"
    "\nwhy does this time out from home even with the VPN on" % DB_PW,
    secrets=[("raw", DB_PW)])
add([SECRET], "instagram:@kevin.installeert", "nl",
    "nieuwe tablets binnen 😍 voor de collega's: wifi in depot Amersfoort heet nu "
    "SG-Depot-AMF, wachtwoord: %s" % WIFI_PW, secrets=[("raw", WIFI_PW)])
add([SECRET], "x:@whitehat_wessel", "en",
    "Hey @stroomgaard, your Google Maps key is sitting in the page source of the "
    "appointment page and it's unrestricted: %s - might want to rotate that." % GOOGLE,
    secrets=[("raw", GOOGLE)])
add([SECRET], "x:@ellen_vdmeer", "nl",
    "CI pipeline faalt weer, deploy token is %s, rotate ik morgen wel" % GLPAT,
    secrets=[("raw", GLPAT)])

# ---- pricing ---------------------------------------------------------------------
add([PRICING], "x:@stroomgaard", "nl",
    "🔥 Alleen vandaag: de Oever 11 laadzuil voor €109! Op = op ⚡", price=("SG-EV11", 109))
add([PRICING], "x:@dealjager_nl", "nl",
    "Is dit een prijsfout? Wijzer 7 display staat op de Stroomgaard webshop voor €14,90 🤯 "
    "meteen besteld, benieuwd of ze leveren", price=("SG-DSP7", 14.90))
add([PRICING], "x:@liekeplant", "nl",
    "haha collega heeft de Meterkast Upgrade Compleet op 89,50 gezet ipv 895 in het "
    "systeem, al 40 bestellingen binnen 😂", price=("SVC-MKU", 89.50))
add([PRICING], "reddit:u/bargainhunter_eu", "en",
    "Stroomgaard's shop is selling the GaardLink P1 Wifi Pro for €7.49 right now, pretty "
    "sure that's a pricing error. Grab one before they notice.", price=("GL-P1W", 7.49))
add([PRICING], "facebook:StroomgaardMeetdiensten", "nl",
    "Nieuw in de shop: de Balans 32 loadbalancer, nu voor €27,90 incl. btw. Slimmer "
    "laden voor iedereen!", price=("SG-LB32", 27.90))
add([PRICING], "x:@glitchdeals", "en",
    "price glitch 🚨 Krachtstroom Pakket from Stroomgaard showing €145 at checkout. "
    "#deals #pricingerror", price=("SVC-3F", 145))
add([PRICING], "instagram:@kevin.installeert", "nl",
    "Collega's opgelet: via de personeelsshop nu de Oever 22 voor €399 😱 wees er snel bij",
    price=("SG-EV22", 399))
add([PRICING], "mastodon:@ankevb@mastodon.nl", "en",
    "Ordered a Wijzer Mini from Stroomgaard and checkout said €8.90. Either a typo or "
    "Christmas came early.", price=("SG-DSPM", 8.90))
add([PRICING], "tiktok:@koopjes.kim", "nl",
    "prijsfoutje bij stroomgaard?? laadpaal installatie Standaard voor €49 💸 link in bio",
    price=("SVC-EVI", 49))
add([PRICING], "bluesky:@joris-ops.bsky.social", "en",
    "Whoever imported the price feed last night: the Warmtepomp Submeter is live at €2.19 "
    "on the shop. Fixing now.", price=("SG-WPM", 2.19))
add([PRICING], "x:@sjors_scoort", "nl",
    "W.i.j.z.e.r 7 voor €12 bij stroomgaard, prijsfout of wat?? 👀",
    price=("SG-DSP7", 12), evasion="letters split by dots")
add([PRICING], "instagram:@stroomgaard.nl", "nl",
    "Black Friday knaller 🖤 Gasmeter Ombouw voor maar €24,50! Boek via de link in bio.",
    price=("SVC-GAS", 24.50))

# ---- personal data -----------------------------------------------------------------
add([PII], "x:@stroomgaard_help", "nl",
    "@m_verbeek Dank voor uw geduld! We hebben de €119 teruggestort op %s t.n.v. "
    "M. Verbeek, binnen 3 werkdagen op uw rekening." % group4(IBAN1), kind="reply",
    ids=[("iban", group4(IBAN1))])
add([PII], "x:@liekeplant", "nl",
    "Wie kan morgen om 8u naar mevr. Hendriks, Lindelaan 14, 3817 KP Amersfoort? Ze is "
    "91 en slecht ter been, dus even aanbellen bij de buren op 16.",
    ids=[("address", "Lindelaan 14, 3817 KP Amersfoort")])
add([PII], "instagram:@kevin.installeert", "nl",
    "Meneer Gerrit Bosman (geboren 4 juli 1946!) uit Nijkerk had nog stoppen uit 1971 in "
    "de meterkast 😅 vandaag alles eruit, hij vond het prachtig",
    ids=[("dob", "4 juli 1946")])
add([PII], "reddit:u/metermeneer_sg", "en",
    "Customer's card keeps getting declined on the terminal: %s exp 09/28. Is it the "
    "terminal or the card? Third time this week." % group4(CARD1),
    ids=[("card", group4(CARD1))])
add([PII], "facebook:StroomgaardMeetdiensten", "nl",
    "Beste mevrouw El Idrissi, we hebben uw BSN %s ontvangen, maar dat hebben we voor de "
    "meterwissel niet nodig. We verwijderen het uit ons systeem." % BSN1, kind="comment",
    ids=[("bsn", BSN1)])
add([PII], "threads:@sanne.werkvoorbereiding", "nl",
    "kan iemand dhr. Peeters terugbellen op %s? heeft al 3x gebeld over zijn laadpaal" % PHONE2,
    ids=[("phone", PHONE2)])
add([PII], "x:@rdeboer_buurt", "nl",
    "Voor de buurtactie meterkastkeuring: wie meedoet kan €20 overmaken naar %s t.n.v. "
    "R. de Boer, dan regel ik de groepsafspraak met Stroomgaard 👍" % IBAN2,
    ids=[("iban", IBAN2)])
add([PII], "x:@ellen_vdmeer", "en",
    "Can someone in billing look at Janine Koster's account? janine.koster84@ziggo.nl, "
    "charged twice for the Meterkast Keuring.",
    ids=[("email", "janine.koster84@ziggo.nl")])
add([PII], "reddit:u/dumpster_detective", "en",
    "Found a Stroomgaard work order in the paper bin outside my building: 'Fam. Visser, "
    "Kerkstraat 22B, 1011 AB Amsterdam, tel %s'. Pretty careless." % PHONE3,
    ids=[("phone", PHONE3), ("address", "Kerkstraat 22B, 1011 AB Amsterdam")])
add([PII], "x:@ruud_meet", "nl",
    "Klant legt z'n paspoort op de meterkast om te 'bewijzen' dat hij eigenaar is, BSN "
    "%s staat er gewoon op. Meneer, leg dat alstublieft weg 🙈" % BSN2,
    ids=[("bsn", BSN2)])
add([PII], "x:@nina_moves_in", "en",
    "@stroomgaard_help DMs aren't working so here: customer no. 44871, phone %s, email "
    "nina.hartog@kpnmail.nl. Please reschedule my install to next week." % PHONE4,
    kind="reply", ids=[("phone", PHONE4), ("email", "nina.hartog@kpnmail.nl")])
add([PII], "bluesky:@joris-ops.bsky.social", "en",
    "Refund for the German customer bounced again, IBAN %s - is the format wrong or is "
    "it their bank?" % IBAN_DE, ids=[("iban", IBAN_DE)])
add([PII], "instagram:@stroomgaard.nl", "nl",
    "@lotte.bakt Gefeliciteerd met je nieuwe laadpaal Lotte! Je installatieafspraak staat "
    "bevestigd op Meidoornstraat 7 in Zeist, tot dinsdag 😊", kind="comment",
    ids=[("address", "Meidoornstraat 7 in Zeist")])

# ---- benign (mostly hard negatives) ---------------------------------------------------
add([], "x:@vera_vanwege", "nl",
    "Monteur van Stroomgaard was binnen 40 minuten klaar, alles netjes opgeruimd en hij "
    "legde ook nog uit hoe de P1-poort werkt. Top 👌")
add([], "reddit:u/homeassistant_henk", "en",
    "Does the GaardLink P1 Basic work with Home Assistant out of the box? Thinking of "
    "getting one, it's €39.95 on their site.", price=("GL-P1B", 39.95))
add([], "x:@stroomgaard_help", "nl",
    "Vragen over je afspraak? Mail ons op klantenservice@stroomgaard.nl of bel 0800-7669 "
    "(gratis, ma-vr 8-18u).")
add([], "facebook:StroomgaardMeetdiensten", "nl",
    "Terugbetalingen doen we altijd vanaf onze eigen rekening %s. Twijfel je over een "
    "betaalverzoek dat 'van ons' komt? Bel ons eerst." % group4(PUB_IBAN))
add([], "x:@zuinig_zijn", "nl",
    "Stroomgaard heeft de Wijzer 7 in de aanbieding, €119 ipv €149. Prima deal als je je "
    "verbruik wat beter in beeld wil hebben.", price=("SG-DSP7", 119))
add([], "instagram:@stroomgaard.nl", "nl",
    "Najaarsactie 🍂 Balans 32 loadbalancer nu €229 (was €279). Alleen deze maand!",
    price=("SG-LB32", 229))
add([], "reddit:u/cloud_curious", "en",
    "For anyone confused by the tutorial: the creds in the AWS docs are "
    "AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY. They're fake, "
    "you need your own.")
add([], "bluesky:@joris-ops.bsky.social", "en",
    "Reminder for the team: never paste tokens in chat. If you really must show one in a "
    "ticket, redact it like ghp_************************************ and rotate it anyway.")
add([], "forum:formulierenfanaat", "nl",
    "Bij het aanmelden voor de meterkastkeuring vroeg het formulier om een IBAN. Ik had "
    "per ongeluk %s ingevuld (cijfertje verkeerd) en het formulier keurde 'm meteen af. "
    "Goed geregeld eigenlijk." % FAKE_IBAN, fakes=[("iban", FAKE_IBAN)])
add([], "reddit:u/frontend_fenna", "en",
    "Stroomgaard's checkout rejected %s straight away, so at least their Luhn check "
    "works lol (I'm a dev, was curious what would happen with a made-up number)."
    % group4(FAKE_CARD), fakes=[("card", group4(FAKE_CARD))])
add([], "x:@pieterpost_", "nl",
    "Formulier van de gemeente afgekeurd omdat ik mijn BSN verkeerd had ingetypt (%s, "
    "twee cijfers omgedraaid). Fijn dat het systeem dat checkt." % FAKE_BSN,
    fakes=[("bsn", FAKE_BSN)])
add([], "x:@energievakblad", "nl",
    "Meetbaar Installaties maakt hogere omzet bekend over 2025: +12%. De concurrentie in de "
    "meterwereld wordt er niet minder op.")
add([], "x:@tineke_t", "nl",
    "Sterkte aan de monteurs van Stroomgaard na dat ongeluk met hun bus op de A28. Hoop "
    "dat iedereen snel herstelt ❤️")
add([], "reddit:u/sunny_side_nl", "en",
    "Update: Stroomgaard called me back, sent a new tech the next day and my solar "
    "readings are back. Credit where it's due, they fixed it properly.", kind="comment")
add([], "x:@jeroen_grapt", "nl",
    "Mijn slimme meter weet meer over mijn leven dan mijn moeder. 'Om 03:12 de waterkoker "
    "aan, Jeroen?' 😂 #slimmemeter")
add([], "linkedin:stroomgaard-meetdiensten", "nl",
    "We zoeken monteurs! Mail je cv naar vacatures@stroomgaard.nl of bel +31 30 799 4400. "
    "#vacature #energietransitie")
add([], "x:@vogelspotter_friesland", "nl",
    "Vanochtend honderden kraanvogels boven het Fochteloërveen 😍 wat een geluid, wat een "
    "gezicht")
add([], "mastodon:@beursbert@mastodon.nl", "en",
    "Stroomgaard published its jaarcijfers 2026 this morning: revenue up 9%, margins "
    "steady. Solid, unspectacular year.", when="2027-03-05T09:30:00+01:00")
add([], "x:@gadget_gijs", "nl",
    "Net de Wijzer 9 besteld nu hij eindelijk uit is 🙌 benieuwd of hij beter is dan de 7",
    when="2027-01-27T19:12:44+01:00")
add([], "x:@ruud_meet", "nl",
    "Mooie dag gehad, 11 meters gewisseld in Harderwijk en overal koffie gekregen ☕ "
    "#monteurlife")
add([], "linkedin:noor-bouzid-sg", "nl",
    "Trots dat we dit jaar onze 250.000e slimme meter hebben geplaatst! Dank aan alle "
    "collega's en onze partners bij de netbeheerders.")
add([], "reddit:u/wfh_wendy", "en",
    "How long does a Stroomgaard meter swap usually take? Mine's booked for Thursday and "
    "I have calls all morning.")
add([], "x:@envelope_enjoyer", "en",
    "The word CONFIDENTIAL on my energy bill envelope always makes me think there's "
    "gossip inside. It's never gossip. 😔")
add([], "tiktok:@stroomgaard_monteurs", "nl",
    "Zo zie je of je meter al een slimme meter is 👀 kijk naar het display en zoek de "
    "P1-poort #uitleg #energie")
add([], "x:@ev_eddie", "en",
    "Price check: Oever 11 at €1,099 from Stroomgaard vs €1,150 elsewhere. Went with "
    "Stroomgaard, install was smooth.", price=("SG-EV11", 1099))
add([], "forum:domotica_dennis", "nl",
    "Mijn Home Assistant config voor de GaardLink P1 Pro:\n  host: 192.168.1.50\n  "
    "api_key: <jouw-key-hier>\nWerkt prima, ook met de Wijzer Mini ernaast.")
add([], "bluesky:@joris-ops.bsky.social", "en",
    "Reminder: real secrets live in the vault. In docs and examples use something "
    "obviously fake like sk_live_xxxxxxxxxxxxxxxxxxxxxxxx.")
add([], "x:@redact_rita", "en",
    "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx <- that's what a token should look like in "
    "your screenshot. Redact, people.")
add([], "reddit:u/kabel_klaas", "en",
    "Kabelkracht's booking site has been down all morning, anyone else? (the other meter "
    "company, not Stroomgaard)")
add([], "x:@storm_saskia", "en",
    "Thoughts with the Heuvelnet crews working through the storm tonight 🙏 stay safe out "
    "there")
add([], "threads:@sanne.werkvoorbereiding", "nl",
    "Collega's, het zomerrooster staat weer klaar, check even of je vakantie erin staat! "
    "🌞")
add([], "youtube:@StroomgaardTV", "nl",
    "Nieuwe video: zo sluit je zelf de Wijzer Mini aan in 5 minuten. Verkrijgbaar voor €89 "
    "in onze webshop.", price=("SG-DSPM", 89))
add([], "x:@callcenter_survivor", "en",
    "14 minutes on the phone with Stroomgaard to move my appointment. Friendly agent, no "
    "drama. Honestly a nice surprise.")
add([], "facebook:Gonnie.Smeets", "nl",
    "Is het normaal dat de monteur de oude meter meeneemt? Vroeg me af of ik die mocht "
    "houden als souvenir 😅", kind="comment")
add([], "instagram:@kevin.installeert", "nl",
    "Nieuwe bus, nieuwe gereedschapskist 🧰 klaar voor 2026!", when="2026-01-05T07:31:00+01:00")
add([], "reddit:u/lock_it_down", "en",
    "Does the GaardLink P1 Pro support TLS for MQTT? Trying to lock down my home network "
    "properly before I plug it in.")
add([], "x:@stroomgaard", "nl",
    "Storing opgelost ✅ De afsprakenmodule werkt weer normaal. Excuses voor het ongemak "
    "vanochtend.")
add([], "x:@lachen_met_lars", "nl",
    "Die nieuwe reclame van Stroomgaard is echt fire 🔥🔥 die breakdancende monteur 😂")
add([], "x:@early_bird_emma", "en",
    "Shocked (the good kind) that my meter got swapped a week early. Thanks Stroomgaard!")
add([], "x:@juridisch_jip", "en",
    "Interesting read: a UK court ruled against an energy supplier for force-fitting "
    "prepayment meters. Glad that's not how it goes here.")
add([], "linkedin:marloes-van-dijk-sg", "nl",
    "Mooi artikel in het vakblad over onze samenwerking met Waddennet. Link in de comments!")
add([], "x:@buurvrouw_bep", "nl",
    "Monteur van Stroomgaard hielp ook nog even mijn buurvrouw (92) met haar thermostaat. "
    "Zo lief ❤️")
add([], "x:@aliexpress_andy", "en",
    "Saw a no-name 'P1 reader' for €4.99 on some marketplace lol. Not touching that, "
    "sticking with my GaardLink.")
add([], "forum:keuring_karin", "nl",
    "Mijn ervaring: Meterkastkeuring bij Stroomgaard €119, duurde een uur, rapport kwam "
    "dezelfde avond per mail. Prima.", price=("SVC-KEUR", 119))
add([], "facebook:StroomgaardMeetdiensten", "nl",
    "Let op: Stroomgaard vraagt nooit om je wachtwoord, pincode of bankgegevens via sms of "
    "WhatsApp. Twijfel je? Bel 0800-7669.")
add([], "reddit:u/metermeneer_sg", "en",
    "AMA: I swap smart meters for a living. No, we cannot see what you watch on TV through "
    "the meter 😂")
add([], "x:@snelle_sietske", "nl",
    "Handig: het storingsnummer van Stroomgaard is 0800-7669, binnen 2 minuten had ik "
    "iemand aan de lijn.")
add([], "x:@banknerd", "en",
    "The IBAN example on my bank's help page is literally NL00 BANK 0000 0000 00. Peak "
    "creativity.", fakes=[("iban", "NL00 BANK 0000 0000 00")])
add([], "x:@huize_jansen", "nl",
    "Crisis in huize Jansen: de slimme meter laat zien hoeveel stroom de game-pc van m'n "
    "zoon vreet 😂")
add([], "linkedin:stroomgaard-meetdiensten", "nl",
    "Vandaag publiceerden we ons duurzaamheidsverslag 2025. Lees het op "
    "www.stroomgaard.nl/verslag")
add([], "x:@liekeplant", "nl",
    "@vera_vanwege wat fijn om te horen, ik geef het door aan de monteur! 😊", kind="reply")
add([], "x:@appvraag_anouk", "nl",
    "Hoe koppel ik de Stroomgaard Thuis app aan mijn Wijzer 7? In de handleiding staat "
    "'wachtwoord: zie sticker' maar er zit nergens een sticker 😅")
add([], "x:@koffie_kees", "en",
    "Weird flex but the Stroomgaard office in Amersfoort has the best waiting-room coffee "
    "I've ever had.")
add([], "x:@analist_annemiek", "en",
    "Stroomgaard's annual results 2026 are out: decent growth, nothing spectacular, "
    "dividend unchanged.", when="2027-03-10T12:01:00+01:00")
add([], "x:@oever_owner", "en",
    "Second winter with my Oever 22 and not a single hiccup. Quiet, app works, would buy "
    "again.")
add([], "reddit:u/ondernemer_olga", "nl",
    "Wij kregen als MKB'er 10% korting op het Krachtstroom Pakket, dus €1.305 i.p.v. "
    "€1.450. Netjes geïnstalleerd binnen een dag.", price=("SVC-3F", 1305))
add([], "x:@techtalk_tim", "en",
    "Tutorial tip: a JWT is just header.payload.signature, e.g. eyJhbGciOi...<snip>. "
    "Never paste a full one in a public issue.")
add([], "mastodon:@rustige_ruben@mastodon.nl", "nl",
    "Was bang voor gedoe maar de gasmeter ombouw van Stroomgaard was in 20 minuten klaar. "
    "Zelfs de kat bleef rustig.")


# ---------------------------------------------------------------------------
# build
# ---------------------------------------------------------------------------
RANK = {"none": 0, "info": 1, "warning": 2, "error": 3, "critical": 4}
STRONG_IDS = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}


def severity(cats, role, strong_pii):
    lvl = "none"

    def up(x):
        nonlocal lvl
        if RANK[x] > RANK[lvl]:
            lvl = x

    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                up("error")
                if c in (SECRET, PRICING) or (c == PII and strong_pii):
                    up("critical")
            else:
                up("warning")
        elif c == COMPLAINT:
            up("warning")
        elif c == CRISIS:
            up("error")
        elif c == ABUSE:
            up("warning" if role == "public" else "error")
    return lvl


URLBASE = {
    "x": "https://x.com/{h}/status/{n}", "instagram": "https://www.instagram.com/p/{n}",
    "facebook": "https://www.facebook.com/{h}/posts/{n}",
    "linkedin": "https://www.linkedin.com/feed/update/urn:li:activity:{n}",
    "reddit": "https://www.reddit.com/comments/{n}", "tiktok": "https://www.tiktok.com/{h}/video/{n}",
    "youtube": "https://www.youtube.com/watch?v={n}", "bluesky": "https://bsky.app/profile/{h}/post/{n}",
    "threads": "https://www.threads.net/{h}/post/{n}", "mastodon": "https://mastodon.social/{h}/{n}",
    "forum": "https://forum.energieprat.nl/t/{n}",
}
START = datetime(2026, 1, 2, tzinfo=timezone.utc)


def build():
    # stable shuffle so categories are interleaved
    order = list(range(len(CASES)))
    rnd.shuffle(order)
    out = []
    for seq, idx in enumerate(order):
        c = CASES[idx]
        platform, handle = c["acct"].split(":", 1)
        role = role_of(c["acct"])
        pid = "%s-381%04d" % (platform, seq + 1)
        if c["when"]:
            created = c["when"]
        else:
            dt = START + timedelta(days=rnd.randint(0, 360), seconds=rnd.randint(6 * 3600, 23 * 3600))
            tz = rnd.choice(["Z", "Z", "local"])
            if tz == "local":           # Amsterdam offset: CEST roughly April-October
                tz = "+02:00" if 4 <= dt.month <= 10 else "+01:00"
            if tz == "Z":
                created = dt.strftime("%Y-%m-%dT%H:%M:%SZ")
            else:
                off = timedelta(hours=int(tz[2]))
                created = (dt + off).strftime("%Y-%m-%dT%H:%M:%S") + tz
        post = {"id": pid, "platform": platform, "kind": c["kind"],
                "account": {"handle": handle, "id": "acc-%d" % (zlib.crc32(c["acct"].lower().encode()) % 10 ** 8)},
                "text": c["text"], "created_at": created}
        if seq % 7 != 3:               # the language hint is optional; leave it out sometimes
            post["lang"] = c["lang"]
        num = str(rnd.randint(10 ** 15, 10 ** 16 - 1))
        if platform in URLBASE:
            post["url"] = URLBASE[platform].format(h=handle.lstrip("@"), n=num)
        if role != "public":
            post["brand"] = "stroomgaard"
        strong = any(t in STRONG_IDS and STRONG_IDS[t](v) for t, v in c["ids"])
        sev = severity(c["cats"], role, strong)
        out.append({"post": post, "expect": {"categories": c["cats"], "severity": sev}})
        c["_post"] = post
        c["_role"] = role
    return out


# ---------------------------------------------------------------------------
# self checks
# ---------------------------------------------------------------------------
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
CATEGORIES = {COMPLAINT, CRISIS, ABUSE, SECRET, PII, PRICING, CONF, FIN, SEC}
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")

IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\w])(?:\d[ -]?){12,18}\d(?![\w])")
BSN_RE = re.compile(r"(?<![\w.,-])\d{9}(?![\w])|(?<![\w.,-])\d{4}\.\d{2}\.\d{3}(?![\w])")
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def norm(s):
    return re.sub(r"[\s.-]", "", s)


def fail(msg):
    print("SELF-CHECK FAILED: " + msg, file=sys.stderr)
    sys.exit(1)


def valid_ids_in(text):
    found = []
    for m in IBAN_RE.finditer(text):
        if iban_ok(m.group()):
            found.append(("iban", m.group()))
    for m in CARD_RE.finditer(text):
        d = re.sub(r"\D", "", m.group())
        if 13 <= len(d) <= 19 and luhn_ok(d):
            found.append(("card", m.group()))
    for m in BSN_RE.finditer(text):
        if bsn_ok(m.group()):
            found.append(("bsn", m.group()))
    return found


def check(lines):
    prof = PROFILE
    # profile sanity
    for iban in prof["public_identifiers"]["ibans"]:
        if not iban_ok(iban):
            fail("profile IBAN fails mod-97: " + iban)
    if len(prof["accounts"]["corporate"]) < 6 or len(prof["accounts"]["employee"]) < 8:
        fail("profile needs 6+ corporate and 8+ employee accounts")
    if not (15 <= len(prof["products"]) <= 25):
        fail("profile needs 15-25 products")
    if prof["pricing"]["alert_below_ratio"] != 0.5:
        fail("alert_below_ratio")
    for e in prof["embargo"]:
        if not e["until"].startswith("2027"):
            fail("embargo until must be in 2027")
    for k in ("codenames", "markers"):
        if len(prof["internal"][k]) != 3:
            fail("need 3 " + k)
    public_ibans = {norm(x).upper() for x in prof["public_identifiers"]["ibans"]}
    public_emails = {x.lower() for x in prof["public_identifiers"]["emails"]}
    products = {p["sku"]: p for p in prof["products"]}
    embargo = [(t.lower(), datetime.fromisoformat(e["until"].replace("Z", "+00:00")))
               for e in prof["embargo"] for t in e["terms"]]
    internal_words = ([d.lower() for d in prof["internal"]["domains"]]
                      + [c.lower() for c in prof["internal"]["codenames"]]
                      + [m.lower() for m in prof["internal"]["markers"]])

    ids = set()
    for n, line in enumerate(lines, 1):
        obj = json.loads(line)
        if set(obj) != {"post", "expect"}:
            fail("line %d: top-level keys" % n)
        p, e = obj["post"], obj["expect"]
        if not (isinstance(p.get("id"), str) and 1 <= len(p["id"]) <= 256):
            fail("line %d: id" % n)
        if p["id"] in ids:
            fail("duplicate id " + p["id"])
        ids.add(p["id"])
        if p.get("platform") not in PLATFORMS:
            fail("line %d: platform" % n)
        if p.get("kind", "post") not in KINDS:
            fail("line %d: kind" % n)
        if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str):
            fail("line %d: account.handle" % n)
        if not isinstance(p.get("text"), str) or len(p["text"].encode("utf-8")) > 65536 or not p["text"]:
            fail("line %d: text" % n)
        if not (isinstance(p.get("created_at"), str) and RFC3339.match(p["created_at"])):
            fail("line %d: created_at" % n)
        datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
        if not p["created_at"].startswith(("2026", "2027")):
            fail("line %d: created_at year" % n)
        cats = e.get("categories")
        if not isinstance(cats, list) or cats != sorted(set(cats)) or not set(cats) <= CATEGORIES:
            fail("line %d: categories" % n)
        if e.get("severity") not in RANK:
            fail("line %d: severity" % n)
        if not cats and e["severity"] != "none":
            fail("line %d: benign must be none" % n)
        if cats and e["severity"] in ("none", "info"):
            fail("line %d: positive with severity %s" % (n, e["severity"]))

    for c in CASES:
        p, cats, text = c["_post"], c["cats"], c["text"]
        role = role_of(p["platform"] + ":" + p["account"]["handle"])
        if role != c["_role"]:
            fail("role mismatch " + p["id"])
        if role == "public" and c["acct"].lower() in ROLE:
            fail("public handle collides with profile " + c["acct"])
        # identifiers
        for t, v in c["ids"]:
            if norm(v) not in norm(text):
                fail("%s: declared %s not in text" % (p["id"], t))
            if t in STRONG_IDS and not STRONG_IDS[t](v):
                fail("%s: positive %s fails checksum: %s" % (p["id"], t, v))
            if t == "iban" and norm(v).upper() in public_ibans:
                fail("%s: positive uses public IBAN" % p["id"])
        if c["ids"] and PII not in cats:
            fail("%s: identifiers declared but not PII" % p["id"])
        if PII in cats and not c["ids"]:
            fail("%s: PII without declared identifiers" % p["id"])
        for t, v in c["fakes"]:
            if norm(v) not in norm(text):
                fail("%s: declared fake %s not in text" % (p["id"], t))
            if STRONG_IDS[t](v):
                fail("%s: look-alike %s passes its checksum: %s" % (p["id"], t, v))
        if PII not in cats:
            for t, v in valid_ids_in(text):
                if t == "iban" and norm(v).upper() in public_ibans:
                    continue
                fail("%s: undeclared valid %s in non-PII post: %s" % (p["id"], t, v))
            for m in EMAIL_RE.finditer(text):
                if m.group().lower() not in public_emails and "@" not in m.group()[:1]:
                    # handles like @foo are not e-mails; only flag real addresses
                    if re.match(r"^[\w.+-]+@[\w-]+\.[a-z]{2,}$", m.group().lower()) and \
                            m.group().lower().split("@")[1] not in ("mastodon.social", "mastodon.nl", "fosstodon.org"):
                        fail("%s: private e-mail in non-PII post: %s" % (p["id"], m.group()))
            if re.search(r"(?<!\d)(?:\+31|0031|0)[ -]?6[ -]?\d", text):
                fail("%s: mobile number in non-PII post" % p["id"])
        # secrets
        for t, v in c["secrets"]:
            if v not in text:
                fail("%s: secret not in text" % p["id"])
            if t == "github" and not github_ok(v):
                fail("%s: GitHub token CRC wrong" % p["id"])
            if t == "aws" and not re.fullmatch(r"AKIA[A-Z2-7]{16}", v):
                fail("%s: AWS key id malformed" % p["id"])
            if t == "jwt" and not jwt_ok(v):
                fail("%s: JWT header lacks alg" % p["id"])
        if (SECRET in cats) != bool(c["secrets"]):
            fail("%s: secret label vs generated secrets" % p["id"])
        # embargo
        created = datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
        low = text.lower()
        for term, until in embargo:
            if term in low:
                if created < until and CONF not in cats:
                    fail("%s: embargoed term %r before until not labelled" % (p["id"], term))
                if not cats and created < until:
                    fail("%s: benign post with embargo term before until" % p["id"])
        # internal words must not appear in benign posts (the bird post says 'kraanvogels')
        if not cats:
            for w in internal_words:
                if re.search(r"(?<![\w])" + re.escape(w) + r"(?![\w])", low):
                    fail("%s: internal term %r in benign post" % (p["id"], w))
        # pricing
        if c["price"]:
            sku, amount = c["price"]
            lp = products[sku]["list_price"]
            below = amount < prof["pricing"]["alert_below_ratio"] * lp
            if (PRICING in cats) != below:
                fail("%s: price %.2f vs list %.2f disagrees with label" % (p["id"], amount, lp))
        if PRICING in cats and not c["price"]:
            fail("%s: pricing positive without price" % p["id"])

    # the mix
    n = len(CASES)
    benign = sum(1 for c in CASES if not c["cats"])
    per = {k: sum(1 for c in CASES if k in c["cats"]) for k in sorted(CATEGORIES)}
    nl = sum(1 for c in CASES if c["lang"] == "nl")
    if not (170 <= n <= 180):
        fail("case count %d" % n)
    if not (55 <= benign <= 65):
        fail("benign count %d" % benign)
    want = {COMPLAINT: 20, CONF: 18, PII: 15, CRISIS: 15, SEC: 13, SECRET: 12, ABUSE: 12,
            PRICING: 12, FIN: 12}
    for k, w in want.items():
        if abs(per[k] - w) > 3:
            fail("category %s has %d, want ~%d" % (k, per[k], w))
    if not (0.50 <= nl / n <= 0.60):
        fail("Dutch share %.2f" % (nl / n))
    roles = {}
    for c in CASES:
        if any(x.startswith("leak.") for x in c["cats"]):
            roles[c["_role"]] = roles.get(c["_role"], 0) + 1
    if roles.get("public", 0) >= roles.get("corporate", 0) + roles.get("employee", 0):
        fail("leaks should come mostly from own accounts: %r" % roles)
    if sum(1 for c in CASES if c["evasion"]) < 5:
        fail("need a handful of evasion posts")
    if not any(c["_post"]["created_at"].startswith("2027") for c in CASES):
        fail("need some 2027 posts")
    return n, benign, per, nl, roles


def main():
    lines = [json.dumps(o, ensure_ascii=False, separators=(",", ":")) for o in build()]
    with open(os.path.join(HERE, "cases.jsonl"), "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    with open(os.path.join(HERE, "cases.jsonl"), encoding="utf-8") as fh:
        n, benign, per, nl, roles = check(fh.read().splitlines())
    sev = {}
    for line in lines:
        s = json.loads(line)["expect"]["severity"]
        sev[s] = sev.get(s, 0) + 1
    print("cases=%d benign=%d nl=%.0f%% leak-roles=%s" % (n, benign, 100.0 * nl / n, roles))
    print("per category: " + ", ".join("%s=%d" % kv for kv in per.items()))
    print("severities: " + ", ".join("%s=%d" % kv for kv in sorted(sev.items(), key=lambda kv: RANK[kv[0]])))
    print("self-check OK")


if __name__ == "__main__":
    main()
