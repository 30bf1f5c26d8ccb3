#!/usr/bin/env python3
"""Build the sealed279 evaluation set for postwatch (company: Nachtveer Slaapcomfort B.V.).

Deterministic (fixed seed). Writes cases.jsonl next to this file and self-checks it:
  * every line is a valid CONTRACT section 6 case,
  * severities are computed from the account role in profile.yaml (CONTRACT section 4),
  * every IBAN / card / BSN in a positive passes its checksum, every look-alike in a
    benign post fails it,
  * generated secrets are well-formed (GitHub CRC-32, AKIA alphabet, JWT header ...),
  * embargo terms appear in positives only before `until`, in benign posts only after,
  * benign posts carry no codename, marker or internal domain, and prices next to a
    catalogue product in benign posts stay at or above alert_below_ratio * list price.
Only the standard library and PyYAML are used.
"""
import base64
import json
import os
import random
import re
import sys
import unicodedata
import zlib
from datetime import datetime, timedelta, timezone

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 279
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# ----------------------------------------------------------------------------
# checksum helpers
# ----------------------------------------------------------------------------
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
URLSAFE = ALNUM + "-_"


def rand(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(bank):
    bban = bank + "".join(str(rng.randrange(10)) for _ in range(10))
    r = bban + "NL00"
    chk = 98 - int("".join(str(int(c, 36)) for c in r)) % 97
    return "NL%02d%s" % (chk, bban)


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
    body = prefix + "".join(str(rng.randrange(10)) for _ in range(length - len(prefix) - 1))
    for last in "0123456789":
        if luhn_ok(body + last):
            return body + last
    raise AssertionError


def bsn_ok(num):
    d = re.sub(r"\D", "", num)
    if len(d) != 9:
        return False
    tot = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return tot % 11 == 0 and int(d) != 0


def make_bsn():
    while True:
        d = str(rng.randrange(1, 10)) + "".join(str(rng.randrange(10)) for _ in range(8))
        if bsn_ok(d):
            return d


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def make_github(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()) & 0xFFFFFFFF).rjust(6, "0") == m.group(2)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt(payload):
    h = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    p = b64url(json.dumps(payload, separators=(",", ":")).encode())
    s = b64url(bytes(rng.randrange(256) for _ in range(32)))
    return "%s.%s.%s" % (h, p, s)


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    pad = parts[0] + "=" * (-len(parts[0]) % 4)
    return "alg" in json.loads(base64.urlsafe_b64decode(pad))


def make_pem():
    raw = bytes([0x30, 0x82, 0x04, 0xA4, 0x02, 0x01, 0x00, 0x02, 0x82, 0x01, 0x01, 0x00])
    raw += bytes(rng.randrange(256) for _ in range(456))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 64] for i in range(0, len(b), 64)]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"


FW = {c: chr(ord(c) + 0xFEE0) for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"}


def fullwidth(s):
    return "".join(FW.get(c, "\u3000" if c == " " else c) for c in s)


ZW = "\u200b"
CYR_O = "\u043e"   # Cyrillic small o
CYR_A = "\u0430"   # Cyrillic small a
CYR_E = "\u0435"   # Cyrillic small ie


def normalise(s):
    s = unicodedata.normalize("NFKC", s)
    s = re.sub("[\u200b\u200c\u200d\u2060\ufeff]", "", s)
    return s.translate(str.maketrans({CYR_O: "o", CYR_A: "a", CYR_E: "e"}))


# ----------------------------------------------------------------------------
# generated identifiers and secrets (all fictional, random, checksum-correct)
# ----------------------------------------------------------------------------
IBAN_MCD = make_iban("INGB")
IBAN_HENDRIKS = make_iban("ABNA")
IBAN_FEMKE = make_iban("RABO")
IBAN_MULDER = make_iban("SNSB")
BSN_FEMKE = make_bsn()
BSN_ANOUK = make_bsn()
CARD_CHECKOUT = make_card("4")
CARD_ZW = make_card("53")
CARD_ZW_TEXT = ZW.join(CARD_ZW[i:i + 4] for i in range(0, 16, 4))
# look-alikes for benign posts (checksums deliberately broken)
IBAN_FAKE = "NL12 INGB 0001 2345 67"
CARD_FAKE = "4111 1111 1111 1112"
BSN_FAKE = "123456789"
ORDER_NO = "204518873"

GH_TOKEN = make_github("ghp_")
AWS_ID = "AKIA" + rand("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
AWS_SECRET = rand(ALNUM + "/+", 40)
MOLLIE = "live_" + rand(ALNUM, 30)
GOOGLE = "AIza" + rand(URLSAFE, 35)
JWT = make_jwt({"sub": "svc-checkout", "iss": "auth.nachtveer.nl", "scope": "orders:write",
                "iat": 1781000000, "exp": 1781086400})
PEM = make_pem()
SLACK = "xoxb-%s-%s-%s" % ("".join(str(rng.randrange(10)) for _ in range(12)),
                          "".join(str(rng.randrange(10)) for _ in range(13)), rand(ALNUM, 24))
OPENAI = "sk-proj-" + rand(URLSAFE, 58) + "T3BlbkFJ" + rand(URLSAFE, 58)
ANTHROPIC = "sk-ant-api03-" + rand(URLSAFE, 93) + "AA"
STRIPE = "sk_live_51" + rand(ALNUM, 96)
DB_URL = "postgresql://bi_reader:Zomer2026!nv@10.20.4.15:5432/orders"
SHARED_PW = "Veertje#2026!slaap"
COMPANY_IBAN = PROFILE["public_identifiers"]["ibans"][0]
COMPANY_IBAN_GROUPED = group4(COMPANY_IBAN)

# ----------------------------------------------------------------------------
# cases
# ----------------------------------------------------------------------------
CASES = []
CP, CR, AB, PII = "reputation.complaint", "reputation.crisis", "reputation.abuse", "leak.pii"
SEC, SCT, CONF, FIN, PRC = "leak.secret", "leak.security", "leak.confidential", "leak.financial", "leak.pricing"


def add(platform, handle, lang, cats, text, kind="post", when=None, ids=(), name=None, url=False):
    CASES.append(dict(platform=platform, handle=handle, lang=lang, cats=sorted(set(cats)),
                      text=text, kind=kind, when=when, ids=list(ids), name=name, url=url))


# ---- complaints ------------------------------------------------------------
add("x", "@sanne_vd_h", "nl", [CP],
    "@nachtveer_help al 3 weken wachten op mijn Wolkdek matras. Bezorgdatum is nu vier keer "
    "verschoven en niemand belt terug. Slaap op een luchtbed ffs 😤", kind="reply")
add("reddit", "u/backpain_dave", "en", [CP],
    "PSA for anyone in NL looking at Nachtveer: bought the Original 160x200 in March, by June there's "
    "a proper trench on my side of the bed. They call it \"normal settling\" and refused the 100-night "
    "trial because I was on night 104. Never again.", url=True)
add("facebook", "marieke.hoogland.73", "nl", [CP],
    "Boxspring geleverd met een gescheurde hoek en de bezorgers wilden niet eens wachten tot ik had "
    "gekeken. Foto's gestuurd naar klantenservice, 9 dagen later nog steeds geen reactie. Dit noemen "
    "jullie service Nachtveer?", name="Marieke Hoogland")
add("x", "@hotsleeper_jen", "en", [CP],
    "the Koelgel \"cooling\" mattress from @nachtveer is about as cool as a sauna. woke up drenched "
    "every night for a month. and the returns portal just throws an error. great.")
add("instagram", "@joris.tilburg", "nl", [CP],
    "Retour aangemeld op 2 mei, ophaaldienst is 2x niet komen opdagen en ik had er allebei de keren "
    "een vrije dag voor genomen. Geld terug? Nog steeds niet. Echt klaar mee", kind="comment")
add("x", "@fenna_b", "en", [CP],
    "@nachtveer_help Linnenrust duvet cover shrank to single-bed size after ONE wash lol. and yes i "
    "followed the care label", kind="reply")
add("x", "@m_okafor", "en", [CP],
    "Ordered a 90x200 Nachtveer Original, got an 80x200. Customer service says I have to pay the return "
    "shipping for THEIR mistake?? @nachtveer sort it out")
add("tiktok", "@slapenmetanouk", "nl", [CP],
    "Storytime: Rustpunt boxspring gekocht van €2.499, motor aan het voeteneinde maakt na 2 maanden een "
    "geluid alsof er een grasmaaier in zit. monteur komt \"over 6 weken\". #nachtveer #klantenservice #fail")
add("forum", "SleepyTom_NL", "en", [CP],
    "Three emails and one 40-minute phone queue later, still no answer from Nachtveer on why they "
    "charged me twice for the same Donzig topper. Bank shows two debits of €229. Anyone else had this?",
    url=True)
add("x", "@ditisgert", "en", [CP],
    "Nachtveer's chatbot is genuinely the most useless thing I've ever talked to. \"I don't understand "
    "your question\" x12. Getting an actual human on the line is impossible")
add("bluesky", "@ilse-bakt.bsky.social", "en", [CP],
    "Mattress arrives rolled up in a box, fine, but 2 weeks later it still reeks of chemicals. Window's "
    "been open day and night. Nachtveer says \"just let it air out\". for how long??")
add("x", "@ahmedk", "en", [CP],
    "@nachtveer_help your delivery partner left my 40kg mattress box in the rain outside the building. "
    "Now it's soaked through. Who's paying for this?", kind="reply")
add("facebook", "henk.veldkamp", "nl", [CP],
    "Kleinduim kindermatras besteld voor ons zoontje, na een week laat de hoes al los bij de rits en de "
    "naden rafelen. Voor €149 verwacht je toch wat beters van Nachtveer.", name="Henk Veldkamp")
# complaint + own personal data
add("x", "@r_schouten", "nl", [CP, PII],
    "@nachtveer_help bel me nou gewoon terug ipv die standaard mailtjes. 06-41 87 22 90, bereikbaar na "
    "17u. Bestelling 2026-88417 staat al 3 weken op 'in behandeling'", kind="reply")
add("x", "@laura_mcd", "en", [CP, PII],
    "@nachtveer_help second time asking. The refund for the returned Haven boxspring never arrived. "
    "Please just send it to %s, L. McDonald. It's been 6 weeks." % group4(IBAN_MCD),
    kind="reply", ids=[("iban", IBAN_MCD)])
# complaint + abuse
add("x", "@boze_barry", "nl", [CP, AB],
    "Nachtveer is gewoon een stel oplichters. Matras doorgezakt na 2 maanden en die sukkels van de "
    "klantenservice lachen je uit aan de telefoon. Kutbedrijf.")
add("x", "@dan_the_man88", "en", [CP, AB],
    "@nachtveer_help you absolute clowns. 5 weeks for a bed frame that shows up missing half the bolts. "
    "useless pricks", kind="reply")
# first-hand safety incidents: crisis + complaint
add("x", "@noortje_vw", "nl", [CR, CP],
    "Onze Gloeiwarm onderdeken van Nachtveer is vannacht gaan smeulen. Wakker geworden van de "
    "brandlucht, gat in het hoeslaken en de matras is geschroeid. Als mijn dochter daar had gelegen... "
    "Ik ben zo ontzettend boos. #nachtveer")
add("facebook", "grace.whitfield", "en", [CR, CP],
    "Got a proper electric shock off the remote of our Rustpunt adjustable bed this morning, arm was "
    "tingling for an hour. There were sparks from the cable near the motor. It's unplugged and staying "
    "that way. Nachtveer, this is dangerous.", name="Grace Whitfield")
add("instagram", "@mama_van_twee", "nl", [CR, CP],
    "Slaapmuis babymatras van Nachtveer: de rits schoof open en er zat een los stuk schuim uit dat mijn "
    "zoon (9 mnd) in zijn mond had. Hij heeft het gelukkig uitgekokhalsd. Haal dit uit de verkoop!!")
add("reddit", "u/itchy_in_utrecht", "en", [CR, CP],
    "Since we got the Nachtveer Ganzendons pillows my wife and I both have rashes and a cough we can't "
    "shake. GP thinks it's something in the filling, they smell musty when you open the zip. Anyone "
    "else? Support just offered us 10% off our next order lol", url=True)
add("x", "@tim_bouwt", "nl", [CR, CP],
    "Eikhout bedframe van Nachtveer is vannacht ingestort, de middenbalk is gewoon doormidden. Mijn "
    "vriendin heeft een gekneusde rug. Montage precies volgens het boekje. Hoe kan dit?")

# ---- crisis ------------------------------------------------------------------
add("x", "@safehome_alerts", "en", [CR],
    "RECALL: Nachtveer is recalling the Gloeiwarm heated underblanket over a risk of overheating. Stop "
    "using it and check your receipt. #recall #productsafety")
add("x", "@consumerwatch_eu", "en", [CR],
    "Reports emerging that Nachtveer sold mattresses labelled as certified low-emission foam that were "
    "never certified. Lawyers are already collecting affected customers.")
add("x", "@dierenactivist_lies", "nl", [CR],
    "Nachtveer adverteert met 'ethisch dons' maar de undercoverbeelden laten levend geplukte ganzen "
    "zien. BOYCOT Nachtveer. Deel dit! #boycotnachtveer #levendgeplukt")
add("x", "@breachbrief", "en", [CR],
    "Looks like Nachtveer got breached: a dump with ~80k customer names, addresses and order histories "
    "is up for sale on a forum right now. Sample rows match real orders. @nachtveer care to comment?")
add("facebook", "wijkapp.zuilen", "nl", [CR],
    "Brandweer vanmiddag uitgerukt naar de Amsterdamsestraatweg: slaapkamerbrand, volgens de bewoners "
    "veroorzaakt door een elektrische onderdeken van Nachtveer. Niemand gewond, woning voorlopig "
    "onbewoonbaar.", name="Wijkapp Zuilen")
add("linkedin", "pvd-advocaten", "nl", [CR],
    "Namens 34 consumenten hebben wij vandaag een collectieve vordering ingesteld tegen Nachtveer "
    "Slaapcomfort B.V. wegens misleidende voorwaarden rond het '100 nachten proefslapen'.",
    name="PvD Advocaten")
add("tiktok", "@babysleep_coach", "en", [CR],
    "PSA parents: a mum in my group says the cover of her Nachtveer Slaapmuis baby mattress came open "
    "and her baby had foam in his mouth. Please check yours tonight. #safesleep #nachtveer")
add("x", "@klantvanvroeger", "nl", [CR],
    "Steeds meer mensen krijgen phishingmails met hun eigen Nachtveer-ordernummer en adres erin. Dat "
    "kan maar één ding betekenen: datalek bij Nachtveer, en ze houden hun mond.")
add("bluesky", "@fabricnerd.bsky.social", "en", [CR],
    "A consumer TV show just showed that Nachtveer's 'Made in Europe' duvets are sewn in a factory "
    "with documented child labour. That's a scandal. Not buying there again.")
add("x", "@indoorair_watch", "en", [CR],
    "Formaldehyde in Koelgel mattresses? Tonight's broadcast: a lab found levels way above the limit, "
    "and several families report headaches and shortness of breath. #nachtveer")

# ---- abuse -------------------------------------------------------------------
add("x", "@xXsjaakXx", "nl", [AB],
    "@lotte_nachtveer jij bent echt de domste trut die ik ooit aan de lijn heb gehad", kind="reply")
add("x", "@ragequit_rob", "en", [AB],
    "nachtveer staff are a bunch of brain-dead morons, every single one of them")
add("instagram", "@anoniempje_22", "nl", [AB],
    "die hoofddoekmevrouw van jullie klantenservice moet maar terug naar haar eigen land, snapt geen "
    "woord Nederlands", kind="comment")
add("x", "@wraakengel", "en", [AB],
    "@nachtveer " + fullwidth("filthy scumbags") + ", hope you all go bankrupt",
    kind="reply")
add("x", "@n0_sl33p", "en", [AB],
    "@nachtveer_help y0u 4r3 4ll fuck1ng 1d10ts", kind="reply")
add("x", "@mattresshater", "en", [AB],
    "N a c h t v e e r = s.h.i.t.h.o.l.e c.o.m.p.a.n.y run by w.a.n.k.e.r.s 🖕")
add("reddit", "u/rejected_again", "en", [AB],
    "Found the LinkedIn of that Ingrid from Nachtveer HR who rejected me. Let's all go tell her what a "
    "worthless piece of shit she is", kind="comment")
add("x", "@bram_dekker_nv", "nl", [AB],
    "@jeroenvd als je te dom bent om een lattenbodem in elkaar te zetten moet je niet bij ons komen "
    "janken, sukkel", kind="reply")
add("x", "@nachtveer_help", "nl", [AB],
    "@dan_the_man88 Misschien eerst leren lezen voordat je gaat zeiken, idioot.", kind="reply")
add("tiktok", "@dikke_daan_010", "nl", [AB],
    "kankerbedrijf met je kankermatrassen, stelletje tyfuslijers", kind="comment")

# ---- personal data -------------------------------------------------------------
add("x", "@nachtveer_help", "nl", [PII],
    "@ahmedk Hoi Ahmed, we zien je bestelling op naam van A. Kaya, Vondellaan 17, 3521 GB Utrecht. "
    "De nieuwe bezorgdatum is donderdag tussen 8 en 12 uur.", kind="reply")
add("instagram", "@ruben.slaapt", "nl", [PII],
    "Laatste adres van de dag 😅 mevrouw J. de Graaf, Molenstraat 4 in Bunnik, 3 hoog zonder lift met "
    "een boxspring. Respect voor mijn maat #bezorgerslife")
add("x", "@lotte_nachtveer", "nl", [PII],
    "Die klant belde vandaag al 6x, ik zet zijn nummer gewoon hier: 06 1742 9083 (Peter Wijnands). "
    "Veel plezier ermee 🙃")
add("linkedin", "ingrid-smits-nv", "nl", [PII],
    "Welkom Femke Lammers in ons team! 🎉 Femke, voor de salarisadministratie heb ik nog je BSN %s en "
    "je IBAN %s nodig, kun je die bevestigen? Dan is alles rond." % (BSN_FEMKE, IBAN_FEMKE),
    ids=[("bsn", BSN_FEMKE), ("iban", IBAN_FEMKE)])
add("facebook", "NachtveerSlaapcomfort", "nl", [PII],
    "Beste meneer Hendriks, uw terugbetaling van €899 is vandaag verwerkt naar rekening %s (t.n.v. "
    "W. Hendriks). Excuses voor het lange wachten!" % group4(IBAN_HENDRIKS),
    kind="comment", ids=[("iban", IBAN_HENDRIKS)])
add("x", "@mvanleeuwen_dev", "en", [PII],
    "debugging checkout, anyone seen this? payment declined for card %s exp 08/28, customer "
    "marit.jonker84@ziggo.nl, 3DS never even fires" % group4(CARD_CHECKOUT),
    ids=[("card", CARD_CHECKOUT)])
add("bluesky", "@daan-nv.bsky.social", "nl", [PII],
    "En de winnaar van onze winactie is... Sophie Kramer, geboren 12-04-1991, uit Zwolle! We mailen je "
    "op sophie.kramer91@hotmail.com 🎉")
add("tiktok", "@kim.in.het.dc", "nl", [PII],
    "pakbon van vandaag lol: 'Dhr. K. Bos, Kerkweg 112, 2861 AP Bergambacht, tel 0182-384551, "
    "bezorgen achterom bij de kippen' 🐔😂")
add("x", "@oma_truus47", "nl", [PII],
    "@nachtveer_help mijn kleinzoon heeft het besteld maar ik betaal. Kunt u het bedrag afschrijven "
    "van mijn rekening %s t.n.v. G. Mulder? Ik heb geen internetbankieren" % group4(IBAN_MULDER),
    kind="reply", ids=[("iban", IBAN_MULDER)])
add("x", "@jake_relocating", "en", [PII],
    "@nachtveer_help just moved, please update my delivery address: Jake Porter, Oudegracht 210-B, "
    "3511 NR Utrecht, phone +31 6 2038 5517. Thanks!", kind="reply")
add("x", "@stuck_at_checkout", "en", [PII],
    "@nachtveer_help checkout keeps failing with my Mastercard %s, exp 11/27. is it your side or "
    "mine?" % CARD_ZW_TEXT, kind="reply", ids=[("card", CARD_ZW)])
add("x", "@wrongbox_wim", "en", [PII],
    "Haha my Donzig topper from Nachtveer came with someone else's invoice in the box: "
    "'Mevr. D. Koster, geb. 03-11-1958, Lindelaan 8, 9401 AB Assen'. I'll forward it to her 🙈")
add("x", "@anouk_dewit", "nl", [PII],
    "@nachtveer_help voor de gespreide betaling: mijn BSN is %s, klopt het dat jullie partner die "
    "nodig heeft? groet, Anouk de Wit" % BSN_ANOUK, kind="reply", ids=[("bsn", BSN_ANOUK)])

# ---- secrets ------------------------------------------------------------------
add("x", "@bram_dekker_nv", "nl", [SEC, CONF],
    "waarom werkt dit niet 😩\nexport GITHUB_TOKEN=%s\ngit clone https://git.nachtveer.nl/webshop/"
    "checkout.git\n-> Authentication failed" % GH_TOKEN)
add("x", "@mvanleeuwen_dev", "en", [SEC],
    "note to self (yes I know):\nAWS_ACCESS_KEY_ID=%s\nAWS_SECRET_ACCESS_KEY=%s\nregion eu-west-1, the "
    "invoices bucket" % (AWS_ID, AWS_SECRET))
add("mastodon", "@sophiejanssen@mastodon.social", "nl", [SEC],
    "Kan iemand me helpen met de Mollie webhook? Ik gebruik key %s en krijg steeds een 401 terug 🤯"
    % MOLLIE)
add("x", "@nachtveer", "nl", [SEC],
    "Nieuw op de blog: zo kies je de juiste matras voor jouw slaaphouding 👉 "
    "https://nachtveer.nl/blog/matras-kiezen?utm_source=x&key=%s" % GOOGLE)
add("x", "@bram_dekker_nv", "nl", [SEC],
    "prod token is weer verlopen, deze werkte vanochtend nog: Authorization: Bearer %s" % JWT)
add("x", "@bram_dekker_nv", "nl", [SEC],
    "Iemand enig idee waarom ssh deze niet pakt? \"invalid format\"\n%s" % PEM)
add("x", "@mvanleeuwen_dev", "en", [SEC],
    "connection string for the reporting replica if anyone on the BI team needs it: %s" % DB_URL)
add("instagram", "@ruben.slaapt", "nl", [SEC],
    "Jongens het wachtwoord van de gedeelde bezorg-app is weer veranderd. wachtwoord: %s (niet "
    "doorsturen he 😅)" % SHARED_PW)
add("x", "@freelance_frits", "en", [SEC],
    "freelanced for a Dutch mattress webshop (Nachtveer) and they STILL haven't paid me, so here's "
    "their Slack bot token I guess: %s" % SLACK)
add("x", "@mvanleeuwen_dev", "en", [SEC],
    "our product-description generator burned €400 overnight 🙃 does anyone know if %s has a spend "
    "limit on it? asking for a friend" % OPENAI)
add("reddit", "u/bughunter_nl", "en", [SEC],
    "Nachtveer's webshop ships a Stripe live secret key in its frontend JS bundle: %s . Reported it "
    "two weeks ago, no reply." % STRIPE, url=True)
add("mastodon", "@sophiejanssen@mastodon.social", "en", [SEC],
    "claude keeps rate-limiting our FAQ bot, key is %s , is that a per-key or per-org limit?"
    % ANTHROPIC)

# ---- security -------------------------------------------------------------------
add("x", "@mvanleeuwen_dev", "nl", [SCT],
    "Niet verder vertellen, maar we zitten sinds 4 uur vannacht zonder WMS, alles versleuteld. "
    "Ransomware. Officieel heet het een 'technische storing' 🫠")
add("x", "@bram_dekker_nv", "en", [SCT],
    "lol found out our order API hands you any customer's order if you just increment the id. ticket's "
    "been open since March, nobody cares")
add("x", "@lotte_nachtveer", "nl", [SCT],
    "Vandaag hebben 3 collega's van de klantenservice hun wachtwoord op een phishingsite ingevuld, en "
    "met die accounts zijn klantgegevens geëxporteerd. Wij mogen er niks over zeggen tegen klanten.")
add("mastodon", "@sophiejanssen@mastodon.social", "en", [SCT],
    "heads-up from the inside: our payment integration has been down since 09:00, every single "
    "checkout fails, and the status page still says all systems operational")
add("x", "@bram_dekker_nv", "nl", [SCT],
    "Onze staging-omgeving met een kopie van de productiedatabase staat gewoon open op internet, zonder "
    "wachtwoord. Al 2x gemeld. Niemand doet iets.")
add("x", "@thijs_inkoop", "nl", [SCT],
    "IT zegt dat er vorige week iemand in ons leveranciersportaal heeft gezeten die nepfacturen heeft "
    "ingediend. 38k al overgemaakt 😬 en niemand mag het weten")
add("tiktok", "@kim.in.het.dc", "nl", [SCT],
    "de scanners in het DC liggen al 2 dagen plat, alles met pen en papier, en klanten krijgen "
    "gewoon mailtjes dat hun pakket onderweg is 😂 niks is onderweg")
add("x", "@mvanleeuwen_dev", "en", [SCT, CONF],
    "if you're wondering why grafana.nachtveer.nl is screaming: since the CDN change the webshop has "
    "been sending session cookies over plain http. fix ETA unknown")
add("bluesky", "@daan-nv.bsky.social", "nl", [SCT],
    "Beetje awkward: onze complete nieuwsbrieflijst (210k adressen) is 'per ongeluk' gedeeld met een "
    "extern bureau zonder verwerkersovereenkomst. Legal is in paniek, nog geen melding bij de AP gedaan.")
add("x", "@jesse_ict", "nl", [SCT, CR],
    "Mijn neef werkt bij Nachtveer op IT: hun klantportaal is al een week gehackt en ze hebben nog "
    "niks gemeld. Check je wachtwoorden mensen")
add("x", "@mvanleeuwen_dev", "en", [SCT],
    "patched the password reset flaw tonight. for ~2 months anyone could take over any customer "
    "account with just the email address. not announced, management is 'evaluating'")
add("x", "@lotte_nachtveer", "en", [SCT],
    "not supposed to say this but: the live chat has been dead since Friday and we're telling "
    "customers it's 'high volume'. nope, the chat vendor got hacked")
add("instagram", "@ruben.slaapt", "nl", [SCT],
    "Kunnen jullie ons niet bereiken? Klopt, de hele telefonie ligt eruit sinds vanmorgen na een "
    "aanval op de centrale, en op de site staat er nog niks over", kind="comment")

# ---- confidential -----------------------------------------------------------------
add("bluesky", "@daan-nv.bsky.social", "nl", [CONF],
    "Sneak peek van waar ik al maanden aan werk: de Wolkdek Pro 🤫 zone-koeling, 7 zones, lancering "
    "binnenkort!", when="2026-10-14T19:22:00Z")
add("mastodon", "@sophiejanssen@mastodon.social", "en", [CONF],
    "Project Donderwolk is finally out of the prototype phase. Can't say much, but mattresses will "
    "never be the same")
add("x", "@thijs_inkoop", "nl", [CONF],
    "Lavendelveld loopt weer vertraging op, leverancier in Portugal krijgt het schuim niet op spec. "
    "Die Q2-planning gaan we niet halen")
add("x", "@thijs_inkoop", "nl", [CONF, FIN],
    "[NV-INTERN] marge per kanaal H1: webshop 41%, marketplaces 18%, showrooms 9%. Leg mij maar eens "
    "uit waarom we die showrooms nog openhouden")
add("x", "@bram_dekker_nv", "en", [CONF],
    "anyone else getting 502s on https://jira.nachtveer.nl/browse/WEB-4471 or is it just me")
add("x", "@lotte_nachtveer", "en", [CONF],
    "the new leave policy is up on http://intra.nachtveer.local/hr/verlof-2027 , read it before friday "
    "team!")
add("x", "@brandgossip", "en", [CONF],
    "A friend says Nachtveer is working on something internally called 'Operatie Nachtuil': a complete "
    "rebrand with a new logo. Curious!")
add("instagram", "@ruben.slaapt", "nl", [CONF],
    "Vandaag de eerste proefnachten met Pr%sject D%snderwolk 😴 mag er niks over zeggen maar WOW"
    % (CYR_O, CYR_O))
add("instagram", "@ruben.slaapt", "nl", [CONF],
    "Haha kregen we dit mailtje, 'alleen voor intern gebruik': vanaf november geen bezorging meer op "
    "zaterdag. Nou dat gaat gezellig worden met de klanten", kind="post")
add("x", "@lotte_nachtveer", "nl", [CONF],
    "Interne FAQ zegt letterlijk dat we tegen klanten niet 'doorzakken' mogen zeggen maar 'een "
    "comfortlaag die zich vormt'. 'Vertrouwelijk: niet doorsturen' staat erboven 😂")
add("bluesky", "@daan-nv.bsky.social", "nl", [CONF],
    "Fotoshoot gehad voor de campagne van de Nachtveer Airflow, wat is het een mooi ding geworden. "
    "Nog even geduld allemaal!", when="2026-11-27T15:40:00Z")
add("x", "@tradefair_tess", "en", [CONF],
    "Saw the Wolkdek Pro spec sheet at a supplier's booth today. 7 zones, latex top, aiming for €1,199. "
    "Nachtveer will announce it in January apparently", when="2026-09-18T12:05:00Z")
add("x", "@kim_vd_wms", "nl", [CONF],
    "Wie heeft de printerinstellingen op wms.nachtveer.internal aangepast?? Alle pakbonnen komen er "
    "op A3 uit")
add("tiktok", "@kim.in.het.dc", "nl", [CONF],
    "P r o j e c t   D o n d e r w o l k gaat in maart naar de eerste testpanels 🤐 meer mag ik niet "
    "zeggen")
add("linkedin", "yusuf-ozkan-nachtveer", "nl", [CONF, FIN],
    "De jaarcijfers 2026 zijn rond en zonder te veel te verklappen: we zijn door de 100 miljoen omzet "
    "heen 🚀 Trots op het hele team!", when="2027-02-20T08:15:00Z")
add("x", "@thijs_inkoop", "en", [CONF, FIN],
    "FY2026 results draft just hit my inbox. EBITDA down, but better than the forecast we gave the "
    "bank. phew", when="2027-02-27T17:48:00Z")

# ---- financial --------------------------------------------------------------------
add("linkedin", "ingrid-smits-nv", "nl", [FIN],
    "Zwaarste week van mijn carrière. Volgende week horen 45 collega's in ons DC in Tilburg dat hun baan "
    "verdwijnt. Ik mag nog niks zeggen, maar ik kan het niet langer binnenhouden.")
add("x", "@thijs_inkoop", "en", [FIN],
    "Between us: Beddenhuys Groep is doing due diligence on Nachtveer right now. If it goes through "
    "we're part of a 300-store chain by summer")
add("linkedin", "yusuf-ozkan-nachtveer", "en", [FIN],
    "Q3 came in at -17% revenue vs last year. Numbers aren't public yet, but brace yourselves for a "
    "rough trading update.")
add("x", "@ex_nachtveerder", "nl", [FIN],
    "Net ontslagen bij Nachtveer na 6 jaar. En ik ben niet de enige: de hele klantenservice gaat per 1 "
    "januari naar een callcenter in Portugal, maar dat hoor je ze nergens zeggen")
add("x", "@mvanleeuwen_dev", "en", [FIN],
    "fun all-hands today: we're closing 4 of our 7 showrooms next year. official announcement "
    "\"in due course\"")
add("instagram", "@ruben.slaapt", "nl", [FIN],
    "Officieel mag ik nog niks zeggen maar onze eigen bezorgdienst wordt in het voorjaar opgeheven, "
    "alles gaat naar een externe vervoerder. Ik kijk dus vast rond 😬")
add("bluesky", "@daan-nv.bsky.social", "en", [FIN],
    "Marketing budget for 2027 cut by 40%, per the forecast finance showed us today. Revenue next year "
    "flat at best. Not public yet obviously")
add("x", "@inthe_know_nl", "en", [FIN],
    "Hearing from a good source that Nachtveer is on the brink: the bank didn't renew the credit line "
    "and suppliers haven't been paid for a month.")
add("x", "@lotte_nachtveer", "nl", [FIN],
    "De mensen van Droomzacht (die Belgische beddenzaak) kwamen vandaag 'kennismaken' op kantoor. We "
    "mogen nog niet zeggen dat we ze overnemen maar iedereen weet het natuurlijk")

# ---- pricing ----------------------------------------------------------------------
add("x", "@nachtveer", "nl", [PRC],
    "🔥 BLACK FRIDAY 🔥 Rustpunt elektrische boxspring 180x200 nu voor maar €249! Op = op.",
    when="2026-11-27T06:30:00Z")
add("instagram", "@nachtveer_nl", "nl", [PRC],
    "Alleen vandaag: het Vierseizoenen dekbed 240x220 voor €25,90 🤩 link in bio")
add("x", "@thijs_inkoop", "nl", [PRC],
    "Wie heeft de Wolkdek Plus in de backoffice op €129 gezet?? Er staan al 300 orders 😱")
add("x", "@DutchDealHunter", "nl", [PRC],
    "PRIJSFOUT! Koelgel matras bij Nachtveer voor €69,- (normaal €699). Snel zijn! #prijsfout #deal")
add("reddit", "u/bargainbinbas", "en", [PRC],
    "Nachtveer has the Haven boxspring 160x200 listed at €149 right now. Pricing error surely? Ordered "
    "two just in case", url=True)
add("x", "@appjager", "en", [PRC],
    "lol the Latex Lite topper is €18.90 in the Nachtveer app and €189 on the website. price error much?")
add("tiktok", "@kim.in.het.dc", "nl", [PRC],
    "Het Eikhout bedframe staat voor €64,90 online ipv €649 hahaha iemand is een nulletje vergeten. "
    "Heb er maar vast eentje besteld 🤫")
add("facebook", "NachtveerSlaapcomfort", "en", [PRC],
    "Weekend deal: the Nachtveer Ganzendons pillow for just €9.90 while stocks last!")
add("x", "@sven_koopt", "nl", [PRC],
    "is de Rustpunt boxspring nou echt €499 op nachtveer.nl?? dat is 80% korting, moet wel een glitch zijn")
add("x", "@lotte_nachtveer", "nl", [PRC],
    "Klanten bellen massaal over de prijsfout op de Donzig topper. We moeten zeggen dat alle orders "
    "geannuleerd worden 🙄")
add("x", "@deal_dana", "en", [PRC],
    "@nachtveer_help will you honour the price error on the Flexlat lattenbodem (€17.90)? my order went "
    "through fine, just want to know", kind="reply")
add("youtube", "@NachtveerTV", "nl", [PRC],
    "Nekwerk kussen tijdelijk voor €7,90 via de link hieronder! Bekijk in deze video waarom je nek je "
    "dankbaar zal zijn.")

# ---- benign (mostly hard negatives) ------------------------------------------------
add("x", "@sanne_slaapt_weer", "nl", [],
    "Eindelijk weer eens 8 uur doorgeslapen op mijn nieuwe Wolkdek matras 😍 rugpijn na 2 weken weg. "
    "Top @nachtveer")
add("x", "@priya_sleeps", "en", [],
    "Honestly the Nekwerk pillow from Nachtveer changed my life. Neck pain gone. Not sponsored lol")
add("instagram", "@catlady_maud", "en", [],
    "My cat has claimed the Donzig topper, I'm occasionally allowed on it 🐈 #nachtveer")
add("reddit", "u/sweatyinsleep", "en", [],
    "Hot sleepers: is the Nachtveer Koelgel actually cooler than a normal pocket spring? Comparing it "
    "with the Original 160x200, any experiences?", url=True)
add("x", "@kortingskoning", "nl", [],
    "Killer deal bij Nachtveer: Zomerlicht dekbed van €119 voor €89. Meteen toegeslagen!")
add("x", "@nachtveer", "nl", [],
    "Zomersale ☀️ 20% korting op alle Satijnzacht hoeslakens, nu vanaf €31,96. Alleen deze week op "
    "nachtveer.nl", when="2026-07-06T07:00:00Z")
add("instagram", "@nachtveer_nl", "en", [],
    "Spring offer 🌸 Wolkdek hybrid mattress 140x200 now €719 (was €899). Free delivery + 100-night "
    "trial.", when="2026-04-08T10:00:00Z")
add("facebook", "NachtveerSlaapcomfort", "nl", [],
    "€100 korting op de Rustpunt elektrische boxspring met code SLAAPLEKKER. Geldig t/m zondag!")
add("x", "@rekenaar_rik", "nl", [],
    "Rustpunt boxspring €2.499 bij Nachtveer. Vind het veel geld, maar als hij 10 jaar meegaat is het "
    "per nacht nog geen 70 cent")
add("x", "@nachtveer_help", "nl", [],
    "Vragen over je bestelling? Mail klantenservice@nachtveer.nl of bel 0800-6224 (ma-za 8-20u). "
    "We helpen je graag!")
add("facebook", "NachtveerSlaapcomfort", "nl", [],
    "Liever zelf overmaken? Dat kan naar %s t.n.v. Nachtveer Slaapcomfort B.V., onder vermelding van je "
    "ordernummer." % COMPANY_IBAN_GROUPED)
add("x", "@tevreden_tineke", "nl", [],
    "Tip: bel gewoon 030-7994410, binnen 2 minuten had ik iemand van Nachtveer aan de lijn. Retour "
    "was zo geregeld.")
add("linkedin", "nachtveer-slaapcomfort", "en", [],
    "Press enquiries: pers@nachtveer.nl. Job applications: werkenbij@nachtveer.nl. Returns: "
    "retour@nachtveer.nl.")
add("x", "@oplettendeoma", "nl", [],
    "Let op: nepmail 'namens Nachtveer' vraagt je €1,95 over te maken naar %s. Dat is NIET hun "
    "rekening! Niet doen en gewoon verwijderen." % IBAN_FAKE, ids=[("iban_fake", IBAN_FAKE)])
add("x", "@happy_hannah", "en", [],
    "@nachtveer_help thanks! order %s arrived today, the Flexlat is rock solid." % ORDER_NO,
    kind="reply", ids=[("bsn_fake", ORDER_NO)])
add("x", "@mvanleeuwen_dev", "en", [],
    "TIL the AWS docs example key AKIAIOSFODNN7EXAMPLE shows up in half the repos on GitHub. secret "
    "scanners love it 😅")
add("x", "@bram_dekker_nv", "nl", [],
    "Protip voor devs: zet nooit echte tokens in je README. Gebruik placeholders als "
    "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx en lever een .env.example mee")
add("x", "@bram_dekker_nv", "en", [],
    "Demo for the new joiners: this is what our scanner prints when it finds something, "
    "`ghp_****************************a1Zx (masked)`. Nothing real in there, promise.")
add("x", "@beleggertje", "nl", [],
    "Jaarcijfers 2026 van Nachtveer gelezen: omzet +8%, marge iets lager. Netjes voor een webshop in "
    "deze markt.", when="2027-03-10T20:11:00Z")
add("x", "@nachtveer", "en", [],
    "It's here: the Wolkdek Pro. 7 comfort zones and a cooling latex top. Available now on nachtveer.nl",
    when="2027-01-21T08:00:00Z")
add("x", "@showroomspotter", "nl", [],
    "Nachtveer Airflow getest in de showroom, voelt echt anders dan de gewone Wolkdek. Twijfel nog.",
    when="2027-02-02T14:30:00Z")
add("linkedin", "yusuf-ozkan-nachtveer", "nl", [],
    "Vandaag publiceerden we onze jaarcijfers 2026. Dank aan alle collega's die dit jaar mogelijk "
    "hebben gemaakt!", when="2027-03-04T11:00:00Z")
add("x", "@marloes_t", "nl", [],
    "Update over mijn doorgezakte matras: Nachtveer heeft hem gewoon omgeruild, binnen een week een "
    "nieuwe. Excuses aangenomen, netjes opgelost 👍")
add("x", "@chris_in_leiden", "en", [],
    "Shoutout to @nachtveer_help, the delivery mix-up got sorted in one call. New date plus a free "
    "pillowcase. Happy customer again.")
add("x", "@apeldoorner", "nl", [],
    "Sterkte aan alle medewerkers van die beddenzaak in Apeldoorn die vannacht is afgebrand. "
    "Gelukkig geen gewonden.")
add("x", "@recallwatch_uk", "en", [],
    "Big recall today of a heated blanket brand sold in supermarkets (not Nachtveer, different maker "
    "entirely). Check the label on yours.")
add("x", "@branchenieuws", "nl", [],
    "Grote Duitse beddenketen schrapt 300 banen, las ik net. Zware tijden in de slaapbranche.")
add("x", "@late_again_lars", "en", [],
    "My Nachtveer mattress is so comfy I've been late for work three times this week. I'm suing. "
    "(for emotional damage to my alarm clock)")
add("x", "@almost50", "en", [],
    "had my midlife crisis and bought a boxspring with a remote control. zero regrets. #Rustpunt")
add("x", "@vraagjevanvera", "nl", [],
    "Hoe lang is de proefslaapperiode bij Nachtveer eigenlijk, 100 nachten toch? En moet ik de doos "
    "bewaren?")
add("x", "@nachtveer_help", "nl", [],
    "Wachtwoord vergeten? Via 'Mijn account' > 'Wachtwoord wijzigen' stel je in een minuut een nieuw "
    "wachtwoord in. Wij vragen je NOOIT om je wachtwoord.")
add("x", "@nachtveer", "nl", [],
    "Vannacht tussen 02:00 en 04:00 doen we gepland onderhoud aan nachtveer.nl. Bestellen kan dan even "
    "niet, daarna gewoon weer.")
add("linkedin", "ingrid-smits-nv", "nl", [],
    "We zoeken een Security Engineer! Help jij ons de webshop en klantdata van Nachtveer veilig te "
    "houden? Solliciteer via werkenbij@nachtveer.nl")
add("x", "@lotte_nachtveer", "nl", [],
    "Vandaag 60 klanten blij gemaakt aan de telefoon. Beste team ❤️ #klantenservice")
add("instagram", "@ruben.slaapt", "nl", [],
    "Laatste rit van de dag, zonsondergang boven de A2 🌅 #bezorgerslife")
add("tiktok", "@kim.in.het.dc", "nl", [],
    "POV: je pakt 200 dekbedden in op één dag 💪 #dc #nachtveer")
add("x", "@dekbed_dilemma", "en", [],
    "Nachtveer Four Seasons duvet down to €219 in the sale, worth it or wait for Black Friday?")
add("x", "@jolanda_slaapt", "nl", [],
    "Ganzendons kussen gekocht voor €79 in de uitverkoop (normaal €99). Slaapt heerlijk.")
add("x", "@neckguy", "en", [],
    "This pillow is sick 🔥 the Nekwerk is ridiculously good, damn.")
add("x", "@ikwasdedader", "nl", [],
    "Ik ben echt een idioot, lag een week op de verkeerde kant van de matras en maar klagen 🤦‍♀️ "
    "Nachtveer support legde het geduldig uit")
add("instagram", "@diy_dad_mo", "en", [],
    "#sleepgoals new Eikhout bed frame put together in 45 min with my 12 year old. Clear instructions. "
    "10/10")
add("x", "@wachtwoordwijzer", "nl", [],
    "Weer een datalek bij een grote webwinkel (niet Nachtveer gelukkig). Wijzig je wachtwoorden "
    "mensen.")
add("mastodon", "@sophiejanssen@mastodon.social", "en", [],
    "Talking at a product meetup tonight about how we test mattress durability: 80,000 roller cycles "
    "on every model. Slides will be online afterwards.")
add("x", "@papa_van_pien", "nl", [],
    "Kleinduim matras voor de peuter, €149, prima kwaliteit en past precies in het bedje van zijn zus.")
add("x", "@privacytips_nl", "en", [],
    "Reminder: a Dutch BSN looks like %s but that one's fake, it fails the 11-test. Never post your "
    "real one, not even to a webshop's support account." % BSN_FAKE, ids=[("bsn_fake", BSN_FAKE)])
add("x", "@nepprijsvraag", "nl", [],
    "Die 'prijsvraag' die zogenaamd van Nachtveer komt en waar je je creditcard moet invullen is nep, "
    "Nachtveer heeft er zelf al voor gewaarschuwd. Ik heb %s ingevuld, kijken wat ze ermee doen lol" % CARD_FAKE, ids=[("card_fake", CARD_FAKE)])
add("tiktok", "@nachtveer", "en", [],
    "How to make your bed like a hotel in 30 seconds 🛏️ with the Satijnzacht fitted sheet #bedtok")
add("youtube", "@NachtveerTV", "nl", [],
    "Nieuwe video: het verschil tussen pocketvering en traagschuim, uitgelegd door onze slaapexpert.")
add("x", "@countdown_anna", "en", [],
    "Haven boxspring arrives tomorrow, €1,499 and I am SO excited!!")
add("x", "@curious_carl", "en", [],
    "Is Nachtveer's 100-night trial real or just marketing? Thinking about the Original 160x200 at €799.")
add("bluesky", "@daan-nv.bsky.social", "en", [],
    "Our new brand campaign 'Slaap zoals je bedoeld bent' is on TV from tonight 🎬 so proud of this team")
add("x", "@verliefd_op_bed", "nl", [],
    "LOL mijn vriend zegt dat onze nieuwe Nachtveer matras 'levensgevaarlijk comfortabel' is, hij "
    "komt er gewoon niet meer uit")
add("reddit", "u/labelreader", "en", [],
    "Lawsuit news: a US mattress brand settles a class action over fiberglass. Checked the label on my "
    "Nachtveer Original, no fiberglass in it. Phew.", url=True)
add("x", "@nachtveer_help", "en", [],
    "We hear you: delivery times are longer this month because of high demand. Current lead time for "
    "boxsprings is 3-4 weeks, details on nachtveer.nl/levering")
add("x", "@devdenise", "nl", [],
    "Voor wie API's bouwt: een JWT begint meestal met eyJhbGciOi... en is gewoon base64, niet "
    "versleuteld. Zet er dus niks geheims in.")
add("x", "@mvanleeuwen_dev", "nl", [],
    "Onze publieke statuspagina is live: status.nachtveer.nl. Alles groen vandaag 🟢")
add("x", "@freephone_fan", "en", [],
    "Nachtveer customer service number is 0800-6224 btw, it's free to call.")
add("x", "@coldfeet_clara", "en", [],
    "Day 3 with the Gloeiwarm underblanket: feet finally warm, and it switches itself off after 2 hours "
    "like it should. Lovely thing.")
add("x", "@teaspill_tess", "en", [],
    "The Droogwacht sheet survived a full mug of tea last night, mattress bone dry. Worth every cent.")
add("facebook", "lisa.vandam.88", "nl", [],
    "Wij hebben de Slaapmuis babymatras nu 2 jaar, hoes na 20 wasbeurten nog steeds als nieuw. "
    "Aanrader voor jonge ouders.", name="Lisa van Dam")
add("linkedin", "yusuf-ozkan-nachtveer", "nl", [],
    "Trots op ons finance-team: drie nieuwe collega's gestart deze maand. Welkom Noor, Pim en Sevda!")

# ----------------------------------------------------------------------------
# build posts
# ----------------------------------------------------------------------------
RANK = {"none": 0, "info": 1, "warning": 2, "error": 3, "critical": 4}
CORP = {a.lower() for a in PROFILE["accounts"]["corporate"]}
EMPL = {a.lower() for a in PROFILE["accounts"]["employee"]}


def role_of(platform, handle):
    key = ("%s:%s" % (platform, handle)).lower()
    if key in CORP:
        return "corporate"
    if key in EMPL:
        return "employee"
    return "public"


def severity(role, cats, ids):
    checksum_id = any(k in ("iban", "card", "bsn") for k, _ in ids)
    best = "none"
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                s = "critical" if (c in (SEC, PRC) or (c == PII and checksum_id)) else "error"
            else:
                s = "warning"
        elif c == CP:
            s = "warning"
        elif c == CR:
            s = "error"
        elif c == AB:
            s = "warning" if role == "public" else "error"
        else:
            raise AssertionError(c)
        if RANK[s] > RANK[best]:
            best = s
    return best


START = datetime(2026, 1, 5, tzinfo=timezone.utc)
SPAN = int((datetime(2026, 12, 20, tzinfo=timezone.utc) - START).total_seconds())

order = list(range(len(CASES)))
rng.shuffle(order)
lines = []
for n, i in enumerate(order, 1):
    c = CASES[i]
    when = c["when"] or (START + timedelta(seconds=rng.randrange(SPAN))).strftime("%Y-%m-%dT%H:%M:%SZ")
    pid = "nv279-%s-%03d" % (c["platform"], n)
    post = {"id": pid, "platform": c["platform"], "kind": c["kind"],
            "account": {"handle": c["handle"]}, "text": c["text"], "lang": c["lang"],
            "created_at": when, "brand": "Nachtveer"}
    if c["name"]:
        post["account"]["display_name"] = c["name"]
    if c["url"]:
        post["url"] = "https://%s.example/%s" % (c["platform"], pid)
    role = role_of(c["platform"], c["handle"])
    c["role"], c["when_final"], c["id"] = role, when, pid
    lines.append({"post": post, "expect": {"categories": c["cats"],
                                           "severity": severity(role, c["cats"], c["ids"])}})

OUT = os.path.join(HERE, "cases.jsonl")
with open(OUT, "w", encoding="utf-8") as fh:
    for obj in lines:
        fh.write(json.dumps(obj, ensure_ascii=False) + "\n")

# ----------------------------------------------------------------------------
# self-checks
# ----------------------------------------------------------------------------
errors = []


def check(cond, msg):
    if not cond:
        errors.append(msg)


PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
CATS = {SEC, PII, PRC, CONF, FIN, SCT, CR, CP, AB}
PUB = PROFILE["public_identifiers"]
PUB_IBANS = {re.sub(r"\s", "", x) for x in PUB["ibans"]}
PUB_PHONE_DIGITS = {re.sub(r"\D", "", p) for p in PUB["phones"]}
INTERNAL = [x.lower() for x in PROFILE["internal"]["domains"] + PROFILE["internal"]["codenames"]
            + PROFILE["internal"]["markers"]]
EMBARGO = [(t.lower(), datetime.fromisoformat(e["until"].replace("Z", "+00:00")))
           for e in PROFILE["embargo"] for t in e["terms"]]
ALIASES = []
for p in PROFILE["products"]:
    for a in [p["name"]] + p["aliases"]:
        ALIASES.append((a.lower(), float(p["list_price"])))
ALIASES.sort(key=lambda t: -len(t[0]))
RATIO = PROFILE["pricing"]["alert_below_ratio"]
check(RATIO == 0.5, "alert_below_ratio must be 0.5")
for ib in PUB_IBANS:
    check(iban_ok(ib), "company IBAN fails mod-97")
check(len(PROFILE["accounts"]["corporate"]) >= 6 and len(PROFILE["accounts"]["employee"]) >= 8,
      "too few accounts")
check(15 <= len(PROFILE["products"]) <= 25, "product count")
check(len(PROFILE["internal"]["codenames"]) == 3 and len(PROFILE["internal"]["markers"]) == 3,
      "codenames/markers")
check(all(e["until"].startswith("2027") for e in PROFILE["embargo"]), "embargo until in 2027")
check(all(p["currency"] == "EUR" for p in PROFILE["products"]), "currency")


def parse_price(s):
    s = s.strip().rstrip(",-")
    if re.fullmatch(r"\d{1,3}([.,]\d{3})+", s):
        return float(re.sub(r"[.,]", "", s))
    return float(s.replace(",", "."))


PRICE_RE = re.compile(r"€\s?(\d{1,3}(?:[.,]\d{3})+|\d+(?:[.,]\d{1,2})?)(?:,-)?(\s+korting)?")


def prices_with_product(text):
    """(price, list price of nearest preceding, else following, product mention)."""
    low = normalise(text).lower()
    mentions = []
    for a, lp in ALIASES:
        for m in re.finditer(r"(?<![a-z])" + re.escape(a) + r"(?![a-z])", low):
            mentions.append((m.start(), lp))
    out = []
    for m in PRICE_RE.finditer(low):
        if m.group(2):          # "€100 korting": a discount amount, not a price
            continue
        before = [lp for pos, lp in mentions if pos < m.start()]
        after = [lp for pos, lp in mentions if pos > m.start()]
        lp = before[-1] if before else (after[0] if after else None)
        out.append((parse_price(m.group(1)), lp))
    return out, bool(mentions)


seen_ids = set()
count = {k: 0 for k in CATS}
benign = 0
lang_nl = 0
for c, obj in zip([CASES[i] for i in order], lines):
    post, exp = obj["post"], obj["expect"]
    raw = json.dumps(obj, ensure_ascii=False)
    back = json.loads(raw)
    check(set(back) == {"post", "expect"}, "case keys")
    check(isinstance(post["id"], str) and 1 <= len(post["id"]) <= 256, "id")
    check(post["id"] not in seen_ids, "duplicate id " + post["id"])
    seen_ids.add(post["id"])
    check(post["platform"] in PLATFORMS, "platform")
    check(post["kind"] in KINDS, "kind")
    check(isinstance(post["account"]["handle"], str) and post["account"]["handle"], "handle")
    check(isinstance(post["text"], str) and 0 < len(post["text"].encode()) <= 65536, "text size")
    ts = datetime.fromisoformat(post["created_at"].replace("Z", "+00:00"))
    check(ts.tzinfo is not None and ts.year in (2026, 2027), "created_at")
    check(exp["categories"] == sorted(set(exp["categories"])), "categories sorted")
    check(all(k in CATS for k in exp["categories"]), "unknown category")
    check(exp["severity"] in RANK, "severity value")
    check(exp["severity"] == severity(c["role"], exp["categories"], c["ids"]), "severity policy")
    check((exp["severity"] == "none") == (not exp["categories"]), "benign <-> none " + post["id"])
    if c["role"] == "public":
        check(all(not post["account"]["handle"].lower() == a.split(":", 1)[1].lower()
                  for a in CORP | EMPL), "public handle collides with profile " + post["id"])
    for k in exp["categories"]:
        count[k] += 1
    lang_nl += post["lang"] == "nl"
    text = normalise(post["text"])
    low = text.lower()
    positive = bool(exp["categories"])
    benign += not positive

    # declared identifiers
    for kind, val in c["ids"]:
        compact = re.sub(r"\s", "", val)
        check(compact in re.sub(r"\s", "", text), "identifier not in text " + post["id"])
        if kind == "iban":
            check(iban_ok(val), "IBAN in positive fails " + post["id"])
        elif kind == "card":
            check(luhn_ok(val), "card in positive fails Luhn " + post["id"])
        elif kind == "bsn":
            check(bsn_ok(val), "BSN in positive fails 11-proof " + post["id"])
        elif kind == "iban_fake":
            check(not iban_ok(val) and not positive, "look-alike IBAN passes " + post["id"])
        elif kind == "card_fake":
            check(not luhn_ok(val) and not positive, "look-alike card passes " + post["id"])
        elif kind == "bsn_fake":
            check(not bsn_ok(val) and not positive, "look-alike BSN passes " + post["id"])
        if kind in ("iban", "card", "bsn"):
            check(PII in exp["categories"], "checksum id without leak.pii " + post["id"])

    # every IBAN-shaped string: positives must pass, benign must fail unless the company's own
    for m in re.finditer(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b", text):
        cand = re.sub(r"\s", "", m.group(0))
        if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z]{4}\d{10}", cand):
            continue
        if positive:
            check(iban_ok(cand), "IBAN-shaped string fails in positive " + post["id"])
        else:
            check(cand in PUB_IBANS or not iban_ok(cand), "valid foreign IBAN in benign " + post["id"])
    if not positive:
        for m in re.finditer(r"\d(?:[ .\-]?\d){8,18}", text):
            digits = re.sub(r"\D", "", m.group(0))
            if len(digits) == 9:
                check(not bsn_ok(digits), "11-proof number in benign " + post["id"])
            if 13 <= len(digits) <= 19:
                check(not luhn_ok(digits), "Luhn-valid number in benign " + post["id"])
        for e in re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", text):
            check(e in PUB["emails"], "foreign e-mail in benign " + post["id"])
        for term in INTERNAL:
            check(term not in low, "internal term in benign %s: %s" % (post["id"], term))
        for p, lp in prices_with_product(post["text"])[0]:
            if lp is not None:
                check(p >= RATIO * lp, "benign price below ratio %s: %s" % (post["id"], p))
    # embargo terms: before until only in confidential positives, after until only benign-safe
    for term, until in EMBARGO:
        if term in low:
            if ts < until:
                check(CONF in exp["categories"], "embargo term before until not confidential "
                      + post["id"])
            else:
                check(not positive or CONF not in exp["categories"] or
                      any(t in low for t in INTERNAL), "embargo term after until labelled " + post["id"])
    if PRC in exp["categories"]:
        pp, mentioned = prices_with_product(post["text"])
        below = any(lp is not None and p < RATIO * lp for p, lp in pp)
        talk = re.search(r"prijsfout|price error|pricing error|glitch|nulletje|backoffice", low)
        check(mentioned and (below or talk), "pricing case without product/low price " + post["id"])
    if SEC in exp["categories"]:
        check(any(s in post["text"] for s in (GH_TOKEN, AWS_ID, MOLLIE, GOOGLE, JWT, PEM, SLACK, OPENAI,
                                               ANTHROPIC, STRIPE, DB_URL, SHARED_PW)),
              "secret case without generated secret " + post["id"])
    if not positive:
        for pat in (r"gh[pousr]_[0-9A-Za-z]{36}", r"AKIA[A-Z2-7]{16}", r"sk_live_", r"xox[bp]-",
                    r"sk-(?:proj|ant)-", r"BEGIN [A-Z ]*PRIVATE KEY", r"eyJ[\w-]{10,}\.[\w-]+\.[\w-]+"):
            for m in re.finditer(pat, post["text"]):
                frag = post["text"][m.start():m.start() + 44]
                check("EXAMPLE" in frag or "xxxxxxxx" in frag or "****" in frag or frag.startswith("eyJhbGciOi..."),
                      "live-looking secret in benign " + post["id"])

# generated secrets are well-formed
check(github_ok(GH_TOKEN), "GitHub token checksum")
check(re.fullmatch(r"AKIA[A-Z2-7]{16}", AWS_ID) is not None, "AWS key id")
check(jwt_ok(JWT), "JWT header")
check(re.fullmatch(r"xoxb-\d{12}-\d{13}-[0-9A-Za-z]{24}", SLACK) is not None, "Slack token")
check(PEM.startswith("-----BEGIN RSA PRIVATE KEY-----"), "PEM")
check(not iban_ok(IBAN_FAKE) and not luhn_ok(CARD_FAKE) and not bsn_ok(BSN_FAKE) and not bsn_ok(ORDER_NO),
      "look-alikes must fail")

total = len(lines)
check(170 <= total <= 180, "case count %d" % total)
check(55 <= benign <= 65, "benign count %d" % benign)
share_nl = lang_nl / total
check(0.50 <= share_nl <= 0.62, "Dutch share %.2f" % share_nl)
targets = {CP: 20, CONF: 18, PII: 15, CR: 15, SCT: 13, SEC: 12, AB: 12, PRC: 12, FIN: 12}
for k, t in targets.items():
    check(abs(count[k] - t) <= 3, "category %s count %d (target ~%d)" % (k, count[k], t))

if errors:
    for e in errors:
        print("FAIL:", e, file=sys.stderr)
    sys.exit(1)
print("ok: %d cases, %d benign, %.0f%% Dutch, %s" % (total, benign, 100 * share_nl,
                                                        ", ".join("%s=%d" % kv for kv in sorted(count.items()))))
