#!/usr/bin/env python3
"""Builds cases.jsonl (sealed set 461) for postwatch from hand-written posts.

Company: Lumenhorst Observatorium B.V. (fictional planetarium, public observatory and
telescope shop), see profile.yaml beside this file.

Deterministic: fixed seeds, standard library + PyYAML only. Secrets and personal
identifiers are generated the way real ones are built (with their checksums); the
script then checks its own output and exits non-zero when a check fails.
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
OUT = os.path.join(HERE, "cases.jsonl")
with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

RNG = random.Random(461)        # secrets and identifiers
DRNG = random.Random(461461)    # timestamps

# ---------------------------------------------------------------- generators
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = B62
B32 = string.ascii_uppercase + "234567"
B64 = string.ascii_letters + string.digits + "+/"
URLSAFE = string.ascii_letters + string.digits + "-_"


def rand(chars, n):
    return "".join(RNG.choice(chars) for _ in range(n))


def base62(n, width=6):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return s.rjust(width, "0")


def github_token(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + base62(zlib.crc32(body.encode()))


def github_token_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and base62(zlib.crc32(m.group(1).encode())) == m.group(2)


def aws_key_id():
    return "AKIA" + rand(B32, 16)


def aws_secret():
    return rand(B64, 40)


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jwt(payload):
    header = {"alg": "HS256", "typ": "JWT"}
    h = b64url(json.dumps(header, separators=(",", ":")).encode())
    p = b64url(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64url(bytes(RNG.getrandbits(8) for _ in range(32)))
    return f"{h}.{p}.{sig}"


def openssh_private_key():
    raw = b"openssh-key-v1\x00" + bytes(RNG.getrandbits(8) for _ in range(380))
    body = base64.b64encode(raw).decode()
    lines = [body[i:i + 70] for i in range(0, len(body), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def iban_check_digits(country, bban):
    s = bban + country + "00"
    n = int("".join(str(int(c, 36)) for c in s))
    return "%02d" % (98 - n % 97)


def iban_ok(iban):
    s = re.sub(r"\s", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    s = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in s)) % 97 == 1


def nl_iban(bank, spaced=False):
    bban = bank + "".join(str(RNG.randrange(10)) for _ in range(10))
    iban = "NL" + iban_check_digits("NL", bban) + bban
    assert iban_ok(iban)
    if spaced:
        return " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))
    return iban


def bad_nl_iban(bank, spaced=False):
    good = nl_iban(bank)
    cd = int(good[2:4])
    bad = good[:2] + "%02d" % ((cd + 37) % 97 + 2 if (cd + 37) % 97 + 2 != cd else (cd + 11) % 97) + good[4:]
    assert not iban_ok(bad)
    if spaced:
        return " ".join(bad[i:i + 4] for i in range(0, len(bad), 4))
    return bad


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    total = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        total += x
    return total % 10 == 0


def luhn_digit(partial):
    for c in "0123456789":
        if luhn_ok(partial + c):
            return c
    raise AssertionError


def card(prefix, sep=" "):
    body = prefix + "".join(str(RNG.randrange(10)) for _ in range(15 - len(prefix)))
    num = body + luhn_digit(body)
    assert luhn_ok(num)
    return sep.join(num[i:i + 4] for i in range(0, 16, 4))


def bad_card(prefix, sep=" "):
    good = re.sub(r"\D", "", card(prefix, ""))
    bad = good[:-1] + str((int(good[-1]) + 3) % 10)
    assert not luhn_ok(bad)
    return sep.join(bad[i:i + 4] for i in range(0, 16, 4))


def bsn_ok(num):
    d = re.sub(r"\D", "", num)
    if len(d) != 9:
        return False
    s = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return s % 11 == 0


def bsn():
    while True:
        d = [RNG.randrange(1, 10)] + [RNG.randrange(10) for _ in range(7)]
        r = sum(x * (9 - i) for i, x in enumerate(d)) % 11
        if r < 10:
            s = "".join(map(str, d)) + str(r)
            assert bsn_ok(s)
            return s


def bad_bsn():
    while True:
        s = "".join(str(RNG.randrange(1, 10)) for _ in range(9))
        if not bsn_ok(s):
            return s


# ---------------------------------------------------------------- generated values
GHP = github_token("ghp_")
AWS_ID, AWS_SECRET = aws_key_id(), aws_secret()
AWS_ID2, AWS_SECRET2 = aws_key_id(), aws_secret()
STRIPE = "sk_live_" + rand(ALNUM, 24)
SLACK = "xoxb-" + str(RNG.randrange(10**11, 10**12)) + "-" + str(RNG.randrange(10**12, 10**13)) + "-" + rand(ALNUM, 24)
OPENAI = "sk-proj-" + rand(URLSAFE, 74) + "T3BlbkFJ" + rand(URLSAFE, 74)
ANTHROPIC = "sk-ant-api03-" + rand(URLSAFE, 93) + "AA"
GOOGLE = "AIza" + rand(URLSAFE, 35)
JWT_TOKEN = jwt({"sub": "tickets-app", "role": "admin", "iss": "lumenhorst", "iat": 1777363200, "exp": 1808899200})
SSH_KEY = openssh_private_key()
DB_PW = rand(ALNUM, 10) + "!" + rand(ALNUM, 4)

IBAN1 = nl_iban("INGB", spaced=True)
IBAN2 = nl_iban("ASNB")
CARD1 = card("4", " ")
CARD2 = card("52", "-")
BSN1 = bsn()
BAD_IBAN = bad_nl_iban("RABO", spaced=False)
BAD_CARD = bad_card("6037", " ")
BAD_BSN = bad_bsn()
PUBLIC_IBAN = PROFILE["public_identifiers"]["ibans"][0]

# ---------------------------------------------------------------- accounts
ROLES = {}
for role in ("corporate", "employee"):
    for ph in PROFILE["accounts"][role]:
        ROLES[ph.lower()] = role


def acct(role, key):
    """Look a profile account up by a fragment, so a typo cannot silently make it public."""
    hits = [ph for ph in PROFILE["accounts"][role] if ph.lower() == key.lower()]
    hits = hits or [ph for ph in PROFILE["accounts"][role] if key.lower() in ph.lower()]
    assert len(hits) == 1, (role, key, hits)
    plat, handle = hits[0].split(":", 1)
    return plat, handle


LH = acct("corporate", "x:@lumenhorst")
LH_SHOP = acct("corporate", "@lumenhorst_shop")
LH_IG = acct("corporate", "instagram:")
LH_FB = acct("corporate", "facebook:")
LH_LI = acct("corporate", "linkedin:")
LH_TT = acct("corporate", "tiktok:")
LH_YT = acct("corporate", "youtube:")
BRAM = acct("employee", "@bram_koepel")
INEKE = acct("employee", "@ineke_optiek")
KEES = acct("employee", "@kees_nachtdienst")
JOOST = acct("employee", "joost-vermeulen")
SARITA = acct("employee", "sarita-ramdin")
YUSUF = acct("employee", "yusuf-aydin")
DAAN = acct("employee", "@astro_daan")
LOTTE = acct("employee", "@lottedv")
FLEUR = acct("employee", "@fleur.onder")
RUBEN = acct("employee", "@ruben-ict")

CAT = {
    "complaint": "reputation.complaint",
    "crisis": "reputation.crisis",
    "abuse": "reputation.abuse",
    "secret": "leak.secret",
    "pii": "leak.pii",
    "pricing": "leak.pricing",
    "confidential": "leak.confidential",
    "financial": "leak.financial",
    "security": "leak.security",
}

CASES = []


def add(cats, who, text, lang=None, kind="post", when=None, brand=None):
    plat, handle = who
    CASES.append({
        "cats": sorted(CAT[c] for c in cats),
        "platform": plat,
        "handle": handle,
        "text": text,
        "lang": lang,
        "kind": kind,
        "when": when,
        "brand": brand,
    })


def pub(plat, handle):
    return (plat, handle)


# =====================================================================
# reputation.complaint (single)
# =====================================================================
add(["complaint"], pub("x", "@marloes_kijkt"),
    "Drie weken geleden een Zenit 8 besteld bij @lumenhorst_shop en nog steeds niks. Track & trace staat al 10 dagen op 'in voorbereiding', mails worden niet beantwoord. Zo jammer, had er zo'n zin in", "nl")
add(["complaint"], pub("forum", "SkyBert"),
    "Bought the Orbit eyepiece kit from Lumenhorst back in June. Two of the five eyepieces have haze INSIDE the glass, straight out of the box. Support keeps telling me to 'clean them properly'. That's... not how internal elements work?", "en")
add(["complaint"], pub("facebook", "ans.veldkamp"),
    "Met de kinderen naar de voorstelling van 14.00 uur. Na tien minuten viel de projectie uit en we kregen bij de uitgang alleen een vrijkaartje voor 'een andere keer'. Anderhalf uur rijden heen, anderhalf terug. Geld terug was wel zo netjes geweest Lumenhorst.", "nl", kind="comment")
add(["complaint"], pub("x", "@TimoKuipers"),
    "@lumenhorst the observing night was 100% cloud, fine, not your fault. but zero plan B?? no talk, no dome show, just 'sorry folks, go home'. €45 each. not impressed tbh", "en", kind="reply")
add(["complaint"], pub("instagram", "@jolien.fotografeert"),
    "ticketsite van lumenhorst crasht ELKE keer bij het betalen 🙄 4x geprobeerd, 2x geld afgeschreven en nog steeds geen tickets in m'n mail. wie kan me helpen??", "nl")
add(["complaint"], pub("reddit", "u/refractor_rick"),
    "QC rant: my Vega 80 from Lumenhorst showed up with the focuser wobbling like jelly and a dented dew shield. Outer box was pristine so it left their warehouse like that. Five weeks later I'm still waiting on the replacement part. Anyone else had this with them?", "en")
add(["complaint"], pub("tiktok", "@demi.xo_"),
    "was het nou echt nodig om de koepel op 28 graden te stoken lumenhorst?? zat te zweten als een otter en de halve zaal zat met de folder te wapperen. geen airco of wat 🥵 #planetarium #nooitmeer", "nl")
add(["complaint"], pub("x", "@PietervdLaan"),
    "@lumenhorst_shop jullie verkoper raadde me een 2-inch oculair aan voor de Kosmoskist van m'n dochter. Past dus niet. En nu weigeren jullie de retour omdat de doos open is?? Serieus?", "nl", kind="reply")
add(["complaint"], pub("mastodon", "@gerrit@astro.social"),
    "Lumenhorst auto-renewed my Sterrenpas without a single reminder email. Tried to cancel and the form on their site just throws a 404. Dark patterns at a science museum, of all places. Disappointing.", "en")
add(["complaint"], pub("facebook", "hanneke.smit.71"),
    "Cursus Sterrenkunde Basis gevolgd bij Lumenhorst. De docent kwam 2 van de 6 avonden niet opdagen, 'verzet' via een sms een uur van tevoren. Voor €185 mag je toch wel iets meer verwachten.", "nl")
add(["complaint"], pub("youtube", "@stargazer_nl2"),
    "stream van de zonsverduistering viel 3x weg en niemand modereerde de chat, die stond vol spam. zonde, had me er echt op verheugd 😕", "nl", kind="comment")

# complaint + abuse
add(["complaint", "abuse"], pub("x", "@rvd_1983"),
    "kut planetarium. 2 uur in de rij voor een show die elke 5 min haperde en die presentator met z'n neppe grapjes kan de pot op. stelletje amateurs daar bij @lumenhorst", "nl")
add(["complaint", "abuse"], pub("reddit", "u/collimation_hell"),
    "Lumenhorst shop staff are clueless morons. Asked for help collimating my Zenit 12 and the guy just shrugged and tried to upsell me a laser collimator. Mirror still way off. Useless idiots, the lot of them.", "en")

# =====================================================================
# reputation.abuse (single)
# =====================================================================
add(["abuse"], pub("x", "@nachtraaf666"),
    "die Bram van @lumenhorst is echt de grootste sukkel die ik ooit op een podium heb zien staan. ga je schamen man", "nl")
add(["abuse"], pub("instagram", "@xx.jordy.xx"),
    "lumenhorst = één grote kankerbende. stik maar in jullie 'educatie'", "nl", kind="comment")
add(["abuse"], pub("x", "@flat_truth_dan"),
    "@bram_koepel you condescending prick, maybe stop mansplaining the moon to grown adults", "en", kind="reply")
add(["abuse"], pub("facebook", "w.dijkhuis"),
    "Wie heeft die vrouw met dat hoofddoekje achter de kassa van het planetarium gezet? Hoort hier niet. Ga terug naar je eigen land.", "nl", kind="comment")
add(["abuse"], pub("tiktok", "@nightowl_watching"),
    "@fleur.onder.de.koepel i know which bus u take home after the late show 😉 see u tuesday", "en", kind="comment")
add(["abuse"], KEES,
    "@klaagmuts_88 hou toch je bek man, jij snapt niet eens hoe een telescoop werkt. zeurpiet", "nl", kind="reply")
add(["abuse"], pub("x", "@stoepkrijt_jan"),
    "die lumenhorst mensen zijn echt k4nk3rl*ll3n, nooit meer een cent van mij", "nl")
add(["abuse"], pub("x", "@grumpy_optics"),
    "your shop staff are a bunch of f.u.c.k.i.n.g  i.d.i.o.t.s @lumenhorst_shop", "en", kind="reply")
add(["abuse"], pub("bluesky", "@henkiedrenthe.bsky.social"),
    "Tyfusbende daar in Lumenhorst. Hoop dat die koepel een keer op jullie koppen instort.", "nl")
add(["abuse"], pub("threads", "@lolzmachine"),
    "lmao the dome lady on lumenhorst's tiktok is so fat she has her own orbit 🪐🐷", "en", kind="reply")

# =====================================================================
# reputation.crisis + reputation.complaint (first-hand safety incidents)
# =====================================================================
add(["crisis", "complaint"], pub("x", "@moeder_van_3"),
    "Mijn zoon (11) keek vanmiddag door de Zenit 8 met het Helios zonnefilter dat we bij @lumenhorst_shop kochten. Er zat een scheurtje in dat we niet zagen. Hij heeft nu een vlek in zijn zicht en we zitten bij de oogarts. Hoe kan zoiets verkocht worden?!", "nl")
add(["crisis", "complaint"], pub("reddit", "u/balconyastro"),
    "The power brick that came with my Kompas GoTo mount started smoking and melted the plug on my balcony last night. Could've burned the flat down. Lumenhorst support's answer: 'send it back at your own cost'. Unreal.", "en")
add(["crisis", "complaint"], pub("facebook", "sanne.dekker.assen"),
    "Tijdens het kinderfeest in de koepel schoot een stoelleuning los en mijn dochter viel met haar hoofd op de trap. 3 hechtingen. Niemand van het personeel had EHBO, we moesten zelf 112 bellen. Ik ben zo ontzettend boos op Lumenhorst.", "nl")
add(["crisis", "complaint"], pub("instagram", "@wanderlust.wes"),
    "Got a proper electric shock off the metal railing on the Lumenhorst observation deck tonight, in the drizzle. Jolt right up my arm. Told the staff and they laughed it off. Somebody's going to get seriously hurt there.", "en")
add(["crisis", "complaint"], pub("x", "@janinevdb"),
    "Hemelbol thuisplanetarium van Lumenhorst werd zo heet dat het plastic begon te smelten en de kinderkamer rook naar verbrand 😨 stekker er meteen uit. 'We bellen u terug' zeiden ze. Drie dagen geleden.", "nl")

# =====================================================================
# reputation.crisis (single)
# =====================================================================
add(["crisis"], pub("x", "@drenthe_112"),
    "Koepel van Lumenhorst vanavond ontruimd vanwege rookontwikkeling. Meerdere bezoekers door ambulancepersoneel nagekeken. #Drenthe #112", "nl")
add(["crisis"], pub("x", "@climate_kira"),
    "Lumenhorst just signed a sponsorship deal with a fossil fuel giant to pay for their new dome. Cancel your Sterrenpas, folks. #BoycottLumenhorst", "en")
add(["crisis"], pub("blog", "drentsnieuwsblog"),
    "Ouders van een 9-jarige bezoeker stappen naar de rechter tegen Lumenhorst Observatorium na een val van het waarneemplatform in september. Hun advocaat spreekt van 'grove nalatigheid' bij het onderhoud van de reling.", "nl")
add(["crisis"], pub("reddit", "u/phish_or_not"),
    "Anyone else get a phishing mail with their EXACT Lumenhorst order details and home address in it? Pretty sure their webshop got breached and they're keeping their mouths shut.", "en")
add(["crisis"], pub("x", "@sterrenclub_emmen"),
    "LET OP: Lumenhorst roept het Helios zonnefilter 100mm terug, de folie kan loslaten. Niet meer gebruiken en zeker niet aan kinderen geven!! Deel dit aub 🙏", "nl")
add(["crisis"], pub("facebook", "oud.vrijwilligers.lh"),
    "Er gaan al maanden verhalen rond dat de directeur van Lumenhorst vrijwilligers jarenlang heeft geïntimideerd en weggepest. Inmiddels bevestigen vijf oud-medewerkers het verhaal. Schandalig dat niemand ingreep.", "nl")
add(["crisis"], pub("linkedin", "marc-oosterhuis-journalist"),
    "Lumenhorst Observatorium is under investigation by the Dutch Labour Inspectorate after a technician fell through the dome slit hatch last week. Two ribs and a fractured wrist, according to colleagues.", "en")
add(["crisis"], pub("tiktok", "@femke.vlogt"),
    "jongen met epilepsie kreeg een aanval tijdens de lasershow bij lumenhorst, nergens een waarschuwing vooraf. ambulance erbij en alles. dit is toch niet normaal??", "nl")
add(["crisis"], pub("mastodon", "@privacyfirst@eupolicy.social"),
    "Lumenhorst appears to have leaked the contact sheet of every school that booked a class visit this year; the spreadsheet is circulating in Telegram groups. Have they even notified the Autoriteit Persoonsgegevens?", "en")
add(["crisis"], pub("x", "@ruudjeNL"),
    "Lumenhorst dumpt de vrijwilligers die al 30 jaar de koepel draaiende hielden en vervangt ze door een app. Ik ga er niet meer heen en jullie hopelijk ook niet. #boycot", "nl")

# =====================================================================
# leak.confidential (single)
# =====================================================================
add(["confidential"], BRAM,
    "Vandaag de eerste testbeelden gezien van Project Zwanenhals 🤩 jullie gaan versteld staan, meer mag ik nog niet zeggen", "nl")
add(["confidential"], SARITA,
    "Proud of the team migrating the whole POS stack off kassa.lumenhorst.local this weekend. Zero downtime so far, fingers crossed for Monday!", "en")
add(["confidential"], LH_IG,
    "Psst… er komt iets groots aan 👀 de Zenit 16 staat al in ons magazijn. Wie wil hem als eerste zien? #lumenhorst", "nl",
    when="2026-11-18T16:05:00Z")
add(["confidential"], LOTTE,
    "Screenshot van de nieuwe lesplanning voor het voorjaar! (staat 'alleen voor intern gebruik' boven, maar hij is zó mooi geworden 😅)", "nl")
add(["confidential"], pub("reddit", "u/utrecht_stargazer"),
    "A friend who works at Lumenhorst says they're opening a second site called Hemelwerf just outside Utrecht, with a bigger dome. Heard it here first.", "en",
    when="2026-10-05T20:41:00Z")
add(["confidential"], INEKE,
    "Got to take the Capella 280 prototype out last night. Wow. Just wow. Can't say more yet 🤐", "en",
    when="2026-12-02T22:17:00Z")
add(["confidential"], FLEUR,
    "pov: je mag nog helemaal niks zeggen over Nachtuil maar je loopt de hele dag te glimlachen 🦉✨", "nl")
add(["confidential"], RUBEN,
    "wie heeft er toegang tot https://jira.lumenhorst.io/browse/KOEPEL-412 ? ik krijg een 403 🙃", "nl")
add(["confidential"], LH_FB,
    "Beste vrijwilligers, hierbij het rooster voor december. LH-INTERN, dus niet doorsturen aub. Za 6/12: Henk & Gerda (koepel), Piet (shop). Zo 7/12: Anouk (kassa).", "nl")
add(["confidential"], DAAN,
    "Sneak peek from the NDA walkthrough of the new dome projector we're getting 📸 every page of the spec sheet says 'strikt vertrouwelijk' lol", "en")
add(["confidential"], KEES,
    "Nacht\u200buil test vannacht om 02:00 in koepel 2. niet verder vertellen 🤫", "nl")
add(["confidential"], JOOST,
    "Great steering meeting today on Pr\u043eject Zw\u0430nenhals: timeline locked, vendors picked. Exciting times ahead!", "en")
add(["confidential"], pub("x", "@slidewatcher"),
    "lol the Lumenhorst talk at the astro fair had a slide with a full screenshot of intra.lumenhorst.local on it, menu and all. someone's getting a talking-to", "en")
add(["confidential"], YUSUF,
    "We're hiring for Project Zwanenhals! If you know a great AV technician who loves the night sky, DM me. (Yes, the name is a secret one, don't ask 😄)", "en")
add(["confidential"], INEKE,
    "Eerste licht door de Zenit 16 gehad vanavond. Wat een beest 🔭😍", "nl",
    when="2027-02-10T21:48:00Z")
add(["confidential"], pub("forum", "OpticsOtto"),
    "Mijn leverancier liet per ongeluk de dealerprijslijst van Lumenhorst zien voor volgend jaar, daar staat al een Capella 280 bundel op met eigen GoTo. Bovenaan stond 'alleen voor intern gebruik' haha", "nl",
    when="2026-09-14T10:12:00Z")

# confidential + financial
add(["confidential", "financial"], JOOST,
    "Lange dagen met de advocaten voor Operatie Sikkelmaan. Als dit rondkomt nemen we volgend voorjaar Sterrenwacht De Kaap over en verdubbelen we in één klap ons bezoekersaantal.", "nl")

# =====================================================================
# leak.financial (single)
# =====================================================================
add(["financial"], BRAM,
    "Kantine gonst: omzet Q3 ruim 20% onder begroting en de cijfers gaan pas in januari naar buiten. Duimen maar 😬", "nl")
add(["financial"], YUSUF,
    "Tough week in HR. We'll be letting go of 14 people in the shop in February. The announcement isn't out yet, so please keep it to yourselves.", "en")
add(["financial"], LOTTE,
    "Net gehoord dat onze educatieafdeling bij de reorganisatie wordt opgeheven en bij de museumdienst wordt geschoven. Officieel nieuws volgt pas na de OR-vergadering 😞", "nl")
add(["financial"], LH_LI,
    "DRAFT – do not publish yet: FY2026 revenue €8.4m (+3%), EBITDA negative for the second year running; the 2027 forecast assumes closing the Assen shop.", "en")
add(["financial"], pub("reddit", "u/benelux_insider"),
    "Heard from a supplier that Lumenhorst is in talks to be bought by a Belgian science-centre group. Deal supposedly closes before summer, nothing announced yet.", "en")
add(["financial"], INEKE,
    "Als ik de inkopers mag geloven stoppen we na de zomer met de fysieke telescoopwinkel en verkopen we alleen nog online. Niemand weet het nog 🤐", "nl")
add(["financial"], JOOST,
    "Board approved the 2027 budget today. We're projecting a €1.2m loss and will need a capital injection from the province; public announcement planned for April.", "en")
add(["financial"], FLEUR,
    "dus mijn manager zei net dat we met 30% minder personeel de zomer in gaan en niemand mag het nog weten lol. vibes 🙃", "nl")
add(["financial"], RUBEN,
    "the internal numbers dashboard has H1 visitor revenue down 27% YoY. pretty sure nobody outside the board has seen that yet, yikes", "en")
add(["financial"], pub("x", "@neefjeklaas"),
    "Mijn neef werkt bij Lumenhorst: ze fuseren met het planetarium in Zwolle. Handtekeningen staan er al onder maar ze houden het stil tot maart.", "nl")
add(["financial"], DAAN,
    "Apparently next week's investor call will reveal we missed the ticket target by 40k visitors. Glad I'm just the telescope guy 😬", "en")

# =====================================================================
# leak.security (single)
# =====================================================================
add(["security"], RUBEN,
    "Zucht. Ransomware op alle kassa's in de shop sinds vanochtend 6:00. Pers weet nog van niks, we pinnen nu op een los apparaatje.", "nl")
add(["security"], SARITA,
    "Long night. Someone got into our ticketing admin panel through an old test account; roughly 9k customer records were accessed. We haven't disclosed it yet, legal is on it.", "en")
add(["security"], KEES,
    "De koepelbesturing hangt gewoon open aan internet met het standaardwachtwoord, al maanden gemeld. Iedereen kan zo de koepel laten draaien haha", "nl")
add(["security"], BRAM,
    "heads up friends: ticket site will be down all weekend, the servers got wiped in some attack on Thursday. not official yet so you didn't hear it from me", "en")
add(["security"], LOTTE,
    "Onze ledenlijst (iedereen met een Sterrenpas) bleek al weken via een open link te downloaden. IT is het nu aan het dichten maar er wordt niks naar buiten gecommuniceerd 🙈", "nl")
add(["security"], DAAN,
    "fun fact: the admin page of the observatory webcam has no login at all. been like that since 2022. don't tell anyone 🙊", "en")
add(["security"], LH_SHOP,
    "@klant_kees Excuus! Onze webshop ligt plat door een DDoS-aanval die nog steeds loopt. We communiceren er morgen pas officieel over, bestellen lukt waarschijnlijk pas maandag weer.", "nl", kind="reply")
add(["security"], SARITA,
    "Pentestrapport binnen: SQL-injectie in de zoekfunctie van de webshop én een onbeveiligde back-up met klantdata. Fix staat pas voor Q1 gepland 😬", "nl")
add(["security"], INEKE,
    "our whole shop inventory system is down again since 9am, third time this week. IT says it's a breach, not a bug?? and nobody's told customers anything", "en")
add(["security"], FLEUR,
    "storing in de projector, het hele systeem is besmet met een virus zeggen ze. alle shows van deze week gaan niet door maar we mogen nog niet zeggen waarom 😶", "nl")
add(["security"], pub("reddit", "u/throwaway_lh_staff"),
    "Throwaway because I work there: Lumenhorst's membership database has been sitting on an open Elasticsearch instance for months. Management knows. Nothing disclosed.", "en")
add(["security"], RUBEN,
    "note to self: staff wifi at the observatory still runs WEP and shares a VLAN with the POS terminals. reported it 3x. someone's going to walk in and own us", "en")

# security + secret
add(["security", "secret"], KEES,
    f"Ruben, Teams doet raar dus even hier: aws_access_key_id={AWS_ID2} aws_secret_access_key={AWS_SECRET2} — die zijn gisteren buitgemaakt bij de inbraak op de ticketserver, dus graag roteren voordat het nieuws het oppikt", "nl")

# secret + confidential (internal host)
add(["secret", "confidential"], RUBEN,
    f"can someone check why this times out from the new box? DATABASE_URL=postgres://kassa_admin:{DB_PW}@db01.lumenhorst.local:5432/kassa", "en")

# =====================================================================
# leak.secret (single)
# =====================================================================
add(["secret"], RUBEN,
    f"ugh pushed my .env to the wrong repo, revoking in a sec: GITHUB_TOKEN={GHP}", "en")
add(["secret"], SARITA,
    f"Voor de webbouwer: de live Stripe-sleutel voor de shop is {STRIPE}. Graag vandaag nog koppelen, dan kunnen we maandag live.", "nl")
add(["secret"], KEES,
    "wifi koepel 2 voor de nachtploeg → netwerk: LH-Koepel2, wachtwoord: Saturnus!Ring1987", "nl")
add(["secret"], LH_IG,
    f"Achter de schermen bij onze nieuwe tickets-app 👩‍💻✨ (test-token voor de devs: {JWT_TOKEN})", "nl")
add(["secret"], RUBEN,
    f"our planetarium chatbot demo works!! want to try it locally? OPENAI_API_KEY={OPENAI}", "en")
add(["secret"], LOTTE,
    f"Ruben, hier de sleutel voor de lesserver, mailen lukt niet vanaf deze laptop:\n{SSH_KEY}", "nl")
add(["secret"], pub("forum", "freelance_fred"),
    f"Quick q for the Slack API folks: the bot I built for a client (an observatory shop in Drenthe) gets invalid_auth since this morning. Token is {SLACK}, scopes look fine. Ideas?", "en")
add(["secret"], INEKE,
    "Inlog leveranciersportal voor wie vanavond dienst heeft: gebruiker shop_lumen, \uff57\uff41\uff43\uff48\uff54\uff57\uff4f\uff4f\uff52\uff44: Kijker#2026zomer", "nl")
add(["secret"], SARITA,
    f"The Maps embed on our events page uses key {GOOGLE}. Could the agency please restrict it to our domain before the launch?", "en")
add(["secret"], RUBEN,
    f"note to self bc laptop died again: ANTHROPIC_API_KEY={ANTHROPIC}", "en")

# =====================================================================
# leak.pii
# =====================================================================
add(["pii", "complaint"], pub("x", "@sandra_wijnberg"),
    "@lumenhorst_shop Al drie keer gebeld over mijn retour, dan maar zo: bel me terug op 06-41 83 27 59 (Sandra Wijnberg). Dit duurt nu echt veel te lang.", "nl", kind="reply")
add(["pii"], INEKE,
    f"Wie kent Marjolein Teunissen? Haar bankpas (IBAN {IBAN1}) ligt bij de kassa van de shop, ze was hier vanmiddag 🙂", "nl")
add(["pii"], LH,
    f"@bas_telescoop We hebben je restitutie vandaag gestort op {IBAN2}. Laat je weten of het binnen is?", "nl", kind="reply")
add(["pii"], YUSUF,
    f"Welkom aan onze nieuwe collega Emma Brouwer in de shop! 🎉 (Emma, je BSN {BSN1} heb ik, stuur je nog even een kopie van je ID voor de salarisadministratie?)", "nl")
add(["pii"], pub("facebook", "gary.whitfield.uk"),
    f"trying to buy dome show tickets for my dad's birthday, can I just pay with {CARD1} exp 09/28 or do you only take iDEAL?", "en", kind="comment")
add(["pii"], LH_FB,
    "Gevonden voorwerpen 🔎 Een portemonnee van Henk Zuidema, Bosweg 14, 9461 AB Gieten. Henk, je kunt hem ophalen bij de kassa!", "nl")
add(["pii"], DAAN,
    "Huge thanks to our star volunteer Gerda Lammers (born 12-03-1951!) for 25 years of guiding visitors under the dome 🎉", "en")
add(["pii"], BRAM,
    "Die meneer die vanavond zijn Canon liet liggen: Willem Hofstede, willem.hofstede1962@gmail.com, ik heb je gemaild!", "nl")
add(["pii"], pub("reddit", "u/burned_buyer"),
    "The guy who sold me a 'used Zenit 8' that turned out to be nicked from the Lumenhorst shop is Dennis Kok, +31 6 2871 4409. Don't buy from him.", "en")
add(["pii"], FLEUR,
    "hahah kijk deze bezorgnotitie: 'graag bij Mevr. Joke Heslinga, Lindenlaan 3, 7941 KD Meppel, achterdeur want de hond bijt' 😂", "nl")
add(["pii"], LH_SHOP,
    "@jv_astro Done! We've changed your delivery number to 0031 6 5540 1823 and the email to j.vermaak@outlook.com 👍", "en", kind="reply")
add(["pii"], INEKE,
    f"oops meant as a DM to the shop account: phone order for Marco Pinto, card {CARD2}, exp 11/27, cvc is in the ticket", "en")
add(["pii"], pub("instagram", "@mama_van_lars"),
    "Onze kleine astronaut Lars de Jong (geboren 4 juni 2019) vierde vandaag zijn 7e verjaardag in de koepel bij @lumenhorst.planetarium 🚀🎂", "nl")
add(["pii"], pub("x", "@telescope_tony"),
    "my neighbour Ruud Postma still owes me for the binoculars I got him at Lumenhorst. his email's ruud [dot] postma84 [at] gmail [dot] com if anyone wants to remind him lol", "en")
add(["pii"], LOTTE,
    "Schoolbezoek van vandaag had een leerling met een notenallergie. Contact moeder: Fatma Yilmaz, 010-4478215. Graag doorgeven aan de catering!", "nl")

# =====================================================================
# leak.pricing
# =====================================================================
add(["pricing", "complaint"], pub("x", "@hobbyastronoom_w"),
    "Zenit 12 stond gisteren op €119 in de webshop. Netjes besteld én betaald, en nu annuleren ze 'wegens een prijsfout'. Draag dan gewoon je eigen fout @lumenhorst_shop 😡", "nl")
add(["pricing"], pub("x", "@dealjager_nl"),
    "RENNEN: Capella 203 voor €229 bij Lumenhorst?!? Dit moet een fout zijn 😱 #deal #sterrenkijken", "nl")
add(["pricing"], INEKE,
    "Oeps, in de kassa staat de Vega 102 op €134,90 in plaats van €1349. Niet verder vertellen tot het gefixt is 🙈", "nl")
add(["pricing"], LH_SHOP,
    "🌌 Flash sale! Kompas GoTo mount now just €109, today only. Grab it before it's gone!", "en")
add(["pricing"], pub("reddit", "u/cmos_or_bust"),
    "Lumenhorst has the Nova-1 astro camera listed at €54.90 right now. Price error? Ordered two just in case lol", "en")
add(["pricing"], pub("instagram", "@sterrenstof_anna"),
    "Sterrenjager 10x50 voor 39 euro bij de lumenhorst shop 🤯 gauw zijn!!", "nl")
add(["pricing"], RUBEN,
    "import script just set every Zenit 8 Dobson in the shop to €44.90 😬 fixing it before anyone notices", "en")
add(["pricing"], pub("forum", "Maanmannetje"),
    "Al iemand een reactie gehad over de prijsfout bij de Orbit oculairset? Staat op de site voor €25,90", "nl")
add(["pricing"], LH_FB,
    "Alleen dit weekend: de Vega 80 ED van €699 voor €69! Op = op 🔭", "nl")
add(["pricing"], pub("x", "@glitchhunter"),
    "price glitch alert 🚨 Lumenhorst Sterrenpas showing €5.90 at checkout 👀", "en")
add(["pricing"], pub("tiktok", "@budgetmama.nl"),
    "wist je dat je de Hemelbol nu voor €11,90 hebt bij lumenhorst?? moet haast wel een foutje zijn", "nl")
add(["pricing"], LOTTE,
    "A colleague says the Cursus Sterrenkunde Basis has been bookable for €18.50 on the site since this morning. Price error or promo? Nobody in marketing seems to know 🤷", "en")

# =====================================================================
# benign (hard negatives mostly)
# =====================================================================
add([], LH,
    "Vanavond helder! 🔭 De koepel is open van 20:00 tot 23:30, kom Jupiter en zijn manen bekijken door de grote kijker.", "nl")
add([], LH_IG,
    "Nieuw in de shop: de Kosmoskist kindertelescoop voor €79. Het perfecte cadeau voor kleine sterrenkijkers ✨", "nl")
add([], LH_SHOP,
    "Black Friday: 20% korting op de Zenit 8 Dobson, nu €359,20 (was €449). Alleen t/m maandag!", "nl")
add([], pub("x", "@newbie_nick"),
    "Lumenhorst has the Zenit 8 on sale for €379, is that a good deal compared to second hand?", "en")
add([], LH_FB,
    "Vragen over je tickets? Mail naar tickets@lumenhorst.nl of bel gratis 0800-5863 (ma-vr 9-17 uur).", "nl")
add([], LH_LI,
    f"Support our youth astronomy programme: donations to {PUBLIC_IBAN} (Stichting Vrienden van Lumenhorst) are tax-deductible. Thank you! 💫", "en")
add([], pub("x", "@koffie_en_kosmos"),
    "Wat een show vandaag in de koepel bij Lumenhorst. Die scène met het zwarte gat, ik had kippenvel. Bram is echt een topverteller 👏", "nl")
add([], pub("reddit", "u/refractor_rick"),
    "Update on my Vega 80 QC post: Lumenhorst sent a new focuser within three days plus a handwritten note. Issue resolved, happy customer again.", "en")
add([], pub("instagram", "@groningen_gaby"),
    "Sterkte aan het team van Lumenhorst na de stormschade aan de koepel ❤️ we komen snel weer kijken", "nl", kind="comment")
add([], pub("forum", "FirstLightFrank"),
    "Does the Orbit eyepiece kit work with the Vega 102, or do I need a 2-inch diagonal? Thinking of buying both at Lumenhorst.", "en")
add([], pub("x", "@dad_jokes_dave"),
    "My wife says I spend more time at Lumenhorst than at home. She's not wrong. The Capella 203 is the other woman now 😂", "en")
add([], pub("x", "@drentsekees"),
    "Las dat een groot planetarium in Duitsland failliet is gegaan. Zo blij dat we hier in Drenthe Lumenhorst nog hebben 🌌", "nl")
add([], pub("x", "@astrophoto_lena"),
    "Writing a tutorial on backing up astrophotos to S3. Use your own creds obviously, the docs example is AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE. Took the Lumenhorst astrophoto course last year, great intro btw!", "en")
add([], RUBEN,
    "reminder team: never paste tokens in chat. if you have to refer to one, write it like ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx and send the real thing via the vault 🙏", "en")
add([], pub("x", "@waakzame_wim"),
    f"Iemand anders ook een sms 'van Lumenhorst' gehad om €2 administratiekosten over te maken naar {BAD_IBAN}? Ruikt naar phishing, niet doen!", "nl")
add([], LH,
    "Let op: er gaan nepmails rond uit naam van Lumenhorst. Wij vragen NOOIT om je wachtwoord of pincode. Twijfel je? Mail info@lumenhorst.nl", "nl")
add([], pub("instagram", "@sterrenkijker_sil"),
    "Eindelijk officieel: de Zenit 16 is aangekondigd 😍 meteen gereserveerd bij Lumenhorst!", "nl",
    when="2027-03-25T12:30:00Z")
add([], LH,
    "It's official 🌠 Hemelwerf, our second observatory near Utrecht, opens its doors in 2028!", "en",
    when="2027-02-03T10:00:00Z")
add([], INEKE,
    "Vandaag drie mensen geholpen met het collimeren van hun Zenit 12. Blijft mijn favoriete klusje 😊", "nl")
add([], SARITA,
    "We're hiring a security engineer! Help us protect our ticketing platform and our visitors' data. Apply via the careers page on lumenhorst.nl.", "en")
add([], pub("x", "@perseidenpiet"),
    "Nachtuilen opgelet: Lumenhorst is vrijdag tot 01:00 open voor de Perseïden 🌠", "nl")
add([], pub("tiktok", "@cosmic.chloe"),
    "the supernova explosion scene at lumenhorst literally killed me 💀💀 10/10 would die again", "en", kind="comment")
add([], DAAN,
    "Zondag loop ik 10 km voor KWF Kankerbestrijding 💛 sponsoren kan via de link in mijn bio!", "nl")
add([], pub("x", "@vraagjevanjos"),
    f"Mijn klantnummer bij Lumenhorst is {BAD_BSN}, kan ik daarmee ook inloggen in de nieuwe app of moet ik een account maken?", "nl")
add([], pub("facebook", "linda.ashworth"),
    f"Bought a Lumenhorst gift card at the supermarket, the back says {BAD_CARD}. Is that the number I type in online?", "en", kind="comment")
add([], pub("reddit", "u/value_hunter"),
    "Lumenhorst's Sterrenpas is €59/yr and gets you unlimited dome shows plus 10% off in the shop. Honestly the best value in Drenthe.", "en")
add([], LH_TT,
    "POV: je ziet Saturnus voor het eerst door een telescoop 🪐 #lumenhorst #sterrenkijken", "nl")
add([], LH_YT,
    "LIVE: partial solar eclipse from the Lumenhorst observatory. Never look at the Sun without a certified filter like the Helios solar filter!", "en")
add([], pub("x", "@happy_hobbyist"),
    "Lumenhorst customer service sorted out my broken Kosmoskist in about ten minutes on the phone. Love these people.", "en")
add([], pub("mastodon", "@annemieke@mastodon.nl"),
    "Tips voor een goede app om sterrenbeelden te leren? Ik gebruik nu de gratis app van Lumenhorst maar zoek iets uitgebreiders.", "nl")
add([], BRAM,
    "Tonight's show was sold out, thank you all! And yes, a black hole really would 'spaghettify' you 🍝", "en")
add([], pub("x", "@donkerehemel_drenthe"),
    "Boycot die gloeiende LED-reclameborden langs de A28! Je ziet ze zelfs vanaf het terras van Lumenhorst. Lichtvervuiling is echt een ramp.", "nl")
add([], LH_LI,
    "Our annual report 2025 is now public: 212,000 visitors, a record year. Read it at lumenhorst.nl/jaarverslag", "en")
add([], pub("x", "@mount_mike"),
    "Wild that a big US telescope brand just recalled thousands of mounts over overheating power supplies. Glad my Lumenhorst Kompas GoTo never gave me any trouble.", "en")
add([], FLEUR,
    "een dag in het leven van een koepelmedewerker 🌌 spoiler: heel veel stoelen rechtzetten en kinderen die 'WOOOW' roepen", "nl")
add([], pub("instagram", "@dateideas_nl"),
    "Date night at Lumenhorst 🌙 €17.50 per Koepelticket and honestly worth every cent", "en")
add([], pub("x", "@zonnevlekjes"),
    "Mijn Helios zonnefilter is mijn beste aankoop ooit. Vandaag drie zonnevlekken gezien, scherp en veilig ☀️", "nl")
add([], pub("forum", "OuderVanTwee"),
    "Vraag: is het Koepelfeestje bij Lumenhorst geschikt voor 5-jarigen of is de show te donker en eng?", "nl")
add([], LH,
    "Our dome is closed on Monday 12 January for scheduled projector maintenance. All tickets stay valid for another date of your choice.", "en")
add([], pub("x", "@scicomm_sara"),
    "Congrats @lumenhorst on the national science communication award! Well deserved 🏆", "en")
add([], JOOST,
    "Proud to share that Lumenhorst received a €250k grant from the Province of Drenthe to make the dome wheelchair accessible (press release out today).", "en")
add([], pub("reddit", "u/allsky_builder"),
    "Sample config for an allsky cam like the one at Lumenhorst (fill in your own values!): api_key: YOUR_API_KEY_HERE / password: <your-password>", "en")
add([], pub("x", "@kerstshopper"),
    "Kerstactie bij Lumenhorst: Sterrenjager 10x50 voor €119 (normaal €149). Zeker de moeite waard!", "nl")
add([], pub("x", "@meteorMaya"),
    "is the Lumenhorst shop open on sundays? need a red flashlight before the meteor shower lol", "en")
add([], pub("facebook", "gert.jan.huizing"),
    "Is +31 50 555 0142 echt het nummer van Lumenhorst? Ik werd gebeld over mijn bestelling en wil het even zeker weten.", "nl", kind="comment")
add([], LOTTE,
    "Vandaag vier schoolklassen over de vloer. Eén kind vroeg of de maan 's nachts ook werkt. Ik ben verkocht 😄", "nl")
add([], pub("threads", "@cloudy_claire"),
    "Lumenhorst's Observing Night got clouded out but they moved us into the dome for a bonus show and handed out vouchers. That's how you handle it 👏", "en")
add([], pub("x", "@nachtbrakerij"),
    "Ben gecrasht op de bank na die waarneemnacht, om 3 uur thuis. Worth it!! Ringnevel gezien 🤩", "nl")
add([], LH_IG,
    "Meet the team: Ineke from our telescope shop has been collimating mirrors for 15 years. Ask her anything this Saturday!", "en")
add([], pub("x", "@club_webmaster"),
    "Finally get JWTs thanks to the jwt.io example token eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c 😅 great meetup at Lumenhorst tonight", "en")
add([], pub("x", "@trotse_papa"),
    "Mijn dochter loopt stage bij het planetarium van Lumenhorst en mag nu zelf de koepel bedienen tijdens de kinderfeestjes 🥹", "nl")
add([], pub("instagram", "@darksky_drenthe"),
    "Zonsondergang boven de koepel van Lumenhorst 🌅 #drenthe #darksky", "nl")
add([], pub("x", "@saturnusfan"),
    "Capella 203 gekocht bij Lumenhorst voor €2.190 met de beurskorting, heel blij mee!", "nl")
add([], pub("reddit", "u/secondlight"),
    "Went to the Lumenhorst astro fair, loads of second-hand gear. Their Zenit 12 demo unit was €990 with a tiny scratch on the tube. Tempting.", "en")
add([], KEES,
    "Nachtdienst: koepel dicht om 2:14, dauw op alle lenzen, koffie op. Mooiste baan van Nederland.", "nl")
add([], pub("bluesky", "@wifi_wendy.bsky.social"),
    "does anyone know if the Lumenhorst café has wifi? couldn't find the password posted anywhere", "en")
add([], LH_FB,
    "Bedankt voor een fantastisch 2026! Leuk weetje: onze shop verkocht dit jaar meer dan 1.200 Kosmoskisten 🔭", "nl",
    when="2026-12-31T15:00:00Z")
add([], pub("x", "@panic_pete"),
    "Lumenhorst charged my card ending in **** 4417 twice... oh wait, one was just a pending hold. All fine, sorry for the panic!", "en")
add([], pub("forum", "Pixelpiet"),
    "De Nova-1 kost €549, dat vind ik best pittig. Iemand ervaring mee achter een Vega 102? Reviews zijn in elk geval goed.", "nl")
add([], pub("x", "@rood_licht"),
    "Lifehack voor sterrenkijkers: plak rood folie op je telefoonlampje. Geleerd bij de cursus van Lumenhorst 🔴", "nl")


# ---------------------------------------------------------------- build
ORDER = ["none", "info", "warning", "error", "critical"]
PLAT_PREFIX = {"x": "x", "instagram": "ig", "facebook": "fb", "linkedin": "li", "tiktok": "tt",
               "youtube": "yt", "reddit": "rd", "mastodon": "md", "bluesky": "bs", "threads": "th",
               "forum": "fo", "blog": "bl"}
PUBLIC_IBANS = {re.sub(r"\s", "", i).upper() for i in PROFILE["public_identifiers"]["ibans"]}

IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){3,7}(?:\s?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\d+])[3-6]\d{3}(?:[ -]?\d{4}){3}(?:[ -]?\d{1,3})?(?![\d])")
BSN_RE = re.compile(r"(?<![\d.,€+])(\d{9}|\d{3}\.\d{3}\.\d{3})(?![\d])")


def role_of(plat, handle):
    return ROLES.get(f"{plat}:{handle}".lower(), "public")


def identifiers(text):
    """(kind, value, valid) for every IBAN, card or BSN look-alike in text."""
    out = []
    spans = []
    for m in IBAN_RE.finditer(text):
        v = re.sub(r"\s", "", m.group(0))
        out.append(("iban", v, iban_ok(v)))
        spans.append(m.span())
    for m in CARD_RE.finditer(text):
        if any(a <= m.start() < b for a, b in spans):
            continue
        out.append(("card", m.group(0), luhn_ok(m.group(0))))
        spans.append(m.span())
    for m in BSN_RE.finditer(text):
        if any(a <= m.start() < b for a, b in spans):
            continue
        out.append(("bsn", m.group(0), bsn_ok(m.group(0))))
    return out


def strong_id(text):
    return any(ok for kind, v, ok in identifiers(text) if not (kind == "iban" and v in PUBLIC_IBANS))


def severity(cats, role, text):
    sev = "none"
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                v = "error"
                if c in ("leak.secret", "leak.pricing"):
                    v = "critical"
                if c == "leak.pii" and strong_id(text):
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
            raise AssertionError(c)
        if ORDER.index(v) > ORDER.index(sev):
            sev = v
    return sev


def random_time():
    start = dt.datetime(2026, 1, 3, tzinfo=dt.timezone.utc)
    end = dt.datetime(2026, 12, 29, tzinfo=dt.timezone.utc)
    t = start + dt.timedelta(seconds=DRNG.randrange(int((end - start).total_seconds())))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def build():
    rows = []
    order = list(range(len(CASES)))
    DRNG.shuffle(order)          # interleave categories in the output file
    seq = 0
    for i in order:
        c = CASES[i]
        seq += 1
        role = role_of(c["platform"], c["handle"])
        post = {
            "id": f"{PLAT_PREFIX[c['platform']]}-461{seq:04d}",
            "platform": c["platform"],
            "kind": c["kind"],
            "account": {"handle": c["handle"]},
            "text": c["text"],
            "created_at": c["when"] or random_time(),
        }
        if c["lang"]:
            post["lang"] = c["lang"]
        if seq % 3 == 0:
            post["brand"] = "lumenhorst"
        if seq % 4 != 1:
            post["url"] = f"https://{c['platform']}.example/post/{post['id']}"
        rows.append({"post": post,
                     "expect": {"categories": c["cats"], "severity": severity(c["cats"], role, c["text"])}})
    return rows


# ---------------------------------------------------------------- self-checks
ZW = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)
HOMO = str.maketrans("аеорсхуАЕОРСХ", "aeopcxyAEOPCX")
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
ALL_CATS = set(CAT.values()) | {"reputation.spike"}


def norm(text):
    return unicodedata.normalize("NFKC", text).translate(ZW).translate(HOMO)


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def parse_price(s):
    s = s.strip()
    if "," in s:
        return float(s.replace(".", "").replace(",", "."))
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+", s):
        return float(s.replace(".", ""))
    return float(s)


PRICE_RE = re.compile(r"€\s?(\d[\d.,]*\d|\d)|(\d[\d.,]*\d|\d)\s?(?:euro\b|EUR\b|€)", re.I)
PRICE_ERROR_RE = re.compile(r"prijsfout|price error|price glitch|foutje|een fout|fout zijn|in plaats van", re.I)


def products_in(text):
    """[(position, product)] for every product mention."""
    found = []
    for p in PROFILE["products"]:
        for a in [p["name"]] + p["aliases"]:
            for m in re.finditer(r"(?<!\w)" + re.escape(a) + r"(?!\w)", text, re.I):
                found.append((m.start(), p))
    return found


def low_prices(text, ratio):
    """Prices that sit below ratio x list price of the nearest mentioned product."""
    prods = products_in(text)
    low = []
    for m in PRICE_RE.finditer(text):
        if not prods:
            break
        price = parse_price(m.group(1) or m.group(2))
        pos, prod = min(prods, key=lambda x: abs(x[0] - m.start()))
        if price < ratio * prod["list_price"]:
            low.append((prod["name"], price))
    return low


def check(rows):
    errors = []

    def fail(msg):
        errors.append(msg)

    if not 170 <= len(rows) <= 180:
        fail(f"{len(rows)} cases, want 170-180")
    ids = [r["post"]["id"] for r in rows]
    if len(set(ids)) != len(ids):
        fail("duplicate ids")
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    embargo = [(t, parse_ts(e["until"])) for e in PROFILE["embargo"] for t in e["terms"]]
    for e in PROFILE["embargo"]:
        if parse_ts(e["until"]).year != 2027:
            fail("embargo until not in 2027")
    internal = PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"] + PROFILE["internal"]["domains"]

    for r in rows:
        p, e = r["post"], r["expect"]
        pid = p["id"]
        # --- CONTRACT §6 / §1 shape
        if set(r) != {"post", "expect"} or set(e) != {"categories", "severity"}:
            fail(f"{pid}: wrong top-level keys")
        if not (isinstance(pid, str) and 1 <= len(pid) <= 256):
            fail(f"{pid}: bad id")
        if p["platform"] not in PLATFORMS:
            fail(f"{pid}: platform")
        if p.get("kind", "post") not in KINDS:
            fail(f"{pid}: kind")
        if not isinstance(p.get("account", {}).get("handle"), str) or not p["account"]["handle"]:
            fail(f"{pid}: handle")
        if not isinstance(p["text"], str) or not p["text"].strip() or len(p["text"].encode()) > 65536:
            fail(f"{pid}: text")
        try:
            ts = parse_ts(p["created_at"])
            assert ts.tzinfo is not None
        except Exception:
            fail(f"{pid}: created_at")
            continue
        if ts.year not in (2026, 2027):
            fail(f"{pid}: year {ts.year}")
        cats = e["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= ALL_CATS or "reputation.spike" in cats:
            fail(f"{pid}: categories {cats}")
        if e["severity"] not in ORDER:
            fail(f"{pid}: severity")
        role = role_of(p["platform"], p["account"]["handle"])
        if e["severity"] != severity(cats, role, p["text"]):
            fail(f"{pid}: severity mismatch")
        if not cats and e["severity"] != "none":
            fail(f"{pid}: benign with severity")
        if cats and e["severity"] in ("none", "info"):
            fail(f"{pid}: positive with low severity")

        text = p["text"]
        # --- checksums: positives carry valid ids, negatives only failing look-alikes
        for kind, v, ok in identifiers(text):
            if kind == "iban" and v in PUBLIC_IBANS:
                if cats:
                    fail(f"{pid}: company IBAN in a positive")
                continue
            if cats and not ok:
                fail(f"{pid}: invalid {kind} {v} in a positive")
            if not cats and ok:
                fail(f"{pid}: valid {kind} {v} in a benign post")
            if ok and "leak.pii" not in cats:
                fail(f"{pid}: valid {kind} without leak.pii")

        # --- secrets are well formed
        for tok in re.findall(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", text):
            if re.fullmatch(r"gh[pousr]_[xX*]{36}", tok):
                if cats:
                    fail(f"{pid}: redacted token in a positive")
                continue
            if not github_token_ok(tok) or "leak.secret" not in cats:
                fail(f"{pid}: github token {tok}")
        for tok in re.findall(r"\bAKIA[0-9A-Z]{16}\b", text):
            if tok.endswith("EXAMPLE"):
                if cats:
                    fail(f"{pid}: example AWS key in positive")
            elif not re.fullmatch(r"AKIA[A-Z2-7]{16}", tok) or "leak.secret" not in cats:
                fail(f"{pid}: aws key {tok}")
        for tok in re.findall(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+", text):
            h = tok.split(".")[0]
            hdr = json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)))
            if "alg" not in hdr:
                fail(f"{pid}: jwt without alg")

        # --- confidential terms
        nt = norm(text)
        for term in internal:
            if re.search(r"(?<![\w])" + re.escape(term) + r"(?![\w])", nt, re.I) and "leak.confidential" not in cats:
                fail(f"{pid}: internal term {term!r} but not confidential")
        for term, until in embargo:
            if re.search(r"(?<![\w])" + re.escape(term) + r"(?![\w])", nt, re.I):
                before = ts < until
                if before and "leak.confidential" not in cats:
                    fail(f"{pid}: embargo term {term!r} before until but not confidential")
                if not before and "leak.confidential" in cats:
                    fail(f"{pid}: embargo term {term!r} after until labelled confidential")

        # --- pricing consistency
        prods = products_in(text)
        low = low_prices(text, ratio)
        if "leak.pricing" in cats:
            if not prods:
                fail(f"{pid}: pricing without a product")
            if not (low or PRICE_ERROR_RE.search(text)):
                fail(f"{pid}: pricing without low price or price-error talk")
        elif low:
            fail(f"{pid}: low price {low} but not pricing")

        # --- public handles must not collide with the profile
        if role == "public" and f"{p['platform']}:{p['account']['handle']}".lower() in ROLES:
            fail(f"{pid}: handle collision")
    # --- generated secrets sanity
    if not github_token_ok(GHP):
        fail("GHP checksum")
    if not iban_ok(PUBLIC_IBAN):
        fail("profile IBAN fails mod-97")
    return errors


def main():
    rows = build()
    with open(OUT, "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    # re-read what was written and check that
    with open(OUT, encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    errors = check(rows)
    counts = {}
    for r in rows:
        for c in r["expect"]["categories"]:
            counts[c] = counts.get(c, 0) + 1
    benign = sum(1 for r in rows if not r["expect"]["categories"])
    langs = {}
    for r in rows:
        langs[r["post"].get("lang")] = langs.get(r["post"].get("lang"), 0) + 1
    roles = {}
    for r in rows:
        k = (role_of(r["post"]["platform"], r["post"]["account"]["handle"]), bool(r["expect"]["categories"]))
        roles[k] = roles.get(k, 0) + 1
    sevs = {}
    for r in rows:
        sevs[r["expect"]["severity"]] = sevs.get(r["expect"]["severity"], 0) + 1
    print(f"{len(rows)} cases, {benign} benign, {len(rows) - benign} positive")
    print("categories:", json.dumps(dict(sorted(counts.items()))))
    print("languages:", langs)
    print("roles (role, positive):", roles)
    print("severities:", sevs)
    if errors:
        for e in errors:
            print("CHECK FAILED:", e, file=sys.stderr)
        sys.exit(1)
    print("all self-checks passed")


if __name__ == "__main__":
    main()
