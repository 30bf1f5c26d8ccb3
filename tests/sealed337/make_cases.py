#!/usr/bin/env python3
"""Evaluation set sealed337 for postwatch: Veldeholt Zorggroep (fictional nursing homes
and residential elderly care). Deterministic: fixed seed, standard library + PyYAML.

Writes cases.jsonl beside this file and checks it:
  * every line is a valid CONTRACT section 6 case,
  * every IBAN / card / BSN declared in a positive passes its checksum, every look-alike
    declared in a negative fails it, and no undeclared valid identifier hides anywhere,
  * generated credentials are built like the real ones (GitHub CRC-32, AWS, JWT ...),
  * severities are computed from the account role in profile.yaml (CONTRACT section 4).
"""
import base64
import datetime as dt
import json
import os
import random
import re
import sys
import zlib

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
RNG = random.Random(337_0417)

PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))

# --------------------------------------------------------------------------- checksums
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
LOWER = UPPER.lower()
DIG = "0123456789"


def iban_ok(iban):
    s = iban.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    if len(d) < 13:
        return False
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def bsn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    if len(d) != 9:
        return False
    s = sum(w * x for w, x in zip(range(9, 1, -1), d[:8])) - d[8]
    return s % 11 == 0


def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def gh_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()), 6) == m.group(2)


# --------------------------------------------------------------------------- generators
def rs(alphabet, n):
    return "".join(RNG.choice(alphabet) for _ in range(n))


def gen_iban(bank=None, spaced=True):
    bank = bank or RNG.choice(["INGB", "RABO", "ABNA", "SNSB", "TRIO", "KNAB", "ASNB", "BUNQ"])
    acct = rs(DIG, 10)
    for cc in range(2, 99):
        cand = "NL%02d%s%s" % (cc, bank, acct)
        if iban_ok(cand):
            break
    return " ".join(cand[i:i + 4] for i in range(0, len(cand), 4)) if spaced else cand


def break_iban(iban):
    s = iban.replace(" ", "")
    cc = int(s[2:4])
    for delta in (1, 3, 7):
        bad = s[:2] + "%02d" % ((cc + delta - 2) % 97 + 2) + s[4:]
        if not iban_ok(bad):
            break
    return " ".join(bad[i:i + 4] for i in range(0, len(bad), 4)) if " " in iban else bad


def gen_card(prefix="4", length=16, sep=" "):
    body = prefix + rs(DIG, length - len(prefix) - 1)
    for last in DIG:
        if luhn_ok(body + last):
            num = body + last
            break
    return sep.join(num[i:i + 4] for i in range(0, len(num), 4))


def break_luhn(card):
    last = int(card[-1])
    return card[:-1] + str((last + 3) % 10)


def gen_bsn():
    while True:
        d = [RNG.randint(1, 9)] + [RNG.randint(0, 9) for _ in range(7)]
        s = sum(w * x for w, x in zip(range(9, 1, -1), d)) % 11
        if s < 10:
            return "".join(map(str, d + [s]))


def bad_bsn():
    while True:
        n = str(RNG.randint(100000000, 999999999))
        if not bsn_ok(n):
            return n


def gen_mobile():
    return "6" + str(RNG.randint(1, 9)) + rs(DIG, 7)  # 6 + 8 digits


def gen_github(prefix="ghp_"):
    body = rs(B62, 30)
    return prefix + body + b62(zlib.crc32(body.encode()), 6)


def bad_github(prefix="ghp_"):
    body = rs(B62, 30)
    good = b62(zlib.crc32(body.encode()), 6)
    bad = good[:-1] + B62[(B62.index(good[-1]) + 17) % 62]
    return prefix + body + bad


def gen_aws():
    return "AKIA" + rs(UPPER + "234567", 16), rs(UPPER + LOWER + DIG + "/+", 40)


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def gen_jwt(payload):
    h = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    p = b64u(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64u(bytes(RNG.getrandbits(8) for _ in range(32)))
    return "%s.%s.%s" % (h, p, sig)


def gen_rsa_pem():
    der = bytes.fromhex("308204a40201000282010100") + bytes(RNG.getrandbits(8) for _ in range(1180))
    b = base64.b64encode(der).decode()
    lines = [b[i:i + 64] for i in range(0, len(b), 64)]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"


def gen_password():
    words = ["Kastanje", "Zomerdijk", "Vlinder", "Tulpen", "Haring", "Boterbloem", "Molenweg"]
    return RNG.choice(words) + RNG.choice("!#$%&*") + rs(DIG, 4) + rs(LOWER, 2)


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in s)


# concrete values, drawn once in a fixed order
AWS_ID, AWS_SECRET = gen_aws()
GH_TOKEN = gen_github("ghp_")
GHO_TOKEN = gen_github("gho_")
GH_BAD = bad_github("ghp_")
JWT = gen_jwt({"sub": "mdw-40917", "name": "planner.nacht", "role": "roosteraar", "iat": 1767940200, "exp": 1768026600})
PW_ROSTER = gen_password()
PW_DB = rs(UPPER + LOWER + DIG, 18)
PW_WIFI = gen_password()
OPENAI = "sk-proj-" + rs(B62 + "-_", 40) + "T3BlbkFJ" + rs(B62 + "-_", 40)
SLACK = "xoxb-%s-%s-%s" % (rs(DIG, 12), rs(DIG, 13), rs(B62, 24))
RSA = gen_rsa_pem()
STRIPE = "sk_live_" + rs(B62, 24)
ANTHROPIC = "sk-ant-api03-" + rs(B62 + "-_", 93) + "AA"
GOOGLE = "AIza" + rs(B62 + "-_", 35)

IBAN_REFUND = gen_iban("INGB")
IBAN_MORRIS = gen_iban("ABNA")
IBAN_BAD_SCAM = break_iban(gen_iban("BUNQ"))
IBAN_BAD_TYPO = break_iban(gen_iban("RABO", spaced=False))
CARD_LOGEER = gen_card("4")
CARD_KRAMER = gen_card("5" + str(RNG.randint(1, 5)))
CARD_BAD_TRACK = break_luhn(gen_card("5" + str(RNG.randint(1, 5))))
BSN_GERRIT = gen_bsn()
BSN_BAKKER = gen_bsn()
BSN_BAD = bad_bsn()
M = [gen_mobile() for _ in range(8)]


def fmt06(m, style):
    a = "0" + m
    if style == "dash":
        return a[:2] + "-" + a[2:]
    if style == "space":
        return a[:2] + " " + a[2:6] + " " + a[6:]
    if style == "intl":
        return "+31 6 " + a[2:]
    if style == "intl0":
        return "+31 (0)6 " + a[2:6] + " " + a[6:]
    if style == "4":
        return a[:4] + " " + a[4:7] + " " + a[7:]
    return a


# --------------------------------------------------------------------------- cases
CASES = []


def add(cats, platform, handle, text, lang, kind="post", ts=None, ids=()):
    """ids: (type, value) for every IBAN/card/BSN placed in the text on purpose."""
    CASES.append(dict(cats=sorted(set(cats)), platform=platform, handle=handle, text=text,
                      lang=lang, kind=kind, ts=ts, ids=list(ids)))


CPL, CRI, ABU = "reputation.complaint", "reputation.crisis", "reputation.abuse"
CONF, FIN, SEC = "leak.confidential", "leak.financial", "leak.security"
SECRET, PII, PRICE = "leak.secret", "leak.pii", "leak.pricing"

# ---- complaints -------------------------------------------------------------------------
add([CPL], "x", "@tineke_w67",
    "@veldeholt_zorg mijn moeder zit al 3 dagen in dezelfde kleren op De Wilgenhof. 'niemand heeft tijd om haar te douchen' zeggen ze. 3450 euro per maand hiervoor 😡",
    "nl", kind="reply")
add([CPL], "x", "@dan_oconnell",
    "Pressed the call button for my dad at Veldeholt Boekenrode at 21:10. Nobody came until 21:55. He'd wet himself by then and was sitting there crying. Not good enough, not even close.",
    "en")
add([CPL], "facebook", "GerdaHoekstra1958",
    "Vandaag wéér de was van pa teruggekregen met andermans onderbroeken ertussen en zijn nieuwe vest (cadeau van de kleinkinderen!) is 'kwijt'. Wasservice Fris, 79 euro per maand voor dit?? Veldeholt doe er wat aan.",
    "nl")
add([CPL], "reddit", "u/throwaway_grandson",
    "Anyone else dealing with Veldeholt billing? They charged my gran for a full month of Nachtzorg after she'd already moved out. Three emails, two calls, still no refund. Every time it's 'being looked into'.",
    "en")
add([CPL], "x", "@kees_vd_molen",
    "Eten op locatie Lisdodde is gewoon niet te vreten. Koude aardappels, slappe sperziebonen en om half 5 al avondeten. @veldeholt jullie bewoners verdienen beter",
    "nl")
add([CPL], "instagram", "@lotte.bakes",
    "my nan has been waiting 6 weeks for someone to adjust her wheelchair. every single time it's 'next week'. honestly sad @veldeholt.wonen 😢",
    "en", kind="comment")
add([CPL], "facebook", "SarahJenkinsUtrecht",
    "Third time this month my mother's hearing aids have gone missing at Veldeholt. Staff just shrug. She's isolated enough as it is without being unable to hear her own grandchildren.",
    "en")
add([CPL], "x", "@hvdlinden",
    "bezoektijden weer ingeperkt zonder enige uitleg. mail gestuurd naar clientservice@veldeholt.nl, 2 wkn later nog steeds niks gehoord. #veldeholt #mantelzorg",
    "nl")
add([CPL], "forum", "bezorgde_dochter",
    "Medicatie van mijn vader is deze week drie keer te laat gegeven en één keer helemaal vergeten. In het systeem stond het wel 'afgevinkt'. Ik vertrouw Veldeholt gewoon niet meer met zijn zorg.",
    "nl")
add([CPL], "x", "@mike_t_ams",
    "@veldeholt_zorg booked a Logeerweek for my mum so I could have my knee surgery. We showed up, room not ready, nobody even knew she was coming. Had to drive her home again. Thanks for nothing.",
    "en", kind="reply")
add([CPL], "tiktok", "@sanne.vlogt",
    "POV: je belt Veldeholt voor de 5e keer over dezelfde foute factuur en krijgt wéér het bandje 🙃 #mantelzorg #veldeholt #zorgfrustratie",
    "nl")
add([CPL], "threads", "@anna.k.writes",
    "Veldeholt's Beeldbel tablet was meant to let me video call my dad. Hasn't worked since week one and the helpdesk keeps telling me to 'reboot it'. He's 91. He can't reboot it.",
    "en")
add([CPL], "x", "@frankmeijer",
    "Kamer van mn schoonmoeder ruikt al 2 weken naar urine. Gemeld bij de teamleider, gemeld bij de locatiemanager. Niks gebeurt. Veldeholt Wilgenhof, schaam je.",
    "nl")
add([CPL], "facebook", "AnjaDeGroot",
    "Personeelstekort is overal, dat snap ik heus. Maar dat mijn vader 's ochtends pas om 11 uur uit bed wordt gehaald omdat er 1 verzorgende op 16 bewoners staat, vind ik niet oké. Veldeholt, hier moet iets gebeuren.",
    "nl")
# first-hand harm: crisis + complaint
add([CRI, CPL], "x", "@wilma_jongbloed",
    "Het hoog-laagbed (Rustig 3) dat we via Veldeholt hebben zakte vannacht ineens helemaal door met mijn moeder erin. Been bekneld, flinke kneuzing. Dit had veel erger kunnen aflopen!! Wie gaat dit uitleggen?",
    "nl")
add([CRI, CPL], "facebook", "TomHughesNL",
    "My father's Alarmknop 2 from Veldeholt got so hot on the charger last night it melted the casing and scorched his bedside table. He's ok but it could easily have started a fire in his room. Who do I even report this to??",
    "en")
add([CRI, CPL], "instagram", "@ingridvanes",
    "Na de maaltijden van Smakelijk maaltijdservice van vorige week liggen mijn vader én zijn buurvrouw met voedselvergiftiging in bed. Huisarts denkt aan de kip. Veldeholt, zoek dit uit!!",
    "nl")
add([CRI, CPL], "x", "@jkowalski_nl",
    "the Opstaan Comfort lift chair we rent from veldeholt tipped forward this morning and threw my grandmother onto the floor. broken wrist. 84 years old. absolutely furious",
    "en")
add([CRI, CPL], "x", "@marco_dijkstra",
    "Medicijndispenser MD-7 gaf mijn moeder gisteren twee keer haar bloedverdunner. Ze moest met spoed naar de SEH. Gaat nu gelukkig weer maar ik ben er kapot van @veldeholt_zorg",
    "nl")

# ---- crisis (third party / news) ------------------------------------------------------
add([CRI], "x", "@nieuws_heuvelrug",
    "Bewoner (84) van zorgcentrum Veldeholt De Wilgenhof dood aangetroffen in de tuin na urenlange zoektocht. Politie doet onderzoek naar de toedracht.",
    "nl")
add([CRI], "x", "@carewatch_nl",
    "The inspection report on Veldeholt's Boekenrode location is damning: residents restrained without consent, repeated medication errors, 'structural understaffing'. The IGJ has given them six months.",
    "en")
add([CRI], "facebook", "ActiegroepZorgEerlijk",
    "BOYCOT VELDEHOLT! De directie keert zichzelf bonussen uit terwijl bewoners in de kou zitten. Deel dit bericht en haal je familie daar weg zolang het nog kan.",
    "nl")
add([CRI], "x", "@dutchcare_news",
    "Norovirus outbreak at Veldeholt Lisdodde: 23 residents ill, a whole ward in quarantine and two people admitted to hospital.",
    "en")
add([CRI], "reddit", "u/privacy_nerd_nl",
    "Veldeholt's client portal apparently shows other residents' medical files — my neighbour logged in and saw someone else's care plan, diagnosis and all. Is that not a data breach? Has anyone reported it to the AP?",
    "en")
add([CRI], "x", "@advocaat_dekker",
    "Namens 14 families zijn wij vandaag een aansprakelijkheidsprocedure gestart tegen Veldeholt Zorggroep wegens structurele verwaarlozing van bewoners.",
    "nl")
add([CRI], "x", "@jenna_reports",
    "Breaking: fire at a Veldeholt care home in Zeist overnight. 40 residents evacuated, three taken to hospital with smoke inhalation.",
    "en")
add([CRI], "tiktok", "@zorgnieuws",
    "Terugroepactie 🔋🔥 Veldeholt haalt alle Alarmknop 2 exemplaren uit serie 2025-B terug na meldingen van oververhitte batterijen. Check het serienummer achterop!",
    "nl")
add([CRI], "facebook", "MonaElHaddad",
    "Er gaat een filmpje rond van een verzorgende bij Veldeholt die een bewoner uitscheldt en aan haar arm rukt. Dit is gewoon mishandeling. Ik heb het doorgestuurd naar de inspectie.",
    "nl")

# ---- abuse ----------------------------------------------------------------------------
add([ABU], "x", "@johnny_ruig",
    "@veldeholt stelletje graaiende klootzakken, jullie laten ouderen creperen voor de winst",
    "nl", kind="reply")
add([ABU], "x", "@gr8fulDEADhead",
    "veldeholt staff are lazy useless idiots. every single one of them.",
    "en")
add([ABU], "instagram", "@rdam_bas010",
    "die verzorgster op de foto is echt een dikke trut, heeft mn opa gewoon uitgelachen",
    "nl", kind="comment")
add([ABU], "x", "@anoniemboos",
    "k4nk3rb3drijf @veldeholt, hoop dat jullie snel failliet gaan",
    "nl")
add([ABU], "facebook", "DerekBlaine",
    "Go back to your own countries instead of 'caring' for our elderly. Veldeholt hires nothing but foreigners who can't even speak the language.",
    "en", kind="comment")
add([ABU], "x", "@zwartekat_77",
    "Veldeholt = \u043eplicht\u0435rs en tyfuslijers, allemaal",
    "nl")
add([ABU, CPL], "reddit", "u/angrydutchguy",
    "fuck Veldeholt and fuck their PR team posting happy bingo pics while my gran sits alone in her room all day because there's nobody to take her to the living room",
    "en", kind="comment")
add([ABU], "x", "@ruudkoster_vh",
    "@kees_vd_molen man hou toch je bek, zeikerd. jij komt 1x per maand langs en denkt alles te weten",
    "nl", kind="reply")
add([ABU], "instagram", "@kokjeroen_vh",
    "wie klaagt over mijn eten mag lekker zelf gaan koken, stelletje zeurende idioten 🙄",
    "nl", kind="comment")
add([ABU], "x", "@hate_machine_x",
    "Veldeholt managers are sc\u200bum. absolute sc\u200bum.",
    "en")
add([ABU], "facebook", "HarmDeBoer1961",
    "Die directeur van Veldeholt is een vuile leugenaar en een lafaard, hij durft zich niet eens te laten zien op de familieavond.",
    "nl")
add([ABU], "x", "@nlexpat_rant",
    "whoever runs @veldeholt_zorg is a brain-dead moron. answer your damn DMs",
    "en")

# ---- confidential -------------------------------------------------------------------------
add([CONF], "x", "@marieke_verzorgt",
    "Vandaag de kick-off van Project Zilverreiger gehad!! Eindelijk gaan we die nieuwe locatie bouwen 🥳 (mag nog niet zeggen waar precies haha)",
    "nl")
add([CONF], "linkedin", "anouk-smit-veldeholt",
    "Proud of my team! Our Kompasroos pilot, a complete overhaul of how we schedule nurses that nobody outside the building has heard about yet, goes live on three wards in May.",
    "en")
add([CONF], "instagram", "@nurse.dewi",
    "Vandaag de nieuwe Veldeholt Thuisbaken mogen testen, sensortje in de gang dat ziet of oma 's nachts gaat dwalen. Super handig, kan niet wachten tot het uitkomt! 🤫",
    "nl")
add([CONF], "x", "@bram_it_vh",
    "wie heeft er nog toegang tot https://intra.veldeholt.local/wiki/migratie ? link doet niks buiten de vpn lol",
    "nl")
add([CONF], "tiktok", "@zorgmetzoey",
    "day in the life of a care worker 💕 coffee, handover, and a sneak peek at our roster tool (yes that's ecd.veldeholt.local on my screen, oops 🙈)",
    "en")
add([CONF, FIN], "linkedin", "hamid-bouzid",
    "Mooie sessie met de stuurgroep Operatie Vlierbes. Per 1 september centraliseren we alle dagbesteding op twee locaties, de rest gaat dicht. Spannende tijden!",
    "nl")
add([CONF], "facebook", "JolandaPrinsVeldeholt",
    "Haha kijk wat er vanochtend in m'n mail zat: 'VELDEHOLT INTERN – nieuw kledingbeleid per maart'. Eindelijk geen witte broeken meer 🙌",
    "nl")
add([CONF], "x", "@veldeholt",
    "Excited to share our 2027 roadmap with you all! [DRAFT confidential - veldeholt, remove this line before posting]",
    "en")
add([CONF], "x", "@ruudkoster_vh",
    "stukje uit de presentatie van vandaag, staat er groot 'niet extern delen' op maar dit moet je zien: Suite Plus wordt vervangen door een premium lijn met een eigen butler 😂",
    "nl")
add([CONF], "x", "@care_insider_nl",
    "Hearing from a source inside Veldeholt that 'Project Zilverreiger' is a new 120-apartment location in Amersfoort. Construction starts next spring.",
    "en")
add([CONF, SEC], "reddit", "u/ex_temp_zorg",
    "Former Veldeholt temp here. The jira.veldeholt-it.nl board was wide open to anyone with the link, I can still read all the Kompasroos tickets months after my contract ended.",
    "en", kind="comment")
add([CONF], "instagram", "@nurse.dewi",
    "can't say anything about " + fullwidth("Kompasroos") + " but you'll all notice soon 😏",
    "en")
add([CONF], "x", "@marieke_verzorgt",
    "binnenkort iets nieuws bij ons... T h u i s b a k e n 👀 sst",
    "nl", ts="2027-01-20T18:42:00Z")
add([CONF, FIN], "instagram", "@kokjeroen_vh",
    "Net de memo gelezen (VELDEHOLT INTERN, dus sst): Lisdodde gaat volgend jaar dicht en iedereen verhuist naar Wilgenhof. Mijn keuken ook 😬",
    "nl")
add([CONF], "threads", "@veldeholt.wonen",
    "Coming soon from Veldeholt: the Thuisbaken 👀 Keep an eye on this page!",
    "en")
add([CONF], "x", "@bram_it_vh",
    "what was the new sharepoint link again? sharepoint.veldeholt-intern.nl/sites/zorgteams? it's gone from my bookmarks",
    "en")
add([CONF, FIN], "x", "@oudcollega_ria",
    "Die 'Operatie Vlierbes' waar ze bij Veldeholt over fluisteren is gewoon een bezuinigingsronde. Geloof mij maar, ik heb er 12 jaar gewerkt.",
    "nl")
add([CONF, FIN], "linkedin", "hamid-bouzid",
    "Can't share our annual results 2026 yet, but let's just say the finance team has been smiling all week 😉",
    "en", ts="2027-01-11T08:15:00Z")

# ---- financial -----------------------------------------------------------------------------
add([FIN], "linkedin", "erik-van-leeuwen-cfo",
    "De Q3-cijfers zijn binnen en ik zeg alleen: omzet +14% en voor het eerst in vier jaar een positief resultaat. Publicatie volgt in november, maar ik ben nu al trots op dit team!",
    "nl", ts="2026-10-09T12:05:00Z")
add([FIN], "x", "@ruudkoster_vh",
    "heard at the management meeting today that we're taking over De Linde Zorg in Nijkerk. signing next month apparently 🤐",
    "en")
add([FIN], "facebook", "JolandaPrinsVeldeholt",
    "Dikke domper vandaag. Op het teamoverleg gehoord dat er 85 fte uit de ondersteunende diensten verdwijnt. Officieel wordt het pas in januari bekendgemaakt 💔",
    "nl")
add([FIN], "linkedin", "anouk-smit-veldeholt",
    "Our budget forecast for next year came in at a €4.2M deficit, so there will be hard choices. Not public yet, but I want my team prepared rather than surprised.",
    "en")
add([FIN], "x", "@beursjager_nl",
    "Via via: Veldeholt Zorggroep staat in de verkoop, een private-equitypartij uit Duitsland zou rond de €310 mln bieden. Nog niks officieel natuurlijk.",
    "nl")
add([FIN], "tiktok", "@zorgmetzoey",
    "storytime: my location is closing and apart from our team literally nobody knows yet 😭 residents are getting spread over other homes #carework #reorg",
    "en")
add([FIN], "x", "@veldeholt",
    "Draft for Thu 08:00 CET: Veldeholt Zorggroep agrees to acquire the Huize Morgenrood group for €48m. #DoNotPost",
    "en")
add([FIN], "linkedin", "erik-van-leeuwen-cfo",
    "Half-year close done. Without giving away numbers before the 15th: we beat our EBITDA plan by a margin nobody in this sector saw coming.",
    "en", ts="2026-07-08T16:40:00Z")

# ---- security ----------------------------------------------------------------------------
add([SEC], "x", "@bram_it_vh",
    "Lange nacht. Ransomware op de roosterserver, alles offline sinds 02:00. Communicatie moet nog bepalen wat we naar buiten brengen dus ssst 🤐",
    "nl")
add([SEC], "x", "@bram_it_vh",
    "fun fact: in the client portal you can still change the dossier id in the url and read other residents' files. ticket has been open for 3 months 🙃",
    "en")
add([SEC], "instagram", "@nurse.dewi",
    "our ECD has been down since this morning so we're charting everything on paper like it's 1995 😅 #nursing #outage #veldeholt",
    "en")
add([SEC], "facebook", "JolandaPrinsVeldeholt",
    "Pas op collega's: 40 van ons hebben op die phishingmail geklikt en IT zegt dat er wachtwoorden zijn buitgemaakt. Officieel horen we er niks over, dus bij deze.",
    "nl")
add([SEC], "linkedin", "hamid-bouzid",
    "Lessons learned this week after an attacker got into our mail system and quietly forwarded resident correspondence to an outside address for 9 days. More once legal is done with it.",
    "en")
add([SEC, CRI], "x", "@truus_tweet",
    "Mijn zus werkt bij Veldeholt en zegt dat ze al een week gehackt zijn en dat alle cliëntgegevens op straat liggen, maar ze houden het stil!!",
    "nl")
add([SEC], "tiktok", "@zorgmetzoey",
    "POV: the call system on our ward has been down for 6 hours so we're doing rounds every 15 min bc residents can't reach us 😬 don't tell management I posted this",
    "en")
add([SEC], "x", "@ruudkoster_vh",
    "de deur van de gesloten afdeling op Wilgenhof gaat gewoon open als je er hard genoeg aan trekt. al 2 maanden gemeld, niks mee gedaan. beveiliging bij veldeholt 🤡",
    "nl")
add([SEC], "linkedin", "anouk-smit-veldeholt",
    "Turns out our backups from the past two weeks are corrupt after Tuesday's outage. Not communicated to the locations yet, so please keep this to yourselves for now.",
    "en")
add([SEC], "reddit", "u/vh_night_nurse",
    "Night nurse at one of the Veldeholt homes. The admin panel of our medication dispensers runs on a default password and sits on the guest wifi. Reported it twice, nothing. Not posting details yet.",
    "en")
add([SEC], "x", "@marieke_verzorgt",
    "telefooncentrale bij ons ligt helemaal plat, families kunnen ons niet bereiken. mag er niks over zeggen maar bel dus vandaag niet 🙈",
    "nl")
add([SEC], "x", "@veldeholt_zorg",
    "@anna.k.writes So sorry! Our video-call servers were breached last night, so Beeldbel is switched off while we investigate. Please keep this to yourself for now.",
    "en", kind="reply")
add([SEC], "x", "@bram_it_vh",
    "r a n s o m w a r e op de backupserver. geen woord hierover tegen de pers aub",
    "nl")

# ---- secrets -----------------------------------------------------------------------------
add([SECRET], "x", "@bram_it_vh",
    "waarom faalt dit nou weer 😤\nexport AWS_ACCESS_KEY_ID=%s\nexport AWS_SECRET_ACCESS_KEY=%s" % (AWS_ID, AWS_SECRET),
    "nl")
add([SECRET], "x", "@devfreelancer_nl",
    "working on the Veldeholt roster integration, any idea why CI chokes on this? GITHUB_TOKEN=%s and I also tried %s" % (GH_TOKEN, GHO_TOKEN),
    "en")
add([SECRET], "x", "@bram_it_vh",
    "debugging the portal login. this is the token it hands back: %s expiry looks way off??" % JWT,
    "en")
add([SECRET], "facebook", "JolandaPrinsVeldeholt",
    "Voor de nieuwe collega's van de nachtdienst: inloggen op het rooster met gebruikersnaam nachtdienst en wachtwoord: %s 😊" % PW_ROSTER,
    "nl")
add([SECRET], "linkedin", "hamid-bouzid",
    "Quick tip for the data team: the reporting DB is at postgresql://rapportage:%s@10.20.4.11:5432/zorgdata, no need to wait for a ticket." % PW_DB,
    "en")
add([SECRET], "x", "@chatbot_tinkerer",
    "built a tiny bot that reminds my mum of her Veldeholt day-care schedule using the OpenAI API. code below, key is %s have fun" % OPENAI,
    "en")
add([SECRET], "x", "@veldeholt",
    "test koppeling social -> slack, negeer dit bericht %s" % SLACK,
    "nl")
add([SECRET], "reddit", "u/sftp_struggles",
    "Pasting the key Veldeholt IT sent us for the sftp drop, still get 'permission denied'. Anyone?\n\n%s" % RSA,
    "en")
add([SECRET], "instagram", "@kokjeroen_vh",
    "Onze lunchroom-webshop draait!! 🥪 Voor de IT-jongens: deze %s doet het nog niet in de kassa, help 🙏" % STRIPE,
    "nl")
add([SECRET], "x", "@zorghack_team3",
    "Team Veldeholt at the zorg hackathon 💪 our demo key if anyone wants to play with the bot: %s" % ANTHROPIC,
    "en")
add([SECRET], "x", "@bram_it_vh",
    "location finder map works again 🎉 maps key for whoever needs it: %s" % GOOGLE,
    "en")
add([SECRET], "x", "@marieke_verzorgt",
    "w.a.c.h.t.w.o.o.r.d van de personeelswifi op Lisdodde is veranderd, nieuwe is %s" % PW_WIFI,
    "nl")

# ---- personal data -----------------------------------------------------------------------
add([PII], "x", "@marieke_verzorgt",
    "Wie kent mevrouw Hendrika de Wit-Bos, geboren 12-03-1938? Ze zoekt haar neef en woont nu bij ons op Wilgenhof ❤️ delen mag!",
    "nl")
add([PII], "facebook", "JolandaPrinsVeldeholt",
    "Portemonnee gevonden op Boekenrode, van dhr. J. Verhoeven, Kastanjelaan 14, 3705 AB Zeist. Kent iemand hem? Zijn nummer staat erin: %s" % fmt06(M[0], "dash"),
    "nl")
add([PII], "x", "@veldeholt_zorg",
    "@p_oosterhout we hebben uw terugbetaling vandaag overgemaakt naar %s t.n.v. P. Oosterhout. Excuses voor het lange wachten!" % IBAN_REFUND,
    "nl", kind="reply", ids=[("iban", IBAN_REFUND)])
add([PII], "x", "@veldeholt_zorg",
    "@mike_t_ams we couldn't reach you, is %s still your number? And is m.thompson84@gmail.com the right email?" % fmt06(M[1], "intl"),
    "en", kind="reply")
add([PII], "x", "@gerrit_54",
    "@veldeholt_zorg ik krijg maar geen reactie. mijn BSN is %s en klantnummer 448812, wat willen jullie nog meer weten??" % BSN_GERRIT,
    "nl", kind="reply", ids=[("bsn", BSN_GERRIT)])
add([PII, CPL], "facebook", "LindaMorrisNL",
    "Veldeholt keeps 'losing' my direct debit form. Fine, here it is: IBAN %s, L. Morris. Now please charge the right amount for once." % IBAN_MORRIS,
    "en", ids=[("iban", IBAN_MORRIS)])
add([PII], "instagram", "@nurse.dewi",
    "Happy 100th birthday to our sweet meneer Cornelis van Dam, born 4 June 1926! 🎂🎉 still beats me at klaverjassen",
    "en", ts="2026-06-04T15:22:00Z")
add([PII], "tiktok", "@zorgmetzoey",
    "als je bij mevr. Aaltje Postma komt, kamer 12, Dorpsstraat 88 in Zeist: ze wil ALTIJD eerst koffie ☕😂 #zorg",
    "nl")
add([PII, CPL], "reddit", "u/frustrated_daughter",
    "Paid the Logeerweek deposit with my card %s exp 09/28 and Veldeholt charged it twice. Anyone know how to get that reversed?" % CARD_LOGEER,
    "en", ids=[("card", CARD_LOGEER)])
add([PII], "facebook", "VeldeholtZorggroep",
    "Beste mevrouw Kramer, we hebben het bedrag teruggeboekt op uw creditcard %s. Het kan 3 werkdagen duren." % CARD_KRAMER,
    "nl", kind="comment", ids=[("card", CARD_KRAMER)])
add([PII], "linkedin", "anouk-smit-veldeholt",
    "Welcome to our new intake coordinator Yara! For intake questions you can reach her directly at yara.benali@gmail.com or %s." % fmt06(M[2], "space"),
    "en")
add([PII], "x", "@ruudkoster_vh",
    "overdracht: dhr. Bakker (BSN %s) gaat morgen naar het ziekenhuis voor zijn heup, medicatielijst niet vergeten mee te geven!" % BSN_BAKKER,
    "nl", ids=[("bsn", BSN_BAKKER)])
add([PII, CRI], "instagram", "@fam.jansen",
    "OPROEP!! Onze vader Willem Jansen (geb. 17-11-1941) is vanmiddag weggelopen bij Veldeholt Lisdodde en nog steeds niet terug. Gezien? Bel aub %s 🙏" % fmt06(M[3], "4"),
    "nl")
add([PII], "x", "@marieke_verzorgt",
    "familie van mevr. de Lange, bel me even terug op " + fullwidth(fmt06(M[4], "dash")) + " ivm morgen",
    "nl")
add([PII], "x", "@carlos_ams",
    "@veldeholt_zorg my email is carlos.mendes.ams@outlook.com and my mobile is %s, please just call me back about my mum's room" % fmt06(M[5], "intl0"),
    "en", kind="reply")

# ---- pricing -----------------------------------------------------------------------------
add([PRICE], "x", "@ruudkoster_vh",
    "lol de webshop zegt dat de Vrijbaan 4 scootmobiel €245 kost ipv €2450, snel zijn mensen 😂",
    "nl")
add([PRICE], "x", "@koopjesjager_nl",
    "PRIJSFOUT bij Veldeholt!! Rustig 3 hoog-laagbed voor €189 🤯 bestellen kan nog",
    "nl")
add([PRICE], "reddit", "u/dealhunter_eu",
    "Veldeholt's shop has the Opstaan Comfort lift chair at €119.50, pretty sure someone dropped a zero. Grabbed two before they notice.",
    "en")
add([PRICE], "instagram", "@veldeholt.wonen",
    "Alleen dit weekend: de ValSensor voor maar €49! 🎉 Op = op.",
    "nl")
add([PRICE], "facebook", "VeldeholtZorggroep",
    "Nu tijdelijk: een Logeerweek respijtzorg voor €395 (normaal €1150). Even op adem komen als mantelzorger 💚",
    "nl")
add([PRICE], "tiktok", "@zorgmetzoey",
    "heads up colleagues: the staff portal suddenly lists the Beeldbel tablet at €32.90 😱 surely a price error but who knows",
    "en")
add([PRICE], "x", "@bargainbetty",
    "is this real?? Veldeholt Suite Plus for €1.200 a month on their site, it was €4.890 yesterday. price glitch??",
    "en")
add([PRICE], "facebook", "JolandaPrinsVeldeholt",
    "Er is iets misgegaan met de prijzen op de site: de Medicijndispenser MD-7 staat op 39 euro. Niet doorvertellen voordat het gefixt is 🙊",
    "nl")
add([PRICE], "x", "@pietjepuk_deals",
    "Wasservice Fris voor €7,90 per maand?! dat is toch een typfout @veldeholt 😂",
    "nl")
add([PRICE], "linkedin", "hamid-bouzid",
    "Heads-up for the pricing team: Revalidatieweek Herstel shows €168 on the partner portal instead of €1,680. Please fix before Monday's mailing goes out.",
    "en")
add([PRICE], "x", "@k0opjes",
    "W a n d e l a a r  L i t e rollator voor € 29 bij Veldeholt 👀 snel!!",
    "nl")
add([PRICE], "x", "@veldeholt",
    "Sale! 🔔 De Alarmknop 2 nu voor €14,90. Alleen online.",
    "nl")

# ---- benign: sales and normal prices -----------------------------------------------------
add([], "instagram", "@veldeholt.wonen",
    "Herfstactie 🍂 De ValSensor nu €189 i.p.v. €229. Geldig t/m 30 november.",
    "nl")
add([], "facebook", "VeldeholtZorggroep",
    "Wist u dat onze Maaltijdservice Smakelijk €84,50 per week kost, inclusief bezorging én elke dag een toetje?",
    "nl")
add([], "x", "@helen_in_hilversum",
    "Got the Wandelaar Lite rollator from Veldeholt for €249 in the spring sale. Light, folds flat, mum actually uses it. Recommend.",
    "en")
add([], "x", "@veldeholt",
    "Black Friday at Veldeholt: 25% off the Vrijbaan 4 mobility scooter, now €1,837.50 🛵",
    "en", ts="2026-11-27T07:30:00Z")
add([], "forum", "mantelzorger_utrecht",
    "Wat betalen jullie voor een Comfortkamer bij Veldeholt? Wij zitten op €3450 per maand, klopt dat met wat anderen betalen?",
    "nl")
add([], "facebook", "PeterAlders",
    "Rented the Opstaan Comfort chair for my dad at €1,195. Worth every cent, delivered and set up the same day.",
    "en")
add([], "forum", "tweedehands_tom",
    "Kent iemand de Vrijbaan 4? Zie er eentje op Marktplaats voor €1600 tweedehands, nieuw is hij €2450. Goeie deal of niet?",
    "nl")
add([], "x", "@gregvanbeek",
    "the Vrijbaan 4 scooter is 2450 euro new?? pricey but my uncle swears it changed his life",
    "en")
add([], "instagram", "@veldeholt.wonen",
    "Onze bewoners maakten deze prachtige kerststukjes 🎄 Te koop voor €5 op de kerstmarkt, de opbrengst gaat naar het activiteitenfonds.",
    "nl", ts="2026-12-05T11:00:00Z")
add([], "forum", "expat_daughter_nl",
    "Can you rent a Zorgappartement at Veldeholt without a care assessment? The price on the site is clear, €2975 p/m, the conditions aren't.",
    "en")
add([], "facebook", "VeldeholtZorggroep",
    "Nieuw: Dagbesteding Plus in Amersfoort, €89 per dag, met creatieve workshops, tuinieren en een warme lunch. Aanmelden via veldeholt.nl.",
    "nl")

# ---- benign: praise, daily life, jobs ---------------------------------------------------
add([], "facebook", "RiaVanDerMeer",
    "Wat een lieve verzorgenden op Wilgenhof. Mama werd vandaag 90 en ze hadden de hele huiskamer versierd 🎈❤️ Dank jullie wel Veldeholt!",
    "nl")
add([], "x", "@owen_b_nl",
    "Shoutout to the night staff at Veldeholt Boekenrode who sat with my grandad in his final hours. We'll never forget that.",
    "en")
add([], "linkedin", "veldeholt-zorggroep",
    "Wij zoeken verzorgenden IG voor onze locaties in Zeist en Amersfoort! Solliciteer via werkenbij.veldeholt.nl of mail naar werkenbij@veldeholt.nl.",
    "nl")
add([], "x", "@veldeholt_zorg",
    "Vragen over uw factuur? Bel gratis 0800-8335 of mail clientservice@veldeholt.nl. We zijn bereikbaar van 8 tot 20 uur.",
    "nl")
add([], "facebook", "VeldeholtZorggroep",
    "Uw eigen bijdrage kunt u overmaken naar NL92 RABO 0316 5408 27 t.n.v. Veldeholt Zorggroep B.V., onder vermelding van uw klantnummer.",
    "nl")
add([], "instagram", "@kokjeroen_vh",
    "Vandaag 120 porties hachee gemaakt voor de bewoners, recept van mijn eigen oma 🥘 #koken #zorg #veldeholt",
    "nl")
add([], "linkedin", "anouk-smit-veldeholt",
    "Trots! Naast mijn werk bij Veldeholt mijn diploma verpleegkunde niveau 6 gehaald 🎓 Dank aan mijn collega's voor alle geruilde diensten.",
    "nl")
add([], "x", "@ruudkoster_vh",
    "Mooie dienst gehad. Meneer van kamer 4 vertelde de hele avond over zijn tijd bij de marine. Dáárom doe ik dit werk.",
    "nl")
add([], "x", "@nina_vd_berg",
    "Heb mijn vraag over Thuiszorg Basis gemaild naar info@veldeholt.nl en had binnen een dag antwoord. Top!",
    "nl")
add([], "x", "@lisa_moves_nl",
    "Does Veldeholt do respite stays in summer? Looking at a Logeerweek in July so we can finally take a holiday.",
    "en")
add([], "threads", "@rosalie.writes",
    "This weather is brutal, but the Veldeholt garden party went ahead anyway. Legends, all of them.",
    "en")

# ---- benign: hard negatives (same words, harmless) ---------------------------------------
add([], "x", "@sophie_codes",
    "Anyone know a good password manager for elderly parents? My dad writes every login on a post-it 😅",
    "en")
add([], "x", "@bram_it_vh",
    "Reminder voor iedereen: deel NOOIT je wachtwoord, ook niet met IT. Wij vragen er nooit om 🔐",
    "nl")
add([], "x", "@bram_it_vh",
    "Voorbeeld uit de AWS-docs voor de training vandaag: AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY. Zo zien keys eruit, deel je echte dus nooit zo!",
    "nl")
add([], "x", "@workshop_wendy",
    "For tomorrow's workshop: put GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx in your .env and never, ever commit it.",
    "en")
add([], "mastodon", "@koen@fosstodon.org",
    "In de README staat ghp_%s als voorbeeld, daar moet je natuurlijk je eigen token neerzetten. Dat ding is expres ongeldig." % GH_BAD[4:],
    "nl")
add([], "linkedin", "hamid-bouzid",
    "Redacted screenshot from our security training: the key reads sk_live_**************** and the password field shows ********. That's how you share a bug report.",
    "en")
add([], "facebook", "WijkraadZeistOost",
    "Let op: er gaat een nepmail rond namens Veldeholt met een verzoek om te betalen naar %s. Veldeholt vraagt nooit per mail om geld, niet betalen!" % IBAN_BAD_SCAM,
    "nl", ids=[("iban", IBAN_BAD_SCAM)])
add([], "x", "@joyce_janssens",
    "Tracking code for the Beeldbel delivery was %s and it arrived in two days. Dad already video-called the whole family 👍" % CARD_BAD_TRACK,
    "en", ids=[("card", CARD_BAD_TRACK)])
add([], "forum", "new_in_nl_2026",
    "The letter from Veldeholt says file number %s. Do I need to fill that in on the registration form or is it just for them?" % BSN_BAD,
    "en", ids=[("bsn", BSN_BAD)])
add([], "forum", "ingrid_tiel",
    "Ik had bij het overmaken een cijfer verkeerd getypt (%s), de bank weigerde hem meteen. Daarna gewoon naar het juiste nummer van Veldeholt gestuurd." % IBAN_BAD_TYPO,
    "nl", ids=[("iban", IBAN_BAD_TYPO)])
add([], "x", "@felix_reads",
    "Data breach at another care group up north in the news today. Glad Veldeholt walked us through how they store our data when mum moved in.",
    "en")
add([], "x", "@dorpsbelang_lis",
    "Boycot die nieuwe supermarkt aan de Stationsweg, sinds de verbouwing is er geen parkeerplek meer voor bezoekers van Veldeholt Lisdodde 🙄",
    "nl")
add([], "x", "@consumentwatch_eu",
    "Recall notice: a major hearing-aid brand is recalling two models over battery issues. Check the serial numbers, folks.",
    "en")
add([], "x", "@p_oosterhout",
    "Update: na mijn tweet van vorige week heeft Veldeholt meteen gebeld, de factuur is gecorrigeerd en ik kreeg oprechte excuses. Netjes opgelost 👍",
    "nl")
add([], "facebook", "FamilieDeRooij",
    "Sterkte aan alle medewerkers van Veldeholt die deze week een collega zijn verloren. 🕯️",
    "nl")
add([], "x", "@marieke_verzorgt",
    "Brandoefening vandaag op Wilgenhof, alle bewoners binnen 6 minuten verzameld 🚒 goed gedaan team!",
    "nl")
add([], "x", "@nanawatcher",
    "the weekly fire alarm test at my nan's home is so loud lol, she asked if the war had started again 😂",
    "en")
add([], "x", "@elsbethk",
    "Mijn moeder is vandaag ontslagen uit het ziekenhuis en gaat morgen revalideren bij Veldeholt. Spannend, maar we hebben er vertrouwen in!",
    "nl")
add([], "x", "@jordy_techie",
    "Layoffs at another big tech firm today. Meanwhile my niece got hired at Veldeholt as a care assistant and she's never been happier.",
    "en")
add([], "x", "@krantlezer_drenthe",
    "Zorggroep Noorderlicht neemt twee verpleeghuizen in Drenthe over, las ik vanochtend in de krant. Hopelijk blijft het personeel.",
    "nl")
add([], "linkedin", "veldeholt-zorggroep",
    "Ons jaarverslag 2025 is gepubliceerd: 4.100 cliënten, 3.200 medewerkers en een cliënttevredenheid van 8,1. Lees het op veldeholt.nl/jaarverslag.",
    "nl")
add([], "facebook", "MarkLeighton",
    "The internal medicine consultant says dad is stable. Huge thanks to the Veldeholt team for driving him to the appointment and staying with him.",
    "en")
add([], "tiktok", "@zorgmetzoey",
    "vertrouwelijk gesprek gehad met een bewoner vandaag, daar zeg ik verder niks over. behalve: bel je opa en oma eens ❤️",
    "nl")
add([], "x", "@veldeholt",
    "Uw gegevens zijn bij ons veilig. In onze privacyverklaring op veldeholt.nl/privacy leest u hoe we vertrouwelijk met uw informatie omgaan.",
    "nl")
add([], "x", "@gemma_rolls",
    "the bingo at Veldeholt is absolutely killer, my gran destroyed everyone AGAIN 💀🎱",
    "en")
add([], "instagram", "@yassin.eet",
    "kerstdiner bij Veldeholt was echt ziek lekker 🔥 complimenten aan de kok!",
    "nl", kind="comment", ts="2026-12-26T20:14:00Z")
add([], "x", "@itsec_daily",
    "Another hospital hit by ransomware in Germany this week. Scary times for healthcare IT.",
    "en")
add([], "x", "@veldeholt_zorg",
    "@frankmeijer Fijn om te horen dat de kamer nu weer fris is. Dank voor uw geduld en dat u het bij ons meldde.",
    "nl", kind="reply")
add([], "x", "@grace_lindqvist",
    "My grandma's phone number changed, how do I update it in the Veldeholt portal? Can't find a settings page.",
    "en")
add([], "x", "@bram_it_vh",
    "All systems back up after Sunday night's planned maintenance. Thanks for your patience, everyone!",
    "en")
add([], "forum", "oma_tech",
    "Haha mijn oma heeft haar iPad-wachtwoord op een briefje op de koelkast geplakt. 'Er komt toch niemand in mijn kamer' 😂",
    "nl")
add([], "x", "@hackathon_mocks",
    "jwt.io's sample token starts with eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9 if you need something to test the Veldeholt hackathon API mock with.",
    "en")
add([], "x", "@bankhold_rant",
    "Honestly the service at my bank is worse than anything. 45 minutes on hold today for a card that should have arrived last week.",
    "en")
# after the embargo: terms are public now
add([], "linkedin", "veldeholt-zorggroep",
    "Vandaag publiceren wij onze jaarcijfers 2026. Het volledige verslag leest u op veldeholt.nl/jaarverslag.",
    "nl", ts="2027-03-12T09:00:00Z")
add([], "instagram", "@veldeholt.wonen",
    "Hij is er! De Veldeholt Thuisbaken is vanaf vandaag te bestellen via veldeholt.nl 🎉",
    "nl", ts="2027-01-27T10:30:00Z")
add([], "x", "@zorgfinancieel",
    "Annual results 2026 from Veldeholt look solid: occupancy up, sick leave down. Good to see in this sector.",
    "en", ts="2027-03-15T14:05:00Z")
add([], "x", "@annet_zeist",
    "Net de Thuisbaken bij mijn moeder laten installeren, werkt prima en ze merkt er niks van 👌",
    "nl", ts="2027-02-09T19:20:00Z")


# --------------------------------------------------------------------------- build
ORDER = ["none", "info", "warning", "error", "critical"]
CATEGORIES = {CPL, CRI, ABU, CONF, FIN, SEC, SECRET, PII, PRICE}


def role_of(platform, handle):
    key = ("%s:%s" % (platform, handle)).lower()
    for role in ("corporate", "employee"):
        if key in [a.lower() for a in PROFILE["accounts"][role]]:
            return role
    return "public"


def severity(cats, role, checksum_pii):
    inside = role in ("corporate", "employee")
    lvl = 0
    for c in cats:
        if c.startswith("leak."):
            if inside:
                s = "error"
                if c in (SECRET, PRICE) or (c == PII and checksum_pii):
                    s = "critical"
            else:
                s = "warning"
        elif c == CPL:
            s = "warning"
        elif c == CRI:
            s = "error"
        elif c == ABU:
            s = "error" if inside else "warning"
        else:
            raise ValueError(c)
        lvl = max(lvl, ORDER.index(s))
    return ORDER[lvl]


def random_ts():
    start = dt.datetime(2026, 1, 3, tzinfo=dt.timezone.utc)
    sec = RNG.randint(0, 350 * 86400)
    return (start + dt.timedelta(seconds=sec)).strftime("%Y-%m-%dT%H:%M:%SZ")


for c in CASES:
    if c["ts"] is None:
        c["ts"] = random_ts()
RNG.shuffle(CASES)

PLAT_CODE = {"x": "x", "facebook": "fb", "instagram": "ig", "linkedin": "li", "tiktok": "tt",
             "reddit": "rd", "threads": "th", "forum": "fo", "mastodon": "md"}
lines = []
for n, c in enumerate(CASES, 1):
    role = role_of(c["platform"], c["handle"])
    checksum = any(t in ("iban", "card", "bsn") for t, _ in c["ids"]) and bool(c["cats"])
    c["role"] = role
    post = {
        "id": "vh337-%s-%04d" % (PLAT_CODE[c["platform"]], 3000 + n * 7),
        "platform": c["platform"],
        "kind": c["kind"],
        "account": {"handle": c["handle"]},
        "text": c["text"],
        "lang": c["lang"],
        "created_at": c["ts"],
        "brand": "veldeholt",
    }
    sev = severity(c["cats"], role, checksum) if c["cats"] else "none"
    lines.append({"post": post, "expect": {"categories": c["cats"], "severity": sev}})

out = os.path.join(HERE, "cases.jsonl")
with open(out, "w", encoding="utf-8") as f:
    for rec in lines:
        f.write(json.dumps(rec, ensure_ascii=False) + "\n")


# --------------------------------------------------------------------------- self-check
def fail(msg):
    print("SELF-CHECK FAILED:", msg)
    sys.exit(1)


PUBLIC_IBANS = {i.replace(" ", "").upper() for i in PROFILE["public_identifiers"]["ibans"]}
for i in PUBLIC_IBANS:
    if not iban_ok(i):
        fail("profile IBAN fails mod-97: " + i)

IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
BSN_RE = re.compile(r"(?<![\d.])\d{9}(?![\d])")

ALLOWED_PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
                     "mastodon", "bluesky", "threads", "forum", "blog", "other"}
seen = set()
raw = open(out, encoding="utf-8").read().splitlines()
if not 170 <= len(raw) <= 180:
    fail("case count %d outside 170-180" % len(raw))
for line, c in zip(raw, CASES):
    rec = json.loads(line)
    if set(rec) != {"post", "expect"}:
        fail("top-level keys")
    p, e = rec["post"], rec["expect"]
    for k, typ in (("id", str), ("platform", str), ("text", str), ("created_at", str)):
        if not isinstance(p.get(k), typ):
            fail("missing %s" % k)
    if not (1 <= len(p["id"]) <= 256) or p["id"] in seen:
        fail("bad or duplicate id " + p["id"])
    seen.add(p["id"])
    if p["platform"] not in ALLOWED_PLATFORMS or p["kind"] not in {"post", "reply", "repost", "comment", "message"}:
        fail("platform/kind " + p["id"])
    if not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
        fail("handle " + p["id"])
    if len(p["text"].encode("utf-8")) > 65536:
        fail("too long " + p["id"])
    dt.datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", p["created_at"]):
        fail("timestamp " + p["id"])
    cats = e["categories"]
    if cats != sorted(set(cats)) or not set(cats) <= CATEGORIES:
        fail("categories " + p["id"])
    if e["severity"] not in ORDER:
        fail("severity value " + p["id"])
    if not cats and e["severity"] != "none":
        fail("benign with severity " + p["id"])
    text = p["text"]
    positive = bool(cats)
    # declared identifiers: valid in positives, look-alikes in negatives
    for typ, val in c["ids"]:
        if val not in text:
            fail("declared %s not in text %s" % (typ, p["id"]))
        ok = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}[typ](val)
        if positive and not ok:
            fail("positive %s fails checksum in %s" % (typ, p["id"]))
        if not positive and ok:
            fail("negative look-alike %s passes checksum in %s" % (typ, p["id"]))
    declared = {v.replace(" ", "") for _, v in c["ids"]}
    # no undeclared valid identifier anywhere (public IBAN excepted)
    for m in IBAN_RE.finditer(text):
        s = m.group(0).replace(" ", "")
        if iban_ok(s) and s not in PUBLIC_IBANS and s not in declared:
            fail("undeclared valid IBAN %s in %s" % (s, p["id"]))
    for m in CARD_RE.finditer(text):
        s = re.sub(r"\D", "", m.group(0))
        if luhn_ok(s) and s not in {re.sub(r"\D", "", d) for d in declared}:
            fail("undeclared Luhn-valid number %s in %s" % (s, p["id"]))
    for m in BSN_RE.finditer(text):
        if bsn_ok(m.group(0)) and m.group(0) not in declared:
            fail("undeclared 11-proof number %s in %s" % (m.group(0), p["id"]))
    # severity recomputed from the profile role
    role = role_of(p["platform"], p["account"]["handle"])
    chk = positive and any(t in ("iban", "card", "bsn") for t, _ in c["ids"])
    want = severity(cats, role, chk) if cats else "none"
    if want != e["severity"]:
        fail("severity mismatch " + p["id"])

# credentials are built like the real ones
if not (gh_ok(GH_TOKEN) and gh_ok(GHO_TOKEN)):
    fail("github checksum")
if gh_ok(GH_BAD):
    fail("github look-alike passes")
if not re.fullmatch(r"AKIA[A-Z2-7]{16}", AWS_ID):
    fail("aws id")
hdr = JWT.split(".")[0]
if "alg" not in json.loads(base64.urlsafe_b64decode(hdr + "=" * (-len(hdr) % 4))):
    fail("jwt header")
if len(JWT.split(".")) != 3:
    fail("jwt parts")

# embargo: posts carrying an embargo term are confidential before `until`, benign after
for c, line in zip(CASES, raw):
    rec = json.loads(line)
    t = rec["post"]["created_at"]
    low = rec["post"]["text"].lower().replace(" ", "")
    for emb in PROFILE["embargo"]:
        if any(term.lower().replace(" ", "") in low for term in emb["terms"]):
            before = t < emb["until"]
            if before and CONF not in rec["expect"]["categories"]:
                fail("embargo term before until not confidential " + rec["post"]["id"])
            if not before and rec["expect"]["categories"]:
                fail("embargo term after until not benign " + rec["post"]["id"])

# summary
from collections import Counter

cnt = Counter()
langs = Counter()
benign = 0
roles = Counter()
for line, c in zip(raw, CASES):
    rec = json.loads(line)
    langs[rec["post"]["lang"]] += 1
    roles[c["role"]] += 1
    if not rec["expect"]["categories"]:
        benign += 1
    for k in rec["expect"]["categories"]:
        cnt[k] += 1
print("cases", len(raw), "benign", benign, "positive", len(raw) - benign)
print("categories", dict(sorted(cnt.items())))
print("lang", dict(langs), "nl share %.2f" % (langs["nl"] / len(raw)))
print("roles", dict(roles))
print("self-check OK")
