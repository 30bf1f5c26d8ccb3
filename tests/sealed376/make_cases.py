#!/usr/bin/env python3
"""Held-out evaluation set 376 for postwatch: Veldklank Audio B.V. (headphones, home audio).

Deterministic: fixed seed, standard library + PyYAML. Writes cases.jsonl next to this
file and checks it: checksums of identifiers, CONTRACT section 6 shape, severities
computed from the account role in profile.yaml (CONTRACT section 4), never typed by hand.
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
import unicodedata
import zlib
from collections import Counter

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))
OUT = os.path.join(HERE, "cases.jsonl")

rng = random.Random(376)

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
URLSAFE = string.ascii_letters + string.digits + "-_"


def pick(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


# ---------------------------------------------------------------- identifiers
def _iban_num(s):
    return int("".join(str(int(c, 36)) for c in s))


def iban_ok(iban):
    s = re.sub(r"\s+", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return _iban_num(s[4:] + s[:4]) % 97 == 1


def luhn_ok(number):
    d = [int(c) for c in re.sub(r"\D", "", number)]
    if not 13 <= len(d) <= 19:
        return False
    total = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        total += x
    return total % 10 == 0


def bsn_ok(number):
    d = [int(c) for c in re.sub(r"\D", "", number)]
    if len(d) != 9 or all(x == 0 for x in d):
        return False
    s = sum(d[i] * (9 - i) for i in range(8)) - d[8]
    return s % 11 == 0


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


BANKS = ["ABNA", "INGB", "RABO", "TRIO", "KNAB", "BUNQ", "SNSB", "ASNB"]
REGISTRY = {}  # generated identifier (compact) -> (kind, expected validity)


def make_iban(valid=True, spaced=True):
    bban = rng.choice(BANKS) + "".join(rng.choice(string.digits) for _ in range(10))
    ck = 98 - _iban_num(bban + "NL00") % 97
    if not valid:
        ck = (ck + rng.randint(1, 95)) % 97 + 2  # any other check digits (2..98)
        if ck == 98 - _iban_num(bban + "NL00") % 97:
            ck = ck + 1 if ck < 98 else 2
    s = "NL%02d%s" % (ck, bban)
    assert iban_ok(s) == valid
    REGISTRY[s] = ("iban", valid)
    return group4(s) if spaced else s


def make_card(valid=True, brand="visa", sep=" "):
    while True:
        if brand == "visa":
            body = "4" + "".join(rng.choice(string.digits) for _ in range(14))
        else:
            body = str(rng.randint(51, 55)) + "".join(rng.choice(string.digits) for _ in range(13))
        for last in string.digits:
            if luhn_ok(body + last) == valid:
                num = body + last
                break
        if luhn_ok(num) == valid:
            break
    REGISTRY[num] = ("card", valid)
    return sep.join(num[i:i + 4] for i in range(0, 16, 4))


def make_bsn(valid=True, fmt="plain"):
    while True:
        first = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        s = sum(first[i] * (9 - i) for i in range(8))
        if valid:
            last = s % 11
            if last == 10:
                continue
        else:
            last = rng.randint(0, 9)
            if (s - last) % 11 == 0:
                continue
        num = "".join(map(str, first + [last]))
        assert bsn_ok(num) == valid
        break
    REGISTRY[num] = ("bsn", valid)
    if fmt == "dots":
        return num[:3] + "." + num[3:6] + "." + num[6:]
    if fmt == "spaced":
        return num[:4] + " " + num[4:6] + " " + num[6:]
    return num


# ---------------------------------------------------------------- credentials
def b62(n, width=6):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def github_token(prefix="ghp_"):
    body = pick(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF)


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()) & 0xFFFFFFFF) == m.group(2)


def aws_key_id():
    return "AKIA" + pick(string.ascii_uppercase + "234567", 16)


def aws_secret():
    return pick(string.ascii_letters + string.digits + "/+", 40)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt_token(claims):
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = b64url(json.dumps(claims, separators=(",", ":")).encode())
    key = bytes(rng.getrandbits(8) for _ in range(32))
    sig = b64url(hmac.new(key, (header + "." + payload).encode(), hashlib.sha256).digest())
    return header + "." + payload + "." + sig


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    try:
        pad = parts[0] + "=" * (-len(parts[0]) % 4)
        head = json.loads(base64.urlsafe_b64decode(pad))
    except Exception:
        return False
    return isinstance(head, dict) and "alg" in head


def openssh_key():
    raw = b"openssh-key-v1\x00" + b"\x00\x00\x00\x04none\x00\x00\x00\x04none\x00\x00\x00\x00\x00\x00\x00\x01"
    raw += b"\x00\x00\x003\x00\x00\x00\x0bssh-ed25519\x00\x00\x00 " + bytes(rng.getrandbits(8) for _ in range(300))
    body = base64.b64encode(raw).decode()
    lines = [body[i:i + 70] for i in range(0, len(body), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def stripe_live():
    return "sk_live_51" + pick(ALNUM, 22) + pick(ALNUM, 76)


def slack_bot():
    while True:  # keep the numeric parts from passing Luhn by chance (no accidental card numbers)
        a, b = rng.randint(10 ** 11, 10 ** 12 - 1), rng.randint(10 ** 12, 10 ** 13 - 1)
        if not luhn_ok(str(b)):
            return "xoxb-%d-%d-%s" % (a, b, pick(ALNUM, 24))


def openai_key():
    return "sk-proj-" + pick(URLSAFE, 74) + "T3BlbkFJ" + pick(URLSAFE, 74)


def anthropic_key():
    return "sk-ant-api03-" + pick(URLSAFE, 93) + "AA"


def google_key():
    return "AIza" + pick(URLSAFE, 35)


def gitlab_pat():
    return "glpat-" + pick(URLSAFE, 20)


def password(n=14):
    return pick(string.ascii_letters + string.digits, n - 2) + rng.choice("!#%&*") + rng.choice(string.digits)


# ---------------------------------------------------------------- generated values
IB_PUBLIC = PROFILE["public_identifiers"]["ibans"][0]
IB1 = make_iban(True)            # public complaint, own refund IBAN
IB2 = make_iban(True)            # care lead replies with customer IBAN
IB3 = make_iban(True, spaced=False)  # found wallet
IB_BAD1 = make_iban(False)       # phishing warning (fails mod-97)
IB_BAD2 = make_iban(False, spaced=False)
CARD1 = make_card(True, "visa")
CARD2 = make_card(True, "mc", sep="-")
CARD3 = make_card(True, "visa")
CARD_BAD1 = make_card(False, "visa")
CARD_BAD2 = make_card(False, "mc")
CARD_BAD3 = make_card(False, "visa", sep="")
BSN1 = make_bsn(True)
BSN_BAD1 = make_bsn(False)
BSN_BAD2 = make_bsn(False, fmt="dots")
BSN_BAD3 = make_bsn(False, fmt="spaced")

AWS1, AWS1S = aws_key_id(), aws_secret()
AWS2, AWS2S = aws_key_id(), aws_secret()
GH1 = github_token("ghp_")
GH2 = github_token("ghs_")
STRIPE1 = stripe_live()
SLACK1 = slack_bot()
JWT1 = jwt_token({"sub": "svc-korre-app", "role": "admin", "iss": "api.veldklank.nl",
                  "iat": 1773900000, "exp": 1805436000})
SSH1 = openssh_key()
OPENAI1 = openai_key()
ANTH1 = anthropic_key()
GOOG1 = google_key()
GLPAT1 = gitlab_pat()
PG_PW = password(16)
PG_URL = "postgres://orders_rw:%s@veldklank-prod.c7hx2kq0lmzd.eu-west-1.rds.amazonaws.com:5432/orders" % PG_PW
WIFI_PW = "Kl4nkh0rn!2026"
DEALER_PW = password(12)

# ---------------------------------------------------------------- cases
CAT = {
    "secret": "leak.secret", "pii": "leak.pii", "pricing": "leak.pricing",
    "confidential": "leak.confidential", "financial": "leak.financial",
    "security": "leak.security", "crisis": "reputation.crisis",
    "complaint": "reputation.complaint", "abuse": "reputation.abuse",
}

CASES = []


def case(platform, handle, lang, text, cats="", kind="post", at=None, price=None, allow=()):
    """price: list of (alias, amount) pairs that the post states for our products.
    allow: profile terms that appear harmlessly (only for hand-checked hard negatives)."""
    CASES.append(dict(platform=platform, handle=handle, lang=lang, text=text,
                      cats=sorted(CAT[c] for c in cats.split()) if cats else [],
                      kind=kind, at=at, price=price or [], allow=set(allow)))


# ======================= reputation.complaint ===============================
case("x", "@femkevdz", "nl",
     "@veldklank_help al 3 weken wacht ik op mijn terugbetaling voor de Orla 900 die ik netjes retour heb gestuurd. "
     "Ordernummer staat in jullie DM. Nul reactie. Begint echt belachelijk te worden", "complaint", kind="reply")
case("reddit", "soundbar_sufferer", "en",
     "Rant / PSA: firmware 4.2 bricked my Dune 500. Blinking amber light, no HDMI ARC, factory reset does nothing. "
     "Veldklank support told me to 'wait for a fix'. That was 11 days ago. Anyone else stuck with a €799 doorstop?",
     "complaint")
case("x", "@jorisbeats", "en",
     "left bud of my pip buds pro just won't charge anymore 🙄 3 months old. great quality veldklank, really",
     "complaint")
case("x", "@commuter_claire", "en",
     "The ANC on my Orla 700 makes this high pitched whine every time I'm on a train. @veldklank_help keeps sending "
     "me the same reset steps like I haven't tried turning it off and on again 🙃", "complaint")
case("facebook", "Marijke Hoogland", "nl",
     "Garantie afgewezen omdat er 'vochtschade' zou zijn aan mijn Brisk Go. Het ding is WATERDICHT volgens jullie eigen "
     "reclame!! IPX7 staat gewoon op de doos. Echt bizar hoe jullie met klanten omgaan.", "complaint", kind="comment")
case("instagram", "@sophie.draws", "en",
     "ordered a Korre Two in sage green, got a black one. exchanged it, got ANOTHER black one 😐 how hard can it be "
     "@veldklank.audio", "complaint", kind="comment")
case("threads", "@wouterk_", "nl",
     "korre app wil ineens dat ik een account aanmaak om mn EIGEN speaker te bedienen. kom op zeg. en sinds die update "
     "doet multiroom het ook niet meer, 2 van de 3 speakers vallen steeds weg", "complaint")
case("youtube", "@vinylvera", "en",
     "Bought the Vinnor T3 after watching this. Motor hum comes straight through the speakers and the tonearm lift "
     "drops way too fast. Sent it back. Veldklank QC isn't what it used to be.", "complaint", kind="comment")
case("x", "@tiemen_b", "nl",
     "oorkussens van mn orla 900 bladderen na een jaar al helemaal af. voor 349 euro verwacht je toch wat anders. "
     "vervangset kost dan weer 39 euro, lekker verdienmodel @veldklank", "complaint", price=[("Orla 900", 349)])
case("bluesky", "@nadia-k.bsky.social", "en",
     "the Pip Buds 2 case lid won't stay shut anymore and the buds drop the connection to my phone every few minutes. "
     "second pair, same issue. I'm done with this brand tbh", "complaint")
case("x", "@gerbenzwart", "nl",
     "PostNL zegt bezorgd, Veldklank zegt 'onderweg', ik heb niks. Dune Sub 10 van €599 ergens in het niets verdwenen "
     "en de chat is een bot die er geen snars van snapt.", "complaint", price=[("Dune Sub 10", 599)])
case("forum", "iem_enjoyer", "en",
     "Halvard DAC1 has a constant hiss with sensitive IEMs, audible even with nothing playing. Emailed support twice "
     "with measurements attached, no reply after two weeks. Pretty disappointing at €249.", "complaint",
     price=[("Halvard DAC1", 249)])
# complaint + own personal data (public)
case("x", "@petra_smulders", "nl",
     "@veldklank_help jullie reageren niet op DMs dus dan maar zo: bel me aub terug op 06-41 83 27 59. Bestelling "
     "staat op naam van Petra Smulders. Korre Hub kwam kapot binnen en ik hoor al 10 dagen niks.",
     "complaint pii", kind="reply")
case("facebook", "Jide Okafor", "en",
     "Third time asking. The refund for my Lumen B2 goes to %s (J. Okafor), you've had these details for a month "
     "now. Sort it out please." % IB1, "complaint pii", kind="comment")
case("x", "@dgreen_uk", "en",
     "@veldklank_help you charged my card twice for one pair of Pip Buds Sport. card %s, check your own system "
     "and refund the duplicate please" % CARD3, "complaint pii", kind="reply")
# complaint + abuse
case("x", "@stefan_ruis", "nl",
     "Klantenservice van Veldklank is echt een stelletje incompetente klootzakken. 4x gebeld over mn kapotte Orla 700, "
     "4x een ander verhaal gekregen.", "complaint abuse")
# complaint + crisis: first-hand safety incidents
case("x", "@annelies_pf", "nl",
     "Mijn Pip Buds Pro laadcase werd gisteravond gloeiend heet en begon te roken op mijn nachtkastje. Brandplek in het "
     "hout 😳 Als ik had liggen slapen... @veldklank_help wat gaan jullie hieraan doen??", "complaint crisis")
case("reddit", "groundloop_gary", "en",
     "My Maelstrom A50 gave me a proper electric shock when I touched the volume knob while hooking up a turntable. "
     "Arm tingled for an hour. Amp is earthed, an electrician checked the wiring. Veldklank support just says 'return "
     "it to your dealer'. This thing is dangerous.", "complaint crisis")
case("facebook", "Dewi Kartosen", "nl",
     "Mijn zoontje (7) kreeg uitslag en blaren achter zijn oren van de Mino Kids koptelefoon. Huisarts zegt "
     "contactallergie voor het materiaal van de kussens. Dat kan toch niet de bedoeling zijn bij een kinderproduct?! "
     "Veldklank, reageer eens.", "complaint crisis")
case("x", "@mattyboombox", "en",
     "woke up to my Brisk Max battery swollen and the case split open, room smelled like burnt plastic. it was "
     "charging next to my kid's bed. @veldklank this could have been so much worse", "complaint crisis")
case("instagram", "@runwithroos", "nl",
     "Tijdens het hardlopen gaven mijn Pip Buds Sport ineens een keiharde knal/piep in mijn oor. Sindsdien piept het "
     "(tinnitus volgens de KNO-arts). Veldklank stuurt alleen een standaardmailtje terug. Ben er echt klaar mee.",
     "complaint crisis")

# ======================= reputation.crisis (third party / news) =============
case("x", "@consumentwaakhond", "nl",
     "Veldklank roept de Brisk Max terug vanwege oververhittende accu's, meldt de NVWA. Check het serienummer onderop "
     "je speaker en stop met opladen als het in de reeks valt.", "crisis")
case("x", "@techlaw_daily", "en",
     "Class action filed in Amsterdam against Veldklank over alleged hearing damage from the Orla ANC range. "
     "Lawyers claim 400+ plaintiffs have signed up so far.", "crisis")
case("x", "@eerlijke_elektronica", "nl",
     "#BoycotVeldklank 🚫 hun koptelefoons worden gemaakt in fabrieken waar kinderen werken, staat in het rapport van "
     "vandaag. Niks meer kopen van die club, deel dit!!", "crisis")
case("bluesky", "@privacyfirst-tom.bsky.social", "en",
     "Pretty sure Veldklank got breached. I used a unique e-mail only for their webshop and now I get phishing mails "
     "quoting my exact order number and Korre Hub serial. And they say nothing.", "crisis")
case("reddit", "zwolsenaar83", "nl",
     "Volgens de regionale omroep onderzoekt de brandweer een woningbrand in Zwolle die begonnen zou zijn bij een "
     "opladende Veldklank Brisk Go. Gelukkig niemand gewond. Iemand meer info?", "crisis")
case("x", "@ouder_alert", "nl",
     "Uit test blijkt: Pip Buds 2 halen veel hogere volumes dan wettelijk is toegestaan, Veldklank moet uitleg geven. "
     "Ouders let op wat je kinderen in hun oren stoppen.", "crisis")
case("tiktok", "@lena.speaks", "en",
     "stop buying veldklank. they fired their whole support team by email and people found out from the news "
     "#boycottveldklank #corporategreed", "crisis")
case("facebook", "Hennie Wolters", "nl",
     "Mijn buurvrouw kreeg een flinke schok van haar Veldklank soundbar toen ze de stekker eruit trok. Ze is op de "
     "spoedeisende hulp nagekeken, gaat gelukkig goed. Doe voorzichtig mensen.", "crisis")
case("forum", "ondernemersforum_piet", "nl",
     "Veldklank wordt door een voormalige leverancier voor €12 miljoen voor de rechter gesleept vanwege onbetaalde "
     "facturen. Zitting staat voor maart, aldus de rolzitting.", "crisis")

# ======================= reputation.abuse ====================================
case("x", "@boos_bas", "nl", "veldklank is echt een kankerbedrijf, nooit meer", "abuse")
case("x", "@rage_quit_ryan", "en",
     "@veldklank_help you absolute clowns. useless f*cking morons, every last one of you", "abuse", kind="reply")
case("x", "@mvdh1971", "nl",
     "Die Lotte van Rijn van de klantenservice is een arrogante trut. Iemand moet haar eens flink op haar plek zetten.",
     "abuse")
case("x", "@echtehollander88", "nl",
     "bel je Veldklank krijg je zo'n buitenlander aan de lijn die geen woord Nederlands spreekt. stelletje apen, ga "
     "terug naar je eigen land", "abuse")
case("x", "@kees_qa", "nl",
     "@hifi_henk misschien eerst leren hoe een bluetooth knop werkt, sukkel. jezus wat een idioot", "abuse", kind="reply")
case("tiktok", "@veldklank", "en",
     "lmao imagine being this dumb. return it then, nobody cares, loser 🤡", "abuse", kind="reply")
case("x", "@n0filter_nick", "en",
     "v3ldkl4nk = sc4mm1ng p13ces of sh1t. f*ck y0u all", "abuse")
case("x", "@tobias_gr", "nl",
     "Veldklank k\u200bu\u200bt\u200bb\u200be\u200bd\u200br\u200bi\u200bj\u200bf, hoop dat jullie failliet gaan", "abuse")
case("threads", "@sjaak.db", "nl",
     "Veldklank kan de pot op. Tering zooi en tyfuslijers bij de helpdesk.", "abuse")
case("x", "@quietthreat", "en",
     "I know where your Utrecht office is. Keep ignoring me and see what happens to your precious staff.", "abuse")
case("x", "@hansvdb_", "nl",
     "V\u0435ldkl\u0430nk = \u043epl\u0438chters en h\u043e\u0435r\u0435nz\u043en\u0435n", "abuse")
# pii + abuse: doxxing a staff member
case("x", "@payback_time", "en",
     "Here's the home address of that Veldklank care manager Lotte van Rijn: Weerdsingel OZ 61, 3513 BB Utrecht. "
     "Go pay her a visit.", "pii abuse")

# ======================= leak.pricing =======================================
case("x", "@dealhunter_nl", "nl",
     "Orla ANC 900 voor €34,90 op shop.veldklank.nl?? dat is toch een prijsfout 😂 snel bestellen voordat ze het zien",
     "pricing", price=[("Orla ANC 900", 34.90)])
case("x", "@veldklank", "nl",
     "🔥 Flash deal: de Dune 500 soundbar nu voor maar €79! Alleen vandaag, op = op.", "pricing",
     price=[("Dune 500", 79)])
case("instagram", "@noor.soundlab", "nl",
     "Wie wil mijn Lumen F5 vloerstaanders overnemen? Kocht ze voor €450 het paar via de personeelsverkoop, "
     "past toch niet in mijn woonkamer 🙈", "pricing", price=[("Lumen F5", 450)])
case("reddit", "bargain_bin_ben", "en",
     "Veldklank's site has the Maelstrom A50 listed at €89 right now. Pricing error surely? Ordered two just in case lol",
     "pricing", price=[("Maelstrom A50", 89)])
case("facebook", "Gert-Jan Post", "nl",
     "Kost de Korre Two echt €34 bij Veldklank? Staat zo in de app bij mij, lijkt me een foutje toch", "pricing",
     kind="comment", price=[("Korre Two", 34)])
case("x", "@marloes_rtsm", "nl",
     "Oeps 🙈 er stond vanochtend een prijsfout op de Halvard H1 in onze webshop, collega's zijn het aan het fixen. "
     "Bestellingen van vanochtend bekijken we nog.", "pricing")
case("x", "@glitchdeals", "en",
     "PRICE GLITCH 🚨 Vinnor T3 turntable for €39.99 at veldklank dot nl. go go go", "pricing",
     price=[("Vinnor T3", 39.99)])
case("facebook", "VeldklankAudio", "nl",
     "Alleen dit weekend: Pip Buds Pro van €199 voor €19,90! 🎧 Op = op.", "pricing",
     price=[("Pip Buds Pro", 19.90)])
case("threads", "@koopjesjager", "en",
     "lol the Orla Play headset for 15 euros in the Veldklank outlet, that can't be right", "pricing",
     price=[("Orla Play", 15)])
case("linkedin", "ingrid-holt-audio", "en",
     "Heads up team: the webshop shows the Dune Sub 10 at €59.90 instead of €599, someone dropped a zero in the price "
     "feed. Please don't share the link around until it's fixed.", "pricing", price=[("Dune Sub 10", 59.90)])
case("bluesky", "@ellisvinyl.bsky.social", "en",
     "got a pair of Lumen B2 for €120 from the Veldklank webshop this morning and the order is confirmed 👀 "
     "pricing mistake?", "pricing", price=[("Lumen B2", 120)])
case("x", "@snelle_sanne", "nl",
     "Brisk Go voor € 9,99 !!! p r i j s f o u t bij veldklank, gauw", "pricing", price=[("Brisk Go", 9.99)])

# ======================= leak.financial =====================================
case("linkedin", "yusuf-kaya-veldklank", "en",
     "Proud of the finance team for closing Q3 in record time. Revenue landed at €41.2M, about 9% under budget, so the "
     "full-year guidance will have to come down when we publish next month. Onwards!", "financial")
case("x", "@daan_oosterhuis", "nl",
     "nou het is intern officieel: 85 man eruit bij R&D in Eindhoven. reorganisatie wordt pas in november "
     "aangekondigd. lekker dan", "financial")
case("x", "@beursbabbel", "nl",
     "Hoor van een vriend bij Veldklank dat ze worden overgenomen door een Amerikaans private-equityfonds, deal zou "
     "bijna rond zijn. Staat nog nergens in het nieuws.", "financial")
case("bluesky", "@lottevanrijn.bsky.social", "en",
     "Rough day. We were told the Leeuwarden care centre closes mid-2027 and all chat support moves to an outsourcer. "
     "Not public yet so please don't share, just needed to vent.", "financial")
case("linkedin", "ingrid-holt-audio", "nl",
     "Tidewater is eindelijk rond 🎉 wij nemen die Scandinavische speakerstartup over voor rond de 30 miljoen. "
     "Persbericht volgt pas over twee weken, dus nog even stil houden!", "financial confidential")
case("reddit", "vk_rik_fw", "en",
     "not gonna say too much but the FY forecast just got cut to €160M internally and bonuses are frozen. "
     "wouldn't be surprised by a profit warning soon", "financial")
case("linkedin", "veldklank-audio", "nl",
     "CONCEPT – niet publiceren: Veldklank Audio verwacht over 2026 een nettoverlies van €7 à 9 miljoen. "
     "Aandeelhouders en bank worden op 3 maart geïnformeerd.", "financial")
case("x", "@marloes_rtsm", "nl",
     "de jaarcijfers 2026 net gezien... omzet +14% 🥂🥂 ik mag nog niks zeggen maar wauw", "financial confidential",
     at="2026-12-18T16:42:10Z")
case("threads", "@evi.veldklank", "en",
     "store managers meeting today: 6 of the 11 Veldklank brand stores close next year. staff only hear about it in "
     "January 😔", "financial")
case("reddit", "bondholder_bart", "en",
     "Cousin works in Veldklank's treasury team. Says they're about to breach their bank covenants and are "
     "negotiating an emergency loan. Sell if you're holding their notes.", "financial")
case("instagram", "@noor.soundlab", "nl",
     "Zwaluwstaart gaat door!! fusie met die Deense luidsprekerbouwer, vanaf april één bedrijf 🇳🇱🤝🇩🇰 "
     "(nog geheim dus sst)", "financial confidential")
case("x", "@kees_qa", "en",
     "the whole QA team in Utrecht gets cut in half in the reorg. letters go out right after the Q4 numbers. "
     "great christmas present", "financial")

# ======================= leak.confidential ==================================
case("x", "@daan_oosterhuis", "nl",
     "eindelijk mag ik full-time aan Project Marlijn werken. die nieuwe ANC-chip is absurd goed, wacht maar af",
     "confidential")
case("instagram", "@noor.soundlab", "nl",
     "Sneak peek uit het lab 👀 Pip Buds 3 prototypes op de meetkop. Klinken waanzinnig, meer mag ik niet zeggen 🤐",
     "confidential", at="2026-10-07T14:05:00Z")
case("mastodon", "@bramdewit@mastodon.nl", "en",
     "is jira.veldklank.nl crawling for anyone else today? FW-2281 won't even load", "confidential")
case("x", "@veldklank", "nl",
     "Dealers: de nieuwe prijslijst staat hier https://intranet.veldklank.local/sales/prijslijst-2027.xlsx", "confidential")
case("reddit", "leakspotter", "en",
     "Leaked Veldklank slide marked 'VK-CONFIDENTIAL' shows a new over-ear called Orla ANC 1000 with lossless USB-C "
     "audio and a 60h battery. Looks legit.", "confidential")
case("linkedin", "ingrid-holt-audio", "nl",
     "Onze roadmap voor 2027 (veldklank intern) in één plaatje: Dune 900 soundbar in Q2, Korre Three in Q3. "
     "Wat vinden jullie ervan?", "confidential")
case("x", "@kees_qa", "nl",
     "testen testen testen aan \uff30\uff52\uff4f\uff4a\uff45\uff43\uff54 \uff2d\uff41\uff52\uff4c\uff49\uff4a\uff4e "
     "tot middernacht 😵", "confidential")
case("bluesky", "@lottevanrijn.bsky.social", "en",
     "Had our NDA briefing on the new kids headphones today. The Mino 2 gets a volume limiter parents can set from the "
     "app. Can't say more!", "confidential")
case("x", "@audio_insider_", "nl",
     "mijn broer werkt bij Veldklank en zegt dat Tidewater een draadloze studiokoptelefoon is die de Halvard H1 "
     "moet opvolgen", "confidential")
case("threads", "@evi.veldklank", "nl",
     "nieuwe Korre demo-units binnen 🎉 de live cijfers van de winkel kun je trouwens zien op "
     "grafana.veldklank.nl/d/store-ops haha", "confidential")
case("reddit", "vk_rik_fw", "en",
     "Marlijn build 0.9.3 finally passes ANC tuning. Project Marlijn ships with a completely new DSP, you're going to "
     "love it", "confidential")
case("x", "@daan_oosterhuis", "nl",
     "Z.w.a.l.u.w.s.t.a.a.r.t overleg weer uitgelopen, 3 uur spreadsheets. kan niet meer", "confidential")
case("instagram", "@veldklank.audio", "nl",
     "Er komt iets nieuws voor in je oren... 10 februari 👂✨ #PipBuds3 #Veldklank", "confidential",
     at="2026-12-20T11:00:00Z")
case("mastodon", "@bramdewit@mastodon.nl", "nl",
     "Citaat uit een memo met 'STRIKT VERTROUWELIJK' erboven: 'Dune 900 krijgt Dolby Atmos met 11 drivers'. "
     "Tja, dat werd tijd", "confidential")

# ======================= leak.security ======================================
case("mastodon", "@bramdewit@mastodon.nl", "en",
     "3am and the Korre cloud is still down, whole multiroom backend dead since 23:00. status page still says 'all "
     "systems operational' lol", "security")
case("x", "@daan_oosterhuis", "en",
     "found out today the Korre Hub exposes its setup API on the LAN without any auth. you can reflash it with a single "
     "curl. fix is months away 😬", "security")
case("reddit", "vk_rik_fw", "en",
     "not supposed to say this but Pip Buds Pro BLE pairing can be hijacked from ~10m away, we reproduced it in the "
     "lab last week. patch isn't planned before Q1", "security")
case("bluesky", "@lottevanrijn.bsky.social", "nl",
     "Hele team zit al de hele dag zonder CRM, ransomware op de klantenservicesystemen. Klanten mogen het nog niet "
     "weten, dus we 'hebben een storing'.", "security")
case("x", "@kees_qa", "nl",
     "voor wie vraagt waarom de Korre app niks doet: onze certificaten op api.veldklank.nl zijn verlopen en niemand "
     "had het gezien 🤦 ff geduld", "security")
case("x", "@veldklank_help", "nl",
     "@sven_dekker Dag Sven, we hebben intern een datalek ontdekt waarbij bestelgegevens mogelijk zijn ingezien. "
     "Dit is nog niet bekendgemaakt, dus we vragen je dit nog niet te delen. Excuses!", "security", kind="reply")
case("x", "@bart_webdev", "en",
     "my mate at Veldklank says their webshop shows other customers' invoices if you change the number in the URL. "
     "they know and still haven't fixed it. your address is out there folks", "security crisis")
case("linkedin", "yusuf-kaya-veldklank", "en",
     "Long day: our payment provider integration was down for 6 hours this morning and we lost most of the Black "
     "Friday morning orders. Post-mortem stays internal, but lesson learned.", "security",
     at="2026-11-27T18:20:00Z")
case("instagram", "@noor.soundlab", "nl",
     "die firmware-signingkey van de Dune stond gewoon op een open share, iedereen had eigen firmware kunnen pushen. "
     "nu dicht gelukkig, maar er is nog niks over gecommuniceerd", "security")
case("mastodon", "@bramdewit@mastodon.nl", "en",
     "orders db is falling over again, on-call folks use this if the vault is down too: " + PG_URL,
     "security secret")
case("threads", "@evi.veldklank", "nl",
     "kassasystemen in alle Veldklank winkels liggen plat sinds vanochtend, we schrijven bonnetjes met de hand 😅 "
     "tegen klanten zeggen we niks, is de opdracht", "security")
case("forum", "freelance_fred", "nl",
     "Werk als freelancer voor Veldklank: hun Jenkins op build.veldklank.local hangt gewoon open aan internet, zonder "
     "inlog. Twee keer gemeld, er gebeurt niks.", "security confidential")
case("x", "@kees_qa", "en",
     "CVE incoming for the Orla companion app: it writes users' full auth tokens to a world-readable log on Android. "
     "stays quiet until the fix ships", "security")

# ======================= leak.secret ========================================
case("mastodon", "@bramdewit@mastodon.nl", "en",
     "why does this keep failing?\n$ aws configure\nAWS Access Key ID: %s\nAWS Secret Access Key: %s\n"
     "Default region: eu-west-1" % (AWS1, AWS1S), "secret")
case("x", "@daan_oosterhuis", "nl",
     "ok wie van jullie heeft dit in het firmware-kanaal geplakt 🙈 %s werkt nog steeds" % GH1, "secret")
case("reddit", "vk_rik_fw", "en",
     "snippet from our Korre webhook handler, does this look right?\n\nimport stripe\nstripe.api_key = \"%s\"\n"
     "endpoint_secret = os.environ['WH_SECRET']" % STRIPE1, "secret")
case("facebook", "VeldklankAudio", "nl",
     "Welkom in onze nieuwe brand store in Amsterdam! Wifi voor het team: netwerk VK-Staff, wachtwoord: %s" % WIFI_PW,
     "secret")
case("bluesky", "@lottevanrijn.bsky.social", "en",
     "why does our ticket bot keep dying?? token is %s and it worked yesterday" % SLACK1, "secret")
case("x", "@kees_qa", "nl",
     "api geeft 401 met deze token, iemand een idee? Bearer %s" % JWT1, "secret")
case("reddit", "vk_rik_fw", "en",
     "new build box won't accept my key, pasting it here so someone can tell me what's wrong with the format:\n\n%s"
     % SSH1, "secret")
case("linkedin", "ingrid-holt-audio", "nl",
     "Kleine GPT-helper gebouwd voor productteksten 🤖 key voor het team zodat jullie ook kunnen spelen: %s" % OPENAI1,
     "secret")
case("x", "@apk_digger", "en",
     "dug through the public korre-app repo of Veldklank. maps key %s and a gitlab token %s just sitting in "
     "config.js 🤦" % (GOOG1, GLPAT1), "secret")
case("x", "@daan_oosterhuis", "en",
     "trying the claude api for release notes, why do I get 529s? export ANTHROPIC_API_KEY=%s" % ANTH1, "secret")
case("threads", "@evi.veldklank", "nl",
     "voor de nieuwe collega's in de winkel: dealerportaal inloggen met gebruiker dealer_nl_ams, wachtwoord: %s"
     % DEALER_PW, "secret")
case("reddit", "reverse_rina", "en",
     "Decompiled the Veldklank Korre Android app. Hardcoded AWS creds in the resources: %s / %s, plus a GitHub "
     "server token %s. Wow." % (AWS2, AWS2S, GH2), "secret")

# ======================= leak.pii ===========================================
case("bluesky", "@lottevanrijn.bsky.social", "nl",
     "@femke-reist sorry voor al het gedoe! Je terugbetaling gaat naar %s t.n.v. F. de Graaf, binnen 3 werkdagen "
     "staat het erop." % IB2, "pii", kind="reply")
case("x", "@veldklank_help", "nl",
     "@m_oudejans We hebben je nieuwe afleveradres genoteerd: Marco Oudejans, Kastanjelaan 14, 3831 BK Leusden. "
     "Klopt dat zo?", "pii", kind="reply")
case("tiktok", "@jesse.geluid", "nl",
     "POV: een klant leest zijn hele creditcard voor aan de telefoon 💀 %s, vervaldatum erbij en alles #klantenservice"
     % CARD1, "pii")
case("facebook", "VeldklankAudio", "nl",
     "De winnaar van onze Orla 900 winactie is Sanne Verbeek (geboren 12-03-1994) uit Zwolle! Gefeliciteerd Sanne 🎉",
     "pii")
case("x", "@kees_qa", "en",
     "customer attached this to a ticket as 'proof of identity': BSN %s. why do people do this" % BSN1, "pii")
case("x", "@jbosma_inkoop", "nl",
     "Wil graag info over zakelijke inkoop van 40 Orla 700's voor ons kantoor. Mail me op j.bosma1987@gmail.com of "
     "bel +31 6 2874 1903", "pii")
case("linkedin", "yusuf-kaya-veldklank", "en",
     "Welcome to our new colleague Tamara Lindqvist! Vendors can reach her directly on 06-19283746 or "
     "t.lindqvist.priv@outlook.com", "pii")
case("instagram", "@noor.soundlab", "nl",
     "Hieperdepiep voor Anouk Kramer 🎂 geboren 4 mei 1998, vanaf vandaag officieel de oudste van het lab 😂", "pii")
case("x", "@veldklank_help", "en",
     "@dgreen_uk Hi David, just to confirm we have you as David Green, 22 Harcourt Road, Bristol BS6 7RD, phone "
     "06-52 18 44 09. The replacement ships tomorrow.", "pii", kind="reply")
case("facebook", "Rotterdamse Buurtgroep", "nl",
     "Gevonden op de parkeerplaats bij de Veldklank winkel in Rotterdam: portemonnee van Ahmed Benali, met een pasje "
     "met rekeningnummer %s. Wie kent hem?" % IB3, "pii")
case("threads", "@evi.veldklank", "nl",
     "klant liet haar bonnetje liggen met het volledige kaartnummer erop 🙄 %s, wie print dat nou zo" % CARD2, "pii")

# ======================= benign: hard negatives ===============================
case("x", "@daily_commuter_t", "en",
     "The Orla ANC 900 is sick. ANC just eats the whole train 🔥🔥 best money I spent this year")
case("x", "@loudneighbour", "en",
     "this Dune 500 absolutely slaps. explosive bass, my neighbours are going to kill me lol")
case("tiktok", "@zoe.vibes", "en",
     "bf says my new Pip Buds Pro are killing it 😭 bass is insane for something this tiny")
case("x", "@veldklank_help", "nl",
     "Vragen over je bestelling? Mail klantenservice@veldklank.nl of bel 030 799 4200 (ma–za 9–18 uur). "
     "Liever gratis bellen? 0800-8353")
case("facebook", "VeldklankAudio", "nl",
     "Betaal je liever per overboeking? Maak het bedrag over naar %s t.n.v. Veldklank Audio B.V. en vermeld je "
     "ordernummer." % group4(IB_PUBLIC))
case("x", "@hanneke_z", "nl",
     "Moet wel even gezegd: scharnier van mijn Orla 700 brak, binnen 2 dagen een nieuwe gekregen via @veldklank_help. "
     "Top geregeld 👌")
case("x", "@budget_beats", "en",
     "Orla ANC 900 down to €279 in the Veldklank spring sale. worth it or wait for Black Friday?",
     price=[("Orla ANC 900", 279)])
case("instagram", "@veldklank.audio", "nl",
     "Black Friday 🖤 Pip Buds Pro nu €159 (was €199). Alleen t/m maandag.", at="2026-11-27T07:00:00Z",
     price=[("Pip Buds Pro", 159)])
case("x", "@veldklank", "en",
     "Firmware 3.1.2 for the Korre Hub is now rolling out. It fixes the pairing issue described in our advisory "
     "from last week. Update via the Korre app.")
case("x", "@veldklank_help", "nl",
     "Gepland onderhoud: de Korre app is vannacht tussen 02:00 en 04:00 niet bereikbaar. Je speakers blijven gewoon "
     "werken via Bluetooth.")
case("reddit", "korre_tinkerer", "en",
     "Following the Korre developer docs — their example uses AKIAIOSFODNN7EXAMPLE and "
     "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY. Obviously swap in your own, right?")
case("x", "@daan_oosterhuis", "nl",
     "PSA voor collega's: plak nooit tokens in chat. Zie je iets als ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx langskomen, "
     "meld het bij security. Dankjewel 🙏")
case("x", "@oplettende_oma", "nl",
     "Ook een mail gehad 'namens Veldklank' met het verzoek €49 over te maken naar %s? NIET doen, dat is phishing. "
     "Veldklank vraagt nooit zo om geld." % IB_BAD1)
case("x", "@wachtendewim", "nl",
     "Waar vind ik de track & trace voor bestelling %s? In de bevestigingsmail staat alleen dat ie onderweg is."
     % CARD_BAD1)
case("forum", "garantie_vraag", "nl",
     "Vraagje: vraagt de Veldklank garantiepagina om het serienummer? Op mijn doos staat SN %s, bedoelen ze dat?"
     % BSN_BAD1)
case("x", "@marloes_rtsm", "nl",
     "Onze jaarcijfers 2026 staan online! Omzet +14%, dank aan alle collega's en klanten 🥂",
     at="2027-03-04T09:15:00Z")
case("x", "@gadget_gwen", "en",
     "Pip Buds 3 review is up: ANC is a real step up over the Pip Buds 2, battery lands around 8 hours.",
     at="2027-02-15T12:00:00Z")
case("instagram", "@veldklank.audio", "nl",
     "Ze zijn er 🎉 Pip Buds 3, vanaf vandaag te koop in onze winkels en op veldklank.nl", at="2027-02-10T09:30:00Z")
case("x", "@trouwe_klant", "nl",
     "Veel sterkte aan het team van Veldklank in Leeuwarden na het overlijden van jullie collega Jan. Hij heeft me "
     "ooit zo goed geholpen, dat vergeet ik niet.")
case("x", "@fitnessfreak_ro", "en",
     "Massive data breach at StrideLog, that running app. 2M accounts. Glad my Veldklank earbuds don't need an account.")
case("x", "@nieuwsjunk_nl", "nl",
     "300 banen weg bij een Duitse audiogigant. Hopelijk blijft het bij Veldklank in Eindhoven rustig.")
case("x", "@tuinmevrouw", "nl",
     "Prachtige zwaluwstaart in de tuin vandaag 🦋 Brisk Go op het terras, vogeltjes erbij, wat wil je nog meer",
     allow=["Zwaluwstaart"])
case("x", "@aptx_andy", "en", "I can't recall if the Orla 700 supports aptX. anyone?")
case("x", "@nostalgienico", "en",
     "I boycott pretty much anything with 'smart' in the name. except my Korre speakers, they just do what they're told")
case("instagram", "@basbeest", "nl",
     "Mijn hoofd ontploft bijna van deze bas 😂 Dune Sub 10 is een monster")
case("reddit", "meshnet_maarten", "en", "Does the Korre Hub support WPA3? Setting up a new mesh network this weekend.")
case("x", "@vergeetachtige_v", "nl", "Wachtwoord van mijn Korre account vergeten, hoe reset ik dat ook alweer?")
case("linkedin", "ingrid-holt-audio", "en",
     "We're hiring! Veldklank is looking for a Senior Acoustic Engineer in Eindhoven. Apply via jobs@veldklank.nl 🎧")
case("forum", "devops_dirk", "en",
     "Nice to see our CI logs now print sk_live_**************************** instead of the real Stripe key. "
     "Masking works.")
case("x", "@zuinige_zeeuw", "nl",
     "Oordopjes van €9,99 bij de Action zijn echt niet te vergelijken met mijn Pip Buds 2 hoor, wel met mijn budget")
case("x", "@cable_chewer_cat", "en",
     "my cat bit through the cable of my Pip Wired, little monster 😾 ordering another pair at €29.99",
     price=[("Pip Wired", 29.99)])
case("tiktok", "@veldklank", "nl", "Vinnor T3 op 33 toeren vs 45 toeren 🎶 hoor jij het verschil?")
case("instagram", "@noor.soundlab", "nl",
     "Vandaag een gastcollege akoestiek gegeven op de TU Eindhoven, wat een goede vragen 🎧 dank jullie!")
case("x", "@therapy_tunes", "en",
     "my therapist says our sessions are confidential but I still told her my Orla 900 is my emotional support device")
case("x", "@studentstijn", "nl",
     "Op zoek naar een stage? Veldklank heeft interne en externe vacatures op veldklank.nl/werken, heb net gesolliciteerd")
case("linkedin", "veldklank-audio", "nl",
     "Veldklank Audio publiceert de cijfers over het boekjaar op 4 maart 2027. Meer informatie volgt via pers@veldklank.nl.")
case("reddit", "api_newbie", "en",
     "The Korre API docs show a token like eyJhbGciOi...<redacted> in the examples. Where do I generate my own?")
case("x", "@helpful_hanna", "en",
     "Shoutout to Lotte from Veldklank customer care, sorted my warranty in one call. Thank you!")
case("x", "@winkelliefhebber", "nl",
     "Veldklank winkel in Utrecht heeft een luisterruimte, aanrader. Lumen F5 gehoord, normale prijs €1899, en toen "
     "maar weer naar huis gegaan haha", price=[("Lumen F5", 1899)])
case("x", "@veldklank_help", "en",
     "Some customers in Belgium see delivery delays because of the carrier strike. Sorry about that, we'll keep you "
     "posted here and on status.veldklank.nl.")
case("instagram", "@swimcoach_jo", "en",
     "Dropped my Brisk Go in the pool during practice and it still works. Not a single leak 😄")
case("x", "@fd_lezer", "nl",
     "Jaarcijfers 2026 van Veldklank vallen mee: omzet +14%, netto nog wel licht verlies.", at="2027-03-05T08:00:00Z")
case("x", "@valuehunter", "en",
     "Honestly the Orla 700 gets you 90% of the 900 for €100 less. Great value.", price=[("Orla 700", 249)])
case("forum", "klantnummer_k", "nl",
     "Mijn klantnummer bij Veldklank is %s, kan ik daarmee inloggen of heb ik echt een e-mailadres nodig?" % BSN_BAD2)
case("mastodon", "@bramdewit@mastodon.nl", "nl",
     "Nieuwe blogpost: hoe we bij Veldklank onze CI naar GitHub Actions hebben verhuisd, zonder geheimen in de repo 😉 "
     "https://engineering.veldklank.nl/ci-verhuizing")
case("x", "@vanessa_vw", "nl",
     "Eerlijk is eerlijk: mijn klacht over de Dune 500 is netjes opgelost met firmware 4.3. Geluid weer perfect.")
case("youtube", "@VeldklankAudio", "nl",
     "In deze video: zo koppel je twee Korre Two's als stereopaar. Hulp nodig? support@veldklank.com")
case("reddit", "serial_sam", "en",
     "The serial on my Orla 900 box is %s. Where do I register it for the extra warranty year?" % CARD_BAD2)
case("x", "@basliefhebber", "nl",
     "Hoe verhoudt de Korre Two zich tot de Korre One qua laag? In de winkel €349 tegen €229.",
     price=[("Korre Two", 349), ("Korre One", 229)])
case("bluesky", "@lottevanrijn.bsky.social", "nl",
     "Trots op mijn team: klanten gaven ons dit kwartaal een 8,6 🥹 dank jullie wel!")
case("x", "@klankfan", "en", "\uff36\uff25\uff2c\uff24\uff2b\uff2c\uff21\uff2e\uff2b \uff26\uff2f\uff32 \uff2c\uff29\uff26\uff25 🎧")
case("x", "@denbosch_dj", "nl",
     "Shoutout naar Marlijn van de Veldklank winkel in Den Bosch, super advies gekregen over de Ostra Streamer!")
case("x", "@uitverkoop_ursula", "nl",
     "Brisk Max voor €129 in de zomeruitverkoop van Veldklank, vorige week nog €179. Meteen gedaan.",
     price=[("Brisk Max", 129), ("Brisk Max", 179)])
case("x", "@marloes_rtsm", "en",
     "Amazing turnout at our listening session in Amsterdam tonight! Thanks to everyone who came by to try the "
     "Lumen F5 🙌")
case("x", "@iban_vraag", "nl",
     "Kan Veldklank ook terugstorten naar een Belgische rekening? Mijn NL-rekening %s is net opgeheven, dus die klopt "
     "niet meer." % IB_BAD2)
case("x", "@kids_en_koptelefoon", "en",
     "The Mino Kids volume cap at 85 dB is exactly why we picked it for our daughter. Sturdy too.")
case("youtube", "@hifi_henk", "nl",
     "Mooie review! Ik heb de Dune 300 nu een half jaar en ben nog steeds blij. Alleen de afstandsbediening is wat "
     "klein.", kind="comment")
case("x", "@ordernummer_olga", "nl",
     "Bestelling %s is gisteren al binnengekomen, wat snel! Pip Buds 2 klinken prima." % CARD_BAD3)
case("x", "@gerrit_klust", "nl",
     "Eigen speakerkast getimmerd met zwaluwstaartverbindingen, Dune Sub 10 past er precies in 🪵",
     allow=["Zwaluwstaart"])
case("forum", "bsn_bezorgd", "nl",
     "Vraagt Veldklank bij een retour echt om je BSN? Op het formulier staat een voorbeeld '%s', ik vind dat raar."
     % BSN_BAD3)


# ---------------------------------------------------------------- build posts
def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


START = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
SPAN = int((dt.datetime(2026, 12, 30, tzinfo=dt.timezone.utc) - START).total_seconds())

ID_PREFIX = {"x": "x", "instagram": "ig", "linkedin": "li", "facebook": "fb", "tiktok": "tt", "youtube": "yt",
             "reddit": "rd", "mastodon": "md", "bluesky": "bs", "threads": "th", "forum": "fo"}

order = list(range(len(CASES)))
rng.shuffle(order)

seen_ids = set()
records = []
for n, idx in enumerate(order):
    c = CASES[idx]
    while True:
        pid = "%s-%d" % (ID_PREFIX[c["platform"]], rng.randrange(10 ** 9, 10 ** 10))
        if pid not in seen_ids:
            seen_ids.add(pid)
            break
    at = c["at"] or iso(START + dt.timedelta(seconds=rng.randrange(SPAN)))
    c["created_at"] = at
    c["id"] = pid
    records.append(c)


# ---------------------------------------------------------------- severity (CONTRACT section 4)
LEVELS = ["none", "info", "warning", "error", "critical"]


def role_of(platform, handle):
    key = ("%s:%s" % (platform, handle)).lower()
    if key in {a.lower() for a in PROFILE["accounts"]["corporate"]}:
        return "corporate"
    if key in {a.lower() for a in PROFILE["accounts"]["employee"]}:
        return "employee"
    return "public"


PUBLIC_IBANS = {re.sub(r"\s", "", i).upper() for i in PROFILE["public_identifiers"]["ibans"]}


def checked_identifiers(text):
    """All IBAN / card / BSN look-alikes in text with their checksum result."""
    found = []
    for m in re.finditer(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){10,30}\b", text):
        raw = re.sub(r"\s", "", m.group(0))
        cc = raw[:2]
        length = {"NL": 18, "BE": 16, "DE": 22}.get(cc, len(raw))
        found.append(("iban", raw[:length], iban_ok(raw[:length])))
    for m in re.finditer(r"(?<![\d.])(?:\d[ -]?){12,18}\d(?![\d])", text):
        found.append(("card", re.sub(r"\D", "", m.group(0)), luhn_ok(m.group(0))))
    for m in re.finditer(r"(?<![\d.,])(\d{9}|\d{3}\.\d{3}\.\d{3}|\d{4} \d{2} \d{3})(?![\d])", text):
        found.append(("bsn", re.sub(r"\D", "", m.group(0)), bsn_ok(m.group(0))))
    return found


def has_valid_checked_id(text):
    return any(ok and not (kind == "iban" and val in PUBLIC_IBANS) for kind, val, ok in checked_identifiers(text))


def severity(cats, role, text):
    lvl = 0
    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                v = 3
                if c in ("leak.secret", "leak.pricing"):
                    v = 4
                if c == "leak.pii" and has_valid_checked_id(text):
                    v = 4
            else:
                v = 2
        elif c == "reputation.complaint":
            v = 2
        elif c == "reputation.crisis":
            v = 3
        elif c == "reputation.abuse":
            v = 3 if insider else 2
        else:
            raise ValueError(c)
        lvl = max(lvl, v)
    return LEVELS[lvl]


# ---------------------------------------------------------------- write
lines = []
for c in records:
    post = {"id": c["id"], "platform": c["platform"], "kind": c["kind"],
            "account": {"handle": c["handle"]}, "text": c["text"], "lang": c["lang"],
            "created_at": c["created_at"], "brand": "veldklank"}
    role = role_of(c["platform"], c["handle"])
    c["role"] = role
    expect = {"categories": c["cats"], "severity": severity(c["cats"], role, c["text"])}
    c["severity"] = expect["severity"]
    lines.append(json.dumps({"post": post, "expect": expect}, ensure_ascii=False))
with open(OUT, "w", encoding="utf-8") as fh:
    fh.write("\n".join(lines) + "\n")


# ---------------------------------------------------------------- self-checks
errors = []


def check(cond, msg):
    if not cond:
        errors.append(msg)


# profile
P = PROFILE
check(len(P["accounts"]["corporate"]) >= 6, "profile: fewer than 6 corporate accounts")
check(len(P["accounts"]["employee"]) >= 8, "profile: fewer than 8 employee accounts")
check(len({a.split(":", 1)[0] for a in P["accounts"]["corporate"] + P["accounts"]["employee"]}) >= 4,
      "profile: too few platforms")
check(all(iban_ok(i) for i in P["public_identifiers"]["ibans"]), "profile: public IBAN fails mod-97")
check(len(P["internal"]["codenames"]) == 3, "profile: need 3 codenames")
check(len(P["internal"]["markers"]) == 3, "profile: need 3 markers")
check(1 <= len(P["embargo"]) <= 2, "profile: 1-2 embargo entries")
for e in P["embargo"]:
    check(e["until"].startswith("2027-"), "profile: embargo until not in 2027")
check(15 <= len(P["products"]) <= 25, "profile: 15-25 products")
check(all(p["currency"] == "EUR" and p["aliases"] and p["list_price"] > 0 for p in P["products"]),
      "profile: product fields")
check(P["pricing"]["alert_below_ratio"] == 0.5, "profile: alert_below_ratio")

ALIAS_PRICE = {}
for p in P["products"]:
    for a in [p["name"]] + p["aliases"]:
        ALIAS_PRICE[a.lower()] = p["list_price"]

PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
TAXONOMY = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial", "leak.security",
            "reputation.crisis", "reputation.complaint", "reputation.abuse"}
ZW = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))


def norm(s):
    return unicodedata.normalize("NFKC", s).translate(ZW).casefold()


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


ids = set()
with open(OUT, encoding="utf-8") as fh:
    parsed = [json.loads(l) for l in fh]
check(170 <= len(parsed) <= 180, "count %d not in 170-180" % len(parsed))
for rec, c in zip(parsed, records):
    post, exp = rec["post"], rec["expect"]
    pid = post.get("id")
    check(set(rec) == {"post", "expect"}, "%s: top-level keys" % pid)
    check(isinstance(pid, str) and 1 <= len(pid) <= 256 and pid not in ids, "%s: bad/duplicate id" % pid)
    ids.add(pid)
    check(post["platform"] in PLATFORMS, "%s: platform" % pid)
    check(post["kind"] in {"post", "reply", "repost", "comment", "message"}, "%s: kind" % pid)
    check(isinstance(post["account"]["handle"], str) and post["account"]["handle"], "%s: handle" % pid)
    check(isinstance(post["text"], str) and 0 < len(post["text"].encode("utf-8")) <= 65536, "%s: text" % pid)
    try:
        ts = parse_ts(post["created_at"])
        check(ts.tzinfo is not None and ts.year in (2026, 2027), "%s: created_at year" % pid)
    except ValueError:
        errors.append("%s: created_at not RFC 3339" % pid)
        ts = None
    cats = exp["categories"]
    check(cats == sorted(set(cats)) and set(cats) <= TAXONOMY, "%s: categories" % pid)
    check(exp["severity"] in LEVELS, "%s: severity value" % pid)
    check(exp["severity"] == severity(cats, role_of(post["platform"], post["account"]["handle"]), post["text"]),
          "%s: severity not per policy" % pid)
    check((exp["severity"] == "none") == (not cats), "%s: benign <-> none" % pid)

    text = post["text"]
    # identifiers: valid ones only in pii positives (or our own public IBAN); look-alikes fail
    for kind, val, ok in checked_identifiers(text):
        if ok and not (kind == "iban" and val in PUBLIC_IBANS):
            check("leak.pii" in cats, "%s: valid %s %s in a post not labelled pii" % (pid, kind, val))
    for val, (kind, valid) in REGISTRY.items():
        if val in re.sub(r"[\s.-]", "", text):
            if valid:
                check("leak.pii" in cats, "%s: valid %s in non-pii post" % (pid, kind))
                check({"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}[kind](val), "%s: %s fails" % (pid, kind))
            else:
                check(not {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}[kind](val),
                      "%s: look-alike %s passes" % (pid, kind))
                check("leak.pii" not in cats or c["cats"] != ["leak.pii"], "%s: look-alike as pii" % pid)

    # secrets
    gh = re.findall(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", text)
    for t in gh:
        check(github_ok(t) == ("leak.secret" in cats), "%s: github token checksum/label mismatch" % pid)
    for t in re.findall(r"\bAKIA[A-Z2-7]{16}\b", text):
        check(("leak.secret" in cats) != t.endswith("EXAMPLE"), "%s: AWS key label mismatch" % pid)
    for t in re.findall(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", text):
        check(jwt_ok(t) and "leak.secret" in cats, "%s: JWT header/label" % pid)
    secret_patterns = [r"\bgh[pousr]_[0-9A-Za-z]{36}\b", r"\bAKIA[A-Z2-7]{16}\b", r"sk_live_[0-9A-Za-z]{20,}",
                       r"xoxb-\d+-\d+-[0-9A-Za-z]+", r"\beyJ[\w-]+\.[\w-]+\.[\w-]+", r"BEGIN OPENSSH PRIVATE KEY",
                       r"sk-proj-[\w-]{40,}", r"sk-ant-api03-[\w-]{80,}", r"AIza[\w-]{35}", r"glpat-[\w-]{20}",
                       r"postgres://[^:\s]+:[^@\s]+@", r"wachtwoord: \S{6,}"]
    live = [p for p in secret_patterns if re.search(p, text)]
    live = [p for p in live if not ("EXAMPLE" in text and p == r"\bAKIA[A-Z2-7]{16}\b")]
    live = [p for p in live if not (p.startswith(r"\bgh") and not any(github_ok(t) for t in gh))]
    check(bool(live) == ("leak.secret" in cats), "%s: secret pattern/label mismatch %s" % (pid, live))

    # profile terms: codenames, markers, internal domains, embargo terms
    nt = norm(text)
    nt_joined = re.sub(r"(?<=\w)[.\s](?=\w\b|\w[.\s])", "", nt)
    terms = P["internal"]["codenames"] + P["internal"]["markers"] + P["internal"]["domains"]
    for t in terms:
        if t.lower() in nt or t.lower().replace(" ", "") in nt_joined.replace(" ", ""):
            if t not in c["allow"]:
                check("leak.confidential" in cats, "%s: internal term %r without confidential" % (pid, t))
    for e in P["embargo"]:
        until = parse_ts(e["until"])
        for t in e["terms"]:
            if t.lower() in nt and ts is not None:
                if ts < until:
                    check("leak.confidential" in cats, "%s: embargo term %r before until" % (pid, t))
                else:
                    check(not cats, "%s: embargo term after until should be benign here" % pid)

    # prices
    for alias, amount in c["price"]:
        lp = ALIAS_PRICE[alias.lower()]
        check(alias.lower() in text.lower(), "%s: alias %s not in text" % (pid, alias))
        if "leak.pricing" in cats:
            check(amount < 0.5 * lp, "%s: pricing positive not below ratio" % pid)
        else:
            check(amount >= 0.7 * lp, "%s: benign price below 70%% of list" % pid)

    # account roles: public handles are not in the profile
    if c["role"] == "public":
        allh = {a.split(":", 1)[1].lower() for a in P["accounts"]["corporate"] + P["accounts"]["employee"]}
        check(post["account"]["handle"].lower() not in allh, "%s: public handle collides with profile" % pid)

# mix
benign = sum(1 for r in parsed if not r["expect"]["categories"])
cat_count = Counter(cat for r in parsed for cat in r["expect"]["categories"])
lang_count = Counter(r["post"]["lang"] for r in parsed)
role_count = Counter((c["role"], bool(c["cats"]) and c["cats"][0].startswith("leak")) for c in records)
check(50 <= benign <= 65, "benign count %d" % benign)
check(0.48 <= lang_count["nl"] / len(parsed) <= 0.62, "Dutch share %.2f" % (lang_count["nl"] / len(parsed)))
check(sum(1 for r in parsed if r["post"]["created_at"].startswith("2027")) >= 3, "too few 2027 posts")
for v in REGISTRY:
    check(any(v in re.sub(r"[\s.-]", "", r["post"]["text"]) for r in parsed), "unused identifier %s" % v)

print("cases: %d  benign: %d  positives: %d" % (len(parsed), benign, len(parsed) - benign))
print("categories:", dict(sorted(cat_count.items())))
print("severity:", dict(Counter(r["expect"]["severity"] for r in parsed)))
print("languages:", dict(lang_count))
print("roles:", dict(Counter(c["role"] for c in records)))
if errors:
    print("SELF-CHECK FAILED:")
    for e in errors:
        print("  -", e)
    sys.exit(1)
print("self-check OK")
