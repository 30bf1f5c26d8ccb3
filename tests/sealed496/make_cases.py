#!/usr/bin/env python3
"""Labelled evaluation set for postwatch: Kroonspaak (fictional bike-sharing scheme, Ravensburcht).

Deterministic (fixed seed). Writes cases.jsonl beside this file and self-checks it:
  * every line is a valid CONTRACT section 6 case;
  * every IBAN / card / BSN in a positive passes its checksum, every look-alike in a
    negative fails it, and no post carries an unlabelled valid identifier;
  * generated secrets are well-formed (GitHub CRC-32, AWS key id alphabet, JWT header ...);
  * severities are computed from the account role in profile.yaml (CONTRACT section 4).
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
SEED = 496
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# ---------------------------------------------------------------------------
# identifier generators and validators
# ---------------------------------------------------------------------------
DIGITS = string.digits
ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base-62 order
B32 = string.ascii_uppercase + "234567"


def iban_valid(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(cc, bban):
    r = bban + cc + "00"
    chk = 98 - int("".join(str(int(c, 36)) for c in r)) % 97
    return "%s%02d%s" % (cc, chk, bban)


def nl_iban(bank):
    return make_iban("NL", bank + "".join(rng.choice(DIGITS) for _ in range(10)))


def spaced(s, n=4):
    return " ".join(s[i:i + n] for i in range(0, len(s), n))


def luhn_valid(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def make_card(prefix, length=16):
    body = prefix + "".join(rng.choice(DIGITS) for _ in range(length - len(prefix) - 1))
    for c in DIGITS:
        if luhn_valid(body + c):
            return body + c
    raise AssertionError


def bsn_valid(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9 or s[0] == "0":
        return False
    w = [9, 8, 7, 6, 5, 4, 3, 2, -1]
    return sum(int(a) * b for a, b in zip(s, w)) % 11 == 0


def make_bsn():
    while True:
        s = str(rng.randint(1, 9)) + "".join(rng.choice(DIGITS) for _ in range(8))
        if bsn_valid(s):
            return s


def corrupt_digit(s, check):
    """Change one digit so that `check` fails (a realistic typo)."""
    idx = [i for i, c in enumerate(s) if c.isdigit()]
    while True:
        i = rng.choice(idx[2:])
        c = str((int(s[i]) + rng.randint(1, 9)) % 10)
        t = s[:i] + c + s[i + 1:]
        if not check(t):
            return t


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out or "0"


def gh_token(prefix="ghp_"):
    body = "".join(rng.choice(ALNUM) for _ in range(30))
    return prefix + body + b62(zlib.crc32(body.encode())).rjust(6, "0")


def gh_valid(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def rand(alpha, n):
    return "".join(rng.choice(alpha) for _ in range(n))


def b64url(b):
    return base64.urlsafe_b64encode(b).decode().rstrip("=")


def make_jwt(payload):
    h = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    p = b64url(json.dumps(payload, separators=(",", ":")).encode())
    s = b64url(bytes(rng.getrandbits(8) for _ in range(32)))
    return "%s.%s.%s" % (h, p, s)


def jwt_valid(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    try:
        hdr = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except Exception:
        return False
    return isinstance(hdr, dict) and "alg" in hdr


def make_openssh_key():
    blob = (b"openssh-key-v1\x00" + b"\x00\x00\x00\x04none" * 2 + b"\x00\x00\x00\x00"
            + b"\x00\x00\x00\x01" + b"\x00\x00\x00\x33" + b"\x00\x00\x00\x0bssh-ed25519"
            + b"\x00\x00\x00\x20" + bytes(rng.getrandbits(8) for _ in range(32))
            + b"\x00\x00\x00\x90" + bytes(rng.getrandbits(8) for _ in range(144)))
    b = base64.b64encode(blob).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def password(n=14):
    alpha = string.ascii_letters + string.digits + "!#%&*?-"
    while True:
        p = rand(alpha, n)
        if (any(c.isdigit() for c in p) and any(c.isupper() for c in p)
                and any(c in "!#%&*?-" for c in p) and p[0].isalnum()):
            return p


SECRET_CHECKS = {
    "github": gh_valid,
    "aws_id": lambda s: bool(re.fullmatch(r"AKIA[A-Z2-7]{16}", s)) and "EXAMPLE" not in s,
    "aws_secret": lambda s: bool(re.fullmatch(r"[A-Za-z0-9/+]{40}", s)),
    "slack": lambda s: bool(re.fullmatch(r"xox[bp]-\d{10,13}-\d{10,13}-[A-Za-z0-9]{24}", s)),
    "stripe": lambda s: bool(re.fullmatch(r"sk_live_[A-Za-z0-9]{90,110}", s)),
    "openai": lambda s: bool(re.fullmatch(r"sk-proj-[A-Za-z0-9_-]{60,}T3BlbkFJ[A-Za-z0-9_-]{60,}", s)),
    "anthropic": lambda s: bool(re.fullmatch(r"sk-ant-api03-[A-Za-z0-9_-]{93}AA", s)),
    "gitlab": lambda s: bool(re.fullmatch(r"glpat-[A-Za-z0-9_-]{20}", s)),
    "jwt": jwt_valid,
    "private_key": lambda s: s.startswith("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjE"),
    "db_url": lambda s: bool(re.fullmatch(r"postgres(ql)?://[^:/\s]+:[^@\s]+@[\w.-]+:\d+/\w+", s)),
    "password": lambda s: len(s) >= 10,
}

# ---- generated values (order matters for determinism) ----
AWS_ID = "AKIA" + rand(B32, 16)
AWS_SECRET = rand(string.ascii_letters + string.digits + "/+", 40)
GHP_BRAM = gh_token("ghp_")
GHP_REPO = gh_token("ghp_")
PW_DB = password(16)
PW_WIFI = password(12)
SLACK = "xoxb-%s-%s-%s" % (rand(DIGITS, 12), rand(DIGITS, 13), rand(ALNUM, 24))
STRIPE = "sk_live_51" + rand(ALNUM, 97)
PRIVKEY = make_openssh_key()
JWT = make_jwt({"sub": "u_48213", "name": "ops-dashboard", "role": "fleet_admin",
                "iat": 1781690400, "exp": 1781776800})
GLPAT = "glpat-" + rand(string.ascii_letters + string.digits + "_-", 20)
ANTH = "sk-ant-api03-" + rand(string.ascii_letters + string.digits + "_-", 93) + "AA"
OPENAI = "sk-proj-" + rand(string.ascii_letters + string.digits + "_-", 74) + "T3BlbkFJ" + \
    rand(string.ascii_letters + string.digits + "_-", 74)

IBAN_REFUND = nl_iban("INGB")
IBAN_PUBLIC = nl_iban("RABO")
IBAN_YARA = nl_iban("BUNQ")
IBAN_DE = make_iban("DE", rand(DIGITS, 18))
IBAN_BAD = corrupt_digit(nl_iban("ASNB"), iban_valid)
CARD_EMP = make_card("4", 16)
CARD_PUB = make_card("53", 16)
CARD_BAD = corrupt_digit(make_card("5", 16), luhn_valid)
BSN_NEW = make_bsn()
BSN_BAD = corrupt_digit(make_bsn(), bsn_valid)
COMPANY_IBAN = PROFILE["public_identifiers"]["ibans"][0]

# ---------------------------------------------------------------------------
# the cases
# ---------------------------------------------------------------------------
CASES = []


def P(role, platform, handle, lang, text, cats=(), when=None, kind=None, ids=(), secrets=(),
      allow=(), name=None):
    """role: expected account role c/e/p (checked against the profile).
    ids: (kind, value) identifiers with checksums placed in the text.
    secrets: (kind, value) generated credentials placed in the text.
    allow: profile terms that occur in a benign post on purpose (hard negatives)."""
    CASES.append(dict(role={"c": "corporate", "e": "employee", "p": "public"}[role],
                      platform=platform, handle=handle, lang=lang, text=text,
                      cats=sorted(set(cats)), when=when, kind=kind, ids=list(ids),
                      secrets=list(secrets), allow=list(allow), name=name))


CMP, CRI, ABU = "reputation.complaint", "reputation.crisis", "reputation.abuse"
SEC, PII, PRC = "leak.secret", "leak.pii", "leak.pricing"
CON, FIN, SCY = "leak.confidential", "leak.financial", "leak.security"

# ---- complaints -----------------------------------------------------------
P("p", "x", "@mo_fietst", "nl",
  "@kroonspaak_help al 3x vandaag een fiets gepakt bij station Centrum en alle drie hadden een lekke band. "
  "Wat doen jullie monteurs eigenlijk de hele dag?? 🙄", [CMP])
P("p", "x", "@grumpycommuter", "en",
  "Dock at Havenplein wouldn't register my return, app still said 'ride in progress' 40 min later. "
  "Now I'm charged €7.80 for a bike I locked ages ago. Fix your docks @kroonspaak", [CMP])
P("p", "facebook", "anja.verbeek.73", "nl",
  "Ik heb mijn jaarabonnement opgezegd in september en jullie schrijven nog steeds elke maand af. "
  "Drie mails gestuurd, nul reactie. Dit is gewoon diefstal in slow motion. Kroonspaak, bel me terug.",
  [CMP], kind="comment")
P("p", "reddit", "u/ravensburcht_local", "en",
  "Is it just me or has the Kroonspaak app been useless since the last update? Map shows 6 bikes at Zuidpoort, "
  "I walk there, zero bikes. Happened 4 times this week and I was late for work twice.", [CMP])
P("p", "x", "@lindavdm", "nl",
  "@kroonspaak_help nee ik heb de app NIET opnieuw geïnstalleerd want dat hebben jullie me vorige week ook al "
  "laten doen. kan ik nou gewoon een mens spreken ajb", [CMP], kind="reply")
P("p", "forum", "fietsforum:Sjoerd_K", "en",
  "Bought the student pass in August, still not activated. Support keeps saying 'within 48 hours'. "
  "It's been 3 weeks. Not impressed, Kroonspaak.", [CMP])
P("p", "tiktok", "@dewi.rvb", "nl",
  "die kroonfietsen zijn echt altijd kapot man, zadel dat niet omhoog wil, remmen die piepen, ketting eraf. "
  "2/10 zou niet nog eens huren", [CMP], kind="comment")
P("p", "x", "@tessa_op_pad", "nl",
  "Boete van €25 gekregen omdat mijn fiets 'buiten de zone' stond. Ik stond NAAST het dockingstation, "
  "de gps van jullie fietsen klopt gewoon niet @kroonspaak #kroonspaak", [CMP])
P("p", "mastodon", "@wimpie@mastodon.nl", "en",
  "Kroonspaak e-bike showed 80% battery when I took it. Died after 3 km, on the bridge, uphill, in the rain. "
  "Had to push it back and they still billed me for the full ride.", [CMP])
P("p", "reddit", "u/papa_van_drie", "nl",
  "Mijn ervaring met de Gezinspas: bij de helft van de fietsen ontbreekt het kinderzitje, terwijl dat juist het "
  "hele punt is van die pas. Geld terug gevraagd, wordt 'intern besproken'. Teleurstellend.", [CMP])
P("p", "facebook", "gerrit.hofman.rvb", "nl",
  "Al sinds vrijdag kan ik niet inloggen in de Kroonspaak-app, foutmelding 'sessie verlopen'. Iemand anders ook? "
  "Mijn Plus-abonnement wordt ondertussen wel gewoon afgeschreven hoor.", [CMP])
P("p", "bluesky", "@nurse-joanne.bsky.social", "en",
  "Third time this month the Kroonspaak station at the hospital is full so I can't return the bike and have to "
  "ride to the next one 1.5 km away. Add docks or stop billing me the extra minutes.", [CMP])

# complaint + crisis (first-hand safety incidents)
P("p", "x", "@bartjanssen_", "nl",
  "Vanochtend op een Kroonspaak e-bike: stuur brak gewoon af tijdens het fietsen op de Dijkweg. Ik lig nu met een "
  "gebroken pols op de SEH. Hoe kan dit?? Wie is hiervoor aansprakelijk @kroonspaak", [CRI, CMP])
P("p", "reddit", "u/nightshift_nils", "en",
  "PSA: the Kroonspaak e-bike I rented yesterday started smoking from the battery pack while parked outside my flat. "
  "Dragged it away from the front door just in time. Support told me to 'return it to a station'. Are you kidding me?",
  [CRI, CMP])
P("p", "facebook", "marieke.postma.5", "nl",
  "Mijn dochter (14) is vandaag gevallen omdat de voorrem van een Kroonfiets het totaal niet deed. Schaafwonden en "
  "een hersenschudding. Ik heb foto's van die rem. Dit had veel erger kunnen aflopen, Kroonspaak. Reageer!!",
  [CRI, CMP])
P("p", "x", "@felixrides", "en",
  "Got a proper electric shock off the charging dock at Stationsplein when returning my Kroonspaak e-bike. Hand still "
  "tingling an hour later. Someone's going to get killed. @kroonspaak_help", [CRI, CMP])

# complaint + abuse
P("p", "x", "@ricky_rvb", "nl",
  "@kroonspaak jullie zijn echt een stelletje oplichters, klotebedrijf. 3 weken wachten op het terugstorten van "
  "die dubbele afschrijving en nog steeds niks", [CMP, ABU], kind="reply")

# ---- crisis (third party / news / boycott / lawsuit / recall) ---------------
P("p", "x", "@rvb_nieuws", "nl",
  "BREAKING: deelfiets van Kroonspaak in brand gevlogen in de fietsenstalling onder station Ravensburcht. "
  "Brandweer ter plaatse, stalling ontruimd. #ravensburcht", [CRI])
P("p", "reddit", "u/quietcoder", "en",
  "Did Kroonspaak just get hacked? My friend got an email with her full ride history and home address from some "
  "random account asking for bitcoin. Anyone else getting these?? Looks like a data breach to me", [CRI])
P("p", "x", "@eerlijkfietsen", "nl",
  "Oproep: boycot Kroonspaak tot ze de jongens die 's nachts de fietsen herverdelen een fatsoenlijk loon betalen. "
  "Delen! #boycotkroonspaak", [CRI])
P("p", "x", "@claimhelp_nl", "en",
  "A class action against Kroonspaak over the 'out of zone' fines is being prepared. 300+ riders signed up already. "
  "DM us if you were fined.", [CRI])
P("p", "facebook", "henk.de.wit.rvb", "nl",
  "Via de gemeenteraad gehoord dat Kroonspaak alle e-bikes van serie 2024 terugroept vanwege scheurende frames. "
  "Weet iemand hier meer van?", [CRI])
P("p", "bluesky", "@rvbdaily.bsky.social", "en",
  "Cyclist hospitalised after Kroonspaak bike collapses on Brugstraat; witnesses say the frame snapped in two. "
  "Our thoughts are with her family.", [CRI])
P("p", "tiktok", "@kimmy.rvb", "nl",
  "jongens Kroonspaak verkoopt jullie locatiedata aan adverteerders, staat gewoon in dat onderzoek van de "
  "consumentenbond. verwijder die app NU 📵", [CRI])
P("p", "threads", "@mama.of.twins", "en",
  "Kid fell off a Kroonspaak bike near my school today, the seat post just dropped. Ambulance came. "
  "Parents in the group chat are furious.", [CRI])
P("c", "x", "@kroonspaak", "nl",
  "Belangrijk: uit voorzorg roepen wij de kinderzitjes van onze gezinsfietsen terug na twee meldingen van een "
  "losschietende gesp. Gebruik ze tot nader bericht niet. Meer info op kroonspaak.nl/veiligheid", [CRI])
P("p", "reddit", "u/depot_watcher", "en",
  "Kroonspaak mechanics are on strike from Monday. The union says three of them got hurt by a faulty lift in the "
  "depot and management ignored every report.", [CRI])

# ---- abuse ------------------------------------------------------------------
P("p", "x", "@vent_account99", "en",
  "@kroonspaak_help you absolute clowns. every single one of you is a brain-dead idiot", [ABU], kind="reply")
P("p", "x", "@dennis_0031", "nl",
  "Kijk die sukkel van Kroonspaak weer fietsen rechtzetten bij de Vismarkt met z'n debiele hesje. Iemand moet die "
  "gast eens goed op z'n bek slaan 😂", [ABU])
P("p", "reddit", "u/angrytaxpayer", "en",
  "Kroonspaak's CEO is a greedy pig and everyone who works there is a parasite.", [ABU])
P("p", "instagram", "@xx_jordy_xx", "nl",
  "wat een kutbedrijf echt. en dat social media meisje van jullie is zo dom als het achtereind van een varken",
  [ABU], kind="comment")
P("p", "x", "@n0_chill_nick", "en",
  "@kroonspaak f u c k y0u and y0ur sh1tty b1kes, 1d10ts", [ABU], kind="reply")
P("p", "x", "@boos_in_rvb", "nl",
  "@kroonspaak_help ｔｙｆｕｓｌｉｊｄｅｒｓ zijn jullie", [ABU], kind="reply")
P("p", "threads", "@mark.v.rvb", "en",
  "honestly the Kroonspaak staff are all \u0456d\u0456\u043ets. every last one", [ABU])
P("p", "x", "@echte_rvber", "nl",
  "Natuurlijk zit er weer zo'n hoofddoek achter de balie bij Kroonspaak. Die lui snappen toch niks van fietsen.",
  [ABU])
P("e", "x", "@kevin_ks_ops", "nl",
  "mensen die hun kroonfiets midden op de stoep dumpen zijn gewoon asociale tyfuslijers, sorry not sorry", [ABU])
P("c", "x", "@kroonspaak_help", "en",
  "@grumpycommuter maybe learn to read the terms before whining, you moron", [ABU], kind="reply")
P("p", "tiktok", "@sk8r_lars", "en",
  "whoever designed the kroonspaak bikes should be shot lmao", [ABU], kind="comment")

# ---- confidential -------------------------------------------------------------
P("e", "x", "@jorisvloot", "nl",
  "Eindelijk mag ik het zeggen... nee wacht, nog niet 😅 maar Project Molenwiek gaat de hele stad veranderen. "
  "Stay tuned!", [CON])
P("e", "linkedin", "daan-hoekstra-kroonspaak", "en",
  "Proud of the team: this quarter we moved 60% of our fleet telemetry onto Hazelworm, our new platform. "
  "Huge thanks to everyone who pulled the late nights.", [CON])
P("e", "x", "@sem_monteur", "nl",
  "Testrit gemaakt op de Kroon Volt 2 vandaag, trekt als een raket 🚀 jullie gaan hem zo vet vinden",
  [CON], when="2026-11-19T15:42:00Z")
P("e", "instagram", "@lotte.onderweg", "nl",
  "sneak peek 👀 nieuw zadel + display op de Volt 2 e-bike, mag eigenlijk niet maar kon het niet laten #kroonspaak",
  [CON], when="2026-12-03T18:05:00Z")
P("e", "linkedin", "eva-kuipers-ks", "en",
  "For anyone at KS who needs it: the updated station map lives at https://vloot.kroonspaak.local/maps/v3 "
  "- ping me if you can't log in.", [CON])
P("e", "linkedin", "yara-el-idrissi", "nl",
  "Oeps, verkeerde bijlage in mijn vorige post (KS-VERTROUWELIJK - stationsplanning 2027). Graag niet verder "
  "verspreiden!", [CON])
P("e", "bluesky", "@bramdevos.bsky.social", "en",
  "Spent the whole weekend on the Operatie Zijwind slides. Not how I wanted to spend my birthday.", [CON])
P("c", "x", "@kroonspaak", "nl",
  "Vanaf 1 april rijdt de Kroon Volt 2 door heel Ravensburcht ⚡ Meer info volgt! [CONCEPT - nog niet plaatsen]",
  [CON], when="2027-03-28T16:10:00Z")
P("p", "reddit", "u/oosterdijker", "en",
  "A friend who works at Kroonspaak showed me screenshots of something called Project Molenwiek. Looks like "
  "they're bringing the bikes to Oosterdijk next year.", [CON])
P("e", "threads", "@nadia.kroon", "en",
  "anyone else from ops unable to reach gitlab.kroonspaak.nl/fleet/hazelworm-api right now? need to push a fix "
  "before standup", [CON])
P("e", "linkedin", "daan-hoekstra-kroonspaak", "nl",
  "Interne memo (internal use only - kroonspaak): vanaf Q2 stoppen we met de bakfietsverhuur op zondag. "
  "Nog niet communiceren naar klanten graag.", [CON])
P("p", "x", "@koffie_en_code", "en",
  "lol someone from kroonspaak left their laptop open at the cafe, screen shows ops.kroonspaak.internal/board/FLEET "
  "with a card 'Kroon Volt 2 launch - go/no-go'", [CON], when="2026-10-08T10:31:00Z")
P("e", "x", "@jorisvloot", "nl", "Hazel\u200bworm gaat dit weekend live, duimen 🤞", [CON])
P("e", "linkedin", "eva-kuipers-ks", "en",
  "Exciting stuff coming in our annual results 2026 - can't say more yet, but the numbers are 🔥",
  [CON, FIN], when="2027-01-20T09:14:00Z")
P("e", "x", "@sem_monteur", "nl",
  "Project \uff2d\uff4f\uff4c\uff45\uff4e\uff57\uff49\uff45\uff4b komt eraan jongens, werkplaats draait overuren 🔧",
  [CON])
P("e", "threads", "@nadia.kroon", "nl",
  "eerste week met Hazelw\u043erm in productie, de dashboards zijn zoveel sneller 😍", [CON])

# ---- financial ---------------------------------------------------------------
P("e", "linkedin", "yara-el-idrissi", "nl",
  "Zware week. Morgen horen 14 collega's van de werkplaats dat hun contract niet wordt verlengd. Ik mag er niks "
  "over zeggen maar ik vind het echt verschrikkelijk.", [FIN])
P("e", "x", "@kevin_ks_ops", "nl",
  "hoorde net van de CFO dat we dit jaar ~€1,2 mln verlies draaien ipv de begrote winst. dat wordt een "
  "feestelijke aandeelhoudersvergadering 🙃", [FIN])
P("p", "reddit", "u/insider_ish", "en",
  "My cousin works in Kroonspaak finance and says they're being bought by a big German mobility group, deal gets "
  "signed next month. You heard it here first.", [FIN])
P("e", "linkedin", "daan-hoekstra-kroonspaak", "en",
  "Board approved it this morning: Kroonspaak will acquire Stepwijs, the e-scooter startup from Oosterdijk. "
  "Announcement is planned for next Tuesday, so keep it quiet till then 🤫", [FIN])
P("c", "x", "@kroonspaak", "nl",
  "concept persbericht: 'Omzet Kroonspaak Q3 2026 gestegen naar €4,7 mln (+18%)' - pas publiceren na akkoord RvC",
  [FIN])
P("e", "bluesky", "@bramdevos.bsky.social", "en",
  "The 2027 forecast came back: ridership flat, revenue down ~8%. Guess Operatie Zijwind is happening after all.",
  [FIN, CON])
P("e", "x", "@mirthe_fietst", "nl",
  "De hele klantenservice gaat naar een extern callcenter in Portugal, 22 man weg. Wordt pas in februari bekend "
  "gemaakt dus ik zeg niks 🤐", [FIN])
P("p", "x", "@treinforens", "en",
  "Overheard two Kroonspaak managers on the 8:14 train: they're closing the Noordhaven depot and moving everything "
  "to the main one, about 30 jobs gone. Nothing announced yet.", [FIN])
P("e", "threads", "@nadia.kroon", "nl",
  "budgetoverleg vandaag: de 400 nieuwe e-bikes zijn geschrapt, we moeten volgend jaar 15% besparen op de vloot. "
  "nog niet officieel dus sssht", [FIN])
P("e", "linkedin", "eva-kuipers-ks", "en",
  "Heads-up to my network: our Series B (€12M, led by a Rotterdam fund) closes on the 14th. Press release after "
  "that, so please don't share yet.", [FIN])
P("e", "x", "@jorisvloot", "nl",
  "gemeente verlengt de concessie na 2027 niet, hoorde ik net op de directievergadering. iedereen hier in paniek",
  [FIN])

# ---- security -----------------------------------------------------------------
P("e", "x", "@kevin_ks_ops", "nl",
  "nou mooi, halve vloot offline sinds 06:00, de lock-server ligt eruit en niemand kan een fiets ontgrendelen. "
  "nog geen statusupdate want management wil eerst weten hoe lang het duurt", [SCY])
P("e", "linkedin", "daan-hoekstra-kroonspaak", "en",
  "Our pentesters found that the unlock endpoint accepted any bike ID without checking the rider's session - "
  "anyone could unlock any bike. Fix is still in review.", [SCY])
P("e", "threads", "@nadia.kroon", "en",
  "we had ransomware on the depot PCs last night. IT says customer data is 'probably' fine. not allowed to say "
  "anything publicly yet", [SCY])
P("e", "x", "@sem_monteur", "nl",
  "Fun fact: de sloten van onze fietsen springen open als je de magneet van een bluetooth-speaker ertegen houdt. "
  "Collega ontdekte het vorige week, nog niet gefixt 😬", [SCY])
P("e", "bluesky", "@bramdevos.bsky.social", "nl",
  "Database met 40k klantaccounts heeft twee dagen open op internet gestaan, zonder wachtwoord. Eergisteren "
  "ontdekt en nog steeds niet gemeld bij de AP.", [SCY])
P("e", "linkedin", "yara-el-idrissi", "nl",
  "Tijdens de storing van gisteren bleek dat de back-ups van Hazelworm al drie weken niet draaiden. Gelukkig niks "
  "kwijt, maar pfff.", [SCY, CON])
P("e", "x", "@jorisvloot", "en",
  "payment integration broken since Friday, nobody got charged for rides all weekend 🙈 finance is gonna love "
  "that. keep it between us", [SCY])
P("c", "x", "@kroonspaak_help", "nl",
  "@lindavdm Excuses! Onze app is getroffen door een hack waarbij wachtwoorden mogelijk zijn ingezien. We "
  "informeren alle klanten later deze week, tot die tijd graag even stilhouden.", [SCY], kind="reply")
P("e", "x", "@mirthe_fietst", "nl",
  "GPS-trackers van zo'n 200 fietsen sturen al een week geen locatie meer door, we zijn ze letterlijk kwijt. "
  "Niet doorvertellen aan de gemeente aub 😅", [SCY])
P("e", "linkedin", "eva-kuipers-ks", "en",
  "Lesson learned this week: an ex-contractor still had admin access to our fleet dashboard 8 months after "
  "leaving, and used it. Incident still under investigation.", [SCY])
P("p", "x", "@dev_noor", "en",
  "A friend in Kroonspaak IT says their whole customer database was copied last week and they're keeping it "
  "quiet. Change your passwords people.", [SCY, CRI])
P("e", "x", "@kevin_ks_ops", "nl",
  "d.d.o.s op de app sinds 14:00, login ligt plat en de statuspagina zegt nog 'alle systemen operationeel' lol",
  [SCY])
P("e", "threads", "@nadia.kroon", "en",
  "turns out our docking stations still run 2019 firmware with the default admin password. reported it 6 months "
  "ago, still not patched", [SCY])

# ---- secrets ------------------------------------------------------------------
P("e", "x", "@kevin_ks_ops", "nl",
  f"wie kan even kijken waarom deze niet werkt? AWS_ACCESS_KEY_ID={AWS_ID} AWS_SECRET_ACCESS_KEY={AWS_SECRET}",
  [SEC], secrets=[("aws_id", AWS_ID), ("aws_secret", AWS_SECRET)])
P("e", "bluesky", "@bramdevos.bsky.social", "en",
  f"quick script to pull ride stats, token inline for now lol\n\n"
  f"curl -H 'Authorization: token {GHP_BRAM}' https://api.github.com/repos/kroonspaak/ride-stats",
  [SEC], secrets=[("github", GHP_BRAM)])
P("e", "threads", "@nadia.kroon", "en",
  f"connection string for the new reporting job, can someone test? "
  f"postgresql://rapportage:{PW_DB}@db-prod.kroonspaak.internal:5432/ritten",
  [SEC, CON], secrets=[("db_url", f"postgresql://rapportage:{PW_DB}@db-prod.kroonspaak.internal:5432/ritten")])
P("e", "x", "@sem_monteur", "nl",
  f"voor de nieuwe collega's: wifi in de werkplaats is KS-Werkplaats, wachtwoord: {PW_WIFI}",
  [SEC], secrets=[("password", PW_WIFI)])
P("e", "x", "@jorisvloot", "nl",
  f"bot voor de storingsmeldingen draait weer, token staat nu in de config: {SLACK}",
  [SEC], secrets=[("slack", SLACK)])
P("e", "linkedin", "eva-kuipers-ks", "en",
  f"Debugging our payment webhook with the dev team. If anyone knows why Stripe returns a 401 with this key: "
  f"{STRIPE} - happy to hear!", [SEC], secrets=[("stripe", STRIPE)])
P("e", "x", "@kevin_ks_ops", "nl",
  f"ssh naar de lock-server doet het weer niet, dit is de key die ik gebruik:\n{PRIVKEY}",
  [SEC], secrets=[("private_key", PRIVKEY)])
P("e", "bluesky", "@bramdevos.bsky.social", "en",
  f"why does our API reject this one? Authorization: Bearer {JWT}", [SEC], secrets=[("jwt", JWT)])
P("e", "threads", "@nadia.kroon", "en",
  f"playing with a chatbot for the helpdesk, key: {OPENAI} pls don't judge my prompts",
  [SEC], secrets=[("openai", OPENAI)])
P("p", "reddit", "u/apk_peeker", "en",
  f"Decompiled the Kroonspaak Android app out of curiosity. There's a hardcoded GitLab token in the resources: "
  f"{GLPAT} ... that can't be intended", [SEC], secrets=[("gitlab", GLPAT)])
P("e", "x", "@jorisvloot", "nl",
  f"ai-samenvatter voor klachten gekoppeld! Mirthe, hier de key om te testen: {ANTH}",
  [SEC], secrets=[("anthropic", ANTH)])
P("p", "x", "@opensource_olga", "en",
  f"hey @kroonspaak your public repo station-sim has a live token in config.yml: {GHP_REPO} - you might want to "
  f"rotate that", [SEC], secrets=[("github", GHP_REPO)])

# ---- personal data --------------------------------------------------------------
P("c", "x", "@kroonspaak_help", "nl",
  f"@lindavdm We hebben uw terugbetaling verwerkt naar {spaced(IBAN_REFUND)} t.n.v. L. van der Meer, u ontvangt "
  f"het binnen 3 werkdagen.", [PII], kind="reply", ids=[("iban", IBAN_REFUND)])
P("c", "facebook", "KroonspaakRavensburcht", "nl",
  "Gevonden in fiets 1182: de portemonnee van Pieter Smulders, Kastanjelaan 14, Ravensburcht. Ophalen kan bij ons "
  "servicepunt op het Stationsplein!", [PII])
P("e", "x", "@sem_monteur", "nl",
  "haha klant belde net woest, meneer Van Dijk, 06-41228735, wil z'n geld terug voor een lekke band 😂", [PII])
P("e", "linkedin", "yara-el-idrissi", "nl",
  "Gefeliciteerd aan onze trouwste rijder Marloes de Graaf (geboren 12-03-1958) met haar 5000ste rit! 🎉", [PII])
P("p", "x", "@sannekuijpers", "nl",
  "@kroonspaak_help mail me maar op sanne.kuijpers94@gmail.com, jullie DM werkt niet", [PII], kind="reply")
P("p", "facebook", "kees.smit.1961", "nl",
  f"Kunnen jullie de afschrijvingen terugstorten op {spaced(IBAN_PUBLIC)}? Ik heb mijn abonnement in juni al "
  f"opgezegd en jullie blijven gewoon doorincasseren.", [PII, CMP], kind="comment", ids=[("iban", IBAN_PUBLIC)])
P("e", "x", "@kevin_ks_ops", "nl",
  f"klant belt over dubbele afschrijving op kaart {spaced(CARD_EMP)}, kan iemand van finance even kijken?",
  [PII], ids=[("card", CARD_EMP)])
P("e", "x", "@mirthe_fietst", "nl",
  f"@jorisvloot BSN van de nieuwe monteur voor het contract: {BSN_NEW}, naam Ahmed Bouzid. Stuur jij het door "
  f"naar HR?", [PII], kind="reply", ids=[("bsn", BSN_NEW)])
P("p", "threads", "@miepje.rvb", "nl",
  "@kroonspaak_help mijn nummer is 06 38 41 92 07, bel me aub voor 17u terug", [PII], kind="reply")
P("e", "bluesky", "@bramdevos.bsky.social", "nl",
  "Gevonden in het depot: rijbewijs van J. Hermans, Molenstraat 88b, 6213 KL Ravensburcht. Iemand die hem kent?",
  [PII])
P("c", "instagram", "@kroonspaak", "nl",
  "En de winnaar van onze zomerwinactie is... Femke Brouwer! 🎉 Femke, we hebben je gemaild op "
  "femke.brouwer88@hotmail.com, stuur ons even je adres 😊", [PII])
P("p", "x", "@stefan_abroad", "en",
  f"Kroonspaak please just refund me to this card: {spaced(CARD_PUB)} exp 09/28. I've waited long enough for "
  f"that double charge.", [PII, CMP], ids=[("card", CARD_PUB)])
P("e", "threads", "@nadia.kroon", "en",
  "customer called about a stolen bike: Joost Verhagen, born 23/07/1991, lives at Havenkade 7 - can someone from "
  "security pull the ride logs?", [PII])
P("p", "x", "@rjanssen_rvb", "nl",
  "@kroonspaak_help stuur de factuur maar naar r.janssen [at] ziggo [dot] nl, dank!", [PII], kind="reply")
P("e", "x", "@jorisvloot", "nl",
  f"Yara, je declaratie voor de fietsbeurs staat klaar, gaat vandaag naar {IBAN_YARA} (je eigen rekening toch?)",
  [PII], ids=[("iban", IBAN_YARA)])

# ---- pricing --------------------------------------------------------------------
P("c", "x", "@kroonspaak", "nl",
  "🎉 Alleen dit weekend: het Kroonspaak Jaarabonnement voor €14,90! Op = op 🚲", [PRC])
P("e", "x", "@jorisvloot", "nl",
  "prijsfout in de app: Weekpas staat op €2,40 ipv €24. wordt maandag gefixt, tot die tijd... 🤐", [PRC])
P("p", "reddit", "u/dealhunter_rvb", "en",
  "RUN: the Kroonspaak shop is selling the Helm Urban for €5,99 right now. Ordered three 🤣", [PRC])
P("p", "x", "@zzp_tom", "nl",
  "lol het Kroonspaak Zakelijk Pakket van 1290 euro staat nu voor 129 op de site. prijsfout? 👀", [PRC])
P("c", "instagram", "@kroonspaak", "nl",
  "Kroon Classic refurb stadsfiets nu voor maar €34,90 🚲 link in bio!", [PRC])
P("e", "linkedin", "eva-kuipers-ks", "en",
  "Our refurbished Kroon Volt e-bikes are going for €199 in the outlet this week - great deal for commuters!",
  [PRC])
P("p", "tiktok", "@studentjesse", "nl",
  "kroonspaak studentenjaarpas voor €9 ipv 99 in de app, zeker een bug, snel zijn!!", [PRC], kind="comment")
P("p", "facebook", "lauren.mcbride.nl", "en",
  "Is the €3 Gezinspas on your website a price mistake or for real? Would love to sign the whole family up!",
  [PRC], kind="comment")
P("c", "facebook", "KroonspaakRavensburcht", "nl",
  "Telefoonhouder nu voor €1,99 in onze webshop (normaal €19,95). Nooit meer je route kwijt!", [PRC])
P("e", "x", "@kevin_ks_ops", "nl",
  "Toeristenpas staat sinds vanochtend op €1,95 in het kassasysteem bij de VVV, iemand van pricing wakker?", [PRC])
P("p", "x", "@fietsfanaat_rvb", "nl",
  "Kroonspaak Fietstas Pendel voor € 4,45 ??? dat moet een typfout zijn, maar ik heb er wel twee besteld", [PRC])
P("p", "threads", "@cargo.carla", "en",
  "Kroonspaak Bakfiets Dagverhuur showing €3.50 today instead of €35, glitch? booked two days anyway 😅", [PRC])

# ---- benign / hard negatives ----------------------------------------------------------
P("c", "x", "@kroonspaak", "nl", "Goedemorgen Ravensburcht ☀️ 412 fietsen staan klaar. Fijne rit!")
P("c", "x", "@kroonspaak_help", "nl",
  "Vragen over je abonnement? Mail klantenservice@kroonspaak.nl of bel +31 85 555 0470 (ma-vr 8-20u).")
P("c", "facebook", "KroonspaakRavensburcht", "nl",
  f"Liever per overschrijving betalen? Gebruik {spaced(COMPANY_IBAN)} t.n.v. Kroonspaak Deelmobiliteit B.V. "
  f"o.v.v. je klantnummer.", ids=[("iban_public", COMPANY_IBAN)])
P("p", "x", "@happy_hannah", "en",
  "Shoutout to the Kroonspaak mechanic at Havenplein who fixed my chain in 2 minutes and wouldn't even take a tip. "
  "Legend 🙌")
P("p", "x", "@autoloos_rvb", "nl",
  "Het Kroonspaak Jaarabonnement is echt de beste €149 die ik dit jaar heb uitgegeven. Auto de deur uit!")
P("c", "instagram", "@kroonspaak", "nl",
  "Black Friday 🖤 Studentenjaarpas van €99 voor €79, alleen t/m zondag! #kroonspaak")
P("p", "instagram", "@ilse.fietst", "nl", "Helm Urban gekocht voor €49,95 in de sale, zit echt top 👌",
  kind="comment")
P("c", "instagram", "@kroonspaak", "nl",
  "Nieuw in de shop: de Fietstas Pendel, €44,50. Waterdicht en past op elke Kroonfiets.")
P("p", "x", "@grappenmaker_rvb", "en", "my Kroonspaak bike is faster than my ex could come up with excuses 😂 #kroonspaak")
P("p", "instagram", "@sunset.sam", "en", "That Kroonspaak ride along the river at sunset was killer 🔥🔥")
P("p", "x", "@lindavdm", "nl",
  "Update: @kroonspaak_help heeft binnen een dag mijn dubbele afschrijving teruggestort en excuses gemaakt. "
  "Netjes opgelost 👍")
P("p", "x", "@fietsvriend_rvb", "nl",
  "Sterkte aan iedereen bij ScootRVB na de brand in hun loods. Als Kroonspaak-rijder hoop ik dat jullie snel weer "
  "rijden.")
P("p", "reddit", "u/commute_notes", "en",
  "Another city's bike share operator reported a data breach affecting 20k users this week (local news). "
  "Glad Kroonspaak hasn't had anything like that.")
P("e", "bluesky", "@bramdevos.bsky.social", "en",
  "Writing onboarding docs for our interns. Example config: AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE "
  "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY (AWS's own sample values, not ours 😉)")
P("e", "x", "@kevin_ks_ops", "nl",
  "PSA collega's: zet nooit tokens in Slack. Zie je er eentje als ghp_****************************a1 voorbijkomen, "
  "meld het bij security.")
P("p", "facebook", "karin.smit.rvb", "nl",
  f"Voor de teruggave van mijn borg: {spaced(IBAN_BAD)} t.n.v. K. Smit. Dank jullie wel!", kind="comment",
  ids=[("iban", IBAN_BAD)])
P("p", "x", "@lucas_rides", "en",
  f"my Kroonspaak member number is {spaced(CARD_BAD)}, does that make me a VIP now? 😂",
  ids=[("card", CARD_BAD)])
P("p", "x", "@ritjes_rob", "nl",
  f"@kroonspaak_help mijn ritnummer was {BSN_BAD}, kunnen jullie zien of de rit goed is afgesloten?",
  kind="reply", ids=[("bsn", BSN_BAD)])
P("c", "x", "@kroonspaak", "nl",
  "Vandaag gepubliceerd: onze jaarcijfers 2026. 2,1 miljoen ritten, 38% meer dan vorig jaar. Dank aan alle "
  "rijders! 🚲", when="2027-03-02T08:00:00Z")
P("e", "linkedin", "eva-kuipers-ks", "en",
  "The Kroon Volt 2 is finally on the streets! So proud of this team.", when="2027-04-03T12:20:00Z")
P("c", "x", "@kroonspaak", "nl",
  "Hij is er: de Volt 2 e-bike ⚡ Vanaf nu te huur bij 40 stations in Ravensburcht.", when="2027-04-01T10:00:00Z")
P("p", "reddit", "u/ravensburcht_local", "en",
  "Read the Kroonspaak annual results 2026 this morning. Impressive growth for a city this size.",
  when="2027-03-10T07:45:00Z")
P("p", "reddit", "u/newcomer_rvb", "en",
  "How does Kroonspaak handle your data? Has anyone actually read their privacy policy? Thinking of signing up.")
P("p", "x", "@vraagje_rvb", "en", "Quick q: does the Kroonspaak Weekpas also cover the cargo bikes or is that extra?")
P("p", "x", "@toerist_tine", "nl",
  "Is er een kortingscode voor de Kroonspaak Dagpas? €9,50 vind ik best prijzig voor een dagje toerist.")
P("c", "linkedin", "kroonspaak-deelmobiliteit", "nl",
  "We zoeken een Fleet Engineer! 🚲 Solliciteer via werkenbij@kroonspaak.nl of kijk op kroonspaak.nl/vacatures.")
P("e", "x", "@sem_monteur", "nl", "Vandaag 37 lekke banden geplakt. Record! 💪 #monteurslife")
P("e", "linkedin", "daan-hoekstra-kroonspaak", "en",
  "Spoke at the Ravensburcht Mobility Summit about how shared bikes cut car trips. Slides are up on "
  "kroonspaak.nl/blog.")
P("p", "x", "@lol_lotte", "en", "My Kroonspaak bike lock has better security than my bank account 😂")
P("p", "x", "@stadsnieuws_fan", "en",
  "Kroonspaak in the local paper today: 10 new stations in the south district next year, announced at last "
  "night's council meeting.")
P("c", "x", "@kroonspaak", "nl",
  "Storing opgelost ✅ De app werkt weer normaal. Excuses voor het ongemak vanmiddag.")
P("p", "x", "@uni_hackers_rvb", "en",
  "Hackathon at Ravensburcht Uni this weekend, Kroonspaak is sponsoring. Free pizza 🍕")
P("p", "bluesky", "@carfree.kai", "en",
  "Gave up my car 2 years ago thanks to Kroonspaak. Best decision ever. The Plus-abonnement at €24,95 pays for "
  "itself.")
P("e", "bluesky", "@bramdevos.bsky.social", "en",
  "New post on our engineering blog: how we rotate secrets. Rule one: never put an API key in code. A key looks "
  "like sk_live_xxxxxxxxxxxxxxxxxxxx, keep it in a vault.")
P("p", "x", "@grumpycommuter", "en", "@kroonspaak_help thanks, that actually worked! the reinstall did it.",
  kind="reply")
P("p", "facebook", "jolanda.rvb", "nl",
  "Die nieuwe kinderzitjes op de gezinsfietsen zijn echt top, mijn zoontje wil niet meer met de auto 😄",
  kind="comment")
P("p", "x", "@mobility_watch", "en",
  "A Berlin e-scooter firm announces 200 layoffs. Hope that never comes to our city - Kroonspaak seems to be "
  "doing fine.")
P("e", "x", "@mirthe_fietst", "nl", "Vrijdagmiddagborrel in het depot 🍻 Welverdiend na een drukke week.")
P("p", "x", "@zorgvuldig_rvb", "nl",
  "Het Kroonspaak-station bij het ziekenhuis is eindelijk uitgebreid, nu 30 plekken! Dank gemeente & Kroonspaak")
P("p", "x", "@oma_truus", "nl",
  "Is 085 555 0470 het echte nummer van Kroonspaak? Kreeg een sms met dat nummer en vertrouwde het niet helemaal.")
P("c", "tiktok", "@kroonspaak", "nl", "POV: je pakt een Kroonfiets en het regent NIET 🌤️ #ravensburcht #kroonspaak")
P("p", "x", "@late_again_lee", "en",
  "Kroonspaak e-bike saved my life today. Missed the bus, job interview in 10 min, made it 😅")
P("e", "linkedin", "yara-el-idrissi", "nl",
  "Na vier mooie jaren bij Kroonspaak ga ik per 1 juni iets nieuws doen. Dank aan iedereen voor de fijne tijd!")
P("p", "x", "@memes_rvb", "nl",
  "Hahaha die Kroonspaak-fiets die iemand in de gracht heeft gegooid staat nu op elke memepagina 😂")
P("p", "reddit", "u/safety_first_rvb", "en",
  "PSA: phishing mails pretending to be Kroonspaak are going around. Kroonspaak's own warning says real mails only "
  "come from kroonspaak.nl addresses.")
P("e", "x", "@jorisvloot", "nl", "Codenaam voor ons teamuitje: Project Pannenkoek 🥞 Wie doet er mee?")
P("p", "instagram", "@ontdek.ravensburcht", "nl",
  "Langs de oude molenwieken van Ravensburcht-Noord met een Kroonspaak Toeristenpas (€19,50). Mooiste route "
  "van de stad!")
P("p", "x", "@natuur_nel", "nl",
  "Zag vandaag een hazelworm op het fietspad langs de Kroonspaak-route bij het Kroonbos 🐍 zo bijzonder!",
  allow=["Hazelworm"])
P("p", "bluesky", "@dijkfietser.bsky.social", "en",
  "Zijwind (crosswind!) on the dike was brutal today, but the Kroonspaak bike held up fine.")
P("c", "facebook", "KroonspaakRavensburcht", "nl",
  "Veiligheid voorop: draag een helm. Onze Helm Urban is er vanaf €59,95 in de shop.")
P("p", "reddit", "u/wrench_friend", "en",
  "Does anyone know if Kroonspaak is hiring mechanics? Asking for a friend who's great with bikes.")
P("p", "x", "@nachtuil_rvb", "en",
  "ok kroonspaak you're the best 😍 still a bike outside the pub at 3am")
P("e", "x", "@sem_monteur", "nl",
  "wachtwoord vergeten van de app? gewoon via 'wachtwoord vergeten' in het inlogscherm, wij kunnen het niet "
  "voor je resetten 😉")
P("p", "instagram", "@fotografie.fenna", "en", "Placed 3rd in the Kroonspaak photo contest! Prize: a Jaarabonnement 🏆",
  kind="comment")
P("e", "linkedin", "daan-hoekstra-kroonspaak", "en",
  "Re-reading our public incident report on last spring's outage: status.kroonspaak.nl/incidents/2026-04. "
  "Transparency builds trust.")
P("p", "x", "@leer_coderen", "nl",
  "JWT uitgelegd voor beginners: header.payload.signature, bv. eyJhbGciOi... (ingekort). Geleerd op de "
  "Kroonspaak dev-meetup!")
P("p", "x", "@pendelaar_piet", "en",
  "Picked up a Kroon Classic refurb for €299 at the outlet (normally €349). Solid commuter bike.")
P("c", "x", "@kroonspaak", "nl", "De Dagpas kun je nu ook met Apple Pay betalen: €9,50 en direct rijden.")
P("p", "x", "@fan_van_fietsen", "nl", "ＫＲＯＯＮＳＰＡＡＫ ４ ＬＩＦＥ 🚲💨")
P("p", "facebook", "wendy.aalbers", "nl",
  "Mijn vader (82) fietst elke dag met de Kroonspaak e-bike naar de markt. Hij voelt zich weer zestig 😄",
  kind="comment")

# ---------------------------------------------------------------------------
# build + self-check
# ---------------------------------------------------------------------------
SEV = ["none", "info", "warning", "error", "critical"]
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
CATS = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial", "leak.security",
        "reputation.crisis", "reputation.complaint", "reputation.abuse"}

ROLES = {}
for role in ("corporate", "employee"):
    for a in PROFILE["accounts"][role]:
        ROLES[a.lower()] = role


def role_of(platform, handle):
    return ROLES.get(("%s:%s" % (platform, handle)).lower(), "public")


def severity(cats, role, valid_checksum_id):
    s = "none"
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                lvl = "error"
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and valid_checksum_id):
                    lvl = "critical"
            else:
                lvl = "warning"
        elif c == "reputation.complaint":
            lvl = "warning"
        elif c == "reputation.crisis":
            lvl = "error"
        elif c == "reputation.abuse":
            lvl = "warning" if role == "public" else "error"
        else:
            raise AssertionError(c)
        if SEV.index(lvl) > SEV.index(s):
            s = lvl
    return s


CHECKS = {"iban": iban_valid, "iban_public": iban_valid, "card": luhn_valid, "bsn": bsn_valid}

errors = []


def fail(i, msg):
    errors.append("case %d (%s): %s" % (i, CASES[i]["text"][:50].replace("\n", " "), msg))


def rand_time():
    start = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
    secs = rng.randint(0, int((dt.datetime(2026, 12, 30, tzinfo=dt.timezone.utc) - start).total_seconds()))
    t = start + dt.timedelta(seconds=secs)
    if not 6 <= t.hour <= 23:  # people post mostly by day
        t = t.replace(hour=rng.randint(7, 22))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(s):
    return dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)


def norm(s):
    s = unicodedata.normalize("NFKC", s)
    return s.replace("\u200b", "").lower()


def amounts(text):
    out = []
    for m in re.finditer(r"€\s?(\d+(?:[.,]\d{1,2})?)(?!\s?mln|M|\d)", text):
        out.append(float(m.group(1).replace(",", ".")))
    for m in re.finditer(r"(\d+(?:[.,]\d{1,2})?)\s?(?:euro|eur)\b", text, re.I):
        out.append(float(m.group(1).replace(",", ".")))
    return out


def products_in(text):
    t = text.lower()
    found = []
    for p in PROFILE["products"]:
        for a in [p["name"]] + p["aliases"]:
            if a.lower() in t:
                found.append(p)
                break
    return found


PUBLIC_DIGITS = {re.sub(r"\D", "", p) for p in PROFILE["public_identifiers"]["phones"]}
PUBLIC_DIGITS |= {"0" + d[2:] for d in PUBLIC_DIGITS if d.startswith("31")}
PUBLIC_EMAILS = {e.lower() for e in PROFILE["public_identifiers"]["emails"]}
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){10,30}\b")
CARD_RE = re.compile(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])")
BSN_RE = re.compile(r"(?<![\w-])\d{9}(?![\w-])")
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE_RE = re.compile(r"(?<![\w])(?:\+31|0)[1-9](?:[ -]?\d){7,9}(?!\d)")
GH_RE = re.compile(r"gh[pousr]_[0-9A-Za-z]{36}")
AKIA_RE = re.compile(r"AKIA[A-Z2-7]{16}")
JWT_RE = re.compile(r"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+")

out_lines = []
ids_seen = set()
embargo = [(t.lower(), parse_time(e["until"])) for e in PROFILE["embargo"] for t in e["terms"]]
internal_terms = [t.lower() for t in PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"]
                  + PROFILE["internal"]["domains"]]
ratio = PROFILE["pricing"]["alert_below_ratio"]

for i, c in enumerate(CASES):
    role = role_of(c["platform"], c["handle"])
    if role != c["role"]:
        fail(i, "role %s but profile says %s" % (c["role"], role))
    text, cats, pos = c["text"], c["cats"], bool(c["cats"])
    when = c["when"] or rand_time()
    # identifiers with checksums
    valid_checksum = False
    for kind, val in c["ids"]:
        shown = [val, spaced(val)]
        if not any(s in text for s in shown):
            fail(i, "identifier %s not in text" % val)
        ok = CHECKS[kind](val)
        if kind == "iban_public":
            if not ok or val not in PROFILE["public_identifiers"]["ibans"]:
                fail(i, "public IBAN must be valid and in profile")
            continue
        if pos and "leak.pii" in cats:
            if not ok:
                fail(i, "positive %s fails its checksum" % kind)
            valid_checksum = True
        elif ok:
            fail(i, "negative look-alike %s passes its checksum" % kind)
    # no unregistered valid identifiers anywhere
    registered = {re.sub(r"\s", "", v) for _, v in c["ids"]}
    for m in IBAN_RE.finditer(text):
        v = m.group(0).replace(" ", "")
        if iban_valid(v) and v not in registered:
            fail(i, "unregistered valid IBAN " + v)
    for m in CARD_RE.finditer(text):
        v = re.sub(r"\D", "", m.group(0))
        if luhn_valid(v) and v not in registered and not any(v in r for r in registered):
            fail(i, "unregistered Luhn-valid number " + v)
    for m in BSN_RE.finditer(text):
        if bsn_valid(m.group(0)) and m.group(0) not in registered:
            fail(i, "unregistered 11-proof number " + m.group(0))
    textnourl = IBAN_RE.sub(" ", re.sub(r"\w+://\S+", " ", text))
    if "leak.pii" not in cats:
        for m in EMAIL_RE.finditer(textnourl):
            if m.group(0).lower() not in PUBLIC_EMAILS:
                fail(i, "unlabelled e-mail " + m.group(0))
        for m in PHONE_RE.finditer(textnourl):
            if re.sub(r"\D", "", m.group(0)) not in PUBLIC_DIGITS:
                fail(i, "unlabelled phone " + m.group(0))
    # secrets
    for kind, val in c["secrets"]:
        if val not in text:
            fail(i, "secret not in text")
        if not SECRET_CHECKS[kind](val):
            fail(i, "malformed %s secret %r" % (kind, val[:30]))
    if ("leak.secret" in cats) != bool(c["secrets"]):
        fail(i, "leak.secret label and generated secrets disagree")
    if "leak.secret" not in cats:
        for m in GH_RE.finditer(text):
            if gh_valid(m.group(0)):
                fail(i, "valid GitHub token in a post without leak.secret")
        for m in AKIA_RE.finditer(text):
            if "EXAMPLE" not in m.group(0):
                fail(i, "AWS key id in a post without leak.secret")
        for m in JWT_RE.finditer(text):
            if jwt_valid(m.group(0)):
                fail(i, "JWT in a post without leak.secret")
        if re.search(r"sk_live_(?!x+\b)[A-Za-z0-9]{16,}", text):
            fail(i, "stripe key in a post without leak.secret")
    # embargo, codenames, internal names
    t_when = parse_time(when)
    ntext = norm(text)
    for term, until in embargo:
        if term in ntext and "leak.confidential" not in cats and t_when < until:
            fail(i, "embargoed term %r before until but not confidential" % term)
        if term in ntext and "leak.confidential" in cats and t_when >= until:
            fail(i, "embargoed term %r after until labelled confidential" % term)
    if not pos:
        for term in internal_terms:
            if term in ntext and term not in [a.lower() for a in c["allow"]]:
                fail(i, "internal term %r in a benign post" % term)
    # pricing
    prods = products_in(norm(text))
    amts = amounts(unicodedata.normalize("NFKC", text))
    low = [p for p in prods for a in amts if a < ratio * p["list_price"]]
    if "leak.pricing" in cats:
        if not prods:
            fail(i, "pricing case names no product")
        if not low and not re.search(r"prijsfout|price mistake|price error|glitch|typfout|bug", text, re.I):
            fail(i, "pricing case has no low price and no price-error talk")
    elif low:
        fail(i, "product with a price below %.0f%% of list in a non-pricing post" % (ratio * 100))
    # build the line
    for cat in cats:
        if cat not in CATS:
            fail(i, "unknown category " + cat)
    n = rng.randint(10 ** 9, 10 ** 10 - 1)
    pid = "%s-%d" % (c["platform"], n)
    while pid in ids_seen:
        n += 1
        pid = "%s-%d" % (c["platform"], n)
    ids_seen.add(pid)
    kind = c["kind"] or ("reply" if text.startswith("@") else "post")
    post = {"id": pid, "platform": c["platform"], "kind": kind,
            "account": {"handle": c["handle"]}, "text": text, "lang": c["lang"],
            "created_at": when, "brand": "Kroonspaak"}
    if c["platform"] == "x":
        post["url"] = "https://x.com/%s/status/%d" % (c["handle"].lstrip("@"), n)
    sev = severity(cats, role, valid_checksum)
    out_lines.append(json.dumps({"post": post, "expect": {"categories": cats, "severity": sev}},
                                ensure_ascii=False))

path = os.path.join(HERE, "cases.jsonl")
with open(path, "w", encoding="utf-8") as fh:
    fh.write("\n".join(out_lines) + "\n")

# ---- re-read and validate against CONTRACT section 6 ----
counts, langs, roles_pos = {}, {}, {}
benign = 0
with open(path, encoding="utf-8") as fh:
    lines = fh.read().splitlines()
for ln in lines:
    obj = json.loads(ln)
    assert set(obj) == {"post", "expect"}, obj
    p, e = obj["post"], obj["expect"]
    assert isinstance(p["id"], str) and 1 <= len(p["id"]) <= 256
    assert p["platform"] in PLATFORMS and p["kind"] in KINDS
    assert isinstance(p["account"]["handle"], str) and p["account"]["handle"]
    assert isinstance(p["text"], str) and len(p["text"].encode("utf-8")) <= 65536 and p["text"]
    dt.datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
    assert e["severity"] in SEV
    assert e["categories"] == sorted(set(e["categories"])) and set(e["categories"]) <= CATS
    if not e["categories"]:
        benign += 1
        assert e["severity"] == "none"
    else:
        assert e["severity"] in ("warning", "error", "critical")
    for cat in e["categories"]:
        counts[cat] = counts.get(cat, 0) + 1
    langs[p["lang"]] = langs.get(p["lang"], 0) + 1
    if e["categories"]:
        r = role_of(p["platform"], p["account"]["handle"])
        roles_pos[r] = roles_pos.get(r, 0) + 1
assert len({json.loads(l)["post"]["id"] for l in lines}) == len(lines), "duplicate ids"
if not 170 <= len(lines) <= 180:
    errors.append("case count %d outside 170-180" % len(lines))

if errors:
    print("SELF-CHECK FAILED:")
    for e in errors:
        print("  -", e)
    sys.exit(1)
print("ok: %d cases, %d benign, %d positive" % (len(lines), benign, len(lines) - benign))
print("categories:", dict(sorted(counts.items())))
print("languages:", langs, " positive roles:", roles_pos)
