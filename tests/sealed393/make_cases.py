#!/usr/bin/env python3
"""Build the labelled evaluation set sealed393 (Stadsmeeuw Tours B.V.).

Deterministic: a fixed seed drives every generated credential, identifier and
timestamp.  Post texts are hand-written below.  Writes cases.jsonl next to this
file and then checks it:
  * every line is a valid CONTRACT section-6 case;
  * severities are computed from the account role in profile.yaml (CONTRACT 4);
  * every IBAN / card / BSN in a pii positive passes its checksum, every
    look-alike anywhere else fails it;
  * generated credentials are well-formed (GitHub CRC-32, AWS, JWT header);
  * internal names, embargo terms, personal contact data and below-list prices
    only occur in posts that carry the matching label.
Needs Python 3 and PyYAML.
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

rng = random.Random(393)

ALNUM = string.digits + string.ascii_letters
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


# --------------------------------------------------------------------------
# checksum helpers
# --------------------------------------------------------------------------
def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def iban_make(cc, bban):
    r = bban + cc + "00"
    n = int("".join(str(int(c, 36)) for c in r))
    return "%s%02d%s" % (cc, 98 - n % 97, bban)


def iban_fmt(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def luhn_ok(digits):
    d = [int(c) for c in re.sub(r"\D", "", digits)]
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def luhn_make(prefix, length):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for c in string.digits:
        if luhn_ok(body + c):
            return body + c
    raise AssertionError


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9:
        return False
    w = [9, 8, 7, 6, 5, 4, 3, 2, -1]
    return sum(int(c) * k for c, k in zip(s, w)) % 11 == 0 and s[0] != "0"


def bsn_make():
    while True:
        body = str(rng.randint(1, 9)) + "".join(rng.choice(string.digits) for _ in range(7))
        t = sum(int(c) * k for c, k in zip(body, [9, 8, 7, 6, 5, 4, 3, 2]))
        last = t % 11
        if last <= 9:
            cand = body + str(last)
            if bsn_ok(cand):
                return cand


def break_last_digit(s):
    """Change the last digit so that a checksum no longer holds."""
    last = int(s[-1])
    return s[:-1] + str((last + 3) % 10)


def card_fmt(n, sep=" "):
    return sep.join(n[i:i + 4] for i in range(0, len(n), 4))


# --------------------------------------------------------------------------
# credential generators (built the way the real ones are)
# --------------------------------------------------------------------------
def b62(n):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return s or "0"


def github_token(prefix="ghp_"):
    body = "".join(rng.choice(ALNUM) for _ in range(30))
    return prefix + body + b62(zlib.crc32(body.encode())).rjust(6, "0")


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def rand_from(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt():
    header = {"alg": "HS256", "typ": "JWT"}
    payload = {"sub": "crew-%04d" % rng.randint(100, 9999), "role": "dispatch",
               "iss": "dispatch-api", "iat": 1781000000 + rng.randint(0, 9999999)}
    payload["exp"] = payload["iat"] + 28800
    h = b64url(json.dumps(header, separators=(",", ":")).encode())
    p = b64url(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64url(bytes(rng.getrandbits(8) for _ in range(32)))
    return "%s.%s.%s" % (h, p, sig)


def make_pem():
    raw = bytes(rng.getrandbits(8) for _ in range(300))
    body = "MIIEpAIBAAKCAQEA" + base64.b64encode(raw).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"


AZ27 = string.ascii_uppercase + "234567"
B64CH = string.ascii_letters + string.digits + "/+"
URLCH = string.ascii_letters + string.digits + "_-"

GH1 = github_token("ghp_")
AKIA = "AKIA" + rand_from(AZ27, 16)
AWS_SECRET = rand_from(B64CH, 40)
MOLLIE = "live_" + rand_from(ALNUM, 30)
SLACK = "xoxb-%d-%d-%s" % (rng.randint(10 ** 11, 10 ** 12 - 1), rng.randint(10 ** 12, 10 ** 13 - 1), rand_from(ALNUM, 24))
OPENAI = "sk-proj-" + rand_from(URLCH, 64) + "T3BlbkFJ" + rand_from(URLCH, 64)
PEM = make_pem()
JWT = make_jwt()
DBPW = rand_from(ALNUM, 14)
STRIPE = "sk_live_" + rand_from(ALNUM, 24)
GOOGLE = "AIza" + rand_from(URLCH, 35)

# personal identifiers that must pass their checksums
IBAN_P2 = iban_make("NL", "ABNA" + rand_from(string.digits, 10))
IBAN_P11 = iban_make("NL", "INGB" + "000" + rand_from(string.digits, 7))
CARD_P5 = luhn_make("4", 16)
CARD_P10 = luhn_make("53", 16)
BSN_P4 = bsn_make()
BSN_P8 = bsn_make()

# look-alikes for hard negatives that must fail their checksums
IBAN_BAD = iban_make("NL", "RABO" + rand_from(string.digits, 10))
IBAN_BAD = IBAN_BAD[:2] + "%02d" % ((int(IBAN_BAD[2:4]) + 11) % 97 or 13) + IBAN_BAD[4:]
CARD_BAD = break_last_digit(luhn_make("4", 16))
BSN_BAD = break_last_digit(bsn_make())

PUBLIC_IBAN = PROFILE["public_identifiers"]["ibans"][0]

# --------------------------------------------------------------------------
# the posts
# --------------------------------------------------------------------------
CASES = []


def add(cats, author, lang, text, kind="post", when=None):
    CASES.append({"cats": sorted(set(cats)), "author": author, "lang": lang,
                  "text": text, "kind": kind, "when": when})


CMP = "reputation.complaint"
CRI = "reputation.crisis"
ABU = "reputation.abuse"
CON = "leak.confidential"
FIN = "leak.financial"
SEC = "leak.security"
SCR = "leak.secret"
PII = "leak.pii"
PRC = "leak.pricing"

# ---------------- benign: praise, questions, sales, hard negatives ----------
add([], "instagram:@wanderlust.jules", "en",
    "What a lovely afternoon on the Grachtenrondvaart 🛶☀️ the skipper had a story for every single canal "
    "house. Highly recommend! #amsterdam #stadsmeeuw")
add([], "x:@tomtravelsNL", "en",
    "Shoutout to the guide on the red MeeuwBus this morning, Dutch humour at its finest. My dad is still "
    "laughing about the bikes-in-the-canal stats 😂")
add([], "reddit:u/canal_rat_88", "en",
    "Quick q: does the MeeuwBus 48-uurs Pass start counting from the first scan or from purchase? Landing "
    "Thursday evening and don't want to waste a day.", kind="comment")
add([], "instagram:@stadsmeeuw.tours", "nl",
    "🍂 Herfstdeal! De MeeuwBus 72-uurs Pass deze week €39,50 i.p.v. €49,50. Alle lijnen, onbeperkt in- en "
    "uitstappen. Link in bio.")
add([], "x:@stadsmeeuw", "nl",
    "Nieuw seizoen, zelfde prijs: de Grachtenrondvaart (60 min) blijft €18,50 voor volwassenen, kinderen "
    "t/m 11 jaar betalen €11,00. Tot aan boord!")
add([], "x:@stadsmeeuw_help", "en",
    "@tomtravelsNL Sorry to hear that! Please send your booking number to boekingen@stadsmeeuw.nl or call "
    "us on +31 20 555 0188 (daily 9-18h) and we'll sort it out.", kind="reply")
add([], "facebook:StadsmeeuwTours", "nl",
    "Groepsreservering gemaakt? Maak het bedrag binnen 14 dagen over naar " + iban_fmt(PUBLIC_IBAN) +
    " t.n.v. Stadsmeeuw Tours B.V. o.v.v. je reserveringsnummer. Vragen: groepen@stadsmeeuw.nl")
add([], "x:@hannekeleest", "nl",
    "Lees net dat een rondvaartrederij in Hamburg een datalek had met 80.000 klantgegevens. Pff. Hoop dat "
    "ze het hier in Amsterdam beter geregeld hebben.")
add([], "tiktok:@mamavanmees", "nl",
    "mijn zoontje (5) vroeg serieus of de MeeuwBus ook kan vliegen omdat er een meeuw op staat 😭🐦 "
    "#kidslogica #amsterdam")
add([], "x:@jorisfietst", "nl",
    "Update: gisteren boos getweet over die dubbele afschrijving, vandaag al het geld terug + excuses van "
    "@stadsmeeuw_help. Zo hoort het 👍")
add([], "x:@stadsmeeuw", "nl",
    "⚠️ Door de storm vaart de Meeuwvaart vandaag (dinsdag) niet. Tickets blijven 6 maanden geldig, of je "
    "krijgt je geld terug via de link in je bevestiging. Blijf lekker binnen!")
add([], "x:@jdekker_it", "nl",
    "Tip voor devs: zet nooit echte keys in je voorbeelden. AWS gebruikt in de eigen docs "
    "AKIAIOSFODNN7EXAMPLE met wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY. Doe dat ook, scheelt een hoop "
    "paniek 😅")
add([], "x:@jdekker_it", "en",
    "PSA from the dev corner: if you paste logs in a ticket, redact tokens like "
    "ghp_************************************ and our pre-commit hook now blocks real ones anyway 🔒")
add([], "x:@lisa_pz", "nl",
    "Waar zit de knop 'wachtwoord vergeten' in de Stadsmeeuw app? Kan 'm nergens vinden, ligt vast aan mij 🙈")
add([], "facebook:obs.de.klimop", "nl",
    "Is " + iban_fmt(IBAN_BAD) + " nog het goede rekeningnummer voor de schoolreis-reservering bij "
    "Stadsmeeuw? Staat zo op ons briefje van vorig jaar.", kind="comment")
add([], "x:@gabi_roams", "en",
    "My confirmation says order ref " + card_fmt(CARD_BAD) + " for the canal tour, is that what I show "
    "the driver or do I need the QR?")
add([], "x:@m_ouwehand", "nl",
    "@stadsmeeuw_help boekingsnummer " + BSN_BAD + " zeg maar, kan ik die bevestigingsmail nog een keer "
    "krijgen? Zit niet in mijn spam.", kind="reply")
add([], "linkedin:stadsmeeuw-tours", "nl",
    "Vandaag publiceerden we onze jaarcijfers 2026: 2,3 miljoen passagiers en een recordzomer op het "
    "water. Dank aan al onze 410 collega's! Het volledige verslag staat op stadsmeeuw.nl/investors",
    when="2027-03-10T08:30:00Z")
add([], "instagram:@stadsmeeuw.tours", "en",
    "She's here ⚡🚤 Meet the E-Kroon, our first fully electric salon boat. Silent, zero emissions and "
    "bookable from today.", when="2027-04-20T10:00:00Z")
add([], "instagram:@schipper.daan", "nl",
    "Eerste seizoen als schipper erop zitten! 1.200 vaarten, 0 brugpijlers geraakt 😅 dank aan iedereen "
    "die bij mij aan boord stapte ⚓")
add([], "threads:@lieke.fotografeert", "nl",
    "Bruin geworden op het open dak van de MeeuwBus lol, krijg je er gratis een zonnebankbeurt bij ☀️")
add([], "tiktok:@dutchdaytrips", "en",
    "this canal tour was KILLER 🔥🔥 the light festival part had me screaming")
add([], "x:@pimvanderhoek", "en",
    "Thought the Stadsmeeuw site was down but my VPN was still set to Japan 🙈 booked just fine")
add([], "x:@coachindustrynews", "en",
    "Big restructuring at a German coach tour operator: 300 jobs gone after a weak season. Tough times "
    "across the sightseeing sector.")
add([], "linkedin:stadsmeeuw-tours", "nl",
    "We zoeken schippers en buschauffeurs voor seizoen 2026! 🚌⚓ Stuur je cv naar vacatures@stadsmeeuw.nl "
    "of kijk op stadsmeeuw.nl/werken")
add([], "linkedin:stadsmeeuw-tours", "nl",
    "Onze jaarcijfers 2025 staan sinds vanochtend online: omzet €38,2 mln en 2,1 miljoen passagiers. Het "
    "persbericht lees je op stadsmeeuw.nl/pers", when="2026-03-05T07:05:00Z")
add([], "instagram:@sophiesees", "en",
    "The evening cruise was ON FIRE tonight 🔥🥂 sunset over the Amstel, good wine, better company")
add([], "facebook:ineke.brouwer.52", "nl",
    "Mijn dochter viel bijna in slaap op de boot, zo rustig was het. Ideaal na een hele dag slenteren door "
    "de stad.", kind="comment")
add([], "tiktok:@gids.emma", "en",
    "Annual first-aid and fire drill done today 🧯 every life vest counted and the whole crew re-certified. "
    "Safety first!")
add([], "x:@globetrottingGreg", "en",
    "Honestly impressed by the safety briefing on the Stadsmeeuw canal boat. Short, clear, and the life "
    "jackets were right under the seats.")
add([], "facebook:sarah.k.lindqvist", "en",
    "Does the 24h Pass cover the canal cruise too or only the bus? Trying to plan one day in Amsterdam "
    "with two kids.", kind="comment")
add([], "x:@opa_gerrit", "nl",
    "Komt Stadsmeeuw ook ooit naar Rotterdam? Zou zo'n bus direct pakken met mijn kleinkinderen 🙏")
add([], "instagram:@foodie_on_tour", "en",
    "Dinner cruise is €89 per person and honestly worth every cent, the cheese course alone 🧀")
add([], "x:@stadsmeeuw", "nl",
    "Black Friday 🖤 De Dinerboot van €89 voor €69, alleen vandaag. Op = op!")
add([], "instagram:@yara.eet", "nl",
    "Pizzaboot voor €44 met de kortingscode uit de nieuwsbrief 🍕 gewoon top avond")
add([], "x:@kapitein_ruud", "nl",
    "De Lichtjesvaart is terug vanaf 28 november! Kaartjes €27,50 en warme chocomel aan boord is "
    "inbegrepen ☕✨")
add([], "x:@ellie_in_ams", "en",
    "Lost my blue scarf on the 14:00 canal cruise from Damrak yesterday, any chance someone at "
    "@stadsmeeuw_help found it? 🧣")
add([], "x:@vera_en_co", "nl",
    "Amsterdam in de stromende regen vanaf het open dak van de MeeuwBus. Kletsnat maar wat een lol met de "
    "meiden 🌧️😂")
add([], "reddit:u/slowtravelsara", "en",
    "The Spanish audio guide glitched for a minute but the guide swapped our headsets straight away. Good "
    "tour overall, 8/10.", kind="comment")
add([], "x:@dutchstocksdaily", "en",
    "Stadsmeeuw's FY2026 results are out this morning, passenger numbers up again. Not bad for a "
    "bus-and-boat company.", when="2027-03-05T09:15:00Z")
add([], "x:@jdekker_it", "nl",
    "Config-voorbeeld voor de nieuwe stagiairs: DB_URL=postgres://<user>:<wachtwoord>@<host>:5432/<db> "
    "en de echte waarden haal je uit de vault, nooit in git 🙏")
add([], "x:@lisa_pz", "nl",
    "Wat is eigenlijk het wifi-wachtwoord op de boot? Vroeg het aan de schipper maar die was druk met "
    "aanleggen haha")
add([], "x:@stadsmeeuw_help", "nl",
    "@lisa_pz Het wifi-wachtwoord hangt bij de trap naar het benedendek en staat ook op je ticket 😊 "
    "Fijne vaart!", kind="reply")
add([], "instagram:@tante.mien", "nl",
    "Leuke gids gehad die zichzelf 'de piraat van de Prinsengracht' noemde 🏴‍☠️ mijn neefjes vonden het "
    "geweldig")
add([], "reddit:u/eurotrip_dan", "en",
    "Did both hop-on hop-off companies in Amsterdam last month. Stadsmeeuw buses were cleaner and came "
    "every 15 min, the other one had better commentary. Either is fine tbh.", kind="comment")
add([], "x:@roos_wandelt", "nl",
    "Vriendin werkt sinds dit jaar als gids bij Stadsmeeuw en ze is er superblij, leuke collega's en een "
    "baas die luistert zegt ze")
add([], "x:@bennie1963", "nl",
    "Mijn oude 06-nummer staat nog in mijn Stadsmeeuw account, waar pas ik dat aan? Zie het niet in de app")
add([], "x:@stadsmeeuw", "nl",
    "Let op: nep-acties op Facebook beloven tickets voor €1. Die komen niet van ons! Boek alleen via "
    "boeken.stadsmeeuw.nl")
add([], "linkedin:stadsmeeuw-tours", "nl",
    "Mijlpaal 🎉 Vandaag verwelkomden we de 1.000.000e passagier van 2026, zoals vanochtend in ons "
    "persbericht aangekondigd. Gefeliciteerd familie Kramer uit Zwolle!")
add([], "x:@maandaghater", "nl",
    "Boycot? Nee joh, ik boycot alleen maandagen 😅 zondag lekker de Avondvaart gedaan met m'n lief")
add([], "x:@stroopwafelsnob", "en",
    "Lawsuit-worthy how good the stroopwafels on that Stadsmeeuw boat are. I need the supplier. Now.")
add([], "x:@stadsmeeuw", "nl",
    "Veiligheid van je account 🔐 In de nieuwste versie van de app kun je tweestapsverificatie aanzetten. "
    "Update via je app store.")
add([], "linkedin:marieke-hoogland-stadsmeeuw", "en",
    "Hectic day on the pier with three cruise ships in town at once, but what lovely passengers. Proud of "
    "this team 💙")
add([], "x:@rolstoelreiziger", "nl",
    "Belde net 020 555 0188 over mijn rolstoelplek, binnen 2 minuten geholpen. Chapeau Stadsmeeuw!")
add([], "tiktok:@nichtjesdag", "en",
    "pov: you're 30, you voluntarily join your niece on the Piratenvaart and secretly enjoy it more than "
    "anyone on board 🏴‍☠️")
add([], "x:@jdekker_it", "en",
    "Reminder for the team: never post passwords, not even as 'wachtwoord: ********' in a screenshot. "
    "Blur the whole field, please.")
add([], "threads:@ams_mike", "en",
    "Feel for the Stadsmeeuw drivers dealing with all the roadworks on the Damrak this month, ours stayed "
    "cheerful anyway ❤️")
add([], "reddit:u/budgetbackpacker", "en",
    "Price check: the 48h Pass is €39.50 on the official site, the resellers near Centraal charge €45. "
    "Book direct, people.", kind="comment")
add([], "facebook:jolanda.vdmeer", "nl",
    "Iemand tips voor Amsterdam met een kinderwagen? Kan die mee in de MeeuwBus of kunnen we beter de tram "
    "nemen?", kind="comment")
add([], "bluesky:@kofi-wanders.bsky.social", "en",
    "n1ce tour, 10/10 would get lost on the canals again 🛶")
add([], "instagram:@stadsmeeuw.tours", "nl",
    "De Rotterdam Havenlijn vaart vanaf vandaag! Elk uur vanaf de Erasmusbrug langs de havens 🚢",
    when="2027-04-22T09:00:00Z")
add([], "x:@stadsmeeuw_help", "nl",
    "@anouk_vd Je betaling met de kaart eindigend op **** 4412 is gelukt, je Familiepas staat in de app 😊",
    kind="reply")

# ---------------- complaints -------------------------------------------------
add([CMP], "x:@mirthe_reist", "nl",
    "Al 40 minuten bij halte Rijksmuseum en nog steeds geen MeeuwBus te zien. Volgens de app 'komt hij "
    "over 3 min' sinds half 2. Zonde van mijn 24-uurs Pass @stadsmeeuw_help")
add([CMP], "x:@harrowgate_pete", "en",
    "Audio guide on the 11am canal boat was completely dead, just static for an hour. Asked for a refund at "
    "the desk and got a shrug. Not great @stadsmeeuw")
add([CMP], "x:@famvdbos", "nl",
    "@stadsmeeuw_help drie mails gestuurd over mijn terugbetaling (geannuleerde Avondvaart 12 aug) en nog "
    "steeds NIKS gehoord. Hoe lang nog??", kind="reply")
add([CMP], "instagram:@chloe.wanders", "en",
    "your app charged me twice for the 48h Pass and the chat bot keeps looping me back to the FAQ. fix "
    "this pls @stadsmeeuw.tours", kind="comment")
add([CMP], "facebook:ria.hogendoorn", "nl",
    "Boot was zo overvol dat we met z'n vieren een uur hebben gestaan. Geen zitplek, geen uitzicht, wel "
    "€18,50 p.p. betaald. Nooit meer Stadsmeeuw.", kind="comment")
add([CMP], "tiktok:@sam.and.the.city", "en",
    "driver just skipped our stop at Westerkerk while 8 of us were literally waving at him 🙃 next bus was "
    "full. thanks stadsmeeuw")
add([CMP], "x:@geurtje_b", "en",
    "toilet on the canal boat was broken and the whole cruise smelled like a sewer. disgusting for what we "
    "paid 🤢 #stadsmeeuw")
add([CMP], "reddit:u/annivtrip2026", "en",
    "Long rant sorry. Booked the Stad & Gracht Combiticket for my parents 60th aniversary. Bus sat in "
    "traffic on the ring road for litteraly 70 minutes, commentary kept playing in German even after we "
    "switched channels, and when we finally got to the boat the departure was 'full' even tho we had "
    "timed tickets. Customer service said 'thats the risk of hop on hop off'. Ugh. Would not recommend "
    "Stadsmeeuw.")
add([CMP], "facebook:wim.en.truus", "nl",
    "Dinerboot gisteren: voorgerecht lauw, hoofdgerecht koud en 45 min wachten op het dessert terwijl de "
    "boot alweer aanlegde. €89 p.p. voor magnetronkwaliteit. Diep teleurgesteld in Stadsmeeuw.",
    kind="comment")
add([CMP], "x:@carers_on_tour", "en",
    "Booked wheelchair-accessible seats on the MeeuwBus 3 weeks ahead. Driver said the ramp was 'broken "
    "today' and drove off. My mum sat at the stop in the cold. Unacceptable @stadsmeeuw_help")
add([CMP], "instagram:@daan_en_fleur", "nl",
    "QR-code uit de mail werd niet gescand bij de bus en de chauffeur liet ons gewoon niet instappen. Half "
    "uur in de wacht bij Stadsmeeuw, tour gemist. Top geregeld 👏👏")
add([CMP], "threads:@oma.annie.reist", "nl",
    "Avondvaart geannuleerd en we kregen er NIKS over te horen, stonden om 21:00 op een lege steiger met "
    "twee oma's van 80+. Zelfs geen sms. Bedankt Stadsmeeuw.")
# complaint that also exposes the writer's own contact data
add([CMP, PII], "x:@nicole_vd_wal", "nl",
    "@stadsmeeuw_help wacht al 9 dagen op mijn geld voor de Dinerboot. Bel me gewoon terug op "
    "06-43218765, ik neem altijd op.", kind="reply")
add([CMP, PII], "x:@kieran_oc", "en",
    "Still no refund from @stadsmeeuw after 3 weeks. My email is k.oconnell.travels@gmail.com, someone "
    "please actually reply instead of the bot.")
# complaint with insults
add([CMP, ABU], "x:@boos_in_bos", "nl",
    "Klotebedrijf. Bus 2x niet gekomen en die arrogante eikel aan de balie lachte ons gewoon uit. Stelletje "
    "oplichters zijn jullie @stadsmeeuw")
add([CMP, ABU], "x:@never_again_ams", "en",
    "Worst tour of my life. Your driver is a f*cking idiot who can't even find his own stops. Refund me, "
    "you useless clowns @stadsmeeuw")
# first-hand safety incidents: crisis + complaint
add([CMP, CRI], "instagram:@laura.travelmum", "en",
    "The heater under our bench on the Stadsmeeuw canal boat started smoking and smelled like burnt "
    "plastic right next to my daughter. We had to move to the back, crew just opened a window and carried "
    "on. Could have been a fire. Explain?")
add([CMP, CRI], "facebook:erik.jonkman.3", "nl",
    "Mijn zoon (7) is bij het instappen door een losliggende plank van de steiger van Stadsmeeuw gezakt. "
    "Open knie, 4 hechtingen op de SEH. Niemand van het personeel heeft zelfs gevraagd hoe het met hem gaat.")
add([CMP, CRI], "x:@gezin_ziek", "nl",
    "Hele gezin voedselvergiftiging na de Dinerboot van zaterdag 🤮 drie dagen ziek. Meer mensen van die "
    "vaart die dit hebben? Ik doe een melding bij de NVWA. @stadsmeeuw")
add([CMP, CRI], "reddit:u/tingling_hand", "en",
    "PSA: got a proper electric shock from the USB charging port on the top deck of a MeeuwBus (red line). "
    "Hand tingled for an hour. Told the driver, he said 'yeah that one does that'. Seriously?")
add([CMP, CRI], "x:@ribben_kapot", "nl",
    "Chauffeur van de MeeuwBus remde keihard bij de Munt, ik vloog tegen de stoel voor me. Blauwe plek op "
    "m'n ribben en m'n nek doet zeer. Geen sorry, niks. Hoe zit het met jullie veiligheid @stadsmeeuw??")

# ---------------- crisis (third party, boycotts, lawsuits, scandal) ----------
add([CRI], "x:@at5_kijker", "nl",
    "Rondvaartboot van Stadsmeeuw tegen de brug in de Leidsegracht gevaren, twee passagiers gewond "
    "afgevoerd volgens AT5. Hoop dat het meevalt 🙏")
add([CRI], "x:@fairwagesams", "en",
    "Stadsmeeuw crews earn less than what the union agreed and work 12h shifts in peak season. Don't give "
    "them your money. #BoycottStadsmeeuw")
add([CRI], "x:@wantrouwig", "nl",
    "Heeft Stadsmeeuw een datalek?? Ik krijg phishingmails met mijn naam, boekingsnummer én de datum van "
    "mijn rondvaart erin. Dat kan alleen uit hun systeem komen.")
add([CRI], "facebook:consumentenclaim.nu", "en",
    "A class action against Stadsmeeuw over hidden 'service fees' on every booking is being prepared. If "
    "you booked with them in 2025 or 2026 you can join, link in the comments.")
add([CRI], "x:@grachtwatcher", "en",
    "Former employee tells a Dutch paper that Stadsmeeuw skippers regularly sail after drinking and that "
    "management knew. If true, that's a proper scandal.")
add([CRI], "tiktok:@damrak_daily", "en",
    "a MeeuwBus literally caught fire on the Damrak this morning 😳 everyone got off in time, fire brigade "
    "is there now, video 👇 #amsterdam")
add([CRI], "x:@amstelbewoner", "nl",
    "Boot van de Meeuwvaart maakt water op de Amstel, passagiers worden overgezet op een andere boot. "
    "Brandweer en waterpolitie ter plaatse.")
add([CRI], "instagram:@schonegrachten", "nl",
    "Niet meer boeken bij Stadsmeeuw!! Op dit filmpje zie je hoe hun personeel olie en diesel gewoon in de "
    "gracht loost. #boycotstadsmeeuw #schonegrachten")
add([CRI], "x:@ams_cityhall_watch", "en",
    "City of Amsterdam is taking Stadsmeeuw to court over mooring at unlicensed spots along the Singel, "
    "hearing set for next month.")
add([CRI, ABU], "x:@spamvrij", "nl",
    "Stadsmeeuw verkoopt jullie gegevens door aan spammers, mijn mail lekte binnen een dag na het boeken. "
    "Stelletje crimineel tuig, walgelijk #datalek")

# ---------------- abuse ------------------------------------------------------
add([ABU], "x:@kortlontje", "nl",
    "@stadsmeeuw wat een stelletje debielen werken daar, echt hersendood allemaal 🤡", kind="reply")
add([ABU], "tiktok:@xx_hatewatch", "en",
    "@gids.emma nobody wants to see your ugly face on their feed, stick to reading the script you dumb cow",
    kind="comment")
add([ABU], "x:@h4terz", "nl",
    "st4dsm33uw = k4nk3rb3dr1jf, ze kunnen allemaal de t y f u s krijgen")
add([ABU], "reddit:u/grumpyexpat", "en",
    "Stadsmeeuw staff are lazy scum, every single one of them. Absolute parasites on this city.",
    kind="comment")
add([ABU], "facebook:henk.stoop.71", "nl",
    "Zag weer zo'n chauffeur met een hoofddoek op de MeeuwBus. Die horen hier niet, stuur ze maar terug "
    "naar hun eigen land.", kind="comment")
add([ABU], "x:@angrytourist", "en",
    "ｆｕｃｋ ｓｔａｄｓｍｅｅｕｗ，ｂｕｎｃｈ ｏｆ ｃｌｏｗｎｓ")
add([ABU], "x:@lotte_mb", "nl",
    "Weer zo'n achterlijke toerist die 3x vraagt of dit de bus naar het Vondelpark is terwijl het op de "
    "zijkant staat. Stomme trut, leer lezen.")
add([ABU], "x:@stadsmeeuw", "en",
    "@travelgrumpy maybe learn to read a timetable before whining, genius. Idiots like you are why our "
    "drivers need therapy.", kind="reply")
add([ABU], "instagram:@noor.en.zus", "nl",
    "Schipper Daan is echt een vieze lul, bleef de hele vaart naar m'n vriendin staren. Ga je schamen "
    "@schipper.daan", kind="comment")

# ---------------- confidential -----------------------------------------------
add([CON], "x:@kapitein_ruud", "nl",
    "Mag er nog niks over zeggen maar Project Aalscholver gaat ons bedrijf flink groter maken 🚤📈 stay "
    "tuned!")
add([CON], "linkedin:youssef-bakkali", "en",
    "Great progress this sprint on fleet scheduling 🚌 Full board for the team here: "
    "https://jira.stadsmeeuw.nl/browse/VLOOT-212 amazing work everyone!")
add([CON], "tiktok:@meeuwbus", "nl",
    "Sneak peek 👀 de E-Kroon komt eraan: elektrisch, fluisterstil, houten salon. Wie wil er mee op de "
    "eerste vaart?", when="2026-09-18T16:20:00Z")
add([CON], "facebook:StadsmeeuwTours", "nl",
    "Spoiler 🤫 Volgend voorjaar starten we de Rotterdam Havenlijn: rondvaarten langs de Maas en de "
    "havens. Wie gaat er mee?", when="2026-11-03T12:00:00Z")
add([CON], "x:@lotte_mb", "nl",
    "Nieuwe winterdienstregeling binnen 🙄 'STADSMEEUW INTERN' staat er met koeieletters boven, maar lijn "
    "blauw rijdt vanaf december nog maar 1x per uur. Succes allemaal.")
add([CON], "x:@wietse_weet_het", "nl",
    "Maatje van me werkt bij Stadsmeeuw: Operatie Sluiswachter = overal ticketpoortjes bij de steigers, "
    "dan kun je niet meer bij de schipper betalen. Vanaf zomer 2027.")
add([CON], "linkedin:marieke-hoogland-stadsmeeuw", "en",
    "Sharing the cover of our new crew handbook with pride! It's marked 'internal only - stadsmeeuw' but "
    "the design is too pretty not to show 😄")
add([CON], "mastodon:@bramvos", "en",
    "Anyone else having trouble with intranet.stadsmeeuw.local/rooster? My shifts for next week have "
    "vanished")
add([CON], "x:@kapitein_ruud", "nl",
    "Project Aal\u200bscholver: weer tot middernacht in de war room gezeten. Bijna bijna 🤞")
add([CON], "bluesky:@noor-planning.bsky.social", "nl",
    "Werkgroep H\u0430rb\u043eurlight weer tot 8 uur 's avonds vergaderd, maar het plan voor de nieuwe "
    "vloot staat. Trots!")
add([CON], "tiktok:@gids.emma", "nl",
    "binnenkort iets groots 🤭 O p e r a t i e  S l u i s w a c h t e r ... meer mag ik niet zeggen "
    "#stadsmeeuw")
add([CON, FIN], "linkedin:marieke-hoogland-stadsmeeuw", "nl",
    "Onder ons: Project Aalscholver is de overname van een rederij in Utrecht. Due diligence is rond, we "
    "tekenen waarschijnlijk in oktober.")
add([CON, FIN], "linkedin:stadsmeeuw-tours", "nl",
    "[CONCEPT] Stadsmeeuw presenteert jaarcijfers 2026: omzet stijgt 14% naar €43,5 mln, nettowinst "
    "€4,1 mln. Quote CEO volgt.", when="2027-02-20T14:45:00Z")
add([CON], "x:@jdekker_it", "nl",
    "git.stadsmeeuw.local is weer eens traag als een slak vandaag, builds van 40 minuten 🐌")
add([CON], "x:@kapitein_ruud", "en",
    "Can't say much (NDA 🤐) but the unreleased night boat with the glass roof we tested last week is "
    "unreal. Launching next spring, you heard it here first.")
add([CON], "reddit:u/leakhunter_nl", "en",
    "Someone in a Discord posted a Stadsmeeuw slide marked 'niet doorsturen - vertrouwelijk'. It's the "
    "Harbourlight roadmap: electric fleet by 2028, diesel boats sold off.", kind="comment")
add([CON], "instagram:@schipper.daan", "nl",
    "Proefvaart met de E-Kroon vandaag op het IJ 🔋 je hoort alleen de meeuwen. Nog even geheimhouden "
    "jongens 🤫", when="2026-10-07T15:10:00Z")
add([CON], "linkedin:stadsmeeuw-tours", "nl",
    "Welkom aan alle 35 nieuwe collega's die vandaag begonnen! 🎉 Je onboarding-info vind je op "
    "rooster.stadsmeeuw.nl/nieuw en tot morgen op de steiger.")

# ---------------- financial --------------------------------------------------
add([FIN], "x:@lotte_mb", "nl",
    "Net in het werkoverleg gehoord: volgend jaar gaan er zo'n 40 chauffeursplekken weg, 'reorganisatie' "
    "noemen ze het. Fijne kerst ook.")
add([FIN], "linkedin:youssef-bakkali", "en",
    "Not public yet, but Q3 revenue came in 18% below forecast. Board meeting tomorrow is going to be fun 😬")
add([FIN], "mastodon:@bramvos", "en",
    "It's done: we're being acquired by a German investment fund. Signing next month, staff only get told "
    "after that 🤐")
add([FIN], "x:@beursfluisteraar", "nl",
    "Insider tip 💰 Stadsmeeuw neemt binnenkort een concurrerende rederij op het Rokin over. Heb het van "
    "iemand uit hun directie. Koop die obligaties nu nog.")
add([FIN], "x:@jdekker_it", "nl",
    "Prognose 2027 net binnen: 2,6 mln passagiers en een EBITDA van €9 mln. Nog niet extern bekend hoor, "
    "maar wat een jaar wordt dat 🚀")
add([FIN], "facebook:StadsmeeuwTours", "nl",
    "Concept persbericht 📝 Stadsmeeuw sluit per 1 maart de vestiging in Utrecht. Ongeveer 25 banen "
    "vervallen, medewerkers worden begeleid naar ander werk.")
add([FIN], "linkedin:youssef-bakkali", "en",
    "Heads up friends: ops and sales get merged next month and the office loses roughly a third of its "
    "roles. Polishing my CV just in case.")
add([FIN], "threads:@sven_ruiter", "nl",
    "Omzet zomer 11,4 mln, ruim 2 mln onder budget hoorden we vandaag. Dat wordt een pittige "
    "aandeelhoudersvergadering 😬")
add([FIN], "x:@nosy_nephew", "en",
    "My cousin works in finance at Stadsmeeuw and says they'll breach their bank covenants by December. "
    "Not public yet, but wow.")
add([FIN], "threads:@sven_ruiter", "nl",
    "Onder ons: de bank wil een herfinanciering vóór 1 januari, anders wordt het spannend voor de hele "
    "tent. Shhh 🤫")

# ---------------- security ---------------------------------------------------
add([SEC], "x:@lotte_mb", "nl",
    "Ticketsysteem ligt er al sinds 7 uur uit, we schrijven kaartjes met de hand 😩 op de site staat nog "
    "niks dus klanten snappen er niks van")
add([SEC], "mastodon:@bramvos", "en",
    "Fun fact: our booking API still lets you view anyone's order by bumping the order id in the URL. "
    "Reported it in March. Still open. 🙃")
add([SEC], "threads:@sven_ruiter", "nl",
    "We zijn vannacht gehackt. Ransomware op de planningsservers, alles staat op zwart. Niks tegen de pers "
    "zeggen is de opdracht.")
add([SEC], "x:@jdekker_it", "nl",
    "Phishingmail naar het hele kantoor gisteren, drie collega's hebben hun login ingevuld. We resetten nu "
    "alles, hopelijk is er niks buitgemaakt")
add([SEC], "linkedin:youssef-bakkali", "en",
    "GPS trackers on the entire bus fleet have been offline since 6am. Dispatch is flying blind, so if "
    "your bus is 'invisible' in the app, that's why 🤷")
add([SEC, SCR], "forum:ex_meeuw_2019", "nl",
    "Ex-medewerker hier. Het beheerportaal van Stadsmeeuw draait nog steeds met admin / Meeuw!2019 als "
    "login, niemand heeft dat ooit veranderd. Succes ermee.")
add([SEC], "instagram:@schipper.daan", "en",
    "Card terminals on board have been down for two days, cash only. Vendor outage, but we're not allowed "
    "to put it on the website 🙄")
add([SEC], "bluesky:@noor-planning.bsky.social", "en",
    "Found an S3 bucket this morning with every passenger manifest of 2026 in it, publicly readable. "
    "Flagged it, nobody has closed it yet. Cool cool cool.")
add([SEC], "x:@stadsmeeuw", "nl",
    "Intern: gisteren is een datalek in de klantendatabase vastgesteld. Externe communicatie volgt pas na "
    "overleg met de AP. Niet reageren op vragen.")
add([SEC], "mastodon:@bramvos", "nl",
    "DDoS op boeken.stadsmeeuw.nl sinds middernacht, checkout komt er nauwelijks doorheen. Statuspagina "
    "zegt nog 'alles operationeel' lol")
add([SEC], "x:@jdekker_it", "en",
    "There's a log4j-style hole in the POS system on our boats. Vendor says patch in two weeks. Until "
    "then 🤐")
add([SEC], "tiktok:@gids.emma", "en",
    "buses running today with no announcements and no cameras because the whole network's been down since "
    "that 'update' 😬 don't tell anyone")
add([SEC, SCR], "threads:@sven_ruiter", "nl",
    "VPN van kantoor staat gewoon open voor iedereen met het oude gedeelde account, wachtwoord is nog "
    "steeds Grachtje2024! 🤦")

# ---------------- secrets ----------------------------------------------------
add([SCR], "x:@jdekker_it", "nl",
    "Kan iemand checken waarom deze token een 401 geeft op de deploy? " + GH1 + " heb 'm net aangemaakt")
add([SCR], "mastodon:@bramvos", "en",
    "why does boto keep saying invalid signature?? aws_access_key_id = " + AKIA +
    " aws_secret_access_key = " + AWS_SECRET)
add([SCR], "threads:@sven_ruiter", "nl",
    "Mollie-koppeling voor de kassa aan boord werkt weer 🎉 key voor de zekerheid hier: " + MOLLIE)
add([SCR], "bluesky:@noor-planning.bsky.social", "en",
    "our planning bot died again, here's the token if someone wants to restart it: " + SLACK)
add([SCR], "x:@jdekker_it", "en",
    "testing the new chatbot for @stadsmeeuw_help 🤖 OPENAI_API_KEY=" + OPENAI +
    " if anyone wants to try from their laptop")
add([SCR], "mastodon:@bramvos", "nl",
    "deploy key voor de boot-tablets, zet 'm even in je ~/.ssh:\n" + PEM)
add([SCR], "linkedin:youssef-bakkali", "en",
    "Debugging the dispatch app with the vendor, here's the session header from the log: "
    "Authorization: Bearer " + JWT)
add([SCR], "x:@jdekker_it", "nl",
    "Wie heeft de staging DB geleegd?? DATABASE_URL=postgresql://sm_app:" + DBPW +
    "@10.20.4.17:5432/boekingen klopt gewoon, check het zelf")
add([SCR], "x:@appsec_anna", "nl",
    "Hé @stadsmeeuw, jullie app bundelt gewoon een live Stripe key in de JavaScript: " + STRIPE +
    " Even fixen?")
add([SCR], "x:@stadsmeeuw_help", "nl",
    "@groepsreis_nijmegen Jullie account voor het groepsportaal staat klaar. Gebruikersnaam: "
    "obs_nijmegen_zuid, wachtwoord: Vaart#4471pk", kind="reply")
add([SCR], "bluesky:@noor-planning.bsky.social", "en",
    "maps in the planner won't load anymore, can someone check this key in the console? " + GOOGLE)

# ---------------- personal data ----------------------------------------------
add([PII], "x:@lotte_mb", "nl",
    "Mevrouw die vanochtend haar tas liet liggen blijft bellen en mailen 😅 m.verhoef1978@gmail.com / "
    "06 2345 7890, kan iemand van kantoor haar terugbellen?")
add([PII], "x:@stadsmeeuw_help", "nl",
    "@peterdejong_ Beste Peter, je restitutie van €78,00 is vandaag overgemaakt naar " + iban_fmt(IBAN_P2) +
    " t.n.v. P. de Jong. Binnen 2 werkdagen op je rekening!", kind="reply")
add([PII], "instagram:@schipper.daan", "en",
    "Found on board: passport of Sanne de Wit, born 12-03-1991 😬 Sanne, come pick it up at our pier on "
    "the Damrak!")
add([PII], "threads:@sven_ruiter", "nl",
    "Salarisadministratie is weer een feestje. Kees, je BSN " + BSN_P4 + " klopt niet in het systeem, "
    "kom je even langs?")
add([PII], "x:@henrik_travels", "en",
    "@stadsmeeuw_help can I pay at the pier instead? booking for my parents, card is " + card_fmt(CARD_P5) +
    " exp 09/28 if you need it to hold the seats", kind="reply")
add([PII], "facebook:StadsmeeuwTours", "nl",
    "Gevonden in de MeeuwBus lijn rood: portemonnee van J. Bakker, Kerkstraat 112-3, 1017 GL Amsterdam. "
    "Ophalen kan bij ons kantoor op het Damrak.")
add([PII], "linkedin:youssef-bakkali", "en",
    "Welcome Mo, our new night-tour driver! If your bus is late tonight just call him directly at "
    "+31 6 1287 4409 😄")
add([PII], "x:@jaarkaart_jan", "nl",
    "Waarom vraagt jullie app om mijn BSN bij het aanvragen van een Jaarkaart?? Heb het ingevuld hoor, " +
    BSN_P8 + ", maar vind het raar @stadsmeeuw_help")
add([PII], "bluesky:@noor-planning.bsky.social", "en",
    "Passenger list for tomorrow's private Salonboot, can someone print it? Anna Visser, 06-51239876, "
    "anna.visser@ziggo.nl, party of 12")
add([PII], "x:@stadsmeeuw_help", "en",
    "@jmartin_travels Refund to card " + card_fmt(CARD_P10, "-") + " processed today, amount €99.00. "
    "Sorry again for the cancelled tour!", kind="reply")
add([PII], "facebook:rmeijer.haarlem", "nl",
    "Voor de restitutie van de Piratenvaart, hier mijn IBAN: " + IBAN_P11 + " t.n.v. R. Meijer. Graag vóór "
    "de vakantie 🙏", kind="comment")
add([PII], "x:@kapitein_ruud", "nl",
    "Wie de blauwe rugzak kwijt is: eigenaar heet Tim de Groot, t.de.groot (at) hotmail (dot) com, tel "
    "0031 6 4417 2290. Ik probeer hem te bereiken!")
add([PII], "linkedin:marieke-hoogland-stadsmeeuw", "nl",
    "Fenna Smit (geb. 4 juli 1989) viert zaterdag haar 10-jarig jubileum bij ons 🎉 Kaartjes graag naar "
    "haar thuisadres: Prinsengracht 301-2, 1016 HW Amsterdam!")

# ---------------- pricing ----------------------------------------------------
add([PRC], "x:@stadsmeeuw", "nl",
    "🔥 Flash sale! De MeeuwBus 72-uurs Pass vandaag voor €9,50 🔥 Alleen via de app.")
add([PRC], "x:@lotte_mb", "nl",
    "Haha prijsfout op de site: Dinerboot voor €8,90 😂 snel boeken voordat marketing het ziet")
add([PRC], "instagram:@jesse.wordt.30", "en",
    "The Privé Salonboot for 2 hours at €95 on your site?? Mistake or can I just book it for my birthday 👀 "
    "@stadsmeeuw.tours", kind="comment")
add([PRC], "x:@dealhunter_eu", "en",
    "price glitch on stadsmeeuw: the Familiepas shows €19 instead of €99 😂 booked three")
add([PRC], "instagram:@stadsmeeuw.tours", "nl",
    "Jaarkaart nu voor maar €49! Onbeperkt bus en boot, een heel jaar lang 🐦")
add([PRC], "linkedin:marieke-hoogland-stadsmeeuw", "en",
    "Someone forgot a digit 🙈 the Brunchvaart is listed at €5.90 in the app right now. On it!")
add([PRC], "x:@twijfelkont", "nl",
    "Combiticket voor €12 in de app, klopt dat? 🤔 vorige week was het nog €54 @stadsmeeuw")
add([PRC], "threads:@wijnliefhebber_", "nl",
    "prijsfout bij stadsmeeuw?! Avondvaart met wijn kost 4,20 in de webshop 🍷🍷")
add([PRC], "tiktok:@gids.emma", "nl",
    "Groepsrondvaart voor €120 vandaag only!! deel dit met je klas/club/vereniging 🚤")
add([PRC], "x:@stadsmeeuw_help", "nl",
    "@ellenreist Klopt! De Molentour Zaanse Schans kost vandaag €15 p.p. 🌷", kind="reply")
add([PRC], "tiktok:@lichtjesliefde", "en",
    "Lichtjesvaart tickets for 2 euros?! probably a mistake but I grabbed 6 🤭")
add([PRC], "reddit:u/cheapskate_chris", "en",
    "Got the Night Tour for €6 through the partner site, is that a mistake or are they dumping tickets?",
    kind="comment")


# --------------------------------------------------------------------------
# build the JSONL
# --------------------------------------------------------------------------
ROLE = {}
for role in ("corporate", "employee"):
    for a in PROFILE["accounts"][role]:
        ROLE[a.lower()] = role


def role_of(author):
    return ROLE.get(author.lower(), "public")


# checksum scanners (loose on purpose: they look for anything that could pass)
RE_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}(?![A-Za-z0-9])")
RE_CARD = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
RE_BSN = re.compile(r"(?<!\d)\d{9}(?!\d)")


def norm(s):
    return re.sub(r"\s", "", s).upper()


PUBLIC_IBANS = {norm(x) for x in PROFILE["public_identifiers"]["ibans"]}


def valid_ids(text):
    """Return checksum-valid IBANs, cards and BSNs found in text (not the company's own)."""
    found = []
    for m in RE_IBAN.finditer(text):
        cand = norm(m.group(0))
        # allow trailing text glued by the loose regex: try every length
        for L in range(len(cand), 14, -1):
            if iban_ok(cand[:L]) and cand[:L] not in PUBLIC_IBANS:
                found.append(("iban", cand[:L]))
                break
    for m in RE_CARD.finditer(text):
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19 and luhn_ok(d):
            found.append(("card", d))
    for m in RE_BSN.finditer(text):
        if bsn_ok(m.group(0)):
            found.append(("bsn", m.group(0)))
    return found


ORDER = ["none", "info", "warning", "error", "critical"]


def severity(cats, role, checked_id):
    sev = "none"
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                v = "error"
                if c in ("leak.secret", "leak.pricing"):
                    v = "critical"
                if c == "leak.pii" and checked_id:
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
            raise AssertionError(c)
        if ORDER.index(v) > ORDER.index(sev):
            sev = v
    return sev


def rand_time():
    start = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
    secs = rng.randint(0, 362 * 86400)
    t = start + dt.timedelta(seconds=secs)
    # keep posting hours plausible (07-23h)
    t = t.replace(hour=rng.randint(7, 22))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


order = list(range(len(CASES)))
rng.shuffle(order)
lines = []
for n, i in enumerate(order, 1):
    c = CASES[i]
    platform, handle = c["author"].split(":", 1)
    role = role_of(c["author"])
    ids = valid_ids(c["text"])
    checked = bool(ids) and "leak.pii" in c["cats"]
    post = {
        "id": "%s-393%04d" % (platform, n),
        "platform": platform,
        "kind": c["kind"],
        "account": {"handle": handle},
        "text": c["text"],
        "lang": c["lang"],
        "created_at": c["when"] or rand_time(),
    }
    if c["author"].lower() not in ("x:@coachindustrynews", "x:@hannekeleest"):
        post["brand"] = "stadsmeeuw"
    if platform == "x":
        post["url"] = "https://x.com/%s/status/%d" % (handle.lstrip("@"), 1900000000000000000 + n * 7919)
    case = {"post": post, "expect": {"categories": c["cats"], "severity": severity(c["cats"], role, checked)}}
    case["_role"] = role  # stripped before writing
    lines.append(case)

with open(OUT, "w", encoding="utf-8") as f:
    for case in lines:
        case.pop("_role")
        f.write(json.dumps(case, ensure_ascii=False) + "\n")


# --------------------------------------------------------------------------
# self-checks on the written file
# --------------------------------------------------------------------------
errors = []


def err(cid, msg):
    errors.append("%s: %s" % (cid, msg))


PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
CATS = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial", "leak.security",
        "reputation.crisis", "reputation.complaint", "reputation.abuse"}
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")

internal = PROFILE["internal"]
conf_terms = [t.lower() for t in internal["domains"] + internal["codenames"] + internal["markers"]]
embargo = [(t.lower(), dt.datetime.fromisoformat(e["until"].replace("Z", "+00:00")))
           for e in PROFILE["embargo"] for t in e["terms"]]
pub_emails = {e.lower() for e in PROFILE["public_identifiers"]["emails"]}


def phone_digits(s):
    d = re.sub(r"\D", "", s)
    if d.startswith("0031"):
        d = "0" + d[4:]
    elif d.startswith("31") and s.strip().startswith("+"):
        d = "0" + d[2:]
    return d


pub_phones = {phone_digits(p) for p in PROFILE["public_identifiers"]["phones"]}
RE_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+\.[A-Za-z0-9.-]*[A-Za-z]")
RE_PHONE = re.compile(r"(?<![\w+])(?<!\w )(?<!\w-)(?:\+31|0031|0)[ -]?\(?\d{1,3}\)?(?:[ -]?\d){6,8}(?!\d)")
RE_PRICE = re.compile(r"€\s?(\d+(?:[.,]\d{1,2})?)(?!\s?mln)|(\d+(?:[.,]\d{1,2})?)\s?(?:euros?|EUR)\b")
products = [(p["list_price"], [p["name"]] + p["aliases"]) for p in PROFILE["products"]]
ratio = PROFILE["pricing"]["alert_below_ratio"]


def prices(text):
    out = []
    for m in RE_PRICE.finditer(text):
        v = m.group(1) or m.group(2)
        out.append(float(v.replace(",", ".")))
    return out


def mentioned_lists(text):
    low = text.lower()
    return [lp for lp, names in products if any(n.lower() in low for n in names)]


with open(OUT, encoding="utf-8") as f:
    raw = f.read().splitlines()

seen = set()
stats = {"benign": 0, "nl": 0}
catcount = {c: 0 for c in sorted(CATS)}
roles_by_cat = {}
for ln, line in enumerate(raw, 1):
    try:
        case = json.loads(line)
    except ValueError as e:
        err(ln, "bad json %s" % e)
        continue
    if set(case) != {"post", "expect"}:
        err(ln, "top-level keys")
    p, e = case["post"], case["expect"]
    cid = p.get("id")
    if not isinstance(cid, str) or not 1 <= len(cid) <= 256:
        err(ln, "id")
    if (p.get("platform"), cid) in seen:
        err(cid, "duplicate id")
    seen.add((p.get("platform"), cid))
    if p.get("platform") not in PLATFORMS:
        err(cid, "platform")
    if p.get("kind", "post") not in KINDS:
        err(cid, "kind")
    if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str):
        err(cid, "account.handle")
    text = p.get("text")
    if not isinstance(text, str) or len(text.encode("utf-8")) > 65536 or not text:
        err(cid, "text")
    if not isinstance(p.get("created_at"), str) or not RFC3339.match(p["created_at"]):
        err(cid, "created_at")
    created = dt.datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
    if not (2026 <= created.year <= 2027) or (created.year == 2027 and created.month > 6):
        err(cid, "created_at out of range")
    cats = e.get("categories")
    if not isinstance(cats, list) or not set(cats) <= CATS or cats != sorted(set(cats)):
        err(cid, "categories")
    if e.get("severity") not in ORDER:
        err(cid, "severity value")
    author = "%s:%s" % (p["platform"], p["account"]["handle"])
    role = role_of(author)
    ids = valid_ids(text)
    want = severity(cats, role, bool(ids) and "leak.pii" in cats)
    if e["severity"] != want:
        err(cid, "severity %s != computed %s" % (e["severity"], want))
    if not cats:
        stats["benign"] += 1
        if e["severity"] != "none":
            err(cid, "benign must be none")
    if p.get("lang") == "nl":
        stats["nl"] += 1
    for c in cats:
        catcount[c] += 1
        roles_by_cat.setdefault(c, {}).setdefault(role, 0)
        roles_by_cat[c][role] += 1

    # checksum rules: valid identifiers only in pii positives
    if ids and "leak.pii" not in cats:
        err(cid, "checksum-valid identifier in a post without leak.pii: %r" % ids)
    # every IBAN/card/BSN-like number outside pii positives must fail
    low = text.lower()

    # internal names / markers / embargo terms only in confidential posts
    hits = [t for t in conf_terms if t in low]
    emb = [t for t, until in embargo if t in low and created < until]
    if (hits or emb) and "leak.confidential" not in cats:
        err(cid, "internal term without leak.confidential: %r %r" % (hits, emb))
    # e-mail and phone: only the company's own outside pii posts
    if "leak.pii" not in cats:
        for m in RE_EMAIL.finditer(text):
            if m.group(0).lower() not in pub_emails:
                err(cid, "foreign e-mail in non-pii post: %s" % m.group(0))
        for m in RE_PHONE.finditer(text):
            if phone_digits(m.group(0)) not in pub_phones:
                err(cid, "foreign phone in non-pii post: %s" % m.group(0))
    # prices: below-ratio price next to a product only in pricing posts
    lists = mentioned_lists(text)
    pr = prices(text)
    low_price = bool(lists) and any(v < ratio * min(lists) for v in pr)
    error_talk = re.search(r"prijsfout|price glitch|price error|mistake|foutje|forgot a digit", low)
    if "leak.pricing" in cats:
        if not lists:
            err(cid, "pricing post names no catalogue product")
        if not low_price and not error_talk:
            err(cid, "pricing post has no below-list price or price-error talk")
        if not low_price and lists:
            # a stated price must still be far below list if one is given
            pass
    elif low_price:
        err(cid, "below-list price without leak.pricing: %r %r" % (lists, pr))
    # real-looking credentials only in secret posts
    if "leak.secret" not in cats:
        for m in re.finditer(r"gh[pousr]_[0-9A-Za-z]{36}", text):
            if github_ok(m.group(0)):
                err(cid, "valid GitHub token in non-secret post")
        for m in re.finditer(r"AKIA[A-Z2-7]{16}", text):
            if "EXAMPLE" not in m.group(0):
                err(cid, "AWS key id in non-secret post")
        if re.search(r"sk_live_[0-9A-Za-z]{16,}|live_[0-9A-Za-z]{30}|xox[bap]-\d|BEGIN [A-Z ]*PRIVATE KEY", text):
            err(cid, "credential in non-secret post")
    # public authors must not be in the profile, and profile authors keep their role
    if role == "public" and author.lower() in ROLE:
        err(cid, "public author in profile")

# generated credentials are well formed
if not github_ok(GH1):
    errors.append("GitHub token CRC")
if not re.fullmatch(r"AKIA[A-Z2-7]{16}", AKIA):
    errors.append("AWS key id format")
hdr = JWT.split(".")[0]
if "alg" not in json.loads(base64.urlsafe_b64decode(hdr + "=" * (-len(hdr) % 4))):
    errors.append("JWT header without alg")
if len(JWT.split(".")) != 3:
    errors.append("JWT parts")
# every identifier planted in a pii positive passes, every look-alike fails
for name, v, fn in [("IBAN_P2", IBAN_P2, iban_ok), ("IBAN_P11", IBAN_P11, iban_ok), ("CARD_P5", CARD_P5, luhn_ok),
                    ("CARD_P10", CARD_P10, luhn_ok), ("BSN_P4", BSN_P4, bsn_ok), ("BSN_P8", BSN_P8, bsn_ok),
                    ("PUBLIC_IBAN", PUBLIC_IBAN, iban_ok)]:
    if not fn(v):
        errors.append("%s fails its checksum" % name)
for name, v, fn in [("IBAN_BAD", IBAN_BAD, iban_ok), ("CARD_BAD", CARD_BAD, luhn_ok), ("BSN_BAD", BSN_BAD, bsn_ok)]:
    if fn(v):
        errors.append("%s passes its checksum" % name)
# the pii positives that carry an IBAN/card/BSN really contain a valid one
for v in (IBAN_P2, IBAN_P11, CARD_P5, CARD_P10, BSN_P4, BSN_P8):
    hit = [json.loads(l) for l in raw if v in re.sub(r"[\s-]", "", json.loads(l)["post"]["text"])]
    if len(hit) != 1 or "leak.pii" not in hit[0]["expect"]["categories"]:
        errors.append("planted identifier %s not in exactly one pii post" % v[-4:])

# the mix
total = len(raw)
if not 170 <= total <= 180:
    errors.append("case count %d" % total)
if not 55 <= stats["benign"] <= 65:
    errors.append("benign count %d" % stats["benign"])
share_nl = stats["nl"] / total
if not 0.50 <= share_nl <= 0.62:
    errors.append("Dutch share %.2f" % share_nl)
expect_mix = {"reputation.complaint": (18, 24), "leak.confidential": (16, 20), "leak.pii": (13, 17),
              "reputation.crisis": (13, 17), "leak.security": (11, 15), "leak.secret": (10, 14),
              "reputation.abuse": (10, 14), "leak.pricing": (10, 14), "leak.financial": (10, 14)}
for c, (lo, hi) in expect_mix.items():
    if not lo <= catcount[c] <= hi:
        errors.append("count %s = %d" % (c, catcount[c]))

print("cases: %d, benign: %d, Dutch share: %.2f" % (total, stats["benign"], share_nl))
for c in sorted(catcount):
    print("  %-22s %3d  %s" % (c, catcount[c], roles_by_cat.get(c, {})))
if errors:
    print("SELF-CHECK FAILED:")
    for x in errors:
        print("  " + x)
    sys.exit(1)
print("self-check OK")
