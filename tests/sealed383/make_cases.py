#!/usr/bin/env python3
"""Build cases.jsonl for held-out set sealed383 (Muntvaart, a student-loan and
budgeting fintech).  Deterministic: fixed seed, standard library plus PyYAML.

Post texts are hand-written below; identifiers and credentials are generated
the way real ones are built and substituted into {placeholders}.  Severities
are computed from CONTRACT section 4 using the account role in profile.yaml.
The script self-checks its output and exits non-zero on any failure.
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
SEED = 383_2026
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# --------------------------------------------------------------------------
# checksums
# --------------------------------------------------------------------------

def iban_ok(iban):
    s = re.sub(r"\s+", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(bank, account):
    bban = bank + account
    n = int("".join(str(int(c, 36)) for c in bban + "NL00"))
    return "NL%02d%s" % (98 - n % 97, bban)


def luhn_ok(num):
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


def luhn_complete(prefix_digits):
    for last in range(10):
        if luhn_ok(prefix_digits + str(last)):
            return prefix_digits + str(last)
    raise AssertionError


def bsn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    if len(d) != 9:
        return False
    s = sum(d[i] * (9 - i) for i in range(8)) - d[8]
    return s % 11 == 0 and d[0] != 0


def make_bsn():
    while True:
        first = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        s = sum(first[i] * (9 - i) for i in range(8))
        last = s % 11
        if last <= 9:
            v = "".join(map(str, first)) + str(last)
            assert bsn_ok(v)
            return v


def perturb_digit(value, check):
    """Change one digit so that `check` fails (a realistic typo)."""
    chars = list(value)
    positions = [i for i, c in enumerate(chars) if c.isdigit()]
    for _ in range(200):
        i = rng.choice(positions[2:])
        old = chars[i]
        new = str((int(old) + rng.randint(1, 9)) % 10)
        cand = chars[:]
        cand[i] = new
        cand = "".join(cand)
        if not check(cand):
            return cand
    raise AssertionError("could not perturb")


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


# --------------------------------------------------------------------------
# credentials, built like the real ones
# --------------------------------------------------------------------------
ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base62 order
B32 = string.ascii_uppercase + "234567"
URLSAFE = string.ascii_letters + string.digits + "-_"


def rand(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def base62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out or "0"


def github_token(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + base62(zlib.crc32(body.encode())).rjust(6, "0")


def github_token_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and base62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt():
    header = {"alg": "HS256", "typ": "JWT"}
    payload = {
        "sub": "usr_" + rand(string.digits, 7),
        "iss": "muntvaart-auth-staging",
        "role": "support_admin",
        "iat": 1780300800,
        "exp": 1780304400,
    }
    h = b64url(json.dumps(header, separators=(",", ":")).encode())
    p = b64url(json.dumps(payload, separators=(",", ":")).encode())
    key = bytes(rng.getrandbits(8) for _ in range(32))
    sig = b64url(hmac.new(key, (h + "." + p).encode(), hashlib.sha256).digest())
    return h + "." + p + "." + sig


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    try:
        hdr = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except Exception:
        return False
    return isinstance(hdr, dict) and "alg" in hdr


def rsa_pem():
    # PKCS#1 RSAPrivateKey DER header for a 2048-bit key, random body
    der = bytes.fromhex("308204a302010002820101") + b"\x00" + bytes(rng.getrandbits(8) for _ in range(1179))
    b = base64.b64encode(der).decode()
    lines = [b[i:i + 64] for i in range(0, len(b), 64)]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"


def human_password(words, symbols="!#$%&?"):
    w = rng.choice(words)
    return w + str(rng.randint(10, 99)) + rng.choice(symbols) + rand(string.ascii_letters, 3)


# --------------------------------------------------------------------------
# generated values used in the texts
# --------------------------------------------------------------------------
V = {}
V["iban1"] = make_iban("INGB", "0" + rand(string.digits, 9))
V["iban2"] = group4(make_iban("ABNA", rand(string.digits, 10)))
V["iban3"] = make_iban("RABO", "0" + rand(string.digits, 9))
V["iban4"] = group4(make_iban("BUNQ", "20" + rand(string.digits, 8)))
V["card1"] = group4(luhn_complete("4" + rand(string.digits, 14)))
V["card2"] = "-".join(group4(luhn_complete("5" + str(rng.randint(1, 5)) + rand(string.digits, 13))).split())
V["card3"] = luhn_complete("4" + rand(string.digits, 14))
V["bsn1"] = make_bsn()
V["bsn2"] = make_bsn()
V["bsn3"] = make_bsn()
m = lambda: "6" + rand(string.digits, 8)
p1, p2, p3, p4, p5, p6 = m(), m(), m(), m(), m(), m()
V["phone1"] = "0" + p1[:1] + "-" + p1[1:]                                       # 06-12345678
V["phone2"] = "0" + p2[:1] + " " + p2[1:5] + " " + p2[5:]                       # 06 1234 5678
V["phone3"] = "+31 6 " + " ".join(p3[i:i + 2] for i in range(1, 9, 2))         # +31 6 12 34 56 78
V["phone4"] = "+31 (0)6 " + p4[1:5] + " " + p4[5:]                               # +31 (0)6 1234 5678
V["phone5"] = "0031" + p5                                                         # 0031612345678
V["phone6"] = "06" + p6[1:]                                                       # 0612345678
V["co_iban"] = PROFILE["public_identifiers"]["ibans"][0]
V["co_iban_grouped"] = group4(V["co_iban"])
# look-alikes that must fail their checksum (used only in benign posts)
V["bad_iban1"] = group4(perturb_digit(make_iban("SNSB", "09" + rand(string.digits, 8)), iban_ok))
V["bad_card1"] = group4(perturb_digit(luhn_complete("45" + rand(string.digits, 13)), luhn_ok))
V["bad_bsn1"] = perturb_digit(make_bsn(), bsn_ok)
V["bad_iban2"] = perturb_digit(make_iban("TRIO", "02" + rand(string.digits, 8)), iban_ok)
# credentials
V["ghp1"] = github_token("ghp_")
V["ghs1"] = github_token("ghs_")
V["akia1"] = "AKIA" + rand(B32, 16)
V["aws_secret1"] = rand(string.ascii_letters + string.digits + "/+", 40)
V["stripe1"] = "sk_live_" + rand(string.ascii_letters + string.digits, 24)
V["xoxb1"] = "xoxb-%d-%d-%s" % (rng.randint(10**10, 10**11 - 1), rng.randint(10**12, 10**13 - 1), rand(string.ascii_letters + string.digits, 24))
V["mollie1"] = "live_" + rand(string.ascii_letters + string.digits, 30)
V["anthropic1"] = "sk-ant-api03-" + rand(URLSAFE, 93) + "AA"
V["sendgrid1"] = "SG." + rand(URLSAFE, 22) + "." + rand(URLSAFE, 43)
V["jwt1"] = make_jwt()
V["rsa1"] = rsa_pem()
V["pw1"] = human_password(["Zomer", "Muntje", "Studie", "Sales"])
V["pw2"] = human_password(["Koffie", "Kantoor", "Spaarpot"])
V["pw3"] = human_password(["Ledger", "Postgres", "Vault"], symbols="!_.~")  # URL-safe in userinfo

VALID_ID_KEYS = {k for k in V if re.fullmatch(r"(iban|card|bsn)\d", k)}
PHONE_KEYS = {k for k in V if k.startswith("phone")}
BAD_KEYS = {k for k in V if k.startswith("bad_")}
SECRET_KEYS = {"ghp1", "ghs1", "akia1", "aws_secret1", "stripe1", "xoxb1", "mollie1", "anthropic1",
               "sendgrid1", "jwt1", "rsa1", "pw1", "pw2", "pw3"}

# --------------------------------------------------------------------------
# the cases
# --------------------------------------------------------------------------
CP = "reputation.complaint"
CR = "reputation.crisis"
AB = "reputation.abuse"
CF = "leak.confidential"
FI = "leak.financial"
SE = "leak.security"
SC = "leak.secret"
PI = "leak.pii"
PR = "leak.pricing"

CASES = []


def case(platform, handle, lang, text, cats=(), kind="post", when=None, prices=()):
    """prices: (sku, price) pairs mentioned in the text, checked against the catalogue."""
    CASES.append(dict(platform=platform, handle=handle, lang=lang, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, prices=list(prices)))


# ---------------- complaints ----------------
case("x", "@jesse_studeert", "nl",
     "al 3 dagen kan ik niet inloggen bij @muntvaart, steeds 'er ging iets mis' en de chat zegt alleen 'we kijken ernaar'. "
     "ik moet vandaag m'n huur betalen jongens 🙃", [CP])
case("reddit", "u/broke_in_leiden", "en",
     "Muntvaart's repayment planner told me I'd be debt-free in 2031, then after last week's update it suddenly says 2036 "
     "with the exact same inputs. Support just sent me a link to the FAQ. Anyone else seeing this?", [CP])
case("facebook", "Marieke Brouwer", "nl",
     "Ik heb mijn Plus-abonnement in juni opgezegd en toch is er in september weer €49 afgeschreven. "
     "Drie mails gestuurd naar Muntvaart, nul reactie. Echt slecht geregeld dit.", [CP], kind="comment",
     prices=[("MV-PLUS-Y", 49.00)])
case("x", "@tolu_writes", "en",
     "@muntvaart_help your bank sync has been broken for a week. app says I have €1,200 left this month, "
     "my actual balance is €212. kinda the one job of a budgeting app no?", [CP], kind="reply")
case("instagram", "@sophie.spaart", "nl",
     "De coachsessie werd 2x verzet door Muntvaart en de derde keer kwam de coach gewoon niet opdagen. "
     "75 euro betaald voor een lege Teams-call 😤 #muntvaart #nooitmeer", [CP], kind="comment",
     prices=[("MV-COACH-1", 75.00)])
case("x", "@dan_k_92", "en",
     "been on hold with Muntvaart for 47 minutes now. the hold music is a lo-fi remix of their own jingle. i'm losing it",
     [CP])
case("x", "@ilse_vdm", "nl",
     "waarom zet muntvaart mn boodschappen bij de supermarkt onder 'uitgaan'?? elke maand alles handmatig "
     "aanpassen, waar betaal ik eigenlijk voor", [CP])
case("forum", "studentpenny", "en",
     "Ordered the Muntvaart Metaalpas five weeks ago. Tracking hasn't moved since 'label created'. "
     "Customer service keeps saying 'within 10 working days'. We're at 25 working days. Not great.", [CP])
case("tiktok", "@yaraa.x", "nl",
     "pov: je wil je muntvaart familieplan opzeggen en de knop zit verstopt achter 6 menu's en een "
     "'weet je het zeker?? 🥺' scherm. dark patterns much #muntvaart #opzeggen", [CP])
case("bluesky", "@finn-reads.bsky.social", "en",
     "Muntvaart sent me a push notification at 3am to tell me I'd 'overspent on coffee'. "
     "I was asleep. Also it was a pharmacy payment. Very much not impressed.", [CP])
case("reddit", "u/duo_drama", "nl",
     "De StudieschuldScan van Muntvaart rekent nog met de oude rente. Heb er 19,95 voor betaald en krijg een "
     "compleet verkeerd maandbedrag terug. Mail naar support al 2x genegeerd. Geld terug graag.", [CP],
     prices=[("MV-SCAN", 19.95)])
case("x", "@priya_on_budget", "en",
     "Muntvaart froze my card 'for security reasons' while I'm abroad, and the only way to unfreeze it is a phone "
     "line that's closed on weekends. Stuck in Lisbon with no card. Thanks guys.", [CP])

# ---------------- first-hand safety incidents: crisis + complaint ----------------
case("x", "@kevin_ozturk", "nl",
     "Mijn Muntvaart Tikring kwam net van de lader en was zo heet dat ik nu een brandblaar op mijn vinger heb. "
     "Foto's in de replies. Dit ding draag je de hele dag, hoe kan dit?? @muntvaart_help", [CR, CP])
case("facebook", "Rachel Dunmore", "en",
     "The Spaarvarken Connect we bought our 8-year-old started smoking on her desk this morning. The battery "
     "compartment has melted. She's okay but she's scared to death and honestly so am I. Muntvaart, I want "
     "answers, not a discount voucher.", [CR, CP])
case("instagram", "@mo_bouzid", "nl",
     "Muntvaart Laadcase in het stopcontact, ring eruit gehaald en een flinke schok gekregen. Mijn hand tintelt "
     "een uur later nog. Ik laad dat ding echt nooit meer op 🤬⚡", [CR, CP])
case("reddit", "u/sharp_edges_", "en",
     "PSA: the edge of my new Muntvaart metal card is literally sharp. Sliced my thumb open pulling it out of my "
     "wallet, needed two butterfly stitches at the GP. Support told me to 'file it down a bit'. Seriously?", [CR, CP])

# ---------------- third-party safety news: crisis only ----------------
case("x", "@consumentenwatch_nl", "nl",
     "We krijgen meerdere meldingen binnen van Muntvaart Tikringen die oververhit raken tijdens het laden. "
     "We hebben de NVWA gevraagd mee te kijken. Heb jij dit ook meegemaakt? Stuur ons een DM.", [CR])
case("x", "@techdesk_eu", "en",
     "Report: a child in Utrecht was treated for minor burns after a Muntvaart smart piggy bank overheated, "
     "according to a local paper. Muntvaart has not yet responded to our questions.", [CR])

# ---------------- other crises ----------------
case("x", "@privacy_paul", "nl",
     "Er staat sinds vannacht een dump op een hackersforum met zogenaamd 80.000 Muntvaart-accounts, "
     "e-mailadressen plus transactiehistorie. Als dit klopt is het een enorm datalek. @muntvaart hoe zit dit?", [CR])
case("x", "@linh_organizes", "en",
     "Boycott Muntvaart. They are selling 'anonymised' spending data of students to debt collection agencies. "
     "Delete the app, cancel your subscription, tell your friends. #DeleteMuntvaart", [CR])
case("linkedin", "rianne-meijer-advocaat", "nl",
     "Namens ruim 300 gedupeerde studenten hebben wij vandaag een collectieve claim ingediend tegen Muntvaart "
     "Financial B.V. wegens misleidend aflosadvies. Bent u ook benadeeld? Neem contact op met ons kantoor.", [CR])
case("x", "@fintechfiles", "en",
     "Muntvaart fined €1.8M by the AFM for nudging students into a 'flex credit' they couldn't afford. "
     "The internal emails quoted in the decision are brutal. Thread 🧵", [CR])
case("tiktok", "@geldmetjet", "nl",
     "ok dus muntvaart heeft maandenlang dubbel afgeschreven bij duizenden studenten en zegt er gewoon NIKS over?? "
     "dit is echt een schandaal, deel dit #muntvaart #studenten", [CR])
case("reddit", "u/teacher_tilburg", "en",
     "The Muntvaart 'financial literacy' lessons for secondary schools are basically a sales funnel for their "
     "credit product. Fellow teachers, please stop booking them. This is a scandal waiting to happen.", [CR])
case("x", "@hogeschoolkrant", "nl",
     "Muntvaart roept alle Tikring Laadcases uit productieweek 14 t/m 22 terug vanwege kans op kortsluiting. "
     "Gebruik je er een? Stop met laden en check het serienummer op de site.", [CR])
case("x", "@mariekewrites", "en",
     "So Muntvaart's CEO joked on stage that students are 'the best customers because they never read the small "
     "print'. It's on video. Good luck spinning that one.", [CR])
case("facebook", "Ouders tegen Studieschuld", "nl",
     "OPROEP: is je kind via de Muntvaart app in de schulden geraakt? Meld je bij ons. We bereiden samen met een "
     "advocaat een rechtszaak voor en zoeken nog ervaringsverhalen.", [CR])

# ---------------- complaint + abuse ----------------
case("x", "@boze_bas", "nl",
     "Muntvaart stelletje amateurs, 4x mn pas geblokkeerd deze maand en bij de klantenservice neemt niemand op. "
     "Kutbedrijf.", [CP, AB])
case("x", "@jayden_rants", "en",
     "@muntvaart_help you useless clowns charged me twice for Pro AGAIN. whoever runs your billing is a brain-dead "
     "idiot. fix it.", [CP, AB], kind="reply")

# ---------------- abuse ----------------
case("x", "@trollmaster_3000", "en",
     "@lotte_bij_mv nobody cares about your stupid webinar, you smug cow. go back to answering tickets", [AB],
     kind="reply")
case("x", "@realkeesie", "nl",
     "die Daan van Muntvaart met z'n budgettips op insta is echt een irritante eikel, iemand moet die gast een keer "
     "op z'n bek slaan", [AB])
case("instagram", "@x_nina_x", "nl",
     "muntvaart = oplichters en die 'coaches' van jullie zijn allemaal nep-influencers met botox. walgelijk volk",
     [AB], kind="comment")
case("reddit", "u/gr1mreaper", "en",
     "Every single Muntvaart employee is a parasite feeding off broke students. Hope you all choke on it.", [AB],
     kind="comment")
case("x", "@brambackend", "nl",
     "@klant_karel ga lekker ergens anders janken mongool, je had gewoon je wachtwoord verkeerd getypt", [AB],
     kind="reply")
case("bluesky", "@milavos.bsky.social", "en",
     "honestly the people in our mentions today are the dumbest f*cking idiots I've ever seen, "
     "not one of them can read a two-line FAQ", [AB])
case("tiktok", "@lolwatdan", "nl",
     "muntvaart is gemaakt door en voor achterlijke boomers die denken dat studenten niet kunnen rekenen 🤡🤡", [AB],
     kind="comment")
case("x", "@noora_x", "en",
     "women shouldn't be giving money advice lmao. Muntvaart hiring that Fleur girl as a 'coach' tells you "
     "everything about that company", [AB])
# evasion: Cyrillic look-alikes (о = U+043E) in the insults
case("x", "@anon8271", "nl",
     "Muntvaart zijn gewoon vuile \u043eplichters en die Lotte van de klantenservice is een d\u043em wijf", [AB])
# evasion: split letters and leetspeak
case("x", "@zerofilter", "en",
     "muntvaart support = a bunch of st00pid 1d10ts. f u c k  y o u and your 'budget tips'", [AB])

# ---------------- pii + complaint (customers exposing their own data) ----------------
case("x", "@tim_hendriks99", "nl",
     "@muntvaart_help ik heb NU al 3 keer mn rekeningnummer gestuurd voor de terugbetaling, nog 1 keer dan: "
     "{iban1} t.n.v. T. Hendriks. Wanneer krijg ik mijn geld nou terug??", [PI, CP], kind="reply")
case("x", "@amyjclarke", "en",
     "@muntvaart_help still no callback after two weeks. Call me on {phone3} or email amy.clarke92@gmail.com, "
     "I'm done waiting on your 'ticket system'.", [PI, CP], kind="reply")

# ---------------- pii ----------------
case("x", "@muntvaart_help", "nl",
     "@sanne_lief Sorry voor het wachten! We hebben je terugbetaling van €23,40 klaargezet naar {iban2} "
     "(S. de Lief). Binnen 2 werkdagen op je rekening 💸", [PI], kind="reply")
case("x", "@lotte_bij_mv", "nl",
     "Lieve collega's van de telefoon: als meneer Van Dijk vandaag weer belt ({phone1}), hij heeft al een klacht "
     "lopen, gewoon direct naar mij doorverbinden 🙏", [PI])
case("linkedin", "eva-kroon-fintech", "en",
     "Proud of our user research sprint! Huge shout-out to test participant Joris Meulenbelt (born 14-03-2003) "
     "who gave us brilliant feedback on the new budget onboarding.", [PI])
case("x", "@sandra_ko", "nl",
     "@muntvaart_help mijn BSN is {bsn1}, is dat genoeg voor de verificatie of moet ik ook nog een foto van mijn "
     "ID uploaden?", [PI], kind="reply")
case("x", "@jordy_w", "en",
     "@muntvaart_help can you link this card to my account instead of the old one? {card1}, exp 09/28, thx!",
     [PI], kind="reply")
case("facebook", "MuntvaartApp", "nl",
     "Hoi Gerda, je nieuwe pas is vandaag verstuurd naar Gerda Bosman, Lindengracht 112, 1015 KM Amsterdam. "
     "Laat je even weten als hij binnen is?", [PI], kind="reply")
case("instagram", "@daan.budgetcoach", "nl",
     "Vandaag een topsessie gehad met Kim de Graaf (kim.degraaf@outlook.com) – wat een doorzetter! "
     "Van rood staan naar €300 buffer in 4 maanden 💪", [PI])
case("reddit", "u/rick_mv_ops", "en",
     "anyone know why our CSV export puts the BSN column before the name? rows look like "
     "'{bsn2};R. Smits;{iban3}' and excel mangles them every time", [PI])
case("x", "@grandpa_ted", "en",
     "My granddaughter Lily Porter, date of birth 02/11/2006, can't open a Muntvaart account without help "
     "from me apparently. Who do I call about this?", [PI])
case("linkedin", "muntvaart", "nl",
     "Welkom aan onze nieuwe collega Ruben Aydin, studieschuld-specialist! Vragen over je lening? "
     "Bel of app Ruben direct op {phone2}.", [PI])
case("x", "@fatima_elh", "nl",
     "Wie heeft mijn Muntvaart pas gevonden in de UB in Utrecht?? Staat op naam van Fatima El Hadji, "
     "kaartnummer {card2}. Graag terug!", [PI])
case("threads", "@timo.muntvaart", "en",
     "Great call today with Marloes Vermeer, finance lead at a big hogeschool. Reach her at "
     "m.vermeer@hs-noordkust.nl or {phone6} if your school wants to partner up too!", [PI])
case("x", "@muntvaart_help", "nl",
     "@jeroen_pp Gelukt! We hebben je account gekoppeld aan BSN {bsn3}. Je kunt nu je DUO-gegevens importeren 🎉",
     [PI], kind="reply")

# ---------------- pricing ----------------
case("x", "@muntvaart", "nl",
     "🎒 Back to school! Muntvaart Pro jaarabonnement nu voor maar €9,90 – alleen deze week! 👉 muntvaart.nl/pro",
     [PR], prices=[("MV-PRO-Y", 9.90)])
case("instagram", "@muntvaart.app", "nl",
     "Nieuw in de shop: de Muntvaart Tikring in mat zwart, €12,90 🖤 Link in bio", [PR],
     prices=[("MV-RING1", 12.90)])
case("threads", "@timo.muntvaart", "en",
     "Quick heads-up for my network: our Geldlessen Workshop for schools is €24.90 per class this month. "
     "DM me to book!", [PR], prices=[("MV-WORKSHOP", 24.90)])
case("x", "@dealhunter_nl", "nl",
     "PRIJSFOUT?! Muntvaart Pro Lifetime voor €29,90 in de app 😳 snel zijn voordat ze het zien 🏃‍♂️", [PR],
     prices=[("MV-LIFE", 29.90)])
case("reddit", "u/frugal_fox", "en",
     "Is this a glitch? The Muntvaart Familie yearly plan shows €14.90 at checkout. Grabbed it just in case lol",
     [PR], prices=[("MV-FAM-Y", 14.90)])
case("x", "@lotte_bij_mv", "nl",
     "Collega's: de Metaalpas staat door een fout in de webshop voor €8,90. Tot het gefixt is alle vragen daarover "
     "naar mij doorsturen aub", [PR], prices=[("MV-CARD-METAL", 8.90)])
case("facebook", "MuntvaartApp", "nl",
     "BLACK FRIDAY 🖤 Budgetcoach 3-pack voor €19,50! Op = op, dus wees er snel bij.", [PR],
     prices=[("MV-COACH-3", 19.50)])
case("tiktok", "@kortingkoning", "nl",
     "jongens de Spaarvarken Connect staat op de muntvaart webshop voor 4,49 😭 prijsfout of niet ik heb er "
     "3 besteld #deal", [PR], prices=[("MV-PIGGY", 4.49)])
case("x", "@studentdeals_uk", "en",
     "Muntvaart Aflosplanner Premium for €2.90 right now?? that has to be a pricing error 👀", [PR],
     prices=[("MV-AFLOS", 2.90)])
case("bluesky", "@milavos.bsky.social", "en",
     "Our Starterspakket Student drops tomorrow at just €5.90 🎓 (don't tell my boss I told you first)", [PR],
     prices=[("MV-START", 5.90)])
case("youtube", "@MuntvaartNL", "nl",
     "In deze video laten we zien hoe je de Tikring Laadcase gebruikt. Nu tijdelijk €3,49 in onze shop!", [PR],
     prices=[("MV-RING-CASE", 3.49)])
case("forum", "bargainbin", "en",
     "PSA price error: Muntvaart AangifteHulp is listed at €4.50 instead of €45. Support confirmed it's a "
     "'system error' but they honoured my order.", [PR], prices=[("MV-TAX", 4.50)])

# ---------------- confidential ----------------
case("x", "@brambackend", "nl",
     "eindelijk de ledger-rewrite voor Project Zeekoet gemerged, 14k regels weggegooid, beste gevoel ooit 😌", [CF])
case("linkedin", "eva-kroon-fintech", "en",
     "Excited to share a sneak peek of Lichtbaken, the AI budget assistant we've been building in stealth mode. "
     "Launching... well, soon 😉", [CF])
# evasion: letters split by dots
case("x", "@techgossip_nl", "nl",
     "Hoor van een bron dat Muntvaart in het geheim werkt aan 'Operatie S.t.o.r.m.v.o.g.e.l', een soort "
     "achteraf-betalen voor studenten. Iemand meer info?", [CF])
case("x", "@noor_sec", "nl",
     "iemand enig idee waarom https://wiki.muntvaart.internal/display/SEC/Runbooks vandaag zo traag laadt? 🐌",
     [CF])
case("reddit", "u/rick_mv_ops", "nl",
     "Screenshotje van grafana.mv-ops.net na de migratie, kijk die p99-latency eens dalen 📉🎉", [CF])
case("tiktok", "@muntvaart", "nl",
     "Sneak peek 👀 van iets waar we héél hard aan werken... #Tikring2 #binnenkort", [CF])
case("instagram", "@daan.budgetcoach", "nl",
     "Oeps, story gedeeld met het document 'MV-INTERN: coachscripts Q3' nog open op mijn scherm 🙈 "
     "nou ja, nu weten jullie hoe wij het gesprek openen haha", [CF])
case("reddit", "u/lurker_in_fintech", "en",
     "A friend at Muntvaart showed me the Tikring 2 prototype. It has a tiny screen on the side. Calling it now: "
     "announcement this week.", [CF], when="2027-03-03T18:20:00Z")
case("mastodon", "@sjoerd@fosstodon.org", "nl",
     "Vannacht migreren we jira.muntvaart.io naar het nieuwe cluster, dus als je tickets morgen raar doen weet je "
     "waarom", [CF])
case("linkedin", "yusuf-demir-mv", "en",
     "Sharing one slide from our board pack (marked 'niet voor externe verspreiding', but the chart on student "
     "savings behaviour is just too good not to share).", [CF])
case("x", "@pieter_codeert", "en",
     "lol Muntvaart's Android app still has a hardcoded link to "
     "https://intranet.muntvaart.local/admin/featureflags in it, someone forgot to strip that 😂", [CF])
case("x", "@lotte_bij_mv", "nl",
     "Vandaag training gehad over Lichtbaken, de nieuwe AI-assistent die eraan komt. Klanten gaan dit zó fijn vinden!!",
     [CF])
# evasion: zero-width space inside the codename
case("x", "@brambackend", "nl",
     "late night deploy voor Project Zee\u200bkoet, wish me luck 🫡", [CF])
# evasion: full-width letters
case("bluesky", "@milavos.bsky.social", "en",
     "can't say much but ｌｉｃｈｔｂａｋｅｎ is going to blow your minds 🤫", [CF])
case("x", "@insider_fin", "en",
     "Muntvaart Bank is coming. Sources say the licence announcement is planned for late February.", [CF],
     when="2027-01-12T10:05:00Z")
case("linkedin", "eva-kroon-fintech", "nl",
     "Design sprint voor Operatie Stormvogel afgerond met het team in Rotterdam. Ik kan niet wachten tot studenten "
     "zien wat er aankomt.", [CF])

# ---------------- confidential + financial (embargoed results) ----------------
case("linkedin", "yusuf-demir-mv", "en",
     "Proud of this team: our jaarcijfers 2026 close at €41.2M revenue, +63% year on year, and our first "
     "profitable year ever. Official release later this month!", [CF, FI], when="2027-02-10T08:30:00Z")
case("x", "@beursbabbel", "nl",
     "Gelekt: de FY2026 resultaten van Muntvaart worden een verlies van zo'n €6 miljoen, niet de winst waar ze "
     "het over hebben. Bron zit op de finance-afdeling.", [CF, FI], when="2027-01-30T19:45:00Z")

# ---------------- financial ----------------
case("linkedin", "yusuf-demir-mv", "en",
     "Between us: we're closing Q3 at roughly €9.8M revenue, well above what we guided investors. "
     "Not public yet, but what a quarter.", [FI])
case("x", "@brambackend", "nl",
     "in de all-hands net gehoord dat er in januari 40 banen verdwijnen, vooral bij support. nog niet aangekondigd "
     "dus hou het even stil pls 😬", [FI])
case("reddit", "u/vc_watcher", "en",
     "My contact at a Dutch VC says Muntvaart is in late-stage talks to acquire a Belgian student-loan comparison "
     "site for ~€25M. Announcement expected after the summer.", [FI])
case("threads", "@timo.muntvaart", "nl",
     "Net de interne forecast binnen: target voor 2027 is €18 mln omzet uit B2B alleen. Let's gooo 🚀", [FI])
case("x", "@lotte_bij_mv", "nl",
     "Dus de hele klantenservice gaat volgend jaar naar een outsourcingpartij in Portugal. Wij horen het vandaag, "
     "de rest van de wereld over 2 maanden. Fijn. 🙃", [FI])
case("bluesky", "@milavos.bsky.social", "en",
     "can't believe we're being bought by a big bank 🫢 deal gets signed next week, my lips are sealed (mostly)",
     [FI])
case("mastodon", "@sjoerd@fosstodon.org", "nl",
     "Reorg-memo is net rondgestuurd: het platformteam gaat op in 'Core Banking' en de helft van ons verhuist "
     "naar Eindhoven. Officiële communicatie volgt over twee weken.", [FI])
case("x", "@aandeelhoudertje", "nl",
     "Via via gehoord dat Muntvaart z'n Series C van €60 mln niet rond krijgt en dat de runway nog maar "
     "7 maanden is. Ben benieuwd wanneer dit naar buiten komt.", [FI])
case("instagram", "@daan.budgetcoach", "nl",
     "Wij coaches hoorden vandaag dat we per 1 maart allemaal zzp'er worden in plaats van in dienst. "
     "Nog niet officieel, maar ik wil het jullie niet onthouden.", [FI])
case("linkedin", "muntvaart", "en",
     "DRAFT – do not publish until 12 Aug: Muntvaart expects H1 2027 revenue of €23–25M and EBITDA break-even "
     "in Q2. Quote from CEO to follow.", [FI])

# ---------------- security ----------------
case("x", "@noor_sec", "nl",
     "nou lekker. iemand heeft via een gestolen sessie toegang gehad tot onze support-tooling. we zoeken nog uit "
     "hoeveel klantdossiers er bekeken zijn. extern is er nog niks over gezegd.", [SE])
case("mastodon", "@sjoerd@fosstodon.org", "en",
     "We've been down for 3 hours and the status page still says 'all systems operational' 🙃 the payments API is "
     "completely dead. please don't tell anyone I said that", [SE])
case("reddit", "u/rick_mv_ops", "nl",
     "Voor de collega's die dit lezen: het wachtwoord-reset endpoint heeft geen rate limit, iedereen kan die "
     "6-cijferige code gewoon bruteforcen. 3 weken geleden gemeld, ticket staat nog open.", [SE])
case("x", "@brambackend", "nl",
     "lol we kwamen er net achter dat de iOS-app al een maand volledige banktransacties logt naar een publiek "
     "crash-reporting project. leuke dag gaat dit worden", [SE])
case("linkedin", "eva-kroon-fintech", "en",
     "Tough week. A ransomware attempt hit our internal file share on Monday. The team contained it, but we're still "
     "restoring, and customers haven't been informed yet. Lessons-learned post to follow.", [SE])
case("threads", "@timo.muntvaart", "nl",
     "Heads up klanten: de bankkoppeling ligt er morgen de hele dag uit, de connector van één van de banken is "
     "gecompromitteerd en we moeten alle tokens roteren. Officiële mail volgt nog.", [SE])
case("instagram", "@daan.budgetcoach", "nl",
     "Coaches kunnen al 2 dagen in elkaars klantdossiers kijken door een bug in de nieuwe rolrechten. "
     "IT zegt 'we weten ervan'. Voelt echt niet oké.", [SE])
case("x", "@anon_sysadmin_nl", "nl",
     "Werk bij Muntvaart (anoniem account): productie draait op een Postgres-versie met een bekende RCE en "
     "niemand mag patchen tot na de release. Als dit misgaat weet je het.", [SE])
case("x", "@noor_sec", "en",
     "Our pentesters got domain admin in 40 minutes. The report isn't shared outside the team yet but wow, "
     "we have some work to do.", [SE])
case("x", "@muntvaart_help", "nl",
     "@mevrouw_j Excuses! Er loopt op dit moment een DDoS-aanval op onze inlogservers, dat is nog niet officieel "
     "bevestigd dus graag even niet verder delen 🙏", [SE], kind="reply")
case("bluesky", "@milavos.bsky.social", "en",
     "marketing was just told to freeze all push campaigns because someone sent a 'test' push with real customer "
     "balances to 12k users. PR is panicking, nothing has gone out publicly yet", [SE])

# ---------------- security + secret ----------------
case("x", "@brambackend", "nl",
     "incident call #3 vandaag. de stripe key lag op straat dus geroteerd, nieuwe is {stripe1} — "
     "kan iemand ff checken of die werkt in prod?", [SE, SC])
case("mastodon", "@sjoerd@fosstodon.org", "en",
     "Infra folks: seeing the DB compromise alerts too? Temporary creds until we finish rotating: "
     "postgres://ledger_admin:{pw3}@10.42.7.15:5432/ledger", [SE, SC])

# ---------------- secrets ----------------
case("x", "@brambackend", "nl",
     "waarom werkt deze token niet in de CI?? {ghp1} iemand een idee", [SC])
case("reddit", "u/rick_mv_ops", "en",
     "boto3 keeps throwing InvalidClientTokenId, creds look fine to me:\n"
     "aws_access_key_id = {akia1}\naws_secret_access_key = {aws_secret1}\nwhat am I missing?", [SC])
case("threads", "@timo.muntvaart", "nl",
     "voor de demo morgen, inlog salesomgeving → gebruiker: timo.b / wachtwoord: {pw1}", [SC])
case("mastodon", "@sjoerd@fosstodon.org", "en",
     "testing the new alertbot, if your channel gets spammed blame this token: {xoxb1}", [SC])
case("x", "@pieter_codeert", "en",
     "found a live Muntvaart Mollie API key in their public JS bundle: {mollie1} 🤦 responsible disclosure "
     "mail is on its way", [SC])
case("bluesky", "@milavos.bsky.social", "en",
     "our AI copy tool keeps timing out, is this key rate limited or something? {anthropic1}", [SC])
case("x", "@noor_sec", "nl",
     "JWT van staging, kan iemand zien waarom de exp-claim niet klopt? {jwt1}", [SC])
case("reddit", "u/rick_mv_ops", "en",
     "which format is this, PKCS1 or PKCS8? sftp client says 'unsupported key'\n{rsa1}", [SC])
case("youtube", "@MuntvaartNL", "nl",
     "Zo koppel je onze transactiemails aan je eigen dashboard! In de video gebruiken we deze API-key: "
     "{sendgrid1}", [SC])
case("instagram", "@daan.budgetcoach", "nl",
     "Nieuwe laptop, alles opnieuw instellen 😩 wifi kantoor is MV-Staff, wachtwoord: {pw2}", [SC])
case("x", "@noor_sec", "en",
     "deploy bot token for the release pipeline for now: {ghs1} — paste it in your local .env, don't commit it", [SC])

# ---------------- benign (mostly hard negatives) ----------------
case("x", "@muntvaart_help", "nl",
     "Vragen over je abonnement? Mail ons op support@muntvaart.nl of bel 085 303 2290 (ma–vr 9–17u). "
     "We helpen je graag!")
case("facebook", "MuntvaartApp", "nl",
     "Betaal je de Geldlessen Workshop liever per overschrijving? Maak €249 over naar {co_iban_grouped} t.n.v. "
     "Muntvaart Financial B.V. o.v.v. je factuurnummer.", prices=[("MV-WORKSHOP", 249.00)])
case("x", "@kayla_pays_off", "en",
     "Muntvaart actually helped me pay off my last €3k of student debt. The repayment planner is 🔥 no notes")
case("x", "@studentvoordeel", "nl",
     "Muntvaart Pro jaarabonnement nu €79 ipv €99 met studentenkorting, prima deal als je het toch al gebruikt",
     prices=[("MV-PRO-Y", 79.00), ("MV-PRO-Y", 99.00)])
case("reddit", "u/festivalfreak", "en",
     "Is the Muntvaart Tikring worth €129? Thinking about getting one so I don't have to carry my phone at festivals.",
     prices=[("MV-RING1", 129.00)])
case("x", "@cloud_bootcamp", "en",
     "TIL the AWS docs use AKIAIOSFODNN7EXAMPLE as their sample key. Made the whole fintech bootcamp laugh today")
case("x", "@brambackend", "nl",
     "Tip voor juniors: zet nooit een echte token in een tweet. Zo hoort een geredacte eruit te zien: "
     "ghp_************************************ 😉")
case("x", "@wouter_rekent", "nl",
     "Hoe weet Muntvaart eigenlijk dat {bad_iban1} niet klopt? Eén cijfertje verkeerd getypt en de app zei meteen "
     "'ongeldig IBAN'. Knap gedaan.")
case("reddit", "u/typo_king", "en",
     "Muntvaart's card field rejected {bad_card1} because I'd swapped two digits. Nice that it checks before "
     "submitting instead of failing at the bank.")
case("x", "@mamavanmees", "nl",
     "Mijn zoon typte {bad_bsn1} als test in het BSN-veld van de Muntvaart app en kreeg keurig een foutmelding. "
     "Goed geregeld.")
case("x", "@gadgetgeert", "en",
     "Muntvaart just announced the Tikring 2 and it has a tiny e-ink display on the side. Preorders open Friday.",
     when="2027-03-10T12:00:00Z")
case("x", "@fintech_nl", "nl",
     "De jaarcijfers 2026 van Muntvaart zijn uit: eerste winstgevende jaar ooit. Knap voor een studenten-app.",
     when="2027-02-26T09:15:00Z")
case("x", "@sectornieuws", "en",
     "Another fintech, Spaarly (no relation to Muntvaart), announced 120 layoffs today. Rough times in the sector.")
case("x", "@lisa_vdh", "nl",
     "Sterkte aan het team van Muntvaart na die storing gisteren. Netjes opgelost en goed gecommuniceerd 💙")
case("x", "@mehmet_k", "nl",
     "Update: Muntvaart heeft mijn dubbele afschrijving binnen een dag teruggestort, mét excuses. "
     "Klacht ingetrokken, top service @muntvaart_help 👏")
case("x", "@croissant_queen", "en",
     "my budgeting app (muntvaart) just called me out for spending €46 at the bakery this month. "
     "the croissants were worth it. leave me alone 😭")
case("reddit", "u/antwerpen_student", "en",
     "Does Muntvaart work with Belgian bank accounts or only Dutch ones? Moving to Antwerp for my master's.")
case("linkedin", "muntvaart", "en",
     "We're hiring! Join us as a Security Engineer and help keep students' money safe. "
     "Send your CV to werkenbij@muntvaart.nl.")
case("linkedin", "eva-kroon-fintech", "nl",
     "Onze publieke roadmap staat live op muntvaart.nl/roadmap – stem mee op wat we hierna bouwen!")
case("instagram", "@muntvaart.app", "nl",
     "5 tips om je studieschuld slim af te lossen 💡 Swipe → #budgetteren #studenten #studieschuld")
case("x", "@huisgenoot_hans", "nl",
     "Mijn huisgenoot noemt z'n spaarpot 'Project Zeeleeuw'. Hij spaart voor een zeilboot. Hij heeft €14.")
case("x", "@emma_secure", "en",
     "Muntvaart's security page says they will never ask for your password or PIN in a DM. "
     "Good advice for literally every app tbh.")
case("x", "@blackfriday_nl", "nl",
     "Black Friday bij Muntvaart: Metaalpas voor €69 in plaats van €89 🤑",
     prices=[("MV-CARD-METAL", 69.00), ("MV-CARD-METAL", 89.00)])
case("x", "@readingrosa", "en",
     "The Budgetboek 2027 by Muntvaart is €17.50 and honestly the best money I've spent this year",
     prices=[("MV-BOOK-27", 17.50)])
case("x", "@muntvaart", "nl",
     "De storing van vanochtend is opgelost. Alle betalingen zijn alsnog verwerkt. Excuses voor het ongemak!")
case("x", "@noor_sec", "en",
     "Gave a talk on JWT pitfalls today. Reminder: a token starting with eyJhbGciOi… on a slide is fine "
     "as long as it's a truncated sample, never paste a real one.")
case("x", "@opa_henk", "nl",
     "Het gratis nummer van Muntvaart (0800-6868) werkt prima, binnen 2 minuten was mijn pas gedeblokkeerd.")
case("x", "@twijfelaar", "nl",
     "Iemand tips voor budgetapps? Twijfel tussen Muntvaart en gewoon een Excel-sheet 😅")
case("x", "@scooterlover", "en",
     "The recall of those exploding e-scooters (not Muntvaart, the other brand) reminded me to check all my "
     "chargers lol")
case("x", "@factcheck_femke", "nl",
     "Er wordt veel geroepen over een 'datalek bij Muntvaart', maar dat bericht ging over een heel ander bedrijf. "
     "Check je bronnen, mensen.")
case("instagram", "@daan.budgetcoach", "nl",
     "Vandaag drie studenten geholpen met hun allereerste budget. Dit is waarom ik dit werk doe 💛")
case("x", "@festival_fenna", "nl",
     "Tikring dit weekend 15% korting, dus €109,65 ipv €129. Nu of nooit?",
     prices=[("MV-RING1", 109.65), ("MV-RING1", 129.00)])
case("x", "@lotte_bij_mv", "nl",
     "Let op: Muntvaart vraagt NOOIT om je pincode of wachtwoord via DM. Krijg je zo'n bericht? Meld het via "
     "privacy@muntvaart.nl 🙏")
case("x", "@vergeetachtig", "nl",
     "wachtwoord vergeten bij muntvaart, resetlink kwam binnen 10 sec. top")
case("tiktok", "@broke.but.fine", "en",
     "tfw your budgeting app roasts you harder than your mum. Muntvaart literally said 'bold choice' about my "
     "takeaway spending 💀")
case("x", "@econ_ellis", "en",
     "Student loan interest is going up again next year according to the ministry. Glad I set up my plan in "
     "Muntvaart's repayment planner last spring.")
case("x", "@privacyfan", "nl",
     "Fijn dat Muntvaart in de app alleen NL** **** **** **12 34 laat zien en niet je hele rekeningnummer.")
case("x", "@brambackend", "en",
     "At our Muntvaart dev meetup we wrote sk_live_xxxxxxxxxxxxxxxxxxxxxxxx on every slide so nobody copies a real "
     "key. Worked great.")
case("x", "@kleinzoon_s", "nl",
     "Mijn oma (83) gebruikt nu ook Muntvaart. Ze vindt de grafiekjes 'reuze handig'. Respect voor de UX.")
case("tiktok", "@muntvaart", "nl",
     "Hoeveel geef jij per maand uit aan koffie? ☕ Reken het uit in de app en tag een vriend die dit moet zien 👇")
case("reddit", "u/two_kids_two_cities", "en",
     "Question: does the Muntvaart Familie plan (€149/yr) cover two students living in different cities?",
     prices=[("MV-FAM-Y", 149.00)])
case("facebook", "Studentenhuis Vrede", "nl",
     "Verschrikkelijk nieuws over de brand in dat studentenhuis in Groningen. Muntvaart zamelt geld in voor de "
     "bewoners, mooi gebaar.")
case("threads", "@timo.muntvaart", "en",
     "We'll be at the HBO careers fair on Thursday, stand 14. Come say hi! Press questions beforehand: "
     "pers@muntvaart.nl")
case("x", "@plan_pieter", "nl",
     "Muntvaart Plus jaarabonnement €49, Muntvaart Pro €99 – wat is nou echt het verschil?",
     prices=[("MV-PLUS-Y", 49.00), ("MV-PRO-Y", 99.00)])
case("x", "@nadia_budget", "en",
     "My Muntvaart budget coaching session was €75 and worth every cent, she helped me build a plan I can actually stick to",
     prices=[("MV-COACH-1", 75.00)])
case("x", "@grappige_gijs", "nl",
     "Mijn portemonnee lekt harder dan welk datalek ook 😂 gelukkig vertelt Muntvaart me precies waar het heen gaat")
case("reddit", "u/rick_mv_ops", "en",
     "Rate my homelab: grafana + prometheus on a Pi at home.lan, nothing from work on it 🙂")
case("x", "@sporty_sam", "nl",
     "Iemand die de Tikring gebruikt tijdens het sporten? Vraag me af of hij tegen zweet kan 🏋️")
case("x", "@support_fan", "en",
     "Shoutout to the Muntvaart support rep who spent 40 minutes patiently walking my dad through the app. 10/10.")
case("x", "@muntvaart", "nl",
     "Onze nieuwe website staat live! 🌊 www.muntvaart.nl en log in via app.muntvaart.nl")
case("reddit", "u/duo_compare", "en",
     "Has anyone compared Muntvaart's Aflosplanner Premium (€29) with just using the official government calculator?",
     prices=[("MV-AFLOS", 29.00)])
case("instagram", "@mama_van_lot", "nl",
     "De Spaarvarken Connect is echt leuk voor kinderen, mijn dochter van 7 spaart nu voor een nieuwe fiets 🐷🚲")
case("x", "@noor_sec", "nl",
     "Security awareness maand! Quizvraag: welke is een echte key? (spoiler: geen van beide) "
     "AKIAXXXXXXXXXXXXXXXX en ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")
case("x", "@legal_lens", "en",
     "A class action has been filed against Geldpiek over loan marketing. Curious whether Muntvaart users are "
     "affected? From everything I've read: no, different company, different product.")
case("x", "@wantrouwige_wim", "nl",
     "Is {co_iban} echt het rekeningnummer van Muntvaart? Kreeg een factuur en wil zeker weten dat het geen "
     "phishing is.")
case("x", "@bankwatcher", "nl",
     "Muntvaart Bank is officieel! Eindelijk een bank die snapt hoe studenten leven.",
     when="2027-03-01T08:00:00Z")
case("x", "@waakzame_wendy", "nl",
     "Pas op voor nep-sms'jes 'van Muntvaart'. Het echte nummer is 085 303 2290, de rest is oplichting!")
case("x", "@gadgetgeert", "en",
     "Preorder confirmed for the Muntvaart Tikring 2 🎉 shipping in April apparently.",
     when="2027-03-04T10:15:00Z")
case("x", "@iban_nerd", "en",
     "Fun fact: {bad_iban2} looks like a Dutch IBAN but fails the mod-97 check. Muntvaart's form caught it instantly.")
case("youtube", "@MuntvaartNL", "nl",
     "Nieuwe video: zo maak je in 10 minuten je eerste maandbudget. Vragen? Mail support@muntvaart.nl")


# --------------------------------------------------------------------------
# build
# --------------------------------------------------------------------------
ORDER = ["none", "info", "warning", "error", "critical"]
VALID_CATS = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial", "leak.security",
              "reputation.crisis", "reputation.complaint", "reputation.abuse"}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}

ROLE = {}
for r in ("corporate", "employee"):
    for key in PROFILE["accounts"][r]:
        ROLE[key.lower()] = r


def role_of(platform, handle):
    return ROLE.get(("%s:%s" % (platform, handle)).lower(), "public")


def severity(cats, role, checksum_id):
    best = "none"

    def bump(level):
        nonlocal best
        if ORDER.index(level) > ORDER.index(best):
            best = level

    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and checksum_id):
                    bump("critical")
                else:
                    bump("error")
            else:
                bump("warning")
        elif c == "reputation.complaint":
            bump("warning")
        elif c == "reputation.crisis":
            bump("error")
        elif c == "reputation.abuse":
            bump("error" if insider else "warning")
    return best


FMT = string.Formatter()
START = dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc)
SPAN = int((dt.datetime(2026, 12, 20, tzinfo=dt.timezone.utc) - START).total_seconds())

out = []
meta = []
used_ids = set()
for n, c in enumerate(CASES):
    keys = {f for _, f, _, _ in FMT.parse(c["text"]) if f}
    unknown = keys - set(V)
    assert not unknown, (c["text"], unknown)
    text = c["text"].format(**V)
    role = role_of(c["platform"], c["handle"])
    checksum_id = bool(keys & VALID_ID_KEYS)
    sev = severity(c["cats"], role, checksum_id)
    if c["when"]:
        created = c["when"]
    else:
        t = START + dt.timedelta(seconds=rng.randrange(SPAN))
        created = t.strftime("%Y-%m-%dT%H:%M:%SZ")
    while True:
        pid = "%s-%d" % ({"x": "tw"}.get(c["platform"], c["platform"][:2]), rng.randint(10**8, 10**9 - 1))
        if pid not in used_ids:
            used_ids.add(pid)
            break
    post = {
        "id": pid,
        "platform": c["platform"],
        "kind": c["kind"],
        "account": {"handle": c["handle"]},
        "text": text,
        "lang": c["lang"],
        "created_at": created,
        "brand": "Muntvaart",
    }
    if c["platform"] == "x":
        post["url"] = "https://x.com/%s/status/%s" % (c["handle"].lstrip("@"), pid.split("-")[1])
    out.append({"post": post, "expect": {"categories": c["cats"], "severity": sev}})
    meta.append(dict(c, keys=keys, role=role, text_out=text))

path = os.path.join(HERE, "cases.jsonl")
with open(path, "w", encoding="utf-8") as fh:
    for o in out:
        fh.write(json.dumps(o, ensure_ascii=False) + "\n")

# --------------------------------------------------------------------------
# self-checks
# --------------------------------------------------------------------------
errors = []


def fail(msg):
    errors.append(msg)


# generated values
for k in VALID_ID_KEYS:
    chk = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}[re.match(r"[a-z]+", k).group()]
    if not chk(V[k]):
        fail("generated %s fails its checksum" % k)
for k, chk in (("bad_iban1", iban_ok), ("bad_iban2", iban_ok), ("bad_card1", luhn_ok), ("bad_bsn1", bsn_ok)):
    if chk(V[k]):
        fail("look-alike %s passes its checksum" % k)
if not iban_ok(V["co_iban"]):
    fail("company IBAN fails mod-97")
for k in ("ghp1", "ghs1"):
    if not github_token_ok(V[k]):
        fail("github token %s has a bad checksum" % k)
if not re.fullmatch(r"AKIA[A-Z2-7]{16}", V["akia1"]):
    fail("aws key id format")
if not jwt_ok(V["jwt1"]):
    fail("jwt header")

# the file itself: CONTRACT section 6
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2} ?[A-Z]{4}(?: ?\d{4}){2} ?\d{2}\b")
CARD_RE = re.compile(r"(?<![\w+/-])\d(?:[ -]?\d){11,18}(?![\w/+-])")
BSN_RE = re.compile(r"(?<![\d.,])\d{9}(?![\d.,])")
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
MOBILE_RE = re.compile(r"(?:\+31|0031|\b0)[ \-]?(?:\(0\))?[ \-]?6[ \-]?\d")
pub_emails = {e.lower() for e in PROFILE["public_identifiers"]["emails"]}
pub_ibans = {re.sub(r"\s", "", i) for i in PROFILE["public_identifiers"]["ibans"]}
products = {p["sku"]: p for p in PROFILE["products"]}
ratio = PROFILE["pricing"]["alert_below_ratio"]
embargo = [(t, dt.datetime.fromisoformat(e["until"].replace("Z", "+00:00"))) for e in PROFILE["embargo"]
           for t in e["terms"]]
internal_terms = PROFILE["internal"]["domains"] + PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"]
all_handles = set(ROLE)

with open(path, encoding="utf-8") as fh:
    lines = fh.read().splitlines()
ids = set()
for ln, (line, m) in enumerate(zip(lines, meta), 1):
    try:
        o = json.loads(line)
    except Exception as e:
        fail("line %d not JSON: %s" % (ln, e))
        continue
    if set(o) != {"post", "expect"}:
        fail("line %d keys" % ln)
    p, e = o["post"], o["expect"]
    for f in ("id", "platform", "text", "created_at"):
        if not isinstance(p.get(f), str):
            fail("line %d missing %s" % (ln, f))
    if not isinstance(p.get("account", {}).get("handle"), str):
        fail("line %d handle" % ln)
    if not 1 <= len(p["id"]) <= 256 or p["id"] in ids:
        fail("line %d id" % ln)
    ids.add(p["id"])
    if p["platform"] not in PLATFORMS or p.get("kind", "post") not in KINDS:
        fail("line %d platform/kind" % ln)
    if len(p["text"].encode("utf-8")) > 64 * 1024:
        fail("line %d too long" % ln)
    try:
        when = dt.datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
        assert when.tzinfo is not None and when.year in (2026, 2027)
    except Exception:
        fail("line %d created_at" % ln)
        continue
    cats = e["categories"]
    if cats != sorted(set(cats)) or not set(cats) <= VALID_CATS:
        fail("line %d categories %r" % (ln, cats))
    if e["severity"] not in ORDER:
        fail("line %d severity" % ln)
    exp_sev = severity(cats, role_of(p["platform"], p["account"]["handle"]), bool(m["keys"] & VALID_ID_KEYS))
    if e["severity"] != exp_sev or (not cats) != (e["severity"] == "none"):
        fail("line %d severity mismatch" % ln)
    text = p["text"]
    benign = not cats
    # roles: public handles must not collide with the profile
    if m["role"] == "public" and ("%s:%s" % (p["platform"], p["account"]["handle"])).lower() in all_handles:
        fail("line %d role" % ln)
    # identifiers
    for mt in IBAN_RE.finditer(text):
        compact = re.sub(r"\s", "", mt.group())
        if benign:
            if compact not in pub_ibans and iban_ok(compact):
                fail("line %d benign IBAN passes mod-97" % ln)
        elif not iban_ok(compact):
            fail("line %d positive IBAN fails mod-97" % ln)
    phone_vals = [V[k] for k in m["keys"] & PHONE_KEYS]
    for mt in CARD_RE.finditer(text):
        digits = re.sub(r"\D", "", mt.group())
        if len(digits) < 13:
            continue
        if any(mt.group() in pv or pv in mt.group() for pv in phone_vals):
            continue
        if benign and luhn_ok(digits):
            fail("line %d benign card-like passes Luhn" % ln)
        if not benign and not luhn_ok(digits):
            fail("line %d positive card fails Luhn: %s" % (ln, mt.group()))
    for mt in BSN_RE.finditer(text):
        if benign and bsn_ok(mt.group()):
            fail("line %d benign 9-digit number passes 11-proof" % ln)
        if not benign and not bsn_ok(mt.group()):
            fail("line %d positive BSN fails 11-proof" % ln)
    if m["keys"] & VALID_ID_KEYS and "leak.pii" not in cats:
        fail("line %d valid identifier without leak.pii" % ln)
    if m["keys"] & (BAD_KEYS | {"co_iban", "co_iban_grouped"}) and cats:
        fail("line %d look-alike/company data in a positive" % ln)
    if m["keys"] & set(SECRET_KEYS) and "leak.secret" not in cats:
        fail("line %d secret without leak.secret" % ln)
    if benign:
        for em in EMAIL_RE.findall(text):
            if em.lower() not in pub_emails:
                fail("line %d benign post holds a private e-mail %s" % (ln, em))
        if MOBILE_RE.search(text):
            fail("line %d benign post holds a mobile number" % ln)
        for t, until in embargo:
            if t.lower() in text.lower() and when < until:
                fail("line %d benign post names embargoed %r before %s" % (ln, t, until))
        for t in internal_terms:
            if t.lower() in text.lower():
                fail("line %d benign post names internal %r" % (ln, t))
        for tok in re.findall(r"gh[pousr]_[0-9A-Za-z]{36}", text):
            if github_token_ok(tok):
                fail("line %d benign github token" % ln)
        for tok in re.findall(r"AKIA[A-Z2-7]{16}", text):
            if not (tok.endswith("EXAMPLE") or set(tok[4:]) == {"X"}):
                fail("line %d benign AWS key" % ln)
        for tok in re.findall(r"sk_live_[0-9A-Za-z]+", text):
            if set(tok[8:]) != {"x"}:
                fail("line %d benign stripe key" % ln)
        if re.search(r"eyJ[\w-]+\.[\w-]+\.[\w-]+", text) or "PRIVATE KEY" in text:
            fail("line %d benign jwt/private key" % ln)
        if re.search(r"wachtwoord\s*:\s*\S", text, re.I):
            fail("line %d benign password" % ln)
    # secrets present in positives are well-formed
    for k in m["keys"] & {"ghp1", "ghs1"}:
        if not github_token_ok(V[k]) or V[k] not in text:
            fail("line %d github token" % ln)
    if "jwt1" in m["keys"]:
        tok = re.search(r"eyJ[\w-]+\.[\w-]+\.[\w-]+", text).group()
        if not jwt_ok(tok):
            fail("line %d jwt" % ln)
    # prices
    for sku, price in m["prices"]:
        prod = products[sku]
        low = price < ratio * prod["list_price"]
        if "leak.pricing" in cats and not low:
            fail("line %d pricing positive not below ratio" % ln)
        if benign and low:
            fail("line %d benign price below ratio" % ln)
        if not any(a.lower() in text.lower() for a in [prod["name"]] + prod["aliases"]):
            fail("line %d product %s not named" % (ln, sku))
    if "leak.pricing" in cats and not m["prices"]:
        fail("line %d pricing positive without price" % ln)

if len(lines) != len(CASES):
    fail("line count")
n_total = len(lines)
n_benign = sum(1 for m in meta if not m["cats"])
if not 170 <= n_total <= 180:
    fail("total %d outside 170-180" % n_total)
if not 55 <= n_benign <= 65:
    fail("benign %d not about 60" % n_benign)
per_cat = {c: sum(1 for m in meta if c in m["cats"]) for c in sorted(VALID_CATS)}
want = {CP: 20, CF: 18, PI: 15, CR: 15, SE: 13, SC: 12, AB: 12, PR: 12, FI: 12}
for c, w in want.items():
    if abs(per_cat[c] - w) > 2:
        fail("category %s has %d, wanted about %d" % (c, per_cat[c], w))
nl = sum(1 for m in meta if m["lang"] == "nl")
if not 0.50 <= nl / n_total <= 0.60:
    fail("Dutch share %.2f" % (nl / n_total))
roles = {}
for m in meta:
    roles[m["role"]] = roles.get(m["role"], 0) + 1

if errors:
    for e in errors:
        print("CHECK FAILED:", e, file=sys.stderr)
    sys.exit(1)
print("ok: %d cases, %d benign, %d positive; nl %.0f%%; roles %s" %
      (n_total, n_benign, n_total - n_benign, 100 * nl / n_total, roles))
print("per category:", per_cat)
