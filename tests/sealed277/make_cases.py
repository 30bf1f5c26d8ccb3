#!/usr/bin/env python3
"""Builds cases.jsonl for evaluation set sealed277 (Vosveld Spellen / Dobbelkelder).

Deterministic: fixed seed, hand-written post texts, generated identifiers and
credentials. Writes cases.jsonl beside this file and checks it:
  * every IBAN / card / BSN in a positive passes its checksum, every look-alike
    in a benign post fails it (the company's own published IBAN excepted);
  * generated credentials have their real structure (GitHub CRC-32, AWS, JWT);
  * every line is a valid CONTRACT section 6 case;
  * severities are computed from CONTRACT section 4 and the account role in
    profile.yaml, never typed by hand.
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
SEED = 277_2026
rng = random.Random(SEED)

PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base-62 order
B62 = ALNUM


# ---------------------------------------------------------------- identifiers
def iban_check(country, bban):
    s = bban + country + "00"
    n = int("".join(str(int(c, 36)) for c in s))
    return 98 - n % 97


def iban_valid(iban):
    s = re.sub(r"\s+", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    if s.startswith("NL") and len(s) != 18:
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(bank):
    bban = bank + "".join(rng.choice(string.digits) for _ in range(10))
    return "NL%02d%s" % (iban_check("NL", bban), bban)


def spaced_iban(iban):
    return " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))


def luhn_valid(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    if not 13 <= len(d) <= 19:
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
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for last in string.digits:
        if luhn_valid(body + last):
            full = body + last
            return " ".join(full[i:i + 4] for i in range(0, len(full), 4))
    raise AssertionError


def make_bad_card(prefix):
    good = make_card(prefix).replace(" ", "")
    bad = good[:-1] + str((int(good[-1]) + 3) % 10)
    assert not luhn_valid(bad)
    return " ".join(bad[i:i + 4] for i in range(0, 16, 4))


def bsn_valid(num):
    s = re.sub(r"\D", "", num)
    if len(s) != 9 or s[0] == "0":
        return False
    tot = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return tot % 11 == 0


def make_bsn():
    while True:
        first = str(rng.randint(1, 6)) + "".join(rng.choice(string.digits) for _ in range(7))
        tot = sum(int(first[i]) * (9 - i) for i in range(8))
        last = tot % 11
        if last < 10:
            s = first + str(last)
            assert bsn_valid(s)
            return s


def make_bad_bsn():
    s = make_bsn()
    bad = s[:-1] + str((int(s[-1]) + 4) % 10)
    assert not bsn_valid(bad)
    return bad


# ---------------------------------------------------------------- credentials
def rand(n, alphabet=ALNUM):
    return "".join(rng.choice(alphabet) for _ in range(n))


def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def github_token(prefix):
    body = rand(30)
    return prefix + body + b62(zlib.crc32(body.encode()), 6)


def github_valid(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()), 6) == m.group(2)


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def make_jwt():
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = b64url(json.dumps({"sub": "usr_48213", "role": "staff", "iss": "app-login",
                                 "iat": 1781690400, "exp": 1781694000},
                                separators=(",", ":")).encode())
    sig = b64url(bytes(rng.getrandbits(8) for _ in range(32)))
    return "%s.%s.%s" % (header, payload, sig)


def make_pem():
    b64 = string.ascii_letters + string.digits + "+/"
    lines = ["MIIEowIBAAKCAQEA" + rand(48, b64)] + [rand(64, b64) for _ in range(5)]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n...\n-----END RSA PRIVATE KEY-----"


VAL = {
    # personal identifiers (valid)
    "IBAN_C1": make_iban("INGB"),
    "IBAN_E1": spaced_iban(make_iban("ABNA")),
    "CARD_C1": make_card("5412"),
    "CARD_E1": make_card("4539"),
    "BSN_E1": make_bsn(),
    # look-alikes (invalid) for benign posts
    "FAKECARD": make_bad_card("4716"),
    "FAKEBSN": make_bad_bsn(),
    # credentials
    "GHP1": github_token("ghp_"),
    "GHS1": github_token("ghs_"),
    "AWS_ID": "AKIA" + rand(16, string.ascii_uppercase + "234567"),
    "AWS_SECRET": rand(40, string.ascii_letters + string.digits + "/+"),
    "STRIPE": "sk_live_" + rand(24),
    "SLACK": "xoxb-%s-%s-%s" % (rand(12, string.digits), rand(13, string.digits), rand(24)),
    "OPENAI": "sk-proj-" + rand(64, ALNUM + "-_") + "T3BlbkFJ" + rand(64, ALNUM + "-_"),
    "ANTHROPIC": "sk-ant-api03-" + rand(93, ALNUM + "-_") + "AA",
    "MOLLIE": "live_" + rand(30),
    "JWT": make_jwt(),
    "PEM": make_pem(),
    "DBPW": rand(6) + "!" + rand(8),
}
SECRET_KEYS = ["GHP1", "GHS1", "AWS_ID", "AWS_SECRET", "STRIPE", "SLACK", "OPENAI",
               "ANTHROPIC", "MOLLIE", "JWT", "PEM", "DBPW"]
STRONG_PII_KEYS = ["IBAN_C1", "IBAN_E1", "CARD_C1", "CARD_E1", "BSN_E1"]

ZW = "\u200b"  # zero-width space
CYR_I, CYR_O, CYR_E = "\u0456", "\u043e", "\u0435"  # Cyrillic i, o, e


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# ---------------------------------------------------------------- cases
CAT = {"S": "leak.secret", "P": "leak.pii", "PR": "leak.pricing", "C": "leak.confidential",
       "F": "leak.financial", "SE": "leak.security", "CR": "reputation.crisis",
       "CO": "reputation.complaint", "AB": "reputation.abuse"}
CASES = []


def A(platform, handle, lang, cats, text, kind="post", date=None, price=None):
    CASES.append(dict(platform=platform, handle=handle, lang=lang,
                      cats=sorted(CAT[c] for c in cats.split()), text=text, kind=kind,
                      date=date, price=price))


# ----- complaints ---------------------------------------------------------
A("x", "@jorisplays", "nl", "CO",
  "@vosveld_help al drie weken wachten op mn Polderkoningen Deluxe, trackingcode doet helemaal niks. "
  "Voor €129 had ik toch iets meer verwacht 😤", kind="reply")
A("reddit", "u/minis_and_mayhem", "en", "CO",
  "Opened my Sterrenzee Collector's Box tonight and half the miniatures are snapped off at the ankles. "
  "The packaging was literally one sheet of bubble wrap. Support's advice? \"Use some superglue.\" "
  "For a €189 box. Seriously, Vosveld?")
A("facebook", "Marieke Hoogendoorn", "nl", "CO",
  "Gisteravond bij de Dobbelkelder in Utrecht, 45 minuten op een tafel gewacht terwijl we gewoon "
  "gereserveerd hadden. En toen bleek er bij Grachtenrace een hele stapel kaarten te missen. "
  "Zonde van ons avondje uit.", kind="comment")
A("x", "@dice_and_dough", "en", "CO",
  "ordered Vossenjacht + the Winterhol expansion, received TWO copies of Winterhol and no base game 🙃 "
  "emailed support twice, radio silence. come on @vosveld_help")
A("instagram", "@ellen.vd.speelt", "nl", "CO",
  "die nieuwe druk van Molenmeester is echt flinterdun karton, de hoeken rafelen al na 2 potjes. "
  "vroeger stond vosveld voor kwaliteit, nu niet meer 👎 #bordspellen", kind="comment")
A("bluesky", "thijsdeboer.bsky.social", "en", "CO",
  "Dobbelkelder Amsterdam charged us the €17.50 speelmiddag arrangement each and the \"unlimited drinks\" "
  "turned out to be one lukewarm lemonade per person. Not coming back tbh.")
A("x", "@sanne_b_speelt", "en", "CO",
  "Your system cancelled our booking TWICE without a single email. Six of us now standing in front of a "
  "locked door in Haarlem. Great job Dobbelkelder", kind="reply")
A("forum", "Tafelridder88", "en", "CO",
  "The Lantaarnlopers rulebook has a misprint on p.12 – the scoring table contradicts the worked "
  "example – and two months later there's still no errata PDF. Pretty sloppy for a 42 euro game.")
A("reddit", "u/poldergamer", "nl", "CO",
  "Speelpas van de Dobbelkelder verlengt zich automatisch en opzeggen kan alléén per aangetekende brief?? "
  "Welk jaar is het. Gisteren €89 afgeschreven zonder enige herinnering. Iemand ervaring met terugvorderen?")
A("x", "@kellyrolls", "en", "CO",
  "@vosveld_spellen the metal dice set i got has two dice with the six printed twice and no one at all 😂 "
  "fun in a casino, less fun in a board game. QC where??", kind="reply")
A("mastodon", "@rvdlinden@mastodon.nl", "en", "CO",
  "Waited 20 minutes at Dobbelkelder Rotterdam for someone to teach us Sterrenzee, then the staff member "
  "admitted he'd never played it. Why put \"uitleg beschikbaar\" on the menu then?")
# first-hand safety incidents: crisis + complaint
A("x", "@moeder_van_3", "nl", "CO CR",
  "Mijn dochter (4) had een van de metalen dobbelstenen van de Vosveld set in haar mond, de verf liet los "
  "en ze heeft de hele avond overgegeven. Nergens een waarschuwing op de doos!! Ik ben woest @vosveld_help")
A("reddit", "u/lantern_burns", "en", "CO CR",
  "PSA: the rechargeable lantern token from Lantaarnlopers got so hot on the charger that it melted a hole "
  "through my tablecloth. It was sitting on my kid's bedroom shelf an hour earlier. Vosveld, what on earth "
  "are you shipping?")
A("instagram", "@femkefoodie", "nl", "CO CR",
  "Gisteren de nacho's gegeten bij Dobbelkelder Den Bosch en vannacht lagen we met z'n drieën kotsend op de "
  "bank. Voedselvergiftiging denk ik. Dit was de laatste keer 🤢", kind="comment")
A("x", "@owen_meeples", "en", "CO CR",
  "the bench at Dobbelkelder Utrecht literally collapsed under my mate last night, he needed 6 stitches in "
  "his leg. staff shrugged and offered us a drinks voucher. unreal.")
A("facebook", "Priscilla Tjon", "nl", "CO CR",
  "Kreeg vanavond een flinke schok van de stekkerdoos onder tafel 7 bij Dobbelkelder Haarlem, de bedrading "
  "lag gewoon bloot. Had net zo goed een kind kunnen zijn! Ik wil graag een reactie van het management.",
  kind="comment")
# complaint + abuse
A("x", "@stevie_rage", "en", "CO AB",
  "@vosveld_help you absolute clowns, third time my order has \"gone missing\". Useless bunch of idiots, "
  "just refund me already", kind="reply")
A("x", "@bertus_r", "nl", "CO AB",
  "Die kutwebshop van Vosveld weer hoor. Betaald, geen bevestiging, geen spel. Stelletje prutsers.")
# complaint + own personal data
A("x", "@hanna_speelt", "nl", "P CO",
  "@vosveld_help nog steeds geen terugbetaling voor de retour van Sterrenzee 😡 bel me maar op 06-38417265, "
  "ik ben dat gemail helemaal zat", kind="reply")
A("facebook", "Jeroen Hendriks", "en", "P CO",
  "Six weeks and still no refund for the damaged Polderkoningen. My IBAN is <<IBAN_C1>>, name J. Hendriks. "
  "Just transfer it please, I've sent it to support three times already.", kind="comment")
A("x", "@linda_k_games", "en", "P CO",
  "@vosveld_help you charged my card twice for one Zeesleutel order!! here's the full number so you can "
  "find it: <<CARD_C1>>. Please fix this today.", kind="reply")

# ----- crisis (third-party reports, boycotts, lawsuits, recalls, scandal) ----
A("x", "@eindhoven_actueel", "nl", "CR",
  "Bij Dobbelkelder Eindhoven is tijdens een toernooi een plafondplaat naar beneden gekomen, twee spelers "
  "met hoofdwonden naar het ziekenhuis. Hulpdiensten ter plaatse. #eindhoven")
A("x", "@stadsnieuws050", "nl", "CR",
  "Brandweer rukte vanavond uit naar Dobbelkelder Groningen, brandje in de keuken. Alle gasten naar buiten "
  "gestuurd, voor zover bekend niemand gewond.")
A("reddit", "u/infosec_otter", "en", "CR",
  "Multiple people on r/boardgames saying Vosveld's webshop got breached and customer names + addresses are "
  "being sold on a forum. Anyone seen a statement from Vosveld yet?")
A("x", "@eerlijkspelen", "nl", "CR",
  "Vosveld laat hun spellen drukken bij een fabriek die al twee keer in het nieuws was vanwege kinderarbeid. "
  "Koop niks meer bij ze tot ze dat oplossen. #boycotvosveld deel dit!")
A("bluesky", "inkandpixels.bsky.social", "en", "CR",
  "The illustrator behind the Sterrenzee art is taking Vosveld to court over unpaid royalties, first hearing "
  "is in Amsterdam next month. Wild that a company that size stiffs its freelancers.")
A("facebook", "VosveldSpellen", "nl", "CR",
  "Veiligheidswaarschuwing: we roepen de Vosveld Dobbelstenenset Metaal (productiebatch 2604) terug omdat "
  "de verf kan loslaten. Stop met gebruik en neem contact op via klantenservice@vosveld.nl voor een "
  "vervangende set.")
A("x", "@lokaalnieuws_ut", "nl", "CR",
  "Oud-medewerkers van Dobbelkelder doen hun verhaal over intimidatie en seksistische opmerkingen door een "
  "filiaalmanager. Het bedrijf zegt 'geschrokken' te zijn en start een onderzoek.")
A("x", "@indiedesignwatch", "en", "CR",
  "So Vosveld's Grachtenrace is more or less a 1:1 copy of a self-published game from 2019, and the original "
  "designer has the prototype photos to prove it. Plagiarism scandal incoming.")
A("tiktok", "@barista_solidarity", "en", "CR",
  "don't give Dobbelkelder your money. they fired a barista for trying to start a union. boycott until "
  "she's rehired ✊ #boycottdobbelkelder")
A("x", "@wijkapp_west", "en", "CR",
  "There's a video going round of a mouse running across the bar at Dobbelkelder Amsterdam-West. Has "
  "anyone called the food safety authority yet?")

# ----- abuse ------------------------------------------------------------------
A("x", "@rotterdamrick", "nl", "AB",
  "Die Bram van Vosveld is echt een vieze kankerlijer, blokkeert iedereen die kritiek heeft")
A("x", "@anon829145", "en", "AB",
  "@marloes_vosveld shut up you stupid cow, nobody asked for your opinion", kind="reply")
A("reddit", "u/saltyplayer99", "en", "AB",
  "vosveld = bunch of w4nk3rs making sh1t games for m0r0ns lol")
A("x", "@kwaaie_klant", "nl", "AB",
  "@vosveld_help k.u.t.b.e.d.r.i.j.f, jullie zijn echt t.y.f.u.s.l.i.j.e.r.s allemaal", kind="reply")
A("facebook", "Henk van Dalen", "nl", "AB",
  "Dobbelkelder neemt alleen nog maar buitenlanders aan die geen woord Nederlands spreken. Stuur ze allemaal "
  "terug naar hun eigen land.", kind="comment")
A("x", "@kees_dobbelkelder", "nl", "AB",
  "@bordspel_karin wat ben jij een zeikwijf zeg, ga lekker ergens anders lopen zeuren", kind="reply")
A("instagram", "@yara.speelt", "nl", "AB",
  "lol die vent die gisteren ging klagen over de wifi in de Dobbelkelder, wat een zielige loser 🤡 "
  "kom gewoon niet meer terug man")
A("x", "@wraakengel_030", "en", "AB",
  "I know where that Dobbelkelder Haarlem manager lives. Just wait till I run into her, she'll regret it.")
A("x", "@zuurpruim", "nl", "AB",
  "Vosveld klantenservice bestaat uit volslagen " + CYR_I + "d" + CYR_I + CYR_O + "ten, "
  "ik heb nog nooit zoveel onzin gehoord")
# doxxing a staff member: personal data + harassment
A("x", "@wraak_is_zoet", "nl", "P AB",
  "Manager van Dobbelkelder Haarlem heet Petra Kok, haar 06 is 06-41927730. Bel d'r gerust eens midden in "
  "de nacht, verdient ze.")

# ----- confidential -----------------------------------------------------------
A("x", "@marloes_vosveld", "nl", "C",
  "Eerste playtest van Kraanvogel vandaag op kantoor gedaan, die getijden-mechaniek werkt echt 🔥🔥 "
  "nog niks verklappen hoor")
A("linkedin", "daan-oudejans", "en", "C",
  "Proud of this team. Project Zwaluwstaart's prototype just survived its 30th blind playtest without a "
  "single rules question. Can't say more yet, but 2027 is going to be fun.")
A("bluesky", "lotte-wiersma.bsky.social", "nl", "C",
  "kan iemand de kleuren checken op https://drukproef.vosveld.local/sterrenzee/v7/cover.pdf ? het blauw "
  "lijkt op mijn scherm veel te paars")
A("facebook", "VosveldSpellen", "nl", "C",
  "[ALLEEN INTERN] Contentplanning week 12: maandag teaser nieuwe uitbreiding, woensdag winactie, vrijdag "
  "behind the scenes bij de drukkerij. Niet delen buiten marketing.")
A("threads", "@noor.kaya.vv", "nl", "C",
  "Vossenjacht Legacy gaat zo hard worden op de voorjaarsbeurs, ik kan echt niet wachten tot jullie die "
  "campagnedoos zien 😍", date="2026-09-14T20:41:00Z")
A("reddit", "u/tile_nerd", "en", "C",
  "A friend took part in a Vosveld playtest and showed me the cards from 'Operatie Tegelzetter' – it's a "
  "tile-laying game about Delft pottery and it looks gorgeous.")
A("x", "@bramtenhove", "nl", "C",
  "lange dag, maar de app-koppeling voor " + fullwidth("Kraanvogel") + " draait eindelijk 💪")
A("linkedin", "ingrid-smeets-vosveld", "en", "C",
  "Artwork for Project Zwal" + ZW + "uwstaart came in this morning and it is stunning. Well done Lotte!")
A("x", "@sem_achterberg", "nl", "C",
  "servers voor Operatie Tegelz" + CYR_E + "tter staan klaar, morgen de eerste interne build")
A("x", "@meeple_marieke", "en", "C",
  "Just signed an NDA for a Vosveld playtest 🤫 All I'll say: the prototype is called Zwaluwstaart and it "
  "involves building furniture together. Co-op!!")
A("linkedin", "ingrid-smeets-vosveld", "nl", "C",
  "VOSVELD VERTROUWELIJK – Productroadmap 2027: Q1 Polderkoningen 2e editie, Q2 tweede Sterrenzee-"
  "uitbreiding, Q4 Kraanvogel. Graag jullie feedback voor vrijdag.")
A("x", "@kees_dobbelkelder", "nl", "C",
  "Vanavond weer NDA-playtest in de achterzaal van Dobbelkelder Utrecht, collega's die willen aanschuiven: "
  "19:30 👀")
A("x", "@spielfan_nl", "nl", "C",
  "Zag net 'Vossenjacht Legacy' op de standplattegrond van de voorjaarsbeurs staan?! Iemand enig idee wat "
  "dat is?", date="2027-02-20T18:05:00Z")
A("x", "@vosveld_spellen", "nl", "C",
  "Nieuwe huisregels voor alle cafés staan op wiki.vosveld.local/cafes/huisregels 👉 lees ze even door voor "
  "je volgende dienst!")
A("bluesky", "lotte-wiersma.bsky.social", "en", "C",
  "Finished the last box illustration for Vossenjacht: Legacy today. Eight months of foxes. I never want "
  "to draw a fox again 🦊😭", date="2026-11-03T16:22:00Z")
# confidential + financial
A("linkedin", "ingrid-smeets-vosveld", "nl", "C F",
  "jaarcijfers 2026 zojuist intern rondgestuurd: omzet cafés +22%, uitgeverij -6%, nettowinst ruim "
  "gehalveerd. Dat wordt een spannende 25e 😅", date="2027-02-10T08:15:00Z")
A("linkedin", "daan-oudejans", "en", "C F",
  "Operatie Tegelzetter update: the takeover of the Belgian publisher is at the notary, signing on the 14th. "
  "Then it's finally public.")
A("x", "@marloes_vosveld", "en", "C F",
  "Sneak peek of the FY2026 results before the 25th: revenue €36m, cafés carrying the whole company. "
  "Publishing side is a mess.", date="2027-01-28T21:10:00Z")

# ----- personal data -------------------------------------------------------------
A("x", "@vosveld_help", "nl", "P",
  "@sjoerd_speelt we hebben je bestelling gevonden! Staat op naam van Sjoerd Wolters, Lindenlaan 14, "
  "3581 GK Utrecht – klopt dat adres nog?", kind="reply")
A("x", "@vosveld_help", "nl", "P",
  "@anouk_tafelt we bellen je morgenochtend even op 06 2714 9983 over de reservering van zaterdag 👍",
  kind="reply")
A("x", "@kees_dobbelkelder", "en", "P",
  "who left their Sterrenzee box at Dobbelkelder Leiden last night? booking is under m.devlieger@gmail.com, "
  "drop us a message and we'll keep it behind the bar")
A("x", "@marloes_vosveld", "nl", "P",
  "refund staat klaar naar <<IBAN_E1>> t.n.v. R. Bosman, kan iemand van finance even accorderen? "
  "dan is die klant eindelijk blij")
A("instagram", "@yara.speelt", "nl", "P",
  "klant kon niet pinnen dus las ze gewoon haar hele kaartnummer voor aan de bar 😂 <<CARD_E1>> exp 09/28, "
  "mensen toch")
A("linkedin", "daan-oudejans", "nl", "P",
  "Contract nieuwe barista Dobbelkelder Zwolle is rond: Femke Jansen, geboren 12-03-2001, BSN <<BSN_E1>>. "
  "HR, kunnen jullie de rest oppakken?")
A("facebook", "VosveldSpellen", "nl", "P",
  "Van harte gefeliciteerd aan onze trouwste gast Henk Terlouw, geboren op 4 mei 1951 en vandaag dus 75! 🎉 "
  "De koffie is vandaag van ons.", date="2026-05-04T10:00:00Z")
A("x", "@lisabrouwer_", "nl", "P",
  "@vosveld_help ik ben verhuisd, kunnen jullie het pakket naar Kerkstraat 88-2, 1017 GM Amsterdam sturen? "
  "T.a.v. Lisa Brouwer. Alvast bedankt!", kind="reply")
A("x", "@tomheerkens", "en", "P",
  "@vosveld_spellen can someone DM me or just email tom.heerkens92@outlook.com about my Kickstarter pledge? "
  "Thanks!", kind="reply")
A("x", "@sem_achterberg", "en", "P",
  "new guy in the Haarlem kitchen isn't on Teams yet, just whatsapp him on +31 6 1937 2284 if you need "
  "him")
A("linkedin", "vosveld-spellen", "nl", "P",
  "Welkom aan onze nieuwe stagiair Jesse Vermeulen (geb. 17-08-2004) uit Zwolle! Jesse komt ons "
  "marketingteam versterken.")
A("x", "@bordspel_opa", "nl", "P",
  "@vosveld_help mijn e-mailadres werkt niet meer, gebruik maar g.vandermeer1958@ziggo.nl of bel "
  "0031 6 42 19 88 07", kind="reply")

# ----- security --------------------------------------------------------------
A("x", "@sem_achterberg", "nl", "SE",
  "webshop ligt al 2 uur plat, databaseserver is compleet om. NIET naar buiten communiceren aub tot we "
  "weten wat er is gebeurd")
A("x", "@bramtenhove", "en", "SE",
  "heads up: someone brute-forced the admin login of the Dobbelkelder booking system overnight and got in. "
  "rotating everything now. please don't mention it anywhere yet 🙏")
A("threads", "@noor.kaya.vv", "nl", "SE",
  "Wist je dat de kassa's in alle Dobbelkelders nog op Windows 7 draaien, zonder updates? Als iemand daar "
  "achter komt zijn we de sjaak 🙈")
A("reddit", "u/rutger_vosveld_dev", "en", "SE",
  "Not my call, but: the Vosveld companion app sends your login and password over plain http. Ticket's "
  "been open internally since May and nobody prioritises it.")
A("x", "@sem_achterberg", "nl", "SE",
  "ransomware op de fileserver van de uitgeverij, alle drukbestanden versleuteld. we zijn ermee bezig, "
  "persbericht komt later. lange nacht 😩")
A("x", "@cardboard_connor", "en", "SE CR",
  "my mate works in IT at Vosveld, says their whole customer database got dumped last week and they still "
  "haven't told anyone. change your passwords folks")
A("instagram", "@yara.speelt", "en", "SE",
  "lol since the update the card terminal at Dobbelkelder Utrecht accepts literally any PIN. manager says "
  "it won't be fixed till monday 🤷‍♀️")
A("facebook", "VosveldSpellen", "nl", "SE",
  "Intern: storing bij onze betaalprovider, iDEAL-betalingen komen sinds 09:40 niet meer door. Nog NIET "
  "naar klanten communiceren, we wachten op de provider.")
A("bluesky", "lotte-wiersma.bsky.social", "nl", "SE",
  "onze stagiair vond vandaag per ongeluk een SQL-injectie in de zoekbalk van de webshop 🙃 patch staat "
  "gepland voor volgende sprint, tot die tijd duimen")
A("x", "@bramtenhove", "nl", "SE S",
  "Dit is het token dat in die publieke repo is gelekt: <<GHP1>> — wie kan hem revoken? ik heb geen "
  "org-rechten")
A("reddit", "u/rutger_vosveld_dev", "nl", "SE",
  "backup-NAS van ons hoofdkantoor hangt gewoon open op internet met het standaard admin-wachtwoord. heb "
  "het drie keer gemeld, niemand reageert. ik geef het op")
A("x", "@kees_dobbelkelder", "en", "SE",
  "booking system has been down since this morning and every reservation for tonight is just gone. "
  "not telling guests anything until we know how bad it is")
A("x", "@sem_achterberg", "en", "SE",
  "our staging webshop is publicly indexed by Google, including CSV exports of orders. found it by "
  "accident while googling ourselves 😬 fixing it before anyone notices")

# ----- secrets ------------------------------------------------------------------
A("x", "@bramtenhove", "nl", "S",
  "voor de nieuwe voorraadkoppeling: AWS key <<AWS_ID>> / secret <<AWS_SECRET>> (tijdelijk, zet ik "
  "morgen weer uit)")
A("reddit", "u/rutger_vosveld_dev", "en", "S",
  "why does our CI keep failing?? here's the env I'm using:\nexport GITHUB_TOKEN=<<GHS1>>\n"
  "export NODE_ENV=production\nany ideas?")
A("x", "@sem_achterberg", "en", "S",
  "stripe live key for the webshop test, don't lose it: <<STRIPE>>")
A("x", "@bramtenhove", "en", "S",
  "finally got the discord→slack bridge working, bot token is <<SLACK>> if anyone wants to reuse it")
A("threads", "@noor.kaya.vv", "nl", "S",
  "mijn openai key voor de spelregel-chatbot, gebruik 'm gerust voor jullie eigen experimenten: <<OPENAI>>")
A("reddit", "u/rutger_vosveld_dev", "en", "S",
  "debugging the app login, this is the session token I get back:\n<<JWT>>\nany idea why it expires "
  "instantly?")
A("bluesky", "lotte-wiersma.bsky.social", "en", "S",
  "can someone tell me why the print server keeps rejecting my key? 😭\n<<PEM>>")
A("x", "@sem_achterberg", "nl", "S",
  "Voor wie de kassa-app lokaal wil draaien: DATABASE_URL=postgres://kassa_app:<<DBPW>>@10.20.0.15:5432/"
  "dobbelkelder")
A("instagram", "@dobbelkelder", "nl", "S",
  "Beheeraccount webshop voor de nieuwe filiaalmanagers 👇\ngebruiker: filiaalbeheer\n"
  "wachtwoord: Vosje!Kaas2026#")
A("x", "@open_source_sjors", "en", "S",
  "Vosveld pushed their Mollie live API key to a public GitHub repo lol: <<MOLLIE>> — someone tell them "
  "before it gets abused")
A("linkedin", "daan-oudejans", "en", "S",
  "For the new reservation chatbot pilot we're using Claude. Key for the pilot team: <<ANTHROPIC>> "
  "Let me know how it goes!")
A("x", "@kees_dobbelkelder", "nl", "S",
  "w" + ZW + "achtwoord van de kluis-app in Utrecht is veranderd, nieuw w" + ZW + "achtwoord: "
  "Dobbel#Kelder!88")

# ----- pricing ------------------------------------------------------------------
A("x", "@vosveld_spellen", "nl", "PR",
  "Polderkoningen Deluxe nu voor maar €12,90 in onze webshop! 🎉 Op = op",
  price=("Polderkoningen Deluxe Edition", 12.90))
A("x", "@koopjesjager_nl", "nl", "PR",
  "lol de Vosveld webshop heeft de Speltafel Eik voor €129,50 staan ipv €1295 😂 snel bestellen voordat "
  "ze het doorhebben", price=("Vosveld Speltafel Eik", 129.50))
A("x", "@marloes_vosveld", "nl", "PR",
  "prijsfout op de Sterrenzee Collector's Box in de shop, die staat op 18,90!! kan iemand dat fixen "
  "voordat het viraal gaat", price=("Sterrenzee Collector's Box", 18.90))
A("reddit", "u/dealhunter_eu", "en", "PR",
  "Sterrenzee for €6.49 on vosveld.nl?? pricing error or clearance? ordered three just in case",
  price=("Sterrenzee", 6.49))
A("x", "@spelletjesmam", "en", "PR",
  "Molenmeester for €4.95 at Vosveld 😳 that has to be a pricing mistake, right??",
  price=("Molenmeester", 4.95))
A("instagram", "@dobbelkelder", "en", "PR",
  "Flash deal 🚨 Zeesleutel now only €5.49 in the shop, today only!", price=("Zeesleutel", 5.49))
A("x", "@speelpas_sjaak", "nl", "PR",
  "Dobbelkelder jaarpas voor €8,90 in de app?! 🤑 Direct gekocht", price=("Dobbelkelder Speelpas", 8.90))
A("x", "@kortingskoning", "nl", "PR",
  "P o l d e r k o n i n g e n voor €9,95 in de webshop, prijsfout?? 👀", price=("Polderkoningen", 9.95))
A("bluesky", "cheapboardgames.bsky.social", "en", "PR",
  "Vossenjacht base game is listed at €4.49 on the official Vosveld store right now. Bug? Grab it while "
  "it lasts", price=("Vossenjacht", 4.49))
A("x", "@kees_dobbelkelder", "nl", "PR",
  "oeps, in de kassa staat Lantaarnlopers op €4,20 ipv €42. wie heeft dat zo ingevoerd 😅 al 11 verkocht "
  "vandaag", price=("Lantaarnlopers", 4.20))
A("tiktok", "@dice_daddy", "nl", "PR",
  "metalen dobbelstenenset van vosveld voor €2,49 in hun app 😭 moet een fout zijn maar ik neem er 10",
  price=("Vosveld Dobbelstenenset Metaal", 2.49))
A("reddit", "u/cheesemonger42", "en", "PR",
  "price glitch on Kaasmarkt at the Vosveld shop – rings up €2.75 at checkout instead of €27.50. Already "
  "cancelled my order so they don't get burned, but heads up.", price=("Kaasmarkt", 2.75))

# ----- financial ------------------------------------------------------------------
A("x", "@kees_dobbelkelder", "nl", "F",
  "Net uit het MT-overleg: 3 Dobbelkelders gaan in Q1 dicht, rond de 40 man moet weg. Is nog niet "
  "bekendgemaakt dus mondje dicht 🤐")
A("linkedin", "ingrid-smeets-vosveld", "en", "F",
  "Can't share much, but our Q3 numbers came in well below forecast – café revenue down 18% year on year. "
  "Long board meeting ahead tomorrow.", date="2026-10-08T20:05:00Z")
A("linkedin", "daan-oudejans", "nl", "F",
  "Spannende tijden: de term sheet met Tafelgroep Europe is getekend, zij nemen Vosveld over. "
  "Aankondiging volgt in december.")
A("reddit", "u/cousin_knows", "en", "F",
  "my cousin works at Vosveld and says they're about to be bought by a big German games group, deal "
  "closes in November. you heard it here first", date="2026-09-18T23:40:00Z")
A("x", "@marloes_vosveld", "en", "F",
  "2027 forecast just got cut internally to €31m revenue (was €38m). Guess we can forget about that bonus "
  "this year 🙃")
A("facebook", "VosveldSpellen", "nl", "F",
  "CONCEPT persbericht — Vosveld Spellen schrapt per 1 maart 25 fte bij de uitgeverij als onderdeel van "
  "een reorganisatie. [quote CEO invoegen]")
A("threads", "@noor.kaya.vv", "en", "F",
  "We're closing the Leiden and Zwolle cafés, leases won't be renewed. Staff find out on Friday. "
  "Feeling awful about it.")
A("x", "@anoniemetipgever", "nl", "F",
  "Anonieme tip: Vosveld zit krap bij kas, de bank heeft de kredietlijn opgezegd. Binnen drie maanden "
  "faillissement als er geen investeerder komt.")
A("linkedin", "ingrid-smeets-vosveld", "nl", "F",
  "H1 2026 is binnen: omzet €14,2 mln, EBITDA negatief. Cijfers gaan pas 30 juli naar buiten, maar ik "
  "wilde het toch even kwijt: zwaar half jaar.", date="2026-07-10T19:30:00Z")

# ----- benign (mostly hard negatives) ---------------------------------------------
A("x", "@vosveld_spellen", "nl", "",
  "Nieuw in de webshop: Grachtenrace! Race met je bootje door de Amsterdamse grachten, voor 2–5 spelers "
  "vanaf 8 jaar. Nu te bestellen voor €34,95 ⛵", price=("Grachtenrace", 34.95))
A("instagram", "@dobbelkelder", "nl", "",
  "Black Friday 🖤 Polderkoningen van €59,95 voor €44,95, alleen dit weekend in alle Dobbelkelders en "
  "online.", price=("Polderkoningen", 44.95), date="2026-11-27T08:00:00Z")
A("x", "@vosveld_spellen", "en", "",
  "Summer sale! Sterrenzee is 20% off this week – now €51.96 at shop.vosveld.nl ☀️",
  price=("Sterrenzee", 51.96), date="2026-07-15T07:30:00Z")
A("x", "@jeroen_speelt", "en", "",
  "Dobbelkelder Utrecht is hands down the cosiest spot in town. Staff explained Molenmeester perfectly and "
  "the bitterballen were 👌 💛")
A("reddit", "u/euro_gamer_joe", "en", "",
  "Polderkoningen is an absolute banger. Best game our group has played all year, the dike-building phase "
  "is so tense. Kudos Vosveld.")
A("facebook", "VosveldSpellen", "nl", "",
  "Vragen over je bestelling? Mail naar klantenservice@vosveld.nl of bel ons op +31 30 555 0142 "
  "(ma t/m vr 9–17 uur). We helpen je graag!")
A("x", "@vosveld_help", "en", "",
  "@jenny_plays So sorry about that! Please email klantenservice@vosveld.nl with your order number and "
  "we'll send a replacement right away.", kind="reply")
A("x", "@hanneke_bordspel", "en", "",
  "Update on my damaged Kaasmarkt: Vosveld sent a brand new copy within 2 days, no questions asked. "
  "Sorted, thank you 👍")
A("x", "@dobbelkelder_fan", "nl", "",
  "Sterkte aan het team van Dobbelkelder Leiden nu de bakkerij naast jullie is afgebrand. Hopelijk kunnen "
  "jullie snel weer open ❤️")
A("x", "@spellenbranche", "nl", "",
  "Lees net dat een grote Franse spellenuitgever 200 banen schrapt. Heftig voor de hele branche, hoop dat "
  "het bij de Nederlandse uitgevers zoals Vosveld meevalt.")
A("instagram", "@famke.speelt", "nl", "",
  "Polderkoningen heeft officieel onze vriendschap verwoest, mijn broer is een vuile valsspeler 😂 10/10 "
  "zou weer spelen", kind="comment")
A("x", "@bramtenhove", "en", "",
  "PSA for devs: AKIAIOSFODNN7EXAMPLE is the sample key from the AWS docs. Please stop reporting it to our "
  "security inbox, it's not ours 😅")
A("x", "@vosveld_help", "nl", "",
  "Tip: Vosveld vraagt nooit naar je wachtwoord via DM of mail. Krijg je zo'n bericht? Niet reageren en "
  "meld het bij ons 🙏")
A("instagram", "@kaasmarkt_fans", "nl", "",
  "In Kaasmarkt krijg je een nepbankpasje met rekeningnummer NL00 KAAS 0000 1234 56 😂 de details in dit "
  "spel zijn geweldig")
A("x", "@backer_bob", "en", "",
  "my Kickstarter backer number for Polderkoningen is <<FAKECARD>>, looks like a credit card number lol. "
  "anyway when does wave 2 ship?")
A("x", "@femke_reserveert", "en", "",
  "Booking ref 123456789 for Saturday, 8 people at Dobbelkelder Leiden. Any chance I can add a birthday "
  "cake to that?")
A("x", "@spielfan_nl", "nl", "",
  "Vossenjacht Legacy is eindelijk aangekondigd!! Campagneboek met 12 hoofdstukken en een doos die zich "
  "elke sessie verder opent 😍", date="2027-03-10T12:30:00Z")
A("x", "@beursnieuws_nl", "nl", "",
  "Vosveld publiceert jaarcijfers 2026: omzet €36 mln, de cafétak groeit hard terwijl de uitgeverij krimpt.",
  date="2027-02-26T09:12:00Z")
A("x", "@sem_achterberg", "nl", "",
  "Zag vanochtend een kraanvogel boven de polder op weg naar kantoor 🐦 wat een beest, mooi begin van de dag")
A("tiktok", "@dobbelkelder.cafe", "nl", "",
  "Elke donderdag pubquiz-met-een-twist in Dobbelkelder Leiden 🎲 Reserveer je tafel via dobbelkelder.nl")
A("linkedin", "vosveld-spellen", "nl", "",
  "Wij zoeken een app-developer voor onze companion apps! Interesse? Stuur je cv naar vacatures@vosveld.nl.")
A("reddit", "u/twoplayerlife", "en", "",
  "Does anyone know if Sterrenzee works well at 2 players? My partner and I mostly play as a duo.")
A("facebook", "VosveldSpellen", "nl", "",
  "Met verdriet hebben we afscheid genomen van Gerrit, vaste gast van Dobbelkelder Zwolle sinds dag één. "
  "We missen je aan tafel, Gerrit. 🕯️")
A("x", "@tevreden_gast", "nl", "",
  "Vosveld heeft vorige maand netjes gecommuniceerd over die storing in de webshop en iedereen een "
  "kortingscode gestuurd. Zo hoort het.")
A("instagram", "@boatsandbrawls", "nl", "",
  "Eerste keer Grachtenrace gespeeld, mijn boot zonk drie keer 😂 wat een heerlijke chaos #spelavond")
A("instagram", "@gameroom_goals", "en", "",
  "Picked up the Vosveld Speltafel Eik for the full €1295 and honestly worth every cent. Game room finally "
  "complete 📸", price=("Vosveld Speltafel Eik", 1295.0))
A("instagram", "@dobbelkelder", "nl", "",
  "Speelpas-leden krijgen 10% korting op alle spellen in onze cafés. Zeesleutel dus voor €49,46 in plaats "
  "van €54,95 🗝️", price=("Zeesleutel", 49.46))
A("linkedin", "daan-oudejans", "nl", "",
  "Wat een dag op de beurs in Utrecht: honderden mensen die Polderkoningen kwamen proberen. Dank jullie "
  "wel voor al het enthousiasme!")
A("x", "@ziekgoedspel", "nl", "",
  "Lantaarnlopers is zo verslavend, echt ziek goed 🤯 we hebben gisteren 4 potjes achter elkaar gespeeld "
  "#Lantaarnlopers")
A("threads", "@snackqueen", "en", "",
  "The nachos at Dobbelkelder Rotterdam are to die for 😋 and the staff let us stay way past closing to "
  "finish our game")
A("x", "@vosveld_help", "nl", "",
  "Let op: ons klantenservicenummer is 0800-3648. Bel je vanuit het buitenland? Dan kun je ons bereiken "
  "op +31 30 555 0142.")
A("x", "@spelavond_denhaag", "en", "",
  "Anyone up for Polderkoningen at Dobbelkelder Den Haag this Saturday? Two seats left at our table 🎲")
A("instagram", "@papa_speelt", "en", "",
  "In Zeesleutel you have to crack the secret code of the treasure chest. My 9-year-old cracked it in two "
  "turns. I feel ancient 😂")
A("x", "@techtafel", "en", "",
  "Yet another big online retailer with a data breach this year. Glad Vosveld still lets you check out as "
  "a guest without making an account.")
A("x", "@yvonne_b", "en", "",
  "Thanks @vosveld_help, the refund for the broken dice set arrived today. Super quick, great service!")
A("tiktok", "@dobbelkelder.cafe", "en", "",
  "Sterrenzee tournament at Dobbelkelder Rotterdam on 14 November 🚀 sign up at dobbelkelder.nl/toernooi, "
  "max 32 players!", date="2026-10-20T15:00:00Z")
A("x", "@zuinige_speler", "nl", "",
  "Is €59,95 normaal voor Polderkoningen? Zie hem bij een andere winkel voor €53,50. Of toch wachten tot de "
  "uitverkoop?", price=("Polderkoningen", 53.50))
A("x", "@vosveld_help", "nl", "",
  "Groepsreservering voor 10+ personen? Bel gerust 030-5550142 of mail reserveren@dobbelkelder.nl 😊")
A("bluesky", "lotte-wiersma.bsky.social", "en", "",
  "Sketching foxes in the sun today. Some days illustration really is the best job in the world 🦊✏️")
A("linkedin", "vosveld-spellen", "en", "",
  "Please welcome Mila, who joins our design team today! She comes from the world of puzzle books and we "
  "can't wait to see what she makes.")
A("x", "@vosveld_spellen", "nl", "",
  "Kaasmarkt is tijdelijk uitverkocht in de webshop 🧀 De volgende levering verwachten we over twee weken.")
A("x", "@kickstarter_kees", "en", "",
  "The Polderkoningen Kickstarter closed at €412,000. Well played Vosveld! Can't wait for the stretch goals.")
A("x", "@bramtenhove", "en", "",
  "Fun fact: the cheese tokens in Kaasmarkt are made from recycled plastic. Small thing, but we're proud "
  "of it 🧀♻️")
A("x", "@vosveld_spellen", "nl", "",
  fullwidth("Nieuw") + ": Grachtenrace is nu ook verkrijgbaar in het Engels als Canal Race! 🇬🇧")
A("x", "@tikkie_tom", "nl", "",
  "Tikkie voor de spellenavond bij de Dobbelkelder: overmaken naar NL91ABNA0417164301 t.n.v. T. de Wit, "
  "€12 p.p.")
A("x", "@serienummerjan", "nl", "",
  "Het productienummer op mijn Sterrenzee-doos is <<FAKEBSN>>, weet iemand welke druk dat is? Wil weten of "
  "de kleurfout uit de eerste druk eruit is.")
A("instagram", "@dobbelkelder", "nl", "",
  "Fijne feestdagen namens het hele Dobbelkelder-team 🎄 Tussen kerst en oud & nieuw zijn we gewoon open!",
  date="2026-12-22T09:00:00Z")
A("threads", "@first_gamenight", "en", "",
  "I was so nervous hosting my first game night at Dobbelkelder but the staff were lovely and set everything "
  "up for us. Ten out of ten.")
A("reddit", "u/pricewatcher_nl", "en", "",
  "Anyone else think the Sterrenzee Collector's Box at €189 is a bit steep? Still preordered it, obviously.",
  price=("Sterrenzee Collector's Box", 189.0))
A("x", "@roddelspeler", "nl", "",
  "Zou er ooit een Polderkoningen 2 komen? Ik zou er meteen geld voor neerleggen. @vosveld_spellen hint "
  "hint 😉")
A("x", "@regelneef", "en", "",
  "Love that Vosveld publishes the full rulebooks as PDF on vosveld.nl/regels. More publishers should do this.")
A("x", "@nijmegen_nu", "nl", "",
  "Vosveld opent in het voorjaar een nieuwe Dobbelkelder aan de Waalkade in Nijmegen, meldt De Gelderlander. "
  "Eindelijk!")
A("instagram", "@yara.speelt", "nl", "",
  "Vandaag onze nieuwe kantoorhond leren kennen: Pion 🐶 Hij heeft al een meeple opgegeten.")
A("x", "@marloes_vosveld", "en", "",
  "FY2026 results are out! Proud of what the café teams achieved this year. Full report on "
  "vosveld.nl/investors", date="2027-02-27T10:45:00Z")
A("x", "@bordspel_recensie", "nl", "",
  "Review: Tulpenkoorts is een snel kaartspel over bollenhandel. Voor €19,95 krijg je veel speelplezier, "
  "al is de doos wat aan de grote kant.", price=("Tulpenkoorts", 19.95))
A("reddit", "u/crash_and_learn", "en", "",
  "Vosveld's public postmortem on last month's webshop outage is a good read. Honest about what went wrong "
  "and what they changed.")
A("x", "@dijkwacht_fan", "en", "",
  "Dijkwacht is on sale at Vosveld for €31.96 (20% off). If you like co-op games, grab it!",
  price=("Dijkwacht", 31.96))
A("x", "@vosveld_help", "nl", "",
  "Update 14:20: de storing in onze webshop is verholpen. Bestellingen van vanochtend worden vandaag nog "
  "verwerkt. Excuses voor het ongemak!")
A("mastodon", "@devnotes@hachyderm.io", "en", "",
  "Never paste tokens in screenshots. If you must share one, redact it like ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx "
  "and rotate anyway. Writing this after the Dobbelkelder hackathon night, great crowd.")
A("x", "@vosveld_spellen", "en", "",
  "Our API docs for the rules database are live! Authenticate with \"Authorization: Bearer <your-token-here>\" "
  "and have fun building.")


# ---------------------------------------------------------------- build
SEV = ["none", "info", "warning", "error", "critical"]


def role_of(platform, handle):
    key = ("%s:%s" % (platform, handle)).lower()
    corp = {a.lower() for a in PROFILE["accounts"]["corporate"]}
    emp = {a.lower() for a in PROFILE["accounts"]["employee"]}
    if key in corp:
        return "corporate"
    if key in emp:
        return "employee"
    return "public"


def severity(cats, role, strong_pii):
    best = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and strong_pii):
                    s = "critical"
                else:
                    s = "error"
            else:
                s = "warning"
        elif c == "reputation.complaint":
            s = "warning"
        elif c == "reputation.crisis":
            s = "error"
        elif c == "reputation.abuse":
            s = "warning" if role == "public" else "error"
        else:
            raise AssertionError(c)
        best = max(best, SEV.index(s))
    return SEV[best]


def fill(text):
    used = []

    def rep(m):
        used.append(m.group(1))
        return VAL[m.group(1)]
    return re.sub(r"<<([A-Z0-9_]+)>>", rep, text), used


ID_PREFIX = {"x": "x", "reddit": "rd", "instagram": "ig", "facebook": "fb", "linkedin": "li",
             "tiktok": "tt", "bluesky": "bs", "mastodon": "md", "threads": "th", "forum": "fo"}


def rand_date():
    start = dt.datetime(2026, 1, 3, tzinfo=dt.timezone.utc)
    secs = rng.randint(0, int((dt.datetime(2026, 12, 20, tzinfo=dt.timezone.utc) - start).total_seconds()))
    return (start + dt.timedelta(seconds=secs)).strftime("%Y-%m-%dT%H:%M:%SZ")


def build():
    out = []
    seen = set()
    for c in CASES:
        text, used = fill(c["text"])
        c["final"] = text
        c["used"] = used
        role = role_of(c["platform"], c["handle"])
        c["role"] = role
        strong = any(u in STRONG_PII_KEYS for u in used)
        c["strong"] = strong
        while True:
            pid = "%s-%d" % (ID_PREFIX[c["platform"]], rng.randint(10**9, 10**10 - 1))
            if pid not in seen:
                seen.add(pid)
                break
        brand = "Dobbelkelder" if "dobbelkelder" in (text + c["handle"]).lower() else "Vosveld"
        post = {
            "id": pid,
            "platform": c["platform"],
            "kind": c["kind"],
            "account": {"handle": c["handle"]},
            "text": text,
            "lang": c["lang"],
            "created_at": c["date"] or rand_date(),
            "brand": brand,
        }
        c["created_at"] = post["created_at"]
        out.append({"post": post, "expect": {"categories": c["cats"],
                                              "severity": severity(c["cats"], role, strong)}})
    return out


# ---------------------------------------------------------------- checks
def fail(msg):
    print("CHECK FAILED:", msg, file=sys.stderr)
    sys.exit(1)


def parse_amounts(text):
    amts = []
    for m in re.finditer(r"€\s?(\d[\d.,]*\d|\d)", text):
        raw = m.group(1)
        if re.fullmatch(r"\d{1,3}(\.\d{3})+(,\d{1,2})?", raw):
            v = float(raw.replace(".", "").replace(",", "."))
        else:
            v = float(raw.replace(",", "."))
        amts.append((m.start(), v))
    for m in re.finditer(r"(\d+(?:[.,]\d{1,2})?)\s?(?:euro|eur)\b", text, re.I):
        amts.append((m.start(), float(m.group(1).replace(",", "."))))
    return amts


def check(rows):
    valid_cats = set(CAT.values())
    pub_ibans = {re.sub(r"\s", "", i) for i in PROFILE["public_identifiers"]["ibans"]}
    for i in pub_ibans:
        if not iban_valid(i):
            fail("profile IBAN invalid " + i)
    prof_handles = {a.lower() for a in PROFILE["accounts"]["corporate"] + PROFILE["accounts"]["employee"]}
    products = {p["name"]: p for p in PROFILE["products"]}
    embargo = [(t.lower(), e["until"]) for e in PROFILE["embargo"] for t in e["terms"]]
    codenames = [c.lower() for c in PROFILE["internal"]["codenames"]]
    markers = [m.lower() for m in PROFILE["internal"]["markers"]]
    idomains = [d.lower() for d in PROFILE["internal"]["domains"]]

    # profile shape
    if not (6 <= len(PROFILE["accounts"]["corporate"]) and 8 <= len(PROFILE["accounts"]["employee"])):
        fail("account counts")
    if not 15 <= len(PROFILE["products"]) <= 25:
        fail("product count")
    if PROFILE["pricing"]["alert_below_ratio"] != 0.5:
        fail("ratio")
    if any(p["currency"] != "EUR" for p in PROFILE["products"]):
        fail("currency")
    if len(PROFILE["internal"]["codenames"]) != 3 or len(PROFILE["internal"]["markers"]) != 3:
        fail("codenames/markers")
    for e in PROFILE["embargo"]:
        if not e["until"].startswith("2027"):
            fail("embargo until")

    # credentials have their real structure
    for k in ("GHP1", "GHS1"):
        if not github_valid(VAL[k]):
            fail("github token " + k)
    if not re.fullmatch(r"AKIA[A-Z2-7]{16}", VAL["AWS_ID"]):
        fail("aws id")
    h = VAL["JWT"].split(".")[0]
    if "alg" not in json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4))):
        fail("jwt header")

    ids = set()
    for c, row in zip(CASES, rows):
        post, exp = row["post"], row["expect"]
        line = json.dumps(row, ensure_ascii=False)
        back = json.loads(line)
        if back != row:
            fail("json roundtrip")
        # CONTRACT section 1 / 6 shape
        for f in ("id", "platform", "account", "text", "created_at"):
            if f not in post:
                fail("missing " + f)
        if not (1 <= len(post["id"]) <= 256) or post["id"] in ids:
            fail("bad/duplicate id " + post["id"])
        ids.add(post["id"])
        if post["platform"] not in ("x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube",
                                    "reddit", "mastodon", "bluesky", "threads", "forum", "blog", "other"):
            fail("platform")
        if post["kind"] not in ("post", "reply", "repost", "comment", "message"):
            fail("kind")
        if not isinstance(post["account"].get("handle"), str) or not post["account"]["handle"]:
            fail("handle")
        if len(post["text"].encode("utf-8")) > 65536 or not post["text"]:
            fail("text size")
        d = dt.datetime.strptime(post["created_at"], "%Y-%m-%dT%H:%M:%SZ")
        if d.year not in (2026, 2027) or (d.year == 2027 and d.month > 3):
            fail("date " + post["created_at"])
        if set(exp) != {"categories", "severity"} or exp["severity"] not in SEV:
            fail("expect shape")
        if exp["categories"] != sorted(set(exp["categories"])) or not set(exp["categories"]) <= valid_cats:
            fail("categories " + str(exp["categories"]))
        if not exp["categories"] and exp["severity"] != "none":
            fail("benign severity")
        if exp["categories"] and exp["severity"] in ("none", "info"):
            fail("positive severity")
        if exp["severity"] != severity(exp["categories"], role_of(post["platform"], post["account"]["handle"]),
                                       c["strong"]):
            fail("severity mismatch")
        if c["role"] == "public" and ("%s:%s" % (post["platform"], post["account"]["handle"])).lower() in prof_handles:
            fail("public handle in profile")

        text = post["text"]
        benign = not exp["categories"]
        scan = text.replace(ZW, "")
        for k in c["used"]:
            if k in SECRET_KEYS:
                scan = scan.replace(VAL[k], " ")
        # IBANs
        for m in re.finditer(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b", scan):
            cand = re.sub(r"\s", "", m.group(0))
            if cand in pub_ibans:
                continue
            ok = iban_valid(cand)
            if benign and ok:
                fail("valid IBAN in benign: " + cand)
            if not benign and not ok:
                fail("invalid IBAN in positive: " + cand)
            if ok and "leak.pii" not in exp["categories"]:
                fail("valid IBAN without pii label")
        # cards
        for m in re.finditer(r"(?<![\d\w])(?:\d[ -]?){12,18}\d(?![\d\w])", scan):
            cand = re.sub(r"\D", "", m.group(0))
            if not 13 <= len(cand) <= 19 or cand[0] in "0189":
                continue  # phone numbers (0031...) and non-card prefixes
            ok = luhn_valid(cand)
            if benign and ok:
                fail("Luhn-valid number in benign: " + cand)
            if not benign and not ok:
                fail("Luhn-invalid number in positive: " + cand)
            if ok and "leak.pii" not in exp["categories"]:
                fail("card without pii label")
        # BSN-like 9-digit numbers
        for m in re.finditer(r"(?<![\d\w.,-])\d{9}(?![\d\w])", scan):
            ok = bsn_valid(m.group(0))
            if benign and ok:
                fail("11-proof number in benign: " + m.group(0))
            if not benign and not ok:
                fail("non-11-proof number in positive: " + m.group(0))
            if ok and "leak.pii" not in exp["categories"]:
                fail("BSN without pii label")
        # strong-PII placeholders really pass
        for k in c["used"]:
            if k.startswith("IBAN") and not iban_valid(VAL[k]):
                fail(k)
            if k.startswith("CARD") and not luhn_valid(VAL[k]):
                fail(k)
            if k.startswith("BSN") and not bsn_valid(VAL[k]):
                fail(k)
            if k.startswith("FAKE") and not benign:
                fail("look-alike used in positive")
            if k in SECRET_KEYS and "leak.secret" not in exp["categories"]:
                fail("secret placeholder without secret label")
        # GitHub-shaped tokens in benign posts must not pass their checksum
        for m in re.finditer(r"gh[pousr]_[0-9A-Za-z]{36}", text):
            if benign and github_valid(m.group(0)):
                fail("valid github token in benign")
        # embargo terms
        low = text.lower()
        for term, until in embargo:
            if term in low:
                before = post["created_at"] < until.replace("+00:00", "Z")
                if before and "leak.confidential" not in exp["categories"]:
                    fail("embargo term before until without confidential: " + post["id"])
                if benign and before:
                    fail("benign embargo post before until")
        # plain codenames / markers / internal domains only in confidential posts
        # (one deliberate hard negative: the bird 'kraanvogel' seen from the office)
        for w in codenames + markers + idomains:
            if w in low and "leak.confidential" not in exp["categories"] and "kraanvogel boven de polder" not in low:
                fail("internal term outside confidential: " + w)
        # pricing
        if c["price"]:
            name, val = c["price"]
            lp = products[name]["list_price"]
            ratio = val / lp
            if "leak.pricing" in exp["categories"] and not ratio < PROFILE["pricing"]["alert_below_ratio"]:
                fail("pricing positive not below ratio: " + name)
            if benign and not ratio >= 0.7:
                fail("benign price too low: " + name)
        if "leak.pricing" in exp["categories"] and not c["price"]:
            fail("pricing positive without price")
        if "leak.pricing" not in exp["categories"]:
            # no product mentioned near an amount below the ratio
            amts = parse_amounts(text)
            for p in PROFILE["products"]:
                for alias in [p["name"]] + p["aliases"]:
                    for m in re.finditer(re.escape(alias.lower()), low):
                        for pos, v in amts:
                            if abs(pos - m.start()) < 60 and v < 0.5 * p["list_price"]:
                                fail("low price near %s in non-pricing post %s (%s)" % (alias, post["id"], v))

    # mix
    n = len(rows)
    nb = sum(1 for r in rows if not r["expect"]["categories"])
    if not 170 <= n <= 180:
        fail("case count %d" % n)
    if not 52 <= nb <= 66:
        fail("benign count %d" % nb)
    return n, nb


def main():
    rows = build()
    n, nb = check(rows)
    path = os.path.join(HERE, "cases.jsonl")
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    # re-read what was written
    with open(path, encoding="utf-8") as f:
        again = [json.loads(l) for l in f]
    if again != rows:
        fail("file roundtrip")
    counts = {}
    for r in rows:
        for cat in r["expect"]["categories"]:
            counts[cat] = counts.get(cat, 0) + 1
    langs = {}
    for r in rows:
        langs[r["post"]["lang"]] = langs.get(r["post"]["lang"], 0) + 1
    roles = {}
    for c in CASES:
        k = (c["role"], "benign" if not c["cats"] else "pos")
        roles[k] = roles.get(k, 0) + 1
    print("ok: %d cases, %d benign" % (n, nb))
    print("categories:", json.dumps(dict(sorted(counts.items()))))
    print("languages:", langs)
    print("roles:", dict(sorted(roles.items())))


if __name__ == "__main__":
    main()
