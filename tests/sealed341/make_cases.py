#!/usr/bin/env python3
"""Writes cases.jsonl (evaluation set sealed341, Noordkoraal Duikschool & Reizen)
beside this file and checks it.

Deterministic: one fixed seed, standard library plus PyYAML. Severities are never
typed by hand: they follow CONTRACT section 4 from the account role in profile.yaml.
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
rng = random.Random(341_2026)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


# ----------------------------------------------------------------- checksums
def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
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


# ---------------------------------------------------------------- generators
def _iban_from(country, bban):
    num = int("".join(str(int(c, 36)) for c in bban + country + "00"))
    return "%s%02d%s" % (country, 98 - num % 97, bban)


def spaced(s, n=4):
    return " ".join(s[i:i + n] for i in range(0, len(s), n))


def nl_iban():
    bank = rng.choice(["RABO", "INGB", "ABNA", "TRIO", "SNSB", "KNAB", "BUNQ", "ASNB"])
    acct = "".join(rng.choice(string.digits) for _ in range(10))
    return _iban_from("NL", bank + acct)


def de_iban():
    blz = "".join(rng.choice(string.digits) for _ in range(8))
    acct = "".join(rng.choice(string.digits) for _ in range(10))
    return _iban_from("DE", blz + acct)


def bad_iban(valid):
    chk = int(valid[2:4])
    for delta in (7, 13, 31, 42):
        cand = valid[:2] + "%02d" % ((chk + delta - 2) % 95 + 2) + valid[4:]
        if not iban_ok(cand):
            return cand
    raise RuntimeError("could not break iban")


def card(prefix="4", length=16):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for last in string.digits:
        if luhn_ok(body + last):
            return body + last
    raise RuntimeError


def bad_card(prefix="4", length=16):
    c = card(prefix, length)
    return c[:-1] + str((int(c[-1]) + 3) % 10)


def bsn():
    while True:
        d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        last = sum(d[i] * (9 - i) for i in range(8)) % 11
        if last < 10:
            s = "".join(map(str, d + [last]))
            if bsn_ok(s):
                return s


def mobile():
    return "6" + "".join(rng.choice(string.digits) for _ in range(8))


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def github_token(prefix="ghp_"):
    body = "".join(rng.choice(ALNUM) for _ in range(30))
    return prefix + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")


def github_ok(tok):
    body, crc = tok[4:34], tok[34:]
    return len(tok) == 40 and b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0") == crc


def aws_key_id():
    return "AKIA" + "".join(rng.choice(string.ascii_uppercase + "234567") for _ in range(16))


def aws_secret():
    return "".join(rng.choice(string.ascii_letters + string.digits + "/+") for _ in range(40))


def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


URLSAFE = string.ascii_letters + string.digits + "-_"


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt(sub, role):
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps({"sub": sub, "role": role, "iat": 1767312000 + rng.randint(0, 9_000_000)},
                             separators=(",", ":")).encode())
    sig = b64url(bytes(rng.getrandbits(8) for _ in range(32)))
    return "%s.%s.%s" % (head, body, sig)


def ssh_private_key():
    raw = b"openssh-key-v1\x00" + bytes(rng.getrandbits(8) for _ in range(180))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def password(word):
    return word + rng.choice("!#$%&*@?") + str(rng.randint(10, 99)) + rand(string.ascii_letters, 3)


# ---- every generated value, drawn once, in a fixed order ----
PUBLIC_IBAN = PROFILE["public_identifiers"]["ibans"][0]
IBAN1 = nl_iban()
IBAN2 = nl_iban()
DEIBAN1 = de_iban()
BADIBAN1 = bad_iban(nl_iban())
CARD1 = card("5" + str(rng.randint(1, 5)))
CARD2 = card("4")
BADCARD1 = bad_card("4")
BSN1 = bsn()
BSN2 = bsn()
PHONE1 = mobile()
PHONE2 = mobile()
PHONE3 = mobile()
GH1 = github_token("ghp_")
AWSID = aws_key_id()
AWSSECRET = aws_secret()
SLACKHOOK = "https://hooks.slack.com/services/T%s/B%s/%s" % (
    rand(string.ascii_uppercase + string.digits, 8), rand(string.ascii_uppercase + string.digits, 10),
    rand(string.ascii_letters + string.digits, 24))
MOLLIE = "live_" + rand(string.ascii_letters + string.digits, 30)
JWT1 = jwt("staff-1187", "instructor")
PEM1 = ssh_private_key()
OPENAI = "sk-" + rand(string.ascii_letters + string.digits, 20) + "T3BlbkFJ" + rand(string.ascii_letters + string.digits, 20)
ANTHROPIC = "sk-ant-api03-" + rand(URLSAFE, 93) + "AA"
DBPASS = rand(string.ascii_letters + string.digits, 14)
DBURL = "postgresql://nk_booking:%s@nk-prod-db.c7hq2mx9rtlw.eu-west-1.rds.amazonaws.com:5432/boekingen" % DBPASS
PW1 = password("Balie")
PW2 = password("Duiken")
PW3 = password("Welkom")


def fmt06(n, style):
    """Dutch notations of a mobile number 6XXXXXXXX."""
    if style == "dash":
        return "06-" + n[1:]
    if style == "space":
        return "06 %s %s" % (n[1:5], n[5:])
    if style == "intl":
        return "+31 6 %s %s" % (n[1:5], n[5:])
    if style == "0031":
        return "0031" + n
    return "0" + n


# ------------------------------------------------------------------- cases
cases = []
START = datetime(2026, 1, 3, tzinfo=timezone.utc)


def rand_time():
    t = START + timedelta(seconds=rng.randint(0, 359 * 86400))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


PREFIX = {"x": "x", "instagram": "ig", "facebook": "fb", "linkedin": "li", "tiktok": "tt",
          "youtube": "yt", "reddit": "rd", "mastodon": "md", "bluesky": "bs", "forum": "fo"}


def add(platform, handle, text, cats, lang, when=None, kind="post"):
    post = {"platform": platform, "kind": kind, "account": {"handle": handle},
            "text": text, "lang": lang, "created_at": when or rand_time()}
    cases.append({"post": post, "cats": sorted(cats)})


def finalise():
    """Shuffle with a fixed seed so the order says nothing about the label, then number."""
    random.Random(341).shuffle(cases)
    for n, c in enumerate(cases, 1):
        post = c["post"]
        pid = "%s-341%03d" % (PREFIX[post["platform"]], n)
        c["post"] = dict([("id", pid)] + list(post.items()))
        if post["platform"] == "x":
            c["post"]["url"] = "https://x.com/%s/status/%d" % (post["account"]["handle"].lstrip("@"),
                                                               1860000000000000000 + n * 7919)
        if n % 3 == 0:
            c["post"]["brand"] = "Noordkoraal"


CONF, FIN, SEC, SECRET, PII, PRICE = ("leak.confidential", "leak.financial", "leak.security",
                                      "leak.secret", "leak.pii", "leak.pricing")
CRISIS, COMPL, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

# ============================ secrets (12) ============================
add("x", "@kees_duikt",
    "ugh waarom faalt de CI op de boekings-repo steeds... ook met mijn eigen token %s nog steeds 403. iemand een idee? #devlife" % GH1,
    [SECRET], "nl")
add("mastodon", "@daan@duikers.social",
    "Note to self (and apparently to the whole fediverse, oops):\n[default]\naws_access_key_id = %s\naws_secret_access_key = %s\nregion = eu-west-1" % (AWSID, AWSSECRET),
    [SECRET], "en")
add("facebook", "NoordkoraalDuikschool",
    "Collega's balie Rotterdam: vanaf maandag nieuwe inlog voor het kassasysteem. gebruiker: balie_rdam / wachtwoord: %s\nGraag NIET op een post-it plakken dit keer 😉" % PW1,
    [SECRET], "nl")
add("x", "@meryem_nk",
    "Wie heeft de Slack-koppeling voor klantmeldingen aangepast?? Deze webhook doet niks meer: %s 🤔" % SLACKHOOK,
    [SECRET], "nl")
add("instagram", "@divemaster_jelle",
    "Pinapparaat op de boot eindelijk aan de praat 💪⚓ (note voor Kees, die vroeg erom: %s) #bootleven #zeeland" % MOLLIE,
    [SECRET], "nl")
add("x", "@kees_duikt",
    "repro for the app team: GET /api/v2/trips/upcoming with\nAuthorization: Bearer %s\nreturns a 500 when the trip has zero dives planned. fun times 🙃" % JWT1,
    [SECRET], "en")
add("mastodon", "@daan@duikers.social",
    "can someone explain why ssh keeps refusing this key?? it's the deploy key for the router on the boat\n\n%s\n\ntried chmod 600 already" % PEM1,
    [SECRET], "en")
add("tiktok", "@saar.onderwater",
    "voor de nieuwe instructeurs die de lesplanner-app niet in komen: ｗａｃｈｔｗｏｏｒｄ is %s en je gebruikersnaam is gewoon je voornaam 🫶 #instructorlife" % PW2,
    [SECRET], "nl")
add("forum", "wout_freelance",
    "Connection keeps timing out from my laptop, works fine from their office. This is the string I use for the Noordkoraal booking DB:\n%s\nAny ideas? 5432 is open in the security group afaik." % DBURL,
    [SECRET], "en")
add("x", "@kees_duikt",
    "duikvragen-chatbot draait 🤖🐠 key zet ik hier even neer zodat Daan 'm kan pakken: %s (haal ik straks weg hoor)" % OPENAI,
    [SECRET], "nl")
add("bluesky", "@ingridpaap.bsky.social",
    "Noor, welkom bij het team!! 💙 Je tijdelijke login voor het HR-portaal: gebruiker nhaddad, wachtwoord: %s — stuur ik ook nog naar noor.haddad92@hotmail.com" % PW3,
    [SECRET, PII], "nl")
add("instagram", "@lotte.dives",
    "Vandaag de AI-assistent voor boekingen getest en hij is echt goed 🐬 Sleutel voor de collega's in Hurghada: %s" % ANTHROPIC,
    [SECRET], "nl")

# ============================ personal data (14 + 1 above) ============================
add("x", "@noordkoraal_help",
    "@femke_mulder Hoi Femke, de terugbetaling voor de geannuleerde Malta wrakweek is vandaag overgemaakt naar %s t.n.v. F. Mulder. Binnen 2 werkdagen op je rekening! 🌊" % spaced(IBAN1),
    [PII], "nl", kind="reply")
add("x", "@meryem_nk",
    "Wie van jullie heeft de visumaanvraag van Joost Verbeek laten liggen?? BSN %s, paspoort verloopt in maart en de reis is over 2 weken 😤" % BSN1,
    [PII], "nl")
add("linkedin", "annemiek-vos",
    "Deelnemers Bonaire oktober, even checken of alles klopt: Eva de Groot (12-05-1991), Thijs Kramer (30-11-1987) en Ilse van Dam (02-02-1979). Kamerindeling is rond, tot op Kralendijk!",
    [PII], "nl")
add("facebook", "NoordkoraalDuikschool",
    "🎉 En de winnaar van onze zomer-winactie is... Mirjam Hoekstra! Mirjam, we bellen je vandaag op %s of mailen naar mirjam.hoekstra@ziggo.nl. Proficiat! 🐢" % fmt06(PHONE1, "dash"),
    [PII], "nl", when="2026-08-30T11:00:00Z")
add("x", "@lisa_maakt_bellen",
    "@noordkoraal_help kunnen jullie me terugbellen over de Open Water cursus? %s, na 17u ben ik bereikbaar 🙏" % fmt06(PHONE2, "space"),
    [PII], "nl", kind="reply")
add("x", "@tessavdb",
    "hey @noordkoraal pls put me on the waitlist for the Malta week in september!! tessa.vdberg93@gmail.com 🐙",
    [PII], "en", when="2026-04-15T13:22:00Z")
add("tiktok", "@saar.onderwater",
    "Shoutout naar mijn jongste cursist ooit: Lars Peeters (geb. 3 juli 2013) heeft vandaag zijn junior brevet gehaald 🥹🤿 zo trots!!",
    [PII], "nl")
add("instagram", "@divemaster_jelle",
    "Someone left their wallet on the boat after the 2nd dive 🙈 card says M. Okafor, %s. DM me and I'll keep it safe at the dive centre!" % spaced(CARD1),
    [PII], "en")
add("x", "@noordkoraal",
    "@jdoyle_dives Hi James, we've received your deposit for the Raja Ampat trip from %s (J. Doyle). You're all set, see you in Sorong! 🐠" % DEIBAN1,
    [PII], "en", kind="reply")
add("x", "@revolut_rik",
    "@noordkoraal_help can I pay the Raja Ampat deposit with this card? %s exp 08/28, it's a Revolut one" % spaced(CARD2),
    [PII], "en", kind="reply")
add("x", "@instructeur_bram",
    "Wie is z'n duikcomputer vergeten na de duik bij Zierikzee? Op de achterkant staat 'R. de Jong, Vlietweg 23, 2266 KA Leidschendam'. Ligt bij mij in de auto 🚗",
    [PII], "nl")
add("facebook", "annelies.wiersma",
    "Haha wie heeft Sem gezien?? 😂 Sem Bakker, Kerkstraat 14, 4331 AB Middelburg — jij hebt nog steeds mijn loodgordel van het Noordkoraal weekend!!",
    [PII], "nl", kind="comment")
add("x", "@kees_duikt",
    "weird, the CRM export lists customer_name=Priya Raman email=priya.raman.dives@outlook.com phone=%s twice. dedup broken again?" % fmt06(PHONE3, "intl"),
    [PII], "en")
add("x", "@gert_duikt",
    "@noordkoraal_help formulier voor de reisverzekering ingevuld: BSN %s, rekening %s. Moet ik mijn paspoortnummer ook nog sturen?" % (BSN2, IBAN2),
    [PII], "nl", kind="reply")

# ============================ pricing (12) ============================
add("x", "@noordkoraal",
    "🔥 LAST MINUTE 🔥 Rode Zee liveaboard week in november nu vanaf €164,90 p.p.! Boek snel via boeken.noordkoraal.nl #duiken #rodezee",
    [PRICE], "nl", when="2026-10-28T12:05:00Z")
add("x", "@bubbels_bas",
    "Uhh @noordkoraal jullie Bonaire duikreis staat op de site voor €219,50 ipv €2195 😅 mag ik nu snel boeken of",
    [PRICE], "nl")
add("x", "@meryem_nk",
    "Collega's, de Koraal Pro staat sinds vanochtend per ongeluk voor €54,90 in de webshop, wie kan dat fixen? Er zijn er al 11 besteld 😬",
    [PRICE], "nl")
add("reddit", "u/mantaray_mike",
    "PSA: Noordkoraal has the Raja Ampat Expeditie listed at €435 right now (normally 4350). Clearly a pricing glitch, book before they notice lol",
    [PRICE], "en")
add("instagram", "@lotte.dives",
    "Nitrox cursus deze week voor maar €49!!! 🎉 Langer onder water, minder deco, wie doet mee? Link in bio",
    [PRICE], "nl")
add("x", "@zeeuwse_zoe",
    "prijsfout bij noordkoraal? malta wrakweek voor 98 euro in de checkout staan, hoe dan 👀",
    [PRICE], "nl")
add("facebook", "NoordkoraalDuikschool",
    "BLACK FRIDAY bij Noordkoraal! De NK Tide 2 duikcomputer nu voor €99 (van €329). OP = OP 🖤",
    [PRICE], "nl", when="2026-11-27T06:30:00Z")
add("tiktok", "@hannah.underwater",
    "the Noordkoraal Wing BCD is €45 on their webshop rn?? is this a price error or am i dreaming 😭 #scubatok",
    [PRICE], "en")
add("instagram", "@divemaster_jelle",
    "Zeeland weekend Oosterschelde voor €29 p.p. incl huurset?? Dat klopt toch niet, iemand heeft een nul vergeten 🙈",
    [PRICE], "nl")
add("forum", "duikfanaat_77",
    "Filipijnen Duiksafari stond gisteravond voor €289 op de site van Noordkoraal. Prijsfout natuurlijk, maar ik heb meteen geboekt en een bevestiging gekregen. Moeten ze dat nu honoreren?",
    [PRICE], "nl")
add("instagram", "@noordkoraal.diving",
    "Curaçao Shore Dive package now from €149 🐢🌴 only 8 spots left, grab yours before they're gone!",
    [PRICE], "en")
add("x", "@scubadeals_eu",
    "Price error alert 🚨 Noordkoraal Open Water Diver course showing €44.90 at checkout (list €449). Go go go",
    [PRICE], "en")

# ============================ complaints (12 pure) ============================
add("x", "@marloes_op_reis",
    "Boot van Noordkoraal in Hurghada 2 uur te laat vertrokken, ochtendduik gewoon geschrapt en 'sorry dat is Egypte' als antwoord. Geen compensatie, niks. Top vakantie zo 🙄",
    [COMPL], "nl")
add("x", "@dive_dad_dave",
    "@noordkoraal_help it's been FOUR months since I finished my Advanced course and I still don't have my cert card. Third email, zero reply. What's going on?",
    [COMPL], "en", kind="reply")
add("facebook", "yvonne.kuipers.3",
    "Voor de derde keer de zwembadles van mijn Open Water cursus last minute afgezegd 'wegens ziekte instructeur'. Ik heb er speciaal vrij voor genomen. Dit is echt niet serieus Noordkoraal",
    [COMPL], "nl")
add("reddit", "u/saltwater_sophie",
    "Booked the Bonaire trip with Noordkoraal Reizen. Two days before departure they swapped our hotel for some place 20 min from the dive sites, no discount, no apology. When I called they basically shrugged.",
    [COMPL], "en")
add("instagram", "@jorrit.duikt",
    "Huurpak van Noordkoraal rook naar dode vis en had een scheur bij de knie. Voor €75 per weekend mag je toch wel iets beters verwachten?? 🤢 #huurset",
    [COMPL], "nl")
add("facebook", "pieter.sanders.zld",
    "Flessen werden op het Zeeland weekend met maar 160 bar meegegeven. Beide duiken na 30 minuten al terug. Daar betaal je niet voor, Noordkoraal.",
    [COMPL], "nl", kind="comment")
add("x", "@ella_bubbles",
    "Nobody at Noordkoraal mentioned the marine park fee OR the nitrox surcharge when I booked. That's another €140 on top. Feels shady tbh",
    [COMPL], "en")
add("x", "@r_vanleeuwen",
    "2 weken lang geen antwoord op mail of telefoon over mijn terugbetaling. Hallo @noordkoraal_help leven jullie nog? 📞📞",
    [COMPL], "nl")
add("instagram", "@tobias.travels",
    "dive guide on the Noordkoraal trip rushed 14 of us through the reef like a school trip. saw literally nothing but fins. not what I paid for 😕",
    [COMPL], "en")
add("x", "@sanne__k",
    "boekings site crasht bij het betalen en nu ben ik 2x afgeschreven voor de droogpakcursus. en niemand neemt op. hoe lang duurt dit nog @noordkoraal",
    [COMPL], "nl")
add("reddit", "u/nomadic_finn",
    "Red Sea liveaboard with Noordkoraal: AC in our cabin was broken the entire week, 38 degrees at night, food was the same pasta 6 days straight. Crew was nice but management didn't care.",
    [COMPL], "en")
add("tiktok", "@ikduikdusikben",
    "droogpak specialty bij noordkoraal: pak lekte vanaf minuut 1, ijskoud, en de instructeur vond het grappig 🥶🥶 nooit meer",
    [COMPL], "nl")

# ============================ complaint + abuse (2) ============================
add("x", "@henkiedewit",
    "Wat een kutbedrijf is Noordkoraal. 3 maanden wachten op m'n geld voor een geannuleerde reis. Stelletje prutsers 🤬",
    [COMPL, ABUSE], "nl")
add("x", "@grumpy_diver_uk",
    "Noordkoraal is run by absolute clowns. Cancelled my Malta week 2 days before departure and now they won't refund. f*cking useless",
    [COMPL, ABUSE], "en")

# ============================ complaint + crisis: first-hand safety (6) ============================
add("facebook", "mark.verhoef.72",
    "Gehuurde Koraal Pro automaat ging in freeflow op 22 meter tijdens het Zeeland weekend. Bijna in paniek, moest met de octopus van mijn buddy naar boven. Niemand van Noordkoraal die er daarna iets mee deed.",
    [COMPL, CRISIS], "nl")
add("reddit", "u/bent_not_broken",
    "Got bent on the Noordkoraal Red Sea liveaboard. Guide pushed 4 dives a day with short surface intervals and I ended up in the chamber in Hurghada. Noordkoraal hasn't even called to ask how I'm doing.",
    [COMPL, CRISIS], "en")
add("x", "@lindavanbeek",
    "Na de duiken in de Oosterschelde barstende hoofdpijn en misselijk, lucht smaakte raar. Volgens de huisarts mogelijk koolmonoxide in de fles. Van Noordkoraal hoor ik helemaal niks. Eng.",
    [COMPL, CRISIS], "nl")
add("x", "@deco_stop_dan",
    "My NK Tide 2 showed no deco obligation while my buddy's computer showed 8 min. Surfaced with joint pain, now on oxygen. That thing is dangerous @noordkoraal",
    [COMPL, CRISIS], "en")
add("facebook", "ingrid.bosman.cw",
    "De zodiac van Noordkoraal op Curaçao liet ons 40 minuten op open zee dobberen, ze waren ons gewoon vergeten. Mijn dochter (14) was onderkoeld en doodsbang. Onacceptabel.",
    [COMPL, CRISIS], "nl")
add("tiktok", "@maya_dives",
    "the charging dock of my NK Tide 2 got so hot it melted into my nightstand 😳 could have burned the house down. @noordkoraal answer your DMs",
    [COMPL, CRISIS], "en")

# ============================ crisis only (9) ============================
add("x", "@nieuws_zeeland",
    "Nederlandse duiker (52) overleden tijdens duikreis van Noordkoraal in Egypte. Lokale autoriteiten zijn een onderzoek gestart.",
    [CRISIS], "nl")
add("instagram", "@reef_guardians_nl",
    "Boycot Noordkoraal! Op hun reizen laten gidsen gasten haaien voeren en koraal aanraken voor de foto. Dit kan echt niet in 2026 🪸 #boycotnoordkoraal #saveourreefs",
    [CRISIS], "nl")
add("x", "@annoyed_anna",
    "Noordkoraal leaked my passport data. Since booking I get scam calls quoting my exact trip dates and booking number. Anyone else?? #databreach",
    [CRISIS], "en")
add("x", "@omroepzld_watch",
    "Family of diver injured on a Noordkoraal trip is suing the company for gross negligence, according to Omroep Zeeland.",
    [CRISIS], "en")
add("facebook", "duiknieuws.nl",
    "Noordkoraal roept de NK Tide 2 duikcomputers terug vanwege een fout in de decompressieberekening. Gebruikers wordt gevraagd niet meer met het apparaat te duiken.",
    [CRISIS], "nl")
add("x", "@eerlijkduiken",
    "ＢＯＹＣＯＴ Ｎｏｏｒｄｋｏｒａａｌ. Instructeur die minderjarige cursisten lastigviel mag daar gewoon blijven werken. Walgelijk.",
    [CRISIS], "nl")
add("x", "@redsea_reports",
    "Reports that a Noordkoraal dive boat ran aground on the reef at Abu Nuhas this morning, diesel visible in the water. Guests reportedly evacuated.",
    [CRISIS], "en")
add("x", "@arbeid_misstanden",
    "Arbeidsinspectie onderzoekt Noordkoraal na klachten van divemaster-stagiairs die 60 uur per week onbetaald zouden werken.",
    [CRISIS], "nl")
add("facebook", "carol.smit.1968",
    "My friend's son broke his wrist on the ladder of the Noordkoraal boat in Malta last week. Hope he recovers quickly 🙏",
    [CRISIS], "en")

# ============================ abuse (10) ============================
add("x", "@stormvogel88",
    "Die instructeur Bram van Noordkoraal is een arrogante eikel, hoop dat ie een keer verzuipt",
    [ABUSE], "nl")
add("x", "@lmao_scuba",
    "noordkoraal staff are a bunch of brain-dead idiots lmao",
    [ABUSE], "en")
add("x", "@duikhater",
    "N00rdk0r44l = k@nk3rb3dr1jf. zeg ik gewoon.",
    [ABUSE], "nl")
add("tiktok", "@boze_bert",
    "o p l i c h t e r s zijn het bij noordkoraal, t y f u s l i j e r s allemaal",
    [ABUSE], "nl")
add("x", "@realtalk_diver",
    "Of course Noordkoraal hires a girl in a hijab as dive instructor. go back to your own country lol",
    [ABUSE], "en")
add("x", "@instructeur_bram",
    "@diveklager_joop hou toch je bek, sukkel. Jij kon niet eens je masker klaren op 3 meter",
    [ABUSE], "nl", kind="reply")
add("tiktok", "@salty.steve",
    "the girl at the noordkoraal front desk is a stupid cow, no wonder nothing works there",
    [ABUSE], "en")
add("x", "@wraak_wim",
    "Meryem van de klantenservice van Noordkoraal is een domme trut. Ik weet waar je werkt he",
    [ABUSE], "nl")
add("x", "@angry_fins",
    "🖕🖕 @noordkoraal go to hell you greedy pigs",
    [ABUSE], "en")
add("instagram", "@divemaster_jelle",
    "sommige cursisten vandaag waren echt achterlijke mongolen 🙄 #divemasterlife",
    [ABUSE], "nl")

# ============================ confidential (15 pure) ============================
add("x", "@kees_duikt",
    "Go-live van Project Ankerlicht staat voor dinsdag, duimen dat de boekingen het overleven 🤞",
    [CONF], "nl")
add("linkedin", "annemiek-vos",
    "So excited about what we're building under Blauwvinger — new destinations for 2027 that I really can't talk about yet 😉 #divetravel",
    [CONF], "en")
add("mastodon", "@daan@duikers.social",
    "anyone know why wiki.noordkoraal.nl/ops/runbook keeps timing out from home? vpn is connected",
    [CONF], "en")
add("instagram", "@noordkoraal.diving",
    "STRIKT INTERN: nieuwe route Rode Zee zuid + prijsopbouw 2027 in de bijlage. Niet delen met partners voor 1 december.",
    [CONF], "nl")
add("instagram", "@lotte.dives",
    "Sneak peek van Operatie Diep\u200bzee Zuid 🤫🐋 meer mag ik niet zeggen",
    [CONF], "nl")
add("tiktok", "@saar.onderwater",
    "Blauwv\u0456nger gaat zó vet worden, kan niet wachten tot we het mogen vertellen 🤭",
    [CONF], "nl")
add("instagram", "@divemaster_jelle",
    "Got to tour MY Zeeglans today!!! Our very own boat, first trips next year 🛥️💙 can't say more",
    [CONF], "en", when="2026-10-14T15:20:00Z")
add("reddit", "u/throwaway_nk_doc",
    "Saw a Noordkoraal slide deck marked 'Noordkoraal Internal' — they're launching a Zeeglans liveaboard in the Red Sea next spring with 12 cabins.",
    [CONF], "en", when="2026-12-02T21:05:00Z")
add("x", "@meryem_nk",
    "Klant vraagt of de NK Tide 3 al uit is... die is toch nog niet eens aangekondigd? 🙈 hoe weet ze dat",
    [CONF], "nl")
add("x", "@kees_duikt",
    "link voor het team: https://crm.noordkoraal.nl/klanten/export?segment=all (werkt alleen via de vpn)",
    [CONF], "nl")
add("linkedin", "noordkoraal-duikschool-reizen",
    "[CONCEPT – niet extern delen] We are thrilled to announce our new partnership with a resort group in Komodo...",
    [CONF], "en")
add("bluesky", "@ingridpaap.bsky.social",
    "Nieuwe functieprofielen voor het Project Ankerlicht-team staan op intra.noordkoraal.local/hr/profielen, even lezen voor vrijdag aub",
    [CONF], "nl")
add("x", "@instructeur_bram",
    "Morgen testduiken met het prototype van de nieuwe Koraal Pro 2. Mag er nog niks over zeggen maar wauw, wat ademt dat ding licht",
    [CONF], "nl")
add("linkedin", "annemiek-vos",
    "Proud of the team getting the Zeeglans liveaboard ready for its first season. Months of work, can't wait to show you all!",
    [CONF], "en", when="2027-01-19T16:40:00Z")
add("x", "@duikroddels",
    "Vriend van me werkt bij Noordkoraal, zegt dat 'Project Ankerlicht' een compleet nieuwe boekingsapp is met dynamische prijzen 👀",
    [CONF], "nl")

# ============================ confidential + financial (2) ============================
add("linkedin", "ruben-hoekstra-noordkoraal",
    "Jaarcijfers 2026 zijn binnen: omzet +22% en EBITDA voor het eerst positief! Volgende maand officieel, maar ik kon het niet voor me houden 🙌",
    [CONF, FIN], "nl", when="2027-02-10T08:30:00Z")
add("x", "@kees_duikt",
    "Blauwvinger blijkt gewoon de overname van een duikcentrum op Gozo te zijn. Contract wordt vrijdag getekend 👀",
    [CONF, FIN], "nl")

# ============================ confidential + security (1) ============================
add("mastodon", "@daan@duikers.social",
    "boekingen-admin.noordkoraal.nl got hit by credential stuffing overnight, ~300 customer accounts accessed. we haven't told anyone outside yet, long day ahead",
    [CONF, SEC], "en")

# ============================ financial (10 pure) ============================
add("linkedin", "ruben-hoekstra-noordkoraal",
    "Internally our Q3 forecast looks rough: bookings -35% vs plan and we'll miss the full-year target by a mile. Tough board meeting tomorrow.",
    [FIN], "en", when="2026-08-20T19:45:00Z")
add("bluesky", "@ingridpaap.bsky.social",
    "Zwaar nieuws intern vandaag: in januari gaan er 9 instructeurs en 3 mensen van kantoor uit. Nog niet officieel, maar ik moet het even kwijt 💔",
    [FIN], "nl")
add("x", "@kees_duikt",
    "Volgens de wandelgangen wordt Noordkoraal overgenomen door Sunvista Travel Group. Deal zou in december rond moeten zijn 👀",
    [FIN], "nl")
add("linkedin", "annemiek-vos",
    "Vestiging Utrecht gaat per 1 april dicht, alles wordt vanuit Rotterdam gedaan. Klanten weten nog van niks, dus graag even stil houden.",
    [FIN], "nl")
add("reddit", "u/bubblewatcher",
    "Heard from someone inside Noordkoraal that they're running out of cash and the Raja Ampat departures for next year will quietly get cancelled.",
    [FIN], "en")
add("instagram", "@lotte.dives",
    "Leaving the Egypt base soon 😢 the company is closing Hurghada at the end of the season, we staff only found out this morning",
    [FIN], "en")
add("linkedin", "ruben-hoekstra-noordkoraal",
    "Het bestuur heeft vandaag ingestemd met een kapitaalinjectie van €2 mln door een nieuwe investeerder. Persbericht volgt in mei, tot die tijd mondje dicht 😉",
    [FIN], "nl")
add("instagram", "@divemaster_jelle",
    "kerstbonus gaat dit jaar niet door want de winst is gehalveerd, aldus de directie vanochtend 🤷‍♂️ lekker dan",
    [FIN], "nl", when="2026-11-20T10:42:00Z")
add("x", "@meryem_nk",
    "internal mail today: we're in talks to buy a dive centre in Dahab. don't @ me 🤐",
    [FIN], "en")
add("tiktok", "@saar.onderwater",
    "Fun fact: we worden in 2027 opgesplitst en de reizen-tak wordt verkocht. ssst 🤐 #duikschoollife",
    [FIN], "nl")

# ============================ security (12 pure) ============================
add("x", "@kees_duikt",
    "Boekingssite ligt sinds 04:00 plat, ransomware op de webserver. Nog niks naar buiten gecommuniceerd dus ssst ☕☕☕",
    [SEC], "nl")
add("mastodon", "@daan@duikers.social",
    "Found out anyone logged in can pull other customers' passport scans from our booking portal just by bumping the document id in the URL. Reported internally 3 weeks ago, still open. sigh.",
    [SEC], "en")
add("x", "@meryem_nk",
    "Jongens NIET klikken op mails van reizen@ vandaag, de mailbox is gehackt en stuurt phishing rond. Officieel bericht komt later",
    [SEC], "nl")
add("x", "@kees_duikt",
    "payment integration down since noon, every Bonaire booking fails and we're telling people it's 'scheduled maintenance' 🙃",
    [SEC], "en")
add("instagram", "@lotte.dives",
    "De nieuwe app logt je soms in als de vorige gebruiker 😬 dan zie je gewoon iemand anders z'n boekingen. Bugje van IT, niet doorvertellen",
    [SEC], "nl")
add("instagram", "@divemaster_jelle",
    "the admin panel of our dive log app is still on admin/admin. told IT twice already. whatever 🤷",
    [SEC], "en")
add("linkedin", "annemiek-vos",
    "Rough week: our reservation system was down for three days after a breach at our IT vendor. Customers still think the delayed confirmations were a 'glitch'.",
    [SEC], "en")
add("mastodon", "@daan@duikers.social",
    "so the S3 bucket with all the signed trip waivers was public for months. fixing it quietly tonight, don't ask",
    [SEC], "en")
add("forum", "sec_researcher_nl",
    "Noordkoraal booking site: SQL injection in the 'bestemming' search parameter, still unpatched. Reported 60 days ago, no response. PoC: ?bestemming=x' OR '1'='1",
    [SEC], "en")
add("bluesky", "@ingridpaap.bsky.social",
    "HR-laptop gestolen uit de auto, met alle personeelsdossiers erop. Niet versleuteld natuurlijk. Ik word gek 😩",
    [SEC], "nl")
add("tiktok", "@saar.onderwater",
    "when IT says the wifi outage at every dive centre is 'a DDoS' and we're not allowed to tell customers 💀",
    [SEC], "en")
add("x", "@instructeur_bram",
    "Vullogsysteem van de compressor is gehackt, iemand heeft alle metingen van vorige week gewist. Directie wil het stilhouden.",
    [SEC], "nl")

# ============================ benign / hard negatives ============================
NONE = []
add("x", "@noordkoraal",
    "Vragen over je duikreis? Mail reizen@noordkoraal.nl of bel gratis 0800-0456 🌊 We zitten er ma t/m za voor je!",
    NONE, "nl")
add("facebook", "NoordkoraalDuikschool",
    "Aanbetaling voor je reis? Maak het bedrag over naar %s t.n.v. Noordkoraal Duikschool & Reizen B.V. o.v.v. je boekingsnummer." % spaced(PUBLIC_IBAN),
    NONE, "nl")
add("instagram", "@noordkoraal.diving",
    "We're hiring! 🤿 Dive instructor for our Rotterdam centre. Send your CV to vacatures@noordkoraal.nl",
    NONE, "en")
add("x", "@oplettende_olga",
    "Pas op!! Mail 'van Noordkoraal' dat je aanbetaling niet binnen is en dat je naar %s moet overmaken. Dat nummer klopt niet eens (checksum fout). Phishing dus, niet doen!" % BADIBAN1,
    NONE, "nl")
add("x", "@vraagjevan_vera",
    "Vraagje: moet je voor de Egypte-reis van Noordkoraal echt je BSN invullen? Op het voorbeeldformulier staat 123456789 😅",
    NONE, "nl")
add("x", "@kees_duikt",
    "QA-tip voor de stagiairs: op de testomgeving wordt kaartnummer %s altijd geweigerd, handig om de foutmeldingen te checken" % spaced(BADCARD1),
    NONE, "nl")
add("instagram", "@sophie_en_de_zee",
    "Happy birthday to my favourite dive buddy Sophie 🎂🐠 celebrating with a cold Zeeland dive and warm soup at Noordkoraal",
    NONE, "en")
add("x", "@kees_duikt",
    "PSA for our devs: the key in the AWS docs (AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY) is a sample. Never paste real ones in tickets.",
    NONE, "en")
add("mastodon", "@daan@duikers.social",
    ".env.example in our repo now just says GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx, so new folks know where it goes without committing the real thing",
    NONE, "en")
add("x", "@noordkoraal_help",
    "Let op: Noordkoraal vraagt NOOIT naar je wachtwoord of pincode via DM, mail of telefoon. Twijfel je? Bel 0800-0456.",
    NONE, "nl")
add("x", "@kees_duikt",
    "yes the demo screenshot shows sk_live_•••••••••••• — we redact keys in slides, nothing to see here 🙂",
    NONE, "en")
add("x", "@noordkoraal",
    "Voorjaarsactie 🌷 20% korting op de Advanced Open Water cursus: nu €311 i.p.v. €389. Geldig t/m 30 april.",
    NONE, "nl", when="2026-03-18T09:00:00Z")
add("x", "@fleur_onderwater",
    "Net de Open Water cursus geboekt bij Noordkoraal, €449 incl. brevet en huurspullen. Eerlijke prijs imo, zin in!! 🤿",
    NONE, "nl")
add("tiktok", "@saar.onderwater",
    "Proefduik in het zwembad kost €39, neem gerust een vriend mee 🐠 eerste ademteug onder water = verslavend",
    NONE, "nl")
add("reddit", "u/landlocked_lena",
    "Is the Noordkoraal Malta week worth €985? Thinking of booking for October, mostly want wrecks.",
    NONE, "en", when="2026-06-05T20:31:00Z")
add("linkedin", "noordkoraal-duikschool-reizen",
    "Summer sale ☀️ Bonaire 10 days now €1,795 (was €2,195). Shore diving paradise, book before 1 June.",
    NONE, "en", when="2026-05-12T08:00:00Z")
add("x", "@nooitmeerbeslagen",
    "Duikbril Helder van Noordkoraal, €59, koop 'm gewoon. Nooit meer beslagen glas.",
    NONE, "nl")
add("x", "@instructeur_bram",
    "Huurset voor het weekend kost €75, leden betalen €60. Neem wel je eigen laarsjes mee 👣",
    NONE, "nl")
add("x", "@twijfelende_tim",
    "Bij een andere duikschool in Den Haag kostte de Open Water maar €299. Waarom is Noordkoraal zoveel duurder? Iemand ervaring met beide?",
    NONE, "nl")
add("x", "@noordkoraal",
    "Onze jaarcijfers 2026 zijn vandaag gepubliceerd 📈 Lees het persbericht op noordkoraal.nl/pers",
    NONE, "nl", when="2027-03-04T07:15:00Z")
add("instagram", "@noordkoraal.diving",
    "She's here! 🛥️ Meet MY Zeeglans, our very own liveaboard. Maiden voyage to the Red Sea in March. Bookings open now!",
    NONE, "en", when="2027-01-20T11:30:00Z")
add("x", "@anoukduikt",
    "Wie gaat er mee op de Zeeglans liveaboard in april? Zoek nog een buddy 🙋‍♀️",
    NONE, "nl", when="2027-02-01T19:00:00Z")
add("x", "@fd_lezer_jan",
    "Mooie resultaten boekjaar 2026 van Noordkoraal gelezen in het FD vanochtend. Knap voor zo'n kleine speler.",
    NONE, "nl", when="2027-03-06T08:10:00Z")
add("x", "@r_vanleeuwen",
    "Update: borg alsnog teruggekregen, netjes opgelost door Meryem van de klantenservice 👍 dank!",
    NONE, "nl")
add("x", "@redsea_lover",
    "Thinking of the Noordkoraal crew in Hurghada after that storm last night, hope everyone's safe and dry ❤️",
    NONE, "en")
add("instagram", "@emma.bubbels",
    "Beste duikschool ooit!! Saar is de geduldigste instructeur die er bestaat 🐠💙 #noordkoraal #openwater",
    NONE, "nl")
add("x", "@dive_jokes_daily",
    "my dive buddy is basically a shark, ate ALL the snacks on the Noordkoraal boat before the 2nd dive 🦈😂",
    NONE, "en")
add("x", "@duikkrant_lezer",
    "Las dat een Spaanse duikketen 40 mensen ontslaat. Hopelijk blijven de kleinere scholen zoals Noordkoraal overeind.",
    NONE, "nl")
add("reddit", "u/opsec_owen",
    "Another dive travel agency got breached this week (not Noordkoraal, the Belgian one). Change your passwords, folks.",
    NONE, "en")
add("x", "@vraagje_mo",
    "Is de Nitrox Specialty bij Noordkoraal ook in het Engels te volgen? Mijn vriendin spreekt nog geen Nederlands",
    NONE, "nl")
add("x", "@kai_shorediver",
    "Does the Noordkoraal Curaçao package include unlimited shore dive tanks or is that extra?",
    NONE, "en")
add("x", "@instructeur_bram",
    "Vandaag 6 cursisten hun Open Water brevet gehaald in de Oosterschelde. 9 graden water en niemand klaagde. Trots! 💙",
    NONE, "nl", when="2026-03-28T17:10:00Z")
add("instagram", "@lotte.dives",
    "WHALE SHARK at the Brothers today!!! 🦈🦈 best job in the world, no discussion",
    NONE, "en")
add("tiktok", "@noordkoraal",
    "POV: je eerste ademteug onder water 🫧 #duiken #noordkoraal #proefduik",
    NONE, "nl")
add("x", "@oude_rot_ruud",
    "Mijn eigen droogpak lekt al jaren als een mandje, gelukkig kon ik bij Noordkoraal er eentje huren voor de ijsduik",
    NONE, "nl", when="2026-01-24T15:02:00Z")
add("x", "@clearmask_claire",
    "life hack from my Noordkoraal instructor: spit in your mask. gross but no more fog 🤿",
    NONE, "en")
add("mastodon", "@daan@duikers.social",
    "New on our tech blog: why every Noordkoraal staff account now needs 2FA, and how we rolled it out without a single lockout",
    NONE, "en")
add("x", "@noordkoraal",
    "Heads-up: boeken.noordkoraal.nl is offline for planned maintenance on Tuesday 02:00–04:00 CET. Your bookings are safe 🛠️",
    NONE, "en")
add("x", "@zeeuwsemeid",
    "Killer dag in Zeeland, 8 meter zicht en kreeften overal. Noordkoraal crew was top 🦞",
    NONE, "nl")
add("x", "@giggly_gill",
    "I nearly died laughing when our divemaster did the 'out of air' signal and then pointed at the cake 😂 Noordkoraal trips are the best",
    NONE, "en")
add("linkedin", "noordkoraal-duikschool-reizen",
    "Our 2025 annual report is out: 18% growth and 2,100 new divers certified. Thank you to every student and every instructor 💙",
    NONE, "en", when="2026-04-02T10:00:00Z")
add("x", "@gopro_gert",
    "Crisis!! GoPro deed het niet bij de manta's 😭 volgende keer beter, Noordkoraal gids had gelukkig wel foto's",
    NONE, "nl")
add("linkedin", "annemiek-vos",
    "We're hiring two travel consultants for our Rotterdam office! Love diving and spreadsheets? Let's talk.",
    NONE, "en")
add("reddit", "u/rescue_randy",
    "Did the Rescue Diver course with Noordkoraal. Intense, very realistic scenarios, I was exhausted but learned a ton. Highly recommend.",
    NONE, "en")
add("facebook", "moeder.van.drie",
    "Weet iemand of de Bonaire duikreis van Noordkoraal ook met kinderen van 12 en 14 kan?",
    NONE, "nl", kind="comment")
add("instagram", "@noordkoraal.diving",
    "Nieuw in de shop: de Noordkoraal Wing in zeeblauw 💙 €459, nu ook te passen in Rotterdam",
    NONE, "nl")
add("reddit", "u/manual_reader",
    "Reminder: don't dive a computer whose manual you haven't read. Mine's an NK Tide 2, works great once you get the menus.",
    NONE, "en")
add("linkedin", "ruben-hoekstra-noordkoraal",
    "Interessant stuk in het FD over consolidatie in de duikreizenmarkt. Wij blijven gewoon zelfstandig en bouwen rustig verder 💪",
    NONE, "nl")
add("x", "@bangvoorhaaien",
    "Was doodsbang voor haaien maar de gids van Noordkoraal legde alles rustig uit. Geen enkel incident, voelde me super veilig",
    NONE, "nl")
add("x", "@finless_fred",
    "Not Noordkoraal's fault at all, the airline lost my fins 😩 Noordkoraal lent me a pair for the whole week, legends",
    NONE, "en")
add("facebook", "NoordkoraalDuikschool",
    "Gefeliciteerd aan onze instructeur Bram met zijn 1000ste duik! 🎉🍰 Op naar de 2000",
    NONE, "nl")
add("instagram", "@plasticfree_pia",
    "Boycott single-use plastic on dive trips! Love that Noordkoraal hands every guest a steel bottle 🌊♻️",
    NONE, "en")
add("x", "@vergeetachtige_vince",
    "Wachtwoord voor het klantportaal van Noordkoraal vergeten... waar zit die reset-knop ook alweer?",
    NONE, "nl")
add("x", "@noordkoraal_help",
    "@tessa_k Hi Tessa, sorry to hear that! Please DM us your booking number (no card details please) and we'll sort it out today.",
    NONE, "en", kind="reply")
add("reddit", "u/once_in_a_lifetime",
    "The Raja Ampat Expeditie at €4,350 is pricey but honestly the best trip of my life.",
    NONE, "en")
add("instagram", "@divemaster_jelle",
    "Eindelijk mijn Rescue Diver gehaald, dankjewel Noordkoraal! Volgende stap: instructeur 💪",
    NONE, "nl")
add("x", "@nitrox_noob",
    "Is nitrox eigenlijk veilig? Lees enge verhalen over zuurstofvergiftiging. Twijfel over de nitroxcursus",
    NONE, "nl")
add("youtube", "@NoordkoraalDiving",
    "New video: 5 mistakes beginner divers make (and how to handle a freeflow calmly) 🎥",
    NONE, "en")
add("x", "@turning40_tara",
    "Booked the Philippines dive safari for my 40th, €2,890 and worth every cent 🐢",
    NONE, "en")
add("x", "@rotterdamse_rik",
    "Wie weet een goede duikschool in Rotterdam? Twijfel tussen Noordkoraal en die andere bij de Kralingse Plas",
    NONE, "nl")
add("x", "@meryem_nk",
    "Fijne feestdagen namens het hele klantenservice-team! 🎄 Vanaf 2 januari zijn we weer bereikbaar via info@noordkoraal.nl",
    NONE, "nl", when="2026-12-23T16:00:00Z")


finalise()

# ------------------------------------------------------------ severity (§4)
RANK = ["none", "info", "warning", "error", "critical"]


def _acct_set(key):
    return {a.lower() for a in PROFILE["accounts"][key]}


CORP, EMPL = _acct_set("corporate"), _acct_set("employee")


def role_of(post):
    key = ("%s:%s" % (post["platform"], post["account"]["handle"])).lower()
    if key in CORP:
        return "corporate"
    if key in EMPL:
        return "employee"
    return "public"


PUBLIC_IBANS = {re.sub(r"\s", "", i).upper() for i in PROFILE["public_identifiers"]["ibans"]}
IBAN_RE = re.compile(r"\b(?:NL\d{2}(?: ?[A-Z]{4})(?: ?\d){10}|DE\d{2}(?: ?\d){18}|BE\d{2}(?: ?\d){12})")
CARD_RE = re.compile(r"(?<![\d\w])(?:\d[ -]?){12,18}\d(?![\d\w])")
BSN_RE = re.compile(r"(?<![\d\w.])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\d\w])")


def id_candidates(text):
    out = []
    for m in IBAN_RE.finditer(text):
        v = re.sub(r"\s", "", m.group()).upper()
        if v not in PUBLIC_IBANS:
            out.append(("iban", v, iban_ok(v)))
    for m in CARD_RE.finditer(text):
        out.append(("card", m.group(), luhn_ok(m.group())))
    for m in BSN_RE.finditer(text):
        out.append(("bsn", m.group(), bsn_ok(m.group())))
    return out


def has_checksum_id(text):
    return any(ok for _, _, ok in id_candidates(text))


def severity(cats, role, text):
    best = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                s = "error"
                if c in (SECRET, PRICE):
                    s = "critical"
                elif c == PII and has_checksum_id(text):
                    s = "critical"
            else:
                s = "warning"
        elif c == COMPL:
            s = "warning"
        elif c == CRISIS:
            s = "error"
        elif c == ABUSE:
            s = "warning" if role == "public" else "error"
        else:
            raise ValueError(c)
        best = max(best, RANK.index(s))
    return RANK[best]


# ------------------------------------------------------------------ output
out_rows = []
for c in cases:
    post = c["post"]
    out_rows.append({"post": post,
                     "expect": {"categories": c["cats"],
                                "severity": severity(c["cats"], role_of(post), post["text"])}})

OUT = os.path.join(HERE, "cases.jsonl")
with open(OUT, "w", encoding="utf-8") as fh:
    for r in out_rows:
        fh.write(json.dumps(r, ensure_ascii=False) + "\n")

# ------------------------------------------------------------- self-checks
errors = []


def fail(pid, msg):
    errors.append("%s: %s" % (pid, msg))


PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
CATS = {CONF, FIN, SEC, SECRET, PII, PRICE, CRISIS, COMPL, ABUSE}
ZW = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)


def norm(t):
    return unicodedata.normalize("NFKC", t).translate(ZW).lower()


def parse_ts(s):
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


PRICE_RE = re.compile(r"€\s?(\d{1,3}(?:[.,]\d{3})+(?:[.,]\d{2})?|\d+(?:[.,]\d{1,2})?)|(\d+(?:[.,]\d{1,2})?)\s?euro", re.I)


def parse_price(s):
    if re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+(?:[.,]\d{2})?", s):
        if re.search(r"[.,]\d{2}$", s) and re.search(r"[.,]\d{3}[.,]\d{2}$", s):
            return float(re.sub(r"[.,]", "", s[:-3]) + "." + s[-2:])
        return float(re.sub(r"[.,]", "", s))
    return float(s.replace(",", "."))


def low_prices(text):
    t = norm(text)
    prices = [parse_price(m.group(1) or m.group(2)) for m in PRICE_RE.finditer(text)]
    hits = []
    for p in PROFILE["products"]:
        names = [p["name"]] + p["aliases"]
        if any(n.lower() in t for n in names):
            for pr in prices:
                if pr < PROFILE["pricing"]["alert_below_ratio"] * p["list_price"]:
                    hits.append((p["name"], pr))
    return hits


with open(OUT, encoding="utf-8") as fh:
    lines = fh.read().splitlines()
seen = set()
for ln in lines:
    row = json.loads(ln)
    post, exp = row["post"], row["expect"]
    pid = post.get("id")
    if set(row) != {"post", "expect"} or set(exp) != {"categories", "severity"}:
        fail(pid, "bad top-level shape")
    if not isinstance(pid, str) or not 1 <= len(pid) <= 256 or pid in seen:
        fail(pid, "bad or duplicate id")
    seen.add(pid)
    for f in ("platform", "text", "created_at"):
        if not isinstance(post.get(f), str):
            fail(pid, "missing " + f)
    if not isinstance(post.get("account", {}).get("handle"), str):
        fail(pid, "missing handle")
    if post["platform"] not in PLATFORMS or post.get("kind", "post") not in KINDS:
        fail(pid, "platform/kind")
    if len(post["text"].encode()) > 65536:
        fail(pid, "too long")
    parse_ts(post["created_at"])
    if not post["created_at"].startswith(("2026-", "2027-")):
        fail(pid, "date out of range")
    cats = exp["categories"]
    if cats != sorted(set(cats)) or not set(cats) <= CATS:
        fail(pid, "categories not sorted/known")
    role = role_of(post)
    if exp["severity"] != severity(cats, role, post["text"]):
        fail(pid, "severity mismatch")
    if (not cats) != (exp["severity"] == "none"):
        fail(pid, "benign <-> none")
    text, t = post["text"], norm(post["text"])
    when = parse_ts(post["created_at"])
    cands = id_candidates(text)
    if not cats:
        for kind, v, ok in cands:
            if ok:
                fail(pid, "negative holds a valid %s %s" % (kind, v))
        for em in re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", text):
            if em.lower() not in PROFILE["public_identifiers"]["emails"]:
                fail(pid, "negative holds non-public e-mail " + em)
        if low_prices(text):
            fail(pid, "negative holds a low price %r" % low_prices(text))
    else:
        if SECRET not in cats:
            for kind, v, ok in cands:
                if not ok:
                    fail(pid, "positive holds a failing %s %s" % (kind, v))
    if PRICE in cats:
        if not (low_prices(text) or re.search(r"prijsfout|price error|pricing glitch|nul vergeten", t)):
            fail(pid, "pricing positive without low price / price-error talk")
    elif low_prices(text):
        fail(pid, "non-pricing post holds a low price %r" % low_prices(text))
    # internal names and embargo terms must only appear in confidential positives
    internal_hits = [x for x in PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"]
                     + PROFILE["internal"]["domains"] if x.lower() in t]
    for emb in PROFILE["embargo"]:
        if when < parse_ts(emb["until"]):
            internal_hits += [x for x in emb["terms"] if x.lower() in t]
    if internal_hits and CONF not in cats:
        fail(pid, "internal/embargoed term without leak.confidential: %r" % internal_hits)
    if role != "public" and not post["account"]["handle"]:
        fail(pid, "empty handle")

# generated identifiers: valid ones pass, look-alikes fail, each used once in the right kind of post
for v in (IBAN1, IBAN2, DEIBAN1, PUBLIC_IBAN):
    assert iban_ok(v), v
assert not iban_ok(BADIBAN1)
assert luhn_ok(CARD1) and luhn_ok(CARD2) and not luhn_ok(BADCARD1)
assert bsn_ok(BSN1) and bsn_ok(BSN2) and not bsn_ok("123456789")
assert github_ok(GH1)
assert re.fullmatch(r"AKIA[A-Z2-7]{16}", AWSID)
_h = json.loads(base64.urlsafe_b64decode(JWT1.split(".")[0] + "=="))
assert "alg" in _h


def rows_with(s):
    return [r for r in out_rows if s in r["post"]["text"] or s in re.sub(r"\s", "", r["post"]["text"])]


for v in (IBAN1, IBAN2, DEIBAN1, CARD1, CARD2, BSN1, BSN2):
    rs = rows_with(v)
    if len(rs) != 1 or PII not in rs[0]["expect"]["categories"]:
        fail(v, "valid identifier not in exactly one pii positive")
for v in (BADIBAN1, BADCARD1, "123456789"):
    rs = rows_with(v)
    if len(rs) != 1 or rs[0]["expect"]["categories"]:
        fail(v, "look-alike not in exactly one negative")
for v in (GH1, AWSID, SLACKHOOK, MOLLIE, JWT1, OPENAI, ANTHROPIC, DBPASS, PW1, PW2, PW3):
    rs = rows_with(v)
    if len(rs) != 1 or SECRET not in rs[0]["expect"]["categories"]:
        fail(v, "secret not in exactly one secret positive")

# mix
n = len(out_rows)
benign = sum(1 for r in out_rows if not r["expect"]["categories"])
per_cat = {c: sum(1 for r in out_rows if c in r["expect"]["categories"]) for c in sorted(CATS)}
langs = {}
for r in out_rows:
    langs[r["post"]["lang"]] = langs.get(r["post"]["lang"], 0) + 1
if not 170 <= n <= 180:
    fail("-", "case count %d" % n)
if not 55 <= benign <= 65:
    fail("-", "benign count %d" % benign)
want = {COMPL: 20, CONF: 18, PII: 15, CRISIS: 15, SEC: 13, SECRET: 12, ABUSE: 12, PRICE: 12, FIN: 12}
for c, w in want.items():
    if abs(per_cat[c] - w) > 2:
        fail("-", "category %s has %d, want ~%d" % (c, per_cat[c], w))
nl_share = langs.get("nl", 0) / n
if not 0.48 <= nl_share <= 0.62:
    fail("-", "Dutch share %.2f" % nl_share)

if errors:
    print("SELF-CHECK FAILED:")
    for e in errors:
        print("  " + e)
    sys.exit(1)

sev = {}
for r in out_rows:
    sev[r["expect"]["severity"]] = sev.get(r["expect"]["severity"], 0) + 1
print("ok: %d cases, %d benign, per category %s, langs %s, severities %s"
      % (n, benign, per_cat, langs, sev))
