#!/usr/bin/env python3
"""Evaluation set sealed294 for postwatch: Kratlust Cargo B.V. (fictional cargo-bike maker).

Deterministic: fixed seed, standard library + PyYAML. Writes cases.jsonl beside this file
and checks it (CONTRACT section 4 and 6, checksums, secret formats, embargo windows).
Severities are computed from the account role in profile.yaml, never typed by hand.
"""
import base64
import hashlib
import hmac
import json
import os
import random
import re
import sys
import unicodedata
import zlib
from datetime import datetime, timedelta, timezone

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 294_2026
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

ROLE = {}
for h in PROFILE["accounts"]["corporate"]:
    ROLE[h.lower()] = "corporate"
for h in PROFILE["accounts"]["employee"]:
    ROLE[h.lower()] = "employee"

# --------------------------------------------------------------------------- checksums
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
URLSAFE = ALNUM + "-_"


def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{8,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def iban_make(cc, bban):
    r = bban + cc + "00"
    chk = 98 - int("".join(str(int(c, 36)) for c in r)) % 97
    return f"{cc}{chk:02d}{bban}"


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    if len(d) < 12:
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
    d = re.sub(r"\D", "", num)
    if len(d) != 9:
        return False
    s = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return s % 11 == 0 and d != "000000000"


def b62(n, width=6):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())) == m.group(2)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def b64url_dec(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


# --------------------------------------------------------------------------- generators
def rs(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def gen_iban_nl():
    bank = rng.choice(["INGB", "RABO", "ABNA", "SNSB", "TRIO", "BUNQ", "KNAB", "ASNB"])
    return iban_make("NL", bank + rs("0123456789", 10))


def gen_iban_be():
    first = str(rng.randint(1, 999)).zfill(3) + rs("0123456789", 7)
    chk = int(first) % 97 or 97
    return iban_make("BE", first + f"{chk:02d}")


def gen_iban_de():
    return iban_make("DE", rs("0123456789", 18))


def spaced(s, n=4):
    return " ".join(s[i:i + n] for i in range(0, len(s), n))


def break_iban(iban):
    while True:
        chk = int(iban[2:4])
        new = iban[:2] + f"{(chk + rng.randint(1, 40)) % 97 + 2:02d}" + iban[4:]
        if not iban_ok(new):
            return new


def gen_card():
    prefix = rng.choice(["4", "4", "51", "52", "53", "54", "55"])
    body = prefix + rs("0123456789", 15 - len(prefix))
    for last in "0123456789":
        if luhn_ok(body + last):
            return body + last
    raise AssertionError


def break_card(card):
    last = int(card[-1])
    return card[:-1] + str((last + rng.randint(1, 9)) % 10)


def gen_bsn():
    while True:
        d = [rng.randint(0, 9) for _ in range(8)]
        if d[0] == 0:
            continue
        s = sum(d[i] * (9 - i) for i in range(8)) % 11
        if s == 10:
            continue
        b = "".join(map(str, d)) + str(s)
        if bsn_ok(b):
            return b


def break_bsn(b):
    while True:
        new = b[:8] + str(rng.randint(0, 9))
        if not bsn_ok(new):
            return new


def gen_ghp(prefix="ghp_"):
    body = rs(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()))


def gen_akia():
    return "AKIA" + rs(B32, 16)


def gen_awssecret():
    return rs(ALNUM + "+/", 40)


def gen_stripe():
    return "sk_live_51" + rs(ALNUM, 97)


def gen_slackhook():
    return ("https://hooks.slack.com/services/T" + rs("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 10)
            + "/B" + rs("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 10) + "/" + rs(ALNUM, 24))


def gen_xoxb():
    return "xoxb-" + rs("0123456789", 12) + "-" + rs("0123456789", 13) + "-" + rs(ALNUM, 24)


def gen_google():
    return "AIza" + rs(URLSAFE, 35)


def gen_glpat():
    return "glpat-" + rs(URLSAFE, 20)


def gen_openai():
    return "sk-proj-" + rs(URLSAFE, 74) + "T3BlbkFJ" + rs(URLSAFE, 74)


def gen_jwt():
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    iat = 1767225600 + rng.randint(0, 3600 * 24 * 300)
    payload = b64url(json.dumps({"sub": "emp-" + rs("0123456789", 4), "role": "werkplaats-admin",
                                 "iss": "auth.kratlust.nl", "iat": iat, "exp": iat + 300},
                                separators=(",", ":")).encode())
    key = bytes(rng.randrange(256) for _ in range(32))
    sig = b64url(hmac.new(key, f"{header}.{payload}".encode(), hashlib.sha256).digest())
    return f"{header}.{payload}.{sig}"


def gen_pem():
    blob = (b"openssh-key-v1\x00" + b"\x00\x00\x00\x04none" * 2 + b"\x00\x00\x00\x00\x00\x00\x00\x01"
            + b"\x00\x00\x00\x33\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20"
            + bytes(rng.randrange(256) for _ in range(300)))
    enc = base64.b64encode(blob).decode()
    lines = [enc[i:i + 70] for i in range(0, len(enc), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


GENERATED = []  # (kind, value, should_be_valid)


def fill(m):
    key = m.group(1)
    if key in ("iban", "iban_s", "iban_be", "iban_de"):
        v = {"iban": gen_iban_nl, "iban_s": gen_iban_nl, "iban_be": gen_iban_be, "iban_de": gen_iban_de}[key]()
        GENERATED.append(("iban", v, True))
        return spaced(v) if key != "iban" else v
    if key in ("bad_iban", "bad_iban_s"):
        v = break_iban(gen_iban_nl())
        GENERATED.append(("iban", v, False))
        return spaced(v) if key.endswith("_s") else v
    if key in ("card", "card_s", "card_d"):
        v = gen_card()
        GENERATED.append(("card", v, True))
        return {"card": v, "card_s": spaced(v), "card_d": spaced(v).replace(" ", "-")}[key]
    if key in ("bad_card", "bad_card_s"):
        v = break_card(gen_card())
        GENERATED.append(("card", v, False))
        return spaced(v) if key.endswith("_s") else v
    if key in ("bsn", "bsn_d"):
        v = gen_bsn()
        GENERATED.append(("bsn", v, True))
        return v if key == "bsn" else f"{v[:4]}.{v[4:6]}.{v[6:]}"
    if key == "bad_bsn":
        v = break_bsn(gen_bsn())
        GENERATED.append(("bsn", v, False))
        return v
    gens = {"ghp": gen_ghp, "gho": lambda: gen_ghp("gho_"), "akia": gen_akia, "awssecret": gen_awssecret,
            "stripe": gen_stripe, "slackhook": gen_slackhook, "xoxb": gen_xoxb, "google": gen_google,
            "glpat": gen_glpat, "openai": gen_openai, "jwt": gen_jwt, "pem": gen_pem}
    v = gens[key]()
    GENERATED.append((key, v, True))
    return v


# --------------------------------------------------------------------------- cases
CAT = {"C": "reputation.complaint", "X": "reputation.crisis", "A": "reputation.abuse",
       "P": "leak.pii", "K": "leak.secret", "S": "leak.security", "F": "leak.confidential",
       "N": "leak.financial", "R": "leak.pricing"}
RAW = []


def add(platform, handle, text, cats, lang, who, kind="post", when=None, low_ok=False, name=None):
    RAW.append(dict(platform=platform, handle=handle, text=text, cats=cats, lang=lang, who=who,
                    kind=kind, when=when, low_ok=low_ok, name=name))


# ---- complaints -------------------------------------------------------------------
add("x", "@fleur_fietst", "@kratlust_hulp al 7 weken wacht ik op een nieuwe accu voor mijn Tjalk 2. Elke keer "
    "'volgende week'. Ik breng de kinderen nu met de auto naar school, dat was nou net niet de bedoeling 🙄",
    "C", "nl", "pub", kind="reply")
add("reddit", "u/cargo_dad_ams", "Anyone else's TrackTag refusing to pair with the Kratlust app? Support had me "
    "reinstall three times. Paid €89 for a tracker that tracks exactly nothing.", "C", "en", "pub")
add("facebook", "Wendy Smeets", "Showroom Haarlem zaterdag: 40 minuten staan wachten, niemand die ons hielp, en toen "
    "bleek de proefritfiets een lege accu te hebben. Zonde van onze middag, Kratlust.", "C", "nl", "pub", kind="comment")
add("instagram", "@marloes.op.pad", "Regentent lekt bij de naden na twee buien 😤 voor €249 verwacht ik echt iets beters "
    "@kratlust.cargo", "C", "nl", "pub", kind="comment")
add("x", "@tobyrides", "Warranty claim on my Praam L rejected because I 'used it commercially'. I deliver bread for "
    "my neighbour's bakery twice a week. Ridiculous, @kratlust.", "C", "en", "pub")
add("x", "@jjdekker", "remmen van mn botter mini piepen sinds dag 1 en bij de 'gratis' eerste beurt hebben ze er "
    "niks aan gedaan. toppie kratlust 👎", "C", "nl", "pub")
add("forum", "Henk_W", "Onderhoudsabonnement afgesloten bij Kratlust, maar de werkplaats in Zwolle zit vol tot eind "
    "juni. Waar betaal ik eigenlijk voor? Eerste keer dat ik spijt heb van een aankoop bij ze.", "C", "nl", "pub", when="2026-04-14T19:55:00+02:00")
add("threads", "@anouk.kerstens", "ordered the kinderbankje in march, got a confirmation mail, then... silence. chat "
    "closes at 5pm and the phone queue is 45+ min. not great kratlust", "C", "en", "pub")
add("bluesky", "@pieterpost.bsky.social", "Bezorging van onze Kof 'tussen 8 en 18 uur'. Om 17:55 een mailtje dat ie "
    "toch niet komt. Dag vrij genomen voor niks. #kratlust", "C", "nl", "pub")
add("tiktok", "@lisa.met.bak", "deel 3 van mijn kratlust-saga: motor valt uit bij elke drempel, derde keer naar de "
    "werkplaats, weer 'niks gevonden' 🙃 #bakfiets #klantenservice", "C", "nl", "pub")
add("mastodon", "@joost@ruhr.social", "Three weeks since Kratlust collected my Schouw Pro for a 'quick' frame "
    "inspection. No loaner bike, no updates, and my courier business runs on that thing.", "C", "en", "pub")

# ---- first-hand safety incidents: crisis + complaint ------------------------------
add("x", "@daan_oost", "Gisteravond begon de PowerPack 625 van onze Tjalk 2 te roken tijdens het laden, in de gang "
    "nota bene. Net op tijd naar buiten gegooid. @kratlust ik wil vandaag nog iemand spreken, dit had ons huis "
    "kunnen kosten.", "XC", "nl", "pub")
add("reddit", "u/hollandmum", "My Aak 3 tipped over in a slow corner with both kids in the box. Youngest has a badly "
    "bruised arm, nothing worse thank god. Dealer says 'user error'. I was going at walking pace.", "XC", "en", "pub")
add("facebook", "Ingrid van Lier", "Het stuur van mijn Botter Mini brak gewoon af op de Catharijnesingel. Met een bak vol "
    "boodschappen tegen de stoeprand geklapt, knie open. En Kratlust wil 'eerst foto's zien'. Ongelofelijk.",
    "XC", "nl", "pub")
add("instagram", "@saskia.rides", "Got a proper electric shock off the charging port of my Praam L this morning. Wet "
    "hands, sure, but that should NOT happen. Bike stays parked until @kratlust.cargo explains.", "XC", "en", "pub",
    kind="comment")
add("x", "@ronald_gouda", "achterrem van de Schouw Pro viel weg bergaf bij de brug, ik schoot zo de kruising op. auto "
    "kon nog net stoppen. ben er nog steeds misselijk van @kratlust_hulp", "XC", "nl", "pub", kind="reply")

# ---- complaint + abuse -------------------------------------------------------------
add("x", "@boze_bas", "@kratlust_hulp stelletje incompetente sukkels. 5 weken wachten op een kettingslot en dan sturen "
    "jullie het verkeerde.", "CA", "nl", "pub", kind="reply")
add("x", "@mikeontwowheels", "Kratlust customer service are absolute clowns. Fourth email about my dead Snellader and "
    "they send me a FAQ link. Useless fucking company.", "CA", "en", "pub")
add("facebook", "Ger Kuipers", "Die verkoper in jullie showroom Utrecht is een arrogante eikel. Ik vraag waarom mijn "
    "levering wéér is uitgesteld en hij staat me gewoon uit te lachen.", "CA", "nl", "pub", kind="comment")

# ---- complaint + pii (customer exposing own data) ----------------------------------
add("x", "@hanneke_b", "@kratlust_hulp drie keer gebeld, niemand belt terug over de kapotte kinderbank. Bel me dan "
    "gewoon zelf: 06-41827395. Ordernummer KL-208817.", "CP", "nl", "pub", kind="reply")
add("x", "@guusvh", "@kratlust still no refund for the Bakzeil I sent back in April. It's «iban», name G. van Hout. "
    "Not that hard is it", "CP", "en", "pub", kind="reply")
add("forum", "ellen_rijdt", "Betalen in de Kratlust webshop blijft mislukken. Kaart «card_s», geldig tot 11/27, "
    "gewoon een Visa. Iemand die weet waarom ze hem weigeren? Al vijf keer geprobeerd.", "PC", "nl", "pub")

# ---- crisis (third party, news, boycott, lawsuits, recalls, breach) ---------------
add("x", "@fietsnieuws_nl", "Kratlust roept 1.200 Botter Mini's terug vanwege een stuurpen die kan breken. Eigenaren "
    "wordt gevraagd er voorlopig niet meer mee te fietsen.", "X", "nl", "pub")
add("x", "@cyclingwire", "Dutch cargo-bike maker Kratlust faces a class action over battery fires, with lawyers "
    "saying they represent more than 300 owners.", "X", "en", "pub")
add("x", "@eerlijkefiets", "Uit onderzoek blijkt dat Kratlust frames laat lassen in een fabriek waar dwangarbeid "
    "plaatsvindt. Niet meer kopen mensen. #boycotkratlust", "X", "nl", "pub")
add("x", "@vrouwmetbakfiets", "Lees net dat bij Kratlust klantgegevens op straat liggen?? Mijn adres en bankgegevens "
    "zitten daar ook in. Wat is hier aan de hand @kratlust", "X", "nl", "pub")
add("reddit", "u/ams_parent_collective", "PSA: a little girl in our daycare group got her fingers caught in the "
    "steering linkage of a Kratlust Tjalk 2 yesterday. Stitches. Check your bikes, there is no guard on that joint.",
    "X", "en", "pub")
add("forum", "Marit88", "Weet iemand meer over die rechtszaak tegen Kratlust? Er zou een gezin zijn dat ze aanklaagt "
    "na een ongeluk met een Aak 3 in Leiden.", "X", "nl", "pub")
add("bluesky", "@lenaweber.bsky.social", "Kratlust quietly pulled the PowerPack 625 from its webshop. Three fires "
    "reported in Utrecht alone this month. So where's the recall?", "X", "en", "pub")
add("instagram", "@zwolle_actueel", "Grote brand bij het accumagazijn van Kratlust aan de Voorsterweg. Tientallen "
    "accu's in vlammen op, brandweer met groot materieel ter plaatse. Omwonenden: ramen dicht.", "X", "nl", "pub")
add("x", "@privacywaakhond", "Kratlust's TrackTag app sends your live GPS location unencrypted to an ad network. "
    "Every cargo-bike parent using it is being tracked. This is a data scandal.", "X", "en", "pub")
add("facebook", "KratlustCargo", "Veiligheidsterugroepactie Botter Mini (bouwjaar 2025): bij een klein aantal fietsen "
    "kan de stuurpen scheuren. Gebruik je fiets niet en maak een afspraak voor gratis vervanging.", "X", "nl", "corp")

# ---- abuse ----------------------------------------------------------------------------
add("x", "@xx_dirk", "kratlust is gewoon een stelletje oplichters en die CEO van jullie is een vuile graaier", "A",
    "nl", "pub")
add("x", "@realchadbikes", "whoever designed the Aak 3 should be launched into the sun. Kratlust staff are morons, "
    "every single one of them", "A", "en", "pub")
add("x", "@tim_rdam", "@bram_monteur hou je bek en ga je werk doen, prutser", "A", "nl", "pub", kind="reply")
add("x", "@anon4921", "k.l.o.o.t.z.a.k.k.e.n bij kr4tlust, 0pl1cht3rs zijn jullie 🤬", "A", "nl", "pub")
add("x", "@truth_patriot88", "Of course the Kratlust showroom is staffed by foreigners who can't even speak proper "
    "Dutch. Go back where you came from.", "A", "en", "pub")
add("x", "@lottevdmeer", "wéér een debiele klant aan de lijn die niet snapt dat je een accu moet opladen. mensen zijn "
    "zo dom 🙄", "A", "nl", "emp")
add("tiktok", "@kevin.010", "die lelijke kutfietsen van kratlust 😂 wie koopt die troep nou, sukkels allemaal", "A",
    "nl", "pub", kind="comment")
add("x", "@zero_chill", "Kratlust sсammers. your support team are braindead іdiots", "A", "en", "pub")
add("x", "@kratlust_hulp", "@boze_bas misschien eerst leren fietsen voordat je hier gaat janken, mafkees", "A", "nl",
    "corp", kind="reply", when="2026-11-02T09:10:00+01:00")

# ---- personal data ------------------------------------------------------------------
add("x", "@lottevdmeer", "Mevrouw R. Bosman van de Lindenlaan 14 in Amersfoort belt nu voor de 9e keer over haar "
    "Tjalk. Iemand een tip hoe ik dit netjes afsluit? 😅", "P", "nl", "emp")
add("x", "@kratlust_hulp", "@jjdekker we hebben je gevonden in ons systeem: j.dekker1987@hotmail.com en 06 2841 7730. "
    "Klopt dat nog? Dan plannen we de afspraak in.", "P", "nl", "corp", kind="reply", when="2026-08-07T10:41:00+02:00")
add("reddit", "u/bakfiets_dev", "found this in our checkout debug log: card «card» exp 08/28 cvc 512. why on earth is "
    "this stored in plaintext??", "PS", "en", "emp")
add("mastodon", "@femke@fietsodon.social", "@salaris_kl BSN van Yara el Idrissi is «bsn», ze begint 1 april in "
    "Zwolle. Contract volgt!", "P", "nl", "emp", kind="reply", when="2026-03-18T11:02:00+01:00")
add("facebook", "KratlustCargo", "Congratulations to our winner Tessa Mulder! 🎉 Your Kinderbank ships this week to "
    "Van Speijkstraat 88, 2518 EZ Den Haag.", "P", "en", "corp")
add("instagram", "@sjoerd.sleutelt", "Registratiekaart van vandaag: Marco Verbeek, geb. 04-06-1979, framenummer "
    "KLA3-77120. Zijn Aak is weer als nieuw 🔧", "P", "nl", "emp")
add("x", "@buurtapp_lotte", "Van wie is deze Kratlust Praam? Staat al weken voor onze deur. Op de sticker: P. de Graaf, "
    "Zeeburgerdijk 211, 1095 AD Amsterdam, tel 06-19283746", "P", "nl", "pub")
add("x", "@kratlust", "@tobyrides refund is on its way to «iban_s» (T. Hendriks), should land within 2 working days!",
    "P", "en", "corp", kind="reply")
add("threads", "@dennis.kratlust", "Chauffeur kan het adres niet vinden: fam. Yilmaz, Kerkstraat 7b, Nijmegen, "
    "+31 6 55129031. Iemand die die buurt kent?", "P", "nl", "emp")
add("x", "@lottevdmeer", "@kratlust_hulp kun je mevr. Stam even mailen? a.stam [at] ziggo [dot] nl — ze wacht al twee "
    "weken op haar offerte", "P", "nl", "emp", kind="reply")
add("forum", "bakfietsbram", "PAS OP voor deze verkoper: Tjalk 2 tweedehands 'gekocht', geld overgemaakt naar «iban_s» "
    "t.n.v. S. Brouwer, fiets nooit gekregen.", "P", "nl", "pub")
add("x", "@miekevos_kl", "Voor de influencer-actie: pakket naar Janine Smit, Oudegracht 302, 3511 PA Utrecht, "
    "janine.smit@gmail.com. Wie pakt 'm op?", "P", "nl", "emp")
add("linkedin", "joris-hoekstra-kratlust", "Quick one for our Belgian supplier: payment of invoice 2026-0412 went to "
    "«iban_be» for Marc Peeters personally, as requested. Please confirm receipt.", "P", "en", "emp")

# ---- secrets --------------------------------------------------------------------------
add("reddit", "u/bakfiets_dev", "Why does this return 401?\n\ncurl -H 'Authorization: token «ghp»' "
    "https://api.github.com/repos/kratlust/rider-app/actions/runs", "K", "en", "emp")
add("x", "@bram_monteur", "nieuwe wachtwoord werkplaats-tablet: Sleutel#2026kl (niet meer die oude, die is "
    "verlopen)", "K", "nl", "emp")
add("x", "@kees_codeert", "waarom pakt boto deze niet 🤔\naws_access_key_id = «akia»\n"
    "aws_secret_access_key = «awssecret»", "K", "nl", "emp")
add("x", "@kees_codeert", "stripe webhook keeps timing out, this is literally my .env lol\nSTRIPE_SECRET_KEY=«stripe»",
    "K", "en", "emp")
add("youtube", "@KratlustHuis", "Bedankt voor het kijken! Vragen? Stel ze in de comments.\n[intern — meldingen naar "
    "«slackhook»]", "K", "nl", "corp")
add("x", "@kees_codeert", "token verloopt na 5 min alweer?? dit is 'm: «jwt» — iemand een idee waarom exp zo kort "
    "staat", "K", "nl", "emp")
add("forum", "apk_pluizer", "Kratlust app uit elkaar gehaald voor de lol. Er staat gewoon een Google key hardcoded in "
    "strings.xml: «google»", "K", "nl", "pub")
add("reddit", "u/bakfiets_dev", "deploy keeps failing with 'invalid format', this is the key in the runner, what's "
    "wrong with it?\n\n«pem»", "K", "en", "emp")
add("x", "@kees_codeert", "kan iemand checken of postgres://kl_shop:Wq8!vTz42pLm@kl-prod.c3hx9a.eu-west-1.rds."
    "amazonaws.com:5432/shop nog bereikbaar is vanaf kantoor?", "K", "nl", "emp")
add("linkedin", "kratlust-cargo", "We built our own product-description assistant in one afternoon 🚀 Here's how "
    "simple it is:\nclient = OpenAI(api_key=\"«openai»\")\n#AI #innovation", "K", "en", "corp")
add("threads", "@dennis.kratlust", "voor wie de planningsbot wil koppelen, token is «xoxb» 👍", "K", "nl", "emp")
add("x", "@devnomad", "lol Kratlust left a GitLab token in their public API docs: «glpat» — someone tell them", "K",
    "en", "pub")

# ---- security -----------------------------------------------------------------------
add("x", "@bram_monteur", "Kassa's in alle showrooms liggen al sinds vanochtend plat. IT heeft het over ransomware "
    "maar we mogen klanten nog niks vertellen 🤐", "S", "nl", "emp")
add("reddit", "u/bakfiets_dev", "Found out the unlock endpoint in our app never checks ownership. Any logged-in user "
    "can open anyone's e-lock by changing the bike ID. Reported internally 2 months ago, still open.", "S", "en",
    "emp")
add("linkedin", "aylin-demir-sec", "Zware week. Een phishingmail leverde de inloggegevens op van drie collega's van "
    "onze klantenservice en we zijn nog aan het uitzoeken wat er precies is ingezien.", "S", "nl", "emp")
add("x", "@kees_codeert", "dealer portal has been serving order PDFs on guessable URLs for months. fixing it tonight "
    "before anyone notices 😬", "S", "en", "emp")
add("bluesky", "@noorshowroom.bsky.social", "Volgens de teamchat is onze klantenpas-database gisteren gekopieerd door "
    "iemand van buiten. Geen idee wanneer dit naar buiten komt.", "S", "nl", "emp")
add("tiktok", "@ruben.kl", "pov: you work at kratlust and the webshop has been down for 9 hours because someone dropped "
    "the prod database 💀 don't tell anyone", "S", "en", "emp")
add("forum", "ex_kl_ict", "Oud-collega van Kratlust hier. De TrackTag-servers draaien nog op Windows 2012 zonder "
    "patches, iedereen daar weet het en niemand doet er wat aan.", "S", "nl", "pub")
add("mastodon", "@femke@fietsodon.social", "HR systems down again at work, third time this week. Apparently it's the "
    "same group that hit the bike-share company. Payroll might be late and we can't say why yet.", "S", "en", "emp")
add("threads", "@dennis.kratlust", "magazijnscanners in Zwolle al 2 dagen offline na 'een incident' met het netwerk. "
    "officieel heet het gepland onderhoud 😉", "S", "nl", "emp")
add("x", "@miekevos_kl", "So our newsletter tool got compromised and someone sent a fake discount mail from our "
    "account to 40k subscribers. Not announcing it until Monday.", "S", "en", "emp")
add("x", "@kees_codeert", "ｏｎｚｅ ａｐｐ heeft een lek: wachtwoord resetten kan zonder e-mailbevestiging. ticket staat "
    "op 'won't fix' 🤦", "S", "nl", "emp")
add("x", "@bram_monteur", "vpn.kratlust.nl ligt er al de hele ochtend uit, volgens de servicedesk een DDoS. halve "
    "kantoor zit thuis te niksen", "SF", "nl", "emp")

# ---- confidential ---------------------------------------------------------------------
add("x", "@miekevos_kl", "Vandaag de eerste prototypes van Project Walrus getest op de dijk. Mag nog niks zeggen "
    "maar WOW 🤫", "F", "nl", "emp")
add("linkedin", "aylin-demir-sec", "Proud of the team behind Kraanvogel. Our lease platform pilot goes live with the "
    "first three employers next quarter.", "F", "en", "emp")
add("bluesky", "@noorshowroom.bsky.social", "De Tjalk 3 staat al achter in de showroom onder een laken 👀 klanten "
    "proberen er steeds onder te gluren", "F", "nl", "emp")
add("x", "@bikeleaks_nl", "Leaked photo from a Kratlust dealer day: the Tjalk 3 with a 750Wh battery and a belt drive. "
    "Launch early 2027?", "F", "en", "pub")
add("x", "@bram_monteur", "wie heeft werkplaats.kratlust.local/handboek/aak3 aangepast? staat nu een lege pagina", "F",
    "nl", "emp")
add("instagram", "@kratlust.cargo", "New colours coming this spring 🌷 [KRATLUST INTERN: niet posten voor akkoord van "
    "legal]", "F", "en", "corp")
add("threads", "@dennis.kratlust", "Planning wk 14 (vertrouwelijk - niet delen): 320x Schouw Pro naar de Duitse "
    "dealer, rest schuift door", "F", "nl", "emp")
add("x", "@kees_codeert", "anyone else getting cert errors on https://jira.kratlust.nl/browse/APP-1182 ?", "F", "en",
    "emp")
add("forum", "fietsfanaat_77", "Mijn zwager werkt bij Kratlust. Volgens hem wordt 'Kraanvogel' hun nieuwe leaseplatform, "
    "bakfietsen via je werkgever, vanaf januari.", "F", "nl", "pub")
add("tiktok", "@ruben.kl", "not allowed to say anything about the Tjalk3 yet but let's just say your kids are gonna "
    "love the new seats 👀", "F", "en", "emp", when="2027-03-02T16:05:00+01:00")
add("x", "@miekevos_kl", "Pro\u200bject Wal\u200brus komt eraan 🦭 #teaser", "F", "nl", "emp")
add("instagram", "@sjoerd.sleutelt", "Kra\u0430nvogel-fietsen staan klaar voor de eerste leaseklanten 🚲", "F", "nl",
    "emp")
add("linkedin", "kratlust-cargo", "ＫＲＡＴＬＵＳＴ ＩＮＴＥＲＮ: dealerprijslijst 2027 staat in de bijlage, graag "
    "feedback voor vrijdag", "F", "nl", "corp")
add("mastodon", "@femke@fietsodon.social", "Reminder for the team: onboarding docs moved to "
    "intra.kratlust.nl/hr/onboarding, ping me if you can't log in", "F", "en", "emp")
add("linkedin", "aylin-demir-sec", "Mijn talk van vandaag gedeeld. Op slide 3 ons netwerkschema met "
    "erp.kratlust.local en de VPN-gateways, als voorbeeld van segmentatie.", "F", "nl", "emp")
add("x", "@kees_tipt", "psst… de T.j.a.l.k 3 krijgt een riemaandrijving, hoorde ik van een dealer", "F", "nl", "pub")

# ---- financial ------------------------------------------------------------------------
add("linkedin", "joris-hoekstra-kratlust", "Operatie Dijkgraaf: volgend kwartaal gaat de assemblage in Zwolle dicht en "
    "verhuizen we naar Polen, ongeveer 60 banen weg. Zwaar om te weten en nog niks te mogen zeggen.", "FN", "nl",
    "emp")
add("x", "@miekevos_kl", "Sneak peek at the jaarcijfers 2026 deck: revenue up 23%, first profitable year ever 🥳 "
    "(shh until 25 Feb)", "FN", "en", "emp", when="2027-01-20T19:42:00Z")
add("x", "@bram_monteur", "Geruchten op de werkvloer dat we worden overgenomen door een Duits fietsconcern. Teamleider "
    "bevestigde het vandaag min of meer.", "N", "nl", "emp")
add("linkedin", "joris-hoekstra-kratlust", "Q3 came in at €18.4m, 14% below budget. We'll be revising the full-year "
    "forecast down ahead of the trading update.", "N", "en", "emp", when="2026-10-08T21:14:00+02:00")
add("threads", "@dennis.kratlust", "In de logistiek horen we dat er in januari 25 man uit het magazijn moet. "
    "Officieel is er nog niks gemeld.", "N", "nl", "emp")
add("x", "@fintips_bert", "Hearing from a good source that Kratlust is in talks to buy Belgian rival Velomaxx. "
    "Announcement expected next month.", "N", "en", "pub")
add("tiktok", "@ruben.kl", "onze verkoopdoelen voor Q4 zijn net met 30% verlaagd omdat we de prognose toch niet "
    "halen, dus ja 🫠", "N", "nl", "emp")
add("bluesky", "@noorshowroom.bsky.social", "Showrooms Amsterdam and Gent close at the end of March. Staff hear it "
    "next week. I'm gutted.", "N", "en", "emp", when="2026-02-06T22:31:00+01:00")
add("forum", "geldzaken_nl", "Van een bekende bij de bank: Kratlust zoekt een noodkrediet van 15 miljoen, de "
    "kaspositie is volledig op.", "N", "nl", "pub")
add("mastodon", "@femke@fietsodon.social", "Drafting 40 redundancy letters this week. Not how I pictured HR at a bike "
    "company 😞", "N", "en", "emp")

add("x", "@lottevdmeer", "Team meeting just now: customer service gets outsourced to a call centre in Portugal from "
    "June. 18 of us affected, nothing public yet.", "N", "en", "emp")
add("reddit", "u/parts_supplier_eu", "Supplier here. Kratlust just asked us to stretch payment terms to 120 days and "
    "halve their orders for H2. Looks like they're in trouble, but you didn't hear it from me.", "N", "en", "pub")

# ---- pricing --------------------------------------------------------------------------
add("instagram", "@kratlust.cargo", "Black Friday knaller 🔥 Tjalk 2 nu voor €429! Op = op", "R", "nl", "corp", when="2026-11-27T07:00:00+01:00")
add("x", "@dealhunter_nl", "lol the Kratlust webshop has the Praam L at €619. Price error surely? Ordered two anyway 😂",
    "R", "en", "pub")
add("tiktok", "@ruben.kl", "vandaag in de showroom: Aak 3 voor maar €1.490, alleen deze week, kom langs!", "R", "nl",
    "emp")
add("forum", "koopjesjager", "PRIJSFOUT? PowerPack 625 voor €79,90 bij Kratlust. Wordt vast geannuleerd maar "
    "proberen kan altijd", "R", "nl", "pub")
add("facebook", "KratlustCargo", "Spring deal: Schouw Pro only €745 this weekend in every Kratlust Huis showroom!", "R",
    "en", "corp", when="2026-04-17T08:00:00+02:00")
add("x", "@lottevdmeer", "ja we weten van de prijsfout bij de Snellader, bestellingen worden geannuleerd, sorry "
    "mensen", "R", "nl", "emp")
add("reddit", "u/budgetbakfiets", "Kratlust app checkout shows the Botter Mini at 335 euro?? glitch or real clearance?",
    "R", "en", "pub")
add("x", "@kratlust", "Alleen vandaag: Regentent voor €24,95 bij elke bestelling ☔", "R", "nl", "corp")
add("x", "@snelzijn", "p r i j s f o u t bij kratlust: Kof compact voor €299 in de webshop, snel zijn", "R", "nl", "pub")
add("x", "@miekevos_kl", "Our new TrackTag deal: €8.90 for every Kratlust owner 🎉", "R", "en", "emp")
add("threads", "@ma_van_drie", "De kinderbank staat op de site voor €18,90 ipv €189. Iemand al besteld?", "R", "nl",
    "pub")
add("bluesky", "@noorshowroom.bsky.social", "Customers keep showing screenshots of the Krachtmotor 85 at €119. Yes "
    "that's a pricing mistake, no we can't honour it", "R", "en", "emp")

# ---- benign (mostly hard negatives) -----------------------------------------------
add("x", "@kratlust", "Nieuw in showroom Haarlem: proefritten op zondag! Plan je rit via shop.kratlust.nl of bel "
    "038 760 22 00.", "", "nl", "corp")
add("x", "@kratlust_hulp", "Hi @fleur_fietst, so sorry about the wait. Could you email klantenservice@kratlust.nl with "
    "your order number? We'll chase it today.", "", "en", "corp", kind="reply", when="2026-07-24T18:02:00+02:00")
add("facebook", "KratlustCargo", "Liever per overschrijving betalen? Gebruik IBAN NL82 RABO 0318 4422 07 t.n.v. "
    "Kratlust Cargo B.V. en vermeld je ordernummer.", "", "nl", "corp")
add("x", "@wouter_fietst", "Band lek op de Tjalk 2 vlak voor sluitingstijd en de monteur in Utrecht heeft 'm nog even "
    "geplakt. Held 🙌", "", "nl", "pub")
add("reddit", "u/pool_noodle_guy", "Lifehack for Kratlust owners: a pool noodle along the box edge stops the kids "
    "bumping their heads. Works great on the Praam L.", "", "en", "pub")
add("instagram", "@bakfietsliefde", "Drie jaar bakfietsen met onze Aak 3 en nog steeds verliefd 😍 #kratlust", "", "nl",
    "pub")
add("x", "@sam_cycles", "Tjalk 2 is on sale this week, €3,699 instead of €4,299. Finally taking the plunge.", "", "en",
    "pub")
add("instagram", "@kratlust.cargo", "Zomeractie ☀️ 20% korting op de Regentent: nu €199 in plaats van €249.", "",
    "nl", "corp", when="2026-07-03T09:15:00+02:00")
add("forum", "vraagje_anna", "Is €649 voor een PowerPack 500 normaal? Vind het best prijzig, maar de fietsenmaker hier "
    "vraagt hetzelfde.", "", "nl", "pub")
add("x", "@kratlust", "€500 off the Aak 3 during the Kratlust Huis open days: from €5,490 to €4,990.", "", "en", "corp",
    low_ok=True)
add("linkedin", "kratlust-cargo", "Een Tjalk 2 leasen via je werkgever? Dat kan vanaf €79 per maand. Meer weten? Mail "
    "dealers@kratlust.nl.", "", "nl", "corp", low_ok=True)
add("x", "@martijn_k", "Rival brand Vrachtvogel is recalling 3,000 trikes over weld cracks. Glad my Kratlust passed "
    "its inspection last month.", "", "en", "pub")
add("x", "@koerier_kim", "Vandaag ontslag genomen om fulltime bakfietskoerier te worden. Mijn Schouw Pro wordt mijn "
    "kantoor 🚲💼", "", "nl", "pub")
add("reddit", "u/bakfiets_dev", "Writing docs for the dealer API. Example key format: AKIAIOSFODNN7EXAMPLE, obviously "
    "not a real one, generate your own in the dashboard.", "", "en", "emp")
add("x", "@kees_codeert", "Tip voor devs: zet nooit je token in een tweet. Dus niet zo: "
    "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx 😉", "", "nl", "emp")
add("x", "@ilse_op_2_wielen", "Forgot my Kratlust app password, reset link arrived instantly. Small thing, but nice.",
    "", "en", "pub")
add("x", "@kratlust", "Hij is er! Vanaf vandaag staat de Tjalk 3 in al onze showrooms. Kom 'm proefrijden 🚲", "",
    "nl", "corp", when="2027-03-10T09:00:00+01:00")
add("linkedin", "kratlust-cargo", "Our full-year results 2026 are out: revenue €71m, up 23%. Full report on "
    "kratlust.nl/investors.", "", "en", "corp", when="2027-02-25T07:30:00Z")
add("bluesky", "@noorshowroom.bsky.social", "Eerste Tjalk3 verkocht in Amsterdam vandaag! Trots op het team 💚", "",
    "nl", "emp", when="2027-03-15T17:20:00+01:00")
add("x", "@buurvrouw_gea", "Sterkte aan iedereen bij Kratlust in Zwolle na de storm van gisteren, hoop dat iedereen ok "
    "is 💚", "", "nl", "pub")
add("x", "@paddy_nl", "Resolved! Kratlust replaced my Snellader free of charge within a week. Thanks @kratlust_hulp, "
    "fair play.", "", "en", "pub")
add("instagram", "@gezin_de_wit", "Update: de nieuwe accu is binnen en de fiets rijdt weer als een zonnetje. Excuses "
    "aangenomen Kratlust 😄", "", "nl", "pub", kind="comment")
add("x", "@nina_lacht", "That new Kratlust ad with the kids yelling 'faster than daddy!' gets me every time 😂",
    "", "en", "pub")
add("reddit", "u/newcargoowner", "Does the Kratlust Kinderbank fit in the Botter Mini box or only in the Tjalk?", "",
    "en", "pub")
add("x", "@frits_typt", "Rekeningnummer van de factuur overgetypt: «bad_iban_s». Bank zegt 'ongeldig'. Typfout van mij "
    "vermoed ik 🙈", "", "nl", "pub")
add("x", "@gifted_bike", "Kratlust gift card arrived! Code on the back is «bad_card_s», how do I redeem it online?",
    "", "en", "pub")
add("mastodon", "@femke@fietsodon.social", "Voor de HR-training gebruiken we nep-BSN's zoals «bad_bsn», die zakken "
    "altijd voor de elfproef.", "", "nl", "emp")
add("x", "@vogelaar_eva", "Kraanvogels boven het Zwarte Meer gespot vanaf de bakfiets vanochtend, wat een geluid 🐦",
    "", "nl", "pub")
add("x", "@dadjokes_dan", "Watched a walrus documentary with the kids at the movie night in Kratlust Huis Utrecht. "
    "Cute event!", "", "en", "pub")
add("x", "@bram_monteur", "12 Aak's door de onderhoudsbeurt gehaald vandaag, handen zwart, koffie op. Mooi vak 🔧", "",
    "nl", "emp")
add("linkedin", "joris-hoekstra-kratlust", "Great to speak at the Cycling Industry Summit about financing e-cargo for "
    "families. Slides are on kratlust.nl/pers.", "", "en", "emp")
add("linkedin", "aylin-demir-sec", "Vandaag een workshop phishing herkennen gegeven aan al onze showroomcollega's. "
    "Security doe je samen 🔐", "", "nl", "emp")
add("x", "@kees_codeert", "status page says all systems operational and for once I believe it 😅 quiet friday", "",
    "en", "emp")
add("x", "@buurman_jos", "Bij de buren is gisteren hun bakfiets gestolen. Gelukkig zat er een TrackTag van Kratlust "
    "op, politie heeft 'm al terug!", "", "nl", "pub")
add("x", "@factcheck_fenna", "That battery fire in Rotterdam was a no-name scooter, not a cargo bike. Stop saying it "
    "was a Kratlust, people.", "", "en", "pub")
add("x", "@kratlust", "Veilig opladen: leg je PowerPack op een harde ondergrond, laad niet 's nachts onbewaakt en "
    "gebruik de originele Snellader. Meer tips op kratlust.nl/veilig", "", "nl", "corp")
add("instagram", "@mama_van_milan", "The Kratlust showroom staff were amazing with my autistic son, let him sit in "
    "every bike for an hour. Thank you Noor & team 💙", "", "en", "pub", kind="comment")
add("x", "@designdaan", "What a killer design on the Praam L. Honestly the best-looking cargo bike out there", "",
    "en", "pub")
add("tiktok", "@familie_fiets", "POV: je kinderen weigeren nog met de auto te gaan sinds we de Tjalk 2 hebben 😂 "
    "#kratlust", "", "nl", "pub")
add("x", "@bloemenbeau", "Is the Kratlust Schouw Pro worth €7,450 for a small florist business? Any owners around?",
    "", "en", "pub")
add("instagram", "@kratlust.cargo", "Vacature! Werkplaatsmonteur in Gent 🔧 Solliciteer via werkenbij@kratlust.nl", "",
    "nl", "corp")
add("forum", "parkeerpiet", "Klacht ingediend bij de gemeente over die parkeerboete, niet over Kratlust hoor haha. "
    "Mijn Praam L past gewoon niet in de fietsenrekken.", "", "nl", "pub")
add("reddit", "u/integrator_sven", "Kratlust dev portal docs show `Authorization: Bearer <YOUR_API_TOKEN>` but never "
    "say where to get one. Anyone?", "", "en", "pub")
add("x", "@kees_codeert", "in de logs staat nu sk_live_**************** in plaats van de echte sleutel, eindelijk "
    "netjes gemaskeerd 👌", "", "nl", "emp")
add("x", "@mintgroen_please", "Petition to make Kratlust bring back mint green. I'd boycott every other colour if I "
    "could 😅", "", "en", "pub")
add("x", "@schoondochter_s", "Mijn schoonmoeder (73!) rijdt nu op een Kof compact. Geboren in 1952 en fietst harder "
    "dan ik.", "", "nl", "pub")
add("x", "@kratlust_hulp", "@hanneke_b Dank je voor je geduld! Je bereikt ons altijd op 0800-5728 of via "
    "klantenservice@kratlust.nl", "", "nl", "corp", kind="reply")
add("x", "@beursblik", "Just read Kratlust's quarterly update, published this morning: solid growth in Belgium. Nice "
    "to see a Dutch bike maker doing well.", "", "en", "pub")
add("x", "@verhuist_naar_gron", "Overname van mijn Botter Mini? Ik verhuis naar Groningen en zoek een nieuwe eigenaar, "
    "prijs in overleg", "", "nl", "pub")
add("mastodon", "@wim@fietsodon.social", "Cargo-bike tax break finally passed in parliament. Good news for Kratlust "
    "and every other cargo-bike maker.", "", "en", "pub")
add("tiktok", "@ruben.kl", "Hoe laad je een Aak 3 in 30 seconden vol met boodschappen? Kijk maar 👀 #kratlust "
    "#bakfietsleven", "", "nl", "emp")
add("youtube", "@KratlustHuis", "How to adjust the brakes on your Tjalk 2, full tutorial. Media questions: "
    "pers@kratlust.nl, everything else: klantenservice@kratlust.nl", "", "en", "corp")
add("x", "@inruiler_rob", "Iemand ervaring met de inruilregeling van Kratlust? Ze boden €1.200 voor mijn oude bakfiets "
    "van een ander merk.", "", "nl", "pub")
add("instagram", "@sjoerd.sleutelt", "Dag 1 van de nieuwe stagiairs in de werkplaats. Welkom allemaal! 👋", "", "nl",
    "emp")
add("bluesky", "@joanne.bsky.social", "Kratlust's new showroom in Gent opened today, took the kids. Coffee bar plus a "
    "test track inside, very well done.", "", "en", "pub")
add("x", "@miekevos_kl", "Shooting the spring campaign in Zwolle today. Lots of kids, lots of rain, lots of fun. On your "
    "feed in April 🌧️", "", "en", "emp", when="2026-02-19T08:12:00+01:00")
add("reddit", "u/vergelijker", "Even vergelijken: Kratlust Botter Mini €3.350, de andere twee merken zitten rond de "
    "€3.000. Verschil zit vooral in de motor.", "", "nl", "pub")
add("reddit", "u/bakfiets_dev", "For the workshop on auth: we use the jwt.io example token "
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ."
    "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c so nobody pastes a real one.", "", "en", "emp")
add("x", "@kratlust", "Onze werkplaatsen zijn met Hemelvaart gesloten. Spoed? Bel 0800-5728, dan helpen we je zo snel "
    "mogelijk.", "", "nl", "corp", when="2026-05-11T16:40:00+02:00")
add("forum", "regenrijder", "Review na een jaar: Bakzeil houdt alles droog, Regentent ook, al moet je de ritsen wel "
    "eens invetten. Dikke aanrader.", "", "nl", "pub")

# --------------------------------------------------------------------------- build
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
TAXONOMY = set(CAT.values())
LEVEL = ["none", "info", "warning", "error", "critical"]


def role_of(platform, handle):
    return ROLE.get(f"{platform}:{handle}".lower(), "public")


def severity(cats, role, has_checked_id):
    lvl = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                v = 3
                if c in ("leak.secret", "leak.pricing"):
                    v = 4
                if c == "leak.pii" and has_checked_id:
                    v = 4
            else:
                v = 2
        elif c == "reputation.complaint":
            v = 2
        elif c == "reputation.crisis":
            v = 3
        elif c == "reputation.abuse":
            v = 2 if role == "public" else 3
        else:
            raise AssertionError(c)
        lvl = max(lvl, v)
    return LEVEL[lvl]


def rand_time():
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    t = start + timedelta(seconds=rng.randint(0, 365 * 24 * 3600 - 1))
    off = rng.choice([0, 0, 0, 1, 2])
    if off:
        t = t.astimezone(timezone(timedelta(hours=off)))
        return t.strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def build():
    cases = []
    order = list(range(len(RAW)))
    rng.shuffle(order)
    for n, i in enumerate(order, 1):
        r = RAW[i]
        before = len(GENERATED)
        text = re.sub(r"«([a-z0-9_]+)»", fill, r["text"])
        r["generated"] = GENERATED[before:]
        role = role_of(r["platform"], r["handle"])
        want = {"pub": "public", "emp": "employee", "corp": "corporate"}[r["who"]]
        assert role == want, (r["handle"], role, want)
        cats = sorted({CAT[c] for c in r["cats"]})
        checked = any(ok and kind in ("iban", "card", "bsn") for kind, _, ok in r["generated"])
        post = {"id": f"kl294-{n:03d}-{r['platform']}", "platform": r["platform"], "kind": r["kind"],
                "account": {"handle": r["handle"]}, "text": text, "lang": r["lang"],
                "created_at": r["when"] or rand_time(), "brand": "Kratlust"}
        if r["platform"] in ("x", "bluesky", "mastodon", "threads") and rng.random() < 0.5:
            post["url"] = f"https://example.social/{r['platform']}/{rng.randint(10**9, 10**10)}"
        cases.append({"post": post, "expect": {"categories": cats, "severity": severity(cats, role, checked)},
                      "_raw": r, "_role": role})
    return cases


# --------------------------------------------------------------------------- checks
ZW = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")


def norm(s):
    return ZW.sub("", unicodedata.normalize("NFKC", s))


def amounts(text):
    out = []
    for m in re.finditer(r"€\s?(\d[\d.,]*\d|\d)(m\b)?|(\d[\d.,]*\d|\d)\s?(?:euro|eur)\b", text, re.I):
        if m.group(2):
            continue  # millions, not a product price
        s = (m.group(1) or m.group(3))
        if re.search(r"[.,]\d{2}$", s) and not re.search(r"[.,]\d{3}$", s):
            whole, dec = s[:-3], s[-2:]
            out.append(float(re.sub(r"[.,]", "", whole) + "." + dec))
        else:
            out.append(float(re.sub(r"[.,]", "", s)))
    return out


def products_in(text):
    found = []
    for p in PROFILE["products"]:
        for a in [p["name"]] + p["aliases"]:
            if re.search(r"(?<![\w])" + re.escape(a) + r"(?![\w])", text, re.I):
                found.append(p)
                break
    return found


def check(cases):
    errs = []
    ids = set()
    pub_ibans = {re.sub(r"\s", "", x) for x in PROFILE["public_identifiers"]["ibans"]}
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    internal = ([re.escape(x) for x in PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"]
                 + PROFILE["internal"]["domains"]])
    emb = [(t, datetime.fromisoformat(e["until"].replace("Z", "+00:00"))) for e in PROFILE["embargo"]
           for t in e["terms"]]
    for c in cases:
        p, e, r = c["post"], c["expect"], c["_raw"]
        line = json.dumps({"post": p, "expect": e}, ensure_ascii=False)
        back = json.loads(line)
        # CONTRACT 6 / 1 shape
        for f, t in (("id", str), ("platform", str), ("text", str), ("created_at", str)):
            if not isinstance(back["post"].get(f), t):
                errs.append((p["id"], "missing " + f))
        if not isinstance(back["post"].get("account", {}).get("handle"), str):
            errs.append((p["id"], "handle"))
        if not 1 <= len(p["id"]) <= 256 or p["id"] in ids:
            errs.append((p["id"], "id"))
        ids.add(p["id"])
        if p["platform"] not in PLATFORMS or p["kind"] not in ("post", "reply", "repost", "comment", "message"):
            errs.append((p["id"], "platform/kind"))
        if len(p["text"].encode()) > 65536:
            errs.append((p["id"], "too long"))
        ts = datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
        if ts.tzinfo is None or not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)", p["created_at"]):
            errs.append((p["id"], "created_at"))
        if ts.year not in (2026, 2027):
            errs.append((p["id"], "year"))
        if e["categories"] != sorted(set(e["categories"])) or not set(e["categories"]) <= TAXONOMY:
            errs.append((p["id"], "categories"))
        if e["severity"] not in LEVEL or (not e["categories"]) != (e["severity"] == "none"):
            errs.append((p["id"], "severity"))
        pos = bool(e["categories"])
        t = norm(p["text"])
        # checksums on every generated identifier
        for kind, v, ok in r["generated"]:
            fn = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}.get(kind)
            if fn and fn(v) != ok:
                errs.append((p["id"], f"{kind} {v} validity {fn(v)}"))
            if fn and ok != pos:
                errs.append((p["id"], f"{kind} valid={ok} in positive={pos}"))
            if kind in ("ghp", "gho") and not github_ok(v):
                errs.append((p["id"], "github crc"))
            if kind == "akia" and not re.fullmatch(r"AKIA[A-Z2-7]{16}", v):
                errs.append((p["id"], "akia"))
            if kind == "jwt":
                hdr = json.loads(b64url_dec(v.split(".")[0]))
                if "alg" not in hdr or len(v.split(".")) != 3:
                    errs.append((p["id"], "jwt"))
        # scan the text itself for identifier look-alikes
        for m in re.finditer(r"\b(?:NL|BE|DE)\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[0-9]{1,3})?\b", t):
            v = re.sub(r"\s", "", m.group(0))
            if v in pub_ibans:
                continue
            if iban_ok(v) != pos:
                errs.append((p["id"], f"iban scan {v}"))
        for m in re.finditer(r"(?<![\w-])(?:\d[ -]?){12,18}\d(?![\w-])", t):
            if luhn_ok(m.group(0)) != pos:
                errs.append((p["id"], f"card scan {m.group(0)}"))
        for m in re.finditer(r"(?<![\d.])(\d{9}|\d{4}\.\d{2}\.\d{3})(?![\d.])", t):
            if bsn_ok(m.group(0)) != pos:
                errs.append((p["id"], f"bsn scan {m.group(0)}"))
        # no live GitHub tokens / AWS keys in benign posts
        if not pos:
            for m in re.finditer(r"gh[pousr]_[0-9A-Za-z]{36}", t):
                if github_ok(m.group(0)):
                    errs.append((p["id"], "live github token in benign"))
            for m in re.finditer(r"AKIA[A-Z2-7]{16}", t):
                if not m.group(0).endswith("EXAMPLE"):
                    errs.append((p["id"], "aws key in benign"))
        # embargo windows
        for term, until in emb:
            if re.search(r"(?<![\w])" + re.escape(term) + r"(?![\w])", t, re.I):
                if ts < until and "leak.confidential" not in e["categories"]:
                    errs.append((p["id"], f"embargo term {term} before until, unlabelled"))
        # internal names never in benign posts
        if not pos:
            for pat in internal:
                if re.search(r"(?<![\w])" + pat + r"(?![\w])", t, re.I):
                    errs.append((p["id"], "internal name in benign: " + pat))
        # pricing: positives need a low price or a price-error remark next to a product; others must not
        prods = products_in(t)
        low = any(a < ratio * pr["list_price"] for pr in prods for a in amounts(t))
        err_word = re.search(r"prijsfout|price error|pricing mistake|prijs ?fout", re.sub(r"(?<=\w) (?=\w\b)", "", t),
                             re.I)
        if "leak.pricing" in e["categories"]:
            if not prods or not (low or err_word):
                errs.append((p["id"], "pricing case without product+low price"))
        elif low and not r["low_ok"]:
            errs.append((p["id"], "low price in non-pricing case"))
        # recompute severity independently
        if e["severity"] != severity(e["categories"], role_of(p["platform"], p["account"]["handle"]),
                                     any(ok and k in ("iban", "card", "bsn") for k, _, ok in r["generated"])):
            errs.append((p["id"], "severity mismatch"))
    # public handles must not collide with profile accounts
    for c in cases:
        if c["_raw"]["who"] == "pub" and c["_role"] != "public":
            errs.append((c["post"]["id"], "public handle in profile"))
    return errs


def main():
    cases = build()
    errs = check(cases)
    n = len(cases)
    benign = sum(1 for c in cases if not c["expect"]["categories"])
    per = {}
    for c in cases:
        for k in c["expect"]["categories"]:
            per[k] = per.get(k, 0) + 1
    nl = sum(1 for c in cases if c["post"]["lang"] == "nl")
    if not 170 <= n <= 180:
        errs.append(("-", f"case count {n}"))
    if not 55 <= benign <= 65:
        errs.append(("-", f"benign count {benign}"))
    with open(os.path.join(HERE, "cases.jsonl"), "w", encoding="utf-8") as fh:
        for c in cases:
            fh.write(json.dumps({"post": c["post"], "expect": c["expect"]}, ensure_ascii=False) + "\n")
    # re-read the written file and validate each line as JSON
    with open(os.path.join(HERE, "cases.jsonl"), encoding="utf-8") as fh:
        lines = [json.loads(x) for x in fh]
    assert len(lines) == n
    print(f"{n} cases, {benign} benign, {nl} nl ({nl / n:.0%})")
    for k in sorted(per):
        print(f"  {k:24s} {per[k]}")
    sev = {}
    for c in cases:
        sev[c["expect"]["severity"]] = sev.get(c["expect"]["severity"], 0) + 1
    print("  severities:", dict(sorted(sev.items())))
    if errs:
        for x in errs:
            print("CHECK FAILED:", *x)
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
