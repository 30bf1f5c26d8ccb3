#!/usr/bin/env python3
"""Build cases.jsonl for the sealed evaluation set 450 (Kaaklijn Prothetiek B.V.).

Deterministic: fixed seed, standard library plus PyYAML. The post texts are written by
hand; only the credentials and identifiers inside them are generated here, the way the
real ones are built (with their checksums). Severities are computed from CONTRACT §4 and
the account role in profile.yaml, never typed by hand. The script checks its own output
and exits non-zero when a check fails.
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
OUT = os.path.join(HERE, "cases.jsonl")

RNG = random.Random(450_2026)

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # 0-9A-Za-z
B62 = ALNUM

# --------------------------------------------------------------------------- checksums


def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    n = int("".join(str(int(c, 36)) for c in r))
    return n % 97 == 1


def make_iban(bank):
    bban = bank + "".join(RNG.choice(string.digits) for _ in range(10))
    r = bban + "NL00"
    n = int("".join(str(int(c, 36)) for c in r))
    return "NL%02d%s" % (98 - n % 97, bban)


def bad_iban(bank):
    good = make_iban(bank)
    chk = int(good[2:4])
    bad = "NL%02d%s" % ((chk + RNG.randint(1, 9)) % 100, good[4:])
    assert not iban_ok(bad)
    return bad


def fmt_iban(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def luhn_ok(digits):
    digits = re.sub(r"\D", "", digits)
    tot = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        tot += d
    return len(digits) >= 12 and tot % 10 == 0


def make_card(prefix, length=16):
    body = prefix + "".join(RNG.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for last in string.digits:
        if luhn_ok(body + last):
            return body + last
    raise AssertionError


def bad_card(prefix, length=16):
    good = make_card(prefix, length)
    bad = good[:-1] + str((int(good[-1]) + RNG.randint(1, 9)) % 10)
    assert not luhn_ok(bad)
    return bad


def fmt_card(s, sep=" "):
    return sep.join(s[i:i + 4] for i in range(0, len(s), 4))


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9:
        return False
    tot = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return tot % 11 == 0 and s != "000000000"


def make_bsn():
    while True:
        s = str(RNG.randint(1, 9)) + "".join(RNG.choice(string.digits) for _ in range(8))
        if bsn_ok(s):
            return s


def bad_nine():
    while True:
        s = str(RNG.randint(1, 9)) + "".join(RNG.choice(string.digits) for _ in range(8))
        if not bsn_ok(s):
            return s


# --------------------------------------------------------------------------- secrets


def rand(alphabet, n):
    return "".join(RNG.choice(alphabet) for _ in range(n))


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
    return "AKIA" + rand(string.ascii_uppercase + "234567", 16)


def aws_secret():
    return rand(string.ascii_letters + string.digits + "/+", 40)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt():
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    iat = 1780000000 + RNG.randint(0, 9_000_000)
    body = b64url(json.dumps({"sub": "pat_%d" % RNG.randint(100000, 999999), "role": "patient",
                              "iss": "mijn-kaaklijn", "iat": iat, "exp": iat + 3600},
                             separators=(",", ":")).encode())
    sig = b64url(bytes(RNG.getrandbits(8) for _ in range(32)))
    return "%s.%s.%s" % (head, body, sig)


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    h = parts[0] + "=" * (-len(parts[0]) % 4)
    try:
        return "alg" in json.loads(base64.urlsafe_b64decode(h))
    except Exception:
        return False


def slack_bot_token():
    return "xoxb-%s-%s-%s" % (rand(string.digits, 11), rand(string.digits, 13), rand(ALNUM, 24))


def openai_key():
    return "sk-proj-" + rand(ALNUM + "_-", 74) + "T3BlbkFJ" + rand(ALNUM + "_-", 74)


def mollie_live():
    return "live_" + rand(ALNUM, 30)


def stripe_live():
    return "sk_live_51" + rand(ALNUM, 97)


def gitlab_pat():
    return "glpat-" + rand(ALNUM + "_-", 20)


def openssh_private_key():
    raw = b"openssh-key-v1\x00" + bytes(RNG.getrandbits(8) for _ in range(385))
    body = base64.b64encode(raw).decode()
    lines = [body[i:i + 70] for i in range(0, len(body), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def password(word):
    return word + RNG.choice("!#$%&*") + rand(string.digits, 4) + rand(string.ascii_letters, 3)


# --------------------------------------------------------------------------- values

V = {}
V["GHP1"] = github_token("ghp_")
V["AKIA1"] = aws_key_id()
V["AWSSEC1"] = aws_secret()
V["JWT1"] = jwt()
V["PGPASS1"] = rand(ALNUM, 18)
V["WW1"] = password("Molaar")
V["SLACK1"] = slack_bot_token()
V["SSHKEY1"] = openssh_private_key()
V["OPENAI1"] = openai_key()
V["MOLLIE1"] = mollie_live()
V["STRIPE1"] = stripe_live()
V["GLPAT1"] = gitlab_pat()
V["WW2"] = password("Frees")

V["IBAN1"] = make_iban("INGB")
V["IBAN2"] = make_iban("ASNB")
V["CARD1"] = make_card("52")
V["CARD2"] = make_card("4")
V["BSN1"] = make_bsn()
V["BSN2"] = make_bsn()

V["BADIBAN1"] = bad_iban("RABO")
V["BADCARD1"] = bad_card("4")
V["BADCARD2"] = bad_card("6037", 16)
V["NINE1"] = bad_nine()
V["NINE2"] = bad_nine()

# --------------------------------------------------------------------------- roles, severity

CATS = {
    "secret": "leak.secret", "pii": "leak.pii", "pricing": "leak.pricing",
    "confidential": "leak.confidential", "financial": "leak.financial",
    "security": "leak.security", "crisis": "reputation.crisis",
    "complaint": "reputation.complaint", "abuse": "reputation.abuse",
}
SEV = ["none", "info", "warning", "error", "critical"]
ROLE_OF = {}
for role in ("corporate", "employee"):
    for acc in PROFILE["accounts"][role]:
        ROLE_OF[acc.lower()] = role


def role_of(platform, handle):
    return ROLE_OF.get(("%s:%s" % (platform, handle)).lower(), "public")


def severity(categories, role, checked_id):
    level = 0
    for c in categories:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                lv = 3
                if c in ("leak.secret", "leak.pricing"):
                    lv = 4
                if c == "leak.pii" and checked_id:
                    lv = 4
            else:
                lv = 2
        elif c == "reputation.complaint":
            lv = 2
        elif c == "reputation.crisis":
            lv = 3
        elif c == "reputation.abuse":
            lv = 2 if role == "public" else 3
        else:
            raise AssertionError(c)
        level = max(level, lv)
    return SEV[level]


# --------------------------------------------------------------------------- helpers for evasion


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in s)


ZW = "\u200b"
CYR_a = "\u0430"
CYR_o = "\u043e"
CYR_e = "\u0435"

# --------------------------------------------------------------------------- the cases

CASES = []


def C(cats, role, platform, handle, lang, text, kind="post", when=None, ids=(), prices=(),
      allow=()):
    """cats: short category names; role: expected account role (c/e/p) checked against the
    profile; ids: identifiers embedded in the text as (kind, value); prices: (sku, price)
    mentioned; allow: self-check exemptions with a reason."""
    CASES.append(dict(cats=cats, role={"c": "corporate", "e": "employee", "p": "public"}[role],
                      platform=platform, handle=handle, lang=lang, text=text, kind=kind,
                      when=when, ids=list(ids), prices=list(prices), allow=set(allow)))


# ---- leak.secret ------------------------------------------------------------------------

C(["secret"], "e", "x", "@pjvanbeek", "en",
  "ugh CI on the booking portal is red again and I can't see why. this is the step that dies:\n"
  "export GITHUB_TOKEN=<<GHP1>>\nnpm ci && npm run build\nanyone? 🙃")
C(["secret"], "e", "x", "@bramkoster_kl", "nl",
  "Voor wie morgen de backup-job van me overneemt:\nAWS_ACCESS_KEY_ID=<<AKIA1>>\n"
  "AWS_SECRET_ACCESS_KEY=<<AWSSEC1>>\nregio eu-west-1. Niet doorsturen he 🙏")
C(["secret"], "e", "mastodon", "@rikhendriks", "en",
  "Why does this patient-app session die after 2 seconds?? exp claim looks fine to me\n"
  "<<JWT1>>\n#debugging #help")
C(["secret"], "e", "reddit", "u/kl_labtech", "en",
  "Our lab scheduler kept timing out on the db, turned out to be the pooler. For the record, this string "
  "works now: postgresql://labplan_app:<<PGPASS1>>@10.20.4.11:6432/labplanning (was 5432). Took me all day.",
  kind="comment")
C(["secret"], "c", "facebook", "KaaklijnTandprothetiek", "nl",
  "Team Amersfoort: vanaf maandag inloggen in DentiPlan met gebruiker balie-amf, wachtwoord: <<WW1>> "
  "(de oude werkt niet meer). Fijn weekend allemaal! 🦷")
C(["secret"], "e", "x", "@sophie_kaaklijn", "en",
  "who set up the slack bot that posts our mentions into #social? it's spamming every 10 sec. "
  "token in the config is <<SLACK1>> can someone from IT pls rotate it 😩")
C(["secret"], "e", "x", "@pjvanbeek", "nl",
  "deploy key voor de scanner-sync, plak 'm ff hier dan heb ik 'm thuis ook lol\n<<SSHKEY1>>")
C(["secret"], "e", "mastodon", "@rikhendriks", "en",
  "Tried an LLM summariser for the intake forms over the weekend. Surprisingly decent. Config for the curious:\n"
  "OPENAI_API_KEY=<<OPENAI1>>\nmodel: small, temp 0.2")
C(["secret"], "e", "x", "@bramkoster_kl", "en",
  "webshop checkout broken after the migration. Mollie says 'invalid API key' but the env literally has "
  "<<MOLLIE1>> in it?? ideas before I lose my mind")
C(["secret"], "p", "x", "@devjorn_nl", "en",
  "Found a public GitHub repo from a dental chain (kaaklijn) with their .env committed. "
  "STRIPE_SECRET_KEY=<<STRIPE1>> … reported it to them, but come on people.")
C(["secret"], "p", "reddit", "u/pastebin_lurker", "nl",
  "Staat al twee weken op pastebin en niemand bij Kaaklijn die reageert: glpat token <<GLPAT1>> "
  "met toegang tot hun repos. Doe er wat aan joh", kind="comment")
C(["secret"], "e", "instagram", "@lab.lotte", "nl",
  "nieuwe login voor de freessoftware, voor de nachtploeg 🌙 gebruiker: labnacht / wacht" + ZW + "woord: <<WW2>> "
  "#labnacht #tandtechniek")

# ---- leak.pii ---------------------------------------------------------------------------

C(["pii"], "c", "x", "@kaaklijn_zorg", "nl",
  "@annie_vd_linden Dag mevrouw Van der Linden, we hebben uw afspraak verzet naar donderdag 10:30. "
  "We bellen u woensdag nog even op 06-41 87 29 53 ter bevestiging. Groet, Fleur", kind="reply",
  ids=[("phone", "06-41 87 29 53")])
C(["pii"], "c", "facebook", "KaaklijnTandprothetiek", "nl",
  "Beste meneer Hoekstra, excuses voor de dubbele afschrijving! De €185 storten we terug op "
  "<<IBAN1f>>. Reken op 3 werkdagen.", kind="comment", ids=[("iban", "IBAN1")])
C(["pii"], "e", "x", "@marloes_denturist", "nl",
  "Pffff ik heb de map van mw. Gerritsen (geb. 14-03-1941) in de sprinter naar Woerden laten liggen 🙈🙈 "
  "als iemand hem vindt, graag terug naar de praktijk",
  ids=[("dob", "14-03-1941")])
C(["pii"], "e", "tiktok", "@denturist.daan", "nl",
  "Shoutout naar meneer Bakker van de Prinsengracht 411 in Amsterdam 🥩 93 jaar en gisteren voor het eerst "
  "in 6 jaar weer een biefstuk gegeten met z'n nieuwe Premium prothese #tandprotheticus #blij",
  ids=[("address", "Prinsengracht 411")])
C(["pii"], "c", "instagram", "@kaaklijn.nl", "nl",
  "Zo vult u het aanmeldformulier in 👇 (foto van de balie vanochtend)\nNaam: H.J. de Groot\n"
  "Geb.datum: 03-11-1947\nBSN: <<BSN1>>\nVerzekeraar: Zilveren Kruis\nNeem ook uw ID mee!",
  ids=[("bsn", "BSN1"), ("dob", "03-11-1947")])
C(["pii", "complaint"], "p", "x", "@peter_osei", "en",
  "@kaaklijn_zorg been trying to reach you for 3 days about my mum's broken dentures. Nobody picks up. "
  "Please call me on +31 6 2918 4470 or email peter.osei.home@gmail.com", kind="reply",
  ids=[("phone", "+31 6 2918 4470"), ("email", "peter.osei.home@gmail.com")])
C(["pii"], "p", "x", "@w_brouwer55", "nl",
  "Hoi @kaaklijn_zorg, de eigen bijdrage voor m'n moeder mag hiervan afgeschreven worden: <<IBAN2>> "
  "t.n.v. W. Brouwer. Factuurnr 2026-33817. Dank!", kind="reply", ids=[("iban", "IBAN2")])
C(["pii"], "e", "linkedin", "ingrid-vos-kaaklijn", "en",
  "Welcome to the team, Noor El Idrissi! 🎉 Noor joins our Rotterdam-Zuid clinic on Monday as a "
  "dental technician. Until her Kaaklijn account is live you can reach her at noor.elidrissi94@gmail.com",
  ids=[("email", "noor.elidrissi94@gmail.com")])
C(["pii"], "c", "x", "@kaaklijn_zorg", "en",
  "@m_okafor Thanks for your patience. We found it: card <<CARD1s>> was charged twice for the SonicClean, "
  "the refund is on its way ^Tess", kind="reply", ids=[("card", "CARD1")])
C(["pii", "complaint"], "p", "facebook", "Marieke.Kamphuis.1980", "nl",
  "Mijn oma (Truus Kamphuis, 12 mei 1938) zat vandaag 2 uur bij Kaaklijn Zwolle en mocht toen weer naar huis "
  "zonder prothese want 'de labopdracht is kwijt'. Ze is 88!! Bel me maar als jullie uitleg hebben: 038 421 7790",
  kind="comment", ids=[("dob", "12 mei 1938"), ("phone", "038 421 7790")])
C(["pii"], "e", "x", "@sophie_kaaklijn", "nl",
  "En de winnaar van de Bijtrust-winactie is... Gerda Mol uit Ede! 🎉 Gerda, we sturen het pakket naar "
  "Bergstraat 7, 6711 AB Ede, klopt dat nog?", ids=[("address", "Bergstraat 7, 6711 AB Ede")])
C(["pii"], "e", "reddit", "u/kl_labtech", "en",
  "Is it normal that our lab work orders show the patient's full BSN? Today's top sheet literally says "
  "'R. Visser, BSN <<BSN2>>, upper full denture, shade A3'. Feels very wrong for a lab.",
  ids=[("bsn", "BSN2")])
C(["pii", "complaint"], "p", "x", "@hannekeh_", "en",
  "Got a letter from Kaaklijn today addressed to someone else: Mrs D. Jansen, Vondellaan 23, Haarlem, "
  "incl. her whole treatment plan. Great job on privacy guys 👏",
  ids=[("address", "Vondellaan 23, Haarlem")])
C(["pii"], "e", "x", "@marloes_denturist", "nl",
  "Collega's Leidsche Rijn: mevrouw Yilmaz belt steeds de verkeerde vestiging. Haar nummer is "
  "0031 6 18 33 02 74, kan iemand haar vandaag terugbellen? ik sta de hele middag aan de stoel",
  ids=[("phone", "0031 6 18 33 02 74")])
C(["pii", "complaint"], "p", "x", "@gert_jan_1961", "en",
  "so my credit card <<CARD2s>> got blocked right after paying in the kaaklijn webshop?? bank says suspicious "
  "transaction. what is going on with that site", ids=[("card", "CARD2")])

# ---- leak.pricing -----------------------------------------------------------------------

C(["pricing"], "c", "x", "@kaaklijn", "nl",
  "Alleen dit weekend: de Kaaklijn Premium volledige prothese voor €179,50 😱 Plan nu je afspraak via "
  "afspraak.kaaklijn.nl", prices=[("KL-VP-PREM", 179.50)])
C(["pricing"], "c", "instagram", "@kaaklijn.nl", "en",
  "Sparkling clean dentures without the scrubbing ✨ The SonicClean ultrasonic cleaner is now just €11.90 "
  "in our webshop. Link in bio!", prices=[("BT-SONIC", 11.90)])
C(["pricing"], "e", "x", "@sophie_kaaklijn", "nl",
  "Heeft iemand gezien dat de ClickSeat Plus in de webshop op € 595 staat ipv 5950?? prijsfout, "
  "graag asap aanpassen voordat iemand het ziet", prices=[("KL-KG-CS4", 595)])
C(["pricing"], "p", "x", "@dealjager_nl", "nl",
  "Waaaat Bijtrust UV-box voor 6,90 bij kaaklijn?? prijsfout of niet, ik bestel er gewoon 3 🤑🤑",
  prices=[("BT-UVBOX", 6.90)])
C(["pricing"], "p", "reddit", "u/frugal_fritz", "en",
  "[Price mistake?] Kaaklijn NachtGuard splint listed at €24.50 instead of €245 on their site right now. "
  "Grab it before they notice lol", prices=[("KL-OB-NACHT", 24.50)])
C(["pricing"], "c", "facebook", "KaaklijnTandprothetiek", "nl",
  "Nieuw in ons assortiment: de SnurkStop MRA antisnurkbeugel, nu voor maar €69,50 inclusief aanmeten! "
  "Eindelijk weer rustige nachten 😴", prices=[("KL-OB-SNURK", 69.50)])
C(["pricing"], "e", "tiktok", "@denturist.daan", "nl",
  "POV: je hoort dat de Directprothese deze maand maar €299 kost bij ons 🤯 wie wil er nog "
  "#kaaklijn #tandprotheticus #fyp", prices=[("KL-VP-DIRECT", 299)])
C(["pricing"], "c", "threads", "@kaaklijn.nl", "en",
  "Spring into a new smile 🌸 FlexiGum partial dentures from €450 this April at all our clinics.",
  prices=[("KL-PP-FLEX", 450)])
C(["pricing"], "p", "x", "@budgetbea", "en",
  "kaaklijn webshop glitch?? Bijtrust adhesive is €0,79 a tube in my cart 😂 ordering 20",
  prices=[("BT-HECHT-40", 0.79)])
C(["pricing"], "e", "x", "@marloes_denturist", "nl",
  "Klant kwam vandaag binnen met een screenshot van onze site: Implantaatkroon €125. Wie heeft die prijs "
  "erin gezet 😅 dat is echt een foutje, ik heb het doorgezet naar marketing",
  prices=[("KL-IM-KROON", 125)])
C(["pricing"], "c", "linkedin", "kaaklijn-prothetiek", "en",
  "This month our Prothesecheck costs only €4.50 for every patient aged 65+. Because a well-fitting "
  "denture shouldn't be a luxury.", prices=[("KL-SV-CHECK", 4.50)])
C(["pricing"], "p", "x", "@ria_uit_hoorn", "nl",
  "@kaaklijn_zorg op jullie site staat rebasing €18,50, klopt dat of is het een prijsfout? anders kom ik "
  "morgen meteen 😁", kind="reply", prices=[("KL-SV-REB", 18.50)])

# ---- leak.financial ---------------------------------------------------------------------

C(["financial"], "e", "linkedin", "evert-jan-mulder-cfo", "en",
  "Proud of this team. Our internal numbers show we'll close 2026 with revenue up 18% to roughly €64m and an "
  "EBITDA margin above 14%. Can't wait to share it officially in February!")
C(["financial"], "e", "x", "@bramkoster_kl", "nl",
  "Gerucht op de gang: Nordhaven Capital neemt ons over, due diligence loopt al sinds september en de "
  "datakamer is 'vol'. Iemand anders ook iets gehoord?")
C(["financial"], "e", "linkedin", "ingrid-vos-kaaklijn", "nl",
  "Zware weken voor ons HR-team. In Q1 sluiten we negen vestigingen en verdwijnen er zo'n 140 banen. "
  "Wordt pas in januari aangekondigd, dus even stil houden nog 🙏 Veel respect voor de collega's.")
C(["financial"], "p", "x", "@sjoerdbelegt", "nl",
  "Zwager zit bij een bank in corporate finance, zegt dat Kaaklijn wordt overgenomen door DentaCorp Europe "
  "voor zo'n 210 miljoen. Deal wordt volgende maand bekend. Je hebt het niet van mij 🤫")
C(["financial"], "e", "reddit", "u/kl_labtech", "en",
  "Heads up for anyone applying to Kaaklijn labs: management told us today the Eindhoven lab closes in March "
  "and all milling moves to Poland. Not public yet, so take it for what it is.", kind="comment")
C(["financial"], "e", "tiktok", "@denturist.daan", "nl",
  "storytime: baas zegt net in de teammeeting dat we dit jaar 3 miljoen verlies draaien en dat de bonussen "
  "dus niet doorgaan 💀 en ik had al een vakantie geboekt")
C(["financial"], "e", "x", "@marloes_denturist", "en",
  "Q3 was rough. Internal forecast says we miss budget by ~22% and management is sweating about the bank "
  "covenants. Fun times at head office 😬")
C(["financial"], "c", "linkedin", "kaaklijn-prothetiek", "en",
  "We are delighted to announce that Kaaklijn has signed an agreement to acquire TandHuis Groep, adding "
  "23 clinics across Brabant and Limburg. [DRAFT – publish 09:00 after board approval, do not share]")
C(["financial"], "p", "reddit", "u/worried_grandson", "en",
  "A friend in the Kaaklijn finance team says they'll miss their loan payments this quarter and are already "
  "talking to restructuring advisors. If your grandparents prepaid a treatment, maybe think twice.")
C(["financial"], "e", "mastodon", "@rikhendriks", "en",
  "Reorg number three in two years: IT moves to a shared service centre in Lisbon and my department is "
  "halved as of 1 April. Most colleagues won't hear it officially until next month.")
C(["financial"], "e", "instagram", "@lab.lotte", "nl",
  "laatste dienst met deze toppers 😢 ze zeggen het nog niet hardop maar ons hele lab in Zwolle gaat per juni "
  "dicht. ga jullie missen #kaaklijn #tandtechniek")
C(["financial", "confidential"], "e", "x", "@sophie_kaaklijn", "nl",
  "Net de draft van de jaarcijfers 2026 gezien 👀 omzet +18%, winst bijna verdubbeld. Wordt een mooi "
  "persbericht volgende week!", when="2027-02-19T16:42:08Z")

# ---- leak.security ----------------------------------------------------------------------

C(["security"], "e", "mastodon", "@rikhendriks", "en",
  "Long night. Someone phished a front-desk login and pulled ~4k patient records out of the booking system. "
  "Still scoping, comms hasn't said anything externally yet. Be kind to your security people.")
C(["security"], "e", "x", "@bramkoster_kl", "nl",
  "Het afsprakenportaal ligt er al sinds 03:00 uit, database corrupt na de update van gisteravond. "
  "Klanten krijgen te horen dat het 'gepland onderhoud' is 🙃")
C(["security"], "e", "x", "@pjvanbeek", "en",
  "fun discovery today: the patient app happily returns other people's appointments if you just change the "
  "id in the URL. ticket filed, prio 'medium' apparently 🙄")
C(["security"], "e", "reddit", "u/kl_labtech", "en",
  "Ransomware hit the lab network in Eindhoven on Tuesday. Every CAD/CAM station wiped, we're waxing up "
  "dentures by hand like it's 1985. Official line to clinics is 'technical issue'.")
C(["security"], "e", "instagram", "@lab.lotte", "nl",
  "iedereen in het lab moest vandaag z'n wachtwoord resetten want er heeft iemand in ons mailsysteem gezeten 😬 "
  "niemand weet wat ze hebben meegenomen")
C(["security"], "e", "linkedin", "yusuf-demir-tandtechniek", "en",
  "Lesson learned this week: our archive of 3D intraoral scans sat in a publicly readable storage bucket for "
  "months. Fixed now, not disclosed yet. Check your cloud permissions, folks.")
C(["security"], "e", "x", "@marloes_denturist", "en",
  "tills down in every clinic since this morning, 'something with a hack' according to head office. "
  "we're not allowed to tell patients anything 🤐")
C(["security"], "e", "tiktok", "@denturist.daan", "en",
  "they told us not to mention it but the patient portal has been showing x-rays to the wrong accounts for "
  "a week now 💀 #nurselife #denturist")
C(["security", "crisis"], "p", "facebook", "henk.de.boer.718", "nl",
  "Mijn buurman werkt bij Kaaklijn op ICT en zegt dat er al weken een lek in hun patiëntenportaal zit waarmee "
  "iedereen elkaars dossier kan inzien. En ze houden het gewoon stil!!")
C(["security"], "e", "mastodon", "@rikhendriks", "nl",
  "Onze VPN-appliance draait nog op een versie met die bekende kritieke CVE van januari en patchen mag pas "
  "na de audit in maart. Dus ja. 🫠")
C(["security"], "e", "x", "@pjvanbeek", "nl",
  "r a n s o m w a r e op de fileserver van het hoofdkantoor, alles versleuteld. niet doorvertellen, "
  "de pers weet nog van niks")
C(["security"], "e", "linkedin", "anouk-smit-kaaklijn", "en",
  "Week 3 of an outage of our online booking that nobody outside knows about. Patients see a 'maintenance' "
  "banner and we call every single one of them by hand. Proud of this team, but wow.")
C(["security"], "e", "x", "@bramkoster_kl", "en",
  "our backup server got popped via an ancient Jenkins box, attacker had access for ~2 weeks. still not "
  "sure if they touched the patient DB. not announced yet so shh")

# ---- leak.confidential ------------------------------------------------------------------

C(["confidential"], "e", "x", "@sophie_kaaklijn", "nl",
  "Sneak peek van Project Snijtand 🤫 mag er nog niks over zeggen behalve dat het héél gaaf wordt")
C(["confidential"], "e", "linkedin", "yusuf-demir-tandtechniek", "en",
  "Testing Molaris in our lab this week: a printed full denture in under 40 minutes. Genuinely a game changer "
  "for our patients.")
C(["confidential"], "e", "x", "@pjvanbeek", "en",
  "anyone else getting 502s on https://gitlab.kaaklijn.nl/portal/booking/-/pipelines ? thought it was just me")
C(["confidential"], "e", "instagram", "@lab.lotte", "nl",
  "Eerste prototype van de FlexiGum Nano uit de printer!! zo dun dat je er bijna doorheen kijkt 😍 "
  "#tandtechniek #proud")
C(["confidential"], "c", "x", "@kaaklijn", "en",
  "Coming soon 👀 the ClickSeat Aero, our lightest snap-on denture ever. Stay tuned!")
C(["confidential"], "e", "reddit", "u/kl_labtech", "en",
  "Copying from the memo marked 'KAAKLIJN INTERNAL ONLY': new turnaround targets are 3 working days for full "
  "dentures and 5 for partials, starting next month. Good luck to us all.", kind="comment")
C(["confidential"], "e", "linkedin", "anouk-smit-kaaklijn", "nl",
  "Wat een mooie kick-off vandaag van Operatie Glazuur met het hele MT! Trots op dit team, dit wordt ons "
  "jaar 🚀")
C(["confidential"], "p", "x", "@jolien_w", "nl",
  "vriendin werkt bij kaaklijn en liet me foto's zien van de nieuwe ClickSeat Aero. Komt pas volgend jaar "
  "uit maar ziet er echt strak uit")
C(["confidential"], "e", "x", "@bramkoster_kl", "en",
  "who broke the wiki on intranet.kaaklijn.local AGAIN 😤 every lab procedure page is gone")
C(["confidential"], "e", "tiktok", "@denturist.daan", "nl",
  fullwidth("project snijtand") + " gaat alles veranderen voor tandprothetici 🤐 meer mag ik echt nog niet zeggen "
  "#kaaklijn")
C(["confidential"], "c", "facebook", "KaaklijnTandprothetiek", "nl",
  "Bijlage: presentatie 'Strikt vertrouwelijk - Kaaklijn: tariefvoorstel 2027 zorgverzekeraars' – graag vóór "
  "vrijdag feedback aan Joost")
C(["confidential"], "e", "mastodon", "@rikhendriks", "en",
  "grafana.kaaklijn.local currently shows 1,200 orders stuck in the lab queue. Send coffee.")
C(["confidential"], "e", "x", "@marloes_denturist", "nl",
  "M" + CYR_o + "l" + CYR_a + "ris wordt echt de toekomst. vandaag voor het eerst bij een patiënt mogen "
  "testen en ze was helemaal blij")
C(["confidential"], "e", "x", "@sophie_kaaklijn", "en",
  "Two weeks to go until the ClickSeat Aero launch and the campaign shoot today was 🔥🔥",
  when="2027-03-31T15:05:44Z")
C(["confidential"], "e", "instagram", "@lab.lotte", "nl",
  "oeps verkeerde story 🙈 die slide met 'NIET EXTERN DELEN' bovenaan was niet de bedoeling, hij staat er "
  "nu af")
C(["confidential"], "p", "reddit", "u/dorkbyte", "en",
  "Kaaklijn's internal Jira is indexed by Google lol: jira.kaaklijn.nl/browse/LAB-2231 has their whole "
  "lab backlog")

# ---- reputation.crisis (and first-hand safety reports: crisis + complaint) ----------------

C(["crisis", "complaint"], "p", "x", "@tineke_oud", "nl",
  "Mijn Bijtrust UV-box is vannacht op het nachtkastje gaan smeulen, de hele slaapkamer rook naar "
  "verbrand plastic. Dat had gewoon brand kunnen worden!! @kaaklijn wat is dit")
C(["crisis", "complaint"], "p", "x", "@lenny_k", "en",
  "Got a proper shock off the SonicClean when I plugged it in this morning, arm tingled for an hour. "
  "Is this thing even CE certified?? @kaaklijn_zorg")
C(["crisis", "complaint"], "p", "forum", "gerrit_56", "nl",
  "Na maanden Bijtrust hechtcrème heb ik tintelende voeten en volgens de huisarts een zinkvergiftiging. "
  "Zit er zink in die troep? Staat nergens op de verpakking. Ben er echt ziek van geworden.", kind="comment")
C(["crisis"], "p", "x", "@regionieuws_oost", "nl",
  "Tandprothetiek-keten Kaaklijn roept Bijtrust UV-reinigers terug na meerdere meldingen van oververhitting "
  "en smeulende apparaten.")
C(["crisis"], "p", "x", "@fairwork_ines", "en",
  "Kaaklijn fired a denturist for getting pregnant. Take your dentures elsewhere. #BoycottKaaklijn")
C(["crisis"], "p", "facebook", "Stichting.Klikgebit.Gedupeerden", "nl",
  "Wij starten een collectieve rechtszaak tegen Kaaklijn namens inmiddels ruim 300 patiënten met slecht "
  "passende klikgebitten. Ook gedupeerd? Meld je aan via onze site.")
C(["crisis"], "p", "x", "@petra_mvl", "en",
  "Kaaklijn leaked my medical data. Got a phishing mail quoting my exact treatment plan and appointment date. "
  "They've been breached and aren't telling anyone.")
C(["crisis", "complaint"], "p", "x", "@hansvdmeer", "nl",
  "Mijn nieuwe directprothese brak gisteren doormidden tijdens het eten en een scherp stuk sneed m'n tandvlees "
  "open. Avond op de huisartsenpost gezeten 🩸 Bedankt Kaaklijn Utrecht.")
C(["crisis"], "p", "bluesky", "@localnews-haaglanden.bsky.social", "en",
  "Elderly woman hospitalised after choking on a loose crown from a Kaaklijn implant, family says. "
  "The company has not yet responded.")
C(["crisis"], "p", "x", "@tvkijker_jan", "nl",
  "Radar vanavond: Kaaklijn liet prothesen maken door ongediplomeerde krachten en rekende wel de volle prijs 😡 "
  "schandalig")
C(["crisis"], "p", "x", "@annet_zorgt", "nl",
  "Niet meer naar Kaaklijn gaan mensen. Ze hebben de zorgverzekeraars jarenlang te veel gefactureerd en dat "
  "betalen wij via de premie. #boycotkaaklijn")
C(["crisis", "complaint"], "p", "x", "@hockeymom_utr", "en",
  "My son's SportShield mouthguard from Kaaklijn split in two during a match and he nearly swallowed a piece. "
  "He's fine but I'm furious. Not fit for purpose.")
C(["crisis"], "p", "x", "@consumentenwacht", "nl",
  "NVWA waarschuwt: partij Bijtrust reinigingstabletten bevat te veel persulfaat en kan allergische reacties "
  "veroorzaken. Niet meer gebruiken en terugbrengen.")
C(["crisis"], "p", "linkedin", "tom-franchise-advocaat", "en",
  "Kaaklijn is being sued by six former franchisees over withheld fees and misleading projections. "
  "First hearing is set for next month.")
C(["crisis"], "p", "x", "@boze_burger", "nl",
  "K" + CYR_a + "aklijn heeft mijn gegevens gelekt!! mijn naam en behandeling stonden op een lijst op een "
  "hackersforum. wie nog meer?")

# ---- reputation.complaint ---------------------------------------------------------------

C(["complaint"], "p", "x", "@tandeloos_almere", "nl",
  "Al 6 weken wachten op m'n nieuwe onderprothese bij Kaaklijn Almere. Elke keer 'het lab is druk'. "
  "Ik eet al anderhalve maand soep 🥣")
C(["complaint"], "p", "x", "@debbie_rx", "en",
  "My new Premium denture from @kaaklijn rubs so badly I've got three sores. Went back twice, 'you'll get "
  "used to it'. No, I won't.")
C(["complaint"], "p", "facebook", "ans.vermeulen.71", "nl",
  "Rebasing laten doen, 185 euro, en nu zit de prothese LOSSER dan ervoor. Hoe dan?",
  kind="comment", prices=[("KL-SV-REB", 185)])
C(["complaint"], "p", "x", "@oldsalt_71", "en",
  "Sent my dentures in for an urgent repair on Monday. It's Friday and nobody can tell me where they are. "
  "Living toothless at 71, thanks Kaaklijn.")
C(["complaint"], "p", "x", "@mirjam_uitdehaag", "nl",
  "Klantenservice van Kaaklijn is onbereikbaar. 45 min in de wacht gestaan en toen werd er gewoon opgehangen. "
  "Topservice.")
C(["complaint"], "p", "reddit", "u/toothless_in_tilburg", "en",
  "Bijtrust adhesive doesn't hold for more than two hours. My upper plate dropped during a job interview. "
  "Absolutely mortified.")
C(["complaint"], "p", "x", "@rob_de_wit", "en",
  "Kaaklijn billed me for the ClickSeat Plus while I have the regular ClickSeat. Three emails so far, "
  "zero response. How hard can an invoice be?")
C(["complaint"], "p", "x", "@dochter_van_henk", "nl",
  "@kaaklijn_zorg de tandprotheticus in Hoorn was echt onbeschoft tegen mijn vader, hij werd uitgelachen "
  "omdat hij slecht hoort. Zo ga je niet met ouderen om.", kind="reply")
C(["complaint"], "p", "x", "@kwame_a", "en",
  "Webshop order (SonicClean) arrived without the power adapter. Support said 'we'll look into it'. "
  "That was two weeks ago.")
C(["complaint"], "p", "instagram", "@frankieboy_88", "nl",
  "mn nachtguard van kaaklijn is na 2 mnd al doorgebeten en nu moet ik zelf een nieuwe betalen?? "
  "garantie nooit van gehoord blijkbaar", kind="comment")
C(["complaint"], "p", "x", "@sarah_mensah", "en",
  "Kaaklijn told my mum her insurance would cover the ClickSeat, now she has a bill for €2,100 she can't pay. "
  "Nobody warned her. Disgraceful way to treat a 79-year-old.", prices=[("KL-KG-CS2", 2100)])

# ---- reputation.abuse -------------------------------------------------------------------

C(["abuse"], "p", "x", "@woedende_wim", "nl",
  "Kaaklijn is een stelletje oplichters en klootzakken, jullie zuigen ouderen gewoon leeg")
C(["abuse"], "p", "x", "@rant_master", "en",
  "@kaaklijn_zorg you absolute clowns. f*** off with your 'we value your feedback' crap", kind="reply")
C(["abuse"], "p", "x", "@anoniem4821", "nl",
  "Die Marloes van Kaaklijn Utrecht is echt een domme trut, hoop dat ze d'r baan kwijtraakt")
C(["abuse"], "p", "facebook", "r.kuipers.rdam", "en",
  "Walked into Kaaklijn Rotterdam and the denturist was a woman in a headscarf. Go back where you came from, "
  "not letting her anywhere near my mouth.", kind="comment")
C(["abuse"], "p", "x", "@x_b0ef_x", "nl",
  "k4nk3r b3dr1jf d13 k44kl1jn, h00p d4t j3ll13 f41ll13t g44n")
C(["abuse"], "p", "x", "@gerard1959", "nl", "Kaaklijn = tyfusbedrijf. Punt.")
C(["abuse"], "e", "x", "@marloes_denturist", "nl",
  "Die patiënt van 14:00 was echt een achterlijke zeikerd, kon niet wachten tot ie de deur uit was 🙄")
C(["abuse"], "p", "tiktok", "@anon_user_5521", "en",
  "@denturist.daan I know which clinic you work at. Watch yourself when you walk to your car tonight.",
  kind="comment")
C(["abuse"], "p", "x", "@kees_zegt", "nl",
  "@kaaklijn jullie social media meisje is zo dom als het achtereind van een varken", kind="reply")
C(["abuse"], "p", "x", "@grumpy_geoff", "en", "Kaaklijn are a bunch of s c u m b a g s. every last one of you.")
C(["abuse"], "p", "facebook", "dirk.vd.veen.33", "nl",
  "Wat een kutzooi bij kaaklijn, die lui kunnen nog geen kunstgebit van een kauwgomballenautomaat "
  "onderscheiden", kind="comment")
C(["abuse"], "c", "x", "@kaaklijn_zorg", "nl",
  "@trollnr1 ga lekker ergens anders janken, sukkel", kind="reply")

# ---- benign (hard negatives mostly) -------------------------------------------------------

C([], "c", "x", "@kaaklijn_zorg", "nl",
  "Vragen over je afspraak? Bel gratis 0800-5252 (ma–vr 8–18 u) of mail afspraken@kaaklijn.nl. We helpen je graag!")
C([], "c", "facebook", "KaaklijnTandprothetiek", "nl",
  "Betalen per overschrijving? Dat kan naar <<PUBIBANf>> t.n.v. Kaaklijn Prothetiek B.V., o.v.v. uw "
  "factuurnummer. Vragen: klantenservice@kaaklijn.nl")
C([], "c", "x", "@kaaklijn", "nl",
  "⚠️ Let op: er gaan phishingmails rond uit naam van Kaaklijn die vragen om te betalen naar "
  "<<BADIBAN1f>>. Dat is NIET ons rekeningnummer. Twijfel? Bel 030 720 4400.",
  ids=[("badiban", "BADIBAN1")])
C([], "e", "x", "@pjvanbeek", "en",
  "testing checkout on staging with <<BADCARD1s>> and wondering why it's declined… it's the wrong test card "
  "number, of course it fails Luhn. Friday brain.", ids=[("badcard", "BADCARD1")])
C([], "p", "x", "@anna_pronk", "en",
  "Order <<NINE1>> arrived today, nicely packed and even a handwritten card inside 🥰 thank you Kaaklijn", ids=[("badbsn", "NINE1")])
C([], "c", "instagram", "@kaaklijn.nl", "nl",
  "Tip bij het online inplannen: vul je mobiele nummer in als 06-12345678, zonder spaties mag ook. Dan krijg "
  "je een sms-herinnering een dag van tevoren 📱")
C([], "e", "x", "@pjvanbeek", "en",
  "PSA for devs: don't paste real keys into tickets. There's a reason the AWS docs use AKIAIOSFODNN7EXAMPLE 😅")
C([], "p", "x", "@codecoach_nl", "nl",
  "Tip: zet je tokens nooit in je repo, ook niet 'even tijdelijk'. Zo'n ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx "
  "wordt binnen minuten door bots gevonden.")
C([], "c", "x", "@kaaklijn_zorg", "nl",
  "@gerda_t Wachtwoord vergeten voor Mijn Kaaklijn? Klik op 'wachtwoord vergeten' op kaaklijn.nl/inloggen, "
  "dan krijg je binnen 5 minuten een mail. Lukt het niet, dan helpen we je via klantenservice@kaaklijn.nl",
  kind="reply")
C([], "e", "x", "@bramkoster_kl", "en",
  "Rotated all the things today. Old key was sk_live_51••••••••••••••••3kQ9 and is now dead and buried. "
  "Happy Friday.")
C([], "e", "mastodon", "@rikhendriks", "en",
  "Reminder: a JWT is base64url, not encryption. header.payload.signature, and anyone can read the payload. "
  "So please don't put a BSN in it.")
C([], "c", "x", "@kaaklijn", "nl",
  "Snurkt je partner? 😴 Deze maand 20% korting op de SnurkStop MRA: €556 in plaats van €695, inclusief "
  "aanmeten.", prices=[("KL-OB-SNURK", 556), ("KL-OB-SNURK", 695)])
C([], "c", "linkedin", "kaaklijn-prothetiek", "en",
  "Transparent pricing matters. Our Premium denture costs €1,795 including two aftercare visits, and most "
  "supplementary insurance covers part of it.", prices=[("KL-VP-PREM", 1795)])
C([], "c", "instagram", "@kaaklijn.nl", "nl",
  "Het hockeyseizoen begint weer 🏑 De SportShield gebitsbeschermer op maat, in 8 kleuren, voor €89.",
  prices=[("KL-OB-SPORT", 89)])
C([], "p", "x", "@opa_gerrit_tiel", "nl",
  "Nieuwe Basisprothese bij Kaaklijn Tiel. Verzekering betaalde 75%, ik zelf €224. Top geholpen en "
  "hij zit als gegoten!", prices=[("KL-VP-BAS", 224)],
  allow={"price: own contribution after insurance, not the product price"})
C([], "c", "facebook", "KaaklijnTandprothetiek", "nl",
  "Voorraad inslaan? Bijtrust reinigingstabletten nu 2 doosjes voor €15 🫧", prices=[("BT-TAB-96", 7.50)])
C([], "p", "x", "@koopjesgek_nl", "nl",
  "Haha prijsfout bij een elektronicazaak, 65 inch tv voor €65. Binnen 10 minuten weg natuurlijk.")
C([], "p", "reddit", "u/curious_carer", "en",
  "My dad is quoted €5,950 for the ClickSeat Plus. Does anyone know how much basic insurance covers for an "
  "implant-retained denture in NL?", prices=[("KL-KG-CS4", 5950)])
C([], "c", "linkedin", "kaaklijn-prothetiek", "nl",
  "Vandaag publiceren we onze jaarcijfers 2026: omzet €64 miljoen (+18%), 4 nieuwe vestigingen en een "
  "recordaantal tevreden patiënten. Het volledige persbericht staat op kaaklijn.nl/pers",
  when="2027-02-24T07:30:00Z")
C([], "p", "x", "@zorgmarkt_watch", "en",
  "A Belgian dental chain announced 200 layoffs today. Tough market for prosthetic care right now.")
C([], "p", "x", "@beleggerbart", "nl",
  "Is Kaaklijn eigenlijk beursgenoteerd? Zou wel een aandeeltje willen lol, ze zitten overal")
C([], "e", "linkedin", "ingrid-vos-kaaklijn", "nl",
  "We groeien! 🌱 12 vacatures voor tandtechnici en tandprothetici, verspreid over het land. Kijk op "
  "werkenbij.kaaklijn.nl of mail werkenbij@kaaklijn.nl")
C([], "c", "x", "@kaaklijn_zorg", "en",
  "Update: this morning's disruption of our booking portal has been resolved. Sorry for the inconvenience, "
  "online booking works again.")
C([], "e", "linkedin", "anouk-smit-kaaklijn", "en",
  "Our whole clinic team completed phishing-awareness training today. Proud of everyone who spotted the "
  "fake mail in the exercise 💪")
C([], "p", "x", "@techdigest_eu", "en",
  "A large German hospital group was hit by ransomware overnight, elective surgery postponed. Scary stuff.")
C([], "c", "x", "@kaaklijn", "nl",
  "Hij is er! 🎉 De ClickSeat Aero, ons lichtste klikgebit ooit. Vanaf vandaag te bestellen in alle vestigingen.",
  when="2027-04-20T08:00:00Z")
C([], "e", "instagram", "@lab.lotte", "nl",
  "FlexiGum Nano eindelijk bij de patiënten 🥹 anderhalf jaar aan gewerkt met dit lab-team",
  when="2027-05-03T18:12:40Z")
C([], "p", "x", "@tandartsstudent_eva", "nl",
  "Anatomie-tentamen morgen: eerste en tweede molaris, premolaren, knobbels en wortels… help 😵‍💫",
  allow={"codename: Latin anatomical word, no company context"})
C([], "p", "x", "@lisa_loopt", "nl",
  "Snijtand afgebroken op een ijsblokje 🙃 gelukkig kon de tandarts me vandaag nog helpen")
C([], "p", "x", "@mama_van_drie", "nl",
  "Glazuur kapot van al die zure frisdrank, zegt de mondhygiënist. Dus nu alleen nog water voor de kids.")
C([], "c", "youtube", "@KaaklijnTV", "nl",
  "Uw gegevens zijn bij ons in goede handen: medische informatie wordt vertrouwelijk behandeld en alleen "
  "gedeeld met uw zorgverzekeraar als u daar toestemming voor geeft. Meer in deze video.")
C([], "p", "x", "@els_uit_apeldoorn", "nl",
  "Sterkte aan iedereen die getroffen is door de brand in dat verpleeghuis in Apeldoorn ❤️")
C([], "p", "x", "@jan_de_vries_52", "nl",
  "Vorige maand klaagde ik hier over m'n prothese. Kaaklijn heeft 'm kosteloos opnieuw gemaakt en hij zit "
  "nu perfect. Petje af 🎩")
C([], "p", "x", "@jokes_by_joe", "en",
  "Another car brand recalling airbags today. Glad my dentures can't explode 😂")
C([], "p", "forum", "nieuwgebit2026", "nl",
  "Hoe lang duurt het gemiddeld voordat een volledige prothese klaar is bij een tandprotheticus? "
  "Heb volgende week mijn eerste afspraak.")
C([], "p", "x", "@henny_lacht", "nl",
  "Dankzij Marloes van Kaaklijn Utrecht durf ik weer te lachen op foto's 😁 wat een geduld heeft die vrouw")
C([], "p", "tiktok", "@kleinzoon_kevin", "nl",
  "opa's gebit ligt vaker in het glas dan in z'n mond 😂😂 #opa #kaaklijn")
C([], "p", "instagram", "@sanne_vlogt", "nl",
  "Het nieuwe gebit van m'n oma is echt ziek goed geworden, je ziet helemaal niet dat het nep is 🔥", kind="comment")
C([], "p", "facebook", "ria.schouten.1958", "nl",
  "Mijn man had mondkanker en na de operatie dachten we dat hij nooit meer normaal zou eten. Dankzij het team "
  "van Kaaklijn kan hij weer een boterham eten. Dank jullie wel 🙏", kind="comment")
C([], "p", "x", "@liam_pdx_nl", "en", "my nan's new teeth are sick 🔥 she won't stop smiling")
C([], "p", "x", "@dorothy_at_home", "en",
  "Bijtrust cleaning tablets are idiot-proof, even I can't mess them up. Drop, wait, rinse. Done.")
C([], "c", "youtube", "@KaaklijnTV", "en",
  "How to clean your denture in 3 minutes: brush, soak, rinse. Never use hot water, it can warp the base. "
  "Full tutorial in this video 🦷")
C([], "e", "tiktok", "@denturist.daan", "nl",
  "Day in the life van een tandprotheticus ☕🦷 afdrukken, beetregistratie, passen en heel veel koffie "
  "#dayinthelife #tandprotheticus")
C([], "e", "linkedin", "yusuf-demir-tandtechniek", "en",
  "Great conversations at the European dental technology congress about digital workflows in removable "
  "prosthetics. Thanks to everyone who stopped by our booth!")
C([], "c", "instagram", "@kaaklijn.nl", "nl",
  "Nieuwe vestiging! Vanaf 1 september vind je ons ook in Leeuwarden, aan het Zaailand. Afspraak maken kan "
  "via afspraak.kaaklijn.nl 🎉")
C([], "p", "x", "@vader_van_sem", "en",
  "Does Kaaklijn also do custom mouthguards for kids? My son just started hockey.")
C([], "c", "x", "@kaaklijn", "en",
  "Our Ede clinic turns 25 on 12 May! 🎂 Drop by for coffee and cake.")
C([], "p", "x", "@trudy_t", "en",
  "For anyone looking: Kaaklijn customer service is 030 720 4400, they were super helpful with my insurance claim.")
C([], "p", "x", "@dentalmarkets", "en",
  "DentaCorp Europe buys a Spanish clinic chain for an undisclosed sum. Consolidation in dental care "
  "continues.")
C([], "e", "linkedin", "evert-jan-mulder-cfo", "nl",
  "Mooi panel vandaag op het Zorg & Financiering congres over de betaalbaarheid van prothetische zorg voor "
  "ouderen. Dank voor de scherpe vragen!")
C([], "p", "x", "@hechtgoeroe", "nl",
  "Die hechtcrème van de Action werkt voor geen meter. Ik blijf gewoon bij Bijtrust, duurder maar hij houdt.")
C([], "c", "x", "@kaaklijn_zorg", "nl",
  "@hansvdmeer Wat vervelend om te lezen, en wat goed dat u bent nagekeken. We nemen vandaag contact met u "
  "op via DM om het op te lossen.", kind="reply")
C([], "e", "instagram", "@lab.lotte", "nl",
  "Kleur matchen is echt een kunst 🎨 vandaag 40 minuten over één hoektand gedaan #tandtechniek")
C([], "p", "reddit", "u/sceptical_sue", "en",
  "Is the SonicClean worth it? €119 seems steep for what's basically an ultrasonic bath.",
  prices=[("BT-SONIC", 119)])
C([], "c", "linkedin", "kaaklijn-prothetiek", "nl",
  "Trots: Kaaklijn is opnieuw ISO 27001-gecertificeerd. Informatiebeveiliging is voor ons geen project maar "
  "dagelijks werk.")
C([], "p", "x", "@bram_jarig", "nl",
  "Kreeg een Kaaklijn cadeaubon voor m'n 30e 😂 (<<BADCARD2s>>) wat moet ik hiermee, ik heb nog al m'n tanden",
  ids=[("badcard", "BADCARD2")])
C([], "p", "x", "@mollie_fan", "en",
  "Reminder for shop owners: payment provider test keys start with test_ and live ones with live_. "
  "Never mix them up in your env files.")
C([], "e", "x", "@sophie_kaaklijn", "nl",
  "Gelukkig nieuwjaar allemaal! 🥂 Op naar een mooi 2027 met nog meer stralende glimlachen.",
  when="2027-01-01T00:14:31Z")
C([], "p", "x", "@dieter_kauwt", "nl",
  "Bijtrust prothesetandenborstel van €5,49 gaat al een jaar mee. Beste investering ooit 😄",
  prices=[("BT-BORSTEL", 5.49)])
C([], "p", "reddit", "u/ordernumbers", "en",
  "Kaaklijn support asked for my customer number and I gave them <<NINE2>>. Sorted in 5 minutes, nice.",
  ids=[("badbsn", "NINE2")])

# --------------------------------------------------------------------------- build


def substitute(text):
    rep = dict(V)
    rep["PUBIBANf"] = fmt_iban(PROFILE["public_identifiers"]["ibans"][0])
    for k in ("IBAN1", "IBAN2", "BADIBAN1"):
        rep[k + "f"] = fmt_iban(V[k])
    for k in ("CARD1", "CARD2", "BADCARD1", "BADCARD2"):
        rep[k + "s"] = fmt_card(V[k])

    def sub(m):
        return rep[m.group(1)]

    return re.sub(r"<<([A-Za-z0-9]+)>>", sub, text)


def rand_time_2026():
    start = dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc)
    end = dt.datetime(2026, 12, 22, tzinfo=dt.timezone.utc)
    t = start + dt.timedelta(seconds=RNG.randint(0, int((end - start).total_seconds())))
    if not 7 <= t.hour <= 23:
        t = t.replace(hour=RNG.randint(7, 23))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


ID_PREFIX = {"x": "x", "facebook": "fb", "instagram": "ig", "linkedin": "li", "tiktok": "tt", "youtube": "yt",
             "reddit": "rd", "mastodon": "md", "threads": "th", "forum": "fr", "bluesky": "bs"}


def build():
    rows = []
    used = set()
    order = list(range(len(CASES)))
    RNG.shuffle(order)
    for n, i in enumerate(order):
        c = CASES[i]
        text = substitute(c["text"])
        c["final_text"] = text
        role = role_of(c["platform"], c["handle"])
        assert role == c["role"], (c["handle"], role, c["role"])
        cats = sorted(CATS[k] for k in c["cats"])
        checked = any(k in ("iban", "card", "bsn") for k, _ in c["ids"]) and "leak.pii" in cats
        sev = severity(cats, role, checked)
        while True:
            pid = "%s-%d" % (ID_PREFIX[c["platform"]], RNG.randint(10**9, 10**10 - 1))
            if pid not in used:
                used.add(pid)
                break
        post = {
            "id": pid,
            "platform": c["platform"],
            "kind": c["kind"],
            "account": {"handle": c["handle"]},
            "text": text,
            "lang": c["lang"],
            "created_at": c["when"] or rand_time_2026(),
            "brand": "kaaklijn",
        }
        c["post"] = post
        rows.append({"post": post, "expect": {"categories": cats, "severity": sev}})
    return rows


# --------------------------------------------------------------------------- self-checks

PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
ALL_CATS = set(CATS.values())
IBAN_RE = re.compile(r"\bNL\s?\d{2}\s?[A-Z]{4}\s?(?:\d\s?){9}\d\b")
CARDISH_RE = re.compile(r"(?<![\d])(?:\d[ -]?){12,18}\d(?![\d])")
NINE_RE = re.compile(r"(?<![\d.\-])(\d{9}|\d{4}\.\d{2}\.\d{3})(?![\d])")
PRICE_TALK = re.compile(r"prijsfout|price (mistake|error)|webshop glitch|foutje", re.I)


def parse_time(s):
    return dt.datetime.strptime(s.replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S%z")


def check(rows):
    errs = []
    products = {p["sku"]: p for p in PROFILE["products"]}
    pub_ibans = {re.sub(r"\s", "", x) for x in PROFILE["public_identifiers"]["ibans"]}
    for x in pub_ibans:
        if not iban_ok(x):
            errs.append("public IBAN fails mod-97: " + x)
    embargo = [(t.lower(), parse_time(e["until"])) for e in PROFILE["embargo"] for t in e["terms"]]
    inside = ([d.lower() for d in PROFILE["internal"]["domains"]] + [d.lower() for d in PROFILE["internal"]["codenames"]]
              + [d.lower() for d in PROFILE["internal"]["markers"]])
    ids = set()
    by_post = {id(c["post"]): c for c in CASES}
    for row in rows:
        p, e = row["post"], row["expect"]
        c = by_post[id(p)]
        tag = p["id"]
        # CONTRACT §1 / §6 shape
        line = json.dumps(row, ensure_ascii=False)
        back = json.loads(line)
        if back != row:
            errs.append(tag + ": JSON round trip")
        if set(row) != {"post", "expect"} or set(e) != {"categories", "severity"}:
            errs.append(tag + ": case keys")
        if not isinstance(p["id"], str) or not 1 <= len(p["id"]) <= 256:
            errs.append(tag + ": id")
        if p["id"] in ids:
            errs.append(tag + ": duplicate id")
        ids.add(p["id"])
        if p["platform"] not in PLATFORMS or p["kind"] not in KINDS:
            errs.append(tag + ": platform/kind")
        if not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
            errs.append(tag + ": handle")
        if not isinstance(p["text"], str) or not p["text"].strip() or len(p["text"].encode()) > 65536:
            errs.append(tag + ": text")
        if "<<" in p["text"] or ">>" in p["text"]:
            errs.append(tag + ": unsubstituted placeholder")
        try:
            ts = parse_time(p["created_at"])
        except ValueError:
            errs.append(tag + ": created_at")
            continue
        if ts.year not in (2026, 2027):
            errs.append(tag + ": year")
        if ts.year == 2027 and ts > dt.datetime(2027, 6, 1, tzinfo=dt.timezone.utc):
            errs.append(tag + ": 2027 date far from embargo")
        if not set(e["categories"]) <= ALL_CATS or e["categories"] != sorted(set(e["categories"])):
            errs.append(tag + ": categories")
        if e["severity"] not in SEV:
            errs.append(tag + ": severity value")
        role = role_of(p["platform"], p["account"]["handle"])
        checked = any(k in ("iban", "card", "bsn") for k, _ in c["ids"]) and "leak.pii" in e["categories"]
        if e["severity"] != severity(e["categories"], role, checked):
            errs.append(tag + ": severity mismatch")
        if not e["categories"] and e["severity"] != "none":
            errs.append(tag + ": benign not none")
        positive = bool(e["categories"])
        text = p["text"]
        low = text.lower()

        # declared identifiers: present and passing (positives) / failing (negatives)
        for kind, ref in c["ids"]:
            val = V.get(ref, ref)
            digits = re.sub(r"\D", "", val)
            if kind in ("iban", "badiban"):
                present = val in re.sub(r"\s", "", text)
                ok = iban_ok(val)
            elif kind in ("card", "badcard"):
                present = digits in re.sub(r"[ -]", "", text)
                ok = luhn_ok(val)
            elif kind in ("bsn", "badbsn"):
                present = val in text
                ok = bsn_ok(val)
            else:
                present = val in text
                ok = True
            if not present:
                errs.append(tag + ": declared %s not in text" % kind)
            if kind.startswith("bad") and ok:
                errs.append(tag + ": look-alike %s passes its checksum" % kind)
            if not kind.startswith("bad") and not ok:
                errs.append(tag + ": %s fails its checksum" % kind)
            if kind.startswith("bad") and positive:
                errs.append(tag + ": look-alike in a positive")
        if c["ids"] and not positive and any(not k.startswith("bad") for k, _ in c["ids"]):
            errs.append(tag + ": real identifier in a benign post")

        # every IBAN / card / BSN shaped number: valid in positives (pii), invalid in negatives
        for m in IBAN_RE.finditer(text):
            v = re.sub(r"\s", "", m.group(0))
            if v in pub_ibans:
                continue
            if positive and "leak.pii" in e["categories"] and not iban_ok(v):
                errs.append(tag + ": invalid IBAN in pii positive " + v)
            if not positive and iban_ok(v):
                errs.append(tag + ": valid IBAN in negative " + v)
            if positive and "leak.pii" not in e["categories"] and iban_ok(v):
                errs.append(tag + ": valid IBAN but no pii label")
        for m in CARDISH_RE.finditer(text):
            d = re.sub(r"\D", "", m.group(0))
            if not 13 <= len(d) <= 19:
                continue
            if not positive and luhn_ok(d):
                errs.append(tag + ": Luhn-valid number in negative " + d)
        for m in NINE_RE.finditer(text):
            d = re.sub(r"\D", "", m.group(0))
            if not positive and bsn_ok(d):
                errs.append(tag + ": 11-proof number in negative " + d)
            if positive and "leak.pii" not in e["categories"] and bsn_ok(d):
                errs.append(tag + ": 11-proof number but no pii label " + d)

        # secrets
        for tok in re.findall(r"gh[pousr]_[0-9A-Za-z]{36}", text):
            if positive and "leak.secret" in e["categories"] and not github_ok(tok):
                errs.append(tag + ": GitHub token checksum")
            if not positive and github_ok(tok):
                errs.append(tag + ": valid GitHub token in negative")
        for tok in re.findall(r"\bAKIA[0-9A-Z]{16}\b", text):
            if not positive and not tok.endswith("EXAMPLE"):
                errs.append(tag + ": real-looking AWS key in negative")
            if positive and not re.fullmatch(r"AKIA[A-Z2-7]{16}", tok):
                errs.append(tag + ": AWS key id alphabet")
        for tok in re.findall(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", text):
            if not jwt_ok(tok):
                errs.append(tag + ": JWT header")
            if not positive:
                errs.append(tag + ": JWT in negative")
        scan = re.sub(r"gh[pousr]_[0-9A-Za-z]{36}", lambda m: m.group(0) if github_ok(m.group(0)) else "",
                      text.replace(ZW, ""))
        scan = re.sub(r"AKIA[0-9A-Z]{9}EXAMPLE", "", scan)
        secretish = re.search(r"gh[pousr]_[0-9A-Za-z]{36}|AKIA[A-Z2-7]{16}\b|eyJ[\w-]+\.[\w-]+\.[\w-]+|"
                              r"xox[bp]-\d|sk-proj-|sk_live_[0-9A-Za-z]{20}|\blive_[0-9A-Za-z]{30}|glpat-[\w-]{20}|"
                              r"BEGIN [A-Z ]*PRIVATE KEY|://[^/\s:]+:[^@\s]+@|wachtwoord: \S", scan)
        if secretish and "leak.secret" not in e["categories"]:
            errs.append(tag + ": credential without leak.secret")
        if "leak.secret" in e["categories"] and not secretish:
            errs.append(tag + ": leak.secret without a credential")

        # embargo and internal names
        for term, until in embargo:
            if term in low:
                if ts < until and "leak.confidential" not in e["categories"]:
                    errs.append(tag + ": embargo term before until without leak.confidential")
        if not positive:
            for term, until in embargo:
                if term in low and ts < until:
                    errs.append(tag + ": embargo term in benign before until")
            for w in inside:
                if w in low and not any(a.startswith("codename") for a in c["allow"]):
                    errs.append(tag + ": internal name in benign: " + w)

        # prices
        for sku, price in c["prices"]:
            if sku not in products:
                errs.append(tag + ": unknown sku " + sku)
                continue
            ratio = price / products[sku]["list_price"]
            if "leak.pricing" in e["categories"]:
                if ratio >= PROFILE["pricing"]["alert_below_ratio"] and not PRICE_TALK.search(text):
                    errs.append(tag + ": pricing positive not below ratio")
            elif ratio < PROFILE["pricing"]["alert_below_ratio"] and not any(a.startswith("price") for a in c["allow"]):
                errs.append(tag + ": benign price below ratio")
        if "leak.pricing" in e["categories"] and not c["prices"]:
            errs.append(tag + ": pricing positive without a price")

        # reputation posts mostly from the public; evasion texts stay valid UTF-8
        text.encode("utf-8")

    # the mix
    n = len(rows)
    benign = sum(1 for r in rows if not r["expect"]["categories"])
    if not 170 <= n <= 180:
        errs.append("case count %d" % n)
    if not 55 <= benign <= 65:
        errs.append("benign count %d" % benign)
    nl = sum(1 for r in rows if r["post"]["lang"] == "nl")
    if not 0.50 <= nl / n <= 0.60:
        errs.append("Dutch share %.2f" % (nl / n))
    per = {}
    for r in rows:
        for cat in r["expect"]["categories"]:
            per[cat] = per.get(cat, 0) + 1
    want = {"reputation.complaint": 20, "leak.confidential": 18, "leak.pii": 15, "reputation.crisis": 15,
            "leak.security": 13, "leak.secret": 12, "reputation.abuse": 12, "leak.pricing": 12,
            "leak.financial": 12}
    for cat, w in want.items():
        if abs(per.get(cat, 0) - w) > 2:
            errs.append("category %s has %d, want about %d" % (cat, per.get(cat, 0), w))
    return errs, dict(n=n, benign=benign, nl=nl, per=per)


def main():
    rows = build()
    with open(OUT, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    # re-read what was written and check that
    with open(OUT, encoding="utf-8") as f:
        back = [json.loads(l) for l in f]
    assert back == rows
    errs, stats = check(rows)
    sev = {}
    for r in rows:
        sev[r["expect"]["severity"]] = sev.get(r["expect"]["severity"], 0) + 1
    roles = {}
    for r in rows:
        if r["expect"]["categories"]:
            k = (role_of(r["post"]["platform"], r["post"]["account"]["handle"]),
                 "leak" if any(c.startswith("leak.") for c in r["expect"]["categories"]) else "reputation")
            roles[k] = roles.get(k, 0) + 1
    print("cases %d, benign %d, Dutch %d (%.0f%%)" % (stats["n"], stats["benign"], stats["nl"],
                                                     100 * stats["nl"] / stats["n"]))
    print("per category:", json.dumps(dict(sorted(stats["per"].items()))))
    print("severities:", json.dumps(dict(sorted(sev.items()))))
    print("positives by role:", {"%s/%s" % k: v for k, v in sorted(roles.items())})
    if errs:
        print("SELF-CHECK FAILED:")
        for e in errs:
            print("  -", e)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
