#!/usr/bin/env python3
"""Evaluation set 362 for postwatch: Rafelrand Vintage B.V. (vintage / second-hand clothing).

Deterministic: fixed seed, standard library + PyYAML. Writes cases.jsonl next to this
file and checks it:
  * every line is a valid CONTRACT section 6 case (post fields, categories, severity);
  * severities are computed from CONTRACT section 4 and the account role in profile.yaml;
  * every IBAN / payment card / BSN in a positive passes its checksum, every look-alike
    in a benign post fails it;
  * generated credentials are built like the real ones (GitHub CRC-32 checksum, AWS
    key id alphabet, JWT header with alg, ...);
  * embargo terms: before `until` the post is labelled leak.confidential, after it not;
  * benign posts carry no codename, marker, internal host or far-below-list price.
"""
import base64
import json
import os
import random
import re
import struct
import sys
import zlib
from datetime import datetime, timedelta, timezone

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 362_2026
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# --------------------------------------------------------------------------------------
# checksum helpers
# --------------------------------------------------------------------------------------
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def iban_ok(s):
    s = re.sub(r"[\s.\-]", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(cc, bban):
    r = bban + cc + "00"
    n = int("".join(str(int(c, 36)) for c in r))
    return f"{cc}{98 - n % 97:02d}{bban}"


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    total = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        total += x
    return total % 10 == 0


def make_card(prefix, length=16):
    body = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix) - 1))
    for last in "0123456789":
        if luhn_ok(body + last):
            return body + last
    raise AssertionError


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9:
        return False
    total = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return total % 11 == 0 and s[0] != "0"


def make_bsn():
    while True:
        d = [rng.randint(1, 3)] + [rng.randint(0, 9) for _ in range(7)]
        last = sum(d[i] * (9 - i) for i in range(8)) % 11
        if last < 10:
            s = "".join(map(str, d)) + str(last)
            assert bsn_ok(s)
            return s


def break_digit(s, ok, pos=None):
    """Change one digit so that `ok` fails (a look-alike)."""
    idx = [i for i, c in enumerate(s) if c.isdigit()]
    order = [pos] if pos is not None else []
    order += [i for i in reversed(idx) if i not in order]
    for i in order:
        for dlt in (1, 3, 7, 2):
            t = s[:i] + str((int(s[i]) + dlt) % 10) + s[i + 1:]
            if not ok(t):
                return t
    raise AssertionError(s)


def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def github_token(prefix="ghp_"):
    body = "".join(rng.choice(ALNUM) for _ in range(30))
    return prefix + body + b62(zlib.crc32(body.encode()), 6)


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()), 6) == m.group(2)


def rand(alpha, n):
    return "".join(rng.choice(alpha) for _ in range(n))


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt():
    header = {"alg": "HS256", "typ": "JWT"}
    payload = {"sub": "usr_" + rand("0123456789abcdef", 12), "name": "Bram de Boer",
               "role": "admin", "iss": "https://shop.rafelrand.nl",
               "iat": 1781002800, "exp": 1781003100}
    sig = bytes(rng.randrange(256) for _ in range(32))
    return ".".join([b64u(json.dumps(header, separators=(",", ":")).encode()),
                     b64u(json.dumps(payload, separators=(",", ":")).encode()), b64u(sig)])


def jwt_ok(tok):
    h = tok.split(".")[0]
    h += "=" * (-len(h) % 4)
    return "alg" in json.loads(base64.urlsafe_b64decode(h))


def ssh_string(b):
    if isinstance(b, str):
        b = b.encode()
    return struct.pack(">I", len(b)) + b


def make_openssh_key():
    pub = bytes(rng.randrange(256) for _ in range(32))
    seed = bytes(rng.randrange(256) for _ in range(32))
    pubblob = ssh_string("ssh-ed25519") + ssh_string(pub)
    check = rng.getrandbits(32)
    priv = struct.pack(">II", check, check) + ssh_string("ssh-ed25519") + ssh_string(pub) \
        + ssh_string(seed + pub) + ssh_string("deploy@build-01")
    pad = 1
    while len(priv) % 8:
        priv += bytes([pad])
        pad += 1
    blob = b"openssh-key-v1\x00" + ssh_string("none") + ssh_string("none") + ssh_string(b"") \
        + struct.pack(">I", 1) + ssh_string(pubblob) + ssh_string(priv)
    b64 = base64.b64encode(blob).decode()
    lines = [b64[i:i + 70] for i in range(0, len(b64), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + \
        "\n-----END OPENSSH PRIVATE KEY-----"


# --------------------------------------------------------------------------------------
# generated values (fixed order => deterministic)
# --------------------------------------------------------------------------------------
G = {}
G["IBAN_EVA"] = group4(make_iban("NL", "INGB" + "0" + rand("0123456789", 9)))
G["IBAN_SMIT"] = make_iban("NL", "ASNB0" + rand("0123456789", 9))
_bad_iban = make_iban("NL", "RABO0" + rand("0123456789", 9))
G["BAD_IBAN"] = group4(break_digit(_bad_iban, iban_ok, pos=len(_bad_iban) - 3))
_bad_iban2 = make_iban("NL", "KNAB0" + rand("0123456789", 9))
G["BAD_IBAN2"] = break_digit(_bad_iban2, iban_ok, pos=3)
G["CARD_VISA"] = group4(make_card("4929"))
G["CARD_MC"] = group4(make_card("5412"))
G["BAD_CARD"] = group4(break_digit(make_card("6037"), luhn_ok))
G["BAD_CARD2"] = "-".join(group4(break_digit(make_card("4716"), luhn_ok)).split(" "))
G["BAD_CARD3"] = group4(break_digit(make_card("5311"), luhn_ok))
G["BSN_SVEN"] = make_bsn()
G["BSN_SELF"] = make_bsn()
G["BSN_SELF_DOTTED"] = G["BSN_SELF"][:4] + "." + G["BSN_SELF"][4:6] + "." + G["BSN_SELF"][6:]
G["BAD_BSN"] = break_digit(make_bsn(), bsn_ok)

G["GH"] = github_token("ghp_")
G["AWS_ID"] = "AKIA" + rand("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
G["AWS_SECRET"] = rand(ALNUM + "/+", 40)
G["SLACK"] = "xoxb-" + str(rng.randint(10**11, 10**12 - 1)) + "-" + \
    str(rng.randint(10**12, 10**13 - 1)) + "-" + rand(ALNUM, 24)
G["MOLLIE"] = "live_" + rand(ALNUM, 30)
G["SSHKEY"] = make_openssh_key()
G["JWT"] = make_jwt()
G["OPENAI"] = "sk-proj-" + rand(ALNUM + "-_", 58) + "T3BlbkFJ" + rand(ALNUM + "-_", 58)
G["STRIPE"] = "sk_live_51" + rand(ALNUM, 97)
G["GOOGLE"] = "AIza" + rand(ALNUM + "-_", 35)
G["PG_PW"] = rand(ALNUM, 6) + "!" + rand(ALNUM, 7) + "#" + rand("0123456789", 2)
G["PG_URL"] = "postgres://rr_admin:" + G["PG_PW"] + \
    "@rr-prod-webshop.c" + rand("abcdefghijklmnopqrstuvwxyz0123456789", 10) + \
    ".eu-west-1.rds.amazonaws.com:5432/webshop"
G["PW_KASSA"] = "Rr#Kassa" + rand("0123456789", 4) + rand("abcdefghijkmnpqrstuvwxyz", 3)
G["PW_INKOOP"] = "Tiel!" + rand("ABCDEFGHJKLMNPQRSTUVWXYZ", 2) + rand("abcdefghijkmnpqrstuvwxyz", 4) \
    + rand("0123456789", 3)

SECRET_KEYS = ["GH", "AWS_ID", "AWS_SECRET", "SLACK", "MOLLIE", "SSHKEY", "JWT",
               "OPENAI", "STRIPE", "GOOGLE", "PG_URL", "PW_KASSA", "PW_INKOOP"]
# identifiers that must pass / fail their checksum, by placeholder
VALID_IDS = {"IBAN_EVA": iban_ok, "IBAN_SMIT": iban_ok,
             "CARD_VISA": luhn_ok, "CARD_MC": luhn_ok,
             "BSN_SVEN": bsn_ok, "BSN_SELF": bsn_ok, "BSN_SELF_DOTTED": bsn_ok}
INVALID_IDS = {"BAD_IBAN": iban_ok, "BAD_IBAN2": iban_ok, "BAD_CARD": luhn_ok,
               "BAD_CARD2": luhn_ok, "BAD_CARD3": luhn_ok, "BAD_BSN": bsn_ok}

PUB_IBAN = PROFILE["public_identifiers"]["ibans"][0]

# --------------------------------------------------------------------------------------
# the posts (hand-written)
# --------------------------------------------------------------------------------------
CAT = {"complaint": "reputation.complaint", "crisis": "reputation.crisis",
       "abuse": "reputation.abuse", "secret": "leak.secret", "pii": "leak.pii",
       "pricing": "leak.pricing", "conf": "leak.confidential", "fin": "leak.financial",
       "sec": "leak.security"}

RAW = []


def P(where, text, cats=(), lang="nl", kind="post", ts=None, allow=()):
    platform, handle = where.split(":", 1)
    RAW.append(dict(platform=platform, handle=handle, text=text, cats=list(cats),
                    lang=lang, kind=kind, ts=ts, allow=set(allow)))


ZW = "\u200b"
FW_MAGPIE = "".join(chr(ord(c) + 0xFEE0) for c in "Magpie")
CYR_OPLICHTERS = "\u043epl\u0456cht\u0435rs"       # o, i, e are Cyrillic
CYR_RANDDEBIELEN = "r\u0430ndd\u0435bi\u0435len"    # a, e, e are Cyrillic

# ---------------- benign, hard negatives -------------------------------------------
P("x:@rafelrand_help", "@sanne_plantjes Hoi Sanne, wat vervelend dat je pakketje er nog niet is! "
  "Stuur je ordernummer even naar klantenservice@rafelrand.nl, dan zoeken we het meteen voor je uit 🧡",
  kind="reply")
P("facebook:RafelrandVintage", "Retourneren kan tot 30 dagen na ontvangst. Vragen? Bel gratis 0800-7235 "
  "(ma t/m za 9-18u) of mail naar retouren@rafelrand.nl. Fijn weekend allemaal!")
P("instagram:@rafelrand.vintage", "KILO SALE 🛍️ zaterdag in ons sorteercentrum in Tiel. €20 per kilo, "
  "deuren open om 10:00. Neem je eigen tas mee! #kilosale #vintage #rafelrand #tweedehands")
P("x:@rafelrand", "Winter sale is live ❄️ 20% off all coats, so the Camel Trench is now €135,20 and the "
  "Harbour Peacoat €119,20. Ends Sunday midnight.", lang="en",
  ts="2026-01-08T10:00:00+01:00")
P("x:@deshawn_fits", "this cord blazer from @rafelrand is so good it should be illegal 🔥 absolutely "
  "killing it at the office today", lang="en")
P("instagram:@lottevdmeer", "Mijn vriend noemt mijn nieuwe cowboylaarzen 'de moordwapens' vanwege die punten 😂 "
  "ik vind ze prachtig. Dank @rafelrand.vintage")
P("x:@rafelrand_help", "@mo_uit_zwolle Goeie vraag! Je kiest zelf: een tegoedbon (met 20% extra) of "
  "uitbetaling op je rekening. Alles staat op www.rafelrand.nl/inruilen", kind="reply")
P("x:@sanne_plantjes", "Update: de jas was kwijt bij de bezorger maar @rafelrand_help heeft binnen een dag "
  "een nieuwe gestuurd. Netjes opgelost, dank jullie wel!")
P("facebook:Wilma.Brouwer.Nijmegen", "Sterkte voor de mensen van Rafelrand in Nijmegen, de hele straat ligt "
  "open voor de wegwerkzaamheden en er komt haast niemand binnen. Ik kom zaterdag zeker even langs ❤️")
P("linkedin:anouk-de-ridder-retail", "Interesting read this morning: a large fast-fashion chain reported a 12% "
  "drop in quarterly revenue and announced 300 layoffs. Meanwhile second-hand keeps growing double digits. "
  "The market is shifting.", lang="en")
P("mastodon:@tinus@fosstodon.org", "PSA for devs: never commit keys. Even the AWS docs use AKIAIOSFODNN7EXAMPLE "
  "and wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY as placeholders for a reason. Use a secrets manager.",
  lang="en")
P("x:@bram_codeert", "Reminder from your friendly webshop dev: the token in our README is "
  "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx for a reason. Real ones live in the vault, not in Slack 🙃",
  lang="en")
P("mastodon:@koen_sysadmin", "Tip voor iedereen die een .env-bestand deelt: zet er DB_PASSWORD=<jouw-wachtwoord-hier> "
  "in, niet het echte ding. Dat scheelt mij weer een avond rommelen.")
P("x:@marktplaats_mira", "Verkoop m'n oude rafelrand parka (maat S, 2x gedragen). €45, betalen naar "
  "<<BAD_IBAN>>... wacht, dat klopt niet, ik stuur het juiste nummer wel via DM 🙈")
P("reddit:u/thriftgoblin", "The gift card I got says 6037 on the front and <<BAD_CARD>> on the back. "
  "Can Rafelrand gift cards be used in the webshop or only in store?", lang="en", kind="comment")
P("x:@fiscaal_freek", "Belastingdienst-voorbeeld gebruikt 'BSN <<BAD_BSN>>' in de uitleg lol. Anyway: weet "
  "iemand of je kleding van Rafelrand kunt aftrekken als werkkleding? 😅")
P("linkedin:rafelrand-vintage", "We're hiring! 🧵 Store lead for our new shop on the Witte de Withstraat in "
  "Rotterdam. Apply via werken@rafelrand.nl or call +31 30 799 4410 for a chat.", lang="en")
P("linkedin:rafelrand-vintage", "Ons impactverslag 2025 staat online: 412.000 kledingstukken kregen via "
  "Rafelrand een tweede leven en we bespaarden naar schatting 2,1 miljoen kilo CO2. Lees het op "
  "rafelrand.nl/impact")
P("linkedin:rafelrand-vintage", "De jaarcijfers 2026 van Rafelrand Vintage zijn vanochtend gepubliceerd: omzet "
  "€38,2 miljoen (+14%). Dank aan alle 260 collega's! Het volledige verslag staat op "
  "rafelrand.nl/investeerders", ts="2027-03-12T08:15:00+01:00")
P("instagram:@noortje.draagt", "Went to the Rafel Denim Lab launch in Utrecht yesterday and the reworked jeans "
  "are 🔥🔥 bought two pairs oops", lang="en", ts="2027-04-18T19:42:10Z")
P("instagram:@daan.inkoop", "Eindelijk mag ik het zeggen: Rafel Denim Lab is live! Maanden aan gewerkt, zo trots "
  "op dit team 🧵👖 #denimlab", ts="2027-04-15T09:05:00Z")
P("x:@rafelrand", "Vanaf vandaag te koop: de Rewear Pass. Elke maand ruilen zonder gedoe. Alle info op "
  "shop.rafelrand.nl/rewear ♻️", ts="2027-04-15T08:30:00Z")
P("x:@petra_k_wonen", "Die andere webshop (geen namen) heeft mijn retour na vier weken nog steeds niet verwerkt. "
  "Gelukkig is Rafelrand altijd binnen 3 dagen klaar.")
P("tiktok:@stylebymilan", "my closet is a total disaster zone after the Rafelrand kilo sale haul 😂 send help "
  "#thrifthaul", lang="en")
P("forum:Stikster_Groningen", "Rits van mijn parka is na acht jaar trouwe dienst eindelijk op. Weet iemand een goede "
  "kleermaker in Groningen? Jas komt oorspronkelijk van Rafelrand, nog steeds mijn favoriet.", kind="comment")
P("instagram:@ayla.vintage", "the varsity jacket I got from rafelrand has a tiny hole near the pocket but it was "
  "literally in the description and the price reflected it. still love it 💛", lang="en")
P("tiktok:@rafelrandvintage", "POV: je vindt een 70s franjejas in de sorteerbak 🤠 vanaf vrijdag in de webshop "
  "voor €229 #vintagefinds #sorteren")
P("instagram:@rafelrand.vintage", "Student Tuesday 🎓 show your student card in any store and get 15% off. "
  "Yes, that includes the Leren Bomber 👀", lang="en",
  ts="2026-04-07T08:00:00Z")
P("x:@dealjager_daphne", "Visserstrui nu €41,30 i.p.v. €59 bij Rafelrand, 30% korting. Snel zijn 🏃‍♀️")
P("reddit:u/boring_dad_jeans", "paid €95 for the corduroy blazer at Rafelrand, my mate found a similar one at a "
  "charity shop for €12 lol. different vibe though, mine actually fits", lang="en", kind="comment",
  allow={"price"})
P("x:@jolien_schrijft", "Vertrouwelijk, tussen ons: ik koop al mijn cadeaus bij Rafelrand en doe alsof ze nieuw "
  "zijn 🤫🎁")
P("threads:@wren.in.amsterdam", "my internal monologue in the Rafelrand Amsterdam store: do NOT buy another "
  "leather bag. reader, I bought the saddle bag", lang="en")
P("facebook:Riek.Hoogeveen", "Oma leerde me vroeger weven op een echt weefgetouw. Nu draag ik een sjaal die zij "
  "ooit maakte, gevonden bij Rafelrand in Zwolle! Wat een toeval 😊")
P("x:@birdnerd_tess", "a magpie just stole a sequin off my Rafelrand jacket on the terrace and honestly I'm "
  "not even mad, respect 🐦", lang="en", allow={"codename"})
P("x:@prom_queen_isa", "shoutout to Eva at the Utrecht Rafelrand for finding me a prom dress in ten minutes "
  "flat. legend", lang="en")
P("x:@privacyfan_r", "Vraagje @rafelrand_help: bewaren jullie mijn kaartgegevens na een bestelling? Wil gewoon "
  "weten hoe dat zit.", kind="reply")
P("x:@rafelrand_help", "@privacyfan_r Nee, wij slaan geen kaartgegevens op. Betalingen lopen via onze "
  "betaalprovider. Meer lees je in onze privacyverklaring op rafelrand.nl/privacy 🔒", kind="reply")
P("instagram:@slowfashion.sophie", "I'm boycotting fast fashion for all of 2026, everything I buy is second-hand. "
  "Rafelrand and the local charity shops are my go-tos ♻️", lang="en")
P("x:@groenegerda", "Die rechtszaak tegen dat grote modemerk over greenwashing is echt terecht. Daarom koop ik "
  "gewoon tweedehands bij Rafelrand.")
P("threads:@kai.styles", "Rafelrand's window on the Haarlemmerdijk is on fire this week 🔥 those 70s dresses!!",
  lang="en")
P("x:@joost_winkelmanager", "Zaterdag weer kilo sale in Groningen, we hebben drie extra rekken klaargezet. "
  "Tot dan! 🛍️")
P("facebook:RafelrandVintage", "Liever op factuur betalen? Maak het bedrag over naar " + PUB_IBAN[:4] + " "
  + " ".join(PUB_IBAN[i:i + 4] for i in range(4, len(PUB_IBAN), 4)) +
  " t.n.v. Rafelrand Vintage B.V. o.v.v. je ordernummer.")
P("instagram:@thegingerthrifter", "it's my birthday (born in the 90s, don't do the maths) and I'm treating "
  "myself to the camel trench at full price. no regrets 🎂", lang="en")
P("x:@rafelrand", "De webshop is weer bereikbaar. Excuses voor het ongemak vanochtend, alle bestellingen van "
  "vandaag worden gewoon verzonden.")
P("x:@lucas_opent", "Rafelrand-bestelling (#<<BAD_CARD2>>) vandaag binnen, verpakt in een oude krant. Schattig "
  "en nog duurzaam ook 📰")
P("instagram:@mamavanfenna", "Mijn moeder (geboren in 1956!) herkende de bloemetjesjurk die ik bij Rafelrand "
  "kocht, ze had precies dezelfde 😂")
P("linkedin:mehmet-yilmaz-ops", "Our sorting centre in Tiel processed its one millionth garment this week. "
  "Huge thanks to everyone on the floor 👏", lang="en")
P("x:@sjaak_spaart", "Ik betaal m'n rafelrand-bestellingen altijd met m'n creditcard, die eindigt op 4417, "
  "voor de airmiles. Iemand betere tips?")
P("forum:DenimDokter", "Voor wie vraagt welke sleutels ik gebruik in m'n webshop-tutorial: "
  "sk-proj-****...****, gewoon weggestreept natuurlijk. Mijn spijkerbroeken komen trouwens meestal van "
  "Rafelrand.", kind="comment")

# ---------------- reputation.complaint --------------------------------------------
P("x:@wolkje_anne", "Besteld: 'wollen visserstrui, als nieuw'. Gekregen: een trui met drie motgaten en een "
  "zweetlucht waar je u tegen zegt. Serieus @rafelrand?", ["complaint"])
P("x:@callum_r", "Third week waiting for my refund from Rafelrand. Sent the chore jacket back on the 2nd, "
  "tracking says delivered, support keeps telling me they're 'looking into it'. Not good enough.",
  ["complaint"], lang="en")
P("x:@yusufk", "@rafelrand_help al 4 mails gestuurd en nog steeds geen antwoord over mn kapotte rits. klantenservice "
  "is echt nul komma nul", ["complaint"], kind="reply")
P("tiktok:@marthe.fits", "size label said M, the trench fits like an XS 🙃 vintage sizing I get it but then "
  "MEASURE it before you list it?? @rafelrandvintage", ["complaint"], lang="en", kind="comment")
P("facebook:Saskia.Terpstra", "Speciaal uit Leeuwarden gekomen voor de kilo sale in Tiel. Om kwart over tien was "
  "alles leeggeplukt door opkopers met ikea-tassen en het personeel keek ernaar. Zonde van m'n zaterdag, "
  "Rafelrand.", ["complaint"])
P("x:@tomasz_w", "rafelrand charged me twice for one order and the app just says 'payment failed'. which one "
  "is it lol. still waiting on the second €64 to come back", ["complaint"], lang="en")
P("instagram:@roos.reviewt", "Die foto's in de webshop zijn echt misleidend. De 'camel' trench is in het echt "
  "gewoon vaal bruin met een vlek op de kraag. Gaat retour.", ["complaint"], kind="comment")
P("x:@impatient_ellie", "Ordered the denim trucker 12 days ago. Status: 'being packed'. What are you packing it "
  "in, a time capsule? #rafelrand", ["complaint"], lang="en")
P("x:@henkjan_1968", "Alleen een tegoedbon terug bij retour?? Daar stond bij het afrekenen nergens iets over. "
  "Ik wil gewoon mijn €89 terug, Rafelrand.", ["complaint"])
P("threads:@not.sure.jan", "the leather saddle bag arrived with the strap half torn off. listed as "
  "'excellent condition'. sure jan.", ["complaint"], lang="en")
P("x:@fleur_fietst", "Verkoopster bij Rafelrand Amsterdam rolde letterlijk met haar ogen toen ik vroeg of ik "
  "iets mocht passen. Gezellig hoor, kom ik zeker nog eens terug. Not.", ["complaint"])
P("reddit:u/xxl_fleece_victim", "Mystery fleece box from Rafelrand was four identical grey fleeces in XXL. "
  "'curated' my foot. never again", ["complaint"], lang="en", kind="comment")
P("x:@ruil_ruud", "Inruilen bij Rafelrand is een lachertje. Twee volle tassen ingeleverd, €3,50 tegoed gekregen. "
  "En straks hangen ze voor 40 euro per stuk in de winkel.", ["complaint"])

# ---------------- complaint + crisis (first-hand safety incidents) -----------------
P("facebook:Mirthe.Jansen.Tiel", "Mijn dochter heeft rode bulten over haar hele rug sinds ze de kinderpuffer van "
  "Rafelrand draagt. Huisarts denkt aan bedwantsen 🤢 De jas kwam zo uit de verzendzak. Hoe kan dit?!",
  ["complaint", "crisis"])
P("x:@priya_writes", "The 70s polyester dress I bought at Rafelrand went up like paper when I walked past a "
  "candle at dinner. Burnt my forearm, spent the night in A&E. No warning label, nothing. @rafelrand this is "
  "dangerous.", ["complaint", "crisis"], lang="en")
P("x:@dirk_vd_veen", "Vanmiddag in de Rafelrand in Rotterdam viel er een heel kledingrek om, recht op mijn voet. "
  "Teen gebroken volgens de eerste hulp en het personeel haalde alleen hun schouders op.",
  ["complaint", "crisis"])
P("reddit:u/itchy_in_leeds", "Got a nasty burn-like rash all over my neck from the Rafelrand leather bomber. It "
  "smells like pesticide when it warms up. Reported it to them five days ago, no reply. Anyone else?",
  ["complaint", "crisis"], lang="en")

# ---------------- reputation.crisis ------------------------------------------------
P("x:@afval_activist", "Rafelrand verscheept tonnen 'onverkoopbare' kleding naar Ghana, waar het gewoon op de "
  "stortplaats belandt. Zo circulair zijn ze dus. #boycotrafelrand", ["crisis"])
P("x:@jess_m_uk", "anyone else getting phishing emails with their EXACT Rafelrand order details in them? pretty "
  "sure they've had a data breach and are keeping quiet about it", ["crisis"], lang="en")
P("x:@nieuws_domstad", "Volgens RTV Utrecht raakte gisteren een klant gewond toen een spiegel in een paskamer van "
  "Rafelrand aan de Oudegracht losschoot. De winkel is tijdelijk dicht.", ["crisis"],
  ts="2026-01-07T09:33:04Z")
P("facebook:OudersVanUtrecht", "Rafelrand is recalling their kids' puffer jackets with drawstring hoods because of "
  "a strangulation risk. Parents, please check your wardrobes and share this.", ["crisis"], lang="en")
P("linkedin:mr-van-oort-advocaten", "Ruim veertig oud-medewerkers van het sorteercentrum van Rafelrand in Tiel "
  "stappen naar de rechter wegens structurele onderbetaling. Wij staan hen bij in deze zaak.", ["crisis"])
P("tiktok:@receipts.ronja", "so Rafelrand's 'vintage' section is half brand new fast fashion with the labels cut "
  "out?? there's a whole thread with receipts. absolute scandal", ["crisis"], lang="en")
P("x:@wakkere_wendy", "Stop met shoppen bij Rafelrand tot ze eerlijk zijn over die gelekte klantgegevens. "
  "Deel dit! 🔁", ["crisis"], kind="repost")
P("bluesky:@tielnieuws.bsky.social", "Brand in sorteercentrum Rafelrand in Tiel vannacht. Meerdere medewerkers "
  "zijn behandeld voor rookinhalatie. Oorzaak nog onbekend.", ["crisis"])
P("x:@buurtapp_bert", "Mijn buurvrouw heeft schurft opgelopen van een tweedehands jas van Rafelrand, zegt ze. Ze "
  "gaat er een melding van maken bij de NVWA.", ["crisis"])
P("x:@ceylan_news", "Video shows a Rafelrand store manager refusing entry to a group of Moroccan teenagers. The "
  "company has been silent for two days now.", ["crisis"], lang="en")

# ---------------- crisis + abuse ---------------------------------------------------
P("x:@boos_op_alles", "Rafelrand laat mensen in Tiel werken voor een hongerloontje. Stelletje vuile uitbuiters. "
  "Boycot die tyfustent!", ["crisis", "abuse"])

# ---------------- reputation.abuse --------------------------------------------------
P("x:@zuurpruim88", "@rafelrand jullie zijn echt een stelletje " + CYR_OPLICHTERS + " en " + CYR_RANDDEBIELEN,
  ["abuse"], kind="reply")
P("x:@gavin_rants", "whoever runs the @rafelrand account is a braindead clown. go touch grass you absolute "
  "muppets", ["abuse"], lang="en")
P("instagram:@anoniem_gr_050", "Die roodharige trut achter de kassa in Groningen moet echt ontslagen worden. "
  "Ik wacht je wel op na sluitingstijd.", ["abuse"], kind="comment")
P("x:@edgelord_dex", "r4f3lr4nd is a sh1tty overpr1ced d1ck of a company and ur staff are m0r0ns", ["abuse"],
  lang="en")
P("facebook:Harm.Wijnands.88", "Waarom staan er bij Rafelrand Rotterdam alleen maar hoofddoekjes achter de kassa? "
  "Ga lekker terug naar je eigen land.", ["abuse"], kind="comment")
P("x:@rafelrand_help", "@mark_v_93 honestly mate, if you can't read a size chart that's on you, not us. Maybe "
  "shop somewhere built for idiots.", ["abuse"], lang="en", kind="reply")
P("x:@joost_winkelmanager", "Klant vandaag wilde 50% korting op een jas 'omdat ie tweedehands is'. Wat een "
  "ongelooflijke kneus. Mensen zijn zo dom man", ["abuse"])
P("tiktok:@rage.reviews", "r a f e l r a n d   s t a f f  =  c l o w n s . f*cking losers the lot of you",
  ["abuse"], lang="en", kind="comment")
P("tiktok:@b3rtje_050", "dat marketingmeisje van rafelrand op tiktok is echt het domste wijf dat ik ooit heb "
  "gezien 🤡", ["abuse"], kind="comment")

# ---------------- complaint + abuse -------------------------------------------------
P("x:@klaar_ermee_k", "Kutbedrijf. Drie weken wachten op m'n geld en dan een standaardmailtje terug. Rafelrand "
  "kan de pot op, stelletje eikels.", ["complaint", "abuse"])
P("x:@ryan_not_ryanair", "Your 'vintage' gravel jeans fell apart after one wash, you bunch of scamming assholes. "
  "Refund me.", ["complaint", "abuse"], lang="en")

# ---------------- pii + complaint ---------------------------------------------------
P("x:@ilse_wacht", "@rafelrand_help niemand belt me terug over het retour van de franjejas. Bel me gewoon: "
  "06-41 87 29 53. Ben het echt zat.", ["pii", "complaint"], kind="reply")

# ---------------- leak.pii -------------------------------------------------------------
P("x:@rafelrand_help", "@linda_vh We hebben je bestelling gevonden! Die staat op naam van Linda van Houten, "
  "linda.vanhouten84@gmail.com, tel. 06-2391 4478. Klopt dat?", ["pii"], kind="reply")
P("tiktok:@eva.achterdetoonbank", "haha klant liet vandaag z'n pinbonnetje én een rekeningafschrift op de toonbank "
  "liggen 🙈 <<IBAN_EVA>> t.n.v. K. Dijkstra. kom je het ophalen?? #winkelleven", ["pii"])
P("x:@noor_sorteert", "found a credit card in the pocket of a donated coat at the sorting centre lol "
  "<<CARD_VISA>> exp 08/28, name J. Mulder. if it's yours DM me", ["pii"], lang="en")
P("facebook:RafelrandVintage", "Gefeliciteerd aan de winnaar van onze winactie: Mirjam Kok, Lindenlaan 14, "
  "3811 AB Amersfoort! Je pakket met vintage goodies is onderweg 🎉", ["pii"])
P("linkedin:lisa-hoekstra-rafelrand", "Onboarding lesson learned: always double-check the BSN field. Our new "
  "colleague Sven Bos (BSN <<BSN_SVEN>>) nearly got his first salary paid to someone else.", ["pii"],
  lang="en")
P("x:@tessa_m91", "@rafelrand_help just email me instead of this DM ping-pong: tessa.morgan1991@outlook.com thx",
  ["pii"], lang="en", kind="reply")
P("instagram:@rob.smit.ruilt", "Voor het inruilgeld: mijn rekeningnummer is <<IBAN_SMIT>> (R. Smit). Alvast "
  "bedankt @rafelrand.vintage!", ["pii"], kind="comment")
P("linkedin:mehmet-yilmaz-ops", "Happy 60th birthday to our longest-serving sorter Gerda Wolters, born 12 March "
  "1966 in Tiel! 🎂 Twenty-two years of finding treasures.", ["pii"], lang="en",
  ts="2026-03-12T08:45:00+01:00")
P("instagram:@rafelrand.vintage", "@jasmijn.k your parcel came back to us, the courier couldn't reach you on "
  "+31 6 5120 8834. Shall we resend it to Biltstraat 88, Utrecht?", ["pii"], lang="en", kind="reply")
P("reddit:u/ramon_rr_magazijn", "Wie stopt er in hemelsnaam een kopie van z'n paspoort in een jaszak en levert "
  "die in bij ons 😂 Pieter de Graaf, geb. 03-07-1979, paspoortnr. NXK41P7R2. Meld je maar!", ["pii"],
  kind="comment")
P("x:@gerben_haarlem", "lmao the Rafelrand delivery guy left a printout for my neighbour on my doormat: 'A. Peters, "
  "Kerkstraat 7, 2011 HP Haarlem, 06 19 23 77 40'", ["pii"], lang="en")
P("x:@bram_codeert", "debugging newsletter bounces, these three keep failing: s.dewit@hotmail.com, "
  "m.yilmaz1988@ziggo.nl, jordy1999@gmail.com. anyone know if ziggo is blocking us?", ["pii"], lang="en")
P("x:@rafelrand_help", "@kees_pk Hoi Kees, we zien dat de betaling met kaart <<CARD_MC>> op naam van K. Pieters "
  "is mislukt. Probeer je het nog een keer?", ["pii"], kind="reply")
P("x:@jonge_sollicitant", "@rafelrand voor m'n contract: mijn BSN is <<BSN_SELF_DOTTED>>, jullie recruiter kon "
  "mijn scan niet lezen", ["pii"], kind="reply")
P("x:@noor_sorteert", "Oké wie heeft deze brief in een jas laten zitten 😅 'Dhr. H. Bulut, Vaartweg 3, 4001 KL "
  "Tiel', ligt bij de receptie van het sorteercentrum.", ["pii"])

# ---------------- leak.confidential -------------------------------------------------
P("bluesky:@femkevisser.bsky.social", "Can't say much yet, but Project Weefgetouw is going to change how every "
  "single item gets photographed and listed. Sneak peek soon 👀", ["conf"], lang="en")
P("x:@noor_sorteert", "Training gehad over Operatie Zoomsteek vandaag. Mag er nog niks over zeggen maar wow 😬",
  ["conf"])
P("x:@bram_codeert", "if erp.rafelrand.local is crawling for you too, it's not your wifi, it's the nightly sync. "
  "grab a coffee ☕", ["conf"], lang="en")
P("mastodon:@koen_sysadmin", "Handleiding voor de nieuwe kassa's staat op https://wiki.rafelrand.nl/winkels/kassa-v3 "
  "voor de collega's die 'm zochten!", ["conf"])
P("instagram:@rafelrand.vintage", "Spring drop planning is in full swing 🌸 swipe for a peek! [slide 3: RAFELRAND "
  "CONFIDENTIAL – inkoopbudget Q2 per categorie]", ["conf"], lang="en",
  ts="2026-02-20T17:30:00+01:00")
P("instagram:@daan.inkoop", "Eerste samples van Rafel Denim Lab binnen!! Nog even geheim maar kijk die stiksels 😍",
  ["conf"], ts="2026-11-04T16:20:00Z")
P("reddit:u/swapqueen_ams", "heard from a friend who works there that Rafelrand is launching a subscription called "
  "Rewear Pass next spring, like €15 a month for unlimited swaps??", ["conf"], lang="en", kind="comment",
  ts="2026-10-02T21:11:00Z")
P("linkedin:lisa-hoekstra-rafelrand", "Slide uit het MT-overleg van vandaag. Staat 'vertrouwelijk: alleen MT' "
  "op, maar dit is te mooi: onze retourratio is gehalveerd sinds de nieuwe maattabellen 📉🎉", ["conf"])
P("x:@joost_winkelmanager", "Eindelijk duidelijkheid over O.p.e.r.a.t.i.e Z.o.o.m.s.t.e.e.k, zeg ik verder "
  "niks over 🤐", ["conf"])
P("linkedin:mehmet-yilmaz-ops", "Big day for the ops team: kickoff of " + FW_MAGPIE + " in Antwerp. More when I'm "
  "allowed to share 😉", ["conf"], lang="en")
P("bluesky:@femkevisser.bsky.social", "Moodboard af voor Project Weef" + ZW + "getouw. Het wordt zó mooi, ik kan "
  "niet wachten tot jullie het zien ✨", ["conf"])
P("x:@hr_snoop", "lol Rafelrand's vacancy PDF has a footer link to gitlab.rafelrand.internal/hr/vacatures, "
  "someone forgot to clean that up", ["conf"], lang="en")
P("instagram:@daan.inkoop", "Sat down with a big Japanese vintage wholesaler today. Under NDA so no names, but "
  "expect a LOT more kimono jackets in our stores this autumn 🇯🇵", ["conf"], lang="en")
P("tiktok:@rafelrandvintage", "Er komt iets nieuws aan... 👀 De Rewear Pass! Meer info volgt binnenkort",
  ["conf"], ts="2027-03-30T15:00:00Z")
P("x:@noor_sorteert", "Niet doorvertellen hè, maar in de kantine hangt een memo met 'intern - niet delen' erop: "
  "de sorteerlijn in Tiel gaat in juni drie weken dicht voor de verbouwing.", ["conf"])

# ---------------- confidential + financial -------------------------------------------
P("linkedin:lisa-hoekstra-rafelrand", "Net de laatste hand gelegd aan de jaarcijfers 2026: omzet ruim boven de "
  "38 miljoen en EBITDA meer dan verdubbeld. Trots op dit team 💪", ["conf", "fin"],
  ts="2027-02-19T17:45:00+01:00")
P("x:@joost_winkelmanager", "So the Magpie rumours are true: we're buying a Belgian chain with 11 stores. Signing "
  "is next week.", ["conf", "fin"], lang="en")
P("x:@noor_sorteert", "Operatie Zoomsteek = twee winkels dicht (Nijmegen en Zwolle) en 35 man eruit in Tiel. "
  "Hoorde het net van m'n teamleider. Lekker dan.", ["conf", "fin"])

# ---------------- leak.financial ------------------------------------------------------
P("linkedin:lisa-hoekstra-rafelrand", "Q3 came in 22% above budget 🚀 the numbers go to the board on Thursday, so "
  "keep it under your hat until then.", ["fin"], lang="en", ts="2026-10-12T18:02:41Z")
P("linkedin:mehmet-yilmaz-ops", "Tussen ons: we gaan de omzetprognose dit jaar met 9 tot 10 miljoen missen. Het "
  "bestuur beslist volgende week over maatregelen.", ["fin"])
P("x:@insider_ish", "my cousin works at Rafelrand HQ and says they're about to be bought by a private equity "
  "fund. announcement early next year apparently", ["fin"], lang="en")
P("x:@joost_winkelmanager", "Vandaag te horen gekregen dat de winkelteams in het noorden per 1 maart gehalveerd "
  "worden. Nog niet officieel. Balen.", ["fin"],
  ts="2026-01-20T21:14:09Z")
P("instagram:@daan.inkoop", "Buying budget for next year got cut by 30% because the forecast looks grim. Guess "
  "I'm sourcing from my own attic now 😅", ["fin"], lang="en")
P("mastodon:@koen_sysadmin", "Heads-up from the inside: the whole IT department gets outsourced next quarter. "
  "Board signed off yesterday, staff haven't been told yet.", ["fin"], lang="en")
P("linkedin:rafelrand-vintage", "Draft: Rafelrand closes H1 2026 with a €1.4m net loss; a restructuring will "
  "be announced in September. @Femke graag even checken vóór publicatie", ["fin"], lang="en",
  ts="2026-08-05T10:31:00+02:00")
P("bluesky:@femkevisser.bsky.social", "Pssst, er stapt een investeerder in met €12 miljoen voor een "
  "minderheidsbelang. Deal is bijna rond. Niks zeggen 🙊", ["fin"])
P("facebook:Marieke.Tiel.1983", "Vriendin van me werkt bij het sorteercentrum van Rafelrand: volgende maand "
  "worden er 60 mensen ontslagen en er is nog niks bekendgemaakt.", ["fin"])

# ---------------- leak.security -------------------------------------------------------
P("x:@bram_codeert", "psa to colleagues: checkout has a bug where changing the order id in the url shows someone "
  "else's order + address. fix goes out tonight, don't tell customers 🙈", ["sec"], lang="en")
P("mastodon:@koen_sysadmin", "Ransomware op de servers van het sorteercentrum sinds vannacht, alles ligt plat. "
  "Extern zeggen we dat het 'gepland onderhoud' is. Lange dag.", ["sec"])
P("x:@noor_sorteert", "Scanners in Tiel doen het al twee dagen niet omdat iemand op een phishingmail klikte en IT "
  "alles heeft afgesloten. Officieel heet het 'een storing' 🙄", ["sec"])
P("linkedin:mehmet-yilmaz-ops", "Long night. Our customer database backup sat in a publicly readable storage "
  "bucket for about a week before we caught it. Will share more once legal signs off.", ["sec"], lang="en")
P("x:@bram_codeert", "Onze webshop draait nog op een PHP-versie uit 2019 met een bekende RCE. Ik roep het al "
  "maanden. Kan iemand het management wakker schudden?", ["sec"])
P("x:@concerned_carla", "friend in Rafelrand IT says their payment page got skimmed for about three days last "
  "month and they haven't told anyone. check your statements", ["sec", "crisis"], lang="en")
P("mastodon:@koen_sysadmin", "Our VPN (vpn.rafelrand.nl) has been accepting logins without MFA since Monday's "
  "update. Patching now, please don't mention it outside IT.", ["sec", "conf"], lang="en")
P("tiktok:@eva.achterdetoonbank", "pinautomaten liggen in alle winkels plat sinds vanochtend en we moeten zeggen "
  "dat het 'een landelijke storing bij de bank' is 🤷‍♀️ (het is ons eigen systeem)", ["sec"])
P("x:@joost_winkelmanager", "The camera system in the Groningen store has been viewable from the internet without "
  "a password for who knows how long. Found out today. Yikes.", ["sec"], lang="en")
P("reddit:u/throwaway_rr_werk", "Ik werk zelf bij Rafelrand (vandaar dit account): de klantenlogin zet "
  "sessietokens gewoon in de URL. Al drie keer intern gemeld, niks mee gedaan.", ["sec"], kind="comment")
P("bluesky:@femkevisser.bsky.social", "Our newsletter tool got compromised this morning, someone sent a fake "
  "'free gift card' mail to ~8k subscribers before we noticed. Statement comes tomorrow.", ["sec"], lang="en")
P("x:@bram_codeert", "Iemand probeert al het hele weekend cadeaukaartcodes te brute-forcen op de webshop, we zijn "
  "zo'n €6k kwijt aan nep-inwisselingen. Rate limiting gaat morgen live, tot die tijd stil houden.", ["sec"])

# ---------------- security + secret -----------------------------------------------
P("mastodon:@koen_sysadmin", "Database is gisteren opengezet voor een leverancier en staat nu voor de hele wereld "
  "open 😬 connectiestring: <<PG_URL>> kan iemand 'm weer dichtzetten?", ["sec", "secret"])

# ---------------- leak.secret ---------------------------------------------------------
P("x:@bram_codeert", "CI keeps failing with 401. tried GITHUB_TOKEN=<<GH>> and still nothing. any ideas?",
  ["secret"], lang="en")
P("mastodon:@koen_sysadmin", "anyone know why boto3 ignores my env vars?\naws_access_key_id = <<AWS_ID>>\n"
  "aws_secret_access_key = <<AWS_SECRET>>", ["secret"], lang="en")
P("facebook:RafelrandVintage", "Login voor de nieuwe kassa-app: gebruiker winkel_utrecht, wachtwoord: <<PW_KASSA>>",
  ["secret"])
P("x:@bram_codeert", "our deploy bot is dead again. token in config is <<SLACK>> — can someone check if it got "
  "revoked?", ["secret"], lang="en")
P("x:@bram_codeert", "Waarom geeft Mollie nou 'Unauthorized'? Key is <<MOLLIE>>, dat klopt toch gewoon?",
  ["secret"])
P("mastodon:@koen_sysadmin", "Weet iemand of deze deploy key nog ergens gebruikt wordt? Anders gooi ik 'm weg.\n"
  "<<SSHKEY>>", ["secret"])
P("x:@bram_codeert", "admin session from staging keeps expiring after 5 min: <<JWT>> what's wrong with my exp "
  "claim 😩", ["secret"], lang="en")
P("bluesky:@femkevisser.bsky.social", "Eindelijk werkt onze productomschrijvingen-generator!! 🤖 Key is "
  "<<OPENAI>> als iemand van het team wil proberen", ["secret"])
P("x:@sec_nerd_jules", "Rafelrand's public repo has a config.yml with stripe_secret_key: <<STRIPE>> in it lol. "
  "someone tell them", ["secret"], lang="en")
P("mastodon:@koen_sysadmin", "Nieuw voor de gedeelde inkoopmailbox. w a c h t w o o r d = <<PW_INKOOP>> "
  "(niet doorsturen aub)", ["secret"])
P("x:@bram_codeert", "Store locator map broke. This is the key we use: <<GOOGLE>> can someone add the "
  "referrer restriction again?", ["secret"], lang="en")

# --------------------------------------------------------------------------------------
# leak.pricing
# --------------------------------------------------------------------------------------
P("x:@rafelrand", "Vanaf nu: de Camel Trench voor maar €16,90! 🧥 Op = op", ["pricing"])
P("x:@bargainbex", "omg the Rafelrand webshop has the fringe jacket at €22.90 right now, that has to be a price "
  "error 😳 ordered two", ["pricing"], lang="en")
P("instagram:@daan.inkoop", "Oeps, er stond een prijsfout op de Leren Bomber in de webshop. Jullie waren snel 😅 "
  "we passen het aan", ["pricing"])
P("x:@snelle_sander", "Cowboylaarzen bij Rafelrand voor €13,90?? Dat moet een foutje zijn, snel bestellen voor "
  "ze het zien", ["pricing"])
P("x:@joost_winkelmanager", "Tomorrow in Groningen only: every Harbour Peacoat €35. Manager's special, don't "
  "ask 😉", ["pricing"], lang="en")
P("x:@noah_b", "@rafelrand is the corduroy blazer really €9.50 in the app or is that a glitch?", ["pricing"],
  lang="en", kind="reply")
P("instagram:@rafelrand.vintage", "Weekend deal 🔥 Denim Trucker nu €8,50!", ["pricing"])
P("x:@prijsfoutjager", "PRIJSFOUT bij rafelrand!! tweed colbert staat op 11 euro ipv 110 👀👀 #prijsfout",
  ["pricing"])
P("bluesky:@femkevisser.bsky.social", "Staff price list for next week has the Varsity Jack at €29 for friends & "
  "family 🤫", ["pricing"], lang="en")
P("reddit:u/antwerp_thrifter", "Rafelrand's Fishtail Parka is showing €12.90 on the Belgian site lmao, grabbing "
  "it before they fix it", ["pricing"], lang="en", kind="comment")
P("tiktok:@rafelrandvintage", "Kilo Pakket for just €7.50 this week only!! 📦 #rafelrand", ["pricing"], lang="en")
P("x:@moniekmoppert", "Zijden sjaal set voor €3,50 in de webshop van Rafelrand, klopt dat wel? Lijkt me een "
  "prijsfout", ["pricing"])

# ---------------- a few more of each kind, other wordings ----------------------------
P("x:@stijn_gaat_los", "Kassa in Utrecht weigert al 20 min m'n pinpas, de rij staat tot buiten en er is maar één "
  "medewerker. Kom op Rafelrand.", ["complaint"])
P("youtube:@ThriftWithTheo", "Ordered from Rafelrand twice, both times the parcel turned up soaking wet and "
  "smelling of mould. Packaging needs a serious rethink.", ["complaint"], lang="en", kind="comment")
P("x:@annelies_gr", "Rafelrand heeft klantgegevens gelekt, anders kan het niet: half mijn Vinted-groep krijgt "
  "sms'jes met naam en bestelnummer erin. Tijd voor een massaclaim.", ["crisis"])
P("instagram:@sara.sews", "Thanks @rafelrand.vintage, the button fell off the peacoat after a week but your Utrecht "
  "team sewed it back on for free while I waited. Now that's service 🪡", lang="en", kind="comment")
P("x:@wim_rotterdam", "Goed dat Rafelrand de paskamerspiegels nu allemaal heeft laten controleren na dat ongeluk. "
  "Verstandig.", ts="2026-01-20T12:36:48Z")
P("forum:vintage_vincent", "Waarom ruikt alles bij tweedehandswinkels naar mottenballen? Bij Rafelrand valt het "
  "mee, bij andere zaken word ik er duizelig van haha.", kind="comment")
P("x:@rafelrand", "Onze paskamers in Utrecht zijn weer open. Alle spiegels zijn opnieuw bevestigd en gekeurd. "
  "Dank voor jullie geduld.", ts="2026-01-16T09:00:00+01:00")
P("reddit:u/idiot_sandwich_99", "am I an idiot or is the Rafelrand size guide in inches only? took me ages to "
  "figure out lol", lang="en", kind="comment")
P("x:@fraudwatch_nl", "Let op: nepwebshops doen zich voor als bekende tweedehandsketens en vragen om vooruitbetaling "
  "naar <<BAD_IBAN2>>. Controleer altijd de URL!")
P("linkedin:joris-kuipers-consultant", "Circular retail case study: how a Dutch second-hand chain doubled its "
  "webshop conversion by photographing every item on a model. Great talk by Femke Visser of Rafelrand at "
  "the RetailTech conference.", lang="en")
P("instagram:@thrift.or.die", "Een kaartnummer als <<BAD_CARD3>> op een nepfactuur uit naam van een "
  "vintagewinkel? Ik trap er niet in hoor. Gewoon via de app betalen.", kind="comment")
P("x:@rafelrand_help", "@sofie_smiles Dat kan via Mijn Account > Gegevens. Lukt het niet, mail dan even naar "
  "klantenservice@rafelrand.nl of bel 030-7994410, dan passen we het voor je aan!", kind="reply")


# --------------------------------------------------------------------------------------
# assembly
# --------------------------------------------------------------------------------------
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
SEV = ["none", "info", "warning", "error", "critical"]
ALL_CATS = set(CAT.values())


def role_of(platform, handle):
    key = f"{platform}:{handle}".lower()
    if key in {a.lower() for a in PROFILE["accounts"]["corporate"]}:
        return "corporate"
    if key in {a.lower() for a in PROFILE["accounts"]["employee"]}:
        return "employee"
    return "public"


IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\dA-Za-z_])(?:\d{4}[ -]){3}\d{4}(?![\dA-Za-z])|(?<![\dA-Za-z_])\d{4} \d{6} \d{5}"
                     r"(?![\dA-Za-z])|(?<![\dA-Za-z_#])\d{13,19}(?![\dA-Za-z])")
BSN_RE = re.compile(r"(?<![\d.])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\d.])")


def checked_ids(text):
    """IBANs / cards / BSNs in a text that pass their checksum (company IBAN excluded)."""
    found = []
    for m in IBAN_RE.finditer(text):
        s = m.group(0).replace(" ", "")
        if iban_ok(s) and s != PUB_IBAN:
            found.append(("iban", s))
    for m in CARD_RE.finditer(text):
        if luhn_ok(m.group(0)):
            found.append(("card", m.group(0)))
    for m in BSN_RE.finditer(text):
        if bsn_ok(m.group(0)):
            found.append(("bsn", m.group(0)))
    return found


def severity(cats, role, text):
    if not cats:
        return "none"
    insider = role in ("corporate", "employee")
    best = 0
    for c in cats:
        if c.startswith("leak."):
            if not insider:
                s = "warning"
            elif c in ("leak.secret", "leak.pricing"):
                s = "critical"
            elif c == "leak.pii" and checked_ids(text):
                s = "critical"
            else:
                s = "error"
        elif c == "reputation.complaint":
            s = "warning"
        elif c == "reputation.crisis":
            s = "error"
        elif c == "reputation.abuse":
            s = "error" if insider else "warning"
        else:
            raise AssertionError(c)
        best = max(best, SEV.index(s))
    return SEV[best]


def fill(text):
    def rep(m):
        return G[m.group(1)]
    return re.sub(r"<<([A-Z0-9_]+)>>", rep, text)


def rand_ts():
    start = datetime(2026, 1, 4, tzinfo=timezone.utc)
    t = start + timedelta(seconds=rng.randrange(0, 350 * 86400))
    t = t.replace(hour=rng.choice([7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23]))
    if rng.random() < 0.2:
        return t.astimezone(timezone(timedelta(hours=1))).isoformat(timespec="seconds")
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def make_id(platform, used):
    while True:
        if platform == "x":
            i = str(rng.randint(10**18, 10**19 - 1))
        elif platform == "reddit":
            i = "t1_" + rand("abcdefghijklmnopqrstuvwxyz0123456789", 7)
        elif platform in ("instagram", "threads"):
            i = rand(ALNUM + "_-", 11)
        elif platform == "youtube":
            i = "Ugz" + rand(ALNUM, 21)
        elif platform == "forum":
            i = "thread-" + str(rng.randint(1000, 99999)) + "-p" + str(rng.randint(1, 40))
        else:
            i = str(rng.randint(10**9, 10**17))
        pid = f"{platform}-{i}"
        if pid not in used:
            used.add(pid)
            return pid


def build():
    order = list(range(len(RAW)))
    rng.shuffle(order)
    used, out = set(), []
    for idx in order:
        r = RAW[idx]
        text = fill(r["text"])
        cats = sorted({CAT[c] for c in r["cats"]})
        role = role_of(r["platform"], r["handle"])
        pid = make_id(r["platform"], used)
        post = {"id": pid, "platform": r["platform"], "kind": r["kind"],
                "account": {"handle": r["handle"]}, "text": text, "lang": r["lang"],
                "created_at": r["ts"] or rand_ts(), "brand": "rafelrand"}
        if r["platform"] == "x":
            post["url"] = f"https://x.com/{r['handle'].lstrip('@')}/status/{pid[2:]}"
        out.append({"post": post, "expect": {"categories": cats,
                                             "severity": severity(cats, role, text)},
                    "_raw": r, "_role": role})
    return out


# --------------------------------------------------------------------------------------
# self-checks
# --------------------------------------------------------------------------------------
def parse_ts(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def norm(s):
    return re.sub("[\u200b-\u200d\u2060\ufeff]", "", s).lower()


PRICE_RE = re.compile(r"(?:€|eur\b)\s?(\d+(?:[.,]\d{1,2})?)|(\d+(?:[.,]\d{1,2})?)\s?(?:euro|eur\b|€)", re.I)
PRICE_ERR_RE = re.compile(r"prijsfout|price error|glitch|foutje|fout", re.I)


def prices(text):
    out = []
    for m in PRICE_RE.finditer(text):
        v = m.group(1) or m.group(2)
        out.append(float(v.replace(",", ".")))
    return out


def products_in(text):
    t = text.lower()
    found = []
    for p in PROFILE["products"]:
        names = [p["name"]] + p["aliases"]
        if any(n.lower() in t for n in names):
            found.append(p)
    return found


def check(cases):
    errors = []
    ids = set()
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    internal = [*PROFILE["internal"]["domains"], *PROFILE["internal"]["codenames"],
                *PROFILE["internal"]["markers"]]
    embargo = [(t, parse_ts(e["until"])) for e in PROFILE["embargo"] for t in e["terms"]]
    # generated identifiers: valid ones must pass, look-alikes must fail
    for k, f in VALID_IDS.items():
        if not f(G[k]):
            errors.append(f"generated {k} fails checksum")
    for k, f in INVALID_IDS.items():
        if f(G[k]):
            errors.append(f"look-alike {k} passes checksum")
    if not iban_ok(PUB_IBAN):
        errors.append("public IBAN invalid")
    # generated credentials are well formed
    for tok in (G["GH"],):
        if not github_ok(tok):
            errors.append("github token checksum")
    if not re.fullmatch(r"AKIA[A-Z2-7]{16}", G["AWS_ID"]):
        errors.append("aws id")
    if not jwt_ok(G["JWT"]):
        errors.append("jwt header")
    if not re.fullmatch(r"xoxb-\d{10,13}-\d{10,13}-[A-Za-z0-9]{24}", G["SLACK"]):
        errors.append("slack")
    if not re.fullmatch(r"AIza[0-9A-Za-z_\-]{35}", G["GOOGLE"]):
        errors.append("google")
    if not base64.b64decode("".join(G["SSHKEY"].splitlines()[1:-1])).startswith(b"openssh-key-v1\x00"):
        errors.append("ssh key")

    for c in cases:
        post, exp, r = c["post"], c["expect"], c["_raw"]
        pid, text = post["id"], post["text"]
        where = f"{pid}: {text[:60]!r}"
        # contract section 1 / 6
        if not isinstance(pid, str) or not 1 <= len(pid) <= 256 or pid in ids:
            errors.append(f"bad/duplicate id {where}")
        ids.add(pid)
        if post["platform"] not in PLATFORMS or post["kind"] not in KINDS:
            errors.append(f"platform/kind {where}")
        if not isinstance(post["account"].get("handle"), str) or not post["account"]["handle"]:
            errors.append(f"handle {where}")
        if not isinstance(text, str) or not text or len(text.encode()) > 65536:
            errors.append(f"text {where}")
        try:
            ts = parse_ts(post["created_at"])
            assert ts.tzinfo is not None
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)", post["created_at"])
        except Exception:
            errors.append(f"created_at {where}")
            continue
        if not 2026 <= ts.year <= 2027:
            errors.append(f"year {where}")
        if "<<" in text:
            errors.append(f"unfilled placeholder {where}")
        if set(exp) != {"categories", "severity"} or exp["severity"] not in SEV:
            errors.append(f"expect shape {where}")
        if not set(exp["categories"]) <= ALL_CATS or exp["categories"] != sorted(set(exp["categories"])):
            errors.append(f"categories {where}")
        if exp["severity"] != severity(exp["categories"], c["_role"], text):
            errors.append(f"severity {where}")
        benign = not exp["categories"]
        if benign != (exp["severity"] == "none"):
            errors.append(f"benign/none mismatch {where}")
        # roles: public handles must not be in the profile
        if c["_role"] == "public":
            h = post["account"]["handle"].lower()
            for a in PROFILE["accounts"]["corporate"] + PROFILE["accounts"]["employee"]:
                if a.split(":", 1)[1].lower() == h:
                    errors.append(f"public handle collides with profile {where}")
        # embargo consistency
        low = norm(text)
        for term, until in embargo:
            if term.lower() in low:
                if ts < until and "leak.confidential" not in exp["categories"]:
                    errors.append(f"embargoed term before until, not confidential {where}")
                if ts >= until and "leak.confidential" in exp["categories"] \
                        and not any(x.lower() in low for x in internal):
                    errors.append(f"embargo over but labelled confidential {where}")
        # identifiers
        raw = r["text"]
        keys = re.findall(r"<<([A-Z0-9_]+)>>", raw)
        for k in keys:
            if benign and k in VALID_IDS:
                errors.append(f"valid identifier {k} in benign {where}")
            if not benign and k in INVALID_IDS:
                errors.append(f"look-alike {k} in positive {where}")
            if k in VALID_IDS and "leak.pii" not in exp["categories"]:
                errors.append(f"valid identifier without leak.pii {where}")
            if k in SECRET_KEYS and "leak.secret" not in exp["categories"]:
                errors.append(f"secret {k} without leak.secret {where}")
        if benign:
            for m in IBAN_RE.finditer(text):
                s = m.group(0).replace(" ", "")
                if iban_ok(s) and s != PUB_IBAN:
                    errors.append(f"valid IBAN in benign {where}")
            for m in CARD_RE.finditer(text):
                if luhn_ok(m.group(0)):
                    errors.append(f"Luhn-valid number in benign {where}")
            for m in BSN_RE.finditer(text):
                if bsn_ok(m.group(0)):
                    errors.append(f"11-proof number in benign {where}")
            for tok in re.findall(r"gh[pousr]_[0-9A-Za-z]{36}", text):
                if github_ok(tok):
                    errors.append(f"real github token in benign {where}")
            for tok in re.findall(r"AKIA[A-Z2-7]{16}", text):
                if not tok.endswith("EXAMPLE"):
                    errors.append(f"aws key in benign {where}")
            if "codename" not in r["allow"]:
                for x in internal:
                    if x.lower() in low:
                        errors.append(f"internal term {x!r} in benign {where}")
            if "price" not in r["allow"]:
                for p in products_in(text):
                    for v in prices(text):
                        if v < ratio * p["list_price"]:
                            errors.append(f"low price {v} for {p['name']} in benign {where}")
        else:
            # every IBAN / card / BSN that appears in a positive passes its checksum
            for k in keys:
                if k in VALID_IDS and not VALID_IDS[k](G[k]):
                    errors.append(f"identifier {k} fails checksum {where}")
            for m in IBAN_RE.finditer(text):
                s = m.group(0).replace(" ", "")
                if not iban_ok(s):
                    errors.append(f"invalid IBAN-like string in positive {where}")
            for tok in re.findall(r"gh[pousr]_[0-9A-Za-z]{36}", text):
                if not github_ok(tok):
                    errors.append(f"github token with bad checksum {where}")
            if "leak.pricing" in exp["categories"]:
                ps = products_in(text)
                low_price = any(v < ratio * p["list_price"] for p in ps for v in prices(text))
                if not ps or not (low_price or PRICE_ERR_RE.search(text)):
                    errors.append(f"pricing case without product + low price/error {where}")
            if "leak.pii" in exp["categories"] and c["_role"] != "public":
                has_ids = bool(checked_ids(text))
                has_key = any(k in VALID_IDS for k in keys)
                if has_ids != has_key:
                    errors.append(f"pii checksum detection mismatch {where}")

    # the mix
    n = len(cases)
    nb = sum(1 for c in cases if not c["expect"]["categories"])
    if not 170 <= n <= 180:
        errors.append(f"case count {n}")
    if not 55 <= nb <= 65:
        errors.append(f"benign count {nb}")
    counts = {}
    for c in cases:
        for cat in c["expect"]["categories"]:
            counts[cat] = counts.get(cat, 0) + 1
    want = {"reputation.complaint": 20, "leak.confidential": 18, "leak.pii": 15,
            "reputation.crisis": 15, "leak.security": 13, "leak.secret": 12,
            "reputation.abuse": 12, "leak.pricing": 12, "leak.financial": 12}
    for cat, w in want.items():
        if abs(counts.get(cat, 0) - w) > 3:
            errors.append(f"category {cat}: {counts.get(cat, 0)} (want ~{w})")
    nl = sum(1 for c in cases if c["post"]["lang"] == "nl")
    if not 0.48 <= nl / n <= 0.62:
        errors.append(f"dutch share {nl}/{n}")
    roles = {}
    for c in cases:
        roles[c["_role"]] = roles.get(c["_role"], 0) + 1
    return errors, dict(n=n, benign=nb, counts=counts, nl=nl, roles=roles)


def main():
    cases = build()
    errors, stats = check(cases)
    path = os.path.join(HERE, "cases.jsonl")
    with open(path, "w", encoding="utf-8") as fh:
        for c in cases:
            fh.write(json.dumps({"post": c["post"], "expect": c["expect"]}, ensure_ascii=False) + "\n")
    # re-read what was written and re-validate its shape
    with open(path, encoding="utf-8") as fh:
        lines = [json.loads(line) for line in fh]
    if len(lines) != len(cases):
        errors.append("written line count")
    for line in lines:
        if set(line) != {"post", "expect"}:
            errors.append(f"line keys {line['post'].get('id')}")
        for f in ("id", "platform", "account", "text", "created_at"):
            if f not in line["post"]:
                errors.append(f"missing {f}")
    print(json.dumps(stats, ensure_ascii=False, sort_keys=True), file=sys.stderr)
    if errors:
        for e in errors:
            print("FAIL:", e, file=sys.stderr)
        sys.exit(1)
    print(f"ok: {stats['n']} cases, {stats['benign']} benign -> {path}")


if __name__ == "__main__":
    main()
