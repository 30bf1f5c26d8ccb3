#!/usr/bin/env python3
"""Held-out evaluation set 408 for postwatch: Lenteveer Pilates B.V. (reformer studios).

Deterministic (fixed seed). Writes cases.jsonl beside this file and self-checks it:
  * every line is a valid CONTRACT section 6 case,
  * every IBAN / payment card / BSN in a positive passes its checksum, every look-alike
    in a benign post fails it,
  * generated secrets are built like the real ones (GitHub CRC-32 base62, AWS, JWT ...),
  * severities are computed from the account role in profile.yaml (CONTRACT section 4).
"""
import base64
import json
import os
import random
import re
import string
import sys
import unicodedata
import zlib
from datetime import datetime, timedelta, timezone

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "cases.jsonl")
R = random.Random(408_2026)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

CORPORATE = {a.lower() for a in PROFILE["accounts"]["corporate"]}
EMPLOYEE = {a.lower() for a in PROFILE["accounts"]["employee"]}

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base62 order 0-9A-Za-z
B64URL = string.ascii_letters + string.digits + "-_"

# ---------------------------------------------------------------- checksums


def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{8,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return len(d) >= 12 and tot % 10 == 0


def bsn_ok(num):
    d = re.sub(r"\D", "", num)
    if len(d) != 9:
        return False
    s = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return s % 11 == 0


def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out.rjust(width, "0")


# ---------------------------------------------------------------- generators
# every generated checksum identifier is registered so the self-check can find it again
_REG = {"valid": [], "fake": []}


def _digits(n):
    return "".join(R.choice(string.digits) for _ in range(n))


def _iban_check(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return "%02d" % (98 - n % 97)


def _group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def iban(spaced=True, country="NL"):
    if country == "NL":
        bban = R.choice(["ABNA", "INGB", "RABO", "TRIO", "KNAB", "BUNQ", "SNSB", "ASNB"]) + _digits(10)
    else:  # BE: 3-digit bank, 7 digits, national mod-97 check
        base = R.choice(["001", "068", "310", "363", "735", "979"]) + _digits(7)
        c = int(base) % 97 or 97
        bban = base + "%02d" % c
    s = country + _iban_check(country, bban) + bban
    assert iban_ok(s)
    _REG["valid"].append(("iban", s))
    return _group4(s) if spaced else s


def bad_iban():
    while True:
        bban = R.choice(["ABNA", "INGB", "RABO"]) + _digits(10)
        good = _iban_check("NL", bban)
        wrong = "%02d" % ((int(good) + R.randint(1, 9)) % 97 + 2)
        s = "NL" + wrong + bban
        if not iban_ok(s):
            _REG["fake"].append(("iban", s))
            return _group4(s)


def _luhn_digit(partial):
    for c in string.digits:
        if luhn_ok(partial + c):
            return c
    raise AssertionError


def card(sep=" "):
    prefix = R.choice(["4", "51", "52", "53", "54", "55"])
    body = prefix + _digits(15 - len(prefix))
    s = body + _luhn_digit(body)
    assert luhn_ok(s)
    _REG["valid"].append(("card", s))
    return sep.join(s[i:i + 4] for i in range(0, 16, 4))


def bad_card(sep=" "):
    prefix = R.choice(["4", "53"])
    body = prefix + _digits(15 - len(prefix))
    good = _luhn_digit(body)
    s = body + str((int(good) + R.randint(1, 9)) % 10)
    assert not luhn_ok(s)
    _REG["fake"].append(("card", s))
    return sep.join(s[i:i + 4] for i in range(0, 16, 4))


def bsn(style="plain"):
    while True:
        d = str(R.randint(1, 9)) + _digits(7)
        chk = sum(int(d[i]) * (9 - i) for i in range(8)) % 11
        if chk < 10:
            s = d + str(chk)
            break
    assert bsn_ok(s)
    _REG["valid"].append(("bsn", s))
    return s if style == "plain" else f"{s[:4]}.{s[4:6]}.{s[6:]}"


def bad_bsn():
    while True:
        s = str(R.randint(1, 9)) + _digits(8)
        if not bsn_ok(s):
            _REG["fake"].append(("bsn", s))
            return s


def mob(style):
    d = _digits(8)
    return {
        0: f"06-{d}",
        1: f"06 {d[:4]} {d[4:]}",
        2: f"+31 6 {d}",
        3: f"+31 (0)6 {d[:2]} {d[2:4]} {d[4:6]} {d[6:]}",
        4: f"0031 6 {d[:4]} {d[4:]}",
        5: f"06{d}",
        6: f"+316{d}",
    }[style]


def github_token(prefix="ghp_"):
    body = "".join(R.choice(ALNUM) for _ in range(30))
    return prefix + body + b62(zlib.crc32(body.encode()), 6)


def aws_key_id():
    return "AKIA" + "".join(R.choice(string.ascii_uppercase + "234567") for _ in range(16))


def aws_secret():
    return "".join(R.choice(string.ascii_letters + string.digits + "/+") for _ in range(40))


def _b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt():
    head = _b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    iat = 1767225600 + R.randint(0, 300) * 86400
    payload = {"sub": f"staff_{R.randint(1000, 9999)}", "name": "booking-service",
               "role": "admin", "iat": iat, "exp": iat + 86400 * 30}
    body = _b64u(json.dumps(payload, separators=(",", ":")).encode())
    sig = _b64u(bytes(R.getrandbits(8) for _ in range(32)))
    return f"{head}.{body}.{sig}"


def stripe_live():
    return "sk_live_51" + "".join(R.choice(string.ascii_letters + string.digits) for _ in range(96))


def mollie_live():
    return "live_" + "".join(R.choice(string.ascii_letters + string.digits) for _ in range(30))


def slack_bot():
    return (f"xoxb-{R.randint(10**10, 10**11 - 1)}-{R.randint(10**12, 10**13 - 1)}-"
            + "".join(R.choice(string.ascii_letters + string.digits) for _ in range(24)))


def openai_key():
    part = lambda n: "".join(R.choice(B64URL) for _ in range(n))
    return "sk-proj-" + part(64) + "T3BlbkFJ" + part(64)


def anthropic_key():
    return "sk-ant-api03-" + "".join(R.choice(B64URL) for _ in range(93)) + "AA"


def openssh_private_key():
    raw = (b"openssh-key-v1\x00\x00\x00\x00\x04none\x00\x00\x00\x04none\x00\x00\x00\x00\x00\x00\x00\x01"
           + bytes(R.getrandbits(8) for _ in range(280)))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def password(url_safe=False):
    word = R.choice(["Reformer", "Kernkracht", "Lentezon", "Balans", "Carriage", "Footbar", "Veerkracht"])
    tail = "".join(R.choice(string.ascii_letters + string.digits) for _ in range(4))
    sym = "-_.~" if url_safe else "!#$%&*?"
    return f"{word}{R.randint(10, 99)}{R.choice(sym)}{tail}"


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# ---------------------------------------------------------------- cases

CAT = {
    "complaint": "reputation.complaint", "crisis": "reputation.crisis", "abuse": "reputation.abuse",
    "conf": "leak.confidential", "fin": "leak.financial", "sec": "leak.security",
    "secret": "leak.secret", "pii": "leak.pii", "price": "leak.pricing",
}
CASES = []


def rand_time_2026():
    t = datetime(2026, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=R.randint(0, 364 * 86400 + 86399))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def case(acct, cats, lang, text, kind="post", when=None):
    platform, handle = acct.split(":", 1)
    CASES.append({
        "platform": platform, "handle": handle, "kind": kind, "lang": lang, "text": text,
        "created_at": when or rand_time_2026(),
        "cats": sorted(CAT[c] for c in cats),
        "valid_ids": list(_REG["valid"]), "fake_ids": list(_REG["fake"]),
    })
    _REG["valid"].clear()
    _REG["fake"].clear()


# ======================= reputation.complaint =======================
case("x:@mila_moves", ["complaint"], "en",
     "3rd time this month my 7am reformer class at Lenteveer De Pijp got cancelled the night before. "
     "I plan my whole morning around that class. Sort it out pls 🙄")
case("instagram:@fleur.vd.linden", ["complaint"], "nl",
     "Echt?? €15 late cancel fee omdat ik 11 uur van tevoren afmeldde ipv 12. Kind lag met koorts op de bank. "
     "Heel klantvriendelijk @lenteveerpilates 👏", kind="comment")
case("x:@rvdmeulen", ["complaint"], "nl",
     "Week 5 van 'mijn Unlimited abonnement opzeggen bij Lenteveer'. Mail: geen reactie. Balie: 'moet per mail'. "
     "Incasso loopt ondertussen vrolijk door 😡 #lenteveer")
case("reddit:u/throwaway_core", ["complaint"], "en",
     "PSA for anyone in Utrecht: Lenteveer Lombok charged me twice for the same 8-class pack and support keeps "
     "replying with the same copy-paste 'we're looking into it'. Three weeks now. Anyone actually gotten a refund "
     "out of them?")
case("facebook:annelies.brouwer.71", ["complaint"], "nl",
     "Studio Haarlem was vanochtend ijskoud. Verwarming kapot en niemand die het even meldde voor de les. "
     "Een uur met koude handen aan de footbar gehangen. Voor wat jullie vragen verwacht ik echt beter.", kind="comment")
case("threads:@kaylasweats", ["complaint"], "en",
     "been #1 on the waitlist for four days, two people cancelled, app never moved me in. "
     "lenteveer your booking system is basically a lottery")
case("tiktok:@sophievdberg", ["complaint"], "nl",
     "kleedkamer rotterdam heeft al 2 weken geen warm water… douchen na een sweaty reformerles is echt geen luxe hoor lenteveer",
     kind="comment")
case("x:@jessdekker_", ["complaint"], "nl",
     "Abonnement pauzeren tijdens je zwangerschap kan 'helaas niet' bij Lenteveer. Terwijl ze overal met hun "
     "Prenatal reeks adverteren. Logisch 🙃")
case("instagram:@neha.flows", ["complaint"], "en",
     "class was SO overbooked today — reformers like 20cm apart, instructor couldn't even see the back row. "
     "@lenteveerpilates this is not the boutique experience you're charging for", kind="comment")
case("x:@marloes_f", ["complaint"], "nl",
     "10% duurder per 1 januari en dat lees ik in een nieuwsbrief zonder enige opzegmogelijkheid?? "
     "Lenteveer doet alsof we geen keus hebben. Nou, wel dus.")
case("forum:deskjockey_anna", ["complaint"], "en",
     "Bought the HomeGlide in March. Left rear wheel started grinding after two weeks, sent 3 emails + photos, "
     "nothing back. 2.5k for a machine that sounds like a shopping trolley.")
# complaint + abuse
case("x:@tommiejanssen", ["complaint", "abuse"], "nl",
     "Wat een kutbedrijf is Lenteveer zeg. 3x gebeld over die dubbele afschrijving, 3x opgehangen. Stelletje oplichters.")
case("x:@rach_wr", ["complaint", "abuse"], "en",
     "lenteveer customer service are honestly the most useless idiots i've ever dealt with. cancelled MY class, "
     "kept my credit, zero replies. clowns 🤡🤡")
# first-hand safety incidents: crisis + complaint
case("instagram:@evavanrijn", ["crisis", "complaint"], "nl",
     "Tijdens footwork in Lenteveer Amstelveen schoot er een veer los en knalde de carriage terug. Enkel flink "
     "gekneusd, zit nu op de SEH 😢 En niemand van de studio die even belt. Serieus?")
case("x:@jordyn_k", ["crisis", "complaint"], "en",
     "the strap on my reformer at @lenteveer De Pijp SNAPPED during feet in straps and my leg smashed into the "
     "frame. bruised to the bone. that equipment clearly hasn't been checked in months")
case("facebook:gerda.smit.zwolle", ["crisis", "complaint"], "nl",
     "Onze HomeGlide Fold klapte gisteren dicht terwijl mijn man erop zat, zijn hand zat ertussen. Twee gebroken "
     "vingers. Lenteveer, ik verwacht vandaag nog een telefoontje.")
case("reddit:u/heatwave_harriet", ["crisis", "complaint"], "en",
     "Got properly ill after the 'hot reformer' class at Lenteveer Eindhoven. Room was easily 38°C, water station "
     "empty, I fainted in the changing room and staff just told me to sit down for a bit. Doctor said heat "
     "exhaustion. Never again.")
case("x:@lindaa_vh", ["crisis", "complaint"], "nl",
     "Na een maand lessen bij Lenteveer Den Haag zit ik met een schimmelinfectie aan allebei m'n voeten, en ik ben "
     "niet de enige in mijn groep. Gripsokken verplicht maar de vloer wordt blijkbaar nooit gedweild 🤢")
case("instagram:@tash.moves", ["crisis", "complaint"], "en",
     "Just want to warn people: the Jumpboard I bought from Lenteveer cracked mid-jump and I landed on my tailbone. "
     "Couldn't sit properly for a week. Still waiting on any response from them.", kind="comment")

# ======================= reputation.crisis (third party / news / boycott) =======================
case("x:@haarlem_nieuws", ["crisis"], "nl",
     "Vrouw (34) gewond in pilatesstudio Lenteveer aan de Gedempte Oude Gracht nadat een veer van een reformer "
     "losschoot. Studio is voorlopig dicht voor onderzoek, meldt de gemeente.")
case("x:@fitbizdaily", ["crisis"], "en",
     "BREAKING: Dutch reformer chain Lenteveer hit with collective action over 'impossible to cancel' memberships. "
     "Consumer group says 1,200 members have joined the claim.")
case("x:@privacyvoorop", ["crisis"], "nl",
     "Krijg sinds gisteren phishingmails met mijn naam, adres én mijn vaste lestijd bij Lenteveer erin. Volgens mij "
     "is hun ledenbestand gelekt. Meer mensen dit? #datalek")
case("x:@hannah_holds", ["crisis"], "en",
     "Boycott Lenteveer. Their founder saying bigger bodies 'don't belong on a reformer' in that podcast is vile. "
     "Cancel your memberships, tell your friends. #BoycottLenteveer")
case("reddit:u/polderpilates", ["crisis"], "nl",
     "Iemand het stuk in Het Parool gelezen over die Lenteveer-instructeur die leden ongevraagd aanraakte? Meerdere "
     "meldingen sinds 2024 en de studio deed gewoon niks. Echt een schandaal.")
case("tiktok:@reformer.rants", ["crisis"], "en",
     "PSA!! Lenteveer is recalling HomeGlide Fold units from 2025 because the hinge lock can fail. check the serial "
     "under the footbar 👇")
case("x:@lenteveer", ["crisis"], "en",
     "Safety notice: we are voluntarily recalling HomeGlide Fold units produced between March and October 2025. "
     "Stop using your Fold and contact us for a free replacement hinge. We're sorry.")
case("reddit:u/datahoarder_nl", ["crisis"], "en",
     "#LenteveerLeak — someone on a breach forum is selling what looks like Lenteveer member data (names, emails, "
     "birthdays, home studio). If you're a member, change your password and watch out for phishing.")

# ======================= reputation.abuse =======================
case("x:@b0rn2lift", ["abuse"], "en",
     "lenteveer instructors are just underfed barbies screaming 'engage your core' for €35 a class lmao pathetic")
case("x:@quinten_r", ["abuse"], "nl",
     "Die Noor van Lenteveer is echt een arrogante trut. Wie neemt zo iemand aan voor een groepsles")
case("instagram:@gymbro.vince", ["abuse"], "en",
     "ugly studio, uglier staff. lenteveer go f*ck yourselves", kind="comment")
case("x:@kees1962", ["abuse"], "nl",
     "lenteveer = een sekte voor verwende wijven met te veel tijd en geld. walgelijk volk")
case("x:@dmitri_lifts", ["abuse"], "en",
     "that fat instructor at Lenteveer Rotterdam shouldn't be teaching anyone, absolute disgusting pig")
case("x:@xxjoeyxx", ["abuse"], "nl",
     "L3nt3v33r is 1 gr0t3 k4nk3rz00i, n00it m33r 🤮")
case("x:@boosbeer", ["abuse"], "nl",
     "@lenteveer k.a.n.k.e.r.o.p. met z'n allen", kind="reply")
case("x:@femke_front_desk", ["abuse"], "nl",
     "Wéér zo'n verwende zeur aan de balie die vond dat haar matje niet schoon genoeg was. Mens ga lekker je eigen "
     "kakhuis poetsen, debiel wijf")
case("x:@lenteveer_help", ["abuse"], "nl",
     "@klaaskoopman misschien eerst even leren lezen voordat je gaat lopen zeiken, idioot", kind="reply")
case("x:@amstelveen_local", ["abuse"], "nl",
     "Sinds die Marokkaan daar manager is gaat Lenteveer Amstelveen naar de klote. Ga lekker terug naar je eigen land.")
case("x:@nobs_reviews", ["abuse"], "en",
     "@lenteveer you absolute muppets. worst run company in the country, can't wait for you to go bust", kind="reply")

# ======================= leak.confidential =======================
case("instagram:@coach.noor.lv", ["conf"], "nl",
     "Mocht vandaag al even op Bluebell 😍 die carriage glijdt als boter. Meer mag ik echt nog niet zeggen 🤫 "
     "#reformerlife #lenteveer")
case("x:@daanvisser_lv", ["conf"], "nl",
     "Campagneshoot voor Project Kraanvogel zit erop 🎬 Kan nog niks zeggen maar jullie gaan dit zien, beloofd.")
case("linkedin:youssef-amrani-ops", ["conf"], "en",
     "Proud of the team driving Operatie Zandloper. Some tough calls ahead, but I believe this makes us stronger.")
case("x:@sem_bakx_dev", ["conf"], "en",
     "anyone know why https://jira.lenteveer.nl/browse/BOOK-2231 keeps throwing 502s? asking for a friend 😅")
case("bluesky:@ilse-lenteveer.bsky.social", ["conf"], "nl",
     "Nieuwe roosters voor Q1 staan op wiki.lenteveer.nl/studios/utrecht/rooster — collega's, even checken vóór vrijdag aub!")
case("instagram:@lenteveerpilates", ["conf"], "nl",
     "Sneak peek 👀 De Lenteveer Glide Pro komt eraan: opvouwbaar, 40% lichter, vanaf €1.995. "
     "Pre-order gaat binnenkort open 🌿")
case("tiktok:@juul.reformer", ["conf"], "nl",
     "vandaag met het team getraind op de nieuwe Glide Pro 🙊 jullie gaan hier zo hard op gaan")
case("x:@fitinsider_nl", ["conf"], "nl",
     "Hoor van een bron binnen Lenteveer dat ze onder de codenaam Bluebell een eigen thuisreformer gaan lanceren. "
     "Wordt vervolgd 👀")
case("reddit:u/discord_lurker", ["conf"], "en",
     "Someone dropped a deck stamped LENTEVEER CONFIDENTIAL in a pilates Discord, it's the franchise fee model for "
     "new studios. 8% royalty + a hefty entry fee. wild")
case("x:@femke_front_desk", ["conf"], "nl",
     "Alleen intern hoor, maar: vanaf maart verhuist Haarlem naar een groter pand aan de Zijlstraat 🤐🤍")
case("instagram:@pilateswithlotte", ["conf"], "nl",
     "Niet extern delen zei de baas… maar ik kan het echt niet voor me houden: we krijgen een studio in Antwerpen 🇧🇪🎉")
case("x:@reformerfan_kim", ["conf"], "nl",
     "Mijn instructeur liet zich net ontvallen dat ze werken aan iets dat " + fullwidth("Bluebell")
     + " heet 👀 thuisreformer misschien??")
case("linkedin:bram-de-wit-it", ["conf"], "en",
     "Kick-off in Cologne today for Proj\u200bect Kraan\u200bvogel ✈️ great to finally meet the German partners in person.")
case("x:@daanvisser_lv", ["conf"], "en",
     "staff portal staff.lenteveer.nl/login now works on mobile too! no more excuses for missing your shifts 😉")
# confidential + financial (embargoed results before the embargo ends, codename + layoffs)
case("linkedin:marieke-hoekstra-lenteveer", ["conf", "fin"], "nl",
     "Jaarcijfers 2026 zijn binnen en ik ben trots: omzet +14% naar €23,8 mln, EBITDA-marge 11%. "
     "Dank aan alle studioteams! 🌱", when="2027-02-10T16:42:00Z")
case("x:@buurvrouw_praat", ["conf", "fin"], "nl",
     "Buurvrouw werkt op het hoofdkantoor van Lenteveer en zegt dat de jaarresultaten 2026 flink tegenvallen, ruim "
     "2 miljoen verlies. Benieuwd wat ze straks naar buiten brengen.", when="2027-01-22T20:15:00Z")
case("x:@daanvisser_lv", ["conf", "fin"], "nl",
     "Operatie Zandloper betekent dus gewoon: 3 studio's dicht en 40 fte eruit. Ik ben er even helemaal klaar mee.")

# ======================= leak.financial =======================
case("linkedin:marieke-hoekstra-lenteveer", ["fin"], "nl",
     "Voorlopige Q3-cijfers: omzet €5,1 mln, 9% onder budget. We gaan de forecast voor 2026 neerwaarts bijstellen "
     "voordat de raad van commissarissen vergadert.")
case("linkedin:youssef-amrani-ops", ["fin"], "en",
     "Hard week. We'll close the Eindhoven and Amstelveen studios in January and around 25 instructors will lose "
     "their contracts. Not public yet, so please be kind to each other.")
case("x:@fitnessroddels", ["fin"], "nl",
     "Lenteveer wordt overgenomen door de Britse keten FormaCore, uit betrouwbare bron. Deal moet voor de zomer rond zijn.")
case("tiktok:@juul.reformer", ["fin"], "nl",
     "dus vandaag te horen gekregen dat de helft van de freelance instructeurs er per 1 april uit gaat… "
     "super gezellig 🙃 #lenteveer")
case("linkedin:lenteveer-pilates", ["fin"], "en",
     "Internal note for the leadership team: the Series B with Northbeam Capital (€12M at €48M pre-money) closes on "
     "14 November. Announcement is embargoed until then.")
case("linkedin:bram-de-wit-it", ["fin"], "en",
     "Can't say much, but the data room for the Core Collective Belgium acquisition is keeping IT very busy 😅 "
     "six new studios joining the family soon?")
case("reddit:u/spreadsheet_sally", ["fin"], "en",
     "Friend in finance at Lenteveer says they're burning ~€400k a month and the bank is getting nervous about the "
     "covenants. Expect studio closures early next year.")
case("instagram:@pilateswithlotte", ["fin"], "nl",
     "Studio manager vertelde net dat we het jaar met zo'n €800k verlies afsluiten en dat er op instructeurs "
     "bezuinigd gaat worden 😔 fijne maandag")
case("bluesky:@ilse-lenteveer.bsky.social", ["fin"], "nl",
     "Forecast voor Q4 zegt 18% minder nieuwe leden dan begroot, dus die twee nieuwe studio's voor 2027 gaan "
     "voorlopig niet door 😕")

# ======================= leak.security =======================
case("x:@sem_bakx_dev", ["sec"], "nl",
     "lol de booking api geeft bij /members/{id} gewoon andermans profiel terug als je het id ophoogt. "
     "2 weken geleden gemeld, nog steeds niet gefixt 🤡")
case("linkedin:bram-de-wit-it", ["sec"], "en",
     "Long night. Ransomware hit our booking servers around 2am, we're restoring from backups. Members can't book "
     "yet, official comms will follow later today.")
case("x:@femke_front_desk", ["sec"], "nl",
     "Boekingssysteem ligt er al sinds 6 uur uit, we schrijven alles met pen en papier op. IT zegt 'iets met een "
     "hack' 😬 niks tegen de leden zeggen zeggen ze")
case("x:@kraakhelder", ["sec", "crisis"], "nl",
     "Vriend van me werkt bij de IT van Lenteveer en zegt dat hun complete klantenbestand vorige week gestolen is. "
     "Ze houden het gewoon stil. Leden weten van niks.")
case("x:@sem_bakx_dev", ["sec", "conf"], "en",
     "grafana on intra.lenteveer.local has been red all day, db replication is broken and last night's backups are "
     "corrupt. fun times 🙃")
case("tiktok:@juul.reformer", ["sec"], "en",
     "app down again since this morning and apparently someone got into the admin panel?? we're not allowed to say "
     "anything yet 🙈")
case("x:@lenteveer_help", ["sec"], "nl",
     "Intern: NIET bevestigen dat betaalgegevens mogelijk zijn ingezien. Standaardantwoord gebruiken tot legal "
     "akkoord geeft. Thx!")
case("linkedin:bram-de-wit-it", ["sec"], "en",
     "Note to self and fellow devs: our old WordPress on blog.lenteveer.nl still runs a plugin with a known RCE. "
     "Ticket's been open for months. Nobody seems to care.")
case("reddit:u/ex_lv_frontdesk", ["sec"], "en",
     "Ex-Lenteveer staff here: the check-in tablets in every studio share one admin PIN and it hasn't been changed "
     "in 3 years. Anyone walking behind the desk can pull up all member profiles.")
case("instagram:@coach.noor.lv", ["sec"], "nl",
     "Sorry aan iedereen die vandaag niet kon inchecken 🙏 ik hoor dat er is ingebroken in ons systeem, meer info "
     "volgt vast snel")
case("bluesky:@ilse-lenteveer.bsky.social", ["sec"], "nl",
     "Pasjessysteem in Utrecht is al 3 dagen stuk, de achterdeur staat nu 's nachts gewoon open. Hopen dat niemand "
     "het doorheeft 🙈")
case("x:@sem_bakx_dev", ["sec"], "en",
     "we got \u0440wned lol. m\u043ellie webhook secret sat in a public repo for 3 weeks before anyone noticed")
case("x:@stagiairbroer", ["sec"], "nl",
     "Mijn broer loopt stage bij Lenteveer en zegt dat de login van het ledenportaal nog over gewoon http gaat, "
     "wachtwoorden onversleuteld. Ze weten het al weken.")

# ======================= leak.secret =======================
case("x:@sem_bakx_dev", ["secret"], "nl",
     f"waarom werkt dit niet 😩\n\nAWS_ACCESS_KEY_ID={aws_key_id()}\nAWS_SECRET_ACCESS_KEY={aws_secret()}\n"
     f"AWS_REGION=eu-west-1\n\niemand een idee?")
case("x:@sem_bakx_dev", ["secret"], "en",
     f"gh token for the ci bot if anyone needs it today: {github_token()} (will rotate tmrw)")
case("linkedin:bram-de-wit-it", ["secret"], "en",
     f"Debugging the Mollie integration — live key {mollie_live()} returns 401 since this morning. "
     f"Anyone seen this before?")
case("facebook:LenteveerPilatesNL", ["secret", "conf"], "en",
     f"DATABASE_URL=postgresql://lv_booking:{password(url_safe=True)}@db-prod-01.intra.lenteveer.local:5432/booking?sslmode=require")
case("bluesky:@ilse-lenteveer.bsky.social", ["secret"], "nl",
     f"Wifi voor instructeurs in Utrecht is veranderd: netwerk LV-Staff, wachtwoord: {password()}. "
     f"Niet aan leden geven!")
case("forum:apk_poker", ["secret"], "en",
     f"Decompiled the Lenteveer Android app for fun and lol: const OPENAI_KEY = \"{openai_key()}\" "
     f"sitting right there in the bundle")
case("x:@femke_front_desk", ["secret"], "nl",
     f"Nieuwe login voor de kassa Haarlem: gebruiker balie_hlm ww {password()} (voor de invallers vandaag)")
case("x:@sem_bakx_dev", ["secret"], "en",
     f"why is this rejected?? Authorization: Bearer {jwt()}")
case("linkedin:bram-de-wit-it", ["secret"], "en",
     f"Setting up the new deploy box, pasted the wrong window 🤦\n{openssh_private_key()}")
case("x:@sem_bakx_dev", ["secret"], "nl",
     f"slack bot post alles dubbel, token is {slack_bot()}, iemand die weet waarom?")
case("reddit:u/gistdigger", ["secret"], "en",
     f"Lenteveer's old freelance dev left this in a public gist, still live apparently: STRIPE_SECRET_KEY={stripe_live()}")
case("x:@daanvisser_lv", ["secret"], "en",
     f"chatbot on the site keeps dying, claude key {anthropic_key()} hitting rate limits again 😤 who do I talk to")

# ======================= leak.pii =======================
case("x:@lenteveer_help", ["pii"], "nl",
     f"@sannev Je terugbetaling van €109 staat klaar naar {iban()} t.n.v. S. Verbeek, binnen 3 werkdagen op je "
     f"rekening 🙏", kind="reply")
case("x:@femke_front_desk", ["pii"], "nl",
     f"Creditcard gevonden in de kleedkamer Haarlem: {card()} op naam van M. Kuipers. Ligt bij de balie, kom maar ophalen!")
case("instagram:@coach.noor.lv", ["pii"], "en",
     "Happy birthday to our strongest member Esther Kramer, born 14-03-1979 and still out-planking everyone in my 7am 💪🎂")
case("facebook:LenteveerPilatesNL", ["pii"], "nl",
     "🎉 De winnaar van onze HomeGlide-actie is Joyce Mulder, Kastanjelaan 12, 3521 AB Utrecht! Gefeliciteerd Joyce, "
     "hij wordt volgende week bezorgd.")
case("bluesky:@ilse-lenteveer.bsky.social", ["pii"], "nl",
     f"Kan iemand Pim Verhoef even bellen? Hij heeft z'n sleutelbos in Utrecht laten liggen: {mob(0)}")
case("x:@marit_vb", ["pii"], "nl",
     f"@lenteveer_help voor de vergoeding van medische pilates wil mijn verzekeraar een factuur met mijn BSN {bsn()}, "
     f"kunnen jullie dat erop zetten?", kind="reply")
case("instagram:@hennie.oma", ["pii"], "nl",
     f"hoi! wil graag een proefles boeken voor mijn moeder, kunnen jullie mailen naar hennie.dekker54@kpnmail.nl of "
     f"bellen op {mob(1)}? dankjewel 🌸", kind="comment")
case("x:@daanvisser_lv", ["pii"], "en",
     "Can someone check why these no-shows never got the reminder mail? tom.hendriks82@gmail.com, "
     "r.bakker@ziggo.nl, lisa_dewit@hotmail.com")
case("x:@lenteveer_help", ["pii"], "nl",
     f"@jvdbroek We zien je betaling met kaart {card()} inderdaad twee keer staan, we storten het dubbele bedrag "
     f"terug 👍", kind="reply")
case("x:@ams_observer", ["pii"], "en",
     f"lol the front desk screen at Lenteveer De Pijp just shows everyone's name + phone number, literally read "
     f"'Kim Jansen {mob(3)}' in 40pt font while waiting")
case("x:@yvonne_b", ["pii"], "en",
     f"@lenteveer_help here's the account for my refund like you asked: {iban(country='BE')}, account holder Y. Bos. thanks!",
     kind="reply")
case("linkedin:lenteveer-pilates", ["pii"], "en",
     f"Please welcome Priya Raman, our new head instructor in Rotterdam! Members can reach her directly at "
     f"priya.raman88@gmail.com or {mob(4)} 💛")
case("x:@corp_wellness_dude", ["pii", "complaint"], "en",
     f"the Lenteveer Corporate Wellness signup form asked for my BSN and I typed {bsn('dotted')} before I realised. "
     f"why on earth does a pilates studio need that?? not ok")
case("x:@daanvisser_lv", ["pii"], "nl",
     f"Doorgestuurd door een lid, graag even oppakken: ze heeft haar IBAN {iban(spaced=False)} in de DM gezet voor "
     f"haar restitutie, Anouk Pieters. Wie doet finance vandaag?")
case("facebook:ria.vandam.3", ["pii"], "nl",
     "Mijn dochter Lieke van Dam (geb. 12-09-2008) is haar Lenteveer-ledenpas kwijt. Gevonden? Graag terug naar "
     "Prinsengracht 455, Amsterdam. Dank!")

# ======================= leak.pricing =======================
case("instagram:@lenteveerpilates", ["price"], "nl",
     "FLASH SALE ⚡ De HomeGlide reformer nu voor €249 in de webshop. Alleen vandaag, op=op!")
case("x:@daanvisser_lv", ["price"], "nl",
     "Oeps, prijsfout op de site: de Teacher Training staat erop voor €345 ipv €3.450. Wordt aan gewerkt!")
case("x:@dealjager_nl", ["price"], "nl",
     "PRIJSFOUT bij Lenteveer!! Jump\u200cboard voor €24,90 ipv 249 🏃‍♀️💨 snel zijn voor ze het doorhebben #prijsfout #deal")
case("reddit:u/bargainbarre", ["price"], "en",
     "Lenteveer webshop has the HomeGlide Fold at €189 right now. Typo or genuine deal? Ordered one anyway lol")
case("x:@lenteveer", ["price"], "nl",
     "Nieuw jaar, nieuwe jij ✨ Unlimited abonnement nu voor €17,90 per maand. Schrijf je in via de app!")
case("linkedin:youssef-amrani-ops", ["price"], "en",
     "Heads-up for studio managers: checkout is charging €8 for the Sitting Box instead of €329 due to a config "
     "error. Please don't sell it in-studio until IT confirms the fix.")
case("instagram:@sanne.sweat", ["price"], "nl",
     "omg Sculpt Leggings voor €8,90 in de app?? bug of mag ik er 5 bestellen 😂😂", kind="comment")
case("tiktok:@lenteveer", ["price"], "en",
     "Magic Circle for just €3.90 this week only 💫 link in bio")
case("x:@hr_hanneke", ["price"], "nl",
     "Lenteveer Corporate Wellness pakket voor €240 per jaar voor je hele team?? Volgens mij mist er ergens een nul 😅")
case("instagram:@coach.noor.lv", ["price"], "nl",
     "Voor mijn volgers 🤍 8-rittenkaart voor maar €19,90 met mijn code NOOR. Wees er snel bij!")
case("x:@glitchhunter", ["price"], "en",
     "pricing glitch on lenteveer's site rn, private reformer session showing €8.50. screenshot before it's gone 📸")
case("bluesky:@ilse-lenteveer.bsky.social", ["price"], "nl",
     "Collega's: de Prenatal reeks staat in het boekingssysteem voor €15,90 i.p.v. €159. Niet laten boeken tot het "
     "is opgelost!")

# ======================= benign (mostly hard negatives) =======================
case("instagram:@marijevdh", [], "nl",
     "Eerste reformerles bij Lenteveer De Pijp gehad en ik ben om 😍 Noor legt alles zo rustig uit. Volgende week weer!")
case("x:@zoe_moves", [], "en",
     "lenteveer's teaser class absolutely killed me. abs on fire, legs gone, soul left my body 🔥💀 10/10 would die again")
case("x:@jorisdelange", [], "nl",
     "Spierpijn van hier tot Tokio na de jumpboard les bij Lenteveer. Trap af lopen is vandaag een sport op zich 🥲")
case("reddit:u/bumpandbarre", [], "en",
     "Is the Prenatal series at Lenteveer okay in the first trimester? My midwife says fine but curious what others "
     "experienced.")
case("x:@thuissporter_e", [], "nl",
     "HomeGlide reformer gekocht voor €2.495. Flink bedrag, maar ik sta er elke ochtend 20 minuten op voor het werk. "
     "Elke cent waard.")
case("instagram:@lenteveerpilates", [], "nl",
     "Black Friday 🖤 20% korting op de HomeGlide Fold: van €1.895 voor €1.516. Alleen dit weekend, zolang de "
     "voorraad strekt.")
case("x:@lenteveer", [], "en",
     "Grip Socks 25% off this week: €12 instead of €16. Stock up before your next class 🧦")
case("x:@lenteveer_help", [], "nl",
     "Vragen over je abonnement of een boeking? Mail ons op hallo@lenteveer.nl of bel +31 20 737 4410 "
     "(ma t/m vr, 9-17 uur) 💬")
case("facebook:LenteveerPilatesNL", [], "nl",
     "Liever overmaken voor de workshop 'Reformer & Breathwork'? Dat kan naar NL37 RABO 0318 8420 75 t.n.v. "
     "Lenteveer Pilates B.V. o.v.v. je naam en datum.")
case("facebook:tineke.runt", [], "nl",
     f"Wie doet er mee met de sponsorloop voor KWF met onze Lenteveer-groep? €10 overmaken naar {bad_iban()} t.n.v. "
     f"Stichting Samen Sterk, dank jullie wel!!")
case("x:@scamwatch_nl", [], "en",
     f"Scam alert 🚨 fake 'Lenteveer refund' texts going around asking you to confirm your card like {bad_card()}. "
     f"Lenteveer never asks for that by SMS. Don't click.")
case("x:@oplettendeopa", [], "nl",
     f"Nepmail 'Lenteveer zorgvergoeding' in m'n inbox. Ze vragen om je BSN en als voorbeeld staat er {bad_bsn()} 🙄 "
     f"Niet intrappen mensen.")
case("x:@sem_bakx_dev", [], "nl",
     "Tip voor wie met de AWS CLI begint: in de docs staat AKIAIOSFODNN7EXAMPLE als voorbeeld. Vervang dat door je "
     "eigen key en commit die NOOIT 😅")
case("mastodon:@devrel_jo@hachyderm.io", [], "en",
     "PSA: never paste a token like ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx into a public issue. Use your CI's "
     "secret store. This has been a public service announcement 🙏")
case("x:@beursblik", [], "nl",
     "Lenteveer jaarcijfers 2026 vanochtend gepubliceerd: omzet +14% naar €23,8 mln en drie nieuwe studio's gepland. "
     "Netjes voor een boutique keten.", when="2027-02-26T09:05:00Z")
case("instagram:@lenteveerpilates", [], "nl",
     "Hij is er! 🌿 De Lenteveer Glide Pro: onze lichtste thuisreformer ooit, opvouwbaar en vanaf €1.995. "
     "Nu te bestellen op shop.lenteveer.nl", when="2027-04-02T10:00:00Z")
case("x:@pien_oudkerk", [], "nl",
     "Update: Lenteveer heeft mijn dubbele afschrijving binnen een dag teruggestort én een gratis les gegeven. "
     "Netjes opgelost 👍")
case("x:@haarlemmer_bas", [], "nl",
     "Sterkte aan de crew van Lenteveer Haarlem, de storm heeft jullie dakgoot eraf geblazen. Hopelijk snel weer open ❤️")
case("x:@fitbranche_nl", [], "en",
     "Just read that FlowHaus (UK) is shutting 14 reformer studios. That market is cooling fast. Curious how the "
     "Dutch chains are holding up.")
case("x:@infosec_tanya", [], "en",
     "PulseBox gyms confirmed a breach affecting ~80k members this week. Reminder: unique passwords everywhere, and "
     "turn on 2FA where you can.")
case("instagram:@pilateswithlotte", [], "nl",
     "Nieuwe playlist voor mijn vrijdagles in Utrecht staat klaar 🎶 veel 2000s, geen excuses. Wie komt er?")
case("x:@lenteveer", [], "en",
     "We're hiring! 💌 Reformer instructors for our Rotterdam studio, 16–32 hrs. Send your CV to werkenbij@lenteveer.nl")
case("linkedin:marieke-hoekstra-lenteveer", [], "nl",
     "Mooi panel vandaag op het Retail Finance Congres over gezonde groei in boutique fitness. Dank aan de "
     "organisatie en alle sprekers!")
case("linkedin:youssef-amrani-ops", [], "en",
     "Nine years ago I taught my first reformer class in a converted garage. Today we opened our 12th studio. "
     "Grateful for every member and every instructor.")
case("x:@lenteveer", [], "nl",
     "Onze jaarcijfers 2025 staan online op lenteveer.nl/investors 📈 Dank aan alle leden voor een mooi jaar.")
case("reddit:u/vier_keer_per_week", [], "nl",
     "Is €179 per maand voor Unlimited bij Lenteveer normaal? Vind het pittig maar ik ga wel 4x per week, dus per "
     "les valt het mee.")
case("x:@melvandijk", [], "nl",
     "8-rittenkaart bij Lenteveer kost €199, bij de studio om de hoek €175. Toch Lenteveer, want de instructeurs "
     "zijn gewoon beter.")
case("instagram:@newtopilates", [], "en",
     "Intro Week at Lenteveer is €49 for 7 days unlimited. Honestly the best way to figure out if reformer is your thing.")
case("x:@studentleven_j", [], "nl",
     "Student Unlimited is €119 maar met de studentenkorting gaat er nog 10% af → €107,10 🎓 score")
case("x:@vogelspotter_ad", [], "nl",
     "Kraanvogels boven de Oostvaardersplassen vanochtend 😍 en daarna nog op tijd voor m'n reformerles")
case("x:@playlistjudge", [], "en",
     "not a crisis but the playlist at lenteveer de pijp today was 100% ABBA and honestly I'm not mad")
case("x:@plankqueen", [], "nl",
     "Die plank met de zandloper-timer bij Lenteveer duurt echt een eeuwigheid ⏳😩")
case("x:@corecrush", [], "en",
     "confidential: I secretly love the hundred. don't tell my instructor 🤫 #pilateshumor")
case("linkedin:jobs-mentor-nl", [], "nl",
     "Lenteveer zoekt een marketing intern voor 6 maanden in Amsterdam. Iets voor jou, Lisa?")
case("x:@booking_betty", [], "en",
     "the Lenteveer app update finally fixed the waitlist bug 🙌 got moved into my 6pm class automatically")
case("x:@slimme_sanne", [], "en",
     "life hack: book your Lenteveer class at exactly 12:00 when the new week opens. always a spot 😎")
case("x:@splashy_em", [], "en",
     "my water bottle leaked all over the reformer at Lenteveer lol. sorry to whoever had that one next 😅")
case("threads:@sculptandsip", [], "en",
     "that 45-min sculpt class at lenteveer was the bomb 💣 whoever made that playlist deserves a raise")
case("x:@hernia_henk", [], "nl",
     "Is reformer pilates veilig met een hernia? Wil bij Lenteveer beginnen maar twijfel nog. Ervaringen?")
case("x:@forgetful_fi", [], "en",
     "does anyone else forget their lenteveer app password every single week 😂 at least the reset email is instant")
case("x:@femke_front_desk", [], "nl",
     "Nee, we kunnen je wachtwoord niet mailen, ook niet als je heel lief vraagt 😉 wachtwoord: ******** → "
     "resetten via de app!")
case("x:@sem_bakx_dev", [], "nl",
     "Tip voor de nieuwe devs: zet in je .env gewoon DATABASE_URL=postgres://USER:PASSWORD@localhost:5432/app_dev "
     "en draai daarna de seeds")
case("mastodon:@jwtnerd@hachyderm.io", [], "en",
     "fun fact: every JWT starts with eyJ because that's base64 for {\" — once you see it you can't unsee it")
case("x:@woonkamerpilates", [], "nl",
     "Reformer in de woonkamer = relatiecrisis 😂 mijn vriend struikelt elke ochtend over de HomeGlide")
case("x:@lawnerd_eu", [], "en",
     "Interesting ruling: a US boutique fitness chain lost a lawsuit over its cancellation policy. Dutch consumer "
     "law is stricter anyway.")
case("x:@rdam_rik", [], "nl",
     "Brandalarm in het kantoorpand naast Lenteveer Rotterdam, dus de les even op de stoep afgemaakt 😂 niks aan de "
     "hand gelukkig, wel de gekste footwork ooit")
case("tiktok:@lenteveer", [], "nl",
     "3 oefeningen voor een sterke core 🌸 sla op voor later en tag je pilatesbuddy")
case("x:@lenteveer", [], "nl",
     "Persbericht: in mei openen we een studio in Leiden 🎉 Journalisten kunnen terecht bij pers@lenteveer.nl")
case("reddit:u/secondchances_ut", [], "en",
     "Had a bad experience at Lenteveer last month, but the studio manager called me, apologised and refunded my "
     "class pack. Respect for actually fixing it.")
case("x:@opzegexpert", [], "nl",
     "Tip: bel gewoon 085-0607080, daar regelen ze je opzegging direct. Was bij mij binnen 5 minuten gepiept.")
case("x:@homegym_nerd", [], "en",
     "HomeGlide vs a second-hand Balanced Body: €2,495 new vs ~€1,900 used. Went with the HomeGlide for the warranty.")
case("instagram:@lenteveerpilates", [], "en",
     "Sculpt Leggings 30% off in the app this weekend → €62.30 instead of €89. treat yourself 🖤")
case("x:@korting_koen", [], "nl",
     "Geen prijsfout hoor, gewoon uitverkoop: Jumpboard 15% korting bij Lenteveer, nu €211,65.")
case("x:@botbuilder_lou", [], "en",
     "slack bot tutorial step 3: export SLACK_BOT_TOKEN=xoxb-your-token-here and run `npm start`. that's it!")
case("linkedin:anouk-ex-instructeur", [], "nl",
     "Drie jaar instructeur geweest bij Lenteveer, beste werkgever die ik ooit heb gehad. Op naar een nieuw avontuur!")
case("instagram:@carriere.switch", [], "en",
     "Quit my boring office job and starting the Teacher Training at Lenteveer in September 🙌 terrified and excited!!")
case("x:@vraagbaak_vera", [], "nl",
     "Waarom vraagt mijn zorgverzekeraar om mijn BSN op de factuur voor medische pilates bij Lenteveer? Is dat normaal?")
case("x:@lenteveer_help", [], "nl",
     "@rvdmeulen Wat vervelend dat dit zo lang heeft geduurd. Je opzegging is nu verwerkt en de laatste incasso "
     "storten we terug. Excuses 🙏", kind="reply")
case("bluesky:@ilse-lenteveer.bsky.social", [], "en",
     "Holiday timetable for Utrecht is live on boeken.lenteveer.nl 🎄 happy holidays everyone!")
case("x:@phishalarm", [], "nl",
     f"Sms van 'Lenteveer': 'uw betaling met kaart {bad_card('-')} is mislukt, klik hier'. Onzin natuurlijk, niet klikken!")


# ---------------------------------------------------------------- severity (CONTRACT section 4)
ORDER = ["none", "info", "warning", "error", "critical"]


def role_of(platform, handle):
    key = f"{platform}:{handle}".lower()
    if key in CORPORATE:
        return "corporate"
    if key in EMPLOYEE:
        return "employee"
    return "public"


def severity(cats, role, strong_pii):
    s = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                v = 3
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and strong_pii):
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
        s = max(s, v)
    return ORDER[s]


# ---------------------------------------------------------------- scanners used by the self-check
IBAN_RE = re.compile(r"(?<![\w/+])(NL|BE|DE)\d{2}(?: ?[A-Z0-9]{4}){2,4}(?: ?[A-Z0-9]{1,3})?(?![\w/+])")
CARD_RE = re.compile(r"(?<![\w+\-.])[1-9](?:[ -]?\d){12,18}(?![\w\-])")
BSN_RE = re.compile(r"(?<![\w+\-./])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\w\-])")
IBAN_LEN = {"NL": 18, "BE": 16, "DE": 22}
ZW = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")
COMPANY_IBANS = {re.sub(r"\s", "", x).upper() for x in PROFILE["public_identifiers"]["ibans"]}


def norm(text):
    return unicodedata.normalize("NFKC", ZW.sub("", text))


def checksum_ids(text):
    found = []
    for m in IBAN_RE.finditer(text):
        s = re.sub(r"\s", "", m.group(0))
        if len(s) == IBAN_LEN[m.group(1)] and s not in COMPANY_IBANS:
            found.append(("iban", s, iban_ok(s)))
    for m in CARD_RE.finditer(text):
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19:
            found.append(("card", d, luhn_ok(d)))
    for m in BSN_RE.finditer(text):
        found.append(("bsn", re.sub(r"\D", "", m.group(0)), bsn_ok(m.group(0))))
    return found


SECRET_RES = [
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36}\b"),
    re.compile(r"\bAKIA[A-Z2-7]{16}\b"),
    re.compile(r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+"),
    re.compile(r"\bsk_live_[A-Za-z0-9]{20,}"),
    re.compile(r"\blive_[A-Za-z0-9]{30}\b"),
    re.compile(r"\bxox[abp]-\d+-\d+-[A-Za-z0-9]+"),
    re.compile(r"\bsk-proj-[\w-]+T3BlbkFJ[\w-]+"),
    re.compile(r"\bsk-ant-api03-[\w-]{90,}"),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"\b(?:postgres(?:ql)?|mysql|mongodb(?:\+srv)?)://[^\s:/@]+:[^\s@]+@[\w.-]+"),
    re.compile(r"(?i)\b(?:wachtwoord|password|ww)\s*[:=]?\s+(?=\S*\d)(?=\S*[A-Za-z])\S{8,}"),
]


def secrets_in(text):
    hits = []
    for rx in SECRET_RES:
        for m in rx.finditer(text):
            tok = m.group(0)
            if "EXAMPLE" in tok or re.search(r"x{8,}|your-token|USER:PASSWORD", tok):
                continue
            hits.append(tok)
    return hits


EURO_RE = re.compile(r"€\s?(\d[\d.,]*\d|\d)")


def parse_eur(s):
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d{1,2})?", s):
        return float(s.replace(".", "").replace(",", "."))
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?", s):
        return float(s.replace(",", ""))
    if re.fullmatch(r"\d+,\d{1,2}", s):
        return float(s.replace(",", "."))
    return float(s)


def low_price_hits(text):
    """(alias, amount, list) for every product alias in the text with a euro amount below ratio*list."""
    t = norm(text)
    low = []
    amounts = [parse_eur(m.group(1)) for m in EURO_RE.finditer(t)]
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    for p in PROFILE["products"]:
        for alias in [p["name"]] + p["aliases"]:
            if re.search(r"(?<!\w)" + re.escape(alias.lower()) + r"(?!\w)", t.lower()):
                for a in amounts:
                    if a < ratio * p["list_price"]:
                        low.append((alias, a, p["list_price"]))
    return low


def parse_ts(s):
    return datetime.strptime(s.replace("Z", "+00:00"), "%Y-%m-%dT%H:%M:%S%z")


EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]*\w")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\s-]*(?:\(0\))?[\s-]*\d(?:[\s-]?\d){7,9}(?!\d)")
PUBLIC_PHONES = {re.sub(r"\D", "", p).lstrip("0").removeprefix("31") for p in PROFILE["public_identifiers"]["phones"]}


# ---------------------------------------------------------------- build + write
def build():
    R.shuffle(CASES)
    out, meta = [], []
    for i, c in enumerate(CASES, 1):
        role = role_of(c["platform"], c["handle"])
        ids = checksum_ids(c["text"])
        strong = "leak.pii" in c["cats"] and any(ok for _, _, ok in ids)
        post = {
            "id": f"{c['platform']}-408{i:04d}",
            "platform": c["platform"],
            "kind": c["kind"],
            "account": {"handle": c["handle"]},
            "text": c["text"],
            "lang": c["lang"],
            "created_at": c["created_at"],
        }
        out.append({"post": post, "expect": {"categories": c["cats"],
                                             "severity": severity(c["cats"], role, strong)}})
        meta.append((c, role, ids))
    with open(OUT, "w", encoding="utf-8") as fh:
        for o in out:
            fh.write(json.dumps(o, ensure_ascii=False) + "\n")
    return meta


def self_check(meta):
    errors = []
    err = lambda i, m: errors.append(f"{i}: {m}")
    allowed_platforms = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
                         "mastodon", "bluesky", "threads", "forum", "blog", "other"}
    taxonomy = set(CAT.values())
    seen = set()
    with open(OUT, encoding="utf-8") as fh:
        lines = [json.loads(l) for l in fh]
    assert len(lines) == len(meta)
    for line, (c, role, ids) in zip(lines, meta):
        p, e = line["post"], line["expect"]
        pid = p.get("id")
        if set(line) != {"post", "expect"}:
            err(pid, "top-level keys")
        if not isinstance(pid, str) or not 1 <= len(pid) <= 256 or pid in seen:
            err(pid, "bad or duplicate id")
        seen.add(pid)
        if p["platform"] not in allowed_platforms:
            err(pid, "platform")
        if p["kind"] not in {"post", "reply", "repost", "comment", "message"}:
            err(pid, "kind")
        if not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
            err(pid, "handle")
        if not isinstance(p["text"], str) or not p["text"] or len(p["text"].encode()) > 65536:
            err(pid, "text")
        try:
            ts = parse_ts(p["created_at"])
        except ValueError:
            err(pid, "created_at")
            continue
        if not (2026 <= ts.year <= 2027):
            err(pid, "year")
        cats = e["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= taxonomy:
            err(pid, "categories")
        if e["severity"] not in ORDER:
            err(pid, "severity value")
        benign = not cats
        if benign and e["severity"] != "none":
            err(pid, "benign must be none")
        if not benign and e["severity"] in ("none", "info"):
            err(pid, "positive too low")
        strong = "leak.pii" in cats and any(ok for _, _, ok in ids)
        if e["severity"] != severity(cats, role_of(p["platform"], p["account"]["handle"]), strong):
            err(pid, "severity not per policy")
        text = p["text"]
        ntext = norm(text)
        # checksum identifiers
        for kind, val, ok in ids:
            if benign and ok:
                err(pid, f"benign contains valid {kind} {val}")
            if not benign and not ok:
                err(pid, f"positive contains failing {kind} {val}")
            if ok and "leak.pii" not in cats:
                err(pid, f"valid {kind} but no leak.pii")
        found = {(k, v) for k, v, _ in ids}
        for kind, val in c["valid_ids"]:
            if (kind, val) not in found or benign or "leak.pii" not in cats:
                err(pid, f"registered valid {kind} {val} not found in a pii positive")
        for kind, val in c["fake_ids"]:
            if (kind, val) not in found or not benign:
                err(pid, f"registered look-alike {kind} {val} not found in a benign post")
        # secrets
        sec = secrets_in(text)
        if "leak.secret" in cats and not sec:
            err(pid, "secret case without a credential")
        if "leak.secret" not in cats and sec:
            err(pid, f"credential in non-secret case: {sec}")
        for tok in re.findall(r"\bgh[pousr]_[A-Za-z0-9]{36}\b", text):
            good = b62(zlib.crc32(tok[4:34].encode()), 6) == tok[34:]
            if good == benign:
                err(pid, f"github token checksum {'valid in benign' if good else 'invalid in positive'}")
        for tok in re.findall(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+", text):
            h = tok.split(".")[0]
            hdr = json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)))
            if "alg" not in hdr:
                err(pid, "jwt header without alg")
        for tok in re.findall(r"\bAKIA[A-Z2-7]{16}\b", text):
            if benign != tok.endswith("EXAMPLE"):
                err(pid, "aws key id sample/real mismatch")
        # pricing
        low = low_price_hits(text)
        if "leak.pricing" in cats and not low:
            err(pid, "pricing case without a low price next to a product")
        if "leak.pricing" not in cats and low:
            err(pid, f"low price in non-pricing case {low}")
        # internal names / markers / embargo
        lt = ntext.lower()
        internal = PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"] + PROFILE["internal"]["domains"]
        hit_internal = [t for t in internal if t.lower() in lt]
        for emb in PROFILE["embargo"]:
            until = parse_ts(emb["until"])
            for t in emb["terms"]:
                if t.lower() in lt and ts < until:
                    hit_internal.append(t)
        if hit_internal and "leak.confidential" not in cats:
            err(pid, f"internal term without leak.confidential: {hit_internal}")
        # personal contact data in benign posts must be the company's own
        if benign:
            for m in EMAIL_RE.finditer(text):
                if m.group(0).lower() not in PROFILE["public_identifiers"]["emails"]:
                    err(pid, f"benign contains e-mail {m.group(0)}")
            for m in PHONE_RE.finditer(IBAN_RE.sub(" ", text)):
                d = re.sub(r"\D", "", m.group(0)).lstrip("0").removeprefix("31")
                if d not in PUBLIC_PHONES:
                    err(pid, f"benign contains phone {m.group(0)}")
        # account role sanity: public handles must not collide with the profile
        if role == "public" and f"{p['platform']}:{p['account']['handle']}".lower() in CORPORATE | EMPLOYEE:
            err(pid, "role")
    n = len(lines)
    nb = sum(1 for l in lines if not l["expect"]["categories"])
    if not 170 <= n <= 180:
        errors.append(f"case count {n} outside 170-180")
    return errors, n, nb, lines


def summary(lines, meta):
    from collections import Counter
    cc = Counter(c for l in lines for c in l["expect"]["categories"])
    langs = Counter(l["post"]["lang"] for l in lines)
    roles = Counter(r for _, r, _ in meta)
    sev = Counter(l["expect"]["severity"] for l in lines)
    return cc, langs, roles, sev


if __name__ == "__main__":
    meta = build()
    errors, n, nb, lines = self_check(meta)
    cc, langs, roles, sev = summary(lines, meta)
    print(f"{n} cases, {nb} benign, {n - nb} positive")
    print("categories:", dict(sorted(cc.items())))
    print("languages:", dict(langs), "roles:", dict(roles))
    print("severities:", dict(sev))
    if errors:
        print("SELF-CHECK FAILED:")
        for e in errors:
            print("  ", e)
        sys.exit(1)
    print("self-check OK")
