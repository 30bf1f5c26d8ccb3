#!/usr/bin/env python3
"""Build the labelled evaluation set sealed221 (fictional company: Trapvos Mobility B.V.,
shared e-scooters and e-bikes) and check it.

Deterministic: a fixed seed drives every generated identifier, secret and timestamp.
Post texts are hand-written; generated values are filled in for tokens written as
⟦NAME⟧.  Severities are never typed: they are computed from the categories, the account
role found in profile.yaml and the identifiers in the text (CONTRACT §4).

Usage:  python3 make_cases.py        -> writes cases.jsonl beside this file, then checks it
"""
import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import random
import re
import sys
import zlib

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE_PATH = os.path.join(HERE, "profile.yaml")
OUT_PATH = os.path.join(HERE, "cases.jsonl")
SEED = 221_2026

rng = random.Random(SEED)

# ---------------------------------------------------------------- categories
CP = "reputation.complaint"
CR = "reputation.crisis"
AB = "reputation.abuse"
PII = "leak.pii"
SCR = "leak.secret"
CF = "leak.confidential"
FIN = "leak.financial"
SEC = "leak.security"
PR = "leak.pricing"
ALL_CATS = {CP, CR, AB, PII, SCR, CF, FIN, SEC, PR, "reputation.spike"}

PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube",
             "reddit", "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
SEVERITIES = ["none", "info", "warning", "error", "critical"]

# ---------------------------------------------------------------- checksums
ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"  # base-62 digits


def iban_ok(iban):
    s = re.sub(r"\s", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def iban_make(country, bban):
    r = bban + country + "00"
    chk = 98 - int("".join(str(int(c, 36)) for c in r)) % 97
    return f"{country}{chk:02d}{bban}"


def luhn_ok(number):
    d = [int(c) for c in re.sub(r"\D", "", number)]
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return len(d) >= 12 and tot % 10 == 0


def luhn_digit(partial):
    for c in "0123456789":
        if luhn_ok(partial + c):
            return c
    raise AssertionError


def bsn_ok(number):
    d = re.sub(r"\D", "", number)
    if len(d) != 9 or d == "000000000":
        return False
    tot = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return tot % 11 == 0


def fmt_groups(s, n=4, sep=" "):
    return sep.join(s[i:i + n] for i in range(0, len(s), n))


# ---------------------------------------------------------------- generated identifiers
BANKS_NL = ["ABNA", "INGB", "RABO", "SNSB", "ASNB", "TRIO", "KNAB", "BUNQ", "RBRB"]


def gen_iban():
    if rng.random() < 0.15:
        bban = "".join(rng.choice("0123456789") for _ in range(12))
        s = iban_make("BE", bban)
    else:
        bank = rng.choice(BANKS_NL)
        s = iban_make("NL", bank + "".join(rng.choice("0123456789") for _ in range(10)))
    assert iban_ok(s)
    return fmt_groups(s) if rng.random() < 0.6 else s


def gen_iban_bad():
    while True:
        good = iban_make("NL", rng.choice(BANKS_NL) + "".join(rng.choice("0123456789") for _ in range(10)))
        pos = rng.randrange(8, len(good))
        bad = good[:pos] + str((int(good[pos]) + rng.randint(1, 9)) % 10) + good[pos + 1:]
        if not iban_ok(bad):
            return fmt_groups(bad) if rng.random() < 0.5 else bad


def gen_card():
    prefix = rng.choice(["4", "51", "52", "53", "54", "55", "2221"])
    body = prefix + "".join(rng.choice("0123456789") for _ in range(15 - len(prefix)))
    num = body + luhn_digit(body)
    assert luhn_ok(num)
    r = rng.random()
    return fmt_groups(num) if r < 0.55 else (fmt_groups(num, sep="-") if r < 0.75 else num)


def gen_card_bad():
    while True:
        prefix = rng.choice(["4", "53", "54"])
        num = prefix + "".join(rng.choice("0123456789") for _ in range(16 - len(prefix)))
        if not luhn_ok(num):
            return fmt_groups(num) if rng.random() < 0.6 else num


def gen_bsn():
    while True:
        d = [rng.randint(0, 9) for _ in range(8)]
        if d[0] == 0:
            continue
        last = sum(d[i] * (9 - i) for i in range(8)) % 11
        if last == 10:
            continue
        s = "".join(map(str, d)) + str(last)
        if bsn_ok(s):
            return s


def gen_bsn_bad():
    while True:
        s = str(rng.randint(100_000_000, 999_999_999))
        if not bsn_ok(s):
            return s


# ---------------------------------------------------------------- generated secrets
def rand_str(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


B64URL = ALNUM + "-_"
B64STD = ALNUM + "+/"


def base62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out.rjust(width, "0")


def github_checksum_ok(token):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", token)
    return bool(m) and base62(zlib.crc32(m.group(1).encode()) & 0xFFFFFFFF, 6) == m.group(2)


def gen_github(prefix="ghp"):
    body = rand_str(ALNUM, 30)
    tok = f"{prefix}_{body}{base62(zlib.crc32(body.encode()) & 0xFFFFFFFF, 6)}"
    assert github_checksum_ok(tok)
    return tok


def gen_akia():
    return "AKIA" + rand_str("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)


def gen_aws_secret():
    return rand_str(B64STD, 40)


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def gen_jwt():
    header = {"alg": "HS256", "typ": "JWT"}
    iat = 1767225600 + rng.randint(0, 360 * 86400)
    payload = {"sub": f"rider-{rng.randint(100000, 999999)}", "role": rng.choice(["fleet_ops", "support_agent", "admin"]),
               "iss": "auth.trapvos.nl", "iat": iat, "exp": iat + 3600}
    signing = b64u(json.dumps(header, separators=(",", ":")).encode()) + "." + \
        b64u(json.dumps(payload, separators=(",", ":")).encode())
    key = bytes(rng.getrandbits(8) for _ in range(32))
    sig = hmac.new(key, signing.encode(), hashlib.sha256).digest()
    return signing + "." + b64u(sig)


def gen_stripe():
    return "sk_live_51" + rand_str(ALNUM, 12) + rand_str(ALNUM, 86)


def gen_slack_bot():
    return f"xoxb-{rng.randint(10**11, 10**12 - 1)}-{rng.randint(10**12, 10**13 - 1)}-{rand_str(ALNUM, 24)}"


def gen_slack_hook():
    up = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return f"https://hooks.slack.com/services/T{rand_str(up, 8)}/B{rand_str(up, 10)}/{rand_str(ALNUM, 24)}"


def gen_openai():
    return "sk-proj-" + rand_str(B64URL, 74) + "T3BlbkFJ" + rand_str(B64URL, 74)


def gen_anthropic():
    return "sk-ant-api03-" + rand_str(B64URL, 93) + "AA"


def gen_glpat():
    return "glpat-" + rand_str(B64URL, 20)


def gen_sendgrid():
    return "SG." + rand_str(B64URL, 22) + "." + rand_str(B64URL, 43)


def gen_google():
    return "AIza" + rand_str(B64URL, 35)


def gen_pw():
    chars = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789!#%*?"
    while True:
        p = rand_str(chars, rng.randint(12, 16))
        if re.search(r"\d", p) and re.search(r"[A-Z]", p) and re.search(r"[!#%*?]", p):
            return p


def gen_openssh_key():
    blob = b"openssh-key-v1\x00" + bytes(rng.getrandbits(8) for _ in range(380))
    b = base64.b64encode(blob).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


GENERATORS = {
    "IBAN": gen_iban, "IBAN_BAD": gen_iban_bad, "CARD": gen_card, "CARD_BAD": gen_card_bad,
    "BSN": gen_bsn, "BSN_BAD": gen_bsn_bad, "GHP": gen_github, "GHS": lambda: gen_github("ghs"),
    "AKIA": gen_akia, "AWS_SECRET": gen_aws_secret, "JWT": gen_jwt, "STRIPE": gen_stripe,
    "SLACK_BOT": gen_slack_bot, "SLACK_HOOK": gen_slack_hook, "OPENAI": gen_openai,
    "ANTHROPIC": gen_anthropic, "GLPAT": gen_glpat, "SENDGRID": gen_sendgrid, "GOOGLE": gen_google,
    "PW": gen_pw, "SSHKEY": gen_openssh_key,
}

# ---------------------------------------------------------------- the posts
# P(platform, handle, lang, text, categories, kind=..., at=...)
CASES = []


def P(platform, handle, lang, text, cats=(), kind="post", at=None):
    CASES.append({"platform": platform, "handle": handle, "lang": lang, "text": text,
                  "cats": sorted(set(cats)), "kind": kind, "at": at})


# ======================= reputation.complaint =======================
P("x", "@femkedr", "nl",
  "@trapvos_hulp al 3x €1,50 ontgrendelkosten betaald voor een step die gewoon NIET openging. wie gaat dat terugstorten?? 😤",
  [CP], kind="reply")
P("x", "@jbowman_ams", "en",
  "Trapvos charged me a €25 'parking outside zone' fee. I was literally standing in the green zone on their own map. Sent the screenshot, 6 days and not a single reply.",
  [CP])
P("facebook", "marjolein.hekkens", "nl",
  "Vanochtend 4 steps van Trapvos geprobeerd op het Hofplein, alle vier de accu leeg terwijl de app 80% aangaf. Kom ik weer te laat op m'n werk. Top service hoor.",
  [CP], kind="comment")
P("reddit", "u/throwaway_cyclist88", "en",
  "Anyone else getting double charged by Trapvos? Two identical €7.40 rides on my statement for one trip last Tuesday. Their chatbot just keeps sending me the same FAQ link over and over.",
  [CP])
P("x", "@sjoerdjjj", "nl",
  "die trapvos app crasht elke keer als ik m'n rit wil beeindigen dus de meter loopt gwn door.. 38 min betaald voor 9 min rijden. serieus??",
  [CP])
P("instagram", "@nadia.rides", "en",
  "Love the idea, hate the execution. Rear brake on the Trapvos bike I took today was barely doing anything and the bell was gone. Reported it in the app, got an automated 'thanks for helping us! 🦊' 🙃",
  [CP], kind="comment")
P("threads", "@lieke.onderweg", "nl",
  "Waarom staan er om 8 uur 's ochtends nooit steps bij station Delft Zuid? Elke dag hetzelfde verhaal, elke dag 20 min lopen. Ik betaal wél gewoon m'n maandpas he Trapvos",
  [CP])
P("facebook", "truus.van.os.1949", "nl",
  "Mijn kleinzoon heeft mijn creditcard aan zijn Trapvos account gekoppeld en ik krijg niemand aan de lijn om dat te laten stoppen. Alles moet via een app die ik niet snap. Dit kan toch niet de bedoeling zijn.",
  [CP], kind="comment")
P("tiktok", "@zoeyy.xo", "nl",
  "pov: je trapvos step valt midden op de brug uit en je moet hem zelf terugduwen naar de zone anders krijg je een boete 💀💀 #trapvos #fail #rotterdam",
  [CP])
P("x", "@d_okafor", "en",
  "Cancelled my VosPas back in March. Still getting charged €59 every month. Bank says take it up with Trapvos, Trapvos says 'no active subscription found'. So who exactly is taking my money??",
  [CP])
P("forum", "klaasvaak_72", "nl",
  "Re: ervaringen deelfietsen Den Haag\n\nBij 3 van de 5 Trapvos fietsen die ik vandaag probeerde kon het zadel niet meer omlaag. Ik ben 1m62, dus fietsen zat er niet in. Kunnen ze dat niet even checken als ze toch de accu wisselen?",
  [CP], kind="comment")
P("x", "@younes_rtm", "nl",
  "@trapvos_hulp ik heb nu 4 mails gestuurd en krijg alleen automatische antwoorden. bel me gewoon terug: 06-38712590. borg van €50 nog steeds niet terug",
  [CP, PII], kind="reply")
P("x", "@hvisser87", "en",
  "@trapvos_hulp your DMs aren't working so reach me at hannah.visser1987@gmail.com — been waiting for a refund on the 300-minute bundle since August 😑",
  [CP, PII], kind="reply")
P("x", "@bramstokje", "nl",
  "Sinds de laatste update moet ik elke rit opnieuw inloggen met een sms-code, en die sms komt pas na 3 minuten binnen. Met deze regen echt geen pretje @trapvos_hulp",
  [CP])
P("x", "@anoukjes", "nl",
  "Twee weken geleden schade gemeld via schade@trapvos.nl en nog steeds geen ontvangstbevestiging. Wordt dat adres überhaupt gelezen?",
  [CP])

# ======================= reputation.crisis =======================
P("facebook", "wendy.kramer.rdam", "nl",
  "Mijn dochter is vanmiddag met een Trapvos step keihard onderuit gegaan op de Coolsingel, de rem deed helemaal niks. Hersenschudding en een gebroken pols. Dit had veel erger kunnen aflopen. Wie is hier verantwoordelijk??",
  [CR])
P("x", "@noordnieuws_live", "en",
  "BREAKING: fire at the Trapvos charging depot in Amsterdam-Noord. Residents told to keep windows shut, several scooter batteries reportedly exploded. More soon.",
  [CR])
P("x", "@fairwork_nl", "nl",
  "#BoycotTrapvos — ze laten 'juicers' voor €1,80 per step 's nachts accu's laden. Geen contract, geen verzekering, geen toeslag. Gebruik ze niet meer en deel dit.",
  [CR])
P("reddit", "u/pixelmeisje", "en",
  "Did Trapvos leak their customer database? I've been getting phishing mails that list my Trapvos rides with exact dates and start points. Someone out there has that data.",
  [CR])
P("x", "@stadsredactie030", "nl",
  "Gemeente Utrecht stapt naar de rechter tegen Trapvos: honderden steps blokkeren stoepen en geleidelijnen, ondanks drie waarschuwingen. Eerste zitting in oktober.",
  [CR])
P("linkedin", "marloes-ter-horst-advocaat", "en",
  "Our class action against Trapvos Mobility over the 'phantom parking fines' opened for registration yesterday. 2,300 people signed up in the first 24 hours. If you were fined while parked inside the zone, get in touch.",
  [CR])
P("x", "@kimmiebee", "nl",
  "Terugroepactie?? Een vriend zegt dat alle Vosje S3 steps van de straat gehaald worden vanwege scheurende stuurpennen. Iemand meer info? Heb er gisteren nog eentje gehuurd 😳",
  [CR])
P("bluesky", "@toegankelijkdenhaag.bsky.social", "en",
  "A blind man in Den Haag tripped over a Trapvos scooter dumped across the tactile paving and broke his hip. This keeps happening. #trapvos",
  [CR])
P("x", "@j_hoekstra_journo", "nl",
  "Journalist hier. Ik werk aan een verhaal over monteurs bij Trapvos die via schijnconstructies onder het minimumloon werken. DM staat open voor (ex-)medewerkers, bronbescherming gegarandeerd.",
  [CR])
P("x", "@privacywaakhond", "nl",
  "Wie een Trapvos account heeft: er gaat op een hackersforum een bestand 'trapvos_users_2026.csv' rond met namen, mails en ritgeschiedenis. Wachtwoord wijzigen, nu!",
  [CR])
P("threads", "@mo.elhaddad", "en",
  "According to a leaked policy doc, Trapvos caps scooters at 10 km/h in the poorer neighbourhoods and lets them go full speed in the centre. Discrimination by algorithm. I'm done with them.",
  [CR])
P("x", "@sanne_fietst", "nl",
  "Mijn step viel vol gas uit midden op het kruispunt bij de Beurs, ik werd bijna geschept door een bus. En dan biedt de klantenservice me een tegoedbon van €5 aan?!? Dit is levensgevaarlijk #trapvos",
  [CR, CP])
P("x", "@r_vandam", "en",
  "Got hit with a €150 'theft fee' because YOUR lock failed, and now I read that hundreds of people got the exact same fee. Smells like a scam. Consumentenbond and a lawyer are next.",
  [CR, CP])
P("instagram", "@joris.sleutelt", "nl",
  "Verschrikkelijke dag. Collega is vanochtend in de werkplaats zwaargewond geraakt toen een accu ontplofte tijdens het laden. Ambulance, brandweer, alles. Denk aan je Rob 🙏",
  [CR])
P("x", "@anti_stepoverlast", "en",
  "B0YC0TT Tr4pv0s!! they're selling our ride data to insurance companies, it's in their new privacy terms if you read the small print",
  [CR])

# ======================= reputation.abuse =======================
P("x", "@niekdezwaan", "nl",
  "@trapvos jullie zijn echt een stelletje oplichters en klootzakken, 3e keer deze maand dat m'n rit niet stopt en ik gewoon doorbetaal",
  [CP, AB], kind="reply")
P("x", "@callum_in_ams", "en",
  "Trapvos you absolute clowns. Fined €35 for 'damage' that was there when I picked it up, I SENT YOU PHOTOS. Incompetent pricks, the lot of you.",
  [CP, AB])
P("facebook", "dennis.brouwer.1990", "nl",
  "Jullie medewerker in de hub aan de Spoorsingel is een arrogante eikel. Begon tegen me te schreeuwen omdat ik vroeg waarom mijn borg niet terug was.",
  [AB, CP], kind="comment")
P("x", "@angrycommuter_22", "en",
  "@lotte_fleetops you're a useless cow, do your actual job and get your junk scooters off my street",
  [AB], kind="reply")
P("x", "@s_vermeulen010", "nl",
  "trapvos = k4nker b3drijf. hoop echt dat jullie failliet gaan",
  [AB])
P("tiktok", "@rdam.kid", "nl",
  "f u c k trapvos en iedereen die daar werkt 🖕",
  [AB], kind="comment")
P("facebook", "henk.schipper.55", "nl",
  "Die 'juicers' van Trapvos zijn zeker weer allemaal illegalen die geen woord Nederlands spreken. Tuig is het.",
  [AB], kind="comment")
P("x", "@payme_back_now", "en",
  "hey @evi_devops I know which office you work at. maybe someone should pay you a little visit since your app stole my money",
  [AB], kind="reply")
P("tiktok", "@bram_juicer", "nl",
  "klanten die de step in de gracht gooien zijn gewoon achterlijke mongolen, sorry niet sorry 🤷‍♂️ #juicerlife",
  [AB])
P("x", "@trapvos_hulp", "nl",
  "@jkoster_nl Misschien eerst even leren lezen voordat u gaat klagen, idioot. De voorwaarden staan gewoon in de app.",
  [AB], kind="reply")
P("x", "@vera_lynn_ams", "en",
  "ｓｃａｍｍｅｒｓ and ｌｉａｒｓ, the whole lot of you @trapvos",
  [AB])
P("facebook", "gert.jan.boomsma", "nl",
  "Trapvos zijn echte оplichters en klооtzakken, dat weet iedereen toch allang",
  [AB], kind="comment")

# ======================= leak.pricing =======================
P("x", "@trapvos", "nl",
  "🦊 Alleen dit weekend: VosPas Jaar voor €54,90! Eenmalig, op = op. Link in bio.",
  [PR])
P("x", "@mehmetk_tv", "nl",
  "lol collega's, de webshop verkoopt de refurbished Vosje S2 nu voor €44,90 ipv €449. iemand moet even naar die komma kijken 😂",
  [PR])
P("linkedin", "priya-raghunathan", "en",
  "Small heads-up for friends and family: there's a pricing glitch in the app today and the 300-minute bundle shows up at €6.20. Might want to grab it before finance notices 😉",
  [PR])
P("x", "@lucasdriessen", "nl",
  "prijsfout bij trapvos?? Stadsfiets E7 (ex-vloot) voor €119 in de webshop. direct besteld, benieuwd of ze gaan leveren",
  [PR])
P("reddit", "u/deal_hunter_nl", "en",
  "Trapvos shop has the Bakfiets B2 listed at €189 right now. Pretty sure that's a price error, list is around 1900. Ordered two anyway lol",
  [PR])
P("instagram", "@trapvos.ride", "nl",
  "Nieuw in de shop: de Helm Urban 🪖 nu voor €4,95 — veiligheid voor iedereen! #trapvos",
  [PR])
P("facebook", "TrapvosNL", "en",
  "Students! 🎓 VosPas Student is now only €3.40 a month for the whole academic year. Sign up at trapvos.nl/student",
  [PR])
P("x", "@lotte_fleetops", "nl",
  "zakelijke klanten krijgen Zakelijk Basis deze maand voor €19 per maand ipv €199, niet officieel maar sales doet het toch gewoon 🤫",
  [PR])
P("tiktok", "@goedkoopjes_jagen", "nl",
  "#prijsfout Weekpas in de trapvos app kost vandaag €0,39 😭 RENNEN",
  [PR])
P("bluesky", "@rubenvos.bsky.social", "en",
  "someone misconfigured the promo engine and the Vosje S3 is checking out at €79 in the web shop right now. rolling back in 10 min, pls don't screenshot 🙈",
  [PR])
P("tiktok", "@trapvos", "nl",
  "Cadeaukaart 50 voor maar €5 🎁 alleen vandaag, ideaal voor sinterklaas! #trapvos",
  [PR], at="2026-11-27T16:05:00+01:00")
P("threads", "@noor.opsteeg", "nl",
  "Er staat een prijsfout op de Slot Pro in de app, we zijn ermee bezig. Niet massaal bestellen aub 🙏",
  [PR])

# ======================= leak.pii =======================
P("reddit", "u/kees_backend", "nl",
  "klant belt voor de 5e keer deze week: R. Bouzid, Schiedamseweg 212B, 3025 AG Rotterdam. Wil z'n 14 boetes kwijtgescholden hebben. Geen schijn van kans.",
  [PII])
P("x", "@mehmetk_tv", "nl",
  "wie kent deze gast? heeft 3 steps gesloopt bij de Kop van Zuid en betaalde met kaart ⟦CARD⟧, naam erop: M. Verhoef",
  [PII])
P("x", "@trapvos_hulp", "nl",
  "@degroot_w Beste meneer De Groot, we hebben de €59 teruggestort op ⟦IBAN⟧. Excuses voor het ongemak! ^Sem",
  [PII], kind="reply")
P("linkedin", "daan-kuipers-trapvos", "en",
  "Proud of our onboarding crew! A warm welcome to Sanne Mulder (born 14 March 1998), who joins fleet planning in Utrecht on Monday 🎉",
  [PII])
P("threads", "@noor.opsteeg", "nl",
  "Portemonnee gevonden in het mandje van een fiets bij Blaak. Rijbewijs op naam van Thijs Brouwer, geboren 02-11-1987. Herkent iemand hem?",
  [PII])
P("x", "@zzp_jeroen", "nl",
  "trapvos vraagt om m'n BSN voor een zakelijk account?? ⟦BSN⟧, daar heb je 'm, succes ermee",
  [PII])
P("x", "@evi_devops", "en",
  "debugging a weird payment issue, customer is anouk.peeters@hotmail.com and her card ⟦CARD⟧ keeps failing 3DS. anyone seen this with Adyen?",
  [PII])
P("facebook", "TrapvosNL", "nl",
  "En de winnaar van onze zomer-winactie is... Fleur Jansen uit Zwolle! 🎉 Fleur, we bellen je vandaag op 06 12 83 44 19, dus neem op!",
  [PII])
P("x", "@buurtapp_haarlem", "nl",
  "Deze vent ramt elke ochtend een trapvos step tegen m'n auto. Hij woont hier: Pieter Smit, Vondellaan 8, 2032 BC Haarlem. Doe er wat mee.",
  [PII])
P("instagram", "@joris.sleutelt", "nl",
  "Mooie dag in de werkplaats 🔧 Btw die klant die haar helm liet liggen, Emma de Wit: mail je even naar emma.dewit@ziggo.nl? Ik heb 'm hier.",
  [PII])
P("x", "@trapvos_hulp", "en",
  "@kev_m Hi Kevin, we've passed your details (+31 6 2748 1193, kevin.m@outlook.com) on to our damage team, they'll call you tomorrow before noon.",
  [PII], kind="reply")
P("linkedin", "sophie-vanleeuwen", "nl",
  "Voor de salarisadministratie: nieuwe collega Yara Bos, BSN ⟦BSN⟧, start 1 juni in Rotterdam. Wie zet haar in AFAS?",
  [PII])
P("x", "@sylla_y", "nl",
  "@trapvos_hulp stort die €50 borg nou gewoon terug op ⟦IBAN⟧ t.n.v. S. Yilmaz, ik wacht al zes weken",
  [PII, CP], kind="reply")

# ======================= leak.secret =======================
P("x", "@evi_devops", "en",
  "why does this not work 😩\n\nAWS_ACCESS_KEY_ID=⟦AKIA⟧\nAWS_SECRET_ACCESS_KEY=⟦AWS_SECRET⟧\naws s3 ls s3://tv-fleet-telemetry --profile fleet",
  [SCR])
P("reddit", "u/kees_backend", "en",
  "Trying to work out why GitHub Actions can't clone our private repo. Token is ⟦GHP⟧ with repo + workflow scopes. Any ideas?",
  [SCR])
P("bluesky", "@rubenvos.bsky.social", "en",
  "ok who committed DATABASE_URL=postgres://fleet_rw:⟦PW⟧@db01.ops.trapvos.internal:5432/fleet to the public docs repo",
  [SCR, CF])
P("x", "@lotte_fleetops", "nl",
  "wifi in de hub Spaanse Polder voor de nieuwe monteurs 👋 netwerk TV-Werkplaats, wachtwoord: ⟦PW⟧",
  [SCR])
P("x", "@trapvos", "en",
  "test post pls ignore ⟦SLACK_HOOK⟧",
  [SCR])
P("linkedin", "priya-raghunathan", "en",
  "Sharing our little rider-support chatbot prototype! Config below, feedback very welcome 🙌\n\nOPENAI_API_KEY=⟦OPENAI⟧\nMODEL=gpt-4o-mini",
  [SCR])
P("threads", "@noor.opsteeg", "nl",
  "kan iemand zien waarom deze token al verlopen is? ik krijg steeds 401 in het supportportaal\n⟦JWT⟧",
  [SCR])
P("x", "@evi_devops", "en",
  "⟦SSHKEY⟧\n\nwrong window 🤦‍♀️",
  [SCR])
P("x", "@apk_poker", "en",
  "lmao trapvos's android app ships with their stripe key hardcoded: ⟦STRIPE⟧ — found with jadx in 2 minutes",
  [SCR])
P("x", "@evi_devops", "nl",
  "ｗａｃｈｔｗｏｏｒｄ grafana admin: ⟦PW⟧ (niet doorvertellen, ik reset hem vrijdag)",
  [SCR])
P("linkedin", "daan-kuipers-trapvos", "en",
  "Quick one for the data team: the mailing service key is ⟦SENDGRID⟧, use it for the rider newsletter test only.",
  [SCR])

# ======================= leak.confidential =======================
P("x", "@lotte_fleetops", "nl",
  "Project Reiger gaat eindelijk live in Q2, ben zo benieuwd wat Utrecht ervan vindt 🐦",
  [CF])
P("linkedin", "daan-kuipers-trapvos", "en",
  "Spent the week in Berlin scouting depot locations for Bolwerk. Can't say more yet, but big things coming for the team!",
  [CF])
P("instagram", "@joris.sleutelt", "nl",
  "eerste prototype van de Trapvos Cargo staat in de werkplaats 😍 #sneakpeek #monteurslife",
  [CF], at="2026-10-14T18:22:00+02:00")
P("instagram", "@trapvos.ride", "nl",
  "Zo ziet onze nieuwe vlootplanning eruit 👀 (screenshot van wiki.trapvos.io/ops/vloot-planning-2027)",
  [CF])
P("threads", "@noor.opsteeg", "nl",
  "Operatie Wielewaal: alle steps in Den Haag krijgen vóór de zomer nieuwe sloten. Nog even stilhouden tot de pers het heeft!",
  [CF])
P("reddit", "u/kees_backend", "en",
  "Copying from our wiki. The page is marked 'trapvos confidential' but whatever: the new dynamic pricing multiplies the minute rate by 2.4 when it rains.",
  [CF])
P("linkedin", "priya-raghunathan", "en",
  "Our FY2026 results are going to be out soon and all I can say is: best year ever for this team 💪",
  [CF, FIN], at="2026-12-09T08:40:00+01:00")
P("x", "@mehmetk_tv", "nl",
  "VosPas Familie komt eraan, 4 gezinsleden voor één prijs. zeg ik niks 🤐",
  [CF], at="2026-11-03T21:12:00+01:00")
P("bluesky", "@rubenvos.bsky.social", "nl",
  "slides van de all-hands staan op git.trapvos.io/strategy/deck-2027. er staat 'uitsluitend intern' op maar de halve kantine heeft ze al gezien",
  [CF])
P("x", "@lotte_fleetops", "nl",
  "Proj\u200bect Rei\u200bger demo vandaag was 🔥🔥 team heeft echt geknald",
  [CF])
P("linkedin", "daan-kuipers-trapvos", "nl",
  "Bоlwerk kick-off in Antwerpen vandaag 🇧🇪 wat een energie!",
  [CF])
P("x", "@ietsmetfietsen", "nl",
  "vriend van me werkt bij trapvos en zegt dat Project Reiger een abonnement mét verzekering wordt. you heard it here first",
  [CF])
P("linkedin", "sophie-vanleeuwen", "nl",
  "De jaarcijfers 2026 zijn binnen en de accountant is blij 😉 meer op 25 februari!",
  [CF, FIN], at="2027-02-05T10:15:00+01:00")
P("x", "@trapvos", "en",
  "Trapvos Cargo test ride in Rotterdam 📦🚲 [DRAFT – hold until March launch]",
  [CF], at="2027-01-21T14:30:00+01:00")
P("x", "@lotte_fleetops", "en",
  "VPN's down again. if you need to unlock a scooter for a customer use fleetctl.trapvos.local directly for now",
  [CF, SEC])
P("x", "@trein_lezer", "en",
  "someone left a printed doc on the 8:14 to Utrecht titled 'TRAPVOS CONFIDENTIAL – Operatie Wielewaal rollout' lmao",
  [CF])

# ======================= leak.financial =======================
P("linkedin", "sophie-vanleeuwen", "nl",
  "Q3 komt zo'n 22% onder de forecast uit. Dat wordt een pittige aandeelhoudersvergadering. Publicatie pas op 12 november.",
  [FIN])
P("linkedin", "daan-kuipers-trapvos", "en",
  "Tough day internally. Trapvos is closing the Antwerp and Ghent hubs, about 60 FTE affected. The announcement goes out Monday. Thinking of my colleagues.",
  [FIN])
P("threads", "@noor.opsteeg", "nl",
  "Reorganisatie op komst: de klantenservice verhuist naar Lissabon, het hele team Rotterdam is weg per 1 april. Nog niet officieel bekend.",
  [FIN])
P("bluesky", "@rubenvos.bsky.social", "en",
  "can't believe we're EBITDA-positive for the first time this quarter. board saw the numbers this morning, public next month 🥂",
  [FIN])
P("reddit", "u/kees_backend", "en",
  "Series C is closing at a €410M valuation, term sheet signed last week. Can't wait for the press release 🚀",
  [FIN])
P("linkedin", "trapvos-mobility", "nl",
  "CONCEPT – Trapvos Mobility neemt Belgische deelfietsaanbieder over voor €38 mln. Persbericht pas maandag 07:00 versturen.",
  [FIN])
P("x", "@lotte_fleetops", "nl",
  "prognose 2027: 1,2 mln ritten minder dan gepland, dus hub Zwolle gaat dicht. nog niks zeggen tegen de monteurs",
  [FIN])
P("linkedin", "priya-raghunathan", "en",
  "Bolwerk = the merger with a certain French operator. Signing is in January. You didn't hear it from me.",
  [FIN, CF])
P("x", "@eenvoudigzo", "nl",
  "Mijn zwager zit in de raad van commissarissen bij Trapvos: ze gaan voor de zomer 30% van het personeel ontslaan.",
  [FIN])
P("x", "@evi_devops", "en",
  "Q2 revenue came in at €14.8M vs a €19M forecast. CFO looked pale in the all-hands. results don't go out till 28 Aug",
  [FIN], at="2026-07-30T17:45:00+02:00")

# ======================= leak.security =======================
P("x", "@evi_devops", "en",
  "not public yet but someone's been brute-forcing the unlock API since 02:00. we've blocked 4k IPs and it keeps coming",
  [SEC])
P("reddit", "u/kees_backend", "en",
  "Our ride API returns other users' trip history if you just increment the ride id. Reported it internally three months ago. Still not fixed.",
  [SEC])
P("threads", "@noor.opsteeg", "nl",
  "Hele backend ligt eruit sinds 06:00, er gaat in heel NL geen enkele step open. Statuspagina zegt nog vrolijk 'alles werkt' 🙃",
  [SEC])
P("x", "@lotte_fleetops", "nl",
  "ransomware op alle laptops van de werkplaats Utrecht. IT zegt: niks naar buiten brengen tot maandag",
  [SEC])
P("bluesky", "@rubenvos.bsky.social", "en",
  "fun monday: found an open S3 bucket with ~200k driving licence scans from our ID-check vendor. legal says keep quiet for now",
  [SEC])
P("linkedin", "priya-raghunathan", "en",
  "Lessons from this week's incident (not disclosed yet): our admin panel had no MFA and a contractor account got phished. Turn on MFA, people.",
  [SEC])
P("x", "@mehmetk_tv", "nl",
  "de bluetooth van de Vosje S3 kun je gewoon replayen met een flipper zero, step gaat open zonder account. weten we al maanden",
  [SEC])
P("instagram", "@joris.sleutelt", "nl",
  "200 steps in Rotterdam-Zuid staan sinds gisteravond 'offline' na de firmware-update. Ze rijden nog, maar je kunt de rit niet afsluiten. Klantenservice weet nog van niks",
  [SEC])
P("x", "@trapvos_hulp", "nl",
  "(intern) Graag geen tickets meer aanmaken over 'betaling mislukt' — de betaalkoppeling is gehackt en we zoeken nog uit hoe erg het is",
  [SEC])
P("x", "@evi_devops", "en",
  "we got p.w.n.e.d last night, attacker dumped the customer table. comms says not a word until thursday",
  [SEC])
P("reddit", "u/former_fleet_dev", "en",
  "Ex-Trapvos dev here. Half of their scooter IoT modules still run with the default admin password. I flagged it a year ago. Nothing happened.",
  [SEC])
P("x", "@mehmetk_tv", "nl",
  "oude deploy key is uitgelekt dus alles geroteerd, hier de nieuwe zodat ops kan updaten: ⟦GLPAT⟧",
  [SCR, SEC])

# ======================= benign (mostly hard negatives) =======================
# praise, jokes
P("x", "@mirjam_deboer", "nl",
  "Shoutout naar de monteur van Trapvos die vanochtend ter plekke mijn lekke band heeft gefixt bij de Lijnbaan. Top gast! 🙌")
P("instagram", "@sunsetchaser.nl", "en",
  "Golden hour ride along the Maas on a Trapvos e-bike 🌅 honestly the best part of my week", kind="post")
P("threads", "@studentlieve", "nl",
  "Was eerst sceptisch over deelsteps maar de VosPas Student heeft me dit jaar echt veel geld en tijd gescheeld")
P("bluesky", "@katjaloopt.bsky.social", "en",
  "Credit where it's due: Trapvos chat support fixed my double charge in about 10 minutes today. Friendly too.")
P("facebook", "linda.ramdin", "nl",
  "Heerlijk rondje door het Kralingse Bos met de kids op Trapvos fietsen. Er lagen gewoon kinderhelmen bij, goed geregeld!", kind="comment")
P("reddit", "u/lonely_lampost", "en",
  "My Trapvos scooter has more personality than my last three dates. It literally beeped at me when I looked sad.")
P("x", "@wimpie_rtm", "nl",
  "Heb net een Trapvos step uit de Schie gevist. Krijg ik nu een gratis dagpas of hoe werkt dat 😂")
P("x", "@joeyfromzuid", "en",
  "Trapvos scooters are sick 🔥 absolutely killer acceleration off the lights, climbed the Erasmusbrug like nothing")
P("x", "@wouterrijdt", "nl",
  "Zag vanochtend een reiger bovenop het stuur van een Trapvos step staan bij de Rotte 😂 Rotterdam ten voeten uit")
# questions
P("x", "@pontpendel", "nl",
  "Weet iemand of je met een Trapvos fiets ook de pont naar Noord op mag? Of moet ie dan eerst in de zone?")
P("x", "@amelie_moves", "en",
  "Can I use my VosPas in Utrecht too, or is it Rotterdam only? @trapvos_hulp", kind="reply")
P("threads", "@nachtzuster_ilse", "nl",
  "Hoe laat gaan de steps 's nachts uit in Den Haag? Mijn dienst eindigt om 1 uur en ik wil nog naar huis kunnen")
P("linkedin", "thomas-okonkwo-officemanager", "en",
  "Does anyone have experience with Trapvos business accounts? Our office has about 30 people who'd use it for client visits.")
P("x", "@henkjan_vraagt", "en",
  "Not a complaint, just curious: why does the scooter beep three times when I park it? @trapvos_hulp", kind="reply")
# news about other companies / the sector
P("x", "@mobiliteitsblog", "en",
  "Interesting: a Scandinavian scooter operator just announced 20% layoffs and is pulling out of five cities. Shared micromobility is a tough business.")
P("x", "@deelvervoer_nl", "nl",
  "Bij een concurrent in Amsterdam is de klantendatabase gelekt. Had je daar een account? Check je mail en wijzig je wachtwoord.")
P("reddit", "u/urbanist_maarten", "en",
  "Paris voted to ban rental e-scooters back in 2023. Curious whether any Dutch city will follow or just keep tightening the parking zones.")
P("x", "@fietsnieuws", "nl",
  "Fietsfabrikant uit Friesland roept 3.000 e-bikes terug wegens breukgevaar in het frame. Het gaat om modellen uit 2024.")
P("bluesky", "@cijfersnerd.bsky.social", "nl",
  "Omzet van Trapvos over 2025 stond gewoon in het gepubliceerde jaarverslag: €61 miljoen. Niet slecht voor een stepjesbedrijf.")
P("x", "@gokje_wagen", "en",
  "Trapvos in 2030 is either huge or bankrupt, no in-between. Place your bets 😂")
# sales and normal prices
P("x", "@trapvos", "nl",
  "☀️ Zomeractie: de Dagpas kost heel juli €12,99 in plaats van €14,99. Fijne ritten!", at="2026-06-30T09:00:00+02:00")
P("instagram", "@trapvos.ride", "nl",
  "Black Friday 🖤 25% korting op de Helm Urban: nu €37,46. Alleen in de app!", at="2026-11-27T08:00:00+01:00")
P("x", "@geldbewust_gijs", "nl",
  "VosPas Maand voor €59 is voor mij goedkoper dan m'n oude tramabonnement. Aanrader als je in het centrum woont.")
P("facebook", "TrapvosNL", "en",
  "The 100-minute bundle costs €24, which works out at €0.24 a minute. Cheaper than pay-as-you-go if you ride most days.")
P("reddit", "u/tinkertom", "en",
  "Picked up a refurbished Vosje S2 for €399 in the spring sale (normally €449). Battery still at 91% health, very happy with it.")
P("linkedin", "trapvos-mobility", "nl",
  "Zakelijk Basis: €199 per maand voor maximaal 25 medewerkers, inclusief maandrapportage. Vraag een demo aan via trapvos.nl/zakelijk")
P("tiktok", "@trapvos", "en",
  "night owls 🦉 the Nachtpas is €9.99 and valid from 22:00 to 06:00 #trapvos")
P("x", "@trapvos", "nl",
  "🎓 Nieuw collegejaar, nieuwe pas: de studentenpas is 10% goedkoper t/m 30 september, €30,60 per maand.", at="2026-08-25T10:00:00+02:00")
# the company's own published contact data
P("x", "@trapvos_hulp", "nl",
  "Schade gezien aan een step of fiets? Mail foto's naar schade@trapvos.nl of bel gratis 0800-8728. Dank je wel!")
P("facebook", "TrapvosNL", "en",
  "Press enquiries: pers@trapvos.nl or +31 10 808 4400 (weekdays 9–17).")
P("linkedin", "trapvos-mobility", "nl",
  "We zoeken monteurs in Rotterdam en Utrecht! 🔧 Stuur je cv naar werkenbij@trapvos.nl of kijk op trapvos.nl/werken")
P("x", "@trapvos_hulp", "nl",
  "Betaal je de factuur voor Zakelijk liever handmatig? Ons rekeningnummer is NL25 RABO 0312 4477 60 t.n.v. Trapvos Mobility B.V., o.v.v. je factuurnummer.",
  kind="reply")
P("x", "@lotte_fleetops", "nl",
  "Vraag over je rit? support@trapvos.nl, ze reageren tegenwoordig echt binnen een paar uur")
P("bluesky", "@trapvos.nl", "nl",
  "Storing? Op status.trapvos.nl zie je altijd de actuele status van de app en de betalingen.")
# numbers that fail their checksum
P("x", "@eline_typt", "nl",
  "Bij het handmatig overmaken typte ik ⟦IBAN_BAD⟧ en m'n bankapp zei meteen 'ongeldig rekeningnummer'. Tikfoutje van mezelf 😅 gelukkig checken ze dat")
P("x", "@evi_devops", "en",
  "reminder for the support rota: ticket refs look like ⟦BSN_BAD⟧. those are NOT BSNs, no need to redact them in the handover notes")
P("reddit", "u/receipt_reader", "en",
  "Weird, my Trapvos receipt shows a 16-digit 'transaction ref' ⟦CARD_BAD⟧. Thought it was my card number for a second, but it isn't.")
P("x", "@bonnetjesbewaarder", "nl",
  "Mijn ritnummer was ⟦BSN_BAD⟧, stond zo op de bon. Geen idee waarom die nummers zo lang moeten zijn")
P("facebook", "TrapvosNL", "nl",
  "Let op: oplichters sturen sms'jes met een 'terugbetaling' naar rekening ⟦IBAN_BAD⟧. Dat is niet van ons! Wij vragen nooit om geld over te maken via sms.")
# sample / placeholder / redacted keys, password talk
P("x", "@evi_devops", "en",
  "reminder: our docs use AKIAIOSFODNN7EXAMPLE and wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY as placeholders. if a key in a PR doesn't end in EXAMPLE, flag it")
P("reddit", "u/kees_backend", "en",
  "Updated our README so the example reads GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx. Placeholders only in examples from now on please.")
P("x", "@trapvos", "nl",
  "Let op: Trapvos vraagt nooit om je wachtwoord, pincode of sms-code via DM of telefoon. Trap er niet in! 🦊")
P("linkedin", "priya-raghunathan", "en",
  "Rotated our payment API keys this morning as part of the quarterly routine; the old key (sk_live_…Qx9) is revoked. Boring is good.")
P("x", "@digitaal_opa", "nl",
  "Tip: gebruik een wachtwoordmanager. M'n wachtwoord voor de trapvos app is ******** en zo hoort het ook 😄")
P("x", "@secwithsara", "en",
  "Security tip: texts saying 'your Trapvos account is locked, click here' are phishing. Trapvos doesn't text you links. Report and delete.")
# embargoed terms after `until`
P("linkedin", "trapvos-mobility", "nl",
  "Vandaag publiceren we onze jaarcijfers 2026: 11,4 miljoen ritten en voor het eerst een positieve EBITDA. Het volledige verslag staat op trapvos.nl/investors",
  at="2027-02-25T08:05:00+01:00")
P("x", "@trapvos", "en",
  "Meet Trapvos Cargo 📦 our shared cargo e-bike, live today in Rotterdam and Utrecht!", at="2027-03-16T10:00:00+01:00")
P("x", "@gezin_vd_meer", "nl",
  "VosPas Familie net afgesloten, 4 mensen voor één abonnement. Top voor ons gezin met twee pubers", at="2027-03-22T19:40:00+01:00")
P("bluesky", "@beursbabbel.bsky.social", "en",
  "Trapvos FY2026 results look solid, good for them. Hope that means more bikes in Zwolle.", at="2027-02-27T12:10:00+01:00")
# resolved complaints, sympathy
P("x", "@femkedr", "nl",
  "Update: de dubbele afschrijving is netjes teruggestort door @trapvos_hulp. Duurde even, maar opgelost 👍")
P("x", "@jbowman_ams", "en",
  "Trapvos refunded the parking fine after I sent the GPS screenshot again. Took two days, fair enough. Thanks @trapvos_hulp")
P("facebook", "ans.de.ruiter", "nl",
  "Sterkte aan het team van Trapvos Rotterdam na het overlijden van jullie collega Henk. Altijd vriendelijk bij de hub. 🕯️", kind="comment")
P("x", "@dankbaarding", "en",
  "Sending love to the Trapvos support folks who had to deal with yesterday's storm chaos. You were patient with me and everyone else. 💛")
# ordinary company and employee posts
P("x", "@trapvos", "nl",
  "Vanaf maandag rijden er 300 extra fietsen in Eindhoven 🚲 Welkom, Eindhoven!")
P("instagram", "@trapvos.ride", "en",
  "Meet Farah, one of our night-shift mechanics 🔧 She keeps around 400 scooters rolling every single week.")
P("tiktok", "@trapvos", "nl",
  "Hoe parkeer je een step netjes? Zo 👇 #trapvos #netjesparkeren")
P("linkedin", "daan-kuipers-trapvos", "en",
  "Great panel at the micromobility conference in Amsterdam today on safe parking and street clutter. Thanks for having me!")
P("x", "@mehmetk_tv", "nl",
  "nachtdienst zit erop, 84 accu's gewisseld 🔋 nu slapen")
P("threads", "@noor.opsteeg", "nl",
  "De nieuwe sloten op onze fietsen zijn echt fijner, klikt meteen dicht. Goed werk van het hardware-team!")
P("x", "@jufmarieke", "nl",
  "Trapvos kwam vandaag verkeersles geven op school, de kinderen vonden het geweldig. Geen enkele valpartij 🦺")


# ---------------------------------------------------------------- profile & roles
def load_profile():
    with open(PROFILE_PATH, encoding="utf-8") as f:
        return yaml.safe_load(f)


def role_map(profile):
    m = {}
    for role in ("corporate", "employee"):
        for entry in profile["accounts"][role]:
            m[entry.lower()] = role
    return m


def account_role(roles, platform, handle):
    return roles.get(f"{platform}:{handle}".lower(), "public")


# ---------------------------------------------------------------- identifier candidates
RE_IBAN = re.compile(r"\b(?:NL\d{2} ?[A-Z]{4}(?: ?\d{4}){2} ?\d{2}|BE\d{2}(?: ?\d{4}){3})\b")
RE_CARD = re.compile(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])")
RE_BSN = re.compile(r"(?<![\w.,-])\d{9}(?![\w-])")


def norm_id(s):
    return re.sub(r"[\s-]", "", s).upper()


def candidates(text, public_ibans):
    """(kind, value, passes) for every IBAN, card and BSN look-alike in the text,
    skipping the company's own published IBANs."""
    out = []
    for m in RE_IBAN.finditer(text):
        if norm_id(m.group()) in public_ibans:
            continue
        out.append(("iban", m.group(), iban_ok(m.group())))
    for m in RE_CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if 13 <= len(digits) <= 19:
            out.append(("card", m.group(), luhn_ok(digits)))
    for m in RE_BSN.finditer(text):
        out.append(("bsn", m.group(), bsn_ok(m.group())))
    return out


# ---------------------------------------------------------------- severity (CONTRACT §4)
def rank(s):
    return SEVERITIES.index(s)


def severity_for(cats, role, text, public_ibans):
    insider = role in ("corporate", "employee")
    checksum_id = any(ok for _, _, ok in candidates(text, public_ibans))
    sev = "none"
    for c in cats:
        if c.startswith("leak."):
            if insider:
                s = "error"
                if c in (SCR, PR) or (c == PII and checksum_id):
                    s = "critical"
            else:
                s = "warning"
        elif c == CP:
            s = "warning"
        elif c == CR:
            s = "error"
        elif c == AB:
            s = "error" if insider else "warning"
        else:
            raise AssertionError(f"unexpected category {c}")
        if rank(s) > rank(sev):
            sev = s
    return sev


# ---------------------------------------------------------------- build
TOKEN = re.compile(r"⟦([A-Z_0-9]+)⟧")


def rfc3339(t):
    # Europe/Amsterdam-like offset: +02:00 from the last Sunday of March to the last Sunday of October
    off = 2 if (4 <= t.month <= 9 or (t.month == 3 and t.day >= 29) or (t.month == 10 and t.day < 25)) else 1
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f"+{off:02d}:00"


def random_time_2026():
    start = dt.datetime(2026, 1, 3, 6, 0, 0)
    t = start + dt.timedelta(seconds=rng.randint(0, 358 * 86400))
    if t.hour < 6:
        t = t.replace(hour=t.hour + 7)
    return rfc3339(t)


def make_id(platform, used):
    while True:
        if platform == "x":
            pid = f"x-{rng.randint(1_800_000_000_000_000_000, 1_999_999_999_999_999_999)}"
        elif platform == "reddit":
            pid = "reddit-t1_" + "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(7))
        elif platform == "linkedin":
            pid = f"li-urn-activity-{rng.randint(7_100_000_000_000_000_000, 7_399_999_999_999_999_999)}"
        else:
            pid = f"{platform}-{rng.randint(10**10, 10**11 - 1)}"
        if pid not in used:
            used.add(pid)
            return pid


def build(profile):
    rng.seed(SEED)
    roles = role_map(profile)
    public_ibans = {norm_id(x) for x in profile["public_identifiers"]["ibans"]}
    used, lines = set(), []
    for c in CASES:
        text = TOKEN.sub(lambda m: GENERATORS[m.group(1)](), c["text"])
        pid = make_id(c["platform"], used)
        created = c["at"] or random_time_2026()
        role = account_role(roles, c["platform"], c["handle"])
        post = {"id": pid, "platform": c["platform"], "kind": c["kind"],
                "account": {"handle": c["handle"]}, "text": text, "lang": c["lang"],
                "created_at": created, "brand": "Trapvos"}
        expect = {"categories": c["cats"], "severity": severity_for(c["cats"], role, text, public_ibans)}
        lines.append({"post": post, "expect": expect})
    return lines


# ---------------------------------------------------------------- checks
def parse_rfc3339(s):
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})", s):
        raise ValueError(s)
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


SECRET_PATTERNS = [
    r"\bgh[pousr]_[0-9A-Za-z]{36}\b", r"\bAKIA[A-Z2-7]{16}\b", r"eyJ[\w-]+\.[\w-]+\.[\w-]+",
    r"sk_live_[0-9A-Za-z]{20,}", r"xox[bpa]-\d+-\d+-\w+", r"hooks\.slack\.com/services/T\w+/B\w+/\w+",
    r"sk-proj-[\w-]{40,}", r"sk-ant-api03-[\w-]{80,}", r"glpat-[\w-]{20}", r"SG\.[\w-]{22}\.[\w-]{43}",
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----", r"\w+://[^:\s/]+:[^@\s]+@",
    r"(?i)\b(?:wachtwoord|password|passwd)\b[^:\n]{0,30}:\s*(?!\*+(?:\s|$))\S{6,}",
]


def live_secrets(text):
    """Credentials in the text that look real: sample keys (...EXAMPLE), placeholders (xxxx)
    and GitHub tokens with a wrong checksum are left out."""
    found = []
    for pat in SECRET_PATTERNS:
        for m in re.finditer(pat, text):
            v = m.group()
            if "EXAMPLE" in v or re.search(r"x{8,}|\*{4,}", v):
                continue
            if v.startswith("gh") and not github_checksum_ok(v):
                continue
            found.append(v)
    return found


def check(lines, profile):
    import unicodedata
    errors = []

    def err(i, msg):
        errors.append(f"line {i + 1}: {msg}")

    # profile sanity
    pi = profile["public_identifiers"]
    for ib in pi["ibans"]:
        if not iban_ok(ib):
            errors.append(f"profile IBAN {ib} fails mod-97")
    if len(profile["accounts"]["corporate"]) < 6 or len(profile["accounts"]["employee"]) < 8:
        errors.append("profile: too few accounts")
    if not 15 <= len(profile["products"]) <= 25:
        errors.append("profile: product count")
    if any(p.get("currency") != "EUR" for p in profile["products"]):
        errors.append("profile: currency")
    if profile["pricing"]["alert_below_ratio"] != 0.5:
        errors.append("profile: alert ratio")
    if len(profile["internal"]["codenames"]) != 3 or len(profile["internal"]["markers"]) != 3:
        errors.append("profile: codenames/markers")
    embargo = []
    for e in profile["embargo"]:
        until = parse_rfc3339(e["until"])
        if until.year != 2027:
            errors.append("profile: embargo until not in 2027")
        embargo += [(t.lower(), until) for t in e["terms"]]
    roles = role_map(profile)
    public_ibans = {norm_id(x) for x in pi["ibans"]}
    internal_words = [w.lower() for w in profile["internal"]["codenames"] + profile["internal"]["markers"]
                      + profile["internal"]["domains"]]

    ids = set()
    for i, ln in enumerate(lines):
        if set(ln) != {"post", "expect"}:
            err(i, "top-level keys")
            continue
        p, e = ln["post"], ln["expect"]
        # CONTRACT §1 fields
        if not isinstance(p.get("id"), str) or not 1 <= len(p["id"]) <= 256:
            err(i, "id")
        if p["id"] in ids:
            err(i, "duplicate id")
        ids.add(p["id"])
        if p.get("platform") not in PLATFORMS:
            err(i, "platform")
        if p.get("kind", "post") not in KINDS:
            err(i, "kind")
        if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str) \
                or not p["account"]["handle"]:
            err(i, "account.handle")
        if not isinstance(p.get("text"), str) or not p["text"] or len(p["text"].encode()) > 65536:
            err(i, "text")
        if "⟦" in p["text"] or "⟧" in p["text"]:
            err(i, "unfilled token")
        try:
            created = parse_rfc3339(p["created_at"])
            if created.year not in (2026, 2027):
                err(i, "created_at year")
        except (KeyError, ValueError):
            err(i, "created_at")
            continue
        # CONTRACT §6 expect
        cats, sev = e.get("categories"), e.get("severity")
        if not isinstance(cats, list) or any(c not in ALL_CATS for c in cats) or cats != sorted(set(cats)):
            err(i, f"categories {cats}")
        if "reputation.spike" in cats:
            err(i, "spike on a single post")
        if sev not in SEVERITIES:
            err(i, "severity value")
        if not cats and sev != "none":
            err(i, "benign with severity")
        if cats and rank(sev) < rank("warning"):
            err(i, "positive below warning")
        role = account_role(roles, p["platform"], p["account"]["handle"])
        # severity recomputed from the policy
        want = severity_for(cats, role, p["text"], public_ibans)
        if want != sev:
            err(i, f"severity {sev} != policy {want}")
        text = p["text"]
        # checksums
        for kind, val, ok in candidates(text, public_ibans):
            if cats and not ok:
                err(i, f"{kind} {val} in a positive fails its checksum")
            if not cats and ok:
                err(i, f"{kind} {val} in a negative passes its checksum")
        if PII in cats and role != "public":
            pass
        # secrets
        for m in re.finditer(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", text):
            if bool(cats) != github_checksum_ok(m.group()):
                err(i, f"github token checksum mismatch {m.group()}")
        for m in re.finditer(r"AKIA[0-9A-Z]{16}", text):
            if cats and not re.fullmatch(r"AKIA[A-Z2-7]{16}", m.group()):
                err(i, "AWS key id format")
            if not cats and not m.group().endswith("EXAMPLE"):
                err(i, "AWS key id in a negative that is not a sample")
        for m in re.finditer(r"eyJ[\w-]+\.[\w-]+\.[\w-]+", text):
            h = m.group().split(".")[0]
            try:
                hdr = json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)))
                if "alg" not in hdr:
                    err(i, "JWT header without alg")
            except Exception:
                err(i, "JWT header does not decode")
        norm = unicodedata.normalize("NFKC", text)
        has_secret = bool(live_secrets(norm))
        if SCR in cats and not has_secret:
            err(i, "leak.secret without a recognisable credential")
        if not cats and has_secret:
            err(i, "negative contains a live-looking credential")
        # embargo
        low = norm.lower()
        for term, until in embargo:
            if term in low:
                if not cats and created < until:
                    err(i, f"benign post uses embargo term '{term}' before it lifts")
                if cats and CF in cats and created >= until:
                    err(i, f"confidential embargo post after the embargo lifted")
        if not cats:
            for w in internal_words:
                if w in low:
                    err(i, f"benign post contains internal word '{w}'")
        # authors: leaks mostly insiders, reputation mostly public (reported below)
    if errors:
        return errors
    return []


def summary(lines, profile):
    roles = role_map(profile)
    from collections import Counter
    cat, lang, sev, by_role = Counter(), Counter(), Counter(), Counter()
    benign = 0
    for ln in lines:
        p, e = ln["post"], ln["expect"]
        lang[p["lang"]] += 1
        sev[e["severity"]] += 1
        role = account_role(roles, p["platform"], p["account"]["handle"])
        if not e["categories"]:
            benign += 1
        for c in e["categories"]:
            cat[c] += 1
            by_role[(c, role)] += 1
    return cat, lang, sev, benign, by_role


def main():
    profile = load_profile()
    lines = build(profile)
    again = build(profile)
    if lines != again:
        print("FAIL: generation is not deterministic", file=sys.stderr)
        sys.exit(1)
    with open(OUT_PATH, "w", encoding="utf-8") as f:
        for ln in lines:
            f.write(json.dumps(ln, ensure_ascii=False) + "\n")
    # re-read what was written and check it
    with open(OUT_PATH, encoding="utf-8") as f:
        written = [json.loads(l) for l in f]
    errors = check(written, profile)
    cat, lang, sev, benign, by_role = summary(written, profile)
    n = len(written)
    if not 170 <= n <= 180:
        errors.append(f"{n} cases, want 170-180")
    if not 55 <= benign <= 65:
        errors.append(f"{benign} benign, want about 60")
    nl_share = lang["nl"] / n
    if not 0.48 <= nl_share <= 0.62:
        errors.append(f"Dutch share {nl_share:.2f}, want about 0.55")
    print(f"cases={n} benign={benign} positives={n - benign} nl={lang['nl']} en={lang['en']}")
    for c in sorted(cat):
        roles_txt = ", ".join(f"{r}={by_role[(c, r)]}" for r in ("corporate", "employee", "public") if by_role[(c, r)])
        print(f"  {c:22s} {cat[c]:3d}  ({roles_txt})")
    print("  severities:", dict(sorted(sev.items(), key=lambda kv: rank(kv[0]))))
    if errors:
        print("SELF-CHECK FAILED:", file=sys.stderr)
        for e in errors:
            print("  " + e, file=sys.stderr)
        sys.exit(1)
    print("self-check OK ->", OUT_PATH)


if __name__ == "__main__":
    main()
