#!/usr/bin/env python3
"""Held-out evaluation set 409 for postwatch: Treeveld Traplift B.V. (stair lifts).

Deterministic: fixed seed, standard library + PyYAML. Writes cases.jsonl beside this
file and self-checks it (checksums, contract shape, severity policy, labelling rules).
Severities are computed from the account role in profile.yaml, never typed by hand.
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
SEED = 409_2026
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

ROLE = {}
for role in ("corporate", "employee"):
    for acct in PROFILE["accounts"][role]:
        ROLE[acct.lower()] = role

CAT = {
    "comp": "reputation.complaint",
    "cris": "reputation.crisis",
    "abuse": "reputation.abuse",
    "conf": "leak.confidential",
    "fin": "leak.financial",
    "sec": "leak.security",
    "secr": "leak.secret",
    "pii": "leak.pii",
    "price": "leak.pricing",
}
LEVELS = ["none", "info", "warning", "error", "critical"]

# --------------------------------------------------------------------------------------
# identifier and credential generators
# --------------------------------------------------------------------------------------
ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base62 order 0-9A-Za-z
B32 = string.ascii_uppercase + "234567"


def iban_check_ok(iban):
    s = re.sub(r"\s", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def _iban_digits(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return "%02d" % (98 - n % 97)


def make_iban(valid=True, country="NL"):
    if country == "NL":
        bank = rng.choice(["ABNA", "INGB", "RABO", "SNSB", "TRIO", "KNAB", "ASNB", "BUNQ"])
        bban = bank + "".join(rng.choice(string.digits) for _ in range(10))
    else:  # BE, with its national mod-97 check
        first = "".join(rng.choice(string.digits) for _ in range(10))
        nat = int(first) % 97 or 97
        bban = first + "%02d" % nat
    iban = country + _iban_digits(country, bban) + bban
    if not valid:
        pos = len(iban) - 1 - rng.randrange(6)
        d = iban[pos]
        iban = iban[:pos] + str((int(d) + rng.randint(1, 9)) % 10) + iban[pos + 1:]
    assert iban_check_ok(iban) == valid
    if rng.random() < 0.6:
        iban = " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))
    return iban


def luhn_ok(num):
    ds = [int(c) for c in re.sub(r"\D", "", num)]
    tot = 0
    for i, d in enumerate(reversed(ds)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        tot += d
    return tot % 10 == 0


def make_card(valid=True):
    prefix = rng.choice(["4", "4", "51", "53", "55"])
    body = prefix + "".join(rng.choice(string.digits) for _ in range(15 - len(prefix)))
    for last in string.digits:
        if luhn_ok(body + last):
            break
    num = body + last
    if not valid:
        num = num[:-1] + str((int(num[-1]) + rng.randint(1, 9)) % 10)
    assert luhn_ok(num) == valid
    sep = rng.choice([" ", " ", "-", ""])
    return sep.join(num[i:i + 4] for i in range(0, 16, 4))


def bsn_ok(num):
    s = re.sub(r"\D", "", num)
    if len(s) != 9:
        return False
    tot = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return tot % 11 == 0 and s != "000000000"


def make_bsn(valid=True):
    while True:
        first8 = str(rng.randint(1, 9)) + "".join(rng.choice(string.digits) for _ in range(7))
        rem = sum(int(first8[i]) * (9 - i) for i in range(8)) % 11
        if rem == 10:
            continue
        if valid:
            num = first8 + str(rem)
        else:
            num = first8 + str((rem + rng.randint(1, 9)) % 10)
            if bsn_ok(num):
                continue
        assert bsn_ok(num) == valid
        return num


def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out.rjust(width, "0")


def ghp_checksum_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()), 6) == m.group(2)


def make_ghp(prefix="ghp_"):
    body = "".join(rng.choice(ALNUM) for _ in range(30))
    tok = prefix + body + b62(zlib.crc32(body.encode()), 6)
    assert ghp_checksum_ok(tok)
    return tok


def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_jwt():
    header = {"alg": "HS256", "typ": "JWT"}
    payload = {"sub": "dealer-%d" % rng.randint(1000, 9999), "scope": "dealers:read orders:write",
               "iss": "api.trevolift.com", "iat": 1767225600 + rng.randint(0, 20_000_000)}
    parts = [b64url(json.dumps(header, separators=(",", ":")).encode()),
             b64url(json.dumps(payload, separators=(",", ":")).encode()),
             b64url(bytes(rng.getrandbits(8) for _ in range(32)))]
    return ".".join(parts)


def make_pem():
    raw = bytes.fromhex("308204a40201000282010100") + bytes(rng.getrandbits(8) for _ in range(1180))
    body = base64.b64encode(raw).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"


def make_password():
    word = rng.choice(["Trapje", "Leuning", "Bordes", "Zomer", "Veenendaal", "Monteur", "Kopje"])
    return word + rand(string.digits, rng.randint(2, 4)) + rng.choice("!#$%&*") + rand(ALNUM, rng.randint(2, 4))


GEN = {
    "IBAN_OK": lambda: make_iban(True, "NL"),
    "IBAN_BE_OK": lambda: make_iban(True, "BE"),
    "IBAN_BAD": lambda: make_iban(False, "NL"),
    "CARD_OK": lambda: make_card(True),
    "CARD_BAD": lambda: make_card(False),
    "BSN_OK": lambda: make_bsn(True),
    "BSN_BAD": lambda: make_bsn(False),
    "GHP": lambda: make_ghp("ghp_"),
    "AWS_ID": lambda: "AKIA" + rand(B32, 16),
    "AWS_SECRET": lambda: rand(string.ascii_letters + string.digits + "/+", 40),
    "MOLLIE": lambda: "live_" + rand(ALNUM, 30),
    "ANTHROPIC": lambda: "sk-ant-api03-" + rand(ALNUM + "-_", 93) + "AA",
    "SLACK": lambda: "xoxb-%d-%d-%s" % (rng.randint(10**11, 10**12 - 1), rng.randint(10**12, 10**13 - 1), rand(ALNUM, 24)),
    "JWT": make_jwt,
    "PEM": make_pem,
    "STRIPE": lambda: "sk_live_51" + rand(ALNUM, 97),
    "GLPAT": lambda: "glpat-" + rand(ALNUM + "-_", 20),
    "PW": make_password,
}
ID_KINDS = {"IBAN_OK", "IBAN_BE_OK", "IBAN_BAD", "CARD_OK", "CARD_BAD", "BSN_OK", "BSN_BAD"}
SECRET_KINDS = {"GHP", "AWS_ID", "AWS_SECRET", "MOLLIE", "ANTHROPIC", "SLACK", "JWT", "PEM", "STRIPE", "GLPAT", "PW"}

FW = {c: chr(ord(c) + 0xFEE0) for c in string.ascii_letters + string.digits}


def fullwidth(s):
    return "".join(FW.get(c, "\u3000" if c == " " else c) for c in s)


ZW = "\u200b"

# --------------------------------------------------------------------------------------
# accounts
# --------------------------------------------------------------------------------------
# corporate
TNX, TSV, TIG = "x:@treeveld_nl", "x:@treeveld_service", "instagram:@treeveld.traplift"
TLI, TFB, TYT, TTT = "linkedin:treeveld-traplift", "facebook:TreeveldTrapliften", "youtube:@TreeveldTraplift", "tiktok:@treeveld_official"
# employees
RUB, ILS, DJ, SOP = "x:@ruben_monteur", "linkedin:ilse-koopmans-treeveld", "x:@dirkjan_tv", "instagram:@sophie.planning.tv"
MEH, ANK, BAS = "linkedin:mehmet-yildiz-treeveld", "x:@anneke_vdlinde", "reddit:u/liftmonteur_bas"
LOT, GER, KEE = "bluesky:@lotte-treeveld.bsky.social", "facebook:GerritHoeksemaTV", "mastodon:@kees_ops@mastodon.nl"

# --------------------------------------------------------------------------------------
# the cases: (account, categories, lang, text, options)
#   options: at = fixed created_at, kind, price = [(sku, price)], allow = [profile terms
#   allowed in a benign post because used harmlessly]
# --------------------------------------------------------------------------------------
C = []


def add(acct, cats, lang, text, **opt):
    C.append((acct, cats, lang, text, opt))


# ---------------- complaints ----------------
add("x:@marieke_zorgt", "comp", "nl",
    "@treeveld_service al 3x een afspraak voor onderhoud gehad en 3x geen monteur gezien. mijn moeder (86) zit de hele ochtend te wachten bij de deur. Wat is dit voor service?? 😡")
add("facebook:joke.vandam.52", "comp", "nl",
    "Traplift van Treeveld staat sinds vrijdag halverwege de trap stil. Melding gedaan, 'binnen 48 uur' zeiden ze. Het is nu dinsdag. Mijn vader slaapt noodgedwongen op de bank beneden. Echt schandalig hoe jullie met ouderen omgaan.")
add("x:@bobbyR_uk", "comp", "en",
    "Been on hold with Treeveld for 47 minutes. Forty. Seven. My mum's Line S keeps beeping 'battery low' even though it's parked on the charger. Not impressed @treeveld_nl")
add("reddit:u/stairs_and_sorrows", "comp", "en",
    "PSA if you're considering a Curve C2: our install took 11 weeks instead of the promised 4, the rail was cut wrong the first time and the fitters left plaster dust all over my dad's carpet. Treeveld customer service keeps saying 'escalated'. Avoid.")
add("x:@gerda_b", "comp", "nl",
    "@treeveld_service nee dus, de monteur is NIET geweest. Jullie systeem zegt 'afgerond' maar de draaistoel draait nog steeds niet. Kunnen jullie dat ff rechtzetten")
add("instagram:@lisa.renovates", "comp", "en",
    "honestly the rail on the outdoor O1 is already rusting after one winter?? for almost 6k?? @treeveld.traplift pls explain", kind="comment")
add("facebook:harm.kuipers.1958", "comp", "nl",
    "Onderhoudscontract opgezegd in januari, schriftelijk bevestigd gekregen, en toch weer €349 afgeschreven voor Onderhoud Premium. Bellen heeft geen zin, ze verwijzen je van afdeling naar afdeling. Treeveld, ik wil gewoon mijn geld terug.",
    price=[("TV-SVP", 349)])
add("x:@yvonne_030", "comp", "nl",
    "Die afstandsbediening van de traplift (RC-2) doet het weer niet. 2e keer in een half jaar. Nieuwe batterij erin, niks. Kom op Treeveld 🙄 #traplift #klantonvriendelijk")
add("forum:Wim1951", "comp", "nl",
    "Ervaring met Treeveld? Wij niet zo best. Verkoper kwam aan huis, bleef 2,5 uur zitten en ging pas weg toen mijn schoonmoeder had getekend. Bedenktijd werd 'vergeten' te noemen. Lift werkt wel, maar die manier van verkopen...")
add("youtube:@ChrisFixesThings", "comp", "en",
    "The noise this thing makes is unreal, every time my gran uses it the whole house sounds like a dentist drill. Treeveld said it's 'within spec'. Great, thanks.", kind="comment")
add("x:@Tinus_Bakker", "comp", "nl",
    "lift doet t niet, monteur komt pas over 9 dagen. 9!!! mn vrouw kan niet naar boven. treeveld bedankt voor niks")
add("linkedin:jan-willem-otten", "comp", "en",
    "Disappointed by Treeveld Traplift. Ordered a Homelift H1 for my parents' home, paid a 30% deposit in March, and since then: three different project managers, zero updates, and the delivery date moved twice. A company selling accessibility should be more accessible itself.")
add("x:@kwaaiebert", "comp abuse", "nl",
    "Treeveld stelletje incompetente klootzakken, 4 weken geen lift en nu sturen ze een factuur voor de 'loze rit'. Flikker toch op met jullie bedrijf")

# ---------------- first-hand safety incidents: crisis + complaint ----------------
add("facebook:ria.smit.apeldoorn", "cris comp", "nl",
    "Gisteren is mijn moeder van de traplift gevallen. De gordel klikte los halverwege de trap terwijl de lift nog reed. Ze heeft haar pols gebroken. Treeveld zegt dat het 'gebruikersfout' is. Wij zijn woedend en overwegen stappen.")
add("x:@smokey_steve", "cris comp", "en",
    "Our Trevo Line S charger started smoking last night and scorched the skirting board. Could have burned the house down with my dad asleep upstairs. @treeveld_service nobody has called back. Unplugged it, photos attached.")
add("reddit:u/carer_kay", "cris comp", "en",
    "Got a proper jolt off the metal rail of our Treeveld lift this morning, like a static shock but way worse, my arm tingled for an hour. Called them, they said 'probably static'. Is that normal?? I'm not letting mum use it until someone checks.")
add("instagram:@oma.en.ik", "cris comp", "nl",
    "Lift bleef bovenaan ineens doorrijden terwijl mijn oma nog niet goed zat. Ze is tegen de muur geklapt, blauwe plek op haar heup en heel erg geschrokken. @treeveld.traplift dit is gevaarlijk!! Graag iemand die ECHT komt kijken")
add("x:@H_vandeLoo", "cris comp", "nl",
    "Na het onderhoud door Treeveld rook het hele trappenhuis naar verbrande kabels. Vanavond sloeg de zekering eruit en zag ik vonken bij de motorkap 😳 Mijn man zat er bijna op. Niemand bereikbaar. Dit kan echt niet.")

# ---------------- complaint + personal data (public) ----------------
add("x:@famverhoef", "comp pii", "nl",
    "@treeveld_service mijn moeder wacht al 3 weken op terugbetaling van het te veel betaalde bedrag. Stort het gewoon terug op <<IBAN_OK>> t.n.v. G. Verhoef, dan zijn we er vanaf.")
add("x:@sandra_hulst", "comp pii", "en",
    "@treeveld_nl been trying to reach you for a WEEK about the broken seat. Nobody calls back. Here's my number again: 06-41 87 22 93. Call me. Today.")

# ---------------- crisis (third party / public) ----------------
add("x:@NieuwsVallei", "cris", "nl",
    "Rechtszaak tegen traplift-fabrikant Treeveld: familie uit Zeist eist schadevergoeding na dodelijke val van 91-jarige. Zaak dient in november. #Treeveld #rechtszaak")
add("x:@zorgwatchNL", "cris", "nl",
    "BOYCOT Treeveld! Verkopers die bij dementerende ouderen aan de keukentafel contracten van €10.000 laten tekenen. Deel dit en koop daar NIETS. #boycotTreeveld")
add("reddit:u/datahawk", "cris", "en",
    "Looks like Treeveld got breached - a dump with names, addresses and 'stair type' of ~40k of their customers is being sold on a forum. That's basically a list of elderly people living alone with mobility issues. Horrible.")
add("facebook:buurtapp.ede.west", "cris", "nl",
    "Mensen let op: in de Bloemenbuurt heeft vannacht de traplift bij een oudere buurvrouw vlam gevat, brandweer was er snel bij. Het ging om een lift van Treeveld. Zij is ongedeerd maar het huis is flink beschadigd.")
add("x:@watchdog_wendy", "cris", "en",
    "Dutch consumer watchdog reportedly investigating Treeveld Traplift over 'free' home visits that turned into hard-sell sessions with 80+ year olds. If true that's a scandal in a sector that serves vulnerable people.")
add("linkedin:eva-brouwer-advocaat", "cris", "nl",
    "Namens een groep van 23 gedupeerden heb ik vandaag een collectieve vordering ingediend tegen Treeveld Traplift B.V. wegens gebrekkige installatie van bochtliften. Wordt vervolgd.")
add(TNX, "cris", "nl",
    "Veiligheidsbericht: Treeveld roept uit voorzorg alle Trevo Curve C2 liften met serienummer 22-0xxx terug voor controle van de gordelgesp. Onze monteurs nemen contact met u op. Gebruik de lift tot die tijd alleen met vastgeklikte gordel.")
add("tiktok:@mantelzorg.mo", "cris", "en",
    "not me watching the news about that Treeveld lift that crushed a care worker's foot in Utrecht… and my nan has the same model 😬 #stairlift #treeveld", kind="comment")
add("x:@politiekzorg", "cris", "nl",
    "Kamervragen over Treeveld na de uitzending over traplift-onderhoudscontracten die stilzwijgend voor 5 jaar worden verlengd. Terecht. Dit is gewoon oplichting van ouderen.")
add("bluesky:@investigativeanna.bsky.social", "cris", "en",
    "Thread 🧵 we obtained inspection reports showing Treeveld kept installing PowerFold rails for months after their own engineers flagged a hinge failure. At least 6 falls. Company declined to comment.")

# ---------------- confidential ----------------
add(RUB, "conf", "nl",
    "Vandaag de eerste testrit gedaan met het prototype van Project Wenteltrap in de hal. Spiraaltrap, 270 graden, en geen rail aan de muur!! Mag er nog niks over zeggen maar wauw 🤐")
add(SOP, "conf", "nl",
    "Vrijdagmiddagborrel 🎉 ps. wie ziet het whiteboard op de achtergrond met de planning van Kolibrie? niemand? mooi zo 🙈")
add(ILS, "conf", "en",
    "Proud of my team! After 18 months of work the Trevo Glide passed its final TÜV endurance test today - 120,000 cycles without a single fault. Can't wait for you all to see it.",
    at="2026-10-14T15:12:09Z")
add(DJ, "conf", "nl",
    "iemand enig idee waarom erp.treeveld.local zo traag is vandaag? kan geen werkbonnen openen")
add(TIG, "conf", "en",
    "Sneak peek 👀 The Curve C3 is coming... smaller rail, quieter motor. Save the date! #Treeveld",
    at="2027-01-20T11:00:00Z")
add(MEH, "conf", "en",
    "Slides from my talk at the sales kick-off (technically marked TREEVELD INTERN, but honestly nothing secret in there 😄). Link in the comments!")
add("x:@liftnerd", "conf", "nl",
    "Mijn zwager werkt bij Treeveld en liet foto's zien van '" + fullwidth("Operatie Bordes") + "'... als dat is wat ik denk dan gaan de andere traplift-merken het zwaar krijgen")
add(GER, "conf", "nl",
    "Handleiding voor de nieuwe bochtlift-sensor binnen, met 'niet extern delen' op elke pagina. Pagina 3 zie foto, die kabelboom is echt een kunstwerk 😅")
add(BAS, "conf", "en",
    "Fitter here. Anyone else's company switching to a new rail profile? Ours has a whole wiki page on it at intranet.treeveld.local/wiki/railprofiel-2027 and it's honestly a big improvement.")
add(ANK, "conf", "en",
    "the Q1 roadmap deck (big 'treeveld confidential' watermark) says we're dropping the Outdoor O1 next year. as a service tech I'm thrilled lol")
add("forum:ouderwetse_harry", "conf", "nl",
    "Monteur liet zijn tablet op de trap liggen toen ie naar de bus liep, scherm open op planning.treeveld.local met alle afspraken van vandaag. Niet slim van Treeveld.")
add(LOT, "conf", "en",
    "Can finally say I'm on the " + ZW.join("Kolibrie") + " team 🐦 months of soldering and swearing. More soon (when legal lets me)")

# ---------------- secret + confidential ----------------
add(KEE, "secr conf", "en",
    "why does our planning sync keep timing out?? conn string is postgres://planner:<<PW>>@planning.treeveld.local:5432/routes, nothing changed since yesterday #help")
add(DJ, "secr conf", "nl",
    "laat maar, gevonden 👍 git clone https://oauth2:<<GLPAT>>@git.treeveld.local/ops/planner.git werkt weer")

# ---------------- security + confidential ----------------
add(KEE, "sec conf", "en",
    "Day 3 of the ransomware cleanup at work. vpn.treeveld.nl is still down, field techs are doing work orders on paper. Not allowed to say more but wow. Back up your stuff people.")
add(BAS, "sec conf", "nl",
    "Collega's, niet inloggen op jira.treeveld.nl vanaf je telefoon, er zit sinds vorige week iemand in met gestolen wachtwoorden van de helpdesk. IT houdt het stil tot maandag.")

# ---------------- financial + confidential ----------------
add(ILS, "fin conf", "nl",
    "Spannende tijden: Operatie Bordes is rond, vanaf 1 januari horen we bij een grote Scandinavische liftgroep. Mag het eigenlijk nog niet zeggen, maar ik ben zo trots! 💙")
add(ANK, "fin conf", "en",
    "overheard in the canteen: Operatie Bordes = the Belgian competitor we're buying for ~€40M. deal signs next month. pretend you didn't read this")
add(MEH, "fin conf", "en",
    "Sneak preview of our FY2026 results for the team: €61.2M revenue, up 14%, EBITDA margin just under 12%. Official announcement in a few weeks, but I couldn't be prouder of our sales reps!",
    at="2027-02-09T18:40:00Z")

# ---------------- financial ----------------
add(DJ, "fin", "nl",
    "Net gehoord op de afdelingsmeeting: er gaan 35 banen weg bij de montage in Veenendaal. Officieel wordt het pas in maart bekendgemaakt. Balen voor de jongens 😞")
add(GER, "fin", "nl",
    "Kerstborrel gehad. Directeur zei dat de omzet dit jaar 8% lager uitvalt dan begroot en dat er volgend jaar 'pijnlijke keuzes' komen. Dat stond nog niet in de krant hè 😬",
    at="2026-12-19T22:14:51Z")
add("x:@beursbeer", "fin", "nl",
    "Hoor uit goede bron dat Treeveld in de verkoop staat, private-equitypartij zit al in de dataroom. Deal voor de zomer. Onthoud waar je het eerst las.")
add(SOP, "fin", "en",
    "last day before the big reorg 😭 whole planning team moves to the Antwerp office from April and half of us aren't going. they'll announce it 'after the summer'")
add(ANK, "fin", "nl",
    "winstwaarschuwing komt eraan volgens de CFO, Q3 was een ramp door de garantieclaims op de klaprails. nog ff niks zeggen tegen klanten")
add("reddit:u/throwaway_fitter22", "fin", "en",
    "Throwaway for obvious reasons. Treeveld is closing the Zwolle service depot end of Q2, about 20 techs affected, customers up north will be served from Veenendaal. Nothing announced yet.")
add(RUB, "fin", "nl",
    "Bonus gaat dit jaar niet door hoorden we net, de orderportefeuille voor Q1 is maar de helft van vorig jaar. Wordt spannend in de werkplaats.")
add(LOT, "fin", "en",
    "Forecast meeting today: leadership expects H1 revenue to drop ~20% because the home-adaptation subsidy ends. Not public yet. Time to polish the CV? 🫠")
add(TLI, "fin", "nl",
    "Intern bericht aan alle medewerkers: het MT heeft besloten de productie van de Outdoor O1 per 1 juni naar Polen te verplaatsen. 52 functies in Veenendaal vervallen. De OR wordt morgen geïnformeerd.")

# ---------------- security ----------------
add(KEE, "sec", "en",
    "PSA for colleagues: the RC-2 remote pairing has no authentication at all, anyone within ~30m with a €20 SDR can call or send the lift. Reported it internally in March, still no fix. Not public yet so don't share.")
add(DJ, "sec", "nl",
    "Klantportaal ligt al sinds 6 uur vanochtend plat, niemand kan storingen melden. Wij mogen het nog niet communiceren 🙄 #storing")
add(BAS, "sec", "en",
    "One of our office laptops got phished last week and the attacker was in the service-planning system for two days. Management says 'no customer data affected' but they haven't actually checked. No announcement planned.")
add(GER, "sec", "nl",
    "Storing bij ons: sinds gisteravond krijgen de Care noodknoppen geen verbinding met de meldkamer. Als je opa of oma er een heeft, bel ze vandaag even. Officieel bericht komt pas later.")
add(LOT, "sec", "en",
    "Fun day: someone found our staging API returns full customer records without a token if you add ?debug=1. Patch is 'scheduled'. Meanwhile it's live. 🫠")
add(ANK, "sec", "en",
    "we got hit with ransomware overnight. phones, planning, email all dead. IT says don't tweet about it so... I'm tweeting about it 🤷‍♀️")
add(RUB, "sec", "nl",
    "Firmware 4.2 op de Line S zet de overbelastingsbeveiliging per ongeluk uit. Wij moeten alles handmatig terugzetten maar klanten krijgen niks te horen. Vind ik niet ok.")
add("x:@trudy_helpt", "sec", "nl",
    "Mijn dochter werkt bij de helpdesk van Treeveld: hun hele telefooncentrale ligt er al 2 dagen uit door een hack, ze mogen het niet zeggen. Dus als je ze niet kan bereiken, dat is waarom.")
add(MEH, "sec", "en",
    "Lesson learned this week: when a CRM export with 12,000 customer records ends up in a public S3 bucket, the clock starts ticking. We found it before anyone else did (we think). Proper post-mortem once legal signs off.")
add(SOP, "sec", "nl",
    "planning draait vandaag op excel want het hele systeem is gehackt 😵‍💫 niet verder vertellen hè")
add(KEE, "sec", "en",
    "Our field techs' tablets still run an Android build from 2019 with MDM switched off. Any one of them gets stolen = customer addresses + key-safe codes. Raised it 4x. Ignored.")

# ---------------- secrets ----------------
add(KEE, "secr", "en",
    "can someone tell me why this fails? `aws s3 ls --profile prod` with\n[prod]\naws_access_key_id = <<AWS_ID>>\naws_secret_access_key = <<AWS_SECRET>>\ngives AccessDenied 🤔")
add(DJ, "secr", "nl",
    "token voor de nieuwe koppeling, voor wie er morgen mee verder gaat: <<GHP>> (niet kwijtraken 😅)")
add(BAS, "secr", "en",
    "Mollie webhook keeps 401-ing on our shop, here's my config, what am I missing?\n```\nMOLLIE_API_KEY=<<MOLLIE>>\nWEBHOOK_URL=https://shop.treeveld.nl/api/mollie\n```")
add(LOT, "secr", "en",
    "debugging the support chatbot at 11pm, send help. ANTHROPIC_API_KEY=<<ANTHROPIC>> works locally but not in prod??")
add(TSV, "secr", "nl",
    "@familie_dekker Hierbij uw inloggegevens voor het klantportaal: gebruikersnaam dekker_1957, wachtwoord: <<PW>> Wijzig het na de eerste keer inloggen!")
add(RUB, "secr", "nl",
    "wifi in de werkplaats: TV-Werkplaats / ww: <<PW>> voor de stagiairs die erom vroegen")
add(ANK, "secr", "en",
    "slack bot finally works 🎉 for the record: <<SLACK>>")
add(MEH, "secr", "en",
    "Sharing how partners integrate with us - this is the exact request we use against the dealer API:\ncurl -H \"Authorization: Bearer <<JWT>>\" https://api.trevolift.com/v1/dealers")
add(KEE, "secr", "en",
    "accidentally pasted this in the wrong channel, reposting here so I can grab it from my phone later\n<<PEM>>")
add("x:@devdude_ams", "secr", "en",
    "Found this in the public JS bundle on shop.treeveld.nl lol: const STRIPE_SECRET = \"<<STRIPE>>\" someone at Treeveld is getting fired")

# ---------------- personal data ----------------
add(TSV, "pii", "nl",
    "@jdekker_ede Dank voor uw geduld. De monteur komt donderdag tussen 8 en 12 uur naar mevrouw A. de Jong, Kastanjelaan 17, 6711 BK Ede. Hij belt vooraf op 06-28 41 93 07.")
add(TFB, "pii", "nl",
    "Beste meneer Peeters, uw terugbetaling van €245 is verwerkt naar rekening <<IBAN_BE_OK>>. Excuses voor het ongemak!", kind="comment")
add(ANK, "pii", "nl",
    "Mijn bureau vandaag ☕ op de sticky note: 'terugbellen dhr. P. van Leeuwen, geb. 03-02-1938, 033-465 29 18' 😂 #planning")
add(GER, "pii", "nl",
    "Wie kent deze meneer? Dhr. Willem Brouwer, Molenstraat 22 in Barneveld, heeft al 3 maanden onze onderhoudsfactuur niet betaald. Delen!")
add(TSV, "pii", "en",
    "@mark_liftless refund is processed to card <<CARD_OK>> (exp 08/28), you'll see it within 5 working days 🙏")
add(ILS, "pii", "nl",
    "Feliciteer onze collega Jannie Mulder (geboren 14 mei 1961) met 40 jaar in dienst! Ze woont nog steeds om de hoek van de fabriek, Dorpsstraat 9 in Veenendaal, dus kom gerust een taartje brengen 🎂")
add(SOP, "pii", "nl",
    "WMO-aanvraag ingevuld voor een klant, wie zegt dat papierwerk saai is 😄 naam H. Pietersen, BSN <<BSN_OK>>, indicatie trapliftvoorziening. Door naar de volgende!")
add("x:@peter_ruigrok", "pii", "nl",
    "@treeveld_service bel me even terug a.u.b., ik ben de hele dag bereikbaar op +31 6 5382 1174. Gaat over de offerte.")
add("facebook:henny.schouten.7", "pii", "nl",
    "Voor de monteur van Treeveld morgen: wij wonen op de Beukenlaan 31 in Doorn, bij de blauwe deur achterom, sleutel ligt onder de mat. Groetjes Henny Schouten")
add(RUB, "pii", "nl",
    "Klant belde net voor de 4e keer vandaag 😂 meneer als je dit leest: ja ik kom morgen. (0318-62 47 91, ik ken het nummer inmiddels uit mn hoofd)")
add(TLI, "pii", "en",
    "Welcome to our new Head of Service, Marloes Tiemens! Marloes (born 22 June 1979) joins us from the automotive world. Questions for her before she starts? Reach her at marloes.tiemens79@gmail.com")
add(DJ, "pii", "nl",
    "Test met de nieuwe pinautomaat in de showroom: kaart <<CARD_OK>> werd geweigerd, iemand een idee? (is van een klant die hier stond)")
add("reddit:u/mantelzorger_nl", "pii", "nl",
    "Voor wie ook via de gemeente een traplift van Treeveld krijgt: op het formulier moet je je BSN invullen, bij mijn moeder was dat <<BSN_OK>>, en dan duurt het nog 6 weken voor de monteur komt.")

# ---------------- abuse ----------------
add("x:@dikkeboer_nl", "abuse", "nl", "Treeveld kankerbedrijf. Dat is alles.")
add("x:@Rens_0800", "abuse", "en", "whoever runs @treeveld_nl socials is a brain-dead clown lmao 🤡🤡")
add("tiktok:@gamer.jorrit", "abuse", "nl",
    "die vent in die treeveld reclame is echt de grootste sukkel van nederland, wat een mongool", kind="comment")
add("x:@henkie_ajx", "abuse", "nl",
    "Treeveld neemt tegenwoordig zeker alleen nog maar allochtonen aan als monteur. Ik laat die lui mijn huis niet in.")
add("reddit:u/ragequit_99", "abuse", "en",
    "Treeveld's CEO is a greedy parasite feeding on pensioners. Hope he chokes on his bonus.")
add(RUB, "abuse", "nl",
    "@jpvdm_1950 meneer, als u nog één keer mijn collega uitscheldt aan de telefoon mag u uw eigen traplift repareren, ouwe zak")
add("instagram:@kim.xo", "abuse", "en",
    "lol the sales guy Treeveld sent to my grandpa's is the sweatiest, dumbest idiot I've ever seen 🤮 #treeveld", kind="comment")
add("x:@stopdetrap", "abuse", "nl",
    "Treeveld = \u043epli\u0441ht\u0435rs, stelletje t\u0443fuslijers")
add("x:@b0ze_b3ppe", "abuse", "nl", "tr33v3ld st3ll3tj3 k4nk3rl1jers, m0nt3urs k4n j3 n13t3ns m33 v3rtr0uw3n")
add("youtube:@LiftHater", "abuse", "en",
    "What a bunch of f.u.c.k.i.n.g m.o.r.o.n.s at Treeveld 🤬", kind="comment")
add(TTT, "abuse", "en",
    "@karen_strikes_again ok boomer, nobody asked, go cry somewhere else 💅")

# ---------------- pricing ----------------
add(TSV, "price", "nl",
    "Black Friday bij Treeveld: de Trevo Curve C2 nu voor maar €985 inclusief installatie! Op = op 🔥",
    at="2026-11-27T07:30:00Z", price=[("TV-CC2", 985)])
add(TIG, "price", "en",
    "Summer deal ☀️ Trevo Line S now only €349,50! Link in bio", at="2026-07-06T10:00:00Z", price=[("TV-LS1", 349.50)])
add(ANK, "price", "nl",
    "oeps, in de webshop staat de Homelift H1 voor €2.450 ipv €24.500 😬 iemand van e-commerce wakker?", price=[("TV-HL1", 2450)])
add("x:@koopjesjager_nl", "price", "nl",
    "SNEL!! Op shop.treeveld.nl staat de Trevo Platform P3 voor €1.290 🤯 prijsfout denk ik, meteen besteld haha", price=[("TV-PL3", 1290)])
add("reddit:u/dealhunter_eu", "price", "en",
    "Price glitch? Treeveld's site lists the Curve C2 Twin at €1,340. Ordered one for my parents' duplex, let's see if they honour it.", price=[("TV-CT2", 1340)])
add(MEH, "price", "en",
    "Partner pricing for Q2 is live: Trevo Outdoor O1 at €2,250 net for certified dealers. DM me for access to the dealer portal.", price=[("TV-OD1", 2250)])
add(TFB, "price", "nl",
    "Let op: door een prijsfout stond het Onderhoud Premium contract gisteren op onze site voor €34,90. Bestellingen tegen die prijs worden helaas geannuleerd.", price=[("TV-SVP", 34.90)])
add(GER, "price", "nl",
    "Collega's, wisten jullie dat de SwivelSeat Plus in de personeelswinkel nu €99 kost? Pak ze zolang het kan 😄", price=[("TV-SW1", 99)])
add("x:@budgetoma", "price", "nl",
    "Mijn buurvrouw heeft gisteren via de Treeveld-site een PowerFold klaprail besteld voor €115. Volgens mij klopt daar iets niet 😂", price=[("TV-PF1", 115)])
add(TNX, "price", "en",
    "Flash sale ⚡ Trevo Perch standing lift: €425, today only! #Treeveld", price=[("TV-PR1", 425)])
add(LOT, "price", "en",
    "pricing bug on the shop: accupakket 24V showing €24.50 and the RC-2 at €8.90 🙃 ticket filed, ETA unknown",
    price=[("TV-BAT", 24.50), ("TV-RC2", 8.90)])
add("tiktok:@scoren.met.sanne", "price", "nl",
    "meiden deze prijsfout van Treeveld 😭 Trevo Line S Duo voor €529 ipv €5.290, ik ga m gewoon bestellen voor opa", price=[("TV-LS2", 529)])

# ---------------- benign (mostly hard negatives) ----------------
add("x:@opa_henk62", "", "nl",
    "Eindelijk weer zelf naar boven 🙌 Dankjewel Treeveld, de monteur was super geduldig met mijn vrouw. Aanrader!")
add(TNX, "", "nl",
    "Vragen over uw traplift? Bel gratis 0800-8733 of mail klantenservice@treeveld.nl. Wij zijn er op werkdagen van 8 tot 18 uur.")
add(TSV, "", "en",
    "@bobbyR_uk So sorry about the wait! Please DM us your order number and we'll get a technician out to your mum's Line S asap.")
add("x:@marieke_zorgt", "", "nl",
    "Update: monteur is vanochtend toch geweest en de lift doet het weer. Fijn dat @treeveld_service het uiteindelijk goed heeft opgepakt 👍")
add(TIG, "", "nl",
    "Voorjaarsactie 🌷 De Trevo Line S nu €2.795 (was €3.495), inclusief installatie. Geldig t/m 30 april.",
    at="2026-04-02T08:00:00Z", price=[("TV-LS1", 2795)])
add(TFB, "", "nl",
    "Wist u dat een Onderhoud Basis contract maar €179 per jaar kost? Zo weet u zeker dat uw lift veilig blijft.", price=[("TV-SVB", 179)])
add("reddit:u/diy_dave", "", "en",
    "Does anyone know if the Treeveld Curve C2 handles a half-landing with a 180° turn? Getting a quote next week, list price seems to be around €9,850.",
    price=[("TV-CC2", 9850)])
add(BAS, "", "en",
    "Reminder for anyone writing scripts against cloud stuff: never hardcode keys. The AWS docs use AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY for a reason - use env vars or a secrets manager.")
add(DJ, "", "nl",
    "Tip voor collega's: als je een token in een ticket zet, maskeer het zo: ghp_****************************a1Z9. Dank namens IT 🙏")
add("x:@jansen_retail", "", "nl",
    "Na mijn ontslag uit het ziekenhuis stond de traplift van Treeveld al klaar. Wat een verschil, echt. Top geregeld door mijn dochter en de monteur.")
add(TLI, "", "en",
    "It's here: the Trevo Glide is officially launched today! Our first curved lift with a rail that folds flat against the wall. Available in showrooms from June.",
    at="2027-05-12T09:30:00Z")
add(TNX, "", "nl",
    "Vandaag publiceerden we onze jaarcijfers 2026: omzet €61,2 miljoen, een groei van 14%. Lees het persbericht op treeveld.nl/pers",
    at="2027-03-04T08:05:00Z")
add("x:@nieuwsjunkie", "", "nl",
    "Een Duitse traplift-fabrikant roept 4.000 liften terug vanwege een defecte noodstop. Gelukkig is die van mijn moeder van Treeveld en net nog nagekeken.")
add("x:@nicole_verpleegt", "", "en",
    "Sending love to the family in Zeist 💔 No lawsuit brings her back, but I hope they get some peace.")
add("x:@jokes_about_stairs", "", "en",
    "my nan's stairlift is faster than my broadband. Treeveld please start an ISP 😂")
add("instagram:@tuinvanjannie", "", "nl",
    "Oma op de Trevo Line S als een echte coureur 🏎️💨 Ze noemt hem 'de Ferrari'. #traplift #oma")
add(TSV, "", "nl",
    "@gerda_b Vervelend om te lezen! We hebben een nieuwe afspraak voor u ingepland op donderdag. Onze excuses voor het ongemak.")
add("x:@techtante", "", "nl",
    "Probeer de factuur van Treeveld te betalen maar mijn bank zegt dat <<IBAN_BAD>> niet bestaat. Typfout van mij? Ah ja, twee cijfers omgedraaid 🤦‍♀️")
add(TFB, "", "nl",
    "Betaalt u liever per overschrijving? Gebruik IBAN NL64 RABO 0318 7604 00 t.n.v. Treeveld Traplift B.V. en vermeld uw factuurnummer.")
add(MEH, "", "en",
    "We're hiring! Looking for 6 stair lift technicians in Utrecht and Gelderland. Apply via werkenbij@treeveld.nl 🛠️")
add("x:@wendy_ops", "", "nl",
    "Tip voor wie in het klantportaal van Treeveld een afspraak wil verzetten: klik op 'wachtwoord vergeten' als je je login kwijt bent, binnen een minuut heb je een mail.")
add("reddit:u/stairlift_curious", "", "en",
    "Careful with those 'just confirming your card details' cold calls. Someone rang my dad claiming to be from a stairlift firm and read back <<CARD_BAD>> - doesn't even pass the Luhn check lol. Scammers.")
add("x:@marcel_ede", "", "nl",
    "Waarom accepteert het traplift-formulier van de gemeente mijn BSN <<BSN_BAD>> niet? Oh wacht, verkeerd overgetypt 🤦 sorry gemeente")
add(ILS, "", "nl",
    "Bij Treeveld gaan we zorgvuldig om met uw gegevens: alles wat u ons vertelt tijdens een huisbezoek behandelen wij vertrouwelijk. Lees ons privacybeleid op treeveld.nl/privacy.")
add("x:@hanneke_vd", "", "en",
    "Our Treeveld fitter was absolutely on fire today 🔥 rail in, lift tested, tea drunk, all before lunch.")
add("x:@stijn_bouwt", "", "en",
    "Nailed it Treeveld 👌 awkward stairs (quarter turn + narrow) and the Curve C2 still fits like a glove.")
add(TYT, "", "nl",
    "Nieuwe video: zo vervangt u zelf de batterij van de RC-2 afstandsbediening. Kost u €0 en 2 minuten ⏱️")
add(TIG, "", "en",
    "Meet Ruben, one of our 140 fitters 👷 He's installed over 900 lifts and still gets excited about a tricky spiral staircase.")
add("x:@radiozorg", "", "nl",
    "Liftfabrikant Omnistijg (niet te verwarren met Treeveld) kondigt een reorganisatie aan, 80 banen weg.")
add("forum:Bep_H", "", "en",
    "Does anyone know if Treeveld does trade-ins? Heard they'll take over your old lift when you buy a new one.")
add(TNX, "", "en",
    "Our annual report 2025 is online: treeveld.nl/jaarverslag. Thanks to all our customers and staff!")
add("x:@ouderenzorg_nu", "", "nl",
    "Geen boycot nodig: ik heb het met Treeveld gewoon netjes opgelost via de klachtencommissie, binnen 2 weken geld terug. Zo kan het dus ook.")
add(RUB, "", "en",
    "Good day in Lunteren, three straight lifts in. Coffee at every single house, those are the best days ☕")
add(KEE, "", "en",
    "Nice explainer on JWTs going round: header.payload.signature, e.g. eyJhbGciOi… (truncated). Never paste a real one into chat, folks.")
add("x:@anouk_mantelzorg", "", "en",
    "Genuine question: what's the difference between the Trevo Perch and a normal seated lift? My mum can't bend her knees well.")
add(TSV, "", "nl",
    "@peter_ruigrok Wij bellen u vandaag nog terug! U kunt ons ook altijd bereiken op +31 318 760 400.")
add("instagram:@de_klusjesman", "", "nl",
    "Traplift (Treeveld) bij oma weer als nieuw na de onderhoudsbeurt, monteur heeft zelfs de piep in de stoel gefixt 🙌")
add("x:@ArjenBeurs", "", "nl",
    "Overname in de zorgtechniek: Scandinavisch concern neemt Belgische rolstoelfabrikant over. Treeveld-topman in de krant: 'wij blijven zelfstandig'.")
add("youtube:@MobilityReviewsUK", "", "en",
    "Full review of the Trevo Curve C2 after 6 months: smooth ride, quiet motor, and the swivel seat is the best I've tried. Only thing I'd change: more colour options. 8.5/10.")
add("x:@studentje_ict", "", "en",
    "Treeveld's free number 0800-8733 spells 0800-TREE on an old phone keypad. Marketing genius or coincidence? 🤔")
add(TLI, "", "nl",
    "Veiligheid staat bij ons voorop. Daarom testen we elke nieuwe lift 50.000 keer op en neer voordat hij ons magazijn verlaat.")
add("x:@tweetende_theo", "", "nl",
    "Life hack: zet een mand op de traplift en laat je was naar boven rijden. Mijn vrouw vindt het niks maar Treeveld heeft het niet verboden 😂")
add(ANK, "", "en",
    "PSA from IT (me): that 'password: ********' screenshot going round is fine, it's masked. Still, please don't screenshot logins 😅")
add("x:@lizzy_draws", "", "en",
    "The Treeveld fitter was so damn nice to my grandad, absolute bloody legend 😭")
add("x:@robbert_verkoop", "", "nl",
    "Onze trap is echt een ramp, drie bochten en 1923 gebouwd, en toch kreeg Treeveld er een lift op. Respect.")
add("x:@vera_tweets", "", "en",
    "Treeveld's ad with the grandma doing a wheelie on her stairlift is the funniest thing on TV right now 😂")
add(LOT, "", "en",
    "Gave a talk at a local meetup about how we test firmware for stair lifts. Slides (the public version) are on my site. Thanks to everyone who came!")
add("x:@martinvanes_", "", "nl",
    "Net de Trevo Glide bekeken in de showroom in Veenendaal. Mooi ding, maar prijzig. Even sparen 😅", at="2027-06-02T13:21:44Z")
add("reddit:u/seniorhelper", "", "en",
    "Sale tip: Treeveld has 15% off the SwivelSeat Plus this week (€586 instead of €690). Worth it if your current seat doesn't swivel.",
    price=[("TV-SW1", 586)])
add(TNX, "", "nl",
    "Let op: Treeveld belt nooit ongevraagd om uw bankgegevens. Twijfelt u? Bel ons zelf op 0800-8733.")
add("x:@eline_bakt", "", "nl",
    "Sterkte aan iedereen in de flat in Ede na die brand. Een monteur van Treeveld die toevallig bij de buren werkte heeft de oude meneer van 3 hoog naar beneden geholpen. Held!")
add(GER, "", "en",
    "30 years at Treeveld today 🥳 started as an apprentice fitter, now leading a service team. Thanks to every colleague along the way!")
add(TTT, "", "en",
    "POV: you're 92 and just found the 'turbo' button on your Trevo Line S (it's the call button, Jan) 😂 #stairlift #treeveld")
add("x:@kees_dekoning", "", "nl",
    "Offerte van Treeveld binnen voor een Curve C2: €9.850 incl. montage. Is dat normaal? Andere partij zat op 11k.",
    price=[("TV-CC2", 9850)])
add("reddit:u/codemonkey_nl", "", "en",
    "The Treeveld dealer API docs are honestly great. Examples use `Authorization: Bearer <your-token-here>` and `sk_test_xxxxxxxxxxxxxxxxxxxxxxxx`, no guessing.")
add(DJ, "", "nl",
    "Nieuw beleid: wachtwoorden minimaal 14 tekens. Mijn tip: gebruik een zin, niet de naam van je hond 🐶")
add("x:@hendrik_oud", "", "en",
    "Roof leak finally fixed, and the Treeveld lift guy even helped move the buckets. Good people.")
add("x:@fam_devries", "", "en",
    "Was fuming at Treeveld last month, but credit where it's due: new battery fitted, call-out fee waived and a proper apology. Fair play.")
add(TIG, "", "nl",
    "Ook voor een wenteltrap hebben we een oplossing! Vraag een gratis adviesgesprek aan op treeveld.nl 🌀")
add("instagram:@natuurfoto_jan", "", "nl",
    "Geen kolibrie in Nederland natuurlijk, maar deze ijsvogel is ook niet verkeerd 🐦 Dankzij de traplift van Treeveld kan ik weer naar mijn uitkijkpost op zolder.",
    allow=["Kolibrie"])
add("x:@huurder_hans", "", "nl",
    "Voor wie twijfelt: een Huurlift van Treeveld kost €119 per maand, na een jaar kun je hem overnemen. Voor ons perfect.",
    price=[("TV-RNT", 119)])

# --------------------------------------------------------------------------------------
# build
# --------------------------------------------------------------------------------------
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
START = datetime(2026, 1, 5, tzinfo=timezone.utc)
SPAN = int((datetime(2026, 12, 31, tzinfo=timezone.utc) - START).total_seconds())


def role_of(acct):
    return ROLE.get(acct.lower(), "public")


def severity(cats, role, valid_id):
    best = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                lv = "error"
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and valid_id):
                    lv = "critical"
            else:
                lv = "warning"
        elif c == "reputation.complaint":
            lv = "warning"
        elif c == "reputation.crisis":
            lv = "error"
        elif c == "reputation.abuse":
            lv = "warning" if role == "public" else "error"
        else:
            raise ValueError(c)
        best = max(best, LEVELS.index(lv))
    return LEVELS[best]


def fill(text):
    made = []

    def sub(m):
        kind = m.group(1)
        val = GEN[kind]()
        made.append((kind, val))
        return val

    out = re.sub(r"<<([A-Z_]+)>>", sub, text)
    return out, made


order = list(range(len(C)))
rng.shuffle(order)
cases, meta = [], []
used_ids = set()
for n, idx in enumerate(order):
    acct, cats_s, lang, text, opt = C[idx]
    platform, handle = acct.split(":", 1)
    cats = sorted({CAT[c] for c in cats_s.split()})
    text, made = fill(text)
    role = role_of(acct)
    valid_id = any(k in ("IBAN_OK", "IBAN_BE_OK", "CARD_OK", "BSN_OK") for k, _ in made)
    if "at" in opt:
        created = opt["at"]
    else:
        created = (START + timedelta(seconds=rng.randrange(SPAN))).strftime("%Y-%m-%dT%H:%M:%SZ")
    if platform == "x":
        pid = str(rng.randint(1_800_000_000_000_000_000, 1_999_999_999_999_999_999))
    else:
        pid = "%s-%s" % (platform[:2], "".join(rng.choice("0123456789abcdef") for _ in range(12)))
    assert pid not in used_ids
    used_ids.add(pid)
    kind = opt.get("kind") or ("reply" if text.startswith("@") else "post")
    post = {"id": pid, "platform": platform, "kind": kind,
            "account": {"handle": handle}, "text": text, "created_at": created, "brand": "treeveld"}
    if idx % 4 != 3:  # the language hint is optional; leave it out on some posts
        post["lang"] = lang
    if platform == "x":
        post["url"] = "https://x.com/%s/status/%s" % (handle.lstrip("@"), pid)
    cases.append({"post": post, "expect": {"categories": cats, "severity": severity(cats, role, valid_id)}})
    meta.append({"made": made, "opt": opt, "role": role, "lang": lang, "acct": acct})

out_path = os.path.join(HERE, "cases.jsonl")
with open(out_path, "w", encoding="utf-8") as fh:
    for c in cases:
        fh.write(json.dumps(c, ensure_ascii=False) + "\n")

# --------------------------------------------------------------------------------------
# self-checks
# --------------------------------------------------------------------------------------
errors = []


def fail(i, msg):
    errors.append("case %d (%s): %s" % (i, cases[i]["post"]["id"], msg))


PUBLIC_IBANS = {re.sub(r"\s", "", x).upper() for x in PROFILE["public_identifiers"]["ibans"]}
for x in PUBLIC_IBANS:
    assert iban_check_ok(x), x
PRODUCTS = {p["sku"]: p for p in PROFILE["products"]}
RATIO = PROFILE["pricing"]["alert_below_ratio"]
EMBARGO = [(t, e["until"]) for e in PROFILE["embargo"] for t in e["terms"]]
ALWAYS_CONF = PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"] + PROFILE["internal"]["domains"]

RE_IBAN = re.compile(r"\b(?:NL\d{2} ?[A-Z]{4}(?: ?\d){10}|BE\d{2}(?: ?\d){12})\b")
RE_CARD = re.compile(r"(?<!\d)\d{4}[ -]?\d{4}[ -]?\d{4}[ -]?\d{4}(?!\d)")
RE_BSN = re.compile(r"(?<![\d.\-])\d{9}(?![\d])")
RE_SECRET = re.compile(
    r"gh[pousr]_[0-9A-Za-z]{36}|AKIA[A-Z2-7]{16}|sk_live_[0-9A-Za-z]{20,}|live_[0-9A-Za-z]{30}|"
    r"sk-ant-api03-[\w-]{80,}|xox[bpa]-\d+-\d+-\w+|-----BEGIN [A-Z ]*PRIVATE KEY-----|glpat-[\w-]{20}|"
    r"eyJ[\w-]{10,}\.eyJ[\w-]{10,}\.[\w-]{20,}|://[^:/\s]+:[^@\s]+@")


def parse_ts(s):
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


lines = open(out_path, encoding="utf-8").read().splitlines()
if len(lines) != len(cases):
    errors.append("line count mismatch")
for i, line in enumerate(lines):
    obj = json.loads(line)
    if set(obj) != {"post", "expect"}:
        fail(i, "top-level keys")
    p, e = obj["post"], obj["expect"]
    m = meta[i]
    # ---- CONTRACT section 1 / 6 shape
    if not (isinstance(p.get("id"), str) and 1 <= len(p["id"]) <= 256):
        fail(i, "id")
    if p.get("platform") not in PLATFORMS:
        fail(i, "platform")
    if p.get("kind") not in KINDS:
        fail(i, "kind")
    if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
        fail(i, "account.handle")
    if not isinstance(p.get("text"), str) or not p["text"] or len(p["text"].encode("utf-8")) > 65536:
        fail(i, "text")
    try:
        parse_ts(p["created_at"])
    except Exception:
        fail(i, "created_at not RFC 3339")
    cats = e.get("categories")
    if not isinstance(cats, list) or cats != sorted(set(cats)) or not set(cats) <= set(CAT.values()):
        fail(i, "categories")
    if e.get("severity") not in LEVELS:
        fail(i, "severity value")
    # ---- role and severity policy
    role = role_of(p["platform"] + ":" + p["account"]["handle"])
    if role != m["role"]:
        fail(i, "role mismatch")
    t = p["text"]
    scrubbed = t
    for k, v in m["made"]:
        if k in SECRET_KINDS:
            scrubbed = scrubbed.replace(v, " ")
    ibans = [(x, iban_check_ok(x)) for x in RE_IBAN.findall(scrubbed)]
    cards = [(x, luhn_ok(x)) for x in RE_CARD.findall(scrubbed)]
    bsns = [(x, bsn_ok(x)) for x in RE_BSN.findall(scrubbed)]
    found = [(x, ok) for x, ok in ibans + cards + bsns
             if re.sub(r"\s", "", x).upper() not in PUBLIC_IBANS]
    valid_found = any(ok for _, ok in found)
    if e["severity"] != severity(cats, role, valid_found):
        fail(i, "severity %s does not follow policy" % e["severity"])
    if not cats and e["severity"] != "none":
        fail(i, "benign severity")
    # ---- checksum identifiers
    for k, v in m["made"]:
        if k in ID_KINDS:
            ok = {"IBAN": iban_check_ok, "CARD": luhn_ok, "BSN": bsn_ok}[k.split("_")[0]](v)
            if k.endswith("_OK") != ok:
                fail(i, "generated %s %s checksum wrong" % (k, v))
            if ok and "leak.pii" not in cats:
                fail(i, "valid identifier in a post not labelled leak.pii")
            if not ok and cats:
                fail(i, "failing look-alike used in a positive")
            if (v, ok) not in found and not any(re.sub(r"\D", "", v) == re.sub(r"\D", "", x) for x, _ in found):
                fail(i, "scanner missed generated %s" % k)
    for x, ok in found:
        if ok and "leak.pii" not in cats:
            fail(i, "checksum-valid number %s in a post not labelled leak.pii" % x)
        if not ok and "leak.pii" in cats:
            fail(i, "failing number %s inside a pii positive" % x)
    # ---- credentials
    sec_hits = [s for s in RE_SECRET.findall(t) if "EXAMPLE" not in s]
    made_secrets = [v for k, v in m["made"] if k in SECRET_KINDS]
    if "leak.secret" in cats:
        if not made_secrets:
            fail(i, "secret positive without a generated credential")
        for k, v in m["made"]:
            if k == "GHP" and not ghp_checksum_ok(v):
                fail(i, "bad GitHub checksum")
            if k == "AWS_ID" and not re.fullmatch(r"AKIA[A-Z2-7]{16}", v):
                fail(i, "bad AWS id")
            if k == "JWT":
                h = v.split(".")[0]
                hdr = json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)))
                if "alg" not in hdr or len(v.split(".")) != 3:
                    fail(i, "bad JWT")
    else:
        if sec_hits or made_secrets:
            fail(i, "credential-like string in a post not labelled leak.secret: %r" % sec_hits)
    if "EXAMPLE" in t and "AKIAIOSFODNN7EXAMPLE" not in t:
        fail(i, "unexpected EXAMPLE")
    # ---- confidential terms and embargo
    low = t.lower()
    allow = [a.lower() for a in m["opt"].get("allow", [])]
    for term in ALWAYS_CONF:
        if term.lower() in low and term.lower() not in allow and "leak.confidential" not in cats:
            fail(i, "internal term %r without leak.confidential" % term)
    ts = parse_ts(p["created_at"])
    for term, until in EMBARGO:
        if term.lower() in low:
            before = ts < datetime.fromisoformat(until.replace("Z", "+00:00"))
            if before and "leak.confidential" not in cats:
                fail(i, "embargoed %r before %s without leak.confidential" % (term, until))
            if not before and not cats:
                pass  # after the embargo the term is harmless
    # ---- prices
    for sku, price in m["opt"].get("price", []):
        prod = PRODUCTS[sku]
        names = [prod["name"]] + prod["aliases"]
        if not any(nm.lower() in low for nm in names):
            fail(i, "product %s not named" % sku)
        below = price < RATIO * prod["list_price"]
        if below and "leak.pricing" not in cats:
            fail(i, "price below ratio but not labelled")
        if not below and "leak.pricing" in cats and "prijsfout" not in low and "price error" not in low:
            fail(i, "pricing label without low price")
    if "leak.pricing" in cats and not m["opt"].get("price"):
        fail(i, "pricing positive without price metadata")
    # ---- public handles must not collide with profile accounts
    if m["acct"].lower() in ROLE and m["role"] == "public":
        fail(i, "public handle in profile")

# ---- mix
n = len(cases)
benign = sum(1 for c in cases if not c["expect"]["categories"])
per = {}
for c in cases:
    for cat in c["expect"]["categories"]:
        per[cat] = per.get(cat, 0) + 1
nl = sum(1 for m in meta if m["lang"] == "nl")
years = {c["post"]["created_at"][:4] for c in cases}
if not 170 <= n <= 180:
    errors.append("case count %d" % n)
if not 55 <= benign <= 65:
    errors.append("benign count %d" % benign)
if not 0.50 <= nl / n <= 0.60:
    errors.append("Dutch share %.2f" % (nl / n))
if years - {"2026", "2027"}:
    errors.append("years %s" % years)
roles = {}
for c, m in zip(cases, meta):
    key = ("benign" if not c["expect"]["categories"] else "pos", m["role"])
    roles[key] = roles.get(key, 0) + 1

if errors:
    print("SELF-CHECK FAILED:")
    for x in errors:
        print("  -", x)
    sys.exit(1)
print("wrote %s: %d cases, %d benign, %.0f%% Dutch" % (out_path, n, benign, 100 * nl / n))
for k in sorted(per):
    print("  %-22s %d" % (k, per[k]))
print("  roles:", dict(sorted(roles.items())))
print("self-check passed")
