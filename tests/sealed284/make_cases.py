#!/usr/bin/env python3
"""Build the labelled evaluation set sealed284 (fictional wedding-venue group Velderhof).

Deterministic: fixed seed, standard library + PyYAML. Writes cases.jsonl beside this
file and then checks it against the profile and CONTRACT sections 3, 4 and 6.
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
rng = random.Random(284_2026)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# --------------------------------------------------------------------------------------
# checksums and generators
# --------------------------------------------------------------------------------------
ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base62 order 0-9A-Za-z
B64URL = string.ascii_letters + string.digits + "-_"


def iban_valid(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(ch, 36)) for ch in r)) % 97 == 1


def make_iban(bank):
    acct = "".join(rng.choice(string.digits) for _ in range(10))
    bban = bank + acct
    n = int("".join(str(int(ch, 36)) for ch in bban + "NL00"))
    return "NL%02d%s" % (98 - n % 97, bban)


def spaced(iban):
    return " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))


def broken_iban(iban):
    cd = int(iban[2:4])
    bad = "NL%02d%s" % ((cd + 7) % 100 if (cd + 7) % 100 >= 2 else 11, iban[4:])
    assert not iban_valid(bad)
    return bad


def luhn_valid(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    if not 12 <= len(d) <= 19:
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
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for last in string.digits:
        if luhn_valid(body + last):
            return body + last
    raise AssertionError


def group4(num, sep=" "):
    return sep.join(num[i:i + 4] for i in range(0, len(num), 4))


def broken_card(num):
    last = (int(num[-1]) + 3) % 10
    bad = num[:-1] + str(last)
    assert not luhn_valid(bad)
    return bad


def bsn_valid(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9:
        return False
    total = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return total % 11 == 0 and s != "000000000"


def make_bsn():
    while True:
        first = rng.choice("123456")
        body = first + "".join(rng.choice(string.digits) for _ in range(7))
        total = sum(int(body[i]) * (9 - i) for i in range(8))
        last = total % 11
        if last < 10:
            bsn = body + str(last)
            assert bsn_valid(bsn)
            return bsn


def broken_bsn(bsn):
    bad = bsn[:-1] + str((int(bsn[-1]) + 4) % 10)
    assert not bsn_valid(bad)
    return bad


def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


def b62(n, width=6):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out.rjust(width, "0")


def github_token(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()))


def github_token_valid(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())) == m.group(2)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_jwt(payload):
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64url(bytes(rng.randrange(256) for _ in range(32)))
    return f"{head}.{body}.{sig}"


def jwt_valid(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    pad = "=" * (-len(parts[0]) % 4)
    try:
        head = json.loads(base64.urlsafe_b64decode(parts[0] + pad))
    except Exception:
        return False
    return isinstance(head, dict) and "alg" in head


def openssh_key():
    raw = b"openssh-key-v1\x00" + bytes(rng.randrange(256) for _ in range(380))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


# --------------------------------------------------------------------------------------
# generated identifiers and secrets (all used below, all checked at the end)
# --------------------------------------------------------------------------------------
COMPANY_IBAN = PROFILE["public_identifiers"]["ibans"][0]
IBAN_REFUND = make_iban("ABNA")        # customer refund, corporate reply
IBAN_HONEYMOON = make_iban("INGB")     # couple's own account, public
IBAN_DEBTOR = make_iban("RABO")        # debtor list, employee
IBAN_BAD = broken_iban(make_iban("TRIO"))  # fake invoice, benign
CARD_STAFF = make_card("4", 16)        # employee pastes client card
CARD_OWN = make_card("52", 16)         # customer's own card, public
CARD_BAD = broken_card(make_card("4", 16))
BSN_FLEX = make_bsn()                  # employee leaks temp worker BSN
BSN_OWN = make_bsn()                   # applicant posts own BSN
BSN_BAD = broken_bsn(make_bsn())

GHP = github_token("ghp_")
GHS = github_token("ghs_")
AKIA = "AKIA" + rand(string.ascii_uppercase + "234567", 16)
AWS_SECRET = rand(string.ascii_letters + string.digits + "/+", 40)
MOLLIE = "live_" + rand(string.ascii_letters + string.digits, 30)
STRIPE = "sk_live_51" + rand(string.ascii_letters + string.digits, 96)
SLACK = "xoxb-%s-%s-%s" % (rand(string.digits, 12), rand(string.digits, 13), rand(string.ascii_letters + string.digits, 24))
OPENAI = "sk-proj-" + rand(B64URL, 74) + "T3BlbkFJ" + rand(B64URL, 74)
ANTHROPIC = "sk-ant-api03-" + rand(B64URL, 93) + "AA"
GOOGLE = "AIza" + rand(B64URL, 35)
JWT = make_jwt({"sub": "bk-%d" % rng.randrange(100000, 999999), "name": "Emma de Boer",
                "role": "couple", "iat": 1780000000, "exp": 1782592000})
SSH_KEY = openssh_key()
DB_PW = rand(string.ascii_letters + string.digits, 18)
KASSA_PW = rand(string.ascii_letters, 5) + rand(string.digits, 4) + rng.choice("!#$%&*") + rand(string.ascii_letters, 3)

SECRET_VALUES = [GHP, GHS, AKIA, AWS_SECRET, MOLLIE, STRIPE, SLACK, OPENAI, ANTHROPIC, GOOGLE,
                 JWT, DB_PW, KASSA_PW]

# --------------------------------------------------------------------------------------
# the cases
# --------------------------------------------------------------------------------------
SEC = "leak.secret"
PII = "leak.pii"
PRICE = "leak.pricing"
CONF = "leak.confidential"
FIN = "leak.financial"
SECU = "leak.security"
CRISIS = "reputation.crisis"
COMPL = "reputation.complaint"
ABUSE = "reputation.abuse"

CASES = []


def case(platform, handle, lang, text, cats=(), kind="post", when=None, ids=(), fakes=(), price=None):
    CASES.append(dict(platform=platform, handle=handle, lang=lang, text=text, cats=sorted(set(cats)),
                      kind=kind, when=when, ids=list(ids), fakes=list(fakes), price=price))


# ---------------------------------------------------------------- leak.secret ---------
case("x", "@yusuf_ops", "nl",
     f"wie heeft de deploy weer gesloopt 😩 voor wie de planning-repo nodig heeft vanavond: {GHP} "
     "(niet doorsturen pls, morgen maak ik een nieuwe)", [SEC])
case("linkedin", "sven-de-lange-it", "en",
     "Small win after this week's migration: the backup job now reads its credentials from the "
     "environment instead of the script. For reference, the old hardcoded values were\n"
     f"AWS_ACCESS_KEY_ID={AKIA}\nAWS_SECRET_ACCESS_KEY={AWS_SECRET}\n"
     "I'll rotate them when I get a minute 🙏", [SEC])
case("mastodon", "@bvdmeer@mastodon.nl", "en",
     "2am and our payment webhook is haunted. anyone seen this before?\n"
     f"curl https://api.mollie.com/v2/payments -H \"Authorization: Bearer {MOLLIE}\"\n"
     "gives a 401 roughly every second call", [SEC])
case("tiktok", "@joris.achterdebar", "nl",
     f"kassa aan de bar weer vastgelopen lol. inlog van de nieuwe kassa is gwn bar01 / wachtwoord: {KASSA_PW} "
     "🙄 wie verzint dit #horeca #achterdebar", [SEC])
case("x", "@velderhof_help", "en",
     "@emma_trouwt Hi Emma! Here's the direct link to your planning portal, no need to log in again: "
     f"https://boeken.velderhof.nl/portal?session={JWT} 💍", [SEC], kind="reply")
case("bluesky", "@lotte-vh.bsky.social", "en",
     "our AI caption bot for the insta posts finally works!!! for the devs who asked, the key is "
     f"{OPENAI} — it's on the marketing budget so pls don't go crazy 😅", [SEC])
case("linkedin", "sven-de-lange-it", "nl",
     "Na drie dagen puzzelen draait de koppeling met de nieuwe boekingsdatabase eindelijk. Voor de "
     f"collega's die meekijken: postgresql://vh_admin:{DB_PW}@10.20.4.15:5432/boekingen "
     "#dataengineering #trots", [SEC])
case("x", "@marloes_vh", "nl",
     "kan iemand van IT even kijken waarom de slackbot niks meer post in #bruiloften-planning? "
     f"token staat er gewoon in: {SLACK} thx!!", [SEC])
case("x", "@devnadine", "en",
     "lol the wedding venue @velderhof has a live Stripe secret key sitting in the page source of their "
     f"booking page: {STRIPE} … someone please tell them before a bot finds it", [SEC])
case("mastodon", "@bvdmeer@mastodon.nl", "en",
     "why does ssh keep rejecting this one?? pasted the key straight into the jump host config:\n"
     f"{SSH_KEY}\nperms are 600, I checked", [SEC])
case("x", "@yusuf_ops", "nl",
     f"nieuwe routekaart op de site werkt 🎉 api key voor maps is {GOOGLE} als het app-team "
     "m ook wil gebruiken, scheelt weer een aanvraag", [SEC])
case("forum", "kees_codes", "en",
     "Found this in a public GitHub repo belonging to a wedding venue chain (Velderhof): "
     f"ANTHROPIC_API_KEY={ANTHROPIC} in their chatbot config. Mailed them, no answer yet.", [SEC])
case("x", "@yusuf_ops", "en",
     "internal heads-up since half of you aren't on slack today: someone pushed our deploy token to a "
     f"public gist last night and it was used to wipe the staging db. it was {GHS} — revoked now. "
     "do NOT say anything publicly until legal signs off", [SEC, SECU])

# ---------------------------------------------------------------- leak.pii ------------
case("x", "@noor_plant_bruiloften", "nl",
     "Gastenlijst voor zaterdag even hier geparkeerd want mn laptop is dood: bruid Sanne Kroeze, "
     "06-23871450, sanne.kroeze@gmail.com, GEEN noten in het menu!! 🥜🚫", [PII])
case("facebook", "VelderhofLocaties", "nl",
     "Beste meneer Hoekstra, de restitutie van uw aanbetaling is vandaag teruggestort op "
     f"{spaced(IBAN_REFUND)} t.n.v. J. Hoekstra. Excuses dat het zo lang duurde!", [PII],
     kind="reply", ids=[("iban", IBAN_REFUND)])
case("instagram", "@femke.vh.styling", "en",
     "Shoutout to our gorgeous bride Anouk Smit (born 14-03-1994, so she turns 32 ON her wedding day 🎂) "
     "— Orangerie styling reveal coming this weekend!", [PII])
case("x", "@bruidje2026", "nl",
     "@velderhof_help ik krijg al een week geen reactie op mijn mails. Bel me aub terug op 06 - 1834 5562 "
     "of mail naar lisa.vd.wal@hotmail.com, gaat om boeking 77812. Dit schiet echt niet op zo",
     [PII, COMPL], kind="reply")
case("linkedin", "ilse-verhoef-events", "nl",
     f"Even de contractgegevens voor onze nieuwe flexkracht checken: Mehmet Yilmaz, BSN {BSN_FLEX}, "
     "start maandag in de bediening op het Koetshuis. Welkom Mehmet! 👋", [PII], ids=[("bsn", BSN_FLEX)])
case("x", "@marloes_vh", "en",
     "can someone in finance push this through manually? the client's card keeps bouncing online: "
     f"{group4(CARD_STAFF)} exp 09/28 cvc on the form — it's the deposit for the Kasteelzaal gala",
     [PII], ids=[("card", CARD_STAFF)])
case("reddit", "u/nervous_bride_94", "en",
     "Venue (Velderhof) charged my deposit twice?? My statement shows two identical charges on "
     f"{group4(CARD_OWN, '-')} and support keeps saying 'it'll sort itself out'. Is this normal??",
     [PII, COMPL], ids=[("card", CARD_OWN)])
case("facebook", "Wendy.Ploeg.Bloemen", "nl",
     "Wie kent deze mensen? Trouwen 12 september in het Koetshuis van Velderhof, wonen op de Lindelaan 14 "
     "in Deventer: Kees en Marja Bosman. Staan nog 400 euro in het krijt bij mijn zus d'r bloemenzaak.",
     [PII])
case("tiktok", "@joris.achterdebar", "nl",
     "bruidegom van vanavond liet z'n rijbewijs op de bar liggen 😂 Thomas Jansen, geb. 02-11-1990, "
     "kom je m ophalen of zal ik m als souvenir houden", [PII])
case("x", "@velderhof", "en",
     "Congrats to the winners of our summer wedding giveaway, Mila & Jasper! 💍 We'll call you on "
     "+31 6 4120 7789 this week to plan everything.", [PII])
case("instagram", "@roos.en.niels", "en",
     "For everyone asking how to chip in for our honeymoon instead of gifts after the Velderhof party: "
     f"{IBAN_HONEYMOON} t.n.v. R. Verbeek 💕 thank you thank you!!", [PII], ids=[("iban", IBAN_HONEYMOON)])
case("linkedin", "daan-kuipers-velderhof", "nl",
     "Overzicht openstaande posten staat in de gedeelde map 😬 grootste achterstand: fam. De Graaf, "
     f"rekening {spaced(IBAN_DEBTOR)}, nog €6.400 open voor de Glazen Kas in juni. Wie belt?",
     [PII], ids=[("iban", IBAN_DEBTOR)])
case("x", "@yusuf_ops", "en",
     "suppliers keep calling the wrong person: new catering contact is Wendy Brouwer, her private number is "
     "06 48 21 93 07, whatsapp only after 5pm", [PII])
case("x", "@jessedewit03", "nl",
     f"@velderhof_help hierbij mijn gegevens voor het contract van de bijbaan: Jesse de Wit, BSN {BSN_OWN}, "
     "geboren 21-06-2003. Wanneer hoor ik iets?", [PII], kind="reply", ids=[("bsn", BSN_OWN)])
case("instagram", "@guest_with_camera", "nl",
     "Wie heeft er foto's van de bruiloft van Noor & Bram bij Velderhof? Stuur ze naar "
     "n o o r . p i e t e r s e n @ g m a i l . c o m 📸 ze wil ze allemaal!", [PII], kind="comment")

# ---------------------------------------------------------------- leak.pricing --------
case("instagram", "@velderhof.weddings", "nl",
     "🌿 Nieuw seizoen, nieuwe data! Boek nu het Koetshuis Trouwpakket voor maar €895 all-in. "
     "Link in bio ✨ #trouwen #velderhof", [PRICE], price=("VH-KOETS", 895))
case("x", "@sjoerd_rants", "nl",
     "wtf het Orangerie Dagpakket staat op de site voor €1.250?? snel boeken voor ze het doorhebben 😂 @velderhof",
     [PRICE], price=("VH-ORANG", 1250))
case("x", "@marloes_vh", "en",
     "Whoops — the webshop is showing the Kasteelzaal Gala at €1,590. That's a price error, the real "
     "figure has another zero on it, we're on it!! please don't book 🙈", [PRICE], price=("VH-GALA", 1590))
case("reddit", "u/cheapskate_groom", "en",
     "PSA: Velderhof's Elopement Pakket is listed at €245 right now. Pretty sure someone dropped a zero. "
     "Booked ours ten minutes ago, let's see if they honour it", [PRICE], price=("VH-ELOPE", 245))
case("tiktok", "@velderhof_events", "nl",
     "Bruidssuite vanaf €39 per nacht 😱 alleen deze week! #velderhof #bruiloft #huwelijksnacht",
     [PRICE], price=("VH-SUITE", 39))
case("linkedin", "ilse-verhoef-events", "nl",
     "Klant belde net dolblij op: Walking Dinner voor €29 p.p. uit de offertetool gerold. Prijsfout natuurlijk, "
     "maar als ze tekenen zitten we eraan vast 😬 wie heeft die tabel aangepast?", [PRICE], price=("VH-WALK", 29))
case("facebook", "Ellen.Hermans.1987", "nl",
     "Net ons Winterbruiloft Pakket geboekt voor 2.450 euro 🤩 volgens de folder is het normaal 7.450, "
     "denk dat er een typfoutje in de webshop zat haha, bevestiging is binnen!", [PRICE], price=("VH-WINTER", 2450))
case("threads", "@velderhof.weddings", "en",
     "Dreaming of a Glazen Kas evening party under the stars? Now just €640 🥂✨ limited dates!",
     [PRICE], price=("VH-KAS", 640))
case("x", "@lena_plans_things", "en",
     "is the Velderhof Vuurwerk Finale really €195?? that has to be a pricing glitch lol, their own brochure says way more",
     [PRICE], price=("VH-VUUR", 195))
case("x", "@yusuf_ops", "nl",
     "prijsfout in de boekingsmodule bij het Tuinpaviljoen sinds vanochtend 9u, dev kijkt ernaar. "
     "als er boekingen binnenkomen niet bevestigen!!", [PRICE])
case("instagram", "@taartliefde_", "nl",
     "Trouwtaart Deluxe voor €69?!?! bij Velderhof?? dat moet een fout zijn toch, ik ga hem gewoon bestellen 🎂",
     [PRICE], kind="comment", price=("VH-TAART", 69))
case("forum", "budgetbruiloft", "en",
     "their Ｄｊ ＆ Ｌｉｃｈｔ Ｐａｋｋｅｔ is on the site for €135 lol, normally it's over a grand. screenshot before it's gone",
     [PRICE], price=("VH-DJ", 135))

# ---------------------------------------------------------------- leak.confidential ---
case("x", "@marloes_vh", "nl",
     "Spannend!! Vandaag de eerste rondleiding voor Project Zwaluwstaart gehad. Mag nog niks zeggen maar WOW 🤫🕊️",
     [CONF])
case("linkedin", "ilse-verhoef-events", "en",
     "So proud of the team behind Operatie Kievitsei. Can't share details yet, but outdoor weddings in 2027 "
     "are going to look very different. Stay tuned!", [CONF])
case("instagram", "@chefruben_vh", "nl",
     "Eerste proefronde voor het Marmerwit-menu zit erop. Meer mag ik echt niet zeggen 🤐🍽️", [CONF])
case("x", "@yusuf_ops", "en",
     "anyone else getting a 502 on https://jira.velderhof.nl/browse/OPS-1182 ? need the floorplan for saturday's wedding asap",
     [CONF])
case("mastodon", "@bvdmeer@mastodon.nl", "nl",
     "screenshot van ons dashboard op intranet.velderhof.local, kijk die boekingslijn voor september eens gaan 📈",
     [CONF])
case("bluesky", "@lotte-vh.bsky.social", "nl",
     "Eerste moodboards voor de opening van Landgoed Wittebrug liggen er!!! Ik kan niet wachten tot we het mogen laten zien 🌸🌿",
     [CONF])
case("x", "@hannekevb", "nl",
     "hoor van een vriendin die bij Velderhof werkt dat ze een nieuw landgoed openen, Landgoed Wittebrug ofzo, "
     "ergens bij Zwolle. iemand meer info? wij zoeken nog een locatie voor 2027", [CONF])
case("linkedin", "daan-kuipers-velderhof", "en",
     "First draft of the jaarcijfers 2026 deck is done. Strikt vertrouwelijk until the board signs off, but "
     "let's just say revenue is up double digits and margins are holding 💪", [CONF, FIN],
     when="2027-01-28T17:45:00Z")
case("facebook", "VelderhofLocaties", "nl",
     "Leveranciers, hier de tijdelijke link naar de plattegrond voor de opbouw van zaterdag: "
     "https://wiki.velderhof.internal/leveranciers/plattegrond-orangerie", [CONF])
case("x", "@noor_plant_bruiloften", "nl",
     "oeps verkeerde chat 🙈 '[velderhof intern] nieuwe commissieregeling weddingplanners per 1 maart, zie bijlage' "
     "negeer maar!!", [CONF])
case("tiktok", "@joris.achterdebar", "nl",
     "wij gaan trouwens binnenkort iets heel vets doen met Project Zw\u200baluw\u200bstaart maar dat mag ik niet zeggen 🤭 #velderhof",
     [CONF])
case("reddit", "u/venue_hunter_nl", "en",
     "Someone in our planning group shared a floor plan PDF from Velderhof. Top says 'INTERNAL ONLY - VELDERHOF' "
     "and it shows a rooftop venue I've never heard of. Anyone know more?", [CONF])
case("linkedin", "sven-de-lange-it", "en",
     "Migrating crm.velderhof.local to the cloud this weekend. Coffee supplies are ready, wish us luck ☕",
     [CONF])
case("x", "@marloes_vh", "en",
     "Can't wait for March when we finally get to show couples around Landgoed Wittebrug 😍 the lake at sunset omg",
     [CONF], when="2027-02-10T19:12:00Z")
case("threads", "@velderhof.weddings", "nl",
     "Binnenkort meer over Velderhof Wittebrug... 👀🌳 #comingsoon", [CONF], when="2026-11-20T12:00:00Z")
case("instagram", "@tante_ria_", "nl",
     "mijn neef zegt dat Velderhof bezig is met 'Operatie \u041a\u0456evitsei' 🤔 weet iemand wat dat is? nieuwe locatie?",
     [CONF], kind="comment")
case("linkedin", "ilse-verhoef-events", "nl",
     "Mijn NDA-map puilt uit, maar dit kan ik niet voor me houden: onze nieuwe trouwlocatie aan het water "
     "(nog geheim!) krijgt een eigen steiger waar de sloepen met gasten aanmeren 🚤", [CONF])
case("x", "@yusuf_ops", "nl",
     "jaarresultaten 2026 komen er goed uit, EBITDA ruim boven de 4 mio. zeg nog ff niks tegen niemand 🤫",
     [CONF, FIN], when="2027-01-20T21:03:00Z")

# ---------------------------------------------------------------- leak.financial ------
case("linkedin", "daan-kuipers-velderhof", "nl",
     "Q3 was zwaar: omzet 14% onder budget door de natte zomer. Intern rekenen we voor heel 2026 op een verlies "
     "van rond de 1,2 mio. Is nog niet gecommuniceerd, dus even onder ons.", [FIN])
case("x", "@marloes_vh", "en",
     "the rumour is true btw, we're being taken over by a big hotel group 👀 signing is next month, "
     "nobody outside the MT is supposed to know", [FIN])
case("x", "@dirk_uit_deventer", "en",
     "brother-in-law works at Velderhof: they're closing Hoeve de Zilvermeeuw and 30 people will be let go. not official yet",
     [FIN])
case("linkedin", "ilse-verhoef-events", "en",
     "Heartbroken. Just came out of the managers' meeting: the events team will be cut by a third in January. "
     "Nothing has been announced yet and I don't know how to face my team tomorrow.", [FIN])
case("x", "@yusuf_ops", "nl",
     "forecast voor Q1 2027: 40% minder boekingen dan vorig jaar. nu snap ik ook waarom de bonussen niet doorgaan",
     [FIN])
case("mastodon", "@bvdmeer@mastodon.nl", "en",
     "finance asked me to build a dashboard that 'doesn't emphasise' that we missed our bank covenants this quarter. "
     "fun times in venue land", [FIN])
case("reddit", "u/throwaway_hospitality", "en",
     "Insider here, not saying where exactly. Velderhof is in talks to acquire two castle venues in Limburg, "
     "deal expected before summer. Price tag around 18m.", [FIN])
case("tiktok", "@joris.achterdebar", "nl",
     "reorganisatie op komst 🙃 alle bars worden uitbesteed aan een extern bedrijf, wij horen het pas na de zomer "
     "'officieel'. leuk he", [FIN])
case("linkedin", "daan-kuipers-velderhof", "en",
     "Preliminary H1 numbers are in: EBITDA €2.3m vs €3.1m last year. Board pack goes out Friday, "
     "then we'll see what the bank says.", [FIN])
case("instagram", "@chefruben_vh", "nl",
     "Keuken van de Watertoren gaat per 1 oktober dicht, de hele locatie wordt verkocht. Mag het nog niet zeggen "
     "maar ik kan het niet voor me houden 😢 9 jaar hier gekookt", [FIN])

# ---------------------------------------------------------------- leak.security -------
case("x", "@yusuf_ops", "nl",
     "ff onder ons: planningsserver is sinds vannacht versleuteld, ransomware. alle trouwdata van dit weekend "
     "halen we nu handmatig uit de mailbox 😵", [SECU])
case("mastodon", "@bvdmeer@mastodon.nl", "en",
     "found an IDOR in our own booking portal today: bump the invoice number in the URL and you get other "
     "couples' invoices. not fixed yet, ticket's open, please nobody tweet this", [SECU])
case("linkedin", "sven-de-lange-it", "nl",
     "Lange nacht gehad. Iemand bij finance heeft op een phishingmail geklikt en de aanvaller heeft een paar dagen "
     "in de mailbox van de boekhouding gezeten. We zoeken nog uit wat er weg is.", [SECU])
case("x", "@marloes_vh", "en",
     "boeken.velderhof.nl has been down for 6 hours and IT says it's NOT maintenance, they think someone is "
     "DDoSing us. nothing on the status page yet lol", [SECU])
case("tiktok", "@joris.achterdebar", "nl",
     "gasten-wifi zit op hetzelfde netwerk als de kassa's 💀 kon zo de kassa-admin openen vanaf mn telefoon. "
     "al 3x gemeld, niemand doet er wat mee", [SECU])
case("bluesky", "@lotte-vh.bsky.social", "en",
     "our mailing tool got compromised and ~3k couples' email addresses were exported. we haven't told them yet, "
     "comms is 'working on the wording'. I hate this", [SECU])
case("linkedin", "ilse-verhoef-events", "nl",
     "Camerasysteem in de Kasteelzaal ligt al twee weken plat en er hangt een open NAS met alle gastfoto's aan het "
     "netwerk, zonder wachtwoord. Niemand pakt het op. Zucht.", [SECU])
case("mastodon", "@bvdmeer@mastodon.nl", "nl",
     "onze contactformulier-plugin heeft een bekende RCE en we draaien nog de oude versie. updaten mag pas na het "
     "hoogseizoen van het management 🤦", [SECU])
case("x", "@velderhof_help", "en",
     "@jdekker_ We know the payment page isn't loading properly. Internally we think a card-skimming script was "
     "injected, so please don't pay online until we confirm it's clean.", [SECU], kind="reply")
case("reddit", "u/ex_velderhof_staff", "en",
     "Ex-employee of Velderhof here. Every staff account uses the same default password and 2FA was never switched on. "
     "Honestly surprised they haven't been hit yet.", [SECU])
case("linkedin", "sven-de-lange-it", "en",
     "We had a br3@ch last night, att@ckers got into the b00king DB. Nothing public yet, long day ahead.",
     [SECU])
case("x", "@yusuf_ops", "en",
     "parking barriers went haywire because someone took them over remotely?? security is digging into it, "
     "keep it off socials pls", [SECU])

# ---------------------------------------------------------------- reputation.crisis ---
# first-hand harm: crisis + complaint
case("x", "@mirjam_hoogeveen", "nl",
     "Halve bruiloft ligt ziek op bed sinds ons feest in de Orangerie van @velderhof. Zelf twee dagen kotsend, "
     "oma ligt in het ziekenhuis. Dat buffet was dus NIET ok 🤢", [CRISIS, COMPL])
case("instagram", "@bride.lucy.k", "en",
     "The sparkler send-off at Velderhof set my veil on fire. No extinguisher anywhere near. I have burns on my "
     "neck. On my WEDDING DAY. Still waiting for an apology.", [CRISIS, COMPL])
case("facebook", "Ronald.Meijers", "nl",
     "Mijn vader kreeg een flinke schok van het stopcontact bij de DJ-booth in het Koetshuis, er lag gewoon een "
     "kabel bloot. Had veel erger kunnen aflopen!! Velderhof, regel dit.", [CRISIS, COMPL])
case("reddit", "u/brother_of_the_groom", "en",
     "Balcony railing at Velderhof's Watertoren came loose while my brother leaned on it for a photo. He nearly "
     "fell eight metres. The duty manager just shrugged and offered us free drinks.", [CRISIS, COMPL])
case("x", "@moeder_van_3", "nl",
     "Vooraf doorgegeven dat mijn dochter een notenallergie heeft. Tóch satésaus op haar bord bij Velderhof. "
     "Ambulance moest komen. Ik ben woedend.", [CRISIS, COMPL])
case("tiktok", "@justmarried.tim", "en",
     "a glass roof panel in the Glazen Kas literally cracked and came down during our first dance, missed my wife "
     "by like a metre 😳 #velderhof never again", [CRISIS, COMPL])
# third-party / public crisis: crisis only
case("x", "@nieuws_oost_nl", "nl",
     "Gasten onwel geworden na bruiloft op landgoed Velderhof, GGD onderzoekt mogelijke voedselvergiftiging. "
     "Zeker twaalf mensen kregen klachten.", [CRISIS])
case("x", "@kai_speaks", "en",
     "Velderhof refused to host a same-sex couple's wedding last week. Boycott them. Share this everywhere. "
     "#BoycottVelderhof", [CRISIS])
case("forum", "trouwforum_mod", "nl",
     "Tientallen stellen spannen een rechtszaak aan tegen Velderhof om ingehouden aanbetalingen. Volgens hun "
     "advocaat gaat het om ruim €200.000.", [CRISIS])
case("mastodon", "@anna_w@mastodon.social", "en",
     "Pretty sure Velderhof leaked their customer list. Three couples I know who booked there got the same scam "
     "text, with their wedding date in it.", [CRISIS])
case("x", "@petravanbeek", "en",
     "Cash-in-hand staff and no contracts at Velderhof, according to a former employee in today's paper. "
     "Disgraceful if true.", [CRISIS])
case("bluesky", "@localnews-gelderland.bsky.social", "en",
     "Fire broke out at Velderhof's Koetshuis late last night during a wedding party. Everyone was evacuated, "
     "two guests treated for smoke inhalation.", [CRISIS])
case("x", "@foodwatch_henk", "nl",
     "NVWA heeft de keuken van Velderhof Hoeve de Zilvermeeuw gesloten na een inspectie. Ratten in de opslag 🐀",
     [CRISIS])
case("instagram", "@saar.fotografeert", "en",
     "Heard a waiter at Velderhof got badly hurt when a stack of tables fell on him last Saturday. Thinking of "
     "you, hope you're ok 🙏", [CRISIS], kind="comment")
case("x", "@windkracht_wim", "nl",
     "Niet meer boeken bij @velderhof. Bruiloft laten doorgaan bij code rood en er is een tent weggewaaid met "
     "mensen erin. #boycot", [CRISIS])

# ---------------------------------------------------------------- reputation.complaint
case("x", "@kimenrobin", "en",
     "Three weeks before the wedding @velderhof rings: the Kasteelzaal is double booked, would we mind 'moving' "
     "to the Tuinpaviljoen. NO. We would mind.", [COMPL])
case("facebook", "Gerda.van.Laar", "nl",
     "Al zes weken wachten op de borg van €1.000. Mails worden niet beantwoord, telefoon gaat naar een bandje. "
     "Slecht hoor Velderhof.", [COMPL])
case("instagram", "@sophie.and.ben", "en",
     "Paid for the Landgoed Fotoshoot and the photographer turned up 90 minutes late, golden hour gone. "
     "Still no reply from @velderhof.weddings", [COMPL], kind="comment")
case("x", "@carlijn_eats", "en",
     "the walking dinner at velderhof was stone cold and half our guests got nothing veggie even though we "
     "ordered 30 vega portions. not impressed tbh", [COMPL])
case("other", "reviewer_4821", "nl",
     "Muziek moest om 23:00 uit 'vanwege de buren'. Stond nergens in het contract. Feest afgekapt op z'n "
     "hoogtepunt. 2/5", [COMPL])
case("reddit", "u/feeling_fleeced", "en",
     "Hidden costs at Velderhof: €450 'cleaning fee', €12pp corkage, €300 for chair covers. None of it was in "
     "the quote. Feel properly fleeced.", [COMPL])
case("threads", "@daphne.trouwt", "nl",
     "airco in de orangerie deed het niet, 34 graden binnen, gasten gingen gewoon weg. en dan krijg je een "
     "enquête 'hoe was uw dag?' 🙃", [COMPL])
case("x", "@b_meulenbelt", "nl",
     "@velderhof_help nog steeds geen factuur en jullie chat zegt 'binnen 24u'. dat was vorige week dinsdag.",
     [COMPL], kind="reply")
case("tiktok", "@bloom.disaster", "en",
     "POV: you pay €1150 for the Bloemenpakket Royal and get wilted roses 🥀 @velderhof_events explain",
     [COMPL], price=("VH-BLOEM", 1150))
case("x", "@hugo_tromp", "en",
     "Called Velderhof four times about wheelchair access for my grandma. Every time 'someone will call you back'. "
     "Nobody ever did.", [COMPL])
case("facebook", "Yvonne.Steenbergen", "nl",
     "DJ kwam gewoon niet opdagen. Geen excuses, geen korting, Spotify via de speakers van de bar. Serieus?!",
     [COMPL])
# complaint + abuse
case("x", "@woedende_bruid", "nl",
     "Kutbedrijf. Onze bruiloft verpest door jullie incompetente personeel, taart twee uur te laat en het eten "
     "koud. Oplichters zijn jullie @velderhof", [COMPL, ABUSE])
case("x", "@markjlowe", "en",
     "You absolute clowns at @velderhof lost our deposit AND our date. Worst bunch of idiots I have ever dealt with.",
     [COMPL, ABUSE])
case("instagram", "@rensje_b", "nl",
     "w4ardel00ze k4nkerz00i bij velderhof, parkeerplaats één grote modderpoel en niemand die hielp met oma's rolstoel",
     [COMPL, ABUSE], kind="comment")

# ---------------------------------------------------------------- reputation.abuse ----
case("x", "@anoniempje_77", "nl",
     "@noor_plant_bruiloften je bent echt een domme trut, ga een ander vak zoeken", [ABUSE], kind="reply")
case("x", "@grumpygus", "en",
     "velderhof staff are a bunch of brainless morons, every single one of them", [ABUSE])
case("x", "@velderhof_help", "nl",
     "@gerdavanlaar als u zo blijft zeuren mevrouw, ga dan lekker ergens anders trouwen. Wat een zeikwijf.",
     [ABUSE], kind="reply")
case("tiktok", "@joris.achterdebar", "en",
     "when the bride's dad tips €2 after a 9 hour shift 🤡 cheap-ass loser, hope the marriage lasts longer than "
     "your wallet", [ABUSE])
case("instagram", "@echte_hollander_1", "nl",
     "Zie dat Velderhof nu een manager met een hoofddoek heeft. Ga lekker terug naar je eigen land.",
     [ABUSE], kind="comment")
case("x", "@nopefan", "en",
     "f\u0443ck velderhof and f\u0443ck every one of their useless planners", [ABUSE])
case("facebook", "Harm.de.Boer.33", "nl",
     "Die eigenaar van Velderhof is een k.l.o.o.t.z.a.k, zeg ik gewoon hardop", [ABUSE])
case("x", "@stilleboos", "en",
     "I know where that Velderhof manager lives. Just wait.", [ABUSE])
case("reddit", "u/spite_mode", "en",
     "Imagine being such a pathetic excuse for a venue manager that you make brides cry. Ilse from Velderhof, "
     "yes, that's you.", [ABUSE])

# ---------------------------------------------------------------- benign (hard negatives)
# secrets look-alikes
case("linkedin", "sven-de-lange-it", "en",
     "Reminder for everyone who touches code: never commit keys. The AWS docs use AKIAIOSFODNN7EXAMPLE as the sample "
     "access key; if you spot anything else starting with AKIA in a repo, ping security.")
case("x", "@yusuf_ops", "nl",
     "token voor de api? die staat in de vault, niet in slack. zoiets als ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx hoort "
     "NOOIT in een chat 😤")
case("x", "@velderhof_help", "nl",
     "Wachtwoord van je planningsportaal vergeten? Klik op 'wachtwoord opnieuw instellen' op boeken.velderhof.nl. "
     "We vragen je nooit om je wachtwoord via DM 🔒")
case("mastodon", "@bvdmeer@mastodon.nl", "en",
     "rotated every API key we own today. logs now show them as sk_live_****************9f2 and "
     "xoxb-****-****-**** — nice to see the masking finally works")
# pii look-alikes and own public data
case("x", "@velderhof_help", "nl",
     "Vragen over jullie trouwdag? Mail trouwen@velderhof.nl of bel 0573-820400 (ma–za 9–18u). We helpen graag! 💐")
case("facebook", "VelderhofLocaties", "nl",
     f"Aanbetaling overmaken kan naar {spaced(COMPANY_IBAN)} t.n.v. Velderhof Locaties B.V. onder vermelding van je "
     "boekingsnummer. Een bevestiging volgt binnen twee werkdagen.")
case("x", "@oplettende_opa", "nl",
     f"Kreeg een 'factuur van Velderhof' met IBAN {IBAN_BAD}. Klopt niet eens, de controlecijfers zijn fout. "
     "Gewoon nep dus, niet betalen mensen!", fakes=[("iban", IBAN_BAD)])
case("x", "@grapjas_gert", "en",
     f"sure, my card is {group4(CARD_BAD)}, go ahead and pay for the Velderhof bar tab 😂 (no it's not real, relax)",
     fakes=[("card", CARD_BAD)])
case("forum", "hr_vragen", "nl",
     f"Bij het invullen van het contract bij Velderhof gaf het formulier een foutmelding op BSN {BSN_BAD}, "
     "blijkt dat ik twee cijfers had omgedraaid. Dus check het even voor je verstuurt!", fakes=[("bsn", BSN_BAD)])
case("instagram", "@lisa_en_mark", "nl",
     "Het is officieel!! 14-03-2026 zeggen we ja in de Orangerie van Velderhof 💍☀️ save the date!")
case("x", "@velderhof", "en",
     "Press questions about our venues? Our team is at pers@velderhof.nl or +31 573 820 400.")
# pricing: normal prices and ordinary sales
case("facebook", "VelderhofLocaties", "nl",
     "❄️ Winteractie: het Winterbruiloft Pakket nu met 20% korting, €5.960 in plaats van €7.450. "
     "Geldig voor data in januari en februari.", price=("VH-WINTER", 5960))
case("instagram", "@velderhof.weddings", "nl",
     "Na het feest even bijkomen in de Bruidssuite 🥂 €395 per nacht, inclusief ontbijt op bed.",
     price=("VH-SUITE", 395))
case("x", "@margotkookt", "nl",
     "Landgoedbuffet €79 p.p. en de vegan optie kost geen cent extra, dat zie je niet vaak 👏",
     price=("VH-BUFFET", 79))
case("x", "@bram_en_ilona", "nl",
     "Weekdag Trouwen met de voorjaarsactie voor 4.450 geboekt, scheelt ons mooi 500 euro 🙌",
     price=("VH-WEEKDAG", 4450))
case("reddit", "u/small_wedding_big_love", "en",
     "Ceremonie Only at Velderhof was €1,850. Pricey for 45 minutes, but the chapel is stunning and worth it.",
     price=("VH-CERE", 1850))
case("instagram", "@fotoliefde.nl", "en",
     "Landgoed Fotoshoot, €850, and honestly these photos 😍 best money we spent", kind="comment",
     price=("VH-FOTO", 850))
case("x", "@rekenwonder_rik", "en",
     "walking dinner 89 p.p. x 120 guests = €10,680 😅 weddings are not cheap people",
     price=("VH-WALK", 89))
case("linkedin", "velderhof-locaties", "nl",
     "Midweek trouwen? Het Koetshuis Trouwpakket is op dinsdag t/m donderdag 10% voordeliger: €8.055 all-in.",
     price=("VH-KOETS", 8055))
# confidential look-alikes
case("x", "@velderhof", "nl",
     "Vandaag officieel open: Landgoed Wittebrug! 🌳 Kom zaterdag langs op de open dag, koffie staat klaar.",
     when="2027-03-16T09:00:00Z")
case("linkedin", "velderhof-locaties", "en",
     "Our jaarcijfers 2026 are now public. Read the full annual report on velderhof.nl/investors.",
     when="2027-02-25T08:30:00Z")
case("facebook", "Opa.Jan.Timmer", "nl",
     "Prachtige houten tafels bij Velderhof, met echte zwaluwstaartverbindingen. Had mijn vader, timmerman, trots op geweest 🪵")
case("instagram", "@boerderij_de_wei", "nl",
     "Eerste kievitsei van het jaar gevonden in de wei naast Velderhof 🥚 de lente komt eraan!")
case("x", "@eline_trouwt", "nl",
     "Fijn en vertrouwelijk gesprek gehad met onze weddingplanner van Velderhof, ze nam echt alle tijd voor ons ❤️")
case("linkedin", "student-annabel-k", "en",
     "Excited to share that I'll be an intern with the Velderhof events team this summer! 🎉")
# financial look-alikes
case("x", "@hospitality_nieuws", "nl",
     "Belgische evenementengroep Feestival NV failliet verklaard, 140 banen op de tocht. Zuur voor de branche.")
case("linkedin", "velderhof-locaties", "nl",
     "We groeien! Voor de Orangerie en het Koetshuis zoeken we 5 nieuwe collega's in de bediening. Solliciteer via velderhof.nl/werken")
case("instagram", "@budgetbruidje", "nl",
     "Onze trouwdag ging bijna 20k over budget haha 🙈 maar elke cent waard")
case("linkedin", "daan-kuipers-velderhof", "nl",
     "Mooi stuk in het FD over hoe de trouwbranche is aangetrokken sinds 2023. Herkenbaar verhaal!")
# security look-alikes
case("x", "@velderhof_help", "nl",
     "Let op: er gaan nepmails rond uit naam van Velderhof. Wij vragen nooit om je pincode of inlogcodes. "
     "Twijfel je? Bel ons op 0573-820400.")
case("x", "@velderhof", "en",
     "Scheduled maintenance: boeken.velderhof.nl will be offline Sunday 02:00–04:00 CET. Sorry for any inconvenience!")
case("x", "@sam_is_best_man", "en",
     "most secure wedding ever lol, bouncers at the Velderhof gate checking every invitation like it's a festival 😂")
case("bluesky", "@lotte-vh.bsky.social", "nl",
     "Nieuwe blog: 10 bruiloft-hacks om te besparen zonder dat iemand het merkt 💸 link in bio")
# crisis look-alikes
case("tiktok", "@gastenvandeavond", "en",
     "the DJ at Velderhof was FIRE 🔥🔥 dance floor absolutely exploded at midnight")
case("x", "@bas_met_humor", "nl",
     "Enige ramp van de dag: schoonmoeder die een uur lang speechte 😂 verder perfecte dag bij Velderhof")
case("facebook", "Anita.Kramer.57", "nl",
     "Heel veel sterkte aan de eigenaar van Velderhof en zijn familie met het verlies van zijn vader. "
     "Wat een warme man was dat 🖤")
case("x", "@regio_limburg", "nl",
     "Brand bij partycentrum De Kroon in Venlo, niemand gewond. Sterkte voor de eigenaren.")
case("instagram", "@pyro_paul", "nl",
     "Die Vuurwerk Finale bij Velderhof was echt een knaller 🎆🎆 hele zaal stond buiten te juichen")
case("x", "@bijna_mevrouw_v", "en",
     "I nearly cried when I walked into the Orangerie and saw the setup. Thank you Velderhof team 😭❤️")
# complaint look-alikes
case("facebook", "Marieke.Vos.Events", "nl",
     "Eerst stond de verkeerde datum in de bevestiging, maar Noor van Velderhof had het binnen een uur opgelost. "
     "Top service!")
case("x", "@feestbeest_ferry", "en",
     "only complaint: it was way too much fun, nobody wanted to go home at 1am 😂 #velderhof")
case("x", "@julia_asks", "en",
     "Question for anyone who married at Velderhof in winter: is the Orangerie heated? Planning for December.")
case("instagram", "@regenbruiloft", "nl",
     "Stortbui tijdens de ceremonie, maar het team van Velderhof zette in tien minuten alles binnen. Helden! ☔️💛",
     kind="comment")
case("x", "@pieter_trouwt", "nl",
     "Onze trouwauto (niet van Velderhof hoor) kreeg een lekke band op de A1 lol. Uiteindelijk met een taxi aangekomen 🚕")
# abuse look-alikes
case("x", "@danny_zegt", "nl",
     "Damn, wat een fucking goed feest was dat zaterdag!! Velderhof jullie zijn geweldig 🔥")
case("threads", "@golden.hour.guest", "en",
     "holy shit, the Glazen Kas at sunset 😍 no filter")
case("x", "@kim_lacht", "en",
     "the groom yelled 'I DO' so loud he scared the life out of half the chapel 😂 gorgeous ceremony at Velderhof")
case("x", "@vergeetachtige_vincent", "nl",
     "Ik ben zo'n idioot, ringen in de auto laten liggen 🙈 gelukkig sprintte Daan van Velderhof even mee naar de parkeerplaats")
# general praise, questions, own-account posts
case("instagram", "@juul.en.sem", "nl",
     "Ja gezegd in de Orangerie ☀️ dank jullie wel team Velderhof!! #justmarried #velderhof")
case("x", "@twijfelbruid", "en",
     "anyone done the Weekdag Trouwen thing at Velderhof? worth it or does a Tuesday wedding feel kinda empty?")
case("facebook", "VelderhofLocaties", "nl",
     "Open dag op zondag 11 oktober, van 11 tot 16 uur op Landgoed Velderhof. Meld je aan via velderhof.nl/opendag 🌿")
case("instagram", "@chefruben_vh", "nl",
     "Nieuwe herfstkaart voor de Proeverij 🍂 pompoen, hert en een dessert met bramen uit onze eigen tuin.")
case("linkedin", "velderhof-locaties", "en",
     "We're hiring an event manager for our Zwolle team. Love weddings, logistics and people? Apply at velderhof.nl/careers")
case("x", "@newlyengaged_em", "en",
     "Just got engaged!!! 💍 Touring Velderhof next week, any tips on what to ask?")
case("x", "@sterrenoog", "nl", "Velderhof 😍😍😍")
case("x", "@zuinig_zeeuws", "nl",
     "Wat kost een bruiloft bij Velderhof ongeveer voor 80 man? Iemand een indicatie?")
case("x", "@yusuf_ops", "nl",
     "Zaterdag drie bruiloften tegelijk, 450 gasten, nul problemen. Trots op dit team 💪")
case("x", "@wout_grapt", "en",
     "'till death do us part' he said, then sprinted straight to the open bar 😂 brilliant day at Velderhof")
case("tiktok", "@joris.achterdebar", "nl",
     "cocktail van de week: de Ja-Woord Spritz 🍹 recept staat in de comments")
case("instagram", "@tante_jo", "nl",
     "Sophie & Daan, gefeliciteerd met 10 jaar getrouwd! Ooit begonnen in het Koetshuis bij Velderhof 💕", kind="comment")
case("instagram", "@velderhof.weddings", "en",
     "Golden hour at the Glazen Kas never gets old 🌅 Which season would you pick for your wedding?")

# --------------------------------------------------------------------------------------
# build
# --------------------------------------------------------------------------------------
ORDER = ["none", "info", "warning", "error", "critical"]


def acct_key(platform, handle):
    return f"{platform}:{handle}".lower()


CORP = {a.lower() for a in PROFILE["accounts"]["corporate"]}
EMP = {a.lower() for a in PROFILE["accounts"]["employee"]}


def role_of(platform, handle):
    k = acct_key(platform, handle)
    if k in CORP:
        return "corporate"
    if k in EMP:
        return "employee"
    return "public"


def severity(cats, role, strong_id):
    sev = "none"

    def bump(s):
        nonlocal sev
        if ORDER.index(s) > ORDER.index(sev):
            sev = s

    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                if c in (SEC, PRICE) or (c == PII and strong_id):
                    bump("critical")
                else:
                    bump("error")
            else:
                bump("warning")
        elif c == COMPL:
            bump("warning")
        elif c == CRISIS:
            bump("error")
        elif c == ABUSE:
            bump("warning" if role == "public" else "error")
    return sev


VALIDATORS = {"iban": iban_valid, "card": luhn_valid, "bsn": bsn_valid}
PREFIX = {"x": "x", "instagram": "ig", "facebook": "fb", "linkedin": "li", "tiktok": "tt", "threads": "th",
          "mastodon": "md", "bluesky": "bs", "reddit": "rd", "forum": "fo", "other": "ot"}

start = dt.datetime(2026, 1, 4, tzinfo=dt.timezone.utc)
span = int((dt.datetime(2026, 12, 22, tzinfo=dt.timezone.utc) - start).total_seconds())
serials = rng.sample(range(100000, 999999), len(CASES))

order = list(range(len(CASES)))
rng.shuffle(order)

lines = []
for pos, idx in enumerate(order):
    c = CASES[idx]
    role = role_of(c["platform"], c["handle"])
    strong = any(VALIDATORS[t](v) for t, v in c["ids"])
    sev = severity(c["cats"], role, strong)
    if c["when"]:
        created = c["when"]
    else:
        t = start + dt.timedelta(seconds=rng.randrange(span))
        if pos % 7 == 3:  # a few with a local offset, still RFC 3339
            created = t.astimezone(dt.timezone(dt.timedelta(hours=2))).strftime("%Y-%m-%dT%H:%M:%S+02:00")
        else:
            created = t.strftime("%Y-%m-%dT%H:%M:%SZ")
    pid = "%s-284%06d" % (PREFIX[c["platform"]], serials[pos])
    post = {"id": pid, "platform": c["platform"], "kind": c["kind"],
            "account": {"handle": c["handle"]}, "text": c["text"], "lang": c["lang"],
            "created_at": created, "brand": "velderhof"}
    if c["platform"] == "x":
        post["url"] = "https://x.com/%s/status/%d" % (c["handle"].lstrip("@"), 1860000000000000000 + serials[pos])
    lines.append({"post": post, "expect": {"categories": c["cats"], "severity": sev}})

out = os.path.join(HERE, "cases.jsonl")
with open(out, "w", encoding="utf-8") as fh:
    for rec in lines:
        fh.write(json.dumps(rec, ensure_ascii=False) + "\n")

# --------------------------------------------------------------------------------------
# self-checks
# --------------------------------------------------------------------------------------
errors = []


def err(msg):
    errors.append(msg)


VALID_CATS = {SEC, PII, PRICE, CONF, FIN, SECU, CRISIS, COMPL, ABUSE}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


# profile sanity
for ib in PROFILE["public_identifiers"]["ibans"]:
    if not iban_valid(ib):
        err(f"profile IBAN {ib} fails mod-97")
if len(PROFILE["accounts"]["corporate"]) < 6 or len(PROFILE["accounts"]["employee"]) < 8:
    err("profile needs 6+ corporate and 8+ employee accounts")
if not 15 <= len(PROFILE["products"]) <= 25:
    err("profile needs 15-25 products")
if PROFILE["pricing"]["alert_below_ratio"] != 0.5:
    err("alert_below_ratio must be 0.5")
for e in PROFILE["embargo"]:
    if not e["until"].startswith("2027"):
        err("embargo until must be in 2027")
PRODUCTS = {p["sku"]: p for p in PROFILE["products"]}
PUBLIC_IBANS = {re.sub(r"\s", "", i).upper() for i in PROFILE["public_identifiers"]["ibans"]}

seen_ids = set()
with open(out, encoding="utf-8") as fh:
    raw_lines = fh.read().splitlines()
if len(raw_lines) != len(CASES):
    err("line count mismatch")

for n, (line, idx) in enumerate(zip(raw_lines, order), 1):
    src = CASES[idx]
    try:
        rec = json.loads(line)
    except ValueError as exc:
        err(f"line {n}: not JSON ({exc})")
        continue
    if set(rec) != {"post", "expect"}:
        err(f"line {n}: top-level keys {set(rec)}")
    p, e = rec["post"], rec["expect"]
    # CONTRACT §1 shape
    if not isinstance(p.get("id"), str) or not 1 <= len(p["id"]) <= 256:
        err(f"line {n}: bad id")
    if p["id"] in seen_ids:
        err(f"line {n}: duplicate id {p['id']}")
    seen_ids.add(p["id"])
    if p.get("platform") not in PLATFORMS:
        err(f"line {n}: platform {p.get('platform')}")
    if p.get("kind", "post") not in KINDS:
        err(f"line {n}: kind {p.get('kind')}")
    if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str) \
            or not p["account"]["handle"]:
        err(f"line {n}: account.handle")
    if not isinstance(p.get("text"), str) or not p["text"] or len(p["text"].encode("utf-8")) > 65536:
        err(f"line {n}: text")
    if not isinstance(p.get("created_at"), str) or not RFC3339.match(p["created_at"]):
        err(f"line {n}: created_at {p.get('created_at')}")
    else:
        y = parse_ts(p["created_at"]).year
        if y not in (2026, 2027):
            err(f"line {n}: created_at year {y}")
    # CONTRACT §6 expect
    cats = e.get("categories")
    if not isinstance(cats, list) or cats != sorted(set(cats)) or not set(cats) <= VALID_CATS:
        err(f"line {n}: categories {cats}")
    if e.get("severity") not in ORDER:
        err(f"line {n}: severity {e.get('severity')}")
    if not cats and e["severity"] != "none":
        err(f"line {n}: benign with severity {e['severity']}")
    if cats and e["severity"] in ("none", "info"):
        err(f"line {n}: positive with severity {e['severity']}")
    role = role_of(p["platform"], p["account"]["handle"])
    strong = any(VALIDATORS[t](v) for t, v in src["ids"])
    if e["severity"] != severity(cats, role, strong):
        err(f"line {n}: severity does not follow §4")
    text = p["text"]
    compact = re.sub(r"[\s-]", "", text)
    # declared identifiers
    for t, v in src["ids"]:
        if not cats:
            err(f"line {n}: declared real identifier in benign post")
        if PII not in cats:
            err(f"line {n}: identifier without leak.pii")
        if re.sub(r"\D", "", v) not in re.sub(r"\D", "", text) and v not in compact:
            err(f"line {n}: declared {t} not in text")
        if not VALIDATORS[t](v):
            err(f"line {n}: {t} {v} fails its checksum in a positive")
    for t, v in src["fakes"]:
        if cats:
            err(f"line {n}: look-alike declared in a positive")
        if VALIDATORS[t](v):
            err(f"line {n}: look-alike {t} {v} passes its checksum")
        if re.sub(r"\D", "", v) not in re.sub(r"\D", "", text) and v not in compact:
            err(f"line {n}: look-alike {t} not in text")
    # scan every IBAN-shaped string
    for m in re.finditer(r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){3,7}(?:\s?[A-Z0-9]{1,3})?\b", text):
        ib = re.sub(r"\s", "", m.group(0))
        if ib in PUBLIC_IBANS:
            continue
        if cats and PII in cats and not iban_valid(ib):
            err(f"line {n}: IBAN {ib} in positive fails mod-97")
        if not cats and iban_valid(ib):
            err(f"line {n}: valid IBAN {ib} in benign post")
    # scan every card-shaped digit run (not inside tokens)
    for m in re.finditer(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])", text):
        num = re.sub(r"\D", "", m.group(0))
        if cats and PII in cats and not luhn_valid(num):
            err(f"line {n}: card-like {num} in positive fails Luhn")
        if not cats and luhn_valid(num):
            err(f"line {n}: Luhn-valid number {num} in benign post")
    # scan BSN mentions
    for m in re.finditer(r"(?i)(?:bsn|burgerservicenummer)\D{0,12}(\d{9})\b", text):
        if cats and PII in cats and not bsn_valid(m.group(1)):
            err(f"line {n}: BSN in positive fails 11-proof")
        if not cats and bsn_valid(m.group(1)):
            err(f"line {n}: 11-proof BSN in benign post")
    # secrets: real-format values only in positives labelled leak.secret
    for v in SECRET_VALUES:
        if v in text and SEC not in cats:
            err(f"line {n}: generated secret in a post without leak.secret")
    for m in re.finditer(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", text):
        if github_token_valid(m.group(0)) and SEC not in cats:
            err(f"line {n}: valid GitHub token in non-secret post")
        if not github_token_valid(m.group(0)) and SEC in cats:
            err(f"line {n}: GitHub token with bad CRC in a secret post")
    for m in re.finditer(r"\bAKIA[A-Z2-7]{16}\b", text):
        if m.group(0).endswith("EXAMPLE"):
            continue
        if SEC not in cats:
            err(f"line {n}: AWS key id in non-secret post")
    for m in re.finditer(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+", text):
        if not jwt_valid(m.group(0)):
            err(f"line {n}: JWT header lacks alg")
    # confidential material: internal names and embargo terms
    lowered = text.lower()
    for term in (PROFILE["internal"]["domains"] + PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"]):
        if term.lower() in lowered and CONF not in cats:
            err(f"line {n}: internal term '{term}' without leak.confidential")
    ts = parse_ts(p["created_at"])
    for emb in PROFILE["embargo"]:
        until = parse_ts(emb["until"])
        for term in emb["terms"]:
            if term.lower() in lowered:
                if ts < until and CONF not in cats:
                    err(f"line {n}: embargo term before until without leak.confidential")
                if ts >= until and CONF in cats and not any(
                        x.lower() in lowered for x in PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"]):
                    err(f"line {n}: embargo term after until labelled confidential")
    # declared prices
    if src["price"]:
        sku, value = src["price"]
        ratio = value / PRODUCTS[sku]["list_price"]
        if PRICE in cats and ratio >= PROFILE["pricing"]["alert_below_ratio"]:
            err(f"line {n}: pricing positive at ratio {ratio:.2f}")
        if PRICE not in cats and ratio < PROFILE["pricing"]["alert_below_ratio"]:
            err(f"line {n}: price below ratio without leak.pricing")
        if PRICE not in cats and ratio < 0.7:
            err(f"line {n}: benign sale deeper than 30%")
    # account role sanity: public handles must not collide with the profile
    if src["cats"] != cats:
        err(f"line {n}: categories drifted")

# generated secrets are well-formed
if not github_token_valid(GHP) or not github_token_valid(GHS):
    errors.append("GitHub token CRC")
if not re.fullmatch(r"AKIA[A-Z2-7]{16}", AKIA):
    errors.append("AWS key id format")
if not jwt_valid(JWT):
    errors.append("JWT header")

# mix
total = len(lines)
benign = sum(1 for r in lines if not r["expect"]["categories"])
if not 170 <= total <= 180:
    errors.append(f"total {total} outside 170-180")
counts = {}
for r in lines:
    for c in r["expect"]["categories"]:
        counts[c] = counts.get(c, 0) + 1
langs = {}
for r in lines:
    langs[r["post"]["lang"]] = langs.get(r["post"]["lang"], 0) + 1
roles = {}
for r in lines:
    k = role_of(r["post"]["platform"], r["post"]["account"]["handle"])
    roles[k] = roles.get(k, 0) + 1

print(f"cases: {total}, benign: {benign}, positive: {total - benign}")
print("categories:", json.dumps(dict(sorted(counts.items()))))
print("languages:", json.dumps(langs), "roles:", json.dumps(roles))
sev_counts = {}
for r in lines:
    sev_counts[r["expect"]["severity"]] = sev_counts.get(r["expect"]["severity"], 0) + 1
print("severities:", json.dumps(sev_counts))
if errors:
    print("SELF-CHECK FAILED:")
    for m in errors:
        print("  -", m)
    sys.exit(1)
print("self-check OK")
