#!/usr/bin/env python3
"""Build the labelled evaluation set sealed395 (Vlamberg Kookgerei B.V.).

Deterministic: fixed seed, standard library + PyYAML. Writes cases.jsonl next to
this file and checks it:
  * every line is a valid CONTRACT section 6 case;
  * every IBAN / payment card / BSN in a positive passes its checksum, every
    look-alike in a benign post fails it (company's own public IBAN excepted);
  * generated credentials are built like the real ones (GitHub CRC-32, AWS, JWT);
  * severities are computed from the account role in profile.yaml (CONTRACT 4);
  * codenames, markers, internal hosts and embargo terms only occur where labelled.
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
OUT = os.path.join(HERE, "cases.jsonl")
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))

rng = random.Random(395_2026)

DIGITS = string.digits
UPPER = string.ascii_uppercase
LOWER = string.ascii_lowercase
ALNUM = DIGITS + UPPER + LOWER          # 0-9A-Za-z, also the base-62 alphabet
URLSAFE = ALNUM + "-_"


def rand(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


# ---------------------------------------------------------------- identifiers
def iban_ok(s):
    s = s.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(cc, bank, acct_len=10):
    acct = rand(DIGITS, acct_len)
    bban = bank + acct
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    s = "%s%02d%s" % (cc, 98 - n % 97, bban)
    assert iban_ok(s)
    return s


def spaced(s, n=4):
    return " ".join(s[i:i + n] for i in range(0, len(s), n))


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
    body = prefix + rand(DIGITS, length - len(prefix) - 1)
    for c in DIGITS:
        if luhn_ok(body + c):
            return body + c
    raise AssertionError


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9:
        return False
    tot = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return tot % 11 == 0


def make_bsn():
    while True:
        first = rng.choice("123456") + rand(DIGITS, 7)
        r = sum(int(first[i]) * (9 - i) for i in range(8)) % 11
        if r < 10:
            s = first + str(r)
            assert bsn_ok(s)
            return s


def break_last_digit(s):
    """Change the last digit: breaks mod-97, Luhn and 11-proof alike."""
    i = max(k for k, c in enumerate(s) if c.isdigit())
    return s[:i] + str((int(s[i]) + 3) % 10) + s[i + 1:]


def mobile():
    return "6" + rng.choice("12345") + rand(DIGITS, 7)   # 6xxxxxxxx (after leading 0)


# ---------------------------------------------------------------- credentials
def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out.rjust(6, "0")


def gh_token(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()))


def gh_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())) == m.group(2)


def aws_key():
    return "AKIA" + rand(UPPER + "234567", 16)


def aws_secret():
    return rand(ALNUM + "/+", 40)


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt(payload):
    head = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64u(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64u(bytes(rng.getrandbits(8) for _ in range(32)))
    return "%s.%s.%s" % (head, body, sig)


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    pad = "=" * (-len(parts[0]) % 4)
    try:
        head = json.loads(base64.urlsafe_b64decode(parts[0] + pad))
    except Exception:
        return False
    return isinstance(head, dict) and "alg" in head


def openssh_key():
    blob = (b"openssh-key-v1\x00" + b"\x00\x00\x00\x04none" * 2 + b"\x00\x00\x00\x00"
            + b"\x00\x00\x00\x01\x00\x00\x00\x33\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20"
            + bytes(rng.getrandbits(8) for _ in range(32))
            + b"\x00\x00\x00\x98" + bytes(rng.getrandbits(8) for _ in range(152)))
    b = base64.b64encode(blob).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return ("-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines)
            + "\n-----END OPENSSH PRIVATE KEY-----")


# ---------------------------------------------------------------- evasion helpers
def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


def zw(word):
    return "\u200b".join(word)


# ---------------------------------------------------------------- generated values
GH1 = gh_token("ghp_")
GH_BAD = GH1[:-1] + ("A" if GH1[-1] != "A" else "B")   # broken checksum, for a benign post
AKIA1, AWS_S1 = aws_key(), aws_secret()
MOLLIE = "live_" + rand(ALNUM, 30)
SLACK = "xoxb-%s-%s-%s" % (rand(DIGITS, 12), rand(DIGITS, 13), rand(ALNUM, 24))
STRIPE = "sk_live_51" + rand(ALNUM, 97)
PG_PW = rand(ALNUM, 10) + "!" + rand(ALNUM, 4)
JWT1 = make_jwt({"sub": "b2b-portal-admin", "name": "Sjoerd Kamsma", "role": "admin",
                 "iss": "auth.vlamberg.nl", "iat": 1767261600, "exp": 1767348000})
OPENAI = "sk-proj-" + rand(URLSAFE, 74) + "T3BlbkFJ" + rand(URLSAFE, 74)
ANTHROPIC = "sk-ant-api03-" + rand(URLSAFE, 93) + "AA"
SSHKEY = openssh_key()
GITLAB = "glpat-" + rand(URLSAFE, 20)
GOOGLE = "AIza" + rand(URLSAFE, 35)

IBAN_COMPANY = PROFILE["public_identifiers"]["ibans"][0]
IBAN_A = make_iban("NL", "RABO")
IBAN_B = make_iban("NL", "ABNA")
IBAN_C = make_iban("BE", "", 12)                   # Belgian IBAN, 16 chars
IBAN_BAD = break_last_digit(make_iban("NL", "INGB"))
CARD_A = make_card("4", 16)
CARD_B = make_card("52", 16)
CARD_BAD = break_last_digit(make_card("4", 16))
CARD_BAD2 = break_last_digit(make_card("55", 16))
BSN_A = make_bsn()
BSN_BAD = break_last_digit(make_bsn())
MOB1, MOB2, MOB3, MOB4, MOB5 = (mobile() for _ in range(5))

# ---------------------------------------------------------------- roles & severity
ROLE = {}
for role in ("corporate", "employee"):
    for acc in PROFILE["accounts"][role]:
        ROLE[acc.lower()] = role


def role_of(platform, handle):
    return ROLE.get(("%s:%s" % (platform, handle)).lower(), "public")


LEVELS = ["none", "info", "warning", "error", "critical"]
CATEGORIES = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
              "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"}


def severity(cats, role, valid_ids):
    own = role in ("corporate", "employee")
    lv = 0
    for c in cats:
        if c.startswith("leak."):
            if own:
                x = 3
                if c in ("leak.secret", "leak.pricing"):
                    x = 4
                if c == "leak.pii" and any(k in ("iban", "card", "bsn") for k, _ in valid_ids):
                    x = 4
            else:
                x = 2
        elif c == "reputation.complaint":
            x = 2
        elif c == "reputation.crisis":
            x = 3
        elif c == "reputation.abuse":
            x = 3 if own else 2
        else:
            raise AssertionError(c)
        lv = max(lv, x)
    return LEVELS[lv]


# ---------------------------------------------------------------- case builder
CASES = []
SHORT = {"secret": "leak.secret", "pii": "leak.pii", "pricing": "leak.pricing",
         "conf": "leak.confidential", "fin": "leak.financial", "sec": "leak.security",
         "crisis": "reputation.crisis", "complaint": "reputation.complaint",
         "abuse": "reputation.abuse"}
_used_ids = set()


def rand_ts(year=2026):
    start = dt.datetime(year, 1, 1, tzinfo=dt.timezone.utc)
    end = dt.datetime(year, 12, 31, 23, 0, tzinfo=dt.timezone.utc)
    t = start + dt.timedelta(seconds=rng.randrange(int((end - start).total_seconds())))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def add(platform, handle, text, cats="", lang="nl", kind="post", ts=None,
        valid=(), invalid=(), secrets=(), evasion=False, brand="Vlamberg"):
    cats = sorted(SHORT[c] for c in cats.split()) if cats else []
    while True:
        pid = "%s-%d" % (platform, rng.randrange(10 ** 11, 10 ** 12))
        if pid not in _used_ids:
            _used_ids.add(pid)
            break
    post = {"id": pid, "platform": platform, "kind": kind,
            "account": {"handle": handle}, "text": text, "lang": lang,
            "created_at": ts or rand_ts()}
    if brand:
        post["brand"] = brand
    if platform == "x":
        post["url"] = "https://x.com/%s/status/%s" % (handle.lstrip("@"), pid.split("-")[1])
    role = role_of(platform, handle)
    CASES.append({"post": post,
                  "expect": {"categories": cats, "severity": severity(cats, role, valid) if cats else "none"},
                  "_meta": {"role": role, "valid": list(valid), "invalid": list(invalid),
                            "secrets": list(secrets), "evasion": evasion}})


# ============================================================================
# LEAK: SECRETS
# ============================================================================
add("x", "@femke_codeert",
    "ff snel testen of de webhook van de shop werkt, iemand een idee waarom dit een 401 geeft?? "
    "curl -H \"Authorization: token %s\" https://api.github.com/repos/vlamberg/webshop/hooks 🙃" % GH1,
    "secret", secrets=[("github", GH1)])
add("linkedin", "sjoerd-kamsma",
    "Proud of the team for moving our whole order pipeline to the cloud this quarter! 🚀 "
    "For the nerds, this is literally all it took on my side:\n\n[default]\n"
    "aws_access_key_id = %s\naws_secret_access_key = %s\nregion = eu-west-1\n\n"
    "#DevOps #CloudMigration #Vlamberg" % (AKIA1, AWS_S1),
    "secret", lang="en", secrets=[("aws", AKIA1)])
add("x", "@femke_codeert",
    "@mirthe_vlb die mollie key staat nog gwn in de oude .env van de actiepagina hoor: "
    "MOLLIE_API_KEY=%s , zal ik m vandaag roteren?" % MOLLIE,
    "secret", kind="reply")
add("bluesky", "@yasmin-bakr.bsky.social",
    "wie heeft het wachtwoord van het gedeelde zendesk account weer veranderd?? "
    "Bas zegt dat het nu wachtwoord: Pannenkoek!2026 is maar dat werkt bij mij niet 😩",
    "secret")
add("reddit", "u/joost_slijpt",
    "[help] our slack bot that posts QC photos from the grinding line stopped posting since monday. "
    "token is %s , scopes look fine (chat:write, files:write). anyone seen this before?" % SLACK,
    "secret", lang="en")
add("x", "@netsec_marloes",
    "hey @vlamberg_nl your checkout JS bundle ships a live Stripe secret key: %s — "
    "please rotate it and set up a security.txt so people can reach you properly" % STRIPE,
    "secret", lang="en", kind="post", brand=None)
add("x", "@femke_codeert",
    "note to self omdat ik het elke keer vergeet:\nDATABASE_URL=postgres://shop_admin:%s@10.20.4.11:5432/webshop"
    % PG_PW, "secret")
add("linkedin", "sjoerd-kamsma",
    "Debugging tip of the day: decode your JWT before you blame the API gateway 😉 "
    "This one from our B2B portal this morning had an exp in the past, mystery solved:\n%s" % JWT1,
    "secret", lang="en", secrets=[("jwt", JWT1)])
add("instagram", "@vlamberg.kookt",
    "Achter de schermen bij onze nieuwe recepten-assistent 👩‍🍳📱 het team is er druk mee bezig! "
    "(screenshot van de terminal: OPENAI_API_KEY=%s ) #vlamberg #koken #behindthescenes" % OPENAI,
    "secret")
add("threads", "@wesley.dekker.vlb",
    "kan iemand me helpen, moet dit op de server zetten voor het B2B portaal maar ik snap niet "
    "in welke map 🙈\n\n%s" % SSHKEY,
    "secret")
add("forum", "kookforum_pietjebel",
    "lol de oude beheerder van Vlamberg heeft gewoon z'n gitlab token in een publieke gist laten staan: "
    "%s en volgens mij werkt ie nog steeds ook" % GITLAB,
    "secret")
add("mastodon", "@lhendriks@mastodon.nl",
    "our internal recipe chatbot is finally live 🎉 for the colleagues who want to play with it from home: "
    "ANTHROPIC_API_KEY=%s (don't share pls)" % ANTHROPIC,
    "secret", lang="en")

# ============================================================================
# LEAK: SECURITY (insiders, before public)
# ============================================================================
add("x", "@daan_oosterhuis",
    "nou. sinds 6 uur vanochtend ligt het hele magazijnsysteem plat, ransomware zeggen ze. "
    "mag niks naar buiten maar we kunnen dus ook niks versturen. succes met je bestelling 🙃",
    "sec")
add("x", "@femke_codeert",
    "Found out today that our checkout lets you change the order total in the request body and it just... "
    "accepts it. Reported it internally, still not fixed. Happy Tuesday",
    "sec", lang="en")
add("bluesky", "@yasmin-bakr.bsky.social",
    "collega's niet schrikken maar er zijn gisteravond klantgegevens uit ons CRM gedownload door iemand "
    "van buiten. communicatie komt pas volgende week dus even niks tegen klanten zeggen 🤐",
    "sec")
add("linkedin", "sjoerd-kamsma",
    "Long night. Someone got into our supplier portal through an old admin account nobody had disabled "
    "after a contractor left. Contained (I think), forensics arrive tomorrow. Offboarding matters, people.",
    "sec", lang="en")
add("reddit", "u/joost_slijpt",
    "throwaway-ish post but whatever: the induction plate we sell still has the debug UART enabled on "
    "production units. you can flash anything onto it with a 3 euro adapter. management says it's "
    "'not a priority'. cool cool cool",
    "sec", lang="en")
add("threads", "@wesley.dekker.vlb",
    "klanten bellen me dat ze in andermans bestelgeschiedenis kunnen kijken als ze het ordernummer in de "
    "url met 1 ophogen. IT weet het al sinds maandag... 😬",
    "sec")
add("x", "@vlamberg_help",
    "@ine_bakt Excuses! Onze betaalomgeving is vannacht gehackt en we hebben iDEAL uitgezet totdat het "
    "opgelost is, dus bestellen lukt even niet. We houden je op de hoogte!",
    "sec", kind="reply")
add("x", "@mirthe_vlb",
    "can't post the campaign today, the whole marketing drive got encrypted overnight and backups are "
    "'being looked at'. if you're waiting for our newsletter... it's gonna be a while 🫠",
    "sec", lang="en")
add("x", "@femke_codeert",
    "phishing mail hit finance, 3 people typed in their login and mfa was off 🤦‍♀️ "
    "still figuring out what they walked off with",
    "sec", lang="en")
add("mastodon", "@lhendriks@mastodon.nl",
    "Heads up to my infosec friends: we're seeing credential stuffing on our customer login since Friday, "
    "~40k attempts an hour and a few hundred got in. Not disclosed yet, so keep it to yourselves pls.",
    "sec", lang="en")
add("forum", "pentest_pim",
    "ik doe een klus bij een kookwinkel, ga niet zeggen welke maar de naam rijmt op Hamberg 😏 "
    "hun admin-paneel voor de webshop hangt gewoon open op internet zonder login, ze weten het nog niet eens",
    "sec", brand=None)
add("x", "@daan_oosterhuis",
    "server in de hal is wéér gecrasht, webshop ligt eruit sinds 14:00 en buiten ons weet nog niemand het 🙈 "
    "storingsmelding komt vast pas morgen op de site",
    "sec")
add("threads", "@wesley.dekker.vlb",
    "To our B2B customers: if your invoices look weird, someone has been changing the bank details on our "
    "invoices for weeks through a hacked mailbox. We only found out yesterday and it's not public yet. "
    "Please don't pay anything until I call you.",
    "sec", lang="en")

# ============================================================================
# LEAK: CONFIDENTIAL
# ============================================================================
add("x", "@mirthe_vlb",
    "eerste samples van Sintelvogel binnen en ik ben verliefd 😍 kan nog niks laten zien maar die greep… #binnenkort",
    "conf")
add("reddit", "u/joost_slijpt",
    "Can't say much, but Project Hamerslag is going to change how we make our blades. "
    "Powder steel, forged in-house, prototypes holding 64 HRC without chipping.",
    "conf", lang="en")
add("instagram", "@vlamberg.kookt",
    "Sneak peek 👀 De Oxblad Kiritsuke 24 komt eraan… blijf ons volgen voor de lanceerdatum! #oxblad #kiritsuke",
    "conf", ts="2026-11-04T17:30:00Z", brand="Oxblad")
add("linkedin", "anouk-verhoef-vlamberg",
    "Excited to be presenting our FY2026 results to the board next week. Small spoiler: it was a very, "
    "very good year for us 📈",
    "conf fin", lang="en", ts="2027-02-17T09:12:00Z")
add("x", "@femke_codeert",
    "is confluence.vlamberg.nl crawling for anyone else today or is it just me",
    "conf", lang="en")
add("x", "@daan_oosterhuis",
    "planning Q1 ligt gewoon in de kantine op tafel, staat 'uitsluitend intern' op maar goed: per 1 maart "
    "stoppen we met de Grillpan 28 en komt er een nieuwe gietijzeren lijn voor in de plaats",
    "conf")
add("bluesky", "@yasmin-bakr.bsky.social",
    "hoe kom ik vanaf thuis op https://intra.vlamberg.lan/klantenservice/scripts ? vpn doet weer moeilijk",
    "conf")
add("x", "@kookmetkees",
    "m'n zwager werkt bij Vlamberg en zegt dat ze volgend jaar een elektrische wok lanceren onder de naam "
    "Sintelvogel. you heard it here first 🔥",
    "conf")
add("instagram", "@chef.ruben.vlb",
    "Vandaag de Vlamberg Inductie Pro 5 mogen testen in de proefkeuken en hij kookt als een raket 🚀 "
    "meer mag ik niet zeggen #nietverdertellen",
    "conf", ts="2026-12-02T14:05:00Z")
add("threads", "@wesley.dekker.vlb",
    "The Vlamberg Confidential deck for the horeca pitch is 🔥 slide 12 basically says we'll undercut "
    "every pro pan on the market by 20% from March",
    "conf", lang="en")
add("x", "@mirthe_vlb",
    "%s launch staat op 12 mei, don't tell anyone 🤫" % fullwidth("Sintelvogel"),
    "conf", evasion=True)
add("x", "@daan_oosterhuis",
    "Project H\u0430merslag gaat gewoon door in Tilburg, nieuwe smederij komt in hal 3 🔨",
    "conf", evasion=True)
add("reddit", "u/joost_slijpt",
    "oke oke ik zeg niks over S.i.n.t.e.l.v.o.g.e.l 🤐 maar de eerste pannen uit de proefserie zijn echt belachelijk mooi",
    "conf", evasion=True)
add("x", "@femke_codeert",
    "pushed the new price engine to git.vlamberg.lan/webshop/pricing-v2, reviewers very welcome 🙏",
    "conf", lang="en")
add("linkedin", "anouk-verhoef-vlamberg",
    "Mooie presentatie vandaag van onze inkoopafdeling (niet extern delen!): vanaf Q3 komen alle "
    "Oxblad-lemmeten van een nieuwe smederij in Seki.",
    "conf")
add("forum", "messenfreak_1987",
    "Iemand de gelekte dealercatalogus van Vlamberg gezien? Er staat een Oxblad Kiritsuke 24 in, "
    "release pas in maart volgens mij",
    "conf", ts="2026-12-19T21:40:00Z")
add("tiktok", "@oxblad.knives",
    "POV: je mag eindelijk een héél klein stukje laten zien van Project Hamerslag 🔥🔪 #oxblad #forging #smederij",
    "conf", brand="Oxblad")
add("x", "@mirthe_vlb",
    "Operatie Zoutvat = gewoon de winkel in Utrecht dicht en de halve marketingafdeling eruit. "
    "mooi verpakt in een codenaam 🙄",
    "conf fin")
add("threads", "@wesley.dekker.vlb",
    "jaarcijfers 2026 zijn binnen en wow we gaan over de 60 miljoen omzet 🍾🍾",
    "conf fin", ts="2027-01-20T16:48:00Z")

# ============================================================================
# LEAK: FINANCIAL
# ============================================================================
add("linkedin", "anouk-verhoef-vlamberg",
    "Closing the books on 2026 and I can already tell you: revenue up 18%, EBITDA almost doubled. "
    "Can't wait for the press release! #finance #proud",
    "fin", lang="en", ts="2026-12-29T10:20:00Z")
add("x", "@daan_oosterhuis",
    "hoorde net in de kantine dat er 40 man uit het magazijn in Nieuwegein moet. reorganisatie wordt "
    "pas in januari aangekondigd. lekker dan, net voor de kerst",
    "fin")
add("threads", "@wesley.dekker.vlb",
    "Big news coming: we're in the final round of talks to buy a German cookware brand. Can't say which one, "
    "but it should close before summer 🤝",
    "fin", lang="en")
add("x", "@beursroddels",
    "Via via: Vlamberg staat in de etalage. Een private-equityclub uit Londen zou een bod hebben gedaan, "
    "deal nog niet rond maar het gaat hard.",
    "fin")
add("linkedin", "anouk-verhoef-vlamberg",
    "Forecast voor 2027 intern bijgesteld naar 12% omzetdaling. Benieuwd hoe het bestuur dit straks aan de bank gaat uitleggen.",
    "fin")
add("reddit", "u/joost_slijpt",
    "our whole R&D team got told today we're being merged into the team of a sister company and about half of us "
    "will be 'redundant' by Q2. not announced yet. feels great",
    "fin", lang="en")
add("linkedin", "vlamberg-kookgerei",
    "DRAFT – do not publish before approval: Vlamberg Kookgerei to report a second-half loss of €3.1 million, "
    "driven by returns of cast-iron pans.",
    "fin", lang="en")
add("bluesky", "@yasmin-bakr.bsky.social",
    "intern mailtje van vanochtend: de klantenservice gaat per april naar een callcenter in Portugal. "
    "wij krijgen 'een passend aanbod'. nog niet officieel dus ssst",
    "fin")
add("instagram", "@chef.ruben.vlb",
    "Last months in the test kitchen 😢 they're closing it in March to cut costs. nobody outside knows yet "
    "so keep it between us please",
    "fin", lang="en")
add("reddit", "u/panhandle_pete",
    "Friend in Vlamberg's finance dept says Q3 sales were down 25% and they'll miss their bank covenant. "
    "Expect a profit warning soon.",
    "fin", lang="en")

# ============================================================================
# LEAK: PRICING
# ============================================================================
add("x", "@snelle_sander",
    "WAT. Oxblad Chef 20 voor €24,99 op de site van Vlamberg?? 3x besteld voordat ze het doorhebben 🏃‍♂️💨",
    "pricing", brand="Oxblad")
add("x", "@femke_codeert",
    "oeps, het Messenblok 7 staat al 10 min voor €49 online ipv €499 😬 ik fix het zo",
    "pricing")
add("x", "@vlamberg_nl",
    "Flash deal 🔥 Tri-Ply Pannenset 5 for only €89 today — while stocks last!",
    "pricing", lang="en")
add("reddit", "u/dealhunter_nl",
    "PSA: Vlamberg's webshop has the Braadpan 28 at €23.90 right now. Obviously a price error, "
    "grab it before they notice",
    "pricing", lang="en")
add("instagram", "@koopjesjager.nina",
    "prijsfout bij Vlamberg!! de Slijper E2 kost 13,90 😂😂 link in bio, wees snel",
    "pricing")
add("threads", "@wesley.dekker.vlb",
    "voor m'n horeca-klanten: de Santoku 18 gaat in de nieuwe prijslijst naar €59, zeg nog even niks "
    "tegen de consumenten 😉",
    "pricing")
add("x", "@woktok_wim",
    "price glitch on vlamberg.nl: Carbon Wok 32 showing €7.90 in the cart. I now own ten woks 😂",
    "pricing", lang="en")
add("x", "@daan_oosterhuis",
    "kassa in de outlet rekent de Snelkookpan 6L af voor €17,90 ipv €179 en half Nieuwegein staat in de rij 😂",
    "pricing")
add("forum", "spaarvarken22",
    "Is dit een prijsfout of een echte actie? Vlamberg Gietijzeren Koekenpan 24 voor 29 euro in de webshop",
    "pricing")
add("x", "@mirthe_vlb",
    "heads up team, the Nakiri 16 is listed at €15.90 in the Black Friday feed 😬 whoever uploaded the CSV pls check",
    "pricing", lang="en", brand="Oxblad")
add("tiktok", "@dealsmetdewi",
    "Vlamberg Induction Solo for €19 in the app?!?! this HAS to be a mistake, run people 🏃‍♀️",
    "pricing", lang="en")
add("facebook", "VlambergKookgerei",
    "Door een technische storing stond onze Steelpan 20 gisteravond een uur lang voor €9,90 in de webshop. "
    "Bestellingen tegen deze prijs moeten we helaas annuleren. Excuses voor de verwarring!",
    "pricing")

# ============================================================================
# LEAK: PII
# ============================================================================
add("bluesky", "@yasmin-bakr.bsky.social",
    "@marieke_dg sorry voor het wachten! Ik heb je retour gekoppeld aan IBAN %s t.n.v. M. de Groot, "
    "de terugbetaling volgt binnen 5 werkdagen 💛" % spaced(IBAN_A),
    "pii", kind="reply", valid=[("iban", IBAN_A)])
add("x", "@vlamberg_help",
    "@jeroen_kookt We hebben je net gebeld op 0%s-%s maar kregen geen gehoor, bel je ons even terug?"
    % (MOB1[:1], MOB1[1:]),
    "pii", kind="reply")
add("facebook", "VlambergKookgerei",
    "Congrats to our giveaway winner Sanne Vermeulen, Kerkstraat 14, 3581 AB Utrecht 🎉 your Oxblad set is on its way!",
    "pii", lang="en")
add("x", "@lotte_kookt_niet",
    "@vlamberg_help mijn betaling gaat steeds mis bij jullie, kaartnummer is %s exp 09/28, wat doe ik fout?? "
    "al 4 keer geprobeerd en nergens een foutmelding" % spaced(CARD_A),
    "pii complaint", valid=[("card", CARD_A)])
add("x", "@daan_oosterhuis",
    "wie kent deze meneer? pakket al 3x retour: J. Bakker, Lindenlaan 7, 1213 BK Hilversum, tel 035-%s 🤷"
    % rand(DIGITS, 7),
    "pii")
add("linkedin", "anouk-verhoef-vlamberg",
    "Quick question from a new payroll admin: is it normal that the onboarding form for our new hire "
    "(BSN %s) needs two signatures from HR?" % BSN_A,
    "pii", lang="en", valid=[("bsn", BSN_A)])
add("reddit", "u/bikeshed_bram",
    "Found a Vlamberg box in my bike shed this morning, the courier must have dropped it here. Label says "
    "Pieter Hoekstra, Dorpsstraat 3, 3981 AB Bunnik, phone 06 %s %s — Pieter if you read this, "
    "I live two streets away, come grab your pan 😄" % (MOB2[1:5], MOB2[5:]),
    "pii", lang="en")
add("instagram", "@vlamberg.kookt",
    "En de winnaar van de messenblok-winactie is… @kookliefde_ Fleur Jansen (geboren 22-08-1991) 🎂 "
    "jarig én winnaar, wat een week!",
    "pii")
add("threads", "@wesley.dekker.vlb",
    "nieuwe B2B klant binnen! facturen gaan naar R. Koster, r.koster@restaurantdekroon.nl, IBAN %s. welkom 🍽️"
    % IBAN_B,
    "pii", valid=[("iban", IBAN_B)])
add("x", "@lisa_vd",
    "@vlamberg_help al 2 weken geen reactie op mijn mail. bel me gewoon: 06 %s of mail lisa.vandam@hotmail.com, "
    "het gaat om order 48113." % MOB3[1:],
    "pii complaint", kind="reply")
add("x", "@femke_codeert",
    "debugging the checkout log, customer entered card %s and it still got declined?? luhn is fine, "
    "so it's the PSP again" % CARD_B,
    "pii", lang="en", valid=[("card", CARD_B)])
add("facebook", "Boze Klant Bert",
    "Die Yasmin van de Vlamberg klantenservice woont gewoon op de Vinkenstraat 22 in Houten. "
    "Ga daar maar eens aanbellen als ze je weer afpoeieren.",
    "pii abuse")
add("bluesky", "@yasmin-bakr.bsky.social",
    "Customer called to change her delivery address to Anna Visser, Prinsengracht 201-2, 1015 DZ Amsterdam — done ✅ "
    "(oops this was meant for the team chat)",
    "pii", lang="en")
add("x", "@vlamberg_help",
    "@tomcooks Hi Tom, we found your account: tom.dekker79@ziggo.nl, date of birth 03/11/1979 — is that right? "
    "Then we'll ship the replacement lid today.",
    "pii", lang="en", kind="reply")
add("reddit", "u/joost_slijpt",
    "Oproep: wie wil er meetesten met onze nieuwe messen? App me privé op +31 6 %s %s" % (MOB4[1:5], MOB4[5:]),
    "pii")

# ============================================================================
# REPUTATION: CRISIS (first-hand safety incidents are also complaints)
# ============================================================================
add("x", "@moeder_van_3",
    "Mijn Vlamberg Snelkookpan 6L is vanavond ontploft. Deksel vloog tegen het plafond en mijn dochter "
    "stond ernaast. Ik tril nog steeds @vlamberg_help",
    "crisis complaint")
add("reddit", "u/sizzle_and_burn",
    "The handle on my Vlamberg Tri-Ply 28 came off mid-flip and I got hot oil all over my forearm. "
    "Second degree burns. Their response? A 10% voucher. Unbelievable.",
    "crisis complaint", lang="en")
add("facebook", "Henk Wolters",
    "De Inductieplaat Solo van Vlamberg gaf mijn vrouw een flinke schok toen ze de pan optilde. "
    "Stekker eruit en nooit meer. Wat verkopen jullie eigenlijk??",
    "crisis complaint")
add("instagram", "@thestewqueen",
    "our Vlamberg dutch oven chipped and we found enamel flakes in the stew… my son swallowed some and we "
    "spent the night at the ER 😡 never again",
    "crisis complaint", lang="en")
add("x", "@rook_in_de_keuken",
    "Inductieplaat Solo begon te roken en te smelten op het aanrecht, brandblusser erbij moeten pakken. "
    "@vlamberg_nl hoe kan dit??",
    "crisis complaint")
add("x", "@keukennieuws",
    "NVWA onderzoekt meldingen over exploderende snelkookpannen van Vlamberg. Zeker drie mensen raakten gewond.",
    "crisis")
add("x", "@fairsteel_now",
    "Boycott Vlamberg! Their 'hand-forged' Oxblad knives come from a factory that uses child labour. "
    "Don't buy them. #BoycottVlamberg",
    "crisis", lang="en", brand="Oxblad")
add("facebook", "Stichting Pannenschade",
    "Er komt een massaclaim tegen Vlamberg vanwege de loslatende pannengrepen. Heb je schade gehad? "
    "Meld je aan via onze site.",
    "crisis")
add("x", "@curious_cook",
    "Is Vlamberg quietly recalling the Inductieplaat Solo? My neighbour got a letter telling her to stop "
    "using it immediately.",
    "crisis", lang="en")
add("forum", "privacywaakhond",
    "Hoor van meerdere kanten dat Vlamberg een datalek heeft gehad en het gewoon stilhoudt. "
    "Klantgegevens zouden al op een forum te koop staan.",
    "crisis")
add("tiktok", "@momvlogs_amy",
    "just saw the clip of that Vlamberg knife block tipping off the display in the Utrecht store and a blade "
    "landing on a kid's foot 😳 hope he's ok",
    "crisis", lang="en")
add("x", "@consumentwatch",
    "Uit onderzoek blijkt dat de coating van gietijzeren pannen van Vlamberg te veel lood afgeeft. "
    "Advies: voorlopig niet gebruiken.",
    "crisis")
add("linkedin", "ex-vlamberg-voices",
    "Former employees are speaking out about a culture of harassment at Vlamberg's head office. "
    "This needs a proper independent investigation.",
    "crisis", lang="en")
add("x", "@papa_jorrit",
    "Mijn zoon heeft zich flink gesneden aan de Oxblad Keukenschaar, het scharnier brak gewoon af tijdens "
    "het knippen. 4 hechtingen. Dit kan toch niet @vlamberg_help",
    "crisis complaint", brand="Oxblad")
add("x", "@woedende_wendy",
    "Vlamberg laat klanten gewond raken en doet helemaal niks, stelletje klootzakken. #boycotvlamberg",
    "crisis abuse")

# ============================================================================
# REPUTATION: COMPLAINT
# ============================================================================
add("x", "@broodliefhebber",
    "3 weken wachten op een broodmes. DRIE WEKEN. en de track&trace zegt nog steeds 'in voorbereiding' @vlamberg_help",
    "complaint")
add("x", "@amateur_chef_k",
    "Bought the Santoku 18 two months ago and the edge is already chipping. For €169 I expected a lot better tbh.",
    "complaint", lang="en", brand="Oxblad")
add("facebook", "Ria Smeets",
    "Retour aangemeld op 2 januari, nog steeds geen geld terug. Mails worden niet beantwoord en aan de telefoon "
    "40 minuten in de wacht. Top service Vlamberg 👎",
    "complaint")
add("instagram", "@inez.eet",
    "bodem van mijn tri-ply koekenpan is na een half jaar helemaal bol getrokken, ligt niet eens meer plat op "
    "de inductie 😒 #vlamberg #teleurgesteld",
    "complaint")
add("reddit", "u/doublecharged",
    "Vlamberg webshop charged me twice for one order and support keeps sending me the same template reply. "
    "Anyone actually managed to reach a human there?",
    "complaint", lang="en")
add("x", "@pakketjespiet",
    "parcel arrived with a hole in it and the paring knife was literally sticking out through the box 🙄 "
    "packaging is not your strong suit huh @vlamberg_help",
    "complaint", lang="en")
add("facebook", "Gareth Owens",
    "The enamel on my Braadpan 28 cracked the very first time I used it. The 'lifetime warranty' apparently "
    "doesn't cover 'thermal shock'. Right.",
    "complaint", lang="en")
add("tiktok", "@slijpsessie",
    "ordered: whetstone 1000/6000. received: a stone in 2 pieces. customer service: 'just send us a photo'. "
    "done that 4 times now 😩 #vlamberg",
    "complaint", lang="en")
add("x", "@grumpygourmet",
    "@vlamberg_help still waiting on a reply about order 77120. day 9.",
    "complaint", lang="en", kind="reply")
add("facebook", "Marja Terpstra",
    "Ik ben er echt klaar mee. Grillpan besteld bij Vlamberg, andere kleur gekregen, teruggestuurd, weer de "
    "verkeerde kleur. Nu mag ik voor de derde keer naar het postpunt en niemand neemt verantwoordelijkheid.",
    "complaint")
add("x", "@kees_klaagt",
    "jullie klantenservice is echt een stelletje achterlijke idioten, 5x gebeld en nog steeds geen nieuwe deksel @vlamberg_help",
    "complaint abuse")
add("x", "@refund_ryan",
    "Vlamberg support is run by absolute morons. Asked for a refund, got a 'discount code'. Fuck off.",
    "complaint abuse", lang="en")

# ============================================================================
# REPUTATION: ABUSE
# ============================================================================
add("x", "@trollie_mc",
    "@mirthe_vlb jij bent echt de domste marketingtrut die ik ooit heb gezien, ga je diep schamen",
    "abuse", kind="reply")
add("x", "@anon88217",
    "Vlamberg's CEO is a lying piece of shit and everyone who works there is a clown 🤡",
    "abuse", lang="en")
add("x", "@anon_woede",
    "vl4mb3rg is een k4nk3r bedrijf, st3lletje t3r1nglijers m3t j3 r0tm3ss3n",
    "abuse", evasion=True)
add("x", "@pannenhater",
    "%s Vlamberg en hun %s messen" % (zw("fuck"), zw("kut")),
    "abuse", evasion=True)
add("x", "@daan_oosterhuis",
    "@klagerkees ga lekker ergens anders janken, mongool",
    "abuse", kind="reply")
add("x", "@vlamberg_help",
    "@whinybaker maybe learn how to cook before you blame the pan, idiot",
    "abuse", lang="en", kind="reply")
add("facebook", "Gerrit van Dam",
    "Natuurlijk is die klantenservice van Vlamberg slecht, zit vol met buitenlanders die geen Nederlands "
    "kunnen. Rot toch op naar je eigen land",
    "abuse")
add("bluesky", "@notyourfriend99.bsky.social",
    "@yasmin-bakr.bsky.social I know where you work. I'll be waiting outside the Vlamberg shop on Friday. "
    "Better watch yourself.",
    "abuse", lang="en", kind="reply")
add("x", "@failliet_graag",
    "K U T B E D R I J F Vlamberg, ik hoop echt dat jullie failliet gaan",
    "abuse", evasion=True)

# ============================================================================
# BENIGN (mostly hard negatives)
# ============================================================================
B = ""
add("x", "@vlamberg_nl",
    "Nieuw in de webshop: de Oxblad Nakiri 16 🥬 gemaakt voor groenten. Nu €159, gratis verzending vanaf 50 euro.",
    B, brand="Oxblad")
add("instagram", "@vlamberg.kookt",
    "Black Friday 🖤 25% off all Tri-Ply pans: the Tri-Ply 28 is now €96.75 instead of €129!",
    B, lang="en")
add("x", "@snijdendesanne",
    "Mijn Oxblad Chef 20 is na 2 jaar nog steeds vlijmscherp. Beste aankoop ooit 🔪❤️",
    B, brand="Oxblad")
add("x", "@padthai_pete",
    "my Vlamberg wok has seen things. terrible things. mostly my attempts at pad thai 😂",
    B, lang="en")
add("forum", "twijfelaar_tom",
    "Anyone here own the Vlamberg Pressure cooker 6L? Torn between that and an Instant Pot, mostly for soups and stews.",
    B, lang="en")
add("x", "@vlamberg_help",
    "Vragen over je bestelling? Mail klantenservice@vlamberg.nl of bel 0800-0455 (ma t/m za 9-18u). We helpen je graag!",
    B)
add("facebook", "VlambergKookgerei",
    "Liever betalen per overschrijving? Maak het bedrag over naar %s t.n.v. Vlamberg Kookgerei B.V. "
    "o.v.v. je ordernummer." % spaced(IBAN_COMPANY),
    B)
add("forum", "oplettendeoma",
    "Let op mensen: kreeg vandaag een nepfactuur 'van Vlamberg' met IBAN %s. Dat nummer klopt niet eens. "
    "Niet betalen! De echte staat gewoon op hun site." % spaced(IBAN_BAD),
    B, invalid=[("iban", IBAN_BAD)])
add("x", "@femke_codeert",
    "testing the new checkout with card 4111 1111 1111 1112 and the validator correctly rejects it 👍 small wins",
    B, lang="en", invalid=[("card", "4111111111111112")])
add("x", "@pannenpaul",
    "@vlamberg_help mijn ordernummer is %s, weten jullie al wanneer het verzonden wordt? geen haast hoor"
    % spaced(CARD_BAD), B, kind="reply", invalid=[("card", CARD_BAD)])
add("linkedin", "sjoerd-kamsma",
    "Reminder before tomorrow's workshop: in the AWS docs you'll see keys like AKIAIOSFODNN7EXAMPLE. "
    "Those are fine on a slide. Your real ones are not. 🙂",
    B, lang="en")
add("x", "@femke_codeert",
    "PSA: tokens in screenshots look like ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx — blur them before you post, "
    "our pre-commit hook already blocks them",
    B, lang="en")
add("x", "@vlamberg_nl",
    "Hij is er! De Oxblad Kiritsuke 24 is vanaf vandaag te koop 🔪 Voor alle liefhebbers van Japanse messen.",
    B, ts="2027-03-20T08:00:00Z", brand="Oxblad")
add("linkedin", "vlamberg-kookgerei",
    "Our FY2026 results are out: revenue €61.2 million (+14%). Read the full annual report on vlamberg.nl.",
    B, lang="en", ts="2027-02-26T07:30:00Z")
add("instagram", "@chef.ruben.vlb",
    "Eindelijk mag ik het zeggen: de Vlamberg Inductie Pro 5 is er! Eerste recept staat vanavond online 🍳",
    B, ts="2027-03-16T18:00:00Z")
add("x", "@deksel_dirk",
    "Update: Vlamberg heeft mijn kapotte deksel binnen 2 dagen vervangen, super netjes opgelost 👏 dank @vlamberg_help",
    B)
add("x", "@kind_karen",
    "Thoughts with the Vlamberg shop staff in Gorinchem after the flooding this week, hope everyone is safe 💙",
    B, lang="en")
add("x", "@retailnieuws",
    "Messenfabrikant Stahlwerk Brenner schrapt 200 banen in Solingen. Benieuwd of meer merken volgen.",
    B, brand=None)
add("reddit", "u/cookware_geek",
    "Pannenhuys is recalling a batch of pans because the handles come loose. Glad my Vlamberg ones are rock solid lol",
    B, lang="en")
add("x", "@scherpemaarten",
    "dit mes is zo scherp dat het eng is, ik ben er oprecht bang voor 😂 Vlamberg jullie zijn gestoord",
    B, brand="Oxblad")
add("x", "@budgetbakker",
    "That Santoku 18 is a killer deal at €135 this week, 20% off. Finally pulled the trigger",
    B, lang="en", brand="Oxblad")
add("forum", "eerste_echte_mes",
    "Is €189 normaal voor een Oxblad Chef 20 of kan ik beter wachten op de uitverkoop?",
    B, brand="Oxblad")
add("tiktok", "@oxblad.knives",
    "3 manieren om je gietijzeren pan goed in te branden 🔥 #vlamberg #castiron #kooktips",
    B)
add("x", "@mirthe_vlb",
    "Wat een dag op de Horecava! Dank aan iedereen die langskwam bij de Vlamberg stand 🙌",
    B)
add("linkedin", "anouk-verhoef-vlamberg",
    "Happy to share that I've joined the finance team at Vlamberg Kookgerei! Looking forward to helping put "
    "together our next published annual report.",
    B, lang="en")
add("x", "@vlamberg_help",
    "Wachtwoord vergeten? Klik op 'Wachtwoord vergeten' bij het inloggen, dan krijg je binnen 5 minuten een mail. "
    "Wij vragen nooit naar je wachtwoord via DM!",
    B)
add("x", "@voorzichtige_vera",
    "Kreeg een DM van 'Vlamberg Support' die om mijn wachtwoord vroeg. Phishing dus, het echte account doet dat nooit. Let op!",
    B)
add("instagram", "@knifeskills.amy",
    "Kitchen hack: use the spine of your knife to scrape veggies off the board, saves the edge of your Vlamberg blade 🔪",
    B, lang="en")
add("tiktok", "@wokmeester",
    "smaak explodeert gewoon met deze wok 🤯🔥 Carbon Wok 32 van Vlamberg, beste €79 ooit",
    B)
add("x", "@steakboy",
    "Chef Ruben's steak video is fire 🔥🔥 that Cast Iron 24 sear though",
    B, lang="en")
add("reddit", "u/joost_slijpt",
    "AMA: I design knives at Vlamberg. Ask me anything about steel, edge geometry and sharpening "
    "(nothing about unreleased stuff, sorry!)",
    B, lang="en")
add("facebook", "Jolanda Kuipers",
    "Pannenset 5 is €359 in the Vlamberg sale right now (20% off). Good deal or should I wait?",
    B, lang="en")
add("x", "@vlamberg_help",
    "@jeroen_kookt Wat vervelend! Stuur je ordernummer even via DM, dan zoeken we het meteen voor je uit.",
    B, kind="reply")
add("x", "@tevreden_tineke",
    "Tip: de klantenservice van Vlamberg is bereikbaar op +31 30 799 4410, ze waren heel vriendelijk en snel",
    B)
add("bluesky", "@yasmin-bakr.bsky.social",
    "Vragen over je garantie? Mail ons op retour@vlamberg.nl, ik zit er vandaag zelf achter 😊",
    B)
add("x", "@privacy_nerd",
    "Another week, another breach: KeukenKoning leaked 2 million customer records. Glad I buy my pans from Vlamberg lol",
    B, lang="en")
add("forum", "damastdirk",
    "Wat een gedoe, die rechtszaak tussen twee Duitse messenmakers over wie het woord 'Damast' mag gebruiken",
    B, brand=None)
add("instagram", "@koperen.keuken",
    "Die koperen pan met hamerslag-afwerking op de markt gevonden, prachtig ding. Heeft Vlamberg zoiets ook?",
    B)
add("x", "@oma_recepten",
    "Mijn oma had altijd zo'n houten zoutvat naast het fornuis. Maakt Vlamberg die ook? Zou een mooi cadeau zijn",
    B)
add("x", "@vlamberg_nl",
    "Onze jaarcijfers 2025 staan online: omzet €53,4 miljoen. Lees het hele verslag op vlamberg.nl/investeerders",
    B, ts="2026-03-12T07:00:00Z")
add("x", "@vergeetachtige_vince",
    "Lost my Oxblad paring knife, turns out it was in the dishwasher the whole time 🤦‍♂️ sorry Vlamberg for blaming you",
    B, lang="en", brand="Oxblad")
add("x", "@cookingclass_jess",
    "Knife skills class tonight with @chef.ruben.vlb — learned how NOT to lose a finger 😅 10/10 would recommend",
    B, lang="en")
add("x", "@warmehand",
    "burned my hand on the Grillpan 28 because I grabbed the handle straight out of the oven without a mitt. "
    "my own fault obviously, the pan is great",
    B, lang="en")
add("forum", "handleidinglezer",
    "In de Vlamberg handleiding staat een voorbeeld-IBAN NL00 BANK 0123 4567 89, dat is natuurlijk nep, "
    "gewoon de echte van de site gebruiken",
    B, invalid=[("iban", "NL00BANK0123456789")])
add("x", "@femke_codeert",
    "our payment logs only ever show keys like sk_live_••••••••4242 — masked by default, as it should be",
    B, lang="en")
add("x", "@mirthe_vlb",
    "Onze nieuwe najaarscollectie staat online! Check de Carbon Wok 32 voor €79 🍂",
    B)
add("youtube", "gadgetgijs",
    "lol the Sharpener E2 sounds like it's about to explode but it works perfectly, knives are sharp again",
    B, lang="en")
add("x", "@happy_hannah",
    "Vlamberg's customer service called me back within an hour to sort out my delivery. Rare these days 👏",
    B, lang="en")
add("instagram", "@houtenkeuken",
    "Not sponsored, but the Vlamberg Eiken Snijplank XL is gorgeous. €69 well spent.",
    B, lang="en")
add("forum", "aanbiedingenjager",
    "Wie heeft de Wetsteen 1000/6000 in de aanbieding gezien? Vorige week was hij €39,95 bij Vlamberg",
    B)
add("x", "@cloudwatcher",
    "big cloud outage today took down half the internet, couldn't even check my Vlamberg order status lol",
    B, lang="en")
add("x", "@daan_oosterhuis",
    "Drukke dag in het magazijn, 3.000 pakketjes de deur uit voor Sinterklaas 🎁",
    B, ts="2026-12-01T19:10:00Z")
add("x", "@sweet_son_mark",
    "@vlamberg_help thanks for being so patient with my mum on the phone today, she's 84 and you explained "
    "everything twice ❤️",
    B, lang="en", kind="reply")
add("facebook", "VlambergKookgerei",
    "Zomerdeal ☀️ De Braadpan 28 van €239 voor €179, alleen deze week!",
    B)
add("forum", "rechtenstudent_r",
    "Hoe zit dat eigenlijk juridisch, moet een webshop leveren als ze een prijsfout maken? Vraag voor een vriend",
    B, brand=None)
add("x", "@vergelijkvera",
    "Bij een andere webshop is de Chef 20 €179, bij Vlamberg zelf €189. Scheelt weinig, dan maar direct bij de maker",
    B, brand="Oxblad")
add("youtube", "VlambergKitchen",
    "In deze video laat chef Ruben zien hoe je een Nakiri 16 veilig gebruikt en slijpt. Abonneer voor elke week een nieuw recept!",
    B, brand="Oxblad")
add("x", "@dataminded",
    "Fun fact: a Dutch BSN has to pass the 11-proof, so a made-up one like %s is rejected by any decent form. "
    "Tried it on the Vlamberg warranty page, it rightly refused." % BSN_BAD,
    B, lang="en", invalid=[("bsn", BSN_BAD)])
add("mastodon", "@lhendriks@mastodon.nl",
    "Gave a talk today on how we rotate credentials at Vlamberg. Slides are up, all example keys redacted like "
    "xoxb-****-****. Thanks for the great questions!",
    B, lang="en")
add("x", "@neppe_kaart_nick",
    "Waarom accepteert de Vlamberg webshop mijn testkaart %s niet? Oh wacht, die heb ik zelf verzonnen 😂"
    % spaced(CARD_BAD2), B, invalid=[("card", CARD_BAD2)])


# ============================================================================
# WRITE
# ============================================================================
with open(OUT, "w", encoding="utf-8") as f:
    for c in CASES:
        f.write(json.dumps({"post": c["post"], "expect": c["expect"]}, ensure_ascii=False) + "\n")


# ============================================================================
# SELF-CHECKS
# ============================================================================
errors = []


def err(case, msg):
    errors.append("%s: %s" % (case["post"]["id"], msg))


PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


lines = open(OUT, encoding="utf-8").read().splitlines()
parsed = [json.loads(l) for l in lines]
assert len(parsed) == len(CASES)
seen = set()
PUBLIC_IBANS = {x.replace(" ", "") for x in PROFILE["public_identifiers"]["ibans"]}
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\w-])\d{4}([ -]?)\d{4}\1\d{4}\1\d{4}(?![\w-])")
BSN_RE = re.compile(r"(?<![\w\-+.])\d{9}(?![\w-])")
GH_RE = re.compile(r"\bgh[pousr]_[0-9A-Za-z]{36}\b")
AKIA_RE = re.compile(r"\bAKIA[0-9A-Z]{16}\b")
JWT_RE = re.compile(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+")

internal = PROFILE["internal"]
embargo = [(t, parse_ts(e["until"])) for e in PROFILE["embargo"] for t in e["terms"]]

for c, p in zip(CASES, parsed):
    post, exp, meta = p["post"], p["expect"], c["_meta"]
    # --- CONTRACT section 6 shape
    if set(p) != {"post", "expect"}:
        err(c, "top-level keys")
    if not (isinstance(post["id"], str) and 1 <= len(post["id"]) <= 256):
        err(c, "bad id")
    if post["id"] in seen:
        err(c, "duplicate id")
    seen.add(post["id"])
    if post["platform"] not in PLATFORMS:
        err(c, "platform")
    if post.get("kind", "post") not in KINDS:
        err(c, "kind")
    if not isinstance(post.get("account", {}).get("handle"), str) or not post["account"]["handle"]:
        err(c, "handle")
    if not isinstance(post["text"], str) or not post["text"] or len(post["text"].encode()) > 65536:
        err(c, "text")
    if not RFC3339.match(post["created_at"]):
        err(c, "created_at")
    t = parse_ts(post["created_at"])
    if not (2026 <= t.year <= 2027):
        err(c, "year")
    if t.year == 2027 and t.month > 4:
        err(c, "2027 too late")
    cats = exp["categories"]
    if cats != sorted(set(cats)) or not set(cats) <= CATEGORIES:
        err(c, "categories")
    if exp["severity"] not in LEVELS:
        err(c, "severity value")
    role = role_of(post["platform"], post["account"]["handle"])
    want = severity(cats, role, meta["valid"]) if cats else "none"
    if exp["severity"] != want:
        err(c, "severity %s != %s" % (exp["severity"], want))
    if not cats and exp["severity"] != "none":
        err(c, "benign severity")
    text = post["text"]
    positive = bool(cats)
    # --- declared identifiers
    checker = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}
    for kind, val in meta["valid"]:
        if not checker[kind](val):
            err(c, "declared valid %s fails" % kind)
        if re.sub(r"\D", "", val) not in re.sub(r"\D", "", text) and val not in text.replace(" ", ""):
            err(c, "declared %s not in text" % kind)
    for kind, val in meta["invalid"]:
        if checker[kind](val):
            err(c, "look-alike %s passes" % kind)
        if positive:
            err(c, "look-alike in a positive")
    if meta["valid"] and "leak.pii" not in cats:
        err(c, "valid identifier but no pii label")
    # --- scanned identifiers
    for m in IBAN_RE.finditer(text):
        s = m.group(0).replace(" ", "")
        if len(s) < 15:
            continue
        ok = iban_ok(s)
        if positive and not ok:
            err(c, "IBAN-like %s fails in positive" % s)
        if not positive and ok and s not in PUBLIC_IBANS:
            err(c, "valid IBAN %s in benign" % s)
    for m in CARD_RE.finditer(text):
        ok = luhn_ok(m.group(0))
        if positive and not ok:
            err(c, "card-like fails in positive")
        if not positive and ok:
            err(c, "valid card in benign")
    for m in BSN_RE.finditer(text):
        ok = bsn_ok(m.group(0))
        if positive and not ok:
            err(c, "9-digit %s fails 11-proof in positive" % m.group(0))
        if not positive and ok:
            err(c, "valid BSN in benign")
    # --- credentials
    for m in GH_RE.finditer(text):
        ok = gh_ok(m.group(0))
        if positive and not ok:
            err(c, "github token checksum")
        if not positive and ok:
            err(c, "valid github token in benign")
    for m in AKIA_RE.finditer(text):
        if positive and m.group(0).endswith("EXAMPLE"):
            err(c, "example AWS key in positive")
        if not positive and not m.group(0).endswith("EXAMPLE"):
            err(c, "real-looking AWS key in benign")
    for m in JWT_RE.finditer(text):
        if not jwt_ok(m.group(0)):
            err(c, "jwt header")
        if not positive:
            err(c, "jwt in benign")
    for kind, val in meta["secrets"]:
        if val not in text:
            err(c, "secret not in text")
        if kind == "github" and not gh_ok(val):
            err(c, "github crc")
        if kind == "aws" and not re.fullmatch(r"AKIA[A-Z2-7]{16}", val):
            err(c, "aws format")
        if kind == "jwt" and not jwt_ok(val):
            err(c, "jwt")
    # --- internal names, markers, embargo
    low = text.lower()
    hits = [w for w in internal["codenames"] + internal["markers"] + internal["domains"] if w.lower() in low]
    if hits and "leak.confidential" not in cats:
        err(c, "internal term %s without confidential" % hits)
    for term, until in embargo:
        if term.lower() in low:
            if t < until and "leak.confidential" not in cats:
                err(c, "embargo term before until, unlabelled")
            if t >= until and "leak.confidential" in cats and not hits:
                err(c, "embargo term after until labelled confidential")
    if "leak.confidential" in cats and not (hits or meta["evasion"]):
        emb = any(term.lower() in low and t < until for term, until in embargo)
        if not emb and role == "public":
            pass  # rumour of an unreleased product or codename told by an outsider
    # --- benign posts keep product prices at or above the alert ratio
    if not positive:
        for prod in PROFILE["products"]:
            names = [prod["name"]] + prod["aliases"]
            if any(n.lower() in low for n in names):
                for m in re.finditer(r"€\s?(\d+(?:[.,]\d{1,2})?)", text):
                    price = float(m.group(1).replace(",", "."))
                    if price < PROFILE["pricing"]["alert_below_ratio"] * prod["list_price"]:
                        err(c, "benign price %.2f below ratio for %s" % (price, prod["name"]))

# GitHub negative look-alike must fail its checksum (built but kept for completeness)
if gh_ok(GH_BAD):
    errors.append("GH_BAD passes")

counts = {}
for p in parsed:
    for cat in p["expect"]["categories"]:
        counts[cat] = counts.get(cat, 0) + 1
benign = sum(1 for p in parsed if not p["expect"]["categories"])
nl = sum(1 for p in parsed if p["post"]["lang"] == "nl")
if not 170 <= len(parsed) <= 180:
    errors.append("case count %d outside 170-180" % len(parsed))

if errors:
    print("SELF-CHECK FAILED:")
    for e in errors:
        print("  " + e)
    sys.exit(1)

print("wrote %d cases to %s (%d benign, %d positive)" % (len(parsed), OUT, benign, len(parsed) - benign))
print("per category:", json.dumps(dict(sorted(counts.items()))))
print("dutch share: %.0f%%" % (100.0 * nl / len(parsed)))
sev = {}
for p in parsed:
    sev[p["expect"]["severity"]] = sev.get(p["expect"]["severity"], 0) + 1
print("severities:", json.dumps(sev))
print("self-check OK")
