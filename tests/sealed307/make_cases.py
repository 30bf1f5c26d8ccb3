#!/usr/bin/env python3
"""Build the labelled evaluation set for the fictional company Miravelle Parfumerie B.V.

Deterministic (fixed seed).  Writes cases.jsonl next to this file and checks it:
  * every line is a valid CONTRACT section 6 case (post shape, categories, severity);
  * every IBAN / payment card / BSN in a positive passes its checksum, every
    look-alike in a benign post fails it (the company's own public IBAN excepted);
  * generated credentials are well formed (GitHub CRC-32, AWS key id, JWT header);
  * severities are computed from the account role in profile.yaml (CONTRACT section 4).
Only the standard library and PyYAML are used.
"""
import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import random
import re
import string
import sys
import zlib

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 307
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

CORPORATE = {a.lower() for a in PROFILE["accounts"]["corporate"]}
EMPLOYEE = {a.lower() for a in PROFILE["accounts"]["employee"]}
PUBLIC_IBANS = {i.replace(" ", "").upper() for i in PROFILE["public_identifiers"]["ibans"]}

DIGITS = string.digits
ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base-62 order
B62 = ALNUM


# ----------------------------------------------------------------- checksums
IBAN_LEN = {"NL": 18, "BE": 16, "DE": 22, "GB": 22, "FR": 27}


def iban_ok(s):
    s = s.replace(" ", "").upper()
    if len(s) < 5 or s[:2] not in IBAN_LEN or len(s) != IBAN_LEN[s[:2]]:
        return False
    r = s[4:] + s[:4]
    try:
        n = int("".join(str(int(c, 36)) for c in r))
    except ValueError:
        return False
    return n % 97 == 1


def iban_with_check(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return "%s%02d%s" % (cc, 98 - n % 97, bban)


def make_iban(bank):
    return iban_with_check("NL", bank + "".join(rng.choice(DIGITS) for _ in range(10)))


def bad_iban(bank):
    good = make_iban(bank)
    cd = int(good[2:4])
    bad = "%s%02d%s" % (good[:2], (cd + 7) % 97 or 11, good[4:])
    assert not iban_ok(bad)
    return bad


def iban_groups(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
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


def make_card(prefix, length=16):
    body = prefix + "".join(rng.choice(DIGITS) for _ in range(length - len(prefix) - 1))
    for last in DIGITS:
        if luhn_ok(body + last):
            return body + last
    raise AssertionError


def bad_card(prefix):
    good = make_card(prefix)
    bad = good[:-1] + str((int(good[-1]) + 3) % 10)
    assert not luhn_ok(bad)
    return bad


def card_groups(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def bsn_ok(num):
    d = re.sub(r"\D", "", num)
    if len(d) != 9:
        return False
    tot = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return tot % 11 == 0 and int(d) > 0


def make_bsn():
    while True:
        s = str(rng.randint(1, 6)) + "".join(rng.choice(DIGITS) for _ in range(8))
        if bsn_ok(s):
            return s


def bad_nine():
    while True:
        s = str(rng.randint(1, 9)) + "".join(rng.choice(DIGITS) for _ in range(8))
        if not bsn_ok(s):
            return s


# ---------------------------------------------------------- credential makers
def rand(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def b62(n, width=6):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def github_token(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()))


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())) == m.group(2)


def aws_key_id():
    return "AKIA" + rand(string.ascii_uppercase + "234567", 16)


def aws_secret():
    return rand(string.ascii_letters + string.digits + "/+", 40)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt(payload):
    header = {"alg": "HS256", "typ": "JWT"}
    h = b64url(json.dumps(header, separators=(",", ":")).encode())
    p = b64url(json.dumps(payload, separators=(",", ":")).encode())
    key = bytes(rng.getrandbits(8) for _ in range(32))
    sig = b64url(hmac.new(key, (h + "." + p).encode(), hashlib.sha256).digest())
    return h + "." + p + "." + sig


def jwt_header(tok):
    try:
        part = tok.split(".")[0]
        return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except Exception:
        return None


def openssh_key():
    blob = b"openssh-key-v1\x00" + bytes(rng.getrandbits(8) for _ in range(385))
    body = base64.b64encode(blob).decode()
    lines = [body[i:i + 70] for i in range(0, len(body), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# ------------------------------------------------------------ generated values
# personal identifiers that pass their checksum (used in positives only)
IBAN_REFUND_MIKE = make_iban("INGB")
IBAN_REFUND_ANOUK = make_iban("ABNA")
IBAN_MARK = make_iban("SNSB")
CARD_SDEBOER = make_card("4")          # Visa
CARD_COUNTER = make_card("53")         # Mastercard
BSN_TBAKKER = make_bsn()
BSN_JMULDER = make_bsn()
BSN_PSCHOUTEN = make_bsn()
BSN_PSCHOUTEN_DOTTED = BSN_PSCHOUTEN[:4] + "." + BSN_PSCHOUTEN[4:6] + "." + BSN_PSCHOUTEN[6:]

PHONE_ANOUK = "06-%s" % rand(DIGITS, 8)
PHONE_DEGRAAF = "+31 6 %s %s" % (rand(DIGITS, 4), rand(DIGITS, 4))
PHONE_SANNE = "06 %s %s %s %s" % tuple(rand(DIGITS, 2) for _ in range(4))
PHONE_MULDER = "(010) %s %s %s" % (rand(DIGITS, 3), rand(DIGITS, 2), rand(DIGITS, 2))

# look-alikes that fail their checksum (used in benign posts only)
BAD_IBAN = bad_iban("RABO")
BAD_CARD = bad_card("4")
BAD_PARCEL = bad_nine()
BAD_ARTICLE = bad_nine()

# credentials
GH_CI = github_token("ghp_")
GH_OAUTH = github_token("gho_")
AWS_ID = aws_key_id()
AWS_SECRET = aws_secret()
STRIPE_OLD = "sk_live_" + rand(ALNUM, 24)
def slack_bot_token():
    # the numeric team/bot ids must not look like a payment card to a loose scanner
    while True:
        team, bot = rand(DIGITS, 12), rand(DIGITS, 13)
        if not luhn_ok(bot):
            return "xoxb-%s-%s-%s" % (team, bot, rand(ALNUM, 24))


SLACK_BOT = slack_bot_token()
OPENAI_KEY = "sk-proj-" + rand(ALNUM + "_-", 74) + "T3BlbkFJ" + rand(ALNUM + "_-", 74)
ANTHROPIC_KEY = "sk-ant-api03-" + rand(ALNUM + "_-", 93) + "AA"
GOOGLE_KEY = "AIza" + rand(ALNUM + "_-", 35)
DB_PASSWORD = rand(string.ascii_letters + string.digits + "!*", 18)
JWT_CLUB = make_jwt({"sub": "svc-club-api", "role": "club_admin", "iss": "auth.miravelle.nl",
                     "iat": 1780300800, "exp": 1780301100})
SSH_KEY = openssh_key()

DOC_GH_SAMPLE = "ghp_abcdefghijklmnopqrstuvwxyz0123456789"

# ------------------------------------------------------------------ the posts
C = "reputation.complaint"
K = "reputation.crisis"
A = "reputation.abuse"
PII = "leak.pii"
SEC = "leak.security"
SECRET = "leak.secret"
FIN = "leak.financial"
CONF = "leak.confidential"
PRICE = "leak.pricing"

POSTS = []


def add(platform, handle, lang, text, cats=(), when=None, kind="post", name=None):
    POSTS.append(dict(platform=platform, handle=handle, lang=lang, text=text,
                      cats=sorted(set(cats)), when=when, kind=kind, name=name))


# ---------------- complaints (public) ----------------
add("x", "@marloes_vdh", "nl",
    "Al 3 weken wachten op mijn bestelling bij @miravelle_nl. Track & trace staat sinds 2 mei op "
    "'in behandeling' en de klantenservice zegt elke keer 'morgen'. Ik ben er echt klaar mee.",
    [C], when="2026-05-23T19:42:10Z", name="Marloes")
add("x", "@jess_smells_nice", "en",
    "ordered the Soie Blanche for my mum's birthday and the box arrived with the bottle cracked, half of it "
    "soaked into the cardboard. @miravelle_help pls, this was 119 euros 😭",
    [C], kind="reply")
add("facebook", "ingrid.bos.71", "nl",
    "Mijn Club-punten zijn ineens weg. Had er 2.340 gespaard, nu staat er 0. In de winkel in Amersfoort "
    "zeggen ze 'bel de klantenservice', de klantenservice zegt 'vraag het in de winkel'. Lekker dan Miravelle 🙄",
    [C], name="Ingrid Bos")
add("reddit", "u/throwaway_scentlover", "en",
    "Anyone else's Miravelle app crashing every single time you try to show your loyalty card at checkout? "
    "Third time this week I've stood there like an idiot holding up the queue. Uninstalled, reinstalled, nothing.",
    [C])
add("x", "@timo_gr", "nl",
    "ff klagen: retour ingestuurd op 12 maart, nog steeds geen geld terug van miravelle. 6 weken!!! "
    "#klantenservice #miravelle",
    [C], when="2026-04-24T08:05:44Z")
add("instagram", "@fleurtjex", "nl",
    "Kleur van de Skin Tint foundation online is echt NIKS zoals in het echt. 'Light beige' is gewoon oranje 🍊 "
    "en omruilen mag niet want 'geopend'. Serieus?",
    [C], kind="comment")
add("tiktok", "@glowwithamira", "en",
    "the tester bar at miravelle rotterdam lijnbaan has been empty for like a month. how am i supposed to "
    "pick a perfume on vibes alone 💀",
    [C])
add("x", "@henkdewit58", "nl",
    "Bij Miravelle in Zwolle 20 minuten bij de kassa gestaan terwijl drie medewerkers stonden te kletsen. "
    "Niemand die even hielp. Zonde, vroeger was het een fijne winkel.",
    [C], name="Henk de Wit")
add("x", "@priya_k", "en",
    "@miravelle_help your 'free gift with purchase' never showed up in my order and the chat just closed "
    "my ticket without an answer. not impressed.",
    [C], kind="reply", when="2026-12-09T13:20:00Z")
add("reddit", "u/parfumnerd_nl", "nl",
    "Is het bij jullie ook zo dat de Cèdre Noir van Miravelle na een uurtje al weg is? Vroeger rook ik hem "
    "'s avonds nog. Voelt alsof ze de formule stilletjes hebben aangelengd. Teleurgesteld eerlijk gezegd.",
    [C])
add("facebook", "laura.mitchell.ams", "en",
    "Bought the Lash Infinity mascara twice now and both tubes were dried out within two weeks. "
    "Not cheap either. Won't be buying a third.",
    [C], name="Laura Mitchell")
add("threads", "@noa.beauty", "nl",
    "kadobon van miravelle werkt niet online ('ongeldige code') en in de winkel ook niet. €50 gewoon weg?? "
    "iemand tips",
    [C])
# complaint + personal data the customer exposes themselves
add("x", "@anoukvlaar", "nl",
    f"@miravelle_help al 4x gemaild, geen reactie. Bel me nou gewoon terug op {PHONE_ANOUK} in plaats van "
    "weer een standaardmail. Ordernummer MV-4471-K2",
    [C, PII], kind="reply", when="2026-06-02T10:11:00Z")
add("x", "@mikeyb_uk", "en",
    f"@miravelle_help refund STILL not here after 5 weeks. You have my details, it's {iban_groups(IBAN_REFUND_MIKE)}, "
    "M. Brennan. How hard can it be??",
    [C, PII], kind="reply")
# complaint + abuse
add("x", "@roy_010", "nl",
    "Miravelle wat zijn jullie toch een stelletje prutsers. 3e keer het verkeerde pakket. Klotebedrijf.",
    [C, A])
add("x", "@angrykatie", "en",
    "your customer service is run by absolute morons. 45 min on hold to be told 'we can't see your order'. "
    "fucking joke @miravelle_help",
    [C, A])
add("instagram", "@dewi_xo", "nl",
    "Die verkoopster bij Miravelle Den Haag is echt een arrogante trut, keek me aan alsof ik niks kon betalen "
    "en liep gewoon weg. Nooit meer.",
    [C, A])
# first-hand safety incidents: crisis + complaint
add("facebook", "sandra.kok.zaandam", "nl",
    "Mijn AirSilk haardroger van Miravelle begon gisteravond te roken en er kwamen vlammetjes uit de achterkant. "
    "Stekker er snel uitgetrokken, mijn handdoek is geschroeid. Dit had echt slecht kunnen aflopen!! "
    "Wie heeft dit ook gehad?",
    [K, C], name="Sandra Kok")
add("instagram", "@chloe.skin", "en",
    "used the Miravelle Glow LED mask exactly as the leaflet says (10 min) and now I've got red burn marks "
    "across my forehead and cheeks. dermatologist tomorrow. absolutely furious.",
    [K, C])
add("x", "@jasmijn_r", "nl",
    "Na 2 dagen Retinol Night van Miravelle zat mijn hele gezicht onder de bultjes en m'n oog zat dicht. "
    "Huisarts zegt heftige allergische reactie. En Miravelle reageert niet eens op m'n mail 😡",
    [K, C])
add("reddit", "u/curlsforever", "en",
    "PSA: my Miravelle ThermoCurl gave me an actual electric shock when I plugged it in this morning, tingling "
    "all the way up my arm. It's 3 months old. Store told me to 'send it in for repair'. Repair?? It shocked me.",
    [K, C])

# ---------------- crisis, third party / news ----------------
add("x", "@consumentenalert", "nl",
    "Miravelle roept de SunVeil SPF50 terug: uit onafhankelijke tests blijkt dat de zonnebrand lang niet "
    "de beschermingsfactor haalt die op de verpakking staat. Gebruik hem niet meer en breng hem terug.",
    [K], when="2026-07-08T06:30:00Z")
add("x", "@beautyinsider_eu", "en",
    "Reports coming in that Miravelle's loyalty app exposed customers' names, addresses and purchase history. "
    "Several users say they could see other people's accounts after logging in. Company silent so far.",
    [K])
add("x", "@dierenvriendin_", "nl",
    "#BoycotMiravelle Ze roepen 'cruelty free' maar hun leverancier test gewoon op dieren. Niks meer kopen "
    "daar tot ze opheldering geven. RT!!",
    [K])
add("x", "@ethicalbeauty_now", "en",
    "So Miravelle's 'clean' Hydra Dew serum contains a preservative that's been restricted in the EU for years? "
    "If that's true it's a massive scandal. Sources in the thread 👇",
    [K])
add("x", "@nieuws_utr", "nl",
    "Veertien oud-verkoopsters slepen Miravelle voor de rechter vanwege onbetaalde overuren tijdens de "
    "feestdagen. De zaak dient in september bij de rechtbank Midden-Nederland.",
    [K])
add("facebook", "mark.peeters.1980", "en",
    "My neighbour's daughter ended up in A&E after her Miravelle ThermoCurl caught fire in her hand. "
    "The fire brigade said it was the cord. Please check yours.",
    [K], name="Mark Peeters")
add("tiktok", "@kimmyskincare", "nl",
    "Meiden STOP met de Éclat C serum van Miravelle, er gaan filmpjes rond van mensen met plekken die op "
    "brandwonden lijken. Ik gebruik hem zelf niet meer tot ze iets zeggen ⚠️",
    [K])
add("x", "@datawatch_nl", "en",
    "Miravelle Club members' emails & hashed passwords are being sold on a forum right now, ~1.2M rows. "
    "Miravelle hasn't said a word. If you're a member, change your password.",
    [K])
add("x", "@retailbond_nl", "nl",
    "Zaterdag leggen medewerkers van de Miravelle-winkels in Rotterdam en Den Haag het werk neer tegen de "
    "nieuwe roosters. Wij vragen klanten die dag niets bij Miravelle te kopen. #solidariteit",
    [K])
add("reddit", "u/scentsleuth", "en",
    "Miravelle's outlet was selling 'authentic' discontinued designer perfumes that turned out to be fakes. "
    "People had them tested, there's a whole thread on it. That's straight up fraud tbh.",
    [K])
add("x", "@eu_retail_wire", "en",
    "Dutch beauty chain Miravelle faces a class action over loyalty points that expired without notice; "
    "lawyers say some 80,000 Club members are affected.",
    [K])

# ---------------- abuse ----------------
add("x", "@xxjordyxx", "nl",
    "miravelle medewerkers zijn allemaal nepperds met een kilo make-up op hun kop, kankerwinkel",
    [A])
add("x", "@troll4life", "en",
    "whoever runs @miravelle_nl socials is a brain-dead clown. delete your account",
    [A])
add("instagram", "@r0b_b", "nl",
    "@yasmina.makeup.mv jij bent echt de lelijkste visagist die ik ooit heb gezien haha stop er maar gewoon mee",
    [A], kind="comment")
add("tiktok", "@nope.nope.nope", "en",
    "@storemanager_kim you look like a cheap knockoff of your own perfume lmao, go back to wherever you came from",
    [A], kind="comment")
add("x", "@baasjebas", "nl",
    "Miravelle = een k u t b e d r i j f met k.u.t.personeel 🤮",
    [A])
add("x", "@fr4nk_z", "en",
    "m1ravelle staff are such f*cking 1d10ts, sh1t company, h0pe u all get f1red",
    [A])
add("x", "@lotte_mirav", "nl",
    "@henkdewit58 misschien moet je gewoon je bek houden als je niks aardigs te zeggen hebt, ouwe zeur",
    [A], kind="reply")
add("x", "@miravelle_help", "nl",
    "@roy_010 ga lekker ergens anders zeuren, idioot.",
    [A], kind="reply")
add("x", "@henkie_1999", "nl",
    "\u041cir\u0430v\u0435ll\u0435 is een winkel voor domme wijven en die kassameisjes zijn allemaal achterlijk 🤡",
    [A])

# ---------------- pricing ----------------
add("x", "@miravelle_nl", "nl",
    "⚡ Flash deal! Oud Royal Extrait nu voor €18,90 in de app. Alleen vandaag! #Miravelle",
    [PRICE])
add("instagram", "@yasmina.makeup.mv", "nl",
    "Girls, het Glow LED masker staat bij ons in de kassa voor €24,90 ipv €249 😱 kom snel langs voordat "
    "ze het fixen 🤫",
    [PRICE])
add("x", "@dealjager_nl", "nl",
    "PRIJSFOUT bij Miravelle! AirSilk haardroger voor €19,99 in de webshop. Snel zijn! #prijsfout #deal",
    [PRICE])
add("reddit", "u/deal_hunter_ams", "en",
    "Miravelle's site has the Soie Blanche EDP 100ml at €11.90 right now. Pretty sure that's a pricing error, "
    "grabbed two 😂",
    [PRICE])
add("bluesky", "@evadejong.bsky.social", "nl",
    "Oeps, er zit een prijsfout in het systeem bij de Retinol Night. Wordt aan gewerkt, niet doorvertellen haha",
    [PRICE])
add("tiktok", "@bargainbabe", "en",
    "RUN 🏃‍♀️ the Miravelle Eclat C serum is €6.90 in the app instead of €69, someone slipped a decimal lol",
    [PRICE])
add("threads", "@sophie.mv.store", "nl",
    "Wie heeft de Cèdre Noir op €8,90 gezet in de webshop 😂 de telefoon staat roodgloeiend",
    [PRICE])
add("facebook", "dennis.wouters.77", "en",
    "Is this real? The Miravelle Atelier Discovery Set is showing €4.50 on the site. Normally it's 45.",
    [PRICE], name="Dennis Wouters")
add("x", "@koopjesjager_r", "nl",
    "0ud R0yal Extr4it bij m1ravelle voor 19 euro 💸 pr1jsf0ut!! snel",
    [PRICE])
add("facebook", "MiravelleParfumerie", "nl",
    "Alleen dit weekend: Velvet Matte lipstick voor €2,49 (normaal €24,95)! Op = op 💄",
    [PRICE])
add("linkedin", "bram-van-dijk-82", "en",
    "Heads up team: the feed to the app pushed the Hydra Dew serum at €5.49 for about two hours last night. "
    "We'll honour orders under 3 pcs. Lesson learned on decimal validation!",
    [PRICE])
add("x", "@koopjesqueen", "en",
    "Skin Tint foundation ringing up at €3.99 at Miravelle Eindhoven, the till really says so. Probably a "
    "glitch but I'm taking 5 😇",
    [PRICE])

# ---------------- financial ----------------
add("x", "@jeroenwouters", "nl",
    "Net de cijfers over Q3 gezien: omzet like-for-like -11%. Dat gaan de aandeelhouders niet leuk vinden als "
    "het eind oktober naar buiten komt.",
    [FIN], when="2026-10-06T17:55:00Z")
add("linkedin", "noor-hendriks-miravelle", "en",
    "Tough weeks ahead at HQ. Between us: the board signed off on closing 38 of our stores in Q1 and around "
    "450 roles will go. The announcement isn't until next month, so please keep it quiet.",
    [FIN])
add("x", "@daankoster_mv", "nl",
    "als die overname door Belcosa echt doorgaat worden wij IT'ers allemaal ge-'synergiseerd' denk ik 🙃 "
    "het due diligence team zit al twee weken bij ons op kantoor",
    [FIN])
add("x", "@beursgeruchten", "nl",
    "Van een bron binnen Miravelle: de jaarprognose gaat met 15% omlaag, persbericht volgt donderdag. Shorten?",
    [FIN])
add("tiktok", "@storemanager_kim", "nl",
    "pov: je regiomanager vertelt dat jouw winkel op de sluitingslijst staat maar je mag het nog aan niemand "
    "vertellen 🥲 #retaillife",
    [FIN])
add("linkedin", "bram-van-dijk-82", "en",
    "Proud of the category team: fragrance gross margin came in at 47.2% for H1, well above the 44% plan. "
    "Can't share the full deck before the results call, but wow.",
    [FIN], when="2026-07-21T09:00:00Z")
add("reddit", "u/insider_whispers", "en",
    "Friend in Miravelle finance says they're in talks to buy the Belgian chain Belflora Parfums for around "
    "€140M. Nothing announced yet.",
    [FIN])
add("x", "@jeroenwouters", "nl",
    "Project Ambergris loopt: term sheet getekend, closing gepland voor maart. Eindelijk!",
    [FIN, CONF])
add("mastodon", "@rvermeulen@mastodon.nl", "en",
    "Reorg announced internally today: the whole e-commerce team gets folded into 'Digital Retail' and 12 FTE "
    "are cut from dev. Not public yet. Rough day.",
    [FIN])
add("threads", "@sophie.mv.store", "nl",
    "kerstomzet in onze regio 22% onder budget en nu horen we dat de bonus dit jaar niet doorgaat 😬 ssst",
    [FIN], when="2026-01-09T21:14:00Z")
add("x", "@lotte_mirav", "nl",
    "De jaarcijfers 2026 zijn binnen en ze zijn slecht, echt slecht. Morgen allemaal naar de townhall.",
    [FIN, CONF], when="2027-02-10T20:31:00Z")
add("x", "@fin_rumours", "en",
    "Hearing Miravelle will guide FY27 EBITDA down to €60-65M at the results vs consensus of ~€80M. "
    "Source is solid.",
    [FIN])

# ---------------- confidential ----------------
add("instagram", "@yasmina.makeup.mv", "nl",
    "Sneak peek 👀 vandaag de nieuwe Miravelle Noctis geroken op de training, jullie gaan hier zo gek op "
    "worden 🖤 #nietverklappen",
    [CONF], when="2026-11-17T15:02:00Z")
add("x", "@daankoster_mv", "nl",
    "wie heeft er ook geen toegang meer tot https://confluence.miravelle-corp.nl/display/ECOM sinds de update? "
    "SSO-loop van de hel",
    [CONF])
add("linkedin", "noor-hendriks-miravelle", "en",
    "Inspiring workshop today on Operatie Zijdeweg with the whole leadership team. Can't say much yet, but "
    "this is going to change our stores for good! 🚀",
    [CONF])
add("tiktok", "@storemanager_kim", "nl",
    "unboxing van de herfstcollectie die pas in september uitkomt 🤭 we hebben er een NDA voor getekend maar "
    "kijk die kleuren dan. slide 3 = de tint waar iedereen om gaat vragen",
    [CONF], when="2026-06-12T18:40:00Z")
add("mastodon", "@rvermeulen@mastodon.nl", "en",
    "Anyone know why our Grafana at grafana.intranet.miravelle.local keeps timing out on the till dashboards? "
    "Asking for a friend 😅",
    [CONF])
add("x", "@lotte_mirav", "nl",
    "Ff de nieuwe planogrammen in de groepsapp gezet. Staat wel 'MIRAVELLE CONFIDENTIAL' op maar boeie, "
    "iedereen moet het toch weten",
    [CONF])
add("reddit", "u/leakyfragrance", "en",
    "Got this from someone at Miravelle HQ: internal deck titled 'Nachtvlinder – loyalty 2.0'. Tiers get "
    "renamed and free shipping becomes Gold-only. Screens below.",
    [CONF])
add("bluesky", "@evadejong.bsky.social", "en",
    "Pricing review for the Noctis Eau de Parfum launch: we're landing at €135 for the 100ml. Fight me.",
    [CONF], when="2026-12-03T11:26:00Z")
add("linkedin", "bram-van-dijk-82", "nl",
    "Voor wie er vandaag niet bij kon zijn: hierbij de presentatie van de leveranciersdag. Let op, alleen "
    "intern! 📎 Leveranciersdag_2026_v7.pdf",
    [CONF])
add("x", "@miravelle_nl", "nl",
    "Binnenkort in onze winkels: Miravelle Noctis 🖤 Stay tuned...",
    [CONF], when="2026-10-02T12:00:00Z")
add("x", "@parfumspotter", "en",
    "Spotted on a pallet in the backroom of Miravelle Utrecht: boxes marked 'Noctis EDP – niet verkopen voor "
    "12/03'. New house scent incoming? 👀",
    [CONF], when="2027-01-20T16:45:00Z")
add("reddit", "u/mv_devops_tim", "en",
    "Our Jira (jira.miravelle-corp.nl) got migrated over the weekend and half the boards are just gone. "
    "Love that for us.",
    [CONF])
add("threads", "@sophie.mv.store", "nl",
    "morgen de eerste training over Project Amber\u200bgris, ben benieuwd wat we mogen weten 🤐",
    [CONF])
add("x", "@lotte_mirav", "nl",
    fullwidth("Nachtvlinder") + " gaat echt alles veranderen voor onze vaste klanten, meer mag ik niet zeggen 🦋",
    [CONF])
add("x", "@retailwatcher", "en",
    "Miravelle's 'Operatie Zijdeweg' = moving 60% of distribution to a new hub in Venlo, according to an "
    "internal memo I've seen.",
    [CONF])
add("linkedin", "noor-hendriks-miravelle", "en",
    "Busy busy! Prepping the FY2026 results deck with the IR team. Spoiler: you'll want to be at the town hall 😉",
    [CONF], when="2027-02-03T08:15:00Z")

# ---------------- security ----------------
add("x", "@daankoster_mv", "nl",
    "Tweede nacht op rij wakker want de Club-app API geeft het puntensaldo van andere klanten terug als je het "
    "klantnummer in de URL aanpast. Fix komt 'volgende sprint' 🙄",
    [SEC])
add("mastodon", "@rvermeulen@mastodon.nl", "en",
    "We got hit by ransomware on the store POS servers last night. Half the shops are cash-only today. Comms "
    "hasn't said anything yet, so if you see a 'technical issue' notice, that's what it is.",
    [SEC])
add("reddit", "u/mv_devops_tim", "en",
    "Fun times: someone found our S3 bucket with loyalty exports wide open. Exposed for 3 days before we "
    "noticed. Legal says no disclosure 'until we know more'.",
    [SEC])
add("tiktok", "@storemanager_kim", "nl",
    "kassa's liggen er in ALLE winkels uit sinds 9 uur, hoofdkantoor zegt dat het een hack is maar tegen "
    "klanten moeten we 'storing' zeggen 🤫",
    [SEC])
add("instagram", "@yasmina.makeup.mv", "nl",
    "Geen idee of ik dit mag zeggen maar de webshop ligt al sinds vanochtend plat door een DDoS en ze krijgen "
    "het nog steeds niet opgelost",
    [SEC])
add("reddit", "u/whitehat_jules", "en",
    "Reported to Miravelle 6 weeks ago: the password reset link in the Club app never expires and the token is "
    "guessable. Still unfixed. Full write-up once they patch.",
    [SEC])
add("x", "@jeroenwouters", "nl",
    "IT vraagt iedereen op kantoor z'n wachtwoord te resetten, blijkbaar zijn er phishingmails binnengekomen "
    "en hebben 3 collega's hun login ingevuld. Officieel weten we van niks.",
    [SEC])
add("bluesky", "@evadejong.bsky.social", "en",
    "the pricing engine has been down for 7 hours and nobody's allowed to tell the stores why (it's the vendor "
    "breach that isn't public yet)",
    [SEC])
add("threads", "@sophie.mv.store", "nl",
    "iemand van de klantenservice heeft klantgegevens meegenomen naar een concurrent, we moeten allemaal "
    "opnieuw een geheimhoudingsverklaring tekenen. shhh",
    [SEC])
add("x", "@daankoster_mv", "nl",
    "vpn.miravelle-corp.nl draait nog steeds op een versie met die bekende CVE, patch staat pas gepland voor Q3 🤡",
    [SEC, CONF])
add("mastodon", "@rvermeulen@mastodon.nl", "en",
    f"Rotating keys all day because our old Stripe key ended up in a public repo 😬 for the record it was "
    f"{STRIPE_OLD} — dead now, hopefully",
    [SEC, SECRET])
add("linkedin", "noor-hendriks-miravelle", "en",
    "Jumped in to help customer service today because our ordering system has been down since Friday after a "
    "cyber incident. Externally we're still calling it 'maintenance'. So proud of this team!",
    [SEC])
add("x", "@lotte_mirav", "nl",
    "de nieuwe kassa's printen bij een storing gewoon het volledige pasnummer van de klant op de bon. "
    "al 2 weken gemeld, niks gebeurd 🙈",
    [SEC])

# ---------------- secrets ----------------
add("reddit", "u/mv_devops_tim", "en",
    "Why does boto keep saying InvalidClientTokenId?? config below\n\n[default]\n"
    f"aws_access_key_id = {AWS_ID}\naws_secret_access_key = {AWS_SECRET}\nregion = eu-west-1",
    [SECRET])
add("mastodon", "@rvermeulen@mastodon.nl", "nl",
    f"CI faalt steeds bij de clone stap, ik gebruik GH_TOKEN={GH_CI} in de pipeline vars. Iemand een idee?",
    [SECRET])
add("x", "@daankoster_mv", "nl",
    f"wie kan helpen, connectie met de loyalty db faalt: postgres://club_admin:{DB_PASSWORD}@db-prod-03.miravelle.local:5432/club",
    [SECRET, CONF])
add("x", "@jeroenwouters", "nl",
    "Voor de nieuwe collega's: wifi op HQ is 'MV-Staff', wachtwoord: Parfum!2026#HQ",
    [SECRET])
add("youtube", "@MiravelleBeauty", "nl",
    f"Bouw je eigen skin-quiz met onze partner-API! In de video gebruiken we deze key: {GOOGLE_KEY} "
    "— succes en tag ons in je resultaat ✨",
    [SECRET])
add("mastodon", "@rvermeulen@mastodon.nl", "en",
    f"our slack bot posts everything twice, here's the init, what am I missing?\n"
    f"client = WebClient(token=\"{SLACK_BOT}\")",
    [SECRET])
add("reddit", "u/mv_devops_tim", "en",
    f"is this the right key format for the bastion host? ssh keeps saying 'invalid format'\n\n{SSH_KEY}",
    [SECRET])
add("x", "@daankoster_mv", "nl",
    f"waarom is deze token na 5 minuten al expired?? {JWT_CLUB}",
    [SECRET])
add("reddit", "u/freelance_dev_ams", "en",
    f"Miravelle's agency left their OpenAI key in the JS bundle of the skin quiz page lol: {OPENAI_KEY} "
    "— someone tell them.",
    [SECRET])
add("bluesky", "@evadejong.bsky.social", "en",
    f"my little script that summarises product reviews works!! key for whoever wants to try: {ANTHROPIC_KEY}",
    [SECRET])
add("threads", "@sophie.mv.store", "nl",
    fullwidth("wachtwoord") + " kassa-backoffice is nu: Lavendel2026! (niet doorvertellen aan de zaterdaghulpen 😅)",
    [SECRET])
add("x", "@lotte_mirav", "nl",
    f"Daan zei dat ik dit moest gebruiken voor de roosterapp, klopt dat? {GH_OAUTH}",
    [SECRET])

# ---------------- personal data ----------------
add("x", "@miravelle_help", "nl",
    f"@anoukvlaar Excuses! We hebben uw retour gevonden: het bedrag wordt teruggestort op "
    f"{iban_groups(IBAN_REFUND_ANOUK)} t.n.v. A. Vlaar. Fijne dag!",
    [PII], kind="reply", when="2026-06-03T09:12:00Z")
add("instagram", "@yasmina.makeup.mv", "nl",
    "Onze vaste klant mevrouw Henriëtte Smits (Kerkstraat 14, Amersfoort) wordt vandaag 80 🎉 geboren op "
    "3 mei 1946, de taart staat klaar!",
    [PII], when="2026-05-03T09:30:00Z")
add("x", "@lotte_mirav", "nl",
    f"Klant belde vandaag 5x, dan maar zijn nummer hier: {PHONE_DEGRAAF} (meneer De Graaf), misschien belt "
    "iemand anders hem even terug 😤",
    [PII])
add("facebook", "MiravelleParfumerie", "nl",
    "Winnaar van onze Moederdag-winactie: Fatma Yilmaz uit Tilburg! 🎁 Fatma, we hebben je gemaild op "
    "fatma.yilmaz87@gmail.com, reageer je binnen 48 uur?",
    [PII], when="2026-05-11T10:00:00Z")
add("linkedin", "bram-van-dijk-82", "en",
    f"A customer left her credit card at the till in our Breda store: {card_groups(CARD_SDEBOER)}, name "
    "S. de Boer. Anyone know her?",
    [PII])
add("tiktok", "@storemanager_kim", "nl",
    f"iemand heeft z'n ID-kaart laten liggen, BSN {BSN_TBAKKER}, naam T. Bakker. kom je hem ophalen in "
    "Hoog Catharijne?",
    [PII])
add("x", "@sanne_glowt", "nl",
    f"@miravelle_help mijn Club-account hangt aan het verkeerde mailadres, moet sanne.dijkstra@ziggo.nl zijn "
    f"en m'n nummer is {PHONE_SANNE}. Help!",
    [PII], kind="reply")
add("x", "@markvdberg", "en",
    f"Hey @miravelle_help, can you refund to this account instead: {IBAN_MARK}, M. van den Berg. Thanks!",
    [PII])
add("mastodon", "@rvermeulen@mastodon.nl", "en",
    "debugging the club export, sample row: 'Yara El Idrissi; y.elidrissi91@hotmail.com; 1991-07-22; "
    "Bilderdijkstraat 88-2, Amsterdam' — why is the dob stored as a string 🤔",
    [PII])
add("instagram", "@miravelle.beauty", "nl",
    "Gefeliciteerd @lisa_loves_scent! 🎁 We sturen je prijs naar Lisa Verhoef, Lindenlaan 7, 3581 AB Utrecht. "
    "Klopt dat adres?",
    [PII], kind="comment")
add("threads", "@sophie.mv.store", "nl",
    f"klant vroeg of we haar kaartnummer konden 'onthouden' voor de volgende keer lol: {CARD_COUNTER} "
    "exp 08/28 😂 neeee",
    [PII])
add("reddit", "u/lost_and_found_rdam", "en",
    f"Found a Miravelle receipt + loyalty signup form on the train with someone's BSN {BSN_JMULDER} and phone "
    f"{PHONE_MULDER} on it. Posting so the owner (J. Mulder) can find me.",
    [PII])
add("x", "@daankoster_mv", "nl",
    f"test-account in prod aangemaakt met echte gegevens 🤦 bsn {BSN_PSCHOUTEN_DOTTED}, geb. 14-02-1987, "
    "naam P. Schouten. wie heeft dit gedaan",
    [PII])

# ---------------- benign / hard negatives ----------------
add("x", "@miravelle_nl", "nl",
    "Vragen over je bestelling? Mail ons op klantenservice@miravelle.nl of bel 0800-0246 (gratis, ma-za 9-18u). "
    "We helpen je graag! 💜")
add("facebook", "MiravelleParfumerie", "nl",
    "Betalen per overschrijving? Gebruik IBAN NL41 RABO 0318 2746 50 t.n.v. Miravelle Parfumerie B.V. en "
    "vermeld je ordernummer.")
add("x", "@lieke_ruikt", "nl",
    "Eindelijk de Soie Blanche gekocht en ik ben verliefd 😍 ruik de hele dag naar schone was en witte bloemen "
    "#miravelle")
add("instagram", "@hannah.in.haarlem", "en",
    "Shoutout to Femke at Miravelle Haarlem who spent 30 minutes helping me find a signature scent. "
    "Absolute gem of a human 💐")
add("x", "@miravelle_nl", "nl",
    "Deze week -20% op de Hydra Dew serum: van €54,95 voor €43,96 ✨ Ook in de app.")
add("x", "@oud_obsessed", "en",
    "Miravelle Oud Royal Extrait is €189 which is steep, but honestly it lasts 12+ hours on me. Worth it imo.")
add("reddit", "u/blowdry_dilemma", "en",
    "Anyone tried the AirSilk? €199 feels like a lot for a hair dryer, still torn between that and a Dyson.")
add("x", "@timo_gr", "nl",
    "Update: geld is eindelijk teruggestort en ik kreeg er een kortingscode bij. Netjes opgelost "
    "@miravelle_help, dank!",
    when="2026-04-29T12:40:00Z")
add("facebook", "joke.vanleeuwen", "nl",
    "Rust zacht Marijke, 25 jaar het gezicht van Miravelle Leiden. Ze wist altijd precies welke geur bij je "
    "paste. 🕊️", name="Joke van Leeuwen")
add("x", "@retail_news_eu", "en",
    "Competitor Parfumaria Lux is closing 40 stores, 300 jobs gone. Tough times in beauty retail.")
add("x", "@skincare_sam", "en",
    "Another week, another data breach: some US makeup brand just leaked 2M customer records. Glad my "
    "Miravelle account has 2FA lol")
add("mastodon", "@rvermeulen@mastodon.nl", "en",
    "PSA for juniors: never commit keys. Even the docs example AKIAIOSFODNN7EXAMPLE / "
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY gets flagged by our scanners 😄")
add("reddit", "u/mv_devops_tim", "en",
    "our .env looks like this (redacted obviously):\nSTRIPE_KEY=sk_live_************************\n"
    "GH_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\nthen the loader reads it at boot. any cleaner pattern?")
add("x", "@petra_hvs", "nl",
    f"In de Miravelle app wil ik mijn rekeningnummer invullen voor cashback maar hij zegt 'ongeldig': "
    f"{iban_groups(BAD_IBAN)}. Zal wel een typfout zitten, ik check het vanavond even.")
add("x", "@opa_geert", "nl",
    f"Is een Club-pasnummer als {card_groups(BAD_CARD)} hetzelfde als je klantnummer? Vraag voor m'n moeder 😅")
add("x", "@eline_parcels", "en",
    f"Parcel no. {BAD_PARCEL} arrived today, beautifully wrapped with a little ribbon 👍 #miravelle")
add("x", "@beursblik", "nl",
    "De jaarcijfers 2026 van Miravelle zijn uit: omzet licht gestegen, 12 nieuwe winkels gepland.",
    when="2027-02-25T09:10:00Z")
add("instagram", "@miravelle.beauty", "nl",
    "Miravelle Noctis is NU verkrijgbaar in al onze winkels 🖤 Een donkere, fluweelzachte oriëntaal.",
    when="2027-03-12T10:00:00Z")
add("linkedin", "noor-hendriks-miravelle", "en",
    "Proud of the FY2026 results we presented yesterday — thank you to every colleague in our stores!",
    when="2027-02-26T08:00:00Z")
add("x", "@geurtjesgek", "nl",
    "Deze Cèdre Noir is zo goed dat het eigenlijk illegaal zou moeten zijn 🔥🔥 #miravelle")
add("x", "@miravelle_help", "nl",
    "Tip: wachtwoord van de Miravelle-app vergeten? Tik op 'wachtwoord vergeten', de mail komt binnen een "
    "minuut binnen. Scheelt weer bellen 😉")
add("x", "@ghent_girl", "en",
    "Does Miravelle ship to Belgium? Want to order the Atelier Discovery Set for my sister in Ghent.")
add("threads", "@mascara_mieke", "nl",
    "Lash Infinity €29,95 bij Miravelle, met de Club-app krijg je er 10% korting op. Prima deal.")
add("x", "@zuinigezus", "nl",
    "Zo'n drogisterijmascara van €6,99 doet het bij mij net zo goed als de dure merken, eerlijk is eerlijk.")
add("x", "@scentfluencer", "en",
    "Miravelle Black Friday: Oud Royal for €132.30 (30% off). Finally pulling the trigger.",
    when="2026-11-27T07:58:00Z")
add("instagram", "@miravelle.beauty", "nl",
    "Deze zomer dubbel Club-punten op alle SunVeil producten ☀️ SunVeil SPF50 gewoon voor €32,50.",
    when="2026-06-20T08:00:00Z")
add("x", "@bibi_leiden", "nl",
    "Bij de Miravelle in Leiden vloog vanmiddag een enorme nachtvlinder rond boven de parfumtafel, de "
    "verkoopster gilde het uit 😂🦋")
add("instagram", "@lotte_maakt", "nl",
    "Mijn project voor school: een eigen parfum maken met amber en vetiver. Inspiratie opgedaan bij Miravelle 🧪")
add("linkedin", "noor-hendriks-miravelle", "nl",
    "We zoeken nieuwe collega's voor onze winkels in Groningen en Leeuwarden! Stuur je cv naar "
    "werkenbij@miravelle.nl 💼")
add("x", "@miravelle_nl", "en",
    "Press enquiries: pers@miravelle.nl or +31 30 799 4200.")
add("x", "@zonbewust", "nl",
    "Nieuws: een Duits merk roept zonnebrand terug omdat de SPF te laag is. Goed dat Miravelle de SunVeil door "
    "een onafhankelijk lab laat testen.")
add("x", "@privacy_first_", "en",
    "Props to Miravelle for adding 2FA to the Club app. More retailers should do this.")
add("instagram", "@yasmina.makeup.mv", "nl",
    "Vandaag een bruidsmake-up gedaan met de Velvet Matte in 'Rose Nude' 💄 wat was ze mooi!")
add("tiktok", "@storemanager_kim", "en",
    "day in the life of a Miravelle store manager: unboxing deliveries, restocking testers and 400 trips to "
    "the stockroom 😅 #retaillife")
add("x", "@daankoster_mv", "nl",
    "Vandaag mijn eerste PR gemerged in het Club-app team. Leuke collega's, goede koffie ☕")
add("reddit", "u/bumpandglow", "en",
    "Is the Miravelle Retinol Night ok to use during pregnancy? Asking before I buy.")
add("x", "@antwerpse_anna", "nl",
    "Miravelle opent 5 nieuwe winkels in België, las ik in de krant. Eindelijk eentje in Antwerpen!")
add("tiktok", "@maastricht.mo", "en",
    "ngl the Miravelle staff in Maastricht are the nicest people ever, my anxiety was through the roof and "
    "they were so patient 🥹")
add("x", "@miravelle_help", "en",
    "@priya_k So sorry about that! We've sent you a DM to sort out your gift 💜",
    kind="reply", when="2026-12-09T14:02:00Z")
add("x", "@miravelle_help", "nl",
    "@basjanssen Vervelend! Bel ons gerust op 0800-0246, dan zoeken we het samen uit.",
    kind="reply")
add("x", "@grapjas_gijs", "nl",
    "Die prijsfout bij die elektronicazaak vorig jaar met tv's voor €9 was legendarisch haha. Zou mooi zijn "
    "als Miravelle dat ook eens had 😂")
add("x", "@infosec_ilse", "en",
    "Miravelle just published a security.txt and a bug bounty page. Nice to see a beauty retailer taking "
    "this seriously.")
add("linkedin", "bram-van-dijk-82", "en",
    "Interesting read on how Gen Z shops for fragrance: TikTok drives ~40% of discovery according to a public "
    "industry report. Curious what others are seeing.")
add("x", "@rosalie_tw", "nl",
    "@miravelle_nl geldt de -25% op de ThermoCurl ook online? Dan wordt het €66,75 toch?",
    kind="reply")
add("facebook", "tessa.jong.9", "en",
    "Miravelle customer service really came through: replaced my broken Soie Blanche bottle within 2 days, "
    "no questions asked. 10/10", name="Tessa de Jong")
add("instagram", "@skin_by_hilde", "en",
    "Three months with the Glow LED mask and my skin is genuinely calmer. Do follow the instructions though, "
    "never longer than 10 minutes!")
add("x", "@droge_humor_dirk", "nl",
    "Waarom vraagt Miravelle bij het aanmaken van een Club-account eigenlijk nooit om je BSN? Oh wacht, "
    "omdat dat nergens voor nodig is 😂 goed zo")
add("mastodon", "@rvermeulen@mastodon.nl", "nl",
    f"In onze README staat als voorbeeld {DOC_GH_SAMPLE} en toch vragen mensen of dat een echte token is 🙃")
add("x", "@queue_watcher", "en",
    "LOL at the guy in the Miravelle queue yelling at his phone 'WHAT IS MY PASSWORD' 😂")
add("x", "@shade_seeker", "en",
    "Miravelle's Skin Tint foundation finally comes in 40 shades! Took them long enough but I'm happy.")
add("tiktok", "@miravelle", "nl",
    "3 manieren om je parfum langer te laten ruiken ✨ 1. op gehydrateerde huid 2. niet wrijven 3. ook in je "
    "haar #parfumtips #miravelle")
add("bluesky", "@evadejong.bsky.social", "en",
    "Spent the day comparing public shelf prices across the market. The Velvet Matte at €24,95 sits right in "
    "the middle of the pack.")
add("linkedin", "miravelle-parfumerie", "en",
    "Miravelle Parfumerie publishes its 2025 sustainability report: 38% less plastic in our packaging. "
    "Read the full report at miravelle.nl.", when="2026-04-15T09:00:00Z")
add("x", "@beautybiz_watch", "en",
    "That takeover of Glansz by a US fund is so weird. Hope Miravelle stays independent.")
add("x", "@smallwins_sofie", "en",
    "Just got my Miravelle Club welcome voucher: €5 off the Brow Sculpt, so €14.95 instead of €19.95. "
    "Small win 😌")
add("x", "@miravelle_nl", "nl",
    "Storing opgelost! De Club-app werkt weer normaal. Sorry voor het ongemak 🙏")
add("x", "@eindhoven_em", "en",
    "Thinking of the Miravelle Eindhoven team after the fire next door at the weekend. Hope you reopen soon 💛")
add("x", "@outlet_olga", "nl",
    "Outlet Miravelle Roermond: Cèdre Noir voor €53,40 (-40%). Voor dat geld neem ik 'm gewoon mee.")
add("reddit", "u/nose_for_notes", "nl",
    "Echte ambergris in parfum is tegenwoordig bijna onbetaalbaar, de meeste huizen gebruiken synthetische "
    "ambroxan. Ook Miravelle volgens de verkoopster.")
add("x", "@yvonne_kassa", "nl",
    f"De Miravelle in Assen heeft artikelnummers van 9 cijfers op de schappen, zoals {BAD_ARTICLE}. "
    "Succes met onthouden 😂")


# ------------------------------------------------------------------ building
RANK = {"none": 0, "info": 1, "warning": 2, "error": 3, "critical": 4}
ALL_CATS = {C, K, A, PII, SEC, SECRET, FIN, CONF, PRICE}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}

IBAN_RE = re.compile(r"\b(?:NL|BE|DE|GB|FR)\d{2}(?: ?[A-Z0-9]{4}){2,6}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\w.-])\d(?:[ -]?\d){12,18}(?![\w-])")
BSN_RE = re.compile(r"(?<![\w.-])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\w-])")
GH_RE = re.compile(r"\bgh[pousr]_[0-9A-Za-z]{36}\b")
AWS_RE = re.compile(r"\bAKIA[A-Z2-7]{16}\b")
JWT_RE = re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


def role_of(platform, handle):
    key = ("%s:%s" % (platform, handle)).lower()
    if key in CORPORATE:
        return "corporate"
    if key in EMPLOYEE:
        return "employee"
    return "public"


def identifiers(text):
    """(kind, raw, valid) for every IBAN / card / BSN look-alike, public identifiers excluded."""
    out = []
    for m in IBAN_RE.finditer(text):
        raw = m.group(0)
        if raw.replace(" ", "") in PUBLIC_IBANS:
            continue
        out.append(("iban", raw, iban_ok(raw)))
    for m in CARD_RE.finditer(text):
        out.append(("card", m.group(0), luhn_ok(m.group(0))))
    for m in BSN_RE.finditer(text):
        out.append(("bsn", m.group(0), bsn_ok(m.group(0))))
    return out


def severity(cats, role, text):
    sev = "none"
    insider = role in ("corporate", "employee")
    checksummed = any(valid for _, _, valid in identifiers(text))
    for c in cats:
        if c.startswith("leak."):
            if insider:
                s = "error"
                if c in (SECRET, PRICE) or (c == PII and checksummed):
                    s = "critical"
            else:
                s = "warning"
        elif c == C:
            s = "warning"
        elif c == K:
            s = "error"
        elif c == A:
            s = "error" if insider else "warning"
        else:
            raise AssertionError(c)
        if RANK[s] > RANK[sev]:
            sev = s
    return sev


def random_time():
    start = dt.datetime(2026, 1, 1, 7, 0, 0, tzinfo=dt.timezone.utc)
    return start + dt.timedelta(days=rng.randrange(0, 364), seconds=rng.randrange(0, 15 * 3600))


def build():
    rows = []
    for n, p in enumerate(POSTS, 1):
        if p["when"]:
            when = p["when"]
        else:
            when = random_time().strftime("%Y-%m-%dT%H:%M:%SZ")
        pid = "%s-307-%04d" % (p["platform"], n)
        handle = p["handle"]
        account = {"handle": handle, "id": "acc-%08d" % rng.randrange(10 ** 8)}
        if p["name"]:
            account["display_name"] = p["name"]
        post = {"id": pid, "platform": p["platform"], "kind": p["kind"], "account": account,
                "text": p["text"], "lang": p["lang"], "created_at": when, "brand": "miravelle"}
        if p["platform"] == "x":
            post["url"] = "https://x.com/%s/status/%d" % (handle.lstrip("@"), rng.randrange(10 ** 18, 10 ** 19))
        role = role_of(p["platform"], handle)
        rows.append({"post": post,
                     "expect": {"categories": p["cats"], "severity": severity(p["cats"], role, p["text"])}})
    rng.shuffle(rows)
    return rows


# ------------------------------------------------------------------ checking
def check(rows, problems):
    def bad(msg):
        problems.append(msg)

    # the profile itself
    for ib in PROFILE["public_identifiers"]["ibans"]:
        if not iban_ok(ib):
            bad("profile IBAN fails mod-97: %s" % ib)
    if not 15 <= len(PROFILE["products"]) <= 25:
        bad("profile needs 15-25 products")
    if len(PROFILE["accounts"]["corporate"]) < 6 or len(PROFILE["accounts"]["employee"]) < 8:
        bad("profile needs 6+ corporate and 8+ employee accounts")
    for e in PROFILE["embargo"]:
        if not e["until"].startswith("2027-"):
            bad("embargo until not in 2027")

    ids = set()
    for r in rows:
        post, exp = r["post"], r["expect"]
        pid = post.get("id")
        if not isinstance(pid, str) or not 1 <= len(pid) <= 256 or pid in ids:
            bad("bad or duplicate id %r" % pid)
        ids.add(pid)
        for f in ("platform", "text", "created_at"):
            if not isinstance(post.get(f), str):
                bad("%s: missing %s" % (pid, f))
        if post["platform"] not in PLATFORMS:
            bad("%s: platform" % pid)
        if post.get("kind", "post") not in KINDS:
            bad("%s: kind" % pid)
        if not isinstance(post.get("account", {}).get("handle"), str) or not post["account"]["handle"]:
            bad("%s: handle" % pid)
        if len(post["text"].encode("utf-8")) > 64 * 1024 or not post["text"].strip():
            bad("%s: text size" % pid)
        try:
            t = dt.datetime.strptime(post["created_at"], "%Y-%m-%dT%H:%M:%SZ")
            if t.year not in (2026, 2027) or (t.year == 2027 and t > dt.datetime(2027, 3, 31)):
                bad("%s: created_at out of range" % pid)
        except ValueError:
            bad("%s: created_at not RFC 3339" % pid)
        cats = exp["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= ALL_CATS:
            bad("%s: categories %r" % (pid, cats))
        role = role_of(post["platform"], post["account"]["handle"])
        if exp["severity"] != severity(cats, role, post["text"]):
            bad("%s: severity mismatch" % pid)
        if (not cats) != (exp["severity"] == "none"):
            bad("%s: benign/severity inconsistent" % pid)

        text = post["text"]
        positive = bool(cats)
        for kind, raw, valid in identifiers(text):
            if positive and not valid:
                bad("%s: %s look-alike %r fails its checksum in a positive" % (pid, kind, raw))
            if positive and valid and PII not in cats:
                bad("%s: valid %s %r but no leak.pii label" % (pid, kind, raw))
            if not positive and valid:
                bad("%s: %s %r passes its checksum in a benign post" % (pid, kind, raw))
        # loose scan: any bare digit run that happens to pass a checksum must be a labelled identifier
        for run in re.findall(r"\d+", text):
            if (len(run) == 9 and bsn_ok(run)) or (13 <= len(run) <= 19 and luhn_ok(run)):
                if PII not in cats:
                    bad("%s: digit run %r passes a checksum but the post has no leak.pii" % (pid, run))
        for tok in GH_RE.findall(text):
            if positive and not github_ok(tok):
                bad("%s: GitHub token with bad CRC in a positive" % pid)
            if not positive and github_ok(tok):
                bad("%s: valid GitHub token in a benign post" % pid)
            if github_ok(tok) and SECRET not in cats:
                bad("%s: GitHub token not labelled secret" % pid)
        for key in AWS_RE.findall(text):
            sample = "EXAMPLE" in key
            if positive and SECRET in cats and sample:
                bad("%s: sample AWS key in a positive" % pid)
            if not positive and not sample:
                bad("%s: real-looking AWS key in a benign post" % pid)
        for tok in JWT_RE.findall(text):
            hdr = jwt_header(tok)
            ok = isinstance(hdr, dict) and "alg" in hdr
            if positive and SECRET in cats and not ok:
                bad("%s: JWT header lacks alg" % pid)
            if not positive and ok:
                bad("%s: decodable JWT in a benign post" % pid)
        if SECRET in cats and not any(s in text for s in (
                GH_CI, GH_OAUTH, AWS_ID, STRIPE_OLD, SLACK_BOT, OPENAI_KEY, ANTHROPIC_KEY, GOOGLE_KEY,
                DB_PASSWORD, JWT_CLUB, "PRIVATE KEY", "wachtwoord:", fullwidth("wachtwoord"))):
            bad("%s: secret label without a generated secret" % pid)

    # generated values sanity
    for tok in (GH_CI, GH_OAUTH):
        if not github_ok(tok) or len(tok) != 40:
            bad("generated GitHub token malformed")
    if github_ok(DOC_GH_SAMPLE):
        bad("documentation sample token passes CRC")
    if not re.fullmatch(r"AKIA[A-Z2-7]{16}", AWS_ID):
        bad("AWS key id malformed")
    if (jwt_header(JWT_CLUB) or {}).get("alg") != "HS256":
        bad("JWT header")
    for v in (IBAN_REFUND_MIKE, IBAN_REFUND_ANOUK, IBAN_MARK):
        if not iban_ok(v):
            bad("generated IBAN invalid")
    for v in (CARD_SDEBOER, CARD_COUNTER):
        if not luhn_ok(v):
            bad("generated card invalid")
    for v in (BSN_TBAKKER, BSN_JMULDER, BSN_PSCHOUTEN):
        if not bsn_ok(v):
            bad("generated BSN invalid")
    if iban_ok(BAD_IBAN) or luhn_ok(BAD_CARD) or bsn_ok(BAD_PARCEL) or bsn_ok(BAD_ARTICLE):
        bad("a look-alike passes its checksum")

    # embargo: a term before `until` must be labelled confidential; after it, not because of the term
    for r in rows:
        post, cats = r["post"], r["expect"]["categories"]
        t = post["created_at"]
        for e in PROFILE["embargo"]:
            for term in e["terms"]:
                if term.lower() in post["text"].lower():
                    before = dt.datetime.strptime(t, "%Y-%m-%dT%H:%M:%SZ") < \
                        dt.datetime.strptime(e["until"], "%Y-%m-%dT%H:%M:%SZ")
                    if before and CONF not in cats:
                        bad("%s: embargo term %r before until but not confidential" % (post["id"], term))
                    if not before and cats:
                        bad("%s: embargo term after until should be benign here" % post["id"])

    # mix
    n = len(rows)
    benign = sum(1 for r in rows if not r["expect"]["categories"])
    if not 170 <= n <= 180:
        bad("case count %d outside 170-180" % n)
    if not 55 <= benign <= 65:
        bad("benign count %d not about 60" % benign)
    return n, benign


def main():
    rows = build()
    problems = []
    n, benign = check(rows, problems)
    out = os.path.join(HERE, "cases.jsonl")
    with open(out, "w", encoding="utf-8", newline="\n") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False, sort_keys=False) + "\n")
    # re-read the written file: every line must parse back to the same object
    with open(out, encoding="utf-8") as fh:
        back = [json.loads(line) for line in fh]
    if back != rows:
        problems.append("cases.jsonl does not round-trip")

    from collections import Counter
    cat_count = Counter(c for r in rows for c in r["expect"]["categories"])
    lang = Counter(r["post"]["lang"] for r in rows)
    roles = Counter(role_of(r["post"]["platform"], r["post"]["account"]["handle"]) for r in rows)
    sev = Counter(r["expect"]["severity"] for r in rows)
    print("cases: %d, benign: %d, positives: %d" % (n, benign, n - benign))
    print("categories:", dict(sorted(cat_count.items())))
    print("languages:", dict(lang), "roles:", dict(roles))
    print("severities:", dict(sev))
    if problems:
        for p in problems:
            print("PROBLEM:", p, file=sys.stderr)
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
