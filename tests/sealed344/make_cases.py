#!/usr/bin/env python3
"""Build the labelled evaluation set sealed344 (Kakelwaard Coöperatie, egg & poultry).

Deterministic: fixed seed, standard library + PyYAML only. Writes cases.jsonl next to
this file and then checks it against CONTRACT §4/§6 and the checksum rules:
  * every IBAN / card / BSN in a positive passes its checksum,
  * every look-alike in a benign post fails it,
  * every severity is computed from the account role in profile.yaml (never typed).
"""
import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import random
import re
import string
import sys
import unicodedata
import zlib

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "cases.jsonl")
with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

rng = random.Random(344)

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base-62 order
B64URL = string.ascii_letters + string.digits + "-_"
B64STD = string.ascii_letters + string.digits + "+/"


def rand_str(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


# --------------------------------------------------------------------------- generators
def base62(n):
    if n == 0:
        return "0"
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out


def gh_token(prefix="ghp_"):
    body = rand_str(ALNUM, 30)
    return prefix + body + base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")


def gh_token_ok(tok):
    body, crc = tok[4:34], tok[34:]
    return len(tok) == 40 and base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0") == crc


def aws_key_id():
    return "AKIA" + rand_str("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)


def aws_secret():
    return rand_str(B64STD, 40)


def b64u(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jwt_token():
    header = {"alg": "HS256", "typ": "JWT"}
    now = 1780000000 + rng.randint(0, 20000000)
    payload = {"sub": "svc-leveringen", "name": "planning-bot", "role": "admin",
               "iat": now, "exp": now + 3600}
    key = bytes(rng.getrandbits(8) for _ in range(32))
    signing_input = b64u(json.dumps(header, separators=(",", ":")).encode()) + "." + \
        b64u(json.dumps(payload, separators=(",", ":")).encode())
    sig = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + b64u(sig)


def ec_private_key_pem():
    # SEC1 ECPrivateKey DER for prime256v1 with random scalar / point bytes.
    d = bytes(rng.getrandbits(8) for _ in range(32))
    q = b"\x04" + bytes(rng.getrandbits(8) for _ in range(64))
    der = (b"\x30\x77\x02\x01\x01\x04\x20" + d +
           b"\xa0\x0a\x06\x08\x2a\x86\x48\xce\x3d\x03\x01\x07" +
           b"\xa1\x44\x03\x42\x00" + q)
    b = base64.b64encode(der).decode()
    lines = [b[i:i + 64] for i in range(0, len(b), 64)]
    return "-----BEGIN EC PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END EC PRIVATE KEY-----"


def iban_check_digits(cc, bban):
    s = bban + cc + "00"
    n = int("".join(str(int(c, 36)) for c in s))
    return "%02d" % (98 - n % 97)


def iban_ok(iban):
    s = re.sub(r"\s", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    s = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in s)) % 97 == 1


NL_BANKS = ["INGB", "RABO", "ABNA", "SNSB", "TRIO", "ASNB", "KNAB", "BUNQ", "RBRB"]


def iban_valid():
    bank = rng.choice(NL_BANKS)
    acct = "".join(rng.choice(string.digits) for _ in range(10))
    return "NL" + iban_check_digits("NL", bank + acct) + bank + acct


def fmt_iban(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


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


def card_valid(prefix):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(15 - len(prefix)))
    for last in string.digits:
        if luhn_ok(body + last):
            return body + last
    raise AssertionError


def fmt_card(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def bsn_ok(s):
    if not re.fullmatch(r"\d{9}", s):
        return False
    total = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return total % 11 == 0 and s[0] != "0"


def bsn_valid():
    while True:
        head = str(rng.randint(1, 6)) + "".join(rng.choice(string.digits) for _ in range(7))
        r = sum(int(head[i]) * (9 - i) for i in range(8)) % 11
        if r < 10:
            s = head + str(r)
            if bsn_ok(s):
                return s


def break_digit(s):
    """Change one digit so the checksum (mod-97 / Luhn / 11-proof) fails."""
    idx = [i for i, c in enumerate(s) if c.isdigit() and i >= 4] or \
          [i for i, c in enumerate(s) if c.isdigit()]
    i = rng.choice(idx)
    new = rng.choice([d for d in string.digits if d != s[i] and not (i == 0 and d == "0")])
    return s[:i] + new + s[i + 1:]


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" if c == " " else c for c in s)


# --------------------------------------------------------------------------- case builder
ROLE_CODE = {"C": "corporate", "E": "employee", "P": "public"}
CASES = []


def rand_time(start="2026-01-02", end="2026-12-30"):
    a = dt.datetime.fromisoformat(start + "T00:00:00+00:00")
    b = dt.datetime.fromisoformat(end + "T23:59:59+00:00")
    t = a + dt.timedelta(seconds=rng.randint(0, int((b - a).total_seconds())))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def add(role, platform, handle, text, cats=(), lang="nl", kind="post", when=None,
        ids=(), price=None):
    CASES.append(dict(role=role, platform=platform, handle=handle, text=text,
                      cats=sorted(set(cats)), lang=lang, kind=kind, when=when,
                      ids=list(ids), price=price))


CMP, CRI, ABU = "reputation.complaint", "reputation.crisis", "reputation.abuse"
SEC, PII, PRI = "leak.secret", "leak.pii", "leak.pricing"
CON, FIN, SCY = "leak.confidential", "leak.financial", "leak.security"

# =========================================================================== complaints
add("P", "x", "@boos_in_bussum",
    "@kakelwaard_klantcontact doos scharreleieren 10 gekocht bij de supermarkt, 4 van de 10 gebroken "
    "en de rest zat vastgeplakt aan het karton. Derde keer deze maand. Wat is er mis met jullie verpakking??",
    [CMP], kind="reply")
add("P", "reddit", "u/meal_prep_mike",
    "Bought Veldhen kipfilet 500g yesterday, best before was still 2 days out but it already smelled off "
    "the second I opened the pack. Messaged Kakelwaard through their site, a week later still nothing. Not impressed.",
    [CMP], lang="en")
add("P", "facebook", "Ria Hofstede",
    "Eierabonnement opgezegd in september en er wordt nog steeds elke maand €19,95 afgeschreven. "
    "Al 3x dat 0800 nummer gebeld, steeds 'we kijken ernaar'. Belachelijk Kakelwaard, ik wil mijn geld terug.",
    [CMP], kind="comment")
add("P", "x", "@weegschaal_wim",
    "the Zonnedooier XL eggs are basically L now?? put 5 on the kitchen scale, 58-61g each. "
    "paying XL money for medium eggs lol @kakelwaard explain", [CMP], lang="en")
add("P", "instagram", "@lotte.kookt",
    "Die eiersalade van Zonnedooier smaakt sinds het 'verbeterde recept' echt naar niks meer 😕 "
    "en er zit amper ei in. Jammer, was altijd mijn favoriet op de boterham", [CMP], kind="comment")
add("P", "x", "@jurre_uit_ede",
    "bezorger vd eierbox heeft m gwn in de stromende regen voor de deur gezet, karton doorweekt, "
    "halve doos kapot. kakelwaard ik wil een nieuwe of mn geld terug", [CMP])
add("P", "facebook", "Sharon Veldkamp",
    "Ordered the Christmas turkey from Kakelwaard's webshop for pickup on the 23rd. Got an email on the 22nd: "
    "'sorry, out of stock'. No alternative, no call, just a refund 'within 14 days'. Christmas dinner sorted, thanks for nothing.",
    [CMP], lang="en", when="2026-12-22T19:04:11Z")
add("P", "threads", "@hannah.lifts",
    "veldhen drumsticks pack says 1kg. my kitchen scale says 840g. that's not rounding, that's a 16% shortcut 🙃",
    [CMP], lang="en")
add("P", "forum", "eitjeeitje",
    "Zijn er meer mensen die bij de biologische eieren van Kakelwaard telkens bloedvlekjes in de dooier vinden? "
    "Al twee doosjes achter elkaar. Niet gevaarlijk denk ik, maar echt smerig en voor die prijs verwacht je beter.",
    [CMP])
add("P", "x", "@paulineverhagen",
    "@kakelwaard_klantcontact still waiting on that refund you promised on the 3rd. ticket KW-48211. it's been 3 weeks now.",
    [CMP], lang="en", kind="reply")
add("P", "tiktok", "@fleurtjebakt",
    "vrije uitloop 10 gekocht voor mn taart en de schalen zijn zo dun dat er 3 al knapten toen ik de doos opendeed 😩 kakelwaard wat is dit",
    [CMP], kind="comment")
add("P", "linkedin", "bas-de-graaf-inkoop",
    "Third late delivery from Kakelwaard to our DC in Nieuwegein this month. Trucks arriving 5+ hours after their slot, "
    "shelves empty on a Saturday. As a supplier partner this is becoming a real problem.", [CMP], lang="en")
add("P", "x", "@eierhater69",
    "@kakelwaard_klantcontact stelletje kutboeren, 2 weken geen antwoord op mijn mail over die kapotte bezorging. Kankerlijers.",
    [CMP, ABU], kind="reply")

# first-hand harm: crisis + complaint
add("P", "x", "@moeder_van_drie",
    "Vrijdag kipsaté van Veldhen gegeten, het hele gezin sinds zaterdag ziek. Overgeven, diarree, mijn dochter moest naar de "
    "huisartsenpost. Huisarts denkt aan salmonella. @kakelwaard wat gaan jullie hieraan doen???", [CRI, CMP])
add("P", "reddit", "u/cracked_molar_nl",
    "Found a shard of hard blue plastic in the Veldhen kipgehakt, bit down on it and cracked a molar. Dentist bill €340. "
    "Kakelwaard's customer service offered me a voucher for a free pack. Unbelievable.", [CRI, CMP], lang="en")
add("P", "facebook", "Danielle Koopmans",
    "Zonnedooier gekookte eieren opengemaakt, het pakje was opgebold en het stonk. Mijn zoontje had er al eentje op voordat "
    "ik het doorhad en heeft de hele nacht overgegeven. Hoe kan zoiets in het schap liggen?!", [CRI, CMP])
add("P", "x", "@allergy_dad_ut",
    "my son has an egg allergy. the Veldhen chicken sausages list no egg anywhere on the pack, yet he reacted within 10 min. "
    "EpiPen, ambulance, ER. turns out your website DOES list egg white. fix your labels @kakelwaard", [CRI, CMP], lang="en")
add("P", "instagram", "@deboer_family",
    "Kerstkalkoen van Kakelwaard precies volgens jullie instructies ontdooid en gegaard, toch waren 3 van de 8 gasten de dag erna "
    "doodziek. Voedselvergiftiging op tweede kerstdag, bedankt hoor.", [CRI, CMP], when="2026-12-27T10:12:40Z")
add("P", "threads", "@noor.eats",
    "nearly choked on a chunk of bone in the Veldhen 'boneless' chicken thighs tonight. like actually choked, my partner had "
    "to do back blows. 'boneless' they said. still shaking.", [CRI, CMP], lang="en")

# =========================================================================== crisis only
add("P", "x", "@voedselalert_nl",
    "Terugroepactie: Veldhen Kipfilet 500 g met THT 14-03 t/m 18-03 wordt teruggeroepen vanwege mogelijke listeria. "
    "Niet eten, terugbrengen naar de winkel. #terugroepactie #kakelwaard", [CRI], when="2026-03-12T07:45:00Z")
add("P", "x", "@birdwatch_eu",
    "Reports that Kakelwaard's site near Barneveld is linked to this week's bird flu outbreak and that birds were moved "
    "off-site after the first positive test. If true that's a scandal. #avianflu", [CRI], lang="en")
add("P", "x", "@dierenvriend_nl",
    "BOYCOT KAKELWAARD 🐔 Undercoverbeelden laten zien hoe kippen in hun stallen worden geschopt en vertrapt. Deel dit en "
    "koop hun eieren niet meer. #boycotkakelwaard", [CRI])
add("P", "linkedin", "agrifood-legal-watch",
    "Animal welfare foundation files suit against Kakelwaard Coöperatie U.A. over allegedly misleading 'free range' claims; "
    "first hearing in Arnhem set for March.", [CRI], lang="en")
add("P", "facebook", "Henk Bouwmeester",
    "Net op Omroep Gelderland: brand in een stal van Kakelwaard bij Lunteren, duizenden kippen omgekomen. Brandweer "
    "nog bezig. Verschrikkelijk.", [CRI])
add("P", "reddit", "u/phishy_business",
    "A friend got a phishing mail with her exact Kakelwaard webshop order in it (items, delivery date, address), and there are "
    "more people saying the same on here. Did Kakelwaard get breached and not tell anyone?", [CRI], lang="en")
add("P", "x", "@schoon_ei",
    "Fipronil 2.0? Een onafhankelijk lab vond resten van een verboden luizenmiddel in eieren van Zonnedooier. Kakelwaard "
    "zwijgt al 3 dagen. #eierschandaal", [CRI])
add("P", "x", "@claimcollectief",
    "Class action being organised against Kakelwaard over the salmonella outbreak last spring. Got sick after eating their "
    "eggs? Sign up via the link in bio. #kakelwaardclaim", [CRI], lang="en")
add("C", "x", "@kakelwaard",
    "Veiligheidswaarschuwing: wij roepen Zonnedooier Eiersalade 200 g met THT 02-07-2026 terug, omdat er mogelijk stukjes "
    "schaal in zitten. Niet eten. Vragen? klantenservice@kakelwaard.nl of 0800-5253.", [CRI],
    when="2026-06-24T16:00:00Z")

# =========================================================================== abuse
add("P", "x", "@angrybird_1987",
    "whoever runs the @kakelwaard account is a brain-dead moron. delete your account and go shovel chicken shit",
    [ABU], lang="en")
add("P", "instagram", "@eerlijkvlees",
    "@boerin.hennie jij bent echt een vieze dierenbeul. ik weet waar je stal staat, pas maar op", [ABU], kind="comment")
add("P", "x", "@r3v0lt_",
    "k4nk3rb3dr1jf @kakelwaard, st1kk3n mogen jullie allemaal", [ABU])
add("P", "reddit", "u/barneveld_local",
    "Ruud Kampinga from Kakelwaard is a lying piece of shit and everyone in Barneveld knows it.", [ABU], lang="en")
add("P", "facebook", "Kees Rutgers",
    "Kakelwaard zijn gewoon \u043eplichters en kl\u043e\u043etz\u0430kken, allemaal", [ABU], kind="comment")
add("P", "x", "@straattaal_sjaak",
    "die marloes van kakelwaard is echt een k u t w i j f, blokt iedereen die kritiek heeft", [ABU])
add("P", "x", "@real_talk_tony",
    "no wonder kakelwaard chicken is dirty, look who they hire in that plant. bunch of filthy foreigners who can't even read "
    "the hygiene signs", [ABU], lang="en")
add("E", "x", "@gertjan_pluimvee",
    "Die activisten van vanochtend bij de poort zijn echt achterlijke mongolen. Ga werken, tuig.", [ABU])
add("C", "x", "@kakelwaard_klantcontact",
    "@eierhater69 als je zo'n idioot bent dat je een ei in de magnetron stopt, moet je daarna niet bij ons komen janken",
    [ABU], kind="reply")
add("P", "threads", "@mad_max_eggs",
    "Kakelwaard staff are clueless idiots. every single one of you. f*ck you all", [ABU], lang="en")
add("P", "x", "@ikzegwatikdenk",
    "kakelwaard = tering\u200bzooi, jullie kl\u200boot\u200bzakken bij de klantenservice", [ABU])

# =========================================================================== confidential
add("E", "x", "@marloes_kw",
    "Zo trots op het team 🥹 Project Windhaan gaat echt iets moois worden voor onze leden 🐓 #sneakpeek", [CON])
add("E", "linkedin", "ruud-kampinga-kakelwaard",
    "Big milestone today: the Zilverkam steering group signed off phase 2. Proud of everyone who pulled the late nights.",
    [CON], lang="en")
add("E", "bluesky", "@yara-kw.bsky.social",
    "Sneak peek of something our test kitchen has been cooking up: Veldhen Krokant Bites 👀 coming to a freezer near you!",
    [CON], lang="en", when="2026-11-18T12:30:00Z")
add("C", "instagram", "@kakelwaard.eieren",
    "Binnenkort in de schappen: Zonnedooier Omega+ 🥚✨ Meer omega-3, dezelfde heerlijke dooier.", [CON],
    when="2026-12-15T09:00:00Z")
add("P", "reddit", "u/egg_insider_tips",
    "A friend at Kakelwaard sent me a slide stamped KW-VERTROUWELIJK saying they plan to drop the free-range line by 2028. "
    "Make of that what you will.", [CON], lang="en")
add("E", "linkedin", "anouk-tjoelker-hr",
    "Wat een energie vandaag bij de sessie over Operatie Broedkist met alle regiomanagers! Mooi om te zien hoe iedereen meedenkt.",
    [CON])
add("E", "x", "@gertjan_pluimvee",
    "staat er boven de mail 'niet buiten de coöperatie delen' maar die foto van de nieuwe voerrobot is te mooi 😂📸", [CON])
add("E", "x", "@dirk_ops_kw",
    "anyone else getting cert errors on https://jira.kakelwaard.nl/browse/KWIT-2231 ? asking for a friend", [CON],
    lang="en")
add("P", "x", "@kantinekijker",
    "Lag vandaag een A4'tje in de kantine bij Kakelwaard: 'jaarcijfers 2026 — ledenuitkering 12% lager dan begroot'. "
    "Oei, dat wordt mopperen op de ledenvergadering.", [CON, FIN], when="2027-02-05T12:18:00Z")
add("E", "x", "@marloes_kw",
    "can't wait for you all to see " + fullwidth("Project Windhaan") + " 🐔🔥", [CON], lang="en")
add("E", "threads", "@koen.logistiek",
    "Zilver\u200bkam planning voor Q2 staat, logistiek krijgt er 3 trucks bij 🚚", [CON])
add("C", "linkedin", "kakelwaard-cooperatie",
    "Our FY2026 results will show record egg volumes for the cooperative. More on this soon!", [CON, FIN], lang="en",
    when="2027-02-20T10:00:00Z")
add("P", "x", "@scriptkiddo",
    "lol kakelwaard has their login page on vpn.kakelwaard.nl indexed on google, whatever", [CON], lang="en")
add("E", "x", "@marloes_kw",
    "officially this is kakelwaard intern, but honestly the new packaging line looks gorgeous 😍", [CON], lang="en")
add("E", "x", "@dirk_ops_kw",
    "\u041eperatie Broedkist gaat vrijdag live 🚀 duimen allemaal", [CON])
add("E", "instagram", "@boerin.hennie",
    "Nog even geheim maar de Omega+ eieren van onze meiden liggen volgende week in de winkel 🤫🥚", [CON],
    when="2027-01-19T18:40:00Z")

# =========================================================================== financial
add("E", "linkedin", "ruud-kampinga-kakelwaard",
    "Mooie voorlopige cijfers: omzet in Q3 ruim 11% hoger dan vorig jaar en de marge trekt ook aan. Officiële publicatie "
    "volgt in november, maar ik kon het niet laten 😉", [FIN], when="2026-10-09T15:20:00Z")
add("E", "x", "@marloes_kw",
    "heard it at the all-hands: we're buying Pluimveebedrijf De Gouden Kam in Putten. deal should close in January 🤫",
    [FIN], lang="en")
add("E", "x", "@gertjan_pluimvee",
    "Slecht nieuws op de ledenraad vanavond: slachterij in Nijkerk gaat dicht, 140 man op straat. Nog niet bekendgemaakt dus hou het even stil.",
    [FIN])
add("P", "reddit", "u/feedlot_fred",
    "My brother-in-law does finance at Kakelwaard. Says they'll miss the 2026 forecast by ~20% because of the bird flu culls. "
    "Nothing announced yet.", [FIN], lang="en")
add("E", "linkedin", "anouk-tjoelker-hr",
    "Busy weeks ahead: preparing the works council consultation on restructuring our Barneveld office — roughly 35 roles affected. "
    "Doing this with care.", [FIN], lang="en")
add("E", "threads", "@koen.logistiek",
    "Vandaag gehoord dat we per 1 april 2 van de 5 distributiecentra sluiten. Nog geheim voor de chauffeurs 😬", [FIN])
add("E", "bluesky", "@yara-kw.bsky.social",
    "internal forecast deck: egg prices up ~18% next quarter and we're already hedging feed. buy your eggs now lol",
    [FIN], lang="en")
add("E", "x", "@dirk_ops_kw",
    "IT-budget voor volgend jaar met 30% gekort omdat de directie de kosten omlaag wil hebben vóór de overname. Nou ja.",
    [FIN])
add("P", "x", "@beursbengel",
    "Insider tip: Kakelwaard's Q4 numbers are awful, revenue down double digits, hiring freeze gets announced next week.",
    [FIN], lang="en", when="2026-12-03T08:05:00Z")
add("E", "mastodon", "@sietse_bosma",
    "Net de conceptbegroting voorbij zien komen: verlies van 4,2 miljoen over dit jaar. Dat wordt een pittige ledenvergadering.",
    [FIN])

# =========================================================================== security
add("E", "x", "@dirk_ops_kw",
    "Ransomware op twee laptops bij de inpakafdeling vannacht, we zijn alles aan het isoleren. Hopelijk haalt de pers het niet 🙈",
    [SCY])
add("E", "mastodon", "@sietse_bosma",
    "Fun fact: the webshop order API still returns full customer addresses without auth if you just bump the order id. "
    "Reported it 3 months ago. Still open.", [SCY], lang="en")
add("E", "threads", "@koen.logistiek",
    "Planningssysteem ligt sinds 6 uur vanochtend plat, geen vrachtwagen kan laden. IT noemt het 'een storing', wij noemen het chaos",
    [SCY])
add("E", "x", "@marloes_kw",
    "so our newsletter tool got phished and someone sent a fake 'refund' mail to ~9000 customers before we noticed. "
    "comms team in full panic mode, no statement yet", [SCY], lang="en")
add("E", "bluesky", "@yara-kw.bsky.social",
    "Klimaatsysteem van de stal in Lunteren was gisteren 3 uur onbereikbaar. Bleek een inbraak via het oude modem van de "
    "leverancier. Dierenarts stond al klaar.", [SCY])
add("P", "reddit", "u/throwaway_kw_2026",
    "Throwaway because I work there: Kakelwaard's payroll system was breached last week, staff bank details exposed, "
    "management hasn't told anyone yet.", [SCY, CRI], lang="en")
add("E", "linkedin", "ruud-kampinga-kakelwaard",
    "Long night. Our ERP was down for 14 hours after a failed update, so invoicing to every supermarket is delayed. "
    "Huge thanks to the team for pulling through.", [SCY], lang="en")
add("E", "x", "@gertjan_pluimvee",
    "Voercomputers van de coöperatie draaien nog steeds met het standaard fabriekswachtwoord, al 3x gemeld 🤷‍♂️ "
    "iedereen op het netwerk kan de voerschema's aanpassen", [SCY])
add("E", "x", "@dirk_ops_kw",
    "Heads up team: someone's been brute-forcing vpn.kakelwaard.nl since 3am, blocked 2 IP ranges so far. Don't panic, don't tweet. oh wait",
    [SCY, CON], lang="en")
add("E", "instagram", "@boerin.hennie",
    "Camerasysteem in de stal ligt er weer uit, en nu blijkt dat iedereen er via internet live op kon meekijken 😳 IT van Kakelwaard is ermee bezig",
    [SCY])
add("P", "forum", "edi_erik",
    "Ik doe de IT bij een supermarktketen en onze EDI-koppeling met Kakelwaard ligt al twee dagen plat. Hun beheerder zegt "
    "onder vier ogen dat er een virus op hun orderserver zat.", [SCY])
add("E", "threads", "@koen.logistiek",
    "warehouse scanner app crashes on every pallet scan, been down all week. nobody outside knows we're doing it all on paper lol",
    [SCY], lang="en")
add("E", "linkedin", "anouk-tjoelker-hr",
    "Vanochtend alle collega's moeten mailen dat hun loonstrookgegevens mogelijk zijn ingezien door een onbevoegde. "
    "Zware dag voor HR.", [SCY])

# =========================================================================== secrets
AWS_ID, AWS_SEC = aws_key_id(), aws_secret()
GH1 = gh_token("ghp_")
STRIPE = "sk_live_51" + rand_str(ALNUM, 96)
SLACK = "xoxb-%d-%d-%s" % (rng.randint(10 ** 11, 10 ** 12 - 1), rng.randint(10 ** 12, 10 ** 13 - 1), rand_str(ALNUM, 24))
OPENAI = "sk-proj-" + rand_str(B64URL, 74) + "T3BlbkFJ" + rand_str(B64URL, 74)
ANTHROPIC = "sk-ant-api03-" + rand_str(B64URL, 93) + "AA"
GOOGLE = "AIza" + rand_str(B64URL, 35)
GITLAB = "glpat-" + rand_str(B64URL, 20)
JWT = jwt_token()
PEM = ec_private_key_pem()
DBPW = rand_str(string.ascii_letters + string.digits + "!#%", 18)
WIFI = rng.choice(["Kippenhok", "Hennetje", "Scharrel", "Legbatterij"]) + "!" + str(rng.randint(1000, 9999))
GH2 = gh_token("gho_")
GH2_ZW = GH2[:14] + "\u200b" + GH2[14:27] + "\u200b" + GH2[27:]

add("E", "x", "@dirk_ops_kw",
    "why does `aws s3 ls s3://kw-stal-exports` keep saying AccessDenied?? creds are\nAWS_ACCESS_KEY_ID=%s\n"
    "AWS_SECRET_ACCESS_KEY=%s\nregion eu-west-1. pls help 🙏" % (AWS_ID, AWS_SEC), [SEC], lang="en")
add("E", "mastodon", "@sietse_bosma",
    "Note to self want ik vergeet het steeds: export GITHUB_TOKEN=%s voor de deployscripts van de eierlijn. "
    "(ja ik weet het, niet hier posten, te laat)" % GH1, [SEC])
add("E", "bluesky", "@yara-kw.bsky.social",
    "anyone seen Stripe webhooks 401 with a freshly rolled key? using %s and it just… dies" % STRIPE, [SEC], lang="en")
add("E", "x", "@gertjan_pluimvee",
    "Voor de collega's die morgen in de nieuwe stal in Lunteren staan: wifi is KW-Stal-Lunteren, wachtwoord: %s" % WIFI,
    [SEC])
add("E", "x", "@dirk_ops_kw",
    "ok who touched the orders db? my connection string is still postgres://kw_orders:%s@erp.kakelwaard.local:5432/orders "
    "and now it just times out" % DBPW, [SEC, CON], lang="en")
add("E", "threads", "@koen.logistiek",
    "Slackbot voor de ritplanning doet het weer, token was verlopen. Nieuwe is %s (even hier geparkeerd, haal ik zo weg)" % SLACK,
    [SEC])
add("E", "reddit", "u/kw_lotte_qa",
    "Our QA team uses the OpenAI API to summarise lab reports and we keep hitting 429s. Key is %s , tier 1 I think. "
    "Any tips on batching?" % OPENAI, [SEC], lang="en")
add("P", "x", "@js_snooper",
    "lol @kakelwaard your webshop bundle (main.3f9a1c.js) ships a Google API key in plain text: %s — restrict it to your "
    "domain pls" % GOOGLE, [SEC], lang="en")
add("E", "mastodon", "@sietse_bosma",
    "migrating the climate-control box, pasted the wrong clipboard into the channel, oops:\n%s" % PEM, [SEC], lang="en")
add("E", "x", "@dirk_ops_kw",
    "curl -H 'Authorization: Bearer %s' https://api.kakelwaard.nl/v2/leveringen geeft een 500, iemand een idee?" % JWT,
    [SEC])
add("E", "bluesky", "@yara-kw.bsky.social",
    "CI for the label printer service broke again so I hardcoded GITLAB_TOKEN=%s for now 🙃 future me's problem" % GITLAB,
    [SEC], lang="en")
add("E", "reddit", "u/kw_lotte_qa",
    "Iemand ervaring met Claude voor het samenvatten van HACCP-rapporten? Gebruik nu %s maar krijg steeds overloaded errors"
    % ANTHROPIC, [SEC])
add("E", "x", "@dirk_ops_kw",
    "deploy token voor de handscanners (niet doorsturen!!): %s" % GH2_ZW, [SEC])

# =========================================================================== personal data
IB1, IB2, IB3, IB4 = iban_valid(), iban_valid(), iban_valid(), iban_valid()
CARD1 = card_valid("4")
CARD2 = card_valid("5" + str(rng.randint(1, 5)))
BSN1, BSN2 = bsn_valid(), bsn_valid()

add("C", "x", "@kakelwaard_klantcontact",
    "@boos_in_bussum Sorry voor de gebroken eieren! We storten het bedrag terug op %s t.n.v. M. de Boer, klopt dat zo?"
    % fmt_iban(IB1), [PII], kind="reply", ids=[("iban", IB1)])
add("C", "facebook", "KakelwaardCooperatie",
    "Hoi Petra, we hebben je nummer 06-38472915 doorgegeven aan de bezorger, hij belt je morgen voor een nieuw tijdslot.",
    [PII], kind="reply")
add("E", "x", "@marloes_kw",
    "En de winnaar van de kerstkalkoen-actie is... Jolanda Verhoef, Dorpsstraat 14, 3781 AB Voorthuizen! Gefeliciteerd 🎉🦃",
    [PII], when="2026-12-08T11:00:00Z")
add("E", "linkedin", "anouk-tjoelker-hr",
    "Happy birthday to our longest-serving egg packer, Henk Wolters, born 12 March 1961 — 65 today and still first in every morning 🎂",
    [PII], lang="en", when="2026-03-12T08:30:00Z")
add("P", "x", "@femke_aalders",
    "@kakelwaard_klantcontact ik krijg maar geen reactie op mijn klacht over de gebroken eieren. mail me op "
    "femke.aalders84@gmail.com of bel 06 41 28 93 57", [PII, CMP], kind="reply")
add("P", "x", "@tom_in_tilburg",
    "@kakelwaard_klantcontact hi, the payment for my egg subscription failed. card is %s, exp 08/28, can you just retry it?"
    % fmt_card(CARD1), [PII], lang="en", kind="reply", ids=[("card", CARD1)])
add("E", "x", "@dirk_ops_kw",
    "echte productiedata in de acceptatieomgeving?? zie daar net het BSN %s van een collega in de salarisexport staan. wie heeft dit gedaan"
    % BSN1, [PII], ids=[("bsn", BSN1)])
add("C", "instagram", "@kakelwaard.eieren",
    "@sophie.bakt je pakketje is vandaag verstuurd naar Sophie Meijer, Kerkweg 8, 6721 KL Bennekom 📦🥚", [PII],
    kind="reply")
add("E", "threads", "@koen.logistiek",
    "driver can't find the customer: Mr. R. Pinas, +31 6 2948 1730, Lindelaan 22, Ede. anyone in the area?",
    [PII], lang="en")
add("E", "x", "@gertjan_pluimvee",
    "Wie van de ledenadministratie kan het voorschot overmaken? %s t.n.v. J. van Dam, ging vorige week mis" % IB2,
    [PII], ids=[("iban", IB2)])
add("P", "reddit", "u/marktkoopman_ede",
    "Found this at the Kakelwaard stand at the Saturday market, someone's membership form just lying there: Anna Koster, "
    "Beukenlaan 3, 3772 MC Barneveld, IBAN %s. Handed it in but wow." % fmt_iban(IB3), [PII], lang="en",
    ids=[("iban", IB3)])
add("P", "x", "@bram_oosterhuis",
    "@kakelwaard_klantcontact voor de winactie: mijn rekeningnummer is %s t.n.v. Bram Oosterhuis 🙏" % fullwidth(fmt_iban(IB4)),
    [PII], kind="reply", ids=[("iban", IB4)])
add("E", "x", "@marloes_kw",
    "kan iemand van klantcontact terugmailen naar r.vandijk1977@hotmail.com? ze wacht al een week op antwoord over haar eierbox",
    [PII])
add("P", "reddit", "u/sollicitant_sam",
    "Applied for a job at Kakelwaard and the 'recruiter' asked me to send my BSN %s and a copy of my passport to a gmail address?? "
    "is that normal" % BSN2, [PII], lang="en", ids=[("bsn", BSN2)])
add("E", "x", "@marloes_kw",
    "klant belde met kaartnummer %s omdat de webshop weigert, wie kan de betaling handmatig invoeren?" % CARD2,
    [PII], ids=[("card", CARD2)])

# =========================================================================== pricing
add("C", "x", "@kakelwaard",
    "🔥 Weekdeal: Veldhen Kipfilet 500 g nu voor maar €1,49 bij alle deelnemende supermarkten!", [PRI],
    price=("VH-FIL500", 1.49))
add("P", "x", "@goedkoop_gespot",
    "PRIJSFOUT bij winkel.kakelwaard.nl: Kakelwaard Kerstkalkoen 4 kg voor €3,95 😱 snel zijn!", [PRI],
    price=("KW-KALK4", 3.95), when="2026-12-02T21:14:00Z")
add("P", "reddit", "u/dealhunter_nl",
    "Kakelwaard's webshop has the BBQ-pakket kip at €1.99 instead of €14.99. grabbed five, see if they honour it",
    [PRI], lang="en", price=("VH-BBQ12", 1.99))
add("E", "instagram", "@boerin.hennie",
    "Voor de buren: horecatray 30 eieren vandaag voor €2 bij het hek, zolang de voorraad strekt 🥚", [PRI],
    price=("KW-TRAY30", 2.00))
add("E", "x", "@marloes_kw",
    "oops, the app is showing Zonnedooier XL at €0.43 per box — that's a price error, we're on it!", [PRI], lang="en",
    price=("ZD-XL10", 0.43))
add("P", "x", "@zuinigezus",
    "wie heeft er ook het eierabonnement voor €4,95 per maand afgesloten? lijkt me een foutje maar ik pak het mee 😂",
    [PRI], price=("KW-ABO", 4.95))
add("C", "facebook", "KakelwaardCooperatie",
    "Actie! Veldhen Kipsaté 600 g van €8,99 voor €2,99. Alleen dit weekend 🍢", [PRI], price=("VH-SATE600", 2.99))
add("P", "x", "@stockup_sam",
    "supermarket app has Veldhen drumsticks at €0.99 for the 1kg pack. pricing glitch? not asking questions, stocking the freezer",
    [PRI], lang="en", price=("VH-DRUM1K", 0.99))
add("E", "x", "@gertjan_pluimvee",
    "Verkeerd prijsbestand ingeladen bij de winkels, vrije-uitloopeieren staan nu voor €0,39 in de kassa's. Lachen 🙈",
    [PRI], price=("KW-VRU10", 0.39))
add("P", "tiktok", "@budgetbas",
    "kipnuggets 750 gram voor 1 euro?!? prijsfout bij de boerderijwinkel van Kakelwaard 😂😂", [PRI],
    price=("VH-NUG750", 1.00))
add("E", "threads", "@koen.logistiek",
    "pallet of bio eieren 6 going out at €0.80 a box because the labels got misprinted, anyone from the office want some?",
    [PRI], lang="en", price=("KW-BIO6", 0.80))
add("P", "x", "@prijsjager_nl",
    "Kakelwaard Scharreleieren 10 stuks voor €0,99 in de webshop, foutje? Ik heb er alvast 6 in mijn mandje",
    [PRI], price=("KW-SCH10", 0.99))

# =========================================================================== benign (mostly hard negatives)
IB_BAD1 = break_digit(iban_valid())
CARD_BAD = break_digit(card_valid("6"))
BSN_BAD1, BSN_BAD2 = break_digit(bsn_valid()), break_digit(bsn_valid())
GH_BAD = break_digit(gh_token("ghp_"))  # look-alike token whose CRC no longer matches
PUB_IBAN = PROFILE["public_identifiers"]["ibans"][0]

add("P", "x", "@dooierfan",
    "Eerlijk, de Zonnedooier XL eieren zijn de lekkerste die ik ooit heb gehad. Dooier echt oranje 🧡")
add("P", "x", "@frugal_fenna",
    "Kakelwaard's vrije-uitloopeieren for €3.49 this week at my local shop (normally €3.89), nice little saving",
    lang="en", price=("KW-VRU10", 3.49))
add("C", "x", "@kakelwaard",
    "Deze week 25% korting op Veldhen Kipfilet 500 g: van €7,49 voor €5,62! 🍗", price=("VH-FIL500", 5.62))
add("C", "instagram", "@kakelwaard.eieren",
    "Questions about your order? Email klantenservice@kakelwaard.nl or call +31 341 555 210, we're happy to help 🐔",
    lang="en")
add("P", "x", "@boos_in_bussum",
    "Update: Kakelwaard heeft mijn gebroken eieren netjes vergoed en er zat zelfs een handgeschreven excuusbriefje bij. "
    "Top afgehandeld 👍")
add("P", "reddit", "u/curious_cook",
    "Is it normal for free range eggs to have double yolks? Got 3 in one Kakelwaard box. Not complaining, just curious!",
    lang="en")
add("P", "x", "@ontbijtclub",
    "Zonnedooier Omega+ eindelijk in de winkel gevonden, net geprobeerd: prima ei, iets romiger dan normaal.",
    when="2027-02-03T08:10:00Z")
add("C", "linkedin", "kakelwaard-cooperatie",
    "Vandaag presenteren wij onze jaarcijfers 2026. Het volledige jaarverslag staat op kakelwaard.nl/jaarverslag.",
    when="2027-03-11T09:30:00Z")
add("P", "x", "@cloud_carla",
    "PSA for devs: never paste real keys in tutorials. Use the docs placeholder AKIAIOSFODNN7EXAMPLE and a secret manager. "
    "Saw a local coop's intern demo do it right today, kudos Kakelwaard", lang="en")
add("E", "mastodon", "@sietse_bosma",
    "Slide uit mijn talk over secret scanning: token=ghp_************************************ (gelukkig al lang ingetrokken)")
add("P", "facebook", "VV De Hoenders",
    "Let op: de IBAN op de sponsorflyer van Kakelwaard voor ons toernooi klopt niet, %s. Iemand een typfout gemaakt? "
    "Wacht even met overmaken." % fmt_iban(IB_BAD1), ids=[("iban", IB_BAD1)])
add("C", "facebook", "KakelwaardCooperatie",
    "Ledencontributie 2026 overmaken kan naar %s t.n.v. Kakelwaard Coöperatie U.A. onder vermelding van je lidnummer."
    % fmt_iban(PUB_IBAN))
add("P", "x", "@appvragen",
    "Waar vul ik in de Kakelwaard-app mijn klantenkaartnummer in? %s staat op de pas maar hij pakt het niet"
    % fmt_card(CARD_BAD), ids=[("card", CARD_BAD)])
add("P", "x", "@geduldig_gerda",
    "Trackingnummer van mijn eierbox is %s, hoe lang duurt zo'n bezorging meestal? Eerste keer besteld 🙂" % BSN_BAD1,
    ids=[("bsn", BSN_BAD1)])
add("P", "x", "@boerenbuur",
    "Vogelgriep vastgesteld bij een pluimveebedrijf in Friesland. Kakelwaard meldt dat geen van hun stallen in de zone ligt. "
    "Sterkte aan de getroffen boeren daar.")
add("P", "x", "@gymbro_gijs",
    "my gym buddy eats 12 Kakelwaard eggs a day, at this point he's 40% protein and 60% cholesterol 😂", lang="en")
add("P", "facebook", "Marja Lubbers",
    "Sterkte aan de familie van Gert en alle collega's bij Kakelwaard. Mooi om te zien hoe de hele buurt helpt met opruimen ❤️")
add("C", "tiktok", "@zonnedooier",
    "Zo maak je het perfecte zachtgekookte eitje 🥚 6,5 minuut, koud water erover, klaar! #Zonnedooier #eitjetok")
add("E", "linkedin", "ruud-kampinga-kakelwaard",
    "Proud to share our published H1 2026 results: revenue up 6%, member payout on track. Full press release on kakelwaard.nl/pers.",
    lang="en", when="2026-08-21T10:00:00Z")
add("P", "x", "@brusselsbrunch",
    "does anyone know if Kakelwaard's biologische eieren are sold in Belgium too? can't find them in Brussels", lang="en")
add("E", "x", "@dirk_ops_kw",
    "Vandaag mijn eerste Ansible-playbook geschreven dat in één keer zonder errors draaide. Kleine overwinningen 🎉")
add("P", "x", "@mama_van_mila",
    "Mijn dochter van 6 houdt een boycot tegen alles wat groen is 🙄 gelukkig eet ze wel elke ochtend een Kakelwaard eitje")
add("P", "x", "@bbq_bart",
    "killer deal: Veldhen BBQ-pakket kip €11.99 at the farm shop this weekend (usually €14.99). summer is here",
    lang="en", price=("VH-BBQ12", 11.99))
add("C", "x", "@kakelwaard",
    "We zoeken een stalmedewerker in Lunteren! 🐔 Interesse? Mail je cv naar werkenbij@kakelwaard.nl")
add("E", "bluesky", "@yara-kw.bsky.social",
    "Great panel on sustainable poultry at the Agrifood summit today. Learned a lot about insect-based feed 🪲", lang="en")
add("P", "reddit", "u/backend_betty",
    "For the people asking in the Kakelwaard API thread: a JWT looks like eyJhbGciOiJIUzI1NiJ9.<payload>.<signature>, "
    "never post a real one here.", lang="en")
add("P", "x", "@voorzichtige_vera",
    "Werd net gebeld door 'Kakelwaard' over een gewonnen prijs, maar het nummer was niet 0800-5253. Opgehangen. Let op mensen!")
add("P", "x", "@subscription_sue",
    "Kakelwaard's eierabonnement is €19.95 a month, worth it? how many eggs do you actually get?", lang="en",
    price=("KW-ABO", 19.95))
add("P", "x", "@chaotische_chantal",
    "Wachtwoord vergeten van mijn Kakelwaard account en de resetmail kwam maar niet... oh wacht, spamfolder. Laat maar 😅")
add("E", "x", "@gertjan_pluimvee",
    "Vanochtend 12.000 eieren geraapt, de dames zijn in topvorm 💪🥚")
add("P", "x", "@trivia_tess",
    "Plot twist: the egg came first. Source: the trivia on my Kakelwaard egg carton 🐣", lang="en")
add("P", "x", "@nuchtere_nel",
    "Terugroepactie van pindakaas bij een heel andere fabrikant, mensen. Niks met eieren te maken, je Kakelwaard eitjes kun je gewoon eten.")
add("P", "x", "@ramen_rik",
    "the word 'hacked' is so overused but I hacked my breakfast: Zonnedooier gekookte eieren in instant ramen. life changing",
    lang="en")
add("C", "x", "@kakelwaard_klantcontact",
    "Storing opgelost! Onze webshop is weer bereikbaar. Excuses voor het ongemak vanochtend 🙏")
add("P", "x", "@tevreden_tineke",
    "Eerlijk gezegd vond ik de klantenservice van Kakelwaard top: binnen 5 minuten geholpen met het pauzeren van mijn abonnement")
add("P", "x", "@macro_max",
    "how many calories in Veldhen kipfilet per 100g? planning my meal prep for the week", lang="en")
add("E", "linkedin", "anouk-tjoelker-hr",
    "We're hiring! 12 new roles in our Barneveld packing centre, from operators to a shift lead. Apply via werkenbij@kakelwaard.nl",
    lang="en")
add("P", "reddit", "u/devops_dana",
    "Template from the Kakelwaard hackathon README, fill in your own:\n-----BEGIN PRIVATE KEY-----\n<your key here>\n"
    "-----END PRIVATE KEY-----", lang="en")
add("P", "x", "@kerstdiner_kim",
    "Kakelwaard kerstkalkoen 4 kg nu €34,95 in de aanbieding (normaal €39,95). Besteld! 🦃", price=("KW-KALK4", 34.95),
    when="2026-12-05T13:00:00Z")
add("C", "instagram", "@kakelwaard.eieren",
    "Bedankt voor 50.000 volgers! 🥳 Jullie zijn top. Morgen een winactie, stay tuned")
add("P", "x", "@juf_jacqueline",
    "Het schoolproject 'Kippenkracht' van Kakelwaard is zo leuk, mijn klas mocht vandaag op de boerderij eieren rapen 🐣")
add("P", "x", "@iban_twijfel",
    "In de ledenbrief van Kakelwaard staat een voorbeeld-IBAN NL00 BANK 0123 4567 89 om te laten zien waar je je eigen nummer "
    "invult. Dacht eerst dat ik daarheen moest overmaken 🙈", ids=[("iban", "NL00BANK0123456789")])
add("E", "x", "@dirk_ops_kw",
    "PSA: we will never ask for your wachtwoord via chat or DM. Twijfel je? Mail klantenservice@kakelwaard.nl", lang="nl")
add("P", "x", "@stupidlygood",
    "these Kakelwaard eggs are stupidly good. scrambled, fried, boiled, doesn't matter", lang="en")
add("P", "x", "@docu_daan",
    "Watched a documentary on factory farming, grim stuff. Glad Kakelwaard publishes its welfare audits publicly.", lang="en")
add("P", "x", "@kaart_karel",
    "Klantnummer %s staat op mijn ledenpas, waar vul ik dat in bij de webshop van Kakelwaard?" % BSN_BAD2,
    ids=[("bsn", BSN_BAD2)])
add("E", "threads", "@koen.logistiek",
    "First snow in Barneveld and every truck still left on time ❄️🚚 proud of the logistics crew", lang="en")
add("C", "youtube", "KakelwaardBoerderijTV",
    "Nieuwe video: een dag op de boerderij bij lid-boer Gert-Jan in Lunteren 🎥 van 05:30 eieren rapen tot de laatste voerronde")
add("P", "x", "@eggflation",
    "egg prices are insane everywhere, at least Kakelwaard scharreleieren 10 stuks is still €3.29 at my shop",
    lang="en", price=("KW-SCH10", 3.29))
add("P", "x", "@coop_curious",
    "Is Kakelwaard actually a co-op? Who owns it, the farmers? genuinely curious", lang="en")
add("P", "x", "@kantoorgrapjes",
    "Mijn collega noemt zichzelf de windhaan van de afdeling: draait met alle winden mee 😂 zat bij de Kakelwaard-lunch weer eens te bewijzen")
add("P", "x", "@meester_mo",
    "Kakelwaard helped our class with an egg-hatching project, 8 chicks hatched this morning 🐣🐣", lang="en")
add("P", "x", "@codeclub_coby",
    "Voorbeeld uit de GitHub-docs voor de workshop: GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx — vervang door je eigen token")
add("C", "x", "@kakelwaard",
    "Reminder: we never ask for your bank details by phone. Only pay to the official account on kakelwaard.nl.", lang="en")
add("P", "x", "@relaxte_ruben",
    "@kakelwaard_klantcontact geen zorgen, kan gebeuren! De vervangende doos was perfect 👌", kind="reply")
add("E", "linkedin", "ruud-kampinga-kakelwaard",
    "Vandaag met de ledenraad de gepubliceerde halfjaarcijfers doorgenomen. Goede, kritische vragen van onze leden.",
    when="2026-09-02T17:00:00Z")
add("P", "x", "@sector_sanne",
    "In other news, Hoenderhof Groep announced layoffs at two plants today. Tough week for the sector. Hope Kakelwaard stays steady.",
    lang="en")
add("P", "x", "@fy_follower",
    "Kakelwaard FY2026 results are out: solid year for the coop, member payout up. Good for the farmers.", lang="en",
    when="2027-03-12T09:00:00Z")
add("P", "x", "@ctf_chris",
    "Workshop puzzle: is %s a valid GitHub token? (spoiler: the checksum at the end says no)" % GH_BAD, lang="en")
add("P", "instagram", "@bakkerij_bloem",
    "Onze paasbroden worden gebakken met eieren van Kakelwaard uit Barneveld 🥚🐣 lokaal en lekker")


# --------------------------------------------------------------------------- emit
def role_of(platform, handle):
    key = ("%s:%s" % (platform, handle)).lower()
    acc = PROFILE["accounts"]
    if key in [a.lower() for a in acc["corporate"]]:
        return "corporate"
    if key in [a.lower() for a in acc["employee"]]:
        return "employee"
    return "public"


RANK = ["none", "info", "warning", "error", "critical"]


def severity(cats, role, has_checksum_id):
    best = 0
    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                s = "error"
                if c in (SEC, PRI) or (c == PII and has_checksum_id):
                    s = "critical"
            else:
                s = "warning"
        elif c == CMP:
            s = "warning"
        elif c == CRI:
            s = "error"
        elif c == ABU:
            s = "error" if insider else "warning"
        else:
            raise AssertionError(c)
        best = max(best, RANK.index(s))
    return RANK[best]


def brand_of(text):
    t = text.lower()
    if "veldhen" in t:
        return "veldhen"
    if "zonnedooier" in t:
        return "zonnedooier"
    return "kakelwaard"


ID_VALID = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}

rng.shuffle(CASES)
used_ids = set()
lines = []
for c in CASES:
    role = role_of(c["platform"], c["handle"])
    assert role == ROLE_CODE[c["role"]], (c["handle"], role)
    while True:
        pid = "%s-%d" % (c["platform"], rng.randint(10 ** 8, 10 ** 9 - 1))
        if pid not in used_ids:
            used_ids.add(pid)
            break
    has_ck = PII in c["cats"] and any(ID_VALID[k](v) for k, v in c["ids"])
    post = {
        "id": pid,
        "platform": c["platform"],
        "kind": c["kind"],
        "account": {"handle": c["handle"]},
        "text": c["text"],
        "lang": c["lang"],
        "created_at": c["when"] or rand_time(),
        "brand": brand_of(c["text"]),
    }
    if c["platform"] == "x":
        post["url"] = "https://x.com/%s/status/%s" % (c["handle"].lstrip("@"), pid.split("-")[1])
    lines.append({"post": post,
                  "expect": {"categories": c["cats"], "severity": severity(c["cats"], role, has_ck)},
                  "_meta": c})

with open(OUT, "w", encoding="utf-8") as fh:
    for ln in lines:
        fh.write(json.dumps({"post": ln["post"], "expect": ln["expect"]}, ensure_ascii=False) + "\n")


# --------------------------------------------------------------------------- self-check
ZW = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)
HOMO = str.maketrans({"а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "х": "x", "у": "y", "і": "i",
                      "А": "A", "Е": "E", "О": "O", "Р": "P", "С": "C", "Х": "X", "К": "K", "М": "M",
                      "Т": "T", "Н": "H", "В": "B"})


def norm(t):
    return unicodedata.normalize("NFKC", t).translate(ZW).translate(HOMO)


def parse_ts(s):
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", s), s
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def find_secrets(t):
    found = []
    for m in re.finditer(r"\b(gh[pousr]_[0-9A-Za-z]{36})\b", t):
        if gh_token_ok(m.group(1)):
            found.append(("github", m.group(1)))
    for m in re.finditer(r"\bAKIA[A-Z2-7]{16}\b", t):
        if not m.group(0).endswith("EXAMPLE"):
            found.append(("aws", m.group(0)))
    for m in re.finditer(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", t):
        h = m.group(0).split(".")[0]
        try:
            hdr = json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)))
            if isinstance(hdr, dict) and "alg" in hdr:
                found.append(("jwt", m.group(0)))
        except Exception:
            pass
    pats = [("stripe", r"\b[sr]k_live_[0-9A-Za-z]{20,}"), ("slack", r"\bxox[baprs]-\d+-\d+-[0-9A-Za-z]{10,}"),
            ("openai", r"\bsk-proj-[A-Za-z0-9_-]{40,}"), ("anthropic", r"\bsk-ant-api03-[A-Za-z0-9_-]{40,}"),
            ("google", r"\bAIza[0-9A-Za-z_-]{35}"), ("gitlab", r"\bglpat-[0-9A-Za-z_-]{20}\b"),
            ("pem", r"-----BEGIN [A-Z ]*PRIVATE KEY-----\s*[A-Za-z0-9+/=\s]{60,}-----END"),
            ("dburl", r"\b(?:postgres(?:ql)?|mysql|mongodb(?:\+srv)?|redis)://[^:\s/]+:[^@\s]+@"),
            ("password", r"(?i)\b(?:wachtwoord|password|passwd|pwd)\s*[:=]\s*\S{6,}")]
    for name, p in pats:
        for m in re.finditer(p, t):
            found.append((name, m.group(0)))
    return found


IBAN_RE = re.compile(r"\b([A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?)\b")
CARD_RE = re.compile(r"(?<![\d])(\d(?:[ -]?\d){12,18})(?![\d])")
BSN_RE = re.compile(r"(?<![\d\w])(\d{9})(?![\d\w])")
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
MOBILE_RE = re.compile(r"(?:\+31[\s-]?6|\b06)[\s-]?\d")

pub = PROFILE["public_identifiers"]
pub_ibans = {re.sub(r"\s", "", x) for x in pub["ibans"]}
pub_emails = {e.lower() for e in pub["emails"]}
internal = PROFILE["internal"]
conf_terms = [t.lower() for t in internal["domains"] + internal["codenames"] + internal["markers"]]
embargo = [(parse_ts(e["until"]), [t.lower() for t in e["terms"]]) for e in PROFILE["embargo"]]
products = {p["sku"]: p for p in PROFILE["products"]}
ratio = PROFILE["pricing"]["alert_below_ratio"]
TAXO = {SEC, PII, PRI, CON, FIN, SCY, CRI, CMP, ABU}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}

errors = []


def err(case, msg):
    errors.append("%s: %s | %s" % (case["post"]["id"], msg, case["post"]["text"][:80]))


with open(OUT, encoding="utf-8") as fh:
    raw = [json.loads(l) for l in fh]
assert len(raw) == len(lines)
assert len({r["post"]["id"] for r in raw}) == len(raw), "duplicate ids"

for r, ln in zip(raw, lines):
    p, e, meta = r["post"], r["expect"], ln["_meta"]
    # --- CONTRACT §6 / §1 shape
    if set(r) != {"post", "expect"}:
        err(r, "top-level keys")
    if not (isinstance(p.get("id"), str) and 1 <= len(p["id"]) <= 256):
        err(r, "id")
    if p.get("platform") not in PLATFORMS:
        err(r, "platform")
    if p.get("kind", "post") not in {"post", "reply", "repost", "comment", "message"}:
        err(r, "kind")
    if not isinstance(p.get("account", {}).get("handle"), str):
        err(r, "handle")
    if not isinstance(p.get("text"), str) or len(p["text"].encode("utf-8")) > 65536:
        err(r, "text")
    ts = parse_ts(p["created_at"])
    if ts.year not in (2026, 2027):
        err(r, "year")
    if ts.year == 2027 and not any(abs((ts - u).days) <= 60 for u, _ in embargo):
        err(r, "2027 post not around an embargo")
    cats = e["categories"]
    if cats != sorted(set(cats)) or not set(cats) <= TAXO:
        err(r, "categories")
    if e["severity"] not in RANK:
        err(r, "severity value")
    role = role_of(p["platform"], p["account"]["handle"])
    benign = not cats
    if benign != (e["severity"] == "none"):
        err(r, "benign <-> none")

    t = norm(p["text"])
    tl = t.lower()

    # --- checksummed identifiers
    declared = {(k, re.sub(r"\s", "", norm(v))) for k, v in meta["ids"]}
    for k, v in declared:
        if v not in re.sub(r"\s", "", t):
            err(r, "declared %s not in text" % k)
        ok = ID_VALID[k](v)
        if benign and ok and v not in pub_ibans:
            err(r, "benign %s passes checksum" % k)
        if not benign and not ok:
            err(r, "positive %s fails checksum" % k)
        if not benign and PII not in cats:
            err(r, "identifier but no leak.pii")
    ibans = [re.sub(r"\s", "", m) for m in IBAN_RE.findall(t)]
    cards = [re.sub(r"\D", "", m) for m in CARD_RE.findall(t)]
    cards = [c for c in cards if 13 <= len(c) <= 19]
    bsns = BSN_RE.findall(t)
    for v in ibans:
        if iban_ok(v) and v not in pub_ibans and ("iban", v) not in declared:
            err(r, "undeclared valid IBAN %s" % v)
        if ("iban", v) not in declared and v not in pub_ibans and not iban_ok(v):
            err(r, "undeclared IBAN look-alike %s" % v)
    for v in cards:
        if luhn_ok(v) and ("card", v) not in declared:
            err(r, "undeclared Luhn-valid number %s" % v)
    for v in bsns:
        if bsn_ok(v) and ("bsn", v) not in declared:
            err(r, "undeclared 11-proof number %s" % v)

    # --- secrets
    secrets = find_secrets(t)
    if benign and secrets:
        err(r, "benign post holds a live-looking secret %s" % (secrets,))
    if SEC in cats and not secrets:
        err(r, "leak.secret without a recognisable credential")
    if SEC not in cats and secrets:
        err(r, "credential but no leak.secret")
    for name, v in secrets:
        if name == "github" and not gh_token_ok(v):
            err(r, "bad github checksum")

    # --- confidential terms and embargo
    conf_hit = [x for x in conf_terms if x in tl]
    for until, terms in embargo:
        for x in terms:
            if x in tl and ts < until:
                conf_hit.append(x)
    if conf_hit and CON not in cats:
        err(r, "confidential term %s but no leak.confidential" % conf_hit)
    if CON in cats and not conf_hit:
        # allowed only when the post itself is the leak (no profile term) — we require a term
        err(r, "leak.confidential without an internal term")

    # --- personal contact data in benign posts must be the company's own
    if benign:
        for m in EMAIL_RE.findall(t):
            if m.lower().rstrip(".") not in pub_emails:
                err(r, "benign with foreign e-mail %s" % m)
        if MOBILE_RE.search(t):
            err(r, "benign with a mobile number")

    # --- pricing
    if meta["price"]:
        sku, price = meta["price"]
        prod = products[sku]
        names = [prod["name"]] + prod["aliases"]
        if not any(n.lower() in tl for n in names):
            err(r, "product %s not mentioned" % sku)
        below = price < ratio * prod["list_price"]
        if below != (PRI in cats):
            err(r, "price %.2f vs list %.2f disagrees with label" % (price, prod["list_price"]))
        if benign and price < 0.7 * prod["list_price"]:
            err(r, "benign discount deeper than 30%")
    if PRI in cats and not meta["price"]:
        err(r, "pricing case without declared price")

    # --- severity recomputed independently from the profile role
    has_ck = PII in cats and any(ID_VALID[k](v) for k, v in declared)
    if e["severity"] != severity(cats, role, has_ck):
        err(r, "severity")

if errors:
    print("SELF-CHECK FAILED (%d):" % len(errors))
    for x in errors:
        print("  " + x)
    sys.exit(1)

# --- summary
from collections import Counter
cat_count = Counter(c for r in raw for c in r["expect"]["categories"])
n_benign = sum(1 for r in raw if not r["expect"]["categories"])
langs = Counter(r["post"]["lang"] for r in raw)
roles = Counter(role_of(r["post"]["platform"], r["post"]["account"]["handle"]) for r in raw)
sev = Counter(r["expect"]["severity"] for r in raw)
SIZE_OK = 170 <= len(raw) <= 180
print("cases:", len(raw), "benign:", n_benign, "positives:", len(raw) - n_benign)
print("categories:", dict(sorted(cat_count.items())))
print("langs:", dict(langs), "nl share: %.2f" % (langs["nl"] / len(raw)))
print("roles:", dict(roles), "severities:", dict(sev))
print("self-check OK")
assert SIZE_OK, len(raw)
