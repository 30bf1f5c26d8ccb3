#!/usr/bin/env python3
"""Build cases.jsonl for held-out set sealed414 (Vlonder & Kruik Dranken B.V.).

Deterministic: fixed seed, standard library plus PyYAML. Every post text is written by
hand below; only credentials, identifiers, ids and (most) timestamps are generated.
Run it and it writes cases.jsonl beside itself, then checks its own output:

* every line is a valid CONTRACT section 6 case (post fields, types, categories);
* severities are computed from CONTRACT section 4 and the account role found in
  profile.yaml (never typed by hand);
* every IBAN / payment card / BSN in a positive passes its checksum, every look-alike
  in a benign post fails it (the company's own published IBAN excepted);
* generated credentials are built the way the real ones are (GitHub CRC-32, AWS id
  alphabet, JWT header with alg, ...);
* confidential labels agree with the profile's internal terms and embargo windows;
* pricing labels agree with the catalogue list prices.
"""
import base64
import hashlib
import hmac
import json
import os
import random
import re
import string
import sys
import unicodedata
import zlib
from datetime import datetime, timedelta, timezone

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 414_2026
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# ---------------------------------------------------------------- categories ---
SECRET = "leak.secret"
PII = "leak.pii"
PRICING = "leak.pricing"
CONF = "leak.confidential"
FIN = "leak.financial"
SEC = "leak.security"
CRISIS = "reputation.crisis"
COMPLAINT = "reputation.complaint"
ABUSE = "reputation.abuse"
ALL_CATS = {SECRET, PII, PRICING, CONF, FIN, SEC, CRISIS, COMPLAINT, ABUSE,
            "reputation.spike"}

# ------------------------------------------------------------ checksum helpers ---
ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base62 order


def iban_check_ok(iban):
    s = re.sub(r"\s", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    n = int("".join(str(int(c, 36)) for c in r))
    return n % 97 == 1


def make_iban(bank, account10):
    bban = bank + account10
    n = int("".join(str(int(c, 36)) for c in bban + "NL00"))
    return "NL%02d%s" % (98 - n % 97, bban)


def bad_iban(iban):
    """Same IBAN with wrong check digits."""
    cd = int(iban[2:4])
    for delta in (3, 7, 11, 19):
        cand = iban[:2] + "%02d" % ((cd + delta) % 97 or 2) + iban[4:]
        if not iban_check_ok(cand):
            return cand
    raise RuntimeError("no bad iban")


def luhn_ok(number):
    digits = [int(c) for c in re.sub(r"\D", "", number)]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return len(digits) >= 12 and total % 10 == 0


def make_card(prefix, length=16):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for last in string.digits:
        if luhn_ok(body + last):
            return body + last
    raise RuntimeError


def bad_card(card):
    last = int(card[-1])
    cand = card[:-1] + str((last + 3) % 10)
    assert not luhn_ok(cand)
    return cand


def group4(num):
    return " ".join(num[i:i + 4] for i in range(0, len(num), 4))


def bsn_ok(bsn):
    d = re.sub(r"\D", "", bsn)
    if len(d) != 9:
        return False
    s = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return s % 11 == 0 and int(d) != 0


def make_bsn():
    while True:
        first8 = str(rng.randint(1, 9)) + "".join(rng.choice(string.digits) for _ in range(7))
        s = sum(int(first8[i]) * (9 - i) for i in range(8)) % 11
        if s <= 9:
            bsn = first8 + str(s)
            if bsn_ok(bsn):
                return bsn


def bad_bsn():
    while True:
        b = make_bsn()
        cand = b[:-1] + str((int(b[-1]) + 4) % 10)
        if not bsn_ok(cand):
            return cand


# ------------------------------------------------------- credential generators ---
def rand_str(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out or "0"


def github_token(prefix="ghp_"):
    body = rand_str(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode())).rjust(6, "0")


def github_token_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def aws_key_id():
    return "AKIA" + rand_str(string.ascii_uppercase + "234567", 16)


def aws_secret():
    return rand_str(string.ascii_letters + string.digits + "/+", 40)


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def make_jwt(payload):
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps(payload, separators=(",", ":")).encode())
    key = bytes(rng.getrandbits(8) for _ in range(32))
    sig = b64url(hmac.new(key, (header + "." + body).encode(), hashlib.sha256).digest())
    return header + "." + body + "." + sig


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    pad = "=" * (-len(parts[0]) % 4)
    hdr = json.loads(base64.urlsafe_b64decode(parts[0] + pad))
    return "alg" in hdr


def openssh_private_key():
    def sshstr(b):
        return len(b).to_bytes(4, "big") + b
    pub = bytes(rng.getrandbits(8) for _ in range(32))
    priv = bytes(rng.getrandbits(8) for _ in range(32))
    pubblob = sshstr(b"ssh-ed25519") + sshstr(pub)
    check = bytes(rng.getrandbits(8) for _ in range(4))
    privblock = (check + check + sshstr(b"ssh-ed25519") + sshstr(pub) + sshstr(priv + pub)
                 + sshstr(b"deploy@vk-build01"))
    privblock += bytes(range(1, 1 + (-len(privblock) % 8)))
    blob = (b"openssh-key-v1\x00" + sshstr(b"none") + sshstr(b"none") + sshstr(b"")
            + (1).to_bytes(4, "big") + sshstr(pubblob) + sshstr(privblock))
    b = base64.b64encode(blob).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return ("-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines)
            + "\n-----END OPENSSH PRIVATE KEY-----")


# ------------------------------------------------------------ generated values ---
GH_TOKEN = github_token("ghp_")
AWS_ID = aws_key_id()
AWS_SECRET = aws_secret()
STRIPE_KEY = "sk_live_" + rand_str(string.ascii_letters + string.digits, 24)
SLACK_TOKEN = "xoxb-%d-%d-%s" % (rng.randint(10**10, 10**11 - 1), rng.randint(10**12, 10**13 - 1),
                                rand_str(string.ascii_letters + string.digits, 24))
DB_PASS = rand_str(string.ascii_letters + string.digits, 10) + "_" + rand_str(string.ascii_letters + string.digits, 5)
DB_HOST = "vk-prod.cluster-%s.eu-west-1.rds.amazonaws.com" % rand_str(string.ascii_lowercase + string.digits, 12)
SSH_KEY = openssh_private_key()
JWT_TOKEN = make_jwt({"sub": "portal-api-svc", "role": "admin", "tenant": "vk-horeca",
                      "iat": 1767225600 + rng.randint(0, 9_000_000), "exp": 1798761600})
ANTHROPIC_KEY = "sk-ant-api03-" + rand_str(string.ascii_letters + string.digits + "-_", 93) + "AA"
GLPAT = "glpat-" + rand_str(string.ascii_letters + string.digits + "-_", 20)
AZURE_KEY = base64.b64encode(bytes(rng.getrandbits(8) for _ in range(64))).decode()
GOOGLE_KEY = "AIza" + rand_str(string.ascii_letters + string.digits + "-_", 35)
GH_TOKEN_2 = github_token("ghs_")

IBAN_REFUND = make_iban("INGB", "00%08d" % rng.randint(10**7, 10**8 - 1))
IBAN_CUSTOMER = make_iban("ABNA", "%010d" % rng.randint(10**8, 10**9 - 1))
IBAN_BAD_1 = bad_iban(make_iban("TRIO", "%010d" % rng.randint(10**8, 10**9 - 1)))
IBAN_BAD_2 = bad_iban(make_iban("BUNQ", "20%08d" % rng.randint(10**7, 10**8 - 1)))
IBAN_COMPANY = PROFILE["public_identifiers"]["ibans"][0]

CARD_VISA = make_card("4" + str(rng.randint(100, 999)))
CARD_MC = make_card("5" + str(rng.randint(1, 5)) + str(rng.randint(10, 99)))
CARD_BAD_1 = bad_card(make_card("4916"))
CARD_BAD_2 = bad_card(make_card("4111"))

BSN_1 = make_bsn()
BSN_2 = make_bsn()
BSN_BAD = bad_bsn()


def fmt_iban(iban):
    return " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))


def fmt_bsn_dots(b):
    return b[:4] + "." + b[4:6] + "." + b[6:]


FULLWIDTH = {c: chr(ord(c) + 0xFEE0) for c in string.ascii_letters + string.digits}


def fw(s):
    return "".join(FULLWIDTH.get(c, "\u3000" if c == " " else c) for c in s)


ZW = "\u200b"

# --------------------------------------------------------------------- cases ---
CASES = []


def C(acct, text, cats, lang, date=None, kind=None, ids=(), prices=(), note=None):
    platform, handle = acct.split(":", 1)
    CASES.append(dict(platform=platform, handle=handle, text=text, cats=sorted(set(cats)),
                      lang=lang, date=date, kind=kind, ids=list(ids), prices=list(prices)))


# ============================ complaints (public) ============================
C("x:@cafedepoort030",
  "Voor de 3e keer deze maand geen levering op vrijdag @vlonderkruik. Terras vol, nog 2 fusten "
  "Kruik Pils 50L in de kelder. Echt hoe dan?? #horeca #weekend", [COMPLAINT], "nl")
C("x:@thecorkandbarrel",
  "Ordered 6 cases of Grinsval Bordeaux from Vlonder & Kruik, got 6 cases of house rosé instead. "
  "Customer service has said \"we'll look into it\" four days running now. Not impressed.",
  [COMPLAINT], "en")
C("facebook:Henk Oosterbaan",
  "Statiegeld van 14 lege fusten nog steeds niet teruggestort. Twee maanden alweer. Bellen heeft "
  "geen zin want je hangt 40 minuten in de wacht met dat muziekje. Vlonder en Kruik, pak dit nou "
  "eens op!", [COMPLAINT], "nl", kind="comment")
C("instagram:@bistro_lotje",
  "tapinstallatie al 5 dagen stuk en de monteur van VK komt 'misschien donderdag'. ondertussen "
  "schenken we flesjes aan het terras 🙄 #fail #horecaleven", [COMPLAINT], "nl")
C("reddit:u/bar_manager_ams",
  "Anyone else with Vlonder & Kruik as their main supplier? Our invoices have been wrong three "
  "months in a row, charged for kegs we never got. Accounting is a nightmare and their portal "
  "just says 'in behandeling'. Seriously thinking of switching.", [COMPLAINT], "en", kind="post")
C("x:@sjaak_kroeg",
  "wtf VK, hele pallet Dorstlesser tonic geleverd met kapotte flesjes, glas overal in de trays. "
  "chauffeur haalde z'n schouders op en reed weg", [COMPLAINT], "nl")
C("other:Maria Lindqvist",
  "2/5. The wine itself is fine but the delivery windows are a joke. 'Between 7 and 14h' and then "
  "they roll up at 16:30 in the middle of service with a pallet in front of the door.",
  [COMPLAINT], "en")
C("x:@proeflokaal_tjak",
  "Bier smaakt al een week naar karton. Blijkt dat fust Havenlicht IPA gewoon over de THT was "
  "bij levering. Lekker dan, VK.", [COMPLAINT], "nl")
C("threads:@mirjam.horeca",
  "Vlonder & Kruik customer service now only emails from a no-reply address. Can't answer "
  "them, can't get through on the phone. So how am I supposed to change my order for "
  "Saturday?", [COMPLAINT], "en")
C("x:@hotelnoordzee",
  "@vk_horecaservice the CO2 you swapped yesterday was half empty at best. Friday night, full "
  "house, flat beer on every tap. Cheers for that 👏", [COMPLAINT], "en")
C("facebook:Petra van Dijk",
  "Minimale bestelling ineens naar 750 euro zonder enige aankondiging. Als klein buurtcafé kan "
  "ik dat gewoon niet ophoesten. Heel klantonvriendelijk van VK na 12 jaar trouwe klandizie.",
  [COMPLAINT], "nl")
C("instagram:@gin_and_tales",
  "Paid extra for next-day delivery, got it 4 days later, no apology and no refund of the "
  "surcharge. Vlonder & Kruik you used to be so much better than this 😞", [COMPLAINT], "en")
C("x:@eetcafe_dekroon",
  "jullie chauffeur parkeert elke dinsdag half op de stoep pal voor onze ingang, ook na 3x "
  "vragen. rolstoel kan er niet langs. @vlonderkruik doe er wat aan aub", [COMPLAINT], "nl")

# ---- first-hand safety incidents: crisis + complaint
C("x:@tapperij_vos",
  "Vandaag vloog het ventiel van een CO2-fles van Vlonder & Kruik eraf in onze kelder. Collega "
  "heeft een flinke snee in z'n hand en hoort nog steeds een piep. Fles was gisteren pas "
  "gebracht. Dit had heel anders kunnen aflopen!!", [CRISIS, COMPLAINT], "nl")
C("facebook:Liam O'Connell",
  "Got a proper shock off the SpoelMeester 400 glasswasher that Vlonder & Kruik installed last "
  "month. Whole arm tingling for an hour, went to the GP. Their technician says \"it's "
  "grounded\". It clearly isn't.", [CRISIS, COMPLAINT], "en")
C("instagram:@lunchroom_bloem",
  "3 gasten ziek na de Appelgaard Cider van de tap gisteravond 🤢 De leiding was net door VK "
  "gereinigd... GGD is gebeld. Wie heeft dit nog meer gehad??", [CRISIS, COMPLAINT], "nl")
C("reddit:u/nightshift_nina",
  "A bottle of Vlonder Dry Gin literally burst in my hand while I was unpacking the case. Glass "
  "in my palm, 4 stitches at A&E. Delivered by V&K this morning and the box was warm from the "
  "van. Never had anything like this.", [CRISIS, COMPLAINT], "en")
C("x:@bruincafe_t_hoekje",
  "Fust Kruik Pils stond onder veel te hoge druk bij levering. Bij het aankoppelen schoot de "
  "koppeling los en raakte onze barman vol in zn gezicht. Hij zit nu op de SEH. VK neemt niet "
  "op. Ben er kapot van.", [CRISIS, COMPLAINT], "nl")

# ---- complaint + abuse
C("x:@ronnie_fritura",
  "kut-VK weer 2 uur te laat met de levering. stelletje prutsers daar in Nieuwegein, echt een "
  "waardeloos bedrijf", [COMPLAINT, ABUSE], "nl")
C("x:@dannyd_bar",
  "Third missed delivery this month. Vlonder & Kruik are a bunch of useless fucking clowns, I "
  "swear to god.", [COMPLAINT, ABUSE], "en")

# ================================ crisis only ================================
C("x:@horecanieuws_nl",
  "Drankengroothandel Vlonder & Kruik roept partij Zilverreiger Jonge terug na meldingen van "
  "glassplinters in flessen. Horeca wordt gevraagd batch L2611 niet te schenken.", [CRISIS], "nl")
C("facebook:VlonderKruikDranken",
  "Terugroepactie ⚠️ Wij roepen Brezza Prosecco met lotnummer 26-0417 terug vanwege mogelijk "
  "knappende flessen. Schenk deze niet meer en zet ze apart; wij halen ze kosteloos op. Onze "
  "excuses.", [CRISIS], "nl")
C("x:@boycott_watch",
  "Drivers at Vlonder & Kruik work 14h shifts without breaks and two got fired for joining the "
  "union. Bar owners: stop ordering from them until this changes. #BoycotVK", [CRISIS], "en")
C("x:@ex_chauffeur_mo",
  "The lawsuit against Vlonder & Kruik is going ahead. 11 former drivers are claiming unpaid "
  "wages and overtime, hearing in March at the Midden-Nederland court.", [CRISIS], "en")
C("reddit:u/privacymatters_nl",
  "Pretty sure Vlonder & Kruik got breached. Ever since I ordered through their webshop I get "
  "phishing mails quoting my exact order number and delivery address. They're keeping it quiet.",
  [CRISIS], "en")
C("x:@omroep_utrecht_fan",
  "Vrachtwagen van Vlonder & Kruik verloor vanochtend een pallet bier op de A12 bij "
  "Nieuwegein, fietser op de parallelweg gewond door rondvliegend glas. Weg deels afgesloten.",
  [CRISIS], "nl")
C("tiktok:@jongerenwerker_ravi",
  "Undercover getest: Vlonder & Kruik leverde 3x zonder ID-check sterke drank af voor een "
  "'feestje' van 16-jarigen. Hoe is dit mogelijk?? #alcohol #jongeren #schandaal", [CRISIS], "nl")
C("linkedin:anne-de-graaf-journalist",
  "Working on a story about kickbacks in the hospitality trade: several café owners say a "
  "Vlonder & Kruik account manager offered them cash to drop rival beer brands. If you know "
  "more, my DMs are open.", [CRISIS], "en")
C("facebook:Ouders tegen Alcoholreclame",
  "OPROEP: bestel niet meer bij Vlonder & Kruik zolang hun gin-reclame pal naast schoolpleinen "
  "in Amersfoort blijft hangen. Deel dit bericht!", [CRISIS], "nl")
C("x:@foodsafety_alerts",
  "NVWA is investigating Vlonder & Kruik after a batch of Bruisbron water tested positive for "
  "coliform bacteria at three restaurants in Utrecht.", [CRISIS], "en")

# ================================= abuse only ================================
C("x:@gekkegerrit88",
  "@marloes_tapt jij bent echt de domste accountmanager die ik ooit gehad heb, ga lekker terug "
  "naar de mavo", [ABUSE], "nl")
C("x:@tonyb_uk",
  "Vlonder & Kruik staff are thick as two short planks. Absolute morons, every single one.",
  [ABUSE], "en")
C("instagram:@dj_stampkroeg",
  "k.u.t.b.e.d.r.i.j.f @vlonderkruik 🖕🖕", [ABUSE], "nl")
C("x:@anoniem_boos",
  "die chauffeurs van VK zijn allemaal kl0otz4kk3n, rijden door de binnenstad als een stel "
  "4p3n", [ABUSE], "nl")
C("facebook:Gert Brink",
  "Die Ruud Hendriks van Vlonder en Kruik: ik weet waar je woont vriend. Wacht maar tot je me "
  "een keer tegenkomt.", [ABUSE], "nl")
C("reddit:u/grumpy_landlord",
  "Whoever runs Vlonder & Kruik's socials is a braindead idi\u043et. Every reply is copy-paste "
  "garbage.", [ABUSE], "en", kind="comment")
C("x:@bram_vk_logistiek",
  "die eigenaar van dat eetcafé in Zeist is echt een achterlijke zeikerd, elke week gezeik over "
  "1 krat. kankervent", [ABUSE], "nl")
C("x:@sourbeer_sam",
  "V&K's account team is a bunch of lying scumbags. Cunts, the lot of them.", [ABUSE], "en")
C("tiktok:@roastmeister",
  "die vrouw van de VK klantenservice klinkt als een gestoorde kakelende kip hahaha wat een wijf "
  "😂😂", [ABUSE], "nl")
C("x:@henkie_tapt",
  fw("Kankerbedrijf") + " Vlonder & Kruik", [ABUSE], "nl")

# ============================== confidential =================================
C("x:@marloes_tapt",
  "Zo, net de eerste proefbatch van Havenlicht Hazy Double geproefd 🤤 Lancering is nog "
  "geheim maar dit wordt 'm!", [CONF], "nl", date="2026-11-14T16:42:10+01:00")
C("linkedin:ingrid-mulder-sales",
  "Excited to share that Project Kroonkurk is moving into phase 2! Our new subscription model "
  "for bars is going to change the game. More soon 🚀", [CONF], "en")
C("instagram:@vlonderkruik",
  "Sneak peek 👀🍋 Kruik Radler Citroen komt eraan… maar sssst, nog tegen niemand zeggen!",
  [CONF], "nl", date="2026-12-01T12:00:00+01:00")
C("x:@dewitt_it",
  "Weet iemand waarom https://intranet.vlonderkruik.local/hr/rooster zo traag is vandaag? "
  "Ook via de vaste lijn.", [CONF], "nl")
C("x:@bram_vk_logistiek",
  "Reminder night crew: the new pick lists are on wms.vlonderkruik.local/picking/nacht, do NOT "
  "use the old sheet anymore", [CONF], "en")
C("linkedin:karim-bouzid-vlonderkruik",
  "Mooie slide uit onze kwartaalpresentatie (VK-intern) 💪 marktaandeel horeca regio Midden nu "
  "23%, doel voor 2027 is 30%. Let's go team!", [CONF, FIN], "nl")
C("x:@barvrouw_eva",
  "Haha kreeg per ongeluk een mail van VK met een bijlage 'niet buiten Vlonder & Kruik delen' "
  "erin, hun complete inkoopprijzen per brouwerij 👀👀", [CONF], "nl")
C("bluesky:@niels-vk.bsky.social",
  "Under NDA so can't say much, but Koperwiek is the coolest thing I've worked on at V&K. Bars "
  "are going to love it.", [CONF], "en")
C("threads:@lotte.vk",
  "Operatie Nachtvlinder kickoff today, exciting stuff 🦋", [CONF], "en")
C("reddit:u/warehouse_temp22",
  "Temp at V&K here. There's a whiteboard in the canteen that says 'Project Kroonkurk go-live "
  "1 feb' lol, no idea what it is", [CONF], "en", kind="comment")
C("x:@marloes_tapt",
  "Project Kr" + ZW + "oon" + ZW + "kurk wordt écht gaaf, kan niet wachten tot we het mogen "
  "laten zien 🤩", [CONF], "nl")
C("linkedin:vlonder-kruik-dranken",
  "Our brewers are hard at work on something special 🍺 Psst… Havenlicht Hazy Double. You "
  "didn't hear it from us.", [CONF], "en", date="2027-01-15T10:30:00+01:00")
C("x:@dewitt_it",
  "git.vlonderkruik.nl/erp/koppeling-exact/-/merge_requests/212 kan iemand reviewen? thx",
  [CONF], "nl")
C("instagram:@sommelier.yara",
  "Tasting day! 🍷 Can't tell you what's in the glass, but the doc in front of me literally "
  "says vlonderkruik confidential on every page 🤫", [CONF], "en")
C("x:@insider_horeca",
  "Gelekte presentatie van Vlonder & Kruik: 'Koperwiek' = eigen tapbier-bestelapp voor "
  "cafés, lancering dit voorjaar. Bron: ex-collega.", [CONF], "nl")
C("linkedin:ruud-hendriks-vk",
  "Zware dag. Operatie Nachtvlinder betekent dat depot Zwolle in juni dichtgaat en 38 "
  "collega's hun baan verliezen. Nog niet officieel, maar ik kan het niet voor me houden.",
  [CONF, FIN], "nl")
C("linkedin:karim-bouzid-vlonderkruik",
  "Jaarcijfers 2026 net binnen: omzet +11%, EBITDA ruim boven plan. Trots op dit team! "
  "(publicatie volgt nog 🤐)", [CONF, FIN], "nl", date="2027-02-10T08:15:00+01:00")
C("x:@beursroddel",
  "Hearing V&K's FY2026 results will show a loss on the wine import division. Announcement "
  "early March.", [CONF, FIN], "en", date="2027-02-20T19:02:00+01:00")

# ================================ financial ==================================
C("x:@bram_vk_logistiek",
  "Net van de directie gehoord: we worden overgenomen door Drankenunie Benelux. Handtekening "
  "staat voor volgende week. Niemand weet het nog hoor 🤐", [FIN], "nl")
C("linkedin:karim-bouzid-vlonderkruik",
  "Tough internal numbers this morning: Q3 revenue 9% below budget and horeca volumes still "
  "not back. Not public yet, but we've got work to do.", [FIN], "en")
C("threads:@lotte.vk",
  "volgens de nieuwe forecast van finance halen we dit jaar maar 62 mln omzet ipv 70. bonus "
  "kunnen we wel vergeten 😩", [FIN], "nl")
C("x:@deal_whisperer",
  "Source at Vlonder & Kruik: board has agreed to buy regional rival Slijterij Groothandel Oost "
  "for ~€18m. Not announced yet.", [FIN], "en")
C("facebook:Annemiek Post",
  "My husband works at Vlonder & Kruik and they're letting 60 people go in the admin "
  "department this spring. Not announced yet. He can't sleep because of it.", [FIN], "en")
C("linkedin:vlonder-kruik-dranken",
  "Wat een jaar! Intern net gevierd: we sluiten 2026 af met een nettowinst van 4,2 miljoen. "
  "In maart maken we het officieel bekend 🎉", [FIN], "nl", date="2026-12-22T17:05:00+01:00")
C("bluesky:@niels-vk.bsky.social",
  "Leadership just told us the bank covenant is at risk and they're quietly looking for a buyer "
  "for the wine import arm. Weird vibes at the office today.", [FIN], "en")
C("x:@marloes_tapt",
  "Reorganisatie bij sales: per 1 april gaan de 4 regio's naar 2 en 1/3 van de accountmanagers "
  "moet opnieuw solliciteren. Mogen we pas zeggen als de OR het gezien heeft…", [FIN], "nl")

# ================================= security ==================================
C("x:@dewitt_it",
  "ERP ligt sinds 05:00 plat en het ziet eruit als ransomware. Bestellingen gaan vandaag met de "
  "hand. Klanten zijn nog niet ingelicht dus ssst.", [SEC], "nl")
C("bluesky:@niels-vk.bsky.social",
  "Fun fact: our customer portal shows any bar's invoices if you just change the number in the "
  "URL. Reported it in March. Still open 🙃", [SEC], "en")
C("linkedin:ingrid-mulder-sales",
  "Collega's: klik NIET op die mail 'Factuurcorrectie Q3'. Finance heeft er gisteren al op "
  "geklikt en sindsdien zijn er 3 mailboxen overgenomen. IT is ermee bezig.", [SEC], "nl")
C("x:@bram_vk_logistiek",
  "Warehouse scanners down since Saturday because the WMS server got hit by malware. Picking on "
  "paper like it's 1995. don't tell the customers lol", [SEC], "en")
C("threads:@lotte.vk",
  "De back-ups van onze klantendatabase draaien al 3 weken niet meer en niemand lijkt het te "
  "boeien. Als er nu iets misgaat zijn we alles kwijt.", [SEC], "nl")
C("reddit:u/freelance_dev_utrecht",
  "Did a gig for a drinks wholesaler (Vlonder & Kruik). Their B2B webshop still runs an "
  "unpatched Magento 2.3 with a known RCE. Told them in June, nothing happened since.",
  [SEC], "en", kind="comment")
C("x:@dewitt_it",
  "firewall logs show brute-force attempts on the VPN from 2 countries since yesterday and 1 "
  "account already got in. nothing reported to the AP yet.", [SEC], "en")
C("instagram:@sommelier.yara",
  "So apparently someone got into the sales team's shared drive last week and downloaded the "
  "whole customer list 😬 we were told to keep quiet until legal decides", [SEC], "en")
C("x:@vk_horecaservice",
  "Intern: de bestelapp is sinds vannacht offline gehaald door een lek in de login. Naar "
  "klanten houden we het op 'gepland onderhoud'.", [SEC], "nl")
C("x:@dewitt_it",
  "incident update for on-call: attacker used the old key to pull S3 invoices overnight. "
  "rotated, new one is " + AWS_ID + " / " + AWS_SECRET + " , update your configs",
  [SEC, SECRET], "en")
C("bluesky:@niels-vk.bsky.social",
  "Storing bij de incassokoppeling: sinds vanochtend worden klanten dubbel afgeschreven door een "
  "bug. Finance weet het, klanten nog niet.", [SEC], "nl")
C("linkedin:karim-bouzid-vlonderkruik",
  "Wat niemand buiten IT weet: het wachtwoordbeleid van ons ERP staat nog op 4 tekens en er is "
  "nergens 2FA. Zegt genoeg.", [SEC], "nl")
C("x:@ex_vk_it",
  "Ex-V&K sysadmin here. wms.vlonderkruik.local still has the default admin account enabled, "
  "I'd bet money it was never fixed.", [SEC, CONF], "en")

# ================================== secrets ==================================
C("x:@dewitt_it",
  "pasting here so I can grab it on my laptop: " + GH_TOKEN, [SECRET], "en")
C("x:@bram_vk_logistiek",
  "Voor de nachtploeg: inlog scanner-beheer is gebruiker nacht01, wachtwoord: Fust!2026kelder",
  [SECRET], "nl")
C("reddit:u/newbie_coder_91",
  "Intern at Vlonder & Kruik, trying to fix their payment webhook and it keeps failing. This is "
  "what I have:\n\nstripe.api_key = \"" + STRIPE_KEY + "\"\n\nAny ideas?", [SECRET], "en")
C("threads:@lotte.vk",
  "slack-bot voor de bestellingen doet raar, klopt dit token nog? " + SLACK_TOKEN, [SECRET], "nl")
C("bluesky:@niels-vk.bsky.social",
  "DATABASE_URL=postgres://vk_app:" + DB_PASS + "@" + DB_HOST + ":5432/erp why won't this "
  "connect from home", [SECRET], "en")
C("forum:dev_pieter",
  "Deploy naar vlonderkruik.nl faalt, dit is de key die we gebruiken, klopt het formaat?\n\n"
  + SSH_KEY, [SECRET], "nl")
C("x:@dewitt_it",
  "waarom geeft de portal-API een 401 met deze token? " + JWT_TOKEN, [SECRET], "nl")
C("x:@vk_horecaservice",
  "ANTHROPIC_API_KEY=" + ANTHROPIC_KEY + "  # menukaart-assistent test", [SECRET], "nl")
C("bluesky:@niels-vk.bsky.social",
  "CI can pull again, made a fresh token: " + GLPAT, [SECRET], "en")
C("forum:sysadmin_jeroen",
  "Werk voor VK, facturen-export naar blob storage werkt niet meer. Connection string:\n"
  "DefaultEndpointsProtocol=https;AccountName=vkfacturen;AccountKey=" + AZURE_KEY
  + ";EndpointSuffix=core.windows.net", [SECRET], "nl")
C("threads:@lotte.vk",
  "nieuwe w a c h t w o o r d voor de kassa-tablet in de showroom: Kr4tje#88Tap. niet verder "
  "vertellen 😉", [SECRET], "nl")
C("x:@bram_vk_logistiek",
  "route planner broke again, did the maps key " + GOOGLE_KEY + " hit its quota??",
  [SECRET], "en")

# ================================ personal data ==============================
C("x:@vk_horecaservice",
  "@cafedepoort030 We hebben uw klacht doorgezet naar onze planner Joost de Wit. U kunt hem "
  "direct bellen op 06-41327789 of mailen naar joostdewit77@gmail.com", [PII], "nl")
C("facebook:VlonderKruikDranken",
  "Gefeliciteerd Annelies Verbeek (geb. 12-08-1968) met haar 25-jarig jubileum bij Vlonder & "
  "Kruik! 🎉💐", [PII], "nl")
C("x:@dewitt_it",
  "refund still failing for customer T. Bakker, IBAN " + IBAN_REFUND + ", can someone in finance "
  "push it through manually pls", [PII], "en", ids=[("iban", IBAN_REFUND)])
C("linkedin:ingrid-mulder-sales",
  "Klant belde net boos, zijn creditcard " + group4(CARD_VISA) + " is twee keer belast voor "
  "dezelfde order. Wie kan dit terugdraaien?", [PII], "nl", ids=[("card", CARD_VISA)])
C("x:@bram_vk_logistiek",
  "Levering voor mevr. S. Yilmaz, Kastanjelaan 27, 3581 GK Utrecht komt pas morgen, chauffeur "
  "is ziek", [PII], "nl")
C("threads:@lotte.vk",
  "nieuwe collega op de loonadministratie snapt het systeem nog niet: BSN " + BSN_1 + " van Piet "
  "Kok staat er dubbel in 🙈", [PII], "nl", ids=[("bsn", BSN_1)])
C("x:@angry_customer_jan",
  "Vlonder & Kruik still haven't refunded me after 6 weeks. My IBAN is " + fmt_iban(IBAN_CUSTOMER)
  + " and my number is +31 6 24 81 93 07. Just pay me back already.", [PII, COMPLAINT], "en",
  ids=[("iban", IBAN_CUSTOMER)])
C("instagram:@sophie_trouwt",
  "Hé VK, graag een offerte voor onze bruiloft in juni, 120 gasten 🥂 Bel me op 06 18 27 45 90 "
  "of mail sophie.deruiter@hotmail.com", [PII], "nl")
C("x:@vlonderkruik",
  "@hotelnoordzee Sorry about that! We've refunded €42 to card " + CARD_MC + ", should show "
  "within 3 days.", [PII], "en", ids=[("card", CARD_MC)])
C("linkedin:karim-bouzid-vlonderkruik",
  "Whoever left the printout with Mohamed El Idrissi's salary slip and home address (Brinklaan "
  "112, Hilversum) on the depot printer: please come and get it.", [PII], "en")
C("x:@klant_mo",
  "@vk_horecaservice jullie zeggen dat m'n klantnummer niet bestaat?? hier m'n gegevens: Mo "
  "Benali, mo.benali1988@outlook.com, 06-23918457", [PII], "nl")
C("x:@marloes_tapt",
  "Anyone got the number of the new owner of café Vos? Oh never mind, it's 06 - 5298 1043 "
  "(Jeroen Vos)", [PII], "en")
C("bluesky:@niels-vk.bsky.social",
  "testing the new signup flow with real data because staging is broken again 🙃 name: Fleur "
  "Jansen, DOB 1994-11-02, email fleur.jansen94@gmail.com", [PII], "en")
C("x:@vlonderkruik",
  "De winnaar van onze zomerwinactie is Ramon Kuipers uit Utrecht! 🎉 Ramon, we sturen je "
  "prijs naar Vaartsche Rijn 45, 3523 AC Utrecht, klopt dat?", [PII], "nl")
C("reddit:u/bsn_paniek",
  "Vlonder & Kruik vroeg om mijn BSN (" + fmt_bsn_dots(BSN_2) + ") voor een zakelijk "
  "klantaccount?? Waarom hebben ze dat nodig, ik heb gewoon een KvK-nummer", [PII], "nl",
  ids=[("bsn", BSN_2)])
C("instagram:@sommelier.yara",
  "Booking the wine fair tastings myself this year, call or app me on " + fw("06 38 41 72 90")
  + " 🍷", [PII], "en")

# ================================== pricing ==================================
C("instagram:@vlonderkruik",
  "🔥 Weekdeal: TapMaat Duo tapinstallatie voor maar €189! Op=op #horeca #tapbier",
  [PRICING], "nl", prices=[("TapMaat Duo", 189.0)])
C("x:@dealhunter_nl",
  "lol the V&K webshop has Château Grinsval Bordeaux 6x75cl at €8.90 😂 price error surely, "
  "ordered 10 cases before they notice", [PRICING], "en", prices=[("Château Grinsval", 8.90)])
C("linkedin:ingrid-mulder-sales",
  "Speciaal voor onze vaste klanten: de SpoelMeester 400 deze maand voor €950 excl. btw. Bel "
  "of mail mij!", [PRICING], "nl", prices=[("SpoelMeester 400", 950.0)])
C("reddit:u/kroegbaas_gouda",
  "Prijsfout bij Vlonder & Kruik? Vlonder Dry Gin 70cl staat op de site voor €3,60 per fles. "
  "Iemand ervaring of annuleren ze dat gewoon?", [PRICING], "nl",
  prices=[("Vlonder Dry Gin", 3.60)])
C("facebook:VlonderKruikDranken",
  "Happy Friday! 🍻 Kruik Pils 50L keg now just €49 for every new customer this month",
  [PRICING], "en", prices=[("Kruik Pils 50L", 49.0)])
C("x:@marloes_tapt",
  "Oeps, er zit een prijsfout in de nieuwe horeca-prijslijst bij de Havenlicht IPA 🙈 "
  "wordt vanmiddag gefixt", [PRICING], "nl")
C("tiktok:@goedkoop_drinken",
  "Vlonder & Kruik verkoopt Kapiteinsrum Donker 70cl voor €9,99 ipv €32,50 💸 gaan gaan gaan",
  [PRICING], "nl", prices=[("Kapiteinsrum", 9.99)])
C("linkedin:karim-bouzid-vlonderkruik",
  "Quote for a festival client approved: Huiswijn Rood BIB 10L at €19 per box, 200 boxes. "
  "Great deal for them!", [PRICING], "en", prices=[("Huiswijn Rood BIB", 19.0)])
C("facebook:Jos Verhoef",
  "Bij VK staat de CO2 fles 10kg nu voor €4,20 op de site. Dat is toch een typfout? Vorige "
  "keer 42 euro betaald", [PRICING], "nl", prices=[("CO2 fles 10kg", 4.20)])
C("x:@vk_horecaservice",
  "@bistro_lotje Sure! The Zilverreiger Oude 1L is €9.95 per bottle for you this month 🙌",
  [PRICING], "en", prices=[("Zilverreiger Oude", 9.95)])
C("x:@barvrouw_eva",
  "VK heeft een pr1jsf0ut lol: Brezza Prosecco doos van 6 voor €1,57 😂😂", [PRICING], "nl",
  prices=[("Brezza Prosecco", 1.57)])
C("threads:@lotte.vk",
  "system says Bruisbron water 24x25cl is €1.44 a tray, pretty sure a digit went missing",
  [PRICING], "en", prices=[("Bruisbron water", 1.44)])

# ============================ benign / hard negatives ========================
C("x:@cafedepoort030",
  "Complimenten aan de chauffeur van @vlonderkruik vanochtend, fusten netjes de kelder in gezet "
  "én de lege meegenomen. Zo hoort het 👌", [], "nl")
C("instagram:@gin_and_tales",
  "Vlonder Dry Gin + Dorstlesser Tonic + a slice of pink grapefruit = summer in a glass 🍸☀️ "
  "#ginandtonic", [], "en")
C("facebook:Henk Oosterbaan",
  "Update: het statiegeld van de fusten is inmiddels teruggestort en ik kreeg een excuusmail. "
  "Netjes opgelost VK, bedankt.", [], "nl", kind="comment")
C("x:@proeflokaal_tjak",
  "Nieuwe Havenlicht IPA op de tap en hij is ziek lekker 🔥🔥", [], "nl")
C("x:@thecorkandbarrel",
  "Fair play to Vlonder & Kruik, the wrong delivery was swapped within two hours this morning. "
  "That's how you fix a mistake.", [], "en")
C("x:@vk_horecaservice",
  "Vragen over je bestelling? Mail bestellingen@vlonderkruik.nl of bel 030-7672040 (ma-za "
  "7:00-18:00). We helpen je graag!", [], "nl")
C("facebook:VlonderKruikDranken",
  "Betaal je liever per overschrijving? Maak het bedrag over naar " + fmt_iban(IBAN_COMPANY)
  + " t.n.v. Vlonder & Kruik Dranken B.V. o.v.v. je factuurnummer.", [], "nl",
  ids=[("iban_public", IBAN_COMPANY)])
C("linkedin:vlonder-kruik-dranken",
  "We're hiring! Warehouse team leads for our depot in Nieuwegein. Apply via "
  "vacatures@vlonderkruik.nl or www.vlonderkruik.nl/werken-bij", [], "en")
C("instagram:@vlonderkruik",
  "Zomeractie ☀️ Brezza Prosecco 6x75cl nu €45,60 i.p.v. €57. Alleen deze week!", [], "nl",
  prices=[("Brezza Prosecco", 45.60)])
C("x:@vlonderkruik",
  "This week only: 15% off Appelgaard Cider 20L kegs, €95.20 instead of €112. Order via "
  "bestel.vlonderkruik.nl", [], "en", prices=[("Appelgaard Cider", 95.20)])
C("x:@marloes_tapt",
  "Voor wie het vroeg: Zilverreiger Jonge 1L is gewoon €24,95, en bij een doos van 6 krijg je "
  "10% korting.", [], "nl", prices=[("Zilverreiger Jonge", 24.95)])
C("reddit:u/bar_manager_ams",
  "Price check for Dutch bar owners: what do you pay for a 50L pils keg? V&K charges us €149 "
  "for Kruik Pils 50L, seems about average?", [], "en", prices=[("Kruik Pils 50L", 149.0)])
C("instagram:@bruincafe_t_hoekje",
  "Happy hour vanaf 17u 🍻 Kruik Pils van de tap €2,80 en een G&T met Vlonder voor €7,50. Tot "
  "straks!", [], "nl")
C("x:@dewitt_it",
  "PSA for the dev team: stop copying AKIAIOSFODNN7EXAMPLE from the AWS docs into our config "
  "templates 😅 use the vault lookup instead", [], "en")
C("bluesky:@niels-vk.bsky.social",
  "Tip: plak nooit je token in een ticket. Zie je zoiets als ghp_**** of sk_live_**** in een "
  "log staan, meld het meteen bij security.", [], "nl")
C("threads:@lotte.vk",
  "Even voor alle klanten: wij sturen NOOIT je wachtwoord per mail. Zie je 'wachtwoord: "
  "********' in een mail die van ons lijkt te komen, dan is het phishing.", [], "nl")
C("x:@accounting_anna",
  "Why does my bank keep rejecting " + IBAN_BAD_1 + "? Copied it from an old supplier invoice, "
  "probably a typo somewhere 🤔", [], "en", ids=[("iban_bad", IBAN_BAD_1)])
C("x:@sjaak_kroeg",
  "Bestelling " + group4(CARD_BAD_1) + " is binnen, alles compleet en koud 👍", [], "nl",
  ids=[("card_bad", CARD_BAD_1)])
C("forum:boekhouder_gerda",
  "Oefening voor de cursus loonadministratie: is " + BSN_BAD + " een geldig BSN? Nee dus, reken "
  "het maar na met de 11-proef.", [], "nl", ids=[("bsn_bad", BSN_BAD)])
C("x:@vlonderkruik",
  "Vandaag gepubliceerd: onze jaarcijfers 2026. De omzet groeide met 11% 📈 Lees het volledige "
  "verslag op www.vlonderkruik.nl/investeerders", [], "nl", date="2027-03-05T08:00:00+01:00")
C("instagram:@vlonderkruik",
  "It's here! 🍋 Kruik Radler Citroen can now be ordered for your bar. Ask your account manager!",
  [], "en", date="2027-01-22T11:00:00+01:00")
C("x:@marloes_tapt",
  "Havenlicht Hazy Double staat sinds vorige week bij 40 cafés op de tap, wat een start! 🍺",
  [], "nl", date="2027-02-01T18:20:00+01:00")
C("linkedin:karim-bouzid-vlonderkruik",
  "Our full-year 2026 results are out: 11% growth in a tough market. Proud of everyone at V&K. "
  "Full report on our website.", [], "en", date="2027-03-10T09:45:00+01:00")
C("linkedin:ruud-hendriks-vk",
  "Interessant stuk over de overname van Brouwerij De Klaproos door een Belgische "
  "branchegenoot. De consolidatie in de drankenmarkt gaat gewoon door.", [], "nl")
C("x:@horecanieuws_nl",
  "Brouwerij De Klaproos schrapt 25 banen na tegenvallende verkoop. Ook de concurrentie van "
  "groothandels als Vlonder & Kruik wordt als oorzaak genoemd.", [], "nl")
C("x:@foodsafety_alerts",
  "Recall: Biervrij Noord is recalling its alcohol-free lager, batch 0412, over possible glass "
  "fragments. Check your stock.", [], "en")
C("facebook:VlonderKruikDranken",
  "Ons medeleven gaat uit naar de eigenaren en het personeel van Café De Zwaan na de brand in "
  "hun keuken afgelopen nacht. Als we ergens mee kunnen helpen, laat het weten.", [], "nl")
C("x:@newbar_owner",
  "Thinking of switching to Vlonder & Kruik as our supplier. Any bar owners in Utrecht with "
  "experience? How's their tap service?", [], "en")
C("x:@barvrouw_eva",
  "Vrijdagmiddag, de CO2 is op, de tap sputtert en ik ook 😂 gelukkig komt VK maandag weer. "
  "Proost!", [], "nl")
C("tiktok:@bartender_tips",
  "Bartender hack: rinse your glass in cold water before pouring a Havenlicht IPA, perfect "
  "head every time 🍺 #barhacks #bartender", [], "en")
C("instagram:@verzamelaar_ko",
  "Mijn kroonkurkenverzameling groeit! Net een zeldzame Kruik-dop uit de jaren '80 gevonden op "
  "de vlooienmarkt 🤩", [], "nl")
C("x:@bistro_lotje",
  "VK's engineer came by, the tap doesn't leak anymore and the beer is perfect again. Quick "
  "service 👏", [], "en")
C("linkedin:ingrid-mulder-sales",
  "5 years at Vlonder & Kruik today! Grateful for our wonderful horeca customers and "
  "colleagues. Here's to the next 5 🥂", [], "en")
C("linkedin:vlonder-kruik-dranken",
  "De accijns op gedistilleerd stijgt per 1 januari. Wat betekent dat voor jouw drankkaart? "
  "Lees onze uitleg op www.vlonderkruik.nl/blog", [], "nl")
C("x:@vk_horecaservice",
  "@hotelnoordzee Thanks for your patience! Your replacement cylinder is on the van, ticket "
  "2026-118-447. Questions? klantenservice@vlonderkruik.nl", [], "en")
C("reddit:u/privacymatters_nl",
  "Reminder that restaurant booking platform TableNow got breached last month. Change your "
  "passwords, folks. No sign that suppliers like V&K were affected.", [], "en", kind="comment")
C("instagram:@cocktail_carla",
  "This Vlonder gin absolutely kills in a negroni. Da bomb 💣🍸", [], "en")
C("x:@lunchroom_bloem",
  "Weet iemand of Kruik 0.0 glutenvrij is? Gasten vragen er steeds naar. @vk_horecaservice?",
  [], "nl")
C("x:@vk_horecaservice",
  "@lunchroom_bloem Goede vraag! Kruik 0.0 bevat gerst en is dus niet glutenvrij. De "
  "allergenenlijst staat op www.vlonderkruik.nl/allergenen", [], "nl")
C("x:@dewitt_it",
  "Onboarding doc updated: put OPENAI_API_KEY=sk-xxxxxxxxxxxxxxxxxxxxxxxx in your .env and ask "
  "IT for the real one. Never commit it.", [], "en")
C("x:@horeca_ondernemer_ut",
  "Goed gesprek gehad met Vlonder & Kruik over een nieuw contract. Eerlijke prijzen, prima "
  "service. Overstap is rond!", [], "nl")
C("other:Maria Lindqvist",
  "Updating my review to 4/5: after my post the planning team called and we now have a fixed "
  "9 to 11 slot. Much better.", [], "en")
C("tiktok:@vlonderkruik",
  "Zo tap je het perfecte biertje 🍺 stap 1: glas koud spoelen, stap 2: schuin houden onder 45 "
  "graden… #tapcursus #horeca", [], "nl")
C("youtube:@VlonderKruikTV",
  "New video: how to change a CO2 cylinder safely in your cellar. Always close the main valve "
  "first ⚠️", [], "en")
C("x:@tonyb_uk",
  "ok I take it back, the V&K lads sorted our order on a Sunday. Legends.", [], "en")
C("reddit:u/kroegbaas_gouda",
  "Tips voor een goede glazenspoelmachine? We twijfelen tussen de SpoelMeester 400 (€2.450) en "
  "een Italiaans merk.", [], "nl", prices=[("SpoelMeester 400", 2450.0)])
C("x:@bram_vk_logistiek",
  "Vandaag 212 leveringen gedaan met z'n allen, nieuw record! Trots op de chauffeurs 🚚💨",
  [], "nl")
C("instagram:@dj_stampkroeg",
  "Onze cocktailbar opent zaterdag 🎉 dank aan Vlonder & Kruik voor de supersnelle opstart!",
  [], "nl")
C("x:@beleggerbas",
  "Wanneer publiceert Vlonder & Kruik eigenlijk hun jaarcijfers? Vorig jaar was het begin "
  "maart meen ik.", [], "nl")
C("bluesky:@niels-vk.bsky.social",
  "Lovely day for the V&K summer BBQ at the depot. Thanks to the events team 🍔☀️", [], "en")
C("x:@eetcafe_dekroon",
  "Onze kassa crasht de hele tijd, iemand tips? (niks met VK te maken hoor, gewoon onze eigen "
  "kassaleverancier 🙄)", [], "nl")
C("x:@newbar_owner",
  "For anyone asking: V&K's customer service number is +31 30 767 2040, they pick up fast.",
  [], "en")
C("x:@dewitt_it",
  "QA note: checkout correctly rejects " + group4(CARD_BAD_2) + " (bad checksum) 👍 validation "
  "works", [], "en", ids=[("card_bad", CARD_BAD_2)])
C("instagram:@vlonderkruik",
  "Storing aan je tap buiten kantoortijd? Onze servicelijn 0800-5856 is 24/7 bereikbaar 📞",
  [], "nl")
C("x:@henkie_tapt",
  "Kapot gegaan vannacht in de kroeg, die Vlonder gin is gevaarlijk lekker 😵‍💫🍸", [], "nl")
C("linkedin:anne-de-graaf-journalist",
  "Spoke to Vlonder & Kruik's press office for my piece on staff shortages in hospitality. "
  "Helpful and open answers, thank you!", [], "en")
C("x:@beerfan_lisa",
  "Does Vlonder & Kruik sell to private people or only to bars? Want a keg of Kruik Pils for my "
  "birthday 🎂", [], "en")
C("facebook:Jos Verhoef",
  "Vorige keer nog " + IBAN_BAD_2 + " opgegeven voor de statiegeldteruggave, bleek een typfout. "
  "Inmiddels aangepast en alles is binnen.", [], "nl", ids=[("iban_bad", IBAN_BAD_2)])
C("mastodon:@wijnnerd@mastodon.nl",
  "Blind geproefd: Château Grinsval tegen drie veel duurdere bordeaux. Eindigde als tweede, "
  "verrassend goed voor een wijn die je gewoon bij je groothandel haalt.", [], "nl")
C("x:@sourbeer_sam",
  "Genuinely impressed by V&K's new tap cleaning service. Lines spotless, beer tastes how it "
  "should.", [], "en")


# ------------------------------------------------------------- role & severity ---
def role_of(platform, handle):
    key = (platform + ":" + handle).lower()
    if key in {a.lower() for a in PROFILE["accounts"]["corporate"]}:
        return "corporate"
    if key in {a.lower() for a in PROFILE["accounts"]["employee"]}:
        return "employee"
    return "public"


RANK = ["none", "info", "warning", "error", "critical"]


def severity(cats, role, checksum_id):
    sev = 0
    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                v = 4 if (c in (SECRET, PRICING) or (c == PII and checksum_id)) else 3
            else:
                v = 2
        elif c == COMPLAINT:
            v = 2
        elif c == CRISIS:
            v = 3
        elif c == ABUSE:
            v = 3 if insider else 2
        else:
            v = 0
        sev = max(sev, v)
    return RANK[sev]


# -------------------------------------------------------------------- build ---
START = datetime(2026, 1, 5, tzinfo=timezone.utc)
SPAN = int((datetime(2026, 12, 28, tzinfo=timezone.utc) - START).total_seconds())
ID_PREFIX = {"x": "x", "instagram": "ig", "facebook": "fb", "linkedin": "li", "tiktok": "tt",
             "youtube": "yt", "reddit": "rd", "threads": "th", "bluesky": "bs", "mastodon": "md",
             "forum": "fo", "other": "ot"}


def rand_date():
    t = START + timedelta(seconds=rng.randrange(SPAN))
    if rng.random() < 0.3:
        off = timezone(timedelta(hours=2 if 4 <= t.month <= 10 else 1))
        return t.astimezone(off).isoformat()
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def build():
    order = list(range(len(CASES)))
    rng.shuffle(order)
    used = set()
    out = []
    for idx in order:
        c = CASES[idx]
        while True:
            pid = "%s-%d" % (ID_PREFIX[c["platform"]], rng.randrange(10**9, 10**10))
            if pid not in used:
                used.add(pid)
                break
        kind = c["kind"] or ("reply" if c["text"].startswith("@") else "post")
        role = role_of(c["platform"], c["handle"])
        checksum_id = any(k in ("iban", "card", "bsn") for k, _ in c["ids"])
        post = {
            "id": pid,
            "platform": c["platform"],
            "kind": kind,
            "account": {"handle": c["handle"]},
            "text": c["text"],
            "lang": c["lang"],
            "created_at": c["date"] or rand_date(),
            "brand": "vlonderkruik",
        }
        if c["platform"] == "x":
            post["url"] = "https://x.com/%s/status/%s" % (c["handle"].lstrip("@"), pid.split("-")[1])
        out.append({"post": post,
                    "expect": {"categories": c["cats"],
                               "severity": severity(c["cats"], role, checksum_id)},
                    "_meta": c})
    return out


# -------------------------------------------------------------------- checks ---
def parse_ts(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def norm(s):
    s = unicodedata.normalize("NFKC", s)
    s = re.sub("[\u200b\u200c\u200d\u2060\ufeff]", "", s)
    return s.lower()


def active_internal_terms(text, when):
    t = norm(text)
    hits = []
    internal = PROFILE["internal"]
    for term in internal["domains"] + internal["codenames"] + internal["markers"]:
        if term.lower() in t:
            hits.append(term)
    for emb in PROFILE["embargo"]:
        if when < parse_ts(emb["until"]):
            for term in emb["terms"]:
                if term.lower() in t:
                    hits.append(term)
    return hits


def check(rows):
    errors = []
    prof_products = {}
    for p in PROFILE["products"]:
        for a in [p["name"]] + p["aliases"]:
            prof_products[a.lower()] = p["list_price"]
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    public_ibans = {re.sub(r"\s", "", i) for i in PROFILE["public_identifiers"]["ibans"]}
    ids_seen = set()
    platforms = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube",
                 "reddit", "mastodon", "bluesky", "threads", "forum", "blog", "other"}
    for r in rows:
        post, exp, meta = r["post"], r["expect"], r["_meta"]
        pid = post["id"]
        # --- CONTRACT section 1 / 6 shape
        for f, typ in (("id", str), ("platform", str), ("text", str), ("created_at", str)):
            if not isinstance(post.get(f), typ):
                errors.append((pid, "missing/wrong " + f))
        if not (1 <= len(pid) <= 256):
            errors.append((pid, "id length"))
        if pid in ids_seen:
            errors.append((pid, "duplicate id"))
        ids_seen.add(pid)
        if post["platform"] not in platforms:
            errors.append((pid, "platform"))
        if post["kind"] not in ("post", "reply", "repost", "comment", "message"):
            errors.append((pid, "kind"))
        if not isinstance(post["account"].get("handle"), str) or not post["account"]["handle"]:
            errors.append((pid, "handle"))
        if len(post["text"].encode("utf-8")) > 64 * 1024:
            errors.append((pid, "text too large"))
        try:
            ts = parse_ts(post["created_at"])
            if ts.tzinfo is None or not re.fullmatch(
                    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})", post["created_at"]):
                raise ValueError
        except ValueError:
            errors.append((pid, "created_at not RFC 3339"))
            continue
        if not (2026 <= ts.year <= 2027):
            errors.append((pid, "year"))
        if ts.year == 2027 and ts > datetime(2027, 3, 31, tzinfo=timezone.utc):
            errors.append((pid, "2027 date far from embargo"))
        cats = exp["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= ALL_CATS or "reputation.spike" in cats:
            errors.append((pid, "categories"))
        if exp["severity"] not in RANK:
            errors.append((pid, "severity value"))
        role = role_of(post["platform"], post["account"]["handle"])
        checksum_id = any(k in ("iban", "card", "bsn") for k, _ in meta["ids"])
        if exp["severity"] != severity(cats, role, checksum_id):
            errors.append((pid, "severity mismatch"))
        if not cats and exp["severity"] != "none":
            errors.append((pid, "benign severity"))
        if cats and exp["severity"] in ("none", "info"):
            errors.append((pid, "positive with no severity"))
        # --- identifiers and checksums
        flat = re.sub(r"[\s.\-]", "", unicodedata.normalize("NFKC", post["text"]))
        declared = set()
        for kind, val in meta["ids"]:
            v = re.sub(r"[\s.\-]", "", val)
            declared.add(v)
            if v not in flat:
                errors.append((pid, "declared id not in text: " + val))
            ok = {"iban": iban_check_ok, "iban_public": iban_check_ok, "iban_bad": iban_check_ok,
                  "card": luhn_ok, "card_bad": luhn_ok, "bsn": bsn_ok, "bsn_bad": bsn_ok}[kind](v)
            if kind in ("iban", "card", "bsn"):
                if not ok:
                    errors.append((pid, "positive id fails checksum " + val))
                if not cats or PII not in cats:
                    errors.append((pid, "valid id in a non-pii case"))
            elif kind == "iban_public":
                if not ok or v not in public_ibans:
                    errors.append((pid, "public iban"))
            else:
                if ok:
                    errors.append((pid, "negative look-alike passes checksum " + val))
                if cats:
                    errors.append((pid, "look-alike used in a positive"))
        # undeclared identifier-looking strings anywhere
        for m in re.finditer(r"[A-Z]{2}\d{2}[A-Z]{4}\d{10}", flat):
            if m.group(0) not in declared:
                errors.append((pid, "undeclared IBAN " + m.group(0)))
        for m in re.finditer(r"(?<!\d)\d{13,19}(?!\d)", flat):
            if m.group(0) not in declared:
                errors.append((pid, "undeclared card-like " + m.group(0)))
        for m in re.finditer(r"(?<![\d.\-])\d{4}\.?\d{2}\.?\d{3}(?![\d.\-])", post["text"]):
            if re.sub(r"\D", "", m.group(0)) not in declared:
                errors.append((pid, "undeclared BSN-like " + m.group(0)))
        # --- secrets built right
        text = post["text"]
        for tok in re.findall(r"gh[pousr]_[0-9A-Za-z]{36}", text):
            if not github_token_ok(tok):
                errors.append((pid, "github token checksum"))
        for tok in re.findall(r"AKIA[A-Z2-7]{16}", text):
            if SECRET in cats and tok.endswith("EXAMPLE"):
                errors.append((pid, "example key in positive"))
            if not cats and not tok.endswith("EXAMPLE"):
                errors.append((pid, "real-looking AWS key in benign"))
        for tok in re.findall(r"eyJ[\w-]+\.[\w-]+\.[\w-]+", text):
            if not jwt_ok(tok):
                errors.append((pid, "jwt header"))
        if not cats and re.search(r"(gh[pousr]_[0-9A-Za-z]{36}|sk_live_[0-9A-Za-z]{10}|xox[bp]-\d|"
                                  r"glpat-[\w-]{20}|AIza[\w-]{35}|sk-ant-|BEGIN [A-Z ]*PRIVATE KEY|"
                                  r"AccountKey=|eyJ[\w-]+\.)", text):
            errors.append((pid, "live credential in benign"))
        # --- confidential agrees with the profile
        hits = active_internal_terms(text, ts)
        if CONF in cats and not hits:
            errors.append((pid, "confidential without an internal/embargo term"))
        if CONF not in cats and hits:
            errors.append((pid, "internal term in non-confidential case: %s" % hits))
        # --- pricing agrees with the catalogue
        for alias, price in meta["prices"]:
            lp = prof_products.get(alias.lower())
            if lp is None or alias.lower() not in norm(text):
                errors.append((pid, "price alias " + alias))
                continue
            below = price < ratio * lp
            if PRICING in cats and not below:
                errors.append((pid, "pricing positive not below ratio"))
            if PRICING not in cats and below:
                errors.append((pid, "benign price below ratio"))
            if not cats and price < 0.7 * lp:
                errors.append((pid, "benign sale deeper than 30%"))
        if PRICING in cats:
            t = norm(text)
            if not any(a in t for a in prof_products):
                errors.append((pid, "pricing without a catalogue product"))
            if not meta["prices"] and "prijsfout" not in t and "price error" not in t:
                errors.append((pid, "pricing without price or price-error talk"))
        # --- handles
        if role == "public":
            h = post["account"]["handle"].lower().lstrip("@")
            for a in PROFILE["accounts"]["corporate"] + PROFILE["accounts"]["employee"]:
                if a.split(":", 1)[1].lower().lstrip("@") == h and a.split(":", 1)[0] == post["platform"]:
                    errors.append((pid, "public handle collides with profile"))
    return errors


def main():
    rows = build()
    errors = check(rows)
    with open(os.path.join(HERE, "cases.jsonl"), "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n")
    # re-read the written file and check it is plain CONTRACT section 6
    with open(os.path.join(HERE, "cases.jsonl"), encoding="utf-8") as fh:
        lines = [json.loads(l) for l in fh]
    for obj in lines:
        if set(obj) != {"post", "expect"} or set(obj["expect"]) != {"categories", "severity"}:
            errors.append((obj.get("post", {}).get("id"), "line shape"))
    n = len(lines)
    benign = sum(1 for o in lines if not o["expect"]["categories"])
    per_cat = {}
    for o in lines:
        for c in o["expect"]["categories"]:
            per_cat[c] = per_cat.get(c, 0) + 1
    roles = {}
    for o in lines:
        key = (role_of(o["post"]["platform"], o["post"]["account"]["handle"]),
               "benign" if not o["expect"]["categories"] else
               ("leak" if any(c.startswith("leak.") for c in o["expect"]["categories"]) else "rep"))
        roles[key] = roles.get(key, 0) + 1
    nl = sum(1 for o in lines if o["post"]["lang"] == "nl")
    if not (170 <= n <= 180):
        errors.append((None, "case count %d" % n))
    if not (55 <= benign <= 65):
        errors.append((None, "benign count %d" % benign))
    print("cases:", n, "benign:", benign, "nl share: %.2f" % (nl / n))
    for c in sorted(per_cat):
        print("  %-22s %d" % (c, per_cat[c]))
    for k in sorted(roles):
        print("  role %-10s %-7s %d" % (k[0], k[1], roles[k]))
    sev = {}
    for o in lines:
        sev[o["expect"]["severity"]] = sev.get(o["expect"]["severity"], 0) + 1
    print("  severities:", dict(sorted(sev.items(), key=lambda kv: RANK.index(kv[0]))))
    if errors:
        for e in errors:
            print("CHECK FAILED:", e, file=sys.stderr)
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
