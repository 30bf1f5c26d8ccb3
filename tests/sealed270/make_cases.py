#!/usr/bin/env python3
"""Sealed evaluation set 270 for postwatch: Claravée Klinieken (fictional
Dutch chain of cosmetic and skin clinics).

Deterministic: a fixed seed drives every generated credential, identifier,
timestamp and the final order. Writes cases.jsonl next to this file and
checks it (CONTRACT section 6 shape, checksums of identifiers, secret formats,
severity derived from the account role in profile.yaml, embargo / codename
consistency, mix of categories and languages).

Standard library plus PyYAML only.
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
SEED = 270270
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# --------------------------------------------------------------------------
# checksums and generators
# --------------------------------------------------------------------------
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits


def iban_valid(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def iban_make(bank=None, valid=True):
    bank = bank or rng.choice(["ABNA", "INGB", "RABO", "TRIO", "KNAB", "SNSB", "ASNB", "BUNQ"])
    acct = "".join(rng.choice(string.digits) for _ in range(10))
    bban = bank + acct
    n = int("".join(str(int(c, 36)) for c in bban + "NL00"))
    chk = 98 - n % 97
    if not valid:
        chk = rng.choice([k for k in range(2, 99) if k != chk])  # any check digits but the right ones
    s = "NL%02d%s" % (chk, bban)
    assert iban_valid(s) == valid, s
    return s


def iban_spaced(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def luhn_valid(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def card_make(valid=True, prefix=None):
    prefix = prefix or rng.choice(["4", "4", "51", "53", "55"])
    body = prefix + "".join(rng.choice(string.digits) for _ in range(15 - len(prefix)))
    for last in range(10):
        if luhn_valid(body + str(last)):
            good = last
            break
    last = good if valid else (good + rng.randint(1, 9)) % 10
    num = body + str(last)
    assert luhn_valid(num) == valid
    return " ".join(num[i:i + 4] for i in range(0, 16, 4))


def bsn_valid(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9:
        return False
    w = [9, 8, 7, 6, 5, 4, 3, 2, -1]
    return sum(int(c) * k for c, k in zip(s, w)) % 11 == 0 and s != "000000000"


def bsn_make(valid=True):
    while True:
        d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        r = sum(x * k for x, k in zip(d, [9, 8, 7, 6, 5, 4, 3, 2])) % 11
        if r == 10:
            continue
        last = r if valid else (r + rng.randint(1, 9)) % 10
        s = "".join(map(str, d)) + str(last)
        if bsn_valid(s) == valid:
            return s


def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def github_token(prefix="ghp_"):
    body = "".join(rng.choice(ALNUM) for _ in range(30))
    return prefix + body + b62(zlib.crc32(body.encode()), 6)


def github_token_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()), 6) == m.group(2)


def aws_key_id():
    return "AKIA" + "".join(rng.choice(string.ascii_uppercase + "234567") for _ in range(16))


def aws_secret():
    return "".join(rng.choice(ALNUM + "/+") for _ in range(40))


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt_make():
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = {
        "sub": "pt_%d" % rng.randint(100000, 999999),
        "role": "clinic_admin",
        "iss": "https://portal.claravee.nl",
        "iat": 1780000000 + rng.randint(0, 9_000_000),
    }
    payload["exp"] = payload["iat"] + 86400
    body = b64url(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64url(bytes(rng.getrandbits(8) for _ in range(32)))
    return "%s.%s.%s" % (head, body, sig)


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    pad = "=" * (-len(parts[0]) % 4)
    try:
        hdr = json.loads(base64.urlsafe_b64decode(parts[0] + pad))
    except Exception:
        return False
    return "alg" in hdr


def pem_key():
    der = bytes([0x30, 0x82, 0x04, 0xA4, 0x02, 0x01, 0x00, 0x02, 0x82, 0x01, 0x01, 0x00])
    der += bytes(rng.getrandbits(8) for _ in range(1180))
    b = base64.b64encode(der).decode()
    lines = [b[i:i + 64] for i in range(0, len(b), 64)]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"


def rand_str(n, alphabet=ALNUM):
    return "".join(rng.choice(alphabet) for _ in range(n))


def db_password():
    return rand_str(10) + rng.choice("!#%*") + rand_str(5)


GEN = {
    "GHP": lambda: github_token("ghp_"),
    "AWS_ID": aws_key_id,
    "AWS_SECRET": aws_secret,
    "MOLLIE": lambda: "live_" + rand_str(30),
    "STRIPE": lambda: "sk_live_" + rand_str(24),
    "SLACK": lambda: "xoxb-%d-%d-%s" % (rng.randint(10**10, 10**11 - 1), rng.randint(10**12, 10**13 - 1), rand_str(24)),
    "OPENAI": lambda: "sk-proj-" + rand_str(64, ALNUM + "_-") + "T3BlbkFJ" + rand_str(64, ALNUM + "_-"),
    "PEM": pem_key,
    "JWT": jwt_make,
    "DBPW": db_password,
    "GLPAT": lambda: "glpat-" + rand_str(20, ALNUM + "_-"),
    "IBAN_OK": lambda: iban_make(valid=True),
    "IBAN_OK_SP": lambda: iban_spaced(iban_make(valid=True)),
    "IBAN_BAD_SP": lambda: iban_spaced(iban_make(valid=False)),
    "CARD_OK": lambda: card_make(True),
    "CARD_BAD": lambda: card_make(False),
    "ORDER_BAD": lambda: card_make(False, prefix="40"),
    "BSN_OK": lambda: bsn_make(True),
    "BSN_BAD": lambda: bsn_make(False),
    "COMPANY_IBAN": lambda: iban_spaced(PROFILE["public_identifiers"]["ibans"][0]),
}
CHECKED_OK = {"IBAN_OK", "IBAN_OK_SP", "CARD_OK", "BSN_OK"}
CHECKED_BAD = {"IBAN_BAD_SP", "CARD_BAD", "ORDER_BAD", "BSN_BAD"}

# --------------------------------------------------------------------------
# the posts
# --------------------------------------------------------------------------
CASES = []


def C(platform, handle, lang, cats, text, kind="post", when=None, price=None, name=None):
    CASES.append(dict(platform=platform, handle=handle, lang=lang, cats=sorted(set(cats)),
                      text=text, kind=kind, when=when, price=price, name=name))


CMP, CRI, CON, PII = "reputation.complaint", "reputation.crisis", "leak.confidential", "leak.pii"
SEC, SCR, ABU, PRC, FIN = "leak.security", "leak.secret", "reputation.abuse", "leak.pricing", "leak.financial"

# ---- complaints -------------------------------------------------------------
C("x", "@mirjam_vd_laan", "nl", [CMP],
  "Drie keer mijn afspraak voor de SilkLaser oksels verzet door @claravee_nl, telkens een dag van tevoren. "
  "Ik had er nota bene vrij voor genomen 🙄 Regel je planning nou eens.")
C("reddit", "u/glowupgone", "en", [CMP],
  "Paid Claravée €690 for ContourJaw and honestly I can't see any difference after 4 weeks. Asked for a "
  "follow-up and they want to charge me for the 'review consult'. Not impressed tbh.", price=("ContourJaw", 690))
C("facebook", "anouk.verbeek.77", "nl", [CMP],
  "Al 11 dagen wacht ik op een reactie van Claravée op mijn mail. Niks. Nada. Het geld van mijn geannuleerde "
  "peeling staat nog steeds niet op mijn rekening. Klantenservice is echt ver te zoeken bij die club.",
  kind="comment")
C("x", "@jordanlikesbrunch", "en", [CMP],
  "@claravee_zorg got charged twice for the same HydraBoost session?? 2x €349 on my statement. been on hold "
  "for 40 mins now", kind="reply", price=("HydraBoost", 349))
C("instagram", "@lotte.skincarediary", "nl", [CMP],
  "eerlijke review: de Vita C Serum van Claravée ruikt na 2 weken al ranzig en is helemaal oranje geworden. "
  "€59,95 voor dit?? nee dankje 👎 #skincarereview #eerlijk", price=("Vita C Serum", 59.95))
C("tiktok", "@beautyby_amira", "en", [CMP],
  "pov: you show up for your 10am at claravee amsterdam and they 'have no record' of it. 45 min travel for "
  "nothing. AGAIN. #claravee #fail #beautytok")
C("forum", "kwebbel_marjo", "nl", [CMP],
  "Ik ben echt niet tevreden over de Acne Clear behandelingen bij Claravée Utrecht. Vier sessies gehad (480 "
  "euro!) en mijn huid is eerder slechter dan beter. De therapeut zegt alleen 'geduld hebben'. Heeft iemand "
  "ervaring met een klacht indienen daar?", price=("Acne Clear", 480))
C("bluesky", "@tomasz.writes.bsky.social", "en", [CMP],
  "The Claravée booking app logs me out every single time I hit 'pay'. Five attempts now. Just let me give "
  "you my money lol")
C("x", "@kees_uit_zeist", "nl", [CMP],
  "Receptie bij Claravée Den Haag deed vandaag echt onbeschoft tegen mijn vrouw. 5 min te laat door de file "
  "en ze werd afgesnauwd dat ze 'maar opnieuw moest boeken' + no-show fee. Top service hoor 👏")
C("instagram", "@the.lash.diaries", "en", [CMP],
  "my lips are lopsided after VelvetLip at @claravee.clinics, one side is clearly bigger. they keep saying "
  "'it's just swelling' but it's been 3 weeks?? not happy at all", kind="comment")
C("reddit", "u/tulpenmeisje", "nl", [CMP],
  "PSA voor wie twijfelt over het Glow-abonnement bij Claravée: opzeggen kan alleen per aangetekende brief en "
  "ze schrijven gewoon door. Al 2 maanden €99 afgeschreven ná mijn opzegging. Succes ermee.")
C("facebook", "mark.hollis.393", "en", [CMP],
  "Claravée cancelled my PRP session on the day itself, kept the deposit and now nobody picks up the phone. "
  "Worst customer service I've had in years.", kind="comment")
C("threads", "@sophie.dk", "nl", [CMP],
  "Gisteren de LED Home Mask van Claravée binnengekregen, de lampjes aan de linkerkant doen het nu al niet. "
  "Retour aangevraagd maar ik moet zelf de verzending betalen?? Voor een ding van 300 euro. Nope.")
C("tiktok", "@noaa.glow", "nl", [CMP],
  "storytime: 20 min in de wachtkamer bij claravee rotterdam, behandelaar had duidelijk haast en mijn peeling "
  "duurde 8 minuten ipv 30. voor 189 euro 💸 nooit meer 😤")

# ---- first-hand safety incidents: crisis + complaint --------------------------
C("x", "@femmetje_rdam", "nl", [CRI, CMP],
  "Na de SilkLaser behandeling bij Claravée heb ik brandblaren op allebei mijn benen. Foto's naar de kliniek "
  "gestuurd, ze reageren gewoon niet. Ik kan amper lopen. Dit is toch niet normaal?? 😢")
C("instagram", "@jess.tries.things", "en", [CRI, CMP],
  "Had ContourJaw filler at Claravée last Friday, now part of my chin has gone white-grey and it hurts like "
  "hell. ER doctor said possible vascular occlusion. The clinic told me to 'use a warm compress'. I'm furious "
  "and honestly scared.")
C("facebook", "yvonne.smits.9", "nl", [CRI, CMP],
  "Die LED Home Mask van Claravée werd gisteravond ineens gloeiend heet en nu heb ik rode brandplekken op mijn "
  "voorhoofd. Stekker eruit getrokken, het ding rook naar geschroeid plastic. Levensgevaarlijk, voor 299 euro.",
  price=("LED Home Mask", 299))
C("reddit", "u/derm_regret_22", "en", [CRI, CMP],
  "Got a nasty infection after NeedleLift microneedling at Claravée Eindhoven. Face swollen, on antibiotics now. "
  "The needle cartridge wasn't even sealed when she opened it, I noticed but didn't say anything. Never again.")
C("instagram", "@chantal_b_", "nl", [CRI, CMP],
  "Retinal Night van Claravée gebruikt precies zoals voorgeschreven en binnen 2 dagen lag mijn hele gezicht "
  "open, chemische brandwond volgens de huisarts. Kliniek noemt het een 'normale aanloopreactie'. Echt niet.")

# ---- crisis told by others / scandal / lawsuits / recall --------------------
C("x", "@nieuwsflits_utr", "nl", [CRI],
  "Inspectie (IGJ) start onderzoek naar de klinieken van Claravée na meerdere meldingen van complicaties bij "
  "fillerbehandelingen. Het bedrijf laat weten 'volledig mee te werken'.")
C("x", "@skinsafety_watch", "en", [CRI],
  "BOYCOTT Claravée. They let unqualified staff inject fillers and hide the complications. Share this and "
  "don't book there. #BoycottClaravee")
C("facebook", "marja.tuinstra", "nl", [CRI],
  "Mijn nichtje is na een CryoForm behandeling bij Claravée Amersfoort met bevriezingsletsel in het ziekenhuis "
  "beland. De familie is er kapot van. Let alsjeblieft op, mensen.")
C("bluesky", "@lawandbeauty.bsky.social", "en", [CRI],
  "A class action is being prepared against Claravée Klinieken on behalf of ~40 patients who report scarring "
  "after PicoTone laser sessions. The firm is still looking for claimants.")
C("reddit", "u/verontruste_mama", "nl", [CRI],
  "Roept Claravée een partij Vita C Serum terug?? Las op hun site iets over bacteriële besmetting, batch "
  "24C-118. Iemand meer info? Ik smeer het al weken op...")
C("tiktok", "@spillthetea_nl", "en", [CRI],
  "so apparently claravée had a DATA BREACH and my treatment photos ended up on some sketchy forum??? someone "
  "sent me a screenshot. wtf is going on 😳")
C("x", "@rechtspraakwatch", "nl", [CRI],
  "Rechtszaak tegen Claravée: vrouw eist €85.000 schadevergoeding na een mislukte lipfillerbehandeling die tot "
  "weefselsterfte leidde. Uitspraak verwacht in november.")
C("forum", "PlasticSurgeryWatch", "en", [CRI],
  "Heads up: a patient at Claravée Haarlem reportedly went into anaphylactic shock during a HydraBoost session "
  "yesterday, ambulance had to come. Hope she's ok.")
C("threads", "@gewoonmaaike", "nl", [CRI],
  "Dat schandaal bij Claravée met die nep-'artsen' zonder BIG-registratie... en ondertussen gewoon vrolijk "
  "reclame blijven maken op Insta. Ongelooflijk.")

# ---- confidential -----------------------------------------------------------
C("x", "@joost_vl_dev", "en", [CON],
  "long day migrating the booking service for Project Marigold, finally green on staging 🎉 can't say more yet")
C("instagram", "@yara.injects", "nl", [CON],
  "Vandaag training gehad voor de NeoCollagen Lift 😍 de resultaten zijn echt next level, kan niet wachten tot "
  "jullie dit kunnen boeken!! #comingsoon #injector", when="2026-10-14T16:22:05Z")
C("threads", "@sem.kliniekmanager", "nl", [CON],
  "Sleutels opgehaald voor ons nieuwe pand aan de Meir 🔑 Claravée Antwerpen wordt prachtig, opening gepland "
  "in het voorjaar!", when="2026-11-19T12:40:31Z")
C("linkedin", "ingrid-oosterveld", "en", [CON],
  "Proud of this team! The Operatie Zijdeglans kick-off went great today and the new brand identity slides "
  "are stunning. Little sneak peek of the deck below (strikt vertrouwelijk – claravee, so shhh 😉)")
C("x", "@rik_ops", "nl", [CON],
  "Collega's, de nieuwe hygiëneprotocollen staan op https://intranet.claravee.local/kwaliteit/protocollen-2026 "
  "— graag vóór maandag doorlezen en aftekenen!")
C("instagram", "@dr.okafor.aesthetics", "en", [CON],
  "Sneak peek from our R&D day: the at-home microcurrent device from Project Marigold 👀 prototype #3 looks so "
  "good. NDA, so that's all I'll say 🤐")
C("tiktok", "@lisa.huidtherapeut", "nl", [CON],
  "ff laten zien hoe ons nieuwe patiëntdossier eruitziet na de Nachtvlinder migratie 👩‍💻 (schermopname van "
  "emr.claravee.local, namen heb ik weggeblurd hoor)")
C("x", "@claravee_nl", "en", [CON],
  "DRAFT – CV-CONFIDENTIAL – do not publish before launch: Introducing NeoCollagen Lift, our new "
  "collagen-stimulating treatment, from €549 per session.", when="2026-12-09T08:01:44Z")
C("facebook", "ricardo.vos.52", "nl", [CON],
  "Mijn vriendin werkt bij Claravée en zegt dat ze onder de naam Operatie Zijdeglans helemaal gaan rebranden, "
  "nieuwe naam en al. Niet verder vertellen he 🤫")
C("reddit", "u/ex_claravee_temp", "en", [CON],
  "Former temp there. Their whole roadmap sits on jira.claravee.nl and the board for Nachtvlinder literally "
  "had the go-live date in the title lol", kind="comment")
C("x", "@drmarloes_kuipers", "nl", [CON],
  "Memo met 'claravee intern' erboven vandaag: vanaf volgende maand ligt hyaluronidase standaard op voorraad "
  "in elke behandelkamer. Goed nieuws voor de patiëntveiligheid, eindelijk!")
C("bluesky", "@noor-claravee.bsky.social", "en", [CON],
  "VPN for the new clinic laptops: connect to vpn.claravee.nl with your AD login, then run the script from "
  "git.claravee.dev/infra/clinic-setup (posting here so I don't lose it 🙈)")
C("x", "@joost_vl_dev", "en", [CON],
  "not allowed to say \uff30\uff52\uff4f\uff4a\uff45\uff43\uff54 \uff2d\uff41\uff52\uff49\uff47\uff4f\uff4c\uff44 "
  "out loud but our beta testers are LOVING it")
C("instagram", "@yara.injects", "nl", [CON],
  "Nog heel even geheim maar de Neo\u200bCollagen Lift komt eraan ✨✨ wie wil er proefpersoon zijn? 🙋‍♀️",
  when="2027-01-28T19:05:12Z")
C("linkedin", "claravee-klinieken", "nl", [CON],
  "We zoeken een Senior Data Engineer! Je bouwt mee aan ons nieuwe dataplatform (dbt, Snowflake, dashboards op "
  "grafana.claravee.dev) en werkt nauw samen met onze klinieken. Solliciteer via claravee.nl/werken")
C("linkedin", "bas-hoogendijk-claravee", "nl", [CON, FIN],
  "De jaarcijfers 2026 zijn bijna rond: omzet ruim €64 mln, EBITDA +18%. Trots op dit team! Publicatie volgt "
  "begin maart.", when="2026-12-20T10:15:00Z")
C("threads", "@sem.kliniekmanager", "en", [CON, FIN],
  "Board just signed off on the FY2026 results and we beat the forecast by a mile. Can't share numbers until "
  "March but the champagne is on ice 🍾", when="2027-01-15T18:44:09Z")

# ---- financial --------------------------------------------------------------
C("linkedin", "bas-hoogendijk-claravee", "nl", [FIN],
  "Na maanden onderhandelen is de overname van SkinLab Beauty (12 klinieken) door Claravée rond. Volgende week "
  "tekenen we. Nog niet delen aub!")
C("x", "@drmarloes_kuipers", "en", [FIN],
  "Heard in the partner meeting today that we're closing the Groningen and Zwolle clinics next quarter. 30+ "
  "colleagues affected. Heartbroken.")
C("threads", "@sem.kliniekmanager", "nl", [FIN],
  "Q3-omzet van mijn vestiging 22% onder budget, en volgens de controller koerst het hele bedrijf dit jaar af "
  "op 3 miljoen verlies. Zware tijden.")
C("linkedin", "ingrid-oosterveld", "en", [FIN],
  "HR hat on: we're preparing a restructuring at Claravée, roughly 85 FTE at head office will go by Q2. If you "
  "know of openings for great people, DM me.")
C("x", "@beursbengel", "nl", [FIN],
  "Hoor uit goede bron dat private-equitypartij Northvale Capital Claravée wil kopen voor zo'n €300 mln. Deal "
  "moet voor de jaarwisseling rond zijn.")
C("reddit", "u/claravee_throwaway", "en", [FIN],
  "I work in Claravée finance. The guidance they'll give the banks next month is way below what's floating "
  "around: we're looking at ~€52M revenue, not 60. Do with that what you want.")
C("facebook", "ClaraveeKlinieken", "nl", [FIN],
  "Update voor regiomanagers: per 1 februari fuseren regio Noord en regio Oost, vier regiomanagersfuncties "
  "komen te vervallen. Gesprekken volgen deze week.")
C("instagram", "@dr.okafor.aesthetics", "en", [FIN],
  "Big news coming: we're merging with a Belgian clinic group, term sheet signed yesterday 🥂 can't wait to "
  "announce it properly")
C("tiktok", "@lisa.huidtherapeut", "nl", [FIN],
  "hoorde net dat de helft van de huidtherapeuten in regio Zuid er in januari uit moet. 'reorganisatie' heet "
  "dat. lekker kerstcadeau 🙃")
C("x", "@rik_ops", "en", [FIN],
  "finance just told IT to cut 40% of the cloud budget because Q4 is going to miss by like 7M. so yeah, no new "
  "servers 😬")

# ---- security ---------------------------------------------------------------
C("x", "@rik_ops", "en", [SEC],
  "3am and the booking platform is down across all clinics. someone is hammering our API, probably a DDoS. comms "
  "hasn't said anything yet so pls don't RT 🙏")
C("mastodon", "@femke_db@mastodon.nl", "nl", [SEC],
  "Pentestrapport binnen: in het patiëntenportaal kun je andermans behandelfoto's zien door het dossiernummer "
  "in de URL op te hogen. Nog niet gefixt. Zucht.")
C("bluesky", "@noor-claravee.bsky.social", "en", [SEC],
  "Heads up colleagues: a phishing mail posing as payroll got 3 people to enter their credentials and one "
  "account was already used to send more. IT is on it, not public yet.")
C("x", "@joost_vl_dev", "nl", [SEC],
  "Onze webshop draait al 2 dagen met een WordPress-plugin met een bekende RCE erin, fix pas volgende sprint "
  "volgens de PO 🤦‍♂️")
C("instagram", "@yara.injects", "en", [SEC],
  "sorry to everyone whose appointment got cancelled today 😞 our whole clinic system got encrypted this "
  "morning (r a n s o m w a r e ??) and we're working on paper now. officially it's 'technical issues'")
C("threads", "@sem.kliniekmanager", "nl", [SEC],
  "Camera's en het pasjessysteem in kliniek Utrecht liggen er sinds gisteren uit, iedereen kan zo de "
  "medicijnkamer in lopen. IT zegt 'we kijken ernaar'.")
C("x", "@joost_vl_dev", "en", [SEC],
  "fun fact: the staging admin panel was reachable from the internet without any login for months. found it "
  "today, fixing it quietly 🙃")
C("x", "@oud_it_claravee", "nl", [SEC],
  "Als ex-medewerker: de back-ups bij Claravée zijn al maanden niet getest en de helft faalt. Als er iets "
  "misgaat zijn ze alles kwijt.")
C("reddit", "u/sysadmin_nl_anon", "en", [SEC],
  "Contractor here. Claravée still runs the PCs behind their payment terminals on Windows 7 with no patches. "
  "Reported it twice, nothing happens.", kind="comment")
C("bluesky", "@noor-claravee.bsky.social", "nl", [SEC],
  "Storing bij de pinautomaten in álle vestigingen sinds 08:00, pinnen gaat niet. Klanten nog niet ingelicht, "
  "wij zeggen maar 'vandaag alleen contant' 😬")
C("x", "@claravee_zorg", "nl", [SEC],
  "@anna_b_utrecht Excuses Anna! Ons boekingssysteem ligt er sinds vannacht helemaal uit door een storing in "
  "het datacenter en we weten nog niet wanneer het terug is. We hebben het nog niet officieel gemeld, dus "
  "fijn als je even geduld hebt 🙏", kind="reply")
C("mastodon", "@femke_db@mastodon.nl", "en", [SEC, CRI],
  "We've confirmed attackers exfiltrated ~18,000 patient records from the EMR last week, treatment notes "
  "included. Legal wants to hold off on notifying the AP. I think that's wrong.")

# ---- secrets ----------------------------------------------------------------
C("x", "@joost_vl_dev", "en", [SCR],
  "why does this keep failing 😩\n`git clone https://⟦GHP⟧@github.com/claravee/booking-api.git`\nstill gives "
  "me a 403")
C("x", "@rik_ops", "nl", [SCR],
  "Voor wie het nodig heeft in de deploy pipeline:\nAWS_ACCESS_KEY_ID=⟦AWS_ID⟧\nAWS_SECRET_ACCESS_KEY=⟦AWS_SECRET⟧\n"
  "niet verder delen he")
C("bluesky", "@noor-claravee.bsky.social", "en", [SCR],
  "Mollie webhook keeps timing out, anyone seen this? using our live key ⟦MOLLIE⟧ against the v2 payments "
  "endpoint")
C("reddit", "u/devjoe_contract", "en", [SCR],
  "Doing some freelance work on Claravée's webshop and Stripe keeps returning 401. Full call:\n"
  "curl https://api.stripe.com/v1/charges -u ⟦STRIPE⟧: -d amount=34900 -d currency=eur\nwhat am I missing?")
C("mastodon", "@femke_db@mastodon.nl", "nl", [SCR],
  "Slackbot voor de kliniekmeldingen werkt eindelijk! Token ⟦SLACK⟧ in de env zetten en gaan 🚀")
C("linkedin", "bas-hoogendijk-claravee", "en", [SCR],
  "Experimenting with GPT for our monthly management reports! The script is surprisingly simple:\n"
  "client = OpenAI(api_key=\"⟦OPENAI⟧\")\nHappy to share with fellow finance folks.")
C("x", "@rik_ops", "nl", [SCR],
  "iemand een idee waarom ssh deze key niet pakt? 'invalid format'\n⟦PEM⟧")
C("forum", "kevin_freelance", "en", [SCR],
  "Claravée patient portal API gives a 500 when I call /v1/appointments with this bearer:\n"
  "Authorization: Bearer ⟦JWT⟧\nany idea?")
C("tiktok", "@lisa.huidtherapeut", "nl", [SCR],
  "voor de nieuwe collega's in Utrecht 💕 kassa login is lisa.h, wachtwoord: Glow!2026Utr#7 — wifi hangt "
  "achter de balie")
C("bluesky", "@noor-claravee.bsky.social", "en", [SCR],
  "If the reporting job fails again just set\nDATABASE_URL=postgresql://reporting:⟦DBPW⟧@claravee-prod.cluster-"
  "c7xk2rq1.eu-west-1.rds.amazonaws.com:5432/clinics\nand rerun")
C("mastodon", "@femke_db@mastodon.nl", "nl", [SCR, CON],
  "Tijdelijke workaround voor de migratie: mysql://emr_admin:⟦DBPW⟧@emr.claravee.local:3306/dossiers — na het "
  "weekend zetten we 'm terug.")
C("x", "@rik_ops", "en", [SCR, SEC],
  "ok so the attackers got in with THIS GitLab token that leaked from an old CI log: ⟦GLPAT⟧\nrotating "
  "everything now, incident not announced yet")

# ---- personal data ----------------------------------------------------------
C("x", "@claravee_zorg", "nl", [PII],
  "@marieke_hr Hoi Marieke, we hebben je gegevens doorgezet naar de kliniekmanager: Marieke de Ruiter, "
  "06-41873265, marieke.deruiter@gmail.com. Je wordt vandaag nog gebeld!", kind="reply")
C("instagram", "@yara.injects", "nl", [PII],
  "Onze liefste vaste klant Jolanda van Dijk (geboren 14-03-1961!) kwam vandaag voor haar 10e behandeling en "
  "nam taart mee 🥰🎂")
C("x", "@drmarloes_kuipers", "nl", [PII],
  "Collega's, second opinion gezocht: patiënt met BSN ⟦BSN_OK⟧, 34 jr, late reactie op hyaluronzuur na 3 "
  "weken. Iemand ervaring mee?")
C("facebook", "ClaraveeKlinieken", "nl", [PII],
  "De terugbetaling voor mevrouw Bakker staat klaar, we maken het over naar ⟦IBAN_OK⟧ zodra de manager "
  "akkoord geeft.", kind="comment")
C("x", "@lien_uit_gouda", "nl", [PII, CMP],
  "@claravee_zorg ik wacht al een WEEK op mijn terugbetaling!! Mijn rekening is ⟦IBAN_OK_SP⟧, en bel me "
  "gewoon op 06 23 58 71 94 in plaats van die standaardmailtjes", kind="reply")
C("reddit", "u/cardfail_2026", "en", [PII, CMP],
  "Claravée's checkout keeps telling me my card is invalid: ⟦CARD_OK⟧ exp 08/28. It's definitely fine, used it "
  "this morning. Their shop is a mess.")
C("linkedin", "ingrid-oosterveld", "en", [PII],
  "Welcome to our new receptionist Dewi Pratama! 🎉 Dewi, your starting paperwork went to "
  "dewi.pratama93@hotmail.com, call me on +31 6 1928 4470 if anything is unclear.")
C("tiktok", "@lisa.huidtherapeut", "nl", [PII],
  "deze klant was zó lief en ze woont gewoon bij mij om de hoek: mevr. Hendriks, Lindenlaan 14 in Bunnik 😂 "
  "wereld is klein")
C("instagram", "@claravee.clinics", "nl", [PII],
  "Gefeliciteerd aan de winnaar van onze Glow-giveaway: Samira El Idrissi uit Tilburg! 🎉 Samira, we sturen "
  "je prijs naar Piushaven 27, 5017 AN Tilburg, klopt dat?")
C("facebook", "rjansen.tiel", "nl", [PII],
  "Aanbetaling voor mijn behandeling lukt niet via iDEAL, kunnen jullie het van mijn creditcard afschrijven? "
  "⟦CARD_OK⟧, geldig tot 11/27, op naam van R. Jansen", kind="comment")
C("threads", "@sem.kliniekmanager", "nl", [PII],
  "Kan iemand van de planning deze klant terugbellen? Mw. Akkermans, 030-2718890, wil haar PRP verzetten")
C("bluesky", "@noor-claravee.bsky.social", "en", [PII],
  "exporting the no-show list for the clinics, first rows for a sanity check:\nT. Visser, 1988-06-02, "
  "t.visser@ziggo.nl\nR. Öztürk, 1975-11-19, rozturk@outlook.com")
C("x", "@jkroon_91", "nl", [PII],
  "wie wil mijn aanbetaalde Acne Clear kuur bij Claravée overnemen? kan er zelf niet meer heen. mail me: "
  "j.kroon.1991 [at] gmail [dot] com of app 06 18 27 36 45")
C("x", "@claravee_nl", "en", [PII],
  "@boss_babe_em Hi Emma, we found your booking under date of birth 22/07/1994, Emma Visscher, right? DM us "
  "and we'll move it 🙂", kind="reply")
C("tiktok", "@lisa.huidtherapeut", "nl", [PII],
  "klant heeft haar creditcard bij de balie laten liggen 🙈 iemand die haar kent? staat op naam van M. "
  "Verhoef, ⟦CARD_OK⟧")

# ---- abuse ------------------------------------------------------------------
C("x", "@boze_bert", "nl", [ABU],
  "Claravée is een stelletje oplichtende klootzakken. Geld pakken en wegwezen. Kankerbedrijf.")
C("x", "@trolltastic99", "en", [ABU],
  "@drmarloes_kuipers you're a butcher and a fraud, hope you lose your license you stupid cow", kind="reply")
C("instagram", "@xx_ramona", "nl", [ABU],
  "Die behandelaar bij Claravée Breda is echt de lelijkste dikke muts die ik ooit heb gezien, wie laat zich "
  "nou door HAAR behandelen 🤮", kind="comment")
C("reddit", "u/realtalk_nl", "en", [ABU],
  "Every receptionist at Claravée is a brain-dead bimbo. Fucking useless, the lot of them.", kind="comment")
C("tiktok", "@mo_skrrt", "nl", [ABU],
  "claravee ga toch dood met je nepfillers 🖕🖕", kind="comment")
C("x", "@g3rrit", "nl", [ABU],
  "c1ar4v33 = k4nk3rb3dr1jf, st3lletj3 0pl1cht3rs, d00d 44n j3ll1e")
C("x", "@hatewatcher", "en", [ABU],
  "Claravée staff are \u0441omplete fu\u0441king idi\u043ets, every single one")
C("facebook", "henk.de.wit.1958", "nl", [ABU],
  "Waarom zet Claravée al die hoofddoekjes achter de balie? Ga terug naar je eigen land, ik wil gewoon een "
  "Nederlandse behandelaar.", kind="comment")
C("tiktok", "@lisa.huidtherapeut", "nl", [ABU],
  "klant van vandaag zeurde 40 min over haar 'asymmetrische' wenkbrauwen. mens ga zeiken bij je moeder, wat een "
  "kutwijf 🙄")
C("instagram", "@glamfail", "en", [ABU],
  "@claravee.clinics your 'doctors' are clowns and your owner is a greedy pig. f*** you all", kind="comment")
C("threads", "@weg_met_claravee", "nl", [ABU],
  "de eigenaar van claravee is een v u i l e   h o e r e n l o p e r en iedereen weet het")
C("youtube", "@PlasticQueenReacts", "en", [ABU],
  "lmao that Claravée nurse in the video looks like a melted candle, imagine letting that troll near you "
  "with a needle 😂😂", kind="comment")

# ---- pricing ----------------------------------------------------------------
C("instagram", "@claravee.clinics", "nl", [PRC],
  "FLASH DEAL 💥 SilkLaser Benen Volledig 6x nu voor maar €129! Alleen vandaag, boek via de link in bio",
  price=("SilkLaser Benen Volledig", 129))
C("x", "@claravee_nl", "nl", [PRC],
  "Black Friday bij Claravée: VelvetLip 1 ml voor €29,50 😍 #blackfriday #lipfiller", price=("VelvetLip", 29.5))
C("instagram", "@yara.injects", "nl", [PRC],
  "Vrienden en familie: deze maand kan ik SmoothLine 3 Zones voor €49 doen i.p.v. €349, stuur me een DM 💉",
  price=("SmoothLine 3 Zones", 49))
C("x", "@dealjager_nl", "nl", [PRC],
  "PRIJSFOUT?! LED Home Mask van Claravée staat in de webshop voor €2,99 🤯 snel zijn voordat ze het doorhebben",
  price=("LED Home Mask", 2.99))
C("reddit", "u/frugal_femme", "en", [PRC],
  "Is this a price error? Claravée's site lists the Glow Membership at €11.88 a year instead of €1188 lol. "
  "Ordered two just in case", price=("Glow Membership", 11.88))
C("x", "@joost_vl_dev", "en", [PRC],
  "oops. decimal bug in today's shop release: Retinal Night shows as €6.90. hotfix incoming, nobody tell "
  "marketing 😅", price=("Retinal Night", 6.90))
C("facebook", "ClaraveeKlinieken", "nl", [PRC],
  "Alleen deze week: ContourJaw filler 2 ml voor €190 (normaal €690)! Vol = vol.", price=("ContourJaw", 190))
C("tiktok", "@kortingkoningin", "nl", [PRC],
  "MENSEN de Vita C Serum van claravee kost nu €5,99 in hun webshop?? geen idee of het een foutje is maar ik "
  "heb er 6 besteld 🛒", price=("Vita C Serum", 5.99))
C("tiktok", "@claravee_skin", "nl", [PRC],
  "Onze CryoForm vetbevriezing nu voor €99 per zone 🧊 (t/m zondag)", price=("CryoForm", 99))
C("threads", "@sem.kliniekmanager", "nl", [PRC],
  "Door een fout in het kassasysteem is PicoTone vandaag voor €27,50 afgerekend ipv €275. Al twintig klanten. "
  "Help.", price=("PicoTone", 27.5))
C("youtube", "ClaraveeTV", "en", [PRC],
  "Watch how RF Tightening works ✨ Book now for just €42 with code RFTIGHT at checkout.",
  price=("RF Tightening", 42))
C("bluesky", "@bargainbex.bsky.social", "en", [PRC],
  "Claravée's checkout is taking 90% off the HydraBoost skinbooster, €34.90 instead of €349. Pretty sure that's "
  "a glitch 👀", price=("HydraBoost", 34.90))

# ---- benign, mostly hard negatives --------------------------------------------
C("x", "@claravee_nl", "nl", [],
  "Vragen over je behandeling? Mail info@claravee.nl of bel +31 30 799 4410 (ma–za 9–18u). We helpen je graag!")
C("instagram", "@claravee.clinics", "nl", [],
  "Deze maand 20% korting op de AquaGlow Facial: €119,20 i.p.v. €149 ✨ boek via boeken.claravee.nl",
  price=("AquaGlow Facial", 119.20))
C("facebook", "ClaraveeKlinieken", "nl", [],
  "Betaal je liever per bank? Maak het bedrag over naar ⟦COMPANY_IBAN⟧ t.n.v. Claravée Klinieken B.V. o.v.v. "
  "je factuurnummer.")
C("x", "@ninaaa_utr", "nl", [],
  "Eindelijk iemand die mijn acne serieus neemt. Dank je Claravée Utrecht, na 3 maanden Acne Clear is mijn huid "
  "echt rustig 🥹")
C("reddit", "u/quietskincare", "en", [],
  "Honest review: NeedleLift at Claravée for €229. Mild redness for a day, nothing dramatic, subtle but nice "
  "results. Would do it again.", price=("NeedleLift", 229))
C("x", "@zorgnieuws_nl", "nl", [],
  "IGJ legt boete op aan Amsterdamse salon ShinyFace voor botox zonder arts. Grotere ketens zoals Claravée zijn "
  "volgens de inspectie niet betrokken.")
C("x", "@joost_vl_dev", "en", [],
  "PSA for new devs: never commit real keys. The README uses AKIAIOSFODNN7EXAMPLE and "
  "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY as placeholders, keep it that way 🙏")
C("x", "@rik_ops", "nl", [],
  "Oude token is geroteerd, ghp_****…x9 werkt niet meer. Gebruik de secrets manager, niet Slack 😉")
C("facebook", "petra.looman", "nl", [],
  "Kreeg een mail 'van Claravée' dat ik mijn restbedrag moest overmaken naar ⟦IBAN_BAD_SP⟧. Dat klopt toch "
  "niet? Lijkt me gewoon phishing.", kind="comment")
C("instagram", "@glowwithfleur", "nl", [],
  "Bestelling ⟦ORDER_BAD⟧ net binnen, super snel geleverd! Daily Shield + Barrier Repair, mijn huid is blij 😊")
C("forum", "mamavan3", "nl", [],
  "Voor de zorgverzekeraar moet ik een klantnummer opgeven, op mijn factuur van Claravée staat ⟦BSN_BAD⟧. Is "
  "dat hetzelfde als een polisnummer of moet ik iets anders hebben?")
C("linkedin", "claravee-klinieken", "nl", [],
  "Vandaag publiceerden wij onze jaarcijfers 2026: omzet €64,2 mln (+14%). Dank aan al onze medewerkers en "
  "klanten! Het volledige persbericht staat op claravee.nl/pers", when="2027-03-04T09:30:00Z")
C("instagram", "@claravee.clinics", "nl", [],
  "Het is zover: NeoCollagen Lift is vanaf vandaag te boeken in al onze klinieken 💫",
  when="2027-02-03T08:00:00Z")
C("x", "@brusselsebelle", "nl", [],
  "Net geweest bij de nieuwe Claravée Antwerpen, wat een mooie kliniek aan de Meir 😍",
  when="2027-04-11T14:12:45Z")
C("x", "@lien_vdm", "nl", [],
  "Update: @claravee_zorg heeft de dubbele afschrijving binnen een dag teruggestort en excuses gemaakt. Netjes "
  "opgelost 👍")
C("x", "@haarlem_hannah", "en", [],
  "Sending love to the Claravée Haarlem team after the storm ripped the awning off your building, hope "
  "everyone's okay ❤️")
C("tiktok", "@jaimy.lol", "nl", [],
  "mijn vriend dacht dat 'filler' een soort plamuur is 😂 dus ik zei ja schat we gaan bij claravee de muur doen")
C("reddit", "u/peelquestion", "en", [],
  "How long should I wait between a PeelRenew and a SilkLaser session? Booking both at Claravée next month and "
  "want to do it right.")
C("x", "@rekenaar_rob", "nl", [],
  "SilkLaser oksels 6x bij Claravée kost €390, bij de concurrent €450. Prima deal toch?",
  price=("SilkLaser oksels", 390))
C("x", "@serumaddict", "en", [],
  "Claravée's Vita C serum is insanely good, I'm obsessed. killer glow 😍")
C("x", "@claravee_nl", "nl", [],
  "Dit jaar lopen we met 40 collega's mee in de KWF-loop tegen kanker 💪 Sponsor ons team via de link!")
C("x", "@docuholic", "en", [],
  "Just watched a documentary on the PIP implant scandal. Glad my clinic (Claravée) shows me the batch "
  "sticker of every product they use.")
C("x", "@wintervel", "nl", [],
  "Iedereen roept om een boycot van fast fashion, ik boycot gewoon mijn winterhuid met de Barrier Repair crème "
  "😅 #claravee")
C("x", "@beautybiz_news", "en", [],
  "Rival chain Lumen Aesthetics faces a lawsuit over misleading before/after ads. Claravée's ads were reviewed "
  "by the same regulator last year and cleared.")
C("x", "@privacyfreak_nl", "nl", [],
  "Datalek bij tandartsketen SmileNext, 200.000 patiënten getroffen. Check even of je mailadres erin zit via "
  "haveibeenpwned.")
C("threads", "@sunsafe_sara", "en", [],
  "Not Claravée-related but heads up: a big drugstore brand recalled its SPF50 spray over benzene. I switched "
  "to Daily Shield anyway ☀️")
C("tiktok", "@claravee_skin", "nl", [],
  "Summer sale ☀️ 30% korting op PicoTone: €192,50 i.p.v. €275", price=("PicoTone", 192.50))
C("instagram", "@bride.to.be.lin", "en", [],
  "Treated myself to HydraBoost (€349) before the wedding, worth every cent ✨", price=("HydraBoost", 349))
C("x", "@claravee_zorg", "nl", [],
  "Wachtwoord vergeten voor Mijn Claravée? Klik op 'wachtwoord opnieuw instellen' op boeken.claravee.nl, je "
  "krijgt binnen 5 minuten een mail.")
C("bluesky", "@noor-claravee.bsky.social", "en", [],
  "Reminder for the docs: use sk_live_xxxxxxxxxxxxxxxxxxxxxxxx as the placeholder, never a real key 🙏")
C("instagram", "@herbalhanneke", "en", [],
  "Marigold oil at night + Barrier Repair cream in the morning is my winter combo 🌼")
C("x", "@claravee_nl", "nl", [],
  "Boek je afspraak eenvoudig online via boeken.claravee.nl 📅 of kom langs in een van onze 14 klinieken.")
C("linkedin", "ingrid-oosterveld", "nl", [],
  "We zoeken huidtherapeuten in Utrecht en Amersfoort! Solliciteer via claravee.nl/werken 💼 Warm team, "
  "goede opleiding.")
C("instagram", "@dr.okafor.aesthetics", "en", [],
  "Sunday reminder: SPF every single day, even when it's cloudy ☁️ #skincare #dermtips")
C("x", "@drmarloes_kuipers", "nl", [],
  "Mooi congres gehad in Parijs over veilige fillertechnieken. Veel geleerd over het herkennen van "
  "vaatafsluiting 👩‍⚕️")
C("x", "@rik_ops", "nl", [],
  "Gepland onderhoud: boeken.claravee.nl is zondag tussen 02:00 en 04:00 niet bereikbaar. Excuses voor het "
  "ongemak!")
C("x", "@yvette_helpt", "nl", [],
  "@jordanlikesbrunch tip: bel gewoon 088-2528283, mij hielpen ze binnen 5 minuten", kind="reply")
C("reddit", "u/firsttimer_lips", "en", [],
  "Is €295 normal for 1 ml of lip filler? That's what Claravée charges for VelvetLip.",
  price=("VelvetLip", 295))
C("x", "@claravee_nl", "nl", [],
  "VelvetLip actie 💋 15% korting, nu €250,75. Alleen in november.", price=("VelvetLip", 250.75))
C("facebook", "wilma.zwolle", "nl", [],
  "Wat erg voor de medewerkers van Claravée Zwolle, die brand in het winkelcentrum ernaast. Sterkte allemaal 🙏",
  kind="comment")
C("x", "@catmom_eva", "en", [],
  "my cat looked at me like I'm an idiot when I put on the LED mask 😂 Claravée pls make a cat version")
C("facebook", "deborah.k.ams", "en", [],
  "Had a bit of a rough start with my SilkLaser booking, but the Claravée team sorted it super fast and threw in "
  "a free AquaGlow. Happy customer now.", kind="comment")
C("x", "@beautymarkt_nl", "nl", [],
  "Overname in de beautysector: Glowify neemt 8 salons van BeautyBar over. Benieuwd of grotere ketens als "
  "Claravée ook gaan consolideren.")
C("x", "@aesthetics_ticker", "en", [],
  "Lumen Aesthetics published its H1 results this morning: revenue up 9%, margin flat. Claravée reports in "
  "March.")
C("x", "@zus_van_sanne", "nl", [],
  "Ontslagen bij zorgverzekeraar Zekerwel, 300 banen weg. Mijn zus werkt gelukkig bij Claravée, daar is het "
  "rustig.")
C("x", "@rik_ops", "nl", [],
  "Blog: hoe we bij Claravée MFA voor alle medewerkers hebben uitgerold, lessons learned 👉 claravee.nl/blog/mfa")
C("reddit", "u/secure_sam", "en", [],
  "Does the Claravée app support 2FA? Couldn't find it anywhere in the settings.")
C("x", "@tipvanmaud", "nl", [],
  "Reminder van mijn Claravée arts: bij benauwdheid na een behandeling bel je 112, niet de kliniek. Goed om te "
  "weten!")
C("x", "@haha_henk", "nl", [],
  "Mijn Claravée app vroeg om een nieuw wachtwoord. wachtwoord: ******** 😂 nice try hackers")
C("facebook", "ClaraveeKlinieken", "nl", [],
  "Let op: wij vragen nooit om geld over te maken naar een ander nummer dan ⟦COMPANY_IBAN⟧. Rekeningnummers "
  "zoals ⟦IBAN_BAD_SP⟧ uit die phishingmails zijn níet van ons.")
C("x", "@claravee_nl", "en", [],
  "Our clinics are closed on King's Day (27 April). Online booking stays open as usual 🧡")
C("instagram", "@inktvrij_ilse", "nl", [],
  "Ik was zó bang voor de TattooFade behandeling maar het viel echt mee, weinig pijn en geen blaren. Top team!")
C("x", "@curious_cato", "en", [],
  "Not a complaint, just curious: why does Claravée only offer PRP in Amsterdam?")
C("linkedin", "bas-hoogendijk-claravee", "en", [],
  "Great panel at the Dutch Healthcare Finance Summit on how private clinics can invest responsibly. Thanks for "
  "having me!")
C("tiktok", "@claravee_skin", "nl", [],
  "Winterroutine ❄️ 1. Barrier Repair 2. Daily Shield 3. Retinal Night (alleen 's avonds!)")
C("youtube", "@sculptcurious", "en", [],
  "Watched their video on CryoForm, super informative. Does it hurt though?", kind="comment")
C("facebook", "gerda.moeder", "nl", [],
  "Mijn moeder (68) wil de RF Tightening proberen bij Claravée. Iemand ervaring? Ze is best zenuwachtig.",
  kind="comment")
C("x", "@newsletter_nerd", "en", [],
  "Anyone else get the Claravée newsletter today? The new clinic photos look really nice")
C("x", "@eerste_keer_eva", "nl", [],
  "Vandaag mijn eerste SmoothLine 3 Zones gehad, €349, iets duurder dan ik dacht maar heel netjes gedaan.",
  price=("SmoothLine 3 Zones", 349))
C("instagram", "@maya.glowdiary", "en", [],
  "\uff47\uff4c\uff4f\uff57 \uff55\uff50 \uff53\uff45\uff41\uff53\uff4f\uff4e ✨ thanks @claravee.clinics "
  "for the best AquaGlow ever")

# --------------------------------------------------------------------------
# build
# --------------------------------------------------------------------------
SEV = ["none", "info", "warning", "error", "critical"]


def role_of(platform, handle):
    key = ("%s:%s" % (platform, handle)).lower()
    for role in ("corporate", "employee"):
        if key in [a.lower() for a in PROFILE["accounts"][role]]:
            return role
    return "public"


def least_severity(cats, role, has_checked_id):
    s = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                v = 3
                if c in ("leak.secret", "leak.pricing"):
                    v = 4
                if c == "leak.pii" and has_checked_id:
                    v = 4
            else:
                v = 2
        elif c == "reputation.complaint":
            v = 2
        elif c == "reputation.crisis":
            v = 3
        elif c == "reputation.abuse":
            v = 3 if role != "public" else 2
        else:
            raise ValueError(c)
        s = max(s, v)
    return SEV[s]


PH = re.compile(r"⟦([A-Z_]+)⟧")


def fill(case):
    used = []

    def sub(m):
        kind = m.group(1)
        val = GEN[kind]()
        used.append((kind, val))
        return val

    case["text"] = PH.sub(sub, case["text"])
    case["used"] = used


def rand_time():
    start = datetime(2026, 1, 2, tzinfo=timezone.utc)
    t = start + timedelta(seconds=rng.randint(0, 362 * 86400))
    if t.hour < 6:
        t += timedelta(hours=rng.randint(7, 14))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


PLAT_PREFIX = {"x": "x", "instagram": "ig", "linkedin": "li", "facebook": "fb", "tiktok": "tt", "youtube": "yt",
               "reddit": "rd", "mastodon": "md", "bluesky": "bs", "threads": "th", "forum": "fo"}


def build():
    for c in CASES:
        fill(c)
    order = list(range(len(CASES)))
    rng.shuffle(order)
    rows = []
    for n, idx in enumerate(order):
        c = CASES[idx]
        role = role_of(c["platform"], c["handle"])
        has_checked = any(k in CHECKED_OK for k, _ in c["used"])
        created = c["when"] or rand_time()
        post = {
            "id": "%s-270%04d" % (PLAT_PREFIX[c["platform"]], n * 7 + rng.randint(0, 6)),
            "platform": c["platform"],
            "kind": c["kind"],
            "account": {"handle": c["handle"]},
            "text": c["text"],
            "lang": c["lang"],
            "created_at": created,
        }
        if rng.random() < 0.5:
            post["brand"] = "Claravée"
        expect = {"categories": c["cats"], "severity": least_severity(c["cats"], role, has_checked)}
        rows.append(({"post": post, "expect": expect}, c, role))
    return rows


# --------------------------------------------------------------------------
# self-check
# --------------------------------------------------------------------------
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
CATS = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial", "leak.security",
        "reputation.crisis", "reputation.complaint", "reputation.abuse"}


def parse_ts(s):
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def product_price(alias):
    for p in PROFILE["products"]:
        if alias.lower() == p["name"].lower() or alias.lower() in [a.lower() for a in p["aliases"]]:
            return float(p["list_price"])
    raise KeyError(alias)


def check(rows, path):
    errs = []

    def fail(msg):
        errs.append(msg)

    # profile sanity
    prof = PROFILE
    if len(prof["accounts"]["corporate"]) < 6 or len(prof["accounts"]["employee"]) < 8:
        fail("profile: too few accounts")
    for ib in prof["public_identifiers"]["ibans"]:
        if not iban_valid(ib):
            fail("profile IBAN fails mod-97: " + ib)
    if len(prof["internal"]["codenames"]) != 3 or len(prof["internal"]["markers"]) != 3:
        fail("profile: need 3 codenames and 3 markers")
    if not 15 <= len(prof["products"]) <= 25:
        fail("profile: product count")
    if prof["pricing"]["alert_below_ratio"] != 0.5:
        fail("profile: ratio")
    for e in prof["embargo"]:
        if not str(e["until"]).startswith("2027"):
            fail("embargo until not in 2027")
    for p in prof["products"]:
        if p["currency"] != "EUR" or not p["aliases"]:
            fail("product " + p["sku"])
    company_ibans = {re.sub(r"\s", "", x) for x in prof["public_identifiers"]["ibans"]}
    ratio = prof["pricing"]["alert_below_ratio"]

    with open(path, encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    if len(lines) != len(rows):
        fail("line count mismatch")
    ids = set()
    nl = 0
    cat_count = {c: 0 for c in CATS}
    benign = 0
    for ln, (line, (row, c, role)) in enumerate(zip(lines, rows), 1):
        obj = json.loads(line)
        if obj != row:
            fail("line %d differs from built row" % ln)
        if set(obj) != {"post", "expect"}:
            fail("line %d keys" % ln)
        p, e = obj["post"], obj["expect"]
        pid = p.get("id")
        if not isinstance(pid, str) or not 1 <= len(pid) <= 256:
            fail("line %d id" % ln)
        if pid in ids:
            fail("dup id " + pid)
        ids.add(pid)
        if p.get("platform") not in PLATFORMS:
            fail("line %d platform" % ln)
        if p.get("kind", "post") not in KINDS:
            fail("line %d kind" % ln)
        if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str):
            fail("line %d handle" % ln)
        if not isinstance(p.get("text"), str) or not p["text"] or len(p["text"].encode()) > 65536:
            fail("line %d text" % ln)
        try:
            ts = parse_ts(p["created_at"])
        except Exception:
            fail("line %d created_at" % ln)
            continue
        if ts.year not in (2026, 2027):
            fail("line %d year" % ln)
        if ts.year == 2027 and not c["when"]:
            fail("line %d random 2027" % ln)
        cats = e.get("categories")
        if not isinstance(cats, list) or cats != sorted(set(cats)) or not set(cats) <= CATS:
            fail("line %d categories" % ln)
        if e.get("severity") not in SEV:
            fail("line %d severity" % ln)
        has_checked = any(k in CHECKED_OK for k, _ in c["used"])
        if e["severity"] != least_severity(cats, role_of(p["platform"], p["account"]["handle"]), has_checked):
            fail("line %d severity mismatch" % ln)
        if not cats:
            benign += 1
            if e["severity"] != "none":
                fail("line %d benign severity" % ln)
        for k in cats:
            cat_count[k] += 1
        if p["lang"] == "nl":
            nl += 1
        text = p["text"]
        low = text.lower()
        # generated identifiers
        for kind, val in c["used"]:
            if kind in CHECKED_OK or kind in CHECKED_BAD:
                okv = {"IBAN": iban_valid, "CARD": luhn_valid, "ORDE": luhn_valid, "BSN_": bsn_valid}[kind[:4]](val)
                if kind in CHECKED_OK:
                    if not okv or PII not in cats:
                        fail("line %d: %s should pass its checksum in a pii positive" % (ln, kind))
                else:
                    if okv or cats:
                        fail("line %d: %s look-alike must fail and sit in a benign post" % (ln, kind))
            if kind == "GHP" and not github_token_ok(val):
                fail("line %d: bad github token" % ln)
            if kind == "AWS_ID" and not re.fullmatch(r"AKIA[A-Z2-7]{16}", val):
                fail("line %d: bad aws id" % ln)
            if kind == "JWT" and not jwt_ok(val):
                fail("line %d: bad jwt" % ln)
            if kind in ("GHP", "AWS_ID", "AWS_SECRET", "MOLLIE", "STRIPE", "SLACK", "OPENAI", "PEM", "JWT", "DBPW",
                        "GLPAT") and SCR not in cats:
                fail("line %d: generated secret in a non-secret case" % ln)
        if SCR in cats and not c["used"] and "wachtwoord:" not in low:
            fail("line %d: secret case without credential" % ln)
        # stray valid identifiers in posts not labelled pii
        if PII not in cats:
            for m in re.finditer(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b", text):
                s = re.sub(r"\s", "", m.group(0))
                if iban_valid(s) and s not in company_ibans:
                    fail("line %d: stray valid IBAN %s" % (ln, s))
            if SCR not in cats:
                for m in re.finditer(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)", text):
                    if luhn_valid(m.group(0)):
                        fail("line %d: stray Luhn-valid number" % ln)
                for m in re.finditer(r"(?<!\d)\d{9}(?!\d)", text):
                    if bsn_valid(m.group(0)):
                        fail("line %d: stray 11-proof number" % ln)
        # internal names must be labelled confidential
        for term in prof["internal"]["codenames"] + prof["internal"]["markers"] + prof["internal"]["domains"]:
            if term.lower() in low and CON not in cats:
                fail("line %d: internal term %r without leak.confidential" % (ln, term))
        for emb in prof["embargo"]:
            until = parse_ts(emb["until"].replace("+00:00", "Z")) if isinstance(emb["until"], str) else emb["until"]
            for term in emb["terms"]:
                if term.lower() in low:
                    if ts < until and CON not in cats:
                        fail("line %d: embargo term %r before until, not labelled" % (ln, term))
                    if ts >= until and CON in cats:
                        fail("line %d: embargo term %r after until labelled" % (ln, term))
        # prices
        if c["price"]:
            alias, price = c["price"]
            lp = product_price(alias)
            if alias.lower() not in low:
                fail("line %d: priced product %r not in text" % (ln, alias))
            if PRC in cats:
                if not (price < ratio * lp or "fout" in low or "error" in low or "glitch" in low or "bug" in low):
                    fail("line %d: pricing positive not below ratio" % ln)
            elif price < ratio * lp:
                fail("line %d: benign price below ratio" % ln)
        elif PRC in cats:
            fail("line %d: pricing case without price annotation" % ln)
        # roles: a public author's handle must not be a profile handle on another platform
        if role != role_of(p["platform"], p["account"]["handle"]):
            fail("line %d role" % ln)
        prof_handles = {a.split(":", 1)[1].lower() for r in ("corporate", "employee") for a in prof["accounts"][r]}
        if role == "public" and p["account"]["handle"].lower() in prof_handles:
            fail("line %d: profile handle %s used on the wrong platform" % (ln, p["account"]["handle"]))
        # company's own public e-mail must never be a pii finding on its own
        for em in prof["public_identifiers"]["emails"]:
            if em in low and PII in cats and not re.search(r"@(?!claravee\.nl)[a-z0-9-]+\.[a-z]", low):
                fail("line %d: pii label rests on the company e-mail" % ln)

    n = len(rows)
    if not 170 <= n <= 180:
        fail("case count %d" % n)
    if not 55 <= benign <= 65:
        fail("benign count %d" % benign)
    want = {"reputation.complaint": (18, 23), "leak.confidential": (16, 20), "leak.pii": (13, 17),
            "reputation.crisis": (13, 17), "leak.security": (11, 15), "leak.secret": (10, 14),
            "reputation.abuse": (10, 14), "leak.pricing": (10, 14), "leak.financial": (10, 14)}
    for k, (lo, hi) in want.items():
        if not lo <= cat_count[k] <= hi:
            fail("category %s count %d" % (k, cat_count[k]))
    share = nl / n
    if not 0.48 <= share <= 0.62:
        fail("Dutch share %.2f" % share)
    roles = {}
    for row, c, role in rows:
        roles.setdefault(role, 0)
        roles[role] += 1
    for r in ("corporate", "employee", "public"):
        if not roles.get(r):
            fail("no %s authors" % r)
    return errs, dict(n=n, benign=benign, nl=nl, cats=cat_count, roles=roles)


def main():
    rows = build()
    out = os.path.join(HERE, "cases.jsonl")
    with open(out, "w", encoding="utf-8") as fh:
        for row, _, _ in rows:
            fh.write(json.dumps(row, ensure_ascii=False, sort_keys=False) + "\n")
    errs, stats = check(rows, out)
    print("cases=%d benign=%d dutch=%d (%.0f%%) roles=%s" % (
        stats["n"], stats["benign"], stats["nl"], 100.0 * stats["nl"] / stats["n"], stats["roles"]))
    for k in sorted(stats["cats"]):
        print("  %-22s %d" % (k, stats["cats"][k]))
    if errs:
        for e in errs:
            print("FAIL:", e)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
