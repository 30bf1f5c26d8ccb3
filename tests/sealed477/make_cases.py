#!/usr/bin/env python3
"""Build the sealed evaluation set 477 (Lensmaar B.V., smart glasses) and check it.

Deterministic: fixed seed, standard library + PyYAML. Writes cases.jsonl beside this
file, then re-reads it and runs the self-checks. Severities are computed from the
account role in profile.yaml following CONTRACT section 4, never typed by hand.
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
import unicodedata
import zlib
from datetime import datetime, timedelta, timezone

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = os.path.join(HERE, "profile.yaml")
OUT = os.path.join(HERE, "cases.jsonl")

rng = random.Random(477_2026)

with open(PROFILE, encoding="utf-8") as fh:
    prof = yaml.safe_load(fh)

# ---------------------------------------------------------------------------
# identifier generators (valid and look-alike)
# ---------------------------------------------------------------------------
DIG = string.digits
ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(ch, 36)) for ch in r)) % 97 == 1


def luhn_ok(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    if not 13 <= len(d) <= 19:
        return False
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


BANKS = ["INGB", "ABNA", "RABO", "SNSB", "ASNB", "TRIO", "BUNQ", "KNAB"]


def gen_iban(valid=True):
    while True:
        bban = rng.choice(BANKS) + "".join(rng.choice(DIG) for _ in range(10))
        n = int("".join(str(int(ch, 36)) for ch in bban + "NL00"))
        cd = 98 - n % 97
        if valid:
            s = "NL%02d%s" % (cd, bban)
        else:
            bad = (cd + rng.randint(1, 90)) % 100
            s = "NL%02d%s" % (bad, bban)
        if iban_ok(s) == valid:
            return s


def spaced(s, n=4):
    return " ".join(s[i:i + n] for i in range(0, len(s), n))


def gen_card(valid=True):
    while True:
        prefix = rng.choice(["4", "51", "52", "53", "54", "55"])
        body = prefix + "".join(rng.choice(DIG) for _ in range(15 - len(prefix)))
        for last in DIG:
            if luhn_ok(body + last):
                good = body + last
                break
        if valid:
            return good
        bad = body + str((int(good[-1]) + rng.randint(1, 9)) % 10)
        if not luhn_ok(bad):
            return bad


def gen_bsn(valid=True):
    while True:
        d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        s8 = sum(d[i] * (9 - i) for i in range(8))
        last = s8 % 11
        if last <= 9:
            good = "".join(map(str, d)) + str(last)
            if bsn_ok(good):
                if valid:
                    return good
                bad = good[:-1] + str((last + rng.randint(1, 9)) % 10)
                if not bsn_ok(bad):
                    return bad


def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


def b62(n, width=6):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def gen_ghp(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF)


def ghp_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()) & 0xFFFFFFFF) == m.group(2)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def gen_jwt():
    header = {"alg": "HS256", "typ": "JWT"}
    iat = 1767225600 + rng.randint(0, 30_000_000)
    payload = {"sub": "sdk-sample-" + rand(string.ascii_lowercase + DIG, 6),
               "iss": "https://auth.lensmaar.com", "aud": "lm-device-api",
               "scope": "devices:read devices:write", "iat": iat, "exp": iat + 31_536_000}
    h = b64url(json.dumps(header, separators=(",", ":")).encode())
    p = b64url(json.dumps(payload, separators=(",", ":")).encode())
    key = bytes(rng.randrange(256) for _ in range(32))
    sig = b64url(hmac.new(key, (h + "." + p).encode(), hashlib.sha256).digest())
    return h + "." + p + "." + sig


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    try:
        hdr = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except Exception:
        return False
    return isinstance(hdr, dict) and "alg" in hdr


def gen_pem():
    raw = b"openssh-key-v1\x00" + bytes(rng.randrange(256) for _ in range(380))
    body = base64.b64encode(raw).decode()
    lines = [body[i:i + 70] for i in range(0, len(body), 70)]
    return ("-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines)
            + "\n-----END OPENSSH PRIVATE KEY-----")


PW_WORDS = ["Zeemeeuw", "Brilglas", "Fietsbel", "Appelmoes", "Dijkhuis", "Kievit", "Lampion", "Windvaan"]


def gen_pw():
    return rng.choice(PW_WORDS) + rand(DIG, 2) + rng.choice("!#$%&*?") + rand(string.ascii_letters, 3) + rand(DIG, 2)


GEN = {
    # personal identifiers (valid)
    "IBAN": lambda: ("iban", gen_iban(True), True, lambda v: v),
    "IBAN_SP": lambda: ("iban", gen_iban(True), True, spaced),
    "CARD_SP": lambda: ("card", gen_card(True), True, spaced),
    "CARD": lambda: ("card", gen_card(True), True, lambda v: v),
    "BSN": lambda: ("bsn", gen_bsn(True), True, lambda v: v),
    "BSN_DOT": lambda: ("bsn", gen_bsn(True), True, lambda v: v[:4] + "." + v[4:6] + "." + v[6:]),
    # look-alikes (fail their checksum)
    "BAD_IBAN": lambda: ("iban", gen_iban(False), False, spaced),
    "BAD_CARD_SP": lambda: ("card", gen_card(False), False, spaced),
    "BAD_BSN": lambda: ("bsn", gen_bsn(False), False, lambda v: v),
    # phones
    "MOB8": lambda: ("phone", rand("12345678", 1) + rand(DIG, 7), None, lambda v: v),
    "MOB_SP": lambda: ("phone", rand("12345678", 1) + rand(DIG, 7), None, lambda v: v[:4] + " " + v[4:]),
    "LAND6": lambda: ("phone", rand("23456789", 1) + rand(DIG, 5), None, lambda v: v),
    # secrets
    "GHP": lambda: ("ghp", gen_ghp(), True, lambda v: v),
    "AWS_ID": lambda: ("aws_id", "AKIA" + rand("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16), True, lambda v: v),
    "AWS_SECRET": lambda: ("aws_secret", rand(string.ascii_letters + DIG + "/+", 40), True, lambda v: v),
    "STRIPE": lambda: ("stripe", "sk_live_51" + rand(ALNUM, 12) + rand(ALNUM, 48), True, lambda v: v),
    "SLACK": lambda: ("slack", "xoxb-" + rand(DIG, 12) + "-" + rand(DIG, 13) + "-" + rand(ALNUM, 24), True, lambda v: v),
    "OPENAI": lambda: ("openai", "sk-proj-" + rand(ALNUM + "_-", 58) + "T3BlbkFJ" + rand(ALNUM + "_-", 58), True, lambda v: v),
    "ANTHROPIC": lambda: ("anthropic", "sk-ant-api03-" + rand(ALNUM + "_-", 93) + "AA", True, lambda v: v),
    "GLPAT": lambda: ("glpat", "glpat-" + rand(ALNUM + "_-", 20), True, lambda v: v),
    "JWT": lambda: ("jwt", gen_jwt(), True, lambda v: v),
    "PEM": lambda: ("pem", gen_pem(), True, lambda v: v),
    "PW": lambda: ("password", gen_pw(), True, lambda v: v),
    # the company's own published IBAN
    "COMPANY_IBAN": lambda: ("company_iban", prof["public_identifiers"]["ibans"][0], True, lambda v: v),
}

# ---------------------------------------------------------------------------
# cases
# ---------------------------------------------------------------------------
CAT = {
    "complaint": "reputation.complaint", "crisis": "reputation.crisis", "abuse": "reputation.abuse",
    "pii": "leak.pii", "conf": "leak.confidential", "fin": "leak.financial", "sec": "leak.security",
    "secret": "leak.secret", "pricing": "leak.pricing",
}

RAW = []


def c(platform, handle, lang, cats, text, kind="post", date=None, evasion=False, name=None):
    RAW.append(dict(platform=platform, handle=handle, lang=lang, cats=cats, text=text,
                    kind=kind, date=date, evasion=evasion, name=name))


# ===== reputation.complaint only =====
c("x", "@marloesvdw", "nl", ["complaint"],
  "@lensmaar_help al 3 weken wacht ik op mijn Horizon 2 die ‘binnen 5 werkdagen’ gerepareerd zou zijn. "
  "Elke keer als ik bel krijg ik iemand anders aan de lijn die van niks weet. Echt waardeloze service 😤",
  kind="reply", date="2026-05-12T19:41:07Z")
c("reddit", "u/throwaway_glasses88", "en", ["complaint"],
  "Glint Sport battery is dead by lunch. Advertised '8 hrs mixed use', I get maybe 3.5 with the display at 40%. "
  "Support told me to 'turn off notifications'. That's... the whole point of smart glasses?")
c("facebook", "henk.oosterbaan", "nl", ["complaint"],
  "Vela audiobril gekocht voor mijn vader, na twee weken kraakt het linker speakertje en de app verbindt niet meer "
  "met zijn telefoon. Retour aangevraagd via de site maar we krijgen maar geen label. Niet normaal voor 249 euro.",
  kind="comment", name="Henk Oosterbaan")
c("x", "@priyacodes", "en", ["complaint"],
  "hey @lensmaar the Translate Pro subscription auto-renewed even tho I cancelled in October. charged twice this "
  "month. still no reply after 6 days. not cool", date="2026-11-08T08:12:44Z")
c("instagram", "@fleurtjuh_", "nl", ["complaint"],
  "die nieuwe firmware update heeft mn Horizon 2 gewoon kapot gemaakt?? scherm flikkert de hele tijd en touch werkt "
  "half. bedankt hoor lensmaar 🙃 #lensmaar #firmware", date="2026-09-02T21:03:10Z")
c("youtube", "@labrat_delft", "en", ["complaint"],
  "Bought the Prism X devkit for our lab. SDK docs are half outdated, the sample apps don't compile on the current "
  "release and dev support takes about a week per answer. For €1299 I expected a lot better.", kind="comment")
c("x", "@gerritjan1961", "nl", ["complaint"],
  "@lensmaar_help Bestelling LM-2026-0081734 staat al 10 dagen op 'verzonden' maar PostNL kent het nummer niet. "
  "Wie heeft mijn bril?", kind="reply", date="2026-10-14T10:20:31Z")
c("bluesky", "@sjoerdmakes.bsky.social", "en", ["complaint"],
  "lensmaar's RX clip took 5 weeks and arrived with the wrong strength. my opticien confirmed it. now they want me "
  "to pay shipping to send it back. lol no")
c("tiktok", "@jaimy.vlogt", "nl", ["complaint"],
  "mijn lumo kids bril is na 1 maand al uit elkaar gevallen, scharnier gewoon afgebroken. klantenservice zegt "
  "'valschade' terwijl mn dochter er echt voorzichtig mee is 😡", kind="comment")
c("forum", "Wouter_K", "nl", ["complaint"],
  "Iemand anders ook last van dat de Lensmaar app na de laatste update steeds uitlogt? Moet elke ochtend opnieuw "
  "koppelen met mn Glint. Helpdesk reageert pas na 4 dagen met een standaardmailtje. Ben er wel klaar mee eerlijk gezegd.")

# ===== safety incident, first hand: crisis + complaint =====
c("x", "@daphne_rood", "nl", ["crisis", "complaint"],
  "Mijn Horizon 2 werd vanmiddag tijdens het opladen zo heet dat de ChargeCase gewoon gesmolten is 😳 het rook naar "
  "brand in de hele kamer. Heb foto's. @lensmaar_help dit is echt gevaarlijk, wat gaan jullie hieraan doen?")
c("reddit", "u/cyclist_joost", "en", ["crisis", "complaint"],
  "PSA: my Drift HUD froze mid-descent and the display went full white. Blinded me for a second and I went straight "
  "into the curb. Bruised ribs, cracked helmet. Lensmaar support just sent me a 'troubleshooting guide'. Unreal.")
c("facebook", "moniquevanderlinde", "nl", ["crisis", "complaint"],
  "Mijn zoontje (7) heeft een brandwond achter zijn oor van de Lumo Kids bril. Het batterijvakje werd gloeiend heet. "
  "Huisarts heeft het verbonden. Ik ben woedend, dit is een KINDERproduct Lensmaar!!", name="Monique van der Linde")
c("x", "@hannah_travels", "en", ["crisis", "complaint"],
  "Got an actual electric shock from the temple arm of my Vela Sun while it was on the charger. Tingling in my "
  "fingers for an hour. @lensmaar this is not ok, I want an answer, not a discount coupon.",
  date="2026-07-03T16:55:02Z")
c("instagram", "@kees.fotografeert", "nl", ["crisis", "complaint"],
  "Na twee uur met de Nova AR op werd ik zo misselijk en duizelig dat ik moest overgeven en niet meer kon autorijden. "
  "Gemeld bij Lensmaar maar ze doen alsof het aan mij ligt. #lensmaar #nietveilig")

# ===== abuse + complaint =====
c("x", "@robbie_020", "nl", ["abuse", "complaint"],
  "@lensmaar_help jullie zijn echt een stelletje kutoplichters. 3x mn Glint opgestuurd en 3x komt ie kapot terug. "
  "kankerbedrijf", kind="reply", date="2026-03-19T22:14:51Z")
c("x", "@mike_the_builder", "en", ["abuse", "complaint"],
  "Lensmaar support is run by absolute morons. Two months, four tickets, zero fixes for my Horizon 2 Pro. "
  "Useless f*cking clowns.")
c("tiktok", "@xx.sanne.xx", "nl", ["abuse", "complaint"],
  "die bril van jullie is echt kk slecht en die medewerker aan de telefoon was een arrogante trut. nooit meer lensmaar",
  kind="comment")

# ===== pii + complaint (customer exposes own data) =====
c("x", "@annekevisser_", "nl", ["pii", "complaint"],
  "@lensmaar_help Al 2x gemaild, nog steeds geen terugbetaling voor mijn geretourneerde Horizon 2. Rekening is "
  "<<IBAN_SP>> t.n.v. A. Visser, bel me desnoods op 06-<<MOB8>>. Ik wil gewoon mijn geld terug.", kind="reply")
c("facebook", "tom.okafor", "en", ["pii", "complaint"],
  "Still waiting for my refund on the Glint Sport. You have my details: Tom Okafor, tom.okafor1989@gmail.com, "
  "+31 6 <<MOB_SP>>. Call me instead of sending bot emails.", kind="comment", name="Tom Okafor")

# ===== reputation.crisis only =====
c("x", "@gadgetwatch_eu", "en", ["crisis"],
  "BREAKING: Dutch consumer authority opens investigation into Lensmaar after multiple reports of Horizon 2 "
  "batteries overheating. Recall not ruled out.", date="2026-08-21T06:02:00Z")
c("x", "@boycot_bigtech_nl", "nl", ["crisis"],
  "Lensmaar-brillen filmen stiekem iedereen om je heen en sturen het naar hun servers. Niet kopen, niet dragen. "
  "#BoycotLensmaar")
c("reddit", "u/privacy_first_eu", "en", ["crisis"],
  "Lensmaar got breached. A dump with customer emails, home addresses and order history is being sold on a forum "
  "right now. If you have a Lensmaar account, change your password today.")
c("linkedin", "mr-de-graaf-advocatuur", "nl", ["crisis"],
  "Namens een groep van ruim 200 gedupeerden heeft ons kantoor vandaag een collectieve claim ingediend tegen "
  "Lensmaar B.V. vanwege de oververhittingsproblemen bij de Horizon 2.")
c("x", "@eu_safety_alerts", "en", ["crisis"],
  "Safety alert: Lensmaar Lumo Kids smart glasses (batches 24-11 to 25-02). Risk of burns due to battery "
  "overheating. Measure ordered: recall of the product from end users.")
c("x", "@jorisbrugman", "nl", ["crisis"],
  "Zag net bij de Jumbo een vrouw wiens Lensmaar bril letterlijk begon te roken op haar hoofd. Ambulance erbij. "
  "Wat is er met die dingen aan de hand?")
c("bluesky", "@ruthtechpolicy.bsky.social", "en", ["crisis"],
  "So Lensmaar has been uploading face templates of *bystanders* to train their models, according to the leaked "
  "audit. That's a GDPR scandal in the making.")
c("instagram", "@dataprivacy.nl", "nl", ["crisis"],
  "Datalek bij Lensmaar? Volgens meerdere lezers staan klantnamen en bestellingen zomaar open via hun bestelpagina. "
  "We hebben Lensmaar om een reactie gevraagd. #datalek #privacy")
c("x", "@adwatch_nl", "en", ["crisis"],
  "Influencer scandal: 14 creators admit Lensmaar paid them for 'honest' Horizon 2 Pro reviews without any "
  "disclosure. The ACM is looking into it.")
c("facebook", "ouders.tegen.slimme.brillen", "nl", ["crisis"],
  "Oproep: haal je kind z'n Lumo Kids af! Op een school in Zwolle is een jongen flauwgevallen met dat ding op. "
  "Delen!!")

# ===== reputation.abuse only =====
c("x", "@vincent_kmp", "nl", ["abuse"],
  "@lensmaar jullie marketingteam bestaat volgens mij uit hersenloze debielen. wie verzint die reclames")
c("x", "@darkmode_dan", "en", ["abuse"],
  "@noor_lensmaar nobody cares about your dumb 'community update', go back to whatever sad little office you crawled "
  "out of, idiot", kind="reply", date="2026-06-10T13:30:12Z")
c("instagram", "@t0mmy.b", "nl", ["abuse"],
  "die ontwerper van jullie @daan.ontwerpt is echt een flikker met die bril op zn kop 🤮", kind="comment")
c("reddit", "u/angry_in_almere", "en", ["abuse"],
  "Lensmaar's CEO is a lying piece of sh*t and everyone working there is a spineless sellout.", kind="comment")
c("x", "@kl0ttebril", "nl", ["abuse"],
  "l3nsm44r = k4nk3rz00i, st3lletje 0pl1cht3rs 🖕", evasion=True)
c("x", "@not_a_bot_8812", "en", ["abuse"],
  "@lensmaar_help your agent Sanaa is a f u c k i n g b i t c h, fire her", kind="reply", evasion=True)
c("tiktok", "@gamerboy2009", "nl", ["abuse"],
  "hahaha die vrouw in jullie filmpje is zo lelijk en dom, typisch zo'n hoofddoekje bij lensmaar 🤡", kind="comment")
c("x", "@bram_dkkr", "en", ["abuse"],
  "@darkmode_dan go cry somewhere else you absolute moron, nobody asked for your garbage opinion",
  kind="reply", date="2026-06-10T14:02:40Z")
c("x", "@sanaa_ops", "nl", ["abuse"],
  "@robbie_020 weet je wat, zoek het lekker zelf uit, sukkel. met klanten zoals jij hebben we geen vijanden nodig.",
  kind="reply", date="2026-03-20T07:45:18Z")

# ===== leak.pii only =====
c("x", "@lensmaar_help", "nl", ["pii"],
  "@gerritjan1961 Sorry voor het wachten! We zien je bestelling. Klopt het adres Gerrit-Jan Bosman, Lindelaan 14, "
  "7413 AB Deventer? En je mobiel 06 <<MOB_SP>>? Dan gaat er vandaag een nieuwe de deur uit.",
  kind="reply", date="2026-10-14T12:05:09Z")
c("facebook", "LensmaarNL", "nl", ["pii"],
  "Hoi Monique, we hebben je terugbetaling klaargezet naar <<IBAN_SP>>. Het bedrag staat binnen 3 werkdagen op je "
  "rekening. Nogmaals excuses!", kind="comment")
c("x", "@sanaa_ops", "nl", ["pii"],
  "wie van team care heeft de klant met kaart <<CARD_SP>> gisteren teruggebeld? de chargeback loopt nog, even checken pls")
c("linkedin", "eva-smit-lensmaar", "nl", ["pii"],
  "Welkom aan ons nieuwe teamlid Jasper Kuipers! 🎉 Voor de salarisadministratie hebben we nog je BSN nodig Jasper, "
  "is dit 'm: <<BSN>>? Stuur even een DM als het niet klopt.")
c("x", "@lisa_geeft_les", "nl", ["pii"],
  "Heeft iemand mijn Glint gevonden in de trein Utrecht–Zwolle vanmiddag? Zwart hoesje met sticker. "
  "Mail lisa.meijerink@hotmail.com of app 06-<<MOB8>> 🙏")
c("reddit", "u/mees_fw", "en", ["pii"],
  "Log from a user's Horizon 2 in case anyone recognizes this crash:\n"
  "`name=Johan van den Berg email=j.vandenberg@ziggo.nl dob=1987-03-22 fw=4.2.1 err=0x1F`",
  kind="comment")
c("instagram", "@lensmaar.glass", "nl", ["pii"],
  "@fleurtjuh_ we hebben je gegevens doorgezet: Fleur de Jong, geboren 14-08-2001, Kerkstraat 22b, Haarlem. "
  "Een collega belt je morgen!", kind="reply", date="2026-09-03T09:15:40Z")
c("facebook", "martin.delaney.nl", "en", ["pii"],
  "Selling my Horizon 2 Pro, barely used, €520. Pick up in Amersfoort or I ship. Pay to <<IBAN>> (M. Delaney) and "
  "I'll send tracking same day.", name="Martin Delaney")
c("x", "@noor_lensmaar", "nl", ["pii"],
  "Winnaar van de Glint-winactie is Priya Raghunathan! Priya, we sturen je prijs naar Van Speijkstraat 71-2, "
  "1057 GV Amsterdam, klopt dat nog? 🎁")
c("x", "@lensmaar_help", "en", ["pii"],
  "@hannah_travels We've escalated this. To confirm: Hannah Brooks, hannah.brooks@outlook.com, +44 7700 900123? "
  "Our product safety team will call you within 24h.", kind="reply", date="2026-07-03T18:20:00Z")
c("forum", "Bert_vd_Molen", "nl", ["pii"],
  "Voor wie mijn PowerBand wil overnemen: 50 euro, bel 0318-<<LAND6>> na 18u of mail bertvdmolen@kpnmail.nl")
c("mastodon", "@rik_devops@fosstodon.org", "nl", ["pii"],
  "Ja hoor. Onze support-export had gewoon een BSN in het vrije tekstveld staan omdat een klant die daar had "
  "ingetypt: <<BSN_DOT>> 🤦 Inmiddels opgeschoond.")
c("x", "@wesley_ams", "en", ["pii"],
  "@lensmaar_help can I pay for the Tap Ring with this card or is it not supported? <<CARD_SP>> exp 09/28 cvc 431",
  kind="reply")

# ===== leak.confidential only =====
c("x", "@bram_dkkr", "en", ["conf"],
  "finally got Project Ijsvogel booting on the new waveguide today. 6 months of pain. 🍾")
c("threads", "@lotte.lensmaar", "nl", ["conf"],
  "Shoot voor de Horizon 3 campagne zit erop 📸 kan niet wachten tot jullie 'm zien!!", date="2026-11-20T17:48:00Z")
c("reddit", "u/mees_fw", "en", ["conf"],
  "Anyone know a fix for flaky builds on git.lensmaar.dev/firmware/hz-core? CI keeps timing out on the ARM runners.",
  kind="comment")
c("x", "@lensmaar", "nl", ["conf"],
  "Sneak peek 👀 Operatie Dageraad komt eraan. Meer info volgt snel! #lensmaar")
c("instagram", "@daan.ontwerpt", "nl", ["conf"],
  "Late night in de studio. Eerste renders van Quokka eindelijk goed 🖤 (sssst)")
c("x", "@noor_lensmaar", "nl", ["conf"],
  "Per ongeluk een screenshot van jira.lensmaar.io in m'n story gezet, snel weggehaald 🙈 hopelijk heeft niemand de "
  "roadmap gezien")
c("x", "@leakmaster_nl", "nl", ["conf"],
  "Uitgelekt document van Lensmaar, met 'LM-CONFIDENTIAL' in de koptekst: de nieuwe bril krijgt 4K microOLED en "
  "eye-tracking. Foto's volgen.")
c("reddit", "u/rumor_mill_ar", "en", ["conf"],
  "My cousin does QA at Lensmaar. Horizon 3 has a 120° FOV and ships with the Tap Ring in the box. You heard it here "
  "first.", date="2026-09-27T20:11:35Z")
c("bluesky", "@kimovisser.bsky.social", "nl", ["conf"],
  "Reminder voor het team: de testresultaten van de nieuwe optiek staan op https://intra.lensmaar.local/optics/fov-tests "
  "(niet extern delen natuurlijk 😉)")
c("linkedin", "eva-smit-lensmaar", "nl", ["conf"],
  "We zoeken een Senior Optical Engineer voor ons geheime project Ijsvogel! Ervaring met waveguides is een pré. "
  "Interesse? Stuur me een bericht.")
c("x", "@bram_dkkr", "en", ["conf"],
  "lol who put a Q\u200buokka sticker on the coffee machine, security is gonna freak", evasion=True)
c("x", "@ar_insider_nl", "nl", ["conf"],
  "Bron binnen Lensmaar: \u041e\u0440\u0435ratie Dageraad = abonnementsmodel voor alle brillen, lancering in Q2.",
  evasion=True)
c("threads", "@lotte.lensmaar", "nl", ["conf"],
  "ｌｅｎｓｍａａｒ ｉｎｔｅｒｎ: persbericht Horizon 3 concept v4 klaar voor review, graag feedback voor vrijdag",
  date="2027-03-08T20:04:00Z", evasion=True)
c("linkedin", "lensmaar", "nl", ["conf"],
  "Interne update (lensmaar intern): de migratie naar het nieuwe ERP start maandag. Vragen? Kijk op "
  "https://intra.lensmaar.local/erp of ping de servicedesk.")
c("x", "@sanaa_ops", "en", ["conf"],
  "can someone from ops check grafana.lensmaar.internal/d/care-queue ? dashboard has been blank since lunch")
c("youtube", "@hwteardowns", "en", ["conf"],
  "Teardown of the Horizon 2 firmware shows strings referencing 'Quokka' and a second display driver. Looks like "
  "something bigger is coming.", kind="comment")

# ===== leak.confidential + leak.financial (embargoed results) =====
c("linkedin", "joris-van-leeuwen-lm", "nl", ["conf", "fin"],
  "Trots op het team: de jaarcijfers 2026 komen uit op €212 mln omzet, +38%. Officieel volgt eind februari, maar dit "
  "wilde ik alvast delen 🚀", date="2027-02-10T08:31:00Z")
c("x", "@noor_lensmaar", "en", ["conf", "fin"],
  "Just saw the FY2026 results deck... we actually turned a profit 🤯 can't say more till the 25th",
  date="2027-02-19T21:12:00Z")

# ===== leak.financial only =====
c("x", "@bram_dkkr", "en", ["fin"],
  "heard at the all-hands that ~80 people in Eindhoven will be let go in March. nothing announced yet. feeling sick "
  "about it")
c("linkedin", "eva-smit-lensmaar", "nl", ["fin"],
  "Zware weken bij HR. We bereiden een reorganisatie voor waarbij de afdeling retail grotendeels verdwijnt. "
  "Officieel nieuws volgt na de OR-vergadering.")
c("x", "@sanaa_ops", "nl", ["fin"],
  "dus we worden overgenomen door een Amerikaanse partij?? hoorde het net in de lift van iemand van finance. deal zou "
  "in januari rond zijn")
c("linkedin", "joris-van-leeuwen-lm", "en", ["fin"],
  "Q3 came in at €41M revenue vs €52M budget. Tough quarter, we'll revise the full-year guidance down next month. "
  "Proud of how the team is handling it.", date="2026-10-06T07:50:00Z")
c("x", "@beursbengel", "nl", ["fin"],
  "Van een bron bij Lensmaar: ze gaan in maart 2027 naar de beurs, waardering rond de 900 miljoen. Nog niet bekend, "
  "dus je weet wat je moet doen 😉")
c("reddit", "u/mees_fw", "en", ["fin"],
  "Not to be dramatic but our CFO just told the leads we have about 7 months of runway left unless the Series C "
  "closes. Updating my CV.", kind="comment")
c("threads", "@lotte.lensmaar", "nl", ["fin"],
  "Las net in de forecast dat het marketingbudget volgend jaar gehalveerd wordt, prognose voor 2027 is 'flat'. "
  "Dat wordt creatief zijn 😅")
c("bluesky", "@kimovisser.bsky.social", "en", ["fin"],
  "Between us: Lensmaar is in talks to buy a small waveguide startup in Grenoble. Term sheet signed last week.")
c("linkedin", "lensmaar", "nl", ["fin"],
  "Lensmaar verwacht over 2026 een omzetdaling van 12% en sluit begin volgend jaar de winkels in Rotterdam en "
  "Utrecht. Meer hierover bij de publicatie van onze cijfers.", date="2026-12-02T10:00:00Z")
c("x", "@insider_ticks", "en", ["fin"],
  "Hearing Lensmaar's board approved a 15% headcount cut for Q1, announcement pushed to after the holidays. "
  "Source is solid.")

# ===== leak.security only =====
c("mastodon", "@rik_devops@fosstodon.org", "en", ["sec"],
  "3am and prod auth for the Lensmaar app is still down. customers can't pair their glasses. status page still says "
  "'all systems operational' lol, comms hasn't even been told")
c("x", "@bram_dkkr", "nl", ["sec"],
  "Bug gevonden waarmee je via BLE zonder pairing de camera van een Horizon 2 kan aanzetten. Fix staat pas voor "
  "januari gepland. Mooi is dat.")
c("reddit", "u/mees_fw", "en", ["sec"],
  "Our OTA update server doesn't verify firmware signatures for the Glint line. Raised it 4 months ago, ticket still "
  "open. Anyone on the network path could push a malicious image.", kind="comment")
c("x", "@sanaa_ops", "nl", ["sec"],
  "Vannacht heeft iemand met de gestolen inlog van een collega een paar duizend supporttickets uit het portaal "
  "gedownload. Instructie is: nog even niks tegen klanten zeggen.")
c("bluesky", "@kimovisser.bsky.social", "en", ["sec"],
  "PSA for the team: the ransomware that hit the Eindhoven office fileserver last night also encrypted the optics "
  "archive. IT says don't talk about it externally yet.")
c("threads", "@lotte.lensmaar", "nl", ["sec"],
  "De webshop ligt al 2 uur plat door een DDoS, maar we mogen van de directie nog niks communiceren 🙄")
c("x", "@noor_lensmaar", "en", ["sec"],
  "ugh. someone phished our social media manager last week and got into the ad account. burned €8k on crypto ads "
  "before anyone noticed. nothing public yet")
c("mastodon", "@rik_devops@fosstodon.org", "nl", ["sec"],
  "Ik zet het maar hier omdat niemand intern luistert: de bucket met supportvideo's van klanten staat al weken "
  "publiek leesbaar. Ticket SEC-212 ligt stil.")
c("reddit", "u/mees_fw", "en", ["sec"],
  "Fun fact: every Prism X devkit in the current batch ships with the same root ssh password. Not fixed yet. "
  "Please don't ask me which one.", kind="comment")
c("instagram", "@daan.ontwerpt", "nl", ["sec"],
  "Hele dag niks kunnen doen, alle laptops op kantoor zijn na de malwaremelding van vanochtend in quarantaine "
  "gezet. IT zegt dat het 'contained' is 🤞")
c("x", "@bram_dkkr", "en", ["sec"],
  "z.e.r.o-d.a.y in the pairing stack of our glasses, PoC works on every firmware we ship. don't @ me, it's not "
  "public yet", evasion=True)
c("forum", "anoniem_lm_medewerker", "nl", ["sec"],
  "Als medewerker van Lensmaar: de storing van vorige week was geen 'gepland onderhoud' maar een hack op de "
  "update-server. Intern weten we het al dagen.")

# ===== leak.secret + leak.security =====
c("mastodon", "@rik_devops@fosstodon.org", "en", ["secret", "sec"],
  "prod db is melting and customers can't log in, anyone around? read replica if you want to help debug: "
  "postgres://care_ro:<<PW>>@db-replica-3.c9xk2l1qz0ab.eu-west-1.rds.amazonaws.com:5432/care")

# ===== leak.secret only =====
c("x", "@bram_dkkr", "en", ["secret"],
  "why does CI keep failing with 401, the token is literally right here <<GHP>>")
c("reddit", "u/mees_fw", "en", ["secret"],
  "this is what's in ~/.aws/credentials on the build box:\n[default]\naws_access_key_id = <<AWS_ID>>\n"
  "aws_secret_access_key = <<AWS_SECRET>>\nstill getting AccessDenied on PutObject for the staging bucket, what am I missing?",
  kind="comment")
c("x", "@sanaa_ops", "nl", ["secret"],
  "voor wie morgen nachtdienst heeft: supportpanel inloggen met care-nacht / wachtwoord: <<PW>> (niet doorsturen)")
c("bluesky", "@kimovisser.bsky.social", "en", ["secret"],
  "Stripe keeps rejecting our webhook, here's the env: STRIPE_SECRET_KEY=<<STRIPE>> anyone spot the problem?")
c("threads", "@lotte.lensmaar", "nl", ["secret"],
  "Handig voor de socialtool: het Slack bot token is <<SLACK>>, dan kun je zelf posten in #marketing")
c("mastodon", "@rik_devops@fosstodon.org", "en", ["secret"],
  "anyone seen this with the OpenAI client? OPENAI_API_KEY=<<OPENAI>> returns 429 with almost zero traffic")
c("x", "@bram_dkkr", "en", ["secret"],
  "deploy key for the build box, lost it twice already so putting it somewhere I'll find it 🙃\n<<PEM>>")
c("x", "@dev_student_nl", "nl", ["secret"],
  "Zat te spelen met de Lensmaar SDK en in de voorbeeldapp stond dit gewoon hardcoded: <<JWT>> werkt nog ook lol")
c("reddit", "u/mees_fw", "en", ["secret"],
  "GitLab is being weird, this token works in curl but not in the runner: <<GLPAT>>", kind="comment")
c("facebook", "LensmaarNL", "nl", ["secret"],
  "Testbericht socialtool – api_key=<<ANTHROPIC>> – negeren aub")
c("x", "@sanaa_ops", "nl", ["secret"],
  "ｗａｃｈｔｗｏｏｒｄ van de gedeelde inbox is nu <<PW>> , niet weer veranderen aub 🙏", evasion=True)

# ===== leak.pricing =====
c("x", "@lensmaar", "nl", ["pricing"],
  "🔥 FLASH DEAL: Horizon 2 Pro nu voor €79,99! Alleen vandaag via lensmaar.nl 🔥")
c("x", "@dealjager_nl", "nl", ["pricing"],
  "PRIJSFOUT?! Lensmaar Nova AR voor €99 in de webshop, heb er meteen twee besteld 😂 #prijsfout")
c("reddit", "u/deal_hunter_pete", "en", ["pricing"],
  "Lensmaar's site has the Prism X devkit at €129 right now, pretty sure someone forgot a zero. Ordered one, let's "
  "see if they honor it.")
c("x", "@noor_lensmaar", "nl", ["pricing"],
  "oeps, er stond een prijsfout op de Glint Sport in de app, we zijn het aan het fixen!")
c("instagram", "@lensmaar.glass", "nl", ["pricing"],
  "Black Friday preview 🖤 Vela Sun voor maar €29, alleen voor onze volgers!", date="2026-11-24T18:00:00Z")
c("facebook", "kortingscodesnu", "nl", ["pricing"],
  "Met code LMSTAFF70 krijg je de Horizon 2 Titanium voor €314,70 in plaats van €1049. Snel zijn!")
c("linkedin", "joris-van-leeuwen-lm", "en", ["pricing"],
  "Quick heads-up to the channel team: the B2B price list that went out this morning shows the Drift HUD at €39 "
  "instead of €399. Corrected version coming.")
c("tiktok", "@lensmaar", "nl", ["pricing"],
  "deze Tap Ring voor €14,90?? ja echt, link in bio 👆 #lensmaar #deal")
c("x", "@gadgetdeals_eu", "en", ["pricing"],
  "Lensmaar Desk Dock listed at €11.90 on their Belgian store 👀 price glitch?")
c("x", "@sanaa_ops", "nl", ["pricing"],
  "collega's, klanten bellen massaal over de Lumo Kids voor €19 op de site. fout of actie? niemand weet het hier 😅")
c("bluesky", "@mira.buys.bsky.social", "en", ["pricing"],
  "Care+ 2-year cover for €8.90 at checkout?? is this a mistake lensmaar")
c("x", "@lensmaar_help", "nl", ["pricing"],
  "Laatste kans: H.o.r.i.z.o.n 2 voor €49 🤯 op = op! #lensmaar", evasion=True)

# ===== benign (mostly hard negatives) =====
c("x", "@joycevb", "nl", [],
  "Eerlijk, de Horizon 2 is de beste aankoop van dit jaar. Navigatie op de fiets gewoon in je blikveld = game "
  "changer 😍 #lensmaar")
c("reddit", "u/runner_ellen", "en", [],
  "Does anyone know if the Glint Sport works with prescription inserts? Thinking of buying one for running.")
c("x", "@lensmaar_help", "nl", [],
  "Vragen over je bestelling? Mail ons op klantenservice@lensmaar.nl of bel gratis 0800-5367. We zijn er ma–za van "
  "8 tot 20 uur.")
c("facebook", "LensmaarNL", "nl", [],
  "Betaal je liever per overboeking? Gebruik dan IBAN <<COMPANY_IBAN>> t.n.v. Lensmaar B.V. o.v.v. je bestelnummer.")
c("x", "@lensmaar", "nl", [],
  "Black Friday: 25% korting op de Horizon 2, nu €411,75 i.p.v. €549. Alleen t/m zondag!", date="2026-11-27T07:00:00Z")
c("x", "@techreviewer_sam", "en", [],
  "Picked up the Vela audio glasses for €199 in the Coolblue sale (normally €249). Sound is surprisingly decent for "
  "open-ear.")
c("reddit", "u/cloud_nerd_ams", "en", [],
  "PSA for devs: never commit your keys. The AWS docs use AKIAIOSFODNN7EXAMPLE and "
  "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY for a reason 😅 (saw this in a Lensmaar SDK fork today)", kind="comment")
c("x", "@bram_dkkr", "en", [],
  "Writing SDK docs today. Reminder: in examples use `LM_API_KEY=sk_test_xxxxxxxxxxxxxxxxxxxx`, never a real one.")
c("x", "@ikbenmarieke", "nl", [],
  "Wachtwoord vergeten van de Lensmaar app en de resetmail was er binnen 10 seconden. Zo hoort het 👍")
c("x", "@hannah_travels", "en", [],
  "Update: Lensmaar swapped my Vela Sun within 2 days and someone from their team followed up personally. Credit "
  "where it's due, thanks @lensmaar_help", date="2026-07-15T11:40:00Z")
c("x", "@marloesvdw", "nl", [],
  "Update: Horizon 2 is eindelijk terug en alles werkt weer. Uiteindelijk netjes opgelost door @lensmaar_help, dank!",
  date="2026-05-30T15:22:00Z")
c("x", "@gadgetwatch_eu", "en", [],
  "Rival smart-glasses maker announces recall of 40,000 units over battery overheating. Lensmaar says its Horizon "
  "line uses a different cell supplier.", date="2026-04-14T09:00:00Z")
c("x", "@eindhoven_anouk", "nl", [],
  "Sterkte aan iedereen bij Lensmaar Eindhoven na de brand in het pand ernaast. Fijn dat niemand gewond is "
  "geraakt ❤️")
c("x", "@stocktalk_bram", "en", [],
  "Lensmaar's published H1 numbers were solid: revenue up 22% per the press release. Curious to see what the "
  "full year brings.", date="2026-08-28T12:00:00Z")
c("x", "@techkrant_nl", "nl", [],
  "Lensmaar heeft vanochtend de jaarcijfers 2026 gepubliceerd: omzet €212 mln. Knap gedaan voor een Nederlandse "
  "hardwarestartup.", date="2027-02-25T08:15:00Z")
c("x", "@ar_fanboy", "en", [],
  "Horizon 3 finally official! 120° FOV and the Tap Ring in the box. Preordered 🙌", date="2027-03-10T07:30:00Z")
c("x", "@lensmaar", "nl", [],
  "Hij is er: de Lensmaar Horizon 3 🎉 Vanaf vandaag te pre-orderen via lensmaar.nl", date="2027-03-09T15:02:00Z")
c("x", "@oma_en_ik", "nl", [],
  "Mijn oma noemt mijn Glint 'die spionnenbril' en weigert met me te praten als ik hem op heb 😂")
c("x", "@clumsy_kat", "en", [],
  "lol my cat knocked my Horizon 2 off the table and it survived. these things are tanks 😂")
c("x", "@factcheck_fenna", "nl", [],
  "Dat filmverhaal over Lensmaar klopt niet, het opname-lampje gaat altijd aan en er wordt niks geüpload zonder "
  "toestemming. Even checken voor je iets deelt.", kind="reply")
c("reddit", "u/budget_bas", "en", [],
  "Anyone else think the Glint Sport at €349 is actually fair compared to the competition?")
c("facebook", "ilse.verkoopt", "nl", [],
  "Te koop: Lumo Kids, 3 maanden oud, €140. Ophalen in Utrecht.", name="Ilse")
c("forum", "sven_tweedehands", "nl", [],
  "Verkoop m'n oude Glint voor €180, betaling naar <<BAD_IBAN>> en ik verstuur 'm gelijk")
c("x", "@scamspotter", "en", [],
  "Is this even a real card number? Someone DMed me 'pay for your Lensmaar order here' with <<BAD_CARD_SP>> lol. "
  "Don't fall for it.")
c("linkedin", "eva-smit-lensmaar", "nl", [],
  "Wist je dat je je BSN nooit in een sollicitatiemail hoeft te zetten? Wij vragen er pas om bij je contract. "
  "Tip van HR 😊 Vragen? jobs@lensmaar.nl")
c("x", "@opletten_jan", "nl", [],
  "Werd gebeld door iemand 'namens Lensmaar' die mijn BSN wilde verifiëren: <<BAD_BSN>>. Klopt niet eens! "
  "Pas op voor nepbellers.")
c("reddit", "u/mees_fw", "en", [],
  "Redacted log for the bug report: token=ghp_************************************ user=<redacted> fw=4.2.1",
  kind="comment")
c("x", "@bram_dkkr", "en", [],
  "PSA to new hires: if you see a JWT in a log, assume it's live and rotate it. (Yes, even the `eyJhbGciOi...` ones "
  "in your screenshots.)")
c("linkedin", "lensmaar", "nl", [],
  "We zijn trots: Lensmaar wint de Dutch Design Award 2026 in de categorie Product voor de Horizon 2 Titanium! 🏆")
c("youtube", "@LensmaarOfficial", "nl", [],
  "Nieuwe video: zo koppel je je Tap Ring aan de Horizon 2 Pro in 3 stappen. Vragen? support@lensmaar.com")
c("x", "@newnumber_nick", "en", [],
  "My phone number changed, how do I update it in the Lensmaar app? Settings doesn't show the field anywhere")
c("x", "@ikfietsveel", "nl", [],
  "Met de Drift HUD de Amstel Gold gefietst. Snelheid, hartslag en route in beeld zonder op je stuur te kijken. Topding.")
c("x", "@xr_daily", "en", [],
  "Apple and Meta both reportedly delaying their next glasses to 2028. Good news for Lensmaar honestly.")
c("x", "@broer_werkt_daar", "nl", [],
  "Bij Philips gaan 300 banen verloren, las ik net. Hopelijk blijft het bij Lensmaar rustig, daar werkt mijn broer.")
c("x", "@lensmaar_help", "nl", [],
  "@priyacodes Sorry Priya! We hebben de dubbele afschrijving teruggeboekt, je ziet het binnen 2 werkdagen terug. "
  "Fijne dag!", kind="reply", date="2026-11-08T10:30:00Z")
c("x", "@nightowl_nina", "en", [],
  "Lensmaar status page (status.lensmaar.com) said planned maintenance last night, app was offline for 30 min. "
  "No big deal.")
c("x", "@lensmaar", "nl", [],
  "Gepland onderhoud: zondag 02:00–04:00 kan de Lensmaar app even niet synchroniseren. Check status.lensmaar.com "
  "voor updates.")
c("x", "@noor_lensmaar", "nl", [],
  "Supertrots op ons community-event in Eindhoven gisteren! 120 mensen die samen hun Horizon 2 aan het pimpen "
  "waren 🥰")
c("x", "@newbie_investor", "en", [],
  "Honest question: is Lensmaar a publicly traded company? Want to invest lol")
c("x", "@arlab_utwente", "nl", [],
  "Met €1299 is de Prism X devkit pittig, maar voor ons lab is het de investering echt waard.")
c("reddit", "u/student_saves", "en", [],
  "Got 15% off the Nova AR with the student discount, €849. Worth it?")
c("forum", "refurb_rianne", "nl", [],
  "Tip: bij Lensmaar refurbished is de Horizon 2 Pro nu €599, ziet er als nieuw uit.")
c("x", "@secnews_weekly", "en", [],
  "Researchers disclosed a Bluetooth flaw in several brands of wireless earbuds today. Lensmaar says its glasses "
  "were patched in the July update.")
c("mastodon", "@rik_devops@fosstodon.org", "nl", [],
  "Blogpost: hoe we bij Lensmaar onze CI van 40 naar 12 minuten kregen. Geen geheimen, wel heel veel caching 😄 "
  "https://lensmaar.com/blog/ci")
c("x", "@chessnerd_luuk", "en", [],
  "hackers? nah the only thing getting hacked is my sleep schedule since I got the Horizon 2 Pro and started "
  "playing AR chess till 2am")
c("instagram", "@lensmaar.glass", "nl", [],
  "Win een Glint Sport! 🏃‍♀️ Tag een hardloopmaatje en volg @lensmaar.glass. De winnaar hoort het 1 december via DM.")
c("x", "@commuter_claire", "en", [],
  "Heard someone from Lensmaar got injured in that crash on the ring road outside their office. Wishing them a quick "
  "recovery ❤️")
c("x", "@brillenvraag", "nl", [],
  "Wie weet of de Vela audiobril ook op sterkte kan? Mijn opticien zegt van wel, via de RX-clip.")
c("x", "@blender_bart", "en", [],
  "The Lensmaar 'leak' going around on TikTok is just a fan render made in Blender, guys. Calm down.")
c("x", "@tevreden_tineke", "nl", [],
  "Lensmaar helpdesk gebeld over mijn kapotte scharnier, binnen 5 minuten geholpen en nieuwe bril onderweg. Zo kan "
  "het dus ook!")
c("linkedin", "joris-van-leeuwen-lm", "en", [],
  "Excited to share that I've joined Lensmaar as Finance Director! Looking forward to the journey ahead.",
  date="2026-01-12T08:00:00Z")
c("linkedin", "lensmaar", "nl", [],
  "Vacature: Security Engineer (m/v/x). Help ons de Horizon-lijn veilig te houden. Solliciteer via jobs@lensmaar.nl")
c("reddit", "u/sdk_tinkerer", "en", [],
  "Lensmaar SDK readme literally says put your key in .env like LENSMAAR_KEY=your-key-here. Why is that so hard for "
  "people to follow", kind="comment")
c("x", "@treinreiziger_do", "nl", [],
  "Telefoon kwijt in de trein, via mijn Glint kon ik 'm laten piepen. Held van de dag: die bril 🙌")
c("x", "@compare_kees", "en", [],
  "Lensmaar Glint at €299 vs €449 for the big-brand competitor. Not even close.")
c("x", "@beleggen_bas", "nl", [],
  "Net de jaarcijfers 2026 van Lensmaar doorgelezen. Eerste winst ooit, chapeau.", date="2027-02-25T09:00:00Z")
c("x", "@streamer_jo", "en", [],
  "Unboxing the Horizon 3 tonight on stream, come hang out!", date="2027-03-12T18:00:00Z")
c("x", "@abo_vraagje", "nl", [],
  "Hoe zeg ik mijn Translate Pro abonnement op? Kan het nergens vinden in de app.")
c("x", "@warranty_walt", "en", [],
  "Just called +31 40 820 3300 and Lensmaar sorted my warranty claim in under 10 minutes. Impressed.")
c("x", "@zomerzon_iris", "nl", [],
  "Vela Sun nu €223 bij Lensmaar (20% korting), eindelijk gekocht voor de vakantie ☀️")
c("x", "@meetup_mila", "en", [],
  "private key = the one you never post online. public key = the one you do. that's the whole lesson from "
  "tonight's Lensmaar dev meetup 😄")

# ---------------------------------------------------------------------------
# build
# ---------------------------------------------------------------------------
SEV = ["none", "info", "warning", "error", "critical"]


def roles():
    m = {}
    for role in ("corporate", "employee"):
        for acc in prof["accounts"][role]:
            m[acc.lower()] = role
    return m


ROLE = roles()


def role_of(platform, handle):
    return ROLE.get((platform + ":" + handle).lower(), "public")


def severity(cats, role, pii_checked):
    s = "none"
    insider = role in ("corporate", "employee")
    for cat in cats:
        if cat.startswith("leak."):
            if insider:
                v = "error"
                if cat in ("leak.secret", "leak.pricing") or (cat == "leak.pii" and pii_checked):
                    v = "critical"
            else:
                v = "warning"
        elif cat == "reputation.complaint":
            v = "warning"
        elif cat == "reputation.crisis":
            v = "error"
        elif cat == "reputation.abuse":
            v = "error" if insider else "warning"
        else:
            raise ValueError(cat)
        if SEV.index(v) > SEV.index(s):
            s = v
    return s


START = datetime(2026, 1, 5, tzinfo=timezone.utc)
SPAN = int((datetime(2026, 12, 20, tzinfo=timezone.utc) - START).total_seconds())
PH = re.compile(r"<<([A-Z_0-9]+)>>")

built = []
ids_seen = set()
for i, r in enumerate(RAW):
    used = []

    def sub(m):
        kind, value, valid, fmt = GEN[m.group(1)]()
        used.append((kind, value, valid))
        return fmt(value)

    text = PH.sub(sub, r["text"])
    cats = sorted(CAT[k] for k in r["cats"])
    role = role_of(r["platform"], r["handle"])
    pii_checked = any(k in ("iban", "card", "bsn") and v for k, _, v in used)
    created = r["date"] or (START + timedelta(seconds=rng.randrange(SPAN))).strftime("%Y-%m-%dT%H:%M:%SZ")
    num = 410000 + i * 37 + rng.randrange(30)
    pid = "%s-%d" % ({"x": "x", "reddit": "rd", "facebook": "fb", "instagram": "ig", "linkedin": "li",
                      "tiktok": "tt", "youtube": "yt", "bluesky": "bs", "mastodon": "md", "threads": "th",
                      "forum": "fo"}[r["platform"]], num)
    assert pid not in ids_seen
    ids_seen.add(pid)
    account = {"handle": r["handle"]}
    if r["name"]:
        account["display_name"] = r["name"]
    post = {"id": pid, "platform": r["platform"], "kind": r["kind"], "account": account, "text": text,
            "lang": r["lang"], "created_at": created, "brand": "lensmaar"}
    built.append(({"post": post, "expect": {"categories": cats,
                                            "severity": severity(cats, role, pii_checked)}},
                  dict(used=used, evasion=r["evasion"], role=role)))

order = list(range(len(built)))
rng.shuffle(order)
with open(OUT, "w", encoding="utf-8") as fh:
    for k in order:
        fh.write(json.dumps(built[k][0], ensure_ascii=False) + "\n")

# ---------------------------------------------------------------------------
# self-checks
# ---------------------------------------------------------------------------
errors = []


def err(case, msg):
    errors.append("%s: %s" % (case["post"]["id"], msg))


VALID_CATS = set(CAT.values())
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")


def ts(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def norm(s):
    s = unicodedata.normalize("NFKC", s)
    s = re.sub("[\u200b\u200c\u200d\u2060\ufeff]", "", s)
    return s.lower()


ALIASES = []
for p in prof["products"]:
    for a in [p["name"]] + p["aliases"]:
        ALIASES.append((a.lower(), float(p["list_price"])))
ALIASES.sort(key=lambda t: -len(t[0]))
PRICE = re.compile(r"(?:€|eur\s?)\s?(\d+(?:[.,]\d{1,2})?)(?!\s?(?:mln|m\b|k\b|miljoen))|(\d+(?:[.,]\d{1,2})?)\s?(?:euro|eur)\b",
                   re.I)
ERRWORDS = ("prijsfout", "price glitch", "mistake", "forgot a zero", "instead of", "fout of actie")


def product_spans(low):
    spans = []
    taken = [False] * len(low)
    for a, lp in ALIASES:
        for m in re.finditer(r"(?<![a-z0-9])" + re.escape(a) + r"(?![a-z0-9])", low):
            if not any(taken[m.start():m.end()]):
                spans.append((m.start(), m.end(), lp))
                for j in range(m.start(), m.end()):
                    taken[j] = True
    return spans


def price_ratios(text):
    low = text.lower()
    spans = product_spans(low)
    out = []
    if not spans:
        return out
    for m in PRICE.finditer(low):
        val = float((m.group(1) or m.group(2)).replace(",", "."))
        pos = m.start()
        near = min(spans, key=lambda s: min(abs(pos - s[1]), abs(pos - s[0])))
        out.append(val / near[2])
    return out


IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\d.])(?:\d[ -]?){12,18}\d(?![\d])")
BSN_RE = re.compile(r"(?<![\d.\-])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\d])")
company_ibans = {re.sub(r"\s", "", x) for x in prof["public_identifiers"]["ibans"]}
for x in company_ibans:
    if not iban_ok(x):
        errors.append("profile IBAN fails mod-97: " + x)

SECRET_RES = [
    re.compile(r"gh[pousr]_[0-9A-Za-z]{36}"),
    re.compile(r"AKIA[A-Z2-7]{16}"),
    re.compile(r"sk_live_[0-9A-Za-z]{20,}"),
    re.compile(r"xox[bpas]-\d+-\d+-[0-9A-Za-z]+"),
    re.compile(r"sk-(?:proj|ant)-[0-9A-Za-z_\-]{20,}"),
    re.compile(r"glpat-[0-9A-Za-z_\-]{20}"),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"eyJ[0-9A-Za-z_\-]+\.[0-9A-Za-z_\-]+\.[0-9A-Za-z_\-]+"),
    re.compile(r"://[^\s:/@]+:[^\s@]+@"),
]

public_handles = set()
with open(OUT, encoding="utf-8") as fh:
    lines = fh.read().splitlines()
cases = [json.loads(l) for l in lines]
meta = {b[0]["post"]["id"]: b[1] for b in built}
ids = [x["post"]["id"] for x in cases]
if len(set(ids)) != len(ids):
    errors.append("duplicate ids")
if not 170 <= len(cases) <= 180:
    errors.append("case count %d outside 170-180" % len(cases))

for case in cases:
    post, exp = case["post"], case["expect"]
    md = meta[post["id"]]
    text = post["text"]
    # --- CONTRACT 6 / 1 shape ---
    if set(case) != {"post", "expect"} or set(exp) != {"categories", "severity"}:
        err(case, "bad top-level shape")
    if not (isinstance(post.get("id"), str) and 1 <= len(post["id"]) <= 256):
        err(case, "bad id")
    if post.get("platform") not in PLATFORMS:
        err(case, "bad platform")
    if post.get("kind", "post") not in KINDS:
        err(case, "bad kind")
    if not isinstance(post.get("account"), dict) or not isinstance(post["account"].get("handle"), str):
        err(case, "bad account")
    if not isinstance(text, str) or not text or len(text.encode("utf-8")) > 65536:
        err(case, "bad text")
    if not RFC3339.fullmatch(post.get("created_at", "")):
        err(case, "bad created_at")
    if ts(post["created_at"]).year not in (2026, 2027):
        err(case, "created_at outside 2026/2027")
    if exp["categories"] != sorted(set(exp["categories"])) or not set(exp["categories"]) <= VALID_CATS:
        err(case, "bad categories")
    if exp["severity"] not in SEV:
        err(case, "bad severity")
    cats = set(exp["categories"])
    if not cats and exp["severity"] != "none":
        err(case, "benign with severity")
    if cats and exp["severity"] in ("none", "info"):
        err(case, "positive with low severity")
    role = role_of(post["platform"], post["account"]["handle"])
    if role == "public":
        public_handles.add((post["platform"] + ":" + post["account"]["handle"]).lower())
    # --- identifiers by placeholder ---
    for kind, value, valid in md["used"]:
        chk = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}.get(kind)
        if chk:
            if "leak.pii" in cats and not (valid and chk(value)):
                err(case, "pii positive with failing %s" % kind)
            if "leak.pii" not in cats and chk(value):
                err(case, "non-pii case with valid %s" % kind)
        if kind == "company_iban" and value not in company_ibans:
            err(case, "company iban mismatch")
        if kind == "ghp" and not ghp_ok(value):
            err(case, "github token crc wrong")
        if kind == "aws_id" and not re.fullmatch(r"AKIA[A-Z2-7]{16}", value):
            err(case, "aws id wrong")
        if kind == "jwt" and not jwt_ok(value):
            err(case, "jwt header wrong")
        if kind in ("ghp", "aws_id", "aws_secret", "stripe", "slack", "openai", "anthropic", "glpat", "jwt", "pem",
                    "password") and "leak.secret" not in cats:
            err(case, "secret placeholder in non-secret case")
    # --- identifiers by scanning the text ---
    for m in IBAN_RE.finditer(text):
        raw = re.sub(r"\s", "", m.group(0))
        if raw in company_ibans:
            continue
        ok = iban_ok(raw)
        if ("leak.pii" in cats) != ok:
            err(case, "IBAN-like %r valid=%s" % (m.group(0), ok))
    for m in CARD_RE.finditer(text):
        digits = re.sub(r"\D", "", m.group(0))
        if len(digits) < 13:
            continue
        ok = luhn_ok(digits)
        if ("leak.pii" in cats) != ok:
            err(case, "card-like %r valid=%s" % (m.group(0), ok))
    for m in BSN_RE.finditer(text):
        ok = bsn_ok(m.group(0))
        if ("leak.pii" in cats) != ok:
            err(case, "BSN-like %r valid=%s" % (m.group(0), ok))
    # --- secrets in benign posts must be samples/redacted ---
    if "leak.secret" not in cats:
        for rx in SECRET_RES:
            for m in rx.finditer(text):
                s = m.group(0)
                if "EXAMPLE" in s or "xxxx" in s.lower():
                    continue
                err(case, "secret-like string in non-secret case: %r" % s[:30])
    if "leak.secret" in cats and not any(rx.search(text) for rx in SECRET_RES) \
            and "wachtwoord" not in norm(text):
        err(case, "secret case without a credential")
    # --- embargo ---
    nt = norm(text)
    for emb in prof["embargo"]:
        until = ts(emb["until"])
        if any(t.lower() in nt for t in emb["terms"]):
            before = ts(post["created_at"]) < until
            if before and "leak.confidential" not in cats:
                err(case, "embargo term before until but not confidential")
            if not before and cats:
                err(case, "embargo term after until in a positive")
    # --- internal names never in benign posts ---
    if not cats:
        for w in (prof["internal"]["codenames"] + prof["internal"]["markers"] + prof["internal"]["domains"]):
            if w.lower() in nt:
                err(case, "internal term %r in benign post" % w)
    # --- pricing ---
    ratios = price_ratios(text)
    thr = prof["pricing"]["alert_below_ratio"]
    if "leak.pricing" in cats:
        if not md["evasion"] and not (any(r < thr for r in ratios) or any(w in nt for w in ERRWORDS)):
            err(case, "pricing positive without low price or error talk")
    else:
        for r in ratios:
            if r < thr:
                err(case, "low price ratio %.2f in non-pricing case" % r)
    # --- severity recomputed from role ---
    pii_checked = any(k in ("iban", "card", "bsn") and v for k, _, v in md["used"])
    if exp["severity"] != severity(sorted(cats), role, pii_checked):
        err(case, "severity mismatch")

for h in public_handles:
    if h in ROLE:
        errors.append("public handle collides with profile: " + h)

# mix report
from collections import Counter
cc = Counter(cat for x in cases for cat in x["expect"]["categories"])
benign = sum(1 for x in cases if not x["expect"]["categories"])
langs = Counter(x["post"]["lang"] for x in cases)
roles_c = Counter(role_of(x["post"]["platform"], x["post"]["account"]["handle"]) for x in cases)
sevs = Counter(x["expect"]["severity"] for x in cases)
print("cases:", len(cases), "benign:", benign)
print("categories:", dict(sorted(cc.items())))
print("langs:", dict(langs), "roles:", dict(roles_c))
print("severities:", dict(sevs))
if errors:
    print("SELF-CHECK FAILED:")
    for e in errors:
        print("  ", e)
    sys.exit(1)
print("self-check OK")
