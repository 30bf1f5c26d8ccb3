#!/usr/bin/env python3
"""Build cases.jsonl (labelled posts about Slaapvonk B.V.) beside this file and self-check it.

Deterministic: fixed seed, standard library plus PyYAML. Texts are hand-written; secrets and
identifiers are generated the way the real ones are built (with their checksums), look-alikes
are generated so that they fail their checksum. Severities are never typed by hand: they are
computed from the categories and the account role found in profile.yaml (CONTRACT section 4).
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
OUT = os.path.join(HERE, "cases.jsonl")
with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

rng = random.Random(4802026)

DIGITS = string.digits
ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64URL = string.ascii_letters + string.digits + "-_"

# ---------------------------------------------------------------- checksums

IBAN_LEN = {"NL": 18, "BE": 16, "DE": 22}


def iban_mod(s):
    s = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in s)) % 97


def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    return (IBAN_LEN.get(s[:2]) == len(s) and s[2:4].isdigit()
            and s[4:].isalnum() and iban_mod(s) == 1)


def luhn_ok(num):
    num = re.sub(r"\D", "", num)
    total = 0
    for i, ch in enumerate(reversed(num)):
        d = int(ch)
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9:
        return False
    total = sum((9 - i) * int(s[i]) for i in range(8)) - int(s[8])
    return total % 11 == 0


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def b64url_decode(part):
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    try:
        head = json.loads(b64url_decode(parts[0]))
        b64url_decode(parts[1])
        b64url_decode(parts[2])
    except Exception:
        return False
    return isinstance(head, dict) and "alg" in head


# ---------------------------------------------------------------- scanning (for the self-check)

ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)


def norm(text):
    return unicodedata.normalize("NFKC", text).translate(ZERO_WIDTH)


COMPANY_IBANS = {re.sub(r"\s", "", x).upper() for x in PROFILE["public_identifiers"]["ibans"]}


def find_ibans(text):
    out = []
    for m in re.finditer(r"(?<![A-Za-z0-9])([A-Z]{2}\d{2}(?:\s?[A-Z0-9]){10,30})", norm(text)):
        compact = re.sub(r"\s", "", m.group(1))
        n = IBAN_LEN.get(compact[:2])
        if n and len(compact) >= n:
            out.append(compact[:n])
    return out


def find_cards(text):
    out = []
    for m in re.finditer(r"(?<![\d])(?:\d[ -]?){12,18}\d(?![\d])", norm(text)):
        digits = re.sub(r"\D", "", m.group(0))
        if 13 <= len(digits) <= 19:
            out.append(digits)
    return out


def find_bsns(text):
    t = norm(text)
    out = [m.group(0) for m in re.finditer(r"(?<![\d.])\d{9}(?![\d])", t)]
    out += [m.group(0) for m in re.finditer(r"(?<![\d])\d{4}\.\d{2}\.\d{3}(?![\d])", t)]
    return out


def valid_ids(text):
    """Identifiers in text that pass their checksum (the company's own IBAN excluded)."""
    found = [("iban", x) for x in find_ibans(text) if iban_ok(x) and x not in COMPANY_IBANS]
    found += [("card", x) for x in find_cards(text) if luhn_ok(x)]
    found += [("bsn", x) for x in find_bsns(text) if bsn_ok(x)]
    return found


# ---------------------------------------------------------------- generators

def pick(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def clean(gen):
    """Re-draw until the value does not accidentally contain a checksum-valid identifier."""
    while True:
        v = gen()
        if not valid_ids(v):
            return v


def make_iban(cc, bban):
    chk = 98 - iban_mod(cc + "00" + bban)
    return "%s%02d%s" % (cc, chk, bban)


def nl_iban():
    bank = rng.choice(["ABNA", "INGB", "RABO", "TRIO", "SNSB", "ASNB", "KNAB", "BUNQ"])
    return make_iban("NL", bank + pick(DIGITS, 10))


def be_iban():
    return make_iban("BE", pick(DIGITS, 12))


def bad_iban(good):
    while True:
        chk = "%02d" % rng.randint(2, 98)
        cand = good[:2] + chk + good[4:]
        if not iban_ok(cand):
            return cand


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def make_card(prefix, length=16):
    body = prefix + pick(DIGITS, length - len(prefix) - 1)
    for c in DIGITS:
        if luhn_ok(body + c):
            return body + c
    raise AssertionError


def bad_card(prefix, length=16):
    while True:
        cand = prefix + pick(DIGITS, length - len(prefix))
        if not luhn_ok(cand):
            return cand


def make_bsn():
    while True:
        d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        last = sum((9 - i) * d[i] for i in range(8)) % 11
        if last < 10:
            return "".join(map(str, d)) + str(last)


def github_token(prefix="ghp"):
    body = pick(ALNUM, 30)
    return "%s_%s%s" % (prefix, body, b62(zlib.crc32(body.encode())).rjust(6, "0"))


def aws_key_id():
    return "AKIA" + pick(string.ascii_uppercase + "234567", 16)


def aws_secret():
    return pick(ALNUM + "/+", 40)


def stripe_live():
    return "sk_live_51" + pick(ALNUM, 97)


def slack_bot():
    return "xoxb-%s-%s-%s" % (pick(DIGITS, 12), pick(DIGITS, 13), pick(ALNUM, 24))


def openai_key():
    return "sk-proj-" + pick(B64URL, 74) + "T3BlbkFJ" + pick(B64URL, 74)


def anthropic_key():
    return "sk-ant-api03-" + pick(B64URL, 93) + "AA"


def google_key():
    return "AIza" + pick(B64URL, 35)


def mollie_live():
    return "live_" + pick(ALNUM, 30)


def sendgrid_key():
    return "SG." + pick(B64URL, 22) + "." + pick(B64URL, 43)


def jwt(payload):
    enc = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
    head = enc(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = enc(json.dumps(payload, separators=(",", ":")).encode())
    sig = enc(bytes(rng.getrandbits(8) for _ in range(32)))
    return "%s.%s.%s" % (head, body, sig)


def openssh_private_key():
    def s(b):
        return len(b).to_bytes(4, "big") + b
    pub = bytes(rng.getrandbits(8) for _ in range(32))
    priv = bytes(rng.getrandbits(8) for _ in range(32))
    check = bytes(rng.getrandbits(8) for _ in range(4))
    pubblob = s(b"ssh-ed25519") + s(pub)
    inner = check + check + s(b"ssh-ed25519") + s(pub) + s(priv + pub) + s(b"bram@sv-laptop")
    inner += bytes(range(1, 1 + (-len(inner) % 8)))
    blob = (b"openssh-key-v1\x00" + s(b"none") + s(b"none") + s(b"") +
            (1).to_bytes(4, "big") + s(pubblob) + s(inner))
    b64 = base64.b64encode(blob).decode()
    lines = [b64[i:i + 70] for i in range(0, len(b64), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n%s\n-----END OPENSSH PRIVATE KEY-----" % "\n".join(lines)


def strong_password():
    return pick(ALNUM, 5) + rng.choice("!#$%&*") + pick(ALNUM, 6) + rng.choice("!#$%&*") + pick(DIGITS, 2)


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" if c == " " else c for c in s)


ZW = "\u200b"

# Values substituted into <<name>>. Prefix tells the kind for the self-check:
# iban/card/bsn = must pass the checksum, xiban/xcard/xbsn = look-alike that must fail.
V = {}
V["gh1"] = clean(lambda: github_token("ghp"))
V["gh2"] = clean(lambda: github_token("ghs"))
V["aws_id1"] = clean(aws_key_id)
V["aws_sec1"] = clean(aws_secret)
V["stripe1"] = clean(stripe_live)
V["slack1"] = clean(slack_bot)
V["openai1"] = clean(openai_key)
V["anthropic1"] = clean(anthropic_key)
V["gkey1"] = clean(google_key)
V["mollie1"] = clean(mollie_live)
V["sendgrid1"] = clean(sendgrid_key)
V["jwt1"] = clean(lambda: jwt({"sub": "usr_%d" % rng.randint(10000, 99999), "role": "partner_admin",
                               "iat": 1771000000 + rng.randint(0, 9000000), "exp": 1799999999}))
V["sshkey1"] = openssh_private_key()
V["pgpass"] = clean(strong_password)
V["wifi_pw"] = "Nachtlampje" + rng.choice("!#$") + str(rng.randint(10, 99)) + "Utr"
V["iban1"] = nl_iban()
V["iban2"] = nl_iban()
V["iban3"] = nl_iban()
V["iban4"] = be_iban()
V["xiban1"] = "NL12RABO0123456789"
V["xiban2"] = bad_iban(nl_iban())
V["card1"] = make_card("4")
V["card2"] = make_card("5" + str(rng.randint(1, 5)))
V["xcard1"] = "4111111111111112"
V["xcard2"] = bad_card("5" + str(rng.randint(1, 5)))
V["bsn1"] = make_bsn()
V["bsn2"] = make_bsn()
V["xbsn1"] = "123456789"

# formatted variants (same underlying identifier, so the kind check uses the base key)
V["iban1_g"] = group4(V["iban1"])
V["iban3_g"] = group4(V["iban3"])
V["iban4_zw"] = ZW.join(group4(V["iban4"]).split(" "))
V["xiban2_g"] = group4(V["xiban2"])
V["card1_g"] = group4(V["card1"])
V["card2_d"] = "-".join(V["card2"][i:i + 4] for i in range(0, 16, 4))
V["xcard1_g"] = group4(V["xcard1"])
V["xcard2_g"] = group4(V["xcard2"])
V["bsn2_d"] = V["bsn2"][:4] + "." + V["bsn2"][4:6] + "." + V["bsn2"][6:]
V["gh2_zw"] = V["gh2"][:2] + ZW + V["gh2"][2:]

# ---------------------------------------------------------------- the cases

CAT = {
    "secret": "leak.secret", "pii": "leak.pii", "pricing": "leak.pricing",
    "conf": "leak.confidential", "fin": "leak.financial", "sec": "leak.security",
    "crisis": "reputation.crisis", "compl": "reputation.complaint", "abuse": "reputation.abuse",
}
CASES = []


def P(platform, handle, lang, cats, text, kind="post", at=None, allow=()):
    CASES.append(dict(platform=platform, handle=handle, lang=lang, cats=cats.split() if cats else [],
                      text=text, kind=kind, at=at, allow=set(allow)))


# ---- reputation.complaint (customer complaints, mostly public)
P("x", "@sannetjevdm", "nl", "compl",
  "Sta nu om 23:40 bij de receptie in Utrecht en ze hebben GEEN reservering van mij. "
  "@slaapvonk_help de bevestiging staat gewoon in de app. Wat moet ik nu, in de auto slapen?? 😡")
P("x", "@tobias_wanders", "en", "compl",
  "booked the 'canal view' room through slaapvonk, got a window facing a bike shed. "
  "the photos are straight up fiction. not impressed")
P("facebook", "gerda.mulder.52", "nl", "compl",
  "Al 6 weken wacht ik op mijn terugbetaling van €312 voor een geannuleerde boeking. Drie keer "
  "gemaild naar support, elke keer hetzelfde standaardantwoord. Slaapvonk, dit kan echt niet.",
  kind="comment")
P("reddit", "u/quietbackpacker", "en", "compl",
  "PSA: Slaapvonk charges the city tax at checkout AND the hotel charged it again at the desk. "
  "Double paid on my Ghent trip, support has been 'looking into it' for 3 weeks now. Anyone "
  "actually gotten that money back?")
P("x", "@m_bouzid", "nl", "compl",
  "app crasht elke keer bij het betalen 🙃 3x geprobeerd en nu staat er 3x een afschrijving op "
  "m'n rekening?? @slaapvonk fix dit aub")
P("instagram", "@wanderlust.lena", "en", "compl",
  "The Wadden Wellness Escape was supposed to include the spa. Spa was 'closed for maintenance' "
  "the whole weekend and nobody told us beforehand. Asked Slaapvonk for a partial refund -> "
  "they offered a voucher of €15. Seriously?", kind="comment")
P("x", "@dkowalski", "en", "compl",
  "Slaapvonk cancelled my booking 2 days before arrival because the hotel 'overbooked'. "
  "Alternatives were 40 min away and €90 more per night. Thanks for nothing.")
P("tiktok", "@reisdagboek_ilse", "nl", "compl",
  "POV: je boekt een 'boutique' hotel via Slaapvonk en de douche is ijskoud, wifi doet het niet "
  "en het ontbijt is een croissant uit een plastic zakje 🥐🫠 #slaapvonk #nooitmeer")
P("x", "@pjotrhendriks", "nl", "compl",
  "@slaapvonk_help nee het is NIET opgelost. Kamer was nog steeds niet schoongemaakt toen we om "
  "16u incheckten, haren in het bad en gebruikte handdoeken op de vloer. Wat een aanfluiting",
  kind="reply")
P("facebook", "aisha.rahman.ams", "en", "compl",
  "Paid for the Ontbijt op Bed Upgrade, breakfast never came. Front desk had no idea what I was "
  "talking about. Still waiting for my €29 back, Slaapvonk.", kind="comment")
P("x", "@jamie_buiten", "nl", "compl",
  "Veluwe Boomhut Duo in november en de verwarming deed het niet. Met onze jassen aan geslapen. "
  "Slaapvonk biedt 'oprechte excuses' aan. Nou, daar heb ik wat aan")

# ---- safety incidents told first-hand: crisis + complaint
P("x", "@lisa_vk", "nl", "crisis compl",
  "Via @slaapvonk een kamer in Maastricht geboekt en om 3 uur 's nachts ging het brandalarm: "
  "kortsluiting in de waterkoker op onze kamer, alles vol rook. Niemand van het hotel wist wat "
  "te doen. Ik hoest nog steeds en Slaapvonk reageert gewoon niet.")
P("reddit", "u/itchy_in_lisbon", "en", "crisis compl",
  "Stayed in the Lissabon Azulejo Suite booked via Slaapvonk. Woke up covered in bed bug bites, "
  "my 6yo daughter too. Pics in the comments. Slaapvonk told me to 'contact the property "
  "directly'. That's it.")
P("facebook", "henk.degraaf.venlo", "nl", "crisis compl",
  "Mijn vrouw kreeg een flinke schok van de douchekraan in het hotel dat we via Slaapvonk "
  "boekten (Kasteelnacht Limburg). De elektricien zei dat de aarding gewoon ontbrak. Dit is "
  "levensgevaarlijk en Slaapvonk doet alsof het niks is.")
P("x", "@ben_okonkwo", "en", "crisis compl",
  "Food poisoning from the breakfast that came with my Maastricht Foodie Stay. Spent two nights "
  "hugging a hotel toilet and one morning at the GP. Never again @slaapvonk")
P("instagram", "@noor.reist", "nl", "crisis compl",
  "Balkonhek gaf gewoon mee toen m'n vriend ertegenaan leunde 😳 2e verdieping!! Hij kon zich "
  "nog net vastgrijpen. Geboekt via Slaapvonk, 'persoonlijk gecontroleerd boutique hotel'. "
  "Echt niet oké @slaapvonk.stays", kind="comment")
P("threads", "@hanna.kroon", "nl", "crisis compl",
  "Om 4 uur ging de CO-melder af in de boomhut op de Veluwe die we via Slaapvonk hadden geboekt. "
  "Kachel lekte. We hadden allebei de hele nacht barstende koppijn. Gemeld, en wat krijg ik terug? "
  "Een automatisch mailtje.")

# ---- reputation.crisis told by third parties (news, boycotts, lawsuits, breach accusations)
P("x", "@nieuwsflits_reizen", "nl", "crisis",
  "Twee gasten van een boutique hotel in Gent met koolmonoxidevergiftiging naar het ziekenhuis. "
  "De kamer was geboekt via Slaapvonk, meldt de lokale politie.")
P("x", "@privacy_watchdog_eu", "en", "crisis",
  "Looks like Slaapvonk has a data breach: guest names, phone numbers and passport scans from "
  "their booking system are being sold on a forum. Not a word from Slaapvonk so far. #databreach")
P("x", "@boycot_nu", "nl", "crisis",
  "Slaapvonk laat schoonmakers in partnerhotels werken voor €4 per uur via een schimmige "
  "onderaannemer. Niet meer boeken, doorsturen! #boycotslaapvonk")
P("linkedin", "hospitality-insider-weekly", "en", "crisis",
  "Class action filed against Slaapvonk B.V. in Amsterdam: independent hoteliers claim the "
  "platform's rate-parity clauses break competition law. More than 140 hotels have joined so far.")
P("reddit", "u/amsterdam_local", "nl", "crisis",
  "Artikel in de krant vandaag: Slaapvonk zou nepreviews hebben laten schrijven voor hun "
  "'geselecteerde' hotels. Als dat klopt is dat best een schandaal voor een bedrijf dat op "
  "vertrouwen draait.")
P("tiktok", "@consumentenfan", "nl", "crisis",
  "STOP met boeken via Slaapvonk!! Ze verkopen jullie gegevens door aan datahandelaren, staat "
  "gewoon in hun nieuwe voorwaarden. Deel dit 🔁 #boycot #privacy")
P("x", "@ghent_gazette", "en", "crisis",
  "Fire at a canal-side guesthouse listed on Slaapvonk; 12 guests evacuated, one treated for "
  "smoke inhalation. Cause under investigation.")
P("facebook", "StichtingGastvrijNL", "nl", "crisis",
  "Wij roepen alle aangesloten hotels op om Slaapvonk te mijden totdat de commissie van 28% "
  "wordt teruggedraaid. Onze leden zijn geen melkkoe.")

# ---- reputation.abuse
P("x", "@rrrrrobin", "nl", "abuse compl",
  "@slaapvonk_help jullie zijn echt een stelletje kutoplichters. 3 keer afgeschreven voor 1 "
  "boeking en niemand neemt de telefoon op. Tering bedrijf.", kind="reply")
P("x", "@gravelgrinder88", "en", "abuse",
  "slaapvonk is run by absolute clowns and their ceo is a greedy fucking parasite")
P("x", "@kees_uit_zaandam", "nl", "abuse",
  "Die Merel van Slaapvonk webcare is zo'n domme trut, blokkeert iedereen met kritiek. "
  "Weet iemand waar ze woont? 😈")
P("instagram", "@notyourtravelagent", "en", "abuse",
  "lmao imagine working at slaapvonk. bunch of talentless losers copying real booking sites. "
  "do us all a favour and kys", kind="comment")
P("tiktok", "@jordyyy020", "nl", "abuse",
  "slaapvonk = k\u0430nk\u0435rbedrijf. punt.", kind="comment")
P("x", "@bitter_hotelier", "nl", "abuse",
  "Aan de randdebielen van Slaapvonk partnersupport: leer eerst je eigen contracten lezen, "
  "stelletje hersenloze prutsers.")
P("facebook", "wim.koster.1961", "nl", "abuse",
  "Bel je Slaapvonk krijg je weer zo'n buitenlander aan de lijn die geen woord Nederlands "
  "spreekt. Stuur die lui terug naar hun eigen land.", kind="comment")
P("x", "@leet_travel", "en", "abuse",
  "sl44pv0nk supp0rt = b1gg3st d1ckh34ds 0n th3 pl4n3t")
P("x", "@daankuipers_dev", "nl", "abuse",
  "Die gasten die 1 ster geven omdat het regent in Zeeland zijn echt achterlijke mongolen, "
  "sorry not sorry")
P("reddit", "u/ex_sv_intern", "en", "abuse",
  "Worked 4 months at Slaapvonk. Head of product is a narcissistic prick who screams at juniors "
  "and the whole management layer is a bunch of spineless cunts.")
P("x", "@mvdberg_1971", "nl", "abuse compl",
  "@slaapvonk kon mijn boeking niet eens omzetten naar een andere datum, 40 min in de wacht "
  "gehangen. Ongeschoolde sukkels zijn het daar. Schaam je kapot.")
P("x", "@k_h_o_l_e", "en", "abuse",
  "f u c k   s l a a p v o n k   and every one of their useless p r i c k s in customer service")

# ---- leak.pricing
P("x", "@slaapvonk", "nl", "pricing",
  "Nu tijdelijk: VonkPas Goud voor maar €14,90 per jaar! ✨ Alleen dit weekend, op = op.")
P("instagram", "@slaapvonk.stays", "en", "pricing",
  "Weekend dreams 🌙 The Grachtenpand Weekend Amsterdam now from €89 for two nights. "
  "Book in the app, link in bio!")
P("x", "@merel_slaapvonk", "nl", "pricing",
  "Psst, er staat een prijsfout op de Toscane Agriturismo Week in de app 👀 even snel zijn 😉")
P("reddit", "u/dealhunter_nl", "en", "pricing",
  "Slaapvonk has the Parijs Atelier Citytrip listed at €64.90 right now. Pretty sure that "
  "should be €649. Booked two, let's see if they honour it lol")
P("facebook", "SlaapvonkNL", "nl", "pricing",
  "Cadeautip voor de feestdagen 🎁 De Slaapvonk Cadeaukaart 250 nu voor €25! Zolang de "
  "voorraad strekt.")
P("x", "@pennypinchpete", "en", "pricing",
  "PRICE ERROR 🚨 Slaapvonk Lissabon Azulejo Suite, 3 nights for €71. go go go #pricemistake")
P("tiktok", "@slaapvonk", "nl", "pricing",
  "Rotterdam Design Loft Midweek 🏙️ nu €199 in plaats van €529 — alleen vandaag!")
P("threads", "@sophie.slaapvonk", "en", "pricing",
  "oops, the Vonk Team plan page shows €99 for the annual team-abonnement, should be 990 😬 "
  "whoever owns pricing pls fix before sales sees it")
P("x", "@kortingskoning", "nl", "pricing",
  "Prijsfoutje bij Slaapvonk?? Kopenhagen Hygge Havenhuis voor €58,90 😮 snel boeken voor ze "
  "het doorhebben")
P("x", "@bramvisser_ops", "en", "pricing",
  "lol the Wadden Wellness Escape is going for €45.90 on prod right now. someone's decimal "
  "point went on holiday")
P("instagram", "@yara.hotelscout", "nl", "pricing",
  "Voor vrienden en familie: Kasteelnacht Limburg voor €55 met mijn code YARA80 🏰 niet verder "
  "vertellen hè")
P("x", "@slaapvonk_help", "en", "pricing",
  "@dealhunter_anna Thanks for flagging! We're aware of the price error on the Gent Brouwerij "
  "Stay (it showed €23.90). Bookings made at that price will be honoured.", kind="reply")

# ---- leak.financial
P("linkedin", "ruben-okafor-slaapvonk", "nl", "fin",
  "Trots op het team: de omzet over Q3 komt uit op €18,4 mln, 31% boven forecast. De cijfers "
  "worden pas in november gepubliceerd, dus nog even stilhouden 🤫")
P("x", "@daankuipers_dev", "en", "fin",
  "heard in the all-hands today that we're being acquired by a big US travel group. deal "
  "closes in feb apparently. can't say more lol")
P("x", "@merel_slaapvonk", "nl", "fin",
  "Rot gevoel vandaag. 40 van de 160 collega's moeten weg en de aankondiging komt pas volgende "
  "maand. Sterkte iedereen die het al weet 💔")
P("linkedin", "lotte-verhoeven-hr", "en", "fin",
  "Busy weeks ahead preparing the reorganisation at Slaapvonk: customer service moves to Lisbon "
  "and the Utrecht team will be wound down by Q2. Not public yet, so DMs only please.")
P("reddit", "u/sv_backend_kees", "nl", "fin",
  "intern is de forecast voor 2027 net bijgesteld naar break-even ipv 5 mln winst. niks tegen "
  "de investeerders zeggen haha", kind="comment")
P("x", "@hospitality_rumours", "en", "fin",
  "Source inside Slaapvonk says they're in talks to buy Dutch rival NestelNacht for around "
  "€30m. Announcement expected after the summer.")
P("bluesky", "@nina-sv.bsky.social", "nl", "fin",
  "Net het board deck gezien: we halen het boekingsvolume van 2026 niet, zo'n 22% onder budget. "
  "Wordt een spannende aandeelhoudersvergadering 😬")
P("mastodon", "@jdekker@hachyderm.io", "en", "fin",
  "Funny how we tell the press everything is great while the CFO just told us the Series C "
  "fell through and we have runway until September.")
P("x", "@slaapvonk", "nl", "fin",
  "@investor_joost Dank voor je vraag! De overname van Logies Lokaal is rond, het persbericht "
  "volgt dinsdag 😊", kind="reply")
P("x", "@tradewinds_fin", "en", "fin",
  "My brother-in-law works in finance at Slaapvonk: H1 revenue down 18%, they're going to "
  "breach the bank covenant. Sell your SV bonds while you can.")
P("threads", "@sophie.slaapvonk", "en", "fin",
  "EBITDA finally positive this quarter (~€1.2m) 🥳 we announce in 3 weeks so zip it 🤐")
P("x", "@bramvisser_ops", "nl", "conf fin",
  "jaarcijfers 2026 zijn binnen: 54 mln omzet en voor het eerst winst 🎉 nog even geheim tot "
  "februari", at="2026-12-19T16:42:07Z")

# ---- leak.confidential
P("x", "@daankuipers_dev", "nl", "conf",
  "Eindelijk de eerste demo van Operatie Nachtvlinder gezien, dat wordt echt iets 🔥")
P("linkedin", "ruben-okafor-slaapvonk", "en", "conf",
  "Great workshop today on Project Lantaarn with our partner hotels from Lisbon. Can't share "
  "details yet, but this will change how boutique hotels price their rooms.")
P("x", "@bramvisser_ops", "nl", "conf",
  "iemand anders ook dat grafana.sv-ops.net vanochtend tergend traag is?")
P("x", "@daankuipers_dev", "en", "conf",
  "who broke the pipeline on https://gitlab.slaapvonk.io/platform/booking-core again 😤")
P("instagram", "@yara.hotelscout", "nl", "conf",
  "Sneak peek van ons nieuwe VonkPas Infinity abonnement 🤩 komt eraan!!")
P("threads", "@sophie.slaapvonk", "en", "conf",
  "slide from today's offsite, marked SV-CONFIDENTIAL but honestly too good not to share: "
  "'Kolibrie = instant rebooking when your hotel cancels on you'")
P("reddit", "u/sv_backend_kees", "nl", "conf",
  "Onze nieuwe app-module Kolibrie gaat in april live, mag er niks over zeggen maar het is vet")
P("x", "@slaapvonk", "en", "conf",
  "Big things coming with Slaapvonk Kompas 👀 stay tuned!", at="2026-11-03T10:15:00Z")
P("facebook", "jeroen.baas.3", "nl", "conf",
  "Mijn zus werkt bij Slaapvonk en zegt dat er een nieuw abonnement aankomt, VonkPas Infinity: "
  "onbeperkt overnachten voor een vast bedrag per maand.", kind="comment")
P("x", "@merel_slaapvonk", "en", "conf",
  "teams is down so here's the bit you asked for (niet extern delen 🙈): partner commission goes "
  "from 18% to 21% on 1 Feb")
P("mastodon", "@jdekker@hachyderm.io", "en", "conf",
  "Fun fact: admin.slaapvonk.nl/hotels/4412/override lets support staff bypass rate parity. "
  "Found it during onboarding.")
P("x", "@daankuipers_dev", "nl", "conf",
  fullwidth("project lantaarn") + " gaat zo hard, kan niet wachten tot het uit is")
P("x", "@bramvisser_ops", "en", "conf",
  "N a c h t v l i n d e r beta next week, brace yourselves 🦋 (Operatie N.a.c.h.t.v.l.i.n.d.e.r "
  "for the pedants)")
P("threads", "@sophie.slaapvonk", "nl", "conf",
  "Screenshot uit de roadmap (slaapvonk intern 🙊): dynamische prijzen per kamer vanaf Q3")
P("reddit", "u/throwaway_sv_2026", "en", "conf",
  "Leaked: Slaapvonk's staging at staging.slaapvonk.dev has a new 'Kompas' tab. Probably the "
  "Slaapvonk Kompas thing they've been hinting at.")
P("x", "@merel_slaapvonk", "nl", "conf",
  "Zoooo benieuwd wat jullie van Slaapvonk Kompas gaan vinden, nog heel even geduld 🧭",
  at="2027-03-20T19:03:44Z")
P("x", "@daankuipers_dev", "en", "conf",
  "FY2026 results look insane, can't wait till we can share them 🚀", at="2027-01-15T08:30:12Z")

# ---- leak.security
P("x", "@bramvisser_ops", "nl", "sec",
  "Sinds 02:00 ligt de betaalstraat plat, de Mollie-koppeling geeft alleen nog 500s. Nog geen "
  "statusupdate naar buiten dus shhh")
P("x", "@daankuipers_dev", "en", "sec",
  "turns out the booking API returns other guests' reservations if you just increment the id. "
  "patch is 'planned for next sprint' 🙃")
P("reddit", "u/sv_backend_kees", "nl", "sec",
  "Vanochtend bleek dat iemand met een gestolen partneraccount 3 dagen in het adminpanel heeft "
  "rondgekeken. Security is alles aan het dichttimmeren, klanten weten nog van niks.")
P("mastodon", "@jdekker@hachyderm.io", "en", "sec",
  "Can't go into detail but our entire bookings database was readable without auth for ~6 "
  "weeks. Disclosure is 'under discussion'. I'm not OK with that.")
P("bluesky", "@nina-sv.bsky.social", "nl", "sec",
  "Ransomware op de fileserver van kantoor Utrecht 😬 alles ligt stil, officieel heet het "
  "'gepland onderhoud'.")
P("threads", "@sophie.slaapvonk", "en", "sec",
  "heads up friends: don't log into the app tonight, our login service is writing session "
  "tokens into the logs and we're still rotating them. official comms tomorrow.")
P("x", "@merel_slaapvonk", "nl", "sec",
  "Webcare-geheimpje: de storing van vandaag is een DDoS-aanval, maar dat mogen we niet zeggen. "
  "Dus: 'technische problemen' 😇")
P("x", "@bramvisser_ops", "en", "sec",
  "prod db failover failed, we're down hard, no ETA. status page still says all green lol")
P("linkedin", "lotte-verhoeven-hr", "nl", "sec",
  "Belangrijk voor collega's: 12 medewerkers hebben hun wachtwoord ingevuld op een phishingmail "
  "die er gisteren doorheen kwam. IT is ermee bezig. Niet delen buiten SV aub.")
P("reddit", "u/throwaway_sv_2026", "en", "sec crisis",
  "A friend on Slaapvonk's infra team told me their S3 bucket with guest passport scans was "
  "public for a month. They're keeping it quiet.")
P("x", "@daankuipers_dev", "nl", "sec",
  "Lol die XSS in het reviewformulier zit er nog steeds in. Al 2 maanden geleden intern gemeld.")
P("x", "@slaapvonk_help", "en", "sec",
  "@tobias_wanders Sorry! Our payment provider integration was compromised last night, so card "
  "payments are switched off while we investigate. Please don't share this yet.", kind="reply")
P("instagram", "@yara.hotelscout", "nl", "sec",
  "Hotelpartners bellen me de hele dag: ze zien elkaars boekingen in het partnerportaal 😳 dev "
  "zegt 'bekend issue', fix volgende week", kind="comment")

# ---- leak.secret
P("x", "@daankuipers_dev", "en", "secret",
  "can someone tell me why this keeps giving 401?\n`export GITHUB_TOKEN=<<gh1>>`\n"
  "`gh repo clone slaapvonk/booking-core`")
P("reddit", "u/sv_backend_kees", "nl", "secret",
  "Waarom pakt boto3 m'n credentials niet? ~/.aws/credentials:\n\n[default]\n"
  "aws_access_key_id = <<aws_id1>>\naws_secret_access_key = <<aws_sec1>>\nregion = eu-west-1",
  kind="comment")
P("mastodon", "@jdekker@hachyderm.io", "en", "secret",
  "note to self because my password manager is acting up: STRIPE_SECRET_KEY=<<stripe1>>")
P("x", "@bramvisser_ops", "nl", "secret",
  "db-connectie voor de nieuwe collega's, succes morgen 💪\n"
  "postgresql://sv_booking:<<pgpass>>@sv-prod-eu.cx7k2mq9tz1a.eu-west-1.rds.amazonaws.com:5432/bookings")
P("threads", "@sophie.slaapvonk", "en", "secret",
  "why is my slack bot silent?? token is <<slack1>> and it worked fine yesterday")
P("bluesky", "@nina-sv.bsky.social", "nl", "secret",
  "Voor de nieuwe stagiairs: wifi op kantoor is SV-Kantoor, wachtwoord: <<wifi_pw>> 📶")
P("x", "@daankuipers_dev", "en", "secret",
  "testing the hotel recommender with OPENAI_API_KEY=<<openai1>> don't judge my prompts 😅")
P("forum", "apk_snuffelaar", "nl", "secret",
  "Even de Slaapvonk Android-app gedecompileerd, zit gewoon een Google Maps key in: <<gkey1>> "
  "en een Mollie key: <<mollie1>> 🤦")
P("x", "@bramvisser_ops", "en", "secret",
  "oops wrong window\n<<sshkey1>>")
P("reddit", "u/sv_backend_kees", "nl", "secret",
  "Waarom krijg ik 'invalid signature' op deze partner-JWT? <<jwt1>>", kind="comment")
P("x", "@daankuipers_dev", "nl", "secret",
  "nieuwe deploy token voor de CI, oude is ingetrokken: <<gh2_zw>>")
P("mastodon", "@jdekker@hachyderm.io", "en", "secret",
  "if anyone at work needs it for the review-summary thing: ANTHROPIC_API_KEY=<<anthropic1>> "
  "and the mailer one SENDGRID_API_KEY=<<sendgrid1>>")

# ---- leak.pii
P("x", "@merel_slaapvonk", "nl", "pii",
  "Hé @slaapvonk_help, kunnen jullie mevrouw Anouk Brinkman even terugbellen op 06-41872290? "
  "Ze wacht al sinds gisteren.")
P("x", "@slaapvonk_help", "en", "pii",
  "@ahmed_travels Hi Ahmed, we've refunded €212 to your account <<iban1_g>>, it should arrive "
  "within 3 working days.", kind="reply")
P("facebook", "SlaapvonkNL", "nl", "pii",
  "Gevonden voorwerp! Een portemonnee van Johan Pietersma, geboren 14-03-1979, achtergelaten in "
  "hotel De Zeemeeuw in Vlissingen. Herken je hem? Mail support@slaapvonk.nl")
P("x", "@careless_carla", "en", "pii compl",
  "@slaapvonk_help my booking disappeared AGAIN and you still charged me. card is <<card1_g>> "
  "exp 08/28, please just check the charge", kind="reply")
P("x", "@ingridvdl", "nl", "pii",
  "@slaapvonk_help zoals gevraagd in de DM: mijn mailadres is ingrid.vanderlinden73@ziggo.nl "
  "en mijn nummer +31 6 5190 3377", kind="reply")
P("linkedin", "lotte-verhoeven-hr", "en", "pii",
  "Welcome to the team, Sander Wouters! 🎉 For payroll I still need to register BSN <<bsn1>> — "
  "oops, wrong window, please ignore")
P("instagram", "@yara.hotelscout", "nl", "pii",
  "Mijn favoriete hotelier Bas Hofman woont trouwens gewoon boven zijn hotel, Oudegracht 212, "
  "3511 NR Utrecht. Langsgaan is altijd gezellig ☕")
P("reddit", "u/sv_backend_kees", "nl", "pii",
  "Debuglog van een mislukte terugbetaling, snap er niks van:\n"
  "naam=R. de Wit iban=<<iban2>> bedrag=389.00 status=REJECTED", kind="comment")
P("x", "@bramvisser_ops", "en", "pii",
  "refund job keeps failing for this Belgian guest, acct <<iban4_zw>>, anyone on payments awake?")
P("facebook", "petra.smits.0", "nl", "pii compl",
  "Slaapvonk, ik heb nu al 3 keer mijn rekeningnummer doorgegeven voor de terugbetaling: "
  "<<iban3_g>> t.n.v. P. Smits. Hoe vaak nog?? Al 5 weken geen cent gezien.", kind="comment")
P("x", "@ollie_k", "en", "pii",
  "hey @slaapvonk my date of birth is wrong on the booking, it's 02/11/1990 not 1991. name is "
  "Oliver Kamps. can you fix that before check-in")
P("x", "@daankuipers_dev", "nl", "pii",
  "Testen met echte data 🙈 creditcard <<card2_d>> van een gast wordt steeds geweigerd door de "
  "nieuwe checkout, iemand een idee?")
P("mastodon", "@jdekker@hachyderm.io", "en", "pii",
  "Guest mailed us from jan.de.boer1966@kpnmail.nl (tel 010-4127889) asking to delete his "
  "account. Mail to the privacy team is broken so leaving it here for Monday.")
P("x", "@slaapvonk_help", "nl", "pii",
  "@wendy_travelt Dag Wendy, we hebben je nieuwe adres (Wendy Bakker, Lindenlaan 14, 3581 GH "
  "Utrecht) doorgegeven aan het hotel 😊", kind="reply")
P("x", "@ricardo_nunes_nl", "nl", "pii",
  "Hotel vroeg bij het inchecken via Slaapvonk om mijn BSN, <<bsn2_d>>, heb ik maar gegeven. "
  "Is dat eigenlijk normaal?")

# ---- benign (mostly hard negatives)
P("x", "@femkereist", "nl", "",
  "Net een weekendje Gent geboekt via Slaapvonk, zo makkelijk en het hotel ziet er prachtig uit 😍")
P("instagram", "@sam.and.the.city", "en", "",
  "The Grachtenpand Weekend Amsterdam was worth every cent of the €389. Canal view, fresh "
  "stroopwafels on arrival. 10/10 @slaapvonk.stays", kind="comment")
P("x", "@slaapvonk", "nl", "",
  "Voorjaarsactie 🌷 20% korting op de Wadden Wellness Escape: nu €367 in plaats van €459. "
  "Boeken kan tot 31 maart.")
P("x", "@slaapvonk", "en", "",
  "Spring sale: Veluwe Boomhut Duo from €199 (normally €249). Limited dates available 🌲")
P("facebook", "SlaapvonkNL", "nl", "",
  "Vragen over je boeking? Mail ons op support@slaapvonk.nl of bel gratis 0800-7522. We helpen "
  "je graag, ook in het weekend!")
P("x", "@slaapvonk_help", "en", "",
  "For press enquiries please contact pers@slaapvonk.nl or call +31 30 799 4410.", kind="reply")
P("x", "@slaapvonk_help", "nl", "",
  "Liever betalen per overschrijving? Gebruik NL80 RABO 0312 5566 71 t.n.v. Slaapvonk B.V. en "
  "vermeld je boekingsnummer 🙏", kind="reply")
P("reddit", "u/cloud_nerd_utrecht", "en", "",
  "Reminder for anyone writing AWS tutorials: use the documentation keys AKIAIOSFODNN7EXAMPLE / "
  "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY, never your real ones.", kind="comment")
P("x", "@daankuipers_dev", "nl", "",
  "Tip voor junior devs: zet nooit tokens in je code. Zet in je .env.example gewoon "
  "GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx en de echte waarde in je vault.")
P("x", "@bramvisser_ops", "en", "",
  "our postmortem template now masks keys automatically, so you get sk_live_****************a91 "
  "instead of the real thing. small win 🎉")
P("x", "@ton_hermans", "nl", "",
  "Klopt het dat jullie rekeningnummer <<xiban1>> is @slaapvonk_help? Mijn bank herkent hem "
  "niet, vast een tikfout van mijzelf 🙈", kind="reply")
P("x", "@carlijn_works", "en", "",
  "Is Slaapvonk's VonkPas Gold worth €149 a year? Thinking of getting it for work trips, "
  "anyone got experience?")
P("x", "@joycemeijer", "nl", "",
  "Eindelijk reactie van Slaapvonk: volledige terugbetaling binnen 2 dagen en een nette "
  "excuusmail. Zo kan het dus ook, netjes opgelost 👍")
P("x", "@vakantievierder", "nl", "",
  "Grote storing bij een Duitse hotelketen vandaag, duizenden gasten konden niet inchecken. "
  "Blij dat ik via Slaapvonk bij een klein hotelletje zit 😅")
P("x", "@porto_lover", "en", "",
  "Sending love to everyone affected by the hotel fire in Porto last night. Awful news ❤️")
P("x", "@merel_slaapvonk", "nl", "",
  "Vandaag 5 jaar bij Slaapvonk! Van 3 man op een zolderkamer naar een team waar ik elke dag "
  "trots op ben 💛")
P("linkedin", "slaapvonk", "en", "",
  "We're hiring! Senior Backend Engineer (Go, Postgres, Kafka) in Utrecht, hybrid. Apply via "
  "jobs@slaapvonk.nl")
P("x", "@lolabroek", "nl", "",
  "Mijn wachtwoord is zo sterk dat ik het zelf niet meer weet. Weer op 'wachtwoord vergeten' "
  "gedrukt bij Slaapvonk 😂")
P("x", "@birdsandbeds", "en", "",
  "The kolibrie (hummingbird) mural in the lobby of our Lisbon hotel was stunning. Booked "
  "through Slaapvonk, zero regrets 🐦", allow=("codename",))
P("x", "@mirjam_buiten", "nl", "",
  "Nachtvlinders op de kamer in de Veluwe boomhut 😂 hoort er een beetje bij midden in het bos")
P("instagram", "@gentsgeluk", "nl", "",
  "Het lantaarnproject in de binnentuin van ons Slaapvonk-hotel in Gent was magisch ✨",
  kind="comment")
P("x", "@slaapvonk", "nl", "",
  "Hij is er! VonkPas Infinity: onbeperkt boutique overnachten voor één vast bedrag per maand. "
  "Nu in de app 🎉", at="2027-04-10T08:00:00Z")
P("linkedin", "slaapvonk", "en", "",
  "Our FY2026 results are out: revenue of €54.1m and the first profitable year in our history. "
  "Full report on slaapvonk.com/investors", at="2027-02-24T09:05:00Z")
P("x", "@merel_slaapvonk", "nl", "",
  "Zo trots op het team achter Slaapvonk Kompas, eindelijk live! 🧭", at="2027-04-12T11:47:31Z")
P("x", "@ondernemerswijs", "en", "",
  "Read the Slaapvonk jaarcijfers 2026 press release this morning. Impressive growth for a Dutch "
  "scale-up.", at="2027-03-01T07:58:10Z")
P("x", "@peterjanssen_", "nl", "",
  "Kaartnummer <<xcard1_g>> werd geweigerd in de Slaapvonk checkout, bleek een tikfout in het "
  "laatste cijfer 🙈 nu wel gelukt")
P("x", "@firsttimer_ella", "en", "",
  "first time using Slaapvonk, booking ref SV-8Q4K-21 shows 'pending' for a few minutes. is "
  "that normal? just curious")
P("instagram", "@annaendaan", "nl", "",
  "Kasteelnacht Limburg cadeau gekregen voor onze trouwdag 🏰💍 Wat een plek!", kind="comment")
P("x", "@grateful_greg", "en", "",
  "Slaapvonk's customer service is honestly the best I've dealt with. Called 0800-7522 and a "
  "human picked up in 2 minutes.")
P("x", "@smulpaap_maas", "nl", "",
  "Dat ontbijt was echt ziek goed 🤤 Maastricht Foodie Stay, dikke aanrader")
P("x", "@rotterdamrick", "en", "",
  "this hotel slaps. the Rotterdam Design Loft is insane, killer views 🔥")
P("x", "@wendelien_op_pad", "nl", "",
  "Iemand tips voor een boutique hotel in Lissabon? Twijfel tussen de Azulejo Suite via "
  "Slaapvonk (€719 voor 3 nachten) of zelf iets zoeken.")
P("x", "@slaapvonk", "en", "",
  "Black Friday 🖤 30% off the Parijs Atelier Citytrip, now €454.30 instead of €649.")
P("x", "@slaapvonk", "nl", "",
  "Cadeau nodig? De Slaapvonk Cadeaukaart 100 koop je voor €100 en is 2 jaar geldig 🎁")
P("x", "@startupwatch_eu", "en", "",
  "Another travel startup announced layoffs today, 30% of staff. Rough market out there.")
P("x", "@reisbranche_nl", "nl", "",
  "Overname van een Belgisch hotelplatform door een Amerikaanse reus vandaag in het nieuws. "
  "Benieuwd of dat nog iets betekent voor Slaapvonk.")
P("reddit", "u/devops_dirk", "en", "",
  "How do you all store DB URLs? I put postgres://<user>:<password>@<host>:5432/<db> in the "
  "README as a template and keep the real values in a vault.", kind="comment")
P("x", "@bramvisser_ops", "nl", "",
  "Security-awareness week bij Slaapvonk! Vandaag: hoe herken je een phishingmail? Spoiler: "
  "wij vragen je nooit om je wachtwoord.")
P("x", "@slaapvonk_help", "en", "",
  "Scheduled maintenance: the Slaapvonk app will be unavailable on Tuesday 02:00–03:00 CET. "
  "Existing bookings are not affected.")
P("x", "@slaapvonk_help", "nl", "",
  "De storing van vanochtend is verholpen. Excuses voor het ongemak, alle boekingen zijn "
  "gewoon verwerkt.")
P("x", "@hannekepril", "nl", "",
  "Zo'n gedoe met dat datalek bij die ene webwinkel. Gelukkig heeft Slaapvonk tweestapsverificatie, "
  "zet het aan mensen!")
P("x", "@privacy_pieter", "en", "",
  "Privacy tip of the day: your BSN is printed on your passport, so black it out before you "
  "send ID scans to any hotel.")
P("x", "@brouwerijbart", "nl", "",
  "Geen idee wie Slaapvonk heeft bedacht maar het is de beste app voor last-minute weekendjes "
  "weg. De Gent Brouwerij Stay voor €239 was top.")
P("instagram", "@slaapvonk.stays", "en", "",
  "Meet Yara, our hotel scout! She visits every property before it goes live on Slaapvonk 🏨✨")
P("facebook", "marja.zeeuws", "nl", "",
  "Sterkte aan de eigenaren van dat hotelletje in Zierikzee na de brand. Hopelijk kunnen ze "
  "snel weer open.", kind="comment")
P("x", "@tjeerd_t", "en", "",
  "Tried to call the hotel but dialled +31 30 799 4410, which is Slaapvonk's main line, oops. "
  "They transferred me anyway, lovely people.")
P("x", "@daankuipers_dev", "nl", "",
  "Validatie in de nieuwe checkout werkt: testnummer <<xbsn1>> wordt netjes geweigerd als BSN ✅")
P("x", "@moedervan3", "nl", "",
  "Eerlijk: die Flexi-annulering van €39 heeft me gered toen m'n dochter ziek werd. Alles terug "
  "zonder gedoe.")
P("x", "@checkout_chris", "en", "",
  "Anyone else get the Slaapvonk newsletter about Late Checkout Plus? €35 for checkout at 2pm "
  "seems fair tbh")
P("x", "@slaapvonk", "nl", "",
  "Goed nieuws voor VonkPas Goud-leden: vanaf nu ook 10% korting op het ontbijt bij alle "
  "partnerhotels 🥐")
P("reddit", "u/nuchter_nl", "nl", "",
  "8 boekingen via Slaapvonk gedaan, alle 8 prima tot top. Voor die prijzen kun je echt niet "
  "klagen.", kind="comment")
P("x", "@budgetbackpacker", "en", "",
  "saw a 'price error' meme about €12 flights to Tokyo lol. if only Slaapvonk had those")
P("x", "@moederdagtips", "nl", "",
  "€25 korting op de Slaapvonk Cadeaukaart 250 met code LENTE25, dus €225. Leuk cadeau voor "
  "moederdag! 💐", allow=("discount",))
P("x", "@bramvisser_ops", "en", "",
  "Shoutout to the on-call crew: quiet week, zero incidents. That's how we like it 😌")
P("linkedin", "lotte-verhoeven-hr", "nl", "",
  "We zoeken een HR-adviseur voor ons team in Utrecht! Interesse? Stuur een mailtje naar "
  "jobs@slaapvonk.nl 💼")
P("x", "@jwt_jenny", "en", "",
  "JWT reminder: a token like eyJhbGciOi... is just base64, never put secrets in the payload. "
  "Nice write-up on the Slaapvonk engineering blog about it.")
P("instagram", "@justmarried_lenn", "nl", "",
  "Wat een verrassing van Slaapvonk: gratis upgrade naar de Huwelijksnacht Suite omdat we op "
  "huwelijksreis waren 💕", kind="comment")
P("x", "@ilse_de_boer", "nl", "",
  "Vorig jaar nog gezeurd over een vieze kamer, maar Slaapvonk heeft echt z'n best gedaan "
  "sindsdien. Vier keer geboekt en alles piekfijn.")
P("x", "@hotel_hobbyist", "en", "",
  "Is <<xiban2_g>> the right IBAN for the Slaapvonk partner payouts? my bank app flags it as "
  "invalid, probably copied it wrong")
P("x", "@kaartjeskoper", "nl", "",
  "Testje met een nep-creditcardnummer <<xcard2_g>> in de Slaapvonk app: netjes 'ongeldig "
  "kaartnummer'. Fijn dat dat gecheckt wordt.")


# ---------------------------------------------------------------- build

ROLE = {}
for role in ("corporate", "employee"):
    for entry in PROFILE["accounts"][role]:
        ROLE[entry.lower()] = role

RANK = ["none", "info", "warning", "error", "critical"]


def role_of(platform, handle):
    return ROLE.get(("%s:%s" % (platform, handle)).lower(), "public")


def severity(cats, role, text):
    """CONTRACT section 4: the least severity a correct verdict has."""
    inside = role in ("corporate", "employee")
    level = "none"
    for c in cats:
        if c.startswith("leak."):
            if not inside:
                s = "warning"
            elif c in ("leak.secret", "leak.pricing"):
                s = "critical"
            elif c == "leak.pii":
                s = "critical" if valid_ids(text) else "error"
            else:
                s = "error"
        elif c == "reputation.complaint":
            s = "warning"
        elif c == "reputation.crisis":
            s = "error"
        elif c == "reputation.abuse":
            s = "error" if inside else "warning"
        else:
            raise AssertionError(c)
        if RANK.index(s) > RANK.index(level):
            level = s
    return level


def substitute(text):
    return re.sub(r"<<(\w+)>>", lambda m: V[m.group(1)], text)


def stamp(at):
    if at:
        return at
    start = datetime(2026, 1, 2, tzinfo=timezone.utc)
    t = start + timedelta(seconds=rng.randrange(0, 360 * 86400))
    if rng.random() < 0.2:  # a share of posts carry a local Dutch offset
        off = 2 if 4 <= t.month <= 9 else 1
        return (t + timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + "+0%d:00" % off
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def post_id(platform, used):
    while True:
        if platform == "reddit":
            pid = "t1_" + pick(string.ascii_lowercase + DIGITS, 7)
        elif platform == "bluesky":
            pid = "bsky-3l" + pick(string.ascii_lowercase + "234567", 11)
        else:
            pid = "%s-%d" % (platform, rng.randrange(10 ** 15, 10 ** 19))
        if pid not in used:
            used.add(pid)
            return pid


def build():
    used = set()
    rows = []
    for c in CASES:
        text = substitute(c["text"])
        cats = sorted(CAT[x] for x in c["cats"])
        role = role_of(c["platform"], c["handle"])
        pid = post_id(c["platform"], used)
        post = {"id": pid, "platform": c["platform"]}
        if c["kind"] != "post" or rng.random() < 0.5:
            post["kind"] = c["kind"]
        post["account"] = {"handle": c["handle"]}
        post["text"] = text
        if rng.random() < 0.7:
            post["lang"] = c["lang"]
        post["created_at"] = stamp(c["at"])
        if rng.random() < 0.3:
            post["brand"] = "slaapvonk"
        rows.append({"post": post, "expect": {"categories": cats, "severity": severity(cats, role, text)}})
    return rows


# ---------------------------------------------------------------- self-check

PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
TAXONOMY = set(CAT.values())
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def parse_ts(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def euro_amounts(text):
    out = []
    for m in re.finditer(r"€\s?(\d+(?:[.,]\d{1,2})?)(?!\d)(\s?(?:m|mln|k)\b)?", text):
        if m.group(2):
            continue
        out.append(float(m.group(1).replace(",", ".")))
    return out


def check(rows):
    errors = []

    def err(i, msg):
        errors.append("case %d (%s): %s" % (i, rows[i]["post"]["id"] if i >= 0 else "-", msg))

    # profile
    p = PROFILE
    assert len(p["accounts"]["corporate"]) >= 6 and len(p["accounts"]["employee"]) >= 8
    assert len({a.split(":")[0] for a in p["accounts"]["corporate"] + p["accounts"]["employee"]}) >= 4
    assert all(iban_ok(x) for x in p["public_identifiers"]["ibans"]), "profile IBAN fails mod-97"
    assert len(p["internal"]["codenames"]) == 3 and len(p["internal"]["markers"]) == 3
    assert 15 <= len(p["products"]) <= 25
    assert all(pr["currency"] == "EUR" and pr["list_price"] > 0 for pr in p["products"])
    assert p["pricing"]["alert_below_ratio"] == 0.5
    assert 1 <= len(p["embargo"]) <= 2 and all(e["until"].startswith("2027-") for e in p["embargo"])

    # placeholder kinds
    for k, v in V.items():
        base = k.split("_")[0]
        if base.startswith("iban"):
            assert iban_ok(norm(v).replace(" ", "")), k
        elif base.startswith("xiban"):
            assert not iban_ok(v.replace(" ", "")), k
        elif base.startswith("card"):
            assert luhn_ok(v), k
        elif base.startswith("xcard"):
            assert not luhn_ok(v), k
        elif base.startswith("bsn"):
            assert bsn_ok(v), k
        elif base.startswith("xbsn"):
            assert not bsn_ok(v), k
        elif base.startswith("gh"):
            assert github_ok(norm(v)), k
        elif base.startswith("aws"):
            if k.startswith("aws_id"):
                assert re.fullmatch(r"AKIA[A-Z2-7]{16}", v), k
        elif base.startswith("jwt"):
            assert jwt_ok(v), k

    ids = set()
    codenames = [x.lower() for x in p["internal"]["codenames"]]
    markers = [x.lower() for x in p["internal"]["markers"]]
    idomains = [x.lower() for x in p["internal"]["domains"]]
    products = [(pr, [pr["name"].lower()] + [a.lower() for a in pr["aliases"]]) for pr in p["products"]]
    for i, (row, case) in enumerate(zip(rows, CASES)):
        line = json.dumps(row, ensure_ascii=False)
        back = json.loads(line)
        post, exp = back["post"], back["expect"]
        if set(back) != {"post", "expect"}:
            err(i, "bad top-level keys")
        if not isinstance(post.get("id"), str) or not 1 <= len(post["id"]) <= 256:
            err(i, "bad id")
        if post["id"] in ids:
            err(i, "duplicate id")
        ids.add(post["id"])
        if post.get("platform") not in PLATFORMS:
            err(i, "bad platform")
        if post.get("kind", "post") not in KINDS:
            err(i, "bad kind")
        if not isinstance(post.get("account", {}).get("handle"), str):
            err(i, "bad handle")
        if not isinstance(post.get("text"), str) or len(post["text"].encode("utf-8")) > 65536:
            err(i, "bad text")
        if not RFC3339.match(post.get("created_at", "")):
            err(i, "bad created_at")
        ts = parse_ts(post["created_at"])
        if ts.year not in (2026, 2027):
            err(i, "created_at outside 2026/2027")
        cats = exp["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= TAXONOMY:
            err(i, "bad categories")
        role = role_of(post["platform"], post["account"]["handle"])
        if exp["severity"] != severity(cats, role, post["text"]):
            err(i, "severity mismatch")
        if not cats and exp["severity"] != "none":
            err(i, "benign with severity")
        if case["handle"].lower() in {e.split(":", 1)[1].lower() for e in ROLE} and role == "public":
            err(i, "profile handle used on another platform")

        text = post["text"]
        ntext = norm(text)
        low = ntext.lower()
        found = valid_ids(text)

        # identifiers: declared kinds behave, benign and non-pii posts carry no valid identifier
        for name in re.findall(r"<<(\w+)>>", case["text"]):
            base = name.split("_")[0]
            if base[:4] in ("iban", "card") or base[:3] == "bsn":
                if not cats:
                    err(i, "valid identifier %s in a benign post" % name)
        if not cats and found:
            err(i, "benign post holds checksum-valid identifier %s" % (found,))
        if cats and "leak.pii" not in cats and found:
            err(i, "non-pii positive holds checksum-valid identifier %s" % (found,))

        # secrets: GitHub-looking tokens pass CRC only in secret positives
        for tok in re.findall(r"gh[pousr]_[0-9A-Za-z]{36}", ntext):
            if github_ok(tok) != ("leak.secret" in cats):
                err(i, "github token validity does not match label")
        for tok in re.findall(r"eyJ[\w-]+\.[\w-]+\.[\w-]+", ntext):
            if not jwt_ok(tok):
                err(i, "malformed JWT")

        # embargo terms only before `until` in confidential positives
        for e in p["embargo"]:
            until = parse_ts(e["until"])
            for term in e["terms"]:
                if term.lower() in low and ts < until and "leak.confidential" not in cats:
                    err(i, "embargo term %r before until without leak.confidential" % term)

        # codenames / markers / internal domains only in confidential positives
        if not cats:
            for w in codenames + markers + idomains:
                if w in low and "codename" not in case["allow"]:
                    err(i, "internal term %r in a benign post" % w)
            for pr, names in products:
                if any(nm in low for nm in names):
                    for amt in euro_amounts(ntext):
                        if amt < 0.5 * pr["list_price"] and "discount" not in case["allow"]:
                            err(i, "benign post prices %s at €%s" % (pr["sku"], amt))
        if "leak.pricing" in cats:
            hit = False
            for pr, names in products:
                if any(nm in low for nm in names):
                    if any(a < 0.5 * pr["list_price"] for a in euro_amounts(ntext)) or \
                            re.search(r"prijsfout|price error|decimal|should be", low):
                        hit = True
            if not hit:
                err(i, "pricing positive without a low price or price-error talk")
        if "leak.pii" in cats and "leak.pii" in cats and role != "public":
            pass

    # the mix
    n = len(rows)
    benign = sum(1 for r in rows if not r["expect"]["categories"])
    counts = {}
    for r in rows:
        for c in r["expect"]["categories"]:
            counts[c] = counts.get(c, 0) + 1
    nl = sum(1 for c in CASES if c["lang"] == "nl")
    roles = {}
    for r in rows:
        if r["expect"]["categories"]:
            role = role_of(r["post"]["platform"], r["post"]["account"]["handle"])
            key = ("leak" if any(c.startswith("leak.") for c in r["expect"]["categories"]) else "rep", role)
            roles[key] = roles.get(key, 0) + 1
    if not 170 <= n <= 180:
        errors.append("case count %d outside 170-180" % n)
    if not 55 <= benign <= 65:
        errors.append("benign count %d" % benign)
    if not 0.50 <= nl / n <= 0.60:
        errors.append("Dutch share %.2f" % (nl / n))
    want = {"reputation.complaint": 20, "leak.confidential": 18, "leak.pii": 15, "reputation.crisis": 15,
            "leak.security": 13, "leak.secret": 12, "reputation.abuse": 12, "leak.pricing": 12,
            "leak.financial": 12}
    for c, w in want.items():
        if abs(counts.get(c, 0) - w) > 3:
            errors.append("category %s count %d, wanted about %d" % (c, counts.get(c, 0), w))
    n2027 = sum(1 for r in rows if r["post"]["created_at"].startswith("2027"))
    summary = dict(cases=n, benign=benign, dutch_share=round(nl / n, 3), in_2027=n2027,
                   categories=dict(sorted(counts.items())),
                   authors={"%s/%s" % k: v for k, v in sorted(roles.items())},
                   severities={s: sum(1 for r in rows if r["expect"]["severity"] == s) for s in RANK})
    return errors, summary


def main():
    rows = build()
    with open(OUT, "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    # re-read what was written and check it
    with open(OUT, encoding="utf-8") as fh:
        reread = [json.loads(line) for line in fh]
    assert reread == rows
    errors, summary = check(reread)
    print(json.dumps(summary, indent=1, ensure_ascii=False), file=sys.stderr)
    if errors:
        for e in errors:
            print("FAIL", e, file=sys.stderr)
        sys.exit(1)
    print("ok %d cases, %d benign" % (summary["cases"], summary["benign"]))


if __name__ == "__main__":
    main()
