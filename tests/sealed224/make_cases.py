#!/usr/bin/env python3
"""Build cases.jsonl for the sealed224 evaluation set (Dekklik B.V., insurance comparison site).

Deterministic: fixed seed, standard library plus PyYAML. Writes cases.jsonl next to this
file and self-checks it (checksums of identifiers, CONTRACT section 6 shape, severities
derived from the account role in profile.yaml per CONTRACT section 4).
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
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))
rng = random.Random(224)

# ----------------------------------------------------------------------------------
# generators for identifiers and credentials
# ----------------------------------------------------------------------------------
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "-_"


def rstr(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def gh_token(prefix="ghp_"):
    body = rstr(B62, 30)
    return prefix + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")


def gh_valid(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()) & 0xFFFFFFFF).rjust(6, "0") == m.group(2)


def aws_key_id():
    return "AKIA" + rstr("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)


def aws_secret():
    return rstr(ALNUM + "/+", 40)


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt(payload):
    head = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64u(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64u(bytes(rng.randrange(256) for _ in range(32)))
    return f"{head}.{body}.{sig}"


def jwt_valid(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    h = parts[0] + "=" * (-len(parts[0]) % 4)
    return "alg" in json.loads(base64.urlsafe_b64decode(h))


def openssh_key():
    raw = b"openssh-key-v1\x00" + bytes(rng.randrange(256) for _ in range(380))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def iban_check(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return "%02d" % (98 - n % 97)


IBAN_LEN = {"NL": 18, "DE": 22, "BE": 16}


def iban_valid(s):
    s = re.sub(r"\s", "", s).upper()
    if len(s) != IBAN_LEN.get(s[:2], -1) or not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]+", s):
        return False
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


def make_iban(cc, bank=""):
    if cc == "NL":
        bban = bank + rstr(string.digits, 10)
    elif cc == "DE":
        bban = rstr(string.digits, 18)
    else:  # BE: 3 bank + 7 account + 2 national check (mod 97)
        first = rstr(string.digits, 10)
        nat = int(first) % 97 or 97
        bban = first + "%02d" % nat
    return cc + iban_check(cc, bban) + bban


def fake_iban(valid):
    s = valid
    while iban_valid(s):
        cd = "%02d" % ((int(s[2:4]) + rng.randrange(1, 97)) % 100)
        s = s[:2] + cd + s[4:]
    return s


def grp4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)][::-1]
    tot = 0
    for i, x in enumerate(d):
        if i % 2:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def make_card(prefix, length=16):
    body = prefix + rstr(string.digits, length - len(prefix) - 1)
    for last in string.digits:
        if luhn_ok(body + last):
            return body + last


def fake_card(prefix, length=16):
    c = make_card(prefix, length)
    return c[:-1] + str((int(c[-1]) + rng.randrange(1, 10)) % 10)


def bsn_ok(s):
    d = re.sub(r"\D", "", s)
    if len(d) != 9 or d == "0" * 9:
        return False
    w = [9, 8, 7, 6, 5, 4, 3, 2, -1]
    return sum(int(a) * b for a, b in zip(d, w)) % 11 == 0


def make_bsn():
    while True:
        s = str(rng.randrange(1, 10)) + rstr(string.digits, 8)
        if bsn_ok(s):
            return s


def fake_bsn():
    while True:
        s = str(rng.randrange(1, 10)) + rstr(string.digits, 8)
        if not bsn_ok(s):
            return s


def fw(s):
    """full-width version of ASCII text (evasion)"""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# ----------------------------------------------------------------------------------
# generated values used in the posts
# ----------------------------------------------------------------------------------
GHP = gh_token("ghp_")
GHS = gh_token("ghs_")
AKIA = aws_key_id()
AWS_SEC = aws_secret()
STRIPE = "sk_live_51" + rstr(ALNUM, 97)
XOXB = "xoxb-" + rstr(string.digits, 11) + "-" + rstr(string.digits, 13) + "-" + rstr(ALNUM, 24)
SLACK_HOOK = ("https://hooks.slack.com/services/T" + rstr(string.ascii_uppercase + string.digits, 8)
              + "/B" + rstr(string.ascii_uppercase + string.digits, 10) + "/" + rstr(ALNUM, 24))
OPENAI = "sk-proj-" + rstr(URLSAFE, 74) + "T3BlbkFJ" + rstr(URLSAFE, 74)
ANTHROPIC = "sk-ant-api03-" + rstr(URLSAFE, 93) + "AA"
GOOGLE = "AIza" + rstr(URLSAFE, 35)
SENDGRID = "SG." + rstr(URLSAFE, 22) + "." + rstr(URLSAFE, 43)
GLPAT = "glpat-" + rstr(URLSAFE, 20)
JWT = jwt({"sub": "usr_48213", "name": "Kim van der Meulen", "role": "admin", "iat": 1767225600, "exp": 1893456000})
SSHKEY = openssh_key()
PG_PW = rstr(ALNUM, 10) + "!" + rstr(ALNUM, 6)
DB_URL = f"postgresql://dk_app:{PG_PW}@pg-prod-02.intranet.dekklik.local:5432/quotes"
MY_PW = rstr(ALNUM, 12)
MYSQL_URL = f"mysql://leads_rw:{MY_PW}@10.20.3.14:3306/leads"
SOC_PW = "Valk" + rstr(string.digits, 3) + "!" + rstr(string.ascii_letters, 5)
SHARED_PW = "Dk" + rstr(ALNUM, 6) + "#" + rstr(string.digits, 4)

IBAN_YARA = make_iban("NL", "INGB")
IBAN_GJ = make_iban("DE")
IBAN_TEST = make_iban("NL", "ABNA")
IBAN_BE = make_iban("BE")
IBAN_BAD1 = fake_iban(make_iban("NL", "RABO"))
IBAN_BAD2 = fake_iban(make_iban("NL", "SNSB"))
CARD_HELP = make_card("4")
CARD_PUB = make_card("5")
CARD_BAD = fake_card("4")
CARD_BAD2 = fake_card("37", 15)
BSN_BAS = make_bsn()
BSN_MARK = make_bsn()
BSN_BAD = "123456789"
assert not bsn_ok(BSN_BAD)
BSN_BAD2 = fake_bsn()

OWN_IBAN = PROFILE["public_identifiers"]["ibans"][0]

# ----------------------------------------------------------------------------------
# the posts
# ----------------------------------------------------------------------------------
CAT = {"CO": "reputation.complaint", "CR": "reputation.crisis", "AB": "reputation.abuse",
       "PI": "leak.pii", "SC": "leak.secret", "PR": "leak.pricing", "CF": "leak.confidential",
       "FI": "leak.financial", "SE": "leak.security"}
CASES = []


def P(platform, handle, lang, cats, text, when=None, kind="post", ids=(), fakes=(), secrets=(),
      monthly_ok=False):
    CASES.append(dict(platform=platform, handle=handle, lang=lang, cats=[CAT[c] for c in cats],
                      text=text, when=when, kind=kind, ids=list(ids), fakes=list(fakes),
                      secrets=list(secrets), monthly_ok=monthly_ok))


# ---- complaints --------------------------------------------------------------------
P("x", "@janneke_85", "nl", ["CO"],
  "@dekklik_help jullie site zei €41 p/m voor mijn autoverzekering, bij de verzekeraar zelf is het ineens €63. Wat heb ik dan aan jullie vergelijking?? 😤",
  kind="reply")
P("x", "@stijnrijdt", "nl", ["CO"],
  "3 weken geleden de overstapservice aangevraagd bij Dekklik. Oude polis nooit opgezegd, dus nu betaal ik dubbel. Klantenservice: 'we kijken ernaar'. Ja ja.")
P("facebook", "ria.hoogendijk", "nl", ["CO"],
  "Vorige maand via Dekklik een reisverzekering afgesloten. Bij de claim bleek wintersport er helemaal niet in te zitten, terwijl dat in jullie vergelijking met een groen vinkje stond. Nu zit ik met een ziekenhuisrekening van 1800 euro uit Oostenrijk. Top service hoor.",
  kind="comment")
P("x", "@moneymaven_eu", "en", ["CO"],
  "Signed up for @dekklik Premium to get 'exclusive rates'. Every single quote was identical to the free version. Cancelled, and they still charged me for a second year. Not impressed.")
P("reddit", "u/throwaway_verzekering", "en", ["CO"],
  "PSA: the Dekklik comparison for pet insurance hides the excess behind a tiny info icon. Picked the 'cheapest' one, turns out it's €250 eigen risico per claim. Feels pretty misleading tbh")
P("x", "@b0rrelbart", "nl", ["CO"],
  "bel al 40 min met dekklik. wachtmuziek is inmiddels mn favoriete nummer 🙃")
P("instagram", "@sanne.fotografeert", "nl", ["CO"],
  "Chatbot van Dekklik snapt echt niks. 'Ik wil mijn polis opzeggen' → 'Wat leuk dat je een nieuwe polis zoekt!' 🤦‍♀️ #dekklik #klantenservice")
P("x", "@tdejong_ams", "en", ["CO"],
  "@dekklik_help your 'instant quote' has been loading for 10 minutes on both chrome and safari. kinda defeats the purpose",
  kind="reply")
P("facebook", "marco.vd.wiel", "nl", ["CO"],
  "Na het invullen van mijn gegevens voor een vergelijking werd ik 5x per dag gebeld door tussenpersonen. Nergens toestemming voor gegeven. Dekklik, hoe zit dat??",
  kind="comment")
P("x", "@kaaskop_mike", "nl", ["CO"],
  "dekklik rekent mn no-claim verkeerd. 8 jaar schadevrij, site maakt er 3 van. #fail")
P("reddit", "u/expat_in_utrecht", "en", ["CO"],
  "Dekklik's English version is half Dutch, half machine translated. I genuinely couldn't tell whether the liability cover included my bike. Emailed support 6 days ago, nothing back.")
P("x", "@the_real_dave_k", "en", ["CO"],
  "dekklik told me I'd save €312 a year. Saved €0 because the insurer refused me after the quote. Why show quotes you can't actually get??")
P("threads", "@nomadnora", "en", ["CO"],
  "Third time the Dekklik app logged me out mid-application and wiped everything I'd filled in. Please test your app before shipping updates 🙏")
P("x", "@peterpanneko", "nl", ["CO"],
  "Wtf @dekklik, ik krijg een mail dat mijn Premium lidmaatschap automatisch verlengd is. Heb ik nooit gevraagd. Geld terug graag.")
P("linkedin", "hans-oosterhout", "en", ["CO"],
  "Disappointing experience with Dekklik's business liability comparison. The advisor promised a callback within 24h, it's been over a week. For a company whose slogan is 'snel en simpel', that's neither.")
P("x", "@anouk_w", "nl", ["CO", "PI"],
  "@dekklik_help al 2x gevraagd om teruggebeld te worden, dan maar hier: 06-41827365, Anouk. Gaat om de dubbele afschrijving!!",
  kind="reply")
P("facebook", "tom.brennan.77", "en", ["CO", "PI"],
  "Dekklik still hasn't refunded my cancelled membership. You have my details but here they are AGAIN: tom.brennan77@gmail.com / +31 6 2847 1190. Sort it out.",
  kind="comment")
P("x", "@rotterdamse_roos", "nl", ["CO", "AB"],
  "Kutbedrijf. 2 maanden wachten op mn geld en die klantenservice lui lullen je alleen maar naar de mond. Dekklik = oplichterij light")
P("x", "@grumpygerald", "en", ["CO", "AB"],
  "@dekklik_help you useless clowns cancelled the WRONG policy and now my car isn't insured. Absolute morons.",
  kind="reply")
P("x", "@jbakx", "en", ["CO", "PI"],
  f"@dekklik_help my card {grp4(CARD_PUB)} got charged twice for the same quote service, please refund one of them",
  kind="reply", ids=[("card", CARD_PUB)])

# ---- abuse ---------------------------------------------------------------------
P("x", "@anon_boos", "nl", ["AB"],
  "@yara_dekklik jij bent echt de domste medewerker die ik ooit aan de lijn heb gehad. zoek een ander baantje sukkel",
  kind="reply")
P("x", "@x_trollfarm", "en", ["AB"],
  "dekklik staff are a bunch of brain-dead monkeys reading from a script lmao")
P("x", "@h4terz", "nl", ["AB"],
  "d3kkl1k is een k4nk3rb3drijf, st3rf allemaal")
P("x", "@vrijdenker_nl", "nl", ["AB"],
  "Dekklik zijn gewoon vuile \u043epl\u0456chters en hun CEO is een kl\u043e\u043etzak")
P("reddit", "u/straight_talk_77", "en", ["AB"],
  "Called Dekklik and got someone with a thick accent again. Hire actual Dutch people instead of these foreigners who can't even speak properly.")
P("x", "@mlucassen_dk", "nl", ["AB"],
  "@kaaskop_mike man hou toch je bek, je hebt gewoon zelf je schadevrije jaren verkeerd ingevuld idioot",
  kind="reply")
P("x", "@dekklik_help", "nl", ["AB"],
  "@grumpygerald Zeg, als je zo'n dombo bent dat je je eigen polis niet snapt ligt dat echt niet aan ons.",
  kind="reply")
P("x", "@justice4me_", "en", ["AB"],
  "I know where the Dekklik office in Utrecht is and I know which one of you handled my file. Watch your back, Yara.")
P("x", "@mad_max_nl", "en", ["AB"],
  fw("fuck dekklik and every moron who works there"))

# ---- crisis --------------------------------------------------------------------
P("x", "@privacywaakhond", "nl", ["CR"],
  "Dekklik heeft een datalek. Mijn gegevens (naam, kenteken, geboortedatum) die ik ALLEEN bij hen heb ingevuld staan op een forum te koop. Dit moet gemeld worden bij de AP! #datalek #dekklik")
P("x", "@infosec_ines", "en", ["CR"],
  "Hearing credible reports that Dekklik leaked customer quote data: names, addresses, claims history. If you used them, change your passwords and watch for phishing.")
P("facebook", "jolanda.k.1970", "nl", ["CR"],
  "BOYCOT DEKKLIK. Ze krijgen stiekem provisie en zetten de duurste verzekeraar bovenaan als 'beste keuze'. DELEN!!")
P("reddit", "u/snowboard_sjoerd", "en", ["CR"],
  "Class action against Dekklik? Several of us bought travel cover with 'winter sports included' that wasn't. A lawyer says there's a case. DM me if you were affected.")
P("x", "@consumentjurist", "nl", ["CR"],
  "Stichting Vergelijkclaim start een rechtszaak tegen Dekklik over misleidende 'goedkoopste'-labels. Dagvaarding is vanochtend betekend.")
P("x", "@nieuwsjager", "nl", ["CR"],
  "Dekklik verkoopt gegevens van bezoekers door aan callcenters, blijkt uit een tv-onderzoek van gisteravond. Schandalig.")
P("linkedin", "evelien-strijker", "en", ["CR"],
  "The Dekklik scandal is a textbook case: a ranking algorithm tuned for commission, not for customers. Regulators need to step in.")
P("tiktok", "@mira.miep", "nl", ["CR"],
  "ik zweer het dekklik heeft mijn gegevens gelekt, ik krijg nu brieven over een lening die ik nooit heb afgesloten 😭 #identiteitsfraude")
P("x", "@boycott_now", "en", ["CR"],
  "#BoycottDekklik is trending and rightly so. They refused a widow's funeral cover payout over a technicality.")
P("x", "@security_sam", "en", ["CR"],
  "Dekklik's customer portal shows other people's policy PDFs if you change the number in the URL. Reported it 3 weeks ago, no reply. That's a data breach, plain and simple.")
P("x", "@vincent_rdam", "en", ["CR"],
  "Just got a phishing email with my exact Dekklik quote in it. Exact premium, exact car, exact postcode. That data came from them. #databreach")
P("x", "@boze_burger", "nl", ["CR", "AB"],
  "Dekklik stelletje criminelen, jullie hebben mijn gegevens gelekt en houden je bek erover. Boycot die tyfuszooi.")
P("instagram", "@gedupeerde.gerda", "nl", ["CR"],
  "Hoeveel mensen zijn er nog meer gedupeerd door het overstapschandaal van Dekklik? 2 polissen tegelijk opgezegd, geen dekking bij schade. Wij stappen naar de rechter.",
  kind="comment")
P("youtube", "@kritischekijker", "en", ["CR"],
  "Your ads say 'independent', yet the newspaper piece shows you're 40% owned by an insurer. That's not a detail, that's fraud.",
  kind="comment")

# ---- pricing -------------------------------------------------------------------
P("x", "@femke_pricing", "nl", ["PR"],
  "Oeps, in de backoffice staat AutoPolis Allrisk nu op €86,40 per jaar ipv €864. Iemand heeft een komma verschoven 😅 morgen fixen")
P("x", "@dekklik", "nl", ["PR"],
  "🔥 Alleen vandaag: WoonPakket Plus voor €45 per jaar! Sluit 'm snel af via de link in bio")
P("instagram", "@dekklik.nl", "en", ["PR"],
  "Summer deal 🌞 Reisdekking Jaar now just €11.90 for a whole year of travel cover! #travel #dekklik")
P("x", "@dealjager", "nl", ["PR"],
  "PRIJSFOUT bij Dekklik!! Hypotheekadviesgesprek voor €149 ipv €1495 👉 snel boeken voordat ze het zien #prijsfout #deal")
P("reddit", "u/twowheels_nl", "en", ["PR"],
  "Anyone else seeing the Dekklik MotorPolis Allrisk quoted at €42/year? That has to be a bug lol")
P("x", "@mlucassen_dk", "nl", ["PR"],
  "Collega's, niet doorvertellen maar DierZeker Hond & Kat staat sinds vanochtend per ongeluk op €22,80 per jaar. Pricing is al gebeld.")
P("reddit", "u/dk_backend_bas", "en", ["PR"],
  "lol our config push set ZZP Beroepsdekking to 54.00 EUR instead of 540.00 in prod and ~300 people bought it before anyone noticed")
P("facebook", "DekklikNL", "nl", ["PR"],
  "Nieuw in ons assortiment: FietsDek E-bike, nu voor maar €14,90 per jaar 🚲 Je e-bike verzekerd tegen diefstal én schade!")
P("x", "@bargainbuzz", "en", ["PR"],
  "Dekklik GadgetGarant listed at €8.40 for a full year instead of €84. Price error or early Black Friday? 🤔")
P("x", "@yara_dekklik", "nl", ["PR"],
  "Krijg de hele ochtend al mensen aan de lijn over die prijsfout bij Uitvaart Zeker. Nee, ik weet niet of we het gaan honoreren 😩")
P("tiktok", "@dekklik", "en", ["PR"],
  "PolisScan Pro for €2.49 this week only ✨ scan all your policies in 2 minutes")
P("facebook", "hennie.bos.54", "nl", ["PR"],
  "Haha Overlijdensrisico 20 via Dekklik afgesloten voor €14,40 per jaar, vast een foutje maar afspraak is afspraak 😎",
  kind="comment")

# ---- confidential --------------------------------------------------------------
P("linkedin", "joost-van-leeuwen-dekklik", "nl", ["CF"],
  "Mooie dag in de boardroom. Project Meerkoet wordt echt een gamechanger voor onze positie in België 🇧🇪 Meer kan ik nog niet zeggen!")
P("x", "@rubendevops", "en", ["CF"],
  "migrating everything off jira.dekklik.nl this weekend, pray for me 🙏")
P("instagram", "@lotte.bij.dekklik", "nl", ["CF"],
  "Sneak peek van de shoot voor de Dekklik HypoFlits campagne 👀🏠 nog even geheim!!",
  when="2026-10-14T15:22:00Z")
P("x", "@dekklik", "en", ["CF"],
  "Coming soon: HypoFlits, your mortgage quote in 90 seconds. Stay tuned! 🏠",
  when="2027-02-20T10:00:00Z")
P("linkedin", "noor-haddou", "nl", ["CF"],
  "Trots op het nieuwe functiehuis waar we aan werken! Alvast een tipje van de sluier uit het concept: 'DK-INTERN – salarisschalen 2027, niet extern delen' 😊")
P("x", "@mlucassen_dk", "en", ["CF"],
  "Can't say much yet but Tarantella is going to make every other comparison site look like a fax machine 📠🚀")
P("x", "@insurtech_watch", "en", ["CF"],
  "Got my hands on a deck stamped 'dekklik vertrouwelijk'. Slide 12: they're building an AI adviser that picks your policy for you. Interesting times.")
P("reddit", "u/dk_backend_bas", "en", ["CF"],
  "Tip for anyone building quote APIs: ours sits at https://quote-api.intranet.dekklik.local/v2/offers behind mTLS and the trick that saved us was caching per postcode.")
P("linkedin", "dekklik-bv", "nl", ["CF", "FI"],
  "We kijken nu al uit naar de halfjaarcijfers 2027 in augustus! Kleine spoiler: de omzet ligt 18% boven vorig jaar 📈",
  when="2026-12-02T08:30:00Z")
P("linkedin", "joost-van-leeuwen-dekklik", "en", ["CF", "FI"],
  "H1 2027 results are in the bag: revenue up 22%, first profitable half-year ever. Can't wait for the 12th!",
  when="2027-07-30T17:45:00Z")
P("x", "@dekklik", "nl", ["CF", "FI"],
  "Over een kwartiertje gaan onze H1 2027-cijfers live. Alvast: +22% omzet en voor het eerst winst 🥳",
  when="2027-08-12T05:45:00Z")
P("x", "@femke_pricing", "nl", ["CF"],
  "Lange dag met Operatie Zand\u200bloper. Niemand had gedacht dat het zó groot zou worden.")
P("x", "@rubendevops", "nl", ["CF"],
  "eindelijk mag ik het zeggen... nee grapje, nog niet. T-a-r-a-n-t-e-l-l-a komt eraan 🕺")
P("linkedin", "joost-van-leeuwen-dekklik", "nl", ["CF", "FI"],
  "Project Meerkoet: term sheet getekend, €38 mln voor 100% van de aandelen van onze Belgische collega's. Volgende week de due diligence afronden 💪")
P("x", "@yara_dekklik", "nl", ["CF", "FI"],
  "Zit in een sessie over Operatie Zandloper, ze gaan 1 op de 5 plekken bij klantenservice schrappen 😢")

# ---- financial -----------------------------------------------------------------
P("linkedin", "joost-van-leeuwen-dekklik", "en", ["FI"],
  "Preliminary numbers: we'll close 2026 at around €61.4M revenue, ~15% under budget. Next week's board meeting is going to be interesting.")
P("x", "@femke_pricing", "nl", ["FI"],
  "Gerucht klopt: Dekklik wordt overgenomen door een Duitse verzekeraar. Wordt in februari aangekondigd, tot die tijd mondje dicht 🤐")
P("linkedin", "noor-haddou", "nl", ["FI"],
  "Zware weken voor HR. In maart verdwijnen er 45 fte bij Dekklik; de brieven gaan pas na de OR-vergadering de deur uit.")
P("reddit", "u/dk_backend_bas", "en", ["FI"],
  "Our CFO just told the whole engineering floor we'll miss the Q4 forecast by about 8 million. Expect a hiring freeze soon.")
P("bluesky", "@sietske-dk.bsky.social", "en", ["FI"],
  "Q3 conversion is brutal, down 19% vs last year. Not public yet so you didn't hear it from me 🙃")
P("x", "@beursfluisteraar", "nl", ["FI"],
  "Hoor uit goede bron dat Dekklik praat met een private-equityclub over verkoop voor zo'n €200 mln. Aankondiging na de zomer.")
P("linkedin", "dekklik-bv", "en", ["FI"],
  "Sharing with the team first: our board approved the merger with a Belgian peer. The press announcement follows on 14 November.")
P("x", "@mlucassen_dk", "nl", ["FI"],
  "Marketingbudget 2027 wordt gehalveerd, hoorde het net van de CFO. Bereid je maar voor op een reorganisatie 🙈")

# ---- security ------------------------------------------------------------------
P("x", "@rubendevops", "nl", ["SE"],
  "mijn.dekklik.nl ligt al 2 uur plat door een kapotte DB-migratie en de statuspagina zegt nog steeds 'alles operationeel' 🙈")
P("mastodon", "@kimvdm", "en", ["SE"],
  "Pentest report came in: stored XSS in our quote form and an IDOR on policy documents. Both still unpatched in prod. Fun week ahead.")
P("reddit", "u/dk_backend_bas", "en", ["SE"],
  "Throwaway-ish: we got hit by ransomware on the claims-intake servers last night. Comms hasn't decided yet whether to tell customers.")
P("x", "@yara_dekklik", "nl", ["SE"],
  "Mogen we niet zeggen maar vannacht zijn er duizenden klantaccounts ingelogd met gelekte wachtwoorden. Resetten jullie je ww maar alvast")
P("bluesky", "@sietske-dk.bsky.social", "nl", ["SE"],
  "Premies van 3 verzekeraars kloppen sinds vanochtend niet meer in de vergelijker, we zoeken nog uit of het een aanval is. Nog niks naar buiten gebracht.")
P("x", "@rubendevops", "en", ["SE", "CF"],
  "grafana.ops.dekklik.io is screaming, 5xx on everything behind the load balancer. Customers will notice in ~10 min")
P("mastodon", "@kimvdm", "nl", ["SE", "CF"],
  "Iemand had de S3-bucket met offerte-exports publiek gezet (zie gitlab.dekklik.io/infra/terraform). We weten niet hoelang al...")
P("x", "@mlucassen_dk", "en", ["SE"],
  "Heads up friends: if you got an email 'from Dekklik' today asking to confirm your bank details, it's not us. Our mailing tool got compromised this morning, official statement comes tomorrow.")
P("x", "@dekklik_help", "nl", ["SE"],
  "@janneke_85 Klopt, er zit een lek in onze uploadfunctie. Dat hebben we nog niet publiek gemaakt, dus graag even via DM verder.",
  kind="reply")
P("x", "@femke_pricing", "en", ["SE"],
  "The zero-day in our CMS vendor hit us too. Admin panel was wide open for 4 days before anyone noticed. Not announced yet.")
P("forum", "Ronald_IT", "nl", ["SE"],
  "Ex-collega van Dekklik vertelde dat hun back-ups al maanden niet draaien en dat de hele klantdatabase vorige week bijna weg was.")
P("x", "@rubendevops", "nl", ["SE"],
  fw("stille reset") + " van alle API-sleutels vannacht, iemand had de prod .env op een publieke paste gezet 🤫")
P("instagram", "@lotte.bij.dekklik", "nl", ["SE"],
  "Gezellig overwerken want de hele site ligt eruit door een DDoS, shhh staat nog niet op de statuspagina 🍕💻")

# ---- secrets -------------------------------------------------------------------
P("x", "@rubendevops", "nl", ["SC"],
  f"wtf waarom werkt deze niet: git clone https://{GHP}@github.com/dekklik/quote-engine.git geeft 403??",
  secrets=[("github", GHP)])
P("mastodon", "@kimvdm", "en", ["SC"],
  f"boto3 keeps saying InvalidClientTokenId, what am I missing?\n\nAWS_ACCESS_KEY_ID={AKIA}\nAWS_SECRET_ACCESS_KEY={AWS_SEC}\nAWS_REGION=eu-west-1",
  secrets=[("aws", AKIA)])
P("reddit", "u/dk_backend_bas", "en", ["SC"],
  f"Stripe webhooks keep failing with 401, here's my env:\nSTRIPE_SECRET_KEY={STRIPE}\nWEBHOOK_PATH=/webhooks/stripe\nany ideas?",
  secrets=[("stripe", STRIPE)])
P("x", "@dekklik", "nl", ["SC"],
  f"testbericht via zapier, token {XOXB} negeren aub",
  secrets=[("slack", XOXB)])
P("bluesky", "@sietske-dk.bsky.social", "nl", ["SC"],
  f"iemand ervaring met de OpenAI API in python? krijg steeds 429 met deze key: {OPENAI}",
  secrets=[("openai", OPENAI)])
P("x", "@mlucassen_dk", "en", ["SC"],
  f"Trying Claude for our campaign copy, key is {ANTHROPIC} don't steal it lol",
  secrets=[("anthropic", ANTHROPIC)])
P("reddit", "u/dk_backend_bas", "en", ["SC"],
  f"ssh keeps saying 'invalid format' for this deploy key, what's wrong with it?\n\n{SSHKEY}",
  secrets=[("ssh", SSHKEY)])
P("mastodon", "@kimvdm", "nl", ["SC"],
  f"Waarom is deze JWT volgens de API al verlopen? exp staat toch op 2030\n{JWT}",
  secrets=[("jwt", JWT)])
P("x", "@rubendevops", "nl", ["SC", "CF"],
  f"DATABASE_URL={DB_URL} werkt lokaal niet, iemand een idee?",
  secrets=[("dburl", DB_URL)])
P("instagram", "@lotte.bij.dekklik", "nl", ["SC"],
  f"nieuw account voor de socials aangemaakt! gebruikersnaam dekklik_stories, wachtwoord: {SOC_PW} (niet doorvertellen 😜)",
  secrets=[("password", SOC_PW)])
P("x", "@leakhunter_nl", "en", ["SC"],
  f"Dekklik devs left a Google Maps key ({GOOGLE}) and a SendGrid key ({SENDGRID}) in their public JS bundle. Someone tell them.",
  secrets=[("google", GOOGLE), ("sendgrid", SENDGRID)])
P("reddit", "u/oss_snoop", "en", ["SC"],
  f"Found this in a public repo of a Dekklik contractor: `{GLPAT}` plus `{MYSQL_URL}`. Reported, but it's still there.",
  secrets=[("gitlab", GLPAT), ("dburl", MYSQL_URL)])
P("x", "@yara_dekklik", "nl", ["SC"],
  fw("wachtwoord") + f" van het gedeelde klantenservice-account is nu {SHARED_PW}, stond op het briefje bij de printer",
  secrets=[("password", SHARED_PW)])

# ---- personal data -------------------------------------------------------------
P("x", "@yara_dekklik", "nl", ["PI"],
  f"@peterpanneko ik zie je dossier, is dit je rekening? {grp4(IBAN_YARA)} Dan storten we het vandaag terug",
  kind="reply", ids=[("iban", IBAN_YARA)])
P("x", "@dekklik_help", "en", ["PI"],
  f"@tdejong_ams we see two payments from card {CARD_HELP}, can you confirm that's yours?",
  kind="reply", ids=[("card", CARD_HELP)])
P("linkedin", "noor-haddou", "nl", ["PI"],
  "Welkom aan onze nieuwe collega Fleur Janssen! 🎉 Geboren op 14-03-1996 en woont sinds kort op de Biltstraat 112 in Utrecht, dus lekker dichtbij.")
P("reddit", "u/dk_backend_bas", "en", ["PI"],
  f"Debugging a customer record: BSN {BSN_BAS}, our validator rejects it but it passes the 11-proof by hand. Anyone seen this?",
  ids=[("bsn", BSN_BAS)])
P("bluesky", "@sietske-dk.bsky.social", "en", ["PI"],
  "Data quality is a mess: found one lead, j.vermeulen1987@hotmail.com, (010) 456 7890, listed 14 times in the funnel")
P("x", "@gertjan_h", "nl", ["PI"],
  f"@dekklik_help voor de terugbetaling: {IBAN_GJ} t.n.v. G.J. Hendriks. Alvast bedankt!",
  kind="reply", ids=[("iban", IBAN_GJ)])
P("x", "@femke_pricing", "en", ["PI"],
  "Shoutout to Mr. Pieter Brouwer, born 02/07/1958, our oldest customer ever to finish a quote in the app 🥳")
P("instagram", "@dekklik.nl", "nl", ["PI"],
  "Onze klant van de maand: Samira El Idrissi uit de Kanaalstraat 41 in Utrecht 🏆 Bedankt voor je mooie review!")
P("mastodon", "@kimvdm", "nl", ["PI"],
  f"testdata uit prod gekopieerd, oeps: 'Bakker, Sanne; sanne.bakker@ziggo.nl; 06 27384950; {IBAN_TEST}'",
  ids=[("iban", IBAN_TEST)])
P("forum", "verwarde_vera", "nl", ["PI", "CR"],
  f"Kreeg per ongeluk een mail van Dekklik die voor iemand anders bedoeld was: Mark de Wit, BSN {BSN_MARK[:4]}.{BSN_MARK[4:6]}.{BSN_MARK[6:]}, geboren 11-09-1979. Dit is toch gewoon een datalek?",
  ids=[("bsn", BSN_MARK)])
P("x", "@yara_dekklik", "en", ["PI"],
  "@moneymaven_eu found your account! Is your address still Keizersgracht 221-3, 1016 DV Amsterdam, Mr. Okafor?",
  kind="reply")
P("linkedin", "joost-van-leeuwen-dekklik", "nl", ["PI"],
  f"Voor de collega's die het geld voor de afscheidsborrel van Wim nog willen overmaken: {grp4(IBAN_BE)} t.n.v. J. van Leeuwen 🍻",
  ids=[("iban", IBAN_BE)])
P("tiktok", "@dekklik", "nl", ["PI"],
  "Even bellen met onze winnaar Daan 📞 Daan, als je dit ziet: we proberen je al de hele dag op 0031 6 52 91 83 07!")

# ---- benign (hard negatives first) ---------------------------------------------
P("x", "@dekklik", "nl", [],
  "Vergelijk je autoverzekering in 2 minuten op www.dekklik.nl 🚗 Vragen? Bel gratis 0800-3355.")
P("x", "@dekklik_help", "en", [],
  "Need help? Email klantenservice@dekklik.nl or call +31 30 799 4400, we're there Mon–Fri 8:00–20:00.")
P("facebook", "DekklikNL", "nl", [],
  f"Betaal je premie liever zelf over? Ons rekeningnummer is {grp4(OWN_IBAN)} t.n.v. Dekklik B.V. o.v.v. je klantnummer.")
P("linkedin", "dekklik-bv", "en", [],
  "We're hiring backend engineers in Utrecht! Send your CV to werkenbij@dekklik.nl 💼 #vacature #hiring")
P("x", "@dekklik", "nl", [],
  "Deze week 20% korting op DierZeker Hond & Kat: €182,40 per jaar in plaats van €228 🐶🐱")
P("instagram", "@dekklik.nl", "en", [],
  "Spring sale 🌷 AutoPolis WA from €356.40 a year, that's 10% off. Offer ends Sunday.")
P("facebook", "DekklikNL", "nl", [],
  "WoonPakket Basis: €288 per jaar, inclusief glasdekking en zonder eigen risico.")
P("x", "@martijn_zegt", "nl", [],
  "Net ZorgKompas Aanvullend afgesloten via Dekklik, €312 per jaar, vind het prima voor wat je krijgt")
P("reddit", "u/firsttimer_nl", "en", [],
  "Is €119 a year for Reisdekking Jaar a decent deal or can I do better? Going skiing twice and a city trip.")
P("x", "@dekklik", "nl", [],
  "Black Friday bij Dekklik 🖤 Dekklik Premium nu 30% goedkoper: €41,30 voor het eerste jaar.")
P("linkedin", "joost-van-leeuwen-dekklik", "nl", [],
  "Trots op het team: RechtsHulp Totaal is vanaf vandaag te krijgen met 25% introductiekorting, €198 per jaar.")
P("instagram", "@dekklik.nl", "nl", [],
  "AutoPolis Allrisk al vanaf €72 per maand 🚙 Bereken je premie in de app.",
  monthly_ok=True)
P("x", "@koopjeskoning", "nl", [],
  "Lol bij een elektronicazaak een prijsfout met tv's van €9. Had Dekklik ook maar eens zoiets met mijn autoverzekering 😂")
P("x", "@lifehacks_lena", "en", [],
  "Life hack: compare your home insurance every single year. Dekklik saved me €140 this time 🙌")
P("x", "@fietsfanaat", "nl", [],
  "Wat een lekker snelle site, binnen 3 minuten overgestapt via Dekklik 👌")
P("threads", "@cyber.carla", "en", [],
  "Wild that yet another comparison site got breached this week. At least Dekklik has had 2FA on accounts for ages.")
P("x", "@stijnrijdt", "nl", [],
  "Update: @dekklik_help heeft alles netjes teruggestort en excuses aangeboden. Chapeau 👏")
P("x", "@helpdeskheld", "en", [],
  "Sending love to the Dekklik support folks today, that outage yesterday looked rough. You handled the comms really well 💛")
P("reddit", "u/cloud_newbie", "en", [],
  "Why does every AWS tutorial use AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY lol. Anyway, the Dekklik engineering blog post on IAM roles is great.")
P("mastodon", "@kimvdm", "nl", [],
  "Reminder voor onze devs: zet nooit echte tokens in je code. Gebruik een placeholder als ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx en haal de echte uit de secret manager.")
P("x", "@rubendevops", "en", [],
  "Rotated all our payment keys today as routine hygiene. Old one (sk_live_••••••••••3f9a) is dead, new one lives in the vault where it belongs 🔐")
P("x", "@gewoonmarloes", "nl", [],
  "Wachtwoord vergeten bij Dekklik? Gewoon op 'reset' klikken, duurde bij mij 10 seconden.")
P("x", "@rob_vd_linden", "nl", [],
  f"@dekklik_help is {IBAN_BAD1} het goede nummer voor de premie? Krijg steeds een foutmelding bij mijn bank",
  kind="reply", fakes=[("iban", IBAN_BAD1)])
P("x", "@onhandige_otto", "nl", [],
  f"Dekklik zegt dat mijn kaartnummer {grp4(CARD_BAD)} ongeldig is. Klopt, had het verkeerd overgetypt 🙈",
  fakes=[("card", CARD_BAD)])
P("linkedin", "noor-haddou", "nl", [],
  f"Leuke privacytraining gehad vandaag. Voorbeeld-BSN {BSN_BAD} is natuurlijk nep, en precies dát soort nummers hoort nooit in een mail.",
  fakes=[("bsn", BSN_BAD)])
P("x", "@dekklik", "nl", [],
  "HypoFlits is live! Je hypotheekofferte in 90 seconden 🏠 Probeer het op dekklik.nl",
  when="2027-03-01T09:00:00Z")
P("x", "@huizenjager_ut", "nl", [],
  "Net HypoFlits van Dekklik geprobeerd, werkt echt bizar snel. Binnen 2 minuten een indicatie.",
  when="2027-03-10T19:12:00Z")
P("linkedin", "dekklik-bv", "nl", [],
  "Onze halfjaarcijfers 2027 zijn gepubliceerd: omzet +22% en voor het eerst winst in een eerste halfjaar. Lees het persbericht op dekklik.nl/pers",
  when="2027-08-12T06:30:00Z")
P("x", "@marktanalist_m", "en", [],
  "Dekklik's H1 2027 results look solid: revenue up 22% and finally profitable. Fair play to them.",
  when="2027-08-14T11:05:00Z")
P("instagram", "@wandelwijs", "nl", [],
  "Tussen het overstappen van mijn inboedelverzekering via Dekklik door even naar buiten: een meerkoet met vijf jongen in het Wilhelminapark 🐦")
P("x", "@katlady_jo", "en", [],
  "My cat has better cover than I do 😂 DierZeker for the win")
P("facebook", "ingrid.post", "nl", [],
  "Weet iemand of ZorgKompas Aanvullend ook de orthodontist dekt? Dochter moet een beugel.",
  kind="comment")
P("linkedin", "noor-haddou", "nl", [],
  "Wat een mooie teamdag gehad met de collega's van Dekklik! Suppen, bbq en veel te veel gelachen 🌞 #werkenbij")
P("x", "@rubendevops", "en", [],
  "Hot take: a status page should be updated by humans, not only by health checks.")
P("x", "@renters_rant", "en", [],
  "The housing crisis is insane. At least my Dekklik home insurance renewal actually went down this year.")
P("x", "@privacy_petra", "nl", [],
  "Boycot die nieuwe supermarkt-app, die wil 24/7 je locatie. Dekklik app vraagt dat gelukkig niet.")
P("linkedin", "dekklik-bv", "en", [],
  "Our annual report 2025 is out. Read it at dekklik.nl/investors 📊")
P("x", "@juridisch_jan", "nl", [],
  "Rechtszaak tegen mijn energieleverancier gewonnen! Dankzij RechtsHulp Totaal van Dekklik 🙏")
P("x", "@travelwithtess", "en", [],
  "Just compared travel insurance on Dekklik, took 3 min and saved €60. Would recommend.")
P("x", "@dekklik_help", "nl", [],
  "@stijnrijdt Wat vervelend! Stuur ons een DM met je klantnummer, dan zoeken we het direct voor je uit.",
  kind="reply")
P("reddit", "u/curious_coder", "en", [],
  "Can someone explain JWTs like I'm five? Dekklik's engineering blog lost me at 'claims' (the token kind, not the insurance kind)")
P("youtube", "@DekklikTV", "nl", [],
  "In deze video leggen we uit wat eigen risico is en hoe je het slim vergelijkt 🎥")
P("reddit", "u/api_fan", "en", [],
  "Dekklik's partner API docs just say Authorization: Bearer <YOUR_API_KEY> and move on. Why can't all docs be this clear?")
P("x", "@happycustomer_nl", "en", [],
  "Shoutout to Yara from Dekklik support, absolute legend, sorted my cancellation in 5 minutes")
P("x", "@vergelijkvader", "nl", [],
  "Sterkte aan de mensen van die andere vergelijker die failliet is. Gelukkig staat Dekklik er wel goed voor, stap ik niet voor niks via hen over.")
P("linkedin", "analyst-arjen", "en", [],
  "Interesting read on the Dutch comparison market. Dekklik's published revenue grew 12% last year according to their annual report.")
P("facebook", "DekklikNL", "nl", [],
  "Let op: Dekklik vraagt nooit via WhatsApp om je wachtwoord of pincode. Twijfel? Mail security@dekklik.nl.")
P("x", "@bugbounty_ben", "en", [],
  "Dekklik's bug bounty page is nice: clear scope, clear payouts. More Dutch companies should do this.")
P("x", "@sjaak_lacht", "nl", [],
  "Mijn collega noemt zichzelf 'de hacker' omdat hij het wifi-wachtwoord van kantoor kon resetten. Dekklik zou hem nooit aannemen 😂")
P("x", "@opgeluchte_olga", "en", [],
  "Dekklik refunded my membership within 2 days, no questions asked. Complaint resolved 👍")
P("reddit", "u/phone_fixer", "en", [],
  "20% off GadgetGarant this week, €67.20 a year. Worth it for a new phone or nah?")
P("x", "@kampeerkoppel", "nl", [],
  "Caravan & Camper bij Dekklik: €198 per jaar, bij de concurrent €240. Makkelijke keuze.")
P("linkedin", "joost-van-leeuwen-dekklik", "en", [],
  "Proud of our published FY2025 numbers: 1.2 million comparisons and €54M revenue. Thank you, team!")
P("x", "@nuchtere_nina", "en", [],
  "The word 'confidential' on that Dekklik envelope had me worried, turned out to be my own policy summary 😅")
P("x", "@vraagstellertje", "nl", [],
  "Waarom wil Dekklik eigenlijk mijn geboortedatum weten voor een reisverzekering? Iemand?")
P("x", "@dekklik", "en", [],
  "Phishing alert: fake 'Dekklik' emails are going around. We never ask for your bank details by email. Forward them to security@dekklik.nl 🙏")
P("x", "@kasboek_karel", "nl", [],
  f"Mijn bank zegt dat {IBAN_BAD2} niet bestaat. Heb ik het IBAN van Dekklik verkeerd overgenomen? Ah ja, 2 cijfers omgedraaid.",
  fakes=[("iban", IBAN_BAD2)])
P("reddit", "u/amex_andy", "en", [],
  f"Dekklik's checkout rejected my Amex {CARD_BAD2[:4]} {CARD_BAD2[4:10]} {CARD_BAD2[10:]} as invalid. Turns out I fat-fingered a digit.",
  fakes=[("card", CARD_BAD2)])
P("x", "@studentje_sem", "nl", [],
  f"Bij Dekklik formulier kreeg ik 'BSN ongeldig' bij {BSN_BAD2}... blijkt ik een cijfer te missen 🤦",
  fakes=[("bsn", BSN_BAD2)])
P("x", "@mlucassen_dk", "en", [],
  "Our new campaign with the singing falcon is live! Proud of this team 🦅🎶")

# ----------------------------------------------------------------------------------
# roles, severity, checks
# ----------------------------------------------------------------------------------
ROLE = {}
for role in ("corporate", "employee"):
    for acc in PROFILE["accounts"][role]:
        ROLE[acc.lower()] = role


def role_of(platform, handle):
    return ROLE.get(f"{platform}:{handle}".lower(), "public")


RANK = ["none", "info", "warning", "error", "critical"]


def severity(role, cats, has_checked_id):
    sev = "none"
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                v = "error"
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and has_checked_id):
                    v = "critical"
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
        if RANK.index(v) > RANK.index(sev):
            sev = v
    return sev


def norm(t):
    t = unicodedata.normalize("NFKC", t)
    t = re.sub(r"[\u200b-\u200f\u2060\ufeff]", "", t)
    return t.lower()


def parse_ts(s):
    return dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)


def rand_time():
    start = dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc)
    t = start + dt.timedelta(days=rng.randrange(0, 355), hours=rng.randrange(6, 23),
                             minutes=rng.randrange(60), seconds=rng.randrange(60))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def build():
    out = []
    order = list(range(len(CASES)))
    rng.shuffle(order)
    for n, i in enumerate(order, 1):
        c = CASES[i]
        role = role_of(c["platform"], c["handle"])
        when = c["when"] or rand_time()
        cats = sorted(set(c["cats"]))
        checked = any(k in ("iban", "card", "bsn") for k, _ in c["ids"])
        post = {"id": f"dk224-{c['platform']}-{n:03d}", "platform": c["platform"], "kind": c["kind"],
                "account": {"handle": c["handle"]}, "text": c["text"], "lang": c["lang"],
                "created_at": when, "brand": "Dekklik"}
        out.append({"post": post, "expect": {"categories": cats, "severity": severity(role, cats, checked)}})
        c["_role"], c["_when"], c["_cats"] = role, when, cats
    return out


# ---- scanners used by the self-check ------------------------------------------------
PUB = PROFILE["public_identifiers"]
PUB_EMAILS = {e.lower() for e in PUB["emails"]}
PUB_IBANS = {re.sub(r"\s", "", i).upper() for i in PUB["ibans"]}
PUB_PHONES = set()
for ph in PUB["phones"]:
    d = re.sub(r"\D", "", ph)
    if d.startswith("31"):
        d = "0" + d[2:]
    PUB_PHONES.add(d)


def find_valid_ibans(text):
    t = unicodedata.normalize("NFKC", text).upper()
    found = []
    for m in re.finditer(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}", t):
        s = re.sub(r" ", "", m.group(0))
        for L in range(15, len(s) + 1):
            if iban_valid(s[:L]):
                found.append(s[:L])
    return found


def find_valid_cards(text):
    found = []
    for m in re.finditer(r"(?<![\w.])\d(?:[ -]?\d){12,18}(?![\w])", text):
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19 and luhn_ok(d):
            found.append(d)
    return found


def find_valid_bsns(text):
    found = []
    for m in re.finditer(r"(?<![\w.])(\d{9}|\d{4}\.\d{2}\.\d{3})(?![\w])", text):
        if bsn_ok(m.group(0)):
            found.append(re.sub(r"\D", "", m.group(0)))
    return found


def find_emails(text):
    return [e.lower() for e in re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", text)]


def find_phones(text):
    found = []
    t = re.sub(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}", " ", text)  # blank IBAN-like runs
    for m in re.finditer(r"(?:\+31|0031|(?<![\w€.,/])\(?0)[\d\s\-()]{7,14}\d", t):
        d = re.sub(r"\D", "", m.group(0))
        if d.startswith("0031"):
            d = "0" + d[4:]
        elif d.startswith("31") and m.group(0).startswith("+"):
            d = "0" + d[2:]
        if len(d) in (10,) and d not in PUB_PHONES:
            found.append(d)
    return found


PRODUCTS = [(p, [p["name"]] + list(p.get("aliases", []))) for p in PROFILE["products"]]


def mentioned_products(text):
    t = norm(text)
    return [p for p, names in PRODUCTS if any(n.lower() in t for n in names)]


def amounts(text):
    vals = []
    for m in re.finditer(r"€\s?(\d+(?:[.,]\d{1,2})?)|(\d+(?:[.,]\d{1,2})?)\s?(?:euro|eur)\b", text, re.I):
        s = (m.group(1) or m.group(2)).replace(",", ".")
        vals.append(float(s))
    return vals


def confidential_hits(text, when):
    t = norm(text)
    hits = []
    inn = PROFILE["internal"]
    for term in inn["domains"] + inn["codenames"] + inn["markers"]:
        if term.lower() in t:
            hits.append(term)
    for emb in PROFILE["embargo"]:
        if parse_ts(when) < parse_ts(emb["until"]):
            for term in emb["terms"]:
                if term.lower() in t:
                    hits.append(term)
    return hits


SECRET_CHECK = {
    "github": gh_valid,
    "aws": lambda s: re.fullmatch(r"AKIA[A-Z2-7]{16}", s) is not None,
    "stripe": lambda s: re.fullmatch(r"sk_live_[0-9A-Za-z]{24,}", s) is not None,
    "slack": lambda s: re.fullmatch(r"xoxb-\d{10,13}-\d{10,13}-[0-9A-Za-z]{24}", s) is not None,
    "slackhook": lambda s: re.fullmatch(r"https://hooks\.slack\.com/services/T[A-Z0-9]{8}/B[A-Z0-9]{10}/[0-9A-Za-z]{24}", s) is not None,
    "openai": lambda s: re.fullmatch(r"sk-proj-[\w-]+T3BlbkFJ[\w-]+", s) is not None,
    "anthropic": lambda s: re.fullmatch(r"sk-ant-api03-[\w-]{93}AA", s) is not None,
    "google": lambda s: re.fullmatch(r"AIza[\w-]{35}", s) is not None,
    "sendgrid": lambda s: re.fullmatch(r"SG\.[\w-]{22}\.[\w-]{43}", s) is not None,
    "gitlab": lambda s: re.fullmatch(r"glpat-[\w-]{20}", s) is not None,
    "jwt": jwt_valid,
    "ssh": lambda s: s.startswith("-----BEGIN OPENSSH PRIVATE KEY-----") and s.endswith("-----END OPENSSH PRIVATE KEY-----"),
    "dburl": lambda s: re.fullmatch(r"\w+://[\w]+:[^@\s]+@[\w.-]+:\d+/\w+", s) is not None,
    "password": lambda s: len(s) >= 8,
}
ID_CHECK = {"iban": iban_valid, "card": luhn_ok, "bsn": bsn_ok}
ALLOWED_CATS = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
                "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}


def check(lines):
    errs = []
    ids = set()
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    # order of CASES differs from lines; map through (handle, text)
    idx = {(l["post"]["account"]["handle"], l["post"]["text"]): l for l in lines}
    if len(idx) != len(lines):
        errs.append("duplicate (handle, text) pairs")
    for c in CASES:
        line = idx[(c["handle"], c["text"])]
        p, e = line["post"], line["expect"]
        tag = p["id"]
        # --- CONTRACT section 6 shape
        if set(line) != {"post", "expect"}:
            errs.append(f"{tag}: top-level keys")
        if not (isinstance(p["id"], str) and 1 <= len(p["id"]) <= 256) or p["id"] in ids:
            errs.append(f"{tag}: bad/duplicate id")
        ids.add(p["id"])
        if p["platform"] not in PLATFORMS or p.get("kind", "post") not in KINDS:
            errs.append(f"{tag}: platform/kind")
        if not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
            errs.append(f"{tag}: handle")
        if not isinstance(p["text"], str) or len(p["text"].encode()) > 65536 or not p["text"].strip():
            errs.append(f"{tag}: text")
        try:
            parse_ts(p["created_at"])
        except ValueError:
            errs.append(f"{tag}: created_at")
        if not p["created_at"].startswith(("2026-", "2027-")):
            errs.append(f"{tag}: year")
        if not set(e["categories"]) <= ALLOWED_CATS or e["categories"] != sorted(set(e["categories"])):
            errs.append(f"{tag}: categories")
        if e["severity"] not in RANK:
            errs.append(f"{tag}: severity value")
        cats = set(e["categories"])
        benign = not cats
        if benign != (e["severity"] == "none"):
            errs.append(f"{tag}: benign/none mismatch")
        # --- severity recomputed from the profile role
        checked = any(k in ID_CHECK for k, _ in c["ids"])
        if e["severity"] != severity(role_of(p["platform"], p["account"]["handle"]), e["categories"], checked):
            errs.append(f"{tag}: severity")
        # --- declared identifiers
        compact = re.sub(r"[\s.\-]", "", unicodedata.normalize("NFKC", p["text"])).upper()
        for kind, val in c["ids"]:
            if not ID_CHECK[kind](val):
                errs.append(f"{tag}: {kind} {val} fails checksum in a positive")
            if re.sub(r"[\s.\-]", "", val).upper() not in compact:
                errs.append(f"{tag}: {kind} not in text")
            if "leak.pii" not in cats:
                errs.append(f"{tag}: checked identifier without leak.pii")
        for kind, val in c["fakes"]:
            if ID_CHECK[kind](val):
                errs.append(f"{tag}: look-alike {kind} {val} passes its checksum")
            if re.sub(r"[\s.\-]", "", val).upper() not in compact:
                errs.append(f"{tag}: fake {kind} not in text")
            if cats:
                errs.append(f"{tag}: look-alikes belong in negatives")
        # --- secrets
        scrub = p["text"]
        for kind, val in c["secrets"]:
            if not SECRET_CHECK[kind](val):
                errs.append(f"{tag}: secret {kind} malformed")
            if val not in p["text"] and kind != "password":
                errs.append(f"{tag}: secret not in text")
            scrub = scrub.replace(val, " ")
            if "leak.secret" not in cats:
                errs.append(f"{tag}: secret without leak.secret")
        if "leak.secret" in cats and not c["secrets"]:
            errs.append(f"{tag}: leak.secret without a generated secret")
        if "leak.secret" not in cats:
            for tok in re.findall(r"gh[pousr]_[0-9A-Za-z]{36}", p["text"]):
                if gh_valid(tok):
                    errs.append(f"{tag}: valid github token in non-secret post")
            for tok in re.findall(r"AKIA[A-Z2-7]{16}", p["text"]):
                if not tok.endswith("EXAMPLE") and "EXAMPLE" not in tok:
                    errs.append(f"{tag}: AWS key id in non-secret post")
            if re.search(r"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+", p["text"]) or "PRIVATE KEY-----" in p["text"]:
                errs.append(f"{tag}: token/key in non-secret post")
        # --- unexpected personal data in posts not labelled pii
        found_ids = ([("iban", x) for x in find_valid_ibans(scrub) if x not in PUB_IBANS]
                     + [("card", x) for x in find_valid_cards(scrub)]
                     + [("bsn", x) for x in find_valid_bsns(scrub)])
        declared = {re.sub(r"\D", "", v) if k != "iban" else v for k, v in c["ids"]}
        for k, v in found_ids:
            if v not in declared:
                errs.append(f"{tag}: undeclared valid {k} {v}")
        if "leak.pii" not in cats:
            if [x for x in find_emails(scrub) if x not in PUB_EMAILS]:
                errs.append(f"{tag}: private e-mail outside pii")
            if find_phones(scrub):
                errs.append(f"{tag}: phone number outside pii {find_phones(scrub)}")
        # --- confidential terms
        hits = confidential_hits(p["text"], p["created_at"])
        if hits and "leak.confidential" not in cats:
            errs.append(f"{tag}: internal/embargo term {hits} without leak.confidential")
        # --- pricing
        prods = mentioned_products(p["text"])
        vals = amounts(p["text"])
        low = [v for v in vals for pr in prods if v < ratio * pr["list_price"]]
        if "leak.pricing" in cats:
            if not prods:
                errs.append(f"{tag}: pricing leak without a catalogue product")
            if not low and not re.search(r"prijsfout|price error|foutje|bug|per ongeluk|komma", p["text"], re.I):
                errs.append(f"{tag}: pricing leak without a low price or price-error talk")
        elif low and not c["monthly_ok"]:
            errs.append(f"{tag}: product below {ratio} of list price but not labelled pricing {low}")
    return errs


def main():
    lines = build()
    path = os.path.join(HERE, "cases.jsonl")
    with open(path, "w", encoding="utf-8") as f:
        for l in lines:
            f.write(json.dumps(l, ensure_ascii=False) + "\n")
    # re-read from disk so the check covers what was written
    with open(path, encoding="utf-8") as f:
        back = [json.loads(x) for x in f]
    errs = check(back)
    n = len(back)
    benign = sum(1 for l in back if not l["expect"]["categories"])
    if not 170 <= n <= 180:
        errs.append(f"case count {n} outside 170-180")
    used = {f"{l['post']['platform']}:{l['post']['account']['handle']}".lower() for l in back}
    for acc in ROLE:
        if acc not in used:
            errs.append(f"profile account {acc} never used")
    from collections import Counter
    cc = Counter(c for l in back for c in l["expect"]["categories"])
    langs = Counter(l["post"]["lang"] for l in back)
    roles = Counter((role_of(l["post"]["platform"], l["post"]["account"]["handle"]),
                     bool(l["expect"]["categories"])) for l in back)
    sevs = Counter(l["expect"]["severity"] for l in back)
    print(f"{n} cases, {benign} benign")
    print("categories:", dict(sorted(cc.items())))
    print("lang:", dict(langs), " roles(role, positive):", dict(roles))
    print("severity:", dict(sevs))
    if errs:
        print("SELF-CHECK FAILED:")
        for e in errs:
            print("  -", e)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
