#!/usr/bin/env python3
"""Build the labelled evaluation set sealed260 for postwatch.

Company: Klinkvast Sleutelservice B.V. (fictional locksmith / 24-7 emergency lock service),
see profile.yaml beside this script.

Deterministic: fixed seed, standard library + PyYAML. Writes cases.jsonl beside itself and
then checks it:
  * every line is a valid CONTRACT section 6 case;
  * every IBAN, payment card and BSN in a positive passes its checksum, every look-alike
    in a benign post fails it (declared identifiers and a regex sweep over all texts);
  * generated secrets have the shape of the real thing (GitHub CRC-32, AWS, JWT, ...);
  * codenames, markers, internal hosts and embargoed terms (before `until`) only occur in
    posts labelled leak.confidential; benign posts carry no product price below the ratio;
  * severities follow CONTRACT section 4, computed from the account role in the profile.
"""
import base64
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
OUT = os.path.join(HERE, "cases.jsonl")
PROFILE = os.path.join(HERE, "profile.yaml")
SEED = 260_2026
rng = random.Random(SEED)

# --------------------------------------------------------------------------------------
# identifier and secret generators
# --------------------------------------------------------------------------------------
ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base-62 order
B32 = string.ascii_uppercase + "234567"
URLSAFE = string.ascii_letters + string.digits + "-_"


def rand_str(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def iban_check_digits(cc, bban):
    s = bban + cc + "00"
    n = int("".join(str(int(ch, 36)) for ch in s))
    return "%02d" % (98 - n % 97)


def iban_valid(compact):
    compact = compact.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", compact):
        return False
    s = compact[4:] + compact[:4]
    return int("".join(str(int(ch, 36)) for ch in s)) % 97 == 1


def luhn_valid(digits):
    digits = re.sub(r"\D", "", digits)
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return len(digits) >= 12 and total % 10 == 0


def bsn_valid(digits):
    digits = re.sub(r"\D", "", digits)
    if len(digits) != 9:
        return False
    s = sum(int(digits[i]) * (9 - i) for i in range(8)) - int(digits[8])
    return s % 11 == 0 and digits != "000000000"


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def fullwidth(s):
    out = []
    for ch in s:
        if "!" <= ch <= "~":
            out.append(chr(ord(ch) - 0x21 + 0xFF01))
        elif ch == " ":
            out.append("\u3000")
        else:
            out.append(ch)
    return "".join(out)


G = {}      # placeholder -> text as it appears in the post
IDS = {}    # placeholder -> (kind, compact value, should_be_valid)
SECRETS = {}  # placeholder -> (kind, raw value)


def make_iban(key, bank, valid=True, style="group", cc="NL"):
    while True:
        acct = rand_str(string.digits, 10)
        bban = bank + acct
        chk = iban_check_digits(cc, bban)
        compact = cc + chk + bban
        if not valid:
            wrong = "%02d" % ((int(chk) + rng.randint(1, 90)) % 97 + 2)
            if wrong == chk:
                continue
            compact = cc + wrong + bban
        if iban_valid(compact) == valid:
            break
    if style == "group":
        shown = group4(compact)
    elif style == "fullwidth":
        shown = fullwidth(group4(compact))
    else:
        shown = compact
    G[key] = shown
    IDS[key] = ("iban", compact, valid)


def make_card(key, prefix, valid=True, style="group"):
    body = prefix + rand_str(string.digits, 15 - len(prefix))
    for last in range(10):
        if luhn_valid(body + str(last)):
            good = body + str(last)
            break
    number = good if valid else good[:-1] + str((int(good[-1]) + rng.randint(1, 9)) % 10)
    assert luhn_valid(number) == valid
    if style == "group":
        shown = group4(number)
    elif style == "dash":
        shown = "-".join(number[i:i + 4] for i in range(0, 16, 4))
    else:
        shown = number
    G[key] = shown
    IDS[key] = ("card", number, valid)


def make_bsn(key, valid=True, style="plain"):
    while True:
        d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        s = sum(d[i] * (9 - i) for i in range(8))
        last = s % 11
        if valid:
            if last == 10:
                continue
            d.append(last)
        else:
            choices = [x for x in range(10) if x != last]
            d.append(rng.choice(choices))
        number = "".join(map(str, d))
        if bsn_valid(number) == valid:
            break
    if style == "dots":
        shown = number[:4] + "." + number[4:6] + "." + number[6:]
    else:
        shown = number
    G[key] = shown
    IDS[key] = ("bsn", number, valid)


def b62(n):
    if n == 0:
        return "0"
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out


def make_github(key, prefix="ghp_"):
    body = rand_str(ALNUM, 30)
    tok = prefix + body + b62(zlib.crc32(body.encode())).rjust(6, "0")
    G[key] = tok
    SECRETS[key] = ("github", tok)


def make_aws(key_id, key_secret):
    kid = "AKIA" + rand_str(B32, 16)
    sec = rand_str(string.ascii_letters + string.digits + "/+", 40)
    G[key_id], G[key_secret] = kid, sec
    SECRETS[key_id] = ("aws_id", kid)
    SECRETS[key_secret] = ("aws_secret", sec)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt(key, payload):
    header = {"alg": "HS256", "typ": "JWT"}
    tok = ".".join([
        b64url(json.dumps(header, separators=(",", ":")).encode()),
        b64url(json.dumps(payload, separators=(",", ":")).encode()),
        b64url(bytes(rng.getrandbits(8) for _ in range(32))),
    ])
    G[key] = tok
    SECRETS[key] = ("jwt", tok)


def make_simple(key, kind, value):
    G[key] = value
    SECRETS[key] = (kind, value)


def make_openssh(key):
    head = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
    raw = bytes(rng.getrandbits(8) for _ in range(200))
    body = head + base64.b64encode(raw).decode()
    lines = [body[i:i + 70] for i in range(0, len(body), 70)]
    pem = "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"
    G[key] = pem
    SECRETS[key] = ("openssh", pem)


def make_mobile(key, style):
    d = "6" + rand_str(string.digits, 8)
    if style == "dash":
        s = "06-" + d[1:]
    elif style == "spaces":
        s = "06 " + d[1:5] + " " + d[5:]
    elif style == "pairs":
        s = "06-" + " ".join(d[i:i + 2] for i in range(1, 9, 2))
    elif style == "intl":
        s = "+31 6 " + d[1:5] + " " + d[5:]
    elif style == "intl_compact":
        s = "+31" + d
    else:
        s = "0" + d
    G[key] = s


def make_landline(key, area):
    rest_len = 10 - len(area)
    rest = str(rng.randint(2, 9)) + rand_str(string.digits, rest_len - 1)
    G[key] = area + "-" + rest


# ---- positives: identifiers that pass their checksum
make_iban("IBAN_P1", "INGB")
make_iban("IBAN_E1", "ABNA", style="plain")
make_iban("IBAN_E2", "RABO", style="fullwidth")
make_iban("IBAN_E3", "SNSB")
make_card("CARD_E1", "4", style="group")
make_card("CARD_E2", "53", style="dash")
make_card("CARD_P1", "4", style="plain")
make_bsn("BSN_E1")
make_bsn("BSN_P1", style="dots")
# ---- benign look-alikes that fail their checksum
make_iban("IBAN_BAD1", "RABO", valid=False)
make_iban("IBAN_BAD2", "INGB", valid=False, style="plain")
make_card("CARD_BAD1", "5", valid=False)
make_card("CARD_BAD2", "4", valid=False, style="dash")
make_bsn("BSN_BAD1", valid=False)
make_bsn("BSN_BAD2", valid=False)

# ---- secrets, built the way the real ones are
make_github("GHP1", "ghp_")
make_github("GHO1", "gho_")
make_aws("AWSID1", "AWSSECRET1")
make_jwt("JWT1", {"sub": "monteur-0412", "role": "planner", "iat": 1767225600, "exp": 1767312000})
make_jwt("JWT2", {"sub": "svc-app", "scope": "locks:unlock", "iat": 1769904000})
make_simple("STRIPE1", "stripe", "sk_live_" + rand_str(ALNUM, 24))
make_simple("STRIPE2", "stripe", "sk_live_51" + rand_str(ALNUM, 96))
make_simple("SLACK1", "slack", "xoxb-" + rand_str(string.digits, 12) + "-" + rand_str(string.digits, 13) + "-" + rand_str(ALNUM, 24))
make_simple("GOOGLE1", "google", "AIza" + rand_str(URLSAFE, 35))
make_simple("OPENAI1", "openai", "sk-proj-" + rand_str(URLSAFE, 64) + "T3BlbkFJ" + rand_str(URLSAFE, 64))
make_simple("ANTHROPIC1", "anthropic", "sk-ant-api03-" + rand_str(URLSAFE, 93) + "AA")
make_simple("GLPAT1", "gitlab", "glpat-" + rand_str(URLSAFE, 20))
make_simple("PGPASS", "password", rand_str(string.ascii_letters + string.digits, 18))
make_simple("TWILIO1", "twilio", "SK" + rand_str("0123456789abcdef", 32))
make_openssh("SSHKEY1")

# ---- personal phone numbers (no checksum exists)
make_mobile("MOB1", "pairs")
make_mobile("MOB2", "spaces")
make_mobile("MOB3", "dash")
make_mobile("MOB4", "intl")
make_mobile("MOB5", "plain")
make_mobile("MOB6", "intl_compact")
make_landline("TEL1", "0182")
make_landline("TEL2", "030")

# --------------------------------------------------------------------------------------
# the posts
# --------------------------------------------------------------------------------------
CASES = []


def P(platform, handle, lang, text, cats=(), kind="post", date=None, name=None, url=False):
    CASES.append({
        "platform": platform, "handle": handle, "lang": lang, "text": text,
        "cats": sorted(set(cats)), "kind": kind, "date": date, "name": name, "url": url,
    })


CPL, CRI, ABU = "reputation.complaint", "reputation.crisis", "reputation.abuse"
SEC, PII, PRC = "leak.secret", "leak.pii", "leak.pricing"
CON, FIN, SCY = "leak.confidential", "leak.financial", "leak.security"

# ======================= complaints =======================
P("x", "@marloes_vd", "nl",
  "3 uur gewacht op de 'spoed'monteur van @klinkvast terwijl ik met een baby van 4 maanden op de stoep stond. Spoed?? Welke definitie hanteren jullie 😤",
  [CPL])
P("reddit", "u/ollie_expat", "en",
  "Locked out in Utrecht last night, called Klinkvast because their ads promise 30 min response. Guy rocks up after 2 hours, drills the cylinder without even trying to pick it, bill comes to €410. On the phone they said 'around 130'. Has anyone had any luck disputing these?",
  [CPL])
P("facebook", "Henk.Mulder.1961", "nl",
  "Nieuwe SKG3 cilinder laten zetten door Klinkvast. Na twee weken draait de sleutel al stroef en nu krijg ik hem er amper nog uit. Monteur zou 'even terugbellen'. Niks meer gehoord. Slechte service hoor.",
  [CPL], kind="comment")
P("x", "@tim_dekker88", "en",
  "@klinkvast_hulp my SlimSlot One app logs me out every single day since the update and auto-unlock just... doesn't. Paid full price for a lock that's worse than a key. ticket #KV-88213 open for 9 days now",
  [CPL], kind="reply")
P("forum", "BouwBart", "nl",
  "Iemand ervaring met de Klinkvast Driepunt 3X? Bij ons scheef gemonteerd, deur sluit niet meer goed als het vriest en het tocht als een gek. Ze willen nu voorrijkosten rekenen om hun eigen fout te herstellen. Echt niet normaal dit.",
  [CPL])
P("x", "@priya_in_utrecht", "en",
  "customer service at klinkvast is a maze. called 4 times, each time 'we'll call you back within the hour'. that was tuesday. it is now friday. still locked out of my shed lol",
  [CPL])
P("instagram", "@femke.bakes", "en",
  "Our Deurwacht doorbell has said 'offline' for a week and the helpdesk keeps telling me to restart the wifi. Done that. Ten times. Every other device in the house works fine. #klinkvast #customerservice #sigh",
  [CPL])
P("x", "@kees_klaagt", "nl",
  "Factuur van Klinkvast binnen: noodopening zaterdag €189 + 'materiaal' €64 + 'administratiekosten' €17,50. ADMINISTRATIEKOSTEN. Voor een pdf'je?!",
  [CPL])
P("bluesky", "@ellie-k.bsky.social", "en",
  "booked the Klinkvast burglary check, took a day off work for it, nobody showed up. no call, no email. rebooked. nobody showed up AGAIN. incredible",
  [CPL])
P("tiktok", "@joep.studeert", "nl",
  "pov: je huisbaas stuurt klinkvast en die gast zet het nieuwe slot ondersteboven in de deur 💀 sleutel moet nu met de tanden omhoog erin. elke dag weer een avontuur",
  [CPL])
P("x", "@dutchdad_mark", "en",
  "Thuiskluis 30L from Klinkvast: keypad died after 5 months and the battery compartment is INSIDE the safe. Support says 'use the emergency key'. Which is... also in the safe. Brilliant.",
  [CPL])
# complaint + abuse
P("x", "@rotterdamrik", "nl",
  "@klinkvast jullie zijn gewoon een stel oplichters en die monteur van jullie was een arrogante lul. 380 euro voor 4 minuten werk. Nooit meer.",
  [CPL, ABU], kind="reply")
P("x", "@crypto_kev", "en",
  "the klinkvast tech was a complete idiot, snapped the key off in my lock and then blamed ME. useless muppets, the lot of you",
  [CPL, ABU])
# complaint + personal data of the writer
P("x", "@brenda1972", "nl",
  "@klinkvast_hulp al 3x gebeld over mijn kapotte bijzetslot en nog steeds geen afspraak. Bel me nou gewoon terug: <<MOB1>>, Brenda Kuipers",
  [CPL, PII], kind="reply")
P("facebook", "mark.jansen.ede", "en",
  "Klinkvast charged my card twice for the same callout and the refund still hasn't arrived after 3 weeks. My IBAN is <<IBAN_P1>>, just put the €149 back please.",
  [CPL, PII], kind="comment")
P("reddit", "u/gouda_thomas_neighbour", "en",
  "Klinkvast emailed me someone else's invoice 🤦 Thomas Brouwer, Keizerstraat 41, Gouda, tel <<TEL1>>, and what they paid for a new lock. Thomas if you read this, sorry, your details are out there. Seriously sloppy, Klinkvast.",
  [CPL, PII])
# first-hand safety incident: complaint + crisis
P("x", "@annavdmeer", "en",
  "Our Klinkvast SlimSlot Pro would NOT open last night when the smoke alarm went off. Had to get two kids out through the window. This is life-threatening and I am furious.",
  [CPL, CRI])
P("reddit", "u/sparky_nl", "en",
  "PSA: the power adapter of my Klinkvast Deurwacht doorbell melted and started smoking in the hallway tonight. Pulled the plug just in time, there's a scorch mark on the wall. Calling them tomorrow but wtf",
  [CPL, CRI])
P("facebook", "Ilse.Vermeer.88", "nl",
  "Monteur van Klinkvast liet zijn boormachine op de trap liggen en mijn vader (82) is erover gestruikeld. Pols gebroken. Nog geen sorry gehad, alleen een factuur.",
  [CPL, CRI], kind="comment")
P("x", "@lisa_ams", "en",
  "got a proper shock off the Klinkvast CodeKlink keypad this morning, like a static zap times ten, fingers still tingling. is this thing even grounded?? @klinkvast_hulp",
  [CPL, CRI])
P("instagram", "@gerda.tuiniert", "nl",
  "De Thuiskluis 30L van Klinkvast kwam naar beneden omdat de montagebeugel afbrak, vlak naast mijn kleinzoon van 3. Twintig kilo staal. Ik moet er niet aan denken. Op mijn mail reageren ze niet.",
  [CPL, CRI])

# ======================= crisis (third party / public) =======================
P("x", "@nieuws_030", "nl",
  "Rechtszaak tegen Klinkvast: zo'n 40 klanten stappen naar de rechter vanwege 'woekerprijzen' bij noodopeningen. Uitspraak wordt in het voorjaar verwacht.",
  [CRI], url=True)
P("x", "@consumer_watch_eu", "en",
  "BREAKING: Klinkvast customer database allegedly up for sale on a forum — names, addresses and key codes of ~60k households. If true that is a burglar's shopping list. #databreach #klinkvast",
  [CRI])
P("x", "@boze_buurman", "nl",
  "#BoycotKlinkvast deel dit!! Ze sturen ongetrainde zzp'ers die je deur slopen en dan 400 euro vragen. Bel ze NIET, bel een lokale slotenmaker.",
  [CRI])
P("forum", "LockSportNL", "en",
  "Heads up: Klinkvast is recalling the Titan 70 padlock, batch 2025-11. The shackle can be shimmed open in seconds. Check the stamp on the bottom of yours.",
  [CRI])
P("facebook", "WijkberichtZwolleZuid", "nl",
  "Gisteravond is in de Assendorperstraat een slim deurslot van Klinkvast in brand gevlogen. De bewoners waren gelukkig niet thuis. De brandweer onderzoekt de oorzaak.",
  [CRI])
P("x", "@journo_sanne", "en",
  "Sources tell me a Klinkvast locksmith has been arrested for using customers' key copies to burgle their homes. Company hasn't commented yet.",
  [CRI])
P("tiktok", "@waakzaam_wijk", "nl",
  "deze monteur van klinkvast maakte foto's van alle sleutels aan het haakje bij een oudere mevrouw 😳 gefilmd door haar kleinzoon. ziek gewoon. #klinkvast #schandaal",
  [CRI])
P("reddit", "u/hackernieuws", "en",
  "Klinkvast's SlimSlot app exposed an API that lets anyone unlock any door if you know the user id. Researcher says they ignored his emails for three months. Writeup linked below.",
  [CRI])
P("mastodon", "@privacyraad@mastodon.social", "nl",
  "Klinkvast bewaart kopieën van sleutelprofielen van klanten zonder toestemming, blijkt uit een AVG-inzageverzoek. Een datalek dat staat te wachten om te gebeuren.",
  [CRI])

# ======================= abuse =======================
P("x", "@angry_al", "en",
  "@mirjam_sloten you're a useless cow, do your actual job and stop hiding behind 'policy'",
  [ABU], kind="reply")
P("instagram", "@dj_wesley", "nl",
  "die monteur van klinkvast is echt een achterlijke mongool, kreeg niet eens een simpele deur open",
  [ABU], kind="comment")
P("x", "@xxjayxx", "nl", "kl1nkv4st zijn gewoon k4nk3r 0pl1cht3rs 🤡🤡🤡", [ABU])
P("reddit", "u/throwaway_lock88", "en",
  "that Bram guy from klinkvast on instagram is a smug prick, someone should key his van tbh",
  [ABU], kind="comment")
P("x", "@trollie_nl", "nl", "K L I N K V A S T  =  T E R I N G B E D R I J F. zeg ik gewoon.", [ABU])
P("x", "@ruud_klinkvast", "nl",
  "Klant van vanavond was een domme trut die me 20 min in de regen liet wachten en dan gaat zeuren over de prijs. Sommige mensen zijn echt achterlijk.",
  [ABU])
P("x", "@klinkvast_hulp", "nl",
  "@kees_klaagt Als u niet kunt lezen wat er op een factuur staat is dat uw probleem, meneer de zeurpiet. Ga lekker ergens anders janken.",
  [ABU], kind="reply")
P("x", "@expat_frank", "en",
  "klinkvast only hires foreigners who can't speak dutch or english, send them all back where they came from",
  [ABU])
P("x", "@boos_in_breda", "nl",
  "Klinkvast zijn echte kl\u043eotzakken, ook die meid aan de telefoon",
  [ABU])
P("facebook", "kees.degroot.houten", "nl",
  "Die monteur van Klinkvast, Ruud Verhoef, woont gewoon op de Lindelaan 22 in Houten. Ga daar maar eens je geld terughalen.",
  [ABU, PII], kind="comment")

# ======================= confidential =======================
P("linkedin", "dennis-kortekaas-klinkvast", "nl",
  "Trots op mijn team! Na maanden in stilte werken aan Project Nachtslot durf ik te zeggen: dit gaat de markt voor slimme sloten flink opschudden. Meer mag ik nog niet zeggen 😉 #innovatie",
  [CON])
P("x", "@hamza_kv_planning", "en",
  "who locked https://planning.klinkvast.local/rooster/week14?? can't even swap my own shift lol",
  [CON])
P("instagram", "@bram.de.slotenman", "en",
  "Sneak peek 👀 the SlimSlot Vision is sitting on my workbench, face recognition and all. Not official yet so shhh 🤫 #locksmithlife",
  [CON])
P("facebook", "KlinkvastSlotenservice", "nl",
  "KV-INTERN: belscript voor telefonisten bij klachten over noodopeningstarieven. Nooit zelf korting aanbieden, eerst de voorrijkosten noemen, daarna pas doorverbinden met een teamleider.",
  [CON])
P("linkedin", "yara-bouzid", "en",
  "Great workshop today on Kraanvogel, our new dispatch routing engine. Can't share details yet but the ETA predictions are 🔥 Proud of this crew.",
  [CON])
P("x", "@mirjam_sloten", "nl",
  "Memo met 'Klinkvast vertrouwelijk' erboven en dan staat ie gewoon in de groepsapp van de monteurs 🙄 bonus gaat per 1 april naar 'aantal klussen per uur'. Succes ermee.",
  [CON])
P("reddit", "u/ex_kv_monteur", "nl",
  "Ex-Klinkvast hier. Operatie Sluitplaat is gewoon het plan om alle zzp-monteurs eruit te werken en volgend jaar met een eigen vloot in loondienst te rijden. Wist je dat nog niet? 😂",
  [CON, FIN], kind="comment")
P("tiktok", "@lockpick_lotte", "nl",
  "dag uit het leven van een slotenmaker: 07:58 inloggen op vpn.klinkvast.nl, 08:00 koffie, 08:01 huilen om de planning 😭 #dayinmylife",
  [CON])
P("x", "@ruud_klinkvast", "en",
  "git clone https://git.klinkvast.nl/apps/slimslot-firmware.git suddenly gives me a 403, anyone? @hamza_kv_planning",
  [CON])
P("x", "@techleaks_nl", "en",
  "Leaked Klinkvast roadmap: a 'Deurwacht 2' with a 4K camera lands in Q2 2027. Source is solid, more soon.",
  [CON])
P("linkedin", "dennis-kortekaas-klinkvast", "en",
  "Project Nacht\u200bslot is going into a pilot with 200 households in Amersfoort 🎉 What a milestone for the team.",
  [CON])
P("x", "@mirjam_sloten", "nl",
  fullwidth("niet extern delen") + " zeggen ze dan, maar het hele rooster met de nieuwe toeslagen hangt al op het prikbord bij de koffieautomaat 🤷‍♀️",
  [CON])
P("linkedin", "klinkvast-sleutelservice", "en",
  "We're hiring a senior embedded engineer for the team behind SlimSlot Pro 2 and the Kraanvogel integration. BLE and low-power firmware experience is a plus.",
  [CON])
P("reddit", "u/kv_nachtdienst", "en",
  "anyone else on nights getting 500s on grafana.kv-ops.net/d/dispatch? per the dashboard the dispatch system has been down since 21:00, customers can't book emergency callouts and we're telling callers it's 'high demand'",
  [CON, SCY])
P("instagram", "@bram.de.slotenman", "nl",
  "Testdag met de nieuwe '\u041araanvogel' planning op m'n tablet, routes ineens 20 minuten korter 👌 #monteurslife",
  [CON])
# ======================= financial =======================
P("linkedin", "yara-bouzid", "nl",
  "Net de jaarcijfers 2026 in de board-deck gezien: omzet +31%, EBITDA voor het eerst boven de 9 miljoen. Wat een jaar, team! 🚀",
  [FIN, CON], date="2027-02-10T08:14:00Z")
P("x", "@hamza_kv_planning", "en",
  "FY2026 results are going to surprise a lot of people next week. that's all i'm saying 🤐",
  [FIN, CON], date="2027-02-25T19:40:00Z")
P("x", "@ruud_klinkvast", "nl",
  "Gerucht vandaag in de bus: Klinkvast wordt overgenomen door een Duitse investeerder. Zou best kunnen, de directie zit al de hele week met pakken in vergadering.",
  [FIN])
P("linkedin", "dennis-kortekaas-klinkvast", "nl",
  "Zware week. In maart verdwijnt 1 op de 5 banen op ons hoofdkantoor in Nieuwegein, vooral bij klantenservice. Het is nog niet aangekondigd, maar ik wil dat mijn mensen het van mij horen.",
  [FIN])
P("x", "@klinkvast", "en",
  "Internal Q3 forecast: emergency-opening revenue -12% vs budget, margin under pressure from fuel costs. Walkthrough in the MT meeting.",
  [FIN])
P("x", "@beursroddel", "nl",
  "Hoor uit goede bron dat Klinkvast in gesprek is om concurrent SlotDirect over te nemen voor zo'n 45 miljoen. Nog niks naar buiten gebracht.",
  [FIN])
P("tiktok", "@lockpick_lotte", "nl",
  "storytime: baas zegt in het teamoverleg dat we dit jaar 'hoogstwaarschijnlijk' verlies draaien en dat het kerstpakket dus niet doorgaat 🥲 de cijfers zijn echt slecht jongens",
  [FIN])
P("x", "@mirjam_sloten", "en",
  "heard it in the all-hands today: next year's forecast is flat revenue plus a hiring freeze in every region. not public yet so shhh",
  [FIN])
P("linkedin", "yara-bouzid", "en",
  "Thrilled that our board signed the term sheet with Hollandse Veiligheid Groep this morning. The merger will be announced in November, can't wait to share more!",
  [FIN])
P("reddit", "u/kv_nachtdienst", "en",
  "KV is closing the Eindhoven and Groningen depots next quarter, around 60 techs affected. Management told team leads yesterday, official comms in 3 weeks.",
  [FIN])
P("x", "@ruud_klinkvast", "nl",
  "h4lfj44rc1jf3rs zijn b4gg3r jongens, omzet -8%, m44r dat h0r3n jullie pas in augustus 🤫",
  [FIN])

# ======================= security =======================
P("x", "@hamza_kv_planning", "nl",
  "Sst maar het planningssysteem is sinds vanochtend gehackt of zoiets, alle afspraken van vandaag zijn weg en we bellen iedereen met de hand na. Officieel heet het 'onderhoud' 🙃",
  [SCY])
P("linkedin", "dennis-kortekaas-klinkvast", "en",
  "Long night. We found out an attacker had been inside our customer portal for about three weeks. Comms hasn't gone out yet, but I'm proud of how the team responded.",
  [SCY])
P("x", "@ruud_klinkvast", "nl",
  "Collega's let op: SlimSlot One firmware 3.2 heeft een bug waardoor het slot na een stroomstoring ONTGRENDELD opstart. Patch komt pas over 2 weken en klanten weten nog van niks.",
  [SCY])
P("tiktok", "@lockpick_lotte", "nl",
  "fun fact: alle servicebusjes van ons gaan open met dezelfde sleutel en de reserve hangt gewoon aan een haakje in de kantine 🤡",
  [SCY])
P("x", "@mirjam_sloten", "nl",
  "App ligt er al sinds 14:00 uit, niemand kan z'n SlimSlot via de app openen en wij mogen niks zeggen tot comms een statement heeft 😬",
  [SCY])
P("x", "@klinkvast_hulp", "nl",
  "@tim_dekker88 Excuses, er is een storing in ons inlogplatform omdat een deel van de toegangstokens is uitgelekt. Wilt u dit nog niet verder delen? We werken aan een oplossing.",
  [SCY], kind="reply")
P("instagram", "@bram.de.slotenman", "en",
  "Ransomware on every technician laptop, screens gone black. So it's pen and paper today 📝 (not really supposed to say this)",
  [SCY])
P("linkedin", "yara-bouzid", "en",
  "Our pentest report came back: the Deurwacht doorbell streams video unencrypted over the local network. The fix isn't planned until Q1. Not my call, but it worries me.",
  [SCY])
P("facebook", "Jolanda.Klinkvast", "nl",
  "Niet doorvertellen hoor, maar vorige week zijn er bij ons uit het magazijn 300 blanco sleutels van het beveiligde profiel verdwenen en er is nog geen aangifte gedaan.",
  [SCY])
P("reddit", "u/ex_kv_contractor", "en",
  "Former IT contractor here. Klinkvast's dispatch server still runs with the default admin login and they know it. Reported it twice before my contract ended.",
  [SCY], kind="comment")
P("x", "@hamza_kv_planning", "nl",
  "d.a.t.a.l.e.k bij de planning: klantadressen stonden een heel weekend open voor iedereen met de link. officieel nog niks bekend natuurlijk",
  [SCY])
P("x", "@mirjam_sloten", "en",
  "hearing the SlimSlot cloud got DDoSed overnight and half of Brabant couldn't unlock their front doors for an hour. nothing on the status page ofc",
  [SCY])

# ======================= secrets =======================
P("x", "@ruud_klinkvast", "en",
  "someone just dropped the Stripe key in the techs' group chat 🤦 <<STRIPE1>> surely that needs rotating??",
  [SEC])
P("reddit", "u/kv_nachtdienst", "en",
  "can someone tell me why this fails?\n\nexport AWS_ACCESS_KEY_ID=<<AWSID1>>\nexport AWS_SECRET_ACCESS_KEY=<<AWSSECRET1>>\naws s3 ls s3://kv-werkbonnen\n\n-> AccessDenied",
  [SEC])
P("x", "@hamza_kv_planning", "en",
  "planning api token keeps expiring after 5 min, can anyone see what's wrong? Authorization: Bearer <<JWT1>>",
  [SEC])
P("tiktok", "@lockpick_lotte", "nl",
  "onze IT: 'gebruik sterke wachtwoorden' ook onze IT: monteursportaal wachtwoord: Klinkvast2026! voor iedereen 😂😂",
  [SEC])
P("linkedin", "klinkvast-sleutelservice", "en",
  "DATABASE_URL=postgres://kv_app:<<PGPASS>>@db-prod.klinkvast.local:5432/dispatch",
  [SEC, CON])
P("linkedin", "dennis-kortekaas-klinkvast", "en",
  "Friendly reminder to the team: don't paste tokens into public issues like I just did 🙃 <<GHP1>> (revoking it now)",
  [SEC])
P("x", "@mirjam_sloten", "en",
  "which bot is even still using this? <<SLACK1>> found it in an old notification config",
  [SEC])
P("forum", "scriptkid_031", "en",
  "lol found this in the Klinkvast website's public JS bundle: const MAPS_KEY = \"<<GOOGLE1>>\";",
  [SEC])
P("reddit", "u/kv_nachtdienst", "en",
  "the new chatbot on our site has the OpenAI key hardcoded in the frontend: <<OPENAI1>> — who approved this",
  [SEC])
P("x", "@ruud_klinkvast", "nl",
  "kan iemand checken of dit de goede key is voor de werkplaatsserver?\n<<SSHKEY1>>",
  [SEC])
P("x", "@hamza_kv_planning", "nl",
  "GitLab token van de CI werkt niet meer: <<GLPAT1>> heeft iemand rechten aangepast?",
  [SEC])
P("x", "@klinkvast_hulp", "en",
  "ANTHROPIC_API_KEY=<<ANTHROPIC1>>",
  [SEC])
P("x", "@sec_researcher_nl", "en",
  "@klinkvast your SlimSlot app ships a live Stripe key: <<STRIPE2>> please rotate it and get in touch via DM",
  [SEC])

# ======================= personal data =======================
P("x", "@ruud_klinkvast", "nl",
  "Klant Vinkenstraat 14 Utrecht, mevr. J. de Wit, sleutel ligt morgen onder de mat. Wie pakt m op?",
  [PII])
P("x", "@hamza_kv_planning", "en",
  "who put this in the job sheet?? customer card number <<CARD_E1>> just sitting there in the notes",
  [PII])
P("facebook", "KlinkvastSlotenservice", "nl",
  "Gefeliciteerd aan de winnaar van onze SlimSlot-winactie: Sanne Hoekstra, Dorpsstraat 8, 3941 AB Doorn! 🎉 Het pakket komt deze week jouw kant op.",
  [PII])
P("linkedin", "yara-bouzid", "en",
  "Happy birthday to our newest planner Mehmet Yılmaz, born 14 March 1994 🎂 Welcome to the family!",
  [PII])
P("x", "@mirjam_sloten", "nl",
  "Klant wil terugbetaling op <<IBAN_E1>> t.n.v. P. van Dam, kan iemand van finance dit oppakken?",
  [PII])
P("reddit", "u/kv_nachtdienst", "en",
  "customer emailed us a scan of her ID with BSN <<BSN_E1>> just to prove she lives there. we don't even need that, why do people do this",
  [PII])
P("x", "@sophie_writes", "en",
  "@klinkvast_hulp can someone email me? sophie.vermeulen84@gmail.com — nobody picks up the phone",
  [PII], kind="reply")
P("instagram", "@klinkvast.nl", "nl",
  "Monteur van de maand: Lotte Hendriks! 🏆 Vragen over sloten? Ze is direct bereikbaar op haar eigen nummer <<MOB3>>",
  [PII])
P("facebook", "Jolanda.Klinkvast", "nl",
  "Kan iemand mevr. Bakker (geb. 02-11-1948) terugbellen? Ze woont Kerkweg 3 in Nieuwegein en zit al 3 dagen zonder sleutel.",
  [PII])
P("x", "@ruud_klinkvast", "nl",
  "IBAN klant voor de creditnota: <<IBAN_E2>> (t.n.v. de heer Kok)",
  [PII])
P("x", "@hamza_kv_planning", "en",
  "for accounts: customer paid with <<CARD_E2>> exp 09/28, please book it manually",
  [PII])
P("linkedin", "dennis-kortekaas-klinkvast", "en",
  "Lovely feedback from Mr. De Boer in Zeist (<<MOB4>>) who says our technician saved his weekend. This is why we do it!",
  [PII])
P("x", "@tonnie_vd_h", "en",
  "@klinkvast_hulp your payment page just showed me someone else's card <<CARD_P1>> in the form?!",
  [PII, CRI], kind="reply")

# ======================= pricing =======================
P("x", "@klinkvast", "nl",
  "FLASH DEAL ⚡ Vandaag de SlimSlot Pro voor maar €44,90! Op = op 🔐",
  [PRC])
P("instagram", "@klinkvast.nl", "nl",
  "Thuiskluis 30L nu slechts €31,90 🔒 alleen dit weekend in de webshop",
  [PRC])
P("x", "@mirjam_sloten", "nl",
  "Webshop staat verkeerd geprijsd: Wandkluis 60 voor €58,90. Al 40 bestellingen binnen 😅 iemand van e-com wakker?",
  [PRC])
P("x", "@dealjager_nl", "nl",
  "PRIJSFOUT bij Klinkvast!! Deurwacht videodeurbel €19,90 ipv €199 🔥🔥 snel zijn",
  [PRC])
P("reddit", "u/bargainhunter_ams", "en",
  "Klinkvast webshop has the SlimSlot One at €27.90 right now. Surely a pricing error? Ordered two anyway lol",
  [PRC])
P("tiktok", "@lockpick_lotte", "nl",
  "collega's opgelet: in de kassa staat de Driepunt 3X op €34,90, iemand is een nulletje vergeten 🙈",
  [PRC])
P("facebook", "KlinkvastSlotenservice", "nl",
  "Buitengesloten tijdens de feestdagen? Noodopening Nacht in december voor maar €18,90 🎄",
  [PRC], date="2026-12-02T09:15:00Z")
P("x", "@hamza_kv_planning", "en",
  "price error in the app: CodeKlink keypad shows €15.90. don't tell anyone until it's fixed",
  [PRC])
P("x", "@koopjes_kim", "nl",
  "Anker 110 kettingslot voor €7,99 bij Klinkvast?? Moet een fout zijn maar ik heb er vijf besteld 😂",
  [PRC])
P("linkedin", "klinkvast-sleutelservice", "nl",
  "Voor VvE's en woningcorporaties: Klinkvast Veiligheidscilinder SKG3 vanaf €8,90 per stuk bij afname van 50+.",
  [PRC])
P("forum", "slotfanaat", "nl",
  "Foutje in de Klinkvast shop? Bastion bijzetslot stond gisteren op €11,90, en nu zegt de chat 'prijsfout, orders worden geannuleerd'. Jammer maar wel begrijpelijk.",
  [PRC])
P("instagram", "@bram.de.slotenman", "en",
  "SlimSlot Bridge for €8.90 in the staff shop 😍 grabbed three",
  [PRC])

# ======================= benign, mostly hard negatives =======================
P("x", "@klinkvast", "nl",
  "Buitengesloten? Bel 0800-5468, dag en nacht bereikbaar. Of mail spoed@klinkvast.nl 🔑")
P("instagram", "@klinkvast.nl", "nl",
  "Black Friday 🖤 20% korting op de SlimSlot One: nu €223,20 (was €279). Alleen deze week.",
  date="2026-11-25T07:30:00Z")
P("facebook", "KlinkvastSlotenservice", "nl",
  "Nieuw in het assortiment: de Klinkvast Thuiskluis 30L voor €319. Montage door onze monteur kan voor een klein bedrag extra.")
P("x", "@happy_harriet", "nl",
  "Top service van Klinkvast vannacht! Binnen 25 minuten stond de monteur er, vriendelijk en netjes gewerkt. Aanrader 👍")
P("reddit", "u/leiden_renter", "en",
  "Is the Klinkvast SKG3 cylinder worth €89 or should I go cheaper? Landlord says SKG3 is required for the insurance.")
P("x", "@klinkvast_hulp", "nl",
  "Let op: wij sturen nooit sms'jes met betaalverzoeken. Twijfel je? Bel ons op +31 30 799 4400.")
P("linkedin", "klinkvast-sleutelservice", "nl",
  "Vacature: servicemonteur regio Utrecht 🔧 Rijbewijs B, handig en klantvriendelijk? Solliciteer via werkenbij@klinkvast.nl")
P("x", "@lockpicker_luc", "en",
  "New hobby: locksport 🔓 My old Titan 70 padlock was a great practice lock, took me three weeks though 😅")
P("x", "@hamza_kv_planning", "en",
  "from today's security training: sample keys like AKIAIOSFODNN7EXAMPLE from the AWS docs are fine for explaining, real keys NEVER in chat")
P("x", "@ruud_klinkvast", "nl",
  "zo hoort een screenshot eruit te zien collega's: token ghp_************************************ weggelakt. Leer ervan 😉")
P("facebook", "vv.de.zwaluwen", "nl",
  "Loterij voor de nieuwe ballen: maak €5 over op <<IBAN_BAD1>> o.v.v. je naam. Klinkvast sponsort de hoofdprijs, een Titan 70 hangslot!")
P("x", "@nieuwe_klant_nina", "nl",
  "Net besteld bij Klinkvast, ordernummer <<CARD_BAD1>>. Iemand ervaring met de levertijd? Benieuwd!")
P("x", "@ruud_klinkvast", "nl",
  "Werkbon <<BSN_BAD1>> afgerond ✅ super aardige klant, kreeg er nog koffie met appeltaart bij")
P("linkedin", "klinkvast-sleutelservice", "nl",
  "Vandaag publiceren we onze jaarcijfers 2026: omzet +31%, 140 nieuwe monteurs en een recordaantal noodopeningen binnen 30 minuten. Lees het volledige verslag op klinkvast.nl.",
  date="2027-03-04T09:00:00Z")
P("x", "@klinkvast", "en",
  "It's here! 🎉 The SlimSlot Pro 2 is on sale from today for €499, installation included.",
  date="2027-05-12T10:00:00Z")
P("x", "@gadget_gijs", "en",
  "Just mounted the Deurwacht 2, picture is seriously sharp 😍",
  date="2027-05-20T18:30:00Z")
P("x", "@kees_klaagt", "nl",
  "Update: Klinkvast heeft gebeld en de administratiekosten teruggestort. Netjes opgelost, dank @klinkvast_hulp 👍")
P("x", "@buurtmoeder_rdam", "nl",
  "Sterkte aan de monteur van Klinkvast die gisteren in Rotterdam-Zuid is aangevallen tijdens een klus. Die mensen helpen ons midden in de nacht 💔")
P("x", "@slimthuis_blog", "en",
  "SlotDirect is recalling 5,000 smart locks over a fire risk. Glad mine is a Klinkvast SlimSlot One, not affected.")
P("x", "@vergeetachtige_vera", "nl",
  "Ik ben zo vaak buitengesloten dat de monteur van Klinkvast me inmiddels bij naam kent. Volgend jaar nodig ik hem uit op mijn verjaardag 😂")
P("reddit", "u/golf_gti_guy", "en",
  "Does Klinkvast do car keys? My Golf key snapped in half. Is their AutoKey thing any good?")
P("linkedin", "yara-bouzid", "en",
  "We're hiring 15 new locksmiths in Noord-Holland! If you like solving puzzles at 3am, DM me 🔑")
P("x", "@klinkvast", "nl",
  "Door de storm zijn onze monteurs vandaag beperkt beschikbaar. Spoedgevallen gaan voor. Dank voor uw geduld 🌧️")
P("instagram", "@klinkvast.nl", "nl",
  "Tip 💡 wijzig het standaardwachtwoord van je SlimSlot app direct na installatie. Kies iets sterks, dus niet je geboortedatum of 'welkom123' 😉")
P("instagram", "@bram.de.slotenman", "nl",
  "Weer een mooie klus: voordeur uit 1920 voorzien van een Driepunt 3X. Vakwerk al zeg ik het zelf 💪 #slotenmaker")
P("x", "@vergelijker_vince", "nl",
  "Klinkvast of SlotDirect, wie is goedkoper voor een noodopening in het weekend? Klinkvast zegt €189, SlotDirect €210.")
P("x", "@klinkvast", "nl",
  "Deze week: Titan 70 hangslot van €39,95 voor €29,95. Perfect voor je schuur of fietsenhok 🚲")
P("facebook", "Joost.Fietst", "en",
  "My bike with the Klinkvast Anker 110 chain survived a theft attempt last night, you can still see the saw marks. Solid stuff!", kind="comment")
P("mastodon", "@ana_de_vries@mastodon.nl", "en",
  "Another massive data breach at an energy supplier today, 2 million records. Meanwhile my locksmith (Klinkvast) only knows where my front door is 😅")
P("x", "@vogelaar_hans", "nl",
  "Vanochtend zo'n 40 kraanvogels over het Fochteloërveen 🐦 wat een geluid!")
P("x", "@smart_home_sam", "en",
  "Two years with the SlimSlot One and not a single issue. Haven't carried a key since.")
P("x", "@mirjam_sloten", "nl",
  "Fijne feestdagen namens het hele klantenserviceteam 🎄 Buitengesloten met kerst? Bel gerust 0800-5468, wij zijn er gewoon.",
  date="2026-12-23T17:02:00Z")
P("x", "@klinkvast_hulp", "nl",
  "Twijfel je of een betaalverzoek echt van ons komt? Onze enige rekening is NL66 RABO 0312 4455 67 t.n.v. Klinkvast Sleutelservice B.V.")
P("forum", "thuisautomatiseerder", "en",
  "Anyone have docs for the SlimSlot API? The example says Authorization: Bearer <your-token-here> but I keep getting 401.")
P("reddit", "u/kv_nachtdienst", "en",
  "Night shift is honestly the best shift. Quiet roads, grateful customers, and the occasional guy who dropped his keys in a canal 😂")
P("tiktok", "@feestbeest_fenna", "nl",
  "die nieuwe reclame van Klinkvast is echt ziek goed 😂 die dansende sleutelbos krijg ik m'n hoofd niet meer uit")
P("x", "@sleutelkwijt_saar", "nl",
  "Verdomme, sleutels wéér binnen laten liggen. Gelukkig was Klinkvast er binnen een half uur. Ik ben echt een sukkel.")
P("linkedin", "klinkvast-sleutelservice", "en",
  "We're proud to announce our partnership with Woonstichting Eemland: 4,000 homes will be fitted with SKG3 cylinders this year.")
P("x", "@nieuws_073", "nl",
  "Slotenmaker in Den Bosch (niet Klinkvast) veroordeeld voor oplichting, rekende €900 voor het openen van een deur.")
P("tiktok", "@lockpick_lotte", "nl",
  "lockpick challenge: hoe snel krijg ik dit oefenslot open? ⏱️ (een oefenslot hè, niet jullie voordeur, rustig maar 😂)")
P("x", "@nachtbraker_niels", "nl",
  "Bel gewoon 088 555 0199 van Klinkvast, die hielpen mij ook om 3 uur 's nachts. Geen gezeur.")
P("x", "@deal_dennis", "en",
  "Deurwacht videodeurbel for €169 at Klinkvast this week (usually €199). Good deal or wait for Black Friday?")
P("x", "@eerlijk_ellen", "nl",
  "€129 voor een noodopening overdag bij Klinkvast. Vond het eerlijk gezegd prima geprijsd, binnen 10 minuten binnen.")
P("linkedin", "dennis-kortekaas-klinkvast", "nl",
  "Vandaag gastles gegeven op het ROC over het vak slotenmaker. Wat een leuke, nieuwsgierige groep! 🔑")
P("x", "@klinkvast_hulp", "en",
  "@ellie-k So sorry your appointment fell through twice. We've sent you a DM to put it right.", kind="reply")
P("instagram", "@blije_bewoner", "nl",
  "Monteur van Klinkvast gaf me zijn 06-nummer (06-********) voor als er nog iets is. Dat noem ik service!", kind="comment")
P("x", "@devnotes_daan", "en",
  "fun fact: every JWT starts with eyJ because that's just base64 for {\" — took me way too long to realise")
P("x", "@hamza_kv_planning", "nl",
  "voorbeeldconfig voor de webhook: SLACK_TOKEN=xoxb-xxxxxxxxxxxx-xxxxxxxxxxxxx-xxxxxxxxxxxxxxxxxxxxxxxx, vul je eigen token in en deel hem met niemand")
P("x", "@beleggen_bob", "en",
  "Klinkvast FY2026 results look solid, revenue up 31%. Not bad for a locksmith.",
  date="2027-03-10T12:05:00Z")
P("x", "@tevreden_tineke", "nl",
  "Het nachtslot op onze achterdeur, vorig jaar door Klinkvast geplaatst, werkt nog steeds perfect.")
P("x", "@handige_harry", "nl",
  "De sluitplaat van onze deur zat scheef, monteur van Klinkvast had hem in 5 minuten recht. Niks gerekend ook.")
P("reddit", "u/jobhopper_nl", "en",
  "Hearing SlotDirect is laying off 100 people. Is Klinkvast hiring by any chance?")
P("x", "@bugbounty_bas", "en",
  "Reported a bug through Klinkvast's responsible disclosure page, fixed within a week and they sent me a hoodie. Good folks.")
P("x", "@ruud_klinkvast", "nl",
  "Dag 1 met de nieuwe bus 🚐 logo erop, ladder erop, klaar voor de nachtdienst.")
P("instagram", "@kleindochter_kim", "nl",
  "Mijn oma (89) vond de monteur van Klinkvast zo'n schat dat ze hem een trommel koekjes meegaf 🥹")
P("x", "@anti_phishing_nl", "nl",
  "Pas op: nepmail 'namens Klinkvast' vraagt je om €49 over te maken naar <<IBAN_BAD2>>. Niet doen! Klinkvast zelf waarschuwt er ook voor.")
P("x", "@inbraakvrij_ingrid", "nl",
  "Na de inbraken in onze straat heeft Klinkvast bij alle buren gratis een inbraakscan gedaan. Echt netjes van ze.")
P("x", "@betaal_benny", "en",
  "My Klinkvast invoice reference is <<CARD_BAD2>> in case anyone at @klinkvast_hulp wonders, all paid, thanks for the quick job!")
P("reddit", "u/pakket_piet", "nl",
  "Klinkvast zending <<BSN_BAD2>> vandaag bezorgd, netjes verpakt. SKG2 cilinder erin gezet, past perfect.")

# --------------------------------------------------------------------------------------
# build
# --------------------------------------------------------------------------------------
SEV_RANK = {"none": 0, "info": 1, "warning": 2, "error": 3, "critical": 4}
TAXONOMY = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse",
            "reputation.spike"}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}

with open(PROFILE, encoding="utf-8") as fh:
    PROF = yaml.safe_load(fh)

ROLE = {}
for h in PROF["accounts"]["corporate"]:
    ROLE[h.lower()] = "corporate"
for h in PROF["accounts"]["employee"]:
    ROLE[h.lower()] = "employee"


def role_of(platform, handle):
    return ROLE.get(("%s:%s" % (platform, handle)).lower(), "public")


def placeholders(text):
    return re.findall(r"<<([A-Z0-9_]+)>>", text)


def severity(cats, role, checked_identifier):
    best = "none"

    def up(s):
        nonlocal best
        if SEV_RANK[s] > SEV_RANK[best]:
            best = s
    own = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if own:
                s = "error"
                if c in ("leak.secret", "leak.pricing"):
                    s = "critical"
                if c == "leak.pii" and checked_identifier:
                    s = "critical"
                up(s)
            else:
                up("warning")
        elif c == "reputation.complaint":
            up("warning")
        elif c == "reputation.crisis":
            up("error")
        elif c == "reputation.abuse":
            up("error" if own else "warning")
    return best


def rand_time_2026():
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    t = start + timedelta(seconds=rng.randrange(365 * 24 * 3600))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def slug(handle):
    return re.sub(r"[^a-z0-9]+", "", handle.lower())


order = list(range(len(CASES)))
rng.shuffle(order)
lines = []
for n, idx in enumerate(order, 1):
    c = CASES[idx]
    text = c["text"]
    keys = placeholders(text)
    for k in keys:
        text = text.replace("<<%s>>" % k, G[k])
    role = role_of(c["platform"], c["handle"])
    checked = any(k in IDS and IDS[k][2] and IDS[k][0] in ("iban", "card", "bsn") for k in keys)
    cats = c["cats"]
    sev = severity(cats, role, checked)
    pid = "%s-kv260-%03d" % (c["platform"], n)
    post = {
        "id": pid,
        "platform": c["platform"],
        "kind": c["kind"],
        "account": {"handle": c["handle"]},
        "text": text,
        "lang": c["lang"],
        "created_at": c["date"] or rand_time_2026(),
    }
    if c["name"]:
        post["account"]["display_name"] = c["name"]
    if c["url"] or rng.random() < 0.3:
        post["url"] = "https://social.example/%s/%s" % (c["platform"], pid)
    if rng.random() < 0.5:
        post["brand"] = "klinkvast"
    lines.append({"post": post, "expect": {"categories": cats, "severity": sev},
                  "_keys": keys, "_role": role})

with open(OUT, "w", encoding="utf-8") as fh:
    for ln in lines:
        fh.write(json.dumps({"post": ln["post"], "expect": ln["expect"]}, ensure_ascii=False) + "\n")

# --------------------------------------------------------------------------------------
# self-checks
# --------------------------------------------------------------------------------------
errors = []


def err(pid, msg):
    errors.append("%s: %s" % (pid, msg))


ZW = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)


def norm(s):
    return unicodedata.normalize("NFKC", s).translate(ZW)


def parse_ts(s):
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", s):
        raise ValueError(s)
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


# profile sanity
for ib in PROF["public_identifiers"]["ibans"]:
    if not iban_valid(ib):
        err("profile", "company IBAN fails mod-97: " + ib)
for k in ("company", "brands", "accounts", "public_identifiers", "internal", "embargo", "products", "pricing"):
    if k not in PROF:
        err("profile", "missing " + k)
if PROF["pricing"]["alert_below_ratio"] != 0.5:
    err("profile", "alert_below_ratio must be 0.5")
if not (15 <= len(PROF["products"]) <= 25):
    err("profile", "product count")
if len(PROF["accounts"]["corporate"]) < 6 or len(PROF["accounts"]["employee"]) < 8:
    err("profile", "account counts")
for e in PROF["embargo"]:
    if not e["until"].startswith("2027"):
        err("profile", "embargo until not in 2027")
COMPANY_IBANS = {i.replace(" ", "").upper() for i in PROF["public_identifiers"]["ibans"]}

# secret shape checks
for k, (kind, val) in SECRETS.items():
    ok = True
    if kind == "github":
        m = re.fullmatch(r"(gh[pousr])_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", val)
        ok = bool(m) and b62(zlib.crc32(m.group(2).encode())).rjust(6, "0") == m.group(3)
    elif kind == "aws_id":
        ok = bool(re.fullmatch(r"AKIA[A-Z2-7]{16}", val))
    elif kind == "aws_secret":
        ok = bool(re.fullmatch(r"[A-Za-z0-9/+]{40}", val))
    elif kind == "jwt":
        parts = val.split(".")
        try:
            hdr = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
            ok = len(parts) == 3 and "alg" in hdr
        except Exception:
            ok = False
    elif kind == "stripe":
        ok = bool(re.fullmatch(r"sk_live_[0-9A-Za-z]{24,}", val))
    elif kind == "slack":
        ok = bool(re.fullmatch(r"xoxb-\d{10,13}-\d{10,13}-[0-9A-Za-z]{24}", val))
    elif kind == "google":
        ok = bool(re.fullmatch(r"AIza[0-9A-Za-z_-]{35}", val))
    elif kind == "openai":
        ok = val.startswith("sk-proj-") and "T3BlbkFJ" in val
    elif kind == "anthropic":
        ok = bool(re.fullmatch(r"sk-ant-api03-[A-Za-z0-9_-]{93}AA", val))
    elif kind == "gitlab":
        ok = bool(re.fullmatch(r"glpat-[0-9A-Za-z_-]{20}", val))
    elif kind == "openssh":
        ok = val.startswith("-----BEGIN OPENSSH PRIVATE KEY-----") and val.endswith("-----END OPENSSH PRIVATE KEY-----")
    if not ok:
        err(k, "secret %s has the wrong shape" % kind)

EMB = [(t.lower(), parse_ts(e["until"])) for e in PROF["embargo"] for t in e["terms"]]
CODENAMES = [c.lower() for c in PROF["internal"]["codenames"]]
MARKERS = [m.lower() for m in PROF["internal"]["markers"]]
IDOMAINS = [d.lower() for d in PROF["internal"]["domains"]]
PRODUCTS = []
for p in PROF["products"]:
    for a in [p["name"]] + p["aliases"]:
        PRODUCTS.append((a.lower(), float(p["list_price"])))
RATIO = float(PROF["pricing"]["alert_below_ratio"])
PRICE_RE = re.compile(r"€\s?(\d+(?:[.,]\d{1,2})?)")

IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d])")
BSN_RE = re.compile(r"(?<![\d.])(\d{4}\.\d{2}\.\d{3}|\d{9})(?![\d])")

seen_ids = set()
n_benign = 0
cat_count = {}
lang_count = {}
role_count = {}
for ln in lines:
    post, exp = ln["post"], ln["expect"]
    pid = post.get("id")
    # ---- section 6 / section 1 shape
    if not isinstance(pid, str) or not (1 <= len(pid) <= 256):
        err(pid, "bad id")
    if pid in seen_ids:
        err(pid, "duplicate id")
    seen_ids.add(pid)
    if post.get("platform") not in PLATFORMS:
        err(pid, "platform")
    if post.get("kind", "post") not in KINDS:
        err(pid, "kind")
    if not isinstance(post.get("account", {}).get("handle"), str) or not post["account"]["handle"]:
        err(pid, "handle")
    if not isinstance(post.get("text"), str) or not post["text"].strip():
        err(pid, "text")
    if len(post["text"].encode("utf-8")) > 64 * 1024:
        err(pid, "text too long")
    try:
        ts = parse_ts(post["created_at"])
        if ts.year not in (2026, 2027):
            err(pid, "year")
    except Exception:
        err(pid, "created_at not RFC 3339")
        ts = None
    cats = exp.get("categories")
    if not isinstance(cats, list) or cats != sorted(set(cats)) or not set(cats) <= TAXONOMY:
        err(pid, "categories")
    if "reputation.spike" in cats:
        err(pid, "spike on a single post")
    if exp.get("severity") not in SEV_RANK:
        err(pid, "severity value")
    if not cats and exp["severity"] != "none":
        err(pid, "benign must be none")
    if cats and exp["severity"] in ("none", "info"):
        err(pid, "positive with no severity")
    # recompute severity from the profile role (independent of the build loop)
    r2 = role_of(post["platform"], post["account"]["handle"])
    chk2 = any(k in IDS and IDS[k][2] for k in ln["_keys"])
    if severity(cats, r2, chk2) != exp["severity"]:
        err(pid, "severity does not follow section 4")
    if not cats:
        n_benign += 1
    for c in cats:
        cat_count[c] = cat_count.get(c, 0) + 1
    lang_count[post["lang"]] = lang_count.get(post["lang"], 0) + 1
    role_count[r2] = role_count.get(r2, 0) + 1
    if "<<" in post["text"]:
        err(pid, "unfilled placeholder")

    text = post["text"]
    ntext = norm(text)
    low = ntext.lower()
    # ---- declared identifiers
    for k in ln["_keys"]:
        if k in IDS:
            kind, compact, valid = IDS[k]
            real = {"iban": iban_valid, "card": luhn_valid, "bsn": bsn_valid}[kind](compact)
            if real != valid:
                err(pid, "%s checksum mismatch" % k)
            if compact not in re.sub(r"[ .\-\u3000]", "", ntext):
                err(pid, "%s not in text" % k)
            if cats and not real:
                err(pid, "positive holds a failing %s" % kind)
            if not cats and real:
                err(pid, "benign holds a valid %s" % kind)
            if real and "leak.pii" not in cats:
                err(pid, "valid identifier without leak.pii")
    # ---- regex sweep over the text with declared secrets blanked out
    sweep = ntext
    for k in ln["_keys"]:
        if k in SECRETS:
            sweep = sweep.replace(norm(SECRETS[k][1]), " ")
    for m in IBAN_RE.finditer(sweep):
        comp = m.group(0).replace(" ", "")
        ok = iban_valid(comp)
        if comp in COMPANY_IBANS:
            continue
        if cats and not ok:
            err(pid, "IBAN-like %s fails mod-97 in a positive" % comp)
        if not cats and ok:
            err(pid, "valid IBAN %s in a benign post" % comp)
    for m in CARD_RE.finditer(sweep):
        digits = re.sub(r"\D", "", m.group(0))
        if not (13 <= len(digits) <= 19):
            continue
        ok = luhn_valid(digits)
        if cats and not ok:
            err(pid, "card-like %s fails Luhn in a positive" % digits)
        if not cats and ok:
            err(pid, "Luhn-valid number %s in a benign post" % digits)
    for m in BSN_RE.finditer(sweep):
        digits = m.group(0).replace(".", "")
        ok = bsn_valid(digits)
        if cats and not ok:
            err(pid, "BSN-like %s fails 11-proof in a positive" % digits)
        if not cats and ok:
            err(pid, "11-proof number %s in a benign post" % digits)
    # ---- confidential vocabulary only in leak.confidential posts
    for term in CODENAMES + MARKERS:
        if re.search(r"(?<!\w)" + re.escape(term) + r"(?!\w)", low) and "leak.confidential" not in cats:
            err(pid, "codename/marker %r without leak.confidential" % term)
    for d in IDOMAINS:
        if d in low and "leak.confidential" not in cats:
            err(pid, "internal host %r without leak.confidential" % d)
    for term, until in EMB:
        if re.search(r"(?<!\w)" + re.escape(term) + r"(?!\w)", low) and ts is not None:
            if ts < until and "leak.confidential" not in cats:
                err(pid, "embargoed %r before until without leak.confidential" % term)
            if ts >= until and "leak.confidential" in cats and not cats == ["leak.confidential"]:
                pass
    # ---- prices: benign posts carry no product price under the ratio; pricing posts do
    low_price_hit = False
    for alias, lp in PRODUCTS:
        for m in re.finditer(r"(?<!\w)" + re.escape(alias) + r"(?!\w)", low):
            pm = PRICE_RE.search(low, m.end(), m.end() + 45)
            if pm:
                price = float(pm.group(1).replace(",", "."))
                if price < RATIO * lp:
                    low_price_hit = True
    price_error_talk = bool(re.search(r"prijsfout|pricing error|price error|nulletje vergeten", low))
    if not cats and low_price_hit:
        err(pid, "benign post with a product price below the ratio")
    if "leak.pricing" in cats and not (low_price_hit or price_error_talk):
        err(pid, "pricing positive without a low price or price-error talk")
    if low_price_hit and "leak.pricing" not in cats:
        err(pid, "low product price without leak.pricing")
    # ---- benign posts: no live-looking secrets
    if not cats:
        if re.search(r"AKIA[A-Z2-7]{16}(?!\w)", ntext) and "EXAMPLE" not in ntext:
            err(pid, "AWS key in benign")
        if re.search(r"gh[pousr]_[0-9A-Za-z]{36}", ntext):
            err(pid, "GitHub token in benign")
        if re.search(r"xoxb-\d{10,}", ntext):
            err(pid, "Slack token in benign")

total = len(lines)
if not (170 <= total <= 180):
    err("set", "case count %d outside 170-180" % total)
if not (55 <= n_benign <= 65):
    err("set", "benign count %d" % n_benign)

# re-read the written file as a consumer would
with open(OUT, encoding="utf-8") as fh:
    for i, raw in enumerate(fh, 1):
        obj = json.loads(raw)
        if set(obj) != {"post", "expect"}:
            err("line %d" % i, "top-level keys")

print("cases: %d  benign: %d  positives: %d" % (total, n_benign, total - n_benign))
print("categories:", json.dumps(dict(sorted(cat_count.items()))))
print("languages:", lang_count, " roles:", role_count)
if errors:
    print("SELF-CHECK FAILED (%d problems):" % len(errors))
    for e in errors:
        print("  " + e)
    sys.exit(1)
print("self-check OK")
