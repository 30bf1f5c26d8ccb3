#!/usr/bin/env python3
"""Build the labelled evaluation set 222 (fictional online language school Lingwerf B.V.).

Deterministic: fixed seed, standard library plus PyYAML. Writes cases.jsonl beside this
file and then checks it:
  * every line is a valid labelled case (CONTRACT section 6 / input post section 1);
  * every IBAN, card and BSN planted in a positive passes its checksum, every look-alike
    in a benign post fails it (and no benign post contains a valid one by accident);
  * generated credentials have the shape (and checksum) of the real thing;
  * pricing cases sit below / benign prices sit at or above the alert ratio;
  * expected severities are computed from the account role in profile.yaml (CONTRACT 4).
"""
import base64
import json
import os
import random
import re
import string
import struct
import sys
import unicodedata
import zlib
from datetime import datetime, timedelta, timezone

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))
OUT = os.path.join(HERE, "cases.jsonl")

rng = random.Random(222022)

DIGITS = string.digits
ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase   # 0-9A-Za-z
B62 = ALNUM
URLSAFE = ALNUM + "-_"


def rstr(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


# ---------------------------------------------------------------- identifiers
def iban_valid(s):
    s = unicodedata.normalize("NFKC", s).replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(bank):
    acct = rstr(DIGITS, 10)
    n = int("".join(str(int(c, 36)) for c in bank + acct + "NL00"))
    return "NL%02d%s%s" % (98 - n % 97, bank, acct)


def bad_iban(bank):
    good = make_iban(bank)
    cd = int(good[2:4])
    bad = "NL%02d%s" % ((cd + rng.randint(1, 60)) % 100, good[4:])
    assert not iban_valid(bad)
    return bad


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def luhn_valid(s):
    d = [int(c) for c in re.sub(r"\D", "", unicodedata.normalize("NFKC", s))]
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


def make_card(prefix, length=16):
    body = prefix + rstr(DIGITS, length - len(prefix) - 1)
    for c in DIGITS:
        if luhn_valid(body + c):
            return body + c
    raise AssertionError


def bad_card(prefix, length=16):
    good = make_card(prefix, length)
    bad = good[:-1] + str((int(good[-1]) + rng.randint(1, 9)) % 10)
    assert not luhn_valid(bad)
    return bad


def fmt_card(c):
    if len(c) == 15:
        return "%s %s %s" % (c[:4], c[4:10], c[10:])
    return group4(c)


def bsn_valid(s):
    d = re.sub(r"\D", "", unicodedata.normalize("NFKC", s))
    if len(d) != 9:
        return False
    tot = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return tot % 11 == 0 and d != "000000000"


def make_bsn():
    while True:
        d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        x = sum(d[i] * (9 - i) for i in range(8)) % 11
        if x <= 9:
            s = "".join(map(str, d)) + str(x)
            assert bsn_valid(s)
            return s


def mobile():
    return "6" + rstr(DIGITS, 8)        # national significant number without the 0


# ---------------------------------------------------------------- credentials
def b62(n, width=6):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def gh_token(prefix="ghp_"):
    body = rstr(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()))


def gh_token_ok(t):
    m = re.fullmatch(r"(gh[pousr]_)([0-9A-Za-z]{30})([0-9A-Za-z]{6})", t)
    return bool(m) and b62(zlib.crc32(m.group(2).encode())) == m.group(3)


def aws_key_id():
    return "AKIA" + rstr(string.ascii_uppercase + "234567", 16)


def aws_secret():
    return rstr(ALNUM + "/+", 40)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt():
    header = {"alg": "HS256", "typ": "JWT"}
    iat = 1780000000 + rng.randint(0, 9000000)
    payload = {"sub": "stu_%d" % rng.randint(10000, 99999), "role": "student",
               "iss": "https://app.lingwerf.nl", "iat": iat, "exp": iat + 3600}
    return ".".join([b64url(json.dumps(header, separators=(",", ":")).encode()),
                     b64url(json.dumps(payload, separators=(",", ":")).encode()),
                     b64url(bytes(rng.getrandbits(8) for _ in range(32)))])


def jwt_ok(t):
    parts = t.split(".")
    if len(parts) != 3:
        return False
    pad = parts[0] + "=" * (-len(parts[0]) % 4)
    try:
        return "alg" in json.loads(base64.urlsafe_b64decode(pad))
    except Exception:
        return False


def ssh_private_key():
    def sstr(b):
        return struct.pack(">I", len(b)) + b
    rb = lambda n: bytes(rng.getrandbits(8) for _ in range(n))
    pub = sstr(b"ssh-ed25519") + sstr(rb(32))
    chk = rb(4)
    priv = chk + chk + pub + sstr(rb(64)) + sstr(b"deploy@staging-runner")
    priv += bytes(range(1, 1 + (-len(priv) % 8)))
    blob = (b"openssh-key-v1\x00" + sstr(b"none") + sstr(b"none") + sstr(b"")
            + struct.pack(">I", 1) + sstr(pub) + sstr(priv))
    b = base64.b64encode(blob).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def password():
    words = ["Tulp", "Gracht", "Fiets", "Molen", "Hagel", "Drop", "Kaas", "Zwaan"]
    return rng.choice(words) + rstr(DIGITS, 2) + rng.choice("!#$%") + rng.choice(words).lower() + rstr(DIGITS, 2)


# ---------------------------------------------------------------- generated values
IBAN_P1 = make_iban("INGB")
IBAN_P8 = make_iban("ABNA")
IBAN_P15 = make_iban("SNSB")
CARD_P3 = make_card("5355", 16)
CARD_P10 = make_card("4", 16)
BSN_P2 = make_bsn()
BSN_P13 = make_bsn()
MOB_C20 = mobile()
MOB_P5 = mobile()
MOB_P9 = mobile()
MOB_P11 = mobile()
MOB_P14 = mobile()

BAD_IBAN_B13 = bad_iban("RABO")
BAD_CARD_B12 = bad_card("4916", 16)
BAD_BSN_B14 = "123456789"
assert not bsn_valid(BAD_BSN_B14)
BAD_CARD_B63 = bad_card("37", 15)

GHP_K1 = gh_token("ghp_")
GHS_K13 = gh_token("ghs_")
AKIA_K2 = aws_key_id()
AWSSEC_K2 = aws_secret()
SLACK_K3 = "xoxb-%s-%s-%s" % (rstr(DIGITS, 11), rstr(DIGITS, 13), rstr(ALNUM, 24))
OPENAI_K4 = "sk-proj-" + rstr(URLSAFE, 64) + "T3BlbkFJ" + rstr(URLSAFE, 64)
PW_K5 = password()
STRIPE_K6 = "sk_live_51" + rstr(ALNUM, 97)
PW_K7 = password()
SSH_K8 = ssh_private_key()
JWT_K9 = make_jwt()
GOOGLE_K10 = "AIza" + rstr(URLSAFE, 35)
GLPAT_K11 = "glpat-" + rstr(URLSAFE, 20)
ANTHROPIC_K12 = "sk-ant-api03-" + rstr(URLSAFE, 93) + "AA"

# full-width rendering for an evasion case
FW = {c: chr(ord(c) + 0xFEE0) for c in string.ascii_letters + string.digits}


def fullwidth(s):
    return "".join(FW.get(c, c) for c in s)


CYR = {"o": "\u043e", "O": "\u041e", "a": "\u0430", "e": "\u0435", "c": "\u0441",
       "p": "\u0440", "i": "\u0456", "s": "\u0455", "k": "\u043a", "m": "\u043c"}

# ---------------------------------------------------------------- cases
CASES = []


def add(cats, platform, handle, text, lang, kind="post", date=None, ids=(), prices=(),
        secrets=(), brand=None, url=True, price_talk=False):
    CASES.append(dict(cats=sorted(cats), platform=platform, handle=handle, text=text,
                      lang=lang, kind=kind, date=date, ids=list(ids), prices=list(prices),
                      secrets=list(secrets), brand=brand, url=url, price_talk=price_talk))


C, A, X, F, S, K, P, R, N = ("reputation.complaint", "reputation.abuse", "reputation.crisis",
                             "leak.confidential", "leak.security", "leak.secret", "leak.pii",
                             "leak.pricing", "leak.financial")

# ======== complaints ========
add([C], "x", "@ellen_vd_meer",
    "Derde keer deze maand dat mijn tutor gewoon niet komt opdagen bij @lingwerf. 20 minuten "
    "in een lege lesruimte zitten staren. Lestegoed wel netjes afgeschreven natuurlijk 🙄", "nl")
add([C], "reddit", "u/throwaway_lang99",
    "Anyone else's Lingwerf app crashing the second you join a live lesson? iPhone 13, latest iOS, "
    "reinstalled twice. Missed my Tuesday session because of it and support just sent me a link to the FAQ.",
    "en")
add([C], "facebook", "gert.bosman.71",
    "Opgezegd in maart. En nu in mei wéér €79 van mijn rekening voor Onbeperkt Maand. "
    "De bevestigingsmail van de opzegging heb ik gewoon nog!! Wie bij Lingwerf kan dit terugdraaien?",
    "nl", kind="comment", prices=[("LW-UNL-M", 79)])
add([C], "x", "@nomadnoor",
    "@lingwerf_help booked a 9am lesson, got a 9am lesson... in a timezone 6 hours away. your calendar "
    "clearly doesn't understand daylight saving. tutor was asleep, I was not amused", "en", kind="reply",
    date="2026-03-30T07:41:00Z")
add([C], "instagram", "@lisa.leert.spaans",
    "Leuk filmpje, maar mijn Spaans A1 docent is nu al 3x gewisseld in 5 weken. Elke keer weer "
    "opnieuw 'hola me llamo...' 😩 zo schiet ik niks op", "nl", kind="comment")
add([C], "x", "@rvdl_1984",
    "@lingwerf_help 11 days and still no answer about my refund. ticket 48213. anyone home??", "en",
    kind="reply")
add([C], "linkedin", "mark-oyelaran",
    "Our company bought the Lingwerf Business Team package for five of our engineers. Two months in: "
    "seat management is a mess, invoices arrive with the wrong VAT number and nobody answers the "
    "account-manager inbox. Honestly expected more for €2,490.", "en", prices=[("LW-BIZ5", 2490)])
add([C], "forum", "taalmaatje_utrecht",
    "Certificaat van het NT2 B1 Traject nog steeds niet binnen, terwijl ik 6 weken geleden klaar was. "
    "Heb het nodig voor mijn aanvraag bij de IND. Klantenservice van Lingwerf zegt elke keer 'volgende week'.",
    "nl")
add([C], "tiktok", "@kaylajpn",
    "the lingwerf japanese intensive audio is sooo laggy, half my lesson was 'sorry can u repeat' 😭 "
    "paying 1290 for this??", "en", kind="comment", prices=[("LW-JP-INT", 1290)])
add([C], "x", "@joost_bakt",
    "Charged twice for Flex 10. Two times €189. Chat says refund 'within 14 working days'. Fourteen. "
    "Working. Days. #lingwerf", "en", prices=[("LW-FLEX10", 189)])
add([C], "x", "@dan_in_delft",
    "Lingwerf kids tutor showed up 15 min late, camera off the entire time, my 8yo just sat there "
    "waiting. Not what I pay the Junior Club for.", "en", brand="LingwerfKids")
add([C], "bluesky", "@mirjam-schrijft.bsky.social",
    "IELTS Intensive gedaan bij Lingwerf, maar de oefentoetsen waren nog van het oude format. "
    "Op het echte examen kreeg ik een totaal ander type writing task. Beetje zuur na 8 weken.", "nl")
add([C], "reddit", "u/greekgeekinNL",
    "PSA: cancelling Lingwerf is made deliberately hard. No button in the app, you have to email, then "
    "they 'call you back' for a retention chat that never happens. Meanwhile I'm still being billed.", "en")
add([C], "facebook", "henk.oosterhuis.52",
    "Mijn kleindochter heeft me aangemeld voor de Frans Conversatieclub maar die website is voor ons "
    "ouderen niet te volgen. Overal knopjes en de les start niet op mijn tablet. Jammer hoor.", "nl")
add([C], "instagram", "@chantal_nt2",
    "still can't move a lesson within 24h?? kid got sick, lesson gone, money gone. "
    "so customer-unfriendly @lingwerf.nl", "en", kind="comment")
add([C], "mastodon", "@kvdberg@mastodon.nl",
    "Lingwerf's Headset Pro died after 3 weeks (left ear gone). The return form errors out on step 2. "
    "Great experience all round.", "en")
add([C, A], "x", "@woedende_wim",
    "Lingwerf is gewoon een stelletje oplichters, kut-app crasht elke les en geld terug ho maar. "
    "Klootzakken.", "nl")
add([C, A], "x", "@jaycee_rants",
    "to whoever runs @lingwerf_help: you are useless idiots. 4 emails about my Cambridge C1 booking and "
    "zero replies. absolute clowns 🤡", "en")
add([C, P], "x", "@derya_k82",
    "@lingwerf_help bel me aub terug, al 3 dagen niks gehoord over mijn factuur van Inburgering Compleet. "
    "06-%s of mail naar derya.kaya82@gmail.com" % MOB_C20[1:], "nl", kind="reply")

# ======== abuse ========
add([A], "reddit", "u/salty_polyglot",
    "lingwerf tutors are a bunch of brainless parrots reading off a script, morons the lot of them lmao",
    "en", kind="comment")
add([A], "x", "@anoniem_taal",
    "l1ngw3rf = k4nk3rb3dr1jf. st1kk3n m3t j3 'l1v3 tut0rs' 🖕", "nl")
add([A], "tiktok", "@gewoonrob",
    "jullie zijn echt k a n k e r l i j e r s bij lingwerf", "nl", kind="comment")
add([A], "x", "@patriot_pete77",
    "Why does Lingwerf let people with thick foreign accents teach Dutch? Go back to your own country "
    "and teach there.", "en")
add([A], "instagram", "@nachtuil_1990",
    "@juf.ilse.spaans I know where you live sweetheart, next lesson you better turn that camera on 😘😘",
    "en", kind="comment")
add([A], "x", "@hanna_lw_support",
    "Nog één klant die 'IK WIL DE MANAGER' typt en ik ontplof. Stelletje achterlijke zeurpieten, "
    "allemaal.", "nl")
add([A], "x", "@lingwerf_help",
    "@jaycee_rants maybe learn to read the FAQ before crying on here, dumbass", "en", kind="reply")
add([A], "x", "@m_vos_",
    "Lingwerf tutors are " + "fu" + CYR["c"] + "king " + "".join(CYR.get(c, c) for c in "morons") + ", every single one", "en")
add([A], "facebook", "bart.ter.horst.3",
    fullwidth("lingwerf") + " " + fullwidth("tyfuslijers") + ", rot toch op met jullie reclames", "nl",
    kind="comment")

# ======== crisis ========
add([X], "x", "@saskia_vl",
    "My Lingwerf lesson recordings are just sitting on an open server, someone sent me the link. Face, "
    "full name, everything. That's a DATA BREACH. Who's reporting this to the Dutch DPA?", "en")
add([X], "x", "@fairwork_tutors",
    "#BoycottLingwerf — they fired tutors for organising and now pay new ones €9 an hour. "
    "Don't give them your money.", "en")
add([X], "forum", "ouders_online_mod",
    "Ouders doen aangifte: tutor van LingwerfKids stuurde ongepaste berichten naar een 11-jarige "
    "leerling. Lingwerf reageert nog niet op vragen.", "nl", brand="LingwerfKids")
add([X], "reddit", "u/claimcollector_nl",
    "A class action against Lingwerf over auto-renewals is actually happening, a law firm in Amsterdam "
    "is collecting claims. DM me if you got charged after cancelling.", "en")
add([X, C], "x", "@mama_van_3",
    "Lingwerf Headset Pro wordt bloedheet bij de usb-c aansluiting 🔥 mijn zoon had bijna een "
    "brandwond. Haal dat ding uit de verkoop, terugroepactie nu!", "nl")
add([X], "linkedin", "inge-desmet-journalist",
    "Journalist here: we're investigating reports that Lingwerf tutors abroad are paid below minimum "
    "wage and docked pay for sick days. Former tutors, please get in touch (confidential).", "en")
add([X], "x", "@wouter_wtf",
    "wtf, getting phishing emails with my full name, my lesson schedule AND my tutor's name in them. "
    "that can only come from Lingwerf's database. were they hacked??", "en")
add([X], "tiktok", "@privacy.pia",
    "so Lingwerf sold our lesson voice recordings to an AI company to train a speech model?? nobody "
    "consented to that #lingwerf #privacy", "en")
add([X], "facebook", "consumentenclaim.nl",
    "De Consumentenclaim-stichting start een procedure tegen Lingwerf wegens misleidende abonnementen. "
    "Gedupeerd? Meld je aan via onze site.", "nl")
add([X], "x", "@ravi_speaks",
    "Cancel your Lingwerf subscriptions today. A company whose CEO mocks refugees on a podcast doesn't "
    "deserve a cent. #DeleteLingwerf", "en")
add([X], "reddit", "u/inburgeraar_2025",
    "Inburgeraars gedupeerd: Lingwerf claimde dat Inburgering Compleet door DUO erkend was, maar dat "
    "klopte helemaal niet. Mensen raken hun lening kwijt. Schandaal.", "nl")
add([X], "forum", "safeguarding_sam",
    "Lingwerf's kids platform had a livestream open to anyone with the link: random adults joined a "
    "class of 7-year-olds yesterday. This is a child-safety disaster.", "en", brand="LingwerfKids")
add([X, A], "x", "@boze_burger_nl",
    "Lingwerf lekt jullie paspoortscans en die CEO zit te lachen. Vuile smerige graaiers zijn het.", "nl")
add([X], "x", "@jlpt_watch",
    "Lingwerf's Japanese course team copied entire JLPT prep books and sold them as 'Lingwerf originals'. "
    "The publisher is suing, it's on the court docket.", "en")
add([X], "x", "@bezorgde_moeder",
    "So Lingwerf employed a tutor previously convicted of grooming?? Nobody checked his background? "
    "My daughter had lessons with that man.", "en")

# ======== confidential ========
add([F], "x", "@marloes_lw",
    "sneak peek uit het nieuwe tutorhandboek 📸 (ja er staat nog LINGWERF CONFIDENTIAL in de "
    "voettekst haha)", "nl")
add([F], "reddit", "u/kees_lw_backend",
    "Any idea why Django admin gets this slow with 40M rows? Our instance at "
    "https://intra.lingwerf.local/admin/lessons/ takes 30s per page.", "en")
add([F], "bluesky", "@bram-nt2.bsky.social",
    "Kolibrie vandaag getest met een paar NT2-cursisten en die uitspraakcoach is echt goed. Wanneer "
    "mogen we 'm eindelijk gebruiken 🐦", "nl")
add([F], "threads", "@annelies.lingwerf",
    "Klanten vragen nu al of we iets met AI gaan doen... ik zeg niks, maar AI Tutor Nova gaat ze "
    "omver blazen 🤫", "nl", date="2026-11-18T15:22:00Z")
add([F], "x", "@techroddel",
    "A friend at Lingwerf says Operatie Klaproos is about killing all group lessons. Anyone know more?",
    "en")
add([F], "instagram", "@lingwerf.nl",
    "Kijkje achter de schermen bij het roosterteam 👀 [foto whiteboard: 'Roosterplanning Q3 – "
    "NIET EXTERN DELEN']", "nl")
add([F], "x", "@sofie_devops",
    "wie heeft jira.lingwerf.io/browse/PLAT-2214 aangemaakt met als titel 'koffieautomaat 3e verdieping' 😂",
    "nl")
add([F], "linkedin", "ruud-vermeulen-lingwerf",
    "Late night finishing the board deck on Project Zwaluw. A big milestone for Lingwerf is coming.", "en")
add([F], "x", "@marloes_lw",
    "Can't wait for March when the world finally meets AI Tutor Nova 🚀", "en",
    date="2027-01-20T19:05:00Z")
add([F], "x", "@hanna_lw_support",
    "Collega's zitten tot hun nek in Project Zw\u200baluw, daarom duren reacties op tickets deze week wat "
    "langer 🙏", "nl")
add([F], "x", "@discord_dirk",
    "anyone heard anything about K.o.l.i.b.r.i.e at Lingwerf? rumours flying on discord 👀", "en")
add([F], "instagram", "@juf.ilse.spaans",
    "Vandaag training gehad over " + CYR["O"] + "peratie Klapr" + CYR["o"] + CYR["o"] + "s, spannend! 🌺",
    "nl")
add([F], "forum", "freelance_tutor_gent",
    "Ik heb een NDA getekend, maar goed: Lingwerf gaat per september tutors per minuut betalen in "
    "plaats van per les. Staat in 'Tutorvoorwaarden v4 – Lingwerf Confidential'.", "nl")
add([F], "mastodon", "@priyateaches",
    "Handy lesson-plan templates for new Lingwerf tutors: https://wiki.lingwerf.io/tutors/templates "
    "(you need your staff login)", "en")
add([F, N], "linkedin", "ruud-vermeulen-lingwerf",
    "Jaarcijfers 2026 zijn binnen en ik zeg alleen dit: champagne 🍾 Omzet ruim boven plan.", "nl",
    date="2027-01-28T08:10:00Z")

# ======== security ========
add([S], "x", "@sofie_devops",
    "3 uur 's nachts en de hele lesomgeving ligt plat, pagers gaan los. Klanten merken het pas morgenochtend, "
    "met geluk is het voor 7u gefixt 🙃", "nl")
add([S], "reddit", "u/kees_lw_backend",
    "Found out today our lesson-recording bucket has been world-readable since the storage migration. "
    "Patching it quietly before anyone notices. Fun Monday.", "en")
add([S], "bluesky", "@bram-nt2.bsky.social",
    "Collega-tutors opgelet: er gaat een phishingmail rond die precies op ons tutorportaal lijkt en "
    "een paar van ons hebben hun wachtwoord al ingevuld. Is nog nergens gemeld.", "nl")
add([S, F], "x", "@sofie_devops",
    "grafana.lingwerf.io is helemaal rood, betaalmodule down sinds 14:10 en nog niks op de statuspagina", "nl")
add([S], "tiktok", "@teacherjonas_lw",
    "tutors can see other tutors' students' full profiles if you just change the number in the URL 💀 "
    "reported it months ago, still not fixed", "en")
add([S], "threads", "@annelies.lingwerf",
    "Our CRM got breached yesterday, business customers' data may be gone. Official statement not "
    "until next week, so you didn't hear it from me.", "en")
add([S], "mastodon", "@priyateaches",
    "Heads-up fellow Lingwerf tutors: classroom audio is still being recorded when the 'recording off' "
    "toggle shows. Engineering knows, no fix yet, no announcement either.", "en")
add([S, F], "reddit", "u/kees_lw_backend",
    "SQL injection in the search endpoint on tutorportal.lingwerf.internal, confirmed this morning. "
    "Don't ask me how long it's been there.", "en")
add([S], "x", "@ex_lw_dev",
    "Ex-Lingwerf dev here. Their admin panel still runs a Laravel version with a known RCE. I flagged it "
    "internally last year, never fixed.", "en")
add([S], "x", "@marloes_lw",
    "Niet verder vertellen, maar de inlogstoring van vanmiddag was geen storing: iemand probeerde met "
    "gelekte wachtwoorden accounts over te nemen. Persbericht komt er misschien niet eens.", "nl")
add([S], "x", "@sofie_devops",
    "not how I wanted to spend my Sunday: ddos on the lesson gateway since 6am, ~40% of classes dropped. "
    "comms still drafting, so shh 🫠", "en")
add([S], "bluesky", "@bram-nt2.bsky.social",
    "psst: 0nz3 k1ds-0mg3v1ng h4d 33n l3k, ruim 2000 0ud3r4cc0unts. n0g n13t publ13k.", "nl",
    brand="LingwerfKids")

# ======== secrets ========
add([K], "reddit", "u/kees_lw_backend",
    "Why does this fail?\n\n    git clone https://%s@github.com/lingwerf/lesson-api.git\n\n"
    "keeps saying 'repository not found' 🤔" % GHP_K1, "en", secrets=[("github", GHP_K1)])
add([K], "x", "@sofie_devops",
    "terraform blijft zeuren over credentials, iemand een idee?\nAWS_ACCESS_KEY_ID=%s\n"
    "AWS_SECRET_ACCESS_KEY=%s\nregion=eu-west-1" % (AKIA_K2, AWSSEC_K2), "nl",
    secrets=[("aws", AKIA_K2)])
add([K], "facebook", "LingwerfNL",
    "Testpost voor de nieuwe koppeling, graag negeren. token=%s" % SLACK_K3, "nl",
    secrets=[("slack", SLACK_K3)])
add([K], "mastodon", "@priyateaches",
    "Our lesson-summary script stopped working overnight, did the key expire?\nOPENAI_API_KEY=%s" % OPENAI_K4,
    "en", secrets=[("openai", OPENAI_K4)])
add([K], "bluesky", "@bram-nt2.bsky.social",
    "Voor de invallers vanavond: wachtwoord van het gedeelde Zoom-account voor de NT2-groepen is %s" % PW_K5,
    "nl", secrets=[("password", PW_K5)])
add([K], "x", "@freelance_dev_nl",
    "Stripe integration for Lingwerf finally live 🎉 quick sanity check with %s" % STRIPE_K6, "en",
    secrets=[("stripe", STRIPE_K6)])
add([K], "reddit", "u/kees_lw_backend",
    "migrations hang on step 14, any ideas?\n```\nDATABASE_URL=postgres://lw_app:%s@10.20.4.11:5432/lessons_prod\n```"
    % PW_K7, "en", secrets=[("dburl", PW_K7)])
add([K], "x", "@sofie_devops",
    "deploy key van de staging-runner, zet 'm even hier zodat ik 'm op m'n andere laptop kan plakken\n%s"
    % SSH_K8, "nl", secrets=[("privkey", SSH_K8)])
add([K], "x", "@hanna_lw_support",
    "@kees_lw why does this session token not work for the student dashboard? %s" % JWT_K9, "en",
    kind="reply", secrets=[("jwt", JWT_K9)])
add([K], "forum", "webbouwer_gijs",
    "Voor Lingwerf de vestigingskaart op hun landingspagina gebouwd, werkt prima: "
    "<script src=\"https://maps.googleapis.com/maps/api/js?key=%s\"></script>" % GOOGLE_K10, "nl",
    secrets=[("google", GOOGLE_K10)])
add([K], "youtube", "LingwerfLive",
    "Tech-talk: zo deployen wij 30x per dag. CI-token uit de demo: %s" % GLPAT_K11, "nl",
    secrets=[("gitlab", GLPAT_K11)])
add([K], "mastodon", "@priyateaches",
    "trying the Claude API for tutor feedback notes, this look right?\nANTHROPIC_API_KEY=%s" % ANTHROPIC_K12,
    "en", secrets=[("anthropic", ANTHROPIC_K12)])

# ======== personal data ========
add([P], "x", "@hanna_lw_support",
    "@jeroen_leert je restitutie is gisteren overgemaakt naar %s t.n.v. J. Smit, dus zou er vandaag moeten zijn!"
    % group4(IBAN_P1), "nl", kind="reply", ids=[("iban", group4(IBAN_P1))])
add([P], "bluesky", "@bram-nt2.bsky.social",
    "Kan iemand van de administratie de DUO-aanvraag van mijn cursist Ahmed Yilmaz afmaken? BSN %s, "
    "geboren 14-03-1991." % BSN_P2, "nl", ids=[("bsn", BSN_P2)])
add([P], "reddit", "u/kees_lw_backend",
    "Debugging a payment issue: customer card %s exp 09/28 keeps failing 3DS at checkout. Anyone "
    "seen this with Adyen?" % fmt_card(CARD_P3), "en", ids=[("card", fmt_card(CARD_P3))])
add([P], "instagram", "@juf.ilse.spaans",
    "Mijn leerling Noor de Wit (Kerkstraat 12, 3512 AB Utrecht) heeft de schrijfwedstrijd gewonnen! 🏆✍️",
    "nl")
add([P], "x", "@lingwerf_help",
    "@mvdlinden82 Hoi Martijn, we hebben je nummer +31 6 %s %s genoteerd en bellen je morgen tussen 10 en 12."
    % (MOB_P5[1:5], MOB_P5[5:]), "nl", kind="reply")
add([P], "x", "@marloes_lw",
    "Congrats to our student of the month, Lucas Brenner (born 2 June 1988), who finished Business German "
    "in record time! 🎉", "en")
add([P], "facebook", "LingwerfNL",
    "🎉 Winnaar van onze zomerwinactie: Sanne Kuipers (sanne.kuipers84@hotmail.com)! Check je inbox voor "
    "je cadeaukaart.", "nl", date="2026-08-29T10:00:00Z")
add([P], "x", "@tomas_r",
    "@lingwerf_help my direct debit failed, here's my IBAN %s, can you try again?" % IBAN_P8, "en", kind="reply", ids=[("iban", IBAN_P8)])
add([P, A], "x", "@wraakengel_zwolle",
    "Die tutor Jonas van Lingwerf woont gewoon op de Lindenlaan 4 in Zwolle, tel 06 %s %s %s %s. "
    "Ga hem maar vertellen wat je van z'n lessen vindt, de loser."
    % (MOB_P9[1:3], MOB_P9[3:5], MOB_P9[5:7], MOB_P9[7:]), "nl")
add([P], "reddit", "u/maestro_mike",
    "Does Lingwerf checkout take Visa debit? Tried %s a few times and it just spins forever." % CARD_P10,
    "en", ids=[("card", CARD_P10)])
add([P], "threads", "@annelies.lingwerf",
    "Fijn gesprek met HR-manager Petra Gerritsen van Bouwbedrijf Heijmerink over Zakelijk Duits voor "
    "haar team, ze is bereikbaar op 0031 %s, bel haar gerust als je in de buurt bent!" % MOB_P11, "nl")
add([P], "tiktok", "@teacherjonas_lw",
    "my student literally sent me her passport for the IELTS registration lol. Emily Carter, passport "
    "no. NWR4K7L12, DOB 22/10/1999. please don't do this people", "en")
add([P], "forum", "vraagbaak_vera",
    "Staat bij jullie ook je BSN op de Lingwerf-factuur? Bij mij gewoon %s bovenaan. Is dat normaal?"
    % BSN_P13, "nl", ids=[("bsn", BSN_P13)])
add([P], "x", "@marloes_lw",
    "Terugbetaling voor de actie-winnaar staat klaar op " + fullwidth(IBAN_P15) + " (Fam. de Groot) ✅",
    "nl", ids=[("iban", fullwidth(IBAN_P15))])

# ======== pricing ========
add([R], "x", "@dealjager_nl",
    "Lingwerf heeft Onbeperkt Jaar in de app voor €74,90 staan ipv €749 😂 snel pakken voor ze het zien",
    "nl", prices=[("LW-UNL-Y", 74.90)])
add([R], "threads", "@annelies.lingwerf",
    "Shit. Business Team staat op de site voor €249. Prijsfout, we zijn ermee bezig!!", "nl",
    prices=[("LW-BIZ5", 249)], price_talk=True)
add([R], "reddit", "u/belgian_bargains",
    "PSA: IELTS Intensive is listed at €59 on the Belgian Lingwerf checkout. Pretty sure that's a pricing "
    "error, grab it while it lasts", "en", prices=[("LW-IELTS", 59)], price_talk=True)
add([R], "instagram", "@lingwerf.nl",
    "🔥 Japans Intensief nu voor maar €129! 🔥 Leer in 12 weken genoeg om je te redden in Tokio 🇯🇵", "nl",
    prices=[("LW-JP-INT", 129)])
add([R], "x", "@lotte_leert",
    "Flex 25 for 42 euros?? is this right @lingwerf", "en", prices=[("LW-FLEX25", 42)])
add([R], "tiktok", "@teacherjonas_lw",
    "my students keep DMing me that Executive English is €189 in the app today 👀 someone dropped a zero",
    "en", prices=[("LW-EXEC", 189)])
add([R], "facebook", "ilona.smeets.9",
    "Zakelijk Duits staat bij Lingwerf voor €89,90 in de Black Friday-mail, vorige week nog €899. "
    "Typfout of echt?", "nl", kind="comment", date="2026-11-26T20:14:00Z", prices=[("LW-DE-BIZ", 89.90)])
add([R], "bluesky", "@bram-nt2.bsky.social",
    "Collega's, even opletten: prijsfout in het NT2 B2 Traject, staat op €69,90 i.p.v. €699. Dev is al gebeld.",
    "nl", prices=[("LW-NT2B2", 69.90)], price_talk=True)
add([R], "x", "@cheapskate_sam",
    "lingwerf headset pro for €8.90?? ordered three 🤑", "en", prices=[("LW-HS-PRO", 8.90)])
add([R], "x", "@lingwerf_help",
    "@sam_vb Klopt, er stond gisteren even een verkeerde prijs bij Inburgering Compleet. Bestellingen tegen "
    "die prijs worden helaas geannuleerd.", "nl", kind="reply", price_talk=True)
add([R], "tiktok", "@studyqueen.yun",
    "mandarijn basis voor 37 euro ipv 379 lol rennen 🏃‍♀️", "nl", kind="comment",
    prices=[("LW-ZH-A1", 37)])
add([R], "x", "@marloes_lw",
    "Net gezien dat Cambridge C1 voor €54,90 in de kerstbanner staat 🙈 is er iemand van marketing wakker?",
    "nl", date="2026-12-08T07:02:00Z", prices=[("LW-CAE", 54.90)])

# ======== financial ========
add([N], "linkedin", "ruud-vermeulen-lingwerf",
    "Q3 closed at €14.2M revenue, 31% above budget. Can't say more until we publish, but proud of this team.",
    "en", date="2026-10-06T06:55:00Z")
add([N], "x", "@marloes_lw",
    "Rare sfeer op kantoor... HR heeft net verteld dat 60 tutors en het hele kantoor in Gent er per januari "
    "uit gaan. Niemand mag het nog weten.", "nl")
add([N], "reddit", "u/kees_lw_backend",
    "Heard at the all-hands that we're being acquired by a big edtech from Berlin, signing supposedly next "
    "month. Should I hold on to my options?", "en")
add([N], "threads", "@annelies.lingwerf",
    "2027 sales forecast says we double B2B. Management wants it quiet till investor day but come on 🚀",
    "en")
add([N], "bluesky", "@bram-nt2.bsky.social",
    "Reorganisatie bij ons: alle NT2-docenten worden per 1 maart zzp'er in plaats van in loondienst. "
    "Officiële aankondiging pas na de kerst.", "nl", date="2026-12-02T21:30:00Z")
add([N, F], "linkedin", "daan-hoekstra-lingwerf",
    "Operatie Klaproos is goedgekeurd door de RvC: we nemen een Spaanse concurrent over. Meer in Q2!", "nl")
add([N], "x", "@sofie_devops",
    "infra budget cut by 40% for next year and the rumour is the platform team gets halved. nobody's said "
    "anything officially yet", "en")
add([N], "tiktok", "@teacherjonas_lw",
    "tutor tea ☕: Lingwerf's H1 numbers were a disaster, like -20% new signups. boss said don't post it. oops 🤐",
    "en", date="2026-07-14T18:00:00Z")
add([N, F], "x", "@marloes_lw",
    "FY2026 results look amazing, EBITDA positive for the first time! Officially out next month 🤫", "en",
    date="2027-01-29T12:40:00Z")
add([N], "linkedin", "pieter-willemse-m-a",
    "Via via: Lingwerf zit in gesprek met een private-equityfonds over een overname van 100%. Deal "
    "rond de €80 mln.", "nl")
add([N], "mastodon", "@priyateaches",
    "Got an internal mail: tutor rates drop 15% next quarter because of 'margin targets ahead of the IPO'. "
    "IPO?! first I hear of it.", "en")

# ======== benign (mostly hard negatives) ========
add([], "x", "@lingwerf",
    "Nieuw: Frans Conversatieclub! Elke dinsdagavond kletsen met een native tutor. €59 per maand, eerste "
    "sessie gratis 🇫🇷", "nl", prices=[("LW-FR-CLUB", 59)])
add([], "instagram", "@lingwerf.nl",
    "Zomeractie ☀️ 20% korting op Flex 10: nu €151,20 i.p.v. €189. Alleen t/m 31 juli!", "nl",
    date="2026-07-08T09:00:00Z", prices=[("LW-FLEX10", 151.20), ("LW-FLEX10", 189)])
add([], "x", "@yusuf_in_nl",
    "Finally passed my NT2 B1 state exam!! Thank you @lingwerf and especially my teacher Bram 🙏🇳🇱",
    "en")
add([], "x", "@lingwerf_help",
    "Vragen over je abonnement? Mail klantenservice@lingwerf.nl of bel gratis 0800-5464 (ma–vr 9–18 uur).",
    "nl")
add([], "reddit", "u/commuter_learner",
    "Is Lingwerf's Onbeperkt Jaar worth €749? I do about 3 lessons a week so it works out cheaper than "
    "Flex 25 for me.", "en", prices=[("LW-UNL-Y", 749)])
add([], "x", "@joost_bakt",
    "Update: @lingwerf_help refunded the double charge in 2 days, not 14. Credit where it's due 👍",
    "en")
add([], "x", "@mieke_zingt",
    "Sending love to the Lingwerf tutors after yesterday's outage. Not your fault and you stayed so kind "
    "about it 💛", "en")
add([], "x", "@edtech_watcher",
    "Another language app (Sprachfuchs) is laying off contractors and replacing them with AI voices. "
    "Glad my Lingwerf tutor is an actual human.", "en")
add([], "reddit", "u/kees_lw_backend",
    "For tomorrow's workshop use the example credentials from the AWS docs: AKIAIOSFODNN7EXAMPLE / "
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY. They won't work against a real account, that's the point.",
    "en")
add([], "x", "@sofie_devops",
    "Reminder voor de workshop: een GitHub-token ziet eruit als ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx. "
    "Zie je zoiets in een diff? Niet mergen!", "nl")
add([], "x", "@lingwerf_help",
    "Wachtwoord vergeten? Geen paniek: klik op 'Wachtwoord herstellen' op app.lingwerf.nl en je krijgt "
    "binnen een minuut een mail.", "nl")
add([], "forum", "reislustige_ria",
    "In de les 'Engels op reis' oefenden we een telefoontje met de bank. Mijn kaartnummer in het "
    "rollenspel: %s. Verzonnen natuurlijk 😄" % fmt_card(BAD_CARD_B12), "nl",
    ids=[("card", fmt_card(BAD_CARD_B12))])
add([], "x", "@nt2_noah",
    "Vandaag bij Lingwerf geleerd hoe je een bankformulier invult. Voorbeeld-IBAN op het werkblad: %s. "
    "Mijn bank-app zegt dat ie niet eens klopt haha" % group4(BAD_IBAN_B13), "nl",
    ids=[("iban", group4(BAD_IBAN_B13))])
add([], "bluesky", "@bram-nt2.bsky.social",
    "Oefenformulier van vanavond: 'Vul je BSN in (bijvoorbeeld %s)'. Altijd weer de lastigste vraag "
    "voor mijn cursisten 😅" % BAD_BSN_B14, "nl", ids=[("bsn", BAD_BSN_B14)])
add([], "x", "@economie_eva",
    "De jaarcijfers 2026 van Lingwerf zijn uit: 18% groei en voor het eerst winst. Knap voor een taalschool.",
    "nl", date="2027-02-26T10:15:00Z")
add([], "x", "@lingwerf",
    "AI Tutor Nova is here! Practise speaking 24/7 and book a human tutor whenever you're ready. "
    "Try it on app.lingwerf.nl", "en", date="2027-03-20T09:00:00Z")
add([], "x", "@zomerzon_zoe",
    "Eén zwaluw maakt nog geen zomer, maar mijn eerste les Spaans bij Lingwerf ging verrassend goed ☀️",
    "nl")
add([], "x", "@vera_verbos",
    "My tutor taught me how to say I'm an idiot with verbs today: 'soy un desastre con los verbos' 😂 "
    "#lingwerf", "en")
add([], "tiktok", "@subjunctive.sally",
    "POV: your Lingwerf tutor finally makes the subjunctive click 🤯 best €189 I spent this year on Flex 10",
    "en", prices=[("LW-FLEX10", 189)])
add([], "x", "@twofactor_tim",
    "Data breach at a German language app, 2 million accounts 😬 glad I switched on 2FA at Lingwerf last "
    "year.", "en")
add([], "reddit", "u/budget_learner",
    "Vergelijking: een losse tutor op een marktplaats kost zo'n €15 per les, Lingwerf Flex 10 is €189 "
    "voor 10 lessen. Scheelt dus minder dan je denkt, en bij Lingwerf is de planning veel makkelijker.",
    "nl", prices=[("LW-FLEX10", 189)])
add([], "x", "@lingwerf",
    "Black Friday bij Lingwerf: 30% korting op IELTS Intensive (nu €419,30) en 25% op Cambridge C1 "
    "(nu €411,75). Alleen dit weekend!", "nl", date="2026-11-27T07:00:00Z",
    prices=[("LW-IELTS", 419.30), ("LW-CAE", 411.75)])
add([], "facebook", "LingwerfNL",
    "Liever per overschrijving betalen? Dat kan: %s t.n.v. Lingwerf B.V., o.v.v. je klantnummer."
    % group4("NL13RABO1344007377"), "nl", ids=[("iban_public", group4("NL13RABO1344007377"))])
add([], "linkedin", "daan-hoekstra-lingwerf",
    "We zoeken een senior backend developer (Python/Go) voor ons platformteam in Utrecht. Hybride werken, "
    "4 dagen kan ook. Solliciteren via werkenbij@lingwerf.nl", "nl")
add([], "instagram", "@juf.ilse.spaans",
    "Wat een leuke groep vanavond bij Spaans A1! Jullie 'ferrocarril' wordt steeds beter 🚂🇪🇸", "nl")
add([], "x", "@naamval_nina",
    "Deze Duitse naamvallen killen me echt 💀 maar mijn docent bij Lingwerf blijft onverstoorbaar geduldig",
    "nl")
add([], "facebook", "jessica.holt.uk",
    "Just signed my niece up for the Lingwerf Junior Club, €39 a month and the kids tutors are lovely.",
    "en", kind="comment", prices=[("LW-KIDS", 39)])
add([], "x", "@sofie_devops",
    "Gepland onderhoud zondag 02:00–04:00, alles staat op status.lingwerf.nl. Lessen in dat tijdvak zijn "
    "al verplaatst.", "nl")
add([], "x", "@lingwerf_help",
    "@ellen_vd_meer Wat vervelend dat je tutor niet kwam opdagen! We hebben je les teruggezet en een extra "
    "les bijgeschreven. Sorry!", "nl", kind="reply")
add([], "forum", "tutor_in_spe",
    "Heeft iemand ervaring met solliciteren als tutor bij Lingwerf? Hoe gaat die proefles in z'n werk?",
    "nl")
add([], "x", "@opa_gerrit",
    "Gewoon even 0800-5464 gebeld, binnen vijf minuten geholpen door een vriendelijke meneer van Lingwerf.",
    "nl")
add([], "x", "@vlaamse_vonne",
    "Mijn Lingwerf-tutor uit Antwerpen leert me Vlaamse woorden 😂 'ambetant' en 'goesting' zijn nu mijn "
    "favorieten", "nl")
add([], "reddit", "u/pricewatch_eu",
    "Other apps' new pricing is wild, €13 a month for AI-only lessons. Lingwerf Onbeperkt Maand at €79 is "
    "pricier but you get real tutors.", "en", prices=[("LW-UNL-M", 79)])
add([], "x", "@bakkersdroom",
    "Was bijna gestopt met Nederlands leren, maar mijn tutor bij Lingwerf heeft me erdoorheen gesleept. "
    "Geen paniek meer bij de bakker 🥐", "nl")
add([], "x", "@lingwerf_help",
    "@tomas_r Haal je IBAN alsjeblieft uit je tweet en stuur 'm via DM, dan regelen we het. "
    "(NL** **** **** **** 12)", "nl", kind="reply")
add([], "mastodon", "@priyateaches",
    "For the tutor-dev hackathon: put your key in .env like OPENAI_API_KEY=<your-key-here> and never "
    "commit that file!", "en")
add([], "reddit", "u/kees_lw_backend",
    "Tip for the hackathon repo: keep it as DATABASE_URL=postgres://lw_app:${DB_PASSWORD}@db:5432/lessons "
    "and let docker compose inject the secret.", "en")
add([], "linkedin", "lingwerf",
    "Persvragen? Mail pers@lingwerf.nl of bel +31 30 799 4410.", "nl")
add([], "x", "@osaka_olaf",
    "Japans Intensief kost €1290 bij Lingwerf. Duur, maar na 3 maanden kon ik in Osaka gewoon ramen "
    "bestellen 🍜", "nl", prices=[("LW-JP-INT", 1290)])
add([], "threads", "@annelies.lingwerf",
    "Bedrijven opgelet: tot eind maart 15% korting op Business Team, €2.116,50 voor 5 seats.", "nl",
    date="2026-03-03T08:30:00Z", prices=[("LW-BIZ5", 2116.50)])
add([], "tiktok", "@teacherjonas_lw",
    "day in the life of an online English tutor: 6 lessons, 3 cups of tea, one student who only wants to "
    "talk about Formula 1 🏎️", "en")
add([], "reddit", "u/cautious_carla",
    "Does Lingwerf support 2FA? Couldn't find it in the account settings.", "en")
add([], "linkedin", "lingwerf",
    "We staan 12 oktober op de Onderwijsbeurs in Utrecht. Kom langs voor een gratis proefles Zakelijk Duits!",
    "nl", date="2026-09-28T08:00:00Z")
add([], "linkedin", "ruud-vermeulen-lingwerf",
    "Trots op onze jaarcijfers 2026, gisteren gepubliceerd. Dank aan alle tutors en het hele team!", "nl",
    date="2027-02-26T17:45:00Z")
add([], "linkedin", "jolanda-teach",
    "Sad to hear about the reorganisation at Talenhuys Academy. If any language teachers are looking, "
    "Lingwerf is hiring tutors right now.", "en")
add([], "instagram", "@mama.van.fenna",
    "Fenna (9) is helemaal fan van haar juf bij LingwerfKids. Ze speelt thuis nu 'juf' in het Engels 😍",
    "nl", kind="comment", brand="LingwerfKids")
add([], "bluesky", "@aylin-codes.bsky.social",
    "Shoutout to my Lingwerf tutor who stayed 10 extra minutes to help me prep for my job interview in "
    "Dutch. Got the job!!", "en")
add([], "x", "@gerda_deutsch",
    "Mijn tutor zei dat mijn Duitse uitspraak 'verschrikkelijk' was en ze had gelijk 😂 weer een les verder",
    "nl")
add([], "x", "@hanna_lw_support",
    "Rustige dag op support, tijd voor stroopwafels 🧇 Vragen? We zitten klaar in de chat op lingwerf.nl",
    "nl")
add([], "instagram", "@olga.v.nl",
    "Учу нидерландский с Lingwerf уже полгода, очень довольна преподавателем! 🇳🇱", "ru")
add([], "x", "@polyglot_pien",
    fullwidth("fun fact") + ": mijn tutor bij Lingwerf spreekt 6 talen 🤯", "nl")
add([], "x", "@gamer_gijs",
    "n00b in het Nederlands, maar na 10 lessen bij Lingwerf ben ik l33t in 'alsjeblieft' en 'dankjewel' 😎",
    "nl")
add([], "instagram", "@fietsfoto_floor",
    "Klaprozen in bloei langs het fietspad, mooi op weg naar mijn Lingwerf-les op kantoor 🌺", "nl",
    date="2026-06-02T07:30:00Z")
add([], "x", "@cadeautip_carla",
    "Kerstcadeau-idee: Lingwerf Headset Pro nu €69 (normaal €89). Mijn man is er blij mee.", "nl",
    date="2026-12-12T13:00:00Z", prices=[("LW-HS-PRO", 69)])
add([], "x", "@huiswerk_hugo",
    "Hoe zeg je 'prijsfout' in het Engels? Vraag voor m'n huiswerk van Lingwerf 😅", "nl")
add([], "x", "@b2_bart",
    "Nieuwe woorden bij NT2 B2 deze week: 'datalek', 'inbraak', 'aangifte' en 'verzekering'. "
    "Lekker praktisch Nederlands.", "nl")
add([], "x", "@c1_chloe",
    "Had an issue with my Cambridge C1 booking, but Lingwerf sorted it within an hour. Fair play 👏", "en")
add([], "facebook", "LingwerfNL",
    "Cadeaukaart 12 lessen voor €219: het perfecte cadeau voor wie een nieuwe taal wil leren 🎁", "nl",
    prices=[("LW-GIFT", 219)])
add([], "x", "@amex_anton",
    "Lingwerf accepteert nu ook Amex. In de NT2-les oefenden we alvast met een nepkaart: %s 😄"
    % fmt_card(BAD_CARD_B63), "nl", ids=[("card", fmt_card(BAD_CARD_B63))])
add([], "x", "@arabic_aisha",
    "Arabisch voor Beginners bij Lingwerf begonnen, €329 voor het hele traject. Eerste les: het alfabet ✍️",
    "nl", prices=[("LW-AR-A1", 329)])


# ---------------------------------------------------------------- severity policy (CONTRACT 4)
SEV = ["none", "info", "warning", "error", "critical"]


def role_of(platform, handle):
    key = ("%s:%s" % (platform, handle)).lower()
    if key in [a.lower() for a in PROFILE["accounts"]["corporate"]]:
        return "corporate"
    if key in [a.lower() for a in PROFILE["accounts"]["employee"]]:
        return "employee"
    return "public"


def severity(cats, role, checksum_id):
    best = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                s = 3
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and checksum_id):
                    s = 4
            else:
                s = 2
        elif c == "reputation.complaint":
            s = 2
        elif c == "reputation.crisis":
            s = 3
        elif c == "reputation.abuse":
            s = 3 if role in ("corporate", "employee") else 2
        else:
            raise AssertionError(c)
        best = max(best, s)
    return SEV[best]


VALIDATORS = {"iban": iban_valid, "card": luhn_valid, "bsn": bsn_valid}


# ---------------------------------------------------------------- build
def build():
    order = list(range(len(CASES)))
    rng.shuffle(order)
    used_ids = set()
    start = datetime(2026, 1, 3, tzinfo=timezone.utc)
    lines = []
    for idx in order:
        c = CASES[idx]
        role = role_of(c["platform"], c["handle"])
        checksum_id = any(t in VALIDATORS and VALIDATORS[t](v) for t, v in c["ids"])
        sev = severity(c["cats"], role, checksum_id) if c["cats"] else "none"
        while True:
            pid = "%s-%d" % (c["platform"], rng.randint(10 ** 8, 10 ** 9 - 1))
            if pid not in used_ids:
                used_ids.add(pid)
                break
        if c["date"]:
            ts = c["date"]
        else:
            dt = start + timedelta(days=rng.randint(0, 355), seconds=rng.randint(0, 86399))
            ts = dt.strftime("%Y-%m-%dT%H:%M:%SZ")
        post = {"id": pid, "platform": c["platform"], "kind": c["kind"],
                "account": {"handle": c["handle"]}, "text": c["text"], "created_at": ts}
        if rng.random() < 0.75:
            post["lang"] = c["lang"]
        if c["url"] and rng.random() < 0.5:
            post["url"] = "https://%s.example/%s/%s" % (c["platform"], c["handle"].strip("@/").replace("/", "_"),
                                                        pid.split("-")[1])
        post["brand"] = c["brand"] or "Lingwerf"
        lines.append({"post": post, "expect": {"categories": c["cats"], "severity": sev}})
    return lines


# ---------------------------------------------------------------- self-checks
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
CATS = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial", "leak.security",
        "reputation.crisis", "reputation.complaint", "reputation.abuse"}
SECRET_RE = {
    "aws": r"AKIA[A-Z2-7]{16}",
    "slack": r"xoxb-\d{10,13}-\d{10,13}-[0-9A-Za-z]{24}",
    "openai": r"sk-proj-[0-9A-Za-z_-]{64}T3BlbkFJ[0-9A-Za-z_-]{64}",
    "stripe": r"sk_live_[0-9A-Za-z]{24,}",
    "google": r"AIza[0-9A-Za-z_-]{35}",
    "gitlab": r"glpat-[0-9A-Za-z_-]{20}",
    "anthropic": r"sk-ant-api03-[0-9A-Za-z_-]{93}AA",
    "privkey": r"-----BEGIN OPENSSH PRIVATE KEY-----\n[A-Za-z0-9+/=\n]+\n-----END OPENSSH PRIVATE KEY-----",
    "password": r"[A-Za-z]+\d\d[!#$%][a-z]+\d\d",
    "dburl": r"[A-Za-z]+\d\d[!#$%][a-z]+\d\d",
}


def check(lines):
    errs = []
    cases_by_text = {c["text"]: c for c in CASES}
    pub_ibans = {s.replace(" ", "") for s in PROFILE["public_identifiers"]["ibans"]}
    for s in pub_ibans:
        if not iban_valid(s):
            errs.append("profile public IBAN fails mod-97: " + s)
    ids = set()
    cat_count, sev_count = {}, {}
    n_nl = n_en = 0
    for ln in lines:
        p, e = ln["post"], ln["expect"]
        raw = json.dumps(ln, ensure_ascii=False)
        if json.loads(raw) != ln:
            errs.append("json roundtrip")
        for f in ("id", "platform", "account", "text", "created_at"):
            if f not in p:
                errs.append("%s missing %s" % (p.get("id"), f))
        if not (isinstance(p["id"], str) and 1 <= len(p["id"]) <= 256):
            errs.append("bad id")
        if p["id"] in ids:
            errs.append("duplicate id " + p["id"])
        ids.add(p["id"])
        if p["platform"] not in PLATFORMS or p.get("kind", "post") not in KINDS:
            errs.append("bad platform/kind " + p["id"])
        if not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
            errs.append("bad handle " + p["id"])
        if not isinstance(p["text"], str) or len(p["text"].encode("utf-8")) > 65536 or not p["text"].strip():
            errs.append("bad text " + p["id"])
        try:
            dt = datetime.strptime(p["created_at"], "%Y-%m-%dT%H:%M:%SZ")
            if dt.year not in (2026, 2027):
                errs.append("year " + p["id"])
        except ValueError:
            errs.append("bad created_at " + p["id"])
        if set(e.keys()) != {"categories", "severity"} or e["severity"] not in SEV:
            errs.append("bad expect " + p["id"])
        if e["categories"] != sorted(set(e["categories"])) or not set(e["categories"]) <= CATS:
            errs.append("bad categories " + p["id"])
        if not e["categories"] and e["severity"] != "none":
            errs.append("benign with severity " + p["id"])
        if e["categories"] and e["severity"] in ("none", "info"):
            errs.append("positive with low severity " + p["id"])
        c = cases_by_text[p["text"]]
        role = role_of(p["platform"], p["account"]["handle"])
        checksum_id = any(t in VALIDATORS and VALIDATORS[t](v) for t, v in c["ids"])
        want = severity(e["categories"], role, checksum_id) if e["categories"] else "none"
        if want != e["severity"]:
            errs.append("severity mismatch " + p["id"])
        positive = bool(e["categories"])
        # planted identifiers
        for t, v in c["ids"]:
            if v not in p["text"]:
                errs.append("identifier not in text " + p["id"])
            if t == "iban_public":
                if positive or v.replace(" ", "") not in pub_ibans or not iban_valid(v):
                    errs.append("public iban misuse " + p["id"])
                continue
            ok = VALIDATORS[t](v)
            if positive and not ok:
                errs.append("%s in positive fails checksum %s" % (t, p["id"]))
            if not positive and ok:
                errs.append("%s look-alike in benign passes checksum %s" % (t, p["id"]))
            if positive and "leak.pii" not in e["categories"]:
                errs.append("identifier in non-pii positive " + p["id"])
        # scan texts for accidental identifiers
        norm = unicodedata.normalize("NFKC", p["text"])
        declared = {unicodedata.normalize("NFKC", v).replace(" ", "") for _, v in c["ids"]}
        for m in re.finditer(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b", norm):
            s = m.group(0).replace(" ", "")
            if iban_valid(s) and s not in declared:
                errs.append("undeclared valid IBAN " + p["id"])
        for m in re.finditer(r"(?<![\d+])(?:\d[ -]?){12,18}\d(?!\d)", norm):
            s = re.sub(r"\D", "", m.group(0))
            if luhn_valid(s) and s not in {re.sub(r"\D", "", d) for d in declared} and not positive:
                errs.append("undeclared Luhn-valid number in benign " + p["id"])
        for m in re.finditer(r"(?<!\d)\d{9}(?!\d)", norm):
            if bsn_valid(m.group(0)) and not positive and m.group(0) not in declared:
                errs.append("undeclared 11-proof number in benign " + p["id"])
        # secrets
        for t, v in c["secrets"]:
            if v not in p["text"] or "leak.secret" not in e["categories"]:
                errs.append("secret misplaced " + p["id"])
            if t == "github":
                if not gh_token_ok(v):
                    errs.append("github token checksum " + p["id"])
            elif t == "jwt":
                if not jwt_ok(v):
                    errs.append("jwt header " + p["id"])
            elif not re.fullmatch(SECRET_RE[t], v):
                errs.append("secret format %s %s" % (t, p["id"]))
        if "leak.secret" in e["categories"] and not c["secrets"]:
            errs.append("secret case without generated secret " + p["id"])
        if not positive and (any(gh_token_ok(m.group(0)) for m in re.finditer(r"gh[pousr]_[0-9A-Za-z]{36}", norm))
                             or re.search(r"AKIA(?!IOSFODNN7EXAMPLE)[A-Z2-7]{16}", norm)):
            errs.append("live-looking token in benign " + p["id"])
        # prices
        prods = {pr["sku"]: pr for pr in PROFILE["products"]}
        ratio = PROFILE["pricing"]["alert_below_ratio"]
        for sku, price in c["prices"]:
            pr = prods[sku]
            if not any(a.lower() in norm.lower() for a in pr["aliases"] + [pr["name"]]):
                errs.append("product alias not in text %s %s" % (sku, p["id"]))
            below = price < ratio * pr["list_price"]
            if "leak.pricing" in e["categories"]:
                if not below:
                    errs.append("pricing positive not below ratio " + p["id"])
            elif below:
                errs.append("benign price below ratio " + p["id"])
        if "leak.pricing" in e["categories"] and not c["prices"] and not c["price_talk"]:
            errs.append("pricing case without price " + p["id"])
        # embargo
        for emb in PROFILE["embargo"]:
            until = datetime.strptime(emb["until"], "%Y-%m-%dT%H:%M:%SZ")
            hit = any(t.lower() in norm.lower() for t in emb["terms"])
            if hit and dt < until and "leak.confidential" not in e["categories"]:
                errs.append("embargo term before until not labelled " + p["id"])
            if hit and dt >= until and positive:
                errs.append("embargo term after until in positive " + p["id"])
        # internal names in benign
        if not positive:
            low = norm.lower()
            for t in PROFILE["internal"]["domains"] + PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"]:
                if t.lower() in low:
                    errs.append("internal term %r in benign %s" % (t, p["id"]))
        for cat in e["categories"]:
            cat_count[cat] = cat_count.get(cat, 0) + 1
        sev_count[e["severity"]] = sev_count.get(e["severity"], 0) + 1
        if c["lang"] == "nl":
            n_nl += 1
        elif c["lang"] == "en":
            n_en += 1
    # public handles must not collide with the profile; role mix
    roles = {}
    for ln in lines:
        r = role_of(ln["post"]["platform"], ln["post"]["account"]["handle"])
        k = "benign" if not ln["expect"]["categories"] else "positive"
        roles[k + "/" + r] = roles.get(k + "/" + r, 0) + 1
    n = len(lines)
    n_benign = sum(1 for ln in lines if not ln["expect"]["categories"])
    if not 170 <= n <= 180:
        errs.append("case count %d" % n)
    if len(set(c["text"] for c in CASES)) != len(CASES):
        errs.append("duplicate text")
    return errs, dict(n=n, benign=n_benign, cats=cat_count, sev=sev_count, nl=n_nl, en=n_en, roles=roles)


def main():
    lines = build()
    with open(OUT, "w", encoding="utf-8") as fh:
        for ln in lines:
            fh.write(json.dumps(ln, ensure_ascii=False) + "\n")
    # re-read what was written and check that
    with open(OUT, encoding="utf-8") as fh:
        reread = [json.loads(l) for l in fh]
    errs, stats = check(reread)
    print(json.dumps(stats, default=str, sort_keys=True))
    if errs:
        for e in errs:
            print("FAIL:", e, file=sys.stderr)
        sys.exit(1)
    print("OK %d cases, %d benign" % (stats["n"], stats["benign"]))


if __name__ == "__main__":
    main()
