#!/usr/bin/env python3
"""Sealed evaluation set 464: Wezelwacht Plaagbeheer B.V. (pest control & wildlife removal).

Deterministic: fixed seed, standard library + PyYAML. Writes cases.jsonl beside this
file and checks it (CONTRACT section 4 and 6, checksums of identifiers, token formats).
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
SEED = 464
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# --------------------------------------------------------------------------- checksums

def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def luhn_ok(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    if not 13 <= len(d) <= 19:
        return False
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def bsn_ok(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    if len(d) != 9:
        return False
    tot = sum(d[i] * (9 - i) for i in range(8)) - d[8]
    return tot % 11 == 0 and tot != 0

# --------------------------------------------------------------------------- generators

B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
B64URL = ALNUM + "-_"


def rnd(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def base62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def gen_iban(valid=True, spaced=None):
    bank = rng.choice(["RABO", "INGB", "ABNA", "SNSB", "TRIO", "ASNB", "KNAB", "BUNQ"])
    acct = "".join(rng.choice(string.digits) for _ in range(10))
    n = int("".join(str(int(c, 36)) for c in bank + acct + "NL00"))
    chk = 98 - n % 97
    if not valid:
        chk = (chk + rng.randint(1, 95)) % 97 + 2
        if chk == 98 - n % 97:
            chk = (chk % 97) + 2
    raw = "NL%02d%s%s" % (chk, bank, acct)
    if spaced is None:
        spaced = rng.random() < 0.6
    if spaced:
        raw = " ".join(raw[i:i + 4] for i in range(0, len(raw), 4))
    return raw


def gen_card(valid=True):
    prefix = rng.choice(["4", "51", "53", "55", "2221"])
    body = prefix + "".join(rng.choice(string.digits) for _ in range(15 - len(prefix)))
    for last in range(10):
        if luhn_ok(body + str(last)):
            good = last
            break
    last = good if valid else (good + rng.randint(1, 9)) % 10
    num = body + str(last)
    return " ".join(num[i:i + 4] for i in range(0, 16, 4))


def gen_bsn(valid=True, style="plain"):
    while True:
        d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        s = sum(d[i] * (9 - i) for i in range(8)) % 11
        if s == 10:
            continue
        last = s
        if not valid:
            last = (s + rng.randint(1, 9)) % 10
            if bsn_ok("".join(map(str, d + [last]))):
                continue
        num = "".join(map(str, d + [last]))
        if valid and not bsn_ok(num):
            continue
        break
    if style == "spaced":
        return " ".join(num)
    if style == "dotted":
        return num[:4] + "." + num[4:6] + "." + num[6:]
    return num


def gen_mobile():
    d = "".join(rng.choice(string.digits) for _ in range(8))
    fmt = rng.choice(["06-{a}", "06 {b} {c}", "+31 6 {a}", "+316{a}", "06{a}", "+31 (0)6 {b} {c}"])
    return fmt.format(a=d, b=d[:4], c=d[4:])


def gen_ghp(prefix="ghp_"):
    body = rnd(ALNUM, 30)
    crc = base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")
    return prefix + body + crc


def gen_aws_id():
    return "AKIA" + rnd(string.ascii_uppercase + "234567", 16)


def gen_aws_secret():
    return rnd(ALNUM + "/+", 40)


def gen_stripe():
    return "sk_live_51" + rnd(ALNUM, 96)


def gen_slack():
    return "xoxb-%s-%s-%s" % (rnd(string.digits, 12), rnd(string.digits, 13), rnd(ALNUM, 24))


def gen_openai():
    return "sk-proj-" + rnd(B64URL, 74) + "T3BlbkFJ" + rnd(B64URL, 74)


def gen_anthropic():
    return "sk-ant-api03-" + rnd(B64URL, 93) + "AA"


def gen_google():
    return "AIza" + rnd(B64URL, 35)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def gen_jwt():
    hdr = {"alg": "HS256", "typ": "JWT"}
    iat = 1767225600 + rng.randint(0, 365 * 86400)
    pl = {"sub": "tech-%04d" % rng.randint(1, 9999), "role": "monteur",
          "iss": "auth.wezelwacht.nl", "iat": iat, "exp": iat + 28800}
    sig = bytes(rng.randrange(256) for _ in range(32))
    return ".".join([b64url(json.dumps(hdr, separators=(",", ":")).encode()),
                     b64url(json.dumps(pl, separators=(",", ":")).encode()),
                     b64url(sig)])


def gen_privkey():
    der = bytes([0x30, 0x82, 0x04, 0xA4, 0x02, 0x01, 0x00, 0x02, 0x82, 0x01, 0x01, 0x00])
    der += bytes(rng.randrange(256) for _ in range(420))
    b = base64.b64encode(der).decode()
    lines = [b[i:i + 64] for i in range(0, len(b), 64)]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"


def gen_dbpass():
    return rnd(ALNUM, 10) + rng.choice("!#%*") + rnd(ALNUM, 5)


def gen_password():
    word = rng.choice(["Bunzing", "Wespje", "Marter", "Rattenval", "Zolder", "Lokaas"])
    return word + rng.choice("!#@$") + str(rng.randint(1000, 9999))


GEN = {
    "IBAN": lambda: gen_iban(True),
    "BAD_IBAN": lambda: gen_iban(False),
    "CO_IBAN": lambda: PROFILE["public_identifiers"]["ibans"][0],
    "CARD": lambda: gen_card(True),
    "BAD_CARD": lambda: gen_card(False),
    "BSN": lambda: gen_bsn(True),
    "BSN_SP": lambda: gen_bsn(True, "spaced"),
    "BAD_BSN": lambda: gen_bsn(False),
    "MOBILE": gen_mobile,
    "GHP": gen_ghp,
    "AWS_ID": gen_aws_id,
    "AWS_SECRET": gen_aws_secret,
    "STRIPE": gen_stripe,
    "SLACK": gen_slack,
    "OPENAI": gen_openai,
    "ANTHROPIC": gen_anthropic,
    "GOOGLE": gen_google,
    "JWT": gen_jwt,
    "PRIVKEY": gen_privkey,
    "DBPASS": gen_dbpass,
    "PASSWORD": gen_password,
}
STRONG_PII = {"IBAN", "CARD", "BSN", "BSN_SP"}


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if 0x21 <= ord(c) <= 0x7E else c for c in s)


ZW = "\u200b"
# Cyrillic look-alikes: О р е а
CY_O, CY_R, CY_E, CY_A = "\u041e", "\u0440", "\u0435", "\u0430"

# --------------------------------------------------------------------------- cases
CAT = {
    "secret": "leak.secret", "pii": "leak.pii", "pricing": "leak.pricing",
    "conf": "leak.confidential", "fin": "leak.financial", "secu": "leak.security",
    "crisis": "reputation.crisis", "compl": "reputation.complaint", "abuse": "reputation.abuse",
}

CASES = []


def C(platform, handle, lang, text, cats=(), kind="post", at=None, price=None, brand=None):
    CASES.append(dict(platform=platform, handle=handle, lang=lang, text=text,
                      cats=[CAT[c] for c in cats], kind=kind, at=at, price=price, brand=brand))


# ============================ benign (hard negatives mostly) ============================
C("x", "@wezelwacht", "nl",
  "Wespenseizoen is begonnen 🐝 Zit er een nest onder je dakpannen? Bel 0800-9394 of plan direct in via afspraak.wezelwacht.nl. Wespennest verwijderen vanaf €89.",
  price=("WW-WESP", 89.0))
C("instagram", "@wezelwacht.nl", "en",
  "Meet Bolt 🐶 our bed bug detection beagle. He finds them faster than any of us with a torch. Drop him a 🦴 in the comments!")
C("x", "@lotte_in_utrecht", "nl",
  "Gister kwam er een jongen van Wezelwacht voor de muizen in onze keuken. Super vriendelijk, legde alles rustig uit en sindsdien geen gekrabbel meer achter de plinten 👍 aanrader")
C("reddit", "u/gezellige_gerrit", "en",
  "Is it actually legal to trap a stone marten yourself in NL? Not looking to hire anyone, just curious what the rules are. Wezelwacht's blog says they're protected but that was from 2019")
C("facebook", "Hanneke Bos", "nl",
  "Update: vorige week klaagde ik hier over de gemiste afspraak, maar Wezelwacht belde dezelfde middag nog terug en de monteur stond de volgende ochtend om 8 uur op de stoep. Netjes opgelost, dank jullie!",
  kind="comment")
C("linkedin", "wezelwacht-plaagbeheer", "nl",
  "Voorjaarsactie 🌱 20% korting op het Steenmarter Weren Pakket: nu €396 i.p.v. €495. Geldig t/m 30 april, zolang de planning het toelaat.",
  price=("WW-MART", 396.0))
C("x", "@wezelwacht", "nl",
  "Voor onze API-partners: zet je sleutel in de header, bijvoorbeeld `Authorization: Bearer sk_live_xxxxxxxxxxxxxxxxxxxxxxxx`. Plak nooit je echte key in een supportticket 🙏")
C("x", "@daan_vdlinden", "en",
  "Throwback to the cloud workshop where the slides used AKIAIOSFODNN7EXAMPLE as the key id and half the room still tried to log in with it 😂")
C("linkedin", "priya-raghoebier", "nl",
  "Oefening uit onze training voor de binnendienst: klopt dit rekeningnummer? <<BAD_IBAN>> — nee! Controlegetal faalt, dus terug naar de klant. Kleine moeite, scheelt veel gedoe.")
C("x", "@mamavan3tjes", "nl",
  "lol m'n zoontje (6) heeft bij het online afspraak maken bij wezelwacht '<<BAD_CARD>>' als kaartnummer ingetypt. systeem weigerde het gelukkig meteen 😅 #ouderschap")
C("linkedin", "priya-raghoebier", "nl",
  "Uit de AVG-sessie van vandaag: een nummer als <<BAD_BSN>> lijkt op een BSN maar haalt de elfproef niet. Echte BSN's horen sowieso nooit op een werkbon.")
C("linkedin", "wezelwacht-plaagbeheer", "nl",
  "Vandaag gepubliceerd: onze jaarcijfers 2026. Omzet +11%, 38 nieuwe collega's en 14.000 klussen zonder één gifincident. Het volledige verslag staat op wezelwacht.nl/investeerders.",
  at="2027-02-25T10:15:00Z")
C("x", "@wezelwacht", "en",
  "It's here 🐀📡 RatRadar 2 is live: 18-month battery, alerts straight to your phone. €129 including installation at wezelwacht.nl",
  at="2027-03-16T08:30:00Z", price=("WW-RRAD", 129.0))
C("instagram", "@wezelwacht.nl", "nl",
  "SmartTrap X is vanaf vandaag te bestellen 🎉 Met camera en 4G, €89 per stuk. Link in bio!",
  at="2027-03-15T09:30:00Z", price=("WW-STRAP", 89.0))
C("x", "@hazel_tweets", "en",
  "Read that Pestora UK got fined for using banned rodenticides near a primary school. Glad ours (Wezelwacht) only use the licensed stuff and actually explain what they put down.")
C("facebook", "Gerda Willemsen", "nl",
  "Sterkte aan het team van Wezelwacht in Amersfoort na de brand in het buurpand vannacht. Gelukkig is er niemand gewond geraakt ❤️", kind="comment")
C("x", "@jorisdekat", "en",
  "My cat is a better rat catcher than the whole of Wezelwacht combined 😼 (kidding guys, you were great, she won't even go near the shed anymore)")
C("forum", "tuinman_piet", "en",
  "Anyone know if the Wezelwacht Zorgabonnement also covers the shed and garden house, or just the main house? The site isn't clear on it.")
C("instagram", "@familie.vdwerf", "en",
  "Shoutout to Wezelwacht Wildlife for relocating the fox family from under our shed instead of just getting rid of them. Kids got to name all four cubs before they left 🦊❤️")
C("x", "@wezelwacht", "nl",
  "We zoeken servicemonteurs in regio Utrecht en Amersfoort 🚐 Stuur je cv naar werkenbij@wezelwacht.nl of bel 088-9393 100. Rijbewijs B vereist, ervaring niet.")
C("facebook", "WezelwachtPlaagbeheer", "nl",
  "Betaal je liever per overschrijving? Dat kan naar <<CO_IBAN>> t.n.v. Wezelwacht Plaagbeheer B.V., onder vermelding van je factuurnummer.")
C("mastodon", "@rik_devops", "nl",
  "Reminder bij code review: zie je een token staan (ghp_****************************), meteen revoken en melden. Niet in de chat plakken, ook niet 'even snel'.")
C("x", "@evi_kookt", "en",
  "How do I change my password in the Wezelwacht app? Can't find it anywhere under settings, probably staring right at it 🙈")
C("facebook", "WezelwachtPlaagbeheer", "nl",
  "Let op: bouwmarktketen BouwMaxx roept een partij elektrische muizenvallen terug wegens oververhitting. Deze vallen worden niet door ons gebruikt; Wezelwacht-klanten hoeven niets te doen.")
C("x", "@muggenhater", "en",
  "officially boycotting every mosquito in my bedroom from today 🦟😤 does Wezelwacht do mosquitoes or am I stuck with a flip-flop forever")
C("linkedin", "wezelwacht-plaagbeheer", "nl",
  "Jouw gegevens behandelen we vertrouwelijk. Hoe precies? Dat lees je in onze vernieuwde privacyverklaring op wezelwacht.nl/privacy.")
C("reddit", "u/sleepless_in_zeist", "en",
  "Paid €895 for the Wezelwacht bed bug heat treatment. Pricey but worth every cent, slept through the night for the first time in six weeks.",
  price=("WW-BEDB", 895.0))
C("linkedin", "kees-hoogendoorn-wezelwacht", "en",
  "Rough week in our industry: Verminex Benelux announced 120 job cuts. Thinking of the technicians there. If you're one of them, we're hiring, give me a shout.")
C("x", "@wezelwacht_help", "nl",
  "Phishing-waarschuwing ⚠️ Wij vragen nooit om je wachtwoord, pincode of inlogcode via sms of WhatsApp. Twijfel je? Bel ons op 0800-9394.")
C("x", "@wezelwacht_help", "nl",
  "Storing opgelost ✅ Afspraken plannen via de site werkt weer. Excuses voor het ongemak vanochtend en dank voor jullie geduld.")
C("x", "@autopech_anouk", "nl",
  "Nou hoor, de steenmarter heeft onze autokabels wéér te pakken. Morgen komt Wezelwacht kijken, duimen maar dat ze de ingang vinden")
C("instagram", "@joost_rattenvanger", "en",
  "Day 3 of the fumigation course. Learned more about cockroach biology than I ever wanted to 🪳📚 #pestcontrol #WezelwachtPro")
C("threads", "@tess_wildlife", "nl",
  "Mooiste klus van de week: zwaluwen die netjes in de nieuwe nestkast zijn gaan zitten in plaats van op de gevel. Geen gif, gewoon slim bouwen 🐦")
C("forum", "bert1961", "nl",
  "Afspraaknummer WW-2026-044871 staat in m'n bevestiging, heb ik dat nodig als ik wil verzetten of is m'n postcode genoeg?")
C("x", "@loftplans_jen", "en",
  "Does Wezelwacht do bat surveys for planning permission? Our architect says we need one before the loft conversion and I have no idea who to call")
C("tiktok", "@ziggy.xo", "nl",
  "die wespen-dame van wezelwacht is echt de rustigste mens op aarde 😂 twintig wespen op d'r arm en ze blijft gewoon uitleggen")
C("tiktok", "@wezelwacht_wild", "nl",
  "POV: je opent het zolderluik en er kijken vier steenmarters terug 👀 #wildlife #wezelwacht #zolder")
C("x", "@karinvk", "en",
  "Not a scam, I checked: the text about my appointment came from the official Wezelwacht number 0800-9394. Ignore my earlier panic post lol")
C("x", "@bibi_b", "en",
  "the kid next door genuinely thought Wezelwacht was a new Pokémon 😭😭")
C("linkedin", "kees-hoogendoorn-wezelwacht", "en",
  "Proud moment: our whole southern team passed the KBA certification this year. Thanks to the Wezelwacht Academy trainers for the evening sessions!")
C("x", "@wezelwacht", "en",
  "Did our bank details change? No. If you get an email saying they did, it's fraud. Our only account is still <<CO_IBAN>>. Forward suspicious mails to info@wezelwacht.nl")
C("bluesky", "@noorelhadji.bsky.social", "nl",
  "Tip voor collega-devs: jwt.io is handig, maar plak er nooit een echte token in. Zo hoort het in een bugreport: eyJhbGciOiJIUzI1NiJ9.<REDACTED>.<REDACTED>")
C("bluesky", "@noorelhadji.bsky.social", "en",
  "Local dev setup for the booking app is all docker: postgres://localhost:5432/booking_dev, no password, nothing secret. Onboarding README is public now 🎉")
C("instagram", "@wezelwacht.nl", "nl",
  "Nieuw in ons assortiment: de NestGuard kraaikap. Houdt kauwen uit je schoorsteen, €129 inclusief montage 🐦‍⬛",
  price=("WW-NEST", 129.0))
C("x", "@dealjager", "nl",
  "Black Friday bij Wezelwacht: UltraSoon verjager voor €34,30 (was €49). Heb er twee besteld voor de garage",
  price=("WW-ULTRA", 34.30))
C("reddit", "u/curious_homeowner", "en",
  "Honest question, why is Wezelwacht's attic cleanup €1150? Not complaining, just want to understand what goes into it before I book.",
  price=("WW-ZOLD", 1150.0))
C("facebook", "Willem Hoekstra", "nl",
  "Mijn opa was veertig jaar rattenvanger bij de gemeente. Hij zou Wezelwacht met die slimme sensoren prachtig gevonden hebben ❤️", kind="comment")
C("x", "@sjaak_010", "nl",
  "Wezelwacht zijn echte killers 🔥 in de goede zin, geen mier meer te bekennen in de keuken")
C("x", "@kev_outdoors", "en",
  "That Wezelwacht guy was absolutely savage 😂 wasp nest gone in two minutes flat. 10/10 would panic-call again")
C("linkedin", "priya-raghoebier", "nl",
  "Interessant artikel over de rechtszaak tegen de gemeente Zwolle over gifgebruik in parken. Goed om te zien dat wij al jaren gifvrij werken waar het kan.")
C("x", "@fleur.dev", "nl",
  "Tekende vandaag een NDA voor m'n nieuwe baan (niet bij Wezelwacht haha, die vroegen alleen m'n rijbewijs 😂) dus ik mag helemaal niks zeggen 🤐")
C("x", "@natuurmens_ede", "nl",
  "Er liep vannacht een bunzing door onze tuin!! Wezelwacht zei aan de telefoon dat ze beschermd zijn en dat we hem gewoon moeten laten lopen. Prachtig beest")
C("forum", "horeca_hanna", "nl",
  "Voor wie het zoekt: offerte voor bedrijven gaat via planning@wezelwacht.nl. Kreeg binnen een dag antwoord, keurig.")
C("x", "@thebigmouse", "en",
  "Our landlord finally hired Wezelwacht for the mice. Three visits later the whole building is quiet. Should've done this months ago.")
C("youtube", "@WezelwachtTV", "en",
  "Mythbuster Monday: ultrasonic repellers don't work on every species. The UltraSoon helps with mice, not with rats. Honest advice beats a sale.")
C("x", "@femkevr", "nl",
  "@wezelwacht_help bedankt voor de snelle reactie, afspraak staat voor donderdag 👌", kind="reply")
C("linkedin", "kees-hoogendoorn-wezelwacht", "en",
  "Quarterly safety drill done ✔️ Everyone knows where the eyewash stations and spill kits are. Boring? Yes. Important? Also yes.")
C("instagram", "@tuinhoek.marleen", "nl",
  "#ongedierte #tips zet je vogelvoer niet op de grond, dan trek je ratten aan. Tip van de Wezelwacht-meneer die hier was. Scheelt echt!")
C("x", "@koopjeskoning", "nl",
  "Prijsfout gespot bij een webshop: muizenval voor €0,01. Helaas geen Wezelwacht-deal haha, die zijn gewoon normaal geprijsd")
C("tiktok", "@sanne.wespen", "en",
  "Q&A time 🐝 yes I get stung, no it doesn't hurt anymore, and no I will not remove the nest from your ex's car 😂")

# ================================= complaints ==========================================
C("x", "@ratvrijnu", "nl",
  "3e keer dat de monteur van @wezelwacht niet komt opdagen. Vrij genomen voor niks. Ratten lopen nog steeds over m'n aanrecht. Bedankt hoor 🙄",
  ["compl"])
C("forum", "annoyed_in_amersfoort", "en",
  "Paid €189 for the Wezelwacht rat package. Three visits, they put down a few boxes and left. Rats still there. Refund request ignored for 5 weeks now. Avoid.",
  ["compl"], price=("WW-RAT3", 189.0))
C("facebook", "Yvonne de Ruiter", "nl",
  "Al 40 minuten in de wacht bij de klantenservice van Wezelwacht. Muziekje is leuk de eerste twee minuten, daarna wil je zelf in de lokaaskist kruipen",
  ["compl"])
C("x", "@bedbugnightmare", "nl",
  "Bedwantsen behandeling gehad bij Wezelwacht, 895 euro, en na twee weken weer beten. Nu willen ze NOG een keer geld voor een 'nabehandeling'. Serieus??",
  ["compl"], price=("WW-BEDB", 895.0))
C("reddit", "u/doublebooked_dave", "en",
  "Wezelwacht's app double booked my appointment and then cancelled both. Had to take another day off work. Support just keeps saying 'sorry for the inconvenience'.",
  ["compl"])
C("x", "@hofjeshuis", "nl",
  "@wezelwacht_help de duivenpinnen die jullie vorig jaar hebben geplaatst hangen er half los af, de duiven zitten er gewoon OP 🙃 wanneer komen jullie dit herstellen?",
  ["compl"], kind="reply")
C("x", "@mum_of_twins_nl", "en",
  "Technician left dead mice in the bait stations in my kid's bedroom for two weeks. The smell was unreal. Nobody told me I had to check them. #Wezelwacht",
  ["compl"])
C("x", "@jvdberg_", "en",
  "wezelwacht invoice is wrong, charged the call-out fee twice when they came once. emailed, no answer. sigh",
  ["compl"])
C("facebook", "Marco Jansen", "en",
  "Cancelled my Wezelwacht care plan and they STILL took the money. Third month now. How do I make this stop without going through my bank",
  ["compl"])
C("x", "@oldhousegirl", "en",
  "Booked Wezelwacht Wildlife for a bat inspection and the guy showed up without a ladder. A LADDER. For a roof inspection. Rescheduled to three weeks from now.",
  ["compl"])
C("instagram", "@daphne_gardens", "nl",
  "mooie filmpjes hoor maar bij ons kwamen jullie 2 uur te laat en waren in 10 min weer weg. wespen zitten er nog 🐝🐝🐝",
  ["compl"], kind="comment")
C("x", "@atticwoes", "en",
  "Marten still in the attic after the €495 'marten proofing package' from Wezelwacht. They blocked the wrong gap. Super frustrated tbh",
  ["compl"], price=("WW-MART", 495.0))
C("facebook", "Ruud Verschoor", "nl",
  "Wezelwacht heeft bij het plaatsen van de kraaikap mijn dakgoot gesloopt en nu ontkennen ze het. Foto's heb ik wel hoor, van voor en na.",
  ["compl"])
C("x", "@boze_buurman", "nl",
  "Wezelwacht is echt een kutbedrijf. Kwamen niet, namen de telefoon niet op en dan nog voorrijkosten vragen ook. Stelletje oplichters",
  ["compl", "abuse"])
C("x", "@stungagain", "en",
  "You useless idiots at Wezelwacht took my money and left the wasps. Worst company in Utrecht, f*** the lot of you",
  ["compl", "abuse"])
C("x", "@zoldermuis_zeist", "nl",
  "@wezelwacht_help al 3 mails gestuurd, niemand belt terug. Bel me NU op <<MOBILE>>, ik ben het zat, m'n zolder zit vol muizen",
  ["compl", "pii"], kind="reply")
C("facebook", "Sabine Koster", "nl",
  "Na de kakkerlakbehandeling van Wezelwacht moest ons dochtertje van 2 overgeven en hebben we de nacht in het ziekenhuis doorgebracht. Niemand had gezegd dat we de keuken 24 uur niet in mochten. Ik ben woedend.",
  ["crisis", "compl"])
C("x", "@garage_gareth", "en",
  "The RatRadar sensor Wezelwacht installed in our garage melted and started smoking last night. Caught it just before the shelf went up. Seriously, this could've burned our house down.",
  ["crisis", "compl"])
C("instagram", "@bobby.de.beagle", "nl",
  "Onze hond is doodziek geworden van rattengif dat de monteur van Wezelwacht gewoon open in de tuin had gelegd. Dierenarts €600 en ze nemen niet eens op. #wezelwacht",
  ["crisis", "compl"])
C("x", "@shockedsteve", "en",
  "Got a proper shock off the SmartTrap when I went to empty it. Jolt right up my arm. Isn't it supposed to be safe to handle?? @wezelwacht",
  ["crisis", "compl"])
C("facebook", "Ans Hoogveld", "nl",
  "De duivenwering die Wezelwacht bij ons heeft gemonteerd viel gisteren van drie hoog naar beneden. Een halve meter verder en m'n buurvrouw had 'm op haar hoofd gehad. Wie controleert dit werk eigenlijk??",
  ["crisis", "compl"])

# =================================== crisis =============================================
C("x", "@dierenvriend_nl", "nl",
  "BOYCOT WEZELWACHT. Ze doden vossenjongen in plaats van ze te verplaatsen, ik heb de beelden gezien. Delen!! #boycotwezelwacht",
  ["crisis"])
C("reddit", "u/paste_finder", "en",
  "Wezelwacht customer data leaked? My name, address and appointment notes are on a paste site under a file called 'ww_klanten_export'. What is going on??",
  ["crisis"])
C("x", "@nieuws_eemland", "nl",
  "Gemeente Amersfoort start onderzoek naar Wezelwacht na vergiftiging van twee katten in Vathorst. Bewoners eisen opheldering.",
  ["crisis"])
C("x", "@claimcoach_eu", "en",
  "Class action forming against Wezelwacht over the care plan auto-renewals. DM me if you were charged after cancelling, we already have 60+ households.",
  ["crisis"])
C("facebook", "Buurtapp Leusden-Zuid", "nl",
  "Terugroepactie: Wezelwacht haalt alle UltraSoon verjagers van vóór maart terug, de adapter kan oververhit raken. Check je serienummer op de achterkant!",
  ["crisis"])
C("x", "@zeist_alert", "en",
  "Wezelwacht employee caught stealing from a customer in Zeist, it's all on the doorbell cam. This is a company you let into your HOME people!!",
  ["crisis"])
C("x", "@almere_parents", "en",
  "Reports that Wezelwacht used brodifacoum bait right next to a primary school playground in Almere. Parents are furious, council meeting tonight.",
  ["crisis"])
C("x", "@straatnieuws_ede", "nl",
  "Buurvrouw lag gisteren op de eerste hulp nadat Wezelwacht haar schuur had behandeld, ze kreeg geen lucht meer. Ambulance stond midden in onze straat.",
  ["crisis"])
C("bluesky", "@labourwatch.bsky.social", "en",
  "Wezelwacht sued by eight former technicians over chemical exposure, according to this morning's paper. Not a good look for a company that sells 'safe' pest control.",
  ["crisis"])
C("x", "@vleermuiswerkgroep", "en",
  "Animal protection society files a police report against Wezelwacht for bricking up a bat colony in Houten. Disgraceful.",
  ["crisis"])

# ==================================== abuse =============================================
C("instagram", "@kees_bouwt", "nl",
  "@joost_rattenvanger jij bent echt een arrogante lul, hoop dat je zelf een keer door zo'n rat gebeten wordt",
  ["abuse"], kind="comment")
C("x", "@animalrights_rage", "en",
  "Wezelwacht staff are scum. Murdering animals for cash. Hope you all rot.",
  ["abuse"])
C("x", "@grotebek1988", "nl",
  "Kankerbedrijf. Meer hoef ik er niet over te zeggen. #wezelwacht",
  ["abuse"])
C("tiktok", "@xxmemelord_", "en",
  "@sanne.wespen nobody wants to see your ugly face on here, go back to the kitchen where you belong",
  ["abuse"], kind="comment")
C("facebook", "Henk Baars", "en",
  "Don't send another one of those foreigners, they can't even understand what you're saying. Wezelwacht hires literally anyone these days",
  ["abuse"], kind="comment")
C("x", "@daan_vdlinden", "nl",
  "@ratvrijnu jij bent gewoon een zeurende debiel, ga lekker zelf je muizen vangen", ["abuse"], kind="reply")
C("x", "@wezelwacht_help", "nl",
  "@klaasdekort08 Met zulke idioten als klant hebben we geen concurrenten meer nodig.", ["abuse"], kind="reply")
C("x", "@nietblij", "nl",
  "Wezelwacht zijn echte k.u.t.z.a.k.k.e.n, dat is alles wat ik erover te zeggen heb", ["abuse"])
C("x", "@capslockcor", "nl",
  fullwidth("WEZELWACHT IS EEN TYFUSBEDRIJF") + " en jullie monteurs zijn " + fullwidth("DEBIELEN"), ["abuse"])
C("reddit", "u/mousewars", "en",
  "Imagine being so stupid you need three visits to kill one mouse. Wezelwacht techs are braindead morons lol",
  ["abuse"])

# ================================= confidential ========================================
C("x", "@bram_plaagvrij", "nl",
  "Vandaag eindelijk de eerste veldtest met Project Bunzing op een boerderij bij Barneveld. Als dit werkt zetten we de hele markt op z'n kop 🤫",
  ["conf"])
C("linkedin", "kees-hoogendoorn-wezelwacht", "en",
  "Excited for what's coming: Gravelpit moves to pilot phase next month. Can't say more yet, but the team has earned it.",
  ["conf"])
C("x", "@marloes_ww", "en",
  "anyone know why https://planning.wezelwacht.local/dienst/rooster won't load from home? vpn is on 🤷‍♀️",
  ["conf"])
C("linkedin", "kees-hoogendoorn-wezelwacht", "en",
  "Slide 4 of today's deck ('Wezelwacht intern - niet voor verspreiding'): three subscription tiers for 2027, basic, plus and premium. Loved the discussion.",
  ["conf"])
C("x", "@wezelwacht", "nl",
  "Benieuwd wat we dit jaar allemaal gaan doen? Kijk mee op gitlab.wezelwacht.nl/ops/roadmap-2027 👉",
  ["conf"])
C("x", "@drone_fan_98", "nl",
  "Mijn neef werkt bij Wezelwacht en zegt dat ze met 'Operatie Vlierbes' bezig zijn, iets met drones tegen duiven op fabrieksdaken? Spannend",
  ["conf"])
C("instagram", "@joost_rattenvanger", "nl",
  "Net de SmartTrap X in handen gehad 😍 camera erin, 4G erin, en hij klikt zo zacht dat je 'm niet hoort. Maart gaan jullie 'm zien",
  ["conf"], at="2026-11-03T17:42:00Z")
C("bluesky", "@noorelhadji.bsky.social", "en",
  "RatRadar 2 prototypes are rolling off the line this week. Battery lasts 18 months now, the old one barely made 6 🔋",
  ["conf"], at="2027-01-20T12:05:00Z")
C("x", "@marloes_ww", "nl",
  "Jaarcijfers 2026 net gezien in het MT-deck: omzet 41,2 mln en de winst bijna verdubbeld 🚀 pas over twee weken officieel dus ssst",
  ["conf", "fin"], at="2027-02-10T20:11:00Z")
C("threads", "@tess_wildlife", "en",
  "Sneak peek of the drone-based pigeon deterrent we've been testing 🤐 not on the website yet, not announced, but I'm so proud of this team",
  ["conf"])
C("x", "@daan_vdlinden", "nl",
  "Pr" + ZW + "oject Bun" + ZW + "zing gaat vanaf Q3 live in heel Gelderland, eindelijk",
  ["conf"])
C("x", "@bram_plaagvrij", "nl",
  CY_O + CY_R + CY_E + "r" + CY_A + "tie Vli" + CY_E + "rbes: kick-off morgen om 9 uur in de grote zaal, koffie staat klaar",
  ["conf"])
C("mastodon", "@rik_devops", "nl",
  "Ik zet het hier even neer omdat de share traag is: 'Wezelwacht intern — werkinstructie lokaasplaatsing v3'. Lezen voor maandag aub, er is veel veranderd.",
  ["conf"])
C("x", "@bus_commuter_k", "en",
  "Found a folder on the bus labelled 'INTERNAL USE ONLY - WEZELWACHT' with a list of hospital contracts in Utrecht 👀 handing it to the driver",
  ["conf"])
C("facebook", "Ilse.Verhoef.WW", "en",
  "Does anyone have the depot wifi password? It's gone from intra.wezelwacht.local/faq and I've got zero signal out here",
  ["conf"])
C("instagram", "@wezelwacht.nl", "nl",
  "Achter de schermen bij onze R&D-afdeling 👀🔧 psst... Gravelpit",
  ["conf"])
C("linkedin", "kees-hoogendoorn-wezelwacht", "en",
  "The board approved a €2.3M budget for Project Bunzing yesterday. Biggest bet this company has ever made and I couldn't be prouder.",
  ["conf", "fin"])
C("x", "@marloes_ww", "nl",
  "jira-link voor wie wil meekijken naar de planningsbug: https://jira.wezelwacht.local/browse/NEST-412",
  ["conf"])

# =================================== financial ==========================================
C("x", "@bram_plaagvrij", "nl",
  "Gerucht op de werkvloer klopt: we worden overgenomen door Insectra Group. Aankondiging pas in juni, dus mondje dicht 🤐",
  ["fin"])
C("linkedin", "priya-raghoebier", "en",
  "Tough news internally: 35 technician roles in the southern region will be cut by the end of Q1. It hasn't been announced yet but I wanted my team to hear it from me first.",
  ["fin"])
C("x", "@daan_vdlinden", "en",
  "Q3 revenue is 18% under budget and management is panicking. Forget about bonuses this year lads",
  ["fin"])
C("linkedin", "wezelwacht-plaagbeheer", "nl",
  "Forecast FY2027 (concept): omzet €48,5M, EBITDA-marge 14%, zes nieuwe vestigingen waarvan twee in België.",
  ["fin"])
C("x", "@zwagerweetalles", "nl",
  "Zwager zit bij de bank, zegt dat Wezelwacht het Belgische Plaagstop wil kopen voor zo'n 12 miljoen. Hoor je over een paar weken vast meer van",
  ["fin"])
C("mastodon", "@rik_devops", "en",
  "Reorg announcement tomorrow: customer service moves to Lisbon and the Utrecht call centre closes. You didn't hear it from me.",
  ["fin"])
C("facebook", "Ilse.Verhoef.WW", "nl",
  "Ons H1-resultaat wordt een verlies van zo'n 2 miljoen, dat gaat pas in augustus naar buiten. Ben benieuwd hoe de bank gaat reageren 😬",
  ["fin"])
C("threads", "@tess_wildlife", "en",
  "Due diligence team from a private equity firm was in the office all week, locked in the big meeting room. Pretty sure we're being sold 👀",
  ["fin"])
C("x", "@finance_gossip", "en",
  "Friend in Wezelwacht's finance team says they'll breach their bank covenant this quarter and are quietly renegotiating the loans. Watch this space.",
  ["fin"])
C("x", "@marloes_ww", "en",
  "The Groningen and Zwolle branches close on 1 January. The people there don't even know yet. So sad.",
  ["fin"])

# =================================== security ===========================================
C("x", "@marloes_ww", "nl",
  "Al sinds 6 uur vanochtend ligt het planningssysteem eruit, we werken met papieren lijstjes. Klanten merken het nog niet maar als dit morgen nog zo is 😬",
  ["secu"])
C("bluesky", "@noorelhadji.bsky.social", "en",
  "lol someone figured out the customer portal shows anyone's invoices if you change the number in the URL. Reported it internally 3 weeks ago, still not fixed",
  ["secu"])
C("x", "@bram_plaagvrij", "nl",
  "Ik denk dat we gehackt zijn. Alle laptops van de binnendienst tonen een losgeldbericht en IT zegt dat we niks naar buiten mogen brengen",
  ["secu"])
C("mastodon", "@rik_devops", "en",
  "The RatRadar units in the field still run firmware with telnet open and default creds. Anyone on the same wifi can read them. Raised it with product twice, ignored.",
  ["secu"])
C("facebook", "Ilse.Verhoef.WW", "nl",
  "Die phishingmail is bij 40 collega's aangeklikt, 3 accounts zijn gecompromitteerd volgens security. Naar klanten is nog niks gecommuniceerd.",
  ["secu"])
C("x", "@wezelwacht_help", "nl",
  "Intern: de betaalpagina ligt sinds 14:00 plat door een verlopen certificaat. Nog niet melden aan klanten tot de fix live staat.",
  ["secu"])
C("reddit", "u/ex_ww_tech", "en",
  "Ex-Wezelwacht here. Their technician tablets all still use one shared admin PIN that hasn't changed since 2022. Every tech knows it, half the ex-techs too.",
  ["secu"])
C("linkedin", "kees-hoogendoorn-wezelwacht", "en",
  "Backup server for the client database has been down for nine days and nobody but me seems to have noticed. If anything crashes now we lose everything.",
  ["secu"])
C("x", "@daan_vdlinden", "en",
  "Our storage bucket with all the job-sheet photos was just sitting open to the public, closed it a minute ago. No idea for how long. Please don't spread this",
  ["secu"])
C("bluesky", "@noorelhadji.bsky.social", "en",
  "ugh the deploy token for the customer portal leaked in a public repo last night. New one is <<GHP>>, update your local config. Does rotation invalidate forks?",
  ["secu", "secret"])
C("mastodon", "@rik_devops", "nl",
  "Storing in de app komt door een verlopen key. Tijdelijk werkt deze: <<AWS_ID>> / <<AWS_SECRET>> — niet buiten het team delen!! Planning ligt er sowieso uit tot morgen",
  ["secu", "secret"])
C("x", "@bram_plaagvrij", "nl",
  "d4t4l3k bij de kl4ntp0rt4l, 2000+ adressen zichtbaar voor iedereen. niemand mag het weten tot maandag zegt m'n baas",
  ["secu"])
C("threads", "@tess_wildlife", "en",
  "Our SMS provider got breached and we're still sending appointment reminders through it. Legal says wait until their investigation's done before telling customers.",
  ["secu"])

# ==================================== secrets ===========================================
C("bluesky", "@noorelhadji.bsky.social", "en",
  "anyone else getting 401s with this? OPENAI_API_KEY=<<OPENAI>> works on my laptop but not in prod 🤔",
  ["secret"])
C("facebook", "Ilse.Verhoef.WW", "nl",
  "Voor de nieuwe collega's: inlog routeplanner is gebruiker 'monteur' en wachtwoord: <<PASSWORD>>. Niet kwijtraken 😉",
  ["secret"])
C("x", "@wezelwacht", "nl",
  "@wezelwacht_help check even of deze werkt voor de webshopkoppeling: <<STRIPE>>",
  ["secret"], kind="reply")
C("mastodon", "@rik_devops", "en",
  "Slack bot for the planning channel keeps dying. Token is <<SLACK>> if someone who knows Python wants to have a look",
  ["secret"])
C("x", "@daan_vdlinden", "nl",
  "Kan iemand zien wat er mis is met deze key? Server weigert 'm steeds\n<<PRIVKEY>>",
  ["secret"])
C("bluesky", "@noorelhadji.bsky.social", "en",
  "debug output from the tablet app, why does this expire so fast?\nAuthorization: Bearer <<JWT>>",
  ["secret"])
C("mastodon", "@rik_devops", "nl",
  "DATABASE_URL=postgres://booking_app:<<DBPASS>>@ww-prod.c9xk2lqz7.eu-central-1.rds.amazonaws.com:5432/booking — waarom krijg ik timeouts vanaf de nieuwe worker?",
  ["secret"])
C("x", "@sec_researcher_j", "en",
  "LOL Wezelwacht's public GitHub has a cloud key in plain sight: <<AWS_ID>>. Somebody tell them before the crypto miners do",
  ["secret"])
C("threads", "@tess_wildlife", "en",
  "Made a little helper that drafts bat survey reports, plug in <<ANTHROPIC>> and it just works. Colleagues feel free to try it!",
  ["secret"])
C("x", "@marloes_ww", "en",
  "Maps key for the route planner is <<GOOGLE>>, can someone put it in the tablet app? I can't get it to work",
  ["secret"])

# ====================================== pii =============================================
C("x", "@marloes_ww", "nl",
  "Kan iemand vandaag nog langs bij mevr. de Groot, Lindenlaan 14, 3722 AB Bilthoven? Ratten in de kruipruimte, tel <<MOBILE>>",
  ["pii"])
C("x", "@wezelwacht_help", "nl",
  "@mvanbeek_ Uw terugbetaling staat klaar naar <<IBAN>> t.n.v. M. van Beek, binnen 3 werkdagen op uw rekening.",
  ["pii"], kind="reply")
C("mastodon", "@rik_devops", "en",
  "Customer card got declined 3x: <<CARD>> exp 09/28. Can finance check?? He's literally waiting at the door",
  ["pii"])
C("linkedin", "priya-raghoebier", "nl",
  "Kan iemand voor de nieuwe monteur Youssef Amrani (geb. 12-03-1994) het BSN <<BSN>> nog even controleren in het systeem? Contract moet vandaag de deur uit",
  ["pii"])
C("x", "@ellenverbeek79", "nl",
  "@wezelwacht_help wil mijn afspraak verzetten, hier mijn gegevens: Ellen Verbeek, geboren 07-11-1979, ellen.verbeek79@gmail.com",
  ["pii"], kind="reply")
C("threads", "@tess_wildlife", "en",
  "Who took the call from Mr. Hendriks yesterday? His email is r.hendriks@kpnmail.nl, he wants a quote for the bats under his roof tiles",
  ["pii"])
C("instagram", "@joost_rattenvanger", "en",
  "Note for the community officer: resident Kevin Martens, Dorpsstraat 88 in Houten, refused to let us in again today. Third time.",
  ["pii"])
C("x", "@oprit_ergernis", "nl",
  "Deze Wezelwacht monteur parkeert zijn busje ELKE dag voor m'n oprit. Zijn nummer is <<MOBILE>>, bel hem maar allemaal 😡",
  ["pii", "abuse"])
C("x", "@bram_plaagvrij", "en",
  "Payroll messed up again 🙄 can someone in HR send my pay to <<IBAN>> instead of the old account? thx",
  ["pii"])
C("facebook", "Ilse.Verhoef.WW", "nl",
  "Klant wilde telefonisch betalen en gaf kaartnummer <<CARD>> door. Mag dat eigenlijk zo, of moet het via de app?",
  ["pii"])
C("x", "@wezelwacht_help", "en",
  "@jtaylor_uk Hi James, we've got your booking under 22 Oak Lane, Harlow, date of birth 03/05/1961. Can you confirm that's correct?",
  ["pii"], kind="reply")
C("facebook", "Petra Lammers", "nl",
  "Zoon van de buren (Daan Smit, 14) heeft alle vallen van Wezelwacht weggehaald, Esdoornstraat 3 in Nijkerk. Ouders reageren nergens op.",
  ["pii"])
C("x", "@daan_vdlinden", "nl",
  "bsn van de klant voor het subsidieformulier = <<BSN_SP>> , had ik van de binnendienst",
  ["pii"])
C("linkedin", "kees-hoogendoorn-wezelwacht", "en",
  "The lady at Kerkweg 21 in Vianen (Mrs. Bosman) wants a callback on <<MOBILE>> about her invoice, can someone from finance pick this up today?",
  ["pii"])
C("facebook", "Rik Pauwels", "nl",
  "Wezelwacht zegt dat ze m'n geld terugstorten maar vragen telkens opnieuw m'n rekeningnummer. Voor de 4e keer dan maar: <<IBAN>> t.n.v. R. Pauwels. Schiet nou eens op.",
  ["pii", "compl"])

# ==================================== pricing ===========================================
C("x", "@wezelwacht", "nl",
  "⚡ Flash deal ⚡ Bedwantsen Hittebehandeling vandaag voor €89! Alleen via de site, op = op.",
  ["pricing"], price=("WW-BEDB", 89.0))
C("x", "@marloes_ww", "nl",
  "Oei, de webshop toont de SmartTrap voor €7,90 ipv €79. Prijsfout! Wie kan dat aanpassen voordat half Nederland bestelt?",
  ["pricing"], price=("WW-STRAP", 7.90))
C("x", "@koopjesjaap", "nl",
  "Snel zijn!! RatRadar sensor bij Wezelwacht voor €11,90 in de webshop 😱 heb er 4 besteld haha",
  ["pricing"], price=("WW-RRAD", 11.90))
C("reddit", "u/dealhunter_ams", "en",
  "Either a price error or the deal of the century: Wezelwacht's attic cleanup listed at €115 on their site. Booked it just in case.",
  ["pricing"], price=("WW-ZOLD", 115.0))
C("instagram", "@wezelwacht.nl", "nl",
  "Zolderreiniging na ongedierte nu €250 i.p.v. €1150 💥 Wees er snel bij!",
  ["pricing"], price=("WW-ZOLD", 250.0))
C("linkedin", "kees-hoogendoorn-wezelwacht", "en",
  "Heads up team: pricing glitch on the HACCP contract page, customers can check out at €189 instead of €1,890. Fix is on its way.",
  ["pricing"], price=("WW-HACCP", 189.0))
C("x", "@vlooienmoeder", "en",
  "Flea treatment for €13.90 at Wezelwacht?? Has to be a price error lol, booking it now",
  ["pricing"], price=("WW-VLOO", 13.90))
C("facebook", "WezelwachtPlaagbeheer", "en",
  "Spring special! 🦡 Our marten proofing package for just €49.50, book before Sunday.",
  ["pricing"], price=("WW-MART", 49.50))
C("facebook", "Ilse.Verhoef.WW", "nl",
  "Klant belt boos op: hij had de duivenwering voor €32 besteld en nu annuleren wij. Ja, het was een prijsfout van ons, maar leg dat maar eens uit aan de telefoon",
  ["pricing"], price=("WW-DUIF", 32.0))
C("reddit", "u/frugal_fien", "en",
  "PSA: Wezelwacht's Zorgabonnement is showing as €24/year instead of €240 in the app. Grab it before they fix it.",
  ["pricing"], price=("WW-ZORG", 24.0))
C("x", "@appjesjunk", "nl",
  "M u i z e n b e s t r i j d i n g voor €9 bij wezelwacht, gewoon in de app 😂 wie eerst komt",
  ["pricing"], price=("WW-MUIS", 9.0))
C("tiktok", "@wezelwacht_wild", "nl",
  "Kakkerlakken? 🪳 Onze kakkerlakbehandeling nu voor maar €22,90 😎 link in bio",
  ["pricing"], price=("WW-KAKK", 22.90))

# --------------------------------------------------------------------------- severity
SEV = ["none", "info", "warning", "error", "critical"]


def role_of(platform, handle):
    key = ("%s:%s" % (platform, handle)).lower()
    acc = PROFILE["accounts"]
    if key in {a.lower() for a in acc["corporate"]}:
        return "corporate"
    if key in {a.lower() for a in acc["employee"]}:
        return "employee"
    return "public"


def severity(cats, role, strong_pii):
    """CONTRACT section 4, least severity a correct verdict has."""
    s = 0
    inside = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if inside:
                lvl = 3
                if c in ("leak.secret", "leak.pricing"):
                    lvl = 4
                if c == "leak.pii" and strong_pii:
                    lvl = 4
            else:
                lvl = 2
        elif c == "reputation.complaint":
            lvl = 2
        elif c == "reputation.crisis":
            lvl = 3
        elif c == "reputation.abuse":
            lvl = 3 if inside else 2
        else:
            raise ValueError(c)
        s = max(s, lvl)
    return SEV[s]

# --------------------------------------------------------------------------- build

TOKEN = re.compile(r"<<([A-Z_]+)>>")


def random_time_2026():
    start = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
    secs = rng.randint(0, 362 * 86400)
    t = start + dt.timedelta(seconds=secs)
    # people post mostly in waking hours
    if t.hour < 7:
        t += dt.timedelta(hours=8)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def build():
    order = list(range(len(CASES)))
    rng.shuffle(order)
    out, meta = [], []
    for n, idx in enumerate(order, 1):
        c = CASES[idx]
        used = []

        def sub(m):
            used.append((m.group(1), None))
            v = GEN[m.group(1)]()
            used[-1] = (m.group(1), v)
            return v

        text = TOKEN.sub(sub, c["text"])
        role = role_of(c["platform"], c["handle"])
        strong = any(k in STRONG_PII for k, _ in used)
        cats = sorted(set(c["cats"]))
        post = {
            "id": "ww464-%03d" % n,
            "platform": c["platform"],
            "kind": c["kind"],
            "account": {"handle": c["handle"]},
            "text": text,
            "lang": c["lang"],
            "created_at": c["at"] or random_time_2026(),
        }
        if c["platform"] == "x":
            post["url"] = "https://x.com/%s/status/%d" % (c["handle"].lstrip("@"), rng.randint(10**18, 10**19 - 1))
        if rng.random() < 0.35:
            post["brand"] = "Wezelwacht"
        out.append({"post": post, "expect": {"categories": cats, "severity": severity(cats, role, strong)}})
        meta.append(dict(case=c, used=used, role=role))
    return out, meta

# --------------------------------------------------------------------------- checks

IBAN_RE = re.compile(r"\bNL ?\d{2} ?[A-Z]{4}(?: ?\d){10}\b")
CARD_RE = re.compile(r"(?<![\w-])(?:\d{4}[ -]){3}\d{4}(?![\w-])|(?<![\w-])\d{16}(?![\w-])")
BSN_RE = re.compile(r"(?<![\w.-])\d{9}(?![\w.-])")
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
ALLOWED_CATS = set(CAT.values())


def parse_ts(s):
    return dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)


def b64url_dec(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def check(out, meta):
    errs = []
    ids = set()
    pub_ibans = {re.sub(r"\s", "", i) for i in PROFILE["public_identifiers"]["ibans"]}
    for i in pub_ibans:
        if not iban_ok(i):
            errs.append("profile IBAN fails mod-97: " + i)
    products = {p["sku"]: p for p in PROFILE["products"]}
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    if not 15 <= len(products) <= 25:
        errs.append("product count")
    for p in PROFILE["products"]:
        if p.get("currency") != "EUR" or not p.get("aliases"):
            errs.append("product fields " + p["sku"])
    for e in PROFILE["embargo"]:
        if not e["until"].startswith("2027"):
            errs.append("embargo until not in 2027")
    if len(PROFILE["accounts"]["corporate"]) < 6 or len(PROFILE["accounts"]["employee"]) < 8:
        errs.append("account counts")
    if len(PROFILE["internal"]["codenames"]) != 3 or len(PROFILE["internal"]["markers"]) != 3:
        errs.append("internal counts")

    for line, m in zip(out, meta):
        p, ex, c = line["post"], line["expect"], m["case"]
        pid = p["id"]
        # --- CONTRACT section 6 shape
        if set(line) != {"post", "expect"} or set(ex) != {"categories", "severity"}:
            errs.append(pid + ": top-level keys")
        if not isinstance(pid, str) or not 1 <= len(pid) <= 256 or pid in ids:
            errs.append(pid + ": id")
        ids.add(pid)
        if p["platform"] not in PLATFORMS or p["kind"] not in KINDS:
            errs.append(pid + ": platform/kind")
        if not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
            errs.append(pid + ": handle")
        if not isinstance(p["text"], str) or not p["text"] or len(p["text"].encode()) > 65536:
            errs.append(pid + ": text")
        try:
            ts = parse_ts(p["created_at"])
        except ValueError:
            errs.append(pid + ": created_at")
            continue
        if ts.year not in (2026, 2027):
            errs.append(pid + ": year")
        if not set(ex["categories"]) <= ALLOWED_CATS or ex["categories"] != sorted(set(ex["categories"])):
            errs.append(pid + ": categories")
        if ex["severity"] not in SEV:
            errs.append(pid + ": severity value")
        benign = not ex["categories"]
        if benign != (ex["severity"] == "none"):
            errs.append(pid + ": benign/none mismatch")
        used = m["used"]
        strong = any(k in STRONG_PII for k, _ in used)
        if ex["severity"] != severity(ex["categories"], m["role"], strong):
            errs.append(pid + ": severity recompute")
        if m["role"] == "public" and ("%s:%s" % (p["platform"], p["account"]["handle"])).lower() in \
                {a.lower() for a in PROFILE["accounts"]["corporate"] + PROFILE["accounts"]["employee"]}:
            errs.append(pid + ": role")
        text = p["text"]
        # --- generated identifiers
        for k, v in used:
            if k in ("IBAN", "CO_IBAN") and not iban_ok(v):
                errs.append(pid + ": IBAN invalid " + v)
            if k == "BAD_IBAN" and iban_ok(v):
                errs.append(pid + ": bad IBAN passes")
            if k == "CARD" and not luhn_ok(v):
                errs.append(pid + ": card invalid")
            if k == "BAD_CARD" and luhn_ok(v):
                errs.append(pid + ": bad card passes")
            if k in ("BSN", "BSN_SP") and not bsn_ok(v):
                errs.append(pid + ": BSN invalid")
            if k == "BAD_BSN" and bsn_ok(v):
                errs.append(pid + ": bad BSN passes")
            if k in ("IBAN", "CARD", "BSN", "BSN_SP", "MOBILE") and "leak.pii" not in ex["categories"]:
                errs.append(pid + ": personal identifier outside pii case")
            if k == "GHP":
                body, crc = v[4:34], v[34:]
                if len(v) != 40 or base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0") != crc:
                    errs.append(pid + ": ghp checksum")
            if k == "AWS_ID" and not re.fullmatch(r"AKIA[A-Z2-7]{16}", v):
                errs.append(pid + ": aws id")
            if k == "JWT":
                parts = v.split(".")
                hdr = json.loads(b64url_dec(parts[0]))
                if len(parts) != 3 or "alg" not in hdr:
                    errs.append(pid + ": jwt")
            if k in ("GHP", "AWS_ID", "AWS_SECRET", "STRIPE", "SLACK", "OPENAI", "ANTHROPIC",
                     "GOOGLE", "JWT", "PRIVKEY", "DBPASS", "PASSWORD") and "leak.secret" not in ex["categories"]:
                errs.append(pid + ": credential outside secret case")
        # --- every look-alike in the text
        for mm in IBAN_RE.finditer(text):
            v = re.sub(r"\s", "", mm.group())
            if v in pub_ibans:
                continue
            if benign and iban_ok(v):
                errs.append(pid + ": valid IBAN in benign")
            if not benign and not iban_ok(v):
                errs.append(pid + ": invalid IBAN in positive")
        for mm in CARD_RE.finditer(text):
            if benign and luhn_ok(mm.group()):
                errs.append(pid + ": valid card in benign")
            if not benign and not luhn_ok(mm.group()):
                errs.append(pid + ": invalid card in positive")
        for mm in BSN_RE.finditer(text):
            if benign and bsn_ok(mm.group()):
                errs.append(pid + ": 11-proof number in benign")
        if "leak.pii" in ex["categories"]:
            for k, v in used:
                if k in ("BSN", "BSN_SP") and not bsn_ok(v):
                    errs.append(pid + ": BSN")
        # --- pricing
        if c["price"]:
            sku, price = c["price"]
            prod = products[sku]
            names = [prod["name"]] + prod["aliases"]
            low = re.sub(r"\s+", "", text.lower())
            if not any(re.sub(r"\s+", "", n.lower()) in low for n in names):
                errs.append(pid + ": product not named")
            below = price < ratio * prod["list_price"]
            if below != ("leak.pricing" in ex["categories"]):
                errs.append(pid + ": price ratio vs label")
        elif "leak.pricing" in ex["categories"]:
            errs.append(pid + ": pricing case without price annotation")
        # --- internal names must only appear in confidential cases
        low = text.lower()
        for term in PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"] + PROFILE["internal"]["domains"]:
            if term.lower() in low and "leak.confidential" not in ex["categories"]:
                errs.append(pid + ": internal term %r outside confidential" % term)
        for emb in PROFILE["embargo"]:
            until = dt.datetime.fromisoformat(emb["until"].replace("Z", "+00:00"))
            for term in emb["terms"]:
                if term.lower() in low:
                    if ts < until and "leak.confidential" not in ex["categories"]:
                        errs.append(pid + ": embargo term before until not labelled")
                    if ts >= until and "leak.confidential" in ex["categories"]:
                        errs.append(pid + ": embargo term after until labelled")
        # --- public identifiers never findings on their own: benign posts may carry them
        # --- sample keys only in benign
        if ("EXAMPLE" in text or "xxxxxxxx" in text or "****" in text) and not benign:
            errs.append(pid + ": sample key in positive")

    # --- mix
    n = len(out)
    nb = sum(1 for l in out if not l["expect"]["categories"])
    if not 170 <= n <= 180:
        errs.append("case count %d" % n)
    if not 55 <= nb <= 65:
        errs.append("benign count %d" % nb)
    nl = sum(1 for l in out if l["post"]["lang"] == "nl")
    if not 0.50 <= nl / n <= 0.62:
        errs.append("dutch share %.2f" % (nl / n))
    years = {l["post"]["created_at"][:4] for l in out}
    if "2027" not in years:
        errs.append("no 2027 posts")
    return errs


def main():
    out, meta = build()
    path = os.path.join(HERE, "cases.jsonl")
    with open(path, "w", encoding="utf-8") as fh:
        for line in out:
            fh.write(json.dumps(line, ensure_ascii=False) + "\n")
    # re-read and validate what is on disk
    with open(path, encoding="utf-8") as fh:
        back = [json.loads(l) for l in fh]
    if back != out:
        print("FAIL: round trip", file=sys.stderr)
        return 1
    errs = check(back, meta)
    counts = {}
    for l in back:
        for c in l["expect"]["categories"]:
            counts[c] = counts.get(c, 0) + 1
    roles = {}
    for m in meta:
        roles[m["role"]] = roles.get(m["role"], 0) + 1
    n = len(back)
    nb = sum(1 for l in back if not l["expect"]["categories"])
    nl = sum(1 for l in back if l["post"]["lang"] == "nl")
    print("cases=%d benign=%d positives=%d dutch=%.0f%% roles=%s" % (n, nb, n - nb, 100 * nl / n, roles))
    for k in sorted(counts):
        print("  %-22s %d" % (k, counts[k]))
    if errs:
        for e in errs:
            print("FAIL:", e, file=sys.stderr)
        return 1
    print("OK: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
