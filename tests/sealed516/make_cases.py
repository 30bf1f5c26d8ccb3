#!/usr/bin/env python3
"""Held-out evaluation set for postwatch: Isoluma Glazing B.V. (fictional window-glazing installer).

Deterministic: fixed seeds, standard library + PyYAML. Writes cases.jsonl beside this file and
self-checks it (checksums of identifiers, secret formats, CONTRACT section 6 shape, severities
computed from the account role in profile.yaml per CONTRACT section 4).
"""
import base64
import datetime
import json
import os
import random
import re
import string
import struct
import sys
import zlib

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))

rng = random.Random(516_2026)      # secrets and identifiers
drng = random.Random(516_0101)     # timestamps

# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------

def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(cc, bban):
    r = bban + cc + "00"
    n = int("".join(str(int(c, 36)) for c in r))
    return f"{cc}{98 - n % 97:02d}{bban}"


def luhn_ok(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    if not 13 <= len(d) <= 19:
        return False
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
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
    return tot > 0 and tot % 11 == 0


def bump_last_digit(s):
    """Turn a valid identifier into a look-alike by changing its last digit."""
    idx = max(i for i, c in enumerate(s) if c.isdigit())
    return s[:idx] + str((int(s[idx]) + 1) % 10) + s[idx + 1:]


def gen_iban(bank):
    acct = "".join(rng.choice(string.digits) for _ in range(10))
    return make_iban("NL", bank + acct)


def fmt_iban(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def gen_card(prefix, length=16):
    while True:
        body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
        for last in string.digits:
            if luhn_ok(body + last):
                return body + last


def fmt_card(s, sep=" "):
    return sep.join(s[i:i + 4] for i in range(0, len(s), 4))


def gen_bsn():
    while True:
        s = str(rng.randint(1, 6)) + "".join(rng.choice(string.digits) for _ in range(8))
        if bsn_ok(s):
            return s


# ---------------------------------------------------------------------------
# secrets built the way the real ones are
# ---------------------------------------------------------------------------
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
URLSAFE = string.ascii_letters + string.digits + "_-"
AWS32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def rand(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def gh_token(prefix="ghp_"):
    body = rand(B62, 30)
    return prefix + body + b62(zlib.crc32(body.encode())).rjust(6, "0")


def gh_token_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt(payload):
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64url(bytes(rng.getrandbits(8) for _ in range(32)))
    return f"{head}.{body}.{sig}"


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    pad = "=" * (-len(parts[0]) % 4)
    try:
        return "alg" in json.loads(base64.urlsafe_b64decode(parts[0] + pad))
    except Exception:
        return False


def sshstr(b):
    return struct.pack(">I", len(b)) + b


def make_openssh_key():
    pub = bytes(rng.getrandbits(8) for _ in range(32))
    priv = bytes(rng.getrandbits(8) for _ in range(32))
    pubblob = sshstr(b"ssh-ed25519") + sshstr(pub)
    check = struct.pack(">I", rng.getrandbits(32))
    sec = check + check + sshstr(b"ssh-ed25519") + sshstr(pub) + sshstr(priv + pub) + sshstr(b"joost@beheer01")
    sec += bytes(range(1, 1 + (-len(sec) % 8)))
    blob = (b"openssh-key-v1\x00" + sshstr(b"none") + sshstr(b"none") + sshstr(b"")
            + struct.pack(">I", 1) + sshstr(pubblob) + sshstr(sec))
    b = base64.b64encode(blob).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


GH_PAT = gh_token("ghp_")
AWS_ID = "AKIA" + rand(AWS32, 16)
AWS_SECRET = rand(string.ascii_letters + string.digits + "/+", 40)
STRIPE = "sk_live_51" + rand(string.ascii_letters + string.digits, 96)
SLACK_HOOK = ("https://hooks.slack.com/services/T" + rand(string.ascii_uppercase + string.digits, 8)
              + "/B" + rand(string.ascii_uppercase + string.digits, 10) + "/" + rand(string.ascii_letters + string.digits, 24))
OPENAI = "sk-proj-" + rand(URLSAFE, 74) + "T3BlbkFJ" + rand(URLSAFE, 74)
ANTHROPIC = "sk-ant-api03-" + rand(URLSAFE, 93) + "AA"
GOOGLE = "AIza" + rand(URLSAFE, 35)
GLPAT = "glpat-" + rand(URLSAFE, 20)
JWT1 = make_jwt({"sub": "offerte-26-4471", "scope": "quote:sign", "iat": 1781424000, "exp": 1784016000})
PEM = make_openssh_key()
DB_PW = rand(string.ascii_letters + string.digits, 12) + "!" + rand(string.digits, 3)
PW_MONTAGE = "Ploeg3!Tiel" + rand(string.digits, 4)
PW_TABLET = rand(string.ascii_lowercase, 5) + "#" + rand(string.digits, 4)
FULLWIDTH = str.maketrans({c: chr(ord(c) + 0xFEE0) for c in string.ascii_letters + string.digits})

# identifiers
IBAN_REFUND = gen_iban("INGB")
IBAN_CUST = gen_iban("ASNB")
IBAN_BAD = bump_last_digit(gen_iban("RABO"))
CARD_DOUBLE = gen_card("4", 16)
CARD_REFUND = gen_card("52", 16)
CARD_BAD = bump_last_digit(gen_card("4", 16))
BSN_STAFF = gen_bsn()
BSN_CUST = gen_bsn()
BSN_BAD = bump_last_digit(gen_bsn())
COMPANY_IBAN = PROFILE["public_identifiers"]["ibans"][0]

# ---------------------------------------------------------------------------
# roles, severity
# ---------------------------------------------------------------------------
ROLE = {}
for role in ("corporate", "employee"):
    for acc in PROFILE["accounts"][role]:
        ROLE[acc.lower()] = role

SEV = ["none", "info", "warning", "error", "critical"]
CAT = {
    "secret": "leak.secret", "pii": "leak.pii", "pricing": "leak.pricing",
    "confidential": "leak.confidential", "financial": "leak.financial", "security": "leak.security",
    "crisis": "reputation.crisis", "complaint": "reputation.complaint", "abuse": "reputation.abuse",
}


def role_of(platform, handle):
    return ROLE.get(f"{platform}:{handle}".lower(), "public")


def severity(cats, role, strong_pii):
    s = "none"
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                v = "error"
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and strong_pii):
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
        s = max(s, v, key=SEV.index)
    return s


def ts(month=None, day=None, year=2026):
    month = month or drng.randint(1, 12)
    day = day or drng.randint(1, 28)
    return datetime.datetime(year, month, day, drng.randint(6, 23), drng.randint(0, 59),
                             drng.randint(0, 59)).strftime("%Y-%m-%dT%H:%M:%SZ")


CASES = []   # (post, expect, meta)


def add(platform, handle, lang, text, cats=(), kind="post", when=None, valid=(), fake=(),
        price=None, secrets=(), name=None):
    n = len(CASES) + 1
    post = {
        "id": f"{platform}-5160{n:04d}",
        "platform": platform,
        "kind": kind,
        "account": {"handle": handle},
        "text": text,
        "created_at": when or ts(),
        "brand": "Isoluma",
    }
    if name:
        post["account"]["display_name"] = name
    if lang and n % 9 != 0:          # lang is only a hint; leave it out now and then
        post["lang"] = lang
    full = sorted(CAT[c] for c in cats)
    role = role_of(platform, handle)
    strong = any(k in ("iban", "card", "bsn") for k, _ in valid)
    expect = {"categories": full, "severity": severity(full, role, strong)}
    CASES.append((post, expect, {"valid": list(valid), "fake": list(fake), "price": price,
                                 "secrets": list(secrets), "role": role, "lang": lang}))


# ===========================================================================
# COMPLAINTS (public customers)
# ===========================================================================
add("x", "@hannekevdm", "nl",
    "@isoluma_helpt al 3x een montagedatum gekregen en 3x kwam er niemand opdagen. Vrij genomen van werk voor niks. Wat is dit voor bedrijf?? 😤",
    ["complaint"], kind="reply")
add("facebook", "gerrit.hofstede.58", "nl",
    "Een half jaar geleden ThermoPlus 2 laten plaatsen in de woonkamer en nu zit er condens TUSSEN de glasplaten. Dat hoort dus niet. "
    "Garantieclaim ingediend op 3 juni, nog steeds geen reactie. Echt teleurgesteld in Isoluma.",
    ["complaint"], name="Gerrit Hofstede")
add("reddit", "u/damp_in_delft", "en",
    "PSA for anyone in NL thinking of Isoluma for triple glazing: they measured our frames wrong, the panes arrived 6mm too small "
    "and the fitter just 'fixed' it with a load of silicone. Now there's a draught you can feel with your hand. Support keeps "
    "telling me it's 'within tolerance'. Sure.",
    ["complaint"])
add("x", "@pietjeprecies77", "nl",
    "Factuur van @isoluma_nl is €480 hoger dan de offerte. 'Meerwerk' zeggen ze. Niemand heeft mij iets gevraagd over meerwerk. Lekker transparant hoor.",
    ["complaint"])
add("instagram", "@sanne.woont", "en",
    "nice pics but I've been waiting 11 weeks for my sliding door now and every single time it's 'next week' 🙄",
    ["complaint"], kind="comment")
add("x", "@tomsfixerupper", "en",
    "Isoluma fitters left glass shards all over the lawn. Found three pieces today while mowing. Not impressed at all @isoluma_helpt",
    ["complaint"])
add("forum", "kozijnkees", "nl",
    "Ervaringen met Isoluma? Wij hebben het Kozijnpakket Kunststof genomen voor de achterkant. Plaatsing op zich prima, maar de "
    "afwerking binnen is ronduit slordig: kitranden scheef, vensterbank beschadigd en de monteur zei letterlijk dat 'de stukadoor "
    "dat wel oppakt'. Wij hebben helemaal geen stukadoor. Klantenservice belooft terug te bellen, gebeurt niet. Zou ze niet nog eens nemen.",
    ["complaint"])
add("other", "reviewer_j.martens", "en",
    "2 stars. Sales guy promised Isoluma would handle the subsidy paperwork. Turns out 'handle' meant emailing me a PDF link. "
    "Missed the ISDE deadline because of it. Glass itself is fine.",
    ["complaint"])
add("x", "@expat_in_zwolle", "en",
    "New Isoluma windows since September and the house is somehow COLDER than before? Draught coming in from every edge. How. #isoluma",
    ["complaint"])
add("x", "@Meghan_in_Leiden", "en",
    "been on hold with isoluma customer service for 47 minutes. forty. seven. the hold music is a pan flute cover of Wonderwall 🙃",
    ["complaint"])
add("mastodon", "@greenreno@social.coop", "en",
    "Honest review of Isoluma VacuLite Slim after one winter: U-value is great, but two of the five panes now have a weird haze in "
    "the corner. Replacement 'under review' since February. Product good, aftercare awful. #retrofit",
    ["complaint"])

# first-hand harm: complaint + crisis
add("facebook", "marco.jansen.apd", "nl",
    "Vannacht met een enorme klap onze nieuwe ThermoPlus 3 ruit in de slaapkamer uit elkaar gesprongen. Glas over het bed waar mijn "
    "vrouw 5 minuten eerder nog lag. Geplaatst door Isoluma in mei. Dit had heel anders kunnen aflopen. Nog geen reactie op mijn mail.",
    ["complaint", "crisis"], name="Marco Jansen")
add("x", "@jordy_bakes", "en",
    "@isoluma_helpt the Smart Dim glass controller you installed in our kitchen gave me a proper electric shock when I touched the "
    "switch plate this morning. Arm still tingling. Please send someone who knows what they're doing, and fast.",
    ["complaint", "crisis"], kind="reply")
add("instagram", "@lisa.en.daan", "en",
    "Your Dakraam Comfort came off its hinge in the first storm and crashed onto the attic floor. Our daughter was playing up there half an hour before. Who is fixing this?!",
    ["complaint", "crisis"], kind="comment")
add("x", "@hbrouwer_", "nl",
    "Sinds de Isoluma-monteurs hier met die kit in de weer zijn geweest hangt er een chemische lucht in huis en heb ik 3 dagen hoofdpijn "
    "en ben ik misselijk. Advies van de klantenservice: 'goed ventileren'. Het is januari.",
    ["complaint", "crisis"], when=ts(1))
add("reddit", "u/holland_handyman", "en",
    "Isoluma fitter dropped a whole pane from the scaffold this afternoon, missed my dad by maybe a metre. Nobody even apologised, "
    "they just swept it up and carried on. Filing a complaint, this is insane.",
    ["complaint", "crisis"])

# ===========================================================================
# CRISIS (third party news, boycotts, breaches, lawsuits, recalls, scandals)
# ===========================================================================
add("x", "@nieuws_amersfoort", "nl",
    "Voetganger gewond op de Leusderweg nadat een ruit losschoot tijdens werkzaamheden van glasbedrijf Isoluma. Het slachtoffer is met "
    "een hoofdwond naar het ziekenhuis gebracht.",
    ["crisis"])
add("x", "@consumentenalarm", "nl",
    "#BoycotIsoluma — ze laten onderaannemers maanden wachten op hun geld terwijl de directie in nieuwe Tesla's rondrijdt. Niet kopen daar. RT!",
    ["crisis"])
add("x", "@privacy_watch_nl", "en",
    "Isoluma customers are getting phishing emails quoting their exact quote number and home address. That data came from somewhere. "
    "Looks very much like a breach Isoluma hasn't disclosed. Anyone else?",
    ["crisis"])
add("blog", "dewoonconsument.nl", "nl",
    "Rechtszaak tegen Isoluma: 37 huiseigenaren stappen samen naar de rechter wegens 'misleidende' besparingsclaims bij de ThermoPlus-lijn. "
    "De eerste zitting staat gepland bij de rechtbank Gelderland in Arnhem.",
    ["crisis"])
add("x", "@bouwnieuws_nl", "nl",
    "Isoluma roept Ventilatierooster Nova terug (productie maart t/m september 2026): de sluitklep kan blijven hangen, met risico op "
    "onvoldoende ventilatie in ruimtes met een gastoestel. Eigenaren krijgen gratis vervanging.",
    ["crisis"], when=ts(10))
add("tiktok", "@renovationtruths", "en",
    "exposing Isoluma 🧵 part 1: door-to-door reps telling pensioners their old windows are 'illegal now' to push €6k packages. "
    "got 3 recordings. stitch this if it happened to your grandparents",
    ["crisis"])
add("linkedin", "arbo-advies-kuipers", "en",
    "Ambulance at an Isoluma job in Haarlem this morning: one of their fitters fell from a ladder while lifting a triple-glazed pane. "
    "Second fall I know of at this firm this year. Where is the labour inspectorate?",
    ["crisis"])
add("reddit", "u/not_a_customer_anymore", "en",
    "Pretty sure Isoluma leaked my details. Since last week I get texts like 'your Isoluma appointment has been moved, click here' with my "
    "full name and address in them. The only company that had that combo is them.",
    ["crisis"])
add("x", "@veiligheidsregio_ijs", "nl",
    "Woningbrand in Zwolle-Zuid. Volgens bewoners begon het bij de schakelkast van het Smart Dim-glas dat vorige week door Isoluma "
    "is geplaatst. Niemand gewond, woning tijdelijk onbewoonbaar.",
    ["crisis"])

# ===========================================================================
# ABUSE
# ===========================================================================
add("x", "@boze_bert", "nl",
    "@isoluma_nl stelletje oplichters en prutsers. Jullie monteur is een ongelikte beer die nog geen ruit recht in een kozijn krijgt, "
    "3 keer terug moeten komen.",
    ["abuse", "complaint"])
add("x", "@xXglazedXx", "en",
    "isoluma staff are the dumbest bunch of idiots I've ever had in my house. absolute clowns 🤡",
    ["abuse"])
add("tiktok", "@dirkjan_2003", "nl",
    "die vrouw van isoluma in die reclame is echt een kutwijf lmao",
    ["abuse"], kind="comment")
add("x", "@anoniem_klager", "nl",
    "1s0lum4 = 0pl1cht3rs. k4nk3rl1jers zijn het allemaal daar",
    ["abuse"])
add("youtube", "@RealTalkRenovations", "en",
    "The guy presenting this video is a smug little prick. Unsubscribed.",
    ["abuse"], kind="comment")
add("facebook", "henk.dijkstra.71", "nl",
    "Die klantenservicemiep van Isoluma (Yasmina ofzo) moet lekker terug naar haar eigen land, snapt er geen reet van",
    ["abuse"], kind="comment", name="Henk Dijkstra")
add("reddit", "u/throwaway_glass_rage", "en",
    "f*ck Isoluma and f*ck their useless fitters",
    ["abuse"], kind="comment")
add("x", "@dkoster_glas", "nl",
    "Weer zo'n klant die denkt dat ie alles beter weet. Meneer uit Nieuwegein, je bent gewoon een zeurende idioot en nee, je krijgt je vensterbank niet vergoed.",
    ["abuse"])
add("x", "@snertjongen", "nl",
    "@isoluma_helpt jullie zijn echt de grootste tyfuslijers van nederland",
    ["abuse"], kind="reply")
add("instagram", "@m.o.n.t.y_", "nl",
    # Cyrillic look-alikes (е, о, а, к) inside the insult
    "isoluma = stеllеtjе klооtzаkkеn, wееt iеdеrееn tосh",
    ["abuse"], kind="comment")
add("x", "@karen_never_again", "en",
    "Your sales rep Lotte is a lying cow and I hope she gets fired. @isoluma_nl",
    ["abuse"])
add("threads", "@rikkert.nl", "nl",
    "k.u.t b.e.d.r.i.j.f isoluma, hoop dat jullie failliet gaan",
    ["abuse"])

# ===========================================================================
# PRICING  (price far below list, or a price error next to a product)
# ===========================================================================
add("instagram", "@isoluma.glas", "nl",
    "🔥 Alleen dit weekend: ThermoPlus 3 triple glas voor €59 per m²! Op = op. Link in bio",
    ["pricing"], price=("ThermoPlus 3", 59))
add("threads", "@lotte.isoluma", "nl",
    "Tip voor vrienden en familie: ik kan de Schuifpui Duo voor jullie doorrekenen voor €1.450 ipv de normale prijs, stuur me maar een DM 😉",
    ["pricing"], price=("Schuifpui Duo", 1450))
add("x", "@dealjager_nl", "nl",
    "PRIJSFOUT bij Isoluma?! Compleet Woning pakket staat op de site voor €595 🤯 snel zijn mensen",
    ["pricing"], price=("Compleet Woning", 595))
add("facebook", "IsolumaGlasNL", "nl",
    "Actie! Kozijnpakket Hout nu vanaf € 649,- per raam incl. montage. Alleen in oktober.",
    ["pricing"], price=("Kozijnpakket Hout", 649), when=ts(10))
add("x", "@marloes_isoluma", "nl",
    "Oeps, in de nieuwsbrief van vanochtend stond de VacuLite Slim voor €34,90 per m². Dat is dus een prijsfout, we zijn het aan het rechtzetten 🙈",
    ["pricing"], price=("VacuLite Slim", 34.90))
add("reddit", "u/frugal_dutchie", "en",
    "Isoluma's webshop is listing Smart Dim glass at €68 per m2. Pretty sure that's missing a zero lol, ordered for two windows just in case",
    ["pricing"], price=("Smart Dim", 68))
add("tiktok", "@isoluma.montage", "nl",
    "Dakraam Comfort erin in 2 uur ⏱️ en deze week voor maar €299 all-in 👀 #dakraam #zolder",
    ["pricing"], price=("Dakraam Comfort", 299))
add("linkedin", "sem-oosterhuis", "en",
    "Staff deal this quarter: the Serrepakket Veranda for €2,950 including fitting. Colleagues, grab it before it's gone!",
    ["pricing"], price=("Serrepakket Veranda", 2950))
add("forum", "spaarzaam_sjaak", "nl",
    "Klopt het dat de Woningscan van Isoluma nu maar €15 kost? Zag het in een banner. Of is dat een fout en gaan ze het niet leveren?",
    ["pricing"], price=("Woningscan", 15))
add("x", "@isoluma_nl", "en",
    "Winter deal ❄️ StilleRuit acoustic glass from just €79/m² installed. Book your free measurement today!",
    ["pricing"], price=("StilleRuit", 79), when=ts(12))
add("instagram", "@bram.zet.glas", "nl",
    "baas heeft per ongeluk de Voorzetraam Flex op €99 gezet in de app haha, wie snel is 🏃‍♂️💨",
    ["pricing"], price=("Voorzetraam Flex", 99))
add("x", "@bargain_brit_nl", "en",
    "Isoluma app showing Kluisruit P4A at €45 per m2?? gotta be a pricing glitch, screenshotted it 📸",
    ["pricing"], price=("Kluisruit P4A", 45))

# ===========================================================================
# CONFIDENTIAL (codenames, unreleased products, markers, internal hosts, NDA)
# ===========================================================================
add("bluesky", "@wouterbouwt.bsky.social", "en",
    "spent the whole weekend migrating the quote engine for zilverreiger. if you see me online at 3am, that's why",
    ["confidential"])
add("x", "@dkoster_glas", "nl",
    "Mooie test gedaan vandaag met de AeroPane Zero op een proefwoning in Ede. Dunner dan je denkt en voelt warmer aan dan triple.",
    ["confidential"], when=ts(9, 17))
add("tiktok", "@isoluma.montage", "nl",
    "Sneak peek 👀 wat wij volgend voorjaar lanceren... meer zeggen we nog niet 🤐 #AeroPaneZero #isoluma",
    ["confidential"], when=ts(11, 5))
add("linkedin", "priya-raghoenath", "nl",
    "Interne memo, niet extern delen: vanaf 1 januari stappen we over op het nieuwe bonusmodel voor monteurs. Bonus wordt gekoppeld aan "
    "klanttevredenheid in plaats van aantal geplaatste ramen.",
    ["confidential"])
add("mastodon", "@jvdlinde@mastodon.nl", "en",
    "anyone got certbot working behind a reverse proxy? planning.isoluma.local refuses to renew and I'm losing my mind",
    ["confidential"])
add("linkedin", "sem-oosterhuis", "en",
    "Proud of the team: Operatie Vorstbloem went live in three regions this week and planning lead times are already down 30%.",
    ["confidential"])
add("reddit", "u/glasshalfempty_nl", "en",
    "My cousin works at Isoluma, says they're launching vacuum triple glazing next spring under the name Project Kraanvogel. Anyone heard anything?",
    ["confidential"])
add("x", "@yasmina_elk", "nl",
    "Voor de nieuwe collega die vroeg hoe je een retour invoert: gewoon via https://crm.isoluma.local/retouren/nieuw en dan klant zoeken 😅",
    ["confidential"])
add("linkedin", "isoluma-glazing", "en",
    "ISOLUMA INTERNAL ONLY – Roadmap 2027 draft: expand to Belgium in Q2, second factory line in Tiel, dealer channel pilot. Feedback to the MT by Friday.",
    ["confidential"])
add("instagram", "@bram.zet.glas", "nl",
    # zero-width spaces inside the codename
    "Eerste proefraam voor Pro\u200bject Kraan\u200bvogel zit erin 😎 meer mag ik niet laten zien",
    ["confidential"])
add("bluesky", "@wouterbouwt.bsky.social", "en",
    "my push to git.isoluma.nl/platform/offerte-engine got rejected by the pre-commit hook AGAIN. fun times in devland",
    ["confidential"])
add("x", "@ex_isoluma_anon", "en",
    "Ex-Isoluma here. That 'Operatie Vorstbloem' they keep whispering about internally is just closing the Groningen and Leeuwarden branches.",
    ["confidential", "financial"])
add("linkedin", "priya-raghoenath", "nl",
    "Strikt vertrouwelijk: de nieuwe salarisschalen voor monteurs en glaszetters staan in de bijlage. Graag niet doorsturen.",
    ["confidential"])
add("x", "@marloes_isoluma", "nl",
    # full-width letters
    "Moodboard voor de lancering is af! " + "Project Kraanvogel".translate(FULLWIDTH) + " wordt zo mooi ✨",
    ["confidential"])
add("threads", "@lotte.isoluma", "nl",
    "Nog 3 weekjes en dan mag iedereen de AeroPane Zero zien 😍 ik heb er al een paar klanten over gebeld hihi",
    ["confidential"], when="2027-02-17T19:42:10Z")

# ===========================================================================
# SECURITY (insiders letting slip incidents, vulnerabilities, outages)
# ===========================================================================
add("mastodon", "@jvdlinde@mastodon.nl", "nl",
    "Collega's: planning.isoluma.local ligt er sinds 06:00 uit na een ransomware-melding op de fileserver. Niks naar buiten communiceren tot de directie iets zegt.",
    ["security", "confidential"])
add("bluesky", "@wouterbouwt.bsky.social", "en",
    "found out today our customer quote portal lets you open anyone's quote just by changing the number in the URL. reported it internally, no fix yet. yikes",
    ["security"])
add("x", "@yasmina_elk", "nl",
    "Sorry als je ons vandaag niet kan bereiken, onze hele telefooncentrale is gehackt en we mogen nog niet zeggen wat er precies aan de hand is 🤐",
    ["security"])
add("reddit", "u/throwaway_isl_2026", "en",
    "Throwaway because I work there: Isoluma had three fitter accounts taken over through a phishing mail last week and the attackers "
    "downloaded the job planning with customer addresses. Management hasn't told anyone.",
    ["security", "crisis"])
add("linkedin", "sem-oosterhuis", "en",
    "Heads up team: the Azure storage container with all our site-survey photos was publicly readable until this morning. It's closed "
    "now but we don't know how long it was open. Please don't discuss this outside.",
    ["security"])
add("x", "@dkoster_glas", "nl",
    "montage-app ligt er al de hele ochtend uit, 14 ploegen staan stil en we mogen de klanten nog niks vertellen. top 🙄",
    ["security"])
add("x", "@isoluma_helpt", "nl",
    "@saskia_vk Klopt, er zit momenteel een fout in het klantportaal waardoor je via de resetlink in het account van iemand anders kan "
    "komen. We werken aan een fix, gebruik het portaal even niet aub.",
    ["security"], kind="reply")
add("mastodon", "@jvdlinde@mastodon.nl", "en",
    "note to self: vpn.isoluma.nl is still on the firmware with that auth-bypass CVE. patch window isn't until next month 🙃",
    ["security", "confidential"])
add("x", "@glaszetter_anon", "en",
    "I work at the Isoluma factory in Tiel. Since Tuesday every system is down because of a hack, production is running on paper. "
    "Officially they call it 'planned maintenance'.",
    ["security"])
add("bluesky", "@wouterbouwt.bsky.social", "en",
    "fun fact: the admin panel of our quote tool accepted admin/admin until last Friday. nobody outside knows and let's keep it that way 🤫",
    ["security"])
add("x", "@marloes_isoluma", "nl",
    "Nieuwsbrief vandaag niet verstuurd, iemand heeft ons mailplatform gekaapt en er 20.000 spammails mee gestuurd namens Isoluma. Hou het even onder ons pls",
    ["security"])
add("tiktok", "@kees_glaszetter", "nl",
    "de tablets van alle montageploegen zijn gisteren gewist door een of ander virus lol, vandaag alles met pen en papier 📝",
    ["security"])
add("linkedin", "priya-raghoenath", "nl",
    "Voor de collega's: de salarisstroken van oktober zijn per ongeluk naar een externe mailinglijst gegaan. IT zoekt uit hoe dit kon, graag niet verder delen.",
    ["security"], when=ts(11))

# ===========================================================================
# SECRETS
# ===========================================================================
add("bluesky", "@wouterbouwt.bsky.social", "en",
    f"why does git push keep asking for my password when the remote is https://{GH_PAT}@github.com/isoluma-dev/offerte-engine.git ?? going insane",
    ["secret"], secrets=[("github", GH_PAT)])
add("mastodon", "@jvdlinde@mastodon.nl", "en",
    f"can anyone spot why this boto3 config won't work?\n\n[default]\naws_access_key_id = {AWS_ID}\naws_secret_access_key = {AWS_SECRET}\nregion = eu-west-1",
    ["secret"], secrets=[("aws", AWS_ID)])
add("reddit", "u/freelance_fenna", "en",
    f"Building a booking widget for a window company (Isoluma) and Stripe keeps returning 401. Backend uses {STRIPE} - what am I missing?",
    ["secret"], secrets=[("stripe", STRIPE)])
add("x", "@marloes_isoluma", "nl",
    f"Wie weet waarom onze Slack-koppeling voor nieuwe leads niet meer post? Webhook is {SLACK_HOOK} en in Zapier staat alles goed",
    ["secret"], secrets=[("slack", SLACK_HOOK)])
add("threads", "@lotte.isoluma", "nl",
    f"Onze offerte-chatbot draait op OpenAI, voor wie hem lokaal wil testen: OPENAI_API_KEY={OPENAI} 🙌",
    ["secret"], secrets=[("openai", OPENAI)])
add("x", "@isoluma_helpt", "en",
    f"@jordy_bakes Sorry for the trouble! You can view and sign your quote directly here: https://mijn.isoluma.nl/offerte/bekijk?token={JWT1}",
    ["secret"], kind="reply", secrets=[("jwt", JWT1)])
add("mastodon", "@jvdlinde@mastodon.nl", "en",
    f"Can someone tell me why ssh says 'invalid format' for this key? copied it straight from the box\n\n{PEM}",
    ["secret"], secrets=[("openssh", PEM)])
add("bluesky", "@wouterbouwt.bsky.social", "en",
    f"note to self bc my laptop is dying: DATABASE_URL=postgresql://planning_svc:{DB_PW}@isoluma-prod.c8fk2xq1eu.eu-west-1.rds.amazonaws.com:5432/planning",
    ["secret"], secrets=[("dburl", DB_PW)])
add("forum", "devops_daan", "en",
    f"On the Isoluma project I register a GitLab runner with {GLPAT} but jobs sit in 'pending' forever. Ideas?",
    ["secret"], secrets=[("gitlab", GLPAT)])
add("bluesky", "@wouterbouwt.bsky.social", "en",
    f"GOOGLE_GEOCODE_KEY={GOOGLE} is what the fitter route planner uses. unrestricted, because restricting it broke it 🙃",
    ["secret"], secrets=[("google", GOOGLE)])
add("x", "@dkoster_glas", "nl",
    f"Voor de nieuwe jongens in ploeg 3: inlog montage-app is ploeg3 / wachtwoord: {PW_MONTAGE} , niet aan de klant laten zien 😉",
    ["secret"], secrets=[("password", PW_MONTAGE)])
add("tiktok", "@kees_glaszetter", "nl",
    "tablet code weer vergeten? " + "wachtwoord".translate(FULLWIDTH) + f": {PW_TABLET} graag gedaan jongens",
    ["secret"], secrets=[("password", PW_TABLET)])

# ===========================================================================
# FINANCIAL (unpublished results, forecasts, M&A, layoffs, reorganisation)
# ===========================================================================
add("linkedin", "ruud-hendriks-isoluma", "nl",
    "Goed kwartaal achter de rug. Q3-omzet komt uit op €41,2 mln, ruim boven onze eigen prognose. De officiële publicatie volgt eind november.",
    ["financial"], when=ts(10))
add("linkedin", "sem-oosterhuis", "en",
    "Signed this afternoon: we're acquiring Glaszetterij Brouwer & Zn 🤝 Press release goes out Monday, so keep it quiet until then!",
    ["financial"])
add("x", "@dkoster_glas", "nl",
    "Slecht nieuws op het werk. 35 monteurs in regio Noord gaan er volgend jaar uit. Officieel is er nog niks gezegd. Balen.",
    ["financial"])
add("x", "@beursbengel", "nl",
    "Hoor uit goede bron dat Isoluma in gesprek is met een Duitse branchegenoot over een overname, deal zou in Q1 rond moeten zijn. Nog geen bevestiging.",
    ["financial"])
add("linkedin", "ruud-hendriks-isoluma", "en",
    "Board approved the revised forecast today: FY2027 EBITDA now expected roughly 20% below plan after the subsidy cut. A market update will follow.",
    ["financial"])
add("threads", "@lotte.isoluma", "nl",
    "we hebben dit jaar 28% minder orders binnen dan vorig jaar 😬 target halen gaat m echt niet worden",
    ["financial"])
add("linkedin", "priya-raghoenath", "en",
    "Drafting the consultation letters for the works council today. Closing the Groningen branch is never an easy conversation.",
    ["financial"])
add("linkedin", "ruud-hendriks-isoluma", "nl",
    "De jaarcijfers 2026 zijn binnen: omzet €163 mln, nettowinst €7,8 mln. Trots op het hele team!",
    ["financial", "confidential"], when="2027-02-10T16:05:00Z")
add("linkedin", "isoluma-glazing", "en",
    "(DRAFT – do not publish yet) Isoluma to acquire VensterVakwerk B.V. as of 1 April. With this acquisition Isoluma grows to 780 employees.",
    ["financial"])
add("reddit", "u/tielse_glasblazer", "nl",
    "Werk bij Isoluma. Vandaag op de bedrijfsbijeenkomst gezegd dat er 120 fte uit moet en dat de fabriek in Tiel misschien dicht gaat. Staat nog nergens in het nieuws.",
    ["financial"])
add("bluesky", "@wouterbouwt.bsky.social", "en",
    "rumour at the office: we're being bought by a private equity fund. due diligence people walking around all week with their laptops",
    ["financial"])

# ===========================================================================
# PERSONAL DATA
# ===========================================================================
add("x", "@isoluma_helpt", "nl",
    "@Marieke_dV Hoi Marieke, de monteur komt donderdag tussen 8 en 12 uur naar Kastanjelaan 7, 3833 BK Leusden. Klopt dat adres nog?",
    ["pii"], kind="reply")
add("facebook", "IsolumaGlasNL", "nl",
    f"Beste meneer Bos, we hebben uw terugbetaling overgemaakt naar {fmt_iban(IBAN_REFUND)}. U ziet het binnen 2 werkdagen op uw rekening.",
    ["pii"], kind="reply", valid=[("iban", IBAN_REFUND)])
add("x", "@yasmina_elk", "nl",
    "Wie van de collega's kan meneer Van Dijk terugbellen? Nummer is 06-41278890, hij belt al voor de vierde keer vandaag",
    ["pii"])
add("x", "@Sjoerd_Kramer", "nl",
    f"@isoluma_helpt jullie hebben mijn creditcard {fmt_card(CARD_DOUBLE)} twee keer belast voor dezelfde aanbetaling!! regel dit nu",
    ["pii", "complaint"], kind="reply", valid=[("card", CARD_DOUBLE)])
add("linkedin", "priya-raghoenath", "en",
    "Please welcome our new planner Jeroen Willems (born 14-03-1991), starting Monday at the Utrecht office! 🎉",
    ["pii"])
add("linkedin", "priya-raghoenath", "nl",
    f"Kan iemand van de salarisadministratie even kijken? BSN {BSN_STAFF} van monteur R. Yilmaz staat dubbel in het systeem.",
    ["pii"], valid=[("bsn", BSN_STAFF)])
add("x", "@wendy_op_zolder", "nl",
    f"Mijn BSN ({BSN_CUST}) staat gewoon op de offerte die Isoluma me heeft gemaild?! Waarom hebben jullie dat überhaupt nodig??",
    ["pii", "complaint"], valid=[("bsn", BSN_CUST)])
add("instagram", "@isoluma.glas", "nl",
    "@ilse.tuinhuis Vervelend! We hebben je mailadres ilse.terpstra82@gmail.com genoteerd en mailen je vandaag nog. Of bel gerust: 0800-4765 📞",
    ["pii"], kind="comment")
add("instagram", "@bram.zet.glas", "nl",
    "Vandaag de hele Schuifpui Duo erin gezet bij familie Oudshoorn aan de Molenweg 31 in Wijk bij Duurstede 💪 blije klanten!",
    ["pii"])
add("x", "@pdegroot_nl", "en",
    f"@isoluma_helpt please refund to {fmt_iban(IBAN_CUST)} in the name of P. de Groot. It's been 6 weeks, this is ridiculous",
    ["pii", "complaint"], kind="reply", valid=[("iban", IBAN_CUST)])
add("linkedin", "sem-oosterhuis", "en",
    "Planning team: customer Mrs A. Koç, phone +31 6 2290 7713, email a.koc1974@ziggo.nl, wants her fitting moved to the 14th. Who can pick this up?",
    ["pii"])
add("x", "@isoluma_helpt", "nl",
    f"@dewindt_k Het bedrag is teruggeboekt op uw creditcard {fmt_card(CARD_REFUND, '-')}. Excuses voor het ongemak!",
    ["pii"], kind="reply", valid=[("card", CARD_REFUND)])
add("tiktok", "@kees_glaszetter", "nl",
    "klant Jan Hendriks wil nog een filmpje van de montage, stuur m even naar jan.hendriks (at) kpnmail (punt) nl als je dit ziet Bram",
    ["pii"])
add("x", "@dankbare_dineke", "nl",
    "Die aardige monteur van Isoluma, Bram Visser, woont volgens mij op de Dorpsstraat 4 in Maarn. Iemand zijn 06? Wil hem nog een fles wijn brengen voor het harde werk 🍷",
    ["pii"])
add("x", "@dkoster_glas", "nl",
    "Ploeg 2 morgen naar mevr. Jansen, Beukenlaan 118, 3862 RG Nijkerk. Tel (033) 245 88 12. Let op: hond in de tuin!",
    ["pii"])

# ===========================================================================
# BENIGN — mostly hard negatives
# ===========================================================================
# own public contact data
add("x", "@isoluma_helpt", "nl",
    "Vragen over je offerte? Mail naar klantenservice@isoluma.nl of bel gratis 0800-4765 (ma–vr 8–18 uur).")
add("facebook", "IsolumaGlasNL", "nl",
    f"Betalen per overschrijving? Ons rekeningnummer is {fmt_iban(COMPANY_IBAN)} t.n.v. Isoluma Glazing B.V. Vermeld altijd je ordernummer.")
add("linkedin", "isoluma-glazing", "en",
    "Press enquiries: pers@isoluma.nl or +31 30 799 4410. Our media kit is on isoluma.nl/pers.")
add("x", "@marloes_isoluma", "nl",
    "Wij zoeken 20 nieuwe monteurs! 🛠️ Kom werken bij Isoluma, mail je cv naar werkenbij@isoluma.nl #vacature #glaszetter")
add("x", "@isoluma_nl", "nl",
    "Een beveiligingslek gevonden in een van onze systemen? Meld het verantwoord via security@isoluma.nl. Wij reageren binnen 3 werkdagen.")
add("facebook", "IsolumaGlasNL", "nl",
    "Let op: er gaan nepmails rond namens Isoluma. Wij vragen NOOIT per mail om je wachtwoord, pincode of creditcardgegevens. Twijfel je? Bel 0800-4765.")
add("x", "@isoluma_helpt", "nl",
    "Zo log je in op Mijn Isoluma: vul je e-mailadres in, daarna je wachtwoord: ******** en klik op Inloggen. Wachtwoord vergeten? Gebruik de resetlink. 📱")

# praise, jokes, questions
add("x", "@joke_bloemendaal", "en",
    "Lovely fitters from Isoluma today, cleaned up everything and even hoovered the window sills. 10/10 would do again")
add("forum", "twijfelaar88", "nl",
    "Wat is nou echt het verschil tussen HR++ en HR+++? De adviseur van Isoluma zegt dat triple pas loont bij vloerverwarming, klopt dat?")
add("reddit", "u/amersfoort_andy", "en",
    "Is Isoluma legit? Got a flyer through the door. Anyone used them for double glazing around Amersfoort?")
add("x", "@kattenmens_tess", "nl",
    "mijn kat probeert al een uur een vlieg te vangen achter de nieuwe ruit. isoluma jullie glas is te schoon 😹")
add("x", "@designdad_ut", "en",
    "Isoluma's new showroom in Utrecht is killer. The vacuum glass demo where you hold a hairdryer against it is wild.")
add("x", "@rianne_woont", "nl",
    "Eindelijk geen lekke kozijnen meer! Isoluma heeft de boel in twee dagen dichtgezet, wat een verschil.")
add("threads", "@ingeborg.bouwt", "en",
    "anyone tried Isoluma's Smart Dim? thinking of it for the bathroom instead of curtains")
add("x", "@jessvanderwerf", "en",
    "My bank flagged my Isoluma payment as 'suspicious' lol. Had to call them to approve it. All sorted now.")
add("reddit", "u/energy_nerd_030", "en",
    "Data point for anyone researching: triple glazing from Isoluma in 2024, two winters later our gas use went from 1,450 m3 to 1,020 m3 "
    "per year. Same thermostat settings. Payback looks like roughly 11 years at current prices.")
add("x", "@vergelijkvera", "en",
    "Compared Isoluma vs our local glazier. Isoluma a bit pricier but faster scheduling and a 10 year warranty. Going with Isoluma.")
add("tiktok", "@isoluma.montage", "nl",
    "POV: je hoort voor het eerst géén verkeer meer door je StilleRuit 🤫 #geluidsisolatie #rust")
add("tiktok", "@kees_glaszetter", "nl",
    "Zo zet je een ruit van 90 kilo met z'n tweeën erin zonder je rug te slopen 💪 #glaszetter #vakmanschap")
add("x", "@marloes_isoluma", "en",
    "New on the blog: 5 myths about condensation. Spoiler: condensation on the OUTSIDE of your glass on a cold morning is actually a good sign!")
add("facebook", "IsolumaGlasNL", "nl",
    "Vraag van de week: 'Is jullie glas veilig met kleine kinderen?' Antwoord: alle ruiten tot vloerhoogte plaatsen wij in gelaagd veiligheidsglas volgens NEN 3569.")
add("x", "@isoluma_nl", "nl",
    "Brandwerend glas nodig voor je aanbouw of garage? Onze adviseurs denken graag met je mee.")
add("x", "@dkoster_glas", "nl",
    "Zag vanochtend tijdens het opmeten een hele groep kraanvogels overvliegen bij Nijkerk. Prachtig begin van de dag 🐦")
add("threads", "@lotte.isoluma", "nl",
    "Bij een klant geweest met een monumentaal pand aan een gracht. VacuLite Monument past precies in de oude sponning. Mooi vak hebben we toch.")

# resolved complaints, sympathy
add("mastodon", "@greenreno@social.coop", "en",
    "Update: Isoluma replaced the hazy VacuLite pane within a week of my post. Fitter was lovely. Credit where it's due 👍")
add("x", "@anjavdberg", "nl",
    "Vorige maand boos gepost over die scheve ruit. Isoluma is teruggekomen, alles vervangen en er lag zelfs een bos bloemen bij. Netjes opgelost!")
add("x", "@kees_timmerwerk", "nl",
    "Heftig, die ingestorte steiger op die bouwplaats in Rotterdam. Sterkte aan de familie. Als glaszetter weet je hoe snel het mis kan gaan.")
add("x", "@dkoster_glas", "nl",
    "Vandaag afscheid genomen van Henk, 30 jaar glaszetter bij ons en de beste leermeester die ik me kon wensen. Geniet van je pensioen!")

# news about other companies
add("x", "@regio_economie", "nl",
    "Na het faillissement van kozijnbouwer Raamwerk Zuid (80 banen) melden zich volgens Isoluma al tientallen monteurs bij hen voor een baan.")
add("x", "@buurman_bas", "en",
    "Competitor Glasgigant is recalling a batch of tilt-and-turn windows over a faulty hinge. Glad we went with Isoluma.")
add("reddit", "u/datalek_denise", "nl",
    "Datalek bij een grote bouwmarktketen: 1,2 miljoen klantgegevens op straat. Gelukkig heb ik mijn ramen gewoon bij Isoluma gekocht 😅")
add("x", "@factchecker_floor", "en",
    "No, Isoluma did not have a data breach. That phishing mail also went to people who were never customers. Check the sender address.")
add("x", "@buurtapp_petra", "nl",
    "Onze buurman heeft zijn ramen door een ander bedrijf laten doen en daar sprong een ruit bij de eerste vorst. Met onze Isoluma-ruiten nooit iets gehad.")
add("x", "@radio_luisteraar", "en",
    "Isoluma's CEO was on the radio this morning talking about the subsidy cut and what it means for homeowners. Interesting listen.")

# published information, planned maintenance, resolved outage
add("linkedin", "ruud-hendriks-isoluma", "nl",
    "Onze halfjaarcijfers staan sinds vanochtend op isoluma.nl/investors. Dank aan alle 640 collega's voor een sterk eerste halfjaar.",
    when=ts(8, 20))
add("x", "@isoluma_nl", "en",
    "Planned maintenance: Mijn Isoluma will be unavailable on Sunday 14 June from 02:00 to 04:00. Sorry for the inconvenience!", when=ts(6, 10))
add("x", "@isoluma_helpt", "nl",
    "Storing opgelost: onze telefoonlijn is weer bereikbaar. Excuses voor het ongemak vanochtend!")
add("linkedin", "isoluma-glazing", "en",
    "We're hiring a security engineer to help keep customer data safe. Apply via werkenbij@isoluma.nl.")

# ordinary sales and normal prices
add("instagram", "@isoluma.glas", "nl",
    "Voorjaarsactie 🌷 20% korting op ThermoPlus 2: van €119 voor €95,20 per m² (excl. montage). Geldig t/m 30 april.",
    price=("ThermoPlus 2", 95.20), when=ts(4))
add("x", "@offerte_check", "en",
    "Got my Isoluma quote: Kozijnpakket Kunststof €1,295 per window, 6 windows. Normal or on the pricey side?",
    price=("Kozijnpakket Kunststof", 1295))
add("x", "@isoluma_nl", "en",
    "Black Friday: 25% off VacuLite Slim — now €261.75 per m² until Sunday.", price=("VacuLite Slim", 261.75), when=ts(11, 27))
add("facebook", "wouter.en.gea", "nl",
    "€1.649 betaald voor het Kozijnpakket Hout en elke cent waard. Huis is eindelijk stil en warm.", price=("Kozijnpakket Hout", 1649))
add("threads", "@lotte.isoluma", "nl",
    "Deze maand 15% korting op de Woningscan, dus €126,65 in plaats van €149. Aanrader als je twijfelt wat je huis nodig heeft.",
    price=("Woningscan", 126.65))
add("x", "@klusvrouw_kim", "nl",
    "Bij de bouwmarkt kost raamfolie €12,99 per rol. Is dat net zo goed als de WarmFolie kit van Isoluma (€49,95)? Iemand getest?",
    price=("WarmFolie kit", 49.95))
add("forum", "subsidiezoeker", "nl",
    "Isoluma Compleet Woning kost €5.950 voor 10 ramen. Met de ISDE-subsidie eraf kwamen wij uit op ongeveer €4.800.",
    price=("Compleet Woning", 4800))
add("x", "@bas_renoveert", "en",
    "Paid €3,890 for the Schuifpui Duo plus €250 to take the old one out. Worth every cent.", price=("Schuifpui Duo", 3890))
add("x", "@prijsbewust_p", "en",
    "ThermoPlus 3 at Isoluma is €189 per m2, the competitor quoted €175. Not much in it, service tipped it.",
    price=("ThermoPlus 3", 189))

# sample / redacted / placeholder credentials
add("bluesky", "@wouterbouwt.bsky.social", "en",
    "PSA: if you write docs, use AWS's placeholder AKIAIOSFODNN7EXAMPLE and not a real key. Saw a real one in a tutorial today (not ours 😅)")
add("bluesky", "@wouterbouwt.bsky.social", "en",
    "my workflow yaml looks like `GITHUB_TOKEN: ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx` (redacted obvs) and it still fails on checkout. any ideas?")
add("bluesky", "@wouterbouwt.bsky.social", "en",
    "reminder: Stripe keys in screenshots should look like sk_live_•••••••• with the rest blurred. yes I'm talking to you, past me")
add("mastodon", "@jvdlinde@mastodon.nl", "nl",
    "Docs bijgewerkt: zet DATABASE_URL=postgres://<gebruiker>:<wachtwoord>@localhost:5432/dev in je .env en commit dat bestand nooit.")
add("x", "@isoluma_nl", "nl",
    "Tip voor een sterk wachtwoord voor Mijn Isoluma: gebruik een zin van vier losse woorden en nooit iets als welkom123 😉")
add("x", "@dev_dirk_ams", "en",
    "Isoluma's API docs show auth as `Authorization: Bearer <your-token-here>`. Clear enough, integration done in an afternoon.")

# identifiers that fail their checksum
add("x", "@aanbetaling_anna", "en",
    f"Trying to pay the deposit to {fmt_iban(IBAN_BAD)} as printed on my quote but my bank says 'invalid IBAN'. Typo on Isoluma's side?",
    fake=[("iban", IBAN_BAD)])
add("bluesky", "@wouterbouwt.bsky.social", "en",
    f"QA note: checkout now correctly rejects {fmt_card(CARD_BAD)} as an invalid card number. nice work team",
    fake=[("card", CARD_BAD)])
add("x", "@subsidie_sofie", "nl",
    f"Subsidieformulier via Isoluma weigerde mijn BSN, bleek dat ik {BSN_BAD} had getypt ipv het goede nummer. Eigen schuld 🙈",
    fake=[("bsn", BSN_BAD)])

# embargo terms after `until`
add("tiktok", "@isoluma.montage", "nl",
    "Hij is er: de AeroPane Zero! 🎉 Onze dunste isolerende ruit ooit. Vanaf vandaag te bestellen via isoluma.nl",
    when="2027-03-10T09:30:00Z")
add("linkedin", "isoluma-glazing", "nl",
    "Jaarcijfers 2026: omzet €163 mln (+9%), nettowinst €7,8 mln. Lees het volledige persbericht op isoluma.nl/pers.",
    when="2027-02-24T08:15:00Z")
add("x", "@woonnerd_020", "en",
    "Just ordered AeroPane Zero for the front of the house! Anyone tried it yet?", when="2027-03-15T20:11:00Z")
add("linkedin", "ruud-hendriks-isoluma", "en",
    "Our full-year 2026 results are out: thank you to 640 colleagues for a record year. Full report on isoluma.nl/investors.",
    when="2027-02-24T10:02:00Z")


# ---------------------------------------------------------------------------
# self-checks
# ---------------------------------------------------------------------------
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
TAXONOMY = set(CAT.values())
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")

IBAN_RE = re.compile(r"(?<![A-Za-z0-9])NL\d{2} ?[A-Z]{4} ?\d{4} ?\d{4} ?\d{2}(?![A-Za-z0-9])")
CARD_RE = re.compile(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])")
BSN_RE = re.compile(r"(?<![\w.,-])\d{9}(?![\w.,-])")
PUBLIC_IBANS = {re.sub(r"\s", "", i) for i in PROFILE["public_identifiers"]["ibans"]}


def fail(msg):
    print("SELF-CHECK FAILED:", msg)
    sys.exit(1)


def price_ok(product, price, positive):
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    for p in PROFILE["products"]:
        names = [p["name"]] + p["aliases"]
        if any(product.lower() == n.lower() for n in names):
            below = price < ratio * p["list_price"]
            return below if positive else not below
    fail(f"unknown product {product}")


def check():
    ids = set()
    embargo = [(t.lower(), e["until"]) for e in PROFILE["embargo"] for t in e["terms"]]
    for post, expect, meta in CASES:
        pid = post["id"]
        if pid in ids:
            fail(f"duplicate id {pid}")
        ids.add(pid)
        if not (1 <= len(pid) <= 256) or post["platform"] not in PLATFORMS or post["kind"] not in KINDS:
            fail(f"bad post fields {pid}")
        if not isinstance(post["account"].get("handle"), str) or not post["account"]["handle"]:
            fail(f"no handle {pid}")
        if not isinstance(post["text"], str) or len(post["text"].encode()) > 65536:
            fail(f"bad text {pid}")
        if not RFC3339.fullmatch(post["created_at"]):
            fail(f"bad created_at {pid}")
        cats = expect["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= TAXONOMY:
            fail(f"bad categories {pid}")
        if expect["severity"] not in SEV:
            fail(f"bad severity {pid}")
        if not cats and expect["severity"] != "none":
            fail(f"benign not none {pid}")
        if cats and expect["severity"] in ("none", "info"):
            fail(f"positive without severity {pid}")
        text = post["text"]
        positive = bool(cats)
        # registered identifiers
        chk = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}
        for kind, val in meta["valid"]:
            if not chk[kind](val) or not positive:
                fail(f"valid {kind} {val} fails or is in a benign post {pid}")
        for kind, val in meta["fake"]:
            if chk[kind](val) or positive:
                fail(f"look-alike {kind} {val} passes or is in a positive {pid}")
        # every identifier-shaped number in the text
        for m in IBAN_RE.finditer(text):
            v = re.sub(r"\s", "", m.group())
            if v in PUBLIC_IBANS:
                continue
            if iban_ok(v) != positive:
                fail(f"IBAN {v} checksum does not match label in {pid}")
        for m in CARD_RE.finditer(text):
            v = re.sub(r"\D", "", m.group())
            if 13 <= len(v) <= 19 and luhn_ok(v) != positive:
                fail(f"card-like {v} checksum does not match label in {pid}")
        for m in BSN_RE.finditer(text):
            if bsn_ok(m.group()) != positive:
                fail(f"BSN-like {m.group()} does not match label in {pid}")
        if "leak.pii" in cats and meta["valid"]:
            if not any(re.sub(r"\D", "", v)[-6:] in re.sub(r"\D", "", text) for _, v in meta["valid"]):
                fail(f"registered identifier missing from text {pid}")
        # secrets
        for kind, val in meta["secrets"]:
            if val not in text:
                fail(f"secret not in text {pid}")
            okf = {
                "github": gh_token_ok,
                "aws": lambda v: re.fullmatch(r"AKIA[A-Z2-7]{16}", v) is not None,
                "stripe": lambda v: re.fullmatch(r"sk_live_[0-9A-Za-z]{24,}", v) is not None,
                "slack": lambda v: re.fullmatch(r"https://hooks\.slack\.com/services/T[A-Z0-9]{8,}/B[A-Z0-9]{8,}/[A-Za-z0-9]{24}", v) is not None,
                "openai": lambda v: "T3BlbkFJ" in v and v.startswith("sk-"),
                "anthropic": lambda v: re.fullmatch(r"sk-ant-api03-[A-Za-z0-9_-]{93}AA", v) is not None,
                "google": lambda v: re.fullmatch(r"AIza[0-9A-Za-z_-]{35}", v) is not None,
                "gitlab": lambda v: re.fullmatch(r"glpat-[0-9A-Za-z_-]{20}", v) is not None,
                "jwt": jwt_ok,
                "openssh": lambda v: "b3BlbnNzaC1rZXktdjE" in v and "PRIVATE KEY" in v,
                "dburl": lambda v: len(v) >= 12,
                "password": lambda v: len(v) >= 8,
            }[kind]
            if not okf(val):
                fail(f"secret {kind} malformed {pid}")
        if "leak.secret" in cats and not meta["secrets"]:
            fail(f"secret case without a registered secret {pid}")
        if not positive:
            for m in re.finditer(r"gh[pousr]_[0-9A-Za-z]{36}", text):
                if gh_token_ok(m.group()):
                    fail(f"checksum-valid GitHub token in benign {pid}")
            for m in re.finditer(r"AKIA[A-Z2-7]{16}", text):
                if not text[m.end():].startswith("EXAMPLE") and "EXAMPLE" not in m.group():
                    fail(f"real-looking AWS key id in benign {pid}")
        # pricing
        if meta["price"]:
            prod, price = meta["price"]
            if not price_ok(prod, price, "leak.pricing" in cats):
                fail(f"price label mismatch {pid}")
        if "leak.pricing" in cats and not meta["price"]:
            fail(f"pricing case without price meta {pid}")
        # embargo: benign posts must not carry an embargoed term before its end
        low = text.lower()
        for term, until in embargo:
            if term in low and not positive and post["created_at"] < until:
                fail(f"embargo term before until in benign {pid}")
            if term in low and positive and post["created_at"] >= until:
                fail(f"embargo term after until labelled as leak {pid}")
        # severity recomputed from the profile
        role = role_of(post["platform"], post["account"]["handle"])
        strong = any(k in ("iban", "card", "bsn") for k, _ in meta["valid"])
        if expect["severity"] != severity(cats, role, strong):
            fail(f"severity mismatch {pid}")
        # public identifiers of the company never make a positive by themselves
        for e in PROFILE["public_identifiers"]["emails"]:
            if e in text and cats == ["leak.pii"] and "@" not in text.replace(e, ""):
                fail(f"only public e-mail in pii case {pid}")
    # dates: 2026, or 2027 only around the embargo
    for post, _, _ in CASES:
        y = post["created_at"][:4]
        if y not in ("2026", "2027") or (y == "2027" and post["created_at"] > "2027-03-31"):
            fail(f"date out of range {post['id']}")
    if not 170 <= len(CASES) <= 180:
        fail(f"{len(CASES)} cases, want 170-180")


def main():
    check()
    out = os.path.join(HERE, "cases.jsonl")
    with open(out, "w", encoding="utf-8") as f:
        for post, expect, _ in CASES:
            f.write(json.dumps({"post": post, "expect": expect}, ensure_ascii=False) + "\n")
    # re-read what was written and check it again as JSON
    with open(out, encoding="utf-8") as f:
        lines = [json.loads(l) for l in f]
    assert len(lines) == len(CASES) and all(set(l) == {"post", "expect"} for l in lines)
    from collections import Counter
    cats = Counter(c for l in lines for c in l["expect"]["categories"])
    benign = sum(1 for l in lines if not l["expect"]["categories"])
    langs = Counter(m["lang"] for _, _, m in CASES)
    roles = Counter((CASES[i][2]["role"], bool(l["expect"]["categories"])) for i, l in enumerate(lines))
    sev = Counter(l["expect"]["severity"] for l in lines)
    print(f"{len(lines)} cases, {benign} benign")
    print("categories:", dict(sorted(cats.items())))
    print("langs:", dict(langs), "roles:", dict(roles))
    print("severity:", dict(sev))
    print("self-check OK")


if __name__ == "__main__":
    main()
