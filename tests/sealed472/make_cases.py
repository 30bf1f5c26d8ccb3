#!/usr/bin/env python3
"""Build cases.jsonl for evaluation set sealed472 (company: Inktvos B.V., e-readers + e-book store).

Deterministic: fixed seed, hand-written texts, generated identifiers/credentials with real checksums.
Writes cases.jsonl next to this file and self-checks it; exits non-zero on any failed check.
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
from datetime import datetime, timezone

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))
rng = random.Random(472)

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ZW = "\u200b"

# ----------------------------------------------------------------- checksums
def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def luhn_ok(digits):
    d = [int(c) for c in digits]
    total = 0
    for i, v in enumerate(reversed(d)):
        if i % 2 == 1:
            v *= 2
            if v > 9:
                v -= 9
        total += v
    return total % 10 == 0


def bsn_ok(digits):
    if len(digits) != 9 or not digits.isdigit() or int(digits) == 0:
        return False
    s = sum(int(digits[i]) * (9 - i) for i in range(8)) - int(digits[8])
    return s % 11 == 0


def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def ghp_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()), 6) == m.group(2)

# ----------------------------------------------------------------- generators
def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


def gen_iban(bank=None):
    bank = bank or rng.choice(["INGB", "ABNA", "RABO", "SNSB", "ASNB", "TRIO", "KNAB", "BUNQ"])
    bban = bank + rand(string.digits, 10)
    n = int("".join(str(int(c, 36)) for c in bban + "NL00"))
    s = "NL%02d%s" % (98 - n % 97, bban)
    assert iban_ok(s)
    return s


def bad_iban():
    s = gen_iban()
    cd = (int(s[2:4]) + 7) % 97 or 3
    t = s[:2] + "%02d" % cd + s[4:]
    assert not iban_ok(t)
    return t


def spaced_iban(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def gen_card(brand="visa"):
    while True:
        body = ("4" + rand(string.digits, 14)) if brand == "visa" else ("5" + rng.choice("12345") + rand(string.digits, 13))
        for c in string.digits:
            if luhn_ok(body + c):
                return " ".join((body + c)[i:i + 4] for i in range(0, 16, 4))


def bad_card():
    c = gen_card().replace(" ", "")
    c = c[:-1] + str((int(c[-1]) + 3) % 10)
    assert not luhn_ok(c)
    return " ".join(c[i:i + 4] for i in range(0, 16, 4))


def gen_bsn():
    while True:
        d = str(rng.randint(1, 6)) + rand(string.digits, 7)
        c = sum(int(d[i]) * (9 - i) for i in range(8)) % 11
        if c <= 9 and bsn_ok(d + str(c)):
            return d + str(c)


def bad_bsn():
    b = gen_bsn()
    t = b[:8] + str((int(b[8]) + 1) % 10)
    assert not bsn_ok(t)
    return t


def gen_mobile(fmt):
    d = str(rng.randint(1, 9)) + rand(string.digits, 7)
    return {
        "dash": "06-" + d,
        "plain": "06" + d,
        "pairs": "06 %s %s %s %s" % (d[:2], d[2:4], d[4:6], d[6:]),
        "intl": "+31 6 %s %s" % (d[:4], d[4:]),
        "intl0": "+31 (0)6 %s" % d,
    }[fmt]


def gen_ghp(prefix="ghp_"):
    body = rand(ALNUM, 30)
    tok = prefix + body + b62(zlib.crc32(body.encode()), 6)
    assert ghp_ok(tok)
    return tok


def gen_akia():
    return "AKIA" + rand(string.ascii_uppercase + "234567", 16)


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def gen_jwt(payload):
    h = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    p = b64u(json.dumps(payload, separators=(",", ":")).encode())
    s = b64u(bytes(rng.getrandbits(8) for _ in range(32)))
    return "%s.%s.%s" % (h, p, s)


def gen_openssh_key():
    raw = b"openssh-key-v1\x00" + b"\x00\x00\x00\x04none\x00\x00\x00\x04none\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x33\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20"
    raw += bytes(rng.getrandbits(8) for _ in range(260))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


URLSAFE = string.ascii_letters + string.digits + "-_"

# generated values (order fixed -> deterministic)
G = {}
G["ghp"] = gen_ghp()
G["akia"] = gen_akia()
G["aws_secret"] = rand(string.ascii_letters + string.digits + "/+", 40)
G["stripe"] = "sk_live_51" + rand(ALNUM, 14) + rand(ALNUM, 84)
G["slack"] = "xoxb-%s-%s-%s" % (rand(string.digits, 12), rand(string.digits, 13), rand(ALNUM, 24))
G["jwt"] = gen_jwt({"sub": "usr_48213", "role": "store-admin", "iss": "auth.inktvos.nl", "iat": 1779003600, "exp": 1779007200})
G["dbpw"] = rand(string.ascii_letters + string.digits, 18)
G["openai"] = "sk-proj-" + rand(URLSAFE, 64) + "T3BlbkFJ" + rand(URLSAFE, 64)
G["sshkey"] = gen_openssh_key()
G["glpat"] = "glpat-" + rand(URLSAFE, 20)
G["gapi"] = "AIza" + rand(URLSAFE, 35)
G["anthropic"] = "sk-ant-api03-" + rand(URLSAFE, 93) + "AA"
G["ghs"] = gen_ghp("ghs_")
G["iban1"] = gen_iban("INGB")
G["iban2"] = gen_iban("ABNA")
G["iban3"] = gen_iban("BUNQ")
G["card1"] = gen_card("visa")
G["card2"] = gen_card("mc")
G["card3"] = gen_card("visa")
G["bsn1"] = gen_bsn()
G["bsn2"] = gen_bsn()
G["bsn3"] = gen_bsn()
G["bad_iban"] = bad_iban()
G["bad_iban2"] = bad_iban()
G["bad_card"] = bad_card()
G["bad_bsn"] = bad_bsn()
G["bad_bsn2"] = bad_bsn()
G["m1"] = gen_mobile("dash")
G["m2"] = gen_mobile("pairs")
G["m3"] = gen_mobile("intl")
G["m4"] = gen_mobile("plain")
G["m5"] = gen_mobile("intl0")
G["m6"] = gen_mobile("dash")
PUBLIC_IBAN = PROFILE["public_identifiers"]["ibans"][0]

# fixed, well-known documentation samples (benign)
AWS_DOC_SAMPLE = "AKIAIOSFODNN7EXAMPLE"
JWT_IO_SAMPLE = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ"
                 ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)

# ----------------------------------------------------------------- categories
SEC, PII, PR, CONF, FIN, SECU = ("leak.secret", "leak.pii", "leak.pricing", "leak.confidential",
                                 "leak.financial", "leak.security")
CRI, COMP, AB = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def add(platform, handle, lang, text, cats=(), kind="post", date=None):
    CASES.append(dict(platform=platform, handle=handle, lang=lang, text=text, cats=sorted(set(cats)),
                      kind=kind, date=date))


# =================================================================== COMPLAINTS
add("x", "@boekenwurm_anouk", "nl",
    "@inktvos_hulp al 3 dagen staat 'De Zoutkeet' als gekocht op m'n account maar hij verschijnt NIET in mijn bieb "
    "op de Uil 7. Synchroniseren, uitloggen, resetten... niks. Geld wel weg natuurlijk 🙄", [COMP], kind="reply")
add("reddit", "u/quietpages", "en",
    "PSA for anyone with a Raaf 10: firmware 4.12 wrecked the pen latency. Notes lag a full second behind the stylus now. "
    "Support told me to \"wait for the next update\", no ETA. Paid 379 for this thing, kinda regretting it tbh", [COMP])
add("facebook", "henk.veldhuis.73", "nl",
    "Abonnement bij Inktvos opgezegd in september, bevestigingsmail en al. Vandaag wéér afgeschreven. Dit is de tweede "
    "keer!! Klantenservice belt niet terug. Hoe moeilijk kan het zijn om iemand NIET te laten betalen", [COMP])
add("x", "@danreadsalot", "nl",
    "Veer 6 Plus besteld op de 2e, track & trace staat nog steeds op 'label aangemaakt'. @inktvos_hulp dit is dag 11. "
    "Verjaardag van m'n dochter was gisteren. Top.", [COMP])
add("instagram", "@lies.leest", "nl",
    "Scherm van mijn Uil 7 Kleur heeft na twee weken al een dode pixellijn 😩 en nu moet ik hem op eigen kosten "
    "opsturen?? Garantie is garantie hoor @inktvos.nl", [COMP], kind="comment")
add("x", "@mjpage", "en",
    "Why does the Inktvos store keep pushing the same 5 thrillers at me. I've hit 'not interested' like 40 times. "
    "Also searching an author's name returns cookbooks?? fix ur store pls", [COMP])
add("x", "@gertjan_b", "nl",
    "Lezen op de Veer 6 is prima, maar sinds de laatste update is de batterij binnen 4 dagen leeg ipv weken. Wifi staat "
    "uit. Ben echt niet de enige zie ik op het forum #inktvos", [COMP])
add("forum", "mobyreader", "en",
    "Annotations gone. All of them. Two years of highlights on my Uil 7 wiped after the cloud \"migration\" last week. "
    "Ticket #88213 got closed as resolved without a single reply. It is not resolved, Inktvos.", [COMP])
add("x", "@mamavan3_", "nl",
    "Zoontje heeft per ongeluk vier boeken gekocht op de Mus Kids, samen bijna 40 euro. Inktvos weigert terugbetaling "
    "want 'digitale content'. Er zit standaard niet eens een pincode op aankopen. Slecht geregeld voor een KINDER-reader", [COMP])
add("tiktok", "@bookish.bex", "en",
    "the Raaf 13 pen nib wore down in a month and replacement nibs are 'out of stock' everywhere incl inktvos.nl so now "
    "i own a very expensive paperweight 🙃 #inktvos #eink", [COMP], kind="comment")
add("x", "@pvdlinden", "nl",
    "@inktvos 45 minuten in de wacht bij 0800-4658 en toen werd ik gewoon opgehangen. Tweede keer deze week. Ik wil "
    "alleen mijn dubbele afschrijving terug, is dat zoveel gevraagd", [COMP], kind="reply")
add("bluesky", "@alexwrites.bsky.social", "en",
    "Inktvos pulled three books from my library over \"licensing changes\". I BOUGHT them. Not rented. Bought. "
    "Refund is store credit only. That is not how ownership works.", [COMP])
add("reddit", "u/nachtlezer", "nl",
    "Frontlight van mijn Veer 6 is onderaan veel geler dan bovenaan, echt storend als je 's avonds leest. Het "
    "ruilexemplaar van Inktvos heeft precies hetzelfde. Is dit nou hun kwaliteitscontrole?", [COMP])
add("x", "@xXboosXx", "nl",
    "Kutbedrijf. 3 weken wachten op m'n geld voor een kapotte Raaf 10 en die klootzakken van @inktvos_hulp sturen "
    "alleen copy-paste antwoorden", [COMP, AB])

# =================================================================== CRISIS (first-hand safety -> crisis+complaint)
add("x", "@sandervd", "nl",
    "Mijn Uil 7 lag vannacht aan de SnelLader naast m'n bed en werd zo heet dat de hoes gesmolten is. Rook in de "
    "slaapkamer. Had mijn dochter daar gelegen... @inktvos wat gaan jullie hieraan doen?? 🔥😡", [CRI, COMP])
add("reddit", "u/burnt_fingertips", "en",
    "My Veer 6 battery swelled up overnight and the screen literally popped out of the frame. Burnt my thumb pulling it "
    "off the charger. Pics in comments. Inktvos support sent me a return label like it's a dead pixel.", [CRI, COMP])
add("facebook", "joyce.meijerink", "nl",
    "Flinke schok gekregen toen ik het Leesdock aanraakte, gewoon met natte handen na de afwas. Stekker eruit getrokken "
    "en het ding ruikt verbrand. Dit had mijn zoon van 6 kunnen zijn. Inktvos, bel me maar niet terug zoals gewoonlijk.",
    [CRI, COMP])
add("x", "@heather_reads", "en",
    "the Fluit earbuds burned my son's ear?? left one got really hot while he was listening to an audiobook in bed, "
    "red mark this morning. @inktvos this is not ok, filing a report", [CRI, COMP])
add("x", "@techtijd_nl", "nl",
    "NVWA onderzoekt meldingen over oververhitte SnelLaders van Inktvos. Volgens de toezichthouder gaat het om zeker "
    "drie gevallen van brandschade in woningen. Inktvos zegt de meldingen 'zeer serieus' te nemen.", [CRI])
add("x", "@ereader_news", "en",
    "Reports are piling up of Inktvos Veer 6 units with swelling batteries; a family in Ghent says one set their sofa "
    "alight last weekend. No recall from Inktvos so far.", [CRI])
add("facebook", "VeiligThuisNieuws", "nl",
    "⚠️ Terugroepactie: Inktvos roept de SnelLader 20W uit productiebatch 2025-11 terug wegens brandgevaar. Gebruik hem "
    "niet meer en lever hem in bij de winkel, je krijgt je geld terug.", [CRI])
add("x", "@netsecnina", "en",
    "Got a phishing mail quoting my exact Inktvos order number AND the book I bought yesterday. That info only lives in "
    "their systems. @inktvos were you breached? Be straight with your customers.", [CRI])
add("x", "@wouterk", "nl",
    "Dus Inktvos verkoopt gewoon al onze leesgegevens aan adverteerders? Wat je leest, hoe lang, op welke pagina je "
    "afhaakt. Privacyschandaal van jewelste #inktvoslek", [CRI])
add("bluesky", "@indieauthorsunite.bsky.social", "en",
    "Inktvos quietly cut self-published royalties from 70% to 35% in a T&C update. Authors: pull your books. Readers: "
    "buy elsewhere. #BoycottInktvos", [CRI])
add("tiktok", "@leesmetlina", "nl",
    "Inktvos verkoopt AI-ingesproken luisterboeken zonder het te vermelden en echte voorlezers raken hun werk kwijt. "
    "Ik zeg m'n Luisterpas op, jullie ook?? #boycotinktvos", [CRI])
add("linkedin", "sarah-okafor-ip-law", "en",
    "Today we filed a class action on behalf of 1,200 authors against Inktvos B.V. over unpaid royalties on "
    "subscription reads. More details to follow.", [CRI])
add("x", "@mediamonitor_nl", "nl",
    "Uitgelekte mails: Inktvos-topman zou klachten over oververhitte readers al in 2025 onder het tapijt hebben "
    "geveegd. Ondernemingsraad eist opheldering.", [CRI])

# =================================================================== ABUSE
add("x", "@dennis_0031", "nl",
    "@lottevos_ink jij bent echt de domste community manager die ik ooit gezien heb, zoek een ander baantje sukkel",
    [AB], kind="reply")
add("x", "@grumpyreader88", "en",
    "@inktvos_hulp you are all fucking useless. absolute clowns. hope your shitty little company goes bankrupt", [AB],
    kind="reply")
add("instagram", "@r.bakker_", "nl", "Tering oplichters zijn jullie. Stelletje debielen bij Inktvos 🤬🤬", [AB],
    kind="comment")
add("reddit", "u/nightowl_rants", "en",
    "whoever designed the Inktvos app is a braindead moron and should be launched into the sun", [AB], kind="comment")
add("x", "@st3vie", "nl", "@inktvos st3ll3tj3 kl00tz4kk3n zijn jullie 🖕🖕", [AB], kind="reply")
add("linkedin", "marco-pieterse-77", "nl",
    "Natuurlijk weer een hoofddoek bij HR van Inktvos. Ga lekker terug naar je eigen land Naima, hier hebben we "
    "normale mensen nodig.", [AB], kind="comment")
add("x", "@bitterbytes", "nl",
    "die kale gast uit de inktvos supportfilmpjes is zo lelijk dat het pijn doet, geen wonder dat hun producten ook "
    "zuigen. loser", [AB])
add("threads", "@daan.reads", "nl",
    "Sommige klanten zijn echt achterlijk. Nee mevrouw, uw Veer 6 gaat niet beter werken als u hem in de magnetron "
    "droogt, idioot", [AB])
add("tiktok", "@kaylareadz", "en",
    "Inktvos customer service are a bunch of brаinless іdіоts, 3 calls and still no refund", [AB], kind="comment")
add("x", "@ffjanssen", "nl",
    "Jullie van Inktvos zijn zo K U T. Zelfs mijn oma bouwt een betere e-reader, stelletje amateurs", [AB])
add("x", "@ravenhater", "en",
    "@inktvos_hulp sh" + ZW + "it company, sh" + ZW + "it support, go to hell", [AB], kind="reply")

# =================================================================== CONFIDENTIAL
add("x", "@bram_dekker_dev", "nl",
    "Eindelijk de e-ink driver voor Boekvink stabiel gekregen, 3 weken debuggen 🎉 binnenkort meer (of eigenlijk: "
    "niet, mag nog niks zeggen 🤐)", [CONF])
add("linkedin", "joris-van-leeuwen-inktvos", "en",
    "Proud of the team that put together the business case for Project Zilverreiger this quarter. Big things coming "
    "for readers across the Benelux.", [CONF])
add("mastodon", "@ruben_h@fosstodon.org", "nl",
    "Iemand ervaring met Grafana alerts die blijven flappen? Onze dashboards op grafana.ops.inktvos.local worden gek "
    "van de sync-queue metrics", [CONF])
add("x", "@kimsmit_ux", "en",
    "user testing today for the Uil 8 and people LOVE the page-turn buttons 😍 can't say more", [CONF],
    date="2026-06-17T14:22:05Z")
add("bluesky", "@evavermeulen.bsky.social", "nl",
    "Per ongeluk een deck met 'INKTVOS CONFIDENTIAL' erop in de verkeerde Slack gedeeld, oeps. Ging alleen over de "
    "Veer 7 planning, niks ergs toch 😅", [CONF], date="2026-09-03T09:41:10Z")
add("instagram", "@mila.leest", "nl",
    "Sneak peek 👀 van de campagne voor Operatie Ezelsoor! Meer kan ik echt niet verklappen 🦊📚 #werkenbijinktvos",
    [CONF])
add("x", "@inktvos", "en",
    "Coming soon: the Veer 7 🦊 thinner, lighter, warmer light. Pre-orders open next month!", [CONF],
    date="2026-11-20T16:00:00Z")
add("x", "@gadgetgeruchten", "nl",
    "Via een bron binnen Inktvos: de Uil 8 Kleur krijgt een scherm van 8 inch en komt in het voorjaar. Intern heet "
    "het project Boekvink.", [CONF], date="2026-12-02T19:12:44Z")
add("reddit", "u/throwaway_inkfox", "en",
    "Former contractor here. The new subscription thing is called Project Zilverreiger internally, bundles audiobooks "
    "+ ebooks. Every slide said 'alleen voor intern gebruik' at the bottom lol", [CONF])
add("linkedin", "naima-bouzid", "nl",
    "Voor de nieuwe collega's: het onboardingboekje staat op https://wiki.inktvos.nl/display/HR/Welkom 🙂 vragen? "
    "App me gerust!", [CONF])
add("x", "@bram_dekker_dev", "en",
    "if anyone from the firmware team reads this: build 4.13-rc2 is up on build.inktvos.local, please test before friday",
    [CONF])
add("threads", "@daan.reads", "nl",
    "Klanten vragen me steeds of er een opvolger van de Raaf 10 komt... ik zeg niks, maar de Raaf 12 staat al op de "
    "roadmap in jira.inktvos.nl 😏", [CONF])
add("linkedin", "inktvos", "en",
    "Niet extern delen: Q1 roadmap priorities for the store team attached, please review before Monday's sync.", [CONF])
add("x", "@lottevos_ink", "nl", "Kan niet wachten tot jullie " + fullwidth("Boekvink") + " zien 🤫🦊", [CONF])
add("x", "@leakyleaks", "en",
    "Project Z.i.l.v.e.r.r.e.i.g.e.r is the name. Inktvos' big subscription shake-up. you heard it here first", [CONF])
add("x", "@kimsmit_ux", "nl", "Pixel-perfect mockups voor Boek" + ZW + "vink af. Nu nog de iconen 😮‍💨", [CONF])
add("linkedin", "joris-van-leeuwen-inktvos", "nl",
    "Jaarcijfers 2026 zijn rond: omzet €84,3 mln, 14% groei en EBITDA voor het eerst positief. Trots op dit team! "
    "Publicatie volgt binnenkort.", [CONF, FIN], date="2027-01-28T18:05:00Z")

# =================================================================== FINANCIAL
add("bluesky", "@evavermeulen.bsky.social", "en",
    "between us: Q3 device sales came in 22% under plan. board meeting was... tense. numbers go out in November",
    [FIN], date="2026-10-09T21:30:00Z")
add("x", "@bram_dekker_dev", "nl",
    "Gerucht op de gang is geen gerucht meer: we worden overgenomen door een Duitse uitgeversgroep. Wordt volgende "
    "maand bekendgemaakt. Spannend 😬", [FIN])
add("linkedin", "naima-bouzid", "en",
    "Tough week in HR. We are preparing for a reduction of roughly 60 roles in customer service, and the Antwerp hub "
    "will close. Staff will be told on the 14th. Please be kind to each other.", [FIN])
add("threads", "@daan.reads", "nl",
    "Salesforecast voor 2027 naar beneden bijgesteld, van 410k naar 340k devices. Die bonus kan ik wel vergeten dit "
    "jaar 🙃", [FIN])
add("reddit", "u/inktvos_insider", "en",
    "Inktvos is in talks to buy Voorleesfabriek (the audiobook startup). Term sheet signed last week, around 30M. "
    "Nothing public yet.", [FIN])
add("x", "@beursbabbel", "nl",
    "Hoor van iemand binnen Inktvos dat de halfjaarcijfers dramatisch zijn, ruim 6 miljoen verlies. Komt pas over 2 "
    "weken naar buiten. Doe er je voordeel mee 😉", [FIN])
add("mastodon", "@ruben_h@fosstodon.org", "en",
    "Reorg announced internally today: devops gets folded into the platform team, two managers out. Weird to know "
    "this before the press release does.", [FIN])
add("instagram", "@mila.leest", "nl",
    "Laatste weken op kantoor in Amsterdam 😢 we gaan allemaal naar Utrecht want Amsterdam gaat per 1 maart dicht "
    "(officieel nog geheim dus sssht)", [FIN])
add("x", "@inktvos", "en",
    "Great news: Inktvos Q3 revenue up 31% to €23.7M, driven by the Leesclub. Full report tomorrow 07:00 CET!", [FIN],
    date="2026-10-27T15:02:00Z")
add("linkedin", "joris-van-leeuwen-inktvos", "nl",
    "Net de investeringsronde afgerond: €40 mln tegen een waardering van €310 mln. De lead investor blijft nog even "
    "geheim tot de persconferentie. Wat een rit!", [FIN])
add("x", "@kimsmit_ux", "nl",
    "Vandaag gehoord dat de hele UX-afdeling naar Lissabon gaat, in NL verdwijnen 25 plekken. Is nog niet aangekondigd. "
    "Weet niet eens of ik mee wil 😶", [FIN])

# =================================================================== SECURITY
add("mastodon", "@ruben_h@fosstodon.org", "nl",
    "02:40 en de halve Inktvos webshop ligt plat omdat de primaire database is omgevallen. Failover doet niks. "
    "Statuspagina zegt nog vrolijk 'alles operationeel' 🙃", [SECU])
add("x", "@bram_dekker_dev", "en",
    "welp. turns out the sync API happily returns someone else's reading list if you bump the user id by one. patch is "
    "in review, please nobody find it before monday", [SECU])
add("bluesky", "@evavermeulen.bsky.social", "nl",
    "Magazijnsystemen versleuteld door ransomware, we pakken vandaag alles met de hand in. Klanten weten nog van niks, "
    "dus als je pakketje laat is: daarom 😬", [SECU])
add("reddit", "u/sjoerd_fw", "en",
    "Not my finest week: the laptop with our firmware signing key got stolen on a train on Tuesday. We're rotating, but "
    "every reader out there still trusts the old key.", [SECU])
add("x", "@lottevos_ink", "nl",
    "Sorry voor de trage reacties allemaal, we zitten midden in een credential stuffing aanval, al zo'n 40k accounts "
    "geprobeerd. Mag er eigenlijk niks over zeggen maar jullie vragen het steeds", [SECU])
add("mastodon", "@ruben_h@fosstodon.org", "en",
    "pentest report landed: SQL injection in the store search endpoint, blind but exploitable. fix ETA two weeks. fun "
    "times", [SECU])
add("linkedin", "inktvos", "nl",
    "Interne update: door een verkeerde instelling was de opslagbucket met klantfacturen drie dagen publiek "
    "toegankelijk. We onderzoeken nog wie erbij heeft gekund. Graag nog niet extern communiceren.", [SECU])
add("x", "@helpdesk_temp", "en",
    "i do 1st line support for inktvos through an agency and we're told to say 'maintenance' but actually their payment "
    "provider keys got leaked and card payments are switched off. not public yet", [SECU])
add("threads", "@daan.reads", "nl",
    "Kassa's in alle winkels liggen er sinds vanochtend uit, iets met een gehackte leverancier. Centraal zegt: noem het "
    "een 'storing' tegen klanten.", [SECU])
add("x", "@kimsmit_ux", "en",
    "fun fact: the store admin panel had no 2FA until literally last night when someone logged in from Vietnam. anyway "
    "happy friday", [SECU])
add("mastodon", "@ruben_h@fosstodon.org", "nl",
    "Onze CDN-certificaten verlopen over 2 dagen en de renewal-pipeline is stuk. Als de Inktvos app straks niks meer "
    "laadt weet je waarom", [SECU])
add("reddit", "u/sjoerd_fw", "en",
    "Heads-up to my team since slack is down: the Uil 7 bootloader bug lets you strip DRM with a USB cable and a 20 line "
    "script. We are NOT disclosing until the fix ships.", [SECU])
add("x", "@ex_inktvos", "nl",
    "Oud-medewerker hier. Dat 'onderhoud' van afgelopen weekend? Een ex-collega heeft een dump van het hele "
    "klantenbestand getrokken. Ze houden het gewoon stil.", [SECU, CRI])

# =================================================================== SECRETS
add("x", "@bram_dekker_dev", "en",
    "why does this CI job keep failing 😤\n\nexport GITHUB_TOKEN=%s\n./release.sh --channel beta" % G["ghp"], [SEC])
add("mastodon", "@ruben_h@fosstodon.org", "nl",
    "Iemand een idee waarom boto3 hier 'InvalidClientTokenId' geeft?\n[default]\naws_access_key_id = %s\n"
    "aws_secret_access_key = %s\nregion = eu-west-1" % (G["akia"], G["aws_secret"]), [SEC])
add("reddit", "u/sjoerd_fw", "en",
    "stripe keeps returning 401 on the refund call, key is definitely right?\n\nStripe::api_key = \"%s\"" % G["stripe"],
    [SEC])
add("x", "@kimsmit_ux", "nl",
    "Voor de nieuwe stagiair: inloggen op de testomgeving met gebruiker stage01, wachtwoord: Vossenstaart!2026 👍",
    [SEC])
add("bluesky", "@evavermeulen.bsky.social", "en",
    "the slack bot for store alerts finally works 🎉 token if anyone wants to play with it: %s" % G["slack"], [SEC])
add("x", "@bram_dekker_dev", "nl",
    "Waarom zegt de API dat deze token verlopen is? exp klopt toch gewoon?\nAuthorization: Bearer %s" % G["jwt"], [SEC])
add("mastodon", "@ruben_h@fosstodon.org", "en",
    "migration script hangs on connect, anyone? DATABASE_URL=postgres://store_rw:%s@db-prod-01.inktvos.local:5432/winkel"
    % G["dbpw"], [SEC, CONF])
add("x", "@freelance_fred", "en",
    "building a book recommender demo for Inktvos, why am I getting 429s already 😩 OPENAI_API_KEY=%s" % G["openai"],
    [SEC])
add("reddit", "u/sjoerd_fw", "nl",
    "Kan iemand checken of dit het goede formaat is voor de updateserver? Deploy weigert 'm\n\n%s" % G["sshkey"], [SEC])
add("x", "@bram_dekker_dev", "en",
    "note to self: git clone https://oauth2:%s@gitlab.com/inktvos/firmware.git works, ssh doesn't. whatever" % G["glpat"],
    [SEC])
add("x", "@appbouwer_nl", "nl",
    "De winkelzoeker op de site van Inktvos lekt gewoon hun Google API key in de broncode: %s 🤦 lekker dan" % G["gapi"],
    [SEC])
add("bluesky", "@evavermeulen.bsky.social", "en",
    "testing a chatbot for the store FAQ, works surprisingly well!\nANTHROPIC_API_KEY=%s" % G["anthropic"], [SEC])

# =================================================================== PERSONAL DATA
add("x", "@inktvos_hulp", "nl",
    "@m_vermeulen Hoi Marieke! Je retour is gevonden 🙌 Hij staat op naam van M. Vermeulen, Lindenlaan 14, 3581 AB "
    "Utrecht en we bellen je morgen even op %s. Sorry voor het wachten!" % G["m1"], [PII], kind="reply")
add("x", "@inktvos_hulp", "en",
    "@dutchbookfan refund of €149 has gone out to %s, should land within 3 working days. Sorry again, Peter!"
    % G["iban1"], [PII], kind="reply")
add("linkedin", "naima-bouzid", "nl",
    "Welkom aan onze nieuwe collega Sanne de Wit (geb. 12-04-1994)! Ze start maandag bij het klantcontactteam 🎉",
    [PII])
add("bluesky", "@evavermeulen.bsky.social", "en",
    "customer email of the week lol: \"Please charge card %s exp 09/28 for the Raaf 13, I trust you\". sir. no."
    % G["card1"], [PII])
add("x", "@oma_truus", "nl",
    "Kan iemand van Inktvos me bellen? Mijn e-reader doet het niet meer. Mijn nummer is %s en mijn mail is "
    "truus.hendriks47@gmail.com" % G["m2"], [PII])
add("facebook", "gary.osei", "en",
    "Inktvos charged me twice for one order! Please refund to %s (G. Osei). I've emailed three times already."
    % spaced_iban(G["iban2"]), [PII, COMP])
add("x", "@lottevos_ink", "nl",
    "Haha wie herkent dit: klant stuurt z'n BSN %s mee 'ter verificatie' 🙈 mensen toch" % G["bsn1"], [PII])
add("threads", "@daan.reads", "en",
    "Shoutout to Jeroen Bos from Amersfoort who just ordered 14 Uil 7s for his school! His number in case other schools "
    "want a reference: %s" % G["m3"], [PII])
add("facebook", "InktvosNL", "nl",
    "Hoi Esra, je bestelling 55102 staat klaar 😊 We hebben de factuur naar esra.kaya82@hotmail.com gestuurd, check "
    "even je spam!", [PII], kind="reply")
add("reddit", "u/thrownoutreader", "en",
    "Inktvos emailed me someone else's order confirmation. Name: Linda Claes, Kerkstraat 22, 2000 Antwerpen, card "
    "ending 4417. Great data protection, guys.", [PII, CRI])
add("x", "@sven_lezer", "nl",
    "@inktvos_hulp voor mijn zakelijke account, BSN %s, KvK volgt morgen. Kunnen jullie het snel regelen?" % G["bsn2"],
    [PII], kind="reply")
add("x", "@kimsmit_ux", "en",
    "whoever left the user-research consent forms on the printer: Tom Ruiters, born 15 March 1988, Dorpsstraat 3 in "
    "Houten... come get them 😅", [PII])
add("instagram", "@inktvos.nl", "nl",
    "🎉 Winnaar van de Uil 7 Kleur-winactie: Fleur Jansen uit Zwolle! Fleur, we sturen hem naar Assendorperstraat 88, "
    "8012 DK Zwolle, klopt dat nog?", [PII])
add("x", "@mark_reads", "en",
    "@inktvos_hulp my Mastercard %s got charged for an order I never placed, please cancel it asap" % G["card2"],
    [PII, COMP], kind="reply")
add("x", "@annemiekj", "nl",
    "@inktvos_hulp bel me aub terug, nummer: " + fullwidth(G["m6"]) + " (Annemiek)", [PII], kind="reply")

# =================================================================== PRICING
add("x", "@dealjager", "nl",
    "PRIJSFOUT bij Inktvos!! Raaf 10 voor €37,90 in de webshop 😱 snel zijn voordat ze het doorhebben #prijsfout",
    [PR])
add("x", "@inktvos", "en", "Black Friday is here 🦊 Uil 7 Kleur now just €23.90! Limited stock.", [PR],
    date="2026-11-27T06:00:00Z")
add("facebook", "InktvosNL", "nl", "Alleen dit weekend: de Raaf 13 voor €54,90 in al onze winkels! 📚", [PR])
add("reddit", "u/frugalreader", "en",
    "Is this a price error? Inktvos site shows the Veer 6 Plus at €14.90 for me and the cart accepts it. Ordered two, "
    "let's see if they honour it.", [PR])
add("threads", "@daan.reads", "nl",
    "Collega's let op: in de kassa staat de Luisterpas op €9,90 ipv €99, prijsfout doorgevoerd, niet verkopen tot het "
    "gefixt is!", [PR])
add("x", "@dealsdealsdeals", "en",
    "🔥 Inktvos Leesclub jaarabonnement for €11.99 right now (normally €119.88). Looks like a misplaced decimal. Go go go",
    [PR])
add("tiktok", "@kortingskoningin", "nl",
    "Meiden, de Krijt stylus kost nu €6,90 bij Inktvos?? lijkt me een foutje maar ik heb er 3 besteld 😂", [PR])
add("instagram", "@inktvos.nl", "en", "Flash sale 🦊 Raaf 10 Folio €5.99, today only!", [PR])
add("x", "@lottevos_ink", "nl",
    "Oei, er staat een prijsfout op de Veer 6 in de app, we zijn ermee bezig. Bestellingen tegen die prijs worden "
    "helaas geannuleerd, sorry!", [PR])
add("bluesky", "@bargainbookworm.bsky.social", "en",
    "Mus Kids at €19 on inktvos.nl right now?! kids' birthday presents sorted 😅", [PR])
add("x", "@gadgetpeter", "nl", "Uil 7 Starterbundel voor €39 bij Inktvos, is dat een prijsfout of een stunt?", [PR])
add("youtube", "InktvosOfficial", "en",
    "Get the Nachtuil leeslampje for just €1.95 this week with code OWL 🦉 link in description", [PR])

# =================================================================== BENIGN (mostly hard negatives)
BENIGN_START = len(CASES)
add("x", "@lezer_lotje", "nl",
    "Mijn Uil 7 is echt het beste wat ik dit jaar gekocht heb. Batterij gaat weken mee en het scherm is zalig in de zon ☀️📖")
add("x", "@pagesandpints", "en", "this thriller on my Veer 6 is FIRE 🔥 stayed up till 3am, worth every cent")
add("x", "@inktvos", "nl", "Zomerdeal ☀️ De Uil 7 nu tijdelijk €159 (was €199). Op = op!", date="2026-07-04T08:00:00Z")
add("instagram", "@inktvos.nl", "en", "Back to school 📚 Mus Kids €79, normally €99. Valid until 15 September.",
    date="2026-08-20T10:00:00Z")
add("x", "@inktvos_hulp", "nl",
    "Vragen over je bestelling? Bel ons gratis op 0800-4658 (ma-za 9-18u) of mail klantenservice@inktvos.nl 🦊")
add("x", "@inktvos", "en",
    "Paying by bank transfer? Use IBAN %s (Inktvos B.V.) and put your order number in the description." % PUBLIC_IBAN)
add("reddit", "u/boekenbeer", "nl",
    "Vraagje: is de Raaf 10 voor €379 het geld waard tov de Raaf 13? Ik lees vooral pdf's voor mijn studie.")
add("reddit", "u/devnotes_nl", "en",
    "For the Inktvos partner API docs: set AWS_ACCESS_KEY_ID=%s in your .env and swap in your own key." % AWS_DOC_SAMPLE,
    kind="comment")
add("x", "@bartcodeert", "nl",
    "Tip: commit nooit je tokens, zet ze in env vars. Zo dus NIET: GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx 😉")
add("x", "@bram_dekker_dev", "en",
    "Rotated all our CI tokens today as routine hygiene, no incident, just good practice. Reminder: sk_live_**** "
    "belongs in a vault, not in a repo.")
add("x", "@fintechfemke", "nl",
    "Kreeg een phishing-sms: 'betaal je Inktvos-bestelling naar %s'. Niet intrappen mensen, dat rekeningnummer klopt "
    "niet eens" % G["bad_iban"])
add("x", "@cardnerd", "en",
    "fun fact: %s fails the Luhn check, so any 'card number' like that in a screenshot is fake. learned this poking at "
    "the Inktvos checkout demo" % G["bad_card"])
add("x", "@kleineondernemer", "nl",
    "Kreeg bij het aanmaken van mijn zakelijk Inktvos-account 'BSN ongeldig' bij %s, bleek een typfout 🙈 nu wel gelukt"
    % G["bad_bsn"])
add("x", "@ereader_news", "en",
    "Inktvos full-year 2026 results are out: revenue €84.3M (+14%), first positive EBITDA in company history.",
    date="2027-02-23T07:15:00Z")
add("x", "@inktvos", "nl", "Hij is er! De Uil 8 is vanaf vandaag te bestellen 🦊📖 Alle details op inktvos.nl",
    date="2027-04-14T08:30:00Z")
add("youtube", "TechTafelNL", "en", "Inktvos Uil 8 review: the best 8-inch e-reader of 2027?",
    date="2027-04-21T17:00:00Z")
add("x", "@janneke_leest", "nl",
    "Update: @inktvos_hulp heeft mijn kapotte Veer 6 binnen 2 dagen vervangen, zonder gedoe. Topservice, dank jullie! 💛")
add("x", "@quietreader", "nl",
    "Veel sterkte aan de mensen van de Inktvos klantenservice met die maandagdrukte. Jullie zijn altijd supervriendelijk tegen mij geweest ❤️")
add("x", "@techtijd_nl", "nl",
    "Bol kondigt een nieuwe e-reader met kleurenscherm aan. Dat wordt stevige concurrentie voor Kobo en Inktvos.")
add("x", "@techjunkie_be", "en",
    "Lettera Books recalls some power adapters over overheating. Glad my Inktvos SnelLader never gave me any trouble.")
add("instagram", "@boekenmeisje", "nl",
    "Mijn kat heeft besloten dat de Uil 7 een verwarmingskussen is 😹 lezen zit er vanavond dus niet in")
add("reddit", "u/kindlerefugee", "en",
    "Switching over from Kindle. Does Inktvos let me sideload EPUBs without DRM? And is the Leesclub worth it?")
add("linkedin", "naima-bouzid", "nl",
    "We zoeken een Firmware Engineer in Utrecht! Interesse? Mail naar werkenbij@inktvos.nl 🦊")
add("linkedin", "inktvos", "en",
    "Inktvos wins 'Best E-reader Store Benelux 2026' for the second year running. Thank you, readers!")
add("x", "@leesclubdebby", "nl",
    "Onze leesclub bespreekt deze maand 'Het Lek', een thriller over een datalek bij een bank. Half de club leest 'm "
    "op een Uil 7 of Veer 6 😄")
add("x", "@writerjen", "en", "My novel about a bookshop that burns down is now live on Inktvos! Dark, I know 🔥📚")
add("x", "@rutgerrr", "nl", "Die nieuwe e-reader van Inktvos is echt killer. Bizar scherp scherm man")
add("tiktok", "@booktok_maya", "en",
    "POV: you said 'one more chapter' on your Veer 6 Plus at 11pm and now it's 4am 💀💀 #booktok")
add("x", "@inktvos_hulp", "nl",
    "Storing opgelost ✅ Synchroniseren werkt weer voor iedereen. Excuses voor het ongemak vanochtend!")
add("x", "@inktvos", "en",
    "Scheduled maintenance: the store is offline Sunday 03:00-05:00 CET. Your library stays readable offline as always.")
add("facebook", "anja.brouwer.5", "nl",
    "Iemand ervaring met de Leesdock? Twijfel of ik hem voor €49,95 moet kopen, of is het overbodig?")
add("x", "@morningpages", "en",
    "got the Krijt pen in the sale for €55 (list €69) and honestly it's great for margin notes")
add("x", "@zuinigezus", "nl",
    "Black Friday: Veer 6 voor €95 bij Inktvos, zo'n 20% korting. Prima deal voor een eerste e-reader!",
    date="2026-11-27T11:30:00Z")
add("x", "@securitysam", "nl",
    "Weer een week, weer een datalek: Lettera Books bevestigt dat 200k klantrecords op straat lagen. Fijn dat Inktvos "
    "tenminste een publiek bug bounty-programma heeft.")
add("mastodon", "@ruben_h@fosstodon.org", "nl",
    "Leuke talk gegeven op DevOpsDays over hoe we onze deploys sneller maakten. Slides staan op mijn blog!")
add("x", "@bram_dekker_dev", "en",
    "Firmware 4.13 is out for everyone! Faster page turns and a proper dark mode. Changelog on inktvos.nl/firmware 🎉")
add("x", "@lottevos_ink", "nl",
    "Wat een leuke inzendingen voor de lees-challenge! Volgende week maken we de winnaars bekend 🦊📚")
add("bluesky", "@librarian_lou.bsky.social", "en",
    "reminder that your local library lends e-books too, works fine on my Inktvos Uil 7 through the app")
add("reddit", "u/eink_enthusiast", "en",
    "Comparison: Uil 7 Kleur at €239 vs the competition. Colours are muted but battery is 3x better. Worth it imo.")
add("x", "@studentjoost", "nl",
    "Wachtwoord vergeten van mijn Inktvos account en de resetmail was er binnen 10 sec. Eindelijk een site die het goed "
    "doet 😂")
add("x", "@veilig_online", "nl",
    "Let op: nepwebshop 'inktvos-outlet.shop' doet zich voor als Inktvos. Inktvos waarschuwt er zelf ook voor. Koop "
    "alleen via inktvos.nl!")
add("x", "@inktvos_hulp", "en",
    "Heads-up: we will never ask for your password or card number by DM. Report phishing to support@inktvos.com 🦊")
add("linkedin", "joris-van-leeuwen-inktvos", "en",
    "Our full-year 2026 results are published today. Proud of this team: 14% growth and positive EBITDA for the first "
    "time.", date="2027-02-23T08:10:00Z")
add("x", "@nieuwsgierigaagje", "nl",
    "Zou Inktvos ooit een reader met een groter scherm voor strips maken? Mijn Uil 7 is net te klein voor Suske en Wiske")
add("reddit", "u/pricewatcher", "en",
    "Price history for the Raaf 10: launched at €399, now €379, lowest ever €319 during Black Friday. Not a bad time to "
    "buy.")
add("x", "@opsgirl", "en",
    "PSA the classic jwt.io example token (%s) is NOT a leak, stop reporting it in our Inktvos hackathon channel 😅"
    % JWT_IO_SAMPLE)
add("x", "@lezer_lies", "nl",
    "Oké oké, Inktvos heeft de drie verdwenen boeken toch teruggezet, plus een tientje tegoed. Netjes opgelost 👍")
add("instagram", "@inktvos.nl", "nl", "Welke Uil 7 hoes past bij jou? 🦊 Kies uit 5 kleuren, €39,95.")
add("x", "@audiobookalex", "en",
    "Luisterpas is €99 a year and I got through 31 audiobooks. That's about 3 euro per book. Math wins.")
add("x", "@kimsmit_ux", "nl",
    "Ons team vertelt morgen op de UX Benelux meetup hoe we de Inktvos app toegankelijker maakten. Kom gezellig langs!")
add("x", "@policywonk", "en",
    "Interesting: the EU right-to-repair rules will cover e-readers from 2027. Inktvos, Kobo and Amazon will all have to "
    "sell spare batteries.")
add("x", "@happycaller", "en",
    "Called Inktvos on +31 30 555 0199 about my order, sorted in 5 minutes. Friendly guy called Youssef 👍")
add("x", "@inktvos", "nl", "De jaarcijfers 2026 staan online! Lees het volledige jaarverslag op inktvos.nl/investeerders",
    date="2027-03-01T09:00:00Z")
add("x", "@vogelspotter", "nl",
    "Vanochtend een zilverreiger in de sloot achter het huis terwijl ik op mijn Uil 7 zat te lezen 🪶 beste ochtend")
add("x", "@inktvos_hulp", "en",
    "@jmbooks we can see the payment on your card ending 4417 went through twice. The second one is refunded, expect it "
    "in 3-5 days 👍", kind="reply")
add("x", "@rekenwonder", "nl",
    "Mijn bank blokkeerde een overboeking naar %s omdat het IBAN niet klopt. Bleek dat ik twee cijfers had omgedraaid. "
    "Inktvos-bestelling gewoon via iDEAL gedaan." % G["bad_iban2"])
add("bluesky", "@devrel_dani.bsky.social", "en",
    "Writing docs for our Inktvos integration: example key looks like sk-ant-api03-xxxxxxxx..., never paste a real one "
    "in an issue!")
add("x", "@inktvos_hulp", "nl",
    "Tip: zet een pincode op aankopen in je Mus Kids via Instellingen > Ouderlijk toezicht. Zo koopt je kleine lezer "
    "niet per ongeluk boeken 📚")
add("x", "@docentmark", "nl",
    "Testdata voor mijn programmeerles: BSN %s. Zoals de leerlingen zelf ontdekten: die slaagt niet voor de elfproef."
    % G["bad_bsn2"])

# ----------------------------------------------------------------- severity policy (CONTRACT §4)
ORDER = ["none", "info", "warning", "error", "critical"]


def acct_key(platform, handle):
    return ("%s:%s" % (platform, handle)).lower()


CORP = {a.lower() for a in PROFILE["accounts"]["corporate"]}
EMP = {a.lower() for a in PROFILE["accounts"]["employee"]}


def role_of(platform, handle):
    k = acct_key(platform, handle)
    return "corporate" if k in CORP else "employee" if k in EMP else "public"


def norm(text):
    t = unicodedata.normalize("NFKC", text)
    return re.sub("[\u200b\u200c\u200d\u2060\ufeff]", "", t)


IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\dA-Za-z])(?:\d[ -]?){12,18}\d(?![\dA-Za-z])")
BSN_RE = re.compile(r"(?<![\d.,])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\d]|[.,]\d)")
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE_RE = re.compile(r"(?:\+31|0031|(?<![\w])0)[\s-]?(?:\(0\))?[\s-]?\d(?:[\s-]?\d){7,9}")


def norm_phone(s):
    d = re.sub(r"\D", "", s)
    if d.startswith("0031"):
        d = "0" + d[4:]
    elif d.startswith("31"):
        d = "0" + d[2:]
    return d.replace("00", "0", 1) if d.startswith("00") else d


PUB_IBANS = {re.sub(r"\s", "", i).upper() for i in PROFILE["public_identifiers"]["ibans"]}
PUB_EMAILS = {e.lower() for e in PROFILE["public_identifiers"]["emails"]}
PUB_PHONES = {norm_phone(p) for p in PROFILE["public_identifiers"]["phones"]}


def id_candidates(text):
    t = norm(text)
    out = []
    for m in IBAN_RE.finditer(t):
        s = re.sub(r"\s", "", m.group(0))
        if s in PUB_IBANS:
            continue
        out.append(("iban", s, iban_ok(s)))
    for m in CARD_RE.finditer(t):
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19:
            out.append(("card", d, luhn_ok(d)))
    for m in BSN_RE.finditer(t):
        d = re.sub(r"\D", "", m.group(0))
        out.append(("bsn", d, bsn_ok(d)))
    return out


def severity(cats, role, checksum_id):
    lvl = "none"

    def up(x):
        nonlocal lvl
        if ORDER.index(x) > ORDER.index(lvl):
            lvl = x

    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                up("error")
                if c in (SEC, PR) or (c == PII and checksum_id):
                    up("critical")
            else:
                up("warning")
        elif c == COMP:
            up("warning")
        elif c == CRI:
            up("error")
        elif c == AB:
            up("warning" if role == "public" else "error")
    return lvl

# ----------------------------------------------------------------- build
ID_PREFIX = {"x": "x", "reddit": "rd", "facebook": "fb", "instagram": "ig", "linkedin": "li", "tiktok": "tt",
             "youtube": "yt", "mastodon": "md", "bluesky": "bs", "threads": "th", "forum": "fo"}


def rand_date():
    m = rng.randint(1, 12)
    d = rng.randint(1, 28)
    return "2026-%02d-%02dT%02d:%02d:%02dZ" % (m, d, rng.randint(6, 23), rng.randint(0, 59), rng.randint(0, 59))


rows = []
meta = []
used_ids = set()
for i, c in enumerate(CASES):
    while True:
        if c["platform"] == "x":
            pid = "x-" + str(rng.randint(10 ** 18, 10 ** 19 - 1))
        elif c["platform"] == "reddit":
            pid = "rd-t3_" + rand(string.ascii_lowercase + string.digits, 7)
        else:
            pid = "%s-%s" % (ID_PREFIX[c["platform"]], rand(string.digits, 10))
        if pid not in used_ids:
            used_ids.add(pid)
            break
    created = c["date"] or rand_date()
    role = role_of(c["platform"], c["handle"])
    cands = id_candidates(c["text"])
    checksum_id = PII in c["cats"] and any(ok for _, _, ok in cands)
    sev = severity(c["cats"], role, checksum_id)
    post = {"id": pid, "platform": c["platform"], "kind": c["kind"], "account": {"handle": c["handle"]},
            "text": c["text"], "lang": c["lang"], "created_at": created, "brand": "inktvos"}
    rows.append({"post": post, "expect": {"categories": c["cats"], "severity": sev}})
    meta.append(dict(role=role, cands=cands, benign=not c["cats"]))

out = os.path.join(HERE, "cases.jsonl")
with open(out, "w", encoding="utf-8") as f:
    for r in rows:
        f.write(json.dumps(r, ensure_ascii=False) + "\n")

# ----------------------------------------------------------------- self-checks
errors = []
warnings = []


def err(i, msg):
    errors.append("case %d (%s): %s" % (i, rows[i]["post"]["id"] if i < len(rows) else "?", msg))


# profile checks
P = PROFILE
if len(P["accounts"]["corporate"]) < 6 or len(P["accounts"]["employee"]) < 8:
    errors.append("profile: too few accounts")
if len({a.split(":")[0] for a in P["accounts"]["corporate"] + P["accounts"]["employee"]}) < 4:
    errors.append("profile: too few platforms")
for ib in P["public_identifiers"]["ibans"]:
    if not iban_ok(ib):
        errors.append("profile: public IBAN fails mod-97: " + ib)
if len(P["internal"]["codenames"]) != 3 or len(P["internal"]["markers"]) != 3:
    errors.append("profile: need 3 codenames and 3 markers")
for e in P["embargo"]:
    if not str(e["until"]).startswith("2027-"):
        errors.append("profile: embargo until not in 2027")
if not 15 <= len(P["products"]) <= 25:
    errors.append("profile: product count")
for pr in P["products"]:
    if pr["currency"] != "EUR" or not pr.get("aliases") or not isinstance(pr["list_price"], (int, float)):
        errors.append("profile: bad product " + pr["name"])
if P["pricing"]["alert_below_ratio"] != 0.5:
    errors.append("profile: ratio")

ALLOWED_PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
                     "bluesky", "threads", "forum", "blog", "other"}
ALLOWED_KINDS = {"post", "reply", "repost", "comment", "message"}
ALL_CATS = {SEC, PII, PR, CONF, FIN, SECU, CRI, COMP, AB}
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$")

conf_terms = [t.lower() for t in P["internal"]["codenames"] + P["internal"]["markers"] + P["internal"]["domains"]]
embargo = [(t.lower(), datetime.fromisoformat(e["until"].replace("Z", "+00:00"))) for e in P["embargo"]
           for t in e["terms"]]
profile_handles = CORP | EMP

with open(out, encoding="utf-8") as f:
    lines = f.read().splitlines()
if len(lines) != len(rows):
    errors.append("line count mismatch")
seen = set()
for i, line in enumerate(lines):
    try:
        r = json.loads(line)
    except Exception as e:  # noqa
        err(i, "invalid JSON: %s" % e)
        continue
    p, x = r.get("post"), r.get("expect")
    if set(r) != {"post", "expect"} or not isinstance(p, dict) or not isinstance(x, dict):
        err(i, "bad top-level shape")
        continue
    for k in ("id", "platform", "text", "created_at"):
        if not isinstance(p.get(k), str) or not p[k]:
            err(i, "missing/invalid " + k)
    if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str):
        err(i, "missing account.handle")
    if not 1 <= len(p["id"]) <= 256 or p["id"] in seen:
        err(i, "id not unique / bad length")
    seen.add(p["id"])
    if p["platform"] not in ALLOWED_PLATFORMS or p.get("kind", "post") not in ALLOWED_KINDS:
        err(i, "platform/kind")
    if len(p["text"].encode("utf-8")) > 65536:
        err(i, "text too long")
    if not RFC3339.match(p["created_at"]):
        err(i, "created_at not RFC 3339")
    when = datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
    if when.year not in (2026, 2027):
        err(i, "created_at year")
    cats = x.get("categories")
    if not isinstance(cats, list) or cats != sorted(set(cats)) or not set(cats) <= ALL_CATS:
        err(i, "categories")
    if x.get("severity") not in ORDER:
        err(i, "severity value")
    m = meta[i]
    # severity recomputed from the profile role
    role = role_of(p["platform"], p["account"]["handle"])
    cands = id_candidates(p["text"])
    chk = PII in cats and any(ok for _, _, ok in cands)
    if x["severity"] != severity(cats, role, chk):
        err(i, "severity mismatch")
    if not cats and x["severity"] != "none":
        err(i, "benign with severity")
    if role == "public" and acct_key(p["platform"], p["account"]["handle"]) in profile_handles:
        err(i, "role")
    t = norm(p["text"]).lower()
    if not cats:
        # look-alike identifiers in negatives must fail their checksum
        for kind_, val, ok in cands:
            if ok:
                err(i, "benign holds a VALID %s %s" % (kind_, val))
        for em in EMAIL_RE.findall(norm(p["text"])):
            if em.lower() not in PUB_EMAILS:
                err(i, "benign holds a non-public e-mail " + em)
        for ph in PHONE_RE.findall(norm(p["text"])):
            if norm_phone(ph) not in PUB_PHONES:
                err(i, "benign holds a non-public phone " + ph)
        for term in conf_terms:
            if term in t:
                err(i, "benign holds internal term " + term)
        for term, until in embargo:
            if re.search(r"(?<!\w)" + re.escape(term) + r"(?!\w)", t) and when < until:
                err(i, "benign holds embargoed term before until: " + term)
        for g in re.findall(r"gh[pousr]_[0-9A-Za-z]{36}", p["text"]):
            if ghp_ok(g):
                err(i, "benign holds a valid GitHub token")
        for a in re.findall(r"AKIA[A-Z2-7]{16}", p["text"]):
            if not a.endswith("EXAMPLE"):
                err(i, "benign holds a non-sample AWS key")
    else:
        if SEC not in cats or PII in cats:
            for kind_, val, ok in cands:
                if not ok:
                    err(i, "positive holds a look-alike %s that fails its checksum: %s" % (kind_, val))
                elif PII not in cats:
                    err(i, "valid %s in a post not labelled leak.pii" % kind_)
        if PII not in cats and SEC not in cats:
            for em in EMAIL_RE.findall(norm(p["text"])):
                if em.lower() not in PUB_EMAILS:
                    err(i, "unlabelled e-mail " + em)
            for ph in PHONE_RE.findall(norm(p["text"])):
                if norm_phone(ph) not in PUB_PHONES:
                    err(i, "unlabelled phone " + ph)
        if CONF not in cats:
            for term in conf_terms:
                if term in t:
                    err(i, "internal term without leak.confidential: " + term)
            for term, until in embargo:
                if re.search(r"(?<!\w)" + re.escape(term) + r"(?!\w)", t) and when < until:
                    err(i, "embargoed term without leak.confidential: " + term)

# generated credential sanity
if not ghp_ok(G["ghp"]) or not ghp_ok(G["ghs"]):
    errors.append("ghp checksum")
if not re.fullmatch(r"AKIA[A-Z2-7]{16}", G["akia"]):
    errors.append("akia format")
hdr = json.loads(base64.urlsafe_b64decode(G["jwt"].split(".")[0] + "=="))
if "alg" not in hdr:
    errors.append("jwt header")
for key in ("iban1", "iban2", "iban3"):
    if not iban_ok(G[key]):
        errors.append(key)
for key in ("card1", "card2", "card3"):
    if not luhn_ok(G[key].replace(" ", "")):
        errors.append(key)
for key in ("bsn1", "bsn2", "bsn3"):
    if not bsn_ok(G[key]):
        errors.append(key)
# every PII positive that carries a generated IBAN/card/BSN must have it detected as valid
for i, r in enumerate(rows):
    txt = norm(r["post"]["text"])
    for key in ("iban1", "iban2", "card1", "card2", "bsn1", "bsn2"):
        raw = G[key]
        if raw in txt or spaced_iban(raw) in txt:
            if PII not in r["expect"]["categories"]:
                err(i, "generated identifier outside a pii case")
            if not any(ok for _, _, ok in id_candidates(r["post"]["text"])):
                err(i, "generated identifier not detected by scan")

# pricing sanity on benign posts (warnings: a product alias next to a price below half its list price)
aliases = []
for pr in P["products"]:
    for a in [pr["name"]] + pr["aliases"]:
        aliases.append((a.lower(), pr["list_price"]))
aliases.sort(key=lambda z: -len(z[0]))
PRICE_RE = re.compile(r"(?:€|eur\s?)\s?(\d+(?:[.,]\d{1,2})?)|(\d+(?:[.,]\d{1,2})?)\s?(?:euro|eur\b|€)", re.I)
for i, r in enumerate(rows):
    t = norm(r["post"]["text"]).lower()
    hit = None
    for a, lp in aliases:
        if re.search(r"(?<!\w)" + re.escape(a) + r"(?!\w)", t):
            hit = (a, lp)
            break
    if not hit:
        continue
    prices = [float((m.group(1) or m.group(2)).replace(",", ".")) for m in PRICE_RE.finditer(t)]
    low = [pp for pp in prices if pp < 0.5 * hit[1]]
    if low and PR not in r["expect"]["categories"]:
        warnings.append("case %d %s: alias '%s' (list %.2f) near low price %s [labels %s]" % (
            i, r["post"]["id"], hit[0], hit[1], low, r["expect"]["categories"]))
    if PR in r["expect"]["categories"] and not low and "prijsfout" not in t and "price error" not in t:
        errors.append("case %d: pricing positive without a low price or price-error talk" % i)

# mix
n = len(rows)
benign = sum(1 for r in rows if not r["expect"]["categories"])
percat = {c: sum(1 for r in rows if c in r["expect"]["categories"]) for c in sorted(ALL_CATS)}
nl = sum(1 for r in rows if r["post"]["lang"] == "nl")
roles = {}
for r in rows:
    k = role_of(r["post"]["platform"], r["post"]["account"]["handle"])
    roles[k] = roles.get(k, 0) + 1
if not 170 <= n <= 180:
    errors.append("case count %d not in 170-180" % n)
if not 55 <= benign <= 66:
    errors.append("benign count %d" % benign)
if not 0.50 <= nl / n <= 0.60:
    errors.append("Dutch share %.2f" % (nl / n))

print("cases: %d  benign: %d  positives: %d  nl: %d (%.0f%%)" % (n, benign, n - benign, nl, 100.0 * nl / n))
print("per category:", json.dumps(percat))
print("roles:", json.dumps(roles))
print("severities:", json.dumps({s: sum(1 for r in rows if r["expect"]["severity"] == s) for s in ORDER}))
for w in warnings:
    print("note:", w)
if errors:
    for e in errors:
        print("ERROR:", e)
    sys.exit(1)
print("OK: all self-checks passed")
