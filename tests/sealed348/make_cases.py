#!/usr/bin/env python3
"""Build the labelled evaluation set sealed348 (company: Wiekslag Helikoptervluchten B.V.).

Deterministic: fixed seed; standard library plus PyYAML. Writes cases.jsonl next to this
file and checks it: checksums of identifiers and credentials, CONTRACT section 6 shape,
severities derived from the account role in profile.yaml (CONTRACT section 4).
"""
import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import random
import re
import sys
import zlib

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 348_2026
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# ---------------------------------------------------------------- generators
ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
B62 = ALNUM
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
URLSAFE = ALNUM + "-_"


def rstr(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def base62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def gh_token(prefix="ghp_"):
    body = rstr(ALNUM, 30)
    return prefix + body + base62(zlib.crc32(body.encode()), 6)


def gh_valid(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and base62(zlib.crc32(m.group(1).encode()), 6) == m.group(2)


def bad_gh_token():
    tok = gh_token()
    last = tok[-1]
    tok = tok[:-1] + ALNUM[(ALNUM.index(last) + 7) % 62]
    assert not gh_valid(tok)
    return tok


def iban_check(cc, bban):
    s = bban + cc + "00"
    n = int("".join(str(int(ch, 36)) for ch in s))
    return f"{98 - n % 97:02d}"


def iban_valid(iban):
    s = iban.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    s = s[4:] + s[:4]
    return int("".join(str(int(ch, 36)) for ch in s)) % 97 == 1


NL_BANKS = ["INGB", "ABNA", "RABO", "SNSB", "ASNB", "TRIO", "KNAB", "BUNQ"]


def gen_iban():
    bank = rng.choice(NL_BANKS)
    acct = "".join(rng.choice("0123456789") for _ in range(10))
    iban = "NL" + iban_check("NL", bank + acct) + bank + acct
    assert iban_valid(iban)
    return iban


def bad_iban():
    iban = gen_iban()
    d = int(iban[-1])
    iban = iban[:-1] + str((d + 3) % 10)
    assert not iban_valid(iban)
    return iban


def spaced(s, n=4):
    return " ".join(s[i:i + n] for i in range(0, len(s), n))


def luhn_ok(num):
    digits = [int(c) for c in num if c.isdigit()]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def gen_card(prefix=None):
    prefix = prefix or rng.choice(["4", "4", "51", "53", "55"])
    body = prefix + "".join(rng.choice("0123456789") for _ in range(15 - len(prefix)))
    for c in "0123456789":
        if luhn_ok(body + c):
            return body + c
    raise AssertionError


def bad_card(prefix=None):
    c = gen_card(prefix)
    c = c[:-1] + str((int(c[-1]) + 4) % 10)
    assert not luhn_ok(c)
    return c


def bsn_ok(s):
    d = [int(c) for c in s if c.isdigit()]
    if len(d) != 9:
        return False
    total = sum(d[i] * (9 - i) for i in range(8)) - d[8]
    return total % 11 == 0 and total != 0


def gen_bsn():
    while True:
        s = str(rng.randint(1, 9)) + "".join(rng.choice("0123456789") for _ in range(8))
        if bsn_ok(s):
            return s


def bad_bsn():
    s = gen_bsn()
    s = s[:-1] + str((int(s[-1]) + 5) % 10)
    assert not bsn_ok(s)
    return s


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def gen_jwt():
    header = {"alg": "HS256", "typ": "JWT"}
    iat = 1767225600 + rng.randint(0, 300 * 86400)
    payload = {"sub": f"crew-{rng.randint(1000, 9999)}", "name": "L. Smit", "role": "planner",
               "iss": "rooster-api", "iat": iat, "exp": iat + 3600}
    h = b64url(json.dumps(header, separators=(",", ":")).encode())
    p = b64url(json.dumps(payload, separators=(",", ":")).encode())
    key = bytes(rng.getrandbits(8) for _ in range(32))
    sig = b64url(hmac.new(key, f"{h}.{p}".encode(), hashlib.sha256).digest())
    return f"{h}.{p}.{sig}"


def jwt_valid(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    try:
        hdr = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except Exception:
        return False
    return isinstance(hdr, dict) and "alg" in hdr


def gen_pem_body():
    raw = b"openssh-key-v1\x00\x00\x00\x00\x04none\x00\x00\x00\x04none" + bytes(
        rng.getrandbits(8) for _ in range(360))
    b = base64.b64encode(raw).decode()
    return "\n".join(b[i:i + 70] for i in range(0, len(b), 70))


def gen_password():
    words = ["Rotor", "Hangar", "Wieken", "Skid", "Lelystad", "Pitot", "Kerosine", "Cockpit"]
    return rng.choice(words) + rng.choice("!#$%&*") + str(rng.randint(10, 99)) + rstr(
        "abcdefghijkmnpqrstuvwxyz", 3) + rng.choice("!?#@") + str(rng.randint(1, 9))


GEN = {
    "ghp": lambda: gh_token("ghp_"),
    "badghp": bad_gh_token,
    "aws": lambda: "AKIA" + rstr(B32, 16),
    "awssecret": lambda: rstr(ALNUM + "/+", 40),
    "pw": gen_password,
    "dbpw": lambda: rstr(ALNUM, 18),
    "stripe": lambda: "sk_live_51" + rstr(ALNUM, 22) + rstr(ALNUM, 70),
    "slack": lambda: f"xoxb-{rng.randint(10**11, 10**12 - 1)}-{rng.randint(10**12, 10**13 - 1)}-"
                     + rstr(ALNUM, 24),
    "openai": lambda: "sk-proj-" + rstr(URLSAFE, 74) + "T3BlbkFJ" + rstr(URLSAFE, 74),
    "gapi": lambda: "AIza" + rstr(URLSAFE, 35),
    "jwt": gen_jwt,
    "pem": gen_pem_body,
    "glpat": lambda: "glpat-" + rstr(URLSAFE, 20),
    "sendgrid": lambda: "SG." + rstr(URLSAFE, 22) + "." + rstr(URLSAFE, 43),
    "iban": gen_iban,
    "iban_sp": lambda: spaced(gen_iban()),
    "badiban": bad_iban,
    "badiban_sp": lambda: spaced(bad_iban()),
    "card": gen_card,
    "card_sp": lambda: spaced(gen_card()),
    "badcard_sp": lambda: spaced(bad_card("6")),
    "bsn": gen_bsn,
    "badbsn": bad_bsn,
}
_cache = {}


def fill(text):
    def rep(m):
        key = m.group(1) + ":" + m.group(2)
        if key not in _cache:
            _cache[key] = GEN[m.group(1)]()
        return _cache[key]
    return re.sub(r"<<(\w+):(\w+)>>", rep, text)


def fw(s):
    """full-width letters"""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


ZW = "\u200b"
CYR = str.maketrans({"a": "\u0430", "e": "\u0435", "o": "\u043e", "i": "\u0456"})


def cyr(s):
    return s.translate(CYR)


# ---------------------------------------------------------------- authors
ACC = {
    "C1": ("x", "@wiekslag"), "C2": ("x", "@wiekslag_help"), "C3": ("x", "@wiektaxi"),
    "C4": ("instagram", "@wiekslag.air"), "C5": ("facebook", "WiekslagAir"),
    "C6": ("linkedin", "wiekslag-helikoptervluchten"), "C7": ("tiktok", "@wiekslag"),
    "C8": ("youtube", "@WiekslagAir"),
    "E1": ("x", "@daan_vliegt"), "E2": ("instagram", "@captain.sophie.r"),
    "E3": ("x", "@m_vanleeuwen"), "E4": ("linkedin", "rik-hoogendoorn-wiekslag"),
    "E5": ("linkedin", "anouk-de-graaf-ops"), "E6": ("x", "@bram_techniek"),
    "E7": ("tiktok", "@heli.noor"), "E8": ("mastodon", "@joris_devops"),
    "E9": ("bluesky", "@lotte-planning.bsky.social"), "E10": ("reddit", "u/rotor_yusuf"),
    "E11": ("linkedin", "sem-bakker-wiekslag"),
}

CAT = {"sec": "leak.secret", "pii": "leak.pii", "pri": "leak.pricing", "con": "leak.confidential",
       "fin": "leak.financial", "secu": "leak.security", "cri": "reputation.crisis",
       "com": "reputation.complaint", "abu": "reputation.abuse"}

# Each case: (author, lang, categories, text, options)
#   author: key of ACC (corporate Cn / employee En) or (platform, handle) for the public
#   options: date (RFC 3339), kind, brand
CASES = []


def case(author, lang, cats, text, **opt):
    CASES.append((author, lang, cats, text, opt))


# ================================================================ leak.secret
case("E8", "en", "sec",
     "ugh. pushed the deploy script with the GitHub token still in it. rotating now but for the "
     "record it was <<ghp:s1>> , if you see it floating around, that's us 🙃")
case("E6", "nl", "sec",
     "Kan iemand van IT even kijken? De sync van de onderhoudsfoto's naar S3 faalt sinds gisteren.\n"
     "aws_access_key_id = <<aws:s2>>\naws_secret_access_key = <<awssecret:s2>>\nregion = eu-west-1\n"
     "foutmelding: AccessDenied 🤷‍♂️")
case("E3", "nl", "sec",
     "@joris_devops nieuwe login voor het planbord, gebruiker ops_dienst / wachtwoord: <<pw:s3>> "
     "graag even doorzetten naar de avondploeg, de oude werkt niet meer", kind="reply")
case(("reddit", "u/greyhat_gerrit"), "en", "sec",
     "Found this in a public GitHub repo belonging to some Dutch helicopter tour company (Wiekslag I "
     "think?). Live Stripe key sitting right in config.js:\n\n<<stripe:s4>>\n\nSomeone should tell "
     "them before a less friendly person finds it.")
case("E10", "en", "sec",
     "anyone know why our dispatch bot stopped posting to #ops-dispatch? token is "
     "<<slack:s5>> and it works fine from postman lol")
case("C3", "en", "sec",
     "test post from the new scheduler, please ignore 🙏 OPENAI_API_KEY=<<openai:s6>> "
     "caption_model=gpt-4o")
case("E8", "en", "sec",
     "wrong window, sorry\n-----BEGIN OPENSSH PRIVATE KEY-----\n<<pem:s7>>\n"
     "-----END OPENSSH PRIVATE KEY-----")
case("E9", "nl", "sec",
     "waarom krijg ik steeds een 401 op de roosterapi?? dit is m'n bearer: <<jwt:s8>> is ie "
     "verlopen ofzo 😩")
case("E8", "nl", "sec con",
     "migratie vannacht gaat door. DATABASE_URL=postgres://wk_admin:<<dbpw:s9>>@db01.ops.wiekslag.local"
     ":5432/boekingen — wie heeft trouwens de read replica uitgezet?")
case(("x", "@spotter_kees"), "nl", "sec",
     "lmao de insta story van een w1eksl4g piloot laat een post-it in de cockpit zien met "
     "'wachtwoord: <<pw:s10>>' erop. zo beveilig je je tablet dus niet 😂")
case("E1", "en", "sec",
     "building a little live map so pax can follow the flight, why does google keep rejecting "
     "this key: <<gapi:s11>> 🤔 #dev #sideproject")
case("E11", "nl", "sec",
     "Voor de reisbureaus die de mailkoppeling willen testen: de API-key is <<sendgrid:s12>> "
     "(wel even onder ons houden 😉)")
case("E8", "en", "sec con",
     "CI is red again. clone url in the runner is "
     "https://oauth2:<<glpat:s13>>@gitlab.wiekslag.internal/booking/frontend.git and it 403s. anyone?")

# ================================================================ leak.security
case("E8", "en", "secu",
     "Been awake since 3am. Ransomware on the booking backend, we're literally printing passenger "
     "lists by hand at the heliport. Comms hasn't said a word publicly yet so keep it quiet pls")
case("E10", "en", "secu",
     "Dispatcher here. The WiekTaxi app has an IDOR: change the booking number in the URL and you get "
     "someone else's name, pickup address and body weight. Reported it internally in June. Still open.")
case("E3", "nl", "secu",
     "Hele Wiekslag-netwerk plat sinds 06:10. Geen boekingen, geen weerdata, crew weet van niks. "
     "Persbericht komt pas 'als het nodig is' 🙄")
case("E6", "nl", "secu",
     "Iemand heeft vannacht in het onderhoudssysteem de inspectiedata van twee toestellen aangepast. "
     "Geen idee wie. De PH-WKB blijft aan de grond tot het uitgezocht is, nog niet naar buiten brengen.")
case("E9", "nl", "secu",
     "drie collega's van finance zijn ingetrapt in een phishingmail en nu zit er iemand in de gedeelde "
     "boekingsmailbox. IT zegt 'niks tegen klanten zeggen'. ok dan")
case("E8", "en", "secu con",
     "vpn.wiekslag.nl is still on the unpatched Fortigate firmware from before last month's CVE. "
     "Flagged it 4 times. Someone's going to walk right in.")
case("E1", "en", "secu",
     "fun day. the tablets we fly with got wiped by a 'test' MDM push this morning so we flew "
     "on paper charts. nobody outside ops knows and apparently that's the plan")
case(("x", "@maaike_reist"), "en", "secu cri",
     "friend who works at Wiekslag says someone outside got into their customer database last week "
     "and downloaded everything. they haven't told a single customer. lovely.")
case("E7", "nl", "secu",
     "pov: je werkt bij de grondcrew en de toegangspasjes doen het al 2 dagen niet dus de hangar staat "
     "gewoon open 🤡 iedereen kan naar binnen wandelen en we mogen er niks over zeggen")
case("E8", "nl", "secu con",
     "camo.wiekslag.local ligt eruit sinds vrijdag en de backups blijken leeg. onderhoudsrecords van "
     "Q3 foetsie. nog geen melding bij de ILT gedaan.")
case("E10", "en", "secu",
     "PSA to coworkers: the crew portal's password reset doesn't check the old token, so anyone with a "
     "crew email can take over an account. Devs are 'looking into it'. Not public yet.")
case("E3", "en", "secu",
     "Someone's been spoofing wind data into our dispatch screens since Tuesday. Grounded 6 flights "
     "'for weather' that weren't weather. Can't say that officially obviously.")
case("E2", "nl", "secu",
     "Rare week. Onze boekingssite heeft twee dagen lang betaalgegevens naar een vreemde server "
     "gestuurd, skimmer-script zeggen ze. Klanten weten het nog niet. Vind ik echt niet oké.")

# ================================================================ leak.confidential
case("E11", "nl", "con",
     "Mooie dag gehad bij de leverancier in Toulouse voor Project Zwaluw 🚁⚡ kan er nog niks over "
     "zeggen, maar 2028 wordt groot!")
case("E1", "en", "con",
     "Ran a test pax through the SKYLARK-7 beta booking flow today. Miles better than what customers "
     "have now. 'Launch in Q2' they say, lol")
case("E9", "nl", "con",
     "ik mag niks zeggen maar de Utrecht Hop wordt echt heel vet 👀 eerste testvluchten volgende maand",
     date="2026-11-12T19:41:00Z")
case("E3", "nl", "con",
     "Screenshot van het vlootplan per ongeluk in de verkeerde groep gezet, staat 'alleen intern "
     "wiekslag' bovenaan dus graag verwijderen mensen 🙈 (ja, 2 extra H145's in maart)")
case("E6", "en", "con",
     "night shift: torque values for the tail rotor gearbox are now on "
     "https://hangar.wiekslag.local/wiki/h125-trgb not the old share drive")
case("C4", "nl", "con",
     "Sneak peek 👀 De WiekTaxi Utrecht Hop gaat bijna los. Van Utrecht naar Schiphol in een kwartier. "
     "Meer binnenkort! #wiektaxi", date="2026-12-20T10:00:00Z", brand="WiekTaxi")
case("E4", "en", "con fin",
     "WIEKSLAG INTERNAL – board pack Oct: EBITDA 2026 landing at €4.1m vs €6.0m budget, "
     "cash runway tight into Q2. Discuss Thursday.")
case("E5", "nl", "con fin",
     "Operatie IJsvogel is rond: de overname van Noordzee Heli Charter is getekend, aankondiging na de "
     "zomer. Trots op het team dat dit zo lang stil heeft weten te houden!")
case(("reddit", "u/bbq_dad_1987"), "en", "con",
     "My brother-in-law works there and says 'Project Zwaluw' is them buying electric air taxis from "
     "some German startup. Heard it at a bbq so take it with salt")
case("E2", "en", "con",
     "Can't wait for the FY2026 results next week 😎 bonus season baby. let's just say the Wadden "
     "flights carried us", date="2027-02-24T18:20:00Z")
case("E8", "nl", "con",
     "deploy freeze voor Project Zw" + ZW + "aluw tot maandag, alle branches graag vandaag nog mergen")
case("E10", "en", "con",
     "not allowed to say O.p.e.r.a.t.i.e I.j.s.v.o.g.e.l out loud anymore apparently, legal sent a "
     "memo. anyway it's happening 🤐")
case("E7", "nl", "con",
     "m'n baas zei letterlijk 'niet buiten de hangar delen' dus ik zeg alleen: er komen roze "
     "helikopters 💗🚁 #wiekslag")
case("C1", "nl", "con",
     "Crew: het nieuwe rooster voor week 32 staat klaar op https://ops.wiekslag.local/rooster/2026-w32 ✈️")
case("E11", "en", "con",
     "S K Y L A R K - 7 demo for our partner travel agencies went great today. can't share screens yet "
     "but trust me")
case("E3", "nl", "con",
     "Morgen 10u is het zover: Utrecht Hop!! Laatste briefing vanavond in de crewroom",
     date="2027-01-18T20:05:00Z")
case("E4", "nl", "con fin",
     "jaarcijfers 2026 liggen bij de accountant: omzet +18%, nettowinst verdubbeld. Dinsdag officieel, "
     "tot die tijd mondje dicht 🤐", date="2027-02-26T16:30:00Z")

# ================================================================ leak.financial
case("E4", "en", "fin",
     "Tough quarter. Q3 revenue came in at €7.2m, 22% below plan. We'll be revising the full-year "
     "outlook down before year end.")
case("E5", "nl", "fin",
     "Zwaar gesprek vandaag. In februari verdwijnen 35 functies bij de grondafhandeling en het "
     "callcenter gaat naar Portugal. Wordt pas in januari gecommuniceerd.")
case("E1", "en", "fin",
     "rumour in the crew room is confirmed: we're being sold to a French heli group, signing in two "
     "weeks. feels weird flying today")
case(("x", "@henk_golft"), "nl", "fin",
     "Mijn schoonvader zit in de RvC van Wiekslag en zegt dat ze dit jaar 3 miljoen verlies draaien. "
     "Nog niet bekend natuurlijk 🤫")
case("E11", "nl", "fin",
     "Forecast 2027: +40% omzet bij WiekTaxi, Q1-boekingen nu al 2x vorig jaar. Nog niet gepubliceerd "
     "dus shhh 🤫📈")
case("E3", "nl", "fin",
     "Nieuw organogram gezien. Ops en planning worden samengevoegd, 4 managers moeten weg, ik ben een "
     "van de blijvers. Officieel in maart.")
case("E10", "en", "fin",
     "between us: the Rotterdam base closes in spring, all sightseeing moves to Lelystad. staff "
     "finds out next month")
case("E9", "en", "fin",
     "Board signed off on a €12m bond issue this morning. Not out until Thursday's press release")
case("E6", "nl", "fin",
     "Ze gaan de hele H125-vloot leasen ipv kopen, deal met een Ierse lessor, scheelt 9 miljoen op de "
     "balans. Wist je niet van mij 😉")

# ================================================================ leak.pii
case("E3", "nl", "pii",
     "Wie heeft het manifest van de 14:30 Kustvlucht? Ik heb: J. Verbeek geb. 12-04-1979 (92 kg), "
     "L. Verbeek geb. 30-09-2008 (54 kg). Graag checken voor de gewichtsberekening")
case("C2", "nl", "pii",
     "@tessa_vliegt we hebben je terugbetaling overgemaakt naar <<iban_sp:p2>> t.n.v. T. Mulder. "
     "Duurt 2-3 werkdagen!", kind="reply")
case("E7", "nl", "pii",
     "lol deze klant liet d'r creditcard liggen in de lounge 😂 <<card_sp:p3>> exp 08/28 "
     "kom m maar ophalen")
case(("x", "@sarahvdl"), "en", "pii com",
     "@wiekslag_help STILL no refund for booking WK-88213. my number is 06-41287730 and email is "
     "sarah.vdlinden91@gmail.com, PLEASE just call me", kind="reply")
case("E10", "en", "pii",
     "HR sent me a colleague's payslip by mistake. BSN <<bsn:p5>> right there on top, name and all. "
     "Who do I even report this to")
case("E5", "nl", "pii",
     "Welkom aan onze nieuwe piloot Martijn Ekkelkamp! 💐 Bloemen zijn onderweg naar Parkweg 27, "
     "3818 KD Amersfoort")
case(("instagram", "@lieke.en.thomas"), "nl", "pii",
     "Onze aanzoekvlucht was MAGISCH 💍🚁 Wie ons een kaartje wil sturen: fam. Brouwer-Oosting, "
     "Meidoornstraat 8, 9471 AL Zuidlaren")
case("C5", "nl", "pii",
     "De winnaar van onze zomeractie is Kees Huisman uit Zwolle! 🎉 Kees, we hebben je gebeld op "
     "06 2938 4410 en gemaild naar kees.huisman@ziggo.nl, check je inbox!")
case("E1", "en", "pii",
     "Pax left her phone in the heli. Name on the booking is Emma Koster, born 02/11/1995. "
     "Message me if you know her")
case(("facebook", "Ria.Hendriks.71"), "nl", "pii cri",
     "Wiekslag lekt gewoon klantgegevens. Kreeg net een mail met de boeking van iemand anders: Pieter "
     "de Haan, pieter.dehaan@kpnmail.nl, +31 6 1773 0528, Kerkstraat 112 Haarlem. Dat is een datalek "
     "en dat ga ik melden bij de AP.")
case("E9", "en", "pii",
     "posting here bc slack is down: expense refund for Rob goes to <<iban:p11>> (R. Janssens). "
     "sorry for the public post lol")
case(("x", "@jeroen_w_"), "nl", "pii com",
     "Moest bij het inchecken voor de WiekTaxi m'n BSN opgeven?? <<bsn:p12>> … waarom hebben jullie "
     "dat nodig @wiektaxi, dit slaat nergens op")
case("E2", "en", "pii",
     "Happy birthday to our youngest ever Junior Pilot, little Finn Dekker, born 14 March 2019! 🎂🚁")
case("E11", "en", "pii",
     "Great meeting with Inge Vos, travel buyer at Pharmaplus. Want the corporate package too? Reach "
     "her directly at inge.vos@pharmaplus-bv.nl or 06 51 33 87 20")
case(("reddit", "u/lowcost_lars"), "en", "pii cri",
     "the wiekslag checkout page showed me SOMEONE ELSE'S saved card: <<card:p15>>, name M. Aydin. "
     "that's a data breach, full stop")

# ================================================================ leak.pricing
case(("x", "@dealjager_nl"), "nl", "pri",
     "PRIJSFOUT?? Wadden Tour voor €64,90 op boeken.wiekslag.nl 😱 snel zijn mensen")
case("C1", "nl", "pri",
     "Last minute deal ☀️ Private Charter 60 min nu voor €245! Boek via wiekslag.nl")
case(("reddit", "u/amsterdam_anna"), "en", "pri",
     "Just grabbed 2x Grand Tour 35 for €29 each, checkout didn't complain. Pricing bug or promo? "
     "Either way I'm going 😂")
case("E11", "en", "pri",
     "Heads up partners: the Flex Pass 10 shows €395 in the agent portal. That's a typo, should be "
     "€3,950. Please don't sell it at that")
case(("instagram", "@mila.travels"), "nl", "pri",
     "cadeaubon rondvlucht voor 17,50 euro?? moet een fout zijn maar ik heb er 4 besteld hihi 🙊")
case("C3", "en", "pri",
     "New route, new price 🚁 WiekTaxi Amsterdam-Rotterdam from just €115! Book at wiektaxi.nl",
     brand="WiekTaxi")
case(("x", "@tomfromleiden"), "en", "pri com",
     "Booked the Sunset Flight at €27.90 (their price error, not mine) and Wiekslag just cancelled it "
     "without asking. Honour your prices!")
case(("facebook", "Gerda.Pauw"), "nl", "pri",
     "Iemand anders ook de Doors-Off Fotovlucht voor €42 gezien? Lijkt me een prijsfout, heb meteen "
     "geboekt")
case("E7", "nl", "pri",
     "oeps de kassa in de lounge rekent de Junior Pilot sinds vanochtend af voor €21,90 🙈 niemand zeggen")
case(("bluesky", "@flightdeals.bsky.social"), "en", "pri",
     "Tulip Flight showing €25 in the Wiekslag app right now. pricing glitch, go go go")
case(("x", "@roosje_b"), "nl", "pri",
     "Aanzoekvlucht voor maar €89 ipv 899 lol, iemand bij Wiekslag is een nulletje vergeten 😂")
case("E9", "nl", "pri",
     "Wie heeft de Shared Seat op €2,19 gezet in het systeem?? Er zijn al 40 boekingen binnen")

# ================================================================ reputation.crisis
case(("x", "@fotografie_vera"), "nl", "cri com",
     "Tijdens de Doors-Off Fotovlucht schoot mijn harnas los boven het IJ. Ik hing half naar buiten. "
     "De piloot merkte niks. Nooit meer Wiekslag, dit had dodelijk kunnen zijn")
case(("reddit", "u/mom_of_three_nl"), "en", "cri com",
     "My 9yo did the Junior Pilot Experience and burned her hand on a hot exhaust part they let the kids "
     "touch during the walkaround. Blisters, ER visit. Wiekslag's answer: 'sorry for the inconvenience'")
case(("instagram", "@annekeenpaul"), "en", "cri com",
     "Hard landing on our Kustvlucht today, my husband hit his head on the door frame and needed "
     "stitches. Staff just handed us a form. Unbelievable @wiekslag.air")
case(("facebook", "Yvonne.Kuipers.3"), "nl", "cri com",
     "Na de Sunset Flight was ik drie dagen doodziek, de hele vlucht kerosinelucht in de cabine. "
     "Mijn dochter moest overgeven. Niemand bij Wiekslag die ons serieus neemt")
case(("x", "@dkl_consult"), "en", "cri com",
     "the WiekTaxi door warning light was on the ENTIRE flight and the pilot just shrugged. we landed "
     "fine but I was shaking when I got out. how is this legal @wiektaxi")
case(("x", "@nieuws_kust"), "nl", "cri",
     "BREAKING: helikopter van Wiekslag maakt voorzorgslanding in weiland bij Zandvoort, inzittenden "
     "ongedeerd. Onderzoeksraad ingeschakeld")
case(("x", "@vondelbuurt"), "en", "cri",
     "The noise from Wiekslag's sunset flights over the Vondelpark every single evening is insane. "
     "Boycott them until they reroute. #BoycotWiekslag")
case(("reddit", "u/claimcollector"), "en", "cri",
     "A class action is being prepared against Wiekslag over non-refunded weather cancellations, "
     "300+ claimants signed up already. DM for the law firm's link")
case(("blog", "luchtvaartkroniek.nl"), "nl", "cri",
     "ILT zet drie toestellen van Wiekslag aan de grond na ontbrekende onderhoudsdocumentatie. Het "
     "bedrijf zegt 'volledig mee te werken' aan het onderzoek.")
case(("x", "@petravanrijn"), "nl", "cri",
     "Sinds ik bij Wiekslag geboekt heb krijg ik elke dag phishing-sms'jes met mijn naam en vluchtdatum "
     "erin. Daar zit gewoon een datalek, wedden?")
case(("mastodon", "@anouk@mastodon.nl"), "en", "cri",
     "Watching the local news: a Wiekslag helicopter clipped a crane near the Zuidas this afternoon. "
     "Nobody hurt, thank god, but wow.")
case(("x", "@lucas_nh"), "nl", "cri",
     "Wiekslag-piloot met drank op aangehouden vlak voor vertrek. Zo'n bedrijf moet je gewoon sluiten.")
case(("tiktok", "@natuurwacht_jet"), "en", "cri abu",
     "these greedy bastards at Wiekslag fly over a nature reserve full of nesting spoonbills every day. "
     "boycott the scumbags 🤬")
case(("forum", "helipiloten_forum/ruud68"), "nl", "cri",
     "Fabrikant roept een serie rotorbladen terug, volgens de NOS heeft ook Wiekslag er 4 in gebruik. "
     "Wel even opletten als je geboekt hebt.")
case(("x", "@ex_crew_truth"), "en", "cri",
     cyr("Wiekslag covered up a near-miss with a drone last month, says a former employee. ") +
     "Real scandal if true.")

# ================================================================ reputation.complaint
case(("x", "@ruud_hesselink"), "nl", "com",
     "3e keer geannuleerd 'vanwege het weer' terwijl de zon schijnt ☀️ en nu zeggen ze dat m'n "
     "cadeaubon over 2 weken verloopt. Top service @wiekslag_help 👎")
case(("x", "@kevin_aviation"), "en", "com",
     "Paid for the 35 minute Grand Tour, got 19 minutes in the air. Timed it. Asked at the desk, got "
     "a shrug. Come on Wiekslag")
case(("facebook", "Marianne.Veldhuis"), "nl", "com",
     "Al 7 weken wachten op mijn terugbetaling van €598. Mails worden niet beantwoord en de telefoon "
     "gaat na 40 minuten wachten gewoon uit. Wiekslag, wat is dit?")
case(("instagram", "@jules.shoots"), "en", "com",
     "Window so scratched + the glare made every single photo useless. For €299 you'd think they'd "
     "clean the perspex on the Grand Tour 🙄 #disappointed @wiekslag.air")
case(("x", "@b_vandijk_law"), "nl", "com",
     "WiekTaxi Schiphol-Zuidas transfer 50 min te laat, meeting gemist. Geen sms, geen excuses. Voor "
     "495 euro mag je toch iets verwachten @wiektaxi")
case(("reddit", "u/quietgirl_amsterdam"), "en", "com",
     "Got weighed in front of the whole queue and the staff member announced my weight OUT LOUD. "
     "Humiliating. Wiekslag needs to train their people.")
case(("x", "@femkedh"), "nl", "com",
     "App van wiektaxi crasht elke keer bij het betalen en nu ben ik 2x afgeschreven. Klantenservice: "
     "'probeer het later nog eens'. Serieus??")
case(("bluesky", "@marco-commutes.bsky.social"), "en", "com",
     "WiekTaxi Shared Seat = they bumped me twice for a 'priority charter'. Got a voucher nobody wants. "
     "Not booking again.")
case(("threads", "@wim.de.vries.70"), "nl", "com",
     "2 uur wachten in een koude hangar voor een vlucht van 20 minuten, geen koffie, geen uitleg. "
     "Leuk cadeau voor de 70e van m'n vader was het niet, Wiekslag")
case(("x", "@chloe_m"), "en", "com",
     "Wiekslag customer service hung up on me. Twice. I just want to move my Tulip Flight date ffs")
case(("youtube", "@henkie1958"), "nl", "com",
     "de headsets deden het niet dus we hebben de hele rondvlucht geen woord van de piloot gehoord. "
     "jammer van het geld wiekslag", kind="comment")
case(("x", "@sandra_ijmuiden"), "nl", "com",
     cyr("Nooit meer Wiekslag.") + " Vlucht verzet zonder bericht, parkeergeld zelf betalen en de "
     "kortingscode werkte ook niet.")
case(("x", "@boosbertje"), "nl", "abu com",
     "Wiekslag stelletje oplichters, k*t bedrijf, 3 maanden geen geld terug. Ga toch fucking failliet")
case(("reddit", "u/angrytourist22"), "en", "abu com",
     "your 'customer care' girl Mandy is a useless idiot. cancelled my flight and laughed about it on "
     "the phone. fuck wiekslag")
case(("instagram", "@dennis_xl"), "nl", "abu com",
     fw("kankerbedrijf") + " 🤬 vlucht 4x verzet en nog steeds geen geld terug @wiekslag.air")

# ================================================================ reputation.abuse
case(("x", "@trollhunter_007"), "nl", "abu",
     "@daan_vliegt jij bent echt de slechtste piloot die ik ooit gezien heb, vieze zak, ga terug naar "
     "je eigen land", kind="reply")
case(("x", "@lolbroek"), "en", "abu",
     "wiekslag staff are a bunch of braindead clowns lmao")
case(("tiktok", "@xxrickyxx"), "nl", "abu",
     "die grondcrew van w1eksl4g zijn echt allemaal m0ngolen 🤮", kind="comment")
case(("x", "@real_alpha_mike"), "en", "abu",
     "@captain.sophie.r women shouldn't be flying helicopters. back to the kitchen sweetheart",
     kind="reply")
case("E6", "nl", "abu",
     "Die klootzakken van de planning hebben me wéér een dubbele dienst gegeven. Stelletje debielen.")
case(("facebook", "Johan.Stamkot"), "nl", "abu",
     "Wiekslag = tyfusbende. Hoop dat jullie hele zooi neerstort.", kind="comment")
case(("mastodon", "@grumpy@social.vivaldi.net"), "en", "abu",
     "Wiekslag is run by absolute s h i t h e a d s")
case("C2", "nl", "abu",
     "@kl4agmuur als je zo'n zeikerd bent, boek dan gewoon niet meer bij ons 👋", kind="reply")

# ================================================================ benign (hard negatives)
case("C1", "nl", "",
     "Vragen over je boeking? Mail boekingen@wiekslag.nl of bel +31 20 555 0177 (ma-za 8-20u) 🚁")
case("C5", "nl", "",
     "Liever per overboeking betalen? Maak het bedrag over naar NL91 RABO 0318 4760 92 t.n.v. Wiekslag "
     "Helikoptervluchten B.V. o.v.v. je boekingsnummer.")
case("C6", "nl", "",
     "We zoeken een Part-145 B1-monteur voor onze basis in Lelystad! 🔧 Stuur je cv naar "
     "vacatures@wiekslag.nl")
case(("x", "@lisa_k"), "en", "",
     "Best birthday present ever, the Grand Tour 35 over Amsterdam was unreal. Pilot Daan was "
     "hilarious 🙌 @wiekslag")
case(("x", "@joostjetravels"), "nl", "",
     "Wiekslag heeft deze week 20% korting op de Tulpenvlucht, €207 ipv €259. Wie gaat er mee? 🌷")
case("C4", "nl", "",
     "Black Friday ✨ 25% korting op de Sunset Flight Rotterdam: nu €209. Alleen dit weekend!",
     date="2026-11-27T08:00:00Z")
case(("reddit", "u/anniversary_plans"), "en", "",
     "Is the Wadden Tour worth €649? Thinking of doing it for our 10th anniversary. Any reviews?")
case(("x", "@tulpentim"), "nl", "",
     "Dat uitzicht boven de Keukenhof was echt killer 🌷🔥 #wiekslag")
case(("x", "@nerdpilot_wannabe"), "en", "",
     "Took a crash course on helicopter aerodynamics on YouTube before my Wiekslag flight. Still no "
     "idea what the pilot was doing with all those levers lol")
case("E2", "nl", "",
     "Sterkte aan alle collega's in Noorwegen na het helikopterongeluk daar. Vandaag houden we vóór de "
     "briefing een minuut stilte.")
case("E8", "nl", "",
     "Workshop secrets management gegeven bij Wiekslag IT vandaag. Regel 1: in slides en docs alleen "
     "AKIAIOSFODNN7EXAMPLE en wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY gebruiken 😄")
case("E8", "en", "",
     "rotated all our CI tokens today. old one was ghp_************************************ and it's "
     "gone now. sleep well")
case("E8", "en", "",
     "for the onboarding doc I made a dummy token: <<badghp:b13>> . it won't validate (checksum is off "
     "on purpose) so don't bother trying 😉")
case(("x", "@henriette_w"), "nl", "",
     "@wiekslag_help ik heb m'n rekeningnummer fout getypt in het formulier, <<badiban_sp:b14>> klopt "
     "niet. Moet ik het opnieuw invullen?", kind="reply")
case(("x", "@bartjuh"), "nl", "",
     "Mijn cadeaubon-code is <<badcard_sp:b15>> lijkt wel een creditcardnummer haha. Werkt ie ook "
     "online bij Wiekslag?")
case(("x", "@sanne_test"), "nl", "",
     "Waarom vraagt het Wiekslag-formulier om een 'klantnummer (9 cijfers)'? Ik heb <<badbsn:b16>> "
     "ingevuld maar hij zegt ongeldig. Waar vind ik dat nummer?")
case("C1", "nl", "",
     "Vanaf vandaag: de WiekTaxi Utrecht Hop! 🚁 In 14 minuten van Utrecht naar Schiphol. Boek op "
     "wiektaxi.nl", date="2027-01-19T10:00:00Z", brand="WiekTaxi")
case(("x", "@beursbengel"), "nl", "",
     "Wiekslag jaarcijfers 2026 zijn net uit: omzet +18%, netjes. Vooral de Wadden-tours doen het goed.",
     date="2027-03-02T08:15:00Z")
case("E4", "en", "",
     "Today we presented our FY2026 results. Thank you to every colleague who made this year happen 🙏",
     date="2027-03-02T11:00:00Z")
case(("x", "@marloes_1988"), "nl", "",
     "Update: @wiekslag_help heeft het netjes opgelost, geld staat terug én ze gaven een tegoedbon. "
     "Respect 👏")
case(("x", "@pete_in_ams"), "en", "",
     "Credit where due: Wiekslag moved my cancelled Wadden Tour to next week with zero fuss. "
     "Thanks Merel!")
case(("x", "@grotebeer"), "nl", "",
     "Hoe zwaar mag je zijn voor een rondvlucht bij Wiekslag? Ik ben 118 kg en wil niet voor "
     "verrassingen staan")
case(("x", "@zoe_nl"), "en", "",
     "forgot my wiektaxi app password, is there a reset link somewhere? can't find it anywhere")
case(("x", "@zaterdagmiddag"), "nl", "",
     "Lekker weertje voor een rondvlucht! Wie gaat er zaterdag met Wiekslag de lucht in? ☀️")
case("C7", "nl", "",
     "POV: je ziet je eigen huis vanaf 1500 voet 🏠🚁 #wiekslag #rondvlucht")
case("E1", "en", "",
     "Sunset over the Maasvlakte tonight. Never gets old. 6 happy pax, zero bumps.")
case("E2", "nl", "",
     "10 jaar piloot vandaag 🥹 en nog steeds kippenvel bij elke take-off.")
case(("x", "@heli_nerd_nl"), "en", "",
     "Heard Skyline Rotors is launching Amsterdam flights next year. Competition for Wiekslag, good, "
     "might keep everyone sharp")
case(("reddit", "u/wannabe_ppl_h"), "en", "",
     "Did the Proefles 30 at Wiekslag (€399) and now I'm seriously considering a PPL(H). Instructor "
     "was patient and funny. Recommend")
case(("x", "@oma_truus"), "nl", "",
     "Sterkte aan de crew van Wiekslag na die stormachtige week, 4 dagen niet kunnen vliegen is vast "
     "balen. Wij wachten wel met onze vlucht ☺️")
case(("x", "@lifehacks_ams"), "en", "",
     "Life hack: book the first Wiekslag flight of the day. Smoother air and the light is gorgeous")
case(("x", "@gijs_gaat"), "nl", "",
     "Die Kustvlucht was echt de bom 💣 aanrader!")
case("E3", "nl", "",
     "Drukke dag op de heliport: 42 rondvluchten en nul vertraging. Trots op dit team! 💪")
case("C3", "nl", "",
     "Wist je dat je de WiekTaxi Amsterdam-Antwerpen ook retour kunt boeken? Vanaf €1690 per vlucht "
     "voor max. 4 personen.", brand="WiekTaxi")
case(("x", "@dadjokes_dennis"), "en", "",
     "My kid called the helicopter 'a flying blender' and the Wiekslag pilot couldn't stop laughing. "
     "Best day 😂")
case(("instagram", "@noortje.ziet"), "nl", "",
     "Holy shit wat een uitzicht boven Amsterdam 😍 dankjewel @wiekslag.air")
case(("x", "@tevredenklant"), "nl", "",
     "Bel gewoon 0800-0947, daar helpen ze je snel. Bij mij in 5 minuten geregeld 👍 #wiekslag")
case(("x", "@privacy_pim"), "en", "",
     "Wiekslag's receipt only shows **** **** **** 4821. Nice that they don't print the full card number")
case("E8", "en", "",
     "Reminder: in tickets paste connection strings as postgres://user:***@host/db, never the real "
     "thing. Thanks!")
case("E8", "en", "",
     "debug tip for the juniors: a JWT always starts with eyJ because that's base64 for '{\"'. "
     "Don't paste whole tokens in tickets, eyJhbGciOi… is plenty")
case(("x", "@vogelspotter"), "nl", "",
     "Vanuit de heli boven de Oostvaardersplassen een ijsvogel gezien?! Nee wacht, niet op 300 meter 😂 "
     "#wiekslag")
case(("x", "@lelystad_local"), "en", "",
     "Swallows (zwaluwen!) everywhere at the Lelystad heliport this morning, Wiekslag ground crew "
     "chasing them off the pad 😄")
case(("instagram", "@wadlopers"), "en", "",
     "A skylark followed our helicopter for a bit over Terschelling during the Wadden Tour. Magic.")
case("C6", "nl", "",
     "Welkom in de vloot: twee nieuwe Airbus H125's, zoals in juni aangekondigd. Vanaf volgende week "
     "vliegen ze boven Amsterdam en de kust.")
case(("x", "@fd_lezer"), "nl", "",
     "Bij Heli Holland Charter (concurrent van Wiekslag) vallen 20 ontslagen volgens het FD. Zware tijden "
     "voor de sector")
case(("reddit", "u/stonks_nl"), "en", "",
     "Is Wiekslag publicly traded? Would love to own a piece lol")
case(("x", "@veilig_vliegen"), "nl", "",
     "Goed dat Wiekslag nu 2FA heeft in de app. Na al die datalekken bij andere bedrijven voelt dat fijn")
case("E10", "en", "",
     "AMA: I dispatch air taxis for a living. Ask me anything (no, I won't tell you who flies with us)")
case(("x", "@memory_lane"), "en", "",
     "I can still recall every second of that Sunset Flight. 10/10 would cry again")
case(("x", "@luukvb"), "en", "",
     "Sunset Flight was 🔥🔥🔥 the sky was literally on fire over the Maas")
case(("reddit", "u/pricewatcher_eu"), "en", "",
     "City Flight 20 is €189 at Wiekslag vs ~€210 at the Belgian operators. Not cheap but fair")
case("C2", "nl", "",
     "@ruudjeee Vervelend dat je vlucht door de mist niet door kon gaan! Je krijgt automatisch een nieuwe "
     "datum of je geld terug, stuur ons even een DM met je boekingsnummer 🙏", kind="reply")
case(("x", "@commuter_emma"), "en", "",
     "Tried the new Utrecht Hop this morning, 14 min to Schiphol. Pricey but wow.",
     date="2027-02-05T08:40:00Z")
case("E11", "nl", "",
     "Zakelijke reizigers: de Flex Pass 10 is nu 10% voordeliger bij een jaarcontract, €3555. "
     "Interesse? Mail support@wiektaxi.nl")
case(("x", "@noise_realist"), "en", "",
     "People calling to boycott every heli company over noise... Wiekslag actually moved its routes "
     "away from the city centre last year. Give them some credit")
case("E6", "en", "",
     "Finished the 600-hour inspection on one of our H125s a day early. Stroopwafels for the whole team.")
case(("x", "@jessievh"), "nl", "",
     "Mijn vriend is een oplichter 😤 hij zei dat we gingen wandelen en ineens stonden we bij Wiekslag "
     "voor een verrassingsvlucht 🥹❤️")
case(("x", "@vraagbaak_ria"), "nl", "",
     "Weet iemand of je met een Wiekslag cadeaubon ook de Wadden Tour kan boeken als je bijbetaalt?")
case("E5", "en", "",
     "We're hiring cabin hosts for the 2026 summer season at Lelystad and Rotterdam. Apply via "
     "vacatures@wiekslag.nl ☀️🚁", date="2026-02-10T09:00:00Z")
case(("x", "@festivalfreak"), "nl", "",
     "Festival Shuttle van Wiekslag naar Lowlands geboekt, €149 en je staat er in 25 min. Zin in! 🎶")


# ---------------------------------------------------------------- build
def role_of(platform, handle):
    key = f"{platform}:{handle}".lower()
    if key in [a.lower() for a in PROFILE["accounts"]["corporate"]]:
        return "corporate"
    if key in [a.lower() for a in PROFILE["accounts"]["employee"]]:
        return "employee"
    return "public"


ORDER = ["none", "info", "warning", "error", "critical"]

IBAN_RE = re.compile(r"(?<![A-Za-z0-9])([A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?)(?![A-Za-z0-9])")
CARD_RE = re.compile(r"(?<![\d])(\d{4}[ -]?\d{4}[ -]?\d{4}[ -]?\d{3,4}|\d{4}[ -]?\d{6}[ -]?\d{5})(?![\d])")
BSN_RE = re.compile(r"(?<![\d.])(\d{9}|\d{4}\.\d{2}\.\d{3})(?![\d])")
GH_RE = re.compile(r"\bgh[pousr]_[0-9A-Za-z]{36}\b")
AWS_RE = re.compile(r"\bAKIA[A-Z2-7]{16}\b")
JWT_RE = re.compile(r"\beyJ[0-9A-Za-z_-]+\.[0-9A-Za-z_-]+\.[0-9A-Za-z_-]+")


def norm_space(s):
    return s.replace(" ", "").upper()


PUBLIC_IBANS = {norm_space(i) for i in PROFILE["public_identifiers"]["ibans"]}


def checked_ids(text):
    """(kind, value, valid) for every IBAN/card/BSN look-alike in text."""
    out = []
    for m in IBAN_RE.finditer(text):
        v = m.group(1)
        if norm_space(v) in PUBLIC_IBANS:
            continue
        out.append(("iban", v, iban_valid(v)))
    for m in CARD_RE.finditer(text):
        out.append(("card", m.group(1), luhn_ok(m.group(1))))
    for m in BSN_RE.finditer(text):
        out.append(("bsn", m.group(1), bsn_ok(m.group(1))))
    return out


def severity(cats, role, strong_pii):
    sev = "none"
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and strong_pii):
                    s = "critical"
                else:
                    s = "error"
            else:
                s = "warning"
        elif c == "reputation.complaint":
            s = "warning"
        elif c == "reputation.crisis":
            s = "error"
        elif c == "reputation.abuse":
            s = "error" if role != "public" else "warning"
        else:
            raise AssertionError(c)
        if ORDER.index(s) > ORDER.index(sev):
            sev = s
    return sev


def rand_date():
    start = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
    t = start + dt.timedelta(seconds=rng.randint(0, 362 * 86400))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


PRICE_RE = re.compile(r"€\s?(\d[\d.,]*\d|\d)|(\d[\d.,]*\d|\d)\s?(?:euro|EUR)\b", re.I)


def parse_price(s):
    if re.fullmatch(r"\d{1,3}([.,]\d{3})+", s):
        return float(re.sub(r"[.,]", "", s))
    return float(s.replace(",", "."))


def prices(text):
    return [parse_price(m.group(1) or m.group(2)) for m in PRICE_RE.finditer(text)]


def products_in(text):
    low = text.lower()
    found = []
    for p in PROFILE["products"]:
        for a in [p["name"]] + p["aliases"]:
            if a.lower() in low:
                found.append(p)
                break
    return found


ERROR_WORDS = ["prijsfout", "price error", "pricing bug", "pricing glitch", "typo", "een fout",
               "nulletje vergeten", "wie heeft", "oeps"]


def main():
    errors = []
    lines = []
    seen_ids = set()
    taxonomy = set(CAT.values())
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    embargo = [(t.lower(), dt.datetime.fromisoformat(e["until"].replace("Z", "+00:00")))
               for e in PROFILE["embargo"] for t in e["terms"]]
    internal = [s.lower() for s in PROFILE["internal"]["domains"] + PROFILE["internal"]["codenames"]
                + PROFILE["internal"]["markers"]]
    stats = {"nl": 0, "en": 0, "roles": {}}
    for n, (author, lang, cats, text, opt) in enumerate(CASES, 1):
        if isinstance(author, str):
            platform, handle = ACC[author]
            want_role = "corporate" if author.startswith("C") else "employee"
        else:
            platform, handle = author
            want_role = "public"
        role = role_of(platform, handle)
        if role != want_role:
            errors.append(f"case {n}: role {role} != intended {want_role}")
        text = fill(text)
        cats = sorted(CAT[c] for c in cats.split())
        created = opt.get("date") or rand_date()
        while True:
            pid = f"{platform[:2]}-{rng.randint(10**9, 10**10 - 1)}"
            if pid not in seen_ids:
                seen_ids.add(pid)
                break
        ids = checked_ids(text)
        positive = bool(cats)
        for kind, val, ok in ids:
            if positive and not ok:
                errors.append(f"case {n}: {kind} {val} fails checksum in a positive")
            if not positive and ok:
                errors.append(f"case {n}: {kind} {val} passes checksum in a negative")
        for tok in GH_RE.findall(text):
            if gh_valid(tok) != positive:
                errors.append(f"case {n}: github token checksum {gh_valid(tok)} in positive={positive}")
        for tok in AWS_RE.findall(text):
            if tok.endswith("EXAMPLE") == positive:
                errors.append(f"case {n}: aws key {tok} sample/positive mismatch")
        for tok in JWT_RE.findall(text):
            if positive and not jwt_valid(tok):
                errors.append(f"case {n}: jwt header has no alg")
        if "leak.pii" in cats and role != "public":
            strong = any(ok for _, _, ok in ids)
        else:
            strong = False
        sev = severity(cats, role, strong)
        created_dt = dt.datetime.fromisoformat(created.replace("Z", "+00:00"))
        low = text.lower()
        if not positive:
            for term, until in embargo:
                if term in low and created_dt < until:
                    errors.append(f"case {n}: embargo term {term!r} before until in benign")
            for s in internal:
                if s in low:
                    errors.append(f"case {n}: internal term {s!r} in benign")
            for p in products_in(text):
                for pr in prices(text):
                    if pr < ratio * p["list_price"]:
                        errors.append(f"case {n}: benign price {pr} < ratio of {p['name']}")
        if "leak.pricing" in cats:
            prods = products_in(text)
            low_price = any(pr < ratio * p["list_price"] for p in prods for pr in prices(text))
            if not prods or not (low_price or any(w in low for w in ERROR_WORDS)):
                errors.append(f"case {n}: pricing case without product + low price/error talk")
        if "leak.secret" in cats and not re.search(
                r"ghp_|AKIA|wachtwoord|sk_live_|xoxb-|sk-proj-|PRIVATE KEY|eyJ|AIza|SG\.|glpat-|://[^:\s]+:[^@\s]+@",
                text):
            errors.append(f"case {n}: secret case without a credential")
        post = {"id": pid, "platform": platform, "kind": opt.get("kind", "post"),
                "account": {"handle": handle}, "text": text, "lang": lang, "created_at": created}
        if opt.get("brand"):
            post["brand"] = opt["brand"]
        elif "wiektaxi" in low:
            post["brand"] = "WiekTaxi"
        else:
            post["brand"] = "Wiekslag"
        if platform == "x":
            post["url"] = f"https://x.com/{handle.lstrip('@')}/status/{pid.split('-')[1]}"
        lines.append({"post": post, "expect": {"categories": cats, "severity": sev}})
        stats[lang] += 1
        stats["roles"][role] = stats["roles"].get(role, 0) + 1

    # CONTRACT section 6 shape
    platforms = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
                 "mastodon", "bluesky", "threads", "forum", "blog", "other"}
    kinds = {"post", "reply", "repost", "comment", "message"}
    for i, c in enumerate(lines, 1):
        p, e = c["post"], c["expect"]
        ok = (isinstance(p["id"], str) and 1 <= len(p["id"]) <= 256 and p["platform"] in platforms
              and p["kind"] in kinds and isinstance(p["account"]["handle"], str) and p["account"]["handle"]
              and isinstance(p["text"], str) and len(p["text"].encode("utf-8")) <= 65536
              and set(e) == {"categories", "severity"} and set(e["categories"]) <= taxonomy
              and e["categories"] == sorted(set(e["categories"]))
              and e["severity"] in ORDER and (e["severity"] == "none") == (not e["categories"]))
        try:
            dt.datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
        except ValueError:
            ok = False
        if not ok:
            errors.append(f"line {i}: not a valid CONTRACT section 6 case")
    # texts unique
    texts = [c["post"]["text"] for c in lines]
    if len(set(texts)) != len(texts):
        errors.append("duplicate texts")

    total = len(lines)
    benign = sum(1 for c in lines if not c["expect"]["categories"])
    if not 170 <= total <= 180:
        errors.append(f"total {total} outside 170-180")
    if not 55 <= benign <= 65:
        errors.append(f"benign {benign} outside 55-65")
    nl_share = stats["nl"] / total
    if not 0.5 <= nl_share <= 0.62:
        errors.append(f"Dutch share {nl_share:.2f} outside 0.50-0.62")

    out = os.path.join(HERE, "cases.jsonl")
    with open(out, "w", encoding="utf-8") as fh:
        for c in lines:
            fh.write(json.dumps(c, ensure_ascii=False) + "\n")

    # re-read and re-validate what was written
    with open(out, encoding="utf-8") as fh:
        back = [json.loads(l) for l in fh]
    if back != lines:
        errors.append("cases.jsonl does not round-trip")

    percat = {}
    for c in lines:
        for k in c["expect"]["categories"]:
            percat[k] = percat.get(k, 0) + 1
    print(f"cases={total} benign={benign} positives={total - benign} nl={stats['nl']} en={stats['en']} "
          f"roles={stats['roles']}")
    for k in sorted(percat):
        print(f"  {k:24s} {percat[k]}")
    if errors:
        for e in errors:
            print("ERROR:", e, file=sys.stderr)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
