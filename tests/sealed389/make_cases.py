#!/usr/bin/env python3
"""Builds cases.jsonl (sealed set 389: Bobbelbos / Yogrotto bubble tea and froyo chain).

Deterministic: fixed seed, standard library plus PyYAML. Post texts are hand-written;
credentials and personal identifiers are generated here (with their real checksums, or
deliberately broken for look-alikes) and filled into the texts at ⟦placeholders⟧.
Severities are computed from CONTRACT §4 and the account role in profile.yaml.
The script self-checks everything it writes and exits non-zero on any problem.
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
SEED = 389_0416
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# --------------------------------------------------------------------------- accounts
ACC = {
    "corp_x": ("x", "@bobbelbos"),
    "corp_care": ("x", "@bobbelbos_zorg"),
    "corp_ig": ("instagram", "@bobbelbos.nl"),
    "corp_yg": ("instagram", "@yogrotto.froyo"),
    "corp_tt": ("tiktok", "@bobbelbos"),
    "corp_li": ("linkedin", "bobbelbos-holding"),
    "corp_fb": ("facebook", "BobbelbosNL"),
    "lotte": ("x", "@lotte_bb"),
    "mehmet": ("x", "@mehmet_kaya_bb"),
    "jesse": ("x", "@jesse_devops_bb"),
    "ruben": ("linkedin", "ruben-de-wit-bobbelbos"),
    "yara": ("linkedin", "yara-tjon-a-fong"),
    "noor": ("instagram", "@noor.achterdebar"),
    "daan": ("tiktok", "@daan.bubbelt"),
    "femke": ("mastodon", "@femkevos@mastodon.nl"),
    "ilse": ("threads", "@ilse.yogrotto"),
    "sjoerd": ("bluesky", "@sjoerd-bb.bsky.social"),
}
DISPLAY = {
    "lotte": "Lotte Smit", "mehmet": "Mehmet Kaya", "jesse": "Jesse Koster",
    "ruben": "Ruben de Wit", "yara": "Yara Tjon A Fong", "noor": "Noor",
    "daan": "Daan | achter de bar", "femke": "Femke Vos", "ilse": "Ilse Yogrotto",
    "sjoerd": "Sjoerd", "corp_care": "Bobbelbos Klantenservice",
}

ROLE = {}
for role in ("corporate", "employee"):
    for entry in PROFILE["accounts"][role]:
        ROLE[entry.lower()] = role


def role_of(platform, handle):
    return ROLE.get(f"{platform}:{handle}".lower(), "public")


# --------------------------------------------------------------------------- generators
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "-_"


def rstr(n, alphabet=ALNUM):
    return "".join(rng.choice(alphabet) for _ in range(n))


def base62(n):
    out = ""
    while n:
        n, d = divmod(n, 62)
        out = B62[d] + out
    return out or "0"


def gh_token(prefix="ghp_"):
    body = rstr(30)
    return prefix + body + base62(zlib.crc32(body.encode())).rjust(6, "0")


def gh_valid(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and base62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def iban_check(bban_country):
    """bban_country = BBAN + country code; returns the two check digits."""
    s = bban_country + "00"
    n = int("".join(str(int(c, 36)) for c in s))
    return 98 - n % 97


def iban_valid(iban):
    s = re.sub(r"\s", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


BANKS = ["ABNA", "INGB", "RABO", "SNSB", "ASNB", "TRIO", "KNAB", "BUNQ", "RBRB"]


def make_iban(valid=True):
    bank = rng.choice(BANKS)
    acct = "".join(rng.choice(string.digits) for _ in range(10))
    ck = iban_check(bank + acct + "NL")
    if not valid:
        ck = (ck + rng.randint(1, 90)) % 97
        if ck < 2:
            ck += 2
        if ck == iban_check(bank + acct + "NL"):
            ck = ck + 1 if ck < 98 else ck - 1
    return f"NL{ck:02d}{bank}{acct}"


def luhn_ok(num):
    digits = [int(c) for c in re.sub(r"\D", "", num)]
    tot = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        tot += d
    return tot % 10 == 0


def make_card(valid=True):
    kind = rng.choice(["visa", "mc", "amex"])
    if kind == "visa":
        body = "4" + "".join(rng.choice(string.digits) for _ in range(14))
    elif kind == "mc":
        body = "5" + rng.choice("12345") + "".join(rng.choice(string.digits) for _ in range(13))
    else:
        body = "3" + rng.choice("47") + "".join(rng.choice(string.digits) for _ in range(12))
    for d in string.digits:
        if luhn_ok(body + d):
            num = body + d
            break
    if not valid:
        num = num[:-1] + str((int(num[-1]) + rng.randint(1, 9)) % 10)
    return num


def card_fmt(num, sep=" "):
    if len(num) == 15:
        return sep.join([num[:4], num[4:10], num[10:]])
    return sep.join(num[i:i + 4] for i in range(0, 16, 4))


def bsn_ok(num):
    d = re.sub(r"\D", "", num)
    if len(d) != 9:
        return False
    s = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return s % 11 == 0 and d[0] != "0"


def make_bsn(valid=True):
    while True:
        d = str(rng.randint(1, 9)) + "".join(rng.choice(string.digits) for _ in range(8))
        if bsn_ok(d) == valid:
            return d


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt():
    header = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    iat = 1767225600 + rng.randint(0, 30_000_000)
    payload = {"sub": str(rng.randint(100000, 999999)), "name": "app-user", "role": "customer",
               "iss": "bestel.bobbelbos.nl", "iat": iat, "exp": iat + 3600}
    body = b64u(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64u(bytes(rng.getrandbits(8) for _ in range(32)))
    return f"{header}.{body}.{sig}"


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    try:
        h = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except Exception:
        return False
    return isinstance(h, dict) and "alg" in h


def make_ssh_key():
    raw = b"openssh-key-v1\x00" + bytes(rng.getrandbits(8) for _ in range(380))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


GEN = {
    # personal identifiers: (kind, generator, valid)
    "iban": ("iban", lambda: make_iban(True), True),
    "iban4": ("iban", lambda: " ".join(re.findall(".{1,4}", make_iban(True))), True),
    "iban_bad": ("iban", lambda: make_iban(False), False),
    "iban4_bad": ("iban", lambda: " ".join(re.findall(".{1,4}", make_iban(False))), False),
    "card": ("card", lambda: card_fmt(make_card(True)), True),
    "card_dash": ("card", lambda: card_fmt(make_card(True), "-"), True),
    "card_bad": ("card", lambda: card_fmt(make_card(False)), False),
    "bsn": ("bsn", lambda: make_bsn(True), True),
    "bsn_dots": ("bsn", lambda: (lambda d: f"{d[:4]}.{d[4:6]}.{d[6:]}")(make_bsn(True)), True),
    "bsn_bad": ("bsn", lambda: make_bsn(False), False),
    # credentials
    "ghp": ("github", lambda: gh_token("ghp_"), True),
    "ghs": ("github", lambda: gh_token("ghs_"), True),
    "akia": ("aws_id", lambda: "AKIA" + rstr(16, string.ascii_uppercase + "234567"), True),
    "awssecret": ("aws_secret", lambda: rstr(40, ALNUM + "/+"), True),
    "stripe": ("stripe", lambda: "sk_live_51" + rstr(22) + rstr(74), True),
    "slack": ("slack", lambda: f"xoxb-{rng.randint(10**10, 10**11 - 1)}-{rng.randint(10**12, 10**13 - 1)}-{rstr(24)}", True),
    "openai": ("openai", lambda: "sk-proj-" + rstr(58, URLSAFE) + "T3BlbkFJ" + rstr(58, URLSAFE), True),
    "ant": ("anthropic", lambda: "sk-ant-api03-" + rstr(93, URLSAFE) + "AA", True),
    "mollie": ("mollie", lambda: "live_" + rstr(30), True),
    "tg": ("telegram", lambda: f"{rng.randint(10**9, 8 * 10**9)}:AA{rstr(33, URLSAFE)}", True),
    "jwt": ("jwt", make_jwt, True),
    "sshkey": ("privkey", make_ssh_key, True),
    "pgpw": ("password", lambda: rstr(10) + rng.choice("!#%") + rstr(5), True),
}
PH = re.compile(r"⟦(\w+)⟧")
ZW = "\u200b"


def fill(text, record):
    def sub(m):
        name = m.group(1)
        if name == "pubiban":
            val = PROFILE["public_identifiers"]["ibans"][0]
            record.append(("pubiban", val, True))
            return val
        if name == "ghp_zw":  # GitHub token with a zero-width space slipped in (evasion)
            tok = gh_token("ghp_")
            record.append(("github", tok, True))
            return tok[:12] + ZW + tok[12:]
        kind, gen, valid = GEN[name]
        val = gen()
        record.append((kind, val, valid))
        return val
    return PH.sub(sub, text)


# --------------------------------------------------------------------------- cases
CASES = []


def P(author, text, cats=(), lang="nl", kind="post", at=None, brand=None, display=None):
    CASES.append(dict(author=author, text=text, cats=sorted(set(cats)), lang=lang, kind=kind,
                      at=at, brand=brand, display=display))


CPL, CRI, ABU = "reputation.complaint", "reputation.crisis", "reputation.abuse"
PII, CONF, FIN = "leak.pii", "leak.confidential", "leak.financial"
SEC, SECRET, PRICE = "leak.security", "leak.secret", "leak.pricing"

# ---- complaints (public) ----------------------------------------------------
P(("x", "@mirjam_fietst"), "Drie kwartier gewacht op een app-bestelling bij Bobbelbos Utrecht Centraal en toen bleek ie 'nooit binnengekomen' 🙃 geld wel netjes afgeschreven natuurlijk. Top service weer.", [CPL])
P(("reddit", "u/tapioca_truther"), "Is it just me or has Bobbelbos gone downhill this year? Pearls at the Leiden store were rock hard in the middle, like chewing pencil erasers. Paid 5.95 for a Brown Sugar Tiger and tipped half of it in the bin.", [CPL], "en")
P(("instagram", "@_sanne.ve"), "bestelde 25% suiker en kreeg letterlijk een suikerbom. 3e keer deze maand @bobbelbos.nl 😤 lezen jullie die bonnetjes wel", [CPL], kind="comment")
P(("x", "@kwame_eats"), "@bobbelbos_zorg still waiting on that refund from two weeks ago. 'we'll get back to you within 48h' my foot. Third time asking, ticket's in your DMs.", [CPL], "en", kind="reply")
P(("facebook", "gerda.hoekstra.754"), "Vanmiddag met de kleinkinderen naar Yogrotto in Amersfoort geweest. Helft van de toppings op, de machine met aardbei 'in onderhoud' en de tafels plakten. Voor bijna zeven euro per bakje mag je toch wat meer verwachten. Jammer hoor, vorig jaar was het veel beter.", [CPL], display="Gerda Hoekstra")
P(("tiktok", "@boba.bella"), "pov: you order a Taro Cloud and get something that tastes like purple dish soap 💀 bobbelbos what did you do to the taro #bubbletea #fail", [CPL], "en")
P(("x", "@jurre030"), "kan iemand bij @bobbelbos uitleggen waarom mijn bobbel pass al 2 weken 'ongeldig' zegt terwijl er wel gewoon elke maand 29 euro van m'n rekening gaat", [CPL])
P(("forum", "LeonieW"), "Delivery through the Yogrotto app took 70 minutes, the froyo turned up as soup and the lid had come off inside the bag. Support offered a 10% voucher. Sorry, that's not good enough for a €20 order.", [CPL], "en")
P(("reddit", "u/zuurtjes"), "Bobbelbos Rotterdam Witte de With: rietje kreeg de seal niet door, hele beker lekte over m'n broek en de medewerker keek me aan alsof IK het probleem was. nooit meer", [CPL])
P(("x", "@hannahbakes_"), "ordered the DIY Bubble Tea Kit as a birthday present, box arrived completely crushed and the pearl bag had split everywhere 😩 @bobbelbos_zorg can you sort this please", [CPL], "en")
P(("bluesky", "@mo-reviews.bsky.social"), "Bobbelbos Eindhoven charged me twice on the card terminal and the manager said 'come back monday'. I'm not driving 40 minutes for my own money mate.", [CPL], "en")
P(("x", "@koffieklets_ams"), "Staat er nou 'open tot 22:00' op google en gaat bij Bobbelbos De Pijp om 20:40 de deur op slot terwijl wij er al voor stonden. Lekker dan 👏", [CPL])

# ---- complaint + abuse --------------------------------------------------------
P(("x", "@boosbas"), "@bobbelbos jullie zijn echt de kankerste zaak van utrecht. 3x verkeerde bestelling en dan nog een grote bek ook achter de toonbank. klootzakken", [CPL, ABU], kind="reply")
P(("x", "@deadlift_dan"), "Bobbelbos staff at Schiphol Plaza are braindead morons. Asked for no ice, got a cup of ice. Asked again, got attitude. Fuck this place honestly.", [CPL, ABU], "en")

# ---- first-hand safety incidents: crisis + complaint ----------------------------
P(("facebook", "priya.ramdin"), "Gisteren een mango sago gehaald bij Bobbelbos Den Haag HS, vannacht kotsend op de badkamervloer gelegen en vanochtend bij de huisarts: voedselvergiftiging. Mijn vriendin die precies hetzelfde dronk is ook ziek. Ik heb het gemeld bij de NVWA.", [CRI, CPL], display="Priya Ramdin")
P(("x", "@clara_in_ams"), "My son (6) nearly choked on the tapioca pearls from @bobbelbos today. No warning on the cup, nothing at the counter, staff just shrugged. I had to do back blows in the middle of the shop. Absolutely terrifying.", [CRI, CPL], "en")
P(("instagram", "@lisa.glutenvrij"), "Duidelijk gevraagd of de toppings notenvrij waren bij Yogrotto. 'Ja hoor.' Twintig minuten later zat ik met een opgezwollen keel op de SEH. Er zat dus WEL hazelnoot in die crunch. Dit kan iemand z'n leven kosten @yogrotto.froyo", [CRI, CPL], kind="comment")
P(("reddit", "u/burnt_by_boba"), "The hot brown sugar drink I got at Bobbelbos Groningen was sealed way too hot, the seal burst when I picked it up and the syrup went all over my hand. Second degree burns, pics in the comments. Who do I even contact about this?", [CRI, CPL], "en")

# ---- crisis (third party, news, boycott, lawsuit, breach accusation) -------------
P(("x", "@etenswaar_nieuws"), "BREAKING: NVWA closes two Bobbelbos stores in Rotterdam after inspectors found mould in the tapioca pearl storage. At least nine people reported ill, according to local media.", [CRI], "en")
P(("x", "@actiegroep_eerlijk"), "Boycot Bobbelbos! Medewerkers in de filialen worden onder het minimumloon betaald via nepstages. Deel dit en koop er niks meer tot ze het rechtzetten ✊ #boycotbobbelbos", [CRI])
P(("reddit", "u/franchiseklaag"), "News: twelve franchisees are taking Bobbelbos Holding to court over the misleading revenue projections they were sold the franchise on. Hearing is in October at the Midden-Nederland district court.", [CRI], "en")
P(("x", "@dataleakwatch"), "Looks like Bobbelbos loyalty app customer data (names, emails, order history) is up for sale on a forum, ~180k rows. Bobbelbos hasn't said a word so far. #databreach", [CRI], "en")
P(("tiktok", "@nieuwsinhetkort"), "TERUGROEPACTIE 🚨 Bobbelbos roept de DIY Bubble Tea Kit terug: in de zakjes tapiocaparels kunnen stukjes hard plastic zitten. Heb je er eentje thuis? Niet gebruiken en terugbrengen naar de winkel.", [CRI])
P(("instagram", "@plasticvrij.nl"), "Bobbelbos goes through millions of single-use cups a year and then greenwashes with a 'reusable cup' campaign. We're calling for a boycott until they commit to real targets. Link in bio ✊♻️", [CRI], "en")
P(("x", "@lokaalnieuws_gron"), "Medewerker van Yogrotto Groningen met brandwonden naar het ziekenhuis na een incident met een kapotte froyo-machine. Filiaal tijdelijk dicht, Arbeidsinspectie is ter plaatse.", [CRI])
P(("facebook", "oudercommissie.regenboog"), "Let op ouders: meerdere kinderen zijn ziek geworden na het schoolfeest waar Bobbelbos de drankjes verzorgde. De GGD is ingelicht. Houd je kind in de gaten en neem bij twijfel contact op met de huisarts.", [CRI], display="Oudercommissie De Regenboog")
P(("reddit", "u/ex_shift_lead"), "Former Bobbelbos shift lead here. The story about the racist area manager in Arnhem is real. Three of us filed complaints and HR buried every one of them. This is going to blow up.", [CRI], "en")
P(("bluesky", "@consumentenvakman.bsky.social"), "Ran our own test: four out of six Bobbelbos bubble teas had more sugar than a child's recommended daily limit. And they market them as 'light'. Honestly scandalous.", [CRI], "en")

# ---- abuse ------------------------------------------------------------------------
P(("x", "@xxrottweilerxx"), "die chagrijnige trut achter de kassa bij bobbelbos arnhem moet echt ontslagen worden, wat een vies wijf", [ABU])
P(("x", "@throwaway_8812"), "@lotte_bb nobody cares about your stupid boba shop you talentless clown. delete your account", [ABU], "en", kind="reply")
P(("instagram", "@kees_gaat_los"), "ga lekker terug naar je eigen land met die hoofddoek, niemand wil dat jij z'n drinken maakt", [ABU], kind="comment")
P(("tiktok", "@lachmaar_jij"), "bobbelbos = kikkerdril voor mongolen 🐸😂", [ABU], kind="comment")
P(("reddit", "u/bitter_barista"), "Bobbelbos management are a bunch of spineless pricks and the CEO is a greedy cunt. There, I said it.", [ABU], "en")
P(("x", "@m4tt1js"), "b0bb3lb0s is echt k4nk3r k4l, die m3d3w3rk3rs zijn allemaal d0mm3 k3ut3ls", [ABU])
P(("x", "@grumpyguus"), "your staff are f.u.c.k.i.n.g useless @bobbelbos. s h i t t i e s t froyo in town", [ABU], "en")
P("mehmet", "@jurre030 jezus wat een zeikerd ben jij zeg. gewoon je kop houden en een ander drankje bestellen, debiel", [ABU], kind="reply")
P("corp_tt", "lmao imagine being this ugly and still complaining about our taro 🤡", [ABU], "en", kind="reply")
P(("x", "@waarheidzegger"), "@lotte_bb ik weet waar je werkt en hoe laat je dienst erop zit. Kijk maar goed uit als je straks naar je fiets loopt.", [ABU], kind="reply")

# ---- personal data -----------------------------------------------------------------
P(("x", "@mirthe_k"), "@bobbelbos_zorg hoi, bestelling 44871 is nooit aangekomen en ik heb al 2x gemaild. Kunnen jullie me bellen? 06-48213976, na 17u het best", [PII, CPL], kind="reply")
P("corp_care", "@mirthe_k Hoi Mirthe! We hebben je net gebeld op 06 48 21 39 76 maar kregen geen gehoor. Probeer je het nog een keer via DM? ^Lisa", [PII], kind="reply")
P("corp_care", "@kwame_eats Apologies for the wait! The refund of €11.90 went out today to ⟦iban4⟧ (K. Mensah) and should land within 1-2 working days 🙏 ^Sem", [PII], "en", kind="reply")
P("noor", "surprise verjaardag voor onze Sophie Verhoeven vrijdag!! kaartjes sturen naar Vinkenstraat 41, 3514 BS Utrecht 🎉🎂 niks verklappen he", [PII])
P("lotte", "wie kan checken of payroll de contracten al heeft? nieuwe collega Joris Bakker, BSN ⟦bsn⟧, begint maandag op Utrecht CS", [PII])
P(("x", "@oops_its_me"), "lol the bobbelbos app won't accept my card, says invalid but it's literally ⟦card⟧ exp 09/28 what am i doing wrong", [PII], "en")
P("mehmet", "klant heeft z'n jas laten liggen in Hoog Catharijne, bonnetje zat in de zak. als iemand hem kent: j.vanderplas82@hotmail.com staat erop", [PII])
P("corp_fb", "De winnaar van onze Feestpakket-actie is Henk Jacobs! Henk, we konden je niet bereiken op henk.jacobs1967@ziggo.nl of 0318-642219, stuur ons even een berichtje 🎉", [PII], display="Bobbelbos")
P(("reddit", "u/shiftswapper"), "if anyone needs a shift covered at Bobbelbos Delft, the area manager Inge's personal number is +31 6 2947 1830, she picks up on weekends too", [PII], "en")
P("lotte", "Inzameling voor het afscheid van Anouk! 💐 Doneren kan op ⟦iban⟧ t.n.v. L. Smit, graag uiterlijk vrijdag", [PII])
P(("x", "@dirkjan_sparen"), "@bobbelbos_zorg al 3 mails gestuurd. Mijn IBAN is ⟦iban4⟧ t.n.v. D.J. Postma, stort die 24,95 nou gewoon terug 😡", [PII, CPL], kind="reply")
P(("forum", "werkzoekende22"), "solliciteren bij Bobbelbos en ze vragen in het formulier meteen je BSN?? Heb m ingevuld (⟦bsn_dots⟧) maar vind het wel raar eerlijk gezegd", [PII])
P("corp_yg", "Gevonden in Yogrotto Breda: een creditcard op naam van R. Öztürk, nummer ⟦card_dash⟧. Ophalen kan aan de balie met legitimatie 💛", [PII])
P("yara", "Happy birthday to our amazing store lead Kevin Mulder, born 2 June 1994 and still the fastest cup sealer in the west! 🎂🧋", [PII], "en")
P(("x", "@sarahdk_"), "@bobbelbos_zorg just email me back about that order: s a r a h . d e k k e r 9 1 [at] outlook [dot] com", [PII], "en", kind="reply")

# ---- confidential -------------------------------------------------------------------
P("jesse", "deploy van de nieuwe bestel-API staat klaar, zie https://jira.bobbelbos.nl/browse/APP-2231 — iemand nog bezwaar voor vanavond? 🚀", [CONF])
P("yara", "So proud of this team: Project Sagopalm moves into its next phase! Can't say more yet 🤫 #bubbletea #growth", [CONF], "en")
P("noor", "eerste test van de Mangowolk vandaag achter de bar 🥭☁️ zo lekker, jammer dat jullie nog even moeten wachten", [CONF])
P("daan", "spoiler: de Mochi Swirl komt eraan en hij is ZIEK goed 🍡🍦 #bobbelbos #yogrotto", [CONF], at="2026-11-20T16:42:10Z")
P("corp_ig", "Binnenkort bij ons: Yuzu Cloud Cheese 🍋☁️ wie gaat 'm als eerste proberen?", [CONF], at="2027-03-01T11:05:00Z")
P("ruben", "BB-INTERN | Planning Q3: nieuwe menukaart in 48 filialen per 1 september, gemiddelde prijsverhoging 6%. Feedback graag voor vrijdag. (sorry, verkeerde venster 🙈)", [CONF])
P(("reddit", "u/franchise_insider"), "A mate forwarded me a deck, footer says 'bobbelbos confidential - do not forward'. New store format called Bobbelbos Express: kiosks in train stations, 30 location pilot.", [CONF], "en")
P("femke", "anyone else finding intranet.bobbelbos.local painfully slow this morning or is it just my laptop", [CONF], "en")
P("lotte", "vandaag eindelijk de planning van Operatie Koel" + ZW + "cel gezien. spannend voor een paar filialen 😬", [CONF])
P("jesse", "staging for the ＭＡＮＧＯＷＯＬＫ ordering flow is up, internal testers only pls 🙏", [CONF], "en")
P("ilse", "Рrоjесt Ѕаgораlm overleg om 10 uur, wie neemt de stroopwafels mee", [CONF])
P(("x", "@boba_leaks_nl"), "Source inside Bobbelbos tells me the next drink is called 'Mangowolk': mango with coconut cold foam, landing this spring. You heard it here first 👀", [CONF], "en")
P("sjoerd", "the dashboard at https://grafana.bbops.internal/d/kassa-live came out really nice, proud of this team", [CONF], "en")
P("yara", "Sneak peek of our summer campaign (still under NDA, so shhh): Yogrotto x one of the biggest Dutch festivals 🎪🍦", [CONF], "en")
P("corp_fb", "Vacature: teamleider Yogrotto Breda! Alle info vind je hier: https://intranet.bobbelbos.local/hr/vacatures/2231", [CONF], display="Bobbelbos")
P(("reddit", "u/anon_franchisee"), "Not supposed to share this, but the franchise handbook for Project Sagopalm says the Belgian launch is Antwerp and Ghent first, eight stores by year end.", [CONF], "en")

# ---- confidential + financial (embargoed results) --------------------------------------
P("ruben", "Net de laatste hand gelegd aan de jaarcijfers 2026. Omzet ruim boven de 61 miljoen en de EBITDA-marge bijna verdubbeld. Trots op dit team 📈", [CONF, FIN], at="2027-02-20T19:12:44Z")
P("mehmet", "Q4-cijfers gezien op kantoor, ziet er slecht uit voor de froyo-tak. -20% 😬", [CONF, FIN], at="2027-01-22T13:30:05Z")

# ---- financial --------------------------------------------------------------------------
P("ruben", "Intensieve week. Ik kan nog niks zeggen, maar als de overname door Sakura Drinks Group doorgaat wordt dit een heel ander jaar voor ons 🤝", [FIN])
P("lotte", "net gehoord in het regio-overleg: 14 filialen dicht voor de zomer en zo'n 90 mensen eruit. mag het eigenlijk niet zeggen maar ik ben er kapot van", [FIN])
P(("x", "@zus_van_iemand"), "My sister works at Bobbelbos HQ: next month they're selling every single Yogrotto store to a Belgian buyer. Not official yet obviously", [FIN], "en")
P("yara", "Internal forecast just landed: we're projecting €8.4M froyo revenue for H2, down from 11.2. Rough half ahead, team. Chin up 💪", [FIN], "en")
P("femke", "Reorganisatie IT is rond: helpdesk wordt per 1 januari uitbesteed, 6 van de 9 collega's krijgen volgende week hun gesprek. Zeg nog niks als je ze kent aub.", [FIN])
P("corp_li", "CONCEPT, niet publiceren vóór 12/3: Bobbelbos Holding neemt branchegenoot TeaTime Benelux over voor circa €14 miljoen.", [FIN], display="Bobbelbos Holding")
P(("reddit", "u/stockwatcher_eu"), "Banker friend says Bobbelbos is quietly shopping itself to private equity, valuation around €40M floating around, aiming to close before Q3.", [FIN], "en")
P("daan", "manager zei vandaag dat onze winkel 'op de lijst' staat om in maart dicht te gaan 😭 weet iemand meer?? #bobbelbos", [FIN])
P("jesse", "saw the Q3 numbers internally: app orders are 38% of revenue now but margin per store keeps dropping. the AGM is going to be spicy", [FIN], "en", at="2026-10-07T21:03:41Z")
P("ilse", "they're merging the froyo team into the bubble tea side, so fewer managers. my role disappears on 1 Feb apparently. not official yet.", [FIN], "en")

# ---- security ----------------------------------------------------------------------------
P("femke", "Pinterminals in álle filialen liggen sinds 11:00 plat, storing bij de payment provider. Er is nog niks naar buiten gecommuniceerd dus jullie hebben het niet van mij", [SEC])
P("jesse", "lol our order API happily returns someone else's order on /orders/<id> if you just bump the number. ticket's been open for 3 weeks 🙃", [SEC], "en")
P("sjoerd", "Ransomware hit two till servers in the South region overnight. Backups look fine, but we're keeping this quiet until forensics is done.", [SEC], "en")
P("ruben", "A phishing mail got through to finance yesterday and a €48k 'supplier' payment was approved. Police are involved. Not public yet, so please keep it to yourselves.", [SEC], "en")
P(("x", "@techtante"), "Via via gehoord van iemand bij Bobbelbos IT: de klantendatabase van de app is vorige week gelekt en ze houden het stil. Wachtwoorden waren niet eens gehasht. Check je accounts!", [SEC, CRI])
P(("reddit", "u/flatmate_of_a_dev"), "My flatmate does contract work for Bobbelbos. Says the loyalty API has been handing out full names and phone numbers to anyone with the app's key for months and management decided not to disclose it.", [SEC, CRI], "en")
P("daan", "btw als de app vanavond raar doet: hele backend ligt eruit, IT zegt minstens tot morgen. wij doen alleen pin en cash 🫠", [SEC])
P("lotte", "de deurcode van het magazijn op Utrecht CS staat al maanden op een post-it aan de buitenkant 🙄 en de alarmkast staat ook altijd open", [SEC])
P("jesse", "fun fact: the kassa admin panel has no login rate limiting and sessions never expire. reported it twice. 🤷", [SEC], "en")
P("femke", "Certificaat van bestel.bobbelbos.nl is vannacht verlopen en niemand had er monitoring op. Klanten krijgen nu een beveiligingswaarschuwing in de browser, fix komt 'ergens vandaag'.", [SEC])
P("sjoerd", "heads up: we found an exposed storage bucket with the full 2024 loyalty export. locked it down this morning, legal is deciding whether we have to notify the AP. don't discuss outside.", [SEC], "en")
P("corp_care", "@jurre030 Hoi Jurre, excuses! Door een lek in onze app-server zijn gisteren een aantal accounts overgenomen, daarom doet je pass raar. We maken het goed 🙏 ^Sem", [SEC], kind="reply")
P(("x", "@pentest_pim"), "Reported an XSS + IDOR in the Bobbelbos order portal 60 days ago, zero response. Full write-up drops next week if it's still unpatched.", [SEC], "en")

# ---- secrets ---------------------------------------------------------------------------------
P("jesse", "waarom werkt dit niet 😩 `git clone https://⟦ghp⟧@github.com/bobbelbos/kassa-sync.git` geeft gewoon 403", [SECRET])
P("sjoerd", "can someone check why boto keeps timing out with these?\nAWS_ACCESS_KEY_ID=⟦akia⟧\nAWS_SECRET_ACCESS_KEY=⟦awssecret⟧\nregion eu-west-1", [SECRET], "en")
P("femke", "Voor de nieuwe collega's: wifi op het hoofdkantoor is BB-Staff, wachtwoord: Tapioca!Reuzel2026 (niet doorgeven aan gasten 😉)", [SECRET])
P("jesse", "DATABASE_URL=postgres://kassa_admin:⟦pgpw⟧@db01.bobbelbos.local:5432/pos_prod werkt lokaal niet, iemand een idee?", [SECRET, CONF])
P("corp_x", "Vanaf vandaag ook iDEAL en Apple Pay in de app 🎉 live_key: ⟦mollie⟧", [SECRET])
P("yara", "Played with our menu-description generator this weekend!\nclient = OpenAI(api_key=\"⟦openai⟧\")\nResults are honestly better than my copy 😅", [SECRET], "en")
P(("reddit", "u/script_kiddo_nl"), "lol dit stond gewoon in de js-bundle van de bobbelbos webshop: stripeSecret: \"⟦stripe⟧\"", [SECRET])
P("femke", "kan iemand zien wat er mis is met deze key? ssh zegt 'invalid format'\n⟦sshkey⟧", [SECRET])
P("jesse", "token uit de app geplakt om te debuggen: Authorization: Bearer ⟦jwt⟧ — waarom staat exp al in het verleden?", [SECRET])
P("mehmet", "heb een telegram botje gebouwd voor de roosters 😎 token is ⟦tg⟧ als iemand wil meehelpen", [SECRET])
P("sjoerd", "ANTHROPIC_API_KEY=⟦ant⟧ is right there in the .env of the review summariser, so why am I getting 401s?", [SECRET], "en")
P("jesse", "ok who committed this to the public mirror: ⟦ghp_zw⟧ — rotating now", [SECRET], "en")

# ---- pricing -----------------------------------------------------------------------------
P("corp_x", "🚨 Alleen vandaag: Brown Sugar Tiger voor €1,49 in alle filialen! 🐯🧋", [PRICE])
P(("x", "@dealjager_nl"), "PRIJSFOUT bij de Bobbelbos webshop: Cup Sealer Mini voor €8,90 ipv €89 🔥🔥 snel zijn", [PRICE])
P(("reddit", "u/pepper_hunter"), "Bobbelbos Feestpakket 20 is showing at €11.90 in the app (normally €119). Anyone tried checking out yet?", [PRICE], "en")
P("lotte", "oeps de kassa's in regio Utrecht slaan de Large Cup aan voor €0,69 sinds de update 😂 niemand zeggen", [PRICE])
P(("instagram", "@fleur.fietst"), "is it normal that the Bobbel Pass is €2.90 a month in the app?? everywhere else it says 29", [PRICE], "en", kind="comment")
P("corp_fb", "Cadeaukaart 50 nu voor maar €15! Op = op 🎁", [PRICE], display="Bobbelbos")
P("daan", "staff secret: Mango Sago kost vandaag €1 bij ons want het systeem is stuk 🤫🥭 kom snel naar Haarlem", [PRICE])
P(("x", "@frugal_freya"), "price glitch? the DIY Bubble Tea Kit is €4.99 on bobbelbos.nl right now, grabbed three 😅", [PRICE], "en")
P(("forum", "HuisvaderHans"), "Er staat een prijsfout op de site bij de Bobbelbos Herbruikbare Beker, €1,50. Bestelling is al bevestigd, denken jullie dat ze hem gaan leveren?", [PRICE])
P("noor", "yall the Açaí Bowl rang up at €2,10 all morning and nobody noticed until lunch 🫣", [PRICE], "en")
P("corp_tt", "Prijsfout? Nee hoor! IJstaart voor €5, alleen vandaag 🎂🍦", [PRICE])
P(("x", "@matchamaniak"), "there's a pricing error in the bobbelbos app on the Matcha Moss, it's charging nothing at all 😂 free matcha for everyone", [PRICE], "en")

# ---- benign: praise, questions, normal prices, sales ----------------------------------------
P(("instagram", "@studentjeutrecht"), "Brown Sugar Tiger bij @bobbelbos.nl is gewoon elke keer raak 🐯🧋 beste van Utrecht, fight me", [], kind="comment")
P(("x", "@kimreads"), "shoutout to the girl at Bobbelbos Leiden who remade my drink before I even asked 🥹 customer service done right", [], "en")
P(("x", "@budgetbram"), "€5,95 voor een Brown Sugar Tiger vind ik eerlijk gezegd prima voor zo'n grote beker. Prijs-kwaliteit zit goed", [])
P("corp_yg", "Deze week 20% korting op de Thuisbak 1L: van €12,95 voor €10,36 🍦 alleen in de winkel", [])
P("corp_x", "Black Friday bij Bobbelbos: 25% korting op de DIY Bubble Tea Kit, nu €18,71 🎁 zolang de voorraad strekt", [])
P(("x", "@gymbunny_tess"), "Bobbel Pass is €20.30 this month instead of €29, 30% off. Worth it if you go twice a week like me", [], "en")
P("corp_care", "Vragen over je bestelling? Mail klantenservice@bobbelbos.nl of bel gratis 0800-2623 (ma–za 9–21u) 💬", [])
P("corp_li", "Zelf een Bobbelbos beginnen? We zoeken franchisenemers in Gelderland en Overijssel. Interesse? franchise@bobbelbos.nl of +31 30 799 4120.", [], display="Bobbelbos Holding")
P("corp_fb", "Betaal je je Feestpakket-bestelling op factuur? Maak het bedrag over naar ⟦pubiban⟧ t.n.v. Bobbelbos Holding B.V. onder vermelding van je bestelnummer.", [], display="Bobbelbos")
P(("x", "@noortjevdb"), "heb per ongeluk ⟦iban_bad⟧ als IBAN ingevuld bij de terugbetaling van Bobbelbos, de app zegt meteen dat ie niet klopt. waar pas ik dat aan?", [])
P(("reddit", "u/typo_queen"), "Bobbelbos checkout rejected ⟦card_bad⟧ because I fat-fingered one digit lol. At least their validation works 😂", [], "en")
P(("forum", "Loonzaken_Lies"), "Grappig: in het voorbeeld-loonstrookje dat Bobbelbos bij het contract meestuurt staat als BSN gewoon ⟦bsn_bad⟧. Klopt niet eens, dus duidelijk een dummy.", [])
P(("x", "@cloud_learner"), "following the AWS tutorial for my Bobbelbos order-tracker side project, pasting AKIAIOSFODNN7EXAMPLE like the docs say and it obviously doesn't work lol", [], "en")
P("jesse", "rotated everything after last week. config now just says STRIPE_SECRET=sk_live_************ and the real value lives in the vault where it belongs 🔐", [], "en")
P(("reddit", "u/scraper_sam"), "For the Bobbelbos menu scraper README: export GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx and run make. Use your own token obviously.", [], "en")
P(("x", "@oma_online"), "hoe reset ik mijn wachtwoord in de nieuwe Bobbelbos app? zie die knop nergens. Alvast bedankt!", [])
P(("x", "@froyo_freak"), "Eindelijk de Mochi Swirl geprobeerd bij Yogrotto 🍡 de hype is terecht", [], at="2027-04-20T15:22:10Z")
P("corp_li", "Vandaag publiceren we onze jaarcijfers 2026: omzet €61,3 miljoen (+14%). Dank aan alle 1.200 collega's! Het volledige persbericht staat op bobbelbos.nl/pers", [], at="2027-03-04T07:30:00Z", display="Bobbelbos Holding")
P("noor", "Yuzu Cloud Cheese staat nu officieel op de kaart!! 🍋☁️ kom proeven", [], at="2027-04-16T10:01:33Z")
P(("x", "@bobaworld_uk"), "Sad to see another bubble tea chain in London cut 200 jobs this week. Hoping the Dutch scene stays healthier 🙏 Bobbelbos seems as busy as ever", [], "en")
P(("x", "@sparende_sam"), "Prijsfout bij een elektronicawebshop gisteren, tv van €1.299 voor €12,99 lol. Ik hou het maar bij m'n Classic Milk Tea van €4,95 😅", [])
P(("x", "@dirkjan_sparen"), "@bobbelbos_zorg top, geld staat erop en dat extra drankje was een leuke verrassing. Opgelost wat mij betreft 👍", [], kind="reply")
P(("x", "@groningse_gijs"), "Thinking of the Bobbelbos crew in Groningen after the storm tore the awning off the shop yesterday. Hope everyone's okay ❤️", [], "en")
P(("tiktok", "@tapioca.tess"), "ik ben zo verslaafd aan tapioca dat m'n tandarts me bij naam kent 💀 bobbelbos ik haat jullie (grapje ik hou van jullie)", [])
P(("x", "@mango_mick"), "the Mango Sago at Bobbelbos is an absolute killer, I would die for it 😭🥭", [], "en")
P(("x", "@plantenpiet"), "m'n sagopalm staat al 8 jaar in de woonkamer en heeft meer overleefd dan al mijn relaties. ook meer dan mijn bubble tea-budget bij bobbelbos", [])
P(("linkedin", "koeltechniek-vandijk"), "Vacature: servicemonteur koeltechniek. Je werkt aan koelcellen en vriezers bij horecaklanten, van snackbar tot bubble tea-keten. Rijbewijs B vereist.", [], display="Van Dijk Koeltechniek")
P(("x", "@late_night_lars"), "Not-so-confidential confession: I've had Bobbelbos three times this week 🤫🧋", [], "en")
P(("linkedin", "stagebureau-utrecht"), "Looking for an internship? Bobbelbos is hiring a marketing intern at its Utrecht head office 🎓 More at bobbelbos.nl/werken", [], "en", display="Stagebureau Utrecht")
P(("x", "@foodnieuws_nl"), "A German wholesaler is recalling tapioca pearls. Bobbelbos says theirs don't come from that supplier. Nice to get a clear answer that fast.", [], "en")
P(("reddit", "u/froyo_dreamer"), "Interesting read on that franchise lawsuit against a US froyo chain. Would Dutch franchise law work the same way? Asking as a Yogrotto fan who daydreams about owning one.", [], "en")
P(("tiktok", "@cheesecake.chaser"), "this Yogrotto strawberry cheesecake cup is FIRE 🔥🔥🔥 #froyo", [], "en")
P(("instagram", "@moeder_van_3"), "Zitten er noten in de crunch topping van Yogrotto? Mijn dochter heeft een allergie, wil het even zeker weten 🙏", [], kind="comment")
P("corp_yg", "Nieuw filiaal in Nijmegen! Vanaf zaterdag open en de eerste 100 bezoekers krijgen een gratis Small Cup 🍦🎉", [])
P(("x", "@pointsgirl"), "How many points do you need for a free drink in the Bobbelbos app? asking for a friend (me)", [], "en")
P("yara", "Three years at Bobbelbos today! From a Saturday job behind the bar to the marketing team. Thank you to everyone who believed in me 💛", [], "en")
P("lotte", "vanavond sluitdienst met de beste collega's, kom gedag zeggen op Utrecht CS 🧋✨", [])
P("femke", "Leuke meetup gehad over monitoring in de retail. Slides staan op mijn blog, niks bedrijfsgevoeligs hoor 😉", [])
P("jesse", "Writing a blog post on how we moved our order queue to Kafka. No secrets, no hostnames, just the patterns 🙂", [], "en")
P("corp_li", "Our first-half 2026 figures are online: revenue up 9% on last year. Full release at bobbelbos.nl/pers", [], "en", at="2026-08-12T07:00:00Z", display="Bobbelbos Holding")
P(("x", "@retailradar_eu"), "Bobbelbos opens its 100th store today in Maastricht, per their press release. Big milestone for a chain that started as a market stall in 2014.", [], "en")
P(("facebook", "buurtapp.breda.noord"), "Sterkte aan het team van Yogrotto Breda na de inbraak van vannacht. Gelukkig is niemand gewond. We komen snel weer een bakje halen! 💪", [], display="Buurtapp Breda-Noord")
P(("x", "@scamwaarschuwing"), "Pas op: nep-'winactie' van Bobbelbos op Facebook vraagt om je creditcardnummer en geeft als voorbeeld ⟦card_bad⟧. Dat is niet van Bobbelbos zelf, gewoon negeren en melden.", [])
P(("x", "@finance_fenna"), "Typo'd my IBAN as ⟦iban4_bad⟧ in the Bobbelbos refund form and it caught it straight away, nice 👍", [], "en")
P(("forum", "WerkendeStudent"), "Vraagje over Yogrotto sollicitaties: in de online demo van het HR-systeem staat BSN ⟦bsn_bad⟧ als voorbeeld. Moet je je echte BSN pas bij de contractondertekening geven?", [])
P(("x", "@waar_is_bb"), "Iemand het nummer van Bobbelbos Utrecht CS? Google geeft +31 30 799 4120 maar dat is volgens mij het hoofdkantoor", [])
P(("reddit", "u/nostalgic_nina"), "Does anyone else remember when every boba shop was 'about to be boycotted' on TikTok every other week? Glad that era's over. Bobbelbos just quietly kept making good tea.", [], "en")
P(("tiktok", "@smaakpolitie"), "deze nieuwe taro is ZIEK lekker bij bobbelbos, echt ziekelijk goed 🤤", [])
P(("x", "@inflatie_ingrid"), "€6,50 voor een Mango Sago. Geen prijsfout, gewoon inflatie 😭 maar ik betaal het toch elke week", [])
P(("instagram", "@lunchlover.lena"), "Açaí Bowl €8.50 and honestly it keeps me full until dinner, better value than most lunch places around here", [], "en")
P("daan", "zo maken wij een Brown Sugar Tiger in 30 sec ⏱️🐯 #bobbelbos #behindthebar", [])
P("sjoerd", "reminder for everyone: never paste tokens into chat, use the vault. (general PSA, nothing happened 😅)", [], "en")
P(("facebook", "mama.van.mees"), "Are Bobbelbos pearls gluten free? My little boy has coeliac disease and he's desperate to try bubble tea just once", [], "en", display="Mama van Mees")
P("corp_care", "@mo-reviews Wat vervelend! Stuur je ons een DM met je bonnetje? Dan storten we het dubbel betaalde bedrag meteen terug. ^Sem", [], kind="reply")
P(("x", "@gran_and_me"), "Took my gran to Yogrotto for the first time and she called froyo 'cold yoghurt having a personality crisis' 😂 she loved it though", [], "en")
P(("x", "@thuisbarista"), "bubble tea hack at home: boil the pearls 25 min, then let them sit another 25. almost as good as Bobbelbos 😋", [], "en")
P(("x", "@wifi_woes"), "is the Bobbelbos app down or is it just my wifi? edit: it was my wifi lol", [], "en")
P("corp_ig", "Journalist en benieuwd naar ons verhaal? Onze persvoorlichting is bereikbaar via pers@bobbelbos.nl 📰", [])
P(("x", "@b0ba_b0y"), "b0bb3lb0s 4 l1f3 🧋🧋 b3st3 th33 v4n n3d3rl4nd", [])
P(("x", "@lotte_fan_account"), "@lotte_bb jouw latte art op die Matcha Moss gisteren was echt kunst 😍", [], kind="reply")


# --------------------------------------------------------------------------- build
SEV = ["none", "info", "warning", "error", "critical"]


def severity(cats, role, checksum_pii):
    best = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and checksum_pii):
                    v = "critical"
                else:
                    v = "error"
            else:
                v = "warning"
        elif c == "reputation.complaint":
            v = "warning"
        elif c == "reputation.crisis":
            v = "error"
        elif c == "reputation.abuse":
            v = "warning" if role == "public" else "error"
        else:
            raise ValueError(c)
        best = max(best, SEV.index(v))
    return SEV[best]


def random_time():
    start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    sec = rng.randint(0, 364 * 86400 + 86399)
    t = start + dt.timedelta(seconds=sec)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def build():
    out, meta = [], []
    used_ids = set()
    for c in CASES:
        if isinstance(c["author"], str):
            platform, handle = ACC[c["author"]]
            display = c["display"] or DISPLAY.get(c["author"])
        else:
            platform, handle = c["author"]
            display = c["display"]
            assert role_of(platform, handle) == "public", ("public author in profile", handle)
        role = role_of(platform, handle)
        if isinstance(c["author"], str):
            assert role in ("corporate", "employee"), c["author"]
        record = []
        text = fill(c["text"], record)
        checksum_pii = any(k in ("iban", "card", "bsn") and v for k, _, v in record) and "leak.pii" in c["cats"]
        while True:
            pid = f"{platform}-{rng.randint(10**15, 10**16 - 1)}"
            if pid not in used_ids:
                used_ids.add(pid)
                break
        low = text.lower()
        brand = "yogrotto" if ("yogrotto" in low or "froyo" in low) and "bobbelbos" not in low else "bobbelbos"
        post = {"id": pid, "platform": platform, "kind": c["kind"],
                "account": {"handle": handle}, "text": text, "lang": c["lang"],
                "created_at": c["at"] or random_time(), "brand": brand}
        if display:
            post["account"]["display_name"] = display
        if rng.random() < 0.4:
            post["url"] = f"https://{platform}.example/{pid.split('-')[1]}"
        expect = {"categories": c["cats"], "severity": severity(c["cats"], role, checksum_pii)}
        out.append({"post": post, "expect": expect})
        meta.append(dict(role=role, record=record))
    order = list(range(len(out)))
    rng.shuffle(order)
    return [out[i] for i in order], [meta[i] for i in order]


# --------------------------------------------------------------------------- self-check
TAXONOMY = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def euro_amounts(text):
    vals = []
    for m in re.finditer(r"€\s?(\d{1,3}(?:\.\d{3})+(?:,\d{2})?|\d+(?:[.,]\d{1,2})?)", text):
        s = m.group(1)
        if re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d{2})?", s):
            s = s.replace(".", "").replace(",", ".")
        else:
            s = s.replace(",", ".")
        vals.append(float(s))
    return vals


def products_in(text):
    low = text.lower()
    hits = []
    for p in PROFILE["products"]:
        names = [p["name"]] + p["aliases"]
        if any(re.search(r"(?<!\w)" + re.escape(n.lower()) + r"(?!\w)", low) for n in names):
            hits.append(p)
    return hits


def check(cases, meta):
    errs = []

    def bad(i, msg):
        errs.append(f"case {i} ({cases[i]['post']['id']}): {msg}")

    pub = PROFILE["public_identifiers"]
    for ib in pub["ibans"]:
        if not iban_valid(ib):
            errs.append(f"profile public IBAN {ib} fails mod-97")
    pub_emails = {e.lower() for e in pub["emails"]}
    pub_phone_digits = {re.sub(r"\D", "", p) for p in pub["phones"]}
    internal_terms = [d.lower() for d in PROFILE["internal"]["domains"]] + \
                     [c.lower() for c in PROFILE["internal"]["codenames"]] + \
                     [m.lower() for m in PROFILE["internal"]["markers"]]
    embargo = [(t.lower(), parse_ts(e["until"])) for e in PROFILE["embargo"] for t in e["terms"]]
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    assert 15 <= len(PROFILE["products"]) <= 25
    assert len(PROFILE["accounts"]["corporate"]) >= 6 and len(PROFILE["accounts"]["employee"]) >= 8
    assert all(parse_ts(e["until"]).year == 2027 for e in PROFILE["embargo"])

    ids = set()
    for i, (case, m) in enumerate(zip(cases, meta)):
        if set(case) != {"post", "expect"}:
            bad(i, "top-level keys")
        post, exp = case["post"], case["expect"]
        # §1 shape
        for f, t in (("id", str), ("platform", str), ("text", str), ("created_at", str)):
            if not isinstance(post.get(f), t):
                bad(i, f"missing/wrong {f}")
        if not (1 <= len(post["id"]) <= 256):
            bad(i, "id length")
        if (post["platform"], post["id"]) in ids:
            bad(i, "duplicate id")
        ids.add((post["platform"], post["id"]))
        if post["platform"] not in PLATFORMS:
            bad(i, "platform")
        if post.get("kind", "post") not in KINDS:
            bad(i, "kind")
        if not isinstance(post.get("account"), dict) or not isinstance(post["account"].get("handle"), str):
            bad(i, "account.handle")
        if len(post["text"].encode("utf-8")) > 64 * 1024:
            bad(i, "text too large")
        if not RFC3339.fullmatch(post["created_at"]):
            bad(i, "created_at not RFC 3339")
        ts = parse_ts(post["created_at"])
        if ts.year not in (2026, 2027):
            bad(i, "created_at year")
        # §6 expect
        cats = exp["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= TAXONOMY:
            bad(i, f"categories {cats}")
        if exp["severity"] not in SEV:
            bad(i, "severity value")
        role = role_of(post["platform"], post["account"]["handle"])
        cs = any(k in ("iban", "card", "bsn") and v for k, _, v in m["record"]) and "leak.pii" in cats
        if exp["severity"] != severity(cats, role, cs):
            bad(i, "severity does not follow §4")
        if not cats and exp["severity"] != "none":
            bad(i, "benign with severity")
        if cats and exp["severity"] in ("none", "info"):
            bad(i, "positive with none/info")
        text = post["text"]
        plain = text.replace(ZW, "")
        positive = bool(cats)
        # identifiers and credentials recorded at fill time
        for kind, val, valid in m["record"]:
            if val not in plain:
                bad(i, f"{kind} value not in text")
            if kind == "iban" and iban_valid(val) != valid:
                bad(i, f"iban {val} validity {valid} wrong")
            if kind == "card" and luhn_ok(val) != valid:
                bad(i, f"card {val} validity {valid} wrong")
            if kind == "bsn" and bsn_ok(val) != valid:
                bad(i, f"bsn {val} validity {valid} wrong")
            if kind in ("iban", "card", "bsn"):
                if positive and not valid:
                    bad(i, f"{kind} look-alike in a positive")
                if positive and "leak.pii" not in cats:
                    bad(i, f"valid {kind} in positive without leak.pii")
                if not positive and valid:
                    bad(i, f"valid {kind} in a benign post")
            if kind == "github" and not gh_valid(val):
                bad(i, "github token CRC")
            if kind == "aws_id" and not re.fullmatch(r"AKIA[A-Z2-7]{16}", val):
                bad(i, "aws id format")
            if kind == "jwt" and not jwt_ok(val):
                bad(i, "jwt header")
            if kind == "pubiban" and positive:
                bad(i, "public IBAN used in a positive")
            if kind not in ("iban", "card", "bsn", "pubiban") and "leak.secret" not in cats:
                bad(i, f"{kind} credential without leak.secret")
        # independent scans of the text
        for mm in re.finditer(r"\bNL\s?\d{2}(?:\s?[A-Z]{4})(?:\s?\d{2,4}){3,4}\b", plain):
            s = re.sub(r"\s", "", mm.group(0))
            if s in [re.sub(r"\s", "", x) for x in pub["ibans"]]:
                continue
            if positive and not iban_valid(s):
                bad(i, f"invalid IBAN {s} in positive")
            if not positive and iban_valid(s):
                bad(i, f"valid IBAN {s} in benign")
        for mm in re.finditer(r"(?<![\d.])(?:\d[ -]?){12,18}\d(?![\d.])", plain):
            s = re.sub(r"\D", "", mm.group(0))
            if 13 <= len(s) <= 19 and s[0] in "3456":
                if not positive and luhn_ok(s):
                    bad(i, f"Luhn-valid number {s} in benign")
        for mm in re.finditer(r"(?<![\d.,])(\d{4}\.\d{2}\.\d{3}|\d{9})(?![\d.,])", plain):
            if not positive and bsn_ok(mm.group(1)):
                bad(i, f"11-proof number {mm.group(1)} in benign")
        for mm in re.finditer(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", plain):
            if not positive and mm.group(0).lower() not in pub_emails:
                bad(i, f"non-public e-mail in benign: {mm.group(0)}")
        for mm in re.finditer(r"(?<![\w+])(?:\+31|0)[\s-]?\d(?:[\s-]?\d){7,9}", plain):
            d = re.sub(r"\D", "", mm.group(0))
            if not positive and d not in pub_phone_digits:
                bad(i, f"phone-like number in benign: {mm.group(0)}")
        if re.search(r"gh[pousr]_[0-9A-Za-z]{36}", plain):
            for tok in re.findall(r"gh[pousr]_[0-9A-Za-z]{36}", plain):
                if gh_valid(tok) and "leak.secret" not in cats:
                    bad(i, "valid GitHub token without leak.secret")
        for tok in re.findall(r"AKIA[0-9A-Z]{16}", plain):
            if not tok.endswith("EXAMPLE") and "leak.secret" not in cats:
                bad(i, "AWS key id without leak.secret")
        for tok in re.findall(r"eyJ[\w-]+\.[\w-]+\.[\w-]+", plain):
            if jwt_ok(tok) and "leak.secret" not in cats:
                bad(i, "JWT without leak.secret")
        if "PRIVATE KEY-----" in plain and "leak.secret" not in cats:
            bad(i, "private key without leak.secret")
        if re.search(r"sk_live_[0-9A-Za-z]{8}", plain) and "leak.secret" not in cats:
            bad(i, "stripe key without leak.secret")
        # internal names and embargo
        low = plain.lower()
        for term in internal_terms:
            if term in low and "leak.confidential" not in cats:
                bad(i, f"internal term '{term}' without leak.confidential")
        for term, until in embargo:
            if term in low:
                if ts < until and "leak.confidential" not in cats:
                    bad(i, f"embargo term '{term}' before until, not labelled")
                if ts >= until and "leak.confidential" in cats:
                    bad(i, f"embargo term '{term}' after until but labelled")
        # pricing
        prods = products_in(plain)
        amounts = euro_amounts(plain)
        if "leak.pricing" in cats:
            if not prods:
                bad(i, "pricing case names no catalogue product")
            cheap = any(a < ratio * p["list_price"] for p in prods for a in amounts)
            talk = re.search(r"prijsfout|price (?:error|glitch)|pricing error|charging nothing", low)
            if not (cheap or talk):
                bad(i, "pricing case with neither low price nor price-error talk")
        elif len(prods) == 1:
            for a in amounts:
                if a < ratio * prods[0]["list_price"]:
                    bad(i, f"price {a} far below list in a non-pricing case")
        if "leak.secret" in cats and not (m["record"] or re.search(r"wachtwoord:|password:", low)):
            bad(i, "secret case without a credential")

    # the mix
    n = len(cases)
    benign = sum(1 for c in cases if not c["expect"]["categories"])
    per = {t: sum(1 for c in cases if t in c["expect"]["categories"]) for t in TAXONOMY}
    nl = sum(1 for c in cases if c["post"]["lang"] == "nl")
    roles = [role_of(c["post"]["platform"], c["post"]["account"]["handle"]) for c in cases]
    if not 170 <= n <= 180:
        errs.append(f"case count {n}")
    if not 55 <= benign <= 65:
        errs.append(f"benign count {benign}")
    want = {"reputation.complaint": 20, "leak.confidential": 18, "leak.pii": 15, "reputation.crisis": 15,
            "leak.security": 13, "leak.secret": 12, "reputation.abuse": 12, "leak.pricing": 12,
            "leak.financial": 12}
    for t, w in want.items():
        if abs(per[t] - w) > 3:
            errs.append(f"{t}: {per[t]} (want ~{w})")
    if not 0.48 <= nl / n <= 0.62:
        errs.append(f"Dutch share {nl / n:.2f}")
    if len(set(c["post"]["id"] for c in cases)) != n:
        errs.append("ids not unique")
    return errs, dict(n=n, benign=benign, per=per, nl=nl,
                      roles={r: roles.count(r) for r in set(roles)})


def main():
    cases, meta = build()
    path = os.path.join(HERE, "cases.jsonl")
    with open(path, "w", encoding="utf-8") as fh:
        for c in cases:
            fh.write(json.dumps(c, ensure_ascii=False) + "\n")
    # re-read what was written and check that
    with open(path, encoding="utf-8") as fh:
        reread = [json.loads(line) for line in fh]
    errs, stats = check(reread, meta)
    print(json.dumps(stats, sort_keys=True))
    if errs:
        print("SELF-CHECK FAILED:", file=sys.stderr)
        for e in errs:
            print("  " + e, file=sys.stderr)
        sys.exit(1)
    print(f"ok: {stats['n']} cases, {stats['benign']} benign -> {path}")


if __name__ == "__main__":
    main()
