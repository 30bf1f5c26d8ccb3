#!/usr/bin/env python3
"""Build the labelled evaluation set sealed432 (Kroonhof Ciderij B.V.).

Deterministic: a fixed seed drives every random identifier, token, id and timestamp.
Writes cases.jsonl next to this file and checks it:
  * every line is a valid CONTRACT section 6 case;
  * every IBAN / payment card / BSN in a positive passes its checksum, every look-alike
    in a benign post fails it (the company's own published IBAN excepted);
  * generated credentials are built the way the real ones are (GitHub CRC-32, JWT header);
  * severities follow CONTRACT section 4, computed from the account role in profile.yaml;
  * embargo terms appear before `until` only in confidential positives;
  * benign posts carry no codename, marker, internal host, private e-mail or phone,
    and no profile product priced below the alert ratio.
Standard library + PyYAML only.
"""
import base64
import datetime as dt
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
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))
OUT = os.path.join(HERE, "cases.jsonl")
rng = random.Random(43217)

CAT = {
    "sec": "leak.secret", "pii": "leak.pii", "prc": "leak.pricing",
    "conf": "leak.confidential", "fin": "leak.financial", "secu": "leak.security",
    "cri": "reputation.crisis", "cmp": "reputation.complaint", "abu": "reputation.abuse",
}
SEV = ["none", "info", "warning", "error", "critical"]
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube",
             "reddit", "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}

# ----------------------------------------------------------------------------
# identifier generators (valid and look-alike)
# ----------------------------------------------------------------------------
ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base62 order
B64URL = string.ascii_letters + string.digits + "-_"


def iban_valid(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def nl_iban(valid=True, grouped=None):
    bank = rng.choice(["RABO", "INGB", "ABNA", "TRIO", "SNSB", "ASNB", "KNAB", "BUNQ"])
    acct = "".join(rng.choice(string.digits) for _ in range(10))
    n = int("".join(str(int(c, 36)) for c in bank + acct + "NL00"))
    chk = 98 - n % 97
    if not valid:
        chk = (chk + rng.randint(1, 90)) % 97 + 2
        if chk == 98 - n % 97:
            chk = (chk % 97) + 1
    s = "NL%02d%s%s" % (chk, bank, acct)
    if valid != iban_valid(s):
        return nl_iban(valid, grouped)
    if grouped is None:
        grouped = rng.random() < 0.6
    if grouped:
        s = " ".join(s[i:i + 4] for i in range(0, len(s), 4))
    return s


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


def card(prefix, length=16, valid=True, sep=" "):
    while True:
        body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix)))
        if luhn_ok(body) == valid:
            return sep.join(body[i:i + 4] for i in range(0, len(body), 4))


def bsn_ok(num):
    d = re.sub(r"\D", "", num)
    if len(d) != 9:
        return False
    tot = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return tot % 11 == 0 and d[0] != "0"


def bsn(valid=True, dotted=False):
    while True:
        d = str(rng.randint(1, 6)) + "".join(rng.choice(string.digits) for _ in range(8))
        if bsn_ok(d) == valid:
            return d[:4] + "." + d[4:6] + "." + d[6:] if dotted else d


def base62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out.rjust(width, "0")


def gh_token(prefix="ghp_"):
    body = "".join(rng.choice(ALNUM) for _ in range(30))
    return prefix + body + base62(zlib.crc32(body.encode()) & 0xFFFFFFFF, 6)


def gh_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and base62(zlib.crc32(m.group(1).encode()) & 0xFFFFFFFF, 6) == m.group(2)


def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


def aws_id():
    return "AKIA" + rand(string.ascii_uppercase + "234567", 16)


def aws_secret():
    return rand(string.ascii_letters + string.digits + "/+", 40)


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt():
    header = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    iat = 1767225600 + rng.randint(0, 30000000)
    payload = b64u(json.dumps({"sub": str(rng.randint(1000, 9999)), "role": "admin",
                               "shop": "kroonhof", "iat": iat, "exp": iat + 86400},
                              separators=(",", ":")).encode())
    sig = b64u(bytes(rng.getrandbits(8) for _ in range(32)))
    return header + "." + payload + "." + sig


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    h = parts[0] + "=" * (-len(parts[0]) % 4)
    try:
        return "alg" in json.loads(base64.urlsafe_b64decode(h))
    except Exception:
        return False


def openssh_key():
    def sstr(b):
        return struct.pack(">I", len(b)) + b
    pub = bytes(rng.getrandbits(8) for _ in range(32))
    blob = sstr(b"ssh-ed25519") + sstr(pub)
    chk = struct.pack(">I", rng.getrandbits(32))
    priv = chk + chk + sstr(b"ssh-ed25519") + sstr(pub) + \
        sstr(bytes(rng.getrandbits(8) for _ in range(32)) + pub) + sstr(b"joris@build01") + b"\x01\x02\x03"
    raw = b"openssh-key-v1\x00" + sstr(b"none") + sstr(b"none") + sstr(b"") + \
        struct.pack(">I", 1) + sstr(blob) + sstr(priv)
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + \
        "\n-----END OPENSSH PRIVATE KEY-----"


def url_password():
    word = rng.choice(["Elstar", "Boskoop", "Jonagold", "Kelder", "Linge"])
    return word + rng.choice("!*-_.") + str(rng.randint(10, 99)) + rand(string.ascii_letters, 4)


def password():
    word = rng.choice(["Elstar", "Boskoop", "Goudrenet", "Jonagold", "Kelder", "Linge", "Perzik"])
    return word + rng.choice("!#$%*") + str(rng.randint(10, 99)) + rand(string.ascii_letters, 3) + str(rng.randint(0, 9))


GEN = {
    "IBAN_NL": lambda: nl_iban(True),
    "IBAN_BAD": lambda: nl_iban(False, grouped=True),
    "CARD_VISA": lambda: card("4"),
    "CARD_MC": lambda: card(rng.choice(["51", "52", "53", "54", "55"])),
    "CARD_BAD": lambda: card(rng.choice(["4", "5"]), valid=False),
    "BSN": lambda: bsn(True),
    "BSN_DOT": lambda: bsn(True, dotted=True),
    "BSN_BAD": lambda: bsn(False),
    "GHP": lambda: gh_token("ghp_"),
    "GHO": lambda: gh_token("gho_"),
    "AWS_ID": aws_id,
    "AWS_SECRET": aws_secret,
    "MOLLIE": lambda: "live_" + rand(string.ascii_letters + string.digits, 30),
    "STRIPE": lambda: "sk_live_51" + rand(string.ascii_letters + string.digits, 96),
    "SLACK": lambda: "xoxb-%d-%d-%s" % (rng.randint(10**11, 10**12 - 1), rng.randint(10**12, 10**13 - 1),
                                        rand(string.ascii_letters + string.digits, 24)),
    "OPENAI": lambda: "sk-proj-" + rand(B64URL, 74) + "T3BlbkFJ" + rand(B64URL, 74),
    "ANTHROPIC": lambda: "sk-ant-api03-" + rand(B64URL, 93) + "AA",
    "SENDGRID": lambda: "SG." + rand(B64URL, 22) + "." + rand(B64URL, 43),
    "JWT": jwt,
    "PEM": openssh_key,
    "PW": password,
    "PWURL": url_password,
    "PUBLIC_IBAN": lambda: " ".join([PROFILE["public_identifiers"]["ibans"][0][i:i + 4]
                                     for i in range(0, 18, 4)]),
}
VALID_CHECKSUM_KINDS = {"IBAN_NL", "CARD_VISA", "CARD_MC", "BSN", "BSN_DOT"}
LOOKALIKE_KINDS = {"IBAN_BAD", "CARD_BAD", "BSN_BAD"}
SECRET_KINDS = {"GHP", "GHO", "AWS_ID", "AWS_SECRET", "MOLLIE", "STRIPE", "SLACK", "OPENAI",
                "ANTHROPIC", "SENDGRID", "JWT", "PEM", "PW", "PWURL"}

ZW = "\u200b"

# ----------------------------------------------------------------------------
# the posts: (platform, handle, categories, lang, text, options)
# ----------------------------------------------------------------------------
CASES = []


def C(platform, handle, cats, lang, text, kind="post", at=None):
    CASES.append(dict(platform=platform, handle=handle,
                      cats=sorted(CAT[c] for c in cats.split()) if cats else [],
                      lang=lang, text=text, kind=kind, at=at))


# ---- complaints -------------------------------------------------------------
C("x", "@tiel_expat_mike", "cmp", "en",
  "@kroonhof_service ordered the tasting box on 3 June (#KH-58213), it's now the 14th and still nothing. "
  "Tracking has said 'at sorting centre' for a week. Should I just come and pick it up myself?",
  kind="reply")
C("instagram", "@cider_sarah", "cmp", "en",
  "Ordered the Cadeaukist for my dad's birthday and it arrived with two bottles smashed, the whole box "
  "soaked and reeking of cider. Gift ruined. Not impressed @kroonhofcider")
C("x", "@betuwe_bert", "cmp", "nl",
  "Fles Brut Cider opengetrokken voor de bbq en er zat gewoon 0,0 prik in. Plat als een dubbeltje. "
  "Tweede keer deze maand @kroonhof_cider, wat is er aan de hand met jullie batches?")
C("facebook", "marjolein.dekker.52", "cmp", "nl",
  "Appelsap Troebel van Sapmolen gekocht bij de boerderijwinkel, THT nog tot oktober, maar het smaakt "
  "zuur en een beetje naar azijn 🤢 Weggegooid. Beetje jammer voor €3,49.")
C("reddit", "u/throwaway_cidergeek", "cmp", "en",
  "PSA: cancelling the Kroonhof cider subscription is a nightmare. No button on the account page, "
  "emailed twice, got charged €29.95 again this month. Has anyone actually managed to get out?")
C("facebook", "ans.uit.zetten", "cmp", "nl",
  "Vanmiddag in de boerderijwinkel van Kroonhof. Vroeg iets over de perencider en de jongen achter de "
  "kassa rolde letterlijk met z'n ogen en liep weg. Zo behandel je toch geen klanten??")
C("x", "@jamie_in_tiel", "cmp", "en",
  "Returned 3 crates of empties to @kroonhof_cider and the deposit would be refunded 'within 5 working "
  "days'. That was April. It's now July. Hello??")
C("instagram", "@dutchfoodie.amy", "cmp", "en",
  "We drove an hour for the orchard tour + tasting, got there and a sign on the gate said cancelled. "
  "No email, no text, and three weeks later still no refund for the 2 tickets (€45). Lovely cider, "
  "terrible organisation.")
C("x", "@mamavan3_", "cmp", "nl",
  "Besteld: 2x Ginger Shot 6-pack. Gekregen: 2x kindersapjes 🙄 Leuk voor de kids maar ik wilde echt "
  "mijn gembershots. @kroonhof_service graag even omruilen")
C("x", "@patrickvdh", "cmp", "en",
  "@kroonhof_service emailed two weeks ago, called twice, nobody picks up or replies. Is anyone actually "
  "still working in your customer service?", kind="reply")
C("facebook", "gerda.hofman.tiel", "cmp", "nl",
  "In jullie eigen winkel een pak Appel-Peer sap gekocht, thuis zie ik dat de THT al 3 weken "
  "verstreken is. Pak bolde ook een beetje op. Wordt dat schap nooit gecontroleerd?", kind="comment")
C("x", "@tom_in_utrecht", "cmp", "en",
  "Tried to order from shop.kroonhof-cider.nl 4 times tonight, iDEAL keeps bouncing me back to an "
  "empty cart. Gave up. Guess I'll buy some other cider then 🤷")
C("tiktok", "@roosjebakt", "cmp", "nl",
  "POV: je bestelt een 20L fust voor je verjaardag en het komt een dag TE LAAT aan 🙃 feestje zonder "
  "cider dus. bedankt kroonhof #fail")
C("x", "@lisa_cooks_nl", "cmp", "en",
  "Every single cap on the Kindersapjes leaks, my whole shopping bag is sticky. Third pack in a row. "
  "Quality control please @kroonhof_cider")
# complaint + crisis: first-hand harm
C("facebook", "ilse.brouwer.1984", "cmp cri", "nl",
  "Gisteravond ontplofte er een fles Kroonhof Rosé Cider in onze keukenkast. Glas tot in de gang, mijn "
  "man heeft een flinke snee in zijn hand en moest naar de huisartsenpost voor hechtingen. Stond gewoon "
  "netjes koel en donker. Dit is echt gevaarlijk @KroonhofCiderij")
C("x", "@sophie_wrt", "cmp cri", "en",
  "Drank a glass of the Sapmolen cloudy apple juice yesterday and spent the whole night throwing up, my "
  "partner too. The carton tasted weirdly fizzy. Never again, I've reported it to the NVWA.")
C("instagram", "@noor.en.finn", "cmp cri", "nl",
  "Glassplinter in een flesje van de Kindersapjes 😡😡 mijn zoontje (4) heeft een bloedende lip. Foto's "
  "van de splinter en de fles bewaard. @kroonhofcider @sapmolen.sap hoe kan dit??")
C("reddit", "u/hives_and_sulphites", "cmp cri", "en",
  "Had a proper allergic reaction after Kroonhof's pear cider at a wedding - hives, tight throat, needed "
  "my inhaler. It's full of sulphites and nothing on the bar menu said so. Seriously not ok.")
C("x", "@danielakoops", "cmp cri", "en",
  "Cap of an IJscider bottle shot off when I opened it and hit my girlfriend right next to her eye. Huge "
  "bruise. That thing shouldn't be under that much pressure, right?? @kroonhof_cider")
# complaint + abuse
C("x", "@boze_bas", "cmp abu", "nl",
  "Drie weken wachten op een proefpakket en dan krijg je een kapotte doos. Kutbedrijf. Kroonhof kan "
  "de pot op.")
C("x", "@gazza_bristol", "cmp abu", "en",
  "@kroonhof_service you useless bunch of idiots, third time you've sent me the wrong order. Do any of "
  "you actually read?", kind="reply")
# complaint + pii (customer exposing own data)
C("x", "@karin_vos71", "cmp pii", "nl",
  "@kroonhof_service al drie keer beloofd dat jullie me terugbellen over die verkeerde levering. Nu "
  "nog één keer: 06-48213957, ik ben de hele dag thuis.", kind="reply")
C("facebook", "wim.jacobs.77", "cmp pii", "en",
  "Kroonhof charged my card twice for the same subscription box. Here's the full number so you can "
  "find it: «CARD_VISA». Please refund ONE of the two €29.95 payments, it's been a week.",
  kind="comment")

# ---- crisis (third party / no own complaint) ----------------------------------
C("x", "@betuwenieuws", "cri", "nl",
  "Kroonhof Ciderij roept een partij Sapmolen Appelsap Troebel (THT 12-03-2027) terug: er is een "
  "verhoogde waarde patuline gevonden. Klanten kunnen de pakken terugbrengen in de winkel.")
C("x", "@fairfruit_now", "cri", "en",
  "Seasonal workers in Kroonhof's orchards: 12-hour days and €200 a week 'housing' for a bunk bed in a "
  "barn. Time to #boycottkroonhof. Share this.")
C("reddit", "u/datahoarder_nl", "cri", "en",
  "Heads up if you ever ordered from Kroonhof cider: a dump with names, addresses and order histories "
  "from their webshop is being sold on a forum. They haven't said a word about it. They got breached, "
  "full stop.")
C("facebook", "DorpsbelangenHien", "cri", "nl",
  "De bewonersvereniging heeft vandaag de dagvaarding laten betekenen: we slepen Kroonhof voor de "
  "rechter vanwege het spuiten vlak naast de basisschool. Onze kinderen verdienen beter.")
C("x", "@craftcidercritic", "cri", "en",
  "So the 'hand-pressed, estate-grown' Kroonhof cider is made from imported apple concentrate that "
  "arrives by tanker. Absolute scandal for a brand that sells itself on the orchard. #greenwashing")
C("x", "@festivalmeldingen", "cri", "nl",
  "Op festival Dijkpop is een 17-jarige naar het ziekenhuis gebracht nadat ze cider van de "
  "Kroonhof-bar had gedronken. De organisatie onderzoekt of er iets mis was met het fust.")
C("facebook", "RegioNieuwsBetuwe", "cri", "nl",
  "Grote brand in de opslagloods van Kroonhof Ciderij aan de Lingedijk. Twee medewerkers zijn "
  "nagekeken door ambulancepersoneel. Rook trekt over Tiel, houd ramen en deuren dicht.")
C("x", "@voedselalert", "cri", "nl",
  "NVWA doet onderzoek bij Kroonhof in Tiel na meerdere meldingen van buikklachten na het drinken van "
  "hun appelsap. Het bedrijf wil nog niet reageren.")
C("x", "@sanne_writes", "cri", "en",
  "A bottle of Kroonhof cider just exploded on its own in my neighbour's utility room yesterday. Luckily "
  "nobody was standing next to it. Didn't even know cider could do that?!")
C("x", "@lingewater_nl", "cri", "nl",
  "Kroonhof loost spoelwater met bestrijdingsmiddelen gewoon in de Linge. " +
  "В\u041eYC\u041eTT ze 🍏☠️ #lingeschoon")  # Cyrillic В and О in BOYCOTT

# ---- abuse ---------------------------------------------------------------------
C("x", "@gijs_brom", "abu", "nl",
  "Die Lotte van Kroonhof is echt een dom wijf, elke reactie van haar is copy-paste gelul")
C("x", "@angrycidr", "abu", "en",
  "Fuck Kroonhof and fuck their overpriced apple piss.")
C("facebook", "henk.meulenbelt", "abu", "nl",
  "Bij Kroonhof achter de kassa alleen nog maar hoofddoekjes en buitenlanders. Ga eerst eens fatsoenlijk "
  "Nederlands leren, stelletje profiteurs.", kind="comment")
C("x", "@kr0nkel", "abu", "nl",
  "st0mme kl00tz4kk3n bij kr00nh0f, j4ll13 z1jn gewoon 4fz3tt3rs")
C("x", "@ciderhater2", "abu", "nl",
  "Kroonhof = t.y.f.u.s.b.e.d.r.i.j.f. En die eigenaar is een k.a.n.k.e.r.l.i.j.e.r.")
C("instagram", "@rdeboer_", "abu", "en",
  "kroonhof's social media team are a bunch of wan" + ZW + "k" + ZW + "ers", kind="comment")
C("x", "@mrvlek", "abu", "nl",
  "Medewerkers van Kroonhof zijn stuk voor stuk \u0456d\u0456\u043et\u0435n.")  # Cyrillic і о е
C("x", "@anoniempje321", "abu", "nl",
  "@youssef_elk ik weet waar je je fiets neerzet na je dienst in de winkel. Kijk vanavond maar goed uit.",
  kind="reply")
C("x", "@bram_ommen", "abu", "nl",
  "@kees_klaagt doe eens normaal man, zeurpiet. Als je te dom bent om een kurk uit een fles te krijgen "
  "moet je gewoon bier gaan zuipen.", kind="reply")
C("facebook", "KroonhofCiderij", "abu", "nl",
  "Meneer, met alle respect, maar u bent gewoon een ordinaire zuurpruim die liegt over zijn bestelling. "
  "Ga lekker ergens anders zeuren.", kind="reply")

# ---- confidential ------------------------------------------------------------------
C("x", "@lottevdlinde", "conf", "nl",
  "Vandaag al een slokje Project Kelderlicht mogen proeven 🤫🍐 jullie gaan dit zó leuk vinden volgend voorjaar")
C("threads", "@ellen.kroonhof", "conf", "en",
  "Cannot WAIT for you all to try Perry Reserve. Labels just came back from the printer and they're "
  "gorgeous 😍", at="2026-11-05T15:42:10Z")
C("instagram", "@sapmolen.sap", "conf", "nl",
  "Er is iets nieuws in de maak... 🫚✨ Sapmolen Gember-Kombucha, binnenkort in de winkel! #sapmolen",
  at="2027-01-20T10:05:00+01:00")
C("bluesky", "@jorisdev.bsky.social", "conf", "nl",
  "Tip voor nieuwe collega's: de pluklijsten staan nu op https://wiki.kroonhof.local/oogst/pluklijsten-2026, "
  "niet meer in de gedeelde map 👍")
C("linkedin", "anouk-verhulst-kroonhof", "conf", "nl",
  "Trots op onze nieuwe verlofregeling! Alvast de samenvatting uit de memo: [KROONHOF-INTERN] per 1 januari "
  "krijgt iedereen twee extra oogstverlofdagen en vervalt de regeling voor seizoenskrachten.")
C("x", "@appeltaartjan", "conf", "en",
  "My brother-in-law works at Kroonhof and says they're busy with 'Operatie Mispel', something about a "
  "second site. Exciting!")
C("instagram", "@mieke.plukt", "conf", "nl",
  "Lange dag in de nieuwe perenhoek voor \uff3a\uff49\uff4c\uff56\uff45\uff52\uff4c\uff49\uff4e\uff47 🍐💪 "
  "niemand mag nog weten wat het wordt hihi")
C("x", "@youssef_elk", "conf", "nl",
  "collega's fluisteren allemaal over K.e.l.d.e.r.l.i.c.h.t maar ik mag niks zeggen 🤐🍾")
C("reddit", "u/ruud_kelder", "conf", "en",
  "Found this on the printer at work, thought it was funny: 'Kroonhof con" + ZW + "fidential - do not "
  "forward. Tasting notes batch 14, pear blend trial: smells like wet dog.' 😂")
C("linkedin", "daan-wijers-it", "conf", "en",
  "Migrated our whole ERP to the cloud this weekend 💪 Goodbye erp.kroonhof.local, hello new stack! "
  "#itlife #migration")
C("x", "@bram_ommen", "conf", "nl",
  "Eerste proefdruk van het etiket voor de Perry Reserve, wat vinden jullie? 👀🍐",
  at="2026-10-12T19:20:33+02:00")
C("threads", "@ellen.kroonhof", "conf", "nl",
  "Slide uit de strategiesessie van vandaag (vertrouwelijk - niet delen 🙈): 'in 2027 stoppen we met de "
  "rosé, alle focus op peer'")
C("x", "@kroonhof_cider", "conf", "nl",
  "Proost op het weekend! 🍻 (P.S. team: de briefing voor Project Kelderlicht staat op "
  "gitlab.kroonhof-cider.nl/marketing/kelderlicht)")
C("linkedin", "gert-jan-kroon", "conf fin", "nl",
  "Mooi gesprek gehad vandaag in het kader van Operatie Mispel. Als alles doorgaat zijn we voor de "
  "zomer eigenaar van een sapperij in Zuid-Limburg. 🍎🤝")
C("mastodon", "@sietske@boeren.social", "conf fin", "nl",
  "Jaarcijfers 2026 liggen klaar: omzet €17,4 mln en de winst flink omhoog. Nog twee weken je mond "
  "houden 😅", at="2027-02-10T16:12:00+01:00")
C("x", "@lottevdlinde", "conf fin", "en",
  "FY2026 results are in and the webshop did 41% of total revenue 🎉 can't say more till the 25th",
  at="2027-02-18T08:31:00Z")
C("bluesky", "@jorisdev.bsky.social", "conf secu", "nl",
  "vpn.kroonhof-cider.nl ligt er al sinds 6 uur uit, niemand kan thuiswerken en we hebben geen idee "
  "waarom. Naar buiten toe nog niks gezegd natuurlijk")

# ---- financial ------------------------------------------------------------------------
C("x", "@youssef_elk", "fin", "nl",
  "Sfeer op de zaak is om te snijden, Q3 zit 18% onder budget en de directie gaat 'maatregelen' nemen. "
  "Ik hou m'n hart vast.")
C("linkedin", "anouk-verhulst-kroonhof", "fin", "en",
  "Hardest week of my HR career. We'll be letting 22 people go from the bottling line in March - the "
  "announcement is planned for January, so please keep it to yourselves until then.")
C("x", "@wineguy_ron", "fin", "en",
  "Hearing from a good source that Kroonhof is in talks about being taken over by a Belgian brewing group. "
  "Deal should be done before summer.")
C("mastodon", "@sietske@boeren.social", "fin", "nl",
  "Interne forecast voor 2027: €19-20 mln omzet, EBITDA-marge naar 11%. Als de bank dit ziet zijn ze "
  "blij. Nog niet naar buiten natuurlijk.")
C("x", "@lottevdlinde", "fin", "en",
  "Off the record: customer service moves to an outside agency in Portugal in April, the whole team here "
  "is gone. They don't even know it themselves yet.")
C("reddit", "u/cider_insider_dad", "fin", "en",
  "My dad sits on the Kroonhof board. They're selling off the Sapmolen juice brand, signing is planned "
  "for next quarter. You heard it here first.")
C("mastodon", "@sietske@boeren.social", "fin", "nl",
  "Bank heeft gebeld: we gaan dit kwartaal onder het convenant door. Spannende weken, en niemand buiten "
  "de directie weet het.")
C("linkedin", "gert-jan-kroon", "fin", "en",
  "Merger talks progressing nicely. If all goes well we sign in June and double our pressing capacity "
  "overnight. 🤐")
C("x", "@bram_ommen", "fin", "nl",
  "De boerderijwinkel in Tiel gaat volgend jaar dicht, hoorde het net van de baas. Zonde man. Nog niet "
  "officieel hoor")

# ---- security -------------------------------------------------------------------------
C("bluesky", "@jorisdev.bsky.social", "secu", "en",
  "we've been ransomwared. webshop down for 3 hours now, everything encrypted, management says to call "
  "it 'maintenance' on socials. fun tuesday 🙃")
C("linkedin", "daan-wijers-it", "secu", "en",
  "Last night someone from outside got into our customer database. Still working out how much was taken; "
  "we haven't notified the Dutch DPA yet.")
C("reddit", "u/ruud_kelder", "secu", "en",
  "lol the Kroonhof webshop admin panel is just sitting open at /beheer and the default login still "
  "works. told IT twice. nobody cares apparently 👀")
C("x", "@lottevdlinde", "secu", "nl",
  "3 collega's hebben op die phishingmail geklikt en de mailbox van de webshop is overgenomen. We "
  "resetten alles voordat klanten iets merken 🤞")
C("bluesky", "@jorisdev.bsky.social", "secu", "nl",
  "Het zoekveld in onze webshop is gewoon vatbaar voor SQL-injectie, al maanden gemeld. Iemand met een "
  "beetje kennis trekt zo de hele klantentabel leeg.")
C("reddit", "u/ruud_kelder", "secu", "en",
  "Found out today our payment plugin at Kroonhof writes full card numbers in plaintext to the server "
  "log. Has been like that since the webshop relaunch.")
C("x", "@pentest_pim", "secu", "en",
  "Did a pentest at Kroonhof Ciderij last month: their VPN appliance still runs a version with that "
  "well-known CVE. Just checked and it's STILL not patched 🤦")
C("linkedin", "daan-wijers-it", "secu sec", "en",
  "Our AWS account got hijacked overnight, someone is mining crypto on our bill. This is the key they "
  "used, still active until AWS support calls back: «AWS_ID» / «AWS_SECRET»")
C("x", "@youssef_elk", "secu", "nl",
  "Kassasysteem in de boerderijwinkel ligt er al sinds 8 uur uit, geen pin, geen voorraad. Wij moeten "
  "tegen klanten zeggen dat het een storing bij de bank is 🙄")
C("facebook", "KroonhofCiderij", "secu", "nl",
  "[CONCEPT - niet plaatsen] Sinds vanochtend wordt onze webshop platgelegd door een DDoS-aanval. "
  "Communicatie volgt na overleg met de hostingpartij.")
C("bluesky", "@jorisdev.bsky.social", "secu", "en",
  "the S3 bucket with all our webshop invoices (names, addresses, amounts) turned out to be public since "
  "2024. closed it today. nobody outside knows. yet.")
C("x", "@ex_kroonhof_it", "secu", "en",
  "To my ex-colleagues at Kroonhof: port 3389 to the till server is still open to the internet. Told you "
  "when I left.")

# ---- secrets --------------------------------------------------------------------------
C("bluesky", "@jorisdev.bsky.social", "sec", "en",
  "why does this keep returning 401??\n\ncurl -H \"Authorization: token «GHP»\" "
  "https://api.github.com/repos/kroonhof/webshop/actions/runs")
C("linkedin", "daan-wijers-it", "sec", "nl",
  "Tip voor wie de Mollie-koppeling test: gebruik gewoon onze live key, de testmodus doet raar met "
  "iDEAL. MOLLIE_API_KEY=«MOLLIE»")
C("reddit", "u/ruud_kelder", "sec", "en",
  "can someone tell me why my slack bot won't post the cellar temperatures? token is «SLACK», channel "
  "is #kelder-temps")
C("threads", "@ellen.kroonhof", "sec", "en",
  "Built a little GPT tool that writes our product descriptions 🤖🍎 if anyone on the team wants to try: "
  "OPENAI_API_KEY=«OPENAI»")
C("bluesky", "@jorisdev.bsky.social", "sec", "en",
  "deploy stuck again. this is the key the runner uses, am I missing a newline or what\n\n«PEM»")
C("x", "@lottevdlinde", "sec", "nl",
  "Waarom logt het beheerpaneel mij steeds uit?? Dit is mijn token uit de browser: «JWT»")
C("x", "@bram_ommen", "sec", "nl",
  "Voor de nieuwe rondleiders: de tablet bij de kelder log je in met gebruiker 'rondleiding' en "
  "wachtwoord: «PW» 🍏")
C("reddit", "u/ruud_kelder", "sec", "en",
  "connection keeps timing out, any ideas? DATABASE_URL=postgresql://shop_rw:«PWURL»@kroonhof-prod."
  "c7hq2xk9pzla.eu-west-1.rds.amazonaws.com:5432/webshop")
C("x", "@freelance_femke", "sec", "en",
  "lol, taking over the webshop of a cider farm (Kroonhof) and this was just sitting in the frontend code: "
  "«STRIPE» 🙈")
C("facebook", "KroonhofCiderij", "sec", "nl",
  "test nieuwsbriefkoppeling 123 SENDGRID_API_KEY=«SENDGRID»")
C("mastodon", "@sietske@boeren.social", "sec", "nl",
  "Eindelijk Claude aan ons boekhoudscript gehangen 🎉 voor wie mee wil kijken: "
  "ANTHROPIC_API_KEY=«ANTHROPIC»")
C("linkedin", "daan-wijers-it", "sec conf", "en",
  "New staging DB is up! mysql://kroonhof_admin:«PWURL»@db01.kroonhof.local:3306/erp - let me know if you "
  "can't connect")

# ---- personal data -------------------------------------------------------------------
C("x", "@youssef_elk", "pii", "nl",
  "Wie kan deze bestelling even langsbrengen? Mevr. J. de Groot, Lindelaan 14, 4001 AB Tiel, tel "
  "06-41839275. Ze is slecht ter been.")
C("mastodon", "@sietske@boeren.social", "pii", "nl",
  "Nieuwe seizoenskracht staat nog niet in de loonadministratie: Piotr Kowalski, BSN «BSN». Wie kan dit "
  "oppakken?")
C("x", "@lottevdlinde", "pii", "nl",
  "Terugbetaling statiegeld voor meneer R. Smit moet naar «IBAN_NL», kan iemand van finance dit vandaag "
  "nog doen?")
C("x", "@famke_d", "pii", "en",
  "@kroonhof_service yes please send the replacement, my email is famke.dijkstra88@hotmail.com and I'm "
  "home all week", kind="reply")
C("instagram", "@mieke.plukt", "pii", "nl",
  "Hoera! Onze plukploegleider Henk Lammers wordt vandaag 55 🎉 (geboren 14-03-1971 en nog steeds de "
  "snelste plukker van de Betuwe)", at="2026-03-14T07:45:00+01:00")
C("facebook", "KroonhofCiderij", "pii", "nl",
  "Beste mevrouw Verbeek, we sturen de nieuwe Cadeaukist naar Kerkstraat 12, 6671 AB Zetten. Klopt dat "
  "adres nog? Anders bellen we u even op 06 2738 4410.", kind="reply")
C("x", "@stalkerstan", "pii abu", "en",
  "That arrogant cashier at Kroonhof, Youssef, lives at Waalstraat 22 in Tiel. Just saying. Maybe someone "
  "should pay him a visit 😈")
C("reddit", "u/ruud_kelder", "pii", "en",
  "Someone left their card at the tasting bar last night: M. Vermeulen, «CARD_MC». Come pick it up "
  "at the shop!")
C("tiktok", "@kroonhof.boomgaard", "pii", "nl",
  "En de winnaars van de oogstwinactie zijn... 🥁 sanne.dewit@kpnmail.nl, k.boersma@ziggo.nl en "
  "ties1990@gmail.com! Check je inbox 🍏")
C("facebook", "ruben.smit.zaltbommel", "pii", "nl",
  "Rondleiding van zaterdag gaat helaas niet door bij ons. Terugstorten mag op «IBAN_NL» t.n.v. "
  "R.J. Smit. Alvast bedankt!", kind="comment")
C("threads", "@ellen.kroonhof", "pii", "en",
  "Shoutout to our crate supplier contact Marieke Jansen for saving the harvest 🙌 if you need good "
  "crates, call her directly: +31 6 1947 2083")
C("x", "@bram_ommen", "pii", "nl",
  "Klant belt steeds over de rondleiding, nummer is 0 6 - 3 8 1 7 2 9 4 5 (mevrouw Bakker), wie belt "
  "haar terug?")
C("tiktok", "@kroonhof.boomgaard", "pii", "nl",
  "Gefeliciteerd Sanne de Wit (geboren 2 juli 1994) met het winnen van een jaar lang gratis cider! 🥳🍏")
C("linkedin", "anouk-verhulst-kroonhof", "pii", "nl",
  "Voor de contractverlenging van Jan Peeters heb ik alleen nog zijn geboortedatum nodig, BSN heb ik al: "
  "«BSN_DOT». Kan iemand van de ploeg even vragen?")

# ---- pricing -----------------------------------------------------------------------------
C("x", "@lottevdlinde", "prc", "nl",
  "Help, prijsfout op de site: het Proefpakket staat voor €4,99 i.p.v. €49,95. Wie kan dit NU aanpassen?")
C("x", "@dealjager_nl", "prc", "nl",
  "🚨 PRIJSFOUT 🚨 Kroonhof 20L fust voor €11,90 in de webshop! Snel zijn voordat ze het zien #prijsfout")
C("reddit", "u/bargainhuntr", "prc", "en",
  "Kroonhof's webshop has the IJscider at €2.49 a bottle right now (normally about 25). Ordered 6, let's "
  "see if they honour it.")
C("instagram", "@kroonhofcider", "prc", "nl",
  "Weekendactie! 🍎 Cadeaukist Boomgaard nu voor maar €9,95. Op = op!")
C("x", "@hansje_koopt", "prc", "en",
  "The cider subscription shows €2.99 a month in the app?? Looks like a mistake but I signed up anyway 😇")
C("x", "@youssef_elk", "prc", "nl",
  "Kassa in de winkel rekent de Vatgerijpte Cider af voor €1,95 in plaats van €19,95, al de hele "
  "ochtend 🙈 nog niemand die het doorheeft")
C("facebook", "DealAlertNL", "prc", "en",
  "Kroonhof Bag-in-Box 5L apple juice just €1.49 on their site, must be a pricing glitch 😂 go go go")
C("threads", "@ellen.kroonhof", "prc", "en",
  "Oops - the newsletter that just went out lists the Kroonhof Brut Cider at €0.89. Correction coming, "
  "please don't screenshot 🙏")
C("x", "@studentenkorting", "prc", "nl",
  "Ginger Shot 6-pack van Sapmolen voor €1,29 🤯 prijsfout of gewoon gul? ik sla in")
C("tiktok", "@kroonhof.boomgaard", "prc", "nl",
  "Rondleiding + proeverij nu voor €5 p.p.! Boek snel via de link in bio 🍏")
C("x", "@ciderfan_tim", "prc", "en",
  "Kroonhof clearly has a price error on the Perencider today, everyone in our group chat is ordering "
  "cases of it lol")
C("linkedin", "daan-wijers-it", "prc", "en",
  "Import script divided every price of the Appel-Vlierbloesem by 10, so it's €0.40 in the shop right now. "
  "Fix coming within the hour.")

# ---- benign (mostly hard negatives) ----------------------------------------------------
C("x", "@appelflapje", "", "nl",
  "Net de Kroonhof Brut Cider ontdekt en wow. Droog, fris, precies goed. Nieuwe favoriet 🍏🥂")
C("instagram", "@weekendjebetuwe", "", "nl",
  "Zondagmiddag naar de boerderijwinkel van Kroonhof gefietst, appeltaart gegeten, kistje sap mee naar "
  "huis. Perfecte dag ☀️")
C("x", "@lolcidr", "", "en",
  "this ice cider is so good it should honestly be illegal 😂 @kroonhof_cider what did you put in it")
C("x", "@marco_abroad", "", "en",
  "@kroonhof_service are you open on Easter Monday? Want to come by with the grandkids", kind="reply")
C("x", "@foodnews_eu", "", "en",
  "Brewery De Zwarte Hen is recalling an IPA over glass particles in bottles from a single batch. Customers "
  "can return the beer to the store.")
C("x", "@kroonhof_cider", "", "nl",
  "Zomeractie ☀️ Kroonhof Brut Cider 75cl deze week €7,49 (normaal €8,95). Proost!")
C("instagram", "@kroonhofcider", "", "nl",
  "Moederdag komt eraan 💐 Onze Cadeaukist Boomgaard (€39,95) met cider, sap en appelstroop is het "
  "perfecte cadeau.")
C("x", "@kroonhof_service", "", "nl",
  "Vragen over je bestelling? Mail ons via klantenservice@kroonhof-cider.nl of bel 0344-820410 (ma-vr "
  "9-17u). We helpen je graag!")
C("facebook", "KroonhofCiderij", "", "nl",
  "Zakelijke klanten: facturen kunnen worden voldaan op «PUBLIC_IBAN» t.n.v. Kroonhof Ciderij B.V., "
  "o.v.v. het factuurnummer.")
C("x", "@kroonhof_service", "", "nl",
  "@dirk_proost het lotnummer staat op de hals van de fles, iets als «CARD_BAD». Stuur ons dat nummer "
  "en een foto, dan zoeken we het uit!", kind="reply")
C("facebook", "KroonhofCiderij", "", "nl",
  "Let op: er gaan nepmails rond uit naam van Kroonhof die vragen om te betalen naar «IBAN_BAD». Dat "
  "rekeningnummer is niet van ons (en bestaat niet eens). Wij vragen nooit per mail om een betaling.")
C("x", "@klant_kees", "", "nl",
  "@kroonhof_service mijn klantnummer is «BSN_BAD», bestelling is gisteren netjes binnengekomen, "
  "alles heel. Dank!", kind="reply")
C("bluesky", "@jorisdev.bsky.social", "", "en",
  "Reminder for the juniors: never commit keys. In the docs you'll see AKIAIOSFODNN7EXAMPLE / "
  "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY - those are fake, real ones live in the vault.")
C("reddit", "u/webdev_wendy", "", "en",
  "For anyone integrating Mollie: your key will look like live_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx, keep it "
  "server side. (Learned this the hard way building a shop for a cider farm.)")
C("x", "@kroonhof_service", "", "nl",
  "Wachtwoord vergeten? Klik op 'Inloggen' en dan op 'Wachtwoord vergeten'. Binnen een paar minuten krijg "
  "je een mail om een nieuw wachtwoord in te stellen.")
C("x", "@kroonhof_cider", "", "nl",
  "Eindelijk mogen we het zeggen: Perry Reserve is er! 🍐 Op vat gerijpte perencider, vanaf vandaag in de "
  "webshop en de boerderijwinkel.", at="2027-03-20T09:00:00+01:00")
C("linkedin", "kroonhof-ciderij", "", "nl",
  "Onze jaarcijfers 2026 zijn gepubliceerd. Lees het volledige jaarverslag op kroonhof-cider.nl/investeerders.",
  at="2027-02-26T08:00:00+01:00")
C("instagram", "@sapmolen.sap", "", "nl",
  "Hij is er: Sapmolen Gember-Kombucha 🫚 Nu in de boerderijwinkel en binnenkort bij jou in de buurt!",
  at="2027-03-16T11:30:00+01:00")
C("x", "@happy_tineke", "", "en",
  "Had a broken bottle in my parcel last week, reported it to @kroonhof_service yesterday and this morning "
  "a new box was on my doorstep. That's how you handle it 👏")
C("facebook", "annemiek.ros", "", "nl",
  "Veel sterkte aan de medewerkers van Fruitbedrijf Van Ooijen na de brand van vannacht. Gelukkig geen "
  "gewonden.")
C("linkedin", "kroonhof-ciderij", "", "nl",
  "Wij zoeken een enthousiaste medewerker boerderijwinkel (24-32 uur). Houd je van fruit, mensen en een "
  "beetje modder aan je schoenen? Solliciteer via werkenbij@kroonhof-cider.nl")
C("x", "@economy_now", "", "en",
  "Soft-drink maker Bruisco to cut 200 jobs in the Netherlands; the Dongen plant will close.")
C("instagram", "@glutenfree.fam", "", "en",
  "Is your cider gluten-free? @kroonhofcider My daughter has coeliac disease and would love to try the "
  "alcohol-free one 🍏", kind="comment")
C("x", "@keukenprinses", "", "nl",
  "Recept van de week: hachee met een flinke lepel Kroonhof Appelstroop. Ziek lekker, echt waar 😋")
C("tiktok", "@jesse.proeft", "", "nl",
  "deze ijscider is echt ZIEK man 🔥🔥 moet je proberen")
C("instagram", "@cocktailcor", "", "en",
  "An explosion of flavour 💥 Kroonhof Rosé Cider + elderflower + mint = summer in a glass")
C("x", "@naomi_v", "", "en",
  "Kroonhof's webshop was slow for a minute but it's fine now, order went through 🍎")
C("x", "@bram_ommen", "", "nl",
  "Wat een weekend! 14 rondleidingen, honderden proevers en geen fles meer over. Trots op dit team 🍏💪")
C("instagram", "@mieke.plukt", "", "nl",
  "Eerste Elstars van het seizoen zijn geplukt 🍎 nog een paar weken en dan begint het persen!")
C("facebook", "TuinclubGeldermalsen", "", "nl",
  "De mispels langs de boomgaard van Kroonhof zijn na de eerste vorst eindelijk zacht genoeg om te eten. "
  "Wie had gedacht dat een bijna rotte vrucht zo lekker kon zijn?")
C("x", "@dominee_dirk", "", "nl",
  "Voor geen dertig zilverlingen ruil ik mijn fles Kroonhof Peren Cider in 😄")
C("x", "@kroonhof_cider", "", "nl",
  "Black Friday 🖤 Het Proefpakket met 6 ciders nu €39,95 i.p.v. €49,95. Alleen dit weekend!")
C("facebook", "marcos.bbq.buren", "", "en",
  "Rented a 20L fust from Kroonhof for the street party, €119 with the tap included. Everyone happy 🍻")
C("x", "@pressroom_nl", "", "en",
  "For press enquiries about the Betuwe harvest festival, Kroonhof's press office is at "
  "pers@kroonhof-cider.nl or +31 344 820 410.")
C("reddit", "u/expat_in_nl", "", "en",
  "Does anyone know if Kroonhof ships to Belgium? Want to send a Cadeaukist to my sister in Ghent.")
C("x", "@techtinus", "", "en",
  "Bakery chain Van Dam reports a data breach in its webshop, all passwords have been reset. Check your "
  "inbox if you ever ordered there.")
C("x", "@tielsekrant", "", "nl",
  "De brandweer van Tiel kwam vandaag bij Kroonhof op bezoek voor een rondleiding en proeverij "
  "(alcoholvrij natuurlijk 😉). Gezellig!")
C("x", "@ukcidermum", "", "en",
  "Can't recall the last time I had a cider this good. Kroonhof Perencider, where have you been all my life")
C("x", "@kroonhof_service", "", "nl",
  "Update 14:20: de storing op onze webshop is opgelost, je kunt weer gewoon bestellen. Excuses voor het "
  "ongemak!")
C("x", "@chris_vdberg", "", "en",
  "Bottle leaked a bit in my bike bag, but that's on me (screwed the cap on crooked 😂). Cider still top.")
C("x", "@drynuary_dan", "", "en",
  "Laying off the cider for dry January 😭 see you in February @kroonhof_cider", at="2026-01-03T12:00:00Z")
C("linkedin", "kroonhof-ciderij", "", "en",
  "Our 2025 annual report is out: revenue grew 6% to €15.1 million, driven by the webshop and the farm "
  "shop. Thank you to all our growers and customers.", at="2026-04-08T08:00:00+02:00")
C("x", "@betuwe_herald", "", "en",
  "Kroonhof will open a new 8-hectare orchard near Buren in the spring, the municipality says. Good news "
  "for local jobs.")
C("x", "@kroonhof_service", "", "nl",
  "Bel ons gerust op +31 344 820 410. Of loop even binnen in de winkel, de koffie staat klaar ☕")
C("instagram", "@sapmolen.sap", "", "nl",
  "Sapmolen Appelsap Troebel deze maand voor €2,79 (i.p.v. €3,49) in de boerderijwinkel 🍏")
C("x", "@supermarktspotter", "", "en",
  "Sapmolen Kindersapjes for €4.49 at Plus this week, 10% off 👍")
C("x", "@kroonhof_service", "", "nl",
  "@anja_h de code van een cadeaubon bestaat uit 16 cijfers, bijvoorbeeld «CARD_BAD». Die vul je in bij "
  "het afrekenen, onder 'kortingscode'.", kind="reply")
C("linkedin", "kroonhof-ciderij", "", "nl",
  "Vandaag vieren we dat Gerrit 25 jaar bij Kroonhof werkt! Van plukker tot keldermeester. Dank je wel, "
  "Gerrit 🍏🎉")
C("bluesky", "@jorisdev.bsky.social", "", "en",
  "Wrote up how we rotate API keys every 90 days with a vault and short-lived tokens. Example from the "
  "post, obviously redacted: ghp_************************************")
C("x", "@neefjeroel", "", "en",
  "Hang in there Kroonhof, rotten luck that the hailstorm took so much blossom. Next year will be better 🍀")
C("x", "@prijsbewust", "", "en",
  "Is €8.95 for a bottle of Brut Cider expensive? I don't think so, it's just good stuff")
C("instagram", "@jurgen_fit", "", "nl",
  "Sapmolen Ginger Shot 6-pack nu in de aanbieding voor €10,95. Prima deal voor elke ochtend een shot 💪")
C("x", "@kroonhof_cider", "", "nl",
  "Pre-sale voor de kerst: IJscider 37,5cl nu €19,95 (normaal €24,95). Beperkte voorraad!")
C("youtube", "@KroonhofCiderijTV", "", "nl",
  "Nieuwe video: zo maken wij onze Brut Cider, van boom tot fles. Kijk mee in de kelder 🎥🍏")
C("threads", "@ellen.kroonhof", "", "en",
  "Huge thanks to everyone who came to our open day 🍎 over 2,000 visitors, a new record!")
C("x", "@wannabe_sommelier", "", "en",
  "Unpopular opinion: Kroonhof's dry cider beats most champagne I've tasted. Fight me 🥊")
C("x", "@kroonhof_service", "", "en",
  "@sam_abroad Sorry to hear the parcel was late! We've refunded the shipping costs, you should see it "
  "in your account within 3 working days. Enjoy the cider 🍏", kind="reply")
C("facebook", "KroonhofCiderij", "", "nl",
  "Onze boerderijwinkel is vanaf 1 november weer open op zondag van 11 tot 17 uur. Vragen? "
  "boerderijwinkel@kroonhof-cider.nl 🍎")
C("x", "@nieuwsdienst_food", "", "en",
  "Orchard Valley Juice Co. confirms takeover by a US beverage group; 80 jobs at risk in the UK plant.")
C("mastodon", "@techlezer@mastodon.nl", "", "nl",
  "Handig: een BSN kun je controleren met de elfproef. 123456789 is bijvoorbeeld géén geldig nummer. "
  "Zo kwam ik erachter dat het klantnummer bij Kroonhof geen BSN is 😅")


# ----------------------------------------------------------------------------
# build
# ----------------------------------------------------------------------------
def role_of(platform, handle):
    key = (platform + ":" + handle).lower()
    if key in [a.lower() for a in PROFILE["accounts"]["corporate"]]:
        return "corporate"
    if key in [a.lower() for a in PROFILE["accounts"]["employee"]]:
        return "employee"
    return "public"


def severity(cats, role, has_checksum_id):
    lv = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and has_checksum_id):
                    s = "critical"
                else:
                    s = "error"
            else:
                s = "warning"
        elif c == "reputation.complaint":
            s = "warning"
        elif c == "reputation.crisis":
            s = "error"
        elif c == "reputation.abuse":
            s = "warning" if role == "public" else "error"
        else:
            raise ValueError(c)
        lv = max(lv, SEV.index(s))
    return SEV[lv]


def fill(text):
    used = []

    def sub(m):
        kind = m.group(1)
        val = GEN[kind]()
        used.append((kind, val))
        return val
    return re.sub(r"«([A-Z_]+)»", sub, text), used


def rand_time():
    start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    t = start + dt.timedelta(seconds=rng.randint(0, 365 * 86400 - 1))
    off = rng.choice([0, 0, 0, 1, 2])
    if off:
        t = t.astimezone(dt.timezone(dt.timedelta(hours=off)))
        return t.strftime("%Y-%m-%dT%H:%M:%S") + "+%02d:00" % off
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


URLS = {
    "x": "https://x.com/{h}/status/{n}",
    "instagram": "https://www.instagram.com/p/{n}/",
    "facebook": "https://www.facebook.com/{h}/posts/{n}",
    "linkedin": "https://www.linkedin.com/feed/update/urn:li:activity:{n}/",
    "reddit": "https://www.reddit.com/r/thenetherlands/comments/{n}/",
    "tiktok": "https://www.tiktok.com/{h}/video/{n}",
    "bluesky": "https://bsky.app/profile/{h}/post/{n}",
    "threads": "https://www.threads.net/{h}/post/{n}",
    "mastodon": "https://boeren.social/{h}/{n}",
    "youtube": "https://www.youtube.com/{h}/community?lb={n}",
}


def build():
    records, meta = [], []
    ids = set()
    for c in CASES:
        text, used = fill(c["text"])
        role = role_of(c["platform"], c["handle"])
        has_chk = "leak.pii" in c["cats"] and any(k in VALID_CHECKSUM_KINDS for k, _ in used)
        sev = severity(c["cats"], role, has_chk) if c["cats"] else "none"
        while True:
            n = rng.randint(10**15, 10**16 - 1)
            pid = "%s-%d" % (c["platform"], n)
            if pid not in ids:
                ids.add(pid)
                break
        post = {"id": pid, "platform": c["platform"], "kind": c["kind"],
                "account": {"handle": c["handle"]}, "text": text,
                "created_at": c["at"] or rand_time()}
        if rng.random() < 0.85:
            post["lang"] = c["lang"]
        if c["platform"] in URLS and rng.random() < 0.7:
            post["url"] = URLS[c["platform"]].format(h=c["handle"].lstrip("@").replace("u/", ""), n=n % 10**12)
        low = text.lower()
        post["brand"] = "sapmolen" if "sapmolen" in low and "kroonhof" not in low else "kroonhof"
        records.append({"post": post, "expect": {"categories": c["cats"], "severity": sev}})
        meta.append({"used": used, "role": role})
    order = list(range(len(records)))
    rng.shuffle(order)
    return [records[i] for i in order], [meta[i] for i in order]


# ----------------------------------------------------------------------------
# self-checks
# ----------------------------------------------------------------------------
def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def norm(s):
    s = unicodedata.normalize("NFKC", s)
    return re.sub("[\u200b\u200c\u200d\u2060\ufeff]", "", s).lower()


PRICE_RE = re.compile(r"€\s?(\d+(?:[.,]\d{1,2})?)")


def prices(text):
    return [float(p.replace(",", ".")) for p in PRICE_RE.findall(text)]


def mentioned_products(text):
    low = text.lower()
    found = []
    for p in PROFILE["products"]:
        for a in [p["name"]] + p["aliases"]:
            if re.search(r"(?<![\w-])" + re.escape(a.lower()) + r"(?![\w-])", low):
                found.append(p)
                break
    return found


def digits(s):
    return re.sub(r"\D", "", s)


def phone_national(d):
    if d.startswith("0031"):
        d = "0" + d[4:]
    elif d.startswith("31") and len(d) == 11:
        d = "0" + d[2:]
    return d


def check(records, meta):
    errors = []

    def err(r, msg):
        errors.append("%s: %s" % (r["post"]["id"], msg))

    pub = PROFILE["public_identifiers"]
    pub_ibans = {re.sub(r"\s", "", i) for i in pub["ibans"]}
    pub_emails = {e.lower() for e in pub["emails"]}
    pub_phones = {phone_national(digits(p)) for p in pub["phones"]}
    for i in pub_ibans:
        assert iban_valid(i), "profile IBAN fails mod-97"
    internal_terms = [d.lower() for d in PROFILE["internal"]["domains"]] + \
        [m.lower() for m in PROFILE["internal"]["markers"]]
    codenames = [c.lower() for c in PROFILE["internal"]["codenames"]]
    embargo = [(t.lower(), parse_ts(e["until"])) for e in PROFILE["embargo"] for t in e["terms"]]
    all_handles = {a.split(":", 1)[1].lower() for a in
                   PROFILE["accounts"]["corporate"] + PROFILE["accounts"]["employee"]}
    valid_cats = set(CAT.values())
    seen = set()
    for r, m in zip(records, meta):
        p, e = r["post"], r["expect"]
        line = json.dumps(r, ensure_ascii=False)
        json.loads(line)
        # --- CONTRACT section 1 / 6 shape
        if set(r) != {"post", "expect"}:
            err(r, "top-level keys")
        if not isinstance(p["id"], str) or not 1 <= len(p["id"]) <= 256 or p["id"] in seen:
            err(r, "bad or duplicate id")
        seen.add(p["id"])
        if p["platform"] not in PLATFORMS or p.get("kind", "post") not in KINDS:
            err(r, "platform/kind")
        if not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
            err(r, "handle")
        if not isinstance(p["text"], str) or not p["text"] or len(p["text"].encode("utf-8")) > 65536:
            err(r, "text")
        try:
            ts = parse_ts(p["created_at"])
            if ts.tzinfo is None or not re.fullmatch(
                    r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)", p["created_at"]):
                err(r, "created_at not RFC 3339")
            if not (2026 <= ts.year <= 2027) or (ts.year == 2027 and ts.month > 4):
                err(r, "created_at out of range")
        except ValueError:
            err(r, "created_at unparsable")
        cats = e["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= valid_cats:
            err(r, "categories")
        if e["severity"] not in SEV:
            err(r, "severity value")
        if not cats and e["severity"] != "none":
            err(r, "benign must be none")
        # --- severity recomputed from the profile role
        role = role_of(p["platform"], p["account"]["handle"])
        has_chk = "leak.pii" in cats and any(k in VALID_CHECKSUM_KINDS for k, _ in m["used"])
        if cats and severity(cats, role, has_chk) != e["severity"]:
            err(r, "severity mismatch")
        if role == "public" and p["account"]["handle"].lower() in all_handles:
            err(r, "public handle collides with profile")
        text = p["text"]
        positive = bool(cats)
        # --- tracked identifiers
        for kind, val in m["used"]:
            if kind in ("IBAN_NL", "IBAN_BAD", "PUBLIC_IBAN"):
                ok = iban_valid(val)
            elif kind.startswith("CARD"):
                ok = luhn_ok(val)
            elif kind.startswith("BSN"):
                ok = bsn_ok(val)
            else:
                ok = None
            if kind in VALID_CHECKSUM_KINDS and (not positive or not ok):
                err(r, "valid identifier %s in benign post or failing check" % kind)
            if kind in LOOKALIKE_KINDS and (positive or ok):
                err(r, "look-alike %s passes its check or sits in a positive" % kind)
            if kind in VALID_CHECKSUM_KINDS and "leak.pii" not in cats:
                err(r, "checksum identifier without leak.pii")
            if kind in SECRET_KINDS and "leak.secret" not in cats:
                err(r, "generated secret without leak.secret")
            if kind in ("GHP", "GHO") and not gh_ok(val):
                err(r, "github token checksum")
            if kind == "AWS_ID" and not re.fullmatch(r"AKIA[A-Z2-7]{16}", val):
                err(r, "aws id shape")
            if kind == "JWT" and not jwt_ok(val):
                err(r, "jwt header")
        # --- scan the text itself for checksum identifiers
        for mt in re.finditer(r"\bNL\d{2}(?:\s?[A-Z]{4})(?:\s?\d){10}\b", text):
            compact = re.sub(r"\s", "", mt.group(0))
            if positive and not iban_valid(compact):
                err(r, "failing IBAN in positive")
            if not positive and iban_valid(compact) and compact not in pub_ibans:
                err(r, "valid non-public IBAN in benign post")
        if "leak.secret" not in cats:
            for mt in re.finditer(r"(?<![\w-])(?:\d{4}[ -]){3}\d{1,7}(?![\w-])", text):
                if positive != luhn_ok(mt.group(0)):
                    err(r, "card-like number with wrong Luhn status: %s" % mt.group(0))
            for mt in re.finditer(r"(?<![\d.])(?:\d{9}|\d{4}\.\d\d\.\d{3})(?![\d.])", text):
                if positive != bsn_ok(mt.group(0)) and not mt.group(0) == "123456789":
                    err(r, "BSN-like number with wrong 11-proof status: %s" % mt.group(0))
                if mt.group(0) == "123456789" and (positive or bsn_ok("123456789")):
                    err(r, "123456789 example")
        nt = norm(text)
        # --- embargo
        for term, until in embargo:
            if re.search(r"(?<!\w)" + re.escape(term) + r"(?!\w)", nt):
                if ts < until and "leak.confidential" not in cats:
                    err(r, "embargo term before until without leak.confidential")
                if not positive and ts < until:
                    err(r, "benign post uses embargo term early")
        if not positive:
            # --- confidential material
            for t in internal_terms:
                if t in nt:
                    err(r, "benign post contains internal term %r" % t)
            for cn in codenames:
                if re.search(r"(?<!\w)" + re.escape(cn) + r"(?!\w)", nt):
                    err(r, "benign post contains codename %r" % cn)
            # --- personal data
            for em in re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", text):
                if em.lower() not in pub_emails:
                    err(r, "benign post contains private e-mail %s" % em)
            scan = re.sub(r"\bNL\d{2}(?:\s?[A-Z]{4})(?:\s?\d){10}\b", " ", text)
            for mt in re.finditer(r"(?<![\w])(?:\+|00)?[\d][\d \-()]{8,16}\d(?![\w])", scan):
                d = phone_national(digits(mt.group(0)))
                if len(d) == 10 and d.startswith("0") and d not in pub_phones:
                    err(r, "benign post contains phone-like number %s" % mt.group(0))
            # --- pricing
            prods = mentioned_products(text)
            ratio = PROFILE["pricing"]["alert_below_ratio"]
            if prods:
                lp = max(p_["list_price"] for p_ in prods)
                for pr in prices(text):
                    if pr < ratio * lp:
                        err(r, "benign price %.2f below ratio for %s" % (pr, prods[0]["name"]))
            if re.search(r"prijsfout|price error|pricing error|pricing glitch", nt):
                err(r, "benign post talks about price error")
        if "leak.pricing" in cats:
            prods = mentioned_products(text)
            if not prods:
                err(r, "pricing positive without a profile product")
            else:
                low = min(p_["list_price"] for p_ in prods)
                below = [pr for pr in prices(text) if pr < PROFILE["pricing"]["alert_below_ratio"] * low]
                if not below and not re.search(r"prijsfout|price error|pricing glitch|foutje", nt):
                    err(r, "pricing positive without a low price or price-error talk")
        if "leak.pii" in cats:
            has_any = (re.search(r"[\w.+-]+@[\w-]+\.\w+", text) or
                       re.search(r"\d{4}\s?[A-Z]{2}\b", text) or
                       re.search(r"0\s?6|\+31", text) or
                       any(k in VALID_CHECKSUM_KINDS for k, _ in m["used"]) or
                       re.search(r"geboren|\d{2}-\d{2}-\d{4}|straat \d+", text))
            if not has_any:
                err(r, "pii positive without an identifier")
    return errors


def summary(records, meta):
    from collections import Counter
    cat = Counter(c for r in records for c in r["expect"]["categories"])
    lang = Counter(r["post"].get("lang", "?") for r in records)
    roles = Counter((m["role"], bool(r["expect"]["categories"])) for r, m in zip(records, meta))
    benign = sum(1 for r in records if not r["expect"]["categories"])
    return cat, lang, roles, benign


def main():
    records, meta = build()
    with open(OUT, "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    # re-read what was written and check that
    back = [json.loads(l) for l in open(OUT, encoding="utf-8")]
    assert back == records
    errors = check(back, meta)
    cat, lang, roles, benign = summary(back, meta)
    n = len(back)
    if not 170 <= n <= 180:
        errors.append("case count %d outside 170-180" % n)
    if "-v" in sys.argv or errors:
        print("cases", n, "benign", benign, file=sys.stderr)
        print(dict(cat), file=sys.stderr)
        print(dict(lang), file=sys.stderr)
        print(dict(roles), file=sys.stderr)
    if errors:
        for e in errors:
            print("CHECK FAILED:", e, file=sys.stderr)
        sys.exit(1)
    print("ok: %d cases, %d benign -> %s" % (n, benign, OUT))


if __name__ == "__main__":
    main()
