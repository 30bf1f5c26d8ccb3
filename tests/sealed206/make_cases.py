#!/usr/bin/env python3
"""Build and self-check cases.jsonl for sealed set 206 (Pootwijs Dierenklinieken).

Deterministic: fixed seed, standard library plus PyYAML. Post texts are hand-written;
credentials and checksummed identifiers are generated the way the real ones are built.
Expected severities are computed from the CONTRACT section 4 policy and the account role
found in profile.yaml, never typed by hand.
"""
import base64
import datetime as dt
import json
import os
import random
import re
import sys
import unicodedata
import zlib

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))
OUT = os.path.join(HERE, "cases.jsonl")
rng = random.Random(20620606)

# --------------------------------------------------------------------------- checksums
def iban_ok(s):
    s = re.sub(r"[\s.\-]", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(bank):
    acct = "".join(rng.choice("0123456789") for _ in range(10))
    n = int("".join(str(int(c, 36)) for c in bank + acct + "NL00"))
    return "NL%02d%s%s" % (98 - n % 97, bank, acct)


def spaced_iban(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def luhn_ok(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def make_card(prefix, length=16):
    body = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix) - 1))
    for c in "0123456789":
        if luhn_ok(body + c):
            return body + c


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9:
        return False
    tot = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return tot % 11 == 0 and s != "000000000"


def make_bsn():
    while True:
        d = [rng.randint(1, 6)] + [rng.randint(0, 9) for _ in range(7)]
        r = sum(x * (9 - i) for i, x in enumerate(d)) % 11
        if r < 10:
            s = "".join(map(str, d)) + str(r)
            assert bsn_ok(s)
            return s


def break_digit(s, ok):
    """Change one digit so that the checksum `ok` fails (a look-alike)."""
    idx = [i for i, c in enumerate(s) if c.isdigit()]
    for i in reversed(idx):
        for c in "1357924680":
            t = s[:i] + c + s[i + 1:]
            if t != s and not ok(t):
                return t
    raise AssertionError("cannot break " + s)


# --------------------------------------------------------------------------- secrets
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def make_github(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode())).rjust(6, "0")


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt():
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps({"sub": "klant-48213", "scope": "portal:appointments",
                              "role": "client", "iat": 1781420400, "exp": 1781424000},
                             separators=(",", ":")).encode())
    sig = b64url(bytes(rng.getrandbits(8) for _ in range(32)))
    return head + "." + body + "." + sig


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    try:
        h = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except Exception:
        return False
    return isinstance(h, dict) and "alg" in h


def make_openssh_key():
    blob = (b"openssh-key-v1\x00" + b"\x00\x00\x00\x04none" * 2 + b"\x00\x00\x00\x00"
            + b"\x00\x00\x00\x01" + b"\x00\x00\x00\x33" + b"\x00\x00\x00\x0bssh-ed25519"
            + b"\x00\x00\x00\x20" + bytes(rng.getrandbits(8) for _ in range(32))
            + b"\x00\x00\x00\x90" + bytes(rng.getrandbits(8) for _ in range(144)))
    s = base64.b64encode(blob).decode()
    lines = [s[i:i + 70] for i in range(0, len(s), 70)]
    return ("-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines)
            + "\n-----END OPENSSH PRIVATE KEY-----")


def make_password():
    words = ["Kwispel", "Snuffel", "Hondenbrok", "Poezenpoot", "Vetlink", "Spoed"]
    return rng.choice(words) + rand("0123456789", 3) + rng.choice("!#$%&*") + rand(ALNUM, 4)


AWS_CH = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
G = {}
G["GHP"] = make_github("ghp_")
G["GLPAT"] = "glpat-" + rand(ALNUM + "_-", 20)
G["AWS_ID"] = "AKIA" + rand(AWS_CH, 16)
G["AWS_SECRET"] = rand(ALNUM + "/+", 40)
G["STRIPE"] = "sk_live_51" + rand(ALNUM, 46)
G["SLACK"] = "xoxb-" + rand("0123456789", 11) + "-" + rand("0123456789", 13) + "-" + rand(ALNUM, 24)
G["OPENAI"] = "sk-proj-" + rand(ALNUM + "_-", 28) + "T3BlbkFJ" + rand(ALNUM + "_-", 28)
G["ANTHROPIC"] = "sk-ant-api03-" + rand(ALNUM + "_-", 93) + "AA"
G["JWT"] = make_jwt()
G["SSHKEY"] = make_openssh_key()
G["DBPW"] = rand(ALNUM, 18)
G["ROUTERPW"] = make_password()
G["LABPW"] = make_password()

G["IBAN_REFUND"] = make_iban("INGB")
G["IBAN_OWN"] = make_iban("RABO")
G["IBAN_LEAKED"] = make_iban("ABNA")
G["IBAN_TEST"] = make_iban("SNSB")
G["IBAN_BAD"] = break_digit(make_iban("ABNA"), iban_ok)
G["IBAN_BAD2"] = break_digit(make_iban("BUNQ"), iban_ok)
card = make_card("4" + rand("0123456789", 3))
G["CARD_REFUND"] = " ".join(card[i:i + 4] for i in range(0, 16, 4))
bad = break_digit(make_card("5" + rng.choice("12345")), luhn_ok)
G["CARD_BAD"] = " ".join(bad[i:i + 4] for i in range(0, 16, 4))
G["CARD_OWN"] = make_card("5" + rng.choice("12345"))
G["BSN_CLAIM"] = make_bsn()
G["BSN_TEST"] = make_bsn()
G["BSN_BAD"] = break_digit(make_bsn(), bsn_ok)
G["TICKET"] = break_digit(make_bsn(), bsn_ok)
G["CHIP"] = break_digit("528140000" + rand("0123456789", 6), luhn_ok)
for k in ("IBAN_REFUND", "IBAN_OWN", "IBAN_LEAKED", "IBAN_TEST"):
    assert iban_ok(G[k])
G["IBAN_OWN_SP"] = spaced_iban(G["IBAN_OWN"])
G["IBAN_TEST_SP"] = spaced_iban(G["IBAN_TEST"])
G["IBAN_BAD_SP"] = spaced_iban(G["IBAN_BAD"])
G["PROFILE_IBAN"] = spaced_iban(PROFILE["public_identifiers"]["ibans"][0])

# --------------------------------------------------------------------------- cases
CASES = []
D = dict  # meta helper


def C(who, platform, handle, lang, text, cats=(), kind="post", when=None, name=None,
      ids=(), fakes=(), secrets=(), prices=(), price_error=False, evasion=False):
    for k in re.findall(r"<<([A-Z0-9_]+)>>", text):
        text = text.replace("<<%s>>" % k, G[k])
    CASES.append(D(who=who, platform=platform, handle=handle, lang=lang, text=text,
                   cats=sorted(set(cats)), kind=kind, when=when, name=name,
                   ids=[(t, G[v]) for t, v in ids], fakes=[(t, G[v]) for t, v in fakes],
                   secrets=[(t, G[v]) for t, v in secrets], prices=list(prices),
                   price_error=price_error, evasion=evasion))


CPL, CRI, ABU = "reputation.complaint", "reputation.crisis", "reputation.abuse"
SEC, PII, PRI = "leak.secret", "leak.pii", "leak.pricing"
CON, FIN, SCY = "leak.confidential", "leak.financial", "leak.security"

# ---- complaints -------------------------------------------------------------
C("pub", "x", "@kattenmens_eva", "nl",
  "Al 40 minuten in de wacht bij @pootwijs_helpt en nu wordt er gewoon opgehangen. Mijn kat eet al twee dagen niet, ik wil alleen maar een afspraak 😤",
  [CPL])
C("pub", "reddit", "u/tulip_and_biscuit", "en",
  "Anyone else had Pootwijs quote one price and then charge way more? Was told roughly €150 for Milo's teeth, bill came in at €412 with 'extras' nobody ran past me. Not impressed tbh",
  [CPL], kind="post")
C("pub", "facebook", "sandra.kuipers.73", "nl",
  "Herinnering voor de jaarlijkse enting nooit gekregen, nu is Bobby z'n vaccinatie verlopen en moet hij de héle basisenting opnieuw. Bedankt Pootwijs, echt top geregeld 🙄",
  [CPL], kind="comment")
C("pub", "x", "@dogdad_ruben", "en",
  "@pootwijs cancelled my pup's appointment for the 3rd time this month. an hour before. every single time. how is that acceptable??",
  [CPL], kind="reply")
C("pub", "x", "@femkevdm", "nl",
  "PootwijsPlan Plus afgesloten 'want alles zit erin' en nu wordt de declaratie voor de gebitsbehandeling afgewezen. Kleine lettertjes zeker. Zeg het dan gewoon eerlijk bij het afsluiten #pootwijs",
  [CPL])
C("pub", "forum", "anon_catlady", "en",
  "Ordered the VitaPoot Renal on the 2nd, still not here on the 14th. Customer service keeps saying 'it's on its way'. My cat is on a kidney diet, I can't just wait around for weeks.",
  [CPL])
C("pub", "instagram", "@lotte.en.loebas", "nl",
  "Jullie assistente aan de balie in Amersfoort was echt onbeschoft vandaag. Ik stond te huilen met een ziek konijn en kreeg alleen 'ga maar zitten'. Zo ga je niet met mensen om @pootwijs.dierenklinieken",
  [CPL], kind="comment")
C("pub", "x", "@sarahjaneNL", "en",
  "so the Pootwijs app says my appointment is at 10:15, the clinic says 9:30, now I've missed it and they want to charge me a no-show fee. make it make sense",
  [CPL])
C("pub", "reddit", "u/hollandse_hondenman", "nl",
  "Serieuze vraag: is het normaal dat je bij Pootwijs €52,50 aftikt voor letterlijk 6 minuten? Dierenarts keek amper naar m'n hond en schreef gewoon weer dezelfde pilletjes voor. Voelt als lopende band werk",
  [CPL])
C("pub", "facebook", "mark.t.oldenzaal", "en",
  "Wrong food delivered AGAIN. Ordered Puppy Start, got a bag of senior cat food. Third time. Returning it means driving 25 km to the clinic because 'the webshop can't do returns'. Sort it out Pootwijs.",
  [CPL], kind="comment")
C("pub", "x", "@bertus_77", "nl",
  "Spoedlijn van Pootwijs gebeld om 23u, hond had rattengif te pakken gehad. Doorverbonden, in de wacht, doorverbonden, opgehangen. Uiteindelijk zelf naar een andere kliniek gescheurd. Wat heb je dan aan zo'n spoedlijn??",
  [CPL])
C("pub", "threads", "@noor.and.nala", "en",
  "Paid for the Senior Check, results were promised 'within 2 days'. It's been 9. Nobody calls back. I'm worried sick about Nala and Pootwijs just... doesn't seem to care?",
  [CPL])
C("pub", "tiktok", "@jessy_xo", "nl",
  "bij pootwijs zwolle zit je standaard een uur in de wachtkamer terwijl je gwn een afspraak hebt 🙃 nooit meer",
  [CPL], kind="comment")
C("pub", "x", "@Marcoo1983", "en",
  "The invoice from @pootwijs lists two x-rays. They took one. I literally have the photo. 3 emails, zero replies.",
  [CPL])
C("pub", "facebook", "ria.vandenbroek", "nl",
  "Mijn automatische incasso voor het PootwijsPlan is na het opzeggen gewoon doorgelopen, 3 maanden lang. Geld terugvragen duurt nu al 6 weken. Heel slechte service, had ik niet verwacht.",
  [CPL])
C("pub", "reddit", "u/quietmeerkat", "en",
  "Picked up ear drops for my rabbit at Pootwijs Haarlem, got home and the label had someone else's dog's name on it. Called them, zero apology, 'just come back tomorrow'. Feels like nobody double checks anything there.",
  [CPL], kind="comment")
C("pub", "instagram", "@the.greyhound.guy", "en",
  "Booked the microchip appointment online, showed up, 'we don't have you in the system'. Took a day off work for this 👎 @pootwijs.dierenklinieken",
  [CPL], kind="comment")
C("pub", "forum", "Gerdien_H", "nl",
  "Kattenenting online betaald via de webshop, maar de bon wordt niet geaccepteerd bij de praktijk in Apeldoorn. Webshop zegt bel de praktijk, praktijk zegt bel de webshop. Kastje, muur, kastje.",
  [CPL])
C("pub", "x", "@rinusdg", "nl",
  "Stelletje prutsers bij @pootwijs. 3x gebeld over de uitslag van de bloedtest, 3x 'we bellen u terug'. Nooit gebeld. Klootzakken, het gaat wel om mijn hond!!",
  [CPL, ABU])
C("pub", "x", "@anja_w", "en",
  "@pootwijs_helpt your chat bot keeps closing my ticket about the double charge. Please just have an actual human call me: 06-18273645. Not that hard.",
  [CPL, PII], kind="reply")

# ---- crisis -----------------------------------------------------------------
C("pub", "x", "@dierenvriend_nl", "nl",
  "Onze hond Bruno is overleden na een 'routine' gebitsreiniging bij Pootwijs Nijmegen. Niemand heeft op hem gelet tijdens het bijkomen. We stappen naar het Veterinair Tuchtcollege en een advocaat. Deel dit alsjeblieft 💔 #pootwijs",
  [CRI])
C("pub", "x", "@catsofutrecht", "en",
  "RECALL WARNING: VitaPoot Kat Renal batch 24-117, several cats got sick after eating it and Pootwijs is quietly pulling it from the shelves without telling anyone. Check your bags!!",
  [CRI])
C("pub", "facebook", "Dierenwelzijn.Oost", "nl",
  "Oproep: BOYCOT Pootwijs. Investeerders knijpen de praktijken uit, dierenartsen lopen weg en de dieren zijn de dupe. Ga naar een onafhankelijke dierenarts bij jou in de buurt. #boycotpootwijs",
  [CRI])
C("pub", "reddit", "u/vetnurse_exhausted", "en",
  "Pootwijs Rotterdam-Zuid left hospitalised animals overnight with NO staff in the building. The camera footage shows a dog seizing for hours. This is going to the press.",
  [CRI])
C("pub", "x", "@privacy_pieter", "nl",
  "Pootwijs is al sinds vorige week gehackt, klantgegevens liggen op straat en ze houden hun mond. Een kennis die daar werkt bevestigt het. Waarom nog geen melding bij de AP??",
  [CRI, SCY])
C("pub", "x", "@jdmolenaar", "en",
  "Just got a phishing email with my name, my dog's name AND the date of his last vet visit at Pootwijs. That data came from somewhere. @pootwijs have you been breached?",
  [CRI])
C("pub", "tiktok", "@dierenleed.nl", "nl",
  "Beelden van een medewerker van Pootwijs die een kat keihard in een bench smijt 😡 dit moet gedeeld worden, wie doet nou zoiets in een dierenkliniek #dierenleed #pootwijs",
  [CRI])
C("pub", "x", "@legaleagle_ams", "en",
  "Class action forming against Pootwijs over PootwijsPlan auto-renewals. If you were charged after cancelling, DM us. #pootwijs #consumentenrecht",
  [CRI])
C("pub", "x", "@buurtnieuws_ede", "nl",
  "Brand in de Pootwijs dierenkliniek aan de Stationsweg in Ede. Brandweer is met meerdere wagens ter plaatse, er zouden nog dieren binnen zijn. #brand #ede",
  [CRI], when="2026-09-08T06:41:00+02:00")
C("pub", "facebook", "karen.blom.1", "en",
  "Three dogs on our street got sick after the TriGuard pipettes from Pootwijs. One of them is in intensive care now. This product is dangerous and they're STILL selling it!!!",
  [CRI])
C("pub", "reddit", "u/kwispelstaart", "nl",
  "Dus Pootwijs laat assistenten zonder bevoegdheid narcoses doen om kosten te besparen? Staat vandaag in het AD. Schandalig, en wij maar betalen.",
  [CRI], kind="comment")
C("pub", "x", "@angry_owner_22", "en",
  "Pootwijs killed my cat through sheer negligence and now they're hiding behind their lawyers. Boycott these greedy bastards. #boycottpootwijs",
  [CRI, ABU])
C("pub", "x", "@boos_op_pootwijs", "nl",
  "Datalek bij Pootwijs! Ik kreeg via mijn.pootwijs.nl de factuur van iemand anders: H. de Groot, Lindenlaan 14, 3701 Zeist, IBAN <<IBAN_LEAKED>>. Die van mij ligt dus ook ergens op straat. Ongelofelijk.",
  [CRI, PII], ids=[("iban", "IBAN_LEAKED")])
C("pub", "x", "@vetwatch_eu", "en",
  "Pootwijs is being investigated by the NVWA after expired vaccines were used at several practices. Were your pets vaccinated there in the past year? Worth asking.",
  [CRI])
C("pub", "instagram", "@mijnkatmies", "nl",
  "Mies is na haar sterilisatie bij Pootwijs dichtgenaaid mét een gaasje in haar buik. Tweede operatie bij een andere dierenarts nodig gehad. Wij gaan juridische stappen zetten.",
  [CRI])

# ---- abuse ------------------------------------------------------------------
C("pub", "x", "@henk_boos1961", "nl",
  "Die dierenarts van jullie in Tilburg is een arrogante trut. Hoop dat ze d'r ontslag krijgt @pootwijs",
  [ABU], kind="reply")
C("pub", "x", "@realtalk_tom", "en",
  "@pootwijs_helpt you people are absolute scum. parasites living off sick animals",
  [ABU], kind="reply")
C("pub", "tiktok", "@xxgangstaxx", "nl",
  "pootwijs = 0pl1cht3rs en k4nk3rl1jers met die prijzen 🤮🤮",
  [ABU], kind="comment", evasion=True)
C("pub", "reddit", "u/dogfather_88", "en",
  "Dr. Ellen Vos is a fucking incompetent hack who shouldn't be allowed near animals. Someone should find out where she lives and pay her a visit.",
  [ABU], kind="comment")
C("pub", "x", "@truthbomb_nl", "en",
  "Went to Pootwijs and the vet was some woman in a headscarf. Go back where you came from, we want Dutch vets treating Dutch dogs.",
  [ABU])
C("pub", "x", "@stijn_1990", "nl",
  "@pootwijs k\u200bu\u200bt\u200bb\u200be\u200bd\u200br\u200bi\u200bj\u200bf, jullie assistenten zijn echt de grootste sukkels die er rondlopen",
  [ABU], kind="reply", evasion=True)
C("emp", "x", "@marloes_pw", "nl",
  "@yvonne_dekat jij bent echt de irritantste zeikerd die ooit aan onze balie heeft gestaan, blijf lekker weg dan",
  [ABU], kind="reply")
C("pub", "instagram", "@n0_mercy_", "en",
  "lmao this clinic is run by clowns 🤡🤡 idiots the lot of you",
  [ABU], kind="comment")
C("pub", "x", "@gewoonwillem", "nl",
  "Pootwijs = O P L I C H T E R S. En die regiomanager van jullie is een vuile leugenaar.",
  [ABU], evasion=True)
C("pub", "youtube", "@grumpy_gerald", "en",
  "Whoever hired these morons should be sacked. Absolute dimwits in white coats, disgusting people.",
  [ABU], kind="comment")

# ---- security ---------------------------------------------------------------
C("emp", "x", "@kevin_vdl_ops", "nl",
  "Lange nacht. VetLink ligt er in alle 60 praktijken uit sinds 02:00, ransomware op de fileservers. Officieel heet het 'technische storing' tot de pers het doorheeft 🙃",
  [SCY])
C("emp", "mastodon", "@bram@dier.social", "en",
  "Note to self: the appointment API behind mijn.pootwijs.nl still returns other clients' pet records if you just increment the id. Reported it 3 months ago. Still open 🤷",
  [SCY])
C("emp", "x", "@kevin_vdl_ops", "nl",
  "Wie heeft de firewallregel voor vetlink.pootwijs.local weggehaald? Hele nacht brute-force pogingen in de logs en één beheeraccount is al overgenomen.",
  [SCY, CON])
C("emp", "threads", "@anouk.paravet", "nl",
  "kunnen jullie even checken of je vandaag een mail van 'IT Pootwijs' kreeg over je wachtwoord?? half onze praktijk heeft erop geklikt en nu zijn de mailboxen van 4 collega's gehackt 😬",
  [SCY])
C("emp", "bluesky", "@ruudkoster.bsky.social", "en",
  "Heads-up to my fellow practice managers: the nightly backup of the patient database has been failing silently since March. If the servers died today we'd lose everything. Nobody outside knows yet, let's keep it that way until IT fixes it.",
  [SCY])
C("emp", "tiktok", "@paravet.lisa", "nl",
  "POV: je werkt bij een dierenkliniek en de röntgencomputer draait nog op Windows 7 zonder updates en hangt gewoon open aan het internet 💀 #dierenartsassistent #itproblemen",
  [SCY])
C("pub", "reddit", "u/pentest_pete", "en",
  "Did a pentest for Pootwijs back in January. Their customer portal lets you reset anyone's password with just a postcode and the pet's name. Told them in writing. Checked yesterday: still works.",
  [SCY], kind="comment")
C("emp", "x", "@ellenvos_dvm", "nl",
  "Weer een dag zonder patiëntendossiers omdat het systeem 'in onderhoud' is. Onderhoud = we zijn gehackt maar dat mag ik niet zeggen. Oeps.",
  [SCY])
C("corp", "facebook", "PootwijsDierenklinieken", "nl",
  "Update voor praktijkmanagers: het incident van dinsdag raakt naar schatting 48.000 klantrecords. Graag nog niets naar klanten communiceren tot Juridische Zaken akkoord geeft.",
  [SCY])
C("emp", "linkedin", "samira-bouzid-dierenarts", "en",
  "Frustrating week: the payment terminals in 12 of our practices have been dead since Monday because our supplier got hit by malware. Clients are being told it's 'a network issue'.",
  [SCY])
C("emp", "x", "@marloes_pw", "nl",
  "telefooncentrale ligt er weer uit, al 2 dagen, spoedlijn onbereikbaar. niemand mag het op social zetten maar mensen moeten toch weten dat ze ons niet kunnen bellen?!",
  [SCY])
C("emp", "mastodon", "@bram@dier.social", "en",
  "PSA for the team: the S3 bucket with all the lab result PDFs has been publicly readable since at least May. Yes, all of them. Fixing it tonight, do NOT tweet about it.",
  [SCY])

# ---- secrets ----------------------------------------------------------------
C("emp", "mastodon", "@bram@dier.social", "en",
  "anyone know why this keeps 403-ing?\ncurl -H 'Authorization: token <<GHP>>' https://api.github.com/repos/pootwijs-dev/vetlink-sync/actions/runs",
  [SEC], secrets=[("github", "GHP")])
C("emp", "x", "@kevin_vdl_ops", "nl",
  "git clone https://deploy:<<GLPAT>>@gitlab.pootwijs.nl/infra/ansible.git werkt niet meer na de migratie, iemand een idee?",
  [SEC, CON], secrets=[("gitlab", "GLPAT")])
C("emp", "mastodon", "@bram@dier.social", "en",
  "DATABASE_URL=postgres://vetlink_app:<<DBPW>>@db-prod-02.vetlink.pootwijs.local:5432/vetlink\nwhy is pgbouncer rejecting this after the upgrade?? same creds work from psql",
  [SEC, CON], secrets=[("dburl", "DBPW")])
C("emp", "x", "@kevin_vdl_ops", "nl",
  "Voor de collega's in Breda: router in de wachtkamer is vervangen. Beheer: gebruiker admin, wachtwoord: <<ROUTERPW>> (niet aan klanten geven 😉)",
  [SEC], secrets=[("password", "ROUTERPW")])
C("corp", "youtube", "@PootwijsTV", "nl",
  "Bedankt voor het kijken naar onze webshop-demo! 🐾 Voor de developers die ernaar vroegen, de config uit de video:\nSTRIPE_SECRET_KEY=<<STRIPE>>\nWEBHOOK_PATH=/api/stripe/hooks",
  [SEC], secrets=[("stripe", "STRIPE")])
C("pub", "reddit", "u/ex_pootwijs_dev", "en",
  "lol, Pootwijs still hasn't rotated the AWS keys I left in the repo when I quit.\naws_access_key_id = <<AWS_ID>>\naws_secret_access_key = <<AWS_SECRET>>\nstill lists the lab-results bucket. not my problem anymore",
  [SEC], secrets=[("aws", "AWS_ID")])
C("emp", "bluesky", "@ruudkoster.bsky.social", "en",
  "Can someone in IT reset the rota bot? It posts everything twice. The token in the settings screen is <<SLACK>> if that helps",
  [SEC], secrets=[("slack", "SLACK")])
C("emp", "mastodon", "@bram@dier.social", "en",
  "This token from the portal decodes fine on jwt.io but the API says it's expired?? clock skew?\n<<JWT>>",
  [SEC], secrets=[("jwt", "JWT")])
C("emp", "x", "@kevin_vdl_ops", "nl",
  "wie heeft dit nou weer in #algemeen geplakt 🙈🙈\n<<SSHKEY>>",
  [SEC], secrets=[("privkey", "SSHKEY")])
C("emp", "threads", "@anouk.paravet", "nl",
  "voor de nachtdienst: inlog labportaal is gebruiker avdberg, ｗａｃｈｔｗｏｏｒｄ: <<LABPW>> ff niet kwijtraken 🙏",
  [SEC], secrets=[("password", "LABPW")], evasion=True)
C("emp", "mastodon", "@bram@dier.social", "en",
  "trying to get the triage chatbot to stop suggesting grapes as a treat for dogs 😅\nOPENAI_API_KEY=<<OPENAI>>\nmodel=gpt-4o-mini\nany prompt tips?",
  [SEC], secrets=[("openai", "OPENAI")])
C("pub", "x", "@sysadmin_sander", "en",
  "Pootwijs ships its Anthropic API key in plain sight in the app bundle: <<ANTHROPIC>> — someone tell them before the invoice does",
  [SEC], secrets=[("anthropic", "ANTHROPIC")])

# ---- confidential -----------------------------------------------------------
C("emp", "x", "@ellenvos_dvm", "nl",
  "Net de demo gezien van de nieuwe triage-app die we intern Zwaluwstaart noemen. Als dat live gaat scheelt het ons uren per dag aan de telefoon",
  [CON])
C("emp", "instagram", "@dierenarts.noor", "nl",
  "Sneak peek 👀 het nieuwe PootwijsPlan Senior komt eraan, speciaal voor oudere katten en honden! Meer vertel ik nog niet #binnenkort #pootwijs",
  [CON], when="2026-11-26T19:12:40+01:00")
C("corp", "linkedin", "pootwijs-dierenklinieken", "nl",
  "We zijn trots om ExoZorg aan te kondigen: gespecialiseerde zorg voor konijnen, vogels en reptielen in 10 van onze praktijken.",
  [CON], when="2026-12-15T10:00:00+01:00")
C("emp", "x", "@marloes_pw", "nl",
  "link naar het nieuwe rooster staat op https://intranet.pootwijs.local/rooster/week12 voor wie hem zoekt",
  [CON])
C("emp", "linkedin", "samira-bouzid-dierenarts", "en",
  "Proud of our clinical team! Just finished the first draft of our 2027 guidelines for feline kidney disease (it's stamped 'uitsluitend intern' so don't tell anyone I mentioned it 😄)",
  [CON])
C("pub", "reddit", "u/curious_catto", "en",
  "A friend who works at Pootwijs says 'Operatie Bever' is them buying up a whole bunch of independent clinics in the east. Anyone know more?",
  [CON, FIN])
C("emp", "mastodon", "@bram@dier.social", "en",
  "Spent all day on https://jira.pootwijs.nl/browse/VET-2231 — the migration ticket that refuses to die",
  [CON])
C("corp", "x", "@pootwijs", "nl",
  "Vanaf vandaag: PootwijsPlan Senior! 🐾 Voor huisdieren vanaf 8 jaar, met een jaarlijkse Senior Check inbegrepen. Kijk op pootwijs.nl",
  [CON], when="2027-01-12T09:00:00+01:00")
C("emp", "bluesky", "@ruudkoster.bsky.social", "nl",
  "Budget voor Pr\u043eject N\u0430rwal is eindelijk rond 🎉 nu aan de slag",
  [CON], evasion=True)
C("emp", "x", "@ellenvos_dvm", "nl",
  "Wie gaat er mee naar de Z.w.a.l.u.w.s.t.a.a.r.t-training donderdag? 🐦",
  [CON], evasion=True)
C("emp", "threads", "@anouk.paravet", "nl",
  "haha kijk wat er op de printer bleef liggen: 'NIET EXTERN DELEN – nieuwe tarieven per 1 april' 📄 wie is er zo slordig",
  [CON])
C("pub", "x", "@roddelvet", "nl",
  "Hoor net van een assistente dat Pootwijs onder de codenaam Zwaluwstaart een eigen online dierenarts-app bouwt. Benieuwd!",
  [CON])

# ---- financial --------------------------------------------------------------
C("emp", "linkedin", "joost-hendriks-pootwijs", "nl",
  "Sneak preview: de jaarcijfers 2026 komen uit op €214 mln omzet en een EBITDA-groei van 18%. Trots op het hele team! Officiële publicatie volgt.",
  [FIN, CON], when="2027-02-20T16:30:00+01:00")
C("emp", "bluesky", "@ruudkoster.bsky.social", "nl",
  "Operatie Bever is rond: we nemen de 14 praktijken van DierenDokters Oost over. Aankondiging pas in september, dus mondje dicht 🤐",
  [FIN, CON])
C("emp", "x", "@ellenvos_dvm", "nl",
  "Mail van HR gekregen met 'uitsluitend intern' erboven: 8 praktijken dicht in Q2 en zo'n 60 fte eruit. Mijn praktijk staat op de lijst. Ik ben er kapot van.",
  [FIN, CON])
C("emp", "linkedin", "joost-hendriks-pootwijs", "en",
  "Q3 came in well above plan: revenue up 11% year on year and the best margin in our history. The numbers go out to the market next month, but I couldn't wait to thank our finance team 🙌",
  [FIN])
C("pub", "x", "@insider_zorgmarkt", "nl",
  "Scoop: Pootwijs zit in vergevorderde gesprekken over verkoop aan een private-equitypartij, waardering rond €600 mln. Bronnen binnen het bedrijf bevestigen. Aankondiging verwacht na de zomer.",
  [FIN])
C("emp", "bluesky", "@ruudkoster.bsky.social", "en",
  "Budget call today: we're forecasting a loss for 2026 in the north region and they want 3 practices merged by spring. Not public yet, so I'll leave it at that.",
  [FIN])
C("corp", "linkedin", "pootwijs-dierenklinieken", "nl",
  "CONCEPT – Pootwijs verwacht voor 2026 een omzetdaling van 6% en stelt de winstverwachting naar beneden bij. [NOG NIET PUBLICEREN, wacht op akkoord RvC]",
  [FIN])
C("emp", "instagram", "@dierenarts.noor", "nl",
  "Laatste maanden bij deze praktijk 😢 we worden samengevoegd met Amersfoort-Noord en de helft van de assistentes moet weg. Officieel hoort niemand het voor 1 juni.",
  [FIN])
C("emp", "threads", "@anouk.paravet", "en",
  "payroll just told us bonuses are cancelled because H1 missed target by €9m. numbers aren't out yet but yeah. vibes are bad",
  [FIN])
C("pub", "forum", "zorgbelegger", "nl",
  "Via een contact bij hun bank: Pootwijs heeft problemen met de convenanten en onderhandelt in stilte over herfinanciering. Nog niet naar buiten gebracht, dus neem het mee in je analyse.",
  [FIN])
C("emp", "linkedin", "samira-bouzid-dierenarts", "en",
  "Heard at today's all-hands that we'll be acquiring a chain of 9 clinics in Belgium early next year. Exciting times ahead for Pootwijs!",
  [FIN])

# ---- personal data ----------------------------------------------------------
C("corp", "x", "@pootwijs_helpt", "nl",
  "@anja_w Dank u wel. We hebben de terugbetaling van €38,50 klaargezet naar rekening <<IBAN_REFUND>> t.n.v. A. Willemsen, binnen 5 werkdagen op uw rekening.",
  [PII], kind="reply", ids=[("iban", "IBAN_REFUND")])
C("emp", "instagram", "@dierenarts.noor", "nl",
  "Happy 15th birthday Guus! 🎂 Zijn baasje mevrouw Ingrid Mulder (geboren 3 april 1958, ook jarig deze week!) kwam speciaal taart brengen naar de praktijk 🥰",
  [PII])
C("corp", "facebook", "PootwijsDierenklinieken", "nl",
  "Hoi Ruben, we hebben je gegevens doorgestuurd naar de praktijk: ruben.dijkstra88@hotmail.com / 06 41 28 73 95. Ze bellen je vandaag nog terug!",
  [PII], kind="comment")
C("pub", "x", "@hondje_bolt", "nl",
  "@pootwijs_helpt ik heb 2x betaald voor dezelfde enting, kunnen jullie het terugstorten op <<IBAN_OWN_SP>> t.n.v. M. Bakker? alvast bedankt",
  [PII], kind="reply", ids=[("iban", "IBAN_OWN")])
C("emp", "tiktok", "@paravet.lisa", "nl",
  "deze klant belde vandaag 6x over een teek 😂 nummer is 0612873340 als je ook eens gezellig wil bellen",
  [PII])
C("pub", "reddit", "u/confused_in_delft", "en",
  "Pootwijs asked me to email my BSN for the pet insurance claim?? Is that normal? It's <<BSN_CLAIM>> if that matters, I just want to know if it's safe to send",
  [PII])
C("emp", "linkedin", "samira-bouzid-dierenarts", "en",
  "Huge thanks to our long-time client Peter van Dam (born 12-08-1971) who donated €5,000 to our shelter programme this month!",
  [PII])
C("corp", "instagram", "@pootwijs.dierenklinieken", "nl",
  "@the.greyhound.guy sorry voor de verwarring! We hebben de no-show kosten teruggeboekt op kaart <<CARD_REFUND>>, zie je binnen een paar dagen terug.",
  [PII], kind="reply", ids=[("card", "CARD_REFUND")])
C("emp", "bluesky", "@ruudkoster.bsky.social", "en",
  "Could whoever took the call from Mrs Jansen (j.jansen.utrecht@ziggo.nl, +31 6 2047 8815) please ring her back about Max's biopsy results",
  [PII])
C("emp", "x", "@kevin_vdl_ops", "nl",
  "testdata voor de nieuwe export: 'Jeroen Smit, BSN <<BSN_TEST>>, IBAN <<IBAN_TEST_SP>>'... wie heeft er productiedata in de testomgeving gezet 🤦",
  [PII], ids=[("bsn", "BSN_TEST"), ("iban", "IBAN_TEST")])
C("corp", "youtube", "@PootwijsTV", "nl",
  "Hoi Sophie, we hebben je e-mailadres s.vermeulen@kpnmail.nl toegevoegd aan de wachtlijst voor de puppycursus! 🐶",
  [PII], kind="reply")
C("emp", "threads", "@anouk.paravet", "en",
  "lost & found: wallet left at the Ede clinic, belongs to a Linda Hoekstra, DOB 22/01/1990 on the ID, address Vondelstraat 41. DM me if you know her",
  [PII])
C("pub", "x", "@kees_en_kitty", "en",
  "paid twice at the Pootwijs webshop, the refund form won't accept my card so here's the number for whoever reads this: <<CARD_OWN>>",
  [PII], ids=[("card", "CARD_OWN")])

# ---- pricing ----------------------------------------------------------------
C("corp", "x", "@pootwijs", "nl",
  "🐶 Weekdeal! VitaPoot Adult Hond 12 kg nu voor maar €7,29 in onze webshop. Op = op!",
  [PRI], prices=[("PW-VITA-ADULT", 7.29)])
C("emp", "x", "@marloes_pw", "nl",
  "Ehm collega's, er staat een prijsfout in de webshop: de TrackPaw GPS-halsband voor €8,90. Wie meldt het bij e-commerce?",
  [PRI], prices=[("PW-TRACKPAW", 8.90)], price_error=True)
C("pub", "x", "@dealjager_nl", "nl",
  "PRIJSFOUT 🚨 TriGuard Spot-on 3-pack bij shop.pootwijs.nl voor €3,85 ipv €38,50. Snel zijn! #prijsfout #dealalert",
  [PRI], prices=[("PW-TRIGUARD", 3.85), ("PW-TRIGUARD", 38.50)], price_error=True)
C("pub", "reddit", "u/bargainhunter_eu", "en",
  "Pootwijs webshop has the Reismand Comfort M listed at €4.99 😂 ordered two, let's see if they honour it",
  [PRI], prices=[("PW-REISMAND", 4.99)])
C("corp", "instagram", "@pootwijs.dierenklinieken", "nl",
  "Nieuwe klant? Je eerste gebitsreiniging onder narcose voor maar €28,90 😮 alleen deze maand!",
  [PRI], prices=[("PW-GEBIT", 28.90)])
C("emp", "linkedin", "samira-bouzid-dierenarts", "en",
  "Our intro offer is live: PootwijsPlan Plus for just €34.80 for the whole first year! Share with every pet owner you know.",
  [PRI], prices=[("PW-PLAN-PLUS", 34.80)])
C("pub", "tiktok", "@kortingkoning", "nl",
  "yo pootwijs heeft een glitch, kattenenting kost €6,10 in de app?? 🤑 go go go",
  [PRI], prices=[("PW-VAC-KAT", 6.10)], price_error=True)
C("corp", "facebook", "PootwijsDierenklinieken", "nl",
  "Let op: door een prijsfout stond VitaPoot Kat Renal 4 kg gisteren verkeerd in onze webshop. Bestellingen die tegen die prijs zijn geplaatst, annuleren we helaas.",
  [PRI], price_error=True)
C("emp", "x", "@ellenvos_dvm", "en",
  "lol our booking site is offering the Senior Check for €11.90 right now, someone in marketing is having a day",
  [PRI], prices=[("PW-SENIOR", 11.90)])
C("pub", "forum", "pinguin_deals", "nl",
  "Echografie buik voor €16,50 bij Pootwijs via de actiepagina. Fout of echt? Iemand al geprobeerd?",
  [PRI], prices=[("PW-ECHO", 16.50)])
C("pub", "x", "@dealsdealsdeals", "nl",
  "p r i j s f o u t bij pootwijs: VermiClear voor € 1,49 😱 pak ze",
  [PRI], prices=[("PW-VERMI", 1.49)], price_error=True, evasion=True)
C("emp", "threads", "@anouk.paravet", "nl",
  "iemand heeft in de kassa de rabiësvaccinatie op €7,90 gezet ipv €79, hele ochtend zo afgerekend 🙈",
  [PRI], prices=[("PW-RABIES", 7.90), ("PW-RABIES", 79.0)], price_error=True)

# ---- benign (mostly hard negatives) ------------------------------------------
C("corp", "x", "@pootwijs", "nl",
  "Vragen over je afspraak? Mail naar klantcontact@pootwijs.nl of bel 088 766 8000 (ma t/m za 8-20 uur). 's Nachts spoed? Bel 0800-0247.")
C("corp", "facebook", "PootwijsDierenklinieken", "nl",
  "Liever per overschrijving betalen? Dat kan naar <<PROFILE_IBAN>> t.n.v. Pootwijs Dierenklinieken B.V., onder vermelding van je factuurnummer.")
C("pub", "x", "@pluis_en_ik", "nl",
  "Shoutout naar de spoeddienst van Pootwijs Utrecht, ze hebben Pluis vannacht gered 🧡 echte helden zijn het")
C("pub", "reddit", "u/wonkyhips_lab", "en",
  "Is PootwijsPlan Plus worth it? €348 a year seems steep but my lab has hips like a wonky shopping trolley. Anyone done the maths?",
  prices=[("PW-PLAN-PLUS", 348.0)])
C("corp", "instagram", "@pootwijs.dierenklinieken", "nl",
  "Najaarsactie 🍂 TriGuard Spot-on 3-pack nu €30,80 (was €38,50). Bescherm je maatje tegen teken en vlooien!",
  prices=[("PW-TRIGUARD", 30.80), ("PW-TRIGUARD", 38.50)])
C("corp", "x", "@pootwijs", "nl",
  "Deze week 15% korting op VitaPoot Puppy Start 3 kg: €25,45 in alle praktijken en online 🐕",
  prices=[("PW-VITA-PUPPY", 25.45)])
C("emp", "x", "@ellenvos_dvm", "nl",
  "Vandaag 11 katten gesteriliseerd, allemaal weer wakker en allemaal chagrijnig 😹 goed gedaan team")
C("pub", "x", "@sockeater_mum", "en",
  "My dog ate a sock. Again. The Pootwijs team got it out without surgery, absolute legends. Bill was fair too.")
C("emp", "mastodon", "@bram@dier.social", "en",
  "Reminder when writing docs: use the AWS sample credentials AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY, never anything real. Yes, I'm looking at you, past me.")
C("emp", "mastodon", "@bram@dier.social", "en",
  "We rotated everything after the training session. The README now just says GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx and the real ones live in the vault 🔐")
C("emp", "x", "@kevin_vdl_ops", "nl",
  "Stripe-sleutel in een logregel? Nee hoor, die maskeren we netjes: sk_live_•••••••••••••••• 😎 #security")
C("corp", "linkedin", "pootwijs-dierenklinieken", "nl",
  "Vandaag publiceren wij onze jaarcijfers 2026: €214 mln omzet, 60 praktijken en ruim 1.400 collega's. Lees het volledige jaarverslag op pootwijs.nl/jaarverslag",
  when="2027-03-04T09:00:00+01:00")
C("corp", "x", "@pootwijs", "nl",
  "PootwijsPlan Senior is er! Vanaf vandaag af te sluiten in al onze praktijken en online 🐾",
  when="2027-01-21T09:30:00+01:00")
C("pub", "x", "@zorgmarkt_nieuws", "nl",
  "Dierenkliniekketen VetNoord schrapt 80 banen en sluit 6 locaties, meldt het FD. Concurrenten als Pootwijs groeien juist door.")
C("pub", "reddit", "u/scamspotter_nl", "en",
  "PSA: the text about an 'unpaid Pootwijs invoice' with a payment link is a scam. Pootwijs has a warning about it on their own site. Don't click.")
C("pub", "x", "@coffeeandcats", "en",
  "Cat knocked my coffee off the desk and then looked me dead in the eye. Booking her a 'behaviour consult' at Pootwijs lol")
C("pub", "forum", "tweekatten_wendy", "nl",
  "Weet iemand of de kattenenting bij Pootwijs ook tegen niesziekte beschermt? Kost €61 bij ons, valt me eigenlijk mee.",
  prices=[("PW-VAC-KAT", 61.0)])
C("emp", "linkedin", "samira-bouzid-dierenarts", "en",
  "Happy to share that I've started as practice lead at Pootwijs Leiden! Looking forward to working with this brilliant team 🐾")
C("corp", "linkedin", "pootwijs-dierenklinieken", "nl",
  "Vacature: dierenarts gezelschapsdieren in Zwolle (32-40 uur). Interesse? Mail je cv naar werkenbij@pootwijs.nl")
C("pub", "x", "@sarahjaneNL", "en",
  "Update on the missed-appointment saga: Pootwijs called, apologised, waived the fee and gave Biscuit an extra check-up. Fair play, that's how you fix things 👍",
  when="2026-10-20T18:05:00+02:00")
C("pub", "facebook", "ria.vandenbroek", "nl",
  "Even rechtzetten: het teveel afgeschreven geld is inmiddels door Pootwijs teruggestort, met excuses. Netjes opgelost uiteindelijk.",
  kind="comment", when="2026-12-02T20:10:00+01:00")
C("pub", "instagram", "@ede_dierenvrienden", "nl",
  "Sterkte aan het hele team van Pootwijs Ede na de brand van vorige week. Fijn om te lezen dat alle dieren veilig zijn ❤️",
  when="2026-09-15T12:00:00+02:00")
C("pub", "x", "@loebas_de_labrador", "nl",
  "mijn hond 'lekt' echt elke keer als we bij Pootwijs binnenkomen, weer een plasje op de mat 🙈 sorry team")
C("pub", "tiktok", "@burritocat", "en",
  "this hack for getting your cat into the carrier actually works: towel burrito + treats 🌯🐱 thanks to the nurse at Pootwijs who showed me")
C("emp", "tiktok", "@paravet.lisa", "nl",
  "POV: de kat heeft de spoedkamer overgenomen en wij zijn slechts gasten 😹 #dierenartsassistent #pootwijs")
C("pub", "x", "@twijfelaar_tim", "nl",
  "Klopt dit rekeningnummer van Pootwijs wel? Op mijn factuur staat <<IBAN_BAD_SP>> maar mijn bank-app zegt dat het IBAN ongeldig is 🤔",
  fakes=[("iban", "IBAN_BAD")])
C("pub", "x", "@swappeddigits", "en",
  "Pootwijs webshop kept rejecting my card and I was about to rage-tweet... then realised I'd typed <<CARD_BAD>>, two digits the wrong way round 🤦 all sorted",
  fakes=[("card", "CARD_BAD")])
C("pub", "forum", "hondenmens_joke", "nl",
  "Lidnummer van mijn PootwijsPlan is <<BSN_BAD>>, waar vind ik dat terug in de app? Zie het nergens staan",
  fakes=[("bsn", "BSN_BAD")])
C("emp", "x", "@kevin_vdl_ops", "nl",
  "Ticket <<TICKET>> eindelijk dicht na 3 weken, de labelprinter in Gouda doet het weer 🎉",
  fakes=[("bsn", "TICKET")])
C("pub", "instagram", "@pupjebommel", "nl",
  "Bommel is gechipt bij Pootwijs 🐾 chipnummer <<CHIP>> staat in de databank, dus mocht hij ooit weglopen: hij komt wel thuis",
  fakes=[("card", "CHIP")])
C("corp", "youtube", "@PootwijsTV", "nl",
  "In deze video laat dierenarts Ellen zien hoe je thuis de tanden van je hond poetst 🪥 Toch een gebitsreiniging nodig? Plan een afspraak via pootwijs.nl")
C("pub", "x", "@renal_cat_mum", "en",
  "Shoutout to Dr. Samira at Pootwijs Leiden, she spent 40 minutes explaining my cat's kidney diet. VitaPoot Renal is €54.50, pricey, but Pixel is doing great on it.",
  prices=[("PW-VITA-RENAL", 54.50)])
C("emp", "x", "@ellenvos_dvm", "nl",
  "Twee dagen congres in Gent over kattengeneeskunde, hoofd zit vol. Morgen weer lekker aan het werk 🐈")
C("pub", "x", "@vetmarket_watch", "en",
  "DierenDokters Oost reported Q3 revenue up 4% this morning. Curious how the bigger chains like Pootwijs compare when they publish theirs.")
C("pub", "x", "@phish_checker", "en",
  "Checked it: the Pootwijs password reset mail really comes from noreply@pootwijs.nl and the link goes to mijn.pootwijs.nl. Legit, you can relax.")
C("corp", "x", "@pootwijs_helpt", "nl",
  "@hondje_bolt Vervelend! Stuur je je klantnummer even via een DM? En deel liever geen bankgegevens in een openbaar bericht 🙏",
  kind="reply")
C("corp", "instagram", "@pootwijs.dierenklinieken", "nl",
  "Dit is Kees, 14 jaar en nog altijd de baas van de wachtkamer in Pootwijs Zeist 👑 #seniorpet #pootwijs")
C("pub", "x", "@wormpjesweg", "nl",
  "VermiClear bij Pootwijs nu €11,95 ipv €14,95, mooi meegenomen want de katten moesten toch weer ontwormd",
  prices=[("PW-VERMI", 11.95), ("PW-VERMI", 14.95)])
C("pub", "reddit", "u/beagle_escape", "en",
  "TrackPaw GPS is €89 at Pootwijs, has anyone actually tried it? Our beagle is a professional escape artist",
  prices=[("PW-TRACKPAW", 89.0)])
C("emp", "bluesky", "@ruudkoster.bsky.social", "en",
  "Great session with our practice managers today on cutting waiting times. Lots of good ideas from the floor, now let's make them happen.")
C("pub", "x", "@nuchtere_nel", "en",
  "Another data breach, this time at a big health insurer. Thank god my vet (Pootwijs) only knows my cat's name and address 😅")
C("pub", "x", "@zwolle_dogmom", "en",
  "pootwijs zwolle >>> every other vet 🐾🔥 the new nurse there is sooo sweet with our little scaredy-cat")
C("corp", "linkedin", "pootwijs-dierenklinieken", "nl",
  "Dit jaar hebben we al 12.000 dieren gechipt! Chippen & registratie kost bij ons €45, inclusief registratie in de databank.",
  prices=[("PW-CHIP", 45.0)])
C("pub", "threads", "@madrid_with_max", "en",
  "Does anyone know if Pootwijs does the rabies jab and the pet passport on the same day? Flying to Spain in June with Max ✈️")
C("emp", "threads", "@anouk.paravet", "nl",
  "nachtdienst vannacht: 2 katers, 1 konijn met buikpijn en een papegaai die de hele tijd 'wachtwoord!' riep 🦜😂")
C("pub", "facebook", "marijke.hoogland", "en",
  "So sorry to everyone at Pootwijs Nijmegen, losing a colleague is awful. Dr. Hans looked after our dogs for 20 years. 🕯️",
  kind="comment")
C("pub", "x", "@blazende_bep", "en",
  "My cat is convinced the Pootwijs vet is an actual monster, hissed the whole time 😂 meanwhile that woman is an angel")
C("emp", "x", "@kevin_vdl_ops", "nl",
  "Mooie sessie vandaag over phishing-bewustzijn. Tip: check altijd de afzender, ook als het mailtje van 'je baas' lijkt te komen.")
C("pub", "x", "@techvet_nl", "nl",
  "Ransomware bij een Duitse dierenkliniekketen, systemen al een week plat. Best eng als je bedenkt dat ketens als Pootwijs ook alles digitaal hebben.")
C("corp", "tiktok", "@pootwijs", "nl",
  "Hoe krijg je een kat in de reismand? Wij testen 3 trucs met de Reismand Comfort M 🐱📦 welke werkt bij jou?")
C("pub", "x", "@nijmeegse_nerd", "en",
  "Pootwijs annual results 2026 are out today: 60 practices and still growing. Good for them.",
  when="2027-03-05T11:20:00+01:00")
C("pub", "forum", "plannenmaker", "en",
  "Quick q: can you pay for PootwijsPlan Basis monthly, or is it only the €228 for the year up front?",
  prices=[("PW-PLAN-BASIS", 228.0)])
C("pub", "forum", "hackathon_hanna", "en",
  "Fun fact for the nerds: every JWT starts with eyJ because that's base64 for {\" — learned that the hard way at a hackathon building a pet reminder app (no, not for Pootwijs, just a fan).")
C("pub", "reddit", "u/tandjes_tobi", "nl",
  "Valt de gebitsreiniging onder PootwijsPlan Plus of moet je die apart betalen? Kan het nergens vinden op de site")
C("emp", "linkedin", "joost-hendriks-pootwijs", "en",
  "Our FY2026 results are out: thank you to all 1,400 colleagues who made this possible. Full report on our website.",
  when="2027-03-04T10:15:00+01:00")
C("pub", "x", "@haarlem_hugs", "en",
  "Gave my vet the most awkward hug today. Pootwijs Haarlem team, you're stuck with me now")
C("pub", "instagram", "@mijn.kat.guus", "nl",
  "P O O T W I J S   T O P P E R S 🙌 Guus is weer helemaal de oude")
C("pub", "x", "@goedkoop_voer", "nl",
  "Waar is VitaPoot Adult het goedkoopst? Bij Pootwijs €72,95, bij de dierenwinkel hier €69",
  prices=[("PW-VITA-ADULT", 72.95), ("PW-VITA-ADULT", 69.0)])
C("corp", "x", "@pootwijs_helpt", "nl",
  "Let op: er gaan nep-sms'jes rond uit naam van Pootwijs. Wij vragen nooit om je pincode of inloggegevens per sms. Twijfel je? Bel 088 766 8000.")
C("pub", "x", "@ontroerd_op_maandag", "nl",
  "Fijn dat alles wat je met de dierenarts bespreekt vertrouwelijk blijft, zei de assistente van Pootwijs toen ik in de spreekkamer over mijn scheiding begon te huilen. Lieve mensen.")


# --------------------------------------------------------------------------- build
SEVERITY = ["none", "info", "warning", "error", "critical"]
ALL_CATS = {CPL, CRI, ABU, SEC, PII, PRI, CON, FIN, SCY}
ROLE = {}
for r in ("corporate", "employee"):
    for a in PROFILE["accounts"][r]:
        ROLE[a.lower()] = r


def role_of(platform, handle):
    return ROLE.get(("%s:%s" % (platform, handle)).lower(), "public")


VALID_IDS = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}
PROFILE_IBANS = {re.sub(r"\s", "", x).upper() for x in PROFILE["public_identifiers"]["ibans"]}


def find_checksummed(text):
    """Valid IBANs, Luhn cards and 11-proof BSNs in the text, the profile's own IBAN excluded."""
    out = []
    for m in re.finditer(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b", text):
        s = m.group(0).replace(" ", "")
        if iban_ok(s) and s not in PROFILE_IBANS:
            out.append(("iban", s))
    for m in re.finditer(r"(?<![\d.,])\d(?:[ -]?\d){12,18}(?![\d])", text):
        if luhn_ok(m.group(0)):
            out.append(("card", m.group(0)))
    for m in re.finditer(r"(?<![\d.,])\d{9}(?![\d])", text):
        if bsn_ok(m.group(0)):
            out.append(("bsn", m.group(0)))
    return out


def severity(cats, role, checksum_pii):
    lvl = 0
    own = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if own:
                s = 3
                if c in (SEC, PRI) or (c == PII and checksum_pii):
                    s = 4
            else:
                s = 2
        elif c == CPL:
            s = 2
        elif c == CRI:
            s = 3
        elif c == ABU:
            s = 3 if own else 2
        else:
            raise AssertionError(c)
        lvl = max(lvl, s)
    return SEVERITY[lvl]


def rand_time():
    start = dt.datetime(2026, 1, 3, 6, 0, 0)
    t = start + dt.timedelta(seconds=rng.randint(0, 351 * 86400))
    if rng.random() < 0.5:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    off = "+02:00" if 4 <= t.month <= 10 else "+01:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + off


order = list(range(len(CASES)))
rng.shuffle(order)
lines = []
meta = []
for n, i in enumerate(order, 1):
    c = CASES[i]
    role = role_of(c["platform"], c["handle"])
    created = c["when"] or rand_time()
    pid = "%s-206%04d" % (c["platform"], n)
    post = {"id": pid, "platform": c["platform"], "kind": c["kind"],
            "account": {"handle": c["handle"]}, "text": c["text"], "created_at": created}
    if rng.random() < 0.8:
        post["lang"] = c["lang"]
    if rng.random() < 0.6:
        post["brand"] = "pootwijs"
    if c["platform"] == "x" and rng.random() < 0.7:
        post["url"] = "https://x.com/%s/status/%d" % (c["handle"].lstrip("@"), rng.randint(10**18, 2 * 10**18))
    checksum_pii = bool(find_checksummed(c["text"]))
    exp = {"categories": c["cats"], "severity": severity(c["cats"], role, checksum_pii)}
    lines.append({"post": post, "expect": exp})
    meta.append((c, role))

with open(OUT, "w", encoding="utf-8") as f:
    for obj in lines:
        f.write(json.dumps(obj, ensure_ascii=False) + "\n")


# --------------------------------------------------------------------------- self-check
def fail(msg, obj=None):
    print("SELF-CHECK FAILED:", msg, "\n ", json.dumps(obj, ensure_ascii=False)[:400] if obj else "")
    sys.exit(1)


HOMO = str.maketrans({"а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "х": "x", "і": "i",
                      "у": "y", "к": "k", "м": "m", "т": "t", "в": "b", "н": "h",
                      "А": "A", "Е": "E", "О": "O", "Р": "P", "С": "C", "Х": "X", "І": "I",
                      "К": "K", "М": "M", "Т": "T", "В": "B", "Н": "H"})


def norm(t):
    t = unicodedata.normalize("NFKC", t)
    t = re.sub("[\u200b\u200c\u200d\u2060\ufeff\u00ad]", "", t)
    return t.translate(HOMO).lower()


def squeeze(t):
    return re.sub(r"[^0-9a-z]", "", norm(t))


def parse_ts(s):
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", s):
        return None
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
internal_terms = ([d.lower() for d in PROFILE["internal"]["domains"]]
                  + [c.lower() for c in PROFILE["internal"]["codenames"]]
                  + [m.lower() for m in PROFILE["internal"]["markers"]])
squeezed_terms = [squeeze(x) for x in PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"]]
embargoes = [([t.lower() for t in e["terms"]], parse_ts(e["until"])) for e in PROFILE["embargo"]]
products = {p["sku"]: p for p in PROFILE["products"]}
ratio = PROFILE["pricing"]["alert_below_ratio"]
pub_emails = {e.lower() for e in PROFILE["public_identifiers"]["emails"]}
pub_phones = set()
for p in PROFILE["public_identifiers"]["phones"]:
    d = re.sub(r"\D", "", p)
    pub_phones.add("0" + d[2:] if d.startswith("31") else d)

# profile sanity
for x in PROFILE["public_identifiers"]["ibans"]:
    if not iban_ok(x):
        fail("profile IBAN fails mod-97: " + x)
if not (6 <= len(PROFILE["accounts"]["corporate"]) and 8 <= len(PROFILE["accounts"]["employee"])):
    fail("profile account counts")
if len(PROFILE["internal"]["codenames"]) != 3 or len(PROFILE["internal"]["markers"]) != 3:
    fail("profile codenames/markers")
if not 15 <= len(PROFILE["products"]) <= 25 or ratio != 0.5:
    fail("profile products/pricing")
for e in embargoes:
    if e[1].year != 2027:
        fail("embargo until not in 2027")

ids_seen = set()
texts_seen = set()
for obj, (c, role) in zip(lines, meta):
    post, exp = obj["post"], obj["expect"]
    if set(obj) != {"post", "expect"} or set(exp) != {"categories", "severity"}:
        fail("shape", obj)
    for k in ("id", "platform", "text", "created_at"):
        if not isinstance(post.get(k), str) or not post[k]:
            fail("missing " + k, obj)
    if not isinstance(post.get("account", {}).get("handle"), str):
        fail("missing account.handle", obj)
    if not 1 <= len(post["id"]) <= 256 or post["id"] in ids_seen:
        fail("bad/duplicate id", obj)
    ids_seen.add(post["id"])
    if post["text"] in texts_seen:
        fail("duplicate text", obj)
    texts_seen.add(post["text"])
    if post["platform"] not in PLATFORMS or post["kind"] not in KINDS:
        fail("platform/kind", obj)
    if len(post["text"].encode("utf-8")) > 65536:
        fail("text too large", obj)
    ts = parse_ts(post["created_at"])
    if ts is None or ts.year not in (2026, 2027):
        fail("created_at", obj)
    if ts.year == 2027 and not c["when"]:
        fail("2027 date only for hand-set embargo cases", obj)
    cats = exp["categories"]
    if cats != sorted(set(cats)) or not set(cats) <= ALL_CATS:
        fail("categories", obj)
    if exp["severity"] not in SEVERITY:
        fail("severity value", obj)
    want_role = {"corp": "corporate", "emp": "employee", "pub": "public"}[c["who"]]
    if role != want_role:
        fail("account role %s != intended %s" % (role, want_role), obj)
    text = post["text"]
    benign = not cats
    if benign and exp["severity"] != "none":
        fail("benign severity", obj)
    if not benign and SEVERITY.index(exp["severity"]) < 2:
        fail("positive below warning", obj)
    # checksummed identifiers
    found = find_checksummed(text)
    for t, v in c["ids"]:
        if re.sub(r"\s", "", v) not in re.sub(r"\s", "", text) or not VALID_IDS[t](v):
            fail("declared valid %s missing/invalid" % t, obj)
    for t, v in c["fakes"]:
        if re.sub(r"\s", "", v) not in re.sub(r"\s", "", text) or VALID_IDS[t](v):
            fail("declared look-alike %s missing or passes its checksum" % t, obj)
    if found and PII not in cats:
        fail("valid IBAN/card/BSN in a post without leak.pii: %s" % found, obj)
    if c["ids"] and not found:
        fail("declared ids not found by scanner", obj)
    # e-mails and phones
    for tok in text.split():
        if "://" in tok:
            continue
        for m in re.finditer(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", tok):
            if m.group(0).lower() not in pub_emails and PII not in cats:
                fail("personal e-mail without leak.pii", obj)
    no_iban = re.sub(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b", " ", text)
    for m in re.finditer(r"(?<![\d\w])(?:\+31|0031|0)[\s\-()]*\d(?:[\s\-()]*\d){8}(?!\d)", no_iban):
        d = re.sub(r"\D", "", m.group(0))
        d = "0" + d[2:] if d.startswith("31") else ("0" + d[4:] if d.startswith("0031") else d)
        if d not in pub_phones and PII not in cats:
            fail("phone number without leak.pii: " + m.group(0), obj)
    # internal terms and embargo
    nt, st = norm(text), squeeze(text)
    has_internal = any(x in nt for x in internal_terms) or any(x in st for x in squeezed_terms)
    for terms, until in embargoes:
        if any(t in nt for t in terms) and ts < until:
            has_internal = True
        if any(t in nt for t in terms) and ts >= until and CON in cats:
            fail("embargo term after until labelled confidential", obj)
    if has_internal and CON not in cats:
        fail("internal term / pre-embargo term without leak.confidential", obj)
    # secrets
    for tok in re.findall(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", text):
        if github_ok(tok) and SEC not in cats:
            fail("valid GitHub token without leak.secret", obj)
    for tok in re.findall(r"\b(?:AKIA|ASIA)[A-Z2-7]{16}\b", text):
        if not tok.endswith("EXAMPLE") and SEC not in cats:
            fail("AWS key id without leak.secret", obj)
        if tok.endswith("EXAMPLE") and SEC in cats:
            fail("sample AWS key labelled secret", obj)
    for tok in re.findall(r"eyJ[\w-]+\.[\w-]+\.[\w-]+", text):
        if jwt_ok(tok) and SEC not in cats:
            fail("JWT without leak.secret", obj)
    if re.search(r"-----BEGIN [A-Z ]*PRIVATE KEY-----|sk_live_[0-9A-Za-z]{20}|xox[bp]-\d|glpat-[\w-]{20}|sk-ant-|sk-proj-", text) and SEC not in cats:
        fail("credential pattern without leak.secret", obj)
    if SEC in cats:
        if not c["secrets"]:
            fail("leak.secret without a generated secret", obj)
        for kind, v in c["secrets"]:
            if v not in text:
                fail("secret not in text", obj)
            if kind == "github" and not github_ok(v):
                fail("GitHub token CRC-32 check fails", obj)
            if kind == "aws" and not re.fullmatch(r"AKIA[A-Z2-7]{16}", v):
                fail("AWS key id format", obj)
            if kind == "jwt" and not jwt_ok(v):
                fail("JWT header has no alg", obj)
    # prices
    low = nt
    mentioned = {sku for sku, p in products.items()
                 if any(a.lower() in low for a in [p["name"]] + p["aliases"])}
    amounts = []
    for m in re.finditer(r"€\s?(\d+(?:[.,]\d{3})*(?:[.,]\d{1,2})?)(?!\s?(?:mln|m\b|k\b))", text):
        raw = m.group(1)
        if re.search(r"[.,]\d{2}$", raw):
            val = float(re.sub(r"[.,]", "", raw[:-3]) + "." + raw[-2:])
        else:
            val = float(re.sub(r"[.,]", "", raw))
        amounts.append(val)
    declared = c["prices"]
    for sku, v in declared:
        if sku not in mentioned:
            fail("declared price for a product not mentioned: " + sku, obj)
    if mentioned:
        for a in amounts:
            if not any(abs(a - v) < 0.005 for _, v in declared):
                fail("undeclared amount %.2f next to a product" % a, obj)
    below = [(sku, v) for sku, v in declared if v < ratio * products[sku]["list_price"]]
    if PRI in cats:
        if not mentioned:
            fail("pricing case without a product", obj)
        if not below and not c["price_error"]:
            fail("pricing case neither below ratio nor price-error talk", obj)
    elif below:
        fail("price below ratio in a post without leak.pricing", obj)
    if benign and c["price_error"]:
        fail("price error in benign", obj)

# mix
from collections import Counter
n = len(lines)
nb = sum(1 for o in lines if not o["expect"]["categories"])
cc = Counter(cat for o in lines for cat in o["expect"]["categories"])
langs = Counter(c["lang"] for c, _ in meta)
roles_pos = Counter((r, bool(c["cats"])) for c, r in meta)
if not 170 <= n <= 180:
    fail("case count %d" % n)
if not 55 <= nb <= 65:
    fail("benign count %d" % nb)
if not 0.50 <= langs["nl"] / n <= 0.60:
    fail("Dutch share %.2f" % (langs["nl"] / n))
targets = {CPL: 20, CON: 18, PII: 15, CRI: 15, SCY: 13, SEC: 12, ABU: 12, PRI: 12, FIN: 12}
for k, v in targets.items():
    if abs(cc[k] - v) > 3:
        fail("category %s count %d (target ~%d)" % (k, cc[k], v))
if sum(1 for c, _ in meta if c["evasion"]) < 4:
    fail("too few evasion cases")

print("OK: %d cases, %d benign, %d positive" % (n, nb, n - nb))
print("categories:", dict(sorted(cc.items())))
print("languages:", dict(langs), "nl share %.2f" % (langs["nl"] / n))
print("roles (role, positive):", dict(roles_pos))
print("severities:", dict(Counter(o["expect"]["severity"] for o in lines)))
