#!/usr/bin/env python3
"""Build cases.jsonl for sealed evaluation set 264 (Oostwal Coatings B.V.).

Deterministic: fixed seed, standard library plus PyYAML. The post texts are
hand-written; credentials and personal identifiers are generated here the way
real ones are built (with their checksums), look-alikes in benign posts are
generated so that they fail their checksums. Severities are computed from the
account role in profile.yaml and CONTRACT section 4, never typed by hand.
The script self-checks its output and exits non-zero on any problem.
"""
import base64
import datetime as dt
import json
import os
import random
import re
import sys
import zlib

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE_PATH = os.path.join(HERE, "profile.yaml")
OUT_PATH = os.path.join(HERE, "cases.jsonl")

rng = random.Random(264_2026)

with open(PROFILE_PATH, encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# --------------------------------------------------------------------------
# checksum helpers
# --------------------------------------------------------------------------
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
URLSAFE = ALNUM + "-_"


def rand_str(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def iban_valid(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    n = int("".join(str(int(c, 36)) for c in r))
    return n % 97 == 1


def iban_make(cc, bban):
    r = bban + cc + "00"
    n = int("".join(str(int(c, 36)) for c in r))
    return f"{cc}{98 - n % 97:02d}{bban}"


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def luhn_valid(digits):
    d = [int(c) for c in re.sub(r"\D", "", digits)]
    total = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        total += x
    return total % 10 == 0


def luhn_complete(prefix_digits):
    for last in range(10):
        cand = prefix_digits + str(last)
        if luhn_valid(cand):
            return cand
    raise AssertionError


def bsn_valid(s):
    d = re.sub(r"\D", "", s)
    if len(d) != 9:
        return False
    total = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return total % 11 == 0 and d != "000000000"


def make_bsn():
    while True:
        d = str(rng.randint(1, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(8))
        if bsn_valid(d):
            return d


def make_bad_bsn():
    while True:
        d = str(rng.randint(1, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(8))
        if not bsn_valid(d):
            return d


def make_nl_iban(bank):
    return iban_make("NL", bank + "".join(str(rng.randint(0, 9)) for _ in range(10)))


def make_be_iban():
    first10 = "".join(str(rng.randint(0, 9)) for _ in range(10))
    chk = int(first10) % 97 or 97
    return iban_make("BE", f"{first10}{chk:02d}")


def make_bad_nl_iban(bank):
    good = make_nl_iban(bank)
    while True:
        cd = f"{rng.randint(2, 98):02d}"
        bad = "NL" + cd + good[4:]
        if not iban_valid(bad):
            return bad


def make_card(prefix, length=16):
    body = prefix + "".join(str(rng.randint(0, 9)) for _ in range(length - len(prefix) - 1))
    return luhn_complete(body)


def make_bad_card(prefix, length=16):
    good = make_card(prefix, length)
    last = (int(good[-1]) + rng.randint(1, 9)) % 10
    bad = good[:-1] + str(last)
    assert not luhn_valid(bad)
    return bad


def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def make_github_token(prefix="ghp_"):
    body = rand_str(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()), 6)


def github_token_valid(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()), 6) == m.group(2)


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def make_jwt(payload):
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64url(bytes(rng.getrandbits(8) for _ in range(32)))
    return f"{header}.{body}.{sig}"


def jwt_valid(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    try:
        hdr = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except Exception:
        return False
    return isinstance(hdr, dict) and "alg" in hdr


def make_openssh_key():
    raw = b"openssh-key-v1\x00" + bytes(rng.getrandbits(8) for _ in range(380))
    body = base64.b64encode(raw).decode()
    lines = [body[i:i + 70] for i in range(0, len(body), 70)]
    return ("-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines)
            + "\n-----END OPENSSH PRIVATE KEY-----")


# --------------------------------------------------------------------------
# generated values (order matters for determinism)
# --------------------------------------------------------------------------
AWS_ID = "AKIA" + rand_str("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
AWS_SECRET = rand_str(ALNUM + "/+", 40)
GHP = make_github_token("ghp_")
OPENAI = "sk-proj-" + rand_str(URLSAFE, 58) + "T3BlbkFJ" + rand_str(URLSAFE, 58)
WIFI_PW = "Beurs" + rand_str("ABCDEFGHJKMNPQRSTUVWXYZ", 2) + "#" + str(rng.randint(1000, 9999)) + "!"
SLACK = f"xoxb-{rng.randint(10**11, 10**12 - 1)}-{rng.randint(10**12, 10**13 - 1)}-{rand_str(ALNUM, 24)}"
STRIPE = "sk_live_" + rand_str(ALNUM, 24)
DB_PW = rand_str(ALNUM, 8) + "!" + rand_str(ALNUM, 6)
JWT = make_jwt({"sub": "nieuwsbrief-svc", "iss": "https://auth.oostwal-coatings.com",
                "aud": "mailer", "iat": 1772000000, "exp": 1803536000, "role": "admin"})
GOOGLE = "AIza" + rand_str(URLSAFE, 35)
SSH_KEY = make_openssh_key()
GLPAT = "glpat-" + rand_str(URLSAFE, 20)
AZ_KEY = base64.b64encode(bytes(rng.getrandbits(8) for _ in range(64))).decode()

BSN_1 = make_bsn()
IBAN_1 = make_nl_iban("RABO")
BSN_2 = make_bsn()
BSN_2_DOTTED = f"{BSN_2[:4]}.{BSN_2[4:6]}.{BSN_2[6:]}"
CARD_1 = make_card("4" + str(rng.randint(0, 9)) + "71")
BE_IBAN = make_be_iban()
IBAN_2 = make_nl_iban("ASNB")

BAD_BSN_1 = make_bad_bsn()
BAD_BSN_2 = make_bad_bsn()
BAD_CARD_1 = make_bad_card("52")
BAD_IBAN_1 = make_bad_nl_iban("INGB")
BAD_IBAN_2 = make_bad_nl_iban("ABNA")

PUBLIC_IBAN = PROFILE["public_identifiers"]["ibans"][0]

# --------------------------------------------------------------------------
# case helpers
# --------------------------------------------------------------------------
CAT = {
    "cmp": "reputation.complaint", "cri": "reputation.crisis", "abu": "reputation.abuse",
    "con": "leak.confidential", "fin": "leak.financial", "sec": "leak.security",
    "sct": "leak.secret", "pii": "leak.pii", "prc": "leak.pricing",
}
CASES = []


def P(platform, handle, lang, text, cats=(), date=None, kind="post", brand=None, name=None):
    CASES.append(dict(platform=platform, handle=handle, lang=lang, text=text,
                      cats=[CAT[c] for c in cats], date=date, kind=kind, brand=brand, name=name))


# ==========================================================================
# COMPLAINTS (public customers)
# ==========================================================================
P("x", "@schildersbedrijf_lok", "nl",
  "@oostwal_support 3 weken geleden Epoxan 2K gelegd in een werkplaats, nu al blaasjes en losse plekken "
  "bij de heftruckroute. Ondergrond was gestraald en droog, vochtmeting gedaan. Wie komt er kijken?",
  ["cmp"], kind="reply", brand="oostwal")
P("reddit", "u/steelfab_mike", "en",
  "Anyone else getting garbage adhesion from Oostwal StaalGrond lately? Two batches in a row, topcoat "
  "peels off in sheets after the cross-hatch test. Their rep just keeps saying 'check your DFT'. "
  "I checked my DFT, mate.", ["cmp"])
P("facebook", "henk.brouwer.hekwerk", "nl",
  "Kleur besteld RAL 7016, kreeg iets wat eerder op 7021 lijkt. Tweede keer dit jaar. Hele hekwerk "
  "opnieuw. Oostwal, jullie tintmachine in Zwolle moet echt es gekalibreerd worden hoor", ["cmp"],
  kind="comment")
P("x", "@yachtie_saskia", "en",
  "Tessora antifouling applied in April, by August the hull looks like a reef \U0001F41A\U0001F41A "
  "so much for '2 seasons of protection'. @oostwal_nl care to explain?", ["cmp"],
  date="2026-08-17T18:41:09Z", brand="tessora")
P("x", "@verfbazen_twente", "nl",
  "levering was toegezegd voor dinsdag 7u, staan hier nu woensdag 10u met 6 man op de steiger te wachten. "
  "niemand neemt op bij oostwal. top service \U0001F44F\U0001F44F", ["cmp"])
P("forum", "gietvloer_gert", "nl",
  "PolyDek 550 vergeelt?? Vorig jaar een showroomvloer afgewerkt met PolyDek blank, nu na 8 maanden zie "
  "je een gele gloed bij de ramen. Is dat niet juist waar een alifatische PU tegen hoort te kunnen? "
  "Oostwal reageert pas na 3 mails met 'buiten garantie door UV'. Serieus?", ["cmp"])
P("linkedin", "gareth-okafor-coatings", "en",
  "Third invoice from Oostwal Coatings this quarter with the wrong volume discount applied. Chasing "
  "credit notes is not how I want to spend my Fridays.", ["cmp"])
P("x", "@staalbouw_dijk", "nl",
  "drums ZR-80 kwamen binnen met gedeukte deksels en eentje lekte over de hele pallet. chauffeur wou "
  "niet wachten tot we het op de vrachtbrief zetten. @oostwal_support hoe gaan we dit oplossen", ["cmp"])
P("instagram", "@graffitiweg_jan", "nl",
  "Graffiti Guard op een gevel gezet, claim is dat tags er met heet water afgaan. nou mooi niet, "
  "hogedrukreiniger erop en de schaduw staat er nog steeds. 200 euro per emmer voor dit \U0001F644 "
  "#oostwal", ["cmp"])
P("x", "@bridgepainter_ie", "en",
  "Ordered the AX-3000 sprayer, arrived with a cracked manifold. Oostwal support ticket open 19 days, "
  "'escalated' twice. Lovely.", ["cmp"])
P("tiktok", "@klusmetkim", "nl",
  "POV: je hebt 4 dagen gewacht tot de Oostwal vloercoating uithardt en hij plakt nog steeds "
  "\U0001F629 #epoxy #fail #oostwal", ["cmp"])
P("reddit", "u/lane_closure_larry", "en",
  "Oostwal's tech datasheet for RoadLine says 30 min to traffic. Try 3 hours at 12\u00b0C. Had to keep a "
  "lane closed and the council is billing us for the extra traffic management.", ["cmp"])
P("x", "@parkeerdek_vof", "nl",
  "AquaSeal op de parkeergaragevloer en nu na regen allemaal witte vlekken. Vertegenwoordiger van "
  "Oostwal komt pas over 3 wkn kijken. Onze klant staat te stampen.", ["cmp"])

# first-hand harm: crisis + complaint
P("x", "@rolf_klust", "nl",
  "Vandaag met Verdunning V-12 gewerkt in een goed geventileerde ruimte en toch misselijk en duizelig "
  "naar huis. Buurman moest me rijden. Op het etiket staat niks bijzonders. Oostwal wat zit hier in?? "
  "#gezondheid", ["cri", "cmp"])
P("reddit", "u/stovefixer_nl", "en",
  "PSA: the ThermoCoat HT-600 I sprayed on my wood stove caught fire during the first burn-in. Not "
  "'smoked a bit', actual flames off the flue pipe. Followed the Oostwal instructions to the letter. "
  "Extinguisher saved the day, stove is ruined.", ["cri", "cmp"])
P("facebook", "marjolein.ter.horst", "nl",
  "Mijn zoon (17, bijbaan bij een schildersbedrijf) heeft chemische brandwonden aan zijn onderarmen "
  "van de Epoxan verharder. Handschoenen zaten erbij maar die waren na 10 min doorgeweekt. Dit hoort "
  "toch niet?? Oostwal heeft nog steeds niet gereageerd.", ["cri", "cmp"])
P("x", "@dave_spraysolutions", "en",
  "@oostwal_support the AX-3000 gave me a proper shock when I unplugged it today, tingling in my arm "
  "for an hour after. Unit is 2 months old. Not touching it again until someone explains.",
  ["cri", "cmp"], kind="reply")
P("x", "@sjoerd_brandwering", "nl",
  "emmer Vlamgard 60 ontplofte zowat, deksel schoot eraf toen ik hem opende in de bus, alles onder de "
  "verf en een snee boven m'n oog. was 28 graden maar toch. @vlamgard_fire ???", ["cri", "cmp"],
  date="2026-07-22T13:05:44Z", brand="vlamgard")

# ==========================================================================
# CRISIS (third party, news, accusations)
# ==========================================================================
P("x", "@milieuwacht_twente", "nl",
  "Oostwal Hengelo loost al jaren PFAS via het riool in de Bolksbeek, blijkt uit metingen van het "
  "waterschap. Wanneer grijpt de provincie in? #PFAS #Oostwal", ["cri"])
P("x", "@boycott_watch_eu", "en",
  "Oostwal Coatings still supplying antifouling to a shipyard building patrol boats for a sanctioned "
  "regime. #BoycottOostwal \u2014 share this, don't buy Tessora.", ["cri"])
P("blog", "regionieuws-hengelo", "nl",
  "Brand bij verffabriek in Hengelo. Rond 03.00 uur sloeg de vlam in een opslagloods van Oostwal "
  "Coatings aan de Twekkelerweg. Omwonenden moeten ramen en deuren gesloten houden vanwege de rook. "
  "Er raakte niemand gewond, meldt de veiligheidsregio.", ["cri"])
P("linkedin", "pieter-maritime-law", "en",
  "Class action filed in Rotterdam against Oostwal over the Tessora Marine Barrier coating that "
  "delaminated on dozens of inland vessels. Claimants' lawyers say damages could run into the millions.",
  ["cri"])
P("x", "@klusforum_nl", "nl",
  "Terugroepactie Oostwal: bepaalde batches Korrosol 3-in-1 kunnen te veel lood bevatten. Check je "
  "lotnummer, lijst staat op hun site. Niet meer gebruiken!", ["cri"])
P("reddit", "u/a1_commuter", "en",
  "Heard from a guy at the depot that an Oostwal tanker spilled solvent on the A1 near Rijssen this "
  "morning, fire brigade still hosing it down. Anyone got more info?", ["cri"])
P("x", "@datalek_alert", "nl",
  "Volgens een post op een hackersforum ligt de klantendatabase van Oostwal op straat, 40k records met "
  "namen en afleveradressen. Oostwal zwijgt. #datalek", ["cri"])
P("x", "@rijnmond_updates", "en",
  "Worker seriously injured at Oostwal's Rotterdam plant after a mixing vessel ruptured, per local "
  "radio. Thoughts with the family.", ["cri"])
P("blog", "tubantia-lezersblog", "nl",
  "GGD onderzoekt gezondheidsklachten rond Oostwal-fabriek in Hengelo na dagenlange oplosmiddellucht in "
  "de wijk Groot Driene. Bewoners melden hoofdpijn en prikkende ogen.", ["cri"])
P("x", "@portwatch_nl", "en",
  "Oostwal CEO reportedly under investigation for bribing port officials to land the Maasvlakte "
  "contract. If true, that's a massive scandal.", ["cri"])

# ==========================================================================
# ABUSE
# ==========================================================================
P("x", "@woedende_wim", "nl",
  "@oostwal_support stelletje prutsers, kankerbedrijf, ik hoop dat jullie failliet gaan", ["abu"],
  kind="reply")
P("x", "@trade_counter_tom", "en",
  "that Oostwal rep Dennis is a smug little prick, hope someone wipes that grin off his face", ["abu"])
P("instagram", "@xx_mandy_xx", "nl",
  "die verkoopster van oostwal op de beurs is echt een domme trut, zo arrogant", ["abu"], kind="comment")
P("x", "@verfhater88", "nl",
  "0ostw4l = k4nk3rz00i, al die l4ng3 t3n3n daar \U0001F92E", ["abu"])
P("x", "@angry_fabricator", "en",
  "oostwal staff are f\u200bu\u200bc\u200bk\u200bi\u200bn\u200bg morons, every single one", ["abu"])
P("x", "@gerritjan_1971", "nl",
  "@oostwal_nl jullie zijn echt een stelletje K.L.O.O.T.Z.A.K.K.E.N", ["abu"], kind="reply")
P("x", "@dennis_verfman", "nl",
  "@verfbazen_twente hou je bek toch eens joh, sukkel. eerst leren verven voor je gaat janken", ["abu"],
  kind="reply")
P("x", "@oostwal_support", "en",
  "@bridgepainter_ie maybe learn to read the datasheet before crying on twitter, genius", ["abu"],
  kind="reply")
P("reddit", "u/oldschool_coater", "en",
  "Of course Oostwal put a woman in charge of the lab, no wonder the coatings fail lol. "
  "Send her back to the kitchen", ["abu"])
P("facebook", "rob.vd.kamp.77", "nl",
  "die marokkaan van de oostwal balie moet terug naar z'n eigen land, kon niet eens normaal een kleur "
  "mengen", ["abu"], kind="comment")
P("x", "@unpaid_contractor", "en",
  "I know where your Hengelo depot manager lives. Keep ignoring my emails and see what happens, Oostwal.",
  ["abu"])
P("x", "@hoornse_harry", "nl",
  "\u043eplichters en t\u0443fuslijers bij Oostwal, allemaal", ["abu"])

# ==========================================================================
# CONFIDENTIAL
# ==========================================================================
P("x", "@priya_labnotes", "en",
  "Long day in the lab but Basilisk samples passed 2000h salt spray today \U0001F973 can't say more "
  "but this one is going to hurt the competition", ["con"])
P("linkedin", "ruud-kamphuis-oostwal", "nl",
  "Trots op het team in Hengelo! Vandaag de eerste proefbatch van Project Zeearend van de lijn gehaald. "
  "Nog even geheim wat het precies is, maar de lijnbezetting voor Q1 staat al \U0001F609", ["con"])
P("x", "@m_hoekstra_ow", "nl",
  "klant vroeg vandaag al naar Vlamgard 180, heb maar gezegd dat ie in maart komt. 180 min "
  "brandwerendheid op staal met 1 laag, die gaat hard lopen", ["con"], date="2026-11-12T16:20:31Z")
P("instagram", "@oostwal.coatings", "en",
  "Sneak peek \U0001F440 something slippery is coming to the marina next spring\u2026 Tessora Glide "
  "\U0001F6E5\ufe0f #comingsoon", ["con"], date="2026-12-03T11:00:00Z", brand="tessora")
P("mastodon", "@kvdleeuwen", "nl",
  "Iemand ervaring met een SAP-upgrade naar S/4? Bij ons draait alles nog op sap-prd.oostwal.local en het "
  "migratieplan is een drama", ["con"])
P("x", "@yusuf_ow_ict", "en",
  "note to self: the new remote access portal is at https://vpn.oostwal-coatings.com/remote \u2014 "
  "ok maybe shouldn't have tweeted that", ["con"])
P("threads", "@lotte.brinkman", "nl",
  "Nieuwe campagne-deck af \U0001F4AA (ja er staat OOSTWAL INTERNAL ONLY op, dus geen screenshots haha) "
  "maar de slogan voor de lente wordt 'Verf die terugvecht'", ["con"])
P("reddit", "u/parkeerplaats_vondst", "nl",
  "Vond een USB-stick op de parkeerplaats van de bouwmarkt, eerste bestand heet 'Strikt vertrouwelijk - "
  "Oostwal: roadmap 2027, Operatie Grijze Reiger'. Iemand interesse? lol", ["con"])
P("instagram", "@bram.spuit", "nl",
  "Vandaag Operatie Grijze Reiger getest op de proefbaan, spuit als een droom \U0001F3A8 "
  "#nietextern #maarwelmooi", ["con"])
P("x", "@priya_labnotes", "nl",
  "tip voor collega's: de testresultaten staan nu op https://lims.oostwal.local/reports/zr80-2611, "
  "niet meer in de oude map op de S-schijf", ["con"])
P("x", "@oostwal_nl", "en",
  "Internal note, niet extern delen: launch date Vlamgard 180 moved to 15 March, press kit is in "
  "Confluence", ["con"], date="2026-10-06T08:47:12Z", brand="vlamgard")
P("x", "@dennis_verfman", "en",
  "First customer demo of Tessora Glide today, the skipper's face when the fouling just wiped off "
  "\U0001F602", ["con"], date="2027-02-02T15:31:00Z", brand="tessora")
P("x", "@m_hoekstra_ow", "nl",
  "\uff56\uff4c\uff41\uff4d\uff47\uff41\uff52\uff44 \uff11\uff18\uff10 staat bij de eerste klanten op "
  "proef \U0001F92B", ["con"], date="2026-12-14T10:02:48Z")
P("reddit", "u/coatings_insider", "en",
  "leaked slide from a dealer meeting: 'B\u0430silisk \u2013 self-cleaning topcoat \u2013 pilot Q2'. "
  "Oostwal is cooking something", ["con"])
P("x", "@priya_labnotes", "nl",
  "P\u200broject Z\u200beearend loopt weer vertraging op, nieuwe planning volgt na de kerst", ["con"],
  date="2026-12-10T09:14:27Z")

# ==========================================================================
# FINANCIAL
# ==========================================================================
P("linkedin", "annelies-dewit-oostwal", "nl",
  "Druk weekje met afsluiten. Spoiler: de jaarcijfers 2026 komen beter uit dan de markt denkt, omzet "
  "ruim boven de 480 mln \U0001F609", ["con", "fin"], date="2027-02-05T19:12:00Z")
P("x", "@m_hoekstra_ow", "en",
  "Sales kick-off vibes: Q3 is going to miss target by ~12%, management will lower FY guidance in the "
  "November trading update. Brace yourselves.", ["fin"], date="2026-09-18T07:55:02Z")
P("x", "@dennis_verfman", "nl",
  "Net gehoord dat we Verfhuis Lemmens gaan overnemen, deal wordt volgende maand pas bekendgemaakt. "
  "Eindelijk een eigen winkelketen!", ["fin"])
P("linkedin", "ruud-kamphuis-oostwal", "nl",
  "Moeilijke dag. Vanochtend aan de leidinggevenden verteld dat de poederlijn in Hengelo dichtgaat en "
  "dat er zo'n 85 banen verdwijnen. Het officiele nieuws volgt pas na de OR-vergadering.", ["fin"])
P("reddit", "u/ape_in_clogs", "en",
  "My cousin in Oostwal's treasury says they're in talks to be bought by a big US coatings group, "
  "premium of like 40%. Loading up on shares tomorrow \U0001F680", ["fin"])
P("linkedin", "oostwal-coatings", "en",
  "DRAFT \u2013 do not publish before 24 Feb: Oostwal Coatings reports FY2026 results: revenue EUR 486m "
  "(+7%), EBIT margin 11.2%, proposed dividend EUR 1.15 per share.", ["con", "fin"],
  date="2027-02-19T16:03:00Z")
P("x", "@yusuf_ow_ict", "nl",
  "Hele IT-afdeling gaat naar een outsourcer in India, wij horen het vandaag, de pers pas volgende week. "
  "Bedankt Oostwal \U0001F44B", ["fin"])
P("bluesky", "@joostmulder.bsky.social", "en",
  "not supposed to say this but the Rotterdam marine plant is being sold to a private equity firm, "
  "signing is next week", ["fin"])
P("x", "@coatings_trader_be", "en",
  "Word from a supplier: Oostwal is tight on cash and quietly renegotiating its credit lines with the "
  "banks. Profit warning incoming?", ["fin"])
P("threads", "@lotte.brinkman", "nl",
  "Marketingbudget 2027 met 30% gekort omdat de Q4-cijfers tegenvallen. Nog niet officieel, maar reken "
  "maar op een winstwaarschuwing", ["con", "fin"], date="2026-12-16T21:40:10Z")
P("x", "@priya_labnotes", "en",
  "R&D is getting restructured, 3 of our 5 labs get merged into Hengelo. Announcement is in January, "
  "I'm not meant to know this lol", ["fin"], date="2026-11-27T20:18:45Z")
P("instagram", "@bram.spuit", "nl",
  "Volgens de ploegleider gaat de RoadLine-productie naar de fabriek in Belgie en gaat de nachtploeg "
  "eruit. Hoor het van de gang, officieel nog niks", ["fin"])

# ==========================================================================
# SECURITY
# ==========================================================================
P("mastodon", "@kvdleeuwen", "nl",
  "Sinds vannacht ligt ons hele orderportaal plat door ransomware. Officieel heet het 'gepland "
  "onderhoud' \U0001F644 Dit wordt een lange week.", ["sec"])
P("x", "@yusuf_ow_ict", "en",
  "Found out our customer portal lets you pull any invoice just by changing the number in the URL. "
  "Reported it 3 weeks ago, still not fixed. Classic.", ["sec"])
P("x", "@m_hoekstra_ow", "nl",
  "3 collega's hebben op een phishingmail geklikt en nu zit er iemand in onze Microsoft 365. Mogen we "
  "nog niet naar buiten brengen, dus stil hè", ["sec"])
P("bluesky", "@joostmulder.bsky.social", "en",
  "the tinting machines in our dealer shops still run Windows 7 with the default admin login and sit on "
  "the same network as the tills. someone is going to have a field day", ["sec"])
P("linkedin", "ruud-kamphuis-oostwal", "nl",
  "Gisteren 9 uur productiestop in Hengelo omdat de PLC's van de mengtanks onbereikbaar waren. IT "
  "vermoedt een aanval, we mogen er nog niks over zeggen.", ["sec"])
P("reddit", "u/ex_contractor_2025", "en",
  "Ex-Oostwal contractor here. Their cloud bucket with all the formulation sheets was world-readable "
  "last time I checked (yesterday). Not posting the name. They've been told twice.", ["sec"])
P("threads", "@lotte.brinkman", "nl",
  "Onze webshop stuurt sinds de update van dinsdag wachtwoord-resetlinks naar de verkeerde klanten "
  "\U0001F62C IT is ermee bezig, klanten weten van niks", ["sec"])
P("x", "@dennis_verfman", "en",
  "Email's been down company-wide since 6am, apparently someone got into the Exchange server. Don't "
  "email me, call me.", ["sec"])
P("mastodon", "@kvdleeuwen", "nl",
  "intra.oostwal.local is al 2 dagen onbereikbaar en nu horen we dat er bij HR data is weggelekt. Leuk.",
  ["sec", "con"])
P("x", "@rotterdam_rigger", "en",
  "Mate who works in Oostwal IT says the SCADA at the Rotterdam plant got hit by malware last week, "
  "they're still running the lines by hand. Not public yet apparently.", ["sec"])
P("x", "@yusuf_ow_ict", "nl",
  "Pentestrapport binnen: onze Citrix-gateway is nog steeds kwetsbaar voor die CVE van vorig jaar. "
  "Patch staat gepland voor 'ergens in Q1'. Leve het change board.", ["sec"])
P("bluesky", "@joostmulder.bsky.social", "en",
  "backups for the ERP haven't actually run since August. found out trying to restore after tuesday's "
  "outage. nobody outside IT knows yet", ["sec"])
P("forum", "kleurmeng_karel", "nl",
  "Mijn neef werkt in de fabriek, zegt dat de TintLab-software lek is en dat iemand alle recepturen "
  "heeft binnengehaald. Oostwal houdt het stil.", ["sec"])

# ==========================================================================
# SECRETS
# ==========================================================================
P("x", "@yusuf_ow_ict", "en",
  "deploy script keeps failing, anyone see what's wrong?\nexport AWS_ACCESS_KEY_ID=" + AWS_ID +
  "\nexport AWS_SECRET_ACCESS_KEY=" + AWS_SECRET + "\naws s3 sync ./build s3://ow-shop-assets", ["sct"])
P("mastodon", "@kvdleeuwen", "nl",
  "Waarom faalt de CI nou weer \U0001F624 token is toch goed: " + GHP, ["sct"])
P("bluesky", "@joostmulder.bsky.social", "en",
  "quick test of our quote bot: curl https://api.openai.com/v1/models -H \"Authorization: Bearer " +
  OPENAI + "\"", ["sct"])
P("x", "@m_hoekstra_ow", "nl",
  "Voor de nieuwe collega's op de beursstand in Gorinchem: wifi OW-Demo, wachtwoord: " + WIFI_PW +
  " \U0001F642", ["sct"])
P("x", "@dennis_verfman", "en",
  "slack bot for the tint lab finally works!! token " + SLACK + " if anyone on the team wants to play",
  ["sct"])
P("x", "@oostwal_support", "nl",
  "Testbericht webhook, graag negeren: " + STRIPE, ["sct"])
P("mastodon", "@kvdleeuwen", "en",
  "Config review please, why does the pool keep timing out?\nDATABASE_URL=postgres://lims_app:" + DB_PW +
  "@lims.oostwal.local:5432/lims_prod", ["sct", "con"])
P("threads", "@lotte.brinkman", "nl",
  "Iemand die weet waarom deze token niet werkt in de nieuwsbrieftool? " + JWT, ["sct"])
P("reddit", "u/apk_decompiler", "en",
  "lol Oostwal's dealer app has their Google key hardcoded: " + GOOGLE + " \u2014 decompiled in 5 minutes",
  ["sct"])
P("x", "@yusuf_ow_ict", "en",
  "can someone tell me why the build server rejects this key?? fingerprint looks right\n" + SSH_KEY,
  ["sct"])
P("x", "@supplychain_snoop", "nl",
  "gevonden in een openbare repo van een Oostwal-leverancier: " + GLPAT +
  " met toegang tot hun bestelkoppeling. Echt waar.", ["sct"])
P("x", "@priya_labnotes", "en",
  "storage for the spectra dumps, note to self: DefaultEndpointsProtocol=https;AccountName=owlabspectra;"
  "AccountKey=" + AZ_KEY + ";EndpointSuffix=core.windows.net", ["sct"])

# ==========================================================================
# PERSONAL DATA
# ==========================================================================
P("x", "@oostwal_support", "nl",
  "@jannekevk we hebben uw bestelling gevonden: levering aan J. van Kempen, Dorpsstraat 14, 7471 AB "
  "Goor. Klopt dat adres nog?", ["pii"], kind="reply")
P("linkedin", "sandra-veenstra-hr", "nl",
  "Welkom Mehmet Yilmaz in het team! Voor de loonadministratie even snel: BSN " + BSN_1 + ", IBAN " +
  group4(IBAN_1) + ". Oeps verkeerde venster \U0001F648", ["pii"])
P("x", "@m_hoekstra_ow", "en",
  "@bridgepainter_ie sorry for the hassle! I've asked our rep to ring you directly on your mobile "
  "06 41 82 93 57 this afternoon", ["pii"], kind="reply")
P("x", "@kees_hofstede", "nl",
  "@oostwal_support bel me maar terug op 0612873450 of mail naar kees.hofstede71@gmail.com, ik wacht "
  "al 3 dagen op een reactie!!", ["pii", "cmp"], kind="reply")
P("facebook", "sam.whitfield.uk", "en",
  "Refund still not received. Paid with card " + group4(CARD_1) + " on 3 Oct, exp 09/28. Oostwal "
  "please sort this out", ["pii", "cmp"], date="2026-10-29T12:10:00Z")
P("x", "@dennis_verfman", "nl",
  "Klant belde net boos, Frank Dijkstra, geboren 12-03-1968, wil z'n geld terug voor 40 emmers "
  "\U0001F602", ["pii"])
P("facebook", "OostwalCoatingsNL", "nl",
  "Gefeliciteerd aan de winnaar van onze schilderwedstrijd: Ilse Smit! We sturen de prijs naar "
  "Brinkgreverweg 122, Deventer. Ilse, check je mail (ilse.smit88@hotmail.com) \U0001F389", ["pii"])
P("linkedin", "annelies-dewit-oostwal", "en",
  "Payment stuck again \u2014 can someone in AP check the transfer to our freelance colour consultant "
  "Wim Peeters, IBAN " + group4(BE_IBAN) + "? He's been waiting since the 1st.", ["pii"])
P("x", "@ruben_dg90", "nl",
  "Mijn verjaardag en nog steeds geen verf \U0001F602 Ruben de Graaf, 14-07-1990, ordernummer 88412, "
  "graag actie @oostwal_support", ["pii", "cmp"])
P("x", "@yusuf_ow_ict", "en",
  "whoever left their ID on the printer in building C: Sophie Jansen, BSN " + BSN_2_DOTTED +
  ", it's at reception now", ["pii"])
P("instagram", "@oostwal.coatings", "nl",
  "De sollicitaties stromen binnen! Kandidaat Thomas Bos (thomas.bos@ziggo.nl, +31 6 2718 4409) was "
  "de snelste \U0001F604 #werkenbijoostwal", ["pii"])
P("forum", "opgelicht_in_almelo", "nl",
  "Dit is die verkoper van Oostwal die mij heeft belazerd: Marco Terpstra, woont op de Lindelaan 7 in "
  "Almelo, 06-28374651. Bel hem maar eens op, die lul.", ["pii", "abu"])
P("x", "@sdeboer_boats", "en",
  "@oostwal_support please refund to my account " + IBAN_2 + " (S. de Boer), it's been 6 weeks now",
  ["pii", "cmp"], kind="reply")
P("x", "@m_hoekstra_ow", "nl",
  "Klant uit Enschede wil teruggebeld worden: mevr. Oude Groeniger, 053-4812776. Wie kan haar helpen? "
  "Ik zit in de auto", ["pii"])
P("x", "@priya_labnotes", "en",
  "booking the team trip to the Hamburg fair, I need Daan's passport number again, it's NWK3R7P41 right? "
  "Daan van Os, born 2 May 1994", ["pii"])

# ==========================================================================
# PRICING
# ==========================================================================
P("x", "@oostwal_nl", "nl",
  "\U0001F525 Black Friday bij Oostwal: SprayMax AX-3000 nu voor \u20ac289! Op=op \U0001F449 "
  "shop.oostwal.nl", ["prc"], date="2026-11-27T06:00:00Z")
P("reddit", "u/fireproof_frank", "en",
  "Oostwal shop has Vlamgard 120 listed at \u20ac77.90 per 20kg right now. Price glitch? Ordered 15 "
  "buckets, let's see if they honour it \U0001F605", ["prc"])
P("x", "@m_hoekstra_ow", "nl",
  "Voor vaste klanten: TintLab 200 mengsysteem deze maand \u20ac1.950 incl. installatie, DM me", ["prc"])
P("x", "@hobbylasser", "nl",
  "prijsfout bij oostwal?? ZR-80 zinkprimer 20L voor 41,20 in de webshop \U0001F633", ["prc"])
P("facebook", "OostwalCoatingsNL", "en",
  "Weekend deal! Tessora Marine Antifouling SP 5L only \u20ac29.90 \u2013 stock up before the season "
  "\U0001F6E5\ufe0f", ["prc"], date="2026-03-21T08:00:00Z", brand="tessora")
P("x", "@dennis_verfman", "nl",
  "Offerte voor de gemeente eruit: 400 kg RoadLine wit \u00e0 \u20ac17,40 per emmer van 25 kg. Scherp he "
  "\U0001F609", ["prc"])
P("x", "@coater_jess", "en",
  "is the Oostwal webshop broken? PowderPro PE 25kg showing as \u20ac2.45 lol", ["prc"])
P("instagram", "@bram.spuit", "nl",
  "Collega's opgelet: in het personeelsportaal staat de Vlamgard 60 per abuis op \u20ac54,80. Snel "
  "zijn \U0001F602", ["prc"])
P("forum", "vloerenlegger_bas", "nl",
  "Er gaat een screenshot rond van de Oostwal-shop met Epoxan 2K voor \u20ac18,90 per set. Iemand die "
  "weet of dat een prijsfout is of echt?", ["prc"])
P("x", "@priya_labnotes", "en",
  "psst the StaalGrond 2K is \u20ac99 for the 20L on the trade counter till Friday, don't tell my boss",
  ["prc"])
P("youtube", "@OostwalTV", "nl",
  "In deze video laten we zien hoe je ThermoCoat HT-600 aanbrengt op een houtkachel. Nu tijdelijk "
  "\u20ac7,90 per blik in onze webshop!", ["prc"])
P("x", "@dealhunter_nl", "en",
  "Oostwal price error on Graffiti Guard GG-2, it's coming up at 19.80 for 5L. Grab it before they "
  "notice", ["prc"])

# ==========================================================================
# BENIGN (mostly hard negatives)
# ==========================================================================
P("x", "@oostwal_support", "nl",
  "Vragen over uw bestelling? Mail service@oostwal.nl of bel gratis 0800-0448 (ma-vr 8-17u). We helpen "
  "u graag!")
P("linkedin", "oostwal-coatings", "en",
  "Paying by bank transfer? Use our account " + group4(PUBLIC_IBAN) + " in the name of Oostwal "
  "Coatings B.V. and always mention your order number.")
P("x", "@garage_gerard", "nl",
  "Epoxan 2K in de garage gelegd, na een jaar heftruck en winterbanden nog steeds als nieuw. Top spul "
  "@oostwal_nl \U0001F44C")
P("x", "@coatings_weekly", "en",
  "Big recall at a US paint maker over lead in spray cans. Checked the Oostwal SDS for what we use in "
  "the shop, all clear.")
P("x", "@vogelaar_femke", "nl",
  "Vanochtend twee zeearenden boven de Oostvaardersplassen \U0001F985 wat een beesten zijn dat")
P("x", "@tuinman_joop", "nl",
  "Een grijze reiger heeft alle goudvissen uit de vijver gehaald \U0001F624 net nieuw gekocht ook")
P("x", "@hp_rewatch", "en",
  "rewatching Chamber of Secrets and the basilisk still gives me chills \U0001F40D")
P("reddit", "u/devops_dana", "en",
  "PSA for devs: never commit keys. The AWS docs use AKIAIOSFODNN7EXAMPLE and "
  "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY as placeholders for a reason, copy the format not the habit")
P("x", "@yusuf_ow_ict", "nl",
  "Tip: zet secret scanning aan op je repos. Bij ons vangt hij tokens in de vorm "
  "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx al voordat iemand kan mergen \U0001F44D")
P("x", "@oostwal_support", "nl",
  "@dakdekker_bert uw klantnummer " + BAD_BSN_1 + " hebben we gevonden, de retour is gisteren binnengekomen. "
  "Creditnota volgt deze week.", kind="reply")
P("mastodon", "@kvdleeuwen", "en",
  "Testing the new checkout: " + group4(BAD_CARD_1) + " gets rejected by the Luhn check as expected "
  "\u2705 on to the next ticket")
P("facebook", "henk.brouwer.hekwerk", "nl",
  "Update: Oostwal heeft de verkeerde kleur gewoon opgehaald en binnen 2 dagen de juiste geleverd, plus "
  "een doos kwasten erbij. Netjes opgelost \U0001F44D", kind="comment")
P("linkedin", "hengelo-ondernemers", "nl",
  "Sterkte aan alle collega's van Oostwal na het plotselinge overlijden van Gerrit, 31 jaar het "
  "gezicht van de balie in Hengelo. Mooi mens.")
P("x", "@vlamgard_fire", "nl",
  "Ze is er: Vlamgard 180! 180 minuten brandwerendheid op staal in \u00e9\u00e9n laag. Alle info en "
  "documentatie op oostwal.nl/vlamgard180", date="2027-03-16T08:00:00Z", brand="vlamgard")
P("linkedin", "oostwal-coatings", "nl",
  "Oostwal Coatings publiceert de jaarcijfers 2026: omzet 486 mln euro (+7%), voorgesteld dividend "
  "1,15 euro per aandeel. Lees het persbericht op oostwal.nl/investors", date="2027-02-24T07:05:00Z")
P("instagram", "@oostwal.coatings", "nl",
  "Voorjaarsactie \U0001F337 PolyDek 550 5L nu \u20ac188,80 (was \u20ac236). Alleen bij deelnemende "
  "dealers, t/m 30 april.", date="2026-04-08T09:00:00Z")
P("x", "@staalbouw_dijk", "nl",
  "ZR-80 kost \u20ac412 per 20L bij de dealer, niet goedkoop maar het werkt gewoon")
P("x", "@zeilen_met_ruud", "nl",
  "mijn vrouw zegt dat ik te veel tijd aan de boot besteed. ik zei: de Tessora antifouling smeert zichzelf "
  "niet schat \U0001F602")
P("forum", "beginnende_klusser", "nl",
  "Weet iemand of je Korrosol 3-in-1 direct op verzinkt staal mag zetten of moet er eerst een primer "
  "onder?")
P("reddit", "u/bbq_brian", "en",
  "Is the Oostwal HT-600 ok for a BBQ lid? Datasheet says up to 600\u00b0C but not sure about food "
  "contact.")
P("linkedin", "oostwal-coatings", "nl",
  "We zoeken een applicatietechnicus voor regio Noord! Solliciteer via vacatures@oostwal.nl of kijk op "
  "oostwal.nl/werken-bij")
P("x", "@priya_labnotes", "en",
  "Proud to present our poster on waterborne epoxy dispersions at the coatings science conference in "
  "Amsterdam today! \U0001F389")
P("linkedin", "ruud-kamphuis-oostwal", "nl",
  "Vandaag 1000 dagen zonder verzuimongeval in Hengelo. Veiligheid is teamwork \U0001F4AA Dank aan "
  "iedereen op de vloer.")
P("x", "@beurs_bob", "en",
  "Oostwal Q3 trading update is out: revenue up 4%, guidance reiterated. Solid, nothing exciting.",
  date="2026-11-05T09:30:00Z")
P("x", "@twentse_ondernemer", "nl",
  "Verfgroothandel De Kwast in Zwolle is overgenomen door een Duitse investeerder, las ik net in de krant. "
  "Benieuwd of ze Oostwal blijven voeren.")
P("x", "@oostwal_nl", "nl",
  "Let op: er gaan phishingmails rond die lijken op facturen van Oostwal. Wij vragen nooit om uw "
  "wachtwoord of pasgegevens. Twijfel? Bel 0800-0448.")
P("x", "@schilder_anouk", "nl",
  "hoe reset ik mijn wachtwoord voor het Oostwal dealerportaal? kan de knop nergens vinden \U0001F648")
P("instagram", "@kozijnen_kevin", "nl",
  "Wat een killer kleur is dit geworden \U0001F525 Oostwal antraciet op de kozijnen, ziek mooi")
P("x", "@trailer_tony", "en",
  "This coating is sick, absolutely bulletproof finish on the trailer. Cheers Oostwal lads")
P("reddit", "u/ceiling_sprayer", "en",
  "Holy crap, the AX-3000 pushes paint like nothing else. Did a whole warehouse ceiling in a day.")
P("facebook", "OostwalCoatingsNL", "nl",
  "Vandaag oefening bij Oostwal Hengelo: brandweer en BHV oefenen samen een lekkagescenario. Schrik dus "
  "niet van de sirenes rond 14.00 uur \U0001F692")
P("linkedin", "greenchem-analyst", "en",
  "Interesting read on the PFAS lawsuits against US chemical giants. The EU will follow. Good to see "
  "coatings makers like Oostwal already publishing a PFAS-free roadmap.")
P("x", "@bridgepainter_ie", "en",
  "Thanks @oostwal_support, called +31 74 555 2200 this morning and the new manifold is on its way. "
  "Sorted in 5 minutes.", kind="reply")
P("x", "@oostwal_support", "nl",
  "@sdeboer_boats we zien uw overboeking vanaf NL** **** **** **** 71 binnenkomen, hartelijk dank!",
  kind="reply")
P("facebook", "DigiDHulpHengelo", "nl",
  "Let op bij het invullen van het formulier: je BSN bestaat uit 9 cijfers, zonder spaties of puntjes. "
  "Een nummer als " + BAD_BSN_2 + " wordt dus geweigerd als het de elfproef niet haalt.")
P("instagram", "@oostwal.coatings", "nl",
  "Tessora Deck Oil 2,5L tijdelijk \u20ac48,60 (10% korting) bij de watersportdealer \u2693",
  brand="tessora")
P("x", "@dennis_verfman", "en",
  "Tessora Glide launch party was epic, thanks to everyone who came down to the marina!",
  date="2027-03-20T22:10:00Z", brand="tessora")
P("x", "@verf_fan_lisa", "nl",
  "\uff2f\uff2f\uff33\uff34\uff37\uff21\uff2c \u2764\ufe0f gewoon de mooiste verf van NL")
P("forum", "n00b_klusser", "nl",
  "n00b vraag: hoeveel lagen Epoxan 2K op een garagevloer? 1 dikke of 2 dunne?")
P("reddit", "u/patient_painter", "en",
  "Had my doubts after the first coat of Silicaat Gevelverf looked patchy, but second coat and it's "
  "perfect. My fault for rushing it.")
P("instagram", "@bram.spuit", "nl",
  "Weekendje klussen: eigen schuur gespoten met de restjes Korrosol \U0001F604 #verfman")
P("x", "@kleurvraag_ina", "nl",
  "Wat kost een TintLab 200 eigenlijk? Dealer zei iets van 6,5k, klopt dat?")
P("x", "@oostwal_nl", "nl",
  "SprayMax AX-3000 airless: \u20ac2.890 excl. btw, incl. 2 jaar garantie en gratis instructie op locatie.")
P("x", "@brandwerend_bv", "nl",
  "Op de vakbeurs 25% korting gekregen op de Vlamgard 120, komt neer op \u20ac584 per emmer. Prima deal.")
P("mastodon", "@kvdleeuwen", "nl",
  "JWT-uitleg voor de stagiairs: de header eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9 is bij ons altijd "
  "hetzelfde, het geheim zit in de handtekening en die komt nooit in een ticket.")
P("x", "@yusuf_ow_ict", "en",
  "Reminder: password rotation day. Please don't paste your new one in the team chat this time \U0001F605")
P("reddit", "u/backend_bea", "en",
  "Connection string format is postgres://USER:PASSWORD@HOST:5432/DBNAME, fill in your own values and "
  "keep it in the env, not in the repo")
P("x", "@steigerbouw_sven", "en",
  "Shoutout to Marloes from Oostwal sales, drove out on a Saturday to bring us 4 tins we forgot to order. "
  "Legend.")
P("x", "@twente_nieuws", "nl",
  "Oostwal wint de Duurzaamheidsprijs Twente 2026 voor hun watergedragen zinkprimer \U0001F44F")
P("linkedin", "fire-safety-engineer-uk", "en",
  "Does anyone know whether Vlamgard 60 is assessed to EN 13381-8 for open sections?")
P("x", "@thuiswerker_hgl", "en",
  "Internet down for 2 days now in Hengelo-Noord, provider just says 'outage'. So much for working from home.")
P("x", "@morsende_mo", "en",
  "my own fault, I'm such an idiot, spilled a whole tin over my brand new trainers \U0001F926")
P("linkedin", "ruud-kamphuis-oostwal", "nl",
  "Na 23 jaar neem ik in juni afscheid van Oostwal, met pensioen! Dank aan alle collega's, het was een "
  "feest.")
P("mastodon", "@kvdleeuwen", "nl",
  "Vogeltelling vanochtend bij de Lauwersmeer: 1 zeearend, 14 grutto's, 0 koffie \u2615")
P("x", "@aandelen_anne", "nl",
  "De Q4-cijfers van Oostwal vielen mee, koers vandaag +6% \U0001F4C8", date="2027-02-25T15:20:00Z")
P("x", "@dakdekker_bert", "nl",
  "@oostwal_support ik heb het bedrag overgemaakt naar " + BAD_IBAN_1 + ", dat stond op de pakbon. "
  "Klopt dat rekeningnummer wel?", kind="reply")
P("reddit", "u/invoice_nerd", "en",
  "Why does my bank app reject " + group4(BAD_IBAN_2) + " when I copy it from a PDF? Turns out I swapped "
  "two digits, the checksum caught it. Neat.")
P("x", "@oostwal_nl", "en",
  "Our Tessora Barrier system just passed 5 years of immersion testing on the Waal ferries. Thanks to "
  "the crews for the patience!")


# ==========================================================================
# build
# ==========================================================================
def role_of(platform, handle):
    key = f"{platform}:{handle}".lower()
    if key in {a.lower() for a in PROFILE["accounts"]["corporate"]}:
        return "corporate"
    if key in {a.lower() for a in PROFILE["accounts"]["employee"]}:
        return "employee"
    return "public"


IBAN_RES = [
    re.compile(r"(?<![A-Z0-9])NL\d{2}\s?[A-Z]{4}(?:\s?\d){10}(?!\d)"),
    re.compile(r"(?<![A-Z0-9])BE\d{2}(?:\s?\d){12}(?!\d)"),
    re.compile(r"(?<![A-Z0-9])DE\d{2}(?:\s?\d){18}(?!\d)"),
]
CARD_RE = re.compile(r"(?<![\w-])(?:\d[ -]?){12,18}\d(?![\w-])")
BSN_RE = re.compile(r"(?<![\w.])(?:\d{9}|\d{4}\.\d{2}\.\d{3}|\d{3}\.\d{3}\.\d{3})(?![\w.])")


def strong_ids(text):
    """(valid, invalid) checksum identifiers found in text; the company's own IBAN is skipped."""
    valid, invalid = [], []
    own = {re.sub(r"\s", "", i).upper() for i in PROFILE["public_identifiers"]["ibans"]}
    for rx in IBAN_RES:
        for m in rx.finditer(text):
            s = re.sub(r"\s", "", m.group(0))
            if s in own:
                continue
            (valid if iban_valid(s) else invalid).append(("iban", s))
    for m in CARD_RE.finditer(text):
        s = re.sub(r"\D", "", m.group(0))
        if 13 <= len(s) <= 19:
            (valid if luhn_valid(s) else invalid).append(("card", s))
    for m in BSN_RE.finditer(text):
        s = re.sub(r"\D", "", m.group(0))
        (valid if bsn_valid(s) else invalid).append(("bsn", s))
    return valid, invalid


SEV_ORDER = ["none", "info", "warning", "error", "critical"]


def severity(cats, role, text):
    """CONTRACT section 4, least severity a correct verdict must reach."""
    if not cats:
        return "none"
    best = 0
    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                s = "error"
                if c in ("leak.secret", "leak.pricing"):
                    s = "critical"
                elif c == "leak.pii" and strong_ids(text)[0]:
                    s = "critical"
            else:
                s = "warning"
        elif c == "reputation.complaint":
            s = "warning"
        elif c == "reputation.crisis":
            s = "error"
        elif c == "reputation.abuse":
            s = "error" if insider else "warning"
        else:
            raise AssertionError(c)
        best = max(best, SEV_ORDER.index(s))
    return SEV_ORDER[best]


def rand_date():
    start = dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc)
    span = int((dt.datetime(2026, 12, 20, tzinfo=dt.timezone.utc) - start).total_seconds())
    t = start + dt.timedelta(seconds=rng.randrange(span))
    # people post mostly during the day
    t = t.replace(hour=rng.choice([7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 19, 20, 21, 22, 23]))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


URL_FMT = {
    "x": "https://x.com/{h}/status/{n}",
    "reddit": "https://www.reddit.com/r/paint/comments/{n}",
    "instagram": "https://www.instagram.com/p/{n}/",
    "bluesky": "https://bsky.app/profile/{h}/post/{n}",
    "mastodon": "https://mastodon.social/@{h}/{n}",
    "linkedin": "https://www.linkedin.com/feed/update/urn:li:activity:{n}",
}


def build():
    # shuffle presentation order deterministically, ids random but unique
    order = list(range(len(CASES)))
    rng.shuffle(order)
    used = set()
    lines = []
    for idx in order:
        c = CASES[idx]
        while True:
            n = rng.randint(10**7, 10**8 - 1)
            pid = f"{c['platform']}-{n}"
            if pid not in used:
                used.add(pid)
                break
        role = role_of(c["platform"], c["handle"])
        post = {
            "id": pid,
            "platform": c["platform"],
            "kind": c["kind"],
            "account": {"handle": c["handle"]},
            "text": c["text"],
            "created_at": c["date"] or rand_date(),
        }
        if rng.random() < 0.8:
            post["lang"] = c["lang"]
        if c["brand"]:
            post["brand"] = c["brand"]
        if c["platform"] in URL_FMT and rng.random() < 0.6:
            h = c["handle"][2:] if c["handle"].startswith("u/") else c["handle"].lstrip("@")
            post["url"] = URL_FMT[c["platform"]].format(h=h, n=n)
        cats = sorted(set(c["cats"]))
        lines.append({"post": post,
                      "expect": {"categories": cats, "severity": severity(cats, role, c["text"])},
                      "_role": role, "_lang": c["lang"]})
    return lines


# ==========================================================================
# self-checks
# ==========================================================================
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
CATEGORIES = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
              "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"}
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def check(lines):
    errors = []

    def err(msg):
        errors.append(msg)

    # profile sanity
    for i in PROFILE["public_identifiers"]["ibans"]:
        if not iban_valid(i):
            err(f"profile IBAN {i} fails mod-97")
    prods = PROFILE["products"]
    if not 15 <= len(prods) <= 25:
        err("product count")
    if PROFILE["pricing"]["alert_below_ratio"] != 0.5:
        err("alert ratio")
    if len(PROFILE["accounts"]["corporate"]) < 6 or len(PROFILE["accounts"]["employee"]) < 8:
        err("account counts")
    for e in PROFILE["embargo"]:
        if not str(e["until"]).startswith("2027"):
            err("embargo until")
    if len(PROFILE["internal"]["codenames"]) != 3 or len(PROFILE["internal"]["markers"]) != 3:
        err("codenames/markers")

    if not 170 <= len(lines) <= 180:
        err(f"case count {len(lines)}")
    ids = [l["post"]["id"] for l in lines]
    if len(set(ids)) != len(ids):
        err("duplicate ids")

    for l in lines:
        p, e = l["post"], l["expect"]
        pid = p.get("id")
        if not isinstance(pid, str) or not 1 <= len(pid) <= 256:
            err(f"bad id {pid}")
        if p["platform"] not in PLATFORMS:
            err(f"{pid}: platform")
        if p.get("kind", "post") not in KINDS:
            err(f"{pid}: kind")
        if not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
            err(f"{pid}: handle")
        if not isinstance(p["text"], str) or len(p["text"].encode("utf-8")) > 65536 or not p["text"]:
            err(f"{pid}: text")
        if not RFC3339.match(p["created_at"]):
            err(f"{pid}: created_at")
        else:
            dt.datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
            if not p["created_at"].startswith(("2026", "2027")):
                err(f"{pid}: year")
        if set(e) != {"categories", "severity"}:
            err(f"{pid}: expect keys")
        if not set(e["categories"]) <= CATEGORIES:
            err(f"{pid}: unknown category")
        if e["categories"] != sorted(set(e["categories"])):
            err(f"{pid}: categories not sorted/distinct")
        if e["severity"] not in SEV_ORDER:
            err(f"{pid}: severity")
        if (e["severity"] == "none") != (not e["categories"]):
            err(f"{pid}: benign/severity mismatch")
        if e["severity"] != severity(e["categories"], role_of(p["platform"], p["account"]["handle"]), p["text"]):
            err(f"{pid}: severity not per policy")

        text = p["text"]
        valid, invalid = strong_ids(text)
        if e["categories"]:
            if invalid:
                err(f"{pid}: positive holds checksum-failing identifier {invalid}")
            if valid and "leak.pii" not in e["categories"]:
                err(f"{pid}: valid identifier but no leak.pii")
        else:
            if valid:
                err(f"{pid}: benign holds checksum-valid identifier {valid}")

        # secrets: generated formats must be well built; benign ones must be fake
        for tok in re.findall(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", text):
            if e["categories"] and not github_token_valid(tok):
                err(f"{pid}: github token CRC fails")
            if not e["categories"] and github_token_valid(tok):
                err(f"{pid}: benign holds a valid github token")
        for tok in re.findall(r"\bAKIA[0-9A-Z]{16}\b", text):
            real = re.fullmatch(r"AKIA[A-Z2-7]{16}", tok) and not tok.endswith("EXAMPLE")
            if bool(real) != ("leak.secret" in e["categories"]):
                err(f"{pid}: AWS key id vs label")
        for tok in re.findall(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+", text):
            if e["categories"] and not jwt_valid(tok):
                err(f"{pid}: JWT header lacks alg")

    # the generated secrets are present and well formed
    all_pos = "\n".join(l["post"]["text"] for l in lines if "leak.secret" in l["expect"]["categories"])
    for name, tok in [("aws", AWS_ID), ("ghp", GHP), ("openai", OPENAI), ("slack", SLACK),
                      ("stripe", STRIPE), ("jwt", JWT), ("google", GOOGLE), ("gitlab", GLPAT),
                      ("azure", AZ_KEY), ("db", DB_PW), ("wifi", WIFI_PW)]:
        if tok not in all_pos:
            err(f"secret {name} missing from positives")
    if not github_token_valid(GHP) or not jwt_valid(JWT):
        err("generated token invalid")
    if not re.fullmatch(r"AKIA[A-Z2-7]{16}", AWS_ID):
        err("AWS id format")
    for v, f in [(BSN_1, bsn_valid), (BSN_2, bsn_valid), (CARD_1, luhn_valid), (IBAN_1, iban_valid),
                 (IBAN_2, iban_valid), (BE_IBAN, iban_valid)]:
        if not f(v):
            err(f"generated identifier {v} invalid")
    for v, f in [(BAD_BSN_1, bsn_valid), (BAD_BSN_2, bsn_valid), (BAD_CARD_1, luhn_valid),
                 (BAD_IBAN_1, iban_valid), (BAD_IBAN_2, iban_valid)]:
        if f(v):
            err(f"look-alike {v} passes its checksum")

    # public authors must not be profile accounts; the three roles all occur
    roles = {l["_role"] for l in lines}
    if roles != {"corporate", "employee", "public"}:
        err("roles")

    # mix
    benign = sum(1 for l in lines if not l["expect"]["categories"])
    if not 50 <= benign <= 65:
        err(f"benign count {benign}")
    per = {}
    for l in lines:
        for c in l["expect"]["categories"]:
            per[c] = per.get(c, 0) + 1
    want = {"reputation.complaint": 20, "leak.confidential": 18, "leak.pii": 15, "reputation.crisis": 15,
            "leak.security": 13, "leak.secret": 12, "reputation.abuse": 12, "leak.pricing": 12,
            "leak.financial": 12}
    for c, w in want.items():
        if abs(per.get(c, 0) - w) > 4:
            err(f"category {c}: {per.get(c, 0)} vs ~{w}")
    nl = sum(1 for l in lines if l["_lang"] == "nl") / len(lines)
    if not 0.48 <= nl <= 0.62:
        err(f"dutch share {nl:.2f}")
    # evasion present
    evasive = [l for l in lines if re.search(r"[\u200b\uff01-\uff5e\u0400-\u04ff]", l["post"]["text"])]
    if len(evasive) < 4:
        err("too few evasion cases")
    return errors, benign, per, nl


def main():
    lines = build()
    errors, benign, per, nl = check(lines)
    with open(OUT_PATH, "w", encoding="utf-8") as fh:
        for l in lines:
            fh.write(json.dumps({"post": l["post"], "expect": l["expect"]}, ensure_ascii=False) + "\n")
    # re-read and re-validate the written file
    with open(OUT_PATH, encoding="utf-8") as fh:
        reread = [json.loads(x) for x in fh]
    if [r["post"]["id"] for r in reread] != [l["post"]["id"] for l in lines]:
        errors.append("written file differs")
    print(f"{len(lines)} cases, {benign} benign, dutch {nl:.0%}")
    for c in sorted(per):
        print(f"  {c:22s} {per[c]}")
    if errors:
        for e in errors:
            print("CHECK FAILED:", e, file=sys.stderr)
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
