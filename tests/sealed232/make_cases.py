#!/usr/bin/env python3
"""Evaluation set sealed232: Rotspunt Klim & Boulder B.V. (fictional climbing/bouldering gyms).

Deterministic: fixed seed, standard library + PyYAML. Writes cases.jsonl next to this
file and self-checks it against CONTRACT v1 (§4 severity, §6 case format) and the
checksum rules for IBAN (mod-97), payment cards (Luhn) and BSN (11-proof).
Severities are computed from the account role in profile.yaml, never typed by hand.
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

rng = random.Random(232_2026)

B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits


# ---------------------------------------------------------------- identifiers
def iban_check_ok(iban):
    s = iban.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(ch, 36)) for ch in r)) % 97 == 1


def make_iban(bank):
    acct = "".join(rng.choice(string.digits) for _ in range(10))
    bban = bank + acct
    n = int("".join(str(int(ch, 36)) for ch in bban + "NL00"))
    return "NL%02d%s" % (98 - n % 97, bban)


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def bad_iban(bank):
    good = make_iban(bank)
    chk = int(good[2:4])
    wrong = "%02d" % ((chk + 37) % 97 + 2 if (chk + 37) % 97 + 2 != chk else chk + 1)
    bad = good[:2] + wrong + good[4:]
    assert not iban_check_ok(bad)
    return bad


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
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for last in string.digits:
        if luhn_ok(body + last):
            return body + last
    raise AssertionError


def bad_card(prefix):
    good = make_card(prefix)
    bad = good[:-1] + str((int(good[-1]) + 3) % 10)
    assert not luhn_ok(bad)
    return bad


def bsn_ok(num):
    s = re.sub(r"\D", "", num)
    if len(s) != 9:
        return False
    w = [9, 8, 7, 6, 5, 4, 3, 2, -1]
    return sum(int(a) * b for a, b in zip(s, w)) % 11 == 0 and s != "000000000"


def make_bsn():
    while True:
        s = str(rng.randint(1, 6)) + "".join(rng.choice(string.digits) for _ in range(8))
        if bsn_ok(s):
            return s


def bad_bsn():
    while True:
        s = str(rng.randint(1, 6)) + "".join(rng.choice(string.digits) for _ in range(8))
        if not bsn_ok(s):
            return s


# ---------------------------------------------------------------- secrets
def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def github_token(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF, 6)


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()) & 0xFFFFFFFF, 6) == m.group(2)


def aws_key_id():
    return "AKIA" + rand(string.ascii_uppercase + "234567", 16)


def aws_secret():
    return rand(ALNUM + "/+", 40)


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jwt():
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps({"sub": "member-48213", "scope": "password_reset",
                              "iat": 1767340800, "exp": 1767344400},
                             separators=(",", ":")).encode())
    sig = b64url(bytes(rng.getrandbits(8) for _ in range(32)))
    return head + "." + body + "." + sig


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    pad = "=" * (-len(parts[0]) % 4)
    return "alg" in json.loads(base64.urlsafe_b64decode(parts[0] + pad))


def pem_rsa():
    raw = bytes.fromhex("308204a40201000282010100") + bytes(rng.getrandbits(8) for _ in range(380))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 64] for i in range(0, len(b), 64)]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"


GH_DEPLOY = github_token("ghp_")
GH_OAUTH = github_token("gho_")
AWS_ID, AWS_SECRET = aws_key_id(), aws_secret()
JWT_RESET = jwt()
STRIPE = "sk_live_" + rand(ALNUM, 24)
SLACK = "xoxb-%d-%d-%s" % (rng.randrange(10**11, 10**12), rng.randrange(10**12, 10**13), rand(ALNUM, 24))
OPENAI = "sk-proj-" + rand(ALNUM + "_-", 48) + "T3BlbkFJ" + rand(ALNUM + "_-", 48)
MOLLIE = "live_" + rand(ALNUM, 30)
GITLAB = "glpat-" + rand(ALNUM + "_-", 20)
PG_PW = rand(ALNUM, 10) + "!" + rand(ALNUM, 5)
PEM = pem_rsa()
ANTHROPIC = "sk-ant-api03-" + rand(ALNUM + "_-", 93) + "AA"

IBAN_REFUND = make_iban("INGB")
IBAN_BOULDERBAS = make_iban("RABO")
IBAN_DEBUG = make_iban("SNSB")
IBAN_BAD_FAQ = bad_iban("RABO")
IBAN_BAD_USER = bad_iban("ABNA")
CARD_LOST = make_card("4")
CARD_KEVIN = make_card("52")
CARD_BAD_TEST = bad_card("4")
CARD_BAD_USER = bad_card("51")
BSN_THIJS = make_bsn()
BSN_BAD_DUMMY = "123456789"
BSN_BAD_USER = bad_bsn()
assert not bsn_ok(BSN_BAD_DUMMY)

OWN_IBAN = PROFILE["public_identifiers"]["ibans"][0]


def fw(s):
    """Full-width form of ASCII letters and digits (evasion)."""
    return "".join(chr(ord(c) + 0xFEE0) if 0x21 <= ord(c) <= 0x7E else c for c in s)


ZW = "\u200b"
CYR_O, CYR_E, CYR_A = "\u043e", "\u0435", "\u0430"

# ---------------------------------------------------------------- categories
CPL, CRI, ABU = "reputation.complaint", "reputation.crisis", "reputation.abuse"
SEC, PII, PRC = "leak.secret", "leak.pii", "leak.pricing"
CON, FIN, SCY = "leak.confidential", "leak.financial", "leak.security"

CASES = []


def c(platform, handle, lang, cats, text, kind=None, when=None):
    if kind is None:
        kind = "reply" if text.startswith("@") else "post"
    CASES.append(dict(platform=platform, handle=handle, lang=lang, cats=sorted(set(cats)),
                      text=text, kind=kind, when=when))


# ================================================================ complaints
c("x", "@boulderbas", "nl", [CPL],
  "Derde keer deze maand dat de boekingsapp van @rotspunt eruit ligt precies om 18:00. "
  "Sta ik weer voor niks bij de deur in Utrecht 🙄")
c("instagram", "@crimp.and.coffee", "en", [CPL],
  "Love climbing but honestly @rotspunt.klimmen the Amsterdam Noord hall is a sauna. 31 degrees "
  "inside, no airco, chalk turning into paste. Not what I pay €62 a month for.", kind="comment")
c("facebook", "Marieke Hoogendoorn", "nl", [CPL],
  "Al 5 weken probeer ik mijn jaarabonnement op te zeggen. Mail naar de klantenservice: geen reactie. "
  "Bellen: 40 minuten in de wacht en dan wordt de lijn verbroken. Rotspunt, dit is echt belachelijk.")
c("reddit", "u/sloper_sam", "en", [CPL],
  "Anyone else getting double-charged by Rotspunt? My Onbeperkt Maand got debited twice in March "
  "and support just keeps sending me the same canned reply.")
c("x", "@jip_klimt", "nl", [CPL],
  "routes in de boulderhal eindhoven zijn al 2 maanden niet omgeschroefd. zelfde gele 5c die iedereen "
  "al kan dromen. kom op rotspunt, waar betaal ik voor")
c("forum", "ZwarteSlof", "nl", [CPL],
  "Introcursus bij Rotspunt gevolgd. Instructeur zat de helft van de tijd op z'n telefoon en we moesten "
  "zelf maar uitzoeken hoe een achtknoop werkt. 89 euro voor dit? Nooit meer.")
c("x", "@tara_onsight", "en", [CPL],
  "@rotspunt_help your rental shoes smell like something died in them. size 40 had actual wet insoles. gross.")
c("tiktok", "@zoe.boulders", "nl", [CPL],
  "pov: je komt om 19u binnen, er is 1 kleedkamer voor 200 man en de douche is ijskoud 🥶 "
  "#rotspunt #boulderen #waaromdoeikditmezelfaan")
c("threads", "@mikkel.climbs", "en", [CPL],
  "Booked a kids party at Rotspunt for my son's 8th. They gave our slot to another group and offered "
  "us... a free day pass. Twelve kids crying in the lobby. Thanks a lot.")
c("x", "@ellenvdmeer", "nl", [CPL],
  "Talon klimschoenen van Rotspunt na 6 weken al een gat in de teen. 129 euro!! En de garantie: "
  "'valt niet onder normaal gebruik'. Ja doei.")
c("bluesky", "@noah-dyno.bsky.social", "en", [CPL],
  "Rotspunt's new app update logs me out every single time I open it. Couldn't even show my membership "
  "QR at the desk. Staff just shrugged.")
c("reddit", "u/hollandse_heelhook", "nl", [CPL],
  "Rotspunt heeft de daluren stilletjes ingekort van 16:00 naar 15:00, zonder mail, zonder niks. "
  "Zelfde bedrag, minder klimtijd. Klantvriendelijk hoor.")
c("facebook", "Ruud Verstegen", "nl", [CPL],
  "Mijn dochter zit bij de jeugdclub en de trainer is nu voor de 3e keer niet komen opdagen zonder "
  "bericht. Ouders en kinderen voor een dichte zaal. Rotspunt Eindhoven, wat is hier aan de hand?")

# ================================================================ crisis + complaint (first-hand harm)
c("x", "@stijnbouldert", "nl", [CRI, CPL],
  "Vandaag bij Rotspunt Amsterdam-Noord viel een greep los uit de overhang en knalde op mijn hoofd. "
  "4 hechtingen op de SEH. Niemand van het personeel heeft ook maar een incidentrapport gemaakt. #rotspunt")
c("instagram", "@lena.on.rock", "en", [CRI, CPL],
  "The auto-belay at Rotspunt Utrecht didn't catch me properly yesterday — dropped the last 3 metres way "
  "too fast and I landed hard. Sprained ankle. Staff just taped an 'out of order' sign on it afterwards "
  "and carried on. This could have been so much worse.")
c("facebook", "Anouk de Graaf", "nl", [CRI, CPL],
  "De gesp van mijn Ankerlijn gordel (gekocht in de Rotspunt shop, 3 maanden oud!) schoot open tijdens "
  "het afdalen. Ik zat gelukkig al bijna beneden. Ik ben er nog steeds misselijk van. Wie heeft dit ook?")
c("reddit", "u/crimpgoblin", "en", [CRI, CPL],
  "Used Rotspunt LiquidGrip for two weeks and ended up with blistering burns on both palms. "
  "Dermatologist says it's a reaction to something in the formula. Rotspunt support told me to "
  "'use less'. wtf.")
c("x", "@sanne_op_de_wand", "nl", [CRI, CPL],
  "Na een avondje boulderen bij Rotspunt Eindhoven liggen we met z'n zessen met buikgriep op bed. "
  "GGD denkt aan het water uit de tappunten bij de bar. Hallo?? Ik wil hier wel een reactie op.")
c("tiktok", "@boulderbros_ehv", "en", [CRI, CPL],
  "my buddy topped out on the comp wall at rotspunt, fell and went straight through the gap between "
  "the mats. broken wrist. those mats have been split for MONTHS, we literally told them 😡")

# ================================================================ crisis (third party / news / boycott)
c("x", "@nieuws030", "nl", [CRI],
  "Klimmer (34) zwaargewond na val in klimhal Rotspunt aan de Cartesiusweg. Ambulance en traumaheli "
  "ter plaatse, de hal is ontruimd. Oorzaak nog onbekend.")
c("x", "@climbingwirenews", "en", [CRI],
  "Dutch gym chain Rotspunt is being sued by a former member who was left partially paralysed after an "
  "auto-belay failure in 2025, court filings show.")
c("instagram", "@setterscollectief", "nl", [CRI],
  "Rotspunt heeft twee routebouwers de deur gewezen omdat ze een ondernemingsraad wilden. Wij zeggen: "
  "abo niet verlengen, geen cadeaukaart kopen, niet naar hun wedstrijden. #boycotrotspunt")
c("reddit", "u/belay_betty", "en", [CRI],
  "PSA: Rotspunt is recalling the Klik zekeraar they sold in their shops, apparently the cam can jam "
  "under load. Check the serial number on the back before your next session.")
c("x", "@privacywaakhond", "nl", [CRI],
  "Rotspunt lijkt een datalek te hebben. Bij mij en drie vrienden komen phishingmails binnen met ons "
  "exacte lidnummer en geboortedatum erin. Wie nog meer? @rotspunt")
c("x", "@joris_hrmnt", "en", [CRI],
  "Rotspunt Amsterdam being evacuated right now, smoke pouring out near the changing rooms, two fire "
  "trucks outside. Hope everyone inside is ok 🙏")
c("facebook", "Klimvereniging De Steile Wand", "nl", [CRI],
  "Meerdere ouders melden ons dat Rotspunt bij kinderfeestjes geen gecertificeerde begeleiders meer "
  "inzet. Wij hebben de Inspectie gevraagd hiernaar te kijken. Vraag er zelf ook naar!")
c("bluesky", "@fintwit-ann.bsky.social", "en", [CRI],
  "Rotspunt had to restate its 2025 accounts after auditors found membership revenue was overstated. "
  "A group of minority shareholders is now preparing a lawsuit against the board.")
c("x", "@wandkrabber", "nl", [CRI],
  "B O Y C O T  R O T S P U N T — ze verkopen jullie klimdata en gezondheidsvragen door aan "
  "verzekeraars. Deel dit!!")

# ================================================================ confidential
c("x", "@lotte_routebouw", "nl", [CON],
  "Mag eigenlijk nog niks zeggen maar Project Basaltkam wordt echt VET. 18 meter lead-wand met een dak "
  "van 12 meter 🤫🤫")
c("instagram", "@daan.schroefwerk", "nl", [CON],
  "Sneak peek van de nieuwe greepjes voor Edelweiss-2 📸 alleen voor medewerkers dus niet doorsturen haha")
c("linkedin", "rotspunt-klim-boulder", "en", [CON],
  "Proud of our team this quarter! (Note to staff: the full roadmap is at "
  "https://intra.rotspunt.local/roadmap/2027 — please add your comments before Friday.)")
c("bluesky", "@kees-rotspunt.bsky.social", "nl", [CON, SCY],
  "haha collega heeft het hele rooster weer op planning.rotspunt.nl/rooster/week-32 gezet en de link "
  "werkt gewoon zonder inlog. met adressen van iedereen erin 🙃 al twee keer gemeld")
c("threads", "@femke.boulders", "en", [CON],
  "Can't wait for you all to see the Talon Air we've been testing in the gym. Rotspunt confidential until "
  "launch but omg that heel cup 😍")
c("reddit", "u/kneebar_koen", "nl", [CON, FIN],
  "Vriend van me werkt bij Rotspunt en zegt dat 'Operatie Steenbok' de overname van een Belgische "
  "klimketen is, iets met 6 hallen in Vlaanderen. Iemand anders hier meer over gehoord?")
c("tiktok", "@ruben_setter", "nl", [CON],
  "wat een dag 🥵 hele Binckhorst-hal voorgeschroefd, 140 boulders, opening pas in maart. jullie gaan "
  "dit zo vet vinden", when="2026-11-14T21:12:40Z")
c("x", "@denhaagclimbs", "en", [CON],
  "Heard Rotspunt Binckhorst is opening next spring?? Den Haag finally getting a proper bouldering gym",
  when="2026-10-03T08:45:19Z")
c("x", "@rotspunt", "nl", [CON],
  "Team: de presentatie van vrijdag staat op git.rotspunt.dev/marketing/voorjaarscampagne. "
  "Niet extern delen tot de lancering!")
c("linkedin", "youssef-haddou-rotspunt", "en", [CON],
  "Migrating the whole booking backend for Project Basaltkam has been the highlight of my year. "
  "Can't share details yet but the load tests look amazing.")
c("x", "@bramvanleeuwen_rp", "nl", [CON],
  "Volgende week verplichte personeelsvergadering over Operatie Steenbok. Geen idee wat het is maar "
  "het klinkt spannend")
c("instagram", "@daan.schroefwerk", "nl", [CON],
  fw("Edelweiss-2") + " komt eraan 👀 meer mag ik echt niet zeggen")
c("mastodon", "@noorklimt@mastodon.nl", "nl", [CON],
  "Vrijdagmiddag om 16:45 nog een hotfix uitrollen op kassa.rotspunt.local. Wie doet me wat.")
c("x", "@lotte_routebouw", "en", [CON],
  "spoiler for colleagues only 😅 the internal 2027 pricing deck has the jaarabo going up to €719. "
  "you didn't hear it from me")
c("linkedin", "mirjam-koster-rotspunt", "nl", [CON, FIN],
  "Drukke weken richting de jaarcijfers 2026: omzet ruim 14% boven plan en de EBITDA-marge gaat naar "
  "19%. Trots op dit team!", when="2027-01-20T10:05:00Z")

# ================================================================ financial
c("x", "@bramvanleeuwen_rp", "nl", [FIN],
  "Net uit het managementoverleg: de hal in Eindhoven gaat per 1 juni dicht en 23 collega's krijgen "
  "hun contract niet verlengd. Nog niet officieel. Ik ben er kapot van.")
c("linkedin", "mirjam-koster-rotspunt", "en", [FIN],
  "Q3 came in at €4.1M revenue against a €3.6M budget. We'll announce it on the 14th, but I couldn't "
  "be prouder of the team already.")
c("threads", "@femke.boulders", "nl", [FIN],
  "Zojuist in de kantine gehoord dat we worden overgenomen door een Duitse investeerder?! Niemand weet "
  "wat dat voor ons betekent. Vaag allemaal.")
c("reddit", "u/ex_rp_staff", "en", [FIN],
  "Ex-employee here. Rotspunt's board plans to sell two halls in Q1, the bank is pushing them because "
  "revenue is down ~20% on last year. None of this is public yet.")
c("facebook", "RotspuntKlimhallen", "nl", [FIN],
  "Update voor het team: de afdeling klantenservice wordt gereorganiseerd, 8 fte vervalt per 1 april. "
  "Jullie leidinggevende neemt maandag contact op.")
c("x", "@lotte_routebouw", "en", [FIN],
  "the forecast they showed at the all-hands: 3 new halls, 40% member growth and 'IPO-ready by 2028'. "
  "wild times")
c("instagram", "@daan.schroefwerk", "nl", [FIN],
  "Rotspunt gaat fuseren met Klimmuur Brabant, stond in een mail van de directie die ik eigenlijk niet "
  "had mogen zien 😬")
c("x", "@beursfluisteraar", "nl", [FIN],
  "Rotspunt staat op het punt sectorgenoot Boulderbunker over te nemen, hoor ik van twee mensen die bij "
  "de deal zitten. Aankondiging waarschijnlijk na de zomer.")
c("bluesky", "@kees-rotspunt.bsky.social", "en", [FIN],
  "management told us today membership is down 11% this quarter and 'cost measures' are coming. "
  "great vibe at the desk rn")
c("mastodon", "@noorklimt@mastodon.nl", "nl", [FIN],
  "Begroting 2027 is rond: het IT-team gaat van 9 naar 5 mensen. Dus ja, mijn cv staat weer online.")

# ================================================================ security
c("reddit", "u/sjoerd_ops", "nl", [SCY],
  "Ops-mens bij een klimketen hier (Rotspunt). Sinds gisteravond ransomware op de kassasystemen, alle "
  "hallen doen nu handmatige check-in met papieren lijsten. Pers weet het nog niet, dus wees lief.")
c("mastodon", "@noorklimt@mastodon.nl", "en", [SCY],
  "Fun fact: the Rotspunt member app API hands you the full profile of any member if you just increment "
  "the id. Reported it internally 3 months ago. Still open.")
c("x", "@bramvanleeuwen_rp", "nl", [SCY],
  "Toegangspoortjes in alle Rotspunt-hallen liggen sinds 7 uur plat. Leverancier zegt dat er iemand in "
  "hun systeem heeft gezeten. Klanten denken dat het een storing is 🤐")
c("linkedin", "youssef-haddou-rotspunt", "en", [SCY],
  "Long night. Someone got into our booking backend through an old admin account and exported the "
  "member table. Incident team is on it, disclosure probably next week. Grateful for my people.")
c("tiktok", "@ruben_setter", "en", [SCY],
  "not supposed to say this but the rotspunt booking site has been down since 6am because of a ddos "
  "and they're telling everyone it's 'planned maintenance' 🙃")
c("mastodon", "@noorklimt@mastodon.nl", "nl", [SCY, CON],
  "grafana.rotspunt.dev laat al een uur 100% CPU zien op de ledendatabase. Er draait gewoon een "
  "cryptominer op. Klanten weten nog van niks.")
c("reddit", "u/chalkydave", "en", [SCY],
  "A friend who works at Rotspunt says the card terminals at the Utrecht desk were skimmed last week and "
  "they still haven't told members. Check your statements if you paid there.")
c("threads", "@femke.boulders", "en", [SCY],
  "heads-up from our shift lead: the door access at Utrecht was bypassed last night and someone got into "
  "the office with the member files. members haven't been told yet")
c("instagram", "@daan.schroefwerk", "nl", [SCY],
  "Hele ochtend geen kassa, geen poortjes, geen app. IT zegt 'certificaat verlopen' maar volgens mij is "
  "het gewoon een aanval. We laten iedereen gratis binnen 😅")
c("x", "@lotte_routebouw", "en", [SCY],
  "all staff accounts got force-reset this morning after a phishing mail got 3 people's passwords. "
  "apparently someone logged into payroll. not public yet so 🤐")
c("bluesky", "@kees-rotspunt.bsky.social", "nl", [SCY],
  "d" + ZW + "ata" + ZW + "lek bij ons, een mail met de complete ledenexport is naar de verkeerde "
  "partij gestuurd. pers weet nog van niks, wij aan de balie ook officieel niet")

# ================================================================ secrets
c("mastodon", "@noorklimt@mastodon.nl", "nl", [SEC, SCY],
  "Onze deploy-key stond sinds vorige week in een publieke repo en niemand heeft hem ingetrokken. "
  "Hij werkt nog steeds: " + GH_DEPLOY + " 🤦")
c("linkedin", "youssef-haddou-rotspunt", "en", [SEC],
  "For anyone asking how we set up our nightly S3 sync for route photos:\n\n"
  "[default]\naws_access_key_id = " + AWS_ID + "\naws_secret_access_key = " + AWS_SECRET +
  "\nregion = eu-west-1\n\nWorks like a charm.")
c("x", "@rotspunt_help", "nl", [SEC],
  "@boulderbas probeer het nog eens via deze link, dan kun je direct een nieuw wachtwoord kiezen: "
  "https://boeken.rotspunt.nl/account/reset?token=" + JWT_RESET)
c("bluesky", "@kees-rotspunt.bsky.social", "nl", [SEC],
  "voor wie vanavond afsluit in Utrecht: wachtwoord: Krijt!Wand2026 voor de kassa-pc, niet vergeten "
  "uit te loggen 😘")
c("mastodon", "@noorklimt@mastodon.nl", "en", [SEC],
  "why is this payment test failing 🤔\n\nSTRIPE_SECRET_KEY=" + STRIPE + "\n\n...oh wait that's prod. oops")
c("reddit", "u/sjoerd_ops", "nl", [SEC, CON],
  "Iemand ervaring met pgbouncer en lange transacties? Onze connectiestring:\n"
  "postgres://rp_app:" + PG_PW + "@db01.rotspunt.local:5432/members\nConnecties vallen om de paar "
  "minuten weg.")
c("youtube", "RotspuntTV", "nl", [SEC],
  "Zo zetten wij nieuwe boulders automatisch in ons Slack-kanaal! Config uit de video:\n"
  "SLACK_BOT_TOKEN=" + SLACK + "\nCHANNEL=#nieuwe-routes")
c("reddit", "u/webshopsnuffelaar", "en", [SEC],
  "lol Rotspunt's new route-recommendation widget ships an OpenAI key straight in the JS bundle: "
  + OPENAI + " — someone's going to have a fun bill")
c("x", "@bramvanleeuwen_rp", "nl", [SEC],
  "Mollie-koppeling in de shop weer stuk. Wie wil het even proberen met " + MOLLIE +
  " ? Ik snap er niks van")
c("mastodon", "@noorklimt@mastodon.nl", "en", [SEC],
  "pasted this in the wrong window, ignore pls\n\n" + PEM)
c("linkedin", "youssef-haddou-rotspunt", "nl", [SEC],
  "GitLab-token voor de nieuwe CI-runner: " + GITLAB + " — laat maar weten wie er toegang nodig heeft.")
c("threads", "@femke.boulders", "en", [SEC],
  "trying the Claude API for our lesson planner, this is my key right? " + ANTHROPIC +
  " it keeps saying unauthorized")

# ================================================================ abuse
c("x", "@boosbouldert", "nl", [ABU],
  "Rotspunt is gewoon een stelletje oplichters. Kankerbedrijf.")
c("x", "@chalkhater", "en", [ABU],
  "@rotspunt_help your staff are useless morons, every single one of them")
c("instagram", "@ricardo_vz", "nl", [ABU],
  "die routebouwer met dat rode haar bij rotspunt is echt een domme trut, sloopt elke boulder die ze "
  "aanraakt", kind="comment")
c("reddit", "u/angryhangs", "en", [ABU],
  "The Eindhoven manager at Rotspunt is a f*cking clown. Pathetic little man, someone should tell him "
  "to his face.")
c("tiktok", "@w4ndk1ng", "nl", [ABU],
  "r0tspunt = k4nker00ipers 🤮🤮 n00it meer")
c("x", "@klimhater070", "nl", [ABU],
  "R" + CYR_O + "tspunt p" + CYR_E + "rsoneel zijn allemaal kutwijven en sukkels, echt waar")
c("x", "@bramvanleeuwen_rp", "nl", [ABU],
  "@jip_klimt hou toch je bek sukkel. als je niet kan klimmen blijf je maar lekker thuis")
c("instagram", "@rotspunt.klimmen", "en", [ABU],
  "@crimp.and.coffee maybe stop whining and learn to climb, idiot", kind="comment")
c("threads", "@true_dutch_dad", "en", [ABU],
  "Rotspunt keeps hiring foreigners for the desk who can't even speak proper Dutch. Send them back "
  "where they came from.")
c("facebook", "Henk Zwart", "nl", [ABU],
  "Die vrouwelijke instructeurs bij Rotspunt moeten lekker in de keuken blijven, kunnen nog geen touw "
  "vastknopen", kind="comment")
c("bluesky", "@grumpyjug.bsky.social", "en", [ABU],
  "rotspunt staff = absolute dickheads. hope your shitty gym burns down")
c("x", "@muurmopperaar", "nl", [ABU],
  "@rotspunt jullie zijn echt k u t m e n s e n, allemaal")

# ================================================================ personal data
c("x", "@bramvanleeuwen_rp", "nl", [PII],
  "Gevonden in hal Eindhoven: portemonnee van Jasper Mulder, geb. 12-03-1994. Ken je hem? Bel hem even "
  "op 06-43817265 📞")
c("x", "@rotspunt_help", "en", [PII],
  "@tara_onsight sorted! We've refunded your day pass to " + group4(IBAN_REFUND) +
  ", should land within 3 working days 🙂")
c("facebook", "RotspuntKlimhallen", "nl", [PII],
  "Winnaar van de Rotspunt Boulderbattle: Sophie Verbeek, Kerkstraat 14, 3511 AB Utrecht! Je prijs komt "
  "deze week per post 🏆")
c("threads", "@femke.boulders", "en", [PII],
  "Lost & found at Utrecht: a jacket with a credit card in the pocket, " + group4(CARD_LOST) +
  ", name L. Peeters. Come grab it at the desk!")
c("linkedin", "mirjam-koster-rotspunt", "nl", [PII],
  "Voor de salarisadministratie nog even het BSN van onze nieuwe collega Thijs: " + BSN_THIJS +
  ". Kan iemand dit doorzetten naar het loonbureau?")
c("x", "@boulderbas", "nl", [PII, CPL],
  "@rotspunt_help abonnement is wéér dubbel afgeschreven. Rekening " + group4(IBAN_BOULDERBAS) +
  " t.n.v. B. Sanders, graag vandaag nog terugboeken want ik sta rood")
c("instagram", "@lena.on.rock", "en", [PII],
  "anyone with a spare spot in the Rotspunt lead course this month? DM me or just call +31 6 2847 1930 🧗‍♀️")
c("x", "@rotspunt_help", "nl", [PII],
  "@marieke_h we hebben je opzegging doorgezet naar marieke.hoogendoorn84@gmail.com, kijk even in je "
  "spam als je niks ziet!")
c("mastodon", "@noorklimt@mastodon.nl", "en", [PII],
  "debug output from the member import, sorry for the noise:\n"
  "{name: 'Pieter de Wit', email: 'p.dewit@ziggo.nl', dob: '1988-07-21', iban: '" + IBAN_DEBUG + "'}")
c("instagram", "@daan.schroefwerk", "nl", [PII],
  "Emma Jansen is vandaag jarig (4 mei 2001 geboren, dus 25!) en klom meteen haar eerste 7a 🎂 "
  "Stuur haar een appje: 06 19 28 37 46", when="2026-05-04T19:02:11Z")
c("facebook", "Kevin Bos", "nl", [PII, CPL],
  "Kan iemand van Rotspunt mij terugbellen? 06 5512 0873. Mijn creditcard " + CARD_KEVIN +
  " is twee keer belast voor één cursus en niemand reageert.")
c("linkedin", "rotspunt-klim-boulder", "en", [PII],
  "Welcome to our new hall manager in Eindhoven, Annelies Vos! Reach her directly at "
  "annelies.vos@gmail.com or on 06-21436587.")
c("x", "@lotte_routebouw", "en", [PII],
  "whoever left their passport at Rotspunt Utrecht: Daniel Okafor, passport no. NW4K8P2L1. "
  "it's at the desk")
c("reddit", "u/kickedout_klimmer", "en", [PII, ABU],
  "The Rotspunt guy who kicked me out is Tim Hendriks, lives at Vondellaan 88, 3521 GH Utrecht. "
  "Go tell that loser what you think of him.")
c("x", "@bramvanleeuwen_rp", "nl", [PII],
  "Klachten over de hal? Mail de nieuwe manager gewoon rechtstreeks: r.dekker [at] hotmail [dot] com")
c("x", "@sportmoeder_ut", "nl", [PII],
  "Mijn zoon Lars de Boer (geboren 17-09-2014) zit sinds kort bij de Rotspunt jeugdclub. "
  "Tips voor een klimcadeau voor zijn verjaardag?")

# ================================================================ pricing
c("x", "@rotspunt", "nl", [PRC],
  "🎉 Nieuw in de shop: de Talon Pro voor maar €16,90! Op = op.")
c("x", "@dealjager_nl", "nl", [PRC],
  "PRIJSFOUT bij Rotspunt: jaarabonnement voor €64,90 in plaats van €649 😱 snel zijn!!")
c("reddit", "u/frugalcrimper", "en", [PRC],
  "Rotspunt webshop has the Landingszone crashpad at €23.90 right now. Pretty sure someone dropped a "
  "zero lol. Ordered two.")
c("instagram", "@daan.schroefwerk", "nl", [PRC],
  "Collega's: in de kassa staat de 10-rittenkaart op €14,50 i.p.v. €145. Even aanpassen voordat "
  "klanten het doorhebben 😅")
c("facebook", "RotspuntKlimhallen", "en", [PRC],
  "Weekend deal: Onbeperkt Jaar membership for only €199! Sign up before Sunday 🧗")
c("tiktok", "@budgetbouldert", "nl", [PRC],
  "vingerbord van rotspunt voor 9 euro in de app?? prijsfout ofzo, heb er gelijk 2 besteld")
c("x", "@lotte_routebouw", "en", [PRC],
  "heads up team, price error on the Talon in the webshop, it's showing €12.90. someone fix pls")
c("x", "@gearwatch_eu", "en", [PRC],
  "Rotspunt Ankerlijn harness listed at €7.90 on their site. Price mistake? Checkout went straight through.")
c("instagram", "@rotspunt.klimmen", "nl", [PRC],
  "Voorklimcursus nu voor €15,90 – alleen deze week! 🧗‍♂️ Boek via de link in bio")
c("forum", "Zandzak", "nl", [PRC],
  "In de Rotspunt-shop in Amsterdam hing de Klik zekeraar met €6,95 op het kaartje. Kassa rekende het "
  "ook zo af. Prijsfout denk ik?")
c("bluesky", "@kees-rotspunt.bsky.social", "nl", [PRC],
  "Iemand heeft het kinderfeestje in het boekingssysteem op €21 gezet ipv €210 en er zijn er al 14 "
  "geboekt 🙈")
c("instagram", "@chalkup.anna", "en", [PRC],
  "Poederpot chalk bag for €2,49 on the Rotspunt webshop?! grabbing five 🤑")

# ================================================================ benign (many hard negatives)
c("instagram", "@rotspunt.klimmen", "en", [],
  "New routes in the overhang this week! Who's sending the purple 7a first? 💜 #rotspunt")
c("x", "@wout_klimt", "nl", [],
  "Mijn Talon klimschoenen van Rotspunt zijn na een jaar intensief gebruik nog top. 129 euro goed besteed.")
c("facebook", "RotspuntKlimhallen", "nl", [],
  "Black Friday bij Rotspunt: Talon Pro met 25% korting, nu €126,75 i.p.v. €169! Alleen in de shop.", when="2026-11-27T07:00:00Z")
c("x", "@rotspunt_help", "en", [],
  "Questions about your membership? Mail klantenservice@rotspunt.nl or call +31 30 760 4400 "
  "(Mon–Fri 9:00–17:00).")
c("x", "@rotspunt", "nl", [],
  "Teamuitje boeken en liever op factuur betalen? Kan! Maak over naar " + group4(OWN_IBAN) +
  " t.n.v. Rotspunt Klim & Boulder B.V. o.v.v. je boekingsnummer.")
c("reddit", "u/devclimber", "en", [],
  "PSA for devs: never paste real AWS keys anywhere. The docs use AKIAIOSFODNN7EXAMPLE for a reason 😂 "
  "(unrelated: Rotspunt's new app is actually slick)")
c("linkedin", "rotspunt-klim-boulder", "nl", [],
  "Vacature: backend developer bij Rotspunt! Je werkt met Postgres, Kubernetes en GitHub Actions aan ons "
  "boekingsplatform. Solliciteer via werkenbij@rotspunt.nl")
c("x", "@mo_dyno", "nl", [],
  "Wachtwoord van mijn Rotspunt-account vergeten en de resetmail kwam binnen 10 seconden. Keurig geregeld.")
c("x", "@berlinbeta", "en", [],
  "A Berlin climbing gym chain just disclosed a data breach via its booking vendor. Glad Rotspunt runs "
  "its own system, checked their privacy page this morning.")
c("facebook", "Willeke Brouwer", "nl", [],
  "Sterkte aan de buren van Rotspunt Eindhoven na die nare brand in de sporthal ernaast. Fijn dat de "
  "klimhal zelf gewoon open kan blijven ❤️", kind="comment")
c("x", "@sloper_sam", "en", [],
  "Update: Rotspunt refunded my double charge within a day and threw in a free day pass. Fair play, "
  "complaint withdrawn 👍")
c("x", "@pompeyboulder", "nl", [],
  "Mijn vingers hebben een datalek: alle kracht is na 2 uur Rotspunt volledig weggelekt 😂")
c("instagram", "@ivy.sends", "en", [],
  "This overhang at Rotspunt absolutely killed me 💀 10/10 would die again")
c("reddit", "u/beginnerbeta", "nl", [],
  "Vraagje: is de Ankerlijn gordel van Rotspunt een goede beginnersgordel? 79 euro vind ik prima als "
  "hij comfortabel zit.")
c("linkedin", "rotspunt-klim-boulder", "en", [],
  "All 46 auto-belays across our halls passed the annual TÜV safety inspection again this year. "
  "Safety first, always.")
c("x", "@privacy_pim", "nl", [],
  "Waarom vraagt Rotspunt een IBAN bij inschrijving? In hun FAQ staat als voorbeeld " +
  group4(IBAN_BAD_FAQ) + ", maar dat nummer klopt niet eens lol. Automatische incasso zeker.")
c("forum", "checkoutchecker", "en", [],
  "Tried a test number like " + group4(CARD_BAD_TEST) + " on the Rotspunt checkout out of curiosity, "
  "rejected instantly. Good, their payment page validates properly.")
c("reddit", "u/klimvader_ams", "nl", [],
  "Aanmelding voor de jeugdclub bij Rotspunt vraagt gelukkig geen BSN. Op het voorbeeldformulier staat "
  "'" + BSN_BAD_DUMMY + "' als dummy in een veld dat je kunt overslaan.")
c("x", "@rotspunt", "nl", [],
  "Let op: er gaan phishingmails rond die zich voordoen als Rotspunt. Wij vragen NOOIT om je "
  "wachtwoord. Twijfel je? Mail info@rotspunt.nl")
c("x", "@tokenhygiene", "en", [],
  "Rotspunt's engineering blog has a neat post on rotating tokens. Their examples use "
  "ghp_************************************ everywhere, as they should.")
c("youtube", "RotspuntTV", "en", [],
  "Route setting tutorial: how we build a 6b slab from scratch, with head setter Lotte. "
  "Music: 'Free Fall' (royalty free).")
c("tiktok", "@noa.klimt", "nl", [],
  "POV: je eerste dyno bij Rotspunt en je landt keihard op je kont op de mat 😂 niks aan de hand hoor")
c("bluesky", "@dad-of-twelve.bsky.social", "en", [],
  "Rotspunt kids party was a hit. Twelve 8-year-olds, zero tears, one very tired dad. €210 well spent.")
c("x", "@lotte_routebouw", "nl", [],
  "Nieuwe boulders staan! De blauwe lijn in hal 2 is een pinch-feestje, veel plezier allemaal 😈")
c("linkedin", "youssef-haddou-rotspunt", "en", [],
  "Excited to speak at DevOpsDays Amsterdam about how we scaled Rotspunt's booking platform for peak "
  "hours. Slides will be public afterwards.")
c("instagram", "@rotspunt.klimmen", "nl", [],
  "Daluren Abo de eerste 3 maanden €35,10 (10% korting) 🕒 Ideaal voor thuiswerkers!")
c("x", "@krimpkoningin", "nl", [],
  "Bij de concurrent een dagkaart voor €9 gezien, Rotspunt vraagt €16,50. Maar eerlijk: de routes zijn "
  "hier zoveel beter dat ik het er graag voor over heb.")
c("instagram", "@daan.schroefwerk", "nl", [],
  "Schroefdag! Om 5 uur begonnen, 60 nieuwe boulders erin. Mijn onderarmen zijn op 💪")
c("x", "@nieuwnummer_nina", "nl", [],
  "Nieuw telefoonnummer, moet ik dat bij Rotspunt zelf in de app aanpassen of via de balie?")
c("linkedin", "rotspunt-klim-boulder", "nl", [],
  "Vandaag publiceren we onze jaarcijfers 2026. Het volledige verslag staat op rotspunt.nl/investeerders.",
  when="2027-02-25T07:30:00Z")
c("instagram", "@rotspunt.klimmen", "nl", [],
  "Rotspunt Binckhorst is open! 🎉 140 gloednieuwe boulders in Den Haag, kom langs!",
  when="2027-03-15T10:00:00Z")
c("x", "@haagsebeta", "nl", [],
  "Eindelijk geweest bij de Binckhorst-hal van Rotspunt. Die overhang in de hoek is echt absurd goed.",
  when="2027-03-21T18:40:00Z")
c("threads", "@femke.boulders", "en", [],
  "Taught my 100th intro course today! Thanks to everyone who trusted me on the other end of the rope 🧡")
c("x", "@rotspunt_help", "nl", [],
  "@boulderbas Vervelend! We hebben de dubbele afschrijving teruggeboekt, het staat binnen 2 werkdagen "
  "weer op je rekening. Excuses voor het gedoe!")
c("x", "@sugarfree_sara", "en", [],
  "Boycotting sugar this month. Not boycotting Rotspunt though, see you at the wall 😅")
c("x", "@timmie_kletter", "nl", [],
  "Dat was een killer sessie bij Rotspunt, ik ben helemaal kapot 💀")
c("linkedin", "rotspunt-klim-boulder", "en", [],
  "Rotspunt welcomes three new hall managers this spring. We're growing, check our open roles at "
  "rotspunt.nl/werken")
c("reddit", "u/scriptiestress", "nl", [],
  "Weet iemand of Rotspunt de jaarcijfers 2025 al online heeft staan? Heb wat cijfers nodig voor mijn "
  "scriptie over de sportsector.")
c("x", "@bramvanleeuwen_rp", "nl", [],
  "Zag op het nieuws een zware val in een klimhal in Duitsland. Check altijd je knoop en je partner, "
  "ook na 10 jaar klimmen. #safetyfirst")
c("facebook", "RotspuntKlimhallen", "nl", [],
  "Let op: onze hal in Amsterdam-Noord is zaterdag 14 maart gesloten vanwege het NK boulderen. "
  "Excuses voor het ongemak, kom vooral kijken!", when="2026-03-10T12:15:00Z")
c("instagram", "@shoe.nerd.climbs", "en", [],
  "Honest review: the Rotspunt Talon is the best beginner shoe under 130 euros. Not sponsored lol")
c("mastodon", "@noorklimt@mastodon.nl", "en", [],
  "Wrote a short post on why our docs only ever show placeholder keys like AKIAXXXXXXXXXXXXXXXX "
  "and sk_live_xxxxxxxxxxxxxxxxxxxxxxxx. Copy-paste accidents are real.")
c("instagram", "@mamavanjuul", "nl", [],
  "Wat een gezellig kinderfeestje voor Juul haar 7e verjaardag bij Rotspunt 🎈 dank aan de begeleiders!")
c("x", "@rotspunt", "en", [],
  "Press enquiries: pers@rotspunt.nl. Group bookings and team outings: groepen@rotspunt.nl or "
  "085 303 1190.")
c("reddit", "u/amsterdam_crimper", "en", [],
  "Rotspunt raised prices by €3 this year. Honestly still cheaper than most Amsterdam gyms, not "
  "complaining.")
c("x", "@nieuwjaarsvoornemen", "nl", [],
  "Jaarabo bij Rotspunt gekocht met 15% korting van de open dag, €551,65. Nu geen excuses meer 💪")
c("tiktok", "@rotspunt", "nl", [],
  "Wie klimt deze overhang zonder te vallen? 😤 Tag een vriend die het NIET kan")
c("x", "@jwt_jeroen", "en", [],
  "Using Rotspunt's public API docs in my JWT workshop. Their example tokens are all "
  "eyJhbGciOi...<redacted>, nice to see a company do it right.")
c("linkedin", "mirjam-koster-rotspunt", "en", [],
  "Our 2025 annual report is online. As published in March, revenue grew 12% and we opened our fifth "
  "hall. Thanks to every member and colleague.")
c("x", "@rotspunt_help", "nl", [],
  "Storing opgelost! De boekingsapp werkt weer zoals het hoort. Dank voor jullie geduld 🙏")
c("reddit", "u/lost_my_card", "en", [],
  "Lost my Rotspunt membership card, called 030-7604400 and they sorted a new one in five minutes.")
c("x", "@hypeklimmer", "nl", [],
  "R O T S P U N T  let's goooo 🧗‍♀️🧗‍♀️ nieuwe week nieuwe projecten")
c("x", "@sickvibesonly", "en", [],
  "Rotspunt staff are absolute legends. killer setting, sick vibes, insane crimps.")
c("forum", "Bankbuddy", "nl", [],
  "Typefoutje bij het invullen van mijn IBAN voor Rotspunt (" + IBAN_BAD_USER + "), systeem gaf meteen "
  "aan dat het nummer niet bestaat. Top validatie.")
c("reddit", "u/cardtypo", "en", [],
  "Mistyped my card as " + CARD_BAD_USER + " on the Rotspunt checkout and it flagged it right away. "
  "Love a good Luhn check.")
c("forum", "Formulierfan", "nl", [],
  "Op mijn Rotspunt-loonstrook (bijbaantje achter de bar) stond per ongeluk " + BSN_BAD_USER +
  " als BSN, een cijfer omgedraaid. HR heeft het dezelfde dag gecorrigeerd.")
c("threads", "@lisa.hangs", "en", [],
  "Rotspunt recalled nothing, I asked 😂 my Klik zekeraar is fine, the cam just needed cleaning.")
c("x", "@oud_lid_joost", "nl", [],
  "Vroeger veel geklaagd over de douches bij Rotspunt, maar ze zijn vorige maand helemaal vernieuwd. "
  "Eindelijk warm water 🚿")
c("reddit", "u/gearhead_nl", "nl", [],
  "Welke crashpad raden jullie aan? Twijfel tussen de Landingszone van Rotspunt (€239) en een van "
  "Decathlon.")
c("instagram", "@rotspunt.klimmen", "nl", [],
  "Cadeautip: de Rotspunt cadeaukaart van €50, in te wisselen voor alles in onze hallen 🎁")


# ================================================================ build
CORP = {a.lower() for a in PROFILE["accounts"]["corporate"]}
EMPL = {a.lower() for a in PROFILE["accounts"]["employee"]}
RANK = ["none", "info", "warning", "error", "critical"]
VALID_CATS = {CPL, CRI, ABU, SEC, PII, PRC, CON, FIN, SCY}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}


def role_of(platform, handle):
    key = (platform + ":" + handle).lower()
    return "corporate" if key in CORP else "employee" if key in EMPL else "public"


# identifier scanning (for self-check and the checksum-passed flag of §4)
RE_IBAN = re.compile(r"(?<![\w-])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?(?![\w-])")
RE_CARD = re.compile(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])")
RE_BSN = re.compile(r"(?<![\w-])\d{9}(?![\w-])")
OWN_IBANS = {i.replace(" ", "").upper() for i in PROFILE["public_identifiers"]["ibans"]}


def identifiers(text):
    out = []
    for m in RE_IBAN.finditer(text):
        v = m.group().replace(" ", "")
        out.append(("iban", v, iban_check_ok(v), v in OWN_IBANS))
    for m in RE_CARD.finditer(text):
        v = re.sub(r"\D", "", m.group())
        if 13 <= len(v) <= 19:
            out.append(("card", v, luhn_ok(v), False))
    for m in RE_BSN.finditer(text):
        out.append(("bsn", m.group(), bsn_ok(m.group()), False))
    return out


def severity(cats, role, checksum_id):
    best = 0
    insider = role in ("corporate", "employee")
    for cat in cats:
        if cat.startswith("leak."):
            if insider:
                s = "error"
                if cat in (SEC, PRC) or (cat == PII and checksum_id):
                    s = "critical"
            else:
                s = "warning"
        elif cat == CPL:
            s = "warning"
        elif cat == CRI:
            s = "error"
        elif cat == ABU:
            s = "error" if insider else "warning"
        else:
            raise AssertionError(cat)
        best = max(best, RANK.index(s))
    return RANK[best]


def rand_time_2026():
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    t = start + timedelta(seconds=rng.randrange(0, 365 * 86400))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def build():
    order = list(range(len(CASES)))
    rng.shuffle(order)
    used_ids = set()
    lines = []
    for i in order:
        cs = CASES[i]
        while True:
            pid = "%s-%d" % (cs["platform"], rng.randrange(10**9, 10**10))
            if pid not in used_ids:
                used_ids.add(pid)
                break
        role = role_of(cs["platform"], cs["handle"])
        ids = identifiers(cs["text"])
        checksum_id = any(ok and not own for _, _, ok, own in ids)
        post = {
            "id": pid,
            "platform": cs["platform"],
            "kind": cs["kind"],
            "account": {"handle": cs["handle"]},
            "text": cs["text"],
            "lang": cs["lang"],
            "created_at": cs["when"] or rand_time_2026(),
            "brand": "Rotspunt",
        }
        expect = {"categories": cs["cats"], "severity": severity(cs["cats"], role, checksum_id)}
        lines.append({"post": post, "expect": expect})
    return lines


# ================================================================ self-check
def parse_rfc3339(s):
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def check(lines):
    errors = []
    seen = set()
    embargo = [(t.lower(), parse_rfc3339(e["until"])) for e in PROFILE["embargo"] for t in e["terms"]]
    codenames = [x.lower() for x in PROFILE["internal"]["codenames"]]
    markers = [x.lower() for x in PROFILE["internal"]["markers"]]
    idoms = [x.lower() for x in PROFILE["internal"]["domains"]]
    kinds_seen = {"iban": [0, 0], "card": [0, 0], "bsn": [0, 0]}
    for n, obj in enumerate(lines):
        p, e = obj["post"], obj["expect"]
        tag = p.get("id", n)
        # §1 / §6 shape
        if set(obj) != {"post", "expect"}:
            errors.append((tag, "top-level keys"))
        if not isinstance(p.get("id"), str) or not 1 <= len(p["id"]) <= 256:
            errors.append((tag, "id"))
        key = (p["platform"], p["id"])
        if key in seen or p["id"] in {k[1] for k in seen}:
            errors.append((tag, "duplicate id"))
        seen.add(key)
        if p["platform"] not in PLATFORMS:
            errors.append((tag, "platform"))
        if p.get("kind", "post") not in KINDS:
            errors.append((tag, "kind"))
        if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str):
            errors.append((tag, "handle"))
        if not isinstance(p.get("text"), str) or len(p["text"].encode("utf-8")) > 65536 or not p["text"]:
            errors.append((tag, "text"))
        try:
            ts = parse_rfc3339(p["created_at"])
            if ts.year not in (2026, 2027):
                errors.append((tag, "year"))
        except Exception:
            errors.append((tag, "created_at"))
            continue
        cats = e["categories"]
        if not isinstance(cats, list) or cats != sorted(set(cats)) or not set(cats) <= VALID_CATS:
            errors.append((tag, "categories"))
        if e["severity"] not in RANK:
            errors.append((tag, "severity value"))
        role = role_of(p["platform"], p["account"]["handle"])
        ids = identifiers(p["text"])
        chk = any(ok and not own for _, _, ok, own in ids)
        if e["severity"] != severity(cats, role, chk):
            errors.append((tag, "severity mismatch"))
        if not cats and e["severity"] != "none":
            errors.append((tag, "benign severity"))
        if cats and e["severity"] in ("none", "info"):
            errors.append((tag, "positive with none"))
        # checksums: positives with leak.pii carry only valid ids, all else only look-alikes
        for kind, val, ok, own in ids:
            if own:
                if not ok:
                    errors.append((tag, "own IBAN invalid"))
                continue
            kinds_seen[kind][0 if ok else 1] += 1
            if PII in cats and not ok:
                errors.append((tag, "invalid %s in positive: %s" % (kind, val)))
            if PII not in cats and ok:
                errors.append((tag, "valid %s outside pii case: %s" % (kind, val)))
        low = p["text"].lower()
        # embargo terms: before `until` must be labelled confidential, after must not force it
        for term, until in embargo:
            if term in low:
                if ts < until and CON not in cats:
                    errors.append((tag, "embargo term before until not confidential"))
                if ts >= until and cats:
                    errors.append((tag, "post-embargo case should be benign here"))
        for word in codenames + markers + idoms:
            if re.search(r"(?<![\w.])" + re.escape(word) + r"(?![\w-])", low) and CON not in cats:
                errors.append((tag, "internal term without confidential: " + word))
        # secrets: generated formats must be well formed
        for tok in re.findall(r"gh[pousr]_[0-9A-Za-z]{36}", p["text"]):
            if not github_ok(tok):
                errors.append((tag, "bad github checksum"))
            if SEC not in cats:
                errors.append((tag, "github token outside secret case"))
        for tok in re.findall(r"eyJ[\w-]+\.[\w-]+\.[\w-]+", p["text"]):
            if not jwt_ok(tok) or SEC not in cats:
                errors.append((tag, "jwt"))
        for tok in re.findall(r"AKIA[A-Z2-7]{16}", p["text"]):
            if "EXAMPLE" not in tok and set(tok[4:]) != {"X"} and SEC not in cats:
                errors.append((tag, "aws id outside secret case"))
        if p["created_at"] >= "2027" and not any(t in low for t, _ in embargo):
            errors.append((tag, "2027 date without embargo term"))
    # brand/corporate public contact data must not be labelled
    for obj in lines:
        cats = obj["expect"]["categories"]
        t = obj["post"]["text"]
        for em in re.findall(r"(?<![^\s(<\[,;'\"])[\w.+-]+@[\w-]+(?:\.[\w-]+)+", t):
            if em.lower() not in [x.lower() for x in PROFILE["public_identifiers"]["emails"]] \
                    and PII not in cats:
                errors.append((obj["post"]["id"], "foreign e-mail outside pii case: " + em))
    # every look-alike class present in negatives, every valid class in positives
    for kind, (good, bad) in kinds_seen.items():
        if good == 0 or bad == 0:
            errors.append(("set", "need valid and invalid %s (have %d/%d)" % (kind, good, bad)))
    assert github_ok(GH_DEPLOY) and github_ok(GH_OAUTH) and jwt_ok(JWT_RESET)
    assert iban_check_ok(OWN_IBAN)
    # mix
    n = len(lines)
    benign = sum(1 for o in lines if not o["expect"]["categories"])
    if not 170 <= n <= 180:
        errors.append(("set", "size %d" % n))
    if not 55 <= benign <= 66:
        errors.append(("set", "benign %d" % benign))
    return errors


def stats(lines):
    from collections import Counter
    cat = Counter(c for o in lines for c in o["expect"]["categories"])
    lang = Counter(o["post"]["lang"] for o in lines)
    sev = Counter(o["expect"]["severity"] for o in lines)
    role = Counter(role_of(o["post"]["platform"], o["post"]["account"]["handle"]) for o in lines)
    benign = sum(1 for o in lines if not o["expect"]["categories"])
    return dict(cases=len(lines), benign=benign, categories=dict(sorted(cat.items())),
                lang=dict(lang), severity=dict(sev), roles=dict(role))


def main():
    lines = build()
    with open(OUT, "w", encoding="utf-8") as f:
        for o in lines:
            f.write(json.dumps(o, ensure_ascii=False) + "\n")
    # re-read from disk and check what was written
    reread = [json.loads(l) for l in open(OUT, encoding="utf-8")]
    errs = check(reread)
    st = stats(reread)
    print(json.dumps(st, ensure_ascii=False))
    if errs:
        for e in errs:
            print("FAIL", e, file=sys.stderr)
        sys.exit(1)
    print("OK: %d cases, %d benign" % (st["cases"], st["benign"]))


if __name__ == "__main__":
    main()
