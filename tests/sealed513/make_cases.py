#!/usr/bin/env python3
"""Build the sealed evaluation set 513 (Gebaria Tolkdiensten, a fictional Dutch
sign-language interpreting agency) and check it.

Deterministic: every random value (tokens, keys, identifiers, dates, ids) comes from
random.Random(SEED). Post texts are hand-written below. Severities are never typed by
hand: they are computed from the categories and the account role found in profile.yaml,
following CONTRACT section 4.

Writes cases.jsonl beside this file, then re-reads it and runs the self-checks.
Exit status 0 only if every check passes.
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

SEED = 513
HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE_PATH = os.path.join(HERE, "profile.yaml")
OUT_PATH = os.path.join(HERE, "cases.jsonl")

rng = random.Random(SEED)

with open(PROFILE_PATH, encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# --------------------------------------------------------------------------------------
# checksum helpers
# --------------------------------------------------------------------------------------
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.digits + string.ascii_letters


def iban_valid(iban):
    s = re.sub(r"\s+", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def iban_make(bank, acct):
    bban = bank + acct
    n = int("".join(str(int(c, 36)) for c in bban + "NL00"))
    return "NL%02d%s" % (98 - n % 97, bban)


def luhn_valid(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    total = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        total += x
    return total % 10 == 0


def luhn_make(prefix, length):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for c in string.digits:
        if luhn_valid(body + c):
            return body + c
    raise AssertionError


def bsn_valid(num):
    s = re.sub(r"\D", "", num)
    if len(s) != 9 or s[0] == "0":
        return False
    w = [9, 8, 7, 6, 5, 4, 3, 2, -1]
    return sum(int(c) * k for c, k in zip(s, w)) % 11 == 0


def bsn_make():
    while True:
        s = str(rng.randint(1, 9)) + "".join(rng.choice(string.digits) for _ in range(7))
        for c in string.digits:
            if bsn_valid(s + c):
                return s + c


def corrupt_digits(value, validator):
    """Change one digit so the checksum fails (deterministic through rng)."""
    positions = [i for i, c in enumerate(value) if c.isdigit()]
    while True:
        i = rng.choice(positions[2:])
        new = value[:i] + str((int(value[i]) + rng.randint(1, 9)) % 10) + value[i + 1:]
        if not validator(new) and new[0] != "0":
            return new


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


# --------------------------------------------------------------------------------------
# credential generators, built the way the real ones are
# --------------------------------------------------------------------------------------
def b62_6(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(6, "0")


def github_token(prefix="ghp_"):
    body = "".join(rng.choice(ALNUM) for _ in range(30))
    return prefix + body + b62_6(zlib.crc32(body.encode()))


def github_token_valid(tok):
    m = re.fullmatch(r"(gh[pousr]_)([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62_6(zlib.crc32(m.group(2).encode())) == m.group(3)


def aws_key_id():
    return "AKIA" + "".join(rng.choice(string.ascii_uppercase + "234567") for _ in range(16))


def aws_secret():
    return "".join(rng.choice(ALNUM + "/+") for _ in range(40))


def rand_str(n, alphabet=ALNUM):
    return "".join(rng.choice(alphabet) for _ in range(n))


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt_make():
    header = {"alg": "HS256", "typ": "JWT"}
    payload = {"sub": "usr_%d" % rng.randint(100000, 999999), "role": "client",
               "iss": "live.gebaria.nl", "iat": 1782900000, "exp": 1782986400}
    sig = bytes(rng.randrange(256) for _ in range(32))
    return ".".join([b64url(json.dumps(header, separators=(",", ":")).encode()),
                     b64url(json.dumps(payload, separators=(",", ":")).encode()),
                     b64url(sig)])


def jwt_valid(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    try:
        head = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except Exception:
        return False
    return isinstance(head, dict) and "alg" in head


def rsa_pem():
    body = base64.b64encode(b"\x30\x82\x04\xa3\x02\x01\x00\x02\x82\x01\x01\x00"
                            + bytes(rng.randrange(256) for _ in range(1180))).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"


def password():
    words = ["Vlinder", "Tandwiel", "Kompas", "Regenboog", "Zomer", "Hagel", "Molen", "Tulp"]
    return rng.choice(words) + rng.choice("#!$%&*") + str(rng.randint(1000, 9999)) + rng.choice("abcdefghkmnpqrstuvwxyz")


# --------------------------------------------------------------------------------------
# generated values (fixed order => deterministic)
# --------------------------------------------------------------------------------------
G = {}
G["ghp1"] = github_token("ghp_")
G["gho1"] = github_token("gho_")
G["aws_id"] = aws_key_id()
G["aws_secret"] = aws_secret()
G["aws_id2"] = aws_key_id()
G["aws_secret2"] = aws_secret()
G["mollie"] = "live_" + rand_str(30)
G["stripe"] = "sk_live_" + rand_str(24)
G["slack"] = "xoxb-%d-%d-%s" % (rng.randint(10 ** 10, 10 ** 11 - 1), rng.randint(10 ** 12, 10 ** 13 - 1), rand_str(24))
G["openai"] = "sk-proj-" + rand_str(64, ALNUM + "_-") + "T3BlbkFJ" + rand_str(64, ALNUM + "_-")
G["rsa"] = rsa_pem()
G["jwt"] = jwt_make()
G["pg_pw"] = rand_str(6) + "!" + rand_str(8)
G["pw_zw"] = password()

G["bsn1"] = bsn_make()
G["bsn2"] = bsn_make()
G["iban1"] = iban_make("ABNA", "".join(rng.choice(string.digits) for _ in range(10)))
G["iban2"] = iban_make("INGB", "000" + "".join(rng.choice(string.digits) for _ in range(7)))
G["card1"] = luhn_make("4" + str(rng.randint(10000, 99999)), 16)           # Visa
G["card2"] = luhn_make("5" + str(rng.randint(1, 5)) + str(rng.randint(1000, 9999)), 16)  # Mastercard
G["iban_bad"] = corrupt_digits(iban_make("RABO", "".join(rng.choice(string.digits) for _ in range(10))), iban_valid)
G["iban_bad2"] = corrupt_digits(iban_make("SNSB", "".join(rng.choice(string.digits) for _ in range(10))), iban_valid)
G["card_bad"] = corrupt_digits(luhn_make("4" + str(rng.randint(10000, 99999)), 16), luhn_valid)
G["bsn_bad"] = corrupt_digits(bsn_make(), bsn_valid)
def swap_adjacent(value, validator):
    """Swap two adjacent, different digits (a typical typing slip) so the checksum fails."""
    while True:
        i = rng.randrange(1, len(value) - 1)
        if value[i] != value[i + 1]:
            new = value[:i] + value[i + 1] + value[i] + value[i + 2:]
            if not validator(new):
                return new


G["bsn_bad2"] = swap_adjacent(bsn_make(), bsn_valid)

ZW = "\u200b"  # zero-width space


def sp_iban(s):
    return group4(s)


# --------------------------------------------------------------------------------------
# profile lookups
# --------------------------------------------------------------------------------------
ROLE = {}
for r in ("corporate", "employee"):
    for a in PROFILE["accounts"][r]:
        ROLE[a.lower()] = r


def role_of(platform, handle):
    return ROLE.get(("%s:%s" % (platform, handle)).lower(), "public")


LEVELS = ["none", "info", "warning", "error", "critical"]


def severity(cats, role, checksum_id):
    best = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and checksum_id):
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
            raise AssertionError("unknown category " + c)
        best = max(best, LEVELS.index(v))
    return LEVELS[best]


# --------------------------------------------------------------------------------------
# the cases
# --------------------------------------------------------------------------------------
CRI, COM, ABU = "reputation.crisis", "reputation.complaint", "reputation.abuse"
SEC, PII, PRI = "leak.secret", "leak.pii", "leak.pricing"
CON, FIN, SCY = "leak.confidential", "leak.financial", "leak.security"

CASES = []


def C(platform, handle, lang, text, cats=(), kind="post", date=None, ids=(), prices=(), secrets=()):
    """ids: (kind, value-as-in-text, expected_valid); prices: (alias, amount);
    secrets: values in the text that are (positive) or look like (negative) credentials."""
    CASES.append(dict(platform=platform, handle=handle, lang=lang, text=text, cats=sorted(set(cats)),
                      kind=kind, date=date, ids=list(ids), prices=list(prices), secrets=list(secrets)))


# ---- reputation.crisis (safety incidents first-hand => also complaint) ----------------
C("x", "@mvdlinden_doof", "en",
  "ok so my GebariaCam kit charger started SMOKING on the desk last night. actual smoke. burn mark "
  "on the wood and the smell is still in the room. unplugged it with a tea towel. @gebaria_help is "
  "this thing even CE tested?? there are two kids in this house", [CRI, COM])
C("facebook", "ria.koster.71", "nl",
  "Ik moet dit even kwijt. Mijn moeder (doof) lag vrijdag op de SEH. De videotolk via GebariaLive viel "
  "drie keer weg midden in het gesprek met de arts, die is toen maar met handen en voeten gaan uitleggen. "
  "Ze had bijna een middel gekregen waar ze allergisch voor is. Als mijn zus er niet toevallig bij was "
  "geweest... Gebaria, dit kan gewoon niet.", [CRI, COM])
C("instagram", "@mama_van_fenna", "nl",
  "De ringlight van de GebariaCam werd zo heet dat mn dochter van 6 d'r vingers eraan heeft verbrand 😡 "
  "blaren en al. Hoe komt zoiets door de keuring?? #gebaria", [CRI, COM], kind="comment")
C("reddit", "u/tired_dad_signs", "en",
  "PSA for anyone with the GebariaCam tablet stand: the clamp gave way while my son was using it for his "
  "signing lesson and the tablet hit him right above the eye. 3 stitches at the ER. Gebaria support replied "
  "with a link to their FAQ. Genuinely can't believe it.", [CRI, COM])
C("x", "@nieuwsjunk_030", "nl",
  "Via @rtvutrecht: brand in zorginstelling in Zeist vannacht, vermoedelijk ontstaan door een oplader van een "
  "GebariaCam tolkset. Bewoners geëvacueerd, niemand gewond gelukkig.", [CRI])
C("mastodon", "@quietreader@mastodon.social", "en",
  "Reading reports that a deaf patient in Leeuwarden signed a surgery consent after a Gebaria interpreter "
  "mixed up 'left' and 'right'. If this is true it is absolutely terrifying.", [CRI])
C("x", "@dovenstem_nl", "nl",
  "Dovengemeenschap, let op: Gebaria gaat tolken vervangen door een computer-avatar en noemt dat 'inclusie'. "
  "Niet met ons! Boycot ze, boek een ander bureau. #BoycotGebaria #NietsOverOnsZonderOns", [CRI])
C("x", "@kay_signs", "en",
  "So Gebaria leaked recordings of therapy sessions?? A friend found video clips of her psych appointment "
  "(with her interpreter in frame) on some open server. How is that even legal. #databreach #Gebaria", [CRI])
C("linkedin", "eva-lambrechts-advocaat", "nl",
  "Vandaag heb ik namens veertien freelance tolken een dagvaarding laten betekenen aan Gebaria Tolkdiensten "
  "B.V. De eis: erkenning van het dienstverband en nabetaling van achterstallige vergoedingen. Wordt vervolgd.",
  [CRI])
C("x", "@hands_of_hope_uk", "en",
  "A Gebaria interpreter shared details of a deaf client's divorce hearing in a group chat. Screenshots are "
  "going around. Confidentiality is the ONE job. Disgraceful.", [CRI])
C("tiktok", "@doof.en.trots", "nl",
  "B O Y C O T T   G E B A R I A 🤟🏼 dove docenten krijgen minder betaald dan horende collega's voor "
  "precies hetzelfde werk. delen!!", [CRI])
C("forum", "Gijs74", "nl",
  "Terugroepactie?? Kreeg vandaag een brief van Gebaria: 'retourneer uw GebariaCam oplader i.v.m. risico op "
  "oververhitting'. Staat NERGENS op hun website. Wie heeft dit ook gehad?", [CRI])
C("bluesky", "@accesslaw.bsky.social", "en",
  "A class action is being put together against Gebaria over the GebariaLive outage that left deaf callers "
  "without an interpreter during emergency calls. If you were affected, get in touch.", [CRI])
C("x", "@lotte_tolkt", "en",
  "Management wants us to stay quiet about the colleague who was assaulted at a client's home last week. "
  "No safety protocol, no buddy system, nothing. We deserve better than this.", [CRI])
C("x", "@boze_burger_ad", "nl",
  "Gebaria is gewoon een stelletje criminelen. Datalekken verzwijgen en dan een persbericht over 'vertrouwen' "
  "sturen. Boycot die tyfustent.", [CRI, ABU])

# ---- reputation.complaint ------------------------------------------------------------
C("x", "@sophie_doof", "nl",
  "Tolk kwam niet opdagen bij mijn sollicitatiegesprek vanochtend. Geen bericht, geen telefoon, niks. Dus ik "
  "zat daar. Bedankt @gebaria_help, die baan kan ik wel vergeten 🙃", [COM])
C("x", "@deafdev_mo", "en",
  "38 minutes in the GebariaLive queue just to call my GP's office. Gave up. 'Interpreter on demand' my foot.",
  [COM])
C("facebook", "Wendy.Brouwer.Zwolle", "nl",
  "Vorige week ouderavond op school van mijn zoon. Via Gebaria een tolk geboekt, twee weken van tevoren. "
  "Kwam er iemand die duidelijk nog nooit in het onderwijs had getolkt: rekentoets, leerlingvolgsysteem, "
  "zorgcoördinator, alles werd gespeld. Ik heb de helft gemist. Klacht ingediend, nog steeds geen reactie.",
  [COM])
C("reddit", "u/invoice_rage", "en",
  "Gebaria billed me for 3 hours for a 45-minute appointment AND charged a cancellation fee for a different "
  "booking I cancelled 5 days in advance. Their T&Cs say 48h. Emailed twice, nothing. Has anyone actually "
  "managed to dispute an invoice with them?", [COM])
C("instagram", "@jurre.ngt", "nl",
  "GebariaLive app crasht elke keer als ik van camera wissel 📱💥 al 2 weken zo. komt er nog een update of moet "
  "ik een ander bureau zoeken?", [COM], kind="comment")
C("x", "@marloes_gebaart", "nl",
  "@gebaria_help jullie boekingsportaal zegt al 3 dagen 'in behandeling' voor mijn tolk van maandag. Moet ik "
  "zelf maar gaan gebaren naar de notaris ofzo?", [COM], kind="reply")
C("linkedin", "anna-de-boer-hr-lead", "en",
  "As an HR lead I'm honestly disappointed. We've used Gebaria for a year for our deaf colleague's team "
  "meetings and the interpreter changes almost every week. No continuity, no preparation on our jargon. "
  "We'll be looking at alternatives.", [COM])
C("x", "@ngt_leerling_kim", "nl",
  "vaag hoor, Cursus NGT 1 bij Gebaria Academy: docent 3x afgezegd, geen inhaalles en geen geld terug. "
  "lekker dan 👎", [COM])
C("threads", "@bio.student.lex", "en",
  "the gebaria schrijftolk typed half of my lecture wrong?? 'photosynthesis' came out as 'photo synthesis "
  "session' and the prof's name was spelled differently every time. exam's next week, thanks I guess", [COM])
C("x", "@aankomende_mama", "nl",
  "Vier keer gebeld, nooit teruggebeld. Gebaria, bel me gewoon terug op 06-41 27 83 95, het gaat om de tolk "
  "voor mijn BEVALLING over twee weken!!", [COM, PII])
C("facebook", "Maaike.vandenHoek", "en",
  "Still no refund for the wedding package you cancelled on US, Gebaria. You have my email, it's "
  "m.vandenhoek84@gmail.com. Answer it.", [COM, PII])
C("x", "@henkie_072", "nl",
  "Wéér een tolk een half uur te laat bij de huisarts. Wat een prutsers zijn jullie bij Gebaria, echt een "
  "clubje kneuzen.", [COM, ABU])
C("x", "@fed_up_frank", "en",
  "Gebaria's support team are useless f*cking idiots. Third time my booking just vanished from the portal.",
  [COM, ABU])
C("other", "review-4412", "nl",
  "1 ster. Mijn tolkvoorziening via UWV loopt via Gebaria en ze hebben de declaratie drie maanden te laat "
  "ingediend. Nu moet ík de rekening voorschieten. Onacceptabel.", [COM])
C("mastodon", "@pieterbeeld@mastodon.nl", "nl",
  "GebariaLive hapert constant. Beeld bevriest precies op het moment dat de tolk gaat vingerspellen. Zo kan ik "
  "mijn werk niet doen.", [COM])
C("x", "@amara_speaks_bsl", "en",
  "Asked for a female interpreter for my gynaecology appointment. Gebaria sent a man and said 'no one else "
  "was available'. I had to go ahead anyway. Not ok.", [COM])

# ---- reputation.abuse ----------------------------------------------------------------
C("x", "@trollkoning88", "nl",
  "@lotte_tolkt jij bent echt de slechtste tolk die ik ooit heb gezien, zoek een ander vak, dom wicht",
  [ABU], kind="reply")
C("x", "@angrytaxpayer_", "en",
  "Gebaria can go to hell. Greedy parasites making money off disabled people.", [ABU])
C("tiktok", "@sk8r_jens", "nl", "g3b4r14 = k4nk3rb3dr1jf, ik zeg het gewoon 🤷", [ABU], kind="comment")
C("reddit", "u/not_letting_it_go", "en",
  "I know exactly which interpreter it was. Ruben, from Gebaria. Someone should wait for him after his shift "
  "and teach him a lesson.", [ABU], kind="comment")
C("instagram", "@xx_dewi_xx", "nl",
  "Wat een lelijke kop heeft die tolk in jullie filmpje, walgelijk. Haal die trut weg.", [ABU], kind="comment")
C("x", "@sietske_planning", "en",
  "@cheapskate_client you're a pathetic little man. Stop emailing our planners at 3am and pay your invoices.",
  [ABU], kind="reply")
C("x", "@gebaria_help", "nl",
  "@kritische_karel hou toch je bek man, niemand zit op jouw mening te wachten", [ABU], kind="reply")
C("x", "@realtalk_rob", "en",
  "Why are my taxes paying for interpreters so deaf-mute freeloaders can have a chat? Gebaria is scamming the "
  "state with these people.", [ABU])
C("x", "@anoniem_boos", "nl",
  "G\u0435b\u0430ri\u0430 is één grote kl\u043et\u0435z\u043e\u043ei. \u041epl\u0438cht\u0435rs zijn het.",
  [ABU])

# ---- leak.confidential ---------------------------------------------------------------
C("linkedin", "eline-kuipers-product", "nl",
  "Trots op het team achter Project Kolibrie! Maanden gebouwd aan onze nieuwe planningsengine en in maart gaan "
  "we live 🚀 #tolken #innovatie", [CON], date="2026-01-20T10:12:00Z")
C("x", "@dirkjan_dev", "en",
  "demo of Operatie Zwaluwstaart went really well today. can't say much but deaf users are going to love this 🤫",
  [CON])
C("x", "@ruben_gebaart", "nl",
  "weet iemand de link naar https://intranet.gebaria.local/wiki/tolkrooster-2027 nog? kan hem nergens meer "
  "vinden en mijn planning is leeg 😩", [CON])
C("instagram", "@gebaria.tolken", "en",
  "Meet our interpreters at the Deaf Culture Festival this weekend! 🤟 [Gebaria confidential – draft v3, do not "
  "publish before sign-off]", [CON])
C("x", "@sietske_planning", "nl",
  "Haha net een mail met 'intern - niet verspreiden' erboven over de nieuwe tarieven voor 2027: tolkuur gaat "
  "naar €96. Kan dit niet gewoon in Teams? 🙄", [CON], prices=[("tolkuur", 96)])
C("instagram", "@femke.tolkt.ngt", "nl",
  "Kan bijna niet wachten tot we GebariaLive Nacht lanceren 🌙 eindelijk ook 's nachts een tolk voor wie dat "
  "nodig heeft", [CON], date="2026-11-18T21:40:00Z")
C("x", "@beatrix_bakt", "en",
  "heard from a friend at Gebaria that 'Gebaria Kompas' is their AI signing avatar thing and it's launching "
  "early next year. make of that what you will", [CON], date="2026-12-03T16:05:00Z")
C("x", "@lotte_tolkt", "nl",
  "jaarcijfers 2026 zien er goed uit, omzet +18%!! meer mag ik niet zeggen 😇", [CON, FIN],
  date="2027-02-10T19:22:00Z")
C("bluesky", "@noor-schrijftolk.bsky.social", "en",
  "FY2026 results are in and they're honestly better than we expected. champagne on tuesday 🥂", [CON, FIN],
  date="2027-02-20T17:48:00Z")
C("reddit", "u/tolkwatcher", "nl",
  "Iemand die bij Gebaria werkt had een screenshot op LinkedIn waarop je planning.gebaria.local in de "
  "adresbalk zag, plus een tabblad 'Tandem Blue'. Slordig hoor.", [CON])
C("linkedin", "youssef-amrani-tolk", "en",
  "Excited to share that I'll be coordinating Tandem Blue: embedding interpreters directly in the emergency "
  "departments of a major hospital group. More soon, still under NDA for now!", [CON])
C("x", "@dirkjan_dev", "nl",
  "\uff50\uff52\uff4f\uff4a\uff45\uff43\uff54 \uff4b\uff4f\uff4c\uff49\uff42\uff52\uff49\uff45 gaat echt vet "
  "worden, meer kan ik er niet over zeggen 😎", [CON])
C("x", "@sietske_planning", "nl",
  "Wéér een lange dag aan Operatie Zwal" + ZW + "uwstaart gewerkt, mijn hoofd tolt 🌀", [CON])
C("bluesky", "@noor-schrijftolk.bsky.social", "nl",
  "Slide uit de kwartaalpresentatie (tolkteam vertrouwelijk 🤐): vanaf 2027 bieden we ook Vlaamse "
  "Gebarentaal aan.", [CON])
C("x", "@infosec_ilse", "en",
  "lol someone at Gebaria shared a Google Drive link publicly and it's a deck titled 'Gebaria confidential — "
  "pricing strategy 2027'. You might want to fix that", [CON])
C("facebook", "GebariaTolken", "nl",
  "Binnenkort meer over GebariaLive Nacht 👀 Houd onze pagina in de gaten!", [CON],
  date="2027-01-10T12:00:00Z")

# ---- leak.financial ------------------------------------------------------------------
C("linkedin", "marieke-hoogendoorn-hr", "nl",
  "Zwaar nieuws intern vandaag: Gebaria schrapt 30 fte op het kantoor in Utrecht. De reorganisatie wordt pas "
  "in januari officieel aangekondigd, dus verder zeg ik niks.", [FIN], date="2026-11-05T15:30:00Z")
C("x", "@ruben_gebaart", "en",
  "not supposed to say this but we're getting bought by a big Scandinavian language-services group, signing "
  "next month 👀", [FIN])
C("linkedin", "hans-de-wit-cfo", "nl",
  "Q3 omzet Gebaria: €4,2 mln, EBITDA-marge 11%. Officiële publicatie volgt 15 november, maar ik ben nu al "
  "trots op het team.", [FIN], date="2026-10-28T08:10:00Z")
C("reddit", "u/koffiedik_kijker", "en",
  "My cousin works in finance at Gebaria and says they'll miss their 2026 forecast by like 20%. Apparently "
  "the bank is getting nervous.", [FIN])
C("x", "@lotte_tolkt", "nl",
  "Volgens het MT-plan krijgen alle freelancers per 1 maart 8% minder tarief en gaat de helft van de planners "
  "eruit. Nog niet officieel hè.", [FIN])
C("linkedin", "eline-kuipers-product", "en",
  "The 2027 forecast just landed in my inbox: €21M revenue target and we're opening an office in Antwerp. "
  "Buckle up, team!", [FIN])
C("forum", "zakelijk_zeeland", "nl",
  "Gerucht: Gebaria wordt overgenomen door TolkNet Groep voor zo'n 35 miljoen. Iemand van binnen bevestigde "
  "het me gisteren op de borrel.", [FIN])
C("x", "@gebaria_nl", "en",
  "DRAFT – DO NOT POST: Gebaria to acquire HandsOn Interpreting Ltd (UK). Announcement scheduled for 3 Nov, "
  "pending board approval.", [FIN, CON], date="2026-10-20T07:55:00Z")
C("bluesky", "@noor-schrijftolk.bsky.social", "en",
  "H1 numbers internally: gross margin down to 19%, video interpreting volume up 40%. Board meets Thursday to "
  "decide on the cost cuts.", [FIN], date="2026-07-14T18:02:00Z")
C("tiktok", "@bram_ngt_docent", "nl",
  "Jaarverslag komt pas in maart, maar ik kan het echt niet voor me houden: we hebben de UWV-aanbesteding "
  "2027–2030 binnen!! 🎉 nog even stil houden 🤫", [FIN], date="2026-12-11T20:15:00Z")

# ---- leak.security -------------------------------------------------------------------
C("x", "@sietske_planning", "nl",
  "Planningssysteem ligt er al sinds 6 uur vanochtend uit, IT zegt ransomware. Klanten weten nog van niks, "
  "wij bellen alles handmatig af 😰", [SCY])
C("x", "@dirkjan_dev", "en",
  "found out today our booking API happily returns other clients' appointments if you just change the id in "
  "the URL. reported it, but it's been live like that for months 🙈", [SCY])
C("x", "@ruben_gebaart", "nl",
  "Storing op planning.gebaria.local, niemand kan zijn rooster zien. Wordt niet naar klanten gecommuniceerd, "
  "dus als je tolk vandaag niet komt: dat is waarom.", [SCY, CON])
C("linkedin", "eline-kuipers-product", "en",
  "Postmortem draft: the storage bucket with session recordings was publicly readable for about 3 weeks. "
  "We're still deciding whether we have to notify the Dutch DPA.", [SCY])
C("bluesky", "@noor-schrijftolk.bsky.social", "nl",
  "Phishingmail is gisteren door vier tolken aangeklikt, hun mailboxen zijn overgenomen. IT zegt: vooral niet "
  "naar buiten brengen. Nou, bij deze dan 🤷‍♀️", [SCY])
C("mastodon", "@thijs_ops@fosstodon.org", "en",
  "GebariaLive TURN servers have been down for 2 hours, every video call is falling back to a relay in "
  "Frankfurt. Status page still says all green 🙃", [SCY])
C("x", "@dirkjan_dev", "nl",
  "Er zit een lek in de GebariaLive app waardoor je zonder in te loggen de wachtrij van andere klanten kunt "
  "zien. Fix staat voor 'volgende sprint' 🤦", [SCY])
C("reddit", "u/sysadmin_anon_nl", "en",
  "Friend who does IT for Gebaria says their entire Active Directory got owned last weekend and they haven't "
  "told anyone. Their clients' medical appointments are all in there.", [SCY, CRI])
C("x", "@lotte_tolkt", "nl",
  "IT heeft een audit gedaan op het tolkportaal: 61% van de tolken gebruikt nog het standaard "
  "startwachtwoord. Lekker veilig allemaal 🙃", [SCY])
C("mastodon", "@thijs_ops@fosstodon.org", "en",
  "pentest report is back: 14 criticals on the interpreter portal, including SQL injection on the login page. "
  "release freeze until it's fixed. keep it quiet pls", [SCY])
C("linkedin", "marieke-hoogendoorn-hr", "nl",
  "Datalek bij ons: een planner heeft per ongeluk een Excel met 2.300 cliëntdossiers naar een externe partij "
  "gemaild. Of we het bij de AP melden wordt nog besproken.", [SCY])
C("x", "@dirkjan_dev", "en",
  "someone got into our staging db from a random IP last night. pretty sure this is the key that leaked, "
  "already disabled it: %s / %s" % (G["aws_id2"], G["aws_secret2"]), [SCY, SEC],
  secrets=[G["aws_id2"]])
C("x", "@jesper_schrijft", "nl",
  "Schrijftolkserver crashte midden in het Kamerdebat, 40 minuten geen live ondertiteling. Officieel was het "
  "'een technische storing bij de Kamer' 🤫", [SCY])

# ---- leak.secret ---------------------------------------------------------------------
C("x", "@dirkjan_dev", "en",
  "CI broke again so I temporarily hardcoded GITHUB_TOKEN=%s in the workflow. will rotate tomorrow, promise"
  % G["ghp1"], [SEC], secrets=[G["ghp1"]])
C("mastodon", "@thijs_ops@fosstodon.org", "nl",
  "Kan iemand kijken waarom deze niet werkt in eu-west-1?\nAWS_ACCESS_KEY_ID=%s\nAWS_SECRET_ACCESS_KEY=%s\n"
  "krijg steeds AccessDenied" % (G["aws_id"], G["aws_secret"]), [SEC], secrets=[G["aws_id"]])
C("x", "@sietske_planning", "nl",
  "Voor wie de Academy-webshop moet testen: de Mollie key is %s , niet doorsturen aub" % G["mollie"], [SEC],
  secrets=[G["mollie"]])
C("x", "@jesper_schrijft", "nl",
  "webhook van de planningsbot faalt steeds, token is %s als iemand het wil proberen" % G["slack"], [SEC],
  secrets=[G["slack"]])
C("linkedin", "eline-kuipers-product", "en",
  "Built a tiny prototype that summarises interpreter feedback with GPT 🤖 snippet below:\n"
  "client = OpenAI(api_key=\"%s\")\nHappy to share more!" % G["openai"], [SEC], secrets=[G["openai"]])
C("mastodon", "@thijs_ops@fosstodon.org", "en",
  "can someone check why this deploy key isn't accepted on the build box?\n%s" % G["rsa"], [SEC],
  secrets=["-----BEGIN RSA PRIVATE KEY-----"])
C("x", "@sietske_planning", "nl",
  "Klant kan niet inloggen in GebariaLive, dit is zijn sessietoken uit de logs, kan iemand van dev kijken? %s"
  % G["jwt"], [SEC], secrets=[G["jwt"]])
C("x", "@dirkjan_dev", "en",
  "if the booking service throws again just point it at the replica: postgresql://booking_app:%s@"
  "booking-prod.c7xk2mq9ab.eu-west-1.rds.amazonaws.com:5432/planning" % G["pg_pw"], [SEC],
  secrets=["postgresql://booking_app:" + G["pg_pw"] + "@"])
C("x", "@lotte_tolkt", "nl",
  "Voor de invaltolken deze week: inloggen op het tolkportaal met invaltolk03, wach" + ZW + "twoord: "
  + G["pw_zw"], [SEC], secrets=[G["pw_zw"]])
C("x", "@devops_dana", "en",
  "@gebaria_help one of your freelancers pasted this in our shared project channel, you may want to revoke "
  "it: %s" % G["gho1"], [SEC], kind="reply", secrets=[G["gho1"]])
C("mastodon", "@thijs_ops@fosstodon.org", "en",
  "note to self: stripe key for the academy shop is %s, move it to the vault before Friday" % G["stripe"],
  [SEC], secrets=[G["stripe"]])

# ---- leak.pii ------------------------------------------------------------------------
C("x", "@sietske_planning", "nl",
  "Wie kan morgen om 10:00 tolken bij mevr. Jansen, Kerkstraat 14, 3581 GH Utrecht? Ze is doofblind, dus "
  "tactiel. Contact via haar dochter: 06 28 41 93 07", [PII])
C("linkedin", "marieke-hoogendoorn-hr", "en",
  "Reminder for the UWV forms: client Peter Visser, BSN %s, still needs his form signed before Friday."
  % G["bsn1"], [PII], ids=[("bsn", G["bsn1"], True)])
C("x", "@gebaria_help", "nl",
  "@sanne_ngt we hebben je terugbetaling zojuist overgemaakt naar %s t.n.v. S. de Graaf. Laat je even weten "
  "of het binnen is? 🙏" % sp_iban(G["iban1"]), [PII], kind="reply", ids=[("iban", sp_iban(G["iban1"]), True)])
C("x", "@jesper_schrijft", "en",
  "client's card keeps getting declined in the portal: %s exp 09/28. anyone know if Visa is down?"
  % G["card1"], [PII], ids=[("card", G["card1"], True)])
C("instagram", "@gebaria.tolken", "nl",
  "Hoera! Onze trouwe cliënt Henk Bosman, geboren op 12-03-1941, wordt vandaag 85 en komt nog steeds elke "
  "week naar de gebarenkoffie 🎂🤟", [PII], date="2026-03-12T09:15:00Z")
C("x", "@j_okafor", "en",
  "@gebaria_help booking for tomorrow 9am under my name, email j.okafor.deaf@outlook.com, phone "
  "+31 6 1953 2274. please confirm asap", [PII], kind="reply")
C("facebook", "Rob.Koster.Apeldoorn", "nl",
  "Voor de terugbetaling van de geannuleerde cursus: mijn rekeningnummer is %s t.n.v. R. Koster. Alvast "
  "bedankt Gebaria!" % G["iban2"], [PII], kind="comment", ids=[("iban", G["iban2"], True)])
C("bluesky", "@noor-schrijftolk.bsky.social", "en",
  "Anyone free Thursday? Deaf client needs an interpreter for a notary appointment, you can reach him "
  "directly at t.meijer@ziggo.nl or 020-6718243", [PII])
C("linkedin", "marieke-hoogendoorn-hr", "nl",
  "Welkom aan onze nieuwe collega Anouk Verbeek (geboren 4 juli 1997)! Vragen voor haar? Mail gerust naar "
  "anouk.verbeek97@gmail.com 🎉", [PII])
C("reddit", "u/double_charged", "en",
  "Gebaria charged this card twice for the same booking: %s. Bank says it's on their end. Anyone else?"
  % group4(G["card2"]), [PII, COM], ids=[("card", group4(G["card2"]), True)])
C("x", "@ruben_gebaart", "nl",
  "Kan iemand bij de gemeente navragen wat er mis is met de aanvraag van Fatma Yilmaz (BSN %s)? Ze wacht al "
  "6 weken op haar tolkuren." % G["bsn2"], [PII], ids=[("bsn", G["bsn2"], True)])
C("facebook", "GebariaTolken", "nl",
  "Beste meneer De Bruin, we hebben uw nieuwe adres genoteerd: Laan van Meerdervoort 212, 2517 BH Den Haag. "
  "De tolk staat donderdag om 14:00 voor de deur.", [PII], kind="reply")
C("x", "@lopes_family", "en",
  "hey @gebaria_nl my mum (Maria Lopes, DOB 22/08/1958) is still waiting on her interpreter confirmation for "
  "the hospital on Monday. can someone check?", [PII])

# ---- leak.pricing --------------------------------------------------------------------
C("x", "@bruid_in_spe", "nl",
  "Zie ik nou goed dat het Tolkpakket Bruiloft op de site €59,50 kost in plaats van €595? 😂 snel boeken voor "
  "onze trouwdag", [PRI], prices=[("Tolkpakket Bruiloft", 59.50)])
C("x", "@jesper_schrijft", "en",
  "whoops, someone entered the Congres Dag package at €145 in the webshop. fixing it now, don't tell anyone 🙈",
  [PRI], prices=[("Congres Dag package", 145)])
C("instagram", "@gebaria.tolken", "nl",
  "🔥 ACTIE 🔥 De GebariaCam tablet kit nu voor maar €49! Op = op.", [PRI],
  prices=[("GebariaCam tablet kit", 49)])
C("reddit", "u/dealhunter_eu", "en",
  "PSA: price error on Gebaria Academy, Cursus NGT 2 is €44.50 right now (normally €445). Grab it before they "
  "notice", [PRI], prices=[("Cursus NGT 2", 44.50)])
C("linkedin", "eline-kuipers-product", "nl",
  "Per abuis stond GebariaLive Zakelijk vanochtend voor €19 per maand in onze offertetool. Inmiddels hersteld, "
  "sorry sales-collega's!", [PRI], prices=[("GebariaLive Zakelijk", 19)])
C("x", "@lucky_lucas", "en",
  "Gebaria's checkout only charged me €9 for a Spoedtolk callout?? glitch I guess lol", [PRI],
  prices=[("Spoedtolk callout", 9)])
C("forum", "koopjesjager", "nl",
  "prijsfout bij Gebaria: de Workshop Dovenbewustzijn voor een heel team voor €87,50. Heb er meteen drie "
  "geboekt haha", [PRI], prices=[("Workshop Dovenbewustzijn", 87.50)])
C("facebook", "GebariaTolken", "en",
  "Limited offer: book an International Sign interpreting day for just €299! 🌍🤟", [PRI],
  prices=[("International Sign interpreting day", 299)])
C("x", "@sietske_planning", "nl",
  "Klant belde net: GebariaLive Pro jaarlicentie voor €24 in de app store?? Volgens mij is iemand een nul "
  "vergeten", [PRI], prices=[("GebariaLive Pro jaarlicentie", 24)])
C("x", "@gadget_gert", "en",
  "ringlight mini for €3.90 on the gebaria shop, price error or clearance? 🤔", [PRI],
  prices=[("Ringlight mini", 3.90)])
C("tiktok", "@studentje_sam", "nl",
  "tolkuur NGT voor €29 met die nieuwe Gebaria-actiecode?? dat klopt toch niet 😳", [PRI],
  prices=[("Tolkuur NGT", 29)])
C("mastodon", "@thijs_ops@fosstodon.org", "en",
  "price glitch in the booking portal: Schrijftolk uur showing as €7.90. on it.", [PRI],
  prices=[("Schrijftolk uur", 7.90)])

# ---- benign, mostly hard negatives ---------------------------------------------------
C("x", "@anne_en_joost", "nl",
  "Wat een topdag! De tolk van Gebaria op onze bruiloft was fantastisch, iedereen zat te huilen 😭❤️ #Gebaria")
C("x", "@dr_eline_v", "en",
  "Shoutout to the Gebaria interpreter at my PhD defence, she nailed every bit of jargon 🤟")
C("x", "@gebaria_nl", "nl",
  "Vragen over je boeking? Mail planning@gebaria.nl of bel 030-7442180 (ma-vr 8-18u).")
C("facebook", "GebariaTolken", "nl",
  "Betaal je factuur via overboeking naar NL46 RABO 0331 8291 46 t.n.v. Gebaria Tolkdiensten B.V. o.v.v. je "
  "factuurnummer. Vragen? info@gebaria.nl", ids=[("iban", "NL46 RABO 0331 8291 46", True)])
C("instagram", "@gebaria.tolken", "nl",
  "Voorjaarsactie 🌷 Cursus NGT 1 nu €316 i.p.v. €395 (20% korting). Inschrijven via academy.gebaria.nl",
  prices=[("Cursus NGT 1", 316)], date="2026-04-02T09:00:00Z")
C("linkedin", "gebaria-tolkdiensten", "en",
  "Our Workshop Deaf Awareness for teams: €875 per session, up to 20 participants, on site or online.",
  prices=[("Workshop Deaf Awareness", 875)])
C("x", "@budget_bea", "en",
  "The GebariaCam tablet kit is 25% off this week (€336.75). Worth it for video interpreting at home?",
  prices=[("GebariaCam tablet kit", 336.75)])
C("x", "@dirkjan_dev", "en",
  "PSA for the team: in docs always use AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY, "
  "never real keys 🙏", secrets=["AKIAIOSFODNN7EXAMPLE"])
C("x", "@dirkjan_dev", "en",
  "relax, the token in that screenshot is ghp_****************************a1b2 (redacted before posting)",
  secrets=["ghp_****************************a1b2"])
C("tiktok", "@bram_ngt_docent", "nl",
  "Oefening voor de les cijfers vingerspellen: spel dit rekeningnummer vloeiend, %s (verzonnen, klopt niet "
  "eens 😉)" % G["iban_bad"], ids=[("iban", G["iban_bad"], False)])
C("x", "@curious_kees", "en",
  "My GebariaCam receipt has this long reference on it: %s. Is that the order number or a serial? Support "
  "asked for it" % group4(G["card_bad"]), ids=[("card", group4(G["card_bad"]), False)])
C("tiktok", "@bram_ngt_docent", "nl",
  "Vandaag in de privacyles: waarom is %s géén geldig BSN? Juist, de elfproef klopt niet 🤓" % G["bsn_bad"],
  ids=[("bsn", G["bsn_bad"], False)])
C("x", "@gebaria_nl", "nl",
  "Vanaf vandaag live: GebariaLive Nacht! 24/7 een tolk, ook om 3 uur 's nachts 🌙 Meer op live.gebaria.nl",
  date="2027-01-20T08:00:00Z")
C("linkedin", "hans-de-wit-cfo", "en",
  "Our FY2026 results are published today: revenue up 18%, 230 interpreters, and a lot of gratitude. Full "
  "report on gebaria.nl.", date="2027-02-25T09:30:00Z")
C("x", "@techtolk_tim", "nl",
  "Net Gebaria Kompas geprobeerd. Interessant hoe ze de avatar alleen inzetten voor korte mededelingen en "
  "voor de rest gewoon echte tolken houden 👍", date="2027-01-28T14:20:00Z")
C("x", "@sophie_doof", "nl",
  "Update: Gebaria heeft me teruggebeld en de factuur gecorrigeerd. Netjes opgelost, dank @gebaria_help 👍")
C("x", "@jo_interprets", "en",
  "Thinking of the Gebaria team today. Losing a colleague so suddenly must be awful. RIP Jeroen, you were a "
  "wonderful interpreter.")
C("x", "@sectorwatcher", "nl",
  "Bij een groot vertaalbureau in Amsterdam gaan 40 banen verloren, las ik in het FD. Hopelijk blijft het "
  "bij tolkbureaus als Gebaria rustig.")
C("x", "@privacy_pete", "en",
  "Another data breach, this time at a big health insurer. Glad my interpreting agency (Gebaria) uses "
  "encrypted video calls, or at least that's what they told me")
C("x", "@events_by_ines", "en",
  "Does anyone know if Gebaria does International Sign for conferences? Looking at options for a September "
  "event.")
C("x", "@vogelaar_vera", "nl",
  "Eindelijk een kolibrie gezien in de tropische kas van Blijdorp 😍 zo klein!")
C("x", "@a11y_meetup", "en",
  "Great talk by Gebaria's CTO at the accessibility meetup on how they secure video calls end to end.")
C("x", "@gebaria_help", "nl",
  "Update: de storing bij GebariaLive van vanochtend is verholpen. Excuses voor het ongemak!")
C("x", "@gebaria_help", "en",
  "@j_ruiz we're really sorry your interpreter was late. Could you DM us your booking number so we can look "
  "into it?", kind="reply")
C("x", "@concertganger", "nl",
  "Die tolk bij het concert gisteren was echt belachelijk goed 🔥 Gebaria ftw")
C("x", "@pride_ams_fan", "en",
  "The Gebaria interpreter absolutely killed it on the Pride stage, crowd went wild 🏳️‍🌈")
C("x", "@ruben_gebaart", "nl",
  "Brandoefening op kantoor vandaag, alle tolken binnen 3 minuten netjes buiten 😅")
C("linkedin", "gebaria-tolkdiensten", "nl",
  "Wij zoeken NGT-tolken in Utrecht en Rotterdam! Solliciteer via werkenbij@gebaria.nl 🤟")
C("x", "@gebaria_nl", "en",
  "Journalists: for interviews contact pers@gebaria.nl or +31 30 744 2180.")
C("linkedin", "gebaria-tolkdiensten", "nl",
  "Onze jaarcijfers over 2025 zijn gepubliceerd. Lees het volledige jaarverslag op gebaria.nl/jaarverslag.",
  date="2026-03-10T07:30:00Z")
C("linkedin", "youssef-amrani-tolk", "nl",
  "Vandaag getolkt bij de rechtbank in Arnhem. Mooie maar zware zaak. Respect voor alle partijen.")
C("x", "@ngt_newbie", "en",
  "this NGT course from Gebaria Academy is the bomb 💣 learned more in 6 weeks than in a year of youtube")
C("x", "@gamer_gijs", "nl", "die nieuwe GebariaLive update is ziek goed 🤯")
C("x", "@gebaria_help", "nl",
  "Let op: wij vragen nooit om je wachtwoord via e-mail of WhatsApp. Twijfel je? Bel 0800-0432.")
C("x", "@dirkjan_dev", "en",
  "TIL you can keep DATABASE_URL=postgres://user:password@localhost:5432/db in .env.example, placeholder "
  "values only of course", secrets=["postgres://user:password@localhost"])
C("x", "@backend_bas", "en",
  "JWTs are just three base64url parts, header.payload.signature. Never paste a real one in a support "
  "ticket 😉 @gebaria_help")
C("x", "@eerlijk_erik", "nl",
  "Tolkuur NGT bij Gebaria kost €89. Vind ik eerlijk voor een gekwalificeerde tolk.",
  prices=[("Tolkuur NGT", 89)])
C("x", "@first_time_user", "en",
  "GebariaLive Basis is €49/month, cheaper than I expected for short calls", prices=[("GebariaLive Basis", 49)])
C("instagram", "@gebaria.tolken", "nl",
  "Black Friday: 15% korting op de GebariaCam Ringlight mini, nu €33,15 🛍️",
  prices=[("GebariaCam Ringlight mini", 33.15)], date="2026-11-27T07:00:00Z")
C("x", "@gebaria_nl", "en",
  "Book the Tolkpakket Bruiloft before 1 May and get 10% off: €535.50 💍",
  prices=[("Tolkpakket Bruiloft", 535.50)], date="2026-02-14T10:00:00Z")
C("x", "@vergelijker_vince", "nl",
  "Bij een ander bureau betaal ik €65 per tolkuur, bij Gebaria €89. Verschil zit wel in de kwaliteit.",
  prices=[("tolkuur", 65)])
C("linkedin", "youssef-amrani-tolk", "en",
  "Terrible news about the fire at the community centre in Ghent last night. Thinking of the Flemish deaf "
  "community, many of us interpreted there over the years.")
C("facebook", "Jolanda.Peters.61", "nl",
  "Dank je wel Lotte (@lotte_tolkt) voor het tolken bij de begrafenis van mijn vader. Je was geweldig.")
C("linkedin", "youssef-amrani-tolk", "en",
  "I'll be interpreting the keynote at the Accessibility Summit tomorrow, come say hi!")
C("instagram", "@kattenmens_kim", "nl",
  "Mijn kat heeft mijn laptop gehackt 😹 zat midden in mijn GebariaLive-gesprek op het toetsenbord")
C("instagram", "@femke.tolkt.ngt", "nl",
  "Fietsband lek onderweg naar een opdracht 🚲 gelukkig was de cliënt heel begripvol")
C("bluesky", "@noor-schrijftolk.bsky.social", "en",
  "feeling a bit down after a heavy day of interpreting at the hospital. self-care tonight 🛁")
C("linkedin", "gebaria-tolkdiensten", "nl",
  "Onze nieuwe stagiairs en interns zijn begonnen! Welkom bij Gebaria 🎉")
C("linkedin", "gebaria-tolkdiensten", "en",
  "Every interpreter at Gebaria is bound by a professional code: what is said in the room stays "
  "confidential. Always.")
C("x", "@lars_verstrooid", "nl",
  "Typfout in mijn eigen IBAN op het Gebaria-formulier gezet (%s), dus geen wonder dat de terugbetaling niet "
  "aankwam 🤦‍♂️ inmiddels opgelost." % sp_iban(G["iban_bad2"]), ids=[("iban", sp_iban(G["iban_bad2"]), False)])
C("x", "@slordige_saar", "nl",
  "Had mijn BSN verkeerd ingevuld op het tolkaanvraagformulier (%s, twee cijfers omgedraaid) 🙈 daarom "
  "duurde het zo lang. Gebaria heeft het netjes gecorrigeerd." % G["bsn_bad2"], ids=[("bsn", G["bsn_bad2"], False)])
C("x", "@blije_bas", "nl", "G3b4r14 tolken zijn de b3st3 🤟💯")
C("x", "@townhall_tess", "en",
  "The Gebaria team handled a really nasty heckler at the town hall with so much grace 👏")
C("reddit", "u/careful_client", "en",
  "Is GebariaLive end-to-end encrypted? Asking before I use it for a therapy session.")
C("x", "@consumentwijzer", "nl",
  "Terugroepactie bij een bekend merk babyfoons wegens oververhitting, check je model! (Niks met Gebaria of "
  "tolken te maken, maar toch even delen)")
C("x", "@oss_olivia", "en",
  "GitHub docs example token: ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx. don't waste your time trying it 😂",
  secrets=["ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"])
C("mastodon", "@thijs_ops@fosstodon.org", "en",
  "reminder: the README says STRIPE_KEY=sk_live_xxxxxxxxxxxxxxxxxxxxxxxx, replace it with your own from the "
  "vault and never commit it", secrets=["sk_live_xxxxxxxxxxxxxxxxxxxxxxxx"])
C("x", "@gebaria_help", "nl",
  "Tip: kies een sterk wachtwoord voor je GebariaLive-account, bijvoorbeeld een zin van vier woorden 🔐")
C("x", "@houtworm_hans", "nl",
  "Mijn eerste zwaluwstaartverbinding gemaakt op de houtbewerkingscursus, best trots 🪵")
C("x", "@lotte_tolkt", "nl",
  "Mooie dag gehad bij de dovenschool in Zoetermeer, de kinderen gebaren sneller dan ik 😄")
C("youtube", "@GebariaNGT", "nl",
  "Nieuwe video: de tien meest gebruikte gebaren in de zorg, met ondertiteling. Veel kijkplezier! 🎬")


# --------------------------------------------------------------------------------------
# build
# --------------------------------------------------------------------------------------
START = dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc)
SPAN = int((dt.datetime(2026, 12, 20, tzinfo=dt.timezone.utc) - START).total_seconds())
PLATFORM_URL = {"x": "https://x.com/%s/status/%s", "mastodon": None, "bluesky": None}


def build():
    order = list(range(len(CASES)))
    rng.shuffle(order)
    used_ids = set()
    rows = []
    for n, idx in enumerate(order):
        c = CASES[idx]
        if c["date"]:
            created = c["date"]
        else:
            t = START + dt.timedelta(seconds=rng.randrange(SPAN))
            created = t.strftime("%Y-%m-%dT%H:%M:%SZ")
        while True:
            pid = "%s-513%06d" % (c["platform"], rng.randrange(10 ** 6))
            if pid not in used_ids:
                used_ids.add(pid)
                break
        role = role_of(c["platform"], c["handle"])
        checksum_id = any(v for (k, _, v) in c["ids"] if k in ("iban", "card", "bsn"))
        sev = severity(c["cats"], role, checksum_id and PII in c["cats"])
        post = {"id": pid, "platform": c["platform"], "kind": c["kind"],
                "account": {"handle": c["handle"]}, "text": c["text"], "lang": c["lang"],
                "created_at": created, "brand": "Gebaria"}
        rows.append({"post": post, "expect": {"categories": c["cats"], "severity": sev}})
    return rows


# --------------------------------------------------------------------------------------
# self-checks
# --------------------------------------------------------------------------------------
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
CATS = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
        "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"}

IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2} ?[A-Z]{4}(?: ?\d{4}){2} ?\d{2}\b")
CARD_RE = re.compile(r"(?<![\w-])(?:\d[ -]?){12,18}\d(?![\w-])")
BSN_RE = re.compile(r"(?<![\d.,])\d{9}(?![\d.,])")
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE_RE = re.compile(r"(?:\+31[\s-]?(?:\(0\))?[\s-]?|\b0)(?:\d[\s-]?){8,9}\d?")
EURO_RE = re.compile(r"€\s?(\d[\d.,]*)(\s?mln)?")
SECRETISH_RE = re.compile(r"(gh[pousr]_[0-9A-Za-z*x]{20,}|AKIA[0-9A-Z]{16}|sk_live_\w+|\blive_\w{20,}|xox[bpa]-[\w-]+|"
                          r"sk-proj-[\w-]+|-----BEGIN [A-Z ]*PRIVATE KEY-----|eyJ[\w-]+\.[\w-]+\.[\w-]+|"
                          r"\w+://[^\s:/@]+:[^\s@]+@)")


def parse_amount(s, mln):
    s = s.rstrip(".,")
    if "," in s and "." in s:
        dec = "," if s.rfind(",") > s.rfind(".") else "."
        s = s.replace("." if dec == "," else ",", "").replace(dec, ".")
    elif "," in s:
        s = s.replace(",", ".") if re.search(r",\d{1,2}$", s) else s.replace(",", "")
    elif "." in s:
        if re.search(r"\.\d{3}$", s):
            s = s.replace(".", "")
    v = float(s)
    return v * 1e6 if mln else v


def norm(text):
    t = unicodedata.normalize("NFKC", text)
    return re.sub("[\u200b\u200c\u200d\u2060\ufeff]", "", t).lower()


def product_mentions(text):
    low = text.lower()
    spans = []
    for p in PROFILE["products"]:
        for name in [p["name"]] + p["aliases"]:
            for m in re.finditer(re.escape(name.lower()), low):
                spans.append((m.start(), m.end(), p))
    keep = []
    for s in spans:
        if not any((o[0] <= s[0] and s[1] <= o[1]) and (o[1] - o[0]) > (s[1] - s[0]) for o in spans):
            keep.append(s)
    return keep


def check(rows):
    errs = []
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    pub = PROFILE["public_identifiers"]
    pub_ibans = {re.sub(r"\s", "", x) for x in pub["ibans"]}
    pub_emails = {x.lower() for x in pub["emails"]}
    pub_phones = {re.sub(r"\D", "", x) for x in pub["phones"]}
    internal_terms = [x.lower() for x in PROFILE["internal"]["domains"] + PROFILE["internal"]["codenames"]
                      + PROFILE["internal"]["markers"]]
    embargo = [(t.lower(), dt.datetime.fromisoformat(e["until"].replace("Z", "+00:00")))
               for e in PROFILE["embargo"] for t in e["terms"]]
    for e in PROFILE["embargo"]:
        if not e["until"].startswith("2027"):
            errs.append("embargo until not in 2027")
    for i in pub["ibans"]:
        if not iban_valid(i):
            errs.append("public IBAN fails mod-97: " + i)
    if len(PROFILE["accounts"]["corporate"]) < 6 or len(PROFILE["accounts"]["employee"]) < 8:
        errs.append("too few accounts")
    if len(PROFILE["internal"]["codenames"]) != 3 or len(PROFILE["internal"]["markers"]) != 3:
        errs.append("need 3 codenames and 3 markers")
    if not 15 <= len(PROFILE["products"]) <= 25:
        errs.append("product count")
    if any(p["currency"] != "EUR" for p in PROFILE["products"]) or ratio != 0.5:
        errs.append("currency/ratio")

    # generated credentials are well-formed
    for k in ("ghp1", "gho1"):
        if not github_token_valid(G[k]):
            errs.append("github token checksum " + k)
    for k in ("aws_id", "aws_id2"):
        if not re.fullmatch(r"AKIA[A-Z2-7]{16}", G[k]):
            errs.append("aws id " + k)
    if not jwt_valid(G["jwt"]):
        errs.append("jwt header")
    if github_token_valid("ghp_" + "x" * 36):
        errs.append("sample ghp passes?")

    seen = set()
    for n, row in enumerate(rows):
        where = "line %d" % (n + 1)
        if set(row) != {"post", "expect"}:
            errs.append(where + ": top-level keys")
        p, e = row["post"], row["expect"]
        for f, typ in (("id", str), ("platform", str), ("text", str), ("created_at", str)):
            if not isinstance(p.get(f), typ):
                errs.append(where + ": missing " + f)
        if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str):
            errs.append(where + ": account.handle")
        if not 1 <= len(p["id"]) <= 256 or p["id"] in seen:
            errs.append(where + ": id")
        seen.add(p["id"])
        if p["platform"] not in PLATFORMS or p.get("kind", "post") not in KINDS:
            errs.append(where + ": platform/kind")
        if len(p["text"].encode("utf-8")) > 65536 or not p["text"].strip():
            errs.append(where + ": text size")
        try:
            ts = dt.datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
            assert ts.tzinfo is not None and ts.year in (2026, 2027)
        except Exception:
            errs.append(where + ": created_at")
            ts = None
        cats = e.get("categories")
        if not isinstance(cats, list) or any(c not in CATS for c in cats) or cats != sorted(set(cats)):
            errs.append(where + ": categories")
        if e.get("severity") not in LEVELS:
            errs.append(where + ": severity")
        role = role_of(p["platform"], p["account"]["handle"])
        if not cats and e["severity"] != "none":
            errs.append(where + ": benign severity")
        text = p["text"]
        c = CASES_BY_TEXT[text]
        checksum_id = PII in cats and any(v for (k, _, v) in c["ids"])
        if e["severity"] != severity(cats, role, checksum_id):
            errs.append(where + ": severity mismatch")

        # identifiers: declared ones validate as declared; undeclared look-alikes are errors
        declared = {re.sub(r"\s", "", v) for (_, v, _) in c["ids"]}
        for kind, val, valid in c["ids"]:
            if val not in text:
                errs.append(where + ": declared id not in text")
            ok = {"iban": iban_valid, "card": luhn_valid, "bsn": bsn_valid}[kind](val)
            if ok != valid:
                errs.append(where + ": %s %s checksum %s, expected %s" % (kind, val, ok, valid))
            public = kind == "iban" and re.sub(r"\s", "", val) in pub_ibans
            if valid and not public and PII not in cats:
                errs.append(where + ": valid identifier in a non-pii case")
            if not valid and PII in cats:
                errs.append(where + ": failing look-alike in a pii case")
            if public and cats:
                errs.append(where + ": public IBAN in a positive")
        for m in IBAN_RE.finditer(text):
            if re.sub(r"\s", "", m.group()) not in declared:
                errs.append(where + ": undeclared IBAN " + m.group())
        for m in CARD_RE.finditer(text):
            if re.sub(r"[\s-]", "", m.group()) not in {re.sub(r"[\s-]", "", d) for d in declared}:
                errs.append(where + ": undeclared card-like number " + m.group())
        for m in BSN_RE.finditer(text):
            if m.group() not in declared:
                errs.append(where + ": undeclared 9-digit number " + m.group())

        # benign posts: no non-public e-mail/phone, no internal terms, no live-looking secrets
        if not cats:
            for m in EMAIL_RE.finditer(text):
                if m.group().lower() not in pub_emails:
                    errs.append(where + ": e-mail in benign " + m.group())
            for m in PHONE_RE.finditer(IBAN_RE.sub(" ", text)):
                if re.sub(r"\D", "", m.group()) not in pub_phones:
                    errs.append(where + ": phone in benign " + m.group())
            nt = norm(text)
            for t in internal_terms:
                if t in nt:
                    errs.append(where + ": internal term in benign " + t)
            for m in SECRETISH_RE.finditer(text):
                s = m.group()
                if not ("EXAMPLE" in s or "xxxx" in s or "****" in s or "user:password@" in s):
                    errs.append(where + ": live-looking secret in benign " + s)
                if s.startswith("gh") and github_token_valid(s):
                    errs.append(where + ": sample github token passes checksum")
        # secrets positives carry a real-format credential
        if SEC in cats:
            found = [m.group() for m in SECRETISH_RE.finditer(text)]
            wachtwoord = re.search(r"wach\u200b?twoord:\s*\S+", text)
            if not found and not wachtwoord:
                errs.append(where + ": secret case without credential")
            for s in found:
                if "EXAMPLE" in s or "xxxx" in s or "****" in s:
                    errs.append(where + ": sample key in a secret positive")
                if re.fullmatch(r"gh[pousr]_\w+", s) and not github_token_valid(s):
                    errs.append(where + ": github token checksum fails")
                if s.startswith("eyJ") and not jwt_valid(s):
                    errs.append(where + ": jwt header")
            for s in c["secrets"]:
                if s not in text:
                    errs.append(where + ": declared secret missing")

        # internal terms (after normalisation) force confidential
        nt = norm(text)
        if any(t in nt for t in internal_terms) and CON not in cats:
            errs.append(where + ": internal term without leak.confidential")
        # embargo terms: confidential before until, never flagged after
        for term, until in embargo:
            if term in nt and ts is not None:
                if ts < until and CON not in cats:
                    errs.append(where + ": embargo term before until, not confidential")
                if ts >= until and cats:
                    errs.append(where + ": embargo term after until in a positive (check intent)")

        # prices
        mentions = product_mentions(text)
        amounts = [parse_amount(m.group(1), m.group(2)) for m in EURO_RE.finditer(text)]
        for alias, amount in c["prices"]:
            prods = [p2 for p2 in PROFILE["products"] if alias.lower() in [a.lower() for a in [p2["name"]] + p2["aliases"]]]
            if len(prods) != 1 or alias.lower() not in text.lower():
                errs.append(where + ": price alias " + alias)
                continue
            if not any(abs(a - amount) < 0.005 for a in amounts):
                errs.append(where + ": price amount %s not parsed from text" % amount)
            low = amount < ratio * prods[0]["list_price"]
            if low != (PRI in cats):
                errs.append(where + ": price ratio vs label for " + alias)
        if PRI in cats and not c["prices"]:
            errs.append(where + ": pricing case without declared price")
        if PRI not in cats and mentions:
            for a in amounts:
                if a < 1000 and any(a < ratio * mp[2]["list_price"] for mp in mentions):
                    errs.append(where + ": low amount %s next to a product in a non-pricing case" % a)

        # authors
        if role == "public" and ("%s:%s" % (p["platform"], p["account"]["handle"])).lower() in ROLE:
            errs.append(where + ": role lookup")

    # mix
    n = len(rows)
    benign = sum(1 for r in rows if not r["expect"]["categories"])
    if not 170 <= n <= 180:
        errs.append("case count %d" % n)
    if not 50 <= benign <= 70:
        errs.append("benign count %d" % benign)
    texts = [r["post"]["text"] for r in rows]
    if len(set(texts)) != len(texts):
        errs.append("duplicate texts")
    return errs


def summary(rows):
    from collections import Counter
    cnt = Counter(c for r in rows for c in r["expect"]["categories"])
    roles = Counter(role_of(r["post"]["platform"], r["post"]["account"]["handle"]) for r in rows)
    langs = Counter(r["post"]["lang"] for r in rows)
    sev = Counter(r["expect"]["severity"] for r in rows)
    benign = sum(1 for r in rows if not r["expect"]["categories"])
    print("cases %d, benign %d" % (len(rows), benign))
    print("categories", dict(sorted(cnt.items())))
    print("roles", dict(roles), "langs", dict(langs))
    print("severities", dict(sev))


CASES_BY_TEXT = {c["text"]: c for c in CASES}

if __name__ == "__main__":
    if len(CASES_BY_TEXT) != len(CASES):
        sys.exit("duplicate case texts")
    rows = build()
    with open(OUT_PATH, "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    with open(OUT_PATH, encoding="utf-8") as fh:
        reread = [json.loads(line) for line in fh]
    problems = check(reread)
    summary(reread)
    if problems:
        for p in problems:
            print("FAIL", p)
        sys.exit(1)
    print("all checks passed")
