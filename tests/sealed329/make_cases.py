#!/usr/bin/env python3
"""Build the labelled evaluation set 329 (Kroonmolen Chocolade B.V.).

Deterministic: fixed seed, hand-written post texts, generated identifiers and
credentials built the way the real ones are (with their checksums). Writes
cases.jsonl beside this file and checks it; exits non-zero on any failure.
Severities are computed from CONTRACT section 4 and the account role in
profile.yaml, never typed by hand.
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
from datetime import datetime

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))
OUT = os.path.join(HERE, "cases.jsonl")

rng = random.Random(329_0329)

CPL = "reputation.complaint"
CRI = "reputation.crisis"
ABU = "reputation.abuse"
PII = "leak.pii"
SECR = "leak.secret"
SECU = "leak.security"
FIN = "leak.financial"
CONF = "leak.confidential"
PRC = "leak.pricing"
ALL_CATS = {CPL, CRI, ABU, PII, SECR, SECU, FIN, CONF, PRC, "reputation.spike"}

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase  # 0-9A-Za-z

# ---------------------------------------------------------------- identifiers

IBAN_LEN = {"NL": 18, "BE": 16, "DE": 22, "FR": 27, "GB": 22, "LU": 20, "ES": 24}


def _iban_num(s):
    return int("".join(str(int(c, 36)) for c in s))


def iban_ok(iban):
    s = re.sub(r"\s+", "", iban).upper()
    if len(s) < 5 or IBAN_LEN.get(s[:2]) != len(s):
        return False
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]+", s):
        return False
    return _iban_num(s[4:] + s[:4]) % 97 == 1


def _iban_make(cc, bban):
    check = 98 - _iban_num(bban + cc + "00") % 97
    return f"{cc}{check:02d}{bban}"


def iban_nl(bank=None):
    bank = bank or rng.choice(["RABO", "INGB", "ABNA", "SNSB", "TRIO", "ASNB", "KNAB", "BUNQ"])
    acct = "".join(rng.choice(string.digits) for _ in range(10))
    return _iban_make("NL", bank + acct)


def iban_de():
    blz = str(rng.randint(10000000, 89999999))
    acct = "".join(rng.choice(string.digits) for _ in range(10))
    return _iban_make("DE", blz + acct)


def iban_be():
    base = rng.randint(10 ** 9, 10 ** 10 - 1)
    nat = base % 97 or 97
    return _iban_make("BE", f"{base:010d}{nat:02d}")


def iban_bad(cc="NL"):
    good = iban_nl() if cc == "NL" else iban_de()
    while True:
        i = rng.randrange(8, len(good))
        d = str((int(good[i]) + rng.randint(1, 9)) % 10)
        bad = good[:i] + d + good[i + 1:]
        if not iban_ok(bad):
            return bad


def spaced(s, n=4):
    return " ".join(s[i:i + n] for i in range(0, len(s), n))


def luhn_ok(num):
    ds = [int(c) for c in re.sub(r"\D", "", num)]
    tot = 0
    for i, d in enumerate(reversed(ds)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        tot += d
    return len(ds) >= 12 and tot % 10 == 0


def card(prefix, length=16):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for c in string.digits:
        if luhn_ok(body + c):
            return body + c
    raise AssertionError


def card_bad(prefix, length=16):
    good = card(prefix, length)
    return good[:-1] + str((int(good[-1]) + rng.randint(1, 9)) % 10)


def bsn_ok(num):
    s = re.sub(r"\D", "", num)
    if len(s) != 9:
        return False
    tot = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return tot % 11 == 0 and s != "000000000"


def bsn():
    while True:
        s = str(rng.randint(100000000, 999999999))
        if bsn_ok(s):
            return s


def bsn_bad():
    while True:
        s = str(rng.randint(100000000, 999999999))
        if not bsn_ok(s):
            return s


def mobile():
    return "6" + str(rng.randint(1, 9)) + "".join(rng.choice(string.digits) for _ in range(7))


# ---------------------------------------------------------------- credentials

def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def gh_crc(body):
    return b62(zlib.crc32(body.encode()) & 0xFFFFFFFF, 6)


def gh_token(prefix="ghp_"):
    body = "".join(rng.choice(ALNUM) for _ in range(30))
    return prefix + body + gh_crc(body)


def gh_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and gh_crc(m.group(1)) == m.group(2)


def gh_bad():
    body = "".join(rng.choice(ALNUM) for _ in range(30))
    crc = gh_crc(body)
    wrong = crc[:-1] + ("A" if crc[-1] != "A" else "B")
    return "ghp_" + body + wrong


def aws_key_id():
    return "AKIA" + "".join(rng.choice(string.ascii_uppercase + "234567") for _ in range(16))


def aws_secret():
    return "".join(rng.choice(string.ascii_letters + string.digits + "/+") for _ in range(40))


def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt():
    head = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64u(json.dumps({"sub": "svc-orderapi", "role": "admin", "iss": "shop-backend",
                            "iat": 1780000000 + rng.randint(0, 9999999)},
                           separators=(",", ":")).encode())
    sig = b64u(bytes(rng.randrange(256) for _ in range(32)))
    return f"{head}.{body}.{sig}"


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    try:
        pad = "=" * (-len(parts[0]) % 4)
        head = json.loads(base64.urlsafe_b64decode(parts[0] + pad))
        return isinstance(head, dict) and "alg" in head
    except Exception:
        return False


def openssh_key():
    raw = b"openssh-key-v1\x00" + bytes(rng.randrange(256) for _ in range(380))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return ("-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines)
            + "\n-----END OPENSSH PRIVATE KEY-----")


URLSAFE = string.ascii_letters + string.digits + "-_"

# ---------------------------------------------------------------- case building

CORP = {a.lower() for a in PROFILE["accounts"]["corporate"]}
EMPL = {a.lower() for a in PROFILE["accounts"]["employee"]}

NAMES = {
    "x:@kroonmolen": "Kroonmolen Chocolade",
    "x:@kroonmolen_klant": "Kroonmolen Klantenservice",
    "instagram:@kroonmolen.chocolade": "Kroonmolen Chocolade",
    "facebook:kroonmolenchocolade": "Kroonmolen Chocolade",
    "linkedin:kroonmolen-chocolade": "Kroonmolen Chocolade B.V.",
    "tiktok:@kroonmolenchoc": "Kroonmolen",
    "threads:@kroonmolen.chocolade": "Kroonmolen Chocolade",
    "x:@lotte_vdmeer": "Lotte van der Meer",
    "instagram:@bram.chocolatier": "Bram Hofstede",
    "linkedin:ingrid-hoekstra-kroonmolen": "Ingrid Hoekstra",
    "linkedin:mehmet-yildiz-km": "Mehmet Yildiz",
    "x:@daan_schippers": "Daan Schippers",
    "tiktok:@noor_achterdetoonbank": "Noor 🍫",
    "bluesky:@ruudkoster.bsky.social": "Ruud Koster",
    "mastodon:@evertjan@mastodon.nl": "Evert-Jan",
    "x:@sophie_dv_km": "Sophie de Vos",
    "linkedin:anouk-brink": "Anouk Brink",
    "facebook:petra.dekker.73": "Petra Dekker",
}

CASES = []
_used_ids = set()


def role_of(platform, handle):
    key = f"{platform}:{handle}".lower()
    if key in CORP:
        return "corporate"
    if key in EMPL:
        return "employee"
    return "public"


def new_id(platform):
    while True:
        i = f"km329-{platform}-{rng.randint(100000, 999999)}"
        if i not in _used_ids:
            _used_ids.add(i)
            return i


def add(acct, when, lang, cats, text, kind="post", name=None, meta=None):
    platform, handle = acct.split(":", 1)
    pid = new_id(platform)
    post = {
        "id": pid,
        "platform": platform,
        "kind": kind,
        "account": {"handle": handle,
                    "display_name": name or NAMES.get(acct.lower(), handle.lstrip("@"))},
        "text": text,
        "lang": lang,
        "created_at": when,
        "brand": "Kroonmolen",
    }
    if platform == "x":
        post["url"] = f"https://x.com/{handle.lstrip('@')}/status/{rng.randint(10**18, 10**19 - 1)}"
    CASES.append({"post": post, "cats": sorted(set(cats)), "meta": meta or {}})


# ================================================================= POSITIVES

# ---- complaints (public customers)
add("x:@femkejanssen_", "2026-07-21T16:42:00Z", "nl", [CPL],
    "@kroonmolen_klant mijn bestelling van vrijdag (#KM-884213) kwam vandaag aan als één grote "
    "bruine plas. Koelelement? Nooit van gehoord blijkbaar. 31 graden en jullie sturen het gewoon "
    "met de gewone post 🫠", kind="reply", name="Femke")
add("instagram:@claire.eats.ams", "2026-02-15T20:10:00+01:00", "en", [CPL],
    "ordered the Truffelkist Grand Cru as an anniversary gift and half the truffles had that white-"
    "grey bloom on them. €55 for that?? really disappointed tbh", kind="comment", name="Claire")
add("facebook:wendy.kok.1982", "2026-05-06T09:31:00+02:00", "nl", [CPL],
    "Al 3 weken wacht ik op antwoord over het opzeggen van mijn Reepbox. 2x gemaild, 1x gebeld, en "
    "gisteren wéér €21,95 afgeschreven. Hoe moeilijk kan het zijn om een abonnement stop te zetten "
    "Kroonmolen??", name="Wendy Kok")
add("x:@papa_van3", "2026-11-30T19:05:00+01:00", "nl", [CPL],
    "bestelde een chocoladeletter S voor mn dochter, kreeg een W. die staat nu ondersteboven op "
    "tafel als M. de Sint heeft gevoel voor humor, jullie magazijn niet @kroonmolen", name="Jeroen")
add("reddit:u/dutchdrizzle", "2026-09-14T12:20:00Z", "en", [CPL],
    "PSA for anyone in Utrecht: the Kroonmolen shop on the Oudegracht charged me twice on the card "
    "machine and the guy at the counter just shrugged and said 'bel de klantenservice'. Still "
    "waiting on the refund 10 days later.", name="dutchdrizzle")
add("forum:HannekeR", "2026-04-02T08:15:00+02:00", "nl", [CPL],
    "Workshop Bonbons Maken geboekt voor de 60e van mijn moeder, 2 dagen van tevoren afgezegd "
    "'wegens ziekte' en nu krijg ik een tegoedbon in plaats van mijn geld terug. Niet netjes, zeker "
    "niet als je €118 hebt betaald.", name="HannekeR")
add("x:@m_verbruggen", "2026-12-19T21:48:00+01:00", "en", [CPL],
    "the iDEAL payment on shop.kroonmolen.nl failed 4 times, my bank now shows 4 pending charges and "
    "the order isn't in my account. great. just great. @kroonmolen_klant", name="Maarten V.")
add("instagram:@lieke_bakt", "2026-04-04T11:02:00+02:00", "nl", [CPL],
    "paasei groot puur besteld, kwam in 6 stukken binnen 😕 buitendoos was prima dus het lag echt aan "
    "de verpakking binnenin. jammer want t was voor de paasbrunch morgen", kind="comment", name="Lieke")
add("facebook:GerritsenAdvocatuur", "2026-12-16T14:30:00+01:00", "en", [CPL],
    "Kerstpakket Deluxe delivered to our office without the wine and the hazelnut spread that were "
    "on the product page. Emailed zakelijk@ twice, no reply. We ordered 40 of these for staff.",
    name="Gerritsen Advocatuur")
add("tiktok:@zoe.xo.denbosch", "2026-10-11T15:55:00+02:00", "nl", [CPL],
    "ff eerlijk, kroonmolen winkel den bosch: 20 min in de rij, verkoopster aan de telefoon met "
    "d'r vriendje. geen sorry niks. nooit meer", kind="comment", name="zoë")
add("forum:karelvdlinden", "2026-01-08T10:44:00+01:00", "nl", [CPL],
    "Klacht: de cadeaukaart van €50 die ik met kerst kreeg wordt in de Kroonmolen webshop 'ongeldig' "
    "genoemd, in de winkel zeggen ze dat ik het online moet proberen. Van het kastje naar de muur.",
    name="karelvdlinden")

# ---- first-hand safety incidents: crisis + complaint
add("facebook:marco.de.bruijn.5", "2026-06-22T10:12:00+02:00", "nl", [CRI, CPL],
    "Onze chocoladefontein van Kroonmolen (gehuurd voor de bruiloft) gaf mijn zwager een flinke "
    "schok toen hij de rand aanraakte. Snoer bleek gesmolten bij de motor. Had echt slecht kunnen "
    "aflopen met al die kinderen erbij. Nog steeds geen reactie op mijn mail.", name="Marco de Bruijn")
add("x:@hollyinleiden", "2026-12-06T18:37:00+01:00", "en", [CRI, CPL],
    "My son (nut allergy) had a reaction after eating the 'nut free' melk letter from @kroonmolen. "
    "EpiPen + A&E last night. The label SAID nut free. I'm furious and shaking still.",
    name="Holly")
add("instagram:@rianne.s", "2026-03-28T13:15:00+01:00", "nl", [CRI, CPL],
    "beet op iets hards in de Zwarte Molen taart... bleek een stukje glas 😳 tand gebroken. foto's "
    "bewaard, bon bewaard. @kroonmolen.chocolade wat gaan jullie hiermee doen?", kind="comment",
    name="Rianne")
add("reddit:u/tulipfields_94", "2026-02-22T09:05:00+01:00", "en", [CRI, CPL],
    "Whole family sick after the Kroonmolen bonbon workshop on Saturday — vomiting through the "
    "night, four of us. The only thing we all ate was the ganache we made there. Anyone else from "
    "the 14:00 group?", name="tulipfields_94")
add("x:@sandervdh", "2026-01-17T20:50:00+01:00", "nl", [CRI, CPL],
    "Warme chocolade vlokken van Kroonmolen in de pan, melk erbij, en het hele spul begon te schuimen "
    "en rook naar plastic. dochter de hele nacht buikkramp. iemand anders dit ook?? #kroonmolen",
    name="Sander")
add("facebook:ilse.vanrijn", "2026-12-03T08:40:00+01:00", "nl", [CRI, CPL],
    "Oproep: check je Kroonmolen adventskalender! In die van ons zaten in 3 vakjes metalen "
    "draadjes in de chocolade, mijn jongste had er al eentje in zijn mond. Gemeld bij de NVWA, "
    "Kroonmolen reageert niet.", name="Ilse van Rijn")

# ---- complaint + abuse
add("x:@bertus_1977", "2026-12-22T11:11:00+01:00", "nl", [ABU, CPL],
    "@kroonmolen_klant jullie zijn echt een stelletje incompetente klootzakken. 4e keer dat mijn "
    "bestelling 'kwijt' is", kind="reply", name="Bert")
add("instagram:@nat_k_travels", "2026-08-03T17:25:00+02:00", "en", [ABU, CPL],
    "your shop girl in Amersfoort is a rude stupid cow. told me to 'just eat them anyway' when I "
    "showed her the stale rotsjes I bought an hour earlier", kind="comment", name="Natalie K")

# ---- complaint + customer's own data
_m = mobile()
add("x:@ymke_events", "2026-05-28T09:20:00+02:00", "nl", [PII, CPL],
    f"@kroonmolen_klant al 2x gebeld, niemand belt terug. Bel me AUB zelf even: 0{_m[0]}-"
    f"{_m[1:]}, het gaat om de bruiloftsbestelling van 12 juni!!", kind="reply",
    name="Ymke | Events")

# ---- crisis (third-party news, boycotts, lawsuits, breach accusations)
add("x:@voedselalarm_nl", "2026-03-11T07:30:00+01:00", "nl", [CRI],
    "NVWA: Kroonmolen roept Pralinedoos Klassiek 16 (THT 03-2027) terug vanwege mogelijke "
    "salmonella. Niet opeten, terugbrengen naar de winkel. #terugroepactie", name="Voedselalarm")
add("x:@cocoa_justice", "2026-06-09T12:00:00Z", "en", [CRI],
    "Boycott @kroonmolen until they publish where their cocoa comes from. Child labour in their "
    "Ivory Coast supply chain documented in today's report. #BoycottKroonmolen", name="Cocoa Justice")
add("forum:pietjepuk72", "2026-10-20T22:03:00+02:00", "nl", [CRI],
    "Volgens mij zijn alle klantgegevens van de Kroonmolen webshop gelekt. Ik krijg sinds gisteren "
    "phishingmails met mijn naam, adres én mijn bestelling van vorige week erin. Dat kan alleen uit "
    "hun systeem komen.", name="pietjepuk72")
add("blog:retailnieuws-nh", "2026-11-03T10:00:00+01:00", "en", [CRI],
    "Former shop staff have filed a lawsuit against Kroonmolen Chocolade over unpaid overtime during "
    "the 2025 Sinterklaas season, their lawyer confirmed on Tuesday.", name="Retailnieuws NH")
add("x:@leidsebuurman", "2026-09-26T16:18:00+02:00", "nl", [CRI],
    "Vanmiddag een meisje met een allergische reactie naar het ziekenhuis na een proeverij in de "
    "Kroonmolen winkel in Leiden, ambulance stond voor de deur. Hopelijk gaat het goed met haar.",
    name="Buurman Leiden")
add("tiktok:@consumentkritisch", "2026-05-12T20:45:00+02:00", "nl", [CRI],
    "Schandaal bij Kroonmolen: 'ambachtelijke' bonbons die gewoon kant-en-klaar uit een fabriek in "
    "Polen komen. Vanavond in Radar. Misleiding van de bovenste plank.", name="Consument Kritisch")
add("mastodon:@amersfoortlokaal@social.nl", "2026-08-18T07:52:00+02:00", "en", [CRI],
    "Fire at the Kroonmolen production kitchen in Amersfoort this morning, smoke coming from the "
    "roof, fire brigade on site. Workers evacuated, no injuries reported so far.",
    name="Amersfoort Lokaal")
add("linkedin:joris-meulenbelt", "2026-10-05T08:10:00+02:00", "en", [CRI],
    "Heads up to anyone with a Kroonmolen account: their password reset emails went to the wrong "
    "customers all weekend. I received someone else's reset link AND their full order history.",
    name="Joris Meulenbelt")

# ---- abuse
add("x:@grumpytijn", "2026-03-19T22:40:00+01:00", "nl", [ABU],
    "@lotte_vdmeer hou toch je bek met je marketingpraatjes. vieze kutchocolade verkopen jullie",
    kind="reply", name="tijn")
add("instagram:@rickyyy_010", "2026-07-07T19:02:00+02:00", "nl", [ABU],
    "@bram.chocolatier wat een kankerlijer ben jij zeg, blijf lekker in je keuken", kind="comment",
    name="ricky")
add("tiktok:@lolzzz.nl", "2026-09-02T21:33:00+02:00", "en", [ABU],
    "lol that fat cashier in the kroonmolen tiktok clearly eats half the stock 🐷🐷", kind="comment",
    name="lolzzz")
add("x:@echtnederlands1", "2026-04-22T13:14:00+02:00", "nl", [ABU],
    "Kroonmolen neemt alleen nog buitenlanders aan in de winkel, die apen snappen niet eens wat een "
    "bonbon is", name="Echt Nederlands")
add("x:@daan_schippers", "2026-12-12T17:58:00+01:00", "nl", [ABU],
    "@chocoholic_joep rot toch op met je gezeur man, debiel. je pakket staat gewoon bij de buren",
    kind="reply")
add("instagram:@kroonmolen.chocolade", "2026-05-30T10:27:00+02:00", "en", [ABU],
    "@sweetbyanna honestly if you can't tell ganache from a truffle maybe shut up and stick to "
    "supermarket bars, idiot", kind="reply")
add("forum:Zwijger88", "2026-02-03T23:12:00+01:00", "nl", [ABU],
    "die k4nk3r winkel van kroonmolen in utrecht met die t3r1ng verkopers, stelletje 1d10ten",
    name="Zwijger88")
add("x:@not_a_bot_2004", "2026-08-25T02:14:00+02:00", "en", [ABU],
    "@kroonmolen_klant f u c k you and your s h i t t y chocolates", kind="reply", name="nab")
add("x:@stillewaters66", "2026-11-09T23:47:00+01:00", "nl", [ABU],
    "Ik weet waar die chocolatier van jullie woont hoor. Zou maar uitkijken als ik jou was "
    "@bram.chocolatier", name="S.W.")

# ---- personal data
add("x:@kroonmolen_klant", "2026-02-10T11:40:00+01:00", "nl", [PII],
    "@mariekevdl excuses! We sturen een nieuwe doos naar Marieke van Leeuwen, Lindenlaan 14, "
    "3581 EK Utrecht. Klopt dat adres nog?", kind="reply")
add("x:@lotte_vdmeer", "2026-06-03T15:20:00+02:00", "nl", [PII],
    "deze klant bestelt ELKE week 12 Molenrepen, onze reepkoning 👑 (groetjes Henk, "
    "h.bosma1961@gmail.com, je bent een legende 😂)")
_bsn_fenna, _iban_fenna = bsn(), iban_nl("INGB")
add("linkedin:anouk-brink", "2026-09-01T08:05:00+02:00", "nl", [PII],
    f"Welkom aan onze nieuwe collega Fenna de Graaf in de winkel in Gouda! 🎉 Fenna, vergeet niet je "
    f"BSN ({_bsn_fenna}) en IBAN {spaced(_iban_fenna)} nog even door te sturen voor de salarisadministratie 😊")
add("facebook:KroonmolenChocolade", "2026-03-02T16:44:00+01:00", "en", [PII],
    f"Hi Tom, so sorry about the broken Paasei! Refund processed to card {spaced(card('4539'))} — "
    f"should show within 3-5 working days 🍫", kind="reply")
add("x:@sjaak_vos", "2026-10-30T19:30:00+01:00", "nl", [PII],
    f"Help, iemand heeft met mijn creditcard {spaced(card('5412'))} bij een rare webshop "
    f"'kroonmolen-sale' besteld?? hoe krijg ik dit teruggedraaid", name="Sjaak")
add("instagram:@joycemulder_hlm", "2026-12-20T12:12:00+01:00", "en", [PII, CPL],
    "@kroonmolen.chocolade my package still isn't here after 9 days, it's for Joyce Mulder, "
    "Kerkstraat 88, 2011 HK Haarlem. please chase your courier??", kind="comment", name="Joyce")
add("tiktok:@noor_achterdetoonbank", "2026-03-14T10:30:00+01:00", "nl", [PII],
    "gefeliciteerd aan onze liefste vaste klant Truus Jansen, geboren 14-03-1941, 85 jaar vandaag "
    "en nog elke zaterdag haar rotsjes halen 🥹💐")
_m2 = mobile()
add("x:@kroonmolen_klant", "2026-07-15T13:05:00+02:00", "en", [PII],
    f"@jdewit_ Thanks James! For the replacement we'll call you on +31 6 {_m2[1:5]} "
    f"{_m2[5:9]} tomorrow morning, ok?", kind="reply")
add("mastodon:@evertjan@mastodon.nl", "2026-04-16T14:48:00+02:00", "en", [PII],
    "anyone know how to force-resend a Mollie webhook? order for customer s.vermeulen@ziggo.nl is "
    "stuck in 'pending' since yesterday")
add("facebook:boze.klant.zwolle", "2026-06-27T21:20:00+02:00", "nl", [PII, ABU],
    "Die verkoopster van Kroonmolen Zwolle heet Esmee Kuipers en woont op de Thorbeckegracht 23 in "
    "Zwolle. Ga haar maar eens vertellen wat je van haar 'service' vindt.", name="Boze Klant")
_iban_smit = iban_nl("ABNA")
add("x:@daan_schippers", "2026-08-12T11:55:00+02:00", "nl", [PII],
    "retour voor klant gestort op " + spaced(_iban_smit)[:2] + "\u200b" + spaced(_iban_smit)[2:]
    + " t.n.v. R. Smit. volgende keer graag zelf even checken collega's 🙄")
add("reddit:u/koelner_schoko", "2026-01-26T18:02:00+01:00", "en", [PII],
    f"Can someone from @kroonmolen_klant just refund the Bonbonkoffer to {spaced(iban_de())}? "
    f"I'm in Cologne, ordered it as a gift, it was cancelled.", kind="comment", name="koelner_schoko")
_m4 = mobile()
add("linkedin:kroonmolen-chocolade", "2026-02-27T09:00:00+01:00", "nl", [PII],
    f"Doe mee met onze bonbonworkshop voor bedrijven! Aanmelden bij onze collega Wim: "
    f"w.terpstra75@gmail.com of 06 {' '.join(_m4[1:][i:i + 2] for i in range(0, 8, 2))}")
_bsn_yara = bsn()
add("x:@lotte_vdmeer", "2026-11-18T20:15:00+01:00", "nl", [PII],
    "oud-collega vraagt een referentie, ik zet het hier even neer zodat ik het niet kwijtraak: Yara "
    f"Bakker, geb. 02-07-1998, BSN {_bsn_yara[:4]}.{_bsn_yara[4:6]}.{_bsn_yara[6:]}")
_m3 = mobile()
add("instagram:@lisa.en.ruben.trouwen", "2026-04-25T15:40:00+02:00", "en", [PII],
    f"We'd love a Kroonmolen chocolate fountain at our wedding in August! Please contact me at "
    f"lisa.hendriks88@outlook.com or 0031 6 {_m3[1:5]} {_m3[5:9]} 💍", kind="comment",
    name="Lisa & Ruben")

# ---- secrets
add("bluesky:@ruudkoster.bsky.social", "2026-05-19T16:30:00+02:00", "en", [SECR],
    f"why does the deploy keep 403ing, the token is definitely right: {gh_token()} "
    "… wait. oh no.")
add("mastodon:@evertjan@mastodon.nl", "2026-01-12T07:55:00+01:00", "nl", [SECR, CONF],
    "note to self want ik vergeet het steeds: erp.kroonmolen.local admin / wachtwoord: "
    "Kr00nM0len!Erp#26")
add("x:@sophie_dv_km", "2026-03-05T10:10:00+01:00", "nl", [SECR],
    "kan iemand checken waarom de nieuwsbrief niet verstuurt? staat gewoon in de config: "
    f"SENDGRID_API_KEY=SG.{rand(URLSAFE, 22)}.{rand(URLSAFE, 43)}")
add("linkedin:mehmet-yildiz-km", "2026-06-18T13:00:00+02:00", "en", [SECR],
    "Migrated all webshop product images to S3 today 🎉 Setup for the team:\n"
    f"aws_access_key_id = {aws_key_id()}\naws_secret_access_key = {aws_secret()}\nregion = eu-west-1")
add("bluesky:@ruudkoster.bsky.social", "2026-08-06T22:41:00+02:00", "en", [SECR],
    f"mollie keeps rejecting refunds with 401 using live_{rand(ALNUM, 30)} — did they rotate "
    "something on their end?")
add("mastodon:@evertjan@mastodon.nl", "2026-10-08T09:33:00+02:00", "en", [SECR],
    f"psql \"postgres://webshop_rw:{rand(ALNUM + '!%', 14)}@10.20.4.17:5432/orders\" times out "
    "from the new jump host, firewall again?")
add("x:@h4ckerm4n_nl", "2026-09-09T14:25:00+02:00", "en", [SECR],
    f"lol @kroonmolen your checkout page ships a secret key in the js bundle: "
    f"sk_live_{rand(ALNUM, 24)} — fix it before someone else finds it", name="h4ckerman")
add("x:@daan_schippers", "2026-02-19T06:50:00+01:00", "nl", [SECR],
    "bot voor de magazijnmeldingen werkt weer 💪 token is "
    f"xoxb-{rng.randint(10**10, 10**11 - 1)}-{rng.randint(10**12, 10**13 - 1)}-{rand(ALNUM, 24)} "
    "mocht iemand m nodig hebben voor de nachtploeg")
add("bluesky:@ruudkoster.bsky.social", "2026-11-24T11:17:00+01:00", "en", [SECR],
    f"anyone know why the order API rejects this? Bearer {jwt()} — exp looks fine to me")
add("mastodon:@evertjan@mastodon.nl", "2026-07-01T23:58:00+02:00", "en", [SECR],
    openssh_key() + "\n\nwrong window. ignore. it's late.")
add("x:@sophie_dv_km", "2026-10-15T14:02:00+02:00", "nl", [SECR],
    f"onze nieuwe productadvies-chatbot draait op sk-proj-{rand(URLSAFE, 64)}T3BlbkFJ"
    f"{rand(URLSAFE, 64)} als iemand van IT wil meekijken waarom hij zo traag is 🙏")
add("instagram:@kroonmolen.chocolade", "2026-09-21T18:00:00+02:00", "nl", [SECR],
    "Nieuwe kassa's in Utrecht staan! 🎉 (backoffice: gebruiker kassa_utrecht / ww: Bonbon#Utr2026)")
add("linkedin:mehmet-yildiz-km", "2026-04-07T07:45:00+02:00", "nl", [SECR, SECU],
    "Ter info collega's: na de inbraak in ons mailsysteem vannacht zijn alle accounts gereset. "
    "Tijdelijk wachtwoord voor iedereen: Welkom!Kroonmolen77 (tot maandag wijzigen).")

# ---- security
add("mastodon:@evertjan@mastodon.nl", "2026-11-02T06:20:00+01:00", "nl", [SECU],
    "Zware nacht. Ransomware op de ERP-server, alle winkels draaien vandaag op pen en papier. Nog "
    "niks naar buiten gecommuniceerd dus hou het even stil aub")
add("bluesky:@ruudkoster.bsky.social", "2026-06-30T19:44:00+02:00", "en", [SECU],
    "fun fact: on our webshop you can see anybody's order by changing the number at the end of the "
    "URL. reported it internally in March, still open 🙃")
add("x:@lotte_vdmeer", "2026-12-04T06:45:00+01:00", "nl", [SECU],
    "webshop ligt er al sinds 04:00 uit, certificaat verlopen en niemand weet wie de sleutel heeft "
    "🙈 klanten weten nog van niks, laten we het zo houden")
add("linkedin:mehmet-yildiz-km", "2026-09-17T12:00:00+02:00", "en", [SECU],
    "Proud of my team: yesterday we found a card-skimming script injected into our checkout page and "
    "removed it within hours. Customers will be informed next week once forensics are done.")
add("mastodon:@evertjan@mastodon.nl", "2026-05-08T16:05:00+02:00", "en", [SECU],
    "the backup NAS with all the customer exports has been reachable from the internet without a "
    "password for months. found it today. nobody upstairs knows yet")
add("tiktok:@noor_achterdetoonbank", "2026-10-24T11:20:00+02:00", "nl", [SECU],
    "kassa's liggen er in alle winkels uit sinds vanochtend, ze zeggen dat het een hack is maar we "
    "mogen niks tegen klanten zeggen 🤐 dus sorry als je moet wachten")
add("reddit:u/sprinkles_and_stuff", "2026-12-09T20:30:00+01:00", "en", [SECU, CRI],
    "My friend works in IT at Kroonmolen, says their whole customer database got copied last week "
    "and management is keeping it quiet until after Christmas.", name="sprinkles_and_stuff")
add("bluesky:@ruudkoster.bsky.social", "2026-03-23T10:58:00+01:00", "nl", [SECU],
    "het voucherveld in onze checkout is nog steeds vatbaar voor SQL-injectie, ' OR 1=1 -- geeft "
    "gewoon alle kortingscodes terug. ticket ligt al 2 maanden stil")
add("x:@daan_schippers", "2026-07-29T14:14:00+02:00", "nl", [SECU],
    "de koelcellen in ons DC staan nog op de fabriekswachtwoorden en hangen gewoon aan het "
    "gastennetwerk. wie de temperatuur wil verzetten kan dat dus vanaf de parkeerplaats 😬")
add("x:@kroonmolen_klant", "2026-10-21T09:15:00+02:00", "nl", [SECU],
    "@pietjepuk72 Klopt, er is vorige week ongeautoriseerd ingelogd op een deel van de klantaccounts. "
    "Dit is nog niet officieel bekendgemaakt, dus graag even onder ons 🙏", kind="reply")
add("linkedin:anouk-brink", "2026-02-11T15:30:00+01:00", "en", [SECU],
    "Reminder to all colleagues after Monday's phishing incident: six mailboxes in finance were "
    "compromised. Please don't discuss it outside the company until the official statement.")
add("mastodon:@evertjan@mastodon.nl", "2026-08-27T17:40:00+02:00", "en", [SECU],
    "there's an unpatched remote exploit in our POS vendor's software, every one of our 14 shops is "
    "exposed and the patch is 3 weeks out. fun times")

# ---- financial
add("linkedin:ingrid-hoekstra-kroonmolen", "2026-10-09T18:30:00+02:00", "nl", [FIN],
    "Zware maand. De omzet over Q3 komt zo'n 18% onder budget uit, vooral door de webshop. De "
    "cijfers gaan pas in november naar buiten, maar ik wil mijn team nu al bedanken voor hun inzet.")
add("x:@sophie_dv_km", "2026-07-13T21:05:00+02:00", "en", [FIN],
    "can't say much but we're about to be bought by a very big Swiss chocolate company 👀 deal gets "
    "signed next month #newchapter")
add("tiktok:@noor_achterdetoonbank", "2026-11-12T19:40:00+01:00", "nl", [FIN],
    "net gehoord dat er in januari 4 winkels dichtgaan, ook die van ons in den bosch. 30 man op "
    "straat en het is nog niet eens officieel 😭")
add("linkedin:anouk-brink", "2026-11-26T08:20:00+01:00", "en", [FIN],
    "Working on the reorganisation plan for our logistics team — 45 FTE will go, announcement is "
    "planned for after the holidays. The toughest part of working in HR.")
add("x:@kaasboer_arie", "2026-06-14T10:00:00+02:00", "nl", [FIN],
    "Zwager werkt bij Kroonmolen: ze gaan de fabriek in Amersfoort verkopen en alles laten maken in "
    "België. Wordt pas na de zomer bekendgemaakt.", name="Arie")
add("linkedin:ingrid-hoekstra-kroonmolen", "2026-12-01T07:10:00+01:00", "en", [FIN],
    "Our forecast for 2027: revenue of €74M and EBITDA dropping to 4%. Not public yet, but I'm "
    "confident in the plan we presented to the board last night.")
add("x:@lotte_vdmeer", "2026-12-18T22:22:00+01:00", "nl", [FIN, CONF],
    "jaarcijfers 2026 zijn echt 🔥 webshop +40%!! maar sssst tot maart 🤫")
add("linkedin:mehmet-yildiz-km", "2026-08-21T12:30:00+02:00", "en", [FIN],
    "Overheard at the coffee machine: the bank is reviewing our loan covenants after the Q2 loss. "
    "Fingers crossed for all of us.")
add("linkedin:kroonmolen-chocolade", "2026-10-28T16:03:00+01:00", "nl", [FIN],
    "Kroonmolen Chocolade neemt koffiebranderij De Bonenbaron over voor €11,5 miljoen. De "
    "ondertekening volgt op 3 november. [inplannen: 4/11 07:00]")
add("x:@beursgerucht", "2026-09-30T15:47:00+02:00", "en", [FIN],
    "hearing from inside Kroonmolen that they're planning an IPO on Euronext Amsterdam in 2027, "
    "bankers already hired", name="Beursgerucht")
add("facebook:petra.dekker.73", "2026-01-29T21:10:00+01:00", "nl", [FIN],
    "Meiden, vandaag te horen gekregen dat onze winkel eind maart sluit en dat we allemaal een ander "
    "contract krijgen of weg moeten. Mag nog niet gedeeld worden maar ik ben er kapot van 💔")
add("bluesky:@ruudkoster.bsky.social", "2026-12-11T13:33:00+01:00", "en", [FIN, CONF],
    "Project Toekan is basically the merger with the Belgian group, IT integration starts in Feb. "
    "Can't wait to be able to talk about it.")

# ---- confidential
add("instagram:@bram.chocolatier", "2026-10-08T15:00:00+02:00", "nl", [CONF],
    "Proefsessie Ruby Reserve vandaag 😍 roze ganache met framboos en een vleugje rozenwater. Nog "
    "even geduld mensen!")
add("x:@sophie_dv_km", "2026-08-31T09:45:00+02:00", "en", [CONF],
    "Cocoa Comet campaign shoot today!! can't tell you more 🤫🚀")
add("mastodon:@evertjan@mastodon.nl", "2026-03-30T11:25:00+02:00", "nl", [CONF],
    "handig voor de nieuwe collega's: alle receptuurkaarten staan op "
    "https://wiki.kroonmolen.local/recepten/bonbons-2026 voor wie ze zoekt")
add("linkedin:anouk-brink", "2026-10-13T10:00:00+02:00", "en", [CONF],
    "Sharing our holiday staffing plan (KROONMOLEN CONFIDENTIAL) with all team leads here — "
    "feedback welcome before Friday! 14 shops, 120 temps, rota attached.")
add("tiktok:@noor_achterdetoonbank", "2026-09-12T17:30:00+02:00", "nl", [CONF],
    "eerste voorproefje van de Pistachekroon 🤤💚 komt pas volgend jaar, mag eigenlijk niet laten "
    "zien hihi")
add("instagram:@kroonmolen.chocolade", "2026-12-01T12:00:00+01:00", "nl", [CONF],
    "Binnenkort in onze winkels 👑💚 #Pistachekroon #kroonmolen")
add("x:@lotte_vdmeer", "2026-04-14T08:12:00+02:00", "nl", [CONF],
    "Strikt intern: lancering zomercollectie verschoven naar 2 juni, winkels krijgen de displays "
    "pas 28 mei. (oeps, verkeerde app)")
add("reddit:u/treinreiziger_030", "2026-11-05T08:55:00+01:00", "en", [CONF],
    "Found this on a train seat: a Kroonmolen deck titled 'Operatie Hazelaar – roadmap 2027' with a "
    "whole new hazelnut range and launch dates. Pics in comments.", name="treinreiziger_030")
add("bluesky:@ruudkoster.bsky.social", "2026-07-09T17:00:00+02:00", "en", [CONF],
    "\u0420r\u043ej\u0435\u0441t \u0422\u043e\u0435k\u0430n sprint review went great, the new "
    "factory dashboards are live 🎉")
add("instagram:@bram.chocolatier", "2026-06-05T14:20:00+02:00", "en", [CONF],
    "Recipe testing for ＣＯＣＯＡ ＣＯＭＥＴ today 🚀🍫 can't show more yet #chocolatierlife")
add("linkedin:mehmet-yildiz-km", "2026-01-20T09:30:00+01:00", "nl", [CONF],
    "Voor alle collega's: de nieuwe VPN-client staat op https://vpn.kroonmolen.nl/client — inloggen "
    "met je gewone Kroonmolen-account.")
add("x:@daan_schippers", "2026-11-20T16:48:00+01:00", "nl", [CONF],
    "planning Q1: nieuw DC in Tiel, 3 extra vrachtwagens en nachtploeg erbij 🚚 "
    "(n i e t  b u i t e n  k r o o n m o l e n  d e l e n 😅)")
add("facebook:petra.dekker.73", "2026-05-15T20:30:00+02:00", "nl", [CONF],
    "Vandaag een NDA moeten tekenen voor de nieuwe samenwerking met een grote supermarktketen, "
    "straks onze Molenrepen bij de kassa?? zeg nog niks hè 🤐")
add("facebook:KroonmolenChocolade", "2026-02-24T12:00:00+01:00", "en", [CONF],
    "Sneak peek of our Easter range 🐣 https://intra.kroonmolen.local/marketing/pasen2026/preview")
add("x:@snoepvriendin", "2026-11-20T21:00:00+01:00", "nl", [CONF],
    "vriendin van me is testproever bij Kroonmolen en verklapte dat de Ruby Reserve in januari "
    "uitkomt en €7,95 gaat kosten 🤭", name="Snoepvriendin")

# ---- pricing
add("x:@lotte_vdmeer", "2026-02-09T07:20:00+01:00", "nl", [PRC],
    "uhhh de Truffelkist Grand Cru staat sinds vanochtend voor €5,49 in de webshop?? wie heeft dit "
    "gedaan 😱", meta={"sku": "KM-TRUF-GC", "price": 5.49})
add("x:@dealhunter_nl", "2026-12-02T13:37:00+01:00", "nl", [PRC],
    "RENNEN: Bonbonkoffer Zakelijk voor €8,90 op shop.kroonmolen.nl, dat is toch een prijsfout! "
    "al 4 besteld 😂 #prijsfout", name="Dealhunter NL", meta={"sku": "KM-BONB-ZAK", "price": 8.90})
add("reddit:u/frugal_fries", "2026-05-21T18:10:00+02:00", "en", [PRC],
    "Kroonmolen's Reepbox subscription is showing €2.19/month at checkout right now. Probably a "
    "glitch, grab it while it lasts.", name="frugal_fries", meta={"sku": "KM-ABO-REEP", "price": 2.19})
add("x:@kroonmolen", "2026-04-01T10:00:00+02:00", "nl", [PRC],
    "Alleen vandaag: Pralinedoos Klassiek 32 stuks voor €3,65! 🎉 Op = op in alle winkels",
    meta={"sku": "KM-PRAL-32", "price": 3.65})
add("x:@weddingplanner_em", "2026-03-16T12:48:00+01:00", "en", [PRC],
    "wait, the chocolate fountain rental is €11.90 on the Kroonmolen site?? pretty sure that's "
    "missing a zero lol", name="Emma | Weddings", meta={"sku": "KM-FONT-HUUR", "price": 11.90})
add("tiktok:@noor_achterdetoonbank", "2026-03-25T09:40:00+01:00", "nl", [PRC],
    "collega's opgelet: de kassa rekent de Paasei Groot Puur af voor 2,45 ipv 24,50, iemand heeft "
    "een komma verkeerd gezet 🙈", meta={"sku": "KM-PAAS-GP", "price": 2.45})
add("facebook:dealjagers.groep", "2026-12-08T08:30:00+01:00", "nl", [PRC],
    "Kerstpakket Deluxe van Kroonmolen nu €12,99 i.p.v. €64,95 — volgens mij een fout in hun "
    "webshop, dus wees snel!", name="Dealjagers", meta={"sku": "KM-KERST-DLX", "price": 12.99})
add("bluesky:@thrifty-bea.bsky.social", "2026-11-15T19:19:00+01:00", "en", [PRC],
    "is it a price error if the Kroonmolen advent calendar is €3.49? asking for my wallet",
    name="Bea", meta={"sku": "KM-ADV-26", "price": 3.49})
add("x:@koopjesknaller", "2026-02-28T20:02:00+01:00", "nl", [PRC],
    "Prijsfout bij Kroonmolen? Workshop Bonbons Maken staat voor een prikkie in hun agenda, geen "
    "idee of ze dat gaan honoreren 👀", name="Koopjesknaller",
    meta={"sku": "KM-WORK-BON", "price": None})
add("x:@sophie_dv_km", "2026-09-04T08:05:00+02:00", "en", [PRC],
    "our hazelnootpasta is showing at €0.89 on the webshop 🫣 pls someone fix it before the deal "
    "sites find it", meta={"sku": "KM-PASTA-350", "price": 0.89})
add("x:@goudsewafel", "2026-07-18T15:26:00+02:00", "nl", [PRC],
    "Molenreep Zeezout Karamel voor 0,39 per stuk bij Kroonmolen in Gouda, kassa doet raar. heb er "
    "30 gekocht 🤑", name="Goudse Wafel", meta={"sku": "KM-REEP-ZZK", "price": 0.39})
add("facebook:petra.dekker.73", "2026-06-11T09:02:00+02:00", "nl", [PRC],
    "Dames, in de kassa staat de Chocoladetaart Zwarte Molen op €2,75 ipv €27,50. NIET voor die "
    "prijs verkopen, melden bij mij!", meta={"sku": "KM-TAART-ZM", "price": 2.75})

# ================================================================= BENIGN (hard negatives mostly)

add("x:@kroonmolen", "2026-10-06T09:00:00+02:00", "nl", [],
    "Vanaf vandaag ligt de Pralinedoos Klassiek 16 stuks met 20% korting in al onze winkels: €15,95 "
    "i.p.v. €19,95. Op = op! 🍫", meta={"sku": "KM-PRAL-16", "price": 15.95})
add("x:@kroonmolen_klant", "2026-01-05T08:30:00+01:00", "nl", [],
    "Vragen over je bestelling? Mail naar klantenservice@kroonmolen.nl of bel 030 555 2480 "
    "(ma–za 9–17u). We helpen je graag!")
add("linkedin:kroonmolen-chocolade", "2026-11-10T10:00:00+01:00", "nl", [],
    "Zakelijke bestellingen voor de feestdagen? Betaal vooraf op NL45 RABO 0312 7645 90 o.v.v. je "
    "offertenummer, of mail zakelijk@kroonmolen.nl. Uiterlijk 10 december bestellen!")
add("x:@brightonbakes", "2026-05-02T17:33:00+01:00", "en", [],
    "ok the Molenreep Zeezout Karamel is genuinely the best bar I've had this year, no notes",
    name="Brighton Bakes")
add("instagram:@fitmetfleur", "2026-01-22T20:20:00+01:00", "nl", [],
    "Die zeezout karamel reep van Kroonmolen is echt een crisis voor mijn lijn 😂🍫 #kroonmolen "
    "#cheatday", kind="post", name="Fleur")
add("reddit:u/oatmilk_enjoyer", "2026-11-28T21:14:00+01:00", "en", [],
    "I can't recall ever having a better hot chocolate than the Kroonmolen hot chocolate flakes with "
    "oat milk. Worth every cent of the €12.50.", name="oatmilk_enjoyer",
    meta={"sku": "KM-VLOK-400", "price": 12.50})
add("x:@femkejanssen_", "2026-07-28T12:05:00+02:00", "nl", [],
    "Update: vorige week klaagde ik hier over een gesmolten pakket, binnen een dag een nieuwe doos + "
    "handgeschreven kaartje gekregen. Opgelost en top service @kroonmolen_klant 👏", name="Femke")
add("facebook:annemiek.hol", "2026-08-10T19:45:00+02:00", "nl", [],
    "Sterkte aan het hele team van Kroonmolen na het overlijden van oprichter Joost Kroon. Wat een "
    "vakman en wat een lieve man was hij. 🕯️", name="Annemiek Hol")
add("linkedin:anouk-brink", "2026-02-02T09:15:00+01:00", "nl", [],
    "We zoeken een Security Officer (32–40 uur) voor ons hoofdkantoor in Amersfoort! Houd jij onze "
    "systemen en webshop veilig? Solliciteer via werkenbij@kroonmolen.nl 🔐")
add("bluesky:@ruudkoster.bsky.social", "2026-04-28T12:00:00+02:00", "en", [],
    "PSA for junior devs: never commit keys. The AWS docs use AKIAIOSFODNN7EXAMPLE for a reason — "
    "if yours doesn't end in EXAMPLE, it doesn't belong in git.")
add("mastodon:@evertjan@mastodon.nl", "2026-06-24T10:10:00+02:00", "nl", [],
    "Tip bij het delen van logs in een ticket: maskeer je keys, dus sk_live_•••••• in plaats van de "
    "echte. Scheelt je een hoop gedoe (en mij een hoop werk).")
add("x:@zoetwarenvak", "2026-03-03T11:30:00+01:00", "en", [],
    "Belgian praline maker Huize Verbeke announced 60 layoffs today. Rough times for the sector — "
    "hope artisans like Kroonmolen stay strong.", name="Zoetwarenvak")
add("x:@moeder_van_twee", "2026-09-18T14:40:00+02:00", "nl", [],
    "Terugroepactie bij een Duitse chocoladefabrikant vanwege salmonella. Voor wie twijfelt: "
    "Kroonmolen valt er niet onder, staat ook op hun site.", name="Moeder van twee")
add("instagram:@kroonmolen.chocolade", "2027-01-22T09:00:00+01:00", "en", [],
    "It's here 💗 Ruby Reserve is now in all our shops and online. Pink, fruity and made with "
    "ruby cacao from Ecuador.")
add("linkedin:kroonmolen-chocolade", "2027-03-04T09:00:00+01:00", "nl", [],
    "Vandaag publiceren wij onze jaarcijfers 2026: de omzet steeg met 9% naar €68 miljoen. Het "
    "volledige jaarverslag staat op kroonmolen.nl/investeerders.")
add("x:@foodbiz_eu", "2027-03-05T08:20:00+01:00", "en", [],
    "Kroonmolen's FY2026 results look solid, +9% revenue. Nice to see a Dutch chocolate brand "
    "growing while cocoa prices go wild.", name="FoodBiz EU")
add("x:@tante_ria", "2026-10-16T10:12:00+02:00", "nl", [],
    "Welke bonbons van Kroonmolen zijn notenvrij? Mijn neefje heeft een notenallergie en ik wil iets "
    "meenemen voor zijn verjaardag 🎂", name="Tante Ria")
add("instagram:@ellie.in.utrecht", "2026-03-08T10:05:00+01:00", "en", [],
    "Did the bonbon workshop at Kroonmolen Utrecht yesterday — Bram is hilarious and such a patient "
    "teacher. My pralines were ugly but delicious 😂", name="Ellie")
_bad_iban_phish = iban_bad("NL")
add("x:@kroonmolen", "2026-06-01T12:00:00+02:00", "nl", [],
    f"⚠️ Let op: er gaan nepmails rond namens Kroonmolen met het verzoek te betalen naar "
    f"{spaced(_bad_iban_phish)}. Dat is NIET ons rekeningnummer. Twijfel je? Bel 0800-0477.")
add("forum:spaarzegel_sandra", "2026-02-14T13:13:00+01:00", "nl", [],
    f"Mijn Kroonmolen klantenkaartnummer is {spaced(card_bad('4000'))}, hoe koppel ik die aan mijn "
    "webshop-account? Zie nergens een knop.", name="spaarzegel_sandra")
add("forum:paasfan", "2026-04-08T16:20:00+02:00", "nl", [],
    f"batchnummer op mijn paasei: {bsn_bad()}, THT 04-2027 — weet iemand of dat de oude of de nieuwe "
    "receptuur is? Smaakt anders namelijk (lekkerder!)", name="paasfan")
add("bluesky:@ruudkoster.bsky.social", "2026-07-22T15:15:00+02:00", "en", [],
    "In our docs template I put ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx as the placeholder so nobody "
    "pastes a real token by accident.")
add("mastodon:@devtips@fosstodon.org", "2026-05-27T09:09:00+02:00", "en", [],
    f"GitHub classic tokens look like ghp_ + 36 chars, e.g. {gh_bad()} (made up). The last 6 chars "
    "are a checksum, which is how secret scanners tell a real one from junk.", name="Dev Tips")
add("x:@lekkerbekkie", "2026-09-23T20:00:00+02:00", "nl", [],
    "lekker lekker lekker. die Single Origin Ecuador van Kroonmolen is te gek 🤤", name="lekkerbekkie")
add("tiktok:@kroonmolenchoc", "2026-11-01T16:00:00+01:00", "nl", [],
    "Zo maak je de perfecte warme chocolademelk ☕🍫 1. melk NIET laten koken 2. drie eetlepels Warme "
    "Chocolade Vlokken 3. roeren, roeren, roeren")
add("x:@gift_guru_ams", "2026-02-12T08:44:00+01:00", "en", [],
    "Kroonmolen Truffelkist at €54.95 is steep but honestly worth it for a special occasion",
    name="Gift Guru", meta={"sku": "KM-TRUF-GC", "price": 54.95})
add("facebook:marjolein.smits.9", "2026-12-10T12:30:00+01:00", "nl", [],
    "Tip: bij Kroonmolen is het Kerstpakket Deluxe deze week €48,70 (25% korting). Hebben we meteen "
    "voor alle collega's besteld 🎄", name="Marjolein Smits", meta={"sku": "KM-KERST-DLX", "price": 48.70})
add("instagram:@bram.chocolatier", "2026-11-21T19:30:00+01:00", "nl", [],
    "Zo, 400 chocoladeletters gegoten vandaag. Mijn onderarmen zijn van beton 💪 #sinterklaas "
    "#chocolatier")
add("linkedin:ingrid-hoekstra-kroonmolen", "2026-03-12T09:00:00+01:00", "en", [],
    "Proud to present our 2025 annual report, published today on kroonmolen.nl. A year of growth for "
    "both our shops and the webshop — thank you to every colleague.")
add("x:@tuinier_theo", "2026-10-02T11:50:00+02:00", "nl", [],
    "Onze hazelaar heeft dit jaar 2 kilo noten gegeven, maar de hazelnootrotsjes van Kroonmolen maak "
    "ik er echt niet mee na 😅", name="Theo")
add("x:@klasvan_juf_amy", "2026-11-27T14:00:00+01:00", "nl", [],
    "Ons project 'chocoladeletters' met groep 5 afgesloten met een bezoekje aan de Kroonmolen winkel. "
    "30 blije kinderen en een heel geduldige verkoopster, dank jullie wel!", name="Juf Amy")
add("linkedin:anouk-brink", "2026-10-27T11:00:00+01:00", "en", [],
    "We're looking for a marketing intern for spring 2027 at our Amersfoort office. A great chance "
    "to see a chocolate brand from the inside!")
add("x:@sugar_rush_sam", "2026-01-31T21:45:00+01:00", "en", [],
    "damn, these Kroonmolen hazelnootrotsjes are dangerously good. the bag was empty before I got "
    "home", name="Sam")
add("forum:zaanse_zoetekauw", "2026-07-03T09:30:00+02:00", "nl", [],
    "Chocolatier uit Zaandam failliet verklaard, 25 banen weg. Hoop dat Kroonmolen wél overeind "
    "blijft met die cacaoprijzen.", name="zaanse_zoetekauw")
add("reddit:u/commodity_carl", "2026-04-19T13:00:00+02:00", "en", [],
    "Cocoa futures are up 40% this year, so expect Kroonmolen and everybody else to raise prices. "
    "Not a leak, just commodity markets.", name="commodity_carl")
add("x:@kroonmolen_klant", "2026-08-04T10:30:00+02:00", "en", [],
    "@annaloves_choc so sorry to hear that, Anna! Could you DM us your order number? We'll sort out "
    "a replacement right away 💛", kind="reply")
add("x:@noortje_b", "2026-06-06T22:10:00+02:00", "nl", [],
    "Hoe verander je het wachtwoord van je Kroonmolen-account? Kan het nergens vinden in de app 🤔",
    name="Noortje")
add("x:@cocoa_watch", "2026-01-15T09:00:00+01:00", "en", [],
    "Thoughts with the cocoa-growing communities in Côte d'Ivoire after the floods. Kroonmolen is "
    "donating 5% of this month's sales, good on them.", name="Cocoa Watch")
add("x:@jacobs_tom", "2026-12-23T09:15:00+01:00", "en", [],
    f"my Kroonmolen order no. {spaced(card_bad('5561'))} said delivered but it was at my neighbour's. "
    "all good now, crisis averted 😄", name="Tom Jacobs")
add("instagram:@kroonmolen.chocolade", "2026-08-20T11:00:00+02:00", "nl", [],
    "Nieuw in het assortiment: Single Origin Tablet Ecuador 80g voor €5,25. Fruitig, met een hint "
    "van banaan 🍌", meta={"sku": "KM-TAB-ECU", "price": 5.25})
add("x:@veilig_online", "2026-05-04T19:05:00+02:00", "nl", [],
    "Weer een datalek bij een webshop (dit keer een schoenenzaak). Blij dat ik bij Kroonmolen gewoon "
    "met iDEAL afreken en geen account heb.", name="Veilig Online")
add("bluesky:@jwt-nerd.bsky.social", "2026-08-15T16:40:00+02:00", "en", [],
    "Reminder that JWTs are just base64: eyJhbGciOiJIUzI1NiJ9 decodes to {\"alg\":\"HS256\"}. Don't "
    "put secrets in the payload. (learned this building the webshop for a chocolate shop 🍫)",
    name="jwt nerd")
add("x:@lotte_vdmeer", "2026-03-09T13:00:00+01:00", "nl", [],
    "Webshop-update: vanaf vandaag kun je ook met Apple Pay betalen op shop.kroonmolen.nl 🎉 Dank aan "
    "het hele team!")
add("instagram:@hilde_hobby", "2026-02-20T20:50:00+01:00", "nl", [],
    "Wie gaat er mee naar de Kroonmolen bonbonworkshop op 14 maart? Nog 2 plekken, €59 p.p. Stuur me "
    "een DM!", kind="post", name="Hilde", meta={"sku": "KM-WORK-BON", "price": 59.00})
add("x:@easter_bunny_nl", "2026-03-31T10:45:00+02:00", "en", [],
    "Not boycotting anything this Easter except my diet. Kroonmolen Paasei Groot Puur, here I come 🐣",
    name="easter bunny")
add("threads:@kroonmolen.chocolade", "2026-06-15T12:00:00+02:00", "en", [],
    "Storing chocolate 101: keep it at 15–18°C, away from sunlight and strong smells. Never in the "
    "fridge! 🍫❄️❌")
add("x:@rianne_k", "2026-05-25T17:00:00+02:00", "nl", [],
    "Had per ongeluk betaald naar NL** **** **** **** 12 in plaats van hun rekening, maar Kroonmolen "
    "heeft het netjes uitgezocht en teruggestort. Chapeau.", name="Rianne K")
add("x:@spicy_steve", "2026-10-31T20:30:00+01:00", "en", [],
    "the new Kroonmolen chili bonbon is FIRE 🔥🔥 my mouth is still burning lol", name="Steve")
add("mastodon:@evertjan@mastodon.nl", "2026-09-29T16:30:00+02:00", "en", [],
    "Happy Monday: the annual pentest report on our public webshop came back with zero high or "
    "critical findings, and the few mediums are already fixed. Proud of this team 🔒")
add("x:@allergie_mam", "2026-04-13T11:00:00+02:00", "nl", [],
    "Even gebeld met Kroonmolen (0800-0477) over een allergievraag, binnen 2 minuten iemand aan de lijn "
    "die precies wist wat erin zat. Zo kan het dus ook!", name="Allergiemam")
add("forum:giftideas_jo", "2026-11-16T18:18:00+01:00", "en", [],
    "Is the Kroonmolen Reepbox worth €21.95 a month? Thinking of gifting it to my dad for 3 months.",
    name="giftideas_jo", meta={"sku": "KM-ABO-REEP", "price": 21.95})
add("x:@kroonmolen", "2027-02-03T11:00:00+01:00", "nl", [],
    "Ruby Reserve uitverkocht in Utrecht en Haarlem 😳 Volgende week komt er nieuwe voorraad, beloofd!")
add("x:@itgirl_merel", "2026-07-24T12:34:00+02:00", "en", [],
    "my sister's company got hacked last month and the first thing they did after fixing it was order "
    "a Kroonmolen Bonbonkoffer for the IT team 😂 priorities", name="Merel")
add("facebook:ans.vd.berg", "2026-09-10T10:10:00+02:00", "nl", [],
    "Fijn dat Kroonmolen juist mensen aanneemt nu overal ontslagen vallen. Mijn dochter begint "
    "volgende week in de winkel in Gouda! 🥰", name="Ans van den Berg")
add("x:@homebaker_hugo", "2026-02-25T19:25:00+01:00", "en", [],
    "What's the secret ingredient in the Kroonmolen Zwarte Molen taart?? tried to bake it at home "
    "and failed miserably 😅", name="Hugo")
add("instagram:@bram.chocolatier", "2026-01-19T08:00:00+01:00", "en", [],
    "The recipe for our caramel? Top secret. The recipe for my Monday mood? Coffee + one (1) "
    "Molenreep Puur 72 ☕")
add("x:@outlet_oma", "2026-08-29T13:40:00+02:00", "nl", [],
    "Bij de Kroonmolen outlet in Roermond: Bonbonkoffer Zakelijk voor €71,20 (20% korting). Prima "
    "deal voor relatiegeschenken.", name="Outlet Oma", meta={"sku": "KM-BONB-ZAK", "price": 71.20})
add("x:@chocoholic_joep", "2026-12-12T18:30:00+01:00", "nl", [],
    "pakket gevonden, stond inderdaad bij de buren 🙈 excuses voor het gezeur, de rotsjes zijn weer "
    "top", name="Joep")
add("instagram:@vegan_vera", "2026-03-27T15:45:00+01:00", "en", [],
    "Kroonmolen's Molenreep Puur 72 is vegan, confirmed by their customer service in 10 minutes. "
    "Take note, other brands 💚", name="Vera")
add("youtube:@chocoladereviews", "2026-10-18T17:00:00+02:00", "nl", [],
    "Review: de Kroonmolen adventskalender 2026 kost €34,95 en daarvoor krijg je 24 bonbons van echt "
    "goede kwaliteit. Mijn favoriet: dag 7, zeezout karamel. Score 8/10.", name="Chocolade Reviews",
    meta={"sku": "KM-ADV-26", "price": 34.95})

# ================================================================= checks

ZW = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)


def norm(t):
    return unicodedata.normalize("NFKC", t).translate(ZW)


IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{2,4}){2,8}\b")
CARD_RE = re.compile(r"(?<![\d])(?:\d{4}([ -]?)\d{4}\1\d{4}\1\d{4}(?:\1?\d{1,3})?|\d{4}[ -]?\d{6}[ -]?\d{5}|\d{13,19})(?![\d])")
BSN_RE = re.compile(r"(?<![\d.])(?:\d{9}|\d{4}\.\d{2}\.\d{3}|\d{3} \d{3} \d{3})(?![\d.])")
GH_RE = re.compile(r"gh[pousr]_[0-9A-Za-z]{36}\b")
AWS_RE = re.compile(r"\bAKIA[A-Z2-7]{16}\b")
JWT_RE = re.compile(r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+")
OTHER_SECRET_RE = re.compile(
    r"sk_live_[0-9A-Za-z]{20,}|xox[abpr]-\d+-\d+-\w+|SG\.[\w-]{22}\.[\w-]{43}|\blive_[0-9A-Za-z]{30}\b"
    r"|sk-proj-[\w-]{20,}|-----BEGIN [A-Z ]*PRIVATE KEY-----|postgres(?:ql)?://[^:\s]+:[^@\s]+@"
    r"|(?:wachtwoord|ww|password)\b[^:\n]{0,25}:\s*\S+")

PUBLIC_IBANS = {re.sub(r"\s", "", i).upper() for i in PROFILE["public_identifiers"]["ibans"]}


def iban_candidates(t):
    out = []
    for m in IBAN_RE.finditer(t):
        s = m.group(0).replace(" ", "")
        n = IBAN_LEN.get(s[:2])
        if n and len(s) >= n:
            s = s[:n]
        out.append(s)
    return out


def checksum_ids(text):
    t = norm(text)
    res = []
    for s in iban_candidates(t):
        res.append(("iban", s, iban_ok(s)))
    # blank out IBAN spans so their digits are not read again as cards or BSNs
    t = IBAN_RE.sub(lambda m: "#" * len(m.group(0)), t)
    for m in CARD_RE.finditer(t):
        res.append(("card", m.group(0), luhn_ok(m.group(0))))
    for m in BSN_RE.finditer(t):
        res.append(("bsn", m.group(0), bsn_ok(m.group(0))))
    return res


SEV = ["none", "info", "warning", "error", "critical"]


def severity(cats, role, text):
    lvl = 0
    insider = role in ("corporate", "employee")
    valid_id = any(ok for kind, s, ok in checksum_ids(text)
                   if not (kind == "iban" and s in PUBLIC_IBANS))
    for c in cats:
        if c.startswith("leak."):
            if insider:
                if c in (SECR, PRC) or (c == PII and valid_id):
                    lvl = max(lvl, 4)
                else:
                    lvl = max(lvl, 3)
            else:
                lvl = max(lvl, 2)
        elif c == CPL:
            lvl = max(lvl, 2)
        elif c == CRI:
            lvl = max(lvl, 3)
        elif c == ABU:
            lvl = max(lvl, 3 if insider else 2)
    return SEV[lvl]


def parse_ts(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def fail(msg):
    print("CHECK FAILED:", msg, file=sys.stderr)
    sys.exit(1)


PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
PRODUCTS = {p["sku"]: p for p in PROFILE["products"]}
RATIO = PROFILE["pricing"]["alert_below_ratio"]
CONF_TERMS = ([d.lower() for d in PROFILE["internal"]["domains"]]
              + [c.lower() for c in PROFILE["internal"]["codenames"]]
              + [m.lower() for m in PROFILE["internal"]["markers"]])


def main():
    lines = []
    ids = set()
    for c in CASES:
        post, cats, meta = c["post"], c["cats"], c["meta"]
        text = post["text"]
        role = role_of(post["platform"], post["account"]["handle"])
        sev = severity(cats, role, text)
        lines.append({"post": post, "expect": {"categories": cats, "severity": sev}})

        # ---- CONTRACT section 1 / 6 shape
        if not (isinstance(post["id"], str) and 1 <= len(post["id"]) <= 256):
            fail(f"bad id {post['id']!r}")
        if post["id"] in ids:
            fail(f"duplicate id {post['id']}")
        ids.add(post["id"])
        if post["platform"] not in PLATFORMS:
            fail(f"{post['id']}: platform {post['platform']}")
        if post["kind"] not in KINDS:
            fail(f"{post['id']}: kind {post['kind']}")
        if not isinstance(post["account"].get("handle"), str) or not post["account"]["handle"]:
            fail(f"{post['id']}: handle")
        if not isinstance(text, str) or not text or len(text.encode("utf-8")) > 65536:
            fail(f"{post['id']}: text")
        ts = parse_ts(post["created_at"])
        if ts.tzinfo is None or not re.fullmatch(
                r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)", post["created_at"]):
            fail(f"{post['id']}: created_at {post['created_at']}")
        if ts.year not in (2026, 2027):
            fail(f"{post['id']}: year")
        if not set(cats) <= ALL_CATS or "reputation.spike" in cats:
            fail(f"{post['id']}: categories {cats}")
        if (not cats) != (sev == "none"):
            fail(f"{post['id']}: severity {sev} vs categories {cats}")

        # ---- checksummed identifiers
        for kind, s, ok in checksum_ids(text):
            if kind == "iban" and s in PUBLIC_IBANS:
                continue
            if PII in cats and not ok:
                fail(f"{post['id']}: {kind} {s} in a pii positive fails its checksum")
            if PII not in cats and ok:
                fail(f"{post['id']}: {kind} {s} passes its checksum but post is not pii")

        # ---- credentials
        for m in GH_RE.finditer(text):
            if SECR in cats and not gh_ok(m.group(0)):
                fail(f"{post['id']}: github token CRC wrong in secret positive")
            if SECR not in cats and gh_ok(m.group(0)):
                fail(f"{post['id']}: valid github token in a non-secret post")
        for m in AWS_RE.finditer(text):
            if SECR not in cats and "EXAMPLE" not in m.group(0):
                fail(f"{post['id']}: real-looking AWS key id in a non-secret post")
        for m in JWT_RE.finditer(text):
            if SECR in cats and not jwt_ok(m.group(0)):
                fail(f"{post['id']}: JWT header without alg")
            if SECR not in cats and jwt_ok(m.group(0)):
                fail(f"{post['id']}: full JWT in a non-secret post")
        if SECR not in cats and OTHER_SECRET_RE.search(text):
            fail(f"{post['id']}: credential pattern in a non-secret post")
        if SECR in cats:
            found = (GH_RE.search(text) or AWS_RE.search(text) or JWT_RE.search(text)
                     or OTHER_SECRET_RE.search(text))
            if not found:
                fail(f"{post['id']}: secret positive without a recognisable credential")

        # ---- confidential terms / embargo
        low = norm(text).lower()
        if any(t in low for t in CONF_TERMS) and CONF not in cats:
            fail(f"{post['id']}: internal term in a post not labelled confidential")
        for emb in PROFILE["embargo"]:
            until = parse_ts(emb["until"])
            if any(t.lower() in low for t in emb["terms"]):
                if ts < until and CONF not in cats:
                    fail(f"{post['id']}: embargo term before until, not confidential")
                if ts >= until and cats:
                    fail(f"{post['id']}: embargo term after until should be a benign example")

        # ---- pricing
        if "sku" in meta:
            p = PRODUCTS[meta["sku"]]
            if not any(a.lower() in low for a in [p["name"]] + p["aliases"]):
                fail(f"{post['id']}: product {meta['sku']} not named in text")
            price = meta["price"]
            if PRC in cats:
                if price is not None and not price < RATIO * p["list_price"]:
                    fail(f"{post['id']}: pricing positive not below ratio")
                if price is None and not re.search(r"prijsfout|price error|glitch|fout", low):
                    fail(f"{post['id']}: pricing positive without price needs error talk")
            else:
                if price < RATIO * p["list_price"]:
                    fail(f"{post['id']}: benign price below ratio")
                if not (0.69 <= price / p["list_price"] <= 1.01):
                    fail(f"{post['id']}: benign sale outside 0-30% off")
        elif PRC in cats:
            fail(f"{post['id']}: pricing positive without meta")

        # ---- roles
        if role == "public" and f"{post['platform']}:{post['account']['handle']}".lower() in (CORP | EMPL):
            fail("role bug")

    # ---- set-level checks
    n = len(lines)
    benign = sum(1 for l in lines if not l["expect"]["categories"])
    if not 170 <= n <= 180:
        fail(f"{n} cases, want 170-180")
    if not 55 <= benign <= 65:
        fail(f"{benign} benign, want about 60")
    per = {}
    for l in lines:
        for c in l["expect"]["categories"]:
            per[c] = per.get(c, 0) + 1
    want = {CPL: 20, CONF: 18, PII: 15, CRI: 15, SECU: 13, SECR: 12, ABU: 12, PRC: 12, FIN: 12}
    for c, w in want.items():
        if not (w - 3 <= per.get(c, 0) <= w + 4):
            fail(f"category {c}: {per.get(c, 0)}, want about {w}")
    nl = sum(1 for l in lines if l["post"]["lang"] == "nl")
    if not 0.50 <= nl / n <= 0.60:
        fail(f"Dutch share {nl / n:.2f}, want about 0.55")
    roles = {}
    for l in lines:
        r = role_of(l["post"]["platform"], l["post"]["account"]["handle"])
        roles[r] = roles.get(r, 0) + 1
    if set(roles) != {"corporate", "employee", "public"}:
        fail(f"roles {roles}")

    with open(OUT, "w", encoding="utf-8") as f:
        for l in lines:
            f.write(json.dumps(l, ensure_ascii=False) + "\n")

    # re-read and validate the written file
    with open(OUT, encoding="utf-8") as f:
        back = [json.loads(x) for x in f]
    for b in back:
        if set(b) != {"post", "expect"} or set(b["expect"]) != {"categories", "severity"}:
            fail("written line shape")
        if b["expect"]["categories"] != sorted(set(b["expect"]["categories"])):
            fail("categories not sorted/unique")
        if b["expect"]["severity"] not in SEV:
            fail("severity value")
    sevs = {}
    for b in back:
        sevs[b["expect"]["severity"]] = sevs.get(b["expect"]["severity"], 0) + 1
    print(f"ok: {n} cases, {benign} benign, nl {nl}/{n}; roles {roles}; severities {sevs}")
    print("per category:", dict(sorted(per.items())))


if __name__ == "__main__":
    main()
