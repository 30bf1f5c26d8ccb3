#!/usr/bin/env python3
"""Build cases.jsonl for evaluation set 374 (fictional print shop Vellumo B.V.).

Deterministic: fixed seed, standard library + PyYAML only. Post texts are written
by hand; identifiers and credentials are generated here the way the real ones are
built (checksums included), and the result is self-checked before it is written.
Severities are never typed by hand: they follow CONTRACT section 4, computed from
the account role that profile.yaml gives the author.
"""
import base64
import datetime as dt
import json
import os
import re
import random
import string
import sys
import unicodedata
import zlib

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 374016
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

ROLES = {}
for role in ("corporate", "employee"):
    for entry in PROFILE["accounts"][role]:
        ROLES[entry.lower()] = role


def role_of(platform, handle):
    plat = "x" if platform == "twitter" else platform
    return ROLES.get(f"{plat}:{handle}".lower(), "public")


# ---------------------------------------------------------------- generators
DIGITS = string.digits
ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # 0-9A-Za-z (base 62 order)
URLSAFE = string.ascii_letters + string.digits + "-_"
B32 = string.ascii_uppercase + "234567"


def rand(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def b62(n, width=6):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = ALNUM[r] + s
    return s.rjust(width, "0")


def gh_token(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()))


def gh_valid(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())) == m.group(2)


def iban_valid(iban):
    s = re.sub(r"\s", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{8,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def fmt_iban(s):
    if rng.random() < 0.6:
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))
    return s


def make_iban(valid=True):
    while True:
        bank = rng.choice(["ABNA", "INGB", "RABO", "SNSB", "TRIO", "ASNB", "KNAB", "BUNQ", "RBRB"])
        acct = rand(DIGITS, 10)
        n = int("".join(str(int(c, 36)) for c in bank + acct + "NL00"))
        cd = 98 - n % 97
        if not valid:
            cd = (cd + rng.randint(1, 9)) % 100
        s = f"NL{cd:02d}{bank}{acct}"
        if iban_valid(s) == valid:
            return fmt_iban(s)


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


def make_card(valid=True):
    prefix = rng.choice(["4", "4", "51", "52", "53", "55"])
    body = prefix + rand(DIGITS, 15 - len(prefix))
    for c in DIGITS:
        if luhn_ok(body + c):
            good = body + c
            break
    num = good
    if not valid:
        num = good[:-1] + str((int(good[-1]) + rng.randint(1, 9)) % 10)
    assert luhn_ok(num) == valid
    sep = rng.choice([" ", " ", "-", ""])
    return sep.join(num[i:i + 4] for i in range(0, 16, 4))


BSN_W = [9, 8, 7, 6, 5, 4, 3, 2, -1]


def bsn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    return len(d) == 9 and sum(a * b for a, b in zip(d, BSN_W)) % 11 == 0 and d[0] != 0


def make_bsn(valid=True):
    while True:
        first = str(rng.randint(1, 9)) + rand(DIGITS, 7)
        s = sum(int(a) * b for a, b in zip(first, BSN_W[:8])) % 11
        if s == 10:
            continue
        num = first + str(s)
        if not valid:
            num = first + str((s + rng.randint(1, 9)) % 10)
        if bsn_ok(num) == valid:
            return num


def b64u(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def make_jwt():
    header = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    iat = rng.randint(1767225600, 1798675200)
    payload = {"sub": f"partner-{rng.randint(1000, 9999)}", "scope": "orders:write",
               "iss": "api.vellumo.nl", "iat": iat, "exp": iat + 3600}
    body = b64u(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64u(bytes(rng.getrandbits(8) for _ in range(32)))
    return f"{header}.{body}.{sig}"


def make_pem():
    raw = bytes([0x30, 0x82, 0x04, 0xA4, 0x02, 0x01, 0x00, 0x02, 0x82, 0x01, 0x01, 0x00]) + \
        bytes(rng.getrandbits(8) for _ in range(420))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 64] for i in range(0, len(b), 64)]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"


def make_pw():
    return rng.choice(["Drukpers", "Snijlijn", "Heidelberg", "Nachtploeg", "Perforatie"]) + \
        str(rng.randint(10, 99)) + rng.choice("!#$%&*") + rand(string.ascii_lowercase, 3)


ZW = "\u200b"


def zw_split(tok, every=7):
    return ZW.join(tok[i:i + every] for i in range(0, len(tok), every))


SECRET_GEN = {
    "GHP": lambda: gh_token("ghp_"),
    "GHO": lambda: gh_token("gho_"),
    "GHS_ZW": lambda: zw_split(gh_token("ghs_")),
    "AWS": lambda: "AKIA" + rand(B32, 16),
    "AWSSECRET": lambda: rand(string.ascii_letters + string.digits + "/+", 40),
    "STRIPE": lambda: "sk_live_51" + rand(ALNUM, 22) + rand(ALNUM, 24),
    "SLACK": lambda: f"xoxb-{rand(DIGITS, 12)}-{rand(DIGITS, 13)}-{rand(ALNUM, 24)}",
    "OPENAI": lambda: "sk-proj-" + rand(URLSAFE, 64) + "T3BlbkFJ" + rand(URLSAFE, 64),
    "ANTHROPIC": lambda: "sk-ant-api03-" + rand(URLSAFE, 93) + "AA",
    "GLPAT": lambda: "glpat-" + rand(URLSAFE, 20),
    "JWT": make_jwt,
    "PEM": make_pem,
    "DBPW": lambda: rand(ALNUM, 20),
    "PW": make_pw,
}
ID_GEN = {
    "IBAN": lambda: make_iban(True),
    "IBAN_BAD": lambda: make_iban(False),
    "CARD": lambda: make_card(True),
    "CARD_BAD": lambda: make_card(False),
    "BSN": lambda: make_bsn(True),
    "BSN_BAD": lambda: make_bsn(False),
}


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# ---------------------------------------------------------------- the posts
# who: c = corporate account, e = employee account, p = public (checked against the profile)
# cats: S secret, I pii, P pricing, C confidential, F financial, Y security,
#       K crisis, M complaint, A abuse; "" = benign
CAT = {"S": "leak.secret", "I": "leak.pii", "P": "leak.pricing", "C": "leak.confidential",
       "F": "leak.financial", "Y": "leak.security", "K": "reputation.crisis",
       "M": "reputation.complaint", "A": "reputation.abuse"}

RAW = []


def add(cats, who, platform, handle, lang, text, kind="post", when=None, name=None):
    RAW.append(dict(cats=cats, who=who, platform=platform, handle=handle, lang=lang,
                    text=text, kind=kind, when=when, name=name))


# ---- complaints -----------------------------------------------------------
add("M", "p", "x", "@sannevdberg", "nl",
    "@vellumo_help onze trouwkaarten zouden dinsdag komen. Het is nu vrijdag, de bruiloft is over 8 dagen "
    "en de track & trace zegt al 4 dagen 'in behandeling'. Drie keer gebeld, drie keer 'we kijken ernaar'. Serieus?? 😤",
    kind="reply", name="Sanne vd Berg")
add("M", "p", "reddit", "u/brightbluepixel", "en",
    "Ordered the XL layflat from Vellumo for my parents' 40th anniversary. Colours came out so muddy it looks "
    "like it was printed through a coffee filter, every skin tone is orange. Support says it's \"within tolerance\". "
    "Has anyone actually managed to get a reprint out of them?")
add("M", "p", "facebook", "henk.bosman.73", "nl",
    "1000 flyers besteld voor de opening van m'n zaak. Hele doos komt binnen met een knik in de hoek, ALLE flyers. "
    "Kan ik zo bij het oud papier zetten. Vellumo wat gaan jullie hieraan doen, opening is zaterdag", name="Henk Bosman")
add("M", "p", "x", "@the_daily_doodle", "en",
    "paid €12 extra for express on my business cards and @vellumo_nl shipped them standard. 4 days. "
    "the conference ended yesterday. cool cool cool")
add("M", "p", "instagram", "@fotografie.mirthe", "nl",
    "Tekst op de rug van mijn fotoboek staat scheef en half van de rand af 🙄 PDF nog 3x gecheckt, daar staat "
    "het gewoon keurig in het midden. Voor 40 euro verwacht ik toch iets beters @vellumo.print", kind="comment")
add("M", "p", "forum", "kees_w", "nl",
    "Al ruim twee weken geen reactie van de klantenservice van Vellumo over mijn gescheurde spandoek (ticket 48213). "
    "Elke mail wordt automatisch op 'opgelost' gezet zonder antwoord. Zo'n slechte service heb ik bij geen enkele "
    "webshop meegemaakt.")
add("M", "p", "x", "@kimberlybakes_", "nl",
    "hé @vellumo_help op de roll-up die ik vandaag kreeg loopt een dikke witte streep dwars door m'n logo. "
    "Beurs begint morgen om 9 uur. Zeg alsjeblieft dat daar nog iemand wakker is 😭")
add("M", "p", "threads", "@joost.koffie", "nl",
    "Canvas van Vellumo vandaag binnen, deuk in de houten lijst. Doos was helemaal gaaf dus dit is gewoon zo "
    "ingepakt bij jullie. Zonde, want de print zelf is mooi.")
add("M", "p", "tiktok", "@lisa.plantmom", "en",
    "storytime: vellumo printed my photo calendar with JANUARY TWICE and no december 💀 and now they want me to "
    "pay the return shipping?? for THEIR mistake??")
add("M", "p", "x", "@AyshaKhalid_", "en",
    "@vellumo_help it's been 11 days. status 'shipped' since the 3rd and PostNL says the tracking number doesn't "
    "exist. where are my stickers", kind="reply")
add("M", "p", "facebook", "ingrid.meulenbelt", "nl",
    "Voor de derde keer een fotomok als cadeau besteld, voor de derde keer komt ie in stukken aan. Een beetje "
    "noppenfolie is toch niet te veel gevraagd Vellumo?", name="Ingrid Meulenbelt")
add("M", "p", "reddit", "u/frugal_dutchie", "en",
    "PSA: Vellumo adds a €7.50 \"file check fee\" that only shows up on the very last checkout step. Not on the "
    "product page, not in the cart. Felt pretty scammy tbh.")
add("MA", "p", "x", "@boze_bert", "nl",
    "Vellumo zijn echt een stel prutsers. KUTBEDRIJF. Wéér mijn visitekaartjes scheef gesneden, witte rand aan "
    "één kant. Nooit meer.")
add("MA", "p", "x", "@dnlwrght", "en",
    "@vellumo_help your customer service is run by absolute morons. 3 emails about my refund, 3 completely "
    "different answers. do you people even read?", kind="reply")
add("MI", "p", "x", "@petra_hulst", "nl",
    "@vellumo_help ik wacht nog steeds op mijn terugbetaling van €89,95!! Stort het dan gewoon op <<IBAN:petra>> "
    "t.n.v. P. Hulst, ik ben het echt zat", kind="reply")
add("MI", "p", "facebook", "gerard.timmer.58", "nl",
    "Niemand belt me terug over die kapotte lichtbak van Vellumo, de chatbot stuurt me alleen maar in rondjes. "
    "Bel me dan gewoon: 06 41 78 23 95. Ben de hele dag thuis.", name="Gerard Timmer")
# first-hand safety incidents: crisis + complaint
add("KM", "p", "x", "@ramon_events", "nl",
    "Jullie reclametent 3x3 klapte vandaag bij de eerste de beste windvlaag in elkaar op de markt. Poot knapte "
    "af, mijn collega kreeg de stang tegen z'n hoofd en moest gehecht worden. Dit is geen 'klein defect' @vellumo_help")
add("KM", "p", "reddit", "u/sparky_mcgee", "en",
    "The LED lightbox I bought from Vellumo gave me a proper shock when I plugged it in. Arm went numb for a good "
    "minute. Cable looks fine. It's going back, but seriously, is this thing even CE certified?")
add("KM", "p", "instagram", "@moeder_van_drie", "nl",
    "Fotomok van Vellumo in de magnetron gezet (op de doos staat dat het mag!!) en hij knalde uit elkaar. Kokende "
    "thee over de hand van mijn dochter, eerstegraads brandwonden. Ik ben woest.")
add("KM", "p", "facebook", "claire.donovan.nl", "en",
    "Our baby got really sick after chewing on the mini photo book we made with Vellumo, the doctor thinks it's "
    "the coating. Their answer: \"it's not a toy\". Your own website sells it as a baby's first photo book!!",
    name="Claire Donovan")

# ---- crisis -----------------------------------------------------------------
add("K", "p", "x", "@regionieuws030", "nl",
    "Twee gewonden op de braderie in Zeist nadat een reclametent omwaaide. Volgens de organisatie ging het om "
    "een tent van webdrukker Vellumo. De politie onderzoekt de zaak.")
add("K", "p", "reddit", "u/tiredparent_nl", "en",
    "Saw a thread on a parenting forum where several people say the Vellumo mini photo books made their babies "
    "sick after chewing on them, one kid ended up in hospital. Anyone know if there's a recall coming?")
add("K", "p", "x", "@ruimtevoorjou", "nl",
    "Vellumo drukt dus gewoon de haatflyers van die extreemrechtse club. Geld stinkt niet zeker? Bestel daar "
    "niks meer. #boycotVellumo")
add("K", "p", "bluesky", "@mara-illustrates.bsky.social", "en",
    "Vellumo used a stolen illustration of mine in their Christmas campaign and refuses to pay or even credit me. "
    "Please don't buy from them. #BoycottVellumo")
add("K", "p", "reddit", "u/gecko_grey", "en",
    "Has Vellumo been hacked? Got a super convincing phishing mail with my real order number, my photo book title "
    "and my home address. Only Vellumo has that combo. Three people in my group chat got the same thing.")
add("K", "p", "x", "@femkevr", "nl",
    "Vellumo heeft gewoon een datalek en zegt niks. Mijn vriendin en ik kregen allebei een sms met ons eigen "
    "ordernummer erin. Wanneer gaan jullie dit melden bij de AP?")
add("K", "p", "linkedin", "vanraak-advocaten", "nl",
    "Namens een groep van 30 fotografen hebben wij vandaag een dagvaarding laten uitbrengen tegen Vellumo B.V. "
    "wegens stelselmatig gebruik van beeldmateriaal zonder licentie. Wij houden u op de hoogte.")
add("K", "p", "x", "@consumentenwaak", "en",
    "Class action filed today against Vellumo over the hidden \"file check\" fee charged to tens of thousands of "
    "customers. If you were charged, keep your receipts. #consumerrights")
add("K", "p", "blog", "productveiligheid.blog", "nl",
    "Terugroepactie: Vellumo LED Lichtbak A1 (geleverd tussen maart en september 2026). Door een fout in de "
    "voeding kan de metalen behuizing onder spanning komen te staan. Haal de stekker eruit en gebruik het "
    "product niet meer.")
add("K", "p", "x", "@printworkers_union", "en",
    "Former night-shift staff say Vellumo had printers working 14-hour days through the Christmas rush, two "
    "people collapsed next to the press. This is a scandal and nobody is talking about it. #vellumo")
add("K", "p", "tiktok", "@groenezus", "nl",
    "Dus Vellumo verkoopt fotoboeken als 'CO2-neutraal' maar hun papier komt van een leverancier die voor "
    "illegale houtkap is beboet?? Greenwashing ten top. Delen!! 🔁")
add("KY", "p", "x", "@insider_rumours", "en",
    "my mate in Vellumo IT says their customer database got copied out last weekend and management decided to "
    "sit on it until after the holidays. if you have an account there, change your password now")
add("KY", "p", "x", "@nadiacodes", "en",
    "heads up: friend who works at Vellumo says the checkout page has been skimming cards since the last update. "
    "they know and haven't told anyone. maybe pay by iDEAL for now")

# ---- abuse ------------------------------------------------------------------
add("A", "p", "x", "@gewoonmarco", "nl",
    "@mlinden_vellumo jij bent echt de domste trut van die hele klantenservice, ga toch ergens vakken vullen",
    kind="reply")
add("A", "p", "x", "@chadprints", "en",
    "vellumo employees are a bunch of brain-dead monkeys lmao, imagine being this useless at a job that's "
    "literally pressing print")
add("A", "p", "instagram", "@rikkie_r", "nl",
    "Wat een kankerbedrijf is Vellumo. Jullie mogen allemaal de tering krijgen 🤮🤮", kind="comment")
add("A", "p", "reddit", "u/zero_chill_99", "en",
    "Whoever runs Vellumo's socials is a pathetic little loser. Get a real job, clown 🤡", kind="comment")
add("A", "p", "x", "@stijnnnn", "nl",
    "Vellumo = k u t b e d r ij f en die Joris van de drukkerij is een v u i l e  k l o o t z a k")
add("A", "p", "x", "@jaydn_x", "en",
    "@vellumo_help f*ck y0u and y0ur sh1tty c0mpany, bunch of 1d10ts", kind="reply")
add("A", "e", "x", "@jorisdrukt", "nl",
    "@boze_bert hou toch je bek, zeikerd. Leer eerst zelf eens een snijlijn plaatsen voordat je hier gaat "
    "lopen janken", kind="reply")
add("A", "c", "tiktok", "@vellumo", "nl",
    "lol deze klant is echt de dommste persoon ooit 🤡 kan nog geen pdf opslaan en dan ons de schuld geven",
    kind="comment")
add("A", "p", "x", "@trueNLpatriot", "en",
    "of course my Vellumo order is wrong, their call centre is full of foreigners who can't read. send the lot "
    "of them back where they came from")
add("A", "p", "x", "@kaaskop_kees", "en",
    "Vellumo \u0455u\u0441k\u0455. Bunch of \u0456d\u0456\u043et\u0455 running that place, never again")

# ---- personal data ------------------------------------------------------------
add("I", "c", "x", "@vellumo_help", "nl",
    "@petra_hulst Hoi Petra, vervelend! We zien je bestelling op naam van Petra Hulst, Lindelaan 14, 7411 KP "
    "Deventer. De €89,95 wordt binnen 5 werkdagen teruggestort op <<IBAN:petra>>. Excuses voor het wachten!",
    kind="reply")
add("I", "c", "facebook", "VellumoPrintNL", "nl",
    "Dag Gerard, we hebben je net geprobeerd te bellen op 06-41782395 maar kregen geen gehoor. Je kunt ook "
    "even mailen vanaf g.timmer58@hotmail.com, dan pakt een collega het direct op.", kind="comment")
add("I", "e", "linkedin", "anouk-vermeulen-vellumo", "nl",
    "Welkom aan onze nieuwe collega Fenna de Groot in het prepress-team! 🎉 Fenna, je BSN <<BSN>> en de kopie "
    "van je ID hebben we ontvangen, het contract volgt deze week.")
add("I", "e", "x", "@mlinden_vellumo", "en",
    "can someone from billing help me out? customer's card <<CARD>> exp 09/28 keeps getting declined on the "
    "photo book checkout, she's been trying since this morning")
add("I", "e", "instagram", "@sophie.prepress", "nl",
    "Deze trouwkaart mocht ik vandaag opmaken 😍 'Wij gaan trouwen! Sanne Kok & Thijs Bakker — Vogelweg 3, "
    "2012 AB Haarlem — 12 september'. Zo'n lief ontwerp, echt mijn favoriet van de week")
add("I", "p", "x", "@marloesdekker_", "nl",
    "@vellumo_help hoi! kunnen jullie de factuur van de roll-up naar mijn zakelijke mail sturen? "
    "marloes.dekker82@gmail.com, dankjewel!", kind="reply")
add("I", "p", "x", "@tomhartley_", "en",
    "@vellumo_help hi, ordered a photo book for my mum and need to change the delivery address before it ships. "
    "could someone call me on +31 6 2851 9047? 🙏", kind="reply")
add("I", "p", "reddit", "u/wrongdoor_", "en",
    "My Vellumo parcel got delivered to me but the label says \"R. Vermaat, Populierstraat 22, 5014 CG Tilburg\". "
    "Not me. If you're R. Vermaat, your canvas is in my hallway lol")
add("I", "e", "threads", "@eline.vos.print", "en",
    "And the giveaway winner is... Lena Visser, born 14-03-1996 (yes we checked, you're over 18 😉)! Congrats "
    "Lena, your layflat photo book ships this week 🎉")
add("I", "c", "x", "@vellumo_help", "en",
    "@AyshaKhalid_ So sorry Aysha! We've re-sent your stickers to Aysha Khalid, Marnixstraat 301-2, 1016 TE "
    "Amsterdam. Tracking will follow to aysha.k@outlook.com today.", kind="reply")
add("I", "p", "facebook", "wim.deboer.hvs", "nl",
    "Vellumo, jullie betaalpagina doet raar, kan ik het ook zo doorgeven? <<CARD>> geldig tot 11/27, de code "
    "achterop stuur ik wel via DM 😅", kind="comment", name="Wim de Boer")
add("I", "e", "x", "@kevin_devops_", "en",
    "who puts this in the gift message of a photo book order 🙄 \"bsn <<BSN>>, Jeroen Maas, voor de "
    "verzekering\". people, please")
add("I", "e", "mastodon", "@rubenbos@mastodon.nl", "nl",
    "Klant belde vandaag 6x over z'n spandoek. Nummer: 06\u201113 57 24 68. Ja ik weet dat ik dit niet moet "
    "posten maar deze gast…")

# ---- secrets ------------------------------------------------------------------
add("S", "e", "x", "@kevin_devops_", "en",
    "why does the deploy keep failing 😩\nexport AWS_ACCESS_KEY_ID=<<AWS>>\n"
    "export AWS_SECRET_ACCESS_KEY=<<AWSSECRET>>\n\"works on my machine\"")
add("S", "e", "mastodon", "@rubenbos@mastodon.nl", "nl",
    "Iemand een idee? `git clone https://<<GHP>>@github.com/vellumo/print-queue.git` geeft sinds vanochtend "
    "een 403, terwijl het token gisteren pas is aangemaakt")
add("S", "c", "x", "@vellumo_nl", "en", "test webhook pls ignore <<SLACK>>")
add("S", "e", "bluesky", "@lotte-vellumo.bsky.social", "en",
    "our new product-description bot finally works!! for the nerds: OPENAI_API_KEY=<<OPENAI>> , gpt-4o, "
    "temp 0.3. took me all week")
add("SC", "e", "x", "@kevin_devops_", "en",
    "DATABASE_URL=postgres://orders_rw:<<DBPW>>@db-prod-2.vellumo.lan:5432/orders — anyone else seeing "
    "'too many connections' with pgbouncer in transaction mode?")
add("S", "e", "x", "@jorisdrukt", "nl",
    "Voor de nachtploeg: wachtwoord: <<PW>> voor de gedeelde account op de pc bij de snijmachine. "
    "Niet doorvertellen 😉")
add("S", "e", "mastodon", "@rubenbos@mastodon.nl", "en",
    "Stack trace from the partner API, no idea why it's 401:\nPOST /v2/orders\nAuthorization: Bearer <<JWT>>\n"
    "→ 401 invalid_signature. anyone?")
add("S", "e", "bluesky", "@lotte-vellumo.bsky.social", "en",
    "can someone explain why ssh to the RIP server keeps asking for a passphrase with this key?? 😭\n<<PEM>>")
add("S", "p", "reddit", "u/freelance_fred", "en",
    "Building the checkout integration for a print shop client (Vellumo) and Stripe keeps throwing auth errors. "
    "Config:\nstripe.api_key = \"<<STRIPE>>\"\nwebhook secret is set too. What am I missing?")
add("S", "e", "threads", "@eline.vos.print", "en",
    "testing Claude for our product copy. ANTHROPIC_API_KEY=<<ANTHROPIC>> if you want to try it too "
    "(joke. don't.)")
add("S", "e", "x", "@kevin_devops_", "nl",
    "@jorisdrukt pipeline-token was verlopen, de nieuwe is <<GLPAT>> — zet je 'm even in de CI-variabelen?",
    kind="reply")
add("S", "e", "instagram", "@sophie.prepress", "nl",
    "Voor de collega's die bij de nieuwe fonts-repo willen: token <<GHS_ZW>> (alleen lezen) ✌️")

# ---- pricing ------------------------------------------------------------------
add("P", "c", "x", "@vellumo_nl", "nl",
    "🔥 WEEKENDDEAL 🔥 Fotoboek XL Layflat nu voor maar €8,99! Alleen t/m zondag, op = op. #VellumoFoto")
add("P", "c", "instagram", "@vellumo.print", "en",
    "Roll-up Banner Pro for just €14.90 this week 👀 perfect for your next trade fair. Link in bio!")
add("P", "e", "x", "@jorisdrukt", "nl",
    "lol iemand heeft de reclametent 3x3 voor €64,90 in de shop gezet ipv 649. ik zeg niks 🤐")
add("P", "e", "linkedin", "yusuf-demir-vellumo", "nl",
    "Speciaal voor mijn zakelijke relaties: letterpress visitekaartjes voor €19 per 100 stuks, alleen deze "
    "maand. Stuur me een DM!")
add("P", "p", "x", "@dealjager", "nl",
    "PRIJSFOUT bij Vellumo!! Foto op aluminium 90x60 voor €11,90 🤯 snel zijn voordat ze het doorhebben")
add("P", "p", "reddit", "u/glitchhunter", "en",
    "Vellumo pricing glitch? A3 photo calendar shows €2.99 at checkout instead of €29.95. Ordered five, let's "
    "see if they honour it")
add("P", "p", "forum", "pepperfan", "nl",
    "[Prijsfout?] Vellumo PVC spandoek 300x100 voor €6,90 incl. verzending. Bij mij staat 'ie nog gewoon in de "
    "winkelwagen")
add("P", "c", "facebook", "VellumoPrintNL", "nl",
    "Nieuw in onze wanddecoratie-week: Canvas 60x40 al vanaf €4,95! Vandaag besteld, morgen in huis.")
add("P", "e", "threads", "@eline.vos.print", "en",
    "oops 🙈 there's a price error on the wedding invitations page right now, it shows €11.90 for 100. "
    "we're on it, pls don't screenshot")
add("P", "p", "tiktok", "@budgetbabe", "en",
    "ok so vellumo has 1000 A5 flyers for €5.99 rn?? is that a mistake or am i dreaming")
add("P", "e", "x", "@mlinden_vellumo", "nl",
    "@kevin_devops_ de prijs van de mesh banner in de Google Shopping-feed klopt niet, prijsfout sinds de "
    "import van vannacht. Kun je de feed even checken?", kind="reply")
add("P", "c", "tiktok", "@vellumo", "en",
    "stickers op rol, 500 pieces for €4.50 😱 go go go, link in bio")

# ---- financial ------------------------------------------------------------------
add("F", "e", "linkedin", "daan-kuipers-cfo", "nl",
    "Mooie avond met het MT. Q3-omzet kwam uit op €14,2 mln, 18% onder budget, maar met dit team gaan we dat "
    "in Q4 rechttrekken. Trots!")
add("FC", "e", "bluesky", "@lotte-vellumo.bsky.social", "nl",
    "jaarcijfers 2026 liggen al bij de RvC, winst bijna verdubbeld 🚀 mag nog niks zeggen maar 🥳🥳",
    when="2027-02-10T21:14:00Z")
add("F", "e", "x", "@kevin_devops_", "en",
    "rumour on the floor: we're being bought by PrintNova Holding, deal supposedly signed end of the month. "
    "explains why the auditors are all over the place")
add("F", "e", "mastodon", "@rubenbos@mastodon.nl", "nl",
    "Morgen wordt bekend dat de vestiging in Venlo dichtgaat. 45 collega's. Ik weet het al een week en mag "
    "niks zeggen, voelt echt rot.")
add("F", "c", "linkedin", "vellumo", "nl",
    "CONCEPT – nog niet publiceren: Vellumo neemt fotoboekspecialist Albumhuis over voor €23 miljoen. Closing "
    "verwacht op 1 april. Quote Daan volgt.")
add("F", "e", "bluesky", "@lotte-vellumo.bsky.social", "en",
    "Q4 sales forecast just got cut to €9m, the board is freaking out. hiring freeze incoming, calling it now")
add("F", "p", "x", "@benieuwdejan", "nl",
    "Via via gehoord dat Vellumo in januari een reorganisatie aankondigt, de hele klantenservice gaat naar "
    "Portugal. Weet iemand meer?")
add("F", "e", "linkedin", "anouk-vermeulen-vellumo", "en",
    "Tough week. Preparing redundancy letters for 30 colleagues in Eindhoven while we're still not allowed to "
    "tell them. HR life isn't always fun.")
add("F", "e", "x", "@mlinden_vellumo", "nl",
    "bonus dit jaar geschrapt want 'we halen de EBITDA van 3,1 miljoen niet'. ehm oké, en die nieuwe leasebakken "
    "van het MT dan?")
add("F", "p", "reddit", "u/throwaway_vlm_fin", "en",
    "Throwaway. I work in finance at Vellumo. We're going to breach the bank covenant in Q1 and the owners are "
    "talking about an emergency capital injection. Wouldn't renew that B2B contract just yet.")
add("FC", "e", "x", "@jorisdrukt", "nl",
    "Operatie Kolibrie = de overname van Drukkerij Van Leeuwen, closing in april. Eindelijk kan ik het ergens "
    "kwijt (grapje, niet doorvertellen)")
add("F", "c", "x", "@vellumo_nl", "nl",
    "@daankuipers hier alvast de cijfers voor het persbericht: omzet H2 €31,8 mln (+6%), nettowinst €2,4 mln. "
    "Publicatie donderdag 07:00.", kind="reply")

# ---- confidential ---------------------------------------------------------------
add("C", "e", "instagram", "@sophie.prepress", "nl",
    "Sneak peek van waar ik de hele week aan werk 👀 Project Origami, een nieuwe lijn vouwkaarten. Meer mag "
    "ik écht niet zeggen!!")
add("C", "e", "x", "@jorisdrukt", "en",
    "first test prints of the Vellumo Canvas Pro came off the line today and they look insane. can't wait for "
    "you all to see them", when="2026-11-18T23:41:00Z")
add("C", "e", "linkedin", "yusuf-demir-vellumo", "nl",
    "Vandaag de eerste klantdemo gegeven van Helios Press, ons nieuwe B2B-bestelportaal. Drie grote klanten "
    "willen al meedoen aan de pilot!")
add("C", "e", "x", "@kevin_devops_", "en",
    "if anyone on the team needs the runbook, it's at https://intra.vellumo.lan/wiki/ops/print-queue-restart "
    "(you need VPN)")
add("C", "e", "bluesky", "@lotte-vellumo.bsky.social", "nl",
    "planning in de groepsapp gedeeld met 'VELLUMO INTERN' er nog bovenaan 🙈 oeps. Enfin, Fotoboek Lux XL "
    "komt dus in januari", when="2026-12-03T10:05:00Z")
add("C", "p", "x", "@anja_uit_eindhoven", "en",
    "my neighbour works at Vellumo and apparently Project Origami is a new line of folding cards coming in "
    "spring. pretty cool if true")
add("C", "e", "threads", "@eline.vos.print", "en",
    "slides for tomorrow's all-hands are on jira.vellumo.nl/browse/MKT-2291, marked internal only - vellumo "
    "so please don't forward 😅")
add("C", "c", "instagram", "@vellumo.print", "nl",
    "Binnenkort: LuxBook XL 📸 Layflat, linnen kaft, 80 pagina's. Save the date!",
    when="2027-01-19T18:00:00Z")
add("C", "p", "reddit", "u/leakwatcher", "en",
    "Someone dropped a PDF in a Discord I'm in titled 'STRIKT VERTROUWELIJK – Vellumo leveranciersplan 2027'. "
    "Mostly slides about switching paper suppliers. No idea if it's real.")
add("C", "e", "instagram", "@sophie.prepress", "en",
    fullwidth("project origami") + " finally has a launch date 🎉🎉 can't say more")
add("C", "e", "mastodon", "@rubenbos@mastodon.nl", "nl",
    "\u041eperatie \u041a\u043elibrie loopt weer vertraging op, dus weer een avondje overwerken met de juristen")
add("C", "e", "x", "@mlinden_vellumo", "nl",
    "Heli\u200bos Pre\u200bss gaat de hele zakelijke markt opschudden, let maar op 😎 eerste klanten zijn al binnen")
add("C", "e", "instagram", "@sophie.prepress", "en",
    "12 hours in the prepress room testing folds for pr0j3ct 0r1g4m1 and my hands still smell like glue 😵")
add("C", "e", "x", "@jorisdrukt", "nl",
    "weet iemand of de meeting over Operatie K.o.l.i.b.r.i.e morgen nog doorgaat? agenda zegt van wel, mail van niet")
add("C", "c", "facebook", "VellumoPrintNL", "nl",
    "Team, de nieuwe huisstijlrichtlijnen staan op https://intra.vellumo.lan/brand/2027 — niet extern delen!")
add("C", "e", "mastodon", "@rubenbos@mastodon.nl", "nl",
    "Wie heeft het nieuwe VPN-profiel voor vpn.vellumo.nl? Mijn oude certificaat is verlopen en ik kom er "
    "vanaf thuis niet meer in")

# ---- security ----------------------------------------------------------------------
add("Y", "e", "x", "@kevin_devops_", "en",
    "third night in a row fighting whatever got into the prepress servers. encrypted files everywhere, ransom "
    "note on the desktop. officially it's 'planned maintenance' 🙃")
add("Y", "e", "mastodon", "@rubenbos@mastodon.nl", "nl",
    "Checkout ligt er sinds 14:00 uit, betalingen komen niet door. Klanten zien alleen 'even geduld'. "
    "Communicatie wil pas morgen iets naar buiten brengen.")
add("Y", "e", "x", "@jorisdrukt", "nl",
    "haha je kan dus gewoon andermans fotoboeken downloaden als je het ordernummer in de URL eentje ophoogt. "
    "al maanden zo. niemand die het fixt")
add("Y", "e", "bluesky", "@lotte-vellumo.bsky.social", "en",
    "got an email from a 'security researcher' saying he has 200k of our customer records and wants bitcoin. "
    "legal says we say nothing. happy monday")
add("Y", "c", "x", "@vellumo_help", "en",
    "@dnlwrght sorry for the delay! our order system has been compromised since Friday and we're restoring "
    "from backups, refunds are on hold until then. please keep this to yourself for now 🙏", kind="reply")
add("Y", "e", "linkedin", "kevin-smit-vellumo", "en",
    "Spent the weekend patching an SQL injection in our upload portal that's apparently been open since 2024. "
    "Not public yet, so that's all I'll say 😅 #devops")
add("Y", "e", "x", "@mlinden_vellumo", "nl",
    "phishingmail bij 3 collega's binnengekomen, 1 heeft z'n wachtwoord ingevuld en nu zit er iemand in onze "
    "klantenservice-mailbox. IT zegt: niet over praten. top.")
add("Y", "e", "threads", "@eline.vos.print", "en",
    "lol so our S3 bucket with every customer upload was public for like six weeks. found it today. nobody "
    "outside knows yet. pray for me")
add("Y", "e", "bluesky", "@lotte-vellumo.bsky.social", "nl",
    "Wij liggen eruit 🙃 hele orderverwerking staat stil door een storing bij de hoster, klanten weten nog van "
    "niks. En de nieuwsbrief gaat gewoon om 10u de deur uit lol")
add("Y", "e", "x", "@kevin_devops_", "en",
    "vuln in our photo book editor lets anyone overwrite someone else's project if they know the project id. "
    "reported internally 3 weeks ago. no fix, no disclosure. cool.")
add("Y", "e", "x", "@jorisdrukt", "nl",
    "Alle persen in Eindhoven offline door een aanval op het netwerk, sinds vannacht 3 uur. Officieel heet het "
    "'technische storing' 🙄")

# ---- benign (mostly hard negatives) ----------------------------------------------
add("", "c", "x", "@vellumo_nl", "nl",
    "Goedemorgen! ☀️ Vandaag 20% korting op alle fotoboeken. A4 fotoboek liggend nu €31,96 i.p.v. €39,95. "
    "#VellumoFoto")
add("", "p", "x", "@studio_noor", "nl",
    "Net mijn premium visitekaartjes van Vellumo binnen en ze zijn echt prachtig. Die soft-touch voelt zo luxe 😍")
add("", "p", "reddit", "u/weddingplanning_ams", "en",
    "Anyone have experience with Vellumo's layflat photo book? Thinking of doing one for our wedding. €89.95 "
    "seems steep but the samples look good.")
add("", "c", "x", "@vellumo_help", "nl",
    "Vragen over je bestelling? Mail ons op service@vellumo.nl of bel 030 760 4400 (ma–vr 8–18 uur). "
    "We helpen je graag!")
add("", "c", "facebook", "VellumoPrintNL", "nl",
    "Liever betalen via bankoverschrijving? Maak het bedrag over naar NL93 RABO 0312 4577 88 t.n.v. Vellumo B.V. "
    "onder vermelding van je ordernummer.")
add("", "p", "x", "@corinnemakes", "en",
    "shoutout to @vellumo_help, my banner arrived with a crease, sent a photo and they reprinted it the next day "
    "no questions asked. that's how you do it")
add("", "p", "instagram", "@reislust.roos", "nl",
    "Ons fotoboek van Costa Rica is binnen! Op de cover een kolibrie bij een bloem 🌺 Echt zo mooi geworden. "
    "#vellumofoto")
add("", "p", "x", "@bakesale_bea", "nl",
    "de nieuwe flyers voor de taartenverkoop op school zijn echt ZIEK mooi 🔥 dankjewel vellumo")
add("", "e", "x", "@jorisdrukt", "nl",
    "Nachtdienst op de Heidelberg, 40.000 flyers voor de kerstmarkten. Koffie nummer 4 ☕ Mooi vak blijft het.")
add("", "e", "linkedin", "anouk-vermeulen-vellumo", "nl",
    "We zoeken een Prepress Specialist in Utrecht! Interesse? Mail je cv naar vacatures@vellumo.nl of kijk op "
    "vellumo.nl/werken")
add("", "p", "blog", "printautomation.dev", "en",
    "Quick tutorial: configuring the AWS CLI for a print-on-demand integration (we use the Vellumo partner API). "
    "Run aws configure and enter Access key ID: AKIAIOSFODNN7EXAMPLE, Secret access key: "
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY. Replace these with your own, obviously!")
add("", "e", "x", "@kevin_devops_", "en",
    "PSA for the team: never paste tokens in chat. If you need to share config, use the vault. This is what it "
    "should look like in a screenshot: ghp_************************************ 😉")
add("", "p", "x", "@mo_verhoef", "nl",
    "Mijn referentie bij Vellumo is <<CARD_BAD>>, weet iemand hoe lang fotoboeken er in december over doen?")
add("", "p", "x", "@jasper.ontwerpt", "en",
    "@vellumo_help thanks! quick q: the tracking code you sent, <<CARD_BAD>>, do I enter that on the PostNL "
    "site or on yours?", kind="reply")
add("", "p", "facebook", "ria.vanes", "nl",
    "Vellumo, mijn klantnummer is <<BSN_BAD>>, kan ik daarmee inloggen of moet ik eerst een account aanmaken?",
    kind="comment")
add("", "c", "facebook", "VellumoPrintNL", "nl",
    "Tip bij het invullen van je factuurgegevens: een IBAN ziet er zo uit: NL00 BANK 0123 4567 89 (voorbeeld). "
    "Twijfel je? Kijk even op je bankpas.")
add("", "p", "blog", "devnotes.eu", "en",
    "Integrating with the Vellumo order API from Node: put your key in an env var, e.g. "
    "STRIPE_KEY=sk_test_xxxxxxxxxxxxxxxxxxxxxxxx, and never hardcode it in the frontend.")
add("", "p", "x", "@drukwerknieuws", "nl",
    "Jaarcijfers 2026 van Vellumo zijn uit: omzet +9%, winst fors hoger. Netjes voor een drukker in deze markt.",
    when="2027-03-05T08:12:00Z")
add("", "e", "linkedin", "daan-kuipers-cfo", "nl",
    "Vandaag publiceerden we onze jaarcijfers 2026. Trots op wat het hele team heeft neergezet. Het persbericht "
    "staat op vellumo.nl/pers", when="2027-03-04T09:30:00Z")
add("", "c", "instagram", "@vellumo.print", "nl",
    "Ze is er! De Vellumo Canvas Pro 🎉 Museumkwaliteit canvas, vanaf vandaag te bestellen.",
    when="2027-01-21T08:00:00Z")
add("", "p", "x", "@honeymoonhanna", "en",
    "just ordered the Fotoboek Lux XL for our honeymoon pics, the linen cover in the preview looks gorgeous",
    when="2027-02-02T19:40:00Z")
add("", "p", "x", "@buurman_piet", "nl",
    "Sterkte aan iedereen bij Vellumo in Eindhoven, las dat er bij de buren brand was en jullie pand ontruimd "
    "moest worden. Hopelijk is iedereen oké ❤️")
add("", "p", "reddit", "u/datanerd_tilburg", "nl",
    "Wow, PrintKoning is getroffen door ransomware en 2 miljoen klantadressen liggen op straat. Blij dat ik "
    "vorig jaar met m'n fotoboeken naar Vellumo ben overgestapt.")
add("", "p", "x", "@fd_lezer", "nl",
    "Drukwerkgigant Flyerland neemt concurrent Drukzo over voor 40 miljoen, las ik in het FD. Benieuwd wat "
    "Vellumo gaat doen.")
add("", "p", "x", "@ilsemaakt", "nl",
    "Chat van Vellumo crashte halverwege mijn vraag, maar binnen 10 minuten belde een medewerker me zelf terug. "
    "Netjes hoor.")
add("", "e", "instagram", "@sophie.prepress", "en",
    "Proud of our prepress team this December. Every single photo book checked by hand before it went to the "
    "binder 📚 #printing")
add("", "c", "tiktok", "@vellumo", "en",
    "POV: you watch 500 stickers on a roll come off the press 😮‍💨 #satisfying #printtok")
add("", "p", "reddit", "u/gecko_grey", "en",
    "Update on my \"is Vellumo hacked\" post: nope, the phishing mail was a fake DHL thing, nothing to do with "
    "them. False alarm, sorry all!")
add("", "p", "x", "@startup_sem", "nl",
    "Is er een kortingscode voor Vellumo? Wil 250 standaard visitekaartjes bestellen voor m'n nieuwe bedrijfje")
add("", "p", "x", "@cardnerd_", "en",
    "Hot take: the standard business cards from Vellumo (€24.95 for 250) are the best value in NL. Fight me.")
add("", "p", "instagram", "@famvandijk", "nl",
    "Ik lig helemaal dubbel 😂😂 mijn vader heeft een fotomok laten maken met zijn eigen hoofd erop. "
    "#vellumo #vaderdag", kind="comment")
add("", "e", "threads", "@eline.vos.print", "en",
    "Black Friday is coming 🖤 30% off canvas prints at Vellumo, so canvas 60x40 for €34.97 instead of €49.95.")
add("", "p", "forum", "marktkoopman_rik", "nl",
    "Roll-up banner van Vellumo voor €79 vs €95 bij de lokale drukker. Kwaliteit vergelijkbaar, dus Vellumo "
    "gewonnen.")
add("", "c", "linkedin", "vellumo", "en",
    "We're hiring engineers! Our stack: Go, Postgres, Kafka. Security matters to us: we run a public bug bounty, "
    "report issues to security@vellumo.nl.")
add("", "p", "x", "@veiligonline_nl", "nl",
    "Tip: zet tweestapsverificatie aan op je Vellumo-account, dat kan sinds vandaag. En nee, 'welkom123' is "
    "geen goed wachtwoord 😉")
add("", "p", "x", "@oma_gerda_fan", "nl",
    "Oma moest huilen toen ze het fotoboek zag. Dank je Vellumo dat het nog op tijd was voor haar 90e 🥹")
add("", "p", "facebook", "verenigingdeeik", "nl",
    "Iemand ervaring met de bedrukte enveloppen van Vellumo? €99 voor 500 stuks, is dat normaal voor C5?")
add("", "p", "x", "@standbouwer_jim", "nl",
    "Crisis afgewend 😅 vergeten banners te bestellen voor de beurs van morgen, Vellumo express had ze binnen "
    "24 uur hier.")
add("", "p", "facebook", "sv.de.zwaluwen", "nl",
    "Die mesh banner van Vellumo hangt nu twee jaar aan ons hek, storm na storm. Onverwoestbaar ding.")
add("", "e", "x", "@mlinden_vellumo", "nl",
    "Wat fijn dat we zoveel lieve berichten krijgen na de kerstdrukte. Team klantenservice 💜 Vragen? "
    "DM @vellumo_help")
add("", "p", "reddit", "u/indesign_struggles", "en",
    "Anyone else fighting bleed settings in InDesign for the Vellumo A5 flyers? Their template says 3mm but "
    "the preview cuts it weird.")
add("", "p", "x", "@gentsegazet_fan", "nl",
    "Heftig nieuws over die drukkerij in Gent die volledig afbrandde. Sterkte aan de medewerkers. Ook bij "
    "Vellumo zullen ze even slikken.")
add("", "p", "blog", "apidocs-notes", "en",
    "Note from the Vellumo partner API docs: send Authorization: Bearer <your-token-here> with every call, and "
    "rotate it every 90 days.")
add("", "c", "x", "@vellumo_nl", "en",
    "Heads-up: we will never ask for your password or card number via DM. Scam accounts are pretending to be "
    "us, the only real ones are @vellumo_nl and @vellumo_help.")
add("", "p", "x", "@fotografie_sem", "nl",
    "Eerlijk, dat layflat fotoboek van Vellumo is het beste fotoboek dat ik ooit kocht. Moordende kwaliteit, "
    "doodsimpele editor.")
add("", "p", "instagram", "@juul.en.bas", "nl",
    "Onze trouwkaarten bij Vellumo laten drukken, €119 voor 100 stuks. Iedereen vroeg waar we ze vandaan hadden 💍")
add("", "p", "reddit", "u/eventprof_utr", "en",
    "Vellumo sale: 15% off roll-up banners this week, the budget one goes to €67.15. Decent deal.")
add("", "e", "linkedin", "yusuf-demir-vellumo", "nl",
    "Mooie dag op de beurs in Düsseldorf met het salesteam. Veel inspiratie opgedaan voor onze zakelijke klanten!")
add("", "p", "x", "@lieke_b", "nl",
    "Eerst ging mijn bestelling mis, maar Vellumo heeft het super opgelost: nieuwe kalender én een tegoedbon. Top!")
add("", "p", "blog", "automate-your-print", "en",
    "Tutorial: a GitHub token for your Vellumo print automation scripts will look like "
    "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx. Never commit it to the repo!")
add("", "p", "x", "@zzp_wendy", "nl",
    "Vellumo Zakelijk is trouwens gewoon telefonisch bereikbaar op 085 303 1120, scheelt een hoop mailen")
add("", "p", "x", "@printbiz_watch", "en",
    "Layoffs at InkJet Giant: 2,000 jobs cut worldwide. Print industry is rough right now. Hope the folks at "
    "Vellumo are doing ok.")
add("", "e", "mastodon", "@rubenbos@mastodon.nl", "en",
    "New blog post: how we moved our print queue to Kafka at Vellumo. Now public at vellumo.nl/tech/kafka-print-queue")
add("", "p", "x", "@studentjorien", "nl",
    "Heeft iemand een Vellumo-kortingscode? Ben student en die fotokalender A3 van €29,95 is net te veel 😅")
add("", "c", "instagram", "@vellumo.print", "nl",
    "Winactie! Maak kans op een gratis Fotoboek XL Layflat (t.w.v. €89,95). Tag een vriend die dit verdient 👇")
add("", "p", "x", "@nietgeboren_gister", "en",
    "Got a DM from \"Vellumo support\" asking me to verify card <<CARD_BAD>> lol nice try, that's not even my "
    "number. Reported.")
add("", "p", "x", "@congresganger", "nl",
    "Daan Kuipers van Vellumo sprak vandaag op het Drukwerkcongres over duurzaam papier. Interessant verhaal!")
add("", "c", "youtube", "@VellumoPrint", "en",
    "How to set up bleed and crop marks for your Vellumo business cards: full tutorial, template link in the "
    "description.")
add("", "p", "bluesky", "@zinequeen.bsky.social", "en",
    "vellumo printed my zine and honestly it slaps. 10/10 no notes")
add("", "p", "reddit", "u/api_tinkerer", "en",
    "My Vellumo partner API key got rotated and the dashboard only shows vlm_live_****a9f2 now. How do I get "
    "the full key back?")


# ---------------------------------------------------------------- build
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
SEV = ["none", "info", "warning", "error", "critical"]
PLACEHOLDER = re.compile(r"<<([A-Z_]+)(?::([a-z]+))?>>")
MEMO = {}
PUBLIC_IBANS = {re.sub(r"\s", "", i).upper() for i in PROFILE["public_identifiers"]["ibans"]}


def expand(text):
    used = []

    def sub(m):
        key, tag = m.group(1), m.group(2)
        if tag and (key, tag) in MEMO:
            val = MEMO[(key, tag)]
        elif key in SECRET_GEN:
            val = SECRET_GEN[key]()
        elif key in ID_GEN:
            val = ID_GEN[key]()
        else:
            raise KeyError(key)
        if tag:
            MEMO[(key, tag)] = val
        used.append((key, val))
        return val

    return PLACEHOLDER.sub(sub, text), used


def rand_time():
    start = dt.datetime(2026, 1, 3, tzinfo=dt.timezone.utc)
    secs = rng.randint(0, 359 * 86400)
    return (start + dt.timedelta(seconds=secs)).strftime("%Y-%m-%dT%H:%M:%SZ")


ZW_RE = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")
IBAN_RE = re.compile(r"\bNL\d{2}\s?[A-Z]{4}\s?\d{4}\s?\d{4}\s?\d{2}\b")
CARD_RE = re.compile(r"(?<![\d+])(?:\d{4}[ -]?){3}\d{4}(?!\d)")
BSN_RE = re.compile(r"(?<![\d.,+\-])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\d])")


def scan_ids(text):
    t = ZW_RE.sub("", text)
    out = []
    for m in IBAN_RE.finditer(t):
        s = re.sub(r"\s", "", m.group())
        out.append(("iban", s, s in PUBLIC_IBANS, iban_valid(s)))
    for m in CARD_RE.finditer(t):
        out.append(("card", m.group(), False, luhn_ok(m.group())))
    for m in BSN_RE.finditer(t):
        out.append(("bsn", m.group(), False, bsn_ok(m.group())))
    return out


def severity(cats, role, strong_pii):
    lvl = 0
    staff = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if staff:
                v = 3
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and strong_pii):
                    v = 4
            else:
                v = 2
        elif c == "reputation.complaint":
            v = 2
        elif c == "reputation.crisis":
            v = 3
        elif c == "reputation.abuse":
            v = 3 if staff else 2
        else:
            raise ValueError(c)
        lvl = max(lvl, v)
    return SEV[lvl]


def post_url(platform, handle, pid):
    h = handle.lstrip("@")
    if platform == "x":
        return f"https://x.com/{h}/status/{pid}"
    if platform == "bluesky":
        return f"https://bsky.app/profile/{h}/post/{pid}"
    if platform == "reddit":
        return f"https://www.reddit.com/r/thenetherlands/comments/{pid}"
    return None


cases = []
meta = []
used_ids = set()
for raw in RAW:
    role = role_of(raw["platform"], raw["handle"])
    assert role[0] == raw["who"], (raw["handle"], role, raw["who"])
    text, used = expand(raw["text"])
    cats = sorted({CAT[c] for c in raw["cats"]})
    found = scan_ids(text)
    strong = any(valid and not public for (_k, _v, public, valid) in found)
    sev = severity(cats, role, strong)
    while True:
        num = str(rng.randint(10 ** 11, 10 ** 12 - 1))
        pid = f"{raw['platform']}-{num}"
        if pid not in used_ids:
            used_ids.add(pid)
            break
    post = {"id": pid, "platform": raw["platform"], "kind": raw["kind"],
            "account": {"handle": raw["handle"]},
            "text": text, "created_at": raw["when"] or rand_time()}
    if raw["name"]:
        post["account"]["display_name"] = raw["name"]
    if rng.random() < 0.75:
        post["lang"] = raw["lang"]
    url = post_url(raw["platform"], raw["handle"], num)
    if url:
        post["url"] = url
    if rng.random() < 0.5:
        post["brand"] = "vellumo"
    cases.append({"post": post, "expect": {"categories": cats, "severity": sev}})
    meta.append(dict(role=role, used=used, found=found, lang=raw["lang"]))

order = list(range(len(cases)))
rng.shuffle(order)
cases = [cases[i] for i in order]
meta = [meta[i] for i in order]


# ---------------------------------------------------------------- self-checks
def fail(msg, case=None):
    sys.exit("SELF-CHECK FAILED: " + msg + ("" if case is None else "\n  " + json.dumps(case, ensure_ascii=False)))


def rfc3339(s):
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", s):
        return None
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


ALLOWED_CATS = set(CAT.values())
CODE_TERMS = [t.lower() for t in PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"]
              + PROFILE["internal"]["domains"]]
EMBARGO = [([t.lower() for t in e["terms"]], rfc3339(e["until"])) for e in PROFILE["embargo"]]
CONFUSABLE = str.maketrans({"\u0430": "a", "\u0435": "e", "\u043e": "o", "\u0440": "p", "\u0441": "c",
                            "\u0445": "x", "\u0455": "s", "\u0456": "i", "\u041e": "O", "\u041a": "K",
                            "\u0410": "A", "\u0415": "E", "0": "o", "1": "i", "3": "e", "4": "a"})


def loose(text):
    t = unicodedata.normalize("NFKC", ZW_RE.sub("", text)).translate(CONFUSABLE).lower()
    return re.sub(r"[^a-z]", "", t)


PRODUCTS = []
for p in PROFILE["products"]:
    names = [p["name"]] + list(p.get("aliases", []))
    PRODUCTS.append((p["list_price"], [re.compile(r"(?<!\w)" + re.escape(n), re.I) for n in names]))
PRICE_RE = re.compile(r"(?:€\s?(\d+(?:[.,]\d{1,2})?)|(\d+(?:[.,]\d{2})?)\s?(?:euro|EUR)\b)")
ERROR_WORDS = re.compile(r"prijsfout|price error|pricing glitch|mistake|klopt niet", re.I)
RATIO = PROFILE["pricing"]["alert_below_ratio"]

if not (170 <= len(cases) <= 180):
    fail(f"{len(cases)} cases, want 170-180")

seen = set()
for case, m in zip(cases, meta):
    post, exp = case["post"], case["expect"]
    # CONTRACT section 6 / section 1 shape
    if set(case) != {"post", "expect"} or set(exp) != {"categories", "severity"}:
        fail("bad case keys", case)
    if not isinstance(post["id"], str) or not 1 <= len(post["id"]) <= 256 or post["id"] in seen:
        fail("bad or duplicate id", case)
    seen.add(post["id"])
    if post["platform"] not in PLATFORMS or post.get("kind", "post") not in KINDS:
        fail("bad platform/kind", case)
    if not isinstance(post["account"].get("handle"), str) or not post["account"]["handle"]:
        fail("bad handle", case)
    if not isinstance(post["text"], str) or len(post["text"].encode("utf-8")) > 65536 or not post["text"]:
        fail("bad text", case)
    when = rfc3339(post["created_at"])
    if when is None or not (2026 <= when.year <= 2027):
        fail("bad created_at", case)
    if when.year == 2027 and not any(t in post["text"].lower() for terms, _ in EMBARGO for t in terms):
        fail("2027 date only for embargo cases", case)
    cats = exp["categories"]
    if cats != sorted(set(cats)) or not set(cats) <= ALLOWED_CATS:
        fail("bad categories", case)
    if exp["severity"] not in SEV:
        fail("bad severity", case)
    benign = not cats
    if benign and exp["severity"] != "none":
        fail("benign with severity", case)
    if not benign and exp["severity"] in ("none", "info"):
        fail("positive with low severity", case)
    if "<<" in post["text"]:
        fail("unexpanded placeholder", case)
    # identifiers: valid ones only (and always) in leak.pii cases, look-alikes only in negatives
    has_pii = "leak.pii" in cats
    for key, _val in m["used"]:
        if key in ("IBAN", "CARD", "BSN") and not has_pii:
            fail("valid identifier outside a pii case", case)
        if key.endswith("_BAD") and not benign:
            fail("look-alike identifier in a positive", case)
    for kind, val, public, valid in m["found"]:
        if public:
            continue
        if benign and valid:
            fail(f"benign case holds a valid {kind} {val}", case)
        if not benign and not valid:
            fail(f"positive holds a {kind} {val} that fails its checksum", case)
        if valid and not has_pii:
            fail(f"valid {kind} in a case without leak.pii", case)
    # secrets: generated credentials exactly in leak.secret cases, and well formed
    t = ZW_RE.sub("", post["text"])
    secret_keys = [k for k, _ in m["used"] if k in SECRET_GEN]
    if bool(secret_keys) != ("leak.secret" in cats):
        fail("secret placeholders vs leak.secret mismatch", case)
    for tok in re.findall(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", t):
        if gh_valid(tok) != ("leak.secret" in cats):
            fail("GitHub token checksum vs label mismatch", case)
    for key in re.findall(r"\bAKIA[A-Z2-7]{16}\b", t):
        if benign and "EXAMPLE" not in key:
            fail("real-looking AWS key in benign case", case)
    for jwt in re.findall(r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+", t):
        hdr = json.loads(base64.urlsafe_b64decode(jwt.split(".")[0] + "=="))
        if "alg" not in hdr or benign:
            fail("JWT problem", case)
    for key, val in m["used"]:
        if key.startswith("GH") and not gh_valid(ZW_RE.sub("", val)):
            fail("generated GitHub token fails CRC", case)
        if key == "AWS" and not re.fullmatch(r"AKIA[A-Z2-7]{16}", val):
            fail("bad AWS key id", case)
    # confidential terms: plain occurrence must be labelled; benign must not hold even obfuscated ones
    low = post["text"].lower()
    if any(term in low for term in CODE_TERMS) and "leak.confidential" not in cats:
        fail("internal term without leak.confidential", case)
    for terms, until in EMBARGO:
        if any(term in low for term in terms):
            if when < until and "leak.confidential" not in cats:
                fail("embargoed term before until without leak.confidential", case)
            if when >= until and not benign:
                fail("embargo term after until in a positive (keep those benign)", case)
    if benign:
        lt = loose(post["text"])
        for term in PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"]:
            if loose(term) in lt:
                fail(f"benign case holds (obfuscated) internal term {term}", case)
    # pricing
    mentioned = [lp for lp, pats in PRODUCTS if any(p.search(post["text"]) for p in pats)]
    prices = [float((a or b).replace(",", ".")) for a, b in PRICE_RE.findall(post["text"])]
    low_price = any(pr < RATIO * lp for pr in prices for lp in mentioned)
    if "leak.pricing" in cats:
        if not mentioned or not (low_price or ERROR_WORDS.search(post["text"])):
            fail("pricing case without product + low price / price-error talk", case)
    elif low_price:
        fail("price far below list without leak.pricing", case)
    # severity recomputed independently from the profile role
    if exp["severity"] != severity(cats, m["role"], any(v and not p for (_k, _x, p, v) in m["found"])):
        fail("severity mismatch", case)

# mix report
n = len(cases)
benign_n = sum(1 for c in cases if not c["expect"]["categories"])
count = {}
for c in cases:
    for cat in c["expect"]["categories"]:
        count[cat] = count.get(cat, 0) + 1
nl = sum(1 for m in meta if m["lang"] == "nl")
roles = {}
for c, m in zip(cases, meta):
    if c["expect"]["categories"]:
        key = ("leak" if any(x.startswith("leak.") for x in c["expect"]["categories"]) else "rep", m["role"])
        roles[key] = roles.get(key, 0) + 1
sevs = {}
for c in cases:
    sevs[c["expect"]["severity"]] = sevs.get(c["expect"]["severity"], 0) + 1
if not (55 <= benign_n <= 65):
    fail(f"{benign_n} benign cases")
if not (0.50 <= nl / n <= 0.60):
    fail(f"Dutch share {nl / n:.2f}")

with open(os.path.join(HERE, "cases.jsonl"), "w", encoding="utf-8") as fh:
    for c in cases:
        fh.write(json.dumps(c, ensure_ascii=False) + "\n")

print(f"{n} cases, {benign_n} benign, {n - benign_n} positive; Dutch {nl} ({nl / n:.0%})")
for k in sorted(count):
    print(f"  {k:22s} {count[k]}")
print("  severities:", dict(sorted(sevs.items(), key=lambda kv: SEV.index(kv[0]))))
print("  positives by kind/role:", dict(sorted(roles.items())))
print("self-check OK")
