#!/usr/bin/env python3
"""Held-out evaluation set sealed415 for postwatch.

Fictional company: Orvanta Zorgsoftware B.V., maker of the electronic health record
(HIS) used by Dutch GP practices.  Writes cases.jsonl next to this file and checks it.

Deterministic: one fixed seed; standard library + PyYAML only.  Severities are never
typed by hand: they are derived from the labelled categories and the account role the
profile gives the author (CONTRACT section 4).
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

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 415_2026
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# ---------------------------------------------------------------- categories
SEC, PII, PRC, CONF, FIN, SECU = ("leak.secret", "leak.pii", "leak.pricing",
                                  "leak.confidential", "leak.financial", "leak.security")
CRI, CMP, ABU = "reputation.crisis", "reputation.complaint", "reputation.abuse"
TAXONOMY = {SEC, PII, PRC, CONF, FIN, SECU, CRI, CMP, ABU, "reputation.spike"}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
SEVERITIES = ["none", "info", "warning", "error", "critical"]

# ---------------------------------------------------------------- checksums
ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(bank):
    bban = bank + "".join(str(rng.randrange(10)) for _ in range(10))
    n = int("".join(str(int(c, 36)) for c in bban + "NL00"))
    return "NL%02d%s" % (98 - n % 97, bban)


def luhn_ok(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def make_card(prefix):
    body = prefix + "".join(str(rng.randrange(10)) for _ in range(15 - len(prefix)))
    for c in "0123456789":
        if luhn_ok(body + c):
            return body + c
    raise AssertionError


def bsn_ok(s):
    d = re.sub(r"\D", "", s)
    if len(d) != 9 or d[0] == "0" and d[1] == "0":
        return False
    tot = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return tot % 11 == 0


def make_bsn():
    while True:
        d = [rng.randrange(1, 7)] + [rng.randrange(10) for _ in range(7)]
        r = sum(d[i] * (9 - i) for i in range(8)) % 11
        if r < 10:
            return "".join(map(str, d + [r]))


def flip_digit(s, pos_from_end):
    """Change one digit (counted from the end among digits): breaks mod-97, Luhn and 11-proof."""
    chars = list(s)
    idx = [i for i, c in enumerate(chars) if c.isdigit()][-pos_from_end]
    chars[idx] = str((int(chars[idx]) + 3) % 10)
    return "".join(chars)


def grp(s, n=4):
    return " ".join(s[i:i + n] for i in range(0, len(s), n))


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out or "0"


def rand(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def gh_token(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode())).rjust(6, "0")


def gh_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def rbytes(n):
    return bytes(rng.getrandbits(8) for _ in range(n))


def make_jwt(payload):
    head = b64u(json.dumps({"alg": "RS256", "typ": "JWT", "kid": "fhir-2026-03"},
                           separators=(",", ":")).encode())
    body = b64u(json.dumps(payload, separators=(",", ":")).encode())
    return head + "." + body + "." + b64u(rbytes(256))


def openssh_key(comment):
    def s(b):
        return struct.pack(">I", len(b)) + b
    pub, priv = rbytes(32), rbytes(32)
    pubblob = s(b"ssh-ed25519") + s(pub)
    chk = rbytes(4)
    sec = chk + chk + s(b"ssh-ed25519") + s(pub) + s(priv + pub) + s(comment.encode())
    sec += bytes(range(1, 1 + (-len(sec)) % 8))
    blob = (b"openssh-key-v1\0" + s(b"none") + s(b"none") + s(b"") + struct.pack(">I", 1)
            + s(pubblob) + s(sec))
    b64 = base64.b64encode(blob).decode()
    lines = [b64[i:i + 70] for i in range(0, len(b64), 70)]
    return ("-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines)
            + "\n-----END OPENSSH PRIVATE KEY-----")


# ---------------------------------------------------------------- generated identifiers
IBAN_MITCHELL = make_iban("INGB")
IBAN_HOEKSTRA = make_iban("ABNA")
IBAN_PHISH_BAD = flip_digit(make_iban("BUNQ"), 3)             # fails mod-97
IBAN_OWN_TYPO = flip_digit(PROFILE["public_identifiers"]["ibans"][0], 2)  # fails mod-97
CARD_LUCY = make_card("5")
CARD_CHAT = make_card("4")
CARD_BAD = flip_digit(make_card("4"), 5)                      # fails Luhn
BSN_ILSE = make_bsn()
BSN_TIM = make_bsn()
BSN_DEWIT = make_bsn()
BSN_MULDER = make_bsn()
BSN_BAD = flip_digit(make_bsn(), 4)                           # fails 11-proof

GHP_1 = gh_token("ghp_")
GHS_1 = gh_token("ghs_")
AWS_ID_1 = "AKIA" + rand(B32, 16)
AWS_SECRET_1 = rand(ALNUM + "+/", 40)
AWS_ID_2 = "AKIA" + rand(B32, 16)
STRIPE_1 = "sk_live_" + rand(ALNUM, 24)
SLACK_1 = "xoxb-%d-%d-%s" % (rng.randrange(10**11, 10**12), rng.randrange(10**12, 10**13),
                              rand(ALNUM, 24))
OPENAI_1 = "sk-proj-" + rand(ALNUM + "-_", 74) + "T3BlbkFJ" + rand(ALNUM + "-_", 74)
ANTHROPIC_1 = "sk-ant-api03-" + rand(ALNUM + "-_", 93) + "AA"
GITLAB_1 = "glpat-" + rand(ALNUM + "-_", 20)
JWT_1 = make_jwt({"iss": "https://auth.orvanta.nl", "sub": "client_" + str(rng.randrange(1000, 9999)),
                  "aud": "fhir-api", "scope": "system/Patient.read system/Observation.read",
                  "iat": 1781600000, "exp": 1781603600})
PEM_1 = openssh_key("ruud@orv-lt-0417")
DB_PW = rand(ALNUM, 6) + "!" + rand(ALNUM, 5)
DB_URL = "postgres://his_sync:%s@10.12.0.41:5432/his_prod" % DB_PW
DEMO_PW = "Lente2026!" + rand(ALNUM, 4)

# ---------------------------------------------------------------- evasion helpers


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" if c == " " else c
                   for c in s)


CYR = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "y": "\u0443", "c": "\u0441", "p": "\u0440"}


def cyr(s, letters):
    return "".join(CYR[c] if c in letters else c for c in s)


ZW = "\u200b"

# ---------------------------------------------------------------- case builder
CASES = []
ID_PREFIX = {"x": "x-", "linkedin": "li-", "facebook": "fb-", "instagram": "ig-", "mastodon": "md-",
             "youtube": "yt-", "bluesky": "bs-", "threads": "th-", "reddit": "rd-", "tiktok": "tt-",
             "forum": "fo-", "blog": "bl-"}


def rand_time():
    start = datetime(2026, 1, 2, tzinfo=timezone.utc)
    t = start + timedelta(seconds=rng.randrange(0, 362 * 86400))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def add(platform, handle, text, cats=(), lang="nl", kind="post", when=None, name=None,
        price=None):
    CASES.append(dict(platform=platform, handle=handle, text=text, cats=sorted(set(cats)),
                      lang=lang, kind=kind, when=when or rand_time(), name=name, price=price))


# ======================================================================= COMPLAINTS
add("x", "@huisarts_dekker",
    "@orvanta_support wéér storing. Spreekuur begint om 8u, het is nu 8:40 en ik krijg geen enkel "
    "journaal open. Wachtkamer zit vol. Derde keer deze maand!!", [CMP], kind="reply")
add("facebook", "Praktijk De Linde Oosterhout",
    "Sinds de update van dinsdag komen onze recepten niet meer aan bij de apotheek. Patiënten "
    "staan voor niks aan de balie. Helpdesk zegt 'we kijken ernaar'... al drie dagen. "
    "Hoe lang nog?", [CMP], kind="comment")
add("x", "@dr_okafor_nl",
    "Orvanta's e-consult screen keeps logging me out mid-reply. Lost a 400 word answer to a "
    "patient TWICE today. Does anyone there actually test this stuff", [CMP], lang="en")
add("x", "@assistente_anouk",
    "45 min in de wacht bij de Orvanta helpdesk. 45 MINUTEN. dat muziekje zit nu permanent in "
    "mn hoofd 🙃 #doktersassistent #maandag", [CMP])
add("reddit", "u/poh_marloes",
    "Vraagje aan mede-POH'ers: hebben jullie ook dat de ketenzorgmodule van Orvanta sinds "
    "januari alle HbA1c-uitslagen dubbel inleest? Ik loop alles handmatig na, kost me uren per "
    "week. Ticket staat sinds november open, nul reactie.", [CMP], kind="post")
add("x", "@expat_in_utrecht",
    "4th attempt to book a GP appointment in the Orvanta patient app. spins forever, then "
    "'something went wrong'. called the practice instead, 25 min queue. great app guys 👏",
    [CMP], lang="en")
add("facebook", "Hans Verbeek",
    "Die app van jullie is echt om te huilen. Herhaalrecept aanvragen lukt NOOIT en mijn "
    "huisarts zegt dat het aan Orvanta ligt en niet aan hun. Dus wie moet ik nou bellen?",
    [CMP], kind="comment")
add("linkedin", "marjolein-sluiter-praktijkmanager",
    "Factuur van Orvanta deze maand ineens 38% hoger, zonder enige aankondiging vooraf. Op "
    "navraag: 'indexatie en een nieuwe modulestructuur'. Dat had ik graag vóór de incasso "
    "gehoord. Teleurgesteld in deze leverancier, na 9 jaar klant.", [CMP])
add("mastodon", "@gpdev@mastodon.nl",
    "The Orvanta billing export still produces files the insurer rejects line by line with a "
    "Vektis error. Our practice hasn't been paid for 2 months of consults. Support says "
    "'known issue'. Known since when exactly?", [CMP], lang="en")
add("x", "@dokter_bram",
    "kan iemand van @orvanta_nl uitleggen waarom de spraakmodule 'hoofdpijn' steevast als "
    "'koffiebijn' noteert 😂 nee serieus, ik typ elke notitie opnieuw over, waar betaal ik "
    "eigenlijk voor", [CMP])

# complaint + abuse
add("x", "@boos_op_zorg",
    "Orvanta stelletje incapabele klootzakken, 4e storing deze week en m'n moeder kon haar "
    "medicatie niet ophalen. Steek dat 'we werken aan een oplossing' maar ergens waar de zon "
    "niet schijnt", [CMP, ABU])
add("x", "@nhs_refugee_gp",
    "Dear @orvanta_support, your lab import is shit, your helpdesk is shit and your account "
    "manager is a lying prick. Fix the results import by Friday or we're gone.",
    [CMP, ABU], lang="en", kind="reply")
add("facebook", "Ricardo Vos",
    "Orvanta is echt een k.a.n.k.e.r.bedrijf. 3x een herhaalrecept aangevraagd via die app "
    "en 3x 'kwijt'. Ik ben er klaar mee.", [CMP, ABU], kind="comment")

# complaint + personal data (customer exposing own data)
add("x", "@w_koster",
    "@orvanta_support ik word al 2 dagen niet teruggebeld over mijn inlogprobleem in de app. "
    "Bel me nou gewoon even: 06-48213975, ben de hele dag thuis.", [CMP, PII], kind="reply")
add("facebook", "Sarah Mitchell",
    "Orvanta charged my videoconsult twice and nobody answers the chat. Please refund to "
    f"{grp(IBAN_MITCHELL)} (S. Mitchell). Today please, not in 'up to 30 days'.",
    [CMP, PII], lang="en", kind="comment")

# crisis + complaint: first-hand safety
add("x", "@huisarts_vermeulen",
    "Orvanta Recept rekende vanmorgen voor een kind van 4 de amoxicillinedosering voor een "
    "volwassene uit. Apotheek ving het gelukkig op, maar dit had echt mis kunnen gaan. Melding "
    "bij de IGJ gedaan. Hoe is dit mogelijk?!", [CRI, CMP])
add("facebook", "Huisartsenpraktijk Het Anker Zwolle",
    "Vanochtend kwam er rook uit onze aanmeldzuil van Orvanta, midden in de wachtkamer. "
    "Brandmelder af, wachtkamer ontruimd, stekker eruit. Niemand gewond maar we zijn flink "
    "geschrokken. Wij willen vandaag nog een reactie @OrvantaZorgsoftware", [CRI, CMP])
add("x", "@bp_tracker_dad",
    "My dad got a proper electric shock off the Orvanta Thuismeter charging cable this "
    "morning, hand still tingling. His GP gave it to him for home monitoring ffs. It's "
    "unplugged and going back.", [CRI, CMP], lang="en")
add("x", "@karin_dm2",
    "Door een fout in de app van Orvanta stond mijn insulinedosering 10x te hoog in mijn "
    "medicatieoverzicht!! Had ik het niet nagerekend dan lag ik nu op de IC. Zit nog steeds "
    "te trillen. Onacceptabel.", [CRI, CMP])
add("reddit", "u/ruralgp_drenthe",
    "PSA from a GP: Orvanta's allergy alert did NOT fire for a patient with a documented "
    "penicillin allergy. I prescribed, she reacted within the hour and ended up in A&E. She's "
    "ok now. Incident report filed. Check your alert settings, people.", [CRI, CMP], lang="en")

# ======================================================================= CRISIS
add("x", "@zorgictwatcher",
    "Bronnen melden dat bij Orvanta dossiers van tienduizenden huisartspatiënten zijn "
    "buitgemaakt. Orvanta zwijgt. Als dit klopt is dit een van de grootste zorglekken ooit. "
    "#datalek #privacy", [CRI])
add("x", "@huisartsenactie",
    "Collega-huisartsen: zeg je Orvanta-contract op. Zolang ze storingen en lekken blijven "
    "ontkennen geen cent meer van ons. Deel dit! #BoycotOrvanta", [CRI])
add("x", "@healthtech_eu_news",
    "Dutch GP cooperative sues EHR vendor Orvanta over repeated outages and lost "
    "prescription data, seeking €4.2m in damages. Hearing set for spring.", [CRI], lang="en")
add("facebook", "Omroep Veluwe Nieuws",
    "Huisartsenpost Veluwe moest vannacht terug naar pen en papier: het systeem van "
    "leverancier Orvanta lag urenlang plat. Een patiënt met pijn op de borst wachtte daardoor "
    "ruim een uur op triage, meldt de HAP.", [CRI])
add("x", "@patientenbelang_nl",
    "Meerdere meldingen dat de Orvanta Thuismeter veel te lage bloeddrukwaarden geeft. Wij "
    "roepen op tot een terugroepactie. Gebruikt u deze meter? Laat uw waarden nameten bij uw "
    "huisarts.", [CRI])
add("linkedin", "dr-elaine-brooks",
    "Seriously worrying: two colleagues report that the Orvanta patient app showed one "
    "patient's lab results in another patient's account. If true, that is a massive privacy "
    "breach. Has anyone else seen this?", [CRI], lang="en")
add("reddit", "u/ict_huisartsen_nh",
    "Staat vandaag in de krant: de Autoriteit Persoonsgegevens onderzoekt Orvanta omdat ze "
    "dossiers van overleden patiënten jarenlang zonder grondslag bewaren. Dit gaat een "
    "boete worden vrees ik.", [CRI])
add("x", "@tech_reporter_jm",
    "Hearing that Orvanta check-in kiosks overheated at three GP practices this week, one "
    "with a melted casing. No statement from the company yet.", [CRI], lang="en")
add("tiktok", "@zorgmetzoe",
    "STORYTIME 😭 mijn huisarts schreef me medicijnen voor waar ik allergisch voor ben omdat "
    "het systeem (Orvanta heet het) mijn allergie 'kwijt' was. Geëindigd op de SEH. Mensen "
    "CHECK je dossier!!", [CRI, CMP])
add("bluesky", "@privacyfirst.bsky.social",
    "Per a leaked contract, Orvanta quietly shares 'pseudonymised' GP records with a US "
    "analytics firm. Patients were never asked. This is a scandal.", [CRI], lang="en")

# ======================================================================= ABUSE
add("x", "@frustro88",
    "@orvanta_nl jullie zijn echt de grootste sukkels van Nederland en die CEO van jullie is "
    "een graaiende parasiet", [ABU], kind="reply")
add("x", "@jeroen_1977",
    "@mirjam_vdlaan hou je bek toch wijf, je weet niet eens hoe je eigen systeem werkt",
    [ABU], kind="reply")
add("x", "@anon_rage_22",
    "whoever runs @orvanta_support should be fired into the sun. useless fucking morons the "
    "lot of you", [ABU], lang="en")
add("facebook", "Gerrit de Boer",
    "Bel ik Orvanta, krijg ik wéér zo'n hoofddoek aan de lijn die geen woord fatsoenlijk "
    "Nederlands spreekt. Stuur ze allemaal terug.", [ABU], kind="comment")
add("reddit", "u/throwaway_hisrage",
    "Orvanta devs are a bunch of brain-dead monkeys. Whole team couldn't code their way out of "
    "a paper bag, fucking retards.", [ABU], lang="en", kind="comment")
add("instagram", "@dennis.xx",
    "die nieuwe reclame van jullie 🤮🤮 wat een kutkoppen allemaal", [ABU], kind="comment")
add("x", "@samir_orvanta",
    "@bozepatient77 ga lekker ergens anders janken, mongool", [ABU], kind="reply")
add("x", "@ghost_gp",
    "Orvanta = " + fullwidth("fucking clowns") + ". every single one of you.", [ABU], lang="en")
add("x", "@zorgboos",
    "die helpdeskers van Orvanta zijn " + cyr("kanker", "a") + "lijers allemaal, "
    + cyr("tyfus", "y") + "volk", [ABU])

# ======================================================================= CONFIDENTIAL
add("bluesky", "@ruudkramer.bsky.social",
    "Finally demoed Project Zwaluw to the leadership team. Once this goes live we're years "
    "ahead of the rest of the market 🚀", [CONF], lang="en")
add("linkedin", "nadia-bouzid-pm",
    "Proud of my team: Kolibrie passed its first clinical validation round today. Can't say "
    "much yet, but GP workflows are about to change. More soon 💜", [CONF], lang="en")
add("x", "@joost_devops",
    "wie heeft er nou wéér https://jira.orvanta.nl/secure/Dashboard.jspa?selectPageId=10412 "
    "in de klantenchat geplakt 🤦 die is niet voor klanten jongens", [CONF])
add("threads", "@ilse.implementatie",
    "Slide uit de klantpresentatie van vandaag, zijn jullie ook zo fan van de nieuwe "
    "huisstijl? 😍 (rechtsonder staat nog 'Orvanta Confidential - do not distribute' oeps "
    "haha)", [CONF])
add("x", "@mirjam_vdlaan",
    "Handig voor collega's: de nieuwe support-runbooks staan op "
    "wiki.orvanta.internal/support/runbooks-2026 😊 graag vóór maandag lezen!", [CONF])
add("x", "@hisleaks",
    "Got my hands on an Orvanta deck. Slide 12: 'Operatie Sneeuwklok: alle klanten naar "
    "Azure, geen opt-out'. Footer says 'alleen intern'. Thoughts, GPs?", [CONF], lang="en")
add("linkedin", "koen-hendriks-orvanta",
    "Volgende maand lanceren we Orvanta Praktijk 6 en ik heb 'm al bij drie pilotpraktijken "
    "zien draaien. Jongens, wat een sprong vooruit. Stay tuned!", [CONF],
    when="2026-12-08T10:14:00Z")
add("x", "@orvanta_nl",
    "Sneak peek 👀 Orvanta Spraak Live is coming: real-time consult notes straight into the "
    "journal. Who wants in? 🙋", [CONF], lang="en", when="2027-01-12T15:30:00Z")
add("instagram", "@femke.werkt",
    "Shoot for the Kolibrie campaign today! Can't show anything yet but 🤫📸 "
    "#behindthescenes #marketinglife", [CONF], lang="en")
add("bluesky", "@ruudkramer.bsky.social",
    "Sprint review: P" + ZW + "roject Zwa" + ZW + "luw fase 2 akkoord 🎉 bier om 4 uur", [CONF])
add("reddit", "u/anon_insider_his",
    "Ik zeg niks, maar kijk maar eens wat er dit voorjaar gebeurt met "
    "O.p.e.r.a.t.i.e S.n.e.e.u.w.k.l.o.k. Jullie praktijk gaat dat merken.", [CONF],
    kind="comment")
add("mastodon", "@lotte_b@infosec.exchange",
    "Note to self: never paste a config from vpn.orvanta.nl into a public gist again 😬 "
    "(deleted within a minute, but still)", [CONF], lang="en")
add("linkedin", "nadia-bouzid-pm",
    "Een kijkje in onze roadmap 2027 (alleen intern, dus niet verder delen 😉): Q1 koppeling "
    "met alle ziekenhuizen in regio Utrecht, Q2 AI-triage in de app, Q3 volledig nieuwe "
    "agenda.", [CONF])
add("x", "@lekkerlekken",
    fullwidth("KOLIBRIE") + " van Orvanta is gewoon een ChatGPT-wrapper, heb de demo gezien "
    "🤷", [CONF])
add("linkedin", "bart-wessels-finance",
    "Mooi moment op kantoor vandaag: de jaarcijfers 2026 komen ruim boven budget uit, omzet "
    "+18%. Trots op dit team!", [CONF, FIN], when="2026-12-18T16:05:00Z")
add("x", "@samir_orvanta",
    "Q4-resultaten look 🔥 best quarter ever for new practice signups. Can't share the "
    "numbers yet 😉", [CONF, FIN], lang="en", when="2027-02-20T11:42:00Z")
add("x", "@joost_devops",
    "HIS-8812 op jira.orvanta.nl: SQL-injectie in de patiëntzoekfunctie, nog steeds niet "
    "gepatcht. Wie pakt 'm op? Dit moet eigenlijk vandaag.", [CONF, SECU])
add("bluesky", "@ruudkramer.bsky.social",
    "Just pushed the last commit to git.orvanta.internal/his/kolibrie-core before the "
    "holidays. See y'all in January 🎄", [CONF], lang="en", when="2026-12-23T17:20:00Z")

# ======================================================================= FINANCIAL
add("x", "@joost_devops",
    "Net uit de all-hands: 60 man eruit bij support en implementatie, kantoor Utrecht gaat "
    "dicht. Nog niet naar buiten gebracht. Ben er stil van.", [FIN])
add("linkedin", "koen-hendriks-orvanta",
    "Exciting times. Can't say much, but we'll soon be joining forces with a big German "
    "player in health IT. Term sheet signed last week 🤝", [FIN], lang="en")
add("reddit", "u/zwager_bij_orvanta",
    "Mijn zwager werkt bij Orvanta: ze worden overgenomen door MediCore Group, deal wordt in "
    "maart bekendgemaakt. Zegt het voort (of juist niet lol)", [FIN], kind="comment")
add("x", "@samir_orvanta",
    "Sales forecast for 2027 is locked at 31M, 40% growth. If we hit that the whole sales "
    "team goes to Ibiza 🍾🍾", [FIN], lang="en")
add("x", "@fin_whisperer",
    "Orvanta's PE owner is quietly shopping the company around at ~9x revenue, per two people "
    "involved. First-round bids due in April.", [FIN], lang="en")
add("linkedin", "bart-wessels-finance",
    "Saying goodbye to a wonderful team: our finance back office moves to a shared service "
    "centre in Poland on 1 July. Colleagues will hear it officially tomorrow.", [FIN],
    lang="en")
add("threads", "@ilse.implementatie",
    "zit net bij mn teamlead... ze schrappen het hele implementatieteam in België 😢 niemand "
    "weet het nog, mag het eigenlijk niet zeggen", [FIN])
add("mastodon", "@lotte_b@infosec.exchange",
    "Board meeting today: H1 revenue came in 12% under plan, so hiring freeze from Monday. "
    "Not public yet, please don't quote me.", [FIN], lang="en")
add("x", "@beursmol",
    "Hoor van iemand bij de bank dat Orvanta een noodkrediet van 15 miljoen nodig heeft om de "
    "zomer door te komen. Staat nog nergens.", [FIN])
add("x", "@mirjam_vdlaan",
    "Heads up support crew: once the Zorgdesk acquisition closes in Q3 we merge with their "
    "helpdesk, so expect new rosters. Details Thursday 🤫", [FIN], lang="en")

# ======================================================================= SECURITY
add("x", "@joost_devops",
    "Hele nacht doorgehaald: ransomware op twee van onze backupservers. Klanten weten nog van "
    "niks, persbericht komt morgen pas. Ik ben gesloopt.", [SECU])
add("mastodon", "@lotte_b@infosec.exchange",
    "Found an auth bypass in our patient-app API today: any logged-in user can pull another "
    "patient's record just by changing the ID. Fix is in review, not disclosed yet. Wild.",
    [SECU], lang="en")
add("bluesky", "@ruudkramer.bsky.social",
    "btw de storing van vanochtend was géén 'netwerkprobleem' zoals op de statuspagina staat, "
    "iemand heeft per ongeluk de productiedatabase van cluster 3 gedropt 🙈", [SECU])
add("reddit", "u/his_dev_tim",
    "Can't go into details, but if you're a GP on Orvanta maybe don't use eConsult "
    "attachments for the next week or two. There's an issue we're still fixing where uploads "
    "are publicly reachable.", [SECU], lang="en", kind="comment")
add("x", "@mirjam_vdlaan",
    "Support-collega's: morgen 7:00 gaat het HIS in heel Noord-Nederland plat voor een "
    "noodpatch, klanten horen het pas om half 7. Sterkte allemaal ☕", [SECU])
add("threads", "@ilse.implementatie",
    "bij een klant vandaag ontdekt dat álle praktijken in de regio bij installatie hetzelfde "
    "standaard admin-wachtwoord hebben gekregen 😬 dat hangen we maar even niet aan de grote "
    "klok", [SECU])
add("x", "@samir_orvanta",
    "our phishing test wasn't a test 😅 3 people in finance handed their credentials to an "
    "actual attacker last week, IT is still cleaning up", [SECU], lang="en")
add("x", "@ex_orvanta_dev",
    "Ex-Orvanta dev here. They've known about the unencrypted backup bucket since March and "
    "still haven't fixed it. Just saying.", [SECU], lang="en")
add("linkedin", "nadia-bouzid-pm",
    "Educational weekend: our pentesters found 14 critical vulnerabilities in the new "
    "PatiëntApp release. So the release is postponed, but officially it's a 'planning "
    "change' 😉", [SECU], lang="en")
add("x", "@orvanta_support",
    "@praktijk_delinde Klopt, er is vannacht ingebroken op een van onze servers. We "
    "onderzoeken nog welke gegevens zijn ingezien. Wilt u dit voorlopig nog niet delen?",
    [SECU], kind="reply")
add("bluesky", "@ruudkramer.bsky.social",
    "lol our status page is green but the entire e-prescription pipeline has been down for 3 "
    "hours. management doesn't want to flip it 🙃", [SECU], lang="en")
add("x", "@joost_devops",
    "d4t4l3k bij 0ns: ex-coll3ga h33ft duiz3nd3n doss13rs g33xport33rd. officieel weten we "
    "van niks 🤐", [SECU])

# ======================================================================= SECRETS
add("reddit", "u/his_dev_tim",
    "why does this keep 401ing?? token was generated this morning\n\n"
    f"    curl -H \"Authorization: token {GHP_1}\" https://api.github.com/repos/orvanta/his-core",
    [SEC], lang="en")
add("bluesky", "@ruudkramer.bsky.social",
    "wie kan even meekijken, krijg AccessDenied op de bucket:\n"
    f"aws_access_key_id = {AWS_ID_1}\naws_secret_access_key = {AWS_SECRET_1}\n"
    "region = eu-central-1", [SEC])
add("reddit", "u/his_dev_tim",
    "Stripe webhook for the videoconsult payments returns 'No signatures found'. Our setup:\n"
    f"STRIPE_SECRET_KEY={STRIPE_1}\nSTRIPE_ENDPOINT=/api/pay/hook\nAny idea?", [SEC], lang="en",
    kind="comment")
add("x", "@joost_devops",
    f"our slack bot stopped posting to #alerts, any ideas? token {SLACK_1} and the "
    "chat:write scope is definitely there", [SEC], lang="en")
add("reddit", "u/freelance_integrator",
    "Integrating with the Orvanta FHIR API. Onboarding mail gave me this bearer but every "
    f"call is 403:\n\nAuthorization: Bearer {JWT_1}\n\nwhat am I missing?", [SEC], lang="en")
add("forum", "@pietdeict",
    "Voor de Orvanta-synchronisatie bij ons in de praktijk gebruik ik deze connectiestring, "
    f"maar krijg steeds een timeout:\n{DB_URL}\nFirewall staat open. Tips?", [SEC])
add("x", "@joost_devops",
    f"anyone else's OpenAI bill exploding this month? ours is {OPENAI_1} and the dashboard "
    "says 40k tokens/min from nowhere", [SEC], lang="en")
add("threads", "@ilse.implementatie",
    f"wachtwoord voor de demo-omgeving is trouwens {DEMO_PW} , handig voor de training "
    "morgen 😄", [SEC])
add("bluesky", "@ruudkramer.bsky.social",
    "nieuwe laptop, nieuwe sleutel. even testen of de opmaak hier goed gaat:\n" + PEM_1, [SEC])
add("reddit", "u/his_dev_tim",
    "Pipeline kan niet meer naar het registry pushen. In de CI-variabelen staat "
    f"GITLAB_TOKEN={GITLAB_1} , verlopen of zo?", [SEC], kind="comment")
add("linkedin", "nadia-bouzid-pm",
    "Ons Spraak-prototype draait intussen op Claude. Voor wie mee wil testen: key "
    f"{ANTHROPIC_1} (niet doorsturen pls)", [SEC])
add("mastodon", "@lotte_b@infosec.exchange",
    f"Rotated the AWS key from last night's incident, but the old {AWS_ID_2} still "
    "authenticates in eu-west-1?! we haven't told anyone outside the team yet", [SEC, SECU],
    lang="en")

# ======================================================================= PERSONAL DATA
add("x", "@mirjam_vdlaan",
    "@hvdberg_zwolle Ik heb het doorgezet: mevr. A. de Graaf, geb. 12-04-1949, Kerkstraat 14, "
    "Zwolle. Een collega belt u vandaag nog terug.", [PII], kind="reply")
add("facebook", "OrvantaZorgsoftware",
    "Beste meneer Yilmaz, we hebben uw klacht ontvangen en bellen u terug op 06 2731 8840, of "
    "we mailen naar e.yilmaz84@gmail.com als u niet opneemt.", [PII], kind="reply")
add("threads", "@ilse.implementatie",
    f"testje in productie gedaan met een échte patiënt, oeps 🙈 BSN {BSN_ILSE}, is gelukkig "
    "alweer verwijderd", [PII])
add("reddit", "u/his_dev_tim",
    "Anyone know why the mapper drops the DOB? log line:\n"
    f"Patient{{name='J. Bakker', dob='1987-09-03', bsn='{BSN_TIM}', gp='Praktijk Oost'}}",
    [PII], lang="en")
add("x", "@jan_de_wit_58",
    f"Beste @orvanta_support, mijn BSN is {BSN_DEWIT[:4]}.{BSN_DEWIT[4:6]}.{BSN_DEWIT[6:]} en "
    "ik ben geboren op 3 mei 1958. Kunnen jullie mijn dossier aan de app koppelen? Huisarts "
    "zegt dat jullie dat moeten doen.", [PII], kind="reply")
add("x", "@orvanta_support",
    f"@lucy_k_nl Thanks Lucy! Refund of €24.95 has been sent to card {grp(CARD_LUCY)}, "
    "should land within 5 working days.", [PII], lang="en", kind="reply")
add("linkedin", "bart-wessels-finance",
    "Suppliers with open invoices: this week you can reach me directly at "
    "b.wessels.prive@outlook.com or on 06-19283746.", [PII], lang="en")
add("facebook", "Marieke Hoekstra",
    "Ik heb het abonnement op de app opgezegd, dus graag GEEN afschrijvingen meer van "
    f"{IBAN_HOEKSTRA} t.n.v. M. Hoekstra. Dank.", [PII], kind="comment")
add("x", "@samir_orvanta",
    "Huge thanks to Mrs. Thea Brouwer (born 14 February 1941!) who tested our patient app at "
    "85 and found three bugs 😂 legend", [PII], lang="en")
add("x", "@joost_devops",
    "ticket 88213 iemand? patiënte Fatima El Idrissi, 0031 6 48 27 19 03, kan al een week "
    "niet inloggen en belt elk uur", [PII])
add("mastodon", "@privacy_nerd@mastodon.social",
    "Orvanta's patient app just showed me someone else's results. Name: Kees Mulder, born "
    f"22/07/1972, BSN {BSN_MULDER}. Reporting this to the AP right now.", [PII, CRI], lang="en")
add("x", "@orvanta_nl",
    "Winnaar van onze kerstpuzzel: Ingrid Scholten uit Amersfoort! 🎁 We sturen de prijs naar "
    "Zonnebloemlaan 7, 3812 AB Amersfoort.", [PII], when="2026-12-27T12:00:00Z")
add("bluesky", "@ruudkramer.bsky.social",
    f"Support forwarded me a card number a patient typed into the chat: {grp(CARD_CHAT)} exp "
    "09/28. why do people do this 😩", [PII], lang="en")

# ======================================================================= PRICING
add("x", "@praktijkmanager_ed",
    "Klopt het dat de Orvanta Zuil nu €349 kost in jullie webshop?? Lijstprijs was toch "
    "€3.490? Ik bestel er meteen twee 😅", [PRC], price=("Orvanta Zuil aanmeldkiosk", 349))
add("x", "@samir_orvanta",
    "This week only: Orvanta Praktijk Plus for €720 a year 🤯 yes really. DM me!", [PRC],
    lang="en",
    price=("Orvanta Praktijk Plus", 720))
add("linkedin", "koen-hendriks-orvanta",
    "Pricing error on our webshop: Orvanta Spraak is listed at €29.50 instead of €2,950. "
    "Fixing it now, please don't order 🙏", [PRC], lang="en", price=("Orvanta Spraak", 29.50))
add("facebook", "ICT Huisartsen Twente",
    "Tip voor collega-praktijken: de UZI-pasjeslezer van Orvanta staat voor €18,90 in de shop "
    "(normaal €189). Vast een prijsfout, wees er snel bij!", [PRC],
    price=("Orvanta UZI-pasjeslezer", 18.90))
add("reddit", "u/dealhunter_nl",
    "Orvanta Thuismeter kit for €12.90?? List is €129. Price glitch or clearance? Ordered 5 "
    "just in case.", [PRC], lang="en", price=("Orvanta Thuismeter kit", 12.90))
add("x", "@orvanta_nl",
    "🎉 Lanceringsactie: Orvanta Triage Assist nu voor maar €240 per jaar!", [PRC],
    price=("Orvanta Triage Assist", 240))
add("threads", "@ilse.implementatie",
    "Klant vroeg net of het Orvanta Migratiepakket écht €650 kost zoals in de offerte staat 😬 "
    "foutje van sales denk ik", [PRC], price=("Orvanta Migratiepakket", 650))
add("x", "@gp_budget",
    "Orvanta Dashboard at €148/yr on the price page right now. Decimal slip surely? It's "
    "€1,480 normally.", [PRC], lang="en", price=("Orvanta Dashboard", 148))
add("x", "@goedkoopzorg",
    "0rvanta Agenda voor €6,90 😂 prijsfoutje? snel zijn!", [PRC],
    price=("Orvanta Agenda", 6.90))
add("instagram", "@femke.werkt",
    "Black Friday-preview 🖤 Orvanta Signeerpad voor €49 (normaal €249)! Nog tegen niemand "
    "zeggen 🤫", [PRC], price=("Orvanta Signeerpad", 49))
add("facebook", "Dr. Ahmed Huisartsenpraktijk",
    "Just got a quote for the Orvanta Recept module: €115 per year. Your website says "
    "€1,150. Which one is it? Happy to take the cheap one 😉", [PRC], lang="en",
    kind="comment", price=("Orvanta Recept", 115))
add("x", "@huisarts_limburg",
    "Prijsfout bij Orvanta? Orvanta Cloud Backup voor €7,80 per jaar in de configurator.",
    [PRC], price=("Orvanta Cloud Backup", 7.80))

# ======================================================================= BENIGN (hard negatives)
add("x", "@orvanta_support",
    "Storing opgelost ✅ Alle praktijken kunnen weer normaal werken. Excuses voor het ongemak. "
    "Vragen? support@orvanta.nl of 0800-0412.")
add("instagram", "@assistentes_de_linde",
    "Our assistants are big fans of the new Orvanta Agenda. Patients book their own slots now "
    "and the phone finally stops ringing 🙌", lang="en")
add("x", "@gp_jules",
    "ngl the new Orvanta Spraak update is sick 🔥 notes basically write themselves now",
    lang="en")
add("linkedin", "dr-frank-hol",
    "The killer feature of Orvanta for me: the chronic care dashboards. Saves me hours "
    "every single week.", lang="en")
add("x", "@orvanta_nl",
    "Tot 31 oktober 20% korting op de Orvanta Zuil: nu €2.792 i.p.v. €3.490. Vraag uw "
    "accountmanager.", price=("Orvanta Zuil aanmeldkiosk", 2792))
add("reddit", "u/nieuwe_praktijkhouder",
    "How much is the Orvanta PatiëntApp anyway? For whoever's searching: €1,890 per year per "
    "practice, it's right there on their site.", lang="en", kind="comment",
    price=("Orvanta PatiëntApp", 1890))
add("instagram", "@orvanta.nl",
    "Voorjaarsactie 🌷 UZI-pasjeslezer nu €160 (normaal €189). Op = op!",
    price=("Orvanta UZI-pasjeslezer", 160))
add("x", "@ict_zorg_kees",
    "Bij de elektronicazaak kost een generieke smartcardlezer €19,95, de UZI-lezer van Orvanta "
    "€189. Kan iemand uitleggen wat het verschil is behalve de certificering?",
    price=("Orvanta UZI-pasjeslezer", 189))
add("mastodon", "@lotte_b@infosec.exchange",
    "PSA for anyone writing docs: use AKIAIOSFODNN7EXAMPLE and "
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY as placeholders, never a real key. Yes, even "
    "in internal slides.", lang="en")
add("bluesky", "@ruudkramer.bsky.social",
    "Onze CI maskeert tokens nu netjes als ghp_************************************ in de "
    "logs. Eindelijk.")
add("facebook", "OrvantaZorgsoftware",
    "Tip: deel nooit uw wachtwoord, ook niet met onze helpdesk. Orvanta vraagt er nooit om, "
    "niet per mail en niet telefonisch.")
add("x", "@praktijkmanager_ed",
    f"Iemand ook een betaalverzoek gehad 'namens Orvanta' naar {grp(IBAN_PHISH_BAD)}? Lijkt "
    "me phishing, niet betalen!")
add("linkedin", "orvanta-zorgsoftware",
    "Betalen per overschrijving? Dat kan op NL40 RABO 0347 2198 56 t.n.v. Orvanta "
    "Zorgsoftware B.V., o.v.v. uw factuurnummer. Vragen: facturen@orvanta.nl")
add("reddit", "u/his_dev_tim",
    f"Test card for the payment sandbox is {grp(CARD_BAD)}, it's supposed to be rejected, "
    "that's the point of the test 😄", lang="en", kind="comment")
add("x", "@poh_annemiek",
    f"In de demo-omgeving heet elke patiënt 'Jan Modaal' met BSN {BSN_BAD} 😄 training "
    "vandaag was top trouwens")
add("x", "@orvanta_nl",
    "Het is zover: Orvanta Praktijk 6 is live! 🚀 Bekijk alle nieuwe functies op orvanta.nl",
    when="2027-01-19T09:05:00Z")
add("linkedin", "bart-wessels-finance",
    "Onze jaarcijfers 2026 staan online: omzet €27,4 mln, +18%. Dank aan alle klanten en "
    "collega's.", when="2027-03-04T08:15:00Z")
add("mastodon", "@lotte_b@infosec.exchange",
    "Ransomware bij een Duitse ziekenhuisketen, drie dagen plat. Sterkte aan de collega's "
    "daar. Goed moment om je eigen back-ups eens te testen.")
add("x", "@zorgictwatcher",
    "Grote overname in zorg-IT: Medixa wordt overgenomen door een Zweeds fonds. Benieuwd wat "
    "dat betekent voor de huisartsenmarkt.")
add("x", "@orvanta_nl",
    "We groeien! 12 vacatures bij support en development. Kijk op orvanta.nl/werkenbij of "
    "mail vacatures@orvanta.nl 💼")
add("x", "@praktijk_zuidwijk",
    "Good blog by Orvanta on phishing mails in primary care. Recommended for every practice.",
    lang="en")
add("x", "@orvanta_support",
    "Gepland onderhoud zondag 14 juni 02:00-05:00. Het HIS is dan niet beschikbaar. Zie "
    "status.orvanta.nl voor updates.", when="2026-06-08T09:00:00Z")
add("x", "@assistente_anouk",
    "Orvanta-helpdesk vandaag zó snel geholpen dat mijn koffie nog warm was. Wie zijn jullie "
    "en wat hebben jullie met de echte helpdesk gedaan 😂")
add("reddit", "u/overstappen_2026",
    "Does anyone know if Orvanta plays nicely with the LSP and the out-of-hours GP post? "
    "We're considering switching.", lang="en")
add("facebook", "OrvantaZorgsoftware",
    "Wat vervelend om te horen, Karin. We nemen direct contact met u op via een privébericht.",
    kind="reply")
add("x", "@dr_hanna_visser",
    "Holy shit, we migrated 14,000 patient records to Orvanta in one weekend without losing a "
    "single one. Team effort 💪", lang="en")
add("x", "@poh_marloes",
    "Vandaag webinar over de nieuwe NHG-standaard darmkanker, met handige Orvanta-sjablonen "
    "voor de nacontrole. Aanrader!")
add("x", "@praktijkhulp_ben",
    "For anyone looking: Orvanta support is on +31 30 799 4400, press goes via "
    "pers@orvanta.nl", lang="en")
add("facebook", "Praktijk Het Anker Zwolle",
    "Brandoefening vandaag! Aanmeldzuil van Orvanta netjes vergrendeld voordat we naar buiten "
    "gingen 👍 Goed geoefend team.", kind="post")
add("x", "@locum_sara",
    "Pleasant shock today: Orvanta support called me back within 5 minutes.", lang="en")
add("linkedin", "gp-manager-tom-reyes",
    "Can't recall the last time our Orvanta system went down. Solid year. Kudos to their ops "
    "team.", lang="en")
add("x", "@praktijkmanager_ed",
    "Data breach at a municipality in Brabant, thousands of citizen numbers out in the open. "
    "Painful. We're re-checking every user permission in Orvanta today, just in case.",
    lang="en")
add("x", "@zorgrecht_nl",
    "Rechtszaak tegen Medixa over hun patiëntenapp is geschikt. Goed nieuws voor iedereen in "
    "de sector, ook voor Orvanta-gebruikers.")
add("x", "@huisarts_drenthe",
    "De zwaluwen zijn terug boven onze praktijk 🐦 en het HIS draait als een zonnetje. Lente!")
add("reddit", "u/helpdesk_is_hard",
    "The manual is right there on docs.orvanta.nl/agenda/koppelen, saves you a phone call.",
    lang="en", kind="comment")
add("reddit", "u/solo_gp_nl",
    "Is Orvanta Praktijk Basis really €4,800/yr for a single-GP practice? Seems steep compared "
    "to what I pay now.", lang="en", price=("Orvanta Praktijk Basis", 4800))
add("linkedin", "marjolein-sluiter-praktijkmanager",
    "Vorige maand was ik boos op Orvanta over de facturatie. Eerlijk is eerlijk: accountmanager "
    "kwam langs, alles uitgelegd en een tegoed gekregen. Chapeau.")
add("x", "@dokter_bram",
    "Nice chat with the Orvanta folks at the GP congress in Utrecht. Good plans for the "
    "patient app.", lang="en")
add("mastodon", "@gpdev@mastodon.nl",
    "Reminder: a JWT is just base64, not encryption. Don't put BSNs in the payload. (looking "
    "at you, every health vendor ever)", lang="en")
add("x", "@mevr_jansen_63",
    "Mijn ticket 2026-004471 is vandaag netjes afgesloten, dank Orvanta!")
add("instagram", "@orvanta.nl",
    "Bij spoed altijd 112 bellen, niet via de app van je huisarts. Goede reminder die nu ook "
    "in de PatiëntApp staat 👍")
add("linkedin", "koen-hendriks-orvanta",
    "5 years at Orvanta today 🎂 What a bunch of people.", lang="en")
add("bluesky", "@ruudkramer.bsky.social",
    "Shipped dark mode in the Orvanta patient app today 🌙 been the #1 request for ages",
    lang="en")
add("reddit", "u/freelance_integrator",
    "Orvanta's FHIR sandbox docs just say `Authorization: Bearer <YOUR_TOKEN>`. Took me 2 "
    "minutes to get a Patient resource back. Nice DX.", lang="en")
add("x", "@orvanta_support",
    "Outage yesterday is fully resolved. Root cause and timeline are on status.orvanta.nl. "
    "Sorry for the disruption.", lang="en")
add("x", "@assistente_anouk",
    "Life hack voor assistentes: in Orvanta kom je met F9 direct in het medicatieoverzicht. "
    "Graag gedaan 😉")
add("x", "@dokter_bram",
    "Ik ga dood van het lachen om de kerstvideo van @orvanta_nl 😂😂", when="2026-12-20T19:12:00Z")
add("linkedin", "orvanta-zorgsoftware",
    "Happy to share that we received our ISO 27001 and NEN 7510 recertification today.",
    lang="en")
add("x", "@praktijk_zuidwijk",
    "Question for @orvanta_support: where is our patient data physically stored, NL or "
    "elsewhere in the EU? Need it for our DPIA.", lang="en", kind="reply")
add("linkedin", "dr-frank-hol",
    "Orvanta Trainingsdag: €1,250. Not cheap, but worth every euro for our new team.",
    lang="en",
    price=("Orvanta Trainingsdag", 1250))
add("youtube", "@OrvantaTV",
    "Nieuw: Orvanta Labkoppeling, €540 per jaar, inclusief alle regionale labs. In deze video "
    "laten we zien hoe het werkt.", price=("Orvanta Labkoppeling", 540))
add("x", "@orvanta_nl",
    "Early bird: Orvanta Dashboard for €1,110 until 1 March (normally €1,480).", lang="en",
    price=("Orvanta Dashboard", 1110))
add("x", "@poh_annemiek",
    "Prijsfout bij de supermarkt vandaag: 12 pakken koffie voor €3 😂 de Orvanta-training van "
    "morgen kan beginnen")
add("x", "@orvanta_nl",
    "Q4-resultaten gepubliceerd: ons sterkste kwartaal ooit 📈 Lees het persbericht op "
    "orvanta.nl/pers", when="2027-03-04T09:00:00Z")
add("x", "@huisarts_dekker",
    f"Klopt dit rekeningnummer van Orvanta wel? {IBAN_OWN_TYPO} staat op onze laatste "
    "factuur, ziet er anders uit dan vorig jaar.", kind="post")
add("x", "@gp_jules",
    "This damn printer again 😤 at least Orvanta prints the lab labels fine once I give it a "
    "kick", lang="en")
add("reddit", "u/locum_gp_mike",
    "Locum here. Worked with five different HIS vendors this year. Orvanta had the least "
    "painful onboarding, honestly.", lang="en", kind="comment")
add("x", "@orvanta_nl",
    "Onze Orvanta Spraak Live demo staat nu op YouTube. Dank voor alle enthousiaste reacties "
    "op de lancering 🎙️", when="2027-02-02T10:00:00Z")
add("x", "@expat_in_utrecht",
    "Update: booked my appointment in the Orvanta app in 20 seconds today. Whatever they "
    "fixed, thanks.", lang="en")
add("facebook", "Omroep Veluwe Nieuws",
    "Huisartsenpost Veluwe werkt sinds vandaag met het nieuwe systeem van Orvanta. De overstap "
    "verliep volgens de HAP zonder problemen.")


# ======================================================================= build
def role_map():
    m = {}
    for role in ("corporate", "employee"):
        for entry in PROFILE["accounts"][role]:
            plat, handle = entry.split(":", 1)
            m[(plat.lower(), handle.lower())] = role
    return m


ROLES = role_map()


def role_of(platform, handle):
    return ROLES.get((platform.lower(), handle.lower()), "public")


NL_IBAN_RE = re.compile(r"(?<![A-Za-z0-9])NL ?\d{2} ?[A-Z]{4} ?(?:\d ?){9}\d(?![A-Za-z0-9])")
CARD_RE = re.compile(r"(?<![\d+])[2-6]\d{3}(?:[ -]?\d{4}){3}(?!\d)")
BSN_RE = re.compile(r"(?<![0-9A-Za-z.,\-])(\d{9}|\d{4}\.\d{2}\.\d{3})(?![0-9A-Za-z])")
OWN_IBANS = {re.sub(r"\s", "", i) for i in PROFILE["public_identifiers"]["ibans"]}


def checked_ids(text):
    """(kind, value, valid) for every IBAN-, card- and BSN-shaped number in text."""
    out = []
    for m in NL_IBAN_RE.finditer(text):
        out.append(("iban", m.group(0), iban_ok(m.group(0))))
    for m in CARD_RE.finditer(text):
        out.append(("card", m.group(0), luhn_ok(m.group(0))))
    for m in BSN_RE.finditer(text):
        out.append(("bsn", m.group(0), bsn_ok(m.group(0))))
    return out


def severity(cats, role, text):
    insider = role in ("corporate", "employee")
    lvl = 0
    for c in cats:
        if c.startswith("leak."):
            if insider:
                s = 3
                if c in (SEC, PRC):
                    s = 4
                if c == PII and any(v and re.sub(r"\s", "", val) not in OWN_IBANS
                                    for _, val, v in checked_ids(text)):
                    s = 4
            else:
                s = 2
        elif c == CMP:
            s = 2
        elif c == CRI:
            s = 3
        elif c == ABU:
            s = 3 if insider else 2
        else:
            raise AssertionError(c)
        lvl = max(lvl, s)
    return SEVERITIES[lvl]


def build():
    used = set()
    lines = []
    for i, c in enumerate(CASES):
        while True:
            pid = ID_PREFIX.get(c["platform"], "p-") + str(rng.randrange(10**15, 10**16))
            if pid not in used:
                used.add(pid)
                break
        post = {"id": pid, "platform": c["platform"], "kind": c["kind"],
                "account": {"handle": c["handle"]}, "text": c["text"], "lang": c["lang"],
                "created_at": c["when"]}
        if i % 3 == 0:
            post["brand"] = "Orvanta"
        if c["name"]:
            post["account"]["display_name"] = c["name"]
        c["role"] = role_of(c["platform"], c["handle"])
        c["id"] = pid
        lines.append({"post": post, "expect": {"categories": c["cats"],
                                               "severity": severity(c["cats"], c["role"],
                                                                    c["text"])}})
    order = list(range(len(lines)))
    rng.shuffle(order)
    return [lines[i] for i in order]


# ======================================================================= self-check
def parse_ts(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def check(lines):
    errs = []
    n = len(lines)
    if not 170 <= n <= 180:
        errs.append("case count %d" % n)
    ids = [l["post"]["id"] for l in lines]
    if len(set(ids)) != n:
        errs.append("duplicate ids")
    prod = {p["name"]: p for p in PROFILE["products"]}
    lower_terms = lambda xs: [x.lower() for x in xs]
    conf_terms = lower_terms(PROFILE["internal"]["domains"] + PROFILE["internal"]["codenames"]
                             + PROFILE["internal"]["markers"])
    by_id = {c["id"]: c for c in CASES}
    nl = 0
    cat_count = {}
    for l in lines:
        p, e = l["post"], l["expect"]
        c = by_id[p["id"]]
        # --- CONTRACT section 6 / section 1 shape
        if set(l) != {"post", "expect"}:
            errs.append("%s: keys" % p["id"])
        if not (isinstance(p["id"], str) and 1 <= len(p["id"]) <= 256):
            errs.append("%s: id" % p["id"])
        if p["platform"] not in PLATFORMS or p.get("kind", "post") not in KINDS:
            errs.append("%s: platform/kind" % p["id"])
        if not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
            errs.append("%s: handle" % p["id"])
        if not isinstance(p["text"], str) or len(p["text"].encode("utf-8")) > 65536:
            errs.append("%s: text" % p["id"])
        try:
            p["text"].encode("utf-8")
            ts = parse_ts(p["created_at"])
            assert ts.tzinfo is not None
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)", p["created_at"])
        except Exception as ex:  # noqa: BLE001
            errs.append("%s: created_at %r" % (p["id"], ex))
            continue
        if ts.year not in (2026, 2027):
            errs.append("%s: year" % p["id"])
        if set(e) != {"categories", "severity"} or e["severity"] not in SEVERITIES:
            errs.append("%s: expect shape" % p["id"])
        if e["categories"] != sorted(set(e["categories"])) or not set(e["categories"]) <= TAXONOMY:
            errs.append("%s: categories" % p["id"])
        if "reputation.spike" in e["categories"]:
            errs.append("%s: spike on a post" % p["id"])
        benign = not e["categories"]
        if benign != (e["severity"] == "none"):
            errs.append("%s: severity/benign mismatch" % p["id"])
        if e["severity"] != severity(e["categories"], role_of(p["platform"], p["account"]["handle"]),
                                     p["text"]):
            errs.append("%s: severity not per policy" % p["id"])
        nl += p["lang"] == "nl"
        for cat in e["categories"]:
            cat_count[cat] = cat_count.get(cat, 0) + 1
        text = p["text"]
        low = text.lower()
        # --- checksummed identifiers
        for kind, val, ok in checked_ids(text):
            own = kind == "iban" and re.sub(r"\s", "", val) in OWN_IBANS
            if benign and ok and not own:
                errs.append("%s: benign contains valid %s %s" % (p["id"], kind, val))
            if not benign and not ok:
                errs.append("%s: positive contains invalid %s %s" % (p["id"], kind, val))
            if own and not benign:
                errs.append("%s: own IBAN in positive" % p["id"])
        if PII in e["categories"]:
            pass
        # --- secrets: formats and checksums
        for tok in re.findall(r"gh[pousr]_[0-9A-Za-z]{36}", text):
            if not gh_ok(tok):
                errs.append("%s: bad GitHub CRC" % p["id"])
            if benign:
                errs.append("%s: real-format token in benign" % p["id"])
        for tok in re.findall(r"AKIA[A-Z2-7]{16}", text):
            if benign and not tok.endswith("EXAMPLE"):
                errs.append("%s: AWS id in benign" % p["id"])
        for tok in re.findall(r"AKIA[0-9A-Z]{16}", text):
            if not benign and not re.fullmatch(r"AKIA[A-Z2-7]{16}", tok):
                errs.append("%s: AWS id alphabet" % p["id"])
        for m in re.finditer(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", text):
            head = m.group(0).split(".")[0]
            hdr = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
            if "alg" not in hdr:
                errs.append("%s: JWT without alg" % p["id"])
            if benign:
                errs.append("%s: JWT in benign" % p["id"])
        if "PRIVATE KEY-----" in text and SEC not in e["categories"]:
            errs.append("%s: private key not labelled" % p["id"])
        if re.search(r"(sk_live_|xoxb-|glpat-|sk-ant-api03-|sk-proj-)[A-Za-z0-9]", text) and benign:
            errs.append("%s: live key in benign" % p["id"])
        # --- confidential vocabulary must carry leak.confidential
        if any(t in low for t in conf_terms) and CONF not in e["categories"]:
            errs.append("%s: internal term without leak.confidential" % p["id"])
        for emb in PROFILE["embargo"]:
            until = parse_ts(emb["until"])
            hit = any(t.lower() in low for t in emb["terms"])
            if hit and ts < until and CONF not in e["categories"]:
                errs.append("%s: embargo term before until, unlabelled" % p["id"])
        # --- pricing metadata
        if c["price"]:
            pname, amount = c["price"]
            ratio = amount / prod[pname]["list_price"]
            if benign and ratio < PROFILE["pricing"]["alert_below_ratio"]:
                errs.append("%s: benign price below ratio" % p["id"])
            if benign and not 0.7 <= ratio <= 1.0:
                errs.append("%s: benign sale outside 0-30%% off" % p["id"])
            if PRC in e["categories"] and ratio >= PROFILE["pricing"]["alert_below_ratio"]:
                errs.append("%s: pricing positive above ratio" % p["id"])
        if PRC in e["categories"] and not c["price"]:
            errs.append("%s: pricing positive without price metadata" % p["id"])
    # --- profile sanity
    for i in PROFILE["public_identifiers"]["ibans"]:
        if not iban_ok(i):
            errs.append("profile IBAN fails mod-97")
    for plist in ("corporate", "employee"):
        pass
    if len(PROFILE["accounts"]["corporate"]) < 6 or len(PROFILE["accounts"]["employee"]) < 8:
        errs.append("profile accounts")
    if not 15 <= len(PROFILE["products"]) <= 25:
        errs.append("profile products")
    if len(PROFILE["internal"]["codenames"]) != 3 or len(PROFILE["internal"]["markers"]) != 3:
        errs.append("profile internal")
    for emb in PROFILE["embargo"]:
        if not emb["until"].startswith("2027"):
            errs.append("embargo until not in 2027")
    # --- mix
    benign_n = sum(1 for l in lines if not l["expect"]["categories"])
    if not 55 <= benign_n <= 65:
        errs.append("benign count %d" % benign_n)
    if not 0.50 <= nl / n <= 0.60:
        errs.append("dutch share %.2f" % (nl / n))
    target = {CMP: 20, CONF: 18, PII: 15, CRI: 15, SECU: 13, SEC: 12, ABU: 12, PRC: 12, FIN: 12}
    for cat, t in target.items():
        if abs(cat_count.get(cat, 0) - t) > 3:
            errs.append("category %s count %d (target ~%d)" % (cat, cat_count.get(cat, 0), t))
    roles = {}
    for c in CASES:
        leak = any(x.startswith("leak.") for x in c["cats"])
        rep = any(x.startswith("reputation.") for x in c["cats"])
        if leak:
            roles.setdefault("leak", []).append(c["role"])
        if rep and not leak:
            roles.setdefault("rep", []).append(c["role"])
    leak_pub = roles["leak"].count("public") / len(roles["leak"])
    rep_pub = roles["rep"].count("public") / len(roles["rep"])
    if not 0.1 <= leak_pub <= 0.4:
        errs.append("leak public share %.2f" % leak_pub)
    if rep_pub < 0.8:
        errs.append("reputation public share %.2f" % rep_pub)
    return errs, dict(n=n, benign=benign_n, nl=nl, cats=cat_count,
                      leak_pub=round(leak_pub, 2), rep_pub=round(rep_pub, 2))


def main():
    lines = build()
    path = os.path.join(HERE, "cases.jsonl")
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        for l in lines:
            fh.write(json.dumps(l, ensure_ascii=False) + "\n")
    # re-read what was written and check that
    with open(path, encoding="utf-8") as fh:
        back = [json.loads(x) for x in fh]
    errs, stats = check(back)
    print(json.dumps(stats, sort_keys=True))
    if errs:
        for e in errs:
            print("CHECK FAILED:", e, file=sys.stderr)
        sys.exit(1)
    print("ok: %d cases, %d benign" % (stats["n"], stats["benign"]))


if __name__ == "__main__":
    main()
