#!/usr/bin/env python3
"""Sealed evaluation set 310 for postwatch.

Company: Solvarra Incasso B.V. (fictional Dutch debt collection agency working for
energy suppliers and telecom providers).  Hand-written posts; credentials and
identifiers are generated here with a fixed seed so every run writes the same
cases.jsonl, which is then checked against CONTRACT sections 3, 4 and 6.

Usage: python3 make_cases.py   (writes cases.jsonl beside this file, exits 1 on any check failure)
"""
import base64
import json
import random
import re
import sys
import unicodedata
import zlib
from datetime import datetime, timezone, timedelta
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
PROFILE = yaml.safe_load((HERE / "profile.yaml").read_text(encoding="utf-8"))
OUT = HERE / "cases.jsonl"

rng = random.Random(310)      # credentials and identifiers
drng = random.Random(3100)    # timestamps
srng = random.Random(31000)   # final order

DIGITS = "0123456789"
UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
LOWER = "abcdefghijklmnopqrstuvwxyz"
ALNUM = DIGITS + UPPER + LOWER
B62 = DIGITS + UPPER + LOWER
B32 = UPPER + "234567"


def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


# ---------------------------------------------------------------- checksums
def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def luhn_ok(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return len(d) >= 12 and tot % 10 == 0


def bsn_ok(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    if len(d) != 9:
        return False
    tot = sum(d[i] * (9 - i) for i in range(8)) - d[8]
    return tot % 11 == 0 and d[0] != 0


# ---------------------------------------------------------------- generators
def nl_iban(bank):
    acct = rand(DIGITS, 10)
    body = bank + acct + "NL00"
    chk = 98 - int("".join(str(int(c, 36)) for c in body)) % 97
    s = "NL%02d%s%s" % (chk, bank, acct)
    assert iban_ok(s)
    return s


def fmt_iban(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def bad_iban_swapped(bank):
    """A real-looking IBAN with two neighbouring digits transposed: fails mod-97."""
    while True:
        good = nl_iban(bank)
        i = rng.randrange(8, 17)
        if good[i] != good[i + 1] and good[i].isdigit() and good[i + 1].isdigit():
            bad = good[:i] + good[i + 1] + good[i] + good[i + 2:]
            if not iban_ok(bad):
                return bad


def card(prefix, length=16):
    while True:
        body = prefix + rand(DIGITS, length - len(prefix) - 1)
        for c in DIGITS:
            if luhn_ok(body + c):
                return body + c


def fmt_card(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def bad_card(prefix):
    good = card(prefix)
    last = str((int(good[-1]) + 1 + rng.randrange(8)) % 10)
    bad = good[:-1] + last
    assert not luhn_ok(bad)
    return bad


def bsn():
    while True:
        d = [rng.randrange(1, 10)] + [rng.randrange(10) for _ in range(7)]
        tot = sum(d[i] * (9 - i) for i in range(8))
        last = tot % 11
        if last <= 9:
            s = "".join(map(str, d)) + str(last)
            assert bsn_ok(s)
            return s


def bad_nine():
    while True:
        s = str(rng.randrange(1, 10)) + rand(DIGITS, 8)
        if not bsn_ok(s):
            return s


def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def github_token(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()), 6)


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()), 6) == m.group(2)


def aws_key_id():
    return "AKIA" + rand(B32, 16)


def aws_secret():
    return rand(ALNUM + "/+", 40)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt():
    header = {"alg": "HS256", "typ": "JWT"}
    payload = {"sub": "client_4471", "iss": "https://connect.solvarra.nl",
               "scope": "dossiers:read payments:write", "iat": 1781000000, "exp": 1781003600}
    sig = bytes(rng.randrange(256) for _ in range(32))
    return ".".join([b64url(json.dumps(header, separators=(",", ":")).encode()),
                     b64url(json.dumps(payload, separators=(",", ":")).encode()),
                     b64url(sig)])


def slack_bot():
    while True:
        a, b = rand(DIGITS, 12), rand(DIGITS, 13)
        if a[0] != "0" and b[0] != "0" and not luhn_ok(b):
            return "xoxb-%s-%s-%s" % (a, b, rand(ALNUM, 24))


def openai_key():
    chars = ALNUM + "_-"
    return "sk-proj-" + rand(chars, 58) + "T3BlbkFJ" + rand(chars, 58)


def anthropic_key():
    return "sk-ant-api03-" + rand(ALNUM + "_-", 93) + "AA"


def mollie_live():
    return "live_" + rand(ALNUM, 30)


def stripe_live():
    return "sk_live_" + rand(ALNUM, 24)


def sendgrid():
    return "SG." + rand(ALNUM + "_-", 22) + "." + rand(ALNUM + "_-", 43)


def pem_rsa():
    raw = bytes(rng.randrange(256) for _ in range(330))
    body = "MIIEpAIBAAKCAQEA" + base64.b64encode(raw).decode()
    lines = [body[i:i + 64] for i in range(0, 64 * 6, 64)]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"


def password(n=14):
    while True:
        p = rand(ALNUM + "!@#%&*?", n)
        if (p[0] in ALNUM and any(c in DIGITS for c in p) and any(c in UPPER for c in p)
                and any(c in LOWER for c in p) and any(c in "!@#%&*?" for c in p)):
            return p


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


CYR = {"S": "\u0405", "o": "\u043e", "a": "\u0430", "e": "\u0435", "p": "\u0440", "c": "\u0441"}


def cyrillic(s):
    return "".join(CYR.get(c, c) for c in s)


ZW = "\u200b"

# ---------------------------------------------------------------- generated values
V = {}
V["iban_c19"] = fmt_iban(nl_iban("INGB"))
V["iban_p3"] = fmt_iban(nl_iban("ABNA"))
V["bsn_p4"] = bsn()
V["card_p5"] = fmt_card(card("4"))
V["iban_p10"] = fmt_iban(nl_iban("SNSB"))
V["iban_p11a"] = fmt_iban(nl_iban("RABO"))
V["iban_p11b"] = nl_iban("INGB")
V["iban_p11c"] = fmt_iban(nl_iban("BUNQ"))
V["bsn_p12"] = bsn()
V["bad_iban_b30"] = fmt_iban(bad_iban_swapped("INGB"))
V["bad_card_b31"] = fmt_card(bad_card("52"))
V["bad_bsn_b32"] = bad_nine()
V["bad_nine_b60"] = bad_nine()
V["pg_pw"] = rand(ALNUM, 9) + "!" + rand(ALNUM, 4) + "_" + rand(DIGITS, 2)  # URL-safe password
V["ghp"] = github_token("ghp_")
V["akia"] = aws_key_id()
V["aws_secret"] = aws_secret()
V["mollie"] = mollie_live()
V["slack"] = slack_bot()
V["openai"] = openai_key()
V["jwt"] = jwt()
V["pw_z8"] = password(13)
V["pem"] = pem_rsa()
V["stripe"] = stripe_live()
V["anthropic"] = anthropic_key()
V["sendgrid"] = sendgrid()

# ---------------------------------------------------------------- cases
CASES = []
START = datetime(2026, 1, 5, tzinfo=timezone.utc)
SPAN = (datetime(2026, 12, 19, tzinfo=timezone.utc) - START).total_seconds()


def add(platform, handle, lang, text, cats=(), kind="post", at=None, name=None, exempt=False):
    if at is None:
        t = START + timedelta(seconds=int(drng.random() * SPAN))
        at = t.strftime("%Y-%m-%dT%H:%M:%SZ")
    CASES.append({"platform": platform, "handle": handle, "lang": lang, "text": text,
                  "cats": sorted(set(cats)), "kind": kind, "at": at, "name": name,
                  "exempt": exempt})


PII, SEC, PRI, CONF, FIN, SECU = ("leak.pii", "leak.secret", "leak.pricing",
                                  "leak.confidential", "leak.financial", "leak.security")
CRI, COM, ABU = "reputation.crisis", "reputation.complaint", "reputation.abuse"

# ======================= benign (hard negatives first and foremost) =======================
add("x", "@solvarra_helpt", "nl",
    "@sanne_pz Vervelend dat je ons niet te pakken kreeg! Bel gerust 088-765 4400 (ma t/m vr 8:00-20:00) "
    "of mail klantenservice@solvarra.nl met je dossiernummer erbij, dan zoeken we het samen uit. ^Ilse",
    kind="reply", name="Solvarra Klantenservice")
add("facebook", "SolvarraIncasso", "nl",
    "Liever zelf overmaken? Dat kan naar NL06 RABO 0347 1162 90 t.n.v. Solvarra Incasso B.V., vermeld wel even "
    "je dossiernummer. Nog makkelijker: betalen.solvarra.nl met iDEAL \U0001F4B3", name="Solvarra Incasso")
add("linkedin", "solvarra-incasso", "en",
    "We're hiring in Utrecht \U0001F64C Two Customer Resolution Specialists who believe that collecting debt and "
    "treating people decently aren't opposites. Part-time is fine. Apply at werkenbij@solvarra.nl")
add("instagram", "@solvarra.nl", "nl",
    "Geldzorgen? Je bent echt niet de enige. Met de gratis Geldcheck zie je in 5 minuten waar je staat en wie "
    "je kan helpen. Link in bio \U0001F499 #geldzorgen #schuldhulp")
add("x", "@solvarra_nl", "en",
    "\u26A0\uFE0F Phishing alert: we will NEVER ask you to pay through a link in a text message. Our only payment "
    "page is betalen.solvarra.nl. In doubt? Call +31 88 765 4400 before you pay anything.")
add("linkedin", "solvarra-incasso", "en",
    "New for energy suppliers: the EnergieRetentie module flags payment trouble before a customer actually falls "
    "behind. From \u20ac890 per month, onboarding included. Want a demo? sales@solvarra.nl")
add("linkedin", "tim-oosterhuis-solvarra", "nl",
    "Alleen in november: Academy Incasso Essentials met 25% korting, \u20ac596 ipv \u20ac795. Nog 6 plekken voor de "
    "sessie in Zwolle, wie durft \U0001F604", at="2026-11-03T08:41:00Z")
add("tiktok", "@solvarra_official", "nl",
    "POV: je opent eindelijk die brief die al 3 weken op de mat ligt en het valt eigenlijk reuze mee "
    "\U0001F605\U0001F4EC Bel ons, we maken er samen iets van. #incasso #geldtok #fyp")
add("x", "@solvarra_helpt", "nl",
    "@pietjepuk83 Fijn om te horen dat de dubbele afschrijving is teruggestort en alles weer klopt. Dank voor "
    "je geduld, en sorry voor het gedoe! ^Ramon", kind="reply")
add("linkedin", "solvarra-incasso", "nl",
    "Vandaag publiceren we onze jaarcijfers 2026: een omzet van \u20ac48,2 miljoen en 31% meer betalingsregelingen "
    "die succesvol zijn afgerond. Het volledige jaarverslag staat op solvarra.nl/investors.",
    at="2027-02-25T09:15:00Z")
add("x", "@solvarra_nl", "nl",
    "Vanaf vandaag live: Solvarra Kompas \U0001F9ED Een transparante score die laat zien welke betalingsregeling "
    "\u00e9cht haalbaar is, zodat niemand een afspraak krijgt die hij niet kan nakomen.",
    at="2027-01-19T10:02:00Z")
add("threads", "@solvarra.nl", "nl",
    "Op 2e Paasdag zijn we telefonisch niet bereikbaar. MijnSolvarra en betalen via iDEAL werken gewoon door. "
    "Fijne paasdagen \U0001F423", at="2026-04-02T15:30:00Z")
add("facebook", "SolvarraIncasso", "nl",
    "Onze jaarcijfers 2025 staan online! Lees in het jaarverslag hoe we vorig jaar ruim 12.000 mensen hielpen "
    "aan een regeling die w\u00e9l past.", at="2026-03-18T07:05:00Z")
add("x", "@marloes_vleeuwen", "nl",
    "Laatste dienst voor de kerst zit erop. Vandaag een meneer aan de lijn die na 2,5 jaar eindelijk "
    "schuldenvrij is, hij moest er zelf van huilen en ik eerlijk gezegd ook een beetje \U0001F972\u2764\uFE0F",
    at="2026-12-23T16:48:00Z")
add("linkedin", "noor-bouzid-solvarra", "en",
    "Great talk at PyData Amsterdam on fairness in credit-risk scoring. Slides are on my GitHub, all examples "
    "use synthetic data \U0001F642 #datascience #responsibleAI")
add("x", "@dj_hofstede", "nl",
    "Zondag om 6u het veld in: ruim 40 kraanvogels boven het Fochtelo\u00ebrveen \U0001F426\U0001F4F8 Beste begin "
    "van de week ooit. #vogels #kraanvogel", exempt=True)
add("mastodon", "@rdekker@fosstodon.org", "en",
    "PSA for fellow ops people: AKIAIOSFODNN7EXAMPLE is the sample access key from the AWS docs. Please stop "
    "opening P1 tickets every time you find it in some README \U0001F602")
add("x", "@karim_haddou", "nl",
    "Vandaag security-awareness gegeven aan 80 collega's. Meest gestelde vraag: 'moet ik echt elke 90 dagen "
    "m'n wachtwoord wijzigen?' Nee! Lange wachtzin + MFA, klaar. #infosec")
add("linkedin", "tim-oosterhuis-solvarra", "en",
    "For the smaller telcos out there: our Debiteurencheck is \u20ac12.50 per check. No subscription, no setup "
    "fee. Happy to have a chat, just DM me.")
add("bluesky", "@lisawouters.bsky.social", "en",
    "10 years at Solvarra today \U0001F389 cake is on the 3rd floor, first come first served...")
add("x", "@femkedejong_", "nl",
    "Onze campagne voor de #GeldzorgenWeek staat live! Korte filmpjes, echte verhalen, geen opgeheven "
    "vingertje. Trots op dit team \U0001F4AA", at="2026-03-09T09:00:00Z")
add("instagram", "@anouk.belt", "nl",
    "vrijdagmiddagborrel met team klantcontact \U0001F37B\U0001F35F na een week vol telefoontjes wel verdiend hoor "
    "#teamsolvarra")
add("reddit", "u/bakfietsbert", "en",
    "Anyone else's bakfiets chain keep slipping when it rains? 14 km commute each way and I'm losing my mind. "
    "Already replaced the chain once this year.")
add("x", "@dj_hofstede", "nl",
    "Voor iedereen die het vraagt: een deurwaarder mag niet zomaar je woning binnen en er zijn regels over "
    "tijden en dagen. Check rijksoverheid.nl of vraag het je schuldhulpverlener. Goed als mensen hun rechten kennen.")
add("x", "@fleur_amsfoort", "nl",
    "Moet eerlijk zeggen: Solvarra was super netjes. Regeling van \u20ac25 per maand, geen gezeur, en de dame aan "
    "de telefoon was echt vriendelijk. Had ik niet verwacht van een incassobureau.")
add("x", "@yvon_ne", "en",
    "Is Solvarra an actual debt collector or is this phishing? Got a letter about an old Zendmast Mobiel bill "
    "from 2023. Anyone dealt with them?")
add("x", "@dutchnews_feed", "en",
    "Dutch regulator ACM fines collection agency IncaVast \u20ac2.1 million over excessive fees on energy debts. "
    "The agency says it will appeal.")
add("x", "@lotte.vdm", "nl",
    "Mijn kat kijkt me aan met exact de energie van een Solvarra-brief: je weet dat er iets komt en je komt er "
    "niet onderuit \U0001F639")
add("facebook", "marian.hoekstra.58", "nl",
    "Sterkte aan alle mensen van Solvarra aan de Kanaalweg na die brand in het pand ernaast vannacht. Gelukkig "
    "is niemand gewond geraakt \U0001F64F", kind="comment")
add("x", "@dennis_rdam", "nl",
    "lol, typte m'n rekeningnummer over voor de betalingsregeling en MijnSolvarra zei 'ongeldig IBAN'. Bleek ik "
    f"{V['bad_iban_b30']} te hebben getikt, twee cijfers omgedraaid. Daarna ging alles prima \U0001F44D")
add("reddit", "u/qa_jesper", "en",
    f"Testing a checkout flow for a client. Fun fact: {V['bad_card_b31']} gets rejected client-side before it "
    "even reaches the PSP, because it fails the Luhn check. As it should.")
add("x", "@m_ouali", "nl",
    "Die nepbrief 'namens Solvarra' die rondgaat vraagt om je BSN en heeft zelf als voorbeeld "
    f"{V['bad_bsn_b32']} erop staan \U0001F644 Echte incassobureaus vragen nooit je BSN via WhatsApp.")
add("reddit", "u/devops_daan", "en",
    "How do I stop GitHub Actions from echoing tokens? Our logs show "
    "`GH_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx` (placeholder obviously) and the masking doesn't kick in.")
add("mastodon", "@lena@chaos.social", "en",
    "Nice redaction in that Solvarra integration thread: `STRIPE_SECRET_KEY=sk_live_************************`. "
    "More of this, please.")
add("x", "@beleggen_bas", "nl",
    "Jaarcijfers 2026 van Solvarra doorgelezen. Omzetgroei van 6% vind ik mager voor een jaar met zoveel "
    "energie-achterstanden. Benieuwd naar hun plannen.", at="2027-03-02T19:44:00Z")
add("x", "@groningen_nieuws", "nl",
    "Solvarra opent een nieuwe vestiging in Groningen en zoekt 40 klantcontactmedewerkers, meldt het bedrijf "
    "op de eigen site.")
add("linkedin", "joost-energiecoop", "nl",
    "Vraagje aan mede-energieco\u00f6peraties: wij krijgen een offerte van \u20ac55 per dossier voor Minnelijk Plus "
    "bij Solvarra. Is dat een beetje normaal? Alternatieven welkom.")
add("x", "@pietjepuk83", "nl",
    "Update: Solvarra heeft de fout toegegeven en de extra incassokosten geschrapt. Netjes opgelost, dank "
    "@solvarra_helpt \U0001F64F")
add("x", "@jess_moves", "en",
    "not what I expected from a debt collector tbh. the Solvarra guy on the phone was kind and gave me 3 months "
    "breathing room after I lost my job. thank you Mark")
add("x", "@tineke_w", "en",
    "Does anyone know how long it takes for Solvarra to confirm a payment plan? Applied through the website "
    "last Thursday.")
add("x", "@privacyradar", "nl",
    "Datalek bij telecomprovider Pixeltel: gegevens van 300.000 klanten liggen op straat. Let op nepmails, ook "
    "uit naam van incassobureaus als Solvarra of andere bekende namen. Klik nergens op.")
add("reddit", "u/small_telco_ops", "en",
    "Does the Solvarra Connect API support webhooks for payment status, or do we have to poll? Evaluating it "
    "for our MVNO and the docs are a bit thin.")
add("x", "@schuldhulp_rosa", "nl",
    "Als schuldhulpverlener: contact met Solvarra gaat bij ons eigenlijk prima. Incasso wordt binnen een dag "
    "stilgezet als we een traject melden. Mogen andere bureaus een voorbeeld aan nemen.")
add("x", "@energiecoop_dewind", "nl",
    "Wij gebruiken sinds dit jaar de Debiteurencheck van Solvarra. \u20ac12,50 per stuk, scheelt onze vrijwilligers "
    "een hoop uitzoekwerk.")
add("reddit", "u/kaaskop_in_london", "en",
    "Moved back to NL and found a Solvarra letter in a pile of old post. Called them, they were chill, sorted it "
    "in one call. Posting because this sub is usually just horror stories.")
add("x", "@rotterdamse_rik", "nl",
    "'Solvarra = oplichters' lees ik hier steeds. Nou bij mij gewoon een legit rekening van Helder Energie die "
    "ik vergeten was. Check gewoon je dossier voor je gaat schreeuwen.")
add("youtube", "@PodcastFanNL", "en",
    "Solvarra's CEO on the BNR podcast talking about ethical collection was genuinely interesting, didn't expect "
    "that. Worth a listen.", kind="comment")
add("x", "@stroomloos", "en",
    "Helder Energie withdrew my file from Solvarra once I'd paid everything off, and I even got a confirmation "
    "letter. That's how it should work.")
add("x", "@wachtwoordloos", "nl",
    "wachtwoord vergeten voor MijnSolvarra, resetmail stond binnen een minuut in m'n inbox. dat heb ik bij m'n "
    "bank wel anders meegemaakt")
add("x", "@inge_legt_uit", "en",
    "The 'Solvarra' text in my spam had a link to solvarra-betaal.xyz. The real domain is solvarra.nl. Always "
    "check before you pay, people.")
add("facebook", "Henk.Jansen.Zwolle", "nl",
    "Onder elke post van Solvarra staan mensen 'kankerbedrijf' te roepen. Je mag best boos zijn, maar die mensen "
    "aan de telefoon doen ook gewoon hun werk.", kind="comment")
add("x", "@nl_business_wire", "en",
    "Solvarra denies reports of a restructuring. \"There are no plans to close any offices,\" a spokesperson "
    "told the AD.")
add("linkedin", "compliance-officer-marleen", "en",
    "Had a productive session with Solvarra's team on the Compliance Audit for our small energy supplier. "
    "\u20ac4.750 is not nothing, but it found real gaps in our dunning letters.")
add("x", "@opleidingsgek", "nl",
    "Leden van de branchevereniging krijgen 10% korting op Incasso Essentials, dus \u20ac715,50 ipv \u20ac795. Net "
    "ingeschreven \U0001F913")
add("x", "@anna_vrij", "en",
    "Officially debt free \U0001F389 last payment to Solvarra went out this morning. Never thought I'd see this "
    "day. Onto the next chapter")
add("x", "@tim_on_tech", "en",
    "Funny how Solvarra's VoiceBot understood my Limburg accent better than my bank's bot ever did. Sorted my "
    "payment date in 2 minutes.")
add("x", "@solvarra_nl", "nl",
    "Gepland onderhoud: in de nacht van 14 op 15 maart (01:00-05:00) is MijnSolvarra niet bereikbaar. Betalen "
    "via iDEAL kan dan even niet. Excuses voor het ongemak!", at="2026-03-10T11:00:00Z")
add("x", "@buurtcoach_jasmijn", "nl",
    "Tip voor iedereen met een brief van Solvarra: hun hulplijn 0800-7658 is gratis. Zet 'm in je telefoon en "
    "bel v\u00f3\u00f3r de termijn verloopt.")
add("x", "@solvarra_helpt", "en",
    "@yvon_ne Good question! We're a registered collection agency, you can find us at solvarra.nl or call "
    "+31 88 765 4400. Not sure about a letter? Send a photo to klantenservice@solvarra.nl and we'll tell you if "
    "it's really ours.", kind="reply")
add("x", "@dossier_drama", "en",
    f"case number {V['bad_nine_b60']} meant absolutely nothing to me, but one phone call later turns out it was "
    "that old Pixeltel bill. sorted \U0001F44D")
add("x", "@api_annelies", "nl",
    "Solvarra's API-docs gebruiken `Authorization: Bearer <YOUR_TOKEN>` in elk voorbeeld, lekker duidelijk. Binnen "
    "een middag draaide onze koppeling.")
add("tiktok", "@geldcoach.sam", "nl",
    "3 dingen die je MOET weten als Solvarra of een ander incassobureau je belt: 1) vraag om een specificatie "
    "2) check de WIK-kosten 3) vraag altijd een regeling aan. Volg voor meer \U0001F4B8")

# ======================= complaints =======================
add("x", "@boos_in_breda", "nl",
    "Al 3x gebeld met Solvarra, elke keer een ander verhaal. Eerst stond er \u20ac84 open, nu ineens \u20ac131 met "
    "'aanvullende kosten'. Waar slaat dit op?? @solvarra_helpt", [COM])
add("x", "@janneke_1987", "nl",
    "Rekening van Helder Energie op 2 mei gewoon betaald, betaalbewijs gemaild, en t\u00f3ch weer een aanmaning "
    "van Solvarra in de bus. Lezen jullie je mail eigenlijk wel?", [COM])
add("x", "@daphne_writes", "en",
    "@solvarra_helpt my payment plan has said 'in behandeling' for 19 days now and the chat just times out. "
    "What exactly am I supposed to do?", [COM], kind="reply")
add("facebook", "ryan.obrien.ie", "en",
    "Solvarra sent the letter to my old address, which I moved out of 2 years ago. Now there's \u20ac40 in extra "
    "costs because I supposedly 'didn't respond'. Great service, really.", [COM], kind="comment")
add("x", "@mo_k020", "nl",
    "47 min in de wacht bij solvarra en toen hingen ze op. ik ben er klaar mee #incasso #klantenservice", [COM])
add("x", "@ellie_b_nl", "en",
    "Solvarra called me 4 times today, the last one at 21:40. I already HAVE a payment arrangement with you. "
    "Please stop.", [COM])
add("x", "@ferry_tilburg", "nl",
    "\u20ac40 incassokosten op een restschuld van \u20ac11,20 van Zendmast Mobiel.. mag dat eigenlijk? voelt gewoon "
    "als afzetterij @solvarra_nl", [COM])
add("x", "@sjaakie_1974", "nl",
    "Solvarra heeft deze maand 2x dezelfde termijn afgeschreven. Sta ik rood, betaal ik rente aan de bank, en "
    "de klantenservice zegt 'duurt 10 werkdagen'. Echt bedankt.", [COM])
add("instagram", "@nadia.s.jpg", "en",
    "Your employee was so condescending on the phone. 'Well madam, you should have paid on time.' I called with a "
    "question about my arrangement, not for a lecture.", [COM], kind="comment")
add("x", "@lil_kev030", "nl",
    "bro solvarra stuurt me een brief voor een schuld bij Pixeltel terwijl ik daar NOOIT klant ben geweest. en "
    "nu moet ik zelf bewijzen dat t niet van mij is?? \U0001F921\U0001F921", [COM])
add("x", "@schuldhulp_wim", "nl",
    "Voor de 3e keer een verzoek tot stilzetten gestuurd aan Solvarra voor een cli\u00ebnt in het "
    "schuldhulptraject. Ze blijven gewoon brieven sturen. Mijn cli\u00ebnt slaapt er niet meer van.", [COM])
add("x", "@ravi_codes", "en",
    "Why does Solvarra's WhatsApp bot reply 'Sorry, dat begreep ik niet' to literally every message I send. "
    "Can I please talk to a human", [COM])
add("facebook", "Wilma.deGraaf", "nl",
    "Mijn moeder van 82 krijgt dreigende brieven van Solvarra over een energierekening die al maanden via de "
    "bewindvoerder loopt. Bewindvoerder gebeld, jullie gebeld, niks verandert. Schandalig hoe jullie met ouderen "
    "omgaan.", [COM], kind="comment")
# complaint + the customer's own personal data
add("x", "@gijs_vd_h", "nl",
    "@solvarra_helpt jullie zeggen dat mijn termijn niet binnen is. Ik heb op 3 juni gewoon \u20ac45 overgemaakt "
    f"vanaf {V['iban_c19']}, staat op m'n afschrift. Kijk nou eens goed in jullie systeem",
    [COM, PII], kind="reply", at="2026-06-09T18:12:00Z")
add("x", "@ellen_k_82", "en",
    "@solvarra_helpt 5 emails and no reply. Here's my number AGAIN since you keep 'losing' it: 06 2847 1930. "
    "Call me back today please.", [COM, PII], kind="reply")
# first-hand harm: complaint + crisis
add("facebook", "Samira.Elidrissi", "nl",
    "Door Solvarra is ons gas afgesloten terwijl mijn zoontje met longontsteking thuis lag. 11 graden binnen. "
    "Gisteravond is hij met de ambulance opgehaald. Dit had NOOIT mogen gebeuren en niemand neemt de telefoon op.",
    [COM, CRI], at="2026-02-03T07:22:00Z")
add("x", "@jordan_pike", "en",
    "The Solvarra agent who came to our door pushed it open and my dad (74) fell and broke his wrist. They said "
    "he'd only 'drop off a letter'. Police report filed.", [COM, CRI])
add("x", "@ilse_ter_horst", "nl",
    "Mijn vader (diabeet) kreeg na een intimiderend telefoontje van Solvarra een paniekaanval en belandde met "
    "een hypo op de SEH. Ze w\u00edsten dat hij ziek was, het staat gewoon in zijn dossier.", [COM, CRI])
add("tiktok", "@zoe.vlogt", "en",
    "Solvarra called my grandma 11 times in ONE day. She has dementia and thought she was going to jail. She "
    "got so upset she fell down the stairs \U0001F494 this company needs to be investigated #scandal", [COM, CRI])
# complaint + abuse
add("x", "@woedende_wendy", "nl",
    "Solvarra stelletje kutlijers, 5x gebeld over een rekening die AL BETAALD IS. Rot op met jullie "
    "'administratiekosten'.", [COM, ABU])
add("reddit", "u/angry_in_eindhoven", "en",
    "Solvarra are absolute scumbags. \u20ac60 in 'fees' on a \u20ac9 phone bill and they still can't tell me what "
    "it's for. Worst company I've ever dealt with.", [COM, ABU])

# ======================= crisis =======================
add("x", "@eerlijk_energie", "nl",
    "#BoycotSolvarra \U0001F4E2 Stap over naar een energieleverancier die niet met Solvarra samenwerkt. Lijstje "
    "staat in de reacties \U0001F447 Deel dit!", [CRI])
add("x", "@nl_newsdesk", "en",
    "BREAKING: Consumer group files class action against Solvarra over unlawful collection fees charged to an "
    "estimated 40,000 households.", [CRI])
add("x", "@marco_deventer", "nl",
    "Zijn er meer mensen die sms'jes krijgen met hun Solvarra-dossiernummer en het exacte openstaande bedrag "
    "erin, van een onbekend nummer? Dit stinkt naar een datalek bij Solvarra. #datalek", [CRI])
add("x", "@tvgids_tips", "en",
    "Tonight on Zembla: undercover footage from inside Solvarra shows collectors being told to keep calling "
    "vulnerable debtors 'until they break'. Hard to watch.", [CRI])
add("x", "@euro_finance_news", "en",
    "Netherlands: ACM hits Solvarra Incasso with a \u20ac1.8m fine for misleading collection letters sent to "
    "consumers with energy debts.", [CRI])
add("x", "@kamerwatcher", "nl",
    "Kamervragen over Solvarra na berichten dat het bureau beslag liet leggen op toeslagen van gedupeerde "
    "ouders. Als dit klopt is het een schandaal.", [CRI])
add("reddit", "u/frustrated_renter", "en",
    "Is anyone else part of the lawsuit against Solvarra? The lawyer says the deadline to join is October 1st. "
    "They overcharged me for 3 years.", [CRI], at="2026-08-19T21:03:00Z")
add("x", "@wik_watcher", "nl",
    "Solvarra blijkt jarenlang incassokosten boven het wettelijk maximum (WIK) te hebben gerekend. Tienduizenden "
    "mensen te veel betaald. Waar blijft de terugbetaling?", [CRI])
add("x", "@omroep_zuid_nieuws", "nl",
    "Bewoner (58) in Tilburg raakte gisteren gewond bij een beslaglegging door een deurwaarder die in opdracht "
    "van Solvarra werkte. De politie doet onderzoek.", [CRI])
add("x", "@leakwatch_eu", "en",
    "A file called 'solvarra_debiteuren_2026.csv' is being shared on a hacker forum, allegedly 180k Dutch "
    "debtors incl. phone numbers. Not verified yet. #databreach", [CRI])
add("x", "@kou_in_kerkrade", "nl",
    "Solvarra laat kwetsbare mensen letterlijk in de kou zitten. Tyfusbedrijf. #BoycotSolvarra", [CRI, ABU])

# ======================= abuse =======================
add("x", "@hanneke_h", "en",
    "Solvarra is a bunch of filthy parasites feeding off other people's misery. I hope none of you ever sleeps "
    "well again.", [ABU])
add("x", "@nomorevultures", "en",
    "@solvarra_nl go f*ck yourselves, you bloodsucking vultures", [ABU], kind="reply")
add("x", "@ramona_1990", "nl",
    "@marloes_vleeuwen jij bent toch die trut van Solvarra die mijn moeder aan de lijn uitlachte? Schaam je "
    "kapot.", [ABU], kind="reply")
add("x", "@dj_hofstede", "nl",
    "@gerrit_zwolle betaal dan gewoon je rekening, klaploper. Zeuren kan iedereen, afbetalen blijkbaar niet.",
    [ABU], kind="reply")
add("x", "@tha_realest_020", "nl",
    "S0lv4rr4 = k4nk3rb3dr1jf. 1k h00p d4t jull1e f41ll13t g44n", [ABU])
add("x", "@boze_buurman", "nl",
    cyrillic("Solvarra") + " zijn gewoon klootzakken, punt uit.", [ABU])
add("x", "@nina_ams", "nl",
    "die vrouw van solvarra aan de telefoon was echt een k.u.t.w.i.j.f, sorry not sorry", [ABU])
add("facebook", "Gerard.Bosch.1961", "nl",
    "Natuurlijk heet die 'medewerker' van Solvarra weer Mohammed. Ga lekker terug naar je eigen land en laat ons "
    "met rust.", [ABU], kind="comment")
add("x", "@solvarra_helpt", "nl",
    "@anoniem_1234 Misschien eerst je eigen rekeningen betalen voordat je hier loopt te janken? \U0001F644",
    [ABU], kind="reply")

# ======================= confidential =======================
add("linkedin", "tim-oosterhuis-solvarra", "en",
    "Exciting times! In January we launch Solvarra Kompas: one score that shows which payment plan is actually "
    "realistic for someone. Energy clients, keep your calendar free for the demo \U0001F440",
    [CONF], at="2026-11-24T08:10:00Z")
add("x", "@femkedejong_", "nl",
    "De designs voor KompasScore zijn af en ze zijn z\u00f3 mooi \U0001F60D kan niet wachten tot de rest van "
    "Nederland het ziet", [CONF], at="2026-12-08T13:37:00Z")
add("x", "@marloes_vleeuwen", "nl",
    "Wie heeft de nieuwe KPI-sheet? Oude link werkt niet meer: https://wiki.solvarra.local/klantcontact/kpi-2026 "
    "help \U0001F64F", [CONF])
add("x", "@benthe_nl", "nl",
    "lol een vriend stuurde me een screenshot van een Solvarra-document met 'UITSLUITEND INTERN' erboven. Ze "
    "scoren bellers op 'betaalbereidheid' van 1 tot 5 \U0001F480", [CONF])
add("linkedin", "tim-oosterhuis-solvarra", "en",
    "Small teaser for our energy clients: a new module is coming that predicts payment behaviour before the "
    "first missed bill. Can't say more yet, NDA \U0001F910 Who wants to be a pilot customer?", [CONF])
add("x", "@femkedejong_", "en",
    "Sneak peek from our offsite \U0001F60E slide title: 'SOLVARRA CONFIDENTIAL \u2013 Roadmap H1 2027: VoiceBot "
    "2.0, Betaalbot in Belgium, new scoring engine GA'", [CONF])
add("mastodon", "@rdekker@fosstodon.org", "en",
    "Kraanvogel cutover is this weekend, whole team on standby. If you see me posting at 3am, no you didn't "
    "#devops", [CONF])
add("instagram", "@anouk.belt", "nl",
    "Niet extern delen: vanaf 1 april gaan de tarieven voor alle Pixeltel-dossiers met 12% omhoog. Dus hou het "
    "even binnen het team jongens", [CONF], at="2026-03-05T12:20:00Z")
add("x", "@karim_haddou", "en",
    fullwidth("project eikenhout") + " is nearly done \U0001F92B that's all I'm saying", [CONF])
add("bluesky", "@lisawouters.bsky.social", "nl",
    "Operatie Zan" + ZW + "dloper: eerste sessie met de stuurgroep zit erop. Lange dag, maar goeie energie!",
    [CONF])
add("x", "@koen_rdam", "nl",
    "Zwager werkt bij Solvarra en vertelde over 'Kompas Score', een AI-ding dat bepaalt wie vaker gebeld "
    "wordt. Komt volgens hem begin volgend jaar uit. Beetje eng eerlijk gezegd.", [CONF],
    at="2026-09-14T20:51:00Z")
add("instagram", "@solvarra.nl", "nl",
    "Sneak peek \U0001F440 Solvarra Kompas komt eraan\u2026 meer vertellen we in het nieuwe jaar \u2728 "
    "#comingsoon", [CONF], at="2026-12-15T17:00:00Z")
# confidential + financial
add("linkedin", "esther-kramer-solvarra", "en",
    "Proud to be leading Operatie Zandloper: merging our Zwolle and Utrecht back offices and cutting roughly 60 "
    "roles by Q3. Hard decisions, but the right ones.", [CONF, FIN], at="2026-03-24T06:55:00Z")
add("x", "@femkedejong_", "nl",
    "Jaarcijfers 2026 net binnen en ze zijn \U0001F525\U0001F525\U0001F525 mag nog niks zeggen maar de champagne "
    "staat koud \U0001F37E", [CONF, FIN], at="2027-02-10T16:30:00Z")
add("x", "@beurs_bram", "en",
    "Hearing Solvarra's FY2026 results will show a profit drop of around 30%, publication next week. "
    "Interesting for anyone holding their bonds.", [CONF, FIN], at="2027-02-20T10:14:00Z")
add("linkedin", "esther-kramer-solvarra", "nl",
    "Board heeft vandaag ingestemd met de overname van Incasso Nord (Project Eikenhout). Persbericht volgt op "
    "12 mei, tot die tijd mondje dicht \U0001F910", [CONF, FIN], at="2026-04-28T17:40:00Z")

# ======================= financial =======================
add("x", "@marloes_vleeuwen", "nl",
    "Hoor net dat we Incassoburo De Waal gaan overnemen! Deal wordt in maart getekend, eindelijk meer "
    "collega's in het oosten \U0001F389", [FIN], at="2026-01-20T12:02:00Z")
add("bluesky", "@lisawouters.bsky.social", "en",
    "Heavy weeks here: around 90 FTE will go in Utrecht and Zwolle in Q3, and staff won't hear about it until "
    "June. If you're hiring people with customer-contact experience, DM me already.", [FIN],
    at="2026-05-12T20:15:00Z")
add("linkedin", "esther-kramer-solvarra", "en",
    "Closed Q3 internally: revenue up 14% year on year, EBITDA well ahead of budget. Great to see what this team "
    "delivers, the numbers go public later \U0001F609", [FIN], at="2026-10-08T07:30:00Z")
add("x", "@insider_ivo", "en",
    "Word is that PE firm Northgate Capital wants to buy Solvarra for around \u20ac120m. No announcement until "
    "after the summer.", [FIN])
add("mastodon", "@rdekker@fosstodon.org", "en",
    "Between us: we're losing the Pixeltel contract at year end. That's roughly 22% of our volume. Nobody "
    "outside mgmt knows yet, so act surprised in December.", [FIN], at="2026-09-22T22:10:00Z")
add("linkedin", "tim-oosterhuis-solvarra", "en",
    "Just saw the 2027 forecast: we expect 30% more cases because of this winter's energy bills. We're going to "
    "grow fast \U0001F4C8 (not public yet, mind you)", [FIN], at="2026-11-14T09:45:00Z")
add("reddit", "u/bakfietsbert", "en",
    "Throwaway-ish but: management told us today the Zwolle office closes in June. Everyone moves to Utrecht or "
    "takes the package. Official announcement is next month.", [FIN], at="2026-02-17T19:25:00Z")
add("x", "@buurvrouw_praat", "nl",
    "Mijn buurvrouw werkt bij Solvarra en zegt dat ze dit jaar flink verlies gaan draaien, miljoenen. Ze mogen "
    "er niks over zeggen.", [FIN])
add("linkedin", "noor-bouzid-solvarra", "en",
    "H1 numbers just landed in my dashboard: revenue \u20ac26.4m vs \u20ac23.1m budget. Keep it quiet till the "
    "August release \U0001F64F", [FIN], at="2026-07-15T14:05:00Z")

# ======================= security =======================
add("x", "@karim_haddou", "nl",
    "Vannacht ransomware op de printstraat-servers. Alle brieven van deze week liggen stil en er is nog niks "
    "naar klanten of de AP gecommuniceerd, dus mondje dicht graag.", [SECU])
add("linkedin", "noor-bouzid-solvarra", "en",
    "Found out our debtor portal lets you open someone else's dossier just by changing the number in the URL. "
    "Reported it 3 weeks ago, ticket still open \U0001F926\u200D\u2640\uFE0F", [SECU])
add("mastodon", "@rdekker@fosstodon.org", "en",
    "Hour 3 of the payment page being down at work. Status page still says all green because comms hasn't "
    "signed off on the message yet lol", [SECU])
add("bluesky", "@lisawouters.bsky.social", "en",
    "SSO at the office has been dead for 2 days so everyone is just sharing accounts \U0001F643 IT says it's "
    "'not an incident'. don't tell the customers lol", [SECU])
add("reddit", "u/bakfietsbert", "en",
    "Our phishing sim results were bad, but worse: last week someone actually got into a team lead's mailbox "
    "and forwarded debtor lists to an outside address. Legal is still deciding whether to notify the AP.", [SECU])
add("reddit", "u/throwaway_incasso99", "en",
    "I work in IT at a Dutch debt collector (Solvarra). Our Citrix gateway has had an unpatched critical CVE for "
    "2 months and management keeps postponing the fix. Someone outside should know.", [SECU])
add("x", "@dj_hofstede", "nl",
    "Collega's buitendienst: de deurwaardersapp is gehackt of zoiets, iedereen moet opnieuw inloggen en we "
    "mogen er tegen klanten n\u00edks over zeggen. Fijne maandag.", [SECU])
add("x", "@karim_haddou", "en",
    "Heads up team: the SFTP drop from Helder Energie was reachable from the internet with default credentials "
    "since January. Closed now, not disclosing yet.", [SECU])
add("x", "@marloes_vleeuwen", "nl",
    "Sinds de update van vanochtend ziet een deel van de klanten in MijnSolvarra het dossier van iemand anders "
    "\U0001F62C we zijn ermee bezig, extern is er nog niks gemeld", [SECU])
add("x", "@femkedejong_", "nl",
    "d a t a l e k bij ons vannacht. nog niet bekendgemaakt dus sst \U0001F92B", [SECU])
add("instagram", "@anouk.belt", "nl",
    "Grappig (niet): de VoiceBot leest bij sommige bellers het BSN van de v\u00f3rige beller voor. Bug staat op "
    "prio 1 maar is nog steeds niet opgelost \U0001F648", [SECU])
add("x", "@dj_hofstede", "nl",
    "vpn.solvarra.nl ligt er w\u00e9\u00e9r uit, 3e keer deze week. Niemand kan thuiswerken en IT fluistert iets "
    "over een DDoS. Officieel is het 'onderhoud' natuurlijk.", [SECU, CONF])
add("mastodon", "@rdekker@fosstodon.org", "en",
    "Post-mortem draft: the phishing wave to our debtors last night went out through our own SendGrid account. "
    f"Leaked key was {V['sendgrid']} . Revoked now, not public yet.", [SECU, SEC])

# ======================= secrets =======================
add("linkedin", "noor-bouzid-solvarra", "en",
    "Why does this fail again \U0001F629 `psql \"postgresql://collect_app:" + V["pg_pw"] +
    "@db-prod-03.solvarra.local:5432/dossiers\"` times out from the new laptop", [SEC, CONF])
add("mastodon", "@rdekker@fosstodon.org", "en",
    f"note to self because I keep losing it: deploy bot token {V['ghp']} (yes I know, moving it to the vault "
    "on monday)", [SEC])
add("reddit", "u/bakfietsbert", "en",
    "Why does boto3 ignore my profile?? ~/.aws/credentials:\n[default]\naws_access_key_id = " + V["akia"] +
    "\naws_secret_access_key = " + V["aws_secret"] + "\nregion = eu-west-1", [SEC])
add("x", "@femkedejong_", "nl",
    "betaallink in de campagnemail werkt niet \U0001F62D developer zegt 'check MOLLIE_API_KEY=" + V["mollie"] +
    " in de .env', wie snapt dit", [SEC])
add("x", "@marloes_vleeuwen", "nl",
    f"Onze Slack-bot voor de wachtrijmeldingen werkt eindelijk!! token {V['slack']} hier bewaren zodat ik 'm "
    "nooit meer kwijt ben haha", [SEC])
add("bluesky", "@lisawouters.bsky.social", "en",
    "Finally got our little HR questions bot working \U0001F916 OPENAI_API_KEY=" + V["openai"] +
    " now to figure out how to share it with colleagues", [SEC])
add("reddit", "u/freelance_joris", "en",
    "Solvarra Connect API keeps rejecting my token with a 401, anyone know why? Authorization: Bearer " +
    V["jwt"], [SEC])
add("instagram", "@anouk.belt", "nl",
    "Voor de nieuwe collega's van team Oost \U0001F49C gedeelde mailbox, inlog: teamoost, wacht" + ZW +
    "woord: " + V["pw_z8"] + " (niet kwijtraken!)", [SEC])
add("mastodon", "@rdekker@fosstodon.org", "en",
    "which one of you pasted this into the public wiki \U0001F610\n" + V["pem"], [SEC])
add("x", "@webdev_sem", "en",
    "Shipped the checkout for a debt collection client (Solvarra) today \U0001F389 prod key `" + V["stripe"] +
    "` worked first try, never happens", [SEC])
add("linkedin", "noor-bouzid-solvarra", "en",
    "Anyone used the Anthropic API? ANTHROPIC_API_KEY=" + V["anthropic"] +
    " is set correctly and I still get a 401 \U0001F624", [SEC])

# ======================= personal data =======================
add("instagram", "@anouk.belt", "nl",
    "Deze meneer belde vandaag 6x \U0001F602 Johan Verbeek, geboren 14-03-1968, Lindelaan 22 in Apeldoorn. "
    "Meneer, we h\u00e9bben uw regeling echt al.", [PII])
add("x", "@solvarra_helpt", "nl",
    "@k_smit90 We hebben je regeling aangepast! De bevestiging gaat naar k.smit1990@hotmail.com en Kevin belt je "
    "morgen op 06-41 27 88 30. ^Ilse", [PII], kind="reply")
add("x", "@marloes_vleeuwen", "nl",
    f"Kan iemand van finance checken waarom de betaling van {V['iban_p3']} niet matcht met dossier "
    "SLV-26-04415? Klant wordt gek van ons", [PII])
add("x", "@dj_hofstede", "nl",
    f"Hoe koppel ik een dossier als de klant alleen BSN {V['bsn_p4']} doorgeeft? Systeem vindt niks en ik sta "
    "al voor de deur \U0001F644", [PII])
add("instagram", "@anouk.belt", "nl",
    f"klant las vandaag gewoon z'n creditcard voor aan de telefoon: {V['card_p5']} exp 09/28 \U0001F644 moet ik "
    "dit nou ergens noteren of niet", [PII])
add("x", "@marieke_db", "en",
    "@solvarra_helpt can someone please call me? Marieke de Boer, dob 02/11/1991, dossier 7731-22, phone "
    "+31 6 1938 4472. Thanks!", [PII], kind="reply")
add("facebook", "SolvarraIncasso", "nl",
    f"Hoi Sandra, we zien je betaling van \u20ac120 vanaf {V['iban_p10']} binnengekomen op 4 juli. Dank je wel, je "
    "dossier is hiermee afgesloten! \U0001F389", [PII], kind="reply", at="2026-07-05T10:31:00Z")
add("linkedin", "esther-kramer-solvarra", "nl",
    "Top 3 open items this week \U0001F605\n"
    f"1. R. Kok, {V['iban_p11a']} \u2014 \u20ac4.120\n"
    f"2. M. Yilmaz, {V['iban_p11b']} \u2014 \u20ac3.875\n"
    f"3. P. de Wit, {V['iban_p11c']} \u2014 \u20ac3,410\nWho's picking these up?", [PII])
add("x", "@bas_uit_ede", "nl",
    f"Chatbot van Solvarra vraagt om m'n BSN, nou vooruit: {V['bsn_p12']}. Hopelijk kan ik nu die regeling "
    "afronden", [PII])
add("x", "@dj_hofstede", "nl",
    "Mevrouw wil v\u00f3\u00f3r vijf uur teruggebeld worden op " + fullwidth("06-23456789") +
    ", wie van binnendienst pakt 'm? ik zit in de auto", [PII])
add("linkedin", "noor-bouzid-solvarra", "en",
    "Anyone recognise this record from the 'test' export? 'Daan Visser, Prinsengracht 231, Amsterdam, born "
    "7 July 1984, owes \u20ac2,310 to Helder Energie'. Pretty sure that's real data, not synthetic \U0001F62C", [PII])
add("x", "@marloes_vleeuwen", "nl",
    "Mevrouw Aydin uit Schiedam wil teruggebeld worden op 010-4127733, iemand? Ik zit vol tot 17u", [PII])
add("x", "@wraak_willem", "nl",
    "Die deurwaarder van Solvarra die bij ons kwam heet Henk Mulder en woont gewoon op de Kerkstraat 14 in "
    "Amersfoort. Ga maar eens bij h\u00e9m op de stoep staan, kijken hoe hij dat vindt.", [PII, ABU])

# ======================= pricing =======================
add("linkedin", "tim-oosterhuis-solvarra", "en",
    "Deal of the year \U0001F605 sold Telecom Recovery to a new provider for \u20ac390 a month. Don't tell "
    "finance", [PRI])
add("linkedin", "solvarra-incasso", "en",
    "This month only: a full Compliance Audit for just \u20ac475! Let our experts put your collection process "
    "under the microscope.", [PRI])
add("x", "@anne_checkt", "nl",
    "Uhm, op de site van Solvarra staat Gerechtelijk Traject voor \u20ac49,50 per dossier? Dat is toch een "
    "prijsfout lol, screenshot gemaakt", [PRI])
add("x", "@femkedejong_", "nl",
    "Prijsfout op de tarievenpagina!! Deurwaarder Direct staat er voor \u20ac32,50 ipv \u20ac325. Wie van web kan "
    "dit fixen voordat sales het ziet \U0001F631", [PRI])
add("reddit", "u/small_telco_ops", "en",
    "Solvarra just quoted us \u20ac95/month for Connect API. Is that real?? Signing before they notice", [PRI])
add("threads", "@solvarra.nl", "nl",
    "Voor de eerste 10 energieco\u00f6peraties die tekenen: EnergieRetentie voor \u20ac199 per maand \U0001F64C "
    "Reageer met JA", [PRI])
add("instagram", "@solvarra.nl", "nl",
    "\U0001F5A4 BLACK FRIDAY \U0001F5A4 Portfolio Scan nu voor \u20ac240 (normaal \u20ac2.400). Alleen vandaag!",
    [PRI], at="2026-11-27T07:00:00Z")
add("x", "@kim_leert", "nl",
    "Solvarra Academy heeft Incasso Essentials voor \u20ac7,95 in de webshop staan. Komma verkeerd gezet denk ik "
    "\U0001F602 snel bestellen?", [PRI])
add("linkedin", "esther-kramer-solvarra", "en",
    "Typo in the offer we sent Zendmast Mobiel: VoiceBot at \u20ac199 a month instead of \u20ac1,990. And they "
    "already signed. Great start to my Monday.", [PRI])
add("mastodon", "@rdekker@fosstodon.org", "en",
    "Billing bug of the week: one client got Minnelijk Plus invoiced at \u20ac6,90 per dossier for a whole month. "
    "The decimal strikes again \U0001F648", [PRI])
add("x", "@pricing_nerd", "en",
    "Betaalbot listed at \u20ac69 on Solvarra's pricing page lol, someone forgot a zero", [PRI])
add("linkedin", "tim-oosterhuis-solvarra", "nl",
    "Interne prijslijst 2027 (niet extern delen!): Portfolio Waardering gaat naar \u20ac1.200, was \u20ac3.900. "
    "Goed nieuws voor mijn pipeline \U0001F60E", [PRI, CONF])


# ---------------------------------------------------------------- role and severity
LEVELS = ["none", "info", "warning", "error", "critical"]
ROLES = {}
for role in ("corporate", "employee"):
    for acc in PROFILE["accounts"][role]:
        ROLES[acc.lower()] = role


def role_of(platform, handle):
    return ROLES.get(("%s:%s" % (platform, handle)).lower(), "public")


def norm(text):
    t = unicodedata.normalize("NFKC", text)
    return re.sub("[\u200b\u200c\u200d\u2060\ufeff]", "", t)


IBAN_RE = re.compile(r"\b[A-Z]{2}\s?\d{2}\s?[A-Z]{4}\s?\d{4}\s?\d{4}\s?\d{2}\b", re.I)
CARD_RE = re.compile(r"(?<![0-9A-Za-z])(?:\d{4}[ -]?){3}\d{1,4}(?![0-9A-Za-z])")
BSN_RE = re.compile(r"(?<![0-9A-Za-z])\d{9}(?![0-9A-Za-z])")
PUBLIC_IBANS = {re.sub(r"\s", "", i).upper() for i in PROFILE["public_identifiers"]["ibans"]}


def identifiers(text):
    """(kind, value, valid) for every IBAN/card/BSN-shaped token; the company's own IBAN is skipped."""
    t = norm(text)
    out = []
    for m in IBAN_RE.finditer(t):
        v = re.sub(r"\s", "", m.group(0)).upper()
        if v not in PUBLIC_IBANS:
            out.append(("iban", v, iban_ok(v)))
    for m in CARD_RE.finditer(t):
        out.append(("card", m.group(0), luhn_ok(m.group(0))))
    for m in BSN_RE.finditer(t):
        out.append(("bsn", m.group(0), bsn_ok(m.group(0))))
    return out


def severity(cats, role, text):
    strong = any(ok for _, _, ok in identifiers(text))
    s = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                v = "critical" if (c in (SEC, PRI) or (c == PII and strong)) else "error"
            else:
                v = "warning"
        elif c == COM:
            v = "warning"
        elif c == CRI:
            v = "error"
        elif c == ABU:
            v = "error" if role in ("corporate", "employee") else "warning"
        else:
            raise ValueError(c)
        s = max(s, LEVELS.index(v))
    return LEVELS[s]


# ---------------------------------------------------------------- write
srng.shuffle(CASES)
rows = []
for n, c in enumerate(CASES, 1):
    role = role_of(c["platform"], c["handle"])
    acc = {"handle": c["handle"]}
    if c["name"]:
        acc["display_name"] = c["name"]
    post = {"id": "%s-310%03d" % (c["platform"], n), "platform": c["platform"], "kind": c["kind"],
            "account": acc, "text": c["text"], "lang": c["lang"], "created_at": c["at"], "brand": "Solvarra"}
    rows.append({"post": post, "expect": {"categories": c["cats"],
                                          "severity": severity(c["cats"], role, c["text"])}})
with OUT.open("w", encoding="utf-8") as f:
    for r in rows:
        f.write(json.dumps(r, ensure_ascii=False) + "\n")

# ---------------------------------------------------------------- self-check (re-reads the file)
errors = []


def err(i, msg):
    errors.append("%s: %s" % (i, msg))


EXEMPT_IDS = set()
for r, c in zip(rows, CASES):
    if c["exempt"]:
        EXEMPT_IDS.add(r["post"]["id"])

PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
TAXO = {PII, SEC, PRI, CONF, FIN, SECU, CRI, COM, ABU}
INTERNAL = [s.lower() for s in PROFILE["internal"]["domains"] + PROFILE["internal"]["codenames"]
            + PROFILE["internal"]["markers"]]
EMBARGO = [([t.lower() for t in e["terms"]], datetime.fromisoformat(e["until"].replace("Z", "+00:00")))
           for e in PROFILE["embargo"]]
RATIO = PROFILE["pricing"]["alert_below_ratio"]
PRICE_ERR = re.compile(r"prijsfout|price error|typo|komma verkeerd|forgot a zero|decimal", re.I)


def parse_price(s):
    s = s.rstrip(".,")
    if re.fullmatch(r"\d{1,3}([.,]\d{3})+", s):
        return float(re.sub(r"[.,]", "", s))
    m = re.fullmatch(r"(\d+)(?:[.,](\d{1,2}))?", s)
    if not m:
        return None
    return float(m.group(1) + "." + (m.group(2) or "0"))


def prices(text):
    out = []
    for m in re.finditer(r"\u20ac\s?(\d[\d.,]*)", text):
        p = parse_price(m.group(1))
        if p is not None:
            out.append(p)
    for m in re.finditer(r"(\d[\d.,]*)\s?(?:euro|EUR)\b", text):
        p = parse_price(m.group(1))
        if p is not None:
            out.append(p)
    return out


def products_in(text):
    hits = []
    for p in PROFILE["products"]:
        for a in [p["name"]] + p["aliases"]:
            if re.search(r"(?<![\w])" + re.escape(a) + r"(?![\w])", text, re.I):
                hits.append(p)
                break
    return hits


def has_secret(t):
    """Validated credentials present in a text (documentation samples and masks excluded)."""
    found = []
    for m in re.finditer(r"gh[pousr]_[0-9A-Za-z]{36}\b", t):
        if github_ok(m.group(0)):
            found.append("github")
    for m in re.finditer(r"\bAKIA[A-Z2-7]{16}\b", t):
        if "EXAMPLE" not in m.group(0):
            found.append("aws")
    for m in re.finditer(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+", t):
        h = m.group(0).split(".")[0]
        try:
            hdr = json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)))
            if "alg" in hdr:
                found.append("jwt")
        except Exception:
            pass
    if re.search(r"-----BEGIN [A-Z ]*PRIVATE KEY-----\n[A-Za-z0-9+/=]{40,}", t):
        found.append("pem")
    if re.search(r"\b\w+://[^\s:/@]+:[^\s@*]{6,}@[\w.-]+", t):
        found.append("dburl")
    if re.search(r"wachtwoord\s*[:=]\s*[^\s*]{6,}", t, re.I):
        found.append("password")
    for pat, name in ((r"\bsk_live_[0-9A-Za-z]{24,}", "stripe"), (r"\bxoxb-\d{10,13}-\d{10,13}-[0-9A-Za-z]{24}", "slack"),
                      (r"\bsk-proj-[\w-]{40,}T3BlbkFJ[\w-]{40,}", "openai"), (r"\bsk-ant-api03-[\w-]{90,}", "anthropic"),
                      (r"\blive_[0-9A-Za-z]{30}\b", "mollie"), (r"\bSG\.[\w-]{22}\.[\w-]{43}", "sendgrid")):
        if re.search(pat, t):
            found.append(name)
    return found


lines = OUT.read_text(encoding="utf-8").splitlines()
seen = set()
counts = {c: 0 for c in sorted(TAXO)}
benign = 0
langs = {}
roles_seen = {"corporate": 0, "employee": 0, "public": 0}
leak_by_role = {"corporate": 0, "employee": 0, "public": 0}
rep_by_role = {"corporate": 0, "employee": 0, "public": 0}
for ln in lines:
    r = json.loads(ln)
    p, e = r["post"], r["expect"]
    i = p.get("id")
    if set(r) != {"post", "expect"}:
        err(i, "top-level keys")
    if not isinstance(i, str) or not 1 <= len(i) <= 256 or i in seen:
        err(i, "bad or duplicate id")
    seen.add(i)
    if p["platform"] not in PLATFORMS:
        err(i, "platform")
    if p.get("kind", "post") not in KINDS:
        err(i, "kind")
    if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str):
        err(i, "account.handle")
    if not isinstance(p.get("text"), str) or not p["text"] or len(p["text"].encode("utf-8")) > 65536:
        err(i, "text")
    try:
        ts = datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", p["created_at"])
        assert ts.year in (2026, 2027)
    except Exception:
        err(i, "created_at")
        ts = None
    cats = e["categories"]
    if cats != sorted(set(cats)) or not set(cats) <= TAXO:
        err(i, "categories")
    if e["severity"] not in LEVELS:
        err(i, "severity value")
    role = role_of(p["platform"], p["account"]["handle"])
    roles_seen[role] += 1
    if e["severity"] != severity(cats, role, p["text"]):
        err(i, "severity does not follow the policy")
    if not cats and e["severity"] != "none":
        err(i, "benign must be none")
    if cats and e["severity"] in ("none", "info"):
        err(i, "positive with none/info")
    for c in cats:
        counts[c] += 1
    if not cats:
        benign += 1
    if any(c.startswith("leak.") for c in cats):
        leak_by_role[role] += 1
    if any(c.startswith("reputation.") for c in cats):
        rep_by_role[role] += 1
    langs[p["lang"]] = langs.get(p["lang"], 0) + 1
    t = norm(p["text"])
    tl = t.lower()
    # identifiers: valid in personal-data posts, failing everywhere else
    ids = identifiers(p["text"])
    if PII in cats:
        for kind, v, ok in ids:
            if not ok:
                err(i, "personal-data post holds a %s that fails its checksum: %s" % (kind, v))
    else:
        for kind, v, ok in ids:
            if ok:
                err(i, "non-PII post holds a valid %s: %s" % (kind, v))
    # credentials
    sec = has_secret(t)
    if SEC in cats and not sec:
        err(i, "secret post without a recognisable credential")
    if SEC not in cats and sec:
        err(i, "credential in a post not labelled leak.secret: %s" % sec)
    # internal terms
    if any(term in tl for term in INTERNAL) and CONF not in cats and i not in EXEMPT_IDS:
        err(i, "internal term in a post not labelled confidential")
    # embargo
    for terms, until in EMBARGO:
        if any(term in tl for term in terms) and ts is not None and ts < until and CONF not in cats:
            err(i, "embargoed term before its end, not labelled confidential")
    if CONF in cats:
        emb = any(any(term in tl for term in terms) and ts < until for terms, until in EMBARGO)
        internal = any(term in tl for term in INTERNAL)
        unreleased = re.search(r"\bNDA\b|nog niet zeggen|binnenkort|komt er een module", t)
        if not (emb or internal or unreleased):
            err(i, "confidential post without codename/marker/internal host/embargo/unreleased product")
    # pricing
    prods = products_in(t)
    ps = prices(t)
    if PRI in cats:
        if not prods:
            err(i, "pricing post without a catalogue product")
        elif not (any(pr < RATIO * pd["list_price"] for pr in ps for pd in prods) or PRICE_ERR.search(t)):
            err(i, "pricing post without a price below the alert ratio or a price-error remark")
    elif prods and ps:
        low = min(pd["list_price"] for pd in prods) * RATIO
        if any(pr < low for pr in ps):
            err(i, "benign/other post with a product price below the alert ratio")
    # public handles must not collide with the profile
    if role == "public" and p["account"]["handle"].lower() in {a.split(":", 1)[1].lower() for a in ROLES}:
        err(i, "public handle shadows a profile handle")

# company public identifiers must validate
for ib in PROFILE["public_identifiers"]["ibans"]:
    if not iban_ok(ib):
        errors.append("profile IBAN fails mod-97: " + ib)
# generated values
assert github_ok(V["ghp"]) and re.fullmatch(r"AKIA[A-Z2-7]{16}", V["akia"])

n = len(lines)
if not 170 <= n <= 180:
    errors.append("case count %d outside 170-180" % n)
if not 55 <= benign <= 65:
    errors.append("benign count %d" % benign)
TARGET = {COM: (18, 23), CONF: (16, 20), PII: (13, 17), CRI: (13, 17), SECU: (11, 15), SEC: (10, 14),
          ABU: (10, 14), PRI: (10, 14), FIN: (10, 14)}
for c, (lo, hi) in TARGET.items():
    if not lo <= counts[c] <= hi:
        errors.append("count of %s is %d, outside %d-%d" % (c, counts[c], lo, hi))
nl_share = langs.get("nl", 0) / n
if not 0.48 <= nl_share <= 0.62:
    errors.append("Dutch share %.2f" % nl_share)
if not (len(PROFILE["accounts"]["corporate"]) >= 6 and len(PROFILE["accounts"]["employee"]) >= 8
        and len(PROFILE["internal"]["codenames"]) == 3 and len(PROFILE["internal"]["markers"]) == 3
        and 15 <= len(PROFILE["products"]) <= 25 and RATIO == 0.5):
    errors.append("profile shape")

print("cases %d, benign %d, positives %d" % (n, benign, n - benign))
print("categories:", json.dumps(counts))
print("languages:", langs, "nl share %.2f" % nl_share)
print("roles:", roles_seen, "leaks by role:", leak_by_role, "reputation by role:", rep_by_role)
if errors:
    print("SELF-CHECK FAILED (%d):" % len(errors))
    for x in errors:
        print("  " + x)
    sys.exit(1)
print("self-check OK")
