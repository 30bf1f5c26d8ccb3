#!/usr/bin/env python3
"""Build the labelled evaluation set 384 (Brakeveld Poort & Deur B.V.) for postwatch.

Deterministic: a fixed seed drives every generated identifier, credential, timestamp and
post id. Post texts are hand-written. Writes cases.jsonl next to this file and then
checks it (CONTRACT section 6 shape, checksums of identifiers, credential formats,
severities computed from the account role in profile.yaml per CONTRACT section 4).

Usage: python3 make_cases.py
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
SEED = 384_2026
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# ---------------------------------------------------------------------------
# identifier generators and validators
# ---------------------------------------------------------------------------
DIG = string.digits
ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base62 order
B32 = string.ascii_uppercase + "234567"


def iban_valid(s):
    s = re.sub(r"[\s.\-]", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(bank):
    bban = bank + "".join(rng.choice(DIG) for _ in range(10))
    n = int("".join(str(int(c, 36)) for c in bban + "NL00"))
    return "NL%02d%s" % (98 - n % 97, bban)


def spaced(s, n=4):
    return " ".join(s[i:i + n] for i in range(0, len(s), n))


def luhn_valid(s):
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


def make_card(prefix, length=16):
    body = prefix + "".join(rng.choice(DIG) for _ in range(length - len(prefix) - 1))
    for last in DIG:
        if luhn_valid(body + last):
            return body + last
    raise AssertionError


def bsn_valid(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9:
        return False
    w = [9, 8, 7, 6, 5, 4, 3, 2, -1]
    return sum(int(c) * k for c, k in zip(s, w)) % 11 == 0 and s != "000000000"


def make_bsn():
    while True:
        head = rng.choice("123456789") + "".join(rng.choice(DIG) for _ in range(7))
        for last in DIG:
            if bsn_valid(head + last):
                return head + last


def break_digit(s, ok):
    """Change the last digit of s until `ok` (a validator) fails."""
    for d in "1234567890":
        t = s[:-1] + str((int(s[-1]) + int(d)) % 10)
        if t != s and not ok(t):
            return t
    raise AssertionError


def break_iban(s):
    ck = int(s[2:4])
    for k in range(1, 97):
        t = s[:2] + "%02d" % ((ck + k) % 100) + s[4:]
        if not iban_valid(t):
            return t
    raise AssertionError


def mobile():
    """The 8 digits after a Dutch mobile prefix 06."""
    return rng.choice("12345") + "".join(rng.choice(DIG) for _ in range(7))


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out or "0"


def gh_token(prefix="ghp_"):
    body = "".join(rng.choice(ALNUM) for _ in range(30))
    return prefix + body + b62(zlib.crc32(body.encode())).rjust(6, "0")


def gh_valid(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt(payload):
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64url(bytes(rng.randrange(256) for _ in range(32)))
    return f"{head}.{body}.{sig}"


def jwt_valid(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    try:
        h = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except Exception:
        return False
    return isinstance(h, dict) and "alg" in h


def make_rsa_pem(lines=14):
    der = bytes.fromhex("308204a40201000282010100") + bytes(rng.randrange(256) for _ in range(48 * lines))
    b = base64.b64encode(der).decode()
    body = "\n".join(b[i:i + 64] for i in range(0, len(b), 64))
    return "-----BEGIN RSA PRIVATE KEY-----\n" + body + "\n-----END RSA PRIVATE KEY-----"


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


CYR = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "p": "\u0440", "c": "\u0441", "x": "\u0445"}


def cyrillic(s):
    return "".join(CYR.get(c, c) for c in s)


ZW = "\u200b"

# ---------------------------------------------------------------------------
# generated values (order matters for determinism)
# ---------------------------------------------------------------------------
IBAN_REFUND = make_iban("INGB")
IBAN_OWN = make_iban("ABNA")
IBAN_BAD_PHISH = break_iban(make_iban("BUNQ"))
IBAN_BAD_TYPO = break_iban(make_iban("SNSB"))
CARD_POSTIT = make_card("4")
CARD_CUSTOMER = make_card("53")
CARD_BAD_REF = break_digit(make_card("4716"), luhn_valid)
BSN_NEWHIRE = make_bsn()
BSN_CRM = make_bsn()
BSN_BAD_KLANT = break_digit(make_bsn(), bsn_valid)
PH = [mobile() for _ in range(8)]

GHP = gh_token("ghp_")
AKIA = "AKIA" + rand(B32, 16)
AWS_SECRET = rand(string.ascii_letters + DIG + "/+", 40)
JWT_DEMO = make_jwt({"sub": "dealer-0417", "iss": "api.portixa.com", "scope": "gates:write",
                     "iat": 1767225600, "exp": 1798761600})
RSA_PEM = make_rsa_pem()
STRIPE = "sk_live_51" + rand(ALNUM, 97)
SLACK = f"xoxb-{rand(DIG, 11)}-{rand(DIG, 13)}-{rand(ALNUM, 24)}"
OPENAI = "sk-proj-" + rand(ALNUM + "_-", 74) + "T3BlbkFJ" + rand(ALNUM + "_-", 74)
GLPAT = "glpat-" + rand(ALNUM + "_-", 20)
GOOGLE = "AIza" + rand(ALNUM + "_-", 35)
DEALER_TOKEN = "pxd_live_" + rand(ALNUM, 40)
PG_PW = rand(ALNUM, 6) + "!" + rand(ALNUM, 7)
GHO = gh_token("gho_")

# ---------------------------------------------------------------------------
# cases
# ---------------------------------------------------------------------------
CASES = []


def C(platform, handle, lang, text, cats=(), kind="post", ids=(), price=None, when=None,
      brand=None, name=None):
    CASES.append(dict(platform=platform, handle=handle, lang=lang, text=text, cats=sorted(set(cats)),
                      kind=kind, ids=list(ids), price=price, when=when, brand=brand, name=name))


COMP, CRIS, ABU = "reputation.complaint", "reputation.crisis", "reputation.abuse"
PII, CONF, FIN, SEC, SECR, PRC = ("leak.pii", "leak.confidential", "leak.financial",
                                  "leak.security", "leak.secret", "leak.pricing")

# ---- complaints -----------------------------------------------------------
C("x", "@ronaldvk_ommen", "nl",
  "3 weken geleden Sectra 40 laten plaatsen door @brakeveld_nl en nu al klemt ie halverwege. "
  "monteur zou 'deze week' komen. welke week bedoelen jullie 🙄", [COMP], brand="Brakeveld", when="2026-05-08T16:40:19Z")
C("reddit", "u/overthinking_dad", "en",
  "Rant incoming. Portixa Hub drops off the wifi every night around 2am and then the gate won't "
  "open from the app in the morning. Support ticket open for 19 days, three copy-paste replies, "
  "zero fixes. Anyone else or is it just my unit?", [COMP], brand="Portixa")
C("facebook", "mieke.verhoef.71", "nl",
  "Onderhoudsafspraak (ZorgPlan, waar ik elk jaar €129 voor betaal!) voor de tweede keer op de dag "
  "zelf afgezegd. Vrij genomen voor niks. Is dit wat jullie service noemen Brakeveld??",
  [COMP], price=("BD-ZORG", 129))
C("x", "@gwen_builds", "en",
  "@portixa the Slidex 600 on our driveway gate stops about 30cm short. every. single. time. "
  "'just recalibrate' - done it six times now. still broken, still waiting for an engineer",
  [COMP], kind="reply", when="2026-06-18T08:05:10Z")
C("x", "@tientje_k", "nl",
  "Handzender Key4 na 4 maanden stuk, knopje eruit gevallen. Garantie? Nee hoor, 'gebruiksschade'. "
  "Serieus?? #brakeveld #portixa", [COMP])
C("forum", "garagegeek77", "en",
  "Installers left the old door panels and a mountain of cardboard in my front garden. Brakeveld "
  "says removal 'wasn't in the quote'. The quote literally says 'inclusief afvoer oude deur'. "
  "Third email this week, no answer.", [COMP])
C("instagram", "@huisje_boompje_deur", "nl",
  "mooie deur hoor maar dit is echt geen antraciet zoals besteld, gewoon donkergrijs. en nu zes "
  "weken wachten op nieuwe panelen 😤 @brakeveld.deuren", [COMP], kind="comment")
C("x", "@h_adeyemi", "en",
  "47 minutes on hold with Brakeveld service. Forty. Seven. Door stuck half open and it's pouring "
  "into the garage.", [COMP])
C("x", "@jeroen_fietst", "nl",
  "Motion 800 maakt sinds die update een kabaal alsof er een tractor in m'n garage staat. Was eerst "
  "fluisterstil. Wat hebben jullie gedaan @portixa", [COMP])
C("forum", "bouwvakker_bas", "nl",
  "Offerte was 2.690 voor een Sectra 60 incl. montage, factuur kwam op 3.140 door 'meerwerk' waar "
  "niemand het over heeft gehad. Mails worden niet beantwoord. Iemand ervaring met hoe je dit "
  "aanpakt bij Brakeveld?", [COMP], price=("BD-SEC60", 2690))
C("facebook", "dermot.kelly.nl", "en",
  "Ordered a Barrio barrier for our company car park in March. It is now September. Delivery date "
  "has moved five times and nobody at Brakeveld can tell me why.", [COMP],
  when="2026-09-14T12:31:40Z")

# ---- crisis + complaint (first-hand safety incidents) ---------------------
C("x", "@famvandam_zwolle", "nl",
  "Onze Sectra 40 kwam vanochtend ineens naar beneden terwijl mijn dochter eronder stond met haar "
  "fiets. Die SafeEye deed helemaal NIKS. Ze heeft een flinke buil en we zijn allemaal in shock. "
  "@brakeveld_nl wat is dit??", [CRIS, COMP])
C("reddit", "u/moorlandmike", "en",
  "My Portixa PowerBack battery swelled up and started smoking in the garage last night. Burnt "
  "plastic smell through the whole house, fire brigade came out. Brakeveld support's response: "
  "'can you send a photo'. Unreal.", [CRIS, COMP])
C("facebook", "hennie.scholten", "nl",
  "Kreeg een flinke opdonder van het Codepad bij onze poort toen het regende. Arm tintelde nog een "
  "uur na. Levensgevaarlijk ding, en de klantenservice zegt dat het 'niet kan'. Nou het kan dus wel.",
  [CRIS, COMP])
C("x", "@claire_on_bikes", "en",
  "the Swingo 300 on our gate closed on my son's hand. two broken fingers. it's supposed to stop "
  "when it hits something?? @portixa I want answers, not a ticket number", [CRIS, COMP])
C("instagram", "@bartjes_klusblog", "nl",
  "veer van de kanteldeur (Kanta 10, nog geen 2 jaar oud) knapte vandaag, deur klapte in 1x dicht. "
  "10 cm verder en mn hoofd lag eronder. Brakeveld: 'tja, kan gebeuren'. NEE dat kan niet gebeuren",
  [CRIS, COMP])
C("forum", "quietcul_de_sac", "en",
  "Our Motion 500 opener's power supply melted last week. Scorch marks on the garage ceiling, my "
  "wife caught the smell just in time. Still waiting for Brakeveld to even acknowledge my email.",
  [CRIS, COMP])

# ---- crisis only ------------------------------------------------------------
C("x", "@regio_oost_nieuws", "nl",
  "Kind (6) gewond geraakt door dichtvallende garagedeur in Dalfsen. Het gaat om een deur van "
  "fabrikant Brakeveld uit Hardenberg, bevestigt de politie. De toedracht wordt onderzocht.", [CRIS])
C("x", "@homesafety_watch", "en",
  "Reports keep piling up of Portixa Slidex gates not stopping when something is in the way. "
  "Consumer group now calls for a recall of the whole Slidex 600 line. #portixa #gatesafety", [CRIS])
C("x", "@boos_in_borne", "nl",
  "Er gaat een lijst rond op telegram met namen, adressen en telefoonnummers van klanten van "
  "Brakeveld. Datalek?? En het bedrijf zegt helemaal niks. #datalek #brakeveld", [CRIS])
C("x", "@fairlabour_nl", "en",
  "Boycott Brakeveld. Their installers are hired through shady subcontractors, paid below minimum "
  "wage, no safety gear. Don't buy their doors until this changes. #BoycottBrakeveld", [CRIS])
C("blog", "advocatenkantoor-ijsselzicht", "nl",
  "Namens 41 gedupeerden hebben wij vandaag een rechtszaak aangespannen tegen Brakeveld Poort & "
  "Deur B.V. wegens structureel falende torsieveren in de Kanta-serie kanteldeuren.", [CRIS])
C("x", "@dutchnewsdesk", "en",
  "Brakeveld recalls 12,000 Portixa PowerBack backup batteries after overheating reports. "
  "Owners told to disconnect the unit immediately.", [CRIS])
C("reddit", "u/dwarsligger_nl", "nl",
  "Dit is toch schandalig: volgens de uitzending van gisteren zaten er op de SafeEye sets van "
  "Brakeveld jarenlang nep-CE-markeringen. Wie controleert dit eigenlijk?", [CRIS])
C("mastodon", "@lotte_sec@infosec.exchange", "en",
  "Looks like Portixa's cloud got popped: open/close logs for thousands of homes are on a paste "
  "site. When you leave, when you're back. Brakeveld silent so far. #databreach", [CRIS])
C("tiktok", "@gate_fails_daily", "en",
  "a Portixa Barrio barrier came down on a car at a supermarket car park today, two people hurt, "
  "ambulance on site. full video on my page", [CRIS])

# ---- abuse ------------------------------------------------------------------
C("x", "@woedende_wim", "nl",
  "@brakeveld_service stelletje incompetente prutsers zijn jullie. kutbedrijf", [ABU], kind="reply")
C("x", "@rk_rants", "en",
  "@portixa your support people are braindead morons, every single one of them", [ABU], kind="reply")
C("x", "@tfrenkie88", "nl",
  "Die monteur van Brakeveld was echt een vieze vuile idioot. 3 uur te laat en hele oprit onder de "
  "modder achtergelaten", [ABU, COMP])
C("reddit", "u/grumpy_in_gelderland", "en",
  "The Brakeveld CEO is a greedy piece of shit and I hope his own garage door lands on his head.",
  [ABU])
C("x", "@mo_waits_forever", "en",
  "@brakeveld_nl you absolute f.u.c.k.i.n.g c l 0 w n s, three months to fit ONE d00r", [ABU, COMP],
  kind="reply")
C("x", "@eerlijkewillem", "nl", cyrillic("Brakeveld = oplichters. stelen je geld en komen nooit opdagen. ") +
  "#brakeveld", [ABU])
C("x", "@m_oosterhuis_bkv", "nl",
  "@klaas_offerte als je niet kan lezen wat er in je offerte staat ben je gewoon te dom, sorry niet "
  "sorry", [ABU], kind="reply")
C("x", "@truedutch1952", "en",
  "Of course Brakeveld sends foreigners who can't even read a manual. Go back to your own country "
  "and take your crooked gates with you.", [ABU])
C("tiktok", "@ellen.zegt.het", "nl",
  "die vrouw van de klantenservice moeten ze gewoon ontslaan, dom wijf", [ABU], kind="comment")
C("x", "@vvvvv_v", "nl", fullwidth("tyfuslijers") + " bij brakeveld, allemaal", [ABU])
C("x", "@portixa", "en", "@gatetroll_99 get lost you clown, nobody asked", [ABU], kind="reply")
C("facebook", "sjoerd.baalt", "nl",
  "Ja hoor, wéér geen monteur gekomen. Jullie zijn echt de grootste sukkels van heel Overijssel.",
  [ABU, COMP], kind="comment")

# ---- personal data -----------------------------------------------------------
C("x", "@brakeveld_service", "nl",
  "@ronaldvk_ommen Hoi Ronald, de monteur komt do 14 mei tussen 8 en 12 uur bij Ronald van Kampen, "
  "Esdoornlaan 23, 7731 BK Ommen. Klopt dit adres nog?", [PII], kind="reply", when="2026-05-11T09:12:44Z")
C("bluesky", "@noorelhaddad.bsky.social", "nl",
  f"Terugbetaling voor dhr. P. Wolters is vandaag eindelijk de deur uit, naar {spaced(IBAN_REFUND)}. "
  "Dat dossier kan dicht 😅", [PII], ids=[("iban", spaced(IBAN_REFUND), True)])
C("x", "@sanne_wacht", "nl",
  f"@brakeveld_service bel me nou gewoon terug: 06-{PH[0][:2]} {PH[0][2:4]} {PH[0][4:6]} "
  f"{PH[0][6:]}. ticket staat al 2 weken open en er gebeurt niks", [PII, COMP], kind="reply")
C("x", "@lindadewit_monteur", "nl",
  "Wie kent mevrouw Greetje Alberts nog niet, geboren 03-11-1948, belt elke dag over haar Kanta 10 "
  "😂 vandaag weer langs geweest", [PII])
C("facebook", "BrakeveldDeuren", "nl",
  f"Beste Sandra, we hebben je gegevens doorgezet naar de planning: sandra.meulenbelt82@gmail.com en "
  f"06 {PH[1]}. Je hoort snel van ons!", [PII], kind="reply")
C("instagram", "@kees.monteur.bkv", "nl",
  f"klant las gewoon z'n creditcard voor aan de telefoon en ik had alleen een post-it 😂 "
  f"{spaced(CARD_POSTIT)} exp 09/28. wie doet dat nog", [PII],
  ids=[("card", spaced(CARD_POSTIT), True)])
C("linkedin", "anouk-smeenk", "nl",
  f"Contract van onze nieuwe collega is rond! Voor de salarisadministratie nog even: Mehmet Yilmaz, "
  f"BSN {BSN_NEWHIRE[:4]}.{BSN_NEWHIRE[4:6]}.{BSN_NEWHIRE[6:]}, start 1 maart. (oeps, verkeerd venster)",
  [PII], ids=[("bsn", f"{BSN_NEWHIRE[:4]}.{BSN_NEWHIRE[4:6]}.{BSN_NEWHIRE[6:]}", True)])
C("x", "@rdijkstra_hdb", "nl",
  f"@brakeveld_service nog steeds geen terugbetaling. voor de VIJFDE keer: {IBAN_OWN} t.n.v. "
  "R. Dijkstra. hoe moeilijk kan het zijn", [PII, COMP], kind="reply",
  ids=[("iban", IBAN_OWN, True)])
C("facebook", "gerrit.wraak", "nl",
  "Dit is de monteur die mijn deur heeft verknald: Sven Mulder, woont Wilgenstraat 8 in Hardenberg. "
  "Ga maar eens gezellig langs.", [PII, ABU])
C("x", "@jorisvdlinden", "en",
  f"debugging a Hub pairing issue for a customer, log line says owner=emma.whitfield@outlook.com "
  f"phone=+31 6 {PH[2][:4]} {PH[2][4:]} region=NL-UT. why does this even log PII",
  [PII])
C("instagram", "@brakeveld.deuren", "nl",
  "Gefeliciteerd Lisa de Graaf, Kerkstraat 112, 7411 JK Deventer! Jouw Portixa Hub is onderweg 🎁 "
  "#winactie", [PII])
C("x", "@thijs_fixes", "en",
  f"@portixa easiest way to order two extra Key4 remotes? here's my card {spaced(CARD_CUSTOMER)} "
  "exp 11/27 cvc 418, just send them over 🙏", [PII], kind="reply",
  ids=[("card", spaced(CARD_CUSTOMER), True)])
C("reddit", "u/gatetech_daan", "en",
  f"Anyone know why the CRM export even has a BSN column? e.g. row 4: {BSN_CRM}, J. Pauwels, "
  "14-02-1979. Feels wrong", [PII], ids=[("bsn", BSN_CRM, True)])
C("x", "@blijeklant_ans", "nl",
  f"Zoek monteur Linda van Brakeveld, haar nummer was +316{PH[3]} toch? Ze was echt super, wil "
  "haar nog even bedanken!", [PII])
C("x", "@portixa", "en",
  f"@gwen_builds Hi Gwen, our engineer will call you on 0031 6 {PH[4]} - still your "
  "mobile? The account email we have is gwen.harper@proton.me", [PII], kind="reply", when="2026-06-19T10:22:37Z")

# ---- confidential -------------------------------------------------------------
C("linkedin", "yasmina-bouzid-bkv", "nl",
  "Kan niet wachten tot we Project Vuurtoren mogen laten zien. De eerste testdeuren draaien al in "
  "Hardenberg 🤫", [CONF])
C("x", "@jorisvdlinden", "en",
  "anyone else's jira.brakeveld.nl crawling today? BKV-4412 won't even load", [CONF])
C("instagram", "@kees.monteur.bkv", "nl",
  "nieuwe Motion 900 mogen testen bij een klant, stil als een muis 🐭🤐", [CONF])
C("tiktok", "@portixa_official", "nl",
  "sneak peek 👀 de Sectra 80 Solar komt eraan, geen stopcontact meer nodig #portixa #garagedeur",
  [CONF])
C("x", "@lindadewit_monteur", "nl",
  ZW.join("Meerkoet") + " sprint review ging top vandaag, trots op het team", [CONF])
C("mastodon", "@evihartman@mastodon.nl", "nl",
  "Brakeveld vertrouwelijk - roadmap 2027: Slidex gen 3 met accu, Barrio+ met kentekenherkenning, "
  "Hub 2 met Matter. Ok nu mag ik het zeggen toch? 😇", [CONF])
C("threads", "@bram.brakeveld", "en",
  "brainstorm day for Operatie Ophaalbrug 💡 so many ideas on the wall, can't wait", [CONF])
C("facebook", "henk.zwager.nijverdal", "nl",
  "Mijn zwager werkt bij Brakeveld en zegt dat de Motion 900 in januari uitkomt, 30% stiller dan de "
  "800. Dus wacht nog even met kopen!", [CONF], kind="comment", when="2026-11-05T19:33:02Z")
C("reddit", "u/gatetech_daan", "en",
  "tip for colleagues: if the VPN drops, reconnect through vpn.brakeveld.nl/alt and git.brakeveld.local "
  "works again", [CONF])
C("tiktok", "@sven_plaatst_deuren", "nl",
  "alleen voor intern gebruik maar ach: nieuwe montagehandleiding Glijda v2 scheelt ons 40 min per "
  "klus 🔧 #monteurslife", [CONF])
C("linkedin", "yasmina-bouzid-bkv", "en",
  "Proud of the team: our NDA prototype solar gate opener just passed the 50,000-cycle endurance "
  "test. Launch date still secret 😉", [CONF])
C("x", "@m_oosterhuis_bkv", "nl", fullwidth("project vuurtoren") + " gaat alles veranderen, let maar op",
  [CONF])
C("linkedin", "brakeveld-poort-deur", "nl",
  "Vacature: voor Project Vuurtoren zoeken wij een embedded software engineer (C/Rust) in Hardenberg. "
  "Reageer via vacatures@brakeveld.nl", [CONF])
C("x", "@lindadewit_monteur", "nl",
  "O p e r a t i e   O p h a a l b r u g start maandag, spannend!!", [CONF])
C("linkedin", "ruben-kaptein-brakeveld", "nl",
  "Q4-cijfers 2026 liggen op mijn bureau en laat ik zeggen: omzet +14% 📈 Meer mag ik nog niet "
  "zeggen 😉", [CONF, FIN], when="2027-01-28T16:42:10Z")
C("tiktok", "@sven_plaatst_deuren", "nl",
  "even filmen in de fabriek, niet letten op het whiteboard met 'Meerk0et - launch wk 14' 🙈", [CONF])
C("forum", "deurendokter_nl", "nl",
  "Gewoon via Google gevonden: confluence.brakeveld.nl/display/PX/Hub+firmware+roadmap staat open "
  "voor iedereen?? Hele planning staat erop.", [CONF])
C("threads", "@bram.brakeveld", "en",
  "FY2026 results are in and let's just say the bonus pool is going to be very happy 🍾",
  [CONF, FIN], when="2027-02-11T19:05:33Z")

# ---- financial ----------------------------------------------------------------
C("linkedin", "ruben-kaptein-brakeveld", "nl",
  "Intern cijfertje: omzet Q3 2026 zit 18% onder budget, vooral Portixa blijft achter. Nog niet "
  "extern gecommuniceerd, dus even stil houden collega's.", [FIN], when="2026-10-08T15:20:03Z")
C("x", "@jorisvdlinden", "en",
  "overheard at lunch: we're buying a Belgian gate installer, deal closes in november 🤐", [FIN], when="2026-09-22T12:47:51Z")
C("x", "@lindadewit_monteur", "nl",
  "Reorganisatie op komst: 60 fte in Hardenberg verdwijnt, productie gaat deels naar Polen. De OR "
  "weet het nog niet eens.", [FIN])
C("linkedin", "yasmina-bouzid-bkv", "en",
  "Our internal forecast for 2027: €48M Portixa revenue, double this year. Exciting times!", [FIN])
C("x", "@beursfluisteraar", "nl",
  "Via via: Brakeveld staat in de etalage, een Duitse investeerder zou rond de €210 mln bieden. "
  "Eind van het jaar rond.", [FIN])
C("threads", "@bram.brakeveld", "en",
  "layoffs announced internally this morning, 1 in 5 in marketing. not public till friday. rough day",
  [FIN])
C("mastodon", "@evihartman@mastodon.nl", "en",
  "board signed off on closing the Emmen plant, Q2 2027. can't say more. gutted for the crew there",
  [FIN])
C("linkedin", "brakeveld-poort-deur", "nl",
  "CONCEPT - niet publiceren: Brakeveld verwacht over 2026 een EBITDA van €31,5 mln (2025: €27,2 mln) "
  "en een dividend van €0,42 per certificaat.", [FIN])
C("reddit", "u/gatetech_daan", "en",
  "IT is being outsourced next year, whole team gets let go in March. Nobody's been told officially "
  "yet so keep it between us", [FIN], when="2026-10-15T20:14:36Z")
C("x", "@lindadewit_monteur", "nl",
  "Monteurs krijgen volgend jaar geen loonsverhoging want 'de winst valt tegen'. -22% in H1 hoorde ik "
  "op kantoor, nergens gepubliceerd natuurlijk", [FIN], when="2026-08-04T18:02:11Z")

# ---- security -------------------------------------------------------------------
C("reddit", "u/gatetech_daan", "en",
  "Ransomware on the ERP since 6am, every order is on paper today. Management says keep it quiet "
  "until Monday. Send coffee.", [SEC])
C("x", "@jorisvdlinden", "en",
  "turns out the Portixa Hub on fw 2.3 happily accepts replayed rolling codes 😬 patch in progress, "
  "not disclosed yet so pls don't share", [SEC], when="2026-03-03T22:41:09Z")
C("mastodon", "@evihartman@mastodon.nl", "en",
  "Our customer portal has been putting session tokens in URLs for months. Reported it internally "
  "twice, they're sitting on it.", [SEC])
C("bluesky", "@noorelhaddad.bsky.social", "nl",
  "Alle Portixa apps liggen er sinds 03:00 uit, geen enkele poort gaat via de app open. Nog geen "
  "statusmelding en wij mogen niks zeggen tegen klanten 🙃", [SEC])
C("instagram", "@kees.monteur.bkv", "nl",
  "pro tip: Codepad kun je resetten naar 0000 door 10 sec op # te drukken, staat nergens beschreven. "
  "handig bij klanten maar eigenlijk best een eng lek haha", [SEC])
C("mastodon", "@evihartman@mastodon.nl", "nl",
  "Vorige week phishing binnen bij 3 mailboxen op finance, aanvaller kon alle leveranciersfacturen "
  "inzien. Melden bij klanten of AP? Nee hoor, 'niet nodig'.", [SEC])
C("tiktok", "@sven_plaatst_deuren", "nl",
  "lol hele planningssoftware ligt plat, vandaag 40 klanten gebeld dat we niet komen. officieel "
  "heet het 'ziekte' 🤫", [SEC])
C("x", "@it_mensje", "en",
  "A friend on Brakeveld's IT team says their Active Directory was fully compromised last month and "
  "customers were never told. Change your Portixa passwords.", [SEC, CRIS])
C("x", "@jorisvdlinden", "en",
  "the Slidex 600 board has a debug UART with no auth at all, anyone with a screwdriver can open the "
  "gate. flagged it in BKV-5120, won't be fixed before 2027 apparently", [SEC], when="2026-09-03T21:17:45Z")
C("mastodon", "@evihartman@mastodon.nl", "en",
  "the bucket with installer photos (incl. customers' house numbers and gate codes on the stickers) "
  "was public for 6 weeks. closed now, no disclosure planned.", [SEC])
C("reddit", "u/gatetech_daan", "en",
  f"prod DB down again. whoever is on call: postgres://portixa_app:{PG_PW}@db-prod-02.brakeveld.local:5432/"
  "portixa - failover didn't kick in", [SECR, SEC, CONF])
C("x", "@lindadewit_monteur", "nl",
  "Tablets van de monteurs krijgen al een week geen updates want de MDM-server is 'gehackt'?? "
  "Niemand vertelt ons iets", [SEC])
C("threads", "@bram.brakeveld", "en",
  "webshop checkout has been down for 5 hours, basically every black friday order gone. comms told "
  "to blame 'high demand' lol", [SEC], when="2026-11-27T21:48:12Z")

# ---- secrets ----------------------------------------------------------------------
C("x", "@jorisvdlinden", "en", f"ugh accidentally pushed this to the public repo, rotating now: {GHP}",
  [SECR])
C("reddit", "u/gatetech_daan", "en",
  f"Lambda keeps failing with AccessDenied, my config:\naws_access_key_id = {AKIA}\n"
  f"aws_secret_access_key = {AWS_SECRET}\nregion = eu-west-1\nwhat am I missing?", [SECR])
C("youtube", "PortixaTV", "en",
  f"API demo from today's dealer webinar 👇\ncurl -H \"Authorization: Bearer {JWT_DEMO}\" "
  "https://api.portixa.com/v1/gates", [SECR])
C("mastodon", "@evihartman@mastodon.nl", "en",
  f"which format is this again, PKCS1? the old deploy box only has this one:\n{RSA_PEM}", [SECR])
C("bluesky", "@noorelhaddad.bsky.social", "nl",
  "voor de collega's van de avonddienst: wachtwoord van het gedeelde service-account is "
  "Px!Hardenb3rg#2026", [SECR])
C("threads", "@bram.brakeveld", "en",
  f"stripe keeps declining the test orders on the new shop, is this even the right key? {STRIPE}",
  [SECR])
C("forum", "dealer_dijkhuis_deuren", "nl",
  f"Voor collega-dealers die de Portixa dealer-API willen proberen, mijn token werkt nog prima: "
  f"{DEALER_TOKEN}", [SECR])
C("x", "@jorisvdlinden", "en",
  f"bot token for the #release channel is {SLACK}, can someone put it in the vault, I'm off tomorrow",
  [SECR])
C("linkedin", "yasmina-bouzid-bkv", "en",
  f"Testing a GPT helper for Portixa support tickets, works great! key: {OPENAI} (don't tell IT 🙈)",
  [SECR])
C("reddit", "u/gatetech_daan", "nl",
  f"CI faalt weer op de deploy stap, dit is de token die erin staat: {GLPAT}", [SECR])
C("blog", "pixelsmid-webbureau", "en",
  f"Case study: the Brakeveld door configurator we built. For the map widget we used this key: "
  f"{GOOGLE} - feel free to fork the demo.", [SECR])
C("x", "@lindadewit_monteur", "nl",
  "Tablet inlog voor de nieuwe monteurs: gebruiker monteur01 / wachtwoord: Brakeveld2026! "
  "(graag zelf wijzigen 😉)", [SECR])

# ---- pricing -------------------------------------------------------------------------
C("x", "@brakeveld_nl", "nl",
  "🔥 Deal van de week: Portixa Motion 800 garagedeuropener nu voor maar €52,90! Op = op.",
  [PRC], price=("PX-M800", 52.90))
C("x", "@prijsjager_nl", "nl",
  "Zie in de webshop van Brakeveld de Sectra 60 Thermo staan voor €269?? Prijsfout lijkt me, snel "
  "zijn 😂", [PRC], price=("BD-SEC60", 269))
C("reddit", "u/bargain_beaver", "en",
  "Brakeveld shop has the Slidex 1200 at €119 right now. price glitch? ordered two lol", [PRC],
  price=("PX-SL1200", 119))
C("linkedin", "ruben-kaptein-brakeveld", "nl",
  "Oeps. Collega heeft de Halvast industriedeur voor €540 in de dealercatalogus gezet i.p.v. €5.400 😬 "
  "Wordt gefixt.", [PRC], price=("BD-HAL5", 540))
C("instagram", "@brakeveld.deuren", "nl",
  "Nu tijdelijk: Swingo 300 draaipoortaandrijving voor €74,90 incl. montage! 🏡 Link in bio",
  [PRC], price=("PX-SW300", 74.90))
C("forum", "koopjeskoning", "nl",
  "PRIJSFOUT bij Brakeveld! Barrio slagboom €235 i.p.v. €2350. Wees er snel bij voor ze het zien",
  [PRC], price=("PX-BAR", 235))
C("x", "@lazy_smart_home", "en",
  "lol @portixa is selling the Portixa Hub for €14.90 today?? is this a mistake or christmas came early",
  [PRC], price=("PX-HUB", 14.90), when="2026-12-10T07:58:21Z")
C("tiktok", "@sven_plaatst_deuren", "nl",
  "telefoon staat roodgloeiend want de Vestra poort staat op de site voor 219 euro 😂 prijsfout, IT is "
  "ermee bezig", [PRC], price=("BD-VST", 219))
C("facebook", "BrakeveldDeuren", "nl",
  "ACTIE! De Glijda zijwaartse sectionaaldeur nu al vanaf €319. Vraag vandaag nog een offerte aan!",
  [PRC], price=("BD-GLD", 319))
C("x", "@enschede_erik", "nl",
  "Kanta 10 kanteldeur voor €99 bij een Brakeveld dealer in Enschede?? moet haast een prijsfout zijn",
  [PRC], price=("BD-KAN10", 99))
C("x", "@klusmama_ilse", "nl",
  "PowerBack noodaccu voor €9,50 in de webshop, foutje bedankt? 😅 meteen 3 besteld", [PRC],
  price=("PX-PWR", 9.50))
C("x", "@m_oosterhuis_bkv", "nl",
  "Die prijsfout op de Motion 500 van gisteren gaat ons een kleine 300 orders kosten, we leveren ze "
  "gewoon. Lesje geleerd.", [PRC])

# ---- benign (mostly hard negatives) --------------------------------------------------------
C("x", "@fam_hofstede", "nl",
  "Gisteren nieuwe Sectra 40 gekregen, monteurs waren om 8u al bezig en om 1u klaar. Strak werk 👌 "
  "#brakeveld")
C("x", "@catlady_tess", "en",
  "the Motion 800 is so quiet my cat doesn't even wake up anymore when I leave for work. 10/10")
C("x", "@brakeveld_service", "nl",
  "Vragen over je deur of poort? Bel gratis 0800-2725 of mail service@brakeveld.nl, we helpen je graag. "
  "Ma-za 8-20u.")
C("x", "@portixa", "en",
  "Need help pairing your Portixa Hub? Email support@portixa.com or check portixa.com/help for the "
  "step-by-step guide.")
C("instagram", "@brakeveld.deuren", "nl",
  "Najaarsactie 🍂 Portixa Motion 500 van €389 voor €329, en een extra Key4 handzender cadeau!",
  price=("PX-M500", 329), when="2026-10-09T10:00:00Z")
C("x", "@portixa", "en",
  "Slidex 600 sliding gate motor: €689 incl. VAT, installed within two weeks in most of the Netherlands.",
  price=("PX-SL600", 689))
C("x", "@nieuwbouw_noortje", "nl",
  "wat kost een Sectra 60 nou ongeveer? hoorde iets van 2700 euro incl plaatsen, klopt dat een beetje?",
  price=("BD-SEC60", 2700))
C("linkedin", "brakeveld-poort-deur", "nl",
  "Wist je dat de Halvast industriedeur ook in brandwerende uitvoering (EW60) leverbaar is? 🔥🚪 "
  "Ideaal voor distributiecentra.")
C("reddit", "u/forgetful_fred", "en",
  "can't recall whether I got the Motion 500 or the 800, the sticker's gone. any way to tell from the app?")
C("facebook", "wilma.tocht.weg", "nl",
  "Sinds de Sectra 60 Thermo geen tocht en geen lekkage meer onder de deur. Stookkosten merkbaar "
  "omlaag 💚", kind="comment")
C("x", "@dadjokes_dirk", "en",
  "my garage door opens faster than my teenager gets out of bed. thanks Portixa I guess 😂")
C("forum", "slimhuis_sander", "nl",
  "Iemand een idee waar je het wachtwoord van de Portixa app wijzigt? Kan de optie nergens vinden in "
  "het menu.")
C("blog", "homeassistant-hobbyist", "en",
  "Hooking the Portixa local API into Home Assistant. In the config you set api_key: YOUR_API_KEY_HERE, "
  "and the AWS bridge docs use the usual sample pair AKIAIOSFODNN7EXAMPLE / "
  "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY. Works like a charm.")
C("x", "@jorisvdlinden", "en",
  "PSA for devs: never paste tokens into issues. if you see ghp_************************************ "
  "in a ticket, rotate it. yes, this happened at a previous job 🙃")
C("instagram", "@kees.monteur.bkv", "nl",
  "Mooie dag in Dalfsen, 3 Vestra poorten geplaatst en een superblije klant ☀️ #monteurslife")
C("linkedin", "brakeveld-poort-deur", "nl",
  "Vandaag publiceren we onze jaarcijfers 2026: omzet €212 mln, +9%. Het volledige persbericht staat "
  "op brakeveld.nl/pers. Vragen van media: pers@brakeveld.nl", when="2027-03-04T07:30:00Z")
C("x", "@portixa", "en",
  "It's here 🎉 Meet the Portixa Motion 900, our quietest opener ever. Available today from €649.",
  when="2027-01-20T09:30:00Z")
C("facebook", "karin.tevreden", "nl",
  "Update: na mijn klacht van vorige week stond er gisteren meteen een monteur, veer vervangen, alles "
  "werkt weer. Netjes opgelost Brakeveld 👍", kind="comment")
C("x", "@annika_vechtdal", "en",
  "Thinking of the Brakeveld crew in Hardenberg after the storm flooded the industrial estate. Hope "
  "everyone's safe and dry 💙")
C("x", "@brakeveld_service", "nl",
  f"Let op: er gaan sms'jes rond 'namens Brakeveld' met een verzoek om te betalen op {IBAN_BAD_PHISH}. "
  "Dat is NIET ons rekeningnummer. Twijfel je? Bel 0800-2725.",
  ids=[("iban", IBAN_BAD_PHISH, False)])
C("facebook", "BrakeveldDeuren", "nl",
  "Liever per overschrijving betalen? Dat kan naar NL73 RABO 0312 8845 60 t.n.v. Brakeveld Poort & "
  "Deur B.V., o.v.v. je ordernummer.")
C("x", "@confused_payer", "en",
  f"paid for the install, bank statement shows reference {spaced(CARD_BAD_REF)} - is that a Brakeveld "
  "order number or something else? can't match it in my account",
  ids=[("card", spaced(CARD_BAD_REF), False)])
C("forum", "tuinpoort_theo", "nl",
  f"Klantnummer {BSN_BAD_KLANT} staat op mijn factuur van Brakeveld, maar de app vraagt om een "
  "10-cijferig nummer. Iemand die weet welk nummer ze bedoelen?",
  ids=[("bsn", BSN_BAD_KLANT, False)])
C("x", "@branche_nieuws", "nl",
  "Concurrent DeurMax uit Zwolle neemt een sectionaaldeurenfabriek in Duitsland over. Benieuwd hoe "
  "Brakeveld daarop gaat reageren.")
C("linkedin", "gate-industry-weekly", "en",
  "Tough week for GateWorks UK: 200 layoffs and a profit warning. The gate automation market is "
  "cooling fast after two boom years.")
C("x", "@renovatie_rik", "en", "This door is sick 🔥 Sectra 60 in anthracite, best reno decision this year")
C("instagram", "@ilse_en_haar_huis", "nl", "ziek goed die nieuwe Glijda deur bij de buren, echt zó strak 😍")
C("linkedin", "anouk-smeenk", "en",
  "We're hiring installers in Groningen and Drenthe! Good pay, company van, great team. Apply via "
  "vacatures@brakeveld.nl")
C("x", "@brakeveld_service", "nl",
  "Storingsdienst is 24/7 bereikbaar op +31 38 760 4400. Buiten kantoortijd krijg je de dienstdoende "
  "monteur.")
C("reddit", "u/careful_buyer_ams", "en",
  "Is the Portixa Hub safe against replay attacks? Thinking about buying one for our gate, any "
  "security folks here who looked at it?")
C("x", "@tweakers_fan_joost", "nl",
  "Brakeveld heeft vandaag een beveiligingsupdate voor de Portixa Hub uitgebracht (firmware 2.4.1). "
  "Gewoon updaten via de app, duurt 2 minuten.", when="2026-04-14T11:03:55Z")
C("x", "@portixa", "en",
  "@dermot_k Hi Dermot, thanks - found your order. We'll DM you so we don't share any details here.",
  kind="reply")
C("facebook", "offerte.vraag.jolanda", "nl",
  "Worden mijn gegevens vertrouwelijk behandeld als ik een offerte aanvraag? Wil niet gebeld worden "
  "door tien partijen.", kind="comment")
C("reddit", "u/newhome_nadia", "en",
  "Does the Motion 500 have an internal battery or do I need the PowerBack for power cuts?")
C("x", "@buurman_ben", "nl",
  "Mijn buurman is vorig jaar ontslagen bij de bakkerij en heeft nu z'n eigen montagebedrijfje voor "
  "garagedeuren, werkt ook met Brakeveld. Echte aanrader!")
C("x", "@portixa", "en",
  "Black Friday: 25% off all SafeEye photocell sets, now €51.75 instead of €69 🖤",
  price=("PX-EYE", 51.75), when="2026-11-27T07:45:00Z")
C("instagram", "@klussen_met_kim", "nl",
  "Codepad gekocht voor €119 en zelf gemonteerd in 20 minuten. Makkelijker dan gedacht!",
  price=("PX-CODE", 119))
C("youtube", "PortixaTV", "en",
  "In this video: how to set a new password in the Portixa app. Never share your password with "
  "anyone - not even with us!")
C("facebook", "dennis.typefout", "nl",
  f"Terugbetaling lukte eerst niet omdat ik een typfout in mijn IBAN had gemaakt ({IBAN_BAD_TYPO}), "
  "nu opnieuw doorgegeven en binnen een dag geregeld. Snelle klantenservice 👍", kind="comment",
  ids=[("iban", IBAN_BAD_TYPO, False)])
C("forum", "api_puzzler", "en",
  "The docs just say 'Authorization: Bearer <your-token>'. Mine starts with eyJhbGciOi… so it's a JWT "
  "I guess? Where do I refresh it?")
C("x", "@stille_garage", "nl",
  "Motion 900 vandaag laten installeren. Je hoort echt helemaal niks meer. Aanrader!",
  when="2027-02-06T14:12:00Z")
C("linkedin", "brakeveld-poort-deur", "en",
  "Our CEO Hanneke Brakeveld talks garage door trends on the Build Better podcast this week 🎙️")
C("x", "@stroomstoring_sietske", "nl",
  "Gisteren stroom uitgevallen door het onweer maar dankzij de PowerBack ging de poort gewoon open. Top!", when="2026-07-19T09:26:30Z")
C("reddit", "u/touchwood_tom", "en",
  "Saw the news about that other brand's opener recall. Our Portixa has been flawless for four years, "
  "touch wood.")
C("instagram", "@noor_werkt_hier_niet", "nl",
  "Eerste week bij Brakeveld zit erop! Super warm welkom van het team in Hardenberg 🙌")
C("reddit", "u/diy_dries", "en",
  "Tip for anyone thinking of fitting a Sectra 40 themselves: don't. Those springs are under serious "
  "tension, get a pro to do it.")
C("x", "@oeps_batterij", "nl",
  "Stond op het punt een klacht in te dienen want de deur ging niet open... bleek de batterij van "
  "mijn Key4 leeg 🤦‍♂️ my bad Brakeveld")
C("linkedin", "brakeveld-poort-deur", "en",
  "Brakeveld is growing: 40 new jobs at our Hardenberg plant this year, from welders to software "
  "engineers.")
C("x", "@jdh_docs", "nl",
  "Grappig, het voorbeeld-IBAN in het betaalformulier van Brakeveld is NL00 BANK 0123 4567 89. "
  "Niet per ongeluk overmaken haha", ids=[("iban", "NL00 BANK 0123 4567 89", False)])
C("x", "@papa_van_pim", "en",
  "my garage door got 'hacked' by my 4 year old who found the Key4 remote 😂 door went up and down 20 times")
C("x", "@tevreden_tineke", "nl",
  "Shoutout naar monteur Linda, heel geduldig alles uitgelegd over de Swingo 300. Zo hoort service!")
C("linkedin", "facility-frank", "en",
  "Fire drill at our office this morning and the Barrio barrier opened automatically like it should. "
  "Nice touch.")
C("x", "@brakeveld_service", "nl",
  "De storing in de Portixa app van vanochtend is opgelost. Excuses voor het ongemak!")
C("linkedin", "yasmina-bouzid-bkv", "en",
  "Great session today on spring safety with our installer crews. Safety first, always. 🦺")
C("instagram", "@brakeveld.deuren", "nl",
  "De winnaar van onze Portixa Hub winactie is @lisa_bouwt 🎉 We sturen je een DM voor de gegevens!")
C("x", "@vraagje_vincent", "nl",
  "Is een prijsfout in een webshop eigenlijk bindend? Vraag voor een vriend 😅")
C("reddit", "u/gate_compare", "en",
  "Compared the Portixa Slidex 600 (€689) with a no-name motor from a DIY store. The cheap one was "
  "less than half the price but had no app and no obstacle detection. Went with Portixa.",
  price=("PX-SL600", 689))
C("tiktok", "@portixa_official", "nl",
  "POV: je garagedeur gaat eindelijk stil open 🤫 #portixa #motion800")
C("x", "@brakeveld_service", "nl",
  "@karin_tv We zien je betaling met kaart eindigend op 4821 binnengekomen, bedankt! Je monteur komt "
  "dinsdag.", kind="reply")
C("x", "@brakeveld_nl", "nl",
  "Black Friday bij Brakeveld: 20% korting op de Rolla 25 roldeur, nu €1.160 incl. montage.",
  price=("BD-ROL25", 1160), when="2026-11-27T08:15:00Z")
C("threads", "@bram.brakeveld", "en",
  "Shot our new ad today at a customer's farm in Vriezenveen. A Vestra gate, a tractor and way too "
  "many cows 🐄")
C("forum", "deurenvergelijker", "nl",
  "Kanta 10 voor €949 via een actie bij de dealer, dat is toch een nette prijs voor een kanteldeur?",
  price=("BD-KAN10", 949))

# ---------------------------------------------------------------------------
# build posts
# ---------------------------------------------------------------------------
def role_of(platform, handle):
    key = f"{platform}:{handle}".lower()
    if key in {a.lower() for a in PROFILE["accounts"]["corporate"]}:
        return "corporate"
    if key in {a.lower() for a in PROFILE["accounts"]["employee"]}:
        return "employee"
    return "public"


SEV = ["none", "info", "warning", "error", "critical"]


def severity(cats, role, strong_pii):
    """CONTRACT section 4: the least severity a correct verdict has."""
    lvl = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                if c in (SECR, PRC) or (c == PII and strong_pii):
                    lvl = max(lvl, 4)
                else:
                    lvl = max(lvl, 3)
            else:
                lvl = max(lvl, 2)
        elif c == COMP:
            lvl = max(lvl, 2)
        elif c == CRIS:
            lvl = max(lvl, 3)
        elif c == ABU:
            lvl = max(lvl, 3 if role in ("corporate", "employee") else 2)
    return SEV[lvl]


def post_id(platform, used):
    while True:
        if platform == "x":
            pid = "x-" + str(rng.randrange(10 ** 18, 2 * 10 ** 18))
        elif platform == "reddit":
            pid = "reddit-t3_" + "".join(rng.choice("0123456789abcdefghijklmnopqrstuvwxyz") for _ in range(7))
        elif platform == "linkedin":
            pid = "linkedin-urn:li:activity:" + str(rng.randrange(7 * 10 ** 18, 8 * 10 ** 18))
        elif platform == "youtube":
            pid = "youtube-" + "".join(rng.choice(ALNUM + "-_") for _ in range(11))
        else:
            pid = f"{platform}-{rng.randrange(10 ** 9, 10 ** 10)}"
        if pid not in used:
            used.add(pid)
            return pid


START = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
SPAN = int((dt.datetime(2026, 12, 31, 22, tzinfo=dt.timezone.utc) - START).total_seconds())


def brand_of(text):
    return "Portixa" if re.search(r"portixa|motion|slidex|swingo|barrio|key4|codepad|safeeye|powerback",
                                  text, re.I) else "Brakeveld"


def build():
    order = list(range(len(CASES)))
    rng.shuffle(order)
    used = set()
    out = []
    for i in order:
        c = CASES[i]
        role = role_of(c["platform"], c["handle"])
        when = c["when"] or (START + dt.timedelta(seconds=rng.randrange(SPAN))).strftime("%Y-%m-%dT%H:%M:%SZ")
        pid = post_id(c["platform"], used)
        post = {"id": pid, "platform": c["platform"], "kind": c["kind"],
                "account": {"handle": c["handle"]}, "text": c["text"], "lang": c["lang"],
                "created_at": when, "brand": c["brand"] or brand_of(c["text"])}
        if rng.random() < 0.5:
            post["url"] = f"https://social.example/{c['platform']}/{pid}"
        strong = any(t in ("iban", "card", "bsn") and ok for t, _, ok in c["ids"])
        out.append({"post": post, "expect": {"categories": c["cats"],
                                             "severity": severity(c["cats"], role, strong)}})
    return out


# ---------------------------------------------------------------------------
# self-checks
# ---------------------------------------------------------------------------
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
TAXONOMY = {PII, CONF, FIN, SEC, SECR, PRC, COMP, CRIS, ABU}
RE_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,3})?\b")
RE_CARD = re.compile(r"(?<![\w.+-])(?:\d[ -]?){12,18}\d(?![\w.])")
RE_BSN = re.compile(r"(?<![\d.])(\d{4}\.\d{2}\.\d{3}|\d{9})(?![\d.])")


def check(cases, lines):
    errs = []
    prof_ibans = {re.sub(r"\s", "", x) for x in PROFILE["public_identifiers"]["ibans"]}
    for x in prof_ibans:
        if not iban_valid(x):
            errs.append(f"profile IBAN {x} fails mod-97")
    lists = {k: PROFILE["internal"][k] for k in ("domains", "codenames", "markers")}
    products = {p["sku"]: p for p in PROFILE["products"]}
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    all_handles = {a.lower() for k in ("corporate", "employee") for a in PROFILE["accounts"][k]}
    used_handles = set()
    ids = set()
    assert len(cases) == len(lines)
    by_text = {c["text"]: c for c in CASES}
    for line in lines:
        obj = json.loads(line)
        p, e = obj["post"], obj["expect"]
        pid = p["id"]
        where = f"[{pid}]"
        # CONTRACT section 6 / section 1 shape
        if set(obj) != {"post", "expect"}:
            errs.append(where + " top-level keys")
        if not (isinstance(pid, str) and 1 <= len(pid) <= 256) or pid in ids:
            errs.append(where + " bad or duplicate id")
        ids.add(pid)
        if p["platform"] not in PLATFORMS or p.get("kind", "post") not in KINDS:
            errs.append(where + " platform/kind")
        if not isinstance(p.get("account", {}).get("handle"), str) or not p["account"]["handle"]:
            errs.append(where + " handle")
        if not isinstance(p["text"], str) or not p["text"] or len(p["text"].encode()) > 65536:
            errs.append(where + " text")
        try:
            ts = dt.datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
            assert ts.tzinfo is not None
        except Exception:
            errs.append(where + " created_at not RFC 3339")
            continue
        if not (2026 <= ts.year <= 2027):
            errs.append(where + " created_at outside 2026/2027")
        cats = e["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= TAXONOMY:
            errs.append(where + " categories")
        if e["severity"] not in SEV or (not cats) != (e["severity"] == "none"):
            errs.append(where + " severity/benign mismatch")
        src = by_text[p["text"]]
        role = role_of(p["platform"], p["account"]["handle"])
        key = f"{p['platform']}:{p['account']['handle']}".lower()
        if key in all_handles:
            used_handles.add(key)
        strong = any(t in ("iban", "card", "bsn") and ok for t, _, ok in src["ids"])
        if e["severity"] != severity(cats, role, strong):
            errs.append(where + " severity not per policy")
        text = p["text"]
        low = text.lower()
        benign = not cats
        # declared identifiers
        for typ, val, ok in src["ids"]:
            if val not in text:
                errs.append(where + f" declared {typ} not in text")
            fn = {"iban": iban_valid, "card": luhn_valid, "bsn": bsn_valid}[typ]
            if fn(val) != ok:
                errs.append(where + f" {typ} {val} checksum expectation wrong")
            if ok and (benign or PII not in cats):
                errs.append(where + " valid identifier in a non-PII case")
            if not ok and not benign:
                errs.append(where + " look-alike in a positive")
        # scan every IBAN/card/BSN-shaped string
        for m in RE_IBAN.finditer(text):
            v = re.sub(r"\s", "", m.group(0))
            if v in prof_ibans:
                continue
            if benign and iban_valid(v):
                errs.append(where + f" benign post carries a valid IBAN {v}")
            if not benign and not iban_valid(v):
                errs.append(where + f" positive post carries an invalid IBAN {v}")
        for m in RE_CARD.finditer(text):
            digits = re.sub(r"\D", "", m.group(0))
            if len(digits) < 13 or (not benign and digits.startswith("0")):
                continue  # too short for a card, or a Dutch phone notation (0031 ..., 06 ...)
            if benign and luhn_valid(digits):
                errs.append(where + f" benign post carries a Luhn-valid number {m.group(0)}")
            if not benign and not luhn_valid(digits):
                errs.append(where + f" positive post carries a Luhn-invalid card-like number")
        for m in RE_BSN.finditer(text):
            if benign and bsn_valid(m.group(0)):
                errs.append(where + f" benign post carries an 11-proof number {m.group(0)}")
        if PII in cats and any(t in ("iban", "card", "bsn") for t, _, _ in src["ids"]):
            for typ, val, ok in src["ids"]:
                if not ok:
                    errs.append(where + " invalid identifier in PII positive")
        # credentials
        for tok in re.findall(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", text):
            if not gh_valid(tok) or benign:
                errs.append(where + " github token checksum/benign")
        for tok in re.findall(r"\bAKIA[A-Z2-7]{16}\b", text):
            if benign and not tok.endswith("EXAMPLE"):
                errs.append(where + " real-format AWS key in benign")
        for tok in re.findall(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", text):
            if not jwt_valid(tok) or benign:
                errs.append(where + " JWT")
        if SECR in cats and not re.search(
                r"gh[pousr]_|AKIA|eyJ|PRIVATE KEY|sk_live_|xox[bp]-|sk-proj-|glpat-|AIza|pxd_live_|"
                r"postgres://|wachtwoord", text):
            errs.append(where + " secret case without a credential")
        # internal material and embargo
        if benign:
            for k, vals in lists.items():
                for v in vals:
                    if v.lower() in low:
                        errs.append(where + f" benign mentions internal {k} {v}")
        for emb in PROFILE["embargo"]:
            until = dt.datetime.fromisoformat(emb["until"].replace("Z", "+00:00"))
            for term in emb["terms"]:
                if term.lower() in low:
                    if ts < until and CONF not in cats:
                        errs.append(where + f" embargoed '{term}' before until but not confidential")
                    if ts >= until and not benign and cats == [CONF]:
                        errs.append(where + f" '{term}' after until labelled confidential")
        # prices
        if src["price"]:
            sku, amount = src["price"]
            r = amount / products[sku]["list_price"]
            if PRC in cats and r >= ratio:
                errs.append(where + " pricing case not below ratio")
            if PRC not in cats and not (0.69 <= r <= 1.05):
                errs.append(where + " benign price not an ordinary sale/list price")
        if PRC in cats and not src["price"] and "prijsfout" not in low and "price error" not in low:
            errs.append(where + " pricing case without price or price-error talk")
        # public handles must not be in the profile
        if role == "public" and key in all_handles:
            errs.append(where + " public handle in profile")
    # profile sanity
    if len(PROFILE["accounts"]["corporate"]) < 6 or len(PROFILE["accounts"]["employee"]) < 8:
        errs.append("profile: too few accounts")
    if not 15 <= len(PROFILE["products"]) <= 25:
        errs.append("profile: product count")
    if len(PROFILE["internal"]["codenames"]) != 3 or len(PROFILE["internal"]["markers"]) != 3:
        errs.append("profile: codenames/markers")
    if not all(str(e["until"]).startswith("2027") for e in PROFILE["embargo"]):
        errs.append("profile: embargo until must be in 2027")
    if not 170 <= len(lines) <= 180:
        errs.append(f"case count {len(lines)} outside 170-180")
    return errs


def main():
    cases = build()
    lines = [json.dumps(c, ensure_ascii=False, sort_keys=False) for c in cases]
    path = os.path.join(HERE, "cases.jsonl")
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write("\n".join(lines) + "\n")
    errs = check(cases, lines)
    # summary
    from collections import Counter
    cat = Counter(c for x in cases for c in x["expect"]["categories"])
    benign = sum(1 for x in cases if not x["expect"]["categories"])
    langs = Counter(x["post"]["lang"] for x in cases)
    roles = Counter(role_of(x["post"]["platform"], x["post"]["account"]["handle"]) for x in cases)
    sev = Counter(x["expect"]["severity"] for x in cases)
    print(f"{len(cases)} cases, {benign} benign -> {path}")
    print("categories:", dict(sorted(cat.items())))
    print("languages:", dict(langs), "roles:", dict(roles), "severity:", dict(sev))
    if errs:
        print("SELF-CHECK FAILED:", *errs, sep="\n  ")
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
