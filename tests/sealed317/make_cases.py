#!/usr/bin/env python3
"""Build cases.jsonl for the Kaneelkade sealed evaluation set and check it.

Deterministic: one fixed seed drives every generated identifier, credential and
timestamp. Severities are computed from the account role in profile.yaml and the
categories (CONTRACT section 4), never typed by hand.
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
OUT = os.path.join(HERE, "cases.jsonl")
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))
rng = random.Random(317)

DIGITS = string.digits
UPPER = string.ascii_uppercase
LOWER = string.ascii_lowercase
ALNUM = DIGITS + UPPER + LOWER
B62 = DIGITS + UPPER + LOWER          # base-62 digit order used by GitHub tokens
URLSAFE = ALNUM + "-_"


def rs(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


# ---------------------------------------------------------------- checksums
def iban_ok(iban):
    s = iban.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{8,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def luhn_ok(num):
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


def bsn_ok(num):
    s = re.sub(r"\D", "", num)
    if len(s) != 9 or s == "000000000":
        return False
    tot = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return tot % 11 == 0


def b62enc(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def ghp_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62enc(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


# ---------------------------------------------------------------- generators
NL_BANKS = ["RABO", "INGB", "ABNA", "TRIO", "SNSB", "ASNB", "KNAB", "BUNQ"]


def iban_valid(country="NL"):
    if country == "NL":
        bban = rng.choice(NL_BANKS) + rs(DIGITS, 10)
    else:  # BE
        bban = rs(DIGITS, 12)
    r = bban + country + "00"
    chk = 98 - int("".join(str(int(c, 36)) for c in r)) % 97
    iban = f"{country}{chk:02d}{bban}"
    assert iban_ok(iban)
    return iban


def iban_invalid(country="NL"):
    iban = iban_valid(country)
    pos = rng.randrange(len(iban) - 6, len(iban))
    d = iban[pos]
    iban = iban[:pos] + str((int(d) + rng.randint(1, 9)) % 10) + iban[pos + 1:]
    assert not iban_ok(iban)
    return iban


def spaced(s, n=4):
    return " ".join(s[i:i + n] for i in range(0, len(s), n))


def card_valid(prefix="4"):
    body = prefix + rs(DIGITS, 15 - len(prefix))
    for last in DIGITS:
        if luhn_ok(body + last):
            return body + last
    raise AssertionError


def card_invalid(prefix="4"):
    c = card_valid(prefix)
    c = c[:-1] + str((int(c[-1]) + rng.randint(1, 9)) % 10)
    assert not luhn_ok(c)
    return c


def bsn_valid():
    while True:
        s = str(rng.randint(1, 9)) + rs(DIGITS, 7)
        tot = sum(int(s[i]) * (9 - i) for i in range(8))
        last = tot % 11
        if last < 10:
            b = s + str(last)
            assert bsn_ok(b)
            return b


def bsn_invalid():
    while True:
        s = str(rng.randint(1, 9)) + rs(DIGITS, 8)
        if not bsn_ok(s):
            return s


def ghp_token(prefix="ghp_"):
    body = rs(ALNUM, 30)
    tok = prefix + body + b62enc(zlib.crc32(body.encode())).rjust(6, "0")
    assert ghp_ok(tok)
    return tok


def aws_pair():
    return "AKIA" + rs(UPPER + "234567", 16), rs(ALNUM + "/+", 40)


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jwt_token():
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = b64url(json.dumps({"sub": "cust_" + rs(DIGITS, 6), "role": "shop-admin",
                                 "iat": 1760000000 + rng.randint(0, 9000000)},
                                separators=(",", ":")).encode())
    sig = b64url(bytes(rng.getrandbits(8) for _ in range(32)))
    return f"{header}.{payload}.{sig}"


def openssh_key():
    raw = (b"openssh-key-v1\x00" + b"\x00\x00\x00\x04none\x00\x00\x00\x04none\x00\x00\x00\x00"
           b"\x00\x00\x00\x01\x00\x00\x003\x00\x00\x00\x0bssh-ed25519\x00\x00\x00 "
           + bytes(rng.getrandbits(8) for _ in range(260)))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def slack_bot():
    while True:
        a, b = rs(DIGITS, 12), rs(DIGITS, 13)
        if not luhn_ok(b) and not luhn_ok(a):   # keep the digit groups from looking like cards
            return f"xoxb-{a}-{b}-{rs(ALNUM, 24)}"


def password():
    return rng.choice(["Bergamot", "Kardemom", "Sencha", "Theepot", "Kurkuma"]) + \
        rs(DIGITS, 2) + rng.choice("!#$%&*") + rs(ALNUM, 5)


# ---------------------------------------------------------------- generated values
AKIA, AWS_SECRET = aws_pair()
GHP = ghp_token()
DB_PW = rs(ALNUM, 18)
PW_PORTAL = password()
STRIPE = "sk_live_51" + rs(ALNUM, 97)
SLACK = slack_bot()
OPENAI = "sk-proj-" + rs(URLSAFE, 74) + "T3BlbkFJ" + rs(URLSAFE, 74)
PEM = openssh_key()
JWT = jwt_token()
MOLLIE = "live_" + rs(ALNUM, 30)
ANTHROPIC = "sk-ant-api03-" + rs(URLSAFE, 93) + "AA"
GLPAT = "glpat-" + rs(URLSAFE, 20)

IBAN1 = iban_valid()
IBAN2 = iban_valid()
CARD1 = card_valid("4")
CARD2 = card_valid("5" + rng.choice("12345"))
BSN1 = bsn_valid()
BSN2 = bsn_valid()

BAD_IBAN = iban_invalid()
BAD_CARD = card_invalid("4")
BAD_CARD2 = card_invalid("5" + rng.choice("12345"))
BAD_BSN = bsn_invalid()

PUBLIC_IBAN = PROFILE["public_identifiers"]["ibans"][0]

# ---------------------------------------------------------------- cases
CAT = {
    "secret": "leak.secret", "pii": "leak.pii", "pricing": "leak.pricing",
    "conf": "leak.confidential", "fin": "leak.financial", "sec": "leak.security",
    "crisis": "reputation.crisis", "complaint": "reputation.complaint",
    "abuse": "reputation.abuse",
}
CASES = []


def C(author, lang, text, cats=(), kind="post", at=None, price=None, name=None):
    platform, handle = author.split(":", 1)
    CASES.append(dict(platform=platform, handle=handle, lang=lang, text=text,
                      cats=sorted(CAT[c] for c in cats), kind=kind, at=at,
                      price=price, name=name))


# ---- complaints (public) --------------------------------------------------
C("x:@theeleut_ans", "nl", "@kaneelkade_help al 12 dagen wachten op mn bestelling. track & trace staat sinds vorige week op 'in sorteercentrum' en jullie reageren nergens op. kan iemand gewoon ff antwoord geven?? #kaneelkade", ["complaint"], kind="reply")
C("reddit:u/oolong_oscar", "en", "Ordered the Darjeeling First Flush from Kaneelkade last week and what showed up was basically dust. Broken leaf, fannings, smells like the inside of a cardboard box. €25 for that? Emailed support twice, nothing. Anyone else had this with the new batch?", ["complaint"])
C("facebook:marloes.debakker", "nl", "Zaterdag high tea gehad bij Kaneelkade in Delft. 40 min op de scones gewacht, thee lauw, en de serveerster deed alsof we lastig waren toen we ernaar vroegen. Voor 59 euro verwacht je echt wat anders 😒", ["complaint"], kind="comment")
C("x:@dave_brews", "en", "kaneelkade charged my subscription box twice this month and the cancel button on their site just throws a 500. love that for me 🙃", ["complaint"])
C("instagram:@chaiqueen_nl", "nl", "Wat is er met de Masala Chai Melange gebeurd?? Smaakt totaal anders dan vorig jaar, bijna geen kardemom meer en alles zoethout. Recept aangepast zonder iets te zeggen, niet oké. Was mijn favoriet 👎", ["complaint"], kind="comment")
C("x:@jvdlinden", "nl", "Pakket van @kaneelkade vandaag binnen: theepot in 3 stukken, doos zonder enig vulmateriaal. Retour aanvragen kan alleen via een formulier dat een foutmelding geeft. Top service weer.", ["complaint"])
C("forum:tea_nerd_1987", "en", "Third time in a row my Kaneelkade order has the wrong tea in it. Ordered Sencha Kagoshima, got Rooibos Vanille Karamel. AGAIN. does anyone in that warehouse actually read the labels", ["complaint"])
C("threads:@femkeschrijft", "nl", "kaneelkade klantenservice is echt onbereikbaar. 45 min in de wacht en dan wordt je gewoon opgehangen. ik wil alleen mn geld terug voor een maandbox die nooit is aangekomen 😤", ["complaint"])
C("tiktok:@gracie.sips", "en", "ok so my tetsubin from kaneelkade is rusting on the inside after TWO weeks 😭 followed the care card exactly, dried it every time. not exactly cheap either. kinda gutted tbh #teatok", ["complaint"])
C("forum:kruidenvrouwtje", "nl", "Iemand anders ook gedoe met kortingscodes bij Kaneelkade? Code uit hun eigen nieuwsbrief werd niet geaccepteerd, en toen ik belde kreeg ik letterlijk 'dan heeft u pech mevrouw'. Lekker klantvriendelijk hoor.", ["complaint"])
C("x:@spiceroute_sam", "en", "@kaneelkade the Kampot pepper I got is half stems and grit. Expected a lot better at 13.50 a pouch. Won't be reordering.", ["complaint"], kind="reply", price=("KK-KAMPOT50", 13.50))
C("facebook:priya.raman.9", "en", "Booked a table at Kaneelkade Amsterdam for my mum's 70th, turned up and they'd 'lost' the reservation. Staff just shrugged, no apology, no offer of anything. Ended up at a café down the road. Really disappointing.", ["complaint"])
C("x:@rianne_k", "nl", "3x gemaild over mijn waterkoker (display doet niks meer na 1 maand), steeds alleen een automatisch antwoord terug. @kaneelkade_help hallooo? garantie is toch garantie?", ["complaint"])

# ---- complaint + abuse ----------------------------------------------------
C("x:@boze_barend", "nl", "@kaneelkade stelletje oplichters. 3 weken geleden betaald, nog steeds niks binnen en niemand die reageert. klootzakken", ["complaint", "abuse"], kind="reply")
C("x:@ticked_off_tom", "en", "Kaneelkade customer service are a bunch of useless clowns. Refund went to the wrong card and now they 'can't see it in the system'. Absolute muppets.", ["complaint", "abuse"])

# ---- first-hand safety incidents: crisis + complaint ----------------------
C("x:@sandra_vh", "nl", "Mijn gooseneck waterkoker van Kaneelkade begon vanochtend ineens te roken en de voet is gewoon gesmolten 😳 stond er gelukkig naast, stekker eruit. Dit is toch niet normaal?? @kaneelkade_help", ["crisis", "complaint"])
C("reddit:u/kettle_shock_nl", "en", "Got a proper electric shock off the handle of my Kaneelkade gooseneck kettle this morning while it was sitting on the base. Hand still tingling an hour later. Support told me to 'try a different socket'. Are you kidding me?", ["crisis", "complaint"])
C("facebook:ahmet.yilmaz.denhaag", "nl", "Na de high tea bij Kaneelkade Den Haag zondag zijn mijn vrouw en ik allebei twee dagen ziek geweest, overgeven en koorts. We hadden die dag verder niks gegeten. Gebeld, maar ze wuiven het gewoon weg.", ["crisis", "complaint"])
C("instagram:@bakewithbea", "en", "Found a sliver of glass in my Kaneelkade Ras el Hanout jar… after it cut the inside of my mouth. Photos sent in DMs three days ago, no reply. This is genuinely dangerous.", ["crisis", "complaint"])
C("x:@mamavanmila", "nl", "Handvat van mijn Tetsubin van Kaneelkade schoot los tijdens het inschenken, kokend water over mijn hand. 2e graads brandwond volgens de huisarts. Wil wel eens weten hoe dit door de keuring is gekomen.", ["crisis", "complaint"])

# ---- crisis only ----------------------------------------------------------
C("x:@delftnieuws", "nl", "Brandweer rukte gisteravond uit naar een woning aan de Vermeerlaan in Delft: een elektrische kruidenmolen van Kaneelkade was op het aanrecht in brand gevlogen. Niemand raakte gewond, de keuken is flink beschadigd.", ["crisis"])
C("x:@foodalert_eu", "en", "RECALL: Kaneelkade Ras el Hanout Huismelange 80g, batch L2611, best before 03/2027: possible salmonella. Do not consume, return it for a refund. #foodsafety", ["crisis"])
C("x:@lieke_actie", "nl", "Boycot Kaneelkade! Hun 'eerlijke' Darjeeling komt van een plantage waar plukkers €1,20 per dag verdienen. Deel dit en koop er niks meer. #boycotkaneelkade", ["crisis"])
C("x:@breachwatch_eu", "en", "Looks like a Kaneelkade customer database is up for sale on a known forum: names, addresses, order history, ~40k rows. Sample looks legit. Has the company said anything yet? #databreach", ["crisis"])
C("blog:rijnmondnieuws", "nl", "Oud-medewerker sleept Kaneelkade voor de rechter wegens structureel onbetaalde overuren in de theesalons. Volgens haar advocaat gaat het om tientallen collega's. De zaak dient in maart bij de rechtbank Rotterdam.", ["crisis"])
C("x:@tealeaf_times", "en", "Lab tests commissioned by a consumer group found pesticide residues above the EU limit in three green teas sold by Kaneelkade. The company has not yet responded to our questions.", ["crisis"])
C("tiktok:@klimaatkids", "nl", "Kaneelkade doet alsof ze super duurzaam zijn maar vliegt hun matcha gewoon per vliegtuig in 🤡 greenwashing. niet meer kopen mensen, deel dit!!", ["crisis"])
C("threads:@mattie.writes", "en", "My sister works next to the Kaneelkade tea room in Haarlem. A little boy had a bad allergic reaction there this afternoon after a scone they said was nut-free. Ambulance came. Really hope he's ok.", ["crisis"])
C("x:@waakhond_nl", "nl", "Kaneelkade haalt de Gooseneck waterkoker uit de verkoop na meldingen van oververhitting. Heb je er een? Check het serienummer op de onderkant en gebruik hem voorlopig niet.", ["crisis"])
C("x:@classaction_nl", "en", "We are preparing a class action against Kaneelkade on behalf of customers whose data was exposed in the 2026 leak. Affected? Register via the link in our bio.", ["crisis"])

# ---- abuse ----------------------------------------------------------------
C("x:@gozer_020", "nl", "kaneelkade is gewoon een kutbedrijf met kutthee, rot op met jullie gesponsorde posts in mijn tijdlijn", ["abuse"])
C("instagram:@stijn__x", "nl", "die bediende in jullie theesalon in Leiden is echt een dom wijf, zeg dat maar tegen d'r", ["abuse"], kind="comment")
C("x:@realdutch_rob", "en", "Of course every Kaneelkade tea room is staffed by foreigners who can barely speak Dutch. Go back where you came from and leave those jobs for real Dutch people.", ["abuse"])
C("x:@ronnie_r", "nl", "Kaneelkade = \u043epl\u0456cht\u0435rs en die filiaalmanager is een kl\u043e\u043etz\u0430k", ["abuse"], name="evasion-cyrillic")
C("x:@skrrtje", "nl", "k4nk3rl1jers bij k4n33lk4d3, hoop dat jullie failliet gaan", ["abuse"], name="evasion-leet")
C("x:@pissedpete", "en", "@kaneelkade you guys are f u c k i n g  p a t h e t i c", ["abuse"], kind="reply", name="evasion-split")
C("x:@jantje_b", "nl", "ga toch " + "\u200b".join("klootzakken") + " @kaneelkade_help", ["abuse"], name="evasion-zerowidth")
C("threads:@bram.achterdebar", "nl", "die klant van tafel 6 vandaag was echt een achterlijke trut. 20 minuten zeuren over een scone. sorry niet sorry", ["abuse"])
C("x:@dark_sipper", "en", "@inge_blendt i know which shop you work at, you ugly cow. watch your back", ["abuse"], kind="reply")

# ---- confidential ---------------------------------------------------------
C("x:@inge_blendt", "nl", "Vandaag de laatste proefronde voor Project Steranijs gedaan 🤫 als dit doorgaat wordt het de lekkerste winterblend die we ooit gemaakt hebben", ["conf"])
C("x:@daan.inkoop", "nl", "Trots dat ik de inkoop voor Operatie Jasmijn mag trekken. Drukke maanden in het verschiet! #sourcing #thee", ["conf"])
C("x:@mo_devops", "en", "new runbook for webshop deploys is up at https://wiki.kaneelkade.local/display/OPS/Webshop+Deploy, please read it before friday people", ["conf"])
C("instagram:@lotte.proeft", "nl", "Nieuwe menukaart voor de theesalons 😍 er staat nog 'alleen voor intern gebruik' op de pdf maar ik kon het echt niet laten 🙊 kijk die scones dan", ["conf"])
C("bluesky:@noortje-codeert.bsky.social", "en", "Slide 4 of the roadmap deck (yes it says KANEELKADE CONFIDENTIAL in the footer, whatever) finally has the new checkout on it 🎉🎉", ["conf"])
C("tiktok:@jesse.theesalon", "nl", "psst… net de Moonlight Oolong geproefd achter de bar, komt pas in maart uit maar OMG 🌙🍵 #theesalonlife", ["conf"], at="2027-02-20T15:42:10Z")
C("linkedin:ravi-mahabier-kaneelkade", "nl", "De jaarcijfers 2026 liggen op mijn bureau en ik kan alleen zeggen: het team mag trots zijn. Meer zodra het mag 😉", ["conf", "fin"], at="2027-02-10T18:05:00Z")
C("x:@yara_waalhaven", "nl", "KK-INTERN: vanaf 2 november draaien we in DC Waalhaven in 3 ploegen voor de kerstpiek, nieuwe roosters hangen maandag in de kantine", ["conf"])
C("reddit:u/antwerp_foodie", "en", "A friend who works at Kaneelkade let slip that 'Operatie Jasmijn' is their code name for the first tea rooms in Belgium. Antwerp first apparently. You heard it here first.", ["conf"])
C("facebook:KaneelkadeThee", "nl", "Binnenkort in al onze theesalons: de Moonlight Oolong 🌙 Alle details: https://intra.kaneelkade.local/marketing/lancering-q1", ["conf"], at="2027-01-15T10:30:00Z")
C("bluesky:@noortje-codeert.bsky.social", "en", "pushed the fix for the coupon bug, MR is https://git.kaneelkade.nl/webshop/checkout/-/merge_requests/412 if someone wants to review before lunch 🙏", ["conf"])
C("x:@daan.inkoop", "nl", "Net terug uit Kerala. Contracten voor Project Steranijs zo goed als rond, nog twee kardemomboeren over de streep trekken en dan kunnen we 🤞", ["conf"])
C("tiktok:@jesse.theesalon", "nl", "\uff50\uff52\uff4f\uff4a\uff45\uff43\uff54 \uff53\uff54\uff45\uff52\uff41\uff4e\uff49\uff4a\uff53 gaat dit najaar echt los 👀👀 meer mag ik niet zeggen", ["conf"], name="evasion-fullwidth")
C("x:@mo_devops", "nl", "thuiswerkers: vpn.kaneelkade.nl accepteert sinds vanochtend alleen nog de nieuwe certificaten, dus even opnieuw inloggen via de portal. vragen? DM", ["conf"])
C("linkedin:sophie-hendriks-kk", "nl", "Inspirerende sessie over Project Moessonwind gehad met het MT. Ik mag er nog weinig over zeggen, maar onze organisatie gaat er volgend jaar echt anders uitzien 💪", ["conf", "fin"])
C("x:@curious_dev", "en", "lol kaneelkade's order confirmation mail has a 'track your order' button pointing at http://erp.kaneelkade.local/orders/track?id= … someone forgot a template variable 😅", ["conf"])
C("instagram:@lotte.proeft", "nl", "Zin in de Darjeeling Reserve 2027? Ik heb hem vandaag al mogen proeven en wauw 🤤 nog even geduld allemaal", ["conf"], at="2026-11-19T16:12:44Z")

# ---- financial ------------------------------------------------------------
C("linkedin:ravi-mahabier-kaneelkade", "en", "Preliminary Q3 numbers look rough: webshop revenue down ~18% YoY and the tea rooms barely break even. Board meeting next week will be… interesting.", ["fin"])
C("x:@daan.inkoop", "nl", "Hoor net op de vloer dat we worden overgenomen door een Duitse groothandel. Zou fijn zijn als het MT ons dat zelf eens vertelt 🙄", ["fin"])
C("linkedin:sophie-hendriks-kk", "nl", "Zware week. In januari nemen we afscheid van zo'n 35 collega's in de theesalons, maandag beginnen de gesprekken. Zulke besluiten neem je nooit licht.", ["fin"])
C("x:@kaneelkade", "nl", "@ravi_m_kk let op: forecast Q1 naar boven bijgesteld, €13,2 mln omzet ipv 11,8. deck volgt vanmiddag", ["fin"], kind="reply")
C("x:@zwager_jan", "nl", "Mijn zwager werkt bij Kaneelkade en zegt dat ze volgend jaar de helft van de theesalons dichtgooien. Zonde, die in Gouda is zo gezellig.", ["fin"])
C("bluesky:@noortje-codeert.bsky.social", "en", "Heard at the all-hands today: we're in talks to buy a Belgian spice wholesaler, signing expected before summer. Exciting times!! 🌶️", ["fin"])
C("threads:@bram.achterdebar", "nl", "Baas zei net dat theesalon Leiden eind maart dichtgaat. Mag nog niemand weten maar ik ben er echt kapot van 💔", ["fin"])
C("x:@yara_waalhaven", "en", "So the Waalhaven DC is moving to a 3PL in Venlo next year and about 20 of us are out. Found out through a calendar invite someone forwarded by mistake. cool cool cool", ["fin"])
C("linkedin:ravi-mahabier-kaneelkade", "nl", "Dividend over 2026 zit er waarschijnlijk niet in, de kasstroom is te krap na alle investeringen in het nieuwe ERP. Wordt een spannende aandeelhoudersvergadering.", ["fin"])
C("reddit:u/spice_supplier_nl", "en", "Supplier here. Kaneelkade just asked us to go from 30 to 120 day payment terms, and we're not the only supplier getting that call. Make of that what you will.", ["fin"])

# ---- security -------------------------------------------------------------
C("x:@mo_devops", "nl", "dus de betaalpagina ligt al sinds 03:00 plat en naar buiten heet het 'gepland onderhoud' 🙃 alle orders blijven in de queue hangen, koffie graag", ["sec"])
C("mastodon:@wessel_kk@mastodon.nl", "en", "Found out today the webshop's password reset tokens never expire. Reported it internally three months ago. Still open. Nice.", ["sec"])
C("bluesky:@noortje-codeert.bsky.social", "nl", "Kleine paniek hier: iemand heeft gisteravond ingelogd op de webshop-admin met het account van een oud-collega. Klantgegevens mogelijk ingezien, we zoeken het nog uit 😬", ["sec"])
C("x:@mo_devops", "en", "erp.kaneelkade.local has been throwing 503s since 6am, the whole order pipeline is stuck and we're telling customers it's a 'carrier delay'. fun.", ["sec", "conf"])
C("x:@yara_waalhaven", "nl", "Scanners in het DC doen het al 2 dagen niet omdat het WMS 'gehackt' is of zo, we pakken alles met de hand in. Daarom zijn jullie pakketjes laat mensen 🙈", ["sec"])
C("threads:@bram.achterdebar", "en", "POS at all the tea rooms has been down since 11, cash only, and management told us not to post about it so shhh 🤫", ["sec"])
C("reddit:u/freelance_ops", "en", "I contract for Kaneelkade on their infra. Their nightly backups haven't actually run since June and nobody upstairs wants to hear it. If that ERP ever dies they're toast.", ["sec"])
C("mastodon:@wessel_kk@mastodon.nl", "nl", "Phishingmail ging naar 60 collega's, 8 hebben hun wachtwoord ingevuld op de nep-loginpagina. Nog steeds niet gemeld bij de AP. Ik zeg verder niks.", ["sec"])
C("x:@mo_devops", "en", "heads up team: the S3 bucket with all the invoice PDFs was public for about 3 weeks. locked down now, legal is deciding whether we have to disclose", ["sec"])
C("tiktok:@jesse.theesalon", "nl", "reserveringssysteem ligt er al 2 dagen uit dus we weten echt niet wie er komt 😅 iedereen krijgt gewoon een tafel, zeg maar niks tegen de baas", ["sec"])
C("x:@mo_devops", "nl", "zeg nog ff niks tegen klanten maar het is r.a.n.s.o.m.w.a.r.e op de fileserver van het hoofdkantoor 🙃 lange nacht", ["sec"], name="evasion-dots")
C("bluesky:@noortje-codeert.bsky.social", "en", "TIL our checkout still runs on a PHP version with a public RCE. ticket has been 'low prio' for a year. please nobody look 🙈", ["sec"])
C("x:@kaneelkade_help", "nl", "@jmeijer_ Klopt, er is vannacht ingebroken op onze klantenportal en wachtwoorden zijn mogelijk buitgemaakt. We communiceren dit nog niet breed, maar wijzig uw wachtwoord alstublieft.", ["sec"], kind="reply")

# ---- secrets --------------------------------------------------------------
C("x:@mo_devops", "nl", f"wie kan ff kijken waarom deze niet werkt in de pipeline?\naws_access_key_id = {AKIA}\naws_secret_access_key = {AWS_SECRET}", ["secret"])
C("bluesky:@noortje-codeert.bsky.social", "en", f"ugh, CI token expired again. new one for the team: {GHP}", ["secret"])
C("x:@mo_devops", "en", f"anyone know why the migration keeps timing out? DATABASE_URL=postgres://webshop_rw:{DB_PW}@shop-prod.cluster-c7qk2x1m.eu-west-1.rds.amazonaws.com:5432/webshop", ["secret"])
C("mastodon:@wessel_kk@mastodon.nl", "nl", f"testaccount voor het leveranciersportaal, voor wie het nodig heeft: gebruikersnaam inkoop-test / wachtwoord: {PW_PORTAL}", ["secret"])
C("threads:@bram.achterdebar", "nl", f"collega van de webshop zei dat ik dit in de kassa-app moest plakken maar hij doet niks?? {STRIPE}", ["secret"])
C("bluesky:@noortje-codeert.bsky.social", "en", f"order alert bot finally posting to #webshop-orders 🎉 for whoever wants to reuse it: {SLACK}", ["secret"])
C("x:@inge_blendt", "nl", f"De API schrijft voortaan de productteksten voor onze blends 🤖 key staat in de sheet maar voor het gemak: {OPENAI}", ["secret"])
C("x:@mo_devops", "en", f"can someone tell me why ssh says 'invalid format' on this one 😩\n{PEM}", ["secret"])
C("bluesky:@noortje-codeert.bsky.social", "nl", f"waarom geeft de api een 401 met dit token?? {JWT}", ["secret"])
C("x:@freelance_pieter", "nl", f"Koppeling voor de Kaneelkade-webshop bijna af, alleen Mollie geeft een 401 met {MOLLIE} 🤔 iemand een idee?", ["secret"])
C("reddit:u/py_newbie_22", "en", f"my claude script for a client (Kaneelkade, the tea shop) keeps failing, what am I doing wrong?\n\nclient = anthropic.Anthropic(api_key=\"{ANTHROPIC}\")", ["secret"])
C("mastodon:@wessel_kk@mastodon.nl", "en", f"CI runner registration keeps failing with {GLPAT}, token scope looks right to me?", ["secret"])

# ---- personal data --------------------------------------------------------
C("x:@kaneelkade_help", "nl", f"@m_kuiper83 We hebben uw terugbetaling van €54,00 overgemaakt naar {spaced(IBAN1)} t.n.v. M. Kuiper. Wilt u laten weten of het is aangekomen?", ["pii"], kind="reply")
C("facebook:KaneelkadeThee", "nl", "Hoi Ellen! We hebben je bestelling omgezet naar Lindelaan 14, 3581 KT Utrecht (t.a.v. Ellen de Graaf). Klopt dat zo?", ["pii"], kind="comment")
C("instagram:@lotte.proeft", "nl", "Hoera voor onze trouwste gast, meneer Henk Bakker (geboren 12-03-1941), die vandaag zijn 85e verjaardag bij ons vierde met een high tea 🎂🫖", ["pii"], at="2026-03-12T17:20:31Z")
C("x:@kaneelkade_help", "nl", "@sophie_b1 we bellen u vanmiddag om 14:00 terug op 06-41827365, schikt dat?", ["pii"], kind="reply")
C("x:@lisa_sipsalot", "en", "@kaneelkade_help my order STILL hasn't arrived. email me at lisa.vanrooij93@gmail.com or just call +31 6 2047 1193, I'm done with the chat bot", ["pii", "complaint"], kind="reply")
C("x:@gerrit_1962", "nl", f"Waarom wordt mijn kaart steeds geweigerd op jullie site?? {spaced(CARD1)} geldig tot 09/28, werkt overal anders wel @kaneelkade", ["pii", "complaint"])
C("linkedin:sophie-hendriks-kk", "nl", f"Welkom aan Kees Vermeulen, die maandag start als theesommelier! 🎉 (note to self: BSN {BSN1} nog invoeren in het salarissysteem)", ["pii"])
C("x:@yara_waalhaven", "en", "who left this on the packing table lol: 'deliver to Jan Smit, Kerkstraat 8, 1017 GK Amsterdam, call 020-6248811 if not home'", ["pii"])
C("x:@kaneelkade_help", "en", "@pieterbos we've resent your invoice to p.bos1977@hotmail.com, could you check your spam folder?", ["pii"], kind="reply")
C("x:@wraakzuchtig", "nl", "Dat arrogante mens van Kaneelkade Leiden heet Sanne Verbeek en woont op de Breestraat 52 in Leiden. Ga haar maar eens vertellen wat je van haar vindt.", ["pii", "abuse"])
C("facebook:KaneelkadeThee", "nl", f"Beste Hanna, de betaling met uw kaart {'-'.join(CARD2[i:i+4] for i in range(0, 16, 4))} is helaas mislukt. Wilt u het nog een keer proberen via de link in uw mail?", ["pii"], kind="comment")
C("x:@mo_devops", "nl", f"refund-script blijft hangen op deze, iemand een idee? {IBAN2} / R. Janssens / order 88213", ["pii"])
C("threads:@bram.achterdebar", "en", "shoutout to the lady who left her wallet at table 4 today: Margaret Ellis, born 4 July 1958 according to her ID 😅 come pick it up!", ["pii"])
C("tiktok:@jesse.theesalon", "nl", "Fleur van Dijk, je jas ligt nog bij ons in de theesalon! We kregen je niet te pakken op +31 6 38192274, kom je hem halen? 🧥", ["pii"])
C("reddit:u/newjob_nervous", "en", f"Kaneelkade asked me to send my BSN through their website chat for a job application, is that normal? Sent it anyway: {BSN2}", ["pii"])

# ---- pricing --------------------------------------------------------------
C("x:@kaneelkade", "nl", "Alleen vandaag: Theekist Wereldreis voor €4,95 🎁 Op = op!", ["pricing"], price=("KK-GIFT12", 4.95))
C("instagram:@kaneelkade.theesalons", "nl", "Onze Ceremoniële Matcha Uji 30g nu voor €3,49 in de webshop 🍵✨ #matchamonday", ["pricing"], price=("KK-MATCHA30", 3.49))
C("x:@dealhunter_nl", "en", "PRICE ERROR? Kaneelkade has the Tetsubin teapot at €6.90 instead of €69. Grab it before they notice 🔥", ["pricing"], price=("KK-TETSU08", 6.90))
C("forum:prijsjager", "nl", "Prijsfout bij Kaneelkade: Specerijenrek Marrakech (24 potjes) voor €12,90, normaal €129. Mijn bestelling is gewoon bevestigd!", ["pricing"], price=("KK-RACK24", 12.90))
C("bluesky:@noortje-codeert.bsky.social", "nl", "oeps, prijsfout in de productfeed: de Gooseneck waterkoker staat op 8,90 i.p.v. 89. fix komt eraan, niet doorvertellen 🙃", ["pricing"], price=("KK-KETTLE", 8.90))
C("linkedin:kaneelkade-bv", "nl", "Onze Pu-erh Menghai 2015 Cake nu voor slechts €7,90. Een verzamelaarsthee voor een bodemprijs.", ["pricing"], price=("KK-PUERH357", 7.90))
C("tiktok:@kaneelkade", "nl", "Saffraan Superieur 5g voor €5,40?! Ja echt, alleen vandaag 🧡 #saffraan", ["pricing"], price=("KK-SAF5", 5.40))
C("reddit:u/leafhoarder", "en", "Is this a glitch? Kaneelkade has the Darjeeling First Flush Castleton listed at €2.49. Ordered three just in case lol", ["pricing"], price=("KK-DARJFF", 2.49))
C("x:@daan.inkoop", "nl", "Collega's: de Kruidenmolen Zanzibar staat per ongeluk voor €19,95 in de kassa's van alle theesalons. Even handmatig corrigeren aub!", ["pricing"], price=("KK-MOLEN", 19.95))
C("x:@mo_devops", "en", "price error on the High Tea Arrangement in the booking tool AGAIN. who touched the pricing table 😤", ["pricing"])
C("x:@korting_karin", "nl", "Kaneelkade Bourbon vanillestokjes voor €1,75 😱 prijsfout of actie? heb er maar 10 besteld haha", ["pricing"], price=("KK-VAN5", 1.75))
C("facebook:KaneelkadeThee", "en", "Weekend deal: Masala Chai Melange 500g for just €7.50 (was €19.50)! 🫖", ["pricing"], price=("KK-CHAI500", 7.50))

# ---- benign (mostly hard negatives) ---------------------------------------
C("x:@kaneelkade", "nl", "Nieuw in de webshop: Rooibos Vanille Karamel 200g voor €9,95. Perfect voor koude avonden 🍂", price=("KK-ROOIBOS200", 9.95))
C("instagram:@kaneelkade.theesalons", "en", "Autumn sale! 20% off all Darjeeling, so the First Flush Castleton is now €19.96 🍂", price=("KK-DARJFF", 19.96))
C("x:@thee_tante", "nl", "Masala Chai Melange van Kaneelkade in de aanbieding voor €15,60, meteen 2 zakken gehaald 😋", price=("KK-CHAI500", 15.60))
C("x:@kaneelkade_help", "nl", "Vragen over je bestelling? Mail klantenservice@kaneelkade.nl of bel 010-5550188 (ma t/m za 9-17 uur). We helpen je graag!")
C("facebook:KaneelkadeThee", "nl", f"Liever zelf overmaken? Dat kan naar {spaced(PUBLIC_IBAN)} t.n.v. Kaneelkade Thee & Specerijen B.V., onder vermelding van je ordernummer.")
C("x:@mo_devops", "nl", "Tip voor de nieuwe devs: zet nooit echte keys in je README, gebruik placeholders zoals AKIAIOSFODNN7EXAMPLE en wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY.")
C("bluesky:@noortje-codeert.bsky.social", "en", "secret scanning works, happy to report: tried committing a test file with ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx in it and the pre-commit hook blocked it 👍")
C("x:@hennie_vk", "nl", f"Op mijn factuur van Kaneelkade staat rekeningnummer {BAD_IBAN}, maar mijn bank zegt dat het niet klopt. Typfoutje denk ik, iemand het goede nummer?")
C("x:@papa_pepijn", "en", f"my kid typed {spaced(BAD_CARD)} into the kaneelkade checkout as his 'magic card' 😂 didn't work obviously")
C("forum:spaarpuntenfan", "nl", f"Mijn klantnummer bij Kaneelkade is {BAD_BSN}, waar vind ik in de app mijn spaarpunten? Kan het nergens vinden.")
C("linkedin:ravi-mahabier-kaneelkade", "nl", "Vandaag publiceerden we de jaarcijfers 2026: omzet +9%, en voor het eerst komt meer dan de helft van onze verkoop online. Trots op het hele team!", at="2027-02-26T09:14:00Z")
C("x:@kaneelkade", "nl", "Hij is er: de Moonlight Oolong! 🌙 Vanaf vandaag in de webshop en in al onze theesalons.", at="2027-03-20T08:30:00Z")
C("x:@londonleaf", "en", "Kaneelkade's Earl Grey Bergamot is honestly the best earl grey I've had outside London. The bergamot actually tastes like fruit.")
C("x:@joycevb", "nl", "Update: @kaneelkade_help heeft binnen een dag een nieuwe theepot gestuurd nadat de eerste kapot aankwam. Netjes opgelost 👏", kind="reply")
C("x:@haarlem_hannah", "en", "Sending love to the staff at Kaneelkade Haarlem after that awful day. You've always been so kind to us ❤️")
C("x:@keukenkastje", "nl", "Grote terugroepactie bij een Duitse supermarktketen: paprikapoeder met salmonella. Gelukkig haal ik mijn specerijen gewoon bij Kaneelkade. Check je kastjes!")
C("x:@chai_addict", "en", "Kaneelkade's chai should honestly be illegal 😂 dangerously addictive stuff")
C("x:@marjolein_drinkt", "nl", "Ik boycot voortaan alle theezakjes uit de supermarkt, alleen nog losse thee van Kaneelkade 😎")
C("x:@mo_devops", "en", "It's phishing awareness week at work! Reminder: nobody from IT will ever ask for your password. Ever. Not even me.")
C("instagram:@kaneelkade.theesalons", "nl", "Theehack: laat je Sencha Kagoshima nooit trekken in kokend water, 70°C is genoeg ✨ #theetips")
C("x:@cozycups", "en", "my kaneelkade tetsubin doesn't leak at all, unlike the cheap one I had before. worth every cent")
C("threads:@peperpim", "nl", "Die Kampot peper is echt vuur 🔥🔥 Kaneelkade weet wel wat goed is")
C("x:@sunday_sippers", "en", "I'm down for high tea at Kaneelkade this Sunday if anyone's in. Their lemon curd is killer")
C("linkedin:kaneelkade-bv", "nl", "Wij zoeken een theesommelier voor onze salon in Rotterdam! Herken jij een Darjeeling blind? Solliciteer via werkenbij@kaneelkade.nl")
C("x:@belgischebea", "en", "Would love it if Kaneelkade opened a tea room in Antwerp someday 🙏 the train to Rotterdam gets old")
C("x:@retail_watcher", "en", "Another coffee chain cutting 200 jobs this week. Glad my local Kaneelkade tea room still seems packed every Saturday.")
C("instagram:@lotte.proeft", "nl", "Vandaag 120 scones gebakken voor de high tea's. Dit is waarom ik van mijn werk hou 🥰")
C("x:@inge_blendt", "nl", "Nieuwe oogst Sencha is binnen en de eerste kop was fantastisch. Vanaf volgende week in de webshop!")
C("x:@grace_in_gouda", "en", "Tetsubin from Kaneelkade was €69. Pricey, but gorgeous and it keeps the tea hot forever. No regrets.", price=("KK-TETSU08", 69.00))
C("facebook:KaneelkadeThee", "nl", "Black Friday: Specerijenrek Marrakech van €129 voor €90,30 (-30%). Alleen dit weekend!", price=("KK-RACK24", 90.30))
C("x:@blijeklant_nl", "en", "for anyone asking, Kaneelkade's customer service number is +31 10 555 0188, they sorted my return in 5 minutes")
C("mastodon:@wessel_kk@mastodon.nl", "nl", "Tip: plak nooit een JWT in een willekeurige online decoder. Oefenen kan prima met het voorbeeld uit de docs (eyJhbGciOiJIUzI1NiIs…), nooit met een echte.")
C("x:@verslaafd_aan_thee", "nl", "Ik ben echt verslaafd aan die Golden Latte van Kaneelkade, het is bijna crimineel hoe lekker die is")
C("x:@ohno_passwords", "en", "Glad Kaneelkade isn't the shop that got breached this week, that was the other webshop I use. Changing my passwords anyway.")
C("x:@mama_van_3", "nl", "@kaneelkade_help zit er gluten in de Golden Latte? Mijn dochter heeft coeliakie en wil hem graag proberen", kind="reply")
C("x:@kaneelkade_help", "en", "@dave_brews So sorry about the double charge! We've refunded it and fixed the cancel button. Enjoy your tea ☕", kind="reply")
C("x:@groningen_nu", "nl", "Kaneelkade opent zaterdag een nieuwe theesalon aan de Vismarkt in Groningen, met een gratis proeverij voor de eerste 100 bezoekers.")
C("x:@kruidenkoken", "nl", "Jasmijnthee met een stukje steranijs erin. Ontdekt dankzij Kaneelkade, echt een aanrader!")
C("x:@assamfan", "nl", "De moessonwind kwam dit jaar laat in Assam, dus de second flush ligt later bij Kaneelkade, schrijven ze in hun nieuwsbrief.")
C("x:@kaneelkade", "en", "New arrivals are live at https://shop.kaneelkade.nl/nieuw 🍵 go have a look")
C("threads:@emmabakes", "en", "I would literally kill for another slice of that cardamom cake from Kaneelkade Utrecht")
C("instagram:@kaneelkade.theesalons", "en", "Recipe: Ras el Hanout roasted carrots. 2 tsp of our house blend, olive oil, a drizzle of honey, 200°C for 25 minutes. That's it!")
C("x:@quick_q_kim", "en", f"@kaneelkade_help quick q, is order {spaced(BAD_CARD2)} shipped yet? no rush at all", kind="reply")
C("linkedin:retailsummit_nl", "en", "Great talk by Kaneelkade's CEO at the Retail Summit on sourcing transparency. The slides are public on their website, worth a read.")
C("x:@oolong_olga", "nl", "Darjeeling Reserve 2027 van Kaneelkade is echt de moeite waard. Wel prijzig, maar voor een keer per jaar mag dat.", at="2027-04-02T19:03:55Z")
C("tiktok:@kaneelkade", "nl", "10% korting op alle Pu-erh deze week 🍂 de Menghai cake is nu €71,10", price=("KK-PUERH357", 71.10))
C("linkedin:ravi-mahabier-kaneelkade", "nl", "Onze halfjaarcijfers staan sinds vanochtend online. Mooie groei in de theesalons, en de webshop houdt stand. Link in de comments.", at="2026-08-20T09:02:00Z")
C("x:@sophie_in_sydney", "en", "Anyone know if Kaneelkade ships to Belgium? Want to surprise my mum with the Theekist Wereldreis for her birthday")
C("x:@journalist_jeroen", "nl", "Collega's die een interview willen: mail gewoon naar pers@kaneelkade.nl, ze reageren snel.")
C("forum:kookforum_klaas", "nl", "Saffraan Superieur 1g bij Kaneelkade is €12,95, bij de toko €9, maar echt een wereld van verschil in kwaliteit.", price=("KK-SAF1", 12.95))
C("x:@parcel_pain", "en", "PostNL lost my parcel again. Not Kaneelkade's fault at all, they sent a replacement the same day 🙏")
C("mastodon:@wessel_kk@mastodon.nl", "nl", "Vandaag een presentatie over 2FA gegeven aan de teams van de theesalons. Iedereen gebruikt nu een authenticator-app, trots op ze!")
C("x:@kettle_curious", "en", "Is the Kaneelkade gooseneck kettle any good? Thinking about getting one for christmas, my old one takes ages.")
C("x:@kaneelkade", "en", "Gift card codes look like KK-XXXX-XXXX-XXXX and you enter them at checkout. We will never ask for your code by DM.")
C("x:@kaneelkade_help", "nl", "@bertjan_w Je terugbetaling is verwerkt naar de rekening eindigend op **** 4821, over 1-2 werkdagen zie je hem staan.", kind="reply")
C("bluesky:@noortje-codeert.bsky.social", "en", "PSA for devs: Stripe test keys start with sk_test_ and are fine in your sandbox. Never paste a live one in a chat channel, ever.")
C("linkedin:sophie-hendriks-kk", "en", "We're hiring 12 seasonal staff for our tea rooms this December! Apply at werkenbij@kaneelkade.nl, we'd love to meet you.")
C("x:@earlgrey_eva", "en", "My confidential opinion: Kaneelkade's Earl Grey Bergamot beats every supermarket brand. Don't tell my mother-in-law.")
C("x:@kaneelkade", "nl", "Tafel reserveren in een van onze theesalons? Dat kan via https://theesalons.kaneelkade.nl/reserveren of mail reserveren@kaneelkade.nl 🫖")


# ---------------------------------------------------------------- build
ROLE = {}
for role in ("corporate", "employee"):
    for a in PROFILE["accounts"][role]:
        ROLE[a.lower()] = role

ORDER = ["none", "info", "warning", "error", "critical"]
TAXONOMY = set(CAT.values())
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}

IBAN_RE = re.compile(r"\b(NL\d{2}(?: ?[A-Z]{4})(?: ?\d){10}|BE\d{2}(?: ?\d){12})(?!\d)")
CARD_RE = re.compile(r"(?<![\dA-Za-z_])(?:\d[ -]?){12,18}\d(?![\dA-Za-z_])")
BSN_RE = re.compile(r"(?<![\dA-Za-z_\-./])\d{9}(?![\dA-Za-z_])")


def id_candidates(text):
    """(kind, raw, valid) for every IBAN, card and BSN look-alike in the text."""
    out = []
    for m in IBAN_RE.finditer(text):
        raw = m.group(1).replace(" ", "")
        if raw == PUBLIC_IBAN:
            continue
        out.append(("iban", raw, iban_ok(raw)))
    for m in CARD_RE.finditer(text):
        raw = re.sub(r"\D", "", m.group(0))
        if 13 <= len(raw) <= 19:
            out.append(("card", raw, luhn_ok(raw)))
    for m in BSN_RE.finditer(text):
        out.append(("bsn", m.group(0), bsn_ok(m.group(0))))
    return out


def severity(role, cats, valid_id):
    sev = "none"
    for c in cats:
        if c.startswith("leak."):
            if role == "public":
                v = "warning"
            elif c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and valid_id):
                v = "critical"
            else:
                v = "error"
        elif c == "reputation.complaint":
            v = "warning"
        elif c == "reputation.crisis":
            v = "error"
        elif c == "reputation.abuse":
            v = "warning" if role == "public" else "error"
        else:
            raise AssertionError(c)
        sev = max(sev, v, key=ORDER.index)
    return sev


def ts():
    start = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
    t = start + dt.timedelta(seconds=rng.randint(0, 362 * 86400))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def build():
    rows = []
    for n, c in enumerate(CASES, 1):
        role = ROLE.get(f"{c['platform']}:{c['handle']}".lower(), "public")
        valid_id = any(v for _, _, v in id_candidates(c["text"]))
        post = {
            "id": f"{c['platform']}-kk317-{n:03d}",
            "platform": c["platform"],
            "kind": c["kind"],
            "account": {"handle": c["handle"]},
            "text": c["text"],
            "lang": c["lang"],
            "created_at": c["at"] or ts(),
            "brand": "kaneelkade",
        }
        rows.append({"post": post,
                     "expect": {"categories": c["cats"],
                                "severity": severity(role, c["cats"], valid_id)}})
    return rows


# ---------------------------------------------------------------- self-check
def parse_time(s):
    return dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)


def check(rows):
    errs = []
    seen = set()
    products = {p["sku"]: p for p in PROFILE["products"]}
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    pub_emails = {e.lower() for e in PROFILE["public_identifiers"]["emails"]}
    internal_terms = (PROFILE["internal"]["domains"] + PROFILE["internal"]["codenames"]
                      + PROFILE["internal"]["markers"])
    embargo = [(t, parse_time(e["until"])) for e in PROFILE["embargo"] for t in e["terms"]]

    # the profile itself
    for ib in PROFILE["public_identifiers"]["ibans"]:
        if not iban_ok(ib):
            errs.append(f"profile IBAN {ib} fails mod-97")
    for p in PROFILE["products"]:
        if p.get("currency") != "EUR" or not p.get("aliases") or not p.get("list_price"):
            errs.append(f"profile product {p.get('sku')} incomplete")
    if not 15 <= len(PROFILE["products"]) <= 25:
        errs.append("product count")
    if len(PROFILE["accounts"]["corporate"]) < 6 or len(PROFILE["accounts"]["employee"]) < 8:
        errs.append("account count")
    if ratio != 0.5:
        errs.append("alert_below_ratio")

    for row, c in zip(rows, CASES):
        p, e = row["post"], row["expect"]
        pid = p["id"]
        # CONTRACT section 1 / 6 shape
        if not isinstance(pid, str) or not 1 <= len(pid) <= 256 or pid in seen:
            errs.append(f"{pid}: bad or duplicate id")
        seen.add(pid)
        if p["platform"] not in PLATFORMS:
            errs.append(f"{pid}: platform")
        if p["kind"] not in ("post", "reply", "repost", "comment", "message"):
            errs.append(f"{pid}: kind")
        if not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
            errs.append(f"{pid}: handle")
        if not isinstance(p["text"], str) or not p["text"] or len(p["text"].encode()) > 65536:
            errs.append(f"{pid}: text")
        try:
            t = parse_time(p["created_at"])
        except ValueError:
            errs.append(f"{pid}: created_at")
            continue
        if not (2026 <= t.year <= 2027):
            errs.append(f"{pid}: year")
        if t.year == 2027 and not any(term.lower() in p["text"].lower() for term, _ in embargo):
            errs.append(f"{pid}: 2027 date without embargo term")
        cats = e["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= TAXONOMY:
            errs.append(f"{pid}: categories")
        if e["severity"] not in ORDER:
            errs.append(f"{pid}: severity")
        if not cats and e["severity"] != "none":
            errs.append(f"{pid}: benign must be none")
        if cats and e["severity"] in ("none", "info"):
            errs.append(f"{pid}: positive with severity {e['severity']}")
        json.loads(json.dumps(row, ensure_ascii=False))

        text = p["text"]
        low = text.lower()
        ids = id_candidates(text)
        # checksums: positives with personal data carry only valid identifiers, benign only invalid
        if "leak.pii" in cats:
            for kind, raw, ok in ids:
                if not ok:
                    errs.append(f"{pid}: {kind} {raw} in a positive fails its checksum")
        if not cats:
            for kind, raw, ok in ids:
                if ok:
                    errs.append(f"{pid}: {kind} {raw} in a benign post passes its checksum")
        if any(ok for _, _, ok in ids) and "leak.pii" not in cats:
            errs.append(f"{pid}: valid identifier but no leak.pii")
        # e-mail addresses other than the published ones are personal data
        for em in re.findall(r"[\w.+-]+@[\w-]+\.[\w.]+", re.sub(r"\w+://\S+", "", text)):
            if em.lower().rstrip(".") not in pub_emails and "leak.pii" not in cats:
                errs.append(f"{pid}: e-mail {em} not labelled pii")
        # internal names and pre-embargo terms must be labelled confidential
        for term in internal_terms:
            if term.lower() in low and "leak.confidential" not in cats:
                errs.append(f"{pid}: internal term {term!r} not labelled confidential")
        for term, until in embargo:
            if term.lower() in low:
                if t < until and "leak.confidential" not in cats:
                    errs.append(f"{pid}: embargo term {term!r} before until not labelled")
                if t >= until and cats:
                    errs.append(f"{pid}: embargo term after until should be benign here")
        # pricing
        if c["price"]:
            sku, amount = c["price"]
            prod = products[sku]
            names = [prod["name"]] + prod["aliases"]
            if not any(nm.lower() in low for nm in names):
                errs.append(f"{pid}: product {sku} not named in text")
            below = amount < ratio * prod["list_price"]
            if ("leak.pricing" in cats) != below:
                errs.append(f"{pid}: price {amount} vs list {prod['list_price']} disagrees with label")
        elif "leak.pricing" in cats and not re.search(r"price error|pricing error|prijsfout", low):
            errs.append(f"{pid}: pricing positive without price or price-error talk")
        # secrets: generated formats must be well built
        if "leak.secret" in cats:
            for tok in re.findall(r"gh[pousr]_[0-9A-Za-z]{36}", text):
                if not ghp_ok(tok):
                    errs.append(f"{pid}: GitHub token checksum")
            for tok in re.findall(r"AKIA[0-9A-Z]{16}", text):
                if not re.fullmatch(r"AKIA[A-Z2-7]{16}", tok):
                    errs.append(f"{pid}: AWS key id alphabet")
            for tok in re.findall(r"eyJ[\w-]+\.[\w-]+\.[\w-]+", text):
                h = tok.split(".")[0]
                hdr = json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)))
                if "alg" not in hdr:
                    errs.append(f"{pid}: JWT header without alg")
        if not cats:
            if re.search(r"gh[pousr]_[0-9A-Za-z]{36}", text) and not re.search(r"gh[pousr]_x{36}", text):
                errs.append(f"{pid}: benign post with a real-looking GitHub token")
            for tok in re.findall(r"AKIA[0-9A-Z]{16}", text):
                if not tok.endswith("EXAMPLE"):
                    errs.append(f"{pid}: benign post with a real-looking AWS key")
    return errs


def main():
    rows = build()
    errs = check(rows)
    n = len(rows)
    benign = sum(1 for r in rows if not r["expect"]["categories"])
    nl = sum(1 for r in rows if r["post"]["lang"] == "nl")
    per = {}
    for r in rows:
        for c in r["expect"]["categories"]:
            per[c] = per.get(c, 0) + 1
    if not 170 <= n <= 180:
        errs.append(f"case count {n}")
    if not 50 <= benign <= 70:
        errs.append(f"benign count {benign}")
    if not 0.48 <= nl / n <= 0.62:
        errs.append(f"Dutch share {nl / n:.2f}")
    # reading back what is written must give the same rows
    with open(OUT, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    with open(OUT, encoding="utf-8") as f:
        back = [json.loads(line) for line in f]
    if back != rows:
        errs.append("round trip")
    sevs = {}
    for r in rows:
        sevs[r["expect"]["severity"]] = sevs.get(r["expect"]["severity"], 0) + 1
    print(f"{n} cases, {benign} benign, {nl} nl / {n - nl} en")
    print("per category:", dict(sorted(per.items())))
    print("per severity:", sevs)
    if errs:
        print("SELF-CHECK FAILED:")
        for e in errs:
            print("  ", e)
        sys.exit(1)
    print("self-check ok")


if __name__ == "__main__":
    main()
