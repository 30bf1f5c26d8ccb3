#!/usr/bin/env python3
"""Build the sealed evaluation set 263 (Bytebrug Academy, coding bootcamps / IT retraining).

Deterministic: a fixed seed drives every random value (dates, generated IBANs, cards,
BSNs and credentials). Writes cases.jsonl next to this file and then checks it:
CONTRACT section 6 shape, severities recomputed from the profile roles (section 4),
checksums of every IBAN / card / BSN, credential formats, embargo windows, prices.
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
SEED = 263_2026
rng = random.Random(SEED)

PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))

# --------------------------------------------------------------------------- checksums
def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", s):
        return False
    r = s[4:] + s[:4]
    n = "".join(str(int(c, 36)) for c in r)
    return int(n) % 97 == 1


def luhn_ok(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    if not 12 <= len(d) <= 19:
        return False
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
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


# --------------------------------------------------------------------------- generators
ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base-62 order
B32 = string.ascii_uppercase + "234567"


def rnd(n, alphabet=ALNUM):
    return "".join(rng.choice(alphabet) for _ in range(n))


def nl_iban(valid=True, spaced=False):
    bank = rng.choice(["ABNA", "INGB", "RABO", "SNSB", "TRIO", "ASNB", "KNAB", "BUNQ"])
    acct = rnd(10, string.digits)
    num = "".join(str(int(c, 36)) for c in bank + acct + "NL00")
    cc = "%02d" % (98 - int(num) % 97)
    iban = "NL" + cc + bank + acct
    assert iban_ok(iban)
    if not valid:
        pos = 8 + rng.randrange(10)
        old = iban[pos]
        new = rng.choice([c for c in string.digits if c != old])
        iban = iban[:pos] + new + iban[pos + 1:]
        assert not iban_ok(iban)
    if spaced:
        iban = " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))
    return iban


def card(valid=True, sep=" "):
    prefix = rng.choice(["4", "4", "51", "52", "55"])
    body = prefix + rnd(15 - len(prefix), string.digits)
    for chk in string.digits:
        if luhn_ok(body + chk):
            num = body + chk
            break
    if not valid:
        num = num[:-1] + str((int(num[-1]) + rng.randint(1, 9)) % 10)
        assert not luhn_ok(num)
    return sep.join(num[i:i + 4] for i in range(0, 16, 4))


def bsn(valid=True, dotted=False):
    while True:
        d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        last = sum(d[i] * (9 - i) for i in range(8)) % 11
        if last < 10:
            break
    d.append(last)
    s = "".join(map(str, d))
    assert bsn_ok(s)
    if not valid:
        s = s[:-1] + str((last + rng.choice([1, 2, 3])) % 10)
        if bsn_ok(s):  # cannot happen for a shift of 1..3 mod 10 unless wrap; be safe
            s = s[:-1] + str((last + 5) % 10)
        assert not bsn_ok(s)
    if dotted:
        s = s[:3] + "." + s[3:6] + "." + s[6:]
    return s


def b62(n, width=6):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out.rjust(width, "0")


def github_token(prefix="ghp_"):
    body = rnd(30)
    return prefix + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF)


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt():
    header = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = b64u(json.dumps({"sub": "stu_%d" % rng.randint(10000, 99999), "role": "coach",
                               "iss": "leren.bytebrug.nl", "iat": 1781000000 + rng.randint(0, 9999999),
                               "exp": 1799000000}, separators=(",", ":")).encode())
    sig = b64u(bytes(rng.getrandbits(8) for _ in range(32)))
    return header + "." + payload + "." + sig


def openssh_key_body():
    raw = b"openssh-key-v1\x00" + bytes(rng.getrandbits(8) for _ in range(330))
    b = base64.b64encode(raw).decode()
    return "\n".join(b[i:i + 70] for i in range(0, len(b), 70))


URLSAFE = ALNUM + "_-"
GEN = {
    "IBAN_OK": lambda: nl_iban(True),
    "IBAN_OK_SP": lambda: nl_iban(True, spaced=True),
    "IBAN_BAD": lambda: nl_iban(False),
    "IBAN_BAD_SP": lambda: nl_iban(False, spaced=True),
    "CARD_OK": lambda: card(True, " "),
    "CARD_OK_DASH": lambda: card(True, "-"),
    "CARD_BAD": lambda: card(False, " "),
    "BSN_OK": lambda: bsn(True),
    "BSN_OK_DOT": lambda: bsn(True, dotted=True),
    "BSN_BAD": lambda: bsn(False),
    "COMPANY_IBAN": lambda: "NL76 RABO 0312 4588 70",
    "GHP": lambda: github_token("ghp_"),
    "GHO": lambda: github_token("gho_"),
    "AKIA": lambda: "AKIA" + rnd(16, B32),
    "AWS_SECRET": lambda: rnd(40, ALNUM + "/+"),
    "STRIPE": lambda: "sk_live_51" + rnd(12) + rnd(46),
    "SLACK_BOT": lambda: "xoxb-%s-%s-%s" % (rnd(12, string.digits), rnd(13, string.digits), rnd(24)),
    "SLACK_HOOK": lambda: "https://hooks.slack.com/services/T%s/B%s/%s" % (
        rnd(10, string.ascii_uppercase + string.digits), rnd(10, string.ascii_uppercase + string.digits), rnd(24)),
    "OPENAI": lambda: "sk-proj-" + rnd(44, URLSAFE) + "T3BlbkFJ" + rnd(44, URLSAFE),
    "ANTHROPIC": lambda: "sk-ant-api03-" + rnd(93, URLSAFE) + "AA",
    "GOOGLE": lambda: "AIza" + rnd(35, URLSAFE),
    "GLPAT": lambda: "glpat-" + rnd(20, URLSAFE),
    "JWT": jwt,
    "OPENSSH_BODY": openssh_key_body,
    "PW": lambda: rnd(5, string.ascii_letters) + rnd(3, string.digits) + rng.choice("!*") + rnd(5, ALNUM),
}


def fill(text):
    return re.sub(r"<<([A-Z0-9_]+)>>", lambda m: GEN[m.group(1)](), text)


# --------------------------------------------------------------------------- cases
CO, CR, AB = "reputation.complaint", "reputation.crisis", "reputation.abuse"
PII, SEC, SECR = "leak.pii", "leak.secret", "leak.security"
CONF, FIN, PRICE = "leak.confidential", "leak.financial", "leak.pricing"

CASES = []


def add(lang, platform, handle, cats, text, kind="post", when=None, name=None, price=None, brand=None):
    CASES.append(dict(lang=lang, platform=platform, handle=handle, cats=cats, text=text,
                      kind=kind, when=when, name=name, price=price, brand=brand))


# ---- complaints ------------------------------------------------------------------
add("nl", "x", "@rickvdmeer", [CO],
    "3 weken geen feedback op m'n eindopdracht bij @bytebrug. Coach reageert niet op slack, mail naar "
    "studentenzaken komt terug met 'we kijken ernaar'. Ik betaal hier bijna 8k voor hoor")
add("en", "reddit", "u/careerchanger_88", [CO],
    "Anyone else in the Bytebrug Data Analytics Bootcamp feel like the curriculum is ~3 years out of date? "
    "We spent an entire week on pivot tables in Excel. I was promised Python and SQL, not VLOOKUP drills.")
add("nl", "facebook", "Marieke Koster", [CO],
    "Vorige week les geannuleerd, deze week wéér. 'Docent ziek'. Prima, kan gebeuren, maar dan wil ik dat "
    "het ingehaald wordt en niet een opname uit 2024 toegestuurd krijgen 🙄 #bytebrug", kind="comment")
add("en", "x", "@tobi_learns", [CO],
    "@bytebrug_help it's been 41 days since I finished the Cloud Engineer Traject and still no certificate. "
    "my new employer keeps asking for it. what is going on??", kind="reply")
add("nl", "x", "@sandr4_b", [CO],
    "leren.bytebrug.nl ligt er wéér uit precies tijdens de deadline. en dan krijg ik een 'te laat ingeleverd' "
    "op m'n opdracht. serieus?? 😡")
add("en", "linkedin", "james-okafor-dev", [CO],
    "I've hesitated to write this, but here goes. I joined Bytebrug because of the 'job guarantee'. After "
    "graduating I found out it only applies if you apply to 15 jobs a week, accept any offer within 150 km "
    "and never miss a coaching call. Nobody mentioned that at intake. I'm not angry at the coaches, they "
    "were great, but the way this is sold is not OK. I'd like my money back.")
add("nl", "instagram", "@femke.codeert", [CO],
    "Zit nu al 25 min in de wacht bij jullie klantenservice 😤 kan iemand gewoon m'n mail over de "
    "terugbetaling beantwoorden?", kind="comment")
add("en", "youtube", "@NightOwlDev", [CO],
    "bought the JS Fundamentals course because of this video. half the exercises link to 404 pages and "
    "the 'mentor' never replied once. not great tbh", kind="comment")
add("nl", "reddit", "u/omscholer_ap", [CO],
    "Ervaring met Herstart IT van Bytebrug via mijn werkgever: klas van 34 man, 1 coach. Je komt gewoon niet "
    "aan de beurt met vragen. Na 6 weken voel ik me nog steeds aan m'n lot overgelaten. Zonde van het geld.")
add("en", "mastodon", "@kim@fosstodon.org", [CO],
    "Bytebrug charged me twice for the DevOps Masterclass and now says the refund 'takes up to 60 working "
    "days'. Sixty. Working. Days.")
add("nl", "tiktok", "@jaydn.xo", [CO],
    "die 'career coaching' van bytebrug = 1 cv-template en een linkje naar indeed lol. 650 euro 💀",
    kind="comment", price=("BB-CAREER", 650))
add("nl", "x", "@hannah_schrijft_code", [CO],
    "Voor de 3e keer verzet mijn Bytebrug-coach ons 1-op-1 gesprek een uur van tevoren. Heb er nota bene "
    "een vrije dag voor opgenomen. @bytebrug_help regel dit nou eens")
# complaint + abuse
add("nl", "x", "@woedende_wim", [CO, AB],
    "Wat een k.u.t.b.e.d.r.i.j.f is Bytebrug. Geld aangenomen, bootcamp 'uitgesteld' en nu reageren ze "
    "nergens meer op. Stelletje oplichters, ik hoop dat jullie failliet gaan")
add("en", "reddit", "u/throwaway_ux_2026", [CO, AB],
    "Bytebrug admissions guy is a useless fucking clown. Told me the UX Bootcamp starts in March, I paid "
    "the deposit, now it's 'September at the earliest'. Zero apology.", kind="comment")
# complaint + pii (customer exposes own IBAN)
add("nl", "x", "@robinbakker_", [CO, PII],
    "@bytebrug_help al 3x gemaild. Storten jullie die €450 nou terug of niet? Rekening is "
    "<<IBAN_OK_SP>> t.n.v. R. Bakker, dan hoeven jullie niet meer te zoeken", kind="reply")

# ---- crisis + complaint: first-hand harm by product / service ---------------------
add("nl", "x", "@noor_vd_pol", [CR, CO],
    "De oplader van mijn Bytebrug studielaptop is vannacht gaan smeulen naast m'n bed. Zwarte plek op het "
    "bureau, kamer stonk naar verbrand plastic. Had net zo goed brand kunnen zijn 😳 @bytebrug wat is dit??")
add("en", "reddit", "u/sparky_student", [CR, CO],
    "PSA: my Bytebrug Focus Headset gave me an actual electric shock through the ear cup while it was plugged "
    "into the loaner laptop. Ear was ringing for an hour. Support says they 'cannot reproduce'. Be careful.")
add("nl", "facebook", "Gerrit-Jan Hulst", [CR, CO],
    "Na de hackathon op de Bytebrug campus in Utrecht lagen ik en minstens 6 anderen twee dagen ziek op bed. "
    "Voedselvergiftiging van de catering, dat zei de huisarts ook. Geen excuses, geen telefoontje, niks.")
add("en", "x", "@priyanka_m", [CR, CO],
    "the battery in my bytebrug studielaptop swelled up so much it cracked the case and I burned my fingers "
    "getting it out. spent my evening at the ER with a burn on my hand. thanks @bytebrug")
add("nl", "instagram", "@daan.lerrt", [CR, CO],
    "Bij jullie in Rotterdam viel gisteren tijdens de les een plafondplaat naar beneden, recht op mijn "
    "schouder. Blauwe plek en de hele avond hoofdpijn. Wie gaat dit vergoeden?", kind="comment")

# ---- crisis -------------------------------------------------------------------------
add("nl", "x", "@eindhovense_ellen", [CR],
    "Via een vriendin gehoord: bij Bytebrug in Eindhoven is vorige week een studielaptop spontaan in brand "
    "gevlogen in een klaslokaal. Brandweer kwam erbij. Iemand anders hier iets over gehoord?")
add("en", "x", "@breachwatch_eu", [CR],
    "Bytebrug student database up for sale on a breach forum? Screenshot shows names, emails and "
    "payment status of what looks like thousands of students. If real, this is big. #databreach #infosec")
add("nl", "linkedin", "marco-terpstra", [CR],
    "Ik roep iedereen op: boycot Bytebrug. Ze adverteren met '92% aan een baan' maar dat cijfer is nergens "
    "op gebaseerd, ik ken zelf 5 mensen uit mijn klas die na een jaar nog zoeken. Deel dit. #boycotbytebrug")
add("en", "forum", "bootcamp_watchdog", [CR],
    "A law firm is preparing a class action against Bytebrug Academy over misleading job placement claims. "
    "I spoke to one of the lawyers; 40+ former students have signed up so far.")
add("nl", "x", "@techbericht", [CR],
    "Consumentenbond: Bytebrug misleidt cursisten met 'gegarandeerde' IT-baan. ACM start onderzoek naar de "
    "reclames van de bootcampaanbieder.")
add("en", "x", "@bytebrug", [CR],
    "Safety notice: we are recalling all Bytebrug Focus Headsets handed out between March and June 2026 "
    "after reports of electric shocks. Please stop using yours immediately; we'll send a replacement.")
add("nl", "tiktok", "@zaraspeaks", [CR],
    "STORYTIME: coach bij Bytebrug maakt racistische opmerkingen tegen een klasgenoot van me en de directie "
    "doet er NIKS mee. dit moet viral 🤬 #bytebrug #schandaal")
add("en", "reddit", "u/legal_eagle_nl", [CR],
    "Bytebrug is being sued by a former coach for years of unpaid overtime. Hearing is next month at the "
    "Utrecht court, the filing is public.")
add("nl", "x", "@amsterdamsemaud", [CR],
    "Hoorde van m'n neef dat bij Bytebrug Amsterdam iemand flauwviel van de hitte in het lokaal, ambulance "
    "moest komen. De airco is daar blijkbaar al sinds mei kapot.")
add("en", "mastodon", "@svenh@infosec.exchange", [CR],
    "So Bytebrug has their complete student list in a public Google Sheet? Found it with a simple search. "
    "Emailed pers@ an hour ago, nothing. Somebody at the Autoriteit Persoonsgegevens should look at this.")

# ---- abuse --------------------------------------------------------------------------
add("nl", "x", "@lars_xd", [AB],
    "@lisa_codecoach je bent echt de slechtste docent die ik ooit heb gehad, dom wijf", kind="reply")
add("en", "x", "@anon_rage_dev", [AB],
    "bytebrug coaches are a bunch of t a l e n t l e s s i.d.i.o.t.s who couldn't land a real dev job lmao")
add("nl", "x", "@devdaan", [AB],
    "hou toch eens je bek, mongool. niemand vroeg om jouw mening", kind="reply")
add("en", "x", "@bytebrug_help", [AB],
    "Honestly, if you can't follow a simple tutorial maybe coding just isn't for you, genius. Go cry "
    "somewhere else.", kind="reply")
add("nl", "instagram", "@echte_hollander_88", [AB],
    "die coach met die hoofddoek moet gewoon terug naar haar eigen land ipv hier les te geven",
    kind="comment")
add("nl", "x", "@b1tb0y", [AB],
    "byt3brug c0aches zijn allemaal k4nk3rl1ijers, geen uitzondering")
add("nl", "x", "@tyfusdag", [AB],
    "Ｂｙｔｅｂｒｕｇ　ｉｓ　ｅｅｎ　ｔｙｆｕｓｂｅｄｒｉｊｆ　ｅｎ　ｊｕｌｌｉｅ　ｃｏａｃｈｅｓ　ｚｉｊｎ　ｓｕｋｋｅｌｓ")
add("en", "reddit", "u/burned_applicant", [AB],
    "Tim from Bytebrug admissions is a slimy lying piece of shit, don't believe a word he says",
    kind="comment")
add("nl", "threads", "@kees.bytebrug", [AB],
    "Die nieuwe concurrent van ons in Utrecht? Stelletje prutsers en kutverkopers, echt lachwekkend 🤡")
# abuse + pii (doxxing a coach)
add("nl", "x", "@wraakengel_", [AB, PII],
    "Die arrogante coach Sophie Hendriks woont gewoon op de Biltstraat 212, 3572 BN Utrecht. Ga maar eens "
    "langs bij die trut.")

# ---- personal data ------------------------------------------------------------------
add("en", "bluesky", "@annekedev.bsky.social", [PII],
    "Can anyone reach our student Jasper Vos? His phone 06-48213957 goes straight to voicemail and "
    "jasper.vos88@gmail.com bounces. Need him for his exam retake on Friday!")
add("nl", "x", "@bytebrug_help", [PII],
    "Hoi Fenna, we hebben je terugbetaling klaargezet naar <<IBAN_OK>> (F. de Graaf). Binnen 5 werkdagen "
    "staat het op je rekening! 💙", kind="reply")
add("en", "linkedin", "priya-raghunathan-bb", [PII],
    "Shoutout to cohort 14 🎉 Special mention for Noor El Idrissi, who turns 27 today (born 14 March 1999) "
    "and just accepted her first data engineering job. Happy birthday Noor!")
add("nl", "x", "@lottedb_", [PII],
    "Betaling voor de Python Basis lukt niet?? kaart <<CARD_OK>> exp 09/28 wordt steeds geweigerd "
    "@bytebrug_help wat moet ik doen", kind="reply")
add("nl", "x", "@mehmet_bb", [PII],
    "test record in prod laten staan oeps 🙈 naam Kevin Smit, BSN <<BSN_OK>>, Lange Nieuwstraat 9 "
    "Amersfoort. ruim ik morgen op")
add("en", "reddit", "u/bb_admissions_tim", [PII],
    "If anyone sees Sarah Lindqvist from the February cohort, tell her to call me back on +31 6 2741 9038 "
    "or check s.lindqvist@outlook.com — her UWV paperwork is stuck.", kind="comment")
add("nl", "facebook", "BytebrugAcademy", [PII],
    "Gefeliciteerd aan de winnaar van onze zomeractie: Bram Hoekstra, Rijnstraat 44, 6811 EZ Arnhem! Je "
    "pakket met Bytebrug goodies is onderweg 🎉")
add("en", "x", "@kofi_builds", [PII],
    "Just transferred the deposit for the Flutter Bootcamp from <<IBAN_OK>>, ref BB-2026-3381. "
    "@bytebrug_help can you confirm it arrived? thanks!")
add("nl", "instagram", "@sophie.teaches.code", [PII],
    "Mijn student van de week 💛 Jamila Bouzid (geb. 24-07-2001) heeft net haar eerste baan als junior "
    "developer binnen! Zo trots op je meid")
add("en", "mastodon", "@ruudk@mastodon.nl", [PII],
    "another customer pasted their full card number into the support chat: <<CARD_OK_DASH>>. people, "
    "please, never do this 🤦")
add("nl", "x", "@mo_zoekt", [PII],
    "Zoek contact met m'n oud-klasgenoot van Bytebrug, Lars Meijer, geboren 02-11-1995 in Zwolle. Laatst "
    "bekende nummer 0612 845 370. Wie kent hem?")
add("en", "linkedin", "omscholingslab", [PII],
    "Employers in logistics: our partner contact Ingrid Smeets handles all Herstart IT intakes. Reach her "
    "directly at ingrid.smeets@vandermolen-logistiek.nl or 06 19 28 37 46.")
add("nl", "x", "@lisa_codecoach", [PII],
    "Wie heeft z'n ID-kaart laten liggen in lokaal 3? Naam D. Pranoto, BSN <<BSN_OK_DOT>> staat erop. "
    "Kun je ophalen bij de balie!")

# ---- confidential -------------------------------------------------------------------
add("en", "x", "@mehmet_bb", [CONF],
    "migrating every cohort to B\u0430silisk this weekend, wish me luck 😅☕")
add("nl", "linkedin", "priya-raghunathan-bb", [CONF],
    "Spannend: we bouwen aan een compleet nieuw AI-engineer traject, start gepland voor volgend voorjaar. "
    "Meer mag ik nog niet zeggen 🤫", when="2026-10-14T10:22:00Z")
add("en", "bluesky", "@annekedev.bsky.social", [CONF],
    "new onboarding handbook just landed, header says 'staff only - bytebrug' but honestly the refund "
    "section is wild: we can refuse refunds from week 2 onwards even if the student never got access")
add("en", "reddit", "u/nosy_neighbour_nl", [CONF],
    "friend who works at Bytebrug showed me the Project Lori\u200bkeet deck last night. not saying more, "
    "but big things coming 👀", kind="comment")
add("nl", "x", "@devdaan", [CONF],
    "Nieuwe collega's 👋 de VPN-instructies staan op intra.bytebrug.local/wiki/onboarding, even doorlezen "
    "voor maandag")
add("nl", "instagram", "@bytebrug.academy", [CONF],
    "Sneak peek 👀 van ons nieuwe leerplatform, codenaam Basilisk! Binnenkort voor alle studenten 🚀")
add("nl", "threads", "@kees.bytebrug", [CONF],
    "Klanten vragen me al naar het AI Engineer Track 😏 mag er nog niks over zeggen maar hou 2 maart je "
    "mailbox in de gaten", when="2027-01-15T16:40:00Z")
add("en", "reddit", "u/drive_link_finder", [CONF],
    "Found this via a shared drive link: 'BYTEBRUG INTERN – Prijsstrategie 2027'. Apparently they plan to "
    "raise every bootcamp by 15% in January.")
add("nl", "mastodon", "@ruudk@mastodon.nl", [CONF],
    "als iemand weet waarom lms-admin.bytebrug.nl/reports op maandagochtend zo traag is hoor ik het graag, "
    "ik word er gek van")
add("en", "x", "@lisa_codecoach", [CONF],
    "Who else is on the Project Lorikeet call at 3? my slides won't load lol")
add("nl", "linkedin", "bytebrug-academy", [CONF],
    "Vacature: Senior coach Cloud (32-40u). [bytebrug intern: salarisband €3.200–€3.900, niet in de "
    "vacaturetekst zetten] Reageer via werkenbij@bytebrug.nl")
# confidential + financial
add("nl", "linkedin", "joost-van-leeuwen-bytebrug", [CONF, FIN],
    "Trots op het team: de jaarresultaten 2026 komen uit op €23,4 mln omzet, +18% ten opzichte van vorig "
    "jaar. Officiële publicatie volgt binnenkort!", when="2027-01-20T08:05:00Z")
add("en", "x", "@devdaan", [CONF, FIN],
    "heard Operatie Zandloper means 40 people in ops and coaching get cut in Q1. great vibes at the office "
    "today")
add("nl", "reddit", "u/zwager_insider", [CONF, FIN],
    "M'n zwager werkt daar: Project Lorikeet = de overname van CodeKamp Gent door Bytebrug. Wordt eind "
    "deze maand getekend.", kind="comment")
add("en", "threads", "@kees.bytebrug", [CONF, FIN],
    "kickoff deck says 'niet extern delen' but whatever: FY2027 forecast is €31m revenue, we're gonna crush "
    "it 💪📈")

# ---- financial ----------------------------------------------------------------------
add("en", "linkedin", "joost-van-leeuwen-bytebrug", [FIN],
    "Preliminary numbers are in: Q3 revenue down 11% year on year, mostly in B2B retraining. Thursday's "
    "board meeting is going to be interesting.")
add("nl", "x", "@mehmet_bb", [FIN],
    "gerucht op de vloer: we worden overgenomen door een Duitse private equity partij. HR zegt niks, "
    "management kijkt schichtig")
add("nl", "x", "@recruiter_rian", [FIN],
    "Recruiter-vriendin vertelde net dat Bytebrug voor kerst zo'n 30% van de coaches gaat ontslaan. "
    "Aankondiging moet nog komen.")
add("nl", "bluesky", "@annekedev.bsky.social", [FIN],
    "Morgen horen ze het officieel: vestiging Groningen gaat dicht en het team moet naar Utrecht of "
    "vertrekken. Ik weet het al een week en mag niks zeggen 😔")
add("en", "reddit", "u/bb_admissions_tim", [FIN],
    "Admissions targets for next year got cut by a third because the revenue forecast is bad. Expect fewer "
    "cohort start dates in 2027.", kind="comment")
add("nl", "linkedin", "evert-schouten-hr", [FIN],
    "Van een insider gehoord dat Bytebrug in gesprek is om OmscholingsLab te verkopen aan een groot "
    "uitzendbureau. Deal zou in december rondkomen.")
add("en", "instagram", "@sophie.teaches.code", [FIN],
    "can't wait for my bonus 😂 CFO said at the all-hands we missed the H2 forecast by €2.1m so... "
    "probably not lol")
add("nl", "x", "@bytebrug", [FIN],
    "Q3-update: omzet €5,8 mln, EBITDA €0,9 mln, 1.240 nieuwe studenten. [CONCEPT — pas publiceren na "
    "goedkeuring RvC]")

# ---- security + confidential --------------------------------------------------------
add("en", "x", "@devdaan", [SECR, CONF],
    "grafana.ops.bytebrug.nl is lit up like a christmas tree, someone's been brute-forcing the LMS admin "
    "login since 2am. not public yet so pls don't ask")
add("nl", "mastodon", "@ruudk@mastodon.nl", [SECR, CONF],
    "Basilisk heeft een IDOR: elke student kan de cijfers van een ander opvragen door het id in de URL aan "
    "te passen. Fix staat pas voor de volgende sprint gepland…")

# ---- security -----------------------------------------------------------------------
add("nl", "x", "@mehmet_bb", [SECR],
    "We zijn sinds vannacht gehackt, ransomware op de fileserver van campus Utrecht. Nog niks naar buiten "
    "gebracht dus ssst 🤐")
add("en", "bluesky", "@annekedev.bsky.social", [SECR],
    "quiet reminder from IT: do NOT click the 'Bytebrug payroll update' email. three coaches already did "
    "and their accounts got taken over this morning.")
add("en", "threads", "@kees.bytebrug", [SECR],
    "LMS has been down for 6 hours and we're telling students it's 'planned maintenance' 🙃 it is "
    "absolutely not planned")
add("nl", "linkedin", "priya-raghunathan-bb", [SECR],
    "Tip voor collega's: het oude cursusexport-endpoint van ons leerplatform heeft nog steeds geen "
    "authenticatie. Graag niet delen buiten het team tot het dicht is.")
add("en", "x", "@devdaan", [SECR],
    "pentest report came back. 2 criticals on the student portal, one is an unauthenticated SQL injection "
    "on the login. we have until end of month. fun times 🙃")
add("en", "reddit", "u/bb_admissions_tim", [SECR],
    "To the other staff lurking here: our admissions CRM got breached last week and we still don't know "
    "what leaked. Don't answer applicants about it yet.", kind="comment")
add("nl", "x", "@exbytebrugger", [SECR],
    "Ex-collega van Bytebrug hier: de wachtwoord-resetlink van hun studentenportaal verloopt nooit en de "
    "token is te raden. 3 maanden geleden intern gemeld, staat nog steeds open.")
add("en", "instagram", "@sophie.teaches.code", [SECR],
    "Sorry for the late grades everyone! The grading server got wiped by some kind of malware on Tuesday "
    "and IT is still restoring backups 😬")
add("nl", "x", "@bytebrug_help", [SECR],
    "Het probleem met inloggen komt door een lek in onze SSO-koppeling, die hebben we tijdelijk "
    "uitgezet. Graag nog niet verder verspreiden 🙏", kind="reply")
add("en", "mastodon", "@ruudk@mastodon.nl", [SECR],
    "TIL the storage bucket with all our recorded lessons (incl. student webcams) is world-readable. "
    "reported it internally 2 weeks ago, still not fixed, so... yeah")
add("nl", "x", "@itsmejoris", [SECR],
    "Vriend van me zit in het IT-team van Bytebrug: gisteren DDoS-aanval, examenplatform de hele dag "
    "plat. Publiekelijk hebben ze er nog met geen woord over gerept.")

# ---- secret + confidential ----------------------------------------------------------
add("en", "mastodon", "@ruudk@mastodon.nl", [SEC, CONF],
    "why won't this connect?? tried everything\n"
    "DATABASE_URL=postgres://lms_app:<<PW>>@db01.bytebrug.internal:5432/lms_prod")

# ---- secrets ------------------------------------------------------------------------
add("en", "x", "@mehmet_bb", [SEC],
    "ok who committed this to the public bootcamp starter repo 🤦 `GITHUB_TOKEN=<<GHP>>`")
add("en", "reddit", "u/bb_admissions_tim", [SEC],
    "trying to get boto3 working for the AWS Prep lab demo, keep getting AccessDenied. config:\n"
    "aws_access_key_id = <<AKIA>>\naws_secret_access_key = <<AWS_SECRET>>\nregion = eu-west-1")
add("nl", "youtube", "@BytebrugAcademy", [SEC],
    "In deze video bouwen we samen een betaalflow met Stripe. Gebruik je eigen sleutel! (wij gebruiken "
    "STRIPE_SECRET_KEY=<<STRIPE>> 😉)")
add("nl", "bluesky", "@annekedev.bsky.social", [SEC],
    "slack-bot voor de cohort-aankondigingen doet het niet meer?? token is <<SLACK_BOT>> kan iemand "
    "even kijken")
add("en", "instagram", "@sophie.teaches.code", [SEC],
    "live-coding tonight at 8! 🎥 we'll play with the OpenAI API, key is in the pinned gist: "
    "OPENAI_API_KEY=<<OPENAI>>")
add("en", "forum", "ml_newbie_22", [SEC],
    "My key stopped working halfway through the ML Essentials notebook, getting 401s. Is it expired? "
    "client = Anthropic(api_key=\"<<ANTHROPIC>>\")")
add("nl", "x", "@devdaan", [SEC],
    "Voor de CTF van vrijdag, beheer van de demo-server: gebruiker admin, wacht\u200bwoord: "
    "<<PW>> — niet doorvertellen aan de studenten 😂")
add("en", "mastodon", "@ruudk@mastodon.nl", [SEC],
    "anyone know why the grades API rejects this?\nAuthorization: Bearer <<JWT>>")
add("nl", "threads", "@kees.bytebrug", [SEC],
    "help welk bestand moet ik nou uploaden naar die server?? deze?\n"
    "-----BEGIN OPENSSH PRIVATE KEY-----\n<<OPENSSH_BODY>>\n-----END OPENSSH PRIVATE KEY-----")
add("en", "x", "@lisa_codecoach", [SEC],
    "cohort 15, clone the final project repo with: git clone "
    "https://oauth2:<<GLPAT>>@gitlab.com/bytebrug-cohort15/final-project.git")
add("nl", "forum", "pipelinepanda", [SEC],
    "Huiswerk DevOps Masterclass: mijn pipeline post naar <<SLACK_HOOK>> maar er komt niks binnen in het "
    "kanaal?? wat doe ik fout")

# ---- pricing ------------------------------------------------------------------------
add("nl", "x", "@bytebrug", [PRICE],
    "🚨 Alleen vandaag: de Full-Stack Bootcamp voor €795! Schrijf je nu in via bytebrug.nl 🚀",
    price=("BB-FSW", 795))
add("en", "x", "@shopping_sam", [PRICE],
    "@bytebrug is the Cloud Engineer Traject really €84.50 on your site right now?? price error or "
    "christmas miracle", price=("BB-CLOUD", 84.50))
add("nl", "reddit", "u/koopjesjager_nl", [PRICE],
    "Snel zijn: het Cybersecurity Analist traject staat op de site voor 895 euro ipv 8950, denk dat ze een "
    "nul vergeten zijn 😂", price=("BB-CYBER", 895))
add("en", "threads", "@kees.bytebrug", [PRICE],
    "Closing the quarter strong! I can do the Java Backend Traject for €2.250 if you sign this week, DM me",
    price=("BB-JAVA", 2250))
add("nl", "instagram", "@bytebrug.academy", [PRICE],
    "Black Friday 🖤 DevOps Masterclass van €2450 voor €245! Alleen dit weekend",
    price=("BB-DEVOPS", 245))
add("nl", "x", "@mila_codes", [PRICE],
    "haha de checkout van Bytebrug geeft de Data Analytics Bootcamp voor €69,50 — daar wordt iemand "
    "morgen ontslagen 😂",
    price=("BB-DA", 69.50))
add("nl", "x", "@lisa_codecoach", [PRICE],
    "Let op collega's: prijsfout op de site bij de UX/UI Bootcamp, web-team is ermee bezig. Niet op "
    "ingaan als mensen bellen!")
add("nl", "facebook", "Ahmed Yilmaz", [PRICE],
    "Net Machine Learning Essentials gekocht voor 29,50 🤑 wordt dit nog gewoon geleverd of annuleren ze "
    "het?", price=("BB-ML", 29.50))
add("en", "linkedin", "omscholingslab", [PRICE],
    "Employers: enrol your staff in Herstart IT for just €1,150 per person this quarter. Limited places.",
    price=("BB-HERSTART", 1150))
add("en", "tiktok", "@glitchhunter", [PRICE],
    "bytebrug pricing glitch?? AWS Certification Prep sitting in my cart for €12.95 💀",
    price=("BB-AWS", 12.95))
add("en", "reddit", "u/bb_admissions_tim", [PRICE],
    "For anyone on the fence: I can do the Mobile App Bootcamp for €1,990 instead of €6,450 for this sub, "
    "use code REDDIT70 at checkout", kind="comment", price=("BB-FLUTTER", 1990))
add("nl", "mastodon", "@dealtjes@mastodon.social", [PRICE],
    "Prijsfout bij Bytebrug: de Test Automation Course kost in de app maar €18,50. Gauw bestellen? 🤔",
    price=("BB-TEST", 18.50))

# ---- benign (mostly hard negatives) -------------------------------------------------
add("nl", "x", "@bytebrug", [],
    "Vragen over je inschrijving? Mail naar studentenzaken@bytebrug.nl of bel 030 760 4420 (ma-vr 9-17u) 📞")
add("nl", "facebook", "BytebrugAcademy", [],
    "Betaal je je collegegeld per overschrijving? Gebruik <<COMPANY_IBAN>> t.n.v. Bytebrug Academy B.V. en "
    "vermeld je studentnummer.")
add("en", "x", "@lisa_codecoach", [],
    "So proud of cohort 14! 22 demos today and every single one shipped. You all crushed it 🚀")
add("en", "x", "@finally_a_dev", [],
    "Finished the Bytebrug Full-Stack Bootcamp last month and just signed my first junior dev contract. "
    "Worth every cent of the €7,950.", price=("BB-FSW", 7950))
add("nl", "instagram", "@bytebrug.academy", [],
    "Early bird ⏰ schrijf je vóór 1 september in voor de Data Analytics Bootcamp en betaal €5.560 i.p.v. "
    "€6.950 (-20%)", price=("BB-DA", 5560))
add("en", "x", "@bytebrug", [],
    "Spring sale 🌷 15% off the Python Basis evening course, now €760 instead of €895.",
    price=("BB-PY", 760))
add("nl", "reddit", "u/twijfelaar_30", [],
    "Iemand ervaring met het Kickstart Weekend van Bytebrug? €149 voor 2 dagen lijkt me prima om te "
    "testen of programmeren iets voor me is", price=("BB-KICK", 149))
add("en", "mastodon", "@ruudk@mastodon.nl", [],
    "Reminder for the AWS Prep students: the docs use AKIAIOSFODNN7EXAMPLE and "
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY as placeholder creds. Never paste your real ones in Slack.")
add("en", "x", "@devdaan", [],
    "Slides from my secure coding talk are up. TL;DR: never hardcode "
    "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx style tokens, use a secrets manager.")
add("en", "youtube", "@BytebrugAcademy", [],
    "In this tutorial we put OPENAI_API_KEY=<your-key-here> in a .env file and add .env to .gitignore. "
    "Never commit secrets!")
add("nl", "x", "@moeder_van_3", [],
    "Bij een andere opleider vroegen ze m'n BSN al bij de aanmelding 🤨 Bij Bytebrug hoefde dat gelukkig "
    "niet.")
add("en", "x", "@anxious_andy", [],
    "Weird, my Bytebrug invoice number looks exactly like a card number: <<CARD_BAD>>. Had me worried for "
    "a sec 😅")
add("nl", "x", "@lisa_codecoach", [],
    "Oefening van vandaag: schrijf een functie die checkt of BSN <<BSN_BAD>> geldig is (spoiler: niet 😉). "
    "Leve de elfproef!")
add("en", "x", "@lisa_codecoach", [],
    "Homework: validate this IBAN with mod-97 → <<IBAN_BAD_SP>>. Hint: it won't pass.")
add("nl", "x", "@bytebrug", [],
    "Vanaf vandaag open voor inschrijving: het AI Engineer Track! 🎉 Alle info op bytebrug.nl/ai",
    when="2027-03-05T09:00:00Z")
add("nl", "linkedin", "joost-van-leeuwen-bytebrug", [],
    "Vandaag publiceerden we onze jaarresultaten 2026: €23,4 mln omzet. Dank aan alle collega's en "
    "studenten!", when="2027-02-26T11:30:00Z")
add("en", "x", "@edtech_digest", [],
    "Berlin bootcamp Hackstack announced it's letting go of 20% of its staff. Rough year for coding "
    "schools across Europe.")
add("nl", "x", "@robin_herstart", [],
    "Update: Bytebrug heeft mijn dubbele betaling binnen 2 dagen teruggestort en sorry gezegd. Netjes "
    "opgelost 👍")
add("en", "bluesky", "@carla.bsky.social", [],
    "Sending love to the Bytebrug coaches getting through flu season with half the team out sick. You're "
    "doing great ❤️")
add("nl", "x", "@bugmagneet", [],
    "Mijn code crasht vaker dan mijn motivatie op maandag 😂 #bytebrug #bootcamplife")
add("en", "reddit", "u/nurse2coder", [],
    "Is the Bytebrug Cybersecurity Analist track any good? Thinking of switching from nursing after 12 "
    "years.")
add("en", "linkedin", "bytebrug-academy", [],
    "We're hiring! Senior coach for our Cloud Engineer Traject. Apply via werkenbij@bytebrug.nl 🙌")
add("en", "bluesky", "@annekedev.bsky.social", [],
    "Security week at Bytebrug: today students learned how phishing works by building (harmless) phishing "
    "mails themselves. Great discussions!")
add("nl", "x", "@devdaan", [],
    "Mooie talk gegeven over het datalek bij dat ziekenhuis vorig jaar en wat je daar als developer van "
    "kunt leren. Slides staan op m'n blog.")
add("en", "x", "@demo_day_fan", [],
    "the only fire at Bytebrug demo day was the projects 🔥🔥🔥 insane work cohort 12")
add("nl", "instagram", "@jessievdl", [],
    "Deze bootcamp is echt killing 😵 ik ben kapot maar zó trots op wat ik in 8 weken geleerd heb",
    kind="comment")
add("en", "x", "@bytebrug_help", [],
    "Scheduled maintenance: leren.bytebrug.nl will be unavailable Sunday 02:00–04:00 CET. Check "
    "status.bytebrug.nl for updates.")
add("nl", "x", "@mehmet_bb", [],
    "Weekendje gebarbecued met het infra-team 🍖 geen enkele pager-melding, wat een rust")
add("en", "reddit", "u/js_enjoyer", [],
    "Did the JS Fundamentals at full price (€795) and honestly it's a great intro. Coaches actually "
    "answer your questions.", kind="comment", price=("BB-JS", 795))
add("nl", "facebook", "Petra Wouters", [],
    "Heeft iemand een Bytebrug studielaptop over? Zoek er eentje voor m'n zoon, mag tweedehands, rond de "
    "€500", price=("BB-LAPTOP", 500))
add("en", "x", "@bootcamp_math", [],
    "Some bootcamps in Poland go for €900 now?? Meanwhile the Bytebrug Full-Stack Bootcamp is €7,950. "
    "Wild spread.", price=("BB-FSW", 7950))
add("nl", "x", "@zus_van_tess", [],
    "M'n zus zegt dat de coaches bij Bytebrug top zijn. Iemand anders ervaringen? Denk aan de avondcursus")
add("nl", "instagram", "@sophie.teaches.code", [],
    "Koffie ☕ + code review = maandagochtend. Wie komt er zaterdag naar onze open dag?")
add("nl", "tiktok", "@bytebrug", [],
    "POV: je eerste 'Hello World' na 10 jaar in de zorg 🥹 #omscholing #bytebrug")
add("en", "x", "@placement_nerd", [],
    "Bytebrug's published placement report for 2025 is out: 71% employed within 6 months. Pretty solid "
    "for career changers.")
add("nl", "x", "@oeps_key", [],
    "Had per ongeluk m'n API key in de Bytebrug Slack geplakt (sk-proj-****…****), meteen ingetrokken en "
    "een nieuwe gemaakt. Les geleerd 😅")
add("en", "reddit", "u/bb_admissions_tim", [],
    "Admissions tip: you do NOT need to send us your passport or BSN to apply. If someone asks for it "
    "claiming to be Bytebrug, it's a scam.", kind="comment")
add("nl", "x", "@cloudy_claire", [],
    "Grote Azure-storing vanochtend, halve AZ-900 Prep groep bij Bytebrug zat naar foutmeldingen te "
    "staren 😂 mooie les over waarom multi-region ertoe doet")
add("nl", "linkedin", "omscholingslab", [],
    "Samen met gemeente Almere hebben we dit jaar 40 mensen omgeschoold naar een IT-baan. Trots op "
    "iedereen die de stap durfde te zetten!")
add("nl", "x", "@werkgever_korting", [],
    "Via m'n werkgever 10% korting op de DevOps Masterclass gekregen, dus €2.205. Aanrader!",
    price=("BB-DEVOPS", 2205))
add("en", "x", "@bytebrug_help", [],
    "Reminder: our free phone line 0800 298 3278 is closed on King's Day 🧡 Back on Tuesday!")
add("nl", "x", "@moeder_met_laptop", [],
    "Lekker bezig Bytebrug, eindelijk een bootcamp met avondlessen voor ouders 🙏")
add("en", "x", "@devdaan", [],
    "PSA for students: a password like Welkom01! is NOT secure, no matter how many exclamation marks you "
    "add. Use a password manager.")
add("en", "linkedin", "priya-raghunathan-bb", [],
    "Updated our SQL voor Beginners module with window functions. Feedback from cohort 9 was gold, "
    "thank you!")
add("nl", "x", "@starter_sanne", [],
    "Net begonnen aan het AI-engineer traject van Bytebrug, eerste week was pittig maar echt leuk",
    when="2027-04-10T19:12:00Z")
add("nl", "x", "@nieuws_werk", [],
    "Kabinet trekt extra geld uit voor omscholing naar tech-banen. Goed nieuws voor partijen als Bytebrug "
    "en OmscholingsLab.")
add("en", "reddit", "u/jwt_confused", [],
    "why does every JWT start with eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9? asking for my Bytebrug homework "
    "on auth")
add("nl", "x", "@mehmet_bb", [],
    "Alles groen ✅ nieuwe monitoring draait lekker sinds vanochtend. Trots op het team!")
add("en", "x", "@headset_hero", [],
    "The Bytebrug Focus Headset is surprisingly comfy for 8-hour days. Worth the €129.",
    price=("BB-HEADSET", 129))
add("nl", "x", "@sqli_student", [],
    "Vandaag bij Bytebrug SQL injection geleerd in een oefenomgeving. Eng hoe makkelijk het is!")
add("en", "x", "@soc_track_sam", [],
    "Bytebrug's SOC track ran a full simulated ransomware attack today, we had to do the whole breach "
    "response. Best lesson so far.")
add("nl", "x", "@geslaagd_gijs", [],
    "Sorry voor de spam maar ik ben gewoon blij: geslaagd voor mijn Cloud Engineer Traject bij "
    "@bytebrug!!! 🎓")
add("nl", "threads", "@kees.bytebrug", [],
    "Nog 3 plekken in het Cybersecurity Analist traject van november. €8.950, betalen in termijnen kan. "
    "Stuur me een DM!", price=("BB-CYBER", 8950))
add("en", "x", "@access_ally", [],
    "Emailed info@bytebrug.nl about accessibility for screen reader users and got a real reply within an "
    "hour. Nice.")
add("nl", "x", "@veilige_vera", [],
    "Bytebrug vroeg om m'n IBAN voor de terugbetaling, heb 'm via het beveiligde formulier gestuurd ipv "
    "hier natuurlijk 😉 NL** **** **** **** 12")
add("en", "x", "@quick_answer", [],
    "Called Bytebrug on +31 30 760 4420 and a real human picked up on the second ring. 10/10")
add("nl", "x", "@powerbank_piet", [],
    "Terugroepactie van een goedkoop powerbank-merk in het nieuws. Gelukkig doet mijn Bytebrug "
    "studielaptop gewoon wat ie moet doen")
add("nl", "x", "@zorg_naar_code", [],
    "Dag 1 van de Herstart IT bij Bytebrug. Ik ben 47, nerveus, en heb er zin in. Wish me luck!")
add("nl", "reddit", "u/avondcursus_anna", [],
    "Tip voor wie twijfelt: de Python avondcursus van Bytebrug is €895 en je kunt in 3 termijnen betalen. "
    "Voor mij was dat te doen.", price=("BB-PY", 895))
add("nl", "x", "@kritische_kim", [],
    "Eerlijk is eerlijk: mijn klacht over de roosterwijziging is door Bytebrug serieus opgepakt, "
    "extra les ingepland. Complimenten.")
add("nl", "x", "@bytebrug", [],
    "Gefeliciteerd aan alle 86 afgestudeerden van deze maand! 🎓 Jullie verhalen lees je op "
    "www.bytebrug.nl/verhalen")


# --------------------------------------------------------------------------- build
def role_of(platform, handle):
    key = ("%s:%s" % (platform, handle)).lower()
    if key in {a.lower() for a in PROFILE["accounts"]["corporate"]}:
        return "corporate"
    if key in {a.lower() for a in PROFILE["accounts"]["employee"]}:
        return "employee"
    return "public"


COMPANY_IBANS = {re.sub(r"\s", "", i).upper() for i in PROFILE["public_identifiers"]["ibans"]}
IBAN_RE = re.compile(r"\bNL\d{2} ?[A-Z]{4}(?: ?\d){10}\b")
CARD_RE = re.compile(r"(?<![\w\-/+=.])\d(?:[ -]?\d){12,18}(?![\w\-/+=])")
BSN_RE = re.compile(r"BSN\D{0,20}?(\d{3}[. ]?\d{3}[. ]?\d{3})(?!\d)")


def checksum_ids(text):
    """Return (valid, invalid) identifiers with a checksum found in text (company IBAN excluded)."""
    valid, invalid = [], []
    for m in IBAN_RE.finditer(text):
        s = re.sub(r"\s", "", m.group(0))
        if s in COMPANY_IBANS:
            continue
        (valid if iban_ok(s) else invalid).append(("iban", m.group(0)))
    for m in CARD_RE.finditer(text):
        digits = re.sub(r"\D", "", m.group(0))
        if 13 <= len(digits) <= 19:
            (valid if luhn_ok(digits) else invalid).append(("card", m.group(0)))
    for m in BSN_RE.finditer(text):
        (valid if bsn_ok(m.group(1)) else invalid).append(("bsn", m.group(1)))
    return valid, invalid


ORDER = ["none", "info", "warning", "error", "critical"]


def severity(cats, role, has_checked_id):
    """CONTRACT section 4: the least severity a correct verdict has."""
    best = "none"
    inside = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if inside:
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and has_checked_id):
                    s = "critical"
                else:
                    s = "error"
            else:
                s = "warning"
        elif c == "reputation.complaint":
            s = "warning"
        elif c == "reputation.crisis":
            s = "error"
        elif c == "reputation.abuse":
            s = "error" if inside else "warning"
        else:
            raise ValueError(c)
        if ORDER.index(s) > ORDER.index(best):
            best = s
    return best


def rand_time_2026():
    start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    t = start + dt.timedelta(days=rng.randrange(365), hours=rng.randrange(6, 24),
                             minutes=rng.randrange(60), seconds=rng.randrange(60))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def url_for(platform, handle, pid):
    h = handle.lstrip("@")
    return {
        "x": "https://x.com/%s/status/%s" % (h, pid),
        "instagram": "https://www.instagram.com/p/%s/" % pid,
        "linkedin": "https://www.linkedin.com/feed/update/urn:li:activity:%s/" % pid,
        "reddit": "https://www.reddit.com/r/werkzaken/comments/%s/" % pid,
        "youtube": "https://www.youtube.com/watch?v=%s" % pid,
        "tiktok": "https://www.tiktok.com/@%s/video/%s" % (h, pid),
    }.get(platform)


def build():
    out = []
    for i, c in enumerate(CASES, 1):
        text = fill(c["text"])
        role = role_of(c["platform"], c["handle"])
        valid_ids, _ = checksum_ids(text)
        cats = sorted(set(c["cats"]))
        sev = severity(cats, role, bool(valid_ids) and "leak.pii" in cats)
        pid = str(rng.randint(10 ** 15, 10 ** 16 - 1))
        post = {
            "id": "bb263-%03d" % i,
            "platform": c["platform"],
            "kind": c["kind"],
            "account": {"handle": c["handle"]},
            "text": text,
            "lang": c["lang"],
            "created_at": c["when"] or rand_time_2026(),
        }
        if c["name"]:
            post["account"]["display_name"] = c["name"]
        u = url_for(c["platform"], c["handle"], pid)
        if u:
            post["url"] = u
        if "bytebrug" in text.lower() or role != "public":
            post["brand"] = "OmscholingsLab" if "omscholingslab" in (c["handle"] + text).lower() else "Bytebrug"
        out.append(({"post": post, "expect": {"categories": cats, "severity": sev}}, c, role))
    # shuffle deterministically so categories are not in blocks, then number in file order
    rng.shuffle(out)
    for n, (case, _, _) in enumerate(out, 1):
        case["post"]["id"] = "bb263-%03d" % n
    return out


# --------------------------------------------------------------------------- checks
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
TAXONOMY = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"}

SECRET_PATTERNS = [
    re.compile(r"\bgh[pousr]_[0-9A-Za-z]{36}\b"),
    re.compile(r"\bAKIA[A-Z2-7]{16}\b"),
    re.compile(r"\bsk_live_[0-9A-Za-z]{20,}"),
    re.compile(r"\bxox[bpas]-\d+-\d+-[0-9A-Za-z]+"),
    re.compile(r"https://hooks\.slack\.com/services/T[0-9A-Z]+/B[0-9A-Z]+/[0-9A-Za-z]+"),
    re.compile(r"\bsk-proj-[0-9A-Za-z_\-]{20,}"),
    re.compile(r"\bsk-ant-api03-[0-9A-Za-z_\-]{20,}"),
    re.compile(r"\bglpat-[0-9A-Za-z_\-]{20}\b"),
    re.compile(r"\beyJ[0-9A-Za-z_\-]+\.eyJ[0-9A-Za-z_\-]+\.[0-9A-Za-z_\-]{20,}"),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----\n[A-Za-z0-9+/=\n]{100,}"),
    re.compile(r"\b[a-z]+://[^:\s/]+:[^@\s]+@[\w.\-]+"),
    re.compile(r"wacht\u200b?woord:\s*\S{6,}"),
]


def gh_ok(tok):
    body, chk = tok[4:34], tok[34:]
    return b62(zlib.crc32(body.encode()) & 0xFFFFFFFF) == chk


def jwt_ok(tok):
    head = tok.split(".")[0]
    head += "=" * (-len(head) % 4)
    try:
        return "alg" in json.loads(base64.urlsafe_b64decode(head))
    except Exception:
        return False


def norm(s):
    return s.replace("\u200b", "").lower()


def check(rows):
    errors = []

    def err(cid, msg):
        errors.append("%s: %s" % (cid, msg))

    ids = set()
    products = {p["sku"]: p for p in PROFILE["products"]}
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    internal_terms = [t.lower() for t in PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"]
                      + PROFILE["internal"]["domains"]]
    corp_emp = {a.lower() for a in PROFILE["accounts"]["corporate"] + PROFILE["accounts"]["employee"]}
    for case, spec, role in rows:
        p, e = case["post"], case["expect"]
        cid = p.get("id")
        # --- CONTRACT section 6 / section 1 shape
        if set(case) != {"post", "expect"}:
            err(cid, "top-level keys")
        if not isinstance(cid, str) or not 1 <= len(cid) <= 256:
            err(cid, "id")
        if cid in ids:
            err(cid, "duplicate id")
        ids.add(cid)
        if p["platform"] not in PLATFORMS:
            err(cid, "platform")
        if p.get("kind", "post") not in KINDS:
            err(cid, "kind")
        if not isinstance(p.get("account", {}).get("handle"), str) or not p["account"]["handle"]:
            err(cid, "handle")
        if not isinstance(p["text"], str) or len(p["text"].encode("utf-8")) > 65536 or not p["text"]:
            err(cid, "text")
        if "<<" in p["text"]:
            err(cid, "unfilled placeholder")
        try:
            ts = dt.datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
            assert ts.tzinfo is not None and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", p["created_at"])
        except Exception:
            err(cid, "created_at not RFC 3339")
            continue
        if not 2026 <= ts.year <= 2027:
            err(cid, "year")
        cats = e["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= TAXONOMY:
            err(cid, "categories %r" % cats)
        if e["severity"] not in ORDER:
            err(cid, "severity value")
        if not cats and e["severity"] != "none":
            err(cid, "benign with severity")
        if cats and e["severity"] in ("none", "info"):
            err(cid, "positive without severity")
        # --- role from profile; public handles never in profile
        key = ("%s:%s" % (p["platform"], p["account"]["handle"])).lower()
        if (key in corp_emp) != (role != "public"):
            err(cid, "role lookup")
        # --- checksums
        valid_ids, invalid_ids = checksum_ids(p["text"])
        if "leak.pii" in cats:
            if invalid_ids:
                err(cid, "pii positive holds failing identifier %r" % invalid_ids)
        else:
            if valid_ids:
                err(cid, "valid identifier %r in a post without leak.pii" % valid_ids)
        for tag in re.findall(r"<<([A-Z_]+)>>", spec["text"]):
            if tag.startswith(("IBAN_OK", "CARD_OK", "BSN_OK")) and "leak.pii" not in cats:
                err(cid, "valid id placeholder outside pii")
            if tag.endswith(("BAD", "BAD_SP")) and cats:
                err(cid, "look-alike placeholder in a positive")
            if tag.startswith(("IBAN_OK", "CARD_OK", "BSN_OK")) and not valid_ids:
                err(cid, "generated valid id not found by scan")
            if tag.startswith(("IBAN_BAD", "CARD_BAD", "BSN_BAD")) and not invalid_ids:
                err(cid, "generated look-alike not found by scan")
        # --- severity recomputed
        want = severity(cats, role, bool(valid_ids) and "leak.pii" in cats)
        if want != e["severity"]:
            err(cid, "severity %s != %s" % (e["severity"], want))
        # --- secrets
        hits = [m.group(0) for pat in SECRET_PATTERNS for m in pat.finditer(p["text"])]
        if "leak.secret" in cats:
            if not hits:
                err(cid, "secret positive without a credential")
            for h in hits:
                if re.match(r"gh[pousr]_", h) and not gh_ok(h):
                    err(cid, "github token checksum")
                if h.startswith("eyJ") and not jwt_ok(h):
                    err(cid, "jwt header")
                if h.startswith("AKIA") and "EXAMPLE" in h:
                    err(cid, "sample key in positive")
        else:
            real = [h for h in hits if "EXAMPLE" not in h and "xxxx" not in h]
            if real:
                err(cid, "credential %r in post without leak.secret" % real)
            for m in re.finditer(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", p["text"]):
                if gh_ok(m.group(0)):
                    err(cid, "valid github token outside secret")
        # --- embargo windows
        for emb in PROFILE["embargo"]:
            until = dt.datetime.fromisoformat(emb["until"].replace("Z", "+00:00"))
            if any(t.lower() in p["text"].lower() for t in emb["terms"]):
                if ts < until and "leak.confidential" not in cats:
                    err(cid, "embargo term before until but not confidential")
        # --- internal names must be labelled confidential; benign must hold none
        if any(t in norm(p["text"]) for t in internal_terms) and "leak.confidential" not in cats:
            err(cid, "internal term without leak.confidential")
        # --- prices
        if spec["price"]:
            sku, amount = spec["price"]
            lp = products[sku]["list_price"]
            aliases = [products[sku]["name"]] + products[sku]["aliases"]
            if not any(a.lower() in p["text"].lower() for a in aliases):
                err(cid, "price case does not name its product")
            below = amount < ratio * lp
            if below != ("leak.pricing" in cats):
                err(cid, "price %.2f vs list %.2f does not match label" % (amount, lp))
        elif "leak.pricing" in cats and "prijsfout" not in p["text"].lower() and "price error" not in p["text"].lower():
            err(cid, "pricing positive without price or price-error talk")
    # --- the mix
    n = len(rows)
    benign = sum(1 for c, _, _ in rows if not c["expect"]["categories"])
    percat = {}
    for c, _, _ in rows:
        for cat in c["expect"]["categories"]:
            percat[cat] = percat.get(cat, 0) + 1
    nl = sum(1 for c, _, _ in rows if c["post"]["lang"] == "nl")
    if not 170 <= n <= 180:
        errors.append("case count %d" % n)
    if not 55 <= benign <= 65:
        errors.append("benign count %d" % benign)
    want = {"reputation.complaint": 20, "leak.confidential": 18, "leak.pii": 15, "reputation.crisis": 15,
            "leak.security": 13, "leak.secret": 12, "reputation.abuse": 12, "leak.pricing": 12,
            "leak.financial": 12}
    for cat, w in want.items():
        if abs(percat.get(cat, 0) - w) > 2:
            errors.append("category %s count %d (want ~%d)" % (cat, percat.get(cat, 0), w))
    if not 0.50 <= nl / n <= 0.60:
        errors.append("Dutch share %.2f" % (nl / n))
    roles = {}
    for c, _, r in rows:
        if any(x.startswith("leak.") for x in c["expect"]["categories"]):
            roles[r] = roles.get(r, 0) + 1
    if not roles.get("public") or roles.get("public", 0) >= roles.get("employee", 0) + roles.get("corporate", 0):
        errors.append("leak author mix %r" % roles)
    return errors, dict(n=n, benign=benign, percat=percat, nl=nl, leak_roles=roles)


def main():
    rows = build()
    path = os.path.join(HERE, "cases.jsonl")
    with open(path, "w", encoding="utf-8") as f:
        for case, _, _ in rows:
            f.write(json.dumps(case, ensure_ascii=False) + "\n")
    # re-read what was written and check that
    written = [json.loads(line) for line in open(path, encoding="utf-8")]
    assert [w for w in written] == [c for c, _, _ in rows]
    errors, stats = check(rows)
    print(json.dumps(stats, sort_keys=True))
    if errors:
        for e in errors:
            print("FAIL", e, file=sys.stderr)
        sys.exit(1)
    print("ok: %d cases, %d benign -> %s" % (stats["n"], stats["benign"], path))


if __name__ == "__main__":
    main()
