#!/usr/bin/env python3
"""Build the sealed evaluation set 278 (Deskvaart B.V., co-working / flexible offices).

Deterministic: fixed seed, standard library + PyYAML only. Writes cases.jsonl next to
this file and self-checks it:
  * every line is a valid CONTRACT section 6 case (post shape per section 1);
  * every IBAN / payment card / BSN in a positive passes its checksum, every look-alike
    in a benign post fails it;
  * generated secrets are built like the real ones (GitHub CRC-32 checksum, AWS id
    alphabet, JWT header with alg, ...); benign posts only hold sample/redacted keys;
  * severities follow CONTRACT section 4, computed from the account role in profile.yaml.
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

HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = os.path.join(HERE, "profile.yaml")
OUT = os.path.join(HERE, "cases.jsonl")

rng = random.Random(278278)

with open(PROFILE, encoding="utf-8") as fh:
    prof = yaml.safe_load(fh)

CORP = {a.lower() for a in prof["accounts"]["corporate"]}
EMPL = {a.lower() for a in prof["accounts"]["employee"]}
PUBLIC_IBANS = {i.replace(" ", "") for i in prof["public_identifiers"]["ibans"]}
PUBLIC_EMAILS = {e.lower() for e in prof["public_identifiers"]["emails"]}
PRODUCTS = {p["sku"]: p for p in prof["products"]}
RATIO = prof["pricing"]["alert_below_ratio"]

# ---------------------------------------------------------------- checksums
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits


def iban_valid(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def iban_make(bank, acct, good=True):
    bban = bank + acct
    n = int("".join(str(int(c, 36)) for c in bban + "NL00"))
    chk = 98 - n % 97
    if not good:
        chk = (chk + rng.randint(1, 90)) % 97 + 2
        if chk == 98 - n % 97:
            chk = chk % 97 + 2
    return "NL%02d%s" % (chk, bban)


def luhn_valid(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    if len(d) < 12:
        return False
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def bsn_valid(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    if len(d) != 9:
        return False
    s = sum(d[i] * (9 - i) for i in range(8)) - d[8]
    return s % 11 == 0


def gen_iban(good=True, spaced=False):
    bank = rng.choice(["INGB", "ABNA", "RABO", "TRIO", "BUNQ", "KNAB", "SNSB", "ASNB"])
    acct = "".join(rng.choice(string.digits) for _ in range(10))
    v = iban_make(bank, acct, good)
    assert iban_valid(v) == good
    if spaced:
        v = " ".join(v[i:i + 4] for i in range(0, len(v), 4))
    return v


def gen_card(good=True):
    prefix = rng.choice(["4", "51", "53", "55", "4"])
    body = prefix + "".join(rng.choice(string.digits) for _ in range(15 - len(prefix)))
    for last in range(10):
        if luhn_valid(body + str(last)):
            break
    if not good:
        last = (last + rng.randint(1, 9)) % 10
    num = body + str(last)
    assert luhn_valid(num) == good
    sep = rng.choice([" ", " ", "-"])
    return sep.join(num[i:i + 4] for i in range(0, 16, 4))


def gen_bsn(good=True):
    while True:
        d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        s = sum(d[i] * (9 - i) for i in range(8)) % 11
        if s == 10:
            continue
        last = s
        if not good:
            last = (s + rng.randint(1, 9)) % 10
            if last == s:
                continue
        v = "".join(map(str, d)) + str(last)
        if bsn_valid(v) == good:
            return v


def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def gh_token(prefix="ghp_"):
    body = "".join(rng.choice(ALNUM) for _ in range(30))
    return prefix + body + b62(zlib.crc32(body.encode()), 6)


def gh_valid(tok):
    m = re.fullmatch(r"gh[pousr]_([A-Za-z0-9]{30})([A-Za-z0-9]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()), 6) == m.group(2)


def rand(alpha, n):
    return "".join(rng.choice(alpha) for _ in range(n))


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def gen_jwt():
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    iat = 1767225600 + rng.randint(0, 30000000)
    payload = {"sub": "mbr_%d" % rng.randint(10000, 99999), "role": "member",
               "loc": "AMS-HH", "iss": "https://auth.deskvaart.nl", "iat": iat, "exp": iat + 86400}
    body = b64url(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64url(bytes(rng.getrandbits(8) for _ in range(32)))
    return "%s.%s.%s" % (head, body, sig)


def jwt_valid(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    try:
        h = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except Exception:
        return False
    return isinstance(h, dict) and "alg" in h


def gen_pem():
    raw = b"openssh-key-v1\x00" + bytes(rng.getrandbits(8) for _ in range(380))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def gen_pw():
    w1 = rng.choice(["Havenkraan", "Koffiebar", "Loods", "Strijp", "Binckhorst", "Zeilboot", "Kopvanzuid"])
    w2 = rng.choice(["vd", "DV", "xx", "Nl", "ops"])
    return "%s%s%d%s" % (w1, rng.choice("!#$%&*?"), rng.randint(10, 2099), w2)


SECRET_GEN = {
    "GH": lambda: gh_token(rng.choice(["ghp_", "ghp_", "gho_"])),
    "AWS_ID": lambda: "AKIA" + rand(string.ascii_uppercase + "234567", 16),
    "AWS_SECRET": lambda: rand(ALNUM + "/+", 40),
    "STRIPE": lambda: "sk_live_51" + rand(ALNUM, 97),
    "SLACK": lambda: "xoxb-%d-%d-%s" % (rng.randint(10**10, 10**13), rng.randint(10**11, 10**13), rand(ALNUM, 24)),
    "OPENAI": lambda: "sk-proj-" + rand(ALNUM + "_-", 74) + "T3BlbkFJ" + rand(ALNUM + "_-", 74),
    "ANTH": lambda: "sk-ant-api03-" + rand(ALNUM + "_-", 93) + "AA",
    "JWT": gen_jwt,
    "PEM": gen_pem,
    "GAPI": lambda: "AIza" + rand(ALNUM + "_-", 35),
    "PW": gen_pw,
}

# ---------------------------------------------------------------- cases
CASES = []


def C(cats, platform, handle, lang, text, date=None, kind="post", price=None, name=None, brand=None):
    CASES.append(dict(cats=sorted(cats), platform=platform, handle=handle, lang=lang, text=text,
                      date=date, kind=kind, price=price, name=name, brand=brand))


CPL, CRI, ABU = "reputation.complaint", "reputation.crisis", "reputation.abuse"
SEC, PII, PRC = "leak.secret", "leak.pii", "leak.pricing"
CNF, FIN, SCU = "leak.confidential", "leak.financial", "leak.security"

# ---- complaints ---------------------------------------------------------------
C([CPL], "x", "@femkeschrijft", "nl",
  "@deskvaart_help al 3 dagen geen wifi op de 2e verdieping Houthavens. Ik betaal €239 per maand voor een Hot Desk "
  "en zit nu te tetheren op m'n telefoon. Fix dit aub", kind="reply", price=("DV-HOT", 239))
C([CPL], "linkedin", "marco-tedeschi-consulting", "en",
  "Booked the Boardroom at Deskvaart Kop van Zuid for a client pitch. Arrived to find another company already in it. "
  "Double booking. Reception shrugged. We ended up pitching in the canteen next to the coffee machine. "
  "Not quite the look I was going for.")
C([CPL], "facebook", "Ingrid.Vos.1974", "nl",
  "Mijn opzegging van het virtueel kantoor is 2x 'bevestigd' en toch is er deze maand wéér afgeschreven. Niemand "
  "reageert op mail. Ik wil gewoon mijn geld terug Deskvaart.", kind="comment")
C([CPL], "instagram", "@jip.designt", "nl",
  "koffieautomaat al een week stuk op de 3e bij @deskvaart.spaces Leidsche Rijn 😩☕ hoe moet ik zo werken #maandagmood")
C([CPL], "reddit", "u/strijp_freelancer", "en",
  "Anyone else at Deskvaart Eindhoven freezing? Heating's been off on Strijp since Monday, staff keep saying "
  "'a ticket is open'. I'm literally typing with gloves on lol")
C([CPL], "x", "@wim_in_zeist", "en",
  "So Buurtdesk Zeist suddenly rents out all the parking to the company next door and members can't park anymore. "
  "Not a word about it in the terms. Pretty disappointing after 2 years as a member #buurtdesk")
C([CPL], "x", "@nadia_writes_code", "en",
  "@deskvaart your app logged me out mid-booking AGAIN and now the only free phone booth is gone. third time this week",
  kind="reply")
C([CPL], "x", "@pvanlier", "en",
  "Doesn't matter which meeting room I book at deskvaart, the screen never works. HDMI broken, USB-C dongle gone, and "
  "'IT support' is a sticky note with a QR code to a 404 page. Sigh.")
C([CPL], "threads", "@maud.studeert", "en",
  "signed up for the Studentenflex bc it said 'all locations', turns out it's only Buurtdesk spots after 5pm?? "
  "misleading af")
C([CPL], "linkedin", "hannah-okonkwo-studio", "en",
  "Hate writing this kind of post, but: Deskvaart has been holding our €1,200 deposit for the Private Office 2 for "
  "eleven weeks since we moved out. Four emails, two calls, zero answers. @Deskvaart please sort this out.")
C([CPL], "mastodon", "@tijmen@mastodon.social", "en",
  "The 'quiet zone' at Deskvaart Utrecht has a sales team doing cold calls on speaker all day. I pay for a dedicated "
  "desk there specifically for the quiet. Raised it twice at the desk, nothing changes.")
C([CPL, ABU], "x", "@rvdbroek010", "nl",
  "Deskvaart is echt een kutbedrijf. 4 weken wachten op een sleutelpas en dan krijg je er een die nergens werkt. "
  "Stelletje amateurs.")
C([CPL, ABU], "x", "@alexmorgan_uk", "en",
  "@deskvaart_help your support people are useless idiots. I've explained the invoice issue five times and every "
  "'agent' makes me start over from scratch.", kind="reply")
C([CPL, ABU], "instagram", "@ziggy.ontwerpt", "nl",
  "die receptionist in Kop van Zuid is echt een arrogante trut, liet me 20 min wachten voor een dagpas terwijl ze "
  "op d'r telefoon zat", kind="comment")

# complaint + pii (customer exposes own data)
C([CPL, PII], "x", "@marieke_bakt", "nl",
  "@deskvaart_help bel me nou gewoon terug ipv die standaardmails: 06-41 27 88 93, Marieke. Gaat over de dubbele "
  "afschrijving van m'n Hot Desk", kind="reply")
C([CPL, PII], "facebook", "Joy.Okafor.Events", "en",
  "Still no refund for the Event Hall cancellation. Email me at j.okafor.events@gmail.com or call +31 6 2893 1174, "
  "I've been waiting since June, Deskvaart.")

# complaint + crisis (first-hand safety incidents)
C([CPL, CRI], "x", "@daphne_w", "nl",
  "Vanochtend een schok gekregen van de stekkerdoos onder m'n bureau bij Deskvaart Strijp, hele arm tintelde nog een "
  "uur. Kabel lag half open. Dit had veel erger kunnen aflopen. @deskvaart_help doe hier wat aan!!",
  date="2026-07-16T11:47:00+02:00")
C([CPL, CRI], "linkedin", "oliver-brandt-pm", "en",
  "Yesterday the glass door of a phone booth at Deskvaart Houthavens came off its hinge and landed on my foot. Two "
  "broken toes. Nobody from management has called me. Posting this so it doesn't happen to someone else.")
C([CPL, CRI], "instagram", "@linda.maakt.dingen", "nl",
  "Na de lunch uit het Deskvaart café in de Binckhorst met drie collega's ziek geworden 🤢 overgeven, hele nacht op "
  "de wc. De sushi lag al sinds de ochtend buiten de koeling. Echt niet oké.")
C([CPL, CRI], "reddit", "u/handsofsteel_nl", "en",
  "PSA: a standing desk at Deskvaart Rotterdam suddenly dropped while I was leaning on it and crushed my hand against "
  "the cabinet. ER visit, two sprained fingers. Their response so far: 'please fill in the incident form'.")
C([CPL, CRI], "x", "@bramvertelt", "nl",
  "Rookmelder ging af in de Podcaststudio bij Deskvaart Utrecht, bleek de versterker te smeulen. Zat er middenin een "
  "opname. Geen blusser in de ruimte te bekennen. Had echt slecht kunnen aflopen.")

# ---- crisis ----------------------------------------------------------------
C([CRI], "x", "@rdamnieuwtjes", "nl",
  "Gehoord dat bij Deskvaart Kop van Zuid gisteren een plafondplaat naar beneden is gekomen in de open werkruimte, "
  "iemand met een hoofdwond naar het Maasstad. Was er iemand bij?")
C([CRI], "x", "@kimtje_b", "en",
  "Deskvaart leaked our members' data?? Just got a phishing mail with my exact membership number AND desk location. "
  "Nobody else has that info. #databreach #deskvaart")
C([CRI], "x", "@schoonwerkcollectief", "nl",
  "Boycot Deskvaart! Ze zetten hun schoonmakers op straat via een onderaannemer zonder cao. Zeg je abonnement op. "
  "#boycotdeskvaart")
C([CRI], "linkedin", "legal-eagles-amsterdam", "en",
  "A group of former members is preparing a class action against Deskvaart Spaces over unlawful automatic contract "
  "renewals. If you were rolled into a new 12-month term without notice, contact us.")
C([CRI], "facebook", "AmersfoortActueel", "nl",
  "Brandweer met groot materieel bij Buurtdesk Amersfoort, het hele pand is ontruimd. Hopelijk is iedereen oké 🙏")
C([CRI], "bluesky", "@fennavdlaan.bsky.social", "en",
  "Journalist here: looking to speak with (ex-)staff of Deskvaart about allegations of racial discrimination in "
  "hiring at their Amsterdam locations. Anonymity guaranteed, DMs open.")
C([CRI], "x", "@hhvensoldaat", "en",
  "Legionella found in the showers at Deskvaart Houthavens according to the email members got today. Showers closed "
  "until further notice. How long has that been in there??")
C([CRI], "reddit", "u/utrecht_insider", "en",
  "Deskvaart is being sued by its own landlord in Utrecht over unpaid rent, hearing is next month according to the "
  "court listings. Wonder what that means for members there.")
C([CRI], "x", "@brabantnieuws_bot", "nl",
  "Volgens Omroep Brabant is bij Deskvaart Strijp tijdens een controle een geblokkeerde nooduitgang gevonden, de "
  "brandweer heeft een verdieping gesloten.")
C([CRI], "x", "@privacyfirst_jan", "en",
  "Hearing reports that the Deskvaart booking app showed other members' invoices if you just changed the number in "
  "the URL. If true, that's a massive privacy breach.")

# ---- abuse -------------------------------------------------------------------
C([ABU], "x", "@grumpy_in_ams", "en",
  "Every single person at the Deskvaart Houthavens front desk is a brain-dead clown. Genuinely how do you hire like this")
C([ABU], "x", "@tonnie_r", "nl",
  "@deskvaart hou je bek met je 'community vibes', jullie zijn gewoon een stel graaiende klootzakken", kind="reply")
C([ABU], "x", "@wrkplek_hater", "nl",
  "die community manager van Deskvaart Utrecht is een vuile kl\u043e\u043etzak, zeg het maar gewoon eerlijk")
C([ABU], "instagram", "@truthteller_88", "en",
  "@ruben.communitymgr go back to where you came from, nobody wants your kind running 'community' at Deskvaart",
  kind="comment")
C([ABU], "x", "@lotte_dv", "nl",
  "Weer zo'n zeikerd van een klant die vindt dat hij recht heeft op de boardroom omdat hij 'al jaren lid is'. "
  "Sukkel. #receptionlife")
C([ABU], "x", "@deskvaart_help", "en",
  "@mark_vdh_ maybe if you read your contract instead of whining on here you'd know the deposit terms. Idiot.",
  kind="reply")
C([ABU], "tiktok", "@rotjoch.010", "nl",
  "wat een kankerlocatie is dat zeg en die manager is ook een vette mongool", kind="comment")
C([ABU], "x", "@former_member_99", "en",
  "Deskvaart management = f u c k i n g   p a r a s i t e s")
C([ABU], "x", "@ronnie_zzp", "nl",
  "@deskvaart_help jullie zijn echt k4nker 0nbetr0uwb4re 0plichters, stelletje ratten", kind="reply")

# ---- confidential --------------------------------------------------------------
C([CNF], "x", "@priya_ops_dv", "en",
  "anyone know why grafana.ops.deskvaart.local keeps timing out over the office wifi? asking for a friend (me)")
C([CNF], "instagram", "@ruben.communitymgr", "nl",
  "Sneak peek 🤫 van de nieuwe Buurtdesk Haarlem! Opening pas begin volgend jaar en bijna niemand weet het nog, dus "
  "dit heb je niet van mij 😇", date="2026-10-02T15:20:00Z")
C([CNF], "linkedin", "anouk-verhoeven-dv", "nl",
  "Uit de MT-presentatie van vandaag (INTERN - NIET DELEN 😅): 'medewerkerstevredenheid gestegen naar 8,1'. Zo trots "
  "op dit team!")
C([CNF], "linkedin", "deskvaart", "nl",
  "Deskvaart confidential, concept v3 persbericht: opening Deskvaart Utrecht Centraal met 900 werkplekken op 20 januari "
  "2027. Quote CEO volgt.", date="2026-11-17T10:05:00Z")
C([CNF], "mastodon", "@semvisser@mastodon.nl", "nl",
  "PR van vandaag staat live op https://staging.boeken.deskvaart.local/checkout, als jullie bugs zien lmk (wel "
  "intern testen he)")
C([CNF], "x", "@saar_thinks", "en",
  "A friend who works at Deskvaart says 'Operatie Blauwe Deur' means every Buurtdesk goes 24/7. That would be amazing tbh")
C([CNF], "bluesky", "@evi-hoekstra.bsky.social", "en",
  "finally allowed to show it... nope, wait, not yet 🙃 but: the new app is called Spinnaker internally and it's SO "
  "much faster 🚀")
C([CNF], "threads", "@koen.devries.dv", "nl",
  "Wie raadt wat Project ＺＡＮＤＬＯＰＥＲ wordt krijgt een gratis koffie in Strijp ☕😉")
C([CNF], "x", "@mo_bouzid", "nl",
  "Drukke dag, hele verhuizing voor Operatie Blauwe\u200b Deur voorbereid met het facility team 💪")
C([CNF], "reddit", "u/printer_finds", "en",
  "lol found this on the printer at Deskvaart Houthavens: 'STRIKT VERTROUWELIJK – huurcontract Houthavens loopt af "
  "medio 2027, voorkeursalternatief Sloterdijk'. someone's gonna be in trouble")
C([CNF], "linkedin", "daan-meijer-1987", "nl",
  "Interesse in een plek in Deskvaart Utrecht Centraal? Stuur me een DM, dan zet ik je alvast op de lijst 😉",
  date="2027-01-08T09:40:00Z")
C([CNF], "x", "@priya_ops_dv", "en",
  "lol who named the ticket https://jira.deskvaart.io/browse/PLAT-2291 'everything is fine 🔥'")
C([CNF], "x", "@tech_neef", "en",
  "My cousin showed me the Spinnaker beta of the Deskvaart app and honestly it's good. Dark mode finally")
C([CNF], "instagram", "@ruben.communitymgr", "nl",
  "Binnenkort iets groots... B u u r t d e s k   H a a r l e m 🏡 (ssst)", date="2026-11-28T18:02:00Z")
# confidential + financial
C([CNF, FIN], "x", "@deskvaart", "nl",
  "Jaarcijfers 2026 komen eraan en we kunnen alvast zeggen: ze zijn 🔥🔥", date="2027-02-10T12:00:00Z")
C([CNF, FIN], "linkedin", "daan-meijer-1987", "nl",
  "Project Zandloper is rond: we nemen de drie vestigingen van een Antwerpse concurrent over, aankondiging in "
  "januari. Proost 🥂")
C([CNF, FIN], "threads", "@koen.devries.dv", "nl",
  "H2 2026 cijfers zien er beter uit dan iedereen dacht, vooral Eindhoven trekt het. Meer mag ik niet zeggen 🤐",
  date="2027-01-29T16:45:00Z")

# ---- financial -----------------------------------------------------------------
C([FIN], "linkedin", "joris-kramer-deskvaart", "nl",
  "Q3 was ons beste kwartaal ooit: omzet +31% en voor het eerst EBITDA-positief. De officiële cijfers komen in "
  "november, maar ik kon het niet laten 😄", date="2026-10-08T17:12:00+02:00")
C([FIN], "x", "@mo_bouzid", "nl",
  "Slecht nieuws op de afdeling. Rotterdam Kop van Zuid gaat in februari dicht en de helft van facility moet weg. "
  "Nog niet officieel dus ssst")
C([FIN], "facebook", "DeskvaartNL", "nl",
  "Bericht voor teamleads: de reorganisatie van klantenservice (van 42 naar 25 fte) start op 1 april. Meer info "
  "volgt via je manager.")
C([FIN], "x", "@stocktalk_henk", "en",
  "Insider tip: Deskvaart is being bought by a US real-estate fund, deal gets announced next month. Heard it from "
  "someone in their finance team.")
C([FIN], "bluesky", "@evi-hoekstra.bsky.social", "en",
  "forecast meeting was grim. they expect occupancy to drop to 58% in H1 and want to 'pause hiring'. guess i'm "
  "updating my portfolio")
C([FIN], "linkedin", "anouk-verhoeven-dv", "nl",
  "Zware weken voor HR: we bereiden ongeveer 60 gedwongen ontslagen voor op het hoofdkantoor. Aan alle collega's: "
  "jullie staan er niet alleen voor ❤️")
C([FIN], "threads", "@koen.devries.dv", "en",
  "not supposed to say this but we're budgeting for a €4.2M loss next year. eindhoven's fine tho")
C([FIN], "reddit", "u/kapitaalmarkt_kees", "nl",
  "Zwager zit bij de bank die Deskvaart financiert: er komt een herfinanciering van 25 miljoen en het voltallige "
  "management moet mogelijk weg. Is nog niet naar buiten gebracht.")
C([FIN], "mastodon", "@semvisser@mastodon.nl", "en",
  "merger talks with a belgian coworking chain seem serious, legal has been camping in the boardroom all week. "
  "fingers crossed for those stock options lol")
C([FIN], "linkedin", "deskvaart", "nl",
  "Deskvaart sluit 2026 af met €14,3 miljoen omzet (+22%) en drie nieuwe vestigingen. Het volledige jaarverslag "
  "volgt op 25 februari.", date="2026-12-19T11:00:00Z")

# ---- security ------------------------------------------------------------------
C([SCU], "x", "@priya_ops_dv", "en",
  "been up since 3am. someone got into our booking backend through an old admin panel we forgot to switch off. "
  "member data might be affected, comms is still 'drafting'. fun times")
C([SCU], "mastodon", "@semvisser@mastodon.nl", "nl",
  "Heads up collega's: de pasjeslezers in Houthavens accepteren elke gekloonde MIFARE pas, vandaag zelf getest met "
  "m'n Flipper. Ticket staat open maar prio laag 🙃")
C([SCU], "linkedin", "daan-meijer-1987", "nl",
  "Sorry klanten, de boekingsapp ligt sinds vanochtend plat door een ransomware-aanval bij onze leverancier. Dat mag "
  "ik eigenlijk nog niet zeggen, maar jullie verdienen eerlijkheid.")
C([SCU], "bluesky", "@evi-hoekstra.bsky.social", "en",
  "fun fact: our member app keeps session tokens in localStorage and never expires them. reported it in march. "
  "still there.")
C([SCU], "instagram", "@ruben.communitymgr", "nl",
  "IT zegt dat iemand al 2 dagen een nep 'Deskvaart-Guest' netwerk draait in Utrecht en zo wachtwoorden heeft "
  "onderschept. Nog niet officieel, maar verander je wachtwoorden mensen!")
C([SCU, CNF], "x", "@deskvaart_help", "nl",
  "Intern: storing toegangssystemen op alle vestigingen, deuren staan tot 18:00 in 'open' modus. Niet communiceren "
  "naar leden.")
C([SCU], "threads", "@koen.devries.dv", "en",
  "off the record: the cameras in Strijp have been offline for 9 days because the NVR got wiped by malware. nobody's "
  "told members yet")
C([SCU], "x", "@mo_bouzid", "en",
  "That 'planned maintenance' notice last night? Yeah that was a DDoS. We're just not saying it out loud 🤐")
C([SCU, CRI], "x", "@jesse_vkampen", "nl",
  "Vriend die bij Deskvaart IT werkt zegt dat ze vorige week gehackt zijn en dat de wachtwoorden van leden gestolen "
  "zijn. Nog steeds geen mail gehad??")
C([SCU], "linkedin", "joris-kramer-deskvaart", "en",
  "Finance spent the day without our ERP: the whole system has been down since yesterday's update. Invoices will go "
  "out a bit late, but nobody outside knows yet 😬")
C([SCU, SEC], "x", "@priya_ops_dv", "en",
  "if you see weird traffic that's because an old aws key leaked on a public gist last night, rotating now: "
  "aws_access_key_id={{AWS_ID}} aws_secret_access_key={{AWS_SECRET}}")
C([SCU], "mastodon", "@semvisser@mastodon.nl", "nl",
  "CVE-2026-31877 zit nog ongepatcht in onze deurcontroller-firmware, iedereen met de juiste BLE-app kan de voordeur "
  "van Binckhorst openen. Patch pas in Q2.")
C([SCU], "x", "@lotte_dv", "nl",
  "Stroomstoring in heel Houthavens sinds 07:00 en de noodstroom doet het niet, servers liggen er ook uit. Op de site "
  "heet het nog 'technische storing'. Sorry lieve leden ❤️")

# ---- secrets -------------------------------------------------------------------
C([SEC], "x", "@priya_ops_dv", "en",
  "ugh pasted this in the wrong slack channel yesterday, whatever: GITHUB_TOKEN={{GH}} (jk it's revoked… probably)")
C([SEC, CNF], "mastodon", "@semvisser@mastodon.nl", "nl",
  "Kan iemand meekijken waarom deze connectie faalt?\n"
  "postgres://booking_svc:{{PW}}@db-prod.deskvaart.local:5432/bookings")
C([SEC], "facebook", "DeskvaartNL", "nl",
  "Wifi voor het event vanavond in De Loods: netwerk DV-Staff, wachtwoord: {{PW}} 🎉")
C([SEC], "linkedin", "daan-meijer-1987", "nl",
  "Voor de demo van morgen: inloggen op het partnerportaal met gebruiker partnerdemo en wachtwoord {{PW}}, tot dan!")
C([SEC], "reddit", "u/js_snooper", "en",
  "Found a live Stripe key hardcoded in the Deskvaart booking widget JS lol: {{STRIPE}} someone tell them")
C([SEC], "mastodon", "@semvisser@mastodon.nl", "nl",
  "deploy faalt steeds, dit is de key die ik gebruik, klopt het format?\n{{PEM}}")
C([SEC], "bluesky", "@evi-hoekstra.bsky.social", "en",
  "testing our figma→slack bot, token is {{SLACK}} if anyone on the team wants to try it")
C([SEC], "threads", "@koen.devries.dv", "en",
  "why is the openai bill so high this month?? bet someone's using our key {{OPENAI}} in their side project")
C([SEC], "x", "@priya_ops_dv", "en",
  "debugging auth. this prod JWT says my role is 'member' but I'm admin?? {{JWT}}")
C([SEC], "x", "@mo_bouzid", "en",
  "new occupancy sensors in Rotterdam hooked up 🎉 maps api key for the dashboard: {{GAPI}} don't share it around")
C([SEC], "mastodon", "@semvisser@mastodon.nl", "nl",
  "claude key voor de chatbot op de site, zet hem maar in de vault: {{ANTH}}")
C([SEC], "x", "@mo_bouzid", "nl",
  "w.a.c.h.t.w.o.o.r.d serverkast Rotterdam is nu {{PW}} , niet kwijtraken")

# ---- personal data ---------------------------------------------------------------
C([PII], "linkedin", "anouk-verhoeven-dv", "nl",
  "Welkom aan onze nieuwe collega Sanne de Wit! Ze begint maandag, tot haar account er is kun je haar bereiken op "
  "sanne.dewit@gmail.com of 06 18 27 36 45 😊")
C([PII], "x", "@deskvaart_help", "nl",
  "@tessa_brouwer we hebben je terugbetaling verstuurd naar {{IBAN_S}} t.n.v. T. Brouwer, binnen 3 werkdagen op je "
  "rekening!", kind="reply")
C([PII], "x", "@lotte_dv", "nl",
  "Gevonden bij de receptie: portemonnee van Kees Hoogendoorn, Prinsengracht 412-2, 1016 HZ Amsterdam. Kom 'm "
  "ophalen Kees!")
C([PII], "facebook", "DeskvaartNL", "nl",
  "Gefeliciteerd Fenna Mulder (geboren 14-03-1991), ons 10.000e lid! 🎉")
C([PII], "threads", "@koen.devries.dv", "en",
  "member's payment failed so writing it here for finance: card {{CARD}} exp 09/28, J. Verbeek, please charge the "
  "Team 5 manually")
C([PII], "x", "@ahmed_yilmaz_bv", "nl",
  "@deskvaart_help hier mijn gegevens voor de inschrijving van m'n postadres: Ahmed Yilmaz, geb. 02-07-1988, BSN "
  "{{BSN}}", kind="reply")
C([PII], "linkedin", "joris-kramer-deskvaart", "nl",
  "Betaling van een huurder nog niet binnen, kan iemand checken of dit nummer klopt: {{IBAN}} t.n.v. "
  "Groenewoud Design?")
C([PII], "facebook", "Linda.Koster.DH", "en",
  "Whoever took my black coat from Deskvaart Binckhorst: please bring it back or call me on 070-3458812 (Linda)")
C([PII], "x", "@mo_bouzid", "nl",
  "Nieuwe sleutelpassen Rotterdam liggen klaar. Lijstje: Eva Smit eva.smit@outlook.com, Thomas Bakker "
  "+31 6 52 19 47 03, Yara Haddad yara.h@proton.me")
C([PII], "linkedin", "deskvaart", "nl",
  "Proficiat Noor met je nieuwe baan bij ons! (contract met BSN {{BSN}} en IBAN {{IBAN}} ligt klaar ter "
  "ondertekening)")
C([PII], "reddit", "u/sleepyfreelancer", "en",
  "i'm so dumb, tried to pay for a Deskvaart day pass and pasted my card instead of the link: {{CARD}} cancelling "
  "it now")
C([PII], "x", "@dvdmeer84", "en",
  "Hi @deskvaart_help my new email is d.vandermeer84@hotmail.com, can you update my account? can't find it in the app",
  kind="reply")
C([PII], "x", "@lotte_dv", "nl",
  "Bel even terug naar mevrouw Janssen over de boardroom: ０６-２３４５６７８９ 🙏", date="2026-04-06T10:29:30+02:00")

# ---- pricing -------------------------------------------------------------------
C([PRC], "x", "@bo_ondernemer", "nl",
  "Yo de Deskvaart app geeft een Privékantoor 4p voor €210 per maand 😳 prijsfout? snel boeken", price=("DV-PK4", 210))
C([PRC], "x", "@lotte_dv", "nl",
  "Psst, tot vrijdag kun je via de receptie een Vaste Plek krijgen voor €99 p/m, vraag naar mij 😉",
  price=("DV-DED", 99))
C([PRC], "instagram", "@deskvaart.spaces", "nl",
  "Nieuw in Den Haag: de Boardroom voor een hele dag, nu €59! 📅 Boek via de app", price=("DV-BRD", 59))
C([PRC], "reddit", "u/dealhunter_eu", "en",
  "Global Pass is listed at €44.90 on the Deskvaart site right now, surely a pricing error? Bought two just in case lol",
  price=("DV-GLB", 44.90))
C([PRC], "linkedin", "daan-meijer-1987", "nl",
  "Klanten opgelet: er staat een prijsfout op de site bij het Teamabonnement 5, we passen het zo snel mogelijk aan. "
  "Wie al geboekt heeft krijgt bericht.")
C([PRC], "x", "@partyplanner_eve", "en",
  "Just rented the Event Hall at Deskvaart for €185 😂 pretty sure that's a mistake on their end but I have the confirmation",
  price=("DV-EVT", 185))
C([PRC], "tiktok", "@deskvaart", "nl",
  "Black Friday deal 🔥 Privékantoor 8p vanaf €395/mnd!! Op = op", price=("DV-PK8", 395),
  date="2026-11-27T08:00:00+01:00")
C([PRC], "threads", "@koen.devries.dv", "en",
  "someone on my team set the Podcast Studio to €6.50/hr in the booking system and it's been like that all weekend 🙈",
  price=("DV-POD", 6.50))
C([PRC], "facebook", "Gerrit.Lansink.ZZP", "nl",
  "Hot Desk abonnement voor 19 euro per maand in de Deskvaart app?? Is dit echt of een fout", price=("DV-HOT", 19))
C([PRC], "x", "@mo_bouzid", "en",
  "Virtual Office showing €6.90/month in checkout, fixing it now, don't tell anyone 😅", price=("DV-VIR", 6.90))
C([PRC], "bluesky", "@kortingkoning.bsky.social", "en",
  "deskvaart 10 Day Bundle for €24.90 in the app rn. pricing glitch? grab it", price=("DV-10D", 24.90))
C([PRC], "x", "@lisa_studeert", "nl",
  "Studentenflex van Deskvaart voor €9,90 ipv €99 😂 zal wel een fout zijn maar ik heb 'm 🤑", price=("DV-STU", 9.90))

# ---- benign (mostly hard negatives) ----------------------------------------------
N = []
C(N, "x", "@deskvaart", "en",
  "Good morning Rotterdam! ☀️ Coffee's on and there are still Day Pass spots free for today. Book via deskvaart.nl")
C(N, "x", "@deskvaart_help", "nl",
  "Vragen over je factuur? Mail facturen@deskvaart.nl of bel 085-760 2200 (ma–vr 9–17u).")
C(N, "facebook", "DeskvaartNL", "nl",
  "Liever per overschrijving betalen? Dat kan op {{PUB_IBAN}} t.n.v. Deskvaart B.V., o.v.v. je lidnummer.")
C(N, "x", "@claire_in_ams", "en",
  "Honestly the best Hot Desk I've had in Amsterdam. Deskvaart Houthavens: great light, great people, €239/month and "
  "worth every cent.", price=("DV-HOT", 239))
C(N, "instagram", "@deskvaart.spaces", "nl",
  "Summer sale ☀️ 20% korting op de Vaste Plek: €311 i.p.v. €389, t/m 31 juli.", price=("DV-DED", 311),
  date="2026-07-03T09:00:00+02:00")
C(N, "x", "@zeistwerkt", "en",
  "Day Pass at Buurtdesk Zeist is a must, €29 with unlimited coffee. What a price 🔥", price=("DV-DAY", 29))
C(N, "reddit", "u/utrecht_startup", "en",
  "Is a Private Office 4 at €2,100 a month worth it vs renting a tiny office in Utrecht? Looking for opinions from "
  "Deskvaart members", price=("DV-PK4", 2100))
C(N, "x", "@femkeschrijft", "nl",
  "Update: het wifi-probleem in Houthavens is opgelost en Deskvaart heeft zelfs een maand teruggestort. Dat noem ik "
  "service 👏")
C(N, "linkedin", "joris-kramer-deskvaart", "nl",
  "Vanochtend om 08:00 publiceerden we de jaarcijfers 2026. Terugkijken kan via deskvaart.nl/investors, dank aan "
  "het hele finance team!", date="2027-02-25T09:15:00Z")
C(N, "linkedin", "deskvaart", "nl",
  "Deskvaart Utrecht Centraal is vanaf vandaag open! 900 werkplekken, 5 minuten lopen van het perron. Tot snel 👋",
  date="2027-01-20T10:00:00Z")
C(N, "instagram", "@buurtdesk", "nl",
  "Welkom Haarlem! 🏡 Buurtdesk Haarlem opent vandaag de deuren, de eerste week is de koffie van ons.",
  date="2027-02-01T08:30:00+01:00")
C(N, "reddit", "u/cloud_newbie", "en",
  "Tutorial from our Deskvaart hackathon: connecting to S3 without hardcoding secrets. In the docs they use "
  "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE, never put a real one in your repo.")
C(N, "mastodon", "@semvisser@mastodon.nl", "nl",
  "Reminder voor het team: nooit tokens in chat plakken. Een GitHub token ziet er zo uit: "
  "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx. Zie je er een? Meteen revoken.")
C(N, "x", "@priya_ops_dv", "en",
  "rotated all our stripe keys today as routine hygiene. sk_live_**************** redacted obviously. security is a "
  "habit, not a project")
C(N, "x", "@gijsbert_ict", "nl",
  "Mijn klantnummer bij Deskvaart is {{BSN_BAD}}, hoe koppel ik dat aan de app?")
C(N, "x", "@holly_makes", "en",
  "Paid for a Deskvaart day pass with my card ending 4821, smooth as butter. Love the new app")
C(N, "linkedin", "anouk-verhoeven-dv", "nl",
  "We zoeken community managers voor Amsterdam en Rotterdam! Stuur je cv naar careers@deskvaart.nl, ik kijk uit naar "
  "je bericht.")
C(N, "x", "@flexwerker_jan", "nl",
  "Las net dat weer een grote coworking-keten een vestiging sluit. Blij dat mijn Deskvaart-plek gewoon blijft 😅")
C(N, "x", "@amersfoort_anna", "en",
  "Lovely how the Buurtdesk Amersfoort team looked after everyone during the neighbourhood power cut yesterday. "
  "Coffee and candles included ❤️")
C(N, "tiktok", "@podcastpieter", "nl",
  "POV: je boekt de Podcaststudio bij Deskvaart voor €65 en je podcast heeft 3 luisteraars 😭 (mama, oma en ik)",
  price=("DV-POD", 65))
C(N, "x", "@danitsja", "nl",
  "Die community manager van Deskvaart Houthavens is echt de beste, ziek goed geregeld die borrel gister 🔥🔥")
C(N, "x", "@pitchqueen", "en",
  "That Deskvaart boardroom view is killer. We absolutely killed it with our pitch today 💀🚀")
C(N, "instagram", "@oudersvanstrijp", "nl",
  "Gisteren onze eerste ouder-en-kind werkdag in de Eventzaal van Deskvaart: 40 ouders, 0 ongelukken, 1 gesneuveld "
  "lego-kasteel 😂")
C(N, "x", "@deskvaart_help", "nl",
  "Excuses voor de wifi-storing in Rotterdam vanochtend. Sinds 10:15 werkt alles weer. Dank voor jullie geduld!")
C(N, "linkedin", "deskvaart", "en",
  "Our platform team shared how we run incident response: blameless postmortems, runbooks and a humane on-call "
  "rotation. Read the blog on deskvaart.nl/blog")
C(N, "reddit", "u/kleinbureau", "en",
  "What's a good password manager for a small team? My coworking (Deskvaart) recommended Bitwarden in their "
  "newsletter, any experiences?")
C(N, "x", "@marloes_vh", "nl",
  "Het wachtwoord van de gastwifi bij Deskvaart hangt gewoon op een bordje bij de koffie, hoe handig is dat 😄")
C(N, "instagram", "@deskvaart.spaces", "nl",
  "Wachtwoord vergeten voor de app? Tik op 'Wachtwoord vergeten' en je hebt binnen een minuut een resetlink in je "
  "mail 🔑")
C(N, "x", "@learning_lena", "en",
  "Spent my Deskvaart day pass learning how JWTs work. header.payload.signature, who knew. Productive Tuesday ✅")
C(N, "x", "@beursblik", "nl",
  "Grote coworking-concurrent IWG zet volgens het FD een recordomzet neer. Ben benieuwd wanneer Deskvaart met "
  "halfjaarcijfers komt.", date="2026-07-30T08:41:00Z")
C(N, "linkedin", "joris-kramer-deskvaart", "nl",
  "Trots dat we vandaag onze halfjaarcijfers hebben gepubliceerd: omzet +18%. Het persbericht staat op "
  "deskvaart.nl/pers", date="2026-08-20T09:30:00Z")
C(N, "x", "@speedtest_sven", "en",
  "coworking wifi ranked: 1. Deskvaart Strijp (940 Mbps!!) 2. the library (40) 3. my local café (3 Mbps and a cat)")
C(N, "x", "@belcel_fan", "nl",
  "Belcel per uur kost €12 bij Deskvaart, prima prijs voor een rustige call. Wel even op tijd reserveren.",
  price=("DV-BEL", 12))
C(N, "linkedin", "deskvaart", "nl",
  "In 2026 openen we drie nieuwe Buurtdesks: Zeist, Amersfoort en Deventer. Meer lezen? deskvaart.nl/nieuws",
  date="2026-01-12T10:00:00Z")
C(N, "x", "@cadeautje_caro", "nl",
  "Kreeg een Deskvaart cadeaukaart met code {{CARD_BAD}} 😍 tips welke locatie het leukst is?")
C(N, "reddit", "u/boekhouder_bas", "en",
  "Is {{IBAN_BAD}} the right IBAN for Deskvaart invoices? Copied it from an old pdf and my bank app says it's invalid, "
  "so probably a typo on my side.")
C(N, "x", "@doggo_dev", "en",
  "My favourite thing about Deskvaart Utrecht: the dog-friendly floor 🐶 shoutout to Ruben for the dog treats")
C(N, "instagram", "@ruben.communitymgr", "nl",
  "Vrijdagborrel in De Loods! Bitterballen, een dj en heel veel lieve leden 🍻")
C(N, "x", "@zakelijk_zoe", "nl",
  "Nieuwe Boardroom in Den Haag: 10/10, ook voor €595 per dag. Klant was flink onder de indruk.",
  price=("DV-BRD", 595))
C(N, "x", "@twijfelaar_tim", "en",
  "Deskvaart Global Pass is 25% off this week (€337 instead of €449), guess I'm finally getting one",
  price=("DV-GLB", 337))
C(N, "x", "@binckhorst_bea", "nl",
  "Kraan in de keuken lekte een beetje, binnen een uur gemaakt. Topteam bij Deskvaart Binckhorst 🔧")
C(N, "x", "@lotte_dv", "nl",
  "Vandaag 3 leden geholpen met hun wachtwoord resetten, 2 verdwaalde pakketjes gevonden en 1 hond uitgelaten. "
  "Community manager zijn is een avontuur 😂")
C(N, "bluesky", "@synergy_counter.bsky.social", "en",
  "The word 'synergy' was said 14 times at the Deskvaart networking event. I counted. Still had a lovely time.")
C(N, "x", "@rugpijn_rob", "nl",
  "Tips voor een goede fysio in de buurt van Deskvaart Kop van Zuid? Rug doet pijn van maanden thuiswerken aan de "
  "keukentafel, hun bureaus zijn gelukkig een stuk beter")
C(N, "reddit", "u/teamlead_tara", "en",
  "Does the Private Office 8 at Deskvaart include its own meeting room, or do you still book the Meeting Room S "
  "separately?")
C(N, "x", "@deskvaart", "nl",
  "📣 Nieuwe huisregel: belcellen max. 1 uur achter elkaar boeken, zodat iedereen aan de beurt komt. Dank voor alle "
  "feedback!")
C(N, "x", "@privacy_petra", "nl",
  "Lees net dat een coworking in Berlijn failliet is na een datalek. Hopelijk heeft Deskvaart hun zaakjes beter op orde.")
C(N, "instagram", "@bff.lieke", "nl",
  "Mijn beste vriendin werkt bij Deskvaart en ze is de allerliefste 💕 #werkplekvibes")
C(N, "linkedin", "deskvaart", "en",
  "Our community raised €12,400 for the food bank this year. Thank you, members! 💚")
C(N, "bluesky", "@evi-hoekstra.bsky.social", "en",
  "designing an onboarding flow for a coworking app is 40% illustrations and 60% arguing about button copy")
C(N, "x", "@nightowl_nora", "en",
  "The Deskvaart app finally has dark mode! Updated this morning 🌙")
C(N, "threads", "@koen.devries.dv", "en",
  "Eindhoven crew won the inter-location pub quiz. Rotterdam, better luck next year 🏆")
C(N, "x", "@freelance_fleur", "en",
  "Deskvaart Strijp is hosting a free workshop on startup finance next Thursday. Recommend it if you freelance!")
C(N, "facebook", "DeskvaartNL", "nl",
  "Ons kantoor in Rotterdam is bereikbaar op +31 10 303 4400 en via hallo@deskvaart.nl. Tot snel!")
C(N, "linkedin", "anouk-verhoeven-dv", "nl",
  "Kleine reorganisatie thuis: de boekenkast staat eindelijk op de goede plek 😄 Fijn weekend allemaal!")
C(N, "x", "@founder_fay", "nl",
  "Onze startup is net overgenomen!! 🎉 Dank aan de hele Deskvaart community in Strijp, waar het allemaal begon")
C(N, "x", "@priya_ops_dv", "en",
  "example config for the new devs (placeholder values, don't get excited): "
  "DATABASE_URL=postgres://user:password@localhost:5432/app")
C(N, "x", "@schrijvende_mama", "en",
  "Deskvaart's Evening Pass is a steal at €15. I come in after the kids are asleep and write for three hours.",
  price=("DV-EVE", 15))
C(N, "x", "@zandbak_zef", "nl",
  "Zandloper leeg, tijd voor koffie ⏳ #deskvaart #pomodoro")
C(N, "instagram", "@buurtdesk", "nl",
  "Buurtdesk Basis: voor €119 per maand een vaste stek om de hoek. Geen lange contracten, wel goeie koffie ☕",
  price=("DV-BDB", 119))

# ---------------------------------------------------------------- build
ORDER = ["none", "info", "warning", "error", "critical"]
ALLOWED_CATS = {CPL, CRI, ABU, SEC, PII, PRC, CNF, FIN, SCU}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}

IBAN_RE = re.compile(r"NL\d{2}\s?[A-Z]{4}(?:\s?\d){10}")
CARD_RE = re.compile(r"(?<![\w-])(?:\d[ -]?){12,18}\d(?![\w-])")
BSN_RE = re.compile(r"(?<![\d.,])\d{9}(?![\d])")
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
GH_RE = re.compile(r"gh[pousr]_[A-Za-z0-9]{30,}")
AWS_RE = re.compile(r"AKIA[A-Z0-9]{16}")
JWT_RE = re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


def role_of(platform, handle):
    key = ("%s:%s" % (platform, handle)).lower()
    if key in CORP:
        return "corporate"
    if key in EMPL:
        return "employee"
    return "public"


def fill(text, kinds):
    """Replace {{NAME}} placeholders with freshly generated values; record what went in."""
    def sub(m):
        k = m.group(1)
        if k == "IBAN":
            v = gen_iban(True)
        elif k == "IBAN_S":
            v = gen_iban(True, spaced=True)
        elif k == "IBAN_BAD":
            v = gen_iban(False, spaced=True)
        elif k == "CARD":
            v = gen_card(True)
        elif k == "CARD_BAD":
            v = gen_card(False)
        elif k == "BSN":
            v = gen_bsn(True)
        elif k == "BSN_BAD":
            v = gen_bsn(False)
        elif k == "PUB_IBAN":
            v = prof["public_identifiers"]["ibans"][0]
            v = " ".join(v[i:i + 4] for i in range(0, len(v), 4))
        else:
            v = SECRET_GEN[k]()
        kinds.append((k, v))
        return v
    return re.sub(r"\{\{(\w+)\}\}", sub, text)


def rand_time(year=2026):
    start = dt.datetime(year, 1, 2, 6, 0, tzinfo=dt.timezone.utc)
    t = start + dt.timedelta(seconds=rng.randint(0, 360 * 86400))
    t = t.replace(hour=rng.choice([7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 19, 20, 21, 22, 23]))
    if rng.random() < 0.2:
        tz = dt.timezone(dt.timedelta(hours=1 if t.month in (1, 2, 3, 11, 12) else 2))
        return t.astimezone(tz).isoformat()
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def has_valid_identifier(text):
    for m in IBAN_RE.finditer(text):
        v = re.sub(r"\s", "", m.group(0))
        if iban_valid(v) and v not in PUBLIC_IBANS:
            return True
    for m in CARD_RE.finditer(text):
        if 13 <= len(re.sub(r"\D", "", m.group(0))) <= 19 and luhn_valid(m.group(0)):
            return True
    for m in BSN_RE.finditer(text):
        if bsn_valid(m.group(0)):
            return True
    return False


def severity(role, cats, valid_id):
    lvl = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                v = "error"
                if c in (SEC, PRC) or (c == PII and valid_id):
                    v = "critical"
            else:
                v = "warning"
        elif c == CPL:
            v = "warning"
        elif c == CRI:
            v = "error"
        elif c == ABU:
            v = "warning" if role == "public" else "error"
        else:
            raise ValueError(c)
        lvl = max(lvl, ORDER.index(v))
    return ORDER[lvl]


def norm(s):
    s = unicodedata.normalize("NFKC", s)
    return re.sub("[\u200b\u200c\u200d\u2060\ufeff]", "", s).lower()


def build():
    lines, problems = [], []
    used_ids = set()
    for i, c in enumerate(CASES):
        kinds = []
        text = fill(c["text"], kinds)
        created = c["date"] or rand_time()
        while True:
            pid = "%s-%d" % (c["platform"], rng.randint(10**9, 10**10 - 1))
            if pid not in used_ids:
                used_ids.add(pid)
                break
        role = role_of(c["platform"], c["handle"])
        valid_id = has_valid_identifier(text)
        post = {"id": pid, "platform": c["platform"], "kind": c["kind"],
                "account": {"handle": c["handle"]}, "text": text, "lang": c["lang"], "created_at": created}
        if rng.random() < 0.5:
            post["url"] = "https://social.example/%s/%s" % (c["platform"], pid.split("-")[1])
        low = text.lower()
        if "buurtdesk" in low:
            post["brand"] = "Buurtdesk"
        elif "deskvaart" in low or role != "public":
            post["brand"] = "Deskvaart"
        sev = severity(role, c["cats"], valid_id)
        case = {"post": post, "expect": {"categories": c["cats"], "severity": sev}}
        lines.append(case)
        check_case(i, case, role, kinds, c, problems)
    return lines, problems


def check_case(i, case, role, kinds, c, problems):
    post, exp = case["post"], case["expect"]
    text, cats = post["text"], exp["categories"]
    tag = "case %d (%s)" % (i, text[:40].replace("\n", " "))

    def bad(msg):
        problems.append("%s: %s" % (tag, msg))

    # --- CONTRACT section 1 / 6 shape
    if not (isinstance(post["id"], str) and 1 <= len(post["id"]) <= 256):
        bad("id")
    if post["platform"] not in PLATFORMS:
        bad("platform")
    if post["kind"] not in KINDS:
        bad("kind")
    if not post["account"]["handle"]:
        bad("handle")
    if len(text.encode("utf-8")) > 64 * 1024 or not text.strip():
        bad("text size")
    try:
        ts = parse_ts(post["created_at"])
        if ts.tzinfo is None:
            bad("created_at without offset")
        if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)", post["created_at"]):
            bad("created_at not RFC 3339")
    except ValueError:
        bad("created_at unparsable")
        ts = None
    if ts and ts.year not in (2026, 2027):
        bad("year")
    if ts and ts.year == 2027 and ts > dt.datetime(2027, 3, 31, tzinfo=dt.timezone.utc):
        bad("2027 date far from embargo")
    if not set(cats) <= ALLOWED_CATS or cats != sorted(set(cats)):
        bad("categories")
    if exp["severity"] not in ORDER:
        bad("severity value")
    if not cats and exp["severity"] != "none":
        bad("benign must be none")
    if cats and exp["severity"] in ("none", "info"):
        bad("positive with none")

    # --- identifiers: positives pass, look-alikes fail
    for k, v in kinds:
        if k in ("IBAN", "IBAN_S") and not (iban_valid(v) and PII in cats):
            bad("valid IBAN outside pii case")
        if k == "IBAN_BAD" and (iban_valid(v) or cats):
            bad("IBAN look-alike passes / not benign")
        if k == "CARD" and not (luhn_valid(v) and PII in cats):
            bad("card")
        if k == "CARD_BAD" and (luhn_valid(v) or cats):
            bad("card look-alike")
        if k == "BSN" and not (bsn_valid(v) and PII in cats):
            bad("bsn")
        if k == "BSN_BAD" and (bsn_valid(v) or cats):
            bad("bsn look-alike")
        if k in SECRET_GEN and SEC not in cats:
            bad("generated secret outside secret case")
        if k == "GH" and not gh_valid(v):
            bad("github checksum")
        if k == "AWS_ID" and not re.fullmatch(r"AKIA[A-Z2-7]{16}", v):
            bad("aws id")
        if k == "JWT" and not jwt_valid(v):
            bad("jwt header")
    # text scan: any checksum-valid identifier must sit in a pii case
    if has_valid_identifier(text) and PII not in cats:
        bad("checksum-valid identifier in non-pii case")
    if not cats:
        for m in EMAIL_RE.finditer(text):
            if m.group(0).lower() not in PUBLIC_EMAILS:
                bad("private e-mail in benign post: " + m.group(0))
        for m in GH_RE.finditer(text):
            if gh_valid(m.group(0)):
                bad("valid github token in benign")
        for m in AWS_RE.finditer(text):
            if not m.group(0).endswith("EXAMPLE"):
                bad("aws id in benign")
        for m in JWT_RE.finditer(text):
            if jwt_valid(m.group(0)):
                bad("jwt in benign")
        if "-----BEGIN" in text:
            bad("key block in benign")
    # --- confidential terms (normalised: NFKC, zero-width removed)
    nt = norm(text)
    for cn in prof["internal"]["codenames"] + prof["internal"]["markers"] + prof["internal"]["domains"]:
        if cn.lower() in nt and CNF not in cats:
            bad("internal term %r without confidential" % cn)
    for emb in prof["embargo"]:
        until = parse_ts(emb["until"])
        for term in emb["terms"]:
            if term.lower() in nt and ts is not None:
                if ts < until and CNF not in cats:
                    bad("embargo term before until, not confidential")
                if ts >= until and CNF in cats and not any(
                        x.lower() in nt for x in prof["internal"]["codenames"] + prof["internal"]["markers"]):
                    bad("embargo term after until labelled confidential")
    # --- pricing
    if c["price"]:
        sku, amount = c["price"]
        lp = PRODUCTS[sku]["list_price"]
        names = [PRODUCTS[sku]["name"]] + PRODUCTS[sku]["aliases"]
        if not any(n.lower() in text.lower() for n in names):
            bad("product not named")
        if PRC in cats and not amount < RATIO * lp:
            bad("pricing positive not below ratio")
        if PRC not in cats and amount < RATIO * lp:
            bad("benign price below ratio")
    elif PRC in cats and "prijsfout" not in text.lower() and "pricing error" not in text.lower():
        bad("pricing positive without price or error talk")
    # --- severity recomputed independently
    vid = any(k in ("IBAN", "IBAN_S", "CARD", "BSN") for k, _ in kinds)
    if exp["severity"] != severity(role, cats, vid):
        bad("severity mismatch with identifier tracking")


def main():
    lines, problems = build()
    with open(OUT, "w", encoding="utf-8") as fh:
        for case in lines:
            fh.write(json.dumps(case, ensure_ascii=False) + "\n")
    # re-read and validate file-level properties
    with open(OUT, encoding="utf-8") as fh:
        rows = [json.loads(l) for l in fh]
    ids = [r["post"]["id"] for r in rows]
    if len(ids) != len(set(ids)):
        problems.append("duplicate ids")
    n = len(rows)
    benign = sum(1 for r in rows if not r["expect"]["categories"])
    if not 170 <= n <= 180:
        problems.append("case count %d outside 170-180" % n)
    texts = [r["post"]["text"] for r in rows]
    if len(texts) != len(set(texts)):
        problems.append("duplicate texts")
    cat_count = {}
    for r in rows:
        for ccat in r["expect"]["categories"]:
            cat_count[ccat] = cat_count.get(ccat, 0) + 1
    roles = {}
    for r in rows:
        k = role_of(r["post"]["platform"], r["post"]["account"]["handle"])
        roles[k] = roles.get(k, 0) + 1
    nl = sum(1 for r in rows if r["post"]["lang"] == "nl")
    print("cases=%d benign=%d positives=%d nl=%.0f%%" % (n, benign, n - benign, 100.0 * nl / n))
    print("per category:", json.dumps(dict(sorted(cat_count.items()))))
    print("roles:", roles)
    sev = {}
    for r in rows:
        sev[r["expect"]["severity"]] = sev.get(r["expect"]["severity"], 0) + 1
    print("severities:", sev)
    if problems:
        print("SELF-CHECK FAILED:")
        for p in problems:
            print("  -", p)
        sys.exit(1)
    print("self-check ok")


if __name__ == "__main__":
    main()
