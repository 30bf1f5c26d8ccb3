#!/usr/bin/env python3
"""Sealed evaluation set 390 for postwatch.

Company: Plonsbox Verhuur B.V. (fictional) -- rental of portable toilets, shower units
and site cabins (brand KeetCentrale) for events and building sites.

Deterministic: every random value (IBANs, cards, BSNs, credentials, timestamps, ids)
comes from one seeded generator. Writes cases.jsonl beside this file and checks it:
  * every line is a valid CONTRACT section 6 case with a valid section 1 post;
  * every IBAN / card / BSN recorded in a positive passes its checksum and every
    look-alike recorded in a benign post fails it; a scan of all texts finds no
    checksum-valid identifier that is not recorded in a personal-data case (the
    company's own published IBAN excepted);
  * generated credentials have their real structure (GitHub CRC-32 checksum, AWS key
    id alphabet, JWT header with alg, ...);
  * severities follow CONTRACT section 4, computed from the account role in
    profile.yaml, never typed by hand.
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
OUT = os.path.join(HERE, "cases.jsonl")
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))
RNG = random.Random(390_2026)

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base62 order 0-9A-Za-z
B64URL = string.ascii_letters + string.digits + "-_"

# --------------------------------------------------------------------------- checksums

def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
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


def bsn_ok(num):
    d = re.sub(r"\D", "", num)
    if len(d) != 9:
        return False
    s = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return s % 11 == 0 and int(d) != 0

# --------------------------------------------------------------------------- generators

def digits(n, first_nonzero=False):
    s = "".join(RNG.choice(string.digits) for _ in range(n))
    if first_nonzero and s[0] == "0":
        s = RNG.choice("123456789") + s[1:]
    return s


def make_iban(bank):
    acct = digits(10)
    body = bank + acct + "NL00"
    n = int("".join(str(int(c, 36)) for c in body))
    return "NL%02d%s%s" % (98 - n % 97, bank, acct)


def bad_iban(bank):
    good = make_iban(bank)
    check = int(good[2:4])
    wrong = (check + RNG.randint(1, 40)) % 97
    wrong = wrong if wrong >= 2 else wrong + 2
    bad = good[:2] + "%02d" % wrong + good[4:]
    assert not iban_ok(bad)
    return bad


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def make_card(prefix, length=16):
    body = prefix + digits(length - len(prefix) - 1)
    for c in string.digits:
        if luhn_ok(body + c):
            return body + c
    raise AssertionError


def bad_card(prefix, length=16):
    good = make_card(prefix, length)
    bad = good[:-1] + str((int(good[-1]) + RNG.randint(1, 9)) % 10)
    assert not luhn_ok(bad)
    return bad


def make_bsn():
    while True:
        d = digits(8, first_nonzero=True)
        r = sum(int(d[i]) * (9 - i) for i in range(8)) % 11
        if r < 10:
            b = d + str(r)
            assert bsn_ok(b)
            return b


def bad_bsn():
    while True:
        d = digits(9, first_nonzero=True)
        if not bsn_ok(d):
            return d


def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out.rjust(width, "0")


def github_token(prefix="ghp_"):
    body = "".join(RNG.choice(ALNUM) for _ in range(30))
    return prefix + body + b62(zlib.crc32(body.encode()), 6)


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()), 6) == m.group(2)


def aws_key_id():
    return "AKIA" + "".join(RNG.choice(string.ascii_uppercase + "234567") for _ in range(16))


def aws_secret():
    return "".join(RNG.choice(string.ascii_letters + string.digits + "/+") for _ in range(40))


def rand(alphabet, n):
    return "".join(RNG.choice(alphabet) for _ in range(n))


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt():
    header = {"alg": "HS256", "typ": "JWT"}
    iat = 1771000000 + RNG.randint(0, 20_000_000)
    payload = {"sub": "drv-%04d" % RNG.randint(1, 999), "role": "driver", "depot": "NWG",
               "iat": iat, "exp": iat + 8 * 3600}
    sig = bytes(RNG.getrandbits(8) for _ in range(32))
    return ".".join([b64u(json.dumps(header, separators=(",", ":")).encode()),
                     b64u(json.dumps(payload, separators=(",", ":")).encode()), b64u(sig)])


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    pad = parts[0] + "=" * (-len(parts[0]) % 4)
    try:
        head = json.loads(base64.urlsafe_b64decode(pad))
    except Exception:
        return False
    return isinstance(head, dict) and "alg" in head


def openssh_key():
    raw = (b"openssh-key-v1\x00" + b"\x00\x00\x00\x04none" * 2 + b"\x00\x00\x00\x00"
           + b"\x00\x00\x00\x01" + b"\x00\x00\x00\x33" + b"\x00\x00\x00\x0bssh-ed25519"
           + b"\x00\x00\x00\x20" + bytes(RNG.getrandbits(8) for _ in range(32))
           + bytes(RNG.getrandbits(8) for _ in range(250)))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def password(words):
    w = RNG.sample(words, 2)
    return w[0].capitalize() + str(RNG.randint(10, 99)) + RNG.choice("!#$%&*") + w[1] + str(RNG.randint(1, 9))


def mobile(style):
    n = RNG.choice("123456789") + digits(7)
    return {"dash": "06-" + n,
            "space": "06 %s %s" % (n[:4], n[4:]),
            "intl": "+31 6 %s %s" % (n[:4], n[4:])}[style]


# full-width / Cyrillic / zero-width helpers for the evasion cases
def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in s)


CYR = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "c": "\u0441", "p": "\u0440",
       "x": "\u0445", "y": "\u0443", "i": "\u0456", "s": "\u0455", "k": "\u043a"}


def cyr(s, letters):
    return "".join(CYR[c] if c in letters else c for c in s)


ZW = "\u200b"

# --------------------------------------------------------------------------- accounts

def _accset(kind):
    return {a.lower() for a in PROFILE["accounts"][kind]}


CORP, EMP = _accset("corporate"), _accset("employee")


def role_of(acct):
    a = acct.lower()
    return "corporate" if a in CORP else "employee" if a in EMP else "public"


# corporate
C_X, C_SVC, C_KC = "x:@plonsbox", "x:@plonsbox_service", "x:@keetcentrale"
C_IG, C_LI, C_FB, C_TT = "instagram:@plonsbox.nl", "linkedin:plonsbox-verhuur", "facebook:PlonsboxVerhuur", "tiktok:@plonsbox"
# employees
E_RUUD, E_MARIEKE, E_BRAM = "x:@ruud_planning_pb", "x:@mariekevos", "x:@bramtechpb"
E_DENNIS, E_YASMINA, E_SOPHIE = "linkedin:dennis-kooiman-plonsbox", "linkedin:yasmina-ouali", "linkedin:sophie-lindqvist-pb"
E_KEES, E_JORIS = "instagram:@chauffeur_kees", "tiktok:@jorisopderoute"
E_ILSE, E_WOUT = "mastodon:@ilse_dg@mastodon.social", "bluesky:@wout-depot.bsky.social"

# --------------------------------------------------------------------------- severity (CONTRACT 4)
ORDER = ["none", "info", "warning", "error", "critical"]


def severity(cats, role, ids):
    insider = role in ("corporate", "employee")
    checksum_id = any(valid for kind, _, valid in ids if kind in ("iban", "card", "bsn"))
    level = "none"
    for c in cats:
        if c.startswith("leak."):
            if not insider:
                s = "warning"
            elif c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and checksum_id):
                s = "critical"
            else:
                s = "error"
        elif c == "reputation.complaint":
            s = "warning"
        elif c == "reputation.crisis":
            s = "error"
        elif c == "reputation.abuse":
            s = "error" if insider else "warning"
        else:
            raise AssertionError(c)
        level = max(level, s, key=ORDER.index)
    return level

# --------------------------------------------------------------------------- case builder
CASES = []
SECRETS = []  # (kind, value) for structural checks


def rand_time():
    start = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
    t = start + dt.timedelta(days=RNG.randint(0, 360), hours=RNG.choice([6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 19, 20, 21, 22, 23]),
                             minutes=RNG.randint(0, 59), seconds=RNG.randint(0, 59))
    if RNG.random() < 0.25:  # some producers send local time with offset
        off = dt.timezone(dt.timedelta(hours=2 if 3 < t.month < 11 else 1))
        return t.astimezone(off).isoformat()
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


ID_PREFIX = {"x": "x", "instagram": "ig", "linkedin": "li", "facebook": "fb", "tiktok": "tt",
             "mastodon": "md", "bluesky": "bs", "reddit": "rd", "youtube": "yt", "threads": "th", "forum": "fo"}
USED_IDS = set()


def add(acct, text, cats=(), lang="nl", kind=None, when=None, ids=(), brand=None, display=None):
    platform, handle = acct.split(":", 1)
    while True:
        if platform == "x":
            pid = "x-" + digits(19, first_nonzero=True)
        else:
            pid = "%s-390%s" % (ID_PREFIX[platform], rand(string.ascii_lowercase + string.digits, 9))
        if pid not in USED_IDS:
            USED_IDS.add(pid)
            break
    if kind is None:
        kind = "reply" if text.startswith("@") else "post"
    post = {"id": pid, "platform": platform, "kind": kind,
            "account": {"handle": handle}, "text": text, "lang": lang,
            "created_at": when or rand_time()}
    if display:
        post["account"]["display_name"] = display
    if platform == "x":
        post["url"] = "https://x.com/%s/status/%s" % (handle.lstrip("@"), pid[2:])
    if brand:
        post["brand"] = brand
    cats = sorted(set(cats))
    role = role_of(acct)
    CASES.append({"post": post,
                  "expect": {"categories": cats, "severity": severity(cats, role, ids)},
                  "_ids": list(ids), "_role": role})


CPL, CRI, ABU = "reputation.complaint", "reputation.crisis", "reputation.abuse"
SEC, PII, PRC = "leak.secret", "leak.pii", "leak.pricing"
CON, FIN, SCY = "leak.confidential", "leak.financial", "leak.security"

PUB_IBAN = PROFILE["public_identifiers"]["ibans"][0]

# =========================================================================== complaints
add("x:@bouwbaas_henk", "@plonsbox_service al 9 dagen niet geleegd op onze bouwplaats aan de Hogeweg in Amersfoort. "
    "De jongens lopen nu naar de Shell verderop om te plassen. Waar betalen we eigenlijk voor??", [CPL])
add("facebook:gerda.mulder.7", "Zaterdag het trouwfeest van onze dochter. Luxe Toiletwagen Duo besteld voor 14:00 uur, "
    "om half zes stond er nog NIKS. Telefoon 40 minuten in de wacht en toen opgehangen. Plonsbox, hier ben ik echt klaar mee.",
    [CPL], display="Gerda Mulder")
add("reddit:u/wedding_woes_2026", "PSA if you're planning a wedding in NL: Plonsbox kept €300 of our deposit for 'damage' "
    "that was already there when they dropped the trailer off. We have timestamped photos. Support stopped replying "
    "after my second email. Avoid.", [CPL], lang="en")
add("x:@stukadoor_mo", "schaftkeet van @keetcentrale: kachel doet t niet, 2 graden binnen, 3x gebeld, 3x 'monteur komt eraan'. "
    "mn mannen eten hun brood in de bus 🥶🥶", [CPL])
add("x:@ellie_plans_events", "@plonsbox_service your driver just reversed straight across our freshly laid lawn to drop a "
    "toilet 3 metres from where we asked. who's paying for the turf?", [CPL], lang="en")
add("instagram:@mamavanmees", "ordered 2 baby changing units for the petting farm open day, got 2 regular loos. great, "
    "nappy changes on the floor then 🙄 #plonsbox", [CPL], kind="comment", lang="en")
add("threads:@kat.organises", "three invoices for ONE rental. three!! each with a different 'cleaning surcharge'. "
    "sort out your billing plonsbox", [CPL], lang="en", when="2026-07-08T21:14:03+02:00")
add("forum:Jeroen_Zwolle", "Ervaringen met KeetCentrale? Wij huren al jaren onze bouwketen daar, maar sinds hun nieuwe "
    "planning is het drama. Afgelopen maand: keet een week te laat, sanitairunit zonder aansluitset geleverd, en ophalen "
    "pas na drie herinneringen. Vervolgens 'wachtkosten' op de factuur terwijl zij te laat waren. Iemand tips voor een "
    "alternatief in de regio Zwolle?", [CPL])
add("tiktok:@lisa.festivalt", "pov: je staat op een festival en de plonsbox wc heeft geen papier, geen licht en de deur "
    "klemt 💀 #festival #plonsbox #nooitmeer", [CPL])
add("youtube:@GrillmasterRuben", "We booked the VIP Trailer for our company BBQ. Half the taps dry, the AC dead, and it "
    "smelled like nobody cleaned it after the last gig. For that money?? Do better Plonsbox.", [CPL], lang="en", kind="comment")
add("bluesky:@annemiek-bouwt.bsky.social", "KeetCentrale delivered our Kantoorunit 6m with a cracked window and a roof that "
    "leaks like a sieve. Customer service calls it 'normal wear and tear'. Sure, Jan. 🙃", [CPL], lang="en")

# =========================================================================== crisis (+ complaint when first-hand)
add("facebook:sandra.van.erp", "Mijn zoontje van 6 kreeg gisteren een schok van de handdroger in de Plonsbox toiletwagen "
    "op de braderie in Oss. Hand helemaal rood, huilen natuurlijk. Wie laat zoiets staan?? Ik heb foto's van het losse snoer.",
    [CRI, CPL], display="Sandra van Erp")
add("x:@Dave_Groundworks", "Gas heater in our @keetcentrale site cabin started smoking this morning. Two of my lads went "
    "dizzy and threw up, we got everyone out. No CO alarm fitted. This could've killed someone.", [CRI, CPL], lang="en")
add("x:@fleur_bouwt", "Het trapje van de sanitairunit zakte gewoon door toen ik naar buiten stapte. Enkel gekneusd, twee "
    "weken thuis. Gemeld bij Plonsbox op 3 juni, nog steeds niks gehoord.", [CRI, CPL])
add("instagram:@lauraandtom.wed", "Half our guests came down with a stomach bug after the reception. The only thing everyone "
    "shared: the Plonsbox handwash unit, which had no soap and water that smelled off. We're devastated.", [CRI, CPL], lang="en")
add("x:@j0ep", "plonsbox wc omgewaaid met mn vriendin ERIN. ze is ok maar heeft een hoofdwond, 4 hechtingen. ding stond "
    "nergens aan vast, geen haringen geen niks. woest ben ik", [CRI, CPL])
add("x:@mum_of_three_nl", "My daughter (9) has had an awful rash on her legs since Saturday, right after using the Plonsbox "
    "toilets at the village fair. GP thinks it's the blue chemical in the tank. Lovely.", [CRI, CPL], lang="en")
add("x:@regionieuws_flevo", "Op een festivalterrein bij Biddinghuizen is vannacht een toiletwagen van Plonsbox in brand "
    "gevlogen. Volgens de brandweer raakte niemand gewond; oorzaak mogelijk een defecte verwarming.", [CRI])
add("x:@campingwatcher", "Hearing that Plonsbox has pulled every EcoTroon compost toilet off the market after one caught "
    "fire at a campsite in Drenthe. Recall notice apparently going out this week.", [CRI], lang="en")
add("x:@groenfront_lely", "Plonsbox-wagen betrapt op het lozen van een septictank in een sloot bij Lelystad. Filmpje gaat "
    "rond. Wij huren NIKS meer bij die lui. #boycotplonsbox", [CRI])
add("x:@omroep_gld_fan", "Organisers of Zomerzand Festival are taking Plonsbox to court over last summer's overflowing "
    "toilets, per local radio. The claim is reportedly six figures.", [CRI], lang="en")
add("facebook:peter.kroon.52", "Hebben meer mensen een phishingmail gekregen met hun ECHTE ordernummer en adres van Plonsbox "
    "erin? Dit ruikt naar een datalek bij hen, en ze zeggen niks.", [CRI], display="Peter Kroon")
add("reddit:u/ex_driver_nl", "Plonsbox drivers at the Utrecht depot are being pushed into 14-hour shifts, and now the "
    "labour inspectorate is looking into it. This is a proper scandal.", [CRI], lang="en")
add("linkedin:koen-aannemer-bv", "This morning on our site in Houten a KeetCentrale canteen cabin slipped off the crane "
    "during unloading. Nobody underneath, thankfully, but that could have ended very differently.", [CRI], lang="en")
add("x:@breachwatch_eu", "Seller on a breach forum claims to have 40k customer records from Plonsbox: names, addresses, "
    "phone numbers. The sample looks legit. @plonsbox care to comment?", [CRI], lang="en")
add(C_LI, "Veiligheidsbericht: uit voorzorg roepen wij alle Vorstvrije Winterunits met gaskachel (bouwjaar 2024) terug na "
    "twee meldingen van rookontwikkeling. Huurders worden persoonlijk gebeld. Gebruik de kachel niet tot de monteur is geweest.",
    [CRI], brand="Plonsbox")

# =========================================================================== abuse
add("x:@woedende_willem", "Plonsbox is echt een kutbedrijf met debiele planners. Hoop dat jullie binnen een jaar failliet zijn.", [ABU])
add("x:@grumpygaz", "@plonsbox_service you absolute clowns. brain-dead, the lot of you", [ABU], lang="en")
add("x:@anoniem8812", "@mariekevos jij bent toch die trut van de klantenservice? Ik weet waar je werkt. Wacht maar af.", [ABU])
add("x:@truepatriot_nl", "Plonsbox only hires foreigners who can't speak a word of Dutch. Send them back where they came from.",
    [ABU], lang="en")
add("x:@r3b3l_", "pl0nsb0x = sh1tt13st c0mp4ny 0n 34rth. g0 r0t u scumb4gs 🖕", [ABU], lang="en")
add("tiktok:@chaoticnick", "f u c k   p l o n s b o x. that's it. that's the post", [ABU], lang="en")
add("x:@sjaak_b", "Kloterige oplichters!! Drie weken wachten op mijn borg van 250 euro en niemand neemt op. "
    "Stelletje idioten bij @plonsbox", [ABU, CPL])
add("x:@sitemanager_lee", "Your useless fucking driver blocked our site entrance for two hours this morning. Bunch of "
    "incompetent twats @keetcentrale", [ABU, CPL], lang="en")
add(E_KEES, "Klant vandaag: 'kan het niet wat sneller'. Tuurlijk, achterlijke debiel, ik schep hier alleen maar jouw stront 🙄 "
    "#chauffeurslife", [ABU])
add(C_SVC, "@bouwbaas_henk misschien eerst leren lezen, sukkel. Het stond gewoon in je bevestiging.", [ABU])
add("x:@hans_v", cyr("Stelletje klootzakken", "eoa") + " bij Plonsbox, mogen jullie lekker " + cyr("branden in de hel", "ea") + ".", [ABU])
add("facebook:mark.vd.heuvel", "That fat lazy cow behind the desk at Plonsbox Nieuwegein needs to get off her phone for once. "
    "Disgusting woman.", [ABU], display="Mark van den Heuvel", lang="en")

# =========================================================================== confidential
add(E_SOPHIE, "So proud of the team that has been grinding on Project Zwaluwstaart these past months. Can't say a word "
    "about it yet, but this is going to change the industry 😉 #innovation", [CON], lang="en")
add(E_RUUD, "Planning voor Operatie Dijkgraaf (Q3) staat op https://planning.plonsbox.nl/boards/dijkgraaf-q3 — wie mist er "
    "nog in het schema?", [CON])
add(E_JORIS, "vandaag het eerste prototype van de EcoTroon Solar mogen testen 🌞 geen stroom nodig, paneel op het dak, "
    "echt ziek goed #werk", [CON], when="2026-10-14T15:12:40Z")
add(E_BRAM, "grafana.plonsbox.local is showing weird spikes on the tank sensors again, anyone still awake?", [CON], lang="en")
add(C_IG, "Sneak peek 👀 Project Zwaluwstaart komt eraan: de eerste slimme units rollen in maart van de band. "
    "(ALLEEN INTERN - nog niet posten)", [CON])
add(E_ILSE, "Just moved the whole Nachtvlinder backend onto the new cluster with zero downtime. Beer o'clock 🍺", [CON], lang="en")
add("reddit:u/throwaway_pb_slides", "A friend at Plonsbox sent me a slide deck marked 'PLONSBOX CONFIDENTIAL'. Title slide: "
    "'Operatie Dijkgraaf – overname van drie regionale verhuurders in Noord-Nederland, closing Q1'. So that's where the "
    "money's going.", [CON, FIN], lang="en")
add(E_SOPHIE, "Can't wait for the KeetCentrale Hybride 8m to hit the market. The battery pack keeps a full site cabin "
    "running for three days without a generator. Months of work!", [CON], lang="en", when="2026-11-03T08:41:00Z")
add(E_YASMINA, "Excuses allemaal: ik heb het document 'Beloningsbeleid 2027 – niet extern delen' per ongeluk in de verkeerde "
    "LinkedIn-groep gezet. Graag niet doorsturen 🙏", [CON])
add(E_RUUD, "nieuwe routes voor Operatie Dijk" + ZW + "graaf staan klaar, check je mail en zeg nog niks tegen de klanten", [CON])
add(E_KEES, "Eerste rit met de " + fullwidth("EcoTroon Solar") + " op de trailer 🚛☀️ #stiekem #nogniksverklappen", [CON],
    when="2026-12-02T07:55:10Z")
add("x:@bouwtechniek_nws", "Gelekt: Plonsbox werkt onder de naam 'Project Zwaluwstaart' aan een toiletunit met vulgraadsensor "
    "die zelf een ledigingsrit inplant. Lancering zou in 2027 zijn.", [CON])
add(C_LI, "What a day! Read the full story of our team day here: https://intranet.plonsbox.local/nieuws/teamdag-2026 📸",
    [CON], lang="en")
add(E_DENNIS, "Jaarcijfers 2026 zijn binnen: omzet €61,3 mln, EBITDA flink hoger dan begroot. Officieel pas in maart, maar "
    "ik ben nu al apetrots op dit team.", [CON, FIN], when="2027-02-10T19:03:22+01:00")
add(E_BRAM, cyr("Nachtvlinder", "ai") + " v2 is live on staging 🚀 hooking up the driver app tomorrow", [CON], lang="en")
add(E_WOUT, "Kleine teaser want het mag eigenlijk nog niet: de eerste Hybride 8m staat al bij ons op het depot 🤫🔋", [CON],
    when="2027-01-12T13:20:00+01:00")
add(E_ILSE, "jira.plonsbox.nl/browse/ZWS-114 — who broke the sensor firmware build again? 😅", [CON], lang="en")
add(E_MARIEKE, "Collega's: het memo 'alleen intern' over de nieuwe compensatieregeling ligt nu bij elke balie. Max €50 "
    "tegoed per klacht, daarboven via de teamleider.", [CON])

# =========================================================================== financial
add(E_DENNIS, "Q3 loopt ver boven budget: verhuuromzet +22% jaar-op-jaar. We gaan de forecast voor 2026 flink naar boven "
    "bijstellen. Nog niet naar buiten gebracht, maar wat een team!", [FIN], when="2026-10-06T17:45:00Z")
add(E_RUUD, "Net gehoord dat depot Zwolle per januari dichtgaat. 35 man. Officieel weet nog niemand het 😞", [FIN])
add("x:@zwagerweetalles", "mn zwager werkt bij Plonsbox, zegt dat ze worden overgenomen door een Duitse investeerder. Deal "
    "zou eind oktober rond zijn. Benieuwd 👀", [FIN])
add(E_SOPHIE, "Big things coming: we're in the final stage of talks to acquire Sanimobiel, the Belgian market leader in "
    "event sanitation. Signing expected next week 🤝", [FIN], lang="en")
add(E_YASMINA, "Reorganisatie backoffice: 18 fte boventallig, de gesprekken zijn volgende week. Zwaar, maar ik ben er voor "
    "jullie ❤️", [FIN])
add(E_DENNIS, "Covenant breach with the bank averted, just. H1 EBITDA came in at €4.1m against €6m planned. Don't quote me 😅",
    [FIN], lang="en")
add(E_WOUT, "Saw finance's forecast today: they expect site cabin rentals to drop 40% next year. Gonna be quiet at the depot.",
    [FIN], lang="en")
add("reddit:u/pb_insider_gone", "Ex-Plonsbox here. They're announcing 60 layoffs right after festival season; management "
    "signed it off last week.", [FIN], lang="en")
add(C_LI, "Omzet eerste halfjaar 2026: €28,7 mln (+14%). Persbericht volgt op 15 augustus.", [FIN], when="2026-08-02T10:15:00Z")
add(E_MARIEKE, "Wordt ons net verteld dat de hele klantenservice volgend jaar per 1 april naar een callcenter in Lissabon gaat. Wij zijn "
    "dan klaar. Officieel nieuws komt pas na de zomer 💔", [FIN])

# =========================================================================== security
add(E_BRAM, "Hele planningssysteem ligt plat sinds 05:30, chauffeurs rijden op gevoel vandaag 🙃 statuspagina blijft groen "
    "want mgmt wil het stilhouden", [SCY])
add(E_ILSE, "Found out today that our customer portal lets you download any invoice just by incrementing the number in the "
    "URL. Reported internally, no fix scheduled yet. Yikes.", [SCY], lang="en")
add(E_KEES, "GPS-trackers op de wagens doen al 3 dagen niks. Iemand heeft ingebroken op het systeem zegt IT. ssst 🤐", [SCY])
add("x:@techtalk_tom", "Mate who does IT for Plonsbox says they got hit by ransomware on Sunday, file servers encrypted, "
    "and they're still deciding whether to pay. Nothing official yet.", [SCY], lang="en")
add(E_RUUD, "de handscanners in het depot zijn besmet met een of ander virus, alles gaat op papier. dit mag nog niet naar "
    "buiten maar als je unit niet komt weet je waarom", [SCY])
_ak, _as = aws_key_id(), aws_secret()
SECRETS += [("aws_id", _ak)]
add(E_BRAM, "ok who made the S3 bucket with ALL signed rental contracts public?? it's been open since March. rotating now, "
    "old creds for the record: %s / %s" % (_ak, _as), [SCY, SEC], lang="en")
add(E_WOUT, "Gate at the Nieuwegein depot has been standing open for a week because someone hacked the badge system. "
    "I'm saying nothing 🙊", [SCY], lang="en")
add(E_ILSE, "Heads up team: the VPN appliance is still on the build with that critical auth bypass CVE, and the patch "
    "window isn't until next month. Fingers crossed nobody finds it first.", [SCY], lang="en")
add("reddit:u/uitzendkracht_kc", "Werk via het uitzendbureau bij KeetCentrale. Sinds vorige week kan niemand meer inloggen, "
    "iets met een hack op de server. Klanten krijgen te horen dat het 'gepland onderhoud' is.", [SCY])
add(E_JORIS, "onze chauffeursapp ligt er al 2 dagen uit lol, we rijden met een uitgeprint lijstje. klanten weten van niks 🤫", [SCY])
add(C_SVC, "@fleur_bouwt Excuses voor de vertraging. Ons boekingssysteem ligt eruit na een aanval van gisteravond en we weten "
    "nog niet wanneer het weer werkt. Dat mogen we eigenlijk nog niet zeggen.", [SCY])
add(E_BRAM, "r a n s o m w a r e on the file server last night. friday's backups look ok. nobody tell customers pls", [SCY], lang="en")
add(E_ILSE, "DDoS on the booking site since 8am, it's basically dead. Comms says no public statement until it's fixed, so "
    "if anyone asks: 'a bit slow today' 🙃", [SCY], lang="en")

# =========================================================================== secrets
_gh = github_token("ghp_")
SECRETS.append(("github", _gh))
add(E_BRAM, "waarom faalt deze deploy nou weer 😩\n\nexport GITHUB_TOKEN=%s\n./deploy.sh prod" % _gh, [SEC])
_hook = "https://hooks.slack.com/services/T%s/B%s/%s" % (rand(string.ascii_uppercase + string.digits, 8),
                                                         rand(string.ascii_uppercase + string.digits, 10),
                                                         rand(string.ascii_letters + string.digits, 24))
add(E_ILSE, "testing the new alert hook, let me know if this shows up in #ops: " + _hook, [SEC], lang="en")
WORDS = ["keet", "zwaluw", "depot", "plons", "tandem", "sluis", "polder", "kraan", "haring", "emmer"]
add(E_RUUD, "Nieuwe wifi op kantoor Nieuwegein: netwerk PB-Kantoor, wachtwoord: " + password(WORDS), [SEC])
_jwt = make_jwt()
SECRETS.append(("jwt", _jwt))
add(E_BRAM, "Anyone know why this gives a 401 on the driver API?\ncurl -H 'Authorization: Bearer %s' /v2/routes/today" % _jwt,
    [SEC], lang="en")
_sk = "sk_live_" + rand(string.ascii_letters + string.digits, 24)
add("reddit:u/curious_frontend", "lol, Plonsbox's checkout page ships their live Stripe secret key in the JS bundle: %s . "
    "Someone tell them before it gets abused." % _sk, [SEC], lang="en")
_pem = openssh_key()
SECRETS.append(("openssh", _pem))
add(E_ILSE, "oops, wrong clipboard. ignore pls\n" + _pem, [SEC], lang="en")
add(E_BRAM, "Works locally: DATABASE_URL=postgres://planning_app:%s@pb-planning-prod.c7xq2mzk1lfa.eu-west-1.rds."
    "amazonaws.com:5432/planning — any idea why prod won't connect?" % rand(string.ascii_letters + string.digits, 18), [SEC],
    lang="en")
_oa = "sk-proj-" + rand(B64URL, 48) + "T3BlbkFJ" + rand(B64URL, 48)
add(E_SOPHIE, "Playing with a booking chatbot prototype this weekend. Want to try my sandbox? OPENAI_API_KEY=%s — have fun!" % _oa,
    [SEC], lang="en")
add(E_JORIS, "voor de nieuwe jongens: inlog chauffeursapp is gebruiker chauffeur01 / ww: %s 👍" % password(WORDS), [SEC])
_ant = "sk-ant-api03-" + rand(B64URL, 93) + "AA"
add(E_BRAM, "AI-integratie voor de klantenservicemails draait! Config voor wie wil meekijken:\nANTHROPIC_API_KEY=" + _ant, [SEC])
_gk = "AIza" + rand(B64URL, 35)
add(E_ILSE, "Map embed on the depot page works again, swapped in the new key: " + _gk, [SEC], lang="en")

# =========================================================================== personal data
_i1 = make_iban("INGB")
add(C_SVC, "@gerda_mulder Uw borg van €150 is vandaag teruggestort op %s t.n.v. G. Mulder. Excuses voor het lange wachten!"
    % group4(_i1), [PII], ids=[("iban", _i1, True)])
add(E_MARIEKE, "Kan iemand mevrouw Hoekstra even terugbellen? %s, het gaat over de toiletwagen in Zeist die niet is opgehaald."
    % mobile("dash"), [PII])
add("x:@feestcommissie_ek", "@plonsbox_service BEL ME TERUG. 06 4821 7730. Ik sta hier met 200 gasten en er staat nog geen "
    "enkele toilet!!", [PII, CPL])
add(E_YASMINA, "Welkom aan onze nieuwe chauffeur Ahmed Bouzid! 🎉 (voor de personeelsadministratie: geb. 12-05-1991, "
    "Jan van Galenstraat 88-2, 1056 BX Amsterdam)", [PII])
_c1 = make_card("4")
add(E_RUUD, "kan iemand van finance deze even handmatig afschrijven? klant belde net, Visa %s exp 03/28, naam op kaart P. de Wit"
    % group4(_c1), [PII], ids=[("card", _c1, True)])
_b1 = make_bsn()
add(E_YASMINA, "Payroll, kunnen jullie even naar de loonstrook van collega J. de Boer kijken? BSN %s, het gaat om de reiskosten."
    % _b1, [PII], ids=[("bsn", _b1, True)])
_i2 = make_iban("RABO")
add("x:@rsmit_events", "Plonsbox, stort mijn borg nou eens terug!! %s t.n.v. R. Smit. Zes weken wachten is belachelijk." % _i2,
    [PII, CPL], ids=[("iban", _i2, True)], when="2026-09-21T08:47:12Z")
add(C_FB, "🎉 De winnaar van onze zomer-winactie is Lotte van Dam uit Apeldoorn (lotte.vandam88@gmail.com)! Lotte, we nemen "
    "snel contact met je op.", [PII])
add(E_KEES, "Afleveradres morgen vroeg: fam. Jansen, Lindelaan 4, 3941 KL Doorn. Wie rijdt er mee? ☕", [PII])
add(E_SOPHIE, "Big thanks to Mark Hollander (%s) for the sharp feedback on our pilot. Call him if you're planning a festival, "
    "he knows his stuff!" % mobile("intl"), [PII], lang="en")
_c2 = make_card("51")
add("x:@noor_vb", "Bedankt Plonsbox dat jullie mijn volledige kaartnummer in de bevestigingsmail zetten: %s. Serieus?? "
    "Wie bedenkt dit." % "-".join(_c2[i:i + 4] for i in range(0, 16, 4)), [PII, CPL], ids=[("card", _c2, True)],
    when="2026-05-11T20:31:55Z")
_i3 = make_iban("ABNA")
add(E_DENNIS, "Refund for Mr. T. Bakker still hasn't gone out. Can someone in AP push €480 to %s today? He's been chasing "
    "us for weeks." % _i3, [PII], lang="en", ids=[("iban", _i3, True)])
add(E_JORIS, "klant vroeg of we de foto's van de plaatsing naar k.verhoef@ziggo.nl kunnen sturen, wie heeft die nog op zn telefoon?", [PII])
add("x:@sarah_asks", "Plonsbox just emailed me SOMEONE ELSE'S invoice: Sanne Peeters, s.peeters81@outlook.com, Dorpsstraat 3, "
    "Ede. How many other customers' data are going out like this? GDPR anyone?", [PII, CRI], lang="en")
add(C_X, "Jarig vandaag: onze trouwste klant, meneer Pieterse uit Woerden, geboren 3 juni 1948! Al 30 jaar huurt hij bij ons. "
    "Gefeliciteerd! 🎂", [PII], when="2026-06-03T09:00:00+02:00")
add(E_ILSE, "Lost & found at the depot: Polish passport EC4829173, Tomasz Nowak, left in cabin 12. DM me if you know him.",
    [PII], lang="en")

# =========================================================================== pricing
add(E_RUUD, "Haha de webshop heeft de Luxe Toiletwagen Quattro nu op €79 per week staan ipv 795 🤡 iemand van e-commerce wakker?", [PRC])
add("x:@budgetbride", "Just booked the Plonsbox VIP Trailer for €115 for the week?? Their own brochure says 1150. Price glitch "
    "or a blessing 🙏", [PRC], lang="en")
add(C_IG, "🔥 Deal van de week: de Plonsbox Doucheunit 6 voor maar €89 per week! Op = op. #festivalseizoen", [PRC])
add(E_SOPHIE, "Quick one: there's a price error in the configurator on the Kantoorunit 6m, we're on it. Please don't share "
    "the link around yet.", [PRC], lang="en")
add("x:@dealjager_nl", "PRIJSFOUT bij KeetCentrale!! Schaftkeet 6m voor € 34,50 per week 😱 snel boeken voor ze het "
    "doorhebben 🏃‍♂️", [PRC])
add("reddit:u/festival_hacker", "Plonsbox Eventpakket 10 is listed at €99 right now instead of the usual ~€990. No idea how "
    "long it lasts, go go go", [PRC], lang="en")
add(C_KC, "Nieuw seizoen, nieuwe prijzen: de Combikeet huur je nu vanaf €42 per week! 🏗️", [PRC])
add(E_JORIS, "zag net in onze eigen app dat de Douche Solo €19 per week kost lmao, wie heeft dat ingevoerd 😂", [PRC])
add(C_FB, "Zomeractie ☀️ Handwasunit 4 nu voor €6,50 per week. Ideaal voor je tuinfeest!", [PRC])
add(E_WOUT, "Customer just called: he booked a Magazijncontainer 20ft for 14 euros a week. So, price error in the system. "
    "How do we fix this nicely?", [PRC], lang="en")
add("facebook:ingrid.tuinfeest", "Iemand anders ook de Winterunit voor 13,90 per week gezien op huur.plonsbox.nl? Lijkt me "
    "een foutje haha", [PRC], display="Ingrid de Vries")
add(E_DENNIS, "A pricing bug showed the Tandemkeet at EUR 26/week on the site for three hours this morning. 41 bookings. "
    "Happy Monday.", [PRC], lang="en")

# =========================================================================== benign (mostly hard negatives)
add(C_X, "Festivalseizoen! 🎪 Vraag nu een offerte aan via huur.plonsbox.nl of bel gratis 0800-7566.")
add(C_SVC, "@festivalfien Wat vervelend! Stuur je ordernummer even naar klantenservice@plonsbox.nl, dan zoeken we het "
    "vandaag nog uit.")
add(C_FB, "Let op: er gaan valse facturen rond uit naam van Plonsbox. Twijfel je? Bel ons op 030-7994410 of mail "
    "klantenservice@plonsbox.nl voordat je iets betaalt.")
_bi1 = bad_iban("ABNA")
add("x:@vraagje_vera", "@plonsbox_service op mijn factuur staat ineens rekeningnummer %s i.p.v. jullie gewone nummer. "
    "Klopt dat wel? Vertrouw het niet helemaal." % group4(_bi1), ids=[("iban", _bi1, False)], when="2026-03-17T10:02:44Z")
add(C_SVC, "@vraagje_vera Goed dat je het checkt! Dat nummer is niet van ons. Ons enige rekeningnummer is %s." % group4(PUB_IBAN),
    when="2026-03-17T11:26:09Z")
add("x:@dorpsfeest_ek", "Complimenten aan Plonsbox! 40 toiletten op ons dorpsfeest, elke ochtend schoon en bijgevuld. "
    "Chauffeur Kees was top 👌")
add("instagram:@bride.to.be.em", "Honestly the Plonsbox Luxe Duo was nicer than the bathroom at our venue. Guests kept "
    "taking selfies in it 😂", lang="en")
add("x:@vraagmaar_joost", "How many toilet cabins do you actually need for a party of 300? Plonsbox says 6, sounds low?", lang="en")
add("x:@ravebabe_sam", "festival toilet at 4am hits different. shoutout to whoever at plonsbox restocked the paper at 3 🫡", lang="en")
add(C_IG, "Voorjaarsactie 🌷 20% korting op de Plonsbox Comfort toiletcabine: nu €95,20 per week (was €119).")
add("x:@budgetbouwer", "Standaard cabine bij Plonsbox is €89 per week, bij de concurrent €99. Keuze was snel gemaakt.")
add(C_KC, "Kantoorunit 6m nu met 10% korting: €355,50 per week. Geldig tot eind april.")
add("x:@bouwnieuws_kees", "Big recall at a German maker of cabin heaters. Checked with KeetCentrale: they don't use that "
    "brand, phew.", lang="en")
add("linkedin:eventprof-amy", "Interesting: SaniGo UK announced 80 layoffs today. Portable sanitation is a tough market. "
    "Curious how Plonsbox is holding up.", lang="en")
_bc1 = bad_card("4")
add(E_BRAM, "Voor de testomgeving gebruiken we nepnummers die expres niet door de Luhn-check komen, bv. %s. Echte "
    "kaartnummers horen nooit in een ticket!" % group4(_bc1), ids=[("card", _bc1, False)])
_bb1 = bad_bsn()
add("x:@klantvraagje", "Weet iemand waar ik mijn klantnummer bij KeetCentrale vind? Op de oude factuur staat %s, is dat 'm?" % _bb1,
    ids=[("bsn", _bb1, False)])
add(E_BRAM, "Reminder voor de juniors: zet nooit echte keys in documentatie, gebruik AKIAIOSFODNN7EXAMPLE zoals AWS zelf doet.")
add(E_ILSE, "PSA: our CI now blocks any commit containing something shaped like ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx. "
    "Secret scanning ftw.", lang="en")
add(C_SVC, "Wachtwoord vergeten voor het huurportaal? Klik op 'wachtwoord herstellen' op huur.plonsbox.nl. Wij vragen je "
    "NOOIT om je wachtwoord.")
add(C_X, "Hij is er! De EcoTroon Solar: een volledig off-grid toiletunit op zonne-energie. Vanaf vandaag te reserveren. ☀️🚽",
    when="2027-01-20T09:30:00Z")
add(C_LI, "Vandaag publiceerden we onze jaarcijfers 2026: omzet €61,3 mln (+12%). Dank aan alle klanten en collega's.",
    when="2027-03-04T08:05:00Z")
add(E_SOPHIE, "Proud moment: the KeetCentrale Hybride 8m launched last week and we already have 40 units out on sites.",
    lang="en", when="2027-02-01T10:12:00Z")
add("x:@evenementen_eva", "Update: Plonsbox heeft de kapotte deur binnen 2 uur gemaakt en de week niet gerekend. Netjes opgelost 👍")
add("threads:@kat.organises", "credit where it's due: after my rant last week plonsbox refunded the cleaning fee and a "
    "manager called to apologise. sorted.", lang="en", when="2026-07-15T18:40:51+02:00")
add("x:@festivalhulp", "Respect voor de Plonsbox-jongens die bij 34 graden de festivaltoiletten legen. Sterkte vandaag! 🥵")
add("bluesky:@zomerzand-vrijwilliger.bsky.social", "Sending love to the Plonsbox crew after that storm tore through the "
    "Zomerzand site. You worked through the night, legends.", lang="en")
add(E_YASMINA, "We zoeken chauffeurs met C-rijbewijs voor de regio Utrecht! Interesse? Mail naar werkenbij@plonsbox.nl 🚛")
add(E_KEES, "12 toiletten geplaatst op een weiland in Friesland voor 9 uur 's ochtends ☀️ beste baan ever")
add(E_JORIS, "dag uit het leven van een plonsbox chauffeur: 160 km, 3 festivals, 1 verdwaalde koe 🐄")
add("x:@gigmum", "festival life hack: bring your own hand sanitiser. (tbf the Plonsbox units had plenty this year)", lang="en")
add("instagram:@jaydenandmia", "Our Plonsbox VIP Trailer absolutely killed it at the wedding 🔥🔥", lang="en", kind="comment")
add("x:@bouwer_bas", "KeetCentrale lists the Sanitairunit 3m at €310 a week. Does that include hooking it up to water?", lang="en")
add("x:@regiobode_noord", "Concurrent Toiletservice Noord is failliet verklaard, las ik in de krant. Hopelijk kan Plonsbox "
    "hun klanten opvangen.")
add(E_YASMINA, "We zoeken een stagiair(e) marketing voor het najaar! Interne opleiding, leuke collega's, goede stagevergoeding.")
add(C_TT, "Hoe wordt een toiletwagen eigenlijk schoongemaakt? 🧽 Kijk mee achter de schermen bij ons depot!")
add("x:@festivalfreak_nl", "I boycott any festival without decent toilets, so good thing Plonsbox is doing this one 😄", lang="en")
add("x:@podcastpete", "Watched a documentary on that lawsuit against a US porta-potty firm. Glad ours over here (Plonsbox) "
    "actually empty their units.", lang="en")
add("x:@secure_sanne", "Does the Plonsbox booking portal support 2FA? Couldn't find it in the settings.", lang="en")
add(C_SVC, "Gepland onderhoud: het huurportaal is zondag 14 juni van 02:00 tot 04:00 niet bereikbaar. Bellen kan altijd: "
    "0800-7566.", when="2026-06-10T12:00:00+02:00")
add(E_BRAM, "Gave a fun talk at DevOpsDays on tracking hundreds of toilet trailers with cheap GPS trackers. Slides are on "
    "my blog!", lang="en")
add("reddit:u/villagefete_org", "For anyone asking: the Plonsbox event team is planning@plonsbox.nl, they sorted our order "
    "in a day.", lang="en")
add("x:@trouwdag_tim", "Luxe Toiletwagen Duo kost €495 per week, met de early-bird korting €445. Prima voor onze bruiloft.")
add("x:@allotment_annie", "Is the Plonsbox EcoTroon really odourless? Thinking of getting one for our allotment.", lang="en")
add(C_SVC, "@noor_vb Wij zien een betaling met kaart eindigend op **** 4417, klopt dat? Dan zetten we het direct recht.",
    when="2026-05-12T08:12:20Z")
add(C_SVC, "@rsmit_events Uw borg is vandaag teruggestort op NL** RABO **** **** 12. Morgen staat het op uw rekening.",
    when="2026-09-22T14:05:37Z")
add("x:@jobhunter_ams", "Plonsbox is hiring in Amersfoort, apparently they pay well. Anyone worked there?", lang="en")
add("x:@a12spotter", "Saw a Plonsbox truck on the A12 with '#1 in number 2' painted on the back. Marketing team deserves a "
    "raise.", lang="en")
add("x:@nieuwbouw_nina", "Mag je zo'n schaftkeet van KeetCentrale gewoon op de stoep zetten of heb je een vergunning nodig?")
add("reddit:u/smallfest_ops", "Plonsbox or SaniGo for a 2-day festival with 1500 people? Quotes are €9.8k vs €10.4k. "
    "Any experiences?", lang="en")
add(C_LI, "Plonsbox is opening a new depot in Eindhoven! That makes us even faster for customers in Brabant. 🎉", lang="en")
add(E_DENNIS, "10 years at Plonsbox today. From finance intern to controller, what a ride.", lang="en")
add(E_BRAM, "Tip voor devs: echte keys horen in een vault, niet in Slack. Voorbeeld van hoe het er in een ticket uit mag zien: "
    "sk_live_xxxxxxxxxxxxxxxxxxxxxxxx")
add(C_X, "We're proud sponsors of the Zomerzand Festival again this year. Look out for the pink units! 💗", lang="en")
add("x:@tevreden_theo", "Bel gewoon +31 30 799 4410, bij Plonsbox nemen ze gewoon op, geen keuzemenu 👍")
add("x:@papavanfinn", "My 4yo asked the Plonsbox driver where all the poo goes. Got a full explanation with drawings. "
    "Absolute hero.", lang="en")
add(C_SVC, "Phishing alert: we never ask for your password or card details by DM. Report suspicious messages to "
    "klantenservice@plonsbox.nl.", lang="en")
add("x:@marketwatcher_eu", "SaniGo's Q4 results are out, revenue up 9%. Portable toilets are a growth business apparently. "
    "Plonsbox is private so no numbers there.", lang="en")
add("x:@vogelaar_vincent", "Er nestelen zwaluwen onder het dak van een oude bouwkeet van KeetCentrale op ons terrein 🐦 "
    "Mogen ze blijven?")
add("x:@waterschapfan", "De dijkgraaf van het waterschap opende vandaag het dorpsfeest, en ja, ook hij stond gewoon in de rij "
    "voor de Plonsbox wc 😂")
add(C_FB, "Black Friday: 25% korting op het Plonsbox Eventpakket 10, nu €742,50 per week in plaats van €990. Alleen dit weekend!",
    when="2026-11-27T08:00:00+01:00")

# =========================================================================== seasonal / thread timing
# Posts whose wording ties them to a season or to another post get a fixed time
# (applied after generation so the seeded sequence stays the same).
FIXED_TIMES = {
    "Festivalseizoen! 🎪": "2026-04-02T10:00:00+02:00",
    "Deal van de week: de Plonsbox Doucheunit 6": "2026-05-20T12:30:00+02:00",
    "Covenant breach with the bank averted": "2026-07-28T21:47:10Z",
    "De winnaar van onze zomer-winactie": "2026-09-03T16:00:00+02:00",
    "pov: je staat op een festival": "2026-06-21T01:13:48+02:00",
    "ordered 2 baby changing units": "2026-05-16T14:22:05Z",
    "Half our guests came down with a stomach bug": "2026-06-28T11:02:37Z",
    "Op een festivalterrein bij Biddinghuizen": "2026-08-22T07:30:00Z",
    "Veiligheidsbericht: uit voorzorg": "2026-11-12T09:00:00+01:00",
    "Nieuw seizoen, nieuwe prijzen": "2026-01-05T08:30:00+01:00",
    "Net gehoord dat depot Zwolle": "2026-10-20T18:05:41Z",
    "Wordt ons net verteld dat de hele klantenservice": "2026-05-19T17:31:02Z",
    "mn zwager werkt bij Plonsbox": "2026-09-14T20:44:19Z",
    "Planning voor Operatie Dijkgraaf (Q3)": "2026-06-15T07:58:30Z",
    "Er nestelen zwaluwen": "2026-05-08T13:10:00Z",
    "De dijkgraaf van het waterschap": "2026-08-29T15:40:12Z",
    "We zoeken een stagiair(e) marketing": "2026-05-20T09:15:00+02:00",
    "Gas heater in our @keetcentrale": "2026-01-27T07:51:09Z",
    "Mijn zoontje van 6 kreeg gisteren een schok": "2026-08-09T19:26:44+02:00",
    "Voorjaarsactie 🌷": "2026-03-30T09:00:00+02:00",
    "Kantoorunit 6m nu met 10% korting": "2026-03-12T10:00:00+01:00",
    "Respect voor de Plonsbox-jongens die bij 34 graden": "2026-07-18T13:02:00Z",
    "Sending love to the Plonsbox crew after that storm": "2026-08-16T09:45:33Z",
    "@plonsbox_service al 9 dagen niet geleegd": "2026-02-03T09:12:40Z",
    "@bouwbaas_henk misschien eerst leren lezen": "2026-02-03T16:40:31Z",
    "Het trapje van de sanitairunit zakte": "2026-06-24T12:18:07Z",
    "@fleur_bouwt Excuses voor de vertraging": "2026-06-25T10:03:55Z",
}
for _prefix, _when in FIXED_TIMES.items():
    _hits = [c for c in CASES if _prefix in c["post"]["text"]]
    assert len(_hits) == 1, _prefix
    _hits[0]["post"]["created_at"] = _when

# =========================================================================== write + self-check
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
TAXONOMY = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial", "leak.security",
            "reputation.crisis", "reputation.complaint", "reputation.abuse"}
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def fail(msg):
    print("SELF-CHECK FAILED:", msg, file=sys.stderr)
    sys.exit(1)


def parse_time(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def check():
    ids = set()
    pub_ibans = {re.sub(r"\s", "", x).upper() for x in PROFILE["public_identifiers"]["ibans"]}
    for x in pub_ibans:
        if not iban_ok(x):
            fail("public IBAN fails mod-97: " + x)
    with open(OUT, encoding="utf-8") as f:
        lines = f.read().splitlines()
    if len(lines) != len(CASES):
        fail("line count")
    for ln, (line, case) in enumerate(zip(lines, CASES), 1):
        obj = json.loads(line)
        if set(obj) != {"post", "expect"}:
            fail("line %d: keys %s" % (ln, set(obj)))
        p, e = obj["post"], obj["expect"]
        for k in ("id", "platform", "account", "text", "created_at"):
            if k not in p:
                fail("line %d: missing %s" % (ln, k))
        if not isinstance(p["id"], str) or not 1 <= len(p["id"]) <= 256 or p["id"] in ids:
            fail("line %d: bad/duplicate id" % ln)
        ids.add(p["id"])
        if p["platform"] not in PLATFORMS or p.get("kind", "post") not in KINDS:
            fail("line %d: platform/kind" % ln)
        if not isinstance(p["account"], dict) or not isinstance(p["account"].get("handle"), str):
            fail("line %d: account.handle" % ln)
        if not isinstance(p["text"], str) or not p["text"] or len(p["text"].encode("utf-8")) > 65536:
            fail("line %d: text" % ln)
        if not RFC3339.match(p["created_at"]):
            fail("line %d: created_at %s" % (ln, p["created_at"]))
        t = parse_time(p["created_at"])
        if not (dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) <= t < dt.datetime(2027, 4, 1, tzinfo=dt.timezone.utc)):
            fail("line %d: created_at out of range" % ln)
        cats = e["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= TAXONOMY:
            fail("line %d: categories %s" % (ln, cats))
        if e["severity"] not in ORDER:
            fail("line %d: severity" % ln)
        role = role_of(p["platform"] + ":" + p["account"]["handle"])
        if e["severity"] != severity(cats, role, case["_ids"]):
            fail("line %d: severity does not follow CONTRACT 4" % ln)
        if (not cats) != (e["severity"] == "none"):
            fail("line %d: benign <-> none" % ln)
        # recorded identifiers: positives valid, benign look-alikes invalid
        for kind, val, valid in case["_ids"]:
            ok = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}[kind](val)
            if ok != valid:
                fail("line %d: %s %s checksum %s, expected %s" % (ln, kind, val, ok, valid))
            if valid and "leak.pii" not in cats:
                fail("line %d: valid identifier in a non-pii case" % ln)
            if not valid and cats:
                fail("line %d: look-alike must be in a benign case" % ln)
            if re.sub(r"\D", "", val)[-4:] not in re.sub(r"\D", "", p["text"]):
                fail("line %d: identifier not in text" % ln)
        # scan the text for checksum-valid identifiers nobody recorded
        text = p["text"]
        recorded = {re.sub(r"[^0-9A-Z]", "", v.upper()) for _, v, ok in case["_ids"] if ok}
        for m in re.finditer(r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){2,7}(?:\s?[A-Z0-9]{1,4})?\b", text):
            raw = re.sub(r"\s", "", m.group(0))
            if iban_ok(raw) and raw not in pub_ibans and raw not in recorded:
                fail("line %d: unrecorded valid IBAN %s" % (ln, raw))
        for m in re.finditer(r"(?<![\d\w])\d(?:[ -]?\d){12,18}(?![\d\w])", text):
            raw = re.sub(r"\D", "", m.group(0))
            if luhn_ok(raw) and raw not in recorded:
                fail("line %d: unrecorded Luhn-valid number %s" % (ln, raw))
        for m in re.finditer(r"(?<![\d\w.,])\d{9}(?![\d\w])", text):
            if bsn_ok(m.group(0)) and m.group(0) not in recorded:
                fail("line %d: unrecorded 11-proof number %s" % (ln, m.group(0)))
        # embargo terms: positives before `until`, benign after
        for emb in PROFILE["embargo"]:
            until = parse_time(emb["until"])
            if any(term.lower() in text.lower() for term in emb["terms"]):
                if not cats and t < until:
                    fail("line %d: benign post uses embargo term before until" % ln)
                if cats and t >= until and "leak.confidential" in cats:
                    fail("line %d: confidential embargo case after until" % ln)
        # benign sample keys really are samples
        if not cats and re.search(r"ghp_|AKIA|sk_live_", text):
            if not re.search(r"EXAMPLE|x{8,}", text):
                fail("line %d: benign post with a real-looking key" % ln)
    # structure of generated credentials
    for kind, val in SECRETS:
        if kind == "github" and not github_ok(val):
            fail("github token checksum")
        if kind == "aws_id" and not re.fullmatch(r"AKIA[A-Z2-7]{16}", val):
            fail("aws key id")
        if kind == "jwt" and not jwt_ok(val):
            fail("jwt header")
        if kind == "openssh":
            body = "".join(val.splitlines()[1:-1])
            if not base64.b64decode(body).startswith(b"openssh-key-v1\x00"):
                fail("openssh key")
    # the mix
    n = len(CASES)
    benign = sum(1 for c in CASES if not c["expect"]["categories"])
    if not 170 <= n <= 180:
        fail("case count %d" % n)
    if not 55 <= benign <= 65:
        fail("benign count %d" % benign)
    nl = sum(1 for c in CASES if c["post"]["lang"] == "nl")
    if not 0.50 <= nl / n <= 0.60:
        fail("Dutch share %.2f" % (nl / n))
    per = {}
    for c in CASES:
        for cat in c["expect"]["categories"]:
            per[cat] = per.get(cat, 0) + 1
    want = {"reputation.complaint": 20, "leak.confidential": 18, "leak.pii": 15, "reputation.crisis": 15,
            "leak.security": 13, "leak.secret": 12, "reputation.abuse": 12, "leak.pricing": 12, "leak.financial": 12}
    for cat, w in want.items():
        if abs(per.get(cat, 0) - w) > 3:
            fail("category %s has %d, want about %d" % (cat, per.get(cat, 0), w))
    roles = {}
    for c in CASES:
        k = ("benign" if not c["expect"]["categories"] else "pos", c["_role"])
        roles[k] = roles.get(k, 0) + 1
    return n, benign, nl, per, roles


def main():
    with open(OUT, "w", encoding="utf-8") as f:
        for c in CASES:
            f.write(json.dumps({"post": c["post"], "expect": c["expect"]}, ensure_ascii=False) + "\n")
    n, benign, nl, per, roles = check()
    print("wrote %s: %d cases, %d benign, %d Dutch" % (OUT, n, benign, nl))
    for k in sorted(per):
        print("  %-22s %d" % (k, per[k]))
    print("  roles:", dict(sorted(roles.items())))
    print("self-check OK")


if __name__ == "__main__":
    main()
