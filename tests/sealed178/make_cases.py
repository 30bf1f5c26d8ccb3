#!/usr/bin/env python3
"""Sealed evaluation set 178 for postwatch: Zwaluwstaart Koffie B.V.

Deterministic (fixed seed).  Hand-written post texts; generated parts are only the
random bodies of credentials and the created_at of posts whose timing does not matter.
Writes cases.jsonl beside this file and checks it:
  * every line is a valid CONTRACT section 6 case;
  * every IBAN / card / BSN in a leak.pii positive passes its checksum, every look-alike
    elsewhere fails it (the company's own published IBAN excepted);
  * severities are computed from the account role in profile.yaml (CONTRACT section 4);
  * benign posts carry no internal names, no live embargo terms, no foreign contact data;
  * pricing cases really are below / above the alert ratio of the list price.
"""
import json
import os
import random
import re
import string
import sys
import base64
import unicodedata
from collections import Counter
from datetime import datetime, timedelta, timezone

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 178
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# --------------------------------------------------------------------------- checksums

def iban_ok(s):
    s = re.sub(r"[\s.]", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def luhn_ok(d):
    d = re.sub(r"\D", "", d)
    if not 13 <= len(d) <= 19:
        return False
    tot = 0
    for k, ch in enumerate(reversed(d)):
        x = int(ch)
        if k % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def bsn_ok(d):
    d = re.sub(r"\D", "", d)
    if len(d) != 9:
        return False
    s = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return s % 11 == 0


IBAN_LEN = {"NL": 18, "BE": 16, "DE": 22, "FR": 27, "GB": 22}
IBAN_RE = re.compile(r"(?<![A-Za-z0-9])([A-Z]{2}\d{2}(?: ?[A-Z0-9]){10,30})")
CARD_RE = re.compile(r"(?<![0-9A-Za-z])((?:\d[ -]?){12,18}\d)(?![0-9])")
BSN_RE = re.compile(r"(?<![0-9A-Za-z.])(\d{4}\.\d{2}\.\d{3}|\d{9})(?![0-9])")
PUBLIC_IBANS = {re.sub(r"\s", "", i).upper() for i in PROFILE["public_identifiers"]["ibans"]}


def scan_ids(text):
    """All IBAN / card / BSN look-alikes: list of (kind, compact value, valid)."""
    found = []
    spans = []
    for m in IBAN_RE.finditer(text):
        raw = re.sub(r"\s", "", m.group(1))
        want = IBAN_LEN.get(raw[:2])
        if want and len(raw) >= want:
            raw = raw[:want]
        found.append(("iban", raw, iban_ok(raw)))
        spans.append(m.span())
    masked = list(text)
    for a, b in spans:
        for i in range(a, b):
            masked[i] = "#"
    masked = "".join(masked)
    for m in CARD_RE.finditer(masked):
        d = re.sub(r"\D", "", m.group(1))
        if 13 <= len(d) <= 19:
            found.append(("card", d, luhn_ok(d)))
    for m in BSN_RE.finditer(masked):
        d = re.sub(r"\D", "", m.group(1))
        found.append(("bsn", d, bsn_ok(d)))
    return found


def checksum_ids(text):
    return [f for f in scan_ids(text) if f[2] and f[1] not in PUBLIC_IBANS]

# --------------------------------------------------------------------------- credentials
# Random bodies (fixed seed) so the formats are real but the values are not.

ALNUM = string.ascii_letters + string.digits


def rnd(n, alphabet=ALNUM):
    while True:
        s = "".join(rng.choice(alphabet) for _ in range(n))
        if not scan_ids(s) and not re.search(r"\d{9}", s):
            return s


def b64url(obj):
    return base64.urlsafe_b64encode(json.dumps(obj, separators=(",", ":")).encode()).decode().rstrip("=")


AWS_ID = "AKIA" + rnd(16, string.ascii_uppercase + "234567")
AWS_SECRET = rnd(40, ALNUM + "/+")
MOLLIE = "live_" + rnd(30)
GHP = "ghp_" + rnd(36)
SLACK = "xoxb-" + str(rng.randint(10**10, 10**11 - 1)) + "-" + str(rng.randint(10**11, 10**12 - 1)) + "-" + rnd(24)
STRIPE = "sk_live_51" + rnd(97)
OPENAI = "sk-proj-" + rnd(40) + "-" + rnd(20) + "_" + rnd(12)
ANTHROPIC = "sk-ant-api03-" + rnd(86, ALNUM + "-_") + "AA"
PG_PASS = rnd(6) + "!" + rnd(5)
PG_URL = "postgresql://bi_lezer:" + PG_PASS + "@zws-fin.c9akx2lq.eu-west-1.rds.amazonaws.com:5432/financien"
MY_PASS = rnd(14)
MY_URL = "mysql://forensics_ro:" + MY_PASS + "@webshop-db-01.cluster-ro-x7q2.eu-central-1.rds.amazonaws.com:3306/shop"
SSH_BODY = "\n".join(rnd(70, ALNUM + "+/") for _ in range(4)) + "\n" + rnd(30, ALNUM + "+/") + "=="
SSH_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n" + SSH_BODY + "\n-----END OPENSSH PRIVATE KEY-----"
JWT_SECRET = rnd(32)
JWT = (b64url({"alg": "HS256", "typ": "JWT"}) + "." +
       b64url({"sub": "admin", "role": "superuser", "iss": "loyalty-api.zwaluwstaart.nl", "iat": 1780000000}) +
       "." + rnd(43, ALNUM + "-_"))
KASSA_PW = "Kr00nBranderij!" + rnd(4)

ZW = "\u200b"  # zero-width space used in an evasion case


def spread_zw(word):
    return ZW.join(word)


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in s)

# --------------------------------------------------------------------------- accounts
# employees / corporate as (platform, handle); anything else is the public.
C_X = ("x", "@zwaluwkoffie")
C_CARE = ("x", "@zwaluw_zorg")
C_IG = ("instagram", "@zwaluwstaart.koffie")
C_LI = ("linkedin", "zwaluwstaart-koffie")
C_FB = ("facebook", "ZwaluwstaartKoffie")
C_TT = ("tiktok", "@zwaluwbranderij")
C_TH = ("threads", "@zwaluwstaart.koffie")
E_MARLOES = ("x", "@marloes_brandt")
E_KEES = ("x", "@kees_rooster")
E_LOTTE = ("x", "@lotte_vdlinden")
E_DAAN = ("linkedin", "daan-vermeulen-zwaluw")
E_YASMINA = ("linkedin", "yasmina-bouzid")
E_RUBEN = ("instagram", "@barista.ruben")
E_JORRIT = ("mastodon", "@jorrit@mastodon.nl")
E_INEKE = ("bluesky", "@ineke-z.bsky.social")
E_THIJS = ("reddit", "u/thijs_roastery")
E_ANOUK = ("tiktok", "@anouk.barista")


def P(platform, handle):
    return (platform, handle)

# --------------------------------------------------------------------------- case table

CASES = []
COMPLAINT, CONF, PII, CRISIS, SEC, SECRET, ABUSE, PRICING, FIN = (
    "reputation.complaint", "leak.confidential", "leak.pii", "reputation.crisis",
    "leak.security", "leak.secret", "reputation.abuse", "leak.pricing", "leak.financial")


def case(cats, acct, lang, text, kind="post", at=None, ids=(), price=None, flags=()):
    CASES.append(dict(cats=sorted(cats), acct=acct, lang=lang, text=text, kind=kind,
                      at=at, ids=list(ids), price=price, flags=set(flags)))

# ===================================================================== complaints
case([COMPLAINT], P("x", "@jeroen_tilburg"), "nl",
     "Al 9 dagen wachten op m'n Spindel molen van @zwaluwkoffie. Track & trace zegt 'in behandeling' "
     "sinds vorige week dinsdag, mails worden niet beantwoord. Top service hoor 🙄")
case([COMPLAINT], P("reddit", "u/grindsetter"), "en",
     "Anyone else get double charged by Zwaluwstaart this month? I'm on Abonnement Groot and got billed "
     "€84 instead of €42. Their support chat just loops me back to the FAQ page. Great.",
     price=("ZW-ABO-G", 84.0))
case([COMPLAINT], P("facebook", "PetraZwinkels"), "nl",
     "Vanmiddag bij Zwaluw Café aan de Oudegracht een flat white besteld. Lauwe melk met een scheutje "
     "koffie erin. Toen ik er iets van zei werd er met de ogen gerold. Jammer, was altijd mijn vaste plek.",
     kind="comment")
case([COMPLAINT], P("x", "@nadia_brews"), "en",
     "ordered whole beans, received pre-ground espresso donker. twice. in a row. @zwaluw_zorg can u pls "
     "actually read the order notes 😩", at="2026-02-11T08:14:00Z")
case([COMPLAINT], P("instagram", "@sanne.koffiemeisje"), "nl",
     "Kenia Nyeri besteld bij @zwaluwstaart.koffie en de branddatum op de zak was al van 2 maanden geleden 😕 "
     "Verwacht bij een branderij toch echt versere bonen.", kind="comment")
case([COMPLAINT], P("x", "@tomasz_in_ams"), "en",
     "@zwaluwkoffie my Pico 1 started leaking from the group head after 5 weeks. Sent it in for repair on "
     "3 March, still nothing, nobody picks up the phone. Not great for a €449 machine.",
     kind="reply", at="2026-04-02T19:40:00Z", price=("ZW-PICO1", 449.0))
case([COMPLAINT], P("x", "@brammetjuh"), "nl",
     "abonnement opzeggen bij zwaluwstaart is echt een escape room. knop zit nergens, mail krijgt geen "
     "antwoord en ondertussen gaat de incasso gewoon door. #klantonvriendelijk")
case([COMPLAINT], P("forum", "lattelover_22"), "en",
     "Booked the Latte Art Workshop in Haarlem as a birthday present for my girlfriend. Zwaluw cancelled two "
     "days before by email, no new date offered, and the refund still hasn't shown up three weeks later. "
     "Pretty disappointing tbh.")
case([COMPLAINT], P("threads", "@femkevdm"), "nl",
     "Wéér een pakketje van Zwaluw met een gescheurde zak, halve kilo bonen los door de doos. Derde keer dit "
     "jaar. Die verpakking kan echt beter jongens")
case([COMPLAINT], P("facebook", "MarkOseiNL"), "en",
     "Waited 25 minutes for two cappuccinos at the Zwaluw Café at Amsterdam Centraal. Staff were friendly "
     "but clearly understaffed and I missed my train. Won't go there during rush hour again.", kind="comment")
case([COMPLAINT], P("x", "@hansje_b"), "nl",
     "Klantenservice van @zwaluw_zorg: 'we bellen u binnen 24 uur terug'. Dat was vorige week woensdag. "
     "Mijn Rondo doet nog steeds niks behalve piepen.", at="2026-09-14T10:05:00Z")
case([COMPLAINT], P("reddit", "u/espresso_ennui"), "en",
     "Honestly the Spindel grinder is overrated. Burrs were misaligned out of the box, retention is awful, "
     "and Zwaluw support told me it's \"within spec\". Returning it.", kind="comment")
case([COMPLAINT], P("tiktok", "@daphne.reist"), "nl",
     "de barista basiscursus was gezellig maar we stonden met 14 man rond 2 machines… heb in 3 uur misschien "
     "10 min zelf gezet. voor €129 valt dat echt tegen zwaluw", kind="comment", price=("ZW-CUR-BAS", 129.0))
case([COMPLAINT], P("x", "@cafe_hopper_jo"), "en",
     "the new Zwaluwstaart app logged me out 4 times while paying for ONE oat latte. and my loyalty stamps "
     "are gone. pls fix")
case([COMPLAINT], P("facebook", "GerritvanDijk58"), "nl",
     "Vorige maand een Filterset besteld als cadeau, kwam aan zonder de glazen kan. Twee keer gemaild met "
     "foto's erbij, nog steeds geen reactie van Zwaluwstaart. Slecht hoor.", kind="comment")
# complaint + pii (customer publishing own contact data)
case([COMPLAINT, PII], P("x", "@rvd_helmond"), "nl",
     "@zwaluw_zorg ik wacht nu al 2 weken op de retourbevestiging van mijn Rondo. Bel me alsjeblieft "
     "gewoon terug op 06-41872293, ben de hele dag bereikbaar. Bestelnr ZW-2026-118204", kind="reply")
case([COMPLAINT, PII], P("x", "@priya_r"), "en",
     "@zwaluwkoffie third email now and still no answer about the double charge. Reach me at "
     "priya.raman84@gmail.com or just refund the €42 already 🙃", kind="reply")
# complaint + abuse
case([ABUSE, COMPLAINT], P("x", "@sjaak_ijsselstein"), "nl",
     "wat een kutbedrijf is @zwaluwkoffie. machine 3x teruggestuurd en nog steeds kapot. stelletje "
     "prutsers op die klantenservice")
case([ABUSE, COMPLAINT], P("x", "@ben_okafor"), "en",
     "@zwaluw_zorg your support team are absolute clowns. Ordered decaf, got the dark espresso, up all night "
     "with a pregnant wife. Useless morons.", kind="reply")

# ===================================================================== crisis
case([CRISIS], P("x", "@voedselalert_nl"), "nl",
     "Let op als je Zwaluw Huismelange hebt gekocht met THT 08-2026: wij vonden glassplinters in de zak 😳 "
     "Melding gedaan bij de NVWA. Een terugroepactie lijkt me wel het minste. #voedselveiligheid",
     at="2026-05-07T07:55:00Z")
case([CRISIS], P("x", "@mira_safetyfirst"), "en",
     "My Zwaluw Pico 1 literally caught fire this morning. Smoke out of the back, burnt plastic smell all "
     "through the flat, breaker tripped. This is a safety issue, Zwaluwstaart needs to recall these NOW.")
case([CRISIS], P("facebook", "EerlijkeKoffieCollectief"), "nl",
     "Oproep: B O Y C O T Zwaluwstaart Koffie. Uit onderzoek blijkt dat hun 'direct trade' boeren minder "
     "krijgen dan de Fairtrade-minimumprijs. Koop daar niks meer tot ze hun inkoopcontracten openbaar maken.",
     flags=["evasion"])
case([CRISIS], P("reddit", "u/leakwatcher_eu"), "en",
     "Did Zwaluwstaart get hacked? Got a phishing mail with my exact order history and home address from "
     "their webshop. Pretty sure their customer database is out there. Anyone else?")
case([CRISIS], P("x", "@mama_van_drie"), "nl",
     "Mijn zoon (6) en ik zijn allebei flink ziek geworden na de kindercakejes van het Zwaluw Café in "
     "Utrecht. Volgens de groepsapp van school meer mensen met voedselvergiftiging. GGD is ingeschakeld.")
case([CRISIS], P("linkedin", "anneke-visser-advocaat"), "en",
     "Today we filed a class action on behalf of 340 owners of the Rondo dual boiler against Zwaluwstaart "
     "Koffie B.V. over a boiler defect the company has known about since 2025. More on our website.")
case([CRISIS], P("tiktok", "@koffietok_lisa"), "nl",
     "POV: de manager van het Zwaluw Café op de Grote Markt scheldt een barista uit waar iedereen bij staat "
     "😶 meisje huilend achter de bar. dit bedrijf moet zich diep schamen #zwaluwstaart #schandaal")
case([CRISIS], P("x", "@greenwash_watch"), "en",
     "Zwaluwstaart's \"carbon-neutral roasting\" claim? Their own permit shows gas use at the roastery "
     "doubled since 2024. Textbook greenwashing scandal, the ACM should take a look.")
case([CRISIS], P("instagram", "@allergie.mama"), "nl",
     "Ernstige allergische reactie bij mijn dochter na een 'notenvrije' havermelk latte bij Zwaluw. "
     "Ambulance moest komen. Bleek amandelmelk te zijn, niemand zei iets. Dit is levensgevaarlijk.")
case([CRISIS], P("bluesky", "@ines-v.bsky.social"), "en",
     "Ex-employees of Zwaluwstaart cafés are coming forward about unpaid overtime and tips pocketed by "
     "management. Journalists are on it. Not buying another bag from them until this is cleared up. "
     "#boycottZwaluw")
case([CRISIS], P("forum", "ruudjeFM"), "nl",
     "Ontkalker 3-pack van Zwaluw heeft bij mij de boiler van de Pico aangevreten, er lekt nu bijtend spul op "
     "het aanrecht. Op dit forum staan meer meldingen. Waarom is dit spul nog niet uit de handel gehaald??")
case([CRISIS], P("x", "@brewsafety"), "en",
     "Reports coming in that Zwaluw Cold Brew Fles bottles are swelling and bursting in fridges. Mine blew "
     "up last night, glass everywhere. Someone's going to lose an eye. Recall this batch.")
case([ABUSE, CRISIS], P("x", "@henk_zegt_het"), "nl",
     "Zwaluwstaart betaalt koffieboeren een hongerloon en de CEO rijdt rond in een Porsche. Vuile uitbuiters, "
     "tyfuslijers zijn het allemaal. BOYCOT.")
case([COMPLAINT, CRISIS], P("x", "@lena_mk"), "en",
     "Bought a Rondo from Zwaluw in January, last week the steam valve blew off and burned my hand. "
     "Support says \"user error\" and won't even look at the machine. Dangerous AND terrible service.",
     at="2026-05-20T12:30:00Z")
case([CRISIS, PII], P("x", "@privacyfirst_nl"), "nl",
     "Zwaluwstaart heeft een datalek en houdt het stil!! Dit stond gewoon op een openbare link van hun "
     "webshop: 'R. de Boer, Lindelaan 14, 3571 KT Utrecht, r.deboer@ziggo.nl, 010-4662318'. Schandalig.")

# ===================================================================== abuse
case([ABUSE], P("x", "@dennis_020"), "nl",
     "@zwaluwkoffie jullie zijn gewoon een stel oplichters en die barista met dat knotje is een arrogante trut",
     kind="reply")
case([ABUSE], P("x", "@realtalk_rob"), "en",
     "@zwaluw_zorg go fuck yourselves, you overpriced hipster idiots", kind="reply")
case([ABUSE], P("instagram", "@xx_bjorn_xx"), "nl",
     "wie drinkt die hipsterbagger nou. en die eigenaar is een vette klootzak", kind="comment")
case([ABUSE], P("x", "@anoniem_0815"), "nl",
     "zwaluwstaart = k4nk3rb3dr1jf. al die b4r1st4s daar zijn 1d10t3n", flags=["evasion"])
case([ABUSE], P("tiktok", "@grumpy_gary"), "en",
     "that barista at zwaluw schiphol is the dumbest bitch i've ever met, can't even count change",
     kind="comment")
case([ABUSE], E_KEES, "nl",
     "@koffiesnob_henk jij weet echt helemaal niks van branden, hou gewoon je bek, sukkel", kind="reply")
case([ABUSE], P("facebook", "WillemK1962"), "nl",
     "Sinds ze bij Zwaluw allemaal van die hoofddoekjes achter de bar hebben gezet kom ik er niet meer. "
     "Ga terug naar je eigen land.", kind="comment")
case([ABUSE], P("reddit", "u/bitterbrew"), "en",
     "Zwaluwstaart's head roaster is a talentless hack and a complete tosser. Burns every bean he touches.",
     kind="comment")
case([ABUSE], P("x", "@ghostcup"), "en",
     "Zwaluw st\u0430ff are pathetic l\u043esers and their b\u043ess is a fu\u0441king moron",
     flags=["evasion"])

# ===================================================================== personal data
case([PII], E_LOTTE, "nl",
     "Kan iemand van support deze klant even terugbellen? Mevr. J. Kuipers, 06 18 34 72 59, heeft al 3x "
     "gemaild over haar Rondo. Sorry voor dit kanaal, maar het ticketsysteem laat haar niet toe.")
case([PII], C_CARE, "en",
     "@wouter_hk Hi Wouter, sorry again for the mix-up! The refund of €42,00 has been sent to "
     "NL42 INGB 0006 7841 23 (W. Hoekstra), it should land within 2 working days ☕",
     kind="reply", ids=["NL42INGB0006784123"])
case([PII], E_YASMINA, "nl",
     "Welkom bij het team, Samira El Idrissi (geb. 14-03-2001)! 🎉 Daan, haar BSN voor de loonadministratie "
     "is 2714.58.938, het contract ligt op je bureau.", ids=["271458938"])
case([PII], P("x", "@jessejesse_"), "en",
     "zwaluw checkout keeps failing for 20 min so here, just charge this: 4929 3817 2046 5578 exp 09/28, "
     "cvc in DM lol @zwaluw_zorg", ids=["4929381720465578"])
case([PII], C_FB, "nl",
     "Gefeliciteerd aan de winnaar van onze latte-art wedstrijd: Eva Mulder, Kerkstraat 22, 5611 GH "
     "Eindhoven! Je prijspakket gaat morgen de deur uit 🎉")
case([PII], E_RUBEN, "en",
     "Shoutout to our regular Mr. Bakker who left his phone on the bar 😂 if anyone knows him: the number on "
     "his lock screen is +31 6 52 90 13 87, tell him it's safe with us at Zwaluw Blaak")
case([PII], E_MARLOES, "nl",
     "Klant heeft vanochtend in Zwaluw Café Blaak met deze kaart betaald en z'n bonnetje laten liggen: "
     "5412 7590 3318 2041, op naam van H. Jansen. Iemand die hem kent? 🙏", ids=["5412759033182041"])
case([PII], P("reddit", "u/kimsmit_utr"), "en",
     "For the Zwaluw group order refund, please send my share (€18,40) to NL30 RABO 0157 2290 46, "
     "K. Smit. Thanks all!", kind="comment", ids=["NL30RABO0157229046"])
case([PII], C_X, "nl",
     "@mvanleeuwen we hebben je nieuwe adres doorgezet: M. van Leeuwen, Jan Steenstraat 8-II, 1072 NK "
     "Amsterdam. Je Abonnement Klein komt vanaf volgende week daar binnen!", kind="reply")
case([PII], E_THIJS, "en",
     "Customer email for the Rondo warranty case, if anyone from the Eindhoven service desk reads this: "
     "lars.verbeek1979@outlook.com, machine serial RDB-22-04417. Dumb that I have to use reddit for this lol")
case([PII], P("x", "@fleur_vd_akker"), "nl",
     "Sollicitatieformulier van Zwaluwstaart ingevuld voor barista in Leiden! BSN 196204835, geboren "
     "7 mei 2003, nu duimen 🤞 #nieuwebaan", ids=["196204835"])

# ===================================================================== secrets
case([SECRET], E_JORRIT, "en",
     "note to self because the vault UI is slow again:\nAWS_ACCESS_KEY_ID=" + AWS_ID +
     "\nAWS_SECRET_ACCESS_KEY=" + AWS_SECRET + "\n(roastery-telemetry bucket)")
case([SECRET], E_LOTTE, "nl",
     "waarom werkt deze Mollie key niet op staging 😤 " + MOLLIE + " iemand een idee?")
case([SECRET], E_THIJS, "en",
     "My script to pull the machine firmware keeps 401ing, what am I missing?\n\n"
     "curl -H \"Authorization: token " + GHP + "\" https://api.github.com/repos/zwaluw-tech/rondo-fw/releases")
case([SECRET], C_TT, "nl",
     "Testje voor de nieuwe kassa 📸 login: beheerder / " + spread_zw("wachtwoord") + ": " + KASSA_PW,
     flags=["evasion"])
case([SECRET], E_INEKE, "en",
     "anyone know why the newsletter tool rejects this? trying to auto-write product blurbs for the webshop "
     "OPENAI_API_KEY=" + OPENAI)
case([SECRET], E_KEES, "nl",
     "kan iemand van IT deze token voor de brandcurve-bot in Slack even checken? " + SLACK +
     " hij post niks meer in #branderij")
case([SECRET], P("x", "@sec_researcher_nl"), "en",
     "Hey @zwaluwkoffie, your Android app ships a hardcoded Stripe secret key: " + STRIPE +
     " — please rotate it.")
case([SECRET], E_DAAN, "nl",
     "Voor wie de BI-koppeling met het dashboard moet maken, dit is de connectiestring:\n" + PG_URL)
case([SECRET], E_JORRIT, "en",
     "wrong window, ignore 🙈\n" + SSH_KEY)
case([SECRET, SEC], E_LOTTE, "en",
     "heads up team: the JWT signing secret for the loyalty API sat in the public JS bundle since Tuesday, "
     "anyone can mint tokens. It's ZWS_JWT_SECRET=" + JWT_SECRET + " and here's an admin token I minted "
     "with it: " + JWT + " rotating tonight, don't tell customers yet")
case([SECRET, SEC], E_JORRIT, "nl",
     "Webshop-database is vannacht leeggetrokken door een bot, we weten nog niet hoeveel klanten. "
     "Voor de forensics-partner: DATABASE_URL=" + MY_URL)
case([PII, SECRET], E_LOTTE, "en",
     "support chatbot log, why is it answering in French?? customer=anna.dekker@hotmail.com "
     "intent=refund model=claude cfg ANTHROPIC_API_KEY=" + ANTHROPIC)

# ===================================================================== security
case([SEC], E_LOTTE, "nl",
     "Niet doorvertellen, maar de kortingscode-check in de webshop is te omzeilen: je kan gewoon 100% "
     "korting in de request zetten. Fix komt pas na het weekend 🙈")
case([SEC], E_THIJS, "en",
     "Throwaway-ish: the wifi module in the Rondo has a telnet port open with default creds. Anyone on the "
     "same network can flash firmware. We reported it internally months ago and nothing's been announced.")
case([SEC], E_JORRIT, "en",
     "3rd ransomware alert on the roastery PLC network this week. Management doesn't want it out before the "
     "audit. Roasting line 2 has been down since Monday.")
case([SEC], C_CARE, "nl",
     "@koffie_karin excuses! Onze betaalomgeving is sinds vannacht gecompromitteerd en we weten nog niet "
     "welke kaarten geraakt zijn. Gebruik voorlopig even iDEAL.", kind="reply")
case([SEC], E_RUBEN, "nl",
     "kassa's in alle cafés liggen er al sinds 7u uit, centrale server gehackt zeggen ze achter de schermen. "
     "officieel is het 'een storing' dus ssst 🤫")
case([SEC], E_KEES, "en",
     "fun day at the roastery: someone got into the warehouse system through an old vendor VPN account and "
     "changed the delivery address on 60 orders. Not public yet so keep it quiet 🙃")
case([SEC], E_INEKE, "nl",
     "Onze nieuwsbriefsoftware heeft gisteren per ongeluk de volledige klantenlijst naar een externe partij "
     "gestuurd. Juristen zijn ermee bezig, de melding bij de AP komt pas volgende week.")
case([SEC], P("x", "@ex_zwaluw_dev"), "en",
     "Former Zwaluw dev here: the webshop still runs an unpatched Magento 2.3 with a known RCE. Told them in "
     "2025. Customer data is one exploit away and they've said nothing publicly.")
case([SEC], E_DAAN, "en",
     "Rough week. Our subscription billing platform has been down since Tuesday, 11k renewals stuck, and we "
     "won't announce anything until it's fixed. Proud of the team grinding through it 💪")
case([SEC, CONF], E_JORRIT, "en",
     "If the VPN is down for you too: use https://vpn.zwaluw.local/backup until we figure out how the "
     "attacker got hold of the admin session. Yes, it's as bad as it sounds.")
case([SEC, CONF], E_LOTTE, "nl",
     "Bug in https://jira.zwaluwstaart.nl/browse/WEB-2231: elke klant kan andermans bestellingen zien door "
     "het ordernummer in de URL op te hogen. Staat al 3 weken open, nog nergens gemeld.")

# ===================================================================== confidential
case([CONF], E_MARLOES, "nl",
     "Weer een avond doorwerken aan Project Stoomfluit. Als dit lukt wordt 2027 een heel ander jaar voor ons 😅")
case([CONF], E_YASMINA, "en",
     "Excited to share the first sketch of our new café concept for station locations! (It still says "
     "ZWS-CONFIDENTIAL in the corner, so pretend you didn't see that 😉)")
case([CONF], C_IG, "nl",
     "Sneak peek 👀 de Zwaluw Vlucht Duo komt eraan. Meer info binnenkort! #zwaluwstaart",
     at="2026-11-18T17:00:00Z")
case([CONF], E_INEKE, "en",
     "Draft of the spring campaign deck is up at https://intra.zwaluw.local/marketing/voorjaar-2027 for "
     "anyone on the team who couldn't find it")
case([CONF], E_KEES, "nl",
     "Operatie Nachtzwaluw gaat door 💪 nieuwe branderij in Zwolle, we krijgen de sleutels in maart")
case([CONF], P("x", "@koffieroddels"), "nl",
     "Hoorde van een vriend die bij Zwaluw werkt dat ze volgende week een nieuwe machine lanceren, de "
     "'Vlucht Duo'. Dual boiler onder de duizend euro schijnt", at="2027-01-13T21:15:00Z")
case([CONF], E_ANOUK, "nl",
     "sneak preview van de nieuwe wintermenukaart!! staat nog 'niet extern delen' bovenaan maar ach 🤭☕")
case([CONF], E_THIJS, "en",
     "Service manual for a machine we haven't announced yet (Koperketel, single boiler with flow profiling). "
     "Pressure is fixed at 9 bar though, lame.")
case([CONF], E_JORRIT, "nl",
     "Wie de nieuwe kassadashboards wil zien: https://kassa-beheer.zwaluw.local/dashboards, inloggen met je "
     "eigen AD-account")
case([CONF], C_LI, "en",
     "Behind the scenes at our roastery! (Pssst, the whiteboard in the back says Project Stoomfluit, no "
     "spoilers 😄)")
case([CONF], E_MARLOES, "nl",
     fullwidth("Operatie Nachtzwaluw") + ": alles ligt op schema, lancering 1 april 🤫", flags=["evasion"])
case([CONF], E_RUBEN, "en",
     "can't say much but K.o.p.e.r.k.e.t.e.l pulls the best shot I've had in years 🤐",
     flags=["evasion"])
case([CONF], E_LOTTE, "nl",
     "Net het prototype van de opvolger van de Spindel Pro getest, 83 mm titanium burrs 😍 lancering pas in "
     "het najaar dus verder zeg ik niks 🤐", flags=["unreleased"])
case([CONF], P("x", "@insider_bean"), "en",
     "Someone dumped a doc with \"zwaluw intern\" in the footer on a Discord server, it's their green coffee "
     "supplier price list for 2027. Wild.")

# ===================================================================== financial
case([FIN], E_DAAN, "nl",
     "Mooie maand achter de rug: omzet webshop Q3 +23% jaar-op-jaar en EBITDA voor het eerst positief. De "
     "officiële cijfers volgen pas in november, maar ik ben nu al trots op het team!", at="2026-10-06T07:45:00Z")
case([FIN], E_KEES, "en",
     "word on the roastery floor is we're being bought by one of the big Italian coffee groups. due diligence "
     "people in suits walking around all week lol")
case([FIN], E_YASMINA, "nl",
     "Zware weken voor HR: we moeten 45 functies schrappen op het hoofdkantoor en 3 cafés sluiten voor de "
     "zomer. Het personeel hoort het pas op de 12e. Sterkte iedereen.", at="2026-04-03T09:00:00Z")
case([FIN], C_CARE, "nl",
     "@beurs_bas over een beursgang kunnen we nog niks zeggen, maar intern mikken we op Q2 2027 bij een "
     "waardering rond de €180 mln 😉", kind="reply")
case([FIN], E_ANOUK, "nl",
     "manager zei net dat ons café in Breda per 1 februari dichtgaat en dat we pas volgende maand officieel "
     "horen waar we naartoe moeten 😭", at="2026-11-24T16:20:00Z")
case([FIN], E_INEKE, "en",
     "Internal forecast just came in: we'll miss the 2026 revenue target by about 12% because of green coffee "
     "prices. Board meeting on Thursday is going to be fun 🙃")
case([FIN], P("x", "@beursroddel"), "nl",
     "Van een bron binnen Zwaluwstaart: de overname van Koffiebranderij De Meerkoet is rond en wordt volgende "
     "week bekendgemaakt. Bedrag rond de 8 miljoen.")
case([FIN], E_MARLOES, "en",
     "Apparently the deal with that Colombian co-op is off and we're writing down €1.2M on green coffee "
     "inventory. Don't quote me, not public yet.")
case([FIN], E_DAAN, "en",
     "Spent the weekend on the numbers for our bank refinancing. Net loss for 2026 will land around €3.4M, "
     "more than we told investors in the summer. Onwards!", at="2026-11-30T20:10:00Z")
case([FIN], E_THIJS, "nl",
     "Bij ons wordt de hele servicedienst voor machines uitbesteed, 18 technici moeten eruit. Nog niks "
     "officieel, in maart horen we meer.", at="2026-12-08T18:00:00Z")
case([CONF, FIN], E_INEKE, "nl",
     "Eerste persberichten voor de jaarcijfers 2026 staan klaar… voor het eerst boven de 40 miljoen omzet 🥳",
     at="2027-02-10T14:00:00Z")
case([CONF, FIN], E_DAAN, "en",
     "Project Stoomfluit update for the board: our bid for Brouwerij & Branderij Oosterkade is at €22M, "
     "signing planned for February.", at="2026-12-15T08:30:00Z")

# ===================================================================== pricing
case([PRICING], P("x", "@dealjager_nl"), "nl",
     "PRIJSFOUT?! Rondo dual boiler bij Zwaluwstaart voor €189,50 🤯 snel zijn!! #pricedrop",
     price=("ZW-RONDO", 189.50))
case([PRICING], E_LOTTE, "nl",
     "shit, de Spindel Pro staat in de webshop op €54,90 ipv €549. wie heeft de import gedaan?? 🙈",
     price=("ZW-SPINPRO", 54.90))
case([PRICING], P("reddit", "u/deal_hunter_eu"), "en",
     "Zwaluw has the Pico 1 listed at €44.90 right now, pretty sure that's a missing zero. Ordered two, let's "
     "see if they honour it.", price=("ZW-PICO1", 44.90))
case([PRICING], C_IG, "nl",
     "Alleen vandaag: Abonnement Groot voor €4,20 per maand! ☕ Link in bio", price=("ZW-ABO-G", 4.20))
case([PRICING], P("x", "@bargainbrew"), "en",
     "lmao the Zwaluw Cadeaubox Proeverij is €3.99 in the app. price error or early christmas?",
     price=("ZW-BOX-PR", 3.99), at="2026-12-02T11:00:00Z")
case([PRICING], P("forum", "kortingskoning"), "nl",
     "Spindel molen voor 99 euro bij Zwaluwstaart met code HERFST, normaal 289. Lijkt me een fout in de "
     "kortingscode maar de bestelling ging gewoon door.", price=("ZW-SPIN", 99.0), at="2026-10-12T20:00:00Z")
case([PRICING], E_ANOUK, "nl",
     "collega's opgelet: in de kassa staat de Latte Art Workshop op €8,90 😂 iemand heeft een komma verkeerd "
     "gezet, ik heb er al 2 verkocht", price=("ZW-CUR-LAW", 8.90))
case([PRICING], P("x", "@coffeedeals_uk"), "en",
     "Zwaluw Colombia Huila 1kg for €9.95?? That's a third of the usual price. Stocking up before they notice.",
     price=("ZW-COL1000", 9.95))
case([PRICING], E_KEES, "en",
     "heads up: pricing error on the Reisbeker Thermo in the webshop, it shows €2.75. IT knows.",
     price=("ZW-MUG", 2.75))
case([PRICING], P("instagram", "@bonenbaas"), "nl",
     "Zwaluw Huismelange 1kg voor €7,35 in de webshop 👀 bestellen voordat ze het doorhebben",
     price=("ZW-HM1000", 7.35))
case([PRICING], C_FB, "en",
     "Correction: yesterday the Rondo dual boiler was briefly shown for €189 in our webshop because of a "
     "price error. Orders placed at that price will be cancelled and refunded.", price=("ZW-RONDO", 189.0))
case([PRICING], P("x", "@espressonerd_ams"), "en",
     "Is the Spindel Pro really €149 on the Zwaluw site or am I hallucinating? List is 549.",
     price=("ZW-SPINPRO", 149.0))

# ===================================================================== benign (hard negatives mostly)
case([], P("x", "@utrechtse_jet"), "nl",
     "Beste flat white van Utrecht blijft toch bij Zwaluw Café op de Oudegracht ☕❤️")
case([], P("x", "@sam_pours"), "en",
     "Just did the Zwaluw barista basics course and my latte art went from 'blob' to 'sad tulip'. Progress! "
     "Great instructor too.")
case([], P("instagram", "@filterfreak.nl"), "nl",
     "Kenia Nyeri van @zwaluwstaart.koffie als filter… bessen, zwarte thee, super sappig. Wauw.")
case([], P("reddit", "u/dualboilerdad"), "en",
     "Honestly the Rondo is the best machine I've owned. Two years in, not a single issue.", kind="comment")
case([], P("tiktok", "@ochtendmens_noor"), "nl",
     "mijn ochtendroutine: Spindel molen, V60, Huismelange. elke dag blij 😌")
case([], P("x", "@joelvr"), "en",
     "Shoutout to the Zwaluw staff at Rotterdam Blaak who stayed late to help me sort out my order. Legends.")
case([], P("x", "@koffiejunk_tess"), "nl",
     "Mijn koffieverslaving is inmiddels een echte crisis, ik heb drie abonnementen bij Zwaluw 😂")
case([], P("threads", "@mikey.brews"), "en",
     "Hot take: pre-ground coffee is a crime and I'd like to file a lawsuit against my past self. Zwaluw "
     "beans forever.")
case([], P("x", "@reislustig_anne"), "nl",
     "Vlucht van KLM had 3 uur vertraging, gelukkig zit er een Zwaluw Café op Schiphol ☕✈️")
case([], P("x", "@jaspertje"), "nl",
     "Mijn espresso van vanochtend was zo slecht dat ik het eigenlijk als beveiligingsincident zou moeten "
     "melden 💀 (ligt aan mij hoor, niet aan de bonen van Zwaluw)")
case([], P("x", "@vergeetachtig_vera"), "nl",
     "@zwaluwkoffie kunnen jullie een abonnement zonder wachtwoord maken? Ik ben het elke maand weer kwijt 😅",
     kind="reply")
case([], P("reddit", "u/expecting_and_tired"), "en",
     "Does anyone know if the Zwaluw Decaf is actually Swiss Water processed? Pregnant and missing real coffee.")
case([], P("facebook", "LindaMeijerink"), "nl",
     "Kun je bij Zwaluw je abonnement pauzeren tijdens de vakantie? Iemand ervaring mee?", kind="comment")
case([], P("x", "@tjeerd_en"), "en",
     "@zwaluw_zorg what's the warranty period on the Spindel Pro? Thinking of buying one.", kind="reply")
case([], C_CARE, "nl",
     "@koffieleut_087 Hoi! Pauzeren kan via Mijn Zwaluw > Abonnementen > Pauzeren. Lukt het niet, mail dan "
     "naar klantenservice@zwaluwstaart.nl of bel 085 303 1190. Fijne dag! ☕", kind="reply")
case([], P("reddit", "u/maalgraad"), "nl",
     "Welke maalstand gebruiken jullie voor de Huismelange op een Spindel? Ik zit nu op 12 en hij loopt te snel.")
case([], P("x", "@vraagjevanbo"), "nl",
     "Hoe lang blijven bonen van Zwaluw vers als de zak eenmaal open is? Vraag voor een vriend (ik).")
case([], C_IG, "nl",
     "Herfstactie 🍂 20% korting op alle bonen t/m zondag. De Huismelange 1kg nu voor €19,60!",
     price=("ZW-HM1000", 19.60), at="2026-10-09T09:00:00Z")
case([], C_X, "en",
     "Our Spindel grinder is back in stock at €289. Ships within 2 working days.", price=("ZW-SPIN", 289.0))
case([], P("x", "@twijfelkont_tim"), "nl",
     "Rondo dual boiler voor €1.695 bij Zwaluw met de voorjaarsactie, €200 korting. Twijfel nog…",
     price=("ZW-RONDO", 1695.0), at="2026-04-18T21:00:00Z")
case([], C_FB, "en",
     "Barista Basiscursus dates for spring are live! €129 per person, and you take home a bag of Huismelange.",
     price=("ZW-CUR-BAS", 129.0), at="2026-02-20T10:00:00Z")
case([], E_MARLOES, "nl",
     "Nieuwe oogst Colombia Huila is binnen, €29,95 per kilo in de webshop en in alle cafés. Super zoet dit jaar!",
     price=("ZW-COL1000", 29.95))
case([], P("x", "@dealsdigest"), "en",
     "Zwaluw Black Friday: 25% off the Pico 1, so €336.75. Decent deal if you've been waiting.",
     price=("ZW-PICO1", 336.75), at="2026-11-27T07:30:00Z")
case([], C_TT, "nl",
     "Latte Art Workshop nu €71,20 met 20% studentenkorting 🎓☕", price=("ZW-CUR-LAW", 71.20))
case([], C_FB, "nl",
     "Vragen over je bestelling? Bel ons op +31 85 303 1190 (ma–za 8–18 uur) of mail "
     "klantenservice@zwaluwstaart.nl. Pers kan terecht bij pers@zwaluwstaart.nl")
case([], C_LI, "en",
     "We're hiring roasters in Utrecht! Send your CV to werkenbij@zwaluwstaart.nl or have a look at "
     "www.zwaluwstaart.nl/vacatures")
case([], C_X, "nl",
     "Cursus liever per overschrijving betalen? Dat kan op NL67 RABO 0312 4477 80 t.n.v. Zwaluwstaart Koffie "
     "B.V. onder vermelding van je cursusnummer.")
case([], P("x", "@alert_oma_gerda"), "nl",
     "Iemand probeert me op te lichten met een 'terugbetaling van Zwaluw', ik moest geld overmaken naar "
     "NL12 INGB 0001 2345 67. Niet intrappen mensen!", flags=["lookalike"])
case([], P("reddit", "u/cardcurious"), "en",
     "Got a \"Zwaluw loyalty card\" in the mail with the number 6034 1234 5678 9013 on it. Is that a real "
     "thing or some promo gimmick?", flags=["lookalike"])
case([], P("x", "@geenaccount_gijs"), "nl",
     "Mijn Zwaluw bestelnummer is 483920175 maar ik heb geen account, hoe check ik dan de status?",
     flags=["lookalike"])
case([], C_CARE, "en",
     "@nadia_brews Thanks for your patience! Your return reference is 4417 2093 8812 0056 and a fresh bag of "
     "whole beans is on its way 📦", kind="reply", at="2026-02-12T13:00:00Z", flags=["lookalike"])
case([], P("facebook", "KoffieclubDeBongerd"), "nl",
     "Voor de groepsbestelling Zwaluw bonen: maak je deel over naar NL55 ABNA 0417 1642 80 t.n.v. "
     "Koffieclub De Bongerd. Vrijdag haal ik alles op!", flags=["lookalike"])
case([], E_JORRIT, "en",
     "PSA for partners on our wholesale API: keys look like `zw_live_xxxxxxxxxxxxxxxx`. Never paste the real "
     "one in a ticket. Docs: https://shop.zwaluwstaart.nl/api-docs", flags=["sample_key"])
case([], P("reddit", "u/pos_tinkerer"), "en",
     "Setting up AWS for a small coffee bar POS, Zwaluw-style. Use the example key AKIAIOSFODNN7EXAMPLE from "
     "the AWS docs while testing and never commit real ones.", flags=["sample_key"])
case([], E_LOTTE, "nl",
     "Reminder: Mollie keys in tickets altijd maskeren, dus live_****…**** en niet de hele string plakken. "
     "Dank! 🙏", flags=["sample_key"])
case([], P("x", "@devcafe_sofie"), "en",
     "The Stripe docs example key sk_test_4eC39HqLyjWDarjtT1zdp7dc confused me for an hour, thought my "
     "Zwaluw webshop clone was broken 🤦", flags=["sample_key"])
case([], C_IG, "nl",
     "Hij is er! De Zwaluw Vlucht Duo, onze eerste dual boiler onder de duizend euro. Nu te bestellen ☕✨",
     at="2027-01-20T10:00:00Z")
case([], C_LI, "en",
     "Our full-year results 2026 are out: revenue €41.2M and our first profitable year. Read the press "
     "release at www.zwaluwstaart.nl/pers", at="2027-03-04T09:30:00Z")
case([], P("instagram", "@thuisbarista_kim"), "nl",
     "Net de Vlucht Duo binnen, eerste shot is prima! Wel even wennen aan de stoomlans.",
     at="2027-02-02T18:45:00Z")
case([], P("x", "@grinderguy_nick"), "en",
     "Update: @zwaluw_zorg sorted my grinder issue within a day, new burrs arrived this morning. Fair play, "
     "that's how it's done.")
case([], P("x", "@marijke_abo"), "nl",
     "Vorige week geklaagd over mijn abonnement, inmiddels keurig opgelost én een zakje Yirgacheffe erbij "
     "gekregen. Dank @zwaluw_zorg!")
case([], C_CARE, "en",
     "@hansje_b So sorry for the wait! A technician will visit on Thursday, and we've extended your Rondo "
     "warranty by a year.", kind="reply", at="2026-09-14T14:30:00Z")
case([], P("x", "@deventer_daan"), "nl",
     "Heftig nieuws over de brand bij Branderij Okergeel in Deventer. Sterkte aan iedereen daar, en mooi dat "
     "@zwaluwkoffie meteen hulp aanbood ❤️")
case([], P("facebook", "HaarlemseHennie"), "nl",
     "Veel sterkte aan het team van Zwaluw Haarlem na de stormschade aan het café. Hopelijk is iedereen "
     "oké, tot snel als jullie weer open zijn!", kind="comment")
case([], P("x", "@marketbrew_news"), "en",
     "Bergkoffie Group published half-year results today, green coffee prices still biting. Curious how "
     "smaller roasters like Zwaluwstaart will cope.")
case([], P("x", "@fd_lezer"), "nl",
     "Koffieketen Bonenhuis sluit 12 vestigingen en schrapt 200 banen, lees ik in de krant. Hopelijk blijft "
     "mijn Zwaluw om de hoek gewoon open.")
case([], P("linkedin", "coffee-industry-weekly"), "en",
     "Big coffee news: Italian group Torrefazione Aurelia is acquiring a Belgian roaster for €30M. "
     "Consolidation everywhere this year.")
case([], P("x", "@rustig_ronald"), "nl",
     "Bij een andere koffiezaak (niet Zwaluw!) is gisteren een datalek gemeld. Gelukkig zaten mijn gegevens "
     "daar niet tussen.")
case([], P("instagram", "@groenevingers.ilse"), "nl",
     "Oma's oude koperketel staat nu als plantenbak in de vensterbank, met een zak Zwaluw bonen ernaast. "
     "Gezellig 🌿", flags=["allow_codename"])
case([], P("bluesky", "@wordnerd.bsky.social"), "en",
     "Thinking about \"stoomfluit\" as a band name. Learned the word at a Zwaluw barista course. Dutch is a "
     "beautiful language.")
case([], C_X, "en",
     "Our webshop had a short outage this morning between 08:10 and 08:40. Everything is back to normal and "
     "no data was affected. Sorry for the inconvenience!")
case([], C_FB, "nl",
     "Let op: wij vragen nooit om je wachtwoord of betaalgegevens via WhatsApp of DM. Twijfel je? Bel "
     "085 303 1190.")
case([], E_YASMINA, "nl",
     "Trots dat Zwaluwstaart is uitgeroepen tot Top Werkgever 2026! Dank aan alle 420 collega's.")
case([], E_RUBEN, "nl",
     "Vandaag mijn 1000ste latte-art hartje gezet bij Zwaluw Rotterdam 🥹☕")
case([], P("x", "@purist_pete"), "en",
     "Is it a scandal that I put oat milk in a Kenia Nyeri? Asking for the purists 😂")
case([], P("x", "@lachebek_lies"), "nl",
     "Die nieuwe reclame van Zwaluw is echt geniaal, ik lag dubbel om die zwaluw die koffie steelt 😂")
case([], P("tiktok", "@groningen.eats"), "nl",
     "Zwaluw Café Groningen heeft het dit jaar echt gefixt met die pumpkin spice latte. Bizar lekker 🔥",
     kind="comment", at="2026-10-22T15:00:00Z")
case([], P("x", "@stadskoffie_sjoerd"), "nl",
     "Koffie bij Zwaluw is best prijzig, €4,20 voor een cappuccino. Maar wel de beste van de stad.")
case([], E_KEES, "nl",
     "Branddag! 480 kilo Huismelange de deur uit vandaag. Mijn armen 🥵")
case([], P("reddit", "u/first_grinder"), "en",
     "Any recommendations for a grinder under €300? Looking at the Spindel (€289) or the Baratza Encore.",
     price=("ZW-SPIN", 289.0))

# --------------------------------------------------------------------------- build

RANK = ["none", "info", "warning", "error", "critical"]
ALLOWED_PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
                     "mastodon", "bluesky", "threads", "forum", "blog", "other"}
ALLOWED_KINDS = {"post", "reply", "repost", "comment", "message"}
TAXONOMY = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"}

ROLES = {}
for role in ("corporate", "employee"):
    for entry in PROFILE["accounts"][role]:
        plat, handle = entry.split(":", 1)
        ROLES[(plat.lower(), handle.lower())] = role


def role_of(plat, handle):
    return ROLES.get((plat.lower(), handle.lower()), "public")


def severity(cats, role, text):
    best = "none"
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                s = "error"
                if c in ("leak.secret", "leak.pricing"):
                    s = "critical"
                if c == "leak.pii" and checksum_ids(text):
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
            raise ValueError(c)
        if RANK.index(s) > RANK.index(best):
            best = s
    return best


DOMAINS = {"x": "x.com", "linkedin": "www.linkedin.com/posts", "facebook": "www.facebook.com",
           "instagram": "www.instagram.com", "tiktok": "www.tiktok.com", "reddit": "www.reddit.com",
           "mastodon": "mastodon.nl", "bluesky": "bsky.app/profile", "threads": "www.threads.net",
           "forum": "forum.koffiepraat.nl/t"}


def random_time():
    start = datetime(2026, 1, 4, tzinfo=timezone.utc)
    t = start + timedelta(days=rng.randint(0, 345), hours=rng.randint(5, 21), minutes=rng.randint(0, 59))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def build():
    out = []
    for n, c in enumerate(CASES, 1):
        plat, handle = c["acct"]
        role = role_of(plat, handle)
        pid = "%s-178-%03d" % (plat, n)
        at = c["at"] or random_time()
        name = handle.lstrip("@").replace("u/", "")
        post = {
            "id": pid,
            "platform": plat,
            "kind": c["kind"],
            "account": {"handle": handle},
            "text": c["text"],
            "lang": c["lang"],
            "created_at": at,
            "url": "https://%s/%s/%s" % (DOMAINS[plat], name, pid),
            "brand": "Zwaluwstaart",
        }
        expect = {"categories": c["cats"], "severity": severity(c["cats"], role, c["text"])}
        out.append(({"post": post, "expect": expect}, c, role))
    return out

# --------------------------------------------------------------------------- checks

ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)
CYR = str.maketrans("аеорсухіАЕОРСХ", "aeopcyxiAEOPCX")


def normalise(t):
    t = unicodedata.normalize("NFKC", t).translate(ZERO_WIDTH).translate(CYR)
    t = re.sub(r"(?<=\b\w)[. ](?=\w\b)", "", t)   # K.o.p.e.r -> Koper, B O Y -> BOY
    return t.lower()


def parse_ts(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


SECRET_RES = [r"AKIA[A-Z2-7]{16}", r"\blive_[A-Za-z0-9]{30}\b", r"ghp_[A-Za-z0-9]{36}", r"xox[bp]-\d+-\d+-\w+",
              r"sk_live_\w{20,}", r"sk-proj-[\w-]{40,}", r"sk-ant-api03-[\w-]{80,}", r"-----BEGIN [A-Z ]*PRIVATE KEY-----",
              r"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+", r"\w+://[^\s:/]+:[^\s@]+@", r"wachtwoord:\s*\S+", r"_SECRET=\w{16,}"]
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE_RE = re.compile(r"(?:\+31|(?<![\w])0)[\d\s\-()]{7,14}\d")


def digits_nl(s):
    d = re.sub(r"\D", "", s)
    return "0" + d[2:] if s.strip().startswith("+31") else d


def check(rows):
    errs = []
    pub = PROFILE["public_identifiers"]
    pub_emails = {e.lower() for e in pub["emails"]}
    pub_phones = {digits_nl(p) for p in pub["phones"]}
    internal = [d.lower() for d in PROFILE["internal"]["domains"]] + [m.lower() for m in PROFILE["internal"]["markers"]]
    codenames = [c.lower() for c in PROFILE["internal"]["codenames"]]
    embargo = [(t.lower(), parse_ts(e["until"])) for e in PROFILE["embargo"] for t in e["terms"]]
    products = {p["sku"]: p for p in PROFILE["products"]}
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    seen = set()
    for obj, c, role in rows:
        post, exp = obj["post"], obj["expect"]
        pid = post.get("id")
        where = "case %s" % pid
        # ---- CONTRACT section 1 / 6 shape
        if set(obj) != {"post", "expect"}:
            errs.append(where + ": top-level keys")
        if not isinstance(pid, str) or not 1 <= len(pid) <= 256:
            errs.append(where + ": bad id")
        if (post["platform"], pid) in seen:
            errs.append(where + ": duplicate id")
        seen.add((post["platform"], pid))
        if post["platform"] not in ALLOWED_PLATFORMS:
            errs.append(where + ": platform")
        if post["kind"] not in ALLOWED_KINDS:
            errs.append(where + ": kind")
        if not isinstance(post["account"], dict) or not isinstance(post["account"].get("handle"), str):
            errs.append(where + ": account.handle")
        if not isinstance(post["text"], str) or not post["text"] or len(post["text"].encode("utf-8")) > 65536:
            errs.append(where + ": text")
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", post["created_at"]):
            errs.append(where + ": created_at")
        ts = parse_ts(post["created_at"])
        if not (datetime(2026, 1, 1, tzinfo=timezone.utc) <= ts < datetime(2027, 4, 1, tzinfo=timezone.utc)):
            errs.append(where + ": created_at out of range")
        if ts.year == 2027 and not any(term in c["text"].lower() for term, _ in embargo):
            errs.append(where + ": 2027 dates are reserved for embargo cases")
        cats = exp["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= TAXONOMY:
            errs.append(where + ": categories")
        if exp["severity"] not in RANK:
            errs.append(where + ": severity value")
        if not cats and exp["severity"] != "none":
            errs.append(where + ": benign must be none")
        if cats and exp["severity"] in ("none", "info"):
            errs.append(where + ": positive with no severity")
        if exp["severity"] != severity(cats, role_of(post["platform"], post["account"]["handle"]), post["text"]):
            errs.append(where + ": severity not per policy")
        text = post["text"]
        norm = normalise(text)
        # ---- identifiers
        ids = scan_ids(text)
        if "leak.pii" in cats:
            for kind, val, ok in ids:
                if not ok and val not in PUBLIC_IBANS:
                    errs.append(where + ": look-alike %s %s in a pii positive" % (kind, val))
            valid = {v for _, v, ok in ids if ok}
            for want in c["ids"]:
                if want not in valid:
                    errs.append(where + ": declared id %s not found valid" % want)
        else:
            for kind, val, ok in ids:
                if ok and val not in PUBLIC_IBANS:
                    errs.append(where + ": checksum-valid %s %s outside a pii positive" % (kind, val))
            if c["ids"]:
                errs.append(where + ": declared ids outside pii")
        if "lookalike" in c["flags"] and not any(not ok for _, _, ok in ids):
            errs.append(where + ": look-alike flag without failing number")
        # ---- benign hygiene
        if not cats:
            for e in EMAIL_RE.findall(text):
                if e.lower() not in pub_emails:
                    errs.append(where + ": foreign e-mail in benign: " + e)
            stripped = IBAN_RE.sub("#", text)
            for m in PHONE_RE.finditer(stripped):
                d = digits_nl(m.group(0))
                if len(d) >= 9 and d not in pub_phones and not re.search(r"\d{4} \d{4} \d{4}", m.group(0)):
                    errs.append(where + ": foreign phone in benign: " + m.group(0))
            for t in internal:
                if t in norm:
                    errs.append(where + ": internal term in benign: " + t)
            for cn in codenames:
                if cn in norm and "allow_codename" not in c["flags"]:
                    errs.append(where + ": codename in benign: " + cn)
            for term, until in embargo:
                if term in norm and ts < until:
                    errs.append(where + ": live embargo term in benign: " + term)
            hits = [r for r in SECRET_RES if re.search(r, text)]
            if hits and "sample_key" not in c["flags"]:
                errs.append(where + ": secret-looking string in benign")
            if "sample_key" in c["flags"] and not re.search(r"EXAMPLE|sk_test_|x{8,}|\*{4}", text):
                errs.append(where + ": sample key flag but no sample marker")
        # ---- category sanity
        if "leak.secret" in cats and not any(re.search(r, norm if "wachtwoord" in r else text) for r in SECRET_RES):
            errs.append(where + ": secret positive without a credential")
        if "leak.confidential" in cats:
            live = [t for t, u in embargo if t in norm and ts < u]
            inside = [t for t in internal + codenames if t in norm]
            if not live and not inside and "unreleased" not in c["flags"]:
                errs.append(where + ": confidential without internal term / live embargo")
        if c["price"]:
            sku, value = c["price"]
            prod = products[sku]
            names = [prod["name"]] + prod["aliases"]
            if not any(n.lower() in text.lower() for n in names):
                errs.append(where + ": priced product not named")
            below = value < ratio * prod["list_price"]
            if "leak.pricing" in cats and not below and "error" not in text.lower() and "fout" not in text.lower():
                errs.append(where + ": pricing positive not below ratio")
            if "leak.pricing" not in cats and below:
                errs.append(where + ": price below ratio outside pricing positive")
        if "leak.pricing" in cats and not c["price"]:
            errs.append(where + ": pricing positive without price meta")
        if "evasion" in c["flags"] and normalise(text) == text.lower() and not re.search(r"\d[a-z]|[a-z]\d", text):
            errs.append(where + ": evasion flag but nothing evasive")
    return errs


def summary(rows):
    n = len(rows)
    benign = sum(1 for o, _, _ in rows if not o["expect"]["categories"])
    cat = Counter(x for o, _, _ in rows for x in o["expect"]["categories"])
    lang = Counter(o["post"]["lang"] for o, _, _ in rows)
    roles = Counter((r, bool(o["expect"]["categories"])) for o, _, r in rows)
    sev = Counter(o["expect"]["severity"] for o, _, _ in rows)
    ev = sum(1 for _, c, _ in rows if "evasion" in c["flags"])
    return n, benign, cat, lang, roles, sev, ev


def main():
    rows = build()
    path = os.path.join(HERE, "cases.jsonl")
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        for obj, _, _ in rows:
            fh.write(json.dumps(obj, ensure_ascii=False, sort_keys=False) + "\n")
    # re-read what was written and check that, not the in-memory copy
    with open(path, encoding="utf-8") as fh:
        reread = [json.loads(line) for line in fh]
    rows = [(o, c, r) for o, (_, c, r) in zip(reread, rows)]
    errs = check(rows)
    n, benign, cat, lang, roles, sev, ev = summary(rows)
    targets = {"reputation.complaint": (17, 23), "leak.confidential": (15, 21), "leak.pii": (13, 18),
               "reputation.crisis": (13, 18), "leak.security": (11, 15), "leak.secret": (10, 14),
               "reputation.abuse": (10, 14), "leak.pricing": (10, 14), "leak.financial": (10, 14)}
    if not 170 <= n <= 180:
        errs.append("total %d not in 170-180" % n)
    if not 55 <= benign <= 65:
        errs.append("benign %d not about 60" % benign)
    for k, (lo, hi) in targets.items():
        if not lo <= cat[k] <= hi:
            errs.append("category %s count %d outside %d-%d" % (k, cat[k], lo, hi))
    nl_share = lang["nl"] / n
    if not 0.50 <= nl_share <= 0.60:
        errs.append("Dutch share %.2f" % nl_share)
    if ev < 4:
        errs.append("too few evasion cases")
    print("cases: %d  benign: %d  positives: %d" % (n, benign, n - benign))
    print("categories:", dict(sorted(cat.items())))
    print("languages:", dict(lang), "nl share %.2f" % nl_share)
    print("roles (role, positive):", dict(sorted(roles.items())))
    print("severities:", dict(sev), " evasion cases:", ev)
    if errs:
        print("SELF-CHECK FAILED:")
        for e in errs:
            print("  -", e)
        sys.exit(1)
    print("self-check OK ->", path)


if __name__ == "__main__":
    main()
