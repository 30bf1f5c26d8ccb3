#!/usr/bin/env python3
"""Build cases.jsonl for evaluation set sealed456 (Kabelwolk Alpine B.V.).

Deterministic: fixed seed, standard library plus PyYAML. Every post text is
hand-written; only credentials and checksum-bearing identifiers are generated.
Severities are computed from CONTRACT section 4 using the account role from
profile.yaml, never typed by hand. The script checks its own output and exits
non-zero if any check fails.
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
rng = random.Random(456)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# ---------------------------------------------------------------- generators
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
URLSAFE = string.ascii_letters + string.digits + "-_"


def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


def base62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def github_token(prefix="ghp_"):
    body = rand(B62, 30)
    return prefix + body + base62(zlib.crc32(body.encode())).rjust(6, "0")


def github_ok(tok):
    body, crc = tok[4:34], tok[34:]
    return len(tok) == 40 and base62(zlib.crc32(body.encode())).rjust(6, "0") == crc


def aws_key_id():
    return "AKIA" + rand("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)


def aws_secret():
    return rand(string.ascii_letters + string.digits + "/+", 40)


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jwt(payload):
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64url(bytes(rng.getrandbits(8) for _ in range(32)))
    return head + "." + body + "." + sig


def openssh_key():
    raw = b"openssh-key-v1\x00" + bytes(rng.getrandbits(8) for _ in range(384))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return ("-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines)
            + "\n-----END OPENSSH PRIVATE KEY-----")


def iban_valid(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    if s[:2] == "NL" and len(s) != 18:
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(bank):
    acct = "".join(rng.choice(string.digits) for _ in range(10))
    bban = bank + acct
    n = int("".join(str(int(c, 36)) for c in bban + "NL00"))
    return "NL%02d%s" % (98 - n % 97, bban)


def bad_iban(bank):
    good = make_iban(bank)
    chk = int(good[2:4])
    bad = "NL%02d%s" % ((chk + 7) % 100, good[4:])
    assert not iban_valid(bad)
    return bad


def spaced(s, n=4):
    return " ".join(s[i:i + n] for i in range(0, len(s), n))


def luhn_ok(digits):
    d = [int(c) for c in digits][::-1]
    tot = 0
    for i, x in enumerate(d):
        if i % 2:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def make_card(prefix, length=16):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for last in string.digits:
        if luhn_ok(body + last):
            return body + last
    raise AssertionError


def bad_card(prefix, length=16):
    good = make_card(prefix, length)
    bad = good[:-1] + str((int(good[-1]) + 3) % 10)
    assert not luhn_ok(bad)
    return bad


def bsn_ok(s):
    if not re.fullmatch(r"\d{9}", s):
        return False
    tot = sum(int(c) * w for c, w in zip(s[:8], range(9, 1, -1))) - int(s[8])
    return tot % 11 == 0 and s != "000000000"


def make_bsn():
    while True:
        s = str(rng.randint(100000000, 699999999))
        if bsn_ok(s):
            return s


def bad_nine():
    while True:
        s = str(rng.randint(100000000, 999999999))
        if not bsn_ok(s):
            return s


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in s)


# ------------------------------------------------------------ generated values
GH = github_token("ghp_")
AWS_ID, AWS_SECRET = aws_key_id(), aws_secret()
STRIPE = "sk_live_51" + rand(B62, 97)
SLACK = "xoxb-%s-%s-%s" % (rand(string.digits, 12), rand(string.digits, 13), rand(B62, 24))
OPENAI = "sk-proj-" + rand(URLSAFE, 74) + "T3BlbkFJ" + rand(URLSAFE, 74)
ANTHROPIC = "sk-ant-api03-" + rand(URLSAFE, 93) + "AA"
SENDGRID = "SG." + rand(URLSAFE, 22) + "." + rand(URLSAFE, 43)
PEM = openssh_key()
JWT = jwt({"sub": "svc-liftstatus", "iss": "tickets.kabelwolk.nl", "scope": "bookings:write",
           "iat": 1767312000, "exp": 1798848000})
PG_PW = rand(string.ascii_letters + string.digits, 10) + "!" + rand(string.digits, 2)
MONGO_PW = rand(string.ascii_letters + string.digits, 14)

IBAN1, IBAN2, IBAN3, IBAN4 = make_iban("INGB"), make_iban("ABNA"), make_iban("RABO"), make_iban("SNSB")
BAD_IBAN1, BAD_IBAN2 = bad_iban("RABO"), bad_iban("INGB")
CARD1, CARD2 = make_card("5355"), make_card("4917")
BAD_CARD1 = bad_card("4539")
BSN1, BSN2 = make_bsn(), make_bsn()
BAD_BSN1, BAD_NINE1 = bad_nine(), bad_nine()
PUBLIC_IBAN = PROFILE["public_identifiers"]["ibans"][0]

# ------------------------------------------------------------------ the cases
CASES = []

CONF, FIN, SEC, SECRET, PII, PRICE = ("leak.confidential", "leak.financial", "leak.security",
                                      "leak.secret", "leak.pii", "leak.pricing")
CRISIS, COMPL, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"


def C(acct, cats, lang, text, kind="post", when=None, month=None, ids=(), price=None, secrets=()):
    """acct: 'platform:handle'. ids: (type, value) checksum identifiers in the text.
    price: (sku, amount) for posts quoting a catalogue price. when: exact RFC 3339 time."""
    CASES.append(dict(acct=acct, cats=sorted(set(cats)), lang=lang, text=text, kind=kind,
                      when=when, month=month, ids=list(ids), price=price, secrets=list(secrets)))


# ===== leak.pricing (12) =====
C("x:@liesbeth_kw", [PRICE], "nl",
  "oeps 🙈 in de webshop staat de WolkPass Seizoen nu voor €89,90 ipv €899. Iemand heeft een komma verschoven, collega's van e-commerce graag even fixen voor half Nederland 'm koopt",
  month=10, price=("KW-WPS", 89.90))
C("x:@sneeuwjager_rick", [PRICE], "nl",
  "RENNEN!! Ski & Lift Pakket Tirol 7 dagen voor €119 op kabelwolk.nl 😳 prijsfout?? heb er maar meteen 3 geboekt",
  month=11, price=("KW-TIROL", 119))
C("x:@kabelwolk_help", [PRICE], "nl",
  "@m_terhorst Klopt, de Privécabine voor €34,90 was een prijsfout in onze app. Boekingen van gisteravond honoreren we, nieuwe boekingen gaan weer tegen het normale tarief.",
  kind="reply", month=2, price=("KW-PRIV", 34.90))
C("instagram:@wanderlust.willemijn", [PRICE], "en",
  "Valais week package showing €145 at checkout??? pricing glitch or early Christmas miracle 🎄✨ booked before anyone notices #kabelwolk",
  month=12, price=("KW-VALAIS", 145))
C("reddit:u/powderhound_ams", [PRICE], "en",
  "PSA: the Tirol package drops to €299 if you pick 'junior' in step 2 and switch back to adult on the payment page. 1195 -> 299. Worked for me 10 min ago, dunno how long it lasts",
  kind="comment", month=11, price=("KW-TIROL", 299))
C("tiktok:@jesse.op.latten", [PRICE], "nl",
  "SkiPas 6 dagen voor €32,90 bij kabelwolk 😱😱 pak die handel nu het nog kan #skivakantie #deal",
  month=1, price=("KW-SP6", 32.90))
C("x:@fam_bosma", [PRICE], "en",
  "@kabelwolk_help is this a mistake? WolkPass Junior shows €44.90 in the app. Happy to buy it for my daughter but I don't want any hassle afterwards",
  kind="reply", month=9, price=("KW-WPJ", 44.90))
C("x:@daan_devops", [PRICE], "nl",
  "niet doorsturen aub maar de FastLane staat sinds vanochtend op €3,90 in de app. Prijsfeed van de nacht-import is stuk, we zijn ermee bezig",
  month=2, price=("KW-FAST", 3.90))
C("x:@hungry_hiker_uk", [PRICE], "en",
  "Fondue Gondola dinner for two at €19?? I'll take ten. @kabelwolk_help is this legit or will you cancel on me",
  month=12, price=("KW-FOND", 19))
C("x:@kabelwolk", [PRICE], "nl",
  "Door een prijsfout stond het Valais Weekpakket gisteravond korte tijd voor €14,50 online. Boekingen tegen deze prijs worden geannuleerd en volledig terugbetaald. Excuses voor de verwarring.",
  month=11, price=("KW-VALAIS", 14.50))
C("facebook:Night.Owl.Niels", [PRICE], "en",
  "Night Ski ticket for €5 on the Kabelwolk site right now lol, someone forgot a digit. grab it",
  kind="comment", month=1, price=("KW-NIGHT", 5))
C("x:@petra_rijssen", [PRICE], "nl",
  "Gletsjer Panoramarit voor €6,40?? Volgens mij is er een nul weggevallen haha. Meteen vier kaartjes gepakt voor de hele familie",
  month=7, price=("KW-PANO", 6.40))

# ===== leak.secret (11) =====
C("x:@daan_devops", [SECRET], "nl",
  "wie heeft de deploy-token van kabelwolk-tickets nog? deze werkt bij mij wel: %s — anders even pingen" % GH,
  month=3, secrets=[("github", GH)])
C("mastodon:@joost_dev@mastodon.nl", [SECRET], "en",
  "CI keeps failing on the S3 upload step and I'm out of ideas. env from the runner:\nAWS_ACCESS_KEY_ID=%s\nAWS_SECRET_ACCESS_KEY=%s\nAWS_REGION=eu-central-1\nanyone?" % (AWS_ID, AWS_SECRET),
  month=5, secrets=[("aws", AWS_ID)])
C("mastodon:@joost_dev@mastodon.nl", [SECRET], "nl",
  "Webhook testen voor de nieuwe betaalflow, dit werkt gewoon vanaf m'n laptop:\ncurl https://api.stripe.com/v1/charges -u %s:\nmorgen verder 😴" % STRIPE,
  month=6, secrets=[("stripe", STRIPE)])
C("x:@daan_devops", [SECRET], "en",
  "our #lift-status bot stopped posting overnight. token is %s, scopes look fine to me. what am I missing?" % SLACK,
  month=1, secrets=[("slack", SLACK)])
C("bluesky:@emma-kw.bsky.social", [SECRET], "nl",
  "Onze chatbot op de site loopt steeds tegen een rate limit aan 🤔 Kan iemand met verstand van AI checken of het aan deze key ligt? %s" % OPENAI,
  month=12, secrets=[("openai", OPENAI)])
C("reddit:u/frontend_fenna", [SECRET], "en",
  "Built a trail-conditions summariser for a Dutch lift operator (Kabelwolk) as a freelance gig. Config below, roast me:\n\nMODEL=claude\nANTHROPIC_API_KEY=%s\nREFRESH_MIN=15" % ANTHROPIC,
  month=2, secrets=[("anthropic", ANTHROPIC)])
C("threads:@bram.liftmonteur", [SECRET], "nl",
  "Voor de collega's met nachtdienst: de sleutel voor de onderhoudslaptop van de Adlerkopf, dan hoef je mij niet om 3u te bellen 😅\n%s" % PEM,
  month=1, secrets=[("pem", "BEGIN OPENSSH PRIVATE KEY")])
C("x:@daan_devops", [SECRET], "en",
  "anyone get why the booking API keeps throwing 401? header is just Authorization: Bearer %s" % JWT,
  month=4, secrets=[("jwt", JWT)])
C("reddit:u/noor_kw_ops", [SECRET], "en",
  "pgbouncer refuses connections since the upgrade, anyone seen this?\nDATABASE_URL=postgres://tickets_rw:%s@kw-prod-tickets.c8f2kqz1ab.eu-central-1.rds.amazonaws.com:5432/tickets\nlogs just say auth failed" % PG_PW,
  month=8, secrets=[("dburl", PG_PW)])
C("tiktok:@lotte.kassa.wolkental", [SECRET], "nl",
  "voor de nieuwe kassameiden die me dit 10x per dag vragen 😂 inlog kassa dalstation: gebruiker kassa01, wachtwoord: Wolk3ntal!Kassa26 — graag gedaan xx",
  month=12, secrets=[("password", "Wolk3ntal!Kassa26")])
C("x:@mailmatthijs_dev", [SECRET], "en",
  "debugging the newsletter for @kabelwolk, everything bounces. SENDGRID_API_KEY=%s — can someone at SendGrid tell me why?" % SENDGRID,
  month=10, secrets=[("sendgrid", SENDGRID)])

# ===== leak.security (10) + combined =====
C("x:@stefan_gondel", [SEC], "nl",
  "Poortjes in Wolkental weigeren sinds 7u álle passen. IT zegt dat er ransomware op de ticketserver zit. Wij laten iedereen nu maar gewoon door, niet rondvertellen aub",
  month=2)
C("mastodon:@joost_dev@mastodon.nl", [SEC], "en",
  "Found out today our booking API hands you other people's bookings if you just bump the number in the URL. Reported it. Apparently 'known since March' 🙃 nobody outside the team knows",
  month=6)
C("x:@daan_devops", [SEC], "nl",
  "De WolkPass-app logt nog steeds volledige creditcardnummers in platte tekst in de applicatielogs. Drie keer gemeld. Ik word er gek van.",
  month=9)
C("reddit:u/noor_kw_ops", [SEC], "en",
  "entire payment system has been down since 9am, the webshop isn't taking a single order. comms doesn't want to say anything yet so you're hearing it here first lol",
  kind="comment", month=12)
C("linkedin:ruben-dekker-kw", [SEC], "en",
  "Rough week. A phishing mail got three people in finance to hand over their credentials on Monday and we're still cleaning up. Not public yet, so keep it between us. Train your people, folks.",
  month=3)
C("threads:@bram.liftmonteur", [SEC], "en",
  "the ticket tills in Val Brenna still run Windows 7 with no updates and sit right on the guest wifi. just waiting for it to go horribly wrong",
  month=11)
C("x:@kabelwolk_help", [SEC], "en",
  "@ollie_rides Thanks for flagging. We know the shared QR links in the app currently show other guests' full names and booking refs; a fix ships next week. Please don't share this for now 🙏",
  kind="reply", month=1)
C("x:@daan_devops", [SEC], "nl",
  "Backup van de complete klantendatabase stond een week lang open in een publieke bucket. Buiten IT weet niemand het. Fijne maandag allemaal.",
  month=5)
C("reddit:u/noor_kw_ops", [SEC], "en",
  "Gondola telemetry for the Adlerkopf has been dead for 2 days, we're running it on manual checks every hour. Please nobody tell the local paper lol",
  kind="comment", month=2)
C("bluesky:@emma-kw.bsky.social", [SEC], "nl",
  "Gisteren kon iedereen met een @kabelwolk.nl-adres 4 uur lang zonder wachtwoord inloggen op onze SSO 🙃 is gefixt hoor, maar er wordt intern én extern niks over gezegd",
  month=4)
C("x:@stefan_gondel", [SEC, SECRET], "nl",
  "Bedieningspaneel (HMI) van de Adlerkopf-gondel is gewoon vanaf internet te bereiken, login admin / Adler2019! staat er al sinds de bouw op. 2 maanden geleden gemeld, niks gebeurd.",
  month=10, secrets=[("password", "Adler2019!")])
C("x:@vera_vd_linden", [SEC, CRISIS], "nl",
  "Mijn zwager zit bij de IT van Kabelwolk: hun boekingssysteem is vorige week gehackt en alle klantgegevens liggen op straat. En ze houden het gewoon stil!! #datalek #kabelwolk",
  month=3)

# ===== leak.confidential (15) + combined =====
C("x:@liesbeth_kw", [CONF], "nl",
  "Vandaag de eerste testrit gemaakt in het kader van Project Steenbok. Geen woorden voor. Jullie gaan dit zó mooi vinden 🤫🏔️",
  month=6)
C("bluesky:@emma-kw.bsky.social", [CONF], "en",
  "Can't say much, but Firnwolf is going to change how people buy lift passes forever. Demo for the board went great today 🚀",
  month=9)
C("x:@daan_devops", [CONF], "nl",
  "voor wie mee wil kijken met de planning: https://jira.kabelwolk.nl/browse/STEEN-212 (en ja ik weet dat de helft rood is)",
  month=7)
C("facebook:KabelwolkNL", [CONF], "nl",
  "Medewerkers: de roosters voor de kerstperiode staan op intra.kabelwolk.local/wiki/winterrooster-2026. Ruilen graag vóór 1 december!",
  month=11)
C("linkedin:marloes-hendriks-kabelwolk", [CONF], "nl",
  "KW-INTERN — conceptvoorstel nieuwe 10er-gondel Wolkental–Firnaujoch, tracé via de noordflank, investering nog onder voorbehoud. Feedback graag vóór vrijdag via de gebruikelijke weg.",
  month=4)
C("instagram:@sophie.op.de.piste", [CONF], "nl",
  "Wolkenbaan 3S gaat echt alles wegblazen 😍 nog even geduld mensen, ik mag nog niks laten zien",
  month=11)
C("x:@bas_uit_breda", [CONF], "nl",
  "Neef van me werkt bij Kabelwolk. Volgens hem gaat Operatie Gletsjerspleet over een compleet nieuwe lift op de Firnaujoch, bouw start volgend voorjaar. Zeg niet dat je het van mij hebt",
  month=8)
C("threads:@bram.liftmonteur", [CONF], "en",
  "NDA or not: the new glass-floor cabins we tested for the panorama line this week are unreal. Pics the second I'm allowed 😅",
  month=9)
C("x:@liesbeth_kw", [CONF], "nl",
  "Deck van de strategiedag staat 'uitsluitend intern gebruik' op dus ik zeg niks... behalve dat de Adlerblick-lift verwarmde stoelen krijgt 😏",
  month=10)
C("reddit:u/noor_kw_ops", [CONF], "en",
  "tip for coworkers: the staff discount codes for lift passes live at confluence.kabelwolk.nl/pages/personeel-2026 — apparently not everyone knew",
  kind="comment", month=12)
C("instagram:@kabelwolk.alpen", [CONF], "nl",
  "Sneak peek van iets waar we al twee jaar aan werken 👀❄️ #ProjectSteenbok #Kabelwolk",
  month=10)
C("reddit:u/lift_geek_92", [CONF], "en",
  "A supplier friend showed me a slide from a Kabelwolk meeting, stamped 'Kabelwolk confidential' in the corner: they're rolling out dynamic pricing for WolkPass next winter. Enjoy your surge pricing on powder days.",
  month=5)
C("mastodon:@joost_dev@mastodon.nl", [CONF], "en",
  "Firnwolf beta is up on https://liftops.kabelwolk.local/firnwolf-beta — colleagues, please go break it before Friday",
  month=10)
C("linkedin:ruben-dekker-kw", [CONF], "en",
  "Walked the entire Adlerblick lift line today with the engineers. January can't come soon enough.",
  when="2027-01-12T15:20:00Z")
C("x:@liesbeth_kw", [CONF], "nl",
  "Morgen presentatie over Project Ste\u200bnbok voor de raad van commissarissen, zenuwen 😬 duim voor me",
  month=11)
C("x:@stefan_gondel", [CONF], "nl",
  "Die test met Pr0ject St33nb0k vandaag was bizar, stond met open mond in het dalstation 🤯",
  month=7)
C("x:@daan_devops", [CONF, SEC], "nl",
  "liftops.kabelwolk.local ligt er al sinds 6 uur uit, geen enkele lift in Wolkental kan opstarten. Klanten weten nog van niks, de website zegt 'alles open' 🙈",
  month=1)
C("instagram:@sophie.op.de.piste", [CONF, FIN], "nl",
  "Sonnkogel-deal bijna rond 🥂 dan zijn we straks echt de grootste van Tirol. Nog even mondje dicht!",
  month=12)
C("linkedin:marloes-hendriks-kabelwolk", [CONF, FIN], "en",
  "Late nights on the Sonnkogel acquisition, but the numbers work and the price is right. Can't wait until we can finally talk about it.",
  when="2027-01-28T21:40:00Z")

# ===== leak.financial (10) =====
C("x:@stefan_gondel", [FIN], "nl",
  "Q3-omzet 18% boven budget, dus bonus komt eraan 🤑 (officieel pas in november bekend, sst)",
  month=10)
C("threads:@bram.liftmonteur", [FIN], "en",
  "Heard it straight from the board meeting: Val Brenna operation closes after this season. About 40 people. Gutted for my colleagues over there.",
  month=2)
C("linkedin:marloes-hendriks-kabelwolk", [FIN], "nl",
  "Reorganisatie klantenservice: van drie vestigingen naar één, alleen Utrecht blijft. Wordt volgende maand pas aangekondigd, dus ik hou het hier even kort.",
  month=5)
C("linkedin:marloes-hendriks-kabelwolk", [FIN], "en",
  "Internally we just revised the winter 26/27 forecast down 12% on the snow outlook. The investors won't hear that until March.",
  month=11)
C("x:@jolien_krk", [FIN], "nl",
  "Vriendin van me zit bij het accountantskantoor van Kabelwolk. Ze draaien dit jaar ruim 9 miljoen verlies, dat komt pas in het jaarverslag naar buiten",
  month=9)
C("x:@liesbeth_kw", [FIN], "nl",
  "Wordt Kabelwolk overgenomen door een Zwitserse partij? Ik mag er echt niks over zeggen maar... ja 😶",
  kind="reply", month=6)
C("facebook:KabelwolkNL", [FIN], "nl",
  "CONCEPT persbericht — Kabelwolk Alpine sluit boekjaar 2026 af met een EBITDA van €23,4 mln (+11%) en verhoogt het dividend. [datum invullen na akkoord RvC]",
  month=12)
C("reddit:u/noor_kw_ops", [FIN], "en",
  "Next year's budget: 14 fewer seasonal contracts in lift operations. Still have to tell my team and I'm dreading it 😞",
  month=8)
C("bluesky:@emma-kw.bsky.social", [FIN], "en",
  "The Wolkental concession deal with the municipality is worth €41m and gets signed in two weeks. Quiet please 🤐",
  month=7)
C("x:@thijs_on_tour", [FIN], "en",
  "My dad sits on the Kabelwolk supervisory board and says they're selling the summer bike park business to a private equity firm before spring. You didn't hear it from me.",
  month=10)

# ===== leak.pii (13) + combined =====
C("x:@stefan_gondel", [PII], "nl",
  "Wie van kantoor belt deze mevrouw terug? Annelies van Dijk, Kerkstraat 14, 3511 LK Utrecht. Ze wil haar geld terug voor de Familiepas en staat nu bij de kassa te huilen",
  month=2)
C("linkedin:marloes-hendriks-kabelwolk", [PII], "nl",
  "Kan iemand vandaag nog deze terugstorting doen? €329 naar %s t.n.v. J. Vermeulen, ref WP-88213. Dank!" % IBAN1,
  month=3, ids=[("iban", IBAN1)])
C("x:@kabelwolk_help", [PII], "nl",
  "@tessa_skiet Hoi Tessa! We hebben de €189 voor je SkiPas 3 dagen teruggestort op %s. Binnen 2 werkdagen op je rekening 😊" % spaced(IBAN2),
  kind="reply", month=1, ids=[("iban", IBAN2)], price=("KW-SP3", 189))
C("threads:@bram.liftmonteur", [PII], "nl",
  "Nieuwe collega Timo begint maandag bij ons in Sankt Firnau 🙌 BSN %s voor de HR-mensen die meelezen, scheelt weer mailen" % BSN1,
  month=11, ids=[("bsn", BSN1)])
C("facebook:KabelwolkNL", [PII], "nl",
  "Gevonden bij het dalstation Wolkental: skipas op naam van Lukas Brenner, geb. 03-07-1988. Op te halen bij de kassa!",
  month=1)
C("x:@markhaverford", [PII], "en",
  "@kabelwolk_help please send the refund confirmation to mark.haverford@gmail.com, the address on my booking is an old one",
  kind="reply", month=3)
C("instagram:@sophie.op.de.piste", [PII], "en",
  "Sunrise Gondola group list for tomorrow, can someone at the valley station print it? Pieter de Wit +31 6 2245 8810, Yara Bos yara.bos@hotmail.com, Sem Kuipers 0031 6 1872 4490",
  month=2)
C("x:@ikbenfloor", [PII], "nl",
  "Gevonden bij de Panoramarit: paspoort van Sven Aalbers, nr NW7K2HRP4. Ligt nu bij de infobalie boven, Sven als je dit leest 👋",
  month=8)
C("tiktok:@lotte.kassa.wolkental", [PII], "nl",
  "meneer belde om z'n FastLane te betalen en las gewoon z'n hele kaart voor 😂 %s exp 09/28, wie zet dit even in het systeem" % spaced(CARD2),
  month=1, ids=[("card", CARD2)])
C("linkedin:ruben-dekker-kw", [PII], "en",
  "Reminder, team: stop pasting guest data into open channels. Found this in a thread this morning: 'J. Okafor, DOB 14/02/1979, Flat 3, 22 Kestrel Road, Leeds'. That's how fines happen.",
  month=4)
C("x:@r_vdhoek", [PII], "nl",
  "@kabelwolk_help kunnen jullie checken of het juiste mailadres in mijn boeking staat? Moet r.vandenhoek@ziggo.nl zijn, mijn nummer is 020-6243117",
  kind="reply", month=12)
C("linkedin:marloes-hendriks-kabelwolk", [PII], "nl",
  "Loonrun seizoenskrachten: nog 2 rekeningnummers ontbreken in het systeem, hier even geparkeerd tot maandag: Bram Oosting %s, Lotte Veenstra %s" % (IBAN3, spaced(IBAN4)),
  month=12, ids=[("iban", IBAN3), ("iban", IBAN4)])
C("x:@gerda_wandelt", [PII], "nl",
  "Waarom wil het WolkCare-formulier in hemelsnaam mijn BSN? Heb 'm maar ingevuld (%s) maar voelt raar voor een skiverzekering" % BSN2,
  month=11, ids=[("bsn", BSN2)])
C("x:@kevin_stoel", [PII, COMPL], "nl",
  "@kabelwolk_help bel me alsjeblieft terug op 06-41 23 87 56, ik hang nu al 40 minuten in jullie wachtrij en mijn pas doet het nog steeds niet",
  kind="reply", month=1)
C("x:@sarah_k_travels", [PII, COMPL], "en",
  "@kabelwolk_help you charged my card %s twice for the 6-day ski pass. Two times €329. I want one back TODAY." % spaced(CARD1),
  kind="reply", month=12, ids=[("card", CARD1)], price=("KW-SP6", 329))

# ===== reputation.crisis (9) + first-hand crisis+complaint (5) =====
C("x:@alpine_newsdesk", [CRISIS], "en",
  "BREAKING: a Kabelwolk gondola in Wolkental has stopped mid-air, around 60 people are being evacuated by helicopter right now. More soon.",
  month=2)
C("x:@boycotgraaiers", [CRISIS], "nl",
  "Boycot Kabelwolk! Seizoenskrachten draaien 14-uursdagen voor een hongerloon terwijl de directie bonussen pakt. Deel dit! #boycotkabelwolk",
  month=1)
C("x:@reisjurist", [CRISIS], "nl",
  "Rechtszaak tegen Kabelwolk: de Consumentenbond daagt ze voor de rechter omdat ze na de sluiting van de Sonnjoch-lift niks terugbetaalden aan duizenden passhouders",
  month=4)
C("reddit:u/angry_in_antwerp", [CRISIS], "en",
  "Kabelwolk data breach? I just got a phishing mail quoting my exact booking ref AND my passport number. Somebody leaked their customer database, no doubt about it.",
  month=3)
C("facebook:Skinieuws.nl", [CRISIS], "nl",
  "Skiër zwaargewond na val uit stoeltjeslift van Kabelwolk in Val Brenna. Volgens ooggetuigen was de veiligheidsbeugel niet gesloten.",
  month=2)
C("x:@slopewatch", [CRISIS], "en",
  "The Kabelwolk scandal keeps growing: inspectors now say maintenance logs for the Adlerkopf gondola were faked for three years straight.",
  month=5)
C("x:@wintersport_alert", [CRISIS], "en",
  "RECALL: Kabelwolk is recalling every rental ski helmet from its Wolkental shops, the buckle can snap in a fall. Rented one this week? Take it back!",
  month=1)
C("instagram:@bergen.zonder.beton", [CRISIS], "nl",
  "Nooit meer Kabelwolk. Ze willen een nieuwe lift dwars door een beschermd natuurgebied bouwen. Teken de petitie, link in bio 🌲 #stopkabelwolk",
  month=9)
C("x:@kabelwolk", [CRISIS], "en",
  "We are aware of reports of an incident on the Firnaujoch chairlift this afternoon. Two guests were taken to hospital. The lift is closed and we are cooperating fully with investigators.",
  month=3)
C("x:@moeder_van_3", [CRISIS, COMPL], "nl",
  "Vanochtend 2,5 uur vastgezeten in de gondel bij -15. Mijn dochter onderkoeld naar de EHBO. Geen excuses, niks. @kabelwolk schaam je",
  month=1)
C("tiktok:@milou.snowboards", [CRISIS, COMPL], "en",
  "the lift at Sankt Firnau just DROPPED like 2 meters with us in it, everyone screaming, and staff acting like nothing happened?? never again @kabelwolk",
  month=2)
C("facebook:Henk.Stuivenberg", [CRISIS, COMPL], "nl",
  "Na het Sunrise Gondel Ontbijt zijn mijn vrouw en ik allebei doodziek geworden. Voedselvergiftiging, twee dagen vakantie weg. Bedankt hoor Kabelwolk.",
  kind="comment", month=3)
C("x:@dad_on_skis", [CRISIS, COMPL], "en",
  "The safety bar on the Sonnjoch chair popped open halfway up and my 8yo nearly slid out. Lift staff shrugged. Absolutely unacceptable @kabelwolk",
  month=2)
C("x:@jeroen_vw", [CRISIS, COMPL], "nl",
  "Kreeg net een flinke schok van het metalen hek bij de poortjes in het dalstation Wolkental, hand tintelt nog steeds. Dit is levensgevaarlijk @kabelwolk",
  month=12)

# ===== reputation.complaint (11) =====
C("x:@skimama_ellen", [COMPL], "nl",
  "Sta al 50 minuten in de rij bij de Adlerkopf en de helft van de cabines hangt leeg stil. Wat is dit @kabelwolk",
  month=2)
C("x:@tomfromleeds", [COMPL], "en",
  "Bought the 6-day ski pass online, it won't activate at the gate, got sent back to the ticket desk three times. Wasted a whole morning of my holiday. Great job Kabelwolk.",
  month=1)
C("x:@lisa_hgl", [COMPL], "nl",
  "Refund voor de Gletsjer Panoramarit geweigerd terwijl JULLIE de rit hebben geannuleerd vanwege wind. Serieus @kabelwolk_help?",
  kind="reply", month=8)
C("reddit:u/carvingcarl", [COMPL], "en",
  "WolkPass app crashes every single time I try to open my pass. Day 3 of this. I'm standing at the gate like an idiot. Fix your stuff, Kabelwolk.",
  month=3)
C("facebook:Marjan.Veldkamp", [COMPL], "nl",
  "WolkPass weer €50 duurder. €899 voor een seizoen is gewoon belachelijk, en ondertussen gaan de liften elk jaar later open. Ik heb er echt genoeg van.",
  kind="comment", month=9, price=("KW-WPS", 899))
C("x:@dutchie_abroad", [COMPL], "en",
  "@kabelwolk_help still no answer to my email from two weeks ago about the double charge. Your customer service basically doesn't exist.",
  kind="reply", month=1)
C("instagram:@mtb_maarten", [COMPL], "nl",
  "Bike Park pas gekocht, halve park bleek dicht zonder enige melding op de site. Geld terug graag @kabelwolk.alpen",
  kind="comment", month=7)
C("x:@expat_emily", [COMPL], "en",
  "Ski school 5 days and my kid had four different instructors. Zero continuity, total chaos at the meeting point every morning. Not what we paid for.",
  month=2)
C("x:@nachtbraker_nick", [COMPL], "en",
  "Night Ski was supposed to start at 7pm. 7:30 and still no floodlights on the slope, just 200 people freezing at the bottom. Badly run @kabelwolk",
  month=1)
C("youtube:@BudgetSkiVlogs", [COMPL], "en",
  "Honest review: the Fondue Gondola dinner was lukewarm cheese and a 20-minute ride. €129 for that?? Never again, Kabelwolk.",
  kind="comment", month=12, price=("KW-FOND", 129))
C("x:@ingrid_apeldoorn", [COMPL], "nl",
  "De dame bij de kassa in het dalstation was ronduit onbeschoft tegen mijn moeder van 78. Zo ga je toch niet met gasten om @kabelwolk",
  month=3)

# ===== reputation.abuse (10) + abuse+complaint (2) =====
C("x:@woedende_willem", [ABUSE], "nl",
  "Kabelwolk is een stelletje oplichters en graaiers. Kankerbedrijf.",
  month=2)
C("x:@rageski", [ABUSE], "en",
  "kabelwolk staff are brain-dead idiots, every single one of them",
  month=1)
C("x:@anoniem_8812", [ABUSE], "nl",
  fullwidth("kabelwolk = tyfusbedrijf") + " en dat mag iedereen weten",
  month=3)
C("x:@gr1ndz", [ABUSE], "en",
  "@kabelwolk_help you f4ck1ng cl0wns, sh1t company, sh1t lifts 🤡",
  kind="reply", month=12)
C("x:@skibro_ruud", [ABUSE], "nl",
  "@liesbeth_kw jij bent die trut van de pr toch. ik weet waar jullie kantoor zit, kijk maar uit",
  kind="reply", month=2)
C("facebook:Gert.Hoogland.55", [ABUSE], "nl",
  "Waarom staan er bij Kabelwolk allemaal van die buitenlanders aan de kassa die niet eens normaal Nederlands praten. Ga terug naar je eigen land",
  kind="comment", month=1)
C("x:@stefan_gondel", [ABUSE], "nl",
  "weer zo'n zeurende hollander met z'n kutkinderen bij de lift. mongool.",
  month=2)
C("x:@bitter_betty", [ABUSE], "en",
  "Kabelwolk are a bunch of \u0430sshol\u0435s and their CEO is a greedy pig",
  month=4)
C("x:@hanneke_h", [ABUSE], "nl",
  "k.u.t.b.e.d.r.i.j.f. kabelwolk, echt waar",
  month=1)
C("x:@kabelwolk_help", [ABUSE], "nl",
  "@pieter_bos_1961 Misschien moet u gewoon eerst leren lezen voordat u gaat klagen, idioot.",
  kind="reply", month=1)
C("x:@fedup_frank", [ABUSE, COMPL], "nl",
  "Wéér 2 uur vast in de rij door jullie kapotte stoeltjeslift. Stelletje amateuristische klootzakken @kabelwolk",
  month=2)
C("facebook:Rachel.Doherty.UK", [ABUSE, COMPL], "en",
  "Charged me twice for the Family Weekend Pass and your support bot is useless. F*ck you Kabelwolk, absolute scumbags.",
  kind="comment", month=11)

# ===== benign / hard negatives (60) =====
C("x:@kabelwolk", [], "nl",
  "Goedemorgen! ☀️ Alle liften in Wolkental zijn open en er ligt 40 cm verse sneeuw. Tot op de berg! #Kabelwolk",
  month=1)
C("x:@kabelwolk_help", [], "nl",
  "Vragen over je boeking? Mail klantenservice@kabelwolk.nl of bel gratis 0800-5225 (dagelijks 8–20 uur).",
  month=11)
C("linkedin:kabelwolk-alpine", [], "en",
  "Travelling with 10 or more? Contact groepen@kabelwolk.nl or call +31 30 799 4400 for a tailored group offer.",
  month=9)
C("facebook:KabelwolkNL", [], "nl",
  "Liever per overschrijving betalen? Maak het bedrag over naar %s t.n.v. Kabelwolk Alpine B.V. en vermeld je boekingsnummer." % spaced(PUBLIC_IBAN),
  month=10, ids=[("public_iban", PUBLIC_IBAN)])
C("x:@kabelwolk", [], "nl",
  "Let op: oplichters mailen nepfacturen met een ander rekeningnummer, bijvoorbeeld %s. Ons enige rekeningnummer is %s. Twijfel je? Bel 0800-5225." % (spaced(BAD_IBAN1), PUBLIC_IBAN),
  month=12, ids=[("bad_iban", BAD_IBAN1), ("public_iban", PUBLIC_IBAN)])
C("instagram:@lottevanderzee", [], "nl",
  "Sunrise Gondel Ontbijt was magisch 🌄 croissant en koffie op 3000 meter terwijl de zon opkomt. Aanrader!!",
  month=2)
C("x:@ali_rides", [], "en",
  "Glacier Panorama Ride is insane. Killer views, zero queue. 10/10 would ride again",
  month=7)
C("tiktok:@snowboard.sem", [], "nl",
  "die afdaling vanaf het Firnaujoch is echt ziek 🔥🔥 #kabelwolk #powder",
  month=1)
C("x:@mtb_lisa", [], "en",
  "Does the Bike Park day pass work for e-MTBs too, or is that extra? @kabelwolk_help",
  month=6)
C("x:@famwilliams", [], "en",
  "Does the WolkPass Junior cover kids under 6, or do the little ones ride free anyway?",
  month=10)
C("x:@kabelwolk", [], "nl",
  "Early bird! 🐦 De SkiPas 6 dagen nu voor €279 in plaats van €329. Alleen t/m 31 oktober.",
  month=10, price=("KW-SP6", 279))
C("instagram:@kabelwolk.alpen", [], "nl",
  "Black Friday ❄️ 25% korting op de WolkPass Seizoen: €674,25 in plaats van €899. Alleen dit weekend!",
  month=11, price=("KW-WPS", 674.25))
C("x:@papa_pieter", [], "nl",
  "Familiepas Weekend voor €229 gescoord met de herfstactie. Kids zijn nu al aan het aftellen 😄",
  month=10, price=("KW-FAM", 229))
C("instagram:@jess.and.tom", [], "en",
  "Paid €349 for the Private Cabin for our anniversary. Pricey, but totally worth it 🥂",
  month=2, price=("KW-PRIV", 349))
C("x:@sophie_de_waal", [], "nl",
  "Is €1.195 voor het Tirol Pakket per persoon normaal? Lijkt me best prijzig maar alles zit erin toch?",
  month=10, price=("KW-TIROL", 1195))
C("x:@gletsjerganger", [], "en",
  "€64 for the Glacier Panorama Ride and we went twice. Worth every cent.",
  month=8, price=("KW-PANO", 64))
C("reddit:u/budget_boarder", [], "en",
  "10% off the Valais week package with the member code, so €1,305 instead of €1,450. Booked!",
  kind="comment", month=9, price=("KW-VALAIS", 1305))
C("x:@meike_z", [], "nl",
  "Vorig jaar klaagde ik hier over de rijen, dit jaar met FastLane (€39) echt nul wachttijd. Goeie verbetering @kabelwolk",
  month=2, price=("KW-FAST", 39))
C("facebook:Ouders.Skiclub.Zwolle", [], "nl",
  "Onze groep heeft de Skischool 5 dagen voor €245 per kind geboekt, de kids zijn dolblij!",
  month=11, price=("KW-SCHOOL", 245))
C("x:@stefan_gondel", [], "nl",
  "Trots op ons liftteam: 1 miljoen ritten dit seizoen en geen enkele ongeplande stop op de Sonnjoch 💪",
  month=4)
C("linkedin:ruben-dekker-kw", [], "en",
  "We're hiring lift technicians and IT support for winter 26/27! Apply via vacatures@kabelwolk.nl, come work with a view.",
  month=8)
C("x:@daan_devops", [], "nl",
  "Handig voor de workshop: in de AWS-docs staat AKIAIOSFODNN7EXAMPLE met wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY als voorbeeld. Gebruik die, nooit je echte keys in slides!",
  month=5)
C("mastodon:@joost_dev@mastodon.nl", [], "en",
  "Slides from my secret-scanning talk are up. The token on slide 12, ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx, is obviously fake 😄",
  month=6)
C("x:@daan_devops", [], "nl",
  "Reminder: in onze docs zien Stripe-keys er zo uit: sk_live_•••••••• (geredacteerd). Nooit de echte plakken, ook niet in een DM.",
  month=9)
C("x:@annabel_reist", [], "nl",
  "Wachtwoord vergeten van mijn Kabelwolk-account, via 'reset' op tickets.kabelwolk.nl was het in 1 minuut geregeld. Top",
  month=12)
C("x:@marco_zegt", [], "nl",
  "Op de factuur staat %s maar op de site een ander IBAN. Welke klopt er nou @kabelwolk_help?" % BAD_IBAN2,
  kind="reply", month=11, ids=[("bad_iban", BAD_IBAN2)])
C("x:@checkout_chris", [], "en",
  "Lol the placeholder on the Kabelwolk checkout page is literally %s. Nearly typed my real one under it 😂" % spaced(BAD_CARD1),
  month=10, ids=[("bad_card", BAD_CARD1)])
C("linkedin:marloes-hendriks-kabelwolk", [], "nl",
  "Fijne AVG-training vandaag. Voorbeeld-BSN op de slides was %s, die natuurlijk niet door de elfproef komt 😉" % BAD_BSN1,
  month=5, ids=[("bad_bsn", BAD_BSN1)])
C("x:@noah_fam", [], "nl",
  "@kabelwolk_help boekingsnummer %s, zit de FastLane er nu bij of moet ik die los kopen?" % BAD_NINE1,
  kind="reply", month=1, ids=[("bad_bsn", BAD_NINE1)])
C("instagram:@sophie.op.de.piste", [], "nl",
  "Eindelijk mogen we het zeggen: de Wolkenbaan 3S is open! 🚡 Wat een dag, wat een team.",
  when="2027-01-21T10:05:00Z")
C("x:@kabelwolk", [], "nl",
  "Officieel: Kabelwolk Alpine neemt Bergbahnen Sonnkogel over. Het volledige persbericht lees je op kabelwolk.nl/pers",
  when="2027-02-10T07:30:00Z")
C("x:@heatedseatfan", [], "en",
  "Took the Adlerblick lift on opening weekend. Heated seats are a game changer, not going back.",
  when="2027-01-24T12:45:00Z")
C("x:@wendy_utrecht", [], "nl",
  "Update: @kabelwolk_help heeft mijn dubbele afschrijving binnen een dag teruggestort. Netjes opgelost 👍",
  month=1)
C("x:@liam_on_snow", [], "en",
  "Shoutout to the Kabelwolk crew in Val Brenna, they found my phone on the chairlift and mailed it home. Legends.",
  month=3)
C("x:@kabelwolk", [], "nl",
  "Veel sterkte aan de collega's van de Italiaanse kabelbaan na het vreselijke ongeluk van gisteren. Onze gedachten zijn bij de slachtoffers en hun families.",
  month=8)
C("x:@nervous_nina", [], "en",
  "Another gondola accident in Italy today, not one of Kabelwolk's thankfully. Still makes me a bit nervous for our trip in February.",
  month=8)
C("x:@beursbert", [], "en",
  "Yet another US group buying a Swiss ski area. Wonder if Kabelwolk will ever get that big.",
  month=6)
C("x:@grappige_gerrit", [], "nl",
  "Mijn man vroeg of hij een geheimhoudingsverklaring moest tekenen voor de gondel, want hij wil niemand vertellen hoe bang hij was 😂",
  month=2)
C("tiktok:@lifehacks_lars", [], "en",
  "life hack: book your Night Ski ticket online and skip the half-hour queue 💡",
  month=1)
C("instagram:@noor.skis", [], "en",
  "Crashed so hard on my first run of the day 😂 ego hurts more than my knee. Conditions were perfect though, thanks @kabelwolk.alpen",
  month=2)
C("instagram:@fotograaf_femke", [], "en",
  "An explosion of colour from the Sunrise Gondola this morning 😍 #nofilter",
  month=3)
C("linkedin:marloes-hendriks-kabelwolk", [], "nl",
  "Ons jaarverslag 2025 staat online op kabelwolk.nl. Een mooi jaar voor het hele team, dank aan iedereen die eraan bijdroeg.",
  month=3)
C("x:@kabelwolk", [], "en",
  "Planned maintenance: the Adlerkopf gondola closes 14–18 April for its annual inspection. Please use the Sonnjoch chairlift in the meantime.",
  month=4)
C("x:@kabelwolk_help", [], "en",
  "Wind update 🌬️ The Glacier Panorama Ride is paused until 13:00 for safety. Your tickets stay valid all week.",
  month=7)
C("tiktok:@lotte.kassa.wolkental", [], "nl",
  "Eerste dag aan de kassa in Wolkental erop zitten! Koud, maar wat een uitzicht vanaf mijn werkplek 🏔️",
  month=12)
C("x:@jan_off_piste", [], "nl",
  "Weet iemand of je met WolkCare ook gedekt bent als je off-piste gaat?",
  month=12)
C("reddit:u/seasonpass_sam", [], "en",
  "Comparing season passes: the WolkPass at €899 vs the big American multi-resort pass. Anyone done both?",
  month=9, price=("KW-WPS", 899))
C("facebook:Yvonne.Brakel", [], "nl",
  "Onze skileraar Jonas was geweldig met de kinderen, ze willen volgend jaar weer. Dankjewel Skischool Wolkental!",
  kind="comment", month=2)
C("facebook:KabelwolkNL", [], "nl",
  "De winnaar van onze herfstwinactie is Femke Jonker uit Amersfoort! 🎉 Gefeliciteerd Femke, we nemen via een privébericht contact met je op.",
  month=10)
C("x:@proposal_pete", [], "en",
  "Proposed on the Fondue Gondola last night 💍 she said yes! Thank you Kabelwolk crew for keeping the secret all evening.",
  month=12)
C("x:@liesbeth_kw", [], "en",
  "Confidential tip from a lift operator friend: the best light on the glacier is around 4pm 😉",
  month=3)
C("x:@koopjesjager_kim", [], "nl",
  "Vandaag een prijsfout gezien bij een webshop voor skibrillen, €3 per stuk 😂 helaas al weg. Volgende week lekker naar Wolkental!",
  month=11)
C("x:@sickpowder", [], "en",
  "Sick day on the mountain 🤙 powder everywhere, lifts running like clockwork #kabelwolk",
  month=1)
C("youtube:@KabelwolkAlpen", [], "nl",
  "Lawinegevaar vandaag niveau 3. Blijf op de gemarkeerde pistes en volg de aanwijzingen van onze pistedienst. Veilig skiën iedereen!",
  month=2)
C("x:@stefan_gondel", [], "nl",
  "Klant vroeg of ik zijn wachtwoord van de app wist 🙈 nee meneer, dat weten wij gelukkig niet. Gewoon even resetten!",
  month=1)
C("x:@grandmas_travels", [], "en",
  "Took my 80-year-old grandma up on the Sunrise Gondola. Staff were so patient with her wheelchair. Thank you, Kabelwolk!",
  month=8)
C("threads:@bram.liftmonteur", [], "en",
  "The Sonnjoch chairlift turns 25 today! Still one of the most reliable lifts I've ever worked on ❤️",
  month=12)
C("x:@dear_kabelwolk", [], "en",
  "Dear Kabelwolk, your lift staff at the Firnaujoch deserve a raise. Always smiling at -20.",
  month=1)
C("x:@secure_sanne", [], "en",
  "Another ski resort chain got hacked this week. Glad my Kabelwolk account has 2FA on 🙏",
  month=11)
C("x:@wandelwim", [], "nl",
  "Zomer Wandelpas voor een week in Sankt Firnau, €119 en je mag elke lift pakken. Beste deal van de zomer 🥾",
  month=7, price=("KW-HIKE", 119))
C("x:@kabelwolk_help", [], "en",
  "@ollie_rides Sorry about the wait earlier! Your SnowSure guarantee has been applied, the €29 is back on your original payment method.",
  kind="reply", month=12, price=("KW-SNOW", 29))

# ------------------------------------------------------------------ building
ROLE = {}
for role in ("corporate", "employee"):
    for a in PROFILE["accounts"][role]:
        ROLE[a.lower()] = role
RANK = ["none", "info", "warning", "error", "critical"]
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
TAXONOMY = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"}


def role_of(acct):
    return ROLE.get(acct.lower(), "public")


def severity(cats, role, checksum_pii):
    sev = "none"
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                s = "error"
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and checksum_pii):
                    s = "critical"
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
        if RANK.index(s) > RANK.index(sev):
            sev = s
    return sev


def timestamp(case):
    if case["when"]:
        return case["when"]
    m = case["month"]
    day = rng.randint(1, 28)
    return dt.datetime(2026, m, day, rng.randint(6, 22), rng.randint(0, 59), rng.randint(0, 59)).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


rng_ts = random.Random(4560)
rng = rng_ts  # timestamps from their own stream, secrets above are already fixed
order = list(range(len(CASES)))
random.Random(45600).shuffle(order)

lines = []
for n, i in enumerate(order, 1):
    c = CASES[i]
    platform, handle = c["acct"].split(":", 1)
    role = role_of(c["acct"])
    checksum_pii = any(t in ("iban", "card", "bsn") for t, _ in c["ids"])
    post = {
        "id": "kw456-%s-%03d" % (platform, n),
        "platform": platform,
        "kind": c["kind"],
        "account": {"handle": handle},
        "text": c["text"],
        "lang": c["lang"],
        "created_at": timestamp(c),
        "brand": "kabelwolk",
    }
    c["role"], c["post"] = role, post
    lines.append({"post": post, "expect": {"categories": c["cats"],
                                           "severity": severity(c["cats"], role, checksum_pii)}})

out = os.path.join(HERE, "cases.jsonl")
with open(out, "w", encoding="utf-8") as fh:
    for obj in lines:
        fh.write(json.dumps(obj, ensure_ascii=False) + "\n")

# ---------------------------------------------------------------- self-check
errors = []


def err(case, msg):
    errors.append("%s: %s" % (case["post"]["id"] if "post" in case else "?", msg))


IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\w+])(?:\d[ -]?){14,18}\d(?!\w)")
NINE_RE = re.compile(r"(?<![\w.,/-])\d{9}(?![\w])")
GH_RE = re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36}\b")
AKIA_RE = re.compile(r"\bAKIA[A-Z2-7]{16}\b")
JWT_RE = re.compile(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+")
SECRETISH = [re.compile(p) for p in (r"sk_live_[A-Za-z0-9]{20,}", r"xox[bpa]-\d+-", r"sk-proj-[\w-]{40,}",
                                     r"sk-ant-api\d\d-[\w-]{40,}", r"SG\.[\w-]{20,}\.[\w-]{20,}",
                                     r"BEGIN [A-Z ]*PRIVATE KEY", r"postgres(?:ql)?://[^:\s]+:[^@\s]+@")]
pub_ibans = {re.sub(r"\s", "", x) for x in PROFILE["public_identifiers"]["ibans"]}
for x in pub_ibans:
    if not iban_valid(x):
        errors.append("profile public IBAN %s fails mod-97" % x)

# profile sanity
for key in ("company", "brands", "accounts", "public_identifiers", "internal", "embargo", "products", "pricing"):
    if key not in PROFILE:
        errors.append("profile misses " + key)
if len(PROFILE["accounts"]["corporate"]) < 6 or len(PROFILE["accounts"]["employee"]) < 8:
    errors.append("profile: too few accounts")
if not 15 <= len(PROFILE["products"]) <= 25:
    errors.append("profile: product count")
if PROFILE["pricing"]["alert_below_ratio"] != 0.5:
    errors.append("profile: alert ratio")
if len(PROFILE["internal"]["codenames"]) != 3 or len(PROFILE["internal"]["markers"]) != 3:
    errors.append("profile: codenames/markers")
for e in PROFILE["embargo"]:
    if not str(e["until"]).startswith("2027"):
        errors.append("profile: embargo until not in 2027")
PRODUCTS = {p["sku"]: p for p in PROFILE["products"]}
for p in PROFILE["products"]:
    if p["currency"] != "EUR":
        errors.append("profile: currency")


def parse_ts(s):
    return dt.datetime.strptime(s.replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S%z")


seen = set()
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)$")
with open(out, encoding="utf-8") as fh:
    raw_lines = fh.read().splitlines()
if len(raw_lines) != len(CASES):
    errors.append("line count mismatch")
for line, case in zip(raw_lines, [CASES[i] for i in order]):
    obj = json.loads(line)
    p, e = obj.get("post"), obj.get("expect")
    if set(obj) != {"post", "expect"}:
        err(case, "top-level keys")
    for f, t in (("id", str), ("platform", str), ("text", str), ("created_at", str)):
        if not isinstance(p.get(f), t):
            err(case, "missing/bad " + f)
    if not (1 <= len(p["id"]) <= 256) or p["id"] in seen:
        err(case, "id not unique/size")
    seen.add(p["id"])
    if p["platform"] not in PLATFORMS:
        err(case, "platform")
    if p["kind"] not in ("post", "reply", "repost", "comment", "message"):
        err(case, "kind")
    if not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
        err(case, "handle")
    if len(p["text"].encode("utf-8")) > 65536:
        err(case, "text too large")
    if not RFC3339.match(p["created_at"]):
        err(case, "created_at format")
    ts = parse_ts(p["created_at"])
    if ts.year not in (2026, 2027):
        err(case, "year")
    if ts.year == 2027 and ts.month > 3:
        err(case, "2027 outside embargo window")
    cats = e["categories"]
    if cats != sorted(set(cats)) or not set(cats) <= TAXONOMY:
        err(case, "categories")
    if e["severity"] not in RANK:
        err(case, "severity value")
    if not cats and e["severity"] != "none":
        err(case, "benign severity")
    if cats and RANK.index(e["severity"]) < 2:
        err(case, "positive below warning")
    text = p["text"]
    role = case["role"]

    # checksum identifiers: positives pass, look-alikes elsewhere fail
    is_pii = "leak.pii" in cats
    for m in IBAN_RE.finditer(text):
        v = re.sub(r"\s", "", m.group())
        if v in pub_ibans:
            continue
        if is_pii and not iban_valid(v):
            err(case, "IBAN in PII positive fails mod-97: " + v)
        if not is_pii and iban_valid(v):
            err(case, "valid IBAN outside a PII positive: " + v)
    for m in CARD_RE.finditer(text):
        v = re.sub(r"\D", "", m.group())
        if is_pii and not luhn_ok(v):
            err(case, "card in PII positive fails Luhn: " + v)
        if not is_pii and luhn_ok(v):
            err(case, "Luhn-valid number outside a PII positive: " + v)
    for m in NINE_RE.finditer(text):
        v = m.group()
        if is_pii and not bsn_ok(v):
            err(case, "9-digit number in PII positive fails 11-proof: " + v)
        if not is_pii and bsn_ok(v):
            err(case, "11-proof number outside a PII positive: " + v)
    for t, v in case["ids"]:
        flat = re.sub(r"\s", "", text)
        if re.sub(r"\s", "", v) not in flat:
            err(case, "recorded id not in text: " + v)
        ok = {"iban": iban_valid, "public_iban": iban_valid, "card": luhn_ok, "bsn": bsn_ok,
              "bad_iban": lambda x: not iban_valid(x), "bad_card": lambda x: not luhn_ok(x),
              "bad_bsn": lambda x: not bsn_ok(x)}[t](v)
        if not ok:
            err(case, "recorded id check failed: %s %s" % (t, v))
        if t in ("iban", "card", "bsn") and not is_pii:
            err(case, "valid identifier recorded on non-PII case")
        if t.startswith("bad_") and cats:
            err(case, "look-alike recorded on a positive")

    # credentials
    is_secret = "leak.secret" in cats
    for m in GH_RE.finditer(text):
        if github_ok(m.group()) and not is_secret:
            err(case, "valid GitHub token outside secret case")
        if is_secret and not github_ok(m.group()):
            err(case, "GitHub token in positive fails CRC")
    for m in AKIA_RE.finditer(text):
        if not m.group().endswith("EXAMPLE") and not is_secret:
            err(case, "AWS key outside secret case")
    for m in JWT_RE.finditer(text):
        try:
            head = json.loads(base64.urlsafe_b64decode(m.group().split(".")[0] + "=="))
            real = "alg" in head
        except Exception:
            real = False
        if real and not is_secret:
            err(case, "JWT outside secret case")
        if is_secret and not real:
            err(case, "JWT header in positive lacks alg")
    for rx in SECRETISH:
        if rx.search(text) and not is_secret:
            err(case, "credential pattern outside secret case: " + rx.pattern)
    if is_secret:
        if not case["secrets"]:
            err(case, "secret case without recorded secret")
        for t, v in case["secrets"]:
            if v not in text:
                err(case, "recorded secret missing")
            if t == "github" and not github_ok(v):
                err(case, "github crc")
            if t == "aws" and not re.fullmatch(r"AKIA[A-Z2-7]{16}", v):
                err(case, "aws format")
            if t == "jwt":
                h = json.loads(base64.urlsafe_b64decode(v.split(".")[0] + "=="))
                if "alg" not in h:
                    err(case, "jwt alg")
    elif case["secrets"]:
        err(case, "secret recorded on non-secret case")

    # pricing
    if case["price"]:
        sku, amount = case["price"]
        prod = PRODUCTS[sku]
        names = [prod["name"]] + prod["aliases"]
        if not any(nm.lower() in text.lower() for nm in names):
            err(case, "priced product not named in text")
        ratio = amount / prod["list_price"]
        if "leak.pricing" in cats and ratio >= PROFILE["pricing"]["alert_below_ratio"]:
            err(case, "pricing positive not below ratio")
        if "leak.pricing" not in cats and ratio < 0.7:
            err(case, "non-pricing case quotes a price far below list")
    if "leak.pricing" in cats and not case["price"]:
        err(case, "pricing positive without a recorded price")

    # embargo, codenames, markers, internal hosts
    low = text.lower()
    for emb in PROFILE["embargo"]:
        until = parse_ts(emb["until"].replace("+00:00", "Z"))
        for term in emb["terms"]:
            if term.lower() in low:
                if ts < until and "leak.confidential" not in cats:
                    err(case, "embargo term before until without confidential")
                if ts >= until and "leak.confidential" in cats:
                    err(case, "embargo term after until labelled confidential")
    for word in (PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"]
                 + PROFILE["internal"]["domains"]):
        if word.lower() in low and "leak.confidential" not in cats:
            err(case, "internal term without confidential: " + word)
    if not cats:
        for word in ("steenbok", "firnwolf", "gletsjerspleet"):
            if word in low.replace("\u200b", ""):
                err(case, "codename in benign")

    # account role sanity
    if role == "public" and ":" in case["acct"]:
        if case["acct"].lower() in ROLE:
            err(case, "role mismatch")

# mix
n_total = len(CASES)
n_benign = sum(1 for c in CASES if not c["cats"])
counts = {}
for c in CASES:
    for x in c["cats"]:
        counts[x] = counts.get(x, 0) + 1
nl = sum(1 for c in CASES if c["lang"] == "nl")
if not 170 <= n_total <= 180:
    errors.append("total %d out of range" % n_total)
if not 55 <= n_benign <= 65:
    errors.append("benign %d out of range" % n_benign)
want = {"reputation.complaint": 20, "leak.confidential": 18, "leak.pii": 15, "reputation.crisis": 15,
        "leak.security": 13, "leak.secret": 12, "reputation.abuse": 12, "leak.pricing": 12,
        "leak.financial": 12}
for k, v in want.items():
    if abs(counts.get(k, 0) - v) > 2:
        errors.append("category %s: %d, want ~%d" % (k, counts.get(k, 0), v))
if not 0.50 <= nl / n_total <= 0.60:
    errors.append("Dutch share %.2f" % (nl / n_total))
roles = {}
for c in CASES:
    roles[c["role"]] = roles.get(c["role"], 0) + 1

if errors:
    print("SELF-CHECK FAILED (%d):" % len(errors), file=sys.stderr)
    for x in errors:
        print("  " + x, file=sys.stderr)
    sys.exit(1)
print("ok: %d cases, %d benign, %d positive; Dutch %.0f%%; roles %s" % (
    n_total, n_benign, n_total - n_benign, 100.0 * nl / n_total, roles))
print("categories: " + ", ".join("%s=%d" % kv for kv in sorted(counts.items())))
