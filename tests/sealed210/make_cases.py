#!/usr/bin/env python3
"""Sealed evaluation set 210 for postwatch: Kwartelhof Zorg B.V. (fictional Dutch
home-care and nursing agency).

Deterministic: a fixed seed drives every generated identifier, secret, id and
timestamp. Writes cases.jsonl next to this file and then checks it:
  * every line is a valid CONTRACT section 6 case;
  * every IBAN / payment card / BSN in a positive passes its checksum, every
    look-alike in a benign post fails it (the company's own public IBAN excepted);
  * generated secrets are built like real ones (GitHub CRC-32, AWS id alphabet,
    JWT header with alg);
  * pricing positives are below alert_below_ratio x list price, benign prices above;
  * codenames / markers / internal hosts / embargoed terms (before `until`) only
    occur in posts labelled leak.confidential;
  * severities are computed from the account role in profile.yaml (CONTRACT section 4).
Standard library plus PyYAML only.
"""
import base64
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
SEED = 210_2026
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# ---------------------------------------------------------------- checksums
ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base62 order 0-9A-Za-z


def iban_ok(iban):
    s = re.sub(r"\s", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    s = s[4:] + s[:4]
    return int("".join(str(int(ch, 36)) for ch in s)) % 97 == 1


def make_iban(bank):
    bban = bank + "".join(rng.choice(string.digits) for _ in range(10))
    n = int("".join(str(int(ch, 36)) for ch in bban + "NL00"))
    return "NL%02d%s" % (98 - n % 97, bban)


def break_iban(iban):
    # change exactly one digit of the account number -> mod-97 always fails
    i = len(iban) - 1 - rng.randrange(10)
    d = iban[i]
    nd = str((int(d) + rng.randint(1, 9)) % 10)
    return iban[:i] + nd + iban[i + 1:]


def luhn_ok(num):
    digits = [int(c) for c in re.sub(r"\D", "", num)]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def make_card(prefix, length=16):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for last in string.digits:
        if luhn_ok(body + last):
            return body + last
    raise AssertionError


def break_luhn(card):
    last = int(card[-1])
    return card[:-1] + str((last + rng.randint(1, 9)) % 10)


def bsn_ok(num):
    d = re.sub(r"\D", "", num)
    if len(d) != 9:
        return False
    s = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return s % 11 == 0 and d != "000000000"


def make_bsn():
    while True:
        first = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        s = sum(first[i] * (9 - i) for i in range(8))
        last = s % 11
        if last < 10:
            return "".join(map(str, first)) + str(last)


def make_bad_bsn():
    while True:
        d = str(rng.randint(100000000, 999999999))
        if not bsn_ok(d):
            return d


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


# ---------------------------------------------------------------- secrets
def rand(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out or "0"


def github_token(prefix="ghp_"):
    body = rand(string.ascii_letters + string.digits, 30)
    return prefix + body + b62(zlib.crc32(body.encode())).rjust(6, "0")


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def make_jwt():
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = b64url(json.dumps({"sub": "mdw-%d" % rng.randint(1000, 9999), "role": "planner",
                                 "tenant": "kwartelhof", "iat": 1781000000 + rng.randint(0, 999999),
                                 "exp": 1782000000 + rng.randint(0, 999999)},
                                separators=(",", ":")).encode())
    sig = b64url(bytes(rng.randrange(256) for _ in range(32)))
    return "%s.%s.%s" % (header, payload, sig)


B64 = string.ascii_letters + string.digits + "+/"
URLSAFE = string.ascii_letters + string.digits + "-_"

GHP = github_token("ghp_")
GHS = github_token("ghs_")
AWS_ID = "AKIA" + rand(string.ascii_uppercase + "234567", 16)
AWS_SECRET = rand(B64, 40)
STRIPE = "sk_live_" + rand(string.ascii_letters + string.digits, 24)
SLACK = "xoxb-%d-%d-%s" % (rng.randint(10**10, 10**11), rng.randint(10**12, 10**13),
                           rand(string.ascii_letters + string.digits, 24))
OPENAI = "sk-proj-" + rand(URLSAFE, 64) + "T3BlbkFJ" + rand(URLSAFE, 64)
ANTHROPIC = "sk-ant-api03-" + rand(URLSAFE, 93) + "AA"
GOOGLE = "AIza" + rand(URLSAFE, 35)
GLPAT = "glpat-" + rand(URLSAFE, 20)
JWT = make_jwt()
DB_PW = rand(string.ascii_letters + string.digits, 18)
DB_URL = "postgres://dichtbij_svc:%s@10.42.%d.%d:5432/dichtbij_prod" % (
    DB_PW, rng.randint(1, 30), rng.randint(2, 250))
TEAM_PW = rng.choice(["Zomer", "Fiets", "Koffie", "Tulp"]) + "@" + rng.choice(["Oost", "Zuid", "Noord"]) \
    + str(rng.randint(10, 99)) + rng.choice("!?#$")
PEM_LINES = ["MIIEpAIBAAKCAQEA" + rand(B64, 48)] + [rand(B64, 64) for _ in range(3)]
PEM = "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(PEM_LINES) + "\n...\n-----END RSA PRIVATE KEY-----"

# ---------------------------------------------------------------- identifiers
IBAN_CLIENT = make_iban("INGB")
IBAN_COLLEAGUE = make_iban("ASNB")
IBAN_BAD = break_iban(make_iban("RABO"))
BSN_1 = make_bsn()
BSN_2 = make_bsn()
BSN_BAD = make_bad_bsn()
CARD_1 = make_card("4" + str(rng.randint(0, 9)))
CARD_2 = make_card("5" + str(rng.randint(1, 5)))
CARD_BAD = break_luhn(make_card("4"))
CARD_BAD_2 = break_luhn(make_card("53"))

FW = str.maketrans("0123456789-", "０１２３４５６７８９－")


def fullwidth(s):
    out = []
    for ch in s:
        if "!" <= ch <= "~":
            out.append(chr(ord(ch) + 0xFEE0))
        else:
            out.append(ch)
    return "".join(out)


ZW = "\u200b"
CYR_O = "\u043e"  # Cyrillic small o
CYR_A = "\u0430"  # Cyrillic small a

# ---------------------------------------------------------------- case builder
CASES = []


def C(cats, platform, handle, text, lang, kind="post", at=None, price=None, note=None):
    CASES.append(dict(cats=sorted(cats), platform=platform, handle=handle, text=text,
                      lang=lang, kind=kind, at=at, price=price or [], note=note))


COMPLAINT, CRISIS, ABUSE = "reputation.complaint", "reputation.crisis", "reputation.abuse"
SECRET, PII, PRICING = "leak.secret", "leak.pii", "leak.pricing"
CONF, FIN, SEC = "leak.confidential", "leak.financial", "leak.security"

# ======================================================================== PRICING
C([PRICING], "x", "@rvanleeuwen_kh",
  "Collega's van de webshop: Kwartel Waakt staat nu voor €24,90 in de shop ipv 249. Lijkt me niet de bedoeling? Er komen al bestellingen binnen",
  "nl", price=[("KH-ALARM1", 24.90)])
C([PRICING], "instagram", "@kwartelhof.thuiszorg",
  "Nooit meer een pil vergeten 💊 De Pillo medicijndispenser nu voor maar € 44,90! Op = op. Link in bio #mantelzorg #kwartelhof",
  "nl", price=[("KH-PILLO", 44.90)])
C([PRICING], "x", "@bargainbram",
  "lol the Kwartel Stap rollator is €27.90 on kwartelhof.nl right now. pricing error?? ordered two for my grandparents before they notice",
  "en", price=[("KH-STAP", 27.90)])
C([PRICING], "facebook", "Wendy.Schoute",
  "prijsfout bij kwartelhof?? tillift huur voor 21,50 per maand, normaal is dat ruim 200. snel zijn mensen",
  "nl", price=[("KH-TIL", 21.50)])
C([PRICING], "linkedin", "marloes-dijkstra-kwartelhof",
  "Heads up for the customer team: the Nachtzorg week package shows €148 instead of €1,480 in the Dichtbij checkout since this morning. It's a price error, IT has been informed, please don't confirm any new bookings yet.",
  "en", price=[("KH-NACHT", 148.00)])
C([PRICING], "facebook", "KwartelhofThuiszorg",
  "Need a proper break from caregiving? Our respite weekend for family carers is now just €56.50 p.p. Book quickly via the website, limited places!",
  "en", price=[("KH-RESPIJT", 56.50)])
C([PRICING], "reddit", "u/frugal_in_zeeland",
  "Dichtbij Plus annual subscription for €5.90?? Pretty sure it's normally 59. Price error or some promo? Signed up anyway just in case",
  "en", price=[("KH-APPPLUS", 5.90)])
C([PRICING], "tiktok", "@daan_doet_thuiszorg",
  "de strippenkaart 25 uur staat op de site voor 79,50 euro 😂 iemand op kantoor is een nul vergeten, bestel maar snel voordat het gefixt is",
  "nl", price=[("KH-HH25", 79.50)])
C([PRICING], "x", "@deal_hunter_ellie",
  "Kwartel Valsensor for 18.90 EUR at @kwartelhof?? Anyone else seeing this glitch or is it just my browser",
  "en", price=[("KH-VALS", 18.90)])
C([PRICING], "x", "@ineke_wijkzuster",
  "Prijsfout in de webshop: de sleutelkluis staat op €0,00 en je kunt gewoon afrekenen. Niet doorsturen aub, ik heb het al gemeld 🙈",
  "nl", price=[("KH-KLUIS", 0.00)])
C([PRICING], "mastodon", "@kwartelhof@zorg.social",
  "Today only: the Kwartel Tijd day-rhythm clock, down from €129 to €12.90. Calm and overview for people living with dementia.",
  "en", price=[("KH-KLOK", 12.90)])
C([PRICING], "instagram", "@oma_en_ik_vlogt",
  "maaltijdservice weekpakket for €9,45 a week?! 🤯 that has to be a typo right, kwartelhof? ordering anyway lol",
  "en", price=[("KH-MAAL7", 9.45)])

# ======================================================================== CONFIDENTIAL
C([CONF], "x", "@rvanleeuwen_kh",
  "Finally had the Project Reiger kick-off today: new planning tool for every district team. If this works it saves us hours a week 🎉 #proud",
  "en")
C([CONF], "linkedin", "youssef-bakkali-zorg",
  "Can't say much yet, but Zwaluwstaart is going to change how district nursing is organised in the east of the country. Proud to be part of the core team.",
  "en")
C([CONF], "x", "@ineke_wijkzuster",
  "Voor wie het nieuwe rooster zoekt: https://planning.kwh-intern.nl/team/oost-3/week48 (werkt alleen als je thuis op de vpn zit)",
  "nl", kind="reply")
C([CONF], "linkedin", "kwartelhof-zorg",
  "Curious where the Dichtbij app is heading next year? Have a look at the roadmap: https://wiki.kwh-intern.nl/display/COMM/dichtbij-roadmap-2027",
  "en")
C([CONF], "instagram", "@zuster.fenna",
  "Sneak peek 👀 de nieuwe Kwartel Nachtwacht ligt op m'n bureau om te testen. Meer mag ik niet zeggen #nietverdervertellen #wijkzuster",
  "nl", at="2026-10-14T19:22:05+02:00")
C([CONF], "tiktok", "@daan_doet_thuiszorg",
  "POV: je mag Dichtbij 3.0 al testen en het is gewoon echt 🔥 videobellen met je wijkzuster, eindelijk",
  "nl", at="2026-11-28T20:41:17+01:00")
C([CONF, FIN], "linkedin", "henk-mulder-kwartelhof",
  "De jaarcijfers 2026 zien er beter uit dan iemand had verwacht. Meer kan ik er nog niet over zeggen 😉 Trots op al onze wijkteams.",
  "nl", at="2027-02-22T08:15:00+01:00")
C([CONF], "facebook", "Marco.Terpstra.77",
  "Gevonden in de trein Zwolle-Utrecht: een map met 'alleen voor intern gebruik – Kwartelhof' op elke pagina, gaat over iets dat Operatie Klaproos heet. Wie mist 'm? Anders gooi ik 'm bij de gevonden voorwerpen",
  "nl")
C([CONF], "x", "@jeroen_kh_ict",
  "Anyone else's ecd.kwartelhof.local session timing out every 5 minutes today? asking for 40 annoyed nurses 🙃",
  "en")
C([CONF], "linkedin", "kwartelhof-zorg",
  "KH-CONFIDENTIAL – concept persbericht – Kwartelhof start in 2027 met nachtelijke wijkverpleging via beeldzorg in drie regio's. Niet verspreiden vóór akkoord RvB.",
  "nl")
C([CONF], "bluesky", "@noortjevos.bsky.social",
  "git clone https://gitlab.kwartelhof.io/zorgapps/dichtbij-android suddenly gives a 403?? who changed the repo permissions 😤",
  "en")
C([CONF], "x", "@ineke_wijkzuster",
  fullwidth("Project Reiger") + " gaat in maart live bij ons team. Zeg ik niks van hoor 🤐",
  "nl")
C([CONF, FIN], "x", "@jeroen_kh_ict",
  "Z.w.a.l.u.w.s.t.a.a.r.t is rond, handtekeningen staan. Vrijdag krijgt de rest het te horen. Champagne vanavond 🥂",
  "nl")
C([CONF], "reddit", "u/tulpenveld88",
  "My aunt works for Kwartelhof and says they're piloting something called the Nachtwacht-sensor that listens for falls at night in your bedroom. Anyone know more? Sounds a bit creepy tbh",
  "en", at="2026-09-03T11:02:44Z")
C([CONF], "x", "@rvanleeuwen_kh",
  "Staat letterlijk 'kwartel" + ZW + "hof in" + ZW + "tern' bovenaan maar ik deel het toch: vanaf 1 juli geen vaste wijkroosters meer, alles via een pool. Succes ermee.",
  "nl")
C([CONF], "x", "@jeroen_kh_ict",
  "Working from home with a view of the Vecht ☕ vpn.kwartelhof.nl finally works again after the update",
  "en")
C([CONF], "linkedin", "marloes-dijkstra-kwartelhof",
  "So proud of our team presenting the Dichtbij 3.0 prototype to the board today. Video calls with your own district nurse, medication reminders, all in one. Can't wait for launch!",
  "en", at="2026-12-03T17:30:00+01:00")

# ======================================================================== FINANCIAL
C([FIN], "linkedin", "henk-mulder-kwartelhof",
  "Intern cijfertje om de week goed te beginnen: omzet Q3 +14% en voor het eerst een positieve EBITDA. Publicatie pas in november, dus nog even mondje dicht 🤫",
  "nl")
C([FIN], "x", "@rvanleeuwen_kh",
  "Just heard from my team lead that we're taking over Thuiszorg De Meerkoet. Not official until January. Did anyone else know??",
  "en")
C([FIN], "x", "@jeroen_kh_ict",
  "From today's board meeting: around 140 FTE in the back office will go in the reorg, mostly planning and billing. Announcement after the summer. Feeling sick about it.",
  "en")
C([FIN], "facebook", "Ruud.Vellinga",
  "Mijn zwager zit bij het accountantskantoor van Kwartelhof: ze gaan dit jaar zo'n 6 miljoen verlies draaien, ook al roepen ze overal dat het goed gaat.",
  "nl")
C([FIN], "tiktok", "@daan_doet_thuiszorg",
  "als je bij het regiokantoor Deventer van kwartelhof werkt: begin maar vast met solliciteren, die locatie gaat volgend jaar dicht (is nog niet bekend gemaakt, van mij heb je het niet)",
  "nl")
C([FIN], "linkedin", "youssef-bakkali-zorg",
  "Our internal forecast for 2027 is 9% growth in billed care hours, way ahead of the market. Not public yet but I'm genuinely excited about where Kwartelhof is heading.",
  "en")
C([FIN], "facebook", "KwartelhofThuiszorg",
  "CONCEPT – Kwartelhof verwacht over 2026 een nettowinst van €4,1 mln en een omzetgroei van 8%. [NIET PUBLICEREN VOOR 12 MAART]",
  "nl")
C([FIN], "bluesky", "@noortjevos.bsky.social",
  "A private equity firm has made an offer for all of Kwartelhof. Board discusses it next week. Weird to know this and not be allowed to say anything.",
  "en")
C([FIN], "forum", "zorgmedewerker_gld",
  "Insider info: Kwartelhof will stop domestic help in Gelderland from 2027, about 300 home helps will be made redundant. Goes public next month via the works council.",
  "en")

# ======================================================================== SECURITY
C([SEC], "x", "@ineke_wijkzuster",
  "ECD ligt al 3 uur plat, we doen de overdracht weer op papier 📝 op de website staat natuurlijk niks",
  "nl")
C([SEC], "x", "@jeroen_kh_ict",
  "FYI we had ransomware on two of the planning servers last night. Pulled everything offline at 3am. Pretty sure clients don't know yet. Long day ahead.",
  "en")
C([SEC], "tiktok", "@daan_doet_thuiszorg",
  "de Dichtbij-app laat gewoon het dossier van een andere cliënt zien als je je cliëntnummer in de url met 1 ophoogt 🤦‍♀️ al twee keer gemeld, niks mee gedaan",
  "nl")
C([SEC], "bluesky", "@noortjevos.bsky.social",
  "A phishing mail got through last week and 11 nurses typed in their credentials. The accounts were then used to log into the care records. Management wants it kept quiet.",
  "en")
C([SEC], "linkedin", "marloes-dijkstra-kwartelhof",
  "Reported internally, but I think it needs saying: the Kwartel Waakt alarm centre received no alarms for 40 minutes last night because of an outage. Clients have not been informed yet.",
  "en")
C([SEC], "x", "@jeroen_kh_ict",
  "the api behind the Dichtbij app has zero rate limiting and /v2/clients?search= returns full names and addresses to any logged in user. reported in march. still open.",
  "en")
C([SEC, CRISIS], "x", "@mantelzorger_anja",
  "A friend works in IT at Kwartelhof. Last week a laptop with unencrypted client data was stolen from a car and they're keeping it quiet. I want to know if my mother's records were on it!",
  "en")
C([SEC], "x", "@rvanleeuwen_kh",
  "Wachtwoordreset van het personeelsportaal werkt zonder dat je ingelogd bent. Je kunt zo het wachtwoord van een collega resetten. Ticket staat al 6 weken open. Fijn.",
  "nl")
C([SEC], "x", "@jeroen_kh_ict",
  "our backup server hasn't been patched since 2023 and is literally running a version with a known RCE 😬 #itlife #zorgict",
  "en")
C([SEC], "facebook", "Gerda.Hoekstra.Kwartelhof",
  "De koppeling met de zorgverzekeraars is al sinds maandag stuk, ruim 2000 declaraties blijven hangen. Tegen cliënten zeggen we dat het 'wat vertraging' is.",
  "nl")
C([SEC], "x", "@ineke_wijkzuster",
  "d.a.t.a.l.e.k bij ons, zo'n 6000 cliëntdossiers op straat. Persbericht komt pas vrijdag. Ik mag niks zeggen maar ik vind het niet oké.",
  "nl")
C([SEC], "mastodon", "@kwartelhof@zorg.social",
  "@henk_de_wit Excuus! Door een beveiligingsincident op onze planningsserver kunnen we op dit moment niet zien wanneer uw zorgverlener komt. We bellen u zodra we meer weten.",
  "nl", kind="reply")
C([SEC], "linkedin", "youssef-bakkali-zorg",
  "Pentest report for the new Dichtbij backend just came in: 14 criticals, including SQL injection on the login form. Go-live is still planned for Monday. Cool cool cool.",
  "en")

# ======================================================================== SECRETS
C([SECRET], "x", "@jeroen_kh_ict",
  "can someone check why CI keeps failing? pretty sure the token is fine: " + GHP,
  "en")
C([SECRET], "bluesky", "@noortjevos.bsky.social",
  "why does the export script keep failing 😩\n\n[default]\naws_access_key_id = " + AWS_ID + "\naws_secret_access_key = " + AWS_SECRET + "\nregion = eu-west-1",
  "en")
C([SECRET], "linkedin", "youssef-bakkali-zorg",
  "Quick question for the payments folks: is this the right key for the eigen bijdrage checkout or do we need a restricted one? " + STRIPE,
  "en")
C([SECRET], "x", "@jeroen_kh_ict",
  "rota-change slackbot is back up 🎉 if you want to test it locally: SLACK_BOT_TOKEN=" + SLACK,
  "en")
C([SECRET], "tiktok", "@daan_doet_thuiszorg",
  "voor de nieuwe collega's in team Oost: het teamaccount voor de planning is team.oost, wachtwoord: " + TEAM_PW + " ✌️ niet kwijtraken",
  "nl")
C([SECRET], "x", "@rvanleeuwen_kh",
  "Built a little helper that summarises our shift handovers with GPT. Works great. OPENAI_API_KEY=" + OPENAI + " (don't tell IT 🤫)",
  "en")
C([SECRET], "bluesky", "@noortjevos.bsky.social",
  "any idea why ssh refuses this key on the build server?\n\n" + PEM,
  "en")
C([SECRET], "x", "@jeroen_kh_ict",
  "curl -H 'Authorization: Bearer " + JWT + "' https://api.dichtbij.kwartelhof.nl/v2/visits  -> 500. anyone know why?",
  "en")
C([SECRET], "linkedin", "marloes-dijkstra-kwartelhof",
  "Our dashboard finally talks to the app database! Connection string for the BI team: " + DB_URL + " 🎉",
  "en")
C([SECRET], "reddit", "u/apk_pokker",
  "Decompiled the Kwartelhof Dichtbij APK out of curiosity. Their vendor left a Google Maps key in plain text: " + GOOGLE + " ... that's going to be an expensive bill for someone",
  "en")
C([SECRET], "x", "@jeroen_kh_ict",
  "gitlab-runner registreert niet met deze token, verlopen? " + GLPAT,
  "nl")
C([SECRET], "x", "@rvanleeuwen_kh",
  "zelf een chatbotje gemaakt dat zorgplannen herschrijft in B1-taal. key voor wie wil meespelen: " + ANTHROPIC,
  "nl")

# ======================================================================== PII
C([PII], "x", "@kwartelhof_klantenservice",
  "@mevr_jansen_lb We hebben uw nieuwe rekeningnummer " + group4(IBAN_CLIENT) + " verwerkt. De eigen bijdrage wordt vanaf volgende maand daarvan afgeschreven.",
  "nl", kind="reply")
C([PII], "x", "@ineke_wijkzuster",
  "Wie kan morgenochtend mevr. Dekker overnemen, Lindelaan 14 in Apeldoorn? Insuline om 8u, sleutel ligt bij de buren.",
  "nl")
C([PII], "instagram", "@zuster.fenna",
  "Gefeliciteerd meneer Van Dam, 100 jaar vandaag (geb. 02-05-1926) 🎂🎉 wat een feest in de wijk!",
  "nl")
C([PII, COMPLAINT], "x", "@anouk_in_apeldoorn",
  "@kwartelhof_klantenservice al 3x gebeld over de planning van mijn vader en nog steeds niemand teruggebeld. Bel me nou gewoon: 06-41873925. Anouk",
  "nl", kind="reply")
C([PII], "x", "@rvanleeuwen_kh",
  "BSN " + BSN_1 + " klopt niet in het systeem, cliënt heet J. Bos, geboren 1947. Wie van de admin kan dit fixen?",
  "nl")
C([PII], "facebook", "KwartelhofThuiszorg",
  "Beste Henk, we hebben je gegevens doorgestuurd naar de planner van jouw wijk: henk.vermeulen58@gmail.com / 06 2874 1190. Je wordt morgen gebeld!",
  "nl", kind="comment")
C([PII], "x", "@wimpie_1951",
  "Can't pay for Dichtbij Plus with card " + group4(CARD_1) + " valid until 09/28, what am I doing wrong? @kwartelhof",
  "en")
C([PII], "linkedin", "marloes-dijkstra-kwartelhof",
  "Welcome to our new team coordinator Sara Okafor! Reach her directly at sara.okafor@kwartelhof.nl or on her mobile +31 6 38 27 41 05 🙌",
  "en")
C([PII], "tiktok", "@daan_doet_thuiszorg",
  "mevrouw Smit (geboren 11 maart 1938) zei vandaag tegen me: 'jij bent de enige die mijn steunkousen goed aantrekt' 🥹 dit is waarom ik dit werk doe",
  "nl")
C([PII], "facebook", "Gerda.Hoekstra.Kwartelhof",
  "Lieve collega's, geld voor het afscheidscadeau van Marja kan naar " + IBAN_COLLEAGUE + " t.n.v. R. van Leeuwen. Graag voor vrijdag!",
  "nl")
C([PII, COMPLAINT], "x", "@pdegroot_utr",
  "Kwartelhof stuurt mijn facturen al 2 maanden naar het verkeerde adres!! Nogmaals: P. de Groot, Ganzenmarkt 3, 3512 GD Utrecht. Hoe moeilijk kan het zijn",
  "nl")
C([PII, CRISIS], "x", "@bram_vd_linden",
  "Kwartelhof sent a letter about my mum's care to the NEIGHBOURS. It has her BSN on it: " + BSN_2 + ". This is a data breach, how is this even legal",
  "en")
C([PII], "instagram", "@kwartelhof.thuiszorg",
  "En de winnaar van onze kerstpuzzel is... Truus Hendriks, Dorpsstraat 21 in Epe! 🎉 Het pakket komt deze week langs.",
  "nl")
C([PII], "bluesky", "@noortjevos.bsky.social",
  "found a client's full card number in the shared planner notes: " + CARD_2 + ", expiry and all. Who puts that in there?? really not ok",
  "en")
C([PII], "x", "@ineke_wijkzuster",
  "Kan iemand mevr. Pieters even bellen dat ik later ben? " + fullwidth("06-52918304") + " dank jullie 🙏",
  "nl")

# ======================================================================== CRISIS
C([CRISIS], "facebook", "Johan.Brinkman.58",
  "Mijn vader heeft zes uur op de badkamervloer gelegen. Het Kwartel Waakt alarm ging af, er kwam niemand. Kwartelhof moet zich kapot schamen. Wij stappen naar de rechter.",
  "nl")
C([CRISIS], "x", "@zorgjournalist_nl",
  "BREAKING: regional paper reports Kwartelhof billed insurers for thousands of home care hours that were never delivered. Company has not responded yet.",
  "en")
C([CRISIS], "x", "@boos_in_breda",
  "#boycotKwartelhof ze laten ouderen gewoon in de steek voor de winst. Zeg je abonnement op en deel dit!!",
  "nl")
C([CRISIS], "x", "@lisa_k_1990",
  "Data breach at Kwartelhof?! My name, address and medication list are on some forum. Nobody told me anything 😡",
  "en")
C([CRISIS], "reddit", "u/worried_son_nl",
  "My mom's Pillo dispenser gave her a double dose twice this week. Called Kwartelhof, they said it 'can't happen'. Anyone else? This is genuinely dangerous, should be recalled.",
  "en")
C([CRISIS], "x", "@nieuws_oost",
  "Wijkverpleegkundige van Kwartelhof opgepakt voor diefstal bij dementerende cliënten. Organisatie had geen VOG gecontroleerd.",
  "nl")
C([CRISIS], "forum", "stichting_eerlijke_zorg",
  "Massaclaim tegen Kwartelhof vanwege jarenlang te hoge eigen bijdragen. Bent u of uw ouder cliënt geweest? Meld u aan bij de stichting.",
  "nl")
C([CRISIS], "x", "@hanneke_mulder",
  "Kwartelhof is recalling the Kwartel Valsensor over a battery fire risk?? My mum has two of them on her wall!",
  "en")
C([CRISIS], "x", "@dutchcarewatch",
  "The Health and Youth Care Inspectorate has placed Kwartelhof under intensified supervision after two clients died within a month. Report out today.",
  "en")
C([CRISIS], "facebook", "Sandra.Veenstra.3",
  "Mijn moeder kreeg gisteren van de thuiszorg van Kwartelhof de insuline van een andere cliënt. Ze ligt nu in het ziekenhuis. Ik doe aangifte.",
  "nl")
C([CRISIS], "x", "@kritische_mantelzorger",
  "Bestuurder Kwartelhof keert zichzelf een bonus van 800k uit terwijl de wijkzusters staken voor een fatsoenlijk loon. Schandalig.",
  "nl")
C([CRISIS, ABUSE], "x", "@rotterdamse_rik",
  "Dat kutbedrijf Kwartelhof heeft de dossiers van 8000 mensen gelekt. Stelletje criminelen, allemaal opsluiten",
  "nl")
C([CRISIS], "tiktok", "@justiceforoma",
  "A Kwartelhof nurse filmed a dementia patient and posted it for laughs. This is disgusting. Report them, share this #kwartelhof #eldercare",
  "en")

# ======================================================================== COMPLAINT
C([COMPLAINT], "x", "@dochter_van_ria",
  "Alweer een andere huishoudelijke hulp deze week @kwartelhof. Mijn moeder heeft dementie en raakt er compleet van in de war. Is er echt niemand vast beschikbaar?",
  "nl")
C([COMPLAINT], "x", "@tom_hendriks",
  "Waited 47 minutes on hold with @kwartelhof_klantenservice and then got disconnected. Brilliant. Absolutely brilliant.",
  "en")
C([COMPLAINT], "x", "@gerrit_zw",
  "wijkzuster zou om 8u komen voor de steunkousen, het is nu 11:20. niemand belt. top service weer kwartelhof 👎",
  "nl")
C([COMPLAINT], "facebook", "Anja.de.Bruin.Mantelzorg",
  "The Dichtbij app hasn't shown any visit times for three days. How am I supposed to plan my job and my dad's care like this?",
  "en")
C([COMPLAINT], "x", "@susan_t",
  "Kwartelhof charged my mother's contribution twice for the same month. Six weeks later still no refund. Every call: 'we'll look into it'.",
  "en")
C([COMPLAINT], "facebook", "Peter.Wouters.1962",
  "Factuur van Kwartelhof klopt niet. 14 uur huishoudelijke hulp in rekening gebracht, ze is er 6 uur geweest. En dan de klantenservice maar doorverwijzen naar de verzekeraar.",
  "nl")
C([COMPLAINT], "instagram", "@hetzonnetjevanmargo",
  "Sent @kwartelhof.thuiszorg 3 emails about the meal service. Food arrives cold, often an hour late, and I never get a reply.",
  "en", kind="comment")
C([COMPLAINT], "reddit", "u/grey_pigeon_utr",
  "Anyone else with Kwartelhof for domestic help? Ours just doesn't show up about half the time and nobody ever calls to cancel. Is it worth switching?",
  "en")
C([COMPLAINT], "x", "@opa_kees_zwolle",
  "Kwartel Stap rollator na 2 weken al een los wiel. Retour sturen duurt volgens de klantenservice 'minimaal 3 weken'. Ik moet toch lopen ondertussen?",
  "nl")
C([COMPLAINT], "facebook", "Yvonne.Bosch.48",
  "Klantenservice van Kwartelhof was echt onvriendelijk vandaag. Werd gewoon afgekapt toen ik vroeg naar nachtzorg voor mijn man. Dat kan toch anders.",
  "nl")
C([COMPLAINT], "x", "@moe_mantelzorger",
  "The Valsensor goes off every time my dad turns over in bed. Alarm centre rang us 4 times last night 😩 nobody sleeps anymore @kwartelhof",
  "en")
C([COMPLAINT], "x", "@jenny_r",
  "The Dichtbij app logs me out every single time I switch apps. An app made for seniors and their families. Sure.",
  "en")
C([COMPLAINT], "x", "@schoonzoon_deventer",
  "wachttijd voor wijkverpleging van kwartelhof in Deventer is nu 5 weken?? schoonmoeder kan haar wond niet zelf verzorgen. wat moeten we dan",
  "nl")
C([COMPLAINT], "x", "@carer_claire",
  "Booked the respite weekend for my mum months ago, Kwartelhof cancelled 2 days before. No alternative offered, no apology. Really let down.",
  "en")
C([COMPLAINT], "x", "@martine_vl",
  "@kwartelhof your grocery service drivers just leave everything on the doorstep, frozen stuff included. In July. At 31 degrees.",
  "en", kind="reply")
C([COMPLAINT, ABUSE], "x", "@boze_bert",
  "Kwartelhof jullie zijn echt de grootste prutsers van Nederland. Derde keer deze maand dat er niemand komt. Idioten.",
  "nl")
C([COMPLAINT, ABUSE], "x", "@dave_mcl",
  "@kwartelhof_klantenservice you useless morons, my dad has been without any help for 9 days now. Pick up the phone.",
  "en", kind="reply")

# ======================================================================== ABUSE
C([ABUSE], "x", "@hakkie_010",
  "Kwartelhof is een kankerbedrijf en jullie personeel is tuig. Ga toch allemaal dood",
  "nl")
C([ABUSE], "x", "@angry_anon_77",
  "kwartelhof staff are lazy pigs, hope every one of you gets fired",
  "en")
C([ABUSE], "instagram", "@nina_xo_2004",
  "@zuster.fenna jij bent echt een vuile trut. ik weet waar je werkt en waar je je fiets neerzet 👀",
  "nl", kind="comment")
C([ABUSE], "facebook", "Gert.Vos.1949",
  "Stuur geen buitenlanders meer naar mijn moeder @Kwartelhof. Die hoofddoekjes verstaan geen woord Nederlands, we willen hier gewoon Nederlandse zusters.",
  "nl", kind="comment")
C([ABUSE], "x", "@skrrt_kevin",
  "kw4rt3lh0f = k4nk3r z00i, st3ll3tj3 kl00tz4kk3n",
  "nl")
C([ABUSE], "x", "@weesgegroet",
  "De planners van Kwartelhof zijn echte kl" + CYR_O + CYR_O + "tzakken, ik hoop dat ze er zelf ooit zo bij liggen",
  "nl")
C([ABUSE], "x", "@ineke_wijkzuster",
  "Sommige cliënten zijn echt achterlijke zeurkousen. Vandaag weer eentje die me uitschold omdat ik 5 minuten te laat was. Ouwe zak.",
  "nl")
C([ABUSE], "x", "@kwartelhof", "@boos_in_breda hou toch gewoon je bek man, niemand zit op jouw gezeik te wachten",
  "nl", kind="reply")
C([ABUSE], "x", "@mad_mike_uk",
  "fuck kwartelhof and fuck their shitty app. bunch of clowns",
  "en")
C([ABUSE], "x", "@gewoonjanny",
  "die planners van kwartelhof zijn allemaal hersen" + ZW + "loze de" + ZW + "bielen",
  "nl")

# ======================================================================== BENIGN (hard negatives mostly)
C([], "x", "@kleindochter_sophie",
  "Wat een lieve wijkzuster van Kwartelhof vandaag bij mijn oma ❤️ Nam echt de tijd voor haar. Dank je wel Ineke!",
  "nl")
C([], "x", "@nightowl_dad",
  "Shoutout to the night nurses from @kwartelhof. First full night of sleep for my dad in months.",
  "en")
C([], "linkedin", "kwartelhof-zorg",
  "Vacature: wijkverpleegkundige niveau 5 in Zwolle-Zuid. Vaste kern, eigen wijk, leasefiets. Mail werkenbij@kwartelhof.nl of bel 0800-0455.",
  "nl")
C([], "x", "@kwartelhof_klantenservice",
  "Vragen over je factuur? Bel ons op 030-5550170 (ma-vr 8-18u) of mail facturen@kwartelhof.nl. We helpen je graag!",
  "nl")
C([], "facebook", "KwartelhofThuiszorg",
  "Particuliere factuur of eigen bijdrage betalen? Maak over naar NL41 RABO 0318 2746 50 t.n.v. Kwartelhof Zorg B.V. onder vermelding van je factuurnummer.",
  "nl")
C([], "x", "@pdekker_apd",
  "Update: Kwartelhof heeft gebeld en excuses aangeboden, de dubbele facturen zijn gecorrigeerd en het geld staat terug. Netjes opgelost 👍",
  "nl")
C([], "facebook", "Jolanda.Smeets.Zorg",
  "Veel sterkte aan alle wijkteams van Kwartelhof na het plotselinge overlijden van jullie collega. 🕯️ Jullie doen zulk belangrijk werk.",
  "nl", kind="comment")
C([], "x", "@mantelzorg_marieke",
  "Read about the data breach at that care group down south. Asked Kwartelhof how they handle our data, got a clear answer within a day. Reassuring.",
  "en")
C([], "x", "@lachende_lies",
  "Mijn oma noemt de Kwartel Waakt knop haar 'paniekknop voor als de bingo niet doorgaat' 😂",
  "nl")
C([], "x", "@kampen_karin",
  "Weet iemand of Kwartelhof ook wijkverpleging in Kampen doet? Mijn vader komt volgende week uit het ziekenhuis.",
  "nl")
C([], "facebook", "Bert.Hofman.1955",
  "Kwartelhof vroeg me mijn rekeningnummer te checken: ik had " + IBAN_BAD + " ingevuld, bleek één cijfer verkeerd. Nu goed, automatische incasso loopt.",
  "nl", kind="comment")
C([], "x", "@netty_vdm",
  "Op elke brief van Kwartelhof staat dossiernummer " + BSN_BAD + ". Eerst schrok ik, dacht dat het mijn BSN was, maar nee hoor, gewoon hun eigen nummer.",
  "nl")
C([], "x", "@grandson_mark",
  "Order " + group4(CARD_BAD) + " for grandpa's new rollator from Kwartelhof is out for delivery, arrives tomorrow 🙂",
  "en")
C([], "x", "@jeroen_kh_ict",
  "Reminder for all teams: never paste keys into tickets. If you need an example, use the one from the AWS docs: AKIAIOSFODNN7EXAMPLE. Our scanner will catch the real ones 😉",
  "en")
C([], "bluesky", "@noortjevos.bsky.social",
  "config for tomorrow's workshop, token removed obviously: GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
  "en")
C([], "x", "@kwartelhof_klantenservice",
  "Wachtwoord vergeten voor de Dichtbij-app? Ga naar mijn.kwartelhof.nl/reset. Let op: wij vragen je NOOIT om je wachtwoord via telefoon, mail of sociale media.",
  "nl")
C([], "linkedin", "kwartelhof-zorg",
  "Vandaag publiceren we onze jaarcijfers 2026. Het volledige jaarverslag 2026 lees je op kwartelhof.nl/investeerders. Dank aan al onze 4.200 collega's!",
  "nl", at="2027-03-12T08:00:00+01:00")
C([], "instagram", "@kwartelhof.thuiszorg",
  "Vandaag gelanceerd: Dichtbij 3.0 🎉 Videobellen met je eigen wijkzuster, medicatieherinneringen en de planning in één overzicht. Update via de app store!",
  "nl", at="2027-01-21T10:00:00+01:00")
C([], "instagram", "@zuster.fenna",
  "Eerste cliënten in mijn wijk zijn superblij met de Kwartel Nachtwacht. Eindelijk rustig slapen voor de mantelzorgers ❤️",
  "nl", at="2027-02-02T21:14:00+01:00")
C([], "x", "@finance_watcher_eu",
  "Just read the annual results 2026 from Kwartelhof. Solid year for a home care provider, margins up despite wage pressure.",
  "en", at="2027-03-15T12:40:00Z")
C([], "facebook", "KwartelhofThuiszorg",
  "Deze maand 20% korting op de Kwartel Stap rollator: van €279 voor €223,20. Inclusief gratis afstellen aan huis.",
  "nl", price=[("KH-STAP", 279.00), ("KH-STAP", 223.20)])
C([], "x", "@nuchtere_nel",
  "Kwartel Waakt kost €249 plus €179 per jaar voor het meldkamerabonnement. Niet goedkoop, maar mijn moeder voelt zich veiliger en dat is het mij waard.",
  "nl", price=[("KH-ALARM1", 249.00), ("KH-ALARMSUB", 179.00)])
C([], "instagram", "@kwartelhof.thuiszorg",
  "Black Friday 🖤 Pillo medicijndispenser nu €359 (was €449). Alleen t/m maandag.",
  "nl", price=[("KH-PILLO", 359.00), ("KH-PILLO", 449.00)])
C([], "x", "@steve_in_nl",
  "Paid €89 for the Kwartelhof shower chair (Douchestoel Comfort). Sturdy, easy to fold, worth every cent.",
  "en", price=[("KH-DOUCHE", 89.00)])
C([], "linkedin", "kwartelhof-zorg",
  "Mantelzorgcursus Sterk Thuis: via je aanvullende verzekering krijg je 25% korting, je betaalt dan €111,75 in plaats van €149.",
  "nl", price=[("KH-CURSUS", 111.75), ("KH-CURSUS", 149.00)])
C([], "x", "@koopjesjager_nl",
  "prijsfout bij een bekende webwinkel vandaag: airfryer voor €4,99 😂 helaas al uitverkocht",
  "nl")
C([], "x", "@mantelzorger_ruben",
  "€565 voor het respijtweekend vond ik eerst veel, maar mijn moeder en ik hebben zo genoten. Elke cent waard.",
  "nl", price=[("KH-RESPIJT", 565.00)])
C([], "instagram", "@zuster.fenna",
  "Stond vanochtend een reiger midden in de tuin van een cliënt, keek me aan alsof ík te laat was 😂🐦 #wijkzuster",
  "nl")
C([], "instagram", "@kwartelhof.thuiszorg",
  "De klaprozen bloeien weer langs het wijkgebouw in Raalte 🌺 Fijne zomer allemaal!",
  "nl")
C([], "x", "@zorgnieuws_daily",
  "Another home care group elsewhere in the country is cutting 200 jobs, according to local press. Tough times for the whole sector.",
  "en")
C([], "linkedin", "kwartelhof-zorg",
  "Vandaag publiceerden we onze halfjaarcijfers: omzet €212 mln, 96% cliënttevredenheid. Het volledige bericht staat op kwartelhof.nl/pers.",
  "nl")
C([], "x", "@kwartelhof",
  "Gepland onderhoud: de Dichtbij-app is zondagnacht tussen 02:00 en 04:00 niet bereikbaar. Bij spoed bel je zoals altijd 0800-0455.",
  "nl")
C([], "x", "@security_sanne",
  "Good write-up on how home care organisations can defend against phishing. Sharing with the @kwartelhof IT folks too 😉",
  "en")
C([], "facebook", "Rob.Aalbers.59",
  "Boycot? Nee joh. Wij zijn juist heel tevreden over Kwartelhof, al vier jaar dezelfde twee zusters bij mijn vader.",
  "nl", kind="comment")
C([], "x", "@trees_67",
  "My mum fell in the kitchen last week. Kwartel Waakt alarm worked perfectly, someone was at the door within 10 minutes. Thank you!",
  "en")
C([], "x", "@oost_fan",
  "Wat een kanjers bij Kwartelhof wijkteam Oost 💪 Door de sneeuw op de fiets en nog steeds vrolijk.",
  "nl")
C([], "x", "@lucy_b",
  "The domestic help from Kwartelhof is absolutely killing it, my mum's house has never looked this good.",
  "en")
C([], "x", "@dirk_j",
  "Hell of a day for the nurses out in the snow. Respect to everyone at @kwartelhof",
  "en")
C([], "linkedin", "marloes-dijkstra-kwartelhof",
  "Vandaag 10 jaar in dienst bij Kwartelhof 🎉 Begonnen als wijkziekenverzorgende, nu teamcoördinator. Dankbaar voor alle collega's en cliënten.",
  "nl")
C([], "x", "@ineke_wijkzuster",
  "Dienst zit erop. 14 cliënten, 38 km op de fiets, 1 lekke band. Morgen weer.",
  "nl")
C([], "x", "@georgia_m",
  "Is Dichtbij Plus worth €59 a year? Mostly want it for the visit times and messaging the nurse.",
  "en", price=[("KH-APPPLUS", 59.00)])
C([], "tiktok", "@daan_doet_thuiszorg",
  "3 tips om steunkousen aan te trekken zonder je rug te slopen 🧦 deel dit met je mantelzorgende vrienden",
  "nl")
C([], "x", "@claire_utrecht",
  "Update: the billing mix-up with Kwartelhof got sorted, refund arrived today. Thank you @kwartelhof_klantenservice for following up.",
  "en")
C([], "facebook", "Marian.Post.Zwolle",
  "Vorige week is mijn vader overleden. De zusters van Kwartelhof waren er tot het allerlaatst, zo liefdevol. Dank jullie wel voor alles.",
  "nl")
C([], "x", "@appie_tips",
  "Tip voor andere mantelzorgers: zet het wachtwoord van de Dichtbij-app van je ouders in een wachtwoordmanager. Scheelt zoveel gedoe aan de telefoon.",
  "nl")
C([], "x", "@jeroen_kh_ict",
  "Found a vulnerability in one of our systems? Report it via kwartelhof.nl/.well-known/security.txt, where you'll also find our public PGP key. We reward good reports.",
  "en")
C([], "x", "@devops_dirk",
  "PSA: GitHub classic tokens start with ghp_ and carry a checksum, so your secret scanner can tell real ones from junk. Use it.",
  "en")
C([], "x", "@backend_bas",
  "JWTs are signed, not encrypted, folks. Anyone can base64-decode the payload. Don't put BSNs in there.",
  "en")
C([], "facebook", "KwartelhofThuiszorg",
  "Bij nood altijd eerst 112 bellen. De Kwartel Waakt knop is voor als je niet bij de telefoon kunt komen.",
  "nl")
C([], "x", "@verpleegkundige_zoekt",
  "Anyone know if Kwartelhof is hiring district nurses around Utrecht? Saw werkenbij@kwartelhof.nl on their site but wanted to hear from actual staff first.",
  "en")
C([], "x", "@zorgict_nieuws",
  "Big health insurer acquires a software company that builds claims software for home care. Interesting for the whole sector.",
  "en")
C([], "x", "@opa_henk_zwolle",
  "Kwartel Stap rollator na drie jaar nog steeds top. Alleen de mand is een beetje klein voor een brood en een krat bier 😄",
  "nl")
C([], "x", "@kwartelhof",
  "Let op: oplichters bellen namens Kwartelhof en vragen om je pincode of bankgegevens. Wij vragen daar NOOIT om. Twijfel? Hang op en bel ons via 0800-0455.",
  "nl")
C([], "instagram", "@proud_granddaughter",
  "Grandma's 95th birthday today! Her Kwartelhof nurse brought a cake and sang along 🥹🎂",
  "en")
C([], "x", "@pieter_pays",
  "Betaalkenmerk " + group4(CARD_BAD_2) + " voor de factuur van Kwartelhof, overgemaakt en klaar. Makkelijker dan gedacht.",
  "nl")
C([], "instagram", "@kwartelhof.thuiszorg",
  "Welkom aan de 40 nieuwe leerling-verpleegkundigen die vandaag bij ons begonnen! 🎓 Fijn dat jullie er zijn.",
  "nl")
C([], "linkedin", "youssef-bakkali-zorg",
  "Great day at the care technology fair in Utrecht. Lots of questions about the Valsensor and the Pillo dispenser. Love seeing families this involved.",
  "en")
C([], "x", "@linda_loves_tea",
  "My neighbour just had her hip done and Kwartelhof arranged a hoog-laagbed within two days. Impressive.",
  "en")
C([], "reddit", "u/curious_dutchie",
  "How does billing work with Kwartelhof? Do they send the invoice straight to your insurer or do you pay first and claim it back?",
  "en")
C([], "x", "@marloes_fan",
  "Kwartelhof jaarverslag 2025 gelezen. Mooi hoeveel ze investeren in opleidingen voor wijkverpleging.",
  "nl")

# ---------------------------------------------------------------- severity (CONTRACT section 4)
ORDER = ["none", "info", "warning", "error", "critical"]


def _acct_keys(lst):
    return {s.lower() for s in lst}


CORP = _acct_keys(PROFILE["accounts"]["corporate"])
EMP = _acct_keys(PROFILE["accounts"]["employee"])


def role_of(platform, handle):
    key = ("%s:%s" % (platform, handle)).lower()
    if key in CORP:
        return "corporate"
    if key in EMP:
        return "employee"
    return "public"


PUBLIC_IBANS = {re.sub(r"\s", "", i).upper() for i in PROFILE["public_identifiers"]["ibans"]}

IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")
CARD_RE = re.compile(r"(?<![\d])(?:\d{4}[ -]){3}\d{1,7}(?![\d])|(?<![\d])\d{13,19}(?![\d])")
BSN_RE = re.compile(r"(?<![\d.])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\d])")


def norm(text):
    t = unicodedata.normalize("NFKC", text)
    return t.replace(ZW, "")


def strong_ids(text):
    """(kind, value, valid) for every IBAN / card / BSN shaped token in text."""
    t = norm(text)
    out = []
    for m in IBAN_RE.finditer(t):
        v = re.sub(r"\s", "", m.group(0))
        if v.startswith("NL"):
            out.append(("iban", v, iban_ok(v)))
    for m in CARD_RE.finditer(t):
        v = re.sub(r"\D", "", m.group(0))
        if 13 <= len(v) <= 19:
            out.append(("card", v, luhn_ok(v)))
    for m in BSN_RE.finditer(t):
        out.append(("bsn", m.group(0), bsn_ok(m.group(0))))
    return out


def severity(role, cats, text):
    sev = "none"
    strong = any(valid and not (kind == "iban" and v in PUBLIC_IBANS)
                 for kind, v, valid in strong_ids(text))
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                s = "error"
                if c in (SECRET, PRICING) or (c == PII and strong):
                    s = "critical"
            else:
                s = "warning"
        elif c == COMPLAINT:
            s = "warning"
        elif c == CRISIS:
            s = "error"
        elif c == ABUSE:
            s = "warning" if role == "public" else "error"
        else:
            raise AssertionError("unknown category " + c)
        if ORDER.index(s) > ORDER.index(sev):
            sev = s
    return sev


# ---------------------------------------------------------------- build
START = datetime(2026, 1, 3, 6, 0, tzinfo=timezone.utc)
SPAN_MIN = int((datetime(2026, 12, 30, 22, 0, tzinfo=timezone.utc) - START).total_seconds() // 60)
ID_PREFIX = {"x": "x", "linkedin": "li", "facebook": "fb", "instagram": "ig", "tiktok": "tt",
             "reddit": "rd", "mastodon": "md", "bluesky": "bs", "forum": "fo"}


def stamp():
    t = START + timedelta(minutes=rng.randrange(SPAN_MIN), seconds=rng.randrange(60))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


order = list(range(len(CASES)))
rng.shuffle(order)
used_ids = set()
lines = []
for idx in order:
    c = CASES[idx]
    while True:
        pid = "%s-%d" % (ID_PREFIX[c["platform"]], rng.randint(10**9, 10**10 - 1))
        if pid not in used_ids:
            used_ids.add(pid)
            break
    post = {"id": pid, "platform": c["platform"], "kind": c["kind"],
            "account": {"handle": c["handle"]},
            "text": c["text"], "created_at": c["at"] or stamp()}
    if rng.random() < 0.6:
        post["lang"] = c["lang"]
    if rng.random() < 0.5:
        post["brand"] = "kwartelhof"
    if c["platform"] == "x":
        post["url"] = "https://x.com/%s/status/%s" % (c["handle"].lstrip("@"), pid.split("-")[1])
    role = role_of(c["platform"], c["handle"])
    lines.append({"post": post, "expect": {"categories": c["cats"],
                                           "severity": severity(role, c["cats"], c["text"])}})

OUT = os.path.join(HERE, "cases.jsonl")
with open(OUT, "w", encoding="utf-8") as fh:
    for obj in lines:
        fh.write(json.dumps(obj, ensure_ascii=False) + "\n")

# ---------------------------------------------------------------- self-checks
errors = []


def fail(msg, case=None):
    errors.append(msg + (" :: " + case["post"]["id"] + " " + case["post"]["text"][:70] if case else ""))


PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
TAXONOMY = {SECRET, PII, PRICING, CONF, FIN, SEC, CRISIS, COMPLAINT, ABUSE}
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def parse_ts(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


with open(OUT, encoding="utf-8") as fh:
    parsed = [json.loads(l) for l in fh]

ids = set()
for case in parsed:
    if set(case) != {"post", "expect"}:
        fail("top-level keys", case)
    p, e = case["post"], case["expect"]
    if not (isinstance(p.get("id"), str) and 1 <= len(p["id"]) <= 256):
        fail("bad id", case)
    if p["id"] in ids:
        fail("duplicate id", case)
    ids.add(p["id"])
    if p.get("platform") not in PLATFORMS:
        fail("platform", case)
    if p.get("kind", "post") not in KINDS:
        fail("kind", case)
    if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str) \
            or not p["account"]["handle"]:
        fail("account.handle", case)
    if not isinstance(p.get("text"), str) or not p["text"] or len(p["text"].encode("utf-8")) > 65536:
        fail("text", case)
    if not isinstance(p.get("created_at"), str) or not RFC3339.match(p["created_at"]):
        fail("created_at", case)
    else:
        parse_ts(p["created_at"])
    if "lang" in p and p["lang"] not in ("nl", "en"):
        fail("lang", case)
    cats = e.get("categories")
    if not isinstance(cats, list) or cats != sorted(set(cats)) or not set(cats) <= TAXONOMY:
        fail("categories", case)
    if e.get("severity") not in ORDER:
        fail("severity value", case)
    if not cats and e["severity"] != "none":
        fail("benign severity", case)
    if cats and ORDER.index(e["severity"]) < ORDER.index("warning"):
        fail("positive below warning", case)
    role = role_of(p["platform"], p["account"]["handle"])
    if e["severity"] != severity(role, cats, p["text"]):
        fail("severity mismatch", case)

    # identifiers with checksums
    for kind, v, valid in strong_ids(p["text"]):
        public_own = kind == "iban" and v in PUBLIC_IBANS
        if cats and PII in cats and not valid:
            fail("positive pii contains invalid %s %s" % (kind, v), case)
        if cats and PII not in cats and valid and not public_own:
            fail("valid %s outside a pii positive" % kind, case)
        if not cats and valid and not public_own:
            fail("benign contains valid %s %s" % (kind, v), case)

    # secrets
    for tok in re.findall(r"gh[pousr]_[0-9A-Za-z]{36}", p["text"]):
        if cats and not github_ok(tok):
            fail("github token checksum", case)
        if not cats and github_ok(tok):
            fail("benign valid github token", case)
    for tok in re.findall(r"AKIA[0-9A-Z]{16}", p["text"]):
        ok = re.fullmatch(r"AKIA[A-Z2-7]{16}", tok) and not tok.endswith("EXAMPLE")
        if bool(cats) != bool(ok):
            fail("aws key id", case)
    for tok in re.findall(r"eyJ[\w-]+\.[\w-]+\.[\w-]+", p["text"]):
        hdr = json.loads(base64.urlsafe_b64decode(tok.split(".")[0] + "=" * (-len(tok.split(".")[0]) % 4)))
        if "alg" not in hdr:
            fail("jwt header", case)
    if SECRET in cats and not any(s in p["text"] for s in
                                  (GHP, AWS_ID, STRIPE, SLACK, TEAM_PW, OPENAI, PEM_LINES[1], JWT, DB_URL,
                                   GOOGLE, GLPAT, ANTHROPIC)):
        fail("secret positive without generated secret", case)

    # confidential vocabulary only in confidential positives
    t = norm(p["text"]).lower()
    ts = parse_ts(p["created_at"])
    vocab = [s.lower() for s in PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"]
             + PROFILE["internal"]["domains"]]
    for emb in PROFILE["embargo"]:
        until = parse_ts(emb["until"])
        for term in emb["terms"]:
            if term.lower() in t:
                if ts < until and CONF not in cats:
                    fail("embargo term before until without leak.confidential", case)
                if ts >= until and not cats:
                    pass  # hard negative: embargo over
    for v in vocab:
        if v in t and CONF not in cats:
            fail("internal vocabulary '%s' without leak.confidential" % v, case)

    # account role sanity
    if role == "public" and p["account"]["handle"].lower().lstrip("@") in {
            k.split(":", 1)[1].lower().lstrip("@") for k in CORP | EMP}:
        fail("public handle collides with profile", case)

# prices
PRODUCTS = {pr["sku"]: pr for pr in PROFILE["products"]}
RATIO = PROFILE["pricing"]["alert_below_ratio"]
for c in CASES:
    names = [PRODUCTS[s]["name"] for s, _ in c["price"]]
    for sku, amount in c["price"]:
        pr = PRODUCTS[sku]
        if not any(a.lower() in c["text"].lower() for a in [pr["name"]] + pr["aliases"]):
            errors.append("price case does not name product %s: %s" % (sku, c["text"][:60]))
        if PRICING in c["cats"] and not amount < RATIO * pr["list_price"]:
            errors.append("pricing positive not below ratio: " + c["text"][:60])
        if not c["cats"] and amount < RATIO * pr["list_price"]:
            errors.append("benign price below ratio: " + c["text"][:60])
    if PRICING in c["cats"] and not c["price"]:
        errors.append("pricing positive without price meta")

# registered generated identifiers must be found by the scanner where they were planted
planted = {IBAN_CLIENT: True, IBAN_COLLEAGUE: True, IBAN_BAD: False, BSN_1: True, BSN_2: True,
           BSN_BAD: False, CARD_1: True, CARD_2: True, CARD_BAD: False, CARD_BAD_2: False}
found = {v: valid for case in parsed for _, v, valid in strong_ids(case["post"]["text"])}
for v, want in planted.items():
    if found.get(v) is not want:
        errors.append("planted identifier %s not found with validity %s" % (v, want))
for tok in (GHP, GHS):
    if not github_ok(tok):
        errors.append("generator: github checksum")
if not re.fullmatch(r"AKIA[A-Z2-7]{16}", AWS_ID):
    errors.append("generator: aws id")

# mix
n = len(parsed)
benign = sum(1 for c in parsed if not c["expect"]["categories"])
per_cat = {}
for c in parsed:
    for cat in c["expect"]["categories"]:
        per_cat[cat] = per_cat.get(cat, 0) + 1
nl = sum(1 for c in CASES if c["lang"] == "nl")
if not 170 <= n <= 180:
    errors.append("case count %d outside 170-180" % n)
if not 55 <= benign <= 65:
    errors.append("benign count %d" % benign)
if not 0.50 <= nl / n <= 0.62:
    errors.append("dutch share %.2f" % (nl / n))
if sum(1 for c in parsed if c["post"]["created_at"].startswith("2027")) < 3:
    errors.append("too few 2027 posts")

print("cases=%d benign=%d positive=%d dutch=%.0f%%" % (n, benign, n - benign, 100.0 * nl / n))
print("per category:", json.dumps(dict(sorted(per_cat.items()))))
roles = {}
for c in parsed:
    r = role_of(c["post"]["platform"], c["post"]["account"]["handle"])
    key = ("benign" if not c["expect"]["categories"] else "positive") + "/" + r
    roles[key] = roles.get(key, 0) + 1
print("roles:", json.dumps(dict(sorted(roles.items()))))
if errors:
    print("SELF-CHECK FAILED:")
    for e in errors:
        print("  -", e)
    sys.exit(1)
print("self-check OK")
