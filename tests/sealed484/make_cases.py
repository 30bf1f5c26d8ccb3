#!/usr/bin/env python3
"""Build the labelled evaluation set sealed484 (fictional company: Ondrava Motors B.V.,
an electric-motorbike maker) and check it.

Deterministic: a fixed seed drives every generated identifier, credential and timestamp.
Writes cases.jsonl beside this file, then self-checks it:
  * every line is a valid CONTRACT section 6 case;
  * every IBAN / payment card / BSN in a positive passes its checksum, every look-alike
    in a benign post fails it (the company's own published IBAN excepted);
  * credentials in positives are built like the real ones (GitHub CRC-32, AWS alphabet,
    JWT header with alg ...), sample / redacted keys in benign posts are not;
  * codenames, markers, internal hosts, embargo terms and product prices agree with labels;
  * severities follow CONTRACT section 4, computed from the account role in profile.yaml.
Standard library plus PyYAML only.
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
OUT = os.path.join(HERE, "cases.jsonl")
SEED = 484_2026
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

DIGITS = "0123456789"
ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"  # base-62 order
URLSAFE = ALNUM + "_-"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
B64 = ALNUM + "+/"


def rand(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


# ----------------------------------------------------------------- checksums
def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def iban_build(cc, bban):
    r = bban + cc + "00"
    n = int("".join(str(int(c, 36)) for c in r))
    return f"{cc}{98 - n % 97:02d}{bban}"


def nl_iban(bank):
    return iban_build("NL", bank + rand(DIGITS, 10))


def be_iban():
    first = str(rng.randint(1, 9)) + rand(DIGITS, 9)
    chk = int(first) % 97 or 97
    return iban_build("BE", f"{first}{chk:02d}")


def iban_fmt(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def luhn_ok(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    if not 13 <= len(d) <= 19:
        return False
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def card_build(prefix, length=16):
    body = prefix + rand(DIGITS, length - len(prefix) - 1)
    for c in DIGITS:
        if luhn_ok(body + c):
            return body + c
    raise AssertionError


def card_fmt(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9 or s == "0" * 9:
        return False
    tot = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return tot % 11 == 0


def bsn_build():
    while True:
        first = str(rng.randint(1, 6)) + rand(DIGITS, 7)
        d9 = sum(int(first[i]) * (9 - i) for i in range(8)) % 11
        if d9 < 10:
            return first + str(d9)


def spoil(value, ok):
    """Change one digit (outside an IBAN's country code) so that the checksum fails."""
    chars = list(value)
    idx = [i for i, c in enumerate(chars) if c.isdigit() and not (value[:2].isalpha() and i < 2)]
    while True:
        i = rng.choice(idx)
        new = rng.choice([d for d in DIGITS if d != chars[i]])
        cand = "".join(chars[:i] + [new] + chars[i + 1:])
        if not ok(cand):
            return cand


def nl_mobile():
    return "6" + str(rng.randint(1, 9)) + rand(DIGITS, 7)   # 9 digits after the leading 0


# ----------------------------------------------------------------- credentials
def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out or "0"


def gh_token(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")


def gh_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()) & 0xFFFFFFFF).rjust(6, "0") == m.group(2)


def b64url(b):
    return base64.urlsafe_b64encode(b).decode().rstrip("=")


def jwt_build(payload):
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps(payload, separators=(",", ":")).encode())
    return f"{head}.{body}.{b64url(bytes(rng.randrange(256) for _ in range(32)))}"


def jwt_header_ok(tok):
    try:
        part = tok.split(".")[0]
        hdr = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
        return isinstance(hdr, dict) and "alg" in hdr
    except Exception:
        return False


def pem_openssh():
    lines = ["b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"]
    lines += [rand(B64, 70) for _ in range(4)]
    lines.append(rand(B64, 40) + "==")
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


# documentation samples that must stay benign
AWS_DOC = "AKIAIOSFODNN7EXAMPLE"
JWT_DOC = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0"
           "IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")
DOC_SAMPLES = {AWS_DOC, JWT_DOC}

# ----------------------------------------------------------------- generated values
V = {}
V["co_iban"] = PROFILE["public_identifiers"]["ibans"][0]
V["iban_refund"] = nl_iban("INGB")
V["iban_own"] = nl_iban("BUNQ")
V["iban_be"] = be_iban()
V["iban_bad"] = spoil(nl_iban("INGB"), iban_ok)
V["card_mc"] = card_build("5" + str(rng.randint(1, 5)))
V["card_visa"] = card_build("4")
V["card_bad"] = spoil(card_build("54"), luhn_ok)
V["bsn_lease"] = bsn_build()
V["bsn_own"] = bsn_build()
V["bsn_bad"] = spoil(bsn_build(), bsn_ok)
V["m1"], V["m2"], V["m3"], V["m4"] = nl_mobile(), nl_mobile(), nl_mobile(), nl_mobile()
V["gh"] = gh_token("ghp_")
V["gh_redacted"] = "ghp_" + "x" * 36
V["aws_id"] = "AKIA" + rand(B32, 16)
V["aws_secret"] = rand(B64, 40)
V["stripe_pub"] = "sk_live_51" + rand(ALNUM, 14) + rand(ALNUM, 85)
V["slack"] = f"xoxb-{rng.randint(10**10, 10**11 - 1)}-{rng.randint(10**12, 10**13 - 1)}-{rand(ALNUM, 24)}"
V["openai"] = "sk-proj-" + rand(URLSAFE, 74) + "T3BlbkFJ" + rand(URLSAFE, 74)
V["anthropic"] = "sk-ant-api03-" + rand(URLSAFE, 93) + "AA"
V["glpat"] = "glpat-" + rand(URLSAFE, 20)
V["pem"] = pem_openssh()
V["jwt"] = jwt_build({"sub": "dealer-0417", "role": "admin", "iss": "dealer.ondrava.nl",
                      "iat": 1781000000, "exp": 1812536000})
V["pg_prod_pw"] = rand(ALNUM, 10) + "!" + rand(ALNUM, 5)

FW = lambda s: "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in s)
CYR = {"o": "\u043e", "a": "\u0430", "e": "\u0435", "i": "\u0456", "c": "\u0441", "p": "\u0440"}

# ----------------------------------------------------------------- cases
SHORT = {"complaint": "reputation.complaint", "crisis": "reputation.crisis", "abuse": "reputation.abuse",
         "secret": "leak.secret", "pii": "leak.pii", "pricing": "leak.pricing",
         "conf": "leak.confidential", "fin": "leak.financial", "sec": "leak.security"}
CASES = []


def add(platform, handle, lang, text, cats=(), kind="post", ts=None, flags=()):
    CASES.append(dict(platform=platform, handle=handle, lang=lang, text=text,
                      cats=sorted(SHORT[c] for c in cats), kind=kind, ts=ts, flags=set(flags)))


# ---------------- complaints
add("x", "@evmaarten", "nl",
    "Tarn 7 opgehaald in maart... nee wacht, januari. Adverteren met 160 km bereik en ik haal er met moeite 95 uit "
    "op de dijk bij 4 graden. @ondrava dit is gewoon misleidend 😤", ["complaint"], ts="2026-01-21T17:42:10Z")
add("reddit", "u/commuter_kev", "en",
    "Six weeks. SIX WEEKS waiting on a replacement rear shock for my Fjord 5 and Ondrava support keeps sending the "
    "same copy-paste 'we're checking with the warehouse'. Bike's been sitting in the shed since August, I'm done being patient.",
    ["complaint"])
add("facebook", "ingrid.schutte.77", "nl",
    "Sinds update 4.2 blijft het scherm van mijn Mokum 50 gewoon zwart bij het opstarten. Dealer zegt 'wachten op de "
    "volgende update'. Ik moet wel elke dag naar m'n werk hè Ondrava, ik kan niet blind rijden", ["complaint"], kind="comment")
add("x", "@sunnyrider_uk", "en",
    "@ondrava_service the app logged me out 4 times this week and every time the bike won't unlock without it. "
    "stood in the rain outside Tesco for 20 min. not ok", ["complaint"], kind="reply", ts="2026-03-11T08:15:00Z")
add("instagram", "@jessie.rijdt", "nl",
    "Thuislader 2.2 besteld op 2 okt, 'levering binnen 5 werkdagen'. Vandaag is het 30 okt. Geen mail, geen track & "
    "trace, niks. @ondrava.moto waar is mijn lader?? 🙄", ["complaint"], ts="2026-10-30T19:03:44Z")
add("forum", "bikerbert", "en",
    "Anyone else's PowerPak 4.8 lost like 18% capacity in year one? Mine shows 82% SoH at 6.000 km. Warranty claim "
    "denied by Ondrava because it's 'within spec'. Whose spec exactly", ["complaint"])
add("x", "@windkracht_wim", "nl",
    "Werkplaats Ondrava Utrecht: afspraak om 9u, om 11u nog steeds niemand naar m'n Duin X gekeken. Nu blijkt de "
    "monteur ziek. Had even kunnen bellen toch, halve vrije dag weg", ["complaint"])
add("youtube", "@Gearhead_Lotte", "en",
    "Love the channel but my Fjord 5 has had water in the charging port twice now after ordinary Dutch rain. For a bike "
    "sold as 'all weather adventure' that's pretty poor, Ondrava.", ["complaint"], kind="comment", ts="2026-02-17T12:30:00Z")
add("tiktok", "@mo.rijdt.elektrisch", "nl",
    "ondrava klantenservice = 45 min in de wacht en dan ophangen 🙃🙃 #ondrava #klantenservice #elektrischrijden",
    ["complaint"])
add("reddit", "u/DutchVoltHead", "nl",
    "Lakschade op m'n nieuwe Veer 3, zat er bij aflevering al op. Foto's gestuurd, ticket 3x doorgezet, na 5 weken nog "
    "steeds 'in behandeling'. Beetje zuur voor bijna 3000 euro", ["complaint"])
add("bluesky", "@anouk-twowheels.bsky.social", "en",
    "regen braking on the Tarn 9 Sport squeals like a pig at every stop and the dealer says 'they all do that'. "
    "€11.5k bike, guys. come on", ["complaint"])
add("x", "@r_devos", "nl",
    "Aero helm na 3 maanden: vizier breekt af bij gewoon openklappen. Ondrava wil 'm niet omruilen want 'gebruikssporen'. Serieus??",
    ["complaint"])
add("x", "@ThrottleTom", "nl",
    "Volgens de Trace tracker staat m'n motor in Antwerpen. M'n motor staat in m'n garage in Breda. Derde keer deze "
    "maand. Top antidiefstalproduct hoor @ondrava 👏👏", ["complaint"])

# first-hand harm: crisis + complaint
add("x", "@klaasvaak1971", "nl",
    "Gisteravond begon de PowerPak 7.2 van m'n Fjord 5 te roken in de schuur terwijl hij aan de Thuislader hing. "
    "Brandweer erbij, schuur half afgebrand. Ondrava reageert alleen met een ticketnummer. Ik ben woest, en blij dat "
    "de kinderen niet in de buurt waren.", ["crisis", "complaint"], ts="2026-05-02T07:55:00Z")
add("reddit", "u/leanangle_lisa", "en",
    "PSA and honestly I'm still shaking: the throttle on my Tarn 9 Sport stuck open on the ring road this morning, "
    "had to hit the kill switch at ~70 km/h. Dealer 'can't reproduce'. I could have died. Ondrava needs to answer for this.",
    ["crisis", "complaint"], ts="2026-06-08T10:20:00Z")
add("facebook", "henk.hoekvanholland", "nl",
    "Flinke schok gekregen van de laadkabel van de Snellader 6kW toen ik 'm uit de Tarn 7 trok, hele arm tintelde nog "
    "een uur na. Kabel was kurkdroog. Ondrava dit kan echt niet, straks gebeurt dit bij een kind", ["crisis", "complaint"])
add("x", "@petrolheadNoMore", "en",
    "Front brake on my Duin X let go on a descent last weekend, went over the bars, broken collarbone. Turns out the "
    "caliper bolt was never torqued at the Ondrava service. Still waiting for anyone from @ondrava to even call me.",
    ["crisis", "complaint"])
add("instagram", "@sanne_opdeweg", "nl",
    "De Pup 12 van ons zoontje (6) schoot ineens vooruit zonder dat hij gas gaf, hij is tegen de schutting geknald. "
    "Drie hechtingen in z'n kin 😢 Ondrava, die kinderbalansmotor van jullie is gevaarlijk. Wie heeft dit nog meer meegemaakt?",
    ["crisis", "complaint"], ts="2026-04-19T20:11:00Z")

add("x", "@bozeboer_gert", "nl",
    "Vierde keer dat m'n Mokum 50 niet start en die klootzakken van Ondrava durven nog voorrijkosten te rekenen ook. "
    "Stelletje oplichters", ["complaint", "abuse"])
add("x", "@dealhunter_joe", "en",
    "Ordered a PowerPak 7.2 for €26.90 when the Ondrava shop glitched last night, got the confirmation mail and "
    "everything, now they cancel it saying 'price error'. Honour your orders, this is shoddy.",
    ["pricing", "complaint"])

# ---------------- crisis (third party / public)
add("x", "@twentenieuws_fan", "nl",
    "In een bedrijfspand in Hengelo is vannacht brand uitgebroken. Volgens de brandweer ontstaan bij een elektrische "
    "motor van Ondrava die aan de lader stond. Niemand gewond, wel flinke schade.", ["crisis"])
add("x", "@ev_watchdog", "nl",
    "BREAKING: Ondrava roept zo'n 4.000 Tarn 7's terug omdat de moer van de achteras los kan trillen, blijkt uit een "
    "melding bij de RDW. Eigenaren wordt gevraagd niet meer te rijden tot de reparatie.", ["crisis"])
add("x", "@consumentenpiet", "nl",
    "Boycot Ondrava! Hun accupacks worden in elkaar gezet in een fabriek waar mensen 14 uur per dag werken voor een "
    "hongerloon. Delen aub. #boycotondrava", ["crisis"], ts="2026-02-09T21:40:00Z")
add("reddit", "u/privacy_first_pim", "en",
    "Ondrava leaked my data. Two days after a 'service reminder' I got a phishing mail with my exact frame number, "
    "address and bike model. Their app is clearly breached and they're saying nothing.", ["crisis"],
    ts="2026-09-14T18:02:00Z")
add("linkedin", "mr-a-visser-advocaat", "nl",
    "Namens een groep van 60 eigenaren heb ik vandaag een dagvaarding laten uitbrengen tegen Ondrava Motors B.V. wegens "
    "structurele accudegradatie bij de PowerPak 4.8. Wordt vervolgd.", ["crisis"])
add("x", "@moto_news_daily", "en",
    "Video circulating of an Ondrava Fjord 5 going up in flames at a charging station in Ghent. Fire service confirms a "
    "lithium battery fire. No injuries reported. #Ondrava", ["crisis"])
add("tiktok", "@dashcam_dirk", "nl",
    "net op de A12 bij Zoetermeer een Ondrava met rokende accu op de vluchtstrook 😳 rijder stond er gelukkig naast, "
    "ding ging echt helemaal in de fik #a12 #brand", ["crisis"])
add("mastodon", "@journo_jan@mastodon.social", "en",
    "Sources tell me Ondrava quietly swapped BMS boards in hundreds of customer bikes during 'routine service' without "
    "telling owners about a known overheating fault. If true, that's a scandal.", ["crisis"], ts="2026-10-03T09:00:00Z")
add("reddit", "u/veiligverkeer_vera", "nl",
    "Mijn buurjongen is vorige week aangereden toen zijn Ondrava Veer 3 zonder waarschuwing uitviel midden op een "
    "kruising, de auto achter hem kon niet meer remmen. Hij ligt nog in het ziekenhuis. Dit moet echt onderzocht worden.",
    ["crisis"])
add("x", "@greenwash_alert", "en",
    "Ondrava's 'carbon neutral factory' claim is bogus: their own supplier report shows coal-powered cell production. "
    "Greenwashing complaint filed with the ACM. Don't buy until they come clean. #BoycottOndrava", ["crisis"])

# ---------------- abuse
add("x", "@xXsloopkogelXx", "nl", "ondrava kankerbedrijf, hoop dat jullie failliet gaan 🖕", ["abuse"])
add("x", "@angrydave77", "en",
    "@ondrava_service you are the most useless bunch of idiots I have ever dealt with. Absolute morons, the lot of you.",
    ["abuse"], kind="reply")
add("instagram", "@sjaak.de.sloper", "nl",
    "Die Meryem van de Ondrava klantenservice moet lekker terug naar haar eigen land ipv hier Nederlanders af te poeieren",
    ["abuse"], kind="comment")
add("x", "@t3ringl1jer", "nl", "0ndr4v4 = t3r1ngz00i, k4nk3rl1j3rs allemaal daar 🤮", ["abuse"])
add("x", "@no_filter_fred", "en", "Ondrava staff are f.u.c.k.i.n.g m.o.r.o.n.s and their CEO is a c.l.o.w.n", ["abuse"])
add("x", "@ondrava_hater_nl", "nl",
    "Die hele directie van Ondrava zijn gewoon " + "kl" + CYR["o"] + CYR["o"] + "tz" + CYR["a"] + "kken, "
    "allemaal " + CYR["o"] + "plichters", ["abuse"])
add("x", "@dennis_cellen", "en",
    "@angrydave77 mate if you can't work out a kickstand maybe stick to the bus, you absolute dumbass", ["abuse"],
    kind="reply")
add("instagram", "@ruben.sleutelt", "nl",
    "Wéér zo'n debiel die z'n Duin X drie weken in de modder laat staan en dan komt janken dat ie roest. Sommige klanten "
    "zijn echt achterlijk 🤦‍♂️", ["abuse"])
add("facebook", "gerrit.hamstra.5", "nl",
    "Mongolen bij die Ondrava dealer in Zwolle, echt een stelletje randdebielen. Nooit meer", ["abuse"], kind="comment")
add("tiktok", "@roadragerob", "en",
    "ondrava CEO is a lying scumbag and everyone who works there can go to hell 🤬🤬", ["abuse"], kind="comment")
add("x", "@caps_lock_carl", "en", FW("ONDRAVA IS FUCKING GARBAGE") + " 🗑️ and so is your support team", ["abuse"])

# ---------------- confidential
add("x", "@lieke_vdm", "nl",
    "Eerste rondje op de testbaan gemaakt met het prototype van Project Zeearend 😍 ik mag niks zeggen maar wauw, die acceleratie",
    ["conf"])
add("x", "@bram_hout_ev", "en",
    "Cell testing for Blauwtong going better than expected, 9.1 kWh in the same pack volume. Long nights paying off 🔋",
    ["conf"])
add("linkedin", "tim-oosterhuis", "nl",
    "Trots op het team! De Fjord 7 Rally gaat in maart de wereld veroveren. Dealers: jullie kunnen de "
    "voorinschrijvingen alvast klaarzetten 🏁", ["conf"], ts="2026-11-18T08:45:00Z")
add("mastodon", "@femkeb@fosstodon.org", "en",
    "anyone know why https://jira.ondrava.nl/browse/BMS-2291 keeps timing out from home? vpn says it's connected",
    ["conf"])
add("reddit", "u/sander_at_odv", "nl",
    "Hier de slides van de dealerdag. Staat wel ONDRAVA-INTERN op elke pagina maar zo spannend is het niet: nieuwe "
    "kleuren voor de Veer 3 en een ander dashboard voor 2027", ["conf"])
add("instagram", "@ondrava.moto", "en", "Sneak peek from the design studio 👀 #ProjectZeearend #comingsoon #ondrava",
    ["conf"])
add("x", "@dennis_cellen", "nl", "Nieuwe firmware voor Blau\u200bwtong draait eindelijk stabiel op de testbank 🎉🎉",
    ["conf"])
add("threads", "@kees.werkplaats", "en",
    "can't say much but the dealer training for O p e r a t i e  K w e l d e r next week is going to be wild 🔧",
    ["conf"])
add("x", "@scoopjager", "nl",
    "Gelekte dealermail van Ondrava gezien, met 'niet extern delen' bovenaan. Daarin een nieuwe Fjord 7 met 30 kWh "
    "accu. Lancering dit voorjaar?", ["conf"], ts="2027-01-14T13:25:00Z")
add("linkedin", "noor-haddou", "en",
    "We're hiring for our Operatie Kwelder team in Eindhoven! Battery systems engineers, DM me 🙌", ["conf"])
add("bluesky", "@meryem-ondrava.bsky.social", "nl",
    "tip voor collega's: de nieuwe kennisbank staat op https://intra.ondrava.local/kb/service en is veel sneller dan de oude",
    ["conf"])
add("reddit", "u/leak_lord", "en",
    "Someone posted a screenshot from Ondrava's internal wiki, header says 'ondrava confidential' and it's the launch "
    "plan for a Pup 16. So a bigger kids' bike is coming.", ["conf"])
add("x", "@lieke_vdm", "en", FW("blauwtong") + " launch party planning has officially begun 🥳 can't wait for you all to see it",
    ["conf"])
add("linkedin", "joris-kuipers-ondrava", "nl",
    "Operatie Kwelder is eigenlijk gewoon de overname van acculeverancier CelVolt uit Tilburg, closing gepland in "
    "januari. Daarna maken we eindelijk onze eigen cellen.", ["conf", "fin"])
add("x", "@bram_hout_ev", "en",
    "internal deck literally says 'ondrava confidential' and has FY26 revenue landing around €212M, 30% under plan. ouch",
    ["conf", "fin"])

# ---------------- financial
add("linkedin", "noor-haddou", "nl",
    "Zware weken bij HR. Na de jaarwisseling verdwijnen er zo'n 120 banen in de productie in Helmond, het wordt pas in "
    "februari aangekondigd. Sterkte aan iedereen die het straks hoort.", ["fin"])
add("x", "@lieke_vdm", "nl",
    "mag het eigenlijk niet zeggen maar Q3 is uitgekomen op 2.840 verkochte motoren tegen een budget van 4k, de "
    "directie is in paniek", ["fin"])
add("linkedin", "joris-kuipers-ondrava", "nl",
    "Goed nieuws dat nog niet naar buiten mag: we sluiten het jaar af met een omzet van €187 miljoen en voor het eerst "
    "een positieve EBITDA 💪", ["fin"], ts="2026-12-22T16:10:00Z")
add("x", "@stocktip_steve", "en",
    "Hearing from someone inside that Ondrava is in talks to be bought by a big German OEM, announcement before Easter. "
    "Load up while you can.", ["fin"])
add("x", "@dennis_cellen", "nl",
    "Reorganisatie R&D per 1 maart: firmware en batterij worden samengevoegd en 3 van de 5 teamleads verdwijnen. "
    "Nog geheim dus ssst 🤐", ["fin"])
add("reddit", "u/sander_at_odv", "en",
    "fun fact from the all-hands: we're raising a €60M Series C led by a sovereign fund, term sheet got signed last "
    "week. not public till the press release", ["fin"])
add("reddit", "u/beursbengel", "nl",
    "Volgens m'n zwager die bij Ondrava werkt gaan ze de verkoopprognose voor volgend jaar met 35% verlagen. "
    "Dat kwartaalbericht wordt dramatisch", ["fin"])
add("linkedin", "tim-oosterhuis", "en",
    "Our plan for next year: 18,000 bikes and break-even by Q3. Board signed off yesterday. Big things ahead! "
    "(keep it to yourselves for now 😉)", ["fin"])
add("threads", "@kees.werkplaats", "nl",
    "Dealerwerkplaats Groningen gaat dicht, alle 9 man worden voor de zomer ontslagen. Officieel weet nog niemand het.",
    ["fin"])
add("bluesky", "@meryem-ondrava.bsky.social", "en",
    "saw the FY2026 results before they go out, loss narrowed to €14M 👀 good news coming on the 25th!",
    ["fin", "conf"], ts="2027-02-20T14:12:00Z")

# ---------------- security (insiders)
add("mastodon", "@femkeb@fosstodon.org", "nl",
    "Sinds gisteren weten we dat iedereen met een aangepaste app via de BLE-koppeling de startblokkering van een Tarn 7 "
    "kan uitzetten. Fix pas over drie weken en tot die tijd mogen we van bovenaf niks zeggen 🙄", ["sec"])
add("x", "@bram_hout_ev", "nl",
    "zaterdag ransomware binnengekregen, het hele productieplanningssysteem is versleuteld. de lijn in Helmond draait "
    "op pen en papier. communicatie gaat het 'onderhoud' noemen", ["sec"])
add("reddit", "u/sander_at_odv", "nl",
    "Voor iedereen die denkt dat de app stuk is: klopt, de OTA-server ligt er al 9 uur uit door een verlopen "
    "certificaat. Officieel heet het 'gepland onderhoud' lol", ["sec"])
add("bluesky", "@meryem-ondrava.bsky.social", "en",
    "off the record: someone scraped our customer portal last week, roughly 40k names and emails. legal is still "
    "deciding whether we have to tell anyone", ["sec"])
add("x", "@hackerhenk_sec", "nl",
    "Vriend van me bij de IT van Ondrava vertelde dat hun dealerportaal nog op een Jenkins uit 2019 draait, zonder "
    "authenticatie ervoor. Ze weten het, niemand fixt het. Yikes.", ["sec"])
add("x", "@dennis_cellen", "nl",
    "BMS firmware 3.8 heeft een bug waardoor de temperatuurbeveiliging uitschakelt boven 95% SoC. Management wil er "
    "niks mee. Ik slaap er slecht van eerlijk gezegd", ["sec"])
add("mastodon", "@femkeb@fosstodon.org", "en",
    "phishing mail got through to finance, someone typed in their O365 creds and the attacker sat in that mailbox for "
    "2 days before we noticed. still cleaning up 😩", ["sec"])
add("instagram", "@ruben.sleutelt", "nl",
    "Diagnosetool in alle werkplaatsen ligt al de hele dag plat, we kunnen geen enkele Ondrava uitlezen. Hoofdkantoor "
    "vertelt klanten dat het aan hun app ligt 🙈", ["sec"])
add("threads", "@kees.werkplaats", "en",
    "heads up fellow dealers: the Trace tracker backend has been handing out live GPS positions to anyone with a valid "
    "account id, for months. found it by accident. no fix yet", ["sec"])
add("linkedin", "joris-kuipers-ondrava", "nl",
    "Onze koppeling met de betaalprovider is gisteren gecompromitteerd, zo'n 300 aanbetalingen zijn op een verkeerde "
    "rekening beland. Nog geen persbericht, dus graag discreet.", ["sec"])
add("mastodon", "@femkeb@fosstodon.org", "en",
    "bms.ondrava.internal is getting hammered by someone with a valid service cert, we're pulling the telemetry API "
    "tonight. not a word outside please", ["sec", "conf"])
add("x", "@dennis_cellen", "nl",
    "Prod ligt plat, kan iemand meekijken? connectie faalt steeds: DATABASE_URL=postgres://svc_orders:"
    + V["pg_prod_pw"] + "@ondrava-prod.cluster-c7hq2mx9.eu-central-1.rds.amazonaws.com:5432/orders", ["sec", "secret"])
add("reddit", "u/former_odv_dev", "en",
    "Ex-Ondrava dev here. The bike unlock API still accepts unsigned requests if you send a debug header. Reported it "
    "internally a year ago before I left. Still works today.", ["sec"])

# ---------------- secrets
add("mastodon", "@femkeb@fosstodon.org", "en",
    "why does the deploy script still fail?? 😭\n"
    f"aws configure set aws_access_key_id {V['aws_id']}\n"
    f"aws configure set aws_secret_access_key {V['aws_secret']}\n"
    "aws s3 ls s3://ondrava-ota-builds", ["secret"])
add("x", "@bram_hout_ev", "nl",
    f"iemand een idee waarom dit een 403 geeft? git clone https://{V['gh']}@github.com/ondrava/bms-tools.git",
    ["secret"])
add("reddit", "u/sander_at_odv", "en",
    "Trying Claude for service-ticket triage, test script below, any idea why it returns 401 on the batch endpoint?\n\n"
    f"client = anthropic.Anthropic(api_key=\"{V['anthropic']}\")", ["secret"])
add("bluesky", "@meryem-ondrava.bsky.social", "nl",
    "voor wie het kwijt is, het gedeelde servicedesk-account: gebruiker sd_gedeeld wachtwoord: Tarn7!Regenjas2026",
    ["secret"])
add("x", "@dennis_cellen", "nl",
    f"deploybot is wéér dood, hier de token als iemand 'm opnieuw aan het kanaal wil toevoegen: {V['slack']}", ["secret"])
add("youtube", "@OndravaMotors", "en",
    "Building our AI service assistant live 🛠️ Code from the stream:\n"
    f"OPENAI_API_KEY={V['openai']}\npython assistant.py --bike tarn7", ["secret"])
add("x", "@devnull_dana", "en",
    f"lol Ondrava's checkout page ships a LIVE stripe secret key in the js bundle: {V['stripe_pub']} someone tell them",
    ["secret"])
add("mastodon", "@femkeb@fosstodon.org", "en",
    "oops pasted this in the wrong channel, please ignore\n" + V["pem"], ["secret"])
add("reddit", "u/sander_at_odv", "nl",
    f"Deze token uit de dealer-app geeft gewoon admin-rechten, bizar: {V['jwt']}", ["secret"])
add("threads", "@kees.werkplaats", "en",
    f"token for the dealer-scripts repo for the new guys: {V['glpat']} (read only I think)", ["secret"])
add("mastodon", "@femkeb@fosstodon.org", "nl",
    "connectiestring voor de testers: postgresql://qa_user:W8woordQa!2026@db-qa.intra.ondrava.local:5432/bms_qa",
    ["secret", "conf"])

# ---------------- personal data
add("x", "@ondrava_service", "nl",
    f"@jessie_rijdt sorry voor het lange wachten! We bellen je morgen tussen 10 en 12 op 06-{V['m1'][1:]}, klopt dat nummer nog?",
    ["pii"], kind="reply")
add("facebook", "OndravaMotorsNL", "en",
    f"Hi Mark, we've processed the €449 refund for your Thuislader to {iban_fmt(V['iban_refund'])} (M. de Graaf). "
    "Should arrive within 3 working days!", ["pii"], kind="comment", flags={"low_price_ok"})
add("bluesky", "@meryem-ondrava.bsky.social", "nl",
    "Kan iemand van logistiek checken waarom de Koffer 45L voor mevr. Anja Smit, Kerkstraat 22, 7411 KJ Deventer nog "
    "steeds niet bezorgd is?", ["pii"], flags={"pii_address"})
add("linkedin", "noor-haddou", "nl",
    "Gefeliciteerd Pieter Hoogland (geboren 3 april 1969) met 25 jaar bij ons, eerst bij de brommerfabriek en nu bij "
    "Ondrava! 🎉", ["pii"], flags={"pii_dob"})
add("x", "@lieke_vdm", "en",
    f"lease form for the test ride program came back with BSN {V['bsn_lease']} for Dirk Jansen on it, is that field even needed?",
    ["pii"])
add("instagram", "@ruben.sleutelt", "nl",
    f"Klant heeft z'n pasje in de werkplaats laten liggen 😂 Mastercard {card_fmt(V['card_mc'])} op naam van R. Bakker, "
    "wie kent hem?", ["pii"])
add("x", "@evmaarten", "en",
    f"@ondrava_service STILL no refund. my IBAN again: {iban_fmt(V['iban_own'])} (M. Kramer). just pay me please",
    ["pii", "complaint"], kind="reply")
add("facebook", "ingrid.schutte.77", "nl",
    f"Kunnen jullie me gewoon terugbellen? 0{V['m2']} of mail naar ingrid.schutte77@gmail.com", ["pii"], kind="comment")
add("x", "@ondrava", "en",
    "DM'ed you Sophie! Just confirm the shipping address for your prize: Sophie Verbeek, Lindelaan 7, 3811 AB Amersfoort 🎁",
    ["pii"], kind="reply", flags={"pii_address"})
add("threads", "@kees.werkplaats", "nl",
    f"Wie neemt deze klant over? Dhr. Yusuf Demir, tel +31 {V['m3'][0]} {V['m3'][1:5]} {V['m3'][5:]}, z'n Duin X moet morgen opgehaald worden",
    ["pii"])
add("reddit", "u/sander_at_odv", "en",
    f"test data in staging is actually real?? just saw card {V['card_visa']} exp 09/28 from an actual customer in the "
    "logs. should I report this somewhere", ["pii", "sec"])
add("x", "@r_devos", "nl",
    f"Mijn BSN {V['bsn_own'][:4]}.{V['bsn_own'][4:6]}.{V['bsn_own'][6:]} staat gewoon op de leaseovereenkomst die "
    "Ondrava me mailde, onversleuteld. Is dat normaal??", ["pii"])
add("reddit", "u/second_hand_sam", "en",
    f"Selling my Tarn 7 privately, €6.900 ono, call 0{V['m4'][0]} {V['m4'][1:3]} {V['m4'][3:5]} {V['m4'][5:7]} "
    f"{V['m4'][7:]} or email sam.vanrijn@proton.me", ["pii"])
add("instagram", "@ondrava.moto", "nl",
    "Winnaar van de Aero helm winactie: Femke Jacobs (@femke_fietst), geboren 12-08-1999! Stuur ons even een DM 🎁",
    ["pii"], flags={"pii_dob"})
add("linkedin", "tim-oosterhuis", "en",
    "Great meeting with our new fleet customer! Reach their procurement lead Ellen Mulder directly at "
    "e.mulder@stadslogistiek-arnhem.nl or 026-3784412 😊", ["pii"])
add("facebook", "OndravaMotorsNL", "nl",
    f"Beste Karin, je aanbetaling van €500 voor de Veer 3 is teruggestort op {iban_fmt(V['iban_be'])}. "
    "Excuses voor de vertraging!", ["pii"], kind="comment", flags={"low_price_ok"})

# ---------------- pricing
add("x", "@ondrava", "nl", "🔥 Weekenddeal 🔥 De Tarn 7 nu voor maar €899! Op = op. #ondrava #deal", ["pricing"])
add("x", "@bargainbeast_eu", "en",
    "Ondrava webshop has the Fjord 5 Adventure at €1.499,00 right now 😳 price error surely? ordering anyway", ["pricing"])
add("bluesky", "@meryem-ondrava.bsky.social", "nl",
    "Collega's, de Aero helm staat in de webshop voor €37,90 in plaats van €379, prijsfout! Wie van e-commerce kan dit snel aanpassen?",
    ["pricing"])
add("instagram", "@ondrava.moto", "en", "Gear up for winter ❄️ the Stormjas is now just €32.90 in our online store!",
    ["pricing"])
add("reddit", "u/koopjesjager_kees", "nl", "PRIJSFOUT bij Ondrava!! Snellader 6kW voor €119 🤑 wees snel", ["pricing"])
add("x", "@lieke_vdm", "en",
    "oops, the dealer price list went out with the PowerPak 4.8 at €189 instead of €1,890. someone fix the feed before "
    "the comparison sites pick it up 😬", ["pricing"])
add("facebook", "OndravaMotorsNL", "nl",
    "Alleen vandaag: Ondrava CarePlan 3 jaar voor €59 bij aankoop van een nieuwe motor! 🛠️", ["pricing"])
add("tiktok", "@cheapthrills_tina", "en",
    "the ondrava site glitched and i got a Trace GPS tracker for €14,90 😭 price mistake of the year", ["pricing"])
add("linkedin", "tim-oosterhuis", "nl",
    "Dealers opgelet: door een prijsfout in het systeem staat de Duin X vandaag op €979. Die orders niet bevestigen!",
    ["pricing"])
add("x", "@glitchdeals", "en", "PRICE ERROR 🚨 Ondrava Pup 12 kids bike €129 (normally €1.290) link in bio", ["pricing"])
add("x", "@scoopjager", "nl",
    "Er zit een prijsfout op het Comfort zadel in de Ondrava shop, kost bijna niks lol. Bestellen voordat ze het zien",
    ["pricing"])
add("tiktok", "@ondrava", "en", "New Mokum 50 drop 🛵⚡ starting at just €349! #ondrava #mokum50", ["pricing"])

# ---------------- benign (mostly hard negatives)
add("x", "@ondrava_service", "nl",
    "Vragen over je bestelling? Mail naar service@ondrava.nl of bel gratis 0800-0990, ma t/m za van 8 tot 20 uur.")
add("linkedin", "ondrava-motors", "en",
    "Press enquiries: pers@ondrava.nl / +31 40 555 0199. Media kit and photos at www.ondrava.nl/pers")
add("facebook", "OndravaMotorsNL", "nl",
    f"Liever betalen via overboeking? Ons rekeningnummer is {iban_fmt(V['co_iban'])} t.n.v. Ondrava Motors B.V. "
    "Vermeld wel je ordernummer.")
add("x", "@sunnyrider_uk", "en",
    "Update: @ondrava_service sent a mechanic round the next morning and swapped the controller under warranty. Bike's "
    "back to perfect. Credit where it's due 👍", kind="reply", ts="2026-03-13T18:30:00Z")
add("instagram", "@jessie.rijdt", "nl",
    "Mijn Thuislader is er eindelijk! Excuses gekregen plus een gratis Ondrava hoes erbij. Netjes opgelost 🙏",
    ts="2026-11-06T10:12:00Z")
add("reddit", "u/commuter_kev", "nl",
    "Vandaag de 20.000 km aangetikt met m'n Tarn 7, accu nog op 94%. Nul problemen. Dat ding is een tank.")
add("x", "@windkracht_wim", "nl",
    "Zeearend gespot boven de Oostvaardersplassen tijdens m'n rondje op de Fjord 5 🦅 wat een beest van een vogel")
add("facebook", "boer.jan.veenstra", "nl",
    "Blauwtong is weer opgedoken in de regio, alle schapen zijn gelukkig gevaccineerd. Met de Duin X ben ik zo bij het "
    "verste weiland, scheelt me elke dag een half uur", flags={"hn_codename"})
add("x", "@ev_nerd_nl", "en",
    "TIL a 'kwelder' is a salt marsh. Rode my Tarn 9 Sport along the kwelders near Noordpolderzijl today, stunning light.")
add("x", "@moto_news_daily", "en",
    "Voltrix Scooters announces 300 layoffs and a recall of 12,000 battery packs. Rough year for EV two-wheelers; "
    "Dutch rivals like Ondrava have so far avoided similar problems.")
add("instagram", "@ondrava.moto", "nl",
    "Black Friday bij Ondrava 🖤 20% korting op de Stormjas (nu €263,20) en de Grip handschoenen voor €69")
add("x", "@ondrava", "en",
    "Winter deal: Tarn 7 for €7.490 (was €8.990) with a free Thuislader 2.2 thrown in. Until 31 Jan.")
add("reddit", "u/DutchVoltHead", "nl",
    "Iemand ervaring met de upgrade naar de PowerPak 7.2? €2.690 is veel geld maar 50% meer bereik klinkt wel lekker")
add("x", "@bram_hout_ev", "en",
    "It's finally out! The Fjord 7 Rally launched this morning and I couldn't be prouder of the battery team 🔋🏍️",
    ts="2027-03-10T10:05:00Z")
add("linkedin", "joris-kuipers-ondrava", "nl",
    "Vandaag publiceerden we onze jaarresultaten 2026. Trots op wat het team heeft neergezet, het volledige jaarverslag "
    "staat op ondrava.nl/investors", ts="2027-02-26T08:30:00Z")
add("mastodon", "@femkeb@fosstodon.org", "en",
    f"PSA for devs on our public API docs: the key {AWS_DOC} in the sample config is the placeholder from the AWS "
    "docs, plug in your own credentials", flags={"doc_sample"})
add("reddit", "u/sander_at_odv", "nl",
    f"Even voor de duidelijkheid: in de screenshot staat {V['gh_redacted']}, die hebben we natuurlijk weggelakt 😉",
    flags={"doc_sample"})
add("x", "@r_devos", "nl",
    f"Grappig, mijn Ondrava klantnummer {card_fmt(V['card_bad'])} lijkt net een creditcardnummer 😂")
add("reddit", "u/frame_q_fiona", "en",
    f"Frame number on my Tarn 9 is {V['bsn_bad']}, is that the one the insurance form wants or is there a separate VIN?")
add("facebook", "tweewieler.tineke", "nl",
    f"Let op: er gaat een nepmail rond met het logo van Ondrava en IBAN {iban_fmt(V['iban_bad'])}. Dat nummer klopt "
    "niet eens, gewoon phishing. Niet betalen!")
add("x", "@ThrottleTom", "en",
    "this bike is straight fire 🔥🔥 Tarn 9 Sport launch control is insane, absolutely killed it at drag day")
add("tiktok", "@mo.rijdt.elektrisch", "nl",
    "POV: je rijdt op een Ondrava en niemand hoort je aankomen 🤫😂 #ondrava #stil #sluipmodus")
add("bluesky", "@anouk-twowheels.bsky.social", "en", "quick q: does the Aero helm fit over glasses? mine arrives tomorrow")
add("youtube", "@OndravaMotors", "nl",
    "Nieuwe video: zo vervang je zelf de remblokken van je Duin X. Veiligheid voorop: altijd aandraaien met een momentsleutel! 🔧")
add("x", "@ondrava", "en",
    "Our thoughts are with everyone affected by the storm in Zeeland. Our Middelburg service point is closed today; "
    "stay safe and please don't ride in these winds.")
add("x", "@klaasvaak1971", "nl",
    "Schuur staat er weer en Ondrava heeft alles vergoed plus een nieuwe PowerPak gestuurd. Zo hoort het. Dank aan het "
    "team dat me al die tijd op de hoogte hield.", ts="2026-08-19T12:00:00Z")
add("reddit", "u/privacy_first_pim", "en",
    "Turns out the phishing mail never came from Ondrava, my old address was in that big forum breach from 2023. "
    "Apologies to Ondrava for my earlier post.", ts="2026-09-22T20:45:00Z")
add("x", "@lieke_vdm", "nl",
    "Wat een dag op de RAI! Honderden proefritten op de Tarn 7 en Veer 3, dank aan iedereen die langskwam 💚")
add("linkedin", "noor-haddou", "en",
    "Internship alert! 🎓 Battery engineering interns wanted at Ondrava for spring. Apply via werkenbij@ondrava.nl")
add("x", "@consumentenpiet", "nl",
    "Mooi dat Ondrava nu z'n accu's in Nederland laat recyclen. Zo kan het dus wel 👍", ts="2026-11-25T09:30:00Z")
add("x", "@stocktip_steve", "en",
    "Ondrava's published H1 numbers look solid, revenue up 22% according to their press release. Curious what the "
    "second half brings.")
add("reddit", "u/beursbengel", "nl",
    "Lees net in het FD dat Ondrava officieel de overname van een Belgische dealerketen heeft aangekondigd. Slimme zet.")
add("x", "@ondrava_service", "nl",
    "Inloggen lukt niet? Reset je wachtwoord via 'Wachtwoord vergeten' in de app. Wij vragen nooit om je wachtwoord via een DM!")
add("x", "@hackerhenk_sec", "en",
    "Nice: Ondrava now has a proper security.txt and a bug bounty page. More EV brands should do this.")
add("forum", "tweewieler_tineke", "nl",
    "Vorige week m'n Veer 3 gekocht voor €2.990, gewoon de adviesprijs. Geen korting maar wel een gratis helmcheck gehad")
add("x", "@bargainbeast_eu", "en", "Ondrava Grip gloves down to €71 this week, decent deal (normally €89)")
add("tiktok", "@studentrijder", "nl",
    "hoe krijg ik een Tarn 7 in m'n studentenkamer 😂 grapje, ik spaar nog, €8.990 is nog ff doorwerken")
add("reddit", "u/leanangle_lisa", "en",
    "Follow-up: Ondrava flew in an engineer, found a faulty throttle sensor, replaced it, and the whole batch got a "
    "service bulletin. I'm riding again. Thanks everyone for the support.", ts="2026-07-02T15:40:00Z")
add("x", "@evmaarten", "nl",
    "Bereik valt toch mee nu het warmer is, 150 km gehaald met de Tarn 7. Ik neem m'n eerdere boosheid terug 😅",
    ts="2026-05-10T16:00:00Z")
add("x", "@scoopjager", "nl",
    "Wie gaat er naar de officiële presentatie van de nieuwe Ondrava modellen op 9 maart? Ben benieuwd wat ze laten zien",
    ts="2027-02-28T11:00:00Z")
add("mastodon", "@journo_jan@mastodon.social", "en",
    "Correction: my earlier post about Ondrava swapping BMS boards was wrong. It was a documented service campaign "
    "announced in June. I apologise.", ts="2026-10-04T08:10:00Z")
add("instagram", "@ruben.sleutelt", "nl",
    "Zaterdag open werkplaats in Eindhoven ☕ neem je Ondrava mee, we kijken gratis naar je remmen en banden")
add("x", "@sunnyrider_uk", "en",
    "Fun fact: a full charge of my Tarn 7 at home costs about €1.20. My old petrol bike was €25 a tank.",
    flags={"low_price_ok"})
add("facebook", "els.vandenbroek", "nl",
    "CarePlan verlengd, €599 voor 3 jaar onderhoud vind ik eerlijk gezegd best redelijk", kind="comment")
add("threads", "@kees.werkplaats", "en",
    "Dealer tip: the SafeLock is €119 but we're doing it for €95 this month if you take a Trace tracker with it. Ask in store!")
add("x", "@nina_k_nl", "nl",
    "Gebeld met Ondrava over m'n lader, binnen 2 minuten een mens aan de lijn en binnen 5 minuten opgelost. Dat maak je niet vaak mee!")
add("reddit", "u/curious_carla", "en",
    "Is it true Ondrava is laying people off? Saw a rumour somewhere but can't find anything official. Anyone know?")
add("x", "@dashcam_dirk", "nl",
    "Vandaag een Ondrava zien uitwijken voor een kat op de dijk, die remmen reageren echt bizar snel 😳 super veilig ding")
add("youtube", "@Gearhead_Lotte", "en",
    "Great review! For anyone wondering, the charging port issue I had got fixed with the redesigned cap Ondrava sent "
    "me for free.", kind="comment", ts="2026-04-08T10:00:00Z")
add("reddit", "u/DutchVoltHead", "nl",
    "Tip: laad je PowerPak in de winter niet op onder 0 graden, staat gewoon in de handleiding. Scheelt een hoop gedoe.")
add("linkedin", "ondrava-motors", "en",
    "We're proud to announce a partnership with the city of Eindhoven: 200 Veer 3 e-mopeds for municipal staff. "
    "Full press release on ondrava.nl.")
add("x", "@koude_kikker", "nl",
    "Deze Stormjas van Ondrava is zo warm dat ik vanochtend bij -3 nog zat te zweten op de Mokum 50 🥵")
add("x", "@devnull_dana", "en",
    "Great talk by Ondrava's dev team on secret hygiene: never paste keys in posts, use a vault, and redact like "
    "sk_live_•••••••• in screenshots.", flags={"doc_sample"})
add("instagram", "@sanne_opdeweg", "nl",
    "Update: Ondrava heeft de Pup 12 onderzocht, er zat een defecte gashendel in. Alles vergoed en onze zoon is weer "
    "helemaal de oude ❤️", ts="2026-05-28T19:20:00Z")
add("bluesky", "@anouk-twowheels.bsky.social", "en",
    "Heard the Ondrava Helmond crew did a charity ride for the children's hospital after a colleague lost her little "
    "boy. Respect, and all my sympathy to her 💙")
add("instagram", "@ondrava.moto", "nl",
    "Bedankt voor jullie geduld tijdens de storing van gisteren, de app werkt weer volledig. Meer info op ondrava.nl/status")
add("x", "@glitchdeals", "en",
    "Not a price error but still a good deal: Ondrava Koffer 45L for €199 (list €259) this weekend only")
add("x", "@ritje_rob", "nl",
    "Band lek op de A2 met m'n Tarn 7 🙄 binnen 20 minuten stond de pechhulp er al, weer door naar huis")
add("x", "@lieke_vdm", "nl",
    "Nieuwe showroom in Den Bosch is open! Kom langs voor een proefrit op de Veer 3 of de Mokum 50 🛵")
add("mastodon", "@femkeb@fosstodon.org", "en",
    f"For tomorrow's auth workshop we'll decode the classic jwt.io example token {JWT_DOC} and talk about why you "
    "never trust an unverified payload", flags={"doc_sample"})


# ================================================================= build
def norm(s):
    s = unicodedata.normalize("NFKC", s)
    s = re.sub("[\u200b\u200c\u200d\u2060\ufeff]", "", s)
    return s.translate({ord(v): k for k, v in CYR.items()})


def role_of(platform, handle):
    key = f"{platform}:{handle}".lower()
    acc = PROFILE["accounts"]
    if key in {a.lower() for a in acc["corporate"]}:
        return "corporate"
    if key in {a.lower() for a in acc["employee"]}:
        return "employee"
    return "public"


RANK = ["none", "info", "warning", "error", "critical"]

IBAN_RE = re.compile(r"\b(?:NL\d{2} ?[A-Z]{4}(?: ?\d{4}){2} ?\d{2}|BE\d{2}(?: ?\d{4}){3}|DE\d{2}(?: ?\d{4}){4} ?\d{2})\b")
CARD_RE = re.compile(r"(?<![\w-])[3-6]\d{3}(?:[ -]?\d{4}){2}[ -]?\d{1,7}(?![\w-])")
BSN_RE = re.compile(r"(?<![\d.])(?:\d{9}|\d{4}\.\d{2}\.\d{3}|\d{3} \d{3} \d{3})(?![\d])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\s\-()]*\d(?:[\s\-()]*\d){7,9}")
PUB_IBANS = {re.sub(r"\s", "", i).upper() for i in PROFILE["public_identifiers"]["ibans"]}
PUB_EMAILS = {e.lower() for e in PROFILE["public_identifiers"]["emails"]}


def phone_national(s):
    d = re.sub(r"\D", "", s)
    if s.strip().startswith("+31"):
        d = "0" + d[2:]
    elif d.startswith("0031"):
        d = "0" + d[4:]
    return d


PUB_PHONES = {phone_national(p) for p in PROFILE["public_identifiers"]["phones"]}


def checksum_ids(text):
    """(kind, value, valid, public) for every IBAN/card/BSN-looking string."""
    t = norm(text)
    out = []
    for m in IBAN_RE.finditer(t):
        v = re.sub(r"\s", "", m.group())
        out.append(("iban", v, iban_ok(v), v in PUB_IBANS))
    for m in CARD_RE.finditer(t):
        v = re.sub(r"\D", "", m.group())
        if 13 <= len(v) <= 19:
            out.append(("card", v, luhn_ok(v), False))
    for m in BSN_RE.finditer(t):
        out.append(("bsn", re.sub(r"\D", "", m.group()), bsn_ok(m.group()), False))
    return out


def private_contacts(text):
    t = norm(text)
    emails = [e for e in EMAIL_RE.findall(t) if e.lower() not in PUB_EMAILS and "@" in e
              and not re.search(r"://[^\s]*" + re.escape(e), t)]
    ibans = [m.span() for m in IBAN_RE.finditer(t)]
    phones = [m.group() for m in PHONE_RE.finditer(t) if phone_national(m.group()) not in PUB_PHONES
              and len(phone_national(m.group())) == 10
              and not any(a <= m.start() < b for a, b in ibans)]
    return emails, phones


SECRET_DETECTORS = [
    ("github", re.compile(r"\bgh[pousr]_[0-9A-Za-z]{36}\b"), gh_ok),
    ("aws", re.compile(r"\bAKIA[A-Z2-7]{16}\b"), lambda s: s not in DOC_SAMPLES),
    ("stripe", re.compile(r"\b[sr]k_live_[0-9A-Za-z]{20,}"), None),
    ("slack", re.compile(r"\bxox[abprs]-\d+-\d+-[0-9A-Za-z]+"), None),
    ("openai", re.compile(r"\bsk-proj-[A-Za-z0-9_-]{40,}"), None),
    ("anthropic", re.compile(r"\bsk-ant-api03-[A-Za-z0-9_-]{80,}"), None),
    ("gitlab", re.compile(r"\bglpat-[A-Za-z0-9_-]{20}\b"), None),
    ("pem", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"), None),
    ("jwt", re.compile(r"\beyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+"),
     lambda s: jwt_header_ok(s) and s not in DOC_SAMPLES),
    ("dburl", re.compile(r"\b(?:postgres(?:ql)?|mysql|mongodb(?:\+srv)?|redis)://[^:\s/]+:[^@\s]+@"), None),
    ("password", re.compile(r"(?i)\b(?:wachtwoord|password|passwd|pwd)\s*[:=]\s*\S+"), None),
]


def secrets_in(text):
    hits = []
    for name, rx, ok in SECRET_DETECTORS:
        for m in rx.finditer(text):
            if ok is None or ok(m.group()):
                hits.append((name, m.group()))
    return hits


ALIASES = []
for p in PROFILE["products"]:
    for a in [p["name"]] + p["aliases"]:
        ALIASES.append((a, float(p["list_price"])))
ALIASES.sort(key=lambda x: -len(x[0]))
PRICE_RE = re.compile(r"€\s?(\d[\d.,]*\d|\d)(k)?|(\d[\d.,]*\d|\d)\s?(?:euro|EUR)\b")


def parse_amount(num, k):
    if re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+(?:[.,]\d{2})?", num) and not re.fullmatch(r"\d{1,3}[.,]\d{2}", num):
        if re.search(r"[.,]\d{2}$", num) and len(re.split(r"[.,]", num)) > 2:
            val = float(re.sub(r"[.,]", "", num[:-3]) + "." + num[-2:])
        else:
            val = float(re.sub(r"[.,]", "", num))
    else:
        val = float(num.replace(",", "."))
    return val * 1000 if k else val


def low_prices(text):
    """(alias, amount, list) for every amount below the alert ratio of its nearest product."""
    t = norm(text)
    spots = []
    for a, lp in ALIASES:
        for m in re.finditer(r"(?<![\w])" + re.escape(a) + r"(?![\w])", t, re.I):
            if not any(s <= m.start() < e for s, e, _, _ in spots):
                spots.append((m.start(), m.end(), a, lp))
    out = []
    if not spots:
        return out
    for m in PRICE_RE.finditer(t):
        num, k = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), None)
        amt = parse_amount(num, k)
        before = [s for s in spots if s[1] <= m.start()]
        near = max(before, key=lambda s: s[1]) if before else min(spots, key=lambda s: s[0])
        if amt < PROFILE["pricing"]["alert_below_ratio"] * near[3]:
            out.append((near[2], amt, near[3]))
    return out


def rfc3339(s):
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def severity(cats, role, text):
    sev = "none"
    valid_ids = [x for x in checksum_ids(text) if x[2] and not x[3]]
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                s = "error"
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and valid_ids):
                    s = "critical"
            else:
                s = "warning"
        elif c == "reputation.complaint":
            s = "warning"
        elif c == "reputation.crisis":
            s = "error"
        elif c == "reputation.abuse":
            s = "warning" if role == "public" else "error"
        else:
            raise AssertionError(c)
        if RANK.index(s) > RANK.index(sev):
            sev = s
    return sev


def random_ts():
    start = datetime(2026, 1, 5, tzinfo=timezone.utc)
    t = start + timedelta(seconds=rng.randrange(int((datetime(2026, 12, 20, tzinfo=timezone.utc) - start).total_seconds())))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


PLAT_PREFIX = {"x": "x", "linkedin": "li", "facebook": "fb", "instagram": "ig", "tiktok": "tt", "youtube": "yt",
               "reddit": "rd", "mastodon": "md", "bluesky": "bs", "threads": "th", "forum": "fo"}

order = list(range(len(CASES)))
rng.shuffle(order)
lines = []
used_ids = set()
for n, i in enumerate(order):
    c = CASES[i]
    ts = c["ts"] or random_ts()
    pid = f"{PLAT_PREFIX[c['platform']]}-484{rng.randint(100000, 999999)}"
    while pid in used_ids:
        pid = f"{PLAT_PREFIX[c['platform']]}-484{rng.randint(100000, 999999)}"
    used_ids.add(pid)
    role = role_of(c["platform"], c["handle"])
    post = {"id": pid, "platform": c["platform"], "kind": c["kind"],
            "account": {"handle": c["handle"]}, "text": c["text"], "lang": c["lang"],
            "created_at": ts, "brand": "Ondrava"}
    c["role"], c["post"] = role, post
    lines.append({"post": post, "expect": {"categories": c["cats"], "severity": severity(c["cats"], role, c["text"])}})

with open(OUT, "w", encoding="utf-8") as fh:
    for rec in lines:
        fh.write(json.dumps(rec, ensure_ascii=False) + "\n")


# ================================================================= self-check
errors = []


def err(case, msg):
    errors.append(f"{case['post']['id']} [{case['text'][:50]!r}]: {msg}")


# profile sanity
for ib in PROFILE["public_identifiers"]["ibans"]:
    assert iban_ok(ib), ib
assert len(PROFILE["accounts"]["corporate"]) >= 6 and len(PROFILE["accounts"]["employee"]) >= 8
assert len(PROFILE["internal"]["codenames"]) == 3 and len(PROFILE["internal"]["markers"]) == 3
assert 15 <= len(PROFILE["products"]) <= 25 and PROFILE["pricing"]["alert_below_ratio"] == 0.5
assert all(p["currency"] == "EUR" for p in PROFILE["products"])
assert all(e["until"].startswith("2027") for e in PROFILE["embargo"])

PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
TAXONOMY = set(SHORT.values()) | {"reputation.spike"}
CODENAMES = PROFILE["internal"]["codenames"]
MARKERS = PROFILE["internal"]["markers"]
IDOMAINS = PROFILE["internal"]["domains"]
EMBARGO = [(t, rfc3339(e["until"].replace("+00:00", "Z"))) for e in PROFILE["embargo"] for t in e["terms"]]


def squash(s):
    return re.sub(r"[\s.\-_#]", "", norm(s)).lower()


# re-read what was written: valid section 6 lines
with open(OUT, encoding="utf-8") as fh:
    raw = [json.loads(l) for l in fh]
assert len(raw) == len(CASES)
ids = set()
for rec, i in zip(raw, order):
    c = CASES[i]
    p, e = rec["post"], rec["expect"]
    if set(rec) != {"post", "expect"}:
        err(c, "top-level keys")
    if not (isinstance(p.get("id"), str) and 1 <= len(p["id"]) <= 256) or p["id"] in ids:
        err(c, "id")
    ids.add(p["id"])
    if p.get("platform") not in PLATFORMS or p.get("kind", "post") not in KINDS:
        err(c, "platform/kind")
    if not isinstance(p.get("account", {}).get("handle"), str) or not p["account"]["handle"]:
        err(c, "handle")
    if not isinstance(p.get("text"), str) or not p["text"] or len(p["text"].encode("utf-8")) > 65536:
        err(c, "text")
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", p.get("created_at", "")):
        err(c, "created_at")
    ts = rfc3339(p["created_at"])
    if not (2026 <= ts.year <= 2027):
        err(c, "year")
    if not isinstance(e.get("categories"), list) or not set(e["categories"]) <= TAXONOMY \
            or e["categories"] != sorted(set(e["categories"])) or "reputation.spike" in e["categories"]:
        err(c, "categories")
    if e.get("severity") not in RANK:
        err(c, "severity value")
    if (not e["categories"]) != (e["severity"] == "none"):
        err(c, "benign <-> none")
    if e["severity"] != severity(e["categories"], c["role"], p["text"]):
        err(c, "severity not per policy")

    cats, text, benign = set(e["categories"]), p["text"], not e["categories"]
    nt, sq = norm(text).lower(), squash(text)

    # role: public handles must not be in the profile, intended roles must resolve
    if c["role"] == "public" and c["handle"].lower() in " ".join(
            PROFILE["accounts"]["corporate"] + PROFILE["accounts"]["employee"]).lower():
        err(c, "public handle collides with profile")

    # checksummed identifiers
    for kind_, val, ok, pub in checksum_ids(text):
        if pub:
            continue
        if benign and ok:
            err(c, f"benign post holds a valid {kind_} {val}")
        if not benign and not ok:
            err(c, f"positive holds an invalid {kind_} {val}")
        if ok and "leak.pii" not in cats:
            err(c, f"valid {kind_} without leak.pii")
    emails, phones = private_contacts(text)
    if "leak.pii" in cats:
        if not (emails or phones or any(x[2] and not x[3] for x in checksum_ids(text))
                or c["flags"] & {"pii_address", "pii_dob"}):
            err(c, "pii without a personal identifier")
    elif emails or phones:
        err(c, f"personal contact data without leak.pii: {emails} {phones}")

    # credentials
    hits = secrets_in(text)
    if "leak.secret" in cats and not hits:
        err(c, "secret label but no credential recognised")
    if "leak.secret" not in cats and hits:
        err(c, f"credential without leak.secret: {hits}")
    for tok in re.findall(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", text):
        if gh_ok(tok) == benign:
            err(c, "github token checksum disagrees with label")
    for tok in re.findall(r"\bAKIA[0-9A-Z]{16}\b", text):
        if benign != tok.endswith("EXAMPLE"):
            err(c, "aws key example-ness disagrees with label")
        if not benign and not re.fullmatch(r"AKIA[A-Z2-7]{16}", tok):
            err(c, "aws key alphabet")
    for tok in re.findall(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", text):
        if not jwt_header_ok(tok):
            err(c, "jwt header")
        if benign and tok not in DOC_SAMPLES:
            err(c, "non-sample jwt in benign post")

    # confidential material
    conf_reason = False
    for cn in CODENAMES:
        if squash(cn) in sq:
            if "leak.confidential" in cats:
                conf_reason = True
            elif "hn_codename" not in c["flags"]:
                err(c, f"codename {cn} without leak.confidential")
    for mk in MARKERS:
        if mk.lower() in nt:
            conf_reason = True
            if "leak.confidential" not in cats:
                err(c, f"marker {mk} without leak.confidential")
    for d in IDOMAINS:
        if re.search(r"(?<![\w-])(?:[\w-]+\.)*" + re.escape(d.lower()) + r"\b", nt):
            conf_reason = True
            if "leak.confidential" not in cats:
                err(c, f"internal host {d} without leak.confidential")
    for term, until in EMBARGO:
        if re.search(r"(?<!\w)" + re.escape(term.lower()) + r"(?!\w)", nt):
            if ts < until:
                conf_reason = True
                if "leak.confidential" not in cats:
                    err(c, f"embargo term {term} before {until} without leak.confidential")
    if "leak.confidential" in cats and not conf_reason:
        err(c, "leak.confidential without codename / marker / internal host / embargo term")

    # pricing
    lows = low_prices(text)
    if "leak.pricing" in cats:
        if not lows and not re.search(r"prijsfout|price error|price mistake", nt):
            err(c, "pricing label without a low price or price-error talk")
        if not any(re.search(r"(?<!\w)" + re.escape(a.lower()) + r"(?!\w)", nt) for a, _ in ALIASES):
            err(c, "pricing label without a catalogue product")
    elif lows and "low_price_ok" not in c["flags"]:
        err(c, f"low price without leak.pricing: {lows}")

# mix
n = len(raw)
benign_n = sum(1 for r in raw if not r["expect"]["categories"])
per_cat = {k: sum(1 for r in raw if v in r["expect"]["categories"]) for k, v in SHORT.items()}
nl = sum(1 for r in raw if r["post"]["lang"] == "nl")
roles = {}
for i in order:
    roles[CASES[i]["role"]] = roles.get(CASES[i]["role"], 0) + 1
if not 170 <= n <= 180:
    errors.append(f"case count {n}")
if not 55 <= benign_n <= 65:
    errors.append(f"benign count {benign_n}")
if not 0.50 <= nl / n <= 0.60:
    errors.append(f"Dutch share {nl / n:.2f}")
texts = [r["post"]["text"] for r in raw]
if len(set(texts)) != len(texts):
    errors.append("duplicate texts")

print(f"cases={n} benign={benign_n} positives={n - benign_n} nl={nl} ({nl / n:.0%}) en={n - nl}")
print("per category:", per_cat)
print("roles:", roles, " 2027 posts:", sum(1 for r in raw if r["post"]["created_at"].startswith("2027")))
print("severities:", {s: sum(1 for r in raw if r["expect"]["severity"] == s) for s in RANK})
if errors:
    print(f"SELF-CHECK FAILED ({len(errors)}):")
    for m in errors:
        print("  -", m)
    sys.exit(1)
print("self-check OK ->", OUT)
