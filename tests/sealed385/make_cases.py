#!/usr/bin/env python3
"""Build cases.jsonl for the Wielewaal Binnenvaart sealed set and self-check it.

Deterministic: fixed seed, standard library + PyYAML. Post texts are hand-written;
placeholders <<kind>> are filled with generated identifiers / credentials built the
way real ones are (with checksums where the format has one). Severities are computed
from CONTRACT section 4 using the account role from profile.yaml, never typed by hand.
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
SEED = 385_2026
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# ---------------------------------------------------------------- generators
ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase  # 0-9A-Za-z


def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def gh_token(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")


def gh_valid(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()) & 0xFFFFFFFF).rjust(6, "0") == m.group(2)


def aws_id():
    return "AKIA" + rand(string.ascii_uppercase + "234567", 16)


def aws_secret():
    return rand(string.ascii_letters + string.digits + "/+", 40)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt():
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    iat = 1767225600 + rng.randrange(0, 30_000_000)
    payload = b64url(json.dumps({"sub": "planner-%d" % rng.randrange(100, 999), "iss": "vaarportaal",
                                 "role": "planning-rw", "iat": iat, "exp": iat + 86400 * 30},
                                separators=(",", ":")).encode())
    sig = b64url(bytes(rng.randrange(256) for _ in range(32)))
    return f"{header}.{payload}.{sig}"


def stripe_live():
    return "sk_live_51" + rand(ALNUM, 97)


def slack_bot():
    return "xoxb-%d-%d-%s" % (rng.randrange(10**11, 10**12), rng.randrange(10**12, 10**13), rand(ALNUM, 24))


def openai_key():
    tail = string.ascii_letters + string.digits + "_-"
    return "sk-proj-" + rand(tail, 74) + "T3BlbkFJ" + rand(tail, 74)


def google_key():
    return "AIza" + rand(string.ascii_letters + string.digits + "_-", 35)


def gitlab_pat():
    return "glpat-" + rand(string.ascii_letters + string.digits + "_-", 20)


def openssh_key():
    raw = b"openssh-key-v1\x00" + bytes(rng.randrange(256) for _ in range(380))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def password():
    word = rng.choice(["Sluiswachter", "Merwede", "Kempenaar", "Bolder", "Ankerketting", "Stuurhuis", "Kikkerpoot"])
    return word + rng.choice("!#$%&*") + str(rng.randrange(10, 99)) + rand(string.ascii_lowercase, 2)


def db_password():
    return rand(string.ascii_letters + string.digits, 18)


def iban_check(cc, bban):
    s = bban + cc + "00"
    n = int("".join(str(int(c, 36)) for c in s))
    return "%02d" % (98 - n % 97)


def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def iban(valid=True):
    bank = rng.choice(["INGB", "ABNA", "RABO", "SNSB", "TRIO", "ASNB", "KNAB", "BUNQ"])
    bban = bank + "".join(rng.choice(string.digits) for _ in range(10))
    chk = iban_check("NL", bban)
    if not valid:
        chk = "%02d" % ((int(chk) + rng.randrange(1, 90) - 2) % 97 + 2)
        while chk == iban_check("NL", bban):
            chk = "%02d" % ((int(chk) + 7) % 97 + 2)
    s = "NL" + chk + bban
    return group4(s) if rng.random() < 0.6 else s


def luhn_ok(digits):
    d = [int(c) for c in digits][::-1]
    tot = 0
    for i, x in enumerate(d):
        if i % 2:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def card(valid=True):
    prefix = rng.choice(["4", "51", "52", "53", "54", "55"])
    body = prefix + "".join(rng.choice(string.digits) for _ in range(15 - len(prefix)))
    for last in string.digits:
        if luhn_ok(body + last):
            break
    num = body + last
    if not valid:
        num = body + str((int(last) + rng.randrange(1, 10)) % 10)
    fmt = rng.choice(["space", "space", "dash", "plain"])
    if fmt == "space":
        return group4(num)
    if fmt == "dash":
        return "-".join(num[i:i + 4] for i in range(0, 16, 4))
    return num


def bsn_ok(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    if len(d) != 9 or not any(d):
        return False
    tot = sum(w * x for w, x in zip(range(9, 1, -1), d[:8])) - d[8]
    return tot % 11 == 0


def bsn(valid=True):
    while True:
        d = [rng.randrange(10) for _ in range(9)]
        d[0] = rng.randrange(1, 10)
        s = "".join(map(str, d))
        if valid:
            tot = sum(w * x for w, x in zip(range(9, 1, -1), d[:8])) % 11
            if tot == 10:
                continue
            s = s[:8] + str(tot)
            if bsn_ok(s):
                break
        elif not bsn_ok(s):
            break
    return s if rng.random() < 0.6 else f"{s[:4]}.{s[4:6]}.{s[6:]}"


GEN = {
    "ghp": gh_token, "aws_id": aws_id, "aws_secret": aws_secret, "jwt": jwt, "stripe": stripe_live,
    "slack": slack_bot, "openai": openai_key, "google": google_key, "gitlab": gitlab_pat,
    "pem": openssh_key, "pw": password, "dbpass": db_password,
    "iban": lambda: iban(True), "iban_bad": lambda: iban(False),
    "card": lambda: card(True), "card_bad": lambda: card(False),
    "bsn": lambda: bsn(True), "bsn_bad": lambda: bsn(False),
}
SECRET_KINDS = {"ghp", "aws_id", "aws_secret", "jwt", "stripe", "slack", "openai", "google", "gitlab", "pem", "pw", "dbpass"}
VALID_ID_KINDS = {"iban", "card", "bsn"}
BAD_ID_KINDS = {"iban_bad", "card_bad", "bsn_bad"}


def fw(s):
    """Full-width letters (evasion)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


ZW = "\u200b"
CYR_O, CYR_E, CYR_A = "\u043e", "\u0435", "\u0430"

# ---------------------------------------------------------------- cases
# (platform, handle, lang, created_at or None, kind or None, categories, text)
CP = "reputation.complaint"
CR = "reputation.crisis"
AB = "reputation.abuse"
CO = "leak.confidential"
FI = "leak.financial"
SE = "leak.security"
SC = "leak.secret"
PI = "leak.pii"
PR = "leak.pricing"

RAW = [
    # ---------------- complaints
    ("x", "@rotterdamse_ria", "nl", None, "reply", [CP],
     "@wielewaal_service al 3 dagen wachten op onze 2 containers uit Duisburg, de tracking zegt 'onderweg' sinds maandag. niemand neemt op. serieus??"),
    ("linkedin", "jeroen-mulder-logistiek", "en", None, None, [CP],
     "Third time this quarter that a Wielewaal barge misses its terminal window at Moerdijk. Our trucks sat idle for six hours. We pay for a slot, we expect the slot. Seriously reconsidering our contract."),
    ("facebook", "Annemiek.Vos.71", "nl", None, None, [CP],
     "Rondvaart Biesbosch vandaag... boot 40 min te laat weg, geen uitleg, koffie was op en de wc's waren smerig. Met 2 kleine kinderen echt geen pretje. Jammer Wielewaal 👎"),
    ("x", "@freightnerd_de", "en", None, "reply", [CP],
     "@wielewaal_nl your BargeTrack live has shown our boxes in Nijmegen for 4 days while they're already sitting in Rotterdam. what am i paying 49 a month for lol"),
    ("reddit", "u/schipperszoon", "nl", None, None, [CP],
     "Iemand anders ook gedoe met de facturatie van Wielewaal? Krijgen nu voor de tweede keer een rekening voor liggeld dat allang betaald is, en de klantenservice stuurt alleen standaardmailtjes terug. Zucht."),
    ("x", "@dinyvanl", "nl", None, None, [CP],
     "Dinercruise Maas geboekt voor ons 25-jarig huwelijk. Eten lauw, bediening kwam 1x langs en door de harde muziek konden we elkaar niet eens verstaan. €178 voor dit. Nooit meer. #wielewaal"),
    ("instagram", "@kaatje.fietst", "nl", None, "comment", [CP],
     "lekveer gewoon niet gevaren vanochtend?? geen bordje, niks op de site, stond met m'n fiets 25 min in de regen te wachten. super dan @wielewaal.rondvaart 🙃"),
    ("linkedin", "sabine-kraus-chemlog", "en", None, None, [CP],
     "Disappointed with Wielewaal's TankFlex service. The tank cleaning certificate was missing at loading, so our product sat in the Botlek for two extra days - and apparently the demurrage is now our problem."),
    ("x", "@havenjongen010", "nl", None, None, [CP],
     "container met een kapotte deur afgeleverd door wielewaal, schade netjes gemeld op de kade maar volgens hun was het 'al zo voor vertrek'. ja hoor tuurlijk"),
    ("mastodon", "@tobias@norden.social", "en", None, None, [CP],
     "Booked the Biesbosch boat tour for my parents' anniversary. Cancelled by SMS two hours before departure, 'technical failure'. Refund takes 'up to 30 working days'. Come on, Wielewaal."),
    ("youtube", "@BinnenvaartKijker", "nl", None, "comment", [CP],
     "Mooie video hoor, maar waarom zijn de reefer-aansluitingen in Moerdijk nog steeds niet gemaakt? Onze koelcontainer heeft een hele nacht zonder stroom gestaan. Schade voor onze rekening natuurlijk."),
    ("threads", "@marloesbakt", "nl", None, None, [CP],
     "wielewaal klantenservice is echt een grap. 4 mails, 0 antwoord. onze verhuisbak staat al 2 weken in Zwijndrecht ipv Dordrecht en niemand weet waarom 🙄"),
    # complaint + crisis: first-hand safety incidents
    ("facebook", "Gerrit.Pol.Zwijndrecht", "nl", None, None, [CP, CR],
     "Gisteren tijdens de Biesboschtocht is mijn vader uitgegleden op het natte trapje naar het benedendek. Geen antislip, aan één kant geen leuning. Pols gebroken. Het personeel deed alsof het z'n eigen schuld was. Wielewaal, dit had nooit mogen gebeuren."),
    ("x", "@sarah_on_rivers", "en", None, None, [CP, CR],
     "On the @wielewaal_nl dinner cruise last night half our table got food poisoning. Up all night throwing up, my sister ended up in A&E. We all had the same fish. Never again."),
    ("reddit", "u/lekveerpendel", "nl", None, None, [CP, CR],
     "Vanochtend bij het aanleggen van de Lekveer klapte de klep te vroeg naar beneden en ik werd met fiets en al geraakt. Blauwe knie en een krom wiel, had veel erger kunnen aflopen met een kind ernaast. Niemand van de bemanning kwam ook maar even kijken."),
    ("linkedin", "marco-van-rijn-tankstorage", "en", None, None, [CP, CR],
     "Serious near-miss at our jetty yesterday: a Wielewaal tank barge started pumping before the hose was secured. One of our operators got sprayed with product, luckily only skin irritation. We expect a full explanation from Wielewaal, not another boilerplate email."),
    # complaint + abuse
    ("x", "@boze_bert", "nl", None, "reply", [AB, CP],
     "@wielewaal_service stelletje klootzakken, 3 weken mijn container kwijt en nu hangen jullie gewoon op als ik bel. kankerbedrijf"),
    ("x", "@dockside_dave", "en", None, None, [AB, CP],
     "wielewaal are a bunch of useless f***ing clowns. lost our reefer for two days and nobody gives a shit. absolute morons"),
    # complaint + pii (customer exposing own data)
    ("x", "@jolandavh", "nl", None, "reply", [CP, PI],
     "@wielewaal_service ik wacht nu 2 weken op mijn terugbetaling voor de geannuleerde rondvaart!! Bel me gewoon terug op 06-4183 2290 of mail naar jolanda.vanhulst@ziggo.nl, boekingsnr WR-88213"),
    ("facebook", "Rik.Achterberg", "en", None, "comment", [CP, PI],
     "Still no refund for the dinner cruise YOU cancelled. It was promised 'within 5 days' three weeks ago. Account is <<iban>> in the name of R. Achterberg, in case you lost that too."),

    # ---------------- crisis
    ("x", "@rivierjournaal", "nl", None, None, [CR],
     "BREAKING: duwbak van Wielewaal Binnenvaart in aanvaring met brugpijler bij Nijmegen, deel van de containers in de Waal. Scheepvaart gestremd. #waal #binnenvaart"),
    ("x", "@eco_waakhond", "en", None, None, [CR],
     "Oil sheen spotted downstream of the Wielewaal depot in Dordrecht. Again. Second time this year. Who is going to hold them accountable? #pollution #biesbosch"),
    ("instagram", "@rivierrebellen", "nl", None, None, [CR],
     "BOYCOT WIELEWAAL 🚫 Ze laten hun schepen 's nachts het bilgewater lozen in de Biesbosch. Deel dit en boek geen rondvaart meer bij ze! #boycotwielewaal"),
    ("x", "@binnenvaartnieuws", "en", None, None, [CR],
     "Wielewaal Binnenvaart sued by former crew members over unpaid overtime and falsified rest-hour logs, court papers show."),
    ("reddit", "u/privacy_paul", "en", None, None, [CR],
     "Pretty sure Wielewaal's booking site got breached. My partner and I both got phishing mails quoting our exact Biesbosch booking numbers the day after we booked. Anyone else?"),
    ("x", "@scheepvaartflits", "nl", None, None, [CR],
     "Inspectie onderzoekt brand in de machinekamer van een Wielewaal-schip bij Tiel. Twee bemanningsleden met rookvergiftiging naar het ziekenhuis."),
    ("tiktok", "@dordtse_dani", "nl", None, None, [CR],
     "jongens wist je dat wielewaal hun dekknechten 14 uur per dag laat werken voor een hongerloontje?? 🤬 dit moet iedereen weten #schandaal #binnenvaart"),
    ("facebook", "BewonersvoorDeBiesbosch", "nl", None, None, [CR],
     "Oproep: teken de petitie tegen de uitbreiding van het Wielewaal-overslagterrein. Dag en nacht herrie, en nu willen ze er nog 40% meer containers bij. Wij stappen naar de Raad van State."),
    ("bluesky", "@lisa-scheepvaart.bsky.social", "en", None, None, [CR],
     "Wielewaal is recalling every life jacket on its Biesbosch boats after one failed to inflate during a drill. Statement just dropped."),
    ("x", "@maaskantje_nieuws", "nl", None, None, [CR],
     "Passagier (71) overboord geslagen tijdens rondvaart van Wielewaal op de Nieuwe Merwede, door omstanders uit het water gehaald. Politie stelt onderzoek in."),
    ("linkedin", "karin-de-wit-compliance", "en", None, None, [CR],
     "Reports that Wielewaal has been filing inflated emission savings for its GroenVaren compensation scheme are deeply worrying. If true, this is greenwashing at scale."),

    # ---------------- abuse
    ("x", "@stuurhuiscowboy", "nl", None, "reply", [AB],
     "@kapiteinmarijke ga toch terug naar de keuken wijf, vrouwen horen niet in een stuurhuis"),
    ("x", "@hans_dordt", "nl", None, None, [AB],
     "wielewaal = tyfusbedrijf met tyfuspersoneel. die stuurman van de lekveer is een achterlijke debiel"),
    ("reddit", "u/bargehater", "en", None, "comment", [AB],
     "Wielewaal staff are brain-dead idiots, every single one of them. Hope their rotten company sinks."),
    ("instagram", "@xxmeesterjan", "nl", None, "comment", [AB],
     "lelijke boot, lelijk personeel, stelletje mongolen"),
    ("tiktok", "@r1v3rrat", "en", None, "comment", [AB],
     "w1el3waal 1s run by a bunch of f*cking r3t4rds lmao"),
    ("x", "@anoniempje_77", "nl", None, None, [AB],
     "hé @lotte.aan.boord van wielewaal, ik weet waar jij woont en wanneer je dienst hebt op de boot. kijk maar goed uit 😈"),
    ("youtube", "@Kees1959", "nl", None, "comment", [AB],
     "Wat een stelletje zakkenwassers bij Wielewaal, en die presentatrice met d'r domme kop ook."),
    ("x", "@bas_verschuur", "nl", None, None, [AB],
     "die verlader uit Duisburg is echt een kuttenkop. laat ons 5 uur wachten en dan nog zeiken ook. mongool"),
    ("facebook", "WielewaalRondvaart", "nl", None, "comment", [AB],
     "Als u niet tevreden bent blijft u lekker thuis, zeurpiet. Sommige mensen zijn gewoon te dom om een ticket te lezen."),
    ("x", "@grumpyskipper", "en", None, None, [AB],
     "wielewaal's planners are s h i t h e a d s, every last one of them"),

    # ---------------- confidential
    ("linkedin", "eline-kuipers-planning", "nl", None, None, [CO],
     "Wat een dag! Workshop met het team over Project Reiger, de nieuwe planningsmotor voor alle Rijn-afvaarten. Mag er nog weinig over zeggen, maar dit gaat ons werk echt veranderen 🚢"),
    ("x", "@noor_haddou_it", "en", None, None, [CO],
     "anyone know why git.wielewaal.local keeps timing out from the Moerdijk office? need to push the Blauwe Aak branch before friday"),
    ("instagram", "@stuurman.sem", "nl", "2026-09-14T16:22:05Z", None, [CO],
     "Sneak peek van de Hermes LNG-duwbak 👀 ligt nu in het dok in Hardinxveld, volgend voorjaar de vaart in. sst 🤫"),
    ("reddit", "u/dekknecht_jop", "nl", None, None, [CO],
     "Kregen vandaag een memo 'alleen voor intern gebruik' dat alle rondvaartboten volgend seizoen naar Werkendam gaan en de steiger in Drimmelen dichtgaat. Iemand die hier meer van weet?"),
    ("linkedin", "wielewaal-binnenvaart", "en", "2026-11-03T09:10:00Z", None, [CO],
     "[WW-INTERN - draft, not for publication before approval] Proud to present the Rijnlijn Express: Rotterdam to Basel three times a week, fully electric on the last leg."),
    ("x", "@scheepsspotter_nl", "nl", "2026-10-21T13:48:31Z", None, [CO],
     "Gespot in Hardinxveld: nieuw casco met 'Rijnlijn Express' op de spiegel. Wielewaal heeft iets op stapel 👀📸"),
    ("x", "@kapiteinmarijke", "nl", None, None, [CO],
     "Wie heeft het juiste inlogadres van vlootnet.wielewaal.local voor de nieuwe tablets aan boord? Die link in de mail werkt niet"),
    ("linkedin", "ruud-de-graaf-wielewaal", "en", None, None, [CO],
     "Great kickoff of Operatie Sluisdeur with our partners today. Can't share more yet, but the inland shipping map of Brabant is about to change."),
    ("tiktok", "@lotte.aan.boord", "nl", None, None, [CO],
     "dag 3 van de training voor " + fw("blauwe aak") + " 🤐 meer mag ik echt niet zeggen haha"),
    ("mastodon", "@priya_hrw", "en", None, None, [CO],
     "Reminder for the team: the Wielewaal Vertrouwelijk deck about the new crew rosters is NOT to be forwarded to agencies. Latest version: https://confluence.wielewaal.nl/display/HR/roosters-2027"),
    ("x", "@wielewaal_nl", "nl", None, None, [CO],
     "Eerste blik op onze nieuwe planning-app 🎉 (screenshot van staging.vaarportaal.wielewaal.local) - binnenkort voor alle klanten!"),
    ("facebook", "henk.vandam.havenmeester", "nl", None, None, [CO],
     "Vandaag de eerste proefvaart met het schip voor Pr" + CYR_O + "ject R" + CYR_E + "iger, mooi ding hoor. Foto's volgen als het mag 😉"),
    ("linkedin", "thomas-grau-consulting", "en", None, None, [CO],
     "Had an interesting chat with a Wielewaal planner who walked me through their Blauwe Aak dashboard. Seriously impressive automation, hope they launch it soon."),
    ("x", "@bas_verschuur", "nl", None, None, [CO],
     "Nieuwe route zit in het systeem: Operatie Sluis" + ZW + "deur start in maart, Moerdijk-Born 2x per week 👌"),
    # confidential + financial (embargoed results)
    ("linkedin", "ruud-de-graaf-wielewaal", "nl", "2027-01-28T18:05:44Z", None, [CO, FI],
     "Laatste hand gelegd aan de jaarcijfers 2026. Zonder te veel te verklappen: omzet +14% en EBITDA ruim boven de 9 miljoen. Trots op dit team!"),
    ("x", "@noor_haddou_it", "en", "2027-02-10T21:14:09Z", None, [CO, FI],
     "FY2026 results deck finally done - net profit roughly doubled vs 2025. Board tomorrow, then the world on the 25th 🤐"),
    ("x", "@beursbinnenvaart", "nl", "2027-02-20T08:31:00Z", None, [CO, FI],
     "Ingewijde tipt ons: jaarcijfers 2026 van Wielewaal laten een verlies van €3,1 mln zien door de lange laagwaterperiode. Publicatie pas volgende week."),

    # ---------------- financial
    ("linkedin", "ruud-de-graaf-wielewaal", "en", None, None, [FI],
     "Busy weeks. Due diligence on the takeover of a smaller Rhine tank operator is almost wrapped up - announcement expected in Q3, can't name them yet 😉"),
    ("x", "@bas_verschuur", "nl", None, None, [FI],
     "hoorde vandaag dat er na de zomer 40 man uit moet bij de rondvaart. nog niks officieel maar de lijst ligt al klaar. balen man"),
    ("mastodon", "@priya_hrw", "en", None, None, [FI],
     "Tough period ahead in HR: we'll be closing the Drimmelen office and cutting about 25 roles by December. Not announced yet, so please be kind to your colleagues."),
    ("reddit", "u/binnenvaart_insider", "nl", None, None, [FI],
     "Van iemand bij de bank gehoord: Wielewaal staat op het punt overgenomen te worden door een Duitse rederij, deal van rond de €85 mln. Aankondiging over 2 weken."),
    ("x", "@kapiteinmarijke", "nl", None, None, [FI],
     "Interne prognose die we vandaag kregen: omzet containervaart dit jaar 18% onder budget door het laagwater. Management zegt nog niks naar buiten."),
    ("linkedin", "wielewaal-binnenvaart", "en", None, None, [FI],
     "Wielewaal Binnenvaart to acquire Zuiderstroom Tankvaart for EUR 42 million, creating the largest independent tank fleet on the Maas. [DRAFT - hold until signing]"),
    ("instagram", "@stuurman.sem", "nl", None, None, [FI],
     "net gehoord dat de hele vloot (28 schepen) verkocht wordt aan een investeerder en wij ze terugleasen. Q1 wordt het bekend, zeg maar niks 🤫"),
    ("facebook", "henk.vandam.havenmeester", "nl", None, None, [FI],
     "Cijfers eerste halfjaar zijn binnen: bijna 2 ton verlies op de terminal Dordrecht. Komt pas in september naar buiten dus hou het even onder ons mannen"),
    ("linkedin", "mark-jansen-shipbroking", "en", None, None, [FI],
     "Heard from two separate sources that Wielewaal will miss its 2026 volume forecast by a wide margin and is preparing a restructuring with layoffs at the Moerdijk terminal. Not public yet."),

    # ---------------- security
    ("x", "@noor_haddou_it", "en", None, None, [SE],
     "Long night. Ransomware hit our planning servers around 2am, everything is encrypted. Ships are sailing on paper schedules. Please don't RT, comms hasn't said anything yet."),
    ("reddit", "u/dekknecht_jop", "nl", None, None, [SE],
     "Aan boord kan iedereen met het standaard fabriekswachtwoord op de ECDIS-terminal inloggen. Al maanden gemeld bij IT, er gebeurt niks. Zou me niks verbazen als er ooit iemand in komt."),
    ("x", "@kapiteinmarijke", "nl", None, None, [SE],
     "Onze AIS-transponders geven al 3 dagen verkeerde posities door voor de hele vloot, IT denkt aan spoofing. Klanten weten nog van niks."),
    ("linkedin", "eline-kuipers-planning", "en", None, None, [SE],
     "Heads-up to fellow planners: the Vaarportaal booking API has been down since 06:00 and customer data may have been exposed through an open test endpoint. Official statement will follow."),
    ("instagram", "@stuurman.sem", "nl", None, None, [SE],
     "hele kantoor Dordrecht plat, iemand van finance heeft een phishingmail geopend 🙈 alles offline tot morgen, we varen op de gok"),
    ("tiktok", "@lotte.aan.boord", "nl", None, None, [SE],
     "pov: het kassasysteem op de boot is gehackt en alle pinbetalingen gaan naar een of ander vaag rekeningnummer 💀 niemand mag het zeggen maar ja"),
    ("x", "@bas_verschuur", "en", None, None, [SE],
     "The admin page of the onboard wifi router is reachable from the internet on every single barge in our fleet. Found it with a basic port scan. Reported internally 2 months ago, still wide open."),
    ("facebook", "henk.vandam.havenmeester", "nl", None, None, [SE],
     "Sluisbediening op onze eigen terminal ligt er sinds vannacht uit, er zat iemand van buitenaf op de besturing. Politie is ingeschakeld maar het mag nog niet naar buiten."),
    ("reddit", "u/nachtdienst_dordt", "en", None, None, [SE],
     "I work nights at Wielewaal. Our customer database was dumped last week, IT is wiping laptops left and right, and management still hasn't told a single customer."),
    ("mastodon", "@priya_hrw", "en", None, None, [SE],
     "Our HR portal has been showing payslips to the wrong employees since Monday's update. IT says a fix is coming; nobody outside knows yet, let's keep it that way for now."),
    ("x", "@wielewaal_service", "nl", None, "reply", [SE],
     "@klant_jan excuus! Er is gisteren ingebroken in ons boekingssysteem en alle betaalgegevens worden nu onderzocht, daarom kunnen we tijdelijk geen wijzigingen doen."),
    ("x", "@noor_haddou_it", "nl", None, None, [CO, SE],
     "vpn.wielewaal.nl ligt er al de hele ochtend uit en we zien rare logins uit het buitenland op jira.wielewaal.nl. nog niet naar buiten brengen aub"),
    ("x", "@noor_haddou_it", "en", None, None, [SC, SE],
     "we got breached via an old deploy key, rotating everything now. if CI breaks in the meantime use this temporary one: <<ghp>>"),

    # ---------------- secrets
    ("reddit", "u/dekknecht_jop", "nl", None, None, [SC],
     "wifi aan boord van de Merwede ✌️ netwerk: crew-achter, wachtwoord: <<pw>>"),
    ("x", "@bas_verschuur", "en", None, None, [SC],
     "anyone know why this keeps failing?\nAWS_ACCESS_KEY_ID=<<aws_id>> AWS_SECRET_ACCESS_KEY=<<aws_secret>> aws s3 ls s3://fleet-logs"),
    ("linkedin", "eline-kuipers-planning", "nl", None, None, [SC],
     "Voor wie ook met onze planning-API wil spelen, deze header werkt:\nAuthorization: Bearer <<jwt>>"),
    ("forum", "havenhacker", "en", None, None, [SC],
     "lol, Wielewaal's Vaarportaal app ships its live Stripe key inside the APK: <<stripe>>"),
    ("x", "@noor_haddou_it", "en", None, None, [SC],
     "slack bot for night-shift alerts is finally live 🎉 token for the testers: <<slack>>"),
    ("mastodon", "@priya_hrw", "nl", None, None, [SC],
     "Kan iemand van IT me helpen? Ik krijg bij het roosterprogramma steeds 'ongeldige sessie'. gebruiker: p.raghoebier wachtwoord: <<pw>>"),
    ("instagram", "@stuurman.sem", "nl", None, None, [SC],
     "voor de collega's die het dashboard willen bekijken: postgres://planner:<<dbpass>>@10.20.4.11:5432/vloot"),
    ("x", "@bas_verschuur", "nl", None, None, [SC],
     "openai key van het laadplan-project, niet doorsturen he: <<openai>>"),
    ("reddit", "u/dekknecht_jop", "en", None, None, [SC],
     "trying to ssh into the box in the engine room, is this key in the right format?\n<<pem>>"),
    ("youtube", "@WielewaalBinnenvaart", "nl", None, None, [SC],
     "Hoe werkt de kaart in onze app? In deze video laten we het zien 🗺️ (Maps key voor ontwikkelaars: <<google>>)"),
    ("x", "@devops_dirk", "en", None, None, [SC],
     "ugh, pasted this in the wrong channel. Wielewaal folks please rotate asap: <<gitlab>>"),

    # ---------------- personal data
    ("x", "@wielewaal_service", "nl", None, "reply", [PI],
     "@m_dekker Beste mevrouw Dekker, uw terugbetaling is vandaag overgemaakt naar <<iban>>. Met vriendelijke groet, Team Wielewaal"),
    ("x", "@bas_verschuur", "nl", None, None, [PI],
     "Telefoon gevonden op de Biesboschtocht. Eigenaar is Karel Moens, nummer 06 2751 8834 staat op de hoes. Iemand die hem kent?"),
    ("facebook", "henk.vandam.havenmeester", "nl", None, None, [PI],
     "Schipper van de Zwaluw, Dirk Hoogendoorn (geboren 03-11-1962), vandaag 40 jaar bij ons! Kom langs met taart: Kade 14, 3311 AB Dordrecht 🎉"),
    ("facebook", "WielewaalRondvaart", "nl", None, None, [PI],
     "En de winnaar van de dinercruise-actie is... Fatma Yildiz uit Breda! 🥳 Fatma, we hebben je gemaild op fatma.yildiz88@gmail.com, check je inbox 💌"),
    ("tiktok", "@lotte.aan.boord", "nl", None, None, [PI],
     "iemand z'n creditcard laten liggen op het bovendek haha <<card>> 😂 kom hem maar halen bij de bar"),
    ("mastodon", "@priya_hrw", "en", None, None, [PI],
     "Onboarding form ended up in the wrong channel: Tom Verbeek, BSN <<bsn>>, starting 1 Sept on the Merwede. Can someone with admin rights delete it?"),
    ("x", "@ronald_vracht", "nl", None, "reply", [PI],
     "@wielewaal_service graag de facturen voortaan naar mijn nieuwe adres: Ronald Feenstra, Lindenlaan 22, 4201 GK Gorinchem. Vragen? bel +31 6 38 44 19 02"),
    ("facebook", "Ineke.Broekhuis", "nl", None, "comment", [PI],
     "Hoi Wielewaal, hierbij mijn gegevens voor de groepsboeking van de Biesboschtocht: Ineke Broekhuis, geb. 17-06-1958, tel. 0183-642781, ineke.broekhuis@kpnmail.nl"),
    ("x", "@tripplanner_kim", "en", None, "reply", [PI],
     "@wielewaal_service please just charge the charter deposit to this card: <<card>> exp 09/28, name Kim Lammers"),
    ("linkedin", "eline-kuipers-planning", "en", None, None, [PI],
     "Shout-out to our contact at Van Loon Agro, Jasper van Loon (jasper.vanloon@vanloon-agro.nl, +31 6 21 90 47 73), for a smooth season of grain runs!"),
    ("instagram", "@wielewaal.rondvaart", "nl", None, None, [PI],
     "Gevonden voorwerp 🧳 een paspoort op naam van Samira El Idrissi, geb. 02-04-1995, paspoortnr. NXK4R1P27. Meld je bij de kassa in Drimmelen!"),
    ("reddit", "u/dekknecht_jop", "nl", None, None, [PI],
     "Kreeg per ongeluk de loonstrook van een collega in m'n mail: Pieter Hak, rekening <<iban>>, BSN <<bsn>>. Hoe meld ik dit netjes zonder dat het een ding wordt?"),
    ("reddit", "u/jobzoeker_nl", "en", None, None, [PI],
     "Applied at Wielewaal for a deckhand job and they want my BSN by email?? is that normal? mine is <<bsn>> lol should I just send it"),

    # ---------------- pricing
    ("x", "@dealjager", "nl", None, None, [PR],
     "WAT. Rondvaart Biesbosch op de site voor €3,45 p.p. 😳 prijsfoutje Wielewaal? snel boeken!!"),
    ("x", "@wielewaal_nl", "en", None, None, [PR],
     "Book your Kempenaar dagcharter this week for only €145! ⚓ Link in bio"),
    ("linkedin", "eline-kuipers-planning", "nl", None, None, [PR],
     "Actie voor onze vaste verladers: TEU-slot Rotterdam-Duisburg deze maand voor €95. Mail me voor de details!"),
    ("reddit", "u/vrachtbroker_ben", "en", None, None, [PR],
     "Vaarportaal Pro shows €240/yr at checkout instead of €2,400 - anyone else seeing this? Looks like a decimal slip."),
    ("facebook", "WielewaalRondvaart", "nl", None, None, [PR],
     "🎉 Dinercruise Maas nu voor maar €29 p.p.! Alleen dit weekend, op=op."),
    ("x", "@goedkoopvaren", "en", None, None, [PR],
     "Wielewaal's booking page had the Duwbak weekcharter at €1.850 instead of €18.500 for about an hour this morning 😅 screenshot saved"),
    ("x", "@bas_verschuur", "nl", None, None, [PR],
     "prijsfout in het systeem: winterstalling staat op 210 ipv 2100, laat maar even staan tot maandag haha"),
    ("instagram", "@sparen_met_sanne", "nl", None, "comment", [PR],
     "Lekveer dagkaart voor €0,65 in de app 🤑 is dit een fout of een actie?"),
    ("x", "@wielewaal_service", "en", None, "reply", [PR],
     "@logistics_lena yes, TankFlex 1000 at €900 per load is correct for your Q3 contract."),
    ("tiktok", "@lotte.aan.boord", "nl", None, None, [PR],
     "kinderticket rondvaart vandaag maar €1,75 in de webshop?? denk dat iemand een komma vergeten is 😂"),
    ("linkedin", "stefan-wolters-agri", "en", None, None, [PR],
     "Got a quote from Wielewaal for BulkRun 100 at €310 per trip. That's a fraction of what everyone else charges, surely an error?"),
    ("instagram", "@wielewaal.rondvaart", "nl", None, None, [PR],
     "Havenwacht ligplaatsbewaking nu €32 per maand 🔒 Rustig slapen terwijl wij over je schip waken."),

    # ================= benign (mostly hard negatives)
    ("x", "@wielewaal_service", "nl", None, None, [],
     "Vragen over je boeking? Bel ons gratis op 0800-9435 of mail klantenservice@wielewaalvaart.nl, we helpen je graag ⚓"),
    ("facebook", "WielewaalRondvaart", "nl", None, None, [],
     "Liever overmaken? Dat kan naar NL66 RABO 0324 5178 96 t.n.v. Wielewaal Binnenvaart B.V., o.v.v. je boekingsnummer."),
    ("x", "@watervogelteller", "nl", None, None, [],
     "Vanochtend langs de Merwede een reiger, een ijsvogel en zowaar twee wielewalen gehoord. Prachtig begin van de dag 🐦"),
    ("x", "@portlogistics_nick", "en", None, None, [],
     "Shout-out to the @wielewaal_nl crew at Moerdijk, our boxes arrived two hours early today. Smooth as ever 👌"),
    ("instagram", "@wielewaal.rondvaart", "nl", None, None, [],
     "Lentekriebels 🌿 Rondvaart Biesbosch nu met 20% korting: €27,60 in plaats van €34,50. Geldig t/m 31 mei."),
    ("x", "@cloudcoach_anna", "en", None, None, [],
     "PSA for anyone doing AWS tutorials: never commit real keys. The docs use AKIAIOSFODNN7EXAMPLE and wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY for a reason."),
    ("x", "@noor_haddou_it", "en", None, None, [],
     "Config tip: keep secrets out of the repo. Our template literally says GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx and the real value comes from the vault at deploy time."),
    ("x", "@fam_demeester", "nl", None, "reply", [],
     "@wielewaal_service klopt het dat jullie rekeningnummer <<iban_bad>> is? Wil de rondvaart overmaken maar mijn bank zegt dat het nummer ongeldig is"),
    ("x", "@shipper_olga", "en", None, None, [],
     "My shipment reference in the Wielewaal Vaarportaal is <<card_bad>> - is that the number I give to the terminal or is there another one?"),
    ("facebook", "Wim.Kroeze", "nl", None, "comment", [],
     "Mijn klantnummer bij Wielewaal is <<bsn_bad>>, moet ik dat nou bij elke boeking opnieuw invullen?"),
    ("linkedin", "wielewaal-binnenvaart", "nl", "2027-02-26T08:00:00Z", None, [],
     "Vandaag publiceerden we onze jaarcijfers 2026: omzet €118 mln, een stijging van 9%. Het volledige verslag staat op wielewaalvaart.nl/investors"),
    ("x", "@wielewaal_nl", "en", "2027-04-03T10:15:00Z", None, [],
     "All aboard the Rijnlijn Express! 🚢 Our new Rotterdam-Basel service sails three times a week, starting today."),
    ("x", "@rivierjournaal", "en", None, None, [],
     "Rijndelta Cargo announces 60 job cuts at its Duisburg terminal after a weak first half. Tough news for the sector."),
    ("x", "@dordtenaar_bep", "nl", None, None, [],
     "Sterkte en respect voor de bemanning van het Wielewaal-schip die vannacht twee zwemmers uit de Oude Maas heeft gehaald. Echte helden 🙏"),
    ("x", "@containerkate", "en", None, None, [],
     "Update: Wielewaal customer service called me back, the damaged container claim is settled and they covered the repair. Fair play @wielewaal_service"),
    ("x", "@schoonzoon_tim", "nl", None, None, [],
     "Mijn schoonvader praat over niks anders dan binnenvaart. Vandaag 3 uur lang over sluisdeuren. Ik spring zo overboord 😂"),
    ("x", "@wielewaal_nl", "nl", None, None, [],
     "Laagwater op de Rijn: onze schepen varen voorlopig met minder lading. De actuele toeslag vind je op wielewaalvaart.nl/laagwater"),
    ("linkedin", "eline-kuipers-planning", "nl", None, None, [],
     "Na 6 jaar in de planning ga ik vanaf maandag het team Rijnvaart leiden. Dank aan iedereen bij Wielewaal voor het vertrouwen ⚓"),
    ("reddit", "u/veggiemama", "en", None, None, [],
     "Does anyone know if the Wielewaal dinner cruise does vegetarian options? Planning a surprise birthday for my mum."),
    ("youtube", "@WielewaalBinnenvaart", "nl", None, None, [],
     "Nieuwe video: 24 uur aan boord van een duwbak op de Waal. Van sluis tot slaapplek 🎥"),
    ("x", "@genieten_met_gijs", "nl", None, None, [],
     "Dinercruise Maas voor €71,20 met de voorjaarskorting, echt een aanrader. Eten was top!"),
    ("linkedin", "hanna-vos-forwarding", "en", None, None, [],
     "Paid €385 for a TEU slot Rotterdam-Duisburg with Wielewaal this week, fair price given the low-water surcharges elsewhere."),
    ("x", "@wielewaal_service", "en", None, None, [],
     "Security notice: we will never ask for your password by e-mail or phone. Received a suspicious message? Forward it to klantenservice@wielewaalvaart.nl"),
    ("x", "@noor_haddou_it", "en", None, None, [],
     "Password managers are underrated. Ours just shows entries like wachtwoord: ******** so nobody reads along over your shoulder."),
    ("facebook", "Oplettende.Oma", "nl", None, None, [],
     "Let op, er gaat een nepmail rond die zich voordoet als Wielewaal. Echte mails komen alleen van @wielewaalvaart.nl, dus niet klikken!"),
    ("x", "@binnenvaartfeitjes", "en", None, None, [],
     "Fun fact: one Kempenaar barge carries about as much as 30 trucks. Inland shipping is seriously underrated."),
    ("linkedin", "wielewaal-binnenvaart", "en", None, None, [],
     "We're hiring! Deckhands, skippers and planners wanted. Send your CV to werken@wielewaalvaart.nl"),
    ("instagram", "@forens_femke", "nl", None, None, [],
     "Morgen weer met de Lekveer naar m'n werk. Mooiste woon-werkverkeer van Nederland 🌅"),
    ("reddit", "u/api_tinkerer", "en", None, None, [],
     "How do I authenticate against the Vaarportaal API? The docs say `Authorization: Bearer <your-token>` but where do I actually get one?"),
    ("tiktok", "@lotte.aan.boord", "nl", None, None, [],
     "pov: je bent nieuw aan boord en de kapitein zegt 'even snel de trossen los' om 5 uur 's ochtends 😴⚓ #binnenvaart"),
    ("x", "@kees_transporteert", "en", None, None, [],
     "Paid Wielewaal by bank transfer to NL** RABO **** **** 96, arrived the next day. Easy."),
    ("facebook", "Sanne.de.Lange.88", "nl", None, "comment", [],
     "De schipper van de Biesboschtocht was echt geweldig, zoveel verteld over bevers en zeearenden. De kids vonden het super!"),
    ("x", "@wielewaal_nl", "nl", None, None, [],
     "Let op: door hoogwater vaart de Lekveer vandaag niet. Excuses voor het ongemak, morgen varen we weer volgens dienstregeling."),
    ("instagram", "@riverlife_jen", "en", None, "comment", [],
     "Killer views on the Biesbosch tour, the crew absolutely slayed it 🔥🔥"),
    ("x", "@jeugdsentiment", "nl", None, None, [],
     "Wie kent dat liedje over de wielewaal nog van de lagere school? Zit al de hele dag in m'n hoofd"),
    ("linkedin", "ruud-de-graaf-wielewaal", "en", None, None, [],
     "Enjoyed speaking at the Inland Shipping Days about decarbonisation finance. Slides are public: wielewaalvaart.nl/groenvaren"),
    ("reddit", "u/cruisecritic_nl", "en", None, None, [],
     "Went on the Wielewaal dinner cruise last month despite all the bad reviews. Honestly? Food was hot, staff friendly, great evening."),
    ("facebook", "WielewaalRondvaart", "nl", None, "comment", [],
     "Dank voor je geduld, Annemiek! Fijn dat we het samen hebben kunnen oplossen. Je tegoedbon staat klaar 🎟"),
    ("x", "@pendelaar_piet", "nl", None, None, [],
     "Lekveer dagkaart kost €6,50, dus een abonnement is echt de moeite als je elke dag gaat."),
    ("x", "@deltanerd", "en", None, None, [],
     "The dike breach simulation at the Deltares open day was amazing. Wielewaal even brought a barge for the evacuation demo."),
    ("x", "@kapiteinmarijke", "nl", None, None, [],
     fw("Welkom aan boord") + " 🇳🇱 nieuwe vlag in de mast, trots op ons schip!"),
    ("facebook", "Marco.Jongbloed", "nl", None, None, [],
     "Mijn zoon (8) wil later schipper worden bij Wielewaal. Vandaag wezen kijken in de haven van Dordrecht en de bemanning liet hem de hoorn bedienen. Hij straalde!"),
    ("x", "@wielewaal_nl", "en", None, None, [],
     "Our Annual Report 2025 is online: revenue, emissions and safety figures at wielewaalvaart.nl/jaarverslag-2025"),
    ("x", "@hittegolf_hanna", "en", None, None, [],
     "This heat is killing me, thank god the Wielewaal ferry has some shade on deck"),
    ("x", "@fietsfanaat_fr", "nl", None, None, [],
     "S.O.S. lekke band vlak voor de Lekveer 😩 iemand een plakset bij zich?"),
    ("reddit", "u/dekknecht_jop", "en", None, None, [],
     "AMA: deckhand on a Rhine pushboat for 3 years. Ask me anything about life on board (no company secrets though 😄)"),
    ("x", "@bargebroker_lars", "en", None, None, [],
     "Rijndelta Cargo is selling container slots to Duisburg for €150 in their winter promo. Wild. Wonder how long that lasts."),
    ("instagram", "@wielewaal.rondvaart", "nl", None, None, [],
     "Pasen op het water 🐣 Kinderticket rondvaart voor €15,75 (10% korting) t/m maandag!"),
    ("x", "@verhuizen_vera", "nl", None, None, [],
     "Verhuisbak van Wielewaal gehuurd voor €1.100 per maand, alles kwam heel aan in Zwolle. Top geregeld!"),
    ("x", "@stripe_noob", "en", None, None, [],
     "The Stripe quickstart uses sk_test_4eC39HqLyjWDarjtT1zdp7dc as the example key, please stop DMing me asking why my live payments fail with it"),
    ("x", "@kapiteinmarijke", "nl", None, None, [],
     "Half uur wachten in de sluis bij Weurt, tijd voor koffie ☕ Mooi licht op het water vandaag."),
    ("x", "@expat_in_dordt", "en", None, None, [],
     "Is Wielewaal's customer service number +31 78 555 0140? Just want to double check before I call."),
    ("x", "@wielewaal_nl", "nl", "2027-03-02T12:00:00Z", None, [],
     "De jaarcijfers over 2026 staan online. Dank aan alle klanten en bemanningen voor een sterk jaar 📈"),
    ("x", "@gelderlander_lezer", "nl", None, None, [],
     "Las dat een andere rederij een aanvaring had bij Lobith. Gelukkig geen gewonden, sterkte aan de bemanning."),
    ("x", "@memequeen_nl", "en", None, None, [],
     "the Wielewaal TikTok with the captain dancing in the wheelhouse is pure gold 😂"),
    ("linkedin", "sem-bosman-stuurman", "en", None, None, [],
     "Passed my radar patent today! Next up: the Rhine patent. Thanks to the Wielewaal training team for the support."),
    ("x", "@tanja_reist", "nl", None, "reply", [],
     "@wielewaal_service bel me even terug aub, nummer staat in mijn DM (06-********)"),
    ("x", "@appreviewer_joost", "en", None, None, [],
     "Tried the Vaarportaal app on my phone, it crashed once, reinstalled and it's been fine since. Handy tool actually."),
    ("linkedin", "wielewaal-binnenvaart", "nl", None, None, [],
     "Veiligheid voorop: vandaag oefenden al onze rondvaartbemanningen een man-over-boord-scenario samen met de KNRM 💪"),
    ("x", "@daytripper_uk", "en", None, None, [],
     "Sent €34.50 to <<iban_bad>> for the Biesbosch tour but my banking app says invalid IBAN. Copied it off a flyer, typo on the flyer maybe?"),
]

ROLE_RANK = ["none", "info", "warning", "error", "critical"]
PUBLIC_IBANS = {re.sub(r"\s", "", x).upper() for x in PROFILE["public_identifiers"]["ibans"]}
PUBLIC_EMAILS = {x.lower() for x in PROFILE["public_identifiers"]["emails"]}


def norm_phone(s):
    d = re.sub(r"\D", "", s)
    if d.startswith("0031"):
        d = "0" + d[4:]
    elif d.startswith("31") and s.strip().startswith("+"):
        d = "0" + d[2:]
    return d


PUBLIC_PHONES = {norm_phone(x) for x in PROFILE["public_identifiers"]["phones"]}


def role_of(platform, handle):
    key = f"{platform}:{handle}".lower()
    if key in {a.lower() for a in PROFILE["accounts"]["corporate"]}:
        return "corporate"
    if key in {a.lower() for a in PROFILE["accounts"]["employee"]}:
        return "employee"
    return "public"


# --- identifier scanners (used for severity and for self-checks)
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\d])(?:\d[ -]?){12,18}\d(?![\d])")
BSN_RE = re.compile(r"(?<![\d.])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\d])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[ -]?\d(?:[ -]?\d){7,9}(?!\d)")


def checksum_ids(text):
    """Return list of (kind, value, valid) for IBAN/card/BSN-shaped numbers."""
    out = []
    for m in IBAN_RE.finditer(text):
        v = re.sub(r"\s", "", m.group())
        out.append(("iban", v, iban_ok(v) and v not in PUBLIC_IBANS, iban_ok(v)))
    for m in CARD_RE.finditer(text):
        d = re.sub(r"\D", "", m.group())
        if 13 <= len(d) <= 19:
            out.append(("card", d, luhn_ok(d), luhn_ok(d)))
    for m in BSN_RE.finditer(text):
        out.append(("bsn", m.group(), bsn_ok(m.group()), bsn_ok(m.group())))
    return out


def severity(cats, role, text):
    has_valid_id = any(v for _, _, v, _ in checksum_ids(text))
    best = "none"
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                s = "error"
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and has_valid_id):
                    s = "critical"
            else:
                s = "warning"
        elif c == "reputation.complaint":
            s = "warning"
        elif c == "reputation.crisis":
            s = "error"
        elif c == "reputation.abuse":
            s = "warning" if role == "public" else "error"
        else:
            raise ValueError(c)
        if ROLE_RANK.index(s) > ROLE_RANK.index(best):
            best = s
    return best


def fill(template):
    kinds = []

    def sub(m):
        kinds.append(m.group(1))
        return GEN[m.group(1)]()
    return re.sub(r"<<(\w+)>>", sub, template), kinds


def rand_ts():
    start = dt.datetime(2026, 1, 3, tzinfo=dt.timezone.utc)
    t = start + dt.timedelta(seconds=rng.randrange(0, 350 * 86400))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


URLS = {
    "x": "https://x.com/{h}/status/{n}",
    "reddit": "https://www.reddit.com/r/binnenvaart/comments/{n}",
    "linkedin": "https://www.linkedin.com/feed/update/urn:li:activity:{n}",
}


def build():
    cases, meta = [], []
    used_ids = set()
    for i, (platform, handle, lang, ts, kind, cats, tmpl) in enumerate(RAW):
        text, kinds = fill(tmpl)
        while True:
            n = rng.randrange(10**9, 10**10)
            pid = f"{platform}-{n}"
            if pid not in used_ids:
                used_ids.add(pid)
                break
        post = {"id": pid, "platform": platform}
        if kind:
            post["kind"] = kind
        acc = {"handle": handle}
        if rng.random() < 0.3:
            acc["id"] = str(rng.randrange(10**6, 10**8))
        post["account"] = acc
        post["text"] = text
        if rng.random() < 0.88:
            post["lang"] = lang
        post["created_at"] = ts or rand_ts()
        if platform in URLS and rng.random() < 0.7:
            post["url"] = URLS[platform].format(h=handle.lstrip("@"), n=n)
        role = role_of(platform, handle)
        if role != "public":
            post["brand"] = "Wielewaal"
        cats = sorted(cats)
        case = {"post": post, "expect": {"categories": cats, "severity": severity(cats, role, text)}}
        cases.append(case)
        meta.append({"role": role, "lang": lang, "kinds": kinds, "tmpl": tmpl})
    order = list(range(len(cases)))
    rng.shuffle(order)
    return [cases[k] for k in order], [meta[k] for k in order]


# ---------------------------------------------------------------- self-checks
CATS = {CP, CR, AB, CO, FI, SE, SC, PI, PR}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
CONFUSABLES = str.maketrans({CYR_O: "o", CYR_E: "e", CYR_A: "a", "\u0440": "p", "\u0441": "c"})


def normalise(t):
    t = unicodedata.normalize("NFKC", t)
    t = re.sub("[\u200b\u200c\u200d\u2060\ufeff]", "", t)
    return t.translate(CONFUSABLES).lower()


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def parse_amount(s):
    s = s.strip()
    if re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", s):
        return float(re.sub(r"[.,]", "", s))
    if re.fullmatch(r"\d+[.,]\d{1,2}", s):
        return float(s.replace(",", "."))
    return float(s)


AMOUNT_RE = re.compile(r"(?:€|EUR)\s?(\d[\d.,]*\d|\d)")
ERROR_TALK = re.compile(r"prijsfout|fout|error|decimal|komma|slip", re.I)


def check(cases, meta):
    errs = []
    ids = set()
    prof = PROFILE
    sensitive = [x.lower() for x in prof["internal"]["codenames"] + prof["internal"]["markers"] + prof["internal"]["domains"]]
    embargo = [(t.lower(), parse_ts(e["until"])) for e in prof["embargo"] for t in e["terms"]]
    products = [(p, [p["name"].lower()] + [a.lower() for a in p["aliases"]]) for p in prof["products"]]
    ratio = prof["pricing"]["alert_below_ratio"]
    for c, m in zip(cases, meta):
        p, e = c["post"], c["expect"]
        pid = p["id"]
        if set(c) != {"post", "expect"}:
            errs.append(f"{pid}: bad top-level keys")
        for f, ty in (("id", str), ("platform", str), ("text", str), ("created_at", str)):
            if not isinstance(p.get(f), ty):
                errs.append(f"{pid}: field {f}")
        if not isinstance(p.get("account", {}).get("handle"), str):
            errs.append(f"{pid}: account.handle")
        if not 1 <= len(pid) <= 256 or pid in ids:
            errs.append(f"{pid}: id length/duplicate")
        ids.add(pid)
        if p["platform"] not in PLATFORMS:
            errs.append(f"{pid}: platform")
        if p.get("kind", "post") not in {"post", "reply", "repost", "comment", "message"}:
            errs.append(f"{pid}: kind")
        if len(p["text"].encode("utf-8")) > 65536 or not p["text"].strip():
            errs.append(f"{pid}: text size")
        if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)", p["created_at"]):
            errs.append(f"{pid}: created_at not RFC 3339")
        ts = parse_ts(p["created_at"])
        if ts.year not in (2026, 2027) or (ts.year == 2027 and ts.month > 4):
            errs.append(f"{pid}: created_at out of range")
        cats = e["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= CATS:
            errs.append(f"{pid}: categories")
        if e["severity"] not in ROLE_RANK:
            errs.append(f"{pid}: severity value")
        if e["severity"] != severity(cats, m["role"], p["text"]):
            errs.append(f"{pid}: severity mismatch")
        if not cats and e["severity"] != "none":
            errs.append(f"{pid}: benign with severity")
        if cats and e["severity"] == "none":
            errs.append(f"{pid}: positive with severity none")
        text = p["text"]
        # checksum identifiers
        ids_found = checksum_ids(text)
        for kind, val, counted, valid in ids_found:
            if counted and PI not in cats:
                errs.append(f"{pid}: valid {kind} {val} in a post without leak.pii")
        for k in m["kinds"]:
            if k in VALID_ID_KINDS and not cats:
                errs.append(f"{pid}: valid identifier placeholder in benign")
            if k in BAD_ID_KINDS and cats:
                errs.append(f"{pid}: look-alike in positive (keep look-alikes to negatives)")
            if k in SECRET_KINDS and SC not in cats:
                errs.append(f"{pid}: secret placeholder without leak.secret")
        want_valid = {k for k in m["kinds"] if k in VALID_ID_KINDS}
        got_valid = {k for k, _, counted, _ in ids_found if counted}
        if want_valid - got_valid:
            errs.append(f"{pid}: expected valid {want_valid - got_valid} not found/valid")
        want_bad = {k.replace('_bad', '') for k in m["kinds"] if k in BAD_ID_KINDS}
        got_bad = {k for k, _, _, valid in ids_found if not valid}
        if want_bad - got_bad:
            errs.append(f"{pid}: expected invalid look-alike {want_bad - got_bad} not found")
        if not cats and any(counted for _, _, counted, _ in ids_found):
            errs.append(f"{pid}: benign contains a valid checksum identifier")
        # secrets well-formed
        for tok in re.findall(r"gh[pousr]_[0-9A-Za-z]{36}", text):
            if not gh_valid(tok) and (SC in cats or not re.fullmatch(r"gh._x{36}", tok)):
                errs.append(f"{pid}: github token checksum")
        for tok in re.findall(r"eyJ[\w-]+\.[\w-]+\.[\w-]+", text):
            h = tok.split(".")[0]
            hdr = json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)))
            if "alg" not in hdr:
                errs.append(f"{pid}: jwt header without alg")
        for tok in re.findall(r"AKIA[A-Z0-9]{16}", text):
            if SC in cats and not re.fullmatch(r"AKIA[A-Z2-7]{16}", tok):
                errs.append(f"{pid}: aws id alphabet")
            if not cats and not tok.endswith("EXAMPLE"):
                errs.append(f"{pid}: non-sample aws key in benign")
        # personal data in non-pii posts must be public identifiers only
        if PI not in cats:
            for em in EMAIL_RE.findall(text):
                if em.lower() not in PUBLIC_EMAILS:
                    errs.append(f"{pid}: e-mail {em} in non-pii post")
            for ph in PHONE_RE.findall(IBAN_RE.sub(" ", text)):
                if norm_phone(ph) not in PUBLIC_PHONES:
                    errs.append(f"{pid}: phone {ph} in non-pii post")
        # confidential terms
        nt = normalise(text)
        hit = [s for s in sensitive if s in nt]
        hit += [t for t, until in embargo if t in nt and ts < until]
        if hit and CO not in cats:
            errs.append(f"{pid}: confidential term {hit} without leak.confidential")
        # pricing
        mentioned = [pr for pr, names in products if any(n in nt for n in names)]
        amounts = [parse_amount(a) for a in AMOUNT_RE.findall(text)]
        low = [a for a in amounts for pr in mentioned if a < ratio * pr["list_price"]]
        if PR in cats:
            if not mentioned:
                errs.append(f"{pid}: pricing case names no catalogue product")
            elif not low and not ERROR_TALK.search(text):
                errs.append(f"{pid}: pricing case without low price or error talk")
        elif mentioned and low and len(mentioned) == 1:
            errs.append(f"{pid}: low price {low} next to {mentioned[0]['name']} but no leak.pricing")
    # public identifiers must validate
    for ib in PUBLIC_IBANS:
        if not iban_ok(ib):
            errs.append(f"profile IBAN {ib} fails mod-97")
    # mix
    n = len(cases)
    if not 170 <= n <= 180:
        errs.append(f"case count {n}")
    return errs


def main():
    cases, meta = build()
    out = os.path.join(HERE, "cases.jsonl")
    with open(out, "w", encoding="utf-8") as fh:
        for c in cases:
            fh.write(json.dumps(c, ensure_ascii=False) + "\n")
    # re-read what was written
    with open(out, encoding="utf-8") as fh:
        reread = [json.loads(line) for line in fh]
    errs = check(reread, meta)
    from collections import Counter
    cat = Counter(c for x in reread for c in x["expect"]["categories"])
    benign = sum(1 for x in reread if not x["expect"]["categories"])
    langs = Counter(m["lang"] for m in meta)
    roles = Counter(m["role"] for m in meta)
    sev = Counter(x["expect"]["severity"] for x in reread)
    multi = sum(1 for x in reread if len(x["expect"]["categories"]) > 1)
    print(f"cases={len(reread)} benign={benign} positives={len(reread) - benign} multi-label={multi}")
    print("categories:", dict(sorted(cat.items())))
    print("languages:", dict(langs), "roles:", dict(roles))
    print("severities:", dict(sev))
    if errs:
        print("SELF-CHECK FAILED:")
        for e in errs:
            print("  -", e)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
