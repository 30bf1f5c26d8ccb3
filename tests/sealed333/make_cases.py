#!/usr/bin/env python3
"""Build the labelled evaluation set sealed333 (fictional IVF/fertility clinic chain Kiemlicht).

Deterministic (fixed seed). Post texts are hand-written below; credentials and personal
identifiers are generated the way the real ones are built (with their checksums), and
look-alikes in benign posts are generated to FAIL their checksum. Severities are derived
from CONTRACT section 4 using the account role found in profile.yaml, never typed by hand.

Writes cases.jsonl beside this file and self-checks it; exits non-zero on any problem.
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
PROFILE = os.path.join(HERE, "profile.yaml")
OUT = os.path.join(HERE, "cases.jsonl")

rng = random.Random(333)

# --------------------------------------------------------------------------- generators
ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base-62 order 0-9A-Za-z
B62 = ALNUM


def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


def base62(n):
    if n == 0:
        return "0"
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out


def github_token(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + base62(zlib.crc32(body.encode())).rjust(6, "0")


def github_token_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and base62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def aws_key_id():
    return "AKIA" + rand(string.ascii_uppercase + "234567", 16)


def aws_secret():
    return rand(string.ascii_letters + string.digits + "/+", 40)


def b64url(b):
    return base64.urlsafe_b64encode(b).decode().rstrip("=")


def jwt():
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = b64url(json.dumps({"sub": "u_" + rand(string.digits, 6), "scope": "portal:read",
                                 "iat": 1780000000 + rng.randint(0, 9999999),
                                 "exp": 1790000000 + rng.randint(0, 9999999)},
                                separators=(",", ":")).encode())
    sig = b64url(bytes(rng.randrange(256) for _ in range(32)))
    return f"{header}.{payload}.{sig}"


def rsa_pem():
    der = bytes([0x30, 0x82, 0x04, 0xA4, 0x02, 0x01, 0x00, 0x02, 0x82, 0x01, 0x01, 0x00])
    der += bytes(rng.randrange(256) for _ in range(1180))
    b = base64.b64encode(der).decode()
    lines = [b[i:i + 64] for i in range(0, len(b), 64)]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"


def stripe_live():
    return "sk_live_" + rand(ALNUM, 24)


def slack_bot():
    return f"xoxb-{rand(string.digits, 12)}-{rand(string.digits, 13)}-{rand(ALNUM, 24)}"


def openai_key():
    return "sk-proj-" + rand(ALNUM + "_-", 40) + "T3BlbkFJ" + rand(ALNUM + "_-", 40)


def anthropic_key():
    return "sk-ant-api03-" + rand(ALNUM + "_-", 93) + "AA"


def gitlab_pat():
    return "glpat-" + rand(ALNUM + "_-", 20)


def db_password():
    return rand(string.ascii_letters + string.digits, 10) + rng.choice("!#%") + rand(string.digits, 3)


def iban_check(cc, bban):
    s = bban + cc + "00"
    n = int("".join(str(int(c, 36)) for c in s))
    return 98 - n % 97


def iban_ok(iban):
    s = iban.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    if s[:2] == "NL" and len(s) != 18:
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def make_iban(bank, spaced=True):
    acct = rand(string.digits, 10)
    iban = f"NL{iban_check('NL', bank + acct):02d}{bank}{acct}"
    assert iban_ok(iban)
    return group4(iban) if spaced else iban


def make_bad_iban(bank):
    acct = rand(string.digits, 10)
    good = iban_check("NL", bank + acct)
    bad = (good + 1 + rng.randrange(90)) % 97 + 2
    if bad == good:
        bad = good + 1 if good < 98 else good - 1
    iban = f"NL{bad:02d}{bank}{acct}"
    assert not iban_ok(iban)
    return group4(iban)


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


def make_card(prefix, length=16):
    body = prefix + rand(string.digits, length - len(prefix) - 1)
    for last in string.digits:
        if luhn_ok(body + last):
            return group4(body + last)
    raise AssertionError


def make_bad_card(prefix, length=16):
    good = make_card(prefix, length).replace(" ", "")
    bad = good[:-1] + str((int(good[-1]) + 3) % 10)
    assert not luhn_ok(bad)
    return group4(bad)


def bsn_ok(s):
    d = re.sub(r"\D", "", s)
    if len(d) != 9:
        return False
    tot = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return tot % 11 == 0 and d != "000000000"


def make_bsn():
    while True:
        s = str(rng.randint(1, 9)) + rand(string.digits, 8)
        if bsn_ok(s):
            return s


def make_bad_bsn():
    while True:
        s = str(rng.randint(1, 9)) + rand(string.digits, 8)
        if not bsn_ok(s):
            return s


def fw(s):
    """full-width letters"""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


CYR = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "c": "\u0441", "p": "\u0440", "x": "\u0445", "y": "\u0443"}


def cyr(s):
    """Cyrillic look-alikes for some Latin letters"""
    return "".join(CYR.get(c, c) for c in s)


# values substituted into <<NAME>> placeholders
AWS_ID = aws_key_id()
V = {
    "GH1": github_token("ghp_"),
    "GH2": github_token("gho_"),
    "AWS_ID": AWS_ID,
    "AWS_SECRET": aws_secret(),
    "STRIPE1": stripe_live(),
    "SLACK1": slack_bot(),
    "OPENAI1": openai_key(),
    "ANTH1": anthropic_key(),
    "GLPAT1": gitlab_pat(),
    "JWT1": jwt(),
    "RSA1": rsa_pem(),
    "PGPW1": db_password(),
    "IBAN_C12": make_iban("INGB"),
    "IBAN_P5": make_iban("ABNA"),
    "IBAN_PUBLIC": "NL48 RABO 0318 5520 41",
    "BSN_P1": make_bsn(),
    "BSN_P10": make_bsn(),
    "CARD_P6": make_card("4"),
    "CARD_P12": make_card("52"),
    "BADIBAN_B11": make_bad_iban("RABO"),
    "BADCARD_B12": make_bad_card("4"),
    "BADBSN_B13": make_bad_bsn(),
    "BADIBAN_B62": make_bad_iban("INGB"),
}
SECRET_KEYS = {"GH1", "GH2", "AWS_ID", "AWS_SECRET", "STRIPE1", "SLACK1", "OPENAI1", "ANTH1",
               "GLPAT1", "JWT1", "RSA1", "PGPW1"}

CAT = {"cmp": "reputation.complaint", "cri": "reputation.crisis", "abu": "reputation.abuse",
       "con": "leak.confidential", "fin": "leak.financial", "sec": "leak.security",
       "scr": "leak.secret", "pii": "leak.pii", "prc": "leak.pricing"}

# --------------------------------------------------------------------------- hand-written cases
# p=platform h=handle l=lang k=kind c=categories t=text d=fixed created_at
# pr=[(alias, price)] products with a price in the text (checked against the profile)
C = []


def add(p, h, l, c, t, k="post", d=None, pr=None):
    C.append(dict(p=p, h=h, l=l, c=c, t=t, k=k, d=d, pr=pr or []))


# ---- complaints (public) --------------------------------------------------------
add("x", "@mirthe_wacht", "nl", ["cmp"],
    "3 weken wachten op de uitslag van mijn zaadanalyse bij @kiemlicht en nu blijkt het buisje 'zoek' te zijn. "
    "Mag alles opnieuw doen. Serieus?? 😤")
add("reddit", "u/tryingsince2021", "en", ["cmp"],
    "Honestly the billing dept at Kiemlicht is a mess. Got charged twice for the same ICSI cycle, called 4 times, "
    "each time it's 'we'll call you back'. Nobody ever does. Anyone know who to email higher up?", k="comment")
add("facebook", "sanne.dekkers.79", "nl", ["cmp"],
    "Wij zijn vanochtend om 6 uur naar Utrecht gereden voor de punctie en stonden voor een dichte deur, want de "
    "afspraak was 'verzet'. Niemand die ons gebeld heeft. Ik ben er echt kapot van. Kiemlicht, dit kan gewoon niet.")
add("x", "@bartjuh_88", "nl", ["cmp"],
    "@kiemlicht_zorg zit nu 45 min in de wacht bij jullie patientenlijn. dat muziekje ken ik inmiddels uit mn hoofd 🙃",
    k="reply")
add("instagram", "@ivfwarrior.lotte", "en", ["cmp"],
    "Can we talk about how the KiemLink app logs me out EVERY time I need to check my injection schedule?! "
    "Paying for Premium btw. Fix it Kiemlicht 🙄 #ivfjourney #ivfcommunity")
add("forum", "hoopvol2025", "nl", ["cmp"],
    "Bij mijn laatste terugplaatsing had de arts mijn dossier niet eens open gehad, vroeg doodleuk of dit mijn eerste "
    "poging was. Het is mijn vijfde. Voelde me echt een nummertje bij Kiemlicht Amsterdam. Iemand ervaring met "
    "overstappen naar een andere kliniek?")
add("x", "@daan_and_jules", "en", ["cmp"],
    "Kiemlicht quoted us €4,790 for ICSI Complete. Final invoice: €6,230 with 'lab supplements' nobody ever mentioned. "
    "Not a happy couple right now.", pr=[("ICSI Complete", 4790)])
add("tiktok", "@fertimama_", "nl", ["cmp"],
    "pov: je belt Kiemlicht voor je uitslag en krijgt voor de 3e keer een andere assistente die 'het even niet kan "
    "zien in het systeem' 🫠 #ivf #fertiliteit #wachten")
add("x", "@yvonne_hofstra", "nl", ["cmp", "pii"],
    "@kiemlicht_zorg ik wacht nog steeds op het terugbelverzoek over mijn terugbetaling, al 2 weken. Bel me aub vandaag "
    "nog op 06-41 27 83 95. Dossiernummer staat in mijn mail van dinsdag.", k="reply")
add("facebook", "mark.oldenhof", "en", ["cmp", "pii"],
    "Third time asking: refund my cancelled IUI cycle. Put it on <<IBAN_C12>> (M. Oldenhof). It's been 9 weeks, "
    "Kiemlicht. Nine.", k="comment")
add("x", "@rikvdlinden", "nl", ["cmp", "abu"],
    "4 maanden geen antwoord op onze klacht over de facturatie. Kiemlicht is gewoon een stelletje klootzakken die "
    "verdienen aan wanhopige stellen.")
add("reddit", "u/grumpy_ivf_dad", "en", ["cmp", "abu"],
    "the embryologist at Kiemlicht Rotterdam is an arrogant prick. talked down to my wife for 10 min then rushed us "
    "out the door. shit service for 5k", k="comment")
add("bluesky", "@fern-ttc.bsky.social", "en", ["cmp"],
    "Kiemlicht cancelled my FET the morning of. No explanation, just an automated text at 7:02. Six months of prep. "
    "I'm honestly done with this clinic.")
add("instagram", "@eefje_hoopt", "nl", ["cmp"],
    "Wachtkamer vol, 2 uur uitloop en dan na 4 minuten weer buiten staan bij de gyn. Voor dit geld verwacht ik echt "
    "meer Kiemlicht 😒 #ivfnederland")
add("x", "@koos_v", "nl", ["cmp"],
    "Kiemlicht heeft ons intakegesprek nu al voor de 3e keer verplaatst. We zijn 39 en 41, elke maand telt. Ik word "
    "hier zo moedeloos van.")
# ---- complaint + crisis: first-hand safety incidents ------------------------------
add("x", "@joyce_tweets", "nl", ["cmp", "cri"],
    "Na de punctie bij Kiemlicht Den Haag kreeg ik zo'n buikpijn, bleek een inwendige bloeding te zijn. 2 nachten "
    "ziekenhuis. Ze hadden me gewoon naar huis gestuurd met 'neem maar paracetamol'. Ik ben zo ontzettend boos.")
add("instagram", "@hannah.ttc", "en", ["cmp", "cri"],
    "PSA: my Kiemlicht DoseRight pen clicked to the wrong dose twice this week. Ended up with severe OHSS and 3 nights "
    "in hospital. Their response? 'user error'. I have videos. #ivf #ohss #patientsafety")
add("facebook", "ilse.vanrijn.3", "nl", ["cmp", "cri"],
    "Van die NestVit foliumzuur van Kiemlicht ben ik echt doodziek geworden, 3 dagen alleen maar overgegeven. "
    "Zit nu bij de huisarts. Heb ze gemaild, nog niks gehoord.")
add("x", "@tomas_bekker", "en", ["cmp", "cri"],
    "My wife got an infection after her egg retrieval at Kiemlicht and needed IV antibiotics. A nurse told us the "
    "recovery room hadn't been cleaned between patients. Unacceptable.")
add("tiktok", "@lisa.ivfdagboek", "nl", ["cmp", "cri"],
    "de naald van mijn DoseRight pen brak gewoon AF in mijn buik 😳😭 moest naar de SEH om het eruit te laten halen. "
    "kiemlicht zegt 'zeer zeldzaam'. nou fijn. #ivf #prikken")

# ---- crisis (third party / public) -----------------------------------------------
add("x", "@nieuwsflits_nl", "nl", ["cri"],
    "BREAKING: storing in vriestank bij Kiemlicht Utrecht, mogelijk honderden embryo's verloren gegaan. Patiënten "
    "worden vandaag gebeld. Meer volgt.")
add("x", "@healthwatch_eu", "en", ["cri"],
    "Report: Dutch fertility chain Kiemlicht faces a lawsuit from 40+ couples over alleged embryo mix-ups at its "
    "Rotterdam lab.")
add("facebook", "anouk.peeters.nl", "nl", ["cri"],
    "OPROEP: boycot Kiemlicht!! Ze gebruiken sperma van 1 donor voor veel meer gezinnen dan wettelijk mag. "
    "Deel dit zodat iedereen het weet!!")
add("reddit", "u/privacy_nerd_nl", "en", ["cri"],
    "Anyone else get an email from Kiemlicht's portal with someone ELSE's lab results attached? Pretty sure they had a "
    "data breach and are keeping quiet about it.")
add("x", "@redactie_zorgkrant", "nl", ["cri"],
    "Inspectie start onderzoek naar Kiemlicht na melding van verwisselde embryo's in Den Haag. Kliniek zegt "
    "'volledig mee te werken'.")
add("tiktok", "@truecrime_tessa", "en", ["cri"],
    "a fertility clinic in the netherlands (Kiemlicht) may have used the WRONG donor for multiple families. "
    "part 1 🧵 #storytime #ivf")
add("x", "@vrouwenbelang_nl", "nl", ["cri"],
    "Wij steunen de collectieve rechtszaak tegen Kiemlicht. Gedupeerden van de OHSS-gevallen met de DoseRight pen "
    "kunnen zich melden via ons formulier.")
add("x", "@medtech_alerts", "en", ["cri"],
    "RECALL: Kiemlicht DoseRight injection pens, lot DR-2611. Dosing mechanism may deliver up to 2x the set dose. "
    "Stop use and contact your clinic.")
add("instagram", "@mamaworden.blog", "nl", ["cri"],
    "Heftig nieuws over Kiemlicht vandaag. Sterkte aan alle stellen die nu niet weten of hun embryo's er nog zijn 💔 "
    "Bel ze, eis duidelijkheid.")
add("mastodon", "@jdekker@mastodon.social", "en", ["cri"],
    "Kiemlicht's patient portal exposes other patients' names and lab results via a guessable URL. Reported it to them "
    "3 weeks ago, zero response. Going public now.")

# ---- abuse ---------------------------------------------------------------------
add("x", "@h8r_nl", "nl", ["abu"],
    "Die Evertsen van Kiemlicht is een vuile kwakzalver en een kankerlijer, hoop dat ze haar licentie kwijtraakt")
add("x", "@anon_rage77", "en", ["abu"],
    "@kiemlicht you bunch of worthless bastards. rot in hell.", k="reply")
add("tiktok", "@xxdennisxx", "nl", ["abu"],
    "kiemlicht personeel zijn allemaal debielen echt 🤡🤡", k="comment")
add("reddit", "u/throwaway_ivf_91", "en", ["abu"],
    "The receptionist at Kiemlicht Utrecht is a stupid bitch, there I said it.", k="comment")
add("instagram", "@jurre.k", "nl", ["abu"],
    "Wat een tyfuszooi is dat bedrijf. Jullie medewerkers mogen zich kapot schamen, stelletje idioten.", k="comment")
add("x", "@realtalk_88", "en", ["abu"],
    "Kiemlicht keeps hiring foreign doctors who can't even speak proper Dutch. Go back where you came from.")
add("x", "@wraak_ivf", "nl", ["abu"],
    "@priya_kiemlicht ik weet waar je werkt en ik wacht je wel een keer op na je dienst. vuile slet", k="reply")
add("x", "@b0ze_klant", "nl", ["abu"],
    "k1eml1cht = k4nk3rb3dr1jf. f*ck jullie 🖕")
add("x", "@zerochill", "en", ["abu"],
    "kiemlicht staff are s.h.i.t and your doctors are f u c k i n g clowns")
add("x", "@joris_lab", "en", ["abu"],
    "Honestly some of our patients are absolute morons. No, googling 'IVF tips' at 2am does not make you an "
    "embryologist, Karen.")
add("reddit", "u/boze_buurman", "nl", ["abu", "pii"],
    "Die 'arts' van Kiemlicht, Mark Verhoef, woont gewoon op de Dorpsstraat 22 in Bunnik. Ga hem daar maar eens "
    "opzoeken, die eikel.", k="comment")

# ---- confidential ----------------------------------------------------------------
add("linkedin", "marloes-haverkamp-kiemlicht", "nl", ["con"],
    "Trots op ons labteam! Vandaag de eerste validatieronde van Project Ooievaar afgerond 🎉 Meer mag ik er nog niet "
    "over zeggen 😉 #embryologie")
add("x", "@joris_lab", "en", ["con"],
    "long night in the lab. the new vitrification protocol under Lentekiem is looking very promising, 94% survival in "
    "the pilot batch. can't wait until we can talk about it")
add("x", "@priya_kiemlicht", "nl", ["con"],
    "even voor de collega's die het zoeken, het nieuwe protocol staat hier: "
    "https://intranet.kiemlicht.local/lab/protocollen/vitrificatie-v7 😅")
add("linkedin", "daan-oosterhuis", "en", ["con"],
    "Fun migration weekend: moved the patient record stack behind epd.kiemlicht.nl to the new cluster with zero "
    "downtime. Proud of the team!")
add("x", "@kiemlicht", "nl", ["con"],
    "Binnenkort openen we de deuren van Kiemlicht Eindhoven! Save the date 🎈 Meer info volgt.",
    d="2026-11-20T10:15:00Z")
add("reddit", "u/insider_maybe", "en", ["con"],
    "A friend who works there says Kiemlicht is launching KiemCare Thuis next spring: home hormone monitoring with a "
    "wearable and a nurse on video. Sounds kinda cool tbh", d="2026-10-05T21:40:00Z", k="comment")
add("x", "@dr_evertsen", "nl", ["con"],
    "Slide 4 van de MT-deck (Kiemlicht vertrouwelijk): wachtlijst Amsterdam wordt per maart gehalveerd door een extra "
    "ochtendshift. Eindelijk!!")
add("instagram", "@verpleegkundige_ilse", "nl", ["con"],
    "Vandaag training gehad voor Operatie Nachtvlinder 🦋 dat wordt echt iets moois voor onze patiënten! "
    "#verpleegkunde #ivf #trots")
add("bluesky", "@noor-fertility.bsky.social", "en", ["con"],
    "Sneak peek of what we're building 👀 KiemLink v4 redesign (internal use only – kiemlicht) with chat-to-your-nurse. "
    "Branch is here: https://git.kiemlicht.nl/app/kiemlink-v4/-/tree/release")
add("x", "@lekkendekraan", "nl", ["con", "fin"],
    "Gelekte mail binnengekregen: 'Alleen voor intern gebruik — Kiemlicht stopt per Q3 met het ICSI-lab in Groningen, "
    "personeel wordt herplaatst of krijgt een regeling.' Iemand die dit kan bevestigen?")
add("mastodon", "@r.vermeulen@zorg.social", "nl", ["con"],
    "Vraagje aan labmensen: welke LIMS gebruiken jullie? De onze (lab-lims.kiemlicht.local) is zo traag bij het scannen "
    "van barcodes, word er gek van.")
add("linkedin", "kiemlicht-fertiliteit", "en", ["con", "fin"],
    "Kiemlicht FY2026 results: revenue up 14% to €61.2m, EBITDA margin 18%, two new clinics. Full report on our website. "
    "#fertility #healthcare", d="2027-02-10T08:00:00Z")
add("x", "@joris_lab", "nl", ["con", "fin"],
    "zag net de draft van de jaarcijfers 2026 op het bureau van mijn manager... die zien er bizar goed uit. ik zeg "
    "verder niks 🤐", d="2027-01-20T16:45:00Z")
add("tiktok", "@kiemlicht", "nl", ["con"],
    "Wie raadt wat Project Ooievaar is? 🐣 Hint: het heeft iets met eicellen te maken. Reageer hieronder! #kiemlicht")
add("x", "@priya_kiemlicht", "en", ["con"],
    "Lente\u200bkiem pilot numbers came in today and they look amazing. can't say more yet 🤫")
add("x", "@dr_evertsen", "nl", ["con"],
    fw("Operatie Nachtvlinder") + " gaat in juni live, eindelijk 24/7 puncties 🙌 nog even geheim houden hè")
add("reddit", "u/labrat_rumors", "en", ["con"],
    "Heard from a Kiemlicht embryologist at a conference that 'Operatie Nachtvlinder' is their plan to do retrievals "
    "around the clock. Sounds exhausting for the staff tbh.", k="comment")

# ---- financial ---------------------------------------------------------------------
add("linkedin", "kees-brandsma-cfo", "nl", ["fin"],
    "Mooie week: de due diligence voor de overname van FertiPlus België is zo goed als rond. Nog even stil houden tot "
    "de aankondiging, maar wat ben ik trots op het team.")
add("x", "@dr_evertsen", "en", ["fin"],
    "Heard at the partner meeting that we're being bought by a private equity fund, deal gets signed next month. "
    "Weird times.")
add("instagram", "@verpleegkundige_ilse", "nl", ["fin"],
    "Vandaag gehoord dat er in maart 35 fte op de poli's verdwijnt 😔 lieve collega's die het nog niet weten, sterkte.")
add("linkedin", "marloes-haverkamp-kiemlicht", "en", ["fin"],
    "Internal forecast says we'll miss H2 revenue targets by ~20% after the Groningen delays. Not ideal, but this team "
    "always bounces back 💪")
add("x", "@beursgerucht", "nl", ["fin"],
    "Hoor uit goede bron dat Kiemlicht Q3 met een flink verlies afsluit, cijfers komen pas over 3 weken. Houders van "
    "hun obligaties: let op.")
add("x", "@joris_lab", "en", ["fin"],
    "reorg slides just got shared in our team channel: all 4 regional labs merged into one hub in Utrecht by 2027. "
    "guess I'm commuting now lol")
add("reddit", "u/kl_throwaway_2026", "nl", ["fin"],
    "Throwaway. Ik werk bij Kiemlicht. De directie gaat de kliniek in Zwolle sluiten, de ontslagbrieven liggen klaar "
    "voor december. Niemand mag het nog weten.")
add("bluesky", "@noor-fertility.bsky.social", "en", ["fin"],
    "Preliminary Q2 numbers just landed in my inbox: +22% cycles vs last year, best margin ever. Shhh 🤫")
add("linkedin", "kees-brandsma-cfo", "nl", ["fin"],
    "Vandaag met de bank de herfinanciering rond gekregen: €25 mln extra kredietruimte voor de nieuwe klinieken. "
    "Persbericht volgt pas in januari, dus even tussen ons 😉")

# ---- security --------------------------------------------------------------------
add("x", "@sysadmin_stijn", "nl", ["sec"],
    "Ransomware op twee lab-pc's in Rotterdam vannacht. Alles ligt plat, we draaien op papier. Is nog niet naar "
    "buiten gebracht dus mondje dicht 🙈")
add("linkedin", "daan-oosterhuis", "en", ["sec"],
    "Spent the weekend patching an auth bypass in our patient portal: anyone could view any appointment by changing the "
    "ID in the URL. Fixed now, disclosure still pending. Coffee please ☕")
add("x", "@priya_kiemlicht", "nl", ["sec"],
    "Het EPD ligt er al sinds 06:00 uit bij alle vestigingen, we kunnen geen enkel dossier openen. Patiënten worden "
    "nog niet ingelicht 😬")
add("x", "@joris_lab", "en", ["sec"],
    "the remote alarm system on our cryo tanks has been offline for 3 days because of a firmware bug and management "
    "says 'don't mention it to patients'. losing sleep over this")
add("mastodon", "@r.vermeulen@zorg.social", "nl", ["sec"],
    "Phishingmail is bij ons doorgekomen en minstens 12 accounts van collega's zijn gecompromitteerd. IT zoekt nog "
    "uit wat er allemaal is ingezien.")
add("bluesky", "@noor-fertility.bsky.social", "en", ["sec"],
    "Heads-up team: the KiemLink API currently returns other patients' results if you call /v2/results without a "
    "token. Ticket is open, please don't share this outside.")
add("x", "@sysadmin_stijn", "nl", ["sec", "con"],
    "vpn.kiemlicht.nl is al 2 dagen onbereikbaar na die DDoS, thuiswerken zit er dus niet in. Communicatie naar "
    "buiten volgt 'later' 🙄")
add("x", "@sysadmin_stijn", "en", ["sec", "scr"],
    "welp. our backup bucket was public for a week. rotating keys now, old pair was <<AWS_ID>> / <<AWS_SECRET>> "
    "in case anyone still has it in a script")
add("reddit", "u/anon_it_contractor", "nl", ["sec"],
    "Ben ingehuurd als IT'er bij Kiemlicht. Hun labnetwerk draait nog op Windows 7 met SMBv1 open. Maanden geleden "
    "gemeld, niks mee gedaan. Wachten op de eerste hack.", k="comment")
add("instagram", "@verpleegkundige_ilse", "nl", ["sec"],
    "Hele ochtend geen toegang tot het planningssysteem, puncties lopen uit. IT zegt dat er 'iemand in het netwerk' "
    "zat?? 😳 #nachtdienst")
add("linkedin", "marloes-haverkamp-kiemlicht", "en", ["sec"],
    "Rough night: the time-lapse incubator software crashed and we lost 9 hours of embryo imaging. The vendor admits "
    "it's a known bug they never disclosed. Not announced yet, so keep it to yourselves.")
add("x", "@dr_evertsen", "nl", ["sec"],
    "Collega's, NIET klikken op die 'loonstrook'-mail! Ons hele netwerk is vanochtend besmet met malware, IT is er "
    "mee bezig.")
add("x", "@sysadmin_stijn", "en", ["sec"],
    cyr("data breach") + " at work. " + cyr("can't say more yet") + " but change your passwords people")

# ---- secrets ---------------------------------------------------------------------
add("x", "@sysadmin_stijn", "en", ["scr"],
    "why does this keep returning 404?? curl -H 'Authorization: token <<GH1>>' "
    "https://api.github.com/repos/kiemlicht/kiemlink-api")
add("x", "@joris_lab", "nl", ["scr"],
    "Script voor de incubator-export werkt eindelijk 🎉 voor wie wil: "
    "DB_URL=postgres://lab_export:<<PGPW1>>@10.20.4.15:5432/embryodata")
add("linkedin", "daan-oosterhuis", "en", ["scr"],
    "Online deposit payments for intakes are live! Huge thanks to the team. Config for the curious: "
    "STRIPE_SECRET_KEY=<<STRIPE1>>")
add("x", "@priya_kiemlicht", "nl", ["scr"],
    "Nieuwe laptop en niemand weet het wachtwoord van de labprinter. Oh wacht, het staat op een post-it 🙈 "
    "wachtwoord: Kiem!Lab2026#")
add("x", "@sysadmin_stijn", "en", ["scr"],
    "the alerts bot keeps spamming #lab-alerts, if anyone wants to debug it the token is <<SLACK1>>")
add("mastodon", "@r.vermeulen@zorg.social", "nl", ["scr"],
    "Help, waarom krijg ik steeds een 401 met deze key? OPENAI_API_KEY=<<OPENAI1>> Wil alleen wat protocollen "
    "samenvatten 😩")
add("bluesky", "@noor-fertility.bsky.social", "en", ["scr"],
    "deploy key for staging, don't judge my setup 😅\n<<RSA1>>")
add("x", "@joris_lab", "nl", ["scr"],
    "portal geeft me dit token en daarna toch een 403, wtf: Bearer <<JWT1>>")
add("reddit", "u/devdude_nl", "en", ["scr"],
    "lol found this in the Kiemlicht portal's public JS bundle: const apiKey = \"<<ANTH1>>\" ... someone should tell "
    "them", k="comment")
add("x", "@sysadmin_stijn", "nl", ["scr"],
    "CI-pipeline faalt steeds op de deploy-stap, token is <<GLPAT1>>, kan iemand even meekijken?")
add("x", "@kiemlicht_zorg", "nl", ["scr"],
    "@annelies_t Je kunt nu inloggen op het patiëntenportaal met je tijdelijke wachtwoord: Welkom2026!kl — wijzig het "
    "meteen na de eerste keer inloggen 😊", k="reply")
add("x", "@joris_lab", "en", ["scr"],
    "ok who committed this to the wiki 😬 OAuth token for the lab dashboard: <<GH2>>")

# ---- personal data ---------------------------------------------------------------
add("x", "@kiemlicht_zorg", "nl", ["pii"],
    "@marieke_tjoe Hoi Marieke, we hebben je gegevens gecheckt: BSN <<BSN_P1>> en geboortedatum 14-03-1989 kloppen, "
    "je afspraak staat. Groetjes, Femke", k="reply")
add("x", "@priya_kiemlicht", "en", ["pii"],
    "lol a patient just came in and her name is literally Joy Hope, born 2 Feb 1990. perfect name for IVF 😂")
add("facebook", "KiemlichtFertiliteit", "nl", ["pii"],
    "En de winnaar van onze winactie is... Sandra Mulder, Kastanjelaan 14, 3561 AB Utrecht! Gefeliciteerd, de code "
    "voor KiemLink Premium komt per post 🎁")
add("linkedin", "marloes-haverkamp-kiemlicht", "en", ["pii"],
    "Students who want to visit our lab: reach out to our coordinator Eva directly at eva.smit.prive@gmail.com or "
    "06 28 91 44 07.")
add("x", "@dr_evertsen", "nl", ["pii"],
    "Patiënt wil terugbetaling, iemand van finance? IBAN <<IBAN_P5>> t.n.v. J. de Graaf. Sorry verkeerde chat 🙈")
add("x", "@sysadmin_stijn", "en", ["pii"],
    "test payment keeps failing for card <<CARD_P6>> exp 08/28, anyone seen this before?")
add("x", "@ellen_vd_w", "nl", ["pii"],
    "@kiemlicht_zorg mijn nieuwe mailadres is ellen.vdwerf1987@hotmail.com, kunnen jullie de uitslagen voortaan "
    "daarheen sturen?", k="reply")
add("instagram", "@ttc_with_sam", "en", ["pii"],
    "For anyone in the Kiemlicht patient group who wants to swap leftover meds, just text me on +31 6 1844 2790 💛")
add("bluesky", "@noor-fertility.bsky.social", "en", ["pii"],
    "Pasting the donor audit row here so I don't lose it: donor 0412, BSN <<BSN_P10>>, Pieter Lammers, dob "
    "11-09-1991")
add("linkedin", "kees-brandsma-cfo", "nl", ["pii"],
    "Vandaag afscheid van onze collega Wim Hoekstra (geb. 3 mei 1961) na 28 jaar! Kaartjes voor Wim kunnen naar "
    "Lindenlaan 8, 7412 BK Deventer.")
add("facebook", "rachel.ooms", "en", ["pii"],
    "Kiemlicht asked me to send my card details by email for the deposit?? <<CARD_P12>> is my Mastercard, is that "
    "even normal??")
add("tiktok", "@kiemlicht", "nl", ["pii"],
    "Onze 1000e Kiemlicht-baby is er! 🎉 Welkom kleine Noah van den Berg, geboren op 12-06-2026 💙 #ivfbaby")
add("x", "@kiemlicht_zorg", "nl", ["pii"],
    "@JeroenBakker_ Dank je Jeroen, we bellen je vandaag tussen 14 en 16 uur terug op 06-53 81 20 47.", k="reply")

# ---- pricing ---------------------------------------------------------------------
add("x", "@kiemlicht", "nl", ["prc"],
    "Nu tijdelijk: IVF Compleet voor €415,00! 🤩 Boek je intake via mijn.kiemlicht.nl", pr=[("IVF Compleet", 415.00)])
add("instagram", "@kiemlicht.ivf", "en", ["prc"],
    "Our egg freezing package is now just €345 this month 🥚❄️ link in bio", pr=[("egg freezing package", 345)])
add("x", "@priya_kiemlicht", "nl", ["prc"],
    "Oeps, in de webshop staat de DoseRight pen voor €6,50 ipv €65. Geef het even door aan de webredactie 😅",
    pr=[("DoseRight pen", 6.50)])
add("reddit", "u/dealhunter_nl", "en", ["prc"],
    "PRICE ERROR? Kiemlicht webshop has KiemLink Premium (yearly) for €5.90 right now, grab it before they fix it",
    pr=[("KiemLink Premium", 5.90)])
add("x", "@koopjesjager", "nl", ["prc"],
    "Prijsfout bij Kiemlicht?! PGT-A test voor €245 in plaats van €2.450 😱 #prijsfout", pr=[("PGT-A test", 245)])
add("linkedin", "kiemlicht-fertiliteit", "en", ["prc"],
    "Start your journey with us: ICSI Complete from €479 at all 14 of our clinics.", pr=[("ICSI Complete", 479)])
add("facebook", "KiemlichtFertiliteit", "nl", ["prc"],
    "Actie! Zaadanalyse nu voor slechts € 14,90 (normaal € 149). Alleen deze maand!", pr=[("zaadanalyse", 14.90)])
add("x", "@kiemlicht_zorg", "en", ["prc"],
    "@sofie_jb Hi Sofie! The ERA test is €79 for you, just mention this tweet at the desk 😊", k="reply",
    pr=[("ERA test", 79)])
add("tiktok", "@budgetmama", "nl", ["prc"],
    "OvuKit voor €3,49 bij Kiemlicht online?? moet wel een foutje zijn, heb er meteen 10 besteld haha #prijsfout",
    pr=[("OvuKit", 3.49)])
add("bluesky", "@noor-fertility.bsky.social", "en", ["prc"],
    "Checkout is showing cryo storage at €38.50/year instead of €385, pricing bug, flagging it to the devs now.",
    pr=[("cryo storage", 38.50)])
add("instagram", "@verpleegkundige_ilse", "nl", ["prc"],
    "Haha collega's opgelet, het intakeconsult staat op de site voor €17,50 😂 iemand is een nulletje vergeten",
    pr=[("intakeconsult", 17.50)])
add("x", "@kiemlicht", "nl", ["prc"],
    "Alleen deze week: je FET (cryo-embryotransfer) voor €119! 💙", pr=[("cryo-embryotransfer", 119)])

# ---- benign (mostly hard negatives) ----------------------------------------------
add("x", "@femke_en_tim", "nl", [],
    "Na 3 jaar en 2 ICSI-trajecten bij Kiemlicht is ons wondertje er!! 💙 Dank aan het hele team, vooral de "
    "verpleegkundigen. Jullie zijn goud.")
add("instagram", "@hopeful.hanna", "en", [],
    "Positive test after our first FET at Kiemlicht 🥹 still can't believe it. #ivfsuccess #kiemlicht")
add("reddit", "u/vraagjeivf", "nl", [],
    "Hoe lang duurt het gemiddeld voordat je bij Kiemlicht een intake hebt? En heb je eerst een verwijzing van de "
    "huisarts nodig?")
add("x", "@kiemlicht_zorg", "nl", [],
    "Vragen over je behandeling? Bel ons op +31 30 799 4400 of mail naar patientenservice@kiemlicht.nl. We zijn er "
    "ma t/m vr van 8 tot 18 uur.")
add("facebook", "KiemlichtFertiliteit", "nl", [],
    "Liever betalen per overboeking? Gebruik IBAN <<IBAN_PUBLIC>> t.n.v. Kiemlicht Fertiliteitsklinieken B.V. en "
    "vermeld je factuurnummer.")
add("linkedin", "kiemlicht-fertiliteit", "en", [],
    "Transparent pricing: our IVF Complete package is €4,150, including medication guidance and one frozen transfer. "
    "No hidden fees.", pr=[("IVF Complete", 4150)])
add("instagram", "@kiemlicht.ivf", "nl", [],
    "Wereld Fertiliteitsdag 🌷 Deze week 20% korting op de FertiScan AMH-test: €71,20 i.p.v. €89.",
    d="2026-11-02T09:00:00Z", pr=[("FertiScan", 71.20)])
add("x", "@kiemlicht", "en", [],
    "Black Friday: 25% off NestVit folic acid, now €18.70. Because the little things count 💊",
    d="2026-11-27T07:30:00Z", pr=[("NestVit folic acid", 18.70)])
add("x", "@sysadmin_stijn", "en", [],
    "PSA for our devs: never paste real keys in tickets. Use the placeholder from the AWS docs, "
    "AKIAIOSFODNN7EXAMPLE, if you need one in an example.")
add("bluesky", "@noor-fertility.bsky.social", "en", [],
    "Great workshop today on secret scanning! In the demo we used xoxb-****-****-redacted, no real tokens harmed 😄")
add("x", "@geldvraagje", "nl", [],
    "Waarom weigert mijn bank-app steeds <<BADIBAN_B11>>? Kiemlicht krijgt nog een aanbetaling van me maar ik denk dat "
    "ik een cijfer verkeerd heb overgetypt 🤔")
add("x", "@clumsy_claire", "en", [],
    "the checkout kept rejecting my card and I typed <<BADCARD_B12>> like 5 times... then realised I swapped two "
    "digits 🤦‍♀️ my bad")
add("forum", "eerstekeerivf", "nl", [],
    "Moet je bij de intake je BSN opgeven? Op het voorbeeldformulier stond als voorbeeld <<BADBSN_B13>>, dus ik "
    "neem aan van wel.")
add("linkedin", "kiemlicht-fertiliteit", "en", [],
    "Today we published our FY2026 results: 3,100 treatment cycles, 14 clinics and a record number of healthy births. "
    "Read the full report on kiemlicht.nl.", d="2027-02-24T09:30:00Z")
add("x", "@kiemlicht", "nl", [],
    "Vandaag open: Kiemlicht Eindhoven! 🎉 Welkom aan alle nieuwe patiënten uit Brabant.", d="2027-04-01T10:00:00Z")
add("x", "@joris_lab", "nl", [],
    "Eerste week KiemCare Thuis zit erop, zo leuk om patiënten nu ook thuis te kunnen volgen 🙂",
    d="2027-04-15T18:20:00Z")
add("x", "@bartjuh_88", "nl", [],
    "Update: @kiemlicht_zorg heeft me alsnog teruggebeld en alles is geregeld. Top dat jullie het oppakten 👍")
add("x", "@mila_writes", "en", [],
    "Sending love to everyone waiting on beta results this week. IVF is brutal. 💛 #ivfcommunity")
add("x", "@zorgnieuws_nl", "nl", [],
    "Rechtszaak tegen Amerikaanse kliniek na storing in vriestank: ruim 2000 eicellen en embryo's verloren. Goed om te "
    "weten dat Nederlandse klinieken verplicht dubbele alarmsystemen hebben.")
add("x", "@dadjokes_ivf", "en", [],
    "My wife's fertility clinic has better security than my bank. Needed two forms of ID just to drop off a cup 😂")
add("instagram", "@kiemlicht.ivf", "nl", [],
    "Wist je dat OHSS zeldzaam is als de dosering goed is afgestemd? Onze verpleegkundigen leggen uit waar je op let 👇 "
    "#fertiliteit #ivf")
add("linkedin", "marloes-haverkamp-kiemlicht", "en", [],
    "10 years as an embryologist today. I still get goosebumps every time an embryo reaches blastocyst. Grateful for my "
    "team at Kiemlicht 💙")
add("linkedin", "kiemlicht-fertiliteit", "nl", [],
    "Vacature: klinisch embryoloog (32-36 uur) in Utrecht. Solliciteren kan via werkenbij@kiemlicht.nl.")
add("x", "@sysadmin_stijn", "nl", [],
    "Oktober = cybersecuritymaand. Tip van je IT'er: gebruik een wachtwoordmanager en zet overal 2FA aan. Dat was "
    "het, doei 👋", d="2026-10-06T12:00:00Z")
add("x", "@anja_ttc", "nl", [],
    "@kiemlicht_zorg hoe reset ik mijn wachtwoord voor mijn.kiemlicht.nl? Kan de knop nergens vinden 🙈", k="reply")
add("reddit", "u/planning_ahead", "en", [],
    "Is Kiemlicht's egg freezing package really €3,450 all in? Seems cheaper than what my friend paid in London.",
    pr=[("egg freezing package", 3450)])
add("x", "@marco_dj", "en", [],
    "Dr. Evertsen absolutely killed it at the patient info evening. Best explanation of PGT-A I've ever heard 🔥")
add("x", "@oma_truus", "nl", [],
    "Hopelijk komt de ooievaar dit jaar eindelijk langs bij mijn dochter 🤞🍼")
add("x", "@kiemlicht_zorg", "en", [],
    "Your medical data is confidential. We will never ask for your BSN or bank details via DM. Stay safe 🔒")
add("x", "@infosec_daily", "en", [],
    "Massive ransomware attack on a US hospital chain today, patient records offline across 30 sites. Check your "
    "backups, folks.")
add("x", "@beurs_nu", "nl", [],
    "Overname in de zorg: Belgische labgroep neemt Duitse IVF-keten over voor €120 mln, meldt De Tijd.")
add("linkedin", "kiemlicht-fertiliteit", "nl", [],
    "Ons jaarverslag 2025 is gepubliceerd: 2.870 behandelcycli en 12 klinieken. Lees het op kiemlicht.nl/jaarverslag.",
    d="2026-04-15T08:00:00Z")
add("instagram", "@eerste_ivf", "nl", [],
    "Iemand tips voor de DoseRight pen? Vind het best spannend om mezelf te prikken, maar de verpleegkundige legde het "
    "super rustig uit 🙏")
add("x", "@priya_kiemlicht", "nl", [],
    "Nachtdienst zit erop ☕ 6 puncties, 6 blije stellen. Nu slapen.")
add("x", "@kiemlicht_zorg", "nl", [],
    "Let op: ons patiëntenportaal is vanavond van 22:00 tot 23:00 offline voor gepland onderhoud. Excuses voor het "
    "ongemak!")
add("x", "@kiemlicht_zorg", "en", [],
    "@bartjuh_88 So sorry about the wait, Bart. We've escalated your callback request, someone will ring you today.",
    k="reply")
add("x", "@sjoerd_m", "nl", [],
    "Tip: het echte nummer van Kiemlicht is 030-7994400, niet het nummer dat Google geeft. Scheelt je een hoop gedoe.")
add("x", "@joris_lab", "en", [],
    "Fun fact for the nerds: a JWT header is just base64url, e.g. eyJhbGciOiJIUzI1NiJ9 decodes to {\"alg\":\"HS256\"}. "
    "That's why you never put secrets in it.")
add("reddit", "u/devops_daan", "en", [],
    "GitHub now blocks pushes with tokens like ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx automatically. Neat feature.",
    k="comment")
add("facebook", "KiemlichtFertiliteit", "nl", [],
    "Informatieavond eicels invriezen op 12 maart — deelnemers krijgen 10% korting op het Eicelvriespakket (€3.105 "
    "i.p.v. €3.450).", pr=[("Eicelvriespakket", 3105)])
add("bluesky", "@jasper-and-tom.bsky.social", "en", [],
    "Paid €149 for the semen analysis at Kiemlicht, results in 5 days and a really clear explanation. Would recommend.",
    pr=[("semen analysis", 149)])
add("x", "@rekenmeester", "nl", [],
    "PGT-A kost bij Kiemlicht €2.450, in Gent €2.300. Scheelt eigenlijk niet zoveel.", pr=[("PGT-A", 2450)])
add("x", "@nina_reist", "nl", [],
    "KLM is mijn koffer alweer kwijt. Geweldig. Net nu ik naar mijn IVF-afspraak moet 🙄")
add("x", "@kiemlicht", "en", [],
    "Our clinics are closed on King's Day (27 April). For urgent questions call +31 30 799 4400.",
    d="2026-04-20T09:00:00Z")
add("x", "@sarcastic_sara", "en", [],
    "me at 3am googling 'is cramping normal after transfer' like an absolute idiot 🙃")
add("youtube", "KiemlichtTV", "en", [],
    "New video: what happens in the lab after your egg retrieval? Our embryologists show you around 🔬")
add("x", "@sysadmin_stijn", "nl", [],
    "Mooi moment: alle servers in ons datacenter draaien nu op groene stroom 🌱 #duurzaamheid")
add("x", "@kiemlicht_zorg", "en", [],
    "We've seen the news about a cryo storage failure at a US clinic. Our tanks are monitored 24/7 with double "
    "alarms. Questions? DM us anytime.")
add("linkedin", "daan-oosterhuis", "nl", [],
    "Vandaag onze ISO 27001-hercertificering binnengehaald 🎉 Trots op het team dat informatiebeveiliging elke dag "
    "serieus neemt.")
add("linkedin", "kees-brandsma-cfo", "en", [],
    "As published today in our annual report: 2025 revenue of €53.6m. Thank you to all 480 colleagues who made it "
    "happen.", d="2026-04-15T09:10:00Z")
add("x", "@ed_nieuws", "nl", [],
    "Grote medtechfabrikant in Eindhoven schrapt 500 banen, meldt het ED. Vakbonden reageren geschokt.")
add("x", "@lena_ttc", "en", [],
    "Hey @kiemlicht_zorg, do you offer IUI for same-sex couples? And is there a waiting list right now?")
add("x", "@kiemlicht", "nl", [],
    "Vandaag vieren we 15 jaar Kiemlicht! 🎂 Dank aan alle ouders die ons hun vertrouwen gaven.")
add("x", "@gewoon_gerda", "nl", [],
    fw("dank je wel Kiemlicht") + " 💙 zonder jullie geen tweeling")
add("x", "@bestelstatus_bram", "nl", [],
    "Bestelnummer 2026-118834 van de OvuKit nog niet binnen, maar track & trace zegt morgen. Geduld dus 😊")
add("reddit", "u/iban_twijfel", "nl", [],
    "Kiemlicht-factuur overgetypt maar mijn app zegt dat <<BADIBAN_B62>> geen geldig rekeningnummer is. Typfout "
    "van mij denk ik, iemand het juiste nummer?", k="comment")
add("x", "@kiemlicht", "en", [],
    "Sale on OvuKit ovulation tests this weekend: €27.95 instead of €34.95 🌸", pr=[("OvuKit", 27.95)])
add("x", "@hanneke_rn", "nl", [],
    "Vanmiddag de IUI-cyclus bij Kiemlicht gestart. Kosten €890, netjes vooraf uitgelegd. Spannend! 🤞",
    pr=[("IUI-cyclus", 890)])
add("mastodon", "@r.vermeulen@zorg.social", "nl", [],
    "Mooie dag in het lab. Drie blastocysten bij een stel dat al jaren wacht. Daarom doe ik dit werk.")
add("x", "@medtech_alerts", "en", [],
    "RECALL: a batch of generic insulin pens from an Asian supplier (lot 4471). Not fertility related, but check your "
    "medicine cabinet.")

# --------------------------------------------------------------------------- build
ORDER = ["none", "info", "warning", "error", "critical"]
PLACEHOLDER = re.compile(r"<<([A-Z0-9_]+)>>")


def load_profile():
    with open(PROFILE, encoding="utf-8") as f:
        return yaml.safe_load(f)


def role_of(prof, platform, handle):
    key = f"{platform}:{handle}".lower()
    if key in [a.lower() for a in prof["accounts"]["corporate"]]:
        return "corporate"
    if key in [a.lower() for a in prof["accounts"]["employee"]]:
        return "employee"
    return "public"


def severity(cats, role, checked_id):
    """CONTRACT section 4: least severity a correct verdict has."""
    s = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                crit = c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and checked_id)
                v = "critical" if crit else "error"
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
        s = max(s, ORDER.index(v))
    return ORDER[s]


def rand_time():
    start = dt.datetime(2026, 1, 3, tzinfo=dt.timezone.utc)
    end = dt.datetime(2026, 12, 30, tzinfo=dt.timezone.utc)
    t = start + dt.timedelta(seconds=rng.randrange(int((end - start).total_seconds())))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def build(prof):
    cases, meta = [], []
    used_ids = set()
    for c in C:
        names = PLACEHOLDER.findall(c["t"])
        text = PLACEHOLDER.sub(lambda m: V[m.group(1)], c["t"])
        role = role_of(prof, c["p"], c["h"])
        cats = sorted(CAT[x] for x in c["c"])
        checked = any(n.split("_")[0] in ("IBAN", "CARD", "BSN") and n != "IBAN_PUBLIC" for n in names)
        while True:
            pid = f"{c['p']}-{rng.randrange(10**8, 10**9)}"
            if pid not in used_ids:
                used_ids.add(pid)
                break
        post = {"id": pid, "platform": c["p"], "kind": c["k"], "account": {"handle": c["h"]},
                "text": text, "lang": c["l"], "created_at": c["d"] or rand_time()}
        if "kiemlicht" in text.lower() or role != "public":
            post["brand"] = "Kiemlicht"
        cases.append({"post": post, "expect": {"categories": cats, "severity": severity(cats, role, checked)}})
        meta.append(dict(names=names, role=role, pr=c["pr"], src=c))
    return cases, meta


# --------------------------------------------------------------------------- self-checks
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
TAXO = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial", "leak.security",
        "reputation.crisis", "reputation.complaint", "reputation.abuse"}

RE_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b")
RE_CARD = re.compile(r"(?<![\w])(?:\d[ -]?){12,18}\d(?![\w])")
RE_BSN = re.compile(r"(?<![\w.\-/])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\w])")
RE_GH = re.compile(r"gh[pousr]_[0-9A-Za-z]{36}")
RE_AWS = re.compile(r"AKIA[A-Z2-7]{16}")
RE_JWT = re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
RE_PRICE = re.compile(r"€\s?(\d{1,3}(?:[.,]\d{3})*(?:[.,]\d{1,2})?)")


def parse_eur(s):
    # "4.150" / "4,150" thousands; "6,50" / "5.90" decimals
    if re.fullmatch(r"\d{1,3}([.,]\d{3})+", s):
        return float(re.sub(r"[.,]", "", s))
    return float(s.replace(",", "."))


def rfc3339(s):
    return dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)


def check(cases, meta, prof):
    errs = []
    pub_ibans = {i.replace(" ", "") for i in prof["public_identifiers"]["ibans"]}
    for i in pub_ibans:
        if not iban_ok(i):
            errs.append(f"profile public IBAN fails mod-97: {i}")
    products = {}
    for p in prof["products"]:
        assert p["currency"] == "EUR"
        for a in [p["name"]] + p["aliases"]:
            products[a.lower()] = p["list_price"]
    ratio = prof["pricing"]["alert_below_ratio"]
    internal = [s.lower() for s in prof["internal"]["domains"] + prof["internal"]["codenames"] +
                prof["internal"]["markers"]]
    embargo = [(t.lower(), rfc3339(e["until"])) for e in prof["embargo"] for t in e["terms"]]
    all_accounts = {a.lower() for a in prof["accounts"]["corporate"] + prof["accounts"]["employee"]}
    ids = set()
    for case, m in zip(cases, meta):
        post, exp = case["post"], case["expect"]
        pid = post.get("id")
        tag = f"[{pid}] "
        # --- CONTRACT section 6 / section 1 shape
        line = json.dumps(case, ensure_ascii=False)
        back = json.loads(line)
        if back != case:
            errs.append(tag + "json round trip")
        if set(case) != {"post", "expect"} or set(exp) != {"categories", "severity"}:
            errs.append(tag + "case keys")
        if not isinstance(pid, str) or not 1 <= len(pid) <= 256 or pid in ids:
            errs.append(tag + "id")
        ids.add(pid)
        if post["platform"] not in PLATFORMS or post["kind"] not in KINDS:
            errs.append(tag + "platform/kind")
        if not isinstance(post["account"].get("handle"), str) or not post["account"]["handle"]:
            errs.append(tag + "handle")
        if not isinstance(post["text"], str) or not post["text"] or len(post["text"].encode()) > 65536:
            errs.append(tag + "text")
        try:
            ts = rfc3339(post["created_at"])
        except ValueError:
            errs.append(tag + "created_at")
            continue
        if not (2026 <= ts.year <= 2027):
            errs.append(tag + "year")
        if ts.year == 2027 and not any(t in post["text"].lower() for t, _ in embargo):
            errs.append(tag + "2027 date only for embargo posts")
        cats = exp["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= TAXO:
            errs.append(tag + "categories")
        if exp["severity"] not in ORDER:
            errs.append(tag + "severity value")
        if not cats and exp["severity"] != "none":
            errs.append(tag + "benign must be none")
        # role from the profile, public handles must not be in the profile
        key = f"{post['platform']}:{post['account']['handle']}".lower()
        if m["role"] == "public" and key in all_accounts:
            errs.append(tag + "role lookup")
        if m["role"] == "public" and "kiemlicht" in post["account"]["handle"].lower():
            errs.append(tag + "public handle looks corporate")
        # severity recomputed independently
        checked = False
        text = post["text"]
        scan = text
        for n in m["names"]:
            if n in SECRET_KEYS:
                scan = scan.replace(V[n], " ")
        # --- identifiers with checksums
        found_ids = []
        for mm in RE_IBAN.finditer(scan):
            found_ids.append(("iban", mm.group(0), iban_ok(mm.group(0))))
        for mm in RE_CARD.finditer(scan):
            digits = re.sub(r"\D", "", mm.group(0))
            if 13 <= len(digits) <= 19:
                found_ids.append(("card", mm.group(0), luhn_ok(digits)))
        for mm in RE_BSN.finditer(scan):
            found_ids.append(("bsn", mm.group(0), bsn_ok(mm.group(0))))
        for kind, val, ok in found_ids:
            if kind == "iban" and val.replace(" ", "") in pub_ibans:
                continue
            if cats:
                if not ok:
                    errs.append(tag + f"{kind} in a positive fails its checksum: {val}")
                if "leak.pii" not in cats:
                    errs.append(tag + f"{kind} in a positive without leak.pii: {val}")
                checked = True
            elif ok:
                errs.append(tag + f"{kind} look-alike in a benign passes its checksum: {val}")
        for n in m["names"]:
            if n.split("_")[0] in ("IBAN", "CARD", "BSN") and n != "IBAN_PUBLIC":
                ok = {"IBAN": iban_ok, "CARD": luhn_ok, "BSN": bsn_ok}[n.split("_")[0]](V[n])
                if not ok or "leak.pii" not in cats:
                    errs.append(tag + f"placeholder {n}")
            if n.startswith("BAD"):
                ok = {"BADIBAN": iban_ok, "BADCARD": luhn_ok, "BADBSN": bsn_ok}[n.split("_")[0]](V[n])
                if ok or cats:
                    errs.append(tag + f"placeholder {n}")
        if severity(cats, m["role"], checked) != exp["severity"]:
            errs.append(tag + "severity mismatch")
        # --- secrets
        for mm in RE_GH.finditer(text):
            ok = github_token_ok(mm.group(0))
            if cats and not ok:
                errs.append(tag + "GitHub token fails CRC")
            if not cats and ok:
                errs.append(tag + "valid GitHub token in benign")
        for mm in RE_AWS.finditer(text):
            if not cats and not mm.group(0).endswith("EXAMPLE"):
                errs.append(tag + "AWS key in benign")
        for mm in RE_JWT.finditer(text):
            if not cats:
                errs.append(tag + "JWT in benign")
            else:
                h = mm.group(0).split(".")[0]
                hdr = json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)))
                if "alg" not in hdr:
                    errs.append(tag + "JWT header without alg")
        if "leak.secret" in cats:
            if not (set(m["names"]) & SECRET_KEYS or "wachtwoord:" in text.lower()):
                errs.append(tag + "secret case without a credential")
        elif set(m["names"]) & SECRET_KEYS:
            errs.append(tag + "credential in a case without leak.secret")
        # --- prices
        for alias, price in m["pr"]:
            if alias.lower() not in products:
                errs.append(tag + f"unknown product {alias}")
                continue
            if alias.lower() not in text.lower():
                errs.append(tag + f"product alias not in text {alias}")
            prices = [parse_eur(x) for x in RE_PRICE.findall(text)]
            if not any(abs(p - price) < 0.005 for p in prices):
                errs.append(tag + f"price {price} not in text {prices}")
            below = price < ratio * products[alias.lower()]
            if ("leak.pricing" in cats) != below:
                errs.append(tag + f"pricing label vs ratio for {alias} {price}")
            if not cats and price < 0.7 * products[alias.lower()] - 0.01:
                errs.append(tag + "benign sale deeper than 30%")
        if "leak.pricing" in cats and not m["pr"]:
            errs.append(tag + "pricing case without product price tag")
        # --- internal terms / embargo
        low = text.lower()
        if not cats:
            for s in internal:
                if s in low:
                    errs.append(tag + f"internal term in benign: {s}")
        for term, until in embargo:
            if term in low:
                if ts < until and "leak.confidential" not in cats:
                    errs.append(tag + f"embargo term before until without confidential: {term}")
                if ts >= until and cats:
                    errs.append(tag + f"embargo term after until labelled: {term}")
    # --- mix
    n = len(cases)
    benign = sum(1 for c in cases if not c["expect"]["categories"])
    per = {}
    for c in cases:
        for x in c["expect"]["categories"]:
            per[x] = per.get(x, 0) + 1
    nl = sum(1 for c in cases if c["post"]["lang"] == "nl")
    if not 170 <= n <= 180:
        errs.append(f"case count {n}")
    if not 55 <= benign <= 65:
        errs.append(f"benign count {benign}")
    want = {"reputation.complaint": 20, "leak.confidential": 18, "leak.pii": 15, "reputation.crisis": 15,
            "leak.security": 13, "leak.secret": 12, "reputation.abuse": 12, "leak.pricing": 12,
            "leak.financial": 12}
    for k, v in want.items():
        if abs(per.get(k, 0) - v) > 3:
            errs.append(f"category {k}: {per.get(k, 0)} (want ~{v})")
    if not 0.50 <= nl / n <= 0.62:
        errs.append(f"dutch share {nl / n:.2f}")
    # evasion variety present
    ev = {"fullwidth": any(any(0xFF01 <= ord(ch) <= 0xFF5E for ch in c["post"]["text"]) for c in cases),
          "zerowidth": any("\u200b" in c["post"]["text"] for c in cases),
          "cyrillic": any(any(0x0400 <= ord(ch) <= 0x04FF for ch in c["post"]["text"]) for c in cases)}
    for k, v in ev.items():
        if not v:
            errs.append(f"no {k} evasion")
    return errs, dict(n=n, benign=benign, per=per, nl=nl)


def main():
    prof = load_profile()
    cases, meta = build(prof)
    with open(OUT, "w", encoding="utf-8") as f:
        for c in cases:
            f.write(json.dumps(c, ensure_ascii=False) + "\n")
    # re-read the written file and check it
    with open(OUT, encoding="utf-8") as f:
        reread = [json.loads(l) for l in f]
    errs, stats = check(reread, meta, prof)
    print(f"cases={stats['n']} benign={stats['benign']} dutch={stats['nl']} per_category={stats['per']}")
    sev = {}
    for c in reread:
        sev[c["expect"]["severity"]] = sev.get(c["expect"]["severity"], 0) + 1
    print("severities:", sev)
    if errs:
        for e in errs:
            print("CHECK FAILED:", e, file=sys.stderr)
        sys.exit(1)
    print("all self-checks passed")


if __name__ == "__main__":
    main()
