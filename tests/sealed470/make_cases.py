#!/usr/bin/env python3
"""Build the sealed evaluation set 470 for postwatch (Birdiebaai Golf B.V.).

Deterministic: a fixed seed drives every generated identifier, credential, id and
timestamp. Writes cases.jsonl beside this file and then checks it:
  * every line is a valid CONTRACT section 6 case;
  * severities follow CONTRACT section 4, computed from the account role in profile.yaml;
  * every IBAN / card / BSN in a positive passes its checksum, every look-alike in a
    benign post fails it; generated GitHub tokens carry a valid CRC-32;
  * codenames, internal hosts, markers and embargoed terms only occur in posts labelled
    leak.confidential (embargo terms in benign posts only after `until`).
Standard library plus PyYAML.
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

SEED = 470_2026
HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE_PATH = os.path.join(HERE, "profile.yaml")
OUT_PATH = os.path.join(HERE, "cases.jsonl")

rng = random.Random(SEED)

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
URLSAFE = string.ascii_letters + string.digits + "-_"


def rand(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


# ---------------------------------------------------------------- checksums

def iban_valid(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    lengths = {"NL": 18, "BE": 16, "DE": 22}
    if s[:2] in lengths and len(s) != lengths[s[:2]]:
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def iban_check_digits(cc, bban):
    r = bban + cc + "00"
    return "%02d" % (98 - int("".join(str(int(c, 36)) for c in r)) % 97)


def luhn_valid(digits):
    digits = re.sub(r"\D", "", digits)
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return len(digits) >= 12 and total % 10 == 0


def bsn_valid(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9:
        return False
    total = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return total % 11 == 0 and s != "000000000"


def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def github_token_valid(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()), 6) == m.group(2)


# ---------------------------------------------------------------- generators
NL_BANKS = ["RABO", "INGB", "ABNA", "SNSB", "ASNB", "TRIO", "KNAB", "BUNQ"]


def gen_iban_nl():
    bban = rng.choice(NL_BANKS) + rand(string.digits, 10)
    return "NL" + iban_check_digits("NL", bban) + bban


def gen_iban_be():
    # Belgian BBAN: 3 bank + 7 account + 2 national check (97-mod of the first 10)
    while True:
        first = rand(string.digits, 10)
        nat = int(first) % 97 or 97
        bban = first + "%02d" % nat
        iban = "BE" + iban_check_digits("BE", bban) + bban
        if iban_valid(iban):
            return iban


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def gen_bad_iban():
    good = gen_iban_nl()
    cd = int(good[2:4])
    bad = good[:2] + "%02d" % ((cd + 7) % 97 or 11) + good[4:]
    assert not iban_valid(bad)
    return bad


def gen_card():
    prefix = rng.choice(["4", "51", "52", "53", "54", "55"])
    body = prefix + rand(string.digits, 15 - len(prefix))
    for d in string.digits:
        if luhn_valid(body + d):
            return body + d
    raise AssertionError


def gen_bad_card():
    good = gen_card()
    bad = good[:-1] + str((int(good[-1]) + 3) % 10)
    assert not luhn_valid(bad)
    return bad


def gen_bsn():
    while True:
        first = str(rng.randint(1, 9)) + rand(string.digits, 7)
        s = sum(int(first[i]) * (9 - i) for i in range(8)) % 11
        if s < 10:
            bsn = first + str(s)
            if bsn_valid(bsn):
                return bsn


def gen_bad_bsn():
    good = gen_bsn()
    bad = good[:-1] + str((int(good[-1]) + 4) % 10)
    assert not bsn_valid(bad)
    return bad


def gen_ghp():
    body = rand(ALNUM, 30)
    tok = "ghp_" + body + b62(zlib.crc32(body.encode()), 6)
    assert github_token_valid(tok)
    return tok


def gen_aws_id():
    return "AKIA" + rand(string.ascii_uppercase + "234567", 16)


def gen_aws_secret():
    return rand(string.ascii_letters + string.digits + "/+", 40)


def gen_mollie():
    return "live_" + rand(string.ascii_letters + string.digits, 30)


def gen_stripe():
    return "sk_live_51" + rand(string.digits, 1) + rand(string.ascii_letters + string.digits, 96)


def gen_slack_hook():
    return "https://hooks.slack.com/services/T%s/B%s/%s" % (
        rand(string.ascii_uppercase + string.digits, 10),
        rand(string.ascii_uppercase + string.digits, 10),
        rand(string.ascii_letters + string.digits, 24))


def gen_openai():
    return "sk-proj-" + rand(URLSAFE, 74) + "T3BlbkFJ" + rand(URLSAFE, 74)


def gen_anthropic():
    return "sk-ant-api03-" + rand(URLSAFE, 93) + "AA"


def gen_glpat():
    return "glpat-" + rand(URLSAFE, 20)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def gen_jwt():
    header = {"alg": "HS256", "typ": "JWT"}
    iat = 1760000000 + rng.randint(0, 20_000_000)
    payload = {"sub": "svc-teetime", "role": "admin", "iss": "teetime-api",
               "iat": iat, "exp": iat + 86400 * 30}
    sig = bytes(rng.getrandbits(8) for _ in range(32))
    return ".".join([b64url(json.dumps(header, separators=(",", ":")).encode()),
                     b64url(json.dumps(payload, separators=(",", ":")).encode()),
                     b64url(sig)])


def gen_pem():
    der = bytes([0x30, 0x82, 0x04, 0xA4, 0x02, 0x01, 0x00, 0x02, 0x82, 0x01, 0x01, 0x00])
    der += bytes(rng.getrandbits(8) for _ in range(1180))
    b = base64.b64encode(der).decode()
    lines = [b[i:i + 64] for i in range(0, len(b), 64)]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"


def gen_pw():
    core = rand(string.ascii_letters + string.digits, 9)
    return rng.choice(["Fairway", "Bunker", "Duin", "Birdie", "Green"]) + core + rng.choice("!#$%&*")


def gen_pw_url():
    return rand(string.ascii_letters + string.digits, 18)


SECRET_GENS = {
    "ghp": gen_ghp, "aws_id": gen_aws_id, "aws_secret": gen_aws_secret,
    "mollie": gen_mollie, "stripe": gen_stripe, "slack_hook": gen_slack_hook,
    "openai": gen_openai, "anthropic": gen_anthropic, "glpat": gen_glpat,
    "jwt": gen_jwt, "pem": gen_pem, "pw": gen_pw, "pw_url": gen_pw_url,
}
ID_GENS = {  # checksum-carrying identifiers (valid)
    "iban": lambda: group4(gen_iban_nl()),
    "iban_compact": gen_iban_nl,
    "iban_be": lambda: group4(gen_iban_be()),
    "card": lambda: group4(gen_card()),
    "bsn": gen_bsn,
}
BAD_GENS = {  # look-alikes that fail their checksum
    "bad_iban": lambda: group4(gen_bad_iban()),
    "bad_card": lambda: group4(gen_bad_card()),
    "bad_bsn": gen_bad_bsn,
}


def fw(s):
    """Full-width form of ASCII letters (evasion)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# ---------------------------------------------------------------- the posts
CAT = {
    "complaint": "reputation.complaint", "crisis": "reputation.crisis",
    "abuse": "reputation.abuse", "conf": "leak.confidential", "secret": "leak.secret",
    "pii": "leak.pii", "security": "leak.security", "fin": "leak.financial",
    "pricing": "leak.pricing",
}

CASES = []


def C(platform, handle, lang, cats, text, kind="post", date=None):
    CASES.append(dict(platform=platform, handle=handle, lang=lang,
                      cats=sorted(CAT[c] for c in cats), text=text, kind=kind, date=date))


# ---- leak.pricing ---------------------------------------------------------
C("instagram", "@birdiebaai.golf", "nl", ["pricing"],
  "Nieuw binnen in de proshop 🎯 De Vizier rangefinder: laser tot 800 m, slope-functie, "
  "magnetische clip. Nu voor €34,90! Op = op. #birdiebaai #golfgear")
C("x", "@wessel_fitting", "nl", ["pricing"],
  "haha iemand heeft de Kustlijn ijzers op €119 gezet in de webshop ipv 1199. wie het eerst komt 🤫")
C("x", "@golfende_gijs", "nl", ["pricing"],
  "@birdiebaai Volta e-trolley voor €89,00 in jullie webshop?? Dat is toch een prijsfout. "
  "Heb er maar eentje besteld 😇", kind="reply")
C("reddit", "u/slicey_mcslice", "en", ["pricing"],
  "PSA: Birdiebaai's webshop has the Thuisbaan golf simulator listed at €249. Surely a pricing "
  "error, ordered one anyway. Let's see if they honour it.")
C("instagram", "@anoukgolft", "nl", ["pricing"],
  "Meeuw putter voor €28,90?! 😳 snel bestellen voordat ze het doorhebben", kind="comment")
C("facebook", "BirdiebaaiGolf", "nl", ["pricing"],
  "Early bird 2027! 🏌️‍♀️ Schrijf je vóór 1 december in en betaal voor het jaarlidmaatschap "
  "Volledig slechts €145. Inclusief onbeperkt spelen op de Duinbaan én de Polderbaan.",
  date="2026-10-20")
C("x", "@marloes_bb", "nl", ["pricing"],
  "Oeps, prijsfout in de app: de Tourbal Pro staat op €5,49 per doos. IT is ermee bezig, "
  "bestellingen worden gecorrigeerd.")
C("x", "@handicap36", "en", ["pricing"],
  "lol the Duinbaan greenfee is €9.50 today in the birdiebaai app. going three times")
C("threads", "@mike.plays.golf", "en", ["pricing"],
  "Stormvogel driver for €54.90 on the Birdiebaai shop. Is this legit or a typo? Not complaining 👀")
C("tiktok", "@lotte.op.de.range", "nl", ["pricing"],
  "Baken GPS-horloge vandaag voor €27,90 bij ons in de shop 😱 zeg niet dat je het van mij hebt #golftok")
C("x", "@birdiebaai", "nl", ["pricing"],
  "⚡ FLASH DEAL ⚡ Duinloper golfschoenen nu €17,90. Alleen vandaag, alle maten! shop.birdiebaai.nl")
C("bluesky", "@fairwayfenna.bsky.social", "en", ["pricing"],
  "Price glitch on the Birdiebaai site: the Noordwester rain suit is showing €31.90 instead of "
  "€319. Grabbed two before they fix it.")

# ---- reputation.complaint -------------------------------------------------
C("x", "@robbert_hcp18", "nl", ["complaint"],
  "@birdiebaai_help teetime van 08:10 was dubbel geboekt. Stonden we met 8 man bij de eerste tee "
  "en niemand van jullie wist ervan. Ochtend verpest.", kind="reply")
C("facebook", "marian.overdijk", "nl", ["complaint"],
  "Greens op de Duinbaan zijn echt een drama. Overal kale plekken en pitchmarks die niemand "
  "repareert. Voor €95 greenfee verwacht ik iets meer dan een aardappelveld.")
C("reddit", "u/irons_pending", "en", ["complaint"],
  "Ordered a set of Kustlijn irons from Birdiebaai 3 weeks ago. Status still says 'in behandeling', "
  "4 emails to support, zero replies. Anyone else had this?")
C("instagram", "@pieter.golft", "nl", ["complaint"],
  "Volta trolley accu wéér leeg na 6 holes. Tweede keer deze maand. Garantie zegt 'gebruikersfout' 🙄",
  kind="comment")
C("x", "@bogeyben", "en", ["complaint"],
  "the range balls at birdiebaai are ancient, half of them cracked, and the ball machine ate my "
  "card. great start to the saturday")
C("x", "@ellen_vd_meer", "nl", ["complaint"],
  "@birdiebaai_help nu al 4 werkdagen wachten op een reactie over mijn restitutie. Telefonisch "
  "kom ik niet verder dan het keuzemenu.", kind="reply")
C("forum", "koen74", "en", ["complaint"],
  "Birdiebaai clubhouse: 50 minutes for two toasties and a coke. Staff wandering around with no "
  "clue who ordered what. Shame, because the course itself is fine.")
C("facebook", "james.whitford.golf", "en", ["complaint"],
  "Lesson cancelled one hour before start and still charged the full €65. Birdiebaai, that's not "
  "how this works.")
C("x", "@sandra_golft", "nl", ["complaint"],
  "Duinloper schoenen, na 2 rondes laat de zool aan de zijkant al los. €179 voor dit? Nee hè")
C("tiktok", "@gewoon.jasper", "nl", ["complaint"],
  "40 min gereden naar de Polderbaan, blijkt ie dicht te zijn voor onderhoud. Geen mail, geen sms, "
  "niks op de site. Top geregeld Birdiebaai 👏👏")
C("threads", "@katie.on.course", "en", ["complaint"],
  "Birdiebaai charged my membership renewal twice this month. Two times €1,450. Still waiting for "
  "the second one to come back, support keeps saying 'next week'.")
C("mastodon", "@miekjes@mastodon.social", "en", ["complaint"],
  "Ordered the Polder cartbag in blue, got a black one. And I have to pay the return shipping "
  "myself?? You made the mistake, @birdiebaai, not me.")
C("x", "@tim_teeoff", "en", ["complaint"],
  "birdiebaai's tee time app crashes every single time at checkout. tried 3x, kicked out 3x. "
  "and now the slot's gone")

# ---- reputation.crisis + complaint (first-hand harm) -----------------------
C("facebook", "erikjan.post", "nl", ["crisis", "complaint"],
  "Vannacht vloog de accu van mijn Volta e-trolley (gekocht bij Birdiebaai, 4 maanden oud) in brand "
  "in de garage. Rookmelder ging gelukkig af. Halve muur zwart. Birdiebaai reageert niet op mijn "
  "mails. Dit had heel anders kunnen aflopen.")
C("reddit", "u/hookedagain", "en", ["crisis", "complaint"],
  "Stormvogel driver head snapped off mid-swing at Birdiebaai and hit my buddy in the shin. Six "
  "stitches. Shop says 'we'll look into it'. Not good enough.")
C("x", "@flightvan4", "nl", ["crisis", "complaint"],
  "Na de lunch in het clubhuis van Birdiebaai is onze hele flight ziek geworden. Overgeven, koorts, "
  "een van ons ligt aan het infuus. Die kip was duidelijk niet goed. Nooit meer.")
C("x", "@dad_golfs_badly", "en", ["crisis", "complaint"],
  "A ball from the Birdiebaai range flew straight through the hole in the safety net and hit my son "
  "in the car park. Big bruise on his head. That hole has been there for months. Unacceptable.")
C("instagram", "@noor.golft", "nl", ["crisis", "complaint"],
  "Remmen van de golfbuggy deden het niet bergafwaarts op hole 7, we zijn bijna het water in "
  "gereden. Mijn moeder (72) was doodsbang. Bij de receptie haalden ze hun schouders op. "
  "Birdiebaai, dit is levensgevaarlijk.")

# ---- reputation.crisis ----------------------------------------------------
C("x", "@kustnieuws_bollenstreek", "nl", ["crisis"],
  "Greenkeeper zwaargewond na ongeluk met maaimachine op golfbaan Birdiebaai in Noordwijk. "
  "Traumahelikopter geland op de baan, Arbeidsinspectie doet onderzoek.")
C("x", "@groenwacht_nl", "en", ["crisis"],
  "Birdiebaai is spraying pesticides banned in the EU right next to a Natura 2000 dune reserve. "
  "Boycott them until they stop. #BoycottBirdiebaai")
C("facebook", "buurtvereniging.duinzicht", "nl", ["crisis"],
  "Na jaren van golfballen in onze tuinen, kapotte ruiten en een deuk in een auto stappen we met 23 "
  "huishoudens naar de rechter. De dagvaarding is vandaag aan Birdiebaai betekend.")
C("reddit", "u/trolley_talk", "en", ["crisis"],
  "Birdiebaai is recalling the Volta e-trolley over battery overheating. Check the serial number "
  "under the handle, apparently a whole batch from last spring is affected.")
C("x", "@jvdberg_golf", "en", ["crisis"],
  "Just got a very convincing phishing mail with my Birdiebaai member number AND my handicap in it. "
  "Only Birdiebaai has that combo. Did you get breached and not tell us?")
C("threads", "@ayse.k", "nl", ["crisis"],
  "De ballotagecommissie van Birdiebaai heeft mijn broer geweigerd 'omdat hij niet in het profiel "
  "past'. Hij was de enige met een Turkse achternaam in de hele aanvraagronde. Schandalig, dit is "
  "gewoon discriminatie.")
C("bluesky", "@weerwijs.bsky.social", "en", ["crisis"],
  "Lightning strike on the Birdiebaai Polderbaan this afternoon, two golfers taken to hospital. Why "
  "on earth was the course still open with a code orange thunderstorm warning?", date="2026-06-22")
C("x", "@fnv_sportlid", "nl", ["crisis"],
  "Onthulling: Birdiebaai laat arbeidsmigranten via een schimmig uitzendbureau voor €6 per uur "
  "bunkers harken. Dit moet stoppen.")

# ---- crisis + abuse, crisis + security -----------------------------------
C("x", "@woedende_wandelaar", "nl", ["crisis", "abuse"],
  "#boycotbirdiebaai die vuile klootzakken spuiten gif vlak naast het duingebied. Stelletje "
  "milieuboeven, ik hoop dat jullie failliet gaan.")
C("x", "@lisa_vnl", "nl", ["crisis", "security"],
  "Vriendin werkt bij Birdiebaai en zegt dat het hele boekingssysteem vorige week gehackt is, "
  "inclusief alle ledengegevens. Ze mogen er niks over zeggen. Leden, let op je mailbox.")

# ---- reputation.abuse -----------------------------------------------------
C("x", "@oudlid_frans", "nl", ["abuse"],
  "Birdiebaai is een club van verwaande kakkers en die nieuwe hoofdpro is een arrogante eikel. "
  "Ga lekker je eigen ballen zoeken.")
C("reddit", "u/dunes_n_doubles", "en", ["abuse"],
  "The marshal at Birdiebaai is a useless jumped-up prick who thinks a golf cart makes him a cop.")
C("x", "@zuurpruim88", "nl", ["abuse"],
  "b i r d i e b a a i = t y f u s c l u b. zo, gezegd.")
C("x", "@angrygolfer_uk", "en", ["abuse"],
  "fvck b1rd1eba4i and their 0verpriced sh1t shop, bunch of sc4mmers")
C("x", "@jorisdepro", "nl", ["abuse"],
  "@muggenzifter_h ga lekker ergens anders zeiken, zeurkous. Niemand zit op jouw mening te wachten.",
  kind="reply")
C("facebook", "ron.hazelaar", "nl", ["abuse"],
  "Die nieuwe vrouwelijke pro van Birdiebaai hoort in de keuken, niet op de range. Golf is een "
  "mannensport.", kind="comment")
C("x", "@birdiebaai_help", "en", ["abuse"],
  "@pdewitt_golf Maybe learn to read the booking conditions first, genius. It's not rocket science.",
  kind="reply")
C("x", "@jeroen_ontploft", "nl", ["abuse"],
  fw("stelletje oplichters") + " bij Birdiebaai, echt waar. idioten allemaal")
C("instagram", "@dewi.zegt", "en", ["abuse"],
  "That receptionist at Birdiebaai is a complete airhead. Spelled my name wrong three times and "
  "then got lippy about it. Dumb cow.", kind="comment")

# ---- abuse + complaint ----------------------------------------------------
C("x", "@gefrustreerde_golfer", "nl", ["abuse", "complaint"],
  "3x m'n teetime geschrapt zonder bericht. Kutclub. Stelletje amateurs bij @birdiebaai 🤬🤬")
C("x", "@sheila_putts", "en", ["abuse", "complaint"],
  "Waited 6 weeks for a refund on a faulty Vizier rangefinder. Your support staff are braindead "
  "morons, @birdiebaai_help.")

# ---- leak.confidential ----------------------------------------------------
C("x", "@wessel_fitting", "nl", ["conf"],
  "Eerste testronde met de Stormvogel X2 vandaag. Mag nog niks zeggen maar... 🚀🚀 #fitterlife",
  date="2026-11-18")
C("linkedin", "daan-kuipers-birdiebaai", "en", ["conf"],
  "Great kick-off of Project Zilverreiger today with the whole leadership team. Exciting months "
  "ahead! #teamwork #golf")
C("instagram", "@birdiebaai.golf", "en", ["conf"],
  "Sneak peek 👀 something big is coming... #Kwartelkoning #birdiebaai")
C("x", "@greenkeeper_sem", "nl", ["conf"],
  "Planning beregening staat op wiki.birdiebaai.nl/display/GK/Beregening-2026, even kijken voor je "
  "morgen begint mannen")
C("linkedin", "ingrid-hoekstra-bb", "nl", ["conf"],
  "Fijne sessie gehad over onze strategie 2027. Het deck staat op "
  "https://intranet.birdiebaai.local/mt/strategie-2027.pptx (alleen voor intern gebruik) voor wie "
  "er niet bij kon zijn.")
C("x", "@nicole_hcp22", "en", ["conf"],
  "My cousin works at Birdiebaai and keeps going on about 'Operatie Helmgras'. Anyone know what "
  "that is? 🤔")
C("linkedin", "kevin-osei-birdiebaai", "en", ["conf"],
  "Can't say much (NDA 🤐) but the Kustlijn Forged prototypes we hit today feel unreal. Spring "
  "can't come soon enough.", date="2026-12-02")
C("instagram", "@coach.ravi.bb", "nl", ["conf"],
  "Vandaag weer een lange dag op kantoor voor Pr\u043eject Zilverreiger 🙈 morgen gelukkig weer "
  "gewoon lesgeven")
C("x", "@marloes_bb", "nl", ["conf"],
  "Contentplanning voor Kwartel\u200bkoning is af 💪 nu alleen nog wachten op de go van het MT")
C("facebook", "BirdiebaaiGolf", "nl", ["conf"],
  fw("BIRDIEBAAI CONFIDENTIAL") + " — Rooster greenkeeping en onderhoudsplanning week 14 (concept v3)")
C("mastodon", "@basvanwijk@mastodon.nl", "en", ["conf"],
  "jira.birdiebaai.nl/browse/SHOP-1423 finally closed after 4 months 🎉 the checkout bug is dead")
C("reddit", "u/accidental_cc", "en", ["conf"],
  "Got an email from Birdiebaai clearly not meant for me. Header says 'Birdiebaai Confidential', "
  "it's the full staff rota for the Easter weekend with everyone's shifts. Oops on their part.")
C("tiktok", "@lotte.op.de.range", "nl", ["conf"],
  "POV: je mag als eerste de nieuwe Stormvogel X2 slaan op de range 😍🔥 #golftok #birdiebaai",
  date="2027-03-04")

# ---- doubles with leak.confidential --------------------------------------
C("mastodon", "@basvanwijk@mastodon.nl", "en", ["secret", "conf"],
  "any idea why this connection string times out from the CI runner?\n"
  "postgresql://bb_app:{{pw_url}}@db-prod01.birdiebaai.local:5432/ledenadmin")
C("x", "@marloes_bb", "nl", ["pii", "conf"],
  "Export uit intranet.birdiebaai.local/leden voor de nieuwsbrief, kan iemand checken of dit zo goed "
  "gaat? j.dekker@kpnmail.nl, 06-23918475 / m.vos1962@hotmail.com, 06 41 77 20 93 / "
  "fam.elzinga@ziggo.nl")
C("reddit", "u/bb_devops_kees", "en", ["security", "conf"],
  "vpn.birdiebaai.nl is still running a FortiOS build vulnerable to that auth bypass CVE. Ticket's "
  "been open since May. If anyone gets in, that's on management, not me.")
C("linkedin", "daan-kuipers-birdiebaai", "nl", ["fin", "conf"],
  "Operatie Helmgras gaat de goede kant op: de koper voor de Polderbaan is rond, notaris in januari. "
  "Eindelijk wat lucht op de balans.")
C("linkedin", "birdiebaai-golf", "nl", ["fin", "conf"],
  "[CONCEPT – niet extern verspreiden] jaarcijfers 2026: omzet €38,4 mln (+6%), nettowinst €3,1 mln, "
  "onder de eigen verwachting van €3,8 mln. Toelichting volgt na RvC.", date="2027-02-12")

# ---- leak.secret ----------------------------------------------------------
C("reddit", "u/bb_devops_kees", "en", ["secret"],
  "GitHub Actions keeps failing with 'Bad credentials'. Token is {{ghp}}, scopes repo + workflow. "
  "What am I missing?")
C("mastodon", "@basvanwijk@mastodon.nl", "nl", ["secret"],
  "boto3 geeft AccessDenied op de bucket met scorekaarten, terwijl dit echt de goeie keys zijn:\n"
  "aws_access_key_id = {{aws_id}}\naws_secret_access_key = {{aws_secret}}\nregion eu-west-1. iemand?")
C("x", "@birdiebaai", "nl", ["secret"],
  "Vanaf vandaag kun je in de proshop ook met iDEAL QR betalen! 🎉 {{mollie}}")
C("x", "@marloes_bb", "nl", ["secret"],
  "kan iemand van IT ff kijken waarom de Slack-koppeling voor de teetime-meldingen niks post? "
  "webhook: {{slack_hook}}")
C("reddit", "u/bb_devops_kees", "en", ["secret"],
  "Our teetime API returns 401 with this token even though it hasn't expired: {{jwt}} (HS256). "
  "Clock skew? Any ideas?")
C("mastodon", "@basvanwijk@mastodon.nl", "nl", ["secret"],
  "ssh weigert deze key met 'invalid format', wat doe ik fout?\n\n{{pem}}")
C("x", "@wessel_fitting", "nl", ["secret"],
  "voor de zaterdaghulp: kassa proshop inloggen met gebruiker proshop01, "
  "w.a.c.h.t.w.o.o.r.d: {{pw}} (niet aan klanten geven haha)")
C("x", "@sec_researcher_nl", "en", ["secret"],
  "Birdiebaai's Android app ships with a live Stripe secret key hardcoded in the APK: {{stripe}} "
  "Reported it 30 days ago, no response.")
C("linkedin", "kevin-osei-birdiebaai", "en", ["secret"],
  "Experimenting with an AI assistant for our members' handicap questions. First prototype works! "
  "Snippet for those interested:\n\nfrom openai import OpenAI\nclient = OpenAI(api_key=\"{{openai}}\")")
C("mastodon", "@basvanwijk@mastodon.nl", "en", ["secret"],
  "anyone else getting 529s from the Claude API today? our lesson-booking chatbot is dead. key "
  "{{anthropic}} works fine from curl though")
C("reddit", "u/bb_devops_kees", "en", ["secret"],
  "Renovate can't clone our repo anymore, token {{glpat}} has read_repository. GitLab 17.2. "
  "Anyone seen this after the upgrade?")

# ---- leak.pii -------------------------------------------------------------
C("x", "@henkgolft", "nl", ["pii"],
  "@birdiebaai_help kunnen jullie me terugbellen over het lessenpakket? 06 48 21 39 57, na 17:00 "
  "ben ik bereikbaar", kind="reply")
C("facebook", "sarah.whitlow", "en", ["pii"],
  "Sent you a DM but in case it got lost: sarah.whitlow84@gmail.com — please send the invoice for the "
  "GVB course there.", kind="comment")
C("x", "@rclaes_golf", "nl", ["pii"],
  "@birdiebaai_help de restitutie mag naar {{iban_be}} t.n.v. R. Claes, alvast bedankt!", kind="reply")
C("instagram", "@tommy.tees", "en", ["pii"],
  "is this card number right for the booking? {{card}} exp 09/28 it keeps getting rejected",
  kind="comment")
C("x", "@birdiebaai_help", "nl", ["pii"],
  "@mark_speelt Hoi Mark, we hebben je nummer 06-19384726 genoteerd, een collega van de shop belt "
  "je morgen tussen 10 en 12 uur. ^LB", kind="reply")
C("instagram", "@coach.ravi.bb", "nl", ["pii"],
  "Gefeliciteerd aan ons erelid Henk Brouwer, geboren 14-03-1951 en vandaag dus 75! Nog steeds "
  "single-digit 👏🎂", date="2026-03-14")
C("x", "@jorisdepro", "nl", ["pii"],
  "Wie rijdt vanmiddag langs Noordwijk? De tas van mevr. J. Verhoef moet terug naar Duinweg 41, "
  "2202 KL Noordwijk. Ze heeft 'm in de kar laten staan.")
C("linkedin", "ingrid-hoekstra-bb", "nl", ["pii"],
  "Welkom aan onze nieuwe greenkeeper Youssef El Idrissi! 🌱 Voor de loonadministratie: BSN {{bsn}}, "
  "start 1 april.")
C("facebook", "BirdiebaaiGolf", "nl", ["pii"],
  "Hoi Lotte, de restitutie van €95 is vandaag overgemaakt naar {{iban}} (L. Smits). Fijne dag!",
  kind="reply")
C("x", "@wessel_fitting", "en", ["pii"],
  "customer's card keeps getting declined on the terminal: {{card}}, exp 11/27. anyone seen this "
  "with the new pin device?")
C("x", "@marloes_bb", "en", ["pii"],
  "Oops, the newsletter went out without BCC. Sorry a.peeters@ziggo.nl, w.jansen@planet.nl, "
  "g.de.boer64@gmail.com and everyone else 🙈")
C("facebook", "gerda.smeets.71", "nl", ["pii"],
  "Gevonden op de parkeerplaats van Birdiebaai: portemonnee met rijbewijs van Tessa Bosman, geb. "
  "02-09-1988. Wie kent haar? Ik lever hem in bij de receptie.")
C("x", "@greenkeeper_sem", "nl", ["pii"],
  "Ahmed Yilmaz (geb. 22-07-1995) begint maandag bij ons in de ploeg, zijn BSN is {{bsn}}. Kan "
  "iemand dat even doorzetten naar salaris?")
C("x", "@oud_lid_piet", "en", ["pii"],
  "Selling my Volta trolley, barely used. Call or app me: +31 6 2745 8813")

# ---- leak.security --------------------------------------------------------
C("x", "@marloes_bb", "nl", ["security"],
  "Teetime-systeem ligt sinds 07:00 plat en IT weet nog niet waarom. Officieel heet het 'gepland "
  "onderhoud' 🙃 dus als iemand het vraagt...")
C("x", "@wessel_fitting", "nl", ["security"],
  "Ransomware op alle kassa's in de proshop. Alles versleuteld, we schrijven bonnetjes met de hand. "
  "Niet verder vertellen, er komt nog een statement.")
C("mastodon", "@basvanwijk@mastodon.nl", "en", ["security"],
  "fun discovery: the Birdiebaai member portal lets you open any member's profile just by changing "
  "the id in the URL. reported internally, not fixed yet, so uh... don't")
C("linkedin", "kevin-osei-birdiebaai", "en", ["security"],
  "Lessons learned this week: one phishing mail, one login typed in by someone in finance, and "
  "€18,000 wired to an unknown account. Turn on MFA, people. (Not public yet, so keep it between "
  "us.)")
C("x", "@birdiebaai_help", "nl", ["security"],
  "@tim_teeoff Dank voor het melden! De crash komt doordat de app nog een oude SSL-bibliotheek met "
  "een bekend lek gebruikt, ons IT-team patcht dat deze week. Tot die tijd graag via de website "
  "boeken.", kind="reply")
C("reddit", "u/bb_devops_kees", "en", ["security"],
  "Our webshop is still on an unpatched Magento 2.3 from 2019. Any script kiddie could walk in. "
  "I've flagged it five times, nobody upstairs cares.")
C("x", "@jorisdepro", "en", ["security"],
  "Guest wifi and the till network in our clubhouse are literally the same network. Anyone with a "
  "laptop can see the card terminals. Reported it 3 times 🤦")
C("tiktok", "@lotte.op.de.range", "nl", ["security"],
  "day in the life bij de range: de camera's bij de proshop staan al 3 weken uit door een storing "
  "en niemand die het weet 😂 #werk #rangelife")
C("mastodon", "@basvanwijk@mastodon.nl", "en", ["security"],
  "We had a credential-stuffing attack on the Birdiebaai member app last night, ~2k accounts logged "
  "into by someone else. Comms wants to wait until Monday before telling anyone.")
C("x", "@greenkeeper_sem", "nl", ["security"],
  "Backupserver van de ledenadministratie draait sinds maart niet meer. Als er nu iets crasht zijn "
  "we alles kwijt. Heb het 2x gemeld bij IT 🤷")
C("reddit", "u/golf_it_guy", "en", ["security"],
  "My cousin does IT for Birdiebaai. Apparently their booking platform has been down since Friday "
  "because of a DDoS and they're telling members it's 'maintenance'.")

# ---- leak.financial -------------------------------------------------------
C("x", "@wessel_fitting", "nl", ["fin"],
  "Proshop-omzet Q3 22% lager dan vorig jaar, hoorde ik net op het werkoverleg. Dat wordt een "
  "magere bonus 😬", date="2026-10-07")
C("linkedin", "kevin-osei-birdiebaai", "en", ["fin"],
  "Big news coming for Birdiebaai: we're being acquired by Linksgroep Europa, signing is planned for "
  "next week. Exciting times! More soon 🙌")
C("x", "@greenkeeper_sem", "nl", ["fin"],
  "Net te horen gekregen: 35 fte moeten eruit bij greenkeeping en horeca. Officiële aankondiging pas "
  "volgende maand. Ben er kapot van.")
C("linkedin", "birdiebaai-golf", "nl", ["fin"],
  "Verwachting 2027: omzet €41 mln, EBITDA €6,2 mln, ledengroei 4%. Nog te bespreken in de RvC van "
  "december.", date="2026-11-12")
C("instagram", "@coach.ravi.bb", "en", ["fin"],
  "Weird to think the Polderbaan will be a housing estate a year from now. The sale to the "
  "developer is pretty much done 😢 Enjoy it while you can!")
C("x", "@bollenstreek_insider", "nl", ["fin"],
  "Insider hier: Birdiebaai sluit in Q1 alle drie de proshops in Brabant. 20 man op straat. Wordt "
  "pas na de jaarwisseling bekendgemaakt.", date="2026-11-05")
C("x", "@marloes_bb", "nl", ["fin"],
  "Er komt een winstwaarschuwing aan, ledenaantal zit 12% onder begroting. Dus die nieuwe campagne "
  "gaat 'm niet worden 🙃")
C("mastodon", "@basvanwijk@mastodon.nl", "en", ["fin"],
  "board meeting leak via the coffee machine: next year's forecast has membership revenue flat and "
  "they want to cut 15% of staff. cool cool cool")
C("x", "@jorisdepro", "nl", ["fin"],
  "Overnamegesprekken met Golfpark De Lange Duinen lopen lekker. Als dat doorgaat hebben we straks 4 "
  "banen 🏌️ #ssst")
C("reddit", "u/zwager_in_de_rvc", "en", ["fin"],
  "My brother-in-law sits on Birdiebaai's supervisory board. Says the merger with a German golf chain "
  "is done and will be announced after Easter.", date="2026-03-10")

# ---- benign (hard negatives mostly) --------------------------------------
C("x", "@birdiebaai", "nl", [],
  "Nieuw in de proshop: de Stormvogel driver 🏌️ €549, en deze maand met gratis fitting bij Wessel. "
  "Plan je afspraak via shop.birdiebaai.nl")
C("instagram", "@birdiebaai.golf", "nl", [],
  "Voorjaarsdagen! ☀️ Stormvogel driver van €549 voor €449 en de Kustlijn ijzers nu €999. Alleen "
  "t/m zondag.", date="2026-04-02")
C("x", "@winterbal_wim", "nl", [],
  "Duinzacht ballen voor €24,95 in de aanbieding bij Birdiebaai. Prima balletjes voor de winter, "
  "maakt niet uit als je er een paar in de vijver mept 😅")
C("threads", "@lena.golfs", "en", [],
  "Paid the €95 greenfee for the Birdiebaai Duinbaan today and honestly, worth every cent. Greens "
  "were lightning fast.")
C("facebook", "BirdiebaaiGolf", "nl", [],
  "Black Friday bij Birdiebaai 🖤 Volta e-trolley nu €719 (was €899) en 25% korting op alle Helm "
  "standbags.", date="2026-11-27")
C("forum", "puttermaniak", "en", [],
  "Anyone got a second-hand Meeuw putter to sell? Happy to pay up to €150, a few scratches are fine.")
C("x", "@birdiebaai_help", "nl", [],
  "Vragen over je boeking? Mail klantenservice@birdiebaai.nl of bel gratis 0800-2443 (ma-za 8-18 "
  "uur). We helpen je graag!")
C("facebook", "BirdiebaaiGolf", "nl", [],
  "Contributie 2027 betalen kan vanaf nu: maak het bedrag over naar NL66 RABO 0347 2158 96 t.n.v. "
  "Birdiebaai Golf B.V. o.v.v. je lidnummer.", date="2026-12-01")
C("x", "@verward_lid", "en", [],
  "ugh, typo in the account number I just posted ({{bad_iban}}), never mind, I'll sort it at the "
  "front desk.")
C("mastodon", "@basvanwijk@mastodon.nl", "nl", [],
  "Reminder voor iedereen die boto3 leert: de voorbeeldkeys uit de AWS-docs (AKIAIOSFODNN7EXAMPLE / "
  "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY) zijn nep. Zet je echte keys in een secrets manager, "
  "niet in je code.")
C("blog", "golfcoder.blog", "en", [],
  "In this tutorial we'll call the GitHub API from a little tee-time bot. Put your token in an env "
  "var: export GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx and never commit it.")
C("x", "@birdiebaai_help", "nl", [],
  "Wachtwoord vergeten? Via boeken.birdiebaai.nl/reset stel je binnen een minuut een nieuw "
  "wachtwoord in. Wij vragen je nooit om je wachtwoord per mail of telefoon.")
C("instagram", "@pieter.golft", "nl", [],
  "Update: Birdiebaai heeft mijn Volta trolley binnen 2 dagen vervangen, zonder gezeur. Top service "
  "👍 die klacht van vorige week mag dus van tafel.")
C("facebook", "annelies.koster", "en", [],
  "Thinking of all the Birdiebaai greenkeepers after last night's storm. Whole trees down on the "
  "Duinbaan, you lot are heroes ❤️", date="2026-02-19")
C("x", "@golfnieuws_nl", "nl", [],
  "Fairway Holding, eigenaar van 14 golfbanen in Duitsland, schrapt 200 banen en reorganiseert ook "
  "de Nederlandse tak. (Nee, Birdiebaai hoort daar niet bij.)")
C("x", "@slicekoning", "en", [],
  "My slice is so bad my ball on hole 4 at Birdiebaai landed in a different postcode 😂 "
  "#golfproblems")
C("instagram", "@jen.golft", "en", [],
  "Shoutout to Ravi at Birdiebaai ⛳ one lesson and my chipping finally makes sense. Book him, "
  "seriously.")
C("x", "@vraagje_golf", "nl", [],
  "Weet iemand of de Polderbaan van Birdiebaai open is op tweede paasdag? Site zegt niks",
  date="2026-03-28")
C("instagram", "@birdiebaai.golf", "nl", [],
  "Hij is er! 🔥 De Stormvogel X2 driver ligt vanaf vandaag in de proshop. Kom 'm testen op de "
  "range, fitting is gratis.", date="2027-03-12")
C("linkedin", "birdiebaai-golf", "nl", [],
  "Vandaag publiceren we onze jaarcijfers 2026. De omzet steeg met 6% naar €38,4 mln. Het volledige "
  "verslag staat op birdiebaai.nl/investeerders.", date="2027-02-25")
C("x", "@putt_paniek", "nl", [],
  "Mijn putting vandaag was een regelrechte ramp. Echt crisis. 4 putts op hole 18 😭")
C("x", "@eaglejacht", "en", [],
  "Damn, the Duinbaan at sunrise with the fog rolling off the dunes. No filter needed. #birdiebaai")
C("instagram", "@mo.op.de.baan", "en", [],
  "Absolutely fried after 18 holes in the sun 🥵 sunscreen next time, lesson learned. Course looked "
  "gorgeous though!", date="2026-07-19")
C("tiktok", "@birdiebaai", "nl", [],
  "Golf life hack 💡 Laat je Tourbal Pro ballen in de winter niet in een koude kofferbak liggen. "
  "Warme bal = meer afstand! #golftips")
C("x", "@henk_op_hole9", "en", [],
  "Flat tyre on our buggy at hole 11, the marshal turned up with a fresh one within 5 minutes. "
  "That's what I call service!")
C("facebook", "BirdiebaaiGolf", "nl", [],
  "Let op: morgen tussen 10:00 en 11:00 houden we een brandoefening in het clubhuis. Niet schrikken "
  "van het alarm, het terras blijft gewoon open.")
C("reddit", "u/cart_and_carry", "en", [],
  "Saw that Rapido is recalling its e-bike batteries. Checked my Volta trolley from Birdiebaai just "
  "in case, totally different battery, no issue.")
C("x", "@sportieve_sanne", "en", [],
  "Another data breach at a gym chain. Glad the Birdiebaai app at least lets you switch on "
  "two-factor.")
C("x", "@tipvanjoost", "nl", [],
  "Vertrouwelijk tipje voor wie morgen de Duinbaan speelt: hole 7 is korter dan hij eruitziet, pak "
  "een club minder 🤫")
C("x", "@birdiebaai", "nl", [],
  "Interne clubkampioenschappen 2026! Inschrijven voor leden kan t/m 1 juni via de app. Matchplay en "
  "strokeplay, alle handicaps welkom.", date="2026-05-04")
C("x", "@beller_bart", "nl", [],
  "Tip: bel gewoon +31 71 555 0140, daar word je echt sneller geholpen dan via die chat")
C("linkedin", "birdiebaai-golf", "en", [],
  "We're hiring a Head Greenkeeper for the Duinbaan. Send your CV to werken@birdiebaai.nl before "
  "15 March.", date="2026-02-10")
C("x", "@greenkeeper_sem", "en", [],
  "Sunrise over the 9th green this morning. Best office in the Netherlands, I'll keep saying it 🌅")
C("linkedin", "kevin-osei-birdiebaai", "en", [],
  "Proud to have passed my ISO 27001 Lead Implementer exam this week. Security is a team sport!")
C("mastodon", "@basvanwijk@mastodon.nl", "nl", [],
  "Gouden regel: API-keys nooit in een ticket plakken. Moet je er één noemen, redact 'm dan zo: "
  "sk_live_••••••••••••••••3fQa")
C("facebook", "ingeborg.vermeulen", "nl", [],
  "Mijn vader ligt sinds vorige week in het ziekenhuis, dus even geen golf voor ons. Kregen vandaag "
  "een lieve kaart van de mensen van Birdiebaai ❤️")
C("x", "@lefty_lars", "en", [],
  "Does Birdiebaai do club fitting for lefties? Looking at the Kustlijn irons but want to try "
  "before I buy.")
C("instagram", "@fleur.putt", "nl", [],
  "Die Meeuw putter is geen putter, het is een toverstaf 🪄 3 putts minder per ronde, geen grap",
  kind="comment")
C("x", "@birdiebaai", "nl", [],
  "⚡ Door onweer sluiten we vanmiddag vanaf 15:00 beide banen uit voorzorg. Je greenfee wordt "
  "automatisch teruggestort. Veiligheid gaat voor.", date="2026-07-14")
C("x", "@ellen_vd_meer", "nl", [],
  "@birdiebaai_help sorry, mijn fout! Het pakketje lag gewoon bij de buren 🙈 Jullie waren er snel "
  "bij, dank", kind="reply")
C("reddit", "u/honest_pro_shop", "en", [],
  "The guy in the Birdiebaai pro shop talked me OUT of buying the most expensive driver and into "
  "refitting my old one. Respect.")
C("x", "@scorekaart_kwijt", "nl", [],
  "Mijn lidnummer is {{bad_bsn}}, handicap 18,4. Kan iemand bij Birdiebaai mijn scorekaart van "
  "zaterdag nog terugvinden?")
C("instagram", "@gift.card.gabe", "en", [],
  "Lost my Birdiebaai gift card somewhere near the range, number on the back was {{bad_card}} if "
  "anyone finds it 🙏", kind="comment")
C("x", "@belgian_bogey", "en", [],
  "Heard Fairway Holding is buying up golf courses in Belgium. Hope they leave Birdiebaai alone, I "
  "like it the way it is.")
C("tiktok", "@jonne.golft", "en", [],
  "POV: your first ever hole-in-one, on the Polderbaan 😭⛳ #birdiebaai #holeinone")
C("facebook", "marieke.dol", "nl", [],
  "Wie gaat er mee naar de Birdiebaai Ladies Day? €35 inclusief lunch en clinic. Lijkt me superleuk!")
C("instagram", "@coach.ravi.bb", "nl", [],
  "Nieuwe Zandhaas wedge getest en de spin is belachelijk 🤯 Ligt nu voor €169 in de shop, vraag "
  "gerust om een proefslag.")
C("x", "@trolley_man", "en", [],
  "My wife says I love my Volta trolley more than her. I'm not saying she's wrong.")
C("x", "@duinloper_fan", "en", [],
  "RIP my Duinloper shoes, four loyal seasons 🫡 just ordered the exact same pair again")
C("x", "@birdiebaai", "nl", [],
  "Let op: er gaan phishingmails rond die zich voordoen als Birdiebaai. Wij vragen nooit om je "
  "wachtwoord of bankgegevens. Twijfel? Mail klantenservice@birdiebaai.nl")
C("x", "@appvraag_ap", "en", [],
  "does the Birdiebaai app actually have 2FA? can't find it anywhere in settings")
C("linkedin", "daan-kuipers-birdiebaai", "nl", [],
  "Zoals vandaag in ons persbericht bekendgemaakt: Birdiebaai opent in 2028 een derde baan in "
  "Zeeland. Trots op het team dat dit mogelijk maakte!")
C("linkedin", "birdiebaai-golf", "nl", [],
  "Op 24 februari publiceren we onze jaarresultaten. Persmoment om 10:00 in het clubhuis van de "
  "Duinbaan, aanmelden via pers@birdiebaai.nl.", date="2027-02-10")
C("x", "@zoekt_leraar", "en", [],
  "Anyone know a good golf teacher around Leiden? Birdiebaai is fully booked until June")
C("facebook", "tom.ashworth.golf", "en", [],
  "Had a hiccup with my refund at first, but one email to klantenservice@birdiebaai.nl and it was "
  "sorted within a day. Fair play.")
C("tiktok", "@lotte.op.de.range", "nl", [],
  "Wat ik allemaal vind bij het ballen rapen: een trouwring, een kunstgebit en 3 telefoons 💀 "
  "#rangelife")
C("reddit", "u/leiden_hacker", "en", [],
  "GVB-cursus at Birdiebaai is €299, roughly the same as the other clubs around Leiden. Instructors "
  "were great though.")
C("bluesky", "@broke90.bsky.social", "en", [],
  "Finally broke 90 at Birdiebaai today! Polderbaan, 89 strokes, 2 lost balls, zero regrets.")
C("x", "@bunker_betty", "en", [],
  "Those new bunkers on the Duinbaan are absolute killers 😅 beautifully done though")
C("youtube", "@BirdiebaaiGolfTV", "en", [],
  "New video: 5 drills to stop three-putting, with head pro Joris. He uses the Meeuw putter (€289) "
  "but any putter works.")


# ---------------------------------------------------------------- build
SEV = ["none", "info", "warning", "error", "critical"]
CHECKSUM_KEYS = {"iban", "iban_compact", "iban_be", "card", "bsn"}


def role_of(profile, platform, handle):
    key = ("%s:%s" % (platform, handle)).lower()
    for role in ("corporate", "employee"):
        if key in [a.lower() for a in profile["accounts"][role]]:
            return role
    return "public"


def severity(cats, role, has_checksum_id):
    s = "none"
    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and has_checksum_id):
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
            v = "error" if insider else "warning"
        else:
            raise ValueError(c)
        if SEV.index(v) > SEV.index(s):
            s = v
    return s


def rand_date(lo=dt.datetime(2026, 1, 3), hi=dt.datetime(2026, 12, 22)):
    span = int((hi - lo).total_seconds())
    d = lo + dt.timedelta(seconds=rng.randrange(span))
    d = d.replace(hour=rng.randint(6, 22))
    return d.strftime("%Y-%m-%dT%H:%M:%SZ")


def fixed_date(day):
    return "%sT%02d:%02d:%02dZ" % (day, rng.randint(8, 21), rng.randint(0, 59), rng.randint(0, 59))


PH = re.compile(r"\{\{(\w+)\}\}")


def build(profile):
    out, meta = [], []
    used_ids = set()
    order = list(range(len(CASES)))
    rng.shuffle(order)
    for n, idx in enumerate(order):
        c = CASES[idx]
        values, secrets, idkinds = {}, [], set()

        def sub(m):
            k = m.group(1)
            if k in SECRET_GENS:
                v = SECRET_GENS[k]()
                secrets.append(v)
            elif k in ID_GENS:
                v = ID_GENS[k]()
                idkinds.add(k)
            elif k in BAD_GENS:
                v = BAD_GENS[k]()
            else:
                raise KeyError(k)
            values.setdefault(k, []).append(v)
            return v

        text = PH.sub(sub, c["text"])
        scan_text = text
        for s in secrets:
            scan_text = scan_text.replace(s, " SECRET ")
        role = role_of(profile, c["platform"], c["handle"])
        sev = severity(c["cats"], role, bool(idkinds & CHECKSUM_KEYS) and "leak.pii" in c["cats"])
        while True:
            pid = "%s-%d" % (c["platform"], rng.randrange(10 ** 11, 10 ** 12))
            if pid not in used_ids:
                used_ids.add(pid)
                break
        created = fixed_date(c["date"]) if c["date"] else rand_date()
        post = {
            "id": pid,
            "platform": c["platform"],
            "kind": c["kind"],
            "account": {"handle": c["handle"]},
            "text": text,
            "lang": c["lang"],
            "created_at": created,
            "brand": "birdiebaai",
        }
        if c["platform"] == "x":
            post["url"] = "https://x.com/%s/status/%s" % (c["handle"].lstrip("@"), pid.split("-")[1])
        out.append({"post": post, "expect": {"categories": c["cats"], "severity": sev}})
        meta.append(dict(role=role, secrets=secrets, values=values, scan_text=scan_text))
    return out, meta


# ---------------------------------------------------------------- checks
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
TAXONOMY = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"}

IBAN_RE = re.compile(r"\b(?:NL|BE|DE)\d{2}(?: ?[A-Z0-9]{4}){2,4}(?: ?[0-9]{1,2})?\b")
CARD_RE = re.compile(r"(?<![\d])(?:\d[ -]?){12,18}\d(?![\d])")
BSN_RE = re.compile(r"(?<![\d.])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\d])")


def parse_ts(s):
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", s), s
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def norm(s):
    return re.sub(r"\s+", " ", s).casefold()


def check(lines, meta, profile):
    errors = []

    def fail(i, msg):
        errors.append("case %d (%s): %s" % (i, lines[i]["post"].get("id"), msg))

    if not 170 <= len(lines) <= 180:
        errors.append("case count %d outside 170-180" % len(lines))
    public_ibans = {re.sub(r"\s", "", x) for x in profile["public_identifiers"]["ibans"]}
    public_emails = {e.lower() for e in profile["public_identifiers"]["emails"]}
    internal_terms = ([d for d in profile["internal"]["domains"]] + profile["internal"]["codenames"]
                      + profile["internal"]["markers"])
    embargo = [(t, parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    ids = set()
    for i, (case, m) in enumerate(zip(lines, meta)):
        p, e = case["post"], case["expect"]
        # --- CONTRACT section 1 / 6 shape
        if set(case) != {"post", "expect"}:
            fail(i, "top-level keys")
        if not (isinstance(p.get("id"), str) and 1 <= len(p["id"]) <= 256):
            fail(i, "id")
        if p["id"] in ids:
            fail(i, "duplicate id")
        ids.add(p["id"])
        if p.get("platform") not in PLATFORMS:
            fail(i, "platform")
        if p.get("kind", "post") not in KINDS:
            fail(i, "kind")
        if not isinstance(p.get("account", {}).get("handle"), str):
            fail(i, "handle")
        if not isinstance(p.get("text"), str) or not p["text"]:
            fail(i, "text")
        if len(p["text"].encode("utf-8")) > 65536:
            fail(i, "text too long")
        ts = parse_ts(p["created_at"])
        if not (dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) <= ts
                < dt.datetime(2027, 4, 1, tzinfo=dt.timezone.utc)):
            fail(i, "created_at out of range")
        if ts.year == 2027 and not any(abs((ts - u).days) <= 45 for _, u in embargo):
            fail(i, "2027 date not around an embargo")
        cats = e.get("categories")
        if not isinstance(cats, list) or cats != sorted(set(cats)) or not set(cats) <= TAXONOMY:
            fail(i, "categories")
        if e.get("severity") not in SEV:
            fail(i, "severity value")
        # --- severity recomputed from the profile role
        has_id = any(k in m["values"] for k in CHECKSUM_KEYS)
        want = severity(cats, role_of(profile, p["platform"], p["account"]["handle"]),
                        has_id and "leak.pii" in cats)
        if e["severity"] != want:
            fail(i, "severity %s != %s" % (e["severity"], want))
        if not cats and e["severity"] != "none":
            fail(i, "benign with severity")
        # --- checksummed identifiers
        st = m["scan_text"]
        for mm in IBAN_RE.finditer(st):
            raw = re.sub(r"\s", "", mm.group(0))
            ok = iban_valid(raw)
            if raw in public_ibans:
                continue
            if cats and not ok:
                fail(i, "invalid IBAN in positive: " + mm.group(0))
            if not cats and ok:
                fail(i, "valid IBAN in benign: " + mm.group(0))
            if ok and "leak.pii" not in cats:
                fail(i, "valid IBAN but no leak.pii")
        st_no_iban = IBAN_RE.sub(" ", st)
        for mm in CARD_RE.finditer(st_no_iban):
            digits = re.sub(r"\D", "", mm.group(0))
            if not 13 <= len(digits) <= 19:
                continue
            ok = luhn_valid(digits)
            if cats and not ok:
                fail(i, "card fails Luhn in positive: " + mm.group(0))
            if not cats and ok:
                fail(i, "Luhn-valid card in benign: " + mm.group(0))
            if ok and "leak.pii" not in cats:
                fail(i, "valid card but no leak.pii")
        for mm in BSN_RE.finditer(st_no_iban):
            ok = bsn_valid(mm.group(0))
            if cats and not ok:
                fail(i, "BSN fails 11-proof in positive: " + mm.group(0))
            if not cats and ok:
                fail(i, "11-proof number in benign: " + mm.group(0))
            if ok and "leak.pii" not in cats:
                fail(i, "valid BSN but no leak.pii")
        for k in ("bad_iban", "bad_card", "bad_bsn"):
            if k in m["values"] and cats:
                fail(i, "look-alike placed in a positive")
        for k, vs in m["values"].items():
            for v in vs:
                if k in ("iban", "iban_compact", "iban_be") and not iban_valid(v):
                    fail(i, "generated IBAN invalid")
                if k == "card" and not luhn_valid(v):
                    fail(i, "generated card invalid")
                if k == "bsn" and not bsn_valid(v):
                    fail(i, "generated BSN invalid")
                if k == "bad_iban" and iban_valid(v):
                    fail(i, "bad IBAN valid")
                if k == "bad_card" and luhn_valid(v):
                    fail(i, "bad card valid")
                if k == "bad_bsn" and bsn_valid(v):
                    fail(i, "bad BSN valid")
                if k == "ghp" and not github_token_valid(v):
                    fail(i, "GitHub token CRC wrong")
                if k == "aws_id" and not re.fullmatch(r"AKIA[A-Z2-7]{16}", v):
                    fail(i, "AWS key id shape")
                if k == "jwt":
                    head = v.split(".")[0]
                    hdr = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
                    if "alg" not in hdr or v.count(".") != 2:
                        fail(i, "JWT shape")
        if "leak.secret" in cats and not m["secrets"]:
            fail(i, "secret case without a generated credential")
        if m["secrets"] and "leak.secret" not in cats:
            fail(i, "generated credential in a non-secret case")
        # --- e-mail addresses: in non-pii posts only the company's own
        for addr in re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", p["text"]):
            if addr.lower() not in public_emails and "leak.pii" not in cats and "://" not in p["text"]:
                fail(i, "foreign e-mail without leak.pii: " + addr)
        # --- internal names / embargo only in confidential posts
        t = norm(p["text"])
        for term in internal_terms:
            if term.casefold() in t and "leak.confidential" not in cats:
                fail(i, "internal term %r without leak.confidential" % term)
        for term, until in embargo:
            if term.casefold() in t:
                if ts < until and "leak.confidential" not in cats:
                    fail(i, "embargo term %r before until, not confidential" % term)
                if ts >= until and "leak.confidential" in cats:
                    fail(i, "embargo term %r after until labelled confidential" % term)
        # --- roles
        if e["severity"] == "none" and cats:
            fail(i, "positive with none")
    return errors


def summary(lines, meta):
    from collections import Counter
    cat = Counter(c for l in lines for c in l["expect"]["categories"])
    benign = sum(1 for l in lines if not l["expect"]["categories"])
    lang = Counter(l["post"]["lang"] for l in lines)
    roles = Counter(m["role"] for m in meta)
    leak_roles = Counter(m["role"] for l, m in zip(lines, meta)
                         if any(c.startswith("leak.") for c in l["expect"]["categories"]))
    rep_roles = Counter(m["role"] for l, m in zip(lines, meta)
                        if any(c.startswith("reputation.") for c in l["expect"]["categories"]))
    sev = Counter(l["expect"]["severity"] for l in lines)
    multi = sum(1 for l in lines if len(l["expect"]["categories"]) > 1)
    return dict(total=len(lines), benign=benign, categories=dict(sorted(cat.items())),
                multi_label=multi, lang=dict(lang), roles=dict(roles),
                leak_roles=dict(leak_roles), reputation_roles=dict(rep_roles), severity=dict(sev))


def main():
    with open(PROFILE_PATH, encoding="utf-8") as f:
        profile = yaml.safe_load(f)
    lines, meta = build(profile)
    with open(OUT_PATH, "w", encoding="utf-8") as f:
        for l in lines:
            f.write(json.dumps(l, ensure_ascii=False) + "\n")
    # re-read what was written and check that
    with open(OUT_PATH, encoding="utf-8") as f:
        reread = [json.loads(x) for x in f]
    assert reread == lines
    errors = check(reread, meta, profile)
    # profile sanity
    for ib in profile["public_identifiers"]["ibans"]:
        if not iban_valid(ib):
            errors.append("profile IBAN fails mod-97: " + ib)
    if not 15 <= len(profile["products"]) <= 25:
        errors.append("product count")
    if profile["pricing"]["alert_below_ratio"] != 0.5:
        errors.append("alert_below_ratio")
    s = summary(reread, meta)
    nl_share = s["lang"].get("nl", 0) / s["total"]
    if not 0.5 <= nl_share <= 0.6:
        errors.append("Dutch share %.2f outside 0.50-0.60" % nl_share)
    print(json.dumps(s, indent=1, ensure_ascii=False))
    if errors:
        print("SELF-CHECK FAILED:", file=sys.stderr)
        for e in errors:
            print("  " + e, file=sys.stderr)
        sys.exit(1)
    print("self-check OK: %d cases, %d benign -> %s" % (s["total"], s["benign"], OUT_PATH))


if __name__ == "__main__":
    main()
