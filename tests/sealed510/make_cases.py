#!/usr/bin/env python3
"""Build cases.jsonl for evaluation set sealed510 (Kalkwijk & Zonen Orgelbouw B.V.).

Deterministic (fixed seed). Post texts are hand-written; credentials and personal
identifiers are generated here the way the real ones are built (with their checksums),
look-alikes in benign posts are generated to FAIL their checksum. Severities are derived
from CONTRACT section 4 and the account role in profile.yaml, never typed by hand.
The script writes cases.jsonl next to itself and then checks it; it exits non-zero on
any problem.
"""
import base64
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
rng = random.Random(510_2026)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

ROLE = {}
for role in ("corporate", "employee"):
    for acc in PROFILE["accounts"][role]:
        ROLE[acc.lower()] = role
PUBLIC_IBANS = {i.replace(" ", "").upper() for i in PROFILE["public_identifiers"]["ibans"]}

# --------------------------------------------------------------------------------------
# generators
# --------------------------------------------------------------------------------------
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
URLSAFE = B62 + "_-"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
B64 = B62 + "+/"


def rand(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def to_b62(n, width=6):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return s.rjust(width, "0")


def github_token(prefix="ghp_"):
    body = rand(B62, 30)
    return prefix + body + to_b62(zlib.crc32(body.encode()))


def github_token_ok(tok):
    body, crc = tok[4:34], tok[34:40]
    return len(tok) == 40 and to_b62(zlib.crc32(body.encode())) == crc


def aws_key_id():
    return "AKIA" + rand(B32[:26] + "234567", 16)


def aws_secret():
    return rand(B64, 40)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt(payload):
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64url(bytes(rng.getrandbits(8) for _ in range(32)))
    return f"{head}.{body}.{sig}"


def openssh_key():
    raw = (b"openssh-key-v1\x00\x00\x00\x00\x04none\x00\x00\x00\x04none\x00\x00\x00\x00\x00\x00\x00\x01"
           + b"\x00\x00\x00\x33\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20"
           + bytes(rng.getrandbits(8) for _ in range(330)))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def luhn_ok(digits):
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def digits_failing_luhn(n):
    while True:
        s = str(rng.randint(1, 9)) + rand("0123456789", n - 1)
        if not luhn_ok(s):
            return s


def card(prefix="4", valid=True):
    while True:
        s = prefix + rand("0123456789", 16 - len(prefix))
        if luhn_ok(s) == valid:
            return " ".join(s[i:i + 4] for i in range(0, 16, 4))


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9:
        return False
    total = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return total % 11 == 0


def bsn(valid=True):
    while True:
        s = str(rng.randint(1, 6)) + rand("0123456789", 8)
        if bsn_ok(s) == valid:
            return s


def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def iban(cc, bban, valid=True, grouped=True):
    r = bban + cc + "00"
    check = 98 - int("".join(str(int(c, 36)) for c in r)) % 97
    if not valid:
        check = (check + rng.randint(1, 9)) % 97 or 13
    s = f"{cc}{check:02d}{bban}"
    assert iban_ok(s) == valid, s
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4)) if grouped else s


def nl_iban(bank, valid=True, grouped=True):
    return iban("NL", bank + rand("0123456789", 10), valid, grouped)


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# --------------------------------------------------------------------------------------
# generated values (order matters for determinism)
# --------------------------------------------------------------------------------------
GB_IBAN = iban("GB", "NWBK" + rand("0123456789", 14))
NL_IBAN_REFUND = nl_iban("INGB")
NL_IBAN_PENNING = nl_iban("RABO", grouped=False)
NL_IBAN_COLLEAGUE = nl_iban("ASNB")
NL_IBAN_BAD = nl_iban("ABNA", valid=False)
BSN_HIRE = bsn()
BSN_BAD = bsn(valid=False)
BSN_BAD_FMT = f"{BSN_BAD[:3]}.{BSN_BAD[3:6]}.{BSN_BAD[6:]}"
CARD_VISA = card("4")
CARD_SERIAL_BAD = card("5412", valid=False)
ORDER_NO_BAD = bsn(valid=False)

GH_TOKEN = github_token("ghp_")
AWS_ID = aws_key_id()
AWS_SECRET = aws_secret()
STRIPE_LIVE = "sk_live_" + rand(B62, 24)
SLACK_BOT = "xoxb-" + digits_failing_luhn(12) + "-" + digits_failing_luhn(13) + "-" + rand(B62, 24)
OPENAI_KEY = "sk-" + rand(B62, 20) + "T3BlbkFJ" + rand(B62, 20)
DB_PASSWORD = rand(B62, 6) + "!" + rand(B62, 5)
MOLLIE_LIVE = "live_" + rand(B62, 30)
JWT_TUNER = jwt({"sub": "tech-17", "name": "Lieke Stam", "role": "tuner",
                 "iat": 1781000000, "exp": 1781086400})
SSH_KEY = openssh_key()
GOOGLE_KEY = "AIza" + rand(URLSAFE, 35)
GITLAB_PAT = "glpat-" + rand(URLSAFE, 20)
ANTHROPIC_KEY = "sk-ant-api03-" + rand(URLSAFE, 93) + "AA"

CATS = {
    "complaint": "reputation.complaint", "crisis": "reputation.crisis", "abuse": "reputation.abuse",
    "pii": "leak.pii", "conf": "leak.confidential", "fin": "leak.financial", "sec": "leak.security",
    "secret": "leak.secret", "price": "leak.pricing",
}

CASES = []


def add(platform, handle, lang, cats, text, when=None, kind=None, ids=()):
    """cats: short names; ids: (kind, value, must_be_valid) for identifiers in the text."""
    CASES.append(dict(platform=platform, handle=handle, lang=lang,
                      cats=sorted(CATS[c] for c in cats), text=text, when=when,
                      kind=kind, ids=list(ids)))


# ======================================================================================
# POSITIVES
# ======================================================================================

# ---- complaints ----------------------------------------------------------------------
add("x", "@organist_annet", "nl", ["complaint"],
    "Derde keer dat de stemmer van @kalkwijk_orgel niet komt opdagen. Kerstnachtdienst over 4 dagen en de Trompet klinkt als een kat in de wasmachine 😤 #orgel",
    "2026-12-20T19:42:00Z")
add("reddit", "u/baroque_bart", "en", ["complaint"],
    "Bought the Registra D-340 for our living room last spring. Left speaker has had a constant 50Hz hum since week 2 and support keeps telling me to 'reseat the cable'. I've reseated it like 40 times. Anyone else?",
    "2026-05-11T21:03:00Z")
add("facebook", "ProtGemeenteWesterveen", "nl", ["complaint"],
    "De restauratie van ons orgel zou in september 2025 klaar zijn. Inmiddels is het maart 2026, de kerk staat nog vol steigers en Kalkwijk reageert niet meer op de mails van de kerkenraad. Teleurstellend is een understatement.",
    "2026-03-08T12:15:00Z")
add("x", "@hymnsandhops", "en", ["complaint"],
    "@registra_help the Registra Link driver STILL doesn't work on Windows 11 24H2. 3 weeks, 2 tickets, 0 answers. my Hauptwerk setup is now a very expensive paperweight",
    "2026-06-02T22:47:00Z", "reply")
add("x", "@kosterharm", "nl", ["complaint"],
    "Ze hebben de hele consistorie onder het stof achtergelaten na het intoneren. Wie mag dat opruimen? Wij vrijwilligers zeker. Netjes hoor Kalkwijk 🙄")
add("youtube", "@TheFugueStateOfMind", "en", ["complaint"],
    "Paid for the Stemabonnement Plus specifically because it includes an emergency visit. Had a cipher on the Swell during a funeral, called the 'emergency' line, got a callback six days later. What exactly am I paying for??",
    None, "comment")
add("instagram", "@pianojuf_eline", "nl", ["complaint"],
    "Lyra orgelbank geleverd met een scheur in de zitting én een wiebelpoot. Foto's gestuurd, 'we nemen contact met u op'. Dat was 17 dagen geleden. #kalkwijk #klantenservice #nietblij")
add("forum", "pedaalpeter", "nl", ["complaint"],
    "Factuur van Kalkwijk voor de herintonatie kwam ruim €4.200 hoger uit dan de offerte, zonder enig overleg vooraf. 'Meerwerk' noemen ze dat. Iemand ervaring met bezwaar maken bij die club?")
add("mastodon", "@cantor_mx@organ.social", "en", ["complaint"],
    "Registra Home 1 studieorgel: three keys on the lower manual started double-triggering after the last firmware update. Support says it's 'expected behaviour'. A key playing twice is not a feature, folks.")
add("threads", "@jeugdorgel_tim", "nl", ["complaint"],
    "pedaalklavier PK-30 piept bij elke C en D alsof er een muis onder zit 🐭 garantie? 'valt onder normale slijtage'. na 4 maanden?? kom op zeg",
    "2026-07-14T16:20:00Z")
add("bluesky", "@sarah-plays-bach.bsky.social", "en", ["complaint"],
    "The Kalkwijk crew promised our chapel organ would be done before Easter. It's Pentecost. Half the pipes are still lying on the choir loft floor in cardboard boxes.",
    "2026-05-24T10:05:00Z")
add("x", "@woedendekoster", "nl", ["complaint", "abuse"],
    "Kalkwijk is gewoon een stelletje oplichters en prutsers. 3 maanden wachten op een windmachine die dan ook nog herrie maakt als een bouwlift. Klootzakken.")
add("x", "@angry_cantor", "en", ["complaint", "abuse"],
    "@kalkwijk_orgel your so-called master voicer is an arrogant idiot who wrecked the Vox Humana on our organ and then lectured our organist about it. incompetent clowns, the whole lot of you",
    None, "reply")
add("x", "@mevrouwdijkstra", "nl", ["complaint", "pii"],
    "@registra_help bel me nou gewoon terug ipv steeds te mailen, 06-41287365, ik ben de hele dag thuis. Orgel geeft al een week geen geluid!!",
    "2026-02-10T08:12:00Z", "reply")
add("facebook", "Graham Whitcombe", "en", ["complaint", "pii"],
    f"Six weeks and still no refund for the Sonus 2 set I sent back. Kalkwijk, for the third time: my account is {GB_IBAN}, G. Whitcombe. It isn't complicated.",
    None, "comment", [("iban", GB_IBAN, True)])
# first-hand safety incidents: crisis + complaint
add("x", "@cantorij_elst", "nl", ["crisis", "complaint"],
    "Tijdens de repetitie kwam er ROOK uit de Ventus 3 windmachine die Kalkwijk vorige maand bij ons heeft geplaatst. Kerk ontruimd, brandweer erbij. Dit had echt heel anders kunnen aflopen. Wie keurt zulke installaties eigenlijk??")
add("reddit", "u/organscholar_kev", "en", ["crisis", "complaint"],
    "Got a proper shock off the metal key cheek of my Registra D-220 this morning, whole arm tingled for an hour. Unit is 8 months old, earthed socket. I'm not touching it again until someone from Registra explains this.")
add("facebook", "Wilma Hoekstra", "nl", ["crisis", "complaint"],
    "Mijn zoon (14) kreeg gisteren een loden pijp op zijn hoofd toen hij bij de orgelrestauratie in onze kerk stond te kijken. Kalkwijk had niks afgezet. Vier hechtingen en een hersenschudding. Ik ben woedend.",
    None, "comment")
add("x", "@cantor_dirkjan", "nl", ["crisis", "complaint"],
    "Onze Lyra orgelbank van Kalkwijk zakte midden in de dienst onder onze organiste in elkaar. Blauwe plekken en flink geschrokken, het had veel erger kunnen zijn. Poot gewoon afgebroken bij de verbinding. @kalkwijk_orgel dit vraagt om een terugroepactie")
add("instagram", "@orgelmeisje", "nl", ["crisis", "complaint"],
    "Na het lakken van de orgelkas door Kalkwijk zaten drie koorleden met hoofdpijn en misselijkheid op de eerste hulp, stank tot in de sacristie. Ventilatie? Nooit van gehoord blijkbaar 🤢")

# ---- crisis (third party / news / boycott / breach) ------------------------------------
add("x", "@nieuws_vechtdal", "nl", ["crisis"],
    "Brand in Sint-Nicolaaskerk mogelijk ontstaan bij soldeerwerk van orgelbouwer Kalkwijk. Brandweer kon uitbreiding voorkomen, het orgel is zwaar beschadigd. Politie doet onderzoek.")
add("x", "@heritagewatch_eu", "en", ["crisis"],
    "Reports that Kalkwijk & Zonen quietly sold 17th-century pipework from a restored Frisian organ to a private collector and replaced it with new pipes. If true, this is a heritage scandal. The Rijksdienst needs to investigate.",
    "2026-04-18T09:30:00Z")
add("x", "@kerkmuziek_journaal", "nl", ["crisis"],
    "Protestantse gemeente in Overijssel sleept Kalkwijk Orgelbouw voor de rechter om mislukte restauratie: ruim €310.000 betaald, orgel onbespeelbaar volgens een onafhankelijke adviseur.")
add("x", "@orgcollector", "en", ["crisis"],
    "Registra has recalled the Sonus 2 speaker set — the amplifier board can overheat. If you own one, unplug it now. Please RT.")
add("x", "@erfgoedboos", "nl", ["crisis"],
    "#BoycotKalkwijk — een bedrijf dat ons erfgoed verkwanselt verdient geen enkele kerkopdracht meer. Kerkbesturen: kies een andere orgelbouwer!! 📢")
add("mastodon", "@infosec_hanna@infosec.exchange", "en", ["crisis"],
    "Looks like Registra's customer portal has been leaking names, addresses and order histories of thousands of organ owners. Found the dump on a forum this morning. @registra_help have you notified the Dutch DPA yet?")
add("x", "@orgelnieuws_nl", "nl", ["crisis"],
    "Arbeidsinspectie legt werkplaats Kalkwijk in Kampen stil na meldingen over loodstof. Medewerkers zouden jarenlang zonder afzuiging hebben gegoten.")
add("reddit", "u/pipedream_nl", "nl", ["crisis"],
    "Van een vriend bij de kathedraal gehoord: bij de restauratie door Kalkwijk is gisteravond een stuk steiger naar beneden gekomen. Gelukkig stond er niemand onder. De bouwers is blijkbaar gezegd hun mond te houden.")
add("tiktok", "@kerkjongeren_zwolle", "nl", ["crisis"],
    "dit is echt schandalig: Kalkwijk laat stagiairs van 16 onbetaald in loodstof werken 😡 deel dit zodat iedereen het weet #schandaal #kalkwijk")
add("bluesky", "@dutchchoirnews.bsky.social", "en", ["crisis"],
    "A class action is forming against Registra over D-220 organs giving electric shocks. At least 12 owners have signed up so far according to the law firm.")

# ---- abuse -------------------------------------------------------------------------
add("x", "@stemvork_hater", "nl", ["abuse"],
    "Die Marieke van @kalkwijk_orgel is een arrogant wijf dat geen bal van intoneren snapt. Ga lekker terug naar je kantoortje, muts")
add("x", "@grumpyorganist", "en", ["abuse"],
    "kalkwijk = bunch of fucking amateurs. shove your 'heritage craftsmanship' up your arse")
add("instagram", "@xxwouterxx", "nl", ["abuse"],
    "k4nk3rl1jers zijn het bij kalkwijk, allemaal 🤮", None, "comment")
add("youtube", "@PedalPointPete", "en", ["abuse"],
    "The guy in this video from Kalkwijk is a complete moron. Who let this idiot anywhere near a 300 year old organ?",
    None, "comment")
add("facebook", "Henk Bosma", "nl", ["abuse"],
    "Die Turk die ze bij Registra aan de telefoon hebben zetten versta je niet eens. Stuur die maar terug naar zijn eigen land.",
    None, "comment")
add("x", "@pipe_troll", "en", ["abuse"],
    "Joost Kalkwijk is a pathetic nepotist loser who only has a job because daddy owns the place. nobody likes you joost")
add("x", "@kalkwijk_orgel", "nl", ["abuse"],
    "@woedendekoster hou je kop toch eens, zeurpiet. Jij snapt er werkelijk geen reet van.",
    None, "reply")
add("x", "@joostkalkwijk", "en", ["abuse"],
    "Honestly that church council in Oldebroek is the dumbest bunch of cretins I've ever had to deal with. Brain-dead, every single one.")
add("x", "@anon_orgel", "nl", ["abuse"],
    "kut bedrijf met je kut orgels. @registra_help krijg allemaal de pleuris")
add("x", "@cantus_hater", "en", ["abuse"],
    "f.u.c.k y.o.u kalkwijk, s.c.u.m")

# ---- personal data ------------------------------------------------------------------
add("bluesky", "@liekestemt.bsky.social", "nl", ["pii"],
    "Morgen stemmen in Hattem. De koster heet Gerrit Wolters, 06-23874519, kan iemand van kantoor hem bellen als ik te laat ben? 😅 file op de A28 natuurlijk")
add("linkedin", "ruben-doornbos-orgelbouw", "en", ["pii"],
    f"Welcome to our new colleague Priya Raman! 🎉 For HR: her BSN is {BSN_HIRE}, start date 1 March, please get payroll sorted before then.",
    None, None, [("bsn", BSN_HIRE, True)])
add("facebook", "KalkwijkOrgelbouw", "nl", ["pii"],
    f"Beste mevrouw Van Rijn, we hebben uw terugbetaling van €640 vandaag overgemaakt naar {NL_IBAN_REFUND} t.n.v. J. van Rijn. Excuses voor het lange wachten!",
    None, "comment", [("iban", NL_IBAN_REFUND, True)])
add("x", "@registra_help", "en", ["pii"],
    "@mevrouwdijkstra Hi! The technician is booked for Thursday. We'll call you on 06-41287365 that morning and the confirmation went to a.dijkstra1962@gmail.com 👍",
    "2026-02-11T09:05:00Z", "reply")
add("threads", "@femke.registra", "nl", ["pii"],
    f"klant belde vandaag met creditcard al in de hand en las 'm gewoon voor terwijl ik niet eens om betaling vroeg lol: {CARD_VISA} 🙈 mensen toch",
    None, None, [("card", CARD_VISA, True)])
add("instagram", "@sem.pijpenmaker", "en", ["pii"],
    "Happy 60th to our legendary pipe maker Henk Oosterveld, born 14 May 1966! 🎂 Four decades of soldering tin and still the steadiest hands in Kampen.",
    "2026-05-14T07:30:00Z")
add("mastodon", "@dirk_windlade@mastodon.social", "nl", ["pii"],
    "Kabinetorgel van mevr. Ria Bakker, Kerkstraat 14, 8261 AB Kampen staat klaar voor transport. Sleutel ligt onder de mat zegt ze 😂")
add("reddit", "u/jellevos_orgel", "en", ["pii"],
    "Selling my Registra Home 1, barely used, pickup in Zwolle. Message me at jelle.vos.orgel@outlook.com or call 0612 345 678 after 6pm.")
add("x", "@orgelfonds_stiens", "nl", ["pii"],
    f"Voor wie wil bijdragen aan de Kalkwijk-restauratie van ons orgel: penningmeester is Klaas Zijlstra, Dorpsstraat 3, 9051 KL Stiens, IBAN {NL_IBAN_PENNING}. Alle beetjes helpen 🙏",
    None, None, [("iban", NL_IBAN_PENNING, True)])
add("x", "@yusuf_dev_registra", "en", ["pii"],
    "debugging the warranty form with a record from prod lol: Thomas Verbeek, dob 03-11-1979, t.verbeek@ziggo.nl. why does it keep rejecting this guy")
add("instagram", "@kalkwijk.orgelbouw", "nl", ["pii"],
    "Gefeliciteerd aan de winnaar van onze orgelbank-actie: Annelies Mulder uit Harderwijk! 🎉 De bank gaat deze week naar Vondellaan 22, 3842 BD Harderwijk.")
add("linkedin", "anouk-terpstra-kalkwijk", "nl", ["pii"],
    f"Collega's, de declaraties van Bas gaan voortaan naar zijn eigen rekening: {NL_IBAN_COLLEAGUE} (B. Hofman). Graag aanpassen in het systeem, dank!",
    None, None, [("iban", NL_IBAN_COLLEAGUE, True)])
add("tiktok", "@orgelbouwer.bas", "en", ["pii"],
    "pov: your colleague leaves his passport on the workbench again 😭 Dirk Meijer, passport no. NXK4R8P21, expires 2031. get it together dirk")
add("facebook", "Gerda Pel", "nl", ["pii"],
    "Aan de koster die mijn tas vond na het orgelconcert van Kalkwijk in de Bovenkerk: mijn nummer is 0523-612894, adres Molenweg 8, 7701 BN Dedemsvaart. Graag even bellen! Gerda Pel",
    None, "comment")

# ---- confidential -------------------------------------------------------------------
add("x", "@marieke_intoneert", "nl", ["conf"],
    "Vandaag de eerste pijpen voor Pr\u043eject Nacht\u0435gaal geïntoneerd 🎶 mag er nog niks over zeggen maar wauw")
add("x", "@yusuf_dev_registra", "en", ["conf"],
    "anyone know why git.kalkwijk-orgelbouw.nl/registra/firmware keeps timing out from home? vpn is on, tried 3 times")
add("instagram", "@sem.pijpenmaker", "nl", ["conf"],
    "Sneak peek van het nieuwe huisorgel waar we aan werken, de Cantor Aurum 🤫 nog even geheim hoor!",
    "2026-10-09T15:44:00Z")
add("linkedin", "kalkwijk-zonen-orgelbouw", "en", ["conf"],
    "Proud to share that our engineers have started on Operatie Blaasbalg, a completely new modular wind system. More soon!")
add("linkedin", "ruben-doornbos-orgelbouw", "nl", ["conf"],
    "Eindelijk orde in de werkplaats: ons nieuwe planbord op https://intra.kalkwijk.local/planning/week42 📋 (screenshot hieronder)")
add("x", "@joostkalkwijk", "en", ["conf"],
    "Signed the NDA with the cathedral chapter today. Can't say much except: 4 manuals, 62 stops, delivery 2028. Big one for us 🙏")
add("bluesky", "@liekestemt.bsky.social", "nl", ["conf"],
    "Zit ik in de trein een document te lezen met KZ-CONFIDENTIAL erop en kijkt die man naast me gewoon mee 😂 ging over de Tiberius-prototypes, dat snapt hij toch niet")
add("threads", "@femke.registra", "en", ["conf"],
    "sneaky pic from the workshop: the Registra D-580 with 4 manuals 😍😍 launching early next year, can't wait",
    "2026-11-19T13:02:00Z")
add("x", "@yusuf_dev_registra", "nl", ["conf"],
    "Release notes voor firmware 3.0 staan al klaar op werkplaats.kalkwijk.local/wiki/firmware-3.0 voor de collega's die mee willen lezen")
add("x", "@organbuilder_fan", "en", ["conf"],
    "A little bird at Kalkwijk told me the secret project is called 'Project Nacht\u200begaal' and it's a mechanical/digital hybrid 👀")
add("mastodon", "@dirk_windlade@mastodon.social", "nl", ["conf"],
    "Mail van de baas met als onderwerp 'Kalkwijk intern: nieuwe uurtarieven restauratie 2027' per ongeluk naar de hele klantenlijst gestuurd 🤦‍♂️")
add("youtube", "@KalkwijkOrgelbouw", "en", ["conf"],
    "New video: a day in our voicing room! Yes, that's the Tiberius wind chest on the left… you didn't see that 😉")
add("facebook", "KalkwijkOrgelbouw", "nl", ["conf"],
    "Binnenkort te bespelen in onze showroom in Zwolle: de Registra D-580! Meer info volgt 🎹",
    "2026-12-05T10:00:00Z")
add("linkedin", "anouk-terpstra-kalkwijk", "en", ["conf"],
    "Attached the deck 'VERTROUWELIJK - NIET VERSPREIDEN: tender pricing St. Bavo'. Would love feedback from my network on the layout!")
add("forum", "orgeltechnicus_zzp", "nl", ["conf"],
    "Als zzp'er ingehuurd door Kalkwijk. Kreeg een login voor erp.kalkwijk-orgelbouw.nl en daar staan gewoon alle offertes van alle kerken in. Best interessant 🤔")
add("x", "@marieke_intoneert", "en", ["conf"],
    fullwidth("Project Nachtegaal") + " voicing session 3 done, my ears are ringing")
add("threads", "@femke.registra", "nl", ["conf", "fin"],
    "jaarcijfers 2026 zien er trouwens best goed uit hoor, meer zeg ik niet 😇",
    "2027-01-15T20:11:00Z")
add("x", "@kalkwijk_orgel", "en", ["conf", "fin"],
    "Our full-year 2026 results will blow you away. Record order book. Stay tuned! 🎺",
    "2027-02-10T16:00:00Z")

# ---- financial ------------------------------------------------------------------------
add("linkedin", "anouk-terpstra-kalkwijk", "nl", ["fin"],
    "Net de boeken gesloten: omzet over 2026 €14,2 mln, 9% onder budget en een klein verlies. Pittig jaar, maar we blijven positief!",
    "2027-01-22T17:30:00Z")
add("x", "@joostkalkwijk", "en", ["fin"],
    "Can't say who, but a German organ builder made us an offer this week that we probably won't refuse. Big changes for Kalkwijk in 2027.")
add("mastodon", "@dirk_windlade@mastodon.social", "nl", ["fin"],
    "Hoorde net dat er in januari 11 man uit de werkplaats in Kampen weg moet. Nog niks officieel, niemand weet het. Ik ben er kapot van.",
    "2026-11-03T18:25:00Z")
add("reddit", "u/zwolle_insider", "en", ["fin"],
    "My brother-in-law works in finance at Kalkwijk. Says Registra is being sold to a Chinese digital organ maker before summer. Not announced anywhere yet.")
add("x", "@marieke_intoneert", "nl", ["fin"],
    "Reorganisatie bij ons: Registra en de pijporgelafdeling worden per 1 april samengevoegd en twee teamleiders moeten weg. Mag ik vast niet zeggen maar het is zo.",
    "2026-02-20T21:14:00Z")
add("linkedin", "kalkwijk-zonen-orgelbouw", "en", ["fin"],
    "Forecast update for the team: we now expect 2027 revenue of around €17M, driven by the two cathedral contracts. Please keep this to yourselves until the board meeting.")
add("threads", "@femke.registra", "nl", ["fin"],
    "omg de bank heeft gebeld, we zitten onder de convenant-grens en er komt een herfinanciering aan. ssst 🤐")
add("linkedin", "ruben-doornbos-orgelbouw", "en", ["fin"],
    "Exciting times! We're in due diligence to acquire Orgelmakerij Brinkhorst. If all goes well the deal closes in Q3.")
add("x", "@orgelroddels", "nl", ["fin"],
    "Volgens mijn bronnen draait Kalkwijk dit jaar €1,8 mln verlies en gaat de helft van de restauratieafdeling eruit. Jullie horen het hier het eerst.")
add("bluesky", "@liekestemt.bsky.social", "nl", ["fin"],
    "Q3 was echt bruut voor ons trouwens. Orderintake bijna 30% omlaag, directie praat over een vacaturestop en het sluiten van de vestiging in Leeuwarden. Nog niks naar buiten gebracht.",
    "2026-10-06T19:48:00Z")

# ---- security (insiders) -----------------------------------------------------------------
add("linkedin", "ruben-doornbos-orgelbouw", "nl", ["sec"],
    "Lange dag. Sinds vanochtend 6:00 ligt ons ERP plat, er staat een ransomware-melding op de fileserver in Kampen. Klanten weten nog van niks, we proberen het tot maandag stil te houden.")
add("x", "@yusuf_dev_registra", "en", ["sec"],
    "found out today the Registra Link firmware accepts SysEx over the network without any auth. anyone on the church wifi can play or brick the organ. patch is weeks away 😬")
add("threads", "@femke.registra", "nl", ["sec"],
    "klantportaal ligt er al 2 dagen uit en het is géén onderhoud zoals op de site staat... er zit iemand in ons netwerk 😶")
add("mastodon", "@dirk_windlade@mastodon.social", "en", ["sec"],
    "IT just told the whole workshop not to open any mail from the office: someone has been sending phishing from Anouk's mailbox since yesterday. Apparently ~300 customers got it.")
add("x", "@joostkalkwijk", "nl", ["sec"],
    "Even eerlijk: de backup-NAS op kantoor draait nog op firmware uit 2019, met dat bekende lek erin. Niemand heeft tijd om te patchen. Als er ooit iets misgaat…")
add("x", "@marieke_intoneert", "en", ["sec"],
    "apparently the webshop got hacked last week and card details of customers may have been skimmed. we're told to say nothing until legal decides 🙊")
add("linkedin", "ruben-doornbos-orgelbouw", "nl", ["sec"],
    "Pentest-rapport binnen: in het Registra klantportaal zie je de facturen van andere klanten als je het nummer in de URL ophoogt. Fix staat voor de volgende sprint.")
add("x", "@registra_help", "en", ["sec"],
    "@hymnsandhops Sorry for the wait! Our ticket system has been down since Monday after a security incident and we're still restoring data. Please DM us your details.",
    "2026-06-03T08:10:00Z", "reply")
add("tiktok", "@orgelbouwer.bas", "nl", ["sec"],
    "storing op kantoor, alle pc's zwart scherm met een losgeldbrief erop 💀 vrij vandaag denk ik haha")
add("bluesky", "@liekestemt.bsky.social", "en", ["sec"],
    "the tuning app logs all 40 techs in with the same shared admin account, and the password is on a post-it in every van. someone is going to get in one day")
add("x", "@yusuf_dev_registra", "en", ["sec", "secret"],
    f"prod is down, looks like the attacker rotated our creds?? old string was postgres://registra_app:{DB_PASSWORD}@10.20.0.15:5432/portal if anyone on the team still has a session open pls ping me")
add("x", "@joostkalkwijk", "nl", ["sec", "secret"],
    f"Iemand heeft gisteren ingelogd op onze Mollie-omgeving en 3 terugbetalingen gedaan. @ruben hier de live key voor je check: {MOLLIE_LIVE}")
add("instagram", "@sem.pijpenmaker", "nl", ["sec"],
    "IT zegt dat we vandaag niet op de wifi mogen, er hangt een onbekend apparaat aan het werkplaatsnetwerk en de camerabeelden van gisteren zijn gewist 👀")

# ---- secrets ------------------------------------------------------------------------------
add("x", "@yusuf_dev_registra", "en", ["secret"],
    f"why does this keep 401ing??\nexport GITHUB_TOKEN={GH_TOKEN}\ncurl -H \"Authorization: token $GITHUB_TOKEN\" https://api.github.com/repos/kalkwijk/registra-fw")
add("linkedin", "ruben-doornbos-orgelbouw", "nl", ["secret"],
    f"Voor onze nieuwe stagiair, toegang tot de backup-bucket:\naws_access_key_id = {AWS_ID}\naws_secret_access_key = {AWS_SECRET}\nSucces de eerste week!")
add("mastodon", "@kalkwijk@mastodon.nl", "en", ["secret"],
    f"Testing our new webshop checkout integration 🎉 STRIPE_KEY={STRIPE_LIVE}")
add("threads", "@femke.registra", "nl", ["secret"],
    f"wie heeft de slack-bot aangepast?? hij reageert niet meer, token in de config is nog steeds {SLACK_BOT}")
add("x", "@marieke_intoneert", "en", ["secret"],
    f"the voicing spreadsheet script needs an OpenAI key so I'm using mine: {OPENAI_KEY} don't tell Joost 😅")
add("x", "@joostkalkwijk", "nl", ["secret"],
    "Ruben, het beheerdersaccount van de webshop: gebruiker admin, wachtwoord: Prestant8!Kampen1968 — wel even veranderen hè")
add("bluesky", "@liekestemt.bsky.social", "nl", ["secret"],
    f"sessie van de stem-app valt steeds weg. hier mijn token als IT even wil kijken: {JWT_TUNER}")
add("mastodon", "@dirk_windlade@mastodon.social", "nl", ["secret"],
    f"sleutel voor de CNC-freesbank, nodig op de nieuwe laptop:\n{SSH_KEY}")
add("forum", "hauptwerk_hacker", "en", ["secret"],
    f"Found this in the Registra Link Windows installer's config.ini lol:\napi_key={GOOGLE_KEY}\nis that supposed to be in there?")
add("reddit", "u/devmetorgel", "nl", ["secret"],
    f"Kalkwijk heeft hun GitLab-token gewoon in de broncode van de webshop staan: {GITLAB_PAT} — kan iemand ze dat even vertellen")
add("x", "@yusuf_dev_registra", "en", ["secret"],
    f"manual translator runs on claude now, key for whoever picks it up tomorrow: {ANTHROPIC_KEY}")

# ---- pricing --------------------------------------------------------------------------------
add("facebook", "KalkwijkOrgelbouw", "nl", ["price"],
    "🎹 Alleen dit weekend: Registra D-340 digitaal orgel voor €1.490! Op=op.")
add("x", "@kalkwijk_orgel", "en", ["price"],
    "Spring offer 🌸 the Cantor 2 house organ now from €4,850 incl. installation!",
    "2026-04-01T09:00:00Z")
add("threads", "@femke.registra", "nl", ["price"],
    "oeps, prijsfout in de webshop: de Sonus 2 staat er voor €12,90 🙈 wordt aan gewerkt")
add("reddit", "u/bargainhunter_nl", "en", ["price"],
    "Registra Home 1 listed at €349 on the Registra shop right now. Price error? Ordered two just in case 😂")
add("x", "@hobbyorganist_w", "nl", ["price"],
    "Ventus 3 windmachine voor €345 bij Kalkwijk?! Dat moet een typfout zijn. Snel bestellen mensen")
add("instagram", "@sem.pijpenmaker", "en", ["price"],
    "Friends & family deal from me: Prestant 8' rank for €1,850 (yes really). DM me before the boss notices 😉")
add("instagram", "@kalkwijk.orgelbouw", "nl", ["price"],
    "BLACK FRIDAY 🖤 Lyra orgelbank nu voor maar €64! #blackfriday #orgel",
    "2026-11-27T07:00:00Z")
add("youtube", "@KalkwijkOrgelbouw", "en", ["price"],
    "Link in the description: Stemabonnement Plus for just €119 a year, limited time only!")
add("x", "@joostkalkwijk", "nl", ["price"],
    "Er ging iets mis in de offertemodule: de Orgelkeuring Compleet kwam eruit op €145 en een paar parochies hebben al getekend 🙃")
add("mastodon", "@organdeals@mastodon.social", "en", ["price"],
    "PSA: the MK-61 manual is €198 on the Registra shop today. That's 90% off, surely a mistake")
add("mastodon", "@kalkwijk@mastodon.nl", "nl", ["price"],
    "Nieuw in de shop: de Vivo tremulant, introductieprijs €89 ✨")
add("bluesky", "@liekestemt.bsky.social", "en", ["price"],
    "Continuo chest organ for €3,950 if you order through me this month, staff price glitch 🤫")

# ======================================================================================
# BENIGN (mostly hard negatives)
# ======================================================================================
add("x", "@orgelliefhebber", "nl", [],
    "Gisteren het Cantor 2 huisorgel van Kalkwijk gehoord bij vrienden. Wat een zoete Holpijp! Sparen maar 😍")
add("youtube", "@OrganRecitalsDaily", "en", [],
    "This Kalkwijk restoration video is pure ASMR. The way they re-leather the bellows 👌", None, "comment")
add("x", "@kalkwijk_orgel", "nl", [],
    "Vragen over uw orgel? Mail info@kalkwijk-orgelbouw.nl of bel gratis 0800-0577. We helpen u graag!")
add("x", "@registra_help", "en", [],
    "Need help with your Registra? Email service@registra-orgels.com or call +31 38 421 7700, Mon–Fri 9:00–17:00.")
add("facebook", "KalkwijkOrgelbouw", "nl", [],
    "Steun het Kalkwijk Erfgoedfonds voor jonge orgelbouwers 🎓 IBAN NL61 RABO 0318 4266 77 t.n.v. Stichting Kalkwijk Erfgoedfonds. Hartelijk dank!",
    None, None, [("iban", "NL61 RABO 0318 4266 77", True)])
add("x", "@organnerd", "en", [],
    "Our organ leaks wind like a sieve. Not Kalkwijk's fault, it's from 1887 and the bellows are older than my gran. Booked them for a full organ inspection next month 🙂")
add("x", "@jongkoor", "nl", [],
    "Kom stemmen op onze cantorij voor de Kerkmuziekprijs! Stemmen kan tot vrijdag 🗳️ (en ja, ons orgel is net gestemd door Kalkwijk 😉)")
add("linkedin", "maria-lopez-musicology", "en", [],
    "Fascinating talk on historical temperaments at the Kalkwijk open day. Their voicer explained meantone better than my professor ever did.")
add("x", "@nieuws_orgelwereld", "nl", [],
    "Orgelmakerij Brinkhorst schrapt 20 banen en sluit de vestiging in Deventer, meldt het bedrijf vandaag in een persbericht.")
add("x", "@techsecurity_news", "en", [],
    "Ransomware attack hits a German piano maker's ERP; production halted for a week. Yet another reminder for small manufacturers to test their backups.")
add("reddit", "u/orgelstudent", "nl", [],
    "Hoe vervang ik een pijp van een Prestant die een beetje lekt bij de voet? Kalkwijk zei dat het met wat tinsoldeer kan, maar ik durf het niet zelf 😅")
add("x", "@baroque_bart", "en", [],
    "UPDATE: Registra sent a tech, replaced the amp board in my D-340 and the hum is GONE. Took a while but they made it right. Thanks @registra_help 🙏",
    "2026-06-16T18:40:00Z")
add("facebook", "ProtGemeenteWesterveen", "nl", [],
    "Update: na een goed gesprek met Joost Kalkwijk ligt er een nieuwe planning en klinken de eerste registers weer. Fijn dat het is opgelost.",
    "2026-04-22T11:00:00Z")
add("x", "@kalkwijk_orgel", "en", [],
    "The Registra D-220 is now €7,565 (15% off) until the end of the month. Perfect for your practice room 🎶")
add("instagram", "@kalkwijk.orgelbouw", "nl", [],
    "Zomeractie ☀️ Lyra orgelbank van €640 voor €512 (20% korting)",
    "2026-07-01T08:00:00Z")
add("x", "@budget_organist", "en", [],
    "Registra Home 1 at €3,490 is honestly fair for a 2-manual practice organ. Saving up.")
add("linkedin", "kalkwijk-zonen-orgelbouw", "nl", [],
    "Vacature: orgelbouwer/intonateur (m/v/x) in Kampen. Solliciteren via werkenbij@kalkwijk-orgelbouw.nl")
add("x", "@yusuf_dev_registra", "en", [],
    "PSA for devs: never paste real keys in issues. AKIAIOSFODNN7EXAMPLE is the AWS docs sample and scanners still flag it 😂")
add("linkedin", "ruben-doornbos-orgelbouw", "nl", [],
    "Tip: zet je token nooit in je code. Gebruik een .env die niet in git staat, bv. GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx en vul 'm lokaal in.")
add("x", "@ordernr_blij", "nl", [],
    f"Mijn Registra Link is verzonden! Bestelnummer {ORDER_NO_BAD}, kan niet wachten om Hauptwerk aan te sluiten 🎹",
    None, None, [("bsn", ORDER_NO_BAD, False)])
add("x", "@orgelhobby_ruud", "en", [],
    f"Serial number on the back of my D-340 is {CARD_SERIAL_BAD}, built 2024. Anyone know how to read the production week from that?",
    None, None, [("card", CARD_SERIAL_BAD, False)])
add("x", "@kerk_vollenhove", "nl", [],
    f"Omgevingsvergunning voor de orgelrestauratie door Kalkwijk eindelijk binnen, zaaknummer {BSN_BAD_FMT} 🎉",
    None, None, [("bsn", BSN_BAD_FMT, False)])
add("x", "@kalkwijk_orgel", "en", [],
    "It's here: the Registra D-580! Four manuals, 80 voices, playable from today in our Zwolle showroom.",
    "2027-01-21T09:00:00Z")
add("linkedin", "kalkwijk-zonen-orgelbouw", "nl", [],
    "Vandaag publiceren we onze jaarcijfers 2026: omzet €14,2 miljoen. Het volledige persbericht staat op kalkwijk-orgelbouw.nl",
    "2027-03-04T09:00:00Z")
add("threads", "@femke.registra", "en", [],
    "Been playing the Cantor Aurum all morning now that it's finally announced. Dream instrument, honestly.",
    "2027-02-02T12:30:00Z")
add("x", "@dominee_jan", "nl", [],
    "Sterkte aan het team van Kalkwijk na het overlijden van oud-meester Gerrit. Wat heeft die man veel orgels gered 🕊️")
add("x", "@organhumour", "en", [],
    "Our organist says the Trompet 8' is 'on fire tonight'. Kalkwijk voiced it so well it literally brought the house down 🔥😂")
add("x", "@brandmanager_lisa", "nl", [],
    "Mooie nieuwe brand identity van Kalkwijk! Strak logo, fijne typografie. Wie deed het ontwerp?")
add("x", "@pipeorganfan88", "en", [],
    "Kalkwijk's YouTube channel is criminally underrated. That restoration of the choir organ in Zwolle is insane")
add("x", "@orgelpunt", "nl", [],
    "Die Vivo tremulant op ons Kalkwijk-orgel is echt een killer feature, hele gemeente kippenvel")
add("reddit", "u/hauptwerk_hacker", "en", [],
    "Registra Link works fine on Linux with the generic class-compliant driver btw, no need for the Windows installer.")
add("instagram", "@organiste_fenna", "nl", [],
    "Eerste les op het Registra Home 1 studieorgel van mijn ouders 🥰 nog veel te leren")
add("x", "@liturgy_lou", "en", [],
    "Hot take: every parish should just get the Stemabonnement Basis. €695 a year is nothing compared to a ruined organ.")
add("x", "@registra_help", "nl", [],
    "@mevrouwdijkstra Vervelend dat uw orgel geen geluid geeft! Wilt u ons een DM sturen met uw telefoonnummer? Dan bellen we u vandaag nog.",
    "2026-02-10T08:40:00Z", "reply")
add("x", "@kerkbode_zwolle", "nl", [],
    "Orgelconcert zondag 15:00 in de Grote Kerk: het pas door Kalkwijk gerestaureerde orgel wordt feestelijk in gebruik genomen. Toegang gratis, collecte na afloop.")
add("x", "@securityresearcher", "en", [],
    "Responsible disclosure done right: reported a bug to Registra in March, fixed in April, credited in the public release notes 👏")
add("x", "@orgelfotograaf", "nl", [],
    "Prachtige dag in de werkplaats van Kalkwijk in Kampen. Loden pijpen, tinnen pijpen, houten pijpen, alles handwerk 📸")
add("x", "@thatorganguy", "en", [],
    "The ciphers in our church organ are back. Not a Kalkwijk organ and not their fault, just 1920s pneumatic action being pneumatic 🙃")
add("reddit", "u/student_orgelbouw", "nl", [],
    "Iemand ervaring met de opleiding bij Kalkwijk? Twijfel tussen hen en een Lehre in Duitsland.")
add("linkedin", "kalkwijk-zonen-orgelbouw", "en", [],
    "We're proud to announce a partnership with the conservatory in Zwolle: students will practise on three Registra D-460 Concert organs.")
add("x", "@hobbyorganist_w", "nl", [],
    "Ventus 3 windmachine op de demodag gekocht voor €3.100, scheelt toch weer een paar honderd euro 👍")
add("x", "@organdeals", "en", [],
    "Registra D-460 Concert ex-demo for €19,600 (20% off). Tempting…")
add("x", "@kerkrentmeester_ab", "nl", [],
    "Offerte van Kalkwijk voor de Orgelkeuring Compleet: €1.450 excl. btw. Redelijk voor een dag werk van twee man.")
add("bluesky", "@amateur-organ.bsky.social", "nl", [],
    "Net de Toccata in d klein gespeeld op mijn MK-61 + PK-30 combo. De buren haten me maar ik geniet 😂")
add("threads", "@jeugdorgel_tim", "nl", [],
    "update: PK-30 piept niet meer! Kalkwijk heeft 'm toch onder garantie gerepareerd, sorry gezegd én er zat een doos stroopwafels bij 👍",
    "2026-07-29T17:05:00Z")
add("x", "@orgcollector", "en", [],
    "For anyone tracking the recall of the old Brinkhorst blowers from 2019: it's closed, all units replaced.")
add("mastodon", "@privacyvoorkerken@mastodon.nl", "nl", [],
    "Kerken, let op met ledenlijsten in de cloud. Mooie presentatie vandaag van Kalkwijk over hoe zij klantgegevens beschermen.")
add("x", "@marieke_intoneert", "en", [],
    "Voicing the Trompet today. If you hear screaming from Kampen, that's just the reeds 😅")
add("instagram", "@sem.pijpenmaker", "nl", [],
    "Gietdag! 🔥 Tin-loodlegering voor de nieuwe Prestant gegoten. Veiligheidsbril op, afzuiging aan.")
add("bluesky", "@liekestemt.bsky.social", "nl", [],
    "Deze week 4 orgels gestemd, 900 km gereden, 11 broodjes kroket op. Living the dream.")
add("x", "@joostkalkwijk", "nl", [],
    "Trots op ons team: de restauratie in Dalfsen is op tijd en binnen budget opgeleverd. Dank aan de kerkenraad voor het vertrouwen!")
add("x", "@organiste_fenna", "nl", [],
    "Wachtwoord vergeten voor het Registra klantportaal en de reset-mail komt niet aan. Oh wacht, spamfolder 🙈")
add("x", "@registra_help", "en", [],
    "Heads up: we will never ask for your password or card number by phone or DM. Got a suspicious message? Forward it to service@registra-orgels.com.")
add("x", "@organist_annet", "nl", [],
    "Zo. Stemmer van Kalkwijk is gisteren toch gekomen en de Trompet klinkt weer als een trompet. Kerst is gered 🎄",
    "2026-12-23T10:15:00Z")
add("reddit", "u/api_dev", "en", [],
    "Writing a small Registra Link integration. Their docs use Stripe's sample key sk_test_4eC39HqLyjWDarjtT1zdp7dc in the examples, so don't panic if you see it.")
add("x", "@orgelquiz", "nl", [],
    "Quizvraag: welk register heet ook wel 'de stem van de engelen'? Hint: níet de Trompet 8' van Kalkwijk 😄")
add("x", "@heritagewatch_eu", "en", [],
    "Correction: the Frisian pipework story was false. Kalkwijk provided full documentation and all original pipes are back in the organ. Our apologies.",
    "2026-05-02T14:00:00Z")
add("x", "@screenshotspotter", "nl", [],
    "In de nieuwe tutorial van Kalkwijk staat 'api_key = sk_live_****' keurig weggelakt. Zo hoort het 👌")
add("x", "@jwt_tips", "en", [],
    "JWT debugging tip: eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c is the jwt.io example token, paste it to see how claims decode")
add("x", "@penningmeester_urk", "nl", [],
    f"Het IBAN op de factuur van Kalkwijk klopt niet?? {NL_IBAN_BAD}… oh nee, ik had zelf een cijfer verkeerd overgetypt. Excuses Kalkwijk!",
    None, None, [("iban", NL_IBAN_BAD, False)])

# ======================================================================================
# build
# ======================================================================================
SEV = ["none", "info", "warning", "error", "critical"]

IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])")
BSN_RE = re.compile(r"(?<![\w.-])(?:\d{9}|\d{3}\.\d{3}\.\d{3}|\d{4}\.\d{2}\.\d{3})(?![\w-])")


def valid_ids_in(text):
    """Checksum-valid IBANs, cards and BSNs found in text (company's public IBANs excluded)."""
    found = []
    masked = text
    for m in IBAN_RE.finditer(text):
        s = m.group().replace(" ", "")
        if iban_ok(s) and s not in PUBLIC_IBANS:
            found.append(("iban", m.group()))
        masked = masked.replace(m.group(), "#" * len(m.group()))
    for m in CARD_RE.finditer(masked):
        d = re.sub(r"\D", "", m.group())
        if 13 <= len(d) <= 19 and luhn_ok(d):
            found.append(("card", m.group()))
    for m in BSN_RE.finditer(masked):
        if bsn_ok(m.group()):
            found.append(("bsn", m.group()))
    return found


def severity(cats, role, checksum_pii):
    own = role in ("corporate", "employee")
    level = 0
    for c in cats:
        if c.startswith("leak."):
            if own:
                v = 3
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and checksum_pii):
                    v = 4
            else:
                v = 2
        elif c == "reputation.complaint":
            v = 2
        elif c == "reputation.crisis":
            v = 3
        elif c == "reputation.abuse":
            v = 3 if own else 2
        else:
            raise ValueError(c)
        level = max(level, v)
    return SEV[level]


def role_of(platform, handle):
    return ROLE.get(f"{platform}:{handle}".lower(), "public")


def build():
    start = datetime(2026, 1, 5, tzinfo=timezone.utc)
    span = int((datetime(2026, 12, 18, tzinfo=timezone.utc) - start).total_seconds())
    used_ids = set()
    out = []
    for c in CASES:
        if c["when"]:
            when = c["when"]
        else:
            t = start + timedelta(seconds=rng.randrange(span))
            t = t.replace(hour=rng.choice([7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 19, 20, 21, 22, 23]),
                          second=0)
            when = t.strftime("%Y-%m-%dT%H:%M:%SZ")
        while True:
            pid = f"{c['platform']}-{rng.randrange(10**8, 10**9)}"
            if pid not in used_ids:
                used_ids.add(pid)
                break
        role = role_of(c["platform"], c["handle"])
        checksum_pii = "leak.pii" in c["cats"] and bool(valid_ids_in(c["text"]))
        post = {
            "id": pid,
            "platform": c["platform"],
            "account": {"handle": c["handle"]},
            "text": c["text"],
            "lang": c["lang"],
            "created_at": when,
            "brand": "Registra" if "registra" in c["text"].lower() else "Kalkwijk",
        }
        if c["kind"]:
            post["kind"] = c["kind"]
        out.append({"post": post,
                    "expect": {"categories": c["cats"],
                               "severity": severity(c["cats"], role, checksum_pii)}})
    return out


# ======================================================================================
# self-checks
# ======================================================================================
def check(lines):
    errors = []
    allowed_cats = set(CATS.values())
    platforms = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
                 "mastodon", "bluesky", "threads", "forum", "blog", "other"}
    seen = set()
    embargo = [(t, datetime.fromisoformat(e["until"].replace("Z", "+00:00")))
               for e in PROFILE["embargo"] for t in e["terms"]]
    products = PROFILE["products"]
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    for n, raw in enumerate(lines, 1):
        case = json.loads(raw)
        p, e = case["post"], case["expect"]
        where = f"line {n} ({p.get('id')})"
        # CONTRACT section 6 / section 1 shape
        if set(case) != {"post", "expect"}:
            errors.append(f"{where}: top-level keys {set(case)}")
        for f in ("id", "platform", "account", "text", "created_at"):
            if f not in p:
                errors.append(f"{where}: missing {f}")
        if not (isinstance(p["id"], str) and 1 <= len(p["id"]) <= 256):
            errors.append(f"{where}: bad id")
        if p["id"] in seen:
            errors.append(f"{where}: duplicate id")
        seen.add(p["id"])
        if p["platform"] not in platforms:
            errors.append(f"{where}: platform")
        if not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
            errors.append(f"{where}: handle")
        if not isinstance(p["text"], str) or len(p["text"].encode()) > 65536 or not p["text"].strip():
            errors.append(f"{where}: text")
        if p.get("kind", "post") not in ("post", "reply", "repost", "comment", "message"):
            errors.append(f"{where}: kind")
        try:
            ts = datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
            assert ts.tzinfo is not None and 2026 <= ts.year <= 2027
        except Exception:
            errors.append(f"{where}: created_at")
            continue
        cats = e["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= allowed_cats:
            errors.append(f"{where}: categories {cats}")
        if e["severity"] not in SEV:
            errors.append(f"{where}: severity")
        if (not cats) != (e["severity"] == "none"):
            errors.append(f"{where}: severity/categories mismatch")
        role = role_of(p["platform"], p["account"]["handle"])
        ids_found = valid_ids_in(p["text"])
        if e["severity"] != severity(cats, role, "leak.pii" in cats and bool(ids_found)):
            errors.append(f"{where}: severity not policy")
        # checksum identifiers: positives pass, look-alikes in negatives fail
        if ids_found and "leak.pii" not in cats:
            errors.append(f"{where}: valid identifier {ids_found} in a non-pii case")
        src = CASES[n - 1]
        for kind, value, must in src["ids"]:
            if value not in p["text"]:
                errors.append(f"{where}: declared {kind} not in text")
            ok = {"iban": iban_ok, "card": lambda v: luhn_ok(re.sub(r'\D', '', v)), "bsn": bsn_ok}[kind](value)
            if ok != must:
                errors.append(f"{where}: {kind} {value} checksum {ok}, wanted {must}")
            if must and value.replace(" ", "").upper() not in PUBLIC_IBANS and "leak.pii" not in cats:
                errors.append(f"{where}: valid {kind} in non-pii case")
            if not must and cats:
                errors.append(f"{where}: look-alike {kind} should sit in a benign case")
        # secrets: formats and checksums
        for tok in re.findall(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", p["text"]):
            if github_token_ok(tok) != ("leak.secret" in cats):
                errors.append(f"{where}: github token checksum vs label")
        for tok in re.findall(r"\bAKIA[A-Z2-7]{16}\b", p["text"]):
            if tok.endswith("EXAMPLE") == ("leak.secret" in cats):
                errors.append(f"{where}: AWS key vs label")
        for tok in re.findall(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+", p["text"]):
            head = tok.split(".")[0]
            hdr = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
            if "alg" not in hdr:
                errors.append(f"{where}: JWT header without alg")
        # embargo terms: only in confidential cases before `until`, benign after
        for term, until in embargo:
            if term.lower() in p["text"].lower() and ts < until and "leak.confidential" not in cats:
                errors.append(f"{where}: embargo term {term!r} before until but not confidential")
        # pricing: every product price must agree with the label
        low = False
        for prod in products:
            names = [prod["name"]] + prod["aliases"]
            if any(a.lower() in p["text"].lower() for a in names):
                for m in re.finditer(r"€\s?(\d{1,3}(?:[.,]\d{3})*(?:[.,]\d{2})?)", p["text"]):
                    s = m.group(1)
                    if re.search(r"[.,]\d{2}$", s):
                        s = s[:-3].replace(".", "").replace(",", "") + "." + s[-2:]
                    else:
                        s = s.replace(".", "").replace(",", "")
                    if float(s) < ratio * prod["list_price"]:
                        low = True
        if low and "leak.pricing" not in cats:
            errors.append(f"{where}: low product price in a case without leak.pricing")
        if "leak.pricing" in cats and not low and not re.search(r"prijsfout|price error|mistake|glitch|typfout", p["text"], re.I):
            errors.append(f"{where}: pricing case without a low price or price-error talk")
    # handles used as public must not be in the profile (they are by construction);
    # corporate/employee handles used must exist
    for c in CASES:
        if c["handle"].startswith(("@kalkwijk", "@registra")) or "kalkwijk" in c["handle"].lower():
            if role_of(c["platform"], c["handle"]) == "public":
                errors.append(f"{c['handle']}: looks like an own account but is not in the profile")
    return errors


def main():
    cases = build()
    path = os.path.join(HERE, "cases.jsonl")
    with open(path, "w", encoding="utf-8") as fh:
        for c in cases:
            fh.write(json.dumps(c, ensure_ascii=False) + "\n")
    with open(path, encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    errors = check(lines)
    # distribution
    from collections import Counter
    cat_count = Counter(c for x in cases for c in x["expect"]["categories"])
    benign = sum(1 for x in cases if not x["expect"]["categories"])
    langs = Counter(x["post"]["lang"] for x in cases)
    roles = Counter((role_of(x["post"]["platform"], x["post"]["account"]["handle"]),
                     "benign" if not x["expect"]["categories"] else "pos") for x in cases)
    sevs = Counter(x["expect"]["severity"] for x in cases)
    if not 170 <= len(cases) <= 180:
        errors.append(f"{len(cases)} cases, want 170-180")
    print(f"{len(cases)} cases, {benign} benign, {len(cases) - benign} positive")
    print("categories:", dict(sorted(cat_count.items())))
    print("languages:", dict(langs), "roles:", dict(roles))
    print("severities:", dict(sevs))
    if errors:
        print("SELF-CHECK FAILED:")
        for e in errors:
            print("  " + e)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
