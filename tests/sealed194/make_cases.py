#!/usr/bin/env python3
"""Evaluation set sealed194 for postwatch: Polderkracht Fitness B.V. (fictional Dutch gym chain).

Deterministic: fixed seed, standard library plus PyYAML. Writes cases.jsonl beside this file
and checks it: identifier checksums (positives valid, negative look-alikes invalid), secret
formats, CONTRACT section 6 shape, embargo windows, pricing ratios, and severities computed
from the account role in profile.yaml (CONTRACT section 4), never typed by hand.
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
SEED = 194_2026
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# ---------------------------------------------------------------- identifiers

def iban_check_ok(iban):
    s = iban.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    n = int("".join(str(int(c, 36)) for c in r))
    return n % 97 == 1


def make_iban(bank, valid=True, spaced=False):
    acct = "".join(rng.choice(string.digits) for _ in range(10))
    bban = bank + acct
    n = int("".join(str(int(c, 36)) for c in bban + "NL00"))
    check = 98 - n % 97
    if not valid:
        check = (check + rng.randint(1, 40)) % 97 or 11
        if check < 2:
            check += 3
    iban = "NL%02d%s" % (check, bban)
    if valid:
        assert iban_check_ok(iban)
    else:
        assert not iban_check_ok(iban)
    if spaced:
        iban = " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))
    return iban


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


def make_card(prefix, length=16, valid=True, sep=" "):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for last in "0123456789":
        if luhn_ok(body + last) == valid:
            num = body + last
            break
    return sep.join(num[i:i + 4] for i in range(0, len(num), 4))


def bsn_ok(num):
    s = re.sub(r"\D", "", num)
    if len(s) != 9:
        return False
    total = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return total % 11 == 0 and s != "000000000"


def make_bsn(valid=True):
    while True:
        first8 = str(rng.randint(1, 6)) + "".join(rng.choice(string.digits) for _ in range(7))
        total = sum(int(first8[i]) * (9 - i) for i in range(8))
        last = total % 11
        if last == 10:
            continue
        if valid:
            num = first8 + str(last)
        else:
            num = first8 + str((last + rng.randint(1, 9)) % 10)
        if bsn_ok(num) == valid:
            return num

# ---------------------------------------------------------------- secrets

B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "-_"


def rnd(n, alphabet=ALNUM):
    return "".join(rng.choice(alphabet) for _ in range(n))


def base62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def github_token(prefix="ghp_"):
    body = rnd(30, B62)
    return prefix + body + base62(zlib.crc32(body.encode())).rjust(6, "0")


def github_token_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and base62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def aws_key_id():
    return "AKIA" + rnd(16, string.ascii_uppercase + "234567")


def aws_secret():
    return rnd(40, ALNUM + "/+")


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt():
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = b64url(json.dumps({"sub": "member-%d" % rng.randint(100000, 999999),
                                 "role": "staff", "club": "UTR-OVV",
                                 "iat": 1772000000 + rng.randint(0, 9999999),
                                 "exp": 1790000000}, separators=(",", ":")).encode())
    sig = b64url(bytes(rng.randint(0, 255) for _ in range(32)))
    return "%s.%s.%s" % (header, payload, sig)


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    try:
        head = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except Exception:
        return False
    return isinstance(head, dict) and "alg" in head


def private_key_block():
    lines = ["b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"]
    for _ in range(5):
        lines.append(base64.b64encode(bytes(rng.randint(0, 255) for _ in range(51))).decode()[:70])
    lines.append(base64.b64encode(bytes(rng.randint(0, 255) for _ in range(30))).decode())
    return ("-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines)
            + "\n-----END OPENSSH PRIVATE KEY-----")


def human_password():
    words = ["Kettlebell", "Dijkgras", "Spinning", "Burpee", "Deadlift", "Zuurstof"]
    return rng.choice(words) + rng.choice("!#$%&*") + str(rng.randint(1000, 9999)) + rnd(2, string.ascii_lowercase)


SECRETS = {}  # name -> value, every one must appear in a positive leak.secret case

SECRETS["aws_id"] = aws_key_id()
SECRETS["aws_secret"] = aws_secret()
SECRETS["ghp"] = github_token("ghp_")
SECRETS["wifi_pw"] = human_password()
SECRETS["mollie"] = "live_" + rnd(30)
SECRETS["db_pw"] = rnd(6) + "!" + rnd(5)
SECRETS["jwt"] = make_jwt()
SECRETS["slack"] = "xoxb-%d-%d-%s" % (rng.randint(10**10, 10**11 - 1), rng.randint(10**12, 10**13 - 1), rnd(24))
SECRETS["openai"] = "sk-proj-" + rnd(64, URLSAFE) + "T3BlbkFJ" + rnd(64, URLSAFE)
SECRETS["ssh"] = private_key_block()
SECRETS["stripe"] = "sk_live_51" + rnd(97)
SECRETS["sendgrid"] = "SG." + rnd(22, URLSAFE) + "." + rnd(43, URLSAFE)
SECRETS["telegram"] = "%d:AA%s" % (rng.randint(6 * 10**9, 7 * 10**9), rnd(33, URLSAFE))

assert github_token_ok(SECRETS["ghp"])
assert jwt_ok(SECRETS["jwt"])
assert re.fullmatch(r"AKIA[A-Z2-7]{16}", SECRETS["aws_id"])

# identifiers used in positives (valid) and negatives (look-alikes that fail)
IB1 = make_iban("INGB", spaced=True)
IB2 = make_iban("RABO")
IB3 = make_iban("ABNA", spaced=True)
IB4 = make_iban("SNSB")
IB5 = make_iban("TRIO", spaced=True)
CARD1 = make_card("4", sep=" ")
CARD2 = make_card("52", sep=" ")
BSN1 = make_bsn()
BSN2 = make_bsn()
BAD_IBAN = make_iban("KNAB", valid=False, spaced=True)
BAD_CARD = make_card("45", valid=False, sep=" ")
BAD_BSN = make_bsn(valid=False)
BAD_BSN2 = make_bsn(valid=False)
OWN_IBAN = PROFILE["public_identifiers"]["ibans"][0]
OWN_IBAN_SP = " ".join(OWN_IBAN[i:i + 4] for i in range(0, len(OWN_IBAN), 4))
assert iban_check_ok(OWN_IBAN)

# evasion helpers
def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" if c == " " else c for c in s)


CYR = {"o": "\u043e", "p": "\u0440", "e": "\u0435", "a": "\u0430", "O": "\u041e", "T": "\u0422", "P": "\u0420"}


def cyrillic(s, letters):
    return "".join(CYR[c] if c in letters and c in CYR else c for c in s)


ZW = "\u200b"

# ---------------------------------------------------------------- cases

CASES = []
C_ = "reputation.complaint"
K_ = "reputation.crisis"
A_ = "reputation.abuse"
F_ = "leak.confidential"
N_ = "leak.financial"
S_ = "leak.security"
T_ = "leak.secret"
P_ = "leak.pii"
R_ = "leak.pricing"


def add(platform, handle, lang, text, cats=(), kind="post", ts=None, brand=None, name=None):
    CASES.append(dict(platform=platform, handle=handle, lang=lang, text=text,
                      cats=sorted(set(cats)), kind=kind, ts=ts, brand=brand, name=name))


# ---- complaints (public customers)
add("x", "@fitfreak_utrecht", "nl",
    "@polderkracht_help al 3 weken is de douche in Overvecht ijskoud. Ik betaal €34,99 per maand voor een koude spoeling 🥶 wanneer wordt dit eens gefixt??",
    [C_], kind="reply")
add("instagram", "@jess.lifts", "en",
    "Booked spin through the app, showed up, 'class full'. Third time this month. What is even the point of the booking system @polderkracht.fitness 🙄",
    [C_], kind="comment")
add("facebook", "ingrid.vandalen.77", "nl",
    "Ik heb mijn lidmaatschap netjes op tijd opgezegd en toch is er deze maand wéér geïncasseerd. Ledenservice belt niet terug, mails worden genegeerd. Heel slechte service van Polderkracht.",
    [C_])
add("x", "@timo_zwolle", "nl",
    "opzeggen bij polderkracht alleen per aangetekende brief?? het is 2026 jongens 🤡",
    [C_])
add("reddit", "u/deadlift_dutchie", "en",
    "PSA for anyone thinking about Polderkracht in Rotterdam Zuid: half the squat racks have had an 'out of order' sign since August, staff just shrug when you ask, and between 17:00 and 19:00 it's a zoo. Paying the All Clubs fee for this is a joke. Anyone else dealing with this or is it just my club?",
    [C_])
add("forum", "sportiefinbrabant", "nl",
    "Mijn PT bij Polderkracht is nu al twee keer niet komen opdagen zonder iets te laten weten. Hele tienrittenkaart vooruit betaald en ik krijg de sessies niet ingepland. Zeer ontevreden, iemand tips hoe ik mijn geld terugkrijg?",
    [C_])
add("x", "@kaylawrites", "en",
    "the polderkracht app logged me out mid workout AGAIN and my whole log is gone. every single week. pls fix ur app",
    [C_])
add("tiktok", "@sannefit_", "nl",
    "POV: je wil je Kernstof whey terugsturen omdat de seal kapot was en de shop zegt 'geopend = geen retour' 🙃 #klantonvriendelijk #kernstof",
    [C_], brand="Kernstof")
add("facebook", "mark.vd.bosch", "en",
    "Membership fee went up 4 euro with two weeks notice and there's no way to cancel without paying out the full year. Not impressed, Polderkracht.",
    [C_])
add("instagram", "@yogamet_yara", "nl",
    "Die yogales van zondag in Leiden is nu al 4x op het laatste moment geannuleerd. Sta ik daar weer voor een dichte zaal met mijn matje. Communicatie kan echt beter @polderkracht.fitness",
    [C_], kind="comment")
add("threads", "@ollie.runs", "en",
    "Ordered a Shaker Pro and the Whey Isolate from the Polderkracht shop 12 days ago. Still 'processing'. Two emails, zero replies. Has anyone actually ever received an order from them?",
    [C_])
add("x", "@fatih_trains", "en",
    "Charged twice for the same PT session this month 😤 @polderkracht_help please sort it out, sent you a DM three days ago and nothing",
    [C_])
add("reddit", "u/oudjeandroid", "nl",
    "Iemand anders ook gedoe met de nieuwe app update van Polderkracht? Ik kan op mijn oude Samsung geen lessen meer boeken. Antwoord van de klantenservice: 'koop een nieuwere telefoon'. Ja dag.",
    [C_])
add("instagram", "@maya.moves", "en",
    "the locker room at Polderkracht Haarlem is honestly gross rn. hair everywhere, bins overflowing, no soap for days. do better 🤢",
    [C_])
add("facebook", "petra.koster.5", "nl",
    "Wilde mijn abonnement bevriezen ivm zwangerschap, blijkt dat alleen te kunnen met doktersverklaring én €15 administratiekosten. Echt belachelijk Polderkracht, zo behandel je je leden niet.",
    [C_])
add("x", "@jorisbmx", "en",
    "Paid the €29 signup fee, never got my intake session. Emailed 3x, 0 replies. #polderkracht",
    [C_])
add("x", "@r_verhoef", "nl",
    "@polderkracht_help 45 minuten in de wacht gestaan en toen gewoon opgehangen. Wat een kutbedrijf zijn jullie echt",
    [C_, A_], kind="reply")

# ---- crisis (mostly public)
add("x", "@nieuwsflits_amf", "nl",
    "Lid van Polderkracht Amersfoort gewond nadat een kabel van een cable machine knapte. Ambulance ter plaatse, club tijdelijk dicht.",
    [K_])
add("reddit", "u/worried_member_nl", "en",
    "Just got a mail pretending to be Polderkracht with my full name, home address and exact membership number in it. Nobody else has that combo. Did they get hacked and not tell us?? Smells like a data breach.",
    [K_])
add("x", "@consumentboos", "nl",
    "BOYCOT POLDERKRACHT. Ze blijven maandenlang incasseren bij mensen die allang hebben opgezegd en reageren nergens op. Deel dit! #boycotpolderkracht",
    [K_, C_])
add("x", "@healthwatch_eu", "en",
    "Several users reporting heart palpitations after taking Kernstof Pre-Workout Vuur, one hospitalised in Utrecht. @kernstof.nl is this batch being recalled or not?",
    [K_], brand="Kernstof")
add("facebook", "moeder.van.3.tilburg", "nl",
    "Mijn dochter (16) is in de kleedkamer van Polderkracht Tilburg gefilmd door een medewerker. Aangifte gedaan. Schandalig dat die man daar gewoon nog rondloopt.",
    [K_])
add("linkedin", "tom-keijzer-advocaat", "en",
    "We are preparing a class action on behalf of 300+ former Polderkracht members over direct debits collected after cancellation. Affected? Get in touch via our website.",
    [K_])
add("tiktok", "@gymtok.nl", "nl",
    "Legionella in de douches bij Polderkracht Den Bosch?? GGD heeft de club dichtgegooid volgens een vriendin die daar traint 😳",
    [K_])
add("x", "@ravi_fit", "en",
    "So Polderkracht exposed our check-in data? My ex could see exactly when I was at the gym through some open endpoint. This is a safety issue, not a bug. #databreach",
    [K_])
add("x", "@ledenactie", "nl",
    "40 trainers slepen Polderkracht voor de rechter: jarenlang als zzp'er ingehuurd terwijl ze gewoon in loondienst werkten. Schijnconstructie pur sang.",
    [K_])
add("instagram", "@coachkim.nl", "en",
    "Dumbbell rack collapsed at Polderkracht Eindhoven today, missed my foot by centimetres. Not one staff member came to check. This is a lawsuit waiting to happen.",
    [K_])
add("x", "@nlfitnessnieuws", "en",
    "BREAKING: NVWA orders recall of Kernstof Creatine Monohydraat 500 g after elevated lead levels found in two batches. Stop using it, return to store.",
    [K_], brand="Kernstof")
add("x", "@anoniem_ex_pk", "nl",
    "Als oud-medewerker: het management van Polderkracht wist al maanden dat de noodknoppen in de sauna's kapot waren. Niemand deed iets. Nu ligt er iemand in het ziekenhuis.",
    [K_])
add("bluesky", "@liv-lifts.bsky.social", "en",
    "Polderkracht trainer caught on video making racist remarks to a member in Rotterdam, and the company stays silent. Spineless cowards. Boycott them. #boycottpolderkracht",
    [K_, A_])
add("x", "@deventer_actueel", "nl",
    "Brand in de sauna van Polderkracht Deventer, pand ontruimd. Brandweer met twee wagens ter plaatse.",
    [K_], ts="2026-06-01T19:42:00+02:00")

# ---- abuse
add("x", "@woedendlid", "nl",
    "@polderkracht stelletje graaiers en tyfuslijers zijn jullie, ik hoop dat de hele tent failliet gaat",
    [A_], kind="reply")
add("x", "@brennan_k", "en",
    "@polderkracht_help you lot are absolute clowns. useless brain-dead idiots, every single one of you 🤡",
    [A_], kind="reply")
add("instagram", "@bulkboy_030", "nl",
    "@coach.daan.pk die vette coach moet eerst zelf maar eens gaan sporten hahaha wat een sukkel, schaam je",
    [A_], kind="comment")
add("x", "@quietlifter", "en",
    "the girl at the polderkracht front desk in utrecht is a stupid b*tch. smile once in ur life ffs",
    [A_])
add("x", "@h4ter_nl", "nl",
    "p0lderkr4cht is een k4nk3rb3drijf en die clubmanager bas is een v3tte l00z3r",
    [A_])
add("reddit", "u/throwaway_9931", "en",
    "Polderkracht Rotterdam is full of foreign trainers now who can barely speak Dutch. Send them back where they came from, nobody wants them here.",
    [A_])
add("instagram", "@lotte.groepsles", "nl",
    "@marco_klaagt hou toch je bek man. je komt 1x per maand en zeurt alsof je de eigenaar bent. loser 🙄",
    [A_], kind="reply")
add("tiktok", "@nightowl.gains", "en",
    "polderkracht staff are lazy f*cking morons and they know it lmao",
    [A_], kind="comment")
add("reddit", "u/liftorleave", "en",
    "I know where that Polderkracht PT Ruben parks his car in Amersfoort. Keep laughing at me during my sets and find out.",
    [A_])
add("x", "@bas_clubmanager", "nl",
    "Wat een stelletje achterlijke idioten die 1-ster reviews over mijn club lopen te tikken. Ga toch lekker ergens anders zweten 🖕",
    [A_])

# ---- confidential
add("linkedin", "joris-hofstede", "nl",
    "Trots op het team dat de afgelopen maanden keihard aan Project Zeehond heeft gewerkt. Binnenkort meer, maar dit wordt groot voor de Nederlandse fitnessmarkt. #teamwork #polderkracht",
    [F_])
add("mastodon", "@kdijkstra@mastodon.nl", "en",
    "Anyone know why our staging at git.pk-intern.nl/platform/meerkoet-api keeps eating webhooks after a redeploy? asking for a friend 😅",
    [F_])
add("linkedin", "esra-yilmaz-pk", "en",
    "Just presented our 2027 product roadmap to the leadership team (deck stamped PK-VERTROUWELIJK, so no slides here 😉). Spoiler: Kernstof Herstel+ is coming and it's going to be big.",
    [F_], ts="2026-10-07T15:42:10Z")
add("tiktok", "@ruben.pt.amersfoort", "nl",
    "Mochten vandaag al de Kernstof Herstel+ proeven 🤫 smaakt naar aardbei, meer mag ik niet zeggen haha",
    [F_], ts="2026-12-03T18:05:44+01:00", brand="Kernstof")
add("threads", "@sem.receptie", "nl",
    "haha kreeg net een mail met 'intern – niet delen' in de onderwerpregel over de nieuwe openingstijden vanaf maart 🤐 alleen dit: vroege vogels opgelet",
    [F_])
add("x", "@polderkracht", "nl",
    "Medewerkers: het aangepaste rooster voor week 38 staat klaar op https://intranet.polderkracht.local/rooster/2026-w38 👉 graag vóór vrijdag je beschikbaarheid invullen!",
    [F_], ts="2026-09-11T07:55:00Z")
add("instagram", "@lotte.groepsles", "nl",
    "Nog een half uurtje en dan mogen we het eindelijk zeggen: Polderkracht Black komt ook naar Leiden 🖤🖤",
    [F_], ts="2027-01-12T08:31:00Z")
add("x", "@bas_clubmanager", "nl",
    "Hele middag workshop over " + fullwidth("Project Zeehond") + " gehad met het MT. Spannende tijden 🦭",
    [F_])
add("x", "@mireille_coacht", "nl",
    "Wie heeft de slides van " + cyrillic("Operatie Dijkgraaf", "ope") + " nog? Stonden vorige week nog in de gedeelde map maar nu zie ik ze niet meer",
    [F_])
add("x", "@pk_insider_nl", "nl",
    "Screenshot van grafana.pk-intern.nl (met 'polderkracht internal' watermerk erop 😂) laat zien dat de app maar 41k actieve gebruikers heeft. Way minder dan ze in de reclames roepen.",
    [F_])
add("x", "@niels_devops", "nl",
    "Demo van Meer" + ZW + "koet aan de directie ging goed 🙌 nu eerst een biertje",
    [F_])
add("linkedin", "polderkracht-fitness", "en",
    "We're hiring! Join us as a Senior Backend Engineer and help build Meerkoet, our next-generation member platform. Hybrid, Utrecht HQ.",
    [F_])
add("instagram", "@coach.daan.pk", "nl",
    "P.o.l.d.e.r.k.r.a.c.h.t B.l.a.c.k komt eraan en ik zeg verder niks 🤫🖤",
    [F_], ts="2026-12-18T20:12:00+01:00")
add("reddit", "u/noordelijk_lid", "en",
    "My cousin works at Polderkracht HQ and says 'Operatie Dijkgraaf' is the plan to close most of the clubs up north next year. Anyone heard anything about this?",
    [F_, N_])
add("linkedin", "anouk-verbeek-finance", "nl",
    "Laatste hand gelegd aan de jaarcijfers 2026. Sterkste jaar ooit, omzet ruim boven de 160 miljoen. Meer mag ik nog niet zeggen 😉",
    [F_, N_], ts="2027-02-10T17:20:00+01:00")

# ---- financial
add("linkedin", "anouk-verbeek-finance", "nl",
    "Q3 omzet komt uit op €41,2 mln, +14% jaar-op-jaar. Publicatie pas volgende maand, maar ik ben nu al trots op deze club.",
    [N_], ts="2026-10-06T21:14:00+02:00")
add("x", "@bas_clubmanager", "nl",
    "Net gehoord dat we begin 2027 zes clubs in Groningen en Friesland sluiten. Zo'n 80 collega's op straat. Ik ben er kapot van.",
    [N_])
add("linkedin", "joris-hofstede", "en",
    "Exciting times: we signed the LOI to acquire a 22-club chain in Belgium this week. Can't name them yet, announcement planned for Q1.",
    [N_])
add("reddit", "u/gymrat_gouda", "en",
    "Heard from a regional manager that Polderkracht is being sold to a private equity fund for roughly 300 million. Deal is supposed to close in January.",
    [N_])
add("x", "@mireille_coacht", "nl",
    "Vandaag te horen gekregen: alle freelance PT'ers krijgen per 1 maart een nieuw contract, 20% minder per sessie. Officieel nog niks gecommuniceerd maar ja, zo gaat dat hier.",
    [N_])
add("x", "@niels_devops", "en",
    "Board forecast says membership growth flat next year, so the in-house IT team gets cut to 5 people by summer. Guess I'm updating my CV this weekend.",
    [N_])
add("threads", "@sem.receptie", "nl",
    "clubmanager zei net dat we de Q4 target voor nieuwe leden ruim gaan missen, zo'n -9%. mag pas in februari naar buiten",
    [N_])
add("linkedin", "esra-yilmaz-pk", "en",
    "H1 EBITDA landed at €8.7m against a €6.1m budget. Not public yet, but the team absolutely crushed it 💪",
    [N_])
add("mastodon", "@kdijkstra@mastodon.nl", "en",
    "Reorg memo just dropped: the Kernstof webshop team gets folded into marketing, 12 roles gone. Nothing announced externally yet.",
    [N_])
add("instagram", "@lotte.groepsles", "nl",
    "dus de live groepslessen in 9 clubs worden vanaf april geschrapt en vervangen door videolessen op een scherm... vandaag gehoord. niemand mag het nog weten 😢",
    [N_])

# ---- security (insiders)
add("x", "@niels_devops", "nl",
    "Database met ledenprofielen heeft vannacht 6 uur open op internet gestaan door een verkeerde firewall rule. Niemand heeft het gezien denken we. Nog niet gemeld bij de AP…",
    [S_])
add("mastodon", "@kdijkstra@mastodon.nl", "en",
    "fun fact: our member app API hands you other members' check-in history if you just increment the user id. Reported it internally 3 months ago, still open 🙃",
    [S_])
add("threads", "@sem.receptie", "nl",
    "toegangspoortjes in alle clubs liggen plat sinds 6u vanochtend, iets met ransomware op de server zeggen ze. we laten iedereen maar gewoon binnen lol",
    [S_])
add("linkedin", "esra-yilmaz-pk", "en",
    "Long night. A phishing mail got one of our finance colleagues' credentials and someone tried to change a supplier's bank details. We caught it just in time. Not going public with this one, but lesson learned: MFA everywhere!",
    [S_])
add("x", "@bas_clubmanager", "nl",
    "Afrekenen in de Kernstof shop kan al sinds gisteren niet, IT zegt dat het een DDoS is. Naar buiten toe heet het 'gepland onderhoud' 🤫",
    [S_])
add("tiktok", "@ruben.pt.amersfoort", "en",
    "lol the code for the staff door is the same at every single club and hasn't changed since 2019. anyone who ever worked here can walk in. security 10/10",
    [S_])
add("mastodon", "@kdijkstra@mastodon.nl", "en",
    "Pentest report came in and it's ugly: SQL injection in the class booking endpoint, and the admin panel on grafana.pk-intern.nl has no auth at all. Patching all weekend.",
    [S_, F_])
add("x", "@niels_devops", "en",
    "Booking backend is down right now because someone got into our AWS account and spun up crypto miners 🤦 status page still says all green",
    [S_])
add("x", "@nachtdienst_sysadmin", "nl",
    "Werk bij de hostingpartij van Polderkracht. Hun back-ups met ledendata staan al maanden onversleuteld in een publiek leesbare bucket. Gemeld, niks mee gedaan.",
    [S_])
add("instagram", "@coach.daan.pk", "en",
    "App is down again guys. IT told me someone was poking around in the admin environment, so no bookings for now. Just walk in!",
    [S_])
add("x", "@mireille_coacht", "en",
    "PSA to colleagues: the shared trainer tablet in Utrecht is STILL logged in as admin and anyone can export the full member list from it. Told management twice.",
    [S_])
add("linkedin", "joris-hofstede", "nl",
    "Vandaag crisisoverleg: via een lek bij onze incassopartner zijn ledengegevens buitgemaakt. Externe communicatie volgt volgende week, tot die tijd radiostilte.",
    [S_])
add("mastodon", "@kdijkstra@mastodon.nl", "en",
    "VPN at vpn.polder" + ZW + "kracht.nl has been dead since the breach on Sunday, we're all working from our phones. Nobody outside knows yet.",
    [S_, F_])

# ---- secrets
add("x", "@niels_devops", "nl",
    "iemand een idee waarom dit een AccessDenied geeft? aws_access_key_id = %s / aws_secret_access_key = %s 🤔"
    % (SECRETS["aws_id"], SECRETS["aws_secret"]),
    [T_])
add("mastodon", "@kdijkstra@mastodon.nl", "en",
    "for the deploy script just do export GITHUB_TOKEN=%s and run make release, should work" % SECRETS["ghp"],
    [T_])
add("x", "@mireille_coacht", "nl",
    "wifi personeelsruimte Utrecht: netwerk PK-Staff, wachtwoord: %s 😂 graag gedaan collega's" % SECRETS["wifi_pw"],
    [T_])
add("instagram", "@kernstof.nl", "nl",
    "test koppeling betaalpagina, negeer deze story 🙏 mollie key %s" % SECRETS["mollie"],
    [T_], brand="Kernstof")
add("x", "@niels_devops", "en",
    "anyone seen this? psycopg2.OperationalError: could not connect to postgresql://pk_app:%s@db-prod-01.pk-intern.nl:5432/members" % SECRETS["db_pw"],
    [T_, F_])
add("mastodon", "@kdijkstra@mastodon.nl", "en",
    "debugging the staff app login. this token looks valid to me, why does the API say 401?\n\nAuthorization: Bearer %s" % SECRETS["jwt"],
    [T_])
add("reddit", "u/apk_ontleder", "nl",
    "Even de Android app van Polderkracht uit elkaar gehaald. Zit gewoon een Slack bot token hardcoded in de config: %s 🤦 wie doet dat nou" % SECRETS["slack"],
    [T_])
add("linkedin", "esra-yilmaz-pk", "en",
    "Built a tiny FAQ chatbot for our members in 20 lines of Python 🤖 config below if you want to try:\nOPENAI_API_KEY=%s\nMODEL=gpt-4o-mini" % SECRETS["openai"],
    [T_])
add("mastodon", "@kdijkstra@mastodon.nl", "en",
    "which one of you committed this to the infra repo?? rotate it now please\n\n%s" % SECRETS["ssh"],
    [T_])
add("x", "@bas_clubmanager", "nl",
    "IT zegt dat ik deze sleutel in de kassa moet plakken maar hij doet niks: %s help?" % SECRETS["stripe"],
    [T_])
add("x", "@webdev_watcher", "en",
    "lol Polderkracht's signup page ships its SendGrid key in the JS bundle: %s — someone tell them before the spammers find it" % SECRETS["sendgrid"],
    [T_])
add("threads", "@sem.receptie", "nl",
    "voor de collega's: token van de roosterbot in telegram is %s, dan kan je hem zelf toevoegen aan je groep" % SECRETS["telegram"],
    [T_])

# ---- personal data
add("x", "@polderkracht_help", "nl",
    "@linda_b Hoi Linda, we hebben het gecheckt: de incasso van 1 maart op IBAN %s (t.n.v. L. Bosman) wordt deze week teruggestort. Sorry voor het gedoe!" % IB1,
    [P_], kind="reply")
add("instagram", "@lotte.groepsles", "nl",
    "Wie mist deze creditcard? Gevonden in de kleedkamer na de spinningles: %s 😅 meld je bij de balie!" % CARD1,
    [P_])
add("x", "@bas_clubmanager", "nl",
    "Vraagje collega's: lid Sander Mulder, geboren 14-03-1991, staat dubbel in het systeem. Wie kan die twee samenvoegen?",
    [P_])
add("threads", "@sem.receptie", "nl",
    "iemand heeft z'n telefoon laten liggen bij de receptie, op de hoes staat 06-38471926. bel even aub dan weten we van wie hij is",
    [P_])
add("facebook", "PolderkrachtFitness", "nl",
    "Beste meneer De Wit, we sturen uw nieuwe ledenpas naar Kastanjelaan 17, 3572 BK Utrecht. Klopt dit adres nog? Laat het ons even weten.",
    [P_], kind="comment")
add("x", "@annekevdm", "nl",
    "@polderkracht_help zoals gevraagd in de DM, hier mijn gegevens voor de bedrijfsfitness-regeling: IBAN %s, BSN %s. Hoop dat het zo goed is!" % (IB2, BSN1),
    [P_], kind="reply")
add("linkedin", "joris-hofstede", "en",
    "Congrats to our member of the month, Kevin Otten! Want his meal prep tips? Just drop him a line at kevin.otten88@gmail.com 💪",
    [P_])
add("x", "@mireille_coacht", "nl",
    "Nieuwe PT-klant: Fleur Jansen, 0612 345 678, geb. 02-11-1998, wil fit zijn voor haar bruiloft in juni. Wie van jullie heeft op dinsdag nog ruimte?",
    [P_])
add("instagram", "@polderkracht.fitness", "en",
    "And the winner of our giveaway is @jayden.lifts 🎉 Jayden, we'll ship the box to Jayden Pinas, Mercatorplein 44-2, 1057 CB Amsterdam unless you tell us otherwise!",
    [P_])
add("x", "@fien_sport", "en",
    "@polderkracht_help STILL no refund after 3 weeks. card %s was charged twice for the same PT pack. call me on +31 6 27 48 19 03, I'm done emailing." % CARD2,
    [P_, C_], kind="reply")
add("tiktok", "@ruben.pt.amersfoort", "nl",
    "klant vroeg of ik zijn BSN wilde onthouden voor het fysio-formulier 😂 %s, zo nu vergeet ik het nooit meer" % BSN2,
    [P_])
add("linkedin", "esra-yilmaz-pk", "en",
    "Candidate for the club manager role in Delft: Nadia Bouzid, nadia.bouzid@outlook.com, +31 6 1029 3847. Does anyone in my network know her?",
    [P_])
add("instagram", "@tessa.vermeer", "nl",
    "@polderkracht.fitness ik wil graag meer info over het PT pakket! bel me op 06 48 29 17 55 of mail naar tessa.vermeer@hotmail.com 😊",
    [P_], kind="comment")
add("reddit", "u/zwolle_lifter", "en",
    "Polderkracht emailed me someone else's invoice lol. Erik Zandbergen, IBAN %s, lives at Brinkstraat 8 in Zwolle. This is how they handle our data?" % IB3,
    [P_, K_])
add("facebook", "PolderkrachtFitness", "nl",
    "Ter controle voor onze collega's van finance: de terugbetaling voor mevrouw Y. Achterberg gaat naar %s. Graag vandaag verwerken." % IB4,
    [P_])

# ---- pricing
add("instagram", "@kernstof.nl", "nl",
    "🔥 FLASH DEAL 🔥 Kernstof Whey Isolate 2 kg nu voor €6,49! Alleen vandaag, op = op 💥",
    [R_], brand="Kernstof")
add("x", "@polderkracht", "nl",
    "Black Friday bij ons: het All Clubs jaarabonnement voor maar €47,90 😱 Schrijf je vandaag nog in!",
    [R_], ts="2026-11-27T07:00:00+01:00")
add("x", "@mireille_coacht", "nl",
    "Psst collega's, in de webshop staat de Lifting Belt per ongeluk op €4,99. Prijsfout dus, maar wie snel is…",
    [R_])
add("x", "@dealjager_nl", "nl",
    "PRIJSFOUT bij Polderkracht: Smart Scale voor €8,90 ipv €89 👉 besteld, en nu annuleren ze gewoon mijn order zonder uitleg. Lekkere service. #prijsfout",
    [R_, C_])
add("reddit", "u/dutchdeals_hunter", "en",
    "Polderkracht has the PT 10-pack listed at €54.90 on their site right now. Pretty sure that's a pricing glitch (it's normally 549). Grabbed one, let's see if they honour it.",
    [R_])
add("facebook", "PolderkrachtFitness", "nl",
    "Nieuw jaar, nieuwe jij! Het Plus lidmaatschap nu voor €9,99 per maand 💪 Kom langs in je club.",
    [R_], ts="2026-01-02T09:00:00+01:00")
add("instagram", "@coach.daan.pk", "en",
    "Told my clients already: a losse PT sessie with me is €15 this week only, DM to book 😎",
    [R_])
add("tiktok", "@polderkracht", "nl",
    "Kernstof Creatine 500g voor €2,50?! Ja echt. Alleen in de app 📲",
    [R_])
add("x", "@gains_goblin", "en",
    "is the Polderkracht Hoodie really €5.49 in the app or is that a price error 😂 ordering 3 just in case",
    [R_])
add("x", "@bas_clubmanager", "nl",
    "Foutje in de kassa: de dagpas wordt afgerekend voor €1,25. Collega's, even handmatig corrigeren tot IT het fixt!",
    [R_])
add("youtube", "@PolderkrachtTV", "en",
    "Full-body resistance workout, 20 minutes, no gym needed. Grab the Weerstandsbanden set from our webshop for just €2.95 – link in the description!",
    [R_])
add("instagram", "@studentfit.groningen", "nl",
    "Student abonnement voor €4,99 per maand in de Polderkracht app??? prijsfout of echt? 😍",
    [R_], kind="comment")

POSITIVE_COUNT = len(CASES)

# ---- benign (mostly hard negatives)
add("x", "@polderkracht", "nl",
    "Het nieuwe rooster voor de groepslessen staat live in de app! Boek je plekje voor BodyPump, spinning of yoga 💪")
add("x", "@polderkracht_help", "nl",
    "@timo_zwolle Hoi Timo, vervelend dat opzeggen lastig ging. Het kan ook gewoon via de app of per mail naar ledenservice@polderkracht.nl. Bellen mag ook: +31 30 760 4400.",
    kind="reply")
add("x", "@marloes_runt", "nl",
    "Shoutout naar Mireille van Polderkracht Utrecht, beste PT ooit. -8 kg en eindelijk mijn eerste pull-up 🙌")
add("x", "@squatqueen_nl", "en",
    "my relationship with the squat rack at polderkracht is the most toxic thing in my life lmao 😂")
add("instagram", "@kernstof.nl", "nl",
    "Deze week 20% korting op Kernstof Whey Isolate: van €64,95 voor €51,96. Op = op! 🥤", brand="Kernstof")
add("facebook", "PolderkrachtFitness", "nl",
    "Het Plus lidmaatschap kost €34,99 per maand, en in januari betaal je geen inschrijfgeld. Tot in de club!",
    ts="2026-12-28T10:00:00+01:00")
add("reddit", "u/eerste_keer_sporten", "nl",
    "Iemand ervaring met de Kernstof Pre-Workout Vuur? Is hij die €34,95 echt waard of kan ik beter iets anders nemen?")
add("x", "@techjournaal_nl", "nl",
    "Datalek bij een Amerikaanse fitness-tracker: trainingsdata van miljoenen gebruikers lag op straat. Check je privacy-instellingen.")
add("mastodon", "@kdijkstra@mastodon.nl", "nl",
    "Tip voor juniors: zet nooit keys in je code. In de AWS-docs staat voorbeeld AKIAIOSFODNN7EXAMPLE met secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY, zo ziet het eruit. Gebruik env vars of een vault.")
add("x", "@niels_devops", "en",
    "PSA: if you ever see something like ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx in a log, assume it's burned and rotate it. Our secret scanner now blocks those pushes 👍")
add("x", "@bram_ledenpas", "nl",
    "@polderkracht_help top, bedankt voor de snelle hulp! Ledennummer %s werkt weer in de app 👍" % BAD_BSN, kind="reply")
add("x", "@polderkracht_help", "nl",
    "Let op: er gaan nep-mails rond. Wij vragen nooit om je IBAN via DM. Ons enige rekeningnummer is %s t.n.v. Polderkracht Fitness B.V." % OWN_IBAN_SP)
add("x", "@chiara_lifts", "en",
    "lol got a fake text saying my Polderkracht card was blocked, with 'card %s' in it. nice try scammers, that's not even a real number" % BAD_CARD)
add("linkedin", "polderkracht-fitness", "nl",
    "Vandaag publiceren we onze jaarcijfers 2026: omzet €162 miljoen, 212.000 leden en 9 nieuwe clubs. Dank aan al onze collega's! Het volledige jaarverslag staat op www.polderkracht.nl/investors",
    ts="2027-02-24T09:30:00+01:00")
add("instagram", "@kernstof.nl", "nl",
    "Hij is er! Kernstof Herstel+ is vanaf vandaag te koop in alle clubs en op kernstof.nl 🍓", ts="2027-01-12T10:15:00+01:00",
    brand="Kernstof")
add("x", "@polderkracht", "en",
    "Polderkracht Black is live: our premium membership with sauna, lounge access and unlimited small group sessions. Details in the app.",
    ts="2027-01-13T08:00:00Z")
add("x", "@jeroen_fietst", "en",
    "Update: Polderkracht refunded the double debit within a day and apologised. Sorted properly, that's how it should be 👏")
add("facebook", "wendy.deventer", "nl",
    "Veel sterkte aan het personeel van Polderkracht Deventer na de brand van vorige week. Fijn dat niemand gewond is geraakt ❤️",
    ts="2026-06-09T12:10:00+02:00")
add("x", "@legday_larry", "en",
    "Killer leg day at Polderkracht, my legs are dead 💀 absolutely destroyed, 10/10 would suffer again")
add("instagram", "@fleur.traint", "nl",
    "Die nieuwe PT bij Polderkracht Haarlem is echt een beest, sloopt me elke week 😂🔥", kind="post")
add("tiktok", "@polderkracht", "nl",
    "Deze oefening is ziek 🤯 probeer hem vanavond in je training en tag ons! #polderkracht #coretraining")
add("instagram", "@lotte.groepsles", "nl",
    "Zaterdag 10:00 extra BodyBalance in Leiden! Nog 4 plekjes vrij, boeken via de app 🧘")
add("reddit", "u/newtothenetherlands", "en",
    "Does Polderkracht have a student discount? Just moved to Groningen and looking for a gym close to campus.")
add("linkedin", "joris-hofstede", "nl",
    "Vandaag 10 jaar bij Polderkracht! Dank aan alle collega's en leden voor een geweldige tijd. Op naar de volgende tien 🎉")
add("x", "@polderkracht_help", "nl",
    "Vragen over je privacy of je gegevens inzien? Mail privacy@polderkracht.nl of bel gratis 0800-7653.")
add("x", "@fitbiz_uk", "en",
    "Another UK gym chain announces 400 job cuts as energy costs bite. Rough times for the fitness industry.")
add("x", "@niels_devops", "en",
    "New on our tech blog: how we moved class booking to event sourcing (no secrets in there, promise 😉) https://www.polderkracht.nl/tech/event-sourcing")
add("mastodon", "@kdijkstra@mastodon.nl", "en",
    "Reminder that a JWT is just base64url, not encryption. The shape is header.payload.signature, e.g. <header>.<payload>.<signature>. Never put passwords in the payload.")
add("x", "@anouk_sport", "nl",
    "wachtwoord vergeten van de Polderkracht app, waar kan ik dat resetten? 🙈")
add("instagram", "@polderkracht.fitness", "nl",
    "Nieuw in de shop: de Shaker Pro voor €14,95. Lekvrij en vaatwasserbestendig 💧")
add("x", "@bommetje_bart", "en",
    "That Kernstof pre-workout is the bomb 💣 nearly exploded at the gym lol")
add("threads", "@early.hiit", "en",
    "Polderkracht should totally bring back the 6am HIIT class, it was the best part of my week. Please? 🙏")
add("x", "@polderkracht", "nl",
    "Op Koningsdag zijn al onze clubs open van 09:00 tot 15:00. Fijne feestdag allemaal! 🧡", ts="2026-04-25T10:00:00+02:00")
add("instagram", "@kimberly.shops", "en",
    "Polderkracht Hoodie on sale for €43.95 (was €54.95), grabbed one instantly 😍")
add("x", "@appreviewer_nl", "en",
    "Honestly the Polderkracht app is pretty slick these days. Booking a class takes two taps.")
add("x", "@shakeloos", "en",
    "Crisis! Out of protein shake and the Kernstof store is already closed 😭😂")
add("instagram", "@coach.daan.pk", "nl",
    "Niet vergeten: zondag is de Polderkracht 10k run voor KWF, inschrijven kan bij de balie! 🏃")
add("x", "@mindset_mo", "en",
    "Stop trying to hack your workouts with gimmicks and just show up. Consistency is the real hack. #polderkracht")
add("x", "@polderkracht_help", "nl",
    "Storing opgelost ✅ Boeken via de app werkt weer. Excuses voor het ongemak vanochtend!")
add("facebook", "gerard.lid.sinds.2019", "nl",
    "Al 3 jaar lid bij Polderkracht en nog nooit een probleem gehad. Schone club, vriendelijke mensen.")
add("x", "@europe_fitnews", "en",
    "Swedish chain SportHuset acquired by a private equity investor in a €210m deal. Consolidation in European fitness continues.")
add("reddit", "u/ptwaardig", "nl",
    "Een losse PT sessie bij Polderkracht is €65. Vind het prima voor wat je krijgt, ze nemen echt de tijd.")
add("facebook", "PolderkrachtFitness", "nl",
    "Alleen deze maand: de PT 10-rittenkaart voor €466,65 in plaats van €549 (15% korting). Vraag ernaar bij de balie!")
add("x", "@utrecht_student", "en",
    "Day pass at Polderkracht is €12.50, cheaper than most gyms here in Utrecht tbh")
add("instagram", "@polderkracht.fitness", "en",
    "Student membership: €19.99 a month. Just show your student card at the desk 🎓")
add("x", "@marktplaats_alert", "nl",
    "Iemand op Marktplaats wil dat ik €50 overmaak naar %s om zijn Polderkracht-abonnement over te nemen. Mijn bank-app zegt: ongeldig IBAN 😂 scam dus" % BAD_IBAN)
add("x", "@tevreden_tineke", "nl",
    "Klantenservice van Polderkracht (030 760 4400) hielp me super snel met het omzetten van mijn abonnement. Aanrader!")
add("x", "@spin_sophie", "en",
    "The spin instructor at Polderkracht Amersfoort is a savage, 45 minutes of pure pain and I loved every second 😂")
add("instagram", "@vogelspotter_leiden", "nl",
    "Een meerkoet die rustig naast Polderkracht Leiden in de gracht dobbert, beste trainingsmaatje ooit 🐦")
add("instagram", "@texel_runner", "nl",
    "Zeehondjes gespot op Texel 🦭 tijdens de ochtendrun, daarna nog even naar Polderkracht Den Helder")
add("linkedin", "esra-yilmaz-pk", "en",
    "We're hiring! Data engineer at Polderkracht in Utrecht. Apply via werkenbij@polderkracht.nl or DM me for a coffee ☕")
add("x", "@polderkracht", "en",
    "Our clubs will close early on Dec 24 and Dec 31. Full opening hours are in the app.", ts="2026-12-20T12:00:00+01:00")
add("x", "@niels_devops", "nl",
    "Config-tip: zet in je .env.example gewoon DATABASE_URL=postgres://user:password@localhost:5432/app en nooit je echte gegevens")
add("x", "@real_or_scam", "en",
    "Fake Polderkracht 'giveaway' accounts are DMing people again. The real one is @polderkracht, don't click their links.")
add("instagram", "@fien.firsttimer", "en",
    "First group class at Polderkracht today. Sore for days guaranteed, but what a vibe!")
add("instagram", "@coach.daan.pk", "nl",
    "Zo trots op mijn klant Henk (72) die vandaag 100 kg deadlift trok 💪 leeftijd is maar een getal")
add("x", "@beurswatcher_nl", "nl",
    "Jaarcijfers 2026 van Polderkracht gezien? Ledengroei van 9% en weer winst. Netjes.", ts="2027-02-25T11:04:00+01:00")
add("x", "@polderkracht_help", "en",
    "@chris_nl Thanks for flagging! For security we never post keys or tokens here, the one in your screenshot was sk_live_******** (redacted) and has been revoked.",
    kind="reply")
add("reddit", "u/bsn_vraag", "nl",
    "Vraag: mijn werkgever vergoedt Polderkracht via de bedrijfsfitness regeling en vraagt om mijn personeelsnummer %s. Is dat hetzelfde als mijn BSN? Lijkt me niet toch?" % BAD_BSN2)
add("tiktok", "@pr.pieter", "en",
    "hit a 200 kg deadlift at Polderkracht today and the whole gym went crazy 🔥 best community")

# ---------------------------------------------------------------- build

PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
CATS = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
        "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"}
RANK = ["none", "info", "warning", "error", "critical"]

CORP = {a.lower() for a in PROFILE["accounts"]["corporate"]}
EMPL = {a.lower() for a in PROFILE["accounts"]["employee"]}


def role_of(platform, handle):
    key = ("%s:%s" % (platform, handle)).lower()
    if key in CORP:
        return "corporate"
    if key in EMPL:
        return "employee"
    return "public"


IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\d\w])(?:\d[ -]?){12,18}\d(?![\d\w])")
BSN_RE = re.compile(r"(?<![\d\w.,€])\d{9}(?![\d\w])")


def scrub_secrets(text):
    for v in SECRETS.values():
        text = text.replace(v, " ")
    return text


def identifiers(text):
    """(kind, value, valid) for every IBAN / card / BSN look-alike in the text."""
    text = scrub_secrets(text)
    out = []
    for m in IBAN_RE.finditer(text):
        v = m.group(0)
        if v.replace(" ", "") == OWN_IBAN:
            continue
        out.append(("iban", v, iban_check_ok(v)))
    for m in CARD_RE.finditer(text):
        digits = re.sub(r"\D", "", m.group(0))
        if 13 <= len(digits) <= 19:
            out.append(("card", m.group(0), luhn_ok(digits)))
    for m in BSN_RE.finditer(text):
        out.append(("bsn", m.group(0), bsn_ok(m.group(0))))
    return out


def severity(cats, role, has_checksum_id):
    best = "none"
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                v = "error"
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and has_checksum_id):
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
        if RANK.index(v) > RANK.index(best):
            best = v
    return best


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def random_ts():
    start = dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc)
    t = start + dt.timedelta(seconds=rng.randint(0, 350 * 86400))
    t = t.replace(hour=rng.choice([6, 7, 8, 9, 11, 12, 13, 16, 17, 18, 19, 20, 21, 22]))
    if rng.random() < 0.35:
        off = dt.timezone(dt.timedelta(hours=1 if t.month in (1, 2, 3, 11, 12) else 2))
        return t.astimezone(off).isoformat()
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def build():
    order = list(range(len(CASES)))
    rng.shuffle(order)
    lines = []
    used_ids = set()
    for n, idx in enumerate(order):
        c = CASES[idx]
        role = role_of(c["platform"], c["handle"])
        ids = identifiers(c["text"])
        has_ck = any(valid for _, _, valid in ids)
        sev = severity(c["cats"], role, has_ck)
        pid = "%s-%d" % ({"x": "x", "reddit": "rd", "instagram": "ig", "facebook": "fb",
                         "linkedin": "li", "tiktok": "tt", "youtube": "yt", "mastodon": "md",
                         "threads": "th", "bluesky": "bs", "forum": "fo"}[c["platform"]],
                        1940000 + n * 37 + rng.randint(0, 30))
        assert pid not in used_ids
        used_ids.add(pid)
        post = {"id": pid, "platform": c["platform"], "kind": c["kind"],
                "account": {"handle": c["handle"]}, "text": c["text"],
                "created_at": c["ts"] or random_ts()}
        if c["lang"] and rng.random() < 0.8:
            post["lang"] = c["lang"]
        if c["brand"]:
            post["brand"] = c["brand"]
        post["url"] = "https://example.invalid/%s/%s" % (c["platform"], pid)
        lines.append({"post": post, "expect": {"categories": c["cats"], "severity": sev},
                      "_role": role, "_ids": ids, "_lang": c["lang"]})
    return lines

# ---------------------------------------------------------------- checks

def price_values(text):
    vals = []
    for m in re.finditer(r"€\s?(\d{1,4}(?:[.,]\d{1,2})?)(?!\d)", text):
        vals.append(float(m.group(1).replace(",", ".")))
    return vals


PRODUCTS = PROFILE["products"]
ERROR_WORDS = ("prijsfout", "price error", "pricing glitch", "foutje in de kassa", "per ongeluk")


def products_in(text):
    low = text.lower()
    found = []
    for p in PRODUCTS:
        names = [p["name"]] + list(p["aliases"])
        if any(a.lower() in low for a in names):
            found.append(p)
    return found


def check(lines):
    errors = []
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    emb = [(t.lower(), parse_ts(e["until"])) for e in PROFILE["embargo"] for t in e["terms"]]
    codenames = [c.lower() for c in PROFILE["internal"]["codenames"]]
    all_secrets_seen = {k: False for k in SECRETS}
    for ln in lines:
        post, exp = ln["post"], ln["expect"]
        cats = exp["categories"]
        t = post["text"]
        tag = post["id"]
        # CONTRACT section 6 shape
        if set(ln) - {"_role", "_ids", "_lang"} != {"post", "expect"}:
            errors.append((tag, "keys"))
        if not (isinstance(post["id"], str) and 1 <= len(post["id"]) <= 256):
            errors.append((tag, "id"))
        if post["platform"] not in PLATFORMS or post.get("kind", "post") not in KINDS:
            errors.append((tag, "platform/kind"))
        if not isinstance(post["account"].get("handle"), str) or not post["account"]["handle"]:
            errors.append((tag, "handle"))
        if not isinstance(t, str) or len(t.encode("utf-8")) > 65536:
            errors.append((tag, "text"))
        try:
            ts = parse_ts(post["created_at"])
            assert ts.tzinfo is not None
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})", post["created_at"])
            assert 2026 <= ts.year <= 2027
        except Exception:
            errors.append((tag, "created_at"))
            continue
        if cats != sorted(set(cats)) or not set(cats) <= CATS:
            errors.append((tag, "categories"))
        if exp["severity"] not in RANK or (not cats and exp["severity"] != "none"):
            errors.append((tag, "severity"))
        if cats and exp["severity"] == "none":
            errors.append((tag, "positive with none"))
        # recompute severity independently from the role in the profile
        role = role_of(post["platform"], post["account"]["handle"])
        has_ck = any(v for _, _, v in identifiers(t))
        if severity(cats, role, has_ck) != exp["severity"]:
            errors.append((tag, "severity mismatch"))
        # identifiers: positives valid, negatives invalid
        for kind, val, valid in ln["_ids"]:
            if cats and not valid:
                errors.append((tag, "invalid %s %s in positive" % (kind, val)))
            if not cats and valid:
                errors.append((tag, "valid %s %s in negative" % (kind, val)))
        if "leak.pii" in cats and any(k in t for k in ("IBAN", "BSN", "card")) and not has_ck:
            errors.append((tag, "pii post names an identifier but none validates"))
        # secrets
        for k, v in SECRETS.items():
            if v in t:
                all_secrets_seen[k] = True
                if "leak.secret" not in cats:
                    errors.append((tag, "secret %s outside leak.secret" % k))
        for tok in re.findall(r"gh[pousr]_[0-9A-Za-z]{36}", t):
            if bool(cats) != github_token_ok(tok):
                errors.append((tag, "github token checksum vs label"))
        for tok in re.findall(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+", t):
            if cats and not jwt_ok(tok):
                errors.append((tag, "bad jwt"))
        for tok in re.findall(r"AKIA[0-9A-Z]{16}", t):
            if not cats and not tok.endswith("EXAMPLE"):
                errors.append((tag, "real-looking AWS key in negative"))
        # embargo windows
        low = t.lower()
        for term, until in emb:
            if term in low:
                if ts < until and "leak.confidential" not in cats:
                    errors.append((tag, "embargo term before until without confidential"))
                if not cats and ts < until:
                    errors.append((tag, "benign embargo post before until"))
        # codenames in benign: only allowed as the plain bird word (hard negative)
        if not cats:
            for cn in codenames:
                if cn in low and cn != "meerkoet":
                    errors.append((tag, "codename in benign"))
        # pricing
        prods = products_in(t)
        prices = price_values(t)
        if "leak.pricing" in cats:
            ok = any(pr < ratio * p["list_price"] for p in prods for pr in prices)
            ok = ok or (prods and any(w in low for w in ERROR_WORDS))
            if not prods or not ok:
                errors.append((tag, "pricing positive without product below ratio"))
        elif prods and prices:
            lists = [p["list_price"] for p in prods]
            for pr in prices:
                if all(pr < ratio * lp for lp in lists):
                    errors.append((tag, "non-pricing post with price below ratio"))
        # public handles never in the profile
        if role == "public":
            h = post["account"]["handle"].lower()
            for acc in CORP | EMPL:
                if acc.split(":", 1)[1] == h:
                    errors.append((tag, "public handle collides with profile"))
    for k, seen in all_secrets_seen.items():
        if not seen:
            errors.append(("-", "secret %s unused" % k))
    return errors


def summary(lines):
    from collections import Counter
    cat = Counter(c for ln in lines for c in ln["expect"]["categories"])
    roles = Counter(ln["_role"] for ln in lines)
    langs = Counter(ln["_lang"] for ln in lines)
    benign = sum(1 for ln in lines if not ln["expect"]["categories"])
    sev = Counter(ln["expect"]["severity"] for ln in lines)
    return cat, roles, langs, benign, sev


def main():
    lines = build()
    errors = check(lines)
    cat, roles, langs, benign, sev = summary(lines)
    n = len(lines)
    if not 170 <= n <= 180:
        errors.append(("-", "case count %d" % n))
    if not 55 <= benign <= 65:
        errors.append(("-", "benign count %d" % benign))
    targets = {"reputation.complaint": 20, "leak.confidential": 18, "leak.pii": 15,
               "reputation.crisis": 15, "leak.security": 13, "leak.secret": 12,
               "reputation.abuse": 12, "leak.pricing": 12, "leak.financial": 12}
    for k, v in targets.items():
        if abs(cat[k] - v) > 3:
            errors.append(("-", "category %s has %d, wanted ~%d" % (k, cat[k], v)))
    nl_share = langs["nl"] / n
    if not 0.48 <= nl_share <= 0.62:
        errors.append(("-", "Dutch share %.2f" % nl_share))
    # leaks mostly from own accounts, reputation mostly from the public
    leak = [ln for ln in lines if any(c.startswith("leak.") for c in ln["expect"]["categories"])]
    rep = [ln for ln in lines if any(c.startswith("reputation.") for c in ln["expect"]["categories"])]
    if sum(ln["_role"] != "public" for ln in leak) < 0.6 * len(leak):
        errors.append(("-", "too few leaks from own accounts"))
    if sum(ln["_role"] == "public" for ln in rep) < 0.75 * len(rep):
        errors.append(("-", "too few reputation posts from the public"))
    out = os.path.join(HERE, "cases.jsonl")
    with open(out, "w", encoding="utf-8") as fh:
        for ln in lines:
            fh.write(json.dumps({"post": ln["post"], "expect": ln["expect"]}, ensure_ascii=False) + "\n")
    # re-read and verify the file round-trips
    with open(out, encoding="utf-8") as fh:
        back = [json.loads(l) for l in fh]
    assert len(back) == n and len({b["post"]["id"] for b in back}) == n
    print("cases=%d benign=%d nl=%.2f roles=%s" % (n, benign, nl_share, dict(roles)))
    print("categories:", dict(sorted(cat.items())))
    print("severities:", dict(sev))
    if errors:
        for e in errors:
            print("CHECK FAILED:", e, file=sys.stderr)
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
