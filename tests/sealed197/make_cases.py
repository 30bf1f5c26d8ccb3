#!/usr/bin/env python3
"""Sealed evaluation set 197 for postwatch: Hamerhof Bouwmarkten (fictional Dutch DIY chain).

Deterministic: fixed seed, standard library plus PyYAML. Writes cases.jsonl next to this
file and self-checks it against CONTRACT sections 3, 4 and 6.
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
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))
rng = random.Random(197_2026)

# --------------------------------------------------------------------------------------
# identifier generators (valid ones and look-alikes that fail their checksum)
# --------------------------------------------------------------------------------------
ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(bank):
    acct = "".join(rng.choice(string.digits) for _ in range(10))
    s = bank + acct + "NL00"
    n = int("".join(str(int(c, 36)) for c in s))
    return f"NL{98 - n % 97:02d}{bank}{acct}"


def bad_iban(bank):
    while True:
        v = make_iban(bank)
        b = v[:-1] + str((int(v[-1]) + rng.randint(1, 9)) % 10)
        if not iban_ok(b):
            return b


def group4(s):
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
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for c in string.digits:
        if luhn_ok(body + c):
            return body + c
    raise AssertionError


def bad_card(prefix, length=16):
    v = make_card(prefix, length)
    return v[:-1] + str((int(v[-1]) + rng.randint(1, 9)) % 10)


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9:
        return False
    w = [9, 8, 7, 6, 5, 4, 3, 2, -1]
    return sum(int(c) * k for c, k in zip(s, w)) % 11 == 0 and s != "000000000"


def make_bsn():
    while True:
        s = str(rng.randint(1, 9)) + "".join(rng.choice(string.digits) for _ in range(8))
        if bsn_ok(s):
            return s


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def gh_token(prefix="ghp_"):
    body = "".join(rng.choice(ALNUM) for _ in range(30))
    return prefix + body + b62(zlib.crc32(body.encode())).rjust(6, "0")


def gh_ok(tok):
    body, chk = tok[4:34], tok[34:]
    return len(tok) == 40 and b62(zlib.crc32(body.encode())).rjust(6, "0") == chk


def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


def aws_key_id():
    return "AKIA" + rand(string.ascii_uppercase + "234567", 16)


def aws_secret():
    return rand(string.ascii_letters + string.digits + "/+", 40)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt(sub):
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps({"sub": sub, "scope": "password_reset", "iat": 1784021733,
                              "exp": 1784108133}, separators=(",", ":")).encode())
    sig = b64url(bytes(rng.getrandbits(8) for _ in range(32)))
    return f"{head}.{body}.{sig}"


def openssh_key():
    raw = b"openssh-key-v1\x00" + bytes(rng.getrandbits(8) for _ in range(380))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


URLSAFE = string.ascii_letters + string.digits + "_-"

G = {
    # secrets
    "ghp": gh_token("ghp_"),
    "akia": aws_key_id(),
    "awssec": aws_secret(),
    "xoxb": f"xoxb-{rand(string.digits, 12)}-{rand(string.digits, 13)}-{rand(ALNUM, 24)}",
    "openai": "sk-proj-" + rand(URLSAFE, 58) + "T3BlbkFJ" + rand(URLSAFE, 58),
    "sshkey": openssh_key(),
    "jwt": make_jwt("cust-4471902"),
    "dbpw": rand(ALNUM, 10) + "!" + rand(ALNUM, 4),
    "aiza": "AIza" + rand(URLSAFE, 35),
    "glpat": "glpat-" + rand(URLSAFE, 20),
    "anthropic": "sk-ant-api03-" + rand(URLSAFE, 93) + "AA",
    "mollie": "live_" + rand(ALNUM, 30),
    # personal identifiers (valid)
    "iban_sanne": make_iban("INGB"),
    "iban_groot": make_iban("ASNB"),
    "iban_hendriks": make_iban("TRIO"),
    "bsn_sanne": make_bsn(),
    "bsn_annemiek": make_bsn(),
    "card_kim": make_card("4"),
    "card_bram": make_card("5" + str(rng.randint(1, 5))),
    # look-alikes (fail their checksum)
    "bad_iban": bad_iban("ABNA"),
    "bad_card": bad_card("6034"),
}
assert gh_ok(G["ghp"])
for k in ("iban_sanne", "iban_groot", "iban_hendriks"):
    assert iban_ok(G[k])
assert not iban_ok(G["bad_iban"]) and not luhn_ok(G["bad_card"])
assert luhn_ok(G["card_kim"]) and luhn_ok(G["card_bram"])

# --------------------------------------------------------------------------------------
# accounts and roles (from the profile, never typed per case)
# --------------------------------------------------------------------------------------
ROLE = {}
for r in ("corporate", "employee"):
    for a in PROFILE["accounts"][r]:
        ROLE[a.lower()] = r


def role_of(platform, handle):
    return ROLE.get(f"{platform}:{handle}".lower(), "public")


SEV = ["none", "info", "warning", "error", "critical"]


def sev_for(cats, role, text):
    """CONTRACT section 4, computed; the minimum severity a correct verdict has."""
    best = "none"

    def up(s):
        nonlocal best
        if SEV.index(s) > SEV.index(best):
            best = s

    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                up("error")
                if c in ("leak.secret", "leak.pricing"):
                    up("critical")
                if c == "leak.pii" and checksum_ids(text)["valid"]:
                    up("critical")
            else:
                up("warning")
        elif c == "reputation.complaint":
            up("warning")
        elif c == "reputation.crisis":
            up("error")
        elif c == "reputation.abuse":
            up("error" if insider else "warning")
    return best


# --------------------------------------------------------------------------------------
# scanners used by the self-check
# --------------------------------------------------------------------------------------
RE_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
RE_CARD = re.compile(r"(?<![\w*-])(?:\d{4}([ -]?)\d{4}\1\d{4}\1\d{4}(?:\1\d{1,3})?|\d{13,19})(?![\w*-])")
RE_NINE = re.compile(r"(?<![\w.,-])\d{9}(?![\w.,-])")
RE_BSN_CTX = re.compile(r"(?i)\b(?:bsn|burgerservicenummer|sofinummer)\b\W{0,3}(\d{9})\b")
RE_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
RE_GH = re.compile(r"\bgh[pousr]_[0-9A-Za-z]{36}\b")
RE_AKIA = re.compile(r"\bAKIA[A-Z2-7]{16}\b")
RE_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
PUBLIC_IBANS = {i.replace(" ", "") for i in PROFILE["public_identifiers"]["ibans"]}
PUBLIC_EMAILS = {e.lower() for e in PROFILE["public_identifiers"]["emails"]}


def checksum_ids(text):
    """Return identifiers that look like IBAN / card / BSN, split by checksum outcome.
    The company's own public IBAN is left out (never a finding)."""
    valid, invalid = [], []
    for m in RE_IBAN.finditer(text):
        v = m.group(0).replace(" ", "")
        if v in PUBLIC_IBANS:
            continue
        (valid if iban_ok(v) else invalid).append(("iban", v))
    for m in RE_CARD.finditer(text):
        (valid if luhn_ok(m.group(0)) else invalid).append(("card", m.group(0)))
    for m in RE_NINE.finditer(text):
        (valid if bsn_ok(m.group(0)) else invalid).append(("nine", m.group(0)))
    return {"valid": valid, "invalid": invalid}


# --------------------------------------------------------------------------------------
# the cases
# --------------------------------------------------------------------------------------
CASES = []
PLAT_PREFIX = {"x": "x", "instagram": "ig", "facebook": "fb", "linkedin": "li", "tiktok": "tt",
               "youtube": "yt", "reddit": "rd", "mastodon": "md", "bluesky": "bs",
               "threads": "th", "forum": "fo"}
_used_ids = set()
START = datetime(2026, 1, 2, tzinfo=timezone.utc)


def _ts():
    t = START + timedelta(seconds=rng.randint(0, 362 * 86400))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def add(platform, handle, text, cats=(), lang="nl", at=None, kind=None, tag=None, name=None):
    while True:
        pid = f"{PLAT_PREFIX[platform]}-{rng.randint(10**6, 10**7 - 1)}"
        if pid not in _used_ids:
            _used_ids.add(pid)
            break
    post = {"id": pid, "platform": platform}
    if kind is None:
        kind = "reply" if text.startswith("@") else "post"
    post["kind"] = kind
    acct = {"handle": handle}
    if name:
        acct["display_name"] = name
    post["account"] = acct
    post["text"] = text
    if rng.random() < 0.6:
        post["lang"] = lang
    post["created_at"] = at or _ts()
    if rng.random() < 0.35:
        post["url"] = (f"https://{platform}.example/{handle.strip('@').split('@')[0].replace(' ', '.')}"
                       f"/{pid.split('-')[1]}")
    if rng.random() < 0.4:
        post["brand"] = "hamerhof"
    cats = sorted(set(cats))
    role = role_of(platform, handle)
    CASES.append({"post": post,
                  "expect": {"categories": cats, "severity": sev_for(cats, role, text)},
                  "_lang": lang, "_role": role, "_tag": tag})


CPL, ABU, CRI = "reputation.complaint", "reputation.abuse", "reputation.crisis"
SEC, PII, PRC = "leak.secret", "leak.pii", "leak.pricing"
CONF, FIN, SECU = "leak.confidential", "leak.financial", "leak.security"

# ---------------------------------------------------------------- complaints ----------
add("x", "@anoukbouwt", "@hamerhof_helpt al 3 weken wacht ik op mijn Linea 300 keuken. Elke keer is het 'volgende week'. "
    "De aannemer staat te wachten en ik betaal hem gewoon door. Hoe dan??", [CPL])
add("facebook", "Marjolein Pronk", "Click & collect besteld om 10u, om 11u de mail 'klaar om af te halen'. Om 16u bij Hamerhof "
    "Nieuwegein: niks. Half uur bij de servicebalie gestaan, bleek het nog in het magazijn in Tilburg te liggen. "
    "Waarom stuur je dan die mail 😤", [CPL])
add("x", "@dutchdiydad", "Rented a floor sander from Hamerhof Verhuur, returned it clean and on time, still waiting on my "
    "€150 deposit 5 weeks later. Three emails, zero replies. @hamerhofverhuur ??", [CPL], lang="en")
add("instagram", "@huisje.boompje.verf", "Kleur laten mengen: 'Zacht Zandgeel'. Thuis op de muur: zalmroze 🙃 twee emmers "
    "Kleurkracht van 65 euro per stuk. Bedankt hè Hamerhof #verfdrama", [CPL])
add("x", "@r0bin_v", "@hamerhof_helpt afrekenen in de app blijft hangen op 'betaling verwerken'. 4x geprobeerd, 4x niks. "
    "en nu staan er 2 reserveringen op mn rekening", [CPL])
add("reddit", "u/tired_of_tools", "PSA: my Forsa BM18 chuck died after 14 months. Hamerhof says warranty 'does not cover wear "
    "and tear'. It's a drill. Drilling IS the wear. Never again.", [CPL], lang="en")
add("x", "@sietske_w", "45 min on hold with Hamerhof customer service. I now know the hold music by heart. "
    "#hamerhof #customerservice #whyyy", [CPL], lang="en")
add("facebook", "Gerrit Hoogland", "Tuinhuis Ede vandaag bezorgd. Twee wandpanelen gebarsten, halve zak schroeven weg, "
    "dakleer kletsnat. Bezorger: 'moet u bij de winkel melden'. Winkel: 'moet u online melden'. Online: formulier geeft "
    "een foutmelding. Top service hoor Hamerhof.", [CPL])
add("x", "@mira_renovates", "The Hamerhof Keukens fitter just... didn't show up. Took a day off work for this. No call, no "
    "text. Second time this month.", [CPL], lang="en")
add("tiktok", "@lisa.klust", "pov: je vraagt bij hamerhof waar de pluggen liggen en de medewerker wijst vaag naar 'achterin' "
    "💀 gang 1 t/m 34 afgelopen #hamerhof #bouwmarkt", [CPL])
add("x", "@koen_terlouw", "GM-40 maaier retour gebracht op 2 juni. Nog steeds geen geld terug. 'Verwerking duurt 14 "
    "werkdagen', nou daar zitten we ruim overheen @hamerhof_helpt", [CPL])
add("forum", "verfkwast62", "Laminaat Eiken Natuur bij Hamerhof gehaald, 12 pakken. Drie bleken uit een andere batch, "
    "duidelijk lichter. Nu heb ik een vloer met een streep erin. Winkel wil alleen die 3 ruilen maar die kleur hebben ze "
    "niet meer. Iemand tips hoe ik dit aanpak?", [CPL])
add("instagram", "@tandenpoetsenindekeuken", "Nova 80 badmeubel besteld, de wastafel kwam in 3 stukken aan. Nieuwe besteld: "
    "levertijd 9 weken 🙄 ondertussen poetsen we onze tanden boven het aanrecht @hamerhof.nl", [CPL])
add("x", "@familie_brouwer", "@hamerhof_helpt al twee keer beloofd dat jullie terugbellen over mijn kapotte HD-160. Nog "
    "steeds niks. Bel me gewoon: 06-4182 7390, ik ben de hele dag thuis", [CPL, PII])
add("facebook", "Rosa van Leeuwen", "Hamerhof, you charged me twice for the same order. Please reply to "
    "r.vanleeuwen84@gmail.com instead of sending me round the chatbot loop again.", [CPL, PII], lang="en")
add("x", "@harm_zaagt", "Die gast bij de zaagservice van Hamerhof Arnhem is echt een arrogante klootzak. Plaat verkeerd "
    "gezaagd en dan nog een grote bek ook. Nooit meer.", [CPL, ABU])
add("x", "@jkdebruin", "Hamerhof customer service are a bunch of useless clowns. 3 weeks for a refund, what a f*cking "
    "joke of a company", [CPL, ABU], lang="en")
add("instagram", "@keukenloos_in_kampen", "h4m3rh0f = k4nk3rb3dr1jf. 6 w3k3n w4cht3n op 33n k3uk3n d13 n13t komt "
    "#hamerhof #klantonvriendelijk", [CPL, ABU], tag="evasion")

# ---------------------------------------------------------------- abuse ---------------
add("x", "@boosopalles", "Hamerhof is een stelletje zakkenvullers en oplichters, allemaal tuig daar. Walgelijk volk.", [ABU])
add("x", "@vex_nl", "@hamerhof your social media intern is a brain-dead idiot. just delete the account lmao", [ABU], lang="en")
add("instagram", "@zwolsezure", "Hamerhof Zwolle = \u043aut\u0077inkel met kl\u043e\u043etzakken achter de kassa 🤬",
    [ABU], tag="evasion")
add("x", "@pietjepuk1974", "die kassamedewerkster bij hamerhof leidsche rijn is echt een d o m m e  t r u t", [ABU],
    tag="evasion")
add("reddit", "u/not_a_threat_honest", "Whoever runs @hamerhof_helpt: I know where your office is. Keep ignoring me and "
    "see what happens.", [ABU], lang="en")
add("facebook", "Henk Zwart", "Waarom zet Hamerhof altijd van die hoofddoekjes achter de servicebalie, kunnen ze geen "
    "normale Nederlanders meer vinden of zo", [ABU])
add("tiktok", "@kim.vdlinde", "klanten die om 17:58 nog een hele keuken willen uitzoeken zijn gewoon achterlijke debielen "
    "sorry not sorry 🙄 #retaillife", [ABU])
add("x", "@lotte_hamerhof", "@boosopalles maybe learn to read your receipt before screaming at my staff, you absolute "
    "moron", [ABU], lang="en")
add("x", "@ratedr_diy", "\uff48\uff41\uff4d\uff45\uff52\uff48\uff4f\uff46 \uff53\uff55\uff43\uff4b\uff53 \uff41\uff4e\uff44 "
    "\uff59\uff4f\uff55\uff52 \uff53\uff54\uff41\uff46\uff46 \uff41\uff52\uff45 \uff4d\uff4f\uff52\uff4f\uff4e\uff53",
    [ABU], lang="en", tag="evasion")

# ---------------------------------------------------------------- crisis --------------
add("x", "@tessa_mulders", "Klimmax 3x9 ladder van Hamerhof klapte gewoon dubbel terwijl mijn vader erop stond. Gebroken "
    "heup. Scharnier compleet afgebroken. Wie heeft dit nog meer?? #terugroepen", [CRI])
add("facebook", "Eerlijk Hout Nu", "BOYCOT HAMERHOF. Ze verkopen 'duurzaam' tuinhout dat uit illegale kap in Myanmar komt, "
    "zie de reportage van gisteravond. Delen!!", [CRI])
add("x", "@sam_okafor", "Got a scam email quoting my exact Hamerhof order number, home address and what I bought. Only "
    "Hamerhof has that info. You've been breached and you're not telling anyone. #databreach", [CRI], lang="en")
add("reddit", "u/warmfeet_nl", "Anyone else's Warmtewand 600 start smoking? Mine melted the wall socket this morning, could "
    "have burned the house down. Hamerhof store says they've 'never heard of it'.", [CRI], lang="en")
add("x", "@almere_nieuws_nu", "Stelling met tegels omgevallen bij Hamerhof Almere, er lag een vrouw onder. Ambulance en "
    "traumaheli op het parkeerterrein 😨", [CRI])
add("linkedin", "arjen-post-advocaat", "Former Hamerhof warehouse workers are taking the company to court over unpaid "
    "overtime and unsafe forklift conditions. First hearing is in March.", [CRI], lang="en")
add("x", "@buurvrouw_ans", "So Hamerhof is STILL selling those HD-160 pressure washers with the melting cable? Recall "
    "them NOW. The boy next door nearly got electrocuted.", [CRI], lang="en")
add("tiktok", "@nieuws.in.60sec", "video gaat viraal: filiaalmanager van Hamerhof Tilburg noemt zwarte klant een dief "
    "waar iedereen bij staat. Hamerhof zegt niks. #boycothamerhof", [CRI])
add("x", "@daan_renoveert", "Asbestos in the ceiling panels Hamerhof sold us? Lab result just came back positive. We've "
    "been sanding that stuff for a week with the kids at home. Lawyer is contacted.", [CRI], lang="en")
add("instagram", "@apeldoorn.live", "Brand in het tuincentrum van Hamerhof Apeldoorn, hele parkeerplaats staat vol rook. "
    "Hopelijk is iedereen op tijd buiten 🙏", [CRI])
add("x", "@jonge_ouders_030", "Kleurkracht muurverf van Hamerhof bevat volgens de Consumentenbond 4x te veel formaldehyde. "
    "Wij hebben er de babykamer mee geverfd. Ik ben woest.", [CRI])
add("facebook", "Claire Dubois", "The oven cabinet of our Hamerhof Fjord kitchen came off the wall and landed on my "
    "daughter's arm. Customer service offered a €50 voucher. This is a safety issue, not a support ticket.",
    [CRI, CPL], lang="en")
add("x", "@privacywaakhond", "Hamerhof lekt klantgegevens en houdt z'n mond. Stelletje criminelen. Gegevens van half "
    "Nederland staan op een hackersforum.", [CRI, ABU])
add("forum", "papa_van_drie", "Onze peuter had bijna zo'n los dopje van de wieltjes van de GW-7 gereedschapswagen "
    "ingeslikt. Hamerhof, haal dat ding uit de schappen voordat er een kind stikt.", [CRI])

# ---------------------------------------------------------------- confidential --------
add("linkedin", "ruud-verschoor-hamerhof", "Spannende tijden! Volgende week de stuurgroep van Project Zaagbok, waar we het "
    "nieuwe compacte stadsformaat laten zien. Meer mag ik er nog niet over zeggen 🤐", [CONF])
add("x", "@bramkuipers", "anyone know why intranet.hamerhof.local is crawling today? can't even open the rollout plan",
    [CONF], lang="en")
add("instagram", "@dennis.vloerenman", "Sneak peek van de nieuwe Forsa X-Line 😎 komt volgend voorjaar in de winkels, echt "
    "een beest van een machine", [CONF], at="2026-10-08T15:12:40Z")
add("x", "@hamerhof", "Zet 'm alvast in je agenda: de Hamerhof Pro-pas komt eraan! Meer info volgt binnenkort 🔨",
    [CONF], at="2026-11-19T10:00:00+01:00")
add("x", "@eva_keukens", "Presentatie van vandaag nog eens doorgelopen. Staat 'HH-VERTROUWELIJK' op elke slide, maar "
    "alvast de highlight: de nieuwe keukenlijn komt onder de Linea te hangen qua prijs 🤫", [CONF])
add("threads", "@milan.hamerhof", "Kolibrie gaat in oktober live in alle filialen, eindelijk af van dat ouwe kassasysteem 🙌",
    [CONF])
add("bluesky", "@sjoerdwillems.bsky.social", "Moving the last services over to git.hamerhof.internal this weekend, pray "
    "for me 🙏", [CONF], lang="en")
add("linkedin", "yasmina-bouzid", "Stuk met 'alleen voor intern gebruik' erop, maar ik ben er trots op: ons voorstel voor "
    "de nieuwe cao voor winkelpersoneel ligt klaar. Ben benieuwd naar jullie reacties!", [CONF])
add("reddit", "u/sawdust_sunday", "A friend at Hamerhof showed me the Forsa X-Line brochure. Cordless table saw, launching "
    "in March. Looks insane.", [CONF], lang="en", at="2026-12-02T21:44:03Z")
add("linkedin", "ruud-verschoor-hamerhof", "Busy weeks ahead: Operatie Dakgoot has been signed off by the board. Nine "
    "underperforming stores close in 2027, announcement in January.", [CONF, FIN], lang="en")
add("x", "@bramkuipers", "jaarcijfers 2026 worden best goed hoor, omzet +6% en de webshop eindelijk weer winstgevend 📈 "
    "(psst niet doorvertellen)", [CONF, FIN], at="2026-12-14T19:03:55Z")
add("tiktok", "@kim.vdlinde", "mag het nog niet zeggen maar Project Zaag\u200bbok wordt echt vet, nieuwe winkels met een "
    "koffiebar 👀☕", [CONF], tag="evasion")
add("x", "@eva_keukens", "Can't wait for K.o.l.i.b.r.i.e to go live. no more paper order forms for kitchens!!", [CONF],
    lang="en", tag="evasion")
add("linkedin", "hamerhof-bouwmarkten", "We're hiring a Senior Data Engineer! 🚀 Full job description: "
    "https://wiki.hamerhof.local/hr/vacatures/senior-data-engineer", [CONF], lang="en")
add("instagram", "@dennis.vloerenman", "Training gehad over de nieuwe vloerencollectie. 'Alleen voor intern gebruik' stond "
    "op de map maar ik kan het niet laten: visgraat PVC in 3 kleuren 😍", [CONF])
add("mastodon", "@joost_ops@mastodon.nl", "wms.hamerhof.local throwing 502s again, warehouse is back to scanning on paper. "
    "lovely monday", [CONF, SECU], lang="en")
add("x", "@zzp_tegelzetter", "Via via gehoord: de Hamerhof Pro-pas wordt een abonnement voor vakmensen, 10% korting op "
    "alles. Lancering in maart.", [CONF], at="2026-10-27T07:41:12Z")

# ---------------------------------------------------------------- financial -----------
add("linkedin", "ruud-verschoor-hamerhof", "Q3 intern afgesloten: omzet vergelijkbare winkels -4,3%, marge onder druk door "
    "het natte tuinseizoen. Dat gaat de markt in februari niet leuk vinden.", [FIN])
add("x", "@bramkuipers", "heard at the all-hands today that we're buying Bricoflex, deal closes Q1. guess who gets to merge "
    "their webshop into ours 😬", [FIN], lang="en")
add("linkedin", "yasmina-bouzid", "Zware week. Reorganisatie op ons hoofdkantoor in Utrecht: ongeveer 85 functies vervallen. "
    "De mensen horen het volgende week. Ik sta achter ze.", [FIN])
add("x", "@ronaldo_ut", "Zwager werkt op het hoofdkantoor van Hamerhof: ze gaan 12 filialen sluiten en de verhuurtak "
    "verkopen. Nog niet bekend, maar wel al besloten.", [FIN])
add("x", "@lotte_hamerhof", "Managers vandaag gehoord dat de winstprognose voor 2026 met 30% omlaag is bijgesteld. Bonus kunnen "
    "we wel vergeten 🙃", [FIN])
add("bluesky", "@sjoerdwillems.bsky.social", "Due diligence team from a private equity fund on site at HQ all week. "
    "Wonder who's buying whom 👀", [FIN], lang="en")
add("threads", "@milan.hamerhof", "vandaag te horen gekregen dat Hamerhof Verhuur in de verkoop gaat, er is al een koper in "
    "beeld. benieuwd wat er met ons gebeurt", [FIN])
add("linkedin", "hamerhof-bouwmarkten", "DRAFT - do not publish before 25/2: Hamerhof FY2026 results: revenue €1.42bn "
    "(+3.1%), EBITDA €118m, dividend €0.42 per share.", [FIN, CONF], lang="en", at="2027-02-10T16:20:00Z")
add("linkedin", "ruud-verschoor-hamerhof", "Q4 forecast is way below budget, we're looking at a negative EBIT for the first "
    "time since 2019. Board meets Tuesday.", [FIN], lang="en")
add("reddit", "u/throwaway_dc_tilburg", "Throwaway because I work there: Hamerhof is closing both distribution centres "
    "(Tilburg and Venlo) and moving everything to one new site in 2027. ~300 jobs. Announcement in a few weeks.",
    [FIN], lang="en")

# ---------------------------------------------------------------- security ------------
add("bluesky", "@sjoerdwillems.bsky.social", "Sinds 6 uur vanochtend liggen alle kassa's in de filialen eruit. Lijkt "
    "verdacht veel op ransomware. Nog geen persbericht, dus niet rondvertellen aub.", [SECU])
add("x", "@bramkuipers", "lol found a bug where you can see anyone's webshop order by changing the order id in the url. "
    "reported it 3 weeks ago, still not fixed 🤷", [SECU], lang="en")
add("mastodon", "@joost_ops@mastodon.nl", "Three finance mailboxes got phished yesterday, attacker had access for ~10 hours. "
    "Still figuring out what they took. Not public yet.", [SECU], lang="en")
add("x", "@nadia_codes", "pentestrapport binnen: SQL-injectie in de click & collect API, kritieke bevinding. Fix staat "
    "gepland voor ná de feestdagen 🙈", [SECU])
add("threads", "@milan.hamerhof", "De verhuur-app slaat de ID-scans van klanten op in een open bucket, iedereen met de link "
    "kan erbij. Al 2x gemeld bij IT, niks mee gedaan.", [SECU])
add("x", "@lotte_hamerhof", "Pinautomaten in 14 filialen doen het al de hele ochtend niet en we mogen klanten niet vertellen "
    "waarom. Gezellig 🙄", [SECU])
add("mastodon", "@joost_ops@mastodon.nl", "MFA is still switched off on the webshop admin panel because 'it slows the "
    "merchandisers down'. This is fine 🔥🐶", [SECU], lang="en")
add("tiktok", "@kim.vdlinde", "mensen vragen waarom de webshop plat ligt: we worden sinds gisteravond ge-DDoSt, IT is er de "
    "hele nacht mee bezig geweest. officieel heet het 'onderhoud' 😅", [SECU])
add("bluesky", "@sjoerdwillems.bsky.social", "Our store POS boxes still run an OS that went end-of-life in 2020. Every "
    "vuln scan lights up like a Christmas tree and nobody wants to pay for the upgrade.", [SECU], lang="en")
add("x", "@bramkuipers", f"we pushed a live Mollie key to the public repo last night 🤦 rotating now. it was {G['mollie']} "
    "so if you see weird payments, that's why", [SECU, SEC], lang="en")
add("mastodon", "@joost_ops@mastodon.nl", "Storing op de productiedatabase: iemand heeft het wachtwoord gewijzigd en niemand "
    "weet het nieuwe. Het oude stond nog gewoon in de wiki, wachtwoord: Hh!Kl0k2026-prod", [SECU, SEC])
add("reddit", "u/netwerkneef", "My brother-in-law does IT for Hamerhof. He says attackers copied the whole loyalty "
    "database last month and they still haven't told anyone.", [SECU, CRI], lang="en")

# ---------------------------------------------------------------- secrets -------------
add("x", "@bramkuipers", f"why is the deploy pipeline failing with 401 😩 token is definitely right: {G['ghp']}",
    [SEC], lang="en")
add("mastodon", "@joost_ops@mastodon.nl", f"note to self (oops, public):\nAWS_ACCESS_KEY_ID={G['akia']}\n"
    f"AWS_SECRET_ACCESS_KEY={G['awssec']}", [SEC], lang="en")
add("x", "@nadia_codes", f"Slack bot voor voorraad-alerts werkt eindelijk 🎉 config voor wie het wil zien:\n"
    f"SLACK_BOT_TOKEN={G['xoxb']}\nchannel=#voorraad-alerts", [SEC])
add("x", "@nadia_codes", f"iemand een idee waarom de OpenAI API 429 geeft? key = {G['openai']} we zitten echt niet boven "
    "het limiet", [SEC])
add("mastodon", "@joost_ops@mastodon.nl", f"debugging ssh to the build box, is this key format even right?\n{G['sshkey']}",
    [SEC], lang="en")
add("x", "@hamerhof_helpt", f"@kevin_klust Thanks for your patience! Our team asked us to share this link so you can set "
    f"a new password: https://shop.hamerhof.nl/account/reset?token={G['jwt']}", [SEC], lang="en")
add("x", "@bramkuipers", f"connection string for the staging→prod migration, don't judge the password: "
    f"postgres://svc_webshop:{G['dbpw']}@db-prod-01.hamerhof.local:5432/webshop", [SEC, CONF], lang="en")
add("x", "@lotte_hamerhof", "Voor de nieuwe collega's: wifi in het kantoortje achter de kassa heet HH-Staff, "
    "wachtwoord: Bouwvak!2026", [SEC])
add("x", "@apk_poker", f"lol Hamerhof's Android app has its Google Maps key hardcoded: {G['aiza']} took me 2 minutes "
    "with apktool", [SEC], lang="en")
add("x", "@nadia_codes", f"gitlab runner token for the new project, paste it in your .env: {G['glpat']}", [SEC], lang="en")
add("x", "@nadia_codes", f"claude key voor de hackathon morgen, niet delen buiten het team: {G['anthropic']}", [SEC])

# ---------------------------------------------------------------- pricing -------------
add("tiktok", "@kim.vdlinde", "JONGENS de Maaibot 600 staat in de webshop voor €89,99 😂😂 prijsfout, wees snel", [PRC])
add("x", "@dealjager_nl", "Prijsfout bij Hamerhof? Fjord hoekkeuken voor €899 ipv €8.995. Meteen besteld, kijken of ze "
    "leveren 🤞 #prijsfout", [PRC])
add("reddit", "u/bargainbert", "Hamerhof price glitch: Warmtewand 600 infrared panel showing €28.90 in the app. Grabbed two.",
    [PRC], lang="en")
add("instagram", "@hamerhof.nl", "🔥 WEEKENDDEAL 🔥 Loungeset Terra nu voor maar €119! Alleen zaterdag en zondag. "
    "#hamerhof #tuin #buitenleven", [PRC])
add("x", "@lotte_hamerhof", "Kassa slaat de SZ-55 invalzaag aan voor 39,90. Prijsfout, mogen we niet zo verkopen, moet via "
    "het hoofdkantoor. Al 3 klanten boos bij de kassa.", [PRC])
add("x", "@pennypincher_eu", "HD-160 pressure washer for €27.90 on hamerhof.nl, that has to be a mistake right?", [PRC],
    lang="en")
add("facebook", "Wendy Schuurman", "Linea 300 keuken voor €649 in de folder van Hamerhof 😳 drukfout of echt? Ik ga morgen "
    "meteen kijken", [PRC])
add("x", "@kookgek_020", "Inductiekookplaat IK-4 bij Hamerhof staat op \uff25\uff35\uff32 \uff14\uff19,\uff0d 😂 "
    "#prijsfout", [PRC], tag="evasion")
add("facebook", "HamerhofBouwmarkt", "Last chance! The Forsa SM20 impact wrench is now only €22.90 in our webshop 🛠️",
    [PRC], lang="en")
add("instagram", "@koning.van.de.tuin", "Tuinhuis Ede 300x250 voor €184,90 besteld bij Hamerhof 😱 als dit doorgaat ben "
    "ik de koning van de straat", [PRC])
add("instagram", "@dennis.vloerenman", "Collega's, let op: er zit een prijsfout in de schapkaartjes van het Nova 80 "
    "badmeubel, even opnieuw printen vóór opening!", [PRC])
add("x", "@ladderlarry", "Klimmax 3x9 ladder for 21.90 in the Hamerhof app lmao someone fat-fingered that", [PRC], lang="en")

# ---------------------------------------------------------------- personal data -------
add("x", "@lotte_hamerhof", "Klant die elke week komt klagen over z'n deur: meneer H. Dijkstra, Kastanjelaan 27 in Zeist. "
    "Als hij weer belt ben ik er niet 😅", [PII])
add("x", "@hamerhof_helpt", "@marloes_k Hoi Marloes! We hebben je bestelling gevonden. Klopt het dat we je kunnen bellen "
    "op 06 2817 4409 en dat je mailadres marloes.kramer@ziggo.nl is? 😊", [PII])
add("linkedin", "yasmina-bouzid", f"Welkom aan onze nieuwe collega Sanne Vos! 🎉 Voor de salarisadministratie nog even "
    f"haar gegevens: BSN {G['bsn_sanne']}, IBAN {group4(G['iban_sanne'])}", [PII])
add("tiktok", "@kim.vdlinde", f"klant liet z'n creditcard en bonnetje liggen, kaartnummer {group4(G['card_kim'])} 🤦 "
    "wie is dit, kom je spullen halen", [PII])
add("x", "@pdegroot_", f"@hamerhof_helpt mijn terugbetaling mag naar {G['iban_groot']} t.n.v. P. de Groot. Al 3x "
    "doorgegeven, hoe vaak nog?", [PII, CPL])
add("x", "@eva_keukens", "Happy birthday to our most loyal kitchen customer, Mr. Willem Bos, born 4 March 1948 - still "
    "renovating at 78! 🎂", [PII], lang="en", at="2026-03-04T08:15:00Z")
add("facebook", "HamerhofBouwmarkt", "Congratulations to our giveaway winner Fleur Janssen, Molenstraat 8, 5211 AB "
    "'s-Hertogenbosch! Your Maaibot 600 is on its way 🎉", [PII], lang="en")
add("x", "@wraak_is_zoet", "That Hamerhof employee in Breda who was rude to me: Jeroen, lives at Van Goghstraat 112 in Breda. "
    "Might pay him a visit.", [PII, ABU], lang="en")
add("threads", "@milan.hamerhof", "Klant heeft z'n rijbewijs laten liggen bij de verhuurbalie 🙈 Thomas Meijer, geboren "
    "17-09-1991, kom je 'm ophalen?", [PII])
add("x", "@bramkuipers", f"debugging a failed payment, customer card {G['card_bram']} exp 08/28, psp says 'refused' but "
    "the card looks fine??", [PII], lang="en")
add("facebook", "Yvonne Kleinjan", "Wil graag een kettingzaag reserveren voor zaterdag bij Hamerhof Verhuur Amersfoort. "
    "Bel me even op 0031 6 51 23 88 04, na 17u bereikbaar", [PII])
add("x", "@hamerhofverhuur", f"@p_hendriks Uw borg van €150 is vandaag teruggestort op {group4(G['iban_hendriks'])} "
    "(P. Hendriks). Excuses voor de vertraging!", [PII])
add("linkedin", "dounia-ouali", "Looking for a contractor to fit my Hamerhof Fjord kitchen, Amstelveen area. Call or "
    "WhatsApp +31 6 38 90 12 57 or mail d.ouali@outlook.com", [PII], lang="en")
add("linkedin", "yasmina-bouzid", "Reminder to the team: the passport copy of our new hire Lars Mulder (passport no. "
    "NXJ7R4K91) is in the HR inbox, please don't print it.", [PII], lang="en")
add("mastodon", "@joost_ops@mastodon.nl", f"Klant belde over haar account, ter info voor de collega's van de verhuur: "
    f"annemiek.deboer@hotmail.com, BSN {G['bsn_annemiek']}", [PII])

# ---------------------------------------------------------------- benign --------------
add("x", "@hamerhof_helpt", "Vragen over je bestelling? Mail naar klantenservice@hamerhof.nl of bel gratis 0800-4263 "
    "(ma-za 8-20u). We helpen je graag!", tag="hardneg")
add("facebook", "HamerhofBouwmarkt", "Terugbetalen via overschrijving? Maak het bedrag over naar NL20 RABO 0312 8877 45 "
    "t.n.v. Hamerhof Bouwmarkten B.V. o.v.v. je ordernummer.", tag="hardneg")
add("x", "@wouter_hangt_op", "Shoutout to the guy at Hamerhof Amersfoort who spent 20 minutes figuring out which wall "
    "plugs my concrete wall needed. Legend 🙌", lang="en")
add("instagram", "@klussende.kim", "Lekkage onder de gootsteen zelf gerepareerd met een sifon van Hamerhof en een "
    "YouTube-filmpje 💪 #klussen #zelfgedaan", tag="hardneg")
add("youtube", "@HamerhofKlusTV", "New video: swapping the chuck on your cordless drill in 5 minutes. No special tools "
    "needed!", lang="en")
add("x", "@picturehangingdad", "Wife asked me to hang ONE picture. I have now spent €340 at Hamerhof and own a laser level. "
    "Send help 😂", lang="en")
add("instagram", "@hamerhof.nl", "Zomerdeal ☀️ Maaibot 600 nu €699 (was €899). Alleen deze week, zolang de voorraad strekt.",
    tag="hardneg")
add("x", "@hamerhof", "Forsa BM18 accuboormachine nu €109 i.p.v. €129, ideaal voor de beginnende klusser 🔧", tag="hardneg")
add("x", "@betonboorbas", "Net de Forsa KB-900 gekocht voor €189. Gaat door beton alsof het boter is. Aanrader.",
    tag="hardneg")
add("x", "@hamerhofverhuur", "Huur de SZ-55 invalzaag al vanaf €29 per dag, inclusief zaagblad. Reserveer via "
    "verhuur.hamerhof.nl", tag="rental")
add("x", "@nadia_codes", "Gave a talk at the Hamerhof dev meetup on secret scanning. Slides use AWS's documented sample "
    "keys (AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY), so don't bother trying them 😉",
    lang="en", tag="hardneg")
add("x", "@bramkuipers", "PSA for juniors: never paste real tokens in Slack. If you need to show the format, write "
    "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx and move on.", lang="en", tag="hardneg")
add("mastodon", "@joost_ops@mastodon.nl", "Reminder: our logs now mask keys like sk_live_****************3fA9, so if "
    "you ever see a full key somewhere, shout.", lang="en", tag="hardneg")
add("x", "@hamerhof_helpt", "Wachtwoord vergeten? Klik op 'wachtwoord vergeten' op shop.hamerhof.nl en je krijgt binnen "
    "5 minuten een mail. Wij vragen NOOIT om je wachtwoord via DM.", tag="hardneg")
add("x", "@typefout_tineke", f"Typte bij het retourformulier van Hamerhof mijn IBAN verkeerd ({G['bad_iban']}) en het "
    "formulier pakte 'm gelukkig niet. Goed dat ze dat checken 👍", tag="hardneg")
add("x", "@giftcardgary", f"Got a Hamerhof gift card for my birthday 🎁 number on the back is {group4(G['bad_card'])}, "
    "already spent it all on paint so don't bother lol", lang="en", tag="hardneg")
add("forum", "klusmaatje", "Bij Hamerhof Verhuur vroegen ze alleen mijn ID, niet mijn BSN. Goed zo. Op hun voorbeeldformulier "
    "staat als dummy trouwens gewoon BSN 123456789 haha", tag="hardneg")
add("linkedin", "hamerhof-bouwmarkten", "Vandaag publiceren we onze jaarcijfers 2026: omzet €1,42 miljard, een groei van "
    "3,1%. Het volledige jaarverslag staat op hamerhof.nl/investeerders.", at="2027-02-25T08:00:00+01:00",
    tag="embargo-after")
add("x", "@hamerhof", "Hij is er! De Forsa X-Line accutafelzaag ligt vanaf vandaag in alle Hamerhof winkels 🪚",
    at="2027-03-16T09:00:00+01:00", tag="embargo-after")
add("x", "@zzp_tegelzetter", "Hamerhof Pro-pas aangevraagd, 10% korting op materiaal voor zzp'ers. Scheelt me echt wat per "
    "maand.", at="2027-03-20T12:31:09Z", tag="embargo-after")
add("x", "@gerrit_tuinhuis", "Update: Hamerhof heeft contact opgenomen, het tuinhuis wordt maandag opnieuw geleverd en ik "
    "krijg een tegoedbon. Netjes opgelost 👍", tag="hardneg")
add("facebook", "Ria Hofstede", "Sterkte aan de medewerkers van Hamerhof Venlo. Las dat jullie collega Henk van de "
    "houtafdeling is overleden. Altijd zo'n vriendelijke man 💐", tag="hardneg")
add("linkedin", "bart-retailanalist", "Bricoflex (Belgium) reports a 12% drop in H1 revenue and announces 200 job cuts. "
    "Tough market for DIY retail across the Benelux.", lang="en", tag="hardneg")
add("x", "@klusnieuws", "Duitse bouwmarktketen Werkzeugwelt roept vouwladders terug vanwege een scharnierprobleem. Check "
    "even je zolder (die van Hamerhof vallen er niet onder).", tag="hardneg")
add("x", "@lockedout_lena", "Does Hamerhof do key cutting? Need 3 copies of my front door key by Friday", lang="en",
    tag="hardneg")
add("instagram", "@oudedeur.nieuwslot", "Had new keys cut at Hamerhof, €4.50 each and every single one fits. "
    "Old-school good service.", lang="en")
add("tiktok", "@hamerhof.klust", "3 fouten die iedereen maakt bij het verven van een plafond (nr. 2 doe jij ook 😏) "
    "#klustips #hamerhof")
add("instagram", "@dennis.vloerenman", "Vandaag 10 jaar bij Hamerhof! Begonnen als vakkenvuller, nu vloerenspecialist. "
    "Trots 🧡")
add("linkedin", "yasmina-bouzid", "We're hiring store staff in Utrecht, Amersfoort and Zwolle! Apply via "
    "werkenbij@hamerhof.nl or hamerhof.nl/vacatures 🙌", lang="en", tag="hardneg")
add("x", "@lotte_hamerhof", "Drukke zaterdag in Hamerhof Utrecht, maar wat een leuke klanten vandaag. Dank jullie wel ☀️")
add("reddit", "u/weekendwoodworker", "Built a sawhorse (a 'zaagbok', as my Dutch neighbour calls it) from Hamerhof 2x4s. "
    "Cost me €18 and it's rock solid.", lang="en", tag="hardneg")
add("x", "@schoonmaakschoonmoeder", "Dakgoot leeggehaald met de telescoopsteel van Hamerhof. Wat een vieze boel 🤢",
    tag="hardneg")
add("x", "@paranoid_pete", "Bought a smart doorbell and two padlocks at Hamerhof. Home security level: paranoid 🔒",
    lang="en", tag="hardneg")
add("x", "@hamerhof", "Gepland onderhoud: de webshop is in de nacht van dinsdag op woensdag tussen 02:00 en 04:00 niet "
    "bereikbaar. In de winkel kun je gewoon terecht.", tag="hardneg")
add("x", "@muurtje_1930", "Ik en mijn Forsa BM18 tegen die stomme muur van 1930: 3-0 voor de muur 😂")
add("x", "@ede_lokaal", "Hamerhof's new garden centre in Ede is gorgeous, they even have a little coffee bar now ☕",
    lang="en")
add("facebook", "Ingrid Visser", "Weet iemand of Hamerhof keukens ook in het weekend monteert? Zit te denken aan de "
    "Linea 300.")
add("x", "@keukenvergelijker", "Linea 300 keuken bij Hamerhof voor €6.495 incl. apparatuur. Vergeleken met de rest echt "
    "scherp geprijsd.", tag="hardneg")
add("instagram", "@woonkamer.project", "Laminaat Eiken Natuur deze week 20% korting bij Hamerhof, €22,36 per pak. "
    "Woonkamer gaat eindelijk gebeuren!", tag="hardneg")
add("x", "@grasgroen_gijs", "Price check: Hamerhof GM-40 mower €449, same as everywhere else. No Black Friday miracle this "
    "year 🥲", lang="en", tag="hardneg")
add("instagram", "@hamerhof.nl", "Black Friday: 25% off all Forsa power tools, e.g. the Forsa SM20 impact wrench now "
    "€171.75 (was €229).", lang="en", tag="hardneg")
add("x", "@grapjas_gerard", "Volgens mij zit er een prijsfout in mijn salaris, want alles in de bouwmarkt is ineens "
    "onbetaalbaar 😂", tag="hardneg")
add("forum", "eerstehuis2026", "Vraagje: hoeveel verf heb ik nodig voor 40 m² muur? Dacht aan de Kleurkracht muurverf 10L "
    "van Hamerhof (€64,95).", tag="hardneg")
add("x", "@bramkuipers", "shipped the new click & collect pickup screen today 🚀 customers can now see which locker "
    "their order is in", lang="en")
add("x", "@retail_reads", "Good read on how European DIY chains are coping with the end of the lockdown boom. Hamerhof "
    "gets a mention for its rental business.", lang="en", tag="hardneg")
add("tiktok", "@aanhanger.anna", "medewerkers van hamerhof zijn echt de liefste, hielpen me in de stromende regen mijn "
    "aanhanger vast te sjorren 🥹")
add("x", "@snel_afgehaald", "Picked up order 284019357 today, ready in under 5 minutes. Chapeau Hamerhof!",
    lang="en", tag="hardneg")
add("x", "@trailer_tom", "Hamerhof's rental desk number is 030 799 4400 btw, they sorted my trailer booking in 2 minutes",
    lang="en", tag="hardneg")
add("x", "@hamerhof", "Let op: er gaan nepberichten rond over een 'Hamerhof winactie' via WhatsApp. Dat zijn wij niet! "
    "Echte acties vind je alleen op hamerhof.nl.", tag="hardneg")
add("mastodon", "@drill_sergeant@mastodon.social", "Hamerhof replaced my broken drill without any fuss, receipt from two "
    "years ago and all. Good warranty experience for once.", lang="en", tag="hardneg")
add("x", "@koffieleut_klusser", "Ik boycot Hamerhof tot die gratis koffie bij de ingang terug is ☕😤 (grapje, ik sta er "
    "morgen gewoon weer)", tag="hardneg")
add("x", "@sage_green_sally", "Hamerhof's paint section is killer, found the perfect sage green in 10 minutes", lang="en",
    tag="hardneg")
add("threads", "@milan.hamerhof", "First week at Hamerhof Verhuur done: handed out 6 trailers and a mini digger already 💪",
    lang="en")
add("x", "@twostep_tina", "Hoe zet ik tweestapsverificatie aan in de Hamerhof app? Kan het nergens vinden", tag="hardneg")
add("x", "@receipt_nerd", "Hamerhof receipts only show the last four of your card (**** **** **** 4821), so stop panicking "
    "about throwing them away", lang="en", tag="hardneg")
add("linkedin", "bart-retailanalist", "Hamerhof's full-year results 2026 came in better than expected: revenue up 3.1%. "
    "Nice turnaround after a rough 2025.", lang="en", at="2027-03-01T10:12:44Z", tag="embargo-after")
add("x", "@croissant_carla", "Love that the Hamerhof in Ede has a mini bakery at the entrance. I come in for screws and "
    "leave with a croissant 🥐", lang="en")
add("x", "@tracksaw_tim", "Hamerhof's Forsa demo day was a blast, tried the SZ-55 track saw and I'm sold.", lang="en",
    tag="hardneg")
add("x", "@lifehack_lies", "Kluslifehack: gooi je losse schroeven in een leeg potje. Of koop gewoon de sorteerbakjes van "
    "Hamerhof, €2,99 voor 10 stuks", tag="hardneg")
add("x", "@hamerhof_helpt", "@jkdebruin Sorry voor het wachten! Je terugbetaling is vandaag verwerkt, binnen 2 werkdagen "
    "staat het op je rekening. Fijne dag!", tag="hardneg")


# --------------------------------------------------------------------------------------
# self-check
# --------------------------------------------------------------------------------------
def fail(msg):
    print("SELF-CHECK FAILED:", msg, file=sys.stderr)
    sys.exit(1)


PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
CATS = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial", "leak.security",
        "reputation.crisis", "reputation.complaint", "reputation.abuse"}
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def parse_ts(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def norm(s):
    return s.lower()


def self_check(lines):
    ids = set()
    counts = {c: 0 for c in CATS}
    benign = 0
    langs = {"nl": 0, "en": 0}
    evasion = 0
    emb = [(t.lower(), parse_ts(e["until"])) for e in PROFILE["embargo"] for t in e["terms"]]
    codenames = [c.lower() for c in PROFILE["internal"]["codenames"]]
    markers = [m.lower() for m in PROFILE["internal"]["markers"]]
    idomains = [d.lower() for d in PROFILE["internal"]["domains"]]
    for n, (line, meta) in enumerate(lines, 1):
        obj = json.loads(line)
        if set(obj) != {"post", "expect"}:
            fail(f"line {n}: keys {set(obj)}")
        p, e = obj["post"], obj["expect"]
        # CONTRACT section 1 / 6 shape
        if not isinstance(p.get("id"), str) or not 1 <= len(p["id"]) <= 256:
            fail(f"line {n}: id")
        if p["id"] in ids:
            fail(f"line {n}: duplicate id {p['id']}")
        ids.add(p["id"])
        if p.get("platform") not in PLATFORMS:
            fail(f"line {n}: platform")
        if p.get("kind", "post") not in KINDS:
            fail(f"line {n}: kind")
        if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str):
            fail(f"line {n}: account.handle")
        if not isinstance(p.get("text"), str) or len(p["text"].encode("utf-8")) > 65536 or not p["text"]:
            fail(f"line {n}: text")
        if not RFC3339.match(p.get("created_at", "")):
            fail(f"line {n}: created_at {p.get('created_at')}")
        ts = parse_ts(p["created_at"])
        if not (2026 <= ts.year <= 2027):
            fail(f"line {n}: year")
        cats = e["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= CATS:
            fail(f"line {n}: categories {cats}")
        role = role_of(p["platform"], p["account"]["handle"])
        if role != meta["_role"]:
            fail(f"line {n}: role")
        if e["severity"] != sev_for(cats, role, p["text"]):
            fail(f"line {n}: severity")
        if not cats and e["severity"] != "none":
            fail(f"line {n}: benign severity")
        if cats and e["severity"] in ("none", "info"):
            fail(f"line {n}: positive with severity {e['severity']}")
        text = p["text"]
        low = norm(text)
        ids_found = checksum_ids(text)
        # checksums: positives pass, look-alikes in negatives fail
        if cats:
            for kind_, v in ids_found["invalid"]:
                if kind_ in ("iban", "card"):
                    fail(f"line {n}: positive carries an invalid {kind_} {v}")
            for m in RE_BSN_CTX.finditer(text):
                if not bsn_ok(m.group(1)):
                    fail(f"line {n}: positive BSN fails 11-proof")
            if ids_found["valid"] and PII not in cats:
                fail(f"line {n}: valid identifier {ids_found['valid']} in a non-pii positive")
            if PII in cats and role != "public":
                # severity rule check: critical iff a checksum identifier is present
                pass
        else:
            if ids_found["valid"]:
                fail(f"line {n}: benign post carries a valid identifier {ids_found['valid']}")
            for em in RE_EMAIL.findall(text):
                if em.lower() not in PUBLIC_EMAILS:
                    fail(f"line {n}: benign post carries a non-public e-mail {em}")
        # secrets
        for tok in RE_GH.findall(text):
            if cats and SEC in cats and not gh_ok(tok):
                fail(f"line {n}: GitHub token with bad CRC in positive")
            if not cats and gh_ok(tok):
                fail(f"line {n}: valid GitHub token in benign post")
        for tok in RE_AKIA.findall(text):
            if not cats and "EXAMPLE" not in tok:
                fail(f"line {n}: real-looking AWS key in benign post")
            if cats and "EXAMPLE" in tok:
                fail(f"line {n}: sample AWS key in positive")
        for tok in RE_JWT.findall(text):
            head = json.loads(base64.urlsafe_b64decode(tok.split(".")[0] + "=="))
            if "alg" not in head:
                fail(f"line {n}: JWT header without alg")
        # confidential markers imply leak.confidential (embargo terms only before until)
        for c in codenames + markers + idomains:
            if c in low and CONF not in cats and meta["_tag"] != "evasion":
                fail(f"line {n}: '{c}' present without leak.confidential")
        for term, until in emb:
            if term in low:
                if ts < until and CONF not in cats:
                    fail(f"line {n}: embargo term '{term}' before until without leak.confidential")
                if ts >= until and cats:
                    fail(f"line {n}: embargo term after until in a positive (meant as benign)")
        if cats:
            for c in cats:
                counts[c] += 1
        else:
            benign += 1
        langs[meta["_lang"]] += 1
        if meta["_tag"] == "evasion":
            evasion += 1
            if not cats:
                fail(f"line {n}: evasion post must be positive")
        if role == "public":
            h = f"{p['platform']}:{p['account']['handle']}".lower()
            if h in ROLE:
                fail(f"line {n}: public handle in profile")
    total = len(lines)
    if not 170 <= total <= 180:
        fail(f"{total} cases")
    if not 55 <= benign <= 65:
        fail(f"{benign} benign")
    nl_share = langs["nl"] / total
    if not 0.50 <= nl_share <= 0.60:
        fail(f"Dutch share {nl_share:.2f}")
    targets = {"reputation.complaint": 20, "leak.confidential": 18, "leak.pii": 15, "reputation.crisis": 15,
               "leak.security": 13, "leak.secret": 12, "reputation.abuse": 12, "leak.pricing": 12,
               "leak.financial": 12}
    for c, t in targets.items():
        if abs(counts[c] - t) > 3:
            fail(f"{c}: {counts[c]} (target ~{t})")
    if evasion < 5:
        fail("too few evasion posts")
    # the company's own public IBAN is valid (it is meant to be)
    for i in PROFILE["public_identifiers"]["ibans"]:
        if not iban_ok(i):
            fail("public IBAN invalid")
    return total, benign, counts, nl_share, evasion


def main():
    lines = []
    for c in CASES:
        lines.append((json.dumps({"post": c["post"], "expect": c["expect"]}, ensure_ascii=False), c))
    random.Random(197).shuffle(lines)  # mix categories; still deterministic
    total, benign, counts, nl_share, evasion = self_check(lines)
    with open(os.path.join(HERE, "cases.jsonl"), "w", encoding="utf-8") as f:
        for line, _ in lines:
            f.write(line + "\n")
    # re-read the written file and check it again
    with open(os.path.join(HERE, "cases.jsonl"), encoding="utf-8") as f:
        again = [l.rstrip("\n") for l in f]
    if again != [l for l, _ in lines]:
        fail("file round-trip mismatch")
    sev = {}
    for c in CASES:
        sev[c["expect"]["severity"]] = sev.get(c["expect"]["severity"], 0) + 1
    print(f"ok: {total} cases, {benign} benign, Dutch {nl_share:.0%}, evasion {evasion}")
    print("categories:", json.dumps(counts, sort_keys=True))
    print("severities:", json.dumps(sev, sort_keys=True))


if __name__ == "__main__":
    main()
