#!/usr/bin/env python3
"""Build cases.jsonl for evaluation set sealed220 (Kalmhaven, a fictional Dutch
funeral insurer / funeral-services group) and check it.

Deterministic: fixed seed, standard library + PyYAML. Every identifier and
credential is generated here the way the real ones are built (IBAN mod-97, Luhn,
BSN 11-proof, GitHub CRC-32/base62, AWS key-id alphabet, JWT header with alg).
Severities are computed from CONTRACT section 4 and the account roles in
profile.yaml, never typed by hand.
"""
import base64
import datetime as dt
import json
import os
import random
import re
import string
import sys
import unicodedata
import zlib

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 220_2026
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

ROLE = {}
for role in ("corporate", "employee"):
    for entry in PROFILE["accounts"][role]:
        ROLE[entry.lower()] = role


def role_of(platform, handle):
    return ROLE.get(f"{platform}:{handle}".lower(), "public")


# --------------------------------------------------------------------------
# identifier generators and validators
# --------------------------------------------------------------------------
ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base62 order
B64URL = string.ascii_letters + string.digits + "-_"
IBAN_LEN = {"NL": 18, "BE": 16, "DE": 22}


def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if len(s) < 5 or IBAN_LEN.get(s[:2]) != len(s):
        return False
    r = s[4:] + s[:4]
    try:
        n = int("".join(str(int(c, 36)) for c in r))
    except ValueError:
        return False
    return n % 97 == 1


def make_iban(bank=None):
    bank = bank or rng.choice(["RABO", "INGB", "ABNA", "SNSB", "TRIO", "ASNB", "BUNQ", "KNAB"])
    acct = "".join(rng.choice(string.digits) for _ in range(10))
    bban = bank + acct
    n = int("".join(str(int(c, 36)) for c in bban + "NL00"))
    iban = "NL%02d%s" % (98 - n % 97, bban)
    assert iban_ok(iban)
    return iban


def bad_iban():
    good = make_iban()
    chk = int(good[2:4])
    bad = good[:2] + "%02d" % ((chk + rng.randint(1, 9)) % 100) + good[4:]
    if iban_ok(bad):
        return bad_iban()
    return bad


def spaced(s, n=4):
    return " ".join(s[i:i + n] for i in range(0, len(s), n))


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def make_card(prefix, length=16):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for c in string.digits:
        if luhn_ok(body + c):
            return body + c
    raise AssertionError


def bad_card(prefix="4", length=16):
    good = make_card(prefix, length)
    last = (int(good[-1]) + rng.randint(1, 9)) % 10
    bad = good[:-1] + str(last)
    assert not luhn_ok(bad)
    return bad


def bsn_ok(s):
    d = re.sub(r"\D", "", s)
    if len(d) != 9:
        return False
    tot = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return tot % 11 == 0


def make_bsn():
    while True:
        d = str(rng.randint(1, 9)) + "".join(rng.choice(string.digits) for _ in range(8))
        if bsn_ok(d):
            return d


def bad_bsn():
    while True:
        d = str(rng.randint(1, 9)) + "".join(rng.choice(string.digits) for _ in range(8))
        if not bsn_ok(d):
            return d


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out or "0"


def gh_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def make_gh(prefix="ghp_"):
    body = "".join(rng.choice(ALNUM) for _ in range(30))
    tok = prefix + body + b62(zlib.crc32(body.encode())).rjust(6, "0")
    assert gh_ok(tok)
    return tok


def rand(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def make_aws_id():
    while True:
        k = "AKIA" + rand("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
        if "EXAMPLE" not in k:
            return k


def make_aws_secret():
    return rand(string.ascii_letters + string.digits + "/+", 40)


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt():
    header = {"alg": "HS256", "typ": "JWT"}
    iat = 1770000000 + rng.randint(0, 20000000)
    payload = {"sub": "svc-claims-gateway", "role": "claims_admin", "tenant": "kh-prod",
               "iat": iat, "exp": iat + 3600 * 24 * 30}
    return ".".join([b64u(json.dumps(header, separators=(",", ":")).encode()),
                     b64u(json.dumps(payload, separators=(",", ":")).encode()),
                     b64u(bytes(rng.getrandbits(8) for _ in range(32)))])


def jwt_ok(tok):
    try:
        h = tok.split(".")[0]
        hdr = json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)))
        return isinstance(hdr, dict) and "alg" in hdr and len(tok.split(".")) == 3
    except Exception:
        return False


def make_rsa_pem():
    der = bytes([0x30, 0x82, 0x04, 0xA4, 0x02, 0x01, 0x00, 0x02, 0x82, 0x01, 0x01, 0x00])
    der += bytes(rng.getrandbits(8) for _ in range(1180))
    b = base64.b64encode(der).decode()
    body = "\n".join(b[i:i + 64] for i in range(0, len(b), 64))
    return "-----BEGIN RSA PRIVATE KEY-----\n" + body + "\n-----END RSA PRIVATE KEY-----"


def make_openssh_pem():
    blob = b"openssh-key-v1\x00\x00\x00\x00\x04none\x00\x00\x00\x04none\x00\x00\x00\x00\x00\x00\x00\x01"
    blob += b"\x00\x00\x00\x33\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20"
    blob += bytes(rng.getrandbits(8) for _ in range(300))
    b = base64.b64encode(blob).decode()
    body = "\n".join(b[i:i + 70] for i in range(0, len(b), 70))
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + body + "\n-----END OPENSSH PRIVATE KEY-----"


def mobile(fmt):
    d = "6" + str(rng.randint(1, 9)) + rand(string.digits, 7)  # 6 + 8 digits
    if fmt == "dash":
        return "0" + d[0] + "-" + d[1:]
    if fmt == "intl":
        return "+31 6 " + " ".join(d[i:i + 2] for i in range(1, 9, 2))
    if fmt == "0031":
        return "0031" + d
    if fmt == "plain":
        return "0" + d[0] + " " + d[1:5] + " " + d[5:]
    raise ValueError(fmt)


def landline(area):
    rest = str(rng.randint(2, 9)) + rand(string.digits, 10 - len(area) - 1)
    return area + "-" + rest


# --------------------------------------------------------------------------
# placeholder substitution: «kind» tokens in texts
# --------------------------------------------------------------------------
CHECKSUM_KINDS = {"iban", "iban_sp", "card_visa", "card_mc", "card_amex", "bsn", "bsn_dots"}
LOOKALIKE_KINDS = {"badiban", "badiban_sp", "badcard", "badbsn"}


def gen(kind):
    if kind == "iban":
        return make_iban()
    if kind == "iban_sp":
        return spaced(make_iban())
    if kind == "badiban":
        return bad_iban()
    if kind == "badiban_sp":
        return spaced(bad_iban())
    if kind == "card_visa":
        return spaced(make_card("4"))
    if kind == "card_mc":
        return spaced(make_card(rng.choice(["51", "52", "53", "54", "55"])))
    if kind == "card_amex":
        c = make_card(rng.choice(["34", "37"]), 15)
        return f"{c[:4]} {c[4:10]} {c[10:]}"
    if kind == "badcard":
        return spaced(bad_card("4"))
    if kind == "bsn":
        return make_bsn()
    if kind == "bsn_dots":
        b = make_bsn()
        return f"{b[:4]}.{b[4:6]}.{b[6:]}"
    if kind == "badbsn":
        return bad_bsn()
    if kind.startswith("mob_"):
        return mobile(kind[4:])
    if kind.startswith("land_"):
        return landline(kind[5:])
    if kind in ("ghp", "gho", "ghs"):
        return make_gh(kind + "_")
    if kind == "aws_id":
        return make_aws_id()
    if kind == "aws_secret":
        return make_aws_secret()
    if kind == "stripe":
        return "sk_live_51" + rand(string.ascii_letters + string.digits, 96)
    if kind == "slack":
        return f"xoxb-{rng.randint(10**10, 10**12 - 1)}-{rng.randint(10**12, 10**13 - 1)}-{rand(string.ascii_letters + string.digits, 24)}"
    if kind == "openai":
        return "sk-proj-" + rand(B64URL, 74) + "T3BlbkFJ" + rand(B64URL, 74)
    if kind == "anthropic":
        return "sk-ant-api03-" + rand(B64URL, 93) + "AA"
    if kind == "google":
        return "AIza" + rand(B64URL, 35)
    if kind == "glpat":
        return "glpat-" + rand(B64URL, 20)
    if kind == "sendgrid":
        return "SG." + rand(B64URL, 22) + "." + rand(B64URL, 43)
    if kind == "jwt":
        return make_jwt()
    if kind == "rsa":
        return make_rsa_pem()
    if kind == "openssh":
        return make_openssh_pem()
    if kind == "dbpw":
        return rand(string.ascii_letters + string.digits, 10) + rng.choice("!*_-") + rand(string.digits, 3)
    if kind == "pw":
        w = rng.choice(["Rouwkoets", "Zonnebloem", "Lindeboom", "Kerkhof", "Grafsteen", "Avondrood"])
        return w + rng.choice("!#$%") + str(rng.randint(1000, 9999))
    raise ValueError(kind)


TOKEN = re.compile(r"«([a-z0-9_]+)»")

# --------------------------------------------------------------------------
# the cases
# --------------------------------------------------------------------------
CASES = []

CX = "reputation.complaint"
CR = "reputation.crisis"
AB = "reputation.abuse"
CF = "leak.confidential"
FI = "leak.financial"
SE = "leak.security"
SK = "leak.secret"
PI = "leak.pii"
PR = "leak.pricing"


def P(platform, handle, lang, cats, text, kind="post", at=None, name=None, brand=None):
    CASES.append(dict(platform=platform, handle=handle, lang=lang, cats=sorted(set(cats)),
                      text=text, kind=kind, at=at, name=name, brand=brand))


# ---------------- complaints ----------------
P("x", "@marieke_vd_linden", "nl", [CX],
  "@kalmhaven_zorg al 6 weken wacht ik op de uitkering van de polis van mijn moeder. Akte van overlijden 3x opgestuurd. 3x!! Elke keer 'we hebben niks ontvangen'. Hoe dan?",
  kind="reply")
P("facebook", "henk.roozendaal.9", "nl", [CX],
  "Rouwauto kwam 40 minuten te laat bij de kerk. Familie stond in de regen te wachten en de dominee moest z'n preek inkorten voor het volgende gezelschap. Lindeboog Uitvaartzorg, dit vergeet ik nooit meer.",
  brand="lindeboog")
P("reddit", "u/grieving_in_gouda", "en", [CX],
  "PSA for anyone in NL with a Kalmhaven policy: they quietly raised my dad's monthly premium three times in two years and when he died the 'natura' cover didn't even pay for the coffin he'd picked. Spent 2 hrs on hold today. I am so tired.",
  at="2026-05-11T21:37:02+02:00")
P("x", "@jurgen_ovl", "nl", [CX],
  "op de rouwkaarten stond 'Gerrit' ipv 'Gerard'. 100 stuks. we hebben het nog gespeld aan de telefoon ook. @kalmhaven wie controleert dit eigenlijk")
P("x", "@sam_tilburg", "en", [CX],
  "Ordered the livestream for my gran's service through Kalmhaven so my aunt in Canada could watch. Stream died after 4 minutes and never came back. €295 for that. Nobody has answered my email in 9 days.")
P("forum", "Ans_uit_Ede", "nl", [CX],
  "Koffietafel was lauw, broodjes droog en te weinig stoelen voor 50 man, terwijl we dat precies zo hadden doorgegeven. Van een uitvaartorganisatie verwacht je dat ze dat ene moment goed regelen. Teleurgesteld in Kalmhaven.")
P("instagram", "@nina.rouwt", "nl", [CX],
  "Mooie plaatjes posten kunnen jullie wel, maar de urn met de as van mijn vader is na 5 weken nog steeds niet geleverd. Elke keer 'volgende week' 💔",
  kind="comment")
P("x", "@thom_ams", "en", [CX],
  "@kalmhaven_zorg you debited my premium twice this month AND charged the admin fee I was told was waived. Please sort this out, I'm on a pension.",
  kind="reply")
P("facebook", "petra.wolters.75", "nl", [CX],
  "Mijn polis opzeggen via mijn.kalmhaven.nl: 'er ging iets mis'. Bellen: 45 min in de wacht, verbinding verbroken. Mailen: automatisch antwoord. Wat een gedoe om van jullie af te komen zeg.")
P("threads", "@lisa.moves.on", "en", [CX],
  "the funeral director kept calling my mother-in-law by the wrong name through the whole service. she was married to him for 51 years. kalmhaven pls train your people")
P("x", "@kees1958", "nl", [CX],
  "41 jaar premie betaald aan Kalmhaven en de uitkering dekt nog niet de helft van de crematie. Niemand heeft ons ooit verteld dat die polis niet geïndexeerd werd. Ik ben er nog steeds kwaad om.")
P("instagram", "@femke_rouwdagboek", "nl", [CX],
  "De Zacht Riet mand die we hadden uitgezocht bleek bij aankomst kapot aan de zijkant. Dan maar snel een andere kist en de meerprijs zelf betalen. Echt niet oké @kalmhaven.uitvaart",
  kind="comment")
P("x", "@mariam_k", "en", [CX],
  "Still no call back, nothing. My father died 3 weeks ago and the insurer he paid into for 30 yrs can't even confirm they got the claim. @kalmhaven_zorg what is going on")
P("tiktok", "@jayden.vlogs", "en", [CX],
  "bro the kalmhaven app logs me out every 2 min, cant even upload the death certificate 😤 fix ur app",
  kind="comment")
# complaint + own personal data (public)
P("x", "@bas_terpstra", "nl", [CX, PI],
  "@kalmhaven_zorg jullie hebben de uitkering naar mijn oude rekening gestuurd. Het moet naar «iban_sp» op naam van B. Terpstra. Bel me gerust: «mob_dash», want dit duurt nu al 3 weken",
  kind="reply", at="2026-10-14T08:52:10+02:00")
P("facebook", "gwen.maddox.nl", "en", [CX, PI],
  "Third time asking. Refund the double charge to «iban» (G. Maddox). My number is «mob_intl» if anyone at Kalmhaven actually wants to call back.")
P("x", "@wim_stoker", "nl", [CX, PI],
  "Al 2 weken geen reactie op mijn klacht @kalmhaven. Mail me maar op wim.stoker64@gmail.com of bel «land_0318» want jullie klantenservice is onbereikbaar.")
# complaint + abuse
P("x", "@dennis_w88", "nl", [AB, CX],
  "Stelletje prutsers bij @kalmhaven. Drie keer gebeld, drie keer een ander verhaal. Die mevrouw van de klantenservice is echt een onbeschofte trut.")
P("reddit", "u/nevertrustinsurers", "en", [AB, CX],
  "Kalmhaven's 'care team' are useless idiots. Waited 3 hours for them to collect my grandmother from the care home while the nurses kept asking when she'd be moved. Fucking disgrace.")

# ---------------- crisis ----------------
P("x", "@ellen_vermeer_journo", "nl", [CR],
  "Bronnen bevestigen: bij Lindeboog Uitvaartzorg in Amersfoort zijn vorige maand twee overledenen verwisseld. Eén familie kreeg de verkeerde as mee naar huis. Kalmhaven zwijgt tot nu toe. Draadje 🧵",
  brand="lindeboog")
P("facebook", "rianne.degroot.31", "nl", [CR],
  "BOYCOT KALMHAVEN. Ze hebben de sieraden van mijn overleden oma 'kwijtgeraakt' tijdens de verzorging. Trouwring, ketting, alles weg. Deel dit alsjeblieft!!!")
P("x", "@privacywatch_eu", "en", [CR],
  "Kalmhaven (Dutch funeral insurer) appears to have exposed policyholder records — names, birth dates, beneficiaries — through an open API endpoint. We've notified the Dutch DPA. Customers: assume your data is out there.")
P("x", "@advocaat_vdmeer", "nl", [CR],
  "Namens ruim 300 polishouders hebben wij vandaag een collectieve claim ingediend tegen Kalmhaven Verzekeringen wegens misleidende informatie over de indexatie van uitvaartpolissen.")
P("reddit", "u/coffin_truth", "en", [CR],
  "Kalmhaven Terra eco-coffins are splitting at the bottom while being carried. Happened at our service, the bearers nearly dropped my uncle. The funeral home said it's 'the third one this month'. Why has nobody recalled these?")
P("tiktok", "@rouwmetrob", "nl", [CR],
  "dit gaat over hoe Kalmhaven bij oude mensen aan de deur polissen verkoopt die ze niet nodig hebben. mijn opa (89!!) had er VIER #kalmhaven #oplichting #schandaal")
P("x", "@marloesfmk", "nl", [CR],
  "Gisteren in Kassa: uitvaartverzekeraars die 'slapende' polissen niet uitkeren en nabestaanden niet informeren. Kalmhaven kwam er niet best uit. Ik zeg mijn polis op en raad iedereen aan hetzelfde te doen. #boycotkalmhaven")
P("x", "@regio_nieuws_zwolle", "nl", [CR],
  "Lijkwagen van Lindeboog Uitvaartzorg gekanteld op de A28 bij Zwolle. Bestuurder en een medewerker gewond naar het ziekenhuis, volgens omstanders reed de wagen veel te hard.",
  brand="lindeboog")
P("facebook", "jeroen.smits.hoorn", "nl", [CR],
  "De gegevens van mijn vader zijn gelekt door Kalmhaven, ik weet het zeker. Ik krijg nu telefoontjes van 'incassobureaus' die precies weten wanneer hij is overleden en welke polis hij had. Dat MOET daar vandaan komen.")
P("linkedin", "sander-bosman-78", "en", [CR],
  "The AFM fined Kalmhaven Verzekeringen €1.2m this morning for misleading information on its natura funeral policies. Another blow for an industry that already struggles with trust.")
P("x", "@bezorgde_buurvrouw", "nl", [CR],
  "\u0412\u043e\u0443\u0441\u043ett K\u0430lmhaven!! Ze laten overledenen dagenlang in een kapotte koelcel liggen in Apeldoorn. Personeel durft niks te zeggen.")
P("reddit", "u/is_this_a_breach", "en", [CR],
  "Is anyone else's Kalmhaven portal showing OTHER people's policies?? I logged in and saw a stranger's beneficiaries and bank details. That's a data breach, right?")
P("x", "@angry_son_nl", "en", [AB, CR],
  "Kalmhaven lost my father's ashes. LOST THEM. You ghouls. Everybody boycott these scumbags.")
P("x", "@gvd_genoeg", "nl", [AB, CR],
  "Die lijkenpikkers van Kalmhaven hebben oude mensen jarenlang leeggezogen met hun woekerpolissen. Boycot dat kankerbedrijf.")
P("facebook", "mirjam.oosterhuis", "nl", [CR, PI],
  "Kalmhaven heeft mij per ongeluk het dossier van een andere klant gemaild: Johanna Verbeek, geboren 14-02-1938, Berkenlaan 12 in Nijkerk. Hoe kan dit?? Dit is toch gewoon een datalek")

# ---------------- abuse ----------------
P("instagram", "@tyler_rants", "en", [AB],
  "imagine working at kalmhaven lmao, bunch of creepy corpse-fondling losers 💀", kind="comment")
P("x", "@boos_in_barneveld", "nl", [AB],
  "K.L.O.O.T.Z.A.K.K.E.N zijn het bij Lindeboog. Allemaal. Tot de laatste stagiair aan toe.", brand="lindeboog")
P("x", "@n00b_rage", "nl", [AB],
  "k4nk3rb3drijf @kalmhaven 🤮 t y f u s op met je p0lissen")
P("facebook", "harry.vd.bosch.62", "nl", [AB],
  "Die Marokkaanse aan de balie bij Kalmhaven Utrecht moet gewoon terug naar haar eigen land, spreekt geen woord fatsoenlijk Nederlands. Weg met dat volk.")
P("x", "@bram_vd_kh", "en", [AB],
  "honestly some of our customers are the dumbest fucking people alive. 'can I pay my premium after I'm dead' yes Karen, sure you can")
P("x", "@dutchrage_", "en", [AB],
  "f u c k  k a l m h a v e n and their s c u m call centre")
P("x", "@kalmhaven_zorg", "nl", [AB],
  "@ronnie_b Als u zo blijft zeuren zoekt u toch lekker een andere verzekeraar, mafkees.",
  kind="reply")
P("x", "@vic_ranting", "en", [AB],
  "@kalmhaven your CEO is a greedy pig and your staff are brain-dead vultures", kind="reply")

# ---------------- confidential ----------------
P("bluesky", "@femkeschouten.bsky.social", "nl", [CF],
  "Kan bijna niet wachten tot we Project Lantaarn mogen laten zien 🤫 de eerste schermen van de nieuwe app zijn echt prachtig")
P("linkedin", "marco-hoekstra-kalmhaven", "en", [CF],
  "Proud of the team working late nights on Operatie Kraanvogel. Can't say more yet, but 2027 is going to be a big year for Kalmhaven.")
P("x", "@ineke_afscheid", "nl", [CF],
  "Weet iemand hoe ik op intranet.kalmhaven.local de nieuwe roosters vind? Link werkt niet vanaf thuis 🤷‍♀️")
P("mastodon", "@joostdev@fosstodon.org", "en", [CF],
  "Anyone seen this one before? Ticket https://jira.kalmhaven.nl/browse/POL-4412 — the nightly build keeps dying on the Oracle JDBC driver upgrade. Losing my mind.")
P("instagram", "@sjoerd.verzorgt", "nl", [CF],
  "Sneak peek: onze nieuwe eco-lijn Afscheid Groen, met een kist van gerecycled karton en bloemen van een lokale kwekerij 🌱 Sst, nog even geheim!",
  at="2026-10-02T16:41:09+02:00")
P("threads", "@anouk.kalmhaven", "nl", [CF],
  "Mag eigenlijk niks zeggen maar de tarieven voor 2027 liggen al klaar en de Natura Polis gaat flink omhoog. Staat in een memo met 'Kalmhaven intern' erboven, ik schrok er zelf van")
P("x", "@bram_vd_kh", "en", [CF],
  "lol the staging env at polisadmin.kalmhaven.local has a banner saying DO NOT DEMO TO CUSTOMERS. guess what sales did this morning")
P("linkedin", "kalmhaven-uitvaart-verzekeringen", "nl", [CF],
  "STRIKT VERTROUWELIJK – concept persbericht v3: Kalmhaven opent in het voorjaar drie nieuwe uitvaartcentra in Zeeland. [citaat CEO hier invoegen] [foto volgt]")
P("x", "@lotte_polisbeheer", "nl", [CF],
  "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in "project lantaarn")
  + " loopt weer vertraging op, zeggen ze. Nog een halfjaar erbij 🙄")
P("bluesky", "@femkeschouten.bsky.social", "nl", [CF],
  "Moodboard voor de campagne van Zwaluw\u200bstaart is af!! Nog ff niet extern delen hoor 😉 (ja ik weet het, ik deel het nu half)")
P("forum", "ex_uitvaartmedewerker", "nl", [CF, FI],
  "Ik heb de interne presentatie 'Operatie Kraanvogel' van Kalmhaven hier liggen, gekregen van een oud-collega. Komt erop neer dat ze volgend jaar 6 vestigingen sluiten en de rest samenvoegen.")
P("x", "@ineke_afscheid", "nl", [CF, FI],
  "Op de teamdag alvast de jaarcijfers 2026 gezien. Omzet uitvaartdivisie +11%, beste jaar ooit. Meer mag ik niet zeggen 😇",
  at="2027-02-10T18:22:40+01:00")
P("linkedin", "marco-hoekstra-kalmhaven", "en", [CF, FI],
  "Final review of the FY2026 results deck done. Solvency ratio landed at 187%, well above guidance. Publication next Thursday, then a long weekend!",
  at="2027-02-19T20:03:12+01:00")
P("tiktok", "@kalmhaven.nl", "nl", [CF],
  "Achter de schermen bij de fotoshoot voor Afscheid Groen 🌿 binnenkort meer! #comingsoon #uitvaart",
  at="2026-11-05T11:15:00+01:00")

# ---------------- financial ----------------
P("linkedin", "yasmina-bouzid-hr", "nl", [FI],
  "Zware week. Vandaag de eerste gesprekken voorbereid voor de reorganisatie bij klantenservice: 85 fte gaat eruit, en dat wordt pas in januari bekendgemaakt. Zorg goed voor elkaar.",
  at="2026-11-18T21:10:44+01:00")
P("x", "@lotte_polisbeheer", "en", [FI],
  "heard from finance that H1 net profit is down ~30% vs last year and the board is 'reviewing options'. numbers aren't out till august so shhh",
  at="2026-07-10T13:02:51+02:00")
P("x", "@beursbengel", "nl", [FI],
  "Hoor uit goede bron dat Noorderzon Verzekeringen in gesprek is om Kalmhaven over te nemen, voor zo'n €420 mln. Deal zou voor de zomer rond moeten zijn.")
P("linkedin", "marco-hoekstra-kalmhaven", "en", [FI],
  "Internal Q3 forecast for Kalmhaven: premium income +6.2%, claims ratio 71%, EBIT €38.4m. Running ahead of the outlook we'll give the market in November.",
  at="2026-10-08T09:30:00+02:00")
P("threads", "@anouk.kalmhaven", "en", [FI],
  "So we're closing the Lindeboog locations in Deventer and Hengelo next spring. Found out in a Teams call, nothing announced yet. Gutted for the team there.")
P("x", "@ineke_afscheid", "nl", [FI],
  "Volgens de wandelgangen verkopen we de crematoria in Ede en Apeldoorn aan een Belgische partij. Als dat klopt, wat gebeurt er dan met ons? 😟")
P("reddit", "u/kh_throwaway_2026", "en", [FI],
  "I work at Kalmhaven. Management just told us the merger with Rustpunt Uitvaart is signed, public announcement on the 14th. Expect duplicate roles to be cut.")
P("linkedin", "marco-hoekstra-kalmhaven", "nl", [FI],
  "Dividendvoorstel over 2026 wordt €0,84 per aandeel, flink hoger dan de markt verwacht. Kom net uit de RvC-vergadering, goede dag!",
  at="2027-01-29T17:45:00+01:00")
P("mastodon", "@joostdev@fosstodon.org", "en", [FI],
  "our CFO just told the all-hands we're issuing a profit warning next week because of the spike in Natura claims. wild times")

# ---------------- security ----------------
P("x", "@bram_vd_kh", "nl", [SE],
  "Hele ochtend brandjes blussen. mijn.kalmhaven.nl ligt sinds 6 uur plat door een ddos en van comms mogen we nog niks zeggen. Koffie nummer 5 ☕")
P("linkedin", "ruben-dewit-security", "en", [SE],
  "Long night. Ransomware hit two file servers in our Utrecht office around 02:00. Contained now, but the backups of the claims archive were encrypted as well. Not public yet, so keep it to yourselves.")
P("threads", "@anouk.kalmhaven", "nl", [SE],
  "Collega's klikten massaal op die phishingmail vanochtend, minstens 12 accounts overgenomen. IT heeft alle wachtwoorden gereset en klanten weten van niks.")
P("mastodon", "@joostdev@fosstodon.org", "en", [SE],
  "fun fact: on our claims portal you can just change the dossier id in the URL and see someone else's claim, bank details included. reported it 3 months ago, ticket still open 🙃")
P("x", "@lotte_polisbeheer", "en", [SE],
  "policy admin system has been down for two days after 'an incident' and we're literally working from spreadsheets. customers are being told it's planned maintenance 🤐")
P("x", "@bram_vd_kh", "en", [CF, SE],
  "pentest report is in: SQL injection in the search box on polisadmin.kalmhaven.local, plus admin/admin still works on the reporting server. fix deadline is 'after the holidays' 🙄")
P("linkedin", "ruben-dewit-security", "nl", [SE],
  "Onze SIEM sloeg vannacht alarm: een aanvaller heeft zo'n 40.000 polisrecords binnengehaald via een oud API-account. Melding bij de AP moet nog gedaan worden. Verder zeg ik niks 🙊")
P("bluesky", "@femkeschouten.bsky.social", "en", [SE],
  "the entire marketing share got wiped by malware this morning and apparently backups haven't run since july. IT says don't tell anyone 😬")
P("x", "@oud_it_kalmhaven", "nl", [SE],
  "Toen ik daar nog als externe werkte draaide de VPN van Kalmhaven op een Fortinet-versie met een bekende RCE. Volgens mij is dat nog steeds niet gepatcht. Zeg maar niks.")
P("mastodon", "@joostdev@fosstodon.org", "nl", [SE],
  "Net ontdekt dat de exports van de uitkeringen onversleuteld in een publiek leesbare S3-bucket staan. Sinds maart al. Ticket aangemaakt, hopen dat niemand ze gevonden heeft.")
P("x", "@bram_vd_kh", "nl", [CF, SE],
  "vpn.kalmhaven.nl weer down, 3e keer deze week. Vermoeden is een brute-force aanval op de accounts, SOC kijkt mee. Thuiswerken = niet werken vandaag")
P("threads", "@anouk.kalmhaven", "en", [SE],
  "The call recording system got breached last month and someone walked off with recordings of grieving customers. We've been told to say nothing if people ask.")

# ---------------- secrets ----------------
P("x", "@bram_vd_kh", "en", [SK],
  "why does the deploy keep failing with 401?? token looks fine to me: «ghp» 🤔")
P("mastodon", "@joostdev@fosstodon.org", "nl", [SK],
  "AWS_ACCESS_KEY_ID=«aws_id»\nAWS_SECRET_ACCESS_KEY=«aws_secret»\nAWS_DEFAULT_REGION=eu-west-1\n\nwaarom zegt boto3 dan nog steeds AccessDenied 🤔")
P("bluesky", "@femkeschouten.bsky.social", "en", [SK],
  "ok who pasted the Stripe key in the marketing Notion?? «stripe» — that is LIVE, people")
P("threads", "@anouk.kalmhaven", "nl", [SK],
  "Voor de nieuwe collega's: inlog voor het gedeelde klantenservice-account is gebruiker ks_team, wachtwoord: «pw» (niet doorvertellen haha)")
P("mastodon", "@joostdev@fosstodon.org", "en", [SK],
  "Can someone tell me why the gateway rejects this?\n\nAuthorization: Bearer «jwt»\n\nsignature should be fine, secret hasn't changed")
P("x", "@bram_vd_kh", "nl", [SK],
  "DATABASE_URL=postgresql://polis_rw:«dbpw»@10.40.2.17:5432/polissen werkt lokaal wel, op acceptatie niet. iemand een idee?")
P("forum", "dev_freelancer_rdam", "en", [SK],
  "Built a claims chatbot for a Dutch funeral insurer (Kalmhaven) last month. Here's my .env for anyone curious how it's wired up:\nOPENAI_API_KEY=«openai»\nMODEL=gpt-4o-mini")
P("mastodon", "@joostdev@fosstodon.org", "en", [SK],
  "ssh keeps saying 'invalid format' on this key, what am I missing?\n\n«openssh»")
P("x", "@bram_vd_kh", "en", [SK],
  "for whoever picks up the app pipeline while I'm off: gitlab token is «glpat» (expires friday anyway, whatever)")
P("reddit", "u/apk_poker", "en", [SK],
  "Pulled apart Kalmhaven's Android app for fun. Unrestricted Google Maps key sitting right in the resources: «google» lol")
P("threads", "@anouk.kalmhaven", "nl", [SK],
  "Onze AI-samenvattingstool voor klantgesprekken draait op deze key: «anthropic» — kan iemand van IT checken of ie nog werkt? krijg steeds een 401")
P("x", "@bram_vd_kh", "en", [CF, SK],
  "the smtp creds on wiki.kalmhaven.local/display/OPS/Mailer are stale, use this one instead: «sendgrid»")
P("linkedin", "ruben-dewit-security", "en", [SK],
  "Note to self: never debug in public. Anyway, the service cert key we rotated today:\n«rsa»")

# ---------------- personal data ----------------
P("x", "@lotte_polisbeheer", "nl", [PI],
  "Kan iemand even kijken naar de uitkering voor mevr. H. Dijkstra-Kooistra, BSN «bsn»? Staat al 2 weken on hold en de familie belt elke dag")
P("threads", "@anouk.kalmhaven", "en", [PI],
  "lovely lady called today to update her card for the premiums: «card_visa» exp 09/28. putting it in the system now, so sweet she read it out twice 😅")
P("instagram", "@sjoerd.verzorgt", "nl", [PI],
  "Mooi afscheid vandaag van dhr. Albert Kwakman, geboren 3 mei 1936, Wilhelminastraat 22 in Barneveld. Rust zacht 🕊️")
P("x", "@bram_vd_kh", "en", [PI],
  "test data on acc is literally production data lol: 'Marianne de Boer, mdeboer1957@ziggo.nl, «mob_dash»'. who set this up")
P("threads", "@anouk.kalmhaven", "nl", [PI],
  "Kan iemand mevrouw Van Rijn terugbellen? Haar nummer is «mob_intl», ze wacht al sinds vanochtend op een belletje over de uitvaart van haar man")
P("linkedin", "yasmina-bouzid-hr", "nl", [PI],
  "Welkom aan onze nieuwe collega Sanne Vos! Wie een kaartje wil sturen: Kerkstraat 8, 3811 CV Amersfoort. En ze is 12-07-1994 jarig, dus zet het alvast in je agenda 🎂")
P("facebook", "KalmhavenUitvaart", "en", [PI],
  "Dear Mr. Okafor, we have processed the refund to «iban_sp» and it should arrive within 3 working days. Our apologies for the delay.",
  kind="reply")
P("x", "@tineke_h", "nl", [PI],
  "Voor iedereen die vroeg hoe ze konden bijdragen aan de uitvaart van mama: «iban» t.n.v. T. Hoogland. Kalmhaven regelt het grootste deel, de rest doen we samen ❤️")
P("x", "@jade_rn", "en", [PI],
  "@kalmhaven_zorg can you confirm you got my mum's policy change? Patricia Allen, DOB 17/11/1949, policy KH-2009-338120",
  kind="reply")
P("mastodon", "@joostdev@fosstodon.org", "nl", [PI],
  "Bug in de export: het BSN-veld bevat gewoon echte nummers, bijv. «bsn_dots» van een klant uit Zwolle. Moet eruit voordat we die testset delen")
P("instagram", "@sjoerd.verzorgt", "en", [PI],
  "Found a wallet in the aula after this morning's service, card «card_mc» in the name of J. Peeters. DM me if it's yours!")
P("x", "@ineke_afscheid", "nl", [PI],
  "Familie Bakker, jullie bestelling ligt klaar. Bel even met «land_0570» of mail r.bakker.deventer@hotmail.com voor een ophaaltijd")

# ---------------- pricing ----------------
P("x", "@koopjesjager_nl", "nl", [PR],
  "Huh, de Zilverdauw urn staat op kalmhaven.nl voor €24,50 ipv €245. Prijsfout?? Meteen besteld 😅")
P("reddit", "u/expat_in_utrecht", "en", [PR],
  "Kalmhaven's webshop has the Hoeve kist (oak coffin) listed at €145. Surely a decimal error? It's normally €1,450")
P("x", "@lotte_polisbeheer", "nl", [PR],
  "Oeps. In de nieuwe brochure staat Kapitaal 7500 voor €1,69 per maand. Drukker heeft er al 20.000 gedrukt 🙈")
P("facebook", "KalmhavenUitvaart", "nl", [PR],
  "Actie! Afscheid Compleet nu voor €695 😍 Alleen deze week, op = op.")
P("x", "@dealhunter_eu", "en", [PR],
  "PRICE ERROR 🚨 Kalmhaven Sterrenstof memorial pendant for €16.90. Go go go")
P("instagram", "@kalmhaven.uitvaart", "nl", [PR],
  "Nieuw in de collectie: de Mini-urn Druppel, al vanaf €7,90 ✨ Klein, maar met zoveel betekenis.")
P("threads", "@anouk.kalmhaven", "nl", [PR],
  "Klanten bellen massaal over de Natura Polis voor €2,45 per maand op de website. Dat klopt natuurlijk niet, maar wat moeten we zeggen??")
P("tiktok", "@frugal.fran", "en", [PR],
  "ok so kalmhaven's Crematie Sober package shows €189 at checkout 👀 glitch or is dying finally affordable", kind="comment")
P("x", "@marco_spaart", "en", [PR],
  "Just took out Kalmhaven's Koopsom Rust for €425 through a comparison site. Confirmation's in my inbox. Let's see if they honour it 🤞")
P("x", "@henkie_b", "nl", [CX, PR],
  "Kalmhaven had een prijsfout op de Herdenkingsboom (€39,50) en weigert nu mijn bestelling te leveren. Gewoon woordbreuk, ik stap naar de geschillencommissie.")
P("bluesky", "@femkeschouten.bsky.social", "en", [PR],
  "whoever set up the autumn campaign: Afscheid Online is in the ad for €29.50 and it's been running since 8am 😬")
P("tiktok", "@kalmhaven.nl", "nl", [PR],
  "Rouwkaarten Linnen, 100 stuks voor maar €14,90 🕊️ link in bio")

# ---------------- benign (mostly hard negatives) ----------------
P("x", "@kalmhaven_zorg", "nl", [],
  "Een overlijden melden kan dag en nacht via 0800-0455 of meldingen@kalmhaven.nl. Wij zijn er, ook vannacht.")
P("facebook", "KalmhavenUitvaart", "nl", [],
  "Betaalt u liever per overschrijving? Gebruik NL66 RABO 0318 4421 07 t.n.v. Kalmhaven Uitvaart & Verzekering N.V. en vermeld uw polisnummer.")
P("instagram", "@annelies.schrijft", "nl", [],
  "Vandaag afscheid genomen van oma. Ineke van Lindeboog heeft alles zo liefdevol geregeld, tot de Ochtendgloren-bloemen aan toe 🤍 Dank jullie wel.")
P("reddit", "u/thinking_ahead_nl", "en", [],
  "Honest question: is a natura policy better than a capital one? My parents have the Kalmhaven Natura at €24.50/month and I'm trying to work out if it's worth keeping.")
P("x", "@grappig_henk", "nl", [],
  "Mijn opa: 'Ik heb een uitvaartverzekering, dus als ik ga, ga ik tenminste in stijl.' Hij is 94 en fietst nog elke dag naar de markt 😂")
P("x", "@nieuws_fin", "nl", [],
  "Datalek bij Belgische verzekeraar Hoornbloem: gegevens van 40.000 klanten op straat. Toezichthouder start onderzoek.")
P("instagram", "@kalmhaven.uitvaart", "nl", [],
  "Herdenkingsboom Eikel deze maand met 20% korting: €316 in plaats van €395. Een blijvende plek om te herinneren 🌳")
P("x", "@kalmhaven", "en", [],
  "Our Crematie Sober package: €1,895 all-in. No surprises afterwards. All details on kalmhaven.nl")
P("mastodon", "@secnerd@infosec.exchange", "en", [],
  "Reminder: never paste real keys into examples. AWS itself uses AKIAIOSFODNN7EXAMPLE and wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY in its docs for exactly this reason.")
P("mastodon", "@joostdev@fosstodon.org", "en", [],
  "New blog post: how we rotate CI tokens. The config looks like `GITHUB_TOKEN=ghp_************************************` — the real one lives in Vault, never in the repo.")
P("x", "@kalmhaven", "nl", [],
  "De jaarcijfers 2026 van Kalmhaven staan online: premie-inkomen gestegen naar €412 mln, solvabiliteit 187%. Lees het persbericht op kalmhaven.nl/pers",
  at="2027-02-25T07:05:00Z")
P("linkedin", "kalmhaven-uitvaart-verzekeringen", "en", [],
  "Introducing Kalmhaven Afscheid Groen: our first fully circular farewell package, with a recycled-cardboard coffin and locally grown flowers. Available from today.",
  at="2027-03-16T09:00:00+01:00")
P("facebook", "wilma.jongeneel", "nl", [],
  "Afscheid Groen van Kalmhaven gekozen voor mijn moeder, ze was altijd zo met het milieu bezig. Mooi dat dit nu kan 🌱",
  at="2027-03-21T14:12:09+01:00")
P("x", "@kalmhaven_zorg", "nl", [],
  "Let op: er gaan nep-sms'jes rond uit naam van Kalmhaven over een 'achterstallige premie'. Wij vragen nooit via sms om te betalen of om uw pincode. Twijfelt u? Bel 0800-0455.")
P("forum", "Gert_in_Assen", "nl", [],
  "Kan iemand checken of dit IBAN klopt? «badiban_sp». Stond in een brief 'van Kalmhaven' maar mijn bank zegt dat het nummer ongeldig is. Phishing denk ik?")
P("x", "@fraudwatch_nl", "en", [],
  "Scam alert: fake 'Kalmhaven refund' emails asking you to confirm a card number like «badcard». Do not reply, do not click.")
P("mastodon", "@joostdev@fosstodon.org", "nl", [],
  "In onze testsuite gebruiken we BSN «badbsn». Die zakt bewust voor de elfproef, zodat niemand ooit per ongeluk met een echt nummer test.")
P("x", "@rouwcoach_marit", "nl", [],
  "Mijn vader overleed vorig jaar aan kanker. De mensen van Kalmhaven waren geduldig, warm en duidelijk. Daar ben ik ze nog steeds dankbaar voor.")
P("linkedin", "marco-hoekstra-kalmhaven", "en", [],
  "People ask me how I can work in the funeral business. Honestly? It's the most meaningful finance job I've ever had. The numbers matter less than the people here.")
P("linkedin", "kalmhaven-uitvaart-verzekeringen", "nl", [],
  "Webinar: rouwverwerking in tijden van crisis, met rouwtherapeut Lieke Damen. Gratis aanmelden via kalmhaven.nl/webinar")
P("facebook", "KalmhavenUitvaart", "en", [],
  "Our Amersfoort chapel reopens on Monday after last month's water leak. Thank you all for your patience!")
P("linkedin", "kalmhaven-uitvaart-verzekeringen", "nl", [],
  "Wij zoeken een uitvaartverzorger (32-36 uur) in regio Utrecht. Interesse? Mail je cv naar vacatures@kalmhaven.nl")
P("x", "@ineke_afscheid", "en", [],
  "10 years at Kalmhaven today 🎉 Still learning something from every single family I meet.")
P("x", "@vlinder_1961", "en", [],
  "Bought the Zilverdauw urn for my husband, €245. Beautifully made. It's by the window now, where he always used to sit.")
P("x", "@natuurliefhebber", "nl", [],
  "Vanavond honderden kraanvogels boven het Fochteloërveen. Wat een geluid! 🐦")
P("reddit", "u/grieving_in_gouda", "en", [],
  "Update: Kalmhaven called back, apologised and paid out the full policy yesterday. Thanks to everyone who told me to escalate, it worked.",
  at="2026-06-02T19:05:48+02:00")
P("x", "@bas_terpstra", "nl", [],
  "Inmiddels opgelost hoor, @kalmhaven_zorg heeft het geld alsnog naar de goede rekening gestuurd. Top geholpen door Anouk 👍",
  kind="reply", at="2026-10-29T12:31:44+01:00")
P("x", "@dagblad_midden", "nl", [],
  "Uitvaartbranche: prijzen voor een crematie dit jaar gemiddeld 6% gestegen, blijkt uit onderzoek van de Consumentenbond.")
P("x", "@lina_writes", "en", [],
  "Sending all my love to @dutchdaan and his family today. Kalmhaven did a beautiful job with the service and the livestream meant my mum could watch from Spain.")
P("instagram", "@kalmhaven.uitvaart", "nl", [],
  "Wist je dat je bij ons een Sterrenstof-hanger kunt laten maken met een klein beetje as? €169, inclusief gravure.")
P("mastodon", "@oma_helpdesk@mastodon.nl", "en", [],
  "Password tip for my parents' generation: use a passphrase, not the dog's name plus 123. And no, your funeral insurer never needs your bank password. Ever.")
P("x", "@joris_r", "nl", [],
  "Wachtwoord vergeten voor mijn.kalmhaven.nl en de resetmail was er binnen een minuut. Zo hoort het 👌")
P("linkedin", "ruben-dewit-security", "en", [],
  "Great talk at ONE Conference on incident response. Key takeaway: rehearse your breach scenarios long before you need them.")
P("x", "@lindeboog_uitvaart", "nl", [],
  "Ook bij een overlijden in het buitenland regelen wij de repatriëring. Neem contact op via info@lindeboog.nl of 088-2660100.",
  brand="lindeboog")
P("facebook", "annemarie.blom.4", "nl", [],
  "Iemand ervaring met asverstrooiing op de Noordzee? Kalmhaven vraagt €695, een andere aanbieder €650. Scheelt dus weinig.")
P("x", "@cynthia_nl", "en", [],
  "Question for @kalmhaven_zorg: can I add my partner as a beneficiary online or do I need to send in a form?")
P("reddit", "u/branchewatcher", "nl", [],
  "Nieuws: Rustpunt Uitvaart ontslaat 60 mensen na tegenvallende cijfers. Ben benieuwd of de rest van de branche volgt.")
P("x", "@mike_t_nl", "en", [],
  "Kalmhaven's annual report for 2025 is actually an interesting read. Funeral costs are rising way faster than inflation.")
P("x", "@inge_vdb", "en", [],
  "Had the Koffietafel Warm from Kalmhaven after auntie Riek's funeral. €975 for 50 people, well looked after and honestly great soup.")
P("x", "@kalmhaven", "nl", [],
  "Vanaf 1 januari betaalt u voor de Kapitaal 7500 €16,95 per maand, ongewijzigd ten opzichte van dit jaar.")
P("facebook", "ryan.oconnell.ams", "en", [],
  "Kalmhaven had the Hoeve kist at 15% off this month (€1,232.50). Still a lot of money but it was what dad wanted.")
P("x", "@sanne_dev", "nl", [],
  "Leuke talk gezien over JWT's: header.payload.signature, en waarom je nooit 'alg: none' moet accepteren. Slides staan online.")
P("x", "@kalmhaven", "en", [],
  "Scheduled maintenance tonight 23:00–01:00: mijn.kalmhaven.nl may be briefly unavailable. Reporting a death is always possible via 0800-0455.")
P("x", "@gijs_spreekt", "nl", [],
  "Bank weigerde «badiban» en terecht, ik had twee cijfers omgedraaid 🙄 premie voor Kalmhaven nu wel gelukt.")
P("x", "@samira_b", "en", [],
  "Does anyone know if Kalmhaven covers repatriation to Morocco? My father wants to be buried in Nador.")
P("bluesky", "@femkeschouten.bsky.social", "en", [],
  "Our new brand campaign is live! 'Afscheid zoals jij het wilt' — huge thanks to the amazing team who made this happen 💛")
P("x", "@condoleance_corry", "nl", [],
  "Gecondoleerd, familie Postma. Wat een mooie dienst vandaag, de kist Hoeve met al die zonnebloemen erop 🌻")
P("reddit", "u/payout_question", "en", [],
  "They asked for my IBAN over the phone (NL** RABO **** **** 12 for the curious). Is that normal for a funeral insurer payout?")
P("mastodon", "@joostdev@fosstodon.org", "nl", [],
  "Dinsdagtip: gebruik ${DB_PASSWORD} in je compose-file en zet het echte wachtwoord in je secrets manager. Niet in Git. Nooit.")
P("x", "@woodworker_jan", "nl", [],
  "Kist gemaakt voor de vader van een vriend. Alleen zwaluwstaartverbindingen, geen schroef te zien. Zwaar werk, maar het voelde goed.")
P("facebook", "KalmhavenUitvaart", "nl", [],
  "Alles wat u ons vertelt, behandelen wij vertrouwelijk. Zo hoort het bij een afscheid.")
P("x", "@runforhospice", "en", [],
  "Funeral insurer Kalmhaven is sponsoring the hospice run again this year. Nice to see 👏")
P("instagram", "@lou.draws", "en", [],
  "Drew this for my grandma's memorial card 🕊️ Kalmhaven printed it on the Rouwkaarten Linnen and it came out perfect.")
P("linkedin", "kalmhaven-uitvaart-verzekeringen", "nl", [],
  "Kalmhaven publiceert vandaag het halfjaarbericht 2026: premie-inkomen €201 mln, solvabiliteit 182%. Het volledige bericht staat op kalmhaven.nl/investors.",
  at="2026-08-20T07:00:00+02:00")
P("linkedin", "ruben-dewit-security", "en", [],
  "We're hiring a security engineer! Hybrid, Utrecht. Apply via vacatures@kalmhaven.nl")
P("threads", "@anouk.kalmhaven", "nl", [],
  "Vandaag een mevrouw van 96 aan de lijn die me bedankte voor 'het fijnste telefoongesprek van de week'. Daarom doe ik dit werk 🥹")
P("youtube", "@uitvaartvlog", "nl", [],
  "Nieuwe video: wat kost een uitvaart in 2026? We vergelijken pakketten van vijf aanbieders, waaronder Afscheid Basis van Kalmhaven (€3.495).")
P("x", "@expat_mum_ams", "en", [],
  "Went to a Dutch funeral for the first time today. Coffee, cake and a very calm funeral director from Kalmhaven. Strangely comforting.")
P("reddit", "u/devops_daan", "en", [],
  "Our CI kept leaking a fake token in logs — turned out it was the placeholder ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx from the README. Mystery solved, nothing to rotate.")
P("x", "@lindeboog_uitvaart", "nl", [],
  "Bij Lindeboog kunt u kiezen voor de Terra eco-kist (€495) of de Zacht Riet mand (€985). Ook andere wensen bespreken we graag.",
  brand="lindeboog")
P("x", "@tom_herinnert", "en", [],
  "A year ago today we said goodbye to dad. Still wear the Sterrenstof pendant every day. Miss you, old man.")

# --------------------------------------------------------------------------
# build
# --------------------------------------------------------------------------
SEV_ORDER = ["none", "info", "warning", "error", "critical"]


def severity(cats, role, checksum_id):
    best = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                s = "error"
                if c in ("leak.secret", "leak.pricing"):
                    s = "critical"
                if c == "leak.pii" and checksum_id:
                    s = "critical"
            else:
                s = "warning"
        elif c == "reputation.complaint":
            s = "warning"
        elif c == "reputation.crisis":
            s = "error"
        elif c == "reputation.abuse":
            s = "error" if role in ("corporate", "employee") else "warning"
        else:
            raise AssertionError(c)
        best = max(best, SEV_ORDER.index(s))
    return SEV_ORDER[best]


HOURS = [7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 0, 1]
HOUR_W = [2, 4, 5, 5, 5, 6, 6, 5, 5, 5, 5, 5, 6, 7, 7, 6, 4, 2, 1]


def rand_time():
    """A local Amsterdam time in 2026, mostly waking hours; written in UTC or with offset."""
    day = dt.date(2026, 1, 2) + dt.timedelta(days=rng.randint(0, 360))
    hour = rng.choices(HOURS, HOUR_W)[0]
    local = dt.datetime(day.year, day.month, day.day, hour, rng.randint(0, 59), rng.randint(0, 59))
    dst = dt.datetime(2026, 3, 29, 2) <= local < dt.datetime(2026, 10, 25, 3)
    off = 2 if dst else 1
    aware = local.replace(tzinfo=dt.timezone(dt.timedelta(hours=off)))
    if rng.random() < 0.5:
        return aware.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return aware.strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"


def make_id(platform, used):
    while True:
        if platform in ("x", "twitter"):
            i = f"x-{rng.randint(10**18, 2 * 10**18)}"
        elif platform == "reddit":
            i = "reddit-t3_" + rand(string.ascii_lowercase + string.digits, 7)
        elif platform == "mastodon":
            i = f"mastodon-{rng.randint(10**17, 10**18)}"
        elif platform == "bluesky":
            i = "bsky-3l" + rand(string.ascii_lowercase + "234567", 11)
        else:
            i = f"{platform}-{rng.randint(10**9, 10**12)}"
        if i not in used:
            used.add(i)
            return i


def url_for(platform, handle, pid):
    h = handle.lstrip("@")
    if platform == "x":
        return f"https://x.com/{h}/status/{pid.split('-', 1)[1]}"
    if platform == "reddit":
        return f"https://www.reddit.com/comments/{pid.split('_', 1)[1]}"
    if platform == "instagram":
        return f"https://www.instagram.com/p/{rand(B64URL, 11)}/"
    return None


def build():
    order = list(range(len(CASES)))
    rng.shuffle(order)
    used, out, meta = set(), [], []
    for idx in order:
        c = CASES[idx]
        kinds_used = []

        def sub(m):
            kinds_used.append(m.group(1))
            return gen(m.group(1))

        text = TOKEN.sub(sub, c["text"])
        role = role_of(c["platform"], c["handle"])
        checksum_id = any(k in CHECKSUM_KINDS for k in kinds_used)
        pid = make_id(c["platform"], used)
        post = {"id": pid, "platform": c["platform"], "kind": c["kind"],
                "account": {"handle": c["handle"]},
                "text": text, "lang": c["lang"],
                "created_at": c["at"] or rand_time()}
        if c["name"]:
            post["account"]["display_name"] = c["name"]
        u = url_for(c["platform"], c["handle"], pid)
        if u and rng.random() < 0.6:
            post["url"] = u
        post["brand"] = c["brand"] or "kalmhaven"
        expect = {"categories": c["cats"], "severity": severity(c["cats"], role, checksum_id)}
        out.append({"post": post, "expect": expect})
        meta.append({"role": role, "kinds": kinds_used})
    return out, meta


# --------------------------------------------------------------------------
# self-checks
# --------------------------------------------------------------------------
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
CATS = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
        "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"}
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")

IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\w+])(?:\d{4}[ -]?\d{4}[ -]?\d{4}[ -]?\d{4}|\d{4}[ -]?\d{6}[ -]?\d{5})(?!\w)")
BSN_RE = re.compile(r"(?<![\w.])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
PHONE_RE = re.compile(r"(?<![\w])\+?\(?\d[\d\s\-()]{7,}\d(?![\w])")
SECRET_RES = [
    re.compile(r"\bgh[pousr]_[0-9A-Za-z]{36}\b"),
    re.compile(r"\bAKIA[A-Z2-7]{16}\b"),
    re.compile(r"\bsk_live_[0-9A-Za-z]{24,}"),
    re.compile(r"\bxox[abpr]-\d+-\d+-[0-9A-Za-z]+"),
    re.compile(r"\bsk-proj-[\w-]{20,}"),
    re.compile(r"\bsk-ant-api\d\d-[\w-]{20,}"),
    re.compile(r"\bAIza[\w-]{35}"),
    re.compile(r"\bglpat-[\w-]{20}"),
    re.compile(r"\bSG\.[\w-]{22}\.[\w-]{43}"),
    re.compile(r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+"),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"\w+://[^\s:/@]+:[^\s@/]+@"),
    re.compile(r"(?i)\b(?:wachtwoord|password|passwd|pwd|ww)\s*[:=]\s*\S{4,}"),
]
ZW = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)


def norm(s):
    return unicodedata.normalize("NFKC", s).translate(ZW).lower()


def parse_amounts(text):
    vals = []
    for m in re.finditer(r"€\s?(\d[\d.,]*\d|\d)", text):
        s = m.group(1)
        if "," in s and "." in s:
            dec = max(s.rfind(","), s.rfind("."))
            s = re.sub(r"[.,]", "", s[:dec]) + "." + s[dec + 1:]
        elif "," in s or "." in s:
            sep = "," if "," in s else "."
            head, _, tail = s.rpartition(sep)
            if len(tail) == 3:
                s = s.replace(sep, "")
            else:
                s = head.replace(sep, "") + "." + tail
        tail = text[m.end():m.end() + 5].lower()
        if re.match(r"\s?(mln|m\b|mld|k\b)", tail):
            continue
        vals.append(float(s))
    return vals


def products_in(text):
    t = norm(text)
    hits = []
    for p in PROFILE["products"]:
        names = [p["name"]] + p.get("aliases", [])
        if any(re.search(r"(?<!\w)" + re.escape(n.lower()) + r"(?!\w)", t) for n in names):
            hits.append(p)
    return hits


def digits(s):
    d = re.sub(r"\D", "", s)
    if d.startswith("0031"):
        d = "0" + d[4:]
    elif s.strip().startswith("+31"):
        d = "0" + d[2:]
    return d


def check(out, meta):
    errs = []
    pub = PROFILE["public_identifiers"]
    pub_ibans = {re.sub(r"\s", "", i) for i in pub["ibans"]}
    pub_emails = {e.lower() for e in pub["emails"]}
    pub_phones = {digits(p) for p in pub["phones"]}
    embargo = [(t.lower(), dt.datetime.fromisoformat(e["until"].replace("Z", "+00:00")))
               for e in PROFILE["embargo"] for t in e["terms"]]
    internal = [norm(x) for x in PROFILE["internal"]["domains"] + PROFILE["internal"]["codenames"]
                + PROFILE["internal"]["markers"]]
    ids = set()
    n = len(out)
    if not 170 <= n <= 180:
        errs.append(f"case count {n} not in 170..180")
    for case, m in zip(out, meta):
        line = json.dumps(case, ensure_ascii=False)
        back = json.loads(line)
        post, exp = back["post"], back["expect"]
        pid = post.get("id")
        tag = pid
        if not isinstance(pid, str) or not 1 <= len(pid) <= 256:
            errs.append(f"{tag}: bad id")
        if pid in ids:
            errs.append(f"{tag}: duplicate id")
        ids.add(pid)
        if post.get("platform") not in PLATFORMS:
            errs.append(f"{tag}: bad platform")
        if post.get("kind", "post") not in KINDS:
            errs.append(f"{tag}: bad kind")
        if not isinstance(post.get("account", {}).get("handle"), str):
            errs.append(f"{tag}: no handle")
        text = post.get("text")
        if not isinstance(text, str) or len(text.encode()) > 65536 or not text:
            errs.append(f"{tag}: bad text")
        if not RFC3339.match(post.get("created_at", "")):
            errs.append(f"{tag}: bad created_at")
        when = dt.datetime.fromisoformat(post["created_at"].replace("Z", "+00:00"))
        if not (2026 <= when.year <= 2027):
            errs.append(f"{tag}: year")
        if set(back) != {"post", "expect"} or set(exp) != {"categories", "severity"}:
            errs.append(f"{tag}: shape")
        cats = exp["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= CATS:
            errs.append(f"{tag}: categories {cats}")
        if exp["severity"] not in SEV_ORDER:
            errs.append(f"{tag}: severity")
        role = role_of(post["platform"], post["account"]["handle"])
        if role != m["role"]:
            errs.append(f"{tag}: role mismatch")
        if (cats == []) != (exp["severity"] == "none"):
            errs.append(f"{tag}: benign/none mismatch")
        positive = bool(cats)
        # checksummed identifiers
        stripped = text
        for mm in IBAN_RE.finditer(text):
            raw = mm.group(0)
            compact = re.sub(r"\s", "", raw)
            if compact[:2] not in IBAN_LEN:
                continue
            stripped = stripped.replace(raw, " ")
            if compact in pub_ibans:
                continue
            ok = iban_ok(compact)
            if positive and not ok:
                errs.append(f"{tag}: positive with failing IBAN {raw}")
            if not positive and ok:
                errs.append(f"{tag}: benign with valid IBAN {raw}")
            if ok and "leak.pii" not in cats:
                errs.append(f"{tag}: valid IBAN without leak.pii")
        for mm in CARD_RE.finditer(stripped):
            ok = luhn_ok(mm.group(0))
            if positive and not ok:
                errs.append(f"{tag}: positive with failing card {mm.group(0)}")
            if not positive and ok:
                errs.append(f"{tag}: benign with Luhn-valid card {mm.group(0)}")
            if ok and "leak.pii" not in cats:
                errs.append(f"{tag}: card without leak.pii")
            stripped = stripped.replace(mm.group(0), " ")
        for mm in BSN_RE.finditer(stripped):
            ok = bsn_ok(mm.group(0))
            if positive and not ok:
                errs.append(f"{tag}: positive with failing BSN-like {mm.group(0)}")
            if not positive and ok:
                errs.append(f"{tag}: benign with 11-proof number {mm.group(0)}")
            if ok and "leak.pii" not in cats:
                errs.append(f"{tag}: BSN without leak.pii")
            stripped = stripped.replace(mm.group(0), " ")
        if any(k in CHECKSUM_KINDS for k in m["kinds"]) and "leak.pii" not in cats:
            errs.append(f"{tag}: generated identifier without leak.pii")
        if any(k in LOOKALIKE_KINDS for k in m["kinds"]) and positive:
            errs.append(f"{tag}: look-alike in a positive")
        # contact data outside pii/secret cases must be the company's own
        if "leak.pii" not in cats and "leak.secret" not in cats:
            for mm in EMAIL_RE.finditer(text):
                if mm.group(0).lower() not in pub_emails:
                    errs.append(f"{tag}: foreign e-mail {mm.group(0)}")
            for mm in PHONE_RE.finditer(stripped):
                d = digits(mm.group(0))
                if len(d) >= 9 and d not in pub_phones:
                    errs.append(f"{tag}: phone-like number {mm.group(0)!r}")
        # credentials
        found = [r.pattern for r in SECRET_RES if r.search(text)]
        for tok in re.findall(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", text):
            if positive and not gh_ok(tok):
                errs.append(f"{tag}: GitHub token with bad CRC")
        for tok in re.findall(r"\bAKIA[A-Z2-7]{16}\b", text):
            if "EXAMPLE" in tok and positive and "leak.secret" in cats and len(found) == 1:
                errs.append(f"{tag}: only a sample AWS key in a secret case")
        for tok in re.findall(r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+", text):
            if not jwt_ok(tok):
                errs.append(f"{tag}: JWT header without alg")
        if "leak.secret" in cats and not found:
            errs.append(f"{tag}: secret case without credential")
        if "leak.secret" not in cats:
            real = [p for p in found]
            if any("AKIA" in p for p in real) and "EXAMPLE" in text:
                real = [p for p in real if "AKIA" not in p]
            # documentation placeholders (ghp_xxxx…) are sample keys, not credentials
            if all(re.fullmatch(r"gh[pousr]_x{36}", t) for t in re.findall(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", text)):
                real = [p for p in real if "gh[pousr]" not in p]
            for t in re.findall(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", text):
                if gh_ok(t):
                    errs.append(f"{tag}: valid GitHub token in a non-secret case")
            if real:
                errs.append(f"{tag}: credential pattern outside a secret case: {real}")
        # internal terms, embargo
        nt = norm(text)
        if not positive:
            for term in internal:
                if re.search(r"(?<!\w)" + re.escape(term) + r"(?!\w)", nt):
                    errs.append(f"{tag}: benign contains internal term {term!r}")
            for term, until in embargo:
                if term in nt and when < until:
                    errs.append(f"{tag}: benign contains embargoed {term!r} before until")
        # prices
        prods = products_in(text)
        amounts = parse_amounts(text)
        if "leak.pricing" in cats:
            low = any(a < PROFILE["pricing"]["alert_below_ratio"] * p["list_price"]
                      for p in prods for a in amounts)
            talk = re.search(r"(?i)prijsfout|price error|glitch|decimal error|verkeerde prijs", text)
            if not prods or not (low or talk):
                errs.append(f"{tag}: pricing case without product + low price / error talk")
        elif len(prods) == 1:
            lp = prods[0]["list_price"]
            for a in amounts:
                if a < PROFILE["pricing"]["alert_below_ratio"] * lp:
                    errs.append(f"{tag}: non-pricing case with low price {a} for {prods[0]['name']}")
        # severity recomputed independently of build()
        cs = any(k in CHECKSUM_KINDS for k in m["kinds"])
        if exp["severity"] != severity(cats, role, cs):
            errs.append(f"{tag}: severity mismatch")
    return errs


def main():
    out, meta = build()
    errs = check(out, meta)
    path = os.path.join(HERE, "cases.jsonl")
    with open(path, "w", encoding="utf-8") as fh:
        for c in out:
            fh.write(json.dumps(c, ensure_ascii=False) + "\n")
    # summary
    from collections import Counter
    cat = Counter(c for o in out for c in o["expect"]["categories"])
    benign = sum(1 for o in out if not o["expect"]["categories"])
    lang = Counter(o["post"]["lang"] for o in out)
    roles = Counter(m["role"] for m in meta)
    sev = Counter(o["expect"]["severity"] for o in out)
    print(f"{len(out)} cases, {benign} benign, {len(out) - benign} positive")
    print("categories:", dict(sorted(cat.items())))
    print("lang:", dict(lang), "roles:", dict(roles), "severity:", dict(sev))
    if errs:
        print("SELF-CHECK FAILED:")
        for e in errs:
            print("  ", e)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
