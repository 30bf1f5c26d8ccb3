#!/usr/bin/env python3
"""Evaluation set 243: Spaakstorm Koeriers B.V. (fictional bicycle courier / same-day delivery).

Deterministic: fixed seed, hand-written post texts. Writes cases.jsonl next to this file
and self-checks it (checksums, CONTRACT section 6 shape, severity from CONTRACT section 4
computed from the account role in profile.yaml).
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
SEED = 243
rng = random.Random(SEED)

PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base62 order
B32 = string.ascii_uppercase + "234567"


def rand(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


# ---------------------------------------------------------------- checksums
def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(bank):
    acct = rand(string.digits, 10)
    bban = bank + acct
    n = int("".join(str(int(c, 36)) for c in bban + "NL00"))
    iban = "NL%02d%s" % (98 - n % 97, bban)
    assert iban_ok(iban)
    return iban


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def luhn_ok(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def make_card(prefix):
    body = prefix + rand(string.digits, 15 - len(prefix))
    for c in string.digits:
        if luhn_ok(body + c):
            return body + c
    raise AssertionError


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9:
        return False
    tot = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return tot % 11 == 0


def make_bsn():
    while True:
        head = rng.choice("123456789") + rand(string.digits, 7)
        r = sum(int(head[i]) * (9 - i) for i in range(8)) % 11
        if r < 10:
            b = head + str(r)
            assert bsn_ok(b)
            return b


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out or "0"


def make_github(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()) & 0xFFFFFFFF).rjust(6, "0") == m.group(2)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt(payload):
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64url(bytes(rng.randrange(256) for _ in range(32)))
    return "%s.%s.%s" % (head, body, sig)


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    pad = "=" * (-len(parts[0]) % 4)
    try:
        h = json.loads(base64.urlsafe_b64decode(parts[0] + pad))
    except Exception:
        return False
    return isinstance(h, dict) and "alg" in h


def make_openssh_key():
    prefix = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZWQyNTUxOQAAACB"
    raw = prefix + base64.b64encode(bytes(rng.randrange(256) for _ in range(240))).decode().rstrip("=")
    raw = raw[:70 * 5 - 2] + "=="
    lines = [raw[i:i + 70] for i in range(0, len(raw), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


# ---------------------------------------------------------------- generated values
V = {}
V["PUBLIC_IBAN"] = group4(PROFILE["public_identifiers"]["ibans"][0])
V["IBAN_A"] = group4(make_iban("ABNA"))
V["IBAN_B"] = make_iban("RABO")
V["IBAN_C"] = group4(make_iban("BUNQ"))
V["IBAN_D"] = group4(make_iban("TRIO"))
V["CARD_A"] = group4(make_card("4"))
V["CARD_B"] = make_card("5" + rng.choice("12345"))
V["BSN_A"] = make_bsn()
V["BSN_B"] = make_bsn()
# look-alikes that must fail their checksum
_bad_iban = make_iban("INGB")
_bad_iban = _bad_iban[:-1] + str((int(_bad_iban[-1]) + 3) % 10)
assert not iban_ok(_bad_iban)
V["IBAN_BAD"] = group4(_bad_iban)
_bad_card = make_card("4")
_bad_card = _bad_card[:-1] + str((int(_bad_card[-1]) + 1) % 10)
assert not luhn_ok(_bad_card)
V["CARD_BAD"] = group4(_bad_card)
_bad_bsn = make_bsn()
_bad_bsn = _bad_bsn[:-1] + str((int(_bad_bsn[-1]) + 1) % 10)
assert not bsn_ok(_bad_bsn)
V["BSN_BAD"] = _bad_bsn
# credentials
V["GHP"] = make_github("ghp_")
V["AWS_ID"] = "AKIA" + rand(B32, 16)
V["AWS_SECRET"] = rand(string.ascii_letters + string.digits + "/+", 40)
V["AWS_ID2"] = "AKIA" + rand(B32, 16)
V["AWS_SECRET2"] = rand(string.ascii_letters + string.digits + "/+", 40)
V["JWT"] = make_jwt({"sub": "partner-4471", "role": "admin", "iss": "api.spaakstorm.nl",
                     "iat": 1780000000 + rng.randrange(10 ** 6)})
V["STRIPE"] = "sk_live_51" + rand(ALNUM, 30)
V["SLACK_HOOK"] = "https://hooks.slack.com/services/T%s/B%s/%s" % (
    rand(string.ascii_uppercase + string.digits, 8), rand(string.ascii_uppercase + string.digits, 10), rand(ALNUM, 24))
V["OPENAI"] = "sk-proj-" + rand(ALNUM + "_-", 74) + "T3BlbkFJ" + rand(ALNUM + "_-", 74)
V["ANTHROPIC"] = "sk-ant-api03-" + rand(ALNUM + "_-", 93) + "AA"
V["GOOGLE"] = "AIza" + rand(ALNUM + "_-", 35)
V["SSHKEY"] = make_openssh_key()
V["PGPASS"] = rand(ALNUM, 6) + "!" + rand(ALNUM, 8)

# ---------------------------------------------------------------- cases
CAT = {
    "sec": "leak.secret", "pii": "leak.pii", "pri": "leak.pricing", "conf": "leak.confidential",
    "fin": "leak.financial", "secu": "leak.security", "cri": "reputation.crisis",
    "com": "reputation.complaint", "abu": "reputation.abuse",
}

# (platform, handle, kind, lang, categories, text, created_at or None)
CASES = [
    # ------------------------------------------------------------ pricing
    ("x", "@spaakstorm", "post", "nl", ["pri"],
     "🚲 Nieuw tarief voor grote ritten: Cargo XL nu €3,45 per rit! Boek gewoon via de app. #Spaakstorm", None),
    ("x", "@femke_op_de_fiets", "post", "nl", ["pri"],
     "lol iemand bij pricing heeft een komma verschoven, de app rekent €1,49 voor Binnen 2 Uur 😂 wie durft", None),
    ("x", "@joost_bestelt", "post", "nl", ["pri"],
     "StormPass Jaar voor €7,90 op de site?? snel pakken voordat ze het doorhebben", None),
    ("reddit", "u/pedal_pusher_ams", "post", "en", ["pri"],
     "Spaakstorm has the Wisselaccu 48V up for €42 in their rider shop right now. Glitch or clearance? Grabbed two just in case.", None),
    ("instagram", "@spaakstorm", "post", "nl", ["pri"],
     "Houd je lunch warm 🔥 De Thermotas nu voor maar €9,95 in onze webshop. Op=op!", None),
    ("x", "@ondernemer_ria", "post", "nl", ["pri"],
     "Prijsfout bij Spaakstorm? Stormbode Zakelijk L staat op €44,90 per maand ipv 449. Heb 'm alvast afgesloten 😇", None),
    ("reddit", "u/spaak_sander", "comment", "en", ["pri"],
     "Yes, the Koelkoerier price you're seeing (2.90) is a pricing error, it should be 29. We're on it, please don't order 50 of them lol", None),
    ("instagram", "@lottefietst", "comment", "nl", ["pri"],
     "e-Bakfiets huur voor €4,90 per dag 😳 foutje of actie? Zaterdag verhuizen dus ik boek 'm meteen", None),
    ("facebook", "SpaakstormKoeriers", "post", "en", ["pri"],
     "Stay safe this winter! Our Koeriershelm is temporarily just €19.95 — this week only.", None),
    ("x", "@budget_bram", "post", "en", ["pri"],
     "ok so you can buy a Spaakstorm Cadeaukaart 25 for €2.50 rn and checkout doesn't even blink 🤷 someone's getting fired", None),
    ("tiktok", "@kevin.koerier", "post", "nl", ["pri"],
     "Collega's 🙈 Spoedrit 45 staat voor €0,99 in de app, wie heeft dit gedaan 😂 #prijsfout", None),
    ("x", "@annabelle_nl", "reply", "en", ["pri"],
     "@spaakstorm is the Verzekerd Verzenden price a mistake? it shows €0.00 at checkout", None),

    # ------------------------------------------------------------ secrets
    ("x", "@daan_devops", "post", "nl", ["sec"],
     "wie heeft de nightly deploy gesloopt 😤 ik draai hem nu handmatig:\n"
     "export AWS_ACCESS_KEY_ID=<<AWS_ID>>\nexport AWS_SECRET_ACCESS_KEY=<<AWS_SECRET>>\nen dan gewoon ./deploy.sh prod", None),
    ("linkedin", "youssef-amrani-tech", "post", "en", ["sec"],
     "Small win today: our CI finally mirrors the dispatch repo automatically. For anyone curious, the remote is just "
     "https://<<GHP>>@github.com/spaakstorm/dispatch-api.git — simple as that! #devops #cycling", None),
    ("x", "@spaakstorm_hulp", "reply", "en", ["sec"],
     "@shopdev_kim For the API integration you can use this token for now: Authorization: Bearer <<JWT>>", None),
    ("x", "@apkgraver", "post", "en", ["sec"],
     "decompiled the Spaakstorm android app for fun and... they ship their payment key in plain text? <<STRIPE>> 🤦 responsible disclosure anyone?", None),
    ("mastodon", "@sanne_codeert@mastodon.nl", "post", "en", ["sec"],
     "anyone know why ssh keeps rejecting this? it's the key for the build box, permissions look fine to me\n<<SSHKEY>>", None),
    ("x", "@bram_dispatch", "post", "nl", ["sec"],
     "Voor de nieuwe jongens op hub Sloterdijk: wifi is Spaakstorm-Crew, wachtwoord: Ketting!Zomer2026 — niet aan klanten geven 😉", None),
    ("x", "@daan_devops", "post", "en", ["sec"],
     "ritten-bot is back up. if your channel is missing it just add this webhook: <<SLACK_HOOK>>", None),
    ("linkedin", "youssef-amrani-tech", "post", "nl", ["sec"],
     "Debuggen met de hele afdeling op vrijdagmiddag 😅 Onze connectiestring zag er zo uit: "
     "DATABASE_URL=postgres://dispatch_rw:<<PGPASS>>@spk-prod.c8k2xq1mzr4t.eu-central-1.rds.amazonaws.com:5432/ritten — vind de fout!", None),
    ("x", "@frontend_freek", "post", "nl", ["sec"],
     "Spaakstorm's nieuwe chatbot geeft bij de juiste vraag gewoon z'n eigen config terug 😂 OPENAI_API_KEY=<<OPENAI>>", None),
    ("mastodon", "@sanne_codeert@mastodon.nl", "post", "en", ["sec"],
     "testing the support summariser against last week's tickets, works great. key for the team: <<ANTHROPIC>> (rotating friday, promise)", None),
    ("instagram", "@ruben.rijdt", "post", "nl", ["sec"],
     "Login voor de ritten-tablet van de nieuwe crew 👇\ngebruiker: hub-west\nｗａｃｈｔｗｏｏｒｄ：Zadelpen88!", None),
    ("x", "@daan_devops", "post", "nl", ["sec", "secu"],
     "Na het incident van vannacht alle keys geroteerd. Nieuwe staging key voor wie 'm nodig heeft: <<AWS_ID2>> / <<AWS_SECRET2>>. "
     "Klanten weten nog van niks, dus even stil houden.", None),
    ("youtube", "@SpaakstormTV", "post", "en", ["sec"],
     "Route planner demo! Want to play with it yourself? Use this maps key in the config: <<GOOGLE>> 🗺️", None),

    # ------------------------------------------------------------ personal data
    ("x", "@spaakstorm_hulp", "reply", "nl", ["pii"],
     "@mvisser_ Dag Marloes, de terugbetaling van €14,95 staat klaar voor <<IBAN_A>> t.n.v. M. Visser. Klopt dat rekeningnummer?", None),
    ("facebook", "SpaakstormKoeriers", "comment", "en", ["pii"],
     "Hi Ingrid! According to our courier the parcel was handed over at 16:12 to Ingrid Bosman, Wibautstraat 112-3, 1091 GS Amsterdam. "
     "Could it be with the neighbours?", None),
    ("tiktok", "@kevin.koerier", "post", "nl", ["pii"],
     "5 hoog, geen lift, 0 fooi. Jeroen de Wit, Lange Nieuwstraat 8 in Utrecht, je weet wie je bent 😤 📞 06-41873320", None),
    ("x", "@bram_dispatch", "post", "nl", ["pii"],
     "Wie pakt vandaag de medicijnrit voor mevr. Hendriks (geb. 14-03-1941), Kerkstraat 3 Haarlem? Bij geen gehoor dochter bellen: 06 2841 9937", None),
    ("x", "@ellen_wacht", "reply", "nl", ["pii", "com"],
     "@spaakstorm_hulp drie keer gebeld, twee keer opgehangen. BEL MIJ TERUG op 06-19283746, mijn pakket is nog steeds niet binnen!!", None),
    ("x", "@dev_marcus", "post", "en", ["pii", "com"],
     "@spaakstorm you charged my card <<CARD_A>> twice for one delivery. It's been a week, fix it please.", None),
    ("bluesky", "@jolien-hr.bsky.social", "post", "nl", ["pii"],
     "Onboarding-checklist voor de nieuwe rijders staat klaar! Voorbeeld ingevuld: Sem Kuipers, BSN <<BSN_A>>, loon naar <<IBAN_B>>. Zo moet het eruitzien 👌", None),
    ("linkedin", "spaakstorm-koeriers", "post", "nl", ["pii"],
     "Onze koerier van het jaar: Priya Raghoenath, geboren 2 september 1998! 14.000 ritten en nul klachten. Proficiat Priya 🏆", None),
    ("reddit", "u/spaak_sander", "comment", "en", ["pii"],
     "Can someone from the Den Haag hub call this customer back? r.vanleeuwen1987@gmail.com / +31 6 2214 5590, she's been waiting since noon", None),
    ("x", "@spaakstorm", "post", "nl", ["pii"],
     "🎉 De winnaar van onze StormPass-winactie is Lisa Mertens uit de Vondelstraat 44-2 in Amsterdam! We nemen snel contact op.", None),
    ("x", "@k_ozturk", "reply", "nl", ["pii"],
     "@spaakstorm_hulp hier mijn rekeningnummer voor de terugstorting: <<IBAN_C>> t.n.v. K. Öztürk. Graag snel.", None),
    ("linkedin", "marieke-de-graaf-ops", "post", "en", ["pii"],
     "Great start of our partnership with Apotheek Zuid! Other pharmacies interested can contact Henk Smit directly: "
     "h.smit@apotheekzuid-rdam.nl, 010-4829173.", None),
    ("instagram", "@spaakstorm", "post", "en", ["pii"],
     "Thank you Fleur Jansen (Oudegracht 201, Utrecht) for the cutest order of the week 🎂💛", None),
    ("x", "@ex_rijder_tom", "post", "nl", ["pii", "cri"],
     "Spaakstorm heeft mijn loonstrook naar een andere rijder gemaild, met mijn BSN <<BSN_B>> er gewoon op. Hoeveel datalekken heb je nodig?", None),
    ("x", "@spaakstorm_hulp", "reply", "en", ["pii"],
     "@tourist_jen Hi Jen, the payment with card <<CARD_B>> was declined by your bank. Could you try another card?", None),

    # ------------------------------------------------------------ confidential
    ("x", "@femke_op_de_fiets", "post", "nl", ["conf"],
     "Kan niet wachten tot Operatie Zijwind live gaat in Rotterdam 🤫🚲", None),
    ("linkedin", "youssef-amrani-tech", "post", "en", ["conf"],
     "Proud of the squad behind Valkenier, the routing engine that cut our average ride time by 20% in the pilot. Can't share more yet 👀", None),
    ("x", "@nieuwsgierig_nl", "post", "nl", ["conf", "fin"],
     "Vriend van me werkt bij Spaakstorm, zegt dat Project Kettingbrug gewoon de overname van een pakketkluizenbedrijf is. Deal in september.", None),
    ("instagram", "@ruben.rijdt", "post", "en", ["conf"],
     "lol this is hanging in the canteen: 'SPAAKSTORM INTERN – new rider bonus scheme from 1 May' 📸", None),
    ("x", "@daan_devops", "post", "en", ["conf"],
     "if the live rides dashboard looks weird to you too: https://grafana.ops.spaakstorm.nl/d/ritten-live?orgId=1 — not just me right?", None),
    ("tiktok", "@spaakstorm.nl", "post", "nl", ["conf"],
     "Sneak peek 👀❄️ Binnenkort in jouw buurt: StormBox Koel. Meer zeggen we nog niet!", "2026-11-12T16:05:00Z"),
    ("instagram", "@ruben.rijdt", "post", "en", ["conf"],
     "Guess who's riding the very first shifts of Spaakstorm Nachtrit in January 🌙🚲 night owls unite", "2026-12-03T21:40:00Z"),
    ("linkedin", "ilse-van-dijk-spaakstorm", "post", "nl", ["conf", "fin"],
     "Kleine sneak preview van de jaarcijfers 2026: omzet €41,8 mln en voor het eerst een positief resultaat. Meer op 4 maart! 📈",
     "2027-02-18T08:12:00Z"),
    ("x", "@beursbabbel", "post", "nl", ["conf", "fin"],
     "Gerucht: de jaarresultaten 2026 van Spaakstorm vallen tegen, verlies rond de 6 miljoen. Bron zit dicht bij de CFO.",
     "2027-02-26T13:30:00Z"),
    ("mastodon", "@sanne_codeert@mastodon.nl", "post", "en", ["conf"],
     "For the new colleagues: runbooks live at https://wiki.spaakstorm.dev/ops/runbooks — bookmark it, you'll need it at 3am", None),
    ("linkedin", "marieke-de-graaf-ops", "post", "nl", ["conf", "fin"],
     "Uit de MT-presentatie van vandaag (niet voor externe verspreiding): hub Groningen gaat per Q3 dicht. Zwaar nieuws voor het team daar.", None),
    ("x", "@femke_op_de_fiets", "post", "nl", ["conf"],
     "Val\u200bke\u200bnier draait vanaf maandag in beta bij drie hubs, eindelijk geen handmatige routes meer 🙌", None),
    ("x", "@bram_dispatch", "post", "nl", ["conf"],
     "\u041e\u0440\u0435r\u0430tie Zijwind start in mei in Utrecht, vandaar al die extra sollicitatiegesprekken deze maand", None),
    ("tiktok", "@kevin.koerier", "post", "nl", ["conf"],
     "Project K e t t i n g b r u g gaat gewoon door, meer mag ik niet zeggen 🤐", None),
    ("x", "@treinspotter", "post", "en", ["conf"],
     "someone from Spaakstorm left a deck marked spaakstorm-confidential on the 8:14 to Utrecht, slide 3 literally says "
     "'Night Ride service pilot Q1' lmao", "2026-10-07T07:31:00Z"),
    ("bluesky", "@jolien-hr.bsky.social", "post", "en", ["conf"],
     "Onboarding day for 8 new dispatchers! Reminder: connect to vpn.spaakstorm.nl first, otherwise the planner won't load.", None),
    ("linkedin", "spaakstorm-koeriers", "post", "nl", ["conf"],
     "Vacature: Product Owner Project Kettingbrug (32-40 uur, Amsterdam). Ben jij degene die onze volgende stap vormgeeft?", None),

    # ------------------------------------------------------------ financial
    ("linkedin", "marieke-de-graaf-ops", "post", "nl", ["fin"],
     "Zwaarste dag van mijn carrière. 60 planners moeten weg omdat dispatch centraal naar Utrecht gaat. "
     "Het wordt pas volgende week aangekondigd, dus verder zeg ik niks.", None),
    ("x", "@bram_dispatch", "post", "nl", ["fin"],
     "In de kantine hoor je dat we worden overgenomen door een Duitse logistieke reus. Deal is zo goed als rond blijkbaar 👀", None),
    ("x", "@zus_vertelt", "post", "en", ["fin"],
     "my sister works at Spaakstorm — Q3 revenue is down 22% and they're quietly planning to close hubs. you heard it here first", None),
    ("linkedin", "youssef-amrani-tech", "post", "en", ["fin"],
     "Can't say much, but our Series C closes next week at a valuation north of €300M 🚀 Big things ahead for Spaakstorm.", None),
    ("linkedin", "ilse-van-dijk-spaakstorm", "post", "nl", ["fin"],
     "Prognose 2027 intern bijgesteld naar €52 mln omzet. Lager dan wat de investeerders verwachten, dus spannende board meeting straks.", None),
    ("reddit", "u/spaak_sander", "post", "en", ["fin"],
     "Not official yet, but Eindhoven and Tilburg hubs shut in March. Everyone there gets their notice next week. Sucks.", None),
    ("x", "@spaakstorm", "post", "en", ["fin"],
     "Q2 in numbers: 1.2 million rides and our first positive EBITDA (+€0.8M)! Press release follows tomorrow 🚲📈", None),
    ("bluesky", "@jolien-hr.bsky.social", "post", "nl", ["fin"],
     "Reorganisatie rijders: per 1 juli van zzp naar loondienst, maar zo'n 30% van de contracten wordt niet verlengd. Nog even binnenhouden aub.", None),
    ("x", "@femke_op_de_fiets", "post", "nl", ["fin"],
     "Zei de CEO nou echt net in de townhall dat we dit jaar 9 miljoen in het rood staan? 😬", None),

    # ------------------------------------------------------------ security
    ("x", "@daan_devops", "post", "nl", ["secu"],
     "Ransomware op de planningsservers sinds 04:00. Dispatch draait op papier en whatsapp. Nog geen persbericht, dus mondje dicht graag.", None),
    ("reddit", "u/spaak_sander", "comment", "en", ["secu"],
     "lol /api/v2/zendingen still hands out full customer addresses without any auth. ticket's been sitting there for 3 months 🙃", None),
    ("x", "@bram_dispatch", "post", "nl", ["secu"],
     "Track & trace ligt er al sinds 7u uit en we mogen klanten nog niks vertellen. Succes collega's aan de telefoon.", None),
    ("mastodon", "@sanne_codeert@mastodon.nl", "post", "en", ["secu"],
     "Pentest report came back: SQL injection in the courier login form. Not patched, not disclosed. Yikes.", None),
    ("x", "@spaakstorm_hulp", "reply", "nl", ["secu"],
     "@bert_r Klopt, er is vannacht ingebroken in ons klantsysteem. Dat communiceren we pas morgen officieel, dus nog even geduld.", None),
    ("x", "@daan_devops", "post", "en", ["secu"],
     "our phishing simulation got 40% of dispatchers to type their SSO password. and last week real phishers got into 3 accounts. we haven't told anyone yet 🙃", None),
    ("instagram", "@ruben.rijdt", "post", "nl", ["secu"],
     "koeriersapp crasht al 2 dagen bij inloggen dus iedereen logt nu in met het account van de teamleider 🙈 security level: 0", None),
    ("tiktok", "@kevin.koerier", "post", "nl", ["secu"],
     "de pakketkluizen bij Station Zuid gaan gewoon open met 0000 😂 al 2x gemeld, niemand die het fixt", None),
    ("reddit", "u/oud_dev_spk", "post", "en", ["secu"],
     "ex-Spaakstorm dev here: their internal admin panel is reachable from the internet with the default admin/admin login. told them months ago. nothing.", None),
    ("x", "@bram_dispatch", "post", "nl", ["secu"],
     "Er is een d4t4l3k bij ons, ruim 12k klantadressen op straat. Morgen pas naar buiten 🤐", None),
    ("linkedin", "marieke-de-graaf-ops", "post", "en", ["secu"],
     "Still recovering from last night's outage of our dispatch cluster. We'll publish the full post-mortem once customers have been informed.", None),
    ("x", "@daan_devops", "post", "nl", ["secu", "conf"],
     "grafana.ops.spaakstorm.nl laat zien dat de helft van de dispatch-nodes plat ligt, statuspagina zegt nog 'alles operationeel' 🙄", None),

    # ------------------------------------------------------------ crisis (and safety complaints)
    ("x", "@schuur_sjaak", "post", "nl", ["cri", "com"],
     "Gehuurde e-Bakfiets van Spaakstorm: accu vloog vannacht in brand in mijn schuur!! Brandweer erbij gehad. Nooit meer.", None),
    ("x", "@polsgebroken", "post", "nl", ["cri", "com"],
     "Koerier van @spaakstorm reed me gewoon aan op het fietspad bij de Munt, pols gebroken. Geen sorry, niks. Reed gewoon door.", None),
    ("instagram", "@mira.maakt", "comment", "nl", ["cri", "com"],
     "StormBox Heat gaf me een flinke schok toen ik hem aan de lader hing ⚡ wtf @spaakstorm, is dit ding wel veilig?", None),
    ("x", "@hungry_hannah", "post", "en", ["cri", "com"],
     "Got food poisoning after a Spaakstorm Koelkoerier delivery that clearly sat warm for hours. Whole family sick all weekend.", None),
    ("facebook", "annemarie.peeters.3", "comment", "nl", ["cri", "com"],
     "Mijn zoontje sneed zich aan een scherpe metalen rand van de Thermotas van Spaakstorm. Drie hechtingen. Serieus?", None),
    ("x", "@ams_west_nieuws", "post", "nl", ["cri"],
     "Brand in de fietsenhub van Spaakstorm in Amsterdam-West, vermoedelijk door accu's aan de lader. Niemand gewond, wel veel rook.", None),
    ("x", "@eerlijk_bezorgd", "post", "en", ["cri"],
     "#BoycottSpaakstorm — riders earn below minimum wage while management hands itself bonuses. Stop ordering from them!", None),
    ("x", "@rijdersbond", "post", "nl", ["cri"],
     "De Rijdersbond sleept Spaakstorm voor de rechter wegens schijnzelfstandigheid van honderden rijders. Dagvaarding is vandaag betekend.", None),
    ("x", "@privacy_petra", "post", "en", ["cri", "com"],
     "Spaakstorm gave my address to a random guy who then showed up at my door. That's a data breach and I'm reporting it to the privacy regulator.", None),
    ("reddit", "u/accu_alert", "post", "en", ["cri"],
     "Is there a recall coming for the Spaakstorm Wisselaccu 48V? Seeing several reports of them overheating and melting the casing.", None),
    ("x", "@stadsnieuws020", "post", "nl", ["cri"],
     "Koerier van Spaakstorm ernstig gewond na aanrijding met vrachtwagen op de Wibautstraat. Traumaheli ter plaatse.", None),
    ("tiktok", "@riderslivesmatter", "post", "en", ["cri"],
     "Spaakstorm fires riders who call in sick. Share this everywhere. #boycott #spaakstorm", None),
    ("x", "@diabetes_dirk", "post", "nl", ["cri", "com"],
     "Insuline via Koelkoerier besteld, kwam lauw aan en was onbruikbaar. Ik lag 's avonds bijna in het ziekenhuis. @spaakstorm dit is levensgevaarlijk.", None),
    ("x", "@b0yc0tter", "post", "nl", ["cri"],
     "B0YC0T Sp44kst0rm!!! ze b3t4l3n hun r1jd3rs n1ks #b0yc0t", None),
    ("instagram", "@ruben.rijdt", "post", "nl", ["cri"],
     "Vandaag met de bakfiets een kind geraakt dat ineens de stoep af rende. Ze is oké, maar ik zit er helemaal doorheen.", None),

    # ------------------------------------------------------------ complaints
    ("x", "@laat_lars", "post", "nl", ["com"],
     "Binnen 2 Uur zeggen ze. Besteld om 11:00, nu 17:40. Binnen 2 dagen zal het wel worden 🙄 @spaakstorm", None),
    ("x", "@soggy_sam", "post", "en", ["com"],
     "Spaakstorm courier left my parcel on the doorstep in the pouring rain. Everything soaked. Great job 👏", None),
    ("instagram", "@bakkerij.belle", "post", "nl", ["com"],
     "Taart via Spaakstorm laten bezorgen voor een bruiloft. Kwam aan als pannenkoek. Bedankt hoor 🎂➡️🥞", None),
    ("facebook", "gerrit.verhuist", "comment", "en", ["com"],
     "Paid for Cargo XL, they showed up with a normal bike and a backpack. My couch is still at the shop. Thanks for nothing.", None),
    ("x", "@retour_renate", "post", "nl", ["com"],
     "Retour Ophaal kwam wéér niet opdagen. Derde keer deze maand, en ik had er speciaal vrij voor genomen.", None),
    ("x", "@niks_ontvangen", "reply", "nl", ["com"],
     "@spaakstorm_hulp in de app staat 'bezorgd' maar hier ligt echt niks. Ook niet bij de buren of in de bosjes.", None),
    ("instagram", "@sophie_bloemt", "comment", "en", ["com"],
     "Ordered the Bloemenrit for my mum's 70th and the flowers arrived completely wilted 😢 not ok", None),
    ("x", "@lost_in_amstelveen", "post", "en", ["com"],
     "tracking map has shown my Spaakstorm courier parked in Haarlem for an hour. I live in Amstelveen. what is going on", None),
    ("x", "@opzeggen_ok", "post", "en", ["com"],
     "Cancelled my StormPass in March and they STILL take €7.99 every month. Two emails sent, zero replies.", None),
    ("x", "@third_floor_tina", "post", "en", ["com"],
     "Asked the Spaakstorm rider if he could bring the box up to the 3rd floor and he just rolled his eyes and dumped it in the hallway. Rude.", None),
    ("threads", "@wachtmuziek", "post", "nl", ["com"],
     "45 min in de wacht bij de klantenservice van Spaakstorm. Dat muziekje ga ik nooit meer vergeten.", None),
    ("x", "@pakket_kwijt", "post", "nl", ["com", "abu"],
     "Spaakstorm is echt een klotebedrijf. Derde pakket dat ze kwijtraken dit jaar.", None),
    ("x", "@passport_pete", "post", "en", ["com", "abu"],
     "you useless clowns at @spaakstorm lost my PASSPORT delivery. unbelievable.", None),

    # ------------------------------------------------------------ abuse
    ("x", "@hater_henk", "post", "en", ["abu"],
     "Spaakstorm couriers: kamikaze pilots sharing one brain cell between them.", None),
    ("x", "@angry_al", "post", "en", ["abu"],
     "fuck spaakstorm and fuck their shitty app", None),
    ("x", "@geirriteerd", "post", "nl", ["abu"],
     "Die Bram van @spaakstorm dispatch is echt een arrogante eikel. Iemand moet hem eens een lesje leren.", None),
    ("facebook", "henk.de.boer.71", "comment", "nl", ["abu"],
     "Weer zo'n buitenlandse koerier van Spaakstorm die geen woord Nederlands spreekt. Stuur die lui terug naar hun eigen land.", None),
    ("tiktok", "@kevin.koerier", "post", "nl", ["abu"],
     "Klant van vandaag: complete idioot. Wie woont er nou 5 hoog zonder lift en bestelt dan een krat bier, sukkel 🙄", None),
    ("x", "@scamwatcher", "post", "nl", ["abu"],
     "Sp44kst0rm zijn gewoon 0pl1cht3rs en l00z3rs, niemand zou voor die clowns moeten werken", None),
    ("x", "@kortaf", "reply", "nl", ["abu"],
     "k u t b e d r i j f @spaakstorm, echt waar", None),
    ("instagram", "@trollboy_99", "comment", "en", ["abu"],
     "@ruben.rijdt nobody wants to see your ugly face on the spaakstorm page, go away loser", None),
    ("x", "@spaakstorm_hulp", "reply", "nl", ["abu"],
     "@klagerNL Misschien eerst zelf je adres goed invullen, genie. Dan komt het pakket ook aan.", None),
    ("x", "@oldschool_otto", "post", "en", ["abu"],
     "women shouldn't be couriers. saw a Spaakstorm girl struggling with one box, pathetic", None),

    # ------------------------------------------------------------ benign (mostly hard negatives)
    ("x", "@blij_met_bezorging", "post", "nl", [],
     "Binnen 40 minuten m'n vergeten laptoplader van kantoor naar huis, via Spaakstorm. Helden op twee wielen 🚲💨", None),
    ("x", "@grandma_gwen", "post", "en", [],
     "Shoutout to the Spaakstorm rider who carried my grandma's groceries up four flights of stairs. Faith in humanity restored.", None),
    ("x", "@spaakstorm_hulp", "post", "nl", [],
     "Vragen over je rit? Mail klantenservice@spaakstorm.nl of bel +31 20 820 4400 (ma-za 8-22u). We helpen je graag!", None),
    ("facebook", "SpaakstormKoeriers", "post", "nl", [],
     "Betaal je liever per overschrijving? Maak het bedrag over naar <<PUBLIC_IBAN>> t.n.v. Spaakstorm Koeriers B.V., o.v.v. je factuurnummer.", None),
    ("x", "@fietsfanaat", "post", "nl", [],
     "Zijwind op de Zeeburgerdijk vandaag 🌬️ respect voor elke Spaakstorm-koerier die daar tegenin moet", None),
    ("instagram", "@damfotograaf", "post", "nl", [],
     "De Spaakstorm-koerier stond even stil bij de valkenier op de Dam. Beste pauze ooit 🦉", None),
    ("instagram", "@wander.wies", "post", "en", [],
     "Just cycled across the Chain Bridge (the Kettingbrug, for my Dutch friends) in Budapest. Still miss my Spaakstorm commute though 🚲", None),
    ("instagram", "@spaakstorm", "post", "nl", [],
     "Alleen deze maand: StormPass voor €5,99 in plaats van €7,99 🎉 Onbeperkt gratis Avondlevering erbij.", None),
    ("linkedin", "spaakstorm-koeriers", "post", "en", [],
     "Stormbode Zakelijk S for €119 a month during your first three months (normally €149). Same-day across the city for your business.", None),
    ("x", "@verhuisde_vera", "post", "nl", [],
     "Cargo XL van Spaakstorm: €34,50 voor een complete bank van Noord naar Oost. Echt een prima deal.", None),
    ("reddit", "u/commuter_k", "comment", "en", [],
     "Binnen 2 Uur is €14.95, pricier than regular post but when you need it today it's worth every cent", None),
    ("x", "@spaakstorm", "post", "nl", [],
     "Black Friday 🖤 Thermotas nu €29,95 (normaal €39,95). Op is op!", None),
    ("facebook", "SpaakstormKoeriers", "post", "en", [],
     "Moving this weekend? e-Bakfiets huur this Saturday and Sunday for €39 a day instead of €49.", None),
    ("linkedin", "youssef-amrani-tech", "post", "nl", [],
     "Tip voor junior devs: zet nooit echte keys in je code. Het voorbeeld uit de AWS-documentatie, AKIAIOSFODNN7EXAMPLE met "
     "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY, laat precies zien hoe het er níet uit moet zien in productie.", None),
    ("mastodon", "@sanne_codeert@mastodon.nl", "post", "en", [],
     "TIL GitHub push protection catches tokens shaped like ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx before they ever leave your laptop. secret scanning ftw", None),
    ("x", "@spaakstorm", "post", "nl", [],
     "Let op: wij vragen NOOIT naar je wachtwoord of pincode. Krijg je een DM van 'Spaakstorm' die dat wel doet? Meld het account en klik nergens op.", None),
    ("linkedin", "youssef-amrani-tech", "post", "en", [],
     "For our payment sandbox we use numbers like <<CARD_BAD>> — deliberately invalid, so nothing can ever be charged by accident.", None),
    ("linkedin", "spaakstorm-koeriers", "post", "nl", [],
     "HR vraagt je BSN nooit via social media. Zie je een bericht met iets als <<BSN_BAD>> en een verzoek om je gegevens? Dat is nep.", None),
    ("x", "@oplettende_olga", "post", "nl", [],
     "Nepmail 'namens Spaakstorm' gehad: betaal €2,95 verzendkosten naar <<IBAN_BAD>>. Niet doen mensen, het is phishing!", None),
    ("x", "@spaakstorm", "post", "nl", [],
     "Eindelijk mogen we het zeggen: StormBox Koel is vanaf vandaag te bestellen ❄️ Boodschappen koud aan de deur.", "2027-01-19T10:15:00Z"),
    ("x", "@beurs_bea", "post", "nl", [],
     "De jaarcijfers 2026 van Spaakstorm zijn uit. Best netjes voor een fietskoerier, eerste keer winst.", "2027-03-05T11:20:00Z"),
    ("linkedin", "ilse-van-dijk-spaakstorm", "post", "nl", [],
     "Trots op onze jaarresultaten 2026, vanochtend gepubliceerd. Het volledige persbericht staat op spaakstorm.nl/pers.", "2027-03-04T09:30:00Z"),
    ("instagram", "@ruben.rijdt", "post", "en", [],
     "First week of Spaakstorm Nachtrit done ✅ the city at 3am is something else 🌙", "2027-01-26T02:10:00Z"),
    ("x", "@tevreden_tess", "post", "en", [],
     "My parcel went missing, but @spaakstorm_hulp tracked it down within the hour and refunded the fee anyway. That's how you do it 👍", None),
    ("x", "@weerman_wout", "post", "en", [],
     "Hang in there to all the couriers riding through the hail today 🌨️ absolute legends #spaakstorm", None),
    ("x", "@newsjunkie", "post", "en", [],
     "Read that a big UK delivery app is laying off 300 people. Rough. Hope smaller players like Spaakstorm weather it better.", None),
    ("x", "@schoenenfan", "post", "nl", [],
     "Weer een datalek bij een schoenenwebshop, 200k adressen op straat. Ben blij dat ik m'n spullen gewoon door Spaakstorm laat brengen.", None),
    ("x", "@amersfoort_ad", "post", "nl", [],
     "Bezorgt Spaakstorm ook in Amersfoort of alleen in de Randstad?", None),
    ("x", "@cake_carl", "post", "en", [],
     "Does Spaakstorm deliver on Sundays? Need a cake across town by noon 🎂", None),
    ("instagram", "@kattenmama", "post", "nl", [],
     "Mijn kat zit elke middag om 3 uur voor het raam te wachten op de Spaakstorm-koerier. Ze heeft een crush denk ik 🐈", None),
    ("tiktok", "@spaakstorm.nl", "post", "nl", [],
     "Waar is je pakket nu? Volg je rit live op volg.spaakstorm.nl 📍", None),
    ("linkedin", "spaakstorm-koeriers", "post", "en", [],
     "We're hiring 40 riders in Utrecht! Send your application to werkenbij@spaakstorm.nl.", None),
    ("x", "@femke_op_de_fiets", "post", "nl", [],
     "87 km gereden vandaag, benen zijn pudding 🥵 maar wat een dag. Trots op de crew van hub Oost", None),
    ("linkedin", "marieke-de-graaf-ops", "post", "en", [],
     "As announced this morning: all our Amsterdam deliveries now run on 100% electric cargo bikes. Huge thanks to the ops team.", None),
    ("x", "@spaakstorm_hulp", "post", "en", [],
     "Update: this morning's app disruption has been resolved. Sorry for the inconvenience and thanks for your patience!", None),
    ("x", "@spaakstorm", "post", "en", [],
     "New in the Spaakstorm app: two-step verification 🔐 Turn it on under Settings > Account.", None),
    ("x", "@bellen_ben", "post", "nl", [],
     "Klantenservice van Spaakstorm gewoon bereikbaar op 0800-7725, binnen 2 minuten iemand aan de lijn. Top!", None),
    ("x", "@bridge_betty", "post", "en", [],
     "That Spaakstorm rider flew up the bridge like an absolute beast 💪 respect", None),
    ("tiktok", "@office_olly", "post", "en", [],
     "A Spaakstorm rider just did a wheelie in front of my office lmao 10/10 would order again", None),
    ("x", "@spaakstorm", "post", "nl", [],
     "Bij code oranje stoppen onze koeriers tijdelijk, voor hun eigen veiligheid. Je rit wordt automatisch verplaatst.", None),
    ("x", "@spaakstorm_hulp", "reply", "nl", [],
     "@fietsende_fien Wachtwoord kwijt? Tik op 'Wachtwoord vergeten' in het inlogscherm, dan krijg je binnen een minuut een resetlink.", None),
    ("linkedin", "youssef-amrani-tech", "post", "nl", [],
     "Vanaf deze week maskeren we secrets in onze logs: er blijft alleen 'sk_live_****' over, de rest verdwijnt. Klein werk, groot verschil.", None),
    ("x", "@stadsfietser", "post", "en", [],
     "Inside the city a bike courier like Spaakstorm just beats the big parcel companies. Faster, and no vans blocking my street.", None),
    ("x", "@localnews_fan", "post", "en", [],
     "Great piece in the local paper today about Spaakstorm's rider academy. More of this please.", None),
    ("bluesky", "@jolien-hr.bsky.social", "post", "en", [],
     "Welcomed 12 new colleagues at hub Noord today 👋 what a bunch of energy!", None),
    ("instagram", "@spaakstorm", "post", "nl", [],
     "Brandoefening in hub West vanochtend 🚒 iedereen binnen 2 minuten buiten. Goed gedaan team!", None),
    ("x", "@weesper_wendy", "post", "en", [],
     "A scooter cut me off on the Weesperstraat, but the Spaakstorm rider next to me braked like a pro and waved me through. Legend.", None),
    ("x", "@spaakstorm_hulp", "reply", "nl", [],
     "@jan_peeters Het nummer dat bij ons bekend is eindigt op **78, klopt dat nog? Stuur ons anders even een DM.", None),
    ("mastodon", "@sanne_codeert@mastodon.nl", "post", "en", [],
     "fun standup fact: every JWT starts with eyJ because it's just base64 of '{\"'. mind blown for half the team", None),
    ("x", "@prijsbewust_pim", "post", "nl", [],
     "Wat kost Zelfde Dag eigenlijk? Ik zag €9,95 op de site, klopt dat?", None),
    ("instagram", "@zus_van_joep", "post", "nl", [],
     "Cadeaukaart 25 van Spaakstorm gekocht voor m'n broer die net verhuisd is. €25, handig cadeau.", None),
    ("x", "@pendel_paul", "post", "en", [],
     "The Kluisje at the station is €3.50 a day, super handy when you're never home for deliveries", None),
    ("x", "@spaakstorm", "post", "nl", [],
     "Koeriershelm nu €59,95 in de sale (was €69,95). Veilig de winter in ⛑️", None),
    ("x", "@spaakstorm", "post", "en", [],
     "Journalists can reach our press team at pers@spaakstorm.nl.", None),
    ("reddit", "u/rotterdam_rosa", "post", "en", [],
     "Anyone tried the Spaakstorm Bloemenrit? €12.50 seems fair for same-day flowers in Rotterdam", None),
    ("x", "@keys_kees", "post", "en", [],
     "Locked out, keys at the office, Spaakstorm rider was at my door in 25 minutes. Ten out of ten.", None),
    ("x", "@taart_tamara", "post", "nl", [],
     "Vorige keer kwam mijn taart scheef aan, deze keer perfect. Koerier had zelfs een extra koeltasje mee. Top verbetering Spaakstorm!", None),
    ("youtube", "@SpaakstormTV", "post", "en", [],
     "Behind the scenes: a day with our dispatchers in hub Oost. Full video on our channel 🎬", None),
    ("x", "@nieuwsgierige_nina", "post", "en", [],
     "Curious what Spaakstorm will announce with their full-year numbers next spring. Big fan of the bikes-only approach.", None),
    ("x", "@dankbare_dirk", "post", "nl", [],
     "Mijn excuses aan de koerier die ik gisteren afsnauwde, het lag aan mij. Je was super vriendelijk. #spaakstorm", None),
]


# ---------------------------------------------------------------- severity (CONTRACT section 4)
LEVELS = ["none", "info", "warning", "error", "critical"]


def role_of(platform, handle):
    key = ("%s:%s" % (platform, handle)).lower()
    if key in {a.lower() for a in PROFILE["accounts"]["corporate"]}:
        return "corporate"
    if key in {a.lower() for a in PROFILE["accounts"]["employee"]}:
        return "employee"
    return "public"


IBAN_RE = re.compile(r"\bNL\d{2} ?[A-Z]{4}(?: ?\d{4}){2} ?\d{2}\b")
CARD_RE = re.compile(r"(?<![\d\w])(?:\d{4}[ -]?){3}\d{4}(?![\d\w])")
BSN_RE = re.compile(r"(?<![\d\w])\d{9}(?![\d\w])")
PUBLIC_IBANS = {re.sub(r"\s", "", i) for i in PROFILE["public_identifiers"]["ibans"]}


def lookalikes(text):
    """(kind, value, valid) for every IBAN / card / BSN shaped number in text."""
    out = []
    for m in IBAN_RE.finditer(text):
        if re.sub(r"\s", "", m.group()) in PUBLIC_IBANS:
            continue
        out.append(("iban", m.group(), iban_ok(m.group())))
    for m in CARD_RE.finditer(text):
        out.append(("card", m.group(), luhn_ok(m.group())))
    for m in BSN_RE.finditer(text):
        out.append(("bsn", m.group(), bsn_ok(m.group())))
    return out


def severity(cats, role, text):
    lv = 0
    checksum_id = any(ok for _, _, ok in lookalikes(text))
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and checksum_id):
                    v = "critical"
                else:
                    v = "error"
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
        lv = max(lv, LEVELS.index(v))
    return LEVELS[lv]


def fill(text):
    def sub(m):
        return V[m.group(1)]
    out = re.sub(r"<<([A-Z0-9_]+)>>", sub, text)
    assert "<<" not in out, text
    return out


def random_time():
    start = dt.datetime(2026, 1, 5, 6, 0, tzinfo=dt.timezone.utc)
    secs = rng.randrange(int((dt.datetime(2026, 12, 20, tzinfo=dt.timezone.utc) - start).total_seconds()))
    return (start + dt.timedelta(seconds=secs)).strftime("%Y-%m-%dT%H:%M:%SZ")


def build():
    rows = []
    for platform, handle, kind, lang, cats, text, created in CASES:
        rows.append((platform, handle, kind, lang, sorted({CAT[c] for c in cats}), fill(text),
                     created or random_time()))
    order = list(range(len(rows)))
    rng.shuffle(order)
    out = []
    for n, i in enumerate(order, 1):
        platform, handle, kind, lang, cats, text, created = rows[i]
        role = role_of(platform, handle)
        post = {
            "id": "spk243-%03d" % n,
            "platform": platform,
            "kind": kind,
            "account": {"handle": handle},
            "text": text,
            "lang": lang,
            "created_at": created,
            "brand": "spaakstorm",
        }
        out.append({"post": post, "expect": {"categories": cats, "severity": severity(cats, role, text)}})
    return out


# ---------------------------------------------------------------- self-check
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
CATEGORIES = set(CAT.values()) | {"reputation.spike"}


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def check(lines):
    errors = []
    ids = set()
    cases = [json.loads(l) for l in lines]
    for c in cases:
        p, e = c["post"], c["expect"]
        pid = p.get("id")
        where = pid or "?"
        if set(c) != {"post", "expect"}:
            errors.append("%s: top-level keys %s" % (where, set(c)))
        if not isinstance(pid, str) or not 1 <= len(pid) <= 256 or pid in ids:
            errors.append("%s: bad or duplicate id" % where)
        ids.add(pid)
        if p.get("platform") not in PLATFORMS:
            errors.append("%s: platform" % where)
        if p.get("kind", "post") not in KINDS:
            errors.append("%s: kind" % where)
        if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
            errors.append("%s: account.handle" % where)
        t = p.get("text")
        if not isinstance(t, str) or not t or len(t.encode("utf-8")) > 65536:
            errors.append("%s: text" % where)
            continue
        try:
            ts = parse_ts(p["created_at"])
            assert ts.tzinfo is not None and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", p["created_at"])
        except Exception:
            errors.append("%s: created_at" % where)
            continue
        if ts.year not in (2026, 2027):
            errors.append("%s: year" % where)
        cats = e.get("categories")
        if not isinstance(cats, list) or cats != sorted(set(cats)) or not set(cats) <= CATEGORIES - {"reputation.spike"}:
            errors.append("%s: categories %r" % (where, cats))
        if e.get("severity") not in LEVELS:
            errors.append("%s: severity" % where)
        role = role_of(p["platform"], p["account"]["handle"])
        want = severity(cats, role, t)
        if e["severity"] != want:
            errors.append("%s: severity %s != policy %s" % (where, e["severity"], want))
        if not cats and e["severity"] != "none":
            errors.append("%s: benign with severity" % where)
        if cats and e["severity"] in ("none", "info"):
            errors.append("%s: positive without severity" % where)
        # checksummed identifiers
        for kind, val, ok in lookalikes(t):
            if cats and not ok:
                errors.append("%s: %s %s in a positive fails its checksum" % (where, kind, val))
            if not cats and ok:
                errors.append("%s: %s %s in a negative passes its checksum" % (where, kind, val))
        # credentials
        for tok in re.findall(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", t):
            if cats and not github_ok(tok):
                errors.append("%s: github token CRC" % where)
            if not cats and github_ok(tok):
                errors.append("%s: valid github token in a negative" % where)
        for key in re.findall(r"\bAKIA[0-9A-Z]{16}\b", t):
            real = re.fullmatch(r"AKIA[A-Z2-7]{16}", key) and not key.endswith("EXAMPLE")
            if cats and not real:
                errors.append("%s: AWS key id %s malformed" % (where, key))
            if not cats and real:
                errors.append("%s: real-looking AWS key in a negative" % where)
        for tok in re.findall(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", t):
            if not jwt_ok(tok):
                errors.append("%s: JWT header" % where)
            if not cats:
                errors.append("%s: JWT in a negative" % where)
        # embargo
        low = t.lower()
        for emb in PROFILE["embargo"]:
            until = parse_ts(emb["until"])
            for term in emb["terms"]:
                if term.lower() in low and ts < until and "leak.confidential" not in cats:
                    errors.append("%s: embargo term %r before until without leak.confidential" % (where, term))
        # handles: public handles must not be in the profile, and must not use a corporate-looking spelling
        if role == "public" and "spaakstorm" == p["account"]["handle"].lstrip("@").lower():
            errors.append("%s: public handle collides with brand" % where)
    # generated values
    for k in ("IBAN_A", "IBAN_B", "IBAN_C", "IBAN_D", "PUBLIC_IBAN"):
        if not iban_ok(V[k]):
            errors.append("generator: %s" % k)
    for k in ("CARD_A", "CARD_B"):
        if not luhn_ok(V[k]):
            errors.append("generator: %s" % k)
    for k in ("BSN_A", "BSN_B"):
        if not bsn_ok(V[k]):
            errors.append("generator: %s" % k)
    if iban_ok(V["IBAN_BAD"]) or luhn_ok(V["CARD_BAD"]) or bsn_ok(V["BSN_BAD"]):
        errors.append("generator: look-alike passes")
    if not github_ok(V["GHP"]) or not jwt_ok(V["JWT"]):
        errors.append("generator: token")
    # mix
    n = len(cases)
    benign = sum(1 for c in cases if not c["expect"]["categories"])
    if not 170 <= n <= 180:
        errors.append("count %d outside 170-180" % n)
    return errors, cases


def main():
    cases = build()
    lines = [json.dumps(c, ensure_ascii=False) for c in cases]
    path = os.path.join(HERE, "cases.jsonl")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    with open(path, encoding="utf-8") as f:
        errors, parsed = check([l for l in f.read().splitlines() if l.strip()])
    n = len(parsed)
    benign = sum(1 for c in parsed if not c["expect"]["categories"])
    per = {}
    for c in parsed:
        for cat in c["expect"]["categories"]:
            per[cat] = per.get(cat, 0) + 1
    langs = {}
    for c in parsed:
        langs[c["post"]["lang"]] = langs.get(c["post"]["lang"], 0) + 1
    roles = {}
    for c in parsed:
        r = role_of(c["post"]["platform"], c["post"]["account"]["handle"])
        roles[r] = roles.get(r, 0) + 1
    sev = {}
    for c in parsed:
        sev[c["expect"]["severity"]] = sev.get(c["expect"]["severity"], 0) + 1
    print("cases %d, benign %d, positives %d" % (n, benign, n - benign))
    print("per category:", json.dumps(dict(sorted(per.items()))))
    print("languages:", langs, "roles:", roles, "severities:", sev)
    if errors:
        for e in errors:
            print("ERROR", e)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
