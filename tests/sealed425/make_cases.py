#!/usr/bin/env python3
"""Build the sealed425 evaluation set for postwatch (Kiezelwind Caravans & Campers).

Deterministic: a fixed seed drives every generated token, timestamp and id.
Writes cases.jsonl next to this file and then checks it against CONTRACT §4/§6.
Only the standard library and PyYAML are used.
"""
import base64
import json
import os
import random
import re
import string
import sys
import unicodedata
import zlib
from datetime import datetime, timedelta, timezone

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))
OUT = os.path.join(HERE, "cases.jsonl")

rng = random.Random(425_2026)

# ---------------------------------------------------------------- checksums

def iban_valid(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def iban_make(cc, bban):
    r = bban + cc + "00"
    n = int("".join(str(int(c, 36)) for c in r))
    return "%s%02d%s" % (cc, 98 - n % 97, bban)


def luhn_valid(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    total = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        total += x
    return total % 10 == 0


def bsn_valid(num):
    d = re.sub(r"\D", "", num)
    if len(d) != 9 or d[0] == "0":
        return False
    s = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return s % 11 == 0


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

# ---------------------------------------------------------------- generators

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def rand(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def gen_github(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF, 6)


def github_valid(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()) & 0xFFFFFFFF, 6) == m.group(2)


def gen_akia():
    return "AKIA" + rand(string.ascii_uppercase + "234567", 16)


def gen_aws_secret():
    return rand(string.ascii_letters + string.digits + "/+", 40)


def gen_stripe():
    return "sk_live_51" + rand(ALNUM, 97)


def gen_mollie():
    return "live_" + rand(string.ascii_letters + string.digits, 30)


def gen_slack():
    return "xoxb-%s-%s-%s" % (rand(string.digits, 12), rand(string.digits, 13), rand(ALNUM, 24))


def gen_openai():
    cs = string.ascii_letters + string.digits + "_-"
    return "sk-proj-" + rand(cs, 74) + "T3BlbkFJ" + rand(cs, 74)


def gen_anthropic():
    return "sk-ant-api03-" + rand(string.ascii_letters + string.digits + "_-", 93) + "AA"


def gen_glpat():
    return "glpat-" + rand(string.ascii_letters + string.digits + "_-", 20)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def gen_jwt():
    header = {"alg": "HS256", "typ": "JWT"}
    iat = 1767225600 + rng.randint(0, 300 * 86400)
    payload = {"sub": "planner-%d" % rng.randint(100, 999), "role": "werkplaats",
               "iss": "planning-api", "iat": iat, "exp": iat + 3600}
    return ".".join([b64url(json.dumps(header, separators=(",", ":")).encode()),
                     b64url(json.dumps(payload, separators=(",", ":")).encode()),
                     b64url(bytes(rng.getrandbits(8) for _ in range(32)))])


def jwt_valid(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    h = parts[0] + "=" * (-len(parts[0]) % 4)
    return "alg" in json.loads(base64.urlsafe_b64decode(h))


def gen_ssh_key():
    raw = b"openssh-key-v1\x00" + bytes(rng.getrandbits(8) for _ in range(384))
    body = base64.b64encode(raw).decode()
    lines = [body[i:i + 70] for i in range(0, len(body), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def gen_password():
    words = ["Caravan", "Zwolle", "Luifel", "Kampeer", "Voortent", "Dakluik", "Stalling", "Reiger"]
    syms = "!#$%&*@?"
    w1, w2 = rng.sample(words, 2)
    return "%s%s%d%s%s" % (w1, rng.choice(syms), rng.randint(10, 99), w2.lower(), rng.choice(syms))


NL_BANKS = ["RABO", "INGB", "ABNA", "SNSB", "ASNB", "TRIO", "KNAB", "BUNQ"]


def gen_iban_ok(country="NL", spaced=None):
    if country == "NL":
        v = iban_make("NL", rng.choice(NL_BANKS) + rand(string.digits, 10))
    elif country == "DE":
        v = iban_make("DE", rand(string.digits, 8) + rand(string.digits, 10))
    else:  # BE
        acct = rand(string.digits, 10)
        chk = int(acct) % 97 or 97
        v = iban_make("BE", acct + "%02d" % chk)
    assert iban_valid(v)
    if spaced is None:
        spaced = rng.random() < 0.6
    return group4(v) if spaced else v


def gen_iban_bad():
    v = re.sub(r"\s", "", gen_iban_ok("NL", spaced=False))
    while True:
        i = rng.randint(8, len(v) - 1)
        w = v[:i] + str((int(v[i]) + rng.randint(1, 9)) % 10) + v[i + 1:]
        if not iban_valid(w):
            return group4(w) if rng.random() < 0.5 else w


def luhn_complete(partial):
    for c in "0123456789":
        if luhn_valid(partial + c):
            return partial + c
    raise AssertionError


def gen_card_ok():
    if rng.random() < 0.5:
        num = luhn_complete("4" + rand(string.digits, 14))
    else:
        num = luhn_complete("5" + rng.choice("12345") + rand(string.digits, 13))
    return group4(num)


def gen_card_bad():
    while True:
        num = "4" + rand(string.digits, 15)
        if not luhn_valid(num):
            return group4(num)


def gen_bsn_ok():
    while True:
        d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        last = sum(d[i] * (9 - i) for i in range(8)) % 11
        if last < 10:
            v = "".join(map(str, d)) + str(last)
            assert bsn_valid(v)
            return v


def gen_bsn_bad():
    while True:
        v = str(rng.randint(100000000, 999999999))
        if not bsn_valid(v):
            return v


GEN = {
    "GHP": gen_github,
    "AKIA": gen_akia,
    "AWSSECRET": gen_aws_secret,
    "STRIPE": gen_stripe,
    "MOLLIE": gen_mollie,
    "SLACK": gen_slack,
    "OPENAI": gen_openai,
    "ANTHROPIC": gen_anthropic,
    "GLPAT": gen_glpat,
    "JWT": gen_jwt,
    "SSHKEY": gen_ssh_key,
    "PWD": gen_password,
    "IBAN_OK": gen_iban_ok,
    "IBAN_DE_OK": lambda: gen_iban_ok("DE", spaced=True),
    "IBAN_BAD": gen_iban_bad,
    "CARD_OK": gen_card_ok,
    "CARD_BAD": gen_card_bad,
    "BSN_OK": gen_bsn_ok,
    "BSN_BAD": gen_bsn_bad,
    "PUBLIC_IBAN": lambda: group4(PROFILE["public_identifiers"]["ibans"][0]),
}


def fw(s):
    """Full-width form of the ASCII letters and digits in s (evasion)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


ZW = "\u200b"          # zero-width space
CY_I, CY_O, CY_E, CY_A = "\u0456", "\u043e", "\u0435", "\u0430"   # Cyrillic look-alikes

# ---------------------------------------------------------------- cases
# Each case: platform, handle, lang, categories, text, and optional kind, month
# (1-12, 2026) or explicit timestamp `at`, and `price=(sku, amount)` for pricing checks.

CASES = []


def C(platform, handle, lang, cats, text, kind="post", month=None, at=None, price=None, name=None):
    CASES.append(dict(platform=platform, handle=handle, lang=lang, cats=sorted(cats), text=text,
                      kind=kind, month=month, at=at, price=price, name=name))


CPL, CRI, ABU = "reputation.complaint", "reputation.crisis", "reputation.abuse"
SEC, PII, PRC = "leak.secret", "leak.pii", "leak.pricing"
CNF, FIN, SCY = "leak.confidential", "leak.financial", "leak.security"

# ======================= benign (hard negatives mostly) =======================
C("x", "@campingcor", "nl", [],
  "Net onze Strandloper 460 opgehaald bij Kiezelwind 🚐☀️ Jongen van de werkplaats heeft alles twee keer uitgelegd, zelfs hoe de boiler leeg moet. Eerste tripje: Drenthe!", month=4)
C("instagram", "@wanderwithmila", "en", [],
  "Three weeks in a rented Trekvogel from Kiezelwind and honestly the van was spotless. Only gripe: I wish the fridge was bigger lol 🧀 #vanlife #netherlands #roadtrip", month=8)
C("x", "@kiezelwind_help", "nl", [],
  "@marieke_kampeert Vervelend dat de mover het niet doet! Bel gerust de werkplaats op 038-5550140 of mail werkplaats@kiezelwind.nl, dan plannen we deze week nog iets in.", kind="reply", month=5)
C("facebook", "KiezelwindCaravansCampers", "nl", [],
  "Winterstalling binnen voor seizoen 2026/2027 is weer te boeken! Droog, bewaakt en met acculader-aansluiting. Normaal €595, vroegboekers tot 1 september krijgen 15% korting (dus €505,75). Vragen? verhuur@kiezelwind.nl",
  month=7, price=("KW-STL-WIN", 505.75))
C("linkedin", "kiezelwind-caravans-campers", "en", [],
  "We're hiring! 🔧 Kiezelwind is looking for two experienced caravan & motorhome technicians for our workshop in Zwolle. Gas certification is a plus, a sense of humour is a must. Send your CV to vacatures@kiezelwind.nl", month=2)
C("x", "@tentpaal_tim", "nl", [],
  "Luifel 350 voortent nu €949 bij kiezelwind ipv 1189. Toch maar doen? Iemand ervaring mee met opzetten in je eentje?", month=3, price=("KW-LUI-350", 949))
C("instagram", "@joris.campert", "nl", [],
  "Nieuwe Stroomkist 100Ah binnen in de shop 🔋 €899 en je staat een week los met de koelkast aan. Vraag er gerust naar bij de balie, ik laat hem graag zien!", month=3, price=("KW-ACC-100", 899))
C("reddit", "u/vanbuild_nl", "en", [],
  "PSA for anyone wiring up a Home Assistant dashboard for the Kiezelwind Zonneset in their camper: don't paste real AWS keys in your yaml. The docs use AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY for a reason 😅", month=6)
C("x", "@hdejong_72", "nl", [],
  "Update: kiezelwind heeft de lekkage bij het dakluik alsnog gratis opgelost én de vochtmeting niet gerekend. Netjes hoor, ik trek mijn klacht van vorige week in 👍", kind="post", month=9)
C("mastodon", "@rvfamily@toot.community", "en", [],
  "Saw the pictures of that storage barn fire in Belgium on the news, awful. Not Kiezelwind btw, ours is stored with them indoors and they showed us the sprinklers last year. Thoughts with the owners.", month=11)
C("x", "@oomkees_op_pad", "nl", [],
  "Mijn vrouw zegt dat de Duinpieper 390 te klein is voor ons twee. Ik zeg: dan slaap jij maar in de voortent 😂 #caravanhumor #kiezelwind", month=6)
C("facebook", "sandra.wieringa.52", "nl", [],
  "Weet iemand of Kiezelwind ook gaskeuringen doet voor caravans die je niet bij hun gekocht hebt? Las iets van €95, dat is toch normaal?", kind="comment", month=3, price=("KW-SRV-GAS", 95))
C("reddit", "u/pothole_pete", "en", [],
  "Big recall announced today for another manufacturer's motorhomes, brake hoses apparently. Does anyone know if the Zwerver T690 uses the same chassis supplier? Asking before I panic 😬", month=5)
C("x", "@kiezelwind", "nl", [],
  "⚠️ Let op: huur en borg betaal je ALLEEN op onze eigen rekening {PUBLIC_IBAN} t.n.v. Kiezelwind Caravans & Campers B.V. Krijg je per app een ander nummer? Niet betalen en meld het bij ons.", month=6)
C("facebook", "annemiek.post", "nl", [],
  "Kreeg een appje 'van Kiezelwind' dat ik de borg moest overmaken naar {IBAN_BAD}. Mijn bankapp zei meteen: ongeldig rekeningnummer. Haha nice try. Opletten mensen!", month=6)
C("x", "@dadjokes_on_wheels", "en", [],
  "My 9yo typed a made-up card number ({CARD_BAD}) into the Kiezelwind booking form 'to test it' and it got rejected instantly. Good job devs, now please stop him from booking a Zwerver 😂", month=7)
C("x", "@gert_zwolle", "nl", [],
  "Waarom vraagt het verzekeringsformulier van de huurcamper om een BSN? Heb er maar {BSN_BAD} ingevuld, slaat nergens op. Wie weet of dat echt nodig is?", month=4)
C("x", "@joost_ictbeheer", "en", [],
  "Security training today 🙃 Rule #1: never paste a token like ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx into a team chat, not even 'just for a sec'.", month=2)
C("linkedin", "kiezelwind-caravans-campers", "nl", [],
  "Vandaag publiceren we onze jaarcijfers 2026. De werkplaats groeide met 12%, de verhuur bleef stabiel en we verwelkomden 31 nieuwe collega's. Het volledige verslag staat op kiezelwind.nl/investeerders.",
  at="2027-03-05T09:30:00Z")
C("instagram", "@campervanbarbara", "en", [],
  "Finally saw the Zwerver I820 in real life at the Kiezelwind open days and that bed layout 😍 Husband is already doing maths on the back of a receipt.", at="2027-03-01T14:12:00Z")
C("instagram", "@kiezelwind.campers", "nl", [],
  "Deze week in de shop: Fietsendrager Duo voor €399 in plaats van €469 🚲 Past op bijna elke caravan-dissel. Op = op!", month=4, price=("KW-FDR-DUO", 399))
C("x", "@bram_werkplaats", "nl", [],
  "Trots op de mannen en vrouwen van de werkplaats vandaag: 14 gaskeuringen, 3 movers ingebouwd en een heel dak opnieuw gekit, en om 5 uur stond alles buiten. Koffie morgen van mij ☕ #caravanlife", month=4)
C("x", "@sjaak_tuinhek", "nl", [],
  "Die RijMaat mover is echt een beest, ik parkeer de Kwartel nu in 1x tussen de heg en de schuur. Kiezelwind jullie zijn gestoord 🤣", month=5)
C("x", "@solarsam_nl", "en", [],
  "That Zonneset 200W deal at Kiezelwind is killer, €619 for panel + controller. Fitted it myself in an afternoon, already topping off the battery by noon ☀️", month=5, price=("KW-ZON-200", 619))
C("facebook", "wim.en.ria.op.reis", "nl", [],
  "Brandblusser, blusdeken én een rookmelder zitten standaard in elke huurcamper van Kiezelwind. Fijn, dat had ik eerlijk gezegd niet verwacht. Die andere verhuurder had niks.", kind="comment", month=7)
C("threads", "@oldcaravanlove", "en", [],
  "Took the Strandloper in for the moisture check (vochtmeting, €79) and… zero leaks after 6 years. Kiezelwind's guy said it's one of the driest he's seen this spring 💧🚫", month=4, price=("KW-SRV-VCH", 79))
C("instagram", "@rijbewijsBE_anouk", "nl", [],
  "Crashcursus achteruit rijden met een caravan gedaan bij Kiezelwind zaterdag. Aanrader voor beginners!! Instructeur bleef zó rustig terwijl ik bijna de pilaar meenam 😅", month=3)
C("x", "@famvanderlinden", "en", [],
  "Is €1,395 for a July week in a Trekvogel normal? Kiezelwind quoted that and it seems on par with the others we checked, just want a sanity check.", month=2)
C("tiktok", "@kiezelwindverhuur", "nl", [],
  "POV: je haalt je eerste huurcamper op en Dennis legt uit hoe het chemisch toilet werkt 🚽😂 #kiezelwind #campertok #eerstekeer", month=5)
C("mastodon", "@privacynerd@infosec.exchange", "en", [],
  "Another European RV rental platform got breached, passport scans out in the open. Not Kiezelwind, before anyone asks: their privacy page says they don't even keep ID copies after check-in.", month=10)
C("x", "@hondenmens_ria", "nl", [],
  "Ik boycot al jaren campings die honden weigeren 🐶 Gelukkig mag onze viervoeter gewoon mee in de huurcaravan van Kiezelwind.", month=7)
C("linkedin", "pieter-hoogland-quality", "en", [],
  "Great session with the Kiezelwind workshop on quality audits today. Not sharing the deck, it's their internal stuff, but the main lesson: check the sealant before the season, not after.", month=3)
C("x", "@mvanleeuwen_", "nl", [],
  "Wachtwoord vergeten voor Mijn Kiezelwind en de resetmail kwam maar niet... oh wacht, stond in de spam. Laat maar 🙈", month=1)
C("x", "@kidsinthebunks", "en", [],
  "That Kwartel 650 is insane, the kids went absolutely nuts over the bunk beds. Kiezelwind sales guy didn't even try to upsell us, respect.", month=9)
C("threads", "@weekendjeweg_nl", "nl", [],
  "Schandalig weer dit weekend ⛈️ maar in de Reiger 540 zaten we droog en warm, kachel van Kiezelwind-onderhoud draaide als een zonnetje.", month=10)
C("facebook", "klassiekecaravan.club", "en", [],
  "Our old girl was born on 12 March 1998 and still going strong thanks to the yearly Kiezelwind service 😄 Happy birthday caravan!", kind="comment", month=3)
C("x", "@marco_in_a_van", "en", [],
  "Broke down near Lyon at 2am, called the Kiezelwind breakdown line +31 38 555 0199 and someone actually picked up and sorted a garage. Legends.", month=8)
C("x", "@ruben_kw", "nl", [],
  "Vandaag cursus 'phishing herkennen' gehad op de zaak. Leuk dat ze er werk van maken. Tip: klik nooit op een betaallink van een 'huurder' die haast heeft 😉", month=2)
C("bluesky", "@lostinzwolle.bsky.social", "en", [],
  "Maps outage had us circling the Kiezelwind lot for 20 minutes lol, finally found it behind the furniture store. Worth it though.", month=6)
C("x", "@caravannieuws_be", "nl", [],
  "Triest nieuws: een grote Duitse caravanbouwer schrapt 400 banen. Hopelijk hebben dealers als Kiezelwind er niet te veel last van.", month=9)
C("x", "@anja_klaas", "nl", [],
  "@kiezelwind_help top, bedankt voor het snelle terugbellen! Afspraak voor de jaarbeurt caravan staat 👍", kind="reply", month=2)
C("x", "@noorder_nomad", "en", [],
  "Kiezelwind fixed my fridge in 20 min. Twenty. Minutes. The other dealer wanted to keep it for three weeks.", month=6)
C("facebook", "jan.bosma.kampen", "nl", [],
  "Grote beurt camper €649 bij Kiezelwind, bij de merkdealer €780. Scheelt toch weer een dagje camping.", kind="comment", month=2, price=("KW-SRV-GB", 649))
C("x", "@doublecheck_dana", "en", [],
  "Thought Kiezelwind charged me twice, but the card ending 4417 just shows the weekend rental and a refund for the old booking. My bad 🙏", month=5)
C("x", "@bram_werkplaats", "en", [],
  "Spent the afternoon explaining to our trainee what a JWT is. Header, payload, signature. Now he calls everything 'a token', including my sandwich 😂", month=10)
C("facebook", "hennie.vos.1957", "nl", [],
  "Mijn vader kocht in 1992 een caravan voor 9.000 gulden. Nu kost een Duinpieper 390 al 16 mille. Bizar hoe dat gaat, maar hij is het wel waard.", kind="comment", month=1, price=("KW-DUI390", 16000))
C("x", "@budgetbackpacker", "en", [],
  "Lol an airline had a price error and sold Amsterdam–Bali for €80. Meanwhile I'm here saving up for a Trekvogel 540 at full price 😭", month=11)
C("instagram", "@weekendweg.lisa", "nl", [],
  "Weekendhuur Strandloper was €245 incl. schoonmaak. Prima prijs voor twee nachtjes Vechtdal 🌲", month=5, price=("KW-HUUR-WE", 245))
C("instagram", "@zeeland.kids", "en", [],
  "Saw a real seahorse (zeepaard!) at the beach today, the kids lost it 🐠 Parked the Kiezelwind caravan right behind the dunes, best spot ever.", month=8)
C("x", "@ongeduldige_piet", "nl", [],
  "Hoe lang duurt een jaarbeurt caravan bij kiezelwind gemiddeld? Moet hem vrijdag terug hebben voor de Ardennen.", month=4)
C("x", "@phoneless_phil", "en", [],
  "My phone died halfway through the Kiezelwind check-in video but the staff just printed everything for me. Old school, love it.", month=7)
C("facebook", "familie.dijkhuis", "nl", [],
  "Sterkte aan iedereen van Kiezelwind. Gerrit, de oude baas, is overleden las ik. Hij verkocht ons in 2004 onze eerste caravan en kwam zelf de luifel opzetten. 🕯️", month=11)
C("bluesky", "@vanvsvan.bsky.social", "en", [],
  "hot take: caravans > motorhomes. fight me. (ok fine, Kiezelwind's Zwerver I740 is very tempting)", month=9)
C("reddit", "u/accuheld", "nl", [],
  "Heb je een API-sleutel nodig om de Stroomkist van Kiezelwind uit te lezen? Volgens mij gaat dat gewoon via bluetooth in de app, geen account nodig.", month=6)
C("x", "@kiezelwind_help", "en", [],
  "Hi Tom, sorry to hear that! For password resets please use 'forgot password' on verhuur.kiezelwind.nl. We will never ask for your password by e-mail or DM.", kind="reply", month=3)
C("instagram", "@vandeboschonderweg", "nl", [],
  "Mooie camping in Zeeland, hele oprit ligt vol blauwe kiezels. De RijMaat mover had er geen enkele moeite mee, zo de hoek om 💪", month=7)
C("instagram", "@vanlife_kees", "en", [],
  "Test drive of the new Trekvogel Van 640 4x4 at Kiezelwind today. Gravel road, muddy field, no drama. Now to convince the bank 😅", at="2027-02-22T15:40:00Z")
C("x", "@lotte_verhuur", "nl", [],
  "Nog een paar weekjes in augustus vrij! Huurweek Trekvogel €1.395 incl. fietsendrager. Mail naar verhuur@kiezelwind.nl of bel 0800-5439 ☀️", month=5, price=("KW-HUUR-WK", 1395))
C("youtube", "@KiezelwindTV", "nl", [],
  "Nieuwe video: zo doe je zelf een snelle vochtcontrole van je caravan voordat je hem naar ons brengt. Geen gereedschap nodig, alleen een zaklamp en een beetje geduld.", month=2)
C("x", "@camperjan_", "en", [],
  "Kiezelwind sorted my warranty claim on the awning without any fuss. Took a week, but new zip, no charge. That's how it should be.", month=8)
C("x", "@marjolein_travels", "nl", [],
  "Eerlijk is eerlijk: vorige maand klaagde ik hier over de wachttijd bij kiezelwind, maar vandaag belde de werkplaatschef me zelf op om sorry te zeggen. Camper is klaar. 🙌", month=6)

# ======================= complaints =======================
C("x", "@gerdina_k", "nl", [CPL],
  "3 weken wachten op een onderdeel voor de koelkast en nu zegt kiezelwind dat het 'nog wel even' duurt. Vakantie begint vrijdag. Lekker dan. #klantonvriendelijk", month=7)
C("x", "@mattvdb", "en", [CPL],
  "Picked up our rental from @kiezelwind and the grey water tank was still half full of someone else's dishwater. Gross. Then they charged us a €75 cleaning fee on return?? Please explain.", month=8)
C("facebook", "ellen.brouwer.71", "nl", [CPL],
  "Caravan opgehaald na de jaarbeurt en de fietsendrager zit scheef, kras in de lak van 20 cm en niemand weet ergens van. Bellen heeft geen zin, ze nemen gewoon niet op.", kind="comment", month=4)
C("reddit", "u/depositgone", "en", [CPL],
  "Kiezelwind still hasn't refunded my €1000 deposit six weeks after we returned the camper without a scratch. Three emails, two calls, one 'we'll look into it'. Is there anything I can do besides small claims?", month=9)
C("facebook", "rob.timmer.3", "nl", [CPL],
  "Vochtmeting laten doen, €79 betaald, rapportje van één zin: 'geen bijzonderheden'. Week later staat er water onder het bed. Serieus kiezelwind??", kind="comment", month=10, price=("KW-SRV-VCH", 79))
C("x", "@helenetraveller", "en", [CPL],
  "@kiezelwind_help day 4 of no reply. starting to think your 'help' account is a bot 🙃", kind="reply", month=6)
C("instagram", "@caravanmama_", "nl", [CPL],
  "RijMaat mover laten inbouwen, na twee keer gebruiken doet de afstandsbediening niks meer. Terug naar de werkplaats: 'geen tijd tot eind juni'. Dan maar met de hand schuiven zeker 😤", kind="comment", month=5)
C("forum", "kampeerdersforum:familie_5", "en", [CPL],
  "Booked a Kiezelwind rental caravan for the family trip months ago. Two days before departure: 'sorry, double booked, you can have a smaller one'. Four bunks became two. No discount, no apology. Unreal.", month=7)
C("threads", "@nieuwecaravanneshat", "nl", [CPL],
  "Bij het afleveren van onze nieuwe Strandloper 520 bleek de kachel niet eens aangesloten. Monteur kwam pas na drie dagen. Voor 27 mille verwacht je toch iets beters kiezelwind", month=10, price=("KW-STR520", 27000))
C("tiktok", "@solarsadness", "en", [CPL],
  "ordered the solar kit in april, still not installed in july. every time i call its 'next week'. never again kiezelwind", kind="comment", month=7)
C("x", "@henkie_b", "nl", [CPL],
  "waarom is de winterstalling bij kiezelwind ineens 120 euro duurder dan vorig jaar zonder dat iemand dat meld?? staat nergens op de factuur uitgelegt", month=10)

# complaint + abuse
C("facebook", "dirk.vanwijk.888", "nl", [CPL, ABU],
  "Kiezelwind zijn gewoon oplichters en die verkoper Rick is een arrogante klootzak. Vier maanden op mijn camper gewacht en nu is hij 'per ongeluk verkocht aan een andere klant'.", kind="comment", month=3)
C("x", "@rottenfloor_uk", "en", [CPL, ABU],
  "Your workshop manager is a useless idiot. Told me the damp was 'cosmetic' and now the whole floor of my caravan is rotten. Fix it, morons. @kiezelwind", month=11)
# complaint + pii (customer exposing own data)
C("x", "@r_vandijk79", "nl", [CPL, PII],
  "@kiezelwind_help nog steeds niks gehoord over mijn schadeclaim van 12 juni. Bel me maar op 06-41 29 83 57 of mail r.vandijk1979@gmail.com, ik ben het echt zat nu", kind="reply", month=7)
C("x", "@paymentpain", "en", [CPL, PII],
  "Ugh the Kiezelwind payment page keeps failing. Card is {CARD_OK}, exp 11/27, money is on it, what is wrong with your site??", month=4)

# safety: crisis + complaint (first-hand)
C("facebook", "nienke.hofstra", "nl", [CRI, CPL],
  "Onze huurcamper van Kiezelwind: gaslucht bij de kookplaat vanaf dag 1, gemeld, 'is normaal'. Gisteravond een steekvlam bij het aansteken en mijn vriendin haar hand verbrand. Zitten nu bij de huisartsenpost. Dit had veel erger kunnen aflopen.", month=8)
C("x", "@smokeybattery", "en", [CRI, CPL],
  "The Stroomkist lithium battery Kiezelwind fitted in our van started smoking under the seat last night. Got the kids out, smothered it with the fire blanket. Could've lost everything. Still waiting for a call back.", month=6)
C("x", "@trillendebert", "nl", [CRI, CPL],
  "Na de jaarbeurt bij kiezelwind liet op de A28 bijna het rechterwiel van de caravan los, wielbouten zaten niet aangedraaid. Bij 90 begon hij te slingeren. Ik zit nog steeds te trillen.", month=4)
C("facebook", "gwen.oakes.uk", "en", [CRI, CPL],
  "Got a proper shock off the 230V hookup socket on our Reiger 540 right after Kiezelwind 'fixed' the wiring. My husband's arm was numb for an hour. Who signs off this work??", kind="comment", month=7)
C("x", "@gezinvisscher", "nl", [CRI, CPL],
  "Hele gezin ziek na een weekje in een huurcamper. Hoofdpijn, overgeven. Bleek de CO-melder geen batterij te hebben en de kachel slecht af te voeren. Kiezelwind, jullie hadden ons kunnen vermoorden.", month=10)
C("reddit", "u/a28_nightmare", "en", [CRI, CPL],
  "Fietsendrager Duo came off on the A28 with both e-bikes on it. The car behind us had to swerve into the next lane. The mounting bolts Kiezelwind fitted last week sheared clean off. Nobody hurt, by pure luck.", month=5)

# crisis only (third party, boycott, lawsuit, recall, breach accusation)
C("x", "@nieuws_vechtdal", "nl", [CRI],
  "Op een camping bij Ommen is vannacht een camper van verhuurbedrijf Kiezelwind volledig uitgebrand. Volgens omstanders begon het bij de accubak. Niemand raakte gewond.", month=8)
C("reddit", "u/concerned_camper", "en", [CRI],
  "Rumours on the forum that Kiezelwind customer data is being sold: someone posted a spreadsheet with names, phone numbers and rental dates. If true that's a massive breach. Anyone been contacted by them?", month=9)
C("x", "@eerlijkwerk_nu", "nl", [CRI],
  "BOYCOT Kiezelwind! Ze laten monteurs zonder contract 60 uur per week draaien en ontslaan wie klaagt. Deel dit. #boycotkiezelwind", month=11)
C("linkedin", "mr-fleur-janssens-advocaat", "en", [CRI],
  "Over 30 rental customers have now joined the collective claim against Kiezelwind Caravans & Campers over withheld deposits. We filed at the court in Zwolle this morning.", month=12)
C("facebook", "zwerverrijders.nl", "nl", [CRI],
  "Terugroepactie op komst? Bericht in de groep: bij de Zwerver T690 kan de gasleiding achter de koelkast doorschuren. Kiezelwind zegt nog niks officieel, wel al drie meldingen hier.", month=6)
C("x", "@ferrywatch", "en", [CRI],
  "Local news: a Kiezelwind rental motorhome rolled back down the ramp at the ferry terminal and hit two pedestrians. Both taken to hospital, one seriously injured.", month=7)
C("x", "@consumentenradar", "nl", [CRI],
  "Schandaal bij Kiezelwind: verkopers draaiden kilometertellers van occasions terug. Vanavond in de uitzending, met verborgen camerabeelden.", month=2)
C("bluesky", "@checkyourstatements.bsky.social", "en", [CRI],
  "If you rented from Kiezelwind this summer, check your bank statements. Several of us had strange charges right after paying through their booking page. Something is seriously wrong there and they're saying nothing.", month=9)

# ======================= abuse =======================
C("x", "@tyfus_tim", "nl", [ABU],
  "Kiezelwind stelletje kankerlijers, zoek een ander vak", kind="reply", month=1)
C("x", "@angry_al_88", "en", [ABU],
  "that blonde girl at the kiezelwind rental desk is a brain-dead cow, someone fire her already", month=7)
C("x", "@zwijgmaar_nl", "nl", [ABU],
  "Die monteurs van kiezelwind zijn echt een stelletje t y f u s l i j e r s, allemaal", month=3)
C("x", "@no_filter_frank", "en", [ABU],
  "Kiezelwind staff are f*cking " + CY_I + "d" + CY_I + CY_O + "ts, every single one of them", month=8)
C("facebook", "henk.nederlandsepapieren", "nl", [ABU],
  "Natuurlijk weer zo'n buitenlander achter de balie bij kiezelwind die geen woord Nederlands spreekt. Ga terug naar je eigen land.", kind="comment", month=5)
C("x", "@bram_werkplaats", "en", [ABU],
  "Had a customer today who reversed his caravan into our gate three times and then blamed us. Absolute moron. Some people shouldn't be allowed a licence, f*cking clowns.", month=6)
C("instagram", "@joris.campert", "nl", [ABU],
  "Die klant van vanochtend mag echt de pest krijgen, wat een vuile trut was dat. Nooit meer 🤬 #verkoperleven", month=8)
C("x", "@anon77348", "en", [ABU],
  "@bram_werkplaats I know where you park your car. Keep lying to customers and see what happens to it.", kind="reply", month=11)
C("x", "@boos_in_dalfsen", "nl", [ABU],
  fw("kutbedrijf") + " kiezelwind, " + fw("oprotten") + " met jullie rotcampers", month=9)
C("threads", "@l33tcamper", "nl", [ABU],
  "kiezelwind kan de p0t 0p, st3lletje kl00tz4kk3n daar", month=10)

# ======================= confidential =======================
C("x", "@ruben_kw", "nl", [CNF],
  "Eindelijk de eerste tekeningen van Project Zeepaard gezien. Als dit doorgaat hebben we volgend jaar de lichtste caravan van de Benelux 🤫", month=3)
C("linkedin", "henk-oosterhuis-kiezelwind", "en", [CNF],
  "Busy week preparing the dealer training for Operatie Gierzwaluw. Can't say more yet, but our rental customers are going to love it 🚐", month=4)
C("instagram", "@joris.campert", "nl", [CNF],
  "Haha kijk wat er op de planning staat 👀 https://jira.kiezelwind.nl/browse/ZEE-112 'chassis verlengen Reiger'. Wordt mooi!", month=5)
C("reddit", "u/caravanclaudia", "en", [CNF],
  "My cousin works at Kiezelwind and says there's a new integral coming called the Zwerver I820, reveal at the fair in February. Anyone heard anything?", at="2026-11-14T19:22:00Z")
C("x", "@lotte_verhuur", "en", [CNF],
  "For my colleagues: the new booking dashboard is at http://intra.kiezelwind.local/verhuur/planning, the old one is gone from Monday!", month=1)
C("facebook", "KiezelwindCaravansCampers", "nl", [CNF],
  "KW-VERTROUWELIJK – Nieuwe inruilvoorwaarden vanaf 1 april: caravans max 8 jaar oud, taxatie altijd door de werkplaatschef, geen inruil bij huurkoop.", month=3)
C("linkedin", "naima-bouzid-kw", "nl", [CNF],
  "Trots op ons team! Zojuist 'Blauwe Kiezel' gepresenteerd aan de directie: ons nieuwe abonnementsmodel voor campers. Nu duimen 🤞", month=6)
C("tiktok", "@monteur_dennis", "en", [CNF],
  "sneak peek from the workshop: first Trekvogel Van 640 4x4 prototype just rolled in 🤐 don't tell my boss lol", at="2026-10-08T16:05:00Z")
C("reddit", "u/forumlezer_ovl", "nl", [CNF],
  "Iemand heeft een pdf op het camperforum gezet met 'intern - niet verspreiden' erop: de inkoopprijzen van Kiezelwind voor volgend seizoen. Staat nu overal.", month=9)
C("x", "@ruben_kw", "nl", [CNF],
  "Vrijdag borrel want O" + ZW + "peratie Gier" + ZW + "zwaluw is goedgekeurd 🍻🍻", month=6)
C("mastodon", "@sietske@mastodon.nl", "en", [CNF],
  "Big milestone for Project Z.e.e.p.a.a.r.d today, first road test went perfectly. Can't wait to show you all.", month=9)
C("x", "@kiezelwind", "en", [CNF],
  "Reminder for our dealer partners: the new price list is on https://dms.kiezelwind.local/prijzen/2027, log in with your usual account.", month=11)
C("instagram", "@joris.campert", "nl", [CNF],
  "Mijn scherm vandaag 😅 (kiezelwind confidential, dus niet doorsturen haha) de nieuwe indeling van de showroom!", month=2)
C("x", "@trailerspotter", "en", [CNF],
  "Spotted near Zwolle: Kiezelwind's next van, 'Trekvogel Van 640', on a trailer under a half-open cover. Reveal isn't until February apparently.", at="2027-01-16T11:48:00Z")
C("threads", "@ilse.kiezelwind", "nl", [CNF],
  "Project Z" + CY_E + CY_E + "paard gaat volgende week naar de testbaan, duimen jullie mee? 🙏", month=8)
C("linkedin", "kiezelwind-caravans-campers", "en", [CNF],
  "Welcome to our new colleagues! Please connect via vpn.kiezelwind.nl before opening the planning tool on your first day.", month=9)
# confidential + financial
C("linkedin", "henk-oosterhuis-kiezelwind", "en", [CNF, FIN],
  "Blauwe Kiezel is basically us buying a rental fleet in Germany. Deal should close in Q1, 200 extra campers. Exciting times ahead!", month=10)
C("x", "@lotte_verhuur", "nl", [CNF, FIN],
  "Wie wil er al een voorproefje van de jaarcijfers 2026? Spoiler: het was een topjaar voor de verhuur 😏", at="2027-02-10T20:15:00Z")

# ======================= financial =======================
C("x", "@bram_werkplaats", "nl", [FIN],
  "Off the record: Q3 verhuuromzet zit 18% onder budget, in november gaan ze snijden in de werkplaats. Houd je vast jongens.", month=10)
C("linkedin", "joost-van-der-heide", "en", [FIN],
  "Heard in the management meeting today that we're being acquired by a Scandinavian RV group. Announcement won't come before spring, so keep it quiet 😉", month=11)
C("instagram", "@joris.campert", "nl", [FIN],
  "Laatste dag vandaag voor 12 collega's, maar dat mag nog niemand weten tot de OR het gehoord heeft 😢", month=11)
C("reddit", "u/throwaway_kw_insider", "en", [FIN],
  "Insider here, not saying who: Kiezelwind will close the Deventer branch next year, the numbers just don't add up. About 25 people.", month=8)
C("x", "@ruben_kw", "en", [FIN],
  "forecast for 2027 just landed in our team chat: +30% motorhome sales, they're betting everything on the Zwerver line. wild", month=12)
C("facebook", "gerben.tuinman.kw", "nl", [FIN],
  "Mooi nieuws dat nog niet naar buiten mag: we nemen Camperverhuur Twente over. Contract is vrijdag getekend 🥂", month=5)
C("linkedin", "naima-bouzid-kw", "en", [FIN],
  "Closing the books: 2026 revenue lands at €48.2m (+9%) and EBITDA at €5.1m. Not published until March, but incredibly proud of this finance team.", month=12)
C("threads", "@ilse.kiezelwind", "nl", [FIN],
  "Reorganisatie bij ons op de zaak: verkoop en verhuur worden samengevoegd, 8 fte eruit per 1 maart. Officieel horen we het pas in januari 😬", month=11)
C("x", "@buurman_weet_alles", "nl", [FIN],
  "Mijn buurman zit in de directie bij kiezelwind: de bank trekt binnenkort de stekker eruit, ze zijn bijna failliet. Niet doorvertellen 🤫", month=10)
C("linkedin", "henk-oosterhuis-kiezelwind", "en", [FIN],
  "H1 numbers came in internally today: workshop revenue +22%, rentals flat, margin on new caravans down to 6%. Not public till September, but proud of my team.", month=7)

# ======================= security =======================
C("x", "@ruben_kw", "nl", [SCY],
  "Hele ochtend geen toegang tot het planningssysteem. Blijkt dat iemand ransomware binnen heeft gehaald via een nepfactuur. Klanten weten nog van niks.", month=3)
C("reddit", "u/kw_dev_joost", "en", [SCY],
  "Our booking site still shows you anyone's rental contract if you change the number at the end of the URL. Reported it internally 3 months ago, nobody cares.", month=5)
C("x", "@lotte_verhuur", "nl", [SCY],
  "De pinautomaat in de showroom ligt er al twee dagen uit en ze denken aan een hack. Officieel heet het 'onderhoud' 🙄", month=6)
C("linkedin", "joost-van-der-heide", "en", [SCY],
  "Long night. Someone got into our customer service mailbox and sent 400 fake invoices to rental customers. Still cleaning up before we tell anyone.", month=7)
C("instagram", "@joris.campert", "nl", [SCY],
  "Weetje van de dag: de gastwifi in onze werkplaats zit gewoon op hetzelfde netwerk als de diagnosecomputers lol. Niemand die het fixt", month=4)
C("x", "@mate_of_kw_it", "en", [SCY, CRI],
  "My mate in Kiezelwind IT says their whole customer database was copied last weekend and they're keeping quiet until after the summer.", month=6)
C("x", "@bram_werkplaats", "nl", [SCY],
  "Collega's opgelet: het volgsysteem van de huurcampers ligt sinds dinsdag plat omdat de gps-leverancier gehackt is. Niet aan klanten vertellen waarom, gewoon 'onderhoud' zeggen.", month=8)
C("mastodon", "@sietske@mastodon.nl", "en", [SCY],
  "Found out the old admin panel of our rental site is still reachable without any login at /admin-oud. Nobody on the web team answers my tickets 🤷", month=9)
C("tiktok", "@monteur_dennis", "nl", [SCY],
  "systeem weer plat vandaag, 3e keer deze maand. IT zegt dat het een DDoS is maar dat mogen we niet tegen klanten zeggen 🙊 #kantoorleven", month=10)
C("facebook", "gerben.tuinman.kw", "en", [SCY, SEC],
  "Great, someone pasted the production database login in the rental owners group: wachtwoord: {PWD} — we're rotating everything tonight, sorry all.", month=4)
C("threads", "@ilse.kiezelwind", "en", [SCY],
  "lol the key safe for the rental campers still has its factory code, never changed. any of the 40 sets of keys is yours if you know where the box hangs", month=5)
C("linkedin", "naima-bouzid-kw", "nl", [SCY],
  "Vandaag bleek dat het lek in ons klantportaal al sinds maart openstond; adressen van huurders waren gewoon op te vragen. Het persbericht komt pas volgende week.", month=10)
C("x", "@vriendinvanmarleen", "nl", [SCY],
  "Vriendin werkt bij kiezelwind op kantoor, zegt dat het hele reserveringssysteem al 2 dagen plat ligt door een storing bij hun hostingpartij. Daarom neemt niemand op, ze mogen het niet zeggen.", month=7)

# ======================= secrets =======================
C("x", "@ruben_kw", "en", [SEC],
  "anyone know why this 404s? curl -H 'Authorization: token {GHP}' https://api.github.com/repos/kiezelwind/planning/issues", month=2)
C("reddit", "u/kw_dev_joost", "en", [SEC],
  "Our camper-tracker lambda keeps timing out. config:\nAWS_ACCESS_KEY_ID={AKIA}\nAWS_SECRET_ACCESS_KEY={AWSSECRET}\nregion eu-west-1. Ideas?", month=3)
C("mastodon", "@sietske@mastodon.nl", "nl", [SEC],
  "Mollie webhook geeft steeds 401 terug terwijl ik gewoon {MOLLIE} meestuur als bearer. Iemand een idee? Word er gek van", month=4)
C("x", "@lotte_verhuur", "nl", [SEC],
  "Wachtwoord van de dealerportal is sinds vandaag {PWD} voor wie het kwijt is 😉", month=5)
C("reddit", "u/freelance_fenna", "en", [SEC],
  "Doing a freelance job for a caravan dealer (Kiezelwind). Their previous dev left this in the footer JS: {STRIPE} - that's a live Stripe key, right?? 😳", month=6)
C("linkedin", "joost-van-der-heide", "en", [SEC],
  "Built a little Slack bot that posts every new rental booking in #verhuur 🚐 Token for anyone who wants to play with it: {SLACK}", month=6)
C("mastodon", "@sietske@mastodon.nl", "en", [SEC],
  "setting up the new diagnostic laptop, dumping my key here so I have it on my phone too:\n{SSHKEY}", month=7)
C("x", "@ruben_kw", "nl", [SEC],
  "waarom weigert de planning-api deze nou weer?? Bearer {JWT}", month=8)
C("threads", "@ilse.kiezelwind", "nl", [SEC],
  "postgres://kwverhuur:{PWD}@10.12.0.23:5432/verhuur werkt niet vanaf thuis, iemand die weet of de poort dicht staat?", month=9)
C("reddit", "u/kw_dev_joost", "en", [SEC],
  "Our rental FAQ chatbot runs on {OPENAI} lol please don't steal it, it's on my personal card", month=10)
C("x", "@bram_werkplaats", "nl", [SEC],
  "nieuw scriptje voor onderdelen opzoeken gemaakt 🤓 wie het thuis wil proberen: anthropic key is {ANTHROPIC}", month=11)
C("mastodon", "@sietske@mastodon.nl", "nl", [SEC],
  "CI draait weer 🎉 Voor de collega's die de runner willen koppelen: token {GLPAT}", month=12)

# ======================= personal data =======================
C("x", "@lotte_verhuur", "nl", [PII],
  "Wie had de huurder van de Trekvogel vorige week? Meneer J. Hoekstra, Dorpsstraat 14, 8061 AB Hasselt, heeft zijn zonnebril laten liggen.", month=7)
C("x", "@ruben_kw", "nl", [PII],
  "Kan iemand mevrouw Visser even terugbellen over haar borg? 06-23 84 71 90, ze wacht al sinds maandag 😬", month=8)
C("x", "@kiezelwind_help", "nl", [PII],
  "@sdegroot_ We hebben je terugbetaling klaargezet naar {IBAN_OK} t.n.v. S. de Groot. Zie je het niet binnen 3 werkdagen, laat het ons weten!", kind="reply", month=9)
C("instagram", "@joris.campert", "en", [PII],
  "Customer left their card in the showroom terminal lol: {CARD_OK} exp 08/28, it's in the safe now, come get it 😂", month=6)
C("threads", "@ilse.kiezelwind", "nl", [PII],
  "Voor de verzekering van een huurcontract: BSN van de huurder is {BSN_OK}, klopt dat formaat of moet er een punt tussen?", month=4)
C("x", "@sjoerdbakker_zw", "nl", [PII],
  "Hoi @kiezelwind_help, wil graag een offerte voor winterstalling. Bereikbaar op 0031 6 18 73 44 20 of sjoerd.bakker@hotmail.com", month=8)
C("linkedin", "henk-oosterhuis-kiezelwind", "en", [PII],
  "Happy 70th to our most loyal customer, Mr. Henk Zandbergen (born 3 May 1956), who has bought seven caravans from us! 🎂", month=5)
C("x", "@thomas_kerkhof", "en", [PII],
  "Kiezelwind asked where to refund my deposit, so here you go: {IBAN_OK} (T. Kerkhof). Please just pay me already.", month=10)
C("tiktok", "@monteur_dennis", "nl", [PII],
  "klant wilde dat ik zijn paspoortnummer op het sleutellabel schreef 😂 NY8J2KL74, Pieter Smeets, zo goed?? #werkplaatsleven", month=6)
C("facebook", "KiezelwindCaravansCampers", "nl", [PII],
  "Gefeliciteerd aan de winnaar van onze zomeractie: Fenna de Boer uit Kampen! Fenna, we nemen contact op via fenna.deboer@outlook.com en 06-12 77 40 93 🎉", month=8)
C("x", "@bram_werkplaats", "nl", [PII],
  "Duitse klant wil zijn aanbetaling terug op {IBAN_DE_OK} (Klaus Wegener). Kan iemand van boekhouding dat even oppakken?", month=9)
C("facebook", "wraakopkiezelwind", "nl", [PII, ABU],
  "Die vuile oplichter van kiezelwind, Rick Mulder, woont gewoon op de Vechtstraat 22 in Zwolle. Ga daar maar eens aanbellen, die rat.", month=3)
C("x", "@lotte_verhuur", "nl", [PII],
  "Maandag begint onze nieuwe collega Yusuf Ait Lahcen, geboren 14-02-1998. Kan iemand hem in het rooster en de appgroep zetten?", month=1)

# ======================= pricing =======================
C("x", "@koopjesjager_nl", "nl", [PRC],
  "Kiezelwind webshop: Reiger 540 Lounge voor €3.295?! Staat echt zo in m'n winkelwagen. Snel bestellen voor ze het zien 😂", month=2, price=("KW-REI540", 3295))
C("instagram", "@kiezelwind.campers", "en", [PRC],
  "Weekend deal! 🎉 Zwerver T690 half-integrated, from €7.490. Come and see it this Saturday!", month=3, price=("KW-ZWT690", 7490))
C("x", "@ruben_kw", "nl", [PRC],
  "Prijsfout in de webshop bij de RijMaat mover, staat op €154,90 ipv €1549. Wie kan er even naar kijken?", month=4, price=("KW-MOV-RM", 154.90))
C("x", "@dealhunter_eu", "en", [PRC],
  "Is this a price glitch? Stroomkist 100Ah lithium listed at €89 on kiezelwind.nl. Ordered two just in case 👀", month=5, price=("KW-ACC-100", 89))
C("facebook", "karin.jonker.dronten", "nl", [PRC],
  "Haha kiezelwind heeft een foutje gemaakt: Luifel 350 voortent €118,90. Besteld!", kind="comment", month=5, price=("KW-LUI-350", 118.90))
C("x", "@pennypincher_joe", "en", [PRC],
  fw("Zonneset 200W") + " for €72 at Kiezelwind, someone forgot a digit lol 🌞", month=6, price=("KW-ZON-200", 72))
C("facebook", "KiezelwindCaravansCampers", "nl", [PRC],
  "Nu in de showroom: de Duinpieper 390, instapklaar voor €6.450. Kom gauw kijken!", month=3, price=("KW-DUI390", 6450))
C("linkedin", "naima-bouzid-kw", "en", [PRC],
  "Oops: for a few hours our rental page showed the Trekvogel huurweek in July for €139 instead of €1,395. We're honouring the bookings we got 😅", month=4, price=("KW-HUUR-WK", 139))
C("reddit", "u/frugalcamper", "en", [PRC],
  "PSA: Kiezelwind has 'grote beurt camper' at €64,90 on their booking page, normally it's 649. Booked mine for March 🤑", month=1, price=("KW-SRV-GB", 64.90))
C("x", "@spaarvarken_ellen", "nl", [PRC],
  "Winterstalling binnen voor 59 euro per seizoen??? Bij kiezelwind? Dat moet een fout zijn toch", month=9, price=("KW-STL-WIN", 59))
C("tiktok", "@monteur_dennis", "nl", [PRC],
  "wie heeft de prijs van de Kwartel 650 in de configurator aangepast 🙈 staat nu op 3.890", month=10, price=("KW-KWA650", 3890))
C("x", "@impulsbuyer_nl", "en", [PRC],
  "Zwerver I740 for €9,850 on the Kiezelwind used-stock page?? Either a typo or I'm buying a motorhome tonight", month=11, price=("KW-ZWI740", 9850))


# ---------------------------------------------------------------- build

ORDER = ["none", "info", "warning", "error", "critical"]
CHECKSUM_KINDS = {"IBAN_OK", "IBAN_DE_OK", "CARD_OK", "BSN_OK"}
BAD_KINDS = {"IBAN_BAD", "CARD_BAD", "BSN_BAD"}


def role_of(platform, handle):
    key = ("%s:%s" % (platform, handle)).lower()
    for role in ("corporate", "employee"):
        if key in [a.lower() for a in PROFILE["accounts"][role]]:
            return role
    return "public"


def severity(cats, role, has_checksummed_id):
    sev = "none"

    def up(s):
        nonlocal sev
        if ORDER.index(s) > ORDER.index(sev):
            sev = s
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                if c in (SEC, PRC) or (c == PII and has_checksummed_id):
                    up("critical")
                else:
                    up("error")
            else:
                up("warning")
        elif c == CPL:
            up("warning")
        elif c == CRI:
            up("error")
        elif c == ABU:
            up("warning" if role == "public" else "error")
    return sev


def fill(text, tokens):
    def rep(m):
        kind = m.group(1)
        val = GEN[kind]()
        tokens.append((kind, val))
        return val
    return re.sub(r"\{([A-Z_]+)\}", rep, text)


def timestamp(c):
    if c["at"]:
        return c["at"]
    month = c["month"] or rng.randint(1, 12)
    day = rng.randint(1, 28)
    t = datetime(2026, month, day, rng.randint(6, 23), rng.randint(0, 59), rng.randint(0, 59), tzinfo=timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def url_for(platform, handle, pid):
    h = handle.lstrip("@")
    return {
        "x": "https://x.com/%s/status/%s" % (h, pid),
        "instagram": "https://www.instagram.com/p/%s/" % pid,
        "reddit": "https://www.reddit.com/r/camperNL/comments/%s/" % pid,
        "mastodon": "https://%s/@%s/%s" % (h.split("@")[-1], h.split("@")[0], pid),
        "tiktok": "https://www.tiktok.com/@%s/video/%s" % (h, pid),
    }.get(platform)


def build():
    out = []
    meta = []
    used_ids = set()
    for i, c in enumerate(CASES):
        tokens = []
        text = fill(c["text"], tokens)
        role = role_of(c["platform"], c["handle"])
        has_ck = any(k in CHECKSUM_KINDS for k, _ in tokens)
        sev = severity(c["cats"], role, has_ck)
        pid = str(1900000000000000000 + rng.randint(0, 10 ** 17)) if c["platform"] == "x" else "%d%04d" % (425, i)
        cid = "%s-%s" % (c["platform"], pid)
        assert cid not in used_ids
        used_ids.add(cid)
        post = {"id": cid, "platform": c["platform"], "kind": c["kind"],
                "account": {"handle": c["handle"]}, "text": text,
                "created_at": timestamp(c)}
        if rng.random() < 0.85:
            post["lang"] = c["lang"]
        u = url_for(c["platform"], c["handle"], pid)
        if u:
            post["url"] = u
        post["brand"] = "kiezelwind"
        out.append({"post": post, "expect": {"categories": c["cats"], "severity": sev}})
        meta.append(dict(c, role=role, tokens=tokens, text=text))
    return out, meta

# ---------------------------------------------------------------- checks

PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
CATEGORIES = {CPL, CRI, ABU, SEC, PII, PRC, CNF, FIN, SCY}
ISO_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
IBAN_LEN = {"NL": 18, "DE": 22, "BE": 16}
IBAN_RE = re.compile(r"\b(NL|DE|BE)\d{2}(?: ?[A-Z0-9]{4}){2,4}(?: ?[A-Z0-9]{1,2})?\b")
CARD_RE = re.compile(r"\b(?:\d{4}[ -]){3}\d{4}\b|\b\d{16}\b")
BSN_RE = re.compile(r"(?<![\d.,])\b\d{9}\b(?![.,]\d)")


def norm(s):
    s = unicodedata.normalize("NFKC", s).replace(ZW, "")
    return s.lower()


def fail(msg):
    print("CHECK FAILED:", msg)
    sys.exit(1)


def check(rows, meta):
    if not 170 <= len(rows) <= 180:
        fail("case count %d" % len(rows))
    ids = [r["post"]["id"] for r in rows]
    if len(set(ids)) != len(ids):
        fail("duplicate ids")
    public_iban = PROFILE["public_identifiers"]["ibans"][0]
    products = {p["sku"]: p for p in PROFILE["products"]}
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    internal_terms = [t.lower() for t in PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"] + PROFILE["internal"]["domains"]]
    for r, m in zip(rows, meta):
        p, e = r["post"], r["expect"]
        line = json.dumps(r, ensure_ascii=False)
        if json.loads(line) != r:
            fail("round trip %s" % p["id"])
        # §1 / §6 shape
        if set(r) != {"post", "expect"} or set(e) != {"categories", "severity"}:
            fail("shape %s" % p["id"])
        if not (isinstance(p["id"], str) and 1 <= len(p["id"]) <= 256):
            fail("id %r" % p["id"])
        if p["platform"] not in PLATFORMS or p["kind"] not in KINDS:
            fail("platform/kind %s" % p["id"])
        if not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
            fail("handle %s" % p["id"])
        if not isinstance(p["text"], str) or len(p["text"].encode("utf-8")) > 65536 or not p["text"].strip():
            fail("text %s" % p["id"])
        if not ISO_RE.fullmatch(p["created_at"]):
            fail("created_at %s" % p["id"])
        ts = datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
        if ts.year not in (2026, 2027):
            fail("year %s" % p["id"])
        if "{" in p["text"] and re.search(r"\{[A-Z_]+\}", p["text"]):
            fail("unfilled placeholder %s" % p["id"])
        cats = e["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= CATEGORIES:
            fail("categories %s" % p["id"])
        if e["severity"] not in ORDER:
            fail("severity value %s" % p["id"])
        benign = not cats
        if benign and e["severity"] != "none":
            fail("benign severity %s" % p["id"])
        if not benign and e["severity"] in ("none", "info"):
            fail("positive with no severity %s" % p["id"])
        has_ck = any(k in CHECKSUM_KINDS for k, _ in m["tokens"])
        if e["severity"] != severity(cats, m["role"], has_ck):
            fail("severity mismatch %s" % p["id"])
        # generated identifiers
        for kind, val in m["tokens"]:
            if kind in ("IBAN_OK", "IBAN_DE_OK") and not iban_valid(val):
                fail("bad IBAN in %s" % p["id"])
            if kind == "CARD_OK" and not luhn_valid(val):
                fail("bad card in %s" % p["id"])
            if kind == "BSN_OK" and not bsn_valid(val):
                fail("bad BSN in %s" % p["id"])
            if kind == "IBAN_BAD" and iban_valid(val):
                fail("look-alike IBAN passes in %s" % p["id"])
            if kind == "CARD_BAD" and luhn_valid(val):
                fail("look-alike card passes in %s" % p["id"])
            if kind == "BSN_BAD" and bsn_valid(val):
                fail("look-alike BSN passes in %s" % p["id"])
            if kind in CHECKSUM_KINDS and PII not in cats:
                fail("valid identifier without leak.pii %s" % p["id"])
            if kind in BAD_KINDS and not benign:
                fail("look-alike in a positive %s" % p["id"])
            if kind == "GHP" and not github_valid(val):
                fail("github token checksum %s" % p["id"])
            if kind == "AKIA" and not re.fullmatch(r"AKIA[A-Z2-7]{16}", val):
                fail("aws key id %s" % p["id"])
            if kind == "JWT" and not jwt_valid(val):
                fail("jwt %s" % p["id"])
            if kind in ("GHP", "AKIA", "AWSSECRET", "STRIPE", "MOLLIE", "SLACK", "OPENAI", "ANTHROPIC",
                        "GLPAT", "JWT", "SSHKEY", "PWD") and SEC not in cats:
                fail("credential without leak.secret %s" % p["id"])
        # every identifier-shaped string in the text: valid in positives, invalid in negatives
        text = p["text"]
        for mt in IBAN_RE.finditer(text):
            v = re.sub(r"\s", "", mt.group(0))
            if len(v) != IBAN_LEN[v[:2]]:
                continue
            ok = iban_valid(v)
            if v == public_iban:
                continue
            if benign and ok:
                fail("valid IBAN in benign %s" % p["id"])
            if not benign and not ok:
                fail("invalid IBAN in positive %s" % p["id"])
        iban_spans = [mt.span() for mt in IBAN_RE.finditer(text)]
        for mt in CARD_RE.finditer(text):
            if any(a <= mt.start() and mt.end() <= b for a, b in iban_spans):
                continue  # the digit groups of an IBAN, not a card
            ok = luhn_valid(mt.group(0))
            if benign and ok:
                fail("Luhn-valid card in benign %s" % p["id"])
            if not benign and not ok:
                fail("Luhn-invalid card in positive %s" % p["id"])
        for mt in BSN_RE.finditer(text):
            ok = bsn_valid(mt.group(0))
            if benign and ok:
                fail("11-proof number in benign %s" % p["id"])
            if not benign and not ok:
                fail("non-11-proof 9-digit number in positive %s" % p["id"])
        # internal terms and embargo
        nt = norm(text)
        for t in internal_terms:
            if re.search(r"(?<![\w-])" + re.escape(t) + r"(?![\w-])", nt) and CNF not in cats:
                fail("internal term %r without leak.confidential in %s" % (t, p["id"]))
        for emb in PROFILE["embargo"]:
            until = datetime.fromisoformat(emb["until"].replace("Z", "+00:00"))
            for t in emb["terms"]:
                if t.lower() in nt:
                    if ts < until and CNF not in cats:
                        fail("embargo term before until without confidential %s" % p["id"])
                    if ts >= until and CNF in cats:
                        fail("embargo term after until labelled confidential %s" % p["id"])
        # pricing
        if m["price"]:
            sku, amount = m["price"]
            prod = products[sku]
            if not any(a.lower() in nt for a in prod["aliases"] + [prod["name"]]):
                fail("product alias missing in %s" % p["id"])
            below = amount < ratio * prod["list_price"]
            if PRC in cats and not below and not re.search(r"prijsfout|price (glitch|error)|fout", nt):
                fail("pricing case not below ratio %s" % p["id"])
            if PRC not in cats and below:
                fail("benign-priced case below ratio %s" % p["id"])
        elif PRC in cats:
            fail("pricing case without price annotation %s" % p["id"])
        # role expectations
        if m["role"] == "public" and any(
                m["handle"].lower() in a.lower() for a in PROFILE["accounts"]["corporate"] + PROFILE["accounts"]["employee"]):
            fail("public handle collides with profile %s" % p["id"])
    # public contact data must appear only as itself
    # mix
    counts = {c: 0 for c in sorted(CATEGORIES)}
    benign = 0
    nl = 0
    roles = {}
    for r, m in zip(rows, meta):
        for c in r["expect"]["categories"]:
            counts[c] += 1
        benign += not r["expect"]["categories"]
        nl += m["lang"] == "nl"
        key = ("benign" if not r["expect"]["categories"] else
               "leak" if any(c.startswith("leak.") for c in r["expect"]["categories"]) else "reputation")
        roles.setdefault(key, {}).setdefault(m["role"], 0)
        roles[key][m["role"]] += 1
    targets = {CPL: (17, 24), CNF: (15, 21), PII: (13, 18), CRI: (13, 18), SCY: (11, 15),
               SEC: (10, 14), ABU: (10, 14), PRC: (10, 14), FIN: (10, 14)}
    for c, (lo, hi) in targets.items():
        if not lo <= counts[c] <= hi:
            fail("count for %s is %d" % (c, counts[c]))
    if not 55 <= benign <= 65:
        fail("benign count %d" % benign)
    share = nl / len(rows)
    if not 0.53 <= share <= 0.60:
        fail("Dutch share %.2f" % share)
    return counts, benign, share, roles


def main():
    rows, meta = build()
    with open(OUT, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    # re-read what was written and check that
    with open(OUT, encoding="utf-8") as f:
        reread = [json.loads(l) for l in f]
    counts, benign, share, roles = check(reread, meta)
    print("wrote %d cases (%d benign, %d positive) to %s" % (len(reread), benign, len(reread) - benign, OUT))
    print("categories:", json.dumps(counts))
    print("Dutch share: %.2f" % share)
    print("roles:", json.dumps(roles))
    print("self-check OK")


if __name__ == "__main__":
    main()
