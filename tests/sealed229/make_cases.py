#!/usr/bin/env python3
"""Sealed evaluation set 229 for postwatch.

Company: Solvinder Energietechniek B.V. (fictional solar panel / heat pump installer).
Writes cases.jsonl next to this file and checks it. Deterministic (fixed seed).
Severities are computed from the account role in profile.yaml (CONTRACT section 4).
"""
import base64
import hashlib
import hmac
import json
import os
import random
import re
import string
import sys
import zlib
from collections import Counter
from datetime import datetime

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
rng = random.Random(229)

DIG = string.digits
ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # 0-9A-Za-z
URLSAFE = ALNUM + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
B64 = ALNUM + "+/"


def rand(alpha, n):
    return "".join(rng.choice(alpha) for _ in range(n))


# ---------------------------------------------------------------- checksums
def iban_ok(s):
    s = s.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def iban_make(bank):
    bban = bank + "0" + rand(DIG, 9)
    n = int("".join(str(int(c, 36)) for c in bban + "NL00"))
    return "NL%02d%s" % (98 - n % 97, bban)


def iban_break(iban):
    cd = int(iban[2:4])
    for d in range(1, 97):
        cand = "%s%02d%s" % (iban[:2], (cd + d) % 97 + 2 if (cd + d) % 97 + 2 < 99 else 2, iban[4:])
        if not iban_ok(cand):
            return cand
    raise AssertionError


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def luhn_ok(digits):
    d = [int(c) for c in re.sub(r"\D", "", digits)]
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def card_make(prefix, length=16):
    body = prefix + rand(DIG, length - len(prefix) - 1)
    for c in DIG:
        if luhn_ok(body + c):
            return body + c
    raise AssertionError


def card_break(card):
    last = int(card[-1])
    return card[:-1] + str((last + 3) % 10)


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9:
        return False
    tot = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return tot % 11 == 0 and int(s) != 0


def bsn_make():
    while True:
        head = str(rng.randint(1, 6)) + rand(DIG, 7)
        r = sum(int(head[i]) * (9 - i) for i in range(8)) % 11
        if r < 10:
            return head + str(r)


def bsn_break(b):
    for d in range(1, 10):
        cand = b[:-1] + str((int(b[-1]) + d) % 10)
        if not bsn_ok(cand):
            return cand
    raise AssertionError


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out or "0"


def gh_make(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")


def gh_ok(tok):
    body, crc = tok[4:34], tok[34:]
    return len(tok) == 40 and b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0") == crc


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt_make(payload):
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps(payload, separators=(",", ":")).encode())
    key = bytes(rng.getrandbits(8) for _ in range(32))
    sig = b64url(hmac.new(key, (head + "." + body).encode(), hashlib.sha256).digest())
    return head + "." + body + "." + sig


# identifier sweeps (used for the self-check and to keep random secrets clean)
RX_IBAN = re.compile(r"(?<![A-Za-z0-9])((?:NL|BE|DE)\d{2}(?: ?[A-Z0-9]){10,26})(?![A-Za-z0-9])")
RX_CARD = re.compile(r"(?<!\d)((?:\d[ -]?){12,18}\d)(?!\d)")
RX_BSN = re.compile(r"(?<!\d)(\d{9}|\d{4}\.\d{2}\.\d{3})(?!\d)")


def iban_like(text):
    out = []
    for m in RX_IBAN.finditer(text):
        s = m.group(1).replace(" ", "")
        if (s[:2] == "NL" and len(s) == 18) or (s[:2] == "BE" and len(s) == 16) or (s[:2] == "DE" and len(s) == 22):
            out.append(s)
    return out


def card_like(text):
    return [m.group(1) for m in RX_CARD.finditer(text)]


def bsn_like(text):
    return [m.group(1) for m in RX_BSN.finditer(text)]


def clean(s):
    """True when a random secret holds no accidental checksum-valid identifier."""
    return (not any(iban_ok(x) for x in iban_like(s))
            and not any(luhn_ok(x) for x in card_like(s))
            and not any(bsn_ok(x) for x in bsn_like(s)))


def secret(fn):
    while True:
        s = fn()
        if clean(s):
            return s


# ---------------------------------------------------------------- generated values
IBAN_CUST1 = iban_make("INGB")          # customer exposes own IBAN (public)
IBAN_CUST2 = iban_make("ABNA")          # employee posts refund IBAN
IBAN_CUST3 = iban_make("SNSB")          # corporate reply with customer IBAN
IBAN_PHISH = iban_break(iban_make("BUNQ"))   # fails mod-97
IBAN_BAD2 = iban_break(iban_make("TRIO"))    # fails mod-97
CARD_CUST = card_make("4" + str(rng.randint(1, 9)) + "1")
CARD_LOOK = card_break(card_make("55"))      # order number that fails Luhn
BSN_CUST = bsn_make()
BSN_FAKE = bsn_break(bsn_make())


def mobile():
    return "6" + str(rng.randint(1, 5)) + rand(DIG, 7)


M1, M2, M3, M4, M5 = mobile(), mobile(), mobile(), mobile(), mobile()
PH_A = "06-" + M1[1:]                                   # 06-12345678
PH_B = "+31 6 " + M2[1:]                                # +31 6 12345678
PH_C = "06 " + M3[1:5] + " " + M3[5:]                   # 06 1234 5678
PH_D = "06-" + M4[1:]
PH_E = "+31 (0)6 " + " ".join(M5[i:i + 2] for i in range(1, 9, 2))

GH_TOKEN = secret(lambda: gh_make("ghp_"))
AWS_ID = secret(lambda: "AKIA" + rand(B32, 16))
AWS_SECRET = secret(lambda: rand(B64, 40))
STRIPE = secret(lambda: "sk_live_51" + rand(ALNUM, 97))
SLACK = secret(lambda: "xoxb-%d%s-%d%s-%s" % (rng.randint(1, 9), rand(DIG, 10), rng.randint(1, 9), rand(DIG, 12), rand(ALNUM, 24)))
OPENAI = secret(lambda: "sk-proj-" + rand(URLSAFE, 74) + "T3BlbkFJ" + rand(URLSAFE, 74))
ANTHROPIC = secret(lambda: "sk-ant-api03-" + rand(URLSAFE, 93) + "AA")
JWT = secret(lambda: jwt_make({"sub": "usr_%d" % rng.randint(10000, 99999), "name": "planner-api",
                               "role": "planner", "iat": 1784106000, "exp": 1784192400}))


def ssh_key():
    blob = (b"openssh-key-v1\x00" + b"\x00\x00\x00\x04none" * 2 + b"\x00\x00\x00\x00\x00\x00\x00\x01"
            + b"\x00\x00\x00\x33\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20"
            + bytes(rng.getrandbits(8) for _ in range(250)))
    b = base64.b64encode(blob).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


SSH_KEY = secret(ssh_key)
DB_PW = secret(lambda: rand(ALNUM, 20))
PORTAL_PW = secret(lambda: rng.choice(["Dakgoot", "Zonnig", "Warmtepomp", "Omvormer"]) + rand(DIG, 4) + rng.choice("!?#$"))
MOLLIE = secret(lambda: "live_" + rand(ALNUM, 30))
SENDGRID = secret(lambda: "SG." + rand(URLSAFE, 22) + "." + rand(URLSAFE, 43))


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


ZW = "\u200b"
CYR_A, CYR_O = "\u0430", "\u043e"

# ---------------------------------------------------------------- cases
CASES = []


def add(platform, handle, lang, when, text, cats=(), kind=None, ids=(), name=None):
    CASES.append(dict(platform=platform, handle=handle, lang=lang, when=when, text=text,
                      cats=sorted(cats), kind=kind, ids=list(ids), name=name))


CPL, CRI, ABU = "reputation.complaint", "reputation.crisis", "reputation.abuse"
PRC, CON, FIN = "leak.pricing", "leak.confidential", "leak.financial"
SEC, SCR, PII = "leak.security", "leak.secret", "leak.pii"

# ---- complaints
add("x", "@Hanneke_vT", "nl", "2026-02-03T07:41:00Z",
    "@solvinder_service al 3x een afspraak gemaakt voor de monteur en 3x kwam er niemand opdagen. Ik heb er vrij voor genomen!! Wat is dit 😡",
    [CPL], kind="reply")
add("facebook", "Gerard.Wolters.58", "nl", "2026-01-19T20:12:00Z",
    "Sinds de installatie van de Aerotherm 6 in oktober maakt dat ding 's nachts een herrie alsof er een vliegtuig in de tuin staat. Buren klagen, jullie reageren niet op mails. Heel teleurstellend Solvinder.",
    [CPL], kind="comment")
add("reddit", "u/throwaway_heatpump_nl", "en", "2026-05-11T18:30:00Z",
    "PSA for anyone getting quotes: Solvinder told us 6 weeks for the install. It's now week 15 and still no date. Support keeps saying 'planning neemt contact met u op'. Nobody ever does. Don't sign before you have a date in writing.",
    [CPL])
add("x", "@pvdmeer_", "en", "2026-06-02T09:05:00Z",
    "my Stroomwerk 5 inverter has shown 'offline' in the app for 9 days. 9. days. @solvinder_service any chance someone actually reads the tickets?",
    [CPL])
add("forum", "dakkapelDirk", "nl", "2026-03-22T14:48:00Z",
    "Na het plaatsen van de panelen lekt het dak bij de dakkapel. Monteur zegt 'ligt niet aan ons'. Lekker dan, wie gaat dit betalen? Niet blij met Solvinder, echt niet.",
    [CPL])
add("instagram", "@sophie.maakt.soep", "en", "2026-04-09T11:20:00Z",
    "nice ad but your customer service is unreachable. 45 min on hold and then they just hung up on me 🙄",
    [CPL], kind="comment")
add("x", "@Bartvanderzee", "en", "2026-08-14T16:02:00Z",
    "Solvinder invoice is wrong, they charged me for 2 more panels than there are on my roof. Emailed 12 days ago, still nothing. Not impressed.",
    [CPL])
add("threads", "@noor.buitenkamp", "en", "2026-12-01T08:15:00Z",
    "Heat pump from Solvinder installed in November and the house won't go above 18 degrees once it's below zero outside. They said 'that's normal'. It's not normal, it's cold 🥶",
    [CPL])
add("facebook", "Ria.Doornbos", "nl", "2026-07-07T19:44:00Z",
    "ISDE subsidie aangevraagd via Solvinder, blijkt dat ze de verkeerde meldcode hebben doorgegeven. Aanvraag afgewezen. €2.500 mis. Wie gaat dat betalen??",
    [CPL])
add("bluesky", "@maartjek.bsky.social", "en", "2026-10-27T06:58:00Z",
    "Day 4 without hot water because the Calora 200 throws error E7 and @solvinder_service says the earliest technician slot is next Thursday. cool cool cool",
    [CPL])
add("youtube", "Kees Timmer", "nl", "2026-05-30T21:10:00Z",
    "Leuk filmpje hoor maar bij ons hebben jullie monteurs de dakpannen gebroken en de rommel in de tuin laten liggen. Nooit meer Solvinder.",
    [CPL], kind="comment")
add("x", "@annelies_gr", "nl", "2026-04-22T12:31:00Z",
    "@solvinder_nl leuk dat jullie tweeten over duurzaamheid, misschien eerst je klanten es terugbellen? Wacht al sinds januari op de aanmelding bij de netbeheerder",
    [CPL], kind="reply")
add("mastodon", "@ruben@mastodon.social", "en", "2026-09-18T20:05:00Z",
    "Solvinder's Kompas energy monitor app logs me out every single day and the P1 readings are off by like 30%. Paid €149 for this thing. meh.",
    [CPL])
# complaint + pii (customer exposes own data)
add("x", "@j_hofstede", "nl", "2026-01-12T17:22:00Z",
    "@solvinder_service bel me AUB terug, ik zit al een week zonder verwarming met 2 kleine kinderen. " + PH_A + " (na 17u)",
    [CPL, PII], kind="reply", ids=[("phone", PH_A)])
add("facebook", "Emma.Lindqvist.NL", "en", "2026-03-04T10:09:00Z",
    "Third email, no reply. Order SV-2026-118274. You can reach me at emma.lindqvist84@gmail.com or " + PH_B + ". Getting really fed up with Solvinder.",
    [CPL, PII], ids=[("email", "emma.lindqvist84@gmail.com"), ("phone", PH_B)])
add("forum", "JKuipers_Zwolle", "nl", "2026-06-19T08:40:00Z",
    "Ze hebben het voorschot TWEE keer afgeschreven!!! Terugstorten op " + group4(IBAN_CUST1) + " graag, t.n.v. J. Kuipers. Klantenservice neemt niet op, mail komt niks terug.",
    [CPL, PII], ids=[("iban", group4(IBAN_CUST1))])
# complaint + abuse
add("x", "@d3nnis_b", "nl", "2026-02-26T22:14:00Z",
    "Wat een prutsers bij @solvinder_service. Kutbedrijf. Omvormer 3 weken kapot en niemand die ook maar iets doet",
    [CPL, ABU])
add("tiktok", "@lisa.renoveert", "en", "2026-07-21T15:37:00Z",
    "installers left my garden like a dump and their manager told me to 'calm down sweetheart'. absolute clowns. solvinder you're a joke of a company",
    [CPL, ABU], kind="comment")
# complaint + pricing
add("x", "@Wouter_Bosman", "nl", "2026-11-29T10:55:00Z",
    "Solvinder webshop gaf de Voltkist 10 voor €549 aan, besteld en betaald, nu annuleren ze met 'prijsfout'. Beetje flauw toch? Afspraak is afspraak.",
    [CPL, PRC])
# complaint + crisis
add("facebook", "Marco.Zuidema", "nl", "2026-08-30T13:16:00Z",
    "Na 2 maanden begint de Stroomwerk 8 ineens te roken op zolder. Brandweer is geweest. En Solvinder? 'We plannen over 2 weken een monteur in'. Ongelooflijk.",
    [CPL, CRI])

# ---- crisis
add("x", "@Tineke_Ooms", "nl", "2026-03-15T09:12:00Z",
    "#boycotSolvinder ze laten oudere mensen aan de deur leasecontracten tekenen die ze niet begrijpen. Mijn oma zit nu 15 jaar vast. Schande.",
    [CRI])
add("reddit", "u/gridlocked_nl", "en", "2026-09-03T19:27:00Z",
    "Got an email from Solvinder saying 'a third party may have accessed customer data'. So they leaked my address, my energy usage and who knows what else. Anyone else get this?",
    [CRI])
add("x", "@zwollenieuws_live", "en", "2026-07-04T23:41:00Z",
    "BREAKING: fire at a home in Zwolle-Zuid, neighbours say the Solvinder home battery in the garage caught fire. Fire brigade on scene.",
    [CRI])
add("facebook", "Gedupeerden.Solvinder", "nl", "2026-10-12T18:00:00Z",
    "Wij starten een rechtszaak tegen Solvinder. Inmiddels 38 gedupeerden met precies dezelfde lekkende daken na montage. Meld je in deze groep als jij ook slachtoffer bent, samen staan we sterker.",
    [CRI])
add("forum", "batterijbart", "en", "2026-05-06T07:55:00Z",
    "Is there a recall on the Solvinder Voltkist 5?? Got a letter saying my battery has to be replaced 'as a precaution' because of overheating. Anyone know more?",
    [CRI])
add("x", "@fleur_heerde", "en", "2026-04-16T11:48:00Z",
    "A Solvinder installer just fell off a roof in our street, no fall protection whatsoever. Ambulance is here. How is this still happening in 2026??",
    [CRI])
add("bluesky", "@tvdbrink.bsky.social", "en", "2026-06-25T14:03:00Z",
    "Solvinder's customer portal shows other people's invoices when you log in. I can literally see someone else's name and address in Utrecht. This is a massive data breach.",
    [CRI])
add("tiktok", "@eerlijkegeld", "nl", "2026-08-08T17:30:00Z",
    "Dit is HOE Solvinder mensen oplicht 🧵 deel 1: ze beloven 40% besparing en het wordt 8%. Gewoon liegen in de verkoop. #schandaal #solvinder",
    [CRI])
add("blog", "energievoorlichter", "nl", "2026-11-05T06:30:00Z",
    "Consumentenprogramma onderzoekt Solvinder na tientallen meldingen over agressieve verkoop aan ouderen. De uitzending is zondag; wij spraken vooraf drie gedupeerde families.",
    [CRI])
add("x", "@legal_amy", "en", "2026-12-09T12:20:00Z",
    "A class action is forming against Solvinder over Hybro 4 units leaking refrigerant. If you had one installed in 2025 or 2026, DM me.",
    [CRI])
add("instagram", "@yvonne_in_deventer", "nl", "2026-02-14T08:07:00Z",
    "Vanochtend rook bij de buren, de Aerotherm buitenunit stond gewoon in de fik 🔥🔥 Solvinder hoe veilig zijn jullie dingen eigenlijk??",
    [CRI])
add("mastodon", "@privacyfirst@eupolicy.social", "en", "2026-10-30T16:44:00Z",
    "Reminder that Solvinder still hasn't explained why 12,000 customer records were sitting on an open server. Don't let this get buried. #databreach",
    [CRI])
add("facebook", "SolvinderNL", "nl", "2026-09-24T10:00:00Z",
    "Veiligheidsbericht: wij roepen de binnenunit van de Breezer 3.5 (serie 2025-B) terug vanwege een risico op oververhitting. Zet de unit uit en neem contact met ons op, wij vervangen hem kosteloos.",
    [CRI])
# crisis + abuse
add("x", "@mvdhorst_", "nl", "2026-03-28T21:33:00Z",
    "Solvinder-oplichters hebben mijn moeder van 82 een warmtepomp van 14k aangesmeerd. Smerige aasgieren, jullie moeten je kapot schamen. #boycotsolvinder",
    [CRI, ABU])

# ---- abuse
add("x", "@erikjan_1979", "nl", "2026-01-27T23:05:00Z",
    "@solvinder_service stelletje achterlijke idioten",
    [ABU], kind="reply")
add("instagram", "@nathan.rvb", "en", "2026-05-14T13:51:00Z",
    "lmao imagine working for solvinder. bunch of useless muppets",
    [ABU], kind="comment")
add("x", "@0nbekende_", "nl", "2026-06-30T01:17:00Z",
    "@solvinder_nl " + fullwidth("kutbedrijf") + " met " + fullwidth("klootzakken") + " als monteurs",
    [ABU], kind="reply")
add("x", "@w1llem_h", "nl", "2026-09-09T19:02:00Z",
    "@solvinder_nl jullie verkoper is een v3rd0mde l4ml4l, 0pr0tt3n met je 'gratis advies'",
    [ABU], kind="reply")
add("x", "@boos_in_breda", "nl", "2026-11-11T22:48:00Z",
    "@ingrid_vdlinden jij bent toch die planner. Ik weet waar je werkt en ik sta morgen voor de deur. Reken maar.",
    [ABU], kind="reply")
add("facebook", "Henk.Smeets.1961", "nl", "2026-04-03T15:26:00Z",
    "Stuur de volgende keer gewoon een Nederlander in plaats van die buitenlanders die geen woord Nederlands spreken. Solvinder neemt zeker alleen goedkope gelukszoekers aan.",
    [ABU], kind="comment")
add("facebook", "wesley.kramer.sv", "nl", "2026-08-19T20:40:00Z",
    "Als je zo dom bent om zelf aan je omvormer te gaan prutsen moet je niet janken als ie stuk is, sukkel.",
    [ABU], kind="reply", name="Wesley Kramer")
add("reddit", "u/notanotherquote", "en", "2026-07-15T10:14:00Z",
    "Solvinder sales reps are the scum of the earth. Absolute parasites.",
    [ABU], kind="comment")
add("youtube", "gamerdad_88", "en", "2026-03-10T18:22:00Z",
    "who tf edited this video, solvinder hires braindead monkeys apparently 🤡",
    [ABU], kind="comment")

# ---- pricing
add("x", "@solvinder_nl", "nl", "2026-06-22T07:00:00Z",
    "☀️ ZOMERDEAL ☀️ De Solvinder Aerotherm 9 nu voor maar €985! Alleen deze week via solvinder.nl 👉 #warmtepomp",
    [PRC], name="Solvinder")
add("x", "@marloes_sv", "nl", "2026-03-18T09:33:00Z",
    "Wie heeft de prijzen in de webshop gezet? Hybro 4 staat op €429,50 😱 graag fixen voordat iemand het ziet",
    [PRC], name="Marloes Veenstra")
add("x", "@kwhkoning", "en", "2026-04-27T22:06:00Z",
    "Lumen 450 Black panels on solvinder.nl for €25.90 each?? ordering 30 before they notice lol",
    [PRC])
add("reddit", "u/dealjager_nl", "nl", "2026-10-02T06:47:00Z",
    "Prijsfout bij Solvinder! Calora 200 warmtepompboiler voor €239. Snel zijn voor ze het doorhebben",
    [PRC])
add("bluesky", "@lotte-solvinder.bsky.social", "nl", "2026-05-20T10:18:00Z",
    "Kleine heads-up team: de Voltkist 5 staat in de app voor €329 i.p.v. €3.290, klanten bellen al. Wie kan dit aanpassen?",
    [PRC], name="Lotte")
add("instagram", "@solvinder.nl", "en", "2026-09-12T16:00:00Z",
    "New in the shop: the Laadzuil 11 kW home charger, now just €114.90 🚗⚡ link in bio",
    [PRC])
add("forum", "thermostaatfreak", "en", "2026-11-28T09:02:00Z",
    "Anyone else catch the Solvinder glitch yesterday? Thermiq thermostat for 2.39 euro. My order hasn't been cancelled yet 🤞",
    [PRC])
add("tiktok", "@joep_warmtepompman", "nl", "2026-07-09T12:12:00Z",
    "collega's liggen dubbel, in het systeem staat de Breezer 3.5 voor €179 🤣 iemand bij pricing is een nulletje vergeten",
    [PRC], name="Joep")
add("x", "@gewoonmarleen", "en", "2026-02-11T20:25:00Z",
    "ZonCompleet 14 package for €729?? is this a pricing mistake or a fake site 🤔 @solvinder_service",
    [PRC])
add("facebook", "SolvinderNL", "nl", "2026-11-27T06:00:00Z",
    "BLACK FRIDAY 🖤 Stroomwerk 8 Hybride omvormer voor €189 (was €1.890). Op = op!",
    [PRC])
add("linkedin", "ruud-hoekstra-solvinder", "en", "2026-08-03T13:45:00Z",
    "Team, the price error on the Aerotherm 6 in the partner portal is costing us real money. Please pull it before more installers order at that price.",
    [PRC], name="Ruud Hoekstra")

# ---- confidential
add("instagram", "@kevin.legt.panelen", "nl", "2026-06-05T17:40:00Z",
    "Eerste testdak met Heliotroop panelen gelegd vandaag 😍 mag nog niks zeggen maar dit wordt groot #zonnigwerk",
    [CON], name="Kevin")
add("x", "@stijn_dev_sv", "en", "2026-02-17T10:03:00Z",
    "anyone else's grafana at https://grafana.solvinder.local/d/ops-overview super slow today? dashboards take ages",
    [CON], name="Stijn Bos")
add("linkedin", "yasmina-bouzid-sv", "nl", "2026-04-29T08:10:00Z",
    "Trots op het team achter Project Zonnedauw. Ik kan er nog niet veel over vertellen, maar volgend jaar gaat heel Nederland hiervan horen! #innovatie #energietransitie",
    [CON], name="Yasmina Bouzid")
add("threads", "@femke.solvinder", "nl", "2026-11-03T15:22:00Z",
    "[SOLVINDER INTERN] Contentkalender Q1: lancering Polaris 12 op 20 jan, teaser vanaf 8 jan. Niet posten!!",
    [CON], name="Femke")
add("x", "@solvinder_nl", "en", "2026-12-10T12:00:00Z",
    "Sneak peek 👀 Polaris 12 is coming. Quieter than your fridge, 12 kW of pure comfort. Stay tuned.",
    [CON], name="Solvinder")
add("x", "@ingrid_vdlinden", "en", "2026-11-19T07:12:00Z",
    "next week's schedule is up on planbord.solvinder.local/week/48 - who can take over Monday's job in Amersfoort?",
    [CON], name="Ingrid van der Linden")
add("reddit", "u/zonnepaneelzeurder", "en", "2026-07-28T21:55:00Z",
    "My cousin works at Solvinder and showed me a slide deck titled 'Operatie Koudefront'. Apparently it's some new service model for heat pumps. Wild.",
    [CON], kind="comment")
add("mastodon", "@stijnbos@mastodon.nl", "nl", "2026-03-02T14:37:00Z",
    "Iemand anders ook last van git.solvinder.internal die timeouts geeft bij het pushen? 🙃",
    [CON], name="Stijn")
add("facebook", "wesley.kramer.sv", "nl", "2026-10-16T19:05:00Z",
    "Vandaag training gehad over de nieuwe warmtepomp, stond 'vertrouwelijk - alleen medewerkers' op elke slide dus ik zeg niks behalve: WOW 🔥",
    [CON], name="Wesley Kramer")
add("linkedin", "ruud-hoekstra-solvinder", "en", "2026-09-15T16:30:00Z",
    "Great session today with our roofing partners on the ZenithRoof integrated solar roof. Still under NDA, so more soon!",
    [CON], name="Ruud Hoekstra")
add("x", "@buurman_bas", "nl", "2026-08-25T18:49:00Z",
    "wat is eigenlijk dat Helio" + ZW + "troop waar die solvinder monteurs het steeds over hebben? mn buurman werkt er en hij zei dat het geheim was 🤫",
    [CON])
add("tiktok", "@joep_warmtepompman", "nl", "2026-10-06T06:52:00Z",
    "Oper" + CYR_A + "tie K" + CYR_O + "udefr" + CYR_O + "nt gaat eindelijk beginnen bij ons op de afdeling 👀 #monteurslife",
    [CON], name="Joep")
add("x", "@marloes_sv", "nl", "2026-10-22T20:14:00Z",
    "Kan niet wachten tot jullie de P o l a r i s 1 2 zien 🤐🤐",
    [CON], name="Marloes Veenstra")
# confidential + financial
add("linkedin", "erik-dewaal-solvinder", "nl", "2027-02-20T17:05:00Z",
    "Vandaag de laatste hand gelegd aan de jaarcijfers 2026. Omzet €214 mln, EBITDA ruim boven plan. Publicatie volgt nog, maar ik ben nu al trots op dit team!",
    [CON, FIN], name="Erik de Waal")
add("x", "@marloes_sv", "en", "2026-05-27T21:30:00Z",
    "can't say much but Project Zonnedauw = we're buying a competitor 👀 signing next month",
    [CON, FIN], name="Marloes Veenstra")
# confidential + security
add("x", "@stijn_dev_sv", "en", "2026-09-29T05:48:00Z",
    "erp.solvinder.local has been encrypted since 3am, ransom note on every share. customers don't know yet and we're told to keep quiet 🙃",
    [CON, SEC], name="Stijn Bos")
add("mastodon", "@stijnbos@mastodon.nl", "nl", "2026-06-11T22:03:00Z",
    "Lol, vpn.solvinder.nl draait nog steeds op een versie met die bekende auth-bypass. 2 maanden geleden gemeld, niemand patcht. Als iemand dat vindt zijn we de klos.",
    [CON, SEC], name="Stijn")
# confidential + pii
add("instagram", "@kevin.legt.panelen", "nl", "2026-04-14T06:25:00Z",
    "Screenshotje van de dagplanning 😅 'SOLVINDER INTERN – Dhr. P. van Dijk, Lindelaan 27, 3871 AB Hoevelaken, 16 panelen + Stroomwerk 5'. Lange dag vandaag!",
    [CON, PII], ids=[("address", "Lindelaan 27, 3871 AB Hoevelaken")], name="Kevin")

# ---- financial
add("linkedin", "yasmina-bouzid-sv", "nl", "2026-10-01T19:48:00Z",
    "Zware weken op HR. Er komt een reorganisatie aan waarbij zo'n 60 monteursplekken verdwijnen. Nog niet aangekondigd dus geen details, maar denk aan ons.",
    [FIN], name="Yasmina Bouzid")
add("x", "@ingrid_vdlinden", "nl", "2026-10-14T12:40:00Z",
    "Q3 is echt dramatisch, we zitten 22% onder budget en het MT heeft het over een winstwaarschuwing. Ben benieuwd wanneer ze dat naar buiten brengen",
    [FIN], name="Ingrid van der Linden")
add("x", "@insidertips_nl", "en", "2026-11-20T08:34:00Z",
    "Hearing from a friend on the inside that Solvinder is about to be taken over by a German utility. Deal closes before Christmas. You heard it here first.",
    [FIN])
add("linkedin", "ruud-hoekstra-solvinder", "en", "2026-06-17T07:55:00Z",
    "Our internal forecast for 2027 shows heat pump orders dropping around 35% once the subsidy ends. Glad we're diversifying into batteries early.",
    [FIN], name="Ruud Hoekstra")
add("x", "@solvinder_nl", "nl", "2026-12-04T16:47:00Z",
    "Concept: Solvinder neemt Warmtehuis Brabant over voor €18 mln. Persbericht maandag 8u, check @marloes_sv",
    [FIN], name="Solvinder")
add("tiktok", "@joep_warmtepompman", "en", "2026-09-08T13:05:00Z",
    "POV: you overhear in the canteen that the whole Tilburg branch is closing and nobody's been officially told yet 💀",
    [FIN], name="Joep")
add("reddit", "u/boekhoudbuurvrouw", "nl", "2026-11-02T22:10:00Z",
    "Mijn vriendin werkt op de boekhouding van Solvinder: ze halen hun omzetdoel dit jaar bij lange na niet en er wordt gepraat over 100 ontslagen begin volgend jaar.",
    [FIN], kind="comment")
add("bluesky", "@lotte-solvinder.bsky.social", "en", "2026-12-15T18:20:00Z",
    "rumour in the team chat is confirmed: we're merging with the Belgian sister company in Q2 and half of customer service moves to Gent. not public yet so shh",
    [FIN], name="Lotte")
add("facebook", "wesley.kramer.sv", "nl", "2026-08-06T21:11:00Z",
    "Bonussen geschrapt want 'de cijfers van het eerste halfjaar zijn slechter dan gedacht', verlies van bijna 9 miljoen zeggen ze. Top werkgever 👍",
    [FIN], name="Wesley Kramer")
add("linkedin", "erik-dewaal-solvinder", "en", "2026-11-24T17:35:00Z",
    "Board approved the plan today: we'll exit the Belgian market and close three depots in 2027. Tough decisions ahead. Announcement in two weeks.",
    [FIN], name="Erik de Waal")

# ---- security
add("x", "@stijn_dev_sv", "en", "2026-03-26T15:19:00Z",
    "mijn.solvinder.nl has been down for 6 hours and it's NOT maintenance, someone's DDoSing us. comms says 'don't tweet about it' so... oops",
    [SEC], name="Stijn Bos")
add("bluesky", "@lotte-solvinder.bsky.social", "nl", "2026-07-02T16:08:00Z",
    "Vandaag 200 klanten aan de lijn gehad omdat de Kompas app sinds vanochtend alle meterdata kwijt is. Officieel is er 'niks aan de hand' 🙃",
    [SEC], name="Lotte")
add("mastodon", "@stijnbos@mastodon.nl", "en", "2026-08-21T19:30:00Z",
    "Found out the Thermiq thermostat API accepts any device id without auth. You can change anyone's temperature. Reported internally 3 months ago, ticket still open.",
    [SEC], name="Stijn")
add("x", "@ingrid_vdlinden", "en", "2026-05-04T10:57:00Z",
    "someone phished their way into our finance team's mailbox and fake invoices went out to customers. are we ever going to tell them??",
    [SEC], name="Ingrid van der Linden")
add("x", "@techtalk_tom", "en", "2026-10-19T11:26:00Z",
    "Friend who works at Solvinder says the Stroomwerk inverters have a firmware bug that lets anyone on the same wifi reflash them, and they won't tell customers until the fix is ready.",
    [SEC])
add("tiktok", "@joep_warmtepompman", "nl", "2026-12-07T07:14:00Z",
    "Hele dag geen toegang tot de planning want 'cyberincident'. Wij rijden maar rond op goed geluk 🤷‍♂️ #monteurslife",
    [SEC], name="Joep")
add("threads", "@femke.solvinder", "en", "2026-02-23T08:48:00Z",
    "Our social scheduling tool got hacked last night and someone almost posted from the main account. IT says keep it quiet until they know what was taken.",
    [SEC], name="Femke")
add("x", "@marloes_sv", "en", "2026-07-31T14:22:00Z",
    "The home battery monitoring backend has been down for 2 days, so right now we literally can't see if any Voltkists are overheating. This is not ok.",
    [SEC], name="Marloes Veenstra")
add("linkedin", "erik-dewaal-solvinder", "en", "2026-04-20T06:15:00Z",
    "Spent the weekend with forensics after a breach of our payroll system. Not announced yet, but a hard lesson in why MFA matters.",
    [SEC], name="Erik de Waal")
add("facebook", "wesley.kramer.sv", "nl", "2026-01-23T18:36:00Z",
    "Onze monteurstablets hebben nog steeds het standaard pincodeslot en de klantdossiers staan er onversleuteld op. Verlies je er een dan ligt alles op straat. Al 5x gemeld.",
    [SEC], name="Wesley Kramer")
# security + secret
add("x", "@stijn_dev_sv", "en", "2026-11-09T02:44:00Z",
    "prod db is down again and ops can't find the conn string, here's the one from my notes: postgresql://planning_rw:" + DB_PW
    + "@planning-prod.c3x9kq2mzv4a.eu-central-1.rds.amazonaws.com:5432/planning if someone can check it pls 🙏",
    [SCR, SEC], ids=[("secret", DB_PW)], name="Stijn Bos")

# ---- secrets
add("x", "@stijn_dev_sv", "en", "2026-01-14T11:02:00Z",
    "why does CI keep failing on the install-tracker repo, token is " + GH_TOKEN + " and it says bad credentials?? 😤",
    [SCR], ids=[("github", GH_TOKEN)], name="Stijn Bos")
add("mastodon", "@stijnbos@mastodon.nl", "nl", "2026-02-05T16:16:00Z",
    "Voor wie de deploy-scripts wil testen:\nAWS_ACCESS_KEY_ID=" + AWS_ID + "\nAWS_SECRET_ACCESS_KEY=" + AWS_SECRET + "\nniet doorsturen he 😉",
    [SCR], ids=[("aws", AWS_ID)], name="Stijn")
add("facebook", "SolvinderNL", "nl", "2026-05-12T09:30:00Z",
    "Ons nieuwe betaalsysteem is live 🎉 " + STRIPE + " Vanaf nu betaal je je aanbetaling nog makkelijker!",
    [SCR], ids=[("secret", STRIPE)])
add("bluesky", "@lotte-solvinder.bsky.social", "en", "2026-03-31T13:08:00Z",
    "does anyone know why our bot stopped posting in #storingen? the token " + SLACK + " still looks fine to me",
    [SCR], ids=[("secret", SLACK)], name="Lotte")
add("x", "@marloes_sv", "en", "2026-06-09T10:41:00Z",
    "using ChatGPT for the newsletter now 😅 if anyone in marketing needs it the key is " + OPENAI,
    [SCR], ids=[("secret", OPENAI)], name="Marloes Veenstra")
add("reddit", "u/apk_poker", "en", "2026-09-21T23:59:00Z",
    "Solvinder's Android app ships an Anthropic key in plain text lol: " + ANTHROPIC + " someone should tell them before it gets abused",
    [SCR], ids=[("secret", ANTHROPIC)])
add("x", "@stijn_dev_sv", "nl", "2026-07-16T08:27:00Z",
    "Kan iemand checken waarom de planner-API 401 geeft? Authorization: Bearer " + JWT,
    [SCR], ids=[("jwt", JWT)], name="Stijn Bos")
add("mastodon", "@stijnbos@mastodon.nl", "en", "2026-08-12T22:31:00Z",
    "note to self, deploy key for the depot kiosks:\n" + SSH_KEY,
    [SCR], ids=[("secret", SSH_KEY)], name="Stijn")
add("facebook", "wesley.kramer.sv", "nl", "2026-02-09T06:45:00Z",
    "Voor de nieuwe jongens: monteursportaal inloggen met gebruikersnaam monteur.oost en wachtwoord: " + PORTAL_PW + " Niet aan klanten geven!",
    [SCR], ids=[("secret", PORTAL_PW)], name="Wesley Kramer")
add("forum", "webdev_jeroen", "nl", "2026-04-07T15:50:00Z",
    "Wij bouwen de webshopkoppeling voor een installateur (Solvinder) maar alle Mollie-betalingen falen. Dit is de key die we gebruiken: " + MOLLIE + " iemand een idee?",
    [SCR], ids=[("secret", MOLLIE)])
add("threads", "@femke.solvinder", "en", "2026-10-09T11:11:00Z",
    "newsletter won't send, SendGrid says unauthorized?? using " + SENDGRID + " which IT gave me yesterday",
    [SCR], ids=[("secret", SENDGRID)], name="Femke")

# ---- personal data
add("x", "@ingrid_vdlinden", "en", "2026-01-29T09:14:00Z",
    "Can someone call Mrs De Graaf back on " + PH_C + "? She's really upset about her install date.",
    [PII], ids=[("phone", PH_C)], name="Ingrid van der Linden")
add("x", "@solvinder_service", "nl", "2026-03-12T13:37:00Z",
    "@karin_mulder71 Excuses! We hebben uw gegevens: Karin Mulder, Beukenhof 9, 3437 ZG Nieuwegein. De monteur komt donderdag tussen 8 en 12 uur.",
    [PII], kind="reply", ids=[("address", "Beukenhof 9, 3437 ZG Nieuwegein")], name="Solvinder Klantenservice")
add("bluesky", "@lotte-solvinder.bsky.social", "nl", "2026-06-15T14:55:00Z",
    "Terugbetaling voor dhr. Smit moet naar " + IBAN_CUST2 + ", kan finance dat vandaag nog doen? 🙏",
    [PII], ids=[("iban", IBAN_CUST2)], name="Lotte")
add("instagram", "@kevin.legt.panelen", "nl", "2026-03-14T16:45:00Z",
    "Jarige klant vandaag! Mevrouw Anneke Vos (geboren 14-03-1946) kreeg 12 panelen voor haar 80e verjaardag 🎂☀️",
    [PII], ids=[("dob", "14-03-1946")], name="Kevin")
add("x", "@sam_ortega_nl", "en", "2026-05-25T19:19:00Z",
    "@solvinder_service is it normal the payment page asks twice? used my card " + group4(CARD_CUST) + " exp 09/28, just want to make sure it went through 🙂",
    [PII], kind="reply", ids=[("card", group4(CARD_CUST))])
add("threads", "@femke.solvinder", "nl", "2026-07-24T12:00:00Z",
    "De winnaar van onze zomerwinactie is Sanne de Boer! Sanne, we bellen je op " + PH_D + " of mailen naar sannedeboer.amf@hotmail.com 🎉",
    [PII], ids=[("phone", PH_D), ("email", "sannedeboer.amf@hotmail.com")], name="Femke")
add("facebook", "wesley.kramer.sv", "nl", "2026-09-02T17:58:00Z",
    "Klant wilde dat ik zijn BSN noteerde voor de subsidie, " + BSN_CUST + ", weet iemand waar dat heen moet?",
    [PII], ids=[("bsn", BSN_CUST)], name="Wesley Kramer")
add("forum", "markj_denbosch", "nl", "2026-02-19T20:33:00Z",
    "Voor de ISDE-aanvraag wilde Solvinder mijn gegevens: Mark Jansen, geboren 02-07-1979, Kerkstraat 112, 5211 KJ 's-Hertogenbosch. Is het normaal dat ik dat via WhatsApp moet sturen?",
    [PII], ids=[("address", "Kerkstraat 112, 5211 KJ 's-Hertogenbosch"), ("dob", "02-07-1979")])
add("facebook", "SolvinderNL", "nl", "2026-10-21T11:43:00Z",
    "Beste meneer Hendriks, uw IBAN " + group4(IBAN_CUST3) + " stond verkeerd in ons systeem. Wij hebben dit aangepast, de terugbetaling volgt binnen 5 werkdagen.",
    [PII], kind="reply", ids=[("iban", group4(IBAN_CUST3))])
add("x", "@rdevos_", "nl", "2026-12-18T08:29:00Z",
    "@solvinder_service mail me maar: r.devos [at] ziggo [punt] nl of bel 0 6 - 2 8 1 9 4 7 3 5",
    [PII], kind="reply", ids=[("email", "r.devos [at] ziggo [punt] nl")])
add("x", "@marloes_sv", "en", "2026-08-28T15:10:00Z",
    "Shoutout to our customer of the month, Pieter Bakker from Dorpsstraat 4 in Lunteren, who is now completely off gas! 🙌",
    [PII], ids=[("address", "Dorpsstraat 4 in Lunteren")], name="Marloes Veenstra")

# ---- benign: hard negatives and ordinary posts
add("x", "@solvinder_nl", "nl", "2026-11-02T07:30:00Z",
    "Najaarsactie 🍂 Voltkist 10 thuisbatterij nu €4.690 i.p.v. €5.490. Alleen t/m 30 november.", name="Solvinder")
add("instagram", "@solvinder.nl", "en", "2026-04-01T12:00:00Z",
    "Lumen 430 for €219 per panel, including 25 years of product warranty ☀️ #solar")
add("x", "@erwin_zonnig", "nl", "2026-03-07T20:18:00Z",
    "Aerotherm 9 laten plaatsen, na de ISDE-subsidie van €3.025 is het nog best te doen eigenlijk")
add("reddit", "u/leasevraag", "en", "2026-06-27T09:44:00Z",
    "Solvinder offered €39/month lease for the Hybro 4. Has anyone compared that to just buying it outright?")
add("facebook", "SolvinderNL", "nl", "2026-01-08T08:00:00Z",
    "Nieuwjaarsactie: Hybro 6 hybride warmtepomp met 20% korting, nu €4.156 (was €5.195). Vraag vandaag nog een adviesgesprek aan!")
add("x", "@bargainbenno", "en", "2026-11-26T21:40:00Z",
    "Zonwerk Direct had a massive pricing error last night, people got heat pumps for €99. Not Solvinder though, their prices are boringly correct 😅")
add("forum", "P1lezer", "nl", "2026-05-17T10:26:00Z",
    "Kompas energiemonitor gekocht voor €149, werkt prima met mijn slimme meter. Aanrader.")
add("x", "@marloes_sv", "nl", "2026-09-16T09:09:00Z",
    "Pakketdeal: bij 10 of meer Pulsar P2 optimizers betaal je €62 per stuk. Vraag ernaar bij je adviseur 😉", name="Marloes Veenstra")
add("x", "@solvinder_service", "nl", "2026-02-02T08:00:00Z",
    "Vragen over je installatie? Bel gratis 0800-7658 of mail klantenservice@solvinder.nl. We zijn er ma t/m za van 8 tot 20 uur.",
    name="Solvinder Klantenservice")
add("linkedin", "solvinder-energietechniek", "en", "2026-03-19T09:00:00Z",
    "We're hiring installers in Utrecht and Gelderland! Send your CV to werkenbij@solvinder.nl or call +31 30 799 4410.")
add("facebook", "SolvinderNL", "nl", "2026-07-13T10:30:00Z",
    "Let op: er gaan phishingmails rond namens Solvinder met het verzoek te betalen naar " + group4(IBAN_PHISH)
    + ". Wij vragen nooit zo om betaling. Ons enige rekeningnummer is NL05 RABO 0314 7295 60.",
    ids=[("iban", group4(IBAN_PHISH))])
add("forum", "nieuwbouwnina", "nl", "2026-08-10T19:04:00Z",
    "Welke IBAN gebruiken jullie voor de aanbetaling? Op de factuur staat NL05RABO0314729560, klopt dat?")
add("x", "@thijs_kamphuis", "en", "2026-04-18T15:33:00Z",
    "Ordered a Thermiq, got a confirmation for 'card ending 4417' within a minute. nice and quick 👍")
add("reddit", "u/rvo_vragen", "nl", "2026-05-02T12:12:00Z",
    "Waarom vraagt de ISDE-aanvraag eigenlijk om je BSN? Moet ik dat aan mijn installateur geven of doe ik dat zelf bij RVO?")
add("forum", "oplettendeoma", "nl", "2026-09-26T16:41:00Z",
    "Nepmail van 'Solvinder Subsidies' met 'bevestig uw BSN " + BSN_FAKE + "'. Dat is niet eens een geldig nummer 😂 niet op klikken mensen",
    ids=[("bsn", BSN_FAKE)])
add("x", "@vera_bouwt", "nl", "2026-06-12T09:48:00Z",
    "@solvinder_service hoi! Wanneer wordt order " + group4(CARD_LOOK) + " ongeveer geleverd? Geen haast hoor 😊",
    kind="reply", ids=[("card", group4(CARD_LOOK))])
add("x", "@stijn_dev_sv", "en", "2026-04-24T17:20:00Z",
    "PSA for devs: never commit keys. The AWS docs use AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY for a reason. Use a secrets manager 🙏",
    name="Stijn Bos")
add("mastodon", "@stijnbos@mastodon.nl", "nl", "2026-10-25T13:02:00Z",
    "Token in de logs netjes gemaskeerd als ghp_************************************ precies zoals het hoort 👌", name="Stijn")
add("reddit", "u/domoticz_dave", "en", "2026-01-31T22:15:00Z",
    "How does a JWT actually work? Is it just base64? Trying to understand it for my smart home setup with the Solvinder Kompas P1.")
add("x", "@solvinder_service", "nl", "2026-05-22T11:00:00Z",
    "Tip: verander na de installatie het standaard wachtwoord van de wifi van je omvormer. Hoe? Zie de handleiding op solvinder.nl/support",
    name="Solvinder Klantenservice")
add("x", "@marloes_sv", "nl", "2027-03-04T08:30:00Z",
    "Vanochtend gepubliceerd: onze jaarcijfers 2026! Omzet +12%, 9.400 nieuwe installaties. Trots op iedereen 💚", name="Marloes Veenstra")
add("x", "@solvinder_nl", "en", "2027-01-20T10:15:00Z",
    "Meet the Polaris 12: our quietest heat pump ever. Available from today ❄️➡️🔥", name="Solvinder")
add("x", "@henk_stilte", "nl", "2027-01-23T14:02:00Z",
    "Net de Polaris 12 bekeken in de showroom van Solvinder, die is echt stil zeg")
add("x", "@weerman_wim", "nl", "2026-12-03T17:45:00Z",
    "Koudefront trekt vannacht over ❄️ goed moment om te checken of je warmtepomp netjes ontdooit. Solvinder heeft er een handige uitleg over.")
add("instagram", "@tuinvanjoke", "nl", "2026-06-20T10:10:00Z",
    "Mijn heliotroop bloeit weer naast de nieuwe zonnepanelen van Solvinder 🌸☀️ #tuinliefde")
add("x", "@lauravanes", "en", "2026-06-04T18:22:00Z",
    "Update: @solvinder_service fixed the fault on my Stroomwerk 5 within a day. Credit where it's due!")
add("facebook", "Jolanda.Pieters", "nl", "2026-05-19T20:54:00Z",
    "Sterkte aan de Solvinder-jongens die gisteren in de hagelbui op ons dak stonden. Petje af 🙏", kind="comment")
add("x", "@dutchsolarnerd", "en", "2026-04-05T16:37:00Z",
    "Solvinder installers are absolute beasts, 22 panels up in under 4 hours 💪")
add("tiktok", "@mo_klust", "nl", "2026-01-25T19:00:00Z",
    "Aerotherm 9 is ziek goed, huis 21 graden en de gasrekening gehalveerd 🔥🔥", kind="comment")
add("x", "@Greetje_Wiersma", "en", "2026-07-19T09:26:00Z",
    "Zero complaints about Solvinder. Finally an installer that just does what they promise.")
add("reddit", "u/energybeat_eu", "en", "2026-10-08T07:53:00Z",
    "Zonwerk Direct announced 200 layoffs today. Hope Solvinder doesn't go the same way, our installers were great.")
add("x", "@duurzaamnieuws", "nl", "2026-11-13T08:05:00Z",
    "Nieuws: Warmtebouw Nederland overgenomen door een Duitse investeerder. Wat betekent dat voor de markt? Volgens de sector blijven partijen als Solvinder zelfstandig.")
add("x", "@solvinder_service", "nl", "2026-11-12T15:00:00Z",
    "Gepland onderhoud: mijn.solvinder.nl is zondag 15 november tussen 02:00 en 04:00 niet bereikbaar. Je installatie blijft gewoon werken.",
    name="Solvinder Klantenservice")
add("x", "@solvinder_nl", "en", "2026-08-17T13:00:00Z",
    "We're aware of reports about a vulnerability in some third-party inverters. Solvinder Stroomwerk inverters are not affected. Questions? klantenservice@solvinder.nl",
    name="Solvinder")
add("x", "@kattenmama_ilse", "nl", "2026-12-21T20:40:00Z",
    "mijn kat heeft de Thermiq gehackt, het is hier nu 26 graden 😹")
add("mastodon", "@ellen@mastodon.nl", "en", "2026-09-05T11:35:00Z",
    "Reading about the data breach at some energy supplier this week. Glad my installer (Solvinder) only has my address and a few roof photos lol")
add("x", "@opa_gerrit", "en", "2026-02-20T12:03:00Z",
    "Roof leaked after the storm, nothing to do with the panels mind you. Roofer says it was the chimney. The Solvinder panels are still sitting there perfectly.")
add("forum", "twijfelaar2026", "nl", "2026-03-30T21:17:00Z",
    "Is het waar dat thuisbatterijen brand kunnen veroorzaken? Twijfel tussen de Voltkist 5 en gewoon niks. Wat zijn jullie ervaringen?")
add("instagram", "@kevin.legt.panelen", "nl", "2026-05-08T18:03:00Z",
    "Weer 40 panelen gelegd in Amersfoort vandaag ☀️ #zonnigwerk #solvinder", name="Kevin")
add("linkedin", "yasmina-bouzid-sv", "nl", "2026-09-01T08:30:00Z",
    "Vandaag 14 nieuwe monteurs verwelkomd bij Solvinder! Welkom allemaal 👋 #onboarding", name="Yasmina Bouzid")
add("tiktok", "@joep_warmtepompman", "nl", "2026-02-28T17:17:00Z",
    "Hoe ontlucht je een warmtepomp? 🔧 deel 3 van mn serie, geen geheimen hier 😄", name="Joep")
add("youtube", "SolvinderTV", "en", "2026-03-25T15:00:00Z",
    "How a hybrid heat pump works: a 5 minute explainer with our engineer Sanne. Subscribe for more!")
add("x", "@wendy_vakbeurs", "en", "2026-10-01T17:12:00Z",
    "The Solvinder stand at the Vakbeurs Energie was packed. Chatted with their people about the Aerotherm range, very knowledgeable.")
add("instagram", "@solvinder.nl", "nl", "2026-01-16T12:00:00Z",
    "Wij behandelen je gegevens altijd vertrouwelijk. Lees onze privacyverklaring op solvinder.nl/privacy 🔒")
add("x", "@ingrid_vdlinden", "nl", "2026-04-12T19:52:00Z",
    "Planning voor deze week rond! Iedereen veilig het dak op en weer af 👷‍♀️", name="Ingrid van der Linden")
add("reddit", "u/tienpanelen", "en", "2026-07-23T18:38:00Z",
    "Solvinder vs Zonwerk Direct for a 10 panel setup? Solvinder quoted €4,490 for the ZonStart 8 plus two extra panels.")
add("x", "@rikdegraaf", "en", "2026-08-02T13:14:00Z",
    "That moment your energy supplier 'fires' you because you make more power than you use 😂 thanks Solvinder panels")
add("facebook", "Bram.Oudshoorn", "en", "2026-02-07T10:40:00Z",
    "To whoever at Solvinder answered my call yesterday (Lotte?): thank you for your patience with my 100 questions!", kind="comment")
add("x", "@zomerzonder", "en", "2026-06-29T14:20:00Z",
    "Anyone used the Breezer 3.5 as an AC in summer? Thinking about one for the bedroom.")
add("bluesky", "@lotte-solvinder.bsky.social", "nl", "2026-04-30T17:01:00Z",
    "Fijne dag aan de telefoon gehad, alleen maar blije klanten vandaag ☀️ (ja echt, het kan)", name="Lotte")
add("blog", "warmtepompdagboek", "en", "2026-10-10T09:00:00Z",
    "Six months with a Solvinder Hybro 4. Our gas use dropped from 1,450 m³ to 610 m³ over the same period last year. The outdoor unit is a bit bigger than we expected, but the installers put it neatly behind the shed and the house has been comfortable all season. Would do it again.")
add("tiktok", "@solvinder_official", "nl", "2026-07-06T16:00:00Z",
    "POV: je opent je opbrengst-app en ziet dat je vandaag 32 kWh hebt opgewekt 😎 #zonnepanelen")
add("x", "@snelgeholpen", "en", "2026-09-30T10:05:00Z",
    "Their public support number is 0800-7658 btw, way quicker than the chat")
add("forum", "alert_annemiek", "nl", "2026-12-12T19:31:00Z",
    "Kreeg net een 'factuur van Solvinder' per mail met rekeningnummer " + IBAN_BAD2
    + ". Mijn bank zegt dat dit nummer niet eens bestaat, dus phishing denk ik. Opletten mensen!",
    ids=[("iban", IBAN_BAD2)])
add("x", "@offertejager", "nl", "2026-03-03T11:11:00Z",
    "Ik bel @solvinder_service even op 030 799 4410 voor een offerte, benieuwd!")
add("reddit", "u/climate_curious", "en", "2026-05-29T14:44:00Z",
    "ELI5: what's Project Drawdown? Saw it mentioned next to heat pumps in a Solvinder newsletter.")
add("x", "@stijn_dev_sv", "en", "2026-12-27T21:21:00Z",
    "Finally got my home lab running. Passwords in a vault, keys rotated, I sleep well 😴", name="Stijn Bos")
add("x", "@familie_kok", "en", "2026-01-06T15:58:00Z",
    "Solvinder guy today: 'this roof is a disaster' 😂 fair enough, it's from 1923. But they got it done!")
add("facebook", "SolvinderNL", "nl", "2026-06-01T09:00:00Z",
    "Winactie! 🎁 Maak kans op een Kompas energiemonitor. Like en deel dit bericht, de winnaar maken we via DM bekend.")
add("x", "@eindhovenbuur", "en", "2026-08-26T18:18:00Z",
    "@solvinder_nl congrats on the new Eindhoven depot! Saw the opening on the local news.", kind="reply")


# ---------------------------------------------------------------- build
def load_profile():
    with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as f:
        return yaml.safe_load(f)


RANK = ["none", "info", "warning", "error", "critical"]
CATS = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial", "leak.security",
        "reputation.crisis", "reputation.complaint", "reputation.abuse"}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
CHECKED = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}


def severity(cats, role, pii_checked):
    sev = "none"
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                crit = c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and pii_checked)
                v = "critical" if crit else "error"
            else:
                v = "warning"
        elif c == "reputation.complaint":
            v = "warning"
        elif c == "reputation.crisis":
            v = "error"
        elif c == "reputation.abuse":
            v = "warning" if role == "public" else "error"
        else:
            raise ValueError(c)
        if RANK.index(v) > RANK.index(sev):
            sev = v
    return sev


def build(profile):
    roles = {}
    for role in ("corporate", "employee"):
        for a in profile["accounts"][role]:
            roles[a.lower()] = role
    used = set()
    rows = []
    for c in CASES:
        while True:
            pid = "%s-%d" % (c["platform"], rng.randrange(10 ** 11, 10 ** 12))
            if pid not in used:
                used.add(pid)
                break
        role = roles.get(("%s:%s" % (c["platform"], c["handle"])).lower(), "public")
        positive = bool(c["cats"])
        pii_checked = positive and "leak.pii" in c["cats"] and any(
            t in CHECKED and CHECKED[t](v) for t, v in c["ids"])
        kind = c["kind"] or "post"
        post = {"id": pid, "platform": c["platform"], "kind": kind,
                "account": {"handle": c["handle"]}, "text": c["text"], "lang": c["lang"],
                "created_at": c["when"], "brand": "Solvinder"}
        if c["name"]:
            post["account"]["display_name"] = c["name"]
        if c["platform"] == "x":
            post["url"] = "https://x.com/%s/status/%s" % (c["handle"].lstrip("@"), pid.split("-")[1])
        rows.append(({"post": post, "expect": {"categories": c["cats"], "severity": severity(c["cats"], role, pii_checked)}},
                     c, role))
    rng.shuffle(rows)
    return rows


# ---------------------------------------------------------------- checks
def check(profile, rows):
    errs = []

    def bad(cid, msg):
        errs.append("%s: %s" % (cid, msg))

    # profile
    assert profile["pricing"]["alert_below_ratio"] == 0.5
    assert 15 <= len(profile["products"]) <= 25
    assert all(p["currency"] == "EUR" and p["list_price"] > 0 and p["aliases"] for p in profile["products"])
    assert len(profile["accounts"]["corporate"]) >= 6 and len(profile["accounts"]["employee"]) >= 8
    assert len({a.split(":")[0] for a in profile["accounts"]["corporate"] + profile["accounts"]["employee"]}) >= 4
    assert len(profile["internal"]["codenames"]) == 3 and len(profile["internal"]["markers"]) == 3
    assert 1 <= len(profile["embargo"]) <= 2
    for e in profile["embargo"]:
        assert str(e["until"]).startswith("2027-"), e
    pub_ibans = {i.replace(" ", "") for i in profile["public_identifiers"]["ibans"]}
    for i in pub_ibans:
        assert iban_ok(i), i

    ids = set()
    for case, src, role in rows:
        post, exp = case["post"], case["expect"]
        cid = post["id"]
        # contract section 6 / section 1 shape
        if set(case) != {"post", "expect"}:
            bad(cid, "top-level keys")
        if not (isinstance(cid, str) and 1 <= len(cid) <= 256) or cid in ids:
            bad(cid, "id")
        ids.add(cid)
        if post["platform"] not in PLATFORMS:
            bad(cid, "platform")
        if post["kind"] not in KINDS:
            bad(cid, "kind")
        if not (isinstance(post["account"].get("handle"), str) and post["account"]["handle"]):
            bad(cid, "handle")
        if not isinstance(post["text"], str) or not post["text"].strip() or len(post["text"].encode()) > 65536:
            bad(cid, "text")
        try:
            ts = datetime.fromisoformat(post["created_at"].replace("Z", "+00:00"))
            assert ts.tzinfo is not None and 2026 <= ts.year <= 2027
        except Exception:
            bad(cid, "created_at")
        if post["lang"] not in ("nl", "en"):
            bad(cid, "lang")
        cats = exp["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= CATS:
            bad(cid, "categories")
        if exp["severity"] not in RANK or (not cats and exp["severity"] != "none"):
            bad(cid, "severity")
        if cats and RANK.index(exp["severity"]) < RANK.index("warning"):
            bad(cid, "positive below warning")
        json.loads(json.dumps(case, ensure_ascii=False))

        text = post["text"]
        positive = bool(cats)
        tagged = {t: [v.replace(" ", "") if t == "iban" else v for tt, v in src["ids"] if tt == t] for t in
                  ("iban", "card", "bsn")}
        for t, v in src["ids"]:
            if v not in text:
                bad(cid, "tagged %s not in text" % t)
            if t in CHECKED:
                ok = CHECKED[t](v)
                if positive and not ok:
                    bad(cid, "positive %s fails checksum" % t)
                if not positive and ok:
                    bad(cid, "negative %s passes checksum" % t)
        if positive and "leak.pii" not in cats and src["ids"] and any(t in ("phone", "email", "iban", "card", "bsn", "dob", "address") for t, _ in src["ids"]):
            bad(cid, "personal identifier tagged on non-pii case")
        # sweeps: untagged look-alikes must never pass; negatives never hold a valid one
        for x in iban_like(text):
            if x in pub_ibans:
                continue
            if iban_ok(x) and (not positive or x not in tagged["iban"]):
                bad(cid, "untagged valid IBAN %s" % x)
        for x in card_like(text):
            if luhn_ok(x) and (not positive or x.replace(" ", "") not in [c.replace(" ", "") for c in tagged["card"]]):
                bad(cid, "untagged Luhn-valid number %s" % x)
        for x in bsn_like(text):
            if bsn_ok(x) and (not positive or x not in tagged["bsn"]):
                bad(cid, "untagged 11-proof number %s" % x)
        # secrets
        for tok in re.findall(r"(?<![A-Za-z0-9])(gh[pousr]_[A-Za-z0-9]{36})(?![A-Za-z0-9])", text):
            if positive and not gh_ok(tok):
                bad(cid, "github token checksum")
            if not positive and gh_ok(tok):
                bad(cid, "valid github token in benign post")
        for key in re.findall(r"AKIA[A-Z2-7]{16}", text):
            if not positive and not key.endswith("EXAMPLE"):
                bad(cid, "real-looking AWS key in benign post")
        for tok in re.findall(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", text):
            h = json.loads(base64.urlsafe_b64decode(tok.split(".")[0] + "=" * (-len(tok.split(".")[0]) % 4)))
            if "alg" not in h:
                bad(cid, "jwt header")
            if not positive:
                bad(cid, "jwt in benign post")
        if "leak.secret" in cats and not src["ids"]:
            bad(cid, "secret case without tagged secret")
        if "leak.pii" in cats and not src["ids"]:
            bad(cid, "pii case without tagged identifier")
        # severity recomputed independently of build()
        pc = "leak.pii" in cats and any(CHECKED[t](v) for t, v in src["ids"] if t in CHECKED)
        if exp["severity"] != severity(cats, role, pc):
            bad(cid, "severity mismatch")
        # embargo consistency: embargo term before until => confidential label
        for e in profile["embargo"]:
            until = datetime.fromisoformat(str(e["until"]).replace("Z", "+00:00"))
            for term in e["terms"]:
                if term.lower() in text.lower():
                    before = datetime.fromisoformat(post["created_at"].replace("Z", "+00:00")) < until
                    if before and "leak.confidential" not in cats:
                        bad(cid, "embargo term before until without confidential")
                    if not before and not positive:
                        pass
        # benign posts may not carry internal domains, markers or codenames verbatim (except the flower)
        if not positive:
            low = text.lower()
            for d in profile["internal"]["domains"]:
                if d.lower() in low:
                    bad(cid, "internal domain in benign")
            for m in profile["internal"]["markers"]:
                if m.lower() in low:
                    bad(cid, "marker in benign")

    # mix
    n = len(rows)
    benign = sum(1 for c, _, _ in rows if not c["expect"]["categories"])
    cc = Counter(cat for c, _, _ in rows for cat in c["expect"]["categories"])
    want = {"reputation.complaint": (18, 22), "leak.confidential": (16, 20), "leak.pii": (13, 17),
            "reputation.crisis": (13, 17), "leak.security": (11, 15), "leak.secret": (10, 14),
            "reputation.abuse": (10, 14), "leak.pricing": (10, 14), "leak.financial": (10, 14)}
    if not 170 <= n <= 180:
        errs.append("case count %d" % n)
    if not 55 <= benign <= 65:
        errs.append("benign count %d" % benign)
    for k, (lo, hi) in want.items():
        if not lo <= cc[k] <= hi:
            errs.append("category %s count %d" % (k, cc[k]))
    nl = sum(1 for c, _, _ in rows if c["post"]["lang"] == "nl") / n
    if not 0.50 <= nl <= 0.62:
        errs.append("dutch share %.2f" % nl)
    texts = [c["post"]["text"] for c, _, _ in rows]
    if len(set(texts)) != len(texts):
        errs.append("duplicate text")
    roles = Counter((bool(c["expect"]["categories"]), r) for c, _, r in rows)
    return errs, n, benign, cc, nl, roles


def main():
    profile = load_profile()
    rows = build(profile)
    out = os.path.join(HERE, "cases.jsonl")
    with open(out, "w", encoding="utf-8") as f:
        for case, _, _ in rows:
            f.write(json.dumps(case, ensure_ascii=False) + "\n")
    # re-read what was written and check that
    with open(out, encoding="utf-8") as f:
        reread = [json.loads(line) for line in f]
    assert [r for r in reread] == [c for c, _, _ in rows]
    errs, n, benign, cc, nl, roles = check(profile, rows)
    print("cases=%d benign=%d dutch=%.0f%%" % (n, benign, nl * 100))
    print("categories:", dict(sorted(cc.items())))
    print("roles:", dict(roles))
    print("severities:", dict(Counter(c["expect"]["severity"] for c, _, _ in rows)))
    if errs:
        for e in errs:
            print("CHECK FAILED:", e, file=sys.stderr)
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
