#!/usr/bin/env python3
"""Sealed evaluation set 280: Luchthaven Oostmaas N.V. (fictional regional airport operator).

Deterministic: fixed seed, standard library + PyYAML. Writes cases.jsonl beside this file
and self-checks it (checksums, CONTRACT section 6 shape, section 4 severities from the
account role in profile.yaml, embargo / internal-term consistency, pricing consistency).
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
SEED = 280_2026
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base-62 order 0-9A-Za-z
B32 = string.ascii_uppercase + "234567"


# --------------------------------------------------------------------------- checksums
def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(ch, 36)) for ch in r)) % 97 == 1


def luhn_ok(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    if not 13 <= len(d) <= 19:
        return False
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def bsn_ok(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    if len(d) != 9:
        return False
    tot = sum(d[i] * (9 - i) for i in range(8)) - d[8]
    return tot % 11 == 0 and tot != 0


# --------------------------------------------------------------------------- generators
def _iban_check(country, bban):
    n = int("".join(str(int(ch, 36)) for ch in bban + country + "00"))
    return "%02d" % (98 - n % 97)


def gen_iban_nl():
    bank = rng.choice(["ABNA", "INGB", "RABO", "SNSB", "ASNB", "TRIO", "KNAB", "BUNQ"])
    while True:  # account also passes the old Dutch 11-test, as real ones do
        acct = "0" + "".join(rng.choice(string.digits) for _ in range(9))
        if sum(int(c) * (10 - i) for i, c in enumerate(acct)) % 11 == 0:
            break
    bban = bank + acct
    return "NL" + _iban_check("NL", bban) + bban


def gen_iban_de():
    bban = "".join(rng.choice(string.digits) for _ in range(18))
    bban = str(rng.choice([1, 3, 5, 7])) + bban[1:]
    return "DE" + _iban_check("DE", bban) + bban


def gen_iban_be():
    first = "".join(rng.choice(string.digits) for _ in range(10))
    chk = int(first) % 97 or 97
    bban = first + "%02d" % chk
    return "BE" + _iban_check("BE", bban) + bban


def spaced(s, n=4):
    return " ".join(s[i:i + n] for i in range(0, len(s), n))


def _luhn_complete(partial):
    for last in string.digits:
        if luhn_ok(partial + last):
            return partial + last
    raise AssertionError


def gen_card(kind):
    if kind == "visa":
        p = "4" + "".join(rng.choice(string.digits) for _ in range(14))
    elif kind == "mc":
        p = str(rng.randint(51, 55)) + "".join(rng.choice(string.digits) for _ in range(13))
    else:  # amex
        p = rng.choice(["34", "37"]) + "".join(rng.choice(string.digits) for _ in range(12))
    return _luhn_complete(p)


def gen_bsn():
    while True:
        d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        s = sum(d[i] * (9 - i) for i in range(8)) % 11
        if s < 10:
            num = "".join(map(str, d)) + str(s)
            if bsn_ok(num):
                return num


def break_digit(valid, check):
    """Change one digit so the number fails its checksum (a realistic typo)."""
    positions = [i for i, ch in enumerate(valid) if ch.isdigit()]
    for _ in range(100):
        i = rng.choice(positions[2:])
        new = valid[:i] + str((int(valid[i]) + rng.randint(1, 9)) % 10) + valid[i + 1:]
        if not check(new):
            return new
    raise AssertionError("could not break " + valid)


def rand(alpha, n):
    return "".join(rng.choice(alpha) for _ in range(n))


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out or "0"


def gen_github(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode())).rjust(6, "0")


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def gen_jwt():
    header = {"alg": "HS256", "typ": "JWT"}
    iat = rng.randint(1767225600, 1798761599)
    payload = {"sub": "svc-social-scheduler", "iss": "auth.oostmaas.local", "scope": "posts:write media:upload",
               "iat": iat, "exp": iat + 86400 * 30}
    sig = bytes(rng.getrandbits(8) for _ in range(32))
    return ".".join([b64u(json.dumps(header, separators=(",", ":")).encode()),
                     b64u(json.dumps(payload, separators=(",", ":")).encode()), b64u(sig)])


def gen_rsa_pem():
    der = bytes([0x30, 0x82, 0x04, 0xA4, 0x02, 0x01, 0x00, 0x02, 0x82, 0x01, 0x01, 0x00])
    der += bytes(rng.getrandbits(8) for _ in range(1180))
    body = base64.b64encode(der).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"


GENERATORS = {
    # valid personal identifiers (positives)
    "IBAN_NL": lambda: ("iban", gen_iban_nl()),
    "IBAN_NL_SP": lambda: ("iban", spaced(gen_iban_nl())),
    "IBAN_DE": lambda: ("iban", spaced(gen_iban_de())),
    "IBAN_BE": lambda: ("iban", gen_iban_be()),
    "CARD_VISA_SP": lambda: ("card", spaced(gen_card("visa"))),
    "CARD_MC": lambda: ("card", gen_card("mc")),
    "CARD_AMEX": lambda: ("card", (lambda c: c[:4] + " " + c[4:10] + " " + c[10:])(gen_card("amex"))),
    "BSN": lambda: ("bsn", gen_bsn()),
    "BSN_DOT": lambda: ("bsn", (lambda b: b[:4] + "." + b[4:6] + "." + b[6:])(gen_bsn())),
    # look-alikes that fail their checksum (negatives)
    "BAD_IBAN_NL": lambda: ("bad_iban", break_digit(gen_iban_nl(), iban_ok)),
    "BAD_IBAN_NL_SP": lambda: ("bad_iban", spaced(break_digit(gen_iban_nl(), iban_ok))),
    "BAD_CARD_SP": lambda: ("bad_card", spaced(break_digit(gen_card("visa"), luhn_ok))),
    "BAD_BSN": lambda: ("bad_bsn", break_digit(gen_bsn(), bsn_ok)),
    # secrets
    "GHP": lambda: ("github", gen_github("ghp_")),
    "GHS": lambda: ("github", gen_github("ghs_")),
    "AKIA": lambda: ("aws_id", "AKIA" + rand(B32, 16)),
    "AWS_SECRET": lambda: ("aws_secret", rand(string.ascii_letters + string.digits + "/+", 40)),
    "SLACK_BOT": lambda: ("slack", "xoxb-%s-%s-%s" % (rand(string.digits, 11), rand(string.digits, 13),
                                                        rand(string.ascii_letters + string.digits, 24))),
    "SLACK_HOOK": lambda: ("slack_hook", "https://hooks.slack.com/services/T%s/B%s/%s" % (
        rand(string.ascii_uppercase + string.digits, 8), rand(string.ascii_uppercase + string.digits, 10),
        rand(string.ascii_letters + string.digits, 24))),
    "STRIPE": lambda: ("stripe", "sk_live_51" + rand(string.ascii_letters + string.digits, 62)),
    "OPENAI": lambda: ("openai", "sk-proj-" + rand(string.ascii_letters + string.digits + "-_", 48) + "T3BlbkFJ"
                       + rand(string.ascii_letters + string.digits + "-_", 48)),
    "ANTHROPIC": lambda: ("anthropic", "sk-ant-api03-" + rand(string.ascii_letters + string.digits + "-_", 93) + "AA"),
    "GOOGLE": lambda: ("google", "AIza" + rand(string.ascii_letters + string.digits + "-_", 35)),
    "JWT": lambda: ("jwt", gen_jwt()),
    "RSA_PEM": lambda: ("pem", gen_rsa_pem()),
}


def fill(text):
    found = []

    def sub(m):
        kind, value = GENERATORS[m.group(1)]()
        found.append((kind, value))
        return value

    return re.sub(r"<<([A-Z0-9_]+)>>", sub, text), found


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in s)


ZW = "\u200b"
ZWJ = "\u200d"

# --------------------------------------------------------------------------- the posts
# (platform, handle, kind, lang, categories, text, options)
CX, PII, PR, CF, FIN, SEC, SECR = ("reputation.complaint", "leak.pii", "leak.pricing", "leak.confidential",
                                   "leak.financial", "leak.security", "leak.secret")
CRI, ABU = "reputation.crisis", "reputation.abuse"

POSTS = []


def P(platform, handle, kind, lang, cats, text, **opt):
    POSTS.append(dict(platform=platform, handle=handle, kind=kind, lang=lang, cats=sorted(cats), text=text, opt=opt))


# ---- complaints -------------------------------------------------------------
P("x", "@fenna_reist", "post", "nl", [CX],
  "Anderhalf uur in de rij bij de security van @oostmaasairport. Van de zes poortjes stonden er TWEE open. "
  "Vlucht naar Faro op het nippertje gehaald, rennend met m'n schoenen in m'n hand. Echt niet normaal dit #oostmaas")
P("x", "@mkoster78", "reply", "en", [CX],
  "@oostmaas_care booked P3 Lang Parkeren for the week, barrier wouldn't read my plate on the way out and the "
  "intercom just rang out. 20 minutes stuck with a queue of cars honking behind me. Not impressed tbh")
P("facebook", "Gerda van Rooij", "post", "nl", [CX],
  "Ik ben echt boos. Voor mijn moeder (84, rolstoel) Meet & Assist geboekt bij Luchthaven Oostmaas, keurig op tijd "
  "gemeld bij de balie. Niemand kwam. Na 50 minuten heeft een vriendelijke meneer van een andere vlucht haar naar de "
  "gate geduwd. Mail gestuurd, automatisch antwoord terug en verder niks. Waar betalen we voor??")
P("reddit", "u/dutchtransit_throwaway", "comment", "en", [CX],
  "Don't bother with the Wi-Fi Premium at Oostmaas. Paid for the 24h thing, it dropped every five minutes, "
  "and support replied with a copy-paste about 'clearing cookies'. Hotspot off my phone worked better lol")
P("instagram", "@sanne.onderweg", "comment", "nl", [CX],
  "70 min wachten tot de koffers op de band kwamen 🙄 en dat op een vliegveld waar er een stuk of vier per uur "
  "landen. Kinderen helemaal gaar. Kom op Oostmaas, dit kan beter")
P("x", "@rik_rijdt", "reply", "nl", [CX],
  "@oostmaas_care jullie parkeerapp heeft me 2x afgeschreven voor dezelfde reservering. Chat zegt 'binnen 14 "
  "werkdagen'. Ondertussen sta ik wel rood. Graag vandaag terugstorten.")
P("tiktok", "@travelwithtariq", "post", "en", [CX],
  "POV: you paid for a lounge and there's literally nowhere to sit 🫠 Horizon Lounge at Oostmaas at 6am, sticky "
  "tables, empty coffee machine, staff on their phones. Rating: 2/10 and the 2 is for the view")
P("x", "@kweetnie_meer", "post", "nl", [CX],
  "Maasland Shuttle van 05:10 kwam gewoon niet. Niemand op te bellen. Dan maar een taxi voor €65 naar Oostmaas. "
  "Wie betaalt dit terug? #oostmaasairport")
P("threads", "@lieke.b", "post", "nl", [CX],
  "heb net 10 min in de rij gestaan voor de wc bij gate B en toen was er niet eens papier. geen zeep. kraan "
  "deed het niet. welkom op Oostmaas zeker 🤢")
P("x", "@frequentflyer_pete", "post", "en", [CX],
  "Gate change at Oostmaas and not a single announcement. Screens still said B4 while boarding was at A1. Sprinted "
  "the whole terminal with a toddler on my shoulders. Sort it out @oostmaasairport")
P("forum", "evrijder_brabant", "post", "nl", [CX],
  "Ervaring P-EV bij Luchthaven Oostmaas: week Parkeren + Laden geboekt (€119), kom terug en de accu staat op 12%. "
  "De halve rij laadpalen had een rood lampje. Melding gedaan bij de uitgang, 'we geven het door'. Ik wil mijn geld "
  "terug voor het laden, parkeren had ik ook ergens anders goedkoper gekund.")
P("facebook", "Mustafa Yilmaz", "comment", "en", [CX],
  "Left my coat near the arrivals exit at Oostmaas three weeks ago. Filled in the lost property form, emailed twice, "
  "called once. Still nothing. How hard can it be to go and look if it's there??")

# complaint + crisis: first-hand safety incidents
P("x", "@mama_van_3", "post", "nl", [CX, CRI],
  "De roltrap in de vertrekhal van Oostmaas schoot ineens terug terwijl wij erop stonden. Mijn zoontje (6) viel "
  "achterover en heeft een hoofdwond, moest gelijmd worden. Geen EHBO'er te bekennen, een schoonmaker hielp ons. "
  "@oostmaasairport dit is levensgevaarlijk en ik wil weten wat jullie gaan doen")
P("facebook", "Daniel Whitfield", "post", "en", [CX, CRI],
  "Travel warning. Ate the chicken wrap in the Horizon Lounge at Oostmaas on Friday and spent the whole flight "
  "to Gran Canaria in the toilet. Two others in our group the same, one ended up at a doctor on arrival. "
  "Emailed the lounge, nothing back. Food poisoning is not 'premium'.")
P("instagram", "@joycevanleeuwen", "post", "nl", [CX, CRI],
  "Slagboom bij P1 Kort Parkeren ging NAAR BENEDEN terwijl wij er nog onder doorreden. Achterruit aan gruzelementen, "
  "glas over mijn dochter op de achterbank 😡 Gelukkig alleen een paar schrammen. Dit had heel anders kunnen aflopen. "
  "Oostmaas Parking, bel me maar")
P("x", "@ev_dad_nl", "post", "en", [CX, CRI],
  "Got a proper electric shock plugging in at the P-EV chargers at Oostmaas Airport. Hand still tingling an hour "
  "later. Told the attendant, he shrugged. Someone is going to get killed there, fix your chargers @oostmaasairport")
P("reddit", "u/gebroken_pols", "post", "nl", [CX, CRI],
  "Gisteren uitgegleden in de bagagehal van Oostmaas, vloer kletsnat, geen bordje, geen pion, niks. Pols gebroken, "
  "vakantie voorbij voor hij begon. Iemand ervaring met aansprakelijk stellen van de luchthaven?")

# complaint + abuse
P("x", "@woedende_wim", "post", "nl", [CX, ABU],
  "Wat een kutvliegveld is Oostmaas. 40 minuten gewacht op m'n sleutel bij Valet Parking en die sukkels achter de "
  "balie snappen er helemaal niks van. Stelletje prutsers")
P("x", "@jetlagjess", "reply", "en", [CX, ABU],
  "@oostmaasairport your security staff are absolute morons. Binned my SEALED duty free bag from Dubai because "
  "'rules'. €140 of perfume gone. Idiots, the lot of you")

# complaint + personal data (customer exposes own number)
P("x", "@hanneke_dw", "reply", "nl", [CX, PII],
  "@oostmaas_care ik heb nu 3x gebeld over de terugbetaling van mijn geannuleerde parkeerplek en word steeds "
  "doorverbonden naar niemand. Bel me gewoon terug: 06-41 27 93 58, Hanneke de Wit. Dank.")

# ---- crisis (third party news, boycotts, lawsuits, breach accusations) ------
P("x", "@nieuwsbrabant_fan", "post", "nl", [CRI],
  "Net op het nieuws: grote brand in parkeergarage P2 van Luchthaven Oostmaas, tientallen auto's uitgebrand, "
  "brandweer schaalt op naar GRIP 1. Hopelijk geen gewonden 🙏")
P("x", "@groen_maasland", "post", "en", [CRI],
  "Oostmaas Airport wants to pour concrete over the Maasbroek wetlands for a longer runway. Don't fly from there, "
  "don't park there, don't shop there. #BoycottOostmaas until the plan is dropped.")
P("facebook", "Bewonersvereniging De Aanvliegroute", "post", "nl", [CRI],
  "Het is zover: we slepen Luchthaven Oostmaas voor de rechter vanwege de nachtvluchten. De dagvaarding is vandaag "
  "betekend, de eerste zitting is in maart. Steun ons met een bijdrage via de link in de reacties.")
P("reddit", "u/parkedandpwned", "post", "en", [CRI],
  "Oostmaas Airport hacked?? My parking booking, licence plate and the last 4 of my card are sitting in a paste "
  "on a dodgy forum. Booked nowhere else with that plate. Anyone else see their data there?")
P("tiktok", "@undercover_reiziger", "post", "nl", [CRI],
  "SCHANDAAL op Oostmaas 😳 beveiligers zouden spullen uit ingecheckte koffers jatten, er gaan beelden rond van "
  "iemand die een laptop in z'n jas stopt. Check je bagage als je terugkomt!!")
P("linkedin", "ruben-okafor", "post", "en", [CRI],
  "Worrying reports from Oostmaas Airport this morning: a fuel truck crossed the active runway while a 737 was on "
  "short final, forcing a go-around. That is a serious runway incursion and the regulator should be all over it.")
P("x", "@luchtvaartwatcher", "post", "nl", [CRI],
  "ILT legt Luchthaven Oostmaas een last onder dwangsom op: de sprinklerinstallatie in terminal 1 is al maanden "
  "niet goed onderhouden. Wie vliegt daar nog met een gerust hart?")
P("mastodon", "@klimaatmars@mastodon.social", "post", "en", [CRI],
  "Join us Saturday at the Oostmaas terminal. Luchthaven Oostmaas lied about its night-flight emissions for years. "
  "Cancel your bookings, tell your employer to stop flying from there. Boycott now. #Oostmaas #Klimaat")
P("instagram", "@spotter_maarten", "post", "en", [CRI],
  "Someone was taken away by ambulance this morning after falling from the jet bridge at gate A3 at Oostmaas. "
  "Whole pier closed off and the trauma helicopter just landed. Awful to watch")
P("facebook", "Reizen vanuit Zuid-Nederland", "comment", "nl", [CRI],
  "Lijkt erop dat Oostmaas Parking een datalek heeft gehad: in deze groep krijgen meerdere mensen phishingmails met "
  "hun eigen kenteken en reserveringsnummer erin. Heeft de pers dit al opgepikt?")

# ---- abuse --------------------------------------------------------------------
P("x", "@boze_buurman", "reply", "nl", [ABU],
  "@oostmaasairport stelletje klootzakken zijn jullie, kunnen allemaal de pot op")
P("x", "@tommy_no_filter", "reply", "en", [ABU],
  "@oostmaas_care shut up you useless clowns, nobody asked for your 'have a lovely flight' crap")
P("instagram", "@ditwasdus", "comment", "nl", [ABU],
  "die dikke trut bij de infobalie van Oostmaas met dat blonde staartje moet gewoon ontslagen worden, wat een "
  "vreselijk wijf")
P("x", "@vliegangst_v", "reply", "nl", [ABU],
  "@oostmaasairport k4nk3rl1jers z1jn jullie, allemaal")
P("tiktok", "@realtalk_rob", "comment", "en", [ABU],
  "the security lady at Oostmaas in the headscarf should go back to wherever she came from, not touching me. "
  "Dutch airport, Dutch staff please")
P("x", "@bram_apron", "post", "nl", [ABU],
  "die passagiers van de Ibiza-vlucht van vanochtend waren echt een stel debielen, kots in de bus, bier over de "
  "trap. teringlijers allemaal")
P("x", "@oostmaas_care", "reply", "nl", [ABU],
  "@kweetnie_meer doe eens normaal joh, zeikerd. Iedereen krijgt gewoon z'n geld terug")
P("x", "@anti_oostmaas", "post", "nl", [ABU],
  "Оostmaas = k\u0443tbedrijf en die hele directie zijn \u0435ikels")
P("reddit", "u/grumpyflyer", "comment", "en", [ABU],
  "the Oostmaas CEO is a l.y.i.n.g p.i.e.c.e o.f s.h.i.t and everyone working there knows it")
P("facebook", "Rick Verhagen", "comment", "nl", [ABU],
  "Die Marloes van de klantenservice van Oostmaas, ik weet waar je werkt en hoe laat je dienst erop zit. Wacht "
  "maar af.")

# ---- confidential -------------------------------------------------------------
P("linkedin", "eline-kortekaas", "post", "nl", [CF],
  "Trots op het team achter Project Grutto 🚀 Na maanden rekenen en tekenen mogen we eindelijk de aanbesteding in. "
  "Meer kan ik nog niet vertellen, maar dit gaat de regio veranderen. #teamwork")
P("x", "@yusuf_bhs", "post", "en", [CF],
  "Another day in the Operatie Nachtzwaluw war room. 14 hours, 3 pizzas, 1 whiteboard full of terminal layouts. "
  "More soon 👀")
P("x", "@femke_parking", "reply", "nl", [CF],
  "@bram_apron weet jij waarom https://intranet.oostmaas.local/roosters/week48 niet laadt vanaf thuis? krijg alleen "
  "een wit scherm")
P("instagram", "@sem.oostmaas", "post", "en", [CF],
  "sneak peek 🤫 the new rooftop lounge we're opening next spring, not announced yet so don't share this pic "
  "pls. the views from up here are unreal")
P("linkedin", "joost-hermans-oostmaas", "post", "en", [CF],
  "First draft is done! 'OMA-INTERN: draft winter schedule 2026/27, v0.3', four new destinations and an extra "
  "morning wave. Thanks to the network team for all the late nights.")
P("x", "@avgeek_lucas", "post", "en", [CF],
  "A friend who works at Oostmaas Airport just told me 'Hangar Omega' is the internal name for moving all the "
  "cargo handling to the east side of the field. Big if true.")
P("x", "@marloes_vdlinden", "post", "nl", [CF],
  "Wie heeft er zin in een weekendje Kroatië vanaf de deur? Vanaf april een lijndienst naar Split 🇭🇷😎 "
  "Ik boek alvast!", ts="2026-12-02T19:41:07Z")
P("instagram", "@oostmaas.airport", "post", "nl", [CF],
  "NIEUWE BESTEMMING ☀️ Oostmaas-Split vanaf 3 april, twee keer per week! Tickets binnenkort te boeken. "
  "#oostmaas #kroatie", ts="2027-01-12T08:00:00Z")
P("mastodon", "@rdekker@mastodon.nl", "post", "en", [CF],
  "anyone else looking at https://jira.oostmaas-airport.nl/browse/BHS-1182 ? the sorter firmware rollout ticket "
  "has been 'in progress' for 9 weeks now")
P("tiktok", "@lotte.opdeapron", "post", "nl", [CF],
  "dag 3 van Project G" + ZW + "rut" + ZW + "to en ik mag er nog steeds NIKS over zeggen 🤐🤐 maar wel leuk "
  "dat ik nu een helm heb")
P("x", "@femke_parking", "post", "nl", [CF],
  "fijn hoor, de presentatie 'niet extern delen - tariefstrategie parkeren 2027' ligt gewoon open op de printer in "
  "de kantine. P3 wordt per januari duurder voor de vroegboekers, zag ik net 🙈")
P("reddit", "u/brabantse_spotter", "comment", "nl", [CF],
  "Van iemand die er werkt gehoord: O p e r a t i e   N a c h t z w a l u w is dat ze terminal 1 's nachts "
  "helemaal dichtgooien vanaf volgend jaar en alles via pier B laten lopen.")

# confidential + financial
P("linkedin", "anouk-verbeek-finance", "post", "nl", [CF, FIN],
  "Mooie jaarcijfers 2026 in aantocht: passagiersgroei van 14% en voor het eerst boven de 3 miljoen reizigers. "
  "Nog even geduld tot maart, maar ik kon het niet voor me houden 🥳", ts="2026-12-18T16:05:40Z")
P("x", "@marloes_vdlinden", "post", "en", [CF, FIN],
  "annual results 2026 are in and EBITDA is up 22% 🤫 the board is very happy, press release early March",
  ts="2027-02-10T21:14:55Z")
P("linkedin", "joost-hermans-oostmaas", "comment", "nl", [CF, FIN],
  "UITSLUITEND INTERN - reorganisatie afdeling Parking & Mobility: 35 fte vervalt per 1 juli, gesprekken met "
  "medewerkers starten na de OR-instemming. (sorry, verkeerde groep, kan een mod dit verwijderen?)")

# confidential + security
P("x", "@yusuf_bhs", "post", "nl", [CF, SEC],
  "grafana.ops.oostmaas.local staat al sinds 03:00 rood, sorteerband B ligt er helemaal uit. alles gaat handmatig "
  "en passagiers weten nog van niks. lang leve de nachtdienst")
P("mastodon", "@rdekker@mastodon.nl", "post", "en", [CF, SEC],
  "the door controllers ordered for Project Grutto all ship with the same default admin password and nobody plans "
  "to change it before go-live. I've raised it four times. Airside doors, people.")

# ---- financial ---------------------------------------------------------------
P("linkedin", "eline-kortekaas", "comment", "en", [FIN],
  "Can't say much, but the takeover talks with Nordvalk Airport Partners are going really well. Expect big news "
  "for Oostmaas in Q2 😉")
P("x", "@bram_apron", "post", "nl", [FIN],
  "Intern gehoord dat er volgend jaar 60 banen verdwijnen bij de grondafhandeling. Nog niks officieel aangekondigd. "
  "Balen voor de jongens die hier al 20 jaar staan.")
P("bluesky", "@kimvandam.bsky.social", "post", "en", [FIN],
  "our Q3 passenger numbers came in 9% below forecast and the CFO is losing it. guidance for the year is going "
  "to be cut, calling it now")
P("linkedin", "luchthaven-oostmaas", "post", "nl", [FIN],
  "[CONCEPT - pas publiceren na goedkeuring RvC] Luchthaven Oostmaas verwacht voor 2027 een omzet van €118 mln "
  "(+11%) en een nettowinst van €9,4 mln, gedreven door twee nieuwe basismaatschappijen.")
P("x", "@zwager_weet_alles", "post", "nl", [FIN],
  "Mijn zwager werkt bij Oostmaas: de provincie verkoopt haar 51% belang aan een Australisch pensioenfonds. Deal "
  "is rond, wordt pas na de zomer bekendgemaakt.")
P("instagram", "@sem.oostmaas", "post", "nl", [FIN],
  "Laatste dienst met deze toppers 😢 De hele beveiliging gaat uitbesteed worden, 120 man krijgt volgende week de "
  "brief. Niemand weet het nog, maar jullie zijn goud.")
P("x", "@yusuf_bhs", "reply", "en", [FIN],
  "off the record: the refinancing of the €240m bond fell through last week. management is scrambling for a "
  "bridge loan before the summer")
P("reddit", "u/not_an_insider_lol", "comment", "en", [FIN],
  "my mum works in finance at Oostmaas, they're going to report a loss for H1, first time in years. nothing "
  "public yet so take it with a grain of salt")
P("linkedin", "anouk-verbeek-finance", "comment", "nl", [FIN],
  "Fusie met Vliegveld Lindeweide? Ik mag niks zeggen… maar de due diligence is vorige week afgerond 😉")

# ---- security -----------------------------------------------------------------
P("x", "@marloes_vdlinden", "post", "nl", [SEC],
  "Ransomware op alle kantoorsystemen sinds vannacht, mail plat, planning plat, we werken met pen en papier. "
  "Officieel heet het een 'technische storing' 🙃")
P("reddit", "u/niels_ops_oostmaas", "post", "en", [SEC],
  "Work in IT ops at a regional airport. Our parking payment terminals still run Windows 7 and anything on the "
  "passenger guest Wi-Fi can reach them. Raised it three times. Am I crazy or is this a ticking bomb?")
P("x", "@yusuf_bhs", "post", "en", [SEC],
  "heads up: the check-in system at Oostmaas goes down Saturday night 01:00-05:00 for an emergency patch. the "
  "airlines haven't been told yet 🙈")
P("tiktok", "@lotte.opdeapron", "comment", "nl", [SEC],
  "ssst maar de camera's op P3 doen het al twee weken niet 🤫 dus als je auto daar staat... succes")
P("linkedin", "joost-hermans-oostmaas", "post", "en", [SEC],
  "Interesting week. We found out someone had been sitting in our baggage-handling control network for about a "
  "month. Can't share details yet, but hats off to the team working around the clock.")
P("bluesky", "@kimvandam.bsky.social", "post", "nl", [SEC],
  "sinds de update accepteren de badgelezers van de airside-deuren elke gekloonde pas. fix 'komt in Q1'. "
  "ik zeg niks meer")
P("x", "@cousin_it_guy", "post", "en", [SEC],
  "my cousin in Oostmaas IT says the baggage system crashed AGAIN and they're sorting by hand in the basement. "
  "nothing announced yet, so if you fly today, good luck")
P("x", "@bram_apron", "reply", "nl", [SEC],
  "de datalink met de radardata valt telkens weg, vandaag al 6x. 'niet melden buiten de deur' zeiden ze")
P("mastodon", "@rdekker@mastodon.nl", "comment", "en", [SEC],
  "fun fact: the Oostmaas parking app API hands you other people's bookings if you just increment the booking ID. "
  "reported internally in June. still open.")
P("linkedin", "eline-kortekaas", "post", "en", [SEC],
  "Pen test report for the departures hall just landed: 14 critical findings, including an open management port "
  "on the baggage PLCs. Busy weeks ahead!")
P("instagram", "@sem.oostmaas", "comment", "en", [SEC],
  "fire alarm panel for terminal 1 is offline tonight so we're doing fire-watch rounds every 30 min. don't tell "
  "the passengers 😅")

# ---- secrets ------------------------------------------------------------------
P("x", "@yusuf_bhs", "post", "nl", [SECR],
  "waarom faalt onze CI nou weer 😩 GITHUB_TOKEN=<<GHP>> staat er gewoon in, toch?")
P("mastodon", "@rdekker@mastodon.nl", "post", "en", [SECR],
  "can someone explain why this gives AccessDenied on the flight-data bucket?\n\n[default]\naws_access_key_id = "
  "<<AKIA>>\naws_secret_access_key = <<AWS_SECRET>>\nregion = eu-west-1")
P("linkedin", "joost-hermans-oostmaas", "post", "nl", [SECR],
  "Welkom aan alle nieuwe collega's van de zomerploeg! Wifi in de crewruimte: netwerk OMA-Crew, wachtwoord: "
  "Pushback#2026. Koffie staat in de kast links.")
P("x", "@femke_parking", "post", "en", [SECR],
  "the parking-alerts bot keeps posting in the wrong channel, token is <<SLACK_BOT>> , anyone know which "
  "workspace it's actually tied to?")
P("bluesky", "@kimvandam.bsky.social", "post", "nl", [SECR],
  "stukje code van de betaalmodule voor de parkeerautomaten, waarom geeft dit een 401 😭\n"
  "stripe.api_key = \"<<STRIPE>>\"")
P("x", "@oostmaasairport", "post", "en", [SECR],
  "test post pls ignore auth=Bearer <<JWT>>")
P("reddit", "u/niels_ops_oostmaas", "comment", "en", [SECR],
  "Building a little FAQ chatbot for our airport info desk, getting rate limited constantly:\n\n"
  "client = OpenAI(api_key=\"<<OPENAI>>\")\n\nis the free tier really that low?")
P("forum", "apk_ontleder", "post", "nl", [SECR],
  "Even de Oostmaas Parking app uit elkaar gehaald. Zit gewoon een Google Maps key in de strings.xml: "
  "<<GOOGLE>> , onbeperkt te gebruiken zo te zien. Niet heel slim.")
P("x", "@femke_parking", "reply", "nl", [SECR],
  "@bram_apron " + fullwidth("wachtwoord: Taxiway88!") + " voor de gedeelde parkeerbeheer-login, niet "
  "doorgeven he")
P("blog", "rdekker-notes", "post", "en", [SECR],
  "Setting up SFTP for our fuel supplier took all afternoon. For future me, this is the key that finally worked:\n\n"
  "<<RSA_PEM>>\n\nUser is fuelsftp, port 2222.")

# secret + confidential
P("x", "@yusuf_bhs", "post", "nl", [SECR, CF],
  "postgres://parking_svc:Sl8gb00m!77@db-parking01.ops.oostmaas.local:5432/reserveringen waarom werkt die "
  "connectie ineens niet meer 😤 niks aan de config veranderd")
P("mastodon", "@rdekker@mastodon.nl", "reply", "nl", [SECR, CF],
  "werkt bij mij gewoon: vpn.oostmaas-airport.nl, gebruiker r.dekker, wachtwoord: Kerosine!Maas42 , daarna "
  "de tweede tunnel pakken")

# ---- personal data ------------------------------------------------------------
P("x", "@oostmaas_care", "reply", "nl", [PII],
  "@fenna_reist Goed nieuws! We hebben je terugbetaling overgemaakt naar <<IBAN_NL_SP>> t.n.v. F. Mulder. "
  "Binnen 1-2 werkdagen op je rekening 😊")
P("x", "@bram_apron", "post", "nl", [PII],
  "iemand heeft z'n creditcard laten liggen bij de FastLane 😂 <<CARD_VISA_SP>> exp 08/28, kom m maar halen "
  "bij verloren voorwerpen")
P("linkedin", "eline-kortekaas", "comment", "nl", [PII],
  "Voor de VOG-aanvraag van onze nieuwe collega heb ik dit nodig gehad, kan iemand van HR het doorzetten? "
  "Dewi Sahetapy, BSN <<BSN>>, geboren 14-03-1996.")
P("facebook", "LuchthavenOostmaas", "post", "nl", [PII],
  "Gevonden: paspoort op naam van Martijn Verhoeven, geboren 2 juni 1984. Op te halen bij de balie Verloren "
  "Voorwerpen in de aankomsthal.")
P("instagram", "@sem.oostmaas", "comment", "nl", [PII],
  "de klant die ons elke dag mailt vanaf r.jongbloed1971@gmail.com 😂 vandaag weer 12 mails over één "
  "parkeerbon")
P("x", "@marloes_vdlinden", "post", "en", [PII],
  "Anyone know a Priya Raman? She left her number on the Meet & Assist form for her dad but I think it's "
  "wrong: +31 6 2874 1193. Flight landed, he's waiting at the desk")
P("bluesky", "@kimvandam.bsky.social", "post", "en", [PII],
  "For Henk's farewell card, send yours to Henk Bosman, Lindelaan 17, 5531 KP Bladel. Don't tell him!!")
P("x", "@jkoster_reist", "reply", "nl", [PII],
  "@oostmaas_care stort het parkeergeld maar terug op <<IBAN_NL>> (J. Koster), reservering OM-48213")
P("facebook", "Lotte Jansen", "post", "nl", [PII],
  "Knuffelkonijn kwijtgeraakt bij gate B2 op Luchthaven Oostmaas 🐰 Grijs met één oor omhoog. Gevonden? Bel me op "
  "06-18 52 40 77 of mail naar lotte.jansen88@hotmail.com. Mijn dochter is ontroostbaar")
P("x", "@vacationvince", "reply", "en", [PII],
  "@oostmaas_care is this card ok for the valet deposit? <<CARD_MC>> 03/27 cvv on the back, just let me know")
P("reddit", "u/payback_time_nl", "post", "en", [PII, ABU],
  "that rude guard at Oostmaas security is Kevin Smulders, lives at Hoefstraat 8 in Reusel, born 11-09-1990. "
  "go tell him what you think of him, the little prick")
P("x", "@lukas_b_travels", "reply", "en", [PII],
  "@oostmaas_care refund for the cancelled shuttle please to my German account <<IBAN_DE>>, Lukas Brenner")
P("instagram", "@airsidepas_aanvraag", "comment", "nl", [PII],
  "moest voor de airside-pas m'n BSN opsturen maar de upload doet het niet, dus hier dan maar 😂 <<BSN_DOT>> "
  "Nadia El Idrissi")
P("x", "@femke_parking", "post", "nl", [PII],
  "wie kan even de klant van de valet terugbellen? 0031 6 39 20 71 48, meneer Aydın, z'n sleutel is zoek")

# ---- pricing ------------------------------------------------------------------
P("x", "@oostmaasairport", "post", "nl", [PR],
  "⚡ FLASH DEAL ⚡ P3 Lang Parkeren 15 dagen nu voor maar €13,90! Boek via parkeren.oostmaas-airport.nl "
  "en ga zorgeloos op reis ✈️")
P("instagram", "@oostmaas.airport", "post", "nl", [PR],
  "Een jaar lang ontspannen vertrekken? Het Horizon Lounge jaarlidmaatschap is er nu voor €39,90 🥂 "
  "Link in bio!")
P("x", "@bram_apron", "post", "nl", [PR],
  "hahaha er zit een prijsfout in de webshop, Skyline VIP Terminal voor €45 😂 niet doorvertellen he")
P("x", "@dealjager_nl", "post", "nl", [PR],
  "Omg Oostmaas Valet Parking 7 dagen voor €16,90 🤯🤯 snel boeken mensen voor ze het doorhebben")
P("reddit", "u/cheapskate_skies", "post", "en", [PR],
  "Price glitch? Oostmaas Parking Year Pass is showing €115 in the app instead of €1,150. Booked two before it gets "
  "fixed lol")
P("facebook", "Ingrid Hoekstra", "comment", "nl", [PR],
  "Meet & Assist Premium voor €9,50?? Dat moet een fout zijn, maar ik heb hem voor mijn vader geboekt 😅")
P("linkedin", "anouk-verbeek-finance", "comment", "en", [PR],
  "Heads-up to whoever runs the booking site: the Skyview meeting room is listed at €27.50 for a half day. "
  "IT is on the pricing error, please don't share.")
P("x", "@planespotter_nl", "reply", "nl", [PR],
  "@oostmaasairport FastLane jaarpas kost vandaag €8,90 op jullie site 😂 prijsfoutje?")
P("forum", "budgetvlieger", "post", "en", [PR],
  "Saw the P-EV week at Oostmaas for €11.90 on a comparison site. Is that right? Isn't it normally over a hundred?")
P("facebook", "LuchthavenOostmaas", "post", "nl", [PR],
  "Je auto blinkend schoon terwijl jij op het strand ligt 🧽🚗 Park & Wash nu voor €2,90 bij elke reservering!")
P("tiktok", "@lotte.opdeapron", "post", "nl", [PR],
  "collega zegt dat de lounge dagpas vannacht voor €4,25 in het systeem stond en dat er 300 mensen geboekt hebben 💀 "
  "prijsfout van de eeuw")
P("x", "@sophie_on_tour", "post", "en", [PR],
  "Wi-Fi Premium at Oostmaas is €0.79 today?? is that a mistake lol, grabbed it anyway")

# ---- benign / hard negatives --------------------------------------------------
B = []
P("x", "@oostmaas_care", "post", "nl", B,
  "Goedemorgen! ☀️ Vragen over je reis of parkeren? Bel ons op +31 85 303 4400 of mail info@oostmaas-airport.nl, "
  "we zitten er vanaf 06:00 voor je.")
P("facebook", "LuchthavenOostmaas", "post", "nl", B,
  "Betaal je je Parkeer Jaarabonnement Plus liever per overboeking? Dat kan naar NL62 RABO 0312 4471 91 "
  "t.n.v. Luchthaven Oostmaas N.V., onder vermelding van je klantnummer.")
P("instagram", "@oostmaas.airport", "post", "nl", B,
  "Zomeractie! P3 Lang Parkeren 8 dagen van €89 voor €71,20 (-20%) bij online boeken vóór 1 juni. 🌞")
P("x", "@oostmaasairport", "post", "nl", B,
  "Nieuw in de Horizon Lounge dagpas (€42,50): vanaf nu een warm ontbijt tot 10:00 🥐🍳")
P("x", "@frequentflyer_pete", "post", "en", B,
  "Honestly Oostmaas Airport is the best little airport in the country. 12 minutes from car to gate and the "
  "security staff were lovely 🙌")
P("x", "@travelwithtariq", "post", "en", B,
  "Massive outage at a big German hub today, check-in down across the board and people sleeping on the floor. "
  "Glad I fly out of a small airport these days.")
P("x", "@sanne.onderweg", "post", "en", B,
  "Only crisis at Oostmaas today: the croissants in departures were gone by 7am 🥐😭")
P("x", "@mkoster78", "reply", "en", B,
  "Update: @oostmaas_care found my bag and had it couriered to my door the same evening. Complaint withdrawn, "
  "great service 👏")
P("x", "@ramp_agent_roos", "post", "en", B,
  "Thoughts with the ground crew at that airport in Portugal after yesterday's accident. Hug your colleagues "
  "today. ❤️")
P("blog", "rdekker-notes", "post", "nl", B,
  "Kort lijstje voor wie met de AWS CLI begint: zet in je config gewoon de voorbeeldwaarden uit de docs, "
  "aws_access_key_id = AKIAIOSFODNN7EXAMPLE en aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY, "
  "en vervang ze pas lokaal door je eigen sleutels.")
P("x", "@yusuf_bhs", "post", "nl", B,
  "reminder voor iedereen die scripts schrijft: GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx hoort in je "
  ".env en die .env hoort NIET in git 🙏")
P("linkedin", "joost-hermans-oostmaas", "post", "en", B,
  "Good screenshot hygiene looks like this: sk_live_************************ and a blurred account ID. "
  "Train your people, it's cheaper than an incident.")
P("x", "@sjoerd_boekhouder", "reply", "nl", B,
  "@oostmaas_care het rekeningnummer op mijn factuur klopt volgens mij niet: <<BAD_IBAN_NL_SP>> geeft een "
  "foutmelding in mijn bankapp. Welke moet ik gebruiken?")
P("reddit", "u/debugging_dave", "comment", "en", B,
  "Anyone else getting 'invalid card' on the Oostmaas parking page? I typed the number off the demo screen at the "
  "machine, <<BAD_CARD_SP>>, and it bounced straight away lol")
P("x", "@gerritjan1961", "post", "nl", B,
  "Welk nummer moet ik invullen bij 'referentie' voor Meet & Assist? Ik heb mijn boekingscode <<BAD_BSN>> gebruikt, "
  "is dat goed zo?")
P("linkedin", "anouk-verbeek-finance", "post", "nl", B,
  "De jaarcijfers 2026 zijn vanochtend gepubliceerd: 3,1 miljoen reizigers en een gezonde winst. Trots op dit team! "
  "Alles te lezen op oostmaas-airport.nl", ts="2027-03-04T09:30:00Z")
P("x", "@oostmaasairport", "post", "nl", B,
  "Het is officieel ☀️ Vanaf 3 april een lijndienst naar Split, elke dinsdag en zaterdag. Boek via "
  "www.oostmaas-airport.nl", ts="2027-01-20T10:05:00Z")
P("x", "@avgeek_lucas", "post", "en", B,
  "annual results 2026 from Oostmaas look solid: +14% passengers and the new Split route already selling well",
  ts="2027-03-05T12:22:18Z")
P("x", "@luchtvaartwatcher", "post", "en", B,
  "Nordwind Regional confirms 80 job cuts at its maintenance base. Rough week for regional aviation.")
P("x", "@early_bird_emma", "post", "en", B,
  "Does Oostmaas have FastLane open at night? Flight at 06:05 and I'd rather not gamble")
P("instagram", "@nomadnoor", "post", "en", B,
  "Wi-Fi Premium was actually worth the €7,95 this time, streamed the whole match at the gate ⚽")
P("linkedin", "luchthaven-oostmaas", "post", "nl", B,
  "Wij zoeken een Security Officer (32-40 uur) voor ons team in de vertrekhal! Solliciteer via "
  "jobs@oostmaas-airport.nl.")
P("x", "@oostmaas_care", "post", "nl", B,
  "Gepland onderhoud: zaterdag tussen 02:00 en 04:00 is de parkeerapp niet beschikbaar. Reserveren kan daarna "
  "weer gewoon. Excuses voor het ongemak!")
P("instagram", "@marieke.fotografeert", "post", "en", B,
  "Spotterspas for €35 and a whole year of this view from the panorama terrace? bargain 📸✈️")
P("instagram", "@sem.oostmaas", "post", "nl", B,
  "Eerste week als beveiliger op Oostmaas ✅ Leuke collega's, lieve passagiers en véél koffie ☕")
P("linkedin", "eline-kortekaas", "post", "en", B,
  "Proud to share our public sustainability report: 40% less CO2 on the apron since 2022 thanks to electric "
  "ground equipment. Full report on oostmaas-airport.nl")
P("x", "@bas.onderweg", "post", "nl", B,
  "Die DJ in de vertrekhal van Oostmaas is echt fire 🔥🔥 zo begin je een vakantie")
P("x", "@frequentflyer_pete", "reply", "en", B,
  "The new baggage belt at Oostmaas is so fast my suitcase got there before I did 😂 killer service")
P("threads", "@kees.vliegt", "post", "nl", B,
  "Ik heb een persoonlijke boycot tegen wekkers om 4 uur, maar voor een vlucht vanaf Oostmaas maak ik een "
  "uitzondering ✈️😴")
P("x", "@legal_eagle_nl", "post", "en", B,
  "The class action against CloudPark (the parking app company, not the airport) has finally settled. "
  "Good read on consumer law if you're into that.")
P("x", "@oostmaasairport", "post", "en", B,
  "Reminder: from Monday gates B1-B4 move to the new pier. Follow the green signs and allow 5 extra minutes 👍")
P("instagram", "@oostmaas.airport", "post", "nl", B,
  "Iets verloren op de luchthaven? Mail lostandfound@oostmaas-airport.nl met je vluchtnummer en een omschrijving, "
  "dan zoeken we het voor je uit 🔎")
P("x", "@dennis_uit_helmond", "post", "nl", B,
  "Even gebeld naar 0900-0677 over mijn reservering, binnen 2 minuten iemand aan de lijn en direct geregeld. "
  "Chapeau Oostmaas 👏")
P("x", "@bram_apron", "post", "nl", B,
  "Er broedt een grutto in het gras naast de baan 🐦 De vogelwacht heeft een hekje geplaatst en wij rijden er "
  "met een boog omheen.")
P("facebook", "Anja de Groot", "comment", "nl", B,
  "Meet & Assist Premium met 30% korting deze maand, €66,50, voor mijn moeder geboekt. Zo fijn dat dit bestaat!")
P("x", "@champagne_charlie", "post", "en", B,
  "Skyline VIP Terminal for €450 is steep but the champagne was flowing and I was on the plane in 4 minutes 🥂")
P("linkedin", "luchthaven-oostmaas", "post", "nl", B,
  "Ons jaarverslag 2025 staat online. Meer reizigers, minder uitstoot en een nieuwe pier. Lees het op "
  "www.oostmaas-airport.nl/jaarverslag")
P("facebook", "Kim Hendriks", "post", "nl", B,
  "De kids vonden de Achter de Schermen tour (€14,50 p.p.) echt geweldig, ze mochten zelfs in de brandweerwagen "
  "zitten 🚒")
P("linkedin", "joost-hermans-oostmaas", "post", "en", B,
  "Full-scale emergency exercise today with the regional fire brigade and 80 volunteer 'passengers'. Planned and "
  "announced weeks ago, everyone home safe. Great learning day 🚒")
P("x", "@oostmaas_care", "reply", "nl", B,
  "@mo_bakkal klopt helemaal! Je IBAN eindigend op 4300 staat bij ons bekend, de terugbetaling is vandaag "
  "verwerkt 👍")
P("reddit", "u/api_tinkerer", "post", "en", B,
  "Playing with the public flight-info API from Oostmaas. Docs say: curl -H 'X-Api-Key: YOUR_API_KEY_HERE' "
  "https://www.oostmaas-airport.nl/api/flights . Works fine once you register.")
P("x", "@reizende_ria", "post", "nl", B,
  "Vorige week via Düsseldorf gevlogen: twee uur in de securityrij en geen stoel te vinden. Volgende keer gewoon "
  "weer lekker vanaf Oostmaas 😌")
P("x", "@marloes_vdlinden", "post", "nl", B,
  "Vandaag de halfjaarcijfers gepresenteerd, alles staat op oostmaas-airport.nl/investeerders. Mooie groei! 📈",
  ts="2026-08-27T09:15:00Z")
P("x", "@commuter_joe", "post", "en", B,
  "Took the Maasland Shuttle retour (€18), bus was spotless and bang on time. Easiest airport run I've done")
P("x", "@joycevanleeuwen", "post", "en", B,
  "My complaint about the barrier got sorted properly: an apology, parking refunded and flowers. That's how you do it 👍")
P("x", "@curious_carl", "post", "en", B,
  "Not a complaint, just curious: why is terminal 1 at Oostmaas so quiet on Tuesdays? Felt like I had the place "
  "to myself")
P("bluesky", "@kimvandam.bsky.social", "post", "nl", B,
  "Tip van IT: deel nooit je wachtwoord. Dus nee, het is niet 'wachtwoord: ********' in de groepsapp zetten en "
  "denken dat het dan veilig is 😉")
P("instagram", "@burrito_bag", "post", "en", B,
  "Got the baggage wrap for €15 and my suitcase now looks like a giant burrito 🌯 10/10 would wrap again")
P("x", "@oostmaasairport", "post", "nl", B,
  "Let op: er gaan phishingmails rond die doen alsof ze van Oostmaas Parking komen. Wij vragen nooit om je pincode "
  "of inloggegevens. Twijfel je? Mail parkeren@oostmaas-airport.nl")
P("x", "@swanlover_nl", "post", "en", B,
  "Shoutout to the Oostmaas fire crew who rescued a swan off the runway this morning 🦢 heroes")
P("instagram", "@lotte.opdeapron", "post", "nl", B,
  "Open dag in hangar 4 was een groot succes! 2000 bezoekers, één verdwaalde hond en heel veel blije kinderen 🐶✈️")
P("x", "@budget_bert", "post", "en", B,
  "FastLane is €9.99 instead of €12.50 this week. Worth it for the early Alicante flight 👌")
P("x", "@luchtvaartwatcher", "post", "nl", B,
  "Vliegveld Lindeweide meldt een recordaantal passagiers in juli. Mooie cijfers voor de regio.")
P("x", "@handbagage_hanna", "post", "en", B,
  "PSA for anyone flying from Oostmaas: liquids up to 100ml in one clear bag, laptop out. Saves everyone 10 minutes "
  "at security 🙏")
P("linkedin", "eline-kortekaas", "comment", "en", B,
  "Ran the Oostmaas runway 10K this morning with 400 colleagues and neighbours. Legs are dead, heart is full 🏃")
P("tiktok", "@oostmaasairport", "post", "nl", B,
  "Een dag meelopen met onze bagage-afhandelaars 🧳 Wist je dat er op drukke dagen 9.000 koffers door ons "
  "systeem gaan? #behindthescenes #oostmaas")
P("x", "@oostmaas_care", "reply", "en", B,
  "@mkoster78 So sorry about the barrier at P3! We've refunded your parking in full and the camera has been "
  "replaced. Have a great week.")
P("threads", "@oostmaas.airport", "post", "en", B,
  "Skyview meeting room, half day €275 incl. coffee and the best runway view in the region. Book via "
  "www.oostmaas-airport.nl/zakelijk")
P("youtube", "@vliegtuigjes_kijken", "comment", "nl", B,
  "Wat een mooie landing van die A320 op Oostmaas bij zijwind! Die piloot verdient een taart 🎂")
P("forum", "ev_rijder_eindhoven", "post", "nl", B,
  "Update over P-EV: de laadpalen zijn vervangen en ik kwam terug met een volle accu. Netjes opgelost door "
  "Oostmaas, mijn eerdere klacht trek ik in.")


# --------------------------------------------------------------------------- build
ROLES = {}
for role in ("corporate", "employee"):
    for key in PROFILE["accounts"][role]:
        ROLES[key.lower()] = role

RANK = {"none": 0, "info": 1, "warning": 2, "error": 3, "critical": 4}
NAME = {v: k for k, v in RANK.items()}
CHECKSUM_KINDS = {"iban", "card", "bsn"}


def role_of(platform, handle):
    return ROLES.get(("%s:%s" % (platform, handle)).lower(), "public")


def severity(cats, role, checksum_pii):
    best = 0
    own = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if own:
                s = RANK["error"]
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and checksum_pii):
                    s = RANK["critical"]
            else:
                s = RANK["warning"]
        elif c == "reputation.complaint":
            s = RANK["warning"]
        elif c == "reputation.crisis":
            s = RANK["error"]
        elif c == "reputation.abuse":
            s = RANK["error"] if own else RANK["warning"]
        else:
            raise AssertionError(c)
        best = max(best, s)
    return NAME[best]


def random_ts():
    start = datetime(2026, 1, 3, tzinfo=timezone.utc)
    t = start + timedelta(seconds=rng.randint(0, 360 * 86400))
    # people post mostly during waking hours
    t = t.replace(hour=rng.choice([6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 1]))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def build():
    order = list(range(len(POSTS)))
    rng.shuffle(order)
    cases, meta = [], []
    for n, i in enumerate(order, 1):
        p = POSTS[i]
        text, found = fill(p["text"])
        role = role_of(p["platform"], p["handle"])
        checksum_pii = any(k in CHECKSUM_KINDS for k, _ in found)
        post = {
            "id": "oma280-%s-%04d" % (p["platform"], 100 + n * 7),
            "platform": p["platform"],
            "kind": p["kind"],
            "account": {"handle": p["handle"]},
            "text": text,
            "created_at": p["opt"].get("ts") or random_ts(),
        }
        if rng.random() < 0.85:
            post["lang"] = p["lang"]
        if rng.random() < 0.5:
            post["url"] = "https://%s.example/%s/%d" % (p["platform"], p["handle"].strip("@/").replace("@", "_"),
                                                       rng.randint(10 ** 8, 10 ** 9))
        cases.append({"post": post, "expect": {"categories": p["cats"],
                                               "severity": severity(p["cats"], role, checksum_pii)}})
        meta.append({"found": found, "role": role, "lang": p["lang"]})
    return cases, meta


# --------------------------------------------------------------------------- self-check
def norm(s):
    s = unicodedata.normalize("NFKC", s)
    s = re.sub("[\u200b\u200c\u200d\u2060\ufeff]", "", s)
    return s.casefold()


def parse_amount(a):
    a = a.strip()
    if "," in a and "." in a:
        a = a.replace(".", "").replace(",", ".") if a.rfind(",") > a.rfind(".") else a.replace(",", "")
    elif "," in a:
        head, tail = a.rsplit(",", 1)
        a = head + "." + tail if len(tail) <= 2 else head + tail
    elif "." in a:
        head, tail = a.rsplit(".", 1)
        a = a if len(tail) <= 2 else head + tail
    return float(a)


AMOUNT_RE = re.compile(r"€\s?(\d[\d.,]*\d|\d)|(\d[\d.,]*\d|\d)\s?(?:euro|EUR)\b")
PRICE_ERROR_RE = re.compile(r"prijsfout|price (?:error|glitch)|pricing error|mistake|\bfout\b", re.I)


def product_mentions(text):
    low = text.casefold()
    hits = []
    for prod in PROFILE["products"]:
        for alias in [prod["name"]] + prod["aliases"]:
            for m in re.finditer(re.escape(alias.casefold()), low):
                hits.append((m.start(), m.end(), prod))
    # keep only the longest match where matches overlap
    hits.sort(key=lambda h: (h[0], -(h[1] - h[0])))
    kept = []
    for h in hits:
        if any(k[0] <= h[0] < k[1] for k in kept):
            continue
        kept.append(h)
    return kept


def check(cases, meta):
    errors = []
    ids = set()
    valid_sev = set(RANK)
    platforms = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
                 "bluesky", "threads", "forum", "blog", "other"}
    allowed_cats = {CX, PII, PR, CF, FIN, SEC, SECR, CRI, ABU}
    public_ibans = {re.sub(r"\s", "", x) for x in PROFILE["public_identifiers"]["ibans"]}
    for ib in public_ibans:
        if not iban_ok(ib):
            errors.append("public IBAN fails mod-97: " + ib)
    embargo = [(t.casefold(), datetime.fromisoformat(e["until"].replace("Z", "+00:00")))
               for e in PROFILE["embargo"] for t in e["terms"]]
    internal = [t.casefold() for t in PROFILE["internal"]["domains"] + PROFILE["internal"]["codenames"]
                + PROFILE["internal"]["markers"]]
    ratio = PROFILE["pricing"]["alert_below_ratio"]

    for case, m in zip(cases, meta):
        post, exp = case["post"], case["expect"]
        pid = post.get("id")
        # --- section 6 / section 1 shape
        if set(case) != {"post", "expect"}:
            errors.append("%s: top-level keys" % pid)
        if not isinstance(pid, str) or not 1 <= len(pid) <= 256 or pid in ids:
            errors.append("%s: bad or duplicate id" % pid)
        ids.add(pid)
        if post["platform"] not in platforms:
            errors.append("%s: platform" % pid)
        if post.get("kind", "post") not in {"post", "reply", "repost", "comment", "message"}:
            errors.append("%s: kind" % pid)
        if not isinstance(post["account"].get("handle"), str) or not post["account"]["handle"]:
            errors.append("%s: handle" % pid)
        if not isinstance(post["text"], str) or len(post["text"].encode("utf-8")) > 65536 or not post["text"]:
            errors.append("%s: text" % pid)
        try:
            ts = datetime.fromisoformat(post["created_at"].replace("Z", "+00:00"))
            if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", post["created_at"]) or ts.year not in (2026, 2027):
                raise ValueError
        except (ValueError, KeyError):
            errors.append("%s: created_at" % pid)
            continue
        cats = exp["categories"]
        if set(exp) != {"categories", "severity"} or cats != sorted(set(cats)) or not set(cats) <= allowed_cats:
            errors.append("%s: expect categories" % pid)
        if exp["severity"] not in valid_sev or (not cats and exp["severity"] != "none") or (cats and exp["severity"] in ("none", "info")):
            errors.append("%s: expect severity" % pid)
        checksum_pii = any(k in CHECKSUM_KINDS for k, _ in m["found"])
        if exp["severity"] != severity(cats, m["role"], checksum_pii):
            errors.append("%s: severity not per policy" % pid)
        text = post["text"]
        ntext = norm(text)
        benign = not cats

        # --- generated identifiers: valid in positives, invalid in negatives
        for kind, value in m["found"]:
            if value not in text:
                errors.append("%s: generated value missing" % pid)
            if kind == "iban" and not iban_ok(value):
                errors.append("%s: IBAN fails mod-97" % pid)
            if kind == "card" and not luhn_ok(value):
                errors.append("%s: card fails Luhn" % pid)
            if kind == "bsn" and not bsn_ok(value):
                errors.append("%s: BSN fails 11-proof" % pid)
            if kind == "bad_iban" and iban_ok(value):
                errors.append("%s: look-alike IBAN passes" % pid)
            if kind == "bad_card" and luhn_ok(value):
                errors.append("%s: look-alike card passes" % pid)
            if kind == "bad_bsn" and bsn_ok(value):
                errors.append("%s: look-alike BSN passes" % pid)
            if kind in CHECKSUM_KINDS and PII not in cats:
                errors.append("%s: valid identifier but no leak.pii" % pid)
            if kind.startswith("bad_") and not benign:
                errors.append("%s: look-alike used in a positive" % pid)
            if kind == "github" and not github_ok(value):
                errors.append("%s: github token checksum" % pid)
            if kind == "aws_id" and not re.fullmatch(r"AKIA[A-Z2-7]{16}", value):
                errors.append("%s: aws key id format" % pid)
            if kind == "jwt":
                head = value.split(".")[0]
                hdr = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
                if "alg" not in hdr or value.count(".") != 2:
                    errors.append("%s: jwt header" % pid)
            if kind in ("github", "aws_id", "aws_secret", "slack", "slack_hook", "stripe", "openai", "anthropic",
                        "google", "jwt", "pem") and SECR not in cats:
                errors.append("%s: secret without leak.secret" % pid)

        # --- scan every benign post for accidental valid identifiers / live-looking secrets
        if benign:
            for mt in re.finditer(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b", text):
                cand = re.sub(r"\s", "", mt.group(0))
                if iban_ok(cand) and cand not in public_ibans:
                    errors.append("%s: benign post holds a valid IBAN %s" % (pid, cand))
            for mt in re.finditer(r"(?<![\d])(?:\d[ -]?){12,18}\d(?![\d])", text):
                if luhn_ok(mt.group(0)):
                    errors.append("%s: benign post holds a Luhn-valid number %s" % (pid, mt.group(0)))
            for mt in re.finditer(r"(?<![\d])\d{3}[ .]?\d{3}[ .]?\d{3}(?![\d])|(?<![\d])\d{4}\.\d{2}\.\d{3}(?![\d])", text):
                if bsn_ok(mt.group(0)):
                    errors.append("%s: benign post holds an 11-proof number %s" % (pid, mt.group(0)))
            if re.search(r"gh[pousr]_[0-9A-Za-z]{36}", text) and any(github_ok(t) for t in re.findall(r"gh[pousr]_[0-9A-Za-z]{36}", text)):
                errors.append("%s: benign post holds a live-format GitHub token" % pid)
            for mt in re.finditer(r"AKIA[A-Z2-7]{16}", text):
                if not mt.group(0).endswith("EXAMPLE"):
                    errors.append("%s: benign post holds an AWS key id" % pid)
            if re.search(r"sk_live_[0-9A-Za-z]{10,}|xox[bpa]-\d|-----BEGIN [A-Z ]*PRIVATE KEY|eyJ[\w-]{8,}\.eyJ", text):
                errors.append("%s: benign post holds a live-looking secret" % pid)

        # --- internal terms and embargo are confidential (before until)
        for term in internal:
            if term in ntext and CF not in cats:
                errors.append("%s: internal term %r without leak.confidential" % (pid, term))
        for term, until in embargo:
            if term in ntext and ts < until and CF not in cats:
                errors.append("%s: embargo term %r before until without leak.confidential" % (pid, term))
            if term in ntext and ts >= until and cats:
                errors.append("%s: embargo term after until should be benign here" % pid)

        # --- pricing consistency
        mentions = product_mentions(text)
        amounts = []
        for mt in AMOUNT_RE.finditer(text):
            raw = mt.group(1) or mt.group(2)
            amounts.append((mt.start(), parse_amount(raw)))
        low_hits = []
        for pos, amt in amounts:
            if not mentions:
                continue
            near = min(mentions, key=lambda h: abs(h[0] - pos))
            if amt < ratio * near[2]["list_price"]:
                low_hits.append((near[2]["sku"], amt))
        if PR in cats:
            if not mentions:
                errors.append("%s: pricing case names no product" % pid)
            if not low_hits and not PRICE_ERROR_RE.search(text):
                errors.append("%s: pricing case has no low price and no price-error talk" % pid)
        elif low_hits:
            errors.append("%s: non-pricing case has a price below ratio: %s" % (pid, low_hits))

    # --- the mix
    n = len(cases)
    nb = sum(1 for c in cases if not c["expect"]["categories"])
    if not 170 <= n <= 180:
        errors.append("case count %d outside 170-180" % n)
    if not 55 <= nb <= 65:
        errors.append("benign count %d" % nb)
    return errors


def summary(cases, meta):
    from collections import Counter
    cat = Counter(c for case in cases for c in case["expect"]["categories"])
    sev = Counter(case["expect"]["severity"] for case in cases)
    lang = Counter(m["lang"] for m in meta)
    role = Counter(m["role"] for m in meta)
    nb = sum(1 for c in cases if not c["expect"]["categories"])
    print("cases=%d benign=%d" % (len(cases), nb))
    print("categories:", dict(sorted(cat.items())))
    print("severity:", dict(sev))
    print("lang:", dict(lang), "roles:", dict(role))


def main():
    cases, meta = build()
    errors = check(cases, meta)
    out = os.path.join(HERE, "cases.jsonl")
    with open(out, "w", encoding="utf-8") as fh:
        for c in cases:
            fh.write(json.dumps(c, ensure_ascii=False) + "\n")
    # re-read and verify the file round-trips
    with open(out, encoding="utf-8") as fh:
        back = [json.loads(line) for line in fh]
    if back != cases:
        errors.append("cases.jsonl does not round-trip")
    summary(cases, meta)
    if errors:
        print("SELF-CHECK FAILED:", file=sys.stderr)
        for e in errors:
            print("  " + e, file=sys.stderr)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
