#!/usr/bin/env python3
"""Build the labelled evaluation set sealed509 (Kalvoro Klimaat B.V., smart thermostat
subscriptions) and self-check it.

Deterministic: fixed seed, standard library + PyYAML. Writes cases.jsonl beside itself.
Severities are computed from CONTRACT section 4 and the account role in profile.yaml;
they are never typed by hand.
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
rng = random.Random(509_2026)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# ---------------------------------------------------------------- checksums

def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(bank, acct, cc="NL"):
    r = bank + acct + cc + "00"
    n = int("".join(str(int(c, 36)) for c in r))
    return f"{cc}{98 - n % 97:02d}{bank}{acct}"


def luhn_ok(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    if len(d) < 12:
        return False
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def make_card(prefix, length=16):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for c in string.digits:
        if luhn_ok(body + c):
            return body + c
    raise RuntimeError("no luhn digit")


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9:
        return False
    tot = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return tot % 11 == 0 and s != "000000000"


def make_bsn():
    while True:
        head = str(rng.randint(1, 9)) + "".join(rng.choice(string.digits) for _ in range(7))
        tot = sum(int(head[i]) * (9 - i) for i in range(8))
        last = tot % 11
        if last <= 9:
            return head + str(last)


def break_digit(valid, check):
    """Change the last digit so the checksum fails."""
    base = valid[:-1]
    for c in "7315948260":
        cand = base + c
        if cand != valid and not check(cand):
            return cand
    raise RuntimeError("cannot break")


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def rand_digits(n):
    return "".join(rng.choice(string.digits) for _ in range(n))

# ---------------------------------------------------------------- credentials

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base62 order 0-9A-Za-z
B64URL = string.ascii_letters + string.digits + "-_"


def rs(n, alphabet=string.ascii_letters + string.digits):
    return "".join(rng.choice(alphabet) for _ in range(n))


def base62(n, width=6):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out.rjust(width, "0")


def gh_token(prefix="ghp_"):
    body = rs(30, ALNUM)
    return prefix + body + base62(zlib.crc32(body.encode()))


def gh_token_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and base62(zlib.crc32(m.group(1).encode())) == m.group(2)


def aws_key_id():
    return "AKIA" + rs(16, string.ascii_uppercase + "234567")


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt(payload):
    h = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    p = b64u(json.dumps(payload, separators=(",", ":")).encode())
    s = b64u(bytes(rng.getrandbits(8) for _ in range(32)))
    return f"{h}.{p}.{s}"


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    pad = "=" * (-len(parts[0]) % 4)
    try:
        hdr = json.loads(base64.urlsafe_b64decode(parts[0] + pad))
    except Exception:
        return False
    return "alg" in hdr


def openssh_key():
    raw = b"openssh-key-v1\x00" + bytes(rng.getrandbits(8) for _ in range(380))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


GHP1 = gh_token("ghp_")
AWS_ID = aws_key_id()
AWS_SECRET = rs(40, string.ascii_letters + string.digits + "/+")
SLACK = f"xoxb-{rand_digits(12)}-{rand_digits(13)}-{rs(24)}"
STRIPE = "sk_live_51" + rs(22) + rs(40)
JWT1 = make_jwt({"sub": "installer-2231", "role": "admin", "iss": "auth.kalvoro.nl",
                 "iat": 1767225600, "exp": 1798761600})
DB_PW = rs(14, string.ascii_letters + string.digits + "!_")
DB_URL = f"postgres://kv_app:{DB_PW}@10.20.4.15:5432/thermo"
OPENAI = "sk-proj-" + rs(74, B64URL) + "T3BlbkFJ" + rs(74, B64URL)
SHARED_PW = "Kalv0ro!Winter26"
SSH_KEY = openssh_key()
GOOGLE = "AIza" + rs(35, B64URL)
GITLAB = "glpat-" + rs(20, B64URL)
ANTHROPIC = "sk-ant-api03-" + rs(93, B64URL) + "AA"
GHO2 = gh_token("gho_")

# ---------------------------------------------------------------- personal data

IBAN_A = make_iban("INGB", "0" + rand_digits(9))
IBAN_B = make_iban("ABNA", rand_digits(10))
IBAN_C = make_iban("TRIO", "0" + rand_digits(9))
CARD_A = make_card("4" + rand_digits(5))
CARD_B = make_card("52" + rand_digits(4))
BSN_A = make_bsn()
BSN_B = make_bsn()

# look-alikes for negatives (fail their checksum)
BAD_IBAN = break_digit(make_iban("RABO", rand_digits(10)), iban_ok)
BAD_CARD = break_digit(make_card("4" + rand_digits(5)), luhn_ok)
BAD_BSN = break_digit(make_bsn(), bsn_ok)
COMPANY_IBAN = PROFILE["public_identifiers"]["ibans"][0]

# ---------------------------------------------------------------- cases

CASES = []


def C(platform, handle, text, cats=(), lang=None, kind="post", at=None, ids=(), bad=()):
    CASES.append(dict(platform=platform, handle=handle, text=text, cats=sorted(set(cats)),
                      lang=lang, kind=kind, at=at, ids=list(ids), bad=list(bad)))


CMP = "reputation.complaint"
CRI = "reputation.crisis"
ABU = "reputation.abuse"
SEC = "leak.secret"
PII = "leak.pii"
PRI = "leak.pricing"
CON = "leak.confidential"
FIN = "leak.financial"
SCY = "leak.security"

# ---- complaints ---------------------------------------------------------------
C("x", "@femkeheeftkoud",
  "Derde keer deze maand dat de Dial 3 's nachts gewoon uitvalt. Word ik om 5u wakker in een huis "
  "van 14 graden. @kalvoro_hulp kunnen jullie ff bellen ipv weer een standaard mailtje?? #koud",
  [CMP], "nl")
C("reddit", "u/draughty_cottage",
  "Kalvoro's app has been logging me out every other day since the last update and the schedule I "
  "spent an hour building is just... gone. Paying €119 a year for Premium for this? Anyone else?",
  [CMP], "en")
C("facebook", "Henk.Veldkamp.73",
  "Sinds september betaal ik het Warmte Premium abonnement maar de 'slimme stookadviezen' zijn er nog "
  "steeds niet. Klantenservice belooft al 6 weken een terugbelactie. Niet netjes Kalvoro.",
  [CMP], "nl")
C("x", "@tomasz_in_delft",
  "@kalvoro_hulp ticket #88213 open for 19 days now. Radiator valves (Flowkop) keep clicking open at "
  "3am. You said a firmware fix was 'coming soon'. In October.",
  [CMP], "en", kind="reply")
C("x", "@marloes_bakt",
  "die kalvoro installateur zou tussen 8 en 12 komen. is nu 15:40. geen bericht niks. dag vrij "
  "genomen voor niks 🙃",
  [CMP], "nl")
C("forum", "gaskraan_dicht",
  "Abonnement opgezegd per 1 maart, en toch in april en mei weer €9,99 afgeschreven. Twee mails "
  "gestuurd naar de klantenservice, nul reactie. Hoe krijg ik mijn geld terug bij Kalvoro? Ik overweeg "
  "een klacht bij de Geschillencommissie.",
  [CMP], "nl")
C("threads", "@sunnyside.sam",
  "the kalvoro thermostat decided 'eco mode' means my toddler's room at 15°C. couldn't override it "
  "from the app bc servers were 'busy'. cool cool cool",
  [CMP], "en")
C("instagram", "@jeroen.klust",
  "Meterlink dongle na 2 maanden dood. Vervanging aangevraagd en nu moet ik zelf de verzendkosten "
  "betalen?! Voor iets wat gewoon binnen de garantie valt. Kom op Kalvoro 👎",
  [CMP], "nl")
C("linkedin", "hannah-okafor-pm",
  "Mildly frustrating customer experience with Kalvoro: the Heatpump Link has refused to talk to our "
  "heat pump since the November update, and support's answer is to 'factory reset and wait'. Three "
  "resets later, still nothing. For a subscription product I honestly expected better.",
  [CMP], "en")
C("tiktok", "@dewarmtejuf",
  "pov: je kalvoro zegt 'verwarming aan' en de radiatoren blijven ijskoud 🥶🥶 en de chat zegt "
  "'wij zien geen storing' #kalvoro #klantenservice #nietnormaal",
  [CMP], "nl")
C("x", "@ruud_zeist",
  "@kalvoro Mooi hoor die reclame, maar mijn Roomsense sensoren verliezen elke week de verbinding met "
  "de Bridge. Batterijen al 2x vervangen. Liever een oplossing dan nog een advertentie.",
  [CMP], "nl", kind="reply")
C("bluesky", "@mira.codes",
  "Auto-renewed my Kalvoro Zorgeloos contract at €179 without a single reminder email. Pretty sure "
  "that's not even allowed in NL anymore? Trying to cancel and the cancel button just loops back to "
  "the account page.",
  [CMP], "en")
# complaint + abuse
C("x", "@boos_in_breda",
  "Kalvoro is echt een kutbedrijf. 3 weken geen fatsoenlijke verwarming door jullie 'update' en dan "
  "nog durven vragen of ik jullie service een 8 geef. Stelletje oplichters.",
  [CMP, ABU], "nl")
C("x", "@grumpy_gareth",
  "to whoever runs @kalvoro_hulp: you are useless pricks. my heating has been off for 4 days and your "
  "bot keeps telling me to 'try restarting'.",
  [CMP, ABU], "en")
# complaint + crisis (first-hand safety incidents)
C("facebook", "Sandra.Koster.Ede",
  "Gisteravond kwam er rook uit de Kalvoro Bridge in de meterkast, de stekker was gesmolten en het "
  "ding was gloeiend heet. Gelukkig waren we thuis. Ik wil dat Kalvoro dit komt ophalen en uitleg "
  "geeft, dit is levensgevaarlijk.",
  [CMP, CRI], "nl")
C("reddit", "u/oldhouse_nerd",
  "PSA: my Kalvoro Boilerguard kept the boiler firing while the flue sensor was reporting an error, "
  "and our CO alarm went off at 2am. Kids and I stood outside in pyjamas until the fire brigade "
  "cleared the house. Kalvoro support says they 'can't reproduce'. Unreal.",
  [CMP, CRI], "en")
C("x", "@lieke_vgr",
  "Flinke schok gehad van de Dial Pro toen ik hem van de muur haalde om de batterijen te checken. "
  "Elektricien zegt dat JULLIE monteur de bedrading verkeerd heeft aangesloten. @kalvoro_hulp hoe "
  "gaan we dit oplossen?",
  [CMP, CRI], "nl")
C("instagram", "@theo.builds",
  "Our Kalvoro Floorzone controller got stuck on max for a whole night. The floor in the nursery was "
  "so hot our baby has a red burn mark on her foot. Dear @kalvoro.nl, this is not a 'comfort issue'.",
  [CMP, CRI], "en")
C("forum", "oma_ria_57",
  "Mijn man is vannacht onwel geworden, het was 31 graden in huis omdat de thermostaat van Kalvoro op "
  "hol sloeg en niet meer uit te zetten was. Hij ligt nu ter observatie in het ziekenhuis. Ik ben zo "
  "ontzettend boos.",
  [CMP, CRI], "nl")
# complaint + pii (customer exposes own phone number)
C("x", "@jan_pieter_z",
  "@kalvoro_hulp al 4 keer gebeld, niemand belt terug. Bel me nou gewoon: 06-41 27 83 95. Jullie "
  "monteur heeft mijn Flowset verkeerd geïnstalleerd en 2 kamers blijven koud.",
  [CMP, PII], "nl", kind="reply")

# ---- crisis (third party / boycott / lawsuit / recall) -------------------------
C("x", "@nltechwatch",
  "Reports piling up of Kalvoro Bridge hubs overheating in meter cupboards: at least three owners in "
  "Gelderland posted photos of melted plugs this week. Kalvoro has not commented yet.",
  [CRI], "en")
C("x", "@consumentalert_nl",
  "Oproep: BOYCOT Kalvoro. Ze verkopen je stookgedrag door aan energieleveranciers zonder "
  "toestemming. Zeg je abonnement op en deel dit! #boycotkalvoro",
  [CRI], "nl")
C("reddit", "u/privacy_first_eu",
  "Kalvoro data breach? Someone on a forum is selling what looks like a dump of Kalvoro customer "
  "accounts: names, addresses, home/away schedules. If real, burglars basically get a calendar of "
  "when your house is empty.",
  [CRI], "en")
C("blog", "thermostaatwaakhond",
  "Nieuws: een consumentenorganisatie begint een rechtszaak tegen Kalvoro over de "
  "abonnementsvoorwaarden. Volgens de dagvaarding werkt de thermostaat na opzeggen van het "
  "abonnement vrijwel niet meer.",
  [CRI], "nl")
C("x", "@heatingpro_uk",
  "Heard from a colleague: a Kalvoro Airtrace CO detector failed to alarm in a rental in Zwolle, "
  "tenant ended up in hospital with CO poisoning. Check your units, people.",
  [CRI], "en")
C("x", "@regio_nieuws_amf",
  "Brand in woning Amersfoort mogelijk veroorzaakt door slimme thermostaat. Brandweer onderzoekt een "
  "apparaat van Kalvoro in de meterkast. Bewoners ongedeerd.",
  [CRI], "nl")
C("linkedin", "claire-bouwman-legal",
  "Interesting development: the ACM has opened an investigation into Kalvoro's auto-renewal "
  "practices. Collective action on behalf of subscribers seems only a matter of time.",
  [CRI], "en")
C("tiktok", "@klimaatkees",
  "kalvoro terugroepactie?? mijn buurman kreeg een brief dat zijn Flowkop radiatorknoppen kunnen "
  "gaan lekken. waarom staat dit nergens op hun site 🤔",
  [CRI], "nl")
C("x", "@thermo_truther",
  "Everyone cancel Kalvoro NOW. They remotely switched off heating for customers who were 2 days "
  "late paying. In January. Pensioners with no heat. #BoycottKalvoro",
  [CRI], "en")
C("x", "@nieuwsbriefwonen",
  "Schandaal bij Kalvoro: medewerkers konden live meekijken of klanten thuis of weg waren, blijkt "
  "uit uitgelekte chatlogs. Kalvoro zegt het 'te onderzoeken'.",
  [CRI], "nl")

# ---- abuse ----------------------------------------------------------------------
C("x", "@stookgek",
  "die Merel van Kalvoro op tv is echt een dom wijf, snapt zelf niet eens hoe een cv-ketel werkt",
  [ABU], "nl")
C("x", "@b4ssline",
  "kalvoro staff are a bunch of fucking clowns lmao, every single one of them",
  [ABU], "en")
C("x", "@koudeklaas",  # leetspeak
  "K4lv0r0 is een k4nk3rb3dr1jf en dat weten jullie zelf ook heel goed",
  [ABU], "nl")
C("x", "@n0heat4u",  # Cyrillic look-alikes in the insult
  "Kalvoro's support team are complete \u0456d\u0456\u043ets, all of them",
  [ABU], "en")
C("x", "@klaagbaak_77",  # letters split by spaces
  "Kalvoro k u t  s e r v i c e, jullie zijn een stelletje t y f u s l i j e r s",
  [ABU], "nl")
C("x", "@bas_kalvoro",
  "@ruudje_64 man hou toch je bek, als je niet eens een batterij kan vervangen ligt het echt niet aan ons 🙄",
  [ABU], "nl", kind="reply")
C("instagram", "@kalvoro.nl",
  "@dennis_klaagt wat ben jij een zielig mannetje zeg. Ga lekker ergens anders zeuren.",
  [ABU], "nl", kind="comment")
C("x", "@proud_patriot_88",
  "Of course Kalvoro's call centre is full of foreigners who can't even speak proper Dutch. Send the "
  "lot of them back where they came from.",
  [ABU], "en")
C("x", "@wraak_engel",
  "@merelvdlinden ik weet waar je woont trut, kijk maar goed uit als je straks naar huis fietst",
  [ABU], "nl", kind="reply")
C("reddit", "u/ragequit_rob",
  "Kalvoro's CEO is a greedy piece of shit and I hope his own heating dies in January",
  [ABU], "en")

# ---- confidential -----------------------------------------------------------------
C("x", "@merelvdlinden",
  "Eindelijk mag ik vertellen dat ik aan Project Noorderlicht werk 🤩 ok nee, dat mag ik nog helemaal "
  "niet zeggen, vergeet dit",
  [CON], "nl")
C("linkedin", "joost-kuipers-kalvoro",
  "Proud of the team shipping the first Sintelvlam prototypes to our pilot homes this week. Hybrid "
  "heat pump control has never been this smooth. #engineering #heatpumps",
  [CON], "en")
C("x", "@bas_kalvoro",
  "wie heeft er toegang tot https://jira.kalvoro.nl/browse/OPS-4471 ? ik krijg steeds een 403",
  [CON], "nl")
C("x", "@kalvoro",
  "Teaser 👀 De Kalvoro Dial 4 komt eraan, met e-ink scherm en een ingebouwde Roomsense. Stay tuned!",
  [CON], "nl", at="2026-11-20T10:15:00Z")
C("linkedin", "anouk-de-graaf",
  "Throwback to our strategy offsite 🙌 (slide title visible in the photo: 'KALVORO CONFIDENTIAL – "
  "roadmap 2027: Dial 4 launch Q1, Premium-abo naar €139')",
  [CON], "en", at="2026-10-05T16:40:00Z")
C("reddit", "u/leakhunter_nl",
  "Got this from a friend at Kalvoro: 'Operatie Dooi' is their plan to make the free tier stop "
  "working on older thermostats. The doc literally says niet extern delen on every page.",
  [CON], "en")
C("x", "@lotte_hvac",
  "debugging de nieuwe OpenTherm firmware op staging, dashboard op "
  "https://grafana.kalvoro.net/d/ot-fleet/latency … iemand een idee waarom de latency zo hoog is?",
  [CON], "nl")
C("instagram", "@yara.installs",  # full-width letters
  "vandaag een sneak peek gekregen van \uff53\uff49\uff4e\uff54\uff45\uff4c\uff56\uff4c\uff41\uff4d 🔥🔥 "
  "kan niet wachten tot jullie dit zien",
  [CON], "nl")
C("bluesky", "@dennis-kalvoro.bsky.social",  # zero-width character inside the codename
  "Project Noor\u200bderlicht demo ging vandaag perfect, champagne 🍾",
  [CON], "nl")
C("linkedin", "kalvoro",
  "We're hiring! Join the team behind Project Noorderlicht and help us build the next generation of "
  "heat pump control. Apply via werkenbij@kalvoro.nl",
  [CON], "en")
C("linkedin", "ravi-ramsaran",
  "Got a mail from management today with 'kalvoro intern' in the subject line. Can't share the "
  "details, but wow, big changes coming to the installer programme.",
  [CON], "en")
C("x", "@lotte_hvac",
  "if anyone at work needs the new VPN profile it's on vpn.kalvoro.nl/profiles, just use your AD login",
  [CON], "en")
C("x", "@insider_tips_nl",
  "Hoor van een installateur dat Kalvoro in maart de Dial 4 lanceert met ingebouwde "
  "warmtepompsturing. NDA-spul dus zeg niet dat je het van mij hebt 🤫",
  [CON], "nl", at="2026-12-02T19:05:00Z")
C("reddit", "u/thermo_tijmen",
  "Can't say much (NDA) but the unreleased controller we're testing internally, Sintelvlam, handles "
  "hybrid setups way better than the current Heatpump Link.",
  [CON], "en")
# confidential + financial
C("linkedin", "joost-kuipers-kalvoro",
  "Reading the all-hands deck (KALVORO CONFIDENTIAL) and my heart sinks: Operatie Dooi means closing "
  "the Eindhoven support centre, about 40 FTE, to be announced to staff in March.",
  [CON, FIN], "en")
C("x", "@merelvdlinden",
  "jaarcijfers 2026 zijn net binnen en wauw, omzet +38% 🥂 mag nog niks zeggen maar wat een jaar",
  [CON, FIN], "nl", at="2027-02-10T21:12:00Z")
# confidential + pricing
C("x", "@bas_kalvoro",
  "lol iemand heeft op de site de Dial Pro op €32,90 gezet ipv €329. zie "
  "jira.kalvoro.nl/browse/WEB-2210 voor de brand 🔥",
  [CON, PRI], "nl")
# confidential + security
C("x", "@lotte_hvac",
  "de staging login van https://gitlab.kalvoro.internal heeft vannacht open gestaan voor heel het "
  "internet, we zoeken nog uit of er iemand in is geweest. niet verder vertellen pls",
  [CON, SCY], "nl")

# ---- financial --------------------------------------------------------------------
C("linkedin", "anouk-de-graaf",
  "Heard in the board meeting today that we are in final talks to be acquired by a large German energy "
  "company. Exciting times at Kalvoro!",
  [FIN], "en")
C("x", "@bas_kalvoro",
  "Q3 gaat echt slecht, we halen de forecast bij lange na niet, zeg maar -20% op nieuwe abonnementen. "
  "Wordt vast weer een reorganisatie",
  [FIN], "nl")
C("x", "@lotte_hvac",
  "gehoord dat er na de kerst 60 man uit moet bij kalvoro, vooral klantenservice. nog niet officieel 😞",
  [FIN], "nl")
C("x", "@beursbengel",
  "Tip van binnenuit: Kalvoro neemt volgende maand Stoomkracht Energie over, de deal is rond. Nog niet "
  "aangekondigd, doe er je voordeel mee.",
  [FIN], "nl")
C("linkedin", "ravi-ramsaran",
  "Our CFO told us internally that Kalvoro will miss the 2026 revenue target by roughly €6M and that "
  "the Series C is postponed. Heads up, team, we'll get through this.",
  [FIN], "en")
C("facebook", "KalvoroNL",
  "[CONCEPT, pas posten na het persbericht] Kalvoro sluit het jaar af met een omzet van €48,2 miljoen "
  "en voor het eerst winst: 2,9 miljoen euro. Dank aan al onze abonnees! 🎉",
  [FIN], "nl")
C("reddit", "u/thermo_tijmen",
  "throwaway-ish: management is shopping the company around, two PE firms did due diligence last "
  "month. If you hold shares through the employee plan, don't sell yet.",
  [FIN], "en")
C("x", "@merelvdlinden",
  "Sneak peek: the board approved a reorg, the installer division gets spun off into a separate BV "
  "per 1 July. Not public yet!",
  [FIN], "en")
C("reddit", "u/quietquant",
  "Friend who works at Kalvoro says subscriber numbers are way below forecast, like 30% churn after the "
  "price hike. Results only come out next month. Just saying.",
  [FIN], "en")
C("instagram", "@yara.installs",
  "Laatste weken met de installateursploeg 😢 het hele team Noord wordt wegbezuinigd, maar dat mogen "
  "we nog niet delen dus sst",
  [FIN], "nl")

# ---- security -------------------------------------------------------------------------
C("bluesky", "@dennis-kalvoro.bsky.social",
  "Fun night: our MQTT broker was leaking device telemetry to anyone who knew the topic name. Patched "
  "at 4am, comms hasn't decided yet if we're telling customers.",
  [SCY], "en")
C("linkedin", "joost-kuipers-kalvoro",
  "Lesson learned this week: we found an auth bypass in our thermostat pairing API that let you "
  "control any Kalvoro device by guessing the serial number. Fix rolls out Monday, not disclosed yet.",
  [SCY], "en")
C("x", "@lotte_hvac",
  "sorry iedereen met koude voeten, de app-backend ligt er al 3 uur uit door ransomware op een van de "
  "servers. officieel heet het 'gepland onderhoud' 🙈",
  [SCY], "nl")
C("x", "@bas_kalvoro",
  "We hebben een datalek, ongeveer 12k klantrecords met adressen zijn gedownload. Juridisch zegt: "
  "niks naar buiten tot de melding bij de AP rond is.",
  [SCY, CRI], "nl")
C("linkedin", "ravi-ramsaran",
  "Spent the whole weekend on incident response: someone got into a Kalvoro installer portal account "
  "and pulled customer addresses. Can't say more until we've notified the regulator.",
  [SCY], "en")
C("x", "@whitehat_wim",
  "Reported a vuln to Kalvoro 90 days ago: the Bridge hub exposes an unauthenticated telnet port on the "
  "LAN. Still unpatched, no reply. Publishing full details next week.",
  [SCY], "en")
C("x", "@merelvdlinden",
  "storing bij ons: alle Dial 3's in regio Utrecht hebben geen verbinding, root cause is een verlopen "
  "certificaat. nog geen statusupdate, we zeggen voorlopig niks",
  [SCY], "nl")
C("reddit", "u/thermo_tijmen",
  "For those in the know: firmware 3.4.1 has a bug where a crafted OpenTherm frame crashes the Dial and "
  "leaves the boiler burning. Security team is sitting on it until 3.4.2.",
  [SCY], "en")
C("x", "@kalvoro_hulp",
  "@femkeheeftkoud Excuses! Intern kijken we naar een grote storing bij onze cloudprovider, dat hebben "
  "we nog niet naar buiten gebracht, maar het ligt dus niet aan uw Dial.",
  [SCY], "nl", kind="reply")
C("instagram", "@yara.installs",
  "kantoor vandaag dicht, al onze laptops zijn ingenomen na een phishing-incident 😬 niet verder "
  "vertellen hè",
  [SCY], "nl")
# security + secret
C("x", "@bas_kalvoro",
  f"wie heeft die AWS key in de publieke repo gezet?? {AWS_ID} / {AWS_SECRET} staat al 2 dagen open, "
  "we roteren nu",
  [SCY, SEC], "nl")
C("linkedin", "ravi-ramsaran",
  f"Found our Slack bot token hardcoded in the public status widget JS: {SLACK} and the logs say "
  "someone already used it. Fix in progress, please keep this quiet.",
  [SCY, SEC], "en")

# ---- secrets ----------------------------------------------------------------------------
C("x", "@lotte_hvac",
  f"kan iemand checken waarom dit niet werkt? curl -H 'Authorization: token {GHP1}' "
  "https://api.github.com/repos/kalvoro/fw-dial",
  [SEC], "nl")
C("reddit", "u/thermo_tijmen",
  f"Why is my webhook handler failing signature checks?\n\n    import stripe\n    stripe.api_key = \"{STRIPE}\"\n"
  "    event = stripe.Webhook.construct_event(payload, sig, secret)",
  [SEC], "en")
C("bluesky", "@dennis-kalvoro.bsky.social",
  f"test even deze JWT, hij geeft 401 op de installateurs-API: {JWT1}",
  [SEC], "nl")
C("linkedin", "joost-kuipers-kalvoro",
  f"Staging DB finally migrated 🎉 connection string for the team: {DB_URL}",
  [SEC], "en")
C("x", "@devnoob2026",
  f"my Kalvoro + ChatGPT heating bot works!! config for anyone who wants to copy:\nOPENAI_API_KEY={OPENAI}",
  [SEC], "en")
C("x", "@merelvdlinden",
  f"wachtwoord van het gedeelde social-account is nu {SHARED_PW} — niet weer vergeten jongens",
  [SEC], "nl")
C("linkedin", "ravi-ramsaran",
  f"Anyone know why ssh keeps rejecting this key on the build box?\n{SSH_KEY}",
  [SEC], "en")
C("x", "@kalvoro_hulp",
  f"@installatiebedrijf_vos hierbij de API-key voor het installateursportaal: {GOOGLE} (graag niet delen)",
  [SEC], "nl", kind="reply")
C("x", "@bas_kalvoro",
  f"CI faalt steeds op de deploy stap, token is {GITLAB} , kan iemand kijken of die nog scopes heeft?",
  [SEC], "nl")
C("reddit", "u/homeassist_hacker",
  f"Pulled this out of the Kalvoro Android APK, it's their Anthropic key lol: {ANTHROPIC}",
  [SEC], "en")

# ---- pricing ------------------------------------------------------------------------------
C("x", "@dealjager_nl",
  "PRIJSFOUT?! Kalvoro Dial Pro voor €39 op kalvoro.nl 😱 snel zijn!",
  [PRI], "nl")
C("reddit", "u/pepper_deals",
  "Kalvoro Starter Kit listed at €34.90 on their webshop right now, normally €349. Pricing error "
  "surely, ordered two anyway lol",
  [PRI], "en")
C("x", "@lotte_hvac",
  "psst vrienden: het Warmte Premium jaarabonnement staat door een bug op €11,90 ipv €119. wie snel is...",
  [PRI], "nl")
C("instagram", "@kalvoro.nl",
  "BLACK FRIDAY 🔥 Flowset 4 nu voor maar €23,90! Alle kamers slim warm, op = op.",
  [PRI], "nl")
C("facebook", "Gerrit.Nijland",
  "Heeft iemand anders ook de Heatpump Link voor 17,90 in de app zien staan? Normaal 179 euro. Lijkt "
  "me een prijsfout van Kalvoro",
  [PRI], "nl")
C("linkedin", "anouk-de-graaf",
  "Fun Friday: our pricing feed pushed the Floorzone at €18.90 for 40 minutes. Over 300 orders before "
  "we caught it 😅",
  [PRI], "en")
C("x", "@koopjes_kim",
  "Kalvoro Boilerguard for €9.99 in the outlet section?? gotta be a glitch but it's in my basket rn",
  [PRI], "en")
C("x", "@kalvoro_hulp",
  "@pepper_deals Klopt, de prijs van €34,90 voor het Starterpakket was een prijsfout. We annuleren "
  "deze bestellingen en storten het bedrag terug.",
  [PRI], "nl", kind="reply")
C("tiktok", "@budgetbas",
  "Airtrace CO-melder voor €4,50 in de kalvoro app 😂 normaal 45 euro. screenshot gemaakt hoor",
  [PRI], "nl")
C("bluesky", "@dennis-kalvoro.bsky.social",
  "someone fat-fingered the Zorgeloos contract in the CMS, it's showing €17.90/yr instead of €179. "
  "fixing it, but it's been live since 8am",
  [PRI], "en")
C("x", "@thermostaatfan",
  "Dial 3 voor 22,90 bij Kalvoro?? Is dit echt?? Normaal 229",
  [PRI], "nl")

# ---- personal data ------------------------------------------------------------------------------
C("x", "@bas_kalvoro",
  f"@henk_w we hebben uw terugbetaling klaargezet naar {group4(IBAN_A)} t.n.v. H. Wolters, duurt 3 werkdagen",
  [PII], "nl", kind="reply", ids=[("iban", IBAN_A)])
C("x", "@kalvoro_hulp",
  "@sanne_kookt Uw monteur komt dinsdag naar Sanne de Boer, Kerkstraat 18, 3512 AB Utrecht. Klopt dit "
  "adres nog?",
  [PII], "nl", kind="reply")
C("linkedin", "ravi-ramsaran",
  f"Funniest ticket this week: a customer paid with card {group4(CARD_A)} and then asked us why the "
  "thermostat doesn't accept Bitcoin.",
  [PII], "en", ids=[("card", CARD_A)])
C("x", "@kees_karel",
  f"@kalvoro_hulp mijn BSN is {BSN_A} en mijn klantnummer KV-88412, waarom vragen jullie dat eigenlijk "
  "voor een thermostaat?",
  [PII], "nl", kind="reply", ids=[("bsn", BSN_A)])
C("facebook", "KalvoroNL",
  "Beste Marieke, we hebben uw gegevens gevonden: marieke.jansen1984@gmail.com, geboren 14-03-1984. "
  "We nemen vandaag nog contact met u op.",
  [PII], "nl", kind="comment")
C("x", "@merelvdlinden",
  "Wie kent deze klant? Lisa Verbeek, 06 18 42 93 57, belt al 5x per dag over haar Roomsense 😂",
  [PII], "nl")
C("instagram", "@yara.installs",
  "Vandaag geïnstalleerd bij de familie Hoekstra, Dorpsweg 112, 7431 BK Diepenveen. Wat een prachtig "
  "huis!! 🏡 #kalvoro #installatie",
  [PII], "nl")
C("reddit", "u/cranky_tenant",
  "My landlord set up the Kalvoro account in his name and won't give me access. His details, since he "
  "ignores me: Pieter van Aalst, p.vanaalst@outlook.com, +31 6 2284 1760",
  [PII], "en")
C("linkedin", "anouk-de-graaf",
  f"Payroll hiccup again: my salary account {IBAN_B} still hasn't received the October bonus. HR please 🙏",
  [PII], "en", ids=[("iban", IBAN_B)])
C("x", "@kalvoro_hulp",
  f"@r_dijkstra We zien dat de betaling met kaart {CARD_B} is mislukt. Wilt u het nog eens proberen?",
  [PII], "nl", kind="reply", ids=[("card", CARD_B)])
C("facebook", "Annemiek.Brouwer.5",
  f"Help! ik heb per ongeluk mijn rekeningnummer {group4(IBAN_C)} in het Kalvoro-formulier bij "
  "'opmerkingen' gezet en nu staat het in mijn openbare review?",
  [PII], "nl", ids=[("iban", IBAN_C)])
C("x", "@lotte_hvac",
  f"customer called to cancel and gave me her BSN {BSN_B[:4]}.{BSN_B[4:6]}.{BSN_B[6:]} 'for verification' "
  "🤦 people, we never need that",
  [PII], "en", ids=[("bsn", BSN_B)])
C("x", "@buurtapp_ede",
  "Pakket van Kalvoro voor T. El Idrissi, Molenweg 7b, 6711 NL Ede bij ons bezorgd. Iemand die haar "
  "kent? Of bel me: 0318 64 21 09",
  [PII], "nl")
C("bluesky", "@dennis-kalvoro.bsky.social",
  "note to self: don't paste customer exports in the wrong window. "
  "'j.smit@ziggo.nl;Jan Smit;1967-05-22;Lindelaan 3 Zeist'",
  [PII], "en")

# ---- benign (hard negatives mostly) --------------------------------------------------------------
C("x", "@gasverbruik_gert",
  "Two winters with the Kalvoro Dial 3 and our gas use is down a solid 18%. Best thing we bought for "
  "the house tbh 🔥",
  [], "en")
C("reddit", "u/smarthome_sophie",
  "Does the Kalvoro Roomsense work with Home Assistant directly, or do I need the Bridge hub? Thinking "
  "of getting three for the bedrooms.",
  [], "en")
C("x", "@kalvoro",
  "Winteractie ❄️ Kalvoro Dial 3 nu €189 i.p.v. €229, alleen deze week op kalvoro.nl",
  [], "nl")
C("threads", "@kalvoro.nl",
  "Cyber Monday: 25% off the Flowset 4, now €179.25. Offer ends Sunday at midnight.",
  [], "en")
C("x", "@nieuwbouw_noor",
  "Net de Dial Pro besteld voor 329 euro. Installatie plannen we zelf, benieuwd hoe dat gaat!",
  [], "nl")
C("facebook", "KalvoroNL",
  "Vragen over je abonnement? Bel 0800-5258 of mail klantenservice@kalvoro.nl, we zitten voor je klaar "
  "van 8 tot 20 uur.",
  [], "nl")
C("facebook", "KalvoroNL",
  f"Betaal je liever per overboeking? Gebruik {group4(COMPANY_IBAN)} t.n.v. Kalvoro Klimaat B.V. en "
  "vermeld je klantnummer.",
  [], "nl")
C("x", "@oplettende_opa",
  f"Kreeg een sms 'uw Kalvoro abonnement verloopt, maak €4,95 over naar {BAD_IBAN}'. Dat nummer klopt "
  "niet eens, lijkt me gewoon phishing. Niet op ingaan mensen.",
  [], "nl", bad=[("iban", BAD_IBAN)])
C("x", "@typo_tessa",
  f"why does the Kalvoro checkout keep rejecting {group4(BAD_CARD)}? ...oh wait, I swapped a digit "
  "😅 all good now",
  [], "en", bad=[("card", BAD_CARD)])
C("forum", "stille_stoker",
  f"Het aanmeldformulier vroeg om 'klantnummer', ik had per ongeluk {BAD_BSN} ingevuld (oude "
  "pasnummer van de sportschool lol). Gelukkig gaf het systeem meteen een foutmelding.",
  [], "nl", bad=[("bsn", BAD_BSN)])
C("x", "@lotte_hvac",
  "Tip voor iedereen die docs schrijft: gebruik altijd AKIAIOSFODNN7EXAMPLE als voorbeeld-key, nooit "
  "een echte 😉",
  [], "nl")
C("linkedin", "kalvoro",
  "PSA for our integration partners: live API keys look like sk_live_…, and we will never ask you for "
  "one in a support ticket. Spotted a request like that? Report it to privacy@kalvoro.nl.",
  [], "en")
C("x", "@mevr_dijk",
  "Waar kan ik in de Kalvoro app mijn wachtwoord wijzigen? Kan het nergens vinden onder instellingen.",
  [], "nl")
C("x", "@kalvoro",
  "Hij is er! 🎉 De Kalvoro Dial 4 is vanaf vandaag te koop, met e-ink scherm en ingebouwde "
  "Roomsense. Alles over de nieuwe Dial 4 op kalvoro.nl",
  [], "nl", at="2027-03-09T09:00:00Z")
C("instagram", "@wonen_met_wim",
  "Dial 4 binnen! Het e-ink scherm is echt mooi en de installatie was in 20 minuten klaar 👌",
  [], "nl", at="2027-03-12T18:22:00Z")
C("linkedin", "kalvoro",
  "Today we published our full-year results 2026: revenue of €48.2M and our first profitable year. "
  "Thank you to every subscriber and every colleague. The full report is on kalvoro.nl.",
  [], "en", at="2027-02-26T07:30:00Z")
C("x", "@tomasz_in_delft",
  "Update: @kalvoro_hulp replaced both Flowkop valves within a day and the 3am clicking is gone. Fair "
  "play, properly solved 👍",
  [], "en")
C("x", "@sneeuwpop_sas",
  "Sterkte aan alle Kalvoro monteurs die deze week door de sneeuw moeten. Die van ons stond gewoon om "
  "8u stipt op de stoep ❄️",
  [], "nl")
C("x", "@ingrid_techtalk",
  "Read about the big smoke detector recall from that German brand this week. Checked ours: different "
  "manufacturer, not affected. Go check yours!",
  [], "en")
C("x", "@relatie_rik",
  "mijn vriendin en de Kalvoro zijn het nooit eens: zij wil 22, hij (en ik) 19 😂 #relatieadvies",
  [], "nl")
C("x", "@couchpotato_cam",
  "The Kalvoro app just killed my last excuse: it literally shows how much heating I waste lying on "
  "the couch 😂",
  [], "en")
C("linkedin", "kalvoro",
  "Vacature: Senior Firmware Engineer in Utrecht. Bouw mee aan slimme verwarming voor duizenden "
  "huishoudens. Solliciteer via werkenbij@kalvoro.nl",
  [], "nl")
C("x", "@kalvoro_hulp",
  "Storing opgelost ✅ Tussen 14:00 en 14:40 reageerde de Kalvoro app traag. Alles werkt weer, "
  "excuses voor het ongemak. Details op status.kalvoro.nl",
  [], "nl")
C("linkedin", "joost-kuipers-kalvoro",
  "Five years at Kalvoro today! From soldering prototypes in a rented garage to thermostats on walls "
  "all over the Netherlands. Grateful for this team.",
  [], "en")
C("x", "@merelvdlinden",
  "Deze week op de vakbeurs in Gorinchem! Kom langs bij stand B14 voor een demo van de Dial Pro en "
  "een bakkie koffie ☕",
  [], "nl")
C("x", "@sterrenkijker_gr",
  "Noorderlicht gezien boven Lauwersoog vannacht!! 😍 mijn eerste keer ooit",
  [], "nl")
C("threads", "@balkonboer",
  "eindelijk dooi, de Kalvoro kan weer een standje lager 🌱",
  [], "nl")
C("reddit", "u/curious_kat",
  "Is there an internal temperature sensor in the Dial 3, or do I need a Roomsense to get accurate "
  "readings in a big living room?",
  [], "en")
C("x", "@cvmonteur_mo",
  "Free tip from a heating engineer: drop your boiler flow temperature to 55°C, it really saves gas. "
  "Works fine with a Kalvoro or any other smart thermostat.",
  [], "en")
C("x", "@kalvoro_hulp",
  "Veiligheid voorop 🔒 We vragen nooit om je wachtwoord, niet per telefoon en niet per mail. Twijfel "
  "je? Bel ons op 0800-5258.",
  [], "nl")
C("bluesky", "@pixelpiet",
  "Kalvoro's bug bounty page is nice and clear. Reported a tiny UI glitch, got a friendly thank-you "
  "within a day. More companies should do this.",
  [], "en")
C("x", "@installateur_nieuws",
  "Grote reorganisatie bij een Duitse cv-fabrikant, 400 banen weg. Hopelijk worden de installateurs "
  "hier niet de dupe.",
  [], "nl")
C("x", "@delftse_dingen",
  "Wist je dat Kalvoro ooit begon als studentenproject in Delft? Leuk interview in de krant vandaag.",
  [], "nl")
C("reddit", "u/frugal_frits",
  "Warmte Basis is €49 per jaar, Warmte Premium €119. Is Premium het waard alleen voor de "
  "energierapporten? Wat vinden jullie?",
  [], "nl")
C("facebook", "Karin.Doornbos",
  "Dial 3 Starterpakket met 30% korting bij de bouwmarkt, €244,30. Goede deal of wachten op Black Friday?",
  [], "nl")
C("x", "@geofence_gijs",
  "Killer feature of the Kalvoro app: geofencing. Heating comes on when I'm 10 minutes from home. "
  "Insanely good.",
  [], "en")
C("x", "@amersfoort_bewoner",
  "Gedachten bij de bewoners na die woningbrand. Brandweer heeft inmiddels bevestigd dat het een "
  "defecte frituurpan was, dus niet de thermostaat zoals eerst gezegd werd.",
  [], "nl")
C("x", "@relieved_rachel",
  "Checked the serial on our CO alarm after all the recall news: it's a Kalvoro Airtrace, not "
  "affected 😮‍💨",
  [], "en")
C("x", "@kalvoro_hulp",
  "@ruud_zeist Dat is vervelend om te horen. We hebben je ticket doorgezet naar ons technische team "
  "en bellen je morgen terug.",
  [], "nl", kind="reply")
C("x", "@kalvoro_hulp",
  "@mira.codes Sorry for the hassle! You can cancel any time via My Account > Subscription. DM us if the "
  "button doesn't work and we'll sort it.",
  [], "en", kind="reply")
C("blog", "kalvoro_devblog_fan",
  "In de handleiding staat het voorbeeld zo: Authorization: Bearer eyJhbGciOi...<redacted>. Vervang "
  "dat door je eigen token uit het ontwikkelaarsportaal.",
  [], "nl")
C("x", "@bas_kalvoro",
  "Reminder voor collega's: plak nooit een API-key in Slack. Zo ziet een gemaskeerde eruit: "
  "sk_live_********************, die mag je wel delen.",
  [], "nl")
C("blog", "homeautomation_hanna",
  "Stap 3: zet je token in secrets.yaml, bijvoorbeeld github_token: "
  "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx, en verwijs er vanuit je Kalvoro-integratie naar.",
  [], "nl")
C("reddit", "u/self_hosted_sander",
  "The Kalvoro exporter README just says DATABASE_URL=postgres://<user>:<password>@localhost:5432/kalvoro "
  "and nothing else. Would be nice to have a docker-compose example.",
  [], "en")
C("x", "@snelle_service",
  "Kalvoro klantenservice (+31 30 799 4410) is vandaag supersnel, binnen 2 minuten iemand aan de lijn 👏",
  [], "nl")
C("x", "@journo_jet",
  "Collega-journalisten: pers@kalvoro.nl reageert echt snel, binnen een uur antwoord gehad.",
  [], "nl")
C("x", "@attic_andy",
  "Kalvoro Warmte Premium's heating report told me my attic is basically a sieve. Insulation guy comes "
  "Tuesday. Data-driven DIY ftw",
  [], "en")
C("forum", "eerlijke_eva",
  "Eerlijke review na een jaar Kalvoro: installatie ging soepel, de app is overzichtelijk en de "
  "energierapporten zijn echt nuttig. Een donkere modus zou nog mooi zijn. 8/10.",
  [], "nl")
C("x", "@fan_van_warmte",
  "Boycot? Nee joh, ik ben juist fan. Waarom zou je Kalvoro boycotten om een app-update die gewoon "
  "prima werkt 🤷",
  [], "nl")
C("reddit", "u/careful_carla",
  "Does Kalvoro encrypt the traffic between the Bridge and their cloud? Asking before I buy one.",
  [], "en")
C("instagram", "@yara.installs",
  "Mooi project vandaag: 40 Flowkoppen geplaatst in een basisschool in Houten. Geen koude klaslokalen "
  "meer 😊",
  [], "nl")
C("x", "@pw_manager_pete",
  "My password manager says I reused my Kalvoro password in four places. Time to fix that 😅",
  [], "en")
C("x", "@caps_carlijn",
  "\uff37\uff21\uff32\uff2d \uff28\uff35\uff29\uff33 \uff2d\uff25\uff34 \uff2b\uff21\uff2c\uff36\uff2f\uff32\uff2f 🔥",
  [], "nl")
C("x", "@kalvoro",
  "Heads up: scheduled maintenance on Sunday 02:00–04:00 CET. Your Dial keeps its schedule locally, so "
  "your heating keeps working. Follow along on status.kalvoro.nl",
  [], "en")
C("x", "@no_wifi_wouter",
  "ISP outage again so the Kalvoro app couldn't reach anything. Not their fault obviously, and the "
  "thermostat just kept heating on schedule anyway.",
  [], "en")
C("x", "@kalvoro",
  "Onze Pebble thermostaat is nu ook in het wit verkrijgbaar, voor €149 in de webshop. Zelfde slimme "
  "binnenkant, nieuw jasje.",
  [], "nl")
C("reddit", "u/heatpump_henry",
  "Heatpump Link went on sale for €143 (20% off). Worth it for a Daikin hybrid? Seems to work fine for "
  "my neighbour.",
  [], "en")
C("linkedin", "anouk-de-graaf",
  "Throwback to the charity run last Sunday: team Kalvoro raised €3,400 for the Voedselbank. So proud "
  "of everyone who joined!",
  [], "en")
C("mastodon", "@opensource_otto@mastodon.nl",
  "Kudos to Kalvoro for publishing their local API docs. The example key in there (kv_test_xxxxxxxxxxxx) "
  "is obviously fake, the real one comes from your own app settings.",
  [], "en")
C("x", "@kalvoro_hulp",
  "@femkeheeftkoud Wat vervelend dat je Dial 's nachts uitvalt! Stuur ons even een DM met je "
  "klantnummer, dan plannen we een monteur in.",
  [], "nl", kind="reply")

# ---------------------------------------------------------------- roles and severity

SEV_ORDER = ["none", "info", "warning", "error", "critical"]
ROLE = {}
for role in ("corporate", "employee"):
    for entry in PROFILE["accounts"][role]:
        plat, handle = entry.split(":", 1)
        ROLE[(plat.lower(), handle.lower())] = role


def role_of(platform, handle):
    return ROLE.get((platform.lower(), handle.lower()), "public")


IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){10,30}\b")
CARD_RE = re.compile(r"(?<![\d])(?:\d[ -]?){12,18}\d(?![\d])")
BSN_RE = re.compile(r"(?<![\d.])\d{4}\.?\d{2}\.?\d{3}(?![\d])|(?<![\d])\d{9}(?![\d])")


def validated_ids(text):
    """Return the set of identifier kinds in text that pass their checksum
    (excluding the company's own published IBANs)."""
    public = {re.sub(r"\s", "", x) for x in PROFILE["public_identifiers"]["ibans"]}
    kinds = set()
    for m in IBAN_RE.finditer(text):
        v = re.sub(r"\s", "", m.group(0))
        for end in range(len(v), 14, -1):  # trailing words may be glued by the greedy match
            if iban_ok(v[:end]) and v[:end] not in public:
                kinds.add("iban")
                break
    for m in CARD_RE.finditer(text):
        if 13 <= len(re.sub(r"\D", "", m.group(0))) <= 19 and luhn_ok(m.group(0)):
            kinds.add("card")
    for m in BSN_RE.finditer(text):
        if bsn_ok(m.group(0)):
            kinds.add("bsn")
    return kinds


def severity(cats, role, text):
    sev = "none"

    def bump(s):
        nonlocal sev
        if SEV_ORDER.index(s) > SEV_ORDER.index(sev):
            sev = s

    inside = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if not inside:
                bump("warning")
            elif c in (SEC, PRI):
                bump("critical")
            elif c == PII and validated_ids(text):
                bump("critical")
            else:
                bump("error")
        elif c == CMP:
            bump("warning")
        elif c == CRI:
            bump("error")
        elif c == ABU:
            bump("error" if inside else "warning")
    return sev

# ---------------------------------------------------------------- dates, ids, output

EMB = [(datetime.fromisoformat(e["until"].replace("Z", "+00:00")), [t.lower() for t in e["terms"]])
       for e in PROFILE["embargo"]]
START = datetime(2026, 1, 2, tzinfo=timezone.utc)
SPAN = int((datetime(2026, 12, 30, tzinfo=timezone.utc) - START).total_seconds())

PLAT_PREFIX = {"x": "x", "reddit": "rd", "facebook": "fb", "instagram": "ig", "linkedin": "li",
               "tiktok": "tt", "threads": "th", "bluesky": "bs", "forum": "fo", "blog": "bl",
               "mastodon": "ma"}

rng.shuffle(CASES)
used_ids = set()
out = []
for c in CASES:
    if c["at"]:
        at = c["at"]
    else:
        at = (START + timedelta(seconds=rng.randrange(SPAN))).strftime("%Y-%m-%dT%H:%M:%SZ")
    while True:
        pid = f"{PLAT_PREFIX[c['platform']]}-509{rng.randrange(10**6, 10**7)}"
        if pid not in used_ids:
            used_ids.add(pid)
            break
    post = {"id": pid, "platform": c["platform"]}
    if c["kind"] != "post":
        post["kind"] = c["kind"]
    post["account"] = {"handle": c["handle"]}
    post["text"] = c["text"]
    if c["lang"] and rng.random() < 0.85:
        post["lang"] = c["lang"]
    post["created_at"] = at
    if rng.random() < 0.5:
        post["brand"] = "Kalvoro"
    role = role_of(c["platform"], c["handle"])
    out.append({"post": post,
                "expect": {"categories": c["cats"], "severity": severity(c["cats"], role, c["text"])},
                "_meta": {"role": role, "ids": c["ids"], "bad": c["bad"], "lang": c["lang"]}})

path = os.path.join(HERE, "cases.jsonl")
with open(path, "w", encoding="utf-8") as fh:
    for o in out:
        fh.write(json.dumps({"post": o["post"], "expect": o["expect"]}, ensure_ascii=False) + "\n")

# ---------------------------------------------------------------- self-checks

errors = []
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
CATS = {SEC, PII, PRI, CON, FIN, SCY, CRI, CMP, ABU}
CHECK = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}

with open(path, encoding="utf-8") as fh:
    lines = [json.loads(l) for l in fh]
assert len(lines) == len(out)

seen = set()
for o, line in zip(out, lines):
    p, e = line["post"], line["expect"]
    pid = p.get("id")
    tag = f"[{pid}]"
    if set(line) != {"post", "expect"}:
        errors.append(f"{tag} extra top-level keys")
    if not isinstance(pid, str) or not 1 <= len(pid) <= 256 or pid in seen:
        errors.append(f"{tag} bad/duplicate id")
    seen.add(pid)
    if p["platform"] not in PLATFORMS:
        errors.append(f"{tag} platform")
    if p.get("kind", "post") not in KINDS:
        errors.append(f"{tag} kind")
    if not isinstance(p.get("account", {}).get("handle"), str) or not p["account"]["handle"]:
        errors.append(f"{tag} handle")
    if not isinstance(p.get("text"), str) or not p["text"] or len(p["text"].encode()) > 65536:
        errors.append(f"{tag} text")
    try:
        ts = datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", p["created_at"]):
            raise ValueError
    except Exception:
        errors.append(f"{tag} created_at")
        continue
    if ts.year not in (2026, 2027):
        errors.append(f"{tag} year")
    if not set(e["categories"]) <= CATS or e["categories"] != sorted(set(e["categories"])):
        errors.append(f"{tag} categories")
    if e["severity"] not in SEV_ORDER:
        errors.append(f"{tag} severity value")
    if (e["severity"] == "none") != (not e["categories"]):
        errors.append(f"{tag} severity/categories mismatch")
    if e["severity"] != severity(e["categories"], role_of(p["platform"], p["account"]["handle"]), p["text"]):
        errors.append(f"{tag} severity not per policy")
    text = p["text"]
    low = text.lower()
    # embargo terms: positives before until must be labelled confidential; benign only after until
    for until, terms in EMB:
        if any(t in low for t in terms):
            if ts < until and CON not in e["categories"]:
                errors.append(f"{tag} embargo term before until but not confidential")
            if ts >= until and e["categories"]:
                errors.append(f"{tag} embargo-after post should be benign here")
    # declared identifiers
    for kind, val in o["_meta"]["ids"]:
        if not CHECK[kind](val):
            errors.append(f"{tag} positive {kind} fails checksum")
        if val not in re.sub(r"[ .]", "", text):
            errors.append(f"{tag} declared {kind} not in text")
        if PII not in e["categories"]:
            errors.append(f"{tag} identifier in non-pii case")
    for kind, val in o["_meta"]["bad"]:
        if CHECK[kind](val):
            errors.append(f"{tag} look-alike {kind} passes checksum")
        if e["categories"]:
            errors.append(f"{tag} look-alike in a positive")
    found = validated_ids(text)
    if not e["categories"] and found:
        errors.append(f"{tag} benign post holds a valid identifier {found}")
    declared = {k for k, _ in o["_meta"]["ids"]}
    if found != declared:
        errors.append(f"{tag} identifiers found {found} != declared {declared}")
    # secrets
    for tok in re.findall(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", text):
        if e["categories"] and not gh_token_ok(tok):
            errors.append(f"{tag} github token crc")
    for tok in re.findall(r"\bAKIA[0-9A-Z]{16}\b", text):
        if not re.fullmatch(r"AKIA[A-Z2-7]{16}", tok):
            errors.append(f"{tag} aws key alphabet")
        if "EXAMPLE" in tok and e["categories"]:
            errors.append(f"{tag} sample aws key in positive")
        if "EXAMPLE" not in tok and not e["categories"]:
            errors.append(f"{tag} real-looking aws key in benign")
    for tok in re.findall(r"\beyJ[0-9A-Za-z_-]+\.[0-9A-Za-z_-]+\.[0-9A-Za-z_-]+", text):
        if not jwt_ok(tok):
            errors.append(f"{tag} jwt header")
        if not e["categories"]:
            errors.append(f"{tag} full jwt in benign")
    if SEC in e["categories"]:
        pats = [r"gh[pousr]_[0-9A-Za-z]{36}", r"AKIA[A-Z2-7]{16}", r"xox[bp]-\d+-\d+-[0-9A-Za-z]+",
                r"sk_live_[0-9A-Za-z]{24,}", r"eyJ[\w-]+\.[\w-]+\.[\w-]+", r"postgres://[^:\s]+:[^@\s]+@",
                r"sk-proj-[\w-]{40,}", r"wachtwoord\b.*\S{8,}", r"-----BEGIN [A-Z ]*PRIVATE KEY-----",
                r"AIza[\w-]{35}", r"glpat-[\w-]{20}", r"sk-ant-api03-[\w-]{90,}"]
        if not any(re.search(x, text) for x in pats):
            errors.append(f"{tag} secret positive without a credential")
    else:
        for tok in re.findall(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", text):
            if gh_token_ok(tok):
                errors.append(f"{tag} valid github token in a non-secret case")
    if not e["categories"]:
        for x in [r"sk_live_[0-9A-Za-z]{8,}", r"AIza[\w-]{35}", r"glpat-[\w-]{20}", r"sk-ant-",
                  r"BEGIN [A-Z ]*PRIVATE KEY", r"xox[bp]-\d"]:
            if re.search(x, text):
                errors.append(f"{tag} credential pattern in benign post")

# mix
from collections import Counter

cat_count = Counter(c for o in out for c in o["expect"]["categories"])
n = len(out)
n_benign = sum(1 for o in out if not o["expect"]["categories"])
lang = Counter(o["_meta"]["lang"] for o in out)
if not 170 <= n <= 180:
    errors.append(f"case count {n}")
if not 55 <= n_benign <= 65:
    errors.append(f"benign count {n_benign}")
nl_share = lang["nl"] / n
if not 0.48 <= nl_share <= 0.62:
    errors.append(f"dutch share {nl_share:.2f}")
roles = Counter(o["_meta"]["role"] for o in out)
texts = [o["post"]["text"] for o in out]
if len(set(texts)) != len(texts):
    errors.append("duplicate texts")

# profile sanity
for ib in PROFILE["public_identifiers"]["ibans"]:
    if not iban_ok(ib):
        errors.append(f"profile IBAN {ib} fails mod-97")
if len(PROFILE["accounts"]["corporate"]) < 6 or len(PROFILE["accounts"]["employee"]) < 8:
    errors.append("profile accounts too few")
if not 15 <= len(PROFILE["products"]) <= 25:
    errors.append("profile products count")
if PROFILE["pricing"]["alert_below_ratio"] != 0.5:
    errors.append("alert ratio")

print(f"cases={n} benign={n_benign} nl={lang['nl']} en={lang['en']} roles={dict(roles)}")
print("categories:", dict(sorted(cat_count.items())))
print("severities:", dict(Counter(o["expect"]["severity"] for o in out)))
if errors:
    print("SELF-CHECK FAILED:")
    for e in errors:
        print("  ", e)
    sys.exit(1)
print("self-check OK")
