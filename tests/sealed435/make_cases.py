#!/usr/bin/env python3
"""Build the sealed435 evaluation set for postwatch (fictional company: Staartwind Hondenzorg B.V.).

Deterministic (fixed seed). Writes cases.jsonl next to this file and self-checks it:
  * every line is a valid CONTRACT section 6 case,
  * severities are computed from CONTRACT section 4 and the account role in profile.yaml,
  * IBAN / card / BSN in positives pass their checksum, look-alikes in negatives fail,
  * credentials are built the way real ones are (GitHub CRC-32, AWS alphabet, JWT header),
  * embargo terms appear before `until` only in positives, after it only in benign posts,
  * benign posts quote no product price below the alert ratio.
Standard library plus PyYAML.
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
SEED = 435
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# --------------------------------------------------------------------------- checksums

def _iban_num(s):
    return int("".join(str(int(c, 36)) for c in s))


def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return _iban_num(s[4:] + s[:4]) % 97 == 1


def make_iban(bank):
    acct = "".join(rng.choice(string.digits) for _ in range(10))
    chk = 98 - _iban_num(bank + acct + "NL00") % 97
    return "NL%02d%s%s" % (chk, bank, acct)


def bad_iban(bank):
    good = make_iban(bank)
    chk = int(good[2:4])
    wrong = (chk + rng.randint(1, 50)) % 97 or 3
    s = "NL%02d%s" % (wrong, good[4:])
    assert not iban_ok(s)
    return s


def spaced(iban):
    return " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    total = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        total += x
    return total % 10 == 0


def make_card(prefix, length=16):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for c in string.digits:
        if luhn_ok(body + c):
            return body + c
    raise AssertionError


def bad_card(prefix):
    good = make_card(prefix)
    last = (int(good[-1]) + rng.randint(1, 9)) % 10
    s = good[:-1] + str(last)
    assert not luhn_ok(s)
    return s


def group4(num):
    return " ".join(num[i:i + 4] for i in range(0, len(num), 4))


def bsn_ok(s):
    d = re.sub(r"\D", "", s)
    if len(d) != 9:
        return False
    total = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return total % 11 == 0 and d != "000000000"


def make_bsn():
    while True:
        d = [rng.randint(1, 6)] + [rng.randint(0, 9) for _ in range(7)]
        last = sum(d[i] * (9 - i) for i in range(8)) % 11
        if last <= 9:
            s = "".join(map(str, d)) + str(last)
            assert bsn_ok(s)
            return s


# --------------------------------------------------------------------------- credentials
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
B64URL = ALNUM + "-_"


def rand(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def base62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def github_token(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + base62(zlib.crc32(body.encode()) & 0xFFFFFFFF, 6)


def github_token_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and base62(zlib.crc32(m.group(1).encode()) & 0xFFFFFFFF, 6) == m.group(2)


def aws_key_id():
    return "AKIA" + rand(string.ascii_uppercase + "234567", 16)


def aws_secret():
    return rand(ALNUM + "/+", 40)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt(payload):
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64url(bytes(rng.randrange(256) for _ in range(32)))
    return f"{head}.{body}.{sig}"


def openssh_key():
    raw = b"openssh-key-v1\x00" + bytes(rng.randrange(256) for _ in range(380))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


# generate every random value up front, in a fixed order
GHP = github_token("ghp_")
AKIA = aws_key_id()
AWS_SECRET = aws_secret()
STRIPE = "sk_live_" + rand(ALNUM, 24)
SENDGRID = "SG." + rand(B64URL, 22) + "." + rand(B64URL, 43)
SLACK = "xoxb-%s-%s-%s" % (rand(string.digits, 12), rand(string.digits, 13), rand(ALNUM, 24))
OPENAI = "sk-proj-" + rand(B64URL, 74) + "T3BlbkFJ" + rand(B64URL, 74)
ANTHROPIC = "sk-ant-api03-" + rand(B64URL, 93) + "AA"
GOOGLE = "AIza" + rand(B64URL, 35)
SSHKEY = openssh_key()
JWT = jwt({"sub": "emp_0417", "role": "admin", "iss": "auth.staartwind.nl",
           "iat": 1777370400, "exp": 1777456800})
DB_PW = rand(ALNUM, 12) + "!" + rand(ALNUM, 4)
ROSTER_PW = "Snuffel#Houten" + rand(string.digits, 2)

IBAN_BOS = make_iban("INGB")
IBAN_VERHOEF = make_iban("ABNA")
IBAN_KUIPERS = make_iban("RABO")
IBAN_TYPO = bad_iban("INGB")
CARD_DESK = make_card("4")
CARD_FRAUD = make_card("52")
CARD_TYPO = bad_card("54")
BSN_YUSUF = make_bsn()
BOOKING_REF = "482913557"       # fails the 11-proof, checked below
assert not bsn_ok(BOOKING_REF)
assert not bsn_ok("123456789")

# --------------------------------------------------------------------------- roles / severity
ROLES = {}
for role in ("corporate", "employee"):
    for entry in PROFILE["accounts"][role]:
        ROLES[entry.lower()] = role


def role_of(platform, handle):
    return ROLES.get(f"{platform}:{handle}".lower(), "public")


RANK = ["none", "info", "warning", "error", "critical"]
PUBLIC_IBANS = {re.sub(r"\s", "", i).upper() for i in PROFILE["public_identifiers"]["ibans"]}

IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\d])(?:\d{4}[ -]?){3}\d{1,7}(?![\d])|(?<![\d])\d{13,19}(?![\d])")
BSN_RE = re.compile(r"(?<![\d.])(?:\d{9}|\d{3}\.\d{3}\.\d{3}|\d{4}\.\d{2}\.\d{3})(?![\d])")


def scan_ids(text):
    """Return ({kind: [valid...]}, {kind: [invalid...]}) for IBAN/card/BSN look-alikes."""
    valid, invalid = {"iban": [], "card": [], "bsn": []}, {"iban": [], "card": [], "bsn": []}
    for m in IBAN_RE.finditer(text):
        s = re.sub(r"\s", "", m.group())
        if s.upper() in PUBLIC_IBANS:
            continue
        (valid if iban_ok(s) else invalid)["iban"].append(s)
    for m in CARD_RE.finditer(text):
        s = re.sub(r"\D", "", m.group())
        if 13 <= len(s) <= 19:
            (valid if luhn_ok(s) else invalid)["card"].append(s)
    for m in BSN_RE.finditer(text):
        (valid if bsn_ok(m.group()) else invalid)["bsn"].append(m.group())
    return valid, invalid


def severity(cats, role, text):
    insider = role in ("corporate", "employee")
    valid, _ = scan_ids(text)
    checksum_id = any(valid.values())
    level = 0
    for c in cats:
        if c.startswith("leak."):
            if insider:
                v = 3
                if c in ("leak.secret", "leak.pricing"):
                    v = 4
                if c == "leak.pii" and checksum_id:
                    v = 4
            else:
                v = 2
        elif c == "reputation.complaint":
            v = 2
        elif c == "reputation.crisis":
            v = 3
        elif c == "reputation.abuse":
            v = 3 if insider else 2
        else:
            raise AssertionError(c)
        level = max(level, v)
    return RANK[level]


# --------------------------------------------------------------------------- cases
CASES = []

C = "reputation.complaint"
K = "reputation.crisis"
A = "reputation.abuse"
PII = "leak.pii"
SEC = "leak.secret"
CONF = "leak.confidential"
FIN = "leak.financial"
SECU = "leak.security"
PRICE = "leak.pricing"


def add(platform, handle, text, cats=(), lang=None, kind="post", at=None,
        ids=(), lookalike=(), price_ok=False):
    CASES.append(dict(platform=platform, handle=handle, text=text, cats=sorted(set(cats)),
                      lang=lang, kind=kind, at=at, ids=tuple(ids), lookalike=tuple(lookalike),
                      price_ok=price_ok))


# ============================ benign (hard negatives mostly) ============================
add("x", "@hondenmoeder_ans",
    "Eerste keer Kiki naar het logeerhuis van @staartwind gebracht en ze kwam helemaal blij terug 🥹 "
    "ze wilde niet eens mee naar huis haha", lang="nl")
add("instagram", "@biscuit.the.beagle",
    "Shoutout to our walker from Staartwind Walks, Biscuit comes home tired and happy every single time. "
    "worth every cent 🐾 #dogsofutrecht", lang="en", kind="comment")
add("x", "@fleur_vd_meer",
    "@staartwind_help hoe laat kan ik zaterdag ophalen in Houten? staat niet in de app", lang="nl", kind="reply")
add("reddit", "u/tired_of_packing",
    "Anyone used Staartwind for a week-long stay? Looking at the Weekpakket Logeren for €265, seems steep-ish "
    "but reviews are decent. How's the suite vs standard? Our lab is 9 and a bit of a diva.", lang="en")
add("facebook", "StaartwindHondenzorg",
    "Zomeractie! 🌞 Boek vóór 1 juni je Weekendpakket en betaal €95,20 in plaats van €119 (20% korting). "
    "Geldt voor alle locaties. Boeken via app.staartwind.nl", lang="nl")
add("x", "@staartwind",
    "Vragen over je boeking? Mail boekingen@staartwind.nl of bel 030-7994410 (ma-za 8:00-20:00). "
    "We helpen je graag! 🐶", lang="nl")
add("instagram", "@staartwind.nl",
    "Meet Pepper, our guest of the week 🐕 She's been charming the whole team in Zeist. Tag a friend whose dog "
    "deserves a spa day — Trimbeurt Klein is €45 as always.", lang="en")
add("x", "@jeroen_bk",
    "mijn hond crasht echt volledig na een groepswandeling van Staartwind 😂 3 uur lang knock-out op de bank",
    lang="nl")
add("threads", "@boris_en_ik",
    "lol de waterbak in Boris z'n kennel bij Staartwind lekte en hij vond het het mooiste speelgoed ooit. "
    "zag het op de foto's die ze stuurden. hele vloer nat, hond blij", lang="nl")
add("x", "@maya_runs",
    "Update: Staartwind sorted the double charge within a day and threw in a free walk. Honestly impressed "
    "with how they handled it 👍", lang="en")
add("facebook", "Petra Hoogland",
    "Eerst was ik boos dat de uitlaatservice te laat was, maar ze belden zelf op om sorry te zeggen en het is "
    "nu helemaal goed opgelost. Zo hoort het.", lang="nl", kind="comment")
add("x", "@northern_paws",
    "Sad news about the kennel fire at PawPalace in Leeds. Thinking of all the owners 💔 hug your dogs tonight",
    lang="en")
add("x", "@tessel_tweets",
    "Weer een hondenhotel in het nieuws vanwege een boycot, dit keer DogStay in Eindhoven. Blij dat wij naar "
    "Staartwind gaan, daar is het echt netjes.", lang="nl")
add("linkedin", "staartwind-hondenzorg",
    "We're hiring dog walkers in Utrecht and Amersfoort! Flexible hours, e-bike provided. Send your CV to "
    "werken@staartwind.nl or call +31 30 799 4410.", lang="en")
add("x", "@mirjam_loopt",
    "Vandaag 6 honden door Amelisweerd gelopen, modderbad inbegrepen 🐕🐕🐕 beste baan van de wereld", lang="nl")
add("x", "@bram_codeert",
    "PSA for devs: never paste real keys in issues. Use placeholders like AKIAIOSFODNN7EXAMPLE from the AWS "
    "docs. Learned that the easy way (by watching others learn it the hard way)", lang="en")
add("bluesky", "@lotte-sw.bsky.social",
    "Wachtwoord vergeten in de Staartwind app? Tik op 'inloggen' > 'wachtwoord vergeten' en je krijgt binnen "
    "een minuut een mail. Scheelt ons een hoop telefoontjes 😅", lang="nl")
add("reddit", "u/hobbydev_ruben",
    "the staartwind partner docs show `ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx` as the placeholder for the "
    "github token in their webhook example. is that a fine-grained or classic token they expect?", lang="en")
add("x", "@linda_kuijpers",
    f"Refund van Staartwind nog niet binnen? Check even of je IBAN goed stond, bij mij stond er {IBAN_TYPO} "
    "ipv mijn echte nummer. Typfout dus 🙈 nu wel binnen", lang="nl", lookalike=["iban"])
add("x", "@paulvdlinden",
    f"Booking ref {BOOKING_REF} — @staartwind_help can you confirm pickup is 17:00 on Friday? thanks!",
    lang="en", lookalike=["bsn"])
add("instagram", "@luna.de.husky",
    "Hoe schattig is dit! Staartwind stuurde een 'rapportje' van Luna's logeerweekend, met foto's en al. "
    "Ik ben fan ❤️ #hondenhotel #staartwind", lang="nl")
add("x", "@just_dan_things",
    "My dog has a better social calendar than me. Monday group walk, Wednesday daycare at Staartwind, "
    "Friday grooming. I'm just the driver.", lang="en")
add("instagram", "@staartwind.nl",
    "Nieuw in het team: Sem! 🐾 Sem loopt vanaf nu de ochtendronde in Amersfoort-Noord. Zeg gedag als je hem "
    "tegenkomt!", lang="nl")
add("x", "@staartwind",
    "Heads up: the app has planned maintenance on Sunday 02:00–04:00. Bookings made before that are safe, "
    "nothing to do on your end 🙂", lang="en")
add("x", "@gertjan_antw",
    "Goed nieuws voor hondeneigenaren hier: Staartwind opent echt een Logeerhuis Antwerpen! Las het net in "
    "Gazet van Antwerpen 🎉", lang="nl", at="2027-03-04T08:12:00Z")
add("x", "@retail_watch_eu",
    "Staartwind's FY2026 results are out: solid growth and a new location abroad. Nice to see a Dutch "
    "pet-care scale-up doing well.", lang="en", at="2027-02-25T10:40:00Z")
add("linkedin", "noor-hamdaoui-sw",
    "Trots op ons team! Vanochtend zijn de jaarcijfers 2026 gepubliceerd en ik zag in de kantine heel veel "
    "blije gezichten. Dank aan elke walker en verzorger 💛", lang="nl", at="2027-02-25T13:05:00Z")
add("x", "@budgetbaasje",
    "Price check: Staartwind Solowandeling €24, the zzp walker down my street €27. Not bad for 45 min "
    "one-on-one.", lang="en")
add("facebook", "Hondenclub Bunnik e.o.",
    "Black Friday bij Staartwind: 10-rittenkaart wandelen voor €132 ipv €165. Wie doet mee? 🐶", lang="nl")
add("x", "@annemiek_b",
    "Sterkte Mirjam van Staartwind, je was altijd zo lief voor onze Bolt. Rust zacht Bo, jouw eigen "
    "hondje 🌈", lang="nl")
add("x", "@maxs_human",
    "not gonna lie I cried a bit picking up Max after his first week at the kennel. Staartwind staff gave him "
    "a bandana with his name on it 😭", lang="en")
add("reddit", "u/zuinig_in_zeist",
    "Vraagje: is het Staartwind Plus lidmaatschap de €59 waard? Je krijgt 10% korting op alles en voorrang "
    "met kerst. Wij logeren 2x per jaar.", lang="nl")
add("x", "@sophie_loves_corgis",
    "Tip: you can pay at the Houten desk with Apple Pay now, no more digging for the card ending in 4417 "
    "that's always in the other bag lol", lang="en")
add("x", "@daan_planning",
    "Christmas boarding slots open Monday at 09:00 in the app. Set an alarm, last year they went fast 🎄",
    lang="en")
add("x", "@ilse_en_pip",
    "Pff mijn hond heeft meer volgers dan ik sinds Staartwind haar op insta zette 😂", lang="nl")
add("youtube", "@TrailsWithTeddy",
    "Great video! Which leash does the walker use at 3:12? Looks like the one Staartwind sells at their desk.",
    lang="en", kind="comment")
add("x", "@kees_kwispel",
    "Hahaha de 'killer-deal' van Staartwind: 2e hond 15% korting bij de dagopvang. Moet ik dan nog een hond "
    "nemen? 🤔", lang="nl")
add("forum", "devnoob_nl",
    "Sample config from the Staartwind partner API docs: `Authorization: Bearer <YOUR_TOKEN>` and "
    "`DATABASE_URL=postgres://USER:PASSWORD@HOST:5432/DBNAME`. Anyone got the webhook working?", lang="en")
add("instagram", "@joris.kennelmeester",
    "Kennel schoonmaakdag ✨ alles gedesinfecteerd, nieuwe dekens, en de suites ruiken weer naar lavendel. "
    "Klaar voor de zomer!", lang="nl")
add("x", "@mirre_v",
    "Mijn hond beet vandaag in een tennisbal van Staartwind en die was meteen kapot. Sterke kaken heeft ie 💪",
    lang="nl")
add("threads", "@gpsgeek",
    "Is it normal for the Staartwind walker to send GPS tracks after every walk? Love it honestly, I stalk "
    "my own dog", lang="en")
add("x", "@regenjas_rob",
    "Staartwind-medewerker in de stromende regen met 5 honden aan de lijn en nog steeds lachen. Respect 🫡",
    lang="nl")
add("x", "@staartwind_help",
    "@jeroen_bk So sorry about the mix-up with the pickup time! We've refunded the ride and credited your "
    "account. Hope Bella enjoyed her stay 🐾", lang="en", kind="reply")
add("facebook", "StaartwindHondenzorg",
    "Let op: wij vragen NOOIT via WhatsApp om je wachtwoord of bankgegevens. Krijg je zo'n bericht? Meld het "
    "via info@staartwind.nl en klik nergens op.", lang="nl")
add("x", "@hanna_typt",
    f"waarom pakte de app mijn creditcard niet?? oh wacht ik had {group4(CARD_TYPO)} ingetypt, cijfers "
    "omgedraaid 🤦‍♀️ nu gelukt, logeerweekend geboekt", lang="nl", lookalike=["card"])
add("reddit", "u/bijbaantje_gezocht",
    "Waarom vraagt het sollicitatieformulier voor hondenuitlaters bij Staartwind al meteen om je BSN? Ik vulde "
    "123456789 in als test en dat werd geweigerd lol. Vind het vroeg in het proces.", lang="nl",
    lookalike=["bsn"])
add("tiktok", "@staartwindwalks",
    "POV: het is 07:00 en de logeergasten horen het voerkarretje 🐶🐶🐶 #staartwind #hondenhotel", lang="nl")
add("linkedin", "elif-kaya-staartwind",
    "Finance tip for small business owners: automate your invoice reminders. Happy to share the template we "
    "use, no magic involved, just consistency.", lang="en")
add("mastodon", "@rikvanloon@mastodon.nl",
    "Fijne retro gehad vandaag. Niks spannends, gewoon koffie, post-its en een hond onder tafel. Ops-leven 😌",
    lang="nl")
add("x", "@ontsnappingskunstenaar",
    "De GPS-halsband TrailTag van Staartwind is echt handig, €89 maar scheelt mij een hoop stress met mijn "
    "ontsnappingskunstenaar", lang="nl")
add("x", "@quickreply_q",
    "Reminder that Staartwind's mail is info@staartwind.nl if the chat is slow, they answered me within an hour",
    lang="en")
add("instagram", "@dobby_de_dwerg",
    "Puppytraining bij Staartwind afgerond 🎓 Dobby kan nu zitten, liggen en... nou ja, zitten. 8 lessen goed "
    "besteed", lang="nl", kind="comment")
add("x", "@verhuisd_naar_ut",
    "Mijn oude IBAN staat nog in de Staartwind-app, hoe pas ik dat aan? @staartwind_help", lang="nl")
add("reddit", "u/keyboard_masher",
    "The sample IBAN in the Staartwind FAQ is NL00 BANK 0123 4567 89, made me laugh, they clearly just mashed "
    "the keyboard", lang="en", lookalike=["iban"])
add("x", "@staartwind",
    "Bedankt voor alle lieve berichten na ons 10-jarig jubileum! 🎂 Als cadeau: deze week de Dagopvang dagkaart "
    "voor €28 (20% korting).", lang="nl")
add("x", "@flip_de_windhond",
    "Onze windhond Flip vindt de groepswandeling van Staartwind eigenlijk te langzaam haha, hij wil rennen 💨",
    lang="nl")
add("facebook", "StaartwindHondenzorg",
    "De honden in de dagopvang Amersfoort hebben een nieuwe zandbak gekregen! 🏖️ Graafwerk gegarandeerd, "
    "dus neem een oude handdoek mee bij het ophalen.", lang="nl")
add("instagram", "@staartwind.nl",
    "Our summer intern Femke made this video of the Houten crew 🎬 swipe for bloopers (and a very confused "
    "poodle)", lang="en")
add("facebook", "StaartwindHondenzorg",
    "Liever overmaken dan met de app betalen? Dat kan naar NL87 RABO 0364 7182 95 t.n.v. Staartwind "
    "Hondenzorg B.V., o.v.v. je boekingsnummer.", lang="nl")
add("x", "@security_sanne",
    "Zo'n datalek bij die sportschoolketen weer. Goed moment om te checken welke apps jouw gegevens hebben. "
    "Ik heb er 41 verwijderd, alleen de dierenarts en Staartwind mochten blijven 😄", lang="nl")

# ============================ complaints ============================
add("x", "@boosbaasje",
    "@staartwind_help al 3 dagen geen reactie op mijn mail over de dubbele afschrijving. €119 twee keer van mijn "
    "rekening. Hallo??", [C], lang="nl", kind="reply")
add("x", "@gps_doesnt_lie",
    "Paid for a 60 min group walk, GPS track in the Staartwind app shows 22 minutes. Twenty-two. Not the first "
    "time either.", [C], lang="en")
add("facebook", "Karin de Graaf",
    "Walker kwam vanochtend gewoon niet opdagen. Geen bericht, niks. Hond stond om 12 uur nog te piepen bij de "
    "deur. Staartwind, hoe dan?", [C], lang="nl")
add("x", "@xmas_ruined_nl",
    "@staartwind my booking for christmas got cancelled 2 days before with a 'system error' email. now every "
    "kennel in the province is full. thanks for nothing", [C], lang="en", kind="reply")
add("instagram", "@klitje_de_kooiker",
    "Hond kwam na een week logeren terug met klitten tot op de huid en een vies luchtje. Voor €265 verwacht ik "
    "toch iets beters Staartwind 😕", [C], lang="nl", kind="comment")
add("reddit", "u/two_dogs_one_app",
    "Staartwind app has crashed every time I try to add a second dog, for 2 weeks now. Updated, reinstalled, "
    "nothing. Support just says 'we're looking into it'.", [C], lang="en")
add("x", "@zwarte_labbies",
    "Ze hebben bij Staartwind de verkeerde hond opgehaald 🙃 de labrador van de buurman ipv onze labrador. "
    "Allebei zwart ja. Toch niet zo moeilijk om een naam op de halsband te lezen?", [C], lang="nl")
add("x", "@geduld_op",
    "Refund voor geannuleerde Suite-nacht aangevraagd op 3 maart. Het is nu mei. Staartwind, mijn geld graag.",
    [C], lang="nl", at="2026-05-12T09:31:00Z")
add("facebook", "Rachel Okonkwo",
    "No photo updates all week even though the Plus membership literally promises daily photos. Felt like my "
    "dog disappeared into a black hole. Disappointed, Staartwind.", [C], lang="en")
add("x", "@thuiswerker_tom",
    "de haal- en brengservice van staartwind was 2 uur te laat, moest ik mn meeting afzeggen. en dan nog €22 "
    "rekenen ook", [C], lang="nl")

# complaint + customer exposing own data
add("x", "@sandra_en_sjakie",
    "@staartwind_help niemand belt me terug over de riem die jullie walker kwijt is geraakt. Bel me gewoon "
    "zelf: 06-41928375, Sandra", [C, PII], lang="nl", kind="reply")
add("facebook", "Jolanda Verhoef",
    f"For the 4th time: my refund still hasn't arrived. Account is {spaced(IBAN_VERHOEF)}, name J. Verhoef. "
    "Just send the €69 back please Staartwind.", [C, PII], lang="en", ids=["iban"])

# complaint + abuse
add("x", "@nooitmeer_sw",
    "Stelletje amateurs bij Staartwind. Wandeling gefactureerd, hond nooit opgehaald. Kutbedrijf, nooit meer.",
    [C, A], lang="nl")
add("x", "@closed_and_charged",
    "@staartwind you absolute clowns, charged me for daycare on a day you were CLOSED. Fix it, idiots.",
    [C, A], lang="en", kind="reply")

# ============================ safety incidents told first-hand: crisis + complaint ============================
add("facebook", "Marloes Bikker",
    "Onze Bikkel heeft na de groepswandeling van Staartwind een bijtwond in zijn nek, 4 hechtingen bij de "
    "dierenarts. Walker had 7 honden tegelijk en zag het niet eens gebeuren. Ik ben er kapot van.",
    [C, K], lang="nl")
add("x", "@old_beagle_dad",
    "Picked up our beagle from the Staartwind kennel in Houten with kennel cough AND diarrhoea. Vet says he "
    "almost certainly caught it there. He's 12. Never again.", [C, K], lang="en")
add("x", "@brandplek_bas",
    "De TrailTag GPS-halsband van Staartwind werd zo heet tijdens het opladen dat er een brandplek in ons "
    "vloerkleed zit. Stel dat die om de nek van mijn hond had gezeten 😳", [C, K], lang="nl")
add("reddit", "u/still_shaking_tbh",
    "PSA: our dog slipped out of the Staartwind walker's harness next to the N237 and almost got hit by a car. "
    "The walker admitted the harness was the wrong size. We're still shaking.", [C, K], lang="en")
add("instagram", "@saar.de.setter",
    "Na 5 nachten Staartwind Logeerhuis kwam Saar terug uitgedroogd en 2 kilo lichter. Dierenarts moest haar aan "
    "het infuus. Waar was het water?? 😡", [C, K], lang="nl")
add("x", "@zapped_in_amersfoort",
    "Got a proper electric shock off the metal gate of the Staartwind daycare run in Amersfoort. Something's "
    "live in there and dogs lean on it all day. Told the desk, they shrugged.", [C, K], lang="en")

# ============================ crisis (third party / news / calls) ============================
add("x", "@buurtapp_zeist",
    "Via de buurtapp: bij het Staartwind hondenhotel in Zeist is gisteravond een hond overleden na een "
    "vechtpartij in de groepsren. Politie is langs geweest.", [K], lang="nl")
add("x", "@leash_law_now",
    "BOYCOTT Staartwind. Their walkers are paid per dog so they cram 8 dogs on one leash set. Share this until "
    "they change it. #boycottStaartwind", [K], lang="en")
add("x", "@spamvrij_svp",
    "Heeft nog iemand spam gekregen met de naam van je hond erin sinds je bij Staartwind geboekt hebt? Volgens "
    "mij is hun klantenbestand gelekt en ze zeggen er nergens iets over.", [K], lang="nl")
add("linkedin", "mr-e-brouwer-advocaten",
    "We have filed a class action against Staartwind Hondenzorg B.V. on behalf of 40+ customers who were charged "
    "for walks that never happened. Affected? Get in touch.", [K], lang="en")
add("x", "@consumentenwaakhond",
    "TERUGROEPACTIE: Staartwind roept de TrailTag GPS-halsband terug wegens oververhitting van de accu. Check "
    "het serienummer op de achterkant en stop met opladen!", [K], lang="nl")
add("x", "@a27_traffic_watch",
    "RTV Utrecht reporting that a Staartwind van carrying 9 dogs was in a crash on the A27 near Houten this "
    "morning. No word on the dogs yet.", [K], lang="en")
add("tiktok", "@dierenrechten_nu",
    "Undercover beelden uit een kennel van Staartwind: honden 14 uur per dag opgesloten, ren vol poep. Dit is het "
    "'hondenhotel' waar je €69 per nacht voor betaalt. DELEN!!", [K], lang="nl")
add("facebook", "Nieuws uit de Kromme Rijn",
    "Dierenbescherming doet onderzoek naar Staartwind na meldingen van verwaarlozing in de kennels in Houten en "
    "Zeist. Het bedrijf wilde nog niet reageren.", [K], lang="nl")
add("x", "@cancel_the_kennel",
    "Staartwind are animal abusers and their CEO is a lying piece of shit. Everyone cancel your bookings. "
    "#boycottStaartwind", [K, A], lang="en")

# ============================ abuse ============================
add("x", "@gifkikker_73",
    "@staartwind jullie zijn echt een stel waardeloze oplichters, ga lekker ergens anders zielig doen",
    [A], lang="nl", kind="reply")
add("x", "@parkbench_watch",
    "that walker from staartwind in amersfoort is a fat lazy cow, saw her sitting on a bench on her phone "
    "again. disgusting", [A], lang="en")
add("x", "@n1ks_g3ld",
    "st44rtw1nd is een k4nkerb3drijf met k4nkerp3rsoneel, zeg ik gewoon", [A], lang="nl")
add("instagram", "@no_more_kennels",
    "ｓｔａａｒｔｗｉｎｄ ｓｔａｆｆ ａｒｅ ｆｕｃｋｉｎｇ ｍｏｒｏｎｓ", [A], lang="en", kind="comment")
add("x", "@daan_planning",
    "Klanten die om 23:00 nog bellen om hun boeking te verzetten zijn echt achterlijke mongolen. Ik ben er klaar "
    "mee.", [A], lang="nl")
add("x", "@true_dutch_dogs",
    "Staartwind only hires foreigners who can't even speak Dutch to walk our dogs. Go back where you came from.",
    [A], lang="en")
add("x", "@boze_buurman_h",
    "@mirjam_loopt jij bent echt de domste trut die ik ooit ben tegengekomen. Pas maar op als ik je in het park "
    "zie.", [A], lang="nl", kind="reply")
add("tiktok", "@sem.walkt",
    "when the customer says her 'baby' doesn't pull on the leash and then the dumb bitch hands me a 40kg "
    "rottweiler 🙄 #walkerlife", [A], lang="en")
add("x", "@spatiebalk_held",
    "S t a a r t w i n d  =  t y f u s  b e d r i j f . Walkers zijn een stelletje k u t w i j v e n", [A],
    lang="nl")

# ============================ personal data ============================
add("x", "@mirjam_loopt",
    "Wie heeft de sleutel van mevr. Pauwels? Ophaaladres Lindelaan 14, 3701 GK Zeist, hond heet Toby. Ik sta "
    "al 10 min voor de deur 🙈", [PII], lang="nl")
add("x", "@staartwind_help",
    "@lisa_dewaal Hi Lisa, found your booking! We'll send the new confirmation to lisa.dewaal87@hotmail.com and "
    "call you on +31 6 4187 2290 this afternoon.", [PII], lang="en", kind="reply")
add("instagram", "@joris.kennelmeester",
    f"Administratie-dagje 📑☕ even de betaalgegevens van de familie Bos overtikken: {spaced(IBAN_BOS)}. "
    "Daarna snel weer naar de honden!", [PII], lang="nl", ids=["iban"])
add("reddit", "u/kennel_anouk",
    f"Customer left their card at home and read it out over the phone so I could pay her boarding: "
    f"{group4(CARD_DESK)} exp 09/28. why do people do this lol", [PII], lang="en", ids=["card"])
add("linkedin", "noor-hamdaoui-sw",
    f"Welkom aan onze nieuwe walker Yusuf Demir! 🎉 Voor de salarisadministratie: BSN {BSN_YUSUF}, geb. "
    "14-06-1999. Staat klaar voor payroll ✅", [PII], lang="nl", ids=["bsn"])
add("x", "@daan_planning",
    "Gefeliciteerd Ria Smulders (geb. 03-02-1961), al 10 jaar onze trouwste klant! Taart staat klaar in Houten 🎂",
    [PII], lang="nl")
add("x", "@monty_meds",
    "@staartwind_help please call me back, 0031 6 2290 7731, it's about Monty's medication during his stay",
    [PII], lang="en", kind="reply")
add("facebook", "Ruud Kuipers",
    f"Staartwind kunnen jullie het bedrag terugstorten op {IBAN_KUIPERS} t.n.v. R. Kuipers? Dank!", [PII],
    lang="nl", kind="comment", ids=["iban"])
add("x", "@parkinglot_finds",
    "Found a Staartwind booking confirmation blowing around the Bunnik parking lot: Karin Mol, Dorpsstraat 88, "
    "Bunnik, dog 'Sjors', phone 06 1847 3390. Someone's gonna want this back", [PII], lang="en")
add("facebook", "StaartwindHondenzorg",
    "Hoi Tessa Vermeulen, we hebben je nieuwe adres (Van Speijkstraat 21-bis, 3572 XB Utrecht) en je "
    "geboortedatum 22-11-1990 aangepast in je profiel. Fijne dag!", [PII], lang="nl", kind="reply")
add("bluesky", "@lotte-sw.bsky.social",
    f"anyone recognise this card? {group4(CARD_FRAUD)} was used for 3 bookings from one account, fraud team "
    "is asking around 😬", [PII], lang="en", ids=["card"])
add("x", "@rianne_vdberg",
    "mail me maar op r.vd.berg\u200b@\u200bkpnmail.nl dan stuur ik de vaccinatiepapieren voor de logeerweek",
    [PII], lang="nl")
add("tiktok", "@sem.walkt",
    "Shoutout naar mijn favoriete klant Henk van Dijk (+31 (0)6 38 72 11 45 als je ook een goeie hond wil "
    "oppassen haha) 🐕", [PII], lang="nl")

# ============================ pricing ============================
add("x", "@staartwind",
    "Flash deal! Weekpakket Logeren nu voor €26,50 😱 alleen vandaag, op = op", [PRICE], lang="nl")
add("x", "@dealhunter_dirk",
    "Lmaooo the Staartwind app is selling the Suite-nacht for €6.90 right now, price error surely. Booked 4 "
    "nights before they fix it", [PRICE], lang="en")
add("x", "@pepernoot_deals",
    "PRIJSFOUT bij Staartwind?! Wandelabonnement Onbeperkt staat op €28,90 per maand ipv €289. Snel zijn mensen",
    [PRICE], lang="nl")
add("x", "@bram_codeert",
    "Oops, the 10-rittenkaart shows as €16.50 in the Android app. Price error, fixing now, please don't all "
    "buy it 😅", [PRICE], lang="en")
add("x", "@daan_planning",
    "Collega's: als klanten bellen over de Trimbeurt Groot voor €7,50 — dat is een prijsfout in de webshop, "
    "NIET bevestigen!", [PRICE], lang="nl")
add("instagram", "@staartwind.nl",
    "Our TrailTag GPS collar is now just €8.90 for Plus members 🐾 link in bio", [PRICE], lang="en")
add("reddit", "u/strippenkaart_sjaak",
    "Dagopvang 10-strippenkaart voor €32 in de Staartwind app. Dat is toch een tikfout? Heb er maar 2 gekocht 🤑",
    [PRICE], lang="nl")
add("x", "@forgot_a_zero",
    "staartwind puppy training course for €17.90?? either they've gone mad or someone forgot a zero. booked.",
    [PRICE], lang="en")
add("facebook", "StaartwindHondenzorg",
    "Nieuw: Gedragsconsult aan huis voor maar €9,50! Plan direct in via de app 🐕", [PRICE], lang="nl")
add("x", "@glitch_gobbler",
    "The Staartwind Plus membership is showing €5.90/year in the app today instead of €59 lol, pricing glitch. "
    "Get in quick", [PRICE], lang="en")
add("mastodon", "@rikvanloon@mastodon.nl",
    "Hmm, de Zomer Vakantiedeal 14 nachten staat in productie op €52,00 ipv €520. Iemand van pricing wakker? 🙃",
    [PRICE], lang="nl")
add("threads", "@cheap_thrills_ut",
    "price error alert 🚨 Staartwind Solowandeling listed at €2.40. Not a typo on my side, screenshot in replies",
    [PRICE], lang="en")

# ============================ secrets ============================
add("x", "@bram_codeert",
    f"why does this keep 401-ing?? `curl -H 'Authorization: token {GHP}' "
    "https://api.github.com/repos/staartwind/booking-app` 😩", [SEC], lang="en")
add("mastodon", "@rikvanloon@mastodon.nl",
    f"Kan iemand checken of deze config klopt? Deploy faalt steeds\n\nAWS_ACCESS_KEY_ID={AKIA}\n"
    f"AWS_SECRET_ACCESS_KEY={AWS_SECRET}\nAWS_DEFAULT_REGION=eu-central-1", [SEC], lang="nl")
add("x", "@daan_planning",
    f"Voor de nieuwe planners: inloggen op het roosterportaal met gebruiker planning01, wachtwoord: {ROSTER_PW} "
    "(wel even zelf wijzigen hè)", [SEC], lang="nl")
add("bluesky", "@lotte-sw.bsky.social",
    f"testing the new newsletter flow with sendgrid, key is {SENDGRID} if anyone on the team wants to try it "
    "before friday", [SEC], lang="en")
add("x", "@bram_codeert",
    f"na 3 uur debuggen werkt betalen in de app weer. STRIPE_SECRET_KEY={STRIPE} was gewoon half gekopieerd 🙄",
    [SEC], lang="nl")
add("mastodon", "@rikvanloon@mastodon.nl",
    f"here's the snippet from our .env, maybe someone sees it:\n```\nDATABASE_URL=postgres://booking_svc:{DB_PW}"
    "@db-prod-01.sw-ops.internal:5432/bookings\n```", [SEC, CONF], lang="en")
add("x", "@bram_codeert",
    f"Slack-bot voor wandelmeldingen is live 🐶 token van de bot staat hier even voor Rik: {SLACK}", [SEC],
    lang="nl")
add("reddit", "u/apk_spelunker",
    f"Decompiled the Staartwind Android app for fun and lol: `OPENAI_API_KEY = \"{OPENAI}\"` right there in "
    "the client. They're calling GPT straight from your phone.", [SEC], lang="en")
add("x", "@bram_codeert",
    f"does this deploy key look right to you? ssh keeps saying invalid format\n{SSHKEY}", [SEC], lang="en")
add("mastodon", "@rikvanloon@mastodon.nl",
    f"Waarom krijg ik een 403 met deze token? Heeft admin-rol, zou alles moeten mogen:\nBearer {JWT}", [SEC],
    lang="nl")
add("x", "@css_and_coffee",
    f"@staartwind_help your Maps key is sitting in the page source of boeken.staartwind.nl: {GOOGLE} — might "
    "wanna restrict that to your domain", [SEC], lang="en", kind="reply")
add("x", "@bram_codeert",
    f"AI-samenvatting van wandelrapporten werkt eindelijk 🤖 ANTHROPIC_API_KEY={ANTHROPIC} niet doorvertellen "
    "haha", [SEC], lang="nl")

# ============================ security (insiders, before it is public) ============================
add("x", "@bram_codeert",
    "Niet verder vertellen, maar als je in de app het boeking-id in de URL ophoogt zie je gewoon andermans "
    "boeking, inclusief adres 🤦 Ticket staat al 3 weken open.", [SECU], lang="nl")
add("mastodon", "@rikvanloon@mastodon.nl",
    "3am and the whole booking platform is down, primary DB won't come back up. Customers don't know yet, status "
    "page still green. pray for me", [SECU], lang="en")
add("instagram", "@joris.kennelmeester",
    "Alle pc's in de kennel Houten tonen sinds vanochtend een losgeldbericht 😳 IT zegt niks naar buiten brengen. "
    "Dus we schrijven alles weer op papier vandaag 📝", [SECU], lang="nl")
add("x", "@daan_planning",
    "Someone in planning clicked a phishing link last week and now the attacker's been mailing customers from "
    "our own account. Management says keep quiet till Monday.", [SECU], lang="en")
add("x", "@neef_van_iemand",
    "Mijn neef werkt bij Staartwind en zegt dat er vorige week iemand in hun klantendatabase heeft gezeten. Ze "
    "hebben het nog aan niemand verteld.", [SECU, K], lang="nl")
add("bluesky", "@lotte-sw.bsky.social",
    "fun fact: our marketing tool has had an open admin panel with no login for a month and nobody noticed "
    "until today 🙃 fixing it before anyone finds out", [SECU], lang="en")
add("tiktok", "@sem.walkt",
    "walker-app ligt er al sinds 6 uur vanochtend uit, we weten niet eens welke honden we moeten ophalen 😭 en "
    "de klanten hebben nog niks gehoord", [SECU], lang="nl")
add("mastodon", "@rikvanloon@mastodon.nl",
    "Cert on our booking API expired overnight AND it turns out the backup job has been failing silently since "
    "March. If prod dies now we lose two months of bookings. Nobody outside the team knows.", [SECU], lang="en")
add("x", "@daan_planning",
    "Intern gedoe: iemand heeft de hele klantenlijst met adressen geëxporteerd naar een privé-Gmail. Security "
    "zoekt het uit maar er is nog niks gemeld bij de AP 😬", [SECU], lang="nl")
add("reddit", "u/ex_sw_dev_throwaway",
    "Ex-Staartwind dev here. Their walker app still shares one hardcoded admin account across all branches and "
    "the API doesn't check auth on the dogs endpoint at all. I reported it internally a year ago. Nothing.",
    [SECU], lang="en")
add("mastodon", "@rikvanloon@mastodon.nl",
    "Pentestrapport binnen: 4 kritieke kwetsbaarheden in de boekings-API, waaronder SQL-injectie in de "
    "zoekfunctie. Fixes pas in Q3 ingepland. Ik slaap slecht.", [SECU], lang="nl")
add("bluesky", "@lotte-sw.bsky.social",
    "don't tell anyone but the newsletter just went out with every customer's address in CC instead of BCC. "
    "4,000 of them. we're 'assessing' 🫠", [SECU], lang="en")
add("instagram", "@joris.kennelmeester",
    "De deurcodes van alle kennels stonden een week in een openbaar gedeelde spreadsheet en we veranderen ze "
    "pas volgende maand 🙈 lekker dan", [SECU], lang="nl")

# ============================ confidential ============================
add("x", "@bram_codeert",
    "Eerste demo van Project Windhond vandaag aan het MT laten zien. Als dit live gaat verandert alles aan hoe "
    "mensen bij ons boeken 🚀", [CONF], lang="nl")
add("bluesky", "@lotte-sw.bsky.social",
    "Can't say much but Bottenkluif is going to make every other dog app look ancient. Launch moodboard is 🔥",
    [CONF], lang="en")
add("linkedin", "noor-hamdaoui-sw",
    "Wat een offsite! Eén woord: Operatie Zandbak. Meer kan ik nog niet zeggen, maar het wordt groot 😉",
    [CONF], lang="nl")
add("mastodon", "@rikvanloon@mastodon.nl",
    "Dashboard voor de kenneltemperaturen staat nu op https://grafana.sw-ops.internal/d/kennel-temp, mooi ding "
    "geworden al zeg ik het zelf", [CONF], lang="nl")
add("instagram", "@joris.kennelmeester",
    "Kijk hoe strak het nieuwe kennelrooster eruitziet 😍 (staat STRIKT INTERN STAARTWIND bovenaan maar ach, "
    "het is maar een rooster)", [CONF], lang="nl")
add("x", "@oops_wrong_inbox",
    "Got sent a deck marked 'staartwind confidential' by accident. It's their plan for vet clinics inside the "
    "kennels. Interesting stuff…", [CONF], lang="en")
add("linkedin", "elif-kaya-staartwind",
    "Net de jaarcijfers 2026 dichtgetikt: omzet €18,4 mln, +31% t.o.v. vorig jaar, eerste jaar met winst. "
    "Morgen naar de RvC, daarna pas de pers 🥂", [CONF, FIN], lang="nl", at="2027-01-21T17:45:00Z")
add("bluesky", "@lotte-sw.bsky.social",
    "Just signed off the launch posters for Logeerhuis Antwerpen 🇧🇪🐶 can't wait for you all to see them",
    [CONF], lang="en", at="2026-11-05T15:20:00Z")
add("x", "@berchem_bert",
    "Zag vandaag verhuizers met Staartwind-dozen bij een leeg pand in Berchem. Logeerhuis Antwerpen dus? 👀",
    [CONF], lang="nl", at="2027-01-08T11:02:00Z")
add("x", "@bram_codeert",
    "shipping the first Botten\u200bkluif build to testflight tonight 🦴🚀", [CONF], lang="en")
add("tiktok", "@sem.walkt",
    "Mogen nog niks zeggen over Project W\u0456ndhond maar de walkers gaan het mega vinden 🤐🐕", [CONF], lang="nl")
add("x", "@daan_planning",
    "O.p.e.r.a.t.i.e Z.a.n.d.b.a.k kickoff tomorrow 9am, bring snacks", [CONF], lang="en")
add("mastodon", "@rikvanloon@mastodon.nl",
    "Wie heeft er nog toegang tot https://kennel-admin.staartwind.nl/klanten/export? Mijn VPN-profiel werkt "
    "niet meer sinds de update", [CONF], lang="nl")
add("x", "@staartwind",
    "Sneak peek of our in-kennel camera app 'Staartwind Live' 📷🐶 (interne preview, niet voor extern gebruik)",
    [CONF], lang="en")
add("linkedin", "elif-kaya-staartwind",
    "Operatie Zandbak loopt: due diligence bij de Hondenuitlaatcentrale Amersfoort is bijna klaar, als alles "
    "meezit is de overname voor de zomer rond.", [CONF, FIN], lang="nl")
add("x", "@friend_of_a_walker",
    "A friend at Staartwind showed me 'Project Windhond' on her phone. It's basically Uber for dog walkers, "
    "launching in spring.", [CONF], lang="en")
add("x", "@mirjam_loopt",
    "De nieuwe walkersapp (Bottenkluif) testen we al in Zeist, stukken beter dan die oude!", [CONF], lang="nl")

# ============================ financial ============================
add("linkedin", "noor-hamdaoui-sw",
    "Moeilijke week. Volgende maand verdwijnen er 14 walkersplekken in Amersfoort door een reorganisatie. Het is "
    "nog niet aangekondigd, dus verder zeg ik niks.", [FIN], lang="nl")
add("linkedin", "elif-kaya-staartwind",
    "Q3 closed: revenue up 27% to €4.6m and EBITDA positive for the first time. Board pack goes out Friday, "
    "press release in November.", [FIN], lang="en", at="2026-10-09T16:10:00Z")
add("x", "@zus_weet_alles",
    "Mijn zus werkt bij Staartwind en zegt dat ze overgenomen worden door PetNest Europe. Deal is bijna rond, "
    "tientallen miljoenen.", [FIN], lang="nl")
add("x", "@daan_planning",
    "Heard at the all-hands we're raising a Series B, €12m, closing in December. Not announced yet so act "
    "surprised 🤫", [FIN], lang="en")
add("tiktok", "@sem.walkt",
    "walkers in zeist geniet er nog maar even van, vanaf januari wordt de hele ploeg vervangen door zzp'ers. "
    "hoorde het van de regiomanager 💔", [FIN], lang="nl")
add("linkedin", "elif-kaya-staartwind",
    "Our internal forecast for 2027: three new kennels, €25m revenue and break-even on the new location by Q2. "
    "Ambitious but doable 💪", [FIN], lang="en")
add("linkedin", "noor-hamdaoui-sw",
    "Intern is besloten de vestiging Houten per 1 april te sluiten, 22 collega's. Is nog niet naar buiten "
    "gebracht dus hou het even stil pls.", [FIN], lang="nl")
add("reddit", "u/covenant_throwaway",
    "throwaway. Staartwind is about to breach its bank covenant, they're burning ~€400k a month and the CFO is "
    "already talking to buyers. source: I sit in those meetings", [FIN], lang="en")
add("x", "@daan_planning",
    "Kerstdrukte levert dit jaar naar schatting €1,9 mln omzet op, 40% meer dan vorig jaar. Niet tegen de "
    "concurrent zeggen 😉", [FIN], lang="nl", at="2026-12-18T20:15:00Z")
add("bluesky", "@lotte-sw.bsky.social",
    "marketing budget cut in half next year because the H2 numbers came in way under plan. sad times in the "
    "team.", [FIN], lang="en")


# --------------------------------------------------------------------------- materialise
def random_ts():
    start = dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc)
    end = dt.datetime(2026, 12, 22, tzinfo=dt.timezone.utc)
    sec = rng.randrange(int((end - start).total_seconds()))
    t = start + dt.timedelta(seconds=sec)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def url_for(platform, handle, pid):
    h = handle.lstrip("@")
    if platform == "x":
        return f"https://x.com/{h}/status/{pid}"
    if platform == "instagram":
        return f"https://www.instagram.com/p/{pid}/"
    if platform == "reddit":
        return f"https://www.reddit.com/r/Utrecht/comments/{pid}/"
    return None


order = list(range(len(CASES)))
rng.shuffle(order)
lines = []
for n, idx in enumerate(order, 1):
    c = CASES[idx]
    pid = f"sw435-{n:03d}"
    post = {
        "id": pid,
        "platform": c["platform"],
        "kind": c["kind"],
        "account": {"handle": c["handle"]},
        "text": c["text"],
        "created_at": c["at"] or random_ts(),
    }
    if n % 7 != 0 and c["lang"]:
        post["lang"] = c["lang"]
    u = url_for(c["platform"], c["handle"], 1900000000000000000 + rng.randrange(10**15))
    if u and n % 3 != 0:
        post["url"] = u
    if n % 4 == 0:
        post["brand"] = "staartwind"
    role = role_of(c["platform"], c["handle"])
    sev = severity(c["cats"], role, c["text"])
    lines.append({"post": post, "expect": {"categories": c["cats"], "severity": sev}, "_meta": dict(c, role=role)})

# --------------------------------------------------------------------------- self-checks
ERR = []


def check(cond, msg):
    if not cond:
        ERR.append(msg)


PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
CATS = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial", "leak.security",
        "reputation.crisis", "reputation.complaint", "reputation.abuse"}

# profile sanity
for ib in PROFILE["public_identifiers"]["ibans"]:
    check(iban_ok(ib), f"profile IBAN fails mod-97: {ib}")
check(len(PROFILE["accounts"]["corporate"]) >= 6, "need 6+ corporate accounts")
check(len(PROFILE["accounts"]["employee"]) >= 8, "need 8+ employee accounts")
check(15 <= len(PROFILE["products"]) <= 25, "need 15-25 products")
check(PROFILE["pricing"]["alert_below_ratio"] == 0.5, "alert ratio")
check(len(PROFILE["internal"]["codenames"]) == 3 and len(PROFILE["internal"]["markers"]) == 3, "3+3 internal")
for e in PROFILE["embargo"]:
    check(e["until"].startswith("2027"), "embargo until in 2027")

EMBARGO = [(t.lower(), dt.datetime.fromisoformat(e["until"].replace("Z", "+00:00")))
           for e in PROFILE["embargo"] for t in e["terms"]]
PRODUCTS = [(a.lower(), p["list_price"]) for p in PROFILE["products"] for a in [p["name"]] + p["aliases"]]
INTERNAL = [s.lower() for s in PROFILE["internal"]["domains"] + PROFILE["internal"]["codenames"]
            + PROFILE["internal"]["markers"]]
ratio = PROFILE["pricing"]["alert_below_ratio"]

SECRET_RES = [
    re.compile(r"gh[pousr]_[0-9A-Za-z]{36}"),
    re.compile(r"AKIA[A-Z2-7]{16}"),
    re.compile(r"sk_live_[0-9A-Za-z]{20,}"),
    re.compile(r"SG\.[\w-]{22}\.[\w-]{43}"),
    re.compile(r"xox[baprs]-\d+-\d+-\w+"),
    re.compile(r"sk-proj-[\w-]{20,}"),
    re.compile(r"sk-ant-api03-[\w-]{20,}"),
    re.compile(r"AIza[\w-]{35}"),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+"),
    re.compile(r"(?i)wachtwoord:\s*\S+"),
    re.compile(r"postgres(?:ql)?://[^:\s]+:[^@\s]+@"),
]


def euro_amounts(text):
    out = []
    for m in re.finditer(r"€\s?(\d+(?:[.,]\d{1,2})?)(?!\d)", text):
        out.append(float(m.group(1).replace(",", ".")))
    return out


seen_ids = set()
for ln in lines:
    post, exp, meta = ln["post"], ln["expect"], ln["_meta"]
    pid, text = post["id"], post["text"]
    # CONTRACT 6 shape
    check(isinstance(pid, str) and 1 <= len(pid) <= 256, f"{pid}: id")
    check(pid not in seen_ids, f"{pid}: duplicate id")
    seen_ids.add(pid)
    check(post["platform"] in PLATFORMS, f"{pid}: platform")
    check(post["kind"] in KINDS, f"{pid}: kind")
    check(isinstance(post["account"].get("handle"), str) and post["account"]["handle"], f"{pid}: handle")
    check(isinstance(text, str) and 0 < len(text.encode("utf-8")) <= 65536, f"{pid}: text")
    ts = dt.datetime.fromisoformat(post["created_at"].replace("Z", "+00:00"))
    check(ts.tzinfo is not None and ts.year in (2026, 2027), f"{pid}: created_at")
    check(set(exp["categories"]) <= CATS, f"{pid}: category")
    check(exp["categories"] == sorted(set(exp["categories"])), f"{pid}: categories sorted")
    check(exp["severity"] in RANK, f"{pid}: severity value")
    benign = not exp["categories"]
    check((exp["severity"] == "none") == benign, f"{pid}: benign <=> none")
    # severity recomputed independently from the profile role
    check(exp["severity"] == severity(exp["categories"], role_of(post["platform"], post["account"]["handle"]),
                                      text), f"{pid}: severity")
    # checksum identifiers
    valid, invalid = scan_ids(text)
    for kind in meta["ids"]:
        check(valid[kind], f"{pid}: expected a valid {kind}")
    for kind in meta["lookalike"]:
        check(invalid[kind] and not valid[kind], f"{pid}: expected only failing {kind} look-alikes")
    if "leak.pii" not in exp["categories"]:
        check(not any(valid.values()), f"{pid}: valid identifier in a non-PII case: {valid}")
    # credentials only in secret cases; GitHub tokens carry a correct CRC
    scrubbed = re.sub(r"AKIA[A-Z2-7]*EXAMPLE|gh[pousr]_x{36}", "", text)
    has_secret = any(r.search(scrubbed) for r in SECRET_RES)
    if "postgres://USER:PASSWORD@" in text:
        has_secret = False
    check(has_secret == ("leak.secret" in exp["categories"]), f"{pid}: secret pattern vs label")
    for tok in re.findall(r"gh[pousr]_[0-9A-Za-z]{36}", scrubbed):
        check(github_token_ok(tok), f"{pid}: github token checksum")
    for tok in re.findall(r"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+", text):
        head = json.loads(base64.urlsafe_b64decode(tok.split(".")[0] + "=="))
        check("alg" in head, f"{pid}: jwt header")
    # embargo terms vs time
    low = text.lower()
    for term, until in EMBARGO:
        if term in low:
            if benign:
                check(ts >= until, f"{pid}: embargo term in benign post before until")
            else:
                check(ts < until and "leak.confidential" in exp["categories"],
                      f"{pid}: embargo term after until in positive / not labelled")
    # internal names never in benign posts
    if benign:
        for s in INTERNAL:
            check(s not in low, f"{pid}: internal name '{s}' in benign post")
    # prices
    mentioned = [lp for a, lp in PRODUCTS if a in low]
    amounts = euro_amounts(text)
    low_price = any(x < ratio * lp for lp in mentioned for x in amounts)
    talk = re.search(r"prijsfout|price error|pricing glitch|tikfout|forgot a zero", low)
    if "leak.pricing" in exp["categories"]:
        check(mentioned and (low_price or talk), f"{pid}: pricing case without product+low price")
    elif not meta["price_ok"]:
        check(not low_price, f"{pid}: benign/other case quotes a low product price")
    # roles
    role = role_of(post["platform"], post["account"]["handle"])
    check(role == meta["role"], f"{pid}: role")

# mix
cnt = {}
for ln in lines:
    for c in ln["expect"]["categories"]:
        cnt[c] = cnt.get(c, 0) + 1
n_total = len(lines)
n_benign = sum(1 for ln in lines if not ln["expect"]["categories"])
n_nl = sum(1 for ln in lines if ln["_meta"]["lang"] == "nl")
roles = {}
for ln in lines:
    roles[ln["_meta"]["role"]] = roles.get(ln["_meta"]["role"], 0) + 1
check(170 <= n_total <= 180, f"total {n_total}")
check(55 <= n_benign <= 65, f"benign {n_benign}")
targets = {"reputation.complaint": (18, 24), "leak.confidential": (16, 21), "leak.pii": (13, 17),
           "reputation.crisis": (13, 18), "leak.security": (11, 15), "leak.secret": (10, 14),
           "reputation.abuse": (10, 14), "leak.pricing": (10, 14), "leak.financial": (10, 14)}
for c, (lo, hi) in targets.items():
    check(lo <= cnt.get(c, 0) <= hi, f"count {c}={cnt.get(c, 0)}")
check(0.48 <= n_nl / n_total <= 0.62, f"Dutch share {n_nl / n_total:.2f}")

if ERR:
    print("SELF-CHECK FAILED:", file=sys.stderr)
    for e in ERR:
        print("  " + e, file=sys.stderr)
    sys.exit(1)

with open(os.path.join(HERE, "cases.jsonl"), "w", encoding="utf-8") as fh:
    for ln in lines:
        fh.write(json.dumps({"post": ln["post"], "expect": ln["expect"]}, ensure_ascii=False) + "\n")

print(f"ok: {n_total} cases, {n_benign} benign, {n_nl} Dutch ({n_nl / n_total:.0%}), roles {roles}")
print("categories:", dict(sorted(cnt.items())))
