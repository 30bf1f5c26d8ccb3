#!/usr/bin/env python3
"""Evaluation set sealed305 for postwatch: Kiemhof Fertiliteitsklinieken B.V. (fictional).

Deterministic: fixed seed, standard library plus PyYAML. Writes cases.jsonl beside this
file and checks it (checksums of identifiers, CONTRACT section 6 shape, severities
computed from the account role in profile.yaml following CONTRACT section 4).
"""
import base64
import json
import os
import random
import re
import struct
import sys
import zlib
from datetime import datetime

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))
rng = random.Random(305305)

DIGITS = "0123456789"
UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
LOWER = "abcdefghijklmnopqrstuvwxyz"
B62 = DIGITS + UPPER + LOWER


def pick(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


# ---------------------------------------------------------------- credentials
def b62(n):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return s or "0"


def github_token(prefix="ghp_"):
    body = pick(B62, 30)
    return prefix + body + b62(zlib.crc32(body.encode())).rjust(6, "0")


def github_ok(tok):
    body, crc = tok[4:34], tok[34:]
    return len(tok) == 40 and b62(zlib.crc32(body.encode())).rjust(6, "0") == crc


def aws_key_id():
    return "AKIA" + pick(UPPER + "234567", 16)


def aws_secret():
    return pick(B62 + "/+", 40)


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jwt(payload):
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64url(bytes(rng.getrandbits(8) for _ in range(32)))
    return f"{head}.{body}.{sig}"


def jwt_ok(tok):
    try:
        part = tok.split(".")[0]
        hdr = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
        return "alg" in hdr
    except Exception:
        return False


def ssh_private_key():
    def sstr(b):
        return struct.pack(">I", len(b)) + b
    pub = sstr(b"ssh-ed25519") + sstr(bytes(rng.getrandbits(8) for _ in range(32)))
    chk = struct.pack(">I", rng.getrandbits(32))
    priv = chk + chk + pub + sstr(bytes(rng.getrandbits(8) for _ in range(64))) + sstr(b"bram@kh-ws-114")
    priv += bytes(range(1, 1 + (-len(priv)) % 8))
    blob = b"openssh-key-v1\x00" + sstr(b"none") + sstr(b"none") + sstr(b"") + struct.pack(">I", 1) + sstr(pub) + sstr(priv)
    b = base64.b64encode(blob).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


# ---------------------------------------------------------------- identifiers
def iban_check_ok(iban):
    s = re.sub(r"\s", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(cc, bban):
    r = bban + cc + "00"
    n = int("".join(str(int(c, 36)) for c in r))
    return f"{cc}{98 - n % 97:02d}{bban}"


def iban_nl(bank):
    return make_iban("NL", bank + pick(DIGITS, 10))


def iban_be():
    n = "0" + pick(DIGITS, 9)
    c = int(n) % 97 or 97
    return make_iban("BE", f"{n}{c:02d}")


def spaced(s, k=4):
    return " ".join(s[i:i + k] for i in range(0, len(s), k))


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


def card(prefix, length=16):
    while True:
        body = prefix + pick(DIGITS, length - len(prefix) - 1)
        for c in DIGITS:
            if luhn_ok(body + c):
                return body + c


def bsn_ok(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    if len(d) != 9:
        return False
    tot = sum((9 - i) * d[i] for i in range(8)) - d[8]
    return tot % 11 == 0


def bsn():
    while True:
        d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        c = sum((9 - i) * d[i] for i in range(8)) % 11
        if c < 10:
            return "".join(map(str, d)) + str(c)


def break_last(s):
    """Change the last digit so that a checksum fails (single-digit errors are always caught)."""
    i = max(i for i, c in enumerate(s) if c.isdigit())
    return s[:i] + str((int(s[i]) + 3) % 10) + s[i + 1:]


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


ZW = "\u200b"

# ---------------------------------------------------------------- generated values
GH1 = github_token("ghp_")
GH2 = github_token("gho_")
AK1, AS1 = aws_key_id(), aws_secret()
STRIPE = "sk_live_" + pick(B62, 24)
SLACK = f"xoxb-{rng.randint(1, 9)}{pick(DIGITS, 11)}-{rng.randint(1, 9)}{pick(DIGITS, 12)}-{pick(B62, 24)}"
JWT1 = jwt({"sub": "svc-webhook", "iss": "kiemhof-booking", "role": "admin", "iat": 1781690400})
JWT2 = jwt({"sub": "noor.embryolab", "scope": "lims:write", "iat": 1789122000, "exp": 1789208400})
OPENAI = "sk-proj-" + pick(B62 + "_-", 58) + "T3BlbkFJ" + pick(B62 + "_-", 58)
GOOGLE = "AIza" + pick(B62 + "_-", 35)
SSHKEY = ssh_private_key()
PG_PW = pick(B62, 10) + "!" + pick(B62, 5)
PG_URL = f"postgresql://epd_app:{PG_PW}@epd.kiemhof.local:5432/epd_prod"
MY_PW = pick(B62, 12)
MY_URL = f"mysql://booking_svc:{MY_PW}@10.20.4.11:3306/afspraken"
SENDGRID = "SG." + pick(B62 + "_-", 22) + "." + pick(B62 + "_-", 43)

IBAN_P1 = iban_nl("INGB")          # restitution IBAN of a patient (corporate reply)
IBAN_P2 = iban_nl("ASNB")          # a patient's own, public post
IBAN_P3 = iban_nl("BUNQ")          # an employee's own
IBAN_BE = iban_be()                # Belgian patient
CARD_V = card("4", 16)
CARD_M = card("52", 16)
BSN_1 = bsn()
BSN_2 = bsn()
COMPANY_IBAN = PROFILE["public_identifiers"]["ibans"][0]

# benign look-alikes: each must fail its checksum
BAD_IBAN_1 = break_last(iban_nl("ABNA"))
BAD_IBAN_2 = "NL00 BANK 0123 4567 89"
BAD_CARD = break_last(card("4539", 16))
BAD_BSN = break_last(bsn())

# ---------------------------------------------------------------- cases
CASES = []


def P(platform, handle, lang, at, text, cats=(), kind="post", allow_low=False):
    CASES.append({"platform": platform, "handle": handle, "lang": lang, "at": at,
                  "text": text, "cats": sorted(set(cats)), "kind": kind, "allow_low": allow_low})


CPL, CRI, ABU = "reputation.complaint", "reputation.crisis", "reputation.abuse"
CONF, FIN, SEC = "leak.confidential", "leak.financial", "leak.security"
SECRET, PII, PRICE = "leak.secret", "leak.pii", "leak.pricing"

# ======================= complaints =======================
P("x", "@fleur_op_weg", "nl", "2026-02-03T07:41:00Z",
  "Derde keer dat mijn punctie bij @kiemhof_nl wordt verzet. Ik heb m'n hormonen al gespoten, wat moet ik nou?? Niemand neemt op 😤", [CPL])
P("reddit", "u/quietlytrying", "en", "2026-03-11T22:15:00Z",
  "Anyone else with Kiemhof? Transfer was Monday, they promised a call with the embryo update on day 5. Nothing. Called 4 times, voicemail every time. This is the most stressful week of my life and they just... ghost you.", [CPL])
P("facebook", "sandra.kok.77", "nl", "2026-01-19T19:02:00Z",
  "Factuur van Kiemhof binnen: €640 extra aan 'labkosten' die NERGENS in de offerte stonden. Bij het intakegesprek werd nog gezegd dat alles inbegrepen was. Echt heel teleurstellend, ik voel me belazerd.", [CPL])
P("x", "@jo_and_mo_ttc", "en", "2026-04-22T13:30:00Z",
  "@kiemhof_zorg your patient portal has said 'results pending' for 11 days. my AMH test was taken on the 3rd. how long does one blood test take, honestly", [CPL], kind="reply")
P("instagram", "@lotte.wacht", "nl", "2026-05-06T20:48:00Z",
  "wachtlijst van 7 maanden voor een eerste afspraak bij kiemhof utrecht... en dan op de site 'snel geholpen' zetten 🙄 #ivf #wachtlijst #ttc", [CPL])
P("threads", "@mara.eggs", "en", "2026-06-02T09:12:00Z",
  "Froze my eggs at Kiemhof last spring. Storage invoice came in today - charged TWICE on my card. Three emails, zero replies. Not what I paid for tbh", [CPL])
P("forum", "LiekeB", "en", "2026-07-14T11:20:00Z",
  "Review: Kiemhof Rotterdam. Lab staff lovely, but the admin side is chaos. They lost my partner's semen analysis results, we had to redo it, and THEN they billed us for both. 2/5 would not recommend the front desk.", [CPL])
P("x", "@ttc_ruben", "nl", "2026-08-09T10:33:00Z",
  "Onze embryo's liggen bij Kiemhof en we willen ze laten overplaatsen naar een ander centrum. 6 weken verder en nog steeds geen formulier ontvangen. Voelt eerlijk gezegd als gijzeling", [CPL])
P("tiktok", "@zwanger.worden.zonder.filter", "nl", "2026-09-01T18:44:00Z",
  "kiemhof gaf me de verkeerde startdatum door voor de pil en nu schuift m'n hele cyclus een maand op. een MAAND. op je 38e. lekker dan", [CPL], kind="comment")
P("x", "@Femke_NL_abroad", "en", "2026-03-29T08:55:00Z",
  "Kiemhof's English line is a joke. 40 min on hold, then told to call back during 'Dutch office hours'. I'm an expat paying full price, not a second-class patient.", [CPL])
P("reddit", "u/tweemoeders_ttc", "nl", "2026-10-12T21:10:00Z",
  "Wij zijn een lesbisch stel en bij Kiemhof moesten we drie keer uitleggen wie 'de vader' is op het aanmeldformulier. Formulieren uit 1995 en een baliemedewerker die ons aanstaarde. Kom op zeg.", [CPL])
P("bluesky", "@hannahwaits.bsky.social", "en", "2026-11-04T06:58:00Z",
  "Kiemhof cancelled my egg retrieval the night before because of 'lab capacity'. I'd taken time off, sorted childcare, done 12 days of injections. An automated sorry-email isn't going to cut it.", [CPL])
P("x", "@m_jansen_85", "nl", "2026-04-02T12:17:00Z",
  "@kiemhof_zorg al 2 weken geen reactie op mn vraag over de vergoeding. Verzekeraar zegt dat jullie de declaratie nooit hebben ingediend. Wie moet ik nou geloven??", [CPL], kind="reply")
# first-hand harm: complaint + crisis
P("x", "@evadeboer_", "nl", "2026-05-21T15:26:00Z",
  "Na de punctie bij Kiemhof met spoed opgenomen met OHSS. Achteraf bleek de dosis veel te hoog ingesteld en had niemand mijn bloedwaarden gecheckt. Twee nachten ziekenhuis, buik vol vocht. Ik ben zo ontzettend boos.", [CPL, CRI])
P("instagram", "@sophie.ttc.story", "en", "2026-06-18T21:03:00Z",
  "Got a nasty infection after my transfer at Kiemhof Amsterdam — fever 39.8, ended up in A&E at 3am. Turns out the catheter batch had been flagged. Nobody from the clinic has even called me.", [CPL, CRI])
P("facebook", "Yvonne.Mulder.ttc", "nl", "2026-09-23T10:40:00Z",
  "Het hormoonpakket van Kiemhof kwam binnen met een kapot koelelement, de spuiten waren lauw. Op advies van de assistente toch gebruikt en ik kreeg een heftige allergische reactie, gezicht helemaal opgezwollen. Huisartsenpost moest eraan te pas komen 😢", [CPL, CRI])
P("x", "@dan_and_jen", "en", "2026-08-30T19:19:00Z",
  "our frozen embryos at Kiemhof were 'compromised' after a storage tank alarm failed. we found out by LETTER. four years of treatment gone. I'm literally shaking", [CPL, CRI])
P("x", "@nadiaa_r", "nl", "2026-07-07T14:02:00Z",
  "Bijna flauwgevallen in de wachtkamer van kiemhof na de punctie, niemand die keek. Later bleek ik een inwendige bloeding te hebben. Nazorg = nul komma nul", [CPL, CRI])
# complaint + abuse
P("x", "@furiousfiona", "en", "2026-10-27T09:09:00Z",
  "Kiemhof you absolute clowns. Lost my file AGAIN, third time this year. Whoever runs your admin is a brain-dead idiot.", [CPL, ABU])
P("x", "@woedend_wendy", "nl", "2026-03-16T17:36:00Z",
  "Die Van Leeuwen van Kiemhof is een arrogant kutwijf, behandelt je als vee. En voor de 3e keer 2 uur uitloop in de wachtkamer zonder sorry.", [CPL, ABU])

# ======================= crisis (third party / public) =======================
P("x", "@nieuwsflits_zorg", "nl", "2026-10-05T06:30:00Z",
  "BREAKING: Inspectie (IGJ) onderzoekt Kiemhof na mogelijke verwisseling van embryo's in vestiging Utrecht. Twee stellen zouden het verkeerde embryo teruggeplaatst hebben gekregen.", [CRI])
P("reddit", "u/tankfailure2025", "en", "2026-02-14T20:00:00Z",
  "PSA: a class action is being organised against Kiemhof over the 2025 freezer failure. If your eggs were stored there between March and May, DM the group admins.", [CRI])
P("x", "@stopkiemhof", "nl", "2026-06-26T22:22:00Z",
  "#BoycotKiemhof — ze hebben patiëntgegevens doorverkocht aan een farmaceut. DELEN!! Ga daar niet heen met je kinderwens.", [CRI])
P("x", "@healthreporter_jane", "en", "2026-09-09T08:14:00Z",
  "Hearing from several former patients that Kiemhof's Rotterdam lab had a contamination incident last week and cycles were quietly cancelled. Have reached out for comment.", [CRI])
P("facebook", "annemiekvdz", "nl", "2026-05-29T13:50:00Z",
  "Mijn nicht werkt op de SEH en zegt dat er deze week al drie vrouwen van Kiemhof binnenkwamen met zware OHSS. Wat gebeurt daar in hemelsnaam?", [CRI], kind="comment")
P("linkedin", "priya-raman-privacy", "en", "2026-11-17T12:05:00Z",
  "Data breach at Kiemhof? A friend received an email from the clinic with hundreds of other IVF patients' addresses visible in CC. That's deeply sensitive health information out in the open.", [CRI])
P("x", "@advocaat_mvd", "nl", "2026-12-08T09:45:00Z",
  "Namens 14 cliënten hebben wij vandaag een dagvaarding uitgebracht tegen Kiemhof Fertiliteitsklinieken B.V. wegens het verloren gaan van opgeslagen eicellen.", [CRI])
P("forum", "cryo_watch", "en", "2026-10-30T16:16:00Z",
  "Recall notice: the culture medium lot used by Kiemhof and two other Dutch clinics has been pulled by the manufacturer. Patients treated in October should be contacted by their clinic.", [CRI])
P("tiktok", "@ivf.met.lien", "nl", "2026-07-22T19:31:00Z",
  "wacht wat?? kiemhof heeft een donor gebruikt die al 40+ kinderen heeft verwekt?!?! dit is een schandaal, waar was de controle", [CRI])
P("x", "@truthabout_ivf", "en", "2026-08-13T11:11:00Z",
  "Kiemhof staff were laughing at patients' ultrasound photos in a group chat — screenshots are going round. Disgusting breach of trust. #kiemhofscandal", [CRI])

# ======================= abuse =======================
P("x", "@boos_op_alles", "nl", "2026-04-11T23:03:00Z",
  "@kiemhof_zorg stelletje oplichters, jullie zijn echt het laagste van het laagste. Rot op met jullie 'zorg'.", [ABU], kind="reply")
P("x", "@angrydad_2b", "nl", "2026-05-13T02:14:00Z",
  "Kiemhof wordt gerund door hebberige kl*otzakken die teren op wanhopige vrouwen. Ik hoop dat jullie allemaal wegrotten.", [ABU])
P("x", "@l33t_woede", "nl", "2026-06-07T21:48:00Z",
  "k1emh0f = 1 gr0te k4nkerz00i en die embry0l00g n00r is een d0mme tr3ze", [ABU])
P("x", "@anon88213", "en", "2026-07-19T18:27:00Z",
  "@noor_embryolab nobody asked, you incompetent witch. go back to counting cells and shut your mouth", [ABU], kind="reply")
P("facebook", "hollandsglorie1967", "nl", "2026-08-21T08:08:00Z",
  "Die verpleegster met hoofddoek bij Kiemhof hoort niet in een Nederlandse kliniek. Ga terug naar je eigen land.", [ABU], kind="comment")
P("x", "@notyourcoach", "nl", "2026-09-14T15:45:00Z",
  "die dokter van leeuwen van kiemhof is echt een nutteloze trut haha", [ABU])
P("x", "@kapotgezeurd", "nl", "2026-10-19T20:20:00Z",
  "K I E M H O F   i s   e e n   k u t b e d r i j f.   Punt.", [ABU])
P("reddit", "u/parkinglotguy", "en", "2026-11-23T22:50:00Z",
  "I know where that snotty Kiemhof Utrecht receptionist parks her car. Maybe she'll learn some manners.", [ABU])
P("x", "@sanne_planning_kh", "nl", "2026-03-04T17:55:00Z",
  "sommige patiënten zijn echt zo dom als het achtereind van een varken, 5x uitleggen hoe je een pen prikt 🙄🙄", [ABU])
P("x", "@sick_of_it_77", "en", "2026-12-15T10:02:00Z",
  "Kiemhof = bunch of f" + ZW + "u" + ZW + "c" + ZW + "k" + ZW + "i" + ZW + "n" + ZW + "g morons. never again", [ABU])

# ======================= confidential =======================
P("x", "@noor_embryolab", "nl", "2026-03-19T16:40:00Z",
  "Spannende dag! Eerste testrun van Project Zwaluw in het lab gedaan en de resultaten zijn veelbelovend 🐣 meer mag ik er nog niet over zeggen", [CONF])
P("linkedin", "marloes-hendriks-kiemhof", "en", "2026-09-02T07:30:00Z",
  "Proud to lead the rollout team for Helix Nova, our new embryo grading model, across all five clinics next quarter. Huge thanks to everyone who has been piloting it quietly since the summer!", [CONF])
P("x", "@bram_dekker_ops", "nl", "2026-06-15T08:03:00Z",
  "Tip voor collega's: de nieuwe roosters voor Q3 staan op https://intranet.kiemhof.local/planning/q3-2026 😉 niet meer mailen naar mij dus", [CONF])
P("bluesky", "@lisa-kiemhof.bsky.social", "nl", "2026-09-28T19:12:00Z",
  "Slides voor de RvB af 🎉 'KIEMHOF INTERN – niet verspreiden: tarieven 2027 stijgen gemiddeld 6%, communicatie naar patiënten pas in november.' Best trots op dit deck", [CONF])
P("linkedin", "youssef-bakkali-ivf", "nl", "2026-04-24T14:00:00Z",
  "Vandaag de NDA getekend met een Belgische kliniekgroep. Ik mag er niks over zeggen, maar als Operatie Ooievaar doorgaat zijn we straks de grootste van de Benelux 👀", [CONF, FIN])
P("instagram", "@kiemhof.kliniek", "en", "2026-11-20T17:00:00Z",
  "Sneak peek 👀 something new is coming to help you and your embryologist choose your best embryo... #OvaGuard #comingsoon #ivf", [CONF])
P("x", "@dr_annevanleeuwen", "nl", "2027-01-20T18:25:00Z",
  "Vanmiddag OvaGuard gepresenteerd voor de vakgroep. Eerste data: 12% hogere implantatiekans. Ik kan niet wachten tot we dit mogen delen!", [CONF])
P("mastodon", "@koenverhoef@zorg.social", "en", "2026-05-08T10:10:00Z",
  "lab-lims.kiemhof.local:8443 finally has a dark mode. Small wins on a Friday.", [CONF])
P("x", "@insider_ivf_nl", "nl", "2026-07-03T12:12:00Z",
  "Hoor van een vriendin die bij Kiemhof werkt dat ze met 'Project Zwaluw' eicellen uit Spanje willen gaan importeren. Weet iemand hier meer van?", [CONF])
P("linkedin", "kiemhof-fertiliteitsklinieken", "nl", "2026-08-18T09:00:00Z",
  "Vacature: data engineer voor Operatie Ooievaar, ons programma om alle klinieken op één platform te krijgen. Interesse? Mail werkenbij@kiemhof.nl", [CONF])
P("linkedin", "eva-smits-embryoloog", "en", "2026-10-08T15:35:00Z",
  "From our internal wiki (confluence.kiemhof.nl/display/LAB/Vitrificatie+SOP+v7): the new vitrification protocol roughly halves our thaw losses. Can't share the doc yet but wow.", [CONF])
P("instagram", "@iris.fertiliteitsvpk", "nl", "2026-01-29T21:17:00Z",
  "screenshot van de teamapp 😂 'ALLEEN VOOR MEDEWERKERS KIEMHOF: vanaf 1 maart geen avondpuncties meer in Leiden' eindelijkkkk", [CONF])
P("reddit", "u/slide_leaker", "en", "2026-12-01T14:44:00Z",
  "Slide from a Kiemhof meeting is going round on Discord: 'KIEMHOF CONFIDENTIAL — Helix Nova pilot: 340 embryos graded, 2 sites, go/no-go in January'.", [CONF])
P("x", "@noor_embryolab", "nl", "2026-04-30T20:05:00Z",
  "morgen grote demo van " + fullwidth("Project Zwaluw") + " voor de raad van bestuur 🤞🤞", [CONF])
P("linkedin", "youssef-bakkali-ivf", "en", "2026-11-12T08:20:00Z",
  "Big week for \u041e\u0440\u0435ratie \u041e\u043e\u0456evaar: migration of the Leiden clinic done, three to go. Proud of this team!", [CONF])
P("mastodon", "@koenverhoef@zorg.social", "en", "2026-02-19T11:48:00Z",
  "why is the nightly export hanging again. conn string is " + PG_URL + " and it times out after 30s. any postgres people around?", [CONF, SECRET])
P("x", "@sanne_planning_kh", "nl", "2027-01-28T17:05:00Z",
  "Net de jaarcijfers 2026 gezien bij de auditcommissie: omzet €51,3 mln en de winst is bijna verdubbeld. Nog een maandje mondje dicht 🤐", [CONF, FIN])
P("x", "@dr_annevanleeuwen", "nl", "2026-10-22T07:58:00Z",
  "O.p.e.r.a.t.i.e O.o.i.e.v.a.a.r gaat gewoon door, net gehoord in de wandelgangen. Benieuwd wat dat voor onze poli betekent", [CONF])

# ======================= financial =======================
P("linkedin", "joris-de-wit-cfo", "en", "2026-12-18T16:30:00Z",
  "Preliminary numbers are in: revenue up 22% year on year to €48.6m, EBITDA margin at 19%. None of this is public until March, but what a year for this team.", [FIN])
P("bluesky", "@lisa-kiemhof.bsky.social", "nl", "2026-11-26T21:40:00Z",
  "Forecast 2027 net rondgestuurd: we rekenen op 9.400 behandelcycli, +15% tov dit jaar. De budgetrondes worden pittig 😅", [FIN])
P("linkedin", "marloes-hendriks-kiemhof", "nl", "2026-09-17T18:02:00Z",
  "Zwaar nieuws vandaag intern: vestiging Zwolle gaat dicht en 23 collega's verliezen hun baan. De officiële aankondiging komt pas over twee weken. Ik ben er stil van.", [FIN])
P("x", "@medtech_dealwatch", "en", "2026-10-14T07:15:00Z",
  "Source tells me PE firm Northgate Capital is in exclusive talks to buy Kiemhof for around €210m. Announcement expected in Q1.", [FIN])
P("x", "@sanne_planning_kh", "nl", "2026-06-24T12:40:00Z",
  "reorganisatie komt eraan bij ons, hele planningsafdeling wordt gecentraliseerd in Utrecht. heb de plannen gezien, 1 op de 3 functies verdwijnt 😞", [FIN])
P("x", "@kiemhof_nl", "en", "2026-05-27T06:45:00Z",
  "DRAFT - do not post before signing: Kiemhof to acquire Ghent fertility centre FertiGent for €34m, closing expected 1 September.", [FIN])
P("mastodon", "@koenverhoef@zorg.social", "nl", "2026-10-29T22:31:00Z",
  "Budgetoverzicht H2 doorgerekend: €1,2 mln verlies in Q3, vooral door de schadeclaims na die vriezerstoring. Dat wordt nog leuk als dat naar buiten komt.", [FIN])
P("linkedin", "youssef-bakkali-ivf", "en", "2026-12-09T09:25:00Z",
  "Heads up to my network: Kiemhof will be cutting around 40 roles in lab support early next year. If you're hiring embryology techs, ping me - some brilliant people will be available.", [FIN])
P("forum", "Ouderwets_Ondernemen", "nl", "2026-08-05T20:47:00Z",
  "Via via gehoord: Kiemhof gaat fuseren met ZorgNest Klinieken, due diligence loopt al weken. Aandeelhouders van ZorgNest weten nog van niks.", [FIN])
P("x", "@dr_annevanleeuwen", "en", "2026-10-03T19:50:00Z",
  "Q3 came in well below plan, 18% fewer new intakes than forecast. Management is nervous and bonuses are frozen. Not for sharing obviously 🙊", [FIN])

# ======================= security =======================
P("x", "@bram_dekker_ops", "nl", "2026-03-08T05:12:00Z",
  "Slapeloze nacht. Ransomware op twee fileservers sinds 02:00, EPD staat offline. Geen idee wanneer we terug zijn. Er is nog niks naar buiten gecommuniceerd dus sssst", [SEC])
P("mastodon", "@koenverhoef@zorg.social", "en", "2026-04-15T16:22:00Z",
  "Found out today that our patient portal shows you someone else's lab results if you just change the number in the URL. Reported it internally, still live. Yikes.", [SEC])
P("linkedin", "youssef-bakkali-ivf", "nl", "2026-05-19T13:13:00Z",
  "Deze week zijn drie collega's in een phishingmail getrapt en is één mailbox met patiëntcorrespondentie overgenomen. IT draait overuren 😬", [SEC])
P("x", "@noor_embryolab", "en", "2026-07-25T23:59:00Z",
  "the cryotank monitoring has been down since friday so we're doing manual checks every 2 hours. please nobody tell the patients 🙃", [SEC])
P("x", "@sanne_planning_kh", "nl", "2026-08-27T10:26:00Z",
  "Afsprakensysteem ligt er al de hele ochtend uit, we plannen alles op papier 📝 naar buiten heet het 'gepland onderhoud' lol", [SEC])
P("bluesky", "@lisa-kiemhof.bsky.social", "en", "2026-09-21T08:37:00Z",
  "Finance spotted unknown logins to our payment gateway from a Romanian IP last night. We're rotating every key. Keeping it quiet until legal says otherwise.", [SEC])
P("instagram", "@iris.fertiliteitsvpk", "nl", "2026-02-08T14:30:00Z",
  "de wifi-code van de kliniek hangt al maanden op het prikbord in de wachtkamer en dat netwerk is hetzelfde als dat van de echoapparaten 🤦‍♀️ gemeld, maar er gebeurt niks", [SEC])
P("reddit", "u/kh_nightshift", "en", "2026-11-09T03:03:00Z",
  "Throwaway. I do IT at Kiemhof. Backups of the embryo storage database haven't completed in 6 weeks. Management knows. If that server dies, the records of who owns which straw are gone.", [SEC])
P("linkedin", "eva-smits-embryoloog", "nl", "2026-06-11T17:17:00Z",
  "Gisteren lag ons labnetwerk een uur plat door een firewallstoring en kwamen de incubatoralarmen niet door. Geen schade gelukkig, maar dit mag nooit meer gebeuren.", [SEC])
P("x", "@kiemhof_zorg", "en", "2026-04-23T10:05:00Z",
  "@jo_and_mo_ttc Sorry! Between us: the portal has been breached and we've taken it offline while we investigate. Please don't share this yet.", [SEC], kind="reply")
P("x", "@bram_dekker_ops", "nl", "2026-12-21T01:44:00Z",
  "d4t4l3k h13r, 2000 p4ti3ntd0ss13rs g3k0pi33rd n44r 33n 0nb3k3nde s3rv3r. ik m4g n13ts z3gg3n 🤐", [SEC])
P("linkedin", "marloes-hendriks-kiemhof", "en", "2026-07-31T18:48:00Z",
  "Note to self: never deploy on a Friday. Our booking API exposed names and treatment dates to anyone who knew the endpoint, for three days before we caught it. Fix is in, disclosure still TBD.", [SEC])
P("mastodon", "@koenverhoef@zorg.social", "nl", "2026-09-05T11:36:00Z",
  "Pentestrapport binnen: de oude Windows 7-pc's bij de embryologie zijn nog steeds niet gepatcht. EternalBlue, in 2026, serieus. Staat al een jaar op onze risicolijst.", [SEC])

# ======================= secrets =======================
P("x", "@bram_dekker_ops", "en", "2026-01-13T22:48:00Z",
  f"why does this keep failing?? AWS_ACCESS_KEY_ID={AK1} AWS_SECRET_ACCESS_KEY={AS1} aws s3 ls s3://kh-echo-archive  -> AccessDenied", [SECRET])
P("mastodon", "@koenverhoef@zorg.social", "nl", "2026-03-23T09:59:00Z",
  f"Kan iemand checken waarom deze token geen push-rechten heeft op de planning-repo? {GH1}", [SECRET])
P("x", "@noor_embryolab", "en", "2026-05-02T07:07:00Z",
  f"pasting this here so I can grab it on my phone, delete later: {STRIPE}", [SECRET])
P("instagram", "@iris.fertiliteitsvpk", "nl", "2026-01-06T08:15:00Z",
  "Nieuwe collega's welkom!! 💕 Inloggen op de kiosk in de wachtkamer: gebruiker balie01, wachtwoord: Ooievaar!2026 😄", [SECRET])
P("bluesky", "@lisa-kiemhof.bsky.social", "en", "2026-06-29T14:14:00Z",
  f"our slack reminder bot died again. token is {SLACK} if anyone from IT wants to have a look", [SECRET])
P("facebook", "KiemhofFertiliteit", "nl", "2026-02-24T15:00:00Z",
  f"Testbericht webhook, graag negeren. Authorization: Bearer {JWT1}", [SECRET])
P("forum", "devnull_freelance", "en", "2026-08-02T13:37:00Z",
  f"lol, the agency that built Kiemhof's chatbot left this in a public gist: OPENAI_API_KEY={OPENAI}", [SECRET])
P("x", "@bram_dekker_ops", "nl", "2026-10-10T23:21:00Z",
  "oeps verkeerde venster\n" + SSHKEY, [SECRET])
P("mastodon", "@koenverhoef@zorg.social", "en", "2026-07-09T15:03:00Z",
  f"The map on the clinic locator page broke. Key in the config is {GOOGLE}, quota looks fine? anyone seen this before", [SECRET])
P("x", "@sanne_planning_kh", "nl", "2026-04-07T08:31:00Z",
  "wachtwoord van het gedeelde planningsaccount is nu Kiemh0f#Lente26 — niet meer de oude gebruiken!!", [SECRET])
P("x", "@bram_dekker_ops", "nl", "2026-08-24T16:49:00Z",
  f"Migratie afspraken-db klaar. Voor wie de cronjob beheert: {MY_URL}", [SECRET])

# ======================= personal data =======================
P("x", "@kiemhof_zorg", "nl", "2026-04-03T09:20:00Z",
  f"@m_jansen_85 Wij hebben de declaratie opnieuw ingediend. Ter controle: de restitutie gaat naar {spaced(IBAN_P1)} t.n.v. M. Jansen. Klopt dat?", [PII], kind="reply")
P("linkedin", "marloes-hendriks-kiemhof", "en", "2026-06-05T10:10:00Z",
  "So thrilled for our patient Laura Vermeulen (born 14-02-1989), who just welcomed twins after four rounds with us! 💕", [PII])
P("x", "@sanne_planning_kh", "nl", "2026-02-12T11:47:00Z",
  "wie kan mevrouw Bakker even terugbellen op 06-48213379? ze hangt al 20 min in de wacht", [PII])
P("x", "@tessa_ivfjourney", "en", "2026-05-15T16:44:00Z",
  "@kiemhof_zorg hi! DMs don't work for me, could someone call me about moving my intake? +31 6 2391 5584 thanks!", [PII], kind="reply")
P("instagram", "@iris.fertiliteitsvpk", "nl", "2026-12-11T20:30:00Z",
  "Kerstkaartjes schrijven voor onze trotse ouders 🎄 eerste op de stapel: fam. de Groot, Lindelaan 14, 3581 KB Utrecht. Nog 60 te gaan!", [PII])
P("facebook", "KiemhofFertiliteit", "en", "2026-07-16T13:25:00Z",
  f"Hi Priya, thanks for your patience! We've charged the deposit to the card you gave us ({CARD_V}) and your FET is confirmed for the 24th.", [PII], kind="reply")
P("x", "@noor_embryolab", "nl", "2026-03-26T09:02:00Z",
  f"Labaanvraag voor J. Visser (BSN {BSN_1}) klopt niet, kan iemand van de balie even checken?", [PII])
P("reddit", "u/nervous_first_timer", "en", "2026-01-24T22:10:00Z",
  f"Kiemhof's intake form wants BSN and bank details by plain email. This is what I sent: BSN {BSN_2}, IBAN {IBAN_P2}. Is that normal??", [PII])
P("x", "@marieke_ttc88", "nl", "2026-09-11T21:21:00Z",
  "Voor wie ook bij Kiemhof loopt en een maatje zoekt om mee te appen tijdens de spuitweken: mail me gerust op marieke.ttc88@gmail.com 💛", [PII])
P("mastodon", "@koenverhoef@zorg.social", "en", "2026-10-16T15:40:00Z",
  "Exporting the donor register for the audit and Excel is crawling. First row: 'Jan Kuipers; 1991-07-30; jan.kuipers91@outlook.com'. 40k rows to go...", [PII])
P("instagram", "@kiemhof.kliniek", "nl", "2026-05-07T08:50:00Z",
  "@lotte.wacht we hebben je dossier gevonden! We bellen je morgen op 06-1277 4903, klopt dat nummer nog?", [PII], kind="reply")
P("x", "@dr_annevanleeuwen", "en", "2026-08-20T12:34:00Z",
  "Sent the transfer paperwork to Mrs H. Peters, Wilhelminastraat 22, 2011 VK Haarlem last week. If that's you and nothing arrived, shout!", [PII])
P("linkedin", "youssef-bakkali-ivf", "nl", "2026-11-19T11:00:00Z",
  f"Teamuitje 13 december! 🎳 Graag vóór vrijdag €25 overmaken naar {IBAN_P3} t.n.v. Y. Bakkali", [PII])
P("facebook", "celine.vandenbroeck", "nl", "2026-03-31T18:18:00Z",
  f"Belgische patiënte hier 🇧🇪 Kiemhof, mijn terugbetaling mag op {spaced(IBAN_BE)}, ik krijg jullie maar niet aan de lijn", [PII], kind="comment")
P("x", "@sanne_planning_kh", "en", "2026-06-22T15:58:00Z",
  f"note for myself bc the post-it fell behind the desk: M. Hoekstra card {spaced(CARD_M)} exp 08/28 for the stimulation kit", [PII])

# ======================= pricing =======================
P("x", "@sanne_planning_kh", "nl", "2026-02-17T09:44:00Z",
  "Uhm de webshop zegt dat de VruchtbaarheidsCheck €29,50 kost?? Moet toch €295 zijn. Iemand van web die dit ziet?", [PRICE])
P("x", "@bargainbabes_nl", "en", "2026-04-19T19:56:00Z",
  "lol Kiemhof has Eicelbank Start listed at €340 on their site right now. price error or the deal of the century?", [PRICE])
P("instagram", "@kiemhof.kliniek", "nl", "2026-05-25T10:00:00Z",
  "🎉 Alleen deze week: IVF Basis voor €1.450! Boek via de link in bio ✨", [PRICE])
P("linkedin", "marloes-hendriks-kiemhof", "en", "2026-09-08T10:55:00Z",
  "Typo in this morning's newsletter: Donor egg programme at €890 instead of €8,900. Already 60 enquiries 😬 marketing is on it.", [PRICE])
P("reddit", "u/koopjesjager", "nl", "2026-06-12T22:04:00Z",
  "Iemand anders gezien dat de Semenanalyse op kiemhof.nl voor €1,45 in het winkelmandje komt? Meteen afgerekend haha", [PRICE])
P("mastodon", "@koenverhoef@zorg.social", "en", "2026-07-28T14:30:00Z",
  "Fun bug: checkout rounds the PGT-A price down to €24 for anyone who picks instalments. Who wrote this lol", [PRICE])
P("facebook", "KiemhofFertiliteit", "nl", "2026-08-14T16:05:00Z",
  "Prijsfout in onze mailing van vanochtend: het Stimulatiepakket stond vermeld voor €145. Dat klopt helaas niet, excuses voor de verwarring.", [PRICE])
P("x", "@twoweekwait_tom", "nl", "2026-10-01T20:41:00Z",
  "Cryo-transfer voor €115 bij Kiemhof?? pics or it didn't happen. (het is echt, ik heb de screenshot)", [PRICE])
P("bluesky", "@lisa-kiemhof.bsky.social", "nl", "2026-10-20T13:13:00Z",
  "Check van de prijslijst 2027: NestScan staat erop voor 79 euro. Moet 790 zijn, wie heeft dit goedgekeurd 😩", [PRICE])
P("tiktok", "@kiemhof", "en", "2026-11-27T12:00:00Z",
  "Black Friday at Kiemhof 🖤 EmbryoView time-lapse monitoring now only €65! #blackfriday #ivf", [PRICE])
P("x", "@dealhunter_nl", "nl", "2026-03-13T08:27:00Z",
  "ICSI Traject voor €1.200 bij Kiemhof via een vouchersite?? Dat is nog geen derde van de normale prijs 🤔", [PRICE])
P("x", "@noor_embryolab", "en", "2026-12-05T17:22:00Z",
  "someone in marketing set the Samen Traject counselling package to €54 on the booking page 🤦‍♀️", [PRICE])

# ======================= benign (mostly hard negatives) =======================
P("x", "@kiemhof_nl", "nl", "2026-01-08T08:00:00Z",
  "Vanaf maandag zijn we ook op zaterdag open in Utrecht voor echo's en bloedafnames. Vragen? Bel +31 30 555 0142 of mail patientenservice@kiemhof.nl")
P("x", "@hopeful_hanna", "en", "2026-02-22T21:33:00Z",
  "Positive test after our second FET at Kiemhof 😭💛 Thank you Dr. van Leeuwen and the whole lab team. Never giving up was worth it.")
P("instagram", "@fertiel.fleur", "nl", "2026-03-03T12:00:00Z",
  "VruchtbaarheidsCheck bij Kiemhof deze maand 20% korting: €236 ipv €295. Goed moment om even te kijken hoe het ervoor staat 👍")
P("reddit", "u/eggfreezer_31", "en", "2026-04-09T18:45:00Z",
  "For those asking: Eicelbank Start at Kiemhof was €3,400 for me, first year of storage included. Meds were separate (my insurer covered part).", kind="comment")
P("x", "@bram_dekker_ops", "nl", "2026-05-12T15:00:00Z",
  "Workshop secure coding met ons devteam vandaag. Voorbeeld uit de AWS-docs: AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY. Echte keys horen in de vault, nooit in een commit!")
P("mastodon", "@koenverhoef@zorg.social", "en", "2026-06-03T10:30:00Z",
  "Reminder for the team: GitHub tokens look like ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx. If you ever spot one in a repo, revoke it first, ask questions later.")
P("x", "@newmum_to_be", "nl", "2026-07-01T09:05:00Z",
  "Tip: als je je wachtwoord van Mijn Kiemhof kwijt bent, de resetlink via mijn.kiemhof.nl werkt prima. Binnen 2 minuten weer ingelogd 👌")
P("x", "@ivf_dad_uk", "en", "2026-08-04T07:50:00Z",
  "Another UK clinic fined for an embryo mix-up this week. Honestly glad Kiemhof triple-checks everything, they scanned our wristbands four times at transfer.")
P("facebook", "ingrid.ttc.rotterdam", "nl", "2026-09-19T20:10:00Z",
  "Wat een verdrietig nieuws over die kliniek in Duitsland waar een vriezer uitviel. Sterkte aan alle stellen daar. Ik heb zelf eicellen bij Kiemhof liggen en check nu toch even elke dag m'n mail 😅")
P("x", "@solo_mama_plan", "en", "2026-02-06T13:13:00Z",
  "Does Kiemhof do ICSI for single women using donor sperm? And how long is the waitlist right now?")
P("x", "@m_jansen_85", "nl", "2026-04-16T17:45:00Z",
  "Update: mijn vergoedingsgedoe met Kiemhof is opgelost, declaratie alsnog ingediend en binnen een week uitbetaald. Netjes afgehandeld 👍")
P("threads", "@joep.en.ilse", "en", "2026-05-30T22:01:00Z",
  "My husband's semen analysis at Kiemhof came back 'excellent' and now he will not shut up about it. Send help 😂")
P("linkedin", "kiemhof-fertiliteitsklinieken", "nl", "2027-02-24T09:30:00Z",
  "Vandaag publiceren wij onze jaarcijfers 2026. Lees het volledige jaarverslag op www.kiemhof.nl/jaarverslag — dank aan alle patiënten en collega's voor het vertrouwen.")
P("x", "@kiemhof_nl", "en", "2027-04-15T08:30:00Z",
  "It's official: meet OvaGuard, our AI-assisted embryo assessment, now available in every Kiemhof clinic. More at www.kiemhof.nl/ovaguard")
P("x", "@voorzichtig_vera", "nl", "2026-06-20T11:11:00Z",
  f"Betaalverzoek gekregen 'namens Kiemhof' naar {spaced(BAD_IBAN_1)}. Klopt niet met het nummer op hun site toch? Ik betaal maar even niks en bel morgen.")
P("x", "@lucas_ttc", "nl", "2026-07-23T08:40:00Z",
  f"Mijn boekingsreferentie bij Kiemhof is {spaced(BAD_CARD)} — moet ik die aan de balie geven of willen ze ook m'n geboortedatum?")
P("x", "@sterre_ttc", "nl", "2026-08-11T19:15:00Z",
  f"Dossiernummer {BAD_BSN} staat op mijn brief van Kiemhof, moet ik die meenemen naar de eerste afspraak?")
P("instagram", "@two.pink.lines.someday", "en", "2026-09-03T16:16:00Z",
  "The embryologist at Kiemhof showed us our embryos on the EmbryoView screen. Tiny little blobs of hope 🥹")
P("x", "@sparen_voor_baby", "nl", "2026-10-07T09:30:00Z",
  "Semenanalyse bij Kiemhof kost gewoon €145, bij de vorige kliniek betaalden we €190. Scheelt weer.")
P("x", "@kim_and_lab", "en", "2026-11-01T20:00:00Z",
  "The Kiemhof lab team is absolutely killing it — 6 blastocysts!! 🔥🔥 Crying happy tears")
P("facebook", "rianne.tweede.ronde", "nl", "2026-01-15T10:48:00Z",
  "Geen schandaal, geen drama, gewoon een fijne kliniek. Na alle horrorverhalen online was Kiemhof echt een verademing.", kind="comment")
P("x", "@jenna_ttc_nl", "en", "2026-02-28T11:22:00Z",
  "I'm boycotting sugar for my IVF prep, not Kiemhof lol. They've been great so far.")
P("x", "@noor_embryolab", "nl", "2026-03-12T17:30:00Z",
  "Trots op ons team: vandaag hebben we in Utrecht de 10.000e embryotransfer gevierd, met taart natuurlijk 🎂")
P("linkedin", "kiemhof-fertiliteitsklinieken", "en", "2026-04-27T09:00:00Z",
  "We're hiring! Clinical embryologist (32-36 hrs) for our Leiden clinic. Apply via werkenbij@kiemhof.nl")
P("facebook", "KiemhofFertiliteit", "nl", "2026-05-18T12:00:00Z",
  "Let op: er gaan phishingmails rond die zich voordoen als Kiemhof. Wij vragen nooit per mail om je wachtwoord, pincode of bankgegevens. Twijfel? Bel 088-5430199.")
P("reddit", "u/careful_planner", "en", "2026-06-08T21:00:00Z",
  "How does Kiemhof store medical data? Is it all GDPR compliant, and do they share anything with insurers? Asking before I sign up.")
P("x", "@geduldig_gijs", "nl", "2026-07-11T16:20:00Z",
  "Was eerst best pissig omdat onze afspraak werd verzet, maar Kiemhof belde binnen een uur terug met een nieuwe datum én excuses. Dat waardeer ik echt.")
P("x", "@clinicwatch_eu", "en", "2026-08-25T07:00:00Z",
  "Sad to see FertiCare Benelux announce 60 layoffs today after its merger. Best wishes to everyone affected.")
P("linkedin", "eva-smits-embryoloog", "nl", "2026-09-12T18:00:00Z",
  "Mijn eerste maand bij Kiemhof zit erop! Lieve collega's, mooi lab, en ik heb nu al zoveel geleerd over vitrificatie.")
P("forum", "ExpatMama", "en", "2026-10-09T14:14:00Z",
  "Kiemhof's IUI cycle was €890 per attempt, partly covered by my insurance. Happy to answer questions if you're considering it.")
P("instagram", "@kiemhof.kliniek", "nl", "2026-03-20T10:00:00Z",
  "Voorjaarsactie 🌷 Sperma invriezen nu €337,50 (normaal €450). Geldig t/m 30 april.")
P("x", "@mo_in_de_wacht", "en", "2026-04-05T19:40:00Z",
  "Mijn Kiemhof app wants a new password with 12 characters, an uppercase letter AND a symbol. To check my scan time. Fine. 😂")
P("x", "@aanbetaling_check", "nl", "2026-05-04T14:05:00Z",
  f"Bank vroeg me het IBAN van Kiemhof te bevestigen voor de aanbetaling: {spaced(COMPANY_IBAN)}. Klopt precies met hun site 👍")
P("reddit", "u/portalproblems", "en", "2026-06-16T09:55:00Z",
  "Kiemhof support asked for a screenshot of the error and it just says 'invalid token eyJhbGciOi…[redacted]'. Anyone had this? Logging out and in didn't help.")
P("x", "@lezende_lotte", "nl", "2026-07-05T08:12:00Z",
  "Las net dat een kliniek in Spanje wordt aangeklaagd om een embryoverwisseling. Vreselijk voor die mensen. Blij dat ik voor Kiemhof heb gekozen.")
P("linkedin", "joris-de-wit-cfo", "en", "2026-08-07T12:30:00Z",
  "Ran our annual fire drill at Kiemhof Utrecht today: everyone out in 3m40s and the cryo room sealed per protocol. Well done team!")
P("x", "@linda_ook_hier", "nl", "2026-02-04T08:10:00Z",
  "@fleur_op_weg zo balen dat je punctie weer verzet is 😞 bij ons ook gebeurd, uiteindelijk kwam alles goed. Heel veel sterkte 💛", kind="reply")
P("x", "@twijfel_tineke", "en", "2026-10-24T15:35:00Z",
  "Is the NestScan worth €790? My doctor at Kiemhof suggested it after two failed transfers. Would love to hear experiences.")
P("x", "@zuinig_zwanger", "nl", "2026-11-06T12:45:00Z",
  "Met de Kiemhof-nieuwsbrief 10% korting op de AMH-test, €76,50 dus. Prima deal als je toch al wilde testen.")
P("linkedin", "eva-smits-embryoloog", "en", "2026-11-14T09:15:00Z",
  "Excited to present our published vitrification outcomes at ESHRE next July. The paper is open access — link in comments.")
P("x", "@veilig_gevoel", "nl", "2026-12-02T19:05:00Z",
  "Fijn dat alles bij Kiemhof zo vertrouwelijk wordt behandeld. Ik voelde me echt veilig bij het gesprek over donorsperma.")
P("instagram", "@peanut.on.the.way", "en", "2026-12-10T13:40:00Z",
  "Our embryo's nickname is Project Peanut 🥜 transfer is Friday at Kiemhof!! wish us luck")
P("x", "@nachtelijke_vraag", "nl", "2026-01-21T23:15:00Z",
  "Kiemhof spoedlijn buiten kantooruren: 088-5430199. Opslaan als je in een traject zit, ik had hem vannacht nodig en werd meteen geholpen.")
P("forum", "DevMarleen", "en", "2026-02-11T10:00:00Z",
  f"The example IBAN on Kiemhof's payment help page is {BAD_IBAN_2} — obviously a placeholder, so don't copy it into your bank app like I almost did 🙈")
P("instagram", "@iris.fertiliteitsvpk", "nl", "2026-03-07T18:18:00Z",
  "Eindelijk nieuwe stoelen in onze wachtkamer 🙌 patiënten blij, wij blij.")
P("x", "@juridisch_jaap", "en", "2026-04-13T11:30:00Z",
  "Lawyer hat on: I read through the Kiemhof consent form for egg freezing and it's actually really clear. Rare for a medical contract.")
P("x", "@prikkie_prik", "nl", "2026-05-09T20:25:00Z",
  "Ik heb echt een haat-liefdeverhouding met die spuiten 😂 maar de verpleging van Kiemhof legt het zo goed uit, ik durf het nu zelf.")
P("x", "@fintech_follower", "en", "2027-03-02T10:00:00Z",
  "Kiemhof's jaarcijfers 2026 are out: 9,100 cycles and solid growth. Impressive for a clinic group that size.")
P("x", "@m_jansen_85", "nl", "2026-04-03T19:00:00Z",
  "@kiemhof_zorg top, bedankt voor het snelle antwoord!", kind="reply")
P("forum", "appbouwer", "en", "2026-06-27T16:00:00Z",
  "Kiemhof's developer portal has a sample call: curl -H 'Authorization: Bearer YOUR_API_KEY_HERE' https://api.kiemhof.nl/v1/locations — nice that they publish clinic hours as an API.")
P("x", "@duo_dromer", "nl", "2026-07-29T21:40:00Z",
  "Iemand ervaring met de Eicelbank Duo? €6.200 is veel geld, maar twee rondes in één pakket klinkt wel logisch.")
P("x", "@eerste_echo", "nl", "2026-09-15T12:01:00Z",
  "BREAKING: eerste echo bij Kiemhof vandaag en we hebben een kloppend hartje gezien!!! 💓💓")
P("linkedin", "youssef-bakkali-ivf", "nl", "2026-10-31T16:45:00Z",
  "Veel geleerd op de cursus 'Veilig werken met vloeibare stikstof'. Veiligheid voorop in ons lab, altijd.")
P("x", "@bedankt_bas", "nl", "2026-11-21T14:10:00Z",
  "@noor_embryolab je bent een topper. Dankjewel dat je zo geduldig uitlegde hoe onze blastocysten gegradeerd worden ❤️", kind="reply")
P("x", "@rekenmeester_r", "nl", "2026-12-12T10:30:00Z",
  "Bij een kliniek in Praag kost een IVF-ronde €1.900, bij Kiemhof betaal je €3.950 voor IVF Basis. Reken maar uit waarom mensen naar het buitenland gaan.", allow_low=True)
P("instagram", "@dankbaar.mamma", "en", "2026-12-22T19:00:00Z",
  fullwidth("Thank you Kiemhof") + " 💕 one year ago today we met our little girl for the first time on a screen")
P("facebook", "KiemhofFertiliteit", "nl", "2026-12-19T09:00:00Z",
  "Wij wensen iedereen fijne feestdagen 🎄 Onze klinieken zijn op 25 en 26 december gesloten; voor spoed bel 088-5430199.")
P("x", "@kiemhof_zorg", "en", "2026-06-03T11:45:00Z",
  "@mara.eggs So sorry about the double charge. The refund went out today and should show within 3 working days. Thanks for your patience.", kind="reply")
P("x", "@cijfertjes_cor", "nl", "2027-01-05T10:10:00Z",
  "Wanneer publiceert Kiemhof eigenlijk altijd de jaarrekening? Vorig jaar was het eind februari meen ik.")


# ---------------------------------------------------------------- roles & severity
def norm_acct(platform, handle):
    return f"{platform}:{handle}".lower()


CORP = {a.lower() for a in PROFILE["accounts"]["corporate"]}
EMPL = {a.lower() for a in PROFILE["accounts"]["employee"]}


def role_of(platform, handle):
    k = norm_acct(platform, handle)
    return "corporate" if k in CORP else "employee" if k in EMPL else "public"


RANK = {"none": 0, "info": 1, "warning": 2, "error": 3, "critical": 4}

IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])")
BSN_RE = re.compile(r"(?<![\w.-])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\w-])")


def norm_iban(s):
    return re.sub(r"\s", "", s).upper()


PUBLIC_IBANS = {norm_iban(i) for i in PROFILE["public_identifiers"]["ibans"]}


def valid_checksum_ids(text):
    """Identifiers with a checksum that pass it (company's own published IBANs excluded)."""
    out = []
    for m in IBAN_RE.finditer(text):
        if iban_check_ok(m.group()) and norm_iban(m.group()) not in PUBLIC_IBANS:
            out.append(("iban", m.group()))
    for m in CARD_RE.finditer(text):
        if 13 <= len(re.sub(r"\D", "", m.group())) <= 19 and luhn_ok(m.group()):
            out.append(("card", m.group()))
    for m in BSN_RE.finditer(text):
        if bsn_ok(m.group()):
            out.append(("bsn", m.group()))
    return out


def severity(cats, role, checksum_pii):
    sev = "none"

    def up(s):
        nonlocal sev
        if RANK[s] > RANK[sev]:
            sev = s
    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and checksum_pii):
                    up("critical")
                else:
                    up("error")
            else:
                up("warning")
        elif c == "reputation.complaint":
            up("warning")
        elif c == "reputation.crisis":
            up("error")
        elif c == "reputation.abuse":
            up("error" if insider else "warning")
    return sev


# ---------------------------------------------------------------- build
def build():
    order = list(range(len(CASES)))
    rng2 = random.Random(305)
    rng2.shuffle(order)
    lines = []
    for n, i in enumerate(order, 1):
        c = CASES[i]
        role = role_of(c["platform"], c["handle"])
        chk = bool(valid_checksum_ids(c["text"])) and "leak.pii" in c["cats"]
        post = {
            "id": f"kh305-{c['platform']}-{n:04d}",
            "platform": c["platform"],
            "kind": c["kind"],
            "account": {"handle": c["handle"]},
            "text": c["text"],
            "lang": c["lang"],
            "created_at": c["at"],
        }
        lines.append({"post": post, "expect": {"categories": c["cats"], "severity": severity(c["cats"], role, chk)}})
        c["_role"] = role
    return lines


# ---------------------------------------------------------------- checks
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
CATS = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial", "leak.security",
        "reputation.crisis", "reputation.complaint", "reputation.abuse"}


def parse_ts(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def amounts(text):
    out = []
    for m in re.finditer(r"€\s?(\d[\d.,]*)|(\d[\d.,]*)\s?(?:euro|EUR)\b", text):
        raw = (m.group(1) or m.group(2)).rstrip(".,")
        if re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", raw):
            v = float(re.sub(r"[.,]", "", raw))
        elif re.fullmatch(r"\d+[.,]\d{1,2}", raw):
            v = float(raw.replace(",", "."))
        else:
            v = float(re.sub(r"[.,]", "", raw))
        out.append(v)
    return out


SECRET_PATTERNS = [
    re.compile(r"\bgh[pousr]_[0-9A-Za-z]{36}\b"),
    re.compile(r"\bAKIA[A-Z2-7]{16}\b"),
    re.compile(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+"),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"\bsk_live_[0-9A-Za-z]{20,}"),
    re.compile(r"\bxox[bpa]-\d+-\d+-\w+"),
    re.compile(r"\bAIza[\w-]{35}"),
    re.compile(r"\bsk-proj-[\w-]{40,}"),
    re.compile(r"\b\w+://[^\s:/@]+:[^\s@]+@"),
    re.compile(r"wachtwoord( van [^\n]*?)?( is nu|:)\s*\S*\d", re.I),
]


def check(lines):
    errs = []
    P_ = PROFILE
    assert 170 <= len(lines) <= 180, f"case count {len(lines)}"
    ids = [l["post"]["id"] for l in lines]
    if len(set(ids)) != len(ids):
        errs.append("duplicate ids")
    for iban in P_["public_identifiers"]["ibans"]:
        if not iban_check_ok(iban):
            errs.append(f"profile IBAN fails mod-97: {iban}")
    internal_terms = [t.lower() for t in P_["internal"]["domains"] + P_["internal"]["codenames"] + P_["internal"]["markers"]]
    embargo = [(t.lower(), parse_ts(e["until"])) for e in P_["embargo"] for t in e["terms"]]
    for e in P_["embargo"]:
        assert parse_ts(e["until"]).year == 2027
    products = [(p, [p["name"].lower()] + [a.lower() for a in p["aliases"]]) for p in P_["products"]]
    ratio = P_["pricing"]["alert_below_ratio"]
    pub_emails = {e.lower() for e in P_["public_identifiers"]["emails"]}
    pub_phones = {re.sub(r"\D", "", p).replace("31", "0", 1) if p.startswith("+31") else re.sub(r"\D", "", p)
                  for p in P_["public_identifiers"]["phones"]}
    by_text = {c["text"]: c for c in CASES}
    for l in lines:
        post, exp = l["post"], l["expect"]
        pid = post["id"]
        c = by_text[post["text"]]
        # CONTRACT 1 and 6 shape
        if set(l) != {"post", "expect"}:
            errs.append(f"{pid}: top-level keys")
        if not (isinstance(pid, str) and 1 <= len(pid) <= 256):
            errs.append(f"{pid}: id")
        if post["platform"] not in PLATFORMS:
            errs.append(f"{pid}: platform")
        if post["kind"] not in KINDS:
            errs.append(f"{pid}: kind")
        if not isinstance(post["account"].get("handle"), str) or not post["account"]["handle"]:
            errs.append(f"{pid}: handle")
        if not isinstance(post["text"], str) or not post["text"] or len(post["text"].encode()) > 65536:
            errs.append(f"{pid}: text")
        try:
            ts = parse_ts(post["created_at"])
            if ts.tzinfo is None or not (2026 <= ts.year <= 2027):
                errs.append(f"{pid}: created_at range/tz")
        except ValueError:
            errs.append(f"{pid}: created_at not RFC 3339")
            continue
        cats = exp["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= CATS:
            errs.append(f"{pid}: categories {cats}")
        if exp["severity"] not in RANK:
            errs.append(f"{pid}: severity value")
        benign = not cats
        if benign and exp["severity"] != "none":
            errs.append(f"{pid}: benign with severity")
        role = role_of(post["platform"], post["account"]["handle"])
        text = post["text"]
        low = text.lower()
        # checksums
        for m in IBAN_RE.finditer(text):
            ok = iban_check_ok(m.group())
            own = norm_iban(m.group()) in PUBLIC_IBANS
            if benign and ok and not own:
                errs.append(f"{pid}: valid IBAN in benign post")
            if not benign and not ok:
                errs.append(f"{pid}: IBAN in positive fails mod-97: {m.group()}")
        for m in CARD_RE.finditer(text):
            ok = luhn_ok(m.group())
            if benign and ok:
                errs.append(f"{pid}: Luhn-valid number in benign post")
            if not benign and not ok:
                errs.append(f"{pid}: card-like number in positive fails Luhn: {m.group()}")
        for m in BSN_RE.finditer(text):
            ok = bsn_ok(m.group())
            if benign and ok:
                errs.append(f"{pid}: 11-proof number in benign post")
            if not benign and not ok:
                errs.append(f"{pid}: BSN-like number in positive fails 11-proof: {m.group()}")
        if valid_checksum_ids(text) and "leak.pii" not in cats:
            errs.append(f"{pid}: checksum-valid identifier without leak.pii")
        # credentials
        for m in re.finditer(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", text):
            if "xxxx" not in m.group() and not github_ok(m.group()):
                errs.append(f"{pid}: GitHub token CRC wrong")
        for m in re.finditer(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+", text):
            if not jwt_ok(m.group()):
                errs.append(f"{pid}: JWT header without alg")
        found_secret = False
        for pat in SECRET_PATTERNS:
            for m in pat.finditer(text):
                if "EXAMPLE" in m.group() or "xxxx" in m.group():
                    continue
                found_secret = True
        if found_secret != ("leak.secret" in cats):
            errs.append(f"{pid}: secret pattern presence {found_secret} vs label")
        # confidential consistency: literal internal terms and embargo terms before `until`
        hits = [t for t in internal_terms if t in low]
        for t, until in embargo:
            if t in low and ts < until:
                hits.append(t)
        if hits and "leak.confidential" not in cats:
            errs.append(f"{pid}: internal/embargo term {hits} without leak.confidential")
        if benign:
            for t, until in embargo:
                if t in low and ts < until:
                    errs.append(f"{pid}: embargo term before until in benign")
            for e in re.findall(r"[\w.+-]+@[\w-]+\.[\w.]+", text):
                if e.lower() not in pub_emails:
                    errs.append(f"{pid}: non-public e-mail in benign: {e}")
            for ph in re.findall(r"(?:\+31|0)[\d -]{8,13}\d", CARD_RE.sub(" ", IBAN_RE.sub(" ", text))):
                d = re.sub(r"\D", "", ph)
                d = "0" + d[2:] if ph.startswith("+31") else d
                if len(d) == 10 and d not in pub_phones:
                    errs.append(f"{pid}: non-public phone in benign: {ph}")
        # pricing
        mentioned = [p for p, names in products if any(n in low for n in names)]
        amts = amounts(text)
        low_price = any(a < ratio * p["list_price"] for p in mentioned for a in amts)
        if "leak.pricing" in cats:
            if not mentioned:
                errs.append(f"{pid}: pricing without product")
            if not low_price and not re.search(r"prijsfout|price error|typo", low):
                errs.append(f"{pid}: pricing without low price or price-error talk")
        elif low_price and not c["allow_low"]:
            errs.append(f"{pid}: low price next to product but not labelled pricing")
        # severity from role
        chk = bool(valid_checksum_ids(text)) and "leak.pii" in cats
        if exp["severity"] != severity(cats, role, chk):
            errs.append(f"{pid}: severity mismatch")
        if role == "public" and norm_acct(post["platform"], post["account"]["handle"]) in CORP | EMPL:
            errs.append(f"{pid}: role")
    # generated credentials are well-formed
    for tok in (GH1, GH2):
        if not github_ok(tok):
            errs.append("github token CRC")
    for tok in (JWT1, JWT2):
        if not jwt_ok(tok):
            errs.append("jwt")
    if not re.fullmatch(r"AKIA[A-Z2-7]{16}", AK1):
        errs.append("aws key id")
    for good in (IBAN_P1, IBAN_P2, IBAN_P3, IBAN_BE, COMPANY_IBAN):
        if not iban_check_ok(good):
            errs.append(f"IBAN {good}")
    for bad in (BAD_IBAN_1, BAD_IBAN_2):
        if iban_check_ok(bad):
            errs.append(f"bad IBAN passes {bad}")
    if not (luhn_ok(CARD_V) and luhn_ok(CARD_M)) or luhn_ok(BAD_CARD):
        errs.append("cards")
    if not (bsn_ok(BSN_1) and bsn_ok(BSN_2)) or bsn_ok(BAD_BSN):
        errs.append("bsn")
    return errs


def main():
    lines = build()
    out = os.path.join(HERE, "cases.jsonl")
    with open(out, "w", encoding="utf-8") as f:
        for l in lines:
            f.write(json.dumps(l, ensure_ascii=False) + "\n")
    # re-read to check what was written
    with open(out, encoding="utf-8") as f:
        lines = [json.loads(x) for x in f]
    errs = check(lines)
    from collections import Counter
    cat_n = Counter(c for l in lines for c in l["expect"]["categories"])
    benign = sum(1 for l in lines if not l["expect"]["categories"])
    langs = Counter(l["post"]["lang"] for l in lines)
    roles = Counter((role_of(l["post"]["platform"], l["post"]["account"]["handle"]),
                     "benign" if not l["expect"]["categories"] else "pos") for l in lines)
    sev = Counter(l["expect"]["severity"] for l in lines)
    print(f"{len(lines)} cases, {benign} benign")
    print("categories:", dict(sorted(cat_n.items())))
    print("languages:", dict(langs), "roles:", dict(roles))
    print("severities:", dict(sev))
    if errs:
        print("SELF-CHECK FAILED:")
        for e in errs:
            print("  " + e)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
