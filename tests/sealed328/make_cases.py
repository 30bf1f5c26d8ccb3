#!/usr/bin/env python3
"""Build cases.jsonl for evaluation set sealed328 (Klaverhof Incasso B.V.).

Deterministic: fixed seed, standard library + PyYAML. Hand-written post texts;
generated credentials / identifiers are built the way the real ones are.
Severities are computed from CONTRACT section 4 using the account role from
profile.yaml, never typed by hand. The script self-checks its output.
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
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))
rng = random.Random(328)

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase

# ----------------------------------------------------------------- checksums
def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1

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
    if len(d) != 9 or d[0] == 0:
        return False
    tot = sum(d[i] * (9 - i) for i in range(8)) - d[8]
    return tot % 11 == 0

# ---------------------------------------------------------------- generators
def gen_iban(bank=None):
    bank = bank or rng.choice(["ABNA", "INGB", "RABO", "SNSB", "ASNB", "TRIO", "KNAB", "BUNQ"])
    acct = "".join(rng.choice(string.digits) for _ in range(10))
    bban = bank + acct
    n = int("".join(str(int(c, 36)) for c in bban + "NL00"))
    iban = "NL%02d%s" % (98 - n % 97, bban)
    assert iban_ok(iban)
    return iban

def fmt_iban(i):
    return " ".join(i[k:k + 4] for k in range(0, len(i), 4))

def gen_card(prefix="4"):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(15 - len(prefix)))
    for c in string.digits:
        if luhn_ok(body + c):
            return body + c

def fmt_card(c):
    return " ".join(c[k:k + 4] for k in range(0, 16, 4))

def gen_bsn():
    while True:
        d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(8)]
        s = "".join(map(str, d))
        if bsn_ok(s) and len(set(s)) > 2:
            return s

def break_digit(s, ok):
    """Change one digit so the checksum fails (look-alike)."""
    chars = list(s)
    pos = [i for i, c in enumerate(chars) if c.isdigit()]
    for i in reversed(pos):
        orig = chars[i]
        for rep in "7316":
            if rep == orig:
                continue
            chars[i] = rep
            cand = "".join(chars)
            if not ok(cand):
                return cand
        chars[i] = orig
    raise RuntimeError("cannot break " + s)

def rand_str(n, alphabet=ALNUM):
    return "".join(rng.choice(alphabet) for _ in range(n))

def b62(n, width=6):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")

def gen_github(prefix="ghp_"):
    body = rand_str(30)
    return prefix + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF)

def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()) & 0xFFFFFFFF) == m.group(2)

def gen_aws():
    return "AKIA" + rand_str(16, string.ascii_uppercase + "234567"), rand_str(40, ALNUM + "/+")

def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()

def gen_jwt():
    h = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    p = b64u(json.dumps({"sub": "agent-%d" % rng.randint(1000, 9999), "tenant": "klaverhof",
                         "role": "debtor_portal", "iat": 1767225600 + rng.randint(0, 9999999)},
                        separators=(",", ":")).encode())
    s = b64u(bytes(rng.getrandbits(8) for _ in range(32)))
    return "%s.%s.%s" % (h, p, s)

def gen_ssh_key():
    raw = (b"openssh-key-v1\x00\x00\x00\x00\x04none\x00\x00\x00\x04none\x00\x00\x00\x00"
           b"\x00\x00\x00\x01\x00\x00\x003\x00\x00\x00\x0bssh-ed25519\x00\x00\x00 "
           + bytes(rng.getrandbits(8) for _ in range(32))
           + b"\x00\x00\x00\x90" + bytes(rng.getrandbits(8) for _ in range(150)))
    b = base64.b64encode(raw).decode()
    lines = [b[k:k + 70] for k in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"

def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)

def gen_phone_mobile():
    return "06" + "".join(rng.choice(string.digits) for _ in range(8))

# --------------------------------------------------------- generated values
GHP = gen_github("ghp_")
AKIA, AWS_SECRET = gen_aws()
MOLLIE = "live_" + rand_str(30)
WHSEC = "whsec_" + rand_str(32)
XOXB = "xoxb-%d-%d-%s" % (rng.randint(10**10, 10**11), rng.randint(10**12, 10**13), rand_str(24))
JWT = gen_jwt()
SSH = gen_ssh_key()
OPENAI = "sk-proj-" + rand_str(64, ALNUM + "-_") + "T3BlbkFJ" + rand_str(64, ALNUM + "-_")
SKLIVE = "sk_live_" + rand_str(24)
ANT = "sk-ant-api03-" + rand_str(93, ALNUM + "-_") + "AA"
PW_MAILBOX = "Debiteur" + rand_str(3, string.digits) + "!" + rand_str(4, string.ascii_lowercase)
PW_DB = rand_str(18)
PW_WIFI = "Klaver" + rand_str(4, string.digits) + "#staff"

IBAN_P1 = gen_iban()
IBAN_P5 = gen_iban("INGB")
BSN_P3 = gen_bsn()
BSN_P11 = gen_bsn()
BSN_P12 = gen_bsn()
CARD_P9 = gen_card("4")
CARD_P16 = gen_card("5")
MOB_P4 = gen_phone_mobile()

# look-alikes for benign posts (must FAIL their checksum)
IBAN_NEG = break_digit(fmt_iban(gen_iban("ABNA")), iban_ok)
CARD_NEG = break_digit(fmt_card(gen_card("4")), luhn_ok)
CARD_NEG2 = break_digit(fmt_card(gen_card("5")), luhn_ok)
BSN_NEG = "123456789"
BSN_NEG2 = break_digit(gen_bsn(), bsn_ok)

PUB_IBAN = PROFILE["public_identifiers"]["ibans"][0]

# ------------------------------------------------------------------- cases
CATS = {
    "S": "leak.secret", "P": "leak.pii", "PR": "leak.pricing", "CF": "leak.confidential",
    "F": "leak.financial", "SEC": "leak.security", "CR": "reputation.crisis",
    "CO": "reputation.complaint", "AB": "reputation.abuse",
}
CASES = []

def add(platform, handle, lang, text, cats="", kind="post", at=None, ids=(), neg=()):
    CASES.append(dict(platform=platform, handle=handle, lang=lang, text=text,
                      cats=sorted(CATS[c] for c in cats.split()) if cats else [],
                      kind=kind, at=at, ids=list(ids), neg=list(neg)))

# ===== complaints =====
add("x", "@dewi_kampen", "nl", "Heb 3 weken geleden al betaald aan de webshop zelf en nu krijg ik alsnog een brief van Klaverhof met €40 incassokosten erbij?? Hoe dan. En niemand neemt op bij jullie #klaverhof", "CO")
add("x", "@jaymz_o", "en", "@klaverhof_help been on hold for 52 minutes now. fifty-two. just to ask why my payment plan shows as 'defaulted' when I paid every single installment on time", "CO", kind="reply")
add("facebook", "Marian.Pos.71", "nl", "Nooit een veertiendagenbrief gehad van de woningcorporatie en meteen Klaverhof Incasso op de mat. Mag dat eigenlijk wel? Voel me echt overvallen, en de toon van die brief... niet normaal.", "CO")
add("reddit", "u/throwaway_debt_nl", "en", "PSA re Klaverhof: their portal (Mijn Klaverhof) doesn't register partial payments. I paid 3x €50 and the balance never moved. Support keeps saying 'it takes 5 working days'. It's been 6 weeks.", "CO")
add("x", "@hennie_b", "nl", "klaverhof stuurt de aanmaningen naar mijn oude adres terwijl ik al een jaar verhuisd ben. en dan verbaasd zijn dat er niet betaald wordt 🙄", "CO")
add("instagram", "@saar.designs", "en", "your collectors called me AT WORK three times today. my manager picked up once. this is humiliating, is this even allowed @klaverhof.incasso", "CO", kind="comment")
add("x", "@rvdmolen", "nl", "Energierekening van €18,40 open laten staan en Klaverhof maakt er €58,40 van. Schandalig gewoon. #incassokosten", "CO")
add("x", "@mo_elyas", "en", "Klaverhof charged me twice for the same invoice. Once through the direct debit and once by the manual transfer I did because they told me the mandate failed. Refund request open for 23 days now. Ridiculous.", "CO")
add("facebook", "RitaVerhoeven", "nl", "Betalingsregeling aangevraagd via BetaalRust, bevestiging gekregen, en TOCH een dreigbrief met 'laatste sommatie' en deurwaarder erbij. Wat heb je aan zo'n regeling als jullie eigen systemen elkaar niet kennen???", "CO")
add("linkedin", "ruud-hendriks-webshop", "en", "As a webshop owner I honestly regret moving our collections to Klaverhof. Our customers get aggressive letters with OUR logo on them, we got 14 angry reviews this month, and the Rapportage Dashboard hasn't refreshed since the 3rd. Seriously considering switching.", "CO")
add("x", "@tess_vb", "en", "Klaverhof website: 'pay easily with iDEAL'. iDEAL page: error 500. Next day: late fee for not paying. come on", "CO")
add("facebook", "Gerrit.Schuurman", "nl", "Mijn moeder van 84 kreeg een brief van Klaverhof en was helemaal in paniek. Bleek te gaan om de huurachterstand van haar overleden buurvrouw, verkeerde naam gekoppeld. Geen excuses, alleen 'we passen het aan'.", "CO")
add("x", "@gewoonhenk", "nl", "@klaverhof_nl idioten. Drie keer betaald en nog steeds brieven. Hersenloze mongolen zitten daar.", "AB CO", kind="reply")

# ===== first-hand harm / breach: crisis + complaint =====
add("x", "@bramvanoss", "nl", "Jullie 'buitendienstmedewerker' duwde gisteren de deur open toen ik hem dicht wilde doen, mijn hand zat ertussen. Twee vingers gekneusd, staat in het verslag van de huisarts. @klaverhof_nl dit is geen incasso meer, dit is geweld.", "CR CO")
add("x", "@nadia_k", "en", "Got a letter from Klaverhof today with SOMEONE ELSE'S entire debt file inside. name, address, bank details, the lot. so who got mine?? this is a data breach @klaverhof_help", "CR CO")
add("reddit", "u/gertjan88", "en", "Klaverhof's field agent turned up at my parents' place, got into it with my dad (72, heart patient) and kept shouting until he collapsed in the hallway. ambulance came, he's stable now but wtf. filing a complaint and going to the police tomorrow.", "CR CO")
add("facebook", "Ilse.Drenth", "nl", "Log ik in op Mijn Klaverhof en zie ik opeens het dossier van een ándere mevrouw, met haar BSN en adres erbij. Screenshot gemaakt. Dit is toch gewoon een datalek?! Mijn vertrouwen is compleet weg.", "CR CO")
add("instagram", "@jolienvdberg", "nl", "Deze week 3x gebeld door een 'medewerker van Klaverhof' die mijn rekeninggegevens wilde 'verifiëren'. Nu geeft Klaverhof toe dat hun klantbestand mogelijk gelekt is. Mijn rekening is leeggehaald. Ik ben woest.", "CR CO")

# ===== crisis (third party / news / boycott) =====
add("x", "@nieuwsdesk_utrecht", "nl", "Onderzoek: Klaverhof Incasso rekende jarenlang te hoge incassokosten aan duizenden huurders. Consumentenorganisatie overweegt een collectieve rechtszaak.", "CR")
add("x", "@consumentenactie", "en", "Webshops: drop Klaverhof until they stop harassing people in debt. Share this. #BoycottKlaverhof #incasso", "CR")
add("mastodon", "@schuldhulp_noord@mastodon.nl", "nl", "Hebben jullie het gezien? Undercoverbeelden laten zien hoe medewerkers van Klaverhof lachen om mensen met schulden en ze 'profiteurs' noemen. Diep triest.", "CR")
add("x", "@techwatch_benl", "en", "Reports: debtor data allegedly from Klaverhof Incasso being offered on a hacking forum, ~200k records incl. BSNs. Company hasn't confirmed anything yet.", "CR")
add("linkedin", "mr-carla-bouma-advocaat", "nl", "Vandaag namens 340 gedupeerden een dagvaarding uitgebracht tegen Klaverhof Incasso B.V. wegens onrechtmatig berekende incassokosten. Wordt vervolgd.", "CR")
add("x", "@rtvregio_oost", "nl", "Incassomedewerker van Klaverhof aangehouden na handgemeen bij woning in Deventer. Bewoner licht gewond naar het ziekenhuis gebracht.", "CR")
add("facebook", "GroepSamenSterkNL", "nl", "OPROEP: koop niet meer bij webshops die met Klaverhof samenwerken. Lijst staat in de reacties. Delen!!", "CR")
add("x", "@jdebruin_journo", "en", "Dutch consumer watchdog opens investigation into Klaverhof Incasso after dozens of reports of intimidation by its collectors. Company declined to comment.", "CR")
add("reddit", "u/NLprivacywatch", "en", "So apparently Klaverhof emailed a spreadsheet with ~4,000 debtors' names and amounts owed to the wrong landlord. Has the Dutch DPA been notified? #datalek", "CR")

# ===== abuse =====
add("x", "@boosburger", "nl", "Klaverhof stelletje aasgieren, jullie verdienen je geld over de rug van mensen die niks hebben. Walgelijk tuig.", "AB")
add("x", "@dutchrage", "en", "@klaverhof_help you absolute parasites. go to hell, every single one of you", "AB", kind="reply")
add("x", "@ronnie_030", "nl", "@anoukvdlinde jij bent toch die trut die mij belde? ik weet waar je werkt, let maar op", "AB", kind="reply")
add("instagram", "@hakim.x", "en", "whoever runs this account is a f*cking clown 🤡🤡 enjoy ruining lives for a paycheck", "AB", kind="comment")
add("facebook", "Ton.Vreeswijk", "nl", "Die kankerlijers van Klaverhof moeten ze allemaal op straat zetten", "AB", kind="comment")
add("x", "@jurgen1971", "nl", "Typisch dat er bij Klaverhof alleen maar buitenlanders aan de telefoon zitten die geen woord Nederlands spreken. Ga terug naar je eigen land.", "AB")
add("reddit", "u/kh_callcenter_tim", "en", "honestly half these debtors are lazy leeches. one cried on the phone today, like boohoo, pay your damn bills you moron", "AB")
add("x", "@pietjepuk77", "nl", "Klaverhof zijn gewoon kl\u043e\u043etz\u0430kk\u0435n, punt.", "AB")
add("x", "@m4tt_b", "en", "kl4verh0f = bunch of sc4mm1ng b4st4rds", "AB")
add("tiktok", "@bozebeer", "nl", "klaverhof medewerkers zijn echt a.s.o.c.i.a.l.e t.y.f.u.s.l.i.j.e.r.s", "AB", kind="comment")
add("bluesky", "@sunnyside.bsky.social", "en", "Marloes from Klaverhof is a heartless b*tch. hope someone finds her home address and pays her a visit", "AB")

# ===== confidential =====
add("x", "@jeroen_dev_kh", "nl", "Lange dag aan Project Reiger gewerkt, maar de nieuwe scoring werkt eindelijk 💪 meer mag ik er nog niet over zeggen 🤫", "CF")
add("linkedin", "dirk-jan-vos", "en", "Excited for what's coming: Waterlelie is going to change how landlords deal with rent arrears. Can't share more yet!", "CF")
add("x", "@mreijnders_kh", "nl", "Weet iemand waarom dossiers.kh-intern.nl zo traag is vandaag? Kan geen enkel dossier openen 😩", "CF")
add("linkedin", "klaverhof-incasso", "en", "Sneak peek from our planning day! 📸 (on screen: 'KH-VERTROUWELIJK | Roadmap H1: Operatie Zandloper, migratie naar nieuw incassoplatform')", "CF")
add("x", "@klaverhof_nl", "nl", "Binnenkort bij ons: BetaalRust Direct. Een betalingsregeling in 2 klikken. Stay tuned 👀", "CF", at="2026-11-20T10:15:00Z")
add("threads", "@yasmina.kh", "nl", "Zin in de heidag morgen! Op de agenda staat 'niet extern delen' dus ik zeg alleen: er komen grote veranderingen 👀", "CF")
add("x", "@insider_tips_nl", "nl", "Hoor via een kennis bij Klaverhof dat 'Operatie Zandloper' gewoon het outsourcen van hun hele callcenter is. Komt nog niet in het nieuws.", "CF F")
add("x", "@anoukvdlinde", "nl", "Nieuwe opdrachtgever binnen!! Mogen het nog niet zeggen (NDA) maar het is een van de drie grote energieleveranciers 😏", "CF")
add("linkedin", "priya-ramdin-kh", "en", "Presenting our threat model to the board tomorrow. Team, the latest draft is at https://intra.klaverhof.local/sec/threatmodel-v3", "CF")
add("instagram", "@klaverhof.incasso", "nl", "Achter de schermen bij de fotoshoot voor de Klaverhof Huurdersdesk 📸 #comingsoon", "CF", at="2026-12-01T13:40:00Z")
add("x", "@jeroen_dev_kh", "en", "standup done, next sprint is all Water\u200blelie. wish me luck", "CF")
add("x", "@mreijnders_kh", "nl", fullwidth("Project Reiger") + " gaat in maart live, eindelijk!", "CF")
add("facebook", "KlaverhofIncasso", "nl", "De jaarcijfers 2026 komen eraan en we verklappen alvast: ons beste jaar ooit 🚀", "CF F", at="2027-02-10T08:00:00Z")
add("reddit", "u/kh_exmedewerker", "nl", "Vraagje aan oud-collega's: draait vpn.klaverhof-incasso.nl nog steeds op die stokoude Fortinet? lol", "CF")
add("x", "@klaverhof_help", "nl", "@dewi_kampen Excuses! Uw dossier staat nu op 'in behandeling': intra.klaverhof.local/dossier/884213", "CF", kind="reply")
add("x", "@anoukvdlinde", "nl", "Nog één weekje en dan mogen we eindelijk over BetaalRust Direct praten 🤐🚀", "CF", at="2027-01-12T16:20:00Z")
add("x", "@bondholder_bert", "en", "little bird at Klaverhof says the FY2026 results are going to show a loss. brace yourselves", "CF F", at="2027-02-26T11:05:00Z")

# ===== financial =====
add("linkedin", "bas-oosterhuis-klaverhof", "nl", "Trots op het team: omzet Q3 +22% t.o.v. vorig jaar en EBITDA ruim boven de 4 miljoen. De cijfers publiceren we volgende maand officieel.", "F")
add("x", "@mreijnders_kh", "nl", "Slecht nieuws op werk, er verdwijnen volgend jaar 45 fte uit het callcenter. Nog niet aangekondigd. Balen.", "F")
add("linkedin", "dirk-jan-vos", "en", "Can't say much but the term sheet with Credivo Group is signed. Big things ahead for Klaverhof 🤝", "F")
add("reddit", "u/kh_callcenter_tim", "en", "rumour on the floor is we're getting bought by some German private equity fund. due diligence people were in the building all week", "F")
add("threads", "@yasmina.kh", "nl", "HR-tip van de dag: wie na de reorganisatie in april nog wil blijven, update alvast je cv 😬 (grapje... of toch niet)", "F")
add("x", "@beurswatcher", "nl", "Zwager werkt bij Klaverhof: omzet daalt dit jaar zo'n 15% en de bank zit ze op de nek. Nog niet naar buiten gebracht natuurlijk.", "F")
add("linkedin", "bas-oosterhuis-klaverhof", "en", "Closing the books on H1: net loss of €1.8M, mostly from writing off the energy portfolio. Board meets tomorrow to decide next steps.", "F")
add("instagram", "@lotte.bij.klaverhof", "nl", "Laatste dag op ons kantoor in Amersfoort voordat we samengaan met Incassogroep Noord 😭 nog even stilhouden tot de persconferentie hè", "F")
add("tiktok", "@financetok.nl", "nl", "Breaking (van horen zeggen 👀): Klaverhof gaat Stroom Incasso overnemen voor zo'n 40 miljoen. Je hoort het hier als eerste", "F")

# ===== security =====
add("x", "@jeroen_dev_kh", "en", "found out today our debtor portal lets you open ANY dossier just by changing the number in the URL. reported it internally, still not fixed 🤦", "SEC")
add("bluesky", "@semmulder.bsky.social", "en", "3am pager: ransomware on two file servers. backups are fine thank god. comms says no public statement until monday", "SEC")
add("x", "@mreijnders_kh", "nl", "Hele ochtend niks kunnen doen, Mijn Klaverhof en het belsysteem liggen al plat sinds 07:00 en we mogen het nog niet naar klanten communiceren.", "SEC")
add("linkedin", "priya-ramdin-kh", "en", "Rough week. A phishing campaign got through and 6 colleagues entered their credentials before we caught it. Everything reset, we're still working out what was accessed.", "SEC")
add("reddit", "u/kh_callcenter_tim", "en", "not supposed to say this but the bucket with all the scanned debtor letters was public for like 2 weeks. IT is freaking out", "SEC")
add("x", "@anoukvdlinde", "nl", "Kunnen al 2 dagen niet bij de klantdossiers vanwege een 'security incident'. Mogen er niks over zeggen tegen bellers 🙊", "SEC")
add("bluesky", "@semmulder.bsky.social", "en", "patching the unauthenticated RCE on vpn.klaverhof-incasso.nl tonight. fingers crossed nobody found it before us", "SEC CF")
add("threads", "@yasmina.kh", "nl", "Iedereen moest vandaag z'n wachtwoord resetten, iemand heeft ingelogd met het account van een collega van de buitendienst 😳 spannend hoor", "SEC")
add("reddit", "u/whitehat_jan", "en", "Reported an SQL injection in the search form on mijn.klaverhof-incasso.nl to Klaverhof 60 days ago. Still unpatched. Full disclosure next week.", "SEC")
add("x", "@jeroen_dev_kh", "nl", "Productiedatabase stond vannacht 4 uur op read-only, betalingen via BetaalRust zijn niet verwerkt. Morgen maar eens uitleggen 🙃", "SEC")
add("linkedin", "priya-ramdin-kh", "nl", "Onze SIEM ving gisteren data-exfiltratie op vanaf de laptop van een externe partij, zo'n 12 GB. DPO is ingelicht, nog geen melding gedaan bij de AP.", "SEC")
add("x", "@klaverhof_help", "nl", "@tess_vb Klopt, iDEAL werkt even niet door een lek in onze betaalmodule dat we nu aan het dichten zijn. Graag nog niet verder delen 🙏", "SEC", kind="reply")

# ===== secrets =====
add("x", "@jeroen_dev_kh", "en", 'why does this 404?? curl -H "Authorization: token %s" https://api.github.com/orgs/klaverhof/repos (works on my machine 🙃)' % GHP, "S")
add("bluesky", "@semmulder.bsky.social", "en", "note to self bc I keep losing it, dossier-scanner prod:\nAWS_ACCESS_KEY_ID=%s\nAWS_SECRET_ACCESS_KEY=%s" % (AKIA, AWS_SECRET), "S")
add("forum", "@wpdev_marco", "en", "Klaverhof WooCommerce Connector keeps throwing 401 on checkout. Relevant bits of my wp-config:\ndefine('MOLLIE_API_KEY', '%s');\ndefine('KH_WEBHOOK_SECRET', '%s');\nany ideas?" % (MOLLIE, WHSEC), "S")
add("x", "@mreijnders_kh", "nl", "Voor de nieuwe collega's van team 3: de gedeelde debiteurenmailbox, wachtwoord: %s (niet doorvertellen hè 😉)" % PW_MAILBOX, "S")
add("bluesky", "@semmulder.bsky.social", "en", "psql just hangs, anyone? DATABASE_URL=postgres://kh_app:%s@10.40.2.15:5432/incasso_prod" % PW_DB, "S")
add("x", "@jeroen_dev_kh", "en", "slackbot finally posting to #incasso-alerts 🎉 if you wanna play with it: %s" % XOXB, "S")
add("forum", "@portal_tester", "en", "Klaverhof portal staging keeps rejecting my session, anyone from their dev team around? Header I'm sending:\nAuthorization: Bearer %s" % JWT, "S")
add("bluesky", "@semmulder.bsky.social", "en", "deploy key for the sftp drop with the housing corps, pasting it here so I can grab it from my phone later\n%s" % SSH, "S")
add("threads", "@yasmina.kh", "nl", "HR heeft nu een eigen AI-assistent 🤖 IT gaf ons deze key en het werkt super: %s" % OPENAI, "S")
add("x", "@shopbaas_lars", "nl", "Klaverhof koppeling pakt mijn Stripe niet?? STRIPE_SECRET=%s iemand een idee?" % SKLIVE, "S")
add("x", "@jeroen_dev_kh", "en", "pairing with an LLM on the letter generator today. ANTHROPIC_API_KEY=%s ...ok posting that was dumb" % ANT, "S")
add("instagram", "@lotte.bij.klaverhof", "nl", "Nieuwe wifi op kantoor Amersfoort 📶 netwerk KH-Staff, " + fullwidth("wachtwoord:") + " " + fullwidth(PW_WIFI), "S")

# ===== personal data =====
add("x", "@klaverhof_help", "nl", "@rvdmolen Wij zien geen betaling binnenkomen vanaf %s op naam van R. van der Molen. Kunt u een betaalbewijs sturen?" % fmt_iban(IBAN_P1), "P", kind="reply", ids=[("iban", IBAN_P1)])
add("x", "@anoukvdlinde", "nl", "Haha deze debiteur weer: Johan de Wit, Lindelaan 14, 8011 AB Zwolle. Belt elke dag om te zeggen dat 'de brief kwijt is' 🙄", "P")
add("reddit", "u/kh_callcenter_tim", "en", "guy's BSN is literally %s and he still claims it's not him on the file lmao" % BSN_P3, "P", ids=[("bsn", BSN_P3)])
add("x", "@saskia_h", "nl", "@klaverhof_help Ik vraag nu al voor de 3e keer of jullie me terugbellen. Mijn nummer is %s-%s. Hoe moeilijk kan het zijn" % (MOB_P4[:2], MOB_P4[2:]), "P CO", kind="reply")
add("facebook", "Karin.deGroot", "nl", "Voor wie het wil controleren: ik heb gewoon betaald vanaf %s naar Klaverhof op 4 juni. Bewijs heb ik hier liggen." % fmt_iban(IBAN_P5), "P", ids=[("iban", IBAN_P5)])
add("facebook", "KlaverhofIncasso", "en", "Hi Mark, we've updated the email on your file to mark.jennings84@gmail.com and will send the new payment plan there today.", "P", kind="comment")
add("linkedin", "dirk-jan-vos", "en", "Great kickoff with our new client's finance lead Sanne Kuipers (s.kuipers@woonstichting-eemland.nl, +31 6 4182 9953). Looking forward to it!", "P")
add("instagram", "@lotte.bij.klaverhof", "nl", "Buitendienst vandaag bij mevrouw E. Bakker, geboren 12-03-1958, Korenbloemstraat 7 in Amersfoort. Lieve vrouw, kreeg zelfs taart 🎂", "P")
add("x", "@vb_tom", "en", "@klaverhof_help you charged my card %s twice for the same plan. fix it" % fmt_card(CARD_P9), "P CO", kind="reply", ids=[("card", CARD_P9)])
add("x", "@klaverhof_help", "en", "@jaymz_o Found your plan! For verification: Mr J. Okafor, born 22/09/1991, living at 3 Ashfield Row, Utrecht? Please confirm via DM.", "P", kind="reply")
add("x", "@mreijnders_kh", "nl", "Kan iemand meekijken? Debiteur met BSN %s heeft twee dossiers onder verschillende namen?!" % ".".join([BSN_P11[:3], BSN_P11[3:6], BSN_P11[6:]]), "P", ids=[("bsn", BSN_P11)])
add("reddit", "u/hulpvraag_anon", "nl", "Klaverhof vraagt om mijn BSN en een kopie ID. Mijn BSN is %s, is het normaal dat een incassobureau daarom vraagt?" % BSN_P12, "P", ids=[("bsn", BSN_P12)])
add("x", "@anoukvdlinde", "nl", "Als jan.vermeer@ho\u200btmail.com nog één keer mailt dat hij niks schuldig is ga ik gillen", "P")
add("tiktok", "@klaverhof", "nl", "Wie kent deze man? Pieter Smits uit Almere, tel 036-5418827, al 8 maanden onbereikbaar. Laat hem even contact opnemen 😉", "P")
add("reddit", "u/kh_callcenter_tim", "en", "customer just read her full card number out loud on a recorded line: %s exp 08/28. we're not even allowed to take cards by phone lol" % fmt_card(CARD_P16), "P", ids=[("card", CARD_P16)])

# ===== pricing =====
add("x", "@webshop_ilse", "nl", "Eh @klaverhof_nl, jullie site toont Incasso Pro voor €14,90 per maand ipv €149? Ik neem er meteen 3 😅", "PR")
add("linkedin", "dirk-jan-vos", "en", "Only this week: Klaverhof Incasso Enterprise for €199/month instead of €799. DM me and I'll sort it.", "PR")
add("instagram", "@klaverhof.incasso", "nl", "Zomeractie ☀️ Debiteurenscan nu voor €2,90!", "PR", at="2026-07-08T09:00:00Z")
add("reddit", "u/zzp_nina", "en", "Is this a price error? Nutsbedrijven Suite checkout at Klaverhof shows €129 instead of €1,290. Screenshot in comments.", "PR")
add("x", "@jeroen_dev_kh", "nl", "Oeps, prijsfout bij het Rapportage Dashboard in de webshop, staat op €5,90. Fix komt eraan, niet verder vertellen 🙈", "PR")
add("x", "@boekhouder_freek", "nl", "Kredietcheck Plus voor €1,25 per check?! Vorige maand nog het tienvoudige. Bug of actie?", "PR")
add("facebook", "KlaverhofIncasso", "en", "New customers: Klaverhof Juridisch Traject Compleet for just €65! Book today.", "PR")
add("tiktok", "@shopstarters", "nl", "tip voor starters: BetaalRust licentie kost maar €34,90 per jaar als je via deze link gaat 👀", "PR")
add("threads", "@yasmina.kh", "nl", "Collega's opgelet, in de shop staat de Crediteurentraining voor €39,50. Snel boeken voor je klanten voordat iemand het ziet!", "PR")
add("x", "@ecom_jeroen", "en", "Klaverhof's API Developer plan is listed at €9 on their pricing page lol, someone's getting fired", "PR")
add("x", "@klaverhof_nl", "en", "Flash deal 🔥 Internationaal Incasso only €49 today!", "PR")
add("bluesky", "@finnvdb.bsky.social", "nl", "prijsfout bij klaverhof? Deurwaarder Koppeling staat op €12,90", "PR")

# ===== benign (mostly hard negatives) =====
add("x", "@klaverhof_help", "nl", "Vragen over uw dossier? Bel ons op 030 799 4410 (ma-vr 8:30-17:30) of mail naar klantenservice@klaverhof-incasso.nl.")
add("facebook", "KlaverhofIncasso", "nl", "Betalen kan via Mijn Klaverhof of per overboeking naar %s t.n.v. Klaverhof Incasso B.V. o.v.v. uw dossiernummer." % fmt_iban(PUB_IBAN))
add("x", "@klaverhof_nl", "nl", "Geen kleine lettertjes: Incasso Start kost €49 per maand, Incasso Pro €149 per maand. Maandelijks opzegbaar.")
add("instagram", "@klaverhof.incasso", "nl", "Black Friday 🖤 25% korting op het eerste jaar Pre-incasso Flex: €59,25 per maand in plaats van €79.", at="2026-11-27T07:30:00Z")
add("linkedin", "klaverhof-incasso", "en", "Our Crediteurentraining is back in October: €395 per participant, lunch included. Sign up at klaverhof-incasso.nl/training", at="2026-09-15T10:00:00Z")
add("x", "@happy_ondernemer", "nl", "Sinds we Klaverhof gebruiken met de Shopify Connector (19 euro pm) is ons openstaande saldo gehalveerd. Aanrader!")
add("x", "@mariekevd", "nl", "EINDELIJK. Laatste termijn aan Klaverhof betaald, schuldenvrij 🎉🎉 En eerlijk is eerlijk, de mevrouw aan de telefoon was steeds super vriendelijk.")
add("reddit", "u/ex_debtor", "en", "Unpopular opinion but Klaverhof were actually decent to me. Payment plan set up in 10 minutes and they froze the extra fees while I sorted my stuff out.")
add("x", "@jaymz_o", "en", "Update: @klaverhof_help sorted it, the refund for the double charge landed today. Thanks Anouk 👍")
add("facebook", "Wilma.Hofstede", "nl", "Sterkte aan iedereen die door de energieprijzen in de schulden is geraakt. Je bent echt niet de enige. Schuldhulpverlening bij je gemeente is gratis, schaam je niet.")
add("x", "@nieuws_nl", "nl", "Datalek bij Incassobureau Vermeulen & Zn: gegevens van 12.000 debiteuren op straat. Autoriteit Persoonsgegevens start onderzoek.")
add("x", "@fintechdaily", "en", "Credivo Group reports record Q3 revenue, up 18% year on year, and confirms it is 'open to acquisitions' in the Benelux.")
add("x", "@sarcastic_sam", "en", "my fridge is so empty it's basically sending me debt collection letters")
add("tiktok", "@grapjas.nl", "nl", "mijn moeder belt me vaker dan een incassobureau en dat zegt wat 😂")
add("x", "@zzp_ruben", "nl", "Vraagje aan mede-ondernemers: werkt iemand met Klaverhof of een ander incassobureau? Ervaringen met hun Huurachterstand Pakket?")
add("reddit", "u/newshopowner", "en", "Is Klaverhof's WooCommerce Connector worth it at €19/mo or should I just keep sending reminders myself?")
add("x", "@jeroen_dev_kh", "en", "Docs tip: always use dummy keys like AKIAIOSFODNN7EXAMPLE in your examples, never real ones. Our public API docs do that now too.")
add("bluesky", "@semmulder.bsky.social", "en", "rotated the token this morning, the old one (ghp_****************************a91F) is revoked so don't bother 😉")
add("x", "@klaverhof_nl", "nl", "Let op: oplichters sturen nepmails namens Klaverhof. Wij vragen NOOIT om je wachtwoord of pincode. Twijfel je? Mail privacy@klaverhof-incasso.nl.")
add("instagram", "@klaverhof.incasso", "nl", "Zo vul je je IBAN in op het formulier: %s (voorbeeld, geen echt nummer) ✍️" % IBAN_NEG, neg=[("iban", IBAN_NEG)])
add("x", "@kim_vl", "en", "the card number in that Klaverhof explainer video is %s lol, obviously fake" % CARD_NEG, neg=[("card", CARD_NEG)])
add("reddit", "u/voorbeeldbrief", "nl", "In de voorbeeldbrief op de site van Klaverhof staat BSN %s, dat is toch geen echte?" % BSN_NEG, neg=[("bsn", BSN_NEG)])
add("x", "@klaverhof_nl", "nl", "Vanaf vandaag live: BetaalRust Direct! Regel je betaling in 2 klikken via betaalrust.nl 💚", at="2027-01-25T08:30:00Z")
add("linkedin", "bas-oosterhuis-klaverhof", "en", "Our full-year 2026 results are out today. Proud of what this team delivered. Full report on klaverhof-incasso.nl/investors", at="2027-03-04T09:00:00Z")
add("instagram", "@klaverhof.incasso", "nl", "De Klaverhof Huurdersdesk is open! Huurders kunnen hier terecht voor gratis en eerlijk advies 🏠", at="2027-02-02T09:00:00Z")
add("linkedin", "priya-ramdin-kh", "en", "Passed my OSCP! Thank you Klaverhof for supporting my training, and to my colleagues for putting up with my lab rants 🎉")
add("threads", "@yasmina.kh", "nl", "Vandaag phishing-awareness training voor alle collega's. Wie klikt er nooit meer op een link in een nepfactuur? 🙋‍♀️")
add("x", "@klaverhof_help", "nl", "Gepland onderhoud: zondag 14 juni tussen 02:00 en 05:00 is Mijn Klaverhof niet bereikbaar. Excuses voor het ongemak!", at="2026-06-10T12:00:00Z")
add("facebook", "KlaverhofIncasso", "nl", "Uw gegevens behandelen wij altijd vertrouwelijk. Lees onze privacyverklaring op klaverhof-incasso.nl/privacy.")
add("linkedin", "dirk-jan-vos", "en", "Sales team is on fire this quarter 🔥🔥 proud of every single one of you")
add("instagram", "@lotte.bij.klaverhof", "en", "We're hiring! Customer contact roles in Amersfoort, great team (I'm biased). Apply via werkenbij@klaverhof-incasso.nl 💚")
add("bluesky", "@maria.bsky.social", "en", "shoutout to Klaverhof support, a real human answered within 2 minutes and fixed my address. rare these days")
add("x", "@tiktokfan_nl", "nl", "Die nieuwe Klaverhof-reclame is echt ziek goed gemaakt haha, wie had dat gedacht van een incassobureau")
add("linkedin", "mr-carla-bouma-advocaat", "nl", "Webinar: wat mag een incassobureau wel en niet? Donderdag 20:00, gratis. Ook voor vragen over de WIK en de hoogte van incassokosten.")
add("x", "@activist_amy", "en", "boycott fast fashion, not your debt collector lol. anyway, paid off my Klaverhof plan today")
add("x", "@klaverhof_nl", "en", "Spring offer: 10% off the Rapportage Dashboard, €53,10 per month for new customers.", at="2026-04-02T08:00:00Z")
add("linkedin", "klaverhof-incasso", "nl", "Voor leden van ondernemersvereniging MKB-Eemland: 30% korting op Juridisch Traject Basis, nu €175.")
add("reddit", "u/schuldeiser_sander", "en", "Beslagcheck is €9,95 per check at Klaverhof, anyone know a cheaper alternative?")
add("x", "@boekhoudtips", "nl", "Kredietcheck Plus van Klaverhof: €12,50 per stuk. Prima prijs voor wat je krijgt.")
add("x", "@anoukvdlinde", "nl", "@hennie_b Vervelend! Bel even met 0800-0447 (gratis), dan passen mijn collega's je adres direct aan.", kind="reply")
add("x", "@jeroen_dev_kh", "en", "TIL GitHub tokens carry a CRC32 checksum in their last 6 characters so scanners can spot them without calling the API. Neat design.")
add("x", "@klaverhof_nl", "nl", "Tip: gebruik een wachtwoordmanager en zet tweestapsverificatie aan voor Mijn Klaverhof. Wachtwoord vergeten? Resetten kan via mijn.klaverhof-incasso.nl")
add("instagram", "@vogelspotter_ad", "nl", "Vanochtend een blauwe reiger bij de vijver achter het kantoor van Klaverhof in Amersfoort 🪶")
add("x", "@juf_ellen", "nl", "Zandloper gekocht voor in de klas zodat de kinderen zien hoelang ze nog moeten werken ⏳")
add("x", "@storingsmelder", "nl", "Storing bij een grote bank: iDEAL-betalingen mislukken sinds 10:00. Er wordt aan gewerkt.")
add("x", "@biznews_eu", "en", "Rival collector Stroom Incasso to cut 60 jobs, the company announced this morning.")
add("x", "@klaverhof_nl", "nl", "Onze jaarcijfers 2026 zijn gepubliceerd 📊 Lees alles op klaverhof-incasso.nl/jaarverslag", at="2027-03-04T10:00:00Z")
add("x", "@mreijnders_kh", "nl", "10 jaar bij Klaverhof vandaag! Van stagiair naar teamlead. Dank aan alle collega's 💚")
add("x", "@hoe_dan", "nl", "Hoe kan ik bij Klaverhof in termijnen betalen? Kan dat via BetaalRust?")
add("x", "@klaverhof_help", "nl", "@hoe_dan Ja hoor! Via betaalrust.nl stelt u zelf een regeling in van maximaal 12 termijnen.", kind="reply")
add("blog", "@schuldenblog", "en", "Interesting read on how Dutch debt collectors are regulated under the WIK. Klaverhof gets mentioned as an example of transparent fee tables.")
add("x", "@klaverhof_help", "en", "@vb_tom We never need your full card number here! We found the payment ending in 4471 and reversed the duplicate. Sorry for the hassle.", kind="reply")
add("x", "@jeroen_dev_kh", "en", "New API docs are live. Every example uses Authorization: Bearer YOUR_API_KEY so nobody copy-pastes a real one.")
add("bluesky", "@landlord_lies.bsky.social", "en", "Landlords: Klaverhof's Huurachterstand Pakket at €199 a month saved us so much chasing. Worth every cent.")
add("linkedin", "priya-ramdin-kh", "en", "Security tip of the week: never paste credentials in chat or tickets. If you ever see something like 'password: hunter2' in a ticket, report it and use the vault.")
add("x", "@kindstranger", "en", "sending love to the Klaverhof call centre staff, saw the abuse you get in the replies. nobody deserves that 💚")
add("facebook", "RitaVerhoeven", "nl", "Update: de regeling is tóch goed verwerkt en de deurwaarder is teruggefloten. Excuses gekregen van Klaverhof, netjes opgelost.", kind="comment")
add("x", "@klaverhof_nl", "nl", "Let op: wij vragen nooit om uw creditcardnummer (zoals %s) via social media of WhatsApp." % CARD_NEG2, neg=[("card", CARD_NEG2)])
add("forum", "@belastinghulp", "nl", "Typfoutje in mijn eigen aangifte gevonden: had BSN %s ingevuld, klopt natuurlijk niet. Gelukkig geen Klaverhof-ellende dit jaar." % BSN_NEG2, neg=[("bsn", BSN_NEG2)])
add("mastodon", "@opensource_ron@fosstodon.org", "en", "Gave a talk at Klaverhof about secret scanning in CI. Nice crowd, good questions about false positives on sample keys like xoxb-xxxxxxxxxx.")

# ===================================================================== build
ROLE = {}
for role in ("corporate", "employee"):
    for ent in PROFILE["accounts"][role]:
        p, h = ent.split(":", 1)
        ROLE[(p.lower(), h.lower())] = role

def role_of(platform, handle):
    return ROLE.get((platform.lower(), handle.lower()), "public")

SEV = ["none", "info", "warning", "error", "critical"]
PUB_IBANS = {re.sub(r"\s", "", x).upper() for x in PROFILE["public_identifiers"]["ibans"]}

IBAN_RE = re.compile(r"\bNL\d{2}(?: ?[A-Z]{4})(?: ?\d){10}\b")
CARD_RE = re.compile(r"(?<![\w])(?:\d[ -]?){12,18}\d(?![\w])")
BSN_RE = re.compile(r"(?<![\w.])(?:\d{9}|\d{3}[ .]\d{3}[ .]\d{3}|\d{4}[ .]\d{2}[ .]\d{3})(?![\w])")

def valid_ids_in(text):
    found = []
    for m in IBAN_RE.finditer(text):
        v = re.sub(r"\s", "", m.group())
        if iban_ok(v) and v not in PUB_IBANS:
            found.append(("iban", v))
    for m in CARD_RE.finditer(text):
        v = re.sub(r"\D", "", m.group())
        if 13 <= len(v) <= 19 and luhn_ok(v):
            found.append(("card", v))
    for m in BSN_RE.finditer(text):
        v = re.sub(r"\D", "", m.group())
        if bsn_ok(v):
            found.append(("bsn", v))
    return found

def severity(cats, role, checksum_id):
    lvl = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                crit = c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and checksum_id)
                lvl = max(lvl, 4 if crit else 3)
            else:
                lvl = max(lvl, 2)
        elif c == "reputation.complaint":
            lvl = max(lvl, 2)
        elif c == "reputation.crisis":
            lvl = max(lvl, 3)
        elif c == "reputation.abuse":
            lvl = max(lvl, 3 if role in ("corporate", "employee") else 2)
    return SEV[lvl]

def rand_ts():
    start = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
    sec = rng.randint(0, 362 * 86400)
    return (start + dt.timedelta(seconds=sec)).strftime("%Y-%m-%dT%H:%M:%SZ")

order = list(range(len(CASES)))
rng.shuffle(order)
lines = []
for n, idx in enumerate(order, 1):
    c = CASES[idx]
    role = role_of(c["platform"], c["handle"])
    found = valid_ids_in(c["text"])
    c["role"] = role
    c["found"] = found
    ts = c["at"] or rand_ts()
    post = {
        "id": "%s-kh328-%04d" % (c["platform"], n),
        "platform": c["platform"],
        "kind": c["kind"],
        "account": {"handle": c["handle"]},
        "text": c["text"],
        "lang": c["lang"],
        "created_at": ts,
        "brand": "klaverhof",
    }
    c["post"] = post
    sev = severity(c["cats"], role, bool(found))
    c["sev"] = sev
    lines.append({"post": post, "expect": {"categories": c["cats"], "severity": sev}})

out = os.path.join(HERE, "cases.jsonl")
with open(out, "w", encoding="utf-8") as f:
    for l in lines:
        f.write(json.dumps(l, ensure_ascii=False) + "\n")

# ============================================================== self-checks
errors = []
def err(msg):
    errors.append(msg)

PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
TAXO = set(CATS.values())

def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))

def norm(s):
    s = unicodedata.normalize("NFKC", s)
    return re.sub("[\u200b\u200c\u200d\u2060\ufeff]", "", s).lower()

internal = PROFILE["internal"]
EMB = [(t.lower(), parse_ts(e["until"])) for e in PROFILE["embargo"] for t in e["terms"]]

seen = set()
with open(out, encoding="utf-8") as f:
    reread = [json.loads(l) for l in f]
assert len(reread) == len(CASES)
for obj, idx in zip(reread, order):
    c = CASES[idx]
    p, e = obj["post"], obj["expect"]
    tag = p.get("id")
    if set(obj) != {"post", "expect"}:
        err("%s: top-level keys" % tag)
    if not (isinstance(p["id"], str) and 1 <= len(p["id"]) <= 256):
        err("%s: bad id" % tag)
    if (p["platform"], p["id"]) in seen:
        err("%s: duplicate id" % tag)
    seen.add((p["platform"], p["id"]))
    if p["platform"] not in PLATFORMS or p["kind"] not in KINDS:
        err("%s: platform/kind" % tag)
    if not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
        err("%s: handle" % tag)
    if not isinstance(p["text"], str) or len(p["text"].encode()) > 65536 or not p["text"]:
        err("%s: text" % tag)
    try:
        t = parse_ts(p["created_at"])
        if t.tzinfo is None or not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", p["created_at"]):
            raise ValueError
        if t.year not in (2026, 2027):
            err("%s: year" % tag)
    except ValueError:
        err("%s: created_at not RFC 3339" % tag)
        continue
    cats = e["categories"]
    if cats != sorted(set(cats)) or not set(cats) <= TAXO:
        err("%s: categories" % tag)
    if e["severity"] not in SEV:
        err("%s: severity value" % tag)
    role = role_of(p["platform"], p["account"]["handle"])
    found = valid_ids_in(p["text"])
    if e["severity"] != severity(cats, role, bool(found)):
        err("%s: severity mismatch" % tag)
    if not cats and e["severity"] != "none":
        err("%s: benign with severity" % tag)
    # identifiers: declared positives must pass, look-alikes must fail
    for kind, v in c["ids"]:
        ok = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}[kind](v)
        if not ok or "leak.pii" not in cats:
            err("%s: declared %s %s invalid or not pii" % (tag, kind, v))
        if (kind, re.sub(r"\s", "", v)) not in found:
            err("%s: declared %s not found by scan" % (tag, kind))
    for kind, v in c["neg"]:
        ok = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}[kind](v)
        if ok:
            err("%s: look-alike %s %s passes checksum" % (tag, kind, v))
        if v not in p["text"]:
            err("%s: look-alike not in text" % tag)
    if found and "leak.pii" not in cats:
        err("%s: valid identifier %s in non-pii post" % (tag, found))
    if found and {k for k, _ in found} != {k for k, _ in c["ids"]}:
        err("%s: undeclared valid identifier %s" % (tag, found))
    # github tokens must carry a correct checksum
    for tok in re.findall(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", p["text"]):
        if not github_ok(tok):
            err("%s: github token checksum" % tag)
        if "leak.secret" not in cats:
            err("%s: github token in non-secret post" % tag)
    for m in re.finditer(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+", p["text"]):
        head = m.group().split(".")[0]
        hdr = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
        if "alg" not in hdr:
            err("%s: jwt header without alg" % tag)
    for m in re.finditer(r"\bAKIA[A-Z0-9]{16}\b", p["text"]):
        if "EXAMPLE" not in m.group() and not re.fullmatch(r"AKIA[A-Z2-7]{16}", m.group()):
            err("%s: aws key alphabet" % tag)
    # embargo consistency
    txt = norm(p["text"])
    for term, until in EMB:
        if term in txt:
            if t < until and "leak.confidential" not in cats:
                err("%s: embargo term '%s' before until but not confidential" % (tag, term))
            if t >= until and not cats:
                pass  # benign after embargo: fine
    # internal words in benign posts
    if not cats:
        for w in internal["codenames"] + internal["markers"] + internal["domains"]:
            if w.lower() in txt:
                err("%s: internal term %r in benign post" % (tag, w))
        for term, until in EMB:
            if term in txt and t < until:
                err("%s: embargo term in benign before until" % tag)
    else:
        hit = any(w.lower() in txt for w in internal["codenames"] + internal["markers"] + internal["domains"])
        if hit and "leak.confidential" not in cats:
            err("%s: internal term but no confidential label" % tag)
    # account role sanity
    if c["handle"].lower() in {h for (_, h) in ROLE} and role == "public":
        err("%s: profile handle used on another platform" % tag)

# pricing sanity: amounts next to product aliases
prods = []
for pr in PROFILE["products"]:
    for a in [pr["name"]] + pr["aliases"]:
        prods.append((a.lower(), float(pr["list_price"])))
AMT = re.compile(r"€\s?(\d{1,3}(?:[.,]\d{3})*(?:[.,]\d{1,2})?)(?![\dMmKk])|(\d+(?:[.,]\d{1,2})?)\s?euro")
def amounts(text):
    out = []
    for m in AMT.finditer(text):
        s = m.group(1) or m.group(2)
        if re.search(r"[.,]\d{3}$", s) or re.search(r"[.,]\d{3}[.,]", s):
            s = re.sub(r"[.,](?=\d{3})", "", s)
        s = s.replace(",", ".")
        out.append(float(s))
    return out
ratio = PROFILE["pricing"]["alert_below_ratio"]
for obj in reread:
    p, cats = obj["post"], obj["expect"]["categories"]
    low = p["text"].lower()
    lists = [lp for a, lp in prods if a in low]
    if not lists:
        if "leak.pricing" in cats:
            err("%s: pricing post without product" % p["id"])
        continue
    # each amount is compared with the product alias nearest before it (else after it)
    occ = []
    for a, lp in prods:
        for m in re.finditer(re.escape(a), low):
            occ.append((m.start(), lp))
    below = False
    amts = []
    for m in AMT.finditer(p["text"]):
        x = amounts(m.group())[0]
        amts.append(x)
        before = [o for o in occ if o[0] < m.start()]
        lp = max(before)[1] if before else min(occ)[1]
        if x < ratio * lp:
            below = True
    talk = re.search(r"prijsfout|price error|tienvoudige", low)
    if "leak.pricing" in cats and not (below or talk):
        err("%s: pricing positive without low price" % p["id"])
    if "leak.pricing" not in cats and below:
        err("%s: benign/other post with low price next to product %s" % (p["id"], amts))

# distribution report
from collections import Counter
catc = Counter(c for o in reread for c in o["expect"]["categories"])
benign = sum(1 for o in reread if not o["expect"]["categories"])
langs = Counter(o["post"]["lang"] for o in reread)
roles = Counter(role_of(o["post"]["platform"], o["post"]["account"]["handle"]) for o in reread)
sevs = Counter(o["expect"]["severity"] for o in reread)
n = len(reread)
if not 170 <= n <= 180:
    err("case count %d outside 170-180" % n)
print("cases", n, "benign", benign, "positives", n - benign)
print("categories", dict(sorted(catc.items())))
print("langs", dict(langs), "roles", dict(roles))
print("severities", dict(sevs))
if errors:
    print("SELF-CHECK FAILED:")
    for x in errors:
        print("  -", x)
    sys.exit(1)
print("self-check OK")
