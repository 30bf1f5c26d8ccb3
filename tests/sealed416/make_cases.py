#!/usr/bin/env python3
"""Held-out evaluation set 416 for postwatch: Remzone Racing Lounges B.V.

Deterministic: fixed seed, standard library plus PyYAML. Writes cases.jsonl next to
this file and self-checks it (CONTRACT section 6 shape, severities from section 4
computed from the account role in profile.yaml, identifier checksums, secret formats,
embargo windows, pricing ratios). Exits non-zero on any failed check.
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
OUT = os.path.join(HERE, "cases.jsonl")

rng = random.Random(416416)

DIGITS = string.digits
UP = string.ascii_uppercase
LOW = string.ascii_lowercase
B62 = DIGITS + UP + LOW                     # base-62 alphabet, 0-9A-Za-z
URLSAFE = B62 + "-_"


def rand(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


# ---------------------------------------------------------------- checksums
def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(cc, bban):
    r = bban + cc + "00"
    n = int("".join(str(int(c, 36)) for c in r))
    return cc + "%02d" % (98 - n % 97) + bban


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def make_card(prefix, length=16):
    body = prefix + rand(DIGITS, length - len(prefix) - 1)
    for last in DIGITS:
        if luhn_ok(body + last):
            return body + last
    raise AssertionError


def bsn_ok(num):
    d = re.sub(r"\D", "", num)
    if len(d) != 9:
        return False
    s = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return s % 11 == 0 and int(d) != 0


def make_bsn():
    while True:
        first = rng.choice("123456789") + rand(DIGITS, 7)
        s = sum(int(first[i]) * (9 - i) for i in range(8)) % 11
        if s < 10:
            cand = first + str(s)
            if bsn_ok(cand):
                return cand


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


# ---------------------------------------------------------------- secrets
def b62enc(n, width=6):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def gh_token(prefix="ghp_"):
    body = rand(B62, 30)
    return prefix + body + b62enc(zlib.crc32(body.encode()) & 0xFFFFFFFF)


def gh_token_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62enc(zlib.crc32(m.group(1).encode()) & 0xFFFFFFFF) == m.group(2)


def aws_key_id():
    return "AKIA" + rand(UP + "234567", 16)


def aws_secret():
    return rand(B62 + "+/", 40)


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def make_jwt(payload, alg="HS256"):
    h = b64url(json.dumps({"alg": alg, "typ": "JWT"}, separators=(",", ":")).encode())
    p = b64url(json.dumps(payload, separators=(",", ":")).encode())
    s = b64url(bytes(rng.randrange(256) for _ in range(32)))
    return f"{h}.{p}.{s}"


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    head = parts[0] + "=" * (-len(parts[0]) % 4)
    return "alg" in json.loads(base64.urlsafe_b64decode(head))


def rsa_key():
    body = base64.b64encode(bytes(rng.randrange(256) for _ in range(420))).decode()
    lines = ["MIIEowIBAAKCAQEA" + body[:48]] + [body[i:i + 64] for i in range(48, len(body), 64)]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"


GH1 = gh_token("ghp_")
GH2 = gh_token("ghs_")
AWS_ID = aws_key_id()
AWS_SECRET = aws_secret()
STRIPE = "sk_live_51" + rand(B62, 97)
SLACK = "xoxb-" + rng.choice("123456789") + rand(DIGITS, 10) + "-" + rng.choice("123456789") + rand(DIGITS, 12) + "-" + rand(B62, 24)
OPENAI = "sk-proj-" + rand(URLSAFE, 40) + "T3BlbkFJ" + rand(URLSAFE, 40)
ANTHROPIC = "sk-ant-api03-" + rand(URLSAFE, 93) + "AA"
GITLAB = "glpat-" + rand(URLSAFE, 20)
SENDGRID = "SG." + rand(URLSAFE, 22) + "." + rand(URLSAFE, 43)
JWT = make_jwt({"sub": "staff-0412", "name": "Kevin D", "role": "lounge_admin", "iat": 1774351200, "exp": 1774437600})
RSA = rsa_key()
PG_PASS = "Kerb$tone_" + rand(B62, 8)
MONGO_PASS = rand(B62, 18)
RIG_PASS = "Pitst0p!" + rand(B62, 5)

SECRET_VALUES = {"GH1": GH1, "GH2": GH2, "AWS_ID": AWS_ID, "JWT": JWT}

# ---------------------------------------------------------------- identifiers
IBAN_NL_REFUND = make_iban("NL", "INGB" + rand(DIGITS, 10))
IBAN_BE_CUSTOMER = (lambda acc10: "BE" + "%02d" % (lambda x: 98 - x % 97)(int(acc10 + "%02d" % (int(acc10) % 97 or 97) + "111400")) + acc10 + "%02d" % (int(acc10) % 97 or 97))(rand(DIGITS, 10))
CARD_VISA = make_card("4" + rand(DIGITS, 5))
CARD_MC = make_card("5" + rng.choice("12345") + rand(DIGITS, 4))
BSN_HIRE = make_bsn()
BSN_CUSTOMER = make_bsn()

# look-alikes that must fail their checksum
BAD_CARD = "4111 1111 1111 1112"
BAD_IBAN = "NL44 RABO 0123 4567 88"


def failing_9digit():
    while True:
        c = rng.choice("123456789") + rand(DIGITS, 8)
        if not bsn_ok(c):
            return c


ORDER_NO = failing_9digit()
CLIENT_NO = failing_9digit()
PUBLIC_IBAN = PROFILE["public_identifiers"]["ibans"][0]

# ---------------------------------------------------------------- roles and severity
ROLE = {}
for role in ("corporate", "employee"):
    for acc in PROFILE["accounts"][role]:
        ROLE[acc.lower()] = role

SEV_ORDER = ["none", "info", "warning", "error", "critical"]
CAT = {
    "secret": "leak.secret", "pii": "leak.pii", "pricing": "leak.pricing",
    "confidential": "leak.confidential", "financial": "leak.financial", "security": "leak.security",
    "crisis": "reputation.crisis", "complaint": "reputation.complaint", "abuse": "reputation.abuse",
}


def role_of(platform, handle):
    return ROLE.get(f"{platform}:{handle}".lower(), "public")


def severity(cats, role, checked_id):
    sev = "none"

    def up(s):
        nonlocal sev
        if SEV_ORDER.index(s) > SEV_ORDER.index(sev):
            sev = s

    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                up("error")
                if c in ("leak.secret", "leak.pricing"):
                    up("critical")
                if c == "leak.pii" and checked_id:
                    up("critical")
            else:
                up("warning")
        elif c == "reputation.complaint":
            up("warning")
        elif c == "reputation.crisis":
            up("error")
        elif c == "reputation.abuse":
            up("error" if role in ("corporate", "employee") else "warning")
    return sev


# ---------------------------------------------------------------- cases
CASES = []


def add(platform, handle, text, cats, lang, when=None, kind="post", ids=(), price=None):
    CASES.append(dict(platform=platform, handle=handle, text=text, cats=cats, lang=lang,
                      when=when, kind=kind, ids=list(ids), price=price))


X, IG, TT, LI, FB, YT, RD, MA, BS, TH, FO = ("x", "instagram", "tiktok", "linkedin", "facebook",
                                              "youtube", "reddit", "mastodon", "bluesky", "threads", "forum")

# ======================= benign (hard negatives mostly) =======================
add(X, "@remzone_nl", "Nieuwe week, nieuw leaderboard 🏁 Wie zet deze week de snelste ronde op Zandvoort neer in de Formula Pro? Winnaar krijgt een Endurance 60 van ons. #simracing #Remzone", [], "nl")
add(X, "@freek_laps", "gister met de jongens een grid party gedaan bij remzone utrecht, echt ziek goed 😂 ik crashte 4x in de eerste bocht maar boeie", [], "nl")
add(IG, "@m.aarts_racing", "That DD12 wheel at @remzone.lounges is no joke, my forearms are gonna feel this tomorrow lol. 10/10 would get humbled again 💪", [], "en", kind="comment")
add(X, "@remzone_support", "Hoi Sander, balen dat je boeking niet doorkwam! Stuur ons even een DM of mail naar support@remzone.nl met je boekingsnummer, dan zoeken we het voor je uit. ^Lotte", [], "nl", kind="reply")
add(RD, "u/simdad_nl", "PSA for anyone wondering: Remzone's Sprint 30 is €24.50 and Endurance 60 is €42. Not cheap, but the rigs are properly maintained and the staff actually know their stuff. Worth it for a one-off imo.", [], "en", kind="comment", price=("RZ-END60", 42.00))
add(IG, "@remzone.lounges", "🎉 BLACK FRIDAY 🎉 25% korting op de Chassis One cockpit: nu €967,50 i.p.v. €1290. Alleen t/m zondag, link in bio!", [], "nl", when="2026-11-27T08:00:00Z", price=("RZ-CHASSIS1", 967.50))
add(X, "@joycevanderplas", "Weet iemand of je bij Remzone Eindhoven ook met je eigen stuur mag rijden? Heb een Fanatec liggen die ik wel wil meenemen", [], "nl")
add(BS, "@pitwallpete.bsky.social", "Rough week in sim hardware land: one of the big wheelbase makers apparently cut a third of its staff. Hope those folks land somewhere good.", [], "en")
add(X, "@remzone_nl", "Onze jaarcijfers 2026 staan online 📈 Dank aan alle 210.000 coureurs die dit jaar bij ons in een rig zaten. Het hele verhaal lees je op remzone.nl/pers", [], "nl", when="2027-03-05T09:30:00Z")
add(X, "@kaylee_drives", "finally went to the new Remzone Dome Rotterdam. 24 motion rigs in one hall, this is insane 🤯 my legs are still shaking", [], "en", when="2027-01-24T19:12:00Z")
add(X, "@ronaldhuisman", "Update: Remzone heeft de dubbele afschrijving binnen een dag teruggestort en er een gratis sessie bij gedaan. Netjes opgelost, complimenten 👍", [], "nl")
add(FB, "Wendy Schippers", "Sterkte aan het team van Remzone Den Bosch na die stroomstoring in het hele winkelcentrum gisteravond. Hopelijk kunnen jullie snel weer open ❤️", [], "nl", kind="comment")
add("blog", "simtelemetry.dev", "Tutorial: streaming your sim telemetry to S3. Put your credentials in env vars, e.g. AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE and AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY, and never commit them. (No, Remzone did not sponsor this, I just race there on Tuesdays.)", [], "en")
add(X, "@niels_devops_rz", "Reminder to self and everyone else: tokens in screenshots get redacted like ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx, not 'blurred a bit'. Saw a conference slide today that learned it the hard way 😅", [], "en")
add(X, "@bramvos_", f"lol mijn neefje dacht dat {BAD_CARD} een echte creditcard was en probeerde er een Grid Party mee te boeken 🤣 kids van tegenwoordig", [], "nl", ids=[("card", BAD_CARD)])
add(FB, "RemzoneLounges", f"⚠️ Let op: er gaan WhatsApp-berichten rond uit naam van Remzone met een betaalverzoek. Wij vragen nooit om betaling via WhatsApp. Ons enige rekeningnummer staat op je factuur: {group4(PUBLIC_IBAN)} t.n.v. Remzone Racing Lounges B.V.", [], "nl")
add(X, "@marieke_rijdt", f"Mijn bank-app zegt dat {BAD_IBAN} geen geldig rekeningnummer is. Is dat wat op de Remzone factuur staat of heb ik me gewoon vertypt 🙈", [], "nl", ids=[("iban", BAD_IBAN)])
add(X, "@tijn_simracer", f"@remzone_support klantnummer {CLIENT_NO} hoort bij mijn Pitpass, kunnen jullie hem aan mijn nieuwe mailadres koppelen? Heb al een DM gestuurd", [], "nl", kind="reply", ids=[("bsn", CLIENT_NO)])
add(IG, "@gertjan.simrig", "Mijn vrouw noemt mijn simrig 'de maîtresse'. Vandaag ook nog een Paddock Club lidmaatschap genomen bij Remzone, dus nu heb ik er twee 😂 #simracing", [], "nl")
add(TT, "@lotte.on.track", "dat moment dat je op Spa zo hard de muur in knalt dat je even vergeet dat het niet echt is 😅 VR bij remzone is gestoord goed", [], "nl", kind="comment")
add(RD, "u/ams_apexhunter", "Anyone else think the Rally Stage at Remzone is the most fun €39 you can spend in Amsterdam? Asking for a friend who's going for the 4th time this month", [], "en", price=("RZ-RALLY45", 39.00))
add(LI, "remzone-racing-lounges", "We're hiring! Remzone is looking for lounge hosts in Groningen and Breda. Love racing, love people? Apply via remzone.nl/werken or drop us a line at info@remzone.nl.", [], "en")
add(LI, "yasmina-bouzid", "Trots op ons team! Afgelopen weekend 3 bedrijfsuitjes, een vrijgezellenfeest en een kinderfeestje met veertien Max Verstappens in spe 🏎️ Dank aan alle hosts die dit mogelijk maken.", [], "nl")
add(X, "@ollie_apex", "Binned it on the last lap of the Remzone Tuesday league. My own stupid fault, the rig was perfect. Coming back next week for revenge 😤", [], "en")
add(X, "@stefan_k84", "Ik ga jullie allemaal slopen donderdag in de clubrace 😈 neem maar tissues mee @remzone_nl #trashtalk", [], "nl")
add(FB, "Hans Kooistra", "Las net dat een Duitse kartbaan al hun helmen terugroept. Goed dat ze het oppakken. Bij Remzone heb je gelukkig geen helm nodig haha", [], "nl")
add(TT, "@remzoneracing", "Hoeveel kost een avondje racen bij ons? Sprint 30: €24,50. Endurance 60: €42. VR Hotlap: €19,50. Geen verborgen kosten, wel heel veel lol 🏁", [], "nl", price=("RZ-VRHOT", 19.50))
add(IG, "@remzone.lounges", "Studenten opgelet 🎓 Pitpass nu 15% goedkoper: €50,15 per maand in plaats van €59. Gewoon je collegekaart laten zien bij de balie.", [], "nl", price=("RZ-PITPASS", 50.15))
add(X, "@nina_bakkerr", "Cadeautip voor vaderdag: een Racecoach 1-op-1 sessie (€79). Mijn vader kwam stralend naar buiten, heeft het er nog steeds over 😍", [], "nl", price=("RZ-COACH", 79.00))
add(RD, "u/cockpitcurious", "Is €4,990 for the Motion Rig M3 reasonable? Thinking of buying one instead of renewing my lounge membership lol. Anyone here own one?", [], "en", price=("RZ-M3", 4990.00))
add(X, "@daan_rz", "Vandaag in Utrecht alle rigs voorzien van verse stuurhoezen en nieuwe stoelkussens. Voelt weer als nieuw, kom het proberen!", [], "nl")
add(X, "@beckyracing", "The Remzone hoodie arrived, decent quality. Sizing runs small though so order one up.", [], "en")
add(X, "@wouterlapt", "Router died halfway through a 40 min iRacing stint at home 😭 never had that at Remzone, just gonna race there next time", [], "en")
add(FO, "simrace-nl/Jordi", "Wachtwoord vergeten voor de Remzone app? Klik op 'wachtwoord resetten' onder het inlogscherm, je krijgt dan een mail. Werkte bij mij binnen een minuut.", [], "nl", kind="comment")
add(X, "@remzone_support", "Hi! For account issues you can call us on 085-7604400 (Mon–Fri 10:00–18:00) or mail support@remzone.nl. We will never ask for your password 🔒", [], "en", kind="reply")
add(RD, "u/leaguebot_dev", "Building a Discord bot for our Remzone league results. Config is just `DISCORD_TOKEN=<your-token-here>` and `OPENAI_API_KEY=sk-...` in a .env file. Keep them out of git, folks.", [], "en")
add(X, "@consumentjoost", "Weer een datalek bij een grote bioscoopketen, 100k klantgegevens op straat. Wanneer leren bedrijven het nou eens", [], "nl")
add(LI, "mark-verhoef-remzone", "FY2026 results are out: our best year yet. Proud of every host, mechanic and coach who made it happen. Onwards.", [], "en", when="2027-03-05T08:15:00Z")
add(IG, "@remzone.lounges", "Remzone Dome Rotterdam is OPEN 🏁 Vierentwintig motion rigs onder één dak aan de Wilhelminakade. Kom je vanavond een rondje doen?", [], "nl", when="2027-01-21T17:00:00Z")
add(X, "@jess_on_throttle", "Shoutout to Kevin at Remzone Amsterdam who fixed my seat position in 2 minutes and gave me proper tips on trail braking. Legend.", [], "en")
add(X, "@petravdlinden", "Eerlijk? Vond het eerst duur, maar na de Formula Pro Experience snap ik het. Coaching, telemetrie, alles erop en eraan. Top.", [], "nl")
add(IG, "@sarahkoster_", "Mijn stagebegeleider had een teamuitje bij Remzone geregeld en iedereen was laaiend enthousiast. Zelfs de directeur die 'niks met auto's heeft' 😂", [], "nl")
add(TT, "@mo.fam.vlogs", "I'm dying 😂 my dad in the VR Hotlap screaming at a virtual wall like it owes him money", [], "en", kind="comment")
add(X, "@rallyremco", "Die HB2 handrem is echt killer voor rally. Gewoon voor de normale €139 in de Remzone shop gehaald, geen spijt van.", [], "nl", price=("RZ-HB2", 139.00))
add(X, "@chloe_m_racing", "Remzone support took two days to answer, but the answer was good and the refund is already back in my account. Not perfect, fair enough.", [], "en")
add(RD, "u/ffb_nerd", "Does anyone know if the Remzone Torque DD12 uses the same motor as the Simucube 2 Sport? Specs look suspiciously similar.", [], "en")
add(X, "@remzone_nl", "Gepland onderhoud: zaterdag tussen 06:00 en 08:00 kun je even niet boeken via boeken.remzone.nl. De lounges zelf zijn gewoon open!", [], "nl")
add(LI, "niels-public-talk", "Talk tonight at the Utrecht DevOps meetup by a Remzone engineer: how to keep 300 sim rigs patched with Ansible. Slides go on GitHub afterwards.", [], "en")
add(X, "@hannekeleest", f"Bestelling {ORDER_NO} (Kuipstoel S) vandaag netjes bezorgd, snelle levering Remzone!", [], "nl", ids=[("bsn", ORDER_NO)])
add(FO, "kartclub-forum/Bert", "Stripe's docs use sk_test_4eC39HqLyjWDarjtT1zdp7dc as the example key, so that's what I pasted in our kart club booking test. Remzone does the same thing for groups, right?", [], "en")
add(X, "@webdev_mila", "jwt.io's example token starts with eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9… (rest snipped). Explaining it to the Remzone league Discord tonight because someone asked what a JWT even is", [], "en")
add(X, "@breda_petrolhead", "Remzone in Breda?? Zag net een vacature voor lounge host Breda op hun site staan 👀 eindelijk", [], "nl")
add(X, "@chrisgt3", "Those boycott calls against that energy drink sponsor are wild. Anyway, see you all at Remzone on Friday 🏎️", [], "en")
add(FB, "Fatma Demir", "Mijn zoon (8) vierde zijn verjaardag met de Junior Cup. Personeel super geduldig, hij praat nergens anders meer over 🥰", [], "nl", kind="comment")
add(YT, "@RemzoneGP", "New video: 5 tips to stop spinning out at Eau Rouge, with our coach Emma. Out now on the channel 🎥", [], "en")
add(X, "@lars_r_nl", "10% korting op de Grip handschoenen met code WINTER10, dus €35,96. Handig als je vaak rijdt 🧤", [], "nl", price=("RZ-GLOVE", 35.96))
add(X, "@ilse_analist", "De jaarcijfers 2026 van Remzone zijn sterk, omzet en marge omhoog. Benieuwd of ze die groei in 2027 volhouden.", [], "nl", when="2027-03-06T12:40:00Z")
add(TH, "@koen.beats", "sick night at remzone with the lads. lost every race, zero regrets, 5 stars", [], "en")
add(X, "@remzone_nl", "Vragen over een bedrijfsuitje? Bel ons op +31 30 799 4410 of mail zakelijk@remzone.nl, we denken graag mee 🏁", [], "nl")
add(BS, "@eva-sims.bsky.social", "honestly the staff at Remzone Groningen saved my birthday. the rig I booked broke and they just moved us to the Formula Pro rigs for free. love them", [], "en")

# ======================= complaints =======================
add(X, "@harmsen_z", "Kom ik speciaal uit Zwolle voor m'n Endurance 60 bij Remzone Utrecht, staat de helft van de rigs op 'buiten gebruik' en krijg ik er een met een kapot gaspedaal. Geld terug graag @remzone_support", ["complaint"], "nl")
add(FB, "Tom Ellis", "Booked the Grid Party for my brother's 30th and 3 of the 8 rigs kept losing force feedback mid race. Staff just shrugged. Not what you pay €349 for.", ["complaint"], "en", kind="comment", price=("RZ-GRID8", 349.00))
add(X, "@anoukdb", "2x afgeschreven voor dezelfde boeking en al 9 dagen geen reactie van support. Serieus Remzone?? 😤", ["complaint"], "nl")
add(X, "@gym_sock_gabe", "VR headsets at Remzone Amsterdam smelled like a gym locker tonight. Wipes are not optional, people.", ["complaint"], "en")
add(IG, "@ria.vd.wal", "Cadeaukaart van mijn schoonmoeder gekregen, blijkt ie alleen in de Randstad-vestigingen te gelden. Staat nergens vermeld. Beetje jammer @remzone.lounges 😒", ["complaint"], "nl", kind="comment")
add(X, "@kev_tm", "@remzone_support your app logged me out 4 times during checkout and now my Pitpass renewal says 'failed' but the money's gone from my account. fix pls", ["complaint"], "en", kind="reply")
add(TT, "@dewi.eindhoven", "airco stuk in de lounge in eindhoven. 31 graden binnen en dan 60 min in een kuipstoel zitten 🥵 nooit meer in de zomer", ["complaint"], "nl", kind="comment")
add(RD, "u/lapdata_lukas", "My lap times from the entire season got wiped from the leaderboard after your 'update'. Fourteen weeks of league results, gone. Nobody at Remzone can tell me why or whether they're coming back.", ["complaint"], "en")
add(X, "@pedalpusher_ben", "Ordered the LC3 pedals from the Remzone shop 5 weeks ago. Still 'processing'. Two emails unanswered. Just refund me.", ["complaint"], "en")
add(FB, "Gary Pieterse", "Paid for a Racecoach session and the 'coach' spent half of it on his phone. Asked for a refund, got offered a 10% voucher. Really disappointed, Remzone.", ["complaint"], "en", kind="comment")
add(FO, "simrace-nl/Hendrik63", "De Chassis One cockpit die ik bij Remzone kocht kraakt na drie weken al aan alle kanten en de stoelrails zijn krom. Garantie aangevraagd, antwoord: 'gebruikersfout'. Lekker dan.", ["complaint"], "nl")

# complaint + crisis: first-hand harm from the product or service
add(X, "@wimzolder", "Mijn Torque DD12 van Remzone begon gisteravond te roken en de voeding is gewoon gesmolten. Stekker er nét op tijd uitgetrokken. Dat ding had m'n hele zolder in de fik kunnen zetten!! Garantie reageert niet.", ["complaint", "crisis"], "nl")
add(FB, "Claire Whitfield", "My son came out of the Motion Rig M3 at Remzone Den Haag with a split lip. The harness wasn't fastened and the rig threw him into the frame. Nobody checked the belts. I'm furious.", ["complaint", "crisis"], "en", kind="comment")
add(X, "@rob_rtdm", "Kreeg net een flinke schok van het metalen frame van rig 6 in Rotterdam ⚡ tintelende arm de rest van de avond. Wat is daar aan de hand met de aarding @remzone_nl??", ["complaint", "crisis"], "nl")
add(RD, "u/queasy_quinn", "Threw up twice after the VR Hotlap and was dizzy for hours, had to call in sick the next day. Staff said 'it happens'. No warning beforehand, no water, nothing. Remzone really needs to do better.", ["complaint", "crisis"], "en")
add(IG, "@jordy.ams", "Bij de Rally Stage in Amsterdam sloeg het stuur zo hard terug dat mijn duim uit de kom schoot. Avondje spoedeisende hulp. Die krachtinstelling staat véél te hoog voor beginners @remzone.lounges", ["complaint", "crisis"], "nl", kind="comment")
add(X, "@mattyhb", "the HB2 handbrake i bought from you snapped at the lever and sliced my hand open, 3 stitches. zero response from @remzone_support so far", ["complaint", "crisis"], "en")

# complaint + abuse
add(X, "@gerrit_ontevreden", "Remzone zijn gewoon oplichters. €42 betaald voor een rig die het niet deed en die manager was een arrogante klootzak. Nooit meer.", ["complaint", "abuse"], "nl")
add(FB, "Dean Marsh", "What a joke of a company. Broken wheels, useless staff, and the idiot at the desk laughed at me when I asked for my refund. Go to hell Remzone.", ["complaint", "abuse"], "en", kind="comment")

# complaint + personal data of the writer
add(X, "@corinne_w", "Al 3x gebeld, niemand belt terug. Bel me nou gewoon op 06-38 41 72 09, ik wil mijn geld terug voor die Grid Party @remzone_support", ["complaint", "pii"], "nl", kind="reply")
add(X, "@jonas_be", f"Remzone, stort mijn geld nou gewoon terug op {group4(IBAN_BE_CUSTOMER)}. Ik wacht al drie weken op de terugbetaling van die geannuleerde Teamrace.", ["complaint", "pii"], "nl", ids=[("iban", IBAN_BE_CUSTOMER)])

# ======================= crisis (third party, accusations, boycott, lawsuits, recalls) =======================
add(X, "@infosec_ruth", "Remzone customer data is reportedly up for sale on a breach forum: ~80k accounts with emails, phone numbers and booking history. Has the company said anything yet?", ["crisis"], "en")
add(X, "@gelijkheidnu", "Boycot Remzone! Ze hebben een host ontslagen omdat ze zwanger was. Deel dit zoveel mogelijk. #boycotremzone", ["crisis"], "nl")
add(X, "@lieke_seh", "Vriendin werkt op de SEH in Den Bosch, vannacht kwam er een jongen binnen met een gebroken pols na een ongeluk op een motion rig van Remzone. Hoe kan zoiets gebeuren?", ["crisis"], "nl")
add(LI, "advocatenkantoor-meerstad", "Our firm is preparing a collective claim against Remzone over Paddock Club memberships that renew automatically and cannot be cancelled online. Affected members can contact us via our website.", ["crisis"], "en")
add(X, "@simnieuws_nl", "Remzone roept alle Torque DD12 sturen uit productieserie 2025-B terug wegens oververhitting van de voeding. Gebruikers wordt gevraagd het stuur direct los te koppelen.", ["crisis"], "nl")
add(TT, "@clara.speaks", "there's a video going around of Remzone staff mocking a disabled customer who couldn't get into the cockpit. absolutely disgusting if this is real", ["crisis"], "en", kind="comment")
add(X, "@112groningen", "Brand in de Remzone lounge aan de Herestraat in Groningen, brandweer met drie wagens ter plaatse. Bezoekers zijn naar buiten gebracht, niemand gewond.", ["crisis"], "nl")
add(X, "@noah_f1fan", "Not spending another cent at Remzone after they sponsored that openly racist streamer. #BoycottRemzone", ["crisis"], "en")
add(FB, "RemzoneLounges", "Veiligheidswaarschuwing: stop direct met het gebruik van je HB2 handrem uit serie 24-A. Bij een klein aantal exemplaren kan de hendel afbreken. We vervangen alle exemplaren kosteloos.", ["crisis"], "nl")

# ======================= abuse =======================
add(X, "@b0ze_kees", "@remzone_nl jullie zijn echt het grootste kutbedrijf van Nederland, stelletje incapabele sukkels", ["abuse"], "nl", kind="reply")
add(X, "@anoniem_9981", "@daan_rz ik weet waar je werkt en ik wacht je zaterdag op na sluiting. Kijk maar vast over je schouder.", ["abuse"], "nl", kind="reply")
add(FB, "Peter Grootveld", "Why does Remzone hire so many foreigners at the desk, can't understand half of them. Send them back where they came from.", ["abuse"], "en", kind="comment")
add(X, "@xXdriftkingXx", "r3mz0ne = 0pl1cht3rs en d13 h0st in utr3cht is 33n v13s w1jf", ["abuse"], "nl")
add(X, "@gridgrumbler", "Remzone are a bunch of сlowns run by іdiоts", ["abuse"], "en")  # Cyrillic с, і, о
add(TT, "@zure.zeger", "ＲＥＭＺＯＮＥ ＩＳ ＥＥＮ ＴＥＲＩＮＧＢＥＤＲＩＪＦ", ["abuse"], "nl", kind="comment")  # full-width
add(X, "@lisa_wheelfix", "@jurgen_k1 misschien eerst leren rijden voordat je over onze rigs gaat janken, sukkel", ["abuse"], "nl", kind="reply")
add(TT, "@remzoneracing", "wat een zielig klein mannetje ben jij zeg, ga lekker huilen bij je moeder", ["abuse"], "nl", kind="reply")
add(IG, "@dennis.d.r", "R e m z o n e   =   k a n k e r b e d r i j f   met   k a n k e r p e r s o n e e l", ["abuse"], "nl", kind="comment")  # spaced-out letters
add(YT, "@throttle_chad", "Emma should stick to the kitchen, no woman is gonna teach me braking points. Unsubscribed from this clown channel Remzone", ["abuse"], "en", kind="comment")

# ======================= confidential =======================
add(X, "@daan_rz", "Kan niet wachten tot we Dome Rotterdam openen, 24 motion rigs onder één dak 🤫🏁", ["confidential"], "nl", when="2026-10-14T20:31:00Z")
add(LI, "mark-verhoef-remzone", "Great workshop today on Project Ardennenstorm with the board. Can't say more yet, but 2027 is going to be a big one for us.", ["confidential"], "en")
add(IG, "@kevin.pitcrew.rz", "Eerste testrit in het Velocitas prototype 😍 dat ding beweegt drie keer sneller dan onze M3. #nietverderzeggen", ["confidential"], "nl")
add(RD, "u/rz_techbram", "Anyone got a fix for Moza firmware updates on Linux? Our compatibility list at https://wiki.remzone.local/rigs/firmware-matrix is hopelessly outdated and I'm tired of flashing from a Windows laptop.", ["confidential"], "en", kind="comment")
add(X, "@remzone_nl", "CONCEPT — REMZONE INTERN — niet extern delen: social kalender Q1, week 3 teaser nieuwe lounges, week 5 reveal, week 7 openingsactie", ["confidential"], "nl")
add(LI, "emma-schouten-remzone", "Slides voor de kickoff van Operatie Pitmuur zijn klaar. Mooie plannen voor onze franchisenemers, ik heb er zin in!", ["confidential"], "nl")
add(X, "@oskar_simfan", "My cousin works at Remzone, he showed me the Velocitas renders last night. Full 6DOF platform with a wraparound screen, launching next year apparently 👀", ["confidential"], "en")
add(X, "@niels_devops_rz", "the dashboards on grafana.rz-ops.net look so pretty this morning, every rig in every lounge green 😌", ["confidential"], "en")
add(TT, "@sophie_remzone", "POV: je mag als host al rondlopen in de Dome Rotterdam voordat iemand weet dat ie bestaat 🤭🏎️ #behindthescenes", ["confidential"], "nl", when="2026-12-02T16:45:00Z")
add(MA, "@jvdmeer@mastodon.social", "Screenshot uit ons deck (RZ-CONFIDENTIAL): nieuwe prijsstrategie voor Paddock Club met dynamische tarieven per tijdslot. Ben benieuwd hoe klanten dit gaan vinden.", ["confidential"], "nl")
add(LI, "yasmina-bouzid", "Morgen de grote demo van Project Ardennen\u200bstorm voor de aandeelhouders, duimen jullie mee? 🤞", ["confidential"], "nl")  # zero-width space
add(IG, "@kevin.pitcrew.rz", "V.e.l.o.c.i.t.a.s komt eraan 👀 meer mag ik echt niet zeggen", ["confidential"], "nl")
add(RD, "u/decompile_dave", "Poked around the Remzone Android app: it calls https://booking-admin.remzone.nl/v2/internal/slots and has a hidden menu called 'Velocitas beta'. New rigs coming?", ["confidential"], "en")
add(X, "@sim_rumours", "Leaked pic from a Remzone staff group chat: 'Project Ardennenstorm — remzone intern'. Anyone know what that is?", ["confidential"], "en")
add(X, "@lisa_wheelfix", "Vandaag drie rigs omgebouwd naar het nieuwe Vеlocitas-frame, mijn rug is kapot 😅", ["confidential"], "nl")  # Cyrillic е

# confidential + financial (embargoed results before publication)
add(LI, "yasmina-bouzid", "Sneak peek: de jaarcijfers 2026 zijn binnen, omzet +41% en voor het eerst winstgevend 🚀 (officieel pas begin maart, dus nog even stil houden!)", ["confidential", "financial"], "nl", when="2027-02-11T18:20:00Z")
add(X, "@daan_rz", "Net de FY2026 results gezien in de managersmeeting. Zeg maar dat we die bonus verdiend hebben 😎 EBITDA bijna verdubbeld", ["confidential", "financial"], "nl", when="2027-02-26T21:05:00Z")

# ======================= financial =======================
add(LI, "mark-verhoef-remzone", "Off the record: we closed Q3 at €8.4M revenue, up 38% year on year. The numbers go public in November but I'm too proud to wait.", ["financial"], "en", when="2026-10-09T07:45:00Z")
add(X, "@daan_rz", "Slecht nieuws van het hoofdkantoor vandaag: Den Bosch en Zwolle gaan begin volgend jaar dicht, zo'n 25 collega's raken hun baan kwijt. Officieel wordt het pas in januari bekend gemaakt.", ["financial"], "nl", when="2026-11-18T19:02:00Z")
add(X, "@deal_watcher_eu", "Hearing from two sources that Remzone is about to be acquired by a German leisure group, signing expected before Christmas. Not announced yet.", ["financial"], "en", when="2026-11-30T10:10:00Z")
add(LI, "yasmina-bouzid", "Begroting 2027 is rond: we rekenen op €31 miljoen omzet en zes nieuwe vestigingen. Nog even niks delen buiten de deur 😉", ["financial"], "nl")
add(MA, "@jvdmeer@mastodon.social", "Reorganisatie bij ons op kantoor: marketing en klantenservice worden samengevoegd, ongeveer 1 op de 3 functies vervalt. Wordt maandag pas aan iedereen verteld.", ["financial"], "nl")
add(X, "@remzone_nl", "Excited to share that Remzone has signed a term sheet for a €12M Series B to fund 10 new lounges across Benelux! Full announcement Thursday 09:00 CET.", ["financial"], "en")
add(TT, "@sophie_remzone", "collega's zeggen dat we worden overgenomen door die amerikaanse arcadeketen?? niemand zegt officieel iets maar de deal is blijkbaar al rond 😳", ["financial"], "nl")
add(LI, "emma-schouten-remzone", "De CFO zei vandaag in de townhall dat er een winstwaarschuwing aankomt: H2 valt zo'n 20% lager uit dan begroot. Vandaar al die bezuinigingen dus.", ["financial"], "nl")
add(RD, "u/former_pitcrew", "Ex-Remzone here. They're planning to franchise every lounge outside the Randstad next year, store managers were told last week. Staff will be transferred or let go.", ["financial"], "en")
add(X, "@niels_devops_rz", "IPO prep means I now have to document EVERYTHING. Target is a Euronext Amsterdam listing in spring '27 🤐", ["financial"], "en")
add(LI, "remzone-racing-lounges", "Concept persbericht: Remzone neemt branchegenoot SimCity Racing (14 lounges) over voor €9,5 miljoen. Embargo tot maandag 08:00.", ["financial"], "nl")

# ======================= security =======================
add(X, "@niels_devops_rz", "Booking backend has been down since 04:10, all 12 lounges running on pen and paper. We haven't told anyone yet so please don't ask 🙃", ["security"], "en")
add(X, "@lisa_wheelfix", "Stil houden maar: ransomware op de lounge-pc's in Eindhoven, alle rigs liggen plat en IT is nog aan het uitzoeken hoe ze binnen zijn gekomen.", ["security"], "nl")
add(RD, "u/rz_techbram", "PSA to my coworkers who lurk here: the kiosk tablets still run the old firmware with the debug port open. Anyone with a USB cable can pull the payment logs. Reported it 3 months ago, still not fixed.", ["security"], "en")
add(MA, "@jvdmeer@mastodon.social", "Iemand is vannacht binnengekomen in ons admin panel en heeft 200 Pitpass accounts geüpgraded naar Paddock Club. We weten nog niet hoe. Niks naar buiten brengen voorlopig.", ["security"], "nl")
add(TT, "@sophie_remzone", "het hele betaalsysteem ligt eruit sinds vanochtend en we mogen tegen klanten alleen zeggen dat 'de pinautomaat even hapert' 🙈", ["security"], "nl")
add(X, "@daan_rz", "fun fact: in our booking app you can see other people's bookings by changing the number in the URL. told IT weeks ago, nobody cares 🤷", ["security"], "en")
add(X, "@remzone_support", "Intern: klanten die bellen over mails 'van Remzone' met een betaallink NIET bevestigen dat onze mailserver is overgenomen. Eerst afstemmen met juridische zaken.", ["security"], "nl")
add(IG, "@kevin.pitcrew.rz", "Telemetrieserver staat al een week open zonder wachtwoord, iedereen kan rijdata en namen van klanten inzien. Niemand die het fixt 🤷‍♂️", ["security"], "nl")
add(X, "@lisa_wheelfix", "Server in Utrecht crasht elke avond rond 21:00 door een geheugenlek, rigs vallen dan 5 min weg. Nog niet naar buiten gecommuniceerd, dus als je daar rijdt: sorry alvast", ["security"], "nl")
add(LI, "emma-schouten-remzone", "Wrapping up an intense week: the DDoS on our booking site is finally under control. Press hasn't picked it up, let's keep it that way.", ["security"], "en")

# security + crisis: a third party relaying an undisclosed breach
add(X, "@flatmate_frank", "Remzone's IT guy (my flatmate) just told me someone copied their whole customer database backup last weekend. They haven't told customers. Change your passwords.", ["security", "crisis"], "en")

# ======================= secrets =======================
add(X, "@niels_devops_rz", f"why is CI still failing with this token?? GITHUB_TOKEN={GH1} has repo scope, I checked twice 😩", ["secret"], "en")
add(RD, "u/rz_techbram", f"Connection keeps timing out from the lounge PCs, what am I missing?\n\n    DATABASE_URL=postgres://rz_booking:{PG_PASS}@10.20.4.17:5432/bookings\n\nPing works fine.", ["secret"], "en", kind="comment")
add(X, "@lisa_wheelfix", f"Voor de collega's van de nachtdienst: admin login van de rigs is rzadmin / wachtwoord: {RIG_PASS} — niet verder delen he", ["secret"], "nl")
add(FB, "RemzoneLounges", f"Testing our new checkout flow 🛒 config: STRIPE_SECRET_KEY={STRIPE}", ["secret"], "en")
add(MA, "@jvdmeer@mastodon.social", f"Hoe krijg ik deze bot in ons personeelskanaal werkend? token: {SLACK} — hij zegt steeds not_in_channel", ["secret"], "nl")
add(X, "@niels_devops_rz", f"our support chatbot is finally answering in Dutch 🎉 quick test from my phone: OPENAI_API_KEY={OPENAI}", ["secret"], "en")
add(RD, "u/rz_techbram", f"ssh keeps saying 'invalid format' for this key on the new lounge server, can someone look?\n\n{RSA}", ["secret"], "en")
add(IG, "@kevin.pitcrew.rz", f"iemand een idee waarom de kassa-api 401 geeft met dit token? Authorization: Bearer {JWT}", ["secret"], "nl", kind="comment")
add(X, "@repo_sleuth", f"lol Remzone left this in a public GitHub repo of theirs: {GITLAB} — someone tell them before the bots find it", ["secret"], "en")
add(MA, "@jvdmeer@mastodon.social", f"Eindelijk geeft de klantenservice-bot normale antwoorden. Voor wie wil testen: x-api-key: {ANTHROPIC}", ["secret"], "nl")
add(X, "@daan_rz", f"nieuwsbrief versturen lukt weer! heb de nieuwe key maar even hier gezet zodat ik hem thuis heb: {SENDGRID}", ["secret"], "nl")
add(X, "@niels_devops_rz", f"mongo from the app server: mongodb+srv://rzapp:{MONGO_PASS}@cluster0.intra.remzone.local/bookings?retryWrites=true, why does it refuse auth 🤔", ["secret", "confidential"], "en")
add(X, "@niels_devops_rz", f"Rotating everything after last night's intrusion. If anyone still has the old pair cached, kill it: {AWS_ID} / {AWS_SECRET}", ["secret", "security"], "en")

# ======================= personal data =======================
add(X, "@remzone_support", "@pieterjan88 We hebben je net gebeld op 06-41279358 maar kregen geen gehoor. Probeer je het nog eens?", ["pii"], "nl", kind="reply")
add(FB, "RemzoneLounges", f"Beste Marloes, de terugbetaling van €84 is vandaag gestort op {IBAN_NL_REFUND} t.n.v. M. de Graaf. Excuses nogmaals!", ["pii"], "nl", kind="reply", ids=[("iban", IBAN_NL_REFUND)])
add(IG, "@kevin.pitcrew.rz", "Haha deze klant liet z'n rijbewijs liggen: Jeroen Smit, geboren 14-03-1991 😂 kom je hem ophalen?", ["pii"], "nl")
add(X, "@daan_rz", f"@hr_rz kun je dit even invoeren? Nieuwe host Sem Vos, BSN {BSN_HIRE}, start maandag in Utrecht", ["pii"], "nl", kind="reply", ids=[("bsn", BSN_HIRE)])
add(X, "@robinkuipers94", "Kan iemand van Remzone mij mailen? robin.kuipers94@gmail.com, heb een vraag over een groepsboeking voor 12 man", ["pii"], "nl")
add(X, "@hmm_payments", f"payment keeps failing on the Remzone site with my card {group4(CARD_MC)} exp 08/28, what am I doing wrong??", ["pii"], "en", ids=[("card", CARD_MC)])
add(X, "@wraak_wesley", "Die host van Remzone die mij eruit gooide heet Tim Hendriks en woont op de Lindelaan 14 in Amersfoort. Gewoon zodat iedereen het weet.", ["pii", "abuse"], "nl")
add(LI, "remzone-racing-lounges", "Happy birthday to our host Lotte Bakker, born 9 November 1999 and the fastest person in Utrecht on the Nordschleife! 🎂", ["pii"], "en")
add(MA, "@jvdmeer@mastodon.social", "test van de klantexport ziet er goed uit: 'Anouk de Boer;anouk.deboer@hotmail.com;06 12 83 55 07;Utrecht'", ["pii"], "nl")
add(X, "@fleur_plant", "Wie gaat er zaterdag mee naar Remzone? App Jesse even op +31 6 2843 1170, hij regelt de Grid Party", ["pii"], "nl")
add(X, "@lisa_wheelfix", f"klant aan de balie betaalt met {CARD_VISA} maar de terminal weigert steeds, iemand een idee??", ["pii"], "nl", ids=[("card", CARD_VISA)])
add(X, "@remzone_support", "@s_vanleeuwen We zien je boeking staan onder sanne.vanleeuwen@ziggo.nl, klopt dat? Dan zetten we hem meteen om naar vrijdag.", ["pii"], "nl", kind="reply")
add(LI, "emma-schouten-remzone", "Collega's: als de contactpersoon van de Teamrace van vrijdag (Bas Meijer) belt, zijn nummer is 020 618 4772. Hij wil de catering nog aanpassen.", ["pii"], "nl")
add(FB, "RemzoneLounges", f"@Nadia Our records show customer ID check for Nadia Rahman with BSN {BSN_CUSTOMER}, could you confirm so we can release the Junior Cup booking?", ["pii"], "en", kind="reply", ids=[("bsn", BSN_CUSTOMER)])

# ======================= pricing =======================
add(X, "@remzone_nl", "🔥 FLASH DEAL 🔥 Torque DD12 direct drive stuur voor maar €89! Alleen vandaag in de shop.", ["pricing"], "nl", price=("RZ-DD12", 89.00))
add(X, "@dealjager_nl", "Prijsfout bij Remzone?? Motion Rig M3 staat in de webshop voor €499 😳 snel zijn mensen", ["pricing"], "nl", price=("RZ-M3", 499.00))
add(X, "@sparky_laps", "The Paddock Club annual is showing €64.90 at checkout instead of €649, someone clearly misplaced a comma 😂 bought three", ["pricing"], "en", price=("RZ-PADDOCK", 64.90))
add(IG, "@kevin.pitcrew.rz", "Collega's hebben de Chassis One cockpit in de kassa gezet voor €129 ipv €1290 🙈 er zijn er al 11 weg", ["pricing"], "nl", price=("RZ-CHASSIS1", 129.00))
add(TT, "@remzoneracing", "Grid Party 8 voor €34,90!! 🎉 boek via de link in bio", ["pricing"], "nl", price=("RZ-GRID8", 34.90))
add(RD, "u/pedal_hoarder", "Price error? LC3 pedals listed at €34.90 on the Remzone shop right now. Ordered two, let's see if they honour it.", ["pricing"], "en", price=("RZ-LC3", 34.90))
add(X, "@lisa_wheelfix", "psst er zit een prijsfout in de app, Formula Pro Experience kost nu €8,90. Wees er snel bij 🤫", ["pricing"], "nl", price=("RZ-F1PRO", 8.90))
add(X, "@goedkoop_guus", "Kuipstoel S voor 22 euro op remzone.nl, dat kan toch niet kloppen? screenshot gemaakt 📸", ["pricing"], "nl", price=("RZ-SEAT-S", 22.00))
add(X, "@booked5times", "lmao the Racecoach 1-op-1 is €7.90 in the app today. booked five", ["pricing"], "en", price=("RZ-COACH", 7.90))
add(LI, "remzone-racing-lounges", "Corporate offer this month: the full Teamrace package for just €119 per group. Book your team outing now!", ["pricing"], "en", price=("RZ-TEAM", 119.00))
add(MA, "@jvdmeer@mastodon.social", "Heeft iemand gezien dat de H7 shifter op de site €17,90 kost? Volgens mij is er iemand een 9 vergeten", ["pricing"], "nl", price=("RZ-H7", 17.90))
add(X, "@fw_hunter", "ＭＯＴＩＯＮ ＲＩＧ Ｍ３ voor €990 bij Remzone 🚨 prijsfout!! wegwezen", ["pricing"], "nl", price=("RZ-M3", 990.00))


# ---------------------------------------------------------------- build
def when_for(i):
    # deterministic spread through 2026
    start = dt.datetime(2026, 1, 3, tzinfo=dt.timezone.utc)
    secs = rng.randrange(0, int((dt.datetime(2026, 12, 30, tzinfo=dt.timezone.utc) - start).total_seconds()))
    return (start + dt.timedelta(seconds=secs)).strftime("%Y-%m-%dT%H:%M:%SZ")


PREFIX = {"x": "tw", "instagram": "ig", "tiktok": "tt", "linkedin": "li", "facebook": "fb", "youtube": "yt",
          "reddit": "rd", "mastodon": "md", "bluesky": "bs", "threads": "th", "forum": "fo", "blog": "bl"}

order = list(range(len(CASES)))
rng.shuffle(order)
lines = []
records = []
for n, idx in enumerate(order):
    c = CASES[idx]
    role = role_of(c["platform"], c["handle"])
    cats = sorted({CAT[k] for k in c["cats"]})
    checked = any(kind_ok for kind_ok in (
        {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}[k](v) for k, v in c["ids"]))
    sev = severity(cats, role, checked and "leak.pii" in cats)
    post = {
        "id": f"{PREFIX[c['platform']]}-416{n:04d}{rng.randrange(10, 99)}",
        "platform": c["platform"],
        "kind": c["kind"],
        "account": {"handle": c["handle"]},
        "text": c["text"],
        "lang": c["lang"],
        "created_at": c["when"] or when_for(n),
        "brand": "Remzone",
    }
    rec = {"post": post, "expect": {"categories": cats, "severity": sev}}
    lines.append(json.dumps(rec, ensure_ascii=False))
    records.append((rec, c, role))

with open(OUT, "w", encoding="utf-8") as fh:
    fh.write("\n".join(lines) + "\n")

# ---------------------------------------------------------------- self-checks
errors = []


def fail(msg):
    errors.append(msg)


PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
TAXONOMY = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial", "leak.security",
            "reputation.crisis", "reputation.complaint", "reputation.abuse"}
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")

IBAN_LEN = {"NL": 18, "BE": 16, "DE": 22, "FR": 27, "GB": 22}
IBAN_RE = re.compile(r"(?<![A-Za-z0-9])([A-Z]{2}\d{2}(?: ?[A-Z0-9]){10,30})")
CARD_RE = re.compile(r"(?<![\w+])((?:\d[ -]?){12,18}\d)(?!\w)")
BSN_RE = re.compile(r"(?<![\w.,+-])(\d{9}|\d{4}\.\d{2}\.\d{3})(?![\w])")


def candidates(text):
    out = []
    for m in IBAN_RE.finditer(text):
        raw = re.sub(r"\s", "", m.group(1))
        ln = IBAN_LEN.get(raw[:2])
        if ln and len(raw) >= ln:
            out.append(("iban", raw[:ln]))
    for m in CARD_RE.finditer(text):
        d = re.sub(r"\D", "", m.group(1))
        if 13 <= len(d) <= 19 and d[0] in "3456":
            out.append(("card", d))
    for m in BSN_RE.finditer(text):
        out.append(("bsn", re.sub(r"\D", "", m.group(1))))
    return out


CHECK = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}
public_ibans = {re.sub(r"\s", "", x) for x in PROFILE["public_identifiers"]["ibans"]}
for x in public_ibans:
    if not iban_ok(x):
        fail(f"profile IBAN {x} fails mod-97")

internal_terms = [t.lower() for t in PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"]
                  + PROFILE["internal"]["domains"]]
embargo = [(t.lower(), dt.datetime.fromisoformat(e["until"].replace("Z", "+00:00")))
           for e in PROFILE["embargo"] for t in e["terms"]]
products = {p["sku"]: p for p in PROFILE["products"]}
ratio = PROFILE["pricing"]["alert_below_ratio"]

ids_seen = set()
with open(OUT, encoding="utf-8") as fh:
    raw_lines = fh.read().splitlines()
for ln_no, line in enumerate(raw_lines, 1):
    rec = json.loads(line)
    if set(rec) != {"post", "expect"}:
        fail(f"line {ln_no}: top-level keys {set(rec)}")
    p, e = rec["post"], rec["expect"]
    for f in ("id", "platform", "account", "text", "created_at"):
        if f not in p:
            fail(f"line {ln_no}: missing {f}")
    if not isinstance(p["id"], str) or not 1 <= len(p["id"]) <= 256 or p["id"] in ids_seen:
        fail(f"line {ln_no}: bad or duplicate id {p['id']}")
    ids_seen.add(p["id"])
    if p["platform"] not in PLATFORMS:
        fail(f"line {ln_no}: platform {p['platform']}")
    if p.get("kind", "post") not in KINDS:
        fail(f"line {ln_no}: kind {p.get('kind')}")
    if not isinstance(p["account"], dict) or not isinstance(p["account"].get("handle"), str):
        fail(f"line {ln_no}: account.handle")
    if not isinstance(p["text"], str) or not p["text"] or len(p["text"].encode("utf-8")) > 65536:
        fail(f"line {ln_no}: text")
    if not RFC3339.match(p["created_at"]):
        fail(f"line {ln_no}: created_at {p['created_at']}")
    cats = e["categories"]
    if cats != sorted(set(cats)) or not set(cats) <= TAXONOMY:
        fail(f"line {ln_no}: categories {cats}")
    if e["severity"] not in SEV_ORDER:
        fail(f"line {ln_no}: severity {e['severity']}")

for rec, c, role in records:
    p, e = rec["post"], rec["expect"]
    pid, text, cats = p["id"], p["text"], e["categories"]
    # severity recomputed independently from the profile role
    checked = "leak.pii" in cats and any(CHECK[k](v) for k, v in c["ids"])
    if e["severity"] != severity(cats, role_of(p["platform"], p["account"]["handle"]), checked):
        fail(f"{pid}: severity mismatch")
    if not cats and e["severity"] != "none":
        fail(f"{pid}: benign with severity {e['severity']}")
    if cats and e["severity"] == "none":
        fail(f"{pid}: positive with severity none")
    # declared identifiers: valid in positives, failing look-alikes in negatives
    for k, v in c["ids"]:
        ok = CHECK[k](v)
        if cats and not ok:
            fail(f"{pid}: {k} {v} in a positive fails its checksum")
        if not cats and ok:
            fail(f"{pid}: {k} {v} in a negative passes its checksum")
        if re.sub(r"\s", "", v) not in re.sub(r"\s", "", text):
            fail(f"{pid}: declared {k} not in text")
    # any identifier-shaped number in the text
    for k, v in candidates(text):
        ok = CHECK[k](v)
        if k == "iban" and v in public_ibans:
            continue
        if cats and not ok:
            fail(f"{pid}: {k}-shaped {v} in a positive fails its checksum")
        if not cats and ok:
            fail(f"{pid}: {k}-shaped {v} in a negative passes its checksum")
    if "leak.pii" in cats and any(k in ("iban", "card", "bsn") for k, _ in c["ids"]):
        if not any(CHECK[k](v) for k, v in candidates(text)):
            fail(f"{pid}: checksum identifier not found by scan")
    # benign posts: no internal terms, no embargoed term before its end
    created = dt.datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
    low = text.lower()
    if not cats:
        for t in internal_terms:
            if t in low:
                fail(f"{pid}: benign post contains internal term {t}")
        for t, until in embargo:
            if t in low and created < until:
                fail(f"{pid}: benign post has embargoed '{t}' before {until}")
    for t, until in embargo:
        if t in low and created < until and "leak.confidential" not in cats:
            fail(f"{pid}: embargoed '{t}' before end but not labelled confidential")
    if created.year not in (2026, 2027) or (created.year == 2027 and created.month > 3):
        fail(f"{pid}: created_at out of range")
    # pricing
    if c["price"]:
        sku, price = c["price"]
        lp = products[sku]["list_price"]
        if "leak.pricing" in cats and not price < ratio * lp:
            fail(f"{pid}: pricing positive not below ratio")
        if "leak.pricing" not in cats and price < ratio * lp:
            fail(f"{pid}: non-pricing post with price below ratio")
    if "leak.pricing" in cats and not c["price"]:
        fail(f"{pid}: pricing positive without price metadata")
    # secrets
    if "leak.secret" in cats:
        for tok in re.findall(r"gh[pousr]_[0-9A-Za-z]{36}", text):
            if not gh_token_ok(tok):
                fail(f"{pid}: GitHub token CRC wrong")
        for tok in re.findall(r"AKIA[A-Z0-9]{16}", text):
            if not re.fullmatch(r"AKIA[A-Z2-7]{16}", tok):
                fail(f"{pid}: AWS id alphabet")
        for tok in re.findall(r"eyJ[\w-]+\.[\w-]+\.[\w-]+", text):
            if not jwt_ok(tok):
                fail(f"{pid}: JWT header without alg")
    if not cats:
        if "EXAMPLE" not in text and re.search(r"AKIA[A-Z2-7]{16}", text):
            fail(f"{pid}: real-looking AWS key in a negative")
        for tok in re.findall(r"gh[pousr]_[0-9A-Za-z]{36}", text):
            if gh_token_ok(tok):
                fail(f"{pid}: valid GitHub token in a negative")

for name, tok in SECRET_VALUES.items():
    ok = {"GH1": gh_token_ok, "GH2": gh_token_ok, "JWT": jwt_ok,
          "AWS_ID": lambda t: bool(re.fullmatch(r"AKIA[A-Z2-7]{16}", t))}[name](tok)
    if not ok:
        fail(f"generated {name} malformed")
if not gh_token_ok(GH2):
    fail("GH2 malformed")

# handles: public authors must not be in the profile, and vice versa
for rec, c, role in records:
    if c["handle"].startswith("@") is False and c["platform"] in ("x", "instagram", "tiktok", "youtube"):
        fail(f"{rec['post']['id']}: handle without @")

# mix
n = len(records)
benign = sum(1 for r, _, _ in records if not r["expect"]["categories"])
percat = {}
for r, _, _ in records:
    for cat in r["expect"]["categories"]:
        percat[cat] = percat.get(cat, 0) + 1
nl = sum(1 for r, _, _ in records if r["post"]["lang"] == "nl")
roles = {}
for r, c, role in records:
    if r["expect"]["categories"]:
        roles[role] = roles.get(role, 0) + 1
if not 170 <= n <= 180:
    fail(f"{n} cases, want 170-180")

print(f"{n} cases, {benign} benign, {n - benign} positive; nl {nl} ({100 * nl // n}%), en {n - nl}")
print("per category:", json.dumps(dict(sorted(percat.items()))))
print("positive authors by role:", roles)
if errors:
    print(f"SELF-CHECK FAILED ({len(errors)}):", file=sys.stderr)
    for m in errors:
        print("  " + m, file=sys.stderr)
    sys.exit(1)
print("self-check OK")
