#!/usr/bin/env python3
"""Build the sealed189 evaluation set for postwatch.

Company: Ziekenhuisgroep Merwedal (fictional Dutch regional hospital group,
see profile.yaml beside this file).

Deterministic: fixed seed, standard library + PyYAML. Writes cases.jsonl
beside this file, then re-reads it and checks it:
  * every line is a valid labelled case (CONTRACT section 6 / section 1 shapes),
  * severities follow CONTRACT section 4 and are computed from the account role
    in the profile (never typed by hand),
  * every IBAN, payment card and BSN in a positive passes its checksum, every
    look-alike in a benign post fails it,
  * generated secrets are well-formed (GitHub CRC-32, AWS, JWT header with alg),
  * embargo terms, codenames, markers and internal hosts only appear in benign
    posts where allowed, prices in benign posts are not below the alert ratio.
"""
import base64
import hashlib
import hmac
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
OUT = os.path.join(HERE, "cases.jsonl")
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))

rng = random.Random(189189)

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
URLSAFE = string.ascii_letters + string.digits + "-_"


# --------------------------------------------------------------------------
# checksums
# --------------------------------------------------------------------------
def iban_ok(iban):
    s = re.sub(r"\s", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    n = int("".join(str(int(c, 36)) for c in r))
    return n % 97 == 1


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def bsn_ok(num):
    d = re.sub(r"\D", "", num)
    if len(d) != 9:
        return False
    tot = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return tot % 11 == 0 and d[0] != "0"


# --------------------------------------------------------------------------
# identifier generators
# --------------------------------------------------------------------------
def _iban_raw(bank, acct):
    s = bank + acct + "NL00"
    n = int("".join(str(int(c, 36)) for c in s))
    return "NL%02d%s%s" % (98 - n % 97, bank, acct)


def fmt4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def gen_iban(spaced=True):
    bank = rng.choice(["RABO", "INGB", "ABNA", "ASNB", "SNSB", "TRIO", "KNAB", "BUNQ"])
    acct = "".join(rng.choice(string.digits) for _ in range(10))
    i = _iban_raw(bank, acct)
    assert iban_ok(i)
    return fmt4(i) if spaced else i


def gen_bad_iban(spaced=True):
    i = gen_iban(spaced=False)
    cd = int(i[2:4])
    bad = "NL%02d%s" % ((cd + rng.randint(1, 40)) % 100, i[4:])
    if iban_ok(bad):
        return gen_bad_iban(spaced)
    return fmt4(bad) if spaced else bad


def gen_card(prefix, length=16, sep=" "):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for c in string.digits:
        if luhn_ok(body + c):
            num = body + c
            break
    assert luhn_ok(num)
    return sep.join(num[i:i + 4] for i in range(0, len(num), 4)) if sep is not None else num


def gen_bad_card(prefix, length=16, sep=" "):
    num = re.sub(r"\D", "", gen_card(prefix, length, sep=""))
    last = (int(num[-1]) + rng.randint(1, 9)) % 10
    num = num[:-1] + str(last)
    assert not luhn_ok(num)
    return sep.join(num[i:i + 4] for i in range(0, len(num), 4)) if sep is not None else num


def gen_bsn():
    while True:
        d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        s = sum(d[i] * (9 - i) for i in range(8)) % 11
        if s <= 9:
            num = "".join(map(str, d)) + str(s)
            if bsn_ok(num):
                return num


def gen_bad_bsn():
    while True:
        num = "".join(str(rng.randint(1 if i == 0 else 0, 9)) for i in range(9))
        if not bsn_ok(num):
            return num


# --------------------------------------------------------------------------
# secret generators (built the way the real ones are)
# --------------------------------------------------------------------------
def rs(n, alphabet=ALNUM):
    return "".join(rng.choice(alphabet) for _ in range(n))


def b62(n, width=6):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def gen_github(prefix="ghp_"):
    body = rs(30)
    return prefix + body + b62(zlib.crc32(body.encode()))


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())) == m.group(2)


def gen_aws():
    return "AKIA" + rs(16, string.ascii_uppercase + "234567"), rs(40, string.ascii_letters + string.digits + "+/")


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def gen_jwt():
    header = {"alg": "HS256", "typ": "JWT"}
    iat = 1767225600 + rng.randint(0, 300 * 86400)
    payload = {"sub": "pat-%07d" % rng.randint(0, 9999999), "iss": "https://mijn.merwedal.nl",
               "aud": "mwd-portal-api", "scope": "appointments:read results:read",
               "iat": iat, "exp": iat + 3600}
    h = b64url(json.dumps(header, separators=(",", ":")).encode())
    p = b64url(json.dumps(payload, separators=(",", ":")).encode())
    key = bytes(rng.getrandbits(8) for _ in range(32))
    sig = b64url(hmac.new(key, (h + "." + p).encode(), hashlib.sha256).digest())
    return h + "." + p + "." + sig


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    pad = "=" * (-len(parts[0]) % 4)
    try:
        hdr = json.loads(base64.urlsafe_b64decode(parts[0] + pad))
    except Exception:
        return False
    return isinstance(hdr, dict) and "alg" in hdr


def gen_rsa_pem():
    der = bytes.fromhex("308204a40201000282010100") + bytes(rng.getrandbits(8) for _ in range(1180))
    b = base64.b64encode(der).decode()
    lines = [b[i:i + 64] for i in range(0, len(b), 64)]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"


def gen_stripe():
    return "sk_live_51" + rs(22) + rs(24)


def gen_slack():
    return "xoxb-%d-%d-%s" % (rng.randint(10 ** 11, 10 ** 12 - 1), rng.randint(10 ** 12, 10 ** 13 - 1), rs(24))


def gen_openai():
    return "sk-proj-" + rs(58, URLSAFE) + "T3BlbkFJ" + rs(58, URLSAFE)


def gen_anthropic():
    return "sk-ant-api03-" + rs(93, URLSAFE) + "AA"


def gen_google():
    return "AIzaSy" + rs(33, URLSAFE)


def gen_gitlab():
    return "glpat-" + rs(20, URLSAFE)


def gen_sendgrid():
    return "SG." + rs(22, URLSAFE) + "." + rs(43, URLSAFE)


def gen_password():
    w = rng.choice(["Brancard", "Infuus", "Zeebries", "Lentezon", "Koffiepauze", "Nachtdienst"])
    return w + str(rng.randint(10, 9999)) + rng.choice("!#$%&*") + rs(2, string.ascii_uppercase)


# --------------------------------------------------------------------------
# evasion helpers
# --------------------------------------------------------------------------
def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in s)


CYR = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "c": "\u0441", "p": "\u0440", "x": "\u0445", "i": "\u0456"}


def cyr(s):
    return "".join(CYR.get(c, c) for c in s)


def zw(s, every=2):
    return "\u200b".join(s[i:i + every] for i in range(0, len(s), every))


def spaced(s, sep=" "):
    return sep.join(s)


# --------------------------------------------------------------------------
# authors
# --------------------------------------------------------------------------
A = {
    # corporate
    "corp_x": ("x", "@merwedal_zkh"),
    "care_x": ("x", "@merwedal_helpt"),
    "corp_ig": ("instagram", "@merwedalziekenhuis"),
    "corp_li": ("linkedin", "ziekenhuisgroep-merwedal"),
    "corp_fb": ("facebook", "MerwedalZiekenhuis"),
    "corp_yt": ("youtube", "@MerwedalTV"),
    "corp_tt": ("tiktok", "@merwedal.werkt"),
    "corp_ma": ("mastodon", "@merwedal@zorg.social"),
    # employees
    "hanneke": ("x", "@drvanleeuwen_mwd"),
    "ilse": ("x", "@ilse_seh"),
    "bart": ("x", "@bartkramer_arts"),
    "marieke": ("linkedin", "marieke-hoekstra-merwedal"),
    "ahmed": ("linkedin", "ahmed-bouzid-ict"),
    "rob": ("linkedin", "rob-vermeulen-bestuur"),
    "sem": ("instagram", "@sem.ok.assistent"),
    "noor": ("tiktok", "@nurse.noor.mwd"),
    "kees": ("bluesky", "@kdejong-dev.bsky.social"),
    "lotte": ("threads", "@lotte.poli"),
    "jvdmeer": ("reddit", "u/jvdmeer_it"),
}
INTENDED = {k: ("corporate" if k.startswith(("corp_", "care_")) else "employee") for k in A}

ROLE_OF = {}
for role in ("corporate", "employee"):
    for ph in PROFILE["accounts"][role]:
        ROLE_OF[ph.lower()] = role


def role_of(platform, handle):
    return ROLE_OF.get(("%s:%s" % (platform, handle)).lower(), "public")


SEV = ["none", "info", "warning", "error", "critical"]
PUBLIC_IBANS = {re.sub(r"\s", "", i).upper() for i in PROFILE["public_identifiers"]["ibans"]}

IBAN_RE = re.compile(r"\bNL\d{2} ?[A-Z]{4}(?: ?\d){10}\b")
CARD_RE = re.compile(r"(?<![\w\-/+=.])\d(?:[ \-]?\d){12,18}(?![\w\-/+=])")
BSN_RE = re.compile(r"(?<![\w\-/+=.])\d{9}(?![\w\-/+=])")


def scan_ids(text):
    """All IBAN / card / BSN look-alikes: list of (kind, value, valid)."""
    out = []
    for m in IBAN_RE.finditer(text):
        v = re.sub(r"\s", "", m.group())
        if v in PUBLIC_IBANS:
            continue
        out.append(("iban", m.group(), iban_ok(v)))
    for m in CARD_RE.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if len(digits) == 9:
            continue
        out.append(("card", m.group(), luhn_ok(digits)))
    for m in BSN_RE.finditer(text):
        out.append(("bsn", m.group(), bsn_ok(m.group())))
    return out


def severity(cats, role, text):
    best = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                v = "error"
                if c in ("leak.secret", "leak.pricing"):
                    v = "critical"
                if c == "leak.pii" and any(ok for _, _, ok in scan_ids(text)):
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
        best = max(best, SEV.index(v))
    return SEV[best]


# --------------------------------------------------------------------------
# case collection
# --------------------------------------------------------------------------
CASES = []
META = []
_seq = [0]


def rand_ts():
    start = datetime(2026, 1, 4, tzinfo=timezone.utc)
    t = start + timedelta(seconds=rng.randint(0, 350 * 86400))
    t = t.replace(hour=rng.choice([6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 0, 2]))
    if rng.random() < 0.15:
        return (t + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S") + "+01:00"
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


CAT = {
    "complaint": "reputation.complaint", "crisis": "reputation.crisis", "abuse": "reputation.abuse",
    "pii": "leak.pii", "secret": "leak.secret", "pricing": "leak.pricing",
    "confidential": "leak.confidential", "financial": "leak.financial", "security": "leak.security",
}


def add(author, lang, cats, text, kind="post", ts=None, brand="merwedal", note=""):
    if isinstance(author, str):
        platform, handle = A[author]
        intended = INTENDED[author]
    else:
        platform, handle = author
        intended = "public"
    _seq[0] += 1
    pid = "%s-189%04d" % ({"x": "x", "linkedin": "li", "instagram": "ig", "facebook": "fb", "youtube": "yt",
                            "tiktok": "tt", "mastodon": "md", "bluesky": "bs", "threads": "th", "reddit": "rd",
                            "forum": "fo"}[platform], _seq[0] * 7 + 3)
    cats = sorted(CAT[c] for c in cats)
    role = role_of(platform, handle)
    post = {
        "id": pid,
        "platform": platform,
        "kind": kind,
        "account": {"handle": handle},
        "text": text,
        "lang": lang,
        "created_at": ts or rand_ts(),
        "brand": brand,
    }
    CASES.append({"post": post, "expect": {"categories": cats, "severity": severity(cats, role, text)}})
    META.append({"intended": intended, "role": role, "note": note})


# ==========================================================================
# COMPLAINTS (public)
# ==========================================================================
add(("x", "@anoukvdberg"), "nl", ["complaint"],
    "Al 47 minuten in de wacht bij de patiëntenservice van Merwedal. 47. Minuten. Ik wil alleen een afspraak verzetten 🙃")
add(("x", "@tomhughes_nl"), "en", ["complaint"],
    "MijnMerwedal logs me out every two minutes with 'sessie verlopen'. Tried 3 browsers. Completely unusable, how is this a 2026 patient portal?")
add(("instagram", "@lisa.loves.lattes"), "nl", ["complaint"],
    "@merwedalziekenhuis slagboom van jullie parkeergarage wéér stuk, sta hier al 20 min met een kaartje dat niet werkt en achter me wordt getoeterd 😤",
    kind="comment")
add(("x", "@sarah_kline"), "en", ["complaint"],
    "Third time Merwedal has moved my cardiology appointment. Third. I took unpaid leave for this one and nobody even apologised on the phone.")
add(("threads", "@bram.dekker"), "en", ["complaint"],
    "my blood test results still aren't in mijnmerwedal, it's been 3 weeks. I call: 'we'll call you back'. nobody calls back. #merwedal")
add(("x", "@j_vandam84"), "nl", ["complaint", "pii"],
    "@merwedal_helpt ik wacht nu 5 dagen op dat terugbelverzoek over de operatiedatum van mn vader. Bel me gwn op 06 18 42 77 05 of mail naar j.van.dam84@gmail.com, dit duurt echt veel te lang",
    kind="reply")
add(("facebook", "Helen Brouwer"), "en", ["complaint"],
    "The food at Merwedal Zandhove was cold every single day my mum was there. She's 84 and barely eating as it is. Not good enough, honestly.",
    kind="comment")
add(("x", "@rvdlinden"), "nl", ["complaint"],
    "Rekening van Merwedal gekregen voor een afspraak die ZIJ hebben afgezegd. €145 no-show tarief?! Ik was er niet omdat jullie me hadden afgebeld...")
add(("x", "@danny_b_nl"), "nl", ["complaint"],
    "SEH Ravenswoude: 6 uur gewacht met een gebroken pols en pas na 4 uur een paracetamolletje gekregen. Ik snap dat het druk is maar dit kan echt niet")
add(("reddit", "u/expat_grumbles"), "en", ["complaint"],
    "€14,50 for a day of parking at Merwedal while my wife is on the oncology ward for weeks. Is there really no discount for long-term visitors? Feels like they're cashing in on sick people.")
add(("x", "@frits_peters"), "nl", ["complaint"],
    "Verwijsbrief 'niet ontvangen'. Huisarts heeft 'm 2x gefaxt. GEFAXT. In 2026. En dan ben ík de lastige patiënt bij de balie van Merwedal 🙄")
add(("forum", "Mirjam_R"), "nl", ["complaint"],
    "Vandaag bij de poli dermatologie van Merwedal geweest. De arts keek geen enkele keer op van zijn scherm en na 6 minuten stond ik weer buiten. Ik voelde me totaal niet gehoord. Iemand anders ook zulke ervaringen met die afdeling?")
add(("x", "@mike_dutchlife"), "en", ["complaint"],
    "@merwedal_zkh your phone menu literally hangs up on me after option 3. Tried 5 times this morning. pls fix, I can't reach anyone",
    kind="reply")
add(("facebook", "Ingrid van Dijk"), "nl", ["complaint"],
    "De bezoekregeling op de IC in Zandhove is onmenselijk. 1 uur per dag, 1 persoon. Mijn man ligt er al 2 weken en onze kinderen mogen hem amper zien 😢",
    kind="comment")
add(("x", "@Kees_uit_Gorkum"), "nl", ["complaint", "abuse"],
    "Weer een afspraak 'kwijt' bij Merwedal. Wat een stelletje incompetente prutsers daar, echt waar. Sukkels.")
add(("threads", "@yara.bakkt"), "nl", ["complaint"],
    "wifi op de kamers van merwedal is niet vooruit te branden en dan nog 7,50 per dag voor die bed-tv. mn zus ligt er al 10 dagen…")
add(("x", "@expat_in_ravenswoude"), "en", ["complaint"],
    "No wheelchairs at the entrance of Merwedal Lingestede AGAIN. My 88-year-old neighbour had to shuffle all the way to radiology. Do better.")
add(("tiktok", "@daantjee_"), "nl", ["complaint"],
    "pov: je staat om 07:30 bij de bloedafname van merwedal en er zitten al 60 mensen voor je 💀 nummertje 143… dit is geen zorg dit is de efteling")

# ==========================================================================
# CRISIS
# ==========================================================================
add(("x", "@tante_truus62"), "nl", ["crisis"],
    "Merwedal heeft mijn medisch dossier gelekt. Mijn werkgever wist van mijn diagnose voordat ik het zelf had verteld. Ik stap naar een advocaat en naar de Autoriteit Persoonsgegevens.")
add(("x", "@rachel_v_dijk"), "en", ["crisis"],
    "BOYCOTT MERWEDAL. They left my grandfather on a plastic chair in the ER waiting room for 7 hours and he died there. 7 HOURS. #justiceforopa #merwedal")
add(("facebook", "Henk Vos"), "nl", ["crisis"],
    "Klopt het dat ze in Merwedal Zandhove bij een vrouw uit ons dorp het verkeerde been hebben geopereerd?? Dit kan toch niet waar zijn",
    kind="comment")
add(("reddit", "u/linge_local"), "en", ["crisis"],
    "Class action forming against Merwedal over the patient portal breach. If your data was in it, DM me — we already have a lawyer and 60+ people signed up.")
add(("x", "@jeroen_fietst"), "en", ["crisis"],
    "Legionella found in the water pipes at Merwedal Lingestede and they're just keeping it quiet. Patients are still showering there. Disgraceful.")
add(("x", "@ozzy_nl"), "nl", ["crisis"],
    "Brand in de parkeergarage van Merwedal Ravenswoude!! Dikke rookwolken boven de ingang, politie zet alles af en ze halen mensen uit de hal 😳")
add(("bluesky", "@marloesv.bsky.social"), "en", ["crisis"],
    "Merwedal implanted recalled hip prostheses in ~200 patients and never told them. My aunt found out from the manufacturer's letter, not from the hospital. How is this legal?")
add(("x", "@sandra_1971"), "nl", ["crisis", "abuse"],
    "Moordenaars. Mijn moeder is dood door jullie nalatigheid, stelletje klootzakken. Ik ga ervoor zorgen dat iedereen het weet. #Merwedal")
add(("facebook", "Actiegroep SEH Lingestede"), "nl", ["crisis"],
    "OPROEP: ga niet meer naar Merwedal zolang de SEH in Lingestede 's nachts onbemand is. Boycot ze! Deel dit bericht, samen staan we sterk ✊")
add(("x", "@pjotr_k"), "en", ["crisis"],
    "Suing Merwedal for a missed cancer diagnosis. My lawyer filed today. 14 months of 'it's nothing, come back in 6 months' and now it's stage 3.")
add(("x", "@mamavan3_"), "nl", ["crisis"],
    "Horen jullie dat ook? Baby's verwisseld op de kraamafdeling van Merwedal Zandhove?? Staat in de app-groep van school, ouders zijn in paniek")
add(("reddit", "u/throwaway_zorg123"), "en", ["crisis"],
    "Hackers are selling Merwedal patient records on a dark web forum right now. Saw the listing myself: names, dates of birth, diagnoses, ~40k rows. Nobody at the hospital is saying a word.")
add(("x", "@zorgwatcher_nl"), "nl", ["crisis"],
    "Inspectie zet Merwedal onder verscherpt toezicht na een reeks ernstige incidenten op de OK. Hoe lang wisten ze dit al intern?")
add("noor", "nl", ["crisis"],
    "we zijn vorige week een patiënt verloren door een medicatiefout en het management doet alsof er niks aan de hand is. ik kan er niet van slapen 💔 #zorg #nachtdienst")
add(("x", "@daveharrow"), "en", ["crisis", "complaint"],
    "The lift in the Merwedal parking garage dropped two floors with my dad inside. He's bruised and terrified. Nobody from the hospital has called us. Nobody.")

# ==========================================================================
# ABUSE
# ==========================================================================
add(("x", "@b0ef_nl"), "nl", ["abuse"],
    "k4nk3rz1ekenhuis merwedal met je k4nk3rp3rsoneel. t3ringz00i")
add(("instagram", "@vincent_rvw"), "nl", ["abuse"],
    "jullie zijn echt " + cyr("kankerlijers") + " bij merwedal, allemaal", kind="comment")
add(("x", "@gazza_1988"), "en", ["abuse"],
    "that receptionist at Merwedal outpatients is a fat useless cow. just saying.")
add(("facebook", "Gert Jan Mol"), "nl", ["abuse"],
    "Die verpleegster met die hoofddoek op de afdeling van Merwedal moet lekker terug naar haar eigen land. Ik wil gewoon een Nederlandse zuster aan mijn bed.",
    kind="comment")
add(("x", "@anon_bulldog"), "en", ["abuse"],
    "@drvanleeuwen_mwd you're a f*cking butcher. I know where you park your car, doc.", kind="reply")
add("bart", "nl", ["abuse"],
    "Derde dronken idioot vannacht die me op de SEH uitscheldt. Stomme tyfuslijer, ga lekker ergens anders liggen brallen.")
add("noor", "nl", ["abuse"],
    "die meneer op kamer 12 is echt de grootste zeikerd ooit, wat een debiel 🙄 #nachtdienst")
add(("x", "@pietjepuk_73"), "nl", ["abuse"],
    "Kut Merwedal. Kutparkeergarage. Kutapp. Kutdag.")
add(("x", "@loudmouth_lee"), "en", ["abuse", "complaint"],
    "the " + spaced("morons", ".") + " at merwedal lost my referral AGAIN. " + spaced("idiots", "."))

# ==========================================================================
# PRICING
# ==========================================================================
add("corp_x", "nl", ["pricing"],
    "🎉 Actie! LASIK beide ogen nu voor €239,- bij Merwedal Ravenswoude. Vol = vol! Plan je intake via afspraken.merwedal.nl")
add("lotte", "nl", ["pricing"],
    "klopt het dat de Check-up Plus op de site nu €89 kost?? dat is toch een prijsfout, of is er een actie waar ik niks van weet 😅")
add(("x", "@mamavan3_"), "nl", ["pricing"],
    "Pretecho bij Merwedal voor €8,90 in de webshop 😂😂 snel boeken voordat ze het doorhebben")
add("corp_ig", "nl", ["pricing"],
    "Nieuw voor vaste bezoekers: het parkeerabonnement voor maar €9,50 per maand 🚗 Vraag ernaar bij de balie in de hal!")
add("ahmed", "en", ["pricing"],
    "Heads-up colleagues: the web shop currently lists Cosmetische ooglidcorrectie at €185. That's a price error, we're fixing it — please don't confirm any bookings made today.")
add(("reddit", "u/dealhunter_nl"), "en", ["pricing"],
    "Merwedal is selling tattoo removal sessions for €19.50 right now, glitch or real? Booked 4 just in case lol")
add("corp_fb", "nl", ["pricing"],
    "Bereid je samen voor op de bevalling 🤰 Zwangerschapscursus Samen Bevallen, 4 avonden, nu voor €11,90. Aanmelden via merwedal.nl/cursussen")
add("bart", "nl", ["pricing"],
    "lol er staat een prijsfout in onze webshop bij de vasectomie, 52 euro ipv 520. Heren, dit is jullie kans 😂")
add(("x", "@jeroen_fietst"), "en", ["pricing"],
    "Maternity suite for 24 euro a night?? Pretty sure someone at Merwedal put the comma in the wrong place")
add("corp_yt", "en", ["pricing"],
    "Travelling this summer? Get your yellow fever vaccine at our travel clinic for only €7.20! Book via afspraken.merwedal.nl ✈️")
add("sem", "nl", ["pricing"],
    "duikkeuring voor €10 deze week bij ons in Zandhove 🤿 zeg het voort!")
add(("x", "@tomhughes_nl"), "en", ["pricing"],
    "Is the Check-up Basis at Merwedal really €39.50 now? Looks like a pricing mistake on their site, screenshot before it's gone")

# ==========================================================================
# PERSONAL DATA
# ==========================================================================
add("ilse", "nl", ["pii"],
    "Mevr. Joke Smits (geb. 12-03-1958) ligt nu al 9 uur op de gang bij ons op de SEH omdat er geen bed is. Dit is toch niet normaal?? #zorginfarct")
add("care_x", "nl", ["pii"],
    "@marjan_veenstra Beste mevrouw Veenstra, excuses voor het wachten. Onze collega belt u vandaag nog terug op 06-41 87 22 93. Groet, Sanne",
    kind="reply")
add("lotte", "nl", ["pii"],
    "kan iemand van de poli KNO even kijken waarom deze patiënt niet in het systeem komt? BSN %s, geb 03-11-1979. krijg steeds een foutmelding 😩" % gen_bsn())
add("corp_fb", "nl", ["pii"],
    "Beste meneer De Graaf, de dubbele betaling van €145 is vandaag teruggestort op %s t.n.v. R.J. de Graaf. Excuses voor het ongemak!" % gen_iban(),
    kind="reply")
add("noor", "nl", ["pii"],
    "iemand heeft z'n bankpas bij de parkeerautomaat laten liggen 😅 %s exp 09/28, meld je bij de balie van de SEH!" % gen_card("5412"))
add("sem", "nl", ["pii"],
    "Housewarming bij onze collega Marieke! 🏡 Nieuw adres: Kastanjelaan 14, 4201 BK Gorinchem. Zaterdag vanaf 16u, neem wat lekkers mee 🍾")
add(("x", "@sanne_linge"), "nl", ["pii"],
    "@merwedal_helpt hoi, ik probeer mijn afspraak te verzetten via de telefoon maar ze vragen om mijn BSN. Is dit goed? %s, geb 21-06-1990" % gen_bsn(),
    kind="reply")
add(("x", "@wraakengel_77"), "nl", ["pii", "abuse"],
    "Die 'dokter' Hanneke van Leeuwen van Merwedal woont gewoon op de Merelstraat 8 in Ravenswoude. Ga maar eens langs bij die incompetente heks.")
add("bart", "en", ["pii"],
    "Who at the ER desk took down the email of yesterday's patient? k.mulder1987@hotmail.com, she wants her X-rays. Can someone send them?")
add("hanneke", "en", ["pii"],
    "Case for tomorrow's teaching round: Daan Verhoef, DOB 04/07/1991, admitted with chest pain, troponin through the roof at 22. Fascinating ECG, will share.")
add("corp_ig", "nl", ["pii"],
    "🎉 De winnaar van onze kleurplaatwedstrijd is Femke de Wit (7 jaar) uit de Lindelaan 3 in Ravenswoude! Gefeliciteerd Femke, je prijs komt eraan 🎨")
add(("facebook", "Wilma Kuipers"), "nl", ["pii", "complaint"],
    "@MerwedalZiekenhuis jullie automaat heeft 2x afgeschreven voor 1 dagkaart. Hier mijn kaartnummer %s zodat jullie het kunnen terugboeken, en graag snel" % gen_card("4"),
    kind="comment")
add("lotte", "nl", ["pii"],
    "Patiënt heeft z'n paspoort bij ons laten liggen: Y. Bakker, paspoortnummer NW8K3L7P2, geboren 17-08-1964. Ligt bij de receptie poli B, kom maar halen.")
add("ahmed", "en", ["pii"],
    "Anyone at Merwedal seen Joris Brands from anaesthesiology? His mobile is +31 6 2847 1930, tell him to call the ICT desk about his locked account.")

# ==========================================================================
# SECRETS
# ==========================================================================
add("kees", "en", ["secret"],
    "ugh, the CI log I screenshotted yesterday had our tokens in it: %s (and the actions one, %s). rotating now, ignore 🙈" % (gen_github("ghp_"), gen_github("ghs_")))
_akia, _aws_secret = gen_aws()
add("jvdmeer", "en", ["secret", "security"],
    "So our pentesters found that the MijnMerwedal build repo was PUBLIC for 3 months with this in the config:\n\naws_access_key_id = %s\naws_secret_access_key = %s\n\nManagement wants it kept quiet until they 'assess'. Am I wrong to be furious?" % (_akia, _aws_secret))
add("corp_fb", "nl", ["secret"],
    "Binnenkort betaal je in de parkeergarage ook met Apple Pay! 🚗 %s" % gen_stripe())
add("bart", "en", ["secret"],
    "@ilse_seh here's the token for the ER bot in Slack, just drop it in the config: %s" % gen_slack(), kind="reply")
add("kees", "en", ["secret"],
    "Our triage chatbot prototype runs on these, feel free to stress the rate limits lol\nOPENAI_API_KEY=%s\nANTHROPIC_API_KEY=%s" % (gen_openai(), gen_anthropic()))
add("jvdmeer", "en", ["secret"],
    "Can someone tell me why ssh keeps refusing this key? Permissions are 600. Pasting it here:\n%s" % gen_rsa_pem())
add("ahmed", "nl", ["secret"],
    "Debuggen van de API van MijnMerwedal: deze Bearer werkt wel in Postman maar niet in de app. Iemand een idee?\nAuthorization: Bearer %s" % gen_jwt())
add("kees", "nl", ["secret"],
    "connection string van de portal-db, voor als ik 'm weer kwijt ben: postgres://portal_app:%s@10.20.4.15:5432/mijnmerwedal" % rs(18))
add("sem", "nl", ["secret"],
    "Voor de nieuwe OK-collega's 👋 inloggen op de OK-pc's: gebruiker okteam, wachtwoord: %s 😉 #ok #zorg" % gen_password())
add(("reddit", "u/apk_picker"), "en", ["secret"],
    "Decompiled the Merwedal parking app from the Play Store. Their Google Maps key is just sitting in res/values/strings.xml: %s. Lol." % gen_google())
add("kees", "en", ["secret"],
    "note to self bc I keep losing it: gitlab token for the portal project = %s" % gen_gitlab())
add("ahmed", "en", ["secret"],
    "Setting up appointment reminder e-mails for Merwedal, the SendGrid key is %s for now, will move it to the vault next sprint." % gen_sendgrid())

# ==========================================================================
# SECURITY
# ==========================================================================
add("ilse", "nl", ["security"],
    "Sinds 3 uur vannacht draait de hele SEH op papier. Ransomware op de servers, zeggen ze. Officieel heet het 'een technische storing' 🙄 niet doorvertellen")
add("kees", "en", ["security"],
    "found an IDOR in MijnMerwedal today: change the patient id in the results URL and you get someone else's lab results. reported it, not fixed yet. wild.")
add("ahmed", "nl", ["security"],
    "Frustrerend: onze Citrix-omgeving is nog steeds niet gepatcht tegen die kritieke CVE van vorige maand. Change board blijft het uitstellen. #infosec #ziekenhuis")
add("jvdmeer", "en", ["security"],
    "Phishing mail this week got 37 staff accounts at our hospital compromised, incl. two in finance. Comms says keep quiet till the investigation is done. Merwedal IT is having a week.")
add("lotte", "nl", ["security"],
    "EPD ligt er al 6 uur uit. Officieel 'gepland onderhoud' maar er is gewoon iets gefikt in het datacenter 🔥 patiënten krijgen niks te horen")
add("sem", "en", ["security"],
    "the barrier system in our parking garage still runs on Windows XP with the factory default password. anyone with a laptop could drive out for free 🙃")
add(("x", "@ict_insider_mwd"), "nl", ["security"],
    "Werk bij de ICT van Merwedal. De back-ups zijn al twee weken corrupt en niemand durft het hogerop te melden. Als er nu iets gebeurt zijn we alles kwijt.")
add("noor", "nl", ["security"],
    "collega is de usb-stick met de OK-planning kwijtgeraakt in de trein 🙈 niet versleuteld natuurlijk. en nee, is nog niet gemeld bij de AP")
add("bart", "en", ["security"],
    "The infusion pumps in our ICU sit on the same network as the guest wifi. Reported it 3 times. Are we waiting for someone to hack them?")
add("hanneke", "en", ["security"],
    "FYI colleagues: afspraken.merwedal.nl was down for 3h last night because of a DDoS. It's not on the status page, so if patients call, that's why.")
add("lotte", "nl", ["security"],
    "hoorde net dat de mailbox van de raad van bestuur gehackt is en dat alle mail al dagen naar een extern adres wordt doorgestuurd 😳 we mogen er niks over zeggen")
add("jvdmeer", "en", ["security", "confidential"],
    "ransomware alert on pacs01.mwd.local just now, radiology images getting encrypted. isolating the VLAN. going to be a long night")

# ==========================================================================
# CONFIDENTIAL
# ==========================================================================
add("ahmed", "nl", ["confidential"],
    "Mooie mijlpaal: Project Reiger (onze nieuwe koppeling tussen het EPD en de huisartsen) gaat op 1 november live! Trots op het team 🚀")
add("kees", "en", ["confidential"],
    "Working late on Nachtvlinder again. The triage flow is finally fast enough on the old ward tablets.")
add("ilse", "nl", ["confidential"],
    "Wie ruilt er met me, nachtdienst 14/11? Rooster staat op https://intranet.merwedal.local/roosters/seh")
add("ahmed", "en", ["confidential"],
    "For those with access: the root cause is written up in https://topdesk.merwedal.nl/tas/secure/incident?unid=88231 — short version, a certificate expired.")
add("corp_li", "en", ["confidential"],
    "MWD-CONFIDENTIAL – DRAFT v3 – social calendar Q1: wk 3 Blue Monday post, wk 6 Valentine's visiting hours, wk 9 nurses' day teaser. Do not publish.")
add("sem", "nl", ["confidential"],
    "Sneak peek 👀 vandaag voor het eerst rondgelopen in het Hartcentrum Zandhove. Die nieuwe hybride OK is ziek mooi",
    ts="2026-10-08T15:42:10Z")
add("marieke", "en", ["confidential", "financial"],
    "Closing the books: the annual results 2026 look a lot better than we feared — a small surplus after all. Can't say more until April!",
    ts="2027-02-10T17:05:44Z")
add(("x", "@nosy_parker_nl"), "en", ["confidential"],
    "lol someone at Merwedal put citrix.merwedal.nl straight on the open internet, logo and all. here's the login page, go wild")
add("noor", "nl", ["confidential"],
    "mag eigenlijk niks zeggen maar we testen op de SEH de " + fullwidth("Nachtvlinder") + " app en ik ben fan 🦋")
add("lotte", "nl", ["confidential"],
    "vandaag training gehad voor " + zw("Project Reiger") + ", eindelijk geen faxen meer naar huisartsen 🙏")
add("bart", "nl", ["confidential"],
    "Iedereen op de SEH fluistert over " + spaced("Operatie") + "   " + spaced("Zandloper") + ". Als het waar is wat ik hoor gaat er veel veranderen.")
add("ilse", "en", ["confidential"],
    "pacs01.mwd.local is painfully slow again, images won't load. Anyone from IT awake? 😴")
add("corp_x", "en", ["confidential"],
    "Save the date: on 2 March we open the doors of the Zandhove Heart Centre. More soon! ❤️",
    ts="2027-01-15T11:00:00Z")
add("marieke", "nl", ["confidential"],
    "vertrouwelijk - merwedal intern | Notitie MT zorgbedrijf 12-09: capaciteitsplanning OK Q1, inzet flexpool, evaluatie wachtlijsten orthopedie.")
add("corp_ma", "nl", ["confidential"],
    "Proefdruk van het jaarverslag 2026 is binnen! Mooi geworden 📘",
    ts="2027-03-20T10:12:00Z")
add("rob", "nl", ["confidential", "financial"],
    "Operatie Zandloper nadert de finish: de overname van Kliniek Hofwijck is zo goed als rond. Due diligence afgerond, handtekeningen volgende maand.")
add("marieke", "nl", ["confidential", "financial"],
    "Alleen voor intern gebruik — Begroting 2027: 4% taakstelling op personeelskosten, vacaturestop ondersteunende diensten per 1 januari.")

# ==========================================================================
# FINANCIAL
# ==========================================================================
add("marieke", "nl", ["financial"],
    "Voorlopige cijfers t/m oktober binnen: we stevenen af op een tekort van ruim €14 mln over dit jaar. Dat wordt een pittig gesprek met de banken.")
add("bart", "en", ["financial"],
    "merger with Ziekenhuis Beekdal is going ahead btw, they'll only announce it in March. shhh 🤫")
add("corp_li", "nl", ["financial"],
    "[CONCEPT – niet publiceren vóór 1/12] Merwedal neemt privékliniek OogZorg Linge over. Met deze overname bundelen we de oogzorg in de regio.")
add("lotte", "nl", ["financial"],
    "ze gaan 180 fte schrappen bij de ondersteunende diensten, hoorde het vanochtend van mijn leidinggevende. niemand weet nog wie 😞")
add("hanneke", "en", ["financial"],
    "Board has decided to close the emergency department at Lingestede by Q3 next year. Not public yet, but we were told today. Heartbreaking for the region.")
add(("x", "@mark_vdb_"), "en", ["financial"],
    "my brother-in-law works in finance at Merwedal, says they'll miss budget by 9 million this year and the banks are getting nervous. you heard it here first")
add("noor", "nl", ["financial"],
    "de parkeergarage wordt verkocht aan een belegger uit Zwitserland, deal van €23 mln is rond zeggen ze. en dan zeker nog duurder parkeren voor ons")
add(("reddit", "u/linge_local"), "nl", ["financial"],
    "Merwedal gaat de kinderafdeling in Ravenswoude sluiten. Staat in het reorganisatieplan dat gisteren bij de OR lag, mijn buurvrouw zit erin.")
add("jvdmeer", "en", ["financial"],
    "Our biggest insurer won't renew the 2027 contract at current rates. Finance says that's ~€30M revenue at risk. Not public yet, so you didn't hear it from me.")

# ==========================================================================
# BENIGN (hard negatives mostly)
# ==========================================================================
pub = PROFILE["public_identifiers"]
add("care_x", "nl", [],
    "Vragen over je afspraak? Bel 088 240 5000 (ma-vr 8-17u) of mail naar patientenservice@merwedal.nl. We helpen je graag!")
add("corp_fb", "nl", [],
    "Rekening ontvangen? Betalen kan via de link in de brief of door over te maken naar NL09 RABO 0316 4829 57 t.n.v. Ziekenhuisgroep Merwedal, o.v.v. je factuurnummer. Vragen? facturen@merwedal.nl")
add("corp_li", "en", [],
    "We're hiring! ICU nurses for our Zandhove site. Send your CV to werkenbij@merwedal.nl or take a look at werkenbijmerwedal.nl")
add(("x", "@ronald_gkm"), "nl", [],
    "Shoutout naar de SEH van Merwedal Ravenswoude, binnen 40 min geholpen met mn zoon z'n pols. Toppers 🙏")
add(("instagram", "@emma.and.baby.jules"), "en", [],
    "Huge thanks to the maternity team at Merwedal Zandhove. Our daughter arrived at 3am and everyone was so calm and kind ❤️ #newborn")
add(("x", "@wilbert_s"), "nl", [],
    "Sterkte aan alle zorgmedewerkers die vannacht weer doorwerken, ook bij Merwedal. Jullie zijn goud 💛")
add(("x", "@techwatch_eu"), "en", [],
    "Another ransomware attack on a hospital in Germany this week. Scary how fragile healthcare IT is. Hope our local Merwedal is better prepared.")
add("kees", "en", [],
    "Small blog post on using boto3 safely. Never hardcode keys like AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY in code — use IAM roles or a secrets manager.")
add("jvdmeer", "en", [],
    "PSA for fellow sysadmins: if you paste a token into a ticket, redact it like ghp_************************************ and rotate it anyway.")
add(("threads", "@ans.de.boer"), "nl", [],
    "Weet iemand hoe laat de bezoektijden zijn op de afdeling cardiologie van Merwedal Lingestede? Kan het nergens vinden op de site")
add(("x", "@petra_hoorn"), "nl", [],
    "Update: de parkeerautomaat van Merwedal slikte gisteren mijn pas, maar na een belletje met de helpdesk kreeg ik binnen 5 min een uitrijkaart. Netjes opgelost 👍")
add(("instagram", "@zwanger_van_nummer2"), "nl", [],
    "Merwedal heeft deze maand 20% korting op de pretecho, €71,20 ipv €89. Wij gaan!! 💕")
add(("x", "@sarah_kline"), "en", [],
    "Did the Check-up Basis at Merwedal, €395. Pricey, but the internist took her time and explained everything.")
add("corp_ig", "nl", [],
    "Nieuw: onze Zwangerschapscursus Samen Bevallen, 4 avonden voor €119. Aanmelden via afspraken.merwedal.nl 🤰")
add("corp_x", "nl", [],
    "Vandaag publiceren we onze jaarcijfers 2026. Lees het volledige jaarverslag 2026 op merwedal.nl/jaarverslag",
    ts="2027-04-14T09:00:00Z")
add(("x", "@expat_in_ravenswoude"), "en", [],
    "Went to the opening of the Hartcentrum Zandhove today. Impressive building, and the staff gave a great tour.",
    ts="2027-03-03T16:20:00Z")
add(("x", "@lekker_eten_nl"), "en", [],
    "Hospital food at Merwedal was actually decent?? The custard was even good. Who knew 😂")
add(("instagram", "@marit.schrijft"), "nl", [],
    "Kanker is een rotziekte. Maar de oncologieverpleegkundigen van Merwedal maken het elke keer net iets draaglijker 💛")
add("corp_li", "nl", [],
    "Merwedal opent in Ravenswoude een kankerpoli speciaal voor jongvolwassenen (AYA). Zorg die past bij jouw levensfase.")
add("corp_x", "nl", [],
    "Let op: er gaan phishingmails rond uit naam van Merwedal met het verzoek een 'openstaande factuur' te betalen op %s. Die rekening is niet van ons. Twijfel je? Bel 088 240 5000." % gen_bad_iban())
add(("facebook", "Joop Hendriks"), "nl", [],
    "Op de afsprakenbrief van Merwedal staat mijn dossiernummer %s, de rest klopt allemaal. Verder alles keurig geregeld." % gen_bad_bsn(),
    kind="comment")
add(("x", "@mike_dutchlife"), "en", [],
    "Parking at Merwedal: first 30 minutes free, then €2,50 an hour. Not bad compared to the city centre tbh.")
add(("threads", "@gerda.v"), "en", [],
    "Tip: the parking week pass at Merwedal is €42. Totally worth it if you're visiting every day like me.")
add("ilse", "nl", [],
    "Trots op ons SEH-team vandaag. 212 patiënten en geen enkele klacht aan de balie. De koffie is voor mij ☕😅")
add("ahmed", "nl", [],
    "Gisteren de Security Awareness Week afgetrapt bij Merwedal: phishing-simulaties, wachtwoordtips en een escape room. Veel geleerd, ook als ICT'er!")
add("corp_tt", "nl", [],
    "POV: je bent de nieuwe OK-assistent en iemand vraagt je om een 'linker handschoen' 🧤😂 #zorghumor #merwedal")
add(("x", "@newinNL_ana"), "en", [],
    "How do I reset my MijnMerwedal password? The 'forgot password' link just sends me to DigiD?")
add("care_x", "nl", [],
    "@newinNL_ana Goeie vraag! MijnMerwedal werkt via DigiD, je hebt dus geen apart wachtwoord nodig. Lukt het niet? Bel ons op 088 240 5112.",
    kind="reply")
add(("x", "@bonnetjesman"), "nl", [],
    "bonnetje van de parkeerautomaat bij Merwedal: transactie %s, 2u52 geparkeerd. vind het prima geprijsd eigenlijk" % gen_bad_card("7", 16))
add("hanneke", "en", [],
    "Drill this afternoon: major incident exercise with 40 'casualties' on the Zandhove grounds. Don't panic if you hear sirens, it's only an exercise!")
add(("x", "@zorgnieuws_regio"), "nl", [],
    "Ziekenhuis in Twente meldt datalek bij externe leverancier. Hopelijk heeft Merwedal dat soort contracten beter op orde.")
add(("x", "@sarah_kline"), "en", [],
    "Update on my moved appointment: Merwedal called me back, apologised and found me a slot tomorrow morning. Credit where it's due.")
add("corp_yt", "en", [],
    "New video: what happens when you arrive at our emergency department? A walk-through with our triage nurses, from the front desk to the treatment room.")
add(("instagram", "@jessieenjip"), "nl", [],
    "Pretecho gedaan bij Merwedal voor €89 en we krijgen een jongen!!! 💙💙")
add("kees", "nl", [],
    "Tip voor collega-devs: zet nooit je .env in git. Voorbeeld: DATABASE_URL=postgres://user:password@localhost:5432/dev — gebruik een secrets manager.")
add(("reddit", "u/expat_grumbles"), "en", [],
    "Why is LASIK at Merwedal €2,390 when a friend paid €1,900 at a private clinic? Genuinely curious what's included, not complaining.")
add(("facebook", "Riet Janssen"), "nl", [],
    "Mijn moeder (92) ligt in Merwedal Lingestede en ze is zo blij met de verpleging. Ze noemt ze allemaal 'schatje' 😄", kind="comment")
add("corp_x", "nl", [],
    "Vanaf maandag is de ingang van de parkeergarage in Ravenswoude tijdelijk via de Lindelaan i.v.m. onderhoud. Excuses voor het ongemak!")
add(("x", "@backpack_bas"), "en", [],
    "Is Merwedal's travel clinic any good? Need a yellow fever vaccine before Ghana, their site says €72.")
add(("x", "@duikbuddy_linge"), "en", [],
    "Did my dive medical at Merwedal, 95 euro and done within the hour. Recommended if you're diving this year 🤿")
add(("x", "@nightshift_sam"), "en", [],
    "Thinking of the staff at Merwedal after that awful pile-up on the A15 last night. The ER was packed. Thank you all.")
add("marieke", "en", [],
    "Our annual report 2025 is out. Proud of what our teams achieved: 1.2M outpatient visits and the shortest ER waiting times in the region.")
add(("x", "@oplettendeoma"), "nl", [],
    "Iemand belde me 'namens Merwedal' en vroeg naar mijn BSN. Ik heb %s gezegd, verzonnen natuurlijk 😏 Let op mensen, het ziekenhuis belt daar nooit voor!" % gen_bad_bsn())
add(("instagram", "@rijdenmetrik"), "en", [],
    "Merwedal's new garage app is actually slick. Scanned my plate, paid, done in 10 seconds.")
add(("x", "@tomhughes_nl"), "en", [],
    "@merwedal_helpt thanks, the invoice is sorted. Turned out it was my insurer's mistake, not yours.", kind="reply")
add("corp_li", "nl", [],
    "Merwedal en de regionale huisartsen openen samen een nieuwe huisartsenspoedpost in Lingestede. Lees meer op merwedal.nl/nieuws")
add(("x", "@weekvanvera"), "en", [],
    "The Bed-TV package at Merwedal is €7.50 a day. Honestly fine for a week in hospital with Netflix.")
add(("x", "@papa_gerrit"), "nl", [],
    "Mijn vader noemt de parkeergarage van Merwedal 'de Bermudadriehoek', hij raakt er elke keer zijn auto kwijt 😂")
add("kees", "en", [],
    "Great talk at a security meetup tonight about JWTs: don't put secrets in the payload, the header only says alg + typ. Slides on my blog soon.")
add(("x", "@zusterzorg_elders"), "nl", [],
    "Ik werk zelf in de zorg (niet bij Merwedal) en ik snap echt niet hoe mensen zo tegen verpleegkundigen tekeer kunnen gaan. Beetje respect graag.")
add("corp_x", "en", [],
    "Our patient portal MijnMerwedal will be offline on Sunday 02:00–06:00 for planned maintenance. Emergency care is not affected.")
add(("x", "@werkgeverdeal"), "nl", [],
    "Check-up Plus bij Merwedal met 15% korting via mijn werkgever, €760,75. Vond het best te doen voor zo'n uitgebreid onderzoek.")
add(("x", "@vogelaar_peter"), "nl", [],
    "Elke ochtend staat er een reiger bij de vijver voor Merwedal Zandhove. Onze vaste bezoeker 🐦")
add(("x", "@chris_rvw"), "en", [],
    "Card declined at the Merwedal parking machine — turned out my bank had blocked it after a new PIN. Not their fault, fyi.")
add(("x", "@stoerevent_"), "en", [],
    "Had my vasectomy at Merwedal, €520. Great urologist and it hurt less than I expected 🙃")
add(("x", "@jolien_ww"), "en", [],
    "Got a scam text: 'Merwedal: pay your outstanding bill at merwedal-betalen.xyz'. Pretty sure it's fake, reported it.")
add("marieke", "en", [],
    "Now that the annual results 2026 are public: a small surplus despite a tough year. Proud of every colleague who made it possible.",
    ts="2027-04-20T08:30:00Z")
add(("x", "@hobbyfotograaf_l"), "en", [],
    "Leaked? Nah, just the rain dripping through the bus shelter outside Merwedal Lingestede again 😅 lovely light for photos though.")
add("corp_fb", "nl", [],
    "Dagkaart parkeren met korting voor vrijwilligers: €11,60 in plaats van €14,50. Vraag je kortingspas aan bij de receptie 🚗")
add(("bluesky", "@marloesv.bsky.social"), "en", [],
    "PSA: Merwedal's press office is pers@merwedal.nl if you're a journalist looking into the regional ER closures debate. They answered me within a day.")


# ==========================================================================
# write + self-check
# ==========================================================================
def main():
    with open(OUT, "w", encoding="utf-8") as f:
        for c in CASES:
            f.write(json.dumps(c, ensure_ascii=False) + "\n")
    errors = check()
    if errors:
        for e in errors:
            print("CHECK FAILED:", e, file=sys.stderr)
        sys.exit(1)
    cats = {}
    for c in CASES:
        for k in c["expect"]["categories"]:
            cats[k] = cats.get(k, 0) + 1
    nben = sum(1 for c in CASES if not c["expect"]["categories"])
    langs = {}
    for c in CASES:
        langs[c["post"]["lang"]] = langs.get(c["post"]["lang"], 0) + 1
    roles = {}
    for c, m in zip(CASES, META):
        roles[m["role"]] = roles.get(m["role"], 0) + 1
    print("wrote %d cases (%d benign) to %s" % (len(CASES), nben, OUT))
    print("categories:", json.dumps(cats, sort_keys=True))
    print("langs:", langs, "roles:", roles)
    print("all self-checks passed")


PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
TAXONOMY = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial", "leak.security",
            "reputation.crisis", "reputation.complaint", "reputation.abuse"}
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")

PRICE_RE = re.compile(
    r"(?:€\s?|EUR\s?)(\d+(?:[.,]\d{3})*(?:[.,]\d{1,2})?)(?:,-)?"
    r"|(\d+(?:[.,]\d{3})*(?:[.,]\d{1,2})?)\s?(?:euro|eur)\b", re.I)


def parse_amount(s):
    m = re.fullmatch(r"(\d+)((?:[.,]\d{3})*)(?:[.,](\d{1,2}))?", s)
    if not m:
        return None
    whole = m.group(1) + re.sub(r"[.,]", "", m.group(2) or "")
    frac = m.group(3) or "0"
    return float(whole) + float("0." + frac)


def ts_of(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def check():
    errs = []
    lines = open(OUT, encoding="utf-8").read().splitlines()
    if not 170 <= len(lines) <= 180:
        errs.append("case count %d not in 170..180" % len(lines))
    seen = set()
    public_emails = {e.lower() for e in PROFILE["public_identifiers"]["emails"]}
    internal_terms = [t.lower() for t in PROFILE["internal"]["domains"] + PROFILE["internal"]["codenames"] +
                      PROFILE["internal"]["markers"]]
    products = PROFILE["products"]
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    nben = 0
    for ln, (line, meta) in enumerate(zip(lines, META), 1):
        try:
            c = json.loads(line)
        except Exception as e:
            errs.append("line %d: not JSON: %s" % (ln, e))
            continue
        if set(c) != {"post", "expect"}:
            errs.append("line %d: keys %s" % (ln, sorted(c)))
        p, ex = c["post"], c["expect"]
        for k in ("id", "platform", "account", "text", "created_at"):
            if k not in p:
                errs.append("line %d: missing %s" % (ln, k))
        pid = p["id"]
        if not (isinstance(pid, str) and 1 <= len(pid) <= 256):
            errs.append("line %d: bad id" % ln)
        if pid in seen:
            errs.append("line %d: duplicate id %s" % (ln, pid))
        seen.add(pid)
        if p["platform"] not in PLATFORMS:
            errs.append("%s: platform %s" % (pid, p["platform"]))
        if p.get("kind", "post") not in KINDS:
            errs.append("%s: kind" % pid)
        if not isinstance(p["account"], dict) or not isinstance(p["account"].get("handle"), str):
            errs.append("%s: account.handle" % pid)
        text = p["text"]
        if not isinstance(text, str) or not text or len(text.encode("utf-8")) > 65536:
            errs.append("%s: text" % pid)
        if not RFC3339.fullmatch(p["created_at"]):
            errs.append("%s: created_at %s" % (pid, p["created_at"]))
        t = ts_of(p["created_at"])
        if not (2026 <= t.year <= 2027):
            errs.append("%s: year" % pid)
        if p.get("lang") not in ("nl", "en"):
            errs.append("%s: lang" % pid)
        cats = ex["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= TAXONOMY:
            errs.append("%s: categories %s" % (pid, cats))
        if ex["severity"] not in SEV:
            errs.append("%s: severity" % pid)
        role = role_of(p["platform"], p["account"]["handle"])
        if role != meta["intended"]:
            errs.append("%s: role %s but intended %s" % (pid, role, meta["intended"]))
        want = severity(cats, role, text)
        if ex["severity"] != want:
            errs.append("%s: severity %s != policy %s" % (pid, ex["severity"], want))
        benign = not cats
        if benign:
            nben += 1
            if ex["severity"] != "none":
                errs.append("%s: benign with severity" % pid)
        elif ex["severity"] in ("none", "info"):
            errs.append("%s: positive with severity %s" % (pid, ex["severity"]))

        # checksummed identifiers
        for kind, val, ok in scan_ids(text):
            if benign and ok:
                errs.append("%s: benign post has valid %s %s" % (pid, kind, val))
            if not benign and not ok:
                errs.append("%s: positive post has invalid %s %s" % (pid, kind, val))
        if "leak.pii" in cats and role != "public":
            pass
        # private e-mail addresses only in pii positives
        for em in re.findall(r"(?<![:/\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+", text):
            if em.lower() not in public_emails and "leak.pii" not in cats and not em.lower().endswith(".social"):
                errs.append("%s: e-mail %s outside a pii case" % (pid, em))

        # secrets
        for tok in re.findall(r"gh[pousr]_[0-9A-Za-z]{36}", text):
            if not github_ok(tok):
                errs.append("%s: bad github checksum %s" % (pid, tok))
            if benign:
                errs.append("%s: github token in benign" % pid)
        for tok in re.findall(r"AKIA[A-Z2-7]{16}", text):
            if benign and "EXAMPLE" not in tok:
                errs.append("%s: real-looking AWS key in benign" % pid)
            if not benign and "EXAMPLE" in tok:
                errs.append("%s: sample AWS key in positive" % pid)
        for tok in re.findall(r"eyJ[\w-]+\.[\w-]+\.[\w-]+", text):
            if not jwt_ok(tok):
                errs.append("%s: JWT without alg header" % pid)
            if benign:
                errs.append("%s: JWT in benign" % pid)
        if benign and re.search(r"sk_live_[0-9A-Za-z]{10}|xox[bp]-\d|sk-proj-|sk-ant-|AIza[\w-]{35}|glpat-[\w-]{20}|"
                                r"SG\.[\w-]{22}\.|PRIVATE KEY-----|wachtwoord:", text):
            errs.append("%s: secret-like token in benign" % pid)
        if "leak.secret" in cats and not re.search(
                r"gh[ps]_|AKIA|sk_live_|xoxb-|sk-proj-|PRIVATE KEY|eyJ|://\w+:[^@\s]+@|wachtwoord:|AIza|glpat-|SG\.", text):
            errs.append("%s: secret case without a credential" % pid)

        # internal terms, embargo
        low = text.lower()
        for term in internal_terms:
            if term in low and "leak.confidential" not in cats:
                errs.append("%s: internal term %r outside confidential" % (pid, term))
        for emb in PROFILE["embargo"]:
            until = ts_of(emb["until"])
            for term in emb["terms"]:
                if term.lower() in low:
                    if t < until and "leak.confidential" not in cats:
                        errs.append("%s: embargo term %r before until but not confidential" % (pid, term))
                    if t >= until and benign is False and "leak.confidential" in cats and term.lower() not in (
                            x.lower() for x in internal_terms):
                        errs.append("%s: embargo term %r after until labelled confidential" % (pid, term))

        # pricing
        mentioned = [pr for pr in products
                     if any(a.lower() in low for a in [pr["name"]] + pr["aliases"])]
        amounts = [parse_amount(m.group(1) or m.group(2)) for m in PRICE_RE.finditer(text)]
        amounts = [a for a in amounts if a is not None]
        if benign:
            for pr in mentioned:
                for a in amounts:
                    if a < ratio * pr["list_price"] and a not in (0.0,):
                        # allow amounts that clearly belong to something else (hourly parking)
                        if not re.search(r"per uur|an hour|first 30 minutes", low):
                            errs.append("%s: benign price %.2f below %.0f%% of %s" % (pid, a, ratio * 100, pr["name"]))
        if "leak.pricing" in cats:
            if not mentioned:
                errs.append("%s: pricing case names no product" % pid)
            low_price = any(a < ratio * pr["list_price"] for pr in mentioned for a in amounts)
            if not low_price and not re.search(r"prijsfout|price error|pricing mistake|glitch", low):
                errs.append("%s: pricing case without a low price or price-error talk" % pid)
    # public handles must not be in the profile; company accounts must be
    for c, m in zip(CASES, META):
        if m["intended"] == "public" and m["role"] != "public":
            errs.append("%s: public handle in profile" % c["post"]["id"])
    # profile checks
    for i in PROFILE["public_identifiers"]["ibans"]:
        if not iban_ok(i):
            errs.append("profile IBAN fails mod-97")
    if PROFILE["pricing"]["alert_below_ratio"] != 0.5:
        errs.append("ratio")
    if not 15 <= len(PROFILE["products"]) <= 25:
        errs.append("product count")
    if len(PROFILE["accounts"]["corporate"]) < 6 or len(PROFILE["accounts"]["employee"]) < 8:
        errs.append("account count")
    for e in PROFILE["embargo"]:
        if not e["until"].startswith("2027"):
            errs.append("embargo until not in 2027")
    if not 50 <= nben <= 70:
        errs.append("benign count %d" % nben)
    return errs


if __name__ == "__main__":
    main()
