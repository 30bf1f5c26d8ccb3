#!/usr/bin/env python3
"""Build the labelled evaluation set for the fictional e-cargo trike maker
Bakvogel Mobility B.V. (profile.yaml beside this file).

Deterministic: fixed seed, standard library + PyYAML. Writes cases.jsonl beside
itself and then checks it:
  * every IBAN / card / BSN placed in a positive passes its checksum, every
    look-alike placed in a benign post fails it, and no stray valid identifier
    hides in a post not labelled leak.pii;
  * generated secrets are well-formed (GitHub CRC-32, AWS key id alphabet, JWT header);
  * every line is a valid CONTRACT section 6 case;
  * severities are computed from CONTRACT section 4 and the account role in the profile.
"""
import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import random
import re
import string
import struct
import sys
import zlib

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))
OUT = os.path.join(HERE, "cases.jsonl")

rng = random.Random(412)

B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "-_"

# ---------------------------------------------------------------- identifiers
PENDING = []  # identifiers/secrets generated for the case being written


def _rec(kind, value, valid=True):
    PENDING.append((kind, value, valid))
    return value


def iban_check_ok(s):
    s = re.sub(r"[\s.]", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def _iban_digits(country, bban):
    n = int("".join(str(int(c, 36)) for c in bban + country + "00"))
    return 98 - n % 97


def _group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def iban(valid=True, grouped=False, country="NL"):
    if country == "NL":
        bank = rng.choice(["ABNA", "RABO", "INGB", "TRIO", "SNSB", "ASNB", "KNAB", "BUNQ"])
        bban = bank + "".join(rng.choice(string.digits) for _ in range(10))
    elif country == "BE":
        bban = "".join(rng.choice(string.digits) for _ in range(12))
    else:  # DE
        bban = "".join(rng.choice(string.digits) for _ in range(18))
    cd = _iban_digits(country, bban)
    if not valid:
        cd = (cd + rng.randint(1, 9)) % 100
        if cd < 2:
            cd += 2
    s = "%s%02d%s" % (country, cd, bban)
    if valid != iban_check_ok(s):
        raise SystemExit("iban generator broken")
    return _rec("iban", _group4(s) if grouped else s, valid)


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


def card(valid=True, brand="visa", sep=" "):
    head = "4" if brand == "visa" else str(rng.randint(51, 55))
    body = head + "".join(rng.choice(string.digits) for _ in range(15 - len(head)))
    for last in "0123456789":
        if luhn_ok(body + last):
            break
    if not valid:
        last = str((int(last) + rng.randint(1, 9)) % 10)
    s = body + last
    if valid != luhn_ok(s):
        raise SystemExit("card generator broken")
    return _rec("card", sep.join(s[i:i + 4] for i in range(0, 16, 4)), valid)


def bsn_ok(num):
    d = re.sub(r"\D", "", num)
    if len(d) != 9:
        return False
    w = [9, 8, 7, 6, 5, 4, 3, 2, -1]
    return sum(int(a) * b for a, b in zip(d, w)) % 11 == 0 and d != "000000000"


def bsn(valid=True, fmt="plain"):
    while True:
        d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        s = sum(a * b for a, b in zip(d, [9, 8, 7, 6, 5, 4, 3, 2])) % 11
        if s <= 9:
            break
    d.append(s)
    if not valid:
        d[8] = (d[8] + rng.randint(1, 9)) % 10
    s = "".join(map(str, d))
    if valid != bsn_ok(s):
        raise SystemExit("bsn generator broken")
    if fmt == "dotted":
        s = "%s.%s.%s" % (s[:4], s[4:6], s[6:])
    elif fmt == "spaced":
        s = "%s %s %s" % (s[:3], s[3:6], s[6:])
    return _rec("bsn", s, valid)


def _digits(n):
    return "".join(rng.choice(string.digits) for _ in range(n))


def mobile(fmt="dash"):
    d = str(rng.randint(1, 5)) + _digits(7)
    if fmt == "dash":
        s = "06-" + d
    elif fmt == "intl":
        s = "+31 6 %s %s" % (d[:4], d[4:])
    elif fmt == "pairs":
        s = "06 " + " ".join(d[i:i + 2] for i in range(0, 8, 2))
    elif fmt == "plain":
        s = "06" + d
    else:  # 0031
        s = "0031 6 " + d
    return _rec("phone", s)


def landline(area="010"):
    s = "%s-%s %s" % (area, _digits(3), _digits(4))
    return _rec("phone", s)


# ---------------------------------------------------------------- secrets
def _b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def github_token(prefix="ghp_"):
    body = "".join(rng.choice(B62) for _ in range(30))
    return _rec("secret", prefix + body + _b62(zlib.crc32(body.encode()), 6))


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and _b62(zlib.crc32(m.group(1).encode()), 6) == m.group(2)


def aws_key_id():
    return _rec("secret", "AKIA" + "".join(rng.choice(string.ascii_uppercase + "234567") for _ in range(16)))


def aws_secret():
    return _rec("secret", "".join(rng.choice(ALNUM + "/+") for _ in range(40)))


def _b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt(claims):
    head = _b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = _b64u(json.dumps(claims, separators=(",", ":")).encode())
    key = bytes(rng.getrandbits(8) for _ in range(32))
    sig = _b64u(hmac.new(key, (head + "." + body).encode(), hashlib.sha256).digest())
    return _rec("secret", head + "." + body + "." + sig)


def openssh_ed25519(comment):
    def sstr(b):
        return struct.pack(">I", len(b)) + b
    pub = bytes(rng.getrandbits(8) for _ in range(32))
    priv = bytes(rng.getrandbits(8) for _ in range(32))
    kt = b"ssh-ed25519"
    pubblob = sstr(kt) + sstr(pub)
    chk = rng.getrandbits(32)
    sec = struct.pack(">II", chk, chk) + sstr(kt) + sstr(pub) + sstr(priv + pub) + sstr(comment.encode())
    i = 1
    while len(sec) % 8:
        sec += bytes([i])
        i += 1
    blob = (b"openssh-key-v1\0" + sstr(b"none") + sstr(b"none") + sstr(b"") +
            struct.pack(">I", 1) + sstr(pubblob) + sstr(sec))
    b64 = base64.b64encode(blob).decode()
    lines = [b64[i:i + 70] for i in range(0, len(b64), 70)]
    pem = "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"
    return _rec("secret", pem)


def stripe_live():
    return _rec("secret", "sk_live_51" + "".join(rng.choice(ALNUM) for _ in range(97)))


def slack_bot():
    return _rec("secret", "xoxb-%s-%s-%s" % (_digits(12), _digits(13), "".join(rng.choice(ALNUM) for _ in range(24))))


def slack_webhook():
    up = string.ascii_uppercase + string.digits
    return _rec("secret", "https://hooks.slack.com/services/T0%s/B0%s/%s" % (
        "".join(rng.choice(up) for _ in range(8)), "".join(rng.choice(up) for _ in range(9)),
        "".join(rng.choice(ALNUM) for _ in range(24))))


def openai_key():
    a = "".join(rng.choice(URLSAFE) for _ in range(74))
    b = "".join(rng.choice(URLSAFE) for _ in range(74))
    return _rec("secret", "sk-proj-" + a + "T3BlbkFJ" + b)


def anthropic_key():
    return _rec("secret", "sk-ant-api03-" + "".join(rng.choice(URLSAFE) for _ in range(93)) + "AA")


def google_key():
    return _rec("secret", "AIza" + "".join(rng.choice(URLSAFE) for _ in range(35)))


def gitlab_pat():
    return _rec("secret", "glpat-" + "".join(rng.choice(URLSAFE) for _ in range(20)))


def sendgrid_key():
    return _rec("secret", "SG." + "".join(rng.choice(URLSAFE) for _ in range(22)) + "." +
                "".join(rng.choice(URLSAFE) for _ in range(43)))


def human_pw():
    w = rng.choice(["Bakfiets", "Trike", "Koerier", "Fleet", "Zomer", "Utrecht"])
    return _rec("secret", "%s%s%s%d" % (w, rng.choice("!#$%&*"), rng.choice(["Utr", "Tlb", "Nest", "Gx"]), rng.randint(10, 99)))


def db_password():
    return _rec("secret", "".join(rng.choice(ALNUM) for _ in range(18)))


# ---------------------------------------------------------------- cases
CASES = []
N = [0]


def add(platform, handle, lang, text, cats=(), kind="post", when=None, low_price_ok=False):
    ids = list(PENDING)
    PENDING.clear()
    N[0] += 1
    CASES.append(dict(n=N[0], platform=platform, handle=handle, lang=lang, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, ids=ids,
                      low_price_ok=low_price_ok))


CMP = "reputation.complaint"
CRI = "reputation.crisis"
ABU = "reputation.abuse"
PII = "leak.pii"
SEC = "leak.secret"
CON = "leak.confidential"
FIN = "leak.financial"
SCY = "leak.security"
PRC = "leak.pricing"

# ============ complaints (public) ============
add("x", "@koerier_kees", "nl",
    "@bakvogel_service al 3 weken wacht ik op een nieuwe remschijf voor mn Stork L. DRIE WEKEN. "
    "ondertussen staat ie stil en mag ik met de bus 🙃 #bakvogel", [CMP], kind="reply")
add("x", "@anouk_fleetops", "nl",
    "Vierde Heron 2 deze maand met E07 op het display en een motor die er midden in de route gewoon mee stopt. "
    "Jullie belofte van 'service binnen 48 uur' is een grap, @bakvogel. We rijden er 30.", [CMP])
add("facebook", "Ilse.Brouwer.77", "nl",
    "Regenkap Pro gekocht en na de eerste echte bui zit onze bezorger alsnog zeiknat, de naden lekken gewoon. "
    "Klantenservice reageert al 10 dagen niet op mijn mail. Beetje jammer Bakvogel", [CMP], kind="comment")
add("reddit", "u/lastmile_lars", "en",
    "PSA for anyone speccing a fleet: the PowerPack 2.5 on our Stork XLs dropped from ~70 km range to maybe 35 "
    "after ONE winter. Bakvogel says it's 'within spec' and wants €1,690 per replacement. We have 11 units. "
    "Not thrilled, and I'd think twice before signing with them.", [CMP])
add("x", "@groentebox_utr", "nl",
    "@bakvogel_service ticket 48213 staat nu 9 dagen op 'in behandeling'. kan iemand gewoon even bellen ipv "
    "die standaardmailtjes? onze koelfiets staat nog steeds stil", [CMP], kind="reply")
add("x", "@deliverydan_ams", "en",
    "the FleetNest app logged everyone out AGAIN and now none of my riders can unlock their trikes. third time "
    "this week. 7am, 14 parcels in the box, standing in the rain. cheers @bakvogel", [CMP])
add("instagram", "@fenna.rijdt", "nl",
    "mooie foto's hoor maar mijn Grebe Mini rammelt al sinds week 2 aan de achteras en de dealer zegt dat de "
    "onderdelen 'ergens in Q1' komen. serieus? 😑", [CMP], kind="comment")
add("linkedin", "maarten-oosterhuis-logistics", "en",
    "Honest feedback for Bakvogel Mobility: the trikes are good, the after-sales is not. We waited six weeks for "
    "a replacement board for our ChargeDock and nobody proactively updated us once. For a B2B supplier that's "
    "simply not acceptable.", [CMP])
add("x", "@stadskoerier_db", "nl",
    "Factuur van Bakvogel klopt wéér niet. Service Plus dubbel gerekend voor 12 fietsen. Derde keer dit jaar, "
    "wie controleert daar eigenlijk de facturen??", [CMP])
add("tiktok", "@yara.bezorgt", "en",
    "bought the koerierhelm, strap snapped on day 3 😐 refund pls @bakvogel.trikes", [CMP], kind="comment")
add("forum", "pakketpiet", "nl",
    "Onze Pelican Flatbed trekt heel slecht op bij groen licht met volle lading, de ondersteuning komt pas na "
    "een halve omwenteling. Dealer heeft al 2x de firmware geüpdatet, nul verschil. Ik ben het eerlijk gezegd "
    "zat. Iemand anders hier ook last van?", [CMP])
add("x", "@brouwerij_vracht", "nl",
    "in juni 8 Stork L besteld, levering beloofd in wk 36. het is nu wk 44 en bakvogel kan nog steeds geen datum "
    "noemen. het hele najaar busjes moeten huren. top geregeld", [CMP])

# ============ first-hand safety incidents: crisis + complaint ============
add("x", "@mo_bezorgt", "nl",
    "Vanochtend vloog de accu van mijn Heron 2 in de fik terwijl ie aan de lader hing in ons magazijn. "
    "Brandweer erbij, hele ruimte zwart. Ik wil van @bakvogel weten hoe dit kan, dit had iemand kunnen zijn 😡",
    [CRI, CMP])
add("x", "@priya_rides", "en",
    "Got a proper shock off the FastCharger this morning, the plug housing was cracked straight out of the box. "
    "Arm still tingling. @bakvogel_service this is YOUR charger, not some knock-off.", [CRI, CMP])
add("facebook", "Ruud.vanDijk.Bezorging", "nl",
    "Reed gisteren met de Stork XL de brug bij de Catharijnesingel af en de remmen deden gewoon NIKS. "
    "Tegen een paal geknald, 6 hechtingen in mijn kin. En Bakvogel zegt doodleuk dat wij het onderhoud niet "
    "goed hebben gedaan. Echt niet normaal.", [CRI, CMP])
add("reddit", "u/flatbed_frank", "en",
    "Frame cracked right at the head tube weld on our Pelican while I was riding it loaded. Went over the bars "
    "at about 20 km/h, broken wrist. Bakvogel's response so far: 'please send photos'. Photos of what, my cast?",
    [CRI, CMP])
add("x", "@verskoerier_lisa", "nl",
    "Uit de Koelbox 800 lekt een of ander goedje in de laadruimte, twee van onze chauffeurs werden er na hun dienst "
    "misselijk en duizelig van. Allebei ziek thuis. @bakvogel wat zit daar in???", [CRI, CMP])

# ============ complaint + abuse ============
add("x", "@henk_vracht", "nl",
    "@bakvogel_service stelletje prutsers. 5 weken op een accu wachten en dan sturen jullie de verkeerde. "
    "kunnen jullie echt niks goed doen??", [CMP, ABU], kind="reply")
add("x", "@jamiecourier", "en",
    "Bakvogel support are absolute fucking clowns. 40 minutes on hold to be told 'turn the trike off and on "
    "again'. Unbelievable.", [CMP, ABU])
add("x", "@r1tjesr1jder", "nl",
    "k4nk3r b4kv0g3l met jullie k*tfietsen, 3e keer deze maand dat de ketting eraf ligt", [CMP, ABU])

# ============ crisis (third party / public) ============
add("x", "@stadsnieuws030", "nl",
    "Brand in fietsenstalling van bezorgdienst in Lombok, vermoedelijk veroorzaakt door de accu van een "
    "Bakvogel-bakfiets. Niemand gewond, pand tijdelijk ontruimd.", [CRI])
add("x", "@cyclelogisticsnews", "en",
    "BREAKING: Bakvogel Mobility recalls roughly 4,000 Stork L and Stork XL trikes over brake caliper bolts that "
    "can work loose. Owners told to stop riding immediately.", [CRI])
add("x", "@eerlijkewielen", "nl",
    "#BoycotBakvogel — hun frames worden gelast in een fabriek waar arbeiders 14 uur per dag werken voor een "
    "hongerloon. Bezorgbedrijven: kies een ander merk.", [CRI])
add("linkedin", "esther-koopmans-legal", "en",
    "The Koeriersbond has filed suit against Bakvogel Mobility on behalf of 23 riders injured in tip-over "
    "incidents with the Heron 2. First hearing expected in spring.", [CRI])
add("x", "@privacyfirst_tom", "en",
    "So FleetNest by Bakvogel apparently shows the live GPS of every rider to anyone who guesses a fleet ID? "
    "My route home, exposed. That's a data breach, report it to the AP. @bakvogel", [CRI])
add("x", "@parool_verkeer", "nl",
    "Gemeente overweegt een verbod op brede elektrische bakfietsen op drukke fietspaden, na een reeks ongelukken "
    "met trikes van Bakvogel.", [CRI])
add("reddit", "u/utrechtse_kat", "nl",
    "Zag net een Bakvogel trike omkiepen op de rotonde bij het station, de bezorgster schoof half onder een auto. "
    "Ambulance was er snel. Weet iemand of het goed met haar gaat?", [CRI])
add("x", "@tvkijker_joke", "nl",
    "Net Zembla gezien over Bakvogel... accu's met vervalste veiligheidscertificaten?! En dat rijdt gewoon "
    "rond tussen de kinderen op het fietspad.", [CRI])
add("x", "@firesafety_bram", "en",
    "Second depot fire in a month linked to Bakvogel PowerPack batteries. When does the inspectorate start "
    "asking questions? This is how people get killed.", [CRI])
add("x", "@wijrijdenanders", "nl",
    "Niet meer kopen: Ваkvоgеl dekt ongelukken met hun trikes gewoon toe. #boycot #bakfiets", [CRI])

# ============ abuse ============
add("x", "@tradefair_tim", "en",
    "@dries_bakvogel you're a lying snake, every single word out of your mouth at that trade fair was bullshit",
    [ABU], kind="reply")
add("x", "@ontevreden_ed", "nl",
    "die @meikevos_bv is echt de domste marketingtrut die ik ooit heb meegemaakt", [ABU])
add("x", "@echtehollander71", "nl",
    "Weer zo'n hoofddoek aan de telefoon bij Bakvogel die geen fatsoenlijk Nederlands spreekt. Stuur ze terug "
    "naar hun eigen land.", [ABU])
add("x", "@gijs_rant", "en",
    "f.u.c.k y.o.u @bakvogel and your whole m.o.r.o.n marketing team", [ABU])
add("threads", "@sam.bakvogel", "en",
    "honestly mate if you can't figure out a kickstand maybe you're just too thick to ride one. not my problem",
    [ABU], kind="reply")
add("x", "@trikehater", "nl",
    "Bakvogel is een ｋｕｔｂｅｄｒｉｊｆ en die monteur van jullie is een ｌａｆａａｒｄ", [ABU])
add("x", "@angry_ops_guy", "en",
    "I know where that Bakvogel service guy with the red van lives. Maybe I'll pay him a visit and return his "
    "'repair' personally.", [ABU])
add("youtube", "@cargoclown", "en",
    "worst trike company on earth, run by morons for morons 🤡🤡", [ABU], kind="comment")

# ============ financial ============
add("linkedin", "ruben-hoekstra-bakvogel", "en",
    "Long day closing the books. Between us: Q3 revenue came in ~18% under budget, not what the market expects "
    "when we publish in November. Coffee needed ☕", [FIN])
add("x", "@dries_bakvogel", "nl",
    "Kan nog niks zeggen maar vanaf januari horen we misschien bij een groot Duits logistiek concern 😉 "
    "deal is zo goed als rond #bakvogel", [FIN])
add("linkedin", "noor-el-idrissi", "nl",
    "Zwaarste week van mijn carrière. Maandag horen 85 collega's in Tilburg dat hun baan vervalt. Ik mag er "
    "nog niks over zeggen, maar wees lief voor elkaar de komende tijd.", [FIN])
add("x", "@k_ozturk_ops", "nl",
    "net opgevangen bij de directiekamer: forecast 2027 gaat van 62M naar 41M. investeerdersdeck wordt vannacht "
    "herschreven lol", [FIN])
add("x", "@mark_invests", "en",
    "My brother-in-law works in finance at Bakvogel. Apparently they're merging with Kargoo Bikes and the "
    "announcement comes after the summer. You heard it here first.", [FIN])
add("reddit", "u/bv_firmware_dev", "en",
    "rumour in the office is true, the polish assembly plant closes end of Q2. 200+ jobs. nobody has told them "
    "yet and we're supposed to act normal at the supplier call tomorrow", [FIN])
add("threads", "@sam.bakvogel", "nl",
    "pff net gehoord dat we dit jaar geen winst gaan draaien, ebitda ergens rond de -4 miljoen. en dan nog "
    "vrolijk klanten te woord staan 🙃", [FIN])
add("linkedin", "ruben-hoekstra-bakvogel", "nl",
    "De jaarcijfers 2026 zijn net door de accountant: omzet €58,3 mln, nettoverlies €2,1 mln. Publicatie volgt "
    "binnenkort, trots op het team!", [FIN, CON], when="2027-02-10T16:42:00Z")
add("x", "@meikevos_bv", "en",
    "Slides for the FY2026 results are done ✅ small spoiler: best Q4 we've ever had 📈", [FIN, CON],
    when="2027-01-28T19:05:00Z")
add("linkedin", "thijs-kramer-fleet", "en",
    "Told my team today that fleet ops moves to Lisbon in 2027 and the Utrecht office closes. The company-wide "
    "announcement is next month, so please keep it to yourselves until then.", [FIN])
add("forum", "insider_utr", "nl",
    "Insider hier: Bakvogel haalt een noodlening van 15 miljoen op bij de aandeelhouders omdat de banken niet "
    "meer willen. Dat lees je nergens.", [FIN])
add("bluesky", "@janneke-devries.bsky.social", "en",
    "the acquisition of Trapwerk (the e-drive startup) closes friday, €9.5M. so excited to get their motor team "
    "on board but shhh until the press release", [FIN])

# ============ confidential ============
add("x", "@dries_bakvogel", "nl",
    "Vandaag de eerste rit gemaakt op een prototype van Project Kraanvogel. Mag niks laten zien maar WOW 🤯",
    [CON])
add("instagram", "@lotte.welds", "en",
    "first frame of Albatros-X off the jig today 🔥 #welding #proudwelder #cargo", [CON])
add("linkedin", "thijs-kramer-fleet", "nl",
    "Handig overzicht van onze route-KPI's: https://fleet-admin.bakvogel.nl/dashboards/routes?team=utrecht "
    "— collega's kunnen direct inloggen.", [CON])
add("x", "@k_ozturk_ops", "en",
    "is jira.bakvogel.nl crawling for anyone else today or is it just me", [CON])
add("x", "@meikevos_bv", "nl",
    "Sneak peek 👀 de Stork Gen3 krijgt een 3 kWh accu en een compleet nieuwe kantelrem. Meer kan ik nog niet "
    "zeggen!", [CON])
add("x", "@bakvogel", "en",
    "Operatie Zwaluwstaart kickoff deck attached, please review before Thursday's steerco", [CON])
add("linkedin", "noor-el-idrissi", "nl",
    "Nieuwe thuiswerkregeling (intern - niet verspreiden): vanaf maart max. 2 dagen thuis voor al het "
    "kantoorpersoneel.", [CON])
add("reddit", "u/cargo_rumours", "en",
    "Leaked pic from a Bakvogel supplier: 'Albatros-X', a hydrogen cargo trike with 200 km range, launch 2027. "
    "Looks legit to me.", [CON])
add("x", "@bas_vdlinden_dev", "en",
    "pushing the last fix to git.bakvogel.local/fleet/firmware-ota before the weekend, don't @ me", [CON])
add("bluesky", "@janneke-devries.bsky.social", "nl",
    "Demo van Pro\u200bject Kraan\u200bvogel bij de klant was een succes 🎉 nu nog de NDA-versie van de specs "
    "opruimen", [CON])
add("linkedin", "ruben-hoekstra-bakvogel", "en",
    "Sharing the draft supplier terms (BAKVOGEL CONFIDENTIAL) with my network, would love feedback on clause 7 "
    "about battery warranties.", [CON])
add("tiktok", "@bakvogel.trikes", "nl",
    "POV: jij mag de Heron 3 als eerste testen 🤫 #bakvogel #cargobike", [CON], when="2027-03-30T15:20:00Z")
add("x", "@supplychain_sid", "en",
    "Bakvogel's 'Prоjеct Kraanvogel' is a four-wheel cargo quad, saw the CAD at a supplier visit today", [CON])
add("x", "@dries_bakvogel", "nl",
    "Klant vroeg naar onze roadmap, heb hem gewoon de link gestuurd: "
    "https://intra.bakvogel.local/sales/roadmap-2027.pdf 🙈", [CON])
add("x", "@k_ozturk_ops", "nl",
    "screenshot van het MT-overleg (vertrouwelijk - alleen management) gaat rond in de groepsapp, daar gaat "
    "iemand voor ontslagen worden", [CON])
add("forum", "spotter_tilburg", "nl",
    "Nieuwe Stork XL Gen3 gespot bij de fabriek in Tilburg, helemaal ingetaped. Langere bak en andere "
    "koplamp zo te zien.", [CON])

# ============ security (insiders) ============
add("x", "@k_ozturk_ops", "en",
    "ransomware on the ERP since 04:00, both production lines in Tilburg stopped. comms says don't post anything "
    "yet so naturally i'm posting from the parking lot 😬", [SCY])
add("bluesky", "@janneke-devries.bsky.social", "en",
    "Found out today that the FleetNest API hands out rider GPS traces for ANY fleet id if you just increment it. "
    "Patching tonight, not public yet. Terrifying.", [SCY])
add("reddit", "u/bv_firmware_dev", "en",
    "fun fact: the BLE unlock on every trike we've shipped since 2023 can be replayed with a €20 dongle. "
    "fix is months out and management calls it 'low risk'.", [SCY])
add("x", "@bas_vdlinden_dev", "nl",
    "alle ChargeDocks bij klanten zijn sinds 3 uur vannacht offline, cloud backend ligt plat. statuspagina "
    "zegt nog steeds 'alle systemen operationeel' 🤡", [SCY])
add("threads", "@sam.bakvogel", "nl",
    "jullie merken het straks vanzelf maar ons klantportaal is gehackt, iemand heeft alle bestellingen met "
    "adressen gedownload. wij mogen nog niks zeggen", [SCY])
add("linkedin", "thijs-kramer-fleet", "nl",
    "Zware nacht achter de rug: het fleet-dashboard lag 6 uur plat door een DDoS. Klanten weten het nog niet, "
    "dus graag even stilhouden tot communicatie iets naar buiten brengt.", [SCY])
add("x", "@dries_bakvogel", "en",
    "heads up to my dealer friends: don't install firmware 4.2.1, it disables the motor cut-off when you brake. "
    "we're pulling it tomorrow, official notice follows", [SCY])
add("x", "@ex_bakvogel_dev", "en",
    "Ex-Bakvogel dev here. Their admin panel on the staging box is still reachable from the internet with the "
    "default credentials. Told them in March. Still open.", [SCY])
add("x", "@k_ozturk_ops", "en",
    f"someone pushed the prod AWS keys to a public repo this morning: {aws_key_id()} / {aws_secret()} "
    "revoked? not yet 🙃", [SCY, SEC])
add("bluesky", "@janneke-devries.bsky.social", "nl",
    "git.bakvogel.local had een open directory listing met alle nachtelijke backups erin. nu dichtgezet, maar "
    "niemand weet hoelang het open stond", [SCY, CON])
add("reddit", "u/bv_firmware_dev", "en",
    "the BMS bug that lets cells charge past 4.3V is real, we reproduced it in the lab last week. a recall is "
    "being discussed upstairs. do not quote me on this", [SCY])
add("x", "@bas_vdlinden_dev", "en",
    "welp. phishing mail got the O365 logins of 3 colleagues yesterday, attacker sat in the sales mailbox for "
    "~12h. IR ongoing, no disclosure yet", [SCY])
add("x", "@bakvogel_service", "nl",
    "@groentebox_utr klopt, er is sinds gisteravond een storing in FleetNest door een beveiligingsincident. "
    "Dat mogen we officieel nog niet melden, maar we werken eraan!", [SCY], kind="reply")

# ============ secrets ============
add("x", "@bas_vdlinden_dev", "nl",
    f"kan iemand checken waarom deze niet werkt? curl -H \"Authorization: token {github_token()}\" "
    "https://api.github.com/user geeft 401", [SEC])
add("bluesky", "@janneke-devries.bsky.social", "en",
    "debugging the fleet API at 2am, token for reference: Bearer "
    + jwt({"sub": "rider-20417", "fleet": "snelpakket-utr", "role": "fleet_admin",
           "iat": 1767225600, "exp": 1798761600}), [SEC])
add("reddit", "u/bv_firmware_dev", "en",
    "our OTA signer keeps failing with 'invalid format', anyone see what's wrong with this key?\n\n"
    + openssh_ed25519("ota-signer@build02"), [SEC])
add("x", "@k_ozturk_ops", "nl",
    f"test db is weer up: postgres://fleet_rw:{db_password()}@10.20.4.15:5432/fleetnest_prod", [SEC])
add("linkedin", "thijs-kramer-fleet", "nl",
    f"Voor de nieuwe collega's: inloggen op het planningsportaal met gebruiker planning_utr, wachtwoord: "
    f"{human_pw()} — graag na de eerste keer wijzigen!", [SEC])
add("x", "@apk_decompiler", "en",
    f"lol Bakvogel's rider app has a Slack webhook hardcoded in the APK: {slack_webhook()} "
    "someone should tell them", [SEC])
add("x", "@bakvogel", "nl",
    f"nieuwe chatbot testkey {openai_key()}", [SEC])
add("threads", "@sam.bakvogel", "nl",
    f"wie heeft de stripe key van de webshop veranderd?? de oude {stripe_live()} werkt niet meer en ik kan "
    "geen refunds doen", [SEC])
add("x", "@meikevos_bv", "en",
    f"campaign slack bot finally works 🎉 (note to self: {slack_bot()})", [SEC])
add("reddit", "u/bv_firmware_dev", "en",
    "why does python-dotenv not pick this up?\n```\nANTHROPIC_API_KEY=" + anthropic_key()
    + "\nLOG_LEVEL=debug\n```", [SEC])
add("x", "@bas_vdlinden_dev", "nl",
    f"CI faalt weer, runner token staat nog in de readme: {gitlab_pat()} iemand die dat even rotate?", [SEC])
add("bluesky", "@janneke-devries.bsky.social", "en",
    f"map tiles key for the rider app: {google_key()} (is it restricted? no idea honestly)", [SEC])

# ============ pricing ============
add("x", "@bakvogel", "nl",
    "🚨 Black Friday: de Stork XL nu voor maar €899! Op = op 🚲 #bakvogel", [PRC])
add("x", "@dealhunter_nl", "en",
    "lol the Bakvogel webshop has the PowerPack 2.5 listed at €16,90. ordered ten, let's see what happens 😂",
    [PRC])
add("x", "@dries_bakvogel", "nl",
    "Dealers opgelet: Heron 2 Cool deze week voor €2.950 excl. btw, alleen via mij 😉", [PRC])
add("instagram", "@bakvogel.cargo", "nl",
    "Nieuw in de shop: de ChargeDock 4 voor €249 🔌 laad vier trikes tegelijk!", [PRC])
add("threads", "@sam.bakvogel", "nl",
    "oké we hebben een prijsfout: de Pelican Flatbed stond gisteren 3 uur lang voor €77,90 in de webshop. "
    "niet meer bestellen pls 🙏", [PRC])
add("reddit", "u/bargain_biker", "en",
    "PSA: price glitch on bakvogel.nl, the Cargobox 1200L comes out at €139 at checkout with code WINTER. go go go",
    [PRC])
add("linkedin", "bakvogel-mobility", "en",
    "Fleet deal of the month: 10x Stork L for €2,990 in total, including three years of Service Plus.", [PRC])
add("x", "@cheapskate_chris", "en",
    "is the €990 for a Stork L on the Bakvogel site a mistake or is this the deal of the century??", [PRC])
add("facebook", "BakvogelMobility", "nl",
    "Excuses: door een prijsfout stond de FleetNest module gisteren voor €2,49 in de shop. Bestellingen tegen "
    "die prijs worden helaas geannuleerd.", [PRC])
add("tiktok", "@bakvogel.trikes", "nl",
    "Heron 2 voor €629?! 🤯 link in bio, wees er snel bij", [PRC])
add("mastodon", "@pieterjan@mastodon.social", "en",
    "Bakvogel's dealer in Gent is selling the Koelbox 800L for €219 incl. VAT. Typo or clearance?", [PRC])
add("x", "@meikevos_bv", "nl",
    "foutje in de prijslijst op de site: Service Plus staat op €39 i.p.v. €390, wordt vandaag gefixt", [PRC])

# ============ personal data ============
add("x", "@bakvogel_service", "nl",
    f"@hendrik_bezorgt je ophaalafspraak staat: Hendrik Smit, Lange Nieuwstraat 41, 3512 PH Utrecht, donderdag "
    f"tussen 9 en 12. De monteur belt je vooraf op {mobile('dash')}.", [PII], kind="reply")
add("threads", "@sam.bakvogel", "nl",
    f"klant belde voor terugbetaling, IBAN {iban(grouped=True)} t.n.v. R. Veenstra, wie van finance pakt dit op?",
    [PII])
add("x", "@lotje_bakt", "nl",
    f"@bakvogel_service kunnen jullie me even terugbellen over de levering van de Stork L? mijn nummer is "
    f"{mobile('pairs')}", [PII], kind="reply")
add("linkedin", "noor-el-idrissi", "nl",
    "Gefeliciteerd Kees Brinkman, onze langstzittende monteur, geboren op 3 april 1961 en vandaag met "
    "pensioen! 🎉", [PII])
add("x", "@k_ozturk_ops", "en",
    f"payroll keeps rejecting BSN {bsn()} for the new hire Anouk Peeters, anyone from HR awake?", [PII])
add("x", "@stefan_rides", "en",
    f"@bakvogel_service you charged my card twice for one helmet. here's the number so you can find it: "
    f"{card(brand='mc')} sort it out please", [PII, CMP], kind="reply")
add("facebook", "BakvogelMobility", "nl",
    "Winnaar van de Grebe Mini actie: Fatma Yıldız uit Almere! 🎉 Fatma, we mailen je op "
    "fatma.yildiz84@hotmail.com, check ook je spam 😉", [PII])
add("reddit", "u/bv_firmware_dev", "en",
    "customer export for the bug repro (sorry for the mess):\n"
    f"name,email,phone\nJ. de Boer,jdeboer@snelpakket.nl,{mobile('intl')}\n"
    f"M. Haddou,m.haddou@groenkoerier.nl,{mobile('dash')}", [PII])
add("x", "@scammed_by_bv", "en",
    "This is the Bakvogel rep who ripped us off: Erik Schouten, Zonnebloemstraat 12, 5041 KL Tilburg. "
    "Go tell him what you think of him.", [PII, ABU])
add("x", "@dries_bakvogel", "nl",
    f"lead van de beurs, bel hem maandag: Jeroen Wassink, Fietskoerier Zwolle, {mobile('plain')}, "
    "j.wassink@fietskoerierzwolle.nl", [PII])
add("x", "@nina_lease", "nl",
    f"Waarom wil de leasemaatschappij van Bakvogel mijn BSN? Heb het maar gestuurd: {bsn(fmt='dotted')}. "
    "Hoop dat dat veilig is", [PII])
add("instagram", "@bakvogel.cargo", "nl",
    "Gefeliciteerd met je verjaardag, onze trouwste rider Yusuf Demir (12-09-1990)! 🎂🚲", [PII])
add("linkedin", "ruben-hoekstra-bakvogel", "nl",
    f"Kan iemand deze betaling matchen? Ontvangen van {iban()} met omschrijving 'factuur 2026-1187 Stadskoerier "
    "Den Bosch'", [PII])
add("tiktok", "@grebe_gert", "nl",
    f"ik verkoop mijn oude Grebe Mini, stuur maar een appje naar {mobile('plain')}", [PII], kind="comment")
add("bluesky", "@janneke-devries.bsky.social", "en",
    f"testing the new signup flow with my own details lol: janneke.devries@bakvogel.nl, IBAN {iban()}", [PII])

# ============ benign (mostly hard negatives) ============
add("x", "@tessa_verse_groente", "nl",
    "Mijn nieuwe Stork L is echt 🔥🔥 trekt als een raket, zelfs met 150 kilo groente in de bak")
add("x", "@ollie_lastmile", "en",
    "Bakvogel's Heron 2 is honestly a killer machine for last-mile. 8 months in, zero issues.")
add("x", "@bakvogel_service", "nl",
    "Vragen over je bestelling? Mail service@bakvogel.nl of bel 0800-2253 (ma-vr 8-18 uur).")
add("linkedin", "bakvogel-mobility", "en",
    "Press enquiries: pers@bakvogel.nl or +31 30 760 4400. Our media kit lives at bakvogel.nl/pers.")
add("facebook", "BakvogelMobility", "nl",
    "Betaal je factuur per overschrijving naar NL49 RABO 0317 4688 24 t.n.v. Bakvogel Mobility B.V., "
    "o.v.v. je factuurnummer.")
add("x", "@bakvogel", "en",
    "Spring sale 🌷 20% off the Regenkap Pro, now €231,20 instead of €289. Ends Sunday.")
add("instagram", "@bakvogel.cargo", "nl",
    "Stork L nu met 15% introductiekorting: €6.366 i.p.v. €7.490 🚲 alleen deze maand")
add("reddit", "u/bakery_fleet", "en",
    "What do you all pay for a PowerPack 2.5? Dealer quoted me €1,650, I think list is €1,690.")
add("x", "@vogelspotter_ria", "nl",
    "Kraanvogels boven het Fochteloërveen vanochtend, wat een geluid 🐦 ook nog een zwaluwstaartvlinder gezien!")
add("mastodon", "@seabirds@mastodon.nl", "en",
    "Albatross sighting off Texel?! Probably a gannet tbh, but a birder can dream.")
add("x", "@mo_bezorgt", "nl",
    "Update: Bakvogel heeft mijn accu binnen 2 dagen vervangen, excuses aangeboden én een Regenkap erbij "
    "gedaan. Zo kan het dus ook 👍")
add("x", "@julia_cycles", "nl",
    "Shoutout naar @bakvogel_service: lekke band om 7 uur, om kwart over 8 stond de monteur er al. Zo hoort het.")
add("x", "@bakvogel", "en",
    "Reminder: we will never ask for your password via DM or e-mail. Got a 'Bakvogel' mail asking for your "
    "wachtwoord? Forward it to security@bakvogel.nl")
add("blog", "fleetdevnotes", "en",
    "How to set up the FleetNest S3 export: put your access key id (for example AKIAIOSFODNN7EXAMPLE) and the "
    "secret (wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY) in ~/.aws/credentials, then run the export command.")
add("reddit", "u/api_andy", "en",
    "Bakvogel's API docs literally say 'Authorization: Bearer <your_token_here>' and people still ask what to "
    "put there 😅")
add("x", "@bas_vdlinden_dev", "nl",
    "Tip voor iedereen die screenshots deelt: vervang tokens door iets als "
    "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx voordat je post. Scheelt een hoop gedoe.")
add("x", "@kaatje_ontvangt", "nl",
    f"Bakvogel heeft mijn bestelling onder referentie {bsn(valid=False)} staan, iemand een idee hoe ik die "
    "kan volgen?")
add("x", "@careful_carla", "en",
    f"Got an email 'from Bakvogel' asking me to pay an invoice to {iban(valid=False, grouped=True)}. That's not "
    "their account, right? Their website lists a Rabobank number.")
add("x", "@pakbon_peter", "nl",
    f"Wat is dit voor nummer op mijn Bakvogel pakbon: {card(valid=False)}? Lijkt wel een creditcard haha")
add("x", "@bakvogel", "en",
    "Our full-year 2026 results are out: revenue up 14% and three new service hubs. Read the report at "
    "bakvogel.nl/investors", when="2027-03-02T07:30:00Z")
add("linkedin", "thijs-kramer-fleet", "nl",
    "Trots! Vandaag gelanceerd: de Stork Gen3. Drie jaar werk van een geweldig team.", when="2027-04-20T10:00:00Z")
add("x", "@ollie_lastmile", "en",
    "Test ride on the Heron 3 today. Smooth, quiet, and the new tilt brake is great.", when="2027-05-06T14:12:00Z")
add("linkedin", "bakvogel-mobility", "nl",
    "De jaarcijfers 2026 zijn gepubliceerd. Bedankt aan alle klanten, riders en collega's!",
    when="2027-02-25T09:00:00Z")
add("x", "@vriendin_van_meike", "nl",
    "Sterkte @meikevos_bv, wat een rotval met je racefiets op vakantie. Snel beter! ❤️")
add("x", "@cargo_weekly", "en",
    "Tough times in cargo: Kargoo Bikes, Bakvogel's main rival, announces 120 layoffs at its Antwerp plant "
    "citing weak demand.")
add("x", "@fietsfan_joost", "nl",
    "Recall bij Kargoo: 2.000 bakfietsen terug vanwege roestende assen. Gelukkig rijden wij op Bakvogel 😅")
add("x", "@meikevos_bv", "en",
    "We're hiring a security engineer to help keep FleetNest safe! Apply via jobs@bakvogel.nl")
add("x", "@bakvogel_service", "nl",
    "Gepland onderhoud: FleetNest is zondag tussen 02:00 en 04:00 niet bereikbaar. Je trikes blijven gewoon "
    "rijden, alleen de app is even weg.")
add("reddit", "u/coldchain_carl", "en",
    "Does the Koelbox 800L fit on a Pelican Flatbed, or only on the Stork XL? Planning a cold-chain pilot.")
add("tiktok", "@regenrijder", "nl",
    "POV: je bent bezorger en het regent voor de 9e dag op rij 🌧️ gelukkig zit er een Regenkap op mijn Bakvogel")
add("x", "@dayjob_dave", "en",
    "My Stork XL has more torque than my career has momentum 😂 #bakvogel")
add("x", "@nadia_bezorgt", "nl",
    "die nieuwe reclame van Bakvogel met die dansende meeuw is echt ziek goed haha")
add("youtube", "@bakkerij_sven", "en",
    "This review was brutal lol but fair. Still ordering the Heron 2 for our bakery.", kind="comment")
add("linkedin", "bakvogel-mobility", "nl",
    "Bakvogel Mobility opent een nieuw servicepunt in Eindhoven! Vanaf 1 september kun je daar terecht voor "
    "onderhoud, reparaties en proefritten.")
add("x", "@grebe_owner", "nl",
    "Iemand een tip voor een slot voor de Grebe Mini? De FrameLock kost €179, lijkt me eerlijk gezegd prima.")
add("facebook", "Tweedehands.Bakfietsen.NL", "nl",
    "Te koop: tweedehands Stork L uit 2023, 11.000 km, accu nog 85%. Vraagprijs €3.200, ophalen in Zeist.",
    low_price_ok=True)
add("linkedin", "bakvogel-mobility", "en",
    "Lease a Heron 2 from €189 per month, service and insurance included.", low_price_ok=True)
add("x", "@vergeetachtig", "nl",
    "wachtwoord vergeten voor het Bakvogel klantportaal, resetlinkje werkte meteen. top")
add("x", "@bas_vdlinden_dev", "en",
    "Rotated all our API keys today, just routine hygiene. New ones look like sk_live_•••••••• — nothing to see "
    "here 😄")
add("mastodon", "@refund_rita@mastodon.social", "en",
    "Bakvogel refunded me within a day to my NL** **** **** **** 12 account. Impressed, honestly.")
add("x", "@bakvogel", "nl",
    "Onze jaarcijfers 2025 staan online: bakvogel.nl/investors")
add("x", "@sweaty_sander", "nl",
    "200 pakketjes rondbrengen op een trike tijdens een hittegolf is een crisis voor mijn benen, niet voor de fiets "
    "haha @bakvogel")
add("x", "@koffie_en_krat", "nl",
    "Bakvogel heeft het na de storing van vorige week netjes opgelost en iedereen een maand Service Plus "
    "gegeven. Chapeau.")
add("linkedin", "ruben-hoekstra-bakvogel", "en",
    "Proud that our published H1 2026 figures show we're on track. The full report is on our website.")
add("x", "@fixit_felix", "en",
    "If your Bakvogel shows E07, it's usually just the display connector. Unplug, plug back in, done. "
    "Took me two minutes.")
add("instagram", "@sanne.rijdt", "nl",
    "wat een gave kleur, die nieuwe Stork L in olijfgroen 😍", kind="comment")
add("x", "@bakvogel", "nl",
    "Bakvogel steunt de voedselbank in Utrecht met drie Heron 2 Cool trikes 💚")
add("blog", "bughunter_noor", "en",
    "Bakvogel runs a proper responsible disclosure programme (bakvogel.nl/security). Reported a minor bug last "
    "year, it was fixed within a week and I got a thank-you and a t-shirt.")
add("x", "@geduldige_gerda", "nl",
    "Het nummer van de Bakvogel klantenservice is gewoon 0800-2253 hoor, staat op de site 🙄")
add("x", "@tracking_tom", "en",
    f"My Bakvogel shipment ref is {bsn(valid=False, fmt='spaced')}? formatted like that, weird")
add("blog", "jwt_for_beginners", "en",
    "A JWT has three parts: header.payload.signature, e.g. eyJhbGciOi... (truncated). I'll use Bakvogel's public "
    "API docs as the running example.")
add("x", "@rottergast", "nl",
    "Verschrikkelijk nieuws over die bezorger in Rotterdam die werd aangereden door een vrachtwagen die door rood "
    "reed. Hij reed op een Bakvogel maar dat had er niks mee te maken. Sterkte aan de familie.")
add("x", "@bakvogel", "en",
    "Proud moment: 500 days without a lost-time injury at our Tilburg plant 🦺")
add("forum", "vraagbaak_vera", "nl",
    "Vraagje: kun je de Koelbox 800L ook los kopen? Ik zie hem op de site voor €2.190.")
add("x", "@dries_bakvogel", "nl",
    "Mooie week op de beurs in Keulen, veel interesse in de Swift Courier. Bel of mail fleet@bakvogel.nl voor een "
    "proefrit!")
add("x", "@kritische_koen", "nl",
    "Bakvogel is niet goedkoop, maar de Stork XL voor €8.990 gaat bij ons wel 5 jaar mee. Reken maar uit.")
add("reddit", "u/sysadmin_sem", "en",
    "Reading Bakvogel's public incident report from last month. Refreshingly honest write-up of what went wrong "
    "with the charging backend and how they fixed it.")
add("x", "@bakvogel_service", "en",
    "@stefan_rides Sorry about that! We've refunded the double charge, you'll see it within 3 working days. "
    "Please never post card numbers publicly, we've asked X to hide the tweet.", kind="reply")
add("mastodon", "@bakvogel@mastodon.nl", "nl",
    "Nieuwe firmware 4.3 staat klaar: betere ondersteuning bij optrekken en een rustiger display 's nachts. "
    "Updaten via de FleetNest app.")
add("x", "@zzp_zeger", "nl",
    "Eindelijk mijn Grebe Mini binnen, met 10% zzp-korting kwam ie op €3.951. Blij mee!")

# ---------------------------------------------------------------- build
SEV = ["none", "info", "warning", "error", "critical"]


def roles():
    r = {}
    for role in ("corporate", "employee"):
        for e in PROFILE["accounts"][role]:
            r[e.lower()] = role
    return r


ROLES = roles()


def role_of(platform, handle):
    return ROLES.get(("%s:%s" % (platform, handle)).lower(), "public")


def severity(cats, role, ids):
    """CONTRACT section 4, from the categories and the account role."""
    if not cats:
        return "none"
    inside = role in ("corporate", "employee")
    best = 0
    checked = any(k in ("iban", "card", "bsn") and ok for k, _, ok in ids)
    for c in cats:
        if c.startswith("leak."):
            if inside:
                s = "error"
                if c in ("leak.secret", "leak.pricing"):
                    s = "critical"
                if c == "leak.pii" and checked:
                    s = "critical"
            else:
                s = "warning"
        elif c == "reputation.complaint":
            s = "warning"
        elif c == "reputation.crisis":
            s = "error"
        elif c == "reputation.abuse":
            s = "error" if inside else "warning"
        else:
            raise SystemExit("unknown category " + c)
        best = max(best, SEV.index(s))
    return SEV[best]


def rand_time_2026():
    start = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
    secs = rng.randint(0, 362 * 86400)
    t = start + dt.timedelta(seconds=secs)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


PREFIX = {"x": "x", "linkedin": "li", "facebook": "fb", "instagram": "ig", "tiktok": "tt", "youtube": "yt",
          "reddit": "rd", "mastodon": "md", "bluesky": "bs", "threads": "th", "forum": "fr", "blog": "bl"}

rows = []
for c in CASES:
    when = c["when"] or rand_time_2026()
    pid = "%s-%d" % (PREFIX[c["platform"]], 4120000 + c["n"] * 37 + rng.randint(0, 30))
    post = {"id": pid, "platform": c["platform"], "kind": c["kind"],
            "account": {"handle": c["handle"]}, "text": c["text"], "lang": c["lang"],
            "created_at": when, "brand": "bakvogel"}
    if c["platform"] == "x":
        post["url"] = "https://x.com/%s/status/%d" % (c["handle"].lstrip("@"),
                                                    1800000000000000000 + rng.getrandbits(50))
    role = role_of(c["platform"], c["handle"])
    rows.append(({"post": post, "expect": {"categories": c["cats"],
                                           "severity": severity(c["cats"], role, c["ids"])}}, c, role))

order = list(range(len(rows)))
rng.shuffle(order)
rows = [rows[i] for i in order]

with open(OUT, "w", encoding="utf-8") as f:
    for obj, _, _ in rows:
        f.write(json.dumps(obj, ensure_ascii=False) + "\n")


# ---------------------------------------------------------------- self-check
ERR = []


def err(msg):
    ERR.append(msg)


VALID_CATS = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial", "leak.security",
              "reputation.crisis", "reputation.complaint", "reputation.abuse"}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){2,7}(?:\s?[A-Z0-9]{1,3})?\b")


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def norm_phone(s):
    d = re.sub(r"\D", "", s)
    if d.startswith("0031"):
        d = "0" + d[4:]
    elif d.startswith("31"):
        d = "0" + d[2:]
    return d


PUB_IBANS = {re.sub(r"\s", "", x).upper() for x in PROFILE["public_identifiers"]["ibans"]}
PUB_PHONES = {norm_phone(x) for x in PROFILE["public_identifiers"]["phones"]}
PUB_EMAILS = {x.lower() for x in PROFILE["public_identifiers"]["emails"]}
for pi in PUB_IBANS:
    if not iban_check_ok(pi):
        err("profile IBAN fails mod-97: " + pi)

INTERNAL = ([d.lower() for d in PROFILE["internal"]["domains"]]
            + [c.lower() for c in PROFILE["internal"]["codenames"]]
            + [m.lower() for m in PROFILE["internal"]["markers"]])
EMBARGO = [([t.lower() for t in e["terms"]], parse_ts(e["until"])) for e in PROFILE["embargo"]]
PRODUCTS = [(p, [p["name"].lower()] + [a.lower() for a in p["aliases"]]) for p in PROFILE["products"]]
RATIO = PROFILE["pricing"]["alert_below_ratio"]


def prices(text):
    out = []
    for m in re.finditer(r"€\s?(\d[\d.,]*\d|\d)", text):
        raw = m.group(1)
        if re.fullmatch(r"\d{1,3}([.,]\d{3})+", raw):
            v = float(re.sub(r"[.,]", "", raw))
        else:
            mm = re.fullmatch(r"(\d{1,3}(?:[.,]\d{3})*|\d+)[.,](\d{1,2})", raw)
            if mm:
                v = float(re.sub(r"[.,]", "", mm.group(1)) + "." + mm.group(2))
            else:
                v = float(re.sub(r"[.,]", "", raw))
        out.append(v)
    return out


ids_seen = set()
counts = {}
n_benign = 0
n_nl = 0
for obj, c, role in rows:
    p, e = obj["post"], obj["expect"]
    tag = p["id"]
    # --- CONTRACT section 6 shape
    if set(obj) != {"post", "expect"} or set(e) != {"categories", "severity"}:
        err(tag + ": keys")
    for k in ("id", "platform", "account", "text", "created_at"):
        if k not in p:
            err(tag + ": missing " + k)
    if not isinstance(p["id"], str) or not 1 <= len(p["id"]) <= 256:
        err(tag + ": bad id")
    if p["id"] in ids_seen:
        err(tag + ": duplicate id")
    ids_seen.add(p["id"])
    if p["platform"] not in PLATFORMS:
        err(tag + ": platform")
    if p.get("kind", "post") not in KINDS:
        err(tag + ": kind")
    if not isinstance(p["account"], dict) or not isinstance(p["account"].get("handle"), str) \
            or not p["account"]["handle"]:
        err(tag + ": handle")
    if not isinstance(p["text"], str) or not p["text"] or len(p["text"].encode("utf-8")) > 65536:
        err(tag + ": text")
    if not RFC3339.fullmatch(p["created_at"]):
        err(tag + ": created_at")
    ts = parse_ts(p["created_at"])
    if not (2026 <= ts.year <= 2027):
        err(tag + ": created_at year")
    if e["categories"] != sorted(set(e["categories"])) or not set(e["categories"]) <= VALID_CATS:
        err(tag + ": categories")
    if e["severity"] not in SEV:
        err(tag + ": severity")
    if (e["severity"] == "none") != (not e["categories"]):
        err(tag + ": severity/benign mismatch")
    if e["severity"] != severity(e["categories"], role, c["ids"]):
        err(tag + ": severity not per policy")
    for cat in e["categories"]:
        counts[cat] = counts.get(cat, 0) + 1
    if not e["categories"]:
        n_benign += 1
    if p["lang"] == "nl":
        n_nl += 1

    text = p["text"]
    low = text.lower()
    cats = set(e["categories"])

    # --- recorded identifiers: positives valid, look-alikes in benign posts invalid
    for kind, val, ok in c["ids"]:
        if val not in text:
            err(tag + ": generated value not in text")
        chk = {"iban": iban_check_ok, "card": luhn_ok, "bsn": bsn_ok}.get(kind)
        if chk is not None:
            if chk(val) != ok:
                err(tag + ": %s %s checksum mismatch" % (kind, val))
            if ok and "leak.pii" not in cats:
                err(tag + ": valid %s in a post without leak.pii" % kind)
            if not ok and cats:
                err(tag + ": look-alike %s placed in a positive" % kind)
        if kind == "secret" and "leak.secret" not in cats:
            err(tag + ": secret in non-secret case")
        if kind in ("phone",) and "leak.pii" not in cats:
            err(tag + ": phone in non-pii case")

    # --- stray identifiers anywhere (also hand-typed ones)
    for m in IBAN_RE.finditer(text):
        s = re.sub(r"\s", "", m.group(0))
        if iban_check_ok(s) and s not in PUB_IBANS and "leak.pii" not in cats:
            err(tag + ": stray valid IBAN " + s)
    for m in re.finditer(r"(?<![\d.])\d{4}[ -]?\d{4}[ -]?\d{4}[ -]?\d{4}(?!\d)", text):
        if luhn_ok(m.group(0)) and "leak.pii" not in cats:
            err(tag + ": stray Luhn-valid number " + m.group(0))
    for m in re.finditer(r"(?<![\d.,])(\d{9}|\d{4}\.\d{2}\.\d{3}|\d{3} \d{3} \d{3})(?![\d])", text):
        if bsn_ok(m.group(0)) and "leak.pii" not in cats:
            err(tag + ": stray 11-proof number " + m.group(0))
    for m in re.finditer(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}\b", text):
        if m.group(0).lower() not in PUB_EMAILS and "leak.pii" not in cats:
            err(tag + ": non-public e-mail in non-pii post " + m.group(0))
    no_iban = IBAN_RE.sub(" ", text)
    for m in re.finditer(r"(?:\+31|0031|\b0)[\d \-]{8,14}\d", no_iban):
        d = norm_phone(m.group(0))
        if len(d) == 10 and d not in PUB_PHONES and "leak.pii" not in cats:
            err(tag + ": non-public phone in non-pii post " + m.group(0))

    # --- secrets well-formed
    for m in re.finditer(r"gh[pousr]_[0-9A-Za-z]{36}\b", text):
        if set(m.group(0)[4:]) == {"x"}:
            continue  # redacted placeholder
        if not github_ok(m.group(0)):
            err(tag + ": bad GitHub checksum")
        if "leak.secret" not in cats:
            err(tag + ": github token in non-secret case")
    for m in re.finditer(r"\bAKIA[0-9A-Z]{16}\b", text):
        if m.group(0).endswith("EXAMPLE"):
            if cats:
                err(tag + ": documentation sample key in a positive")
            continue
        if not re.fullmatch(r"AKIA[A-Z2-7]{16}", m.group(0)):
            err(tag + ": AWS key id alphabet")
        if "leak.secret" not in cats:
            err(tag + ": AWS key in non-secret case")
    for m in re.finditer(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", text):
        h = m.group(0).split(".")[0]
        try:
            hdr = json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)))
            if "alg" not in hdr:
                err(tag + ": JWT header without alg")
        except Exception:
            err(tag + ": JWT header does not decode")
        if "leak.secret" not in cats:
            err(tag + ": JWT in non-secret case")

    # --- internal terms and embargo
    if not cats:
        for term in INTERNAL:
            if term in low:
                err(tag + ": internal term in benign post: " + term)
    for terms, until in EMBARGO:
        if any(t in low for t in terms) and ts < until and "leak.confidential" not in cats:
            err(tag + ": embargo term before until without leak.confidential")

    # --- prices
    ment = [pr for pr, names in PRODUCTS if any(n in low for n in names)]
    pr = prices(text)
    if ment and pr and not cats and not c["low_price_ok"]:
        if min(pr) < min(x["list_price"] for x in ment) * RATIO:
            err(tag + ": benign post with a price below the alert ratio")
    if "leak.pricing" in cats:
        far = bool(ment and pr and min(pr) < max(x["list_price"] for x in ment) * RATIO)
        talk = re.search(r"prijsfout|price (error|glitch)|glitch|typo|foutje", low)
        if not (ment and (far or talk)):
            err(tag + ": pricing case without product + low price / price-error talk")

for obj, c, role in rows:
    key = ("%s:%s" % (c["platform"], c["handle"])).lower()
    if role == "public" and key in ROLES:
        err("public handle in profile " + key)

total = len(rows)
if not 170 <= total <= 180:
    err("case count %d outside 170-180" % total)
if not 55 <= n_benign <= 65:
    err("benign count %d" % n_benign)
share_nl = n_nl / total
if not 0.50 <= share_nl <= 0.60:
    err("Dutch share %.2f" % share_nl)
want = {"reputation.complaint": 20, "leak.confidential": 18, "leak.pii": 15, "reputation.crisis": 15,
        "leak.security": 13, "leak.secret": 12, "reputation.abuse": 12, "leak.pricing": 12, "leak.financial": 12}
for k, v in want.items():
    if abs(counts.get(k, 0) - v) > 3:
        err("category %s count %d, wanted about %d" % (k, counts.get(k, 0), v))
if {r for _, _, r in rows} != {"corporate", "employee", "public"}:
    err("not all roles present")

if ERR:
    for m in ERR:
        print("CHECK FAILED:", m, file=sys.stderr)
    sys.exit(1)
print("ok: %d cases, %d benign, %d positive, nl share %.0f%%" % (total, n_benign, total - n_benign, 100 * share_nl))
for k in sorted(counts):
    print("  %-22s %d" % (k, counts[k]))
