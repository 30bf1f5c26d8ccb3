#!/usr/bin/env python3
"""Evaluation set sealed303 for postwatch: Talvora Orthopedics B.V. (fictional).

Deterministic (fixed seed). Writes cases.jsonl next to this file and self-checks it:
  * every IBAN / card / BSN inside a positive passes its checksum,
    every look-alike inside a benign post fails it;
  * generated credentials are built like the real ones (GitHub CRC-32, AWS, JWT ...);
  * every line is a valid CONTRACT §6 case;
  * severities are computed from the account role in profile.yaml (CONTRACT §4).
Needs Python 3 standard library + PyYAML.
"""
import base64
import datetime as dt
import json
import os
import random
import re
import string
import sys
import zlib

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))
rng = random.Random(303)

B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
B32 = string.ascii_uppercase + "234567"
URLSAFE = ALNUM + "-_"


# ---------------------------------------------------------------- checksums
def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def iban_make(cc, bban):
    r = bban + cc + "00"
    n = int("".join(str(int(c, 36)) for c in r))
    return "%s%02d%s" % (cc, 98 - n % 97, bban)


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


def luhn_make(prefix, length=16):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for c in string.digits:
        if luhn_ok(body + c):
            return body + c
    raise AssertionError


def bsn_ok(num):
    d = re.sub(r"\D", "", num)
    if len(d) != 9:
        return False
    w = [9, 8, 7, 6, 5, 4, 3, 2, -1]
    return sum(int(a) * b for a, b in zip(d, w)) % 11 == 0 and d != "000000000"


def bsn_make():
    while True:
        d = str(rng.randint(1, 9)) + "".join(rng.choice(string.digits) for _ in range(8))
        if bsn_ok(d):
            return d


def bsn_bad():
    while True:
        d = str(rng.randint(1, 9)) + "".join(rng.choice(string.digits) for _ in range(8))
        if not bsn_ok(d):
            return d


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def nl_iban():
    bank = rng.choice(["INGB", "ABNA", "RABO", "SNSB", "TRIO", "ASNB", "KNAB", "BUNQ"])
    acct = "".join(rng.choice(string.digits) for _ in range(10))
    return iban_make("NL", bank + acct)


def be_iban():
    first = "".join(rng.choice(string.digits) for _ in range(10))
    chk = int(first) % 97 or 97
    return iban_make("BE", first + "%02d" % chk)


def nl_iban_bad():
    good = nl_iban()
    cd = int(good[2:4])
    bad = good[:2] + "%02d" % ((cd + 37) % 97 + 2 if (cd + 37) % 97 + 2 < 100 else 11) + good[4:]
    assert not iban_ok(bad)
    return bad


def card_bad(prefix):
    good = luhn_make(prefix)
    last = (int(good[-1]) + 3) % 10
    bad = good[:-1] + str(last)
    assert not luhn_ok(bad)
    return bad


# ---------------------------------------------------------------- credentials
def b62(n, width=6):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def github_token(prefix="ghp_"):
    body = "".join(rng.choice(ALNUM) for _ in range(30))
    return prefix + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF)


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()) & 0xFFFFFFFF) == m.group(2)


def aws_key_id():
    return "AKIA" + "".join(rng.choice(B32) for _ in range(16))


def aws_secret():
    return "".join(rng.choice(ALNUM + "/+") for _ in range(40))


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt(payload):
    h = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    p = b64u(json.dumps(payload, separators=(",", ":")).encode())
    s = b64u(bytes(rng.getrandbits(8) for _ in range(32)))
    return "%s.%s.%s" % (h, p, s)


def slack_bot():
    return "xoxb-%d-%d-%s" % (rng.randint(10**10, 10**11 - 1), rng.randint(10**12, 10**13 - 1),
                               "".join(rng.choice(ALNUM) for _ in range(24)))


def stripe_live():
    return "sk_live_51" + "".join(rng.choice(ALNUM) for _ in range(97))


def openai_key():
    a = "".join(rng.choice(URLSAFE) for _ in range(64))
    b = "".join(rng.choice(URLSAFE) for _ in range(64))
    return "sk-proj-" + a + "T3BlbkFJ" + b


def anthropic_key():
    return "sk-ant-api03-" + "".join(rng.choice(URLSAFE) for _ in range(93)) + "AA"


def google_key():
    return "AIza" + "".join(rng.choice(URLSAFE) for _ in range(35))


def openssh_key():
    raw = (b"openssh-key-v1\x00" + b"\x00\x00\x00\x04none\x00\x00\x00\x04none\x00\x00\x00\x00"
           b"\x00\x00\x00\x01\x00\x00\x00\x33\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20"
           + bytes(rng.getrandbits(8) for _ in range(300)))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def password():
    w = rng.choice(["Hielspoor", "Voetje", "Zooltje", "Wreef", "Enkel"])
    return "%s!%d%s" % (w, rng.randint(1000, 9999), rng.choice(["zomer", "Q3", "xx", "#"]))


# ---------------------------------------------------------------- values
PUB_IBAN = PROFILE["public_identifiers"]["ibans"][0]

GHP1 = github_token("ghp_")
GHS1 = github_token("ghs_")
AKIA1, AWSSEC1 = aws_key_id(), aws_secret()
AKIA2 = aws_key_id()
SLACK1 = slack_bot()
STRIPE1 = stripe_live()
OPENAI1 = openai_key()
ANTH1 = anthropic_key()
GOOG1 = google_key()
SSH1 = openssh_key()
JWT1 = jwt({"sub": "klant-%d" % rng.randint(10000, 99999), "role": "patient", "clinic": "ZWL",
            "iat": 1781000000, "exp": 1781086400})
PW1, PW2 = password(), password()
PGPW = "".join(rng.choice(ALNUM) for _ in range(14))

IBAN_REFUND = nl_iban()
IBAN_OWN = nl_iban()
IBAN_BE = be_iban()
BSN1 = bsn_make()
CARD_EMP = luhn_make("4571")
CARD_CUST = luhn_make("5413")

IBAN_BAD = nl_iban_bad()
CARD_BAD1 = card_bad("6064")
BSN_BAD1 = bsn_bad()
BSN_BAD2 = bsn_bad()
CARD_BAD2 = card_bad("4929")

ZW = "\u200b"


def zw(s):
    return ZW.join(s)


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in s)


def cyr(s):
    table = {"a": "\u0430", "o": "\u043e", "e": "\u0435", "p": "\u0440", "c": "\u0441", "A": "\u0410",
             "O": "\u041e", "P": "\u0420"}
    return "".join(table.get(c, c) for c in s)


# ---------------------------------------------------------------- cases
CASES = []
CATMAP = {
    "complaint": "reputation.complaint", "crisis": "reputation.crisis", "abuse": "reputation.abuse",
    "secret": "leak.secret", "pii": "leak.pii", "pricing": "leak.pricing",
    "confidential": "leak.confidential", "financial": "leak.financial", "security": "leak.security",
}


def C(cats, platform, handle, lang, text, at=None, kind="post", chk=(), bad=(), name=None):
    CASES.append(dict(cats=[CATMAP[c] for c in cats.split("+")] if cats else [],
                      platform=platform, handle=handle, lang=lang, text=text, at=at, kind=kind,
                      chk=list(chk), bad=list(bad), name=name))


# ===== first-hand safety incidents: complaint + crisis
C("complaint+crisis", "x", "@sandra_vd_meer", "nl",
  "Mijn ThermoSok begon gisteravond te smeulen terwijl ik gewoon op de bank zat 😳 batterijvakje "
  "helemaal zwart en een brandplek op mijn enkel. @talvora_helpt dit is toch niet normaal?? foto's in de reply")
C("complaint+crisis", "reddit", "u/achingarches", "en",
  "PSA / rant: the Talvora Voetmassage Pro 3 gave me a proper electric shock this morning. Water tray was "
  "bone dry, plugged it in, ZAP right up my left leg. Unplugged it with a tea towel and it's going straight "
  "back. Not what you want from a 'therapeutic' device for people with bad circulation.")
C("complaint+crisis", "facebook", "gerda.hofstede.7", "nl",
  "Na de laserbehandeling tegen schimmelnagels bij Talvora in Amersfoort heb ik een blaar zo groot als een "
  "euro op m'n grote teen. Niemand die vooraf zei dat het zo heet kon worden. Kan nu geen schoen aan. "
  "Morgen maar weer bellen, de eerste keer werd ik gewoon afgescheept.")
C("complaint+crisis", "x", "@kevruns010", "en",
  "ok so the sole of my Stride Runner just peeled off mid-run, I went down on the asphalt, knee is a mess "
  "and the wrist might be fractured. bought these for my flat feet from @talvora_nl 3 weeks ago. unreal",
  kind="post")
C("complaint+crisis", "instagram", "@oma.truus.breit", "nl",
  "Mijn man kreeg van die Ureum 25 voetcrème van Talvora zo'n uitslag dat we vannacht op de huisartsenpost "
  "zaten. Opgezwollen voeten, rode vlekken tot aan z'n knie. Ben er klaar mee. #talvora #allergie #nooitmeer")

# ===== crisis told by third parties / boycott / breach accusation / lawsuit / recall / scandal
C("crisis", "x", "@zwollenieuws_live", "nl",
  "Brandweer rukt uit naar woning in Kampen. Oorzaak vermoedelijk een verwarmde sok van het merk Talvora "
  "die lag te laden op de slaapkamer. Bewoonster licht gewond, NVWA is ingelicht.")
C("crisis", "x", "@footcare_watch", "en",
  "Second report this week of a Talvora ThermoSok overheating. A friend of a friend's kid got burned in "
  "Almere apparently. Somebody at the NVWA should be looking into this.")
C("crisis", "x", "@boycot_voetzorg", "nl",
  "Talvora laat diabetespatiënten maanden wachten op maatschoenen en keert ondertussen dikke bonussen uit "
  "aan de top. Zeg je afspraak af, koop er niks meer. #boycotTalvora #zorgisgeenverdienmodel")
C("crisis", "bluesky", "@privacyhawk.bsky.social", "en",
  "Looks like Talvora's patient portal has been leaking appointment data: names, foot scans, diagnoses, "
  "all sitting in an open storage bucket. The Dutch DPA should be all over this. If you're a Talvora "
  "patient, you may want to ask them some pointed questions.")
C("crisis", "forum", "dvn_twente_bestuur", "nl",
  "Namens het bestuur: wij als patiëntenvereniging diabetes regio Twente starten een rechtszaak tegen "
  "Talvora Klinieken. Bij drie van onze leden zijn wondjes bij de voetcontrole gemist, twee van hen zijn "
  "inmiddels geamputeerd. Meer info op de ALV van 12 juni.")
C("crisis", "x", "@retailwire_eu", "en",
  "Talvora recalls ~14,000 pairs of Kiddo Steun children's shoes after reports that the buckle on the "
  "strap can come off and be swallowed. Parents told to stop using them immediately.")
C("crisis", "tiktok", "@jessvloggt", "nl",
  "waarom praat niemand over dat schandaal bij talvora?? die podotherapeut in breda die foto's van voeten "
  "van patiënten op een fetish site zette 🤢🤢 en ze lieten hem gewoon doorwerken #talvora #schandaal")
C("crisis", "reddit", "u/nursenora", "en",
  "Heads up for anyone with neuropathy: a patient on our ward got a nasty pressure ulcer from a badly "
  "fitted Talvora Diabetica Comfort shoe and ended up admitted for IV antibiotics. Not my story to tell "
  "in detail but please check your feet every day.")
C("crisis", "x", "@kees_uit_zwolle", "nl",
  "Hoor dat de IGJ een onderzoek is gestart naar de Talvora kliniek in Zwolle na meerdere infecties na "
  "een nagelingreep. Als dat klopt is dat heftig, mijn moeder komt daar ook.")
C("crisis", "mastodon", "@jorisb@mastodon.social", "en",
  "Petition to drop Talvora from the insurers' contracted-provider lists just passed 8k signatures. "
  "Boycott them until they own up to the ThermoSok burns. #boycott #Talvora")

# ===== complaints
C("complaint", "x", "@petravdl", "nl",
  "@talvora_helpt al 9 weken wachten op mijn maatzolen. 'volgende week' hoor ik nu voor de 4e keer. "
  "Loop intussen op mijn oude versleten dingen en mn hiel doet zeer. Wat is er aan de hand bij jullie?",
  kind="reply")
C("complaint", "x", "@tomasgrey_", "en",
  "Paid €95 for the 3D Loopanalyse at Talvora Utrecht and the 'analysis' was a guy watching me walk up "
  "and down for 4 minutes, then printing a generic pdf. Felt like a rip-off tbh. I want my money back.")
C("complaint", "facebook", "ans.koster.1943", "nl",
  "Afspraak voor medische pedicure stond al 6 weken vast, sta ik vanochtend voor een dichte deur in "
  "Deventer. Geen mail, geen sms, niks. Ik ben 81 en met de regiotaxi gekomen. Zo ga je toch niet met "
  "ouderen om Talvora.")
C("complaint", "reddit", "u/dutchflatfoot", "en",
  "Third pair of Arcus Walk 2 in a year where the heel counter just collapses after ~2 months. Talvora "
  "keeps calling it 'normal wear'. That's not normal for a €189 shoe. Anyone else had this?")
C("complaint", "x", "@robbert_83", "nl",
  "klantenservice van talvora is echt 1 grote grap. 47 min in de wacht, verbinding verbroken. nog eens "
  "35 min. 'we bellen u terug' is nooit gebeurd #talvora #klantonvriendelijk")
C("complaint", "instagram", "@sole.searcher", "en",
  "Ordered the Hallux Relief sandals in a 39 and got two LEFT feet 🙃 and the return label link doesn't "
  "work either. @talvora.voetzorg help??", kind="comment")
C("complaint", "x", "@linda_wandelt", "nl",
  "Declaratie bij mn zorgverzekeraar afgewezen omdat Talvora de verkeerde code op de factuur heeft gezet. "
  "Nu mag ík het uitzoeken en sta ik 275 euro rood voor die maatzolen. Fijn hoor.")
C("complaint", "reddit", "u/bakfietsvader", "nl",
  "Zoontje heeft Kiddo Steun schoenen van Talvora, na 5 weken zit er al een gat in de neus. In de winkel "
  "zeggen ze dat hij 'te veel voetbalt'. Het is een kind van 6, natuurlijk voetbalt ie 🤷")
C("complaint", "x", "@hanneke_hh", "en",
  "Physio referred me to Talvora for custom insoles. The podiatrist spent half the appointment on her "
  "phone and measured the wrong foot size. Had to go back twice. Really disappointing for a 'specialist' clinic.")
C("complaint", "x", "@jurgen_bouwt", "nl",
  "Werkschoen S3 Orto na 2 maanden al niet meer waterdicht. Elke dag natte sokken op de bouw. Garantie? "
  "'gebruikersfout' zeggen ze. Nooit meer Talvora.")
C("complaint", "facebook", "priya.ramdin.nl", "en",
  "Refund for my returned Ridge Boots was promised within 14 days. It's been 6 weeks. Every email gets the "
  "same copy-paste answer. @TalvoraVoetzorg this is not ok.", kind="comment")
C("complaint", "x", "@mikeyboots_", "en",
  "the StapCoach app logs me out every single day and my step data from last month is just gone. what am "
  "I even paying for @talvora_helpt", kind="reply")
C("complaint+abuse", "x", "@woedendewim", "nl",
  "Talvora jullie zijn een stelletje oplichters en die podo in Tilburg is een arrogante trut. 3x verkeerde "
  "zolen en dan nog de schuld bij mij leggen. kankerbedrijf")
C("complaint+abuse", "x", "@grumpygait", "en",
  "Talvora's 'customer care' team are useless fucking idiots. My Nachtspalk arrived broken AGAIN, second "
  "time. Fix it or give me my money back, morons.")
C("complaint+pii", "instagram", "@henk.de.fietser", "nl",
  "@talvora.voetzorg al 3x gebeld over mijn orthopedische schoenen die niet passen en niemand belt terug. "
  "Bel me dan gewoon op 06-41 87 29 53 want dit duurt echt te lang zo", kind="comment")

# ===== abuse
C("abuse", "x", "@anoniem1987x", "nl",
  "die podotherapeut van talvora in arnhem, die met die hoofddoek, hoort hier niet thuis. ga terug naar "
  "je eigen land")
C("abuse", "x", "@trollface_nl", "en", "talvora staff are a bunch of braindead clowns lmao 🤡🤡")
C("abuse", "x", "@kutvoeten", "nl",
  "@mirjam_podo jij bent zo'n domme koe. ik weet waar je werkt en ik wacht je een keer op na je dienst",
  kind="reply")
C("abuse", "reddit", "u/cringepatrol", "en",
  "Whoever runs the Talvora TikTok is a pathetic loser. Cringe bootlicking garbage, go touch grass you "
  "absolute muppet.")
C("abuse", "x", "@r4g3_q", "nl", "t4lv0r4 = k4nk3rz00i, vi3ze h0m0's z1jn het daar allemaal")
C("abuse", "x", "@notimpressed_uk", "en",
  "Talvora you're a bunch of %s thieves, hope every one of your clinics rots" % zw("fucking"))
C("abuse", "x", "@daan_vos_tlv", "nl",
  "@robbert_83 misschien eerst leren lezen voordat je gaat lopen janken, sukkel", kind="reply")
C("abuse", "instagram", "@bossche_bol_73", "en",
  "@talvora.voetzorg your receptionist in Den Bosch is a fat lazy cow who can't even spell a surname. "
  "Fire her.", kind="comment")
C("abuse", "x", "@vlamweerper", "nl",
  "Talvora stelletje t y f u s l i j e r s, ik hoop echt dat jullie failliet gaan")
C("abuse", "x", "@hotaketakes", "en",
  "Talvora hires retards to make their shoes, explains a lot tbh")

# ===== pricing
C("pricing", "x", "@dealjager_nl", "nl",
  "PRIJSFOUT?! Talvora Ridge Boot voor €24,90 in de webshop 😱 snel zijn mensen #deal #prijsfout")
C("pricing", "reddit", "u/krentenbol_deals", "en",
  "Talvora Voetmassage Pro 3 is listed at €14.90 on shop.talvora.nl right now. Surely a pricing mistake, "
  "ordered two anyway lol")
C("pricing", "x", "@talvora_nl", "nl",
  "Alleen vandaag: Talvora Maatzool Custom voor €59! 👣 Boek je aanmeting via afspraak.talvora.nl")
C("pricing", "instagram", "@lotte.schoenmaakster", "nl",
  "Collega's opgelet: in de kassa staat de Diabetica Comfort op €22,90 ipv 229 🙈 tot IT het fixt even "
  "handmatig corrigeren hè")
C("pricing", "x", "@jkwakman_dev", "en",
  "oops. the product feed pushed the Stride Runner to the webshop at 16.90 for like 40 minutes. rollback "
  "done, 300+ orders in. post-mortem tomorrow 🫠")
C("pricing", "x", "@bargainbex", "en", "lmao Talvora selling the Arcus Walk 2 for 9 euros?? is this a glitch")
C("pricing", "facebook", "TalvoraVoetzorg", "nl",
  "Beste Marco, dat klopt: door een prijsfout stond de Werkschoen S3 Orto gisteren voor €16,90 op de site. "
  "Die bestellingen leveren we helaas niet uit. Excuses voor de verwarring.", kind="reply")
C("pricing", "facebook", "marjolein.vd.broek", "nl",
  "Zag vandaag in de Talvora winkel in Leiden de Huisslof Therapie met een sticker van €7,90. Kassa deed "
  "moeilijk maar het stond er echt!")
C("pricing", "threads", "@femke.talvora", "nl",
  "klanten bellen massaal over de 3D Loopanalyse voor €9,50 op de site. klopt niet, is een prijsfout, we "
  "honoreren het niet. houd het even stil aub 🙏")
C("pricing", "x", "@cheapskate_sam", "en",
  "Ordered a Talvora Nachtspalk HV for €5.99 incl. delivery. Either a typo or they're clearing stock lol")
C("pricing", "mastodon", "@basdekker@mastodon.nl", "nl",
  "Iemand heeft de Kiddo Steun op €11,90 gezet in de nieuwe prijslijst voor de filialen. Dat wordt een "
  "gezellig weekend als dat zo live gaat 😅")
C("pricing", "x", "@kortingkoning", "nl",
  "Talvora %s voor €1,99 🤑🤑 prijsfout? ik heb er 10 besteld" % fullwidth("Gelhiel"))

# ===== secrets
C("secret", "x", "@jkwakman_dev", "nl",
  "wie heeft dit in #dev-algemeen geplakt?? GITHUB_TOKEN=%s graag revoken asap" % GHP1)
C("secret", "reddit", "u/orthotech_wim", "en",
  "Help, boto3 keeps giving AccessDenied on an s3 upload. my ~/.aws/credentials:\n\n"
  "[default]\naws_access_key_id = %s\naws_secret_access_key = %s\nregion = eu-west-1\n\nwhat am I missing?"
  % (AKIA1, AWSSEC1))
C("secret", "x", "@talvora_helpt", "nl",
  "testbericht integratie klantenservice-bot, negeren aub: token %s" % SLACK1)
C("secret", "mastodon", "@basdekker@mastodon.nl", "nl",
  "Waarom werkt dit niet?? psql \"postgresql://tlv_reporting:%s@10.42.7.19:5432/omzet\" geeft timeout. "
  "VPN staat gewoon aan" % PGPW)
C("secret", "bluesky", "@noorhendriks.bsky.social", "nl",
  "Voor iedereen uit het team die de nieuwe nieuwsbrieftool wil proberen: gebruikersnaam tlv-marketing, "
  "wachtwoord: %s . Veel plezier!" % PW1)
C("secret", "x", "@jkwakman_dev", "en",
  "anyone know why the insole chatbot keeps returning 429? key is %s and there's plenty of credit on the "
  "account" % OPENAI1)
C("secret", "blog", "jkwakman.dev", "en",
  "How we wired up payments for the clinic booking flow in an afternoon.\n\n```python\nimport stripe\n"
  "stripe.api_key = \"%s\"\nsession = stripe.checkout.Session.create(mode=\"payment\", ...)\n```\n"
  "Next post: webhooks." % STRIPE1)
C("secret", "x", "@curious_coder_nl", "en",
  "lol found this in Talvora's public JS bundle: const MAPS_KEY = \"%s\" someone should tell them" % GOOG1)
C("secret", "x", "@daan_vos_tlv", "nl",
  "deploy faalt met 'invalid format', dit is de key die ik gebruik, iemand een idee?\n%s" % SSH1)
C("secret", "threads", "@femke.talvora", "nl",
  "ik kom niet in het klantportaal, IT vroeg om mijn token te sturen, bij deze: %s" % JWT1)
C("secret", "x", "@jkwakman_dev", "en",
  "new deploy token for the staging pipeline, don't share pls: %s" % zw(GHS1))
C("secret+security", "x", "@daan_vos_tlv", "nl",
  "volgens mij zijn we gehackt. iemand heeft vannacht vanuit Vietnam ingelogd met deze key: %s, "
  "alles roteren mensen" % AKIA2)

# ===== security (insiders, before public)
C("security", "x", "@daan_vos_tlv", "nl",
  "Afsprakenplanner ligt er al sinds 06:00 uit, alle klinieken plannen op papier. Certificaat verlopen op "
  "de loadbalancer 🤦 Nog niks naar buiten gecommuniceerd dus ssst")
C("security", "reddit", "u/orthotech_wim", "en",
  "Throwaway-ish: my employer Talvora got hit by ransomware Friday night. The foot scanners in the "
  "workshop are all encrypted. Management tells customers it's 'technical maintenance'.")
C("security", "x", "@jkwakman_dev", "en",
  "fun fact: change the patientId in the url of the Talvora portal and you get someone else's foot scan. "
  "reported internally 3 weeks ago, still not fixed 🙃")
C("security", "bluesky", "@noorhendriks.bsky.social", "nl",
  "Phishingmail bij zo'n 40 collega's binnen en 3 hebben hun inlog ingevuld. IT zit met de handen in het "
  "haar. Klanten weten nog van niks.")
C("security", "threads", "@femke.talvora", "nl",
  "Team klantenservice: de StapCoach app toont sinds gisteren bij sommige klanten de gegevens van ándere "
  "klanten. NIET bevestigen aan bellers tot er een statement is.")
C("security", "linkedin", "gerard-bos-talvora", "en",
  "Proud of our IT team who worked through the night to contain last week's intrusion into our clinic "
  "scheduling system. More details once legal has signed off on the disclosure.")
C("security", "mastodon", "@basdekker@mastodon.nl", "nl",
  "De webshop draait al 3 dagen met een WordPress plugin met een bekende RCE, de patch staat op "
  "'volgende sprint'. Ik zeg er verder niks meer over.")
C("security", "instagram", "@lotte.schoenmaakster", "nl",
  "Werkplaats ligt plat vandaag, de zolenprinters zijn besmet met een of ander virus via een usb-stick 🙄 "
  "geen idee wanneer we weer kunnen")
C("security", "x", "@bram_kijkt_mee", "en",
  "my mate in Talvora IT says their whole booking backend has been down since Tuesday and they're "
  "telling customers it's 'planned maintenance'. it isn't.")
C("security", "x", "@daan_vos_tlv", "nl",
  "DDoS op onze %s sinds 14:00, Cloudflare houdt het nauwelijks. Niet retweeten graag" % cyr("afspraakpagina"))
C("security", "reddit", "u/orthotech_wim", "en",
  "The clinic tablets at Talvora still run Android from 2019 with the default admin PIN. Anyone in the "
  "waiting room could open patient files. Nobody upstairs cares.")
C("security", "linkedin", "esra-yilmaz-podotherapeut", "nl",
  "Let op collega's: het EPD is sinds vanochtend onbereikbaar en we weten nog niet of er data is "
  "weggelekt. Communicatie naar patiënten volgt pas na overleg met de FG.")

# ===== financial
C("financial", "linkedin", "ruben-akkerman-talvora", "en",
  "Tough quarter behind us: Q3 revenue came in 11% under budget and EBITDA roughly halved. Numbers go to "
  "the board Thursday, publication early November. Hang in there team.")
C("financial", "x", "@mirjam_podo", "nl",
  "Net in het teamoverleg gehoord dat er volgend jaar 6 klinieken dichtgaan, waaronder de onze in "
  "Apeldoorn. Officieel mogen we er nog niks over zeggen 😢")
C("financial", "x", "@zorginsider_nl", "en",
  "Hearing from two sources that Talvora is in advanced talks to be acquired by a German orthopaedics "
  "group. Due diligence apparently wraps up in January.")
C("financial", "threads", "@femke.talvora", "nl",
  "Er gaan 38 fte weg bij klantenservice, het wordt uitbesteed aan een callcenter in Portugal. OR hoort "
  "het pas volgende week. Ik ben er kapot van.")
C("financial", "linkedin", "talvora-orthopedics", "en",
  "Forecast update (draft): Talvora now expects full-year revenue of €142–146m, below the €160m guidance, "
  "mainly due to lower insurer reimbursement rates.")
C("financial", "mastodon", "@basdekker@mastodon.nl", "nl",
  "Voor wie bij Talvora werkt: de winstdeling gaat dit jaar niet door, de cijfers zijn dramatisch. Hoorde "
  "het van iemand van finance.")
C("confidential+financial", "bluesky", "@noorhendriks.bsky.social", "nl",
  "Sneak preview: de jaarcijfers 2026 zijn binnen en ik mag niks zeggen behalve... champagne 🍾🍾 nog even "
  "geduld allemaal!", at="2027-02-19T17:42:00Z")
C("financial", "linkedin", "gerard-bos-talvora", "en",
  "Excited that we're close to signing the acquisition of a chain of 12 podiatry practices in Flanders. "
  "More in a few weeks when it's official!")
C("financial", "forum", "schoonmaakmieke", "nl",
  "Mijn zwager werkt op het hoofdkantoor van Talvora en zegt dat er een reorganisatie aankomt waarbij alle "
  "pedicures in loondienst eruit gaan en als zzp'er terug mogen komen. Wordt pas in februari bekend.")
C("financial", "reddit", "u/orthotech_wim", "en",
  "rumor at the workshop confirmed: Talvora loses the contract with the second-biggest insurer from 1 Jan, "
  "that's roughly 25% of revenue. Announcement only after new year.")
C("financial", "x", "@jkwakman_dev", "en",
  "overheard finance: bank covenants get breached in Q1 if sales don't pick up, refinancing talks already "
  "started. yikes")
C("confidential+financial", "linkedin", "ruben-akkerman-talvora", "nl",
  "Vandaag de kick-off van Operatie Zandloper: doel €9 mln kostenbesparing en sluiting van het "
  "distributiecentrum in Nieuwegein. Vertrouwelijk tot de aankondiging, dank voor jullie inzet!")

# ===== confidential
C("confidential", "x", "@jkwakman_dev", "en",
  "finally got the pressure sensor firmware running on the Project Kwikstaart prototype insole. 8 hours of "
  "battery 🎉")
C("confidential", "instagram", "@lotte.schoenmaakster", "nl",
  "Eerste paar Arcus Walk 3 uit de werkplaats! Wat een verschil met de 2 😍 #trots #handwerk",
  at="2027-03-27T15:10:00Z")
C("confidential", "bluesky", "@noorhendriks.bsky.social", "en",
  "Moodboard for the Talvora Sensa launch is done! Can't wait to show you all in spring 🌸")
C("confidential", "reddit", "u/orthotech_wim", "en",
  "Anyone else run Jira for workshop tickets? Our instance at jira.talvora-it.nl has been painfully slow "
  "since the upgrade")
C("confidential", "threads", "@femke.talvora", "nl",
  "handige link voor collega's: https://intra.talvora.local/klantenservice/scripts/retouren daar staan de "
  "nieuwe belscripts")
C("confidential", "mastodon", "@basdekker@mastodon.nl", "nl",
  "Mooie nieuwe dashboards gebouwd op grafana.ops.talvora.nl, eindelijk zie ik de bezetting van alle "
  "klinieken realtime")
C("confidential", "linkedin", "esra-yilmaz-podotherapeut", "nl",
  "Vandaag training gehad over het nieuwe behandelprotocol voor diabetische voeten (Talvora intern, dus ik "
  "zeg er verder niks over 😉) maar wat een verbetering.")
C("confidential", "x", "@sneakerleaksNL", "en",
  "LEAKED: Talvora 'Tarsalis' is a carbon-plate orthopaedic running shoe dropping next year. pics from a "
  "supplier in Portugal ⬇️")
C("confidential", "x", "@mirjam_podo", "nl",
  "Pilot met Project Kwikstaart in onze kliniek gestart, 20 patiënten lopen nu met de slimme zool. "
  "Resultaten tot nu toe 👌👌")
C("confidential", "instagram", "@talvora.voetzorg", "nl",
  "Sneak peek 👀 de Arcus Walk 3 komt eraan... wie raadt de kleur? #talvora #nieuw")
C("confidential", "x", "@daan_vos_tlv", "nl",
  "Screenshot van de roadmap in de verkeerde groepsapp gedeeld 🙈 'TALVORA CONFIDENTIAL – Roadmap 2027: "
  "Talvora Sensa, Project Kwikstaart, Tarsalis'. Hopelijk kijkt niemand")
C("confidential", "x", "@lienekeloopt", "nl",
  "vriendin werkt bij Talvora en test onder NDA een nieuwe schoen met ingebouwde drukmeter, Arcus Walk 3 "
  "heet ie geloof ik. klinkt vet")
C("confidential", "x", "@jkwakman_dev", "en",
  "tip: in ehr.talvora.local ctrl+k jumps straight to patient search. saves so many clicks")
C("confidential", "threads", "@femke.talvora", "nl",
  "Zo blij dat ik in het %s-team mag, eindelijk iets anders dan klachten 😄" % cyr("Project Kwikstaart"))
C("confidential", "x", "@insoleinsider", "en",
  "psst T.a.r.s.a.l.i.s is real and it'll cost 300 euros. source: trust me 😎")
C("confidential", "mastodon", "@basdekker@mastodon.nl", "nl",
  "Volgende week demo van de T a l v o r a  S e n s a voor de raad van bestuur. Spannend!")
C("confidential", "reddit", "u/jobhunter_utr", "en",
  "Had a weird interview at Talvora. They made me sign an NDA and then showed me a 'Project Kwikstaart' "
  "slide about smart insoles that track gait data for insurers.")

# ===== personal data
C("pii", "x", "@mirjam_podo", "nl",
  "Wie heeft het dossier van mevr. Brouwer (geb. 03-07-1948, Lindelaan 22, Hengelo) in de wachtkamer "
  "laten liggen?? 😤")
C("pii", "x", "@talvora_helpt", "nl",
  "@petravdl Beste Petra, we hebben je maatzolen naar je nieuwe adres gestuurd: Petra van Leeuwen, "
  "Bloemgracht 118-2, 1015 TN Amsterdam. Track & trace volgt!", kind="reply")
C("pii", "facebook", "TalvoraVoetzorg", "nl",
  "Beste meneer Jansen, de terugbetaling van €139 is vandaag overgemaakt naar %s. Excuses voor het lange "
  "wachten!" % group4(IBAN_REFUND), kind="reply", chk=[("iban", IBAN_REFUND)])
C("pii", "threads", "@femke.talvora", "nl",
  "kan iemand van finance checken of deze klant al terugbetaald is? BSN %s staat op de machtiging, naam "
  "Anouk Wiersma" % BSN1, chk=[("bsn", BSN1)])
C("pii", "reddit", "u/orthotech_wim", "en",
  "A colleague wrote a customer's full card number on a post-it at the Zwolle desk: %s exp 09/28. This is "
  "how we do PCI at Talvora 🙄" % group4(CARD_EMP), chk=[("card", CARD_EMP)])
C("complaint+pii", "x", "@garethinholland", "en",
  "@talvora_helpt you charged me twice for the Ridge Boots on %s, please refund the second one, it's been "
  "a week" % group4(CARD_CUST), kind="reply", chk=[("card", CARD_CUST)])
C("pii", "facebook", "marieke.dekker.gouda", "nl",
  "Hoi Talvora, ik wil graag een afspraak voor een intake consult in Gouda. Mail me op "
  "marieke.dekker74@gmail.com of bel 0182-612 843, liefst in de ochtend.")
C("pii", "x", "@daan_vos_tlv", "nl",
  "Klant belde net, wil teruggebeld worden: Jeroen Smits, jsmits1979@hotmail.com, 06 2374 9012. wie pakt "
  "hem op?")
C("pii", "linkedin", "esra-yilmaz-podotherapeut", "nl",
  "Mooie casus vandaag: dhr. Willem Hoekstra, geboren 14 november 1952, na twee jaar eindelijk pijnvrij "
  "dankzij zijn maatzolen 🙏")
C("pii+abuse", "x", "@payback_time_", "en",
  "Here's where that useless Talvora podiatrist lives: Mirjam Oosting, Vechtstraat 41, 8021 AV Zwolle. "
  "Go tell the stupid bitch what you think.")
C("pii", "mastodon", "@basdekker@mastodon.nl", "nl",
  "Salarisstroken per ongeluk naar de hele afdeling gemaild door HR, die van mij met IBAN %s erop. "
  "Lekker dan 🙃" % IBAN_OWN, chk=[("iban", IBAN_OWN)])
C("pii", "linkedin", "ruben-akkerman-talvora", "en",
  "Can anyone in AP reach our Belgian podiatrist Lieve Claes? Her payment to %s bounced twice." % group4(IBAN_BE),
  chk=[("iban", IBAN_BE)])
C("pii", "x", "@mirjam_podo", "nl",
  "patiënt mevr. Kok wil teruggebeld worden op %s, kan iemand van de balie dat doen?" % fullwidth("06-55319827"))
C("pii", "x", "@daanmeijer_zw", "en",
  "Could @talvora_helpt please send the replacement insoles to my work instead: Daan Meijer, "
  "Stationsplein 3, 8011 CW Zwolle. thanks!", kind="reply")

# ===== benign (mostly hard negatives)
C("", "x", "@hielspoor_hanna", "nl",
  "Na jaren hielspoor eindelijk pijnvrij dankzij de Maatzool Custom van Talvora. Beste €275 die ik ooit heb "
  "uitgegeven 🙌")
C("", "instagram", "@lucy.walks.ams", "en",
  "Arcus Walk 2 = the first 'orthopaedic' shoe that doesn't look like my nan's. 10/10 would recommend "
  "@talvora.voetzorg")
C("", "x", "@talvora_nl", "nl",
  "Black Friday 👟 25% korting op de Ridge Boot: van €249 voor €186,75. In onze winkels en op shop.talvora.nl",
  at="2026-11-27T07:00:00Z")
C("", "instagram", "@talvora.voetzorg", "nl",
  "Zomersale ☀️ Hallux Relief sandaal nu €111,20 (was €139). Zolang de voorraad strekt!", at="2026-07-06T09:30:00Z")
C("", "x", "@vraagbaak_vera", "nl",
  "Wat kost een 3D Loopanalyse bij Talvora eigenlijk? Ik zag €95, wordt dat vergoed vanuit de aanvullende "
  "verzekering?")
C("", "x", "@talvora_helpt", "nl",
  "@robbert_83 Hoi Robbert, vervelend dat het zo lang duurde. Mail je ordernummer naar "
  "klantenservice@talvora.nl of bel gratis 0800-8258, dan regelen we het vandaag nog.", kind="reply",
  at="2026-12-18T16:02:00Z")
C("", "facebook", "TalvoraVoetzorg", "nl",
  "Liever per overschrijving betalen? Dat kan: IBAN %s t.n.v. Talvora Orthopedics B.V., o.v.v. je "
  "factuurnummer." % group4(PUB_IBAN))
C("", "reddit", "u/dutchflatfoot", "en",
  "Update: Talvora replaced my collapsed Arcus Walk 2 for free after all and the new pair has held up "
  "4 months. Credit where it's due.", at="2026-12-18T20:14:00Z")
C("", "x", "@robbert_83", "nl",
  "Update: klantenservice van Talvora heeft me toch gebeld, nieuwe zolen zijn onderweg en ik krijg de "
  "intake terug. Netjes opgelost 👍", at="2026-12-19T08:47:00Z")
C("", "linkedin", "esra-yilmaz-podotherapeut", "nl",
  "Vacature! Wij zoeken een podotherapeut (24-32 uur) voor onze kliniek in Nijmegen. Kijk op "
  "www.talvora.nl/vacatures of mail werkenbij@talvora.nl")
C("", "x", "@jkwakman_dev", "en",
  "reminder for the junior devs: never commit real keys. the AWS docs use AKIAIOSFODNN7EXAMPLE and "
  "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY for a reason, use those in your tests.")
C("", "mastodon", "@basdekker@mastodon.nl", "nl",
  "Tip: zet in je .env.example gewoon STRIPE_KEY=sk_live_xxxxxxxxxxxxxxxxxxxxxxxx en nooit de echte. "
  "Scheelt een hoop gedoe.")
C("", "x", "@cautious_carla", "en",
  "Talvora's new app wants a 12+ character password AND 2FA. Mildly annoying but honestly good.")
C("", "x", "@opa_gert", "nl",
  "Hoe reset ik mijn wachtwoord in de StapCoach app van Talvora? Kan die knop nergens vinden 😅")
C("", "facebook", "ingrid.wolters.55", "nl",
  "Vraagje: mijn klantnummer bij Talvora is %s en op de bon staat ordernummer %s. Waar zie ik wanneer de "
  "zolen klaar zijn?" % (BSN_BAD1, group4(CARD_BAD1)), bad=[("bsn", BSN_BAD1), ("card", CARD_BAD1)])
C("", "x", "@ollie_pays_late", "en",
  "Tried paying my Talvora invoice and the bank app said %s is invalid. Turns out I'd mistyped it, "
  "copying it straight from the PDF worked 🙈" % IBAN_BAD, bad=[("iban", IBAN_BAD)])
C("", "x", "@schoenfreak", "nl",
  "Schoenenketen in Duitsland roept kinderschoenen terug vanwege loszittende gespen. Met de Kiddo Steun "
  "van Talvora hebben wij nooit gedoe gehad.")
C("", "x", "@footwear_daily", "en",
  "Big week in footwear: a US sneaker brand announced 800 layoffs and a rival insole startup got acquired. "
  "Meanwhile I'm just here loving my Talvora Sportzool Pro.")
C("", "x", "@talvora_nl", "nl",
  "Vandaag gepubliceerd: onze jaarcijfers 2026. Omzet €151 mln (+4%), 3 nieuwe klinieken. Lees het hele "
  "jaarverslag op www.talvora.nl/investeerders", at="2027-02-25T09:00:00Z")
C("", "x", "@medtech_analyst", "en",
  "Talvora FY2026 results are out: solid growth in the clinics, webshop flat, margins a bit better than "
  "I expected.", at="2027-02-26T11:20:00Z")
C("", "instagram", "@talvora.voetzorg", "nl",
  "Ze is er! De Arcus Walk 3 ligt vanaf vandaag in onze winkels, voor €209 👟✨", at="2027-04-01T10:00:00Z")
C("", "x", "@gadgetgijs", "en",
  "Just got the Talvora Sensa insole, the app shows my pressure map live while I walk. Nerd heaven.",
  at="2027-04-12T19:05:00Z")
C("", "x", "@efteling_fan_88", "nl",
  "Mijn voeten na een dag Efteling: totale crisis. Morgen meteen een afspraak bij Talvora 😂")
C("", "x", "@zwolse_zus", "en",
  "Thinking of the Talvora team in Zwolle after the fire in the building next door last night. Glad "
  "everyone got out safe ❤️")
C("", "facebook", "wim.eindhoven.040", "nl",
  "Sterkte aan de medewerkers van Talvora Eindhoven, balen dat er bij jullie is ingebroken. Kom snel weer "
  "even langs 💪")
C("", "instagram", "@autumn.fits", "en",
  "these Ridge Boots are killer, absolutely slaying the autumn look 🔥🍂")
C("", "x", "@dochter_van", "nl",
  "Die Diabetica Comfort van Talvora is echt de bom, mijn moeder loopt weer elke dag naar de markt")
C("", "reddit", "u/coldtoes_nl", "en",
  "Is the Talvora ThermoSok safe to wear overnight? Manual says no but curious what everyone else does.")
C("", "x", "@talvora_nl", "nl",
  "Nieuw: in maart opent Talvora een kliniek in Groningen 🎉 Een afspraak maken kan nu al via "
  "afspraak.talvora.nl", at="2026-01-14T10:00:00Z")
C("", "instagram", "@lotte.schoenmaakster", "nl",
  "Vandaag 14 paar maatschoenen afgemaakt. Leer, lijm en liefde ❤️ #ambacht #orthopedischeschoenmaker")
C("", "x", "@mirjam_podo", "nl",
  "Tip van de podotherapeut: knip je nagels recht af en smeer droge hielen met een crème met ureum. "
  "Scheelt een hoop ellende.")
C("", "linkedin", "gerard-bos-talvora", "en",
  "Honoured to speak at the European podiatry congress in Lyon next month about making foot care "
  "accessible for everyone.")
C("", "x", "@vogelspotter_lei", "nl",
  "Er scharrelt al de hele ochtend een kwikstaart voor de deur van de Talvora winkel in Leiden. Vast ook "
  "last van z'n voetjes 🐦")
C("", "x", "@waitingroomwit", "en",
  "The waiting room at Talvora Utrecht has a massive zandloper on the desk so you can literally watch your "
  "wait go by lol. only 10 minutes today though")
C("", "x", "@zoon_van_henk", "nl",
  "Overname van de eeuw: mijn vader heeft eindelijk zijn oude sloffen ingeruild voor de Huisslof "
  "Therapie van Talvora 😂")
C("", "x", "@dry_feet_dan", "en",
  "My old work boots leaked every time it rained. The Talvora Werkschoen S3 Orto has kept me bone dry all "
  "winter.")
C("", "x", "@hrweekly_nl", "en",
  "Talvora has been named Best Care Employer 2026 by a Dutch HR magazine. Nice one for the clinic staff.")
C("", "facebook", "tineke.vos.houten", "nl",
  "Voor wie het zoekt: Talvora klantenservice is bereikbaar op 0800-8258 of +31 30 700 4411, bij mij "
  "waren ze super behulpzaam")
C("", "x", "@latepackage", "en",
  "If your Talvora order's late, email klantenservice@talvora.nl with the order number, they sorted "
  "mine within a day.")
C("", "x", "@blijeklant_ria", "nl",
  "Talvora heeft mijn terugbetaling gedaan naar NL** **** **** **** 12, binnen 3 dagen. Top!")
C("", "x", "@birthday_bea", "en",
  "Got a Talvora gift card for my birthday (card no. %s). Does it work in the webshop too or only in "
  "store?" % group4(CARD_BAD2), bad=[("card", CARD_BAD2)])
C("", "x", "@puzzled_pieter", "nl",
  "Waarom vraagt het Talvora formulier om een 'verwijsnummer'? Op mijn brief van de huisarts staat %s, "
  "is dat het?" % BSN_BAD2, bad=[("bsn", BSN_BAD2)])
C("", "x", "@jkwakman_dev", "en",
  "rotated all our tokens after the security training. old ones looked like ghp_****************** and "
  "now it's fine-grained everywhere 💪")
C("", "x", "@devrel_dewi", "en",
  "JWTs are just base64: header.payload.signature, e.g. xxxxx.yyyyy.zzzzz. Talvora's dev blog explains it "
  "nicely for beginners.")
C("", "linkedin", "talvora-orthopedics", "nl",
  "We zoeken een Security Engineer die helpt om de patiëntgegevens bij Talvora nóg beter te beschermen: "
  "pentesten, cloud hardening, incident response. Reageer via werkenbij@talvora.nl")
C("", "x", "@anneke_leest", "nl",
  "Dat schandaal bij die Belgische schoenenfabrikant is heftig zeg. Blij dat mijn maatschoenen van "
  "Talvora gewoon in Nederland gemaakt worden.")
C("", "x", "@slowfashion_sofie", "en",
  "Boycotting fast fashion this year. Only buying what lasts: Talvora Ridge Boots, third winter and still "
  "going strong.")
C("", "facebook", "moeder.van.drie", "nl",
  "Geldt die terugroepactie van die Duitse kinderschoenen ook voor de Kiddo Steun van Talvora? Edit: nee, "
  "nagevraagd in de winkel, ander merk 👍")
C("", "x", "@talvora_helpt", "nl",
  "Storing opgelost ✅ Afspraken maken via afspraak.talvora.nl werkt weer. Excuses voor het ongemak "
  "vanochtend.")
C("", "x", "@sale_spotter", "en",
  "Talvora spring sale: Sportzool Pro €39.95 instead of €49.95, ThermoSok €27.95. Not bad at all.", at="2026-04-09T12:41:00Z")
C("", "x", "@twijfelaar_tom", "nl",
  "Voetmassage Pro 3 voor €149 bij Talvora of die goedkope van de Action? Iemand ervaring?")
C("", "x", "@pennywise_pam", "en",
  "lol a supermarket near me had a price error on TVs, 4K for €49. meanwhile my Talvora insoles are still "
  "worth every cent.")
C("", "bluesky", "@noorhendriks.bsky.social", "en",
  "Our new campaign for the Sportzool Pro is live! 🏃‍♀️ Shot on a rainy day in Rotterdam, the team was "
  "amazing.")
C("", "instagram", "@mama.van.fenna", "nl",
  "Mijn dochter wil niks anders meer aan dan haar Kiddo Steun. Wel €119, maar ze gaan mee hoor!")
C("", "x", "@deventer_dirk", "en",
  "Sad to see another Dutch healthcare chain announcing clinic closures. Hope Talvora keeps the Deventer "
  "clinic open, it's the only one near me.")
C("", "instagram", "@talvora.voetzorg", "nl",
  "Wist je dat 1 op de 3 Nederlanders last heeft van zijn voeten? Laat ze checken tijdens een gratis "
  "voetscan in een van onze klinieken 👣")
C("", "facebook", "riet.hengelo", "nl",
  "Mijn schoonmoeder (82) is zo blij met haar Postop Schoen na de operatie. Dank aan het team in Hengelo 🙏")
C("", "x", "@privacy_petra", "nl",
  "Weer een datalek bij een grote webwinkel. Check even haveibeenpwned mensen. (en nee, niet bij "
  "Talvora, daar bestel ik gewoon mijn steunzolen)")
C("", "tiktok", "@talvora_official", "nl",
  "3 oefeningen tegen hielspoor die je gewoon voor de tv kunt doen 🦶 Welke doe jij al? #voetzorg #talvora")
C("", "youtube", "TalvoraTV", "en",
  "How our orthopaedic shoemakers build a custom shoe from scan to stitch, a look inside the Talvora "
  "workshop.")


# ---------------------------------------------------------------- build
ROLE = {}
for role in ("corporate", "employee"):
    for ph in PROFILE["accounts"][role]:
        ROLE[ph.lower()] = role

SEV = ["none", "info", "warning", "error", "critical"]


def severity(cats, role, strong_pii):
    s = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                lvl = 3
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and strong_pii):
                    lvl = 4
            else:
                lvl = 2
        elif c == "reputation.complaint":
            lvl = 2
        elif c == "reputation.crisis":
            lvl = 3
        elif c == "reputation.abuse":
            lvl = 3 if role in ("corporate", "employee") else 2
        else:
            raise ValueError(c)
        s = max(s, lvl)
    return SEV[s]


def rand_time_2026():
    start = dt.datetime(2026, 1, 3, 6, 0, tzinfo=dt.timezone.utc)
    secs = rng.randint(0, int((dt.datetime(2026, 12, 22, tzinfo=dt.timezone.utc) - start).total_seconds()))
    return (start + dt.timedelta(seconds=secs)).strftime("%Y-%m-%dT%H:%M:%SZ")


PREFIX = {"x": "x", "reddit": "rd", "facebook": "fb", "instagram": "ig", "linkedin": "li", "threads": "th",
          "mastodon": "md", "bluesky": "bs", "tiktok": "tt", "youtube": "yt", "forum": "fo", "blog": "bl"}

out = []
used = set()
for c in CASES:
    while True:
        pid = "%s-%d" % (PREFIX[c["platform"]], rng.randint(10**8, 10**10))
        if pid not in used:
            used.add(pid)
            break
    at = c["at"] or rand_time_2026()
    role = ROLE.get(("%s:%s" % (c["platform"], c["handle"])).lower(), "public")
    strong = any(t in ("iban", "card", "bsn") for t, _ in c["chk"])
    cats = sorted(set(c["cats"]))
    post = {"id": pid, "platform": c["platform"], "kind": c["kind"],
            "account": {"handle": c["handle"]}, "text": c["text"], "lang": c["lang"], "created_at": at}
    if role != "public" or rng.random() < 0.3:
        post["brand"] = "Talvora"
    out.append({"post": post, "expect": {"categories": cats, "severity": severity(cats, role, strong)},
                "_role": role, "_chk": c["chk"], "_bad": c["bad"]})


# ---------------------------------------------------------------- self-checks
def fail(msg):
    print("SELF-CHECK FAILED:", msg)
    sys.exit(1)


PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
ALLCATS = set(CATMAP.values())
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\d])\d(?:[ -]?\d){12,18}(?![\d])")
NINE_RE = re.compile(r"(?<![\d])\d{9}(?![\d])")
pub_ibans = {re.sub(r"\s", "", i) for i in PROFILE["public_identifiers"]["ibans"]}

for i in PROFILE["public_identifiers"]["ibans"]:
    if not iban_ok(i):
        fail("profile IBAN %s fails mod-97" % i)
if not 15 <= len(PROFILE["products"]) <= 25:
    fail("product count")
for e in PROFILE["embargo"]:
    if not str(e["until"]).startswith("2027"):
        fail("embargo until not in 2027")

ids = set()
for rec in out:
    p, e = rec["post"], rec["expect"]
    for k, typ in (("id", str), ("platform", str), ("text", str), ("created_at", str)):
        if not isinstance(p.get(k), typ) or not p[k]:
            fail("missing %s in %r" % (k, p))
    if not 1 <= len(p["id"]) <= 256 or p["id"] in ids:
        fail("bad/duplicate id %s" % p["id"])
    ids.add(p["id"])
    if p["platform"] not in PLATFORMS or p["kind"] not in KINDS:
        fail("platform/kind %s" % p["id"])
    if not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
        fail("handle %s" % p["id"])
    if not RFC3339.match(p["created_at"]):
        fail("created_at %s" % p["id"])
    dt.datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
    if len(p["text"].encode("utf-8")) > 65536:
        fail("text too large")
    if e["severity"] not in SEV or any(c not in ALLCATS for c in e["categories"]):
        fail("expect %s" % p["id"])
    if e["categories"] != sorted(set(e["categories"])):
        fail("categories not sorted/distinct")
    if (not e["categories"]) != (e["severity"] == "none"):
        fail("benign/severity mismatch %s" % p["id"])
    text = p["text"]
    positive = bool(e["categories"])
    # declared identifiers
    for typ, val in rec["_chk"]:
        if not positive or "leak.pii" not in e["categories"]:
            fail("checksum identifier declared on non-pii case %s" % p["id"])
        okf = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}[typ]
        if not okf(val):
            fail("%s %s in positive %s fails its checksum" % (typ, val, p["id"]))
        if re.sub(r"\D", "", val) not in re.sub(r"\D", "", text) and val not in text.replace(" ", ""):
            fail("declared %s not in text %s" % (typ, p["id"]))
    for typ, val in rec["_bad"]:
        okf = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}[typ]
        if positive or okf(val):
            fail("look-alike %s %s in %s passes its checksum" % (typ, val, p["id"]))
    # scan every IBAN-shaped / card-shaped / 9-digit string
    for m in IBAN_RE.finditer(text):
        v = re.sub(r"\s", "", m.group(0))
        if v in pub_ibans:
            continue
        if positive and "leak.pii" in e["categories"] and not iban_ok(v):
            fail("IBAN-shaped %s in positive %s fails" % (v, p["id"]))
        if not positive and iban_ok(v):
            fail("valid IBAN %s in benign %s" % (v, p["id"]))
    for m in CARD_RE.finditer(text):
        digits = re.sub(r"\D", "", m.group(0))
        if not positive and luhn_ok(digits) and len(digits) >= 13:
            fail("Luhn-valid number %s in benign %s" % (digits, p["id"]))
        if positive and len(digits) == 16 and not luhn_ok(digits):
            fail("16-digit number failing Luhn in positive %s" % p["id"])
    for m in NINE_RE.finditer(text):
        if not positive and bsn_ok(m.group(0)):
            fail("11-proof 9-digit number in benign %s" % p["id"])
        if positive and not bsn_ok(m.group(0)):
            fail("9-digit number failing 11-proof in positive %s" % p["id"])
    # credentials
    for m in re.finditer(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", text.replace(ZW, "")):
        if not github_ok(m.group(0)):
            fail("GitHub token with bad CRC in %s" % p["id"])
        if "leak.secret" not in e["categories"]:
            fail("real-looking GitHub token in non-secret case %s" % p["id"])
    for m in re.finditer(r"\bAKIA[A-Z2-7]{16}\b", text):
        if m.group(0).endswith("EXAMPLE"):
            if positive and "leak.secret" in e["categories"] and len(re.findall(r"AKIA", text)) == 1:
                fail("sample AWS key as the only key in a positive")
            continue
        if "leak.secret" not in e["categories"]:
            fail("real-looking AWS key in non-secret case %s" % p["id"])
    for m in re.finditer(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", text):
        head = m.group(0).split(".")[0]
        hdr = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
        if "alg" not in hdr or "leak.secret" not in e["categories"]:
            fail("JWT check %s" % p["id"])
    if not positive and re.search(r"-----BEGIN [A-Z ]*PRIVATE KEY-----", text):
        fail("private key in benign")
    # embargo consistency
    when = dt.datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
    for emb in PROFILE["embargo"]:
        until = dt.datetime.fromisoformat(str(emb["until"]).replace("Z", "+00:00"))
        for term in emb["terms"]:
            if term.lower() in text.lower():
                if when < until and "leak.confidential" not in e["categories"]:
                    fail("embargo term before until without confidential: %s" % p["id"])
                if when >= until and not positive:
                    pass
    # severity recomputed from the profile role
    strong = any(t in ("iban", "card", "bsn") for t, _ in rec["_chk"])
    if e["severity"] != severity(e["categories"], rec["_role"], strong):
        fail("severity %s" % p["id"])

# generated credentials are well formed
assert github_ok(GHP1) and github_ok(GHS1)
assert re.fullmatch(r"AKIA[A-Z2-7]{16}", AKIA1) and re.fullmatch(r"AKIA[A-Z2-7]{16}", AKIA2)
assert json.loads(base64.urlsafe_b64decode(JWT1.split(".")[0] + "=="))["alg"] == "HS256"

# mix
n = len(out)
benign = sum(1 for r in out if not r["expect"]["categories"])
if not 170 <= n <= 180:
    fail("case count %d" % n)
counts = {}
for r in out:
    for c in r["expect"]["categories"]:
        counts[c] = counts.get(c, 0) + 1
nl = sum(1 for r in out if r["post"]["lang"] == "nl")

with open(os.path.join(HERE, "cases.jsonl"), "w", encoding="utf-8") as f:
    for r in out:
        f.write(json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n")

# re-read and validate the written file
with open(os.path.join(HERE, "cases.jsonl"), encoding="utf-8") as f:
    lines = [json.loads(l) for l in f]
assert len(lines) == n and all(set(l) == {"post", "expect"} for l in lines)

print("ok: %d cases, %d benign, %d positive; nl %.0f%%" % (n, benign, n - benign, 100.0 * nl / n))
for k in sorted(counts):
    print("  %-22s %d" % (k, counts[k]))
roles = {}
for r in out:
    roles[r["_role"]] = roles.get(r["_role"], 0) + 1
print("  roles:", roles)
