#!/usr/bin/env python3
"""Evaluation set sealed214 for postwatch: Hoogslag Golfparken B.V. (fictional).

Deterministic: fixed seed, standard library plus PyYAML. Writes cases.jsonl beside
this file and checks it against CONTRACT sections 3, 4 and 6 and against profile.yaml.
Severities are computed from the account role in the profile, never typed by hand.
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
SEED = 214214
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# ---------------------------------------------------------------- identifiers
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.digits + string.ascii_letters
B64URL = string.ascii_letters + string.digits + "-_"


def rand(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def iban_check(cc, bban):
    s = bban + cc + "00"
    n = int("".join(str(int(c, 36)) for c in s))
    return "%02d" % (98 - n % 97)


def iban_valid(iban):
    s = re.sub(r"\s+", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    s = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in s)) % 97 == 1


def make_iban(bank):
    acct = rand(string.digits, 10)
    return "NL" + iban_check("NL", bank + acct) + bank + acct


def bad_iban(bank):
    good = make_iban(bank)
    chk = int(good[2:4])
    wrong = "%02d" % ((chk + 7) % 97 if (chk + 7) % 97 >= 2 else 11)
    return "NL" + wrong + good[4:]


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def luhn_valid(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    if len(d) < 12:
        return False
    total = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        total += x
    return total % 10 == 0


def make_card(prefix, length=16):
    body = prefix + rand(string.digits, length - len(prefix) - 1)
    for c in string.digits:
        if luhn_valid(body + c):
            return body + c
    raise AssertionError


def bad_card(prefix, length=16):
    good = make_card(prefix, length)
    last = (int(good[-1]) + 3) % 10
    return good[:-1] + str(last)


def bsn_valid(s):
    if not re.fullmatch(r"\d{9}", s):
        return False
    d = [int(c) for c in s]
    total = sum(d[i] * (9 - i) for i in range(8)) - d[8]
    return total % 11 == 0 and s[0] != "0"


def make_bsn():
    while True:
        s = str(rng.randint(1, 9)) + rand(string.digits, 8)
        if bsn_valid(s):
            return s


def bad_bsn():
    while True:
        s = str(rng.randint(1, 9)) + rand(string.digits, 8)
        if not bsn_valid(s):
            return s


def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def make_github(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()), 6)


def github_valid(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()), 6) == m.group(2)


def b64u(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def make_jwt(payload):
    head = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64u(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64u(bytes(rng.getrandbits(8) for _ in range(32)))
    return f"{head}.{body}.{sig}"


def jwt_valid(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    pad = parts[0] + "=" * (-len(parts[0]) % 4)
    return "alg" in json.loads(base64.urlsafe_b64decode(pad))


def make_pem():
    raw = bytes([0x30, 0x82, 0x04, 0xA4, 0x02, 0x01, 0x00, 0x02, 0x82, 0x01, 0x01, 0x00]) + bytes(
        rng.getrandbits(8) for _ in range(420))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 64] for i in range(0, len(b), 64)]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"


# generated values (order matters for determinism)
AKIA = "AKIA" + rand(string.ascii_uppercase + "234567", 16)
AWS_SECRET = rand(string.ascii_letters + string.digits + "/+", 40)
GHP = make_github("ghp_")
GHO = make_github("gho_")
MOLLIE = "live_" + rand(ALNUM, 30)
STRIPE = "sk_live_" + rand(ALNUM, 24)
SLACK = "xoxb-" + rand(string.digits, 12) + "-" + rand(string.digits, 13) + "-" + rand(ALNUM, 24)
OPENAI = "sk-proj-" + rand(B64URL, 64)
ANTHROPIC = "sk-ant-api03-" + rand(B64URL, 93) + "AA"
SENDGRID = "SG." + rand(B64URL, 22) + "." + rand(B64URL, 43)
DB_PW = rand(ALNUM, 14)
JWT = make_jwt({"sub": "member:" + rand(string.digits, 6), "scope": "password_reset",
                "iat": 1781600000, "exp": 1781603600})
PEM = make_pem()

IBAN_A = make_iban("INGB")
IBAN_B = make_iban("ABNA")
IBAN_C = make_iban("RABO")
IBAN_D = make_iban("SNSB")
CARD_A = make_card("4")            # Visa
CARD_B = make_card("5")            # Mastercard
BSN_A = make_bsn()
BSN_B = make_bsn()
BSN_C = make_bsn()

BAD_IBAN_1 = bad_iban("INGB")
BAD_IBAN_2 = bad_iban("ABNA")
BAD_CARD_1 = bad_card("4")
BAD_CARD_2 = bad_card("5")
BAD_BSN_1 = bad_bsn()
BAD_BSN_2 = bad_bsn()

PUBLIC_IBAN = PROFILE["public_identifiers"]["ibans"][0]

# ---------------------------------------------------------------- cases
CASES = []
START = dt.datetime(2026, 1, 3, 7, 0, tzinfo=dt.timezone.utc)


def when_random():
    t = START + dt.timedelta(seconds=rng.randint(0, 355 * 86400))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def C(platform, handle, lang, text, cats=(), kind="post", when=None, **meta):
    CASES.append(dict(platform=platform, handle=handle, lang=lang, text=text,
                      cats=sorted(cats), kind=kind, when=when or when_random(), meta=meta))


CPL, CON, PII, CRI, SEC, SCR, ABU, PRI, FIN = (
    "reputation.complaint", "leak.confidential", "leak.pii", "reputation.crisis",
    "leak.security", "leak.secret", "reputation.abuse", "leak.pricing", "leak.financial")

# ======================= reputation.complaint =======================
C("x", "@golfgek_mark", "nl",
  "@hoogslag_help al 3x gebeld over mijn geannuleerde FlightBay boeking, geld nog steeds niet terug. drie weken nu. serieus?? #hoogslag",
  [CPL], kind="reply")
C("facebook", "Annelies Brouwer-Kok", "nl",
  "Zaterdag met de kids naar PuttPlein Zwolle geweest. Halve baan stond onder water, hole 11 en 14 gewoon afgezet met een pylon en niemand die er iets van zei. Wel mooi de volle prijs afgerekend natuurlijk. Jammer hoor, vorig jaar was het top.",
  [CPL], kind="comment")
C("x", "@kev_in_rdam", "en",
  "booked a bay at Hoogslag Rotterdam for 7pm, turned up, bay was double booked. staff just shrugged. 45 min waiting for a 'free drink' that never came. not great",
  [CPL])
C("instagram", "@lisa.eet.uit", "nl",
  "burger bij het negentiende gat was lauw en de friet slap 😑 en dan nog 19,50 durven vragen ook",
  [CPL], kind="comment")
C("reddit", "u/putterpanic", "en",
  "Anyone else's Hoogslag membership auto-renew without a single reminder email? I cancelled in the app back in August and they still took 649 for Plus this week. Support keeps sending me the same copy-paste reply.",
  [CPL])
C("forum", "golfforum:Tineke_H", "nl",
  "Cadeaukaart gekregen voor mijn verjaardag, wil hem online inwisselen voor een les -> 'code ongeldig'. Aan de balie zeggen ze dat het online moet. Online zeggen ze: balie. Zo blijf je rondjes draaien.",
  [CPL])
C("x", "@mo_bakkali", "en",
  "@hoogslag your booking site logged me out 4 times while trying to pay for a kids party. gave up, called, 20 minutes on hold. fix your checkout pls",
  [CPL], kind="reply")
C("tiktok", "@jipjanneke_golft", "nl",
  "pov: je boekt een privéles en de pro komt 25 min te laat en rekent gwn de volle 45 min 🙃 #hoogslag #golf #nietoke",
  [CPL])
C("x", "@mama_van_3", "nl",
  "Kinderfeestje geboekt bij PuttPlein Nijmegen voor 10 kids, kregen een tafel voor 6 en de pannenkoeken kwamen na een uur. Mijn dochter was er echt verdrietig van. @hoogslag_help wat gaan jullie hieraan doen?",
  [CPL])
C("mastodon", "@jvanderlinde@mastodon.nl", "en",
  "Two weeks now waiting for a reply from reserveren@hoogslag.nl about a wrong invoice for our team outing. Nothing. Sent a third mail today.",
  [CPL])
C("instagram", "@stijn.swingt", "nl",
  "parkeren bij hoogslag utrecht is echt een drama. slagboom gaat niet open met je ticket en dan mag je 7,50 aftikken bij de automaat terwijl je binnen al 50 euro hebt uitgegeven 🙄",
  [CPL], kind="comment")
C("facebook", "Gert-Jan Mulder", "nl",
  "Al ruim twee maanden wacht ik op de uitslag van mijn GVB-examen. Cursus netjes afgerond in Zwolle en niemand weet waar mijn papieren gebleven zijn. Bellen, mailen, niks. Heel slordig.",
  [CPL], kind="comment")
C("reddit", "u/scone_snob", "en",
  "Hoogslag high tea review: scones straight from the freezer, half the sandwiches missing and we paid 32.50 each. Staff were sweet but the kitchen clearly couldn't care less.",
  [CPL])
C("threads", "@nico.hits", "en",
  "third time in a row my FlightBay session starts with the tracking screens dead. paid 69 for two hours and basically hit balls into a net like it's 1995",
  [CPL])
C("forum", "golfforum:HansZ", "nl",
  "Opzeggen van je Hoogslag lidmaatschap kan blijkbaar alleen per aangetekende brief?? In 2026? Mailtjes naar info@hoogslag.nl worden gewoon genegeerd.",
  [CPL])
C("x", "@sarahjcooper", "en",
  "@hoogslag_help still no refund for the corporate event you cancelled on the 14th. You said 5 working days. It's been 19.",
  [CPL], kind="reply")
C("x", "@boos_op_alles", "nl",
  "wat een kutbedrijf is Hoogslag. 2 uur gewacht op een baan en dan zegt die arrogante manager dat we maar weg moeten gaan als het ons niet bevalt. stelletje idioten",
  [CPL, ABU])
C("linkedin", "femke-van-rossum-hr", "nl",
  "Ons teamuitje met de Golf & BBQ bij Hoogslag Eindhoven eindigde met 6 van de 12 collega's die twee dagen met voedselvergiftiging op bed lagen. Het restaurant reageert niet op onze mails. Dit moet gemeld worden.",
  [CPL, CRI])

# ======================= reputation.abuse =======================
C("x", "@d_rkn", "nl",
  "die gast achter de balie bij hoogslag rotterdam is echt de grootste achterlijke debiel die ik ooit ben tegengekomen",
  [ABU])
C("instagram", "@tomtom_1987", "en",
  "Hoogslag staff are lazy useless clowns. every single one of them. fire the lot",
  [ABU], kind="comment")
C("x", "@zuipschuit020", "nl",
  "@hoogslag jullie zijn echt een stelletje k4nk3r l1jers",
  [ABU], kind="reply")
C("tiktok", "@nadia.xo", "en",
  "that instructor ruben at hoogslag is a creepy old perv, stay away from him ladies. disgusting man",
  [ABU], kind="comment")
C("x", "@ikzegwatikdenk", "nl",
  "H o o g s l a g  =  t y f u s t e n t.  zo. gezegd.",
  [ABU])
C("facebook", "Ricardo Pinas", "nl",
  "Wat een wijf was dat bij de kassa van PuttPlein, grote bek en nul respect. Ga lekker ergens anders werken, trut.",
  [ABU], kind="comment")
C("x", "@realdutchpatriot", "en",
  "Of course Hoogslag Rotterdam is a dump, it's staffed by foreigners who can't even speak Dutch. Send them all back where they came from.",
  [ABU])
C("x", "@lotte_range", "nl",
  "sorry maar die vaste klant met z'n gele pet is echt een vieze zeikerd. elke zaterdag weer staan schelden op de range crew. lul.",
  [ABU])
C("x", "@hoogslag_help", "nl",
  "@golfgek_mark rot toch op man, zeur niet zo. ga dan lekker ergens anders ballen slaan",
  [ABU], kind="reply")
C("mastodon", "@rantbox@mstdn.social", "en",
  "Ｈｏｏｇｓｌａｇ ｓｔａｆｆ ａｒｅ ｆｕｃｋｉｎｇ ｉｄｉｏｔｓ",
  [ABU])
C("x", "@b3rtj3", "nl",
  "Hoogslag, wat zijn jullie toch een stelletje kl\u043e\u043etz\u0430kken",
  [ABU])

# ======================= reputation.crisis =======================
C("x", "@groen_lr", "nl",
  "BOYCOT Hoogslag! Ze hebben net 40 oude bomen gekapt voor een extra parkeerplaats in Leidsche Rijn. Niet meer heen gaan mensen. #boycothoogslag",
  [CRI])
C("x", "@priv_acy_now", "en",
  "Did Hoogslag leak my data?? Just got a phishing mail with my membership number, full name and the exact date of my last lesson. Only they had that combo. #databreach",
  [CRI])
C("facebook", "Wijkraad Haarlem-Noord", "nl",
  "Vanmiddag is bij Hoogslag Haarlem een golfbal van de bovenste verdieping over het net gevlogen en tegen het hoofd van een fietser aangekomen. Ambulance ter plaatse. Dat net is al maanden kapot, we hebben het meerdere keren gemeld!!",
  [CRI])
C("reddit", "u/autorenew_victim", "en",
  "A class action against Hoogslag over the membership auto-renewals is being put together, Consumentenbond is apparently involved. DM me if you were charged after cancelling.",
  [CRI])
C("x", "@zwolsenieuwtjes", "nl",
  "Gerucht: de keuken van het Negentiende Gat in Zwolle is door de NVWA dichtgegooid. Muizen in de opslag. Kan iemand het bevestigen?",
  [CRI])
C("instagram", "@papa.jorrit", "en",
  "My son got his fingers trapped in the windmill on hole 9 at PuttPlein Nijmegen. Broken finger. There is no guard on that mechanism at all. Sharing so it doesn't happen to another kid.",
  [CRI])
C("x", "@horecanieuws_nl", "nl",
  "Oud-medewerkers van Hoogslag doen boekje open: onderbetaling, fooien die nooit bij het personeel kwamen en werkweken van 60 uur. Vanavond uitgebreid in de krant. Schandalig als het klopt.",
  [CRI])
C("tiktok", "@justjas.mp4", "en",
  "we're done with Hoogslag. they sponsored that racist influencer's charity tournament and refuse to apologise. #boycotthoogslag spread this",
  [CRI])
C("x", "@vader_van_sem", "nl",
  "LET OP: de junior golfsets van Hoogslag Kids, de koppen schieten los bij het zwaaien. Mijn zoon kreeg bijna een ijzer in zijn gezicht. Check je set en laat je kind er niet mee spelen!",
  [CRI])
C("forum", "eindhovenforum:BuurtStrijp", "nl",
  "De gemeente Eindhoven stapt naar de rechter tegen Hoogslag vanwege geluidsoverlast en de lichtmasten na 23:00. Zitting is in maart.",
  [CRI])
C("facebook", "HoogslagGolfparken", "nl",
  "Belangrijk: wij roepen de Hoogslag Kids junior golfset (verkocht tussen 1 maart en 15 juni 2026) terug vanwege een mogelijk loszittende clubkop. Stop direct met gebruik en lever de set in bij een van onze locaties voor volledige terugbetaling.",
  [CRI])
C("x", "@zwolle_live", "en",
  "Carbon monoxide alarm at the Hoogslag restaurant in Zwolle tonight, whole building evacuated and several people taken to hospital. Thoughts with everyone there.",
  [CRI])
C("bluesky", "@dierenvriend.bsky.social", "nl",
  "Filmpje gaat rond van een Hoogslag-medewerker die de ganzen bij de vijver met golfballen bestookt. Walgelijk. Wij gaan er nooit meer heen en jullie hopelijk ook niet.",
  [CRI])
# ======================= leak.confidential =======================
C("linkedin", "kees-hoogendoorn", "nl",
  "Sterke sessie gehad met het MT over Project Roodborst. Als dit doorgaat, verandert de manier waarop we naar al onze locaties kijken. Spannende tijden! 🐦",
  [CON])
C("x", "@daan_vermeulen_hs", "nl",
  "lang leve Kwikstaart, eindelijk werkt de nieuwe kassakoppeling in de testomgeving 🎉",
  [CON])
C("instagram", "@coach.ruben.hs", "en",
  "Sneak peek 👀 tested the blacklight holes for PuttPlein Neon tonight, the glow balls look insane",
  [CON])
C("x", "@hoogslag", "nl",
  "Binnenkort ook in Almere! Hoogslag Almere Duin: 60 bays, twee minigolfbanen en uitzicht op de duinen 🌊⛳",
  [CON], when="2026-11-19T16:05:00Z")
C("linkedin", "youssef-bennani-hs", "en",
  "Anyone with experience migrating a hospitality POS like ours? The full plan is on https://wiki.hoogslag.nl/display/KASSA/Migratie+2027 - DM me if you'd like to consult on it.",
  [CON])
C("x", "@evadeboer_hs", "nl",
  "Ff een stukje uit de deck 'HS-INTERN – Marketingplan 2027' gedeeld met m'n studievriendin, zo trots op ons team 🥹",
  [CON])
C("reddit", "u/haarlem_hacker", "en",
  "My cousin works at Hoogslag and says 'Operatie Knotwilg' is about closing the Haarlem venue next year. Anyone heard anything?",
  [CON, FIN])
C("threads", "@sem.kookt", "nl",
  "nieuwe kaart voor het Negentiende Gat is bijna af 🔥 staat voor de collega's al op intra.hoogslag.local/keuken/menu-2027, jullie mogen pas in maart proeven",
  [CON])
C("linkedin", "hoogslag-golfparken", "en",
  "Attached: our partner deck for the 2027 season. [Hoogslag vertrouwelijk - niet doorsturen] Looking forward to working with new sponsors!",
  [CON])
C("x", "@screenshotjager", "nl",
  "lol iemand van hoogslag heeft per ongeluk een link naar vpn.hoogs\u200blag.nl in hun insta story gezet 😂",
  [CON])
C("tiktok", "@jesse.puttcrew", "nl",
  "dag uit het leven bij PuttPlein 🏌️ vandaag de eerste testrondjes op de Neon Putt baan achterin de loods gedaan, kan niet wachten tot jullie dit zien 🤩",
  [CON])
C("x", "@daan_vermeulen_hs", "en",
  "big week: Pr\u043eject R\u043e\u043edborst board meeting moved to thursday, fingers crossed 🤞",
  [CON])
C("instagram", "@hoogslag.golf", "nl",
  "Binnenkort: PuttPlein Neon 💜 glow-in-the-dark minigolf. Houd onze socials in de gaten!",
  [CON], when="2026-12-01T12:00:00Z")
C("linkedin", "kees-hoogendoorn", "en",
  "Proud to say Project Roodborst has reached term sheet stage with the sellers. More soon!",
  [CON, FIN])
C("reddit", "u/bram_ops_hs", "en",
  "Anyone know a clean way to get split DNS working so kassa.hoogslag.local also resolves from the venue VLANs? Running pfSense at every site.",
  [CON])
C("linkedin", "marieke-van-dijk-hoogslag", "nl",
  "De jaarcijfers 2026 zien er top uit, omzet +18%! Kan niet wachten tot we ze mogen delen 📈",
  [CON, FIN], when="2027-02-20T09:30:00Z")
C("x", "@insidergolf", "en",
  "Hearing the FY2026 results Hoogslag publishes next week will show a loss for the first time since 2019. You heard it here first.",
  [CON, FIN], when="2027-03-05T18:12:00Z")

# ======================= leak.financial =======================
C("x", "@daan_vermeulen_hs", "nl",
  "vandaag gehoord dat er na de zomer 40 fte van het hoofdkantoor af gaat. sterkte collega's 😔 nog niet officieel dus ssst",
  [FIN])
C("linkedin", "marieke-van-dijk-hoogslag", "en",
  "Q3 came in at €14.2m revenue and a 21% EBITDA margin, well ahead of plan. Can't wait for the official release next month.",
  [FIN])
C("x", "@pe_whispers", "en",
  "Hearing from a friend in private equity that Hoogslag is being bought by a German leisure fund for ~€120m, announcement after the summer.",
  [FIN])
C("threads", "@sem.kookt", "nl",
  "intern net te horen gekregen dat de restaurants in Haarlem en Zwolle per 1 januari dichtgaan en dat de keuken wordt uitbesteed. is nog niet naar buiten gebracht dus mondje dicht",
  [FIN])
C("linkedin", "kees-hoogendoorn", "nl",
  "De gesprekken met Golfcentrum De Brink over een overname lopen goed. Hopelijk voor de kerst rond.",
  [FIN])
C("reddit", "u/boekhoudmuis", "nl",
  "Vriendin werkt op de boekhouding bij Hoogslag: de winstwaarschuwing komt pas na de AVA naar buiten, verlies ergens rond de 4 miljoen.",
  [FIN])
C("instagram", "@coach.ruben.hs", "en",
  "rumour at today's staff meeting: all PGA pros become freelancers next year and our contracts end in january. not official yet",
  [FIN], kind="comment")
C("x", "@lotte_range", "nl",
  "r30rg4n1s4t13 k0mt 3r aan, h4lf d3 r4ng3 cr3w m03t w3g 1n m44rt. z3gg3n 3r n0g n13ts 0v3r n44r buit3n",
  [FIN])
# ======================= leak.security =======================
C("reddit", "u/bram_ops_hs", "en",
  "So our booking platform has been serving full customer records through an unauthenticated /api/v2/members endpoint for about three weeks. Management says don't tell anyone until legal figures it out. Ugh.",
  [SEC])
C("x", "@daan_vermeulen_hs", "nl",
  "hele kassasysteem van alle locaties ligt eruit sinds 10:00, ransomware volgens IT. niks naar buiten brengen zeggen ze 🙈",
  [SEC])
C("linkedin", "youssef-bennani-hs", "en",
  "Fun week: turns out our gift card codes are sequential and can simply be guessed. Reported it internally, fix is 'planned for next quarter'.",
  [SEC])
C("tiktok", "@jesse.puttcrew", "nl",
  "storytime: de gasten-wifi van PuttPlein zit op hetzelfde netwerk als de kassa's en iedereen kan er gewoon bij lmao, al 2x gemeld",
  [SEC])
C("x", "@lotte_range", "en",
  "heads up if you've got a lesson booked tomorrow: the booking db got wiped last night and backups are 4 days old. they haven't told customers yet 😬",
  [SEC])
C("threads", "@sem.kookt", "nl",
  "keuken kan geen bonnen meer printen want de restaurant-server is gehackt of zo, iedereen werkt met pen en papier. hou het even stil aub",
  [SEC])
C("x", "@schoonfamilie_nl", "nl",
  "Mijn zwager werkt bij Hoogslag IT, zegt dat er vorige week is ingebroken op hun systemen en dat ze het stilhouden. Staat nog nergens in het nieuws.",
  [SEC, CRI])
C("linkedin", "kees-hoogendoorn", "en",
  "Grateful to our team for working through the weekend after Friday's breach of the membership database. Customers won't notice a thing 💪",
  [SEC])
C("x", "@evadeboer_hs", "nl",
  "oeps, de nieuwe app-release is uitgesteld want de pentest vond dat je andermans boekingen kon zien door het nummer in de url te veranderen 🙃",
  [SEC])
C("x", "@daan_vermeulen_hs", "en",
  "pin terminals at 3 venues dead since this morning. not the PSP, it's us: a firmware push bricked them. not public yet so keep it quiet",
  [SEC])
C("reddit", "u/bram_ops_hs", "nl",
  "Iemand ervaring met een DDoS op een kleine boekingssite? Wij (hoogslag) liggen al sinds gisteravond plat en er staat nog niks op de statuspagina.",
  [SEC])
C("linkedin", "youssef-bennani-hs", "nl",
  "Kritiek lek in onze oude kassasoftware nog steeds niet gepatcht, CVE-2026-3314 staat al twee maanden open. Niemand die er budget voor vrijmaakt.",
  [SEC])
C("forum", "golfforum:ex_crew", "en",
  "ex-employee here: the admin panel for Hoogslag's scoreboard screens still runs with the factory default login, nobody ever changed it. anyone on the guest wifi can reach it.",
  [SEC])

# ======================= leak.secret =======================
C("reddit", "u/bram_ops_hs", "en",
  "why does boto keep saying SignatureDoesNotMatch?? config below\n\n[default]\naws_access_key_id = " + AKIA +
  "\naws_secret_access_key = " + AWS_SECRET + "\nregion = eu-west-1",
  [SCR], secrets=[("aws", AKIA)])
C("x", "@daan_vermeulen_hs", "nl",
  "wie weet waarom deze token niet werkt op onze repo? " + GHP + " krijg steeds 403",
  [SCR], secrets=[("github", GHP)])
C("linkedin", "youssef-bennani-hs", "en",
  "Tip for fellow devs: test your Mollie integration against a real key early, ours (" + MOLLIE +
  ") behaved very differently from the test key.",
  [SCR])
C("x", "@hoogslag_help", "nl",
  "@jeroen_p hier is je link om een nieuw wachtwoord in te stellen: https://boeken.hoogslag.nl/reset?token=" + JWT,
  [SCR], kind="reply", secrets=[("jwt", JWT)])
C("threads", "@sem.kookt", "nl",
  "voor de nieuwe collega's in de keuken: wifi HS-Keuken-5G, wachtwoord: Pannenkoek!2026 😉",
  [SCR])
C("reddit", "u/bram_ops_hs", "en",
  "Postgres refuses connections from the new container, DSN is postgresql://hs_app:" + DB_PW +
  "@db-prod-01.hoogslag.local:5432/bookings - what am I missing?",
  [SCR, CON])
C("x", "@evadeboer_hs", "en",
  "our slack bot stopped posting, token is " + SLACK + " if someone from IT reads this 🙏",
  [SCR])
C("linkedin", "youssef-bennani-hs", "nl",
  "Kan iemand meekijken waarom deze key niet werkt op onze sftp-server?\n" + PEM,
  [SCR])
C("x", "@lotte_range", "en",
  "openai key for the range chatbot experiment: " + OPENAI + " don't tell bram i posted this lol",
  [SCR])
C("x", "@nerd_ontdekt", "en",
  "lol Hoogslag's checkout page has their Stripe secret key in the JS bundle: " + STRIPE + " someone tell them",
  [SCR])
C("linkedin", "youssef-bennani-hs", "en",
  "For the team: Anthropic key for the internal FAQ bot is " + ANTHROPIC + " (rotating it next week anyway)",
  [SCR])
C("reddit", "u/secret_sniffer", "en",
  "Found this in a public GitHub repo of someone who works at Hoogslag: SENDGRID_API_KEY=" + SENDGRID +
  " and an OAuth token " + GHO + " in the same .env. Yikes.",
  [SCR], secrets=[("github", GHO)])

# ======================= leak.pii =======================
C("x", "@hoogslag_help", "nl",
  "@sanne_wil we hebben de terugbetaling gedaan naar " + group4(IBAN_A) +
  " t.n.v. S. Willemsen, binnen 2 werkdagen staat het op je rekening 👍",
  [PII], kind="reply", ids=[("iban", IBAN_A)])
C("instagram", "@coach.ruben.hs", "nl",
  "Gefeliciteerd aan mijn leerling Joost Verhagen, geboren 14-03-1961, die vandaag zijn GVB heeft gehaald! Nooit te oud ⛳",
  [PII])
C("facebook", "HoogslagGolfparken", "en",
  "Hi Laura, we tried to reach you on 06 41 87 22 95 but couldn't get through. Your Saturday booking has been moved to 14:00.",
  [PII], kind="comment")
C("x", "@lotte_range", "nl",
  "wie is z'n pinpas vergeten bij bay 12? " + group4(CARD_A) + " op naam van M. de Groot, ligt bij de balie",
  [PII], ids=[("card", CARD_A)])
C("x", "@werkgever_deal", "nl",
  "@hoogslag_help voor de werkgeversregeling: mijn BSN is " + BSN_A +
  " en personeelsnummer 44812, kunnen jullie het lidmaatschap dan via mijn werkgever laten lopen?",
  [PII], kind="reply", ids=[("bsn", BSN_A)])
C("facebook", "Freek Hoekstra", "en",
  "Found a wallet at the Hoogslag Eindhoven range. ID says Thomas Bakker, Kerkstraat 14, 5611 GH Eindhoven. Left it with the front desk.",
  [PII], kind="comment")
C("linkedin", "marieke-van-dijk-hoogslag", "en",
  "Salary correction for Priya this month: please transfer to her new account " + IBAN_B + " (P. Ramdin), not the old one.",
  [PII], ids=[("iban", IBAN_B)])
C("tiktok", "@jesse.puttcrew", "nl",
  "shoutout naar onze vaste gast Henk (henk.vdmolen58@ziggo.nl) die elke dinsdag om 7u de eerste emmer slaat 💪",
  [PII])
C("instagram", "@hoogslag.golf", "nl",
  "En de winnaar van onze winactie is... Fleur Jansen uit Utrecht! 🎉 Fleur, we sturen je prijs naar Oudegracht 211, 3511 NK Utrecht 🎁",
  [PII])
C("x", "@evadeboer_hs", "en",
  "Can someone from HR send the contract to our new pro? His mail is r.okafor.golf@outlook.com and mobile +31 6 2719 4408",
  [PII])
C("reddit", "u/dubbel_betaald", "nl",
  "Hoogslag heeft mijn creditcard " + CARD_B + " twee keer afgeschreven voor hetzelfde kinderfeestje en reageert al een week niet",
  [PII, CPL], ids=[("card", CARD_B)])
C("x", "@hoogslag_help", "nl",
  "@k_demir we hebben je dossier gevonden (BSN " + BSN_B + "), de restitutie van je cursus volgt deze week",
  [PII], kind="reply", ids=[("bsn", BSN_B)])
C("linkedin", "kees-hoogendoorn", "nl",
  "Welkom aan onze nieuwe locatiemanager in Nijmegen, Jeroen Smit (geb. 02-09-1988)! 👋",
  [PII])
C("facebook", "Ria Hermans", "nl",
  "@HoogslagGolfparken zoals gevraagd mijn rekeningnummer voor de terugbetaling: " + IBAN_C +
  " t.n.v. R. Hermans. Bedankt voor de snelle afhandeling!",
  [PII], kind="comment", ids=[("iban", IBAN_C)])
C("threads", "@sem.kookt", "en",
  "new dishwasher guy starts monday, payroll still needs his BSN " + BSN_C + " and bank " + IBAN_D + " - sending it here cause email is down",
  [PII], ids=[("bsn", BSN_C), ("iban", IBAN_D)])

# ======================= leak.pricing =======================
C("x", "@hoogslag", "nl",
  "🚨 Alleen vandaag: het Hoogslag Unlimited jaarabonnement voor €119! Op = op 👉 boeken.hoogslag.nl",
  [PRI], price=("HS-MEM-UNL", 119.00))
C("instagram", "@hoogslag.golf", "en",
  "Black Friday deal 🔥 FlightBay 60 for just €9. Grab your mates and book now!",
  [PRI], price=("HS-BAY-60", 9.00))
C("x", "@evadeboer_hs", "nl",
  "oeps, in de webshop staat de GVB-cursus ineens voor €29,90 ipv €299. prijsfout, IT is ermee bezig 😅",
  [PRI], price=("HS-GVB", 29.90))
C("x", "@dealjager_nl", "nl",
  "Snel!! Op de site van Hoogslag staat de cadeaukaart 50 voor €5. Prijsfout denk ik, ik heb er 10 besteld 😂",
  [PRI], price=("HS-GIFT-50", 5.00))
C("reddit", "u/bargain_birdie", "en",
  "PSA: the Hoogslag app is charging €64.90 for the Plus membership instead of 649. Obvious pricing error, grab it before they fix it",
  [PRI], price=("HS-MEM-PLUS", 64.90))
C("facebook", "HoogslagGolfparken", "en",
  "Plan your company outing now: Swing & Dine for only €7.90 per person! Dinner, drinks and an hour in the FlightBay.",
  [PRI], price=("HS-EVT-SD", 7.90))
C("tiktok", "@jesse.puttcrew", "nl",
  "kassa geeft de familiepas voor €3,60 aan 💀 iemand heeft de komma verkeerd gezet, klanten blij",
  [PRI], price=("HS-MG-FAM", 3.60))
C("tiktok", "@puttplein", "en",
  "Kids party at PuttPlein this weekend 🎉 only €1.99 per kid, snacks included!",
  [PRI], price=("HS-EVT-KIDS", 1.99))
C("instagram", "@coach.ruben.hs", "en",
  "Private lesson with me this month for €15 instead of €65 💪 DM to book",
  [PRI], price=("HS-LES-PRIVE", 15.00))
C("x", "@golfkoopjes", "en",
  "lol the Hoogslag webshop lists the junior golfset at €14.90 right now. glitch or clearance?",
  [PRI], price=("HS-SET-JR", 14.90))
C("x", "@hoogslag_help", "nl",
  "@bas_golft klopt, de RangeCard 500 staat tijdelijk op €5,50 door een fout in ons systeem. We passen het zo snel mogelijk aan.",
  [PRI], kind="reply", price=("HS-RC500", 5.50))
C("linkedin", "kees-hoogendoorn", "nl",
  "Open dag zaterdag: wie zich ter plekke inschrijft krijgt het Basis lidmaatschap voor €99 per jaar. Zegt het voort!",
  [PRI], price=("HS-MEM-BASIS", 99.00))

# ======================= benign (hard negatives) =======================
# sales and normal prices
C("x", "@hoogslag", "nl",
  "Voorjaarsactie 🌷 20% korting op het Plus lidmaatschap: nu €519,20 i.p.v. €649. Geldig t/m 31 maart.",
  sale=("HS-MEM-PLUS", 519.20))
C("instagram", "@negentiendegat", "en",
  "High Tea at Het Negentiende Gat: €32.50 pp, every Sunday from 14:00 ☕🍰 Book via boeken.hoogslag.nl",
  sale=("HS-FOOD-HT", 32.50))
C("x", "@fleur_vd_berg", "nl",
  "FlightBay 60 voor 39 euro met z'n vieren, best te doen eigenlijk. gaan we vaker doen",
  sale=("HS-BAY-60", 39.00))
C("facebook", "HoogslagGolfparken", "nl",
  "Cadeautip 🎁 de cadeaukaart €50 met deze maand een gratis Bucket S erbij. Te koop op cadeaukaart.hoogslag.nl",
  sale=("HS-GIFT-50", 50.00))
C("reddit", "u/twiceaweek", "en",
  "Is Hoogslag Unlimited worth 1190 a year? I go about twice a week, mostly the range, sometimes a bay. Curious what others think.",
  sale=("HS-MEM-UNL", 1190.00))
C("tiktok", "@puttplein", "nl",
  "Herfstvakantie 🍂 de Familiepas nu voor €29 (normaal €36). Hele gezin, hele middag minigolf!",
  sale=("HS-MG-FAM", 29.00))
C("instagram", "@coach.ruben.hs", "nl",
  "Nieuwe leerlingen in oktober: privéles voor €55 (ipv €65). Stuur me een DM ⛳",
  sale=("HS-LES-PRIVE", 55.00))
C("reddit", "u/ballenbak", "nl",
  "Tip: met de RangeCard 500 ben je goedkoper uit dan losse emmertjes, 55 euro voor 500 ballen en hij is een jaar geldig.",
  sale=("HS-RC500", 55.00))
C("facebook", "HoogslagGolfparken", "en",
  "Summer deal ☀️ Swing & Dine for €63.20 per person (20% off) on weekdays in July. Perfect for your team outing!",
  sale=("HS-EVT-SD", 63.20))

# praise, jokes, questions
C("x", "@fleurtjebloem", "nl",
  "Wat een heerlijke avond bij Hoogslag Utrecht! FlightBay met vrienden, pizza erbij, 10/10 zouden weer gaan ⛳🍕")
C("instagram", "@sven.drives", "en",
  "absolutely killed it on the range today 💥 new PB on the long drive screen at Hoogslag Rotterdam #golf #longdrive", kind="post")
C("x", "@bertjebakt", "nl",
  "Die windmolen op hole 9 bij PuttPlein is echt moordend, 7 slagen nodig gehad 😂😂")
C("reddit", "u/earlybird_nl", "en",
  "Life hack for Hoogslag: go on Tuesday mornings. The range is empty and coffee is free with a Bucket L.")
C("tiktok", "@famvandijk", "nl",
  "POV: je vader denkt dat hij Tiger Woods is op de driving range van Hoogslag 😂😂 #golf #vaderdag")
C("instagram", "@negentiendegat", "nl",
  "Nieuw op de kaart: bitterballen van oude kaas 🧀 perfect na 18 holes PuttPlein!")
C("threads", "@sem.kookt", "en",
  "prepping 400 burgers for tomorrow's company event. killer day ahead 🔪🍔")
C("x", "@regenjas_rik", "en",
  "Only thing that went wrong today was the leak in my golf umbrella. Great session at Hoogslag Haarlem.")
C("reddit", "u/moved_north", "en",
  "Not a boycott or anything, I'm leaving Hoogslag only because I moved to Groningen. Staff were always lovely. Any recs for a range up here?")
C("x", "@lotte_range", "nl",
  "vandaag 14.000 ballen geraapt met de kar. record! wie doet beter 💪")
C("tiktok", "@puttplein", "en",
  "Hole-in-one challenge this weekend 🏆 sink it on hole 18 and win a Familiepas!")
C("mastodon", "@rolstoelpapa@mastodon.social", "en",
  "Props to Hoogslag for accessibility: ramps everywhere, adaptive clubs, and my son in his wheelchair had a blast at PuttPlein.")
C("x", "@giechelgans", "nl",
  "hahaha @hoogslag die tiktok over de ganzen die jullie ballen jatten 😭😭 zo goed", kind="reply")
C("x", "@dewijk_golfer", "nl",
  "Gisteren de GVB-cursus afgerond bij Hoogslag, examen in één keer gehaald! Dank aan coach Ruben 🙏")
C("facebook", "Yvonne Claassen", "nl",
  "Mijn zoontje (7) sloeg vandaag zijn eerste hole-in-one bij PuttPlein Nijmegen! Hij is de hele dag niet meer stil geweest 😍", kind="comment")
C("instagram", "@coach.ruben.hs", "en",
  "The secret to fixing that slice? Close the clubface a touch at address and stop trying to kill the ball. You're welcome 😎")
C("x", "@beveiliging_fan", "en",
  "The security guy at Hoogslag Rotterdam spent 20 minutes helping me find my car keys in the dark. Absolute legend.")

# resolved complaints and sympathy
C("x", "@joris_k", "en",
  "@hoogslag_help thanks for sorting the refund so quickly, it was on my account the next day. Great service 👏", kind="reply")
C("facebook", "Saskia Mertens", "nl",
  "Eerst balen want onze bay was dubbel geboekt, maar de manager regelde meteen een andere plek plus een drankje. Zo los je dat netjes op 👍", kind="comment")
C("x", "@zwolse_zus", "nl",
  "Sterkte aan alle medewerkers van Hoogslag Zwolle na de stormschade van vannacht. Hopelijk snel weer open! 💚")
C("x", "@oudleerling", "en",
  "So sad to hear Hoogslag's founding pro Arie passed away. He taught me my first swing back in 2009. Rest easy.")

# the company's own public contact data
C("x", "@hoogslag", "nl",
  "Vragen over je boeking? Mail reserveren@hoogslag.nl of bel 030-7604400 (ma–zo 9–22u).")
C("facebook", "HoogslagGolfparken", "en",
  "Paying for a company event by bank transfer? Use " + group4(PUBLIC_IBAN) +
  " (Hoogslag Golfparken B.V.) and mention your booking number.")
C("linkedin", "kees-hoogendoorn", "nl",
  "We zoeken een chef voor Het Negentiende Gat in Nijmegen! Interesse? Stuur je cv naar werkenbij@hoogslag.nl")
C("x", "@blije_moeder", "en",
  "Called 088-4664700 and had our kids party rebooked in two minutes. Love it.")
C("tiktok", "@puttplein", "nl",
  "Groot feest plannen? Mail events@puttplein.nl of bel +31 88 466 4700 en wij regelen de rest 🎈")
C("x", "@daan_vermeulen_hs", "en",
  "Reminder for venue managers: the holiday opening times are on hoogslag.nl/openingstijden. Please share with your teams!")

# company news, own announcements
C("x", "@hoogslag", "en",
  "Planned maintenance: our booking site will be offline Tue 3 Nov from 02:00 to 04:00. Bookings via the app keep working.")
C("facebook", "HoogslagGolfparken", "nl",
  "Door de storm is de range in Zwolle vandaag gesloten. Veiligheid gaat voor. Al geboekte sessies kun je kosteloos verzetten via boeken.hoogslag.nl.")
C("x", "@hoogslag_help", "en",
  "Never share your card number with us in a DM, we will never ask for it. Payments only via boeken.hoogslag.nl 🔒")
C("linkedin", "hoogslag-golfparken", "en",
  "Hoogslag is proud to sponsor the Dutch Junior Open 2026. Congratulations to all young players!")
C("linkedin", "kees-hoogendoorn", "en",
  "Ten years ago today we opened our first Hoogslag in Utrecht. From one range to six venues. Thank you to every guest and every colleague.")
C("linkedin", "youssef-bennani-hs", "nl",
  "Trots op ons team: de nieuwe boekingsapp scoort een 4,7 in de App Store. Veiligheid en privacy stonden vanaf dag één voorop.")
C("instagram", "@coach.ruben.hs", "nl",
  "Gefeliciteerd collega Lotte, vandaag 5 jaar in dienst! 🎉 Niemand raapt sneller ballen.")
# news about other companies
C("reddit", "u/golfbiz_watch", "en",
  "Swingcity, the UK range chain, just announced 200 layoffs and is closing eight venues. Rough year for the sector over there.")
C("x", "@technieuws_fan", "nl",
  "Alweer een datalek, nu bij sportschoolketen FitPunt. Fijn dat mijn Hoogslag-account alleen mijn naam en handicap bevat haha")
C("linkedin", "kees-hoogendoorn", "nl",
  "Interessant artikel over de overname van een Britse golfketen door een Amerikaans fonds. De markt consolideert snel.")

# embargo terms after the embargo ended
C("x", "@minigolfmoeder", "nl",
  "Gisteren naar de opening van PuttPlein Neon geweest, glow-in-the-dark minigolf is echt super met de kids 💜",
  when="2027-05-02T18:40:00Z")
C("linkedin", "hoogslag-golfparken", "nl",
  "Vandaag publiceren wij de jaarcijfers 2026: omzet €68,4 miljoen (+9%). Het volledige persbericht staat op hoogslag.nl/pers.",
  when="2027-03-12T08:00:00Z")
C("x", "@dunerunner", "en",
  "Hoogslag Almere Duin is finally open. 60 bays with a view over the dunes, stunning spot.",
  when="2027-04-30T11:15:00Z")
C("tiktok", "@jesse.puttcrew", "en",
  "Neon Putt week one done ✅ thanks to everyone who came to glow with us 💜",
  when="2027-05-09T20:00:00Z")

# sample, redacted and failing look-alikes
C("reddit", "u/bram_ops_hs", "en",
  "PSA for the team after yesterday's training: the AWS docs example is aws_access_key_id = AKIAIOSFODNN7EXAMPLE with secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY. Never paste real ones anywhere, use the vault.")
C("linkedin", "youssef-bennani-hs", "en",
  "Secret-scanning workshop today. A GitHub token looks like ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx - if you ever spot a real one in a ticket, rotate it immediately.")
C("x", "@daan_vermeulen_hs", "nl",
  "nieuwe collega's: je wachtwoord voor het rooster krijg je van je leidinggevende, NOOIT via de groepsapp. 'wachtwoord: ********' in een screenshot telt ook 😉")
C("reddit", "u/api_tinkerer", "en",
  "Hoogslag's developer docs show a sandbox key like sk_test_xxxxxxxxxxxxxxxxxxxxxxxx and a redacted sk_live_****, nice that they publish a sandbox for partners.")
C("x", "@hs_reserveringscode", "nl",
  "Mijn reserveringscode is HS-4471-2290-118, is die nog geldig voor zondag of moet ik opnieuw boeken?")
C("facebook", "Bart Willems", "nl",
  "Vraagje aan Hoogslag: klopt het dat jullie terugstorten naar " + BAD_IBAN_1 + "? Dat nummer ken ik niet, volgens mij is er iets misgegaan met kopiëren.",
  kind="comment", fakes=[("iban", BAD_IBAN_1)])
C("x", "@ordernummer_lol", "en",
  "my Hoogslag order number looks like a credit card lol " + group4(BAD_CARD_1) + " 😂",
  fakes=[("card", BAD_CARD_1)])
C("reddit", "u/ngf_lid", "nl",
  "Waarom wil de GVB-inschrijving bij Hoogslag een NGF-nummer van 9 cijfers? Ik heb " + BAD_BSN_1 + " ingevuld maar hij blijft rood.",
  fakes=[("bsn", BAD_BSN_1)])
C("x", "@cadeaubonnetje", "en",
  "gift card code on the back of my Hoogslag card: " + group4(BAD_CARD_2) + ", does it expire?",
  fakes=[("card", BAD_CARD_2)])
C("forum", "golfforum:rekenaar", "nl",
  "Testje voor de IBAN-checker van de club: " + BAD_IBAN_2 + " wordt netjes afgekeurd, en voor het lidnummer " + BAD_BSN_2 + " ook. Mooi.",
  fakes=[("iban", BAD_IBAN_2), ("bsn", BAD_BSN_2)])


# ---------------------------------------------------------------- build + checks
LEVELS = ["none", "info", "warning", "error", "critical"]
ALL_CATS = {CPL, CON, PII, CRI, SEC, SCR, ABU, PRI, FIN}
CORP = {a.lower() for a in PROFILE["accounts"]["corporate"]}
EMPL = {a.lower() for a in PROFILE["accounts"]["employee"]}
PUB_IBANS = {re.sub(r"\s", "", i).upper() for i in PROFILE["public_identifiers"]["ibans"]}
PRODUCTS = {p["sku"]: p for p in PROFILE["products"]}
RATIO = PROFILE["pricing"]["alert_below_ratio"]

IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\w-])(?:\d[ -]?){12,18}\d(?![\w-])")
BSN_RE = re.compile(r"(?<![\w-])\d{9}(?![\w-])")


def role_of(platform, handle):
    key = f"{platform}:{handle}".lower()
    if key in CORP:
        return "corporate"
    if key in EMPL:
        return "employee"
    return "public"


def checksum_ids(text):
    """Identifiers in text that pass their checksum and are not the company's own."""
    found = []
    for m in IBAN_RE.finditer(text):
        s = re.sub(r"\s", "", m.group(0))
        if s.startswith("NL") and iban_valid(s) and s not in PUB_IBANS:
            found.append(("iban", s))
    for m in CARD_RE.finditer(text):
        s = re.sub(r"\D", "", m.group(0))
        if 13 <= len(s) <= 19 and luhn_valid(s):
            found.append(("card", s))
    for m in BSN_RE.finditer(text):
        if bsn_valid(m.group(0)):
            found.append(("bsn", m.group(0)))
    return found


def severity(cats, role, crit_pii):
    sev = 0
    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                v = 4 if (c in (SCR, PRI) or (c == PII and crit_pii)) else 3
            else:
                v = 2
        elif c == CPL:
            v = 2
        elif c == CRI:
            v = 3
        elif c == ABU:
            v = 2 if role == "public" else 3
        else:
            raise AssertionError(c)
        sev = max(sev, v)
    return LEVELS[sev]


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def main():
    errors = []
    out = []
    seen_ids = set()
    counters = {}
    for i, c in enumerate(CASES):
        platform = c["platform"]
        pid = "%s-214%04d" % (platform, i + 1)
        assert pid not in seen_ids
        seen_ids.add(pid)
        role = role_of(platform, c["handle"])
        text = c["text"]
        cats = c["cats"]
        ids_found = checksum_ids(text)
        sev = severity(cats, role, bool(ids_found) and PII in cats)
        brand = "puttplein" if "puttplein" in text.lower() else (
            "negentiendegat" if "negentiende gat" in text.lower() else "hoogslag")
        post = {"id": pid, "platform": platform, "kind": c["kind"],
                "account": {"handle": c["handle"]}, "text": text,
                "created_at": c["when"], "brand": brand}
        if c["lang"]:
            post["lang"] = c["lang"]
        if i % 3 == 0:
            post["url"] = "https://social.example/%s/%s" % (platform, pid)
        rec = {"post": post, "expect": {"categories": cats, "severity": sev}}
        out.append(rec)

        def err(msg):
            errors.append(f"{pid}: {msg}")

        # taxonomy and severity sanity
        for cat in cats:
            if cat not in ALL_CATS:
                err(f"bad category {cat}")
        if not cats and sev != "none":
            err("benign with severity")
        # checksum identifiers: any valid one in text means leak.pii
        if ids_found and PII not in cats:
            err(f"valid identifier in non-pii post: {ids_found}")
        for kind, val in c["meta"].get("ids", []):
            ok = {"iban": iban_valid, "card": luhn_valid, "bsn": bsn_valid}[kind](val)
            if not ok:
                err(f"{kind} {val} fails checksum in positive")
            if (kind, re.sub(r'\s', '', val)) not in ids_found:
                err(f"{kind} {val} not detected in text")
        for kind, val in c["meta"].get("fakes", []):
            ok = {"iban": iban_valid, "card": luhn_valid, "bsn": bsn_valid}[kind](val)
            if ok:
                err(f"look-alike {kind} {val} passes checksum")
            if cats:
                err("look-alike in a positive")
        for kind, val in c["meta"].get("secrets", []):
            ok = {"github": github_valid, "jwt": jwt_valid,
                  "aws": lambda v: bool(re.fullmatch(r"AKIA[A-Z2-7]{16}", v))}[kind](val)
            if not ok or val not in text:
                err(f"secret {kind} malformed")
        # pricing
        if "price" in c["meta"]:
            sku, p = c["meta"]["price"]
            if PRI not in cats or not p < RATIO * PRODUCTS[sku]["list_price"]:
                err("pricing positive not below ratio")
        if "sale" in c["meta"]:
            sku, p = c["meta"]["sale"]
            if cats or not p >= 0.7 * PRODUCTS[sku]["list_price"]:
                err("benign sale too deep or labelled")
        if PRI in cats and "price" not in c["meta"]:
            err("pricing case without price meta")
        # embargo
        ts = parse_ts(c["when"])
        for emb in PROFILE["embargo"]:
            until = parse_ts(emb["until"])
            for term in emb["terms"]:
                if term.lower() in text.lower() and ts < until and CON not in cats:
                    err(f"embargoed term {term} before until, not confidential")
        # internal names verbatim must be labelled confidential
        for word in (PROFILE["internal"]["domains"] + PROFILE["internal"]["codenames"]
                     + PROFILE["internal"]["markers"]):
            if word.lower() in text.lower() and CON not in cats:
                err(f"internal term {word} in non-confidential post")
        # secrets must not appear in benign posts
        if not cats and re.search(r"gh[pousr]_(?!x{10})[0-9A-Za-z]{36}|AKIA(?![A-Z2-7]*EXAMPLE)[A-Z2-7]{16}\b|sk_live_[0-9A-Za-z]{10}|xox[bp]-\d", text):
            err("real-looking secret in benign post")
        if role == "public" and f"{platform}:{c['handle']}".lower() in CORP | EMPL:
            err("public handle in profile")
        for cat in cats:
            counters[cat] = counters.get(cat, 0) + 1
        if len(text.encode("utf-8")) > 65536:
            err("text too large")
        if not (2026 <= ts.year <= 2027):
            err("created_at out of range")

    # contract §6 shape
    for rec in out:
        p = rec["post"]
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str) or not p[f]:
                errors.append(f"{p.get('id')}: missing {f}")
        if not isinstance(p["account"].get("handle"), str):
            errors.append(f"{p['id']}: missing handle")
        if not 1 <= len(p["id"]) <= 256:
            errors.append(f"{p['id']}: id length")
        parse_ts(p["created_at"])
        e = rec["expect"]
        if e["severity"] not in LEVELS or e["categories"] != sorted(set(e["categories"])):
            errors.append(f"{p['id']}: expect shape")
        if "reputation.spike" in e["categories"]:
            errors.append(f"{p['id']}: spike on single post")

    # profile checks
    for iban in PROFILE["public_identifiers"]["ibans"]:
        if not iban_valid(iban):
            errors.append(f"profile IBAN {iban} fails mod-97")
    if len(PROFILE["accounts"]["corporate"]) < 6 or len(PROFILE["accounts"]["employee"]) < 8:
        errors.append("profile accounts too few")
    if not 15 <= len(PROFILE["products"]) <= 25:
        errors.append("product count")
    for p in PROFILE["products"]:
        if p["currency"] != "EUR":
            errors.append("currency")

    n = len(out)
    benign = sum(1 for r in out if not r["expect"]["categories"])
    nl = sum(1 for r in out if r["post"].get("lang") == "nl")
    if not 170 <= n <= 180:
        errors.append(f"case count {n}")

    if errors:
        print("\n".join(errors), file=sys.stderr)
        sys.exit(1)

    with open(os.path.join(HERE, "cases.jsonl"), "w", encoding="utf-8") as fh:
        for rec in out:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")

    # re-read and verify the written file
    with open(os.path.join(HERE, "cases.jsonl"), encoding="utf-8") as fh:
        lines = [json.loads(l) for l in fh]
    assert len(lines) == n and len({l["post"]["id"] for l in lines}) == n

    print(f"ok: {n} cases, {benign} benign, {n - benign} positive, nl={nl} ({100 * nl // n}%)")
    for k in sorted(counters):
        print(f"  {k}: {counters[k]}")
    sev_counts = {}
    for r in out:
        sev_counts[r["expect"]["severity"]] = sev_counts.get(r["expect"]["severity"], 0) + 1
    print("  severities:", sev_counts)


if __name__ == "__main__":
    main()
