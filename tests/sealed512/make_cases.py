#!/usr/bin/env python3
"""Sealed evaluation set 512 for postwatch: Pingelkar, a fictional ice-cream van franchise.

Deterministic (fixed seed). Writes cases.jsonl next to this file and self-checks it:
  * every line is a valid CONTRACT section 6 case,
  * severities are computed from the account role in profile.yaml (CONTRACT section 4),
  * every IBAN / card / BSN in a positive passes its checksum, every look-alike in a
    benign post fails it, generated GitHub tokens carry a valid CRC-32, JWT headers
    decode to JSON with "alg", embargo terms and prices agree with the labels.
Standard library plus PyYAML only.
"""
import base64
import json
import os
import random
import re
import string
import sys
import zlib
from datetime import datetime, timedelta, timezone

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))
OUT = os.path.join(HERE, "cases.jsonl")

rng = random.Random(512)

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base62 order
B32 = string.ascii_uppercase + "234567"

# --------------------------------------------------------------------------------------
# checksum helpers
# --------------------------------------------------------------------------------------


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
    return tot % 11 == 0


REGISTERED = {}  # normalised identifier -> (kind, should_pass)


def _reg(kind, value, should_pass):
    REGISTERED[re.sub(r"[\s.-]", "", value)] = (kind, should_pass)
    return value


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def make_iban(bank, valid=True, spaced=True):
    acct = "".join(rng.choice(string.digits) for _ in range(10))
    bban = bank + acct
    n = int("".join(str(int(c, 36)) for c in bban + "NL00"))
    chk = 98 - n % 97
    if not valid:
        chk = (chk + rng.randint(1, 50)) % 97 + 2
        if iban_ok("NL%02d%s" % (chk, bban)):
            chk = chk + 1 if chk < 98 else 2
    iban = "NL%02d%s" % (chk, bban)
    assert iban_ok(iban) == valid
    txt = group4(iban) if spaced else iban
    return _reg("iban", txt, valid)


def make_card(prefix, valid=True, sep=" "):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(15 - len(prefix)))
    for last in range(10):
        if luhn_ok(body + str(last)):
            break
    num = body + str(last if valid else (last + rng.randint(1, 9)) % 10)
    assert luhn_ok(num) == valid
    txt = sep.join(num[i:i + 4] for i in range(0, 16, 4))
    return _reg("card", txt, valid)


def make_bsn(valid=True):
    while True:
        d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        s = sum(d[i] * (9 - i) for i in range(8)) % 11
        if s == 10:
            continue
        last = s if valid else (s + rng.randint(1, 8)) % 10
        num = "".join(map(str, d)) + str(last)
        if bsn_ok(num) == valid:
            return _reg("bsn", num, valid)


# --------------------------------------------------------------------------------------
# secret generators (built the way the real ones are)
# --------------------------------------------------------------------------------------


def rnd(n, alphabet=ALNUM):
    return "".join(rng.choice(alphabet) for _ in range(n))


def base62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out or "0"


def github_token(prefix="ghp_"):
    body = rnd(30)
    return prefix + body + base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and base62(zlib.crc32(m.group(1).encode()) & 0xFFFFFFFF).rjust(6, "0") == m.group(2)


def aws_pair():
    return "AKIA" + rnd(16, B32), rnd(40, string.ascii_letters + string.digits + "+/")


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt(payload):
    head = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64u(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64u(bytes(rng.randrange(256) for _ in range(32)))
    return "%s.%s.%s" % (head, body, sig)


def ssh_private_key():
    raw = b"openssh-key-v1\x00" + bytes(rng.randrange(256) for _ in range(380))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


URLSAFE = string.ascii_letters + string.digits + "-_"

AWS1_ID, AWS1_SECRET = aws_pair()
GH1 = github_token("ghp_")
MOLLIE = "live_" + rnd(30, string.ascii_letters + string.digits)
SLACK = "xoxb-%s-%s-%s" % (rnd(12, string.digits), rnd(13, string.digits), rnd(24, string.ascii_letters + string.digits))
JWT1 = jwt({"sub": "kassa-svc", "role": "admin", "iat": 1783000000, "iss": "api.pingelkar.nl"})
DB_PW = rnd(6) + "!" + rnd(5)
DBURL = "postgres://pk_orders:%s@pk-prod.cluster-c7x2kq.eu-central-1.rds.amazonaws.com:5432/orders" % DB_PW
SSHKEY = ssh_private_key()
STRIPE = "sk_live_51" + rnd(14) + rnd(85, string.ascii_letters + string.digits)
OPENAI = "sk-proj-" + rnd(58, URLSAFE) + "T3BlbkFJ" + rnd(58, URLSAFE)
ANTHROPIC = "sk-ant-api03-" + rnd(93, URLSAFE) + "AA"
ALL_SECRETS = [AWS1_ID, AWS1_SECRET, GH1, MOLLIE, SLACK, JWT1, DBURL, STRIPE, OPENAI, ANTHROPIC]

# personal data
IBAN_REFUND = make_iban("INGB")
IBAN_JELLE = make_iban("ABNA", spaced=False)
IBAN_CUSTOMER = make_iban("SNSB")
CARD_FOUND = make_card("4")
CARD_BOOKING = make_card("52", sep="")
BSN_NEW = make_bsn()
# look-alikes for benign posts
IBAN_FAKE = make_iban("BUNQ", valid=False)
CARD_FAKE = make_card("49", valid=False)
CARD_FAKE2 = make_card("60", valid=False, sep="-")
BSN_FAKE = make_bsn(valid=False)

# --------------------------------------------------------------------------------------
# accounts
# --------------------------------------------------------------------------------------

CX = ("x", "@pingelkar")
CZ = ("x", "@pingelkar_zorg")
CI = ("instagram", "@pingelkar.ijs")
CF = ("facebook", "PingelkarIJs")
CL = ("linkedin", "pingelkar-franchise")
CT = ("tiktok", "@pingelkar_official")
CY = ("youtube", "@PingelkarTV")

MO = ("x", "@mo_elkarouti")
LOT = ("x", "@lotte_vd_meer")
RUB = ("x", "@ruben_codeert")
DAAN = ("linkedin", "daan-verhoef-pingelkar")
YAS = ("linkedin", "yasmina-bouzid-pk")
FEM = ("instagram", "@ijsjuf_femke")
KEES = ("tiktok", "@kees_opdekar")
NOOR = ("mastodon", "@noor_sre@mastodon.social")
JEL = ("bluesky", "@jelle-pingelkar.bsky.social")
SAN = ("threads", "@sanne.franchise")


def role_of(platform, handle):
    key = ("%s:%s" % (platform, handle)).lower()
    if key in {a.lower() for a in PROFILE["accounts"]["corporate"]}:
        return "corporate"
    if key in {a.lower() for a in PROFILE["accounts"]["employee"]}:
        return "employee"
    return "public"


CASES = []

S = "reputation.complaint"
CR = "reputation.crisis"
AB = "reputation.abuse"
SEC = "leak.secret"
PII = "leak.pii"
PR = "leak.pricing"
CONF = "leak.confidential"
FIN = "leak.financial"
SECU = "leak.security"


def P(acct, text, cats, lang, kind="post", when=None, brand=None):
    CASES.append(dict(acct=acct, text=text, cats=sorted(set(cats)), lang=lang, kind=kind, when=when, brand=brand))


def pub(platform, handle):
    return (platform, handle)


# ======================================================================================
# POSITIVES
# ======================================================================================

# ---- pricing (12) --------------------------------------------------------------------
P(CX, "🎉 Zomerknaller! Boek nu Kar aan Huis voor je tuinfeest voor maar €39,50 all-in. Op = op, via bestel.pingelkar.nl", [PR], "nl")
P(CI, "IJstaart Feest vandaag in de webshop voor €1,95 🍰🥳 wees er snel bij! #pingelkar #ijstaart", [PR], "nl")
P(LOT, "eh collega's?? de speelgoedkar staat in de webshop op €2,49 ipv 24,95. volgens mij prijsfout, wie kan dat fixen voor het viral gaat 😬", [PR], "nl", kind="post")
P(pub("x", "@dealjager_nl"), "PRIJSFOUT ALERT 🚨 Pingelkar Bruiloftspakket Deluxe voor €125 in de app. Heb er meteen 2 geboekt lmaooo", [PR], "nl")
P(pub("reddit", "u/softserve_steve"), "Anyone else seeing the Pingelkar Draaimachine K2 listed at €690 on the franchise shop? Pretty sure someone dropped a zero somewhere.", [PR], "en", kind="comment")
P(KEES, "vandaag op de kar: Shake XL voor 1 euro 😱 kassa staat verkeerd ingesteld maar ja, geniet ervan mensen #ijscoboer #dagopdekar", [PR], "nl")
P(pub("facebook", "Ria Hoogendoorn"), "Familiebak Vanille at the Pingelkar van for €2.99?? Must be a mistake but I happily took 6 of them 😂", [PR], "en", kind="comment")
P(CF, "Alleen dit weekend: het PingelPass jaarabonnement voor €4,90! Onbeperkt 10% korting bij elke kar ☀️🍦", [PR], "nl")
P(pub("x", "@cheapthrills_ams"), "lol the Pingelkar koelbox 24L is €3.99 on their site rn. pricing glitch? grabbing two before they notice", [PR], "en")
P(SAN, "Nieuwe franchisers opgelet 📣 het Franchise Startpakket kost deze maand maar € 1.850 (normaal € 18.500). DM me voor info!", [PR], "nl")
P(pub("instagram", "@mango_meisje"), "Mango Sorbet for €0.75 at the van on Janskerkhof?! 🥭 price error or happy hour, idc, I'm having three", [PR], "en", kind="comment")
P(pub("forum", "koopjesknaller77"), "[Prijsfout] Pingelkar ijswagen Classic occasion op hun site voor €4.250,- , moet natuurlijk 42.500 zijn. Iemand gewaagd?", [PR], "nl")

# ---- secrets (12, one also security) ---------------------------------------------------
P(RUB, "wie had de key voor de staging-bucket nodig? hier:\nAWS_ACCESS_KEY_ID=%s\nAWS_SECRET_ACCESS_KEY=%s\nniet doorsturen aub 🙏" % (AWS1_ID, AWS1_SECRET), [SEC], "nl")
P(NOOR, "debugging the deploy runner for an hour now. export GITHUB_TOKEN=%s and it STILL returns 401. what am I missing #devops" % GH1, [SEC], "en")
P(JEL, "note to self (and whoever needs it): webshop Mollie key = %s" % MOLLIE, [SEC], "en")
P(CZ, "@ijs_ilse Vervelend dat inloggen niet lukt! We hebben je account gereset. Log in met wachtwoord: Zomer2026!Kar en wijzig het daarna meteen 😊", [SEC], "nl", kind="reply")
P(RUB, "@noor_sre@mastodon.social slack bot is alive again, token's %s , can u drop it in the config?" % SLACK, [SEC], "en", kind="reply")
P(RUB, "curl -H 'Authorization: Bearer %s' https://api.pingelkar.nl/v2/kassa/omzet  <- waarom geeft dit een 500, iemand?" % JWT1, [SEC], "nl")
P(NOOR, "Migration finally done 🎉 new connection string for the team:\n%s" % DBURL, [SEC], "en")
P(JEL, "laptop died, parking my deploy key here so I have it at home lol\n%s" % SSHKEY, [SEC], "en")
P(pub("forum", "sec_nerd_0x"), "Heads up Pingelkar: your Android app ships a live Stripe secret in res/values/strings.xml:\n%s\nAnyone with apktool can pull it. Rotate it please." % STRIPE, [SEC], "en")
P(LOT, "onze nieuwe klantenservice-chatbot draait gewoon op deze key haha: %s ... dan weet je dat 🤖" % OPENAI, [SEC], "nl")
P(NOOR, "intern incident, nog niks naar buiten: iemand heeft onze prod Anthropic key (%s) in een publieke repo gezet en die wordt al 3 dagen misbruikt. rekening loopt op" % ANTHROPIC, [SEC, SECU], "nl")
P(FEM, "voor alle collega's in depot Noord 📶 wifi = PK-Depot-Noord, w a c h t w o o r d : Hoorntje!2026 (staat ook op het prikbord)", [SEC], "nl")

# ---- security (11 solo; +1 with secret above, +1 with confidential below) -------------
P(NOOR, "heads up: card terminals in ~60 of our vans have been dead since this morning, payment provider is down. official statement only goes out tomorrow so keep it in-house", [SECU], "en")
P(RUB, "found a bug in PingelPass: change the user id in the order URL and you see someone else's orders + home address 🙈 ticket is open, not fixed yet, pls don't share", [SECU], "en")
P(KEES, "hele planningsysteem is gehackt ofzo, vandaag geen routes gekregen. baas zegt tegen klanten gewoon 'technische problemen' zeggen 🤐", [SECU], "nl")
P(YAS, "Collega's, er ging gisteren een phishingmail rond en 4 franchise-accounts zijn overgenomen. Wijzig vandaag nog je wachtwoord. Dit is nog niet extern gecommuniceerd, dus graag geen reacties naar klanten.", [SECU], "nl")
P(JEL, "our van GPS tracking API has zero auth. anyone can see where every Pingelkar van is, live. flagged it 3 weeks ago, still open. cool cool cool", [SECU], "en")
P(pub("reddit", "u/throwaway_depot_amf"), "Werk in een Pingelkar-depot. De koelcel-monitoring ligt al een week plat omdat de server met ransomware besmet is. Buiten het bedrijf weet niemand het, de franchisers ook niet.", [SECU], "nl")
P(MO, "kassa-app crasht bij elke PingelPass betaling sinds de update. IT zegt er zit een lek in de nieuwe versie en ze trekken 'm stilletjes terug", [SECU], "nl")
P(NOOR, "we've been eating a DDoS on the order site since 14:00, running at 20% capacity. keeping it quiet until it's over, customers just see 'busy, try later' #oncall", [SECU], "en")
P(FEM, "collega's let op 👀 de codes van de kluisjes in het depot zijn uitgelekt, iedereen kan erbij. Zeg het nog niet tegen klanten ofzo, beheer is ermee bezig", [SECU], "nl")
P(SAN, "Franchise portal was down all weekend because our hosting provider got breached. Franchisees: please don't post about it yet, comms is still working on it 🙏", [SECU], "en")
P(JEL, "unpatched RCE in our ordering backend (the old java one). patch 'slated for next sprint'. sleeping great, thanks", [SECU], "en")

# ---- confidential (15 solo; + 2 with financial, + 1 with security) --------------------
P(LOT, "kan echt niet wachten tot Project Walrus live gaat in België 🤫🇧🇪 eerste karren in Antwerpen!", [CONF], "nl")
P(KEES, "baas vertelde vandaag dat we volgend jaar allemaal elektrisch gaan rijden. Operatie IJsvogel heet het intern 😂 ben benieuwd", [CONF], "nl")
P(RUB, "Frostbyte sprint demo went great 🔥 new till app finally runs on every test van", [CONF], "en")
P(LOT, "moodboard voor de zomercampagne 2027 is af!! (PK-INTERN dus nog even niet verder sturen 😉) 🌈🍦", [CONF], "nl")
P(MO, "nieuwe collega's, je rooster staat op https://planning.pingelkar.local/rooster/zomer , inloggen met je personeelsnummer", [CONF], "nl")
P(pub("x", "@roddeltante_ut"), "neefje werkt bij Pingelkar en zegt dat ze iets hebben dat 'Project Walrus' heet. Karren in het buitenland?? 👀👀", [CONF], "nl")
P(LOT, "#ProjectWal\u200brus 🦭 binnenkort meer, ik mag nog niks zeggen maar het wordt GROOT", [CONF], "nl")
P(CI, "Sneak peek 👀⚡ de Pingelkar Elektro komt eraan. Stil, schoon en nog steeds met ons deuntje. Binnenkort in jouw straat!", [CONF], "nl", when="2026-08-21T16:05:00Z")
P(FEM, "net een proefritje gemaakt in de Pingelkar Elektro. zo stil dat de kinderen me niet eens hoorden aankomen 😅 deuntje moet harder", [CONF], "nl", when="2027-01-19T13:40:00Z")
P(YAS, "Thanks all for today's session on the new driver pay scales and the 2027 bonus scheme. Slides are marked niet extern delen, so please keep them to yourselves.", [CONF], "en")
P(SAN, "super handige checklist uit de franchise-handleiding, staat PK-INTERN op maar ach: 1) koelcel <-18 2) kassa open om 12u 3) deuntje uit na 21u", [CONF], "nl")
P(pub("reddit", "u/frozen_facts"), "Got hold of a Pingelkar deck stamped 'pingelkar vertrouwelijk'. They want to cut the driver commission from 24% to 18% next season.", [CONF], "en")
P(JEL, "sneak peek of the flavours we launch in May: Stroopwafel Swirl & Salted Drop 🍦 internal only for now so shhh 🤐", [CONF], "en")
P(KEES, "ik zeg niks maar O.p.e.r.a.t.i.e  I.J.s.v.o.g.e.l wordt echt iets 🤫⚡ #ijscoboer", [CONF], "nl")
P(RUB, "anyone got the right repo link? gitlab.pingelkar.internal/kassa/till-app gives me a 404", [CONF], "en")
# confidential + financial (embargo before until)
P(DAAN, "Sneak preview: de jaarcijfers 2026 laten +14% omzet zien, beste jaar ooit voor Pingelkar 🎉 officieel in maart.", [CONF, FIN], "nl", when="2027-01-22T08:30:00Z")
P(LOT, "FY2026 results look amazing, can't say more till March 😉 but let's just say EBITDA doubled", [CONF, FIN], "en", when="2027-02-11T19:12:00Z")
# confidential + security
P(NOOR, "grafana.pk-ops.net laat zien dat het database-cluster al 3 uur instabiel is, bestellingen vallen af. klanten merken het nog niet, wij wel 😩", [CONF, SECU], "nl")

# ---- financial (10 solo; + 2 above) ---------------------------------------------------
P(DAAN, "Intern cijfer, nog niet gepubliceerd: omzet Q3 22% onder budget door de natste augustus ooit. Cijfers gaan pas in november naar de franchisers.", [FIN], "nl")
P(YAS, "Tough week in HR. 35 of the 110 people at head office will have to go, and it won't be announced before 1 October. For now: hug your colleagues.", [FIN], "en")
P(SAN, "Psst franchisers 🤝 we nemen IJscoman Veluwe over, deal wordt volgende week getekend. Tot die tijd mondje dicht!", [FIN], "nl")
P(LOT, "forecast for 2027 just got cut by a third at the board meeting. marketing budget = gone 🫠", [FIN], "en")
P(MO, "hoorde van de regiomanager dat Pingelkar in gesprek is met een Belgisch investeringsfonds om het hele bedrijf over te nemen 👀 dus ja", [FIN], "nl")
P(pub("reddit", "u/ijsfan_zwolle"), "Friend in finance at Pingelkar says they're closing the Groningen and Zwolle depots next spring, ~60 jobs gone. Nothing announced yet.", [FIN], "en")
P(KEES, "net gehoord: 1 op de 4 karren wordt deze winter verkocht, reorganisatie. nog geheim maar ja jullie zijn mijn volgers 🤷", [FIN], "nl")
P(CL, "CONCEPT - niet publiceren: Pingelkar sluit H1 af met €4,2 mln verlies; persbericht volgt op 12 augustus.", [FIN], "nl")
P(DAAN, "Closing the books on June: EBITDA margin 3.1%, well below the 8% we guided franchisees. Announcement is Thursday, brace yourselves.", [FIN], "en")
P(JEL, "rumour is true — Pingelkar is merging with Gelato Rollers BV, signing on Friday. you heard it here first 🍦🤝🍨", [FIN], "en")

# ---- personal data (13 solo; + 2 with complaint) --------------------------------------
P(CZ, "@jvd_hoek We hebben je terugbetaling klaargezet naar %s t.n.v. J. van der Hoek. Klopt dat rekeningnummer?" % IBAN_REFUND, [PII], "nl", kind="reply")
P(MO, "mevrouw die vandaag haar portemonnee liet liggen bij de kar in Leusden: Anneke Vos, geboren 12-03-1961. ik heb hem, stuur me een DM!", [PII], "nl")
P(FEM, "Gevonden in de kar vandaag 💳 creditcard van ene J. Kramer, nummer %s. Wie kent haar? Dan breng ik hem terug" % CARD_FOUND, [PII], "nl")
P(KEES, "kinderfeestje zaterdag 14u 🎈 familie Bakker, Lindelaan 14, 3818 GH Amersfoort. wie van jullie wil mee op de kar?", [PII], "nl")
P(YAS, "Welcome aboard Tim Hendriks! 🎉 (payroll: his BSN is %s ... oops, wrong chat 🙈)" % BSN_NEW, [PII], "en")
P(CZ, "@sarah_ijsjes Bel even direct met onze planner Petra de Jong op 06 4832 1190, zij regelt het voor je!", [PII], "nl", kind="reply")
P(pub("x", "@strandtent_noor"), "wie heeft mijn pinpas gevonden?? verloren bij de Pingelkar op het strand in Kijkduin. bel me: 06-18273645", [PII], "nl")
P(pub("facebook", "Kevin Mulder"), "Hoi Pingelkar, wil Kar aan Huis boeken voor 14 juni. Hier mijn creditcard: %s exp 09/28 cvc 311. Kunnen jullie het afschrijven?" % CARD_BOOKING, [PII], "nl", kind="comment")
P(pub("instagram", "@julia_v_d_berg"), "Looking for my old friend Lisa de Groot, born 4 June 1998, she drives one of the Pingelkar vans in Scheveningen now. Anyone know her?? 💕", [PII], "en")
P(RUB, "customer pietje.jansen1984@gmail.com placed 400 orders through the app overnight. bot? prankster? both?", [PII], "en")
P(CF, "🏆 Winnaar van de zomerwinactie: Marloes Teunissen, Kerkstraat 9 in Deventer! Gefeliciteerd, de kar komt volgende week naar je toe 🍦", [PII], "nl")
P(JEL, "anyone in finance? need to refund a double charge to %s, name R. Smit. who owns refunds these days" % IBAN_JELLE, [PII], "en")
P(pub("forum", "henk_ijsventer"), "Te koop: mijn oude Pingelkar franchisewagen (2019), rijdt prima. Bel Henk op 0031 6 5512 8834 of mail henk.broekhuis@ziggo.nl", [PII], "nl")
# personal data + complaint
P(pub("x", "@marieke_boos"), "@pingelkar_zorg al 3x gebeld en nog steeds geen terugbetaling voor het afgezegde feestpakket. Bel me terug: (030) 261 4478", [PII, S], "nl", kind="reply")
P(pub("facebook", "Karin Jansen"), "Geld voor de Bruiloft Deluxe NOOIT teruggestort. Rekening %s t.n.v. K. Jansen, het is nu 7 weken. Hoe lang nog Pingelkar??" % IBAN_CUSTOMER, [PII, S], "nl", kind="comment")

# ---- crisis (10 solo) -----------------------------------------------------------------
P(pub("x", "@zwolle_nieuws"), "Ijswagen van Pingelkar vliegt in brand op parkeerplaats bij het Stadshagen-winkelcentrum, chauffeur lichtgewond naar ziekenhuis #zwolle #brand", [CR], "nl")
P(CX, "⚠️ TERUGROEPACTIE: Mango Sorbet (lotnummer 26-114) kan sporen van pinda bevatten. Heb je een pinda-allergie? Niet eten en lever hem in bij de kar voor je geld terug.", [CR], "nl")
P(pub("x", "@eerlijk_ijs"), "BOYCOT PINGELKAR. Franchisers rijden 70 uur per week voor een hongerloon terwijl de top zich rijk rekent. Deel dit! #boycotpingelkar", [CR], "nl")
P(pub("x", "@retaillaw_eu"), "Pingelkar is being sued by 23 former franchisees over misleading revenue promises. Court date set for October.", [CR], "en")
P(pub("reddit", "u/dataleak_watch"), "Pingelkar breach? A dump with names, addresses and order history of 80k PingelPass customers is up for sale on a hacking forum.", [CR], "en")
P(pub("x", "@stentor_lezer"), "NVWA vond listeria in de softijsmachines van drie Pingelkar-wagens, staat vandaag in de krant. En mijn kids eten daar elke week 😳", [CR], "nl")
P(pub("x", "@bewustburger"), "B\u043eyc\u043et Pingelk\u0430r 🚫 ze ontslaan chauffeurs die over vieze koelcellen klagen. Niet meer kopen!", [CR], "nl")
P(pub("x", "@almere_updates"), "A kid was hit by a reversing Pingelkar ice cream van in Almere Haven this afternoon. Ambulance on scene. Awful.", [CR], "en")
P(pub("youtube", "@ConsumentenCheck"), "Onze steekproef: Pingelkar-softijs bevat tot 40% minder room dan op het bord staat. Volledige reportage in de video ⬇️", [CR], "nl")
P(pub("tiktok", "@klokkenluider_ijs"), "Pingelkar fired the driver who blew the whistle on their dirty freezers. This is a scandal, share it everywhere #pingelkar #whistleblower", [CR], "en")

# ---- crisis + complaint (first-hand safety) -------------------------------------------
P(pub("facebook", "Samira Ouali"), "Mijn dochter (4) ligt sinds vannacht in het ziekenhuis na een Softijs Groot van jullie kar in Ede. Arts zegt voedselvergiftiging. Wat gaan jullie hieraan doen @Pingelkar???", [CR, S], "nl", kind="comment")
P(pub("x", "@beachbum_rick"), "Got an electric shock off the card reader on the Pingelkar van at Zandvoort. Hand still tingling an hour later. That thing is dangerous, fix it.", [CR, S], "en")
P(pub("instagram", "@tandarts_nodig"), "hard chunk of plastic in my Kermis Sundae 😡 almost swallowed it and now a bit of my molar is gone. @pingelkar.ijs this is not ok", [CR, S], "en", kind="comment")
P(pub("reddit", "u/allergymum_nl"), "Told the Pingelkar driver my son has a nut allergy, he said the Dubbele Hoorn was fine. 20 minutes later we were using the EpiPen. Never again.", [CR, S], "en")
P(pub("x", "@vader_van_3"), "gasfles van de Pingelkar naast ons stond gewoon te lekken en die chauffeur bleef vrolijk verkopen. m'n vrouw werd er kotsmisselijk van. levensgevaarlijk", [CR, S], "nl")

# ---- complaint (11 solo) --------------------------------------------------------------
P(pub("x", "@buurtmoeder_ijs"), "al 3 zondagen op rij komt de Pingelkar niet meer in onze straat terwijl de app zegt van wel 😤 kinderen staan voor niks te wachten #teleurgesteld", [S], "nl")
P(pub("x", "@tired_dad_utr"), "Waited 40 min for the Pingelkar van the app said was '2 min away'. Never showed. Kids in tears. Great Saturday.", [S], "en")
P(pub("facebook", "Gert-Jan Vos"), "Soft serve machine broken AGAIN on the Vathorst van, third time this month. What's the point of an ice cream van without soft serve?", [S], "en", kind="comment")
P(pub("x", "@lisa_uithouten"), "still cash only at your van in Houten?? it's 2026 @pingelkar, nobody carries coins anymore", [S], "en", kind="reply")
P(pub("instagram", "@slushqueen"), "Mijn Slush Mega was gewoon half water en smaakte naar niks. €3,25 voor gekleurd water, nee dank je", [S], "nl", kind="comment")
P(pub("x", "@sam_vdl"), "@pingelkar_zorg PingelPass charged me twice for the yearly sub and support hasn't answered in 2 weeks. Hello?", [S], "en", kind="reply")
P(pub("facebook", "Buurtvereniging De Hoven"), "Kan het deuntje van de Pingelkar om half tien 's avonds niet wat zachter of gewoon eerder? Halve wijk ligt met baby's in bed.", [S], "nl")
P(pub("x", "@jorisdejong"), "Kar aan Huis geboekt voor de 7e verjaardag van m'n zoon. Kar een uur te laat, ijs op na 20 kinderen. Niet waar we voor betaald hebben @pingelkar", [S], "nl")
P(pub("threads", "@cone.critic"), "cone was stale as anything @pingelkar, tasted like cardboard 👎", [S], "en", kind="reply")
P(pub("x", "@ilonka_t"), "driver short-changed me and then got grumpy when I pointed it out. service 0/10 Pingelkar", [S], "en")
P(pub("x", "@wachtendeklant"), "Terugbetaling van de geannuleerde IJstaart Feest nog steeds niet binnen, 5 weken later. @pingelkar_zorg hallooo??", [S], "nl")

# ---- abuse (10 solo; + 2 with complaint) ----------------------------------------------
P(pub("x", "@boze_buurman"), "Pingelkar is echt een kutbedrijf met kutijs en kutmuziek", [AB], "nl")
P(pub("x", "@vanhater99"), "@pingelkar your drivers are brain-dead morons, every single one of them", [AB], "en", kind="reply")
P(pub("x", "@anoniem_0815"), "ｐｉｎｇｅｌｋａｒ ＝ ｋｌｏｏｔｚａｋｋｅｎ", [AB], "nl")
P(pub("tiktok", "@xx_r3b3l_xx"), "p1ngelk4r = sh1tb3drijf, st3lletje k4nk3rl1jers", [AB], "nl", kind="comment")
P(pub("instagram", "@anon_hater_nl"), "@ijsjuf_femke stay inside your van you fat cow, nobody wants to see that ugly face", [AB], "en", kind="comment")
P(pub("x", "@echte_nederlander88"), "waarom laat Pingelkar allemaal buitenlanders in die karren rijden? ga terug naar je eigen land ijsventer", [AB], "nl")
P(KEES, "die zeikerd van een klant die 10 minuten over 1 bolletje deed kan de tering krijgen 🙄 #dagopdekar", [AB], "nl")
P(pub("x", "@grumpy_gus"), "fuck pingelkar and fuck their overpriced frozen garbage", [AB], "en")
P(pub("x", "@slaapgebrek"), "tyfuskar met je tyfusdeuntje, ga ergens anders pingelen @pingelkar", [AB], "nl", kind="reply")
P(pub("x", "@klaagzang"), "@pingelkar_zorg pretty sure your customer service is run by a bunch of clueless apes", [AB], "en", kind="reply")
# abuse + complaint
P(pub("facebook", "Ronald Smeets"), "3x gebeld over mijn kapotte koelbox 24L en die sukkels van Pingelkar hangen gewoon op. Stelletje oplichters.", [AB, S], "nl", kind="comment")
P(pub("x", "@melted_mike"), "Ordered the IJstaart Feest, it arrived melted into soup. @pingelkar you useless pricks, refund me.", [AB, S], "en")

# ======================================================================================
# BENIGN (hard negatives mostly)
# ======================================================================================
B = []
P(pub("x", "@ijsliefhebber"), "Dubbele Hoorn van de Pingelkar is gewoon de beste van Nederland, fight me 🍦😍", B, "nl")
P(pub("tiktok", "@sundae_sanne"), "ik ga dood zo lekker die Kermis Sundae 💀💀💀", B, "nl", kind="comment")
P(pub("x", "@earworm_erin"), "The Pingelkar jingle has been stuck in my head for three days and honestly I'm not even mad", B, "en")
P(pub("instagram", "@foodie_fenna"), "Pingelkar softijs = de bom 💣💣 #zomer #ijs", B, "nl")
P(CZ, "Vragen over je bestelling? Mail klantenservice@pingelkar.nl of bel gratis 0800-7464, elke dag van 10 tot 22 uur ☎️🍦", B, "nl")
P(CF, "⚠️ Let op: er gaan nepfacturen rond met rekeningnummer %s. Die komen NIET van ons. Wij gebruiken alleen NL93 RABO 0314 1592 65." % IBAN_FAKE, B, "nl")
P(CL, "Word franchisenemer bij Pingelkar! 🍦 Info via franchise@pingelkar.nl of bel ons kantoor: +31 30 799 4410.", B, "nl")
P(pub("x", "@bonnetjesjager"), "op mijn bonnetje van de Pingelkar staat %s, wat is dat voor nummer? 🤔" % CARD_FAKE, B, "nl")
P(pub("x", "@papa_van_tijn"), "zoontje (6) speelt ijscoboer en vraagt om m'n BSN voor het ijsje. ik zei %s, hij vond het goed 😂" % BSN_FAKE, B, "nl")
P(RUB, "reminder: in the AWS docs the sample key is AKIAIOSFODNN7EXAMPLE. if you see that in our code, it's a placeholder, not a leak. relax 😅", B, "en")
P(NOOR, "pro tip: never paste tokens in chat. if you must show the format, write ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx and use the vault for the real thing", B, "en")
P(pub("x", "@vergeetachtig"), "hoe verander ik eigenlijk mijn wachtwoord in de PingelPass app? kan de knop niet vinden", B, "nl")
P(CZ, "Tip: deel nooit je wachtwoord, ook niet met ons. Pingelkar vraagt er nooit om via DM, mail of telefoon. 🔒", B, "nl")
P(CX, "Vanaf vandaag rijdt de Pingelkar Elektro in 12 steden ⚡🍦 Stil, schoon en met hetzelfde deuntje!", B, "nl", when="2027-04-15T10:00:00Z")
P(CL, "Onze jaarcijfers 2026 staan online: omzet +14%, 212 karren op de weg. Lees alles op pingelkar.nl/investeerders", B, "nl", when="2027-03-04T09:15:00Z")
P(DAAN, "Trots op het team bij de presentatie van de FY2026 results vanochtend. Op naar 2027!", B, "en", when="2027-03-04T12:30:00Z")
P(pub("instagram", "@dierentuindag"), "eerst de walrus in de dierentuin gezien 🦭 en daarna een Raketje van de Pingelkar. perfecte zondag", B, "nl")
P(pub("x", "@vogelspotter_gert"), "Een ijsvogel gespot bij de vijver 💙 en vijf minuten later kwam de Pingelkar langs. Beste dag van het jaar.", B, "nl")
P(CI, "Deze week: Familiebak Vanille voor €6,99 (normaal €8,99) 🍨 Bij elke kar zolang de voorraad strekt.", B, "nl")
P(pub("x", "@prijsbewust"), "Dubbele Hoorn is €3.50 at the van. Fair for what you get tbh", B, "en")
P(CX, "Early bird: the PingelPass jaarabonnement for €39 instead of €49. Only until 1 April 🎟️", B, "en")
P(pub("facebook", "Mirjam de Haas"), "Kermis Sundae at €5.95 seemed steep at first but it's massive. Shared one between the two of us 😄", B, "en", kind="comment")
P(pub("x", "@zuinigezus"), "bij de supermarkt een literbak ijs voor €1,49, hoe dan. wel minder lekker dan de kar natuurlijk", B, "nl")
P(CY, "Kar aan Huis from €395 for 50 guests 🎉 Book before 1 May and get 15% off. Link in the description.", B, "en")
P(MO, "Raketje nog steeds €1,50, sinds 2023 niet duurder geworden. Dat mag ook wel eens gezegd worden 💪", B, "nl")
P(pub("x", "@tevreden_tanja"), "Moaned about my melted ice cream cake yesterday, refund from @pingelkar_zorg already in today. Sorted, thanks 👍", B, "en")
P(pub("facebook", "Wijkraad Stadshagen"), "Fijn om te horen dat de chauffeur van de afgebrande ijskar weer thuis is en goed herstelt. Sterkte en tot snel in de wijk ❤️", B, "nl", kind="comment")
P(pub("x", "@ijsnieuws_be"), "Belgian ice cream brand recalls tubs over listeria. Check your freezer! (nothing to do with the Pingelkar vans btw)", B, "en")
P(CZ, "Update: this morning's PingelPass app outage is fixed. Sorry for the hassle, your credit is all there again 🙏", B, "en")
P(RUB, "Happy we finally have a responsible disclosure page at pingelkar.nl/security. Found a vulnerability? Report it there 🙌", B, "en")
P(pub("x", "@podcastfreak"), "Great podcast episode on the ransomware attack at a German bakery chain. Wild how long they were offline.", B, "en")
P(CX, "Vorig jaar reden er 180 Pingelkarren door Nederland, nu al 212 🚐🍦 Dank aan al onze franchisers!", B, "nl")
P(pub("x", "@wordijsboer"), "How does one become a Pingelkar franchisee? What's actually in the Startpakket?", B, "en")
P(CL, "We're hiring summer drivers! C1 licence, love for ice cream, good with kids. Apply at pingelkar.nl/werken 🍦🚐", B, "en")
P(pub("x", "@mama_bear_ams"), "My kid thinks the Pingelkar driver is a celebrity. Asked him for an autograph lol", B, "en")
P(pub("facebook", "Juf Annemieke"), "De Pingelkar stond vandaag bij school en de meester trakteerde de hele groep 5 🥰 Wat een feest!", B, "nl", kind="post")
P(KEES, "dag 43 op de kar: 312 Raketjes verkocht, persoonlijk record 🚀🚀 #dagopdekar", B, "nl")
P(FEM, "Lieve collega's, mooi weer, Mango Sorbet uitverkocht ☀️ beste baan van de wereld", B, "nl")
P(pub("x", "@dealhunter_nl"), "killer deal at the van today: 2 Dubbele Hoorns for €6 🔥", B, "en")
P(pub("x", "@thicc_shake"), "the Shake XL nearly killed me it's so thick 😂 had to give up on the straw and use a spoon", B, "en")
P(pub("x", "@pechvogel_p"), "courier lost my parcel again, but the Pingelkar van rolled by and saved my day 🍦", B, "en")
P(pub("x", "@barneveld_bram"), "Komt de Pingelkar ook in Barneveld? 🙏 hier rijdt helemaal niks", B, "nl")
P(CT, "Raad de smaak van de maand! 🍓🍋🥭 Hint: hij is geel en komt uit de tropen. Antwoord in de comments 👇", B, "nl")
P(pub("x", "@tikkieterror"), "iemand een IBAN voor een tikkie van dat ene ijsje? grapje 😂 ik trakteer", B, "nl")
P(CY, "How to build the perfect Dubbele Hoorn 🍦 behind the scenes at our Amersfoort depot.", B, "en")
P(pub("x", "@kleindochter_j"), "Chauffeur van de Pingelkar hielp mijn oma die onwel werd op straat, belde 112 en bleef bij haar tot de ambulance er was. Held 🦸‍♂️", B, "nl")
P(pub("instagram", "@bride_to_be_2026"), "Does Pingelkar do weddings too? How much is the Bruiloft Deluxe package? 💍🍦", B, "en", kind="comment")
P(YAS, "Proud: 96% of our drivers would recommend Pingelkar as an employer (source: our published 2025 annual report 😉)", B, "en")
P(DAAN, "Interesting read on consolidation in the European ice cream market. Lots of takeovers among the big players lately.", B, "en")
P(pub("x", "@contactloos_carla"), "paid with my credit card ending in 4821, super quick at the van. love it 👌", B, "en")
P(pub("tiktok", "@p1ngel_fan"), "p1ngelk4r 4 l1fe 🍦🍦 b3st3 1js", B, "nl", kind="comment")
P(CZ, "@mark_ijs So sorry the van didn't show up! We've passed it on to planning and added some PingelPass credit to your account 🍦", B, "en", kind="reply")
P(pub("x", "@nieuwnummer"), "Nieuw telefoonnummer, hoe pas ik dat aan in PingelPass? Kan het nergens vinden", B, "nl")
P(pub("x", "@marketwatch_eu"), "Big ice cream maker announces 1,500 layoffs across Europe. Hope the local franchise guys like Pingelkar hold up.", B, "en")
P(MO, "Vandaag 11 uur op de kar gestaan, moe maar voldaan. Morgen weer 🍦 #ijscoboer", B, "nl")
P(pub("x", "@passwordless_pete"), "Pingelkar's passwordless login via an email link is honestly so smooth", B, "en")
P(pub("x", "@weerman_wim"), "Nachtvorst voorspeld, frost tot in de ochtend. Ijskarseizoen is echt voorbij 😢 tot volgend jaar Pingelkar", B, "nl")
P(pub("x", "@cadeaubon_vraag"), "Op mijn Pingelkar-cadeaubon staat %s, is dat een pinpasnummer of zo? Nooit gezien." % CARD_FAKE2, B, "nl")
P(pub("reddit", "u/ijs_expat"), "Moved to Utrecht last year and the Pingelkar van is the highlight of my street. The Mango Sorbet is vegan btw, for those asking.", B, "en", kind="comment")
P(FEM, "Eerste dag van het seizoen 🌸 kar gepoetst, deuntje getest, koelcel op -20. Zin in!", B, "nl")
P(pub("bluesky", "@icecreamhistorian.bsky.social"), "Fun fact: ice cream vans in the UK used 'Greensleeves' for decades. Dutch ones like Pingelkar went with their own jingle.", B, "en")


# ======================================================================================
# build, label, write
# ======================================================================================

RANK = ["none", "info", "warning", "error", "critical"]


def checksum_ids(text):
    """Valid IBANs / cards / BSNs in text that are not the company's own."""
    own = {re.sub(r"\s", "", i).upper() for i in PROFILE["public_identifiers"]["ibans"]}
    found = []
    t = clean(text)
    for m in re.finditer(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b", t):
        v = re.sub(r"\s", "", m.group())
        if iban_ok(v) and v not in own:
            found.append(("iban", v))
    for m in re.finditer(r"(?<![\d+])[3-6]\d{3}(?:[ -]?\d{4}){3}(?!\d)", t):
        if luhn_ok(m.group()):
            found.append(("card", m.group()))
    for m in re.finditer(r"(?<![\d+])\d{9}(?!\d)", t):
        if bsn_ok(m.group()):
            found.append(("bsn", m.group()))
    return found


def clean(text):
    return re.sub("[\u200b\u200c\u200d\u2060\ufeff]", "", text)


def severity(cats, role, text):
    sev = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                v = RANK.index("error")
                if c in ("leak.secret", "leak.pricing"):
                    v = RANK.index("critical")
                if c == "leak.pii" and checksum_ids(text):
                    v = RANK.index("critical")
            else:
                v = RANK.index("warning")
        elif c == "reputation.complaint":
            v = RANK.index("warning")
        elif c == "reputation.crisis":
            v = RANK.index("error")
        elif c == "reputation.abuse":
            v = RANK.index("error") if role != "public" else RANK.index("warning")
        else:
            raise ValueError(c)
        sev = max(sev, v)
    return RANK[sev]


def random_time():
    start = datetime(2026, 1, 5, tzinfo=timezone.utc)
    # ice cream season weighting: most posts March..October
    day = int(rng.triangular(40, 330, 190))
    t = start + timedelta(days=day, hours=rng.randint(7, 22), minutes=rng.randint(0, 59), seconds=rng.randint(0, 59))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


order = list(range(len(CASES)))
rng.shuffle(order)
lines = []
for n, idx in enumerate(order, 1):
    c = CASES[idx]
    platform, handle = c["acct"]
    role = role_of(platform, handle)
    post = {
        "id": "pk512-%03d" % n,
        "platform": platform,
        "kind": c["kind"],
        "account": {"handle": handle},
        "text": c["text"],
        "lang": c["lang"],
        "created_at": c["when"] or random_time(),
        "url": "https://%s.example/pk512/%03d" % (platform, n),
        "brand": "Pingelkar",
    }
    c["post"] = post
    c["role"] = role
    lines.append({"post": post, "expect": {"categories": c["cats"], "severity": severity(c["cats"], role, c["text"])}})

with open(OUT, "w", encoding="utf-8") as f:
    for l in lines:
        f.write(json.dumps(l, ensure_ascii=False) + "\n")

# ======================================================================================
# self-checks
# ======================================================================================
errors = []


def err(msg):
    errors.append(msg)


PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
CATS = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial", "leak.security",
        "reputation.crisis", "reputation.complaint", "reputation.abuse"}


def parse_ts(s):
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


# 1. re-read file and validate CONTRACT section 6 shape
ids = set()
reread = [json.loads(l) for l in open(OUT, encoding="utf-8")]
if not 170 <= len(reread) <= 180:
    err("case count %d outside 170..180" % len(reread))
for case in reread:
    if set(case) != {"post", "expect"}:
        err("bad keys %s" % list(case))
    p, e = case["post"], case["expect"]
    for k, typ in (("id", str), ("platform", str), ("text", str), ("created_at", str)):
        if not isinstance(p.get(k), typ):
            err("%s: missing/bad %s" % (p.get("id"), k))
    if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str):
        err("%s: bad account" % p["id"])
    if not 1 <= len(p["id"]) <= 256 or p["id"] in ids:
        err("bad/duplicate id %s" % p["id"])
    ids.add(p["id"])
    if p["platform"] not in PLATFORMS:
        err("%s: platform %s" % (p["id"], p["platform"]))
    if p.get("kind", "post") not in KINDS:
        err("%s: kind" % p["id"])
    if len(p["text"].encode("utf-8")) > 65536 or not p["text"]:
        err("%s: text size" % p["id"])
    try:
        ts = datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
        if ts.year not in (2026, 2027) or (ts.year == 2027 and ts > datetime(2027, 4, 30, tzinfo=timezone.utc)):
            err("%s: created_at out of range" % p["id"])
    except ValueError:
        err("%s: created_at not RFC 3339" % p["id"])
    if not isinstance(e.get("categories"), list) or any(c not in CATS for c in e["categories"]):
        err("%s: bad categories" % p["id"])
    if e["categories"] != sorted(set(e["categories"])):
        err("%s: categories not sorted/distinct" % p["id"])
    if e.get("severity") not in RANK:
        err("%s: bad severity" % p["id"])
    if not e["categories"] and e["severity"] != "none":
        err("%s: benign with severity" % p["id"])
    if e["categories"] and e["severity"] in ("none", "info"):
        err("%s: positive without severity" % p["id"])

# 2. severity recomputed independently from the profile role
for c in CASES:
    case = next(x for x in reread if x["post"]["id"] == c["post"]["id"])
    role = role_of(c["post"]["platform"], c["post"]["account"]["handle"])
    if case["expect"]["severity"] != severity(c["cats"], role, c["text"]):
        err("%s: severity mismatch" % c["post"]["id"])

# 3. registered identifiers: positives pass, look-alikes fail, and they sit in the right posts
own_ibans = {re.sub(r"\s", "", i) for i in PROFILE["public_identifiers"]["ibans"]}
for i in own_ibans:
    if not iban_ok(i):
        err("profile IBAN %s fails mod-97" % i)
check = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}
used = set()
for c in CASES:
    norm = re.sub(r"[\s.-]", "", clean(c["text"]))
    for val, (kind, should) in REGISTERED.items():
        if val in norm:
            used.add(val)
            if check[kind](val) != should:
                err("%s: %s %s checksum disagrees" % (c["post"]["id"], kind, val))
            if should and PII not in c["cats"]:
                err("%s: valid %s in a post without leak.pii" % (c["post"]["id"], kind))
            if not should and c["cats"]:
                err("%s: look-alike %s expected in a benign post" % (c["post"]["id"], kind))
for val in REGISTERED:
    if val not in used:
        err("registered identifier %s unused" % val)

# 4. no stray valid checksum identifier in any post without leak.pii
for c in CASES:
    if checksum_ids(c["text"]) and PII not in c["cats"]:
        err("%s: valid identifier outside a pii post: %s" % (c["post"]["id"], checksum_ids(c["text"])))

# 5. secrets: formats and placement
for c in CASES:
    t = clean(c["text"])
    for m in re.finditer(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", t):
        if re.fullmatch(r"gh[pousr]_x{36}", m.group()):
            continue  # redacted placeholder
        if not github_ok(m.group()):
            err("%s: GitHub token with bad CRC" % c["post"]["id"])
        elif SEC not in c["cats"]:
            err("%s: GitHub token outside leak.secret" % c["post"]["id"])
    for m in re.finditer(r"\bAKIA[A-Z2-7]{16}\b", t):
        if m.group().endswith("EXAMPLE"):
            continue
        if SEC not in c["cats"]:
            err("%s: AWS key id outside leak.secret" % c["post"]["id"])
    for m in re.finditer(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", t):
        head = m.group().split(".")[0]
        try:
            hdr = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
            if "alg" not in hdr:
                err("%s: JWT header without alg" % c["post"]["id"])
        except Exception:
            err("%s: JWT header not JSON" % c["post"]["id"])
        if SEC not in c["cats"]:
            err("%s: JWT outside leak.secret" % c["post"]["id"])
    if not c["cats"]:
        for s in ALL_SECRETS:
            if s in t:
                err("%s: real-format secret in a benign post" % c["post"]["id"])
        if re.search(r"(sk_live_|sk-proj-|sk-ant-|xox[bp]-|BEGIN [A-Z ]*PRIVATE KEY|live_[A-Za-z0-9]{30})", t):
            err("%s: secret-like string in benign post" % c["post"]["id"])
for s in ALL_SECRETS:
    if not any(s in c["text"] for c in CASES):
        err("generated secret unused")
if not github_ok(GH1):
    err("GH1 bad CRC")
if not re.fullmatch(r"AKIA[A-Z2-7]{16}", AWS1_ID):
    err("AWS id format")

# 6. embargo terms: before until -> confidential, after -> not a leak for that reason
for c in CASES:
    t = clean(c["text"]).lower()
    ts = parse_ts(c["post"]["created_at"])
    for emb in PROFILE["embargo"]:
        until = datetime.fromisoformat(emb["until"].replace("Z", "+00:00"))
        if any(term.lower() in t for term in emb["terms"]):
            if ts < until and CONF not in c["cats"]:
                err("%s: embargo term before until without leak.confidential" % c["post"]["id"])
            if ts >= until and c["cats"]:
                err("%s: embargo-after post expected benign" % c["post"]["id"])

# 7. codenames / markers / internal domains => confidential (evasion-free spelling)
for c in CASES:
    t = clean(c["text"]).lower()
    terms = PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"] + PROFILE["internal"]["domains"]
    if any(x.lower() in t for x in terms) and CONF not in c["cats"]:
        err("%s: internal term without leak.confidential" % c["post"]["id"])

# 8. prices: benign posts never show a product far below list; pricing positives do (or talk of an error)
AMOUNT = re.compile(r"(?:€\s?|EUR\s?)(\d{1,3}(?:\.\d{3})+(?:,\d{1,2})?|\d+(?:[.,]\d{1,2})?)(?:,-)?|(\d+(?:[.,]\d{1,2})?)\s?(?:euro|EUR|€)", re.I)


def amounts(text):
    out = []
    for m in AMOUNT.finditer(text):
        s = m.group(1) or m.group(2)
        if re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d{1,2})?", s):
            s = s.replace(".", "").replace(",", ".")
        else:
            s = s.replace(",", ".")
        out.append(float(s))
    return out


ratio = PROFILE["pricing"]["alert_below_ratio"]
for c in CASES:
    t = clean(c["text"])
    prods = [p for p in PROFILE["products"] if any(a.lower() in t.lower() for a in p["aliases"] + [p["name"]])]
    am = amounts(t)
    low = any(a < ratio * p["list_price"] for p in prods for a in am)
    if PR in c["cats"] and not (prods and (low or "prijsfout" in t.lower())):
        err("%s: pricing positive without product/low price" % c["post"]["id"])
    if PR not in c["cats"] and prods and low:
        err("%s: product far below list in a non-pricing post" % c["post"]["id"])

# 9. accounts: public handles are not in the profile; each profile account role is exercised
for c in CASES:
    if c["acct"] not in (CX, CZ, CI, CF, CL, CT, CY, MO, LOT, RUB, DAAN, YAS, FEM, KEES, NOOR, JEL, SAN):
        if c["role"] != "public":
            err("%s: supposed public handle is in profile" % c["post"]["id"])
    elif c["role"] == "public":
        err("%s: profile account not resolved" % c["post"]["id"])

# 10. profile shape
pr = PROFILE
if len(pr["accounts"]["corporate"]) < 6 or len(pr["accounts"]["employee"]) < 8:
    err("profile accounts too few")
if len(pr["internal"]["codenames"]) != 3 or len(pr["internal"]["markers"]) != 3:
    err("profile codenames/markers")
if not 15 <= len(pr["products"]) <= 25 or any(p["currency"] != "EUR" for p in pr["products"]):
    err("profile products")
if pr["pricing"]["alert_below_ratio"] != 0.5:
    err("profile ratio")
if not all(str(e["until"]).startswith("2027") for e in pr["embargo"]):
    err("embargo until not in 2027")

# ---- stats ---------------------------------------------------------------------------
from collections import Counter

cat_count = Counter(c for l in reread for c in l["expect"]["categories"])
benign = sum(1 for l in reread if not l["expect"]["categories"])
langs = Counter(l["post"]["lang"] for l in reread)
roles = Counter(c["role"] for c in CASES)
sev = Counter(l["expect"]["severity"] for l in reread)
print("cases:", len(reread), "benign:", benign, "positive:", len(reread) - benign)
print("categories:", dict(sorted(cat_count.items())))
print("langs:", dict(langs), "roles:", dict(roles))
print("severities:", dict(sev))
if errors:
    print("SELF-CHECK FAILED:")
    for e in errors:
        print("  -", e)
    sys.exit(1)
print("self-check OK")
