#!/usr/bin/env python3
"""Build the sealed300 evaluation set for postwatch (company: Kafelo Koffie & Vending B.V.).

Deterministic: a fixed seed drives every generated identifier, credential and timestamp.
Writes cases.jsonl next to this file and then checks it:
  * every line is a valid CONTRACT section 6 case (post shape, categories, severity);
  * severities are recomputed from the account role in profile.yaml (CONTRACT section 4);
  * IBAN / card / BSN numbers in positives pass their checksum, look-alikes in benign posts fail;
  * generated GitHub tokens carry a correct CRC-32, AWS key ids have the right alphabet,
    JWT headers decode to JSON with "alg";
  * prices quoted in pricing cases are below / above the alert ratio as intended;
  * embargo terms are labelled confidential exactly when the post is before the embargo.
Needs only the standard library and PyYAML.
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
SEED = 300_2026
rng = random.Random(SEED)

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base-62 order 0-9A-Za-z
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase

# ---------------------------------------------------------------- identifiers


def iban_check_digits(cc, bban):
    s = bban + cc + "00"
    n = int("".join(str(int(c, 36)) for c in s))
    return "%02d" % (98 - n % 97)


def iban_ok(iban):
    s = re.sub(r"\s", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(bank, grouped=True):
    acct = "".join(rng.choice(string.digits) for _ in range(10))
    bban = bank + acct
    s = "NL" + iban_check_digits("NL", bban) + bban
    assert iban_ok(s)
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4)) if grouped else s


def make_bad_iban(bank, grouped=True):
    good = re.sub(r"\s", "", make_iban(bank, grouped=False))
    # change one account digit so mod-97 fails
    while True:
        pos = rng.randrange(8, 18)
        d = rng.choice([c for c in string.digits if c != good[pos]])
        bad = good[:pos] + d + good[pos + 1:]
        if not iban_ok(bad):
            break
    return " ".join(bad[i:i + 4] for i in range(0, len(bad), 4)) if grouped else bad


def luhn_ok(num):
    ds = [int(c) for c in re.sub(r"\D", "", num)]
    tot = 0
    for i, d in enumerate(reversed(ds)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        tot += d
    return tot % 10 == 0


def make_card(prefix, length=16, sep=" "):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for c in string.digits:
        if luhn_ok(body + c):
            num = body + c
            break
    if length == 15:
        parts = [num[:4], num[4:10], num[10:]]
    else:
        parts = [num[i:i + 4] for i in range(0, len(num), 4)]
    return sep.join(parts)


def bsn_ok(num):
    s = re.sub(r"\D", "", num)
    if len(s) != 9:
        return False
    tot = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return tot % 11 == 0 and s != "000000000"


def make_bsn():
    while True:
        head = str(rng.randint(1, 6)) + "".join(rng.choice(string.digits) for _ in range(7))
        r = sum(int(head[i]) * (9 - i) for i in range(8)) % 11
        if r <= 9:
            s = head + str(r)
            assert bsn_ok(s)
            return s


# ---------------------------------------------------------------- credentials


def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def make_github_token(prefix="ghp_"):
    body = "".join(rng.choice(ALNUM) for _ in range(30))
    return prefix + body + b62(zlib.crc32(body.encode()), 6)


def github_token_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()), 6) == m.group(2)


def rand(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def make_aws():
    kid = "AKIA" + rand(string.ascii_uppercase + "234567", 16)
    sec = rand(string.ascii_letters + string.digits + "/+", 40)
    return kid, sec


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt(payload):
    h = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    p = b64url(json.dumps(payload, separators=(",", ":")).encode())
    s = b64url(bytes(rng.randrange(256) for _ in range(32)))
    return f"{h}.{p}.{s}"


def jwt_header_ok(tok):
    head = tok.split(".")[0]
    try:
        d = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    except Exception:
        return False
    return isinstance(d, dict) and "alg" in d


def pem(kind, prefix_bytes, nbytes, lines=None):
    raw = prefix_bytes + bytes(rng.randrange(256) for _ in range(nbytes))
    b = base64.b64encode(raw).decode()
    width = 70 if kind == "OPENSSH" else 64
    body = [b[i:i + width] for i in range(0, len(b), width)]
    if lines:
        body = body[:lines] + ["..."]
    return f"-----BEGIN {kind} PRIVATE KEY-----\n" + "\n".join(body) + f"\n-----END {kind} PRIVATE KEY-----"


# ---------------------------------------------------------------- generated values
IBAN_REFUND = make_iban("INGB")            # corporate refund reply
IBAN_OWN = make_iban("ABNA", grouped=False)  # customer posting own IBAN in complaint
IBAN_FORM = make_iban("TRIO")              # public refund-form post
IBAN_BAD_PHISH = make_bad_iban("BUNQ")     # look-alike in a phishing warning
IBAN_BAD_TYPO = make_bad_iban("RABO", grouped=False)  # look-alike, typo
CARD_DOUBLE = make_card("4539")            # employee, double charge
CARD_TAPPAY = make_card("5425")            # public, charged twice
CARD_AMEX = make_card("3714", length=15)   # employee, conference booking
CARD_BAD = "4111 1111 1111 1112"           # look-alike, fails Luhn
CARD_BAD2 = "5500-0000-0000-0005"          # look-alike, fails Luhn
BSN_NEW = make_bsn()                       # HR leak
BSN_BAD = "123456789"                      # dummy, fails 11-proof
BSN_BAD2 = "111222334"                     # fails 11-proof

GH_TELEM = make_github_token("ghp_")
GH_REPO = make_github_token("ghs_")
GH_OAUTH = make_github_token("gho_")
AWS_ID1, AWS_SEC1 = make_aws()
AWS_ID2, _ = make_aws()
STRIPE = "sk_live_" + rand(ALNUM, 24)
SLACK = "xoxb-" + rand(string.digits, 12) + "-" + rand(string.digits, 13) + "-" + rand(ALNUM, 24)
GOOGLE = "AIza" + rand(ALNUM + "_-", 35)
OPENAI = "sk-proj-" + rand(ALNUM + "_-", 60) + "T3BlbkFJ" + rand(ALNUM + "_-", 60)
PG_PW = rand(ALNUM, 10) + "!" + rand(string.digits, 2)
PG_URL = f"postgres://vend_rw:{PG_PW}@10.20.4.15:5432/vending_prod"
JWT = make_jwt({"sub": "svc-planning", "role": "admin", "iat": 1767225600, "exp": 1798761600})
RSA = pem("RSA", bytes.fromhex("308204a40201000282010100"), 120, lines=3)
SSH = pem("OPENSSH", b"openssh-key-v1\x00\x00\x00\x00\x04none\x00\x00\x00\x04none", 150, lines=3)
MAILGUN_PW = rand(ALNUM, 12)

PUBLIC_IBAN = PROFILE["public_identifiers"]["ibans"][0]

# ---------------------------------------------------------------- cases
CASES = []
_ids = {}


def when_2026():
    start = dt.datetime(2026, 1, 5, 6, 0, tzinfo=dt.timezone.utc)
    secs = rng.randrange(0, int((dt.datetime(2026, 12, 22, tzinfo=dt.timezone.utc) - start).total_seconds()))
    return (start + dt.timedelta(seconds=secs)).strftime("%Y-%m-%dT%H:%M:%SZ")


def C(platform, handle, text, cats=(), lang="nl", kind="post", when=None, price=None):
    """One case. cats: categories a correct verdict must have; price: (sku, amount) sanity check."""
    n = _ids.get(platform, 0) + 1
    _ids[platform] = n
    pid = f"k300-{platform}-{n:03d}"
    post = {
        "id": pid,
        "platform": platform,
        "kind": kind,
        "account": {"handle": handle},
        "text": text,
        "lang": lang,
        "created_at": when or when_2026(),
    }
    CASES.append({"post": post, "cats": sorted(cats), "price": price})


COMPLAINT = "reputation.complaint"
CRISIS = "reputation.crisis"
ABUSE = "reputation.abuse"
CONF = "leak.confidential"
PII = "leak.pii"
SEC = "leak.security"
SECRET = "leak.secret"
PRICE = "leak.pricing"
FIN = "leak.financial"

# ======================= reputation.complaint ==================================
C("x", "@femkefacilitair",
  "Koffieautomaat op de 3e verdieping geeft al 4 dagen alleen heet water. Storing gemeld bij Kafelo op maandag, "
  "nog steeds niemand gezien. #kantoorleed", [COMPLAINT])
C("x", "@not_a_morning_dev",
  "3rd time this month the SnaqBox in our lobby ate my coins and gave me nothing. @kafelo_service any chance of a "
  "refund or should I just frame the receipt", [COMPLAINT], lang="en", kind="reply")
C("facebook", "Wendy Hoekstra",
  "Monteur van Kafelo zou tussen 8 en 12 komen. Het is nu 15:40. Geen telefoontje, geen mailtje, niks. Top service hoor 🙄",
  [COMPLAINT], kind="comment")
C("x", "@ops_sint_lucas",
  "@kafelo_service your Service Plus contract promises a 24h response. It has been 72 hours. We run a hospital "
  "cafeteria, people actually need that machine.", [COMPLAINT], lang="en", kind="reply")
C("instagram", "@saar.loopt",
  "die nieuwe pinbetaling op de kafelo automaat op station Amersfoort pakt m'n pas gewoon niet. 3x geprobeerd, 3x "
  "'transactie mislukt'. dan maar geen koffie 😤", [COMPLAINT])
C("linkedin", "ellen-brinkman-facility",
  "Second invoice in a row from Kafelo that's wrong - maintenance billed twice. Their customer service promises a "
  "call back, which then never happens. Anyone else seeing this?", [COMPLAINT], lang="en")
C("reddit", "u/espressoyolo",
  "Kafelo Thuis One: milk frother died after 5 weeks. Warranty claim has been 'in behandeling' for a month now. "
  "Emailed twice, zero replies. Not impressed tbh", [COMPLAINT], lang="en")
C("x", "@pieterbeton",
  "ever since kafelo switched beans the coffee at work tastes like burnt tyres. who signed off on this?? "
  "#mondaymorning", [COMPLAINT], lang="en")
C("bluesky", "@liftlifelara.bsky.social",
  "The Kafelo cold drinks machine at our gym has said OUT OF ORDER since Christmas. Called them twice, "
  "nobody ever showed up.", [COMPLAINT], lang="en")
C("forum", "dennis_zzp",
  "Cancelling with Kafelo is pure hell. Our contract ended on 1 June and they just keep collecting the direct debit. "
  "Sent three emails, got one auto-reply. What are my options here?", [COMPLAINT], lang="en")
C("x", "@maaikedweilt",
  "Na het 'onderhoud' van vanochtend lekt de CupStation over de hele pantryvloer. Dank je Kafelo, "
  "mag ik lekker dweilen 🙃", [COMPLAINT])

# first-hand safety incidents: crisis + complaint
C("x", "@hanneke_hr",
  "Vanochtend een flinke schok gekregen van de Kafelo automaat bij ons op de zaak toen ik de lekbak eruit trok. "
  "Hand tintelt nog steeds. Apparaat staat nu uit maar dit kan echt niet @kafelo_service", [CRISIS, COMPLAINT])
C("linkedin", "marc-oldenhof",
  "Our Kafelo Barista Pro started smoking this morning - burnt plastic smell through the entire floor and we had "
  "to evacuate 80 people. Absolutely unacceptable for a machine that was serviced two weeks ago.",
  [CRISIS, COMPLAINT], lang="en")
C("facebook", "Ilse van Rooij",
  "Twee dagen ziek geweest na een cappuccino uit de Kafelo automaat in onze kantine, en drie collega's ook. "
  "Dat melkdeel is volgens mij nog nooit schoongemaakt 🤢", [CRISIS, COMPLAINT], kind="comment")
C("reddit", "u/throwaway_burnt_wrist",
  "The hot water spout on the Kafelo machine at work sprayed boiling water onto my wrist. Second degree burn, "
  "went to the GP. It had been loose for weeks and we reported it TWICE.", [CRISIS, COMPLAINT], lang="en")
C("x", "@vader_van_3",
  "Mijn zoon (9) kwam met z'n arm klem te zitten in de uitgifteklep van een SnaqBox op het station. Brandweer "
  "moest het ding openschroeven. Kafelo, hoe is dit in godsnaam mogelijk??", [CRISIS, COMPLAINT])

# ======================= reputation.crisis (third party / accusation) ==========
C("x", "@nieuwegein_nieuws",
  "Volgens RTV Utrecht is er gisteravond brand uitgebroken in een kantoorpand aan de Brugwal, oorzaak zou een "
  "koffieautomaat van Kafelo zijn. Niemand raakte gewond.", [CRISIS])
C("x", "@vakbond_koos",
  "Kafelo laat zijn monteurs 60 uur per week rijden voor een hongerloon. Koop er niks meer. #BoycotKafelo", [CRISIS])
C("reddit", "u/franchise_watcher",
  "Heard a group of vending franchisees is suing Kafelo over the route contracts - breach of contract plus "
  "misleading revenue projections. First hearing is in March apparently.", [CRISIS], lang="en")
C("x", "@dataprivacyjan",
  "Is het waar dat Kafelo klantgegevens heeft gelekt? Ik krijg ineens phishingmails met mijn klantnummer en "
  "adres erin. #datalek", [CRISIS])
C("threads", "@officemgr.priya",
  "Kafelo recall?? Our building manager says every Thuis One from the spring batch is being pulled because the "
  "heating element can overheat. Anyone got the official notice?", [CRISIS], lang="en")
C("facebook", "Ouders Basisschool De Regenboog",
  "Undercoverreportage vanavond: Kafelo zou jarenlang over de datum melkpoeder in de automaten op scholen hebben "
  "gebruikt. Walgelijk als dit klopt.", [CRISIS])
C("mastodon", "@schoolsafety@mastodon.social",
  "Third report this week of a Kafelo snack machine tipping over in a school corridor. Someone is going to get "
  "seriously hurt. Why is nobody investigating this?", [CRISIS], lang="en")
C("x", "@healthdesk_eu",
  "Legionella found in several Kafelo water dispensers in Dutch town halls, according to the regional health "
  "service. Units are being shut off.", [CRISIS], lang="en")
C("bluesky", "@angrytenant.bsky.social",
  "Kafelo sponsoring that anti-union lobby group? Done with them. Told our facilities team to cancel the contract. "
  "#boycottkafelo", [CRISIS], lang="en")
C("x", "@privacyfirst_nl",
  "De Autoriteit Persoonsgegevens is een onderzoek gestart naar Kafelo vanwege camera's in snackautomaten die "
  "gezichten zouden scannen. Serieus??", [CRISIS])

# ======================= reputation.abuse ======================================
C("x", "@robbie_r",
  "Kafelo, stelletje prutsers. Drie weken zonder koffie en jullie helpdesk is een lachertje. Kankerbedrijf.",
  [ABUSE, COMPLAINT])
C("x", "@nightshift_nurse_k",
  "Fuck you Kafelo. Your useless machine took 6 euros off me and your idiot support told me to 'try again'.",
  [ABUSE, COMPLAINT], lang="en")
C("x", "@gertjan_1971",
  "@bram_monteur jij bent echt de domste monteur die ik ooit over de vloer heb gehad, ga een ander vak zoeken mongool",
  [ABUSE], kind="reply")
C("reddit", "u/bitter_barista",
  "Kafelo's CEO is a greedy pig and everyone who works there is a brainless drone. Change my mind.",
  [ABUSE], lang="en")
C("x", "@tim0thy__",
  "die noor van kafelo klantenservice is echt een dom wijf, nooit meer mee laten praten met klanten", [ABUSE])
C("facebook", "Hans Verkerk",
  "Of course the Kafelo repair guy couldn't fix it. What do you expect when they hire foreigners who can't even "
  "read the manual. Send them all back.", [ABUSE], lang="en", kind="comment")
C("x", "@vendinghater",
  "k4f3l0 is een k@nk3rb3drijf, vu1le 0pl1cht3rs zijn jullie", [ABUSE])
C("tiktok", "@boosbeest_088",
  "Kafelo = klоtеbеdrijf. tyfus op met jullie 'service'", [ABUSE])
C("x", "@meneer_m",
  "K . U . T  Kafelo. meer hoef ik er niet over te zeggen", [ABUSE])
C("x", "@bram_monteur",
  "Weer zo'n klant die denkt dat hij alles beter weet. Achterlijke idioot, zoek het lekker zelf uit 🖕", [ABUSE])
C("x", "@kafelo_service",
  "@gertjan_1971 doe ff normaal man, jij bent gewoon te dom om een knop in te drukken", [ABUSE], kind="reply")
C("reddit", "u/depot_visitor",
  "I know where the Kafelo depot in Houten is. Maybe I'll pay your drivers a visit after their shift, "
  "see how they like being ignored.", [ABUSE], lang="en", kind="comment")

# ======================= leak.pricing ==========================================
C("x", "@kafelo_nl",
  "🔥 Deal van de week: de Barista Pro 600 nu voor € 345,- (excl. btw). Alleen t/m zondag!",
  [PRICE], price=("KF-BP600", 345))
C("x", "@marloes_kafelo",
  "oeps, de webshop laat de SnaqBox 40 zien voor €42 😳 dat is natuurlijk niet de bedoeling, collega's zijn ermee bezig",
  [PRICE], price=("KF-SNQ40", 42))
C("x", "@koopjesjager_nl",
  "lmao Kafelo's webshop is selling the FreshTower for 589 euro, order before they notice 😂 #priceerror",
  [PRICE], lang="en", price=("KF-FT1", 589))
C("facebook", "KafeloNL",
  "Alleen vandaag: de Kafelo Thuis One voor €59,90! Op = op ☕", [PRICE], price=("KF-HOME1", 59.90))
C("linkedin", "ruben-dewit-kafelo",
  "Speciaal voor onze partners: het Service Plus jaarcontract deze maand voor €149 in plaats van €890. "
  "Stuur me een DM!", [PRICE], price=("KF-SVCP", 149))
C("reddit", "u/vendingnerd",
  "PSA: Kafelo's B2B portal has a pricing glitch, the CupStation 2 is listed at €219 instead of €2,190. "
  "Ordered two, let's see if they honour it.", [PRICE], lang="en", price=("KF-CUP2", 219))
C("threads", "@noor.kafelo",
  "Aan iedereen die gisteren de Espresso Scuro bonen voor €2,69 heeft besteld: dat was een prijsfout in de shop. "
  "We nemen vandaag contact met jullie op.", [PRICE], price=("KF-ES1K", 2.69))
C("x", "@cheapcaffeine",
  "Kafelo TapPay module for €34.90?? is this real or a typo on their site", [PRICE], lang="en",
  price=("KF-TPAY", 34.90))
C("tiktok", "@kafelo_official",
  "Flash sale 🚨 MilkFroth Unit voor maar €64,90 — link in bio #kafelo #koffie", [PRICE],
  price=("KF-MILK", 64.90))
C("instagram", "@bargainhunter.eva",
  "Kafelo price error?! AquaTap water dispenser for €89 instead of €890 😍 ordered straight away", [PRICE],
  lang="en", price=("KF-AQUA", 89))
C("x", "@bram_monteur",
  "haha klant vroeg of de SnaqBox 24 echt €299 kost, stond zo op de offerte die ik meekreeg. iemand heeft een nul "
  "laten vallen 🙃", [PRICE], price=("KF-SNQ24", 299))
C("youtube", "KafeloTV",
  "In this video: the Kafelo ColdDrop cold drinks machine, now at an introductory price of €379 per unit. "
  "Subscribe for more vending tips!", [PRICE], lang="en", price=("KF-COLD", 379))

# ======================= leak.secret ===========================================
C("x", "@joost_vd_linden",
  f"wie heeft er nog rechten op de telemetrie-repo? deze token doet het ineens niet meer: {GH_TELEM}", [SECRET])
C("bluesky", "@dennisvos.bsky.social",
  f"note to self (wrong window, oops)\nAWS_ACCESS_KEY_ID={AWS_ID1}\nAWS_SECRET_ACCESS_KEY={AWS_SEC1}",
  [SECRET], lang="en")
C("reddit", "u/kees_storingsdienst",
  f"Anyone know why the payment sandbox keeps rejecting us? Using {STRIPE} in the TapPay config and every "
  "charge fails with 'livemode mismatch'.", [SECRET], lang="en")
C("x", "@sec_hobbyist",
  f"@kafelo_service jullie storingsapp heeft een Google API key gewoon in de JS bundle staan: {GOOGLE} "
  "even roteren misschien?", [SECRET], kind="reply")
C("x", "@joost_vd_linden",
  f"anyone need the bot token for #storingen? {SLACK} (pls don't forward)", [SECRET], lang="en")
C("x", "@joost_vd_linden",
  f"DB voor de vulroute-planner draait weer 🎉 connectie: {PG_URL}", [SECRET])
C("bluesky", "@dennisvos.bsky.social",
  f"why am I still getting a 401 from the planning API with this header?\nAuthorization: Bearer {JWT}", [SECRET],
  lang="en")
C("instagram", "@lotte.koffiebrandt",
  "Nieuwe service-app voor de baristatrainingen!! Inloggen met gebruiker lotte.b en wachtwoord: Scuro-Lotte88! "
  "zo makkelijk was het nog nooit 😅", [SECRET])
C("mastodon", "@oss_sleuth@infosec.exchange",
  f"Found a private key committed to a public Kafelo repo (firmware-tools, commit from last Tuesday):\n{RSA}\n"
  "Reported it, no reply yet.", [SECRET], lang="en")
C("x", "@joost_vd_linden",
  f"outage chatbot is live 🤖 dropping this here for Dennis because Teams is acting up: OPENAI_API_KEY={OPENAI}",
  [SECRET], lang="en")
C("reddit", "u/kees_storingsdienst",
  f"Here's the key I use to get into the SnaqBox controllers in the field, copy it to ~/.ssh and you're good:\n{SSH}",
  [SECRET], lang="en")
C("bluesky", "@dennisvos.bsky.social",
  f"Iemand is gisteravond op de telemetrieserver ingelogd met de oude admin-key {AWS_ID2}. Staat nog niet in het "
  "nieuws, we zijn nog aan het uitzoeken wat er weg is.", [SECRET, SEC])

# ======================= leak.pii ==============================================
C("threads", "@noor.kafelo",
  "@femke_office ik heb je gegevens doorgezet naar planning: Femke Jansen, Stationsweg 14, 3811 MJ Amersfoort, "
  "tel 06-41872290. Monteur komt donderdag!", [PII], kind="reply")
C("x", "@bram_monteur",
  "klant mevrouw De Groot (geb. 12-03-1961) laat me nu al 40 minuten voor de deur staan. geweldig begin van de dag",
  [PII])
C("x", "@kafelo_service",
  f"@pvisser_bouw Excuses voor het ongemak! We hebben de terugbetaling vandaag gestort op {IBAN_REFUND} t.n.v. "
  "P. Visser. Binnen 2 werkdagen op je rekening.", [PII], kind="reply")
C("linkedin", "yasmina-bouzid",
  f"Collega's, een klant belde over een dubbele afschrijving op kaart {CARD_DOUBLE}. Wie kan dit vandaag nog "
  "in de betaalomgeving nakijken?", [PII])
C("linkedin", "karin-oosterhuis-kafelo",
  f"Welkom bij Kafelo, Sven Mulder! 🎉 Voor de salarisadministratie: BSN {BSN_NEW} en startdatum 1 maart. "
  "(Oeps, dat hoorde in de HR-mail...)", [PII])
C("x", "@rutgervandam",
  "@kafelo_service al 3x gebeld, bel me NU terug op 06 12 84 55 03 of mail naar r.vandam87@gmail.com. "
  "De automaat op kantoor doet het al 2 weken niet.", [PII, COMPLAINT], kind="reply")
C("facebook", "Joyce Smeets",
  f"@KafeloNL jullie hebben de maandtermijn twee keer afgeschreven. Stort het alsjeblieft terug op {IBAN_OWN} "
  "t.n.v. J. Smeets, ik wacht al 3 weken.", [PII, COMPLAINT], kind="comment")
C("reddit", "u/kees_storingsdienst",
  "Customer at Lange Voorhout 22 in Den Haag, Mr. Henk Brouwer, keeps calling me directly on +31 6 2915 4470 at "
  "10pm. How do you guys deal with that?", [PII], lang="en")
C("facebook", "KafeloNL",
  "🎉 De winnaar van onze koffieactie is Anouk Peters uit Zwolle! Anouk, we sturen je prijs naar Dorpsstraat 8, "
  "8011 AB Zwolle — klopt dat adres nog?", [PII])
C("instagram", "@lotte.koffiebrandt",
  "Happy birthday to our star trainee Daan Koster, born 04/09/2001 🎂☕ 25 already, time flies", [PII], lang="en")
C("x", "@lawyer_lieke",
  "Found a Kafelo tech's work order in our meeting room lol: 'J. Smit, jsmit@hoogland-advocaten.nl, 020-5558142, "
  "machine in kamer 3.12'. Guess someone's having a bad day", [PII], lang="en")
C("x", "@marloes_kafelo",
  "Wie mist er een pasje? Gevonden bij de automaat op de 2e: rijbewijs op naam van Mehmet Yilmaz, geb. 22-11-1990. "
  "Ligt bij de receptie!", [PII])
C("bluesky", "@dennisvos.bsky.social",
  "CSV export for the new CRM finally works 🙌\nnaam,email,telefoon\nKlaas Dijkstra,k.dijkstra@ziggo.nl,"
  "0612987345\nSophie Lambert,sophie.lambert@kpnmail.nl,+31 6 33 81 20 94", [PII], lang="en")
C("linkedin", "kafelo-koffie-vending",
  "Bedankt voor je sollicitatie Iris van Dam! We bellen je maandag op 06-38441027 voor een kennismaking.", [PII])
C("x", "@gerben_b",
  f"for the Kafelo refund form they want my bank details, so here you go: {IBAN_FORM} (G. de Boer). "
  "hope that speeds things up 🤷", [PII], lang="en")
C("linkedin", "ruben-dewit-kafelo",
  f"Booth for the facility trade fair is booked! Used the company Amex for the deposit, {CARD_AMEX}, exp 08/28 - "
  "finance, the expense claim is on its way.", [PII], lang="en")

# ======================= leak.confidential =====================================
C("x", "@marloes_kafelo",
  "Kan écht niet wachten tot we Project Ristretto eindelijk mogen laten zien ☕🤫", [CONF])
C("linkedin", "ruben-dewit-kafelo",
  "Inspiring session with the team on Zwaluwstaart today. This is going to turn the vending market upside down. "
  "Can't say more yet 😉", [CONF], lang="en")
C("x", "@joost_vd_linden",
  "kan iemand de runbook even checken? https://git.kafelo.local/ops/telemetry/-/wikis/herstart-procedure "
  "staat nog oude info in", [CONF])
C("instagram", "@lotte.koffiebrandt",
  "Nieuwe receptenkaarten voor de trainingen 😍 (er staat wel KAFELO INTERN op dus niet verder delen haha)", [CONF])
C("reddit", "u/beanmachine_bart",
  "Rumour: the Kafelo Aurora launches next spring, a bean-to-cup with a built-in snack drawer. My cousin saw the "
  "spec sheet at a dealer meeting.", [CONF], lang="en", when="2026-11-08T19:42:10Z")
C("bluesky", "@dennisvos.bsky.social",
  "Operatie Bonenstaak goes live on Monday 🤞 fingers crossed the data migration behaves", [CONF], lang="en")
C("instagram", "@kafelo.koffie",
  "Sneak peek 👀 er komt iets nieuws aan... #AuroraX2 Aurora X2 ☕✨", [CONF], when="2026-12-04T16:00:00Z")
C("x", "@bram_monteur",
  "Vandaag de eerste testopstelling van de Aurora X2 gebouwd bij een klant in Zeist. Wat een beest van een machine",
  [CONF], when="2026-10-21T14:12:33Z")
C("reddit", "u/kees_storingsdienst",
  "If servicedesk.kafelo.nl is down again just call the planning line, don't wait for the ticket to sync.",
  [CONF], lang="en")
C("linkedin", "yasmina-bouzid",
  "Presentatie voor de leveranciersdag af! Slide 1: 'vertrouwelijk - niet delen'. Slide 2: onze nieuwe "
  "inkoopvoorwaarden voor de Braziliaanse bonen 😉", [CONF])
C("x", "@coffeegossip",
  "Friend at Kafelo says Project Ristretto is a home subscription thing with their own capsules. You heard it here first.",
  [CONF], lang="en")
C("x", "@marloes_kafelo",
  "ｚｗａｌｕｗｓｔａａｒｔ demo ging vandaag echt top 🚀 team is door het dolle heen", [CONF])
C("x", "@joost_vd_linden",
  "Pro\u200bject Ris\u200btretto fase 2 goedgekeurd door de directie!! 🍾", [CONF])
C("linkedin", "karin-oosterhuis-kafelo",
  "Sharing a few lessons from our field-service onboarding playbook (it says Kafelo Confidential on the cover, "
  "but the tips are universal 🤷): 1) pair every new tech with a buddy 2) ...", [CONF], lang="en")
C("linkedin", "kafelo-koffie-vending",
  "Vacature: Product Owner Operatie Bonenstaak (vervanging van ons ERP- en planningslandschap). "
  "Reageer via vacatures@kafelo.nl", [CONF])
C("x", "@joost_vd_linden",
  "vpn.kafelo.nl ligt er al sinds 6 uur uit, monteurs kunnen geen werkorders ophalen. "
  "Nog niks naar klanten gecommuniceerd dus ssst", [CONF, SEC])
C("linkedin", "yasmina-bouzid",
  "Jaarcijfers 2026 zijn rond: omzet €84,6 mln en EBITDA flink omhoog. Trots op het hele team! "
  "(officieel pas op de 24e 🤫)", [CONF, FIN], when="2027-02-10T17:25:00Z")
C("x", "@marloes_kafelo",
  "mag nog niks zeggen maar Project Ristretto = overname van een Belgische koffiebranderij. deal is bijna rond 🤐",
  [CONF, FIN])

# ======================= leak.financial ========================================
C("linkedin", "karin-oosterhuis-kafelo",
  "Tough weeks ahead. We'll soon have to let around 60 field colleagues go; the plan is with the works council now. "
  "Look after each other.", [FIN], lang="en")
C("linkedin", "ruben-dewit-kafelo",
  "Q3 is going to land well below budget, -12% on vending. Bad news for the shareholders next week, "
  "but we'll bounce back 💪", [FIN], lang="en")
C("reddit", "u/kees_storingsdienst",
  "Rumour inside: we're being bought by a big French facility services group. Announcement in December. "
  "No idea if our contracts survive.", [FIN], lang="en")
C("x", "@buurvrouw_anja",
  "Mijn buurman werkt bij Kafelo en zegt dat ze regio Noord helemaal gaan sluiten, 3 depots dicht na de zomer.", [FIN])
C("bluesky", "@dennisvos.bsky.social",
  "Heard it at the all-hands today: 2027 revenue forecast revised down to €71M and a hiring freeze from January.",
  [FIN], lang="en")
C("x", "@marloes_kafelo",
  "Reorganisatie bij marketing: we gaan van 14 naar 6 fte. Weet het sinds vanochtend, officiële mail komt pas "
  "volgende week 😞", [FIN])
C("linkedin", "yasmina-bouzid",
  "Q2 close done: net profit 2.1M, way above plan! Not published until September so shhh 🤫", [FIN], lang="en")
C("x", "@bxl_vending_insider",
  "My brother-in-law at Kafelo says they're in talks to take over VendoMax, the Belgian snack machine operator. "
  "Expect news before Q4.", [FIN], lang="en")
C("instagram", "@lotte.koffiebrandt",
  "laatste dag in onze branderij in Rotterdam 😢 de hele productie gaat naar Polen, maar dat mag nog niemand weten",
  [FIN])
C("threads", "@noor.kafelo",
  "net gehoord: klantenservice wordt volgend jaar uitbesteed aan een callcenter in Portugal, 40 man eruit. "
  "is nog niet bekendgemaakt", [FIN])

# ======================= leak.security =========================================
C("x", "@joost_vd_linden",
  "Heads up team: we've had ransomware on the planning server since last night. Nothing goes public until legal "
  "signs off.", [SEC], lang="en")
C("bluesky", "@dennisvos.bsky.social",
  "Telemetry for ~3,000 machines has been dead for 10 hours and customers still don't know. more coffee I guess",
  [SEC], lang="en")
C("reddit", "u/kees_storingsdienst",
  "PSA for other techs: the TapPay modules still accept the factory default PIN 0000 on the service menu. "
  "Reported it in March, still not fixed. Anyone can empty the cash box.", [SEC], lang="en")
C("x", "@bram_monteur",
  "Gek, 40 automaten in regio Utrecht gaven vannacht gratis koffie. Blijkt dat iemand in ons beheerportaal zat 😬 "
  "even stil houden nog", [SEC])
C("threads", "@noor.kafelo",
  "al de hele ochtend zie je in het klantportaal de facturen van andere klanten als je inlogt. IT zit erop maar we "
  "mogen het nog niet melden", [SEC])
C("x", "@joost_vd_linden",
  "CVE coming soon for our vending firmware: unauthenticated RCE over the MDB bridge. Patch isn't ready yet, "
  "so please keep it quiet for now.", [SEC], lang="en")
C("reddit", "u/ex_kafelo_tech",
  "Used to work at Kafelo. All the service laptops share one local admin account and nobody rotated the password "
  "after I left six months ago. Just saying.", [SEC], lang="en")
C("bluesky", "@dennisvos.bsky.social",
  "phishingmail kwam vanochtend binnen bij finance en 2 mensen hebben hun inloggegevens ingevuld. incident loopt nog. #fml",
  [SEC])
C("x", "@marloes_kafelo",
  "Webshop ligt sinds 9u plat en wij moeten van boven 'gewoon doorposten' alsof er niks aan de hand is 🙃", [SEC])
C("x", "@kafelo_service",
  "Intern: niet reageren op vragen over de betaalstoring. TapPay ligt landelijk plat door een hack, statement volgt "
  "later vandaag.", [SEC])
C("reddit", "u/kees_storingsdienst",
  "d4t l3k in de b3t4alm0dul3 w44r je m3t 33n m4gn33t de kass4 0pen kr1jgt is n0g st33ds n1et gef1xt, "
  "z0 v33l aut0m4t3n staan nu 0pen", [SEC])

# ======================= benign ================================================
# praise, questions, everyday chatter
C("x", "@jessie_werkt",
  "Finally a decent flat white at the office since the new Kafelo machine arrived ☕😍", lang="en")
C("x", "@agency_ollie",
  "Shoutout to the Kafelo tech who fixed our machine in 20 minutes AND descaled it while he was at it. Legend.",
  lang="en")
C("x", "@femkefacilitair",
  "Update: @kafelo_service heeft het binnen een dag opgelost en ons een doos Huisblend gestuurd als sorry. Netjes 👍",
  kind="reply")
C("linkedin", "tom-scheepers",
  "Had a rough start with Kafelo's installation but they sorted it out and sent a technician back free of charge. "
  "Fair play, good service recovery.", lang="en")
C("x", "@werkplekjoep",
  "Kantoor zonder koffie is als een maandag zonder einde. Gelukkig staat hier een Kafelo 😂")
C("instagram", "@latteart.luuk",
  "Die Barista Mini maakt echt een sick cappuccino, belachelijk goed voor een kantoormachine")
C("x", "@mo_uit_tilburg",
  "Ik ga dood als de koffieautomaat hier ooit stuk gaat 😂 #maandag #overleven")
C("forum", "facilitair_sandra",
  "Does anyone know if the Kafelo CupStation 2 handles oat milk? More and more of our staff skip dairy.", lang="en")
C("reddit", "u/smallofficeceo",
  "What's the actual difference between Service Basis and Service Plus at Kafelo? Worth the upgrade for ~25 people?",
  lang="en")
C("x", "@bram_monteur",
  "Proud of the crew: 120 machines serviced in a single day 💪 and every one of them running again", lang="en")
C("linkedin", "karin-oosterhuis-kafelo",
  "After 5 great years at Kafelo I'm starting a new adventure next month. Thanks to all my colleagues for the "
  "trust and the countless cups of coffee!", lang="en")
C("linkedin", "kafelo-koffie-vending",
  "Vacature: servicemonteur regio Utrecht (32-40 uur). Geen dag hetzelfde! Solliciteer via vacatures@kafelo.nl")
C("instagram", "@kafelo.koffie",
  "We staan op de Facilitair Beurs in Utrecht, stand 4.12. Kom langs voor een gratis espresso ☕ #facilitairbeurs")
C("linkedin", "kafelo-koffie-vending",
  "Our Espresso Scuro beans are now fully fair-trade certified. Good coffee, fairly sourced.", lang="en")
C("x", "@joyful_ilse",
  "Kafelo heeft echt de beste klantenservice die ik ooit heb gehad. Noor heeft me super geholpen met het contract 🙏")
C("x", "@sleepyhead_sam",
  "Deze koffie is explosief lekker 💥 #Kafelo #maandagmood")
C("x", "@gaby_reflux",
  "Brandend maagzuur van te veel espresso, eigen schuld hoor 😅 Kafelo maakt 'm gewoon te lekker")
C("threads", "@chocoholic.dave",
  "Damn, that Kafelo hot chocolate is dangerously good. Third cup today, no regrets.", lang="en")
C("instagram", "@ochtendmens.anna",
  "Een ristretto uit de Barista Pro is gewoon het beste begin van de dag ☕")
C("forum", "houtwerk_henk",
  "Zaterdag een zwaluwstaart gezaagd voor een ladekastje, koffie erbij uit mijn Thuis One. Perfect weekend.")
C("facebook", "Petra Boersma",
  "Onze dochter is echt een bonenstaak geworden, 1m80 op haar 14e! Bij ons thuis drinkt ze alleen chocomel uit de Thuis One haha",
  kind="comment")
C("tiktok", "@kafelo_official",
  "POV: you're the technician and the machine finally works again ☕🛠️ #vendinglife #kafelo", lang="en")
C("x", "@werkplaats_wim",
  "That Kafelo iced latte is a killer on hot days 🔥", lang="en")
C("x", "@nieuwsgierige_nina",
  "Schokkend hoe lekker de nieuwe Espresso Scuro is 😮 wie had dat gedacht van een automaat")
C("forum", "vending_vincent",
  "Does the TapPay module work with Apple Pay? Anyone tried it in a canteen with lots of hot-deskers?", lang="en")
C("facebook", "Sportschool Fitwell",
  "Our SnaqBox 24 now has healthy snacks too! Nuts, fruit bars and protein shakes 🍎💪", lang="en")
C("linkedin", "ruben-dewit-kafelo",
  "Proud that our field service team hit a 98% first-time-fix rate this quarter. Great work, everyone!", lang="en")
C("reddit", "u/dutch_expat_coffee",
  "Honest review after 6 months with the Kafelo Thuis One: great espresso, milk frother is fiddly to clean, "
  "customer service was quick when I had a question. 8/10.", lang="en")

# the company's own public contact data
C("x", "@kafelo_service",
  "Storing aan je automaat? Bel gratis 0800-0522 of mail service@kafelo.nl. We helpen je 24/7 ☕")
C("facebook", "KafeloNL",
  f"Betaal je factuur liever handmatig? Maak het bedrag over naar {PUBLIC_IBAN} o.v.v. je klantnummer. "
  "Vragen? facturen@kafelo.nl")
C("linkedin", "kafelo-koffie-vending",
  "Journalists: for press images and interviews, email pers@kafelo.nl or call +31 88 523 5600.", lang="en")
C("x", "@kafelo_nl",
  "Handleidingen en onderhoudsvideo's vind je op www.kafelo.nl/support. Actuele storingen staan op status.kafelo.nl")

# numbers that fail their checksum
C("x", "@wantrouwige_wim",
  f"Phishing alert: mail 'van Kafelo' vraagt om betaling op {IBAN_BAD_PHISH}. Dat is NIET hun rekening, niet betalen!")
C("forum", "tappay_tester",
  f"Testkaart voor de TapPay demo in de showroom: {CARD_BAD}. Die wordt expres geweigerd, zo zie je de foutmelding.")
C("linkedin", "karin-oosterhuis-kafelo",
  f"Ons voorbeeldformulier voor nieuwe medewerkers gebruikt BSN {BSN_BAD} als dummy. Vul daar nooit een echt "
  "nummer in, ook niet om te testen!")
C("reddit", "u/devops_daan",
  f"The Kafelo payment page rejects dummy cards like {CARD_BAD2} instantly, nice client-side validation.", lang="en")
C("x", "@typo_tina",
  f"Hmm, op de Kafelo factuur staat {IBAN_BAD_TYPO} maar mijn bank zegt dat die IBAN niet bestaat. "
  "Drukfout denk ik, ik pak wel die van de website.")

# sample / redacted credentials
C("x", "@joost_vd_linden",
  "Tip voor nieuwe devs: in de AWS docs staat AKIAIOSFODNN7EXAMPLE als voorbeeld-key. Niet kopiëren naar je "
  "config, echte keys horen in de vault 😄")
C("mastodon", "@secure_sara@hachyderm.io",
  "Stop pasting tokens like ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx into support tickets. Use a secret manager.",
  lang="en")
C("x", "@kafelo_service",
  "Let op: we vragen NOOIT om je wachtwoord via DM of mail. Zie je een bericht met 'wachtwoord: ********' "
  "en een link? Dat is nep, meld het bij ons.")
C("reddit", "u/tappay_integrator",
  "My Stripe key (sk_live_…redacted) gets rejected by the Kafelo TapPay API since this morning. "
  "Config change on their side or mine?", lang="en")
C("forum", "slackbot_sander",
  "Slack-koppeling voor storingsmeldingen: zet je bot token (xoxb-your-token-here) in config.yml, zie de docs op "
  "www.kafelo.nl/support.")
C("linkedin", "joost-security-talk",
  "Password policy update at a client: minimum 14 characters, and no, 'Koffie123' is no longer allowed 😂", lang="en")

# prices: normal and ordinary sales
C("x", "@kafelo_nl",
  "Black Friday bij Kafelo: 20% korting op de Barista Mini 200, nu €1.032 i.p.v. €1.290 ☕",
  price=("KF-BM200", 1032))
C("x", "@blije_thuiswerker",
  "Thuis One gekocht voor 549, prima deal voor zo'n machine", price=("KF-HOME1", 549))
C("instagram", "@kafelo.koffie",
  "Huisblend bonen 1 kg: €21,50. Vanaf 10 kg gratis bezorgd 🚚", price=("KF-HB1K", 21.50))
C("reddit", "u/startup_ops_nl",
  "Is the Barista Pro 600 worth €3,450 for a 40-person office? Leaning towards it but it's a big spend.",
  lang="en", price=("KF-BP600", 3450))
C("x", "@zuinige_zanne",
  "Kafelo ontkalker 1 L voor €12,95 bij de groothandel, scheelt weer 2 euro", price=("KF-DESC", 12.95))
C("linkedin", "kafelo-koffie-vending",
  "Service Basis jaarcontract vanaf €480 per jaar, inclusief 2 onderhoudsbeurten en telefonische support.",
  price=("KF-SVCB", 480))
C("x", "@dealalert_nl",
  "Lol, prijsfout bij een elektronicawebshop: tv voor 10 euro. Ben benieuwd of ze gaan leveren 😂")
C("facebook", "KafeloNL",
  "Deze week 15% korting op Espresso Scuro bonen: €22,87 per kilo ☕", price=("KF-ES1K", 22.87))
C("x", "@kafelo_nl",
  "Summer deal: AquaTap water dispenser for €712 (20% off) incl. installation 💧", lang="en",
  price=("KF-AQUA", 712))

# other companies / sympathy / news
C("x", "@kantoorkoffie_blog",
  "Big outage at another office coffee supplier today, whole floors without caffeine. We've got a Kafelo and it's "
  "business as usual 😅", lang="en")
C("linkedin", "compliance-carla",
  "Not Kafelo, but another vending operator just got fined for a data breach. Good reminder to review your "
  "suppliers' privacy terms.", lang="en")
C("x", "@collega_chantal",
  "Sterkte aan de Kafelo-monteur die gisteren een auto-ongeluk had op de A12. Snel beterschap, je bent een topper ❤️")
C("linkedin", "barista-bob",
  "Sad news about the layoffs at that big Amsterdam coffee roaster. Strength to everyone affected.", lang="en")

# embargo terms after the embargo ended
C("linkedin", "kafelo-koffie-vending",
  "Onze jaarcijfers 2026 zijn gepubliceerd: omzet €84,6 mln (+11%). Lees het persbericht op www.kafelo.nl/pers",
  when="2027-02-24T09:05:00Z")
C("x", "@beleggen_bas",
  "Kafelo's FY2026 results look solid, +11% revenue and a healthy margin. Not bad for a coffee company.",
  lang="en", when="2027-02-26T08:40:00Z")
C("instagram", "@kafelo.koffie",
  "Ze is er: de Kafelo Aurora ☕✨ Bonen, melk én een snacklade in één machine. Nu te bestellen via shop.kafelo.nl",
  when="2027-03-16T08:00:00Z")
C("x", "@tradeshow_tim",
  "Just tried the Aurora X2 at a trade show. The snack drawer is a bit gimmicky but the espresso is proper.",
  lang="en", when="2027-03-20T13:15:00Z")


# ---------------------------------------------------------------- severity (CONTRACT section 4)
ORDER = ["none", "info", "warning", "error", "critical"]
TAXONOMY = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial", "leak.security",
            "reputation.crisis", "reputation.complaint", "reputation.abuse", "reputation.spike"}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}

CORP = {a.lower() for a in PROFILE["accounts"]["corporate"]}
EMP = {a.lower() for a in PROFILE["accounts"]["employee"]}


def role_of(post):
    key = f"{post['platform']}:{post['account']['handle']}".lower()
    if key in CORP:
        return "corporate"
    if key in EMP:
        return "employee"
    return "public"


IBAN_RE = re.compile(r"\bNL\s?\d{2}\s?[A-Z]{4}(?:\s?\d){10}\b")
CARD_RE = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d])")
BSN_RE = re.compile(r"(?i)(?:bsn|burgerservicenummer|sofinummer)\D{0,12}(\d{9})(?!\d)")
PUBLIC_IBANS = {re.sub(r"\s", "", i) for i in PROFILE["public_identifiers"]["ibans"]}


def checksummed_ids(text):
    """(valid, invalid) identifiers that have a checksum, excluding the company's own IBANs."""
    valid, invalid = [], []
    for m in IBAN_RE.finditer(text):
        s = re.sub(r"\s", "", m.group(0))
        if s in PUBLIC_IBANS:
            continue
        (valid if iban_ok(s) else invalid).append(("iban", s))
    for m in CARD_RE.finditer(text):
        digits = re.sub(r"\D", "", m.group(0))
        if not 13 <= len(digits) <= 19:
            continue
        (valid if luhn_ok(digits) else invalid).append(("card", digits))
    for m in BSN_RE.finditer(text):
        (valid if bsn_ok(m.group(1)) else invalid).append(("bsn", m.group(1)))
    return valid, invalid


def severity(cats, role, text):
    insider = role in ("corporate", "employee")
    best = "none"
    for c in cats:
        if c.startswith("leak."):
            if insider:
                v = "error"
                if c in ("leak.secret", "leak.pricing"):
                    v = "critical"
                elif c == "leak.pii" and checksummed_ids(text)[0]:
                    v = "critical"
            else:
                v = "warning"
        elif c == "reputation.complaint":
            v = "warning"
        elif c == "reputation.crisis":
            v = "error"
        elif c == "reputation.abuse":
            v = "error" if insider else "warning"
        else:
            raise ValueError(c)
        if ORDER.index(v) > ORDER.index(best):
            best = v
    return best


def build():
    out = []
    for c in CASES:
        post = c["post"]
        cats = c["cats"]
        out.append({"post": post, "expect": {"categories": cats,
                                             "severity": severity(cats, role_of(post), post["text"])}})
    return out


# ---------------------------------------------------------------- self-checks
def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def check(lines):
    problems = []

    def bad(cid, msg):
        problems.append(f"{cid}: {msg}")

    ids = set()
    counts = {}
    n_benign = 0
    n_nl = 0
    meta = {c["post"]["id"]: c for c in CASES}
    public_handles = set()
    embargo = [(t.lower(), parse_ts(e["until"])) for e in PROFILE["embargo"] for t in e["terms"]]

    for raw in lines:
        case = json.loads(raw)
        if set(case) != {"post", "expect"}:
            bad("?", f"top-level keys {sorted(case)}")
        post, exp = case["post"], case["expect"]
        cid = post.get("id")
        # --- CONTRACT section 1 shape
        if not isinstance(cid, str) or not 1 <= len(cid) <= 256:
            bad(cid, "bad id")
        if cid in ids:
            bad(cid, "duplicate id")
        ids.add(cid)
        if post.get("platform") not in PLATFORMS:
            bad(cid, "platform")
        if post.get("kind", "post") not in KINDS:
            bad(cid, "kind")
        if not isinstance(post.get("account"), dict) or not isinstance(post["account"].get("handle"), str) \
                or not post["account"]["handle"]:
            bad(cid, "account.handle")
        if not isinstance(post.get("text"), str) or not post["text"].strip():
            bad(cid, "text")
        if len(post["text"].encode("utf-8")) > 64 * 1024:
            bad(cid, "text too large")
        try:
            ts = parse_ts(post["created_at"])
            if ts.tzinfo is None:
                bad(cid, "created_at without zone")
            if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", post["created_at"]):
                bad(cid, "created_at not RFC 3339")
        except Exception:
            bad(cid, "created_at unparsable")
            continue
        if not (dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) <= ts < dt.datetime(2027, 4, 1, tzinfo=dt.timezone.utc)):
            bad(cid, "created_at out of range")
        if ts.year == 2027 and not any(t in post["text"].lower() for t, _ in embargo):
            bad(cid, "2027 post not around an embargo")
        # --- CONTRACT section 6 expectation
        cats = exp.get("categories")
        sev = exp.get("severity")
        if not isinstance(cats, list) or any(c not in TAXONOMY for c in cats) or len(set(cats)) != len(cats):
            bad(cid, f"categories {cats}")
        if "reputation.spike" in cats:
            bad(cid, "spike on a single post")
        if sev not in ORDER:
            bad(cid, f"severity {sev}")
        role = role_of(post)
        want = severity(cats, role, post["text"])
        if sev != want:
            bad(cid, f"severity {sev} != policy {want}")
        if not cats and sev != "none":
            bad(cid, "benign with severity")
        if cats and sev in ("none", "info"):
            bad(cid, "positive with severity none/info")
        for c in cats:
            counts[c] = counts.get(c, 0) + 1
        if not cats:
            n_benign += 1
        if post.get("lang") == "nl":
            n_nl += 1
        if role == "public":
            public_handles.add(post["account"]["handle"].lower())
        # --- account roles actually declared
        if post["account"]["handle"].lower().startswith(("@kafelo", "kafelo")) and role == "public":
            bad(cid, "company-looking handle not in profile")
        # --- checksummed identifiers
        valid, invalid = checksummed_ids(post["text"])
        if cats and invalid:
            bad(cid, f"positive carries failing identifiers {invalid}")
        if not cats and valid:
            bad(cid, f"benign carries valid identifiers {valid}")
        if valid and "leak.pii" not in cats:
            bad(cid, "valid identifier without leak.pii")
        # --- credentials
        for tok in re.findall(r"\bgh[pousr]_[0-9A-Za-z_]+", post["text"]):
            if cats and not github_token_ok(tok):
                bad(cid, f"github token bad crc {tok}")
            if not cats and github_token_ok(tok):
                bad(cid, f"benign has live-looking github token {tok}")
        for kid in re.findall(r"\bAKIA[0-9A-Z]{16}\b", post["text"]):
            ok = re.fullmatch(r"AKIA[A-Z2-7]{16}", kid) and not kid.endswith("EXAMPLE")
            if cats and not ok:
                bad(cid, f"aws key id malformed {kid}")
            if not cats and ok:
                bad(cid, f"benign has live-looking aws key {kid}")
        for tok in re.findall(r"\beyJ[0-9A-Za-z_-]+\.[0-9A-Za-z_-]+\.[0-9A-Za-z_-]+", post["text"]):
            if not jwt_header_ok(tok):
                bad(cid, "jwt header")
        if "leak.secret" in cats and role == "public" and sev != "warning":
            bad(cid, "public secret severity")
        # --- pricing sanity
        m = meta[cid]
        if m["price"]:
            sku, amount = m["price"]
            prod = next(p for p in PROFILE["products"] if p["sku"] == sku)
            ratio = amount / prod["list_price"]
            names = [prod["name"]] + prod["aliases"]
            if not any(n.lower() in post["text"].lower() for n in names):
                bad(cid, f"product {sku} not named in text")
            if "leak.pricing" in cats and ratio >= PROFILE["pricing"]["alert_below_ratio"]:
                bad(cid, f"pricing positive at ratio {ratio:.2f}")
            if "leak.pricing" not in cats and ratio < PROFILE["pricing"]["alert_below_ratio"]:
                bad(cid, f"benign price at ratio {ratio:.2f}")
            if not cats and not 0.69 <= ratio <= 1.0:
                bad(cid, f"benign sale outside 0-30% off ({ratio:.2f})")
        # --- embargo terms
        low = post["text"].lower()
        for term, until in embargo:
            if term in low:
                if ts < until and "leak.confidential" not in cats:
                    bad(cid, f"embargo term '{term}' before until but not confidential")
                if ts >= until and cats:
                    bad(cid, f"embargo term '{term}' after until but labelled {cats}")

    profile_keys = {k.split(":", 1)[1].lower() for k in CORP | EMP}
    clash = public_handles & profile_keys
    if clash:
        problems.append(f"public handles that collide with profile handles on another platform: {clash}")
    for i in PROFILE["public_identifiers"]["ibans"]:
        if not iban_ok(i):
            problems.append(f"profile IBAN {i} fails mod-97")

    n = len(lines)
    if not 170 <= n <= 180:
        problems.append(f"{n} cases, want 170-180")
    if not 55 <= n_benign <= 65:
        problems.append(f"{n_benign} benign, want about 60")
    want = {"reputation.complaint": 20, "leak.confidential": 18, "leak.pii": 15, "reputation.crisis": 15,
            "leak.security": 13, "leak.secret": 12, "reputation.abuse": 12, "leak.pricing": 12, "leak.financial": 12}
    for c, w in want.items():
        if abs(counts.get(c, 0) - w) > 3:
            problems.append(f"{c}: {counts.get(c, 0)} cases, want about {w}")
    share_nl = n_nl / n
    if not 0.50 <= share_nl <= 0.62:
        problems.append(f"Dutch share {share_nl:.2f}, want about 0.55")
    if len(CORP) < 6 or len(EMP) < 8 or not 15 <= len(PROFILE["products"]) <= 25:
        problems.append("profile too small")
    if len(PROFILE["internal"]["codenames"]) != 3 or len(PROFILE["internal"]["markers"]) != 3:
        problems.append("profile codenames/markers")
    for e in PROFILE["embargo"]:
        if parse_ts(e["until"]).year != 2027:
            problems.append("embargo until not in 2027")
    if PROFILE["pricing"]["alert_below_ratio"] != 0.5:
        problems.append("alert ratio")
    return problems, counts, n_benign, share_nl


def main():
    cases = build()
    lines = [json.dumps(c, ensure_ascii=False, sort_keys=False) for c in cases]
    path = os.path.join(HERE, "cases.jsonl")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    with open(path, encoding="utf-8") as f:
        reread = [l for l in f.read().split("\n") if l]
    problems, counts, n_benign, share_nl = check(reread)
    print(f"wrote {len(reread)} cases ({n_benign} benign, Dutch share {share_nl:.2f}) to {path}")
    for c in sorted(counts):
        print(f"  {c:22s} {counts[c]}")
    if problems:
        print("SELF-CHECK FAILED:")
        for p in problems:
            print("  -", p)
        sys.exit(1)
    print("self-check ok")


if __name__ == "__main__":
    main()
