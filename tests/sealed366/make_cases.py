#!/usr/bin/env python3
"""Build cases.jsonl for sealed set 366 (Tolvaart Infra N.V., toll roads and tunnels).

Deterministic: fixed seed, standard library plus PyYAML. Writes cases.jsonl next to
this file and then checks it (format, checksums, severities, embargo dates, pricing).
Severities are computed from the account role in profile.yaml, never typed by hand.
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
OUT = os.path.join(HERE, "cases.jsonl")

rng = random.Random(3660366)

# ---------------------------------------------------------------- generators
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits


def rand(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def base62(n):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return s or "0"


def gh_token(prefix="ghp_"):
    body = rand(B62, 30)
    return prefix + body + base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")


def gh_valid(tok):
    m = re.fullmatch(r"gh[opsur]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    if not m:
        return False
    return base62(zlib.crc32(m.group(1).encode()) & 0xFFFFFFFF).rjust(6, "0") == m.group(2)


def aws_key_id():
    return "AKIA" + rand("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)


def aws_secret():
    return rand(ALNUM + "/+", 40)


def b64u(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jwt(payload):
    header = {"alg": "HS256", "typ": "JWT"}
    return ".".join([
        b64u(json.dumps(header, separators=(",", ":")).encode()),
        b64u(json.dumps(payload, separators=(",", ":")).encode()),
        b64u(bytes(rng.randrange(256) for _ in range(32))),
    ])


def pem_rsa():
    der = bytes([0x30, 0x82, 0x04, 0xA4, 0x02, 0x01, 0x00, 0x02, 0x82, 0x01, 0x01, 0x00])
    der += bytes(rng.randrange(256) for _ in range(252))
    body = base64.b64encode(der).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"


def iban_num(s):
    return int("".join(str(int(c, 36)) for c in s))


def iban_valid(iban):
    s = iban.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return iban_num(s[4:] + s[:4]) % 97 == 1


def make_iban(cc, bban):
    chk = 98 - iban_num(bban + cc + "00") % 97
    return "%s%02d%s" % (cc, chk, bban)


def nl_iban():
    return make_iban("NL", rng.choice(["RABO", "ABNA", "INGB", "SNSB", "TRIO", "KNAB", "ASNB", "BUNQ"]) + rand(string.digits, 10))


def de_iban():
    return make_iban("DE", rand(string.digits, 18))


def bad_iban(valid):
    cc, chk, rest = valid[:2], int(valid[2:4]), valid[4:]
    wrong = (chk + rng.randint(1, 90)) % 97
    cand = "%s%02d%s" % (cc, wrong, rest)
    assert not iban_valid(cand)
    return cand


def spaced(s, n=4):
    return " ".join(s[i:i + n] for i in range(0, len(s), n))


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def luhn_digit(partial):
    for c in string.digits:
        if luhn_ok(partial + c):
            return c


def card(kind="visa"):
    if kind == "visa":
        p = "4" + rand(string.digits, 14)
    elif kind == "mc":
        p = "5" + rng.choice("12345") + rand(string.digits, 13)
    else:  # amex, 15 digits
        p = "3" + rng.choice("47") + rand(string.digits, 12)
    return p + luhn_digit(p)


def bad_card(kind="visa"):
    c = card(kind)
    last = str((int(c[-1]) + rng.randint(1, 9)) % 10)
    c = c[:-1] + last
    assert not luhn_ok(c)
    return c


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9:
        return False
    tot = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return tot % 11 == 0 and s != "000000000"


def bsn():
    while True:
        head = str(rng.randint(1, 9)) + rand(string.digits, 7)
        last = sum(int(head[i]) * (9 - i) for i in range(8)) % 11
        if last <= 9:
            return head + str(last)


def bad_bsn():
    while True:
        s = str(rng.randint(1, 9)) + rand(string.digits, 8)
        if not bsn_ok(s):
            return s


def fmt_card(c):
    if len(c) == 15:
        return c[:4] + " " + c[4:10] + " " + c[10:]
    return spaced(c)


# ------------------------------------------------------------ generated values
GH_CI = gh_token("ghp_")
GH_CORP = gh_token("gho_")
AWS_ID, AWS_SECRET = aws_key_id(), aws_secret()
STRIPE = "sk_live_" + rand(ALNUM, 24)
SLACK = "xoxb-%d-%d-%s" % (rng.randint(10 ** 10, 10 ** 11 - 1), rng.randint(10 ** 12, 10 ** 13 - 1), rand(ALNUM, 24))
OPENAI = "sk-proj-" + rand(ALNUM + "_-", 40) + "T3BlbkFJ" + rand(ALNUM + "_-", 40)
ANTHROPIC = "sk-ant-api03-" + rand(ALNUM + "_-", 93) + "AA"
GOOGLE = "AIza" + rand(ALNUM + "_-", 35)
GITLAB = "glpat-" + rand(ALNUM + "_-", 20)
JWT = jwt({"sub": "vp-" + rand(string.digits, 7), "scope": "trips:read billing:read", "iat": 1767225600, "exp": 1767226500})
PEM = pem_rsa()
DB_PASS = rand(ALNUM, 6) + "!" + rand(ALNUM, 5)
SHARED_PW = "Noordkil#" + rand(string.digits, 4) + "!"

IBAN_REFUND = nl_iban()
IBAN_EXPAT = nl_iban()
IBAN_CONTRACTOR = de_iban()
IBAN_BAD_SMS = bad_iban(nl_iban())
IBAN_BAD_DE = "DE00" + rand(string.digits, 18)
assert not iban_valid(IBAN_BAD_DE)

CARD_KIOSK = card("visa")
CARD_FOUND = card("mc")
CARD_BAD = bad_card("visa")

BSN_CORP = bsn()
BSN_PUBLIC = bsn()
BSN_BAD_A = bad_bsn()
BSN_BAD_B = bad_bsn()

COMPANY_IBAN = PROFILE["public_identifiers"]["ibans"][0]

# ------------------------------------------------------------------- authors
A = {
    "tv": ("x", "@tolvaart", "Tolvaart"),
    "klant": ("x", "@tolvaart_klant", "Tolvaart Klantenservice"),
    "ig": ("instagram", "@tolvaart.nl", "Tolvaart"),
    "li": ("linkedin", "tolvaart-infra", "Tolvaart Infra N.V."),
    "fb": ("facebook", "TolvaartInfra", "Tolvaart"),
    "tt": ("tiktok", "@tolvaart_onderweg", "Tolvaart onderweg"),
    "bs": ("bluesky", "@tolvaart.bsky.social", "Tolvaart"),
    "yt": ("youtube", "@TolvaartTV", "Tolvaart TV"),
    "marloes": ("x", "@marloes_kuipers_tv", "Marloes Kuipers"),
    "dirk": ("x", "@dcoenen_ops", "Dirk Coenen"),
    "ruben": ("linkedin", "ruben-hoekstra-tolvaart", "Ruben Hoekstra"),
    "ayse": ("linkedin", "ayse-yilmaz-tolvaart", "Ayşe Yılmaz"),
    "kees": ("x", "@kees_tunnelwacht", "Kees Dekker"),
    "lotte": ("instagram", "@lotte.brugwachter", "Lotte"),
    "jeroen": ("bluesky", "@jeroen-scada.bsky.social", "Jeroen"),
    "niek": ("threads", "@niek.vdlinden", "Niek van der Linden"),
    "bram": ("reddit", "u/bram_tolplaza", "bram_tolplaza"),
    "wiebe": ("mastodon", "@wiebe_tv@mastodon.nl", "Wiebe"),
}

CASES = []


def case(author, lang, text, cats=(), kind=None, date=None):
    CASES.append({"author": author, "lang": lang, "text": text, "cats": sorted(set(cats)),
                  "kind": kind, "date": date})


CP, CF, PII, CR, SEC, SE, AB, PR, FIN = (
    "reputation.complaint", "leak.confidential", "leak.pii", "reputation.crisis",
    "leak.security", "leak.secret", "reputation.abuse", "leak.pricing", "leak.financial")

# ================================================================ complaints
case(("x", "@sjaak_rijdt"), "nl",
     "Alweer dubbel afgeschreven voor één rit door de Noordkiltunnel. Derde keer deze maand @tolvaart_klant, wanneer fixen jullie dit??", [CP])
case(("reddit", "u/commuter_ghent"), "en",
     "Anyone else's VaartPas badge just... not beeping at the Zeeboog gates? Had to stop, press the help button and wait 12 min for someone to answer. Every. Single. Morning this week.", [CP], kind="post")
case(("facebook", "Ingrid van Dongen"), "nl",
     "Heb 3 weken geleden mijn jaarabo opgezegd en ze schrijven gewoon vrolijk verder af. Klantenservice belt niet terug, mails worden niet beantwoord. Echt bedroevend Tolvaart.", [CP], kind="comment")
case(("x", "@mattyroadtrip"), "en",
     "waited 40 mins on hold with tolvaart support just to be told to 'use the app'. the app has been broken since tuesday 🙃", [CP])
case(("x", "@frits_bkr"), "nl",
     "boete van €35 gekregen terwijl mn tolbadge gewoon op de ruit zat. bezwaar ingediend, 6 weken niks gehoord. lekker dan @tolvaart", [CP])
case(("instagram", "@anoukonderweg"), "nl",
     "Kunnen jullie de wachtrij bij de tolpoort Noordkil misschien eens aanpakken? Elke vrijdag 25 min stilstaan voor 1 open poortje 😤 #tolvaart #file #vrijdagmiddag", [CP], kind="comment")
case(("linkedin", "hendriks-transport-bv"), "en",
     "Our fleet runs 14 trucks on VaartPas Vracht and the monthly invoices have been wrong three months in a row. Our account manager left and nobody picks up the phone. Not what you expect from a supplier at this price level, Tolvaart.", [CP])
case(("x", "@gerdavk"), "nl",
     "mijn motor wordt door de kentekencamera als vrachtwagen herkend 😂 €19 per rit ipv €3. gaat nu al 2 maanden zo. niet grappig meer tolvaart", [CP])
case(("mastodon", "@slowtraveller@mastodon.social"), "en",
     "The Noordkiltunnel app logs me out every single time I open it and the reset mail never arrives. Spent my whole lunch break trying to top up my balance. Please just build a website that works.", [CP])
case(("threads", "@dewi.rijdt"), "nl",
     "Waarom is er om 23u niemand bereikbaar bij Tolvaart als de slagboom niet opengaat? Stonden met 2 kinderen achterin een half uur te wachten in de kou. Intercom deed het niet eens.", [CP])
case(("x", "@kiwi_in_zeeland"), "en",
     "@tolvaart_klant you charged me the truck rate on my Camper Seizoenspas AGAIN. That's the 4th correction request this summer. Just fix your vehicle classification already", [CP])
case(("x", "@rob_vd_meer"), "nl",
     "@tolvaart_klant al 5x gemaild over die dubbele incasso, niemand reageert. bel me gewoon terug: 06-48213907. ben het zat", [CP, PII])
# first-hand harm: crisis + complaint
case(("x", "@hanneke_w"), "nl",
     "Vanochtend bij de tolpoort van de Noordkiltunnel kwam de slagboom ineens naar beneden op mijn motorkap terwijl het licht op groen stond. Voorruit gebarsten, mijn dochter zat naast me. Dit had echt heel fout kunnen gaan @tolvaart", [CR, CP])
case(("x", "@dashcam_dave"), "en",
     "The ventilation in the Noordkil tunnel was off or broken tonight. Thick exhaust haze, my eyes were burning and my son threw up with a splitting headache once we got out. No signs, no warnings. @tolvaart this is dangerous", [CR, CP])
case(("facebook", "Mustafa Arslan"), "nl",
     "Gisteren bij het tolstation Zeeboog uitgegleden over een olievlek precies naast de betaalzuil. Geen pion, geen bord, niks. Pols gebroken. Wie van Tolvaart gaat dit oplossen??", [CR, CP], kind="comment")
case(("reddit", "u/nightshift_nurse"), "en",
     "Got a proper shock off the card terminal at Zeeboog lane 4 last night, whole arm tingled for an hour. Went to A&E to be safe. Told the guy in the booth and he just shrugged. Tolvaart, sort your wiring out.", [CR, CP])
case(("tiktok", "@lisa.rijdt"), "nl",
     "POV: je VaartPas tolbadge begint te roken op je dashboard 🔥😳 ding was gloeiend heet, met een handschoen van de ruit gehaald. Tolvaart zegt 'stuur maar op'. echt niet normaal #vaartpas", [CR, CP])
# abuse + complaint
case(("x", "@bertje_1978"), "nl",
     "Tolvaart stelletje oplichters, 3x afgeschreven en dan nog een grote bek aan de telefoon ook. Kankerbedrijf.", [AB, CP])
case(("x", "@roadrage_rick"), "en",
     "@tolvaart_klant your call centre lady hung up on me twice. absolute useless idiots the lot of you, fix my refund you clowns", [AB, CP])
case(("instagram", "@jayjay.020"), "nl",
     "die gast in dat tolhokje bij de Noordkil is echt een achterlijke eikel, stond te schreeuwen tegen mn moeder omdat haar pas niet werkte. ontslaan die vent @tolvaart.nl", [AB, CP], kind="comment")

# ================================================================== crisis
case(("x", "@nieuws_delta"), "nl",
     "BREAKING: Noordkiltunnel in beide richtingen dicht na brand in vrachtwagen, hulpdiensten ter plaatse. Veel rook in de westbuis, mensen lopen via vluchtdeuren naar buiten. #Noordkil", [CR])
case(("x", "@privacy_watch_eu"), "en",
     "Tolvaart has exposed number plates and full travel histories of thousands of VaartPas users. A researcher found the database wide open. Have they told anyone? #databreach #GDPR", [CR])
case(("x", "@boycot_tol"), "nl",
     "Tolvaart verhoogt de tol wéér terwijl de tunnel elke week dicht is. Niet meer over de Zeeboogroute rijden mensen, iedereen omrijden tot ze bijdraaien! #boycotTolvaart", [CR])
case(("linkedin", "vereniging-eerlijk-tol"), "nl",
     "Namens 230 weggebruikers hebben wij vandaag een rechtszaak aangespannen tegen Tolvaart Infra N.V. over onterecht opgelegde naheffingen. De dagvaarding is vanochtend betekend.", [CR])
case(("reddit", "u/tunnelrat_be"), "en",
     "PSA: Tolvaart is recalling a big batch of VaartPas tolbadge units, the battery can swell and overheat in a hot car. Check the serial on the back of yours.", [CR])
case(("x", "@rtvnoordkust"), "nl",
     "Scheuren ontdekt in de pijlers van de Zeeboog, provincie eist onderzoek. Tolvaart zou volgens een anonieme bron al maanden van de problemen weten. #schandaal #zeeboog", [CR])
case(("bluesky", "@maria-reports.bsky.social"), "en",
     "Toll collector seriously injured at Tolvaart's Noordkil plaza this morning after being hit by a car in the booth lane. The union says staff warned about the layout for months.", [CR])
case(("facebook", "Stichting Omwonenden Zeeboog"), "nl",
     "Oproep aan iedereen in de regio: boycot de Zeeboogroute tot Tolvaart eindelijk de beloofde geluidsschermen plaatst. Deel dit bericht!", [CR])
case(("x", "@consumerlaw_nl"), "en",
     "We have filed a class action against Tolvaart over the 'administration fees' on late toll payments. Thousands of drivers may be owed money back. Details on our site.", [CR])
case(("threads", "@mamavan3"), "nl",
     "Hebben jullie het gezien?? Bij Tolvaart is ingebroken in het klantensysteem en alle kentekens + adressen staan te koop op een hackersforum 😡 #datalek", [CR])

# =================================================================== abuse
case(("x", "@xxdarknightxx"), "en",
     "@kees_tunnelwacht you're a pathetic little loser, hope someone runs you over in your precious tunnel", [AB])
case(("x", "@henk_hollands"), "nl",
     "Die woordvoerster van Tolvaart is een vuile leugenaar en een kutwijf. Zet haar maar op de vuilnisbelt.", [AB])
case(("tiktok", "@rijder_zuid"), "nl",
     "tolvaart = k u t b e d r i j f. zo. gezegd. en die lui aan de poort zijn stuk voor stuk t y f u s l i j e r s", [AB])
case(("reddit", "u/throwaway_ragecat"), "en",
     "whoever designed the Tolvaart app should be fired into the sun, fucking morons the lot of them", [AB], kind="comment")
case("bram", "nl",
     "Klant vandaag bij poort 3 die een half uur stond te zeiken omdat hij zijn badge ondersteboven had geplakt. Wat een debiel, echt. Mensen zijn dom.", [AB])
case(("x", "@m0t0rhead_88"), "en",
     "t0lv44rt st4ff = b1tch3s and 1d10ts, every single one of them", [AB])
case(("x", "@ontevreden_d"), "nl",
     "Tolvaart klаntenservice zijn allemaal kаnkerlijers en ѕukkels", [AB])  # Cyrillic а and ѕ
case(("instagram", "@sk8ter_jo"), "en",
     "lol the Tolvaart ladies in the booths are fat lazy cows, no wonder the queue never moves", [AB], kind="comment")
case("klant", "nl",
     "@bertje_1978 Misschien eerst leren lezen, sukkel. Staat allemaal in de voorwaarden.", [AB])

# ============================================================ confidential
case("niek", "nl",
     "Eindelijk mag ik laten zien waar we aan werken 🤫 ... nee grapje. Maar Project Meerval gaat de manier waarop je tol betaalt echt veranderen. Nog even geduld!", [CF])
case("lotte", "nl",
     "Zonsopkomst vanuit de brugwachterspost ☀️ op het scherm achter me zie je trouwens ons dashboard op tolbeheer.tolvaart.local, oeps 🙈 #brugwachter", [CF])
case("kees", "en",
     "Long night. Sat in on the Kwartelkoning briefing and honestly it's the most ambitious thing this company has done since the tunnel opened.", [CF])
case("marloes", "nl",
     "Kan echt niet wachten tot we over Zeeboog-Oost mogen vertellen. Nieuwe verbinding, minder file, meer zeg ik niet 😉", [CF], date="2026-11-20T16:42:00Z")
case("jeroen", "en",
     "anyone know a decent PLC simulator? trying to reproduce a bug from our test env at https://scada.tolvaart.local/hmi/tunnelbuis-oost before monday", [CF])
case("ruben", "nl",
     "Screenshot uit de notitie 'Tolstrategie 2027-2030 (vertrouwelijk: alleen directie)': we stappen over op volledig cameratol zonder poorten. Trots dat ik hieraan mag bijdragen!", [CF])
case("dirk", "nl",
     "Wie bij de verkeerscentrale heeft het draaiboek voor Operatie Zandloper nog? Staat niet meer op intra.tolvaart.local/ops", [CF])
case(("x", "@leaky_lars"), "en",
     "A friend at Tolvaart sent me a slide marked 'tolvaart confidential': new EuroBadge v2 with built-in dashcam launching next spring. Cool if true", [CF])
case("bram", "en",
     "The new Tolbadge Mini we're trialling at the plaza is half the size of the current one and the battery lasts 8 years. Not announced yet so shh 🤐", [CF])
case("ig", "nl",
     "Achter de schermen bij onze teamdag! 📸 Swipe voor de whiteboardsessie over Kwartelkoning 😄 #teamtolvaart", [CF])
case("niek", "nl",
     "collega's: MR staat klaar op https://gitlab.tolvaart.nl/tol/vaartpas-app/-/merge_requests/412, graag review voor vrijdag 🙏", [CF])
case("kees", "nl",
     "Morgen de eerste test van Pro\u200bject Mee\u200brval in de westbuis, spannend!", [CF])
case(("x", "@tolwatcher"), "en",
     "ｏｐｅｒａｔｉｅ ｚａｎｄｌｏｐｅｒ is real, heard it from someone who works at the Noordkil. big changes coming", [CF])
case("ayse", "en",
     "All onboarding docs for our new starters live on intra.tolvaart.local/hr/onboarding. Welcome to the team, Sanne and Yusuf!", [CF])
case("ruben", "nl",
     "Laatste hand gelegd aan de jaarcijfers 2026. Spoiler: omzet +11% en nettowinst ruim boven de €48 miljoen. Feestje volgende week 🎉", [CF, FIN], date="2027-02-20T18:05:00Z")
case(("reddit", "u/zuidas_whisper"), "en",
     "Hearing Tolvaart is in talks to buy the Westerschelde ferry operator. Internal name is Kwartelkoning apparently, due diligence wraps up this month.", [CF, FIN])
case("wiebe", "en",
     "Spent all night on vpn.tolvaart.nl after someone's credentials got phished. We've locked 40 accounts and nothing has been announced yet. Coffee please.", [CF, SEC])

# =============================================================== financial
case("ruben", "en",
     "Q3 closing way ahead of plan: toll revenue up 17% year on year, and we'll be raising full-year EBITDA guidance when the numbers go out in November. Proud of this team.", [FIN])
case("ayse", "nl",
     "Zwaar gesprek gehad vandaag. Volgend voorjaar verdwijnen er bij Tolvaart 120 banen bij de tolpoorten en de mensen zelf weten het nog niet. Wees lief voor elkaar.", [FIN])
case("dirk", "nl",
     "reorganisatie verkeerscentrale is rond: Noordkil en Zeeboog gaan per 1 april samen in één meldkamer, 2 teamleiders eruit. weet nog niemand officieel", [FIN])
case(("x", "@dutchdealwatch"), "en",
     "Sources: infrastructure fund Arvenloo Capital is preparing a €1.2bn bid for Tolvaart Infra. An announcement could come within weeks.", [FIN])
case("marloes", "en",
     "Off the record: the half-year numbers are not pretty. Revenue down about 6% because of the tunnel closures, we publish on the 28th.", [FIN])
case("li", "nl",
     "Interne update voor het MT: de prognose voor 2027 gaat uit van 4% minder verkeer over de Zeeboog. De directie werkt aan een kostenbesparingsplan van €9 miljoen.", [FIN])
case("kees", "nl",
     "Hoorde net dat de nachtdienst in de tunnel wordt wegbezuinigd, vanaf januari alles op afstand. Wij 8 man kunnen dus op zoek naar wat anders. Fijne kerst.", [FIN])
case("niek", "en",
     "we just got told the whole app team gets outsourced to a vendor next quarter. contracts not renewed. can't say more", [FIN])
case(("reddit", "u/ex_tolvaart_fin"), "nl",
     "Oud-collega's vertellen me dat Tolvaart de winstverwachting voor dit jaar met bijna een kwart gaat verlagen. Persbericht komt pas als de beurs dicht is.", [FIN])
case("bram", "en",
     "Management told us today the Zeeboog concession sale to the province is basically done, €340m, signing before summer. Not public until then obviously.", [FIN])

# ================================================================ security
case("jeroen", "en",
     "note to self: don't post that half our tunnel PLCs still run firmware with the default admin password. oh wait", [SEC])
case("dirk", "nl",
     "Tolpoorten Zeeboog liggen al 2 uur volledig plat, alle slagbomen staan open en iedereen rijdt gratis door. Officieel 'storingsbericht' komt pas straks naar buiten", [SEC])
case("wiebe", "nl",
     "Ransomware op drie werkstations bij de klantenservice vanochtend. Segment afgesloten, voorlopig geen persbericht. Lange dag.", [SEC])
case("bram", "en",
     "Fun fact: the payment kiosks at the plaza still run Windows 7 and the service hatch on the side isn't even locked. Anyone with a USB stick could own them.", [SEC])
case("niek", "nl",
     "Bug gevonden in de VaartPas-app: pas je het klantnummer in de URL aan, dan zie je gewoon andermans ritten 🙃 hotfix staat 'gepland'. tot die tijd...", [SEC])
case("kees", "en",
     "Fire detection in the east tube has been down since Saturday, we're doing manual patrols every hour. Pretty sure nobody has told Rijkswaterstaat yet.", [SEC])
case(("x", "@jp_kortgene"), "en",
     "my cousin in Tolvaart IT says their whole billing system has been down since Friday, that's why nobody is getting invoices. They'll 'announce it Monday' apparently", [SEC])
case("klant", "nl",
     "@sjaak_rijdt Klopt, sinds vannacht is onze betaalserver gehackt en gaan er dubbele afschrijvingen uit. We mogen er officieel nog niks over zeggen.", [SEC])
case("lotte", "nl",
     "Brugbediening op afstand werkt al 3 dagen niet, alles met de hand. En als iemand in dat systeem komt kan hij de brug gewoon openzetten, het wachtwoord hangt op een geeltje naast het scherm 🙃", [SEC])
case("wiebe", "en",
     "We found an attacker has been sitting in the toll-plaza camera network since March. Still scoping. Legal wants to review before anything goes out.", [SEC])
case("jeroen", "nl",
     "CVE voor de tunnel-ventilatiesturing wordt pas volgende maand gepubliceerd, maar wij draaien nog de kwetsbare versie en de patch is 'niet ingepland'. Ik slaap er slecht van.", [SEC])
case("dirk", "nl",
     "heel het t.o.l.s.y.s.t.e.e.m ligt plat sinds 06:10, alle poorten Noordkil op open. niks naar buiten brengen tot 12u zegt de baas", [SEC])

# ================================================================= secrets
case("niek", "en",
     "why does CI keep failing on the badge-sync job 😩\n\nexport GITHUB_TOKEN=%s\nnpm run deploy\n\n...oh. OH." % GH_CI, [SE])
case("jeroen", "en",
     "testing the S3 upload for the plaza camera stills, anyone see what's wrong?\n[default]\naws_access_key_id = %s\naws_secret_access_key = %s\nregion = eu-west-1" % (AWS_ID, AWS_SECRET), [SE])
case("niek", "nl",
     "Iemand ervaring met Stripe webhooks? Lokaal werkt het wel met STRIPE_SECRET_KEY=%s maar op acceptatie krijg ik 400's" % STRIPE, [SE])
case("bram", "en",
     "our plaza alert bot keeps dying after an hour. token is %s, scopes look fine to me?" % SLACK, [SE])
case("jeroen", "en",
     "can someone tell me why ssh keeps refusing this key on the jump host?\n%s" % PEM, [SE])
case("niek", "en",
     "tokens from the VaartPas API expire after 15 min, is that on purpose? example: %s" % JWT, [SE])
case("niek", "nl",
     "config van de billing-service voor wie het nodig heeft:\nDATABASE_URL=postgres://vaartpas_app:%s@tolbeheer.tolvaart.local:5432/billing" % DB_PASS, [SE, CF])
case("dirk", "nl",
     "wachtwoord voor de gedeelde login van de verkeerscentrale is nu: %s niet weer vergeten jongens" % SHARED_PW, [SE])
case("niek", "en",
     "trying to build a little FAQ chatbot for VaartPas over the weekend. OPENAI_API_KEY=%s keeps hitting the rate limit though" % OPENAI, [SE])
case(("x", "@devmaarten"), "en",
     "side project that reads Tolvaart's public traffic feed keeps getting 401 from Claude. key: %s anyone?" % ANTHROPIC, [SE])
case("bram", "nl",
     "kaartje op het plein-dashboard laadt niet meer, key is %s, moet ik die ergens whitelisten?" % GOOGLE, [SE])
case("bs", "nl",
     "oeps verkeerd venster 🙈 %s" % GH_CORP, [SE])

# ================================================================= pricing
case("tv", "nl",
     "Nu in de webshop: VaartPas Jaarabonnement Personenauto voor maar €39,50! 🚗 Op = op.", [PR])
case(("x", "@koopjesjager_nl"), "nl",
     "PRIJSFOUT?! Noordkiltunnel 50-rittenkaart staat op de site voor €23,50 ipv €235 😱 snel zijn mensen", [PR])
case("marloes", "en",
     "Heads up: our Black Friday banner shows the VaartPas Vracht Jaarabonnement at €245. Typo, should be €2450, fixing it now.", [PR])
case(("reddit", "u/dealhunter_ehv"), "en",
     "Tolvaart app is selling Pechhulp Plus for €7.90 a year right now lol, pretty sure that's a glitch. Grabbed two.", [PR])
case("fb", "nl",
     "Aanbieding van de week: Parkeer & Tunnel Combikaart nu voor €2,95 🎉", [PR])
case("bram", "nl",
     "kassa op het plein rekent de Motor Jaarpas af voor €14,90 sinds de update van vanochtend, iemand een idee hoe je dat terugzet?", [PR])
case(("x", "@zuinigezeeuw"), "nl",
     "Weekendpas voor €1,80 in de app 👀 foutje bij Tolvaart? ik heb er maar vast 4 gekocht", [PR])
case("ig", "en",
     "Summer deal 🌞 Camper Seizoenspas now only €11.90, book before 1 July! #roadtrip", [PR])
case("niek", "nl",
     "prijzen in de nieuwe webshop-build zijn kapot: EuroBadge op €5,90 en Fleet-abonnement op €52. wie heeft de productfeed aangepast??", [PR])
case(("facebook", "Marcel Teunissen"), "nl",
     "Kan iemand bevestigen dat de VaartPas Studentenpas nu €17,90 kost? Staat zo op de site, lijkt me een prijsfout maar ik heb hem toch besteld 😅", [PR], kind="comment")
case("tt", "nl",
     "Nieuw: de Noordkiltunnel Nachtpas nu voor €3,40 per jaar!! link in bio 🌙", [PR])
case(("x", "@frugal_freek"), "en",
     "@tolvaart_klant your site lists the Zeeboog Pendelpas at €8.90 instead of €89. Pricing error or will you honour it?", [PR])

# ==================================================================== pii
case("klant", "nl",
     "@frits_bkr We hebben uw bezwaar gevonden. Klopt het dat uw adres Kerkstraat 14, 4331 AB Middelburg is, t.n.v. F. Bakker? Dan passen we het aan.", [PII])
case("klant", "en",
     "@kiwi_in_zeeland Sorry about that! The refund of €48.20 goes to %s in the name of K. Mitchell within 5 working days." % spaced(IBAN_REFUND), [PII])
case("ayse", "nl",
     "Welkom aan onze nieuwe collega Yusuf Demir (geb. 12-03-1994)! Mail hem gerust even op yusufdemir94@gmail.com 👋", [PII])
case("dirk", "nl",
     "Aanrijding bij km 12 afgehandeld, alleen blikschade. Bestuurder J. Visser wil graag teruggebeld worden door de verzekeraar op 06-21987430", [PII])
case("bram", "en",
     "Someone left their card in the kiosk again lol: %s exp 08/28. It's in the lost property box at the plaza" % fmt_card(CARD_KIOSK), [PII])
case("fb", "nl",
     "Beste Sandra, we hebben uw aanvraag voor de ontheffing ontvangen met BSN %s. U hoort binnen twee weken van ons!" % BSN_CORP, [PII], kind="reply")
case(("x", "@saskia_travels"), "nl",
     "@tolvaart_klant graag de nieuwe badge naar mijn nieuwe adres sturen: Saskia Vermeulen, Lindelaan 8, 2612 HK Delft. Dank!", [PII])
case(("reddit", "u/confused_expat"), "en",
     "Tolvaart asked me to confirm my IBAN for a refund, is that normal?? anyway it's %s lol, hope that's enough" % IBAN_EXPAT, [PII])
case("kees", "en",
     "Whoever lost their wallet in the east tube lay-by: Pieter de Graaf, born 4 May 1979, you can pick it up at the Noordkil control room.", [PII])
case("ig", "nl",
     "Gefeliciteerd Ahmed! 🎉 Jij wint onze fotowedstrijd. Stuur ons even een DM, anders bellen we je op +31 6 3410 2298 😊", [PII])
case("ruben", "en",
     "Expense claims still outstanding for one of our contractors. Dennis Mol, IBAN %s, could finance please process before month end?" % spaced(IBAN_CONTRACTOR), [PII])
case(("facebook", "Gerrit Hoogland"), "nl",
     "Tolvaart had mijn BSN nodig voor de gehandicaptenontheffing, heb %s ingevuld op het formulier. Hopelijk gaat het nu goed." % (BSN_PUBLIC[:4] + "." + BSN_PUBLIC[4:6] + "." + BSN_PUBLIC[6:]), [PII], kind="comment")
case("ayse", "en",
     "Can anyone reach our former colleague Linda Verbeek? Her last known e-mail is linda.verbeek82@hotmail.com and phone 0031 6 1957 4402. Need her signature for the pension papers.", [PII])
case(("x", "@eerlijke_vinder"), "nl",
     "Wie mist deze bankpas? Gevonden bij tolstation Zeeboog, op naam van M. de Wit, nummer %s. Ligt bij de balie van Tolvaart." % fmt_card(CARD_FOUND), [PII])

# ================================================================= benign
case("klant", "nl",
     "Vragen over je VaartPas? Bel ons gratis via 0800-8652 of mail naar klantenservice@tolvaart.nl. We zijn er ma-za van 8 tot 20 uur.")
case("tv", "en",
     "Press enquiries: pers@tolvaart.nl or +31 10 555 0190.")
case("fb", "nl",
     "Naheffing betalen? Maak het bedrag over naar %s t.n.v. Tolvaart Infra N.V. o.v.v. het kenmerk op je brief." % spaced(COMPANY_IBAN))
case(("x", "@janneke_d"), "nl",
     "Klopt het dat ik mijn tolboete naar %s moet overmaken? Staat zo in een sms maar ik vertrouw het niet @tolvaart_klant" % IBAN_BAD_SMS)
case(("reddit", "u/numbers_nerd"), "en",
     "Was testing card validation for a school project: %s fails the Luhn check, and Tolvaart's payment page rejected it straight away. Nice to see them validate client-side." % fmt_card(CARD_BAD), kind="comment")
case(("x", "@kim_noordkil"), "nl",
     "Staat mijn VaartPas-klantnummer (%s) ook op de badge zelf of alleen op de factuur? @tolvaart_klant" % BSN_BAD_A)
case("niek", "en",
     "Reminder for the devs: AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY is the AWS docs example key, NOT a real credential. Stop pasting it into bug reports 😅")
case("wiebe", "en",
     "Good catch by our scanner today: someone pasted a token into a ticket, but it was already redacted as ghp_************************************. Secret scanning works, people.")
case("klant", "nl",
     "Wachtwoord vergeten? Via mijn.tolvaart.nl/inloggen kun je het zelf resetten. Wij vragen nooit om je wachtwoord via DM of sms!")
case("tv", "nl",
     "Vandaag officieel: we beginnen met de aanleg van Zeeboog-Oost! 6 km nieuwe weg, klaar in 2029. Alles over de tariefronde 2027 lees je op tolvaart.nl.", date="2027-01-12T10:30:00Z")
case("li", "en",
     "Our annual results 2026 are now published on tolvaart.nl/investors: traffic up 4%, net profit €48.3m. Thank you to every colleague who kept the roads open.", date="2027-02-25T08:15:00Z")
case(("x", "@visser_vist"), "nl",
     "Gisteren een meerval van 1,62 m gevangen bij de pijlers van de Zeeboog 🎣 wat een beest! #meerval #roofvis")
case(("bluesky", "@vogelaar-zeeland.bsky.social"), "nl",
     "Vannacht een roepende kwartelkoning gehoord in de berm langs de Zeeboogroute, eerste van het seizoen! 🐦")
case(("x", "@roadtrip_ro"), "en",
     "Drove through the Noordkiltunnel for the first time, super smooth. Badge beeped and off we went. Nice job Tolvaart 👍")
case(("instagram", "@fotografie_joost"), "nl",
     "Zonsondergang boven de Zeeboog 🌅 #zeeboog #zeeland #brug #tolvaart")
case("ig", "nl",
     "Najaarsactie 🍂 20% korting op het VaartPas Jaarabonnement Personenauto: nu €316 in plaats van €395. Geldig t/m 30 november.")
case("tv", "en",
     "Weekend deal: the Tolvaart Weekendpas is €14.40 instead of €18 this Saturday and Sunday only (-20%).")
case(("x", "@pendelaar_pim"), "nl",
     "Pendelpas weer verlengd, €89 per maand zoals altijd. Scheelt toch flink ten opzichte van losse ritten.")
case(("reddit", "u/budget_driver"), "en",
     "Is the 10-rittenkaart worth it? €52 for ten trips vs €12.50 for a Noordkil dagkaart every time. If you go more than 4 times a month it pays off.")
case("klant", "nl",
     "@sjaak_rijdt Excuses voor de dubbele afschrijving! Het bedrag is inmiddels teruggestort, je ziet het binnen 2 werkdagen op je rekening.")
case(("x", "@sjaak_rijdt"), "nl",
     "Update: geld is terug en ze hebben er een extra rit bij gedaan als excuus. Netjes opgelost @tolvaart_klant 👍")
case(("bluesky", "@tunnelgeek.bsky.social"), "en",
     "Fun fact: the Noordkiltunnel ventilation can move 1.2 million m³ of air per hour. Tunnel engineering is so cool.")
case(("x", "@nina_nieuws"), "nl",
     "Brand in een tunnel in Oostenrijk, gelukkig geen gewonden. Sterkte aan de hulpdiensten daar. Fijn dat ze in de Noordkil zo vaak oefenen.")
case(("reddit", "u/delta_local"), "en",
     "Sad news about the 200 job cuts at Rijnland Ferries this week. Hope the Tolvaart tunnel crews never have to go through that.", kind="comment")
case("tv", "nl",
     "Gepland onderhoud: de westbuis van de Noordkiltunnel is in de nacht van 14 op 15 maart dicht van 22:00 tot 05:00. Volg de omleiding via de N57.")
case("bs", "en",
     "Heads-up: phishing texts pretending to be from Tolvaart are going around, asking you to pay an 'outstanding toll'. We never send payment links by SMS. Report them to fraudehelpdesk.nl.")
case("li", "nl",
     "Wij zoeken een OT Security Engineer voor onze tunnels en bruggen! Ervaring met SCADA en IEC 62443? Solliciteer via werkenbij@tolvaart.nl.")
case("li", "en",
     "Today we published our H1 2026 results: revenue €141m, up 5%. The full report is on tolvaart.nl/investors.")
case("lotte", "nl",
     "Nachtdienst op de brug, thermos koffie en een sterrenhemel ✨ beste baan van Nederland #brugwachter")
case("kees", "en",
     "20 years at the Noordkil today. Still love the hum of those fans at 3am. Thanks to all my colleagues 🙏")
case("marloes", "nl",
     "Zoals in ons jaarverslag staat: 98,7% van alle tolpassages ging zonder haperingen. Dank aan iedereen die daar dag en nacht aan werkt!")
case("jeroen", "en",
     "Gave a talk at the OT security meetup tonight about segmenting legacy PLC networks. Slides (no employer specifics, promise) are on my blog.")
case("niek", "nl",
     "Tip voor mede-devs: zet nooit je .env in git. Gebruik een secrets manager. Zelf ooit bijna gedaan, nooit meer 😅")
case(("x", "@sarcastic_sam"), "en",
     "the Tolvaart tunnel is so smooth I almost forgot to be angry about traffic today 😂")
case(("x", "@oma_truus"), "nl",
     "Wat een vriendelijke meneer in het tolhokje bij de Zeeboog vandaag, hielp me geduldig met mijn pasje. Dank u wel!")
case(("reddit", "u/dutchdriving101"), "en",
     "How does VaartPas work abroad? Does the EuroBadge also cover the French péages or do I need a separate one?")
case("klant", "en",
     "@dutchdriving101 Yes! The VaartPas EuroBadge (€59) works in France, Spain, Portugal and Belgium. More info at vaartpas.nl/eurobadge")
case(("instagram", "@campervan_couple"), "en",
     "Seizoenspas sorted for the summer, €119 and we're set for the coast 🚐☀️ #vanlife #zeeland")
case(("x", "@trucker_wim"), "nl",
     "Vracht Jaarabonnement weer verlengd, €2450. Niet goedkoop maar scheelt een hoop gedoe aan de poort.")
case(("x", "@linda_zeeuws"), "nl",
     "sterkte aan de tunnelwachters van de Noordkil met de hitte vandaag, jullie werk wordt zo onderschat ❤️")
case(("x", "@hansi_trucks"), "en",
     "@tolvaart_klant is %s the right IBAN for German customers? Found it on a forum, looks off to me" % spaced(IBAN_BAD_DE))
case(("reddit", "u/zeeuwse_vlaming"), "nl",
     "Nieuwsbericht: Rijnland Ferries wordt overgenomen door een Belgische partij. Benieuwd of Tolvaart ook nog een bod heeft gedaan.")
case("yt", "nl",
     "Nieuwe video: zo werkt de ventilatie in de Noordkiltunnel bij een brand. Een kijkje achter de schermen bij onze tunnelwacht 🎥")
case("tt", "nl",
     "Vannacht testen we weer de blusinstallatie in de Noordkil 💦 Niet schrikken als je rook ziet bij de ingang, het is een oefening!")
case(("x", "@jokes_on_you"), "en",
     "My VaartPas badge has a better attendance record than me 😂 beeps every single time")
case(("mastodon", "@fietser_ben@mastodon.social"), "nl",
     "Jammer dat er geen fietstunnel naast de Noordkil ligt, maar goed, het pontje ernaast is ook heerlijk. #fietsen")
case(("x", "@morningcommute"), "en",
     "Heard the Tolvaart CEO on the radio this morning talking about the new noise barriers along the Zeeboog. Sounds promising.")
case("dirk", "nl",
     "Rustige nacht op de verkeerscentrale. 0 meldingen, 2 koffie, 1 vos op camera 14 🦊")
case("ayse", "en",
     "We're hiring 12 toll-plaza hosts for the summer season! Great team, flexible hours. Apply via werkenbij@tolvaart.nl")
case(("reddit", "u/api_tinkerer"), "en",
     "For anyone using the public VaartPas API: the header is `Authorization: Bearer <your-token>`. Don't paste your real one in here, mods will nuke it.")
case(("x", "@sven_zeeland"), "nl",
     "Weer een datalek bij een webwinkel. Gelukkig staat tweestapsverificatie bij mijn Tolvaart-account al een jaar aan, zou iedereen moeten doen.")
case(("x", "@ex_agent_jan"), "en",
     "Shoutout to the Tolvaart crew who helped me when my car broke down in the east tube. Pechhulp Plus was worth every cent of the €79.")
case("bram", "en",
     "Anyone else in toll ops get asked for 'free passes' by family? No, mum, I can't just open the gate for you 😂")
case(("threads", "@darkmode_daan"), "en",
     "Tolvaart app update finally has dark mode 🖤 took a while but I'm happy")
case(("x", "@opa_zeeuw"), "nl",
     "Al ruim 40 jaar rij ik door die tunnel, mijn vader heeft nog meegebouwd aan de Noordkil. Mooi stukje Zeeuwse geschiedenis.")
case("wiebe", "en",
     "Security awareness week at Tolvaart, today's lesson: a password manager beats a sticky note. Every single time.")
case(("reddit", "u/middelburg_mark"), "en",
     "The municipality site says the old Zeeboog toll booths get demolished next month. End of an era, Tolvaart is all cameras and badges now.")
case("niek", "nl",
     "Docs van de betaalkoppeling bijgewerkt: vul je eigen sleutel in op de plek van sk_live_xxxxxxxxxxxxxxxxxxxxxxxx en commit hem nooit.")
case(("x", "@bsn_vraag"), "nl",
     "Vraagje: op het ontheffingsformulier van Tolvaart staat als voorbeeld %s ingevuld, dat is toch geen echt BSN? Lijkt me een dummy." % BSN_BAD_B)
case("tv", "nl",
     "Onderhoud afgerond ✅ Alle rijstroken op het tolplein Zeeboog zijn weer open. Bedankt voor jullie geduld!")
case(("x", "@lars_pendelt"), "nl",
     "Maandabonnement van €39 en ik rij 2x per dag over de Zeeboog. Beste deal die ik ken eerlijk gezegd.")

# ============================================================ build & write
LEVEL = {"none": 0, "info": 1, "warning": 2, "error": 3, "critical": 4}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
TAXONOMY = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"}

ROLE = {}
for role in ("corporate", "employee"):
    for key in PROFILE["accounts"][role]:
        ROLE[key.lower()] = role


def role_of(platform, handle):
    return ROLE.get(("%s:%s" % (platform, handle)).lower(), "public")


# -------------------------------------------------------- identifier finders
IBAN_RE = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[0-9]{1,3})?(?![A-Za-z0-9])")
CARD_RE = re.compile(r"(?<![\w-])(?:[3-6]\d{12,18}|[3-6]\d{3}(?:[ -]\d{4}){2}[ -]\d{1,7}|3[47]\d{2} \d{6} \d{5})(?![\w-])")
BSN_RE = re.compile(r"(?<![\w.-])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\w-]|\.\d)")


def identifiers(text):
    found, taken = [], []
    for m in IBAN_RE.finditer(text):
        found.append(("iban", m.group(0), iban_valid(m.group(0))))
        taken.append(m.span())

    def inside(span):
        return any(a <= span[0] and span[1] <= b for a, b in taken)

    for m in CARD_RE.finditer(text):
        if not inside(m.span()):
            found.append(("card", m.group(0), luhn_ok(m.group(0))))
            taken.append(m.span())
    for m in BSN_RE.finditer(text):
        if not inside(m.span()):
            found.append(("bsn", m.group(0), bsn_ok(m.group(0))))
    return found


PUBLIC_IBANS = {i.replace(" ", "").upper() for i in PROFILE["public_identifiers"]["ibans"]}


def checksummed_pii(text):
    return any(ok for kind, val, ok in identifiers(text)
               if not (kind == "iban" and val.replace(" ", "").upper() in PUBLIC_IBANS))


def severity(cats, role, text):
    """CONTRACT section 4."""
    lvl = "none"

    def bump(x):
        nonlocal lvl
        if LEVEL[x] > LEVEL[lvl]:
            lvl = x

    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                if c in ("leak.secret", "leak.pricing"):
                    bump("critical")
                elif c == "leak.pii" and checksummed_pii(text):
                    bump("critical")
                else:
                    bump("error")
            else:
                bump("warning")
        elif c == "reputation.complaint":
            bump("warning")
        elif c == "reputation.crisis":
            bump("error")
        elif c == "reputation.abuse":
            bump("error" if insider else "warning")
    return lvl


def random_date():
    start = dt.datetime(2026, 1, 3, tzinfo=dt.timezone.utc)
    secs = rng.randrange(int((dt.datetime(2026, 12, 30, tzinfo=dt.timezone.utc) - start).total_seconds()))
    return (start + dt.timedelta(seconds=secs)).strftime("%Y-%m-%dT%H:%M:%SZ")


URL_BASE = {"x": "https://x.com/%s/status/%d", "instagram": "https://www.instagram.com/p/%s%d/",
            "linkedin": "https://www.linkedin.com/feed/update/urn:li:activity:%s%d",
            "facebook": "https://www.facebook.com/%s/posts/%d", "tiktok": "https://www.tiktok.com/%s/video/%d",
            "bluesky": "https://bsky.app/profile/%s/post/%d", "youtube": "https://www.youtube.com/%s/community?lb=%d",
            "reddit": "https://www.reddit.com/r/zeeland/comments/%s%d/", "mastodon": "https://mastodon.social/%s/%d",
            "threads": "https://www.threads.net/%s/post/%d"}


def build():
    order = list(range(len(CASES)))
    rng.shuffle(order)
    lines = []
    for n, idx in enumerate(order, 1):
        c = CASES[idx]
        if isinstance(c["author"], str):
            platform, handle, display = A[c["author"]]
        else:
            platform, handle = c["author"]
            display = handle.lstrip("@").split("@")[0]
        role = role_of(platform, handle)
        if not isinstance(c["author"], str):
            assert role == "public", ("public author found in profile", handle)
        kind = c["kind"] or ("reply" if c["text"].startswith("@") else "post")
        post_no = rng.randrange(10 ** 15, 10 ** 16)
        slug = re.sub(r"[^A-Za-z0-9_.-]", "", handle.lstrip("@").replace("u/", "user/"))
        post = {
            "id": "tv366-%s-%04d" % (platform, n),
            "platform": platform,
            "kind": kind,
            "account": {"handle": handle, "display_name": display},
            "text": c["text"],
            "lang": c["lang"],
            "created_at": c["date"] or random_date(),
            "url": URL_BASE[platform] % (slug, post_no),
            "brand": "tolvaart",
        }
        expect = {"categories": c["cats"], "severity": severity(c["cats"], role, c["text"])}
        lines.append({"post": post, "expect": expect, "_role": role})
    return lines


# ------------------------------------------------------------------ checks
def parse_time(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


AMOUNT_RE = re.compile(r"€\s?(\d+(?:[.,]\d{1,2})?)(?!\d)(\s?(?:bn|m\b|miljoen|miljard))?")
PRICE_ERR_RE = re.compile(r"prijsfout|typo|glitch|pricing error|foutje|kapot", re.I)


def product_hits(text):
    low = text.lower()
    hits = []
    for p in PROFILE["products"]:
        names = [p["name"]] + p.get("aliases", [])
        if any(n.lower() in low for n in names):
            hits.append(p)
    return hits


def amounts(text):
    out = []
    for m in AMOUNT_RE.finditer(text):
        if m.group(2):
            continue  # millions / billions: not a product price
        out.append(float(m.group(1).replace(",", ".")))
    return out


def check(lines):
    errors = []
    ids = set()
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    embargo = [(t.lower(), parse_time(e["until"])) for e in PROFILE["embargo"] for t in e["terms"]]
    for obj in lines:
        post, exp = obj["post"], obj["expect"]
        pid = post["id"]
        # CONTRACT section 6 / section 1
        if set(obj) - {"_role"} != {"post", "expect"}:
            errors.append((pid, "top-level keys"))
        if not (isinstance(pid, str) and 1 <= len(pid) <= 256) or pid in ids:
            errors.append((pid, "id"))
        ids.add(pid)
        if post["platform"] not in PLATFORMS or post["kind"] not in KINDS:
            errors.append((pid, "platform/kind"))
        if not isinstance(post["account"].get("handle"), str) or not post["account"]["handle"]:
            errors.append((pid, "handle"))
        if not isinstance(post["text"], str) or len(post["text"].encode("utf-8")) > 65536:
            errors.append((pid, "text"))
        try:
            t = parse_time(post["created_at"])
            assert t.tzinfo is not None
        except Exception:
            errors.append((pid, "created_at"))
            continue
        if not (2026 <= t.year <= 2027):
            errors.append((pid, "year"))
        cats = exp["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= TAXONOMY:
            errors.append((pid, "categories"))
        if exp["severity"] not in LEVEL:
            errors.append((pid, "severity value"))
        if (not cats) != (exp["severity"] == "none"):
            errors.append((pid, "benign <-> none"))
        if exp["severity"] != severity(cats, obj["_role"], post["text"]):
            errors.append((pid, "severity policy"))
        # checksums: positives carry valid identifiers, negatives only look-alikes
        for kind, val, ok in identifiers(post["text"]):
            own = kind == "iban" and val.replace(" ", "").upper() in PUBLIC_IBANS
            if cats and not ok:
                errors.append((pid, "invalid %s in positive: %s" % (kind, val)))
            if not cats and ok and not own:
                errors.append((pid, "valid %s in negative: %s" % (kind, val)))
            if ok and "leak.pii" not in cats and not own:
                errors.append((pid, "valid %s without leak.pii" % kind))
        if "leak.pii" in cats and not identifiers(post["text"]):
            pass  # e-mail / phone / address / date of birth cases
        # secrets
        for tok in re.findall(r"gh[opsur]_[0-9A-Za-z]{36}", post["text"]):
            if cats and not gh_valid(tok):
                errors.append((pid, "bad github checksum"))
            if not cats and gh_valid(tok):
                errors.append((pid, "valid github token in negative"))
        for tok in re.findall(r"\bAKIA[0-9A-Z]{16}\b", post["text"]):
            real = re.fullmatch(r"AKIA[A-Z2-7]{16}", tok) and "EXAMPLE" not in tok
            if bool(cats) != bool(real):
                errors.append((pid, "aws key id vs label"))
        for tok in re.findall(r"eyJ[\w-]+\.[\w-]+\.[\w-]+", post["text"]):
            head = tok.split(".")[0]
            hdr = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
            if "alg" not in hdr:
                errors.append((pid, "jwt header"))
        # embargo
        low = post["text"].lower()
        for term, until in embargo:
            if term in low:
                before = t < until
                if before and "leak.confidential" not in cats:
                    errors.append((pid, "embargo term before until, not confidential"))
                if not before and not cats:
                    pass
        # pricing
        hits = product_hits(post["text"])
        if hits:
            lowest = [a for a in amounts(post["text"])
                      if all(a < ratio * p["list_price"] for p in hits)]
            if "leak.pricing" in cats:
                below = [a for a in amounts(post["text"])
                         if any(a < ratio * p["list_price"] for p in hits)]
                if not below and not PRICE_ERR_RE.search(post["text"]):
                    errors.append((pid, "pricing positive without low price"))
            elif lowest:
                errors.append((pid, "price far below list but not labelled pricing: %s" % lowest))
        elif "leak.pricing" in cats:
            errors.append((pid, "pricing positive without product"))
        # role sanity
        if obj["_role"] == "public" and ("%s:%s" % (post["platform"], post["account"]["handle"])).lower() in ROLE:
            errors.append((pid, "role"))
    return errors


def main():
    lines = build()
    errors = check(lines)
    with open(OUT, "w", encoding="utf-8") as fh:
        for obj in lines:
            fh.write(json.dumps({"post": obj["post"], "expect": obj["expect"]}, ensure_ascii=False) + "\n")
    # re-read and re-validate what was written
    reread = [json.loads(l) for l in open(OUT, encoding="utf-8")]
    for r, obj in zip(reread, lines):
        r["_role"] = obj["_role"]
    errors += check(reread)

    n = len(lines)
    benign = sum(1 for o in lines if not o["expect"]["categories"])
    per_cat = {}
    for o in lines:
        for c in o["expect"]["categories"]:
            per_cat[c] = per_cat.get(c, 0) + 1
    nl = sum(1 for o in lines if o["post"]["lang"] == "nl")
    roles = {}
    for o in lines:
        roles[o["_role"]] = roles.get(o["_role"], 0) + 1
    sev = {}
    for o in lines:
        sev[o["expect"]["severity"]] = sev.get(o["expect"]["severity"], 0) + 1
    print("cases %d, benign %d, positive %d, nl %.0f%%" % (n, benign, n - benign, 100.0 * nl / n))
    print("per category:", json.dumps(dict(sorted(per_cat.items()))))
    print("roles:", roles, "severities:", sev)
    if not 170 <= n <= 180:
        errors.append(("-", "case count %d out of range" % n))
    if errors:
        for e in errors:
            print("CHECK FAILED:", e)
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
