#!/usr/bin/env python3
"""Build cases.jsonl for evaluation set sealed388 (Lisvaart Electric Yachts B.V.).

Deterministic: fixed seed, standard library plus PyYAML. The post texts are hand-written;
credentials and personal identifiers are generated the way real ones are built. The
expected severity of each case is computed from CONTRACT section 4 and the account role
in profile.yaml, never typed by hand. The script checks its own output and exits non-zero
when a check fails.
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
PROFILE = os.path.join(HERE, "profile.yaml")
OUT = os.path.join(HERE, "cases.jsonl")

rng = random.Random(388_2026)

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base-62 order
B32 = string.ascii_uppercase + "234567"
B64 = string.ascii_letters + string.digits + "+/"
URLSAFE = string.ascii_letters + string.digits + "-_"


def rand(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


# --------------------------------------------------------------------------- checksums
def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out or "0"


def github_token(prefix):
    body = rand(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode())).rjust(6, "0")


def github_token_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    lengths = {"NL": 18, "DE": 22, "BE": 16}
    if s[:2] in lengths and len(s) != lengths[s[:2]]:
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(cc, bban):
    r = bban + cc + "00"
    n = int("".join(str(int(c, 36)) for c in r))
    return f"{cc}{98 - n % 97:02d}{bban}"


def fmt_iban(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    if len(d) < 12:
        return False
    total = 0
    for i, x in enumerate(reversed(d)):
        if i % 2:
            x *= 2
            if x > 9:
                x -= 9
        total += x
    return total % 10 == 0


def make_card(prefix, length=16):
    body = prefix + rand(string.digits, length - len(prefix) - 1)
    for last in string.digits:
        if luhn_ok(body + last):
            return body + last
    raise AssertionError


def fmt_card(c):
    return " ".join(c[i:i + 4] for i in range(0, len(c), 4))


def bsn_ok(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    if len(d) != 9:
        return False
    total = sum(w * x for w, x in zip(range(9, 1, -1), d[:8])) - d[8]
    return total % 11 == 0 and total != 0


def make_bsn():
    while True:
        d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        s = sum(w * x for w, x in zip(range(9, 1, -1), d)) % 11
        if s <= 9:
            cand = "".join(map(str, d)) + str(s)
            if bsn_ok(cand):
                return cand


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def make_jwt():
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = b64url(json.dumps({"sub": "usr_48213", "role": "fleet_admin", "iss": "havenlink",
                                 "iat": 1781352000, "exp": 1781438400},
                                separators=(",", ":")).encode())
    sig = b64url(bytes(rng.randrange(256) for _ in range(32)))
    return f"{header}.{payload}.{sig}"


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    pad = parts[0] + "=" * (-len(parts[0]) % 4)
    try:
        return "alg" in json.loads(base64.urlsafe_b64decode(pad))
    except Exception:
        return False


def make_pem():
    body = "MIIEowIBAAKCAQEA" + rand(B64, 64 * 5 - 16)
    lines = [body[i:i + 64] for i in range(0, len(body), 64)] + [rand(B64, 40) + "=="]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"


# ----------------------------------------------------------------- generated values
V = {}
V["GH1"] = github_token("ghp_")
V["GHS1"] = github_token("ghs_")
V["AKID"] = "AKIA" + rand(B32, 16)
V["AKSECRET"] = rand(string.ascii_letters + string.digits + "/+", 40)
V["SLACK1"] = f"xoxb-{rng.randint(10**10, 10**11 - 1)}-{rng.randint(10**12, 10**13 - 1)}-{rand(string.ascii_letters + string.digits, 24)}"
V["STRIPE1"] = "sk_live_51" + rand(string.ascii_letters + string.digits, 97)
V["OPENAI1"] = "sk-proj-" + rand(URLSAFE, 74) + "T3BlbkFJ" + rand(URLSAFE, 74)
V["ANTH1"] = "sk-ant-api03-" + rand(URLSAFE, 93) + "AA"
V["MOLLIE1"] = "live_" + rand(string.ascii_letters + string.digits, 30)
V["PEM1"] = make_pem()
V["JWT1"] = make_jwt()
V["PG1"] = f"postgres://havenlink_app:{rand(string.ascii_letters + string.digits, 18)}@db01.havenlink-prod.lisvaart.internal:5432/telemetry"

iban_c1 = make_iban("NL", "INGB" + rand(string.digits, 10))
iban_c2 = make_iban("NL", "ABNA" + rand(string.digits, 10))
iban_c3 = make_iban("DE", rand(string.digits, 18))
V["IBAN_C1"] = fmt_iban(iban_c1)
V["IBAN_C2"] = iban_c2
V["IBAN_C3"] = fmt_iban(iban_c3)
V["CARD1"] = fmt_card(make_card("4"))
V["CARD2"] = fmt_card(make_card("53"))
V["BSN1"] = make_bsn()

# look-alikes that must fail their checksum
good = make_iban("NL", "RABO0123456789")
V["IBAN_BAD"] = fmt_iban(good[:2] + f"{(int(good[2:4]) + 7) % 100:02d}" + good[4:])
c = make_card("5412")
V["CARD_BAD"] = fmt_card(c[:-1] + str((int(c[-1]) + 3) % 10))
b = make_bsn()
V["BSN_BAD"] = b[:-1] + str((int(b[-1]) + 4) % 10)
V["GH_FAKE"] = "ghp_" + "x" * 36
V["JWT_DOC"] = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.<payload>.<signature>"

with open(PROFILE, encoding="utf-8") as fh:
    P = yaml.safe_load(fh)
V["COMPANY_IBAN"] = fmt_iban(P["public_identifiers"]["ibans"][0])

# ----------------------------------------------------------------------- evasions
FW = {c: chr(ord(c) + 0xFEE0) for c in string.ascii_letters + string.digits}


def fullwidth(s):
    return "".join(FW.get(ch, "\u3000" if ch == " " else ch) for ch in s)


CYR = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "p": "\u0440", "c": "\u0441",
       "O": "\u041e", "A": "\u0410", "E": "\u0415"}


def cyrillic(s, letters="aeoO"):
    return "".join(CYR[ch] if ch in letters else ch for ch in s)


# --------------------------------------------------------------------------- cases
CASES = []


def add(acct, text, cats=(), lang="nl", at=None, kind="post", ids=(), neg=(), price=None):
    CASES.append(dict(acct=acct, text=text, cats=sorted(cats), lang=lang, at=at,
                      kind=kind, ids=list(ids), neg=list(neg), price=price))


CMP, CRI, ABU = "reputation.complaint", "reputation.crisis", "reputation.abuse"
SEC, PII, PRC = "leak.secret", "leak.pii", "leak.pricing"
CON, FIN, SCU = "leak.confidential", "leak.financial", "leak.security"

# ---- complaints -------------------------------------------------------------------
add("x:@ria_op_de_vecht",
    "Al 9 weken wachten op onze Reiger 550. Levering wordt elke keer een week verschoven en niemand belt ooit terug. Zo frustrerend @lisvaart 😤",
    [CMP])
add("x:@danny_sails",
    "BluePack 10 is supposed to give you 6 hours at cruising speed. We got 3h15 and then paddled the last bit home. Not happy @lisvaart", [CMP], "en")
add("facebook:Marjan Hoogeveen",
    "Bestelling bij de Havenwinkel binnen: 2 fenders ipv 4 en de meerlijn zat er helemaal niet bij. Twee keer gemaild, nog steeds geen antwoord. Jammer hoor.",
    [CMP], kind="comment")
add("x:@tjeerdwind",
    "die HavenLink app logt me ELKE dag uit en laat dan de accustand van gisteren zien. wat heb ik aan zo'n module van 349 euro #lisvaart", [CMP])
add("reddit:u/portside_pete",
    "Brought my sloop in for warranty work in March. It's August. Still sitting at the Lisvaart yard, no updates unless I chase them. Starting to think I should just name and shame them on every boating forum I know.",
    [CMP], "en", at="2026-08-12T21:05:00Z")
add("instagram:@sloepleven_hoorn",
    "Winter storage with @lisvaart.boats... come back in April and there's a half-metre scratch down the hull. Nobody knows how, nobody's responsible. Great service 👎",
    [CMP], "en", kind="comment")
add("x:@henk_meerkoet",
    "Motor on my Meerkoet cuts out the moment you go full throttle. Back to Lisvaart 3 times, every time 'we can't reproduce it'. I reproduce it every Saturday, free of charge.",
    [CMP], "en")
add("reddit:u/nav_nerd_2k",
    "Anyone else's Koersscherm 7 freeze on every firmware update? Lisvaart support told me to turn it off and on again. Paid 1290 for this thing.",
    [CMP], "en")
add("facebook:Joke Dral",
    "The Buiskap leaks every time it rains, water pooling on the cushions. Book a repair? Seven weeks out! Seriously Lisvaart, it's July, I want to be on the water.",
    [CMP], "en", at="2026-07-15T18:22:00Z")
add("x:@b_vermeulen",
    "@lisvaart_service 4e keer bellen, 45 min in de wacht en dan opgehangen. Ik wil alleen weten wanneer die verkeerde factuur eens gecorrigeerd wordt.",
    [CMP], kind="reply")
add("x:@solentsparky",
    "The WalLader trips the shore power breaker at every single marina we visit. Dealer says it's the marinas. It's not the marinas, Lisvaart. Fix your charger.",
    [CMP], "en")
add("instagram:@gwendolyn.aan.boord",
    "mooie foto's allemaal maar mijn stroomvest ging na 1 seizoen bij de jaarlijkse test al niet meer open. kwaliteit?? 😒 @lisvaart.boats",
    [CMP], kind="comment")

# ---- complaint + crisis: first-hand safety incidents ------------------------------
add("x:@fokke_lemmer",
    "Mijn BluePack 20 begon te roken tijdens het laden aan de steiger in Lemmer. Brandweer erbij, achterschip half uitgebrand. @lisvaart wat gaan jullie hieraan doen?? 🔥",
    [CMP, CRI])
add("x:@clairebythesea",
    "Got a proper shock off the WalLader 3.7 plug this morning, hand still tingling hours later. Wet deck, sure, but that's exactly where a shore charger lives. @lisvaart_service",
    [CMP, CRI], "en")
add("facebook:Erwin Postma",
    "Stuurkabel van onze Reiger 650 knapte op het Markermeer bij windkracht 5, we dreven recht op de dijk af. Mijn dochter kwam met haar hand ertussen: gebroken vinger. Boot is 4 maanden oud!!",
    [CMP, CRI])
add("reddit:u/cabinfever_nl",
    "Our Aalscholver 800's cabin filled with fumes from the battery compartment last weekend. Whole family dizzy and nauseous, ended up at the GP. Lisvaart's answer: 'no known issue'. Great.",
    [CMP, CRI], "en")
add("x:@annemiekvaart",
    "Stroomvest ging NIET open toen mijn man overboord sloeg bij het aanleggen. Hij is er goed van afgekomen maar dit had heel anders kunnen aflopen. En Lisvaart stuurt een standaardmailtje.",
    [CMP, CRI])

# ---- complaint + abuse ------------------------------------------------------------
add("x:@gijs_de_schipper",
    "Klotebedrijf. Drie maanden wachten op één onderdeel voor mijn DriveMotor en dan nog de verkeerde sturen. Stelletje prutsers @lisvaart",
    [CMP, ABU])
add("x:@rob_tidewater",
    "Your service desk is run by absolute morons. Charger dead for 6 weeks, nobody calls back, nobody cares. F*** you Lisvaart.",
    [CMP, ABU], "en")

# ---- crisis only ------------------------------------------------------------------
add("x:@hoornsnieuws",
    "Vannacht is in de jachthaven van Hoorn een elektrische sloep van Lisvaart uitgebrand. Vermoedelijk ging het mis bij het laden van de accu. Er raakte niemand gewond.",
    [CRI])
add("x:@eerlijkvaren",
    "Lisvaart laat z'n rompen bouwen bij een toeleverancier die aantoonbaar kinderen laat werken. Niet kopen, niet liken, niet varen. #boycotLisvaart deel dit!",
    [CRI])
add("facebook:Sloepeigenaren Noord-Holland",
    "Question for the group: has Lisvaart had a data breach? Four members now got phishing mails quoting their own order number and berth. Can't be a coincidence.",
    [CRI], "en")
add("x:@consumentenclaimNL",
    "120 eigenaren van een BluePack-accu slepen Lisvaart voor de rechter: capaciteit zakt na twee seizoenen in tot onder de 60%. Dagvaarding is deze week betekend.",
    [CRI])
add("x:@boatsafetywatch",
    "Lisvaart is recalling DriveMotor 10 units built before May over an overheating controller. Check your serial number before you go out this weekend.",
    [CRI], "en")
add("x:@mileu_hoornsehop",
    "Lisvaart-werf loosde maandenlang epoxy-afval in het Hoornse Hop, blijkt uit onderzoek van de regionale omroep. Groen imago, bruin water 😡",
    [CRI])
add("x:@frisianboater",
    "Local news: a Lisvaart boat's battery exploded at a marina in Friesland this afternoon, two people taken to hospital. Really hope they're ok.",
    [CRI], "en")
add("reddit:u/greenwash_alert",
    "So Lisvaart's CEO is bankrolling the campaign against the offshore wind farm? An electric boat company. You can't make this up. Boycott them.",
    [CRI], "en")
add("x:@arbeidsinspectie_nws",
    "Nederlandse Arbeidsinspectie onderzoekt een ongeval op de werf van Lisvaart in Medemblik: een medewerker raakte zwaargewond na een val uit een mal.",
    [CRI])
add("linkedin:marc-verhoeven-advocaat",
    "Onze cliënt, een voormalig dealer, heeft Lisvaart gedagvaard wegens contractbreuk. De zaak dient in oktober bij de rechtbank Noord-Holland.",
    [CRI])

# ---- abuse ------------------------------------------------------------------------
add("x:@zwartekater77", "Lisvaart = kankerbedrijf. Punt.", [ABU])
add("x:@moorings_mike", "whoever runs @lisvaart's socials is a brain-dead clown, genuinely embarrassing", [ABU], "en", kind="reply")
add("x:@roeier_rick",
    "@marloes_lisvaart jij bent echt het domste wijf van heel Medemblik, ga lekker huilen met je sloepjes", [ABU], kind="reply")
add("facebook:Dirk Groenewoud",
    "Natuurlijk staat er bij Lisvaart zo'n Turk achter de balie, geen wonder dat er niks klopt van mijn bestelling. Terug naar je eigen land.",
    [ABU], kind="comment")
add("tiktok:@botenhater_", "l1sv44rt zijn gewoon k4nk3r 0pl1cht3rs 🤮 #lisvaart", [ABU])
add("x:@kwaaie_klant", "L i s v a a r t   =   t e r i n g b e d r i j f", [ABU])
add("x:@pieter_achterdek", "Lisvaart, stelletje " + cyrillic("klotezakken", "oea") + ". Hoop dat jullie failliet gaan.", [ABU])
add("x:@keesvdwerf",
    "@bootnerd_88 hou je bek toch, sukkel. Koop dan nooit een boot van ons, hebben wij ook geen last van je.", [ABU], kind="reply")
add("x:@harbourgrump",
    "Hope your whole shitty yard burns to the ground, Lisvaart. Scammers, the lot of you.", [ABU], "en")

# ---- personal data ----------------------------------------------------------------
add("x:@lisvaart_service",
    "@hvdlinden_zeilt we hebben u vanmiddag teruggebeld op 06-41873920 maar kregen de voicemail. Probeert u het morgen nog eens?",
    [PII], kind="reply")
add("instagram:@dewi.aan.de.haven",
    "Weer een tevreden klant 🥰 Fenderset en meerlijn gaan vandaag op de post naar Gerrit Molenaar, Zuiderhaven 14, 1601 GK Enkhuizen. Goede vaart Gerrit! ⚓",
    [PII])
add("linkedin:ruud-hoekstra-lisvaart",
    "Vraag aan mijn netwerk: onze terugbetaling aan mevrouw Sandra Kok ({IBAN_C1}) komt telkens terug van de bank. Iemand ervaring met dit soort storno's?",
    [PII], ids=[("iban", "{IBAN_C1}")])
add("facebook:LisvaartHavenwinkel",
    "Beste Wim, de restitutie van je aanbetaling wordt morgen overgemaakt naar {IBAN_C2}. Excuses voor het lange wachten!",
    [PII], kind="reply", ids=[("iban", "{IBAN_C2}")])
add("x:@zeilerjos",
    "@lisvaart_service bel me maar even terug op +31 6 2290 4417, ik zit de hele middag aan boord", [PII], kind="reply")
add("facebook:Wouter de Boer",
    "Hi Lisvaart, could you send the Reiger 720 Lounge brochure to w.deboer73@ziggo.nl? Thanks in advance!",
    [PII], "en", kind="comment")
add("linkedin:anouk-smit-lisvaart",
    "Welcome aboard Femke Jorritsma (born 14-03-1998), our new battery technician! 🎉 Great to have you on the team.", [PII], "en")
add("x:@keesvdwerf",
    "Kan iemand van de salarisadministratie even naar het BSN van onze nieuwe stagiair kijken? Ik heb {BSN1} doorgekregen maar het systeem pakt 'm niet.",
    [PII], ids=[("bsn", "{BSN1}")])
add("x:@fiona_at_sea",
    "@lisvaart_service quick q: your shop keeps asking me to re-enter my card, it's {CARD1} exp 09/28. Is something wrong on my end?",
    [PII], "en", kind="reply", ids=[("card", "{CARD1}")])
add("x:@lisvaart",
    "@petra_vaart Dank je! We hebben je mail aan petra.kuijpers@gmail.com goed ontvangen, de offerte volgt vandaag nog.", [PII], kind="reply")
add("bluesky:@lotte-lisvaart.bsky.social",
    "Topdag op de beurs! Lead van de dag: Hendrik Zwart, tel 0299-482117, Kerkbuurt 9 in Monnickendam, wil een Reiger 650 mét buiskap 😎",
    [PII])
add("x:@wraakvaarder",
    "Die arrogante verkoper Kees van der Werf woont gewoon op de Dijkweg 41 in Andijk. Ga maar eens langs om die eikel te vertellen wat je van hem vindt.",
    [PII, ABU])
add("linkedin:yusuf-ozdemir-lisvaart",
    "Customer John Whitfield (DOB 02/11/1971) called about his BluePack warranty again - anyone on the UK desk who can take this one over?",
    [PII], "en")
add("facebook:LisvaartHavenwinkel",
    "Hi Mark, found your order: paid with card {CARD2}, shipping to 3 Harbour Lane, Lymington SO41. It goes out Monday!",
    [PII], "en", kind="reply", ids=[("card", "{CARD2}")])
add("x:@jonas_pf",
    "@lisvaart_service for the refund you asked for my bank details: {IBAN_C3}, account holder Jonas Pfeiffer. Thanks a lot!",
    [PII], "en", kind="reply", ids=[("iban", "{IBAN_C3}")])

# ---- confidential -----------------------------------------------------------------
add("x:@marloes_lisvaart",
    "Mag er nog helemaal niks over zeggen, maar Project Stormvogel gaat jullie echt wegblazen 🤫⛵ #komtEraan", [CON])
add("x:@keesvdwerf",
    "Hull no. 3 of the Bitterling came out of the mould today. 9.2 metres, double battery bank, and she sits dead level. Proud of the crew 💪",
    [CON], "en")
add("instagram:@lisvaart.boats",
    "Sneak peek 👀 Een glimp van de Reiger 900 Hybrid in onze loods. Wie raadt de kleur? #lisvaart #comingsoon",
    [CON], at="2026-11-20T16:05:00Z")
add("x:@bram_schipper_dev",
    "if you're on the havenlink team: repro steps are in https://jira.lisvaart.nl/browse/HL-2231, pls don't open dupes 🙏", [CON], "en")
add("linkedin:ruud-hoekstra-lisvaart",
    "Operatie Laagwater is right on schedule. Can't say more yet, but 2027 is going to be a great year for the yard.", [CON], "en")
add("reddit:u/vecht_varen",
    "Vriend van me werkt op de werf bij Lisvaart. Volgens hem komt er volgend voorjaar een Zwaluw 36 met twee motoren en een echte kajuit. Iemand anders hier ook iets over gehoord?",
    [CON], at="2026-10-03T20:14:00Z")
add("linkedin:yusuf-ozdemir-lisvaart",
    "Sneaky slide from our roadmap review - technically Lisvaart Confidential, but I'm too proud not to share: 40% more range at the same pack weight 🔋",
    [CON], "en")
add("threads:@nina.havenwinkel",
    "wie weet de inlog voor werf.lisvaart.local/planning? moet de levering van morgen nog inplannen en Kees neemt niet op 🙄", [CON])
add("instagram:@dewi.aan.de.haven",
    "zo trots dat ik vandaag even mocht meekijken bij " + fullwidth("Project Stormvogel") + " 🤍⛵ meer mag ik echt niet zeggen", [CON])
add("x:@tidal_tom",
    "my cousin at Lisvaart let slip the name Bitter\u200bling. a new 9m boat apparently?? anyone know more", [CON], "en")
add("bluesky:@lotte-lisvaart.bsky.social",
    "Klanten vragen al of er iets nieuws aankomt. Ik zeg niks hoor, maar " + cyrillic("Operatie Laagwater", "aeO") + " wordt groot 😏",
    [CON])
add("linkedin:anouk-smit-lisvaart",
    "Deze week de laatste hand gelegd aan 'Beloningsbeleid monteurs 2027 - alleen voor intern gebruik'. Spoiler: de werf gaat er flink op vooruit 💶",
    [CON])
add("reddit:u/bootbeurs_bob",
    "Spec sheet for the Reiger 900 is going round the owners' group: 2x 20 kW, 80 kWh pack, 9.1 m LOA. Launch is supposedly at the March show.",
    [CON], "en", at="2027-03-01T11:30:00Z")
add("linkedin:ruud-hoekstra-lisvaart",
    "Mooie afsluiting van het boekjaar: de jaarcijfers 2026 komen ruim boven plan uit, omzet +31% en voor het eerst een positieve EBITDA. Volgende week meer!",
    [CON, FIN], at="2027-02-20T08:45:00Z")
add("mastodon:@joris@varen.social",
    "Board deck just landed: FY2026 results beat plan by a mile, revenue €27.8m. Publication is Thursday morning so mum's the word 🤐",
    [CON, FIN], "en", at="2027-02-24T18:40:00Z")
add("x:@bram_schipper_dev",
    "prod ingest is down and I'm on my phone. someone restart it with DATABASE_URL={PG1} and see if it comes back",
    [CON, SEC], "en")
add("mastodon:@joris@varen.social",
    "havenlink-prod.lisvaart.internal ligt er al drie uur uit. Klanten zien hun boot niet meer in de app en we hebben nog geen idee waarom. Nog niet naar buiten communiceren aub.",
    [CON, SCU])
add("x:@bram_schipper_dev",
    "long night ahead: patching vpn.lisvaart.nl, that VPN CVE from last week is being actively exploited against us right now. fun times ☕",
    [CON, SCU], "en")

# ---- financial ---------------------------------------------------------------------
add("linkedin:ruud-hoekstra-lisvaart",
    "Q3 lands at 18.4 million in revenue. The numbers don't go public until November, but the team can already be proud.", [FIN], "en", at="2026-10-06T17:40:00Z")
add("linkedin:anouk-smit-lisvaart",
    "Zware week. Op de werf gaan 40 collega's hun baan verliezen, de aankondiging volgt pas volgende maand. Ik kan er niet van slapen.", [FIN])
add("bluesky:@lotte-lisvaart.bsky.social",
    "Can't say much but… Ostrea Marine Group is buying us. Signing is next Tuesday 🍾 #newchapter", [FIN], "en")
add("facebook:Sjoerd Kuipers",
    "Hoor net van m'n zwager die bij Lisvaart werkt dat de havenwinkel in Lemmer dichtgaat en de helft van het winkelpersoneel eruit moet. Is nog nergens bekendgemaakt.",
    [FIN])
add("bluesky:@lotte-lisvaart.bsky.social",
    "orderboek 2027 staat op 212 sloepen, forecast gaat omhoog naar 24 mln 🚀 (nog niet naar buiten brengen hè, is voor de interne kick-off)", [FIN])
add("linkedin:lisvaart-electric-yachts",
    "[CONCEPT - pas plaatsen na persbericht] Lisvaart verwacht over boekjaar 2026 een verlies van circa €3,1 miljoen door fors hogere accuprijzen.",
    [FIN], at="2026-09-08T06:55:00Z")
add("linkedin:yusuf-ozdemir-lisvaart",
    "Reorg incoming: engineering and the battery team are merging and two department heads are leaving. Not official yet, so keep it to yourselves.", [FIN], "en")
add("reddit:u/quaysideinsider",
    "insider here. Lisvaart is in talks to acquire BoatCharge NL for roughly €9m. Expect an announcement after the summer.", [FIN], "en")
add("x:@keesvdwerf",
    "bank heeft de kredietlijn niet verlengd. we draaien op reserves tot maart, dus duimen dat de Reigers snel de deur uit gaan. ff niet doorvertellen", [FIN])
add("mastodon:@joris@varen.social",
    "H1 revenue is 22% under plan according to the board deck. I'd be surprised if there's no profit warning before the AGM.", [FIN], "en")

# ---- security ----------------------------------------------------------------------
add("mastodon:@joris@varen.social",
    "Sinds 03:00 zit er ransomware op de ERP van de werf. Productie ligt stil, alles versleuteld. Naar buiten toe heet het 'gepland onderhoud'.", [SCU])
add("x:@bram_schipper_dev",
    "fun discovery of the day: the HavenLink API hands you any boat's live GPS position if you just bump the id in the URL 🙃 ticket's open, not patched, not disclosed",
    [SCU], "en")
add("threads:@nina.havenwinkel",
    "kassa in de havenwinkel de hele ochtend plat, pinnen gaat niet. hoofdkantoor zegt dat we gehackt zijn 🙈 klanten denken dat het gewoon een storing is",
    [SCU])
add("linkedin:yusuf-ozdemir-lisvaart",
    "A firmware bug in the BluePack BMS lets anyone within Bluetooth range disable cell balancing, no pairing needed. We're holding it back until the fix ships.",
    [SCU], "en")
add("x:@it_mannetje_wf",
    "ik zit bij de IT van Lisvaart en er zit al twee weken een gat in de webshop waarmee je andermans bestellingen kunt inzien. niemand doet er iets mee", [SCU])
add("x:@bram_schipper_dev",
    "phishing mail got through yesterday and three colleagues typed their passwords in. IT is resetting everything, customers don't know yet", [SCU], "en")
add("mastodon:@joris@varen.social",
    "we just found a backup of the customer database on a public bucket. it's been sitting there for a month. nobody outside knows yet 😬", [SCU], "en")
add("bluesky:@lotte-lisvaart.bsky.social",
    "De laadpalen in onze eigen haven kun je gewoon op afstand uitzetten, zonder wachtwoord. Al maanden gemeld bij IT, gebeurt helemaal niks.", [SCU])
add("x:@bram_schipper_dev",
    "SQL-injectie gevonden in de offerteconfigurator op shop.lisvaart.nl. Fix pas volgende sprint, tot die tijd duimen 🤞", [SCU])
add("x:@keesvdwerf",
    "No network at the yard all morning after an 'attack', says IT. Moulds are cold, we won't make this week's Reigers.", [SCU], "en")
add("x:@lisvaart_service",
    "@sloep_sander Klopt, er is vorige week ingebroken op onze servers. Officieel mogen we er nog niks over zeggen, dus hou het even onder ons.",
    [SCU], kind="reply")

# ---- secrets -----------------------------------------------------------------------
add("x:@bram_schipper_dev",
    "why is the release job failing AGAIN 😩\n\nexport GITHUB_TOKEN={GH1}\nnpm run publish", [SEC], "en")
add("mastodon:@joris@varen.social",
    "note to self (and whoever reads this, oops): telemetry bucket creds\naws_access_key_id = {AKID}\naws_secret_access_key = {AKSECRET}",
    [SEC], "en")
add("x:@marloes_lisvaart",
    "Kan iemand kijken waarom de Slack-bot de vaarweer-update niet meer post? Token is toch {SLACK1} ?", [SEC])
add("x:@bram_schipper_dev",
    "quick screenshot of the payment config for the new webshop, thoughts on this setup?\nSTRIPE_SECRET_KEY={STRIPE1}", [SEC], "en")
add("x:@marloes_lisvaart",
    "Our new boat-advice chatbot runs on this key, in case someone at the agency needs it: {OPENAI1} 🤖⛵", [SEC], "en")
add("forum:devbootje",
    "Ik bouw de betaalmodule voor een botenbouwer (Lisvaart). Iemand een idee waarom Mollie een 401 teruggeeft? MOLLIE_API_KEY={MOLLIE1}", [SEC])
add("mastodon:@joris@varen.social",
    "deploy key for the werf build server, paste it into your agent:\n{PEM1}", [SEC], "en")
add("x:@bram_schipper_dev",
    'curl -H "Authorization: Bearer {JWT1}" https://api.lisvaart.nl/v2/boats   # why does this 403??', [SEC], "en")
add("threads:@nina.havenwinkel",
    "voor de zaterdaghulp: inlog kassasysteem havenwinkel\ngebruiker: beheer\nwachtwoord: Kr00swater#71", [SEC])
add("reddit:u/contractor_kl",
    "CI log from the Lisvaart app build, checkout step keeps failing with 'bad credentials'. Using token {GHS1}, any idea what's wrong?", [SEC], "en")
add("linkedin:yusuf-ozdemir-lisvaart",
    "Testing an AI assistant for BMS log analysis. Config below if anyone on the team wants to try:\nANTHROPIC_API_KEY={ANTH1}", [SEC], "en")

# ---- pricing -----------------------------------------------------------------------
add("x:@vrijdagvaarder",
    "Reiger 550 voor €3.495 op shop.lisvaart.nl 😂 foutje bedankt, meteen besteld", [PRC], price=("LV-R550", 3495))
add("facebook:LisvaartHavenwinkel",
    "🔥 Black Friday in de Havenwinkel: DriveMotor 6 nu voor €349! Alleen dit weekend, zolang de voorraad strekt.", [PRC], at="2026-11-27T07:30:00Z", price=("LV-DM6", 349))
add("threads:@nina.havenwinkel",
    "Stroomvest vandaag maar €12,90 bij ons in de havenwinkel 🤯 op = op!!", [PRC], price=("LV-SV150", 12.90))
add("reddit:u/bargainbosun",
    "Lisvaart webshop has the BluePack 20 listed at €1,240. Price error? Grabbed two before they fix it.", [PRC], "en", price=("LV-BP20", 1240))
add("facebook:Gerda Slot",
    "Er zit een prijsfout in de kassa van de havenwinkel: het Koersscherm 7 wordt aangeslagen voor 129 euro in plaats van 1290. Zeg het maar even 🙃",
    [PRC], price=("LV-KS7", 129))
add("bluesky:@lotte-lisvaart.bsky.social",
    "Voor vrienden & familie: onze Zwaluw 24 demoboot gaat weg voor €19.900 (normaal 52.900). DM me!", [PRC], price=("LV-ZW24", 19900))
add("instagram:@lisvaart.boats",
    "Nieuw in de shop ⚡ De WalLader 3.7 voor maar €89,- Laad je sloep thuis gewoon aan de steiger!", [PRC], price=("LV-WL37", 89))
add("reddit:u/cheapskate_skipper",
    "PSA: Lisvaart shop glitch, the Meerkoet 420 shows 1,495 EUR in the cart. Go go go", [PRC], "en", price=("LV-MK420", 1495))
add("tiktok:@jaybootjes",
    "bro de HavenLink module voor 34 euro 💀💀 lisvaart wat doen jullie", [PRC], price=("LV-HL1", 34))
add("x:@keesvdwerf",
    "Prijsfout op de site bij de Buiskap: staat op 215 ipv 2150. Kan iemand van web dat fixen voordat de halve haven hem bestelt?",
    [PRC], price=("LV-BK56", 215))
add("x:@nieuwsbriefnerd",
    "Aalscholver 800 for €9,850 in your newsletter. Typo or sale of the century? 👀", [PRC], "en", price=("LV-AAL800", 9850))
add("facebook:Bas Wijnands",
    "Reiger 650 besteld voor €4.690 (ja, prijsfout, weet ik). Nu annuleren jullie zonder enige uitleg én wacht ik al 3 weken op mijn aanbetaling. Slechte service Lisvaart.",
    [PRC, CMP], kind="comment", price=("LV-R650", 4690))

# ---- benign (mostly hard negatives) -----------------------------------------------
add("x:@lisvaart_service",
    "Vragen over je Reiger? Bel 0227-740300 of mail service@lisvaart.nl, we zitten voor je klaar ⚓")
add("linkedin:lisvaart-electric-yachts",
    "Press enquiries: pers@lisvaart.nl or +31 227 740 300. We're happy to arrange a test sail for journalists.", lang="en")
add("facebook:LisvaartHavenwinkel",
    "Betalen per overschrijving? Dat kan naar {COMPANY_IBAN} t.n.v. Lisvaart Electric Yachts B.V., onder vermelding van je ordernummer.")
add("instagram:@vechtvaarders",
    "First trip in the Reiger 550 today, dead silent down the Vecht. What a boat 😍 #electricboating #lisvaart", lang="en")
add("x:@kieran_on_water",
    "Shoutout to the Lisvaart havenwinkel crew in Enkhuizen, fixed my fender mount in ten minutes and wouldn't take a cent. Legends.", lang="en")
add("facebook:LisvaartHavenwinkel",
    "☀️ Zomersale in de Havenwinkel: de Stroomvest van €129 nu voor €99. Veilig het water op!", at="2026-07-04T08:00:00Z", price=("LV-SV150", 99))
add("x:@lisvaart",
    "20% off the Havenfender set this weekend: €71,20 instead of €89. Your topsides will thank you.", lang="en", price=("LV-FND4", 71.20))
add("x:@wimpie_sloep",
    "Reiger 650 is 46,900 on the site. Honestly not bad for what you get.", lang="en", price=("LV-R650", 46900))
add("facebook:Theo Brandsma",
    "Can you buy the BluePack 10 (€6,890) separately for an older Meerkoet? Or won't it fit?", lang="en", kind="comment", price=("LV-BP10", 6890))
add("x:@bram_schipper_dev",
    "Reminder for the workshop tomorrow: the AWS docs use AKIAIOSFODNN7EXAMPLE as a key id. Copy that one into your slides, never a real one 😉",
    lang="en", neg=[("aws_sample", "AKIAIOSFODNN7EXAMPLE")])
add("x:@devopsdaan",
    "tip van de dag: zet je tokens in een .env en commit die nooit. Dus niet zo: GITHUB_TOKEN={GH_FAKE} 😉", neg=[("github", "{GH_FAKE}")])
add("reddit:u/formulierfreak",
    "In de HavenLink-app staat bij het invulvoorbeeld het IBAN {IBAN_BAD}. Is dat een bestaand nummer of gewoon opvulling?",
    neg=[("iban", "{IBAN_BAD}")])
add("x:@anja_ijsselmeer",
    "@lisvaart_service mijn ordernummer is {CARD_BAD}, kunnen jullie kijken of de meerlijn al verzonden is? Dank!",
    kind="reply", neg=[("card", "{CARD_BAD}")])
add("x:@sloepje_zeeland",
    "Ons registratienummer {BSN_BAD} staat sinds vandaag op de romp. Voelt officieel zo 😄", neg=[("bsn", "{BSN_BAD}")])
add("instagram:@lisvaart.boats",
    "Daar is ie dan: de Reiger 900 Hybrid! Vanaf vandaag te bewonderen op onze stand, hal 2. Kom proefzitten ⚡⛵", at="2027-03-12T10:15:00Z")
add("x:@sloepnieuws",
    "De jaarcijfers 2026 van Lisvaart zijn net gepubliceerd: omzet +31% en voor het eerst winst. Netjes voor een jonge werf.", at="2027-02-25T09:20:00Z")
add("reddit:u/bootbeurs_bob",
    "Went to see the Zwaluw 36 at the show today. Twin motors, proper cabin, and it still sails. Pricey, but wow.", lang="en", at="2027-03-14T17:02:00Z")
add("x:@clairebythesea",
    "Update: Lisvaart swapped my WalLader within two days and sent an engineer to check the boat wiring. Credit where it's due, that's how it should be done.",
    lang="en")
add("x:@ria_op_de_vecht",
    "Update: onze Reiger 550 is eindelijk binnen en Lisvaart deed er uit zichzelf een buiskap bij voor het wachten. Zo maak je het goed ❤️")
add("x:@lelystadmarina",
    "Sterkte aan de familie en vrienden van de schipper die gisteren bij Lelystad verongelukte. Verschrikkelijk nieuws.")
add("x:@vaarnieuws_nl",
    "Hoogland Marine is recalling 300 outboards over a faulty kill switch. Owners will get a letter, per the company.", lang="en")
add("facebook:Linda Zijlstra",
    "Mijn man vloekt als een bootwerker bij het aanleggen, maar de Reiger zelf is een droom 😂", kind="comment")
add("facebook:Kees Oudshoorn",
    "How does privacy work with the HavenLink app? What data about my boat do you store, and for how long?", lang="en", kind="comment")
add("x:@keesvdwerf", "Trots op onze ploeg: vandaag de 500e Reiger van de werf gerold! 🎉⚓")
add("linkedin:anouk-smit-lisvaart",
    "We zoeken een accu-engineer met hart voor het water! Solliciteer via vacatures@lisvaart.nl of kom eens koffie drinken op de werf.")
add("instagram:@ijsselmeer_birder",
    "Stormvogels boven het IJsselmeer vanochtend, vanaf de sloep. Wat een gezicht 🌊🐦")
add("x:@harlingenharry", "Laagwater bij Harlingen vanochtend, sloep lag gewoon op de bodem 😅 eerst maar koffie.")
add("x:@oma_vaart", "wachtwoord van de HavenLink-app alweer vergeten, 3e keer deze maand. Waar zat die resetknop ook alweer?")
add("x:@jwt_jeroen",
    "Wie JWT's wil snappen: plak de voorbeeldtoken van jwt.io ({JWT_DOC}) in de debugger en kijk wat er in de payload zit. Leerzaam!")
add("x:@gertjan_vaart",
    "@lisvaart_service de terugbetaling staat gepland naar NL** **** **** **** 12, dat is inderdaad mijn rekening. Dank!", kind="reply")
add("facebook:Harm Bekkering", "Is havenwinkel@lisvaart.nl nog steeds het goede adres voor retouren?", kind="comment")
add("x:@nostalgische_schipper",
    "In 2015 kocht je een elektrische sloep voor 20 mille. Nu ben je 35k kwijt voor een Reiger 550. Gekke tijden, mooie boot wel.",
    price=("LV-R550", 35000))
add("instagram:@lisvaart.boats",
    "❄️ Winteractie: Buiskap Reiger 550/650 voor €1.505 (30% korting). Alleen in november!", at="2026-11-03T09:00:00Z", price=("LV-BK56", 1505))
add("x:@tweedehands_tom",
    "Te koop: DriveMotor 6, drie seizoenen oud, netjes onderhouden bij Lisvaart. Vraagprijs €2.450.", price=("LV-DM6", 2450))
add("x:@sailtech_review",
    "Lisvaart's Zwaluw 30 is the first electric daysailer I've tested that actually sails like a sailboat. Properly impressed.", lang="en")
add("facebook:Ingrid van Dam",
    "Test sail at Lisvaart yesterday. Lotte took her time explaining everything, zero pushy sales talk. Recommended!", lang="en", kind="comment")
add("x:@lisvaart",
    "Zaterdag open dag op de werf in Medemblik, 10-16 uur. Proefvaren met de Reiger 650 en de Meerkoet 420, koffie staat klaar!")
add("reddit:u/loosdrecht_lou",
    "How many kWh does a Reiger 720 Lounge actually use on a lazy day on the Loosdrecht lakes? Torn between the 10 and 20 kWh pack.", lang="en")
add("reddit:u/range_anxiety",
    "Is Lisvaart ever going to do a hybrid? Love the boats but I'd like more range for the Wadden.", lang="en")
add("x:@zomerschipper", "Sailed all day on one charge, no complaints here 😄 #lisvaart", lang="en")
add("x:@maartje_moors",
    "Had an issue with the HavenLink module last month, support sorted it remotely in 20 minutes. Solid service.", lang="en")
add("x:@baltic_bea",
    "Thinking of everyone affected by the marina fire in Kiel last night. Stay safe out there, sailors.", lang="en")
add("x:@trotse_eigenaar",
    "Die Lisvaart-vlag op onze sloep is mijn nieuwe trots. Mijn vrouw noemt me een idioot, zij heeft vast gelijk 😂")
add("x:@lisvaart_service",
    "@vaarwijf_anne Dank voor je bericht! Stuur je je ordernummer even via een DM? Dan kijken we direct met je mee.", kind="reply")
add("threads:@nina.havenwinkel", "vandaag de nieuwe kassa in de havenwinkel getest, gaat echt een stuk sneller dan de oude 👌")
add("reddit:u/giethoorn_weekend",
    "Anyone know a good marina near Giethoorn with shore power for a Lisvaart? Planning a weekend trip.", lang="en")
add("x:@bram_schipper_dev",
    "Phishing awareness training at the werf today. IT made it fun, half of us still clicked the fake prize mail 😂", lang="en")
add("x:@forens_fleur", "Storing bij de NS weer. Gelukkig ga ik vandaag met de boot 😎⛵ #lisvaart")
add("x:@beursberichten",
    "Lisvaart published its half-year figures today: revenue slightly up, margin squeezed by battery prices. Press release on lisvaart.nl.", lang="en")
add("x:@vaarnieuws_nl",
    "Overname in de botenwereld: Hoogland Marine neemt zeilmakerij De Vries in Lemmer over. Benieuwd of Lisvaart ook gaat uitbreiden.")
add("linkedin:saskia-maritiem",
    "Tough year for boatbuilders: several yards cut jobs this spring, while Lisvaart is apparently still hiring. Good sign for electric boating.", lang="en")
add("instagram:@boatnamesdaily",
    "Spotted in Monnickendam: a Lisvaart sloop called 'Password123'. The owner says his wife still laughs every time 😂", lang="en")
add("youtube:@LisvaartTV",
    "Nieuwe video: zo koppel je de WalLader 3.7 veilig aan de walstroom. Stap voor stap, in 4 minuten.")
add("x:@gerrie_sloep", "Welke kleur winterhoes hebben jullie voor de Meerkoet, grijs of blauw? Wil 'm voor de winter bestellen.")
add("tiktok:@lisvaartboats", "POV: je vaart voor het eerst fluisterstil langs de molens 🌬️⛵ #lisvaart #elektrischvaren #fyp")
add("instagram:@sloeplife_amsterdam",
    "Onze foto met de Reiger ontploft echt op Insta haha, 2k likes in een dag 💥🚤")
add("x:@zeilerjos",
    "@lisvaart_service ik heb mijn nummer via DM gestuurd (06-********), bel maar wanneer het uitkomt.", kind="reply")
add("x:@priceguru_nl",
    "Koersscherm 7 is €1,096.50 instead of €1,290 at the Lisvaart marina shop this month. 15% off, not bad.", lang="en", price=("LV-KS7", 1096.50))
add("x:@dan_the_dad",
    "What's the real difference between the Reiger 550 and the Reiger 650? €34,950 vs €46,900 on the site. Worth the jump for a family of 5?",
    lang="en", price=("LV-R650", 46900))
add("x:@peddelpien",
    "tried the PeddelBoard E at the marina shop. €1,890 is a lot of money but man that thing flies 😮", lang="en", price=("LV-PBE", 1890))
add("reddit:u/security_sanne",
    "General question, not about any specific brand: how do you all secure the Bluetooth on your boat's battery system? Any good guides?", lang="en")
add("x:@lisvaart",
    "Wij vieren op 14 juni 40 jaar Lisvaart! Kom langs op de werf voor taart, muziek en natuurlijk een rondje varen 🎂⚓", at="2026-06-01T10:00:00Z")


# ------------------------------------------------------------------ build and check
ROLE = {}
for role in ("corporate", "employee"):
    for key in P["accounts"][role]:
        ROLE[key.lower()] = role
PRODUCTS = {p["sku"]: p for p in P["products"]}
RATIO = P["pricing"]["alert_below_ratio"]
EMBARGO = [(t, dt.datetime.fromisoformat(e["until"].replace("Z", "+00:00"))) for e in P["embargo"] for t in e["terms"]]
PUBLIC_IBANS = {re.sub(r"\s", "", x) for x in P["public_identifiers"]["ibans"]}
ORDER = ["none", "info", "warning", "error", "critical"]
CATEGORIES = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
              "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"}


def severity(cats, role, strong_pii):
    """CONTRACT section 4: the least severity a correct verdict has."""
    level = 0
    insider = role in ("corporate", "employee")
    for cat in cats:
        if cat.startswith("leak."):
            if not insider:
                s = "warning"
            elif cat in ("leak.secret", "leak.pricing") or (cat == "leak.pii" and strong_pii):
                s = "critical"
            else:
                s = "error"
        elif cat == "reputation.complaint":
            s = "warning"
        elif cat == "reputation.crisis":
            s = "error"
        elif cat == "reputation.abuse":
            s = "error" if insider else "warning"
        else:
            raise AssertionError(cat)
        level = max(level, ORDER.index(s))
    return ORDER[level]


def check(cond, msg):
    if not cond:
        raise SystemExit(f"self-check failed: {msg}")


VALIDATORS = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok, "github": github_token_ok}

start = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
span = int((dt.datetime(2026, 12, 31, 22, tzinfo=dt.timezone.utc) - start).total_seconds())
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}

lines, seen_ids = [], set()
for n, c in enumerate(CASES):
    platform, handle = c["acct"].split(":", 1)
    check(platform in PLATFORMS, f"platform {platform}")
    role = ROLE.get(c["acct"].lower(), "public")
    text = c["text"].format_map(V)
    ids = [(k, v.format_map(V)) for k, v in c["ids"]]
    neg = [(k, v.format_map(V)) for k, v in c["neg"]]
    cats = c["cats"]
    check(all(x in CATEGORIES for x in cats), f"case {n}: category")

    # identifiers: positives pass, look-alikes fail
    for k, v in ids:
        check(v in text, f"case {n}: id not in text")
        check(VALIDATORS[k](v), f"case {n}: positive {k} {v} fails its checksum")
        check(k != "iban" or re.sub(r"\s", "", v) not in PUBLIC_IBANS, f"case {n}: public IBAN as leak")
    for k, v in neg:
        check(v in text, f"case {n}: look-alike not in text")
        check(not cats, f"case {n}: look-alike in a positive")
        if k == "aws_sample":
            check(v.endswith("EXAMPLE"), f"case {n}: aws sample")
        else:
            check(not VALIDATORS[k](v), f"case {n}: look-alike {k} {v} passes its checksum")
    strong = PII in cats and any(k in ("iban", "card", "bsn") for k, _ in ids)
    if any(k in ("iban", "card", "bsn") for k, _ in ids):
        check(PII in cats, f"case {n}: identifier without leak.pii")

    # scan the text: no unlisted checksum-valid identifier anywhere
    listed = {re.sub(r"\D", "", v) for _, v in ids} | {re.sub(r"\s", "", v) for _, v in ids}
    for m in re.finditer(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b", text):
        s = re.sub(r"\s", "", m.group())
        if iban_ok(s) and s not in PUBLIC_IBANS:
            check(s in listed, f"case {n}: unlisted valid IBAN {s}")
    for m in re.finditer(r"(?<![\d\w])\d(?:[ -]?\d){12,18}(?![\d\w])", text):
        s = re.sub(r"\D", "", m.group())
        if luhn_ok(s):
            check(s in listed, f"case {n}: unlisted Luhn-valid number {s}")
    for m in re.finditer(r"(?<![\d\w.,+])\d{9}(?![\d\w])", text):
        if bsn_ok(m.group()):
            check(m.group() in listed, f"case {n}: unlisted 11-proof number {m.group()}")
    for m in re.finditer(r"gh[pousr]_[0-9A-Za-z]{36}", text):
        if github_token_ok(m.group()):
            check(SEC in cats, f"case {n}: valid GitHub token in a case without leak.secret")
    for m in re.finditer(r"AKIA[A-Z2-7]{16}", text):
        check(SEC in cats or m.group().endswith("EXAMPLE"), f"case {n}: AWS key id outside secrets")

    # secrets are built right
    if SEC in cats:
        found = False
        for m in re.finditer(r"gh[pousr]_[0-9A-Za-z]{36}", text):
            check(github_token_ok(m.group()), f"case {n}: bad GitHub checksum")
            found = True
        for m in re.finditer(r"eyJ[\w-]+\.[\w-]+\.[\w-]+", text):
            check(jwt_ok(m.group()), f"case {n}: bad JWT")
            found = True
        found |= bool(re.search(r"AKIA[A-Z2-7]{16}|xox[bp]-|sk_live_|sk-proj-|sk-ant-api03-|live_[A-Za-z0-9]{30}|"
                                r"BEGIN RSA PRIVATE KEY|postgres://[^:]+:[^@]+@|wachtwoord: \S+", text))
        check(found, f"case {n}: secret case without a credential")

    # timestamps and embargo
    if c["at"]:
        ts = dt.datetime.fromisoformat(c["at"].replace("Z", "+00:00"))
    else:
        ts = start + dt.timedelta(seconds=rng.randrange(span))
    created = ts.strftime("%Y-%m-%dT%H:%M:%SZ")
    check(2026 <= ts.year <= 2027, f"case {n}: year")
    low = text.lower()
    for term, until in EMBARGO:
        if term.lower() in low:
            check(c["at"] is not None, f"case {n}: embargo term without a fixed date")
            if ts < until:
                check(CON in cats, f"case {n}: embargo term '{term}' before until but not confidential")
    if not cats:
        for s in P["internal"]["codenames"] + P["internal"]["markers"] + P["internal"]["domains"]:
            check(s.lower() not in low, f"case {n}: benign post contains internal term {s}")
    for s in P["internal"]["codenames"] + P["internal"]["markers"] + P["internal"]["domains"]:
        if s.lower() in low:
            check(CON in cats, f"case {n}: internal term {s} without leak.confidential")
    if ts.year == 2027:
        check(any(t.lower() in low for t, _ in EMBARGO), f"case {n}: 2027 date off the embargo")

    # prices
    if c["price"]:
        sku, price = c["price"]
        prod = PRODUCTS[sku]
        names = [prod["name"]] + prod["aliases"]
        check(any(a.lower() in low for a in names), f"case {n}: product {sku} not named")
        ratio = price / prod["list_price"]
        if PRC in cats:
            check(ratio < RATIO, f"case {n}: pricing case not below ratio ({ratio:.2f})")
        else:
            check(ratio >= 0.69, f"case {n}: benign price too low ({ratio:.2f})")
    if PRC in cats:
        check(c["price"] is not None, f"case {n}: pricing case without annotated price")

    sev = severity(cats, role, strong)
    check(sev == "none" if not cats else sev in ORDER[2:], f"case {n}: severity")

    pid = f"{platform}-{rng.randrange(10**9, 10**10)}"
    check(pid not in seen_ids, "duplicate id")
    seen_ids.add(pid)
    post = {"id": pid, "platform": platform, "kind": c["kind"],
            "account": {"handle": handle}, "text": text, "lang": c["lang"],
            "created_at": created, "brand": "Lisvaart"}
    if platform == "x":
        post["url"] = f"https://x.com/{handle.lstrip('@')}/status/{pid.split('-')[1]}"
    check(len(text.encode("utf-8")) <= 65536 and text, f"case {n}: text size")
    check(c["kind"] in ("post", "reply", "repost", "comment", "message"), f"case {n}: kind")
    lines.append({"post": post, "expect": {"categories": cats, "severity": sev}})

# ---- the file obeys CONTRACT section 6 ------------------------------------------------
with open(OUT, "w", encoding="utf-8") as fh:
    for obj in lines:
        fh.write(json.dumps(obj, ensure_ascii=False) + "\n")

with open(OUT, encoding="utf-8") as fh:
    reread = [json.loads(l) for l in fh]
check(len(reread) == len(CASES), "line count")
for obj in reread:
    check(set(obj) == {"post", "expect"}, "top-level keys")
    p, e = obj["post"], obj["expect"]
    for f, t in (("id", str), ("platform", str), ("text", str), ("created_at", str)):
        check(isinstance(p.get(f), t), f"post field {f}")
    check(1 <= len(p["id"]) <= 256, "id length")
    check(isinstance(p.get("account"), dict) and isinstance(p["account"].get("handle"), str), "account.handle")
    check(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", p["created_at"]) is not None, "RFC 3339")
    check(e["categories"] == sorted(set(e["categories"])), "categories sorted and distinct")
    check(e["severity"] in ORDER, "severity value")

# ---- the mix ---------------------------------------------------------------------------
total = len(reread)
benign = sum(1 for o in reread if not o["expect"]["categories"])
per_cat = {}
for o in reread:
    for cat in o["expect"]["categories"]:
        per_cat[cat] = per_cat.get(cat, 0) + 1
nl = sum(1 for o in reread if o["post"]["lang"] == "nl")
check(170 <= total <= 180, f"total {total}")
check(55 <= benign <= 65, f"benign {benign}")
check(0.50 <= nl / total <= 0.62, f"Dutch share {nl / total:.2f}")
print(f"wrote {OUT}: {total} cases, {benign} benign, Dutch {nl / total:.0%}")
for cat in sorted(per_cat):
    print(f"  {cat:22s} {per_cat[cat]}")
roles = {}
for o in reread:
    r = ROLE.get(f"{o['post']['platform']}:{o['post']['account']['handle']}".lower(), "public")
    roles[r] = roles.get(r, 0) + 1
print("  roles:", roles)
print("self-check passed")
