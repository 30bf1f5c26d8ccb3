#!/usr/bin/env python3
"""Build cases.jsonl for evaluation set sealed471 (Lindevaart Zorgverhuur B.V.).

Deterministic: fixed seed, standard library plus PyYAML. The post texts are
hand-written; generated identifiers and credentials are filled in from
placeholders such as {IBAN} or {GHP}. Severities are never typed by hand: they
are computed from the categories and the account role found in profile.yaml
(CONTRACT section 4). The script checks its own output and exits non-zero on
any problem.
"""
import base64
import datetime as dt
import json
import os
import random
import re
import string
import sys
import unicodedata
import zlib

import yaml

SEED = 471_2026
HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = os.path.join(HERE, "profile.yaml")
OUT = os.path.join(HERE, "cases.jsonl")

rng = random.Random(SEED)

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base62 order
B62 = ALNUM


# ---------------------------------------------------------------- checksums
def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(ch, 36)) for ch in r)) % 97 == 1


def iban_make(cc, bban):
    r = bban + cc + "00"
    n = int("".join(str(int(ch, 36)) for ch in r))
    return f"{cc}{98 - n % 97:02d}{bban}"


def luhn_ok(num):
    d = [int(x) for x in re.sub(r"\D", "", num)]
    tot = 0
    for i, v in enumerate(reversed(d)):
        if i % 2 == 1:
            v *= 2
            if v > 9:
                v -= 9
        tot += v
    return tot % 10 == 0


def luhn_complete(partial):
    for c in "0123456789":
        if luhn_ok(partial + c):
            return partial + c
    raise AssertionError


def bsn_ok(s):
    d = re.sub(r"\D", "", s)
    if len(d) != 9:
        return False
    tot = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return tot % 11 == 0 and int(d) != 0


def crc_b62(s):
    n = zlib.crc32(s.encode())
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(6, "0")


def ghp_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and crc_b62(m.group(1)) == m.group(2)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


# ---------------------------------------------------------------- generators
def rs(n, alphabet=ALNUM):
    return "".join(rng.choice(alphabet) for _ in range(n))


def digits(n):
    return "".join(rng.choice(string.digits) for _ in range(n))


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


BANKS = ["ABNA", "INGB", "RABO", "SNSB", "ASNB", "TRIO", "KNAB", "BUNQ"]


def gen_iban():
    return iban_make("NL", rng.choice(BANKS) + digits(10))


def gen_iban_bad():
    good = gen_iban()
    cd = int(good[2:4])
    bad = (cd + rng.randint(1, 40)) % 97
    if bad < 2:
        bad += 2
    cand = good[:2] + f"{bad:02d}" + good[4:]
    assert not iban_ok(cand)
    return cand


def gen_card(kind="visa"):
    if kind == "visa":
        p = "4" + digits(14)
    else:
        p = "5" + rng.choice("12345") + digits(13)
    return luhn_complete(p)


def gen_card_bad():
    good = gen_card(rng.choice(["visa", "mc"]))
    bad = good[:-1] + str((int(good[-1]) + rng.randint(1, 9)) % 10)
    assert not luhn_ok(bad)
    return bad


def gen_bsn():
    while True:
        d = [rng.randint(1, 6)] + [rng.randint(0, 9) for _ in range(7)]
        s = sum(d[i] * (9 - i) for i in range(8)) % 11
        if s < 10:
            out = "".join(map(str, d)) + str(s)
            assert bsn_ok(out)
            return out


def gen_bad9():
    while True:
        s = str(rng.randint(1, 9)) + digits(8)
        if not bsn_ok(s):
            return s


def gen_mobile(style):
    n = "6" + str(rng.randint(1, 5)) + digits(7)  # 6 + 8 digits
    rest = n[1:]
    if style == 1:
        return "06-" + rest
    if style == 2:
        return "06 " + " ".join(rest[i:i + 2] for i in range(0, 8, 2))
    if style == 3:
        return "+31 6 " + rest[:4] + " " + rest[4:]
    if style == 4:
        return "06" + rest
    return "+316" + rest


def gen_landline():
    area = rng.choice(["020", "010", "033", "038", "040", "050", "053"])
    local = digits(7 if len(area) == 3 else 6)
    return rng.choice([f"{area}-{local}", f"({area}) {local[:3]} {local[3:5]} {local[5:]}"])


def gen_ghp(prefix="ghp_"):
    body = rs(30)
    tok = prefix + body + crc_b62(body)
    assert ghp_ok(tok)
    return tok


def gen_aws_id():
    return "AKIA" + rs(16, string.ascii_uppercase + "234567")


def gen_aws_secret():
    return rs(40, string.ascii_letters + string.digits + "/+")


def gen_jwt():
    header = {"alg": "HS256", "typ": "JWT"}
    now = 1767225600 + rng.randint(0, 30_000_000)
    payload = {"sub": "lv-" + digits(6), "name": "portal-svc", "role": "admin",
               "iss": "https://mijn.lindevaart.nl", "iat": now, "exp": now + 3600}
    sig = bytes(rng.getrandbits(8) for _ in range(32))
    return ".".join([b64url(json.dumps(header, separators=(",", ":")).encode()),
                     b64url(json.dumps(payload, separators=(",", ":")).encode()),
                     b64url(sig)])


def gen_pem():
    raw = (b"openssh-key-v1\x00" + b"\x00\x00\x00\x04none\x00\x00\x00\x04none\x00\x00\x00\x00"
           + b"\x00\x00\x00\x01\x00\x00\x00\x33\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20"
           + bytes(rng.getrandbits(8) for _ in range(300)))
    body = base64.b64encode(raw).decode()
    lines = [body[i:i + 70] for i in range(0, len(body), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def gen_pw():
    return rs(5, string.ascii_letters) + rng.choice("!#$%&*") + digits(3) + rs(5, string.ascii_letters)


def gen_pgurl():
    return (f"postgresql://lv_app:{rs(12, string.ascii_letters + string.digits)}{rng.choice('!*#')}{digits(2)}"
            f"@lv-prod.{rs(12, string.ascii_lowercase + string.digits)}.eu-west-1.rds.amazonaws.com:5432/verhuur")


URLSAFE = string.ascii_letters + string.digits + "-_"
GEN = {
    "IBAN": gen_iban,
    "IBAN_SP": lambda: group4(gen_iban()),
    "IBAN_BAD": gen_iban_bad,
    "IBAN_BAD_SP": lambda: group4(gen_iban_bad()),
    "CARD": lambda: group4(gen_card("visa")),
    "CARD_MC": lambda: "-".join(group4(gen_card("mc")).split(" ")),
    "CARD_BAD": lambda: group4(gen_card_bad()),
    "BSN": gen_bsn,
    "BSN_DOT": lambda: (lambda b: f"{b[:4]}.{b[4:6]}.{b[6:]}")(gen_bsn()),
    "BSN_ZW": lambda: (lambda b: f"{b[:3]}\u200b{b[3:6]}\u200b{b[6:]}")(gen_bsn()),
    "BAD9": gen_bad9,
    "MOB1": lambda: gen_mobile(1),
    "MOB2": lambda: gen_mobile(2),
    "MOB3": lambda: gen_mobile(3),
    "MOB4": lambda: gen_mobile(4),
    "MOB5": lambda: gen_mobile(5),
    "TEL": gen_landline,
    "GHP": gen_ghp,
    "GHO": lambda: gen_ghp("gho_"),
    "AWS_ID": gen_aws_id,
    "AWS_SECRET": gen_aws_secret,
    "STRIPE": lambda: "sk_live_51" + rs(94),
    "SLACK": lambda: f"xoxb-{digits(12)}-{digits(13)}-{rs(24)}",
    "OPENAI": lambda: "sk-proj-" + rs(74, URLSAFE) + "T3BlbkFJ" + rs(74, URLSAFE),
    "ANTHROPIC": lambda: "sk-ant-api03-" + rs(93, URLSAFE) + "AA",
    "MOLLIE": lambda: "live_" + rs(30),
    "GLPAT": lambda: "glpat-" + rs(20, URLSAFE),
    "GOOGLE": lambda: "AIza" + rs(35, URLSAFE),
    "JWT": gen_jwt,
    "PEM": gen_pem,
    "PW": gen_pw,
    "PGURL": gen_pgurl,
}
SECRET_KEYS = {"GHP", "GHO", "AWS_ID", "AWS_SECRET", "STRIPE", "SLACK", "OPENAI", "ANTHROPIC",
               "MOLLIE", "GLPAT", "GOOGLE", "JWT", "PEM", "PW", "PGURL"}
VALID_ID_KEYS = {"IBAN", "IBAN_SP", "CARD", "CARD_MC", "BSN", "BSN_DOT", "BSN_ZW"}
PH = re.compile(r"\{([A-Z][A-Z0-9_]*)\}")

# ---------------------------------------------------------------- the posts
# c(platform, handle, lang, categories, text, kind=..., at=...)
CASES = []


def c(platform, handle, lang, cats, text, kind="post", at=None):
    CASES.append(dict(platform=platform, handle=handle, lang=lang, cats=list(cats),
                      text=text, kind=kind, at=at))


CO = "reputation.complaint"
CR = "reputation.crisis"
AB = "reputation.abuse"
PII = "leak.pii"
CONF = "leak.confidential"
FIN = "leak.financial"
SEC = "leak.security"
SECR = "leak.secret"
PRICE = "leak.pricing"

# ---- complaints (public) ----------------------------------------------------
c("x", "@anja_mantelzorgt", "nl", [CO],
  "Al 3 dagen wachten op het hoog-laagbed voor mn moeder. Ze ligt nu op de bank 😡 "
  "@lindevaart_zorg jullie zouden DINSDAG komen!! #mantelzorg", kind="reply")
c("facebook", "gerda.hofstede.7", "nl", [CO],
  "Vanmorgen om 8 uur klaargezeten voor de monteur van Lindevaart. Het is nu half 5. Niemand gekomen, "
  "niemand gebeld. Mijn man kan zo niet uit bed. Hoe moeilijk kan het zijn om even te bellen als je later bent?")
c("x", "@tomhaverkamp", "en", [CO],
  "@lindevaart rented a Wolk air mattress for my dad, pump alarm goes off every 40 min all night. "
  "3rd call to support, 'a technician will contact you'. nobody does. we're exhausted", kind="reply")
c("x", "@pete_b_68", "en", [CO],
  "@lindevaart_zorg 47 minutes on hold and then the line just went dead. brilliant service as always 🙄",
  kind="reply")
c("facebook", "marloes.vd.heuvel", "nl", [CO],
  "Huur opgezegd in augustus, bed is op 2 september opgehaald, en nog STEEDS elke maand €89 afgeschreven door "
  "Lindevaart. Drie mails gestuurd, één keer gebeld. Geen reactie. Ik ben het zo zat.")
c("reddit", "u/caregiver_in_delft", "en", [CO],
  "Anyone else had trouble with Lindevaart? The bed they delivered for my wife had stains on the mattress "
  "cover and hair stuck in the side rails. For a company that rents out care beds that's just gross. "
  "Took them 5 days to swap it.")
c("instagram", "@sanne.zorgt", "nl", [CO],
  "rollator geleverd zonder werkende remmen?? en het was niet eens de Stap 4 die we bestelden, gewoon een "
  "oud model. beetje slordig @lindevaart.nl", kind="comment")
c("forum", "opa_henk_1951", "en", [CO],
  "My Zwaluw scooter from Lindevaart died halfway to the supermarket, battery was 'fully charged' at delivery "
  "they said. Had to phone my son to come and push me home. And now they can't come before next Thursday.")
c("threads", "@fleur.mantelzorg", "nl", [CO],
  "borg nog steeds niet terug terwijl de traplift al 6 weken weg is. hallo @lindevaart ?? "
  "moet ik jullie elke week blijven mailen of zo")
c("linkedin", "ergotherapeut-lisa-kramer", "en", [CO],
  "Disappointed by Lindevaart Zorgverhuur this week. As an occupational therapist I ordered a bariatric bed "
  "for a client with an urgent hospital discharge. They delivered the wrong size and my client had to stay two "
  "extra nights in hospital. Not acceptable for a care supplier.")
c("tiktok", "@miep_en_oma", "nl", [CO],
  "ze hebben bij het ophalen vd tillift gewoon oma's douchestoel meegenomen 🙃 nu kan ze niet douchen. "
  "bedankt lindevaart", kind="comment")
c("mastodon", "@wvdmeer@mastodon.nl", "nl", [CO],
  "De monteur van Lindevaart deed vandaag echt onbeschoft tegen mijn vader. Zuchten, 'ik heb niet de hele dag, "
  "meneer'. Die man is 84 en doet zijn best. Klacht ingediend, benieuwd of er iets mee gebeurt.")

# ---- first-hand safety incidents: crisis + complaint -------------------------
c("facebook", "ellen.smits.1972", "nl", [CR, CO],
  "Vannacht begon de motor van het hoog-laagbed van Lindevaart te roken, terwijl mijn moeder erin lag. "
  "Brandlucht door het hele huis. Gelukkig was ik wakker, stekker eruit en 112 gebeld. Dit bed staat er "
  "3 weken!! Ik wil weten hoe dit kan. #lindevaart")
c("x", "@mark_ouwerkerk", "en", [CR, CO],
  "My dad got a proper electric shock from the handset of his @lindevaart Comfort 5 bed this morning. "
  "Tingling arm for hours, GP had to check him. Who tests these things before renting them out??")
c("x", "@yvonne_b", "nl", [CR, CO],
  "Mijn schoonvader is met zijn been klem komen te zitten tussen het bedhek en de matras van het Lindevaart bed. "
  "Blauwe plekken + schaafwond. Bedhek zat los, hadden we bij de levering nog gemeld 😠 @lindevaart_zorg",
  kind="reply")
c("facebook", "dave.pritchard.nl", "en", [CR, CO],
  "The sling on the Kraan T200 hoist Lindevaart supplied tore while we were lifting my mum. She dropped onto "
  "the edge of the bed and cracked two ribs. I am absolutely furious and want answers.")
c("forum", "bezorgde_dochter", "nl", [CR, CO],
  "Zuurstofapparaat (Adem 5) van Lindevaart viel om 3 uur 's nachts stil ZONDER alarm. Mijn vader werd "
  "benauwd wakker en moest met de ambulance mee. En het storingsnummer nam niet op. Hoe is dit mogelijk?")
c("instagram", "@rienk.rijdt", "nl", [CR, CO],
  "scootmobiel van lindevaart remde niet op de helling bij de dijk, ben tegen een paal geknald. pols gebroken. "
  "en nu zeggen ze dat het 'gebruikersfout' is. echt niet. 🤕", kind="comment")

# ---- crisis told by third parties (crisis only) ------------------------------
c("x", "@zorgnieuws_nl", "nl", [CR],
  "Inspectie (IGJ) start onderzoek naar Lindevaart Zorgverhuur na het overlijden van een thuiswonende man die "
  "bekneld raakte in het bedhek van een gehuurd hoog-laagbed. #zorg #IGJ")
c("x", "@carehome_mgr_ann", "en", [CR],
  "Heads up: Lindevaart is recalling all Kraan T200 hoists over faulty sling hooks, per a letter care homes got "
  "today. If you have one at home, stop using it until they've been round.")
c("x", "@eerlijkezorg", "nl", [CR],
  "#boycotLindevaart ze halen bedden weg bij mensen die een paar weken achterlopen met betalen. Ook bij "
  "terminale patiënten. Huur NIETS meer bij dit bedrijf en deel dit!")
c("facebook", "corrie.wolters", "nl", [CR],
  "Heeft Lindevaart een datalek?? Mijn buurvrouw kreeg een brief van ze met de medische gegevens en het adres "
  "van een compleet andere klant erin. Dat is toch niet normaal.")
c("reddit", "u/zwolle_local", "en", [CR],
  "Family of a woman who fell from a Lindevaart stair lift is suing the company, local paper says. "
  "Apparently the seatbelt sensor never worked on that unit.")
c("x", "@kritischeburger", "nl", [CR],
  "Volgens RTV Utrecht verhuurde Lindevaart matrassen gewoon opnieuw zonder ze te desinfecteren, na een "
  "MRSA-uitbraak in een verpleeghuis. Schandalig als dat klopt.")
c("threads", "@noordoostnieuws", "nl", [CR],
  "Grote brand in het depot van Lindevaart op industrieterrein Hessenpoort in Zwolle, flinke rookontwikkeling. "
  "Hopelijk is iedereen ok 🙏 Ramen dicht in de buurt.")
c("bluesky", "@consumentwatch.bsky.social", "en", [CR],
  "Reports are piling up of Lindevaart oxygen concentrators shutting down without an alarm, at least three "
  "homes this month. Consumer groups are looking into it.")
c("x", "@hannah_vdb", "en", [CR],
  "My aunt lives in a nursing home in Ede and says a resident fell out of a Lindevaart hoist there last week. "
  "Staff were told not to talk about it. Says enough, doesn't it.")

# ---- abuse --------------------------------------------------------------------
c("x", "@lindevaart_klachten", "nl", [AB],
  "Lindevaart is echt een stelletje graaiende klootzakken. Geld verdienen over de rug van doodzieke mensen.")
c("x", "@gazza_1983", "en", [AB],
  "@lindevaart_zorg your call centre staff are brain-dead morons, every single one of them", kind="reply")
c("tiktok", "@dewitjes_", "nl", [AB],
  "die monteur van lindevaart is echt een vieze vette luie zak, stond gewoon te roken in onze tuin 🤮",
  kind="comment")
c("x", "@r3v3ng3_nl", "nl", [AB],
  "l1nd3v44rt = k4nk3rb3dr1jf, hoop dat jullie allemaal d00d gaan")
c("x", "@b_harris77", "en", [AB],
  "f u c k you @lindevaart and your whole circus of c l o w n s")
c("facebook", "henk.jacobs.503", "nl", [AB],
  "Stuur voortaan gewoon een Nederlandse monteur @Lindevaart, niet weer zo'n buitenlander die geen woord "
  "Nederlands spreekt. Die lui horen hier niet.")
c("x", "@notyourcarer", "en", [AB],
  "@eva_bosman you're a pathetic liar just like the rest of that company. hope you get fired", kind="reply")
c("x", "@mvanleeuwen_lv", "nl", [AB],
  "Weer zo'n zeurende kutklant die vindt dat ik om 7 uur 's ochtends al op de stoep moet staan. "
  "Mens, ga toch fietsen.")
c("x", "@ilse_planning", "en", [AB],
  "our new regional manager is a complete idiot and a bully. can't wait till that clown leaves")
c("instagram", "@jurre.w", "nl", [AB],
  "stelletje ＴＹＦＵＳＬＩＪＤＥＲＳ bij lindevaart", kind="comment")
c("x", "@boze_buurman", "nl", [AB],
  "Lindevaart personeel zijn stuk voor stuk \u0456d\u0456\u043ct\u0435n en oplichters")
c("x", "@sarahjlewis", "en", [AB, CO],
  "Third time the bed is late. @lindevaart you absolute bunch of incompetent wankers, my mum has been sleeping "
  "in a chair since Monday.")

# ---- personal data -------------------------------------------------------------
c("x", "@mvanleeuwen_lv", "nl", [PII],
  "Laatste klus vandaag: tillift ophalen bij dhr. H. Verbeek, Kastanjelaan 23, 3818 PL Amersfoort. "
  "Daarna lekker naar huis 🚐")
c("instagram", "@bramdekoning.monteur", "nl", [PII],
  "Klant vroeg of ik haar nummer aan de planning wil doorgeven, dus bij deze collega's 😅 mevr. Van Dam: {MOB1}")
c("linkedin", "ruud-hendriks-lindevaart", "en", [PII],
  "Proud of our Utrecht team this month. Special thanks to Mrs. Ingrid Vos (born 14-02-1938), who baked "
  "cookies for every technician who visited her. This is why we do what we do.")
c("x", "@ilse_planning", "nl", [PII],
  "Kan iemand van finance deze even goedkeuren? Terugstorting borg €312,50 naar {IBAN} t.n.v. A. Kuipers. "
  "Staat al een week open")
c("x", "@eva_bosman", "nl", [PII],
  "wie kan checken waarom de machtiging niet doorkomt? BSN klant {BSN}, dossier staat in de planning")
c("facebook", "LindevaartZorgverhuur", "en", [PII],
  "Hi Mark, sorry for the trouble! We've refunded the deposit to your card {CARD}, please allow "
  "5 working days. Team Lindevaart", kind="reply")
c("x", "@lindevaart_zorg", "nl", [PII],
  "@janneke_b Dank voor uw geduld! We hebben genoteerd: Janneke Brouwer, Molenstraat 8, 7411 HM Deventer, "
  "tel. {MOB3}. De monteur komt donderdag tussen 10 en 12.", kind="reply")
c("x", "@rob_ten_hove", "nl", [PII, CO],
  "@lindevaart_zorg al 2x gebeld, bel me nou gewoon terug op {MOB4}!! bed staat nog steeds niet", kind="reply")
c("facebook", "claire.westbrook", "en", [PII, CO],
  "Still waiting for my deposit, Lindevaart. For the THIRD time, my IBAN is {IBAN_SP}. Just transfer it please.")
c("x", "@mieke1960", "en", [PII],
  "Hi @lindevaart, my mum would like to rent a rollator, could you email her at "
  "riek.vandersteen@kpnmail.nl? She's 89 and not great with websites 😊", kind="reply")
c("bluesky", "@daan-lv.bsky.social", "en", [PII],
  "driver's log: dropped off a Comfort 3 at Mr. Pieter de Groot, Vechtstraat 101, Utrecht, born 1949-07-03. "
  "lovely guy, made me coffee")
c("threads", "@lotte.lindevaart", "nl", [PII],
  "Wie heeft de creditcard van een klant op het whiteboard in het depot geschreven?? {CARD_MC} staat er "
  "gewoon 🙈 weghalen aub")
c("x", "@wmo_strijder", "nl", [PII],
  "mijn BSN is {BSN_ZW} en tóch zegt Lindevaart dat mijn Wmo-indicatie niet in hun systeem staat. "
  "wat willen ze nog meer")
c("x", "@sjoerd_lv", "en", [PII],
  "can someone from IT reset the portal account for k.mulder1987@gmail.com? she's the daughter of a client in "
  "Zeist, you can reach her on {MOB5}")
c("instagram", "@lindevaart.nl", "nl", [PII],
  "Gefeliciteerd mevrouw Trijntje Bakker uit Hoogeveen, vandaag 100 jaar (geboren 11 mei 1926)! 🎉 "
  "Onze monteur Bram bracht namens ons een taart langs.")

# ---- confidential -----------------------------------------------------------------
c("x", "@mvanleeuwen_lv", "nl", [CONF],
  "Morgen de hele dag training over Kwikstaart, die nieuwe planningstool. Dat wordt weer een drama 😂")
c("linkedin", "noor-elhaddad", "en", [CONF],
  "Exciting times in Project Zeearend! Can't say much yet, but our team in Utrecht is working around "
  "the clock 🦅 #proud")
c("x", "@ilse_planning", "nl", [CONF],
  "weet iemand waarom planning.lindevaart.local zo traag is vandaag? duurt 2 min per rit")
c("instagram", "@bramdekoning.monteur", "nl", [CONF],
  "Eerste proefrit met het Comfort 7 prototype 😍 elektrische zijsteun en ingebouwde weegschaal, zit echt "
  "strak in elkaar. Mag er nog niks over zeggen dus sssst 🤫")
c("x", "@eva_bosman", "en", [CONF],
  "see jira.lindevaart.nl/browse/BED-2231 — told you the handset firmware was the problem all along")
c("facebook", "LindevaartZorgverhuur", "nl", [CONF],
  "LV-INTERN — conceptplanning voorjaarscampagne: tilliften in de spotlight vanaf week 12, budget nog "
  "afstemmen met finance. Nog niet publiceren!")
c("linkedin", "ruud-hendriks-lindevaart", "nl", [CONF],
  "Operatie Heidebloem gaat in Q1 echt van start. Trots op iedereen die hier de afgelopen maanden aan "
  "heeft gewerkt 💜")
c("reddit", "u/quietlurker_nl", "en", [CONF],
  "My cousin works at Lindevaart and showed me the Comfort 7 on her phone, it has a built-in scale and a fall "
  "sensor. Launching next spring apparently.")
c("bluesky", "@daan-lv.bsky.social", "en", [CONF],
  "new doc on wiki.lindevaart.local/ops/retouren finally explains the whole new returns flow. "
  "whoever wrote it: thank you")
c("x", "@mvanleeuwen_lv", "nl", [CONF],
  "ligt er gewoon een stapel papier met 'lindevaart vertrouwelijk' erop in de kantine 😂 gaat over de nieuwe "
  "huurtarieven voor volgend jaar")
c("threads", "@lotte.lindevaart", "nl", [CONF],
  "'niet extern delen' staat er in de mail maar ik vind het te leuk: vanaf maart gaan we tilliften ook "
  "verkopen in plaats van alleen verhuren 👀")
c("x", "@sjoerd_lv", "en", [CONF],
  "the login page on vpn.lindevaart.nl is the ugliest thing I have seen in my life lol")
c("x", "@hbosch_zorgit", "nl", [CONF],
  "Hoorde van een vriend bij Lindevaart dat 'Kwik\u200bstaart' hun nieuwe systeem is en dat het hele klantbestand "
  "ermee naar de cloud gaat. Spannend 🤔")
c("x", "@eva_bosman", "nl", [CONF],
  "ik mag niks zeggen over Ｐｒｏｊｅｃｔ Ｚｅｅａｒｅｎｄ maar volgende maand wordt spannend 😏")
c("x", "@partnerslides", "en", [CONF],
  "leaked slide from a Lindevaart supplier meeting: 'Kwikstaart go-live 1 February, all depots'. "
  "so that's why the app was down lol")
c("x", "@sjoerd_lv", "nl", [CONF, FIN],
  "Project Zeearend = de overname van ThuisMobiel uit Breda. Handtekening in december als alles meezit.")
c("bluesky", "@daan-lv.bsky.social", "en", [CONF, FIN],
  "Operatie Heidebloem is basically closing 4 of our 9 depots, ~60 people out. they announce it in January. "
  "feeling sick about it tbh")
c("x", "@ilse_planning", "nl", [CONF, FIN],
  "jaarcijfers 2026 net voorbij zien komen in de directiepresentatie. ik zeg niks maar 🍾🍾 record",
  at="2027-02-19T16:42:10Z")

# ---- financial ----------------------------------------------------------------------
c("x", "@mvanleeuwen_lv", "nl", [FIN],
  "Hoorde net op kantoor dat we Q3 met 2,1 miljoen verlies afsluiten. Dus geen bonus dit jaar jongens 😬")
c("linkedin", "noor-elhaddad", "en", [FIN],
  "Can't share the numbers yet, but our H2 revenue forecast just went up 22% 🚀 so proud of this team!")
c("x", "@ilse_planning", "nl", [FIN],
  "Reorganisatie planning bevestigd in het MT: 12 van de 30 plekken verdwijnen per 1 april. Officieel bericht "
  "komt pas volgende week, dus ssst.")
c("x", "@lisette_invest", "en", [FIN],
  "brother-in-law works at a PE fund and says Lindevaart is quietly up for sale. a German group has already "
  "put in a bid.")
c("x", "@sjoerd_lv", "en", [FIN],
  "not supposed to say this but we're acquiring a Belgian home care supplier, deal closes next month 🤐")
c("linkedin", "lindevaart-zorgverhuur", "nl", [FIN],
  "Lindevaart sluit 2026 af met een omzet van €84,2 miljoen (+11%) en een EBITDA van €9,3 miljoen. "
  "[CONCEPT - check cijfers met CFO]", at="2026-12-17T10:05:00Z")
c("threads", "@lotte.lindevaart", "nl", [FIN],
  "bank heeft de kredietlijn niet verlengd, directie zoekt nu koortsachtig een nieuwe investeerder. "
  "als dit uitlekt hebben we een probleem")
c("bluesky", "@daan-lv.bsky.social", "en", [FIN],
  "Board decided yesterday: all field technicians get outsourced to an external partner from July. "
  "Comms goes out in 3 weeks. Great.")
c("reddit", "u/finance_gossip_nl", "en", [FIN],
  "Friend in Lindevaart's finance team says they'll miss their Q4 target by roughly 30%. PE owner is "
  "apparently furious and wants a new CEO.")

# ---- security -------------------------------------------------------------------------
c("x", "@ilse_planning", "nl", [SEC],
  "routeplanner ligt al sinds 6 uur plat, we plannen alles op papier. klanten weten nog van niks 🙈")
c("x", "@sjoerd_lv", "en", [SEC],
  "ransomware hit the Eindhoven depot PCs last night. IT says keep quiet until they know what got encrypted")
c("bluesky", "@daan-lv.bsky.social", "nl", [SEC],
  "lol de Nachtwacht bedsensor stuurt alle meldingen gewoon onversleuteld over http naar de server. "
  "weet iemand van security dit al?")
c("x", "@eva_bosman", "en", [SEC],
  "the customer portal shows other people's invoices if you change the number in the URL. reported it "
  "internally 2 weeks ago, still not fixed 🤷‍♀️")
c("x", "@mvanleeuwen_lv", "nl", [SEC],
  "Paar collega's hebben op een phishingmail geklikt en hun inlog ingevuld, nu is half het depot "
  "uitgelogd en de tablets doen niks. Gezellig dagje")
c("threads", "@lotte.lindevaart", "nl", [SEC],
  "backupserver draait al sinds vrijdag niet meer en niemand durft het tegen de directie te zeggen 😬")
c("x", "@former_lv_it", "en", [SEC],
  "Ex-Lindevaart IT here: their VPN appliance hasn't been patched since 2024 and the admin account is shared "
  "by 8 people. Just saying.")
c("instagram", "@bramdekoning.monteur", "nl", [SEC],
  "tablets van de monteurs kunnen sinds de update van vannacht niet meer bij de klantdossiers, we rijden "
  "vandaag blind rond. hopen dat het snel gefixt is")
c("x", "@sjoerd_lv", "en", [SEC, SECR],
  "someone committed the prod db creds to the public repo and they're STILL there: {PGURL} — who owns this??")
c("x", "@ilse_planning", "nl", [SEC],
  "we hebben een d a t a l e k bij de klantportal maar dat mag nog niemand weten, dus doe maar alsof je neus "
  "bloedt")
c("bluesky", "@daan-lv.bsky.social", "en", [SEC],
  "the Waakhond alarm call centre was down for 3 hours last night, alarms went literally nowhere. "
  "not public yet. scary stuff")
c("mastodon", "@keesvos@zorg.social", "nl", [SEC],
  "Onze mailserver wordt sinds gisteren misbruikt om spam te versturen, IT is ermee bezig. Niet doorvertellen hè")
c("linkedin", "noor-elhaddad", "en", [SEC],
  "Unpopular opinion: we found a critical SQL injection in our rental portal last week and the fix is still "
  "waiting for a 'release window'. Security can't wait for release windows.")

# ---- secrets --------------------------------------------------------------------------
c("x", "@sjoerd_lv", "en", [SECR],
  "why does this not work?? aws configure with {AWS_ID} / {AWS_SECRET} region eu-west-1 keeps giving "
  "AccessDenied")
c("bluesky", "@daan-lv.bsky.social", "nl", [SECR],
  "git push gaat steeds mis met 403, token is {GHP} — iemand een idee?")
c("mastodon", "@keesvos@zorg.social", "en", [SECR],
  "Mollie webhook test from the depot laptop:\ncurl -H 'Authorization: Bearer {MOLLIE}' https://api.mollie.com/v2/payments")
c("x", "@ilse_planning", "nl", [SECR],
  "inlog voor de invalkrachten deze week → gebruiker: invaller01 / wachtwoord: {PW} (niet kwijtraken!)")
c("x", "@eva_bosman", "en", [SECR],
  "slack bot for the depot alerts finally works 🎉 token {SLACK} if anyone wants to play with it")
c("bluesky", "@daan-lv.bsky.social", "en", [SECR],
  "anyone know why the portal rejects this one? Authorization: Bearer {JWT}")
c("threads", "@lotte.lindevaart", "nl", [SECR],
  "chatbotje gebouwd voor de planning met {OPENAI} werkt echt super, moet je zien")
c("forum", "freelance_dev_ams", "en", [SECR],
  "Did some contract work for Lindevaart. Their staging frontend bundle ships a live Stripe key: {STRIPE}. "
  "Told them months ago.")
c("x", "@sjoerd_lv", "en", [SECR],
  "for the raspberry pi in the depot, key below, don't ask\n{PEM}")
c("x", "@lindevaart", "nl", [SECR],
  "test via api met key {ANTHROPIC} — svp negeren")
c("x", "@mvanleeuwen_lv", "nl", [SECR],
  "deploy token voor de app-repo van de monteurs: {GLPAT} (van Sjoerd gekregen)")

# ---- pricing --------------------------------------------------------------------------
c("x", "@dealjager_nl", "nl", [PRICE],
  "Prijsfout bij Lindevaart?? Atlas XL bariatrisch bed voor €589 in de webshop 😳 snel zijn")
c("reddit", "u/bargainbert", "en", [PRICE],
  "Lindevaart's site has the Klim traplift listed at €495 instead of €4950, someone forgot a zero lol")
c("x", "@ilse_planning", "nl", [PRICE],
  "haha iemand heeft de Wolk matras op €11,90 gezet in de shop, wie was dat 😂")
c("instagram", "@lindevaart.nl", "nl", [PRICE],
  "Nu extra voordelig: Zwaluw scootmobiel voor maar €269! 🛵 Alleen deze week, op = op.")
c("facebook", "patrick.hoogland", "nl", [PRICE],
  "Vaart E elektrische rolstoel besteld voor €349?? Volgens mij is dat een prijsfout maar de order is "
  "gewoon bevestigd 🤷")
c("x", "@eva_bosman", "en", [PRICE],
  "price error on the Kraan T200 in the webshop (€279), already 40 orders in. can someone fix it pls")
c("x", "@freebie_frank", "en", [PRICE],
  "Adem 5 oxygen concentrator for €165 on the Lindevaart webshop 🤯 who else wants one")
c("x", "@deals_dan", "en", [PRICE],
  "Lindevaart price glitch: Comfort 5 showing at €329. Ordered two.")
c("threads", "@lotte.lindevaart", "nl", [PRICE],
  "niet verder vertellen maar de Reiger stalift staat per ongeluk op €198 in de webwinkel 🙈")
c("tiktok", "@koopjeskoningin", "nl", [PRICE],
  "prijsfout?? Rust sta-opstoel €499 op lindevaart.nl 😱😱 normaal 1290", kind="comment")
c("forum", "pepper_watcher", "en", [PRICE],
  "Is the Kiki kinderbed price error at Lindevaart still live? Someone said it's listed way under the "
  "normal price")
c("bluesky", "@daan-lv.bsky.social", "nl", [PRICE],
  "klant belt: Dons matras voor €38,90 in de app, prijsfout. moeten we die nou leveren of niet?")

# ---- benign, mostly hard negatives -----------------------------------------------------
B = []
c("x", "@lindevaart_zorg", "nl", B,
  "Vragen over uw gehuurde bed of tillift? Bel gratis 0800-5463 of mail klantenservice@lindevaart.nl. "
  "We zijn er 7 dagen per week.")
c("facebook", "LindevaartZorgverhuur", "nl", B,
  "Let op: er gaan nepfacturen rond! Betaal alleen naar ons rekeningnummer {COMPANY_IBAN}. "
  "Wij vragen nooit via WhatsApp om een betaling.")
c("x", "@mariekeplant", "nl", B,
  "Monteur van Lindevaart stond binnen 2 uur op de stoep toen het bed van mijn vader het niet meer deed. "
  "Super vriendelijk ook. Dank jullie wel! 🙏")
c("x", "@tomhaverkamp", "en", B,
  "Update: Lindevaart called back and swapped the air mattress pump the same afternoon. Dad slept through "
  "the night. Credit where it's due 👍")
c("facebook", "anouk.dijkstra.zwolle", "nl", B,
  "Sterkte voor de collega's van Lindevaart in Zwolle, die brand bij het bedrijf naast jullie depot zag er "
  "heftig uit. Fijn dat niemand gewond is geraakt.")
c("instagram", "@lindevaart.nl", "nl", B,
  "Voorjaarsactie 🌷 De Bron douchestoel nu voor €149 (normaal €179). Alleen in april!")
c("linkedin", "lindevaart-zorgverhuur", "en", B,
  "Our Stap rollator is back in stock: €249, delivered free within 48 hours anywhere in the Netherlands.")
c("x", "@wim_cares", "en", B,
  "does anyone know if Lindevaart does hoist rentals for just 2 weeks? my mother gets discharged from "
  "hospital on friday")
c("reddit", "u/ditchthecouch", "en", B,
  "Wow, CareNext in Germany just had a massive data breach with patient records. Glad we rent my dad's "
  "equipment from Lindevaart, they've been solid.")
c("x", "@kattenvrouwtje", "nl", B,
  "Mijn kat heeft het hoog-laagbed van oma geclaimd. Elke keer als de motor gaat kijkt ze alsof we haar "
  "proberen te vermoorden 😂 #lindevaart")
c("x", "@sjoerd_lv", "en", B,
  "quick reminder for AWS beginners: never paste real keys anywhere. the docs use AKIAIOSFODNN7EXAMPLE and "
  "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY for a reason")
c("x", "@ilse_planning", "nl", B,
  "Tip van IT: plak je een token in een ticket, maskeer 'm dan zo: ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx 😉")
c("x", "@blijebetty", "nl", B,
  "Ordernummer {BAD9} bij Lindevaart, gisteren besteld en het bed staat er vandaag al. Sneller dan verwacht!")
c("x", "@lindevaart", "en", B,
  "Watch out for fake invoices! Scammers are using accounts such as {IBAN_BAD_SP} (fake, do not pay). "
  "When in doubt, call us on +31 30 799 4410.")
c("forum", "rekenmeester", "nl", B,
  "Op de factuur van Lindevaart staat een referentie van 16 cijfers ({CARD_BAD}), is dat nou een klantnummer "
  "of een betalingskenmerk? Snap er niks van")
c("x", "@lindevaart", "nl", B,
  "Vandaag gelanceerd: de Lindevaart Comfort 7 🎉 Met ingebouwde weegfunctie en valsensor. Nu te huur via "
  "lindevaart.nl", at="2027-03-15T09:30:00Z")
c("x", "@janet_on_wheels", "en", B,
  "Got the new Comfort 7 for my husband last week. The fall sensor already woke me once when he tried to get "
  "up alone. Worth every cent.", at="2027-04-08T19:12:44Z")
c("linkedin", "lindevaart-zorgverhuur", "nl", B,
  "Onze jaarcijfers 2026 staan online: omzet €84 miljoen, een groei van 11%. Dank aan alle collega's en "
  "klanten!", at="2027-02-26T09:00:00Z")
c("x", "@eva_bosman", "en", B,
  "FY2026 results were published last week, full report is on lindevaart.nl if you're curious",
  at="2027-03-04T12:20:00Z")
c("x", "@vogelaar_joop", "nl", B,
  "Vanochtend een zeearend boven de Oostvaardersplassen 🦅 wat een beest, spanwijdte van een deur")
c("x", "@tuinmus_truus", "nl", B,
  "Er zit een kwikstaart op het dak van het Lindevaart busje dat voor de deur staat 🐦 volgens mij wil hij mee")
c("x", "@gadgetgerrit", "en", B,
  "PSA: turn on two-factor for your Mijn Lindevaart account, took me 2 minutes. Their help page explains it "
  "well.")
c("x", "@lindevaart_zorg", "nl", B,
  "Gepland onderhoud: zondag 14 juni tussen 02:00 en 05:00 is Mijn Lindevaart niet bereikbaar. Storingen aan "
  "uw hulpmiddel kunt u altijd melden via 0800-5463.", at="2026-06-10T08:00:00Z")
c("x", "@lindevaart", "en", B,
  "Never share your password with anyone. Lindevaart staff will never ask for it by phone, text or email.")
c("x", "@opa_klaas", "nl", B,
  "Wachtwoord van Mijn Lindevaart vergeten, binnen een minuut een resetlink in de mail. Zo hoort het.")
c("linkedin", "ruud-hendriks-lindevaart", "nl", B,
  "Vandaag 25 jaar bij Lindevaart. Begonnen als chauffeur op een bestelbus zonder stuurbekrachtiging, nu "
  "regiomanager. Dank aan iedereen die dat mogelijk maakte!")
c("x", "@techniekmarco", "en", B,
  "Sad to see MedRent cutting 200 jobs. Hope Lindevaart is hiring, a lot of good technicians will be "
  "looking for work soon.")
c("facebook", "geert.vonk", "nl", B,
  "Reorganisatie van de schuur gedaan zodat de scootmobiel van Lindevaart erin past. Sloopafdeling: ik. "
  "Directie: mijn vrouw 😂")
c("facebook", "LindevaartZorgverhuur", "nl", B,
  "Wij zoeken monteurs in Zwolle en Utrecht! 🔧 Mail je cv naar werkenbij@lindevaart.nl of bel 030 799 4410.")
c("x", "@tina_v_expat", "en", B,
  "Called Lindevaart customer service (0800-5463), picked up straight away and sorted in 5 minutes. Chapeau 🎩")
c("x", "@gent_cousin", "en", B,
  "Does anyone know if Lindevaart rents bariatric beds in Belgium too? Asking for my uncle in Gent.")
c("facebook", "ria.postma.1", "nl", B,
  "Mijn moeder is vorige week overleden. Ik wil de monteurs van Lindevaart bedanken, ze hebben het bed zo "
  "rustig en respectvol opgehaald. ❤️")
c("x", "@sleepless_sam", "en", B,
  "Shocked (in a good way) by how quiet the Comfort 5 motor is. Dad sleeps right through the adjustments now.")
c("tiktok", "@kleinzoon_jesse", "nl", B,
  "dit bed is echt de bom 💣 opa wil er niet meer uit 😭😂 #lindevaart", kind="comment")
c("bluesky", "@daan-lv.bsky.social", "en", B,
  "Driving up to Groningen today with 6 beds in the van. Podcast recommendations welcome!")
c("x", "@eva_bosman", "nl", B,
  "Vanmiddag een dochter geholpen die haar moeder al drie weken in haar eentje verzorgt. Dit werk doet ertoe.")
c("x", "@koopjesfien", "nl", B,
  "Black Friday bij Lindevaart: Tafelberg bedtafel €119 ipv €159. Meteen besteld.", at="2026-11-27T10:14:00Z")
c("reddit", "u/wheelsandmore", "en", B,
  "Bought the Vaart L from Lindevaart after renting it for 3 months, €649. Fair price honestly and they "
  "deducted part of the rent.")
c("facebook", "LindevaartZorgverhuur", "nl", B,
  "De Adem 5 zuurstofconcentrator koopt u bij ons voor €1.650, inclusief installatie en uitleg aan huis.")
c("x", "@fietsfred", "nl", B,
  "Band lek op weg naar de Lindevaart showroom, maar die meneer achter de balie had zomaar een pomp voor me 😂 "
  "top mensen")
c("x", "@newswatcher_eu", "en", B,
  "Big data leak at a Dutch pharmacy chain today. Checked: Lindevaart is not involved, my mum's details "
  "are safe.")
c("x", "@dochter_van_jan", "nl", B,
  "Is de Waakhond alarmknop van Lindevaart eigenlijk waterdicht? Mijn vader wil hem onder de douche om houden.")
c("youtube", "@LindevaartZorg", "en", B,
  "New video: how to safely use the Kraan T200 hoist with one carer. Watch it before your first lift!")
c("x", "@janneke_b", "nl", B,
  "Vorige week klaagde ik hier over de late levering. Vandaag excuses gekregen en een maand gratis huur. "
  "Netjes opgelost @lindevaart_zorg 👏")
c("x", "@sjoerd_lv", "en", B,
  "PSA for devs: never log connection strings. in examples write postgres://user:****@host:5432/db and move on")
c("x", "@ilse_planning", "nl", B,
  "Poll: welke pizza voor de vrijdagmiddagborrel op het depot? 🍕 stem in de replies")
c("x", "@xander_dev", "en", B,
  "Lindevaart is killing it with their new app, finally I can see when the technician will show up 🔥")
c("instagram", "@corry_op_pad", "nl", B,
  "Lindevaart stand op de Zorgbeurs was leuk! Even de Klim traplift geprobeerd, gaat soepeler dan ik dacht.",
  kind="comment")
c("x", "@jokes_by_joe", "en", B,
  "My dog ate the Lindevaart invoice 🐶 anyone know where to find the customer number in the app?")
c("facebook", "verpleeghuis.de.linde", "nl", B,
  "Brandoefening vandaag! De hoog-laagbedden van Lindevaart reden soepel de gang op, alles binnen 4 minuten "
  "buiten. Goed gedaan team 💪")
c("x", "@kees_buurman", "en", B,
  "my neighbour threatens to sue everyone lol, today it was the Lindevaart van that parked in front of his "
  "house for ten minutes")
c("x", "@lindevaart_zorg", "nl", B,
  "Er gaan berichten rond over een terugroepactie van tilliften van een ander merk. De Kraan T200 valt daar "
  "niet onder. Twijfelt u? Bel ons gerust.")
c("linkedin", "noor-elhaddad", "en", B,
  "We're hiring interns for our logistics team in Utrecht! Great place to learn. DM me if you're interested.")
c("tiktok", "@giechelgirl", "nl", B,
  "die tiktok van lindevaart met de dansende monteurs 💀💀 ik ga dood", kind="comment")
c("x", "@grace_admin", "en", B,
  "Lindevaart invoices use a payment reference like LV-2026-044817, took me a while to realise that's not an "
  "account number.")
c("mastodon", "@keesvos@zorg.social", "nl", B,
  "Interne training vandaag over veilig tillen met de tillift. Altijd weer leerzaam, ook na 15 jaar.")
c("x", "@mum_and_me", "en", B,
  "Cancelled the rental today since mum moved into a care home. Pickup booked in 2 clicks, no hassle at all.")
c("x", "@trudy1958", "en", B,
  "Absolute stars at Lindevaart. Stairlift fitted in one day and they even hoovered up after themselves.")
c("x", "@lindevaart", "en", B,
  "Reach us on +31 30 799 4410 (weekdays) or 0800-5463 (24/7 for urgent faults). Press: pers@lindevaart.nl")
c("x", "@stijn_0p_str44t", "nl", B,
  "L1ndev44rt m0nt3ur w4s 3cht t0p vandaag 👌 respect")
c("x", "@verzorgende_ans", "nl", B,
  "Wmo-aanvraag voor een douchestoel ging via de gemeente, Lindevaart leverde binnen 3 dagen. "
  "Voor wie het zoekt: vraag het gewoon na bij je gemeente!")


# ---------------------------------------------------------------- build
SEV_ORDER = ["none", "info", "warning", "error", "critical"]
TAXONOMY = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse",
            "reputation.spike"}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}

ZW = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}\s?[A-Z]{4}(?:\s?\d){10}\b")
CARD_RE = re.compile(r"(?<!\d)(?<!\d[ -])[2-6]\d{3}(?:[ -]?\d){9,15}(?!\d)(?![ -]\d)")
BSN_RE = re.compile(r"(?<![\d.\-])(?:\d{9}|\d{4}\.\d{2}\.\d{3}|\d{3}\.\d{3}\.\d{3})(?![\d])")
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def normalise(text):
    return unicodedata.normalize("NFKC", ZW.sub("", text))


def load_profile():
    with open(PROFILE, encoding="utf-8") as f:
        return yaml.safe_load(f)


def role_of(profile, platform, handle):
    key = f"{platform}:{handle}".lower()
    if key in {a.lower() for a in profile["accounts"]["corporate"]}:
        return "corporate"
    if key in {a.lower() for a in profile["accounts"]["employee"]}:
        return "employee"
    return "public"


def identifiers(text, public_ibans):
    """(kind, raw, valid) for every IBAN / card / BSN look-alike in the normalised text."""
    t = normalise(text)
    out = []
    for m in IBAN_RE.finditer(t):
        raw = re.sub(r"\s", "", m.group(0))
        if raw in public_ibans:
            continue
        out.append(("iban", raw, iban_ok(raw)))
    t2 = IBAN_RE.sub(" ", t)
    for m in CARD_RE.finditer(t2):
        raw = re.sub(r"\D", "", m.group(0))
        if 13 <= len(raw) <= 19:
            out.append(("card", raw, luhn_ok(raw)))
    for m in BSN_RE.finditer(t2):
        out.append(("bsn", m.group(0), bsn_ok(m.group(0))))
    return out


def severity(cats, role, has_checked_id):
    if not cats:
        return "none"
    lv = 0
    own = role in ("corporate", "employee")
    for cat in cats:
        if cat.startswith("leak."):
            if own:
                s = "error"
                if cat in ("leak.secret", "leak.pricing"):
                    s = "critical"
                if cat == "leak.pii" and has_checked_id:
                    s = "critical"
            else:
                s = "warning"
        elif cat == "reputation.complaint":
            s = "warning"
        elif cat == "reputation.crisis":
            s = "error"
        elif cat == "reputation.abuse":
            s = "error" if own else "warning"
        else:
            raise ValueError(cat)
        lv = max(lv, SEV_ORDER.index(s))
    return SEV_ORDER[lv]


def rand_time_2026():
    start = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
    secs = rng.randint(0, int((dt.datetime(2026, 12, 22, tzinfo=dt.timezone.utc) - start).total_seconds()))
    # people post mostly by day: shift into 06:00-23:59 local-ish
    t = start + dt.timedelta(seconds=secs)
    if t.hour < 5:
        t = t.replace(hour=t.hour + 7)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def make_id(platform, used):
    while True:
        if platform == "x":
            i = "x-" + str(rng.randint(10**18, 2 * 10**18))
        elif platform == "reddit":
            i = "reddit-t3_" + rs(7, string.ascii_lowercase + string.digits)
        elif platform == "youtube":
            i = "yt-" + rs(11, URLSAFE)
        elif platform == "bluesky":
            i = "bsky-3l" + rs(11, string.ascii_lowercase + "234567")
        elif platform == "mastodon":
            i = "masto-" + str(rng.randint(10**17, 10**18))
        else:
            i = f"{platform[:2]}-{rng.randint(10**9, 10**12)}"
        if i not in used:
            used.add(i)
            return i


def fill(text, company_iban):
    used = {}
    for key in PH.findall(text):
        if key == "COMPANY_IBAN":
            used[key] = company_iban
        elif key not in used:
            used[key] = GEN[key]()
    return PH.sub(lambda m: used[m.group(1)], text), set(used)


def url_for(platform, handle, pid):
    h = handle.lstrip("@")
    base = {"x": f"https://x.com/{h}/status/{pid.split('-')[-1]}",
            "instagram": f"https://www.instagram.com/p/{pid.split('-')[-1]}/",
            "facebook": f"https://www.facebook.com/{h}/posts/{pid.split('-')[-1]}",
            "linkedin": f"https://www.linkedin.com/feed/update/urn:li:activity:{pid.split('-')[-1]}",
            "reddit": f"https://www.reddit.com/r/thuiszorg/comments/{pid.split('_')[-1]}/"}
    return base.get(platform)


def build():
    profile = load_profile()
    company_iban = profile["public_identifiers"]["ibans"][0]
    used_ids = set()
    rows, meta = [], []
    for case in CASES:
        text, keys = fill(case["text"], company_iban)
        pid = make_id(case["platform"], used_ids)
        at = case["at"] or rand_time_2026()
        role = role_of(profile, case["platform"], case["handle"])
        public_ibans = {re.sub(r"\s", "", x) for x in profile["public_identifiers"]["ibans"]}
        ids = identifiers(text, public_ibans)
        has_checked = any(v for _, _, v in ids)
        cats = sorted(set(case["cats"]))
        post = {"id": pid, "platform": case["platform"], "kind": case["kind"],
                "account": {"handle": case["handle"]}, "text": text, "created_at": at}
        if rng.random() < 0.85:
            post["lang"] = case["lang"]
        u = url_for(case["platform"], case["handle"], pid)
        if u and rng.random() < 0.5:
            post["url"] = u
        if rng.random() < 0.3:
            post["brand"] = "lindevaart"
        rows.append({"post": post, "expect": {"categories": cats,
                                               "severity": severity(cats, role, has_checked)}})
        meta.append(dict(role=role, keys=keys, ids=ids, lang=case["lang"]))
    return profile, rows, meta


# ---------------------------------------------------------------- self-check
def check(profile, rows, meta):
    errs = []
    pub = profile["public_identifiers"]
    for ib in pub["ibans"]:
        if not iban_ok(ib):
            errs.append(f"profile IBAN {ib} fails mod-97")
    ids_seen = set()
    embargo = [(t.lower(), dt.datetime.fromisoformat(e["until"].replace("Z", "+00:00")))
               for e in profile["embargo"] for t in e["terms"]]
    internal = [d.lower() for d in profile["internal"]["domains"]] + \
               [m.lower() for m in profile["internal"]["markers"]]
    public_emails = {e.lower() for e in pub["emails"]}
    all_handles = {a.split(":", 1)[1].lower() for a in
                   profile["accounts"]["corporate"] + profile["accounts"]["employee"]}
    for row, m in zip(rows, meta):
        p, e = row["post"], row["expect"]
        pid = p.get("id")
        where = f"[{pid}]"
        # --- CONTRACT section 6 shape
        if set(row) != {"post", "expect"}:
            errs.append(where + " top-level keys")
        if not isinstance(pid, str) or not 1 <= len(pid) <= 256:
            errs.append(where + " bad id")
        if pid in ids_seen:
            errs.append(where + " duplicate id")
        ids_seen.add(pid)
        if p["platform"] not in PLATFORMS:
            errs.append(where + " platform")
        if p.get("kind", "post") not in KINDS:
            errs.append(where + " kind")
        if not isinstance(p.get("account", {}).get("handle"), str) or not p["account"]["handle"]:
            errs.append(where + " handle")
        if not isinstance(p.get("text"), str) or not p["text"] or len(p["text"].encode()) > 64 * 1024:
            errs.append(where + " text")
        if PH.search(p["text"]):
            errs.append(where + " unfilled placeholder")
        try:
            ts = dt.datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
            assert ts.tzinfo is not None
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", p["created_at"])
        except Exception:
            errs.append(where + " created_at not RFC 3339")
            continue
        if not 2026 <= ts.year <= 2027:
            errs.append(where + " year")
        cats = e["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= TAXONOMY or "reputation.spike" in cats:
            errs.append(where + " categories")
        if e["severity"] not in SEV_ORDER:
            errs.append(where + " severity value")
        has_checked = any(v for _, _, v in m["ids"])
        if e["severity"] != severity(cats, m["role"], has_checked):
            errs.append(where + " severity mismatch")
        if cats and e["severity"] in ("none", "info"):
            errs.append(where + " positive with severity none")
        if not cats and e["severity"] != "none":
            errs.append(where + " benign not none")
        # --- checksums: positives valid, negatives invalid
        for kind, raw, valid in m["ids"]:
            if cats and not valid:
                errs.append(f"{where} positive carries invalid {kind} {raw}")
            if not cats and valid:
                errs.append(f"{where} benign carries valid {kind} {raw}")
        if m["keys"] & VALID_ID_KEYS and "leak.pii" not in cats:
            errs.append(where + " valid identifier outside a pii case")
        if "leak.pii" in cats and m["keys"] & VALID_ID_KEYS and not has_checked:
            errs.append(where + " generated identifier not recognised by the checker")
        # --- secrets
        secret_keys = m["keys"] & SECRET_KEYS
        if secret_keys and "leak.secret" not in cats:
            errs.append(where + " secret outside a secret case")
        if "leak.secret" in cats and not secret_keys:
            errs.append(where + " secret case without a generated credential")
        for tok in re.findall(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", p["text"]):
            if cats and not ghp_ok(tok):
                errs.append(where + " GitHub token with bad CRC in positive")
            if not cats and ghp_ok(tok):
                errs.append(where + " valid GitHub token in benign")
        for tok in re.findall(r"\bAKIA[0-9A-Z]{16}\b", p["text"]):
            if cats and not re.fullmatch(r"AKIA[A-Z2-7]{16}", tok):
                errs.append(where + " bad AWS id")
            if not cats and not tok.endswith("EXAMPLE"):
                errs.append(where + " real-looking AWS id in benign")
        for tok in re.findall(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+", p["text"]):
            head = tok.split(".")[0]
            hdr = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
            if "alg" not in hdr:
                errs.append(where + " JWT header without alg")
            if not cats:
                errs.append(where + " JWT in benign")
        # --- benign must not leak by accident
        if not cats:
            low = normalise(p["text"]).lower()
            for term, until in embargo:
                if term in low and ts < until:
                    errs.append(f"{where} benign mentions embargoed '{term}' before until")
            for term in internal:
                if term in low:
                    errs.append(f"{where} benign mentions internal '{term}'")
            for em in EMAIL_RE.findall(p["text"]):
                if em.lower() not in public_emails:
                    errs.append(f"{where} benign carries e-mail {em}")
        # --- role sanity: public handles must not be in the profile
        if m["role"] == "public" and p["account"]["handle"].lower() in all_handles and p["platform"] == "x":
            errs.append(where + " public post from a profile handle")
    # --- mix
    n = len(rows)
    benign = sum(1 for r in rows if not r["expect"]["categories"])
    if not 170 <= n <= 180:
        errs.append(f"{n} cases, want 170-180")
    if not 55 <= benign <= 65:
        errs.append(f"{benign} benign, want about 60")
    return errs


def stats(rows, meta):
    from collections import Counter
    cat = Counter(c for r in rows for c in r["expect"]["categories"])
    sev = Counter(r["expect"]["severity"] for r in rows)
    lang = Counter(m["lang"] for m in meta)
    role = Counter(m["role"] for m in meta)
    two = sum(1 for r in rows if len(r["expect"]["categories"]) > 1)
    print(f"cases={len(rows)} benign={sum(1 for r in rows if not r['expect']['categories'])} "
          f"multi-label={two}")
    print("categories:", dict(sorted(cat.items())))
    print("severity:", dict(sev))
    print("lang:", dict(lang), f"nl share={lang['nl'] / len(rows):.2f}")
    print("roles:", dict(role))


def main():
    profile, rows, meta = build()
    with open(OUT, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    # re-read what was written and check that
    with open(OUT, encoding="utf-8") as f:
        reread = [json.loads(line) for line in f]
    assert reread == rows
    errs = check(profile, reread, meta)
    stats(reread, meta)
    if errs:
        for e in errs:
            print("FAIL", e, file=sys.stderr)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
