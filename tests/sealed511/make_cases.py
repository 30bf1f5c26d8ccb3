#!/usr/bin/env python3
"""Sealed evaluation set 511 for postwatch: Moerbus Mobiele Autoservice B.V.

Deterministic (fixed seed). Writes cases.jsonl next to this file and checks it:
  * every line is a valid CONTRACT section 6 case;
  * severities come from CONTRACT section 4, computed from the account role in profile.yaml;
  * every IBAN / card / BSN in a positive passes its checksum, every look-alike in a
    benign post fails it;
  * generated secrets are well formed (GitHub CRC-32, JWT header with alg, ...), benign
    posts only carry sample or redacted keys;
  * codenames, markers, internal hosts and embargo terms only appear where labelled.
Standard library plus PyYAML.
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
import struct
import sys
import unicodedata
import zlib

import yaml

SEED = 511
rng = random.Random(SEED)
HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))

# ---------------------------------------------------------------------------
# identifier generators
# ---------------------------------------------------------------------------
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "-_"


def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def nl_iban(bank):
    acct = "".join(rng.choice(string.digits) for _ in range(10))
    base = bank + acct + "NL00"
    n = int("".join(str(int(c, 36)) for c in base))
    return "NL%02d%s%s" % (98 - n % 97, bank, acct)


def luhn_ok(d):
    d = re.sub(r"\D", "", d)
    tot = 0
    for i, ch in enumerate(reversed(d)):
        v = int(ch)
        if i % 2 == 1:
            v *= 2
            if v > 9:
                v -= 9
        tot += v
    return tot % 10 == 0


def card(prefix, length=16):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for last in string.digits:
        if luhn_ok(body + last):
            return body + last
    raise AssertionError


def bsn_ok(d):
    d = re.sub(r"\D", "", d)
    if len(d) != 9:
        return False
    s = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return s % 11 == 0


def bsn():
    while True:
        head = str(rng.randint(1, 9)) + "".join(rng.choice(string.digits) for _ in range(7))
        s = sum(int(head[i]) * (9 - i) for i in range(8)) % 11
        if s < 10:
            cand = head + str(s)
            if bsn_ok(cand):
                return cand


def spoil(s, ok):
    """Change one digit so that the checksum fails (a look-alike)."""
    chars = list(s)
    idx = [i for i, c in enumerate(chars) if c.isdigit()]
    while True:
        i = rng.choice(idx[2:] if len(idx) > 4 else idx)
        old = chars[i]
        chars[i] = rng.choice([c for c in string.digits if c != old])
        cand = "".join(chars)
        if not ok(cand):
            return cand
        chars[i] = old


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


# ---------------------------------------------------------------------------
# secret generators (built the way the real ones are)
# ---------------------------------------------------------------------------
def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def gh_token(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF, 6)


def gh_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()) & 0xFFFFFFFF, 6) == m.group(2)


def aws_key_id():
    return "AKIA" + rand(string.ascii_uppercase + "234567", 16)


def aws_secret():
    return rand(ALNUM + "/+", 40)


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt(payload):
    head = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64u(json.dumps(payload, separators=(",", ":")).encode())
    key = bytes(rng.randrange(256) for _ in range(32))
    sig = b64u(hmac.new(key, (head + "." + body).encode(), hashlib.sha256).digest())
    return head + "." + body + "." + sig


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    try:
        h = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
        return "alg" in h
    except Exception:
        return False


def openssh_ed25519(comment):
    def sstr(b):
        return struct.pack(">I", len(b)) + b
    seed = bytes(rng.randrange(256) for _ in range(32))
    pub = bytes(rng.randrange(256) for _ in range(32))
    pubblob = sstr(b"ssh-ed25519") + sstr(pub)
    check = struct.pack(">I", rng.getrandbits(32))
    priv = check + check + sstr(b"ssh-ed25519") + sstr(pub) + sstr(seed + pub) + sstr(comment.encode())
    pad = 1
    while len(priv) % 8:
        priv += bytes([pad])
        pad += 1
    blob = (b"openssh-key-v1\0" + sstr(b"none") + sstr(b"none") + sstr(b"") +
            struct.pack(">I", 1) + sstr(pubblob) + sstr(priv))
    b = base64.b64encode(blob).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


# ---------------------------------------------------------------------------
# values used in the posts
# ---------------------------------------------------------------------------
IBAN_REFUND = nl_iban("INGB")          # corporate reply, customer's refund account
IBAN_FRANK = nl_iban("RABO")           # customer posts own IBAN
CARD_KEES = card("4")                  # monteur notes a customer's card
BSN_LEASE = bsn()                      # klantenservice quotes a BSN
BAD_IBAN = spoil(nl_iban("RABO"), iban_ok)      # look-alike in a benign training post
BAD_CARD = spoil(card("4716"), luhn_ok)         # invoice number that looks like a card
BAD_BSN = spoil(bsn(), bsn_ok)                  # work order number that looks like a BSN
PUBLIC_IBAN = PROFILE["public_identifiers"]["ibans"][0]

AWS_ID, AWS_SECRET = aws_key_id(), aws_secret()
GH_SVEN = gh_token("ghp_")
GH_CI = gh_token("ghs_")
GL_PAT = "glpat-" + rand(URLSAFE, 20)
MOLLIE = "live_" + rand(ALNUM, 30)
SLACK = "xoxb-%d-%d-%s" % (rng.randint(10 ** 10, 10 ** 11 - 1), rng.randint(10 ** 12, 10 ** 13 - 1), rand(ALNUM, 24))
OPENAI = "sk-proj-" + rand(URLSAFE, 64) + "T3BlbkFJ" + rand(URLSAFE, 64)
ANTHROPIC = "sk-ant-api03-" + rand(URLSAFE, 93) + "AA"
STRIPE = "sk_live_" + rand(ALNUM, 24)
JWT_TABLET = jwt({"sub": "tablet-0193", "role": "monteur", "hub": "UTR",
                  "iat": 1767225600 + rng.randint(0, 9000000), "exp": 1798761600})
SSH_KEY = openssh_ed25519("deploy@planning")
DB_PW = rand(ALNUM, 14) + "!" + rand(ALNUM, 3)
DB_URL = "postgres://fleet_ro:%s@db02.fleet.moerbus.internal:5432/vans" % DB_PW
WIFI_PW = "M0erbus!Van" + str(rng.randint(1000, 9999))


def zw(s, every=5):
    """Insert zero-width spaces (evasion)."""
    return "\u200b".join(s[i:i + every] for i in range(0, len(s), every))


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in s)


# ---------------------------------------------------------------------------
# case construction
# ---------------------------------------------------------------------------
CAT = {
    "secret": "leak.secret", "pii": "leak.pii", "pricing": "leak.pricing",
    "conf": "leak.confidential", "fin": "leak.financial", "sec": "leak.security",
    "crisis": "reputation.crisis", "complaint": "reputation.complaint", "abuse": "reputation.abuse",
}
CASES = []
USED_IDS = set()


def new_id(platform):
    while True:
        n = rng.randint(100000, 999999)
        i = "%s-%d" % (platform, n)
        if i not in USED_IDS:
            USED_IDS.add(i)
            return i


def rand_time():
    start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    t = start + dt.timedelta(seconds=rng.randint(0, 365 * 86400 - 1))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def C(who, cats, text, lang, kind="post", when=None, price_note=False):
    platform, handle = who.split(":", 1)
    CASES.append({
        "who": who, "platform": platform, "handle": handle, "kind": kind, "lang": lang,
        "cats": sorted(CAT[c] for c in cats), "text": text,
        "when": when or rand_time(), "price_note": price_note,
    })


# ============================ POSITIVES ====================================

# ---- reputation.complaint (single) ----------------------------------------
C("x:@bramvanleeuwen", ["complaint"],
  "3e keer dat de Moerbus-bus gewoon niet komt opdagen. Weer een dag vrij genomen voor niks. @moerbus_hulp wat is dit nou", "nl")
C("x:@hollyinhaarlem", ["complaint"],
  "Waited ALL day for @moerbus_nl to swap my tyres. Window was 8-12, tech rolled up at 17:40. And the live tracking showed him 'nearby' since lunch. Useless.", "en")
C("facebook:Marjolein Tuinstra", ["complaint"],
  "Na de kleine beurt bij Moerbus brandt ineens mijn motorlampje. Monteur belt terug met 'dat was al zo mevrouw'. Nee dus, heb een foto van vorige week waar het dashboard gewoon schoon is. Erg teleurgesteld.", "nl", kind="comment")
C("reddit:u/pothole_pete", ["complaint"],
  "Moerbus charged me a €95 'call-out fee' on top of the quoted price for a new battery. It's nowhere on the booking page, I checked twice. Has anyone actually managed to get that refunded?", "en")
C("x:@gerrit_oprit", ["complaint"],
  "Monteur van @moerbus_nl heeft olie over mijn hele oprit laten lopen 🤬 mail gestuurd met foto's, twee weken later nog steeds geen reactie", "nl")
C("instagram:@sophie.rijdt", ["complaint"],
  "leuke filmpjes allemaal maar jullie klantenservice neemt nooit op 🙃 40 min in de wacht voor een simpele vraag over m'n afspraak", "nl", kind="comment")
C("x:@tired_of_waiting_nl", ["complaint"],
  "the moerbus app cancelled my APK slot an hour before, no reason given, next free slot is in 3 weeks. my APK runs out on friday. brilliant, thanks", "en")
C("x:@ronaldkoopman_", ["complaint"],
  "Remmen piepen nu nog harder dan vóór het remmenpakket van Moerbus. €429 betaald voor dít? 🙄 #moerbus", "nl")
C("threads:@anneke.vd.velde", ["complaint"],
  "Factuur van Moerbus klopt wéér niet. Twee keer voorrijkosten gerekend voor één bezoek. Tweede keer dit jaar dat ik erachteraan moet bellen hoor", "nl")
C("mastodon:@quietbiker@fosstodon.org", ["complaint"],
  "Booked a mobile windscreen job with Moerbus. They turned up with the wrong glass. Rebooked. Wrong glass AGAIN. Third attempt is next Tuesday and I have zero faith.", "en")
C("tiktok:@xx_jaimy_xx", ["complaint"],
  "bandenwissel laten doen door moerbus en nu zijn 2 van m'n wieldoppen weg. en zij doen alsof ze van niks weten lol. top bedrijf", "nl", kind="comment")
C("forum:streepjescode", ["complaint"],
  "Moerbus airco service, my experience: one week later it's blowing warm again. Rang them, 'you'll have to book and pay for a new appointment, sir'. Warranty is apparently a dirty word over there.", "en")

# ---- reputation.crisis + complaint (first-hand safety) ----------------------
C("x:@mamavanjesse", ["crisis", "complaint"],
  "De Startbooster SB-12 die ik bij Moerbus kocht is gisteravond in mijn kofferbak in brand gevlogen. Achterbank zwartgeblakerd. Mijn zoontje zit daar normaal... Ik wil uitleg @moerbus_hulp en wel nu.", "nl")
C("facebook:Karen Doyle-Maas", ["crisis", "complaint"],
  "My husband got a proper shock off our new wallbox two days after Moerbus did the installation. The electrician we called says the earth was never connected. He's OK, just shaken, but this could have killed him. Absolutely unacceptable.", "en")
C("x:@dennisdriest", ["crisis", "complaint"],
  "Gisteren op de A27 een WIEL verloren, 3 dagen na de bandenwissel aan huis door Moerbus. Wielmoeren zaten er gewoon los op. Wonder dat er niemand gewond is. Aangifte gedaan.", "nl")
C("reddit:u/lowkey_dad_of_two", ["crisis", "complaint"],
  "After Moerbus did my brakes last week the pedal went to the floor on a roundabout. Rolled into a kerb at walking pace, nobody hurt, but my kids were in the back. Independent garage found a brake line fitting that was barely hand tight. I'm livid.", "en")

# ---- reputation.crisis (single) --------------------------------------------
C("x:@verkeersinfo_mh", ["crisis"],
  "A2 bij Vianen: bestelbus van Moerbus uitgebrand op de vluchtstrook, monteur met brandwonden naar het ziekenhuis. Rechts afgesloten.", "nl")
C("x:@greenwheels_lena", ["crisis"],
  "Moerbus is a headline sponsor of that awful anti-EV podcast. I'm done. #BoycottMoerbus — cancel your PechPas, tell your friends.", "en")
C("x:@autonieuws_nl", ["crisis"],
  "Consumentenbond stapt naar de rechter tegen Moerbus vanwege 'verborgen' voorrijkosten bij mobiele reparaties. Zaak dient in het voorjaar.", "nl")
C("facebook:MoerbusMobiel", ["crisis"],
  "⚠️ Terugroepactie: gebruik de Startbooster SB-12 uit productiebatch 2403 t/m 2409 niet meer. Bij een klein aantal exemplaren kan de accu oververhit raken. Lever hem in bij de monteur of via moerbus.nl/sb12, je krijgt het volledige bedrag terug.", "nl")
C("x:@neil_in_nijmegen", ["crisis"],
  "Just got a phishing SMS quoting my exact Moerbus booking time AND my number plate. Moerbus has leaked our data and they're keeping quiet about it. #databreach", "en")
C("forum:laadpaalfan", ["crisis"],
  "Anyone read that article? Apparently Moerbus has technicians without the proper certification hooking up charge points. If that's true it's a proper scandal.", "en")
C("bluesky:@tessa-writes.bsky.social", ["crisis"],
  "Three former Moerbus technicians told me they were instructed to skip torque checks to hit 9 jobs a day. Story drops Thursday.", "en")
C("x:@buurtapp_lisette", ["crisis"],
  "#moerbusleak: hundreds of customers say their plate, home address and appointment time are up on a public forum. Moerbus still hasn't said a word.", "en")
C("threads:@jonas.kwakman", ["crisis"],
  "Neighbour's car caught fire on their drive about an hour after a Moerbus van did an EV check on it. Fire brigade, police, the lot. Hope they're alright.", "en")
C("tiktok:@almere_updates", ["crisis"],
  "waarom heeft niemand het erover dat een moerbus-bus vorige week bij het achteruitrijden een kind heeft geraakt in almere?? 😢 kind ligt in het ziekenhuis", "nl")
C("linkedin:mr-c-vandenbroek", ["crisis"],
  "We are preparing a class action against Moerbus Mobiele Autoservice over OnderhoudPlus contracts that renewed automatically without notice. Affected? Send me a message.", "en")

# ---- reputation.abuse (single) ---------------------------------------------
C("x:@hansbrinkers61", ["abuse"],
  "Moerbus monteurs zijn allemaal halve criminelen. Stelletje zakkenvullers.", "nl")
C("x:@n0_chill_nick", ["abuse"],
  "@moerbus_hulp whoever runs your socials is a brain-dead idiot. learn to read", "en", kind="reply")
C("tiktok:@goldenboy_2009", ["abuse"],
  "@monteur_mo jij bent echt de domste monteur die ik ooit heb gezien, ga lekker terug naar je eigen land", "nl", kind="comment")
C("x:@dikkeberend", ["abuse"],
  "m03rbus = k4nk3rb3dr1jf. al jullie m0nt3urs zijn 0pl1cht3rs", "nl")
C("reddit:u/grumpy_commuter", ["abuse"],
  "The Moerbus woman on the phone was a useless cow. Hope she gets sacked.", "en", kind="comment")
C("x:@kees_sleutelt", ["abuse"],
  "Klant van vanochtend was echt een gestoorde kuttenkop. Wie gaat er nou staan schreeuwen om een ventieldopje", "nl")
C("tiktok:@monteur_mo", ["abuse"],
  "customers who park their car in a ditch and then complain we're 'late' are fucking morons, change my mind 🤡", "en")
C("instagram:@robin_ejv", ["abuse"],
  "wat een kankerfilmpje weer. jullie zijn echt de grootste sukkels van nederland @moerbus.mobiel", "nl", kind="comment")
C("x:@wheelie_angry", ["abuse"],
  fullwidth("moerbus are fucking scum") + " 🖕", "en")

# ---- complaint + abuse -----------------------------------------------------
C("x:@jessicabeek_", ["complaint", "abuse"],
  "Kutbedrijf. 4 uur gewacht en dan een smsje 'monteur helaas ziek'. Stelletje amateurs @moerbus_hulp", "nl")
C("x:@dan_h_ams", ["complaint", "abuse"],
  "@moerbus_nl your guy scratched all four of my rims and then called ME a liar. You are a bunch of fucking clowns.", "en", kind="reply")

# ---- leak.pii (+ combinations) ---------------------------------------------
C("x:@moerbus_hulp", ["pii"],
  "@gerda_wouters Sorry voor het gedoe! We hebben vandaag €89 teruggestort op %s t.n.v. G. Wouters, binnen 2 werkdagen staat het erop 💚" % group4(IBAN_REFUND),
  "nl", kind="reply")
C("facebook:MoerbusMobiel", ["pii"],
  "Hoi Marco, de monteur komt morgen tussen 8 en 10 naar Lindelaan 34 in Amersfoort. Klopt je nummer nog, 06-41827365? Dan sturen we een appje als hij onderweg is.",
  "nl", kind="comment")
C("instagram:@moerbus.mobiel", ["pii"],
  "Klant van de maand 🏆 Priya Raman (geboren 14-03-1988) uit Zwolle, al vijf jaar OnderhoudPlus en nog nooit pech gehad. Gefeliciteerd Priya!", "nl")
C("x:@kees_sleutelt", ["pii"],
  "Pinautomaat in de bus deed het weer niet dus kaartnummer van de klant maar met de hand op de werkbon gezet: %s exp 08/28 😅 hoop dat dat mag" % group4(CARD_KEES),
  "nl")
C("instagram:@daan.op.de.bus", ["pii"],
  "Zes bandenwissels vandaag 💪 laatste bij meneer Verhoef op de Kerkstraat 112 in Nieuwegein, die had koffie én appeltaart klaarstaan. Zo kan ik er nog wel 100 🙌", "nl")
C("x:@lottevdlinden", ["pii"],
  "anyone got a good tool to clean up our winter promo list? just had j.vermeulen84@ziggo.nl and p.degroot@kpnmail.nl both reply 'unsubscribe' in caps lol", "en")
C("mastodon:@ilse_dekker", ["pii"],
  "Leaseklant belt of we zijn BSN nodig hebben. Nee meneer, echt niet. Krijg ik 'm tóch: %s.%s.%s. Nu moet ik een datalekformulier invullen 🙄" % (BSN_LEASE[:4], BSN_LEASE[4:6], BSN_LEASE[6:]),
  "nl")
C("x:@frankmeijer_75", ["pii", "complaint"],
  "@moerbus_hulp ik wacht al 5 weken op mijn terugbetaling. Voor de derde keer: %s t.n.v. F. Meijer. Graag vandaag nog." % IBAN_FRANK,
  "nl", kind="reply")
C("x:@yasmin_travels", ["pii"],
  "@moerbus_hulp hi! booked a tyre swap for Saturday but need to move it, can someone call me on +31 6 2845 9031? thanks 🙏", "en", kind="reply")
C("facebook:Wim Bakker", ["pii"],
  "Mijn moeder (Truus Bakker, Hoofdstraat 9 in Ede) heeft gisteren een kleine beurt laten doen. Kan iemand van Moerbus haar even bellen over de factuur? Ze is niet zo handig met mail.", "nl", kind="comment")
C("threads:@lizzy_utrecht", ["pii"],
  "Found a wallet next to the Moerbus van at the AH in Leidsche Rijn. Driving licence inside says Jeroen Smit, born 02-11-1979. Jeroen if you see this DM me!", "en")
C("x:@anoniem_4u", ["pii", "abuse"],
  "die kale clown van moerbus op tiktok (@monteur_mo, Mo el Idrissi) woont gewoon op de Vinkenlaan 5 in Houten hoor. misschien ff langs gaan 🤡", "nl")
C("instagram:@lisa.hendriks.fit", ["pii"],
  "GEWONNEN 🎉🎉 dank jullie wel @moerbus.mobiel voor het winterpakket! Stuur maar naar Lisa Hendriks, Parkweg 21, 3731 AB De Bilt 😁", "nl", kind="comment")
C("bluesky:@joris-planning.bsky.social", ["pii"],
  "note for tomorrow's Utrecht crew: Mrs O'Neill, Van Speijkstraat 41, wants the van in the back alley. phone 030-2846137. she works nights so don't ring before 11!", "en")
C("x:@ricardo_nl", ["pii"],
  "@moerbus_hulp jullie app doet raar, bel me gwn: " + fullwidth("06-17294853") + " ✌️", "nl", kind="reply")

# ---- leak.pricing (+ complaint) ---------------------------------------------
C("x:@budgetbart", ["pricing"],
  "Eh @moerbus_nl de Grote Beurt staat op jullie site voor €34,90?? Prijsfout of mag ik gewoon boeken 😂", "nl")
C("reddit:u/dealhunter_eu", ["pricing"],
  "Moerbus has the Distributieriem Pakket listed at €74.90 right now. Pretty obviously a price error, booked two cars anyway 🤷", "en")
C("bluesky:@joris-planning.bsky.social", ["pricing"],
  "collega's: de Laadpaal Installatie staat sinds vanochtend voor €129 in de app ipv €1299 en er komen al boekingen binnen. e-commerce is gebeld", "nl")
C("instagram:@moerbus.mobiel", ["pricing"],
  "🔥 BLACK FRIDAY 🔥 Koppeling Vervangen nu voor maar €89! Alleen dit weekend, boek via de link in bio", "nl", when="2026-11-27T06:00:00Z")
C("facebook:Ingrid Schoonhoven", ["pricing"],
  "Is this real?? Winterpakket for €14.90 at Moerbus, a friend just sent me the screenshot. Surely a mistake but I'm booking it anyway", "en")
C("linkedin:moerbus-mobiele-autoservice", ["pricing"],
  "Our December newsletter is out! This month: Voorruit Vervangen for just €49, plus winter tips from our technicians.", "en")
C("x:@sammy_jdm", ["pricing"],
  "moerbus app is showing the Allseason Set 16 for €64.90 🤯 glitch or early christmas? #pricefail", "en")
C("tiktok:@koopjesqueen", ["pricing"],
  "PechPas voor €1,29 per jaar bij moerbus?! dat MOET een prijsfout zijn, snel zijn meiden 🏃‍♀️", "nl")
C("tiktok:@monteur_mo", ["pricing"],
  "boss said don't tell anyone but the Startbooster SB-12 scans at €12.90 at the hub counter this week 🤫 stock up lads", "en")
C("forum:koopjesjager77", ["pricing"],
  "Prijsfout gespot: Moerbus OnderhoudPlus voor €29,90 per jaar i.p.v. €299. Snel wezen voordat ze het zien!", "nl")
C("x:@cheapskate_chris", ["pricing"],
  "Dashcam DC-2 for €14.99 on moerbus.nl?! ordering three, they legally can't cancel right?", "en")
C("x:@lottevdlinden", ["pricing"],
  "oops. the spring mailer went out with the Kleine Beurt at €17,90 instead of €179 and we've had 600 bookings in an hour 😬 send coffee", "en")
C("x:@nina_denhaag", ["pricing", "complaint"],
  "Gisteren de Airco Service geboekt voor €11,90 (ja, prijsfout, stond zo op de site) en nu annuleren ze gewoon zonder enige uitleg. Klantonvriendelijk hoor @moerbus_hulp", "nl")

# ---- leak.confidential -----------------------------------------------------
C("x:@evertjan_mb", ["conf"],
  "Wie heeft de link naar wiki.moerbus.nl/monteurs/onboarding in de publieke Discord gezet?? Graag even weghalen 🙏", "nl")
C("linkedin:naima-bouzid-ops", ["conf"],
  "So proud of the team: the Project Krik pilot went live in Eindhoven this week — 14 vans now restock parts based on predicted demand. Can't say more yet 😉", "en")
C("tiktok:@monteur_mo", ["conf"],
  "POV: je baas laat je de nieuwe Elektra-bus testen en je mag er niks over zeggen 🤐⚡ #monteurlife", "nl")
C("instagram:@daan.op.de.bus", ["conf"],
  "Stiekem al een rondje in de Moerbus Elektra gereden vandaag. Stil man. Heel stil. 🔋", "nl", when="2027-03-10T16:42:00+01:00")
C("x:@lottevdlinden", ["conf"],
  "draft press release for Tandwiel-X finally signed off internally 🥳 launch deck going to the agency now (moerbus confidential, pls don't forward!)", "en")
C("x:@moerbus_nl", ["conf"],
  "Reminder team: nieuwe tarieven staan op https://git.moerbus.nl/ops/tarieven/-/blob/main/2027.yaml — intern - niet delen", "nl")
C("reddit:u/sparkplug_sam", ["conf"],
  "My neighbour works for Moerbus and let slip they're building an all-electric van line called Moerbus Elektra, launching next spring. Anyone heard more?", "en")
C("x:@stoepkijker", ["conf"],
  "lol the mechanic left his tablet open on my bonnet, screen said 'planning.moerbus.local — routekaart Operatie Bougie'. wonder what that is 👀", "en")
C("x:@kees_sleutelt", ["conf"],
  "Training gehad over de nieuwe diagnosetablets, er stond nog 'vertrouwelijk: directie' op de eerste slide haha. Maar echt een gamechanger dit", "nl")
C("mastodon:@ilse_dekker", ["conf"],
  "Nieuwe gespreksscripts binnen voor Tandwiel-X, met een dikke 'intern - niet delen' watermerk erover. Dus ik zeg niks. Behalve dat het vet wordt.", "nl")
C("x:@evertjan_mb", ["conf"],
  "P r o j e c t   K r i k gaat volgende maand fase 2 in. Eindelijk.", "nl")
C("x:@dutchcarnerd", ["conf"],
  "\u041c\u043e\u0435rbus \u0415l\u0435ktr\u0430 komt eraan, mijn zwager heeft de specs al gezien. 400 km bereik in een servicebus 👀", "nl")
C("linkedin:naima-bouzid-ops", ["conf"],
  "Q3 ops review done ✅ Next up: rolling out Tandwiel-X to the Rotterdam and Breda hubs in January.", "en")

# ---- leak.confidential + others ---------------------------------------------
C("x:@evertjan_mb", ["secret", "conf"],
  "Iemand een idee waarom deze read-only user geen verbinding krijgt vanaf de nieuwe server?\n%s\ntimeout na 30s" % DB_URL, "nl")
C("reddit:u/wrenchvan_sven", ["secret", "conf"],
  "git clone https://oauth2:%s@git.moerbus.nl/app/afspraak.git keeps failing with 403 since the upgrade, token has read_repository scope. Any ideas?" % GL_PAT, "en")
C("x:@evertjan_mb", ["sec", "conf"],
  "Gisteravond heeft iemand ingelogd op wiki.moerbus.nl met het account van een collega die al maanden weg is. We weten nog niet wat er bekeken is. Nog even niks tegen klanten zeggen aub.", "nl")
C("linkedin:ruben-hoekstra-moerbus", ["fin", "conf"],
  "Busy weeks closing the books. Can already say the jaarcijfers 2026 look really strong — revenue up more than 20%. Can't wait to share them on the 23rd!", "en", when="2027-02-10T19:05:00+01:00")
C("x:@lottevdlinden", ["fin", "conf"],
  "Net een mail gehad met 'vertrouwelijk: directie' in de kop. Drie vestigingen dicht en 40 monteurs eruit per 1 april. Ik ben er echt kapot van.", "nl")
C("bluesky:@joris-planning.bsky.social", ["fin", "conf"],
  "ok nu weet ik eindelijk wat Operatie Bougie is: we kopen die bandenketen in Brabant. 11 vestigingen erbij. niks zeggen he 🤫", "nl")

# ---- leak.financial ---------------------------------------------------------
C("linkedin:ruben-hoekstra-moerbus", ["fin"],
  "Q3 closed at €41.2M revenue, 18% above plan. Not public until the trading update, but I'm incredibly proud of this team.", "en")
C("bluesky:@joris-planning.bsky.social", ["fin"],
  "hoorde net in de kantine dat we volgend jaar 25% minder bussen in Limburg rijden en dat de planners in Venlo weg moeten. niemand weet het nog officieel", "nl")
C("x:@kees_sleutelt", ["fin"],
  "Baas zei vandaag dat we worden overgenomen door een Duits bedrijf. Deal wordt pas in maart bekend. Benieuwd wat dat met onze cao doet 🤔", "nl")
C("tiktok:@monteur_mo", ["fin"],
  "als jullie mij na januari niet meer zien: 60 man eruit bij de mobiele teams en ik hoor erbij 💀 #ontslagen #moerbus", "nl")
C("x:@bondhunter_eu", ["fin"],
  "Friend in Moerbus finance says they'll miss their 2026 EBITDA target by ~30% and the bank covenants are tight. Not public yet. Draw your own conclusions.", "en")
C("linkedin:naima-bouzid-ops", ["fin"],
  "Sneak peek at our 2027 plan: from 180 to 260 vans and new hubs in Ghent and Antwerp. Board signs off next week, so keep it between us for now!", "en")
C("mastodon:@ilse_dekker", ["fin"],
  "Onze afdeling wordt per 1 juni 'geoptimaliseerd' naar een callcenter in Lissabon. Officieel weet nog niemand het. Fijne vrijdag allemaal 🙃", "nl")
C("reddit:u/wrenchvan_sven", ["fin"],
  "Moerbus is in talks to buy a windscreen repair chain, due diligence starts next month. So yes, expect the app to get even more bloated.", "en", kind="comment")
C("forum:cijferfreak", ["fin"],
  "My brother-in-law works in their accounts dept: Moerbus is heading for roughly a 6 million loss this year. Won't be announced until February.", "en")

# ---- leak.security ----------------------------------------------------------
C("x:@evertjan_mb", ["sec"],
  "Our booking API still hands out any customer's address if you just increment the appointment ID. Reported it internally 3 weeks ago, ticket still open. Not my call to go public but wow.", "en")
C("mastodon:@ilse_dekker", ["sec"],
  "Klantenservice ligt plat want het CRM is sinds vannacht versleuteld door ransomware. Wij moeten tegen klanten zeggen dat het 'gepland onderhoud' is 🙈", "nl")
C("bluesky:@joris-planning.bsky.social", ["sec"],
  "track & trace van alle bussen ligt er al uit sinds 6 uur vanochtend, we plannen nu met excel en whatsapp 😵 niet doorvertellen aan klanten pls", "nl")
C("reddit:u/wrenchvan_sven", ["sec"],
  "Note to self and my team: the Android app still ships with debug logging that dumps session tokens to logcat. Fix is in review but 3.14 already went out with it.", "en")
C("x:@kees_sleutelt", ["sec"],
  "pinapparaten in alle bussen doen het niet sinds de update vannacht, we kunnen alleen tikkies sturen. kantoor wil niet dat we het tegen klanten zeggen 🤷", "nl")
C("linkedin:naima-bouzid-ops", ["sec"],
  "Long night. Someone got into one of our technicians' tablets and exported this week's routes, customer addresses included. Still working out the scope before we notify anyone.", "en")
C("instagram:@daan.op.de.bus", ["sec"],
  "Sleutel van bus 27 gejat en de laptop met alle klantgegevens lag er nog in. IT is in paniek haha 😬", "nl")
C("tiktok:@monteur_mo", ["sec"],
  "storytime: de deurcode van ons magazijn in utrecht staat al 2 jaar op 1234 en letterlijk iedereen weet het 💀", "nl")
C("x:@lottevdlinden", ["sec"],
  "heads up marketing folks: our newsletter tool got phished last week and someone sent fake 'invoices' to ~3k customers from our account. legal says no statement yet", "en")
C("x:@pentest_pieter", ["sec"],
  "Did a test for a mobile car repair firm (Moerbus) two months ago: their /beheer admin panel had no login at all. Still wide open today. Not fixed, not acknowledged.", "en")
C("x:@evertjan_mb", ["sec"],
  "afspraak-app ligt sinds vanmiddag plat, database is volgelopen en niemand kan boeken. statuspagina zegt nog steeds 'alle systemen werken' lol", "nl")
C("reddit:u/wrenchvan_sven", ["sec"],
  "Found a stored XSS in our customer portal that lets you inject script into the technician tablet view. Patch goes out Friday. Please nobody try it before then.", "en", kind="comment")

# ---- leak.secret ------------------------------------------------------------
C("x:@evertjan_mb", ["secret"],
  "kan iemand checken waarom deze key ineens AccessDenied geeft?\nAWS_ACCESS_KEY_ID=%s\nAWS_SECRET_ACCESS_KEY=%s" % (AWS_ID, AWS_SECRET), "nl")
C("reddit:u/wrenchvan_sven", ["secret"],
  "Why does GitHub reject my push? remote is https://%s@github.com/moerbus-dev/tablet-app.git and I definitely have write access" % GH_SVEN, "en")
C("x:@moerbus_nl", ["secret"],
  "mollie test %s ← werkt deze? @lottevdlinden" % MOLLIE, "nl")
C("x:@evertjan_mb", ["secret"],
  "Our new planning bot is live 🎉 if you want to run it locally: export SLACK_BOT_TOKEN=%s and npm start" % SLACK, "en")
C("x:@lottevdlinden", ["secret"],
  "caption generator script for the socials, if anyone wants it:\nopenai.api_key = \"%s\"\nworks great for the tiktok stuff" % OPENAI, "en")
C("bluesky:@joris-planning.bsky.social", ["secret"],
  "route optimizer keeps timing out, config below in case someone spots it:\nANTHROPIC_API_KEY=%s\nMAX_STOPS=12" % ANTHROPIC, "en")
C("reddit:u/wrenchvan_sven", ["secret"],
  "Tablet app gets 401 with this bearer token even though exp is in 2027?\nAuthorization: Bearer %s" % JWT_TABLET, "en")
C("forum:apk_ripper", ["secret"],
  "Decompiled the Moerbus Android app for fun. They ship a live Stripe secret key in it: %s. Somebody should tell them." % STRIPE, "en")
C("instagram:@daan.op.de.bus", ["secret"],
  "voor de nieuwe collega's 👋 wachtwoord van de wifi in de bussen: %s. Graag gedaan 😎" % WIFI_PW, "nl")
C("reddit:u/wrenchvan_sven", ["secret"],
  "ssh says 'invalid format' for our deploy key, did I paste it wrong?\n%s" % SSH_KEY, "en")
C("x:@evertjan_mb", ["secret"],
  "token voor de CI-runner, zet maar in je env: " + zw(GH_CI, 7), "nl")

# ============================ BENIGN =======================================

C("x:@early_bird_mike", [],
  "Shoutout to @moerbus_nl — battery died at 7am, van was on my driveway at 8:15. Absolute lifesavers.", "en")
C("instagram:@thuiswerkmama", [],
  "Eindelijk een APK zonder gedoe. Gewoon thuis laten doen terwijl ik in een call zat. Aanrader! #moerbus", "nl")
C("facebook:Gareth Hughes", [],
  "Had the Airco Service done in the office car park. €119 as quoted, no surprises, done in 40 minutes. Cheers Moerbus!", "en")
C("x:@mostly_harmless_ro", [],
  "me: I should really learn to change my own tyres\nalso me: *books Moerbus for the 4th time*", "en")
C("tiktok:@lindaenlotje", [],
  "mijn zoontje van 4 vroeg of de monteur in de bus woont. eerlijk gezegd denk ik het wel, ze staan hier elke week 😂", "nl", kind="comment")
C("x:@camperkoos", [],
  "@moerbus_hulp doen jullie ook APK voor een camper? en kan dat ook op een camping?", "nl", kind="reply")
C("reddit:u/benelux_driver", [],
  "Is Moerbus's PechPas worth it compared to the ANWB? Mostly wondering what the cover is like in Belgium.", "en")
C("facebook:Esther van Dam", [],
  "Hoe lang duurt zo'n distributieriem pakket ongeveer? Moet ik echt de hele dag thuis blijven of kan ik de sleutel afgeven?", "nl", kind="comment")
C("x:@polestar_paul", [],
  "Does the Moerbus EV Check work on a Polestar 2? Asking before I book", "en")
C("x:@autobranche_nieuws", [],
  "Grote leasemaatschappij schrapt 300 banen en sluit twee kantoren. Zware tijden in de autobranche.", "nl")
C("x:@mobility_margot", [],
  "Interesting: a UK mobile mechanic start-up just got acquired for £40m. Wonder who'll be first to do the same over here.", "en")
C("forum:veiligeweg", [],
  "Another mobile tyre outfit (the one with the yellow vans) had a data breach last month. Glad I went with Moerbus.", "en")
C("instagram:@moerbus.mobiel", [],
  "🍂 Herfstdeal: het Winterpakket van €149 nu voor €119 (20% korting) t/m 30 november. Boek via afspraak.moerbus.nl", "nl", when="2026-10-19T08:00:00+02:00")
C("x:@moerbus_nl", [],
  "Spring check-up season 🌷 Book a Kleine Beurt before 31 March and pay €152 instead of €179.", "en", when="2026-03-02T09:30:00+01:00")
C("facebook:MoerbusMobiel", [],
  "Accuservice vanaf €219, inclusief nieuwe accu en het afvoeren van de oude. Geen voorrijkosten binnen de ring van Utrecht.", "nl")
C("x:@gadgetgijs", [],
  "Dashcam DC-2 nu €119 bij Moerbus, was €149. Nette deal als je er nog een zoekt", "nl")
C("linkedin:ruben-hoekstra-moerbus", [],
  "Our Remmen Compleet package is €429 all-in: parts, labour and disposal. Transparent pricing is something I'm genuinely proud of.", "en")
C("tiktok:@moerbusvans", [],
  "Wisserset Premium voor €29,95 (25% korting) bij elke APK Mobiel deze maand 🌧️ #regen #moerbus", "nl", price_note=True)
C("x:@moerbus_nl", [],
  "Grote Beurt €349 en met de code HERFST nog €10 korting ook. Alleen via de app.", "nl", price_note=True)
C("x:@arjan_vriest", [],
  "SB-12 startbooster voor €109 in de uitverkoop gekocht bij Moerbus. Vanochtend bij -5 de auto van de buurvrouw gestart, werkt prima 👍", "nl")
C("x:@moerbus_hulp", [],
  "Vragen over je afspraak? Mail klantenservice@moerbus.nl of bel 030 799 4410 (ma–za 7:30–20:00).", "nl")
C("linkedin:moerbus-mobiele-autoservice", [],
  "Press enquiries: pers@moerbus.nl. Want to join our technicians on the road? werkenbij@moerbus.nl", "en")
C("facebook:MoerbusMobiel", [],
  "Liever overmaken? Dat kan naar %s t.n.v. Moerbus Mobiele Autoservice B.V., o.v.v. je factuurnummer. Vragen: facturen@moerbus.nl" % group4(PUBLIC_IBAN), "nl")
C("x:@moerbus_hulp", [],
  "Pech onderweg met je PechPas? Bel gratis 0800-0466, dag en nacht.", "nl")
C("linkedin:naima-bouzid-ops", [],
  "Tip voor het team: bij het terugbetaalformulier weigert het systeem een IBAN als %s omdat het controlegetal niet klopt. Altijd even laten nalezen door de klant!" % group4(BAD_IBAN), "nl")
C("reddit:u/numbers_guy_nl", [],
  "Moerbus invoice numbers are weirdly long, mine is %s. Thought it was a card number at first lol" % group4(BAD_CARD), "en", kind="comment")
C("forum:oplettendeoma", [],
  "Nep-sms gehad namens 'Moerbus' die om mijn BSN vroeg, ze gaven als voorbeeld zelfs 123456789 erbij. Moerbus vraagt daar nooit om, niet intrappen mensen!", "nl")
C("bluesky:@joris-planning.bsky.social", [],
  "fun fact: onze werkordernummers hebben 9 cijfers (bv. %s) en klanten denken soms dat het hun BSN is 😅" % BAD_BSN, "nl")
C("reddit:u/wrenchvan_sven", [],
  "Reminder for the juniors: never commit keys. In docs use the placeholder AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE, never the real thing.", "en", kind="comment")
C("x:@evertjan_mb", [],
  "README laat nu GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx zien in plaats van een echte. Les geleerd 😅", "nl")
C("bluesky:@devmeetup-utrecht.bsky.social", [],
  "Tonight at the meetup: a Moerbus dev on JWTs. Spoiler: eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.<payload>.<signature> is not encryption.", "en")
C("linkedin:moerbus-mobiele-autoservice", [],
  "wachtwoord: ******** — zo hoort een screenshot van je inlogscherm eruit te zien. Security awareness week bij Moerbus 🔐", "nl")
C("x:@stripe_sceptic", [],
  "Stripe keys look like sk_live_•••••••• in every screenshot I've seen from Moerbus's tech blog. Good hygiene, for once.", "en")
C("linkedin:moerbus-mobiele-autoservice", [],
  "Vandaag publiceren we onze jaarcijfers 2026: omzet +22%, 214 bussen op de weg en een klantwaardering van 8,6. Dank aan al onze monteurs!", "nl", when="2027-02-23T09:00:00+01:00")
C("x:@beursbabbel", [],
  "Moerbus FY2026 results are out — solid growth, margins up. Good for them.", "en", when="2027-02-25T12:14:00Z")
C("instagram:@moerbus.mobiel", [],
  "Hij is er! ⚡ De Moerbus Elektra: onze eerste volledig elektrische servicebus. Vanaf vandaag in Utrecht en Amersfoort.", "nl", when="2027-04-02T07:30:00+02:00")
C("tiktok:@monteur_mo", [],
  "eindelijk mag ik het zeggen: ik rijd in de Elektra-bus 🔋 zo stil dat klanten schrikken als ik aanbel", "nl", when="2027-04-03T17:20:00+02:00")
C("x:@bramvanleeuwen", [],
  "Update: Moerbus heeft het opgelost. Andere monteur kwam dezelfde middag nog en het lampje is uit. Excuses geaccepteerd 👍", "nl")
C("reddit:u/pothole_pete", [],
  "Update, fair play to @moerbus_hulp, they refunded the extra call-out fee within a day of my rant. Complaint withdrawn.", "en")
C("x:@moerbus_hulp", [],
  "@gerrit_oprit Wat vervelend, en sorry dat je zo lang niks hoorde. We hebben je een DM gestuurd om het recht te zetten.", "nl", kind="reply")
C("x:@weerman_willem", [],
  "Sterkte aan alle monteurs die vandaag in deze storm banden staan te wisselen. Respect!", "nl", when="2026-12-04T13:10:00+01:00")
C("threads:@cocoa_claire", [],
  "Respect to the Moerbus techs working in -8 this week. Brought one a hot chocolate, he looked like he needed it ☕", "en", when="2026-01-14T15:45:00+01:00")
C("x:@klusjesman_k", [],
  "Mijn krik begaf het halverwege de bandenwissel. Volgende keer gewoon Moerbus bellen denk ik.", "nl")
C("forum:sleutelaar_1982", [],
  "Bougies zelf vervangen of door Moerbus laten doen? Scheelt volgens mij weinig als je het gereedschap niet hebt.", "nl")
C("x:@lifehacks_lou", [],
  "Life hack: ask the Moerbus tech to check your tyre pressure while they're there anyway. They do it for free.", "en")
C("x:@ourstreet_utr", [],
  "The Moerbus guy absolutely fired through three tyre swaps on our street in an hour 🔥🔥", "en")
C("x:@dealerhater", [],
  "Ik boycot al jaren de dealer, sinds Moerbus hoef ik daar nooit meer heen 😎", "nl")
C("x:@monique.s", [],
  "Moerbus vond het olielek waar drie garages overheen hebben gekeken. Held van de dag.", "nl")
C("x:@powercut_pat", [],
  "Power outage on our street so the Moerbus tech couldn't run his compressor. Came back next morning, no extra charge. Class.", "en")
C("x:@zuinige_zeeuw", [],
  "APK Mobiel bij Moerbus €69. Bij de dealer was ik €45 kwijt, maar dan moet je wel zelf heen en de halve dag wachten.", "nl")
C("x:@adwatcher", [],
  "That new Moerbus ad with the singing wrench is so dumb it's genius 😂", "en")
C("linkedin:moerbus-mobiele-autoservice", [],
  "We're hiring! 20 new technicians for our Rotterdam hub. Apply via werkenbij@moerbus.nl", "en")
C("reddit:u/privacy_first_nl", [],
  "Does Moerbus keep my card details after I pay at the van? Privacy policy says no, just double checking before I book.", "en")
C("linkedin:ruben-hoekstra-moerbus", [],
  "Blij met onze gepubliceerde jaarcijfers 2025. Het volledige verslag staat op moerbus.nl/investors.", "nl", when="2026-03-05T10:00:00+01:00")
C("x:@evertjan_mb", [],
  "Proud that Moerbus passed its ISO 27001 audit this year. Thanks to everyone who sat through the phishing training 😉", "en")
C("x:@kees_sleutelt", [],
  "Weerbericht zegt sneeuw vanaf woensdag. Planning zit vol met winterbanden, dus als je nog wil: nu boeken!", "nl", when="2026-11-23T18:00:00+01:00")
C("youtube:@MoerbusTV", [],
  "Zo vervang je zelf je ruitenwissers in 2 minuten 🎥 (en lukt het niet, dan doen wij het gewoon 😉)", "nl")
C("mastodon:@ilse_dekker", [],
  "Bijna 9 jaar aan de telefoon bij Moerbus. Leukste gesprek vandaag: een meneer van 91 die z'n eerste auto uit 1958 nog precies kon beschrijven 🥲", "nl")
C("x:@carpool_caro", [],
  "Does anyone know if Moerbus does windscreen chip repairs at work car parks? Mine's got a tiny star in it", "en")
C("facebook:Tom Verkerk", [],
  "Was sceptisch over zo'n bus aan de deur maar de Grote Beurt voor €349 viel me alles mee. Monteur legde alles netjes uit.", "nl", kind="comment")

# ---------------------------------------------------------------------------
# severity (CONTRACT section 4), from the account role in the profile
# ---------------------------------------------------------------------------
LEVELS = ["none", "info", "warning", "error", "critical"]
ROLE = {}
for role in ("corporate", "employee"):
    for a in PROFILE["accounts"][role]:
        ROLE[a.lower()] = role


def role_of(platform, handle):
    return ROLE.get(("%s:%s" % (platform, handle)).lower(), "public")


ZW_RE = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")
CYR = str.maketrans("\u0410\u0412\u0415\u041a\u041c\u041d\u041e\u0420\u0421\u0422\u0425\u0430\u0435\u043e\u0440\u0441\u0443\u0445\u0456\u043a",
                     "ABEKMHOPCTXaeopcyxik")


def norm(text):
    return ZW_RE.sub("", unicodedata.normalize("NFKC", text)).translate(CYR)


IBAN_RE = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2} ?[A-Z]{4}(?: ?\d){10}(?!\d)")
CARD_RE = re.compile(r"(?<![\w-])(?:\d[ -]?){14,15}\d(?![\w-])")
BSN_RE = re.compile(r"(?<![\w.-])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\w-])")


def checked_ids(text):
    """Return (valid, invalid) lists of IBAN/card/BSN candidates in the text."""
    t = norm(text)
    good, bad = [], []
    for m in IBAN_RE.finditer(t):
        (good if iban_ok(m.group()) else bad).append(("iban", m.group()))
    for m in CARD_RE.finditer(t):
        d = re.sub(r"\D", "", m.group())
        if len(d) in (15, 16) and d[0] in "3456":
            (good if luhn_ok(d) else bad).append(("card", m.group()))
    for m in BSN_RE.finditer(t):
        (good if bsn_ok(m.group()) else bad).append(("bsn", m.group()))
    return good, bad


def severity(c):
    cats = c["cats"]
    if not cats:
        return "none"
    role = role_of(c["platform"], c["handle"])
    own = role in ("corporate", "employee")
    good, _ = checked_ids(c["text"])
    good = [g for g in good if re.sub(r"\s", "", g[1]) not in PUBLIC_IBAN_SET]
    lvl = 0
    for cat in cats:
        if cat.startswith("leak."):
            if own:
                v = 3
                if cat in ("leak.secret", "leak.pricing"):
                    v = 4
                if cat == "leak.pii" and good:
                    v = 4
            else:
                v = 2
        elif cat == "reputation.complaint":
            v = 2
        elif cat == "reputation.crisis":
            v = 3
        elif cat == "reputation.abuse":
            v = 3 if own else 2
        else:
            raise AssertionError(cat)
        lvl = max(lvl, v)
    return LEVELS[lvl]


PUBLIC_IBAN_SET = {re.sub(r"\s", "", i) for i in PROFILE["public_identifiers"]["ibans"]}

# ---------------------------------------------------------------------------
# build
# ---------------------------------------------------------------------------
order = list(range(len(CASES)))
rng.shuffle(order)
lines = []
for k in order:
    c = CASES[k]
    post = {
        "id": new_id(c["platform"]),
        "platform": c["platform"],
        "kind": c["kind"],
        "account": {"handle": c["handle"]},
        "text": c["text"],
        "lang": c["lang"],
        "created_at": c["when"],
        "brand": "moerbus",
    }
    c["id"] = post["id"]
    c["severity"] = severity(c)
    lines.append({"post": post, "expect": {"categories": c["cats"], "severity": c["severity"]}})

OUT = os.path.join(HERE, "cases.jsonl")
with open(OUT, "w", encoding="utf-8") as f:
    for obj in lines:
        f.write(json.dumps(obj, ensure_ascii=False) + "\n")

# ---------------------------------------------------------------------------
# self-checks
# ---------------------------------------------------------------------------
errors = []


def err(c, msg):
    errors.append("%s: %s :: %s" % (c.get("id"), msg, c["text"][:80].replace("\n", " ")))


PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
VALID_CATS = set(CAT.values())
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


# 1. contract section 6 shape, re-read from disk
ids = set()
with open(OUT, encoding="utf-8") as f:
    raw = f.read().splitlines()
for ln in raw:
    o = json.loads(ln)
    p, e = o["post"], o["expect"]
    assert set(o) == {"post", "expect"}, o
    assert isinstance(p["id"], str) and 1 <= len(p["id"]) <= 256 and p["id"] not in ids
    ids.add(p["id"])
    assert p["platform"] in PLATFORMS and p.get("kind", "post") in KINDS
    assert isinstance(p["account"]["handle"], str) and p["account"]["handle"]
    assert isinstance(p["text"], str) and p["text"] and len(p["text"].encode("utf-8")) <= 65536
    assert RFC3339.match(p["created_at"]), p["created_at"]
    ts(p["created_at"])
    assert e["severity"] in LEVELS
    assert e["categories"] == sorted(set(e["categories"]))
    assert all(x in VALID_CATS for x in e["categories"])
    assert (e["severity"] == "none") == (not e["categories"])

EMB = [(t, ts(e["until"])) for e in PROFILE["embargo"] for t in e["terms"]]
CODEN = [x.lower() for x in PROFILE["internal"]["codenames"]]
MARKERS = [x.lower() for x in PROFILE["internal"]["markers"]]
IDOMS = [x.lower() for x in PROFILE["internal"]["domains"]]
PUB_EMAILS = {x.lower() for x in PROFILE["public_identifiers"]["emails"]}
PUB_PHONES = {re.sub(r"\D", "", x) for x in PROFILE["public_identifiers"]["phones"]}
PRODUCTS = [(p["list_price"], [p["name"]] + p["aliases"]) for p in PROFILE["products"]]


def squash(s):
    return re.sub(r"\s+", "", s.lower())


def euro_amounts(t):
    out = []
    for m in re.finditer(r"€\s?(\d+(?:[.,]\d+)?)|(\d+(?:[.,]\d+)?)\s?(?:euro|eur)\b", t, re.I):
        s = m.group(1) or m.group(2)
        if re.fullmatch(r"\d{1,3}(\.\d{3})+", s):
            s = s.replace(".", "")
        out.append(float(s.replace(",", ".")))
    return out


def mentioned_products(t):
    tl = t.lower()
    return [lp for lp, names in PRODUCTS if any(re.search(r"(?<!\w)" + re.escape(n.lower()) + r"(?!\w)", tl) for n in names)]


SECRET_PATTERNS = [
    ("github", re.compile(r"gh[pousr]_[0-9A-Za-z]{36}")),
    ("aws", re.compile(r"AKIA[A-Z2-7]{16}")),
    ("jwt", re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]+")),
    ("pem", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
    ("dburl", re.compile(r"\w+://[^\s:/@]+:[^\s@]+@[\w.-]+")),
    ("slack", re.compile(r"xox[bpa]-\d+-\d+-[0-9A-Za-z]+")),
    ("stripe", re.compile(r"sk_live_[0-9A-Za-z]{20,}")),
    ("mollie", re.compile(r"\blive_[0-9A-Za-z]{30}\b")),
    ("openai", re.compile(r"sk-proj-[\w-]{40,}")),
    ("anthropic", re.compile(r"sk-ant-api03-[\w-]{80,}")),
    ("gitlab", re.compile(r"glpat-[\w-]{20}")),
    ("password", re.compile(r"(?:wachtwoord|password)\b[^:\n]{0,40}:\s*([^\s*•.,]\S*)", re.I)),
]


def real_secrets(t):
    found = []
    for name, rx in SECRET_PATTERNS:
        for m in rx.finditer(t):
            s = m.group()
            if name == "github" and not gh_ok(s):
                continue
            if name == "aws" and s.endswith("EXAMPLE"):
                continue
            if name == "jwt" and not jwt_ok(s):
                continue
            found.append((name, s))
    return found


counts = {}
benign = 0
for c in CASES:
    t = norm(c["text"])
    tl = t.lower()
    cats = c["cats"]
    role = role_of(c["platform"], c["handle"])
    for x in cats:
        counts[x] = counts.get(x, 0) + 1
    if not cats:
        benign += 1

    # checksummed identifiers
    good, bad = checked_ids(c["text"])
    good_priv = [g for g in good if re.sub(r"\s", "", g[1]) not in PUBLIC_IBAN_SET]
    if cats:
        if bad:
            err(c, "positive carries identifier failing its checksum %r" % bad)
        if good_priv and "leak.pii" not in cats:
            err(c, "valid identifier but no leak.pii")
    else:
        if good_priv:
            err(c, "benign carries a valid identifier %r" % good_priv)

    # secrets
    sec = real_secrets(t)
    if "leak.secret" in cats and not sec:
        err(c, "leak.secret without a recognisable secret")
    if "leak.secret" not in cats and sec:
        err(c, "unlabelled secret %r" % sec)
    for m in re.finditer(r"gh[pousr]_\w+", t):
        if "leak.secret" in cats and not gh_ok(m.group()):
            err(c, "bad github token in positive")
        if not cats and gh_ok(m.group()):
            err(c, "valid github token in benign")
    for m in SECRET_PATTERNS[1][1].finditer(t):
        if not cats and not m.group().endswith("EXAMPLE"):
            err(c, "real-looking AWS key in benign")

    # internal names and embargo
    sq = squash(t)
    conf_hit = [x for x in CODEN + MARKERS if squash(x) in sq] + [d for d in IDOMS if d in tl]
    for term, until in EMB:
        if squash(term) in sq and ts(c["when"]) < until:
            conf_hit.append(term)
    if conf_hit and "leak.confidential" not in cats:
        err(c, "confidential term %r not labelled" % conf_hit)
    if "leak.confidential" in cats and not conf_hit:
        err(c, "leak.confidential without codename/marker/host/embargo term")

    # e-mails and phones in benign posts: only the company's own
    if not cats:
        for m in re.finditer(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", t):
            if m.group().lower() not in PUB_EMAILS:
                err(c, "benign carries e-mail " + m.group())
        t_noiban = IBAN_RE.sub(" ", t)
        for m in re.finditer(r"(?<![\w+])(?<!\d[ -])(?:\+31|0031|0)[\s-]?[1-9](?:[\s-]?\d){7,8}(?!\d)", t_noiban):
            if re.sub(r"\D", "", m.group()) not in PUB_PHONES and "31" + re.sub(r"\D", "", m.group())[1:] not in PUB_PHONES:
                err(c, "benign carries phone " + m.group())

    # pricing
    prods = mentioned_products(t)
    amounts = euro_amounts(t)
    low = [a for a in amounts for lp in prods if a < PROFILE["pricing"]["alert_below_ratio"] * lp]
    if "leak.pricing" in cats:
        if not prods:
            err(c, "pricing case without a product")
        if not low and not re.search(r"prijsfout|price error|glitch|typo", tl):
            err(c, "pricing case without a low price or price-error talk")
    elif low and not c["price_note"]:
        # a low amount next to a product in a non-pricing post is only allowed
        # when it is clearly not the product's price (flagged by hand)
        err(c, "unlabelled low price %r" % low)

    # severity policy spot checks
    sev = c["severity"]
    if any(x.startswith("leak.") for x in cats) and role != "public":
        assert LEVELS.index(sev) >= 3, c
    if role == "public" and cats:
        assert LEVELS.index(sev) >= 2, c

# mix
n = len(CASES)
nl = sum(1 for c in CASES if c["lang"] == "nl")
pub_pos = sum(1 for c in CASES if c["cats"] and role_of(c["platform"], c["handle"]) == "public"
              and any(x.startswith("leak.") for x in c["cats"]))
summary = {"cases": n, "benign": benign, "positive": n - benign, "nl_share": round(nl / n, 3),
           "public_leaks": pub_pos, "per_category": dict(sorted(counts.items())),
           "severity": {lv: sum(1 for c in CASES if c["severity"] == lv) for lv in LEVELS}}
if not 170 <= n <= 180:
    errors.append("case count %d outside 170-180" % n)
if not 0.48 <= nl / n <= 0.62:
    errors.append("Dutch share %.2f off target" % (nl / n))
if len({c["text"] for c in CASES}) != n:
    errors.append("duplicate texts")
for c in CASES:
    if ts(c["when"]).year not in (2026, 2027):
        errors.append("date outside 2026/2027: " + c["when"])
    if ts(c["when"]).year == 2027 and not any(squash(t) in squash(norm(c["text"])) for t, _ in EMB):
        errors.append("2027 date without embargo context: " + c["id"])

print(json.dumps(summary, ensure_ascii=False, indent=1))
if errors:
    print("SELF-CHECK FAILED:", file=sys.stderr)
    for e in errors:
        print("  " + e, file=sys.stderr)
    sys.exit(1)
print("self-check OK: %d cases written to %s" % (n, OUT))
