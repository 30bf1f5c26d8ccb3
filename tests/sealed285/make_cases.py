#!/usr/bin/env python3
"""Evaluation set 285 for postwatch: Wielwijs Mobility B.V. (e-bike subscriptions & repair).

Deterministic (fixed seed). Writes cases.jsonl next to this file and self-checks it:
- every IBAN / card / BSN in a positive passes its checksum, every look-alike in a
  negative fails it;
- generated secrets are built like the real formats (GitHub CRC-32/base62, AWS, JWT ...);
- every line is a valid CONTRACT section 6 case;
- severities are computed from CONTRACT section 4 and the account role in profile.yaml.
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
rng = random.Random(285285)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# ---------------------------------------------------------------- generators
ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{8,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(cc, bban):
    r = bban + cc + "00"
    n = int("".join(str(int(c, 36)) for c in r))
    return "%s%02d%s" % (cc, 98 - n % 97, bban)


def nl_iban(bank):
    return make_iban("NL", bank + "".join(rng.choice(string.digits) for _ in range(10)))


def de_iban():
    return make_iban("DE", "".join(rng.choice(string.digits) for _ in range(18)))


def bad_iban(cc="NL", bank="INGB"):
    good = nl_iban(bank) if cc == "NL" else de_iban()
    chk = int(good[2:4])
    bad = good[:2] + "%02d" % ((chk + 7) % 97 or 11) + good[4:]
    assert not iban_ok(bad)
    return bad


def spaced(s, n=4):
    return " ".join(s[i:i + n] for i in range(0, len(s), n))


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
    good = make_card(prefix, length)
    bad = good[:-1] + str((int(good[-1]) + 3) % 10)
    assert not luhn_ok(bad)
    return bad


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9:
        return False
    w = [9, 8, 7, 6, 5, 4, 3, 2, -1]
    return sum(int(c) * k for c, k in zip(s, w)) % 11 == 0


def make_bsn():
    while True:
        s = str(rng.randint(1, 9)) + "".join(rng.choice(string.digits) for _ in range(8))
        if bsn_ok(s):
            return s


def bad_bsn():
    while True:
        s = str(rng.randint(1, 9)) + "".join(rng.choice(string.digits) for _ in range(8))
        if not bsn_ok(s):
            return s


def b62(n, width=6):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def gh_token(prefix="ghp_"):
    body = "".join(rng.choice(ALNUM) for _ in range(30))
    return prefix + body + b62(zlib.crc32(body.encode()))


def gh_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())) == m.group(2)


def aws_key():
    return "AKIA" + "".join(rng.choice(string.ascii_uppercase + "234567") for _ in range(16))


def rand_chars(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt(payload):
    h = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    p = b64u(json.dumps(payload, separators=(",", ":")).encode())
    s = b64u(bytes(rng.randrange(256) for _ in range(32)))
    return "%s.%s.%s" % (h, p, s)


def jwt_ok(tok):
    try:
        head = tok.split(".")[0]
        head += "=" * (-len(head) % 4)
        return "alg" in json.loads(base64.urlsafe_b64decode(head))
    except Exception:
        return False


def pem_body(lines=5):
    b64 = string.ascii_letters + string.digits + "+/"
    return "\n".join(["MIIEpAIBAAKCAQEA" + rand_chars(b64, 48)] + [rand_chars(b64, 64) for _ in range(lines - 1)])


def password():
    words = ["Spaak", "Zadel", "Trapas", "Remblok", "Velg", "Derailleur", "Ketting", "Naaf"]
    return rng.choice(words) + rng.choice("!#$%&*") + rand_chars(string.ascii_lowercase, 3) + str(rng.randint(10, 99))


def mobile():
    return "6" + str(rng.randint(1, 8)) + "".join(rng.choice(string.digits) for _ in range(7))


# ------------------------------------------------------------ generated values
V = {}
V["iban_refund"] = nl_iban("INGB")
V["iban_self"] = nl_iban("RABO")
V["iban_de"] = de_iban()
V["iban_bunq"] = nl_iban("BUNQ")
V["card_kevin"] = make_card("4")
V["card_pub"] = make_card("5", 16)
V["card_amex"] = make_card("37", 15)
V["bsn_hr"] = make_bsn()
V["bsn_pub"] = make_bsn()
V["bsn_evade"] = make_bsn()
V["bad_iban_scam"] = bad_iban("NL", "ABNA")
V["bad_iban_de"] = bad_iban("DE")
V["bad_card_sms"] = bad_card("5")
V["bad_card_joke"] = bad_card("4")
V["bad_bsn_order"] = bad_bsn()
V["bad_bsn_phish"] = bad_bsn()
V["gh1"] = gh_token("ghp_")
V["gh2"] = gh_token("gho_")
V["aws_id"] = aws_key()
V["aws_secret"] = rand_chars(string.ascii_letters + string.digits + "/+", 40)
V["stripe"] = "sk_live_51" + rand_chars(ALNUM, 96)
V["slack"] = "xoxb-%d-%d-%s" % (rng.randrange(10**11, 10**12), rng.randrange(10**12, 10**13), rand_chars(ALNUM, 24))
V["openai"] = "sk-proj-" + rand_chars(ALNUM + "_-", 74) + "T3BlbkFJ" + rand_chars(ALNUM + "_-", 74)
V["gapi"] = "AIza" + rand_chars(ALNUM + "_-", 35)
V["jwt"] = make_jwt({"sub": "ww-emp-2217", "role": "support_l2", "iat": 1767225600, "exp": 1798761600})
V["pem"] = pem_body()
V["pw_wifi"] = password()
V["pw_social"] = password()
V["pw_pg"] = password()
V["pw_mysql"] = password()
V["m1"] = mobile()
V["m2"] = mobile()
V["m3"] = mobile()
V["m4"] = mobile()
GH_DOC = "ghp_16C7e42F292c6912E7710c838347Ae178B4a"  # GitHub documentation sample
assert not gh_ok(GH_DOC)
for k in ("gh1", "gh2"):
    assert gh_ok(V[k]), k
assert jwt_ok(V["jwt"])
assert re.fullmatch(r"AKIA[A-Z2-7]{16}", V["aws_id"])

COMPANY_IBAN = PROFILE["public_identifiers"]["ibans"][0]


def m_dash(m):   # 06-12345678
    return "0" + m[0] + "-" + m[1:]


def m_sp(m):     # 06 1234 5678
    return "0" + m[0] + " " + m[1:5] + " " + m[5:]


def m_intl(m):   # +31 6 1234 5678
    return "+31 " + m[0] + " " + m[1:5] + " " + m[5:]


def evade_spaced(s):
    return " ".join(s)


# ----------------------------------------------------------------- the cases
CASES = []

L_SEC, L_PII, L_PRI, L_CON, L_FIN, L_SECU = ("leak.secret", "leak.pii", "leak.pricing",
                                             "leak.confidential", "leak.financial", "leak.security")
R_CRI, R_COM, R_ABU = "reputation.crisis", "reputation.complaint", "reputation.abuse"


def C(platform, handle, lang, text, cats=(), kind="post", date=None, ids=(), price=None,
      allow=(), brand=None):
    CASES.append(dict(platform=platform, handle=handle, lang=lang, text=text, cats=list(cats),
                      kind=kind, date=date, ids=list(ids), price=price, allow=list(allow), brand=brand))


# ---- complaints (public)
C("x", "@pendelpiet", "nl",
  "Al 9 dagen wacht ik op een vervangfiets van @wielwijs. Abonnement betaal ik wel gewoon door hè. "
  "Ruim honderd euro per maand voor een fiets die in jullie werkplaats staat te verstoffen 🙄", [R_COM])
C("x", "@ellie_commutes", "en",
  "@wielwijs_hulp third time this month my Stad S7 display just goes black halfway to work. Mechanic "
  "'couldn't reproduce'. I reproduce it daily on the bike path along the A12 mate", [R_COM], kind="reply")
C("instagram", "@roos.vanleeuwen", "nl",
  "wielwijs klantenservice is echt een lachertje. 47 min in de wacht, daarna opgehangen. opzeggen kan "
  "alleen telefonisch?? in 2026??", [R_COM])
C("x", "@tdh_utrecht", "en",
  "Cancelled my Duo Abonnement in March and you've charged me twice since. Two emails, zero replies. "
  "Sort it out @wielwijs", [R_COM], kind="reply")
C("facebook", "Mirjam Kok", "nl",
  "Monteur zou tussen 8 en 12 komen voor de Basisbeurt. Vrij genomen. Niemand gekomen, geen berichtje, "
  "niks. Bedankt Wielwijs, halve vrije dag naar de knoppen.", [R_COM])
C("reddit", "u/wet_commuter", "en",
  "The Wielwijs app has said my bike is 'in service' for three weeks now. The chatbot keeps looping me "
  "back to the FAQ. Has anyone actually reached a human there??", [R_COM])
C("x", "@b_oosterhout", "nl",
  "accu 500 na 4 maanden nog maar 18km bereik ipv 60. 'binnen normale slijtage' volgens @wielwijs_hulp. "
  "normaal m'n neus", [R_COM])
C("x", "@gr8ful_dad", "en",
  "Paid for the Grote Beurt, picked up the bike: rear brake rubbing worse than before and the chain bone "
  "dry. What exactly did I pay €149 for @wielwijs?", [R_COM], price=("Grote Beurt", 149))
C("mastodon", "@anouk@mastodon.nl", "nl",
  "Weer lek. 4e keer sinds januari, zogenaamd antilekbanden. En dan 5 werkdagen wachten op reparatie "
  "want 'drukte in de werkplaats'. #wielwijs #pendelleed", [R_COM])
C("x", "@marcoruns", "en",
  "hey @wielwijs your van was supposed to collect my bike yesterday for the motor fault. nobody came. "
  "today again nobody. cycling 14km with zero assist rn. not what I signed up for", [R_COM])
C("facebook", "Henk-Jan Vos", "nl",
  "Opzegtermijn van drie maanden stond nergens duidelijk bij het afsluiten. Voelt gewoon als een "
  "wurgcontract. Heel teleurgesteld in Wielwijs.", [R_COM])
C("x", "@sofia_amf", "en",
  "GPS tracker on my Wielwijs bike reported it in Utrecht while it was in my shed in Amersfoort. "
  "Support's answer: 'please restart the app'. Brilliant. Really reassuring.", [R_COM])
C("x", "@jorisz", "nl",
  "@WielwijsNL jullie hebben mijn fiets na de reparatie bij de verkeerde stalling neergezet. 40 minuten "
  "gezocht op station Zwolle en m'n trein gemist. Kom op zeg.", [R_COM], kind="reply")
# ---- first-hand safety incidents: crisis + complaint
C("x", "@lotte_fietst", "nl",
  "Mijn Wielwijs accu begon gisteravond te roken in de gang tijdens het laden. Brandweer erbij gehad, "
  "hele trappenhuis zwart. Ik ben er nog steeds kapot van en @wielwijs_hulp heeft nog niet eens "
  "gereageerd.", [R_CRI, R_COM])
C("reddit", "u/dutchcommuter88", "en",
  "Front brake on my Wielwijs Tour T9 failed completely going downhill this morning. Went over the "
  "handlebars, 6 stitches in my chin. The bike came back from their 'service' two days ago.",
  [R_CRI, R_COM])
C("x", "@fenna_h", "nl",
  "Kreeg vanochtend een flinke schok van de laadaansluiting van mijn Stad S7. Tintelende arm, moest "
  "langs de huisartsenpost. Jullie laders zijn levensgevaarlijk @wielwijs", [R_CRI, R_COM])
C("instagram", "@mama.met.bakfiets", "en",
  "my daughter's seat (the Kinderzitje Mini from wielwijs) snapped off the rack mid-ride. she's ok, "
  "bruised and scared, but it could have been so much worse. absolutely furious right now",
  [R_CRI, R_COM])
C("facebook", "Gerrit Mulder", "nl",
  "Stuur brak los tijdens het fietsen, twee dagen nadat Wielwijs hem 'gerepareerd' had. Met m'n knie "
  "op het asfalt geklapt, alles gekneusd. Ze draaien de bouten er blijkbaar maar half aan.",
  [R_CRI, R_COM])
# ---- crisis only
C("x", "@nieuwsflits_rdam", "en",
  "Reports: an e-bike battery fire in a Rotterdam flat last night has been linked to a Wielwijs "
  "subscription bike. Two residents treated for smoke inhalation.", [R_CRI])
C("x", "@fairwerk_nl", "nl",
  "Wielwijs betaalt monteurs onder de cao en dreigt met ontslag als je klaagt. Tijd om op te zeggen. "
  "#boycotwielwijs", [R_CRI])
C("reddit", "u/privacy_pelle", "en",
  "Looks like Wielwijs got breached: several people in the r/fietsen thread got phishing SMS quoting "
  "their exact Wielwijs contract numbers. Company has been silent for 4 days.", [R_CRI])
C("x", "@consumentenzaken", "nl",
  "Consumentenclaim start rechtszaak tegen Wielwijs over onredelijke opzegboetes in de "
  "fietsabonnementen. Gedupeerden kunnen zich aanmelden.", [R_CRI])
C("reddit", "u/speedped_sander", "en",
  "Wielwijs recall? Heard the Snelweg 45 speed pedelecs are being pulled because of cracks near the "
  "head tube. Anyone got the letter yet?", [R_CRI])
C("x", "@dennis_vb", "nl",
  "Collega van me is gisteren gevallen met zo'n Wielwijs abonnementsfiets, de trapas schijnt gewoon "
  "afgebroken te zijn. Ligt nu met een gebroken pols thuis.", [R_CRI])
C("bluesky", "@fietsjournalist.bsky.social", "en",
  "New investigation: Wielwijs allegedly swapped refurbished returns in as 'new' batteries for "
  "subscribers. If this holds up it's a proper scandal.", [R_CRI])
C("x", "@opzegactie", "nl",
  "Oproep: zeg massaal je Wielwijs-abonnement op tot ze die verborgen 'werkplaatstoeslag' schrappen. "
  "Petitie zit al op 3.000 handtekeningen. #boycotwielwijs", [R_CRI])
C("linkedin", "maaike-janssen-advocaat", "en",
  "We are preparing a collective action against Wielwijs Mobility over tracker location data allegedly "
  "shared with insurers. Subscribers who want to join can contact our office.", [R_CRI])
C("x", "@rtv_regio_nieuws", "nl",
  "Brand in fietsenstalling bij Utrecht Centraal mogelijk veroorzaakt door accu van een Wielwijs-fiets. "
  "Niemand gewond, stalling tijdelijk dicht.", [R_CRI])
# ---- abuse
C("x", "@woedende_wim", "nl",
  "Fiets 3 weken in reparatie en nu wéér kapot. Stelletje oplichters en kutmonteurs bij Wielwijs, "
  "ik hoop dat jullie failliet gaan", [R_ABU, R_COM])
C("x", "@angrycyclist_nl", "en",
  "@wielwijs_hulp your support staff are brain-dead idiots, every single one of you", [R_ABU],
  kind="reply")
C("x", "@bartje1987", "nl",
  "die Kevin van wielwijs is echt een vuile randdebiel, nog nooit zo'n achterlijke monteur gezien",
  [R_ABU])
C("tiktok", "@nofilterfloor", "en",
  "fuck wielwijs and fuck their overpriced garbage bikes 🖕🖕", [R_ABU])
C("x", "@zuurpruim_x", "nl",
  "wielwijs = kl\u043etebedrijf vol k\u0430nkerlijers", [R_ABU])  # Cyrillic o / a
C("reddit", "u/rage_pedal", "en",
  "wielwijs support is a bunch of f*cking m0r0ns. sh1t company, sh1t bikes.", [R_ABU])
C("facebook", "Patrick de Boer", "nl",
  "Die dikke trut achter de balie bij Wielwijs Utrecht moet gewoon ontslagen worden. Wat een wijf.",
  [R_ABU])
C("x", "@echtenederlander77", "nl",
  "Wielwijs monteurs spreken niet eens fatsoenlijk Nederlands. Rot op naar je eigen land.", [R_ABU])
C("x", "@kevin_monteur", "nl",
  "@fietsboos_ams jij bent gewoon een zeurende idioot. zoek lekker een andere fietsenmaker sukkel",
  [R_ABU], kind="reply")
C("x", "@ceo_watch", "en",
  "The Wielwijs CEO is a greedy parasite. Hope someone keys his Tesla tonight.", [R_ABU])
C("instagram", "@mo.fietst.niet", "nl",
  "Wielwijs klantenservice: stelletje t-y-f-u-s-l-i-j-e-r-s. Meer heb ik er niet over te zeggen.",
  [R_ABU])
C("x", "@harbourlane", "en",
  "Dear @wielwijs, you absolute clowns. Pathetic, useless, scamming clowns.", [R_ABU])
# ---- pricing
C("x", "@wielwijs", "nl",
  "🚲 Deal van de week: de Wielwijs Stad S7 nu voor €219! Op = op. #wielwijs", [L_PRI],
  price=("Stad S7", 219))
C("instagram", "@wielwijs.nl", "en",
  "New here? Get Pendel Plus for just €9,99 a month — forever 💚 link in bio", [L_PRI],
  price=("Pendel Plus", 9.99))
C("x", "@mvandam_ww", "nl",
  "Oeps, webshop toont de Snelweg 45 voor €429 ipv €4299. Prijsfout, team is ermee bezig, niet "
  "bestellen aub 🙈", [L_PRI], price=("Snelweg 45", 429))
C("x", "@koopjesjager_nl", "nl",
  "PRIJSFOUT bij Wielwijs!! Accu 625 voor €74,90 in de webshop 😱 snel zijn", [L_PRI],
  price=("Accu 625", 74.90))
C("facebook", "WielwijsNL", "nl",
  "Deze week: Grote Beurt voor maar €14,90 bij alle Wielwijs werkplaatsen! Boek snel in de app.",
  [L_PRI], price=("Grote Beurt", 14.90))
C("instagram", "@lisa.fietst", "en",
  "psst friends 🤫 use my staff link and get the Tour T9 for €990 instead of €2899 — only till Sunday!",
  [L_PRI], price=("Tour T9", 990))
C("reddit", "u/budgetbiker", "en",
  "Is the Duo Abonnement at €39/month on wielwijs.nl a mistake? My mate pays 149 for the same thing.",
  [L_PRI], price=("Duo Abonnement", 39))
C("tiktok", "@wielwijs", "nl",
  "Speedhelm NTA voor €15 🤯 alleen vandaag in de app!! #deal #speedpedelec", [L_PRI],
  price=("Speedhelm NTA", 15))
C("linkedin", "wielwijs-mobility", "en",
  "Fleet offer for employers: the Wielwijs Vouw V2 from €499 per bike for teams of 10 or more. "
  "Get in touch with our business team.", [L_PRI], price=("Vouw V2", 499))
C("x", "@snelle_sjaak", "nl",
  "lmao de Display D3 staat op €22,90 in de wielwijs app, da's toch een typfout?", [L_PRI],
  price=("Display D3", 22.90))
C("tiktok", "@sem_sleutelt", "nl",
  "niet tegen m'n baas zeggen maar de Motorcheck staat deze week per ongeluk op €8,90 in het systeem 😂 "
  "prijsfoutje, boeken maar", [L_PRI], price=("Motorcheck", 8.90))
C("x", "@dealhunter_eu", "en",
  "Wielwijs Tracker GPS showing €12.95 at checkout. price glitch?? ordered three lol", [L_PRI],
  price=("Tracker GPS", 12.95))
# ---- financial
C("linkedin", "ilse-kramer-finance", "nl",
  "Eerste blik op de Q3-cijfers: omzet +41%, maar EBITDA nog negatief (-€2,1 mln). Officiële "
  "publicatie pas in november, dus tot die tijd even stil houden 😉", [L_FIN])
C("x", "@mvandam_ww", "nl",
  "Gisteren all-hands gehad: werkplaatsen Breda en Tilburg gaan dicht, zo'n 35 fte eruit. Nog niet "
  "officieel, dus sst.", [L_FIN])
C("x", "@opinion8ed", "en",
  "Hearing from a friend at Wielwijs that they're in talks to be acquired by one of the big lease "
  "companies. Due diligence has already started, nothing announced yet.", [L_FIN])
C("linkedin", "noor-hendriks-wielwijs", "nl",
  "Zware weken voor HR. We bereiden een reorganisatie voor waarbij ons klantcontactcentrum naar "
  "Lissabon verhuist. De medewerkers horen het volgende maand pas.", [L_FIN])
C("x", "@bramdev_ww", "en",
  "board deck says we'll miss the 2026 subscriber target by ~30%, forecast got cut to 38k. glad i'm "
  "not in sales lol", [L_FIN])
C("reddit", "u/daan_werkplaats", "nl",
  "Intern gaat het rond dat we fietsketen Spaakhuys gaan overnemen, bod zou rond de 18 miljoen "
  "liggen. Komt pas na de zomer naar buiten.", [L_FIN])
C("x", "@zwager_insider", "nl",
  "Zwager werkt bij Wielwijs finance: ze halen de omzetprognose voor 2026 flink omlaag en de bank wil "
  "extra zekerheden. Staat nog nergens in het nieuws.", [L_FIN])
C("mastodon", "@yara_ops", "en",
  "ops planning was just told to assume 20% fewer vans next year. cost cutting round 2 is coming, "
  "layoffs rumoured for Q1. not public yet so shh", [L_FIN])
C("x", "@mvandam_ww", "nl",
  "Operatie Ketting gaat door: drie werkplaatsen sluiten en er verdwijnen 60 banen. Aankondiging "
  "pas in januari.", [L_FIN, L_CON])
C("linkedin", "ilse-kramer-finance", "en",
  "So proud of the finance team — the FY2026 results are in: €61m revenue and break-even reached 🎉 "
  "Can't share more until the 25th!", [L_FIN, L_CON], date="2027-02-10T16:20:00Z")
C("instagram", "@lisa.fietst", "nl",
  "Cijfers deze maand: 1.900 opzeggingen, churn bijna 9%. Management in paniek, officieel horen we "
  "het pas na de aandeelhoudersvergadering 🙃", [L_FIN])
C("linkedin", "wielwijs-mobility", "en",
  "DRAFT – do not publish before approval: Wielwijs closes H1 with €23.4m revenue and its first "
  "positive operating result. CEO quote TBC.", [L_FIN])
# ---- confidential
C("x", "@bramdev_ww", "en", "deploying Project Meridiaan to staging tonight, fingers crossed 🤞", [L_CON])
C("x", "@kevin_monteur", "en",
  "anyone else's grafana.wielwijs.internal dashboard timing out this morning? 😅", [L_CON])
C("linkedin", "noor-hendriks-wielwijs", "nl",
  "Vacature-update (wielwijs intern): we zoeken 4 teamleads voor de nieuwe hub in Almere, "
  "salarisschaal 9.", [L_CON])
C("instagram", "@lisa.fietst", "en",
  "Just test-rode the Volt Cargo prototype 😍 the kids are gonna LOVE this", [L_CON],
  date="2027-03-14T17:45:00Z")
C("tiktok", "@sem_sleutelt", "nl",
  "werkplaats POV: de eerste Kraanvogel frames zijn binnen 👀 mag er nog niks over zeggen", [L_CON])
C("reddit", "u/trainspotter_ut", "en",
  "Someone left a printout on my train seat titled 'WW-CONFIDENTIAL – Meridiaan pricing tiers'. "
  "Lol Wielwijs, maybe don't.", [L_CON])
C("mastodon", "@yara_ops", "en",
  "for everyone on the ops team: the new route planner lives at https://planner.wielwijs.local/v2 — "
  "bookmark it", [L_CON])
C("x", "@kevin_monteur", "nl",
  "vandaag training gehad over ｋｒａａｎｖｏｇｅｌ, eindelijk snap ik waarom we alles moeten omgooien",
  [L_CON])  # full-width letters
C("x", "@bramdev_ww", "en",
  "Pr\u200boject Meri\u200bdiaan demo went great, the CEO loved the new pricing screen", [L_CON])
C("tiktok", "@sem_sleutelt", "nl",
  "mag niks zeggen over O-p-e-r-a-t-i-e K-e-t-t-i-n-g maar het gaat in elk geval niet over nieuwe "
  "fietsen 😬", [L_CON])
C("linkedin", "wielwijs-mobility", "en",
  "Sneak peek at something big coming in spring… the Wielwijs Volt Cargo 📦🚲 Stay tuned!", [L_CON],
  date="2026-11-18T10:00:00Z")
C("x", "@fietsnerd_jan", "nl",
  "Wielwijs monteur liet z'n laptop openstaan in de werkplaats, stond gewoon intranet.wielwijs.local/"
  "roosters open met alle namen erop 🙈", [L_CON])
C("x", "@mvandam_ww", "nl",
  "'Niet extern delen' staat erop, maar dit moet iedereen zien: onze werkplaatsplanning voor 2027 "
  "past niet eens op één A3 😂", [L_CON])
C("bluesky", "@joris-sec.bsky.social", "en",
  "moving all our secrets to vault.wielwijs.internal this weekend. pray for me", [L_CON])
C("facebook", "WielwijsNL", "nl",
  "Binnenkort bij Wielwijs: het Volt Cargo abonnement voor gezinnen! Meer info volgt snel 👨‍👩‍👧",
  [L_CON], date="2026-12-03T09:30:00Z")
C("x", "@salesleaks", "en",
  "Leaked slide from the Wielwijs sales kickoff: 'Kraanvogel = replace all third-party motors with "
  "our own drive unit by 2028'. Interesting.", [L_CON])
# ---- security (insiders)
C("x", "@bramdev_ww", "en",
  "fun night: turns out our customer API returns other users' home addresses if you bump the "
  "contract id by one. patched in prod? nope, tomorrow maybe 🙃", [L_SECU])
C("mastodon", "@yara_ops", "nl",
  "Betaalstraat ligt er sinds 03:00 uit, niemand kan incasso's draaien. Statuspagina zegt nog "
  "doodleuk 'alle systemen operationeel' lol", [L_SECU])
C("bluesky", "@joris-sec.bsky.social", "en",
  "Tuesday's phishing drill turned into a real incident: two workshop accounts compromised, attacker "
  "sat in the service planning for ~6h. Customer comms will come 'later'.", [L_SECU])
C("reddit", "u/daan_werkplaats", "nl",
  "Wij weten intern al een week dat de firmware van de Tracker GPS geen authenticatie heeft, je kan "
  "elke fiets uitlezen met een BLE-scanner. Nog steeds niks aan gedaan.", [L_SECU])
C("linkedin", "ruben-de-wit-ww", "en",
  "We've been hit by ransomware on the workshop systems since Sunday. Customers don't know yet, so "
  "please be patient with us if your repair is late.", [L_SECU])
C("tiktok", "@sem_sleutelt", "nl",
  "hele werkplaatssysteem plat sinds vanochtend, we kunnen geen enkele reparatie inboeken 😩 klanten "
  "weten van niks", [L_SECU])
C("x", "@kevin_monteur", "en",
  "pro tip from the inside: the smart lock on the older Wielwijs bikes opens with the default PIN on "
  "old firmware. we've known for months.", [L_SECU])
C("x", "@mvandam_ww", "nl",
  "Ondertussen bij ons: een bucket met klantgegevens stond twee dagen open op internet door een "
  "verkeerde instelling. Juristen zitten nu te vergaderen.", [L_SECU])
C("bluesky", "@joris-sec.bsky.social", "en",
  "CVE pending for our app: the JWT signature isn't verified on the /rentals endpoint. fix ships "
  "next sprint. you didn't hear it from me 🤐", [L_SECU])
C("x", "@ex_wielwijs", "nl",
  "Ex-Wielwijs hier: het admin-account van het werkplaatsportaal heeft nog steeds het "
  "standaardwachtwoord. Heb ik in 2025 al gemeld, nooit iets mee gedaan.", [L_SECU])
C("mastodon", "@yara_ops", "en",
  "app's been down for 90 mins for everyone and we're told to call it 'scheduled maintenance'. "
  "it's not scheduled lol", [L_SECU])
C("instagram", "@lisa.fietst", "nl",
  "Sst, maar sinds de update van gisteren ziet een deel van de klanten in de portal de facturen van "
  "ándere klanten. IT weet het, klanten nog niet.", [L_SECU])
C("x", "@bramdev_ww", "en",
  "lol the prod db password got committed to the public repo last week and nobody rotated it: "
  "postgres://ww_app:%s@10.20.4.17:5432/rentals" % V["pw_pg"], [L_SECU, L_SEC])
# ---- secrets
C("x", "@bramdev_ww", "en",
  "@kevin_monteur use this one for the staging api: %s" % V["gh1"], [L_SEC], kind="reply")
C("bluesky", "@joris-sec.bsky.social", "en",
  "debugging CI, ugh.\nAWS_ACCESS_KEY_ID=%s\nAWS_SECRET_ACCESS_KEY=%s" % (V["aws_id"], V["aws_secret"]),
  [L_SEC])
C("x", "@mvandam_ww", "nl",
  "Nieuwe wifi in de werkplaats Utrecht 🎉 netwerk WW-Werkplaats, wachtwoord: %s (niet aan klanten "
  "geven!)" % V["pw_wifi"], [L_SEC])
C("forum", "frontend_fiona", "en",
  "Wielwijs ships their live Stripe key in the web app bundle, right there in main.js: %s" % V["stripe"],
  [L_SEC])
C("reddit", "u/daan_werkplaats", "nl",
  "kan iemand checken waarom deze slack bot niks meer post in #werkplaats? token: %s" % V["slack"],
  [L_SEC])
C("x", "@bramdev_ww", "en",
  "why does the openai client keep rejecting this?? %s" % V["openai"], [L_SEC])
C("mastodon", "@yara_ops", "en",
  "support tool keeps logging me out. here's my session token if IT wants a look:\n%s" % V["jwt"],
  [L_SEC])
C("x", "@bramdev_ww", "en",
  "wrong window, ignore 🙃\n-----BEGIN RSA PRIVATE KEY-----\n%s\n-----END RSA PRIVATE KEY-----" % V["pem"],
  [L_SEC])
C("instagram", "@lisa.fietst", "nl",
  "Oké wie heeft het wachtwoord van de social planner veranderd? login: socialteam / wachtwoord: %s "
  "graag terugzetten 🙏" % V["pw_social"], [L_SEC])
C("forum", "npm_sleuth", "en",
  "Found this in a source map of one of Wielwijs' published npm packages: %s — they should rotate it."
  % V["gh2"], [L_SEC])
C("reddit", "u/daan_werkplaats", "nl",
  "planning db connectie voor de nieuwe tablet: mysql://werkplaats:%s@10.20.8.4:3306/planning" % V["pw_mysql"],
  [L_SEC])
# ---- personal data
C("x", "@wielwijs_hulp", "nl",
  "@jan_pendelt we hebben je terugbetaling van €79 naar %s verwerkt, Jan. Binnen 3 werkdagen op je "
  "rekening!" % spaced(V["iban_refund"]), [L_PII], kind="reply", ids=[("iban", V["iban_refund"])])
C("instagram", "@lisa.fietst", "nl",
  "Wie is vergeten deze fiets op te halen? 😅 Staat op naam van Priya Raghunathan, Lindenlaan 14, "
  "3581 ER Utrecht. Kan iemand haar even bellen?", [L_PII])
C("x", "@stuck_in_zwolle", "en",
  "@wielwijs_hulp please call me back asap on %s, I've been waiting a week for a callback that "
  "never comes" % m_dash(V["m1"]), [L_PII, R_COM], kind="reply")
C("x", "@kevin_monteur", "nl",
  "Klant wilde pinnen met %s maar de terminal deed raar, iemand tips?" % spaced(V["card_kevin"]),
  [L_PII], ids=[("card", V["card_kevin"])])
C("linkedin", "noor-hendriks-wielwijs", "nl",
  "Contract klaar voor Tim Verhoef, BSN %s, start 1 mei — oeps, verkeerde chat" % V["bsn_hr"],
  [L_PII], ids=[("bsn", V["bsn_hr"])])
C("x", "@ineke_pendelt", "nl",
  "Hoi @wielwijs_hulp, ik wil mijn incasso wijzigen naar %s. Kan dat via DM of moet het via de app?"
  % V["iban_self"], [L_PII], kind="reply", ids=[("iban", V["iban_self"])])
C("mastodon", "@yara_ops", "en",
  "if anyone on the night shift sees this: the customer with the stolen bike is reachable at "
  "m.dekker84@gmail.com, please mail her the police report", [L_PII])
C("facebook", "WielwijsNL", "nl",
  "Beste Henk de Groot (geboren 04-07-1961), uw contract is aangepast, u ontvangt de bevestiging "
  "per post.", [L_PII], kind="reply")
C("x", "@opa_wout", "nl",
  "@wielwijs_hulp hier het kaartnummer voor de borg zoals gevraagd: %s (geldig tot 11/28)"
  % spaced(V["card_pub"]), [L_PII], kind="reply", ids=[("card", V["card_pub"])])
C("tiktok", "@sem_sleutelt", "nl",
  "deze meneer belt ons 8x per dag 😂 wil je meebellen: %s" % m_sp(V["m2"]), [L_PII])
C("facebook", "Sabine Hoekstra", "nl",
  "Wielwijs wil voor het leasecontract via mijn werkgever mijn BSN hebben, is dat normaal? Het is %s "
  "trouwens, zie het probleem niet zo" % V["bsn_pub"], [L_PII], ids=[("bsn", V["bsn_pub"])])
C("x", "@mvandam_ww", "nl",
  "Collega's: de terugstorting voor klant R. Bakker moet naar %s, niet naar het oude nummer!"
  % spaced(V["iban_de"]), [L_PII], ids=[("iban", V["iban_de"])])
C("reddit", "u/daan_werkplaats", "nl",
  "Ophaalroute morgen: eerst mevrouw Jansen op Prinsengracht 233-2 in Amsterdam, daarna meneer "
  "Yilmaz, Kanaalweg 8, Utrecht.", [L_PII])
C("x", "@kevin_monteur", "nl",
  "klant vraagt of iemand z'n gevonden helm heeft, mailen naar j . v e r m e u l e n @ h o t m a i l . c o m",
  [L_PII])
C("instagram", "@lisa.fietst", "en",
  "for the team chat, not here, but fine: customer's BSN is %s. please file it before Friday"
  % ".".join([V["bsn_evade"][:4], V["bsn_evade"][4:6], V["bsn_evade"][6:]]), [L_PII],
  ids=[("bsn", V["bsn_evade"])])

# ---- benign, mostly hard negatives
C("x", "@wielwijs", "nl",
  "Goedemorgen pendelaars ☀️ Vandaag 14 graden en droog, perfect fietsweer. Waar rijden jullie "
  "vandaag naartoe?", [])
C("x", "@noor_cycles", "en",
  "Shoutout to the Wielwijs mechanic who fixed my chain at Utrecht Centraal in ten minutes flat. Legend.",
  [])
C("x", "@wielwijs_hulp", "nl",
  "Vervelend om te horen! Bel ons gerust op 030-7604410 of mail klantenservice@wielwijs.nl, dan "
  "plannen we direct een monteur in.", [], kind="reply")
C("instagram", "@wielwijs.nl", "nl",
  "Black Friday 🖤 Grote Beurt nu €119 (normaal €149). Boeken kan in de app!", [],
  price=("Grote Beurt", 119), date="2026-11-27T07:00:00Z")
C("facebook", "WielwijsNL", "nl",
  "Het Pendel abo: €79 per maand, inclusief onderhoud, diefstalverzekering en een vervangfiets "
  "binnen 24 uur.", [], price=("Pendel abo", 79))
C("bluesky", "@joris-sec.bsky.social", "en",
  "PSA for juniors: never hardcode keys. The AWS docs use AKIAIOSFODNN7EXAMPLE for a reason — use env "
  "vars or a vault.", [])
C("x", "@bramdev_ww", "en",
  "Rotated every CI token today. If you spot ghp_************ in old logs: it's dead now 🧹", [])
C("x", "@waakzame_wendy", "nl",
  "Let op: oplichters doen zich voor als Wielwijs en vragen om 'achterstallige huur' over te maken "
  "naar %s. Niet doen! Wielwijs int alleen via automatische incasso." % spaced(V["bad_iban_scam"]),
  [], ids=[("iban", V["bad_iban_scam"])])
C("linkedin", "wielwijs-mobility", "nl",
  "Vandaag is het zover: de Wielwijs Volt Cargo is officieel gelanceerd! 📦🚲 Alles over het nieuwe "
  "Volt Cargo abonnement op wielwijs.nl/volt-cargo", [], date="2027-03-16T08:00:00Z")
C("linkedin", "ilse-kramer-finance", "nl",
  "Onze jaarcijfers 2026 staan online: omzet €61 mln, het eerste jaar break-even. Trots op het hele "
  "team!", [], date="2027-02-25T09:15:00Z")
C("x", "@pendelpiet", "nl",
  "Update: @wielwijs_hulp heeft het netjes opgelost, nieuwe accu binnen 2 dagen en een maand gratis. "
  "Top, klacht ingetrokken 👍", [])
C("x", "@utrecht_fietst", "nl",
  "Sterkte aan de monteurs van Wielwijs in Zwolle na de inbraak in jullie werkplaats vannacht. Hopelijk "
  "is het gereedschap snel terug.", [])
C("x", "@e_bike_nieuws", "nl",
  "Terugroepactie bij Rijwielco: hun bakfietsen hebben een scheurend frame. Fijn dat mijn Wielwijs "
  "fiets er niet onder valt.", [])
C("x", "@grappige_gijs", "nl",
  "Mijn Wielwijs fiets geeft meer trapondersteuning dan ik emotionele ondersteuning krijg 😂", [])
C("reddit", "u/newtown_nina", "en",
  "Does the Wielwijs Pendel Plus include theft insurance? Thinking of switching from my own bike.", [])
C("facebook", "WielwijsNL", "nl",
  "Liever zelf overmaken in plaats van incasso? Dat kan naar %s o.v.v. je contractnummer."
  % spaced(COMPANY_IBAN), [])
C("x", "@smishing_alert", "nl",
  "Kreeg net een sms 'Wielwijs: uw kaart %s is geblokkeerd, klik hier'. Lekker doorzichtig, "
  "meteen verwijderd." % spaced(V["bad_card_sms"]), [], ids=[("card", V["bad_card_sms"])])
C("x", "@vraagje_vera", "nl",
  "Vraagje aan @wielwijs_hulp: mijn bestelnummer is %s, kan ik de bezorging van de pendeltas nog naar "
  "zaterdag verzetten?" % V["bad_bsn_order"], [], kind="reply", ids=[("bsn", V["bad_bsn_order"])])
C("x", "@bramdev_ww", "en",
  "Reminder: \"Authorization: Bearer eyJhbGciOi…<redacted>\" is how you paste a header in a ticket. "
  "Not the real thing. Thanks 🙏", [])
C("instagram", "@wielwijs.nl", "nl",
  "Gebruik je nog steeds 'welkom01' als wachtwoord? Tijd om 2FA aan te zetten in de Wielwijs-app 🔐",
  [])
C("x", "@vogelaar_ruud", "nl",
  "Zag vanochtend een kraanvogel boven de polder tijdens mijn ritje naar werk 🐦 #fietsen #vogels",
  [], allow=["kraanvogel"])
C("x", "@ilona_amsfoort", "nl",
  "Ketting eraf op de Amsterdamsestraatweg, gelukkig zat de Wielwijs werkplaats om de hoek. Binnen "
  "5 min weer rijden 👌", [])
C("x", "@meetup_infosec", "en",
  "Great talk by the Wielwijs security team at the Utrecht meetup about how they run phishing drills. "
  "Refreshingly open culture.", [])
C("x", "@wielwijs_hulp", "nl",
  "De storing in de app van 14:00–14:40 is opgelost. Excuses voor het ongemak, alles werkt weer! "
  "Zie status.wielwijs.nl", [])
C("x", "@fd_mobiliteit", "nl",
  "Wielwijs haalt €12 mln op in een nieuwe financieringsronde, zo maakte het bedrijf vandaag bekend.",
  [])
C("x", "@pendel_patrick", "nl",
  "Oef, Fietsflex schrapt 80 banen. Hopelijk gaat het bij Wielwijs beter, mijn abo is net verlengd.", [])
C("x", "@scoorder_sanne", "nl",
  "Snellader 4A voor €99 in de Wielwijs sale (normaal €119), mooi meegenomen 🙌", [],
  price=("Snellader 4A", 99))
C("reddit", "u/tourfiets_tim", "nl",
  "Tour T9 voor €2.499 bij Wielwijs deze maand, best scherp toch?", [], price=("Tour T9", 2499))
C("x", "@lockpicker_lou", "en",
  "The Kettingslot ART-2 is €79 on wielwijs.nl this week, 20% off. Worth it?", [],
  price=("Kettingslot ART-2", 79))
C("facebook", "Karin Smits", "nl",
  "Duo abo €149/mnd voor twee fietsen. Eerlijk gezegd nog steeds goedkoper dan een tweede auto.", [],
  price=("Duo abo", 149))
C("linkedin", "noor-hendriks-wielwijs", "nl",
  "We zoeken fietsmonteurs in Utrecht en Amersfoort! 🔧 Solliciteren kan via jobs@wielwijs.nl", [])
C("tiktok", "@sem_sleutelt", "nl", "POV: je vervangt je 40e binnenband deze week 😅 #monteurlife", [])
C("youtube", "@WielwijsTV", "en",
  "New video: how to check your tyre pressure in 60 seconds. Link in the description!", [])
C("x", "@speedy_sam", "en", "My Wielwijs bike is an absolute beast, killed my commute time by 15 min 🔥", [])
C("reddit", "u/appartement_anna", "nl",
  "Hoe zit het eigenlijk met accu's en brandveiligheid? Iemand tips voor veilig laden in een "
  "appartement? Heb een Wielwijs fiets.", [])
C("x", "@tip_tessa", "nl",
  "Voor wie het zoekt: Wielwijs werkplaats is bereikbaar via werkplaats@wielwijs.nl of 0800-9435, ze "
  "reageren snel.", [])
C("x", "@devrel_dirk", "en",
  "Stripe test keys look like sk_test_xxxxxxxxxxxxxxxxxxxxxxxx. Never ship a live one in your "
  "frontend, people.", [])
C("x", "@wielwijs_hulp", "nl", "Storing of pech onderweg? Bel +31 30 760 4410, 24/7 bereikbaar.", [])
C("x", "@dromer_dave", "nl",
  "Wie doneert er voor mijn nieuwe Snelweg 45? NL00 FIET 0000 0000 00 😂", [])
C("x", "@rekenaar_ria", "nl",
  "Fietsflex heeft een abo voor €19 per maand?? Het Pendel abo van Wielwijs is €79. Wat is de catch?",
  [], price=("Pendel abo", 79))
C("x", "@fair_play_fred", "en",
  "Rough start with Wielwijs (late delivery) but they sorted it and threw in a free Basisbeurt. "
  "Fair play.", [])
C("x", "@n00b_nadia", "nl", "n00b vraag: hoe zet je de Display D3 op Engels?", [])
C("reddit", "u/careful_carla", "en",
  "Does Wielwijs share tracker location data with anyone? Asking before I sign up.", [])
C("linkedin", "wielwijs-mobility", "en",
  "We're hiring a Security Engineer! Help us keep the data of 30,000 commuters safe. Apply via "
  "jobs@wielwijs.nl", [])
C("x", "@wielwijs_hulp", "nl",
  "Hoi Sanne, stuur je postcode en huisnummer even via DM, dan zoeken we de dichtstbijzijnde "
  "werkplaats voor je!", [], kind="reply")
C("x", "@urban_uma", "en",
  "Just saw a Volt Cargo in the wild in Utrecht, it's massive. Anyone ordered one yet?", [],
  date="2027-03-20T12:10:00Z")
C("x", "@bramdev_ww", "en",
  "GitHub's own docs show %s as an example token. Don't paste real ones in Slack, people." % GH_DOC, [])
C("x", "@stadsnieuws_010", "nl",
  "Rechtszaak tegen e-stepverhuurder in Rotterdam om gevaarlijke steps. Blij dat ik gewoon een "
  "Wielwijs fiets heb.", [])
C("x", "@waalbrug_wendy", "en",
  "Thinking of the cyclist on a Wielwijs bike who was hit by a car on the Waalbrug this morning. "
  "Drivers, please look out for cyclists.", [])
C("x", "@fan_van_kevin", "en",
  "Kevin at Wielwijs Utrecht is the best mechanic I've ever met. Give that man a raise.", [])
C("x", "@sleutel_sukkel", "nl",
  "Ik ben echt de grootste sukkel, laat ik m'n sleutel in het slot van mijn Wielwijs fiets zitten. "
  "Stond er gelukkig nog 😅", [])
C("linkedin", "wielwijs-mobility", "nl",
  "Wielwijs opent in 2026 vijf nieuwe servicehubs: Almere, Leiden, Delft, Arnhem en Nijmegen. "
  "Meer werkplaatsen, kortere wachttijden.", [])
C("instagram", "@fietsvakantie_fleur", "nl",
  "Fietsen langs de nulmeridiaan in Greenwich, op een huurfiets want mijn Wielwijs bleef thuis 😄",
  [], allow=["meridiaan"])
C("bluesky", "@joris-sec.bsky.social", "en",
  "If your post contains '-----BEGIN OPENSSH PRIVATE KEY-----' you have already lost. Use a secret "
  "manager.", [])
C("x", "@kaart_kees", "en",
  "Dev tip: %s is NOT a valid test card, it fails Luhn. Stop putting it in your Wielwijs bug "
  "reports 😅" % spaced(V["bad_card_joke"]), [], ids=[("card", V["bad_card_joke"])])
C("x", "@belasting_bert", "nl",
  "Phishingmail die zich voordoet als Wielwijs: 'bevestig uw BSN %s'. Echt niet dus, weggooien." %
  V["bad_bsn_phish"], [], ids=[("bsn", V["bad_bsn_phish"])])
C("x", "@grensganger_gerd", "en",
  "Scam alert: fake 'Wielwijs Germany' emails asking for a deposit to %s. Wielwijs doesn't even "
  "operate in Germany." % spaced(V["bad_iban_de"]), [], ids=[("iban", V["bad_iban_de"])])
C("x", "@vouwfiets_vince", "en",
  "Vouw V2 at €1,799 is steep but it folds under my desk and the subscription covers repairs. No "
  "regrets.", [], price=("Vouw V2", 1799))
C("x", "@cityhopper_kim", "en",
  "Helmet shopping: Speedhelm NTA is €139 in the Wielwijs spring sale, down from 159. Decent.", [],
  price=("Speedhelm NTA", 139))
C("facebook", "WielwijsNL", "nl",
  "Fijne feestdagen van alle monteurs en collega's van Wielwijs! 🎄 Onze werkplaatsen zijn 25 en 26 "
  "december gesloten.", [], date="2026-12-22T09:00:00Z")

# ------------------------------------------------------------------ severity
SEV = ["none", "info", "warning", "error", "critical"]


def role_of(platform, handle):
    key = ("%s:%s" % (platform, handle)).lower()
    if key in [a.lower() for a in PROFILE["accounts"]["corporate"]]:
        return "corporate"
    if key in [a.lower() for a in PROFILE["accounts"]["employee"]]:
        return "employee"
    return "public"


def severity(cats, role, ids):
    sev = 0
    insider = role in ("corporate", "employee")
    checked = any(t in ("iban", "card", "bsn") and VALIDATORS[t](v) for t, v in ids)
    for c in cats:
        if c.startswith("leak."):
            if insider:
                s = 3
                if c in (L_SEC, L_PRI) or (c == L_PII and checked):
                    s = 4
            else:
                s = 2
        elif c == R_COM:
            s = 2
        elif c == R_CRI:
            s = 3
        elif c == R_ABU:
            s = 3 if insider else 2
        else:
            raise AssertionError(c)
        sev = max(sev, s)
    return SEV[sev]


VALIDATORS = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}

# ------------------------------------------------------------------- writing
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
CATS = {L_SEC, L_PII, L_PRI, L_CON, L_FIN, L_SECU, R_CRI, R_COM, R_ABU, "reputation.spike"}

start = datetime(2026, 1, 2, tzinfo=timezone.utc)
order = list(range(len(CASES)))
rng.shuffle(order)
out, used_ids = [], set()
for pos, i in enumerate(order):
    c = CASES[i]
    if c["date"]:
        created = c["date"]
    else:
        dt = start + timedelta(seconds=rng.randrange(0, 362 * 86400))
        created = dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    while True:
        pid = "%s-%d" % (c["platform"], rng.randrange(10**15, 10**16))
        if pid not in used_ids:
            used_ids.add(pid)
            break
    role = role_of(c["platform"], c["handle"])
    post = {"id": pid, "platform": c["platform"], "kind": c["kind"],
            "account": {"handle": c["handle"]}, "text": c["text"], "lang": c["lang"],
            "created_at": created}
    if rng.random() < 0.5:
        post["url"] = "https://social.example/%s/%s" % (c["platform"], pid.split("-")[-1])
    if c["brand"] or rng.random() < 0.3:
        post["brand"] = c["brand"] or "wielwijs"
    out.append({"post": post, "expect": {"categories": sorted(set(c["cats"])),
                                         "severity": severity(c["cats"], role, c["ids"])},
                "_meta": (c, role)})

# ---------------------------------------------------------------- self-check
errors = []


def err(msg, case):
    errors.append("%s: %s | %s" % (msg, case["post"]["id"], case["post"]["text"][:80]))


# profile checks
P = PROFILE
assert len(P["accounts"]["corporate"]) >= 6 and len(P["accounts"]["employee"]) >= 8
assert len({a.split(":")[0] for a in P["accounts"]["corporate"] + P["accounts"]["employee"]}) >= 4
assert all(iban_ok(x) for x in P["public_identifiers"]["ibans"])
assert len(P["internal"]["codenames"]) == 3 and len(P["internal"]["markers"]) == 3
assert 1 <= len(P["embargo"]) <= 2 and all(e["until"].startswith("2027") for e in P["embargo"])
assert 15 <= len(P["products"]) <= 25 and all(p["currency"] == "EUR" for p in P["products"])
assert all(p["aliases"] and p["list_price"] > 0 for p in P["products"])
assert P["pricing"]["alert_below_ratio"] == 0.5
LIST = {}
for p in P["products"]:
    for a in [p["name"]] + p["aliases"]:
        LIST[a.lower()] = p["list_price"]

PUBLIC_IBANS = {re.sub(r"\s", "", x) for x in P["public_identifiers"]["ibans"]}
ZW = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(ZW).lower()
    return t


RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
IBAN_RE = re.compile(r"\b(NL|DE|BE)\d{2}(?: ?[A-Z0-9]){12,30}")
IBAN_LEN = {"NL": 18, "DE": 22, "BE": 16}
CARD_RE = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
BSN_RE = re.compile(r"(?<![\d.])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\d])")

n_benign = 0
for case in out:
    c, role = case["_meta"]
    post, exp = case["post"], case["expect"]
    text = post["text"]
    cats = exp["categories"]
    benign = not cats
    n_benign += benign
    # --- contract section 1 / 6 shape
    if not (isinstance(post["id"], str) and 1 <= len(post["id"]) <= 256):
        err("bad id", case)
    if post["platform"] not in PLATFORMS or post["kind"] not in KINDS:
        err("bad platform/kind", case)
    if not post["account"]["handle"] or not isinstance(text, str) or not text:
        err("bad handle/text", case)
    if len(text.encode("utf-8")) > 64 * 1024:
        err("too long", case)
    if not RFC3339.match(post["created_at"]):
        err("bad created_at", case)
    datetime.strptime(post["created_at"][:19], "%Y-%m-%dT%H:%M:%S")
    if not post["created_at"].startswith(("2026", "2027")):
        err("date outside range", case)
    if any(x not in CATS for x in cats) or cats != sorted(set(cats)):
        err("bad categories", case)
    if exp["severity"] not in SEV or (benign and exp["severity"] != "none"):
        err("bad severity", case)
    if not benign and exp["severity"] in ("none", "info"):
        err("positive with low severity", case)
    # --- explicit identifiers
    for t, v in c["ids"]:
        ok = VALIDATORS[t](v)
        if benign and ok:
            err("negative look-alike passes %s" % t, case)
        if not benign and not ok:
            err("positive %s fails checksum" % t, case)
        if not benign and ok and L_PII not in cats:
            err("valid identifier without leak.pii", case)
    # --- scan the text for identifiers nobody declared
    found = []
    for m in IBAN_RE.finditer(text):
        compact = re.sub(r"\s", "", m.group(0))[:IBAN_LEN[m.group(1)]]
        found.append(("iban", compact))
    iban_spans = [m.span() for m in IBAN_RE.finditer(text)]
    for m in CARD_RE.finditer(text):
        if any(a <= m.start() < b for a, b in iban_spans):
            continue
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19 and d[0] in "3456":
            found.append(("card", d))
    for m in BSN_RE.finditer(text):
        found.append(("bsn", re.sub(r"\D", "", m.group(0))))
    declared = {(t, re.sub(r"\s", "", v)) for t, v in c["ids"]}
    for t, v in found:
        if t == "iban" and v in PUBLIC_IBANS:
            continue
        ok = VALIDATORS[t](v)
        if ok and (benign or L_PII not in cats):
            err("text holds a valid %s %s but is not labelled leak.pii" % (t, v), case)
        if ok and (t, v) not in declared:
            err("undeclared valid %s %s" % (t, v), case)
    if L_PII in cats:
        for t, v in found:
            if (t, v) not in declared and not (t == "iban" and v in PUBLIC_IBANS) and not VALIDATORS[t](v):
                err("positive pii post holds a failing %s" % t, case)
    # --- secrets: negatives must not hold a real-looking credential
    for tok in re.findall(r"gh[pousr]_[0-9A-Za-z]{36}", text):
        if gh_ok(tok) and L_SEC not in cats:
            err("valid github token not labelled", case)
        if L_SEC in cats and not gh_ok(tok):
            err("github token in positive fails crc", case)
    for k in re.findall(r"AKIA[A-Z2-7]{16}", text):
        if "EXAMPLE" not in k and L_SEC not in cats:
            err("aws key not labelled", case)
    for j in re.findall(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", text):
        if not jwt_ok(j):
            err("jwt header without alg", case)
        elif L_SEC not in cats:
            err("jwt not labelled", case)
    if re.search(r"PRIVATE KEY-----\s*\n[A-Za-z0-9+/]{40,}", text) and L_SEC not in cats:
        err("pem body not labelled", case)
    if re.search(r"(sk_live_[0-9A-Za-z]{20,}|xox[bp]-\d+-\d+-|sk-proj-|AIza[0-9A-Za-z_-]{35}|://[^:\s]+:[^@\s]+@)",
                 text) and L_SEC not in cats:
        err("credential not labelled", case)
    # --- embargo / codenames / markers / internal hosts
    nt = norm(text)
    nt_joined = re.sub(r"(?<=\w)[-. ](?=\w\b|\w[-. ])", "", nt)
    created = datetime.strptime(post["created_at"][:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
    for e in P["embargo"]:
        until = datetime.strptime(e["until"][:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
        if any(t.lower() in nt for t in e["terms"]):
            if created < until and L_CON not in cats:
                err("embargo term before until but not confidential", case)
            if created >= until and L_CON in cats and not any(
                    x.lower() in nt for x in P["internal"]["codenames"] + P["internal"]["markers"]):
                err("embargo term after until labelled confidential", case)
    for term in P["internal"]["codenames"] + P["internal"]["markers"] + P["internal"]["domains"]:
        tl = term.lower()
        hit = tl in nt or tl.replace(" ", "") in nt_joined.replace(" ", "")
        if hit and L_CON not in cats and not any(a in tl for a in c["allow"]):
            err("internal term %r not labelled confidential" % term, case)
    # --- pricing
    if c["price"]:
        alias, price = c["price"]
        lp = LIST[alias.lower()]
        if alias.lower() not in text.lower():
            err("price alias not in text", case)
        ratio = price / lp
        if L_PRI in cats and ratio >= 0.5:
            err("pricing positive with ratio %.2f" % ratio, case)
        if benign and ratio < 0.5:
            err("benign price below ratio", case)
    if L_PRI in cats and not c["price"]:
        err("pricing positive without price metadata", case)
    # --- accounts
    if role == "public" and c["handle"].lower() in [a.split(":", 1)[1].lower()
                                                     for a in P["accounts"]["corporate"] + P["accounts"]["employee"]]:
        err("public handle collides with profile", case)

# mix checks
from collections import Counter
catcount = Counter(x for case in out for x in case["expect"]["categories"])
langs = Counter(case["post"]["lang"] for case in out)
roles = Counter(case["_meta"][1] for case in out)
texts = [case["post"]["text"] for case in out]
if len(set(texts)) != len(texts):
    errors.append("duplicate texts")
if not 170 <= len(out) <= 180:
    errors.append("case count %d" % len(out))
if not 52 <= n_benign <= 66:
    errors.append("benign count %d" % n_benign)
want = {R_COM: 20, L_CON: 18, L_PII: 15, R_CRI: 15, L_SECU: 13, L_SEC: 12, R_ABU: 12, L_PRI: 12, L_FIN: 12}
for k, v in want.items():
    if abs(catcount[k] - v) > 3:
        errors.append("category %s count %d (want ~%d)" % (k, catcount[k], v))
nl_share = langs["nl"] / len(out)
if not 0.48 <= nl_share <= 0.62:
    errors.append("dutch share %.2f" % nl_share)
if len(used_ids) != len(out):
    errors.append("ids not unique")

if errors:
    print("\n".join(errors))
    sys.exit(1)

with open(os.path.join(HERE, "cases.jsonl"), "w", encoding="utf-8") as fh:
    for case in out:
        fh.write(json.dumps({"post": case["post"], "expect": case["expect"]}, ensure_ascii=False) + "\n")

# re-read the written file and validate it once more
with open(os.path.join(HERE, "cases.jsonl"), encoding="utf-8") as fh:
    lines = [json.loads(l) for l in fh]
assert len(lines) == len(out)
for l in lines:
    assert set(l) == {"post", "expect"} and set(l["expect"]) == {"categories", "severity"}
    for f in ("id", "platform", "account", "text", "created_at"):
        assert f in l["post"], f

print("ok: %d cases, %d benign, nl %.0f%%, roles %s" % (len(out), n_benign, 100 * nl_share, dict(roles)))
print("categories:", dict(sorted(catcount.items())))
print("severity:", dict(Counter(l["expect"]["severity"] for l in lines)))
