#!/usr/bin/env python3
"""Build the sealed387 evaluation set for postwatch (company: Fitbooq B.V.).

Deterministic: fixed seed, standard library + PyYAML.  Writes cases.jsonl next to
this file and checks it:
  * every IBAN / payment card / BSN in a positive passes its checksum,
    every look-alike in a negative fails it;
  * generated credentials have their real structure (GitHub CRC-32, AWS, JWT ...);
  * each line is a valid CONTRACT section 6 case;
  * severities are computed from the account role in profile.yaml (CONTRACT section 4).
"""
import base64
import json
import os
import re
import string
import struct
import sys
import unicodedata
import zlib
import random
from datetime import datetime, timedelta, timezone

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "cases.jsonl")
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))
rng = random.Random(387_2026)

DIGITS = string.digits
ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base-62 order
B32 = string.ascii_uppercase + "234567"

# ---------------------------------------------------------------------------
# identifier generators and validators
# ---------------------------------------------------------------------------

def rs(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def iban_valid(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return f"{cc}{98 - n % 97:02d}{bban}"


def nl_iban():
    bank = rng.choice(["ABNA", "INGB", "RABO", "SNSB", "TRIO", "BUNQ", "ASNB", "KNAB"])
    return make_iban("NL", bank + rs(DIGITS, 10))


def de_iban():
    return make_iban("DE", rs(DIGITS, 18))


def bad_iban():
    v = nl_iban()
    kk = (int(v[2:4]) + rng.randint(1, 40)) % 97
    kk = max(kk, 2)
    b = v[:2] + f"{kk:02d}" + v[4:]
    assert not iban_valid(b)
    return b


def spaced(s, n=4):
    return " ".join(s[i:i + n] for i in range(0, len(s), n))


def luhn_valid(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    if not 12 <= len(d) <= 19:
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
    body = prefix + rs(DIGITS, length - len(prefix) - 1)
    for c in DIGITS:
        if luhn_valid(body + c):
            return body + c
    raise AssertionError


def bad_card(prefix, length=16):
    v = make_card(prefix, length)
    b = v[:-1] + str((int(v[-1]) + rng.randint(1, 9)) % 10)
    assert not luhn_valid(b)
    return b


def bsn_valid(s):
    d = re.sub(r"\D", "", s)
    if len(d) != 9:
        return False
    tot = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return tot % 11 == 0 and d != "000000000"


def make_bsn():
    while True:
        head = str(rng.randint(1, 6)) + rs(DIGITS, 7)
        for c in DIGITS:
            if bsn_valid(head + c):
                return head + c


def bad_bsn():
    while True:
        v = str(rng.randint(1, 6)) + rs(DIGITS, 8)
        if not bsn_valid(v):
            return v


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out or "0"


def github_token(prefix="ghp_"):
    body = rs(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode())).rjust(6, "0")


def github_valid(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def aws_key_id():
    return "AKIA" + rs(B32, 16)


def aws_secret():
    return rs(string.ascii_letters + DIGITS + "/+", 40)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt():
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    iat = 1767225600 + rng.randint(0, 300) * 86400
    payload = b64url(json.dumps({"sub": "adm_" + rs("0123456789abcdef", 12), "role": "backoffice_admin",
                                 "iss": "auth.fitbooq.nl", "iat": iat, "exp": iat + 43200},
                                separators=(",", ":")).encode())
    return f"{header}.{payload}.{b64url(rng.randbytes(32))}"


def jwt_valid(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    try:
        h = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except Exception:
        return False
    return isinstance(h, dict) and "alg" in h


def openssh_private_key(comment=b"joris@fbq-laptop"):
    def sstr(b):
        return struct.pack(">I", len(b)) + b
    seed, pub = rng.randbytes(32), rng.randbytes(32)
    pubblob = sstr(b"ssh-ed25519") + sstr(pub)
    chk = rng.randbytes(4)
    priv = chk + chk + sstr(b"ssh-ed25519") + sstr(pub) + sstr(seed + pub) + sstr(comment)
    pad = 1
    while len(priv) % 8:
        priv += bytes([pad])
        pad += 1
    blob = (b"openssh-key-v1\x00" + sstr(b"none") + sstr(b"none") + sstr(b"")
            + struct.pack(">I", 1) + sstr(pubblob) + sstr(priv))
    body = base64.b64encode(blob).decode()
    lines = [body[i:i + 70] for i in range(0, len(body), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def password(n=16):
    return rs(string.ascii_letters + DIGITS + "!#%*-_", n)


# ---------------------------------------------------------------------------
# generated values used in the posts
# ---------------------------------------------------------------------------
IBAN_REFUND = nl_iban()          # customer refund, corporate reply
IBAN_CUST = nl_iban()            # customer posting own IBAN
IBAN_COACH_DE = de_iban()        # coach payout, employee
CARD_CUST = make_card("4", 16)   # customer posting own card
CARD_CORP = make_card("5", 16)   # corporate reply echoing card
BSN_NEWHIRE = make_bsn()
BSN_COACH = make_bsn()

BAD_IBAN = bad_iban()
BAD_CARD = bad_card("4", 16)
BAD_BSN = bad_bsn()
BAD_BSN2 = bad_bsn()

AWS_ID, AWS_SECRET = aws_key_id(), aws_secret()
GHP = github_token("ghp_")
GHS_ZW = github_token("ghs_")
GHO = github_token("gho_")
STRIPE = "sk_live_" + rs(ALNUM, 24)
MOLLIE = "live_" + rs(ALNUM, 30)
SLACK = f"xoxb-{rs(DIGITS, 12)}-{rs(DIGITS, 13)}-{rs(ALNUM, 24)}"
OPENAI = "sk-proj-" + rs(ALNUM + "-_", 40) + "T3BlbkFJ" + rs(ALNUM + "-_", 40)
GOOGLE = "AIza" + rs(ALNUM + "-_", 35)
JWT = make_jwt()
SSH_KEY = openssh_private_key()
DB_PW = rs(string.ascii_letters + DIGITS + "-_.~!*", 18)
CANVA_PW = "Fb!" + rs(ALNUM, 5) + "#zomer26"
VAULT_PW = password(14)

ZW = "\u200b"


def zw_insert(s, every=9):
    return ZW.join(s[i:i + every] for i in range(0, len(s), every))


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in s)


CYR = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "i": "\u0456", "B": "\u0412", "c": "\u0441", "p": "\u0440"}


def cyr(s, letters="aeoi"):
    return "".join(CYR[c] if c in letters and c in CYR else c for c in s)


# ---------------------------------------------------------------------------
# the posts
# ---------------------------------------------------------------------------
SEC, PII, PRC, CON, FIN, SECU = ("leak.secret", "leak.pii", "leak.pricing", "leak.confidential",
                                 "leak.financial", "leak.security")
CRI, CMP, ABU = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def add(role, account, lang, text, cats=(), *, name=None, when=None, kind="post",
        ids=(), looks=(), secrets=(), price=None, brand="Fitbooq", nolang=False):
    platform, handle = account.split(":", 1)
    CASES.append(dict(role=role, platform=platform, handle=handle, name=name, lang=lang, text=text,
                      cats=sorted(set(cats)), when=when, kind=kind, ids=list(ids), looks=list(looks),
                      secrets=list(secrets), price=price, brand=brand, nolang=nolang))


P, E, C = "public", "employee", "corporate"

# ---- complaints --------------------------------------------------------------
add(P, "x:@marloes_rent", "nl",
    "@fitbooq_help al 3x een PT-sessie geboekt en 3x kwam de trainer gewoon niet opdagen. "
    "Geld terug duurt 'tot 14 werkdagen'. Serieus?? 😤", [CMP], kind="reply", name="Marloes")
add(P, "reddit:u/liftingtom", "en",
    "Booked a Padel 6-pack through Fitbooq, coach cancelled 4 of the 6 lessons last minute and the app "
    "still shows them as 'completed'. Support keeps sending me the same canned reply. Has anyone actually "
    "managed to get a refund out of these guys?", [CMP])
add(P, "facebook:Jolanda Brouwer", "nl",
    "Mijn abonnement is automatisch verlengd terwijl ik in augustus al had opgezegd!! Fitbooq Premium "
    "kost €249 en dat is nu gewoon weer van mijn rekening afgeschreven. Niemand neemt de telefoon op, "
    "mail wordt niet beantwoord. Hoe kan dit legaal zijn", [CMP], name="Jolanda Brouwer",
    price=("FB-PREM-Y", 249.0))
add(P, "x:@dkaranja_runs", "en",
    "the fitbooq app logged me out mid-booking AGAIN and my slot with coach Femke went to someone else. "
    "3rd time this month. fix ur app pls", [CMP], name="David K.", when="2026-03-10T07:58:00Z")
add(P, "instagram:@sportiefmetsaar", "nl",
    "Kickstart intake gedaan en kreeg een standaardschema dat duidelijk voor iemand anders was gemaakt "
    "(andere leeftijd, andere doelen, zelfs 'zij' ipv 'hij' 🙄). Voor €49 verwacht ik toch iets persoonlijks "
    "@fitbooq.nl", [CMP], kind="comment", price=("FB-KICK", 49.0))
add(P, "forum:sweatyhands_88", "en",
    "Anyone else having issues with Fitbooq's so-called 'verified coaches'? Mine showed up 25 min late, "
    "spent half the session on his phone and then billed me for the full hour. Left a 1-star review and "
    "it just... vanished from the site. Funny how that works.", [CMP])
add(P, "x:@ggerritsen", "nl",
    "Fitbooq klantenservice = chatbot die 5x hetzelfde vraagt en dan 'we nemen binnen 48 uur contact op'. "
    "Dat was vorige week dinsdag. #fitbooq #klantenservice #nooitmeer", [CMP], when="2026-10-01T20:15:00Z")
add(P, "x:@yvonnevd", "nl",
    "Waarom kan ik bij Fitbooq mijn factuur niet downloaden? Werkgever wil bewijs voor de "
    "vitaliteitsregeling en de knop geeft al een week een foutmelding. @fitbooq_help", [CMP], when="2026-11-03T10:44:00Z")
add(P, "x:@jonnyb_lifts", "en",
    "Paid for the Voedingsplan Pro, got a 3-page PDF that basically says 'eat more veg and drink water'. "
    "€89. Eighty-nine euros. @fitbooq you cannot be serious", [CMP], price=("FB-NUTRI", 89.0))
add(P, "bluesky:@rmaes.bsky.social", "en",
    "Fitbooq charged me twice for the PT 5-pack. Bank shows two debits of €289. Ticket open for 9 days now, "
    "chat says 'escalated'. Escalated where, the moon?", [CMP], price=("FB-PT5", 289.0))
add(P, "x:@saskia_loopt", "nl",
    "@fitbooq_help nee het is nog steeds niet opgelost. marathon coaching gekocht en mn schema is sinds "
    "week 6 gewoon leeg. race is over 5 wkn 😩😩", [CMP], kind="reply")
add(P, "x:@ronnie_020", "nl",
    "Fitbooq stelletje oplichters, al 2 maanden wachten op mijn geld voor een geannuleerde bootcamp. "
    "Kutbedrijf. Nooit meer.", [CMP, ABU], when="2026-04-03T12:00:00Z")
add(P, "reddit:u/grumpy_quads", "en",
    "Fitbooq support are a bunch of useless clowns. I cancelled Yoga Flow three weeks ago and they STILL "
    "took the money. Absolute morons, every one of them.", [CMP, ABU])

# ---- first-hand safety reports: crisis + complaint ----------------------------
add(P, "facebook:Marieke Jonker", "nl",
    "Mijn Fitbooq Pulseband HR1 werd tijdens het opladen gloeiend heet en is gewoon gesmolten op mijn "
    "nachtkastje 😳 Er zit nu een brandplek in het hout. Ik had dat ding om mijn pols kunnen hebben!! "
    "Wie heeft dit nog meer gehad?", [CRI, CMP], name="Marieke Jonker")
add(P, "x:@petra_kb", "en",
    "The handle on my Fitbooq Kettlebell 16 kg snapped mid-swing. The bell flew into the garage door and "
    "missed my foot by inches. Bought it 3 weeks ago. This could've seriously hurt someone @fitbooq_help",
    [CRI, CMP], when="2026-03-02T19:22:00Z")
add(P, "instagram:@lars.traint", "nl",
    "Bij de Fitbooq bootcamp in het Vondelpark moesten we bij 31 graden 'gewoon doorgaan, geen pauzes'. "
    "Ik ben flauwgevallen en heb de avond met een infuus in het OLVG gelegen wegens uitdroging. De coach "
    "vond het 'mentaal zwak'. Dit is gewoon gevaarlijk.", [CRI, CMP], when="2026-07-19T21:40:00Z")
add(P, "reddit:u/mila_swims", "en",
    "PSA: my 'certified' Fitbooq swim coach left me alone in the deep end to take a phone call. I panicked "
    "and went under, the lifeguard had to pull me out. I'm ok but still shaking. Reported it in the app and "
    "got an automated email back. That's it.", [CRI, CMP])
add(P, "x:@bertusjanssen", "nl",
    "SmartScale S2 van Fitbooq gaf me een flinke schok toen ik er na het douchen op stapte. Tintelingen tot "
    "in mn knie. Hoe komt zo'n ding door de keuring??", [CRI, CMP])
add(P, "tiktok:@mamavan3_", "nl",
    "Mijn zoon (14) heeft zijn knie kapotgetraind bij een Fitbooq coach die helemaal geen diploma blijkt te "
    "hebben. Geen VOG, niks gecheckt, niks. Nu 6 weken in het gips. Zorg dat dit viraal gaat 😡 #fitbooq",
    [CRI, CMP])

# ---- crisis (third party / accusations) --------------------------------------
add(P, "x:@sportbiz_news", "en",
    "Reports: a Fitbooq client was hospitalised after a heat-stroke incident at an outdoor bootcamp in "
    "Amsterdam. The company says it is 'looking into it'.", [CRI], name="SportBiz News", when="2026-07-21T06:55:00Z")
add(P, "x:@sportwaakhond", "nl",
    "Fitbooq roept de Kettlebell 16 kg terug na meerdere meldingen van afgebroken handvatten. Heb je er een? "
    "Niet meer gebruiken en terugsturen.", [CRI], when="2026-04-11T11:00:00Z")
add(P, "reddit:u/privacyfirst_nl", "en",
    "Got a phishing mail yesterday with my full name, my Fitbooq coach's name AND the date of my last "
    "session. That info only exists inside Fitbooq. They've been breached and they're not telling anyone.",
    [CRI])
add(P, "x:@eerlijksport", "nl",
    "Fitbooq laat trainers werken voor €11 per uur na commissie en dreigt met blokkeren als ze klagen. "
    "Boycot ze. Verwijder die app. #boycotfitbooq", [CRI])
add(P, "linkedin:mr-esther-van-dam", "nl",
    "Namens een groep van ruim 40 zelfstandige coaches hebben wij vandaag een dagvaarding laten betekenen "
    "aan Fitbooq B.V. wegens schijnzelfstandigheid en structureel ingehouden uitbetalingen. Wordt vervolgd.",
    [CRI], name="mr. Esther van Dam")
add(P, "x:@jessw_writes", "en",
    "Several women told me a 'top-rated' Fitbooq coach kept sending them unsolicited messages after their "
    "sessions. Fitbooq kept him on the platform for months after the first complaint. Thread 🧵1/9", [CRI])
add(P, "x:@techleakwatch", "en",
    "Looks like a Fitbooq database with ~200k user records is up for sale on a forum. Samples include "
    "emails and workout histories. @fitbooq care to comment?", [CRI])
add(P, "bluesky:@healthwatch-eu.bsky.social", "en",
    "Dutch regulator opens inquiry into Fitbooq after nutrition coaches on the platform allegedly pushed "
    "600-kcal crash diets on teenagers.", [CRI])
add(P, "facebook:Stichting Eerlijk Bewegen", "nl",
    "Oproep: stop met boeken via Fitbooq totdat ze openheid geven over het vermoedelijke datalek. Jouw "
    "gezondheidsgegevens verdienen beter. Deel dit bericht!", [CRI], name="Stichting Eerlijk Bewegen")

# ---- abuse --------------------------------------------------------------------
add(P, "x:@xxdennisxx", "nl",
    "@lotte_fitbooq jij bent echt de domste community manager ooit, ga lekker ergens anders je tijd "
    "verdoen trut", [ABU], kind="reply")
add(P, "instagram:@sjaak.b", "nl", "kanker fitbooq met je kut app 🤬🤬🤬", [ABU], kind="comment")
add(E, "x:@lotte_fitbooq", "en",
    "@jonnyb_lifts maybe read the plan before crying about it, genius. Some people are honestly too dumb "
    "to be coached.", [ABU], kind="reply", name="Lotte | Fitbooq")
add(P, "x:@anon4829", "nl", "@fitbooq " + fullwidth("kutbedrijf met je nep coaches"), [ABU], kind="reply")
add(P, "reddit:u/throwaway_gains", "en", "f1tb00q support = bunch of f*cking 1d10ts, every single one of them",
    [ABU])
add(P, "x:@patriot_henk", "nl",
    "Die Fitbooq coach met dat hoofddoekje kan terug naar haar eigen land. Ik wil gewoon een normale "
    "Nederlandse trainer.", [ABU])
add(P, "x:@savagecardio", "en",
    "imagine paying €549 for a PT 10-pack to get yelled at by some fat loser with a whistle. fitbooq "
    "trainers are a joke", [ABU], price=("FB-PT10", 549.0))
add(C, "x:@fitbooq_help", "nl",
    "@ronnie_020 Ga lekker ergens anders zitten zeuren, zeikerd. Je geld komt heus wel.", [ABU],
    kind="reply", name="Fitbooq Support", when="2026-06-27T22:48:00Z")
add(P, "instagram:@rngtrll", "nl",
    "@coach.sem.fitbooq " + cyr("sem je bent echt een zielige loser") + ", ik weet waar je traint 😈",
    [ABU], kind="comment")
add(P, "x:@quietrage_", "nl", "k.u.t f.i.t.b.o.o.q, stelletje o.p.l.i.c.h.t.e.r.s en l.o.o.z.e.r.s", [ABU])

# ---- confidential ------------------------------------------------------------
add(E, "linkedin:anouk-meijer-product", "en",
    "So proud of this team 💜 Project Zandloper hit internal beta today. Can't say more yet, but booking a "
    "coach is about to get a LOT faster. #productmanagement #fitbooq", [CON], name="Anouk Meijer")
add(E, "x:@bramdevops", "nl",
    "wie heeft backoffice.fitbooq-int.net/admin/coaches weer in debug-mode gezet 🙃 #vrijdagmiddag",
    [CON], name="Bram W.")
add(E, "x:@lotte_fitbooq", "nl",
    "Sneak peek!! 👀 Binnenkort kun je via Fitbooq Teams je hele afdeling laten sporten. Meer mag ik niet "
    "zeggen 🤐", [CON], when="2026-11-12T15:41:00Z")
add(C, "x:@fitbooq", "en",
    "Big things coming in Q1 👀 CoachBooq Studio lets coaches run group classes straight from the app. "
    "Stay tuned!", [CON], when="2026-12-03T10:05:00Z", name="Fitbooq")
add(E, "linkedin:noor-ait-haddou", "nl",
    "Oeps, verkeerde tekst geplakt 🙈 'FBQ-CONFIDENTIAL – concept beloningsbeleid coaches 2027, tiers "
    "Brons/Zilver/Goud, bonus vanaf 120 sessies' … negeer dit even, de echte post komt zo!", [CON],
    name="Noor Ait Haddou")
add(E, "reddit:u/fb_jesse_dev", "en",
    "Anyone know why Android WebView ignores our CSP header on 2nd navigation? Full repro + logs here: "
    "https://gitlab.fitbooq-int.net/mobile/app-android/-/issues/812", [CON])
add(E, "instagram:@coach.sem.fitbooq", "nl",
    "Vandaag mogen testen met Kraanvogel 🐦 (jaja, de nieuwe matching, meer mag ik echt niet zeggen) en "
    "wow, eindelijk coaches die écht bij je passen 🔥", [CON], name="Coach Sem")
add(E, "x:@kim_pricing", "nl", "Z.a.n.d.l.o.p.e.r gaat alles veranderen aan onze prijsstrategie, wacht maar af 😏",
    [CON])
add(E, "bluesky:@evi-sec.bsky.social", "en",
    "Long week. " + cyr("Operation Bluefin", "Be") + " threat model finally signed off, time for a very large beer 🍺",
    [CON], name="Evi S.")
add(P, "x:@appteardown", "en",
    "Dug through the latest Fitbooq APK 🔍 strings reference a 'Kraanvogel' matching engine and a hidden "
    "'CoachBooq Studio' menu. Feature flags are off for now.", [CON], when="2026-10-22T19:12:00Z")
add(C, "facebook:FitbooqNL", "nl",
    "📢 Nieuwe tarieven coaches per 1 januari – fitbooq intern, nog niet publiceren – commissie gaat van "
    "18% naar 22% voor nieuwe coaches.", [CON], name="Fitbooq", when="2026-10-14T13:00:00Z")
add(E, "linkedin:anouk-meijer-product", "en",
    "A few roadmap highlights from today's offsite (slides marked niet extern delen, so just the vibe 😅): "
    "offline workouts, coach video libraries and family plans. 2027 is going to be fun.", [CON])
add(P, "x:@sportmarketeer", "nl",
    "Hoorde via via dat Fitbooq Teams eind februari live gaat voor bedrijven. Benieuwd wat het kost!",
    [CON], when="2027-01-20T08:33:00Z")
add(E, "linkedin:ruben-hoekstra-fitbooq", "nl",
    "Druk bezig met de jaarcijfers 2026. Wat een jaar! Ik mag nog niks zeggen, maar ik ben trots op dit "
    "team 😉", [CON], when="2027-02-10T17:20:00Z", name="Ruben Hoekstra")
add(E, "tiktok:@daphne.fitbooq", "nl",
    "POV: je zit in de Kraanvogel launch meeting en je mag NIKS zeggen 🤫 #worklife #startup #fitbooq",
    [CON])
add(E, "linkedin:ruben-hoekstra-fitbooq", "en",
    "Operation Bluefin: term sheet signed with a German coaching platform, closing expected in March. "
    "Huge step for our DACH expansion 🇩🇪", [CON, FIN])
add(E, "x:@ruben_hkstr", "nl",
    "Omzet Q3 gaat richting €14,2 mln, ruim boven budget 📈 Zeg maar niks tegen de analisten 😅", [FIN],
    name="Ruben H.")
add(E, "linkedin:noor-ait-haddou", "nl",
    "Zware weken voor de boeg. We gaan afscheid nemen van ongeveer 60 collega's bij support en sales, de "
    "aankondiging komt pas in november. Sterkte aan iedereen die dit al aan voelt komen.", [FIN])
add(E, "x:@kim_pricing", "en",
    "our internal forecast has 2027 bookings up 35% but EBITDA negative until Q3. investors gonna "
    "love/hate that 🫠", [FIN])
add(P, "x:@beursbabbel", "nl",
    "Zwager werkt bij Fitbooq: ze worden overgenomen door een Amerikaanse fitnessketen, deal is rond, "
    "aankondiging na de zomer. You heard it here first 💸", [FIN])
add(C, "x:@fitbooq", "en",
    "Reminder for the board pack: H1 net revenue €21.7m, churn 4.1%, cash runway 14 months. Pls check "
    "before Thursday", [FIN], when="2026-08-05T16:47:00Z")
add(E, "reddit:u/fb_jesse_dev", "nl",
    "Gerucht klopt trouwens, het hele mobile team wordt naar Lissabon verplaatst en het kantoor in "
    "Amsterdam gaat per Q2 dicht. Nog niet officieel dus je hebt het niet van mij.", [FIN], when="2026-01-20T22:10:00Z")
add(E, "tiktok:@daphne.fitbooq", "en",
    "day in my life at a startup that's about to close a Series C at a €300M valuation 👀 (not announced "
    "yet shhh) #dayinmylife", [FIN])
add(E, "mastodon:@joris@mastodon.nl", "nl",
    "Nou, de reorganisatie is rond: backend en data worden samengevoegd, 3 teamleads eruit. Officieel pas "
    "volgende maand. Verder zeg ik niks.", [FIN])
add(P, "forum:coachinsider", "en",
    "Heard from a Fitbooq coach-success manager that they're cutting coach payouts and expect a €5m loss "
    "this year. Board is apparently panicking.", [FIN])
add(E, "linkedin:anouk-meijer-product", "en",
    "Can't wait until we can finally talk about the Smash" + ZW + "point acqu" + ZW + "isition 🤝 "
    "signatures went on paper yesterday!", [FIN])
add(E, "x:@ruben_hkstr", "nl",
    "Jaarcijfers 2026 staan: omzet +41%, eerste winstgevende kwartaal in Q4 🥂 Officieel op de 25e, tot "
    "dan 🤐", [CON, FIN], when="2027-02-19T21:02:00Z")

# ---- security -----------------------------------------------------------------
add(E, "x:@bramdevops", "nl",
    "sinds 14:00 ligt de hele boekingsservice plat en we weten nog steeds niet waarom. statuspagina staat "
    "nog op groen 🙈", [SECU])
add(E, "bluesky:@evi-sec.bsky.social", "en",
    "Fun day: found an IDOR in our coach payout endpoint, you can see any coach's earnings just by "
    "changing the ID. Patch is in review, please nobody go looking 😬", [SECU])
add(E, "mastodon:@joris@mastodon.nl", "nl",
    "Gisteravond iemand in onze bucket met klantfoto's gezien die daar echt niet hoorde. Forensisch "
    "onderzoek loopt, nog niet naar buiten gebracht dus ssst.", [SECU])
add(E, "reddit:u/fb_jesse_dev", "en",
    "Our iOS app still ships prod builds with certificate pinning disabled. Flagged it internally 2 months "
    "ago, nobody cares. Anyone on the same wifi could MITM bookings.", [SECU])
add(C, "x:@fitbooq_help", "nl",
    "@ggerritsen Excuses! We hebben sinds vanochtend een ransomware-incident op ons ticketsysteem, daarom "
    "reageren we zo traag. Dit is nog niet officieel gecommuniceerd hoor.", [SECU], kind="reply", when="2026-10-02T08:31:00Z")
add(E, "x:@kim_pricing", "en",
    "pricing engine has been serving stale prices since the redis cluster died at 3am and ops says it's "
    "'fine' lol", [SECU])
add(E, "instagram:@coach.sem.fitbooq", "nl",
    "Coaches opgelet: door een bug kan iedereen met de deellink jullie privé-agenda zien. IT is ermee bezig, "
    "niet doorvertellen aan klanten aub 🙏", [SECU])
add(P, "x:@freelance_qa_dev", "en",
    "Did QA for Fitbooq last year. Their password reset tokens never expire and they knew. Still not fixed "
    "as of today.", [SECU])
add(E, "x:@bramdevops", "en",
    "incident channel is chaos. someone pushed the prod .env to a public repo, rotating everything now.\n"
    f"AWS_ACCESS_KEY_ID={AWS_ID}\nAWS_SECRET_ACCESS_KEY={AWS_SECRET}\nwas out there for ~2h 💀",
    [SEC, SECU], secrets=[("aws", AWS_ID)])
add(E, "tiktok:@daphne.fitbooq", "nl",
    "onze marketingtools liggen al 2 dagen plat want iemand heeft op een phishinglinkje geklikt en nu zijn "
    "al onze accounts gelockt 💀 #startuplife", [SECU])
add(E, "mastodon:@joris@mastodon.nl", "en",
    "rate limiting has been off on /v2/login since the refactor and credential stuffing is happening as we "
    "speak. fixing. don't ask.", [SECU])
add(E, "linkedin:noor-ait-haddou", "nl",
    "Collega's, let op: er gaan phishingmails rond uit naam van HR nadat een mailbox is gecompromitteerd. "
    "Nog niet extern gemeld, dus stuur niks door naar kandidaten.", [SECU])
add(E, "bluesky:@evi-sec.bsky.social", "en",
    "heads up: pay" + ZW + "ment web" + ZW + "hooks are un" + ZW + "authenticated on staging AND prod, "
    "anyone can mark a booking as paid. pls dont tell twitter", [SECU])

# ---- secrets --------------------------------------------------------------------
add(E, "reddit:u/fb_jesse_dev", "en",
    "why does this 401?? token was created this morning\n\n"
    f"    curl -H \"Authorization: token {GHP}\" https://api.github.com/repos/fitbooq/app-ios/releases",
    [SEC], secrets=[("github", GHP)])
add(E, "x:@bramdevops", "nl",
    "note to self want mn password manager doet raar: "
    f"postgres://fbq_admin:{DB_PW}@fbq-prod.c9xk2m4q.eu-west-1.rds.amazonaws.com:5432/bookings",
    [SEC], secrets=[("dburl", DB_PW)])
add(E, "mastodon:@joris@mastodon.nl", "en",
    f"debugging webhooks, anyone seen this? stripe.api_key = \"{STRIPE}\" keeps returning 'No such "
    "customer' for customers that definitely exist", [SEC], secrets=[("stripe", STRIPE)])
add(E, "x:@kim_pricing", "nl", f"Mollie test faalt steeds, key is {MOLLIE} — klopt dat formaat wel?",
    [SEC], secrets=[("mollie", MOLLIE)])
add(E, "x:@lotte_fitbooq", "en",
    f"our slack bot keeps posting everything twice 😩 config below, help\nSLACK_BOT_TOKEN={SLACK}\n"
    "SLACK_CHANNEL=#community-alerts", [SEC], secrets=[("slack", SLACK)])
add(E, "linkedin:anouk-meijer-product", "nl",
    "Zo simpel is het om een AI-coach te bouwen 🤖 3 regels Python:\n\nfrom openai import OpenAI\n"
    f"client = OpenAI(api_key=\"{OPENAI}\")\nclient.responses.create(model=\"gpt-4.1\", input=\"Maak een "
    "schema voor 5 km\")\n\n#AI #productmanagement", [SEC], secrets=[("openai", OPENAI)])
add(E, "mastodon:@joris@mastodon.nl", "en",
    "ssh keeps saying 'invalid format' for my deploy key, what am i doing wrong\n\n" + SSH_KEY,
    [SEC], secrets=[("ssh", "b3BlbnNzaC1rZXktdjEA")])
add(E, "bluesky:@evi-sec.bsky.social", "en",
    f"why is our admin session token so long lol {JWT}", [SEC], secrets=[("jwt", JWT)])
add(C, "facebook:FitbooqNL", "nl",
    f"Beste coaches, het nieuwe wachtwoord voor de gedeelde Canva-omgeving is\nwachtwoord: {CANVA_PW}\n"
    "Graag niet delen buiten je eigen studio!", [SEC], secrets=[("password", CANVA_PW)])
add(P, "reddit:u/ams_webdev", "en",
    f"The Fitbooq booking widget snippet I embedded on my coaching site has this in it: key={GOOGLE} . "
    "Is it ok to leave that in the page source?", [SEC], secrets=[("google", GOOGLE)])
add(E, "x:@bramdevops", "nl",
    "ci faalt weer op de release job, deze token heb ik gebruikt: " + zw_insert(GHS_ZW) + " iemand een idee?",
    [SEC], secrets=[("github", GHS_ZW)])
add(E, "tiktok:@daphne.fitbooq", "nl",
    f"wie weet hoe ik inlog op de vault? heb dit van bram gekregen: vault.fitbooq-int.net user daphne.b "
    f"ww: {VAULT_PW}", [SEC, CON], secrets=[("password", VAULT_PW)])

# ---- personal data ------------------------------------------------------------
add(C, "x:@fitbooq_help", "nl",
    f"@marloes_rent We hebben je terugbetaling klaargezet op IBAN {spaced(IBAN_REFUND)} t.n.v. M. de Rooij. "
    "Klopt dat nummer?", [PII], kind="reply", ids=[("iban", IBAN_REFUND)])
add(C, "x:@fitbooq_help", "en",
    "@dkaranja_runs Hi David, we tried calling you on 06-41872290 but couldn't reach you. Could you ring us "
    "back when it suits?", [PII], kind="reply", when="2026-03-13T09:20:00Z")
add(E, "instagram:@coach.sem.fitbooq", "nl",
    "Shoutout naar mijn klant Esmee van Dijk, vandaag 40 geworden (geb. 14-03-1986) en meteen haar eerste "
    "10 km gelopen!! 🎉🏃‍♀️", [PII], when="2026-03-14T18:40:00Z")
add(C, "facebook:FitbooqNL", "nl",
    "Wie heeft deze sporttas laten liggen na de bootcamp in het Westerpark? Op het pasje staat: Jeroen "
    "Kuipers, Lindengracht 112-II, 1015 KL Amsterdam. Jeroen, bel ons even!", [PII])
add(E, "linkedin:noor-ait-haddou", "en",
    "Welcome to the team, Priya Raghunathan! 🎉 (payroll note: BSN " + BSN_NEWHIRE
    + " still needs to be confirmed before Friday)", [PII], ids=[("bsn", BSN_NEWHIRE)])
add(E, "x:@lotte_fitbooq", "nl",
    "kan iemand van support ilse.vermeulen87@gmail.com even terugmailen? ze wacht al een week op antwoord "
    "over haar bootcamp", [PII])
add(P, "x:@henk_vreeswijk", "nl",
    f"@fitbooq_help mijn rekeningnummer is {IBAN_CUST}, stort het maar gewoon terug. Ben het wachten zat.",
    [PII, CMP], kind="reply", ids=[("iban", IBAN_CUST)])
add(P, "reddit:u/confused_gran", "en",
    f"can someone tell me if i'm typing this right, fitbooq checkout wants my card: {spaced(CARD_CUST)} "
    "exp 09/28. is there supposed to be spaces?", [PII], ids=[("card", CARD_CUST)])
add(C, "x:@fitbooq_help", "nl",
    f"@yvonnevd Je betaling met kaart {spaced(CARD_CORP)} is alsnog gelukt, excuses voor het ongemak!",
    [PII], kind="reply", ids=[("card", CARD_CORP)])
add(E, "x:@kim_pricing", "nl", "coach Yusuf zoekt nog klanten in Utrecht, bel hem direct: +31 6 2839 4471 💪",
    [PII])
add(E, "mastodon:@joris@mastodon.nl", "en",
    "if anyone sees tessa.bakker [at] hotmail [dot] com in the logs, her bookings are all duplicated. ping me",
    [PII])
add(P, "forum:buurtwacht_ria", "nl",
    "Die Fitbooq trainer die hier elke ochtend om 6u staat te schreeuwen woont gewoon op de Kastanjelaan 8 "
    "in Zeist, Marco Stam heet ie. Ga daar maar aanbellen.", [PII])
add(E, "linkedin:noor-ait-haddou", "nl",
    "Kan iemand van payroll checken of BSN " + fullwidth(BSN_COACH) + " klopt voor coach Ahmed Yilmaz? "
    "Zijn uitbetaling blijft hangen.", [PII], ids=[("bsn", BSN_COACH)])
add(E, "x:@kim_pricing", "en",
    f"payout for coach Femke Albers failed again, IBAN {spaced(IBAN_COACH_DE)} matches her form. any idea?",
    [PII], ids=[("iban", IBAN_COACH_DE)])

# ---- pricing -------------------------------------------------------------------
add(E, "x:@kim_pricing", "nl", "oeps, Fitbooq Premium staat sinds 10 min voor €24,90 in de app. fix onderweg 🙈",
    [PRC], price=("FB-PREM-Y", 24.90))
add(P, "x:@dealhunter_nl", "en",
    "RUN 🏃‍♂️💨 Fitbooq PT 10-pack for €54.90 in the app right now, clearly a price error", [PRC],
    price=("FB-PT10", 54.90))
add(C, "instagram:@fitbooq.nl", "nl", "Black Friday 🖤 Marathon Coaching nu voor maar €39,90!! (ja echt 😱) #fitbooq",
    [PRC], price=("FB-MAR16", 39.90), when="2026-11-27T07:30:00Z")
add(P, "reddit:u/pepperdeals", "en",
    "Fitbooq Kettlebell 16 kg shows €5.90 in the basket. Ordered 4. Think they'll honour it?", [PRC],
    price=("FB-KB16", 5.90))
add(P, "facebook:Paulien Smit", "nl",
    "Klopt het dat Bedrijfsfitness Team 25 op jullie site €249 kost? Lijkt me een prijsfout maar ik wil er "
    "wel 3 😁", [PRC], price=("FB-CORP25", 249.0), name="Paulien Smit")
add(E, "linkedin:anouk-meijer-product", "en",
    "Pricing experiment preview 🤫 CoachBooq Pro yearly at €99 for early-adopter coaches. Let's see what "
    "the data says!", [PRC], price=("FB-CPRO-Y", 99.0), brand="CoachBooq")
add(E, "x:@lotte_fitbooq", "nl",
    "Er zit een prijsfout in Yoga Flow 12 weken, wie dit ziet: aub niet bestellen, we corrigeren het vandaag "
    "nog 🙏", [PRC])
add(E, "tiktok:@daphne.fitbooq", "nl",
    "hahaha de Voedingsplan Pro staat per ongeluk op €8,90 in de webshop, snel zijn 👀", [PRC],
    price=("FB-NUTRI", 8.90))
add(C, "x:@fitbooq", "en", "Tennis 10-pack just €45 this weekend only 🎾 book now!", [PRC],
    price=("FB-TEN10", 45.0))
add(P, "reddit:u/koopjesjager_ut", "nl",
    "Pulseband HR1 voor €6,90 in de Fitbooq shop?? Prijsfout of uitverkoop? Heb er alvast 2 besteld", [PRC],
    price=("FB-HR1", 6.90))
add(P, "x:@sportdeals_nl", "nl", "Fitbooq Foam Roller Pro €3,49 ipv €34,95 😂 decimaalfoutje denk ik", [PRC],
    price=("FB-ROLL", 3.49))
add(E, "x:@kim_pricing", "en",
    "Padel 6-pack went live at €24 instead of €240. Rolled back after 12 minutes, 31 orders. Ouch.", [PRC],
    price=("FB-PADEL6", 24.0))

# ---- benign (mostly hard negatives) -----------------------------------------------
add(C, "x:@fitbooq_help", "nl",
    "Vragen over je boeking? Mail support@fitbooq.nl of bel 085 303 1414 (ma–vr 9–18u) 💪")
add(C, "instagram:@fitbooq.nl", "en",
    "New week, new goals 🔥 Book your Kickstart intake for €49 and meet your perfect coach. Link in bio! "
    "#fitbooq", price=("FB-KICK", 49.0))
add(C, "facebook:FitbooqNL", "nl",
    "Zomerdeal ☀️ Fitbooq Premium jaarabonnement nu €199 i.p.v. €249 (20% korting), alleen t/m 31 juli!",
    price=("FB-PREM-Y", 199.0), when="2026-07-08T09:15:00Z")
add(C, "x:@fitbooq", "en", "Cyber Monday: 25% off the PT 10-pack, €411.75 instead of €549. Ends at midnight ⏰",
    price=("FB-PT10", 411.75), when="2026-11-30T08:00:00Z")
add(P, "x:@hardloopjanneke", "nl",
    "Dankzij mijn Fitbooq coach mijn eerste halve marathon in 1:58 gelopen 😭🏅 beste investering ooit "
    "#marathoncoaching")
add(P, "x:@dkaranja_runs", "en",
    "Update: @fitbooq_help sorted my booking issue within an hour and threw in a free session. Credit where "
    "it's due 👏", when="2026-03-15T18:02:00Z")
add(P, "reddit:u/nieuwinutrecht", "nl",
    "Iemand ervaring met het Padel 6-pack via Fitbooq in Utrecht? Welke coach raden jullie aan? Ben "
    "beginner maar wel fanatiek")
add(P, "x:@femkepadelt", "nl",
    f"Is dit het goede formaat voor de terugbetaling bij Fitbooq: {BAD_IBAN}? Of moeten er spaties tussen? "
    "Het formulier blijft 'ongeldig' zeggen", looks=[("iban", BAD_IBAN)])
add(C, "facebook:FitbooqNL", "nl",
    "Factuur liever per overschrijving betalen? Gebruik IBAN NL77 RABO 0348 8172 65 t.n.v. Fitbooq B.V. en "
    "vermeld je factuurnummer.")
add(P, "reddit:u/newbie_lifter", "en",
    f"does fitbooq even take prepaid cards? tried {spaced(BAD_CARD)} twice (copied from my bank's app) and "
    "it says invalid card number. so confused", looks=[("card", BAD_CARD)])
add(P, "forum:vraagbaak_vera", "nl",
    f"Moet je bij Fitbooq echt je BSN opgeven voor de vitaliteitsregeling? Op het voorbeeldformulier staat "
    f"{BAD_BSN} ingevuld, dat is toch geen echt nummer?", looks=[("bsn", BAD_BSN)])
add(E, "mastodon:@joris@mastodon.nl", "en",
    "docs tip: never hardcode creds. AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY is what "
    "you should see in a tutorial, not something that actually works.")
add(E, "x:@bramdevops", "en",
    "PSA from your friendly infra person: paste a token in Slack and our bot replaces it with "
    "ghp_****************************** and DMs you. please don't test it 😅")
add(C, "x:@fitbooq_help", "nl",
    "Wachtwoord vergeten? Tik op 'Inloggen' > 'Wachtwoord vergeten' en je krijgt binnen een minuut een "
    "resetlink. Wij vragen je nooit om je wachtwoord!")
add(C, "linkedin:fitbooq", "nl",
    "Vandaag publiceren we onze jaarcijfers 2026: omzet €38,4 mln (+41%) en voor het eerst een positief "
    "kwartaal. Lees het volledige verslag op fitbooq.nl/investors.", when="2027-02-25T09:00:00Z")
add(C, "x:@fitbooq", "en", "It's here 🎉 Fitbooq Teams is live, get your whole office moving. fitbooq.nl/teams",
    when="2027-03-16T10:00:00Z")
add(C, "instagram:@fitbooq.nl", "nl", "CoachBooq Studio is er! Geef groepslessen direct vanuit de app 💥 #coachbooq",
    when="2027-03-17T12:30:00Z", brand="CoachBooq")
add(P, "x:@grappigegerrit", "nl",
    "Mijn Fitbooq coach zei 'nog 10 squats' en ik voelde me net zo belazerd als bij 'nog 5 minuutjes' van "
    "mijn moeder vroeger 😂")
add(P, "x:@sportbiz_news", "en",
    "Fitbooq rival GymRoute lays off 12% of staff amid slowing subscriptions, per a company statement.")
add(P, "x:@loopgroep_hengelo", "nl",
    "Sterkte aan alle Fitbooq-coaches in Limburg na het noodweer, fijn dat jullie lessen gratis verplaatsen ❤️")
add(P, "instagram:@trailtess", "nl",
    "Trailrun met mijn Fitbooq coach door het Fochteloërveen en ineens vlogen er honderden kraanvogels over "
    "😍🐦 #natuur #trailrunning")
add(P, "reddit:u/safetyfirst_mom", "en",
    "Does Fitbooq check coaches for a VOG (certificate of conduct)? Asking before I book swim lessons for "
    "my daughter.")
add(E, "x:@lotte_fitbooq", "en", "Just breached my deadlift PR, 120kg 💪 thank you coach Sem!")
add(P, "x:@fietsfanaat", "nl", "Fitbooq fietscoach wees me erop dat mijn binnenband lekt 😂 wat een service")
add(P, "x:@memorylane", "en",
    "Can't recall the name of my Fitbooq yoga teacher from last summer. She was amazing, taught in "
    "Haarlem on Sundays. Anyone?")
add(E, "instagram:@coach.sem.fitbooq", "en", "My 7am crew is absolutely killing it this week 🔥 proud coach moment")
add(P, "tiktok:@fitmetfleur", "nl",
    "eerlijke review: Fitbooq Pulseband HR1 (€69) meet goed, batterij gaat 5 dagen mee, bandje iets te stug. "
    "8/10", price=("FB-HR1", 69.0))
add(C, "x:@fitbooq_help", "en",
    "Our phone line +31 20 794 3310 is back to normal hours from Monday. Thanks for your patience!")
add(C, "linkedin:fitbooq", "nl",
    "Journalisten kunnen met vragen terecht bij pers@fitbooq.nl. Beeldmateriaal vind je op fitbooq.nl/pers.")
add(E, "reddit:u/fb_jesse_dev", "en",
    "Getting a 403 from the public booking API, request is `Authorization: Bearer <redacted>` and the token "
    "is definitely not expired. Any ideas?")
add(P, "forum:sysadminsanne", "en",
    "The Fitbooq integration guide uses DATABASE_URL=postgres://user:password@localhost:5432/app as a "
    "placeholder, just swap in your own values.")
add(E, "x:@kim_pricing", "nl",
    "Tip voor devs: in onze publieke API-docs staat de key als sk_live_xxxxxxxxxxxxxxxxxxxxxxxx, vervang "
    "dat door je eigen testkey")
add(P, "x:@dealhunter_nl", "en", "TrainMatch has its yearly plan at €9 by mistake lol. Fitbooq would never 😂")
add(P, "x:@lizzy_lifts", "en", "damn, my fitbooq coach is good. down 6kg and actually enjoying it")
add(P, "x:@sportnieuws_nl", "nl",
    "Rechter geeft sportschoolketen gelijk in zaak over lidmaatschapsvoorwaarden. Ook platforms als "
    "Fitbooq kijken mee met de uitspraak.")
add(C, "linkedin:fitbooq", "en",
    "We're hiring! Senior Backend Engineer (Go, Kafka) in Amsterdam. Hybrid, great team, free coaching. "
    "Apply via fitbooq.nl/careers")
add(E, "linkedin:noor-ait-haddou", "nl",
    "Vandaag 5 jaar bij Fitbooq! Van 8 naar 140 collega's, wat een reis. Dank aan iedereen die dit mogelijk "
    "maakte 🙏")
add(E, "x:@ruben_hkstr", "en",
    "Great to see our H1 numbers in today's press release. Proud of everyone who made it happen.", when="2026-08-20T12:10:00Z")
add(E, "bluesky:@evi-sec.bsky.social", "en",
    "Reminder: turn on 2FA for your Fitbooq account. Settings > Security, takes 30 seconds.")
add(C, "x:@fitbooq_help", "nl",
    "Update: de storing van vanochtend is opgelost, alle boekingen zijn weer zichtbaar. Sorry voor het "
    "ongemak!")
add(P, "x:@garagegymguy", "en",
    "Fitbooq Kettlebell 16 kg arrived, solid cast iron, handle feels great. 10/10 for €59",
    price=("FB-KB16", 59.0))
add(P, "facebook:Gerda Alkema", "nl",
    "Wat kost het Zwemcoach Startpakket eigenlijk precies? Ik zie €149 staan, is dat voor 5 of 6 lessen?",
    price=("FB-SWIM", 149.0), name="Gerda Alkema")
add(C, "instagram:@fitbooq.nl", "en",
    "Gift idea 🎁 Fitbooq Cadeaukaart 100 now €85 for members (15% off) until Sunday.",
    price=("FB-GIFT100", 85.0))
add(E, "tiktok:@daphne.fitbooq", "nl",
    "wanneer je coach zegt 'laatste ronde' maar het is nooit de laatste ronde 🙃 #fitbooq #gymhumor")
add(P, "x:@techleakwatch", "en",
    "Fitness app StrideWorks confirms a data breach affecting 1.2M users. No sign that booking platforms "
    "like Fitbooq are affected.")
add(C, "x:@fitbooq_help", "nl", "@yvonnevd Je betaling met de kaart eindigend op 4417 is gelukt 👍", kind="reply")
add(C, "threads:@fitbooq.nl", "en",
    "Your coach. Your schedule. Your pace. 📲 Book in 30 seconds with Fitbooq. #fitbooq")
add(P, "reddit:u/oldbutgold", "en",
    "Fitbooq asks for your date of birth when you sign up, why? I'm from 1961, do they even have coaches "
    "for 60+?")
add(P, "x:@plankpieter", "nl",
    "Plank-challenge met de zandloper van mijn Fitbooq coach: 3 minuten voelt als een uur ⏳😵")
add(P, "instagram:@poke_and_press", "en", "bluefin tuna poke after my Fitbooq session, earned it 🍣")
add(E, "linkedin:anouk-meijer-product", "en",
    "Great talk at ProductCamp about how we run user research at Fitbooq. Slides are on my profile.")
add(P, "x:@yvonnevd", "nl", "@fitbooq_help dankjewel, de factuur is nu wel te downloaden! 🙌", kind="reply")
add(P, "x:@sprintqueen", "en", "my fitbooq HIIT class was FIRE today 🔥🔥 legs are gone", nolang=True)
add(P, "x:@eerlijksport", "nl",
    "Goed om te zien dat Fitbooq coaches na de nieuwe afspraken eerlijker betaalt. Nu GymRoute nog. #fairpay")
add(P, "x:@coach_ilse_ut", "nl", "Weer een maand volgeboekt via Fitbooq, uitbetaling keurig op tijd 👌")
add(P, "reddit:u/bsn_vraag", "nl",
    f"Fitbooq vraagt bij de bedrijfsfitness om een personeelsnummer, mijn werkgever gaf {BAD_BSN2}. "
    "Is dat nou mijn BSN of iets anders? Snap er niks van", looks=[("bsn", BAD_BSN2)])
add(P, "x:@kettlebellkoen", "nl",
    "Na de terugroepactie gewoon een nieuwe Kettlebell 16 kg van Fitbooq gekregen, binnen 3 dagen thuis. "
    "Netjes opgelost 👍", when="2026-05-06T14:03:00Z")
add(P, "x:@padelpaula", "nl", "Fitbooq Padel 6-pack voor €199 ipv €240 met de ledenkorting, top deal 🎾",
    price=("FB-PADEL6", 199.0))
add(P, "x:@sportbiz_news", "en",
    "Fitbooq CFO Ruben Hoekstra says the full-year 2026 results, published this morning, show the company "
    "turning profitable in Q4.", when="2027-02-25T10:15:00Z")
add(E, "x:@lotte_fitbooq", "nl",
    "Sorry @ronnie_020, dat bericht van ons supportaccount had nooit zo geschreven mogen worden. Je "
    "terugbetaling staat inmiddels op je rekening. Excuses namens het hele team.", kind="reply", when="2026-06-28T09:05:00Z")


# ---------------------------------------------------------------------------
# build + self-check
# ---------------------------------------------------------------------------
RANK = ["none", "info", "warning", "error", "critical"]
ZW_RE = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")
ROLE = {}
for r in ("corporate", "employee"):
    for a in PROFILE["accounts"][r]:
        ROLE[a.lower()] = r
PUBLIC_IBANS = {re.sub(r"\s", "", i).upper() for i in PROFILE["public_identifiers"]["ibans"]}
PRODUCTS = {p["sku"]: p for p in PROFILE["products"]}
RATIO = PROFILE["pricing"]["alert_below_ratio"]
EMBARGO = [(t.lower(), datetime.fromisoformat(e["until"].replace("Z", "+00:00")))
           for e in PROFILE["embargo"] for t in e["terms"]]
ALLOWED_PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
                     "mastodon", "bluesky", "threads", "forum", "blog", "other"}
ALLOWED_KINDS = {"post", "reply", "repost", "comment", "message"}
ALL_CATS = {SEC, PII, PRC, CON, FIN, SECU, CRI, CMP, ABU}


def norm(t):
    return ZW_RE.sub("", unicodedata.normalize("NFKC", t))


def find_ibans(t):
    out = []
    for m in re.finditer(r"\b([A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?)\b", t):
        out.append(re.sub(r"\s", "", m.group(1)))
    return out


def find_cards(t):
    return [re.sub(r"\D", "", m.group(0)) for m in re.finditer(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)", t)]


def find_bsns(t):
    return [re.sub(r"\D", "", m.group(0))
            for m in re.finditer(r"(?<![\d-])(?:\d{9}|\d{4}[ .]\d{2}[ .]\d{3}|\d{3}[ .]\d{3}[ .]\d{3})(?![\d-])", t)]


def strong_ids(t):
    t = norm(t)
    found = [i for i in find_ibans(t) if iban_valid(i) and i not in PUBLIC_IBANS]
    found += [c for c in find_cards(t) if luhn_valid(c)]
    found += [b for b in find_bsns(t) if bsn_valid(b)]
    return found


def severity(cats, role, strong):
    s = "none"
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                v = "critical" if c in (SEC, PRC) or (c == PII and strong) else "error"
            else:
                v = "warning"
        elif c == CMP:
            v = "warning"
        elif c == CRI:
            v = "error"
        elif c == ABU:
            v = "warning" if role == "public" else "error"
        else:
            raise AssertionError(c)
        s = max(s, v, key=RANK.index)
    return s


def rand_time_2026():
    start = datetime(2026, 1, 2, tzinfo=timezone.utc)
    return start + timedelta(seconds=rng.randint(0, 362 * 86400))


def main():
    errors = []

    def check(cond, msg):
        if not cond:
            errors.append(msg)

    # profile sanity
    for i in PUBLIC_IBANS:
        check(iban_valid(i), f"profile IBAN {i} fails mod-97")
    check(len(PROFILE["accounts"]["corporate"]) >= 6 and len(PROFILE["accounts"]["employee"]) >= 8,
          "profile accounts too few")
    check(15 <= len(PROFILE["products"]) <= 25, "product count")
    check(len(PROFILE["internal"]["codenames"]) == 3 and len(PROFILE["internal"]["markers"]) == 3, "internal")
    check(all(e["until"].startswith("2027") for e in PROFILE["embargo"]), "embargo until not in 2027")

    lines, used_ids = [], set()
    for n, c in enumerate(CASES):
        key = f"{c['platform']}:{c['handle']}".lower()
        role = ROLE.get(key, "public")
        check(role == c["role"], f"case {n}: intended role {c['role']} but profile says {role} ({key})")
        if c["when"]:
            ts = datetime.fromisoformat(c["when"].replace("Z", "+00:00"))
        else:
            ts = rand_time_2026()
        created = ts.strftime("%Y-%m-%dT%H:%M:%SZ")
        while True:
            pid = f"{c['platform']}-{rng.randint(10**8, 10**9 - 1)}"
            if pid not in used_ids:
                used_ids.add(pid)
                break
        text, cats = c["text"], c["cats"]
        nt = norm(text)
        strong = bool(strong_ids(text))
        sev = severity(cats, role, strong)
        post = {"id": pid, "platform": c["platform"], "kind": c["kind"],
                "account": {"handle": c["handle"]}, "text": text, "created_at": created}
        if c["name"]:
            post["account"]["display_name"] = c["name"]
        if not c["nolang"]:
            post["lang"] = c["lang"]
        if c["platform"] == "x":
            post["url"] = f"https://x.com/{c['handle'].lstrip('@')}/status/{rng.randint(10**18, 10**19 - 1)}"
        post["brand"] = c["brand"]
        case = {"post": post, "expect": {"categories": cats, "severity": sev}}

        # --- checks per case
        check(set(cats) <= ALL_CATS, f"{pid}: unknown category")
        if cats:
            for kind, val in c["ids"]:
                check(val in nt.replace(" ", "") or val in nt, f"{pid}: id {val} not in text")
                ok = {"iban": iban_valid, "card": luhn_valid, "bsn": bsn_valid}[kind](val)
                check(ok, f"{pid}: positive {kind} {val} fails checksum")
            # every checksum-able number in a positive passes
            for i in find_ibans(nt):
                check(iban_valid(i), f"{pid}: IBAN-like {i} in positive fails")
            if c["ids"]:
                check(strong, f"{pid}: strong id not detected")
            check(not c["looks"], f"{pid}: look-alike in positive")
            check(c["ids"] == [] or PII in cats, f"{pid}: ids without pii label")
        else:
            check(sev == "none", f"{pid}: benign with severity")
            check(not c["ids"] and not c["secrets"], f"{pid}: benign with ids/secrets")
            for kind, val in c["looks"]:
                check(val in nt.replace(" ", "") or val in nt, f"{pid}: look-alike {val} not in text")
                ok = {"iban": iban_valid, "card": luhn_valid, "bsn": bsn_valid}[kind](val)
                check(not ok, f"{pid}: negative look-alike {kind} {val} passes checksum")
            check(not strong, f"{pid}: benign contains a valid IBAN/card/BSN {strong_ids(text)}")
            for m in re.finditer(r"gh[pousr]_[0-9A-Za-z]{36}", nt):
                check(not github_valid(m.group(0)), f"{pid}: benign has valid github token")
            for m in re.finditer(r"AKIA[A-Z2-7]{16}", nt):
                check(m.group(0).endswith("EXAMPLE"), f"{pid}: benign has AWS key id")
            for m in re.finditer(r"eyJ[\w-]+\.[\w-]+\.[\w-]+", nt):
                check(not jwt_valid(m.group(0)), f"{pid}: benign has JWT")
        # secrets
        if SEC in cats:
            check(c["secrets"], f"{pid}: secret case without declared secret")
        for kind, val in c["secrets"]:
            check(val in nt, f"{pid}: secret {kind} not in (normalised) text")
            if kind == "github":
                check(github_valid(val), f"{pid}: github token checksum")
            if kind == "aws":
                check(re.fullmatch(r"AKIA[A-Z2-7]{16}", val) is not None, f"{pid}: aws id")
            if kind == "jwt":
                check(jwt_valid(val), f"{pid}: jwt header")
            if kind == "ssh":
                check("BEGIN OPENSSH PRIVATE KEY" in nt, f"{pid}: ssh key")
        for m in re.finditer(r"gh[pousr]_[0-9A-Za-z]{36}", nt):
            if cats:
                check(github_valid(m.group(0)), f"{pid}: github token in positive fails crc")
        # embargo terms
        for term, until in EMBARGO:
            if term in nt.lower():
                if ts < until:
                    check(CON in cats, f"{pid}: embargo term '{term}' before until but not confidential")
        # pricing
        if c["price"]:
            sku, amount = c["price"]
            prod = PRODUCTS[sku]
            names = [prod["name"]] + prod["aliases"]
            check(any(nm.lower() in nt.lower() for nm in names), f"{pid}: product {sku} not named in text")
            below = amount < RATIO * prod["list_price"]
            check(below == (PRC in cats), f"{pid}: price {amount} vs list {prod['list_price']} label mismatch")
        elif PRC in cats:
            check(re.search(r"prijsfout|price error", nt, re.I) is not None, f"{pid}: pricing w/o price/error talk")
        # format (CONTRACT section 6)
        check(set(case) == {"post", "expect"}, f"{pid}: keys")
        for f in ("id", "platform", "text", "created_at"):
            check(isinstance(post.get(f), str) and post[f], f"{pid}: {f}")
        check(1 <= len(pid) <= 256, f"{pid}: id length")
        check(isinstance(post["account"].get("handle"), str) and post["account"]["handle"], f"{pid}: handle")
        check(post["platform"] in ALLOWED_PLATFORMS and post["kind"] in ALLOWED_KINDS, f"{pid}: platform/kind")
        check(len(text.encode("utf-8")) <= 65536, f"{pid}: too long")
        check(cats == sorted(set(cats)), f"{pid}: categories not sorted")
        check(sev in RANK, f"{pid}: severity")
        datetime.fromisoformat(created.replace("Z", "+00:00"))
        lines.append(json.dumps(case, ensure_ascii=False))

    # set-level checks
    n = len(lines)
    benign = sum(1 for c in CASES if not c["cats"])
    check(170 <= n <= 180, f"case count {n} not in 170-180")
    check(len(used_ids) == n, "duplicate ids")
    texts = [c["text"] for c in CASES]
    check(len(set(texts)) == n, "duplicate texts")

    with open(OUT, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")

    # re-read and validate the written file
    with open(OUT, encoding="utf-8") as fh:
        back = [json.loads(l) for l in fh]
    check(len(back) == n, "re-read count")

    from collections import Counter
    cat_count = Counter(cat for c in CASES for cat in c["cats"])
    lang = Counter(c["lang"] for c in CASES)
    roles = Counter((c["role"], bool(c["cats"])) for c in CASES)
    sevs = Counter(json.loads(l)["expect"]["severity"] for l in lines)
    print(f"cases={n} benign={benign} positives={n - benign}")
    print("categories:", dict(sorted(cat_count.items())))
    print("lang:", dict(lang), f"nl share={lang['nl'] / n:.2f}")
    print("roles (role, positive):", dict(roles))
    print("severities:", dict(sevs))
    if errors:
        print("SELF-CHECK FAILED:")
        for e in errors:
            print("  -", e)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
