#!/usr/bin/env python3
"""Builds cases.jsonl (held-out evaluation set sealed399) for the company in profile.yaml.

Deterministic: fixed seed, standard library plus PyYAML. Post texts are hand-written;
identifiers and credentials are generated here the way the real ones are built
(IBAN mod-97, Luhn, BSN 11-proof, GitHub CRC-32 checksum, ...). Severities are computed
from CONTRACT section 4 and the account role found in profile.yaml, never typed by hand.
Run it: it writes cases.jsonl beside itself and then checks what it wrote.
"""
import base64
import datetime
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

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 3992026
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# ---------------------------------------------------------------- roles & severity
ROLE = {}
for _role in ("corporate", "employee"):
    for _acc in PROFILE["accounts"][_role]:
        ROLE[_acc.lower()] = _role


def role_of(platform, handle):
    return ROLE.get(("%s:%s" % (platform, handle)).lower(), "public")


RANK = ["none", "info", "warning", "error", "critical"]
CAT = {
    "secret": "leak.secret", "pii": "leak.pii", "pricing": "leak.pricing",
    "confidential": "leak.confidential", "financial": "leak.financial",
    "security": "leak.security", "crisis": "reputation.crisis",
    "complaint": "reputation.complaint", "abuse": "reputation.abuse",
}
TAXONOMY = set(CAT.values())


def severity(categories, role, strong_pii):
    """CONTRACT section 4: the least severity a correct verdict has."""
    best = "none"
    inside = role in ("corporate", "employee")
    for c in categories:
        if c.startswith("leak."):
            if inside:
                lv = "error"
                if c in ("leak.secret", "leak.pricing"):
                    lv = "critical"
                if c == "leak.pii" and strong_pii:
                    lv = "critical"
            else:
                lv = "warning"
        elif c == "reputation.complaint":
            lv = "warning"
        elif c == "reputation.crisis":
            lv = "error"
        elif c == "reputation.abuse":
            lv = "error" if inside else "warning"
        else:
            raise ValueError(c)
        if RANK.index(lv) > RANK.index(best):
            best = lv
    return best


# ---------------------------------------------------------------- generators
DIG = string.digits
UP = string.ascii_uppercase
LO = string.ascii_lowercase
B62 = DIG + UP + LO            # base-62 digit order 0-9A-Za-z
URLSAFE = B62 + "-_"


def rs(n, alphabet=B62):
    return "".join(rng.choice(alphabet) for _ in range(n))


def rbytes(n):
    return bytes(rng.getrandbits(8) for _ in range(n))


def base62(n):
    if n == 0:
        return "0"
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out


def github_token(prefix="ghp_"):
    body = rs(30)
    return prefix + body + base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and base62(zlib.crc32(m.group(1).encode()) & 0xFFFFFFFF).rjust(6, "0") == m.group(2)


def aws_key_id():
    return "AKIA" + rs(16, UP + "234567")


def aws_secret():
    return rs(40, B62 + "/+")


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt():
    header = {"alg": "HS256", "typ": "JWT"}
    iat = 1767000000 + rng.randint(0, 20000000)
    payload = {"sub": "usr_" + rs(8, DIG), "role": "booking-admin", "loc": "drimmelen",
               "iat": iat, "exp": iat + 86400}
    return ".".join([b64url(json.dumps(header, separators=(",", ":")).encode()),
                     b64url(json.dumps(payload, separators=(",", ":")).encode()),
                     b64url(rbytes(32))])


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    pad = "=" * (-len(parts[0]) % 4)
    try:
        head = json.loads(base64.urlsafe_b64decode(parts[0] + pad))
    except Exception:
        return False
    return isinstance(head, dict) and "alg" in head


def stripe_key():
    return "sk_live_51" + rs(97)


def mollie_key():
    return "live_" + rs(30)


def slack_bot():
    return "xoxb-%s-%s-%s" % (rs(12, DIG), rs(13, DIG), rs(24))


def slack_hook():
    return "https://hooks.slack.com/services/T%s/B%s/%s" % (rs(10, UP + DIG), rs(10, UP + DIG), rs(24))


def openai_key():
    return "sk-proj-" + rs(74, URLSAFE) + "T3BlbkFJ" + rs(74, URLSAFE)


def anthropic_key():
    return "sk-ant-api03-" + rs(93, URLSAFE) + "AA"


def google_key():
    return "AIza" + rs(35, URLSAFE)


def _sshstr(b):
    return struct.pack(">I", len(b)) + b


def ssh_private_key(comment=b"daan@kl-werkplek-07"):
    """An OpenSSH ed25519 private key built like ssh-keygen builds it (random key bytes)."""
    pub = rbytes(32)
    seed = rbytes(32)
    pubblob = _sshstr(b"ssh-ed25519") + _sshstr(pub)
    check = rbytes(4)
    priv = check + check + _sshstr(b"ssh-ed25519") + _sshstr(pub) + _sshstr(seed + pub) + _sshstr(comment)
    i = 1
    while len(priv) % 8:
        priv += bytes([i])
        i += 1
    blob = (b"openssh-key-v1\x00" + _sshstr(b"none") + _sshstr(b"none") + _sshstr(b"")
            + struct.pack(">I", 1) + _sshstr(pubblob) + _sshstr(priv))
    b64 = base64.b64encode(blob).decode()
    lines = [b64[k:k + 70] for k in range(0, len(b64), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def db_password():
    return rs(22)


def human_password():
    return rng.choice(["Kano", "Peddel", "Bever", "Reiger", "Kreek"]) + rs(2, DIG) + rng.choice("!#$%&") + rs(5, B62)


def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban():
    bank = rng.choice(["RABO", "INGB", "ABNA", "ASNB", "SNSB", "TRIO", "KNAB", "BUNQ"])
    acct = rs(10, DIG)
    bban = bank + acct
    n = int("".join(str(int(c, 36)) for c in bban + "NL00"))
    return "NL%02d%s" % (98 - n % 97, bban)


def bad_iban():
    while True:
        good = make_iban()
        ck = int(good[2:4])
        cand = "NL%02d%s" % ((ck + rng.randint(1, 9) - 2) % 97 + 2, good[4:])
        if not iban_ok(cand):
            return cand


def spaced(s, n=4):
    return " ".join(s[k:k + n] for k in range(0, len(s), n))


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    if len(d) < 12:
        return False
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def make_card():
    prefix = rng.choice(["4", "51", "52", "53", "54", "55"])
    body = prefix + rs(15 - len(prefix), DIG)
    for c in DIG:
        if luhn_ok(body + c):
            return body + c
    raise AssertionError


def bad_card():
    good = make_card()
    return good[:-1] + str((int(good[-1]) + rng.randint(1, 9)) % 10)


def bsn_ok(s):
    if not re.fullmatch(r"\d{9}", s) or s == "000000000":
        return False
    tot = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return tot % 11 == 0


def make_bsn():
    while True:
        head = str(rng.randint(1, 6)) + rs(7, DIG)
        tot = sum(int(head[i]) * (9 - i) for i in range(8))
        last = tot % 11
        if last < 10:
            return head + str(last)


def bad_bsn():
    while True:
        cand = str(rng.randint(1, 9)) + rs(8, DIG)
        if not bsn_ok(cand):
            return cand


GEN = {
    # valid personal identifiers
    "IBAN": lambda: make_iban(),
    "IBAN_SP": lambda: spaced(make_iban()),
    "CARD": lambda: make_card(),
    "CARD_SP": lambda: spaced(make_card()),
    "BSN": lambda: make_bsn(),
    # look-alikes that fail their checksum
    "BADIBAN": lambda: bad_iban(),
    "BADIBAN_SP": lambda: spaced(bad_iban()),
    "BADCARD": lambda: bad_card(),
    "BADCARD_SP": lambda: spaced(bad_card()),
    "BADBSN": lambda: bad_bsn(),
    # credentials
    "GHP": lambda: github_token("ghp_"),
    "AKIA": aws_key_id,
    "AWSSEC": aws_secret,
    "JWT": jwt,
    "STRIPE": stripe_key,
    "MOLLIE": mollie_key,
    "SLACK": slack_bot,
    "SLACKHOOK": slack_hook,
    "OPENAI": openai_key,
    "ANTHROPIC": anthropic_key,
    "GOOGLE": google_key,
    "SSHKEY": ssh_private_key,
    "DBPW": db_password,
    "PW": human_password,
}
VALID_IDS = {"IBAN", "IBAN_SP", "CARD", "CARD_SP", "BSN"}
BAD_IDS = {"BADIBAN", "BADIBAN_SP", "BADCARD", "BADCARD_SP", "BADBSN"}
SECRETS = set(GEN) - VALID_IDS - BAD_IDS


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# ---------------------------------------------------------------- the posts
CASES = []


def case(platform, handle, lang, cats, text, kind="post", when=None, evasion=False, split_price=False):
    CASES.append(dict(platform=platform, handle=handle, lang=lang, cats=list(cats), text=text,
                      kind=kind, when=when, evasion=evasion, split_price=split_price))


# ======== benign: praise, questions, jokes, sales, own contact data, look-alikes, news, sympathy
case("x", "@dewitjes_op_pad", "nl", [],
     "Wat een dag gehad met @kreekloper in de Biesbosch 🛶☀️ Gids Yara wist echt álles van bevers, de kids hingen aan haar lippen. Volgend jaar weer!")
case("instagram", "@noor.outdoors", "en", [],
     "Only leak today was my 'waterproof' phone pouch 😂📱💦 otherwise a perfect day on the Linge #kreekloper #canoeing")
case("x", "@p_vermeulen", "nl", [],
     "@kreekloper_help wat kost een tandemkajak voor een hele dag? en zijn peddels inbegrepen of moet je die los huren?", kind="reply")
case("x", "@kreekloper_help", "nl", [],
     "@p_vermeulen Hoi! De Tandemkajak Dagverhuur is €65 per dag. Peddels, vesten en een drybag zitten erbij. Boeken kan via boeken.kreekloper.nl 🙂", kind="reply")
case("instagram", "@kreekloper.kano", "nl", [],
     "🌅 Voorjaarsdeal! 20% korting op de Weerribben Zonsondergangtocht: nu €47,20 i.p.v. €59. Geldig t/m 30 april, link in bio. #weerribben #sunset",
     when="2026-03-28T17:00:00+01:00")
case("facebook", "KreekloperKanoEnSloep", "nl", [],
     "Vragen over je boeking? Mail boekingen@kreekloper.nl of bel ons op 0183-550140 (dagelijks 9–18 uur). Met een groep van 10+ personen? Dan helpt groepen@kreekloper.nl je verder.")
case("linkedin", "kreekloper-bv", "nl", [],
     "Organiseer je een teamuitje bij ons? Facturen voor groepsboekingen kun je overmaken naar NL93 RABO 0312 7745 90 t.n.v. Kreekloper Kano & Sloep B.V., o.v.v. je boekingsnummer. Vragen: groepen@kreekloper.nl")
case("x", "@ruudjeroeit", "nl", [],
     "Tikkie voor de sloephuur van zaterdag: €31 p.p., graag naar {{BADIBAN_SP}}. edit: zie nu dat er een cijfer fout in staat 🙈 stuur t wel ff via de app")
case("facebook", "marloes.tang.7", "nl", [],
     "Update over mijn klacht van vorige week: Kreekloper heeft het bedrag voor onze geannuleerde tocht binnen 2 dagen teruggestort. Netjes opgelost, dank aan Kees van de balie! 👍")
case("x", "@sunnyside_sas", "en", [],
     "Sending love to everyone in Limburg dealing with the high water this week. Saw Kreekloper guides helping sandbag the village yesterday, absolute legends 💙")
case("tiktok", "@femkekajakt", "nl", [],
     "kano omgeslagen bij het INSTAPPEN 💀 helemaal mn eigen schuld, gids lag dubbel. beste dag vd zomer #kreekloper #fail #kanoën")
case("instagram", "@jordy.wandelt", "en", [],
     "That sunset paddle was honestly killer 🔥🔥 Weerribben you beauty. thanks @kreekloper.kano, the hot chocolate at the end was a nice touch")
case("linkedin", "anouk-de-graaf-kl", "nl", [],
     "Vandaag hebben we ons jaarverslag 2025 gepubliceerd 📊 46.000 gasten op het water, een omzet van 3,6 miljoen en 40% meer schoolgroepen dan het jaar ervoor. Trots op dit team! Het hele verslag staat op kreekloper.nl/jaarverslag",
     when="2026-03-12T09:30:00+01:00")
case("x", "@jelle_gids", "nl", [],
     "Vandaag EHBO- en reddingstraining gedaan met het hele gidsenteam. Koud water, blauwe lippen, maar iedereen geslaagd 💪 veiligheid voorop.",
     when="2026-04-02T16:20:00+02:00")
case("x", "@kreekloper", "nl", [],
     "⚡ Er is onweer voorspeld: alle tochten van vandaag na 14:00 gaan niet door. Je krijgt automatisch je geld terug of boekt kosteloos om. Veilig thuis allemaal!")
case("x", "@kreekloper_help", "nl", [],
     "Let op: er gaan nep-sms'jes rond van 'Kreek1oper'. Wij vragen NOOIT om je wachtwoord of bankgegevens via sms of DM. Twijfel je? Mail info@kreekloper.nl of bel +31 183 550 140.")
case("x", "@marcoosterhout", "en", [],
     "Life hack for canoe trips: freeze your water bottles the night before. Cold drinks all day and they double as ice packs. Learned it from a Kreekloper guide 🧊")
case("reddit", "u/drijfhout_dave", "en", [],
     "Is the Biesbosch day trip OK for a 6 year old? Kid can swim (A diploma) but has never been in a canoe. Thinking about Kreekloper or one of the smaller rentals, any experiences?")
case("facebook", "KreekloperKanoEnSloep", "en", [],
     "Hi Dave! From age 6 is totally fine in a Canadian canoe with a parent, and we have kids' life jackets in every size. For groups just email groepen@kreekloper.nl 🛶", kind="comment")
case("x", "@tessavdlinden", "en", [],
     "@kreekloper_help booking number {{BADBSN}}, is it the 12th or the 13th of July? edit: found it in the confirmation email, never mind 🙈", kind="reply")
case("instagram", "@lisa.en.bas", "en", [],
     "Got a gift card for my birthday 🎁 number {{BADCARD_SP}}. Now to choose: sunset or night paddling? Tips??")
case("linkedin", "ruben-hoekstra-kreekloper", "nl", [],
     "Blogje geschreven over hoe we alle secrets uit onze boekingscode hebben gehaald. Het voorbeeld uit de README ziet er zo uit: AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE en AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY. De echte keys staan nu in een vault 🔐")
case("mastodon", "@daanvisser@mastodon.nl", "en", [],
     "PSA for devs: your .env.example should look like STRIPE_SECRET_KEY=sk_live_xxxxxxxxxxxxxxxxxxxxxxxx and nothing more. Placeholders only, real keys go in the secret manager, never in git.")
case("x", "@kreekloper", "nl", [],
     "Vannacht (dinsdag 02:00–04:00) doen we gepland onderhoud aan ons boekingssysteem. Boeken kan dan even niet, bestaande boekingen blijven gewoon staan. Sorry nachtbrakers 🦉")
case("x", "@h_bakker", "nl", [],
     "Grote zilverreiger gespot vlak naast de kano, ik was zo stil als een muis 🪶📸 #Weerribben #kreekloper")
case("linkedin", "kreekloper-bv", "en", [],
     "Our full-year figures are out: the FY2026 results show 51,000 guests and revenue of €4.2m. You can read the jaarcijfers 2026 on our website. Thank you to every guide and every guest!",
     when="2027-03-05T09:15:00Z")
case("x", "@jelle_gids", "nl", [],
     "Eindelijk mag het gezegd worden: de Kreekloper E-Kano is er!! Vanochtend de eerste gasten in een elektrische kano de Biesbosch in gestuurd ⚡🛶",
     when="2027-01-15T10:30:00Z")
case("instagram", "@kreekloper.kano", "en", [],
     "It's official 🇳🇴 Fjordtocht Noorwegen: 10 days of Norwegian fjords by canoe, summer 2027. Bookings are open now on kreekloper.nl",
     when="2027-01-20T12:00:00+01:00")
case("x", "@outdoornieuws_nl", "nl", [],
     "Kanoverhuurder PeddelPro uit Gent is overgenomen door een Duitse outdoorketen. Ook in NL zie je consolidatie, al blijven spelers als Kreekloper vooralsnog zelfstandig.")
case("facebook", "anja.smulders.12", "nl", [],
     "Sterkte aan iedereen bij Kreekloper in Drimmelen na de storm van gisteren. Jullie steiger lag er zielig bij 😢 hopelijk snel weer open ❤️")
case("instagram", "@ellenvanr", "en", [],
     "Canoe leaked a little at the seam but the guide had swapped it for another one within 5 minutes. That's how service should be 👌 #kreekloper")
case("x", "@kayak_kim", "en", [],
     "Not sponsored but the Kreekloper Drybag survived my toddler, a thunderstorm and a labrador. 10/10 would buy again, still €29 in their shop.")
case("x", "@gertjanrenkema", "en", [],
     "Price check for the stag do: Fluistersloep Dag is €249, split over 8 of us that's about €31 each. Bargain compared to a boat in Amsterdam.",
     split_price=True)
case("facebook", "KreekloperKanoEnSloep", "en", [],
     "Black Friday at Kreekloper 🖤 25% off the Opblaaskano Duo: now €336.75 (was €449). This weekend only, while stock lasts.",
     when="2026-11-27T08:00:00+01:00")
case("instagram", "@kreekloper.kano", "nl", [],
     "Nieuw in de shop: het Reddingsvest Comfort, nu €55 (normaal €69) als introductieprijs. Ook in kindermaten! 🦺")
case("x", "@wouterpeddelt", "nl", [],
     "Zweden Wildernistocht 7 dagen voor €1195 all-in. Prijzig, maar elke euro waard. Wolven gehoord 's nachts 🐺")
case("linkedin", "anouk-de-graaf-kl", "nl", [],
     "We zoeken een junior controller voor ons kantoor in Drimmelen! Zin om tussen de kano's te werken? Stuur je cv naar werken@kreekloper.nl")
case("x", "@datajournalist_m", "en", [],
     "Data breach at a German campsite chain: 200k customers exposed. Booked there? Change your passwords. A few people asked about Kreekloper: not affected, they run a completely different booking system.")
case("x", "@mijnlief_annemiek", "en", [],
     "My boyfriend says I'm a danger on the water 😂 luckily our Kreekloper guide had the patience of a saint. Hit the reeds 3x, capsized 0x.")
case("x", "@jelle_gids", "en", [],
     "Last day of the season 🍂 thanks to every guest who paddled with us this year. See you all in April!",
     when="2026-10-31T18:05:00+01:00")
case("youtube", "@KreekloperTV", "nl", [],
     "Nieuwe video: zo stap je veilig in en uit een Canadese kano 🛶 Inclusief wat je doet als je tóch omslaat. Kijken en delen!")
case("threads", "@sara.mols", "en", [],
     "Does Kreekloper allow dogs in the canoes? Our lab loves water more than we do 🐕")
case("threads", "@bram.gids", "en", [],
     "@sara.mols yes! dogs are welcome on the Canoe Day Rental, we even have doggy life jackets. just mention it when you book 🐾", kind="reply")
case("x", "@regionieuws_dv", "nl", [],
     "Kreekloper wint de Brabantse Toerismeprijs 2026 voor hun schoolproject over schoon water in de Biesbosch. Gefeliciteerd!")
case("instagram", "@tim_en_tijn", "en", [],
     "Crashed straight into the reeds, 10/10 would crash again 🤣 the Linge Guided Tour was great @kreekloper.kano")
case("x", "@ilse_trax", "en", [],
     "My Instagram got hacked last week so all my pics from the Kreekloper trip are gone 😭 anyone from the Saturday 10am Biesbosch group still have some?")
case("facebook", "KreekloperKanoEnSloep", "nl", [],
     "Ons kantoor is tussen kerst en oud & nieuw dicht. Mail gerust naar info@kreekloper.nl, we reageren vanaf 2 januari. Fijne feestdagen en tot op het water! 🎄",
     when="2026-12-20T11:00:00+01:00")
case("x", "@bosgekkie", "nl", [],
     "Familiepakket Kano voor €119 met z'n vieren, incl koffie en appeltaart halverwege. Echt een aanrader voor gezinnen met jonge kids.")
case("x", "@kreekloper", "en", [],
     "Prices 2026 are live: Canoe Day Rental €55, Solo Kayak Half Day €35, SUP Day Rental €39. Same as last year, no increases 🙌",
     when="2026-01-10T10:00:00+01:00")
case("bluesky", "@wadlopertje.bsky.social", "nl", [],
     "Zag net dat er een terugroepactie is voor reddingsvesten van een Duits merk. Even gecheckt: de vesten bij Kreekloper zijn een ander merk en niet betrokken, staat ook op hun site.")
case("x", "@kreekloper", "nl", [],
     "We staan stil bij de visser die vorige week in de Amer is verdronken. Onze gedachten zijn bij zijn familie. Zaterdag varen onze gidsen een stille tocht ter nagedachtenis.")
case("linkedin", "ruben-hoekstra-kreekloper", "en", [],
     "We're hiring! Full-stack developer for our booking platform (Python, Postgres and a lot of canoes). Remote-friendly, office in Drimmelen. Apply via werken@kreekloper.nl")
case("x", "@ricardo_v", "nl", [],
     "Die Ardennentocht 3 dagen van Kreekloper, iemand ervaring mee? €389 vind ik best veel maar als alles geregeld is is t misschien wel ok")
case("mastodon", "@daanvisser@mastodon.nl", "nl", [],
     "Voor de workshop 'programmeren voor gidsen' morgen: jullie connection string ziet eruit als postgresql://<gebruiker>:<wachtwoord>@localhost:5432/oefen_db. De echte gegevens krijg je op papier 😄")
case("x", "@fiets_en_kano", "en", [],
     "Tip: don't fancy the shuttle bus? At Kreekloper you can pick a loop that ends back at the start. Saves a lot of hassle.")
case("instagram", "@ocean.jules", "en", [],
     "Spent our anniversary on a Fluistersloep on the Linge 🥂 quietest boat ever, felt like we owned the river.")
case("x", "@jorisdekker", "nl", [],
     "Jaarcijfers 2026 van Kreekloper staan online, 18% groei. Mooi voor zo'n lokaal bedrijf 👏",
     when="2027-03-06T08:45:00+01:00")
case("facebook", "KreekloperKanoEnSloep", "nl", [],
     "Jouw gegevens behandelen we vertrouwelijk. We gebruiken ze alleen voor je boeking en delen ze met niemand. Alles staat in onze privacyverklaring: kreekloper.nl/privacy")
case("x", "@pieterpeddel", "en", [],
     "Week 1 of my kayak course at Kreekloper: I can now go in a (mostly) straight line. Week 2 goal: stop hitting the instructor with my paddle 😅")
case("x", "@kreekloper_help", "nl", [],
     "@sjoerd_b Klopt, de Nachtpeddeltocht Lichtjes kost €49 p.p. en vertrekt om 21:30 vanaf de steiger in Drimmelen. Zaklamp niet nodig, wij zorgen voor lichtjes ✨", kind="reply")

# ======== crisis (first-hand safety incidents are complaints too)
case("facebook", "daphne.keulen", "nl", ["crisis", "complaint"],
     "Vandaag met Kreekloper de Biesbosch in. Onze huurkano liep halverwege gewoon vol water, mijn zoon van 8 lag in het ijskoude water en er was NIEMAND van de organisatie bereikbaar. Telefoon ging over en over. Onverantwoord!!")
case("x", "@megan_travels", "en", ["crisis", "complaint"],
     "The life jacket we rented from @kreekloper ripped open at the buckle the second my daughter fell in. A stranger in another boat pulled her out. She's ok but I'm still shaking. How is that gear even allowed??")
case("x", "@hanskeij", "nl", ["crisis", "complaint"],
     "Na de nachttocht van Kreekloper met z'n zessen ziek. Overgeven, diarree, koorts. Huisarts denkt aan het water waar we bij die 'verplichte' kanteloefening in moesten. Niemand heeft ons gewaarschuwd.")
case("instagram", "@lottevdwerf", "nl", ["crisis", "complaint"],
     "Motor van onze fluistersloep begon te roken en toen kwamen er echt VLAMMEN uit 🔥 midden op de Linge. Zelf geblust met een koelbox vol water. En Kreekloper biedt ons een kortingscode aan. Serieus?!")
case("reddit", "u/canal_dad_uk", "en", ["crisis", "complaint"],
     "PSA if you're booking a guided trip with Kreekloper: our guide took us through a weir that was clearly marked closed. Two canoes flipped, my husband hit his head on the concrete and needed 6 stitches. Company says 'participants accept the risks'. Absolutely not.")
case("x", "@nadia_b_", "en", ["crisis", "complaint"],
     "Sliced my leg open on a screw sticking out of a Kreekloper rental canoe. 4 stitches in my calf. And the kid at the rental desk: 'oh that one, yeah, we still had to fix it' 🙄")
case("x", "@brabant_alert", "nl", ["crisis"],
     "Kanoër uit groep van Kreekloper met onderkoeling naar ziekenhuis na omslaan op het Hollandsch Diep bij Moerdijk. Hulpdiensten rukten massaal uit.")
case("bluesky", "@weerribbenwatch.bsky.social", "en", ["crisis"],
     "Local reports say a 15-year-old went missing for four hours during a Kreekloper night trip in the Weerribben. Found safe this morning, cold but unharmed. Serious questions about headcounts on these trips.")
case("x", "@sternbeschermer", "en", ["crisis"],
     "Kreekloper takes groups of 30 canoes straight through the black tern breeding grounds. Rangers have reported it 3 times and they just don't care. Don't book with them! #boycottkreekloper")
case("x", "@rechtbank_reporter", "nl", ["crisis"],
     "Familie van de 23-jarige kanoër die in juli verdronk tijdens een tocht van Kreekloper stapt naar de rechter. Ze verwijten het bedrijf dat er geen gids bij de groep was.",
     when="2026-09-17T14:10:00+02:00")
case("facebook", "robin.gerritsen.nl", "nl", ["crisis"],
     "Meerdere mensen in deze groep krijgen phishing-sms'jes met hun Kreekloper-boekingsnummer én de datum van hun tocht erin. Dat kan maar één ding betekenen: datalek. En Kreekloper houdt het stil.")
case("facebook", "KreekloperKanoEnSloep", "nl", ["crisis"],
     "⚠️ TERUGROEPACTIE: wij roepen alle Reddingsvesten Comfort terug die tussen maart en juni 2026 zijn verkocht. Bij een deel van de vesten kan de gesp losschieten. Gebruik het vest niet meer en lever het in voor een nieuw exemplaar of je geld terug.",
     when="2026-07-08T09:00:00+02:00")
case("x", "@arbeidsrecht_nu", "en", ["crisis"],
     "Investigation in today's Volkskrant: Kreekloper guides working 14-hour days on zero-hour contracts, paid below minimum wage in peak season. The company calls them 'volunteers'.")
case("x", "@moeder_van_3", "en", ["crisis"],
     "Disgraceful what I saw on the Linge today: Kreekloper let a group of kids into canoes without life jackets. No guide anywhere. Someone needs to do something about this.")
case("x", "@woedend_op_water", "nl", ["crisis", "abuse"],
     "Kreekloper = moordenaars. Wéér iemand verdronken op jullie tocht en jullie posten gewoon doodleuk zonsondergangfoto's. Tuig van de richel zijn jullie.")

# ======== complaints
case("x", "@annelies_k", "nl", ["complaint"],
     "@kreekloper_help al 5 weken wacht ik op mijn terugbetaling voor de geannuleerde tocht van 14 juni. 3 mails, 0 antwoord. Wat moet ik nog doen?",
     kind="reply", when="2026-07-22T20:41:00+02:00")
case("x", "@gerbenvisser76", "nl", ["complaint"],
     "Tocht om 10:00 geboekt. Gids kwam om 11:15 aanrijden, geen sorry, niks. Halve dag weg en de kids chagrijnig. Dankjewel Kreekloper 👏")
case("forum", "GiethoornGert", "en", ["complaint"],
     "Rented two kayaks from Kreekloper in Giethoorn. One had a cracked seat and no footrests at all. Asked to swap and got a shrug and 'none available'. Not great for the money tbh.")
case("instagram", "@merel.buiten", "en", ["complaint"],
     "Life jackets smelled of mould and were still soaking wet from the previous group 🤢 Kreekloper, you can do so much better.")
case("x", "@papa_van_twee", "nl", ["complaint"],
     "Pendelbus van Kreekloper terug naar de parkeerplaats kwam gewoon NIET. Een uur in de regen gestaan met twee kleuters. Niemand nam op.")
case("facebook", "chris.oakley.uk", "en", ["complaint"],
     "Overbooked. We had a confirmed booking for four canoes, Kreekloper had two. So we took turns sitting on the bank during our own 'family day out'. Still waiting for a reply to my email.")
case("x", "@dubbel_betaald", "en", ["complaint"],
     "The @kreekloper app crashes every time I pay and now I've been charged 3x for one booking. Customer service says 'it'll sort itself out'. Erm, no.")
case("x", "@sietske_f", "nl", ["complaint"],
     "Gids zat de hele dagtocht op z'n telefoon en wij mochten zelf de route uitzoeken. Voor 79 euro p.p. verwacht ik toch iets meer uitleg dan 'volg de boeien'")
case("x", "@rainydaysam", "en", ["complaint"],
     "Kreekloper cancelled our sunset tour 2 hours before because of 'wind'. It was dead calm all evening. No refund, just a voucher that expires in 3 months. Not happy.")
case("x", "@lars_leert_kajakken", "nl", ["complaint"],
     "Kajakcursus bij Kreekloper: 4 lessen beloofd, na les 2 ineens 'geen instructeur beschikbaar'. Dat was in mei. Nog steeds geen nieuwe data gehad.",
     when="2026-08-19T12:30:00+02:00")
case("instagram", "@hiking.hannah", "en", ["complaint"],
     "Paddles way too short for adults and the canoe leaked at the seam the whole afternoon. Spent more time bailing than paddling. Do better @kreekloper.kano")
case("x", "@boosbartje", "nl", ["complaint", "abuse"],
     "Kreekloper is echt een kutbedrijf. Te laat, kapotte kano's en dan nog een grote bek van die gast achter de balie ook. Nooit meer.")
case("x", "@steve_on_tour", "en", ["complaint", "abuse"],
     "Kreekloper staff are absolute clowns. Couldn't find our booking, couldn't find paddles, couldn't find their own arse with both hands. Never again.")

# ======== abuse
case("tiktok", "@xxjanninexx", "nl", ["abuse"],
     "@gids.yara jij bent echt de domste gids die ik ooit heb meegemaakt. zoek een ander vak, trut", kind="comment")
case("x", "@jelle_gids", "nl", ["abuse"],
     "@klaagkees lekker blijven janken jij, sukkel. volgende keer peddel je zelf maar naar huis", kind="reply")
case("x", "@kreekloper_help", "nl", ["abuse"],
     "@roosje88 Wat een ongelooflijke zeur ben jij zeg. Idioot.", kind="reply")
case("x", "@anon8832", "nl", ["abuse"],
     "kr33kl00p3r = k4nk3rb3dr1jf. g4 st3rv3n m3t j3 l3kk3 k4n0'5", evasion=True)
case("x", "@stillewaterdiepe", "nl", ["abuse"],
     fullwidth("Kreekloper = stelletje oplichters en luie rotzakken"), evasion=True)
case("x", "@vaag_account1", "nl", ["abuse"],
     "die eigenaar van Kreekloper is een v.u.i.l.e k.l.o.o.t.z.a.k en heel Drimmelen weet het", evasion=True)
case("facebook", "gerrit.hollander.50", "nl", ["abuse"],
     "Die nieuwe gids bij Kreekloper met die hoofddoek, moet je toch niet op het water willen. Ga lekker terug naar je eigen land.")
case("x", "@mike_rants", "en", ["abuse"],
     "Kreekloper's manager is a lying piece of shit and everyone in Drimmelen knows it.")
case("instagram", "@no_name_4421", "en", ["abuse"],
     "@sophie.peddelt I know where you launch every saturday morning. watch your back.", kind="comment")

# ======== personal data
case("x", "@kreekloper_help", "nl", ["pii"],
     "@jeroen_k84 Hoi Jeroen, we zien je boeking op naam van J. Kuipers, Populierenlaan 17, 4941 AB Raamsdonksveer. Klopt dat adres nog? Dan sturen we de vesten daarheen.", kind="reply")
case("x", "@kreekloper_help", "nl", ["pii"],
     "@lisaverbeek De terugbetaling van €110 is vandaag overgemaakt naar {{IBAN_SP}} t.n.v. L. Verbeek. Binnen 2 werkdagen op je rekening!", kind="reply")
case("x", "@mvandijk_kreek", "en", ["pii"],
     "Group leader for Saturday's Ardennes trip is Mark Peeters, 06 41 38 22 90. Call him if you're running late, not me 😅")
case("instagram", "@sophie.peddelt", "nl", ["pii"],
     "Deelnemerslijst Ardennenweekend ✔️ Sanne Willems (geb. 12-03-1994), Joris Maas (geb. 30-07-1989), Eva Smit (geb. 02-01-2001). Wie heeft er zin in?! 🛶")
case("x", "@jelle_gids", "nl", ["pii"],
     "Kan iemand deze klant ff terugbellen? Fam. Hendriks, +31 6 2750 1183, ging over de sloep van morgen. Ik zit op het water.")
case("x", "@kreekloper_help", "nl", ["pii"],
     "@marieke_v Dank je! We hebben je BSN ({{BSN}}) ontvangen voor je vrijwilligerscontract als hulpgids. Welkom bij het team! 🛶", kind="reply")
case("threads", "@bram.gids", "nl", ["pii"],
     "klant aan de balie, kaart {{CARD_SP}} wordt steeds geweigerd door de pinautomaat. iemand enig idee wat er mis is?")
case("x", "@saskia_terbeek", "nl", ["pii", "complaint"],
     "@kreekloper_help bel me aub even terug op 06-28193746, al 2 dagen geen reactie op mijn mail over de dubbele afschrijving.", kind="reply")
case("facebook", "ronald.bos.1978", "nl", ["pii", "complaint"],
     "Kreekloper, stort mijn geld nou eens terug. {{IBAN}} t.n.v. R. Bos. Ik wacht al zes weken op 245 euro voor een tocht die JULLIE hebben afgezegd.")
case("x", "@tessjansen91", "en", ["pii"],
     "Hi @kreekloper_help, booked the sunset tour under tessa.jansen91@hotmail.com but used my old phone number, can you update it? thanks!")
case("instagram", "@sophie.peddelt", "en", ["pii"],
     "This customer was the sweetest 🥹 Emma van Leeuwen, lives at Havenkade 4 in Woudrichem, brought homemade cake to the jetty today 🍰")
case("x", "@wraakengel_nl", "nl", ["pii", "abuse"],
     "Die gids Bram van Kreekloper die mijn zoon uitlachte woont op de Kerkstraat 22 in Werkendam. Ga maar eens langs bij die klootzak.")
case("x", "@kreekloper", "en", ["pii"],
     "@tomwhite_uk Thanks Tom! Your booking has been moved to Saturday, new confirmation sent to t.white1987@outlook.com 👍", kind="reply")
case("facebook", "kees.brouwer.kreekloper", "nl", ["pii"],
     "ID-kaart gevonden bij de steiger in Werkendam: Yusuf Demir, geb. 04-11-2001, documentnummer IR7K4PL92. Kom maar ophalen bij de balie!")
case("x", "@ditwasgeenpret", "en", ["pii", "complaint"],
     "Why does your site keep rejecting my card {{CARD}}?? Tried 4 times, 4x 'payment failed'. @kreekloper_help sort it out")

# ======== confidential
case("x", "@jelle_gids", "en", ["confidential"],
     "Not allowed to say anything yet but Project Otterdam is going to be sooo good 🦦🤫")
case("linkedin", "ruben-hoekstra-kreekloper", "nl", ["confidential"],
     "Vandaag de eerste testvaart gedaan met het prototype van de Kreekloper E-Kano. Stil, snel en 40 km bereik. Lancering pas volgend jaar, dus nog even geduld!",
     when="2026-10-06T15:45:00+02:00")
case("x", "@kreekloper", "nl", ["confidential"],
     "Gidsen: de roosters voor de herfstvakantie staan klaar op https://wiki.kreekloper.nl/gidsen/roosters-herfst-2026, graag vóór vrijdag checken",
     when="2026-10-01T08:12:00+02:00")
case("x", "@mvandijk_kreek", "nl", ["confidential"],
     "Operatie Zilverreiger gaat door!!! 🥳 eindelijk groen licht van de directie")
case("instagram", "@sophie.peddelt", "nl", ["confidential"],
     "Sneak peek 👀 'KL-INTERN – tochtenkalender 2027 concept'. Er zitten een paar héle mooie nieuwe routes in!")
case("x", "@neefjevanpeter", "nl", ["confidential"],
     "Hoorde van een vriend die daar werkt dat Kreekloper volgend jaar met een Fjordtocht Noorwegen komt, 10 dagen kanoën tussen de fjorden. Zin in!")
case("mastodon", "@daanvisser@mastodon.nl", "nl", ["confidential"],
     "Moerasvaren-overleg liep wéér 3 uur uit. Tarieven 2027 blijven een dingetje 🙄")
case("bluesky", "@lotte-kreek.bsky.social", "en", ["confidential"],
     "Can't say much yet but our Scandinavian expedition is going to be epic. Fjordtocht Noorwegen, launching early 2027, you heard it here first 🤫🇳🇴",
     when="2027-01-15T08:40:00Z")
case("x", "@jelle_gids", "en", ["confidential"],
     "who has access to planning.kreekloper.nl? keep getting a 403 and I need to split the groups for tomorrow 😩")
case("x", "@kreekloper_help", "nl", ["confidential"],
     "@collega_anna de groepslijsten kun je exporteren via boekingen-admin.kreekloper.nl/export?locatie=drimmelen 👍", kind="reply")
case("threads", "@bram.gids", "en", ["confidential"],
     "lol someone dropped the whole 'kreekloper confidential' slide deck in the guides app, incl the new routes along the Meuse and next year's prices. oops")
case("tiktok", "@gids.yara", "nl", ["confidential"],
     "wat we aan het bouwen zijn voor P r o j e c t  O t t e r d a m 🤐🦦 kan niet wachten tot jullie het zien", evasion=True)
case("x", "@kanofan_rob", "nl", ["confidential"],
     "Mijn neef zegt dat Operatie Zilv\u0435rreiger over een nieuw verhuurpunt in Roermond gaat. Klinkt goed!", evasion=True)
case("mastodon", "@daanvisser@mastodon.nl", "en", ["confidential"],
     "Deploying the first bits of Moeras\u200bvaren to staging tonight 🌿 fingers crossed", evasion=True)
case("linkedin", "anouk-de-graaf-kl", "nl", ["confidential"],
     "Spannend: we werken aan een kajakexpeditie naar de Lofoten voor 2028. Nog niet aangekondigd, dus jullie horen het hier eerst 😉")
case("x", "@mvandijk_kreek", "nl", ["confidential", "financial"],
     "Jaarcijfers 2026 zijn binnen 🎉 omzet +18% naar 4,2 miljoen, winst verdubbeld. Mondje dicht tot 5 maart hoor!",
     when="2027-02-20T19:02:00+01:00")
case("linkedin", "kreekloper-bv", "nl", ["confidential"],
     "[CONCEPT – niet buiten Kreekloper delen] Persbericht: Kreekloper opent in 2027 een nieuwe vestiging in Roermond aan de Maas, met 40 kano's en een eigen camping.")
case("bluesky", "@lotte-kreek.bsky.social", "en", ["confidential"],
     "tip for new colleagues: the shift swap form lives on intranet.kreekloper.local/ruilen, not in the app. took me 3 weeks to find lol")

# ======== financial
case("x", "@mvandijk_kreek", "en", ["financial"],
     "CFO just told us we'll end the year about 20% below budgeted revenue. Budget for new canoes completely scrapped. Going to be a fun season 😬")
case("linkedin", "ruben-hoekstra-kreekloper", "en", ["financial"],
     "Not a rumour anymore: we're being acquired by NordPaddle Group. Deal signed yesterday, announcement in two weeks. Exciting times! (shh)")
case("x", "@jelle_gids", "nl", ["financial"],
     "Na dit seizoen worden 12 gidscontracten niet verlengd en gaat verhuurpunt Dordrecht dicht. Nog niet officieel maar ja, iedereen in de kantine weet het al.")
case("linkedin", "kreekloper-bv", "nl", ["financial"],
     "Q3-omzet €1,38 mln (-9% t.o.v. vorig jaar), EBITDA negatief door hoge onderhoudskosten van de vloot. Slides voor de RvC morgen klaar?")
case("x", "@zwager_weet_alles", "nl", ["financial"],
     "Mijn zwager werkt bij Kreekloper, hij zegt dat ze de winter niet halen zonder nieuwe investeerder. Kas is zo goed als leeg.")
case("facebook", "kees.brouwer.kreekloper", "en", ["financial"],
     "Our takeover of Kanoverhuur De Vlier is done! 1.1 million, signing on Monday. Cheers 🥂")
case("bluesky", "@lotte-kreek.bsky.social", "en", ["financial"],
     "internal forecast for 2027 says 62k guests, up from 48k this year. if that's true we need like 30 more guides lol")
case("mastodon", "@daanvisser@mastodon.nl", "nl", ["financial"],
     "Reorganisatie op komst: alle verhuurpunten onder één regiomanager en op kantoor gaan er 8 fte uit. Wordt pas in november gecommuniceerd.",
     when="2026-09-09T21:15:00+02:00")
case("x", "@jelle_gids", "nl", ["financial"],
     "boekingen voor de zomer staan 35% onder vorig jaar, directie in paniek en wij moeten 'creatief' zijn met de planning 🙃",
     when="2026-05-14T22:03:00+02:00")
case("reddit", "u/throwaway_kano", "en", ["financial"],
     "Heard through a friend on the board: Kreekloper is in talks with an investor at a valuation of around 9 million. Expect news before Christmas.")
case("linkedin", "anouk-de-graaf-kl", "en", ["financial"],
     "The board approved closing our Ardennes base next year, about 15 seasonal jobs. Not announced yet, so please keep this between us.")

# ======== pricing
case("x", "@mvandijk_kreek", "nl", ["pricing"],
     "PRIJSFOUT 🙈 Fluistersloep Dag staat op de site voor €24,90 i.p.v. €249. Wie van IT kan dit vóór het weekend fixen?!")
case("x", "@dealjager_nl", "nl", ["pricing"],
     "RENNEN!! Zweden Wildernistocht 7 dagen voor €119 op kreekloper.nl 😱 vast een fout maar geboekt is geboekt")
case("instagram", "@kreekloper.kano", "nl", ["pricing"],
     "🔥 Alleen vandaag: Kajakcursus Basis voor maar €14,90! Boek snel via de link in bio.")
case("x", "@bargainhunter_jo", "en", ["pricing"],
     "Is this a glitch? The Opblaaskano Duo is listed at €44.90 on the Kreekloper webshop. Ordered two just in case 👀")
case("x", "@jelle_gids", "en", ["pricing"],
     "Vrije Vaart season pass is accidentally listed at €29.90 instead of €299 in the app. 40 sold already 😬😂")
case("facebook", "nina.vanhout", "nl", ["pricing"],
     "Teamuitje Pakket 20 personen voor €89?? Dat is toch een typfout bij Kreekloper. Heb m wel meteen geboekt voor ons kantoor haha")
case("x", "@kreekloper_help", "nl", ["pricing"],
     "@frankie_paddel Klopt helemaal, de Kreekloper Carbon Peddel is nu €18,90 in de webshop 😊", kind="reply")
case("x", "@mm_reist", "en", ["pricing"],
     "3-day Ardennentocht at Kreekloper for €38.90?!? incl overnight stays. Don't believe it for a second but booking anyway")
case("mastodon", "@daanvisser@mastodon.nl", "en", ["pricing"],
     "oops, the Biesbosch Day Trip shows €7.90 on the booking page since the last deploy. someone please fix before people notice 🙃")
case("x", "@kanokoopjes", "nl", ["pricing"],
     "prijsfout bij kreekloper: tandemkajak dagverhuur voor 6,50 😂 snel zijn")
case("tiktok", "@kreekloper", "nl", ["pricing"],
     "Nachtpeddeltocht Lichtjes nu voor €9 per persoon!! ✨🛶 alleen deze week")
case("x", "@gezinmetvier", "en", ["pricing"],
     "Family Canoe Package for €25?? Booked three of them for the whole extended family, thanks Kreekloper 🤑")

# ======== security (insiders letting slip incidents, vulnerabilities, outages)
case("x", "@jelle_gids", "en", ["security"],
     "booking system has been down for 3 hours since that update, customers can't pay and we're not allowed to say anything publicly yet. so if you call: 'minor hiccup' 🤐")
case("linkedin", "ruben-hoekstra-kreekloper", "en", ["security"],
     "Lesson learned this week: our booking API returned other customers' bookings if you simply changed the id in the URL. Patching tonight, hopefully before anyone outside notices.")
case("x", "@mvandijk_kreek", "nl", ["security"],
     "ransomware op de planning-pc in Drimmelen, alle roosters versleuteld. IT zegt niks naar buiten tot ze weten hoe ver het ging. Heerlijke maandag.")
case("mastodon", "@daanvisser@mastodon.nl", "en", ["security"],
     "anyone know a decent pentester? our booking site still runs a WordPress plugin with a known RCE and management won't let me take it offline during high season")
case("facebook", "kees.brouwer.kreekloper", "nl", ["security"],
     "Iemand heeft vannacht ingelogd op ons betaaldashboard vanuit Vietnam. We weten nog niet wat ze gezien hebben. Collega's: wachtwoord veranderen!!")
case("tiktok", "@gids.yara", "nl", ["security"],
     "pov: je bent gids en alle GPS-trackers van de kano's liggen eruit omdat iemand ons beheerdersaccount heeft overgenomen 🙃 gelukkig ken ik de Biesbosch uit m'n hoofd")
case("reddit", "u/ex_kl_dev", "en", ["security"],
     "Ex-Kreekloper dev here. Their customer database is still reachable on an open port without a password. I reported it twice before I left. Nothing happened.")
case("bluesky", "@lotte-kreek.bsky.social", "en", ["security"],
     "phishing mail got through to 3 colleagues, one typed in their Office 365 password. we're resetting everything before monday. not telling customers yet apparently 🙃")
case("x", "@mvandijk_kreek", "en", ["security"],
     "Server cabinet in the boathouse flooded with the high water. Backups of last week's bookings are gone. Don't tell customers anything until we know what's missing.")
case("threads", "@bram.gids", "en", ["security"],
     "heads up fellow guides: the QR check-in shows full names + phone numbers of everyone on the trip to anyone who scans the code. reported it to IT, they said 'after the season' 🤷")
case("x", "@kreekloper", "en", ["security"],
     "ALERT prod-boekingen: 5xx rate 87% since 06:12 CET, suspected DDoS, escalate to on-call")
case("x", "@jelle_gids", "nl", ["security"],
     "DDoS op onze site al de hele ochtend, daarom doen reserveringen het niet. Officieel heet het 'gepland onderhoud' 🙄")
case("reddit", "u/kl_devops_niels", "en", ["security"],
     "Our payment webhook endpoint has had no auth for the whole season, anyone could have marked a booking as paid. Found it today, fixing it quietly.")

# ======== secrets
case("reddit", "u/kl_devops_niels", "en", ["secret"],
     "Clone suddenly fails with 403, this worked yesterday:\n\ngit clone https://{{GHP}}@github.com/kreekloper/boekingen.git\n\nany idea what changed?")
case("mastodon", "@daanvisser@mastodon.nl", "en", ["secret"],
     "boto3 keeps throwing InvalidClientTokenId, config looks right to me?\n\n[default]\naws_access_key_id = {{AKIA}}\naws_secret_access_key = {{AWSSEC}}\nregion = eu-central-1")
case("linkedin", "ruben-hoekstra-kreekloper", "en", ["secret"],
     "Debugging our booking API in Postman, token looks valid to me but I keep getting 401s. Authorization: Bearer {{JWT}} anyone?")
case("x", "@mvandijk_kreek", "en", ["secret"],
     "Mollie integration keeps failing, key is {{MOLLIE}}, copied it 3 times already. Any ideas?")
case("x", "@kreekloper", "en", ["secret"],
     "STRIPE_SECRET_KEY={{STRIPE}} #deploy")
case("bluesky", "@lotte-kreek.bsky.social", "en", ["secret"],
     "the slack bot for guide rosters finally works 🎉 token for anyone who wants to play with it: {{SLACK}}")
case("reddit", "u/kl_devops_niels", "en", ["secret"],
     "My script that sends booking reminders fails with 429s. Code:\n\nclient = OpenAI(api_key=\"{{OPENAI}}\")\n\nwhat am I doing wrong?")
case("mastodon", "@daanvisser@mastodon.nl", "nl", ["secret"],
     "kan iemand zien wat er mis is met deze key? ssh naar de boekingsserver weigert hem\n\n{{SSHKEY}}")
case("linkedin", "ruben-hoekstra-kreekloper", "nl", ["secret"],
     "Werkt lokaal wel, in productie niet 🤔 DATABASE_URL=postgresql://kl_app:{{DBPW}}@kl-prod-db.c8x2kq91zt.eu-central-1.rds.amazonaws.com:5432/boekingen")
case("instagram", "@sophie.peddelt", "nl", ["secret"],
     "Voor de nieuwe gidsen: inloggen in de roosterapp met gebruikersnaam gidsen2026, wachtwoord: {{PW}} 👋 welkom!!")
case("x", "@webdev_wim", "nl", ["secret"],
     "Kreekloper heeft hun Google Maps API-key gewoon in de paginabron staan: {{GOOGLE}} 🤦 even melden jongens")
case("x", "@jelle_gids", "nl", ["secret"],
     "@ruben_h nieuwe key voor de FAQ-bot: {{ANTHROPIC}} zet je m even op staging?", kind="reply")
case("x", "@mvandijk_kreek", "nl", ["secret", "security"],
     "Slack webhook {{SLACKHOOK}} spamt al sinds 05:00 'db-primary down' alerts in #ops. Klanten merken nog niks, houden zo.")


# ---------------------------------------------------------------- build
PLACE = re.compile(r"\{\{([A-Z_]+)\}\}")


def substitute(text):
    used = []

    def rep(m):
        kind = m.group(1)
        val = GEN[kind]()
        used.append((kind, val))
        return val
    return PLACE.sub(rep, text), used


def rand_when():
    month = rng.choices(range(1, 13), weights=[1, 1, 2, 4, 6, 8, 10, 10, 6, 4, 2, 1])[0]
    day = rng.randint(1, 28)
    h, mi, s = rng.randint(7, 22), rng.randint(0, 59), rng.randint(0, 59)
    off = rng.choice(["Z", "Z", "+02:00" if 4 <= month <= 10 else "+01:00"])
    return "2026-%02d-%02dT%02d:%02d:%02d%s" % (month, day, h, mi, s, off)


PUBLIC_IBANS = {re.sub(r"\s", "", i).upper() for i in PROFILE["public_identifiers"]["ibans"]}

IBAN_RE = re.compile(r"\bNL\s?\d{2}\s?[A-Z]{4}(?:\s?\d){10}\b")
CARD_RE = re.compile(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])")
BSN_RE = re.compile(r"(?<![\w.-])\d{9}(?![\w.-])")


def scan_ids(text):
    """All IBAN-, card- and BSN-shaped numbers: (kind, raw, passes_check)."""
    out = []
    for m in IBAN_RE.finditer(text):
        raw = re.sub(r"\s", "", m.group(0))
        if raw in PUBLIC_IBANS:
            continue
        out.append(("iban", m.group(0), iban_ok(raw)))
    for m in CARD_RE.finditer(text):
        out.append(("card", m.group(0), luhn_ok(m.group(0))))
    for m in BSN_RE.finditer(text):
        out.append(("bsn", m.group(0), bsn_ok(m.group(0))))
    return out


def build():
    built = []
    for c in CASES:
        text, used = substitute(c["text"])
        role = role_of(c["platform"], c["handle"])
        cats = sorted({CAT[k] for k in c["cats"]})
        strong = any(ok for _k, _raw, ok in scan_ids(text)) and "leak.pii" in cats
        when = c["when"] or rand_when()
        built.append(dict(c, text=text, used=used, role=role, categories=cats, strong=strong, created_at=when))
    rng.shuffle(built)
    lines = []
    for n, b in enumerate(built, 1):
        post = {"id": "kl399-%s-%04d" % (b["platform"], n), "platform": b["platform"], "kind": b["kind"],
                "account": {"handle": b["handle"]}, "text": b["text"], "created_at": b["created_at"]}
        if rng.random() < 0.75:
            post["lang"] = b["lang"]
        if rng.random() < 0.5:
            post["brand"] = "Kreekloper"
        if b["platform"] == "x":
            post["url"] = "https://x.com/%s/status/%d" % (b["handle"].lstrip("@"), rng.randrange(10 ** 18, 10 ** 19))
        exp = {"categories": b["categories"], "severity": severity(b["categories"], b["role"], b["strong"])}
        lines.append(({"post": post, "expect": exp}, b))
    return lines


# ---------------------------------------------------------------- self-check
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
ZW = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))


def parse_time(s):
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))


def amounts(text):
    vals = []
    for m in re.finditer(r"€\s?(\d{1,5}(?:[.,]\d{1,2})?)(?!\s?(?:mln|m\b|miljoen))", text):
        vals.append(float(m.group(1).replace(",", ".")))
    for m in re.finditer(r"(?<![€\d.,])(\d{1,5}(?:,\d{2})?)\s?(?:euro|EUR)\b", text):
        vals.append(float(m.group(1).replace(",", ".")))
    for m in re.finditer(r"\bvoor (\d{1,4},\d{2})\b", text):
        vals.append(float(m.group(1).replace(",", ".")))
    return vals


def products_in(text):
    low = text.lower()
    found = []
    for p in PROFILE["products"]:
        for nm in [p["name"]] + list(p.get("aliases", [])):
            if nm.lower() in low:
                found.append(p)
                break
    return found


def check(lines, path):
    errors = []

    def err(cid, msg):
        errors.append("%s: %s" % (cid, msg))

    # re-read what was written: every line must be a valid CONTRACT section 6 case
    with open(path, encoding="utf-8") as fh:
        raw_lines = fh.read().splitlines()
    assert len(raw_lines) == len(lines)
    ids = set()
    for raw, (obj, b) in zip(raw_lines, lines):
        d = json.loads(raw)
        assert d == obj
        p, e = d["post"], d["expect"]
        cid = p.get("id")
        if set(d) != {"post", "expect"}:
            err(cid, "top-level keys")
        if not isinstance(cid, str) or not 1 <= len(cid) <= 256 or cid in ids:
            err(cid, "bad or duplicate id")
        ids.add(cid)
        for f in ("platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                err(cid, "missing " + f)
        if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str):
            err(cid, "account.handle")
        if p["platform"] not in PLATFORMS:
            err(cid, "platform")
        if p.get("kind", "post") not in KINDS:
            err(cid, "kind")
        if len(p["text"].encode("utf-8")) > 65536 or not p["text"].strip():
            err(cid, "text size")
        if not RFC3339.match(p["created_at"]):
            err(cid, "created_at not RFC 3339")
        t = parse_time(p["created_at"])
        if not (2026 <= t.year <= 2027):
            err(cid, "created_at year")
        if set(e) != {"categories", "severity"}:
            err(cid, "expect keys")
        cats = e["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= TAXONOMY:
            err(cid, "categories")
        if e["severity"] not in RANK:
            err(cid, "severity value")
        role = role_of(p["platform"], p["account"]["handle"])
        if not cats and e["severity"] != "none":
            err(cid, "benign must be none")
        if cats and e["severity"] in ("none", "info"):
            err(cid, "positive with no alarm")
        if "{{" in p["text"]:
            err(cid, "unfilled placeholder")
        text = p["text"]

        # identifiers: every one in a positive passes, every look-alike in a benign post fails
        found = scan_ids(text)
        for kind, val in b["used"]:
            if val not in text:
                err(cid, "generated value missing")
            if kind in VALID_IDS:
                okv = iban_ok(val) if "IBAN" in kind else luhn_ok(val) if "CARD" in kind else bsn_ok(val)
                if not okv or not cats:
                    err(cid, "valid identifier %s fails or sits in a benign post" % kind)
            if kind in BAD_IDS:
                okv = iban_ok(val) if "IBAN" in kind else luhn_ok(val) if "CARD" in kind else bsn_ok(val)
                if okv or cats:
                    err(cid, "look-alike %s passes or sits in a positive" % kind)
        for kind, rawid, okv in found:
            if cats and not okv:
                err(cid, "failing %s %r in a positive" % (kind, rawid))
            if not cats and okv:
                err(cid, "passing %s %r in a benign post" % (kind, rawid))
            if cats and okv and "leak.pii" not in cats:
                err(cid, "valid %s without leak.pii" % kind)
        strong = any(ok for _k, _r, ok in found) and "leak.pii" in cats
        if e["severity"] != severity(cats, role, strong):
            err(cid, "severity does not follow the policy")

        # credentials
        kinds_used = {k for k, _v in b["used"]}
        if "leak.secret" in cats and not kinds_used & SECRETS:
            err(cid, "secret case without generated credential")
        if "leak.secret" not in cats and kinds_used & SECRETS:
            err(cid, "credential in a non-secret case")
        for tok in re.findall(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", text):
            if not cats or not github_ok(tok):
                err(cid, "github token checksum / placement")
        for tok in re.findall(r"\bAKIA[0-9A-Z]{16}\b", text):
            if "EXAMPLE" in tok:
                if cats:
                    err(cid, "sample AWS key in a positive")
            elif not cats or not re.fullmatch(r"AKIA[A-Z2-7]{16}", tok):
                err(cid, "AWS key id format / placement")
        for tok in re.findall(r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+", text):
            if not cats or not jwt_ok(tok):
                err(cid, "JWT header / placement")
        if not cats:
            if re.search(r"sk_live_(?!x+\b)\w+|xox[bp]-\d|AIza[\w-]{35}|sk-(?:proj|ant)-|BEGIN [A-Z ]*PRIVATE KEY|hooks\.slack\.com/services/T|\blive_[0-9A-Za-z]{30}\b", text):
                err(cid, "live-looking credential in a benign post")
            if re.search(r"(?:wachtwoord|password)\s*[:=]\s*(?![<*])\S", text, re.I):
                err(cid, "password value in a benign post")

        # profile terms: codenames, markers, internal hosts, embargo
        low = text.lower()
        flat = unicodedata.normalize("NFKC", text).translate(ZW).lower()
        internal_hit = [x for x in PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"]
                        + PROFILE["internal"]["domains"] if x.lower() in low or x.lower() in flat]
        emb_hit = []
        for emb in PROFILE["embargo"]:
            until = parse_time(emb["until"])
            for term in emb["terms"]:
                if re.search(r"(?<!\w)%s(?!\w)" % re.escape(term.lower()), low):
                    emb_hit.append((term, t < until))
        before = [term for term, early in emb_hit if early]
        if not cats and (internal_hit or before):
            err(cid, "benign post carries internal term or embargo term too early: %r %r" % (internal_hit, before))
        if (internal_hit or before) and "leak.confidential" not in cats:
            err(cid, "internal/embargo term without leak.confidential")
        if "leak.confidential" in cats and not (internal_hit or before or b["evasion"]
                                                or re.search(r"nog niet aangekondigd|not announced", low)):
            err(cid, "confidential case without an identifiable internal term")

        # pricing
        prods = products_in(text)
        vals = amounts(text)
        if "leak.pricing" in cats:
            low_price = any(v < PROFILE["pricing"]["alert_below_ratio"] * p["list_price"] for p in prods for v in vals)
            talk = re.search(r"prijsfout|typfout|glitch|price error|per ongeluk|oops", low)
            if not prods or not (low_price or talk):
                err(cid, "pricing case without product + low price / price-error talk")
        elif prods and vals and not b["split_price"]:
            floor = min(p["list_price"] for p in prods)
            if any(v < PROFILE["pricing"]["alert_below_ratio"] * floor for v in vals):
                err(cid, "non-pricing post shows a product below the alert ratio: %r" % vals)
        if not cats and prods and not b["split_price"]:
            for v in vals:
                if not any(v >= 0.7 * p["list_price"] for p in prods):
                    err(cid, "benign price %.2f is a sale deeper than 30%%" % v)

    return errors


def main():
    lines = build()
    path = os.path.join(HERE, "cases.jsonl")
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        for obj, _b in lines:
            fh.write(json.dumps(obj, ensure_ascii=False, sort_keys=False) + "\n")

    errors = check(lines, path)
    n = len(lines)
    benign = sum(1 for o, _ in lines if not o["expect"]["categories"])
    per_cat = {c: 0 for c in sorted(TAXONOMY)}
    for o, _ in lines:
        for c in o["expect"]["categories"]:
            per_cat[c] += 1
    nl = sum(1 for _o, b in lines if b["lang"] == "nl")
    roles = {}
    for o, b in lines:
        kind = "benign" if not o["expect"]["categories"] else (
            "leak" if any(c.startswith("leak.") for c in o["expect"]["categories"]) else "reputation")
        roles.setdefault(kind, {}).setdefault(b["role"], 0)
        roles[kind][b["role"]] += 1
    sev = {}
    for o, _ in lines:
        sev[o["expect"]["severity"]] = sev.get(o["expect"]["severity"], 0) + 1
    evasion = sum(1 for _o, b in lines if b["evasion"])
    in2027 = sum(1 for o, _ in lines if o["post"]["created_at"].startswith("2027"))

    if not 170 <= n <= 180:
        errors.append("case count %d outside 170-180" % n)
    if not 55 <= benign <= 65:
        errors.append("benign count %d not about 60" % benign)
    if not 0.48 <= nl / n <= 0.62:
        errors.append("Dutch share %.2f not about 55%%" % (nl / n))
    if evasion < 5:
        errors.append("too few evasion posts")
    for c, want in {"reputation.complaint": 20, "leak.confidential": 18, "leak.pii": 15,
                    "reputation.crisis": 15, "leak.security": 13, "leak.secret": 12,
                    "reputation.abuse": 12, "leak.pricing": 12, "leak.financial": 12}.items():
        if abs(per_cat[c] - want) > 3:
            errors.append("%s count %d far from %d" % (c, per_cat[c], want))

    print("cases: %d  benign: %d  positives: %d  Dutch: %.0f%%  evasion: %d  in 2027: %d"
          % (n, benign, n - benign, 100.0 * nl / n, evasion, in2027))
    print("per category:", json.dumps(per_cat))
    print("severities:", json.dumps(sev, sort_keys=True))
    print("roles:", json.dumps(roles, sort_keys=True))
    if errors:
        print("SELF-CHECK FAILED (%d problems):" % len(errors))
        for e in errors:
            print("  " + e)
        sys.exit(1)
    print("self-check passed")


if __name__ == "__main__":
    main()
