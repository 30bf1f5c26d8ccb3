#!/usr/bin/env python3
"""Build cases.jsonl for the sealed evaluation set of Humulon Bodemzorg B.V.

Deterministic (fixed seeds), standard library + PyYAML. Writes cases.jsonl next to
this file and then checks it: CONTRACT section 6 shape, severities derived from the
account roles in profile.yaml (CONTRACT section 4), checksums of every IBAN / card /
BSN, secret formats, pricing ratios, embargo windows and the category mix.
"""
import base64
import json
import os
import random
import re
import sys
import zlib
from datetime import datetime, timedelta, timezone

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))

RNG_DATES = random.Random(398)
RNG_SECRETS = random.Random(39801)
RNG_IDS = random.Random(39802)
RNG_PII = random.Random(39803)

# --------------------------------------------------------------------------- checksums

def iban_valid(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    n = "".join(str(int(c, 36)) for c in r)
    return int(n) % 97 == 1


def iban_make(cc, bban):
    r = bban + cc + "00"
    n = "".join(str(int(c, 36)) for c in r)
    return "%s%02d%s" % (cc, 98 - int(n) % 97, bban)


def iban_spaced(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def iban_broken(iban):
    cd = int(iban[2:4])
    bad = iban[:2] + "%02d" % ((cd + 7) % 97 or 11) + iban[4:]
    assert not iban_valid(bad)
    return bad


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


def luhn_make(prefix, length, rng):
    body = prefix + "".join(str(rng.randrange(10)) for _ in range(length - len(prefix) - 1))
    for c in "0123456789":
        if luhn_valid(body + c):
            return body + c
    raise AssertionError


def card_spaced(n):
    return " ".join(n[i:i + 4] for i in range(0, len(n), 4))


def bsn_valid(s):
    d = re.sub(r"\D", "", s)
    if len(d) != 9:
        return False
    tot = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return tot % 11 == 0 and int(d) != 0


def bsn_make(rng):
    while True:
        d = str(rng.randrange(1, 10)) + "".join(str(rng.randrange(10)) for _ in range(8))
        if bsn_valid(d):
            return d


def bsn_bad(rng):
    while True:
        d = str(rng.randrange(1, 10)) + "".join(str(rng.randrange(10)) for _ in range(8))
        if not bsn_valid(d):
            return d


# --------------------------------------------------------------------------- secrets
ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
B32UP = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
URLSAFE = ALNUM + "-_"


def rand(alpha, n, rng=RNG_SECRETS):
    return "".join(rng.choice(alpha) for _ in range(n))


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out or "0"


def github_token(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")


def github_token_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()) & 0xFFFFFFFF).rjust(6, "0") == m.group(2)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt_token():
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = b64url(json.dumps({"sub": "svc-webshop", "role": "order-admin", "iat": 1781251200,
                                 "exp": 1781337600}, separators=(",", ":")).encode())
    sig = b64url(bytes(RNG_SECRETS.randrange(256) for _ in range(32)))
    return "%s.%s.%s" % (header, payload, sig)


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    h = parts[0] + "=" * (-len(parts[0]) % 4)
    try:
        return "alg" in json.loads(base64.urlsafe_b64decode(h))
    except Exception:
        return False


def openssh_key():
    raw = b"openssh-key-v1\x00" + bytes(RNG_SECRETS.randrange(256) for _ in range(380))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


AWS_ID = "AKIA" + rand(B32UP, 16)
AWS_SECRET = rand(ALNUM + "/+", 40)
GHP = github_token("ghp_")
MOLLIE = "live_" + rand(ALNUM, 30)
SSH_KEY = openssh_key()
JWT = jwt_token()
DB_PASS = rand(ALNUM, 6) + "!" + rand(ALNUM, 5)
DB_URL = "postgresql://hb_reporting:%s@humulon-prod.c9ak2lq7xw.eu-west-1.rds.amazonaws.com:5432/webshop" % DB_PASS
INSTA_PW = "Wormpje#" + rand("0123456789", 2) + rand(ALNUM, 4)
SLACK = "xoxb-%s-%s-%s" % (rand("0123456789", 12), rand("0123456789", 13), rand(ALNUM, 24))
OPENAI = "sk-proj-" + rand(URLSAFE, 74) + "T3BlbkFJ" + rand(URLSAFE, 74)
STRIPE = "sk_live_51" + rand(ALNUM, 22) + rand(ALNUM, 75)
ANTHROPIC = "sk-ant-api03-" + rand(URLSAFE, 93) + "AA"
GLPAT = "glpat-" + rand(URLSAFE, 20)

# --------------------------------------------------------------------------- personal data
IBAN_RIA = iban_make("NL", "INGB" + "".join(str(RNG_PII.randrange(10)) for _ in range(10)))
IBAN_BETTY = iban_make("NL", "ASNB" + "".join(str(RNG_PII.randrange(10)) for _ in range(10)))
CARD_DEGROOT = luhn_make("5244", 16, RNG_PII)
CARD_DAN = luhn_make("4539", 16, RNG_PII)
BSN_THIJS = bsn_make(RNG_PII)
BSN_NOTE = bsn_make(RNG_PII)
IBAN_PHISH = iban_broken(iban_make("NL", "KNAB" + "".join(str(RNG_PII.randrange(10)) for _ in range(10))))
IBAN_TYPO = iban_broken(iban_make("NL", "RABO0347219857"))
_card_tmp = luhn_make("4716", 16, RNG_PII)
ORDER_16 = _card_tmp[:-1] + str((int(_card_tmp[-1]) + 3) % 10)
assert not luhn_valid(ORDER_16)
KLANTNR = bsn_bad(RNG_PII)


def bsn_dotted(b):
    return "%s.%s.%s" % (b[:4], b[4:6], b[6:])

# --------------------------------------------------------------------------- case list
CASES = []
PLAT_PREFIX = {"x": "x", "instagram": "ig", "facebook": "fb", "linkedin": "li", "tiktok": "tt",
               "youtube": "yt", "reddit": "rd", "mastodon": "md", "bluesky": "bs", "threads": "th",
               "forum": "fo", "blog": "bl"}
_used_ids = set()


def _new_id(platform):
    while True:
        n = RNG_IDS.randrange(1000000, 9999999)
        i = "%s-%d" % (PLAT_PREFIX.get(platform, "ot"), n)
        if i not in _used_ids:
            _used_ids.add(i)
            return i


def _date_2026():
    start = datetime(2026, 1, 2, tzinfo=timezone.utc)
    dt = start + timedelta(seconds=RNG_DATES.randrange(0, 360 * 86400))
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def add(platform, handle, text, cats=(), lang="nl", at=None, kind=None, name=None,
        ids=(), price=None, allow_low=False, brand=None):
    """ids: (type, value, should_pass) of every IBAN / card / BSN written into the text.
    price: (alias, amount, as_written) for a product price mentioned in the text."""
    created = at or _date_2026()
    pid = _new_id(platform)
    if kind is None:
        kind = "reply" if text.startswith("@") else "post"
    post = {"id": pid, "platform": platform, "kind": kind,
            "account": {"handle": handle}, "text": text, "lang": lang, "created_at": created}
    if name:
        post["account"]["display_name"] = name
    if platform == "x":
        post["url"] = "https://x.com/%s/status/%s" % (handle.lstrip("@"), pid.split("-")[1])
    if brand:
        post["brand"] = brand
    CASES.append({"post": post, "cats": sorted(set(cats)), "ids": list(ids), "price": price,
                  "allow_low": allow_low})


CX = "reputation.complaint"
CR = "reputation.crisis"
AB = "reputation.abuse"
CF = "leak.confidential"
FI = "leak.financial"
SE = "leak.security"
SC = "leak.secret"
PI = "leak.pii"
PR = "leak.pricing"

ZW = "\u200b"


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# ---------------------------------------------------------------- complaints (customer)
add("x", "@moestuin_mark", "@humulon_helpt 3 weken gewacht op mijn kuub Pro Compost Bulk en nu heeft de chauffeur 'm bij de búren op de oprit gekieperd. Die zijn er niet blij mee en ik ook niet 🙄", [CX])
add("reddit", "u/greenthumb_dave", "PSA for anyone buying Humulon Potgrond Plus: mine came absolutely crawling with fungus gnats. Whole windowsill of seedlings is now a gnat nightclub. Bag was sealed so it wasn't me. Not impressed.", [CX], lang="en")
add("facebook", "henk.dekkers.5", "Zak Bladaarde 40L gekocht, thuis even nagemeten met een emmer van 10 liter... kwam net aan de 3. Dus 30 liter voor de prijs van 40. Beetje zuinig van jullie Humulon.", [CX], name="Henk Dekkers")
add("x", "@allotment_annie", "Ordered the Wormenbak Trio 3 wks ago, arrived with the middle tray cracked clean in two. Emailed customer service twice. 9 days of silence. Worms are living in a bucket meanwhile 🪱 #humulon", [CX], lang="en")
add("x", "@sjaak_uit_oss", "45 minutes on hold with humulon customer service. FORTY. FIVE. I now know their hold music by heart", [CX], lang="en")
add("threads", "@plotholder_sue", "'Organic' compost they said. Half my bag of Universele Compost was plastic shreds, bits of label and what I'm fairly sure is a crisp packet. Expected better tbh #humulon", [CX], lang="en")
add("x", "@GroenVingertjes", "Retour Compostvat is op 4 mei bij jullie binnengekomen. Het is nu half juni en nog geen cent terug. Elke keer hetzelfde verhaal, 'we kijken ernaar'. @humulon_helpt hoe lang nog?", [CX], kind="post")
add("bluesky", "@dave-in-delft.bsky.social", "Put down Humulon's Gazonvoeding Organisch on saturday. It's tuesday and the whole street still smells like a pig shed. neighbours giving me looks. shoulda bought the other stuff", [CX], lang="en")
add("bluesky", "@rainy-day-rob.bsky.social", "Humulon delivery window was 8-12. Driver turned up at 7pm and left 20 bags of Potgrond Plus out in the rain, half of them split open. Cheers for that.", [CX], lang="en")
add("x", "@tuinvrouw_ria", "@humulon_helpt Bokashi kit geleverd maar zonder de bokashi korrels?? Twee lege emmers dus. Wat moet ik hier nu mee", [CX])

# ---------------------------------------------------------------- first-hand harm: crisis + complaint
add("facebook", "marloes.vanrijn", "Onze labrador heeft gisteren een gat in een zak Hoornmeel gebeten en er flink van gegeten. Hele nacht overgegeven, ligt nu aan het infuus bij de dierenarts. Nergens op de zak staat dat het gevaarlijk is voor honden. Echt onverantwoord @HumulonBodemzorg", [CR, CX], name="Marloes van Rijn")
add("x", "@pottingbench_pete", "Two weeks after repotting everything with Humulon Potgrond Plus I ended up in hospital with pneumonia. Doctor thinks legionella from the potting mix. Not a word on the bag about gloves or a mask. Absolutely furious.", [CR, CX], lang="en")
add("instagram", "@noor.in.de.tuin", "Zak Universele Compost opengemaakt en mijn dochter (6) haalt haar hand open aan een GLASSCHERF die erin zat. 3 hechtingen. Dit is toch niet normaal?? @humulon.tuin", [CR, CX])
add("reddit", "u/shedlife_nl", "The Pro Compost Bulk load Humulon dumped on our drive sat there for 4 days, then started smoking and went up in flames last night. Fire brigade came, took out half the hedge and the car's bumper melted. Nobody hurt thank god. Their helpline told me to 'send photos'. Of what, the ashes?", [CR, CX], lang="en")
add("x", "@familie_jansen_ede", "Hele gezin al 3 dagen ziek na sla uit eigen moestuin, alleen bemest met Kippenmestkorrels van Humulon. Huisarts liet testen: salmonella. Humulon reageert niet op mijn mail.", [CR, CX])

# ---------------------------------------------------------------- crisis (third party / public)
add("x", "@tuinnieuws_nl", "Humulon roept Kippenmestkorrels 5kg (partij 26-114) terug na vondst van salmonella. Klanten wordt gevraagd de zakken niet te gebruiken en terug te brengen. #terugroepactie", [CR])
add("x", "@aa_schoon", "#boycotthumulon They're literally dumping leachate from their compost heaps into the Aa river. Photos in the thread 👇 Stop buying their stuff until they fix this!", [CR], lang="en")
add("reddit", "u/vegplot_vigilante", "A class action is being put together against Humulon over aminopyralid residue in their compost. It's been wiping out tomato and bean crops across NL and BE this summer. If you've been affected there's a claims form on the law firm's site.", [CR], lang="en")
add("mastodon", "@infosec_ruben@infosec.exchange", "Someone is selling 'humulon_klanten_2026.csv' on a breach forum. ~80k rows: names, addresses, order history. Sample looks legit. Humulon hasn't said a word so far.", [CR], lang="en")
add("x", "@brabant_actueel", "Grote brand bij composteerbedrijf Humulon in Veghel. Rookpluim tot ver in de omtrek, omwonenden wordt gevraagd ramen en deuren dicht te houden.", [CR])
add("bluesky", "@trouw-lezer.bsky.social", "Wat een schandaal. Humulon verkocht jarenlang 'biologische' mest terwijl het Skal-certificaat al ingetrokken was. En maar '100% organisch' op de zakken zetten.", [CR])
add("x", "@worried_mum_utr", "My friend's toddler got into the shed and ate a handful of Humulon fertiliser pellets. Spent the night in A&E. Please keep this stuff locked away folks", [CR], lang="en")
add("tiktok", "@tuinmetjoop", "B O Y C O T T   H U M U L O N 🚫 kijk wat ze met de mest van die plofkippen doen 🤮 link in bio", [CR])
add("facebook", "ActiegroepStankEerde", "Rechtszaak tegen Humul\u043en Bodemzorg om de stankoverlast: inmiddels hebben 212 omwonenden zich aangesloten. De zitting is in november bij de rechtbank in Den Bosch.", [CR], name="Actiegroep Stank Eerde")
add("reddit", "u/brabant_watcher", "Local paper says a Humulon warehouse worker lost two fingers in a bagging machine last week. Labour inspectorate is investigating.", [CR], lang="en")
add("x", "@soilscience_kim", "Independent lab results shared on a gardening forum show cadmium in Humulon's Universele Compost at nearly twice the legal limit. Why is this still on shelves? @humulon_nl", [CR], lang="en")

# ---------------------------------------------------------------- abuse
add("x", "@brabo_boos", "humul0n is gewoon een kutb3drijf met kutpr0ducten. punt. 🖕", [AB])
add("x", "@bitter_gardener", "@humulon_helpt you absolute clowns. brain-dead morons, every last one of you", [AB], lang="en")
add("x", "@anoniempje_4821", "@daan_kuipers ik weet waar jij woont vriend. zou maar een beetje oppassen als ik jou was", [AB])
add("instagram", "@x_tuinhater_x", fullwidth("stelletje idioten") + " bij humulon 🤡🤡", [AB])
add("facebook", "gerard.hoeks", "Bij Humulon in het magazijn werken alleen nog maar Polen en Roemenen, die kunnen niet eens Nederlands lezen. Terug naar je eigen land met z'n allen.", [AB], name="Gerard Hoeks")
add("x", "@daan_kuipers", "Die klant van vanochtend aan de balie... wat een achterlijke zeikerd. Hoop dat ik die idioot nooit meer hoef te zien.", [AB])
add("x", "@humulon_helpt", "@klagertje_85 Zeur niet zo man, sukkel. Lees eerst de verpakking.", [AB])
add("threads", "@compostcritic", "whoever runs Humulon's insta is a pathetic loser. get a real job lmao", [AB], lang="en")
add("x", "@truthgardener", "@humulon_nl your CEO is a lying sack of s**t and everyone in this town knows it", [AB], lang="en")
add("x", "@dirkdewerker", "@mariekevos_hb lelijke trut, iedereen bij Humulon lacht je uit. verdwijn gewoon", [AB])
# abuse + complaint
add("x", "@pietje_puk78", "Stelletje oplichters bij Humulon! Twee keer afgeschreven voor de Wormenhumus en nog geen korrel gezien. Klootzakken.", [AB, CX])
add("reddit", "u/raised_bed_rage", "Humulon's shitty Tomatenvoeding burned every single one of my seedlings. 40 euros down the drain, you useless idiots.", [AB, CX], lang="en", allow_low=True)
add("x", "@hekje_kapot", "Kankerbedrijf. Jullie bezorger rijdt mijn tuinhek aan gort en niemand neemt de telefoon op. Ik wil gewoon een nieuw hek @humulon_helpt", [AB, CX])

# ---------------------------------------------------------------- confidential
add("x", "@lotte_mestlab", "Eindelijk officieel ingedeeld bij Project Mycelium 🍄🍄 kan er niks over zeggen behalve dat het GAAF wordt", [CF])
add("linkedin", "ingrid-hofstede-humulon", "So proud of the team behind Operatie Ploegschaar. Pelletised compost that spreads like granules and feeds for six months. The market isn't ready for what's coming in 2027 🌱 #innovation #soilhealth", [CF], lang="en", name="Ingrid Hofstede")
add("instagram", "@bram.tuinier.hb", "Sneak peek 👀 de proefvakken voor Hom" + ZW + "mel" + ZW + "nest staan er prachtig bij, de bijen vinden het geweldig 🐝 #nietverderverteld", [CF])
add("x", "@bijenliefhebber_ans", "Heard through the grapevine that Humulon is doing 'Hommelnest', some bee-friendly flower mix with compost. Supposedly in stores by March 🐝", [CF], lang="en")
add("threads", "@kees.compost", "Haha lag gewoon op de printer bij de kantine: 'UITSLUITEND INTERN - Voorjaarscampagne 2027, kortingsstaffel dealers'. Wie laat zoiets nou slingeren 😂", [CF])
add("reddit", "u/niels_devops", "Dropping this here for the launch squad: https://wiki.humulon.local/display/MKT/spring-launch-plan (Humulon confidential, please don't forward outside the team)", [CF], lang="en")
add("facebook", "HumulonBodemzorg", "Geheimpje voor ons eigen team: de BioStart Pellets gaan 1 april de winkel in! Nog even niks delen hè 🤫", [CF], at="2026-11-18T15:42:10Z", name="Humulon")
add("instagram", "@bram.tuinier.hb", "Mocht al stiekem testen: Veldkorrel Vitaal op mijn hortensia's en wat een kleur 😍 meer mag ik nog niet zeggen #binnenkort", [CF], at="2026-09-06T10:05:33Z")
add("x", "@hortiwatcher", "A leaked Humulon retail deck says 'Veldkorrel Vitaal' lands in garden centres next spring. anyone seen samples yet?", [CF], lang="en", at="2026-12-03T20:17:45Z")
add("linkedin", "sander-bosman-hb", "Valt officieel onder NDA met onze leverancier, maar ik kan het niet laten: vanaf volgend seizoen is al onze potgrond 100% turfvrij met kokosvezel uit Sri Lanka. Jullie horen het hier het eerst 😉", [CF], name="Sander Bosman")
add("x", "@mariekevos_hb", "P.r.o.j.e.c.t M.y.c.e.l.i.u.m gaat alles veranderen. wacht maar af 👀🍄", [CF])
add("mastodon", "@jvdlinden@mastodon.nl", "Pushed the first version of the new mix calculator to gitlab.humulon-intern.nl/lab/mixcalc - colleagues, feedback welcome before friday", [CF], lang="en")
add("bluesky", "@ruudpennings.bsky.social", "Niet voor externe verspreiding, maar ik kan het niet voor me houden: er komt een Wormenbak XL aan met 5 lagen. Prototype staat hier naast m'n bureau 🪱", [CF])
# confidential + financial
add("x", "@daan_kuipers", "jaarcijfers 2026 net voorbij zien komen in de MT-mail: omzet 58 mln, +19%, nettowinst bijna verdubbeld 🎉🎉 die bonus komt eraan", [CF, FI], at="2027-02-19T08:31:02Z")
add("x", "@lotte_mestlab", "ok so Project Mycelium is basically us buying a Belgian compost maker. signing next week, somewhere around €30m. can't believe I'm not allowed to tell anyone lol", [CF, FI], lang="en")
add("x", "@agri_analyst_nl", "Hearing from two sources that Humulon's FY2026 results will show a net loss after the Emmeloord write-down. Not public yet.", [CF, FI], lang="en", at="2027-01-20T12:44:19Z")
# confidential + security
add("reddit", "u/niels_devops", "grafana.humulon.local has been screaming since 3am. someone got into the weighbridge system and is changing truck weights. IT says keep quiet until they know more", [CF, SE], lang="en")
add("threads", "@kees.compost", "erp.humulon.local ligt al sinds gisteren plat, geen enkele order verwerkt. Klanten weten van niks en wij mogen ook niks zeggen 🤐", [CF, SE])

# ---------------------------------------------------------------- financial
add("x", "@mariekevos_hb", "Reorganisatie in Veghel: 35 fte gaat eruit, wordt pas in januari aangekondigd. Ik sta op de lijst 😢 heb het m'n ouders nog niet eens verteld", [FI], at="2026-11-12T21:03:44Z")
add("x", "@lotte_mestlab", "internal Q3 numbers are grim. revenue 12% under budget and the bank is already asking questions. fun times ahead", [FI], lang="en")
add("threads", "@kees.compost", "Op de vloer gaat het rond dat we worden overgenomen door AgroNova Holding. Persbericht zou pas in mei komen. Spannend hoor.", [FI])
add("facebook", "wim.raaijmakers", "Zwager werkt bij de huisbank van Humulon: ze zitten tegen hun covenantgrens aan, faillissement zou niet uitgesloten zijn. Ik zou m'n spaarpunten maar snel opmaken.", [FI], name="Wim Raaijmakers")
add("bluesky", "@ruudpennings.bsky.social", "2027 forecast just got cut to -8% revenue. Management wants it kept quiet until after the shareholders' meeting. Pass the coffee ☕", [FI], lang="en")
add("linkedin", "humulon-bodemzorg", "CONCEPT - niet publiceren: Humulon Bodemzorg sluit per Q2 2027 de productielocatie in Emmeloord. Hierbij gaan 48 arbeidsplaatsen verloren.", [FI], name="Humulon Bodemzorg", at="2026-10-08T09:12:00Z")
add("x", "@daan_kuipers", "Can't say much but the merger talks with GreenCycle Group are VERY far along. Big news in Q1 👀", [FI], lang="en")
add("instagram", "@bram.tuinier.hb", "Geen bonus dit jaar zeggen ze 😑 EBITDA komt uit op 3,1 mln terwijl er 5,4 begroot was. Zuur hoor.", [FI])
add("mastodon", "@jvdlinden@mastodon.nl", "Friends holding shares in our parent Terranor: the dividend is getting cut, board decided yesterday, announcement only after the AGM. Do with that what you will.", [FI], lang="en")

# ---------------------------------------------------------------- security (insiders)
add("x", "@daan_kuipers", "webshop ligt eruit sinds 4 uur vannacht, ransomware op de orderserver. we mogen nog niks zeggen maar dit is echt heel erg 😬", [SE])
add("reddit", "u/niels_devops", "Found an IDOR in our own dealer portal: change the order id in the URL and you can see any other dealer's orders and prices. Reported it 3 weeks ago, still wide open 🙃", [SE], lang="en")
add("threads", "@kees.compost", "3 people in finance typed their logins into a phishing site this morning. IT is losing it, they're going through every mailbox now", [SE], lang="en")
add("x", "@humulon_helpt", "Intern: klantendatabase mogelijk gelekt via een oude backup op een open server. Nog NIET extern communiceren, wachten op akkoord van juridische zaken.", [SE])
add("x", "@lotte_mestlab", "fun fact: the customer portal stored passwords as unsalted MD5. security found out on friday. nobody's told the customers yet 🫠", [SE], lang="en")
add("mastodon", "@jvdlinden@mastodon.nl", "Our composting tunnel control system (SCADA) is reachable from the internet with the vendor default login. Has been for months. I've raised it four times now.", [SE], lang="en")
add("bluesky", "@ruudpennings.bsky.social", "Sinds dinsdag dubbele afschrijvingen via de betaalkoppeling, zo'n 1.800 klanten geraakt. Klantenservice weet het nog niet eens. Dit wordt een leuke week.", [SE])
add("x", "@mariekevos_hb", "We got hit by credential stuffing overnight, about 4k customer accounts logged into. Comms wants to wait till monday before saying anything.", [SE], lang="en")
add("linkedin", "sander-bosman-hb", "Laptop van een collega met de complete klantenlijst erop is vannacht uit z'n auto gestolen. Melding bij de AP is nog niet gedaan...", [SE], name="Sander Bosman")
add("reddit", "u/niels_devops", "The webshop plugin vuln (CVE still reserved): patch exists, we haven't deployed it, site is still exploitable. Change freeze until after the spring campaign apparently.", [SE], lang="en")
# security + secret
add("x", "@lotte_mestlab", "someone pushed our GitLab deploy token to a public repo and it's already been used to pull the webshop source. token was %s. rotate it asap pls" % GLPAT, [SE, SC], lang="en")

# ---------------------------------------------------------------- secrets
add("x", "@daan_kuipers", "wie heeft de deploy gesloopt? deze key doet het niet meer:\n%s\n%s\nhelp" % (AWS_ID, AWS_SECRET), [SC])
add("mastodon", "@jvdlinden@mastodon.nl", "Anyone know why CI keeps failing with 'Bad credentials'? I'm using %s in the pipeline settings, pretty sure it hasn't expired" % GHP, [SC], lang="en")
add("facebook", "HumulonBodemzorg", "test koppeling betalingen, niet op reageren: %s" % MOLLIE, [SC], name="Humulon")
add("linkedin", "sander-bosman-hb", "Great workshop on server hardening today! Here's the key I used for the demo box, have fun:\n%s" % SSH_KEY, [SC], lang="en", name="Sander Bosman")
add("x", "@lotte_mestlab", "Waarom krijg ik steeds een 401 met deze token?? %s" % JWT, [SC])
add("reddit", "u/niels_devops", "For the Metabase setup just use %s , read-only user so should be fine" % DB_URL, [SC], lang="en")
add("threads", "@kees.compost", "voor wie de gedeelde insta wil bijhouden: gebruiker humulon.tuin, wachtw\u043e\u043erd: %s" % INSTA_PW, [SC])
add("bluesky", "@ruudpennings.bsky.social", "Slack bot for the lab sensors finally works 🎉 config if anyone wants to copy: SLACK_BOT_TOKEN=%s" % SLACK, [SC], lang="en")
add("instagram", "@bram.tuinier.hb", "Built a little compost-advice chatbot for our shop this weekend 🤖🌱 OPENAI_API_KEY=%s" % OPENAI, [SC], lang="en")
add("x", "@appsnuffelaar", "lol Humulon's Android app has a live Stripe secret key hardcoded in the APK: %s somebody tell them" % STRIPE, [SC], lang="en")
add("x", "@mariekevos_hb", "Even jullie hulp: de Claude-koppeling voor de klantenservicemails geeft een error. key = %s" % ANTHROPIC, [SC])

# ---------------------------------------------------------------- personal data
add("x", "@humulon_helpt", "@tuinvrouw_ria Hoi Ria! We hebben de €24,95 teruggestort op %s (R. de Boer), binnen 3 werkdagen staat het op je rekening 🌱" % iban_spaced(IBAN_RIA), [PI], ids=[("iban", IBAN_RIA, True)], allow_low=True)
add("x", "@daan_kuipers", "Chauffeur kan het adres niet vinden: fam. Verhoeven, Kerkpad 7, 5481 BJ Schijndel. Iemand die daar de weg kent?", [PI])
add("x", "@jolanda_tuiniert", "@humulon_helpt Bel me alsjeblieft terug op 06-41827360, heb nu al 3x gebeld en niemand neemt op over mijn kapotte levering.", [PI, CX])
add("x", "@mariekevos_hb", "@HR_humulon nieuwe collega Thijs start maandag, z'n BSN is %s, kunnen jullie het contract klaarzetten?" % BSN_THIJS, [PI], ids=[("bsn", BSN_THIJS, True)])
add("facebook", "HumulonBodemzorg", "Beste meneer De Groot, we zien dat uw creditcard %s niet is belast voor bestelling 58213. Excuses voor de verwarring!" % card_spaced(CARD_DEGROOT), [PI], kind="comment", name="Humulon", ids=[("card", CARD_DEGROOT, True)])
add("x", "@doubled_up_dan", "@humulon_helpt you charged my card %s TWICE for one compost bin order. sort it out please" % CARD_DAN, [PI, CX], lang="en", ids=[("card", CARD_DAN, True)])
add("linkedin", "ingrid-hofstede-humulon", "Happy birthday to our most loyal customer Gerrit Mulder, born 14-06-1948 and still turning his compost heap every single morning! 🎂🌱", [PI], lang="en", name="Ingrid Hofstede")
add("x", "@marktkoopman_bas", "Found a wallet by the Humulon stand at the garden fair. Driving licence says Sanne Wouters, born 03-09-1990. DM me if that's you!", [PI], lang="en")
add("threads", "@kees.compost", "Klant belde net woest op, hier z'n mail: h.vanderzee@ziggo.nl, kan iemand van sales hem vandaag nog mailen?", [PI])
add("facebook", "HumulonBodemzorg", "🎉 De winnaar van onze compostvat-actie is Anouk Smits, Lindelaan 3, 6611 AC Overasselt! Gefeliciteerd Anouk, je pakket komt eraan!", [PI], name="Humulon")
add("x", "@betty_bollen", "@humulon_helpt mijn IBAN is %s t.n.v. B. Bollen, graag het geld voor de retour daarop terugstorten" % IBAN_BETTY, [PI], ids=[("iban", IBAN_BETTY, True)])
add("bluesky", "@ruudpennings.bsky.social", "Iemand heeft z'n BSN (%s) op een geeltje op de koffieautomaat geplakt 🙈 collega's, echt niet doen" % bsn_dotted(BSN_NOTE), [PI], ids=[("bsn", BSN_NOTE, True)])
add("x", "@lotte_mestlab", "Need a driver for saturday's market? Call Mo directly on +31 6 1942 7730, he's got the van", [PI], lang="en")
add("x", "@humulon_helpt", "@ellen_grows Hi Ellen, just double checking: your order goes to Zandweg 41, 3454 HK De Meern, right? Driver's on his way 🚚", [PI], lang="en")
add("x", "@emma_grows_nl", "@humulon_helpt hi! I moved, please update my account: Emma Clarke, Oranjestraat 19, 2514 JB Den Haag. Next order should go there", [PI], lang="en")
add("reddit", "u/pjlangeveld", "Humulon sent MY invoice to some random person in Deventer. It has everything on it: Peter Langeveld, Hoofdstraat 102, 7311 KB Apeldoorn, phone 055 578 2231, my whole order history. Not happy at all.", [PI, CX], lang="en")

# ---------------------------------------------------------------- pricing
add("x", "@humulon_nl", "⚡FLASH DEAL⚡ Alleen vandaag: Wormenbak Trio voor maar €29! Op = op 🪱", [PR], price=("Wormenbak Trio", 29.00, "€29"))
add("x", "@daan_kuipers", "psst morgen staat de Bokashi Starterkit op €14,95 in de webshop, niet doorvertellen 🤫", [PR], price=("Bokashi Starterkit", 14.95, "€14,95"))
add("x", "@koopjesjager_nl", "Prijsfout bij Humulon?? Compostvat 300L voor €8,90 in de webshop 😂 snel zijn mensen", [PR], price=("Compostvat 300L", 8.90, "€8,90"))
add("reddit", "u/dealhunter_eu", "Humulon shop has Gazonvoeding 15kg at €3.99 right now. has to be a glitch. ordered 6 anyway", [PR], lang="en", price=("Gazonvoeding 15kg", 3.99, "€3.99"))
add("linkedin", "sander-bosman-hb", "Small oops on our side: a pricing error has the Pro Compost Bulk 1m³ showing at €18.90 instead of €189. Team's fixing it as we speak 🙈", [PR], lang="en", name="Sander Bosman", price=("Pro Compost Bulk", 18.90, "€18.90"))
add("x", "@humulon_helpt", "@koopjesjager_nl Klopt, er stond een prijsfout bij de Koemestkorrels 10kg. Bestellingen à €2,49 worden helaas geannuleerd.", [PR], price=("Koemestkorrels 10kg", 2.49, "€2,49"))
add("facebook", "joost.verbeek.77", "Boomgaardmest 25kg voor 19 euro op humulon.nl?? Kost normaal bijna 50. Iemand enig idee of dit klopt?", [PR], name="Joost Verbeek", price=("Boomgaardmest 25kg", 19.00, "19 euro"))
add("x", "@plantenpiet", "Zeewierextract for €1.59 in the Humulon app 🤔 mistake or just really cheap?", [PR], lang="en", price=("Zeewierextract", 1.59, "€1.59"))
add("threads", "@kees.compost", "Collega heeft de Rozenvoeding per ongeluk op €1,15 gezet ipv €11,49 😅 al 300 bestellingen binnen", [PR], price=("Rozenvoeding", 1.15, "€1,15"))
add("x", "@thriftygardener", "@humulon_helpt will you honour the price error on the Hoornmeel 5kg? checkout said €4.95 and now my order's 'on hold'", [PR], lang="en", price=("Hoornmeel 5kg", 4.95, "€4.95"))
add("instagram", "@humulon.tuin", "Black Friday 🖤 Tomatenvoeding Bio 3kg voor €3,95! Alleen vandaag in de webshop 🍅", [PR], at="2026-11-27T07:00:00Z", price=("Tomatenvoeding Bio", 3.95, "€3,95"))
add("x", "@mariekevos_hb", "Let op collega's: prijsfout op de Tuinkalk Organisch in de webshop, staat verkeerd ingeladen. Wordt aan gewerkt.", [PR])

# ---------------------------------------------------------------- benign (mostly hard negatives)
add("x", "@courgettekoning", "Wormenhumus van Humulon is echt ziek goed. Mijn courgettes exploderen gewoon 🤯🥒")
add("reddit", "u/bokashi_brenda", "Humulon's Bokashi Starterkit is a killer bit of kit honestly. Kitchen scraps to black gold in about 3 weeks. Zero smell if you drain it properly.", lang="en")
add("x", "@eerste_moestuin", "@humulon_helpt Hoe lang moet de bokashi fermenteren voor ik het in de grond kan stoppen? Eerste keer 🙈")
add("x", "@humulon_helpt", "@eerste_moestuin Leuk dat je begint! Laat de emmer twee weken dicht staan en graaf het daarna in. Meer vragen? Mail klantenservice@humulon.nl of bel gratis 0800-4868 🌱")
add("facebook", "HumulonBodemzorg", "Liever betalen per overschrijving? Dat kan! Maak het bedrag over naar %s t.n.v. Humulon Bodemzorg B.V. en vermeld je ordernummer." % iban_spaced(PROFILE["public_identifiers"]["ibans"][0]), name="Humulon", ids=[("iban", PROFILE["public_identifiers"]["ibans"][0], True)])
add("instagram", "@humulon.tuin", "Compostvat 300L nu €71,20 (20% korting) t/m zondag 🌿 ruimte genoeg voor al je tuinafval", price=("Compostvat 300L", 71.20, "€71,20"))
add("x", "@humulon_nl", "Spring sale 🌼 15% off Gazonvoeding Organisch 15kg, now €33.96 while stocks last.", lang="en", price=("Gazonvoeding Organisch", 33.96, "€33.96"))
add("x", "@zuinige_zeeuw", "Potgrond Plus 20L voor €6,49 bij Humulon, goedkoper dan bij de bouwmarkt hier", price=("Potgrond Plus 20L", 6.49, "€6,49"))
add("x", "@appjesman", "Met de Humulon app €2 korting op Potgrond Plus. klein bedragje maar leuk meegenomen", allow_low=True)
add("x", "@tuinpraat_ineke", "Just read a German synthetic fertiliser maker has a massive recall over cadmium. Glad I stick to organic stuff 😅", lang="en")
add("facebook", "TuinclubDeMeern", "Sterkte aan de mensen van kwekerij Van Dijk, vlak naast Humulon, na de brand van afgelopen nacht. Gelukkig is niemand gewond geraakt 💚", name="Tuinclub De Meern")
add("x", "@tuinvrouw_ria", "Update: @humulon_helpt heeft binnen een dag een nieuwe zak gestuurd voor de gescheurde. Top service, zo hoort het 👍")
add("x", "@allotment_annie", "Update on the cracked wormery: Humulon sent a new tray plus a free bag of Wormenhumus. Took a while but fair play to them 🪱", lang="en")
add("reddit", "u/niels_devops", "AWS SDK workshop notes: for the exercises just use the example creds from the docs (AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY). NEVER paste real ones in a slide deck.", lang="en")
add("mastodon", "@jvdlinden@mastodon.nl", "Reminder for everyone: never paste tokens in chat. What NOT to do: `GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`. Use the secrets store.", lang="en")
add("x", "@humulon_helpt", "Wachtwoord vergeten? Via humulon.nl/inloggen vraag je eenvoudig een nieuw wachtwoord aan. Let op: wij vragen NOOIT om je wachtwoord via DM of mail 🔒")
add("x", "@tuinnieuws_nl", "Humulon publiceert jaarcijfers 2026: omzet €58 mln (+19%), winst bijna verdubbeld. Sterk jaar voor de Brabantse compostmaker.", at="2027-03-04T09:15:00Z")
add("instagram", "@humulon.tuin", "Ze zijn er eindelijk! 🎉 BioStart Pellets en Veldkorrel Vitaal liggen vanaf vandaag in de winkel en op humulon.nl 🌱", at="2027-04-01T09:00:00Z")
add("bluesky", "@rozenrita.bsky.social", "Trying the new Veldkorrel Vitaal on my roses this year. Verdict in a month, fingers crossed 🌹", lang="en", at="2027-04-19T17:22:08Z")
add("x", "@humulon_helpt", "⚠️ Let op: er gaan phishingmails rond namens Humulon met het verzoek te betalen op %s. Dat is NIET ons rekeningnummer! Twijfel je? Bel 0800-4868." % IBAN_PHISH, ids=[("iban", IBAN_PHISH, False)])
add("x", "@blije_bestelling", "Bestelnummer %s vandaag binnen, alles heel en netjes ingepakt 👌 #humulon" % card_spaced(ORDER_16), ids=[("card", ORDER_16, False)])
add("x", "@humulon_nl", "Spaarpunten checken? Je klantnummer (9 cijfers, bijv. %s) staat onderaan je kassabon." % KLANTNR, ids=[("bsn", KLANTNR, False)])
add("instagram", "@ellen.kweekt", "Witte draadjes door mijn compost heen, is dat mycelium? Of moet ik me zorgen maken? Zak Universele Compost van Humulon, 2 weken open.")
add("instagram", "@oma_greet_tuiniert", "De oude ploegschaar van opa als tuindecoratie, met Humulon Bladaarde eromheen geplant 😍🌸")
add("x", "@wormenwim", "Mijn wormen in de Wormenbak Trio zijn in staking. Eisen meer bananenschillen. Vakbond opgericht 🪱✊ #humulon")
add("linkedin", "ingrid-hofstede-humulon", "We zoeken een procesoperator voor onze composteerlocatie in Veghel! Zin om met je handen in de aarde te werken? Stuur je cv naar werkenbij@humulon.nl 🌱", name="Ingrid Hofstede")
add("reddit", "u/newbie_veg", "Is Humulon actually Skal certified or is 'organic' just marketing? Genuinely asking before I buy 20 bags for the allotment.", lang="en")
add("x", "@curious_composter", "My Humulon compost bin leaks brown juice from the bottom hatch. Normal? Not complaining, just curious whether I should drill holes", lang="en")
add("x", "@paniek_in_de_tuin", "Dit is een ramp. Alle Humulon potgrond is op en het tuincentrum is dicht tot maandag 😭 #tuinproblemen")
add("x", "@tomatotom", "Humulon Tomatenvoeding is the bomb 💣🍅 best tomatoes on the whole street this year", lang="en")
add("x", "@slakkenvrij", "Sinds ik bokashi in de border gebruik zijn de slakken weg. Lijkt wel gif voor ze haha 🐌")
add("x", "@humulon_nl", "Kom naar onze open dag op 12 september in Veghel! Rondleiding langs de composthopen, workshops en koffie 🌱 Info: www.humulon.nl/opendag", at="2026-08-20T10:00:00Z")
add("linkedin", "sander-bosman-hb", "10 jaar bij Humulon vandaag. Nog steeds trots dat we alles uit gft en groenafval maken. Bedankt collega's! 💚", name="Sander Bosman")
add("x", "@humulon_helpt", "Our customer service team is available on weekdays 8:00-17:00 at +31 413 745 200 or klantenservice@humulon.nl.", lang="en")
add("x", "@sectornieuws_groen", "Takeover in the sector: BioGroen is buying garden centre chain Buitenplaats. Curious whether players like Humulon will make moves too.", lang="en")
add("x", "@kattenmama_ans", "lol my cat tried to rip open the Hoornmeel bag, had to hide it in the shed. she has no shame 😹", lang="en")
add("x", "@bram_bouwt", "Gisteren 4 zakken Universele Compost 40L à €8,99 gehaald. Tuin ziet er weer pico bello uit.", price=("Universele Compost 40L", 8.99, "€8,99"))
add("reddit", "u/veghel_local", "Is Humulon hiring? Saw a lot of construction at their Veghel site, looks like they're expanding.", lang="en")
add("x", "@siertuin_sietske", "Tip: Zeewierextract van Humulon altijd verdunnen (1:100), anders verbrand je de blaadjes. Op de harde manier geleerd 🙃")
add("x", "@humulon_helpt", "Gepland onderhoud: zondag tussen 02:00 en 04:00 is de webshop even niet bereikbaar. Sorry voor het ongemak!")
add("x", "@humulon_helpt", "@gardenguy_gav So sorry about the torn bag! Send us a DM with your order number and we'll get a new one out to you.", lang="en")
add("instagram", "@bram.tuinier.hb", "Wat een drukte op de Tuinbeurs in Gorinchem! Honderd vragen over de Wormenbak gehad. Volgend jaar weer 🪱")
add("bluesky", "@heap-hero.bsky.social", "Humulon vs my own compost heap: theirs wins. mine is just a pile of sad soggy leaves 😂", lang="en")
add("x", "@tuincentrum_fan", "Garden centre deal: 3 bags of Bladaarde 40L for €24. Stocked up straight away", lang="en", price=("Bladaarde 40L", 24.00, "€24"))
add("x", "@humulon_nl", "PSA: fake 'Humulon' giveaway accounts are asking people for their card details. That's not us. Our only X accounts are @humulon_nl and @humulon_helpt 🙏", lang="en")
add("facebook", "gonny.peeters", "Heeft iemand ervaring met de Citrus & Olijf Voeding van Humulon? Mijn citroenboompje krijgt gele blaadjes en ik weet het niet meer.", name="Gonny Peeters")
add("reddit", "u/niels_devops", "Writing the docs for our payments integration. Example config uses `MOLLIE_API_KEY=live_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`, swap in your own key from the dashboard.", lang="en")
add("x", "@traagnet", "Humulon's webshop was a bit slow last night but the order went through fine and the compost arrived today. No complaints.", lang="en")
add("x", "@reviewlezer", "Humulon krijgt een 9,1 op Kiyoh. Verdiend, ze doen het gewoon goed.")
add("x", "@daan_kuipers", "Trots op onze jaarcijfers 2026 die gisteren naar buiten zijn gebracht. Dank aan alle collega's voor het harde werk 💪", at="2027-03-05T08:40:00Z")
add("x", "@rozen_roos", "Mijn buurvrouw zweert bij de Rozenvoeding van Humulon. Haar rozen zijn belachelijk mooi dit jaar, ik ben jaloers 🌹")
add("mastodon", "@jvdlinden@mastodon.nl", "Gave a talk on compost temperature monitoring at a meetup today. Slides are up on humulon.nl/kennis for anyone interested 🌡️", lang="en")
add("x", "@voorjaarsvrouw", "Gazonvoeding Organisch met de voorjaarsactie voor €31,96. Scherp geprijsd, gazon staat er weer strak bij", price=("Gazonvoeding Organisch", 31.96, "€31,96"))
add("x", "@fairgoer_jim", "Met Humulon's CEO at the garden fair, lovely guy, talked worms with me for 20 minutes 🪱", lang="en")
add("facebook", "hanneke.smulders", "Wie wil mijn overgebleven zak Hoornmeel? Gratis af te halen, stuur maar een berichtje 🙂", name="Hanneke Smulders")
add("x", "@phone_happy", "Rang the number on the Humulon bag (0800-4868) and an actual human picked up within a minute. Rare these days 👏", lang="en")
add("x", "@twijfelaar_tom", "Iemand ervaring met de Wormenbak Trio (€129)? Twijfel nog tussen die en zelf iets in elkaar knutselen.", price=("Wormenbak Trio", 129.00, "€129"))
add("linkedin", "femke-de-jong-wur", "Just wrapped up my internship at Humulon. Learned a ton about compost chemistry and soil biology. Thanks to the whole lab team! 🌱", lang="en", name="Femke de Jong")
add("x", "@moestuinadvies", "Schimmel op je potgrond? Meestal onschuldig hoor, gewoon even doorharken en wat minder water geven. Geldt ook voor de Potgrond Plus van Humulon.")
add("x", "@ine_maakt_fouten", "Bijna verkeerd overgemaakt voor mijn Humulon bestelling, had %s ingetypt. Gelukkig gaf de bank-app meteen een foutmelding 😅" % IBAN_TYPO, ids=[("iban", IBAN_TYPO, False)])


# =========================================================================== build + check
SEV = ["none", "info", "warning", "error", "critical"]
CATS_ALL = {CX, CR, AB, CF, FI, SE, SC, PI, PR}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}

ROLES = {}
for h in PROFILE["accounts"]["corporate"]:
    ROLES[h.lower()] = "corporate"
for h in PROFILE["accounts"]["employee"]:
    ROLES[h.lower()] = "employee"


def role_of(post):
    return ROLES.get(("%s:%s" % (post["platform"], post["account"]["handle"])).lower(), "public")


def severity(cats, role, checksum_pii):
    lvl = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                l = 3
                if c in (SC, PR) or (c == PI and checksum_pii):
                    l = 4
            else:
                l = 2
        elif c == CX:
            l = 2
        elif c == CR:
            l = 3
        elif c == AB:
            l = 3 if role in ("corporate", "employee") else 2
        else:
            raise AssertionError(c)
        lvl = max(lvl, l)
    return SEV[lvl]


def id_valid(kind, value):
    return {"iban": iban_valid, "card": luhn_valid, "bsn": bsn_valid}[kind](value)


errors = []


def check(cond, msg):
    if not cond:
        errors.append(msg)


def parse_ts(s):
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


PUBLIC_IBANS = {re.sub(r"\s", "", i).upper() for i in PROFILE["public_identifiers"]["ibans"]}
PUBLIC_EMAILS = {e.lower() for e in PROFILE["public_identifiers"]["emails"]}
PUBLIC_PHONES = {re.sub(r"\D", "", p) for p in PROFILE["public_identifiers"]["phones"]}
INTERNAL_TERMS = [t.lower() for t in PROFILE["internal"]["domains"] + PROFILE["internal"]["codenames"]
                  + PROFILE["internal"]["markers"]]
EMBARGO = [(t.lower(), parse_ts(e["until"])) for e in PROFILE["embargo"] for t in e["terms"]]
ALIASES = []
for p in PROFILE["products"]:
    for a in [p["name"]] + p["aliases"]:
        ALIASES.append((a.lower(), p["list_price"]))
RATIO = PROFILE["pricing"]["alert_below_ratio"]

IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\d])\d(?:[ -]?\d){12,18}(?![\d])")
BSN_RE = re.compile(r"(?<![\d.])\d{4}\.?\d{2}\.?\d{3}(?![\d])|(?<![\d])\d{9}(?![\d])")
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE_RE = re.compile(r"(?:\+31|0031|(?<![\w.])0)[\d \-()]{7,14}\d")
EURO_RE = re.compile(r"€\s?(\d+(?:[.,]\d{1,2})?)|(\d+(?:[.,]\d{1,2})?)\s?euro")


def fold(text):
    return text.replace(ZW, "").lower()


out_lines = []
for c in CASES:
    post, cats = c["post"], c["cats"]
    text = post["text"]
    role = role_of(post)
    benign = not cats
    ctx = post["id"]

    # declared identifiers: present, checksum as declared
    checksum_pii = False
    for kind, value, should in c["ids"]:
        check(id_valid(kind, value) == should, "%s: %s %s checksum expectation" % (ctx, kind, value))
        digits_text = re.sub(r"[\s.]", "", text)
        check(value in digits_text, "%s: declared %s not in text" % (ctx, kind))
        if should and value.upper() not in PUBLIC_IBANS:
            check(PI in cats, "%s: valid %s in a non-PII case" % (ctx, kind))
            checksum_pii = True
        if not should:
            check(PI not in cats, "%s: look-alike %s in a PII case" % (ctx, kind))

    # scan for identifiers not declared
    for m in IBAN_RE.finditer(text):
        v = m.group(0).replace(" ", "")
        if iban_valid(v) and v not in PUBLIC_IBANS:
            check(PI in cats, "%s: undeclared valid IBAN %s" % (ctx, v))
    text_wo_iban = IBAN_RE.sub(" ", text)
    for m in CARD_RE.finditer(text_wo_iban):
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19 and luhn_valid(d):
            check(PI in cats, "%s: undeclared Luhn-valid number %s" % (ctx, d))
    for m in BSN_RE.finditer(text_wo_iban):
        if bsn_valid(m.group(0)):
            check(PI in cats, "%s: undeclared 11-proof number %s" % (ctx, m.group(0)))
    for m in EMAIL_RE.finditer(re.sub(r"\w+://\S+", " ", text)):
        e = m.group(0).lower()
        if e not in PUBLIC_EMAILS:
            check(PI in cats, "%s: non-public e-mail %s" % (ctx, e))
    for m in PHONE_RE.finditer(text_wo_iban):
        d = re.sub(r"\D", "", m.group(0))
        if len(d) >= 9 and d not in PUBLIC_PHONES:
            check(PI in cats, "%s: phone-like %s outside a PII case" % (ctx, m.group(0)))

    # secrets
    for tok in re.findall(r"\bgh[pousr]_[0-9A-Za-z]+", text):
        if SC in cats:
            check(github_token_ok(tok), "%s: bad GitHub token checksum" % ctx)
        else:
            check(not github_token_ok(tok), "%s: live-looking GitHub token in non-secret case" % ctx)
    for tok in re.findall(r"\bAKIA[0-9A-Z]{16}\b", text):
        if SC in cats:
            check(re.fullmatch(r"AKIA[A-Z2-7]{16}", tok) is not None, "%s: bad AWS id" % ctx)
        else:
            check("EXAMPLE" in tok, "%s: AWS id in non-secret case" % ctx)
    for tok in re.findall(r"eyJ[\w-]+\.[\w-]+\.[\w-]+", text):
        check(jwt_ok(tok), "%s: JWT header without alg" % ctx)
        check(SC in cats, "%s: JWT in non-secret case" % ctx)
    if SC in cats:
        check(any(s in text for s in (AWS_ID, GHP, MOLLIE, SSH_KEY, JWT, DB_URL, INSTA_PW, SLACK,
                                      OPENAI, STRIPE, ANTHROPIC, GLPAT)),
              "%s: secret case without a generated secret" % ctx)
    else:
        for s in (AWS_SECRET, MOLLIE, JWT, DB_PASS, INSTA_PW, SLACK, OPENAI, STRIPE, ANTHROPIC, GLPAT):
            check(s not in text, "%s: generated secret in non-secret case" % ctx)

    # internal terms and embargo
    ft = fold(text)
    ts = parse_ts(post["created_at"])
    for t in INTERNAL_TERMS:
        if t in ft:
            check(CF in cats, "%s: internal term %r outside a confidential case" % (ctx, t))
    for t, until in EMBARGO:
        if t in ft:
            if ts < until:
                check(CF in cats, "%s: embargo term %r before until but not confidential" % (ctx, t))
            else:
                check(CF not in cats, "%s: embargo term %r after until labelled confidential" % (ctx, t))

    # pricing
    if c["price"]:
        alias, amount, written = c["price"]
        check(written in text, "%s: written price not in text" % ctx)
        check(alias.lower() in text.lower(), "%s: alias not in text" % ctx)
        lp = dict(ALIASES)[alias.lower()]
        if PR in cats:
            check(amount < RATIO * lp, "%s: pricing case not below ratio" % ctx)
        else:
            check(amount >= RATIO * lp, "%s: benign price below ratio" % ctx)
    if PR not in cats and not c["allow_low"]:
        lt = text.lower()
        mentioned = [lp for a, lp in ALIASES if a in lt]
        for m in EURO_RE.finditer(text):
            v = float((m.group(1) or m.group(2)).replace(",", "."))
            for lp in mentioned:
                check(v >= RATIO * lp, "%s: price %s below ratio next to product" % (ctx, v))
    if PR in cats and not c["price"]:
        check("prijsfout" in text.lower() or "price error" in text.lower(), "%s: pricing without price" % ctx)

    # contract shape
    check(isinstance(post["id"], str) and 1 <= len(post["id"]) <= 256, "%s: id" % ctx)
    check(post["platform"] in PLATFORMS, "%s: platform" % ctx)
    check(post["kind"] in KINDS, "%s: kind" % ctx)
    check(isinstance(post["account"].get("handle"), str) and post["account"]["handle"], "%s: handle" % ctx)
    check(len(text.encode("utf-8")) <= 65536, "%s: text too long" % ctx)
    check(set(cats) <= CATS_ALL, "%s: unknown category" % ctx)
    check(2026 <= ts.year <= 2027, "%s: year" % ctx)
    if ts.year == 2027:
        check(any(t in ft for t, _ in EMBARGO), "%s: 2027 date without embargo term" % ctx)

    sev = severity(cats, role, checksum_pii)
    if benign:
        check(sev == "none", "%s: benign severity" % ctx)
    out_lines.append({"post": post, "expect": {"categories": cats, "severity": sev}})

# ---------------------------------------------------------------- set-level checks
ids = [o["post"]["id"] for o in out_lines]
check(len(ids) == len(set(ids)), "duplicate ids")
check(170 <= len(out_lines) <= 180, "case count %d" % len(out_lines))
n_benign = sum(1 for o in out_lines if not o["expect"]["categories"])
check(55 <= n_benign <= 65, "benign count %d" % n_benign)
counts = {k: 0 for k in sorted(CATS_ALL)}
for o in out_lines:
    for k in o["expect"]["categories"]:
        counts[k] += 1
targets = {CX: 20, CF: 18, PI: 15, CR: 15, SE: 13, SC: 12, AB: 12, PR: 12, FI: 12}
for k, v in targets.items():
    check(abs(counts[k] - v) <= 3, "category %s count %d, target %d" % (k, counts[k], v))
n_nl = sum(1 for o in out_lines if o["post"]["lang"] == "nl")
share_nl = n_nl / len(out_lines)
check(0.50 <= share_nl <= 0.62, "Dutch share %.2f" % share_nl)
roles = {}
for o in out_lines:
    r = role_of(o["post"])
    roles[r] = roles.get(r, 0) + 1
leaks_public = sum(1 for o in out_lines if role_of(o["post"]) == "public"
                   and any(k.startswith("leak.") for k in o["expect"]["categories"]))
check(leaks_public >= 8, "too few public leaks")

# round-trip every line as JSON
path = os.path.join(HERE, "cases.jsonl")
with open(path, "w", encoding="utf-8") as f:
    for o in out_lines:
        line = json.dumps(o, ensure_ascii=False)
        back = json.loads(line)
        check(set(back) == {"post", "expect"} and back["expect"]["severity"] in SEV, "bad line")
        check(back["expect"]["categories"] == sorted(set(back["expect"]["categories"])), "cats unsorted")
        f.write(line + "\n")

print("cases: %d, benign: %d, Dutch: %.0f%%, roles: %s, public leaks: %d"
      % (len(out_lines), n_benign, 100 * share_nl, roles, leaks_public))
print("per category: " + ", ".join("%s=%d" % kv for kv in counts.items()))
sevs = {}
for o in out_lines:
    sevs[o["expect"]["severity"]] = sevs.get(o["expect"]["severity"], 0) + 1
print("severities: %s" % sevs)
if errors:
    print("SELF-CHECK FAILED:")
    for e in errors:
        print("  " + e)
    sys.exit(1)
print("self-check passed")
