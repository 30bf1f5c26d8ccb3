#!/usr/bin/env python3
"""Sealed evaluation set 227 for postwatch: Brokkenbode B.V. (fictional pet food
subscription delivery company).

Deterministic (fixed seed). Writes cases.jsonl next to this file and self-checks it:
  * every line is a valid CONTRACT §6 case (post fields, categories, severity);
  * severities are computed from CONTRACT §4 and the account role in profile.yaml;
  * every IBAN / card / BSN in a positive passes its checksum, every look-alike in a
    negative fails it; generated secrets have the right shape and checksums;
  * codenames, internal hosts, markers and embargoed terms are labelled consistently;
  * benign posts name no catalogue product at a price below the alert ratio.

Usage: python3 make_cases.py
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
SEED = 227
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# --------------------------------------------------------------------------
# checksum helpers
# --------------------------------------------------------------------------
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits


def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    lens = {"NL": 18, "DE": 22, "BE": 16}
    if s[:2] in lens and len(s) != lens[s[:2]]:
        return False
    r = s[4:] + s[:4]
    n = int("".join(str(int(ch, 36)) for ch in r))
    return n % 97 == 1


def iban_make(cc, bban):
    r = bban + cc + "00"
    n = int("".join(str(int(ch, 36)) for ch in r))
    return "%s%02d%s" % (cc, 98 - n % 97, bban)


def iban_group(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    if len(d) < 12:
        return False
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
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
    d = re.sub(r"\D", "", num)
    if len(d) != 9:
        return False
    tot = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return tot % 11 == 0 and int(d) != 0


def rand_digits(n, first_nonzero=False):
    s = "".join(rng.choice(string.digits) for _ in range(n))
    if first_nonzero and s[0] == "0":
        s = str(rng.randint(1, 9)) + s[1:]
    return s


def make_bsn():
    while True:
        d = rand_digits(8, first_nonzero=True)
        s = sum(int(d[i]) * (9 - i) for i in range(8)) % 11
        if s <= 9:
            cand = d + str(s)
            assert bsn_ok(cand)
            return cand


def make_bad_bsn():
    while True:
        cand = rand_digits(9, first_nonzero=True)
        if not bsn_ok(cand):
            return cand


def make_card(prefix, length=16):
    body = prefix + rand_digits(length - len(prefix) - 1)
    return luhn_complete(body)


def bad_card(prefix, length=16):
    good = make_card(prefix, length)
    bad = good[:-1] + str((int(good[-1]) + rng.randint(1, 9)) % 10)
    assert not luhn_ok(bad)
    return bad


def card_group(c):
    return " ".join(c[i:i + 4] for i in range(0, len(c), 4))


def make_nl_iban():
    bank = rng.choice(["ABNA", "INGB", "RABO", "SNSB", "TRIO", "KNAB", "ASNB", "BUNQ"])
    return iban_make("NL", bank + rand_digits(10))


def bad_iban(good):
    while True:
        pos = rng.randint(len(good) - 6, len(good) - 1)
        ch = good[pos]
        if not ch.isdigit():
            continue
        cand = good[:pos] + str((int(ch) + rng.randint(1, 9)) % 10) + good[pos + 1:]
        if not iban_ok(cand):
            return cand


# --------------------------------------------------------------------------
# secret generators, built the way the real ones are
# --------------------------------------------------------------------------
def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def github_token(prefix="ghp_"):
    body = "".join(rng.choice(ALNUM) for _ in range(30))
    return prefix + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF, 6)


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()) & 0xFFFFFFFF, 6) == m.group(2)


def aws_key_id():
    return "AKIA" + "".join(rng.choice(string.ascii_uppercase + "234567") for _ in range(16))


def aws_secret():
    return "".join(rng.choice(ALNUM + "/+") for _ in range(40))


def rstr(n, alphabet=ALNUM):
    return "".join(rng.choice(alphabet) for _ in range(n))


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt(payload):
    h = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    p = b64url(json.dumps(payload, separators=(",", ":")).encode())
    s = b64url(bytes(rng.getrandbits(8) for _ in range(32)))
    return "%s.%s.%s" % (h, p, s)


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    pad = "=" * (-len(parts[0]) % 4)
    hdr = json.loads(base64.urlsafe_b64decode(parts[0] + pad))
    return "alg" in hdr


def pem_rsa():
    der = bytes([0x30, 0x82, 0x04, 0xA4, 0x02, 0x01, 0x00, 0x02, 0x82, 0x01, 0x01, 0x00])
    der += bytes(rng.getrandbits(8) for _ in range(1180))
    body = base64.b64encode(der).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"


def password():
    w = rng.choice(["Kwispel", "Brokje", "Snuffel", "Poezenluik", "Hondenmand"])
    return w + rand_digits(3) + rng.choice("!#$%&*?")


G = {}
G["GH1"] = github_token("ghp_")
G["GH2"] = github_token("gho_")
G["AKIA1"] = aws_key_id()
G["AWSSEC1"] = aws_secret()
G["STRIPE1"] = "sk_live_51" + rstr(97)
G["SLACK1"] = "xoxb-%s-%s-%s" % (rand_digits(12, True), rand_digits(13, True), rstr(24))
G["OPENAI1"] = "sk-" + rstr(20) + "T3BlbkFJ" + rstr(20)
G["ANTH1"] = "sk-ant-api03-" + rstr(93, ALNUM + "-_") + "AA"
G["GOOGLE1"] = "AIza" + rstr(35, ALNUM + "-_")
G["GLPAT1"] = "glpat-" + rstr(20, ALNUM + "-_")
G["JWT1"] = jwt({"sub": "svc-abonnementen", "role": "admin", "iat": 1780300800, "exp": 1811836800})
G["PEM1"] = pem_rsa()
G["DBPW1"] = rstr(18)
G["PW2"] = password()

G["IBAN_OK1"] = make_nl_iban()
G["IBAN_OK2"] = make_nl_iban()
G["IBAN_OK3"] = iban_make("DE", rand_digits(8, True) + rand_digits(10))
G["IBAN_BAD1"] = bad_iban(make_nl_iban())
G["CARD_OK1"] = make_card("4")
G["CARD_OK2"] = make_card("53")
G["CARD_BAD1"] = bad_card("4")
G["GIFT_BAD1"] = bad_card("6219")
G["CHIP_BAD1"] = bad_card("528140", 15)
G["BSN_OK1"] = make_bsn()
G["BSN_OK2"] = make_bsn()
G["BSN_BAD1"] = make_bad_bsn()
G["BSN_BAD2"] = make_bad_bsn()
# formatted variants used in texts
G["IBAN_OK1_G"] = iban_group(G["IBAN_OK1"])
G["IBAN_OK3_G"] = iban_group(G["IBAN_OK3"])
G["IBAN_BAD1_G"] = iban_group(G["IBAN_BAD1"])
G["CARD_OK1_G"] = card_group(G["CARD_OK1"])
G["CARD_OK2_D"] = "-".join(G["CARD_OK2"][i:i + 4] for i in range(0, 16, 4))
G["CARD_BAD1_G"] = card_group(G["CARD_BAD1"])
G["GIFT_BAD1_G"] = card_group(G["GIFT_BAD1"])
G["BSN_OK2_D"] = "%s.%s.%s" % (G["BSN_OK2"][:4], G["BSN_OK2"][4:6], G["BSN_OK2"][6:])
G["PUBLIC_IBAN_G"] = iban_group(PROFILE["public_identifiers"]["ibans"][0])

CHECKSUM_OK = {k for k in G if re.match(r"(IBAN|CARD|BSN)_OK", k)}
CHECKSUM_BAD = {k for k in G if re.match(r"(IBAN|CARD|BSN|GIFT|CHIP)_BAD", k)}

# --------------------------------------------------------------------------
# the cases (hand-written texts)
# --------------------------------------------------------------------------
CAT = {
    "secret": "leak.secret", "pii": "leak.pii", "pricing": "leak.pricing",
    "conf": "leak.confidential", "fin": "leak.financial", "sec": "leak.security",
    "crisis": "reputation.crisis", "compl": "reputation.complaint", "abuse": "reputation.abuse",
}
CASES = []


def C(cats, platform, handle, lang, text, kind=None, at=None, allow_codeword=False):
    if kind is None:
        kind = "reply" if text.startswith("@") else "post"
    CASES.append(dict(cats=[CAT[c] for c in cats], platform=platform, handle=handle, lang=lang,
                      text=text, kind=kind, at=at, allow_codeword=allow_codeword))


# ---------------------------------------------------------------- leak.secret
C(["secret"], "x", "@sjoerdw_dev", "nl",
  "lol waarom faalt de deploy nou weer... export GITHUB_TOKEN={{GH1}} en tóch een 403. iemand een idee?? #devlife")
C(["secret"], "x", "@daan_huisman", "en",
  "@sjoerdw_dev try mine, it works on my machine™ {{GH2}}  just don't tell the security people haha")
C(["secret"], "mastodon", "@milan_de_wit@mastodon.nl", "en",
  "Spent the whole evening on why our boto3 script couldn't reach the bucket. Turns out the env still had\n"
  "aws_access_key_id = {{AKIA1}}\naws_secret_access_key = {{AWSSEC1}}\nfrom the old account 🙃 lesson learned")
C(["secret"], "x", "@daan_huisman", "en",
  "quick q for stripe people: webhook keeps 401-ing with our {{STRIPE1}} even though nobody rotated anything?? what am I missing")
C(["secret"], "tiktok", "@bram.inpakt", "nl",
  "pov: je teamleider plakt de slack bot token gewoon in de groepsapp 💀💀 {{SLACK1}} #magazijnlife #fyp")
C(["secret"], "reddit", "u/kees_magazijn", "en",
  "Anyone know why the OpenAI API gives 429s on a paid plan? Using {{OPENAI1}} in a little helper that reads our pick lists, worked fine yesterday")
C(["secret"], "bluesky", "@femke-de-graaf.bsky.social", "en",
  "pasting this here so I can grab it on my laptop later, ignore pls\n{{JWT1}}")
C(["secret"], "x", "@sjoerdw_dev", "nl",
  "config van de nieuwe omgeving, eindelijk werkt ie 🎉\nDATABASE_URL=postgres://bb_app:{{DBPW1}}@10.20.4.17:5432/abonnementen")
C(["secret"], "forum", "@sec_rambler", "en",
  "Heads up: a public GitHub repo that clearly belongs to a Dutch pet food subscription company (Brokkenbode, going by the README) "
  "has its deploy key committed in /ops/keys:\n\n{{PEM1}}\n\nMailed security@brokkenbode.nl two days ago, no reply yet.")
C(["secret"], "x", "@pietjepuk_codeert", "nl",
  "lekker bezig @brokkenbode, jullie Android app heeft gewoon een Google API key hardcoded staan: {{GOOGLE1}} 🙈 even decompilen en klaar")
C(["secret"], "x", "@daan_huisman", "nl",
  "note to self want ik vergeet het elke keer: runner token gitlab = {{GLPAT1}} (niet jatten 😇)")
C(["secret"], "instagram", "@yara.voert", "nl",
  "Voor de stagiairs die vanaf maandag onze stories doen 💛 login van de Brokkenbode insta: brokkenbode.nl / Wacht\u200bwoord: {{PW2}} — alleen op de werklaptop aub!")

# -------------------------------------------------------------- leak.security
C(["sec"], "x", "@sjoerdw_dev", "nl",
  "Off the record: sinds vanochtend kun je op mijn.brokkenbode.nl andermans bezorgadres opvragen door gewoon het abonnement-ID in de URL op te hogen. Fix komt pas dinsdag 😬")
C(["sec"], "linkedin", "ruben-kok-4471", "en",
  "Rough night. Ransomware hit our warehouse system around 2am and we're picking orders from printed lists now. "
  "Customers haven't been told yet, so please keep this between us for a bit. Proud of how the night shift is handling it.")
C(["sec"], "x", "@daan_huisman", "en",
  "fun times: prod API returns full stack traces incl. the db hostname and framework version on every 500. ticket's been open for 3 weeks and nobody cares")
C(["sec"], "tiktok", "@bram.inpakt", "nl",
  "hele systeem ligt plat sinds 6 uur vanochtend, labelprinters doen niks, scanners doen niks 🙃 klanten weten nog van niks, morgen komt er dus niks aan haha")
C(["sec"], "bluesky", "@femke-de-graaf.bsky.social", "en",
  "Not announced (yet) but someone got into our admin panel on Friday with a phished support login. We're still working out how many subscriber records they opened.")
C(["sec"], "reddit", "u/kees_magazijn", "nl",
  "De handscanners in hal 2 draaien nog op Windows 7 zonder updates en hangen aan het gastennetwerk. IT weet het al een jaar 🤷 als iemand ooit binnen wil komen is dat de weg")
C(["sec"], "x", "@lottevermeer_bb", "nl",
  "KS-collega's: we mogen nog NIKS zeggen, maar door een storing bij de betaalkoppeling zijn sinds gisteravond incasso's dubbel afgeschreven. Officiële verklaring volgt, tot die tijd: 'we zoeken het uit'.")
C(["sec"], "mastodon", "@milan_de_wit@mastodon.nl", "en",
  "Fun fact from work: our password reset links never expire. Reported it in January. Still there. Still never expiring 🙂")
C(["sec"], "x", "@sjoerdw_dev", "en",
  "@daan_huisman yeah the bucket with all the invoice PDFs was public-read for about 4 months, only closed it this morning. legal is still deciding whether we have to notify the AP")
C(["sec", "crisis"], "x", "@anoniem_uit_dc", "nl",
  "Ik werk (nog even) in het distributiecentrum van Brokkenbode en ik kan je vertellen: vorige week heeft een ex-collega de hele klantendatabase gekopieerd. Er wordt met geen woord over gesproken.")
C(["sec", "secret"], "mastodon", "@milan_de_wit@mastodon.nl", "en",
  "found out today the Claude key for our support bot sat in a world-readable bucket since March. rotating now. the leaked one was {{ANTH1}} so if you see it anywhere ping me. and please nobody post about this yet")
C(["sec"], "linkedin", "noor-bouzid-brokkenbode", "en",
  "Note for the finance team: the PSP flagged 312 card-testing attempts on our checkout this week and 3-D Secure still isn't switched on for renewals. Not public, please don't forward.")
C(["sec"], "instagram", "@yara.voert", "nl",
  "stories waren stil vandaag hè 😅 ons insta-account was gisteren gehackt en iemand heeft DM's met klanten zitten lezen. we zoeken het nog uit, nog niet naar buiten brengen pls 🙏")

# ------------------------------------------------------------- leak.financial
C(["fin"], "linkedin", "noor-bouzid-brokkenbode", "nl",
  "Trots op het team! Q3-omzet komt uit op €41,2 mln, 18% boven budget 🥂 De cijfers gaan pas over twee weken naar buiten maar ik kon het echt niet laten.")
C(["fin"], "x", "@lottevermeer_bb", "nl",
  "Slecht nieuws op de afdeling vandaag. 40 van de 65 plekken bij klantenservice verdwijnen in het voorjaar, het gaat naar een extern callcenter in Portugal. Officieel horen we het pas in maart 😞")
C(["fin"], "linkedin", "ilse-brouwer-bb", "en",
  "Can't say much, but the term sheet with a large German pet retailer was signed today. Brokkenbode won't be independent for much longer 👀 Exciting times.")
C(["fin"], "bluesky", "@femke-de-graaf.bsky.social", "en",
  "board deck says we'll miss the 2026 EBITDA target by roughly €3m and next year's forecast gets cut in half. product roadmap planning is going to be fun")
C(["fin"], "reddit", "u/kees_magazijn", "nl",
  "Ze gaan het DC in Nieuwegein sluiten en alles naar Venlo verplaatsen, is intern al besloten. 120 man kan verhuizen of vertrekken. Ploegleider zei het vandaag in de kantine.")
C(["fin"], "x", "@daan_huisman", "en",
  "so apparently we're buying that Belgian cat-treat startup for ~€14m?? announcement is next month, engineering just got told to start planning the integration")
C(["fin"], "x", "@beursgerucht_nl", "nl",
  "Hoor uit goede bron dat Brokkenbode dit jaar ruim 9 miljoen verlies gaat draaien, veel meer dan gedacht. Insiders zeggen dat de bank de kredietlijn wil heronderhandelen.")
C(["fin"], "instagram", "@yara.voert", "en",
  "marketing budget for next year just got slashed by 60% 😭 apparently the subscriber churn is way worse than what we've been telling investors")
C(["fin"], "x", "@sjoerdw_dev", "nl",
  "Townhall vandaag: IT gaat onder het moederbedrijf vallen en 12 functies vervallen. 'Niet naar buiten brengen tot 1 april' zeiden ze erbij 😶")
C(["conf", "fin"], "linkedin", "noor-bouzid-brokkenbode", "nl",
  "Project Windhond loopt lekker: due diligence op de overname van Dierenvoer Direct is bijna rond, het bod ligt rond de €38 miljoen. Alleen intern natuurlijk 🤫")
C(["conf", "fin"], "linkedin", "noor-bouzid-brokkenbode", "nl",
  "De jaarcijfers 2026 zijn binnen en ze zijn 🔥: €162 mln omzet en ons eerste winstgevende jaar ooit. Volgende week het persbericht, tot die tijd mondje dicht!",
  at="2027-02-24T16:40:00Z")

# ---------------------------------------------------------- leak.confidential
C(["conf"], "x", "@daan_huisman", "en",
  "Marmoset demo went great today, the model picks the right kibble size from a single photo of the dog 🐕 can't wait till we ship this")
C(["conf"], "x", "@sjoerdw_dev", "nl",
  "Wie kan er bij https://grafana.bb-intern.nl/d/abo-churn ? Mijn dashboard blijft leeg sinds de update")
C(["conf"], "instagram", "@yara.voert", "nl",
  "Sneak peek 👀 binnenkort in jullie box: Staartwerk Hertensticks! Staat nog nergens online dus ssst 🤫🦌 #brokkenbode #nieuw")
C(["conf"], "bluesky", "@femke-de-graaf.bsky.social", "en",
  "Operatie Kattenkruid kickoff today!! three months to rebuild the entire cat subscription flow from scratch. let's gooo 🐈‍⬛")
C(["conf"], "x", "@daan_huisman", "nl",
  "eindelijk mag ik aan ｐｒｏｊｅｃｔ ｗｉｎｄｈｏｎｄ werken, echt het vetste project van het jaar 😎")
C(["conf"], "tiktok", "@bram.inpakt", "nl",
  "we mochten vandaag al de eerste Vers\u200bVak bakjes inpakken 🤤 dat gaat zo hard worden #inpakken #fyp",
  at="2026-12-03T18:12:00Z")
C(["conf"], "x", "@sjoerdw_dev", "en",
  "Marm\u043eset sprint review moved to thursday, bring snacks pls")
C(["conf"], "reddit", "u/kees_magazijn", "nl",
  "Iemand al iets gehoord over Project W.i.n.d.h.o.n.d? Er staan opeens pallets met een onbekend logo in hal 3 en niemand mag zeggen wat het is")
C(["conf"], "mastodon", "@milan_de_wit@mastodon.nl", "en",
  "If anyone from the team reads this: the onboarding wiki moved to https://intra.brokkenbode.local/wiki/onboarding, old links are dead")
C(["conf"], "x", "@dierenvoer_insider", "en",
  "Leaked: Brokkenbode is testing a fresh/raw line called VersVak, launch planned for January. Saw the packaging at one of their suppliers 👀",
  at="2026-11-20T09:31:00Z")
C(["conf"], "facebook", "BrokkenbodeNL", "nl",
  "Interne memo – niet extern delen: vanaf 1 februari vervalt de gratis bezorging voor abonnementen onder de €25. Teamleads informeren hun mensen deze week.")
C(["conf"], "bluesky", "@femke-de-graaf.bsky.social", "en",
  "VersVak launch checklist is finally all green ✅ nine days to go",
  at="2027-01-10T20:05:00Z")
C(["conf"], "linkedin", "ruben-kok-4471", "en",
  "Just signed off the first production run of our upcoming Kattenbode grain-free wet food range, launching in spring. Not announced yet, but I'm really proud of this one.")
C(["conf"], "x", "@brokkenbode_help", "nl",
  "@hondenmama_ria Excuses voor het gedoe! Uw melding staat intern onder https://jira.bb-intern.nl/browse/KS-20931, collega's kijken ernaar.")
C(["conf"], "x", "@lottevermeer_bb", "nl",
  "Screenshot uit het nieuwe klantenservicescript (alleen intern, maar te goed om niet te delen): 'Weigert de hond het voer? Vraag eerst of het baasje het zelf al geproefd heeft' 😂")

# ------------------------------------------------------------------ leak.pricing
C(["pricing"], "instagram", "@brokkenbode.nl", "nl",
  "🔥 Weekendknaller 🔥 Graanvrij Kip 12 kg nu voor maar €9,95! Op = op #brokkenbode #hondenvoer")
C(["pricing"], "x", "@brokkenbode", "en",
  "This week only: the SlimVoer automatic feeder for just €12.90 🐾 link in bio")
C(["pricing"], "x", "@koopjesjager_nl", "nl",
  "RENNEN!!! Zalmbrok 12kg bij Brokkenbode voor €6,49 ipv €64,95 😂😂 prijsfout volgens mij, ik heb er 4 besteld")
C(["pricing"], "reddit", "u/dealhunter_eu", "en",
  "Brokkenbode has the Bronnetje water fountain at €4.49 right now. Either a glitch or a very generous intern. Ordered two.")
C(["pricing"], "x", "@lottevermeer_bb", "nl",
  "Collega's: er staat een prijsfout op de Versbox Hond in de webshop, de telefoon staat roodgloeiend. Er wordt aan gewerkt!")
C(["pricing"], "tiktok", "@staartwerk", "nl",
  "Dental Sticks 28 st voor €1,29?! Ja echt, alleen vandaag 🦷✨ #staartwerk #hond")
C(["pricing"], "facebook", "marieke.vdijk.71", "nl",
  "Is dit een foutje? Kattenbode Nierdieet 1,5 kg staat op 2,75 euro in de app. Normaal betaal ik daar 27,50 voor.")
C(["pricing"], "x", "@daan_huisman", "en",
  "oops. someone fat-fingered the price feed and Hypoallergeen Konijn 10kg is showing €7.49 on the site 😬 on it")
C(["pricing"], "linkedin", "brokkenbode", "en",
  "Welcome to the pack! 🐶 New subscribers get our Puppy Start 6 kg for €3.85 this month.")
C(["pricing"], "x", "@pepernoot_deals", "en",
  "price error alert 🚨 Kitten Groei 2kg for €1,99 at brokkenbode, normally around 20 quid. go go go")
C(["pricing"], "instagram", "@yara.voert", "nl",
  "Psst 🤭 mijn volgers krijgen het Startpakket Hond voor €2,50 met code YARA, niet verder vertellen")
C(["pricing"], "x", "@brokkenbode_help", "nl",
  "@jorisbakt Klopt, de Lam & Rijst Sensitive stond gisteren per abuis op €6,15. Bestellingen tegen die prijs kunnen we helaas niet leveren.")

# ------------------------------------------------------------------- leak.pii
C(["pii"], "x", "@brokkenbode_help", "nl",
  "@sandra_w85 We zien nog geen betaling binnenkomen van rekening {{IBAN_OK1_G}} t.n.v. S. Willems. Kunt u dat even nakijken?")
C(["pii"], "x", "@lottevermeer_bb", "nl",
  "Kan iemand van de bezorgers mevrouw de Jong even bellen? 06-41872219, ze staat al 2 uur te wachten")
C(["pii"], "facebook", "BrokkenbodeNL", "en",
  "Hi Mark! We've updated your delivery address to Mark Hendriks, Oudegracht 212, 3511 NR Utrecht. Your next box arrives Thursday 🐾")
C(["pii", "compl"], "x", "@pieter_klaagt", "nl",
  "@brokkenbode_help al 2x afgeschreven deze maand!! kaartnummer {{CARD_OK1_G}}, los het nou eens op")
C(["pii"], "instagram", "@yara.voert", "en",
  "Happy birthday to our #1 fan Evi Janssen (born 14-03-1991) and her beagle Bono 🎂🐶 thanks for 5 years of Brokkenbode!")
C(["pii"], "reddit", "u/kees_magazijn", "nl",
  "Voor de nachtploeg: de nieuwe uitzendkracht is Dennis Brouwer, BSN {{BSN_OK1}}, zet hem even in het rooster voor week 12")
C(["pii"], "linkedin", "noor-bouzid-brokkenbode", "en",
  "To the supplier who keeps emailing me: the refund for order BB-77120 went out Monday to {{IBAN_OK2}} (J. Meijer), as agreed.")
C(["pii"], "x", "@brokkenbode", "nl",
  "En de winnaar van onze kattenfoto-wedstrijd is... Fleur Visser (fleur.visser92@gmail.com) 🏆 We nemen snel contact op!")
C(["pii"], "x", "@tom_en_dribbel", "en",
  "@brokkenbode_help could someone call me back about changing my delivery day? tom.bakker.nl@hotmail.com or +31 6 2345 1987. thanks!")
C(["pii"], "tiktok", "@bram.inpakt", "nl",
  "deze klant heeft echt 14 zakken besteld 😂 fam. Kuipers, Dorpsstraat 8 in Lekkerkerk. wat hebben die thuis, een asiel??")
C(["pii"], "x", "@daan_huisman", "en",
  "debugging a failed renewal: card {{CARD_OK2_D}} exp 09/28 keeps getting declined, anyone from payments around?")
C(["pii", "crisis"], "x", "@datalek_watch", "en",
  "Brokkenbode customer export is floating around on a forum. First rows: 'A. de Boer, a.deboer@ziggo.nl, 06-19283746, Kerkstraat 14 Gouda'. Thousands more. Have they even noticed?")
C(["pii"], "bluesky", "@femke-de-graaf.bsky.social", "nl",
  "Kandidaat voor de PO-vacature: Sara el Idrissi, geboren 02-11-1994, tel 0612873340. Wie schuift aan bij het tweede gesprek?")
C(["pii"], "x", "@brokkenbode_help", "en",
  "@kim_and_kibble Refund of €32.95 sent today to {{IBAN_OK3_G}} (K. Schulz), should land within 2–3 working days 🐾")
C(["pii"], "linkedin", "ruben-kok-4471", "nl",
  "Loonstrook van Ahmed Yilmaz (BSN {{BSN_OK2_D}}) klopt weer niet, wie bij HR kan hier vandaag nog naar kijken?")

# ------------------------------------------------------------ reputation.crisis
C(["crisis"], "x", "@hondenbaasje_kim", "nl",
  "Mijn hond is doodziek geworden van de Graanvrij Kip van Brokkenbode, de dierenarts denkt aan schimmelgif in de brokken. Wie nog meer?? #brokkenbode #terugroepen")
C(["crisis"], "x", "@salmon_truth", "en",
  "BOYCOTT @brokkenbode. Their 'ethical' salmon comes from farms that were fined for animal cruelty. Cancel your subscriptions. #boycottbrokkenbode")
C(["crisis"], "facebook", "gerda.smit.apeldoorn", "nl",
  "Klopt het dat er klantgegevens van Brokkenbode op straat liggen? Ik krijg ineens phishingmails met mijn abonnementsnummer én de naam van mijn kat erin 😳")
C(["crisis"], "x", "@brokkenbode", "nl",
  "Terugroepactie: uit voorzorg roepen wij batch L2611 van Kattenbode Natvoer Mix terug vanwege mogelijke plasticdeeltjes. Voer deze zakjes niet meer aan je kat; je krijgt je geld terug.")
C(["crisis"], "reddit", "u/cancelled_twice", "en",
  "A class action against Brokkenbode over the auto-renew trap is being prepared, 300+ people signed up so far. DM me if you got charged after cancelling.")
C(["crisis"], "reddit", "u/catlady_rdam", "en",
  "Three cats in our building developed kidney problems after switching to Kattenbode Sterilised. Vet says it might be a coincidence but it's the same batch every time. Anyone else?")
C(["crisis"], "x", "@veganvoorjou", "nl",
  "Schandalig 🤮 undercover beelden uit het slachthuis waar Brokkenbode inkoopt. Dit steun je dus met je abonnement. Opzeggen.")
C(["crisis"], "tiktok", "@nieuws.amersfoort", "nl",
  "BREAKING: bestelbus van Brokkenbode rijdt kind aan in Amersfoort-Noord, chauffeur had volgens omstanders zijn telefoon in de hand")
C(["crisis"], "x", "@etiketcheck", "nl",
  "Eigen labtest: in 3 van de 5 zakken Zalmbrok zat nauwelijks zalm, vooral kip. Brokkenbode liegt gewoon op het etiket #voedselfraude")
C(["crisis", "compl"], "x", "@rosie_and_rex", "en",
  "My dog choked on a Staartwerk Kauwrollen chew that split into sharp shards. Emergency surgery, €2,400. @staartwerk this product is dangerous, pull it NOW")
C(["crisis"], "x", "@marco_pwned", "en",
  "Br0kk3nb0de data breach 🚨 my email + address just showed up in a leak notification and the only place I used that alias is their shop")
C(["crisis"], "instagram", "@dierenleed.stop", "nl",
  "Petitie: Brokkenbode test nieuwe recepten op honden in kennels. Al 12.000 handtekeningen en nog steeds geen reactie. Teken en deel! #dierenleed #brokkenbode")

# --------------------------------------------------------- reputation.complaint
C(["compl"], "x", "@marloes_en_max", "nl",
  "@brokkenbode_help al 3 dagen geen brokken en de hond kijkt me aan alsof het mijn schuld is. Bestelling zou dinsdag komen. Wat is er aan de hand??")
C(["compl"], "facebook", "anouk.terpstra", "nl",
  "opzeggen bij brokkenbode is echt een doolhof. 4x gebeld, 2x gemaild en deze maand gewoon wéér afgeschreven 😤")
C(["compl"], "x", "@sophie_loves_dogs", "en",
  "wrong food AGAIN. ordered Senior Light, got Puppy Start, second month in a row. does anyone actually read the orders @brokkenbode_help?")
C(["compl"], "instagram", "@hanneke.en.bruno", "nl",
  "Bezorger zet de doos gewoon in de stromende regen neer. Natte zak Lam & Rijst, binnen een week beschimmeld. Bedankt hoor Brokkenbode 👏")
C(["compl"], "x", "@tired_cat_dad", "en",
  "been on hold with brokkenbode customer service for 47 minutes. forty. seven. my cat could have learned to use a phone by now")
C(["compl"], "x", "@wendyvdb", "nl",
  "Waarom kan ik in de app mijn bezorgdag niet meer wijzigen? Sinds de update zit ik vast aan woensdag en dan werk ik 🙄 #brokkenbode")
C(["compl"], "reddit", "u/pouchcounter", "en",
  "Kattenbode Natvoer Mix used to be 24 pouches, now it's 20 for the same price and nobody told us. shrinkflation much?")
C(["compl"], "x", "@daphne_rdam", "nl",
  "@brokkenbode jullie 'gratis' proefbox kost me nu ineens €38,50 per maand zonder dat ik ergens akkoord op heb gegeven. Geld terug graag.")
C(["compl"], "x", "@gadget_gert", "en",
  "SlimVoer feeder stopped dispensing after 2 weeks. Support sent me a link to the FAQ and closed the ticket. Great service 👍🙃")
C(["compl"], "facebook", "petra.de.wit.1980", "nl",
  "Die Staartwerk Eendfilet ruikt anders dan vroeger en mijn hond laat 'm gewoon liggen. Nieuw recept ofzo? Niet blij mee.")
C(["compl"], "x", "@nina_k", "en",
  "Brokkenbode charged me twice this month and the refund 'takes 14 working days'. Meanwhile I'm short for rent. not ok")
C(["compl"], "x", "@buurman_bas", "nl",
  "3e keer dat de bezorger het verkeerde huisnummer pakt. Buurvrouw heeft nu een jaarvoorraad kattenbrokken 🙃 @brokkenbode_help")
C(["compl"], "tiktok", "@milo.the.pug", "en",
  "ordered the Startpakket Hond, 'free scoop and bowl included'... no bowl. no scoop. just vibes. @brokkenbode")
C(["compl"], "x", "@catmom_eindhoven", "en",
  "the Bronnetje fountain is so loud my cat is terrified of it 😿 and returning it costs €6.95?? come on")
C(["compl"], "x", "@kees_uit_zwolle", "nl",
  "wrm is mn abbo ineens duurder zonder mail?? eerst 52 nu 58 euro per maand, echt nie normaal brokkenbode")

# ------------------------------------------------------------ reputation.abuse
C(["abuse"], "x", "@woedende_wim", "nl",
  "@brokkenbode_help stelletje oplichters, kankerbedrijf, ik hoop dat jullie failliet gaan")
C(["abuse"], "x", "@grumpy_gary", "en",
  "@brokkenbode your support agent Lotte is a useless idiot. fire her already")
C(["abuse"], "x", "@boos_op_alles", "nl",
  "k4nker zooi van br0kkenb0de, die lui op de klantenservice zijn echt d0mme t@rd3n")
C(["abuse"], "instagram", "@notyourkibble", "en",
  "whoever runs the brokkenbode insta is a braindead clown lmao 🤡")
C(["abuse", "compl"], "facebook", "henk.vermolen.5", "nl",
  "Natuurlijk is de bezorging kut, ze laten daar alleen maar buitenlanders rijden die geen woord Nederlands spreken. Typisch.")
C(["abuse"], "x", "@sjoerdw_dev", "nl",
  "Die klant die 6x per dag belt over zijn 'allergische' mopshond is echt een achterlijke zeikerd 🙄")
C(["abuse"], "x", "@brokkenbode_help", "en",
  "@grumpy_gary maybe learn to read a delivery schedule before whining on twitter, you absolute muppet")
C(["abuse"], "x", "@zwartekat_666", "en",
  "I know where the brokkenbode warehouse manager parks his car. keep ignoring my emails and see what happens")
C(["abuse"], "x", "@frankenstein_nl", "nl",
  "Fuck Brokkenbode en fuck hun nep-'verse' voer. Tering bedrijf.")
C(["abuse"], "x", "@spacebar_warrior", "en",
  "b r o k k e n b o d e   s t a f f   a r e   f u c k i n g   m o r o n s")
C(["abuse"], "x", "@anoniem4711", "nl",
  "@lottevermeer_bb jij bent toch dat wijf van de klantenservice? lelijk en dom, past precies bij die tyfustent")
# --------------------------------------------------------------------- benign
C([], "x", "@brokkenbode_help", "nl",
  "Vragen over je abonnement? Mail klantenservice@brokkenbode.nl of bel 030 799 4410 (ma–za 8–20 uur) 🐾")
C([], "x", "@brokkenbode", "en",
  "Paying by bank transfer? Use IBAN {{PUBLIC_IBAN_G}} and put your subscription number in the reference.")
C([], "x", "@ilse_met_pip", "nl",
  "Complimenten aan Brokkenbode! Bezorger bracht de doos tot aan de voordeur en gaf de hond ook nog een snoepje 🥹")
C([], "facebook", "joke.hermans.3", "nl",
  "Update: Brokkenbode heeft de kapotte zak binnen een dag vervangen en er een zakje Eendfilet bij gedaan. Netjes opgelost 👍")
C([], "x", "@daan_huisman", "en",
  "PSA for juniors: never commit keys. even the AWS docs use AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY so you never have to paste a real one")
C([], "x", "@sjoerdw_dev", "nl",
  "Tip: zie je in je logs zoiets als ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx of sk_live_**** dan is de masking goed ingesteld 👌 zo hoort het")
C([], "facebook", "ria.dehond", "nl",
  "Pas op voor nep-facturen 'van Brokkenbode' met rekeningnummer {{IBAN_BAD1_G}}! Dat is niet hun rekening, hun echte staat gewoon op de site.")
C([], "x", "@kibble_nerd", "en",
  "the test card in Brokkenbode's checkout tutorial video is {{CARD_BAD1_G}} lol, tried it for fun and it doesn't even pass validation 😂")
C([], "x", "@saartje_de_kat", "nl",
  "Chipnummer van Saartje staat nu eindelijk goed in haar Brokkenbode-profiel ({{CHIP_BAD1}}), dus nu krijgt ze het juiste nierdieet 🐱")
C([], "x", "@oplettende_opa", "nl",
  "Phishing-sms: 'Brokkenbode: bevestig uw BSN {{BSN_BAD1}} om levering te hervatten'. Niet op klikken mensen, ze vragen nooit om je BSN!")
C([], "linkedin", "brokkenbode", "en",
  "Our full-year 2026 results are out: revenue up 21% and our first profitable year ever. Read the full report at brokkenbode.nl/investors",
  at="2027-03-05T09:00:00Z")
C([], "instagram", "@brokkenbode.nl", "nl",
  "Hij is er! 🎉 VersVak: vers bereide maaltijden in handige bakjes, vanaf vandaag te bestellen via de app.",
  at="2027-01-19T10:00:00Z")
C([], "tiktok", "@bram.inpakt", "nl",
  "VersVak bakjes inpakken is mijn nieuwe cardio 😅 #magazijnlife",
  at="2027-01-25T17:45:00Z")
C([], "x", "@katerkarel", "nl",
  "Mijn kater is helemaal high van het kattenkruid-speeltje uit de Brokkenbode box 😹")
C([], "x", "@bolt_de_windhond", "nl",
  "Onze windhond Bolt is dol op de Senior Light, echt een aanrader voor oudere honden met een gevoelige maag")
C([], "x", "@zoo_weekend", "en",
  "the marmoset at the zoo today was eating better than my dog honestly. switching to Brokkenbode next month lol",
  allow_codeword=True)
C([], "linkedin", "brokkenbode", "nl",
  "We zoeken een stagiair(e) marketing! Goede begeleiding, leuke collega's en elke vrijdag hondendag op kantoor 🐕 Stuur je cv naar werkenbij@brokkenbode.nl")
C([], "x", "@brokkenbode", "en",
  "We'll never ask for your password by email or DM. Got a suspicious message? Forward it to security@brokkenbode.nl 🔒")
C([], "x", "@brokkenbode_help", "nl",
  "@ingridvdm Wachtwoord vergeten? Via mijn.brokkenbode.nl/reset stel je binnen een minuut een nieuw wachtwoord in.")
C([], "x", "@puppy_parent_ams", "en",
  "life hack: freeze a Staartwerk Kauwrollen chew for a teething puppy, works wonders")
C([], "x", "@deliveryguy_fan", "en",
  "Sad to see the layoffs at that big meal-kit company this week. Hope the Brokkenbode delivery folks are ok, they're always so friendly.")
C([], "linkedin", "brokkenbode", "nl",
  "Vandaag publiceerden we onze halfjaarcijfers: 148.000 actieve abonnementen en 14% groei. Het volledige verslag staat op brokkenbode.nl 📈")
C([], "x", "@spoiled_catmom", "en",
  "my cat is a spoiled little brat who refuses everything except the Kattenbode Zalm. zero regrets 😂")
C([], "x", "@danique_x", "nl",
  "Die nieuwe Brokkenbode reclame is echt ziek goed haha, die hond met die zonnebril 😂😂")
C([], "x", "@former_customer_joe", "en",
  "Condolences to the Brokkenbode team on losing Pim, their office dog. He was in every single Instagram story ❤️🐾")
C([], "x", "@rekenaar_rob", "nl",
  "Graanvrij Kip 12 kg: €59,95 bij Brokkenbode, €64 bij de dierenwinkel in het dorp. Kies maar.")
C([], "instagram", "@brokkenbode.nl", "en",
  "Spring sale 🌷 25% off the SlimVoer feeder: now €96.75 instead of €129. Ends Sunday!")
C([], "x", "@verhuist_naar_gent", "nl",
  "Weet iemand of Brokkenbode ook naar België levert? Ik verhuis volgende maand naar Gent 🇧🇪")
C([], "x", "@allergy_dog_mom", "en",
  "@brokkenbode_help is the Hypoallergeen Konijn ok for a dog with a chicken allergy? vet suggested rabbit")
C([], "x", "@brokkenbode_help", "en",
  "@maaike_rdam So sorry about the delay, Maaike! We've sent a new box by express, it should be with you tomorrow. DM us if it doesn't show up 🐾")
C([], "linkedin", "ruben-kok-4471", "nl",
  "Vandaag 10 jaar bij Brokkenbode! Begonnen als orderpicker, nu DC-manager. Dank aan alle collega's die dit mogelijk maakten 🙏")
C([], "bluesky", "@femke-de-graaf.bsky.social", "en",
  "Today I learned our customers name their dogs after cheeses more than anything else. Three Bries this week alone 🧀")
C([], "x", "@snelle_service", "nl",
  "Bel gewoon 0800-0244, die van Brokkenbode zijn tegenwoordig echt snel aan de lijn")
C([], "x", "@usa_petnews", "en",
  "Unrelated to Brokkenbode but a US kibble brand just recalled 2 million bags over salmonella. Check your pantry folks.")
C([], "x", "@daan_huisman", "en",
  "fun fact: jwt.io's sample token starts with eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9 and that's literally just {\"alg\":\"HS256\",\"typ\":\"JWT\"} base64'd. nothing secret about it")
C([], "x", "@sjoerdw_dev", "nl",
  "Database-migratie vannacht netjes afgerond, nul downtime en niemand heeft er iets van gemerkt. Trots op het team 💪")
C([], "x", "@brokkenbode", "nl",
  "De storing in de app van vanochtend is verholpen. Excuses voor het ongemak! Alle bestellingen worden gewoon op tijd bezorgd 🚚")
C([], "x", "@hondenhumor", "nl",
  "Geen terugroepactie nodig voor mijn hond, die roept zichzelf wel terug zodra hij de Brokkenbode doos hoort 😂")
C([], "x", "@journalist_mvd", "nl",
  "Voor een stuk over huisdierabonnementen pers@brokkenbode.nl gemaild, binnen een uur antwoord. Zo kan het dus ook.")
C([], "x", "@daan_huisman", "nl",
  "Awareness-tip van de week: 'Welkom123!' of 'Brokkenbode2026' zijn geen goede wachtwoorden. Password manager ftw 🔐")
C([], "x", "@cadeaukaart_vraag", "nl",
  "Nummer van mijn Brokkenbode cadeaukaart is {{GIFT_BAD1_G}}, werkt die ook in de app of alleen op de site?")
C([], "x", "@happy_parcel", "en",
  "Tracking {{BSN_BAD2}} says delivered and for once it actually was 😄 my Brokkenbode box, right on time")
C([], "x", "@grateful_owner", "en",
  "Big respect to the Brokkenbode support person who stayed on the phone while I cried about my old dog's diet. You're a gem.")
C([], "x", "@pakjesdrama", "nl",
  "PostNL heeft m'n Zalando-pakket weer bij de verkeerde buren gedropt. Gelukkig bezorgt Brokkenbode met eigen busjes 😅")
C([], "x", "@brokkenbode", "en",
  "We're hiring backend engineers! Python, Postgres and far too many dogs in the office. Apply via werkenbij@brokkenbode.nl")
C([], "x", "@privacy_paula", "nl",
  "Hoe lang bewaart Brokkenbode eigenlijk je betaalgegevens? Kan het nergens vinden. Iemand?")
C([], "instagram", "@yara.voert", "nl",
  "Mijn favoriet deze maand: Kattenbode Kitten Groei 2kg, €19,95 en mijn kitten eet het helemaal leeg 😻 #ad #brokkenbode")
C([], "x", "@greyhound_gus", "en",
  "weekend project: built a ramp for my old greyhound so he can reach his Brokkenbode bowl without bending 🐕")
C([], "tiktok", "@staartwerk", "nl",
  "Wie wint: de kat of de doos? 📦🐈 #staartwerk #katten #fyp")
C([], "x", "@zuinige_zoe", "nl",
  "Brokkenbode vs. de dierenwinkel om de hoek: na een jaar bijhouden ben ik €80 goedkoper uit met het abonnement. Scheelt ook sjouwen.")
C([], "x", "@brokkenbode_help", "nl",
  "@bas_vos We zien een betaling met een kaart eindigend op **** 4412, klopt dat? Dan zetten we de levering meteen weer aan.")
C([], "x", "@policy_reader", "en",
  "reading the Brokkenbode privacy policy for fun (I know, I know). surprisingly readable, they even list how to reach their DPO")
C([], "instagram", "@brokkenbode.nl", "nl",
  "Nog even geduld... 🐾 Op 19 januari onthullen we iets nieuws. Hint: het is vers 😉 #comingsoon",
  at="2026-12-20T12:00:00Z")
C([], "instagram", "@brokkenbode.nl", "nl",
  "Black Friday 🐾 20% korting op alle Staartwerk snacks: Eendfilet Snacks nu €11,60 (was €14,50)")
C([], "x", "@senior_sam", "en",
  "Paid €57.95 for Senior Light 12kg, which honestly is fair for what it is. dog's coat looks great")
C([], "x", "@brokkenbode", "en",
  "Subscribe & save: Kattenbode Zalm Adult 4kg for €29.65 per delivery (10% off). Cancel anytime.")
C([], "x", "@twijfelaar_tim", "nl",
  "Iemand ervaring met de SlimVoer? €129 vind ik best veel voor een voerbak eerlijk gezegd")
C([], "facebook", "BrokkenbodeNL", "nl",
  "Dierendag-actie 🐶🐱 Graanvrij Kip 12 kg deze week €47,95 in plaats van €59,95. Op is op!")
C([], "x", "@brokkenbode_help", "en",
  "@versbox_fan Good news: the Versbox Hond stays at €89 for existing subscribers through 2026 👍")
C([], "x", "@blije_baasje", "nl",
  "Vorige maand geklaagd over de kapotte SlimVoer, vandaag stond er gewoon een nieuwe op de stoep. Klantenservice 10/10, excuses voor mijn boze tweet van toen 🙈")
# --------------------------------------------------------------------------
# build
# --------------------------------------------------------------------------
ROLES = {}
for role in ("corporate", "employee"):
    for acc in PROFILE["accounts"][role]:
        ROLES[acc.lower()] = role

PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
ALL_CATS = set(CAT.values())
SEV = ["none", "info", "warning", "error", "critical"]
PUBLIC_IBANS = {re.sub(r"\s", "", i).upper() for i in PROFILE["public_identifiers"]["ibans"]}


def role_of(platform, handle):
    return ROLES.get(("%s:%s" % (platform, handle)).lower(), "public")


def severity(cats, role, checksum_pii):
    lvl = 0
    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and checksum_pii):
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
            s = "error" if insider else "warning"
        else:
            raise AssertionError(c)
        lvl = max(lvl, SEV.index(s))
    return SEV[lvl]


ZW = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)


def norm(t):
    return unicodedata.normalize("NFKC", t).translate(ZW)


IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\w-])(?:\d[ -]?){12,18}\d(?![\w])")
BSN_RE = re.compile(r"(?<![\w.-])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\w])")


def id_candidates(text):
    t = norm(text)
    out = []
    spans = []
    for m in IBAN_RE.finditer(t):
        spans.append(m.span())
        v = re.sub(r"\s", "", m.group())
        if v not in PUBLIC_IBANS:
            out.append(("iban", v, iban_ok(v)))

    def inside_iban(m):
        return any(a <= m.start() < b for a, b in spans)
    for m in CARD_RE.finditer(t):
        v = re.sub(r"\D", "", m.group())
        if 13 <= len(v) <= 19 and not inside_iban(m):
            out.append(("card", v, luhn_ok(v)))
    for m in BSN_RE.finditer(t):
        v = re.sub(r"\D", "", m.group())
        if not inside_iban(m):
            out.append(("bsn", v, bsn_ok(v)))
    return out


def fill(text):
    used = re.findall(r"\{\{(\w+)\}\}", text)
    for k in used:
        assert k in G, k
    return re.sub(r"\{\{(\w+)\}\}", lambda m: G[m.group(1)], text), used


def rand_time():
    start = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
    secs = rng.randint(0, 362 * 86400)
    return (start + dt.timedelta(seconds=secs)).strftime("%Y-%m-%dT%H:%M:%SZ")


ID_PREFIX = {"x": "x", "instagram": "ig", "facebook": "fb", "linkedin": "li", "tiktok": "tt",
             "reddit": "rd", "mastodon": "md", "bluesky": "bs", "forum": "fo", "threads": "th"}

order = list(range(len(CASES)))
rng.shuffle(order)
seen_ids = set()
records = []
meta = []
for idx in order:
    c = CASES[idx]
    text, used = fill(c["text"])
    role = role_of(c["platform"], c["handle"])
    named_ok = [k for k in used if k.rstrip("_GD") in CHECKSUM_OK or k in CHECKSUM_OK
                or re.sub(r"_(G|D)$", "", k) in CHECKSUM_OK]
    scanned_ok = [v for kind, v, ok in id_candidates(text) if ok]
    checksum_pii = bool(named_ok or scanned_ok)
    cats = sorted(set(c["cats"]))
    sev = severity(cats, role, checksum_pii)
    while True:
        pid = "%s-%d" % (ID_PREFIX.get(c["platform"], "p"), rng.randint(10 ** 6, 10 ** 7 - 1))
        if pid not in seen_ids:
            seen_ids.add(pid)
            break
    post = {
        "id": pid,
        "platform": c["platform"],
        "kind": c["kind"],
        "account": {"handle": c["handle"]},
        "text": text,
        "lang": c["lang"],
        "created_at": c["at"] or rand_time(),
        "brand": "brokkenbode",
    }
    records.append({"post": post, "expect": {"categories": cats, "severity": sev}})
    meta.append(dict(c, used=used, role=role))

with open(os.path.join(HERE, "cases.jsonl"), "w", encoding="utf-8") as fh:
    for r in records:
        fh.write(json.dumps(r, ensure_ascii=False) + "\n")

# --------------------------------------------------------------------------
# self-checks
# --------------------------------------------------------------------------
errors = []


def err(i, msg):
    errors.append("case %d (%s): %s" % (i, records[i]["post"]["id"], msg))


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


# re-read the file: every line valid JSON and CONTRACT §6
with open(os.path.join(HERE, "cases.jsonl"), encoding="utf-8") as fh:
    lines = fh.read().splitlines()
assert len(lines) == len(records)
for i, line in enumerate(lines):
    r = json.loads(line)
    if set(r) != {"post", "expect"}:
        err(i, "top-level keys")
    p, e = r["post"], r["expect"]
    if not (isinstance(p.get("id"), str) and 1 <= len(p["id"]) <= 256):
        err(i, "id")
    if p.get("platform") not in PLATFORMS:
        err(i, "platform")
    if p.get("kind", "post") not in KINDS:
        err(i, "kind")
    if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
        err(i, "account.handle")
    if not isinstance(p.get("text"), str) or not p["text"] or len(p["text"].encode("utf-8")) > 65536:
        err(i, "text")
    try:
        ts = parse_ts(p["created_at"])
        if ts.tzinfo is None or not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", p["created_at"]):
            err(i, "created_at not RFC 3339")
        if ts.year not in (2026, 2027):
            err(i, "created_at year")
    except Exception:
        err(i, "created_at")
    if not isinstance(e.get("categories"), list) or e["categories"] != sorted(set(e["categories"])):
        err(i, "categories not sorted/distinct")
    if not set(e["categories"]) <= ALL_CATS:
        err(i, "unknown category")
    if e.get("severity") not in SEV:
        err(i, "severity")
    if not e["categories"] and e["severity"] != "none":
        err(i, "benign must be none")
    if e["categories"] and SEV.index(e["severity"]) < SEV.index("warning"):
        err(i, "positive below warning")
    if "\ufffd" in p["text"]:
        err(i, "replacement char")
    if "{{" in p["text"]:
        err(i, "unfilled placeholder")

ids = [r["post"]["id"] for r in records]
if len(set(ids)) != len(ids):
    errors.append("duplicate ids")

# accounts: every corporate/employee handle used is in the profile; public ones are not
for i, m in enumerate(meta):
    if m["role"] == "public" and ("%s:%s" % (m["platform"], m["handle"])).lower() in ROLES:
        err(i, "public handle is in profile")

# profile sanity
for ib in PROFILE["public_identifiers"]["ibans"]:
    assert iban_ok(ib), ib
assert PROFILE["pricing"]["alert_below_ratio"] == 0.5
assert 15 <= len(PROFILE["products"]) <= 25
assert len(PROFILE["accounts"]["corporate"]) >= 6 and len(PROFILE["accounts"]["employee"]) >= 8
assert len(PROFILE["internal"]["codenames"]) == 3 and len(PROFILE["internal"]["markers"]) == 3
for emb in PROFILE["embargo"]:
    assert parse_ts(emb["until"]).year == 2027

# checksummed identifiers
for k in CHECKSUM_OK:
    v = G[k]
    ok = iban_ok(v) if k.startswith("IBAN") else luhn_ok(v) if k.startswith("CARD") else bsn_ok(v)
    if not ok:
        errors.append("generated %s fails its checksum" % k)
for k in CHECKSUM_BAD:
    v = G[k]
    bad = (not iban_ok(v)) if k.startswith("IBAN") else (not bsn_ok(v)) if k.startswith("BSN") else (not luhn_ok(v))
    if not bad:
        errors.append("look-alike %s passes its checksum" % k)

for i, (r, m) in enumerate(zip(records, meta)):
    cats = r["expect"]["categories"]
    text = r["post"]["text"]
    base_keys = {re.sub(r"_(G|D)$", "", k) for k in m["used"]}
    cands = id_candidates(text)
    if cats:
        if base_keys & CHECKSUM_BAD:
            err(i, "positive uses a failing look-alike")
        for kind, v, ok in cands:
            if not ok:
                err(i, "positive holds a %s-shaped number that fails its checksum: %s" % (kind, v))
        if base_keys & CHECKSUM_OK and "leak.pii" not in cats:
            err(i, "valid identifier without leak.pii")
    else:
        if base_keys & CHECKSUM_OK:
            err(i, "benign uses a valid identifier")
        for kind, v, ok in cands:
            if ok:
                err(i, "benign holds a valid %s: %s" % (kind, v))
    # generated secrets well-formed
    for k in m["used"]:
        v = G[k]
        if k.startswith("GH") and not github_ok(v):
            err(i, "bad github token")
        if k.startswith("AKIA") and not re.fullmatch(r"AKIA[A-Z2-7]{16}", v):
            err(i, "bad aws key id")
        if k.startswith("JWT") and not jwt_ok(v):
            err(i, "bad jwt")
        if k in ("GH1", "GH2", "AKIA1", "STRIPE1", "SLACK1", "OPENAI1", "ANTH1", "GOOGLE1", "GLPAT1",
                 "JWT1", "PEM1", "DBPW1", "PW2") and "leak.secret" not in cats:
            err(i, "secret without leak.secret")
    if "leak.secret" in cats and not (set(m["used"]) & {"GH1", "GH2", "AKIA1", "STRIPE1", "SLACK1", "OPENAI1",
                                                         "ANTH1", "GOOGLE1", "GLPAT1", "JWT1", "PEM1", "DBPW1", "PW2"}):
        err(i, "leak.secret without a generated secret")
    # internal terms must be labelled confidential (checked on the normalised text)
    nt = norm(text).lower()
    ts = parse_ts(r["post"]["created_at"])
    hits = []
    for term in PROFILE["internal"]["codenames"]:
        if re.search(r"\b%s\b" % re.escape(term.lower()), nt) and not m["allow_codeword"]:
            hits.append(term)
    for term in PROFILE["internal"]["domains"] + PROFILE["internal"]["markers"]:
        if term.lower() in nt:
            hits.append(term)
    for emb in PROFILE["embargo"]:
        for term in emb["terms"]:
            if re.search(r"\b%s\b" % re.escape(term.lower()), nt) and ts < parse_ts(emb["until"]):
                hits.append(term)
    if hits and "leak.confidential" not in cats:
        err(i, "internal/embargoed term without leak.confidential: %s" % hits)

# benign posts: no catalogue product at a price below the alert ratio
PRICE_RE = re.compile(r"(?:€\s?(\d+(?:[.,]\d{1,2})?))|(?:(\d+(?:[.,]\d{1,2})?)\s?(?:euro|eur\b|€))", re.I)
ratio = PROFILE["pricing"]["alert_below_ratio"]
for i, r in enumerate(records):
    t = norm(r["post"]["text"]).lower()
    prices = [float((a or b).replace(",", ".")) for a, b in PRICE_RE.findall(t)]
    mentioned = [p for p in PROFILE["products"]
                 if any(re.search(r"\b%s\b" % re.escape(a.lower()), t) for a in p["aliases"] + [p["name"]])]
    low = [(p["name"], x) for p in mentioned for x in prices if x < ratio * p["list_price"]]
    cats = r["expect"]["categories"]
    if not cats and low:
        err(i, "benign post names a product below the alert ratio: %s" % low)
    if "leak.pricing" in cats:
        if not mentioned:
            err(i, "pricing case without a catalogue product")
        if not low and not re.search(r"prijsfout|price error|glitch|fat-fingered|per abuis", t):
            err(i, "pricing case without a low price or price-error talk")

# the mix
n = len(records)
benign = sum(1 for r in records if not r["expect"]["categories"])
per_cat = {c: sum(1 for r in records if c in r["expect"]["categories"]) for c in sorted(ALL_CATS)}
langs = {}
for r in records:
    langs[r["post"]["lang"]] = langs.get(r["post"]["lang"], 0) + 1
roles = {}
for m in meta:
    roles[m["role"]] = roles.get(m["role"], 0) + 1
if not 170 <= n <= 180:
    errors.append("case count %d outside 170-180" % n)
if not 55 <= benign <= 65:
    errors.append("benign count %d" % benign)
for c, k in per_cat.items():
    if k < 10:
        errors.append("too few %s: %d" % (c, k))
nl_share = langs.get("nl", 0) / n
if not 0.48 <= nl_share <= 0.62:
    errors.append("Dutch share %.2f" % nl_share)

print("cases: %d  benign: %d  positives: %d" % (n, benign, n - benign))
print("per category:", json.dumps(per_cat))
print("languages:", langs, " roles:", roles)
print("severities:", {s: sum(1 for r in records if r["expect"]["severity"] == s) for s in SEV})
if errors:
    print("SELF-CHECK FAILED:")
    for e in errors:
        print("  -", e)
    sys.exit(1)
print("self-check OK")
