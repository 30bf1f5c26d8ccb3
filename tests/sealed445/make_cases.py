#!/usr/bin/env python3
"""Build the sealed evaluation set for the fictional agency Wiegwijs Au Pair & Nanny B.V.

Deterministic (fixed seed). Writes cases.jsonl beside this file and self-checks it:
  * every IBAN / card / BSN inserted into a positive passes its checksum,
    every look-alike inserted into a benign post fails it,
    and no other valid checksum identifier sneaks into any post;
  * every line is a valid CONTRACT section 6 case;
  * severities are computed from the account role in profile.yaml (CONTRACT section 4).
Only the standard library and PyYAML are used.
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

SEED = 445
rng = random.Random(SEED)
HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# --------------------------------------------------------------------------- roles
ROLES = {}
for role in ("corporate", "employee"):
    for key in PROFILE["accounts"][role]:
        ROLES[key.lower()] = role


def role_of(platform, handle):
    return ROLES.get(f"{platform}:{handle}".lower(), "public")


# --------------------------------------------------------------------------- checksums
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
    return tot % 10 == 0


def bsn_ok(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    if len(d) != 9:
        return False
    tot = sum(d[i] * (9 - i) for i in range(8)) - d[8]
    return tot % 11 == 0 and tot != 0


# Registry of identifiers inserted into the post being built: (kind, value, meant_valid)
REG = []


def _digits(n):
    return "".join(rng.choice(string.digits) for _ in range(n))


def _iban_raw(cc, bban):
    r = bban + cc + "00"
    n = int("".join(str(int(c, 36)) for c in r))
    return f"{cc}{98 - n % 97:02d}{bban}"


def _group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def iban(cc="NL", spaced=False):
    if cc == "NL":
        bban = rng.choice(["ABNA", "INGB", "RABO", "SNSB", "ASNB", "KNAB", "BUNQ", "TRIO"]) + _digits(10)
    else:  # DE
        bban = _digits(18)
    v = _iban_raw(cc, bban)
    REG.append(("iban", v, True))
    return _group4(v) if spaced else v


def bad_iban(spaced=True):
    while True:
        v = _iban_raw("NL", "RABO" + _digits(10))
        pos = rng.randrange(8, 18)
        v = v[:pos] + str((int(v[pos]) + rng.randrange(1, 10)) % 10) + v[pos + 1:]
        if not iban_ok(v):
            break
    REG.append(("iban", v, False))
    return _group4(v) if spaced else v


def _luhn_complete(body):
    for last in string.digits:
        if luhn_ok(body + last):
            return body + last
    raise AssertionError


def card(brand="visa", spaced=True):
    if brand == "visa":
        v = _luhn_complete("4" + _digits(14))
    else:
        v = _luhn_complete(rng.choice(["51", "52", "53", "54", "55"]) + _digits(13))
    REG.append(("card", v, True))
    return _group4(v) if spaced else v


def bad_card(spaced=True):
    v = _luhn_complete("4" + _digits(14))
    v = v[:-1] + str((int(v[-1]) + rng.randrange(1, 10)) % 10)
    assert not luhn_ok(v)
    REG.append(("card", v, False))
    return _group4(v) if spaced else v


def bsn(dotted=False):
    while True:
        body = str(rng.randrange(1, 10)) + _digits(7)
        s = sum(int(body[i]) * (9 - i) for i in range(8))
        last = s % 11
        if last <= 9:
            v = body + str(last)
            if bsn_ok(v):
                break
    REG.append(("bsn", v, True))
    return f"{v[:4]}.{v[4:6]}.{v[6:]}" if dotted else v


def bad_bsn():
    while True:
        v = str(rng.randrange(1, 10)) + _digits(8)
        if not bsn_ok(v):
            break
    REG.append(("bsn", v, False))
    return v


def safe_digits(n):
    """Digits that are neither Luhn-valid nor 11-proof, for token parts."""
    while True:
        v = str(rng.randrange(1, 10)) + _digits(n - 1)
        if not luhn_ok(v) and not bsn_ok(v):
            return v


# --------------------------------------------------------------------------- credentials
ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase  # 0-9A-Za-z
URLSAFE = ALNUM + "-_"


def rand(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def b62(n, width=6):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def github_token(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()))


def github_ok(tok):
    body, crc = tok[4:34], tok[34:]
    return len(tok) == 40 and b62(zlib.crc32(body.encode())) == crc


def aws_key_id():
    return "AKIA" + rand(string.ascii_uppercase + "234567", 16)


def aws_secret():
    return rand(ALNUM + "/+", 40)


def stripe_live():
    return "sk_live_51" + rand(ALNUM, 97)


def slack_webhook():
    return ("https://hooks.slack.com/services/T" + rand(string.ascii_uppercase + string.digits, 10)
            + "/B" + rand(string.ascii_uppercase + string.digits, 10) + "/" + rand(ALNUM, 24))


def openai_key():
    return "sk-proj-" + rand(URLSAFE, 74) + "T3BlbkFJ" + rand(URLSAFE, 74)


def anthropic_key():
    return "sk-ant-api03-" + rand(URLSAFE, 93) + "AA"


def google_key():
    return "AIza" + rand(URLSAFE, 35)


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt():
    header = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = b64u(json.dumps({"sub": "planner-" + safe_digits(5), "role": "planner",
                               "iss": "wiegwijs-auth", "iat": 1767312000 + rng.randrange(10 ** 7),
                               "exp": 1799000000}, separators=(",", ":")).encode())
    sig = b64u(bytes(rng.randrange(256) for _ in range(32)))
    return f"{header}.{payload}.{sig}"


def openssh_private_key():
    raw = b"openssh-key-v1\x00" + bytes(rng.randrange(256) for _ in range(384))
    body = base64.b64encode(raw).decode()
    lines = [body[i:i + 70] for i in range(0, len(body), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def password():
    words = ["Kinderwagen", "Speelgoed", "Luierlijn", "Zandbak", "Wipwap", "Knuffel"]
    return rng.choice(words) + rand("!#$%&*", 1) + str(rng.randrange(10, 99)) + rand(string.ascii_lowercase, 3)


def passport_nl():
    letters = "ABCDEFGHIJKLMNPQRSTUVWXYZ"  # no O in Dutch document numbers
    return rand(letters, 2) + rand(letters + string.digits, 6) + rand(string.digits, 1)


# --------------------------------------------------------------------------- cases
CMP, CRI, ABU = "reputation.complaint", "reputation.crisis", "reputation.abuse"
PII, SECRET, SECU = "leak.pii", "leak.secret", "leak.security"
CONF, FIN, PRC = "leak.confidential", "leak.financial", "leak.pricing"
LEVEL = ["none", "info", "warning", "error", "critical"]

CASES = []


def rand_time_2026():
    start = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
    secs = rng.randrange(int((dt.datetime(2026, 12, 30, tzinfo=dt.timezone.utc) - start).total_seconds()))
    return (start + dt.timedelta(seconds=secs)).strftime("%Y-%m-%dT%H:%M:%SZ")


def add(platform, handle, text, cats=(), lang="nl", kind="post", at=None, prices=None, name=None):
    """prices: list of (alias, price) pairs mentioned, checked against the catalogue."""
    regs = list(REG)
    REG.clear()
    CASES.append(dict(platform=platform, handle=handle, text=text, cats=sorted(set(cats)), lang=lang,
                      kind=kind, at=at or rand_time_2026(), prices=prices or [], regs=regs,
                      display_name=name))


# ============================ COMPLAINTS =====================================
add("x", "@mama_van_drie",
    "Al 3 weken wachten op een nieuwe match na de rematch bij @wiegwijs en nog steeds NIKS. "
    "Ik moet gewoon werken hoor 😤 #wiegwijs", [CMP])
add("facebook", "hanneke.degroot.1983",
    "Onze au pair zou maandag aankomen. Zondagavond om 22u een mailtje van Wiegwijs dat haar visum "
    "'nog in behandeling' is. Dat wisten jullie toch al weken?? Nu zit ik zonder opvang en niemand "
    "neemt de telefoon op.", [CMP], name="Hanneke de Groot")
add("x", "@ThijsBakkerr",
    "@wiegwijs_help 4x gebeld vandaag, 4x na 20 min in de wacht opgehangen. klantenservice van niks",
    [CMP], kind="reply")
add("reddit", "u/expat_dad_ams",
    "PSA for anyone considering Wiegwijs for an au pair: they charged us the full Au Pair Plus fee, the "
    "girl left after 5 weeks and they refuse to refund anything except a 'rematch voucher'. Reading the "
    "contract again it's technically allowed, but the sales guy told us something very different. "
    "Feeling pretty misled tbh.", [CMP], lang="en")
add("instagram", "@lisa.loves.lattes",
    "the nanny you sent cancelled literally an hour before my shift. third time this month. what am I "
    "paying Nanny Vast for exactly? @wiegwijs.nl", [CMP], lang="en", kind="comment")
add("forum", "Moeder_van_Mees",
    "Via Oppas Direct van Wiegwijs een last minute oppas geboekt voor ons etentje. Kwam 50 minuten te "
    "laat binnen en had geen idee dat er een baby van 4 mnd was ipv een peuter. Nee, doe maar niet meer.",
    [CMP])
add("x", "@sanne_z",
    "the wiegwijs app crashes every single time I try to approve our nanny's hours. so the invoice is "
    "wrong too. 2 tickets submitted, zero reaction 🙄", [CMP], lang="en")
add("threads", "@kees.en.ria",
    "Dubbel afgeschreven voor het Gastgezin jaarlidmaatschap. €199 x2. Terugbetaling zou 'binnen 5 "
    "werkdagen' zijn, we zijn nu 3 weken verder @wiegwijs", [CMP], prices=[("Gastgezin jaarlidmaatschap", 199)])
add("linkedin", "martijn-vos-people-ops",
    "Honestly disappointed with Wiegwijs' corporate childcare offer. We signed the Bedrijfsnanny contract "
    "for our staff in January and half the slots are still unfilled in May. New account manager every "
    "month, nobody owns the problem.", [CMP], lang="en")
add("tiktok", "@aupair_life_nl",
    "POV: your agency promised a 'warm host family' and you end up cleaning 45 hours a week 🧽 Wiegwijs "
    "never answers my messages. #aupairlife #wiegwijs", [CMP], lang="en")
add("x", "@GerritJ",
    "Paid for our au pair's Dutch course in September. It got moved twice and now it's suddenly 'full'. "
    "Refund? Nope, a voucher. Thanks a lot @wiegwijs 👏", [CMP], lang="en")
add("bluesky", "@fleurtje.bsky.social",
    "third nanny in two months from wiegwijs. my toddler is so confused. nobody at that agency seems "
    "to care about continuity at all", [CMP], lang="en")
add("facebook", "ahmed.k.utrecht",
    "De au pair verzekering die jullie verplicht meeverkopen dekt blijkbaar geen tandarts. Onze au pair "
    "heeft nu een rekening van €600 liggen. Had dat even gezegd bij het afsluiten, Wiegwijs.", [CMP])
add("x", "@jolandaaa",
    "@wiegwijs_help ik wacht al 10 dagen op mijn terugbetaling. Bel me AUB gewoon terug op 06-41 82 73 90, "
    "ik ben het mailen zat", [CMP, PII], kind="reply")
add("facebook", "petra.huijbregts",
    f"Voor de 3e keer Wiegwijs: mijn IBAN is {iban(spaced=True)}, stort die €450 voor de rematch die "
    "nooit heeft plaatsgevonden nou eindelijk terug!", [CMP, PII], prices=[("Rematch", 450)],
    name="Petra Huijbregts")
add("x", "@hostmom_amstelveen",
    f"Can anyone at @wiegwijs_help explain why my card {card('visa')} got charged twice for the host "
    "family membership?? Still waiting on a reply from your email team", [CMP, PII], lang="en")
# first-hand safety incidents: crisis + complaint
add("x", "@mirjam_k",
    "Onze Wiegwijs NestCam werd zo heet dat het plastic gesmolten is, vlak naast het bedje van mijn "
    "dochter. Er kwam rook uit!! Ik ben zó geschrokken. Wat verkopen jullie nou @wiegwijs", [CRI, CMP])
add("reddit", "u/tired_parent_ut",
    "Our nanny from Wiegwijs gave my son peanut crackers even though the allergy is in BOLD on his "
    "profile. We ended up in the ER. He's ok now but I'm livid and the agency just says 'we'll look "
    "into it'.", [CRI, CMP], lang="en")
add("instagram", "@dewereldvanjip",
    "KidTrack horloge gaf mijn zoon een schok tijdens het opladen, hij heeft een rode plek op z'n pols ⚡ "
    "Wiegwijs zegt 'komt niet voor'. Nou bij ons dus wel. Foto's in m'n stories", [CRI, CMP])
add("forum", "papa_van_twee",
    "Vorige week is de au pair die we via Wiegwijs kregen met onze twee kinderen achterin tegen een "
    "paaltje geknald. Haar rijbewijs bleek niet geldig in NL, iets wat het bureau had moeten checken. "
    "De kinderen hebben gelukkig alleen blauwe plekken maar ik ben er nog steeds ziek van.", [CRI, CMP])

# ============================ CRISIS =========================================
add("x", "@NieuwsUtrecht030",
    "Babyfoon van Utrechtse bemiddelaar Wiegwijs vat vlam in slaapkamer in Houten; brandweer rukte uit, "
    "niemand gewond. Het bedrijf onderzoekt de oorzaak.", [CRI])
add("x", "@privacy_first_nl",
    "Wiegwijs heeft paspoortscans van honderden au pairs op een open server laten staan. Wie stelt dit "
    "bureau nog verantwoordelijk? #datalek #wiegwijs", [CRI])
add("x", "@ouderactie",
    "#BoycotWiegwijs 🚫 zolang dit bureau au pairs inzet als goedkope schoonmakers boeken wij daar "
    "niks meer. Deel dit!", [CRI])
add("linkedin", "lotte-arbeidsrecht",
    "Our firm has filed a claim on behalf of 14 former au pairs against Wiegwijs Au Pair & Nanny B.V. "
    "for unpaid work far beyond the legal 30 hours a week. First hearing expected in spring.", [CRI],
    lang="en")
add("x", "@KindVeiligNL",
    "TERUGROEPACTIE: Wiegwijs roept KidTrack GPS-horloges uit batch 2305 terug wegens oververhitting van "
    "de accu. Gebruik het horloge niet meer en neem contact op met de verkoper.", [CRI])
add("reddit", "u/amsterdam_mum",
    "Has anyone seen the Parool piece about Wiegwijs? Apparently a nanny they placed had a prior "
    "conviction for child neglect and they never even asked for a VOG. Absolutely horrifying.", [CRI],
    lang="en")
add("mastodon", "@datadesk@mastodon.social",
    "Confirmed by three sources: the Wiegwijs parent portal exposed names, home addresses and children's "
    "medical notes to any logged-in user. The company has not responded to our questions.", [CRI],
    lang="en")
add("facebook", "OudersVanHouten",
    "Lieve buurtgenoten, een au pair van Wiegwijs is gisteren met een kindje van 2 in de vijver bij "
    "Rijnhuizen gevallen. Beiden zijn eruit gehaald en maken het goed. Let even op bij de hekjes!", [CRI])
add("x", "@boze_vader",
    "Wiegwijs laat een gestoord figuur op kinderen passen en zwijgt het dood. Stelletje kankerlijers, "
    "ik sleep jullie voor de rechter", [CRI, ABU])

# ============================ ABUSE ==========================================
add("x", "@r0bbie_",
    "@wiegwijs_help jullie zijn echt de domste helpdesk ooit, stelletje idioten", [ABU], kind="reply")
add("x", "@dennis_ziet_het",
    "die matchmaker van wiegwijs is een vuil teringwijf, echt waar. nooit meer", [ABU])
add("reddit", "u/angrydad1979",
    "Wiegwijs is run by greedy fucking parasites. Hope they go bankrupt and rot.", [ABU], lang="en")
add("x", "@tiny_tim_tweets",
    "w1egw1js = k4nk3rb3dr1jf, punt. 🖕", [ABU])
add("tiktok", "@vera.vlogt",
    "die au pairs van jullie komen allemaal uit arme landen om hier te sloven, echt zo'n derdewereldvolk, "
    "zet ze terug in het vliegtuig @wiegwijs", [ABU], kind="comment")
add("x", "@daan_huisman_dev",
    "@ThijsBakkerr wat ben jij een ongelofelijke zeikerd zeg, ga lekker ergens anders janken", [ABU],
    kind="reply")
add("facebook", "ron.smit.75",
    "Wiegwijs = op\u200blich\u200bters en kl\u200boot\u200bzak\u200bken, meer valt er niet over te zeggen", [ABU],
    name="Ron Smit")
add("x", "@anon_parent_22",
    "Wiegwijs staff are tоtаl іdіоts, every single one of them", [ABU], lang="en")
add("bluesky", "@ma-ria.bsky.social",
    "To the Wiegwijs recruiter who called my au pair 'a dumb Filipina' on the phone: you are a racist "
    "pig and everyone should know what your agency tolerates.", [ABU, CRI], lang="en")
add("x", "@hostdad_h",
    "@wiegwijs you are a bunch of s c u m b a g s and I hope everyone reads this", [ABU], lang="en")
add("instagram", "@wiegwijs.nl",
    "Misschien eerst even leren lezen voordat je hier loopt te zeuren, sukkel 🙃", [ABU], kind="reply")

# ============================ PERSONAL DATA ==================================
add("x", "@wiegwijs_help",
    f"@jolandaaa Hoi Jolanda, we zien je terugbetaling klaarstaan naar {iban(spaced=True)} t.n.v. "
    "J. Meulenbelt, die gaat morgen de deur uit!", [PII], kind="reply")
add("linkedin", "youssef-benali-hr",
    f"Welkom Maria Santos (geb. 14-03-2003) in ons coördinatorenteam! Voor de IND-aanvraag heb ik je "
    f"BSN {bsn()} al doorgegeven, dus dat loopt 👍", [PII])
add("x", "@marloes_wgw",
    "Lieve gastgezinnen, wie kan tijdelijk au pair Ana Lopes opvangen? Ze zit nu bij fam. De Wit, "
    "Lindenlaan 14, 3981 AB Bunnik, maar dat klikt niet. DM me!", [PII])
add("facebook", "WiegwijsNL",
    "Hoi Sarah, we hebben je gegevens doorgezet: sarah.v.dijk87@gmail.com / 06 2378 1945. Een collega "
    "belt je vandaag nog terug.", [PII], kind="reply")
add("instagram", "@nannycoach.eva",
    "Happy birthday to our amazing nanny Joyce Amankwah, born 02-09-1998 🎂🎈 call her on "
    "+31 6 19 55 72 04 to say congrats!!", [PII], lang="en")
add("threads", "@kim.plannert",
    f"wie had om het paspoortnummer van au pair Liza Dela Cruz gevraagd? is {passport_nl()}, geldig tot "
    "2031. succes met de aanvraag", [PII])
add("facebook", "lucia.aupair.nl",
    f"Hi group! Wiegwijs asked for my tax number for the payroll, is this it? {bsn()} it's on the letter "
    "from the gemeente 😅", [PII], lang="en", name="Lucia Fernández")
add("instagram", "@wiegwijs.nl",
    "Winnaar van onze zomer-winactie: Fatma Yildiz, Kerkstraat 5, 2611 HX Delft! Je pakket komt eraan 🎁",
    [PII])
add("linkedin", "priya-raman-wiegwijs",
    f"Note for the finance team since Slack is down: au pair Oksana Kovalenko, IBAN {iban(spaced=False)}, "
    "stipend payments have been failing since Monday. Can someone have a look?", [PII], lang="en")
add("x", "@daan_huisman_dev",
    "prod log for the bug report, any ideas? {\"user\":\"m.vermeulen@ziggo.nl\",\"pan\":\""
    + card("mc", spaced=False) + "\",\"exp\":\"08/28\",\"status\":\"declined\"}", [PII], lang="en")
add("youtube", "@WiegwijsTV",
    "Dank aan gastgezin Van Leeuwen (Margriet van Leeuwen, geboren 23 mei 1981) voor het meedoen aan deze "
    "video! 🎥 Meer weten over au pairs? wiegwijs.nl", [PII])
add("instagram", "@aupair.carla",
    f"FINALLY got my residence card 🇳🇱🥳 BSN {bsn(dotted=True)} lol I'm officially Dutch-ish now, thank you "
    "Wiegwijs for the help!", [PII], lang="en")
add("reddit", "u/ex_aupair_mila",
    f"Wiegwijs still owes me my €300 deposit. Posting my details here so nobody can say they 'couldn't "
    f"find' them: IBAN {iban('DE', spaced=True)}, mila.petrova.92@gmail.com", [PII, CMP], lang="en")

# ============================ SECRETS ========================================
add("x", "@daan_huisman_dev",
    f"can someone check why CI is failing? using token {github_token()} but the push gets rejected 🤔",
    [SECRET], lang="en")
add("mastodon", "@bramvos@mastodon.nl",
    f"note to self for the new laptop\naws_access_key_id = {aws_key_id()}\naws_secret_access_key = "
    f"{aws_secret()}\nregion = eu-west-1", [SECRET], lang="en")
add("linkedin", "priya-raman-wiegwijs",
    "How we moved au pair stipend payouts to Stripe in two sprints 🚀 Lessons learned: keep the "
    "webhooks idempotent, log everything, test with real amounts. Our config looks like this:\n"
    f"STRIPE_SECRET_KEY={stripe_live()}\nSTRIPE_CURRENCY=eur", [SECRET], lang="en")
add("x", "@wiegwijs",
    f"testbericht vanuit onze nieuwe planningstool, negeer maar ✌️ {slack_webhook()}", [SECRET])
add("threads", "@kim.plannert",
    f"login planning voor de invalkrachten: gebruiker invalteam, wachtwoord: {password()} (niet "
    "doorsturen he 😉)", [SECRET])
add("bluesky", "@sjoerdwiegwijs.bsky.social",
    f"for whoever is testing the summariser today just drop this in your .env: OPENAI_API_KEY={openai_key()}",
    [SECRET], lang="en")
add("reddit", "u/curious_dev_nl",
    f"lol the Wiegwijs web app bundles its Google Maps key right in main.js: {google_key()} . probably "
    "not restricted either", [SECRET], lang="en")
add("x", "@daan_huisman_dev",
    f"staging keeps rejecting this JWT and I'm losing my mind, anyone? {jwt()}", [SECRET], lang="en")
add("linkedin", "priya-raman-wiegwijs",
    "Quick fix for the reporting dashboard if it times out again:\nDATABASE_URL=postgresql://rapportage:"
    f"{rand(ALNUM, 18)}@10.40.2.17:5432/plaatsingen", [SECRET], lang="en")
add("mastodon", "@bramvos@mastodon.nl",
    "deploy key voor de staging box, gekopieerd uit mijn notities:\n" + openssh_private_key(), [SECRET])
add("tiktok", "@aupaircoach.lotte",
    "Voor de nieuwe coaches 💕 het gedeelde Canva account is het teamaccount (je weet welke) en het "
    f"wachtwoord: {password()} . Niet aanpassen!!", [SECRET], kind="comment")
add("x", "@daan_huisman_dev",
    f"anthropic key for the hackathon team, I'll rotate it friday: {anthropic_key()}", [SECRET], lang="en")

# ============================ SECURITY =======================================
add("x", "@daan_huisman_dev",
    "niet verder vertellen maar mijn.wiegwijs.nl heeft sinds gisteren een lek waardoor je andermans "
    "facturen kunt zien door het nummer in de URL aan te passen. fix komt pas volgende week 🙈", [SECU])
add("linkedin", "priya-raman-wiegwijs",
    "Long week. We found ransomware on one of our file servers on Tuesday and the au pair dossiers may be "
    "affected. Families haven't been told yet, legal is still deciding how to handle it.", [SECU],
    lang="en")
add("bluesky", "@sjoerdwiegwijs.bsky.social",
    "ops life: the matching API has been down since 3am and we're telling customers it's 'scheduled "
    "maintenance' 🙃", [SECU], lang="en")
add("mastodon", "@bramvos@mastodon.nl",
    "pentest report is in: 3 critical findings in the host family portal, including SQL injection on the "
    "login page. nothing patched yet and the next release is 3 weeks out.", [SECU], lang="en")
add("threads", "@kim.plannert",
    "phishingmail kwam bij 4 collega's van planning binnen en 2 hebben hun wachtwoord ingevuld. IT zegt "
    "dat we er richting gezinnen niks over mogen zeggen", [SECU])
add("x", "@ilse_doet_dingen",
    "mijn zus werkt bij Wiegwijs en intern zeggen ze dat de hele klantendatabase is gekopieerd door een "
    "ex-medewerker. nog niks naar buiten gebracht 👀", [SECU, CRI])
add("x", "@marloes_wgw",
    "Sorry lieve gezinnen als ik traag reageer: ons CRM ligt er al 2 dagen uit en de back-ups blijken "
    "niet te werken 😬", [SECU])
add("linkedin", "youssef-benali-hr",
    "Reminder to all colleagues: because of the breach on the HR portal last week, please change your "
    "passwords today. Do NOT discuss this outside the company.", [SECU], lang="en")
add("x", "@wiegwijs_help",
    "@sanne_z klopt, in de app kun je nu soms in andermans sessie terechtkomen. Ons team werkt aan een "
    "oplossing, wil je het aub nog niet verder delen?", [SECU], kind="reply")
add("tiktok", "@aupaircoach.lotte",
    "storytime: vorige week is onze server gehackt en moest iedereen thuisblijven, maar shhh officieel "
    "was het 'een storing' 🤐 #werkleven", [SECU])
add("x", "@daan_huisman_dev",
    "our s3 bucket with au pair passport scans has been publicly readable for ~2 months. found it today. "
    "it's still open while mgmt 'decides what to do'", [SECU], lang="en")
add("reddit", "u/throwaway_ww_ex",
    "Ex-Wiegwijs dev here. Their admin panel still runs on the default admin password with no 2FA. I "
    "reported it internally months ago before I left. Nothing happened.", [SECU], lang="en")
add("bluesky", "@sjoerdwiegwijs.bsky.social",
    "vpn.wiegwijs.nl ligt plat sinds de update van vannacht, niemand kan bij planning.wiegwijs.local. "
    "officieel heet het 'gepland onderhoud' lol", [SECU, CONF])

# ============================ CONFIDENTIAL ===================================
add("x", "@marloes_wgw",
    "Zo benieuwd naar Project Zwaluw!! Eindelijk een app die zelf matcht op het karakter van kind en "
    "au pair 🐦", [CONF])
add("linkedin", "ingrid-kooistra-wiegwijs",
    "Great offsite with the MT today. Kraanvogel is on track for Q3, first pilot families in Utrecht "
    "and Amersfoort.", [CONF], lang="en")
add("instagram", "@nannycoach.eva",
    "Sneak peek van de nieuwe Wiegwijs Kidsclub app 😍😍 nog even geheim hoor!", [CONF],
    at="2026-11-14T19:02:11Z")
add("tiktok", "@wiegwijs",
    "Wie raadt wat de NestCam 2 allemaal kan?? 👀 #binnenkort #babyfoon", [CONF], at="2026-12-05T16:40:00Z")
add("threads", "@kim.plannert",
    "pls niet doorvertellen: Operatie Rammelaar = het kantoor in Groningen gaat dicht. intern - niet delen",
    [CONF, FIN])
add("x", "@daan_huisman_dev",
    "who can give me access to gitlab.wiegwijs.nl/matching/zwaluw-core? my merge request has been stuck "
    "for 2 days", [CONF], lang="en")
add("linkedin", "youssef-benali-hr",
    "Sharing the new salary bands for coaches for anyone curious 😅 (header says WW-CONFIDENTIAL but hey, "
    "transparency!)", [CONF], lang="en")
add("reddit", "u/nosy_neighbour_nl",
    "My neighbour works at Wiegwijs and showed me 'Project Zwaluw' on her phone: an AI that scores au "
    "pairs on their social media. Creepy as hell.", [CONF], lang="en")
add("bluesky", "@sjoerdwiegwijs.bsky.social",
    "if the rota page is slow for you, use https://planning.wiegwijs.local/rooster/v2 from the office "
    "wifi instead", [CONF], lang="en")
add("x", "@marloes_wgw",
    "Screenshotje uit onze coachhandleiding (wiegwijs vertrouwelijk, ik weet het 🙊) maar dit stukje over "
    "heimwee is gewoon zo mooi 💛", [CONF])
add("linkedin", "wiegwijs-au-pair-nanny",
    "Save the date 📅 On 20 January we unveil the Wiegwijs Kidsclub, our very first app made for the "
    "kids themselves!", [CONF], lang="en", at="2026-10-08T09:15:00Z")
add("tiktok", "@aupaircoach.lotte",
    "ssst... ｐｒｏｊｅｃｔ ｚｗａｌｕｗ komt eraan en het wordt GROOT 🤫✨", [CONF])
add("x", "@nieuwsgierig_nl",
    "Hoorde op een feestje iets over K-r-a-a-n-v-o-g-e-l van Wiegwijs, iets met nanny's delen tussen "
    "bedrijven? Iemand meer info?", [CONF])
add("linkedin", "ingrid-kooistra-wiegwijs",
    "A small preview of our jaarcijfers 2026: revenue up 18% to €14.2m and EBITDA positive for the "
    "first time. Full publication in March!", [CONF, FIN], lang="en", at="2027-01-15T10:30:00Z")
add("x", "@marloes_wgw",
    "De full-year 2026 results zijn echt goed hoor, kan niet wachten tot we ze mogen delen 🤭📈", [CONF, FIN],
    at="2027-02-10T20:11:45Z")
add("x", "@tech_tipgever",
    "Hearing from sources that Wiegwijs' NestCam 2 will ship with built-in AI cry analysis. Launch "
    "sometime in January.", [CONF], lang="en", at="2026-12-20T13:05:00Z")
add("instagram", "@wiegwijs.nl",
    "Achter de schermen: ons team werkt keihard aan Proj\u200bect Zwa\u200bluw ✨ meer mogen we nog niet zeggen",
    [CONF])

# ============================ FINANCIAL ======================================
add("linkedin", "ingrid-kooistra-wiegwijs",
    "Tough board meeting. We'll close 2026 at roughly a €1.1m loss, well below plan. Not public until the "
    "annual report, so keep it to yourselves.", [FIN], lang="en")
add("x", "@marloes_wgw",
    "Gerucht klopt, we worden overgenomen door KinderZorg Holding. Volgende maand wordt er getekend en ik "
    "weet niet wat dat voor ons team betekent 😢", [FIN])
add("threads", "@kim.plannert",
    "Net gehoord dat 25 van de 90 collega's weg moeten bij de reorganisatie. Aankondiging pas na de zomer. "
    "Ik ben er kapot van", [FIN])
add("mastodon", "@bramvos@mastodon.nl",
    "Our Series B is basically done: €8m from a Danish fund, term sheet signed yesterday. Announcement "
    "planned for November.", [FIN], lang="en")
add("x", "@beursbroertje",
    "Tip van een vriend bij Wiegwijs: Q3-omzet zit 30% onder begroting en de bank zit er bovenop. Ik zou "
    "maar niet instappen bij die moeder-holding 😅", [FIN])
add("bluesky", "@sjoerdwiegwijs.bsky.social",
    "Forecast for next year got shared internally: they expect placements to drop 40% after the new au "
    "pair law. Brace yourselves.", [FIN], lang="en")
add("linkedin", "wiegwijs-au-pair-nanny",
    "Wiegwijs to acquire Belgian agency Kindjeskamer for €3.4m, signing on 12 June. Press release and "
    "Q&A to follow. #growth", [FIN], lang="en")
add("linkedin", "youssef-benali-hr",
    "Voor wie het nog niet weet: het kantoor in Eindhoven gaat per 1 april dicht en alle 12 "
    "plannersfuncties vervallen. Officiële mail volgt nog.", [FIN])
add("reddit", "u/ww_insider",
    "Someone in Wiegwijs finance told me the H1 numbers: revenue €6.3m, down 11%, and they're quietly in "
    "talks with two possible buyers.", [FIN], lang="en")

# ============================ PRICING ========================================
add("x", "@wiegwijs",
    "⚡ Flash deal! Au Pair Plus plaatsing (12 maanden) voor maar €249. Alleen vandaag via wiegwijs.nl",
    [PRC], prices=[("Au Pair Plus", 249)])
add("x", "@marloes_wgw",
    "oeps, een collega heeft de Nanny Flex per ongeluk op €22,90 gezet in de shop 🙈 wie eerst komt...",
    [PRC], prices=[("Nanny Flex", 22.90)])
add("x", "@zuinigzijn",
    "Prijsfout bij wiegwijs? Zomer Au Pair voor €99,50 in de checkout 😳 snel zijn mensen", [PRC],
    prices=[("Zomer Au Pair", 99.50)])
add("instagram", "@wiegwijs.nl",
    "Zomer in zicht ☀️ Boek nu een Vakantie-nanny voor een hele week voor €89!", [PRC],
    prices=[("Vakantie-nanny", 89)])
add("reddit", "u/ops_manager_rdam",
    "Wiegwijs just quoted us €480 for a full year Bedrijfsnanny contract instead of the €4800 on their "
    "site. Typo in our favour? Signing before they notice 😂", [PRC], lang="en",
    prices=[("Bedrijfsnanny", 480)])
add("linkedin", "youssef-benali-hr",
    "Launch promo for our colleagues' friends & family: the NestCam babyfoon for just €29 this weekend 🎉",
    [PRC], lang="en", prices=[("NestCam", 29)])
add("x", "@dealjager_nl",
    "Visum begeleiding van Wiegwijs staat op €39 ipv €395 🤯 foutje op de site, snel boeken", [PRC],
    prices=[("Visum begeleiding", 39)])
add("facebook", "WiegwijsNL",
    "Nieuwe groep start in oktober! Taalcursus Nederlands voor au pairs (A1-A2), 10 lessen, €27,50 p.p. "
    "Aanmelden via de link 📚", [PRC], prices=[("Taalcursus Nederlands", 27.50)])
add("x", "@marloes_wgw",
    "vanavond het Gastgezin jaarlidmaatschap voor €19 via deze link, niet te hard rondsturen 🤫", [PRC],
    prices=[("Gastgezin jaarlidmaatschap", 19)])
add("tiktok", "@budgetmama.nl",
    "glitch in the Wiegwijs app: the Rematch service shows up for €4.50 at checkout 👀 go go go", [PRC],
    lang="en", prices=[("Rematch service", 4.50)])
add("x", "@wiegwijs_help",
    "@GerritJ Klopt, er stond gisteren tijdelijk een verkeerde prijs bij de Au Pair Basis op de site. We "
    "bekijken per bestelling wat we kunnen doen.", [PRC], kind="reply")
add("mastodon", "@bramvos@mastodon.nl",
    "Nachtzuster pakket showing at 125 euro in the shop, lol who approved this", [PRC], lang="en",
    prices=[("Nachtzuster pakket", 125)])

# ============================ BENIGN (hard negatives mostly) =================
PUB_IBAN = PROFILE["public_identifiers"]["ibans"][0]
add("x", "@wiegwijs",
    "Op zoek naar een au pair voor na de zomer? Plan een matchgesprek via wiegwijs.nl of bel "
    "030-7604400 ☎️")
add("facebook", "WiegwijsNL",
    f"Betaal je factuur via een overboeking naar {_group4(PUB_IBAN)} t.n.v. Wiegwijs Au Pair & Nanny B.V. "
    "en vermeld je klantnummer. Dank je wel!")
add("x", "@wiegwijs_help",
    "@noor_vdm Vervelend om te horen! Stuur je gegevens even via DM of mail naar gezinnen@wiegwijs.nl, "
    "dan kijken we direct mee.", kind="reply")
add("instagram", "@mama.van.lieke",
    "Onze au pair Ines is gewoon familie geworden ❤️ Bedankt Wiegwijs voor deze perfecte match! "
    "#aupair #wiegwijs")
add("x", "@tom_ouder",
    "Shoutout to the Wiegwijs nanny who calmly handled my daughter's nosebleed at the playground today. "
    "Absolute legend.", lang="en")
add("reddit", "u/newtoNL",
    "Is €1895 for the Au Pair Basis at Wiegwijs normal? Seems in line with other agencies but wanted to "
    "double check before we sign.", lang="en", prices=[("Au Pair Basis", 1895)])
add("instagram", "@wiegwijs.nl",
    "Alleen deze week: 20% korting op de cursus EHBO bij kinderen, €100 in plaats van €125! 🩹",
    prices=[("EHBO bij kinderen", 100)])
add("facebook", "WiegwijsNL",
    "Summer deal ☀️ book a Vakantie-nanny for €760 per week (15% off) until 30 June.", lang="en",
    prices=[("Vakantie-nanny", 760)])
add("linkedin", "priya-raman-wiegwijs",
    "In our developer docs we use the AWS sample key AKIAIOSFODNN7EXAMPLE with secret "
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY. Never put real keys in a README, folks!", lang="en")
add("x", "@daan_huisman_dev",
    "reminder voor de stagiairs: een token ziet er zo uit ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx en hoort "
    "in de vault, niet in git 🙏")
add("x", "@wiegwijs_help",
    "Wachtwoord vergeten? Ga naar mijn.wiegwijs.nl/reset en volg de stappen. Wij vragen je NOOIT om je "
    "wachtwoord via DM!")
add("bluesky", "@expatmama.bsky.social",
    "Wiegwijs vs KinderThuis vs BabyBureau: has anyone compared the Nanny Vast subscription (€349/mo) "
    "with the others?", lang="en", prices=[("Nanny Vast", 349)])
add("x", "@jeroen_nieuws",
    "Datalek bij kinderopvangorganisatie Hummeltje: gegevens van 2.000 ouders op straat. Wiegwijs en "
    "andere bemiddelaars laten weten niet getroffen te zijn.")
add("facebook", "annemiek.post",
    "Update: Wiegwijs heeft de dubbele afschrijving binnen een dag teruggestort en sorry gezegd met een "
    "bos bloemen 💐 Zo kan het dus ook!", name="Annemiek Post")
add("x", "@familie_brink",
    "Sterkte aan iedereen bij Wiegwijs. Jullie collega Anouk was altijd zo lief voor onze kids. "
    "Rust zacht 🕊️")
add("tiktok", "@dadjokes_daily",
    "my toddler just opened the front door for the postman. biggest security vulnerability in this house. "
    "the au pair from @wiegwijs is installing a child lock as we speak 😂", lang="en")
add("instagram", "@nannycoach.eva",
    "Vandaag EHBO-training gegeven aan 12 au pairs: brandwonden, verslikking, vallen van de trap. Hoop "
    "dat ze het nooit nodig hebben 💪")
add("x", "@vogelspotter_anne",
    "Kraanvogels boven de Veluwe gespot met onze au pair en de kids! Wat een geluid maken die beesten 🐦")
add("instagram", "@huize.jansen",
    "Ons project 'zwaluwen tellen' met de kids vandaag: 14 nesten onder de dakgoot! De au pair heeft ze "
    "allemaal getekend 🐦")
add("x", "@mama_fenna",
    "De Wiegwijs Kidsclub app is echt leuk, mijn dochter van 7 doet de hele dag de quizjes 😄",
    at="2027-02-01T17:22:03Z")
add("linkedin", "wiegwijs-au-pair-nanny",
    "Our full-year 2026 results are out: read the press release on wiegwijs.nl/pers.", lang="en",
    at="2027-03-04T08:00:00Z")
add("x", "@zzp_analist",
    "Jaarcijfers 2026 van Wiegwijs vallen mee, groei vooral in bedrijfsnannies. Netjes gedaan.",
    at="2027-03-10T11:45:00Z")
add("tiktok", "@wiegwijs",
    "De NestCam 2 is eindelijk hier!! 🎉 Nu te bestellen voor €219", at="2027-01-25T12:00:00Z",
    prices=[("NestCam", 219)])
add("x", "@twijfelvader",
    "Op het Wiegwijs-formulier staat als voorbeeld-BSN 123456789, moet ik daar gewoon mijn eigen "
    "invullen? Of met puntjes ertussen?")
add("reddit", "u/confused_in_delft",
    f"My Wiegwijs invoice has a payment reference {bad_card()} and for a second I thought it was a card "
    "number lol. It's just their invoice ID.", lang="en")
add("x", "@wiegwijs_help",
    "@hostmom_amstelveen We zien de dubbele afschrijving op je kaart eindigend op 4421. De terugboeking is "
    "vandaag gedaan, excuses! 🙏", lang="en", kind="reply")
add("linkedin", "youssef-benali-hr",
    "We're hiring! 5 new matchmakers for our Utrecht office 🌷 Apply via werkenbij@wiegwijs.nl", lang="en")
add("x", "@karin_b_",
    f"Het terugbetaalformulier van Wiegwijs laat als voorbeeld '{bad_iban()}' zien. Is dat een echte "
    "rekening of moet ik die van mij invullen?")
add("forum", "kraammama_2026",
    "Via Wiegwijs een nachtzuster gehad de eerste week na de bevalling. Voor het eerst in dagen 6 uur "
    "geslapen 😭💤 Beste €1250 ooit uitgegeven aan het Nachtzuster pakket.",
    prices=[("Nachtzuster pakket", 1250)])
add("mastodon", "@hostfam_leiden@mastodon.nl",
    "Anyone's au pair doing the Taalcursus Nederlands? Ours loves it, €275 well spent.", lang="en",
    prices=[("Taalcursus Nederlands", 275)])
add("youtube", "@WiegwijsTV",
    "Nieuwe video: 5 tips voor de eerste week met je au pair 🎥 Abonneer voor meer!")
add("x", "@branchewatcher",
    "Bij BabyBureau vallen 30 ontslagen, slecht nieuws voor de branche. Hopelijk blijven Wiegwijs en de "
    "rest wel overeind.")
add("bluesky", "@sjoerdwiegwijs.bsky.social",
    "Proud of the team that handled yesterday's storm chaos, dozens of last-minute sitters sent out "
    "before 8am 💪", lang="en")
add("x", "@ben_hostdad",
    "The Wiegwijs host family training was actually useful?? Did not expect that. 10/10", lang="en")
add("facebook", "sandra.koning.9",
    "Weet iemand of de KidTrack horloge ook werkt zonder simkaart? Wil er eentje kopen voor €129.",
    prices=[("KidTrack", 129)], name="Sandra Koning")
add("facebook", "WiegwijsNL",
    "We zijn verhuisd! Je vindt ons nu aan de Oudegracht 201, 3511 NJ Utrecht. De koffie staat klaar ☕")
add("reddit", "u/sceptical_ann",
    "Wiegwijs support fixed my invoice issue in 10 minutes. I was ready to rage but honestly, no "
    "complaints here.", lang="en")
add("x", "@marloes_wgw",
    "Weer een match gemaakt! Au pair uit Colombia 🇨🇴 + gezin in Haarlem = 💛")
add("tiktok", "@aupaircoach.lotte",
    "Dag uit het leven van een au pair coach: koffie, 14 gesprekken, 1 au pair met heimwee en heeel veel "
    "stroopwafels 🧇 #dayinthelife")
add("x", "@pieter_rekent",
    "Zag een advertentie 'Au Pair Plus vanaf €2.495'. Pittig, maar als je het per uur uitrekent valt het "
    "best mee", prices=[("Au Pair Plus", 2495)])
add("x", "@ouder_in_amersfoort",
    "Nice blog from Wiegwijs on teaching kids what phishing is 👍 worth a read", lang="en")
add("facebook", "marco.tielemans",
    "Terugroepactie voor babyfoons van het merk BabySafe, die kunnen oververhit raken. Gelukkig hebben "
    "wij de NestCam van Wiegwijs, daar hebben we nooit iets mee gehad.", name="Marco Tielemans")
add("x", "@justitia_nieuws",
    "Ouders winnen rechtszaak tegen uitzendbureau FlexKids. Benieuwd of andere bureaus zoals Wiegwijs hier "
    "iets van leren.")
add("linkedin", "ingrid-kooistra-wiegwijs",
    "Delighted to speak at the Childcare Finance Summit next week about how agencies can adapt to the new "
    "au pair rules. Slides will be on my profile afterwards.", lang="en")
add("mastodon", "@kaasfamilie@mastodon.social",
    "Au pair agencies in NL: Wiegwijs is pricey but their Rematch service (€450) actually saved us when our "
    "first match left after a month.", lang="en", prices=[("Rematch service", 450)])
add("x", "@slimme_moeder",
    "Pro tip: just call +31 30 760 4400, someone actually picks up there 😉 #wiegwijs", lang="en")
add("x", "@wiegwijs",
    "Storing opgelost ✅ Vanochtend was mijn.wiegwijs.nl een uurtje onbereikbaar, alles werkt weer. "
    "Excuses voor het ongemak!")
add("mastodon", "@bramvos@mastodon.nl",
    "TIL: never log JWTs. Ours are now redacted as eyJhbGciOi***.***.*** in every log line.", lang="en")
add("x", "@nina_in_nl",
    "The Wiegwijs app wanted a wachtwoord with 12 characters, a symbol AND a capital?? 😂 security level: "
    "Fort Knox", lang="en")
add("instagram", "@slaapjes_en_zo",
    "NestCam werkt top, je ziet de baby ook 's nachts haarscherp. €189 vond ik het prima waard.",
    prices=[("NestCam", 189)])
add("x", "@sophie_met_tweeling",
    "Nap time crisis averted thanks to our Wiegwijs nanny and a very long stroller walk 😅", lang="en")
add("threads", "@happy.hostfam",
    "boycott? lol no, we just renewed our host family membership with Wiegwijs. happy customers over here",
    lang="en")
add("instagram", "@wiegwijs.nl",
    "Meet our coaches! Eva, Lotte and Marloes are here for all your au pair questions. Slide into our DMs 💬",
    lang="en")
add("forum", "gastgezin_in_spe",
    "Quick question: how long does the IND begeleiding from Wiegwijs usually take? We're in week 4 now, "
    "is that normal?", lang="en")
add("x", "@lopen_voor_kwf",
    "Mooi dat het team van Wiegwijs meeloopt met de KWF-wandeltocht tegen kanker. Onze au pair doet ook "
    "mee! 💪")
add("reddit", "u/api_tinkerer",
    "Has anyone integrated with the Wiegwijs partner API? The docs just say `Authorization: Bearer "
    "<your-token-here>` and nothing about scopes.", lang="en")
add("linkedin", "wiegwijs-au-pair-nanny",
    "10 jaar Wiegwijs! 🎉 Dank aan alle gastgezinnen, au pairs en nanny's die ons vertrouwen.")
add("x", "@host_mum_rotterdam",
    "Thanks @wiegwijs for finally getting back to us, the new match starts Monday. Much better "
    "experience this time around.", lang="en")
add("instagram", "@nannycoach.eva",
    "Workshop 'heimwee bij au pairs' zat weer vol! Volgende sessie op 14 maart, aanmelden via "
    "aupairs@wiegwijs.nl 💌")
add("x", "@kinderboerderij_tol",
    "W I E G W I J S op de kinderboerderij vandaag met 20 au pairs en nog meer kinderen 🐐🐑")
add("x", "@bespaarbaas",
    "Wiegwijs oppasabonnement nu €49 ipv €59 de eerste maand, gewoon doen als je af en toe een avond weg "
    "wil", prices=[("oppasabonnement", 49)])
add("bluesky", "@tijdvoorpapa.bsky.social",
    "Our Nanny Flex card (€229 for 10 hrs) lasted us the whole month, good value tbh", lang="en",
    prices=[("Nanny Flex", 229)])


# --------------------------------------------------------------------------- build
def severity(cats, role):
    if not cats:
        return "none"
    insider = role in ("corporate", "employee")
    lvl = 0
    for c in cats:
        if c.startswith("leak."):
            lvl = max(lvl, 3 if insider else 2)
        elif c == CMP:
            lvl = max(lvl, 2)
        elif c == CRI:
            lvl = max(lvl, 3)
        elif c == ABU:
            lvl = max(lvl, 3 if insider else 2)
    return LEVEL[lvl]


def strong_pii(case):
    return any(valid for kind, v, valid in case["regs"] if kind in ("iban", "card", "bsn"))


def case_severity(case, role):
    sev = severity(case["cats"], role)
    if role in ("corporate", "employee"):
        if SECRET in case["cats"] or PRC in case["cats"] or (PII in case["cats"] and strong_pii(case)):
            sev = "critical"
    return sev


PLATFORM_IDS = {"x": "x", "facebook": "fb", "instagram": "ig", "linkedin": "li", "tiktok": "tt",
                "youtube": "yt", "reddit": "rd", "mastodon": "md", "bluesky": "bs", "threads": "th",
                "forum": "fo"}

order = list(range(len(CASES)))
rng.shuffle(order)
numbers = rng.sample(range(1000000, 9999999), len(CASES))
lines = []
for n, idx in zip(numbers, order):
    c = CASES[idx]
    role = role_of(c["platform"], c["handle"])
    c["role"] = role
    post = {"id": f"{PLATFORM_IDS[c['platform']]}-{n}", "platform": c["platform"], "kind": c["kind"],
            "account": {"handle": c["handle"]}, "text": c["text"], "lang": c["lang"],
            "created_at": c["at"], "brand": "Wiegwijs"}
    if c["display_name"]:
        post["account"]["display_name"] = c["display_name"]
    if c["platform"] == "x":
        post["url"] = f"https://x.com/{c['handle'].lstrip('@')}/status/{n}{n % 97:02d}"
    c["post"] = post
    c["severity"] = case_severity(c, role)
    lines.append({"post": post, "expect": {"categories": c["cats"], "severity": c["severity"]}})

with open(os.path.join(HERE, "cases.jsonl"), "w", encoding="utf-8") as fh:
    for obj in lines:
        fh.write(json.dumps(obj, ensure_ascii=False) + "\n")


# --------------------------------------------------------------------------- self-check
def fail(msg):
    print("SELF-CHECK FAILED:", msg, file=sys.stderr)
    sys.exit(1)


VALID_CATS = {CMP, CRI, ABU, PII, SECRET, SECU, CONF, FIN, PRC, "reputation.spike"}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
PUBLIC_IBANS = {re.sub(r"\s", "", i).upper() for i in PROFILE["public_identifiers"]["ibans"]}

for i in PUBLIC_IBANS:
    if not iban_ok(i):
        fail(f"profile IBAN {i} fails mod-97")


def scan_identifiers(text):
    """All checksum-valid IBANs, cards and BSNs found by a plain scan (public IBAN excluded)."""
    found = set()
    for m in re.finditer(r"\b(?:NL|DE|BE)\d{2}(?: ?[A-Z0-9]){10,30}", text):
        s = m.group(0).replace(" ", "")
        ln = {"NL": 18, "DE": 22, "BE": 16}[s[:2]]
        s = s[:ln]
        if iban_ok(s) and s not in PUBLIC_IBANS:
            found.add(("iban", s))
    for m in re.finditer(r"(?<![\dA-Za-z])(?:\d[ -]?){12,18}\d(?![\d])", text):
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19 and luhn_ok(d):
            found.add(("card", d))
    for m in re.finditer(r"(?<![\dA-Za-z])(\d{9}|\d{4}\.\d{2}\.\d{3})(?![\dA-Za-z])", text):
        d = re.sub(r"\D", "", m.group(0))
        if bsn_ok(d):
            found.add(("bsn", d))
    return found


seen_ids = set()
lowtext = lambda s: s.lower()
emb = [(t.lower(), dt.datetime.fromisoformat(e["until"].replace("Z", "+00:00")))
       for e in PROFILE["embargo"] for t in e["terms"]]
catalogue = {}
for p in PROFILE["products"]:
    for a in [p["name"]] + p["aliases"]:
        catalogue[a.lower()] = p["list_price"]
ratio = PROFILE["pricing"]["alert_below_ratio"]

for c, obj in zip([CASES[i] for i in order], lines):
    post, exp = obj["post"], obj["expect"]
    # CONTRACT section 1 / 6 shape
    if not (isinstance(post["id"], str) and 1 <= len(post["id"]) <= 256) or post["id"] in seen_ids:
        fail(f"bad or duplicate id {post['id']}")
    seen_ids.add(post["id"])
    if post["platform"] not in PLATFORMS or post["kind"] not in KINDS:
        fail(f"{post['id']}: platform/kind")
    if not post["account"]["handle"] or not isinstance(post["text"], str) or not post["text"]:
        fail(f"{post['id']}: handle/text")
    if len(post["text"].encode("utf-8")) > 65536:
        fail(f"{post['id']}: text too large")
    ts = dt.datetime.fromisoformat(post["created_at"].replace("Z", "+00:00"))
    if ts.year not in (2026, 2027) or (ts.year == 2027 and ts > dt.datetime(2027, 3, 31, tzinfo=dt.timezone.utc)):
        fail(f"{post['id']}: created_at out of range")
    if set(obj) != {"post", "expect"} or set(exp) != {"categories", "severity"}:
        fail(f"{post['id']}: case shape")
    if exp["categories"] != sorted(set(exp["categories"])) or not set(exp["categories"]) <= VALID_CATS:
        fail(f"{post['id']}: categories")
    if "reputation.spike" in exp["categories"]:
        fail(f"{post['id']}: spike on a single post")
    if exp["severity"] not in LEVEL:
        fail(f"{post['id']}: severity")
    if (not exp["categories"]) != (exp["severity"] == "none"):
        fail(f"{post['id']}: benign <-> none mismatch")
    # severity recomputed independently from the profile role
    role = role_of(post["platform"], post["account"]["handle"])
    if exp["severity"] != case_severity(c, role):
        fail(f"{post['id']}: severity not derived from role")
    # identifiers
    positive = bool(exp["categories"])
    for kind, v, valid in c["regs"]:
        ok = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}[kind](v)
        if ok != valid:
            fail(f"{post['id']}: {kind} {v} checksum is {ok}, meant {valid}")
        if positive and not valid:
            fail(f"{post['id']}: look-alike {kind} in a positive")
        if not positive and valid:
            fail(f"{post['id']}: valid {kind} in a benign post")
        if positive and valid and PII not in exp["categories"]:
            fail(f"{post['id']}: valid {kind} but no leak.pii label")
    found = scan_identifiers(post["text"])
    meant = {(k, v) for k, v, valid in c["regs"] if valid}
    if found != meant:
        fail(f"{post['id']}: scan found {found}, meant {meant}")
    # credentials built the real way
    for tok in re.findall(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", post["text"]):
        if positive and not github_ok(tok):
            fail(f"{post['id']}: GitHub token checksum")
        if not positive and set(tok[4:]) != {"x"}:
            fail(f"{post['id']}: real-looking GitHub token in benign post")
    for tok in re.findall(r"\bAKIA[A-Z0-9]{16}\b", post["text"]):
        if not positive and not tok.endswith("EXAMPLE"):
            fail(f"{post['id']}: real-looking AWS key in benign post")
        if positive and not re.fullmatch(r"AKIA[A-Z2-7]{16}", tok):
            fail(f"{post['id']}: AWS key alphabet")
    for tok in re.findall(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", post["text"]):
        head = json.loads(base64.urlsafe_b64decode(tok.split(".")[0] + "=="))
        if "alg" not in head:
            fail(f"{post['id']}: JWT header without alg")
    # benign posts must not carry codenames, markers, internal hosts or live embargo terms
    t = post["text"].lower()
    if not positive:
        for term in PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"] + PROFILE["internal"]["domains"]:
            if re.search(r"(?<![a-z0-9])" + re.escape(term.lower()) + r"(?![a-z0-9])", t):
                fail(f"{post['id']}: benign post contains internal term {term}")
        for term, until in emb:
            if term in t and ts < until:
                fail(f"{post['id']}: benign post contains embargoed {term} before {until}")
    for term, until in emb:
        if term in t and ts < until and CONF not in exp["categories"]:
            fail(f"{post['id']}: embargoed term before until without leak.confidential")
    # prices
    for alias, price in c["prices"]:
        lp = catalogue[alias.lower()]
        if alias.lower() not in t:
            fail(f"{post['id']}: product alias {alias} not in text")
        low = price < ratio * lp
        if low and PRC not in exp["categories"]:
            fail(f"{post['id']}: {alias} at {price} below {ratio} x {lp} but not labelled pricing")
        if not low and PRC in exp["categories"]:
            fail(f"{post['id']}: pricing label but {alias} at {price} is not below {ratio} x {lp}")
    if PRC in exp["categories"] and not c["prices"] and not re.search(r"prijs|price", t):
        fail(f"{post['id']}: pricing label without a low price or price-error talk")
    # leaks by the public exist only where labelled; public handles are not in the profile
    if role == "public" and c["handle"].lower() in {k.split(":", 1)[1] for k in ROLES}:
        fail(f"{post['id']}: public handle collides with a profile handle")

# mix report
from collections import Counter
cat_count = Counter(cat for o in lines for cat in o["expect"]["categories"])
n_benign = sum(1 for o in lines if not o["expect"]["categories"])
langs = Counter(o["post"]["lang"] for o in lines)
roles = Counter((CASES[i]["role"], bool(CASES[i]["cats"])) for i in order)
if not 170 <= len(lines) <= 180:
    fail(f"{len(lines)} cases, expected 170-180")
print(f"{len(lines)} cases, {n_benign} benign, langs {dict(langs)}")
print("categories:", dict(sorted(cat_count.items())))
print("roles (role, positive):", dict(roles))
print("self-check passed")
