#!/usr/bin/env python3
"""Build the sealed202 evaluation set for postwatch (Kraagsteen Security B.V.).

Deterministic: fixed seed, standard library plus PyYAML. Writes cases.jsonl next to
this file and then checks it: CONTRACT section 6 shape, severities recomputed from the
account role in profile.yaml (CONTRACT section 4), checksums of every IBAN, card and BSN
(valid in positives, invalid look-alikes in negatives), token formats, embargo windows.
"""
import base64
import datetime as dt
import json
import os
import re
import struct
import sys
import unicodedata
import zlib
import random

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 202_2026
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# --------------------------------------------------------------------------------------
# checksums and generators
# --------------------------------------------------------------------------------------
DIGITS = "0123456789"
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
ALNUM = B62
URLSAFE = B62 + "-_"
IBAN_LEN = {"NL": 18, "BE": 16, "DE": 22}


def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if len(s) < 15 or s[:2] not in IBAN_LEN or len(s) != IBAN_LEN[s[:2]]:
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(cc, bban):
    r = bban + cc + "00"
    n = int("".join(str(int(c, 36)) for c in r))
    return "%s%02d%s" % (cc, 98 - n % 97, bban)


def gen_iban_nl(bank):
    return make_iban("NL", bank + "".join(rng.choice(DIGITS) for _ in range(10)))


def gen_iban_be():
    return make_iban("BE", "".join(rng.choice(DIGITS) for _ in range(12)))


def spaced(s, n=4):
    return " ".join(s[i:i + n] for i in range(0, len(s), n))


def luhn_ok(num):
    d = [int(c) for c in num][::-1]
    tot = 0
    for i, x in enumerate(d):
        if i % 2:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def gen_card(prefix, length=16):
    while True:
        body = prefix + "".join(rng.choice(DIGITS) for _ in range(length - len(prefix) - 1))
        for c in DIGITS:
            if luhn_ok(body + c):
                return body + c


def bsn_ok(s):
    if len(s) != 9 or not s.isdigit():
        return False
    w = [9, 8, 7, 6, 5, 4, 3, 2, -1]
    tot = sum(int(c) * k for c, k in zip(s, w))
    return tot % 11 == 0 and tot != 0


def gen_bsn():
    while True:
        s = rng.choice("123456") + "".join(rng.choice(DIGITS) for _ in range(8))
        if bsn_ok(s):
            return s


def corrupt(value, ok, positions=None):
    """Change one digit so that the checksum fails (single-digit errors are always caught)."""
    idx = [i for i, c in enumerate(value) if c.isdigit()]
    if positions:
        idx = [i for i in idx if i in positions] or idx
    while True:
        i = rng.choice(idx)
        nd = rng.choice([d for d in DIGITS if d != value[i]])
        cand = value[:i] + nd + value[i + 1:]
        if not ok(cand.replace(" ", "")):
            return cand


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def gen_github(prefix="ghp_"):
    body = "".join(rng.choice(ALNUM) for _ in range(30))
    return prefix + body + b62(zlib.crc32(body.encode())).rjust(6, "0")


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def gen_jwt():
    header = {"alg": "HS256", "typ": "JWT"}
    iat = 1767225600 + rng.randrange(0, 300 * 86400)
    payload = {"sub": "crm-sync@kraagsteen", "scope": "crm:write contacts:read",
               "iss": "kraagsteen-crm", "iat": iat, "exp": iat + 30 * 86400}
    sig = bytes(rng.randrange(256) for _ in range(32))
    return ".".join([b64url(json.dumps(header, separators=(",", ":")).encode()),
                     b64url(json.dumps(payload, separators=(",", ":")).encode()),
                     b64url(sig)])


def gen_openssh_key():
    def sstr(b):
        return struct.pack(">I", len(b)) + b
    seed = bytes(rng.randrange(256) for _ in range(32))
    pub = bytes(rng.randrange(256) for _ in range(32))
    pubblob = sstr(b"ssh-ed25519") + sstr(pub)
    chk = rng.randrange(1 << 32)
    priv = (struct.pack(">II", chk, chk) + sstr(b"ssh-ed25519") + sstr(pub)
            + sstr(seed + pub) + sstr(b"kwolters@ir-jump01"))
    pad = 1
    while len(priv) % 8:
        priv += bytes([pad])
        pad += 1
    blob = (b"openssh-key-v1\x00" + sstr(b"none") + sstr(b"none") + sstr(b"")
            + struct.pack(">I", 1) + sstr(pubblob) + sstr(priv))
    b = base64.b64encode(blob).decode()
    return "\n".join(b[i:i + 70] for i in range(0, len(b), 70))


def gen_password():
    words = ["Zomer", "Kraag", "Utrecht", "Dijk", "Molen", "Herfst", "Tulp"]
    return rng.choice(words) + rand(DIGITS, 4) + rng.choice("!#$%&*") + rand(ALNUM, 3)


V = {}
V["iban1"] = gen_iban_nl("INGB")
V["iban2"] = gen_iban_nl("ABNA")
V["iban2_sp"] = spaced(V["iban2"])
V["card1"] = spaced(gen_card("4"))
V["card2"] = gen_card("5")
V["card3"] = spaced(gen_card("4"))
V["bsn1"] = gen_bsn()
V["bsn2"] = gen_bsn()
V["bsn2_dot"] = V["bsn2"][:4] + "." + V["bsn2"][4:6] + "." + V["bsn2"][6:]
V["bad_iban1"] = spaced(corrupt(gen_iban_nl("RABO"), iban_ok, positions=range(8, 18)))
V["bad_iban2"] = corrupt(gen_iban_be(), iban_ok, positions=range(4, 16))
V["bad_card1"] = spaced(corrupt(gen_card("4"), luhn_ok))
V["bad_card2"] = corrupt(gen_card("5"), luhn_ok)
V["bad_bsn1"] = corrupt(gen_bsn(), bsn_ok)
V["bad_bsn2"] = corrupt(gen_bsn(), bsn_ok)
V["company_iban"] = spaced(PROFILE["public_identifiers"]["ibans"][0])
V["ghp1"] = gen_github("ghp_")
V["akia1"] = "AKIA" + rand("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
V["awssecret1"] = rand(ALNUM + "/+", 40)
V["stripe1"] = "sk_live_" + rand(ALNUM, 24)
V["slack1"] = "xoxb-%s-%s-%s" % (rand(DIGITS, 12), rand(DIGITS, 13), rand(ALNUM, 24))
V["openai1"] = "sk-proj-" + rand(URLSAFE, 64) + "T3BlbkFJ" + rand(URLSAFE, 64)
V["pw1"] = gen_password()
V["sshkey1"] = gen_openssh_key()
V["jwt1"] = gen_jwt()
V["dbpw1"] = rand(ALNUM, 18)
V["glpat1"] = "glpat-" + rand(URLSAFE, 20)
V["aiza1"] = "AIza" + rand(URLSAFE, 35)
V["anth1"] = "sk-ant-api03-" + rand(URLSAFE, 93) + "AA"

# --------------------------------------------------------------------------------------
# the posts
# --------------------------------------------------------------------------------------
CAT = {"C": "reputation.complaint", "A": "reputation.abuse", "X": "reputation.crisis",
       "S": "leak.security", "Z": "leak.secret", "P": "leak.pii", "F": "leak.financial",
       "R": "leak.pricing", "K": "leak.confidential"}
ZW = "\u200b"   # zero-width space
ZWJ = "\u200d"  # zero-width joiner

CASES = []


def case(role, platform, handle, lang, cats, text, at=None, kind=None):
    CASES.append(dict(role=role, platform=platform, handle=handle, lang=lang,
                      cats=cats, text=text, at=at, kind=kind))


def fw(s):
    """full-width letters"""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" if c == " " else c
                   for c in s)


# ---- complaints ----------------------------------------------------------------------
case("pub", "x", "@mvanrijn_it", "nl", "C",
     "@kraagsteen al 3 weken wachten op ons pentestrapport. Was 'binnen 10 werkdagen' beloofd. "
     "Accountmanager reageert niet meer op mail. Volgende week moet ik hiermee naar de RvC 🙄",
     kind="reply")
case("pub", "x", "@sysadmin_greg", "en", "C",
     "Dear KraagSOC, your 'critical' alert woke me at 3:12am for... a printer doing a firmware "
     "update. Third time this month. Tune your rules pls, my on-call people are losing it")
case("pub", "facebook", "Petra.Hoogeveen.75", "nl", "C",
     "Cursus Incident Handler bij Kraagsteen Academy geboekt, 2 dagen vrij genomen, en de avond "
     "ervoor een mailtje dat hij 'helaas' niet doorgaat. Geen excuses, geen nieuwe datum. Geld "
     "terug duurt blijkbaar 30 dagen. Super professioneel hoor.")
case("pub", "reddit", "u/throwaway_msp_ops", "en", "C",
     "Anyone else on KraagSOC Professional? Portal has been unusable for days, dashboards time "
     "out, and the 'dedicated analyst' is just a ticket queue. We pay almost 4k a month for this lol")
case("pub", "x", "@henk_ict_zwolle", "nl", "C",
     "factuur van kraagsteen klopt wéér niet. 40 uur IR gefactureerd terwijl de consultant er 1 "
     "middag was. 3x gebeld, steeds 'we bellen u terug'. niet dus.")
case("pub", "linkedin", "sarah-okafor-ciso", "en", "C",
     "Honest feedback for Kraagsteen Security: the pentest report we received was basically raw "
     "scanner output pasted into a template. Zero manual validation, two 'criticals' that weren't "
     "even reachable from the internet. Expected a lot more for that money.")
case("pub", "x", "@joycevdm", "nl", "C",
     "phishing simulatie van kraagsteen ging vandaag naar ONZE HELE KLANTENLIJST ipv alleen de "
     "medewerkers. mag ik nu 400 klanten uitleggen dat we niet gehackt zijn. bedankt hoor 🙃")
case("pub", "x", "@dana_runs_it", "en", "C",
     "@kraagsteen your incident hotline kept me on hold for 25 minutes WHILE we had ransomware "
     "spreading across our file servers. '24/7 response' they said. Sure.", kind="reply")
case("pub", "instagram", "@bram.fotografie", "nl", "C",
     "Die KraagSensor N2 van jullie maakt een herrie alsof er een föhn in m'n meterkast staat. En "
     "sinds de laatste update reboot ie om de paar uur. Iemand een oplossing? @kraagsteen.security")
case("pub", "mastodon", "@lena@fosstodon.org", "en", "C",
     "Dear Kraagsteen Academy, a 'Web Hacking 101' course where the labs don't start for half the "
     "class and the trainer says 'just watch my screen' is not worth €2195. The feedback form was "
     "broken too. #infosec")
case("pub", "x", "@wvdberg_ciso", "nl", "C",
     "Kraagsteen belooft 15 min reactietijd bij een P1. Gisteren: melding om 14:02, eerste "
     "reactie om 16:40. SLA is blijkbaar een suggestie.")
case("pub", "bluesky", "@kenji-dev.bsky.social", "en", "C",
     "got a pentest from kraagsteen. tester ran an unauthenticated full-speed scan against prod "
     "at noon on a tuesday and took our checkout down for an hour. nobody warned us. not great")
case("pub", "reddit", "u/DeKlantIsKoning", "nl", "C",
     "Klantenservice van Kraagsteen is gewoon onbereikbaar. Mail je ze, krijg je na een week een "
     "autoreply. Telefoon -> voicemail. En wij zijn nota bene klant van hun 'premium' SOC.")
case("pub", "x", "@mkowalski_sec", "en", "C",
     "Kraagsteen cancelled our red team engagement two days before kickoff because of "
     "'resourcing'. We had already briefed the board. Really unprofessional.")
case("pub", "x", "@ilse_opsec", "nl", "C",
     "@kraagsoc_status jullie statuspagina zegt alles groen maar ik krijg al sinds vanochtend "
     "geen enkele alert meer binnen. Hallo?? Iemand thuis?", kind="reply")
case("pub", "x", "@r_bosman", "nl", "CP",
     "@kraagsteen ik wacht nu al twee weken op een terugbelverzoek over ons contract. Bel me nou "
     "gewoon: 06-38174290 of mail naar rik.bosman78@gmail.com. Dit is echt belachelijk",
     kind="reply")
case("pub", "facebook", "Anouk.Vermeulen.88", "en", "CP",
     "Kraagsteen charged my card twice for the OSINT course and support won't answer. Here's "
     "the full number so you can find it, it's <<card1>>. Refund please!!")
case("pub", "x", "@frank_netwerk", "nl", "CA",
     "Kraagsteen, stelletje prutsers. Drie dagen geen logging en niemand die het merkt. Jullie "
     "SOC-analisten zijn echt de grootste sukkels van Utrecht.")
case("pub", "reddit", "u/angry_sysop_77", "en", "CA",
     "Kraagsteen 'experts' are f*cking clowns. Our EDR alerts sat unacknowledged for 9 hours "
     "over the weekend. Absolute morons. Cancelling on Monday.")
case("pub", "linkedin", "h-de-graaf-directeur", "nl", "XC",
     "Wij zijn vorige maand getroffen door ransomware terwijl Kraagsteen onze 24/7 monitoring "
     "deed. Uit de logs blijkt dat hun SOC de eerste signalen 11 uur eerder al binnen had. Onze "
     "advocaat stelt Kraagsteen nu aansprakelijk voor de schade.")
case("pub", "instagram", "@rackjunkie_ut", "nl", "XC",
     "KraagSensor R1 vatte vlam in ons serverrack 🔥🔥 brandweer moest komen. Kraagsteen reageert "
     "al 2 dagen niet op mails. Check jullie apparaten mensen!! #brandgevaar")

# ---- abuse ---------------------------------------------------------------------------
case("pub", "x", "@anoniem_0492", "nl", "A",
     "Kraagsteen is een club oplichters en die Lotte Brouwer is een arrogante trut. Hoop dat "
     "jullie failliet gaan.")
case("pub", "x", "@xXr00tk1ngXx", "en", "A",
     "lmao kraagsteen 'hackers' are script kiddies in hoodies. bunch of talentless idiots, go "
     "back to fixing printers")
case("pub", "reddit", "u/Boze_Burger_2026", "nl", "A",
     "die k4nk3rl1jers van kr44gst33n moeten gewoon 0pr0tten")
case("pub", "bluesky", "@notabot42.bsky.social", "en", "A",
     "Kraagsteen support = f.u.c.k.i.n.g  u.s.e.l.e.s.s  i.d.i.o.t.s")
case("pub", "x", "@patriot_nl_1", "nl", "A",
     "Kraagsteen neemt alleen nog buitenlanders aan in hun SOC. Geen wonder dat het zo'n zooi is, "
     "stuur ze allemaal terug waar ze vandaan komen.")
case("emp", "x", "@b4rt_soc", "en", "A",
     "some customers are genuinely too stupid to own a computer. no sir, your 'hacker' is your "
     "own intern, you absolute muppet")
case("emp", "threads", "@jasperdekker.sec", "nl", "A",
     "Weer zo'n deelnemer die de hele training zit te zeiken. Man, hou gewoon je bek en let op, "
     "sukkel.")
case("pub", "mastodon", "@grudge@mastodon.social", "en", "A",
     "Kraagsteen's CEO is a lying \u0456d\u0456\u043et and a \u0441\u043eward, and everyone "
     "who works for him is just as pathetic")
case("pub", "facebook", "Ron.Visser.302", "nl", "A",
     "Die consultant van Kraagsteen die bij ons was, Kees Wolters, is een arrogante klootzak die "
     "niet kan luisteren. Walgelijk figuur.")
case("pub", "x", "@h8_kraagsteen", "en", "A",
     "@kees_ir we know where your office is. keep posting your smug IR threads and see what "
     "happens. watch your back", kind="reply")
case("pub", "youtube", "@ChadOps", "en", "A",
     "Kraagsteen Academy trainers are " + fw("total morons") + ", complete waste of oxygen",
     kind="comment")

# ---- crisis --------------------------------------------------------------------------
case("pub", "x", "@cyberjournaal", "nl", "X",
     "BREEKT: klantgegevens van cybersecuritybedrijf Kraagsteen opgedoken op de leksite van een "
     "ransomwaregroep. Onder meer pentestrapporten van tientallen klanten zouden zijn buitgemaakt.")
case("pub", "x", "@threatintel_dave", "en", "X",
     "Kraagsteen Security got listed on a ransomware leak site this morning. The 'sample' includes "
     "what looks like client pentest reports. If true, that's brutal for a security vendor.")
case("pub", "linkedin", "mr-m-jansen-advocaat", "nl", "X",
     "Namens een groep cliënten heeft ons kantoor vandaag een collectieve claim aangekondigd tegen "
     "Kraagsteen Security B.V. wegens ernstige tekortkomingen in de beveiligingsmonitoring.")
case("pub", "reddit", "u/ethicswatcher", "en", "X",
     "Kraagsteen pentester reportedly downloaded and kept patient records from a hospital during "
     "a test, way outside scope. Hospital filed a complaint with the Dutch DPA. How is that "
     "company still allowed to operate?")
case("pub", "x", "@boycot_nu", "nl", "X",
     "#BoycotKraagsteen — een 'beveiligingsbedrijf' dat zijn eigen klantdata niet eens veilig kan "
     "houden. Zeg jullie contracten op!")
case("pub", "x", "@recall_watch", "en", "X",
     "Is Kraagsteen quietly recalling KraagSensor N2 units? Several MSPs say they got 'swap' "
     "requests after reports of overheating power bricks. No public notice yet.")
case("pub", "reddit", "u/waakhond_nl", "nl", "X",
     "Kraagsteen zou een datalek onder de pet hebben gehouden. Klanten nooit geïnformeerd, AP "
     "ook niet. Als dat klopt is dat gewoon strafbaar, toch?")
case("pub", "linkedin", "erik-bosch-onderzoeksjournalist", "en", "X",
     "Investigation: former Kraagsteen staff say the company sold '24/7 monitoring' while the "
     "night shift was often a single unpaid intern. Our full story goes out tomorrow.")
case("pub", "x", "@lekkenjager", "nl", "X",
     "Kraagsteen heeft een d\u0430t\u0430lek en verzwijgt het. Stop met ze.")
case("pub", "bluesky", "@infosec-gossip.bsky.social", "en", "X",
     "Kraagsteen is being sued by a former client over a ransomware attack their SOC 'missed'. "
     "The court documents are public. Damages claimed: €2.3M.")
case("pub", "x", "@ks_watch_2026", "en", "X",
     "Kraagsteen got h" + ZW + "a" + ZW + "c" + ZW + "k" + ZW + "e" + ZW + "d and they're hiding "
     "it from their own customers. #breach")
case("pub", "tiktok", "@techtok_lisa", "nl", "X",
     "Dus het bedrijf dat andere bedrijven beveiligt… is zelf gehackt 💀 Kraagsteen heeft het nog "
     "steeds niet toegegeven. Boycot ze!! #cybersecurity #fail")

# ---- security (insiders) ---------------------------------------------------------------
case("emp", "x", "@b4rt_soc", "nl", "S",
     "Lange nacht. Onze eigen SIEM heeft van 01:00 tot 07:30 geen logs ingenomen, voor álle "
     "klanten. Niemand weet het nog, management wil het 'intern houden' 🫠")
case("emp", "mastodon", "@ruben_h@infosec.exchange", "en", "S",
     "Fun fact: our own customer portal still has an IDOR on /api/reports/<id> — bump the id and "
     "you get another customer's pentest report. Reported it internally 2 months ago. Still open.")
case("emp", "reddit", "u/nightshift_ks", "en", "S",
     "Can't say who, but one of our biggest SOC customers is fully encrypted right now, domain "
     "admin compromised, we've been on site since Saturday. Press doesn't know yet. Pray for us.")
case("emp", "bluesky", "@milou-soc.bsky.social", "nl", "S",
     "Die phishingmail die vorige week bij ons binnenkwam? Twee collega's hebben de MFA-prompt "
     "goedgekeurd en de aanvaller heeft een paar uur in onze M365 rondgekeken. Officieel is er "
     "'niets gebeurd'.")
case("emp", "x", "@kees_ir", "en", "S",
     "heads up to nobody in particular: the VPN appliance we use internally is vulnerable to "
     "that new pre-auth RCE and we still haven't patched because of the 'change freeze'. yikes")
case("emp", "linkedin", "daan-verhoef-kraagsteen", "nl", "S",
     "Tussen ons: de storing in het klantportaal vorige week was geen 'gepland onderhoud' maar "
     "een aanval op onze eigen infrastructuur. Richting klanten hebben we het netjes weggepraat.")
case("emp", "threads", "@jasperdekker.sec", "en", "S",
     "lol our academy LMS stores participant passwords in plaintext. found it while prepping a "
     "lab, reported it, got told 'not a priority this quarter'")
case("emp", "x", "@lotte_pentest", "nl", "S",
     "Zit nu bij een klant, blijkt dat hun backups al een half jaar niet draaien én dat er al "
     "maanden een webshell op de mailserver staat. Van dat laatste weet de klant nog niks 😬")
case("emp", "bluesky", "@milou-soc.bsky.social", "en", "S",
     "our EDR tenant was down for ~5h last night, zero telemetry from 300+ customer endpoints. "
     "status page stayed green the whole time 🤐")
case("emp", "reddit", "u/nightshift_ks", "nl", "S",
     "Zero-day in de KraagSensor-firmware: hardcoded root-wachtwoord in de recovery shell. Patch "
     "komt 'ergens in Q3'. Klanten worden niet ingelicht.")
case("emp", "x", "@b4rt_soc", "en", "SK",
     "siem-ingest03.kraagsteen.local has been dropping events since the 2am patch run, half our "
     "customer detections are blind. not announced yet, fixing asap")
case("emp", "mastodon", "@ruben_h@infosec.exchange", "nl", "SK",
     "Iemand heeft onze interne GitLab (git.kraagsteen.nl) zonder login open laten staan naar "
     "internet. Alle klantscripts en configs waren zo te downloaden. Nu dicht, maar hoe lang "
     "stond dat open??")
case("pub", "reddit", "u/former_ks_analyst", "en", "SX",
     "Ex-Kraagsteen here. The 'breach that never happened' in March? It happened. Attackers sat "
     "on the SOC jump host for three weeks. I was on the incident bridge.")

# ---- secrets -------------------------------------------------------------------------
case("emp", "x", "@lotte_pentest", "en", "Z",
     "ugh why does this script not auth?? export GITHUB_TOKEN=<<ghp1>> && curl -H "
     "\"Authorization: token $GITHUB_TOKEN\" https://api.github.com/orgs/kraagsteen/repos")
case("emp", "reddit", "u/nightshift_ks", "nl", "Z",
     "Iemand ervaring met boto3 timeouts? Mijn config:\n[default]\naws_access_key_id = <<akia1>>\n"
     "aws_secret_access_key = <<awssecret1>>\nregion = eu-west-1\nLokaal werkt het wel.")
case("emp", "mastodon", "@ruben_h@infosec.exchange", "en", "Z",
     "testing the new checkout for the academy shop, stripe keeps returning 401 with "
     "<<stripe1>> — that's the live one right?? why does it hate me")
case("emp", "x", "@b4rt_soc", "nl", "Z",
     "Slack-bot voor de alerts doet het niet meer. token: <<slack1>> iemand een idee wat er mis is?")
case("emp", "bluesky", "@milou-soc.bsky.social", "en", "Z",
     "prompt engineering our triage bot, OPENAI_API_KEY=<<openai1>> works fine in the notebook "
     "but not in prod 🤔")
case("emp", "threads", "@jasperdekker.sec", "nl", "Z",
     "Voor de collega's die vanavond de cursus draaien: LMS-beheer is gebruiker lms-admin, "
     "wachtwoord: <<pw1>> (niet doorsturen pls)")
case("emp", "x", "@kees_ir", "en", "Z",
     "pasting here for the IR team since Teams is down again:\n-----BEGIN OPENSSH PRIVATE KEY-----\n"
     "<<sshkey1>>\n-----END OPENSSH PRIVATE KEY-----")
case("corp", "x", "@kraagsteen", "nl", "Z",
     "test webhook crm -> Authorization: Bearer <<jwt1>>")
case("emp", "reddit", "u/nightshift_ks", "en", "ZK",
     "connection string for the alert archive if anyone needs it: "
     "postgresql://svc_alerts:<<dbpw1>>@pg-alerts01.kraagsteen.local:5432/alerts")
case("emp", "x", "@b4rt_soc", "nl", "ZK",
     "Wie heeft de token voor git.kraagsteen.nl aangepast? Oude was <<glpat1>>, sindsdien doet de "
     "pipeline helemaal niks meer")
case("pub", "x", "@randomdev_bob", "en", "Z",
     "lol Kraagsteen's academy site has its Google API key right in the page source: <<aiza1>> "
     "— for a security company 😂")
case("emp", "mastodon", "@ruben_h@infosec.exchange", "en", "Z",
     "claude keeps telling me my key is invalid?? ANTHROPIC_API_KEY=<<anth1>> what am i missing")

# ---- personal data -------------------------------------------------------------------
case("emp", "linkedin", "noor-elidrissi", "nl", "P",
     "Welkom aan onze nieuwe SOC-analist Sem de Boer! 🎉 Sem woont sinds kort in Utrecht "
     "(Biltstraat 112) en is bereikbaar op 06 2291 4473. Stuur hem gerust een appje!")
case("corp", "x", "@kraagsteen", "nl", "P",
     "@ellen_dijkman Sorry voor het ongemak! We hebben uw terugbetaling overgemaakt naar <<iban1>> "
     "t.n.v. E. Dijkman, u ziet het binnen 3 werkdagen.", kind="reply")
case("emp", "reddit", "u/nightshift_ks", "en", "P",
     "weird shift. guy called the hotline, gave his BSN <<bsn1>> as 'verification' plus his date "
     "of birth. people please stop doing that lol")
case("corp", "facebook", "KraagsteenSecurity", "nl", "P",
     "Winnaar van onze awareness-quiz: Ingrid Pauwels uit Amersfoort! Ingrid, we sturen je prijs "
     "naar Kersenlaan 7, 3818 AB Amersfoort. Gefeliciteerd!")
case("emp", "x", "@kees_ir", "en", "P",
     "if anyone at Hollander Logistiek reads this: Marco Hollander's direct line is "
     "+31 6 4419 2087 and his private mail is marco.hollander@outlook.com, he's not answering ours")
case("pub", "x", "@sandra_kl", "nl", "P",
     "@kraagsteen zoals jullie medewerker vroeg: rekeningnummer voor de terugbetaling is "
     "<<iban2_sp>> t.n.v. S. Klaassen. Alvast bedankt!", kind="reply")
case("emp", "bluesky", "@milou-soc.bsky.social", "en", "P",
     "text from a phishing report we got today (customer said ok to share 🙃): 'Dear Mr. P. "
     "Verbeek, Lindelaan 22, 2011 KD Haarlem, your card <<card3>> has been blocked'")
case("emp", "x", "@lotte_pentest", "nl", "PS",
     "Pentest-tip: kijk altijd in de exports. Vandaag bij een klant op een open share een CSV met "
     "naam Johan Mertens, BSN <<bsn2_dot>>, geboortedatum 21-07-1968. Gewoon leesbaar voor "
     "iedereen 🙄")
case("pub", "x", "@treinreiziger_ams", "en", "P",
     "@kraagsteen your consultant left a printed customer list on the train to Utrecht. Names, "
     "emails like j.vandam@gemeente-lopik.nl, phone numbers like 06-71803326. I've got it here, DM me.",
     kind="reply")
case("emp", "reddit", "u/nightshift_ks", "nl", "P",
     "Voor wie de escalatielijst kwijt is: dienstdoende manager deze week is Rik Vos, "
     "(06) 41 27 83 19, privé r.vos1982@gmail.com")
case("corp", "mastodon", "@kraagsteen@infosec.exchange", "en", "P",
     "Congratulations to our CTF winner Tim Oosterhout! Tim, your prize goes out to Weverstraat 31, "
     "6862 DT Oosterbeek. And happy early birthday (5 June 2001) 🎂")
case("pub", "x", "@pietjepuk_72", "nl", "P",
     "Kan iemand van Kraagsteen mij terugbellen over mijn aanmelding voor de cursus? Mijn nummer "
     "is 0031 6 5530 1984, mailen mag ook: pj.puk72@ziggo.nl")
case("corp", "instagram", "@kraagsteen.security", "nl", "P",
     "Collega Lisa Smit viert vandaag haar 10-jarig jubileum bij Kraagsteen! 💐 Lisa (geb. "
     "30-01-1990) verdient een kaartje: Populierenweg 8, 3701 BK Zeist")

# ---- financial -----------------------------------------------------------------------
case("emp", "linkedin", "femke-van-der-laan-ks", "nl", "F",
     "Trots op het team: de omzet over H1 komt uit op ruim €18 miljoen, 31% boven budget. De "
     "officiële cijfers volgen pas in september, maar dit wilde ik even delen 💪",
     at="2026-07-09T18:42:00Z")
case("emp", "x", "@kees_ir", "en", "F",
     "management just told us we're being acquired by a US MDR giant. deal closes in Q3, nobody's "
     "allowed to say anything until then. so... don't tell anyone 🤐")
case("emp", "reddit", "u/nightshift_ks", "nl", "F",
     "Net gehoord in de all-hands: 25 fte gaat eruit bij de SOC, nachtdienst wordt uitbesteed aan "
     "een partij in India. Officiële aankondiging pas na de zomer.", at="2026-06-17T23:05:00Z")
case("emp", "linkedin", "daan-verhoef-kraagsteen", "en", "F",
     "Q3 pipeline is weak, we'll miss the annual forecast by ~20%. Board is not amused. "
     "Time to hustle 💼", at="2026-09-22T07:30:00Z")
case("emp", "bluesky", "@milou-soc.bsky.social", "nl", "F",
     "Die investeringsronde waar iedereen over fluistert? Is rond. €40 mln van een Brits PE-fonds, "
     "wordt pas volgende maand bekendgemaakt.")
case("pub", "reddit", "u/msp_rumours", "en", "F",
     "Friend at Kraagsteen says they're losing their two biggest SOC contracts and revenue is down "
     "~35% this year. Not announced anywhere obviously.")
case("emp", "x", "@lotte_pentest", "nl", "F",
     "bonussen geschrapt, vacaturestop per 1 juni en de directie heeft het ineens over "
     "'herstructurering'. staat nog nergens maar iedereen weet hoe laat het is",
     at="2026-05-12T20:11:00Z")
case("emp", "mastodon", "@ruben_h@infosec.exchange", "en", "FK",
     "Project Zeeslang = we're buying our biggest competitor. due diligence done, signing next "
     "week. you heard nothing.")
case("emp", "linkedin", "noor-elidrissi", "nl", "FK",
     "Spannende tijden met Operatie Stormvloed: drie afdelingen worden samengevoegd en ongeveer 40 "
     "functies vervallen. Ik ga iedereen persoonlijk begeleiden! 💜")
case("emp", "x", "@b4rt_soc", "en", "FK",
     "Operatie Stormvloed is the layoff plan btw. 1 in 5 in the SOC. announcement slipped to january")
case("corp", "x", "@kraagsteen", "nl", "FK",
     "Sneak peek 👀 de jaarcijfers 2026 laten een EBITDA-stijging van 22% zien 🚀 Meer details "
     "op 4 maart!", at="2027-02-20T11:00:00Z")
case("emp", "linkedin", "femke-van-der-laan-ks", "en", "FK",
     "Finalising the FY2026 results deck this weekend. Spoiler: first year with a net loss, about "
     "€3.1M. Coffee please ☕", at="2027-02-13T09:20:00Z")

# ---- pricing -------------------------------------------------------------------------
case("corp", "x", "@kraagsteen", "nl", "R",
     "🔥 Nu tijdelijk: Pentest Web Basis voor slechts €495! Boek via kraagsteen.nl/pentest")
case("emp", "linkedin", "daan-verhoef-kraagsteen", "en", "R",
     "Closing the quarter strong: any org that signs KraagSOC Professional this week gets it at "
     "€950/month. DM me.")
case("pub", "x", "@dealjager_nl", "nl", "R",
     "Prijsfout bij Kraagsteen Academy?? OSINT Fundamentals staat op €14,95 ipv €1.495 😂 snel "
     "boeken")
case("pub", "reddit", "u/bargainsec", "en", "R",
     "Kraagsteen's shop lists the KraagSensor N2 at €134.90 right now. Pretty sure that's a "
     "decimal slip. Ordered two, let's see if they honour it.")
case("corp", "instagram", "@kraagsteen.security", "nl", "R",
     "Black Friday deal 🖤 Security Awareness e-learning nu €3,90 per gebruiker!",
     at="2026-11-27T08:00:00Z")
case("emp", "threads", "@jasperdekker.sec", "en", "R",
     "psst the Incident Handler course is on the academy site for €245 today, pretty sure someone "
     "fat-fingered it. go go go")
case("corp", "facebook", "KraagsteenSecurity", "nl", "R",
     "Alleen deze maand: NIS2 Quickscan voor €345 excl. btw. Wees op tijd klaar voor de nieuwe wet!")
case("corp", "bluesky", "@kraagsteen.nl", "en", "R",
     "New year, new security: Incident Response Retainer from €1,200/year 🛡️",
     at="2026-01-05T09:00:00Z")
case("emp", "x", "@b4rt_soc", "nl", "R",
     "iemand bij marketing heeft de prijs van de KraagSensor R1 verkeerd in de webshop gezet, er "
     "zijn al 60 bestellingen binnen 🙈 prijsfout van het jaar")
case("pub", "mastodon", "@dealhunter@mastodon.social", "en", "R",
     "PSA: Kraagsteen's Red Team Operatie package is showing €2,450 on their site. Normally it's "
     "ten times that. Price glitch, screenshot before it's gone")
case("emp", "reddit", "u/nightshift_ks", "nl", "R",
     "Sales heeft per ongeluk CISO-as-a-Service aangeboden voor €275 per maand aan drie klanten, "
     "foutje in de offertetool. Nu maar hopen dat niemand tekent haha")
case("pub", "x", "@cheapskate_cto", "en", "R",
     "Is this real? Kraagsteen Code Review Audit for €590?? That's 10% of what they normally ask. "
     "Booking it before someone notices.")

# ---- confidential --------------------------------------------------------------------
case("emp", "x", "@lotte_pentest", "nl", "K",
     "Eerste demo van Lantaarn gezien vandaag. Als dat platform doet wat het belooft zijn we de "
     "concurrentie echt voorbij 🚀 #mag_er_niks_over_zeggen")
case("emp", "x", "@kees_ir", "nl", "K",
     "Kijk hoe mooi onze nieuwe runbook-wiki is 😍 [KRAAGSTEEN INTERN] IR-playbook v4 – "
     "ransomware triage, stap 1 t/m 12, incl. wie je wanneer belt")
case("emp", "reddit", "u/nightshift_ks", "en", "K",
     "here's the escalation matrix since people keep asking. it's marked 'alleen voor intern "
     "gebruik' but whatever: P1 -> duty manager -> CISO-on-call -> legal within 30 min")
case("emp", "linkedin", "daan-verhoef-kraagsteen", "nl", "K",
     "Mooie klantcase! (ok, de slide komt uit een deck met 'klant-vertrouwelijk' erop, maar dit "
     "moet de wereld zien): we hebben het complete SOC-contract van een grote Nederlandse bank "
     "binnengehaald, 5 jaar 🙌")
case("corp", "x", "@kraagsteen", "en", "K",
     "Coming soon: KraagSOC XDR. Full visibility, one console. Stay tuned 👀",
     at="2026-11-18T15:00:00Z")
case("emp", "threads", "@jasperdekker.sec", "nl", "K",
     "Stiekem al bezig met de slides voor Academy Cloud Forensics, de nieuwe cursus die in januari "
     "live gaat. Ssst 🤫", at="2026-12-09T21:14:00Z")
case("pub", "reddit", "u/leaks_and_peeks", "en", "K",
     "Someone posted a screenshot of Kraagsteen's internal roadmap: 'Lantaarn' launching in Q2 with "
     "AI triage. Header of the doc literally says KRAAGSTEEN INTERN.")
case("emp", "x", "@lotte_pentest", "nl", "K",
     "Raad eens waar ik vandaag aan werk 😏 " + fw("Project Zeeslang"))
case("emp", "bluesky", "@milou-soc.bsky.social", "nl", "K",
     "Lant" + ZWJ + "aarn gaat op 1 maart live bij de eerste klant, spannend!!")

# ---- benign (mostly hard negatives) -------------------------------------------------
case("pub", "x", "@tevreden_klant", "nl", "",
     "Shoutout naar het IR-team van Kraagsteen. Vrijdagnacht gebeld met ransomware, binnen 20 "
     "minuten iemand aan de lijn en zondag draaiden we weer. Helden 🙏")
case("corp", "x", "@kraagsteen", "en", "",
     "Need us urgently? Our 24/7 incident hotline is +31 85 303 7700, or mail soc@kraagsteen.nl. "
     "We pick up. Always.")
case("corp", "linkedin", "kraagsteen-security", "nl", "",
     "Vacature: SOC-analist (medior) in Utrecht. Interesse? Mail je cv naar werkenbij@kraagsteen.nl "
     "of bel 030 799 4400.")
case("corp", "mastodon", "@kraagsteen@infosec.exchange", "en", "",
     "Our researchers found a critical auth bypass in an open-source VPN client (CVE-2026-31337, "
     "now patched upstream). Full write-up on kraagsteen.nl/blog. Coordinated disclosure FTW.")
case("emp", "x", "@lotte_pentest", "nl", "",
     "Wat een leuke pentest deze week. Alles netjes gepatcht na de hertest, klant blij, ik blij. "
     "Nu weekend 🍕")
case("pub", "reddit", "u/curious_student", "en", "",
     "How do you spot a leaked AWS key in logs? The docs use AKIAIOSFODNN7EXAMPLE and "
     "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY as samples. Is there a regex that tells real ones "
     "apart? Does the Kraagsteen Academy cloud course cover this?")
case("emp", "threads", "@jasperdekker.sec", "nl", "",
     "Tijdens de training vandaag: 'wat is een goed wachtwoord?' Iemand riep 'Welkom01!'. Zucht. "
     "Gebruik een password manager, mensen 😅")
case("pub", "x", "@secmemes", "en", "",
     "me: sees ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx in a README\nalso me: panics for 0.5 seconds")
case("corp", "x", "@kraagsteen", "nl", "",
     "Let op: oplichters sturen nepfacturen namens Kraagsteen. Wij gebruiken uitsluitend "
     "rekening <<company_iban>>. Twijfel je? Bel 0800-2020.")
case("emp", "linkedin", "daan-verhoef-kraagsteen", "en", "",
     "Autumn offer: 15% off KraagSOC Essentials for new customers signing before 1 November — "
     "€1,606.50/month instead of €1,890.", at="2026-10-06T08:30:00Z")
case("corp", "instagram", "@kraagsteen.security", "nl", "",
     "Zomerdeal ☀️ Academy Web Hacking 101 nu €1.756 i.p.v. €2.195 (20% korting). Vol = vol!",
     at="2026-07-01T10:00:00Z")
case("pub", "x", "@budget_ciso", "en", "",
     "Got a quote from Kraagsteen: Pentest Web Plus at €8,950. Pricey, but their reports are "
     "legit. Anyone compared them with other shops?")
case("pub", "reddit", "u/mkb_ondernemer", "nl", "",
     "Wat kost zo'n NIS2 Quickscan eigenlijk? Kraagsteen rekent €3.450, is dat normaal voor een "
     "bedrijf van 60 man?")
case("pub", "x", "@nieuwsjunk", "nl", "",
     "Datalek bij zorgverzekeraar: 300.000 klanten geraakt. Bedrijven moeten hun leveranciers "
     "echt beter gaan controleren.")
case("pub", "facebook", "Marjolein.de.Wit", "nl", "",
     "Sterkte en dank aan iedereen bij Kraagsteen die dit weekend heeft doorgewerkt bij het "
     "ziekenhuis. Mijn zus werkt daar op de IC, ze zijn jullie heel dankbaar ❤️")
case("pub", "x", "@dana_runs_it", "en", "",
     "Update: Kraagsteen called back, apologised for the hotline wait and credited us a month. "
     "Resolved. Fair play to them.")
case("pub", "x", "@henk_ict_zwolle", "nl", "",
     "factuur is gecorrigeerd, creditnota binnen. netjes opgelost kraagsteen 👍")
case("pub", "reddit", "u/ctf_enjoyer", "en", "",
     "Kraagsteen's CTF last weekend was brutal (in a good way). That heap challenge absolutely "
     "destroyed me lol. Killer event, will be back next year.")
case("emp", "x", "@b4rt_soc", "nl", "",
     "Nachtdienst zit erop. Rustige nacht: 3 false positives en een kat die over een toetsenbord "
     "liep 🐈 Slapen nu.")
case("emp", "bluesky", "@milou-soc.bsky.social", "en", "",
     "Gave a talk on detection engineering at a meetup tonight. Slides are on our public GitHub: "
     "github.com/kraagsteen/talks 🎤")
case("pub", "x", "@stormchaser_zld", "nl", "",
     "Stormvloed op de Oosterschelde vanavond, de kering gaat dicht 🌊 Prachtig en eng tegelijk.")
case("pub", "x", "@buurtapp_lombok", "nl", "",
     "Eindelijk nieuwe LED-lantaarnpalen in onze straat. Scheelt een hoop, fietsen in het donker "
     "was echt geen pretje.")
case("pub", "reddit", "u/vader_van_drie", "nl", "",
     "Mijn zoon wil per se naar de tentoonstelling over zeeslangen en zeemonsters in Naturalis "
     "🐍 Iemand al geweest? Is het de moeite voor een 7-jarige?")
case("corp", "x", "@kraagsteen", "en", "",
     "It's here: KraagSOC XDR is now generally available. One console, full visibility. Read the "
     "launch post on kraagsteen.nl", at="2027-01-27T10:00:00Z")
case("emp", "linkedin", "femke-van-der-laan-ks", "nl", "",
     "Vandaag publiceerden we onze jaarcijfers 2026: omzet +19%, voor het eerst boven de €40 mln. "
     "Dank aan alle collega's en klanten! Het volledige verslag staat op kraagsteen.nl/ir",
     at="2027-03-04T09:15:00Z")
case("emp", "threads", "@jasperdekker.sec", "en", "",
     "Academy Cloud Forensics launched last week and the first cohort is already full 🙌 next run "
     "in April", at="2027-02-02T12:00:00Z")
case("pub", "x", "@rekenwonder", "nl", "",
     "Kreeg een 'factuur' van Kraagsteen met IBAN <<bad_iban1>>. Klopt niet eens, de "
     "controlecijfers falen. Phishing dus. Gemeld bij security@kraagsteen.nl")
case("pub", "reddit", "u/luhn_nerd", "en", "",
     "Exercise from the Kraagsteen OSINT course: is <<bad_card1>> a real card number? (spoiler: "
     "no, Luhn fails, which is how you spot fakes in phishing kits)")
case("emp", "x", "@lotte_pentest", "nl", "",
     "Testdata voor de workshop morgen: BSN <<bad_bsn1>> (haalt expres de elfproef niet), naam "
     "Jan Testpersoon. Niet schrikken dus.")
case("pub", "x", "@nlsecnews", "en", "",
     "Kraagsteen appoints a new CTO, previously at a Dutch telecom operator. Press release is on "
     "their site.")
case("pub", "x", "@vraagbaak_ict", "nl", "",
     "Iemand ervaring met KraagSOC Essentials voor een mkb'er met ±50 man? Benieuwd naar de "
     "reactietijden in de praktijk.")
case("pub", "tiktok", "@studente_cyber", "nl", "",
     "Stage gelopen bij Kraagsteen en ik mag blijven!! 🥹🎉 SOC-analist vanaf september")
case("corp", "x", "@kraagsoc_status", "en", "",
     "Scheduled maintenance: customer portal unavailable Sunday 02:00–04:00 CET. Detection and "
     "alerting continue as normal.")
case("corp", "x", "@kraagsoc_status", "nl", "",
     "Opgelost: de vertraging in e-mailnotificaties van vanochtend is verholpen. Alerts in het "
     "portaal waren niet geraakt. Excuses voor het ongemak.")
case("corp", "youtube", "KraagsteenAcademy", "en", "",
     "New video: how attackers abuse leaked GitHub tokens and how to rotate them fast. The token "
     "on screen is redacted (ghp_************************************), so don't bother 😉")
case("pub", "reddit", "u/devops_daan", "nl", "",
     "Tip: zet je databasewachtwoord nooit hardcoded in je connection string, gebruik env vars: "
     "postgres://app:${DB_PASSWORD}@db:5432/app")
case("emp", "x", "@kees_ir", "en", "",
     "PSA from an IR person: if you find a private key in a public repo, assume it's burned. "
     "Rotate first, investigate later.")
case("pub", "facebook", "Truus.Hendriks.1949", "nl", "",
     "Mijn kleinzoon werkt bij zo'n hackersbedrijf, Kraagsteen. Ik snap er niks van maar ik ben "
     "reuzetrots 😊")
case("pub", "linkedin", "annemiek-r-ciso", "en", "",
     "We switched to Kraagsteen for MDR six months ago. Fewer alerts, better alerts. Their "
     "analysts actually call you when it matters.")
case("pub", "x", "@grappenmaker", "nl", "",
     "Mijn wachtwoord is zo sterk dat ik 'm zelf niet meer weet 🤡 #maandag")
case("pub", "bluesky", "@netsec-nina.bsky.social", "en", "",
     "Kraagsteen's red team talk at the conference: 'we got in through the coffee machine'. "
     "Iconic. The whole room died laughing.")
case("pub", "x", "@prijsvergelijker", "nl", "",
     "Pentestprijzen vergeleken: Kraagsteen Pentest Web Basis €4.950, marktgemiddelde ~€5.500. "
     "Best scherp eigenlijk.")
case("corp", "x", "@kraagsteen", "en", "",
     "Limited seats: Academy OSINT Fundamentals, early bird €1,195 (regular €1,495) until 31 March.",
     at="2026-02-16T09:00:00Z")
case("emp", "linkedin", "daan-verhoef-kraagsteen", "nl", "",
     "KraagSensor N2 nu ook leverbaar via onze partnerwebshop: €1.349 excl. btw, inclusief een "
     "jaar support.")
case("pub", "reddit", "u/sec_cynic", "en", "",
     "That new EDR bypass from Kraagsteen's research team is sick 🔥 these people are insane, in "
     "the best way.")
case("pub", "x", "@ict_juf", "nl", "",
     "Mijn klas kreeg vandaag een gastles van Kraagsteen over phishing. Ze vonden het 'vet eng' 😄 "
     "Dank jullie wel!")
case("emp", "x", "@lotte_pentest", "en", "",
     "Reminder: our responsible disclosure address is security@kraagsteen.nl. PGP key is on the "
     "website. We reply within 2 working days.")
case("corp", "facebook", "KraagsteenSecurity", "nl", "",
     "Open dag bij Kraagsteen Academy op 14 november! Locatie: Kanaalweg 40, Utrecht. Aanmelden "
     "via academy@kraagsteen-academy.nl", at="2026-10-20T12:00:00Z")
case("pub", "x", "@telecomtom", "nl", "",
     "Storing bij mijn internetprovider, al de hele dag geen verbinding. Heeft niks met Kraagsteen "
     "te maken hoor, ik zit gewoon thuis te balen.")
case("pub", "x", "@repaircafe_utr", "nl", "",
     "Kraagsteen-collega's hielpen vandaag vrijwillig mee bij het repair café. Laptop van mijn "
     "moeder is weer virusvrij 👏")
case("corp", "bluesky", "@kraagsteen.nl", "en", "",
     "Proud to be ISO 27001 recertified for another three years. Thanks to every colleague who "
     "kept their clean desk clean 🧹")
case("pub", "mastodon", "@linuxlies@mastodon.nl", "nl", "",
     "Bizar: phishingmail 'namens Kraagsteen' vraagt je creditcard te 'verifiëren'. Het "
     "voorbeeldnummer in de mail (<<bad_card2>>) is niet eens geldig lol")
case("pub", "x", "@tax_tim", "en", "",
     "BSN-style number in a spam mail today: <<bad_bsn2>>. Doesn't pass the 11-check, so it's just "
     "noise. Kraagsteen's awareness course taught me that 😄")
case("pub", "x", "@pentestpiet", "nl", "",
     "Mijn eerste certificaat binnen! Web Hacking 101 kostte €2.195 maar was elke cent waard. "
     "Dank Kraagsteen Academy 🙌")
case("pub", "reddit", "u/budgetbeheerder", "nl", "",
     "Kraagsteen had 10% korting op de Vulnerability Scan voor bestaande klanten, €1.071 i.p.v. "
     "€1.190. Kleine moeite, gewoon verlengd.")
case("pub", "x", "@hackerhuub", "nl", "",
     "Sterkte aan het team van Kraagsteen, las dat jullie collega vorige week is overleden. Veel "
     "sterkte aan familie en collega's ❤️")
case("pub", "instagram", "@aesthetic.hacker", "en", "",
     fw("cyber security aesthetic") + " ✨ shoutout Kraagsteen for the free stickers at the meetup")
case("pub", "x", "@eu_iban_vraag", "nl", "",
     "Huurbaas in België stuurt IBAN <<bad_iban2>> maar mijn bank zegt dat het nummer niet "
     "bestaat?? Typfout denk ik. Niks met Kraagsteen, maar jullie weten vast hoe dat zit @kraagsteen")
case("pub", "x", "@leakwatcher_nl", "nl", "",
     "Kraagsteen heeft het lek in hun klantportaal van vorige maand zelf netjes gemeld, klanten "
     "ingelicht en alles gepatcht. Zo hoort het.")
case("pub", "reddit", "u/sanity_check_cfo", "en", "",
     "Kraagsteen's annual report says revenue grew 19% last year. Solid for a services firm "
     "in this market.", at="2027-03-10T14:00:00Z")

# --------------------------------------------------------------------------------------
# build
# --------------------------------------------------------------------------------------
SEV = ["none", "info", "warning", "error", "critical"]
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
TAXONOMY = set(CAT.values()) | {"reputation.spike"}


def role_of(platform, handle):
    key = ("%s:%s" % (platform, handle)).lower()
    if key in {a.lower() for a in PROFILE["accounts"]["corporate"]}:
        return "corporate"
    if key in {a.lower() for a in PROFILE["accounts"]["employee"]}:
        return "employee"
    return "public"


IBAN_RE = re.compile(r"\b(?:NL|BE|DE)\d{2}(?: ?[A-Z0-9]{4}){2,4}(?: ?[A-Z0-9]{1,4})?\b")
CARD_RE = re.compile(r"(?<![\w.,+-])[1-9](?:[ -]?\d){12,18}(?![\w-])")
BSN_RE = re.compile(r"(?<![\w.,+-])(?:\d{9}|\d{4}\.\d{2}\.\d{3}|\d{3}\.\d{3}\.\d{3})(?![\w-])")
PUBLIC_IBANS = {i.replace(" ", "") for i in PROFILE["public_identifiers"]["ibans"]}


def identifiers(text):
    """(kind, raw, valid) for every IBAN-, card- and BSN-like number in text."""
    out = []
    for m in IBAN_RE.finditer(text):
        out.append(("iban", m.group(0), iban_ok(m.group(0))))
    for m in CARD_RE.finditer(text):
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19:
            out.append(("card", m.group(0), luhn_ok(d)))
    for m in BSN_RE.finditer(text):
        out.append(("bsn", m.group(0), bsn_ok(m.group(0).replace(".", ""))))
    return out


def severity_for(role, cats, text):
    strong_pii = any(v and not (k == "iban" and raw.replace(" ", "") in PUBLIC_IBANS)
                     for k, raw, v in identifiers(text))
    best = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                crit = c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and strong_pii)
                lvl = SEV.index("critical") if crit else SEV.index("error")
            else:
                lvl = SEV.index("warning")
        elif c == "reputation.complaint":
            lvl = SEV.index("warning")
        elif c == "reputation.crisis":
            lvl = SEV.index("error")
        elif c == "reputation.abuse":
            lvl = SEV.index("warning") if role == "public" else SEV.index("error")
        else:
            raise ValueError(c)
        best = max(best, lvl)
    return SEV[best]


def fill(text):
    def rep(m):
        return V[m.group(1)]
    out = re.sub(r"<<(\w+)>>", rep, text)
    assert "<<" not in out, out
    return out


def random_time():
    start = dt.datetime(2026, 1, 3, tzinfo=dt.timezone.utc)
    secs = rng.randrange(0, 350 * 86400)
    return (start + dt.timedelta(seconds=secs)).strftime("%Y-%m-%dT%H:%M:%SZ")


ROLE_NAME = {"corp": "corporate", "emp": "employee", "pub": "public"}


def build():
    order = list(range(len(CASES)))
    rng.shuffle(order)
    lines = []
    for n, idx in enumerate(order, 1):
        c = CASES[idx]
        text = fill(c["text"])
        role = role_of(c["platform"], c["handle"])
        assert role == ROLE_NAME[c["role"]], (c["handle"], role)
        cats = sorted({CAT[k] for k in c["cats"]})
        post = {
            "id": "%s-202%04d" % (c["platform"], n * 7 + 13),
            "platform": c["platform"],
            "kind": c["kind"] or ("reply" if text.startswith("@") else "post"),
            "account": {"handle": c["handle"]},
            "text": text,
            "lang": c["lang"],
            "created_at": c["at"] or random_time(),
            "brand": "Kraagsteen",
        }
        lines.append({"post": post, "expect": {"categories": cats,
                                               "severity": severity_for(role, cats, text)}})
    return lines


# --------------------------------------------------------------------------------------
# self-check
# --------------------------------------------------------------------------------------
def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def norm(text):
    t = unicodedata.normalize("NFKC", text)
    return re.sub("[\u200b-\u200d\u2060\ufeff]", "", t).lower()


def euro_amounts(text):
    out = []
    for m in re.finditer(r"€\s?(\d[\d.,]*\d|\d)", text):
        s = m.group(1)
        if "," in s and "." in s:
            dec = "," if s.rfind(",") > s.rfind(".") else "."
            th = "." if dec == "," else ","
            s = s.replace(th, "").replace(dec, ".")
        elif "," in s or "." in s:
            sep = "," if "," in s else "."
            tail = s.split(sep)[-1]
            if len(tail) == 3 and s.count(sep) >= 1:
                s = s.replace(sep, "")
            else:
                s = s.replace(sep, ".")
        out.append(float(s))
    return out


def check(lines):
    errors = []

    def err(i, msg):
        errors.append("%s: %s" % (lines[i]["post"]["id"], msg))

    ids = [l["post"]["id"] for l in lines]
    if len(set(ids)) != len(ids):
        errors.append("duplicate ids")
    if not 170 <= len(lines) <= 180:
        errors.append("case count %d outside 170-180" % len(lines))
    internal = PROFILE["internal"]
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    for i, l in enumerate(lines):
        p, e = l["post"], l["expect"]
        if set(l) != {"post", "expect"}:
            err(i, "top-level keys")
        if not (isinstance(p["id"], str) and 1 <= len(p["id"]) <= 256):
            err(i, "id")
        if p["platform"] not in PLATFORMS:
            err(i, "platform")
        if p["kind"] not in {"post", "reply", "repost", "comment", "message"}:
            err(i, "kind")
        if not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
            err(i, "handle")
        if not isinstance(p["text"], str) or len(p["text"].encode("utf-8")) > 65536:
            err(i, "text")
        try:
            ts = parse_ts(p["created_at"])
            assert ts.tzinfo is not None
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", p["created_at"])
        except Exception:
            err(i, "created_at not RFC 3339")
            continue
        if not 2026 <= ts.year <= 2027:
            err(i, "year")
        cats = e["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= TAXONOMY or "reputation.spike" in cats:
            err(i, "categories")
        if e["severity"] not in SEV:
            err(i, "severity value")
        role = role_of(p["platform"], p["account"]["handle"])
        if e["severity"] != severity_for(role, cats, p["text"]):
            err(i, "severity does not follow policy")
        if not cats and e["severity"] != "none":
            err(i, "benign must be none")
        text = p["text"]
        # checksummed identifiers
        for kind, raw, ok in identifiers(text):
            if kind == "iban" and raw.replace(" ", "") in PUBLIC_IBANS:
                if cats and "leak.pii" in cats:
                    err(i, "public IBAN in a pii case")
                continue
            if cats and not ok:
                err(i, "positive holds a %s that fails its checksum: %s" % (kind, raw))
            if not cats and ok:
                err(i, "negative holds a %s that passes its checksum: %s" % (kind, raw))
            if cats and ok and "leak.pii" not in cats:
                err(i, "valid %s but no leak.pii label" % kind)
        # token formats
        for tok in re.findall(r"\bgh[pousr]_[0-9A-Za-z*x]{36}\b|\bgh[pousr]_\*+", text):
            valid = github_ok(tok)
            if cats and "leak.secret" in cats and not valid:
                err(i, "github token with bad checksum")
            if not cats and valid:
                err(i, "negative holds a valid github token")
        for key in re.findall(r"\bAKIA[0-9A-Z]{16}\b", text):
            real = re.fullmatch(r"AKIA[A-Z2-7]{16}", key) and "EXAMPLE" not in key
            if not cats and real:
                err(i, "negative holds a real-looking AWS key")
            if cats and not real:
                err(i, "positive AWS key malformed")
        for tok in re.findall(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+", text):
            head = tok.split(".")[0]
            hdr = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
            if "alg" not in hdr:
                err(i, "jwt without alg")
        # confidential markers / codenames / internal hosts / embargo
        nt = norm(text)
        hits = []
        for cn in internal["codenames"]:
            if re.search(r"(?<!\w)%s(?!\w)" % re.escape(cn.lower()), nt):
                hits.append(cn)
        for mk in internal["markers"]:
            if mk.lower() in nt:
                hits.append(mk)
        for dom in internal["domains"]:
            if re.search(r"(?<![\w-])(?:[\w-]+\.)*%s(?![\w-])" % re.escape(dom), nt):
                hits.append(dom)
        for emb in PROFILE["embargo"]:
            until = parse_ts(emb["until"])
            for term in emb["terms"]:
                if term.lower() in nt and ts < until:
                    hits.append("embargo:" + term)
        if hits and "leak.confidential" not in cats:
            err(i, "mentions %s but is not labelled confidential" % hits)
        # pricing
        mentioned = []
        for prod in PROFILE["products"]:
            for name in [prod["name"]] + prod["aliases"]:
                if name.lower() in nt:
                    mentioned.append(prod)
                    break
        amounts = euro_amounts(text)
        if "leak.pricing" in cats:
            if not mentioned:
                err(i, "pricing case names no product")
            low = mentioned and amounts and min(amounts) < ratio * min(
                m["list_price"] for m in mentioned)
            talk = re.search(r"prijsfout|price glitch|verkeerd|fat-finger|decimal slip|foutje|"
                             r"price error", nt)
            if not (low or talk):
                err(i, "pricing case has neither a low price nor talk of an error")
        if not cats and mentioned:
            floor = ratio * max(m["list_price"] for m in mentioned)
            for a in amounts:
                if a < floor and a > 100:   # benign prices must not look like price leaks
                    err(i, "benign post shows price %.2f below ratio" % a)
    # mix
    n_benign = sum(1 for l in lines if not l["expect"]["categories"])
    per_cat = {}
    for l in lines:
        for c in l["expect"]["categories"]:
            per_cat[c] = per_cat.get(c, 0) + 1
    langs = {}
    for l in lines:
        langs[l["post"]["lang"]] = langs.get(l["post"]["lang"], 0) + 1
    return errors, n_benign, per_cat, langs


def main():
    lines = build()
    out = os.path.join(HERE, "cases.jsonl")
    with open(out, "w", encoding="utf-8") as fh:
        for l in lines:
            fh.write(json.dumps(l, ensure_ascii=False) + "\n")
    # re-read what was written and check that
    with open(out, encoding="utf-8") as fh:
        lines = [json.loads(x) for x in fh]
    errors, n_benign, per_cat, langs = check(lines)
    print("cases: %d  benign: %d  positive: %d" % (len(lines), n_benign, len(lines) - n_benign))
    for c in sorted(per_cat):
        print("  %-22s %d" % (c, per_cat[c]))
    print("  languages:", langs)
    sev = {}
    for l in lines:
        sev[l["expect"]["severity"]] = sev.get(l["expect"]["severity"], 0) + 1
    print("  severities:", sev)
    if errors:
        print("SELF-CHECK FAILED:")
        for e in errors:
            print("  " + e)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
