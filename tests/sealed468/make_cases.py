#!/usr/bin/env python3
"""Build cases.jsonl for evaluation set sealed468 (Tomarijn Glastuinbouw B.V.).

Deterministic: fixed seed, standard library plus PyYAML. Post texts are hand-written;
identifiers and credentials are generated the way real ones are built (with checksums).
Severities are computed from CONTRACT section 4 and the account role in profile.yaml.
Run:  python3 make_cases.py   (writes cases.jsonl beside itself and self-checks it)
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
RNG = random.Random(468)

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base62 order
B64URL = string.ascii_letters + string.digits + "-_"


# ---------------------------------------------------------------- identifiers
def iban_check_ok(iban):
    s = re.sub(r"\s", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(bank=None):
    bank = bank or RNG.choice(["ABNA", "INGB", "RABO", "TRIO", "SNSB", "ASNB", "KNAB"])
    acct = "".join(RNG.choice(string.digits) for _ in range(10))
    bban = bank + acct
    n = int("".join(str(int(c, 36)) for c in bban + "NL00"))
    iban = "NL%02d%s" % (98 - n % 97, bban)
    assert iban_check_ok(iban)
    return iban


def spaced(s, n=4):
    return " ".join(s[i:i + n] for i in range(0, len(s), n))


def bad_iban():
    good = make_iban()
    while True:
        pos = RNG.randrange(8, len(good))
        d = RNG.choice([c for c in string.digits if c != good[pos]])
        cand = good[:pos] + d + good[pos + 1:]
        if not iban_check_ok(cand):
            return cand


def luhn_ok(num):
    digits = [int(c) for c in re.sub(r"\D", "", num)]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def make_card(prefix="4"):
    body = prefix + "".join(RNG.choice(string.digits) for _ in range(15 - len(prefix)))
    for c in string.digits:
        if luhn_ok(body + c):
            return body + c
    raise AssertionError


def bad_card(prefix="4"):
    good = make_card(prefix)
    last = str((int(good[-1]) + RNG.randint(1, 9)) % 10)
    cand = good[:-1] + last
    assert not luhn_ok(cand)
    return cand


def bsn_ok(num):
    s = re.sub(r"\D", "", num)
    if len(s) != 9:
        return False
    w = [9, 8, 7, 6, 5, 4, 3, 2, -1]
    return sum(int(c) * k for c, k in zip(s, w)) % 11 == 0 and s != "000000000"


def make_bsn():
    while True:
        head = str(RNG.randint(1, 9)) + "".join(RNG.choice(string.digits) for _ in range(7))
        for c in string.digits:
            if bsn_ok(head + c):
                return head + c


def bad_bsn():
    good = make_bsn()
    cand = good[:-1] + str((int(good[-1]) + RNG.randint(1, 9)) % 10)
    assert not bsn_ok(cand)
    return cand


# ---------------------------------------------------------------- credentials
def rand(alphabet, n):
    return "".join(RNG.choice(alphabet) for _ in range(n))


def b62(n, width=6):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out.rjust(width, "0")


def gh_token_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()) & 0xFFFFFFFF) == m.group(2)


def github_token(prefix="ghp_"):
    body = rand(ALNUM, 30)
    tok = prefix + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF)
    assert gh_token_ok(tok)
    return tok


def aws_key_id():
    return "AKIA" + rand(string.ascii_uppercase + "234567", 16)


def aws_secret():
    return rand(string.ascii_letters + string.digits + "/+", 40)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt():
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = b64url(json.dumps({"sub": str(RNG.randint(100000, 999999)), "name": "loyalty-app",
                                 "iat": 1767225600 + RNG.randint(0, 3000000),
                                 "exp": 1767225900 + RNG.randint(3000000, 3100000)},
                                separators=(",", ":")).encode())
    sig = b64url(bytes(RNG.getrandbits(8) for _ in range(32)))
    return "%s.%s.%s" % (header, payload, sig)


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    try:
        h = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except Exception:
        return False
    return isinstance(h, dict) and "alg" in h


def rsa_private_key():
    raw = bytes.fromhex("308204a40201000282010100") + bytes(RNG.getrandbits(8) for _ in range(1180))
    body = base64.b64encode(raw).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)][:8]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n...\n-----END RSA PRIVATE KEY-----"


def human_password():
    words = ["Tros", "Kasje", "Rijpe", "Zonnig", "Bijen", "Westland", "Paprika", "Oogst"]
    return RNG.choice(words) + RNG.choice(words).lower() + str(RNG.randint(10, 99)) + RNG.choice("!#$%&*?")


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if 0x21 <= ord(c) <= 0x7E else c for c in s)


ZW = "\u200b"

# ---------------------------------------------------------------- generated values
PUB_IBAN = PROFILE["public_identifiers"]["ibans"][0]
GH1 = github_token("ghp_")
AWS_ID, AWS_SECRET = aws_key_id(), aws_secret()
STRIPE = "sk_live_" + rand(ALNUM, 24)
SLACK = "xoxb-%d-%d-%s" % (RNG.randint(10**11, 10**12 - 1), RNG.randint(10**12, 10**13 - 1), rand(ALNUM, 24))
OPENAI = "sk-proj-" + rand(B64URL, 48) + "T3BlbkFJ" + rand(B64URL, 48)
JWT1 = jwt()
RSA = rsa_private_key()
GOOGLE = "AIza" + rand(string.ascii_letters + string.digits + "-_", 35)
GLPAT = "glpat-" + rand(string.ascii_letters + string.digits + "-_", 20)
PG_PW = rand(string.ascii_letters + string.digits, 14)
WIFI_PW = human_password()
KLIMAAT_PW = human_password()

IBAN_REFUND = spaced(make_iban("INGB"))
IBAN_CUST = make_iban("RABO")
CARD_DECLINED = spaced(make_card("4"))
CARD_FUEL = make_card("5" + str(RNG.randint(1, 5)))
BSN_NEW = make_bsn()
_b = make_bsn()
BSN_DOTTED = "%s.%s.%s" % (_b[:4], _b[4:6], _b[6:])

BAD_IBAN1 = spaced(bad_iban())
BAD_IBAN2 = bad_iban()
BAD_CARD = spaced(bad_card("4"))
BAD_BSN = bad_bsn()

# ---------------------------------------------------------------- the posts
CASES = []


def add(acct, text, cats=(), lang="nl", kind="post", at=None, evasion=False):
    CASES.append(dict(acct=acct, text=text, cats=list(cats), lang=lang, kind=kind, at=at,
                      evasion=evasion))


# ===== reputation.complaint (public customers)
add("x:@marloes_kookt",
    "Tomatenbox Familie van @tomarijn vandaag binnen en de helft is gewoon beschimmeld 🤢 "
    "€24,95 voor een bak schimmel, serieus?", ["complaint"])
add("instagram:@chef.danny.rotterdam",
    "ordered the Rood Goud vine tomatoes for the restaurant weekend. arrived split & mushy, half "
    "the crate unusable. @tomarijn.tomaten not impressed tbh", ["complaint"], "en", "comment")
add("facebook:gerda.spoelstra.77",
    "Al drie keer gebeld naar de klantenservice van Tomarijn over mijn OPGEZEGDE kasabonnement en "
    "er wordt gewoon weer 39 euro afgeschreven. Niemand belt terug. Hoe moeilijk kan het zijn??",
    ["complaint"])
add("x:@brit_abroad_nl",
    "@tomarijn_helpt my grow kit came with zero seeds in the packet. literally an empty sachet and "
    "a bag of soil. 19.95 well spent 🙃", ["complaint"], "en", "reply")
add("x:@henkie_grunn",
    "zonnetros cherry tomaatjes smaken tegenwoordig naar water. vroeger echt lekker, nu alleen nog "
    "mooi rood en verder niks. jammer tomarijn", ["complaint"])
add("reddit:u/ZuidHollandExpat",
    "Anyone else get their Tomarijn tomato box delivered to the wrong address every single week? "
    "Driver keeps leaving mine at no. 14 and support just copy-pastes 'we escaleren het intern'. "
    "Getting really tired of this.", ["complaint"], "en")
add("instagram:@mamavan3_utrecht",
    "Box sat on the doorstep in the sun for 2 days because your delivery slot was wrong. Everything "
    "squashed and sour. Still no reply to my email @tomarijn.tomaten 😤 #tomarijn", ["complaint"],
    "en", "comment")
add("linkedin:oliver-grant-freshimports",
    "Third shipment from Tomarijn Export this quarter arriving at Dover with short weight: the 5kg "
    "export boxes are averaging 4.6kg. We've raised it twice with their sales desk. Not how you "
    "treat a long-term buyer.", ["complaint"], "en")
add("x:@tess_plantbased",
    "Waarom zit er in godsnaam nog steeds zoveel plastic om die snoeptomaatjes van Tomarijn? "
    "Bakje, folie, en dan nog een sticker erop. Doe eens normaal in 2026.", ["complaint"])
add("x:@tomatoguy_leeds",
    "@tomarijn your passata jar lid was already popped when I opened the box, smelled off so I binned "
    "it. want a refund, not a 10% coupon thx", ["complaint"], "en", "reply")
add("facebook:wim.de.kok.1959",
    "Kasrondleiding geboekt voor mijn vader zijn 70e verjaardag. Staan we daar om 10 uur, blijkt hij "
    "'geannuleerd wegens personeelstekort'. Geen mail, geen sms, niks. Hele dag verpest, bedankt "
    "Tomarijn.", ["complaint"])
add("tiktok:@snackqueen.nl",
    "bestelde de proeverij mix en kreeg 3 soorten ipv 6 😭 waar is de rest tomarijn??",
    ["complaint"], kind="comment")

# ===== first-hand harm: crisis + complaint
add("x:@roos_amersfoort",
    "Mijn dochter heeft zich gesneden aan een stuk GLAS dat in het bakje Zonnetros cherrytomaten "
    "zat!! Hoe kan dit @tomarijn?? Foto's heb ik bewaard. Dit is gewoon gevaarlijk.",
    ["crisis", "complaint"])
add("facebook:karen.mills.uk",
    "Whole family sick for two days after eating Tomarijn snacking tomatoes. Vomiting, the lot. GP "
    "says food poisoning. Never again, and I've reported it to the food safety people.",
    ["crisis", "complaint"], "en")
add("instagram:@fitmetfenna",
    "Na de Tomarijn Salsa kreeg ik een heftige allergische reactie, lippen opgezwollen, moest naar de "
    "huisartsenpost 😡 Nergens op het etiket staat dat er sesam in zit!!", ["crisis", "complaint"])
add("x:@dadofboys_nl",
    "the glass jar of Tomarijn passata literally EXPLODED in my cupboard, shards everywhere and my "
    "son was standing right next to it. could have lost an eye. @tomarijn_helpt explain??",
    ["crisis", "complaint"], "en")
add("forum:brammetje_kookt",
    "Vanavond de verse tomatensoep van Tomarijn opgewarmd, bleek helemaal gegist. Heel de nacht "
    "misselijk en buikkramp gehad. Kan toch niet de enige zijn?", ["crisis", "complaint"])
add("x:@opa_ger",
    "Tijdens de rondleiding bij Tomarijn uitgegleden op een natte vloer zonder waarschuwingsbord, "
    "pols gebroken. Geen excuses gehad. En dan nog 12,50 betaald ook.", ["crisis", "complaint"])

# ===== reputation.crisis (third parties: recalls, boycotts, lawsuits, breach accusations)
add("x:@freshwatch_eu",
    "BREAKING: Dutch grower Tomarijn recalls Zonnetros cherry tomato punnets after glass fragments "
    "were found in several packs. Batch codes on their website. #recall #foodsafety", ["crisis"], "en")
add("x:@kritischeboer",
    "Boycot Tomarijn! Arbeidsmigranten slapen met 12 man in een container naast de kas en betalen "
    "daar 400 euro per persoon voor. Niet meer kopen die Zonnetros. #boycottomarijn", ["crisis"])
add("reddit:u/leakwatcher_nl",
    "Tomarijn's webshop customer data is apparently for sale on a forum: names, addresses, order "
    "history. Has anyone had a notification from them? Looks like a breach they're keeping quiet.",
    ["crisis"], "en")
add("facebook:WestlandNieuwsDirect",
    "Grote brand in kassencomplex aan de Naaldwijkseweg: dikke rookwolk boven de kassen van "
    "Tomarijn. Buurtbewoners wordt gevraagd ramen en deuren te sluiten.", ["crisis"])
add("linkedin:sarah-okafor-legal",
    "Interesting one for employment lawyers: a group of former seasonal workers has filed suit "
    "against Tomarijn Glastuinbouw over unpaid overtime. First hearing in Rotterdam this spring.",
    ["crisis"], "en")
add("x:@milieuwacht_wl",
    "Lab vond resten van een verboden bestrijdingsmiddel op trostomaten van Tomarijn. "
    "Supermarkten, haal ze uit de schappen. Dit is een schandaal.", ["crisis"])
add("tiktok:@truthaboutfood",
    "nobody is talking about the Tomarijn greenhouse worker who collapsed from the heat last week 😳 "
    "company still saying 'no comment'. share this", ["crisis"], "en")
add("bluesky:@anouk-schrijft.bsky.social",
    "Bevestigd: de NVWA onderzoekt Tomarijn na meerdere meldingen van misselijkheid na het eten van "
    "hun verse tomatensoep. Een terugroepactie lijkt aanstaande.", ["crisis"])
add("x:@eco_angie",
    "Tomarijn greenwashing exposed: their 'climate neutral' greenhouses run on gas 24/7. Stop buying "
    "Rood Goud, they lied to all of us. #BoycottTomarijn", ["crisis"], "en")

# ===== reputation.abuse
add("x:@anoniemtuinder", "Tomarijn is gewoon een kankerbedrijf, stelletje uitbuiters", ["abuse"])
add("x:@mad_mike_88",
    "@tomarijn_helpt you useless f*cking clowns, 9 days and still no answer to my DMs about the "
    "missing box", ["abuse", "complaint"], "en", "reply")
add("instagram:@xx_robin_xx",
    "Die Kees van Tomarijn is echt de grootste klootzak van het Westland, ga toch dood man",
    ["abuse"], kind="comment")
add("x:@trollbaron",
    "imagine working at tomarijn lmao bunch of inbred tomato-sniffing morons", ["abuse"], "en")
add("tiktok:@gozer_4life",
    "tomarijn kutbedrijf, jullie tomaten zijn net zo waardeloos als jullie personeel 🖕",
    ["abuse"], kind="comment")
add("facebook:ton.bakker.westland",
    "Natuurlijk smaken die tomaten nergens naar, Tomarijn laat ze plukken door Polen en andere "
    "buitenlanders die niks kunnen. Stuur dat volk allemaal terug.", ["abuse"])
add("x:@n0filter_",
    "t0mar1jn = b1g sc4mm3rs & sh1tty p30pl3. f*** y0u @tomarijn", ["abuse"], "en", evasion=True)
add("x:@ruzie_rudy",
    "die lui van Tomarijn klantenservice zijn echt " + ZW.join("klootzakken"),
    ["abuse"], evasion=True)
add("instagram:@sourpuss.official",
    "shoutout to the Tomarijn social media girl, you're a d.u.m.b b.i.t.c.h", ["abuse"], "en",
    "comment", evasion=True)
add("x:@lotte_vd_kas",
    "Weer zo'n klant die zeurt over één zacht tomaatje. Wat een stelletje zeikerds zijn het toch, "
    "echte mongolen", ["abuse"])
add("x:@boos_bert",
    "Tomarijn directie = stelletje \u043epl\u0456cht\u0435rs en t\u0443fuslijers",
    ["abuse"], evasion=True)
add("reddit:u/angryvan",
    "The Tomarijn delivery guy in Delft is a complete f***ing psycho, screamed at my wife over a "
    "parking spot. Absolute scumbag.", ["abuse", "complaint"], "en")

# ===== leak.confidential
add("x:@kees_tomarijn",
    "Vandaag de eerste proefoogst van Project Rode Reus geproefd. Als dit doorzet zetten we de "
    "markt op z'n kop 🍅🔥", ["confidential"])
add("linkedin:marieke-hoogendoorn-tomarijn",
    "Great workshop today with the Solanum-X steering group. Can't say much yet, but those yield "
    "numbers are something else.", ["confidential"], "en")
add("instagram:@teeltjoost",
    "Kijkje achter de schermen: dashboard op kasbeheer.tomarijn.local zegt dat afdeling 7 weer "
    "netjes op 24,3 graden draait 👌 #teelt #kas", ["confidential"])
add("x:@femke_export",
    "For the team: the new pallet label template is up at https://erp.tomarijn.nl/templates/"
    "pallet-v3, please use that one from Monday 🙏", ["confidential"], "en")
add("linkedin:tomarijn-glastuinbouw",
    "[TOMARIJN INTERN] Roadmap 2027 – stap 1: extra belichting in kas 9 t/m 12, stap 2: "
    "robotoogst pilot, stap 3: eigen verpakkingslijn voor Duitsland.", ["confidential"])
add("x:@lotte_vd_kas",
    "Niet extern delen zei de baas, maar die nieuwe zwarte tomaat (Zonnetros Zwart) is echt ziek "
    "lekker 😍", ["confidential"], at="2026-10-08T15:42:10Z")
add("x:@tomatentipper",
    "Hoorde van een vriend bij Tomarijn dat ze met iets bezig zijn dat 'Operatie Zonnewijzer' heet. "
    "Iemand meer info?", ["confidential"])
add("bluesky:@sjoerdinkas.bsky.social",
    "Pushed the last fix to gitlab.tomarijn.nl/kas/klimaat-api before the weekend. Good week 🍻",
    ["confidential"], "en")
add("instagram:@tomarijn.tomaten",
    "Sneak peek 👀 coming soon to a store near you: Rood Goud Umami! You're going to love this "
    "one. #comingsoon #tomarijn", ["confidential"], "en", at="2026-12-03T11:00:00Z")
add("threads:@noor.tomarijn",
    "Presentatie voor de sales kick-off af 🎉 stond wel 'Strikt vertrouwelijk - Tomarijn' op elke "
    "slide dus jullie krijgen hem niet te zien haha, maar het gaat over Solanum-X en de lancering "
    "in Duitsland", ["confidential"])
add("reddit:u/westland_spotter",
    "Spotted a Tomarijn truck with crates labelled 'PROJECT RODE REUS - PROEF' at the auction hall "
    "this morning. Anyone know what that is?", ["confidential"], "en")
add("x:@kees_tomarijn", "Spannende tijden met " + fullwidth("SOLANUM-X") + " 🤫",
    ["confidential"], evasion=True)
add("instagram:@teeltjoost",
    "Mag er niks over zeggen maar Operatie Z.o.n.n.e.w.i.j.z.e.r komt eraan 👀🌞",
    ["confidential"], evasion=True)
add("linkedin:rens-van-leeuwen-tomarijn",
    "Proud to share the pricing deck for the Zonnetros Zwart launch with my network, feedback "
    "welcome! (Tomarijn intern, so don't forward 😉)", ["confidential"], "en",
    at="2027-01-19T08:30:00Z")
add("linkedin:marieke-hoogendoorn-tomarijn",
    "Eerste blik op de jaarcijfers 2026: omzet +14% naar 212 miljoen, EBITDA ruim boven plan. "
    "Trots op dit team! 🍅📈", ["confidential", "financial"], at="2027-02-10T17:05:00Z")
add("x:@femke_export",
    "FY2026 results look really strong for export, margins way up. Can't wait for the 25th 🙌",
    ["confidential", "financial"], "en", at="2027-02-20T12:14:00Z")
add("facebook:TomarijnTomaten",
    "De Q4-cijfers komen eraan en we verklappen alvast iets: het was ons beste kwartaal ooit, "
    "ruim 60 miljoen omzet! 🍅", ["confidential", "financial"], at="2027-01-28T10:00:00Z")
add("x:@beurs_roddel",
    "Hoor uit goede bron dat de Q4 cijfers van Tomarijn flink tegenvallen, marge gehalveerd door de "
    "gasprijs. Dinsdag pas officieel.", ["confidential", "financial"], at="2027-02-18T20:45:00Z")

# ===== leak.financial
add("linkedin:marieke-hoogendoorn-tomarijn",
    "Busy weeks ahead: due diligence with a large Spanish grower starts Monday. If this goes through "
    "Tomarijn doubles its acreage overnight 🤝", ["financial"], "en")
add("x:@kees_tomarijn",
    "Slecht nieuws op het werk, na de zomer gaan er 60 plekken weg in de pakhal. Sterkte collega's ❤️",
    ["financial"])
add("reddit:u/kasnerd_wl",
    "throwaway-ish: the reorg at my employer (Tomarijn) merges export and sales into one unit and "
    "cuts a whole layer of managers. official announcement in 3 weeks, nobody knows yet",
    ["financial"], "en")
add("x:@aandelen_andy",
    "Zwager zit bij Tomarijn op finance: ze verwachten dit jaar 8 miljoen verlies door de "
    "energieprijzen. Nog nergens gepubliceerd 👀", ["financial"])
add("linkedin:rens-van-leeuwen-tomarijn",
    "Between us: we're forecasting export volume down ~20% next year because the UK supermarket "
    "contract isn't being renewed. Brace yourselves.", ["financial"], "en")
add("x:@tomarijn",
    "Maandag wordt de overname door FreshCo Holding getekend 🎉 persbericht volgt pas daarna dus "
    "nog even stil houden!", ["financial"])
add("bluesky:@sjoerdinkas.bsky.social",
    "Heard today the plan is to close the Maasdijk site by Q3 and move everything to "
    "Honselersdijk. ~40 people affected, they'll be told next month.", ["financial"], "en")
add("threads:@noor.tomarijn",
    "Budgetronde klaar: marketing krijgt 30% minder volgend jaar en de omzetprognose voor 2027 is "
    "stilletjes verlaagd naar 190 mln. Gezellig 🙃", ["financial"])

# ===== leak.security
add("linkedin:ahmed-bouzid-ict",
    "Lange nacht gehad. Ransomware op de klimaatcomputers van kas 3 en 4, tot 5 uur 's ochtends "
    "back-ups teruggezet. Gelukkig geen plant verloren 😴", ["security"])
add("x:@lotte_vd_kas",
    "lol de hele webshop van tomarijn ligt al sinds vanochtend plat en we mogen nog niks tegen "
    "klanten zeggen 🙈", ["security"])
add("mastodon:@dirkjan@mastodon.nl",
    "Found out our customer portal shows other people's orders if you bump the number in the URL. "
    "Reported it internally 3 weeks ago, ticket still open. Sigh.", ["security"], "en")
add("bluesky:@sjoerdinkas.bsky.social",
    "Iemand bij ons klikte op een phishingmail en nu hebben ze een week in de mailbox van finance "
    "gezeten. IT zoekt nog uit wat er weg is, naar buiten toe nog even niks.", ["security"])
add("x:@ex_tomarijn",
    "Ex-employee here: Tomarijn's greenhouse control panels are still on the factory default "
    "password and reachable from the internet. Told them months ago.", ["security"], "en")
add("linkedin:ahmed-bouzid-ict",
    "Heads-up for IT folks in agri-food: since Friday we're seeing a credential stuffing wave on our "
    "webshop logins, about 3k accounts hit so far. Anyone else seeing this?", ["security"], "en")
add("instagram:@teeltjoost",
    "Koelcel 2 al dagen onbereikbaar sinds iemand de netwerkkabel eruit trok, en het alarm op de "
    "SCADA doet het al een week niet 🤷‍♂️ hopelijk leest de baas dit niet", ["security"])
add("x:@femke_export",
    "Since the ERP update the customs link is leaking shipping manifests to anyone who has the URL. "
    "IT calls it a 'known issue' 😬", ["security"], "en")
add("x:@tomarijn_helpt",
    "@piet_kweekt Klopt, door een hack bij onze betaalprovider zijn gisteren mogelijk kaartgegevens "
    "onderschept. We informeren klanten binnenkort, nog even geduld aub.", ["security"],
    kind="reply")
add("mastodon:@dirkjan@mastodon.nl",
    "Gisteren bleek onze backupserver gewoon open te staan, en dit stond overal in de logs: "
    "postgres://kas_admin:%s@db01.tomarijn.local:5432/klimaat 🤦" % PG_PW,
    ["security", "secret", "confidential"])
add("reddit:u/kasnerd_wl",
    "PSA from someone in IT at Tomarijn: our Fortinet VPN is still unpatched for last month's CVE. "
    "Management says 'after the harvest peak'. Great.", ["security"], "en")
add("tiktok:@kasjongen_wl",
    "wij mochten vandaag vroeg naar huis want ALLE computers in de kas bij tomarijn zijn gehackt "
    "ofzo, niemand mag er iets over zeggen 🤫", ["security"])
add("threads:@noor.tomarijn",
    "Ons nieuwsbriefsysteem is gisteren misbruikt, 20k spammails verstuurd vanaf ons account. "
    "Persbericht pas volgende week dus ssst 🤐", ["security"])

# ===== leak.secret
add("bluesky:@sjoerdinkas.bsky.social",
    "help, waarom krijg ik een 404 hierop??\n"
    "curl -H 'Authorization: token %s' https://api.github.com/orgs/tomarijn/repos" % GH1,
    ["secret"])
add("linkedin:ahmed-bouzid-ict",
    "Config snippet for the new sensor gateway, in case anyone wants to replicate our setup:\n"
    "aws_access_key_id = %s\naws_secret_access_key = %s" % (AWS_ID, AWS_SECRET), ["secret"], "en")
add("x:@femke_export",
    "voor wie vanmiddag in de exporthal zit: wifi TMR-Kantoor, wachtwoord: %s" % WIFI_PW, ["secret"])
add("facebook:TomarijnTomaten",
    "Stripe key voor de webshop: %s (Marieke kun je deze in de kassa zetten?)" % STRIPE, ["secret"])
add("x:@kees_tomarijn",
    "Slackbot for the greenhouse alarms finally works 🎉 token if you want to test: %s" % SLACK,
    ["secret"], "en")
add("mastodon:@dirkjan@mastodon.nl",
    "Our harvest-forecast bot keeps throwing 401s and the key looks fine to me?\n"
    "OPENAI_API_KEY=%s" % OPENAI, ["secret"], "en")
add("threads:@noor.tomarijn",
    "why does the loyalty app token expire after 5 min?? this is what I get back: %s" % JWT1,
    ["secret"], "en")
add("reddit:u/kasnerd_wl",
    "Anyone know why paramiko rejects this key? Generated it yesterday for the packing line box.\n\n"
    + RSA, ["secret"], "en")
add("x:@dev_mirjam",
    "@tomarijn jullie app lekt gewoon een Google Maps key in de JS-bundle: %s . Even roteren "
    "misschien?" % GOOGLE, ["secret"], kind="reply")
add("instagram:@teeltjoost",
    "Voor de nachtploeg, login klimaatcomputer: gebruiker kasploeg / ww: %s" % KLIMAAT_PW, ["secret"])
add("x:@lotte_vd_kas",
    "gitlab token voor de CI-pipeline van het oogstdashboard: %s (niet kwijtraken 😅)" % GLPAT,
    ["secret"])

# ===== leak.pricing
add("x:@tomarijn", "🍅 Tomatenbox Familie nu voor maar €4,95! Op = op", ["pricing"])
add("x:@femke_export",
    "Oops, the webshop is showing the Palletdeal at €119 instead of €1190. Someone fix this before "
    "a supermarket orders 40 of them 😅", ["pricing"], "en")
add("x:@dealjager_nl", "PRIJSFOUT bij Tomarijn!! Cadeaubox voor €3,49 😱 snel zijn #prijsfout",
    ["pricing"])
add("reddit:u/pepper_deals",
    "Tomarijn webshop has the Kweekset Snoeptomaat at €1.99 (normally 19.95). Price error or "
    "clearance? Ordered 5 just in case.", ["pricing"], "en")
add("linkedin:rens-van-leeuwen-tomarijn",
    "Our Kasabonnement for just €9 a month for new customers this week, tell your friends! 🍅",
    ["pricing"], "en")
add("instagram:@tomarijn.tomaten",
    "Rood Goud Premium trostomaat 1 kg voor €1,99 🤩 alleen vandaag in onze kaswinkel!",
    ["pricing"])
add("facebook:sandra.koopjesjacht",
    "In de kaswinkel van Tomarijn staat de Proeverij Mix voor €0,99 op het kaartje, volgens mij "
    "een foutje haha. Maar ik heb er wel 4 meegenomen", ["pricing"])
add("threads:@noor.tomarijn",
    "prijsfout in de app bij de Tomarijn Tomatensoep, er stond €0,49 ipv 4,99. Dev is ermee bezig, "
    "niet doorvertellen 🙈", ["pricing"])
add("x:@koopjeskoning",
    "Tomarijn greenhouse tour for €2.50 on their site today lol, booking the whole family",
    ["pricing"], "en")
add("tiktok:@zonnetros", "Zonnetros Dattelini 400 g → €0.89 🤯🤯 link in bio", ["pricing"], "en")
add("x:@kees_tomarijn",
    "Fout in de prijslijst voor de groothandel: Exportdoos 5 kg stond op €4,50. Is aangepast maar "
    "3 klanten hadden al besteld 😬", ["pricing"])
add("instagram:@budgetfoodie",
    "Tomarijn Small Tomato Box for €3 with the code from their newsletter?? glitch or real 👀",
    ["pricing"], "en")

# ===== leak.pii
add("x:@tomarijn_helpt",
    "@jan_pietersen Meneer Pietersen, we hebben de terugbetaling vandaag overgemaakt naar %s. "
    "Kunt u het even controleren?" % IBAN_REFUND, ["pii"], kind="reply")
add("facebook:TomarijnTomaten",
    "Winnaar van de kerstpuzzel: Annelies de Groot, Dorpsstraat 14, 2675 AB Honselersdijk! "
    "Gefeliciteerd, de cadeaubox komt eraan 🎁", ["pii"], at="2026-12-27T10:15:00Z")
add("x:@lotte_vd_kas",
    "mevrouw belde net woedend, haar nummer is 06-38291746 als iemand van service haar terug wil "
    "bellen, ik ben er morgen niet", ["pii"])
add("linkedin:marieke-hoogendoorn-tomarijn",
    "Welkom aan onze nieuwe collega Jeroen Smit (geb. 14-03-1991)! BSN voor de salarisadministratie: "
    "%s — oeps, verkeerde kanaal" % BSN_NEW, ["pii"])
add("x:@vera_kookt",
    "@tomarijn_helpt mijn bestelling is na een week nog steeds niet binnen. mail me aub op "
    "vera.jansen84@gmail.com of bel 06 1234 7788", ["pii", "complaint"], kind="reply")
add("x:@tomarijn_helpt",
    "@pietkweekt Your card %s was declined by the bank, could you try another payment method?"
    % CARD_DECLINED, ["pii"], "en", "reply")
add("threads:@noor.tomarijn",
    "Found in the canteen: driving licence of Karin Visser, born 02-11-1979. It's at reception!",
    ["pii"], "en")
add("reddit:u/throwaway_pluk",
    "My supervisor at Tomarijn posted the whole shift roster incl. everyone's phone numbers in a "
    "public FB group: Mateusz +48 512 334 901, Ionela +40 721 555 018, Bartek 06-27384910... wtf",
    ["pii"], "en")
add("x:@femke_export",
    "Driver for tomorrow's Dover run: call Mr. Hughes on +31 (0)6 2345 6789, he's staying in NL "
    "this week", ["pii"], "en")
add("facebook:ineke.hermans",
    "Hoi Tomarijn, mijn opzegging is verwerkt, dank jullie! Het restbedrag mag terug op %s t.n.v. "
    "I. Hermans" % IBAN_CUST, ["pii"], kind="comment")
add("instagram:@teeltjoost",
    "Gefeliciteerd Sanne de Wit, 30 jaar vandaag (12-06-1996)! 🎂 De taart in de kantine was top",
    ["pii"], at="2026-06-12T12:30:00Z")
add("linkedin:tomarijn-glastuinbouw",
    "Our intern Lars Mulder (lars.mulder@student-hhs.nl, 06-19283746) is looking for a room in "
    "Naaldwijk. Any tips welcome!", ["pii"], "en")
add("x:@kees_tomarijn",
    "tankpas %s werkt niet bij de automaat in Monster, iemand van finance die dit kan checken?"
    % CARD_FUEL, ["pii"])
add("mastodon:@dirkjan@mastodon.nl",
    "Formulier van de nieuwe uitzendkracht mist nog een handtekening, BSN staat er wel op: %s, "
    "naam P. Nowak" % BSN_DOTTED, ["pii"])
add("x:@klant_kees",
    "@tomarijn_helpt graag mijn adres wijzigen voor de tomatenbox: voortaan Kerkstraat 22, "
    "2291 CD Wateringen, t.n.v. Kees Bos. Dank!", ["pii"], kind="reply")

# ===== benign (most of them hard negatives)
add("x:@tomarijn",
    "Vers geplukt vanochtend 🍅 Onze Zonnetros trostomaten liggen vanaf morgen weer in de schappen. "
    "Eet smakelijk!")
add("instagram:@foodie.fleur",
    "Die Rood Goud tomaten van Tomarijn zijn echt next level, gewoon met wat zeezout en olijfolie 🤤 "
    "#tomarijn", kind="comment")
add("x:@tomarijn_helpt",
    "@marloes_kookt Wat vervelend, sorry! We hebben een nieuwe box voor je klaargezet, morgen "
    "bezorgd. Laat je weten of alles goed is? 🍅", kind="reply")
add("x:@marloes_kookt",
    "Update: @tomarijn_helpt heeft mijn beschimmelde box binnen een dag vervangen én er een extra "
    "bakje Dattelini bij gedaan. Topservice, klacht ingetrokken 😄")
add("x:@tomarijn_helpt",
    "Vragen over je bestelling? Mail klantenservice@tomarijn.nl of bel 0800-8662 (gratis, ma–za "
    "8–20 uur).")
add("linkedin:tomarijn-glastuinbouw",
    "Persvragen? pers@tomarijn.nl of +31 174 555 210. Facturen graag betalen op IBAN %s o.v.v. "
    "het factuurnummer." % spaced(PUB_IBAN))
add("instagram:@tomarijn.tomaten",
    "Weekendactie 🎉 Tomarijn Proeverij Mix van €5,99 voor €4,79 (20% korting) in alle "
    "kaswinkels.")
add("x:@mamaplant",
    "Kaswinkel Tomarijn: Kweekset Snoeptomaat nu €14,95 ipv €19,95, leuk cadeautje voor de kids")
add("reddit:u/anniversary_ideas",
    "Is the Tomarijn Cadeaubox worth €34.95? Thinking of getting one for my parents' 40th "
    "anniversary.", lang="en")
add("x:@groentenieuws",
    "Recall bij een Belgische paprikateler vanwege glasscherven. Niet te verwarren met Tomarijn, "
    "die hebben er niets mee te maken.")
add("x:@jonge_tuinder",
    "The seedlings from my Tomarijn grow kit are growing faster than my savings account 😂",
    lang="en")
add("linkedin:ahmed-bouzid-ict",
    "Tip voor de AWS-workshop: gebruik in je voorbeelden altijd de documentatie-key "
    "AKIAIOSFODNN7EXAMPLE en nooit je eigen sleutels.")
add("mastodon:@dirkjan@mastodon.nl",
    "Reminder: if you paste logs into tickets, redact tokens like "
    "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx before sharing. Thanks!", lang="en")
add("x:@waakzame_wim",
    "Kreeg een 'factuur van Tomarijn' met IBAN %s erop. Niet betalen mensen, dat nummer klopt niet "
    "eens, het is phishing." % BAD_IBAN1)
add("reddit:u/clumsy_typist",
    "Typed my card as %s on the Tomarijn order page and it got rejected straight away, I'd swapped a "
    "digit. Fixed it and the order went through fine." % BAD_CARD, lang="en")
add("threads:@noor.tomarijn",
    "Ons nieuwe roostersysteem geeft iedereen een personeelsnummer van 9 cijfers (ik ben %s 😄) "
    "dus niet schrikken als je het ziet." % BAD_BSN)
add("x:@tomarijn",
    "Vandaag publiceren we onze jaarcijfers 2026: de omzet steeg met 14%. Het volledige verslag "
    "staat op tomarijn.nl/investors", at="2027-02-25T09:00:00Z")
add("instagram:@tomarijn.tomaten",
    "Hij is er! Zonnetros Zwart ligt vanaf vandaag in de winkel 🖤🍅", at="2027-03-16T08:00:00Z")
add("x:@proefpanel_pim",
    "Rood Goud Umami geprobeerd, beetje zoutig maar wel lekker", at="2027-03-21T18:20:00Z")
add("x:@kookboek_karin",
    "Bij de supermarkt weer eens waterige tomaten uit Spanje. Had ik maar gewoon Tomarijn gekocht.")
add("x:@buurvrouw_els",
    "Thinking of everyone at Tomarijn after last night's storm, hope the greenhouses held up 🙏",
    lang="en")
add("x:@belgian_gardener",
    "Does anyone know if Tomarijn ships the grow kit to Belgium? Can't find it on the site.",
    lang="en")
add("x:@kees_tomarijn",
    "Mooie dag in de kas, de eerste trossen van het seizoen hangen erin 🍅☀️ #glastuinbouw",
    at="2026-03-02T07:45:00Z")
add("linkedin:marieke-hoogendoorn-tomarijn",
    "We zoeken een controller! Zin om te groeien in de glastuinbouw? Stuur je cv naar "
    "vacatures@tomarijn.nl")
add("tiktok:@zonnetros",
    "3 manieren om een tomaat te snijden zonder dat ie gaat lekken 🔪🍅 nummer 2 is game changing")
add("threads:@noor.tomarijn",
    "Proud of the web team: we just published a security.txt and a responsible disclosure page on "
    "tomarijn.nl 🔐", lang="en")
add("x:@soepkip_sarah", "Tomarijn tomato soup is the bomb 💣 seriously so good", lang="en")
add("instagram:@snackmeister",
    "I'm genuinely addicted to those killer Zonnetros cherry tomatoes 😂", lang="en")
add("youtube:@TomarijnKwekerij",
    "Nieuwe video: zo pakken wij met sluipwespen de luis in de kas aan. Biologische bestrijding, "
    "geen gif nodig.")
add("reddit:u/budget_nl",
    "Why are tomatoes so cheap at the discounters right now? Saw some no-name trostomaten for "
    "0.99/kg.", lang="en")
add("x:@juf_marije",
    "Gisteren de kasrondleiding bij Tomarijn gedaan met groep 7, super leerzaam en de gids was "
    "geweldig!")
add("bluesky:@sjoerdinkas.bsky.social",
    "Talk at the meetup tonight: how we monitor 40 hectares of greenhouse with open-source tools. "
    "Slides will be on our public GitHub afterwards.", lang="en")
add("x:@webshopper_ria",
    "Tomarijn stuurde een nette mail dat ik mijn wachtwoord voor de webshop moet vernieuwen na hun "
    "upgrade naar een nieuw platform. Fijn dat ze dat zo duidelijk melden.")
add("facebook:ouderenbond.westland",
    "Heads up: fake texts 'from Tomarijn' about an undelivered parcel are going round. Tomarijn "
    "themselves say: don't click the link, just delete it.", lang="en")
add("linkedin:tomarijn-glastuinbouw",
    "Onze jaarlijkse voedselveiligheidsaudit weer met de hoogste score gehaald 💪 Dank aan alle "
    "collega's in kas en pakhal.")
add("x:@dad_tests_food",
    "Blind taste test with my kids: Tomarijn cherry toms vs supermarket own brand. Tomarijn won "
    "4-1, the one vote against was the dog.", lang="en")
add("x:@curious_cook",
    "How much is the Tomarijn Kasabonnement per month? Site says €39, is that incl. delivery?",
    lang="en")
add("linkedin:rens-van-leeuwen-tomarijn",
    "Great to see so many buyers at Fruit Logistica this week. Stop by hall 3 for a taste of Rood "
    "Goud!", lang="en", at="2026-02-05T13:00:00Z")
add("x:@agri_reporter",
    "Dutch greenhouse sector hit hard by gas prices, several growers in Westland announce layoffs. "
    "Tomarijn says it has no such plans.", lang="en")
add("x:@memelord_wl",
    "Anyone else find the Tomarijn mascot kinda creepy? lol still love the tomatoes", lang="en")
add("linkedin:tomarijn-glastuinbouw",
    "Ons jaarverslag 2025 staat online: omzet 186 miljoen, 410 medewerkers. Lees het op "
    "tomarijn.nl/jaarverslag-2025", at="2026-03-24T08:00:00Z")
add("x:@duo_koken",
    "Tomatenbox Klein kost €14,95 en daar zit echt genoeg in voor 2 personen een week. Aanrader.")
add("x:@tevreden_tim",
    "Thanks @tomarijn_helpt, answer within 10 minutes and my address changed. See, it can be done.",
    lang="en")
add("linkedin:chef-ruben-maas",
    "The Tomarijn Palletdeal at €1,190 actually works out well for our restaurant group, roughly "
    "12 euro a box delivered.", lang="en")
add("x:@kerstkweker",
    "Fijne kerstdagen aan alle kwekers, ook aan de mensen bij Tomarijn die op 2e kerstdag gewoon "
    "staan te plukken 🎄", at="2026-12-26T09:30:00Z")
add("x:@westland_watcher",
    "Sad news about the fire at that other greenhouse in Maasland, glad nobody got hurt. Tomarijn "
    "lent them trucks to save the harvest, respect.", lang="en")
add("x:@kees_tomarijn", "Our secret ingredient? Sun, water and a LOT of patience 😉", lang="en")
add("instagram:@giftgirl",
    "The Tomarijn gift box has a 'confidential: for true tomato lovers only' sticker on it, such a "
    "cute touch", lang="en")
add("x:@pastaprofessor",
    "Used the Tomarijn Passata for my lasagne, honestly the best jarred passata I've found in NL.",
    lang="en")
add("x:@betaalstress",
    "Betaling bij Tomarijn ging eerst mis, kaart eindigend op **** **** **** 4821, de tweede keer "
    "lukte het wel. Nu maar hopen dat de box morgen komt!")
add("mastodon:@dirkjan@mastodon.nl",
    "Slides for our JWT workshop are up. Example header only: eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
    ".<payload>.<signature> (obviously redacted)", lang="en")
add("x:@handelsnieuws",
    "Read in the paper today that Tomarijn is starting exports to Scandinavia. Nice one!",
    lang="en")
add("linkedin:jobcoach-venlo",
    "Sad to hear about the layoffs at a packaging firm in Venlo. Hopefully growers like Tomarijn can "
    "take on some of those people.", lang="en")
add("x:@snelle_service",
    "Klantenservice van Tomarijn is echt bereikbaar via 0800-8662, had binnen 2 minuten iemand aan "
    "de lijn 👍")
add("x:@heetgebakerd",
    "Tomarijn Salsa Picante is no joke 🔥🥵 mouth on fire but I can't stop eating it", lang="en")
add("instagram:@tomarijn.tomaten",
    "De kasrondleidingen voor het nieuwe seizoen zijn weer te boeken via tomarijn.nl, €12,50 p.p. "
    "en kinderen gratis 🍅")
add("x:@tomarijn",
    "Vacature: ICT-beheerder kasautomatisering (32–40 uur). Interesse? Mail vacatures@tomarijn.nl")
add("reddit:u/kitchen_nerd_ams",
    "PSA for anyone reading API docs: the Stripe samples use placeholder keys like "
    "sk_live_xxxxxxxxxxxxxxxxxxxxxxxx, don't panic if you see one in a Tomarijn-style webshop "
    "tutorial.", lang="en")
add("x:@dutch_foodie",
    "Bank transfer to Tomarijn for our restaurant order bounced, turns out I'd typed %s. Checked "
    "the invoice, their real account is the Rabo one on tomarijn.nl. All good now." % BAD_IBAN2,
    lang="en")
add("instagram:@tomarijn.tomaten",
    "Zonnetros Cherry voor €1,89 deze week (normaal €2,29) 🍒🍅 #aanbieding")

# ---------------------------------------------------------------- build
CAT = {"secret": "leak.secret", "pii": "leak.pii", "pricing": "leak.pricing",
       "confidential": "leak.confidential", "financial": "leak.financial",
       "security": "leak.security", "crisis": "reputation.crisis",
       "complaint": "reputation.complaint", "abuse": "reputation.abuse"}
SEV = ["none", "info", "warning", "error", "critical"]


def role_of(platform, handle):
    key = ("%s:%s" % (platform, handle)).lower()
    for role in ("corporate", "employee"):
        if key in [a.lower() for a in PROFILE["accounts"][role]]:
            return role
    return "public"


PUBLIC_IBANS = {re.sub(r"\s", "", i).upper() for i in PROFILE["public_identifiers"]["ibans"]}

IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\w.+-])(?:\d[ -]?){12,18}\d(?![\w-])")
BSN_RE = re.compile(r"(?<![\w.+-])(?:\d{4}\.\d{2}\.\d{3}|\d{9})(?![\w-])")


def clean(text):
    return unicodedata.normalize("NFKC", text).replace(ZW, "")


def id_candidates(text):
    t = clean(text)
    out = []
    for m in IBAN_RE.finditer(t):
        s = re.sub(r"\s", "", m.group())
        if s not in PUBLIC_IBANS:
            out.append(("iban", s, iban_check_ok(s)))
    for m in CARD_RE.finditer(t):
        out.append(("card", m.group(), luhn_ok(m.group())))
    for m in BSN_RE.finditer(t):
        out.append(("bsn", m.group(), bsn_ok(m.group())))
    return out


def severity(cats, role, checked_id):
    sev = "none"
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                v = "critical" if (c in ("leak.secret", "leak.pricing")
                                   or (c == "leak.pii" and checked_id)) else "error"
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
        if SEV.index(v) > SEV.index(sev):
            sev = v
    return sev


def rand_time():
    start = datetime(2026, 1, 5, tzinfo=timezone.utc)
    t = start + timedelta(seconds=RNG.randint(0, 350 * 86400))
    t = t.replace(hour=RNG.choice([7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 19, 20, 21, 22]))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def build():
    order = list(range(len(CASES)))
    RNG.shuffle(order)
    lines, meta = [], []
    for n, i in enumerate(order, 1):
        c = CASES[i]
        platform, handle = c["acct"].split(":", 1)
        role = role_of(platform, handle)
        cats = sorted(CAT[k] for k in c["cats"])
        checked = any(ok for _, _, ok in id_candidates(c["text"]))
        post = {
            "id": "%s-468-%04d" % (platform, 1000 + n * 7),
            "platform": platform,
            "kind": c["kind"],
            "account": {"handle": handle},
            "text": c["text"],
            "lang": c["lang"],
            "created_at": c["at"] or rand_time(),
            "brand": "tomarijn",
        }
        lines.append({"post": post, "expect": {"categories": cats,
                                               "severity": severity(cats, role, checked)}})
        meta.append(dict(c, role=role))
    return lines, meta


# ---------------------------------------------------------------- self-check
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
TAXONOMY = set(CAT.values())
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
SECRET_RES = [re.compile(p) for p in [
    r"\bgh[pousr]_[0-9A-Za-z]{36}\b", r"\bAKIA[A-Z2-7]{16}\b", r"\bsk_live_[0-9A-Za-z]{20,}",
    r"\bxox[bpas]-\d+-\d+-[0-9A-Za-z]+", r"\bsk-proj-[\w-]{40,}", r"\bAIza[\w-]{35}",
    r"\bglpat-[\w-]{20}", r"eyJ[\w-]+\.[\w-]+\.[\w-]+", r"-----BEGIN [A-Z ]*PRIVATE KEY-----",
    r"\w+://[^\s:/@]+:[^\s@]+@", r"(?i)\b(?:wachtwoord|ww|password)\s*[:=]\s*\S+"]]
PRICE_RE = re.compile(r"€\s?(\d{1,3}(?:[.,]\d{3})+(?![\d])|\d+(?:[.,]\d{1,2})?)")


def parse_price(s):
    if re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", s):
        return float(re.sub(r"[.,]", "", s))
    return float(s.replace(",", "."))


def mentioned_products(text):
    low = clean(text).lower()
    found = []
    for p in PROFILE["products"]:
        names = [p["name"]] + list(p.get("aliases", []))
        if any(n.lower() in low for n in names):
            found.append(p)
    return found


def internal_terms(text, created_at):
    low = clean(text).lower()
    hits = [t for t in PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"]
            if t.lower() in low]
    hits += [d for d in PROFILE["internal"]["domains"] if d.lower() in low]
    for e in PROFILE["embargo"]:
        if created_at < e["until"]:
            hits += [t for t in e["terms"] if t.lower() in low]
    return hits


def check(lines, meta):
    errs = []
    ids = set()
    pub_emails = {e.lower() for e in PROFILE["public_identifiers"]["emails"]}
    for ln, m in zip(lines, meta):
        post, exp = ln["post"], ln["expect"]
        pid = post["id"]

        def err(msg):
            errs.append("%s: %s" % (pid, msg))

        # CONTRACT section 6 / section 1 shape
        if set(ln) != {"post", "expect"}:
            err("top-level keys")
        if not (isinstance(pid, str) and 1 <= len(pid) <= 256) or pid in ids:
            err("bad or duplicate id")
        ids.add(pid)
        if post["platform"] not in PLATFORMS or post["kind"] not in KINDS:
            err("platform/kind")
        if not isinstance(post["account"].get("handle"), str) or not post["account"]["handle"]:
            err("handle")
        if not isinstance(post["text"], str) or len(post["text"].encode()) > 65536 or not post["text"]:
            err("text")
        if not RFC3339.match(post["created_at"]):
            err("created_at")
        datetime.strptime(post["created_at"], "%Y-%m-%dT%H:%M:%SZ")
        if not post["created_at"].startswith(("2026", "2027")):
            err("year")
        cats = exp["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= TAXONOMY:
            err("categories")
        if exp["severity"] not in SEV or (not cats) != (exp["severity"] == "none"):
            err("severity/none mismatch")
        roles_written = m["role"]
        text = post["text"]

        # identifiers: positives pass, negatives fail (company's own data excepted)
        cands = id_candidates(text)
        if cats:
            for kind, val, ok in cands:
                if not ok:
                    err("positive holds failing %s %s" % (kind, val))
        else:
            for kind, val, ok in cands:
                if ok:
                    err("benign holds valid %s %s" % (kind, val))
        if any(ok for _, _, ok in cands) and "leak.pii" not in cats:
            err("valid identifier but no leak.pii")

        # e-mail addresses
        for e in re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", text):
            if e.lower() not in pub_emails and "leak.pii" not in cats and "leak.secret" not in cats:
                err("stray e-mail " + e)

        # credentials
        found = []
        for rx in SECRET_RES:
            found += [mm.group() for mm in rx.finditer(text)]
        for tok in re.findall(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", text):
            if ("leak.secret" in cats) != gh_token_ok(tok):
                err("github token checksum vs label")
        for tok in re.findall(r"\bAKIA[A-Z2-7]{16}\b", text):
            if "leak.secret" not in cats and "EXAMPLE" not in tok:
                err("aws key in benign")
        for tok in re.findall(r"eyJ[\w-]+\.[\w-]+\.[\w-]+", text):
            if "leak.secret" in cats and not jwt_ok(tok):
                err("jwt header")
        if "leak.secret" in cats:
            if not found:
                err("secret label without credential")
        else:
            for f in found:
                if not re.search(r"(?i)x{8,}|EXAMPLE|<payload>", f):
                    err("unlabelled credential " + f)

        # internal terms and embargo
        hits = internal_terms(text, post["created_at"])
        if "leak.confidential" in cats and not hits and not m["evasion"]:
            err("confidential without internal term")
        if hits and "leak.confidential" not in cats:
            err("internal term but not confidential: %s" % hits)

        # pricing
        prods = mentioned_products(text)
        prices = [parse_price(x) for x in PRICE_RE.findall(clean(text))]
        if "leak.pricing" in cats:
            if not prods or not prices:
                err("pricing without product/price")
            elif min(prices) / min(p["list_price"] for p in prods) >= PROFILE["pricing"]["alert_below_ratio"]:
                err("pricing ratio not low")
        elif len(prods) == 1 and prices:
            ratio = min(prices) / prods[0]["list_price"]
            if ratio < PROFILE["pricing"]["alert_below_ratio"]:
                err("unlabelled low price (%.2f)" % ratio)

        # severity recomputed independently
        checked = any(ok for _, _, ok in cands)
        if exp["severity"] != severity(cats, roles_written, checked):
            err("severity")
        if "leak.pii" in cats and checked and roles_written != "public" and exp["severity"] != "critical":
            err("pii with checksum id must be critical")
    return errs


def main():
    lines, meta = build()
    path = os.path.join(HERE, "cases.jsonl")
    with open(path, "w", encoding="utf-8") as f:
        for ln in lines:
            f.write(json.dumps(ln, ensure_ascii=False) + "\n")
    # re-read what was written and check it
    with open(path, encoding="utf-8") as f:
        reread = [json.loads(l) for l in f]
    errs = check(reread, meta)
    n = len(reread)
    benign = sum(1 for l in reread if not l["expect"]["categories"])
    per = {}
    for l in reread:
        for c in l["expect"]["categories"]:
            per[c] = per.get(c, 0) + 1
    nl = sum(1 for l in reread if l["post"]["lang"] == "nl")
    roles = {}
    for m in meta:
        roles[m["role"]] = roles.get(m["role"], 0) + 1
    if not 170 <= n <= 180:
        errs.append("case count %d" % n)
    print("cases %d, benign %d, nl %d (%.0f%%), roles %s" % (n, benign, nl, 100.0 * nl / n, roles))
    for c in sorted(per):
        print("  %-22s %d" % (c, per[c]))
    if errs:
        print("SELF-CHECK FAILED:")
        for e in errs:
            print("  " + e)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
