#!/usr/bin/env python3
"""Build cases.jsonl for the sealed evaluation set 479 (Klikkast B.V., parcel lockers).

Deterministic: a fixed seed drives every generated identifier, credential, timestamp and
the final order. Post texts are hand-written; placeholders like <<IBAN>> are filled with
freshly generated values (valid ones for positives, checksum-failing look-alikes for the
negatives). Severities are computed from CONTRACT section 4 using the account role that
the profile gives, never typed by hand. After writing, the file is re-read and checked.

Run: python3 make_cases.py
"""
import base64
import json
import os
import random
import re
import struct
import sys
import zlib
from datetime import datetime, timedelta, timezone

import yaml

SEED = 479_2026
HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = os.path.join(HERE, "profile.yaml")
OUT = os.path.join(HERE, "cases.jsonl")

rng = random.Random(SEED)

ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
B62 = ALNUM
URLSAFE = ALNUM + "-_"


def rnd(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


# ---------------------------------------------------------------- checksums
def iban_ok(s):
    s = s.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def iban_make(bank, account, good=True):
    bban = bank + account
    n = int("".join(str(int(c, 36)) for c in bban + "NL00"))
    chk = 98 - n % 97
    if not good:
        chk = (chk + rng.randint(1, 90)) % 97 + 2  # 2..98 but never the right one
        if chk == 98 - n % 97:
            chk = chk + 1 if chk < 98 else 2
    return "NL%02d%s" % (chk, bban)


def iban_group(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def luhn_ok(digits):
    d = [int(c) for c in digits]
    total = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        total += x
    return total % 10 == 0


def card_make(good=True):
    prefix = rng.choice(["4", "5" + str(rng.randint(1, 5))])
    body = prefix + rnd("0123456789", 15 - len(prefix))
    for last in "0123456789":
        if luhn_ok(body + last):
            right = last
            break
    if good:
        num = body + right
    else:
        num = body + str((int(right) + rng.randint(1, 9)) % 10)
    assert luhn_ok(num) == good
    return " ".join(num[i:i + 4] for i in range(0, 16, 4))


def bsn_ok(s):
    if not re.fullmatch(r"\d{9}", s):
        return False
    total = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return total % 11 == 0 and s != "000000000"


def bsn_make(good=True):
    while True:
        s = str(rng.randint(1, 9)) + rnd("0123456789", 8)
        if bsn_ok(s) == good:
            return s


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(6, "0")


def gh_token(prefix="ghp_"):
    body = rnd(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF)


def gh_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()) & 0xFFFFFFFF) == m.group(2)


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt_make():
    header = {"alg": "HS256", "typ": "JWT"}
    iat = 1781000000 + rng.randint(0, 9_000_000)
    payload = {"sub": "svc-locker-api", "iss": "auth.klikkast.nl", "scope": "lockers:write",
               "iat": iat, "exp": iat + 3600}
    sig = bytes(rng.getrandbits(8) for _ in range(32))
    return ".".join([b64u(json.dumps(header, separators=(",", ":")).encode()),
                     b64u(json.dumps(payload, separators=(",", ":")).encode()), b64u(sig)])


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    try:
        h = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except Exception:
        return False
    return isinstance(h, dict) and "alg" in h


def ssh_key_make():
    def sstr(b):
        return struct.pack(">I", len(b)) + b
    pub = sstr(b"ssh-ed25519") + sstr(bytes(rng.getrandbits(8) for _ in range(32)))
    check = struct.pack(">I", rng.getrandbits(32))
    seckey = bytes(rng.getrandbits(8) for _ in range(64))
    priv = check + check + sstr(b"ssh-ed25519") + sstr(pub[19:]) + sstr(seckey) + \
        sstr(b"sem@deploy-laptop")
    priv += bytes(range(1, 1 + (-len(priv)) % 8))
    blob = b"openssh-key-v1\x00" + sstr(b"none") + sstr(b"none") + sstr(b"") + \
        struct.pack(">I", 1) + sstr(pub) + sstr(priv)
    b = base64.b64encode(blob).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + \
        "\n-----END OPENSSH PRIVATE KEY-----"


def password_make():
    return rnd(ALNUM, 6) + rng.choice("!#$%&*") + rnd(ALNUM, 5) + rng.choice("!#$%&*") + rnd("0123456789", 2)


GEN = {
    "IBAN": lambda: iban_make(rng.choice(["ABNA", "RABO", "INGB", "SNSB", "ASNB", "TRIO", "KNAB", "BUNQ"]),
                              rnd("0123456789", 10)),
    "IBANG": lambda: iban_group(GEN["IBAN"]()),
    "BADIBAN": lambda: iban_group(iban_make(rng.choice(["ABNA", "RABO", "INGB"]), rnd("0123456789", 10), good=False)),
    "CARD": lambda: card_make(True),
    "BADCARD": lambda: card_make(False),
    "BSN": lambda: bsn_make(True),
    "BADBSN": lambda: bsn_make(False),
    "GHP": lambda: gh_token("ghp_"),
    "AWSID": lambda: "AKIA" + rnd("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16),
    "AWSSECRET": lambda: rnd(ALNUM + "/+", 40),
    "STRIPE": lambda: "sk_live_" + rnd(ALNUM, 24),
    "SLACK": lambda: "xoxb-" + str(rng.randint(1, 9)) + rnd("0123456789", 10) + "-" +
    str(rng.randint(1, 9)) + rnd("0123456789", 12) + "-" + rnd(ALNUM, 24),
    "OPENAI": lambda: "sk-proj-" + rnd(URLSAFE, 40) + "T3BlbkFJ" + rnd(URLSAFE, 40),
    "SSHKEY": ssh_key_make,
    "JWT": jwt_make,
    "PW": password_make,
    "DBPW": lambda: rnd(ALNUM, 18),
    "GOOGLE": lambda: "AIza" + rnd(URLSAFE, 35),
    "GLPAT": lambda: "glpat-" + rnd(URLSAFE, 20),
}

CAT = {
    "secret": "leak.secret", "pii": "leak.pii", "pricing": "leak.pricing",
    "conf": "leak.confidential", "fin": "leak.financial", "sec": "leak.security",
    "crisis": "reputation.crisis", "complaint": "reputation.complaint",
    "abuse": "reputation.abuse",
}

CASES = []


def C(plat, handle, lang, cats, text, when=None, kind=None, evasion=False):
    CASES.append(dict(plat=plat, handle=handle, lang=lang, cats=cats, text=text,
                      when=when, kind=kind, evasion=evasion))


# ======================================================================= complaints
C("x", "@tessa_bl", "nl", ["complaint"],
  "@klikkast_help al 3 dagen staat mijn pakket op 'klaar om op te halen' maar vak 31 gaat gewoon niet open. "
  "Code 4x ingetikt, app opnieuw geïnstalleerd. Wat moet ik hier nou mee", kind="reply")
C("x", "@danfromdelft", "en", ["complaint"],
  "Klikkast app says my parcel was delivered to locker 14 at Utrecht Centraal. Locker 14 is empty. "
  "Support chat just loops me back to the FAQ. Great.")
C("x", "@marijke_leusden", "nl", ["complaint"],
  "waarom is de kluis bij de AH in Leusden ALWEER buiten gebruik?? derde keer deze maand 🙄 #klikkast")
C("facebook", "Wendy.Scholten.77", "nl", ["complaint"],
  "Retour op 2 mei ingeleverd bij de Klikkast op het Stationsplein, nu zegt de webshop 'niet ontvangen' en "
  "krijg ik m'n geld niet terug. Klikkast kan de scan niet vinden. Ik heb letterlijk een foto van de dichte "
  "deur. Lekker dan.", kind="comment", when="2026-05-19T20:31:40+02:00")
C("reddit", "u/bramble_and_box", "en", ["complaint"],
  "Paid for KlikPass Plus specifically for the 7-day hold and my parcel got sent back after 48 hours anyway. "
  "What am I paying for exactly? Second time since summer.")
C("instagram", "@floor.fotografeert", "nl", ["complaint"],
  "Bezorger zet m'n pakket gewoon náást de Klikkast-kluis op de grond want 'alles vol'. In de stromende "
  "regen. Doos doorweekt, boeken kapot. Bedankt hoor 🙃")
C("x", "@tunnelvisionpete", "en", ["complaint"],
  "the Klikkast app logs me out every single time I walk up to a locker and the QR won't load without "
  "signal. did anyone test this in an underground station even once")
C("x", "@gerritjan62", "nl", ["complaint"],
  "Klantenservice van klikkast is echt een lachertje. 45 min in de wacht, 'u bent de volgende', en dan "
  "verbinding verbroken. Nu weer van voor af aan.")
C("x", "@ilse_kr", "nl", ["complaint", "pii"],
  "@klikkast_help mijn HomeBox L klemt sinds de firmware-update, klep gaat maar half open. 2x gemaild, geen "
  "reactie. Bel me aub gewoon terug: 06 41 87 22 90", kind="reply")
C("x", "@nielsbuilds", "en", ["complaint"],
  "Ordered a HomeBox S in March. Installer no-showed twice, and now Klikkast wants another €129 for "
  "'Montageservice' on a new date. Not happening, I'll drill the holes myself.")
C("forum", "Hennie_O", "nl", ["complaint"],
  "De kluiswand in de hal van ons complex stinkt al twee weken naar bedorven vis omdat er een pakket met "
  "visfilet in vak 8 is blijven liggen. Drie keer gemeld bij Klikkast, niemand komt. Wie heeft een tip?")
C("x", "@shaz_k", "en", ["complaint"],
  "@klikkast still waiting on that refund you promised on the 3rd. ticket KKT-88213. third email. 😑",
  kind="reply")
# first-hand safety incidents: crisis + complaint
C("x", "@bas_verhoef", "nl", ["crisis", "complaint"],
  "Mijn Klikkast HomeBox L is vannacht bij het accuvak gaan smeulen. Hele hal rook naar verbrand plastic, "
  "rookmelder ging om 3 uur af. Had zomaar brand kunnen worden met de kinderen boven. @klikkast_help wat is dit??")
C("reddit", "u/sloterdijk_commuter", "en", ["crisis", "complaint"],
  "Got a proper jolt off the metal door of the Klikkast locker at Sloterdijk when I touched the door and the "
  "keypad at the same time. Arm tingled for an hour. Reported it at the counter, they shrugged. Someone's "
  "going to get hurt.")
C("facebook", "Priya.Ramdin", "nl", ["crisis", "complaint"],
  "Klep van de KoelBox sloeg vanmiddag dicht op de vingers van mijn dochter (5). Nagel blauw, huisarts zegt "
  "flinke kneuzing. Geen enkele klembeveiliging op dat ding. Klikkast, dit is gewoon gevaarlijk 😡")
C("x", "@mealprepmaria", "en", ["crisis", "complaint"],
  "Picked up our meal kit from a Klikkast KoelBox on Friday. Compartment was warm, display said 4°C. Whole "
  "family down with food poisoning since Sunday. Never again.")
C("instagram", "@rens.rijdt", "nl", ["crisis", "complaint"],
  "Die nieuwe fietskluis van Klikkast bij station Amersfoort: deur schoot uit z'n scharnier toen ik hem "
  "opentrok en knalde tegen m'n scheenbeen. Bloedde flink. Foto's heb ik, reactie van Klikkast nog niet.")
C("threads", "@the.lucy.files", "en", ["crisis", "complaint"],
  "My Smart Lock K2 battery swelled up overnight and popped the casing right off the door. Smelled like "
  "solvent. Carried it outside with oven gloves. @klikkast this could've burned my house down")
# complaint + abuse
C("x", "@roy_zeurt", "nl", ["complaint", "abuse"],
  "Klikkast zijn echt een stelletje prutsers. 3e keer dit jaar pakket kwijt. Waardeloos kutbedrijf.")
C("x", "@jennamakesstuff", "en", ["complaint", "abuse"],
  "@klikkast_help your useless idiots lost my passport renewal documents somewhere between the depot and "
  "the locker. fix it you absolute clowns", kind="reply")

# ======================================================================= crisis
C("x", "@eerlijkbezorgd", "nl", ["crisis"],
  "BOYCOT KLIKKAST. Bezorgers krijgen €1,80 per pakket en wie klaagt wordt er gewoon uitgegooid. Niks meer "
  "bestellen naar hun kluizen. Delen! #boycotklikkast")
C("x", "@nora_tweets", "en", ["crisis"],
  "Klikkast showed me SOMEONE ELSE'S name, address and pickup codes in my app this morning. If I can see "
  "theirs, who can see mine? This is a data breach and their support is denying it. #klikkastlek")
C("x", "@utrechtnieuws_live", "nl", ["crisis"],
  "Bij de Klikkast-wand in Hoog Catharijne is gisteravond een kluisdeur losgeschoten en op een voorbijganger "
  "gevallen, melden omstanders. De vrouw is met hoofdletsel naar het ziekenhuis gebracht.")
C("reddit", "u/consumerlawnerd", "en", ["crisis"],
  "A class action against Klikkast over the hidden 'storage fees' after 72 hours is being filed next month. "
  "The law firm's signup page passed 2,000 people in a day.")
C("x", "@techbuurman", "nl", ["crisis"],
  "Klikkast roept alle Slot K2 sloten uit productiebatch 2025-11 terug wegens oververhitting van de accu. "
  "Check het serienummer achterop, staat op hun site.")
C("youtube", "@OpenDossierTV", "en", ["crisis"],
  "Tonight at 8: our investigation into Klikkast lockers filming passers-by on the street and keeping the "
  "footage for months without consent. Full episode on this channel.")
C("x", "@fairtradefemke", "nl", ["crisis"],
  "Als dit rapport klopt worden de kluizen van Klikkast gebouwd in een fabriek met kinderarbeid. Dat is toch "
  "een regelrecht schandaal? Ik wil een reactie van @klikkast")
C("x", "@rdam_alerts", "en", ["crisis"],
  "Smoke pouring out of the Klikkast locker wall in the hall of Rotterdam Centraal right now, fire brigade on "
  "scene, part of the hall evacuated.")
C("x", "@jurgen_boos", "nl", ["crisis", "abuse"],
  "Klikkast verkoopt onze adresgegevens gewoon door aan adverteerders. Tyfusbedrijf. Iedereen opzeggen en je "
  "data laten verwijderen!!")

# ======================================================================= abuse
C("x", "@gijs_1994", "nl", ["abuse"],
  "@dennis_ops jij bent toch die debiel die de kluizen 'beheert'? Doe gewoon je werk, mongool", kind="reply")
C("x", "@hollowpinecone", "en", ["abuse"],
  "klikkast support agents are genuinely braindead. every single one of them.")
C("tiktok", "@streetcam_tilburg", "nl", ["abuse"],
  "Die bezorger van Klikkast in Tilburg-Noord is een vuile kakkerlak, ik weet waar je je bus parkeert maat",
  kind="comment")
C("x", "@m4x_r4g3", "nl", ["abuse"],
  "kl1kk4st is 1 gr0t3 k4nk3rb3dr1jf, g4 d00d", evasion=True)
C("x", "@fedupfreddie", "en", ["abuse"],
  "f.u.c.k k.l.i.k.k.a.s.t and every l.o.s.e.r who works there", evasion=True)
C("x", "@angryparcelguy", "en", ["abuse"],
  "Klikkast staff are a bunch of brainless m\u043er\u043ens, can't even put a box in a box",
  evasion=True)
C("x", "@joostvl", "nl", ["abuse"],
  "@kim_zeurt misschien eerst leren lezen voordat je hier loopt te zeuren, sukkel. Er staat gewoon 'vak 12' "
  "in de app.", kind="reply")
C("x", "@truepatriot_nl", "en", ["abuse"],
  "no surprise the Klikkast depot loses everything, it's full of foreigners who can't read a label. send "
  "them back where they came from")
C("x", "@brammetje_b", "nl", ["abuse"],
  "Hoop dat die hele Klikkast-directie een keer van de trap lazert, stelletje klootzakken")

# ======================================================================= confidential
C("x", "@marloes_klikkast", "nl", ["conf"],
  "Eindelijk mag ik een béétje zeggen waar ik aan werk 🤫 Project Marmot gaat de hele pakketmarkt op z'n kop "
  "zetten. Meer kan ik niet kwijt!")
C("linkedin", "ayse-demir-kk", "en", ["conf"],
  "Great demo of Operatie Dakkapel today — lockers on the roofs of apartment blocks, loaded by drone. Pilot "
  "starts in Utrecht-Leidsche Rijn in Q1. So proud of this team! #innovation",
  when="2026-10-29T17:10:22+01:00")
C("x", "@joostvl", "nl", ["conf"],
  "haha kijk wat er op wiki.klikkast.io/ops/firmware-k2 staat onder 'bekende problemen' 😂 'niet aanraken "
  "tijdens regen'")
C("instagram", "@lotte.bezorgt", "nl", ["conf"],
  "Sneak peek 👀 vandaag de HomeBox Frost getest in het depot, met echt koelvak voor je boodschappen. Jullie "
  "gaan dit zo leuk vinden! #klikkast #sneakpeek", when="2026-11-19T16:42:10+01:00")
C("linkedin", "klikkast-bv", "en", ["conf"],
  "KK-INTERN — Roadmap 2027 v3 for the MT offsite, please do not forward. Slide 4: locker walls in 12 new "
  "cities. Slide 7: new partner tiers for webshops.")
C("x", "@daantjevd", "nl", ["conf"],
  "Mijn zwager werkt bij Klikkast en zegt dat KlikPass Family in maart komt, met 4 accounts op één abo. "
  "Wachten met verlengen dus 😏", when="2026-12-03T20:15:44+01:00")
C("x", "@marloes_klikkast", "nl", ["conf"],
  "Ｐｒｏｊｅｃｔ Ｍａｒｍｏｔ loopt drie weken achter, maar ssst, zeg maar niks 😅", evasion=True)
C("bluesky", "@kevinkoster.bsky.social", "en", ["conf"],
  "Zilver\u200breiger goes live in Ghent next week, finally 🇧🇪 can't say more", evasion=True)
C("linkedin", "ruben-hoekstra-klikkast", "nl", ["conf", "fin"],
  "Operatie Dakkapel is eigenlijk gewoon de overname van Kastje.be 😉 deal is rond, de aankondiging komt pas "
  "na de zomer. Mooie tijden!")
C("x", "@marloes_klikkast", "nl", ["conf", "fin"],
  "H1-cijfers 2027 net binnen in de MT-mail: omzet +31% en EBITDA eindelijk positief 🚀🚀 volgende week mogen "
  "we het van de daken schreeuwen", when="2027-07-20T18:03:27+02:00")
C("x", "@dennis_ops", "nl", ["conf", "sec"],
  "jira.klikkast.io ligt al plat sinds de ransomware-melding van vannacht en we mogen er niks over zeggen. "
  "Fijne maandag allemaal ☕", when="2026-06-08T08:47:12+02:00")
C("reddit", "u/klik_sre_bram", "en", ["conf", "sec"],
  "TIL our grafana at grafana.ops.klikkast.internal had anonymous access enabled and shows live locker PINs "
  "in one of the panels. Nobody outside knows yet, fixing it tonight.")
C("reddit", "u/klik_sre_bram", "en", ["conf", "secret"],
  "migration script dies with 'too many connections' on\n"
  "DATABASE_URL=postgres://locker_app:<<DBPW>>@db-prod-01.ops.klikkast.internal:5432/lockers\n"
  "any pgbouncer wizards here?")
C("x", "@dennis_ops", "nl", ["conf", "secret"],
  "Voor de nachtdienst: inloggen op vpn.klikkast.io met svc_nachtdienst / wachtwoord: <<PW>> . Niet "
  "doorsturen 🙏")
C("threads", "@klikkast.nl", "nl", ["conf"],
  "klikkast vertrouwelijk — Nieuwe procedure PIN-reset voor de buitendienst vanaf 1 maart: bel eerst de "
  "regiocoördinator, daarna pas openen op afstand.", when="2026-02-17T15:25:00+01:00")
C("linkedin", "pieter-brouwer-sre", "nl", ["conf"],
  "Vandaag de kick-off van Zilverreiger met het team in Gent. Nieuwe infrastructuur, nieuwe markt, zin in! 🚀")
C("tiktok", "@bezorger_mo", "nl", ["conf"],
  "Zeggen ze dat de HomeBox Frost €899 gaat kosten 🥶 ik heb er al eentje in het busje zien liggen",
  when="2027-02-10T12:20:05+01:00")
C("x", "@joostvl", "en", ["conf"],
  "Just saw the draft pricing page for KlikPass Family on the intranet. Insane value. You're all going to "
  "switch.", when="2026-09-14T21:48:19+02:00")

# ======================================================================= financial
C("linkedin", "ayse-demir-kk", "nl", ["fin"],
  "Zware townhall vandaag. 120 fte in Nieuwegein gaat verdwijnen, de reorganisatie wordt pas in oktober "
  "officieel aangekondigd. Denk aan mijn collega's 💔")
C("x", "@joostvl", "en", ["fin"],
  "Q3 came in way below plan. CFO told us we'll miss the full-year guidance by about 15%. obviously not "
  "public yet so act surprised in November 🙃", when="2026-10-15T23:02:51+02:00")
C("x", "@beursbabbel", "nl", ["fin"],
  "Via via gehoord dat Klikkast wordt overgenomen door een Duits private-equityfonds. Bod rond de 300 "
  "miljoen, deal volgende maand. Onthoud waar je het eerst las.")
C("bluesky", "@kevinkoster.bsky.social", "en", ["fin"],
  "board approved the bid for Kastje.be yesterday 👀 €42m, announcement Monday before the Brussels market "
  "opens. big week")
C("x", "@dennis_ops", "nl", ["fin"],
  "Interne forecast 2027 is rondgestuurd: €184 mln omzet, 1.400 nieuwe locaties. Nog nergens bekend dus "
  "shhh 🤐")
C("facebook", "KlikkastNL", "en", ["fin"],
  "DRAFT — Klikkast to close 40 depots and cut 15% of its workforce as part of restructuring plan "
  "'Klikkast 2028'. Press release Thursday 07:00.")
C("threads", "@nadia.vanleeuwen", "nl", ["fin"],
  "Alle teamleads moeten volgende week 1-op-1 gesprekken voeren. Het klantcontactcentrum in Heerlen gaat "
  "grotendeels dicht, ruim 80 mensen. Officieel weet nog niemand het.")
C("reddit", "u/klik_sre_bram", "en", ["fin"],
  "we're in merger talks with ParcelNest (yes, them). due diligence wraps up in February. my lead says keep "
  "it quiet, so naturally here I am on reddit")
C("x", "@marloes_klikkast", "nl", ["fin"],
  "Maandafsluiting september: 3,2 miljoen verlies, terwijl we de bank 0,8 miljoen hadden beloofd. Gezellige "
  "vergadering morgen met de financiers 😬", when="2026-10-06T22:14:09+02:00")
C("x", "@stockpicker_ams", "en", ["fin"],
  "a friend in finance at Klikkast says they're issuing a profit warning next week, their bonds are going to "
  "get hit")

# ======================================================================= security
C("x", "@dennis_ops", "nl", ["sec"],
  "Hele nacht wakker geweest. Iemand heeft via een open API-endpoint de ophaalcodes van alle kluizen in regio "
  "Noord binnengehaald. Nog niks naar buiten gecommuniceerd, dus mondje dicht 🙊")
C("bluesky", "@kevinkoster.bsky.social", "en", ["sec"],
  "PSA from inside: firmware 4.2 has a bug where holding # for ten seconds on the keypad pops any door open. "
  "patch isn't out yet 🙈 don't tell anyone lol")
C("instagram", "@lotte.bezorgt", "nl", ["sec"],
  "Sinds 6 uur vanochtend ransomware op de backoffice, we kunnen niks scannen. Op de site heet het "
  "'technische storing' 🙄 dus als je pakket niet komt, nu weet je waarom")
C("x", "@joostvl", "en", ["sec"],
  "our entire locker network in Belgium has been offline for 3 hours. DDoS. comms hasn't said a word yet so "
  "you heard it here first")
C("x", "@slotenmaker_anon", "nl", ["sec"],
  "Ik werk bij de leverancier van de Klikkast-sloten. De master-PIN van de oude K2-controllers werkt nog "
  "steeds op elke kluis, dat weten ze al sinds april. Nog steeds niet gepatcht.")
C("threads", "@nadia.vanleeuwen", "en", ["sec"],
  "someone phished one of our helpdesk agents and got into the admin console. they'd been resetting "
  "customer PINs for a week before anyone noticed. nothing official yet.")
C("linkedin", "pieter-brouwer-sre", "nl", ["sec"],
  "Geen fijne week: een backup met alle klantadressen heeft twee dagen publiek in een S3-bucket gestaan. Net "
  "ontdekt, en het wordt voorlopig stilgehouden.")
C("x", "@marloes_klikkast", "en", ["sec"],
  "heads up: app login is broken for everyone since the 14:00 deploy, we're rolling back. the status page "
  "still says all green so 🤷")
C("tiktok", "@bezorger_mo", "nl", ["sec"],
  "Pentest-rapport ligt bij ons op de afdeling: 14 kritieke lekken in de bezorgers-app, o.a. SQL-injectie in "
  "de scanmodule. Niks van gefixt nog 💀")
C("mastodon", "@sem@fosstodon.org", "nl", ["sec"],
  "Die 'onderhoudswerkzaamheden' bij alle kluizen in Rotterdam? Iemand had een admin-key gelekt en kluizen op "
  "afstand geopend. Dat staat natuurlijk nergens.")
C("reddit", "u/netinstall_jeroen", "en", ["sec"],
  "I did the network install for Klikkast's Antwerp lockers last year. Controllers still have telnet open "
  "with default creds. Reported it in June, nothing changed.")

# ======================================================================= secrets
C("x", "@dennis_ops", "nl", ["secret"],
  "wtf waarom pakt de cli dit niet 😩\nexport AWS_ACCESS_KEY_ID=<<AWSID>>\n"
  "export AWS_SECRET_ACCESS_KEY=<<AWSSECRET>>\nexport AWS_DEFAULT_REGION=eu-west-1")
C("reddit", "u/klik_sre_bram", "en", ["secret"],
  "Getting a 401 from the GitHub API with this token: <<GHP>> — scopes look right (repo, workflow). Anyone "
  "seen this after the SSO change?")
C("facebook", "KlikkastNL", "nl", ["secret"],
  "Stripe live key voor de nieuwe zakelijke webshop: <<STRIPE>> (Mirthe, kun jij deze in de config zetten?)")
C("x", "@marloes_klikkast", "en", ["secret"],
  "why does our bot keep posting twice?? token is <<SLACK>>, channel #ops-alerts. pls help before standup")
C("bluesky", "@kevinkoster.bsky.social", "en", ["secret"],
  "chatbot PoC for locker support runs on my laptop now 😎 key if you wanna try: <<OPENAI>> pls don't burn "
  "my credits")
C("mastodon", "@sem@fosstodon.org", "nl", ["secret"],
  "Kan iemand kijken waarom deze key niet geaccepteerd wordt op de deploy-server?\n<<SSHKEY>>")
C("threads", "@nadia.vanleeuwen", "en", ["secret"],
  "curl keeps saying expired?? Authorization: Bearer <<JWT>>")
C("instagram", "@lotte.bezorgt", "nl", ["secret"],
  "Nieuwe wifi in het depot Nieuwegein eindelijk 🙌 netwerk: KK-Depot-NWG, wachtwoord: <<PW>>")
C("x", "@apk_poker", "en", ["secret"],
  "decompiled the Klikkast Android app for fun and there's a hardcoded Maps key in strings.xml: <<GOOGLE>> lmao")
C("x", "@joostvl", "nl", ["secret"],
  "Pipeline faalt al de hele ochtend. Iemand die ziet waarom deze token geen write_repository heeft? <<GLPAT>>")

# ======================================================================= personal data
C("x", "@klikkast_help", "nl", ["pii"],
  "@jan_peeters1 We hebben de terugbetaling van €34,95 vandaag overgemaakt naar <<IBANG>> t.n.v. J. Peeters. "
  "Binnen 2 werkdagen op je rekening! ^Mirthe", kind="reply")
C("x", "@klikkast_help", "en", ["pii"],
  "@sarahmulder_ Hi Sarah, we've changed your delivery address to Sarah Mulder, Kerkstraat 14, 3581 AB "
  "Utrecht. Your parcel goes there tomorrow! ^Jorrit", kind="reply")
C("x", "@joostvl", "nl", ["pii"],
  "Klant belde net helemaal overstuur, nummer 06-29384756, iemand zin om terug te bellen? ik ben er klaar mee 😂")
C("tiktok", "@bezorger_mo", "nl", ["pii"],
  "Lol het BSN van een nieuwe bezorger (<<BSN>>) staat gewoon in het Excel-bestand dat in de groepsapp "
  "rondgaat. Privacy bij ons 🤡")
C("x", "@dublin_dan", "en", ["pii"],
  "@klikkast_help hi, to link my KlikPass to the right card: <<CARD>> exp 11/28. is that all you need?",
  kind="reply")
C("facebook", "KlikkastNL", "nl", ["pii"],
  "Pakket voor mevrouw M. de Wit (geb. 12-03-1988) ligt nog in kluis 7 aan de Dorpsstraat. Kent iemand haar? "
  "Dan kan ze het ophalen 😊")
C("reddit", "u/klik_sre_bram", "en", ["pii"],
  "whoever ordered three HomeBoxes under karin.vos88@gmail.com to a locker that doesn't exist: the depot guys "
  "are still laughing")
C("x", "@ahmet_yildiz_", "nl", ["pii", "complaint"],
  "@klikkast_help mijn IBAN is <<IBAN>>, t.n.v. A. Yildiz. Al 5 weken wachten op die schadevergoeding voor de "
  "kapotte laptop. Maak nou eens over!", kind="reply")
C("threads", "@nadia.vanleeuwen", "en", ["pii"],
  "test payment for the new checkout keeps failing with card <<CARD>> exp 09/28 (customer Tom Bakker, he's "
  "fine with us retrying). any idea?")
C("linkedin", "ruben-hoekstra-klikkast", "nl", ["pii"],
  "Vervangende HomeBox moet naar Femke Dijkstra, Lindelaan 88, 2012 KL Haarlem, tel 06 18 27 36 45. Kan "
  "iemand van planning dit oppakken? Zit zelf in de trein.")
C("x", "@klikkast", "en", ["pii"],
  "@peterjanssen_nl We'll call you back on +31 6 48 27 19 03 between 2 and 4 pm today, Mr. Janssen. Sorry "
  "again for the hassle!", kind="reply")
C("x", "@marloes_klikkast", "nl", ["pii"],
  "Kan iemand van HR dit doorzetten naar de salarisadministratie? BSN nieuwe collega Daan: <<BSN>>, "
  "startdatum 1 oktober", when="2026-09-22T10:41:37+02:00")
C("x", "@lindahermans", "en", ["pii"],
  "signing my mum up for Klikkast since the app won't take her details: Greet Hermans, born 04/07/1951, "
  "greet.hermans@telenet.be. what else do you need @klikkast_help?")
C("facebook", "KlikkastNL", "nl", ["pii"],
  "Beste Ahmed, we hebben je gegevens (a.bouzid@hotmail.com / 0651234987) doorgegeven aan de bezorger zodat "
  "hij contact kan opnemen. Fijne avond!", kind="comment")

# ======================================================================= pricing
C("instagram", "@klikkast.nl", "nl", ["pricing"],
  "🔥 WEEKENDDEAL 🔥 De HomeBox L nu voor maar €54,90! Op = op. Link in bio.")
C("x", "@dealjager_sven", "nl", ["pricing"],
  "lol de Wand 24 staat op de Klikkast-site voor €849 ipv €8490, iemand een kantoor dat een kluiswand nodig "
  "heeft? 😂")
C("reddit", "u/frugal_frits", "en", ["pricing"],
  "price glitch? KoelBox showing €119 in the Klikkast app right now. ordered two, let's see if they honour it")
C("x", "@marloes_klikkast", "nl", ["pricing"],
  "Collega's: prijsfout in de webshop bij de HomeBox Duo, staat op €72,90. Wie kan dat aanpassen voordat het "
  "op Pepper staat??")
C("x", "@klikkast", "en", ["pricing"],
  "Go off-grid with the Klikkast Solar Kit — today only €64.90! ☀️")
C("x", "@zzp_ingrid", "nl", ["pricing"],
  "KlikPass Business voor €29 per jaar?? dat is toch een fout. Ik neem er meteen 3")
C("threads", "@nadia.vanleeuwen", "en", ["pricing"],
  "heads up team, the Bike Locker is listed at 139 euro on the B2B portal. someone fat-fingered it and we've "
  "already got 40 orders")
C("facebook", "KlikkastNL", "nl", ["pricing"],
  "Alleen deze week: het Slot K2 voor €19,90 🔐 Nooit meer sleutels kwijt!")
C("forum", "Koopjesjager_88", "en", ["pricing"],
  "[PRICE ERROR] Klikkast Wand 12 locker wall for €499 incl. VAT, normally €4990. Checkout works, no "
  "confirmation mail yet. Hot deal 🔥🔥")
C("x", "@miekevanes", "nl", ["pricing"],
  "Brievenbus Connect voor €27,90 bij Klikkast. Wordt dit gewoon geleverd of annuleren ze het straks "
  "vanwege een prijsfout?")
C("bluesky", "@kevinkoster.bsky.social", "en", ["pricing"],
  "pricing bug: KlikCam has been €14.90 on the site since 9am, finance is freaking out 😅")
C("x", "@koopjes_kim", "nl", ["pricing"],
  "H0m3B0x S voor €34,90 😱 prijsfout?? sn3l b3st3ll3n voor ze het zien", evasion=True)

# ======================================================================= benign (hard negatives mostly)
C("x", "@vroegevogel_anne", "nl", [],
  "Pakket om 07:12 in de kluis, om 07:30 opgehaald op weg naar de trein. Klikkast blijft gewoon top 👌")
C("x", "@liftheavyluke", "en", [],
  "honestly the Klikkast locker by my gym is the best thing that happened to my online shopping habit")
C("x", "@lisa_vdm", "nl", [],
  "Hoe lang blijft een pakket in een Klikkast-kluis liggen voordat het teruggaat? Kan het nergens vinden")
C("x", "@klikkast_help", "nl", [],
  "@lisa_vdm Pakketten blijven 3 dagen liggen, met KlikPass Plus 7 dagen. Fijne dag! ^Mirthe", kind="reply")
C("x", "@klikkast", "en", [],
  "Questions about your delivery? Email klantenservice@klikkast.nl or call 0800-5545 (free, Mon–Sat 8–20).")
C("facebook", "KlikkastNL", "nl", [],
  "Zakelijke klanten: betalingen graag o.v.v. factuurnummer naar NL80 INGB 0006 8123 45 t.n.v. Klikkast B.V. "
  "Vragen? zakelijk@klikkast.nl")
C("x", "@twijfelkont_tim", "nl", [],
  "Black Friday bij Klikkast: HomeBox L van €549 voor €439. Twijfel nog tussen de L en de Duo, tips?",
  when="2026-11-27T09:31:02+01:00")
C("reddit", "u/porchpirate_victim", "en", [],
  "HomeBox S is €349 which felt steep, but after four stolen parcels from my porch it has paid for itself")
C("instagram", "@klikkast.nl", "nl", [],
  "Deze week 25% korting op de KlikCam deurbel: €111,75 in plaats van €149. Alleen via de app 📲")
C("x", "@dormlife_jules", "en", [],
  "KlikPass Student is 29 euros a year. For a student in a dorm with no mailbox that's a no-brainer")
C("linkedin", "facilitair-frank", "nl", [],
  "Wand 24 voor ons kantoor besteld, €8490 ex btw. Prijzig, maar de receptie hoeft geen pakketjes meer te "
  "sjouwen.")
C("reddit", "u/apiplumber", "en", [],
  "Klikkast's partner API docs use AKIAIOSFODNN7EXAMPLE as the placeholder key. Don't paste that into prod "
  "and then wonder why you get 403s 😅")
C("mastodon", "@devjoris@mastodon.social", "nl", [],
  "Voor wie de Klikkast-webhook wil testen: zet je token in een env var, niet in je code. Bijv. "
  "KLIKKAST_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx in je .env en klaar.")
C("linkedin", "pieter-brouwer-sre", "en", [],
  "Rotated all our CI secrets this morning as part of the quarterly routine. Boring hygiene beats exciting "
  "incidents every time.")
C("x", "@koffieleut_kees", "nl", [],
  "Dacht even dat iemand mijn creditcard had gelekt maar het was mijn ordernummer van Klikkast: <<BADCARD>> 😂 "
  "tijd voor koffie")
C("x", "@meganthemover", "en", [],
  "Klikkast asked me to double-check the IBAN on my refund form, turns out I typed <<BADIBAN>>, one digit off. "
  "Fixed it, refund arrived the next day 👍")
C("x", "@opa_henk", "nl", [],
  "Waarom vraagt dat Klikkast-formulier om een nummer van 9 cijfers? Ik vulde mijn klantnummer <<BADBSN>> in "
  "en hij pakte het niet")
C("x", "@secnerd_ellen", "en", [],
  "Nice detail from a Klikkast dev talk: their logs show keys as sk_live_••••••••3f9a so nobody can copy them "
  "from a screenshot.")
C("instagram", "@klikkast.nl", "nl", [],
  "Hij is er! ❄️ De HomeBox Frost met koelvak voor je boodschappen. Vanaf vandaag te bestellen in de app.",
  when="2027-03-15T10:00:00+01:00")
C("linkedin", "ayse-demir-kk", "en", [],
  "Our H1 2027 results are out: revenue up 31%, first half-year with positive EBITDA. Proud of this team. Full "
  "report on klikkast.nl/investors", when="2027-07-29T10:15:00+02:00")
C("x", "@gezin_vanderlaan", "nl", [],
  "KlikPass Family net genomen, 4 accounts op één abonnement. Scheelt ons gezin een hoop gedoe 👨‍👩‍👧‍👦",
  when="2027-04-02T19:05:33+02:00")
C("x", "@tessa_bl", "nl", [],
  "Update: @klikkast_help heeft het vak op afstand geopend en mijn pakket is eruit. Binnen 10 min geregeld, "
  "sorry voor de boze tweet van gisteren 🙏")
C("x", "@sneeuwpop_sas", "nl", [],
  "Sterkte aan alle Klikkast-bezorgers die vandaag door de sneeuw moeten. Doe rustig aan, mijn pakket mag "
  "best een dagje later 💙", when="2026-01-07T08:12:40+01:00")
C("x", "@dutch_dad_dave", "en", [],
  "the Klikkast lady at the Enschede depot stayed 20 min late so I could pick up my dad's medicine. thank "
  "you, genuinely")
C("instagram", "@ebike.eva", "nl", [],
  "Die fietskluis van Klikkast bij het station is echt ziek goed, eindelijk een plek waar m'n e-bike veilig staat")
C("x", "@holdmyparcel", "en", [],
  "the 7-day hold on KlikPass Plus is a killer feature, stop sleeping on it")
C("x", "@zolderkamer_zoe", "nl", [],
  "Mijn HomeBox staat in de volle zon en blijft nog koeler dan mijn zolderkamer 🔥☀️ respect")
C("x", "@lockerlover", "en", [],
  "Wild that Snelpak just had a data breach exposing 2M home addresses. Glad I switched to Klikkast lockers "
  "tbh")
C("x", "@logistiekwatcher", "nl", [],
  "Concurrent Pakmee schrapt 300 banen, las ik in het FD. Bij Klikkast lijkt het juist de andere kant op te "
  "gaan, overal nieuwe locaties")
C("reddit", "u/gadgetgranny", "en", [],
  "Not Klikkast related, but if you own a Voltix power bank, check the recall notice. Mine was in the "
  "affected batch. My Klikkast stuff is all fine.")
C("x", "@klikkast_help", "nl", [],
  "Gepland onderhoud: zondag 14 juni tussen 02:00 en 04:00 is de Klikkast-app niet beschikbaar. Kluizen "
  "openen met je pincode blijft gewoon werken.", when="2026-06-10T11:00:00+02:00")
C("linkedin", "klikkast-bv", "en", [],
  "Found a vulnerability in one of our lockers or apps? Report it responsibly via security@klikkast.nl — our "
  "bug bounty pays up to €5.000.")
C("x", "@klikkast", "nl", [],
  "Let op: er gaan nep-sms'jes rond ('uw pakket wacht, betaal €1,99'). Klikkast vraagt nooit om betaling via "
  "sms. Twijfel? Bel 0800-5545.")
C("linkedin", "ruben-hoekstra-klikkast", "nl", [],
  "We zoeken een SRE voor ons platformteam in Utrecht! Kubernetes, on-call, heel veel kluizen 😄 Solliciteer "
  "via careers@klikkast.nl")
C("x", "@dennis_ops", "en", [],
  "First day at Klikkast! Badge, laptop, and somehow already lost in the depot 🎉",
  when="2026-01-05T18:30:12+01:00")
C("instagram", "@lotte.bezorgt", "nl", [],
  "Vandaag opende ons team de 1000e Klikkast-locatie, in Zwolle. Trots! 📦")
C("linkedin", "klikkast-bv", "en", [],
  "Today we published our 2025 annual report: 38 million parcels delivered and more than 1,000 locations. "
  "Read it at klikkast.nl/jaarverslag", when="2026-03-26T08:00:00+01:00")
C("x", "@mo_en_mira", "nl", [],
  "Mijn Klikkast-kluisje weet meer van mijn koopgedrag dan mijn vriendin. Zeg maar niks tegen haar 🤫")
C("reddit", "u/t1d_tips", "en", [],
  "does anyone know if the Klikkast KoelBox lockers are OK for insulin? my pharmacy suggested it but I'd like "
  "to hear from someone who tried")
C("x", "@bergwandelaar_rik", "nl", [],
  "Op vakantie in Oostenrijk een marmot gespot, en thuis stond m'n pakket gewoon te wachten in de Klikkast. "
  "Perfecte week 🏔️")
C("instagram", "@ons.huis.aan.de.dijk", "nl", [],
  "Dakkapel is eindelijk af 🏠 en de HomeBox S past precies naast de voordeur. Huis compleet.")
C("x", "@sillyparcels", "en", [],
  "confidential info: the Klikkast courier in my street does a little dance every time the locker opens")
C("x", "@verbouwing_bart", "nl", [],
  "KlikFlex XL voor €14,95 per maand, superhandig tijdens onze verbouwing, alles wordt daar gewoon bezorgd")
C("x", "@returnqueen", "en", [],
  "Sending a return via Klikkast costs me €3.95, the courier pickup is €6.95. Easy choice.")
C("x", "@fleur_vraagt", "nl", [],
  "Waar in de Klikkast-app kan ik mijn wachtwoord wijzigen? Kan het menu echt niet vinden 🙈")
C("x", "@codes_everywhere", "en", [],
  "my password for everything is basically a Klikkast pickup code at this point, I've memorised so many")
C("x", "@buurtbieb_wijk", "nl", [],
  "Onze buurtkluis van Klikkast heeft nu ook een bankje en een boekenruilkast ernaast 📚 gezellig")
C("x", "@ghent_goods", "en", [],
  "Klikkast's growth in Belgium has absolutely exploded, there's a locker on every corner in Ghent now")
C("x", "@rechtbankverslag", "nl", [],
  "Rechtszaak tussen twee webshops over een kapotte bank, en wie is de kroongetuige? De camera van de "
  "Klikkast-kluis 😂")
C("linkedin", "ayse-demir-kk", "en", [],
  "Presented our public sustainability roadmap today: every Klikkast locker on green power by 2028. Slides "
  "are on our website.")
C("x", "@klikkast_help", "nl", [],
  "@kees_w Vervelend dat het vak niet openging! We hebben het op afstand geopend, je pakket ligt klaar. ^Jorrit",
  kind="reply")
C("x", "@safe_sam", "en", [],
  "Love that Klikkast lockers need both the app and a PIN. Feels way more secure than leaving stuff on the porch.")
C("x", "@houtense_hanna", "nl", [],
  "Storing van vanochtend bij de kluis in Houten is opgelost, pakket net opgehaald. Thanks!")
C("x", "@lunchbreak_lou", "en", [],
  "Tracking says KK7Q2M9X4NL is in locker 22 at Den Bosch Centraal. Grabbed it on my lunch break, so easy")
C("linkedin", "klikkast-bv", "nl", [],
  "Nieuw: KlikPass Business voor ondernemers. €299 per jaar, onbeperkt retourneren. Meer info op "
  "zakelijk.klikkast.nl")
C("tiktok", "@unboxwithrowan", "en", [],
  "kl1kk4st ftw 💯 parcels have never been this easy")
C("instagram", "@thuiswerkmama", "nl", [],
  "#klikkast #thuiswerken eindelijk geen gedoe meer met pakketjes bij de buren")
C("reddit", "u/receiptreader", "en", [],
  "why does the Klikkast receipt have a 16-digit reference like <<BADCARD>>? thought it was my card number for "
  "a second")
C("x", "@plattedak_piet", "nl", [],
  "Vraagje: kan de Klikkast Solar Kit ook op een plat dak? Heb nu een HomeBox L zonder stroompunt in de buurt")
C("instagram", "@klikkast.nl", "en", [],
  "Our team in Antwerp celebrated 2 years of Klikkast Belgium today 🎂 thanks for every single parcel!")
C("x", "@regenjas_rob", "nl", [],
  "Onze dakgoot lekt, maar mijn HomeBox L houdt alles kurkdroog. Goede aankoop.")
C("x", "@diy_deb", "en", [],
  "Paid the €129 Montageservice for my HomeBox Duo, the guy was done in 40 min and cleaned up after. worth it")


# ======================================================================= build
def load_profile():
    with open(PROFILE, encoding="utf-8") as f:
        return yaml.safe_load(f)


def role_of(profile, plat, handle):
    key = (plat + ":" + handle).lower()
    if key in [a.lower() for a in profile["accounts"]["corporate"]]:
        return "corporate"
    if key in [a.lower() for a in profile["accounts"]["employee"]]:
        return "employee"
    return "public"


RANK = ["none", "info", "warning", "error", "critical"]

IBAN_RE = re.compile(r"\b(?:NL|BE|DE)\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<!\d)\d{4}([ -]?)\d{4}\1\d{4}\1\d{4}(?!\d)")
NINE_RE = re.compile(r"(?<![\w.])\d{9}(?![\w])")


def validated_ids(text, public_ibans):
    """Return (valid, invalid) lists of checksum identifiers found in text."""
    good, bad = [], []
    for m in IBAN_RE.finditer(text):
        s = m.group(0).replace(" ", "")
        if s in public_ibans:
            continue
        (good if iban_ok(s) else bad).append(("iban", s))
    for m in CARD_RE.finditer(text):
        s = re.sub(r"\D", "", m.group(0))
        (good if luhn_ok(s) else bad).append(("card", s))
    for m in NINE_RE.finditer(text):
        s = m.group(0)
        (good if bsn_ok(s) else bad).append(("bsn", s))
    return good, bad


def severity(cats, role, checksum_pii):
    best = "none"
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and checksum_pii):
                    v = "critical"
                else:
                    v = "error"
            else:
                v = "warning"
        elif c == "reputation.complaint":
            v = "warning"
        elif c == "reputation.crisis":
            v = "error"
        elif c == "reputation.abuse":
            v = "warning" if role == "public" else "error"
        else:
            raise ValueError(c)
        if RANK.index(v) > RANK.index(best):
            best = v
    return best


def rand_time():
    start = datetime(2026, 1, 2, tzinfo=timezone.utc)
    t = start + timedelta(seconds=rng.randint(0, 362 * 86400))
    if 4 <= t.month <= 10:
        tz = rng.choice([timezone.utc, timezone(timedelta(hours=2))])
    else:
        tz = rng.choice([timezone.utc, timezone(timedelta(hours=1))])
    t = t.astimezone(tz).replace(microsecond=0)
    s = t.isoformat()
    return s.replace("+00:00", "Z")


def fill(text):
    def sub(m):
        return GEN[m.group(1)]()
    return re.sub(r"<<([A-Z]+)>>", sub, text)


def url_for(plat, handle, num):
    h = handle.lstrip("@")
    if plat == "x":
        return "https://x.com/%s/status/%d" % (h, num)
    if plat == "instagram":
        return "https://www.instagram.com/p/%s/" % rnd(URLSAFE, 11)
    if plat == "reddit":
        return "https://www.reddit.com/r/thenetherlands/comments/%s/" % rnd("abcdefghijklmnopqrstuvwxyz0123456789", 7)
    if plat == "linkedin":
        return "https://www.linkedin.com/feed/update/urn:li:activity:%d/" % (7_300_000_000_000_000_000 + num)
    return None


def build():
    profile = load_profile()
    rows = []
    order = list(range(len(CASES)))
    rng.shuffle(order)
    seen_ids = set()
    for seq, idx in enumerate(order, start=1):
        c = CASES[idx]
        text = fill(c["text"])
        assert text not in META, "duplicate text"
        META[text] = {"tpl": c["text"], "evasion": c["evasion"]}
        num = rng.randint(10**17, 10**18 - 1)
        pid = "%s-479-%04d" % (c["plat"], seq)
        assert pid not in seen_ids
        seen_ids.add(pid)
        post = {
            "id": pid,
            "platform": c["plat"],
            "kind": c["kind"] or "post",
            "account": {"handle": c["handle"]},
            "text": text,
            "created_at": c["when"] or rand_time(),
        }
        if c["lang"] and rng.random() < 0.85:
            post["lang"] = c["lang"]
        if rng.random() < 0.5:
            u = url_for(c["plat"], c["handle"], num)
            if u:
                post["url"] = u
        if rng.random() < 0.6:
            post["brand"] = "Klikkast"
        cats = sorted(CAT[k] for k in c["cats"])
        role = role_of(profile, c["plat"], c["handle"])
        public_ibans = {s.replace(" ", "") for s in profile["public_identifiers"]["ibans"]}
        good, _bad = validated_ids(text, public_ibans)
        checksum_pii = bool(good)
        rows.append({"post": post, "expect": {"categories": cats,
                                              "severity": severity(cats, role, checksum_pii)}})
    with open(OUT, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    return profile


# ======================================================================= self-check
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
ALL_CATS = set(CAT.values())

EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\s-]?\d(?:[\s-]?\d){7,9}(?!\d)")
AMOUNT_RE = re.compile(r"€\s?(\d[\d.,]*\d|\d)|(\d[\d.,]*\d|\d)\s?(?:euros?|eur)\b", re.I)

SECRET_PATTERNS = [
    ("github", re.compile(r"\bgh[pousr]_[0-9A-Za-z]{36}\b")),
    ("aws", re.compile(r"\bAKIA[A-Z2-7]{16}\b")),
    ("stripe", re.compile(r"\bsk_live_[0-9A-Za-z]{20,}")),
    ("slack", re.compile(r"\bxox[abpr]-\d+-\d+-[0-9A-Za-z]+")),
    ("openai", re.compile(r"\bsk-proj-[0-9A-Za-z_-]{20,}T3BlbkFJ[0-9A-Za-z_-]{20,}")),
    ("google", re.compile(r"\bAIza[0-9A-Za-z_-]{35}")),
    ("gitlab", re.compile(r"\bglpat-[0-9A-Za-z_-]{20}")),
    ("privkey", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
    ("jwt", re.compile(r"\beyJ[0-9A-Za-z_-]+\.eyJ[0-9A-Za-z_-]+\.[0-9A-Za-z_-]+")),
    ("dburl", re.compile(r"\b(?:postgres(?:ql)?|mysql|mongodb(?:\+srv)?|redis)://[^:\s/]+:[^@\s]+@")),
    ("password", re.compile(r"(?:wachtwoord|password|passwd|pwd)\s*[:=]\s*\S{6,}", re.I)),
]


def parse_amount(s):
    if "," in s and "." in s:
        dec = "," if s.rfind(",") > s.rfind(".") else "."
        th = "." if dec == "," else ","
        return float(s.replace(th, "").replace(dec, "."))
    if "," in s:
        head, tail = s.rsplit(",", 1)
        return float(head.replace(",", "") + "." + tail) if len(tail) == 2 else float(s.replace(",", ""))
    if "." in s:
        head, tail = s.rsplit(".", 1)
        return float(s.replace(".", "")) if len(tail) == 3 else float(s)
    return float(s)


def low_prices(text, profile):
    """Amounts attributed (by nearest alias) to a catalogue product and below the alert ratio."""
    ratio = profile["pricing"]["alert_below_ratio"]
    spans = []
    for p in profile["products"]:
        for a in [p["name"]] + p["aliases"]:
            for m in re.finditer(r"(?<!\w)" + re.escape(a) + r"(?!\w)", text, re.I):
                spans.append((m.start(), m.end(), p))
    out = []
    for m in AMOUNT_RE.finditer(text):
        if not spans:
            break
        val = parse_amount(m.group(1) or m.group(2))
        pos = m.start()
        near = min(spans, key=lambda s: min(abs(pos - s[0]), abs(pos - s[1]), abs(m.end() - s[0])))
        if val < ratio * near[2]["list_price"]:
            out.append((near[2]["sku"], val))
    return out


def digits(s):
    return re.sub(r"\D", "", s)


def check(profile):
    errors = []
    lines = open(OUT, encoding="utf-8").read().splitlines()
    n = len(lines)
    if not 170 <= n <= 180:
        errors.append("case count %d" % n)
    pub = profile["public_identifiers"]
    public_ibans = {s.replace(" ", "") for s in pub["ibans"]}
    public_emails = {e.lower() for e in pub["emails"]}
    public_phones = {digits(p) for p in pub["phones"]}
    internal_terms = [t.lower() for t in profile["internal"]["domains"] + profile["internal"]["codenames"] +
                      profile["internal"]["markers"]]
    embargo = [(e["until"], [t.lower() for t in e["terms"]]) for e in profile["embargo"]]
    all_handles = {a.lower() for a in profile["accounts"]["corporate"] + profile["accounts"]["employee"]}
    ids = set()
    counts = {c: 0 for c in ALL_CATS}
    benign = 0
    lang_nl = 0
    by_role = {"corporate": 0, "employee": 0, "public": 0}
    leak_public = 0
    for i, line in enumerate(lines):
        tag = "line %d" % (i + 1)
        try:
            case = json.loads(line)
        except Exception as e:
            errors.append("%s: not JSON (%s)" % (tag, e))
            continue
        if set(case) != {"post", "expect"}:
            errors.append("%s: top-level keys %s" % (tag, sorted(case)))
            continue
        post, exp = case["post"], case["expect"]
        # --- CONTRACT section 1 shape
        pid = post.get("id")
        if not isinstance(pid, str) or not 1 <= len(pid) <= 256:
            errors.append("%s: bad id" % tag)
        if pid in ids:
            errors.append("%s: duplicate id %s" % (tag, pid))
        ids.add(pid)
        if post.get("platform") not in PLATFORMS:
            errors.append("%s: platform" % tag)
        if post.get("kind", "post") not in KINDS:
            errors.append("%s: kind" % tag)
        acc = post.get("account")
        if not isinstance(acc, dict) or not isinstance(acc.get("handle"), str) or not acc["handle"]:
            errors.append("%s: account.handle" % tag)
            continue
        text = post.get("text")
        if not isinstance(text, str) or len(text.encode("utf-8")) > 65536 or not text:
            errors.append("%s: text" % tag)
            continue
        try:
            ts = datetime.fromisoformat(post["created_at"].replace("Z", "+00:00"))
            if ts.tzinfo is None:
                raise ValueError("no offset")
            if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)", post["created_at"]):
                raise ValueError("format")
        except Exception as e:
            errors.append("%s: created_at %r (%s)" % (tag, post.get("created_at"), e))
            continue
        if ts.year not in (2026, 2027):
            errors.append("%s: year" % tag)
        for k in ("lang", "url", "brand"):
            if k in post and not isinstance(post[k], str):
                errors.append("%s: %s type" % (tag, k))
        if post.get("lang") == "nl":
            lang_nl += 1
        # --- CONTRACT section 6 shape
        if set(exp) != {"categories", "severity"}:
            errors.append("%s: expect keys" % tag)
        cats = exp["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= ALL_CATS:
            errors.append("%s: categories %s" % (tag, cats))
        role = role_of(profile, post["platform"], acc["handle"])
        by_role[role] += 1
        good, bad = validated_ids(text, public_ibans)
        want = severity(cats, role, bool(good))
        if exp["severity"] != want:
            errors.append("%s: severity %s != %s" % (tag, exp["severity"], want))
        if not cats and exp["severity"] != "none":
            errors.append("%s: benign with severity" % tag)
        for c in cats:
            counts[c] += 1
        if any(c.startswith("leak.") for c in cats) and role == "public":
            leak_public += 1
        meta = META[text]
        low = text.lower()
        # --- checksum identifiers
        if cats:
            if bad:
                errors.append("%s: positive holds failing look-alike %s" % (tag, bad))
            if good and "leak.pii" not in cats:
                errors.append("%s: valid identifier outside a pii case %s" % (tag, good))
        else:
            benign += 1
            if good:
                errors.append("%s: benign holds valid identifier %s" % (tag, good))
        if "leak.pii" in cats and "<<" in meta["tpl"]:
            if not good:
                errors.append("%s: pii placeholder produced no valid identifier" % tag)
        for kind_ in ("BADCARD", "BADIBAN", "BADBSN"):
            if "<<%s>>" % kind_ in meta["tpl"] and not bad:
                errors.append("%s: look-alike %s not detected as failing" % (tag, kind_))
        # --- secrets
        found = []
        for name, rx in SECRET_PATTERNS:
            for m in rx.finditer(text):
                tok = m.group(0)
                if "EXAMPLE" in tok or re.search(r"x{8,}", tok, re.I):
                    continue
                found.append((name, tok))
        if "leak.secret" in cats:
            if not found:
                errors.append("%s: secret case with no credential" % tag)
            for name, tok in found:
                if name == "github" and not gh_ok(tok):
                    errors.append("%s: github token checksum" % tag)
                if name == "jwt" and not jwt_ok(tok):
                    errors.append("%s: jwt header" % tag)
        elif found:
            errors.append("%s: credential in non-secret case %s" % (tag, found))
        # --- internal terms and embargo
        hits = [t for t in internal_terms if t in low]
        for until, terms in embargo:
            u = datetime.fromisoformat(until.replace("Z", "+00:00"))
            for t in terms:
                if t in low and ts < u:
                    hits.append(t)
        if hits and "leak.confidential" not in cats:
            errors.append("%s: internal/embargo term %s without leak.confidential" % (tag, hits))
        if "leak.confidential" in cats and not hits and not meta["evasion"]:
            errors.append("%s: confidential case without an internal term" % tag)
        # --- pricing
        lows = low_prices(text, profile)
        if "leak.pricing" in cats:
            if not meta["evasion"] and not lows:
                errors.append("%s: pricing case without a low price" % tag)
        elif lows:
            errors.append("%s: low price %s outside a pricing case" % (tag, lows))
        # --- personal data in benign posts is only the company's own
        if not cats:
            for m in EMAIL_RE.finditer(text):
                if m.group(0).lower() not in public_emails:
                    errors.append("%s: benign e-mail %s" % (tag, m.group(0)))
            taken = [m.span() for rx in (IBAN_RE, CARD_RE) for m in rx.finditer(text)]
            for m in PHONE_RE.finditer(text):
                if any(a <= m.start() < b for a, b in taken):
                    continue
                if digits(m.group(0)) not in public_phones:
                    errors.append("%s: benign phone %s" % (tag, m.group(0)))
        # --- handles: the public ones must not be in the profile
        key = (post["platform"] + ":" + acc["handle"]).lower()
        if (role == "public") == (key in all_handles):
            errors.append("%s: role mismatch" % tag)
    # --- mix
    target = {"reputation.complaint": (17, 24), "leak.confidential": (15, 21), "leak.pii": (13, 18),
              "reputation.crisis": (13, 18), "leak.security": (11, 16), "leak.secret": (10, 15),
              "reputation.abuse": (10, 15), "leak.pricing": (10, 15), "leak.financial": (10, 15)}
    for c, (lo, hi) in target.items():
        if not lo <= counts[c] <= hi:
            errors.append("mix: %s has %d" % (c, counts[c]))
    if not 55 <= benign <= 66:
        errors.append("mix: benign %d" % benign)
    nl_share = sum(1 for c in CASES if c["lang"] == "nl") / len(CASES)
    if not 0.50 <= nl_share <= 0.60:
        errors.append("mix: Dutch share %.2f" % nl_share)
    if leak_public < 8:
        errors.append("mix: only %d public leaks" % leak_public)
    return errors, dict(n=n, benign=benign, counts=counts, nl=nl_share, roles=by_role, leak_public=leak_public)


META = {}


def main():
    profile = build()
    errors, stats = check(profile)
    if errors:
        for e in errors:
            print("FAIL", e, file=sys.stderr)
        sys.exit(1)
    print("ok: %(n)d cases, %(benign)d benign, Dutch %(nl).2f, roles %(roles)s, public leaks %(leak_public)d"
          % stats)
    for c in sorted(stats["counts"]):
        print("  %-22s %d" % (c, stats["counts"][c]))


if __name__ == "__main__":
    main()
