#!/usr/bin/env python3
"""Build the sealed495 evaluation set for postwatch (Lintwacht Care B.V.).

Deterministic: a fixed seed drives every generated credential, identifier,
post id and timestamp. The post texts themselves are hand-written below.
Writes cases.jsonl beside this file and then checks it:
  * every line is a valid labelled case (CONTRACT section 6);
  * every IBAN / card / BSN in a leak.pii positive passes its checksum, every
    look-alike in a benign post fails it, and no post without leak.pii carries
    a number that passes;
  * expected severities follow CONTRACT section 4, computed from the account
    role found in profile.yaml (never typed by hand);
  * codenames, markers, internal domains and embargo terms (before `until`)
    only occur in posts labelled leak.confidential;
  * generated GitHub tokens carry a correct CRC-32, AWS ids the right alphabet,
    JWT headers decode to JSON with `alg`.
"""
import base64
import json
import os
import random
import re
import string
import sys
import zlib
from datetime import datetime, timedelta, timezone

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = os.path.join(HERE, "profile.yaml")
OUT = os.path.join(HERE, "cases.jsonl")

rng = random.Random(495_2026)

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base62 order 0-9A-Za-z
URLSAFE = string.ascii_letters + string.digits + "-_"

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


def luhn_ok(digits):
    d = [int(c) for c in re.sub(r"\D", "", digits)]
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def bsn_ok(s):
    d = re.sub(r"\D", "", s)
    if len(d) != 9:
        return False
    tot = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return tot % 11 == 0 and d != "000000000"


VALID_IDS = []   # (kind, string) that must pass and sit in a leak.pii positive
BAD_IDS = []     # (kind, string) look-alikes that must fail and sit in a benign post


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def gen_iban(bank, spaced=True):
    while True:
        acct = "".join(rng.choice(string.digits) for _ in range(10))
        if acct[0] == "0":
            continue
        s = iban_make("NL", bank + acct)
        out = group4(s) if spaced else s
        VALID_IDS.append(("iban", out))
        return out


def gen_iban_be():
    bank = "%03d" % rng.randint(100, 999)
    acct = "%07d" % rng.randint(0, 9999999)
    nat = (int(bank + acct) % 97) or 97
    bban = bank + acct + "%02d" % nat
    s = iban_make("BE", bban)
    out = group4(s)
    VALID_IDS.append(("iban", out))
    return out


def gen_iban_bad(bank):
    while True:
        acct = "".join(rng.choice(string.digits) for _ in range(10))
        good = iban_make("NL", bank + acct)
        # swap two adjacent account digits: a realistic typo that mod-97 catches
        i = rng.randint(8, 16)
        b = list(good)
        b[i], b[i + 1] = b[i + 1], b[i]
        bad = "".join(b)
        if bad != good and not iban_ok(bad):
            out = group4(bad)
            BAD_IDS.append(("iban", out))
            return out


def _card_digits(prefix, length):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for c in string.digits:
        if luhn_ok(body + c):
            return body + c


def gen_card(prefix, length=16, sep=" "):
    d = _card_digits(prefix, length)
    if length == 15:
        out = sep.join([d[:4], d[4:10], d[10:]])
    else:
        out = sep.join(d[i:i + 4] for i in range(0, length, 4))
    VALID_IDS.append(("card", out))
    return out


def gen_card_bad(prefix, length=16, sep=" "):
    d = _card_digits(prefix, length)
    last = (int(d[-1]) + rng.randint(1, 9)) % 10
    d = d[:-1] + str(last)
    assert not luhn_ok(d)
    out = sep.join(d[i:i + 4] for i in range(0, length, 4))
    BAD_IDS.append(("card", out))
    return out


def _bsn_digits():
    while True:
        d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        tot = sum(d[i] * (9 - i) for i in range(8))
        last = tot % 11
        if last <= 9:
            return "".join(map(str, d)) + str(last)


def gen_bsn(dotted=False):
    s = _bsn_digits()
    assert bsn_ok(s)
    out = "%s.%s.%s" % (s[:4], s[4:6], s[6:]) if dotted else s
    VALID_IDS.append(("bsn", out))
    return out


def gen_bsn_bad():
    while True:
        s = _bsn_digits()
        t = s[:8] + str((int(s[8]) + rng.randint(1, 9)) % 10)
        if not bsn_ok(t):
            BAD_IDS.append(("bsn", t))
            return t


# ---------------------------------------------------------------- secrets

def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out.rjust(width, "0")


def gh_token(prefix="ghp_"):
    body = "".join(rng.choice(ALNUM) for _ in range(30))
    return prefix + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF, 6)


def gh_token_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()) & 0xFFFFFFFF, 6) == m.group(2)


def aws_key_id():
    return "AKIA" + "".join(rng.choice(string.ascii_uppercase + "234567") for _ in range(16))


def aws_secret():
    return "".join(rng.choice(string.ascii_letters + string.digits + "/+") for _ in range(40))


def stripe_live():
    return "sk_live_51" + "".join(rng.choice(ALNUM) for _ in range(97))


def slack_bot():
    a = str(rng.randint(10 ** 10, 10 ** 12 - 1))
    b = str(rng.randint(10 ** 12, 10 ** 13 - 1))
    c = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(24))
    return "xoxb-%s-%s-%s" % (a, b, c)


def openai_key():
    p = lambda n: "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(n))
    return "sk-" + p(20) + "T3BlbkFJ" + p(20)


def anthropic_key():
    return "sk-ant-api03-" + "".join(rng.choice(URLSAFE) for _ in range(93)) + "AA"


def google_key():
    return "AIza" + "".join(rng.choice(URLSAFE) for _ in range(35))


def gitlab_pat():
    return "glpat-" + "".join(rng.choice(URLSAFE) for _ in range(20))


def sendgrid_key():
    return "SG." + "".join(rng.choice(URLSAFE) for _ in range(22)) + "." + "".join(rng.choice(URLSAFE) for _ in range(43))


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt(payload):
    h = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    p = b64url(json.dumps(payload, separators=(",", ":")).encode())
    s = b64url(bytes(rng.getrandbits(8) for _ in range(32)))
    return "%s.%s.%s" % (h, p, s)


def openssh_key():
    head = b"openssh-key-v1\x00\x00\x00\x00\x04none\x00\x00\x00\x04none\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x003\x00\x00\x00\x0bssh-ed25519\x00\x00\x00 "
    raw = head + bytes(rng.getrandbits(8) for _ in range(300))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def password(words):
    w = rng.choice(words)
    return w + str(rng.randint(10, 99)) + rng.choice("!#$%&*?") + "".join(rng.choice(string.ascii_letters) for _ in range(3))


# ---------------------------------------------------------------- scanning helpers

IBAN_RE = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}(?![A-Za-z0-9])")
CARD_RE = re.compile(r"(?<![\d])(?:\d[ -]?){12,18}\d(?![\d])")
BSN_RE = re.compile(r"(?<![\d.])\d{4}\.?\d{2}\.?\d{3}(?![\d.])")


def id_candidates(text):
    spans = []
    for m in IBAN_RE.finditer(text):
        spans.append(m.span())
        yield "iban", m.group(0), iban_ok(m.group(0))
    inside = lambda m: any(a < m.end() and m.start() < b for a, b in spans)
    for m in CARD_RE.finditer(text):
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19 and not inside(m):
            yield "card", m.group(0), luhn_ok(d)
    for m in BSN_RE.finditer(text):
        if not inside(m):
            yield "bsn", m.group(0), bsn_ok(m.group(0))


def clean_secret(fn, *a):
    """Regenerate a credential until it carries no accidental number passing an IBAN/Luhn/BSN check."""
    while True:
        v = fn(*a)
        if not any(ok for _, _, ok in id_candidates(v)):
            return v


# ---------------------------------------------------------------- profile

with open(PROFILE, encoding="utf-8") as fh:
    PROF = yaml.safe_load(fh)

ROLE = {}
for h in PROF["accounts"]["corporate"]:
    ROLE[h.lower()] = "corporate"
for h in PROF["accounts"]["employee"]:
    ROLE[h.lower()] = "employee"
PUBLIC_IBANS = {re.sub(r"\s", "", x).upper() for x in PROF["public_identifiers"]["ibans"]}


def role_of(author):
    return ROLE.get(author.lower(), "public")


# ---------------------------------------------------------------- generated values

G = {}
G["ghp1"] = clean_secret(gh_token, "ghp_")
G["gho1"] = clean_secret(gh_token, "gho_")
G["akia"] = clean_secret(aws_key_id)
G["awssec"] = clean_secret(aws_secret)
G["stripe"] = clean_secret(stripe_live)
G["slack"] = clean_secret(slack_bot)
G["openai"] = clean_secret(openai_key)
G["anthropic"] = clean_secret(anthropic_key)
G["google"] = clean_secret(google_key)
G["gitlab"] = clean_secret(gitlab_pat)
G["sendgrid"] = clean_secret(sendgrid_key)
G["sshkey"] = clean_secret(openssh_key)
G["jwt"] = clean_secret(jwt, {"sub": "svc-mantelzorg-app", "role": "admin", "tenant": "lintwacht", "iat": 1768212000, "exp": 1799748000})
G["pw_portal"] = password(["Zorgportaal", "Klantlijn", "Meldkamer"])
G["pw_db"] = password(["Alarm", "Kievit", "Nachtdienst"])
G["pw_db2"] = password(["Polsband", "Hanger", "Valwacht"])

G["iban_refund"] = gen_iban("INGB")
G["iban_customer"] = gen_iban_be()
G["card_visa_cust"] = gen_card("4", 16, " ")
G["card_mc_emp"] = gen_card("5412", 16, "-")
G["card_amex_cust"] = gen_card("37", 15, " ")
G["bsn_call"] = gen_bsn()
G["bsn_test"] = gen_bsn(dotted=True)

G["iban_bad"] = gen_iban_bad("ABNA")
G["card_bad"] = gen_card_bad("4", 16, " ")
G["bsn_bad"] = gen_bsn_bad()
G["bsn_bad2"] = gen_bsn_bad()

# ---------------------------------------------------------------- cases

CASES = []

CORP, EMP = "corporate", "employee"
S, P, PR, C, F, SEC = ("leak.secret", "leak.pii", "leak.pricing", "leak.confidential",
                       "leak.financial", "leak.security")
CR, CO, AB = "reputation.crisis", "reputation.complaint", "reputation.abuse"


def add(author, cats, lang, text, kind="post", at=None, name=None):
    CASES.append(dict(author=author, cats=sorted(set(cats)), lang=lang, text=text,
                      kind=kind, at=at, name=name))


# ======================= reputation.complaint =======================
add("x:@oma_truus_kleinkind", [CO], "nl",
    "@lintwacht mijn oma drukt op haar armband en er gebeurt NIKS. 20 min gewacht voor de meldkamer opnam. "
    "Waar betalen we eigenlijk elke maand voor?? #lintwacht", kind="reply")
add("x:@dgreer_uk", [CO], "en",
    "Third replacement Valwacht 3 in two months and it STILL goes off every time Dad sits down in his recliner. "
    "Support just keeps telling me to 'recalibrate'. Not good enough @lintwacht")
add("facebook:Marjolein.vdLinden", [CO], "nl",
    "Al 3 weken wachten op de monteur voor het Baken thuisstation van mijn vader. Elke keer wordt de afspraak "
    "verzet en klantenservice belooft terug te bellen maar doet het nooit. Echt belabberd Lintwacht.", kind="comment")
add("reddit:u/caregiver_kat", [CO], "en",
    "PSA for anyone looking at Lintwacht: cancelling the Plus subscription is a nightmare. You have to send a "
    "letter. By post. In 2026. And they billed my mum for two more months after she moved into a care home.")
add("x:@henkjanssen61", [CO], "nl",
    "batterij vd Kompas watch is na een halve dag leeg. halve dag!! en dat voor een noodhorloge. mn moeder durft "
    "er niet meer op te vertrouwen @lintwacht_help")
add("instagram:@lotte.zorgt.voor.pa", [CO], "nl",
    "Mooie foto's allemaal maar jullie app is sinds de update onbruikbaar, de locatie van pa staat op een weiland "
    "in Drenthe terwijl hij gewoon thuis in Zwolle zit 🙄", kind="comment")
add("x:@sjoerd_w", [CO], "nl",
    "Lintwacht heeft zonder enig bericht het Basis abonnement verhoogd, stond ineens €23,95 ipv €19,95 op de "
    "afschrijving. Netjes hoor 👎")
add("tiktok:@zorgmetzoe", [CO], "nl",
    "pov: je belt de Lintwacht meldkamer voor je opa en je krijgt een bandje 'al onze medewerkers zijn in gesprek' "
    "😐😐 het is letterlijk een NOODknop")
add("facebook:Peter.Okafor.Leeds", [CO], "en",
    "Ordered the Starterset Veilig Thuis on the 2nd, paid, got the confirmation email, then nothing. Tracking hasn't "
    "moved in 11 days. My father-in-law comes home from hospital on Friday and we have no alarm. Very disappointed "
    "in Lintwacht.")
add("forum:Rietje_B", [CO], "nl",
    "Iemand ervaring met de Bedmat Nachtrust van Lintwacht? Bij ons gaat ie elke nacht rond 3 uur af terwijl mijn "
    "man gewoon ligt te slapen. Helpdesk zegt dat het aan ons matras ligt. Ja dag.")
add("other:reviewer_4417", [CO], "nl",
    "1 ster. Monteur kwam, plakte de Drempel deursensor scheef op de deur en was binnen vijf minuten weer weg. "
    "Werkt niet. Niemand van Lintwacht reageert op mijn mail.")
# complaint + personal data (customers posting their own details)
add("x:@g_vanderveen", [CO, P], "nl",
    "@lintwacht_help ik word al 2 dagen niet teruggebeld over de storing aan de Valwacht 3 van mijn moeder. Bel "
    "me nou gewoon: 06-41 87 22 39. Dit is toch niet normaal", kind="reply")
add("facebook:Linda.Marsh.77", [CO, P], "en",
    "Your chat bot is useless. Just email me at linda.marsh77@gmail.com about the double charge on my account, "
    "I have asked FIVE times now Lintwacht!", kind="comment")
# complaint + abuse
add("x:@boze_bert", [CO, AB], "nl",
    "Lintwacht stelletje oplichters, jullie meldkamer bestaat uit slapende idioten. 3x gebeld over een kapotte "
    "Hanger Amber en 3x gewoon opgehangen.")
add("x:@rick_t_77", [CO, AB], "en",
    "@lintwacht your customer service is run by absolute morons. fix my dad's f*cking bracelet or refund me, "
    "been 3 weeks", kind="reply")

# ======================= crisis + complaint: first-hand harm =======================
add("facebook:Anja.Roelofs", [CR, CO], "nl",
    "Vannacht is het Baken thuisstation van mijn moeder gaan smelten en roken bij het stopcontact. Ze heeft COPD, "
    "we waren er gelukkig op tijd bij. Foto's naar Lintwacht gestuurd, nog steeds geen reactie. Levensgevaarlijk!!")
add("reddit:u/northern_nurse_jo", [CR, CO], "en",
    "My Zilverlint 2 got really hot on the charger and left a burn blister on my wrist when I put it straight back "
    "on. Anyone else? Lintwacht support told me to 'let it cool down first'. Seriously?")
add("x:@wim_de_jong1944", [CR, CO], "nl",
    "Kreeg gisteren een flinke schok van de oplaadschaal van mijn Lintwacht armband. Hele arm tintelde nog een uur. "
    "Ben 81 en mijn hart is niet meer wat het was. Dit mag toch niet gebeuren!")
add("x:@sandra_p_carer", [CR, CO], "en",
    "Mum fell in the bathroom on Sunday. Her Valwacht 3 Pro detected nothing and the button press went nowhere. "
    "She lay on the floor for two hours with a broken hip. @lintwacht you sold this as life-saving. We trusted you.")
add("instagram:@familie.bosman", [CR, CO], "nl",
    "Mijn vader is gestruikeld over de kabel van het Lintwacht baken die de monteur dwars door de gang had gelegd. "
    "Gebroken pols. Lintwacht zegt 'niet onze verantwoordelijkheid'. Serieus??")

# ======================= reputation.crisis (third party / public) =======================
add("x:@nieuwsflits_oost", [CR], "nl",
    "Bij een brand in een flat in Apeldoorn is volgens de brandweer de lader van een Lintwacht alarmknop de oorzaak. "
    "Bewoonster (84) is licht gewond naar het ziekenhuis gebracht.")
add("x:@privacywatch_eu", [CR], "en",
    "Lintwacht left a database with alarm logs of ~40k elderly clients (names, addresses, key-safe codes) wide open "
    "on the internet. This is a data breach and they have said nothing. #databreach #privacy")
add("x:@actie_ouderen", [CR], "nl",
    "BOYCOT LINTWACHT. Ze verkopen meldkamerdata van kwetsbare ouderen door aan verzekeraars. Zeg je abonnement op "
    "en deel dit! #boycotlintwacht")
add("linkedin:mr-e-smit-advocaat", [CR], "nl",
    "Vandaag namens 37 families een collectieve claim ingediend tegen Lintwacht Care B.V. wegens niet werkende "
    "valdetectie. De zaak dient bij de rechtbank Midden-Nederland.")
add("facebook:ZorgNieuwsNL", [CR], "nl",
    "TERUGROEPACTIE: Lintwacht roept de Hanger Opaal (serie 2025-B) terug vanwege risico op oververhitting van de "
    "batterij. Gebruik de hanger niet meer en neem contact op met de fabrikant.")
add("x:@jenna_investigates", [CR], "en",
    "Former Lintwacht call-centre staff tell me operators were instructed to let 'low priority' alarms from elderly "
    "clients wait up to 30 minutes to hit targets. Story out tomorrow.")
add("x:@darkweb_tracker", [CR], "en",
    "Actor on a breach forum claims access to Lintwacht's alarm platform and is selling a dump of client records. "
    "Samples look legit. @lintwacht care to comment?")
add("x:@RTVregio_nieuws", [CR], "nl",
    "Vrouw (91) uit Deventer overleden na val in huis; familie stelt dat haar Lintwacht-noodknop geen alarm gaf. "
    "Lintwacht zegt de zaak te onderzoeken.")
add("mastodon:@ethicsintech@mastodon.social", [CR], "en",
    "Lintwacht's fall detectors record audio around the clock and ship it to a US cloud, buried in the small print of "
    "their privacy policy. Older users were never told. This is a scandal.")
add("x:@zorgbelang_regio", [CR], "nl",
    "Inspectie start onderzoek naar Lintwacht na meldingen dat de mantelzorg-app 'alles in orde' toonde terwijl het "
    "alarm al was afgegaan.")

# ======================= reputation.abuse =======================
add("x:@anoniem_7734", [AB], "nl",
    "@mirjam_lw jij bent echt de domste trut van die hele klantenservice. ga ergens anders werken", kind="reply")
add("x:@tr0llface99", [AB], "en",
    "lintwacht more like LIEwacht. bunch of greedy parasites feeding on pensioners, rot in hell")
add("facebook:Gerrit.Boom", [AB], "nl",
    "Die monteur van Lintwacht die bij ons kwam sprak amper Nederlands. Stuur voortaan een normale Hollander in "
    "plaats van dat buitenlandse tuig.", kind="comment")
add("x:@k4nk3r_lw", [AB], "nl",
    "l1ntw4cht = k4nk3rb3dr1jf. st3l k4nk3rl1jd3rs d4r 0p d3 m3ldk4m3r")
add("reddit:u/sirfumesalot", [AB], "en",
    "The Lintwacht CEO is a spineless weasel and everyone who works there is complicit scum.", kind="comment")
add("x:@bas_meldkamer", [AB], "nl",
    "@klaagjan ga dan lekker zelf je bejaarde vader van de vloer rapen, zeikerd", kind="reply")
add("instagram:@xx_ruben_xx", [AB], "nl",
    "wat een lelijke reclame met die rimpelige wijven 🤮🤮 #lintwacht", kind="comment")
add("x:@anon_rage_44", [AB], "en",
    "@lintwacht_help you are all f u c k i n g useless i d i o t s", kind="reply")
add("threads:@mantelzorgmoe", [AB], "nl",
    "@thijs.lintwacht jouw marketingteam bestaat uit hersenloze kutkinderen die nog nooit een bejaarde van dichtbij "
    "hebben gezien", kind="reply")
add("youtube:@GrumpyGrandson", [AB], "en",
    "Whoever voiced this Lintwacht ad deserves a punch in the throat. Most annoying voice on earth.", kind="comment")

# ======================= leak.confidential =======================
add("x:@koen_codeert", [C], "nl",
    "Eindelijk de nieuwe valalgoritmes voor Project Reiger door de tests 🎉 nog even stil houden, maar wat een "
    "sprong vergeleken met de Valwacht 3")
add("linkedin:ruud-hoekstra-lintwacht", [C], "en",
    "Great workshop with the team on the Zilverlint Halo go-to-market today. Can't share much yet but pharmacies "
    "are going to love it. #medtech #ageing")
add("mastodon:@yvette@zorg.social", [C], "nl",
    "Roadmapsessie gehad. Valwacht 4 krijgt radar in plaats van een accelerometer, geen polsband meer nodig. Kan "
    "niet wachten tot we dit mogen laten zien")
add("x:@mirjam_lw", [C], "nl",
    "wie weet waar op wiki.lintwacht.nl de nieuwe belscripts staan? kan ze nergens vinden 😩")
add("instagram:@esther.zorgt", [C], "nl",
    "Sneak peek 👀 van wat er vandaag in de bus lag: de eerste prototypes van Operatie Kievit. Verder zeg ik niks 🤐 "
    "#monteurslife")
add("threads:@thijs.lintwacht", [C], "en",
    "copy-pasting from our brand deck (marked LINTWACHT CONFIDENTIAL lol): 'In 2027 we move from alarm button to "
    "ageing-in-place platform.' thoughts??")
add("linkedin:lintwacht-care", [C], "nl",
    "Vacature: Product Owner Zeekraal (m/v/x). Je bouwt mee aan ons nieuwe platform voor thuiszorgorganisaties en "
    "rapporteert aan de CPO. Solliciteer via werkenbij@lintwacht.nl")
add("x:@lintwacht_help", [C], "nl",
    "Hoi Gert, je ticket is doorgezet naar de techniek: https://jira.lintwacht.nl/browse/SUP-48213 — je hoort snel "
    "van ons!", kind="reply")
add("reddit:u/throwaway_lw_ex", [C], "en",
    "Ex-contractor here. Lintwacht's next big thing is codenamed Zeekraal: a subscription platform they will sell to "
    "home-care organisations. Launch planned for spring.", kind="comment")
add("x:@koen_codeert", [C], "nl",
    "vandaag weer de hele dag ＰＲＯＪＥＣＴ ＲＥＩＧＥＲ 😵‍💫 firmware 0.9 is eindelijk stabiel")
add("linkedin:priya-raghoenath", [C], "nl",
    "Weekend? Nee hoor, de business case voor Zee\u200bkraal moet maandag bij de RvC liggen ☕")
add("threads:@thijs.lintwacht", [C], "nl",
    "\u041everatie \u041aievit gaat los in maart 🔥 wie doet er mee aan de interne demo vrijdag?")
add("x:@lintwacht", [C], "en",
    "Meet the Zilverlint Halo: our lightest alert bracelet ever, with a two-week battery. Available from today! ✨",
    at="2027-03-10T08:30:00Z")
add("x:@bas_meldkamer", [C], "nl",
    "Nieuw meldkamerprotocol binnen, bovenaan staat 'LW-INTERN, niet extern delen' dus ik zeg alleen: nachtdienst "
    "krijgt eindelijk een tweede pauze 😅")
# confidential + financial
add("linkedin:priya-raghoenath", [C, F], "nl",
    "Trots op het finance-team: de jaarcijfers 2026 zijn rond. Omzet +31%, EBITDA voor het eerst positief. "
    "Publicatie volgt binnenkort!", at="2027-01-28T16:40:00Z")
add("linkedin:ruud-hoekstra-lintwacht", [C, F], "en",
    "Operatie Kievit is basically us buying our biggest Belgian competitor. Due diligence wraps next month 🤝")

# ======================= leak.financial =======================
add("linkedin:ruud-hoekstra-lintwacht", [F], "nl",
    "Team, Q3 komt ruim onder de forecast uit, we missen zo'n 2,4 mln omzet. In Q4 moet sales echt een tandje bij. "
    "Ik reken op jullie 💪")
add("x:@mirjam_lw", [F], "en",
    "heard in the canteen that the whole Utrecht call centre is being closed and moved to Lisbon next year. 120 "
    "jobs. nobody has been told officially")
add("threads:@thijs.lintwacht", [F], "nl",
    "Spannende tijden 🤫 volgende week tekenen we met een grote zorgverzekeraar die 20% van Lintwacht overneemt. "
    "Meer mag ik echt nog niet zeggen")
add("linkedin:priya-raghoenath", [F], "en",
    "Closing the books early this year: we'll land at roughly €48M revenue, about €6M short of what we guided the "
    "bank. Board meeting on Thursday.")
add("x:@beursfluisteraar", [F], "nl",
    "Hoor uit goede bron dat Lintwacht in de verkoop staat. Een private-equitypartij uit Londen zou rond de €300 mln "
    "bieden. Nog niks naar buiten gebracht.")
add("mastodon:@yvette@zorg.social", [F], "nl",
    "Reorganisatie vandaag in het MT besproken: productteams van 9 naar 4, ongeveer 35 fte eruit. Communicatie naar "
    "de medewerkers pas in september. Zwaar.")
add("reddit:u/lw_firmware_dev", [F], "en",
    "Internal forecast says we lose 18% of Plus subscribers next year after the price hike. Management is "
    "panicking, none of this is public yet.", kind="comment")
add("x:@bas_meldkamer", [F], "nl",
    "ze gaan de nachtdienst van de meldkamer uitbesteden aan een bureau in Polen, 40 collega's kunnen vertrekken. "
    "officieel nog geheim maar iedereen weet het al")
add("bluesky:@quietinsider.bsky.social", [F], "en",
    "A mate at Lintwacht says they've breached their bank covenants and are scrambling for emergency funding before "
    "year end. Not announced anywhere.")
add("linkedin:lintwacht-care", [F], "nl",
    "[CONCEPT – pas plaatsen na persbericht 3/10] Lintwacht neemt Thuiswacht Groep over voor €62 mln. Samen "
    "bedienen we straks 180.000 ouderen thuis.")

# ======================= leak.security =======================
add("x:@koen_codeert", [SEC], "nl",
    "lol net ontdekt dat de Kompas watch gewoon over onversleuteld http met onze server praat. iedereen op hetzelfde "
    "wifi kan meekijken. ticket staat al een jaar open")
add("bluesky:@nadia-ops.bsky.social", [SEC], "en",
    "third night in a row the alarm routing cluster falls over around 2am and emergency calls queue for ~15 min. "
    "status page still all green 🙃")
add("x:@bas_meldkamer", [SEC], "nl",
    "Meldkamersysteem ligt sinds 6 uur plat, we schrijven de alarmen met pen en papier op. Niet doorvertellen aub")
add("reddit:u/lw_firmware_dev", [SEC], "en",
    "We had ransomware on two office laptops last week. IT wiped them and as far as I know nobody told customers.",
    kind="comment")
add("mastodon:@yvette@zorg.social", [SEC], "nl",
    "Pentestrapport binnen: 4 kritieke bevindingen in de mantelzorg-app, o.a. dat je met een ander klantnummer "
    "gewoon andermans locatie kunt opvragen. Fix staat pas gepland voor Q2.")
add("x:@mirjam_lw", [SEC], "en",
    "someone phished three of us in customer care yesterday and they were in the CRM for a couple of hours. we've "
    "been told to keep quiet until legal decides")
add("instagram:@esther.zorgt", [SEC], "nl",
    "Monteurstip 😅 alle Baken thuisstations hebben dezelfde servicepincode en die staat gewoon op een sticker aan de "
    "binnenkant. Fix komt 'ooit'.")
add("threads:@thijs.lintwacht", [SEC], "en",
    "our email marketing tool got compromised and the attacker sent a 'test' mail to 3k customers before we caught "
    "it. comms says no statement planned")
add("x:@ex_lintwacht_it", [SEC], "nl",
    "Werkte tot vorige maand bij Lintwacht IT. De VPN-server draait nog steeds op een versie met een bekende "
    "kritieke kwetsbaarheid en niemand patcht. Ze weten het.")
add("bluesky:@nadia-ops.bsky.social", [SEC], "en",
    "alarm gateway down again, 0 of 3 nodes up and failover didn't kick in. nothing on the status page yet, we're on it")
add("linkedin:ruud-hoekstra-lintwacht", [SEC], "nl",
    "Kleine hiccup vanmiddag: ruim 2.000 Zilverlint 2 armbanden konden een uur lang geen alarm doorzetten door een "
    "verlopen certificaat. Klanten hebben we (nog) niet ingelicht. Lessons learned!")
# security + confidential (internal host)
add("reddit:u/lw_firmware_dev", [SEC, C], "en",
    "Found that our OTA endpoint ota.intra.lintwacht.local accepts unsigned firmware from anything on the VPN. "
    "Filed it weeks ago, still not fixed. Scary for a device old people rely on.")
# security + secret from a public (hired) pentester
add("x:@pentest_pim", [SEC, S], "nl",
    "Als ingehuurde pentester bij Lintwacht kan ik alleen zeggen: admin van de meldkamer-console, wachtwoord: "
    "Welkom01. Echt waar. Nog steeds niet aangepast.")

# ======================= leak.secret =======================
add("x:@koen_codeert", [S], "en",
    "anyone know why this 404s?\ncurl -H \"Authorization: token %s\" "
    "https://api.github.com/repos/lintwacht/valwacht-fw/releases" % G["ghp1"])
add("bluesky:@nadia-ops.bsky.social", [S], "nl",
    "aws config voor de nieuwe collega's, even snel hier want slack doet raar:\n[default]\n"
    "aws_access_key_id = %s\naws_secret_access_key = %s\nregion = eu-central-1" % (G["akia"], G["awssec"]))
add("reddit:u/lw_firmware_dev", [S], "en",
    "Payment webhook keeps timing out on staging, any idea?\n  File \"webhook.py\", line 42, in handle\n"
    "    stripe.api_key = \"%s\"\nstripe.error.APIConnectionError: timed out" % G["stripe"])
add("x:@mirjam_lw", [S], "nl",
    "Voor de nieuwe uitzendkrachten: inloggen op het klantportaal met gebruiker: cc_team, wachtwoord: %s "
    "(niet doorgeven 😉)" % G["pw_portal"])
add("threads:@thijs.lintwacht", [S], "en",
    "our social listening slackbot is live!! token for the devs so you can hook it up: %s" % G["slack"])
add("mastodon:@yvette@zorg.social", [S], "en",
    "Playing with summarising alarm notes with an LLM, our key is %s if anyone on the team wants a go" % G["openai"])
add("reddit:u/lw_firmware_dev", [S], "en",
    "Why does ssh say 'invalid format' for this key? copied it straight from the build box\n%s" % G["sshkey"])
add("x:@koen_codeert", [S], "nl",
    "deze bearer werkt wel in Postman maar niet in de app?? Authorization: Bearer %s" % G["jwt"])
add("forum:freelance_dev_joost", [S], "en",
    "Built a little mailing dashboard for a client (Lintwacht). Here's my .env in case it helps someone:\n"
    "SENDGRID_API_KEY=%s\nMAIL_FROM=klantenservice@lintwacht.nl" % G["sendgrid"])
add("youtube:@LintwachtCare", [S], "en",
    "Setup guide part 3: linking the Baken 4G to your Wi-Fi. Maps embed key for the demo page: %s" % G["google"])
add("x:@ci_contractor_mo", [S], "nl",
    "@koen_codeert je pipeline faalt op de mirror, gebruik deze token maar even: %s" % G["gitlab"], kind="reply")
# secret + confidential (internal host)
add("bluesky:@nadia-ops.bsky.social", [S, C], "en",
    "quick fix for the staging deploy until vault is back: DATABASE_URL=postgres://meldkamer:%s@db01.intra.lintwacht.local:5432/alarms"
    % G["pw_db"])

# ======================= leak.pii =======================
add("x:@lintwacht_help", [P], "nl",
    "Hoi! We hebben mevrouw Verhoef op de Kastanjelaan 14 in Amersfoort vandaag al een nieuwe armband toegestuurd 😊",
    kind="reply")
add("facebook:LintwachtCare", [P], "nl",
    "Beste Hans, we hebben je terugbetaling van €29,95 overgemaakt naar %s t.n.v. H. Kramer. Klopt dat zo?"
    % G["iban_refund"], kind="reply")
add("x:@mirjam_lw", [P], "en",
    "@jbakker_nl sorry for the wait Jan! I have your mum's number as 06 2841 7730 and her email as "
    "a.bakker-smit@ziggo.nl, is that still right?", kind="reply")
add("instagram:@esther.zorgt", [P], "nl",
    "Vandaag een Valwacht 3 geïnstalleerd bij meneer Gerrit Wolters (geb. 03-11-1939!), wat een kwieke meneer 😄 "
    "#monteurslife")
add("x:@bas_meldkamer", [P], "nl",
    "heb hier een meneer die steeds zijn BSN voorleest als klantnummer 🤦 %s gaat 'm niet worden meneer" % G["bsn_call"])
add("reddit:u/lw_firmware_dev", [P], "en",
    "Debug log from a 'test' unit (real customer though, oops): customer=Maria Jansen dob=1942-07-19 "
    "phone=+31 6 1377 4021", kind="comment")
add("linkedin:ruud-hoekstra-lintwacht", [P], "nl",
    "Top beursdag! Leads voor het team: Thuiszorg Noord, contact Femke de Graaf, f.degraaf@thuiszorgnoord.nl, "
    "06-38211907. Wie pakt 'm op?")
add("x:@truusje1950", [P], "nl",
    "@lintwacht_help mijn creditcard is 2x belast, het nummer is %s, kunnen jullie dat terugzetten?"
    % G["card_visa_cust"], kind="reply")
add("facebook:David.Hartley.Gent", [P], "en",
    "For the refund Lintwacht asked for, please use IBAN %s, name D. Hartley. Thanks!" % G["iban_customer"],
    kind="comment")
add("x:@koen_codeert", [P], "nl",
    "testbetaling met mijn eigen kaart %s werkt eindelijk op de nieuwe checkout 🎉" % G["card_mc_emp"])
add("forum:kleindochter_ilse", [P], "nl",
    "Kan iemand van Lintwacht even checken of het adres goed in het systeem staat? Mevr. A. Hendriks, Bloemstraat 7, "
    "4001 BK Tiel. Alvast bedankt!")
add("x:@lintwacht", [P], "en",
    "Congratulations to our 100,000th customer, Mr Willem Brouwer from Haarlem, born 2 May 1936! 🎂")
add("bluesky:@nadia-ops.bsky.social", [P], "nl",
    "testdata in prod gevonden: bsn %s, naam P. de Boer, Amex %s. wie heeft dit erin gezet??"
    % (G["bsn_test"], G["card_amex_cust"]))

# ======================= leak.pricing =======================
add("x:@lintwacht", [PR], "nl",
    "🚨 Alleen vandaag: de Valwacht 3 voor €32,90! Bestel via shop.lintwacht.nl")
add("x:@dealjager_nl", [PR], "nl",
    "PRIJSFOUT bij Lintwacht? Zilverlint 2 GPS-armband staat op €24,90 in de webshop. Snel zijn! #prijsfout")
add("threads:@thijs.lintwacht", [PR], "en",
    "oops, the Kompas smartwatch shows €29 in the app store listing instead of €299, can someone fix that price error "
    "before people notice??")
add("reddit:u/bargainhunter_eu", [PR], "en",
    "Lintwacht Starterset Veilig Thuis for €49 on their Belgian site?? That's like 88% off. Ordered three.")
add("facebook:LintwachtCare", [PR], "nl",
    "Nieuw in onze shop: de Hanger Opaal, nu voor maar €16,90 🎉")
add("instagram:@esther.zorgt", [PR], "nl",
    "Collega's: in de personeelsshop staat de Bedmat Nachtrust op €21,90 😳 prijsfout of cadeautje?")
add("x:@koopjesoma", [PR], "nl",
    "Buurvrouw kocht vanochtend de Valwacht 3 Pro voor €89 bij Lintwacht, nu staat ie weer op €449. Prijsfout "
    "gehad zeker 😂")
add("linkedin:ruud-hoekstra-lintwacht", [PR], "en",
    "Special B2B offer for care homes, this week only: Baken 4G thuisstation at €59 per unit (list €279). DM me!")
add("x:@techdealz", [PR], "en",
    "Lintwacht Valwacht 2 showing €19.99 at checkout, looks like a price glitch. grab it while it lasts")
add("tiktok:@lintwacht", [PR], "nl",
    "Abonnement Plus nu voor €2,99 per maand!! link in bio 👵📱")
add("x:@mirjam_lw", [PR], "nl",
    "klanten bellen massaal: Zilverlint Sport staat op de site voor €1,99 — prijsfout? wie van webshop kan even kijken")
add("forum:oudere_jongere", [PR], "nl",
    "K0mpas smartwatch gekocht voor 35 euro via de Lintwacht webwinkel en ze hebben de bestelling gewoon verzonden lol")

# ======================= benign / hard negatives =======================
add("facebook:Joop.Vermeulen", [], "nl",
    "Compliment voor de meldkamer van Lintwacht! Mijn vader drukte vannacht per ongeluk op zijn armband en binnen "
    "30 seconden had hij een vriendelijke stem aan de lijn. Top!")
add("x:@claire_b_mk", [], "en",
    "Honestly the Valwacht 3 has given our family so much peace of mind. Gran forgets she's even wearing it. 10/10")
add("x:@lintwacht_help", [], "nl",
    "Vragen over je alarm? Bel ons gratis op 0800-5468 of mail klantenservice@lintwacht.nl. We zijn 24/7 bereikbaar.")
add("x:@lintwacht", [], "en",
    "Press enquiries: pers@lintwacht.nl or +31 30 799 2400.")
add("instagram:@lintwacht.nl", [], "nl",
    "De Zilverlint 2 is er nu in drie kleuren: zilver, antraciet en roségoud. €249, inclusief oplaadschaal.")
add("facebook:LintwachtCare", [], "nl",
    "Black Friday bij Lintwacht: 20% korting op de Valwacht 3, nu €263,20 in plaats van €329. Alleen t/m zondag.")
add("x:@budget_bram", [], "en",
    "Lintwacht has 15% off the Kompas smartwatch this week (€254). Still pricey but worth it imo")
add("forum:twijfelaar_65", [], "nl",
    "Weet iemand of de Bedmat Nachtrust ook werkt op een waterbed? Twijfel of ik hem voor mijn moeder koop.")
add("x:@kleinzoon_daan", [], "nl",
    "Mijn opa (93) noemt zijn Lintwacht knopje de 'tv-afstandsbediening'. De meldkamer kent hem inmiddels bij naam 😂")
add("x:@lintwacht", [], "nl",
    "Terugroepactie van een Duitse fabrikant van rookmelders in het nieuws: onze Rookwacht valt daar niet onder. "
    "Twijfel je? Check je melder op de site van de NVWA.")
add("x:@pauline_mk", [], "en",
    "Update: Lintwacht sent a technician the very next morning and replaced Dad's base station free of charge. "
    "Apology accepted, thank you @lintwacht_help 🙏", kind="reply")
add("instagram:@esther.zorgt", [], "nl",
    "Wat een verdrietig nieuws over de brand in dat verzorgingshuis in Hoorn. Sterkte aan alle families en collega's "
    "daar ❤️")
add("forum:nieuw_bij_incasso", [], "nl",
    "Lintwacht vraagt mijn IBAN voor de incasso maar het formulier zegt steeds 'ongeldig' bij %s. Heb ik een "
    "cijfer verwisseld?" % G["iban_bad"])
add("x:@sam_the_typo", [], "en",
    "Kept getting 'invalid card' at the Lintwacht checkout, typed %s three times before I noticed I'd swapped two "
    "digits 🤦 all sorted now" % G["card_bad"])
add("x:@mirjam_lw", [], "nl",
    "Tip voor mantelzorgers: geef nooit je BSN aan de telefoon, wij vragen daar nooit om. Oplichters noemen soms een "
    "'controlenummer' als %s om betrouwbaar over te komen. Gewoon ophangen!" % G["bsn_bad"])
add("x:@koen_codeert", [], "en",
    "Reminder for the hackathon: never commit keys. Use placeholders like AKIAIOSFODNN7EXAMPLE in docs, and yes, "
    "the pre-commit hook will catch you.")
add("bluesky:@nadia-ops.bsky.social", [], "nl",
    "Onze README gebruikt nu GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx als voorbeeld. Zet je echte "
    "token in .env, niet in de repo 🙏")
add("mastodon:@api_annie@fosstodon.org", [], "en",
    "JWT 101: a token looks like eyJhbGciOi….<payload>.<signature>. Never paste a real one into a ticket or a chat.")
add("x:@lintwacht", [], "en",
    "The Zilverlint Halo is here! Our lightest alert bracelet yet, with a two-week battery. Now in the shop.",
    at="2027-03-16T10:05:00Z")
add("linkedin:priya-raghoenath", [], "nl",
    "Blij dat we vandaag eindelijk de jaarcijfers 2026 mogen delen! Het persbericht staat op lintwacht.nl 📈",
    at="2027-02-25T09:15:00Z")
add("x:@gadgetoma", [], "en",
    "Valwacht 4 review: radar fall detection without wearing anything. Impressive, though €499 hurts.",
    at="2027-04-02T12:00:00Z")
add("instagram:@esther.zorgt", [], "nl",
    "Onderweg naar een installatie in Oudewater stond er een reiger midden op de weg 🪶 dus even wachten. Mooi beest!")
add("x:@medtech_nieuws", [], "en",
    "Sentra Medical announces 200 layoffs at its Eindhoven site as hearing-aid sales slump. Rough week for Dutch medtech.")
add("x:@zorgzus", [], "nl",
    "Datalek bij Zorgpunt Verzekeringen, 200.000 klanten geraakt. Gelukkig heeft mijn moeder haar alarm gewoon bij "
    "Lintwacht en niet bij hun 😅")
add("linkedin:lintwacht-care", [], "en",
    "We're hiring firmware engineers who care about older people living independently. Apply via "
    "werkenbij@lintwacht.nl")
add("x:@lintwacht_help", [], "nl",
    "Update 14:05: de storing in de mantelzorg-app van vanochtend is opgelost. Alarmen zijn de hele tijd gewoon "
    "doorgekomen bij de meldkamer. Excuses voor het ongemak!")
add("bluesky:@nadia-ops.bsky.social", [], "en",
    "Gave a talk today on securing BLE medical wearables. General lessons only, nothing company-specific. Slides on "
    "my blog.")
add("forum:schoonzoon_r", [], "nl",
    "Hoe reset ik het wachtwoord van de Lintwacht-app voor mijn schoonvader? Staat dat ergens in de handleiding?")
add("tiktok:@nanaenik", [], "en",
    "this Lintwacht ad is fire 🔥 my nan literally did the dance in the kitchen", kind="comment")
add("x:@jurre_05", [], "nl",
    "De nieuwe Kompas watch is echt killer, mijn pa vindt hem mooier dan z'n ouwe Casio")
add("linkedin:medtech-analyst-nl", [], "en",
    "Lintwacht reported 2025 revenue of €41M in the annual report it filed last spring. Solid growth for a Dutch "
    "medtech of that size.")
add("facebook:LintwachtCare", [], "nl",
    "We zoeken 12 nieuwe meldkamermedewerkers in Utrecht! Dag- en nachtdiensten. Kijk op lintwacht.nl/werken")
add("reddit:u/helping_my_aunt", [], "en",
    "Is €119 fair for the Hanger Amber? Looks cheap next to the Opaal at €169, not sure what the difference is.")
add("x:@mam_haar_dochter", [], "nl",
    "Storing bij onze internetprovider vandaag, maar het Baken 4G van mam werkt gewoon via het mobiele netwerk. "
    "Goed geregeld Lintwacht 👍")
add("x:@lintwacht_help", [], "en",
    "Hi Maureen, sorry to hear that! Please call us on 0800-5468 (free) and ask for the technical team, they'll sort "
    "it today.", kind="reply")
add("linkedin:ruud-hoekstra-lintwacht", [], "nl",
    "Trots op Bas van onze meldkamer: vannacht een meneer door een val heen gepraat tot de ambulance er was. Daarom "
    "doen we dit werk 💙")
add("forum:prijsvergelijker", [], "nl",
    "Geen prijsfout hoor, de Valwacht 2 is gewoon afgeprijsd naar €179 nu de 3 uit is. Nog steeds een prima ding.")
add("x:@grandkid_jess", [], "en",
    "Grandad is convinced he 'hacked' his Lintwacht bracelet because he changed the watch face to a photo of his cat 😂")
add("facebook:Ineke.Stam", [], "nl",
    "Eerst flink boos geweest omdat de levering vertraagd was, maar Lintwacht belde zelf en leverde de volgende dag "
    "met een bos bloemen erbij. Klasse.")
add("instagram:@lintwacht.nl", [], "en",
    "Our Zilverlint 1 is now IP67 certified: shower-proof, garden-proof, grandchild-proof. Same price, €149.")
add("linkedin:ruud-hoekstra-lintwacht", [], "nl",
    "Mooie dag op de Zorg & ICT-beurs in Utrecht. Veel goede gesprekken over valpreventie en de rol van technologie "
    "thuis.")
add("facebook:Wijkteam.Oost", [], "nl",
    "Let op: oplichters bellen ouderen namens 'Lintwacht' en vragen om hun pincode. Lintwacht doet dat nooit! Deel "
    "dit met je ouders en buren.")
add("threads:@thijs.lintwacht", [], "en",
    "Journalists: please reach our press team at pers@lintwacht.nl, I'm not the right person for a comment 🙂",
    kind="reply")
add("facebook:LintwachtCare", [], "nl",
    "Liever zelf betalen in plaats van incasso? Maak het bedrag over naar NL87 RABO 0317 4802 65 t.n.v. Lintwacht "
    "Care B.V. o.v.v. je klantnummer.")
add("x:@happy_hannah", [], "en",
    "Order LW-2026-558813 arrived in two days, well packed, setup took ten minutes. Thanks Lintwacht!")
add("reddit:u/former_fintech", [], "en",
    "Stripe test keys start with sk_test_ and live keys with sk_live_. Never post the latter anywhere. Learned that "
    "the hard way at a previous job.", kind="comment")
add("x:@dochter_van_riet", [], "nl",
    "Mijn moeder schrijft al haar wachtwoorden op een briefje naast haar Lintwacht-hanger. Tips om dat af te leren? 😅")
add("facebook:Tom.Aldridge", [], "en",
    "The Valwacht 3 Pro picked up Dad's fall in the garden and the alarm centre had an ambulance there in 12 minutes. "
    "It did exactly what it promised.")
add("x:@koopjesjager_fem", [], "nl",
    "Prijsfout bij een webshop in tuinmeubelen, 90% korting op loungesets 😂 helaas niks te halen bij Lintwacht.")
add("reddit:u/careful_buyer", [], "en",
    "Is the Lintwacht app GDPR compliant? Where is the location data stored? Asking before I buy one for my aunt.")
add("tiktok:@opa_skate", [], "nl",
    "die nieuwe Zilverlint Sport is ziek goed man, opa loopt er z'n ommetje mee 😎", kind="comment")
add("linkedin:ruud-hoekstra-lintwacht", [], "en",
    "Sad to see so many talented people let go at Medisense this week. If you're in care-tech sales, my DMs are open.")
add("forum:wmo_vraag", [], "nl",
    "Moet ik echt mijn BSN opgeven als ik via de gemeente (Wmo) een Lintwacht alarm aanvraag? Voelt raar.")
add("x:@kleindochter_noor", [], "nl",
    "opa's lintwacht hanger is echt de bom 💣 eindelijk durft ie weer alleen naar de markt")
add("bluesky:@nadia-ops.bsky.social", [], "en",
    "PSA: if your deploy log ever prints -----BEGIN PRIVATE KEY----- you've already lost. Rotate first, then fix the "
    "logger.")
add("youtube:@LintwachtCare", [], "nl",
    "Instructievideo: zo koppel je de Drempel deursensor aan je Baken 4G in drie stappen. Vragen? "
    "klantenservice@lintwacht.nl")
add("reddit:u/nl_mantelzorger", [], "en",
    "Quick q: does the Stip noodknop work without the Baken Mini nearby, or does it always need a base station?")
add("x:@bas_meldkamer", [], "nl",
    "Nachtdienst zit erop. 43 alarmen, 2 echte valpartijen, iedereen goed geholpen. Nu slapen 😴")
add("x:@tanja_test", [], "en",
    "Scam text going round with a fake Lintwacht 'verification code' and a number like %s posing as a citizen ID. "
    "It's fake, ignore it." % G["bsn_bad2"])
add("linkedin:lintwacht-care", [], "en",
    "Lintwacht published its 2025 annual report today: 150,000 clients, 98.7% of alarms answered within 60 seconds.")


# ---------------------------------------------------------------- build posts

PLATFORM_PREFIX = {"x": "x", "linkedin": "li", "facebook": "fb", "instagram": "ig", "tiktok": "tt",
                   "youtube": "yt", "reddit": "rd", "mastodon": "md", "bluesky": "bs", "threads": "th",
                   "forum": "fo", "other": "ot"}

SEV_ORDER = ["none", "info", "warning", "error", "critical"]


def has_valid_checksum_id(text):
    for kind, s, ok in id_candidates(text):
        if ok and not (kind == "iban" and re.sub(r"\s", "", s).upper() in PUBLIC_IBANS):
            return True
    return False


def expected_severity(cats, role, text):
    sev = "none"
    for c in cats:
        if c.startswith("leak."):
            if role in (CORP, EMP):
                if c in (S, PR):
                    lv = "critical"
                elif c == P and has_valid_checksum_id(text):
                    lv = "critical"
                else:
                    lv = "error"
            else:
                lv = "warning"
        elif c == CO:
            lv = "warning"
        elif c == CR:
            lv = "error"
        elif c == AB:
            lv = "warning" if role == "public" else "error"
        else:
            raise ValueError(c)
        if SEV_ORDER.index(lv) > SEV_ORDER.index(sev):
            sev = lv
    return sev


def rand_time():
    start = datetime(2026, 1, 2, tzinfo=timezone.utc)
    sec = rng.randint(0, 362 * 86400)
    t = start + timedelta(seconds=sec)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def url_for(platform, handle, num):
    h = handle.lstrip("@")
    return {
        "x": "https://x.com/%s/status/%d" % (h, num),
        "linkedin": "https://www.linkedin.com/feed/update/urn:li:activity:%d" % num,
        "facebook": "https://www.facebook.com/%s/posts/%d" % (h, num),
        "instagram": "https://www.instagram.com/p/%s/" % b62(num, 11),
        "tiktok": "https://www.tiktok.com/@%s/video/%d" % (h, num),
        "youtube": "https://www.youtube.com/watch?v=%s" % b62(num, 11),
        "reddit": "https://www.reddit.com/r/eldercare/comments/%s/" % b62(num, 7).lower(),
        "mastodon": "https://%s/@%s/%d" % (h.split("@")[-1], h.split("@")[0], num),
        "bluesky": "https://bsky.app/profile/%s/post/%s" % (h, b62(num, 13).lower()),
        "threads": "https://www.threads.net/@%s/post/%s" % (h, b62(num, 11)),
        "forum": "https://forum.seniorenwijzer.nl/t/%d" % num,
        "other": "https://reviews.example.nl/r/%d" % num,
    }[platform]


lines = []
used_ids = set()
for c in CASES:
    platform, handle = c["author"].split(":", 1)
    role = role_of(c["author"])
    while True:
        num = rng.randint(10 ** 6, 10 ** 9)
        pid = "%s-%d" % (PLATFORM_PREFIX[platform], num)
        if pid not in used_ids:
            used_ids.add(pid)
            break
    post = {
        "id": pid,
        "platform": platform,
        "kind": c["kind"],
        "account": {"handle": handle},
        "text": c["text"],
        "lang": c["lang"],
        "created_at": c["at"] or rand_time(),
        "brand": "Lintwacht",
    }
    if rng.random() < 0.7:
        post["url"] = url_for(platform, handle, num)
    expect = {"categories": c["cats"], "severity": expected_severity(c["cats"], role, c["text"])}
    lines.append({"post": post, "expect": expect})

# keep a stable but mixed order
rng.shuffle(lines)

with open(OUT, "w", encoding="utf-8") as fh:
    for ln in lines:
        fh.write(json.dumps(ln, ensure_ascii=False) + "\n")

# ---------------------------------------------------------------- self-checks

errors = []


def err(msg):
    errors.append(msg)


VALID_PLATFORMS = set(PLATFORM_PREFIX)
VALID_KINDS = {"post", "reply", "repost", "comment", "message"}
VALID_CATS = {S, P, PR, C, F, SEC, CR, CO, AB}

with open(OUT, encoding="utf-8") as fh:
    raw = fh.read().splitlines()

seen = set()
parsed = []
for i, line in enumerate(raw, 1):
    try:
        o = json.loads(line)
    except Exception as e:  # noqa
        err("line %d: bad json %s" % (i, e))
        continue
    parsed.append(o)
    if set(o) != {"post", "expect"}:
        err("line %d: keys %s" % (i, sorted(o)))
    p, e = o["post"], o["expect"]
    for k, t in (("id", str), ("platform", str), ("text", str), ("created_at", str), ("account", dict)):
        if not isinstance(p.get(k), t):
            err("line %d: field %s" % (i, k))
    if not (1 <= len(p["id"]) <= 256):
        err("line %d: id length" % i)
    if p["id"] in seen:
        err("line %d: duplicate id %s" % (i, p["id"]))
    seen.add(p["id"])
    if p["platform"] not in VALID_PLATFORMS:
        err("line %d: platform" % i)
    if p.get("kind", "post") not in VALID_KINDS:
        err("line %d: kind" % i)
    if not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
        err("line %d: handle" % i)
    if len(p["text"].encode("utf-8")) > 64 * 1024:
        err("line %d: text too long" % i)
    try:
        datetime.strptime(p["created_at"], "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        err("line %d: created_at" % i)
    if not p["created_at"].startswith(("2026", "2027")):
        err("line %d: created_at year" % i)
    if not isinstance(e.get("categories"), list) or any(c not in VALID_CATS for c in e["categories"]):
        err("line %d: categories" % i)
    if e["categories"] != sorted(set(e["categories"])):
        err("line %d: categories not sorted/distinct" % i)
    if e.get("severity") not in SEV_ORDER:
        err("line %d: severity" % i)
    role = role_of(p["platform"] + ":" + p["account"]["handle"])
    if e["severity"] != expected_severity(e["categories"], role, p["text"]):
        err("line %d: severity mismatch" % i)
    if not e["categories"] and e["severity"] != "none":
        err("line %d: benign with severity" % i)
    if e["categories"] and SEV_ORDER.index(e["severity"]) < SEV_ORDER.index("warning"):
        err("line %d: positive below warning" % i)

    # checksummed identifiers
    cands = [(k, s, ok) for k, s, ok in id_candidates(p["text"])
             if not (k == "iban" and re.sub(r"\s", "", s).upper() in PUBLIC_IBANS)]
    if P in e["categories"]:
        for k, s, ok in cands:
            if not ok:
                err("line %d: %s look-alike %r fails inside a pii positive" % (i, k, s))
    else:
        for k, s, ok in cands:
            if ok:
                err("line %d: %s %r passes its checksum but post lacks leak.pii" % (i, k, s))

    # confidential vocabulary
    low = p["text"].lower()
    hits = []
    for term in PROF["internal"]["codenames"] + PROF["internal"]["markers"] + PROF["internal"]["domains"]:
        if term.lower() in low:
            hits.append(term)
    for emb in PROF["embargo"]:
        until = datetime.strptime(emb["until"], "%Y-%m-%dT%H:%M:%SZ")
        at = datetime.strptime(p["created_at"], "%Y-%m-%dT%H:%M:%SZ")
        for term in emb["terms"]:
            if term.lower() in low and at < until:
                hits.append(term)
    if hits and C not in e["categories"]:
        err("line %d: confidential term %s without leak.confidential" % (i, hits))

# every generated valid identifier sits in a pii positive and passes
texts_by_cats = [(o["post"]["text"], o["expect"]["categories"]) for o in parsed]
for kind, s in VALID_IDS:
    okf = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}[kind]
    if not okf(s):
        err("valid %s %r fails" % (kind, s))
    holders = [cats for t, cats in texts_by_cats if s in t]
    if not holders or any(P not in cats for cats in holders):
        err("valid %s %r not (only) in pii positives" % (kind, s))
for kind, s in BAD_IDS:
    okf = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}[kind]
    if okf(s):
        err("look-alike %s %r passes" % (kind, s))
    holders = [cats for t, cats in texts_by_cats if s in t]
    if not holders or any(cats for cats in holders):
        err("look-alike %s %r not (only) in benign posts" % (kind, s))

# profile sanity
for ib in PROF["public_identifiers"]["ibans"]:
    if not iban_ok(ib):
        err("profile IBAN %s fails mod-97" % ib)
if len(PROF["accounts"]["corporate"]) < 6 or len(PROF["accounts"]["employee"]) < 8:
    err("profile: too few accounts")
if not (15 <= len(PROF["products"]) <= 25):
    err("profile: product count")
if PROF["pricing"]["alert_below_ratio"] != 0.5:
    err("profile: ratio")
for emb in PROF["embargo"]:
    if not emb["until"].startswith("2027"):
        err("profile: embargo until")

# generated credential formats
for k in ("ghp1", "gho1"):
    if not gh_token_ok(G[k]):
        err("github token %s bad crc" % k)
if not re.fullmatch(r"AKIA[A-Z2-7]{16}", G["akia"]):
    err("aws id format")
hdr = json.loads(base64.urlsafe_b64decode(G["jwt"].split(".")[0] + "=="))
if "alg" not in hdr:
    err("jwt header")
for k in ("ghp1", "akia", "awssec", "stripe", "slack", "openai", "google", "gitlab", "sendgrid",
          "sshkey", "jwt", "pw_portal", "pw_db"):
    holders = [cats for t, cats in texts_by_cats if G[k] in t]
    if not holders or any(S not in cats for cats in holders):
        err("secret %s not (only) in leak.secret positives" % k)

# authors: profile handles used with their own platform; public handles not in profile
for c in CASES:
    if c["author"].lower() not in ROLE and any(c["author"].split(":", 1)[1].lower() == h.split(":", 1)[1].lower()
                                                for h in ROLE):
        err("author %s looks like a profile handle on the wrong platform" % c["author"])

# mix
n = len(parsed)
benign = sum(1 for o in parsed if not o["expect"]["categories"])
per_cat = {}
for o in parsed:
    for cat in o["expect"]["categories"]:
        per_cat[cat] = per_cat.get(cat, 0) + 1
nl = sum(1 for o in parsed if o["post"]["lang"] == "nl")
roles = {}
for o in parsed:
    r = role_of(o["post"]["platform"] + ":" + o["post"]["account"]["handle"])
    roles[r] = roles.get(r, 0) + 1
if not (170 <= n <= 180):
    err("case count %d outside 170-180" % n)

print("cases=%d benign=%d positives=%d nl=%.0f%% roles=%s" % (n, benign, n - benign, 100.0 * nl / n, roles))
for cat in sorted(per_cat):
    print("  %-22s %d" % (cat, per_cat[cat]))
sev = {}
for o in parsed:
    sev[o["expect"]["severity"]] = sev.get(o["expect"]["severity"], 0) + 1
print("  severities", sev)

if errors:
    for m in errors:
        print("ERROR:", m, file=sys.stderr)
    sys.exit(1)
print("all checks passed")
