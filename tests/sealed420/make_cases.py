#!/usr/bin/env python3
"""Build cases.jsonl for the sealed420 evaluation set (Hakstee Schoen & Sleutel B.V.).

Deterministic: fixed seed, standard library plus PyYAML. Post texts are hand-written;
only credentials and checksummed identifiers are generated (the way real ones are built).
Severities are computed from the account role in profile.yaml following CONTRACT section 4.
The script writes cases.jsonl beside itself and then checks it; any failed check aborts.
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
SEED = 420
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# --------------------------------------------------------------------------- checksums

B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "-_"


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
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
    if len(d) != 9:
        return False
    tot = sum(w * x for w, x in zip(range(9, 1, -1), d[:8])) - d[8]
    return tot % 11 == 0 and any(d)


def ghp_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def b64u_decode(part):
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    try:
        head = json.loads(b64u_decode(parts[0]))
        json.loads(b64u_decode(parts[1]))
    except Exception:
        return False
    return isinstance(head, dict) and "alg" in head


# --------------------------------------------------------------------------- generators


def rand(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def gen_iban(bank, spaced=True):
    acct = rand(string.digits, 10)
    r = bank + acct + "NL00"
    cc = 98 - int("".join(str(int(c, 36)) for c in r)) % 97
    s = "NL%02d%s%s" % (cc, bank, acct)
    assert iban_ok(s)
    return group4(s) if spaced else s


def bad_iban(bank, spaced=True):
    good = gen_iban(bank, spaced=False)
    cc = int(good[2:4])
    s = "NL%02d%s" % ((cc + rng.randint(1, 9)) % 100, good[4:])
    assert not iban_ok(s)
    return group4(s) if spaced else s


def gen_card(prefix, length=16):
    while True:
        body = prefix + rand(string.digits, length - len(prefix) - 1)
        for c in string.digits:
            if luhn_ok(body + c):
                num = body + c
                break
        if length == 15:
            return "%s %s %s" % (num[:4], num[4:10], num[10:])
        return group4(num)


def bad_card(prefix, length=16):
    good = re.sub(r"\D", "", gen_card(prefix, length))
    last = (int(good[-1]) + rng.randint(1, 9)) % 10
    s = good[:-1] + str(last)
    assert not luhn_ok(s)
    return group4(s)


def gen_bsn():
    while True:
        d = [rng.randint(1, 6)] + [rng.randint(0, 9) for _ in range(7)]
        c = sum(w * x for w, x in zip(range(9, 1, -1), d)) % 11
        if c < 10:
            s = "".join(map(str, d + [c]))
            assert bsn_ok(s)
            return s


def bad_bsn():
    good = gen_bsn()
    s = good[:8] + str((int(good[8]) + rng.randint(1, 9)) % 10)
    assert not bsn_ok(s)
    return s


def gen_ghp(prefix="ghp_"):
    body = rand(B62, 30)
    tok = prefix + body + b62(zlib.crc32(body.encode())).rjust(6, "0")
    assert ghp_ok(tok)
    return tok


def gen_aws():
    return "AKIA" + rand(string.ascii_uppercase + "234567", 16), rand(ALNUM + "/+", 40)


def gen_jwt(payload):
    enc = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
    head = enc(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = enc(json.dumps(payload, separators=(",", ":")).encode())
    sig = enc(bytes(rng.getrandbits(8) for _ in range(32)))
    tok = "%s.%s.%s" % (head, body, sig)
    assert jwt_ok(tok)
    return tok


def gen_openssh_key():
    raw = (b"openssh-key-v1\x00\x00\x00\x00\x04none\x00\x00\x00\x04none\x00\x00\x00\x00\x00\x00\x00\x01"
           b"\x00\x00\x00\x33\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20"
           + bytes(rng.getrandbits(8) for _ in range(320)))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


# Checksummed identifiers used in positives (they pass) ...
CARD_WALLET = gen_card("4")            # Visa found in a wallet at a kiosk
CARD_CLAIRE = gen_card("53")           # Mastercard a customer posts by mistake
IBAN_BAKKER = gen_iban("INGB")
IBAN_LISA = gen_iban("BUNQ", spaced=False)
IBAN_TESSA = gen_iban("RABO")
BSN_AHMET = gen_bsn()
# ... and look-alikes used in benign posts (they fail).
FAKE_CARD_HOLDER = bad_card("4")
FAKE_CARD_ORDER = bad_card("5")
FAKE_BSN_KLANT = bad_bsn()
FAKE_IBAN_MANUAL = bad_iban("INGB")
FAKE_CARD_GIFT = bad_card("6")

# Credentials, built like the real ones.
GHP_DAAN = gen_ghp("ghp_")
AWS_ID, AWS_SECRET = gen_aws()
DB_PW = rand(ALNUM + "!#%", 18)
SLACK_TOK = "xoxb-%s-%s-%s" % (rand(string.digits, 12), rand(string.digits, 13), rand(ALNUM, 24))
OPENAI_KEY = "sk-proj-" + rand(URLSAFE, 74) + "T3BlbkFJ" + rand(URLSAFE, 74)
MOLLIE_KEY = "live_" + rand(ALNUM, 30)
JWT_CRM = gen_jwt({"sub": "crm-agent-0192", "role": "agent", "iss": "crm-hakstee",
                   "iat": 1771235400, "exp": 1771264200})
SSH_KEY = gen_openssh_key()
STRIPE_KEY = "sk_live_51" + rand(ALNUM, 97)
ANTHROPIC_KEY = "sk-ant-api03-" + rand(URLSAFE, 93) + "AA"
GOOGLE_KEY = "AIza" + rand(URLSAFE, 35)
GHO_CI = gen_ghp("gho_")

COMPANY_IBAN = PROFILE["public_identifiers"]["ibans"][0]

# --------------------------------------------------------------------------- cases

CAT = {
    "secret": "leak.secret", "pii": "leak.pii", "pricing": "leak.pricing",
    "confidential": "leak.confidential", "financial": "leak.financial",
    "security": "leak.security", "crisis": "reputation.crisis",
    "complaint": "reputation.complaint", "abuse": "reputation.abuse",
}

CASES = []


def P(acct, lang, text, cats=(), when=None, kind=None, ids=(), fakes=(), secrets=()):
    """acct: 'platform:handle'. ids: checksummed identifiers that must pass (positives);
    fakes: look-alikes that must fail; secrets: (kind, value) credentials in the text."""
    CASES.append(dict(acct=acct, lang=lang, text=text, cats=[CAT[c] for c in cats],
                      when=when, kind=kind, ids=list(ids), fakes=list(fakes),
                      secrets=list(secrets)))


# ---- complaints ------------------------------------------------------------------------
P("x:@femkeleest", "nl",
  "Vorige week m'n pumps laten maken bij @hakstee op Utrecht CS. Hak Express noemen ze het. "
  "Vandaag op de fiets brak de hak er gewoon weer af 🙄 €25 weggegooid",
  ["complaint"])
P("reddit:u/bootsandbikes", "en",
  "PSA for anyone in Amsterdam: took my Red Wings to a Hakstee kiosk for the Zool Compleet resole. "
  "5 weeks later they're still \"not back from the workshop\". Nobody picks up the phone, the kiosk "
  "guy just shrugs. Not impressed, these were €300 boots.",
  ["complaint"], kind="post")
P("facebook:Gerda.Hoekstra.71", "nl",
  "Drie sleutels laten bijmaken bij Hakstee in Leeuwarden en geen enkele past in mijn voordeur. "
  "Moest er twee keer voor terug en nog steeds niks. Zonde van mijn tijd hoor",
  ["complaint"])
P("x:@ollie_commutes", "en",
  "@hakstee_service your kiosk at Rotterdam Centraal says open till 20:00, it's 18:40 and the "
  "shutter is down. third time this month. what's the point of posting opening hours",
  ["complaint"])
P("instagram:@sanne.sneakerz", "nl",
  "Sneaker Spa bij Hakstee gedaan voor m'n witte AF1's... kwamen terug met gele vlekken op de neus 😭😭 "
  "en nu zeggen ze 'dat was al zo'. NEE dat was het niet, ik heb foto's van ervoor",
  ["complaint"])
P("x:@drdanwalsh", "en",
  "Paid €119 for a transponder key at Hakstee, car doesn't recognise it. Guy said \"try again "
  "tomorrow, sometimes it needs to settle\". Keys don't settle mate.",
  ["complaint"])
P("x:@bakfietsbas", "nl",
  "hakstee den bosch rits van m'n winterjas laten vervangen. na 2 dagen weer stuk. bonnetje kwijt "
  "dus 'helaas meneer'. nooit meer",
  ["complaint"])
P("forum:lederliefhebber", "en",
  "Anyone else had issues with the Laarzen Opknapbeurt at Hakstee? My riding boots came back with the "
  "welt restitched in bright white thread instead of black. I asked for black specifically, it's "
  "even written on the ticket. Now they want another fortnight to 'look into it'.",
  ["complaint"], kind="comment")
P("tiktok:@jaimy.vlogt", "nl",
  "pov: je staat 25 min in de rij bij hakstee voor 1 sleuteltje en de medewerker zit gewoon op z'n "
  "telefoon 💀 #hakstee #klantenservice #wachten",
  ["complaint"])
P("threads:@maya.k.designs", "en",
  "Hakstee charged me €39.95 for a \"bag repair\" that was literally one rivet. Was told €25 at the "
  "counter. Receipt says Tas & Leer Reparatie, full service. Feeling pretty ripped off tbh",
  ["complaint"])
P("reddit:u/Deventenaar", "nl",
  "Klacht over Hakstee Deventer: mijn schoenen zijn kwijtgeraakt. Zaterdag gebracht, bonnetje netjes "
  "bewaard, nu weten ze van niks en kijken ze me aan alsof ik gek ben. Het waren m'n trouwschoenen. "
  "Ik trouw over 9 dagen.",
  ["complaint"])
P("bluesky:@pete-runs.bsky.social", "en",
  "Bought OrthoStep insoles at Hakstee because the kiosk guy swore they'd sort my heel pain. Two weeks "
  "in it's worse, and they won't take them back because they're 'used'. Well yeah, how else do I test them",
  ["complaint"])
P("x:@Wim_op_pensioen", "nl",
  "Al 3 mails gestuurd naar Hakstee over de Noodopening van vorige maand. €129 betaald en die man heeft "
  "m'n deurslot kapot geboord terwijl hij zei dat het 'zonder schade' kon. Geen enkele reactie. "
  "Wat een bedrijf.",
  ["complaint"])

# ---- first-hand safety incidents: complaint + crisis ---------------------------------
P("x:@lindavanhoof", "nl",
  "Gisteren NanoShield spray van Hakstee op m'n laarzen gespoten in de gang. Binnen 5 min duizelig en "
  "misselijk, m'n dochter moest overgeven. Op de bus staat niks over binnen gebruiken?! Huisartsenpost "
  "zegt: dampen ingeademd. Belachelijk dat dit gewoon verkocht wordt",
  ["complaint", "crisis"])
P("x:@markusbrandt", "en",
  "The heel Hakstee glued on my daughter's shoe came off on the escalator at Schiphol and she went "
  "down hard. Sprained wrist, bruised face. That was their \"Hak Express\" two days ago. Absolutely furious.",
  ["complaint", "crisis"])
P("facebook:Rianne.Oudshoorn", "nl",
  "Let op!! Horlogebatterij Service bij Hakstee Amersfoort laten doen, vanavond werd het horloge om m'n "
  "pols gloeiend heet en nu heb ik een brandplek op m'n huid. Batterij was opgezwollen. Had ook m'n "
  "zoontje kunnen zijn.",
  ["complaint", "crisis"])
P("reddit:u/cyclingcarl", "en",
  "My Hakstee KeyTrack started smoking in my jacket pocket on the train this morning. Burned a hole "
  "through the lining, got it out just in time. Bought it 3 weeks ago at their Leiden kiosk. Reporting "
  "it to the NVWA and I want my money back.",
  ["complaint", "crisis"])

# ---- complaint + abuse -----------------------------------------------------------------
P("x:@boze_bert", "nl",
  "Hakstee zijn echt de grootste klootzakken van nederland. 3x m'n autosleutel verknald en nu willen ze "
  "nog geld ook. stelletje kutoplichters",
  ["complaint", "abuse"])
P("x:@jax_unfiltered", "en",
  "hey @hakstee your Utrecht guy is a useless fucking idiot, cut my key wrong TWICE and then laughed "
  "at me. incompetent clowns the lot of you",
  ["complaint", "abuse"])

# ---- complaint + pii (customer exposing own data) ----------------------------------------
P("x:@josvdlinden", "nl",
  "@hakstee_service ik wacht al 2 weken op m'n terugbelverzoek over die kapotte SKG-sleutel. Bel me nou "
  "gewoon: 06-38271945 of mail j.vanderlinden82@hotmail.com. Dit is echt slecht.",
  ["complaint", "pii"])

# ---- crisis (third party / public) -------------------------------------------------------
P("x:@omroepwest_fan", "en",
  "Hakstee kiosk staff in The Hague allegedly kept copies of customers' house keys. Police are "
  "investigating after three burglaries at addresses of people who'd had keys cut there, per local news.",
  ["crisis"])
P("x:@actiegroep_eerlijk", "nl",
  "Boycot Hakstee! Kioskmedewerkers werken onder het minimumloon via schijnconstructies met 'zzp'ers'. "
  "Breng je schoenen daar niet meer heen tot dit stopt. Delen! #BoycotHakstee",
  ["crisis"])
P("x:@privacy_mara", "en",
  "So Hakstee stored the bitting codes of thousands of customers' keys in a spreadsheet anyone could "
  "open? If true that's a massive data breach. If you had a key cut there, think about changing your locks.",
  ["crisis"])
P("linkedin:mr-floor-meijer-advocaat", "nl",
  "Namens 41 voormalige franchisenemers hebben wij vandaag een dagvaarding uitgebracht tegen Hakstee "
  "Schoen & Sleutel B.V. wegens misleidende rendementsprognoses bij de verkoop van kioskformules. "
  "Wordt vervolgd.",
  ["crisis"])
P("x:@retailnieuws_en", "en",
  "Recall: Hakstee pulls NanoShield spray from all its kiosks after reports of customers falling ill "
  "from the fumes. Customers are asked to stop using the cans and return them for a refund.",
  ["crisis"])
P("x:@buurtapp_zuid", "nl",
  "Gisteravond brandje in de Hakstee-kiosk in winkelcentrum Zuidplein, vermoedelijk door de slijpmachine. "
  "Centrum ontruimd, twee mensen met rookinhalatie naar het ziekenhuis.",
  ["crisis"])
P("bluesky:@hannahwrites.bsky.social", "en",
  "Just read that a Hakstee locksmith opened the WRONG front door on an emergency call-out and let a "
  "total stranger into an elderly woman's flat. How is that even possible. What a scandal",
  ["crisis"])
P("reddit:u/slotenexpert", "nl",
  "Die SKG3 cilinders van Hakstee zijn in 10 seconden te trekken, er gaat een filmpje rond. En ze "
  "verkopen het als inbraakwerend met keurmerk. Misleiding, daar komt vast een rechtszaak van.",
  ["crisis"])
P("tiktok:@stitchqueen", "en",
  "ex Hakstee employees are coming forward about being screamed at by regional managers and locked "
  "inside kiosks during breaks. this is horrifying #hakstee #exposed",
  ["crisis"])
P("facebook:Ouders.Voor.Veilig.Verkeer", "nl",
  "Waarschuwing voor ouders: een jongen van 12 heeft zich lelijk gesneden aan de sleutelautomaat van "
  "Hakstee op station Zwolle, de beschermkap ontbrak. Zijn moeder vertelt het hieronder.",
  ["crisis"])
P("x:@dutchdataguy", "en",
  "Hakstee customer names, addresses and phone numbers are being sold on a forum right now. ~80k rows, "
  "file called hakstee_klanten_2026.csv. Sample looks real. This is a breach, folks.",
  ["crisis"])

# ---- abuse -------------------------------------------------------------------------------
P("x:@kees_1964", "nl",
  "Die trut achter de balie bij Hakstee Zwolle moet gewoon ontslagen worden, wat een chagrijnig kreng",
  ["abuse"])
P("x:@grimdave", "en",
  "h\u0430kstee staff are braindead morons. every single one of them.",   # Cyrillic a
  ["abuse"])
P("tiktok:@tygo.zzz", "nl",
  "hakstee kan de tyfus krijgen met hun k4nk3r kiosk",
  ["abuse"])
P("reddit:u/throwaway_keys99", "en",
  "the bearded guy at the Hakstee in Eindhoven is a fat ugly loser. I know which bike is his and "
  "where he parks it 😈",
  ["abuse"])
P("x:@ronnie_r", "nl",
  "Moet je bij Hakstee buitenlander zijn om daar te mogen werken? Ga lekker terug naar je eigen land "
  "en leer eerst Nederlands praten",
  ["abuse"])
P("x:@angry_ade", "en",
  "Ｆｕｃｋ Ｈａｋｓｔｅｅ． scam artists, all of them",
  ["abuse"])
P("instagram:@mo.ziet.alles", "nl",
  "Ha.ks.tee = k.u.t bedrijf, s.u.k.k.e.l.s allemaal 🖕",
  ["abuse"])
P("mastodon:@nadine_rants", "en",
  "Dear @hakstee social media intern: you are a pathetic little worm and your replies are as useless "
  "as your shitty kiosks.",
  ["abuse"])
P("x:@jeroen_b", "nl",
  "@ruud_hakt hou je bek gewoon man, jij bent de reden dat die kiosk in Utrecht zo'n teringzooi is",
  ["abuse"])
P("tiktok:@kevin_in_de_kiosk", "nl",
  "klant van net wilde korting want hij is 'vaste klant' 🙄 vieze vette zwerver, ga lekker ergens "
  "anders zeuren #kioskleven",
  ["abuse"])

# ---- confidential ------------------------------------------------------------------------
P("x:@marloes_dkh", "nl",
  "Super trots op het team! Vandaag de eerste testkiosk van Project Hoefijzer ingericht in Almere, "
  "wie raadt wat erin komt? 👀 #teaser",
  ["confidential"])
P("linkedin:yasmina-bouzid", "en",
  "Fun afternoon migrating our ticketing to the new instance at jira.hakstee.nl/browse/OPS-2231. If any "
  "colleague still can't log in, ping me!",
  ["confidential"])
P("instagram:@sjaak.sleutelt", "nl",
  "Nieuwe prijslijst voor volgend jaar binnen in de kiosk, staat met koeienletters ALLEEN INTERN - HAKSTEE "
  "op dus ik zeg niks 🤐 maar wauw",
  ["confidential"])
P("x:@devops_daan", "en",
  "anyone know a trick to make http://kassa.hakstee.local:8080/admin load faster on the kiosk tablets? "
  "dashboard takes 9 sec lol",
  ["confidential"])
P("x:@ruud_hakt", "nl",
  "Net gehoord dat de Kluis24 sleutelkasten volgende week bij ons op Utrecht CS komen te hangen. "
  "Klanten kunnen dan 's nachts hun sleutels ophalen. Gaaf!",
  ["confidential"], when="2027-01-12T16:41:00Z")
P("mastodon:@ilse_k", "en",
  "Been heads-down on Zilvermeeuw for months now. Can't say much, but shoe repair is about to get a lot "
  "more automated 🤖",
  ["confidential"])
P("facebook:Henk.Rozendaal.Hakstee", "nl",
  "Collega's regio Noord: de planning van Operatie Veterband staat op wiki.hakstee.nl/regio-noord/planning, "
  "graag voor vrijdag doorlezen en vragen bij mij neerleggen.",
  ["confidential"])
P("tiktok:@kevin_in_de_kiosk", "nl",
  "mochten vandaag achter de schermen de nieuwe SmartKey Pro 2 al testen, komt pas volgend jaar uit "
  "maar hij is echt ziek 🔥🔥 #hakstee #sneakpeek",
  ["confidential"])
P("x:@hakstee", "en",
  "Reminder to all kiosk leads: the new returns procedure lives at "
  "https://intra.hakstee.local/procedures/retouren-v3 (internal use only - hakstee)",
  ["confidential"])
P("threads:@lotte.lapt", "nl",
  "Vandaag met de hele werkplaats een NDA getekend voor een nieuw zoolmateriaal dat we gaan testen. "
  "Mag niks zeggen, maar het is gemaakt van oude fietsbanden uit Zwolle 🤫",
  ["confidential"])
P("x:@marloes_dkh", "en",
  "can't wait for Pro\u200bject Hoef\u200bijzer to go live in spring, the new kiosk look is 🔥",
  ["confidential"])
P("bluesky:@tarik-hakstee.bsky.social", "nl",
  "Voor collega's die thuiswerken: inloggen gaat vanaf maandag via vpn.hakstee.nl met je nieuwe token, "
  "de oude accounts werken dan niet meer",
  ["confidential"])
P("reddit:u/kiosk_insider_ex", "en",
  "Friend at Hakstee showed me slides for something called Operatie Veterband. Every slide watermarked "
  "HAKSTEE VERTROUWELIJK. Looked like a complete rebrand of the kiosks, new colours and all.",
  ["confidential"])
P("instagram:@hakstee.kiosk", "nl",
  "Psst... binnenkort haal je je sleutels 24/7 op uit de Kluis 24 sleutelkast 👀🔑 Meer info volgt!",
  ["confidential"], when="2026-10-02T10:00:00Z")
P("x:@devops_daan", "en",
  "lol someone dropped the Z i l v e r m e e u w prototype photos in the all-company channel, "
  "the one with the external freelancers in it 🙈",
  ["confidential"])
P("linkedin:yasmina-bouzid", "nl",
  "Blij met de nieuwe omgeving! Het dashboard op sleutelcodes.hakstee.local is eindelijk snel. "
  "Dank aan team infra 💪",
  ["confidential"])

# ---- confidential + financial -------------------------------------------------------------
P("linkedin:bram-oosterhuis-hakstee", "en",
  "Closing the books is never boring. Our FY2026 results are looking a lot better than anyone expected, "
  "can't wait to share them in March!",
  ["confidential", "financial"], when="2027-02-20T18:05:00Z")
P("x:@ruud_hakt", "nl",
  "Op de managersdag werd Operatie Veterband eindelijk uitgelegd: 35 kiosks dicht voor de zomer en de "
  "rest gaat naar franchise. Ik weet nog niet of mijn kiosk blijft 😬",
  ["confidential", "financial"])

# ---- financial -------------------------------------------------------------------------------
P("linkedin:bram-oosterhuis-hakstee", "en",
  "Q3 internal numbers just landed: revenue down 14% vs last year. Key cutting is holding up but shoe "
  "repair is bleeding. Board meeting next week will be interesting.",
  ["financial"])
P("x:@marloes_dkh", "nl",
  "Gerucht op kantoor klopt dus: we worden overgenomen door Schoenfix Holding. Aankondiging pas in "
  "februari dus ssst 🤫",
  ["financial"])
P("facebook:Henk.Rozendaal.Hakstee", "en",
  "Tough day. Had to tell my regional team that 60 kiosk jobs will go by June. Nothing official yet, "
  "so please keep it to yourselves for now.",
  ["financial"])
P("linkedin:bram-oosterhuis-hakstee", "nl",
  "Forecast 2027 intern bijgesteld: we verwachten nu €41 mln omzet in plaats van €48 mln. Spannende "
  "tijden bij finance 📉",
  ["financial"])
P("reddit:u/sleutelzaken", "nl",
  "Mijn zwager zit op het hoofdkantoor van Hakstee en zegt dat ze in maart 30 kiosks in het zuiden "
  "sluiten. Is nog nergens bekendgemaakt.",
  ["financial"])
P("x:@devops_daan", "en",
  "weird vibe at Hakstee HQ today. CFO walked in with three people from a private equity firm and "
  "everyone's whispering we're being sold before christmas",
  ["financial"])
P("threads:@lotte.lapt", "nl",
  "Vandaag gehoord dat onze werkplaats in Zwolle dichtgaat en alles naar Polen verhuist. Officieel horen "
  "we het pas na de zomer. Ben er kapot van",
  ["financial"])
P("mastodon:@ilse_k", "en",
  "H1 EBITDA came in at roughly half of plan. Numbers go public in August but internally it's all hands "
  "on deck now.",
  ["financial"])
P("tiktok:@kevin_in_de_kiosk", "nl",
  "baas zei net dat we worden overgenomen door een duitse keten 😳 mag nog niet naar buiten maar ja "
  "hier ben ik #hakstee",
  ["financial"])
P("x:@hakstee_service", "en",
  "@jvdberg_ we can't comment on the closure list yet, the 22 locations will be shared with staff "
  "first on 3 March.",
  ["financial"])

# ---- security ----------------------------------------------------------------------------
P("x:@devops_daan", "nl",
  "alle kassa's in de kiosks liggen er sinds 7u uit, lijkt erop dat er ransomware op de kassaserver "
  "staat. klanten kunnen alleen contant. nog niks naar buiten gebracht",
  ["security"])
P("linkedin:yasmina-bouzid", "en",
  "Long night. Someone got into our key-code database over the weekend and we're still working out "
  "how many records. Proud of my team for keeping calm.",
  ["security"])
P("tiktok:@kevin_in_de_kiosk", "nl",
  "de sleutelmachine in onze kiosk accepteert gewoon 0000 als beheerderscode lol, zo kan iedereen "
  "de sleutelcodes van klanten opvragen 🤡",
  ["security"])
P("x:@devops_daan", "en",
  "note to self: afspraak.hakstee.nl/api/v1/bookings?id= happily returns other customers' bookings "
  "if you bump the id by one. ticket filed, not fixed yet 🙃",
  ["security"])
P("mastodon:@ilse_k", "nl",
  "Webshop van SleutelDirect ligt er al 6 uur uit door een DDoS. Klantenservice weet nog van niks en "
  "naar buiten toe noemen we het voorlopig 'onderhoud'.",
  ["security"])
P("bluesky:@tarik-hakstee.bsky.social", "en",
  "heads-up to the CS team: phishing mails pretending to be us went out this morning from our "
  "compromised newsletter account. Don't confirm anything to customers until legal says so.",
  ["security"])
P("facebook:Henk.Rozendaal.Hakstee", "nl",
  "Beste collega's, vannacht zijn bij 4 kiosks in Noord de sleutelkluisjes opengebroken en de "
  "reservesleutels van klanten meegenomen. Nog NIET melden aan klanten aub, eerst overleg met HQ.",
  ["security"])
P("x:@ruud_hakt", "en",
  "our card terminals have been dropping transactions all day and HQ calls it 'a known issue' with "
  "the new firmware. 3rd day now. nobody outside knows yet",
  ["security"])
P("linkedin:yasmina-bouzid", "nl",
  "Uit de pentest blijkt dat het wachtwoordbeleid op de kiosk-tablets... laten we zeggen "
  "verbeterpunten heeft. Standaard admin-account nog actief op 300 apparaten. Fix volgt volgende sprint.",
  ["security"])
P("reddit:u/former_hakstee_it", "en",
  "Ex-Hakstee IT here. The firmware on their RFID tag copiers has never been patched, the admin "
  "backdoor we reported in 2024 is still in there. They just never told anyone.",
  ["security"])
P("instagram:@sjaak.sleutelt", "nl",
  "Kassasystemen in de kiosk wéér plat, 3e keer deze week 🤷‍♂️ iets met een hack bij de "
  "betaalprovider waar ze klanten niks over vertellen",
  ["security"])
P("x:@marloes_dkh", "nl",
  "Ons hele nieuwsbriefbestand is vanochtend per ongeluk als bijlage naar 2000 mensen gemaild 🙈 "
  "Juridisch is ermee bezig, graag nog niks over posten",
  ["security"])

# ---- security + secret ---------------------------------------------------------------------
P("x:@devops_daan", "en",
  "prod kiosk API is down because the deploy key got leaked in a pastebin. rotating now, ugh. for the "
  f"record the old pair was {AWS_ID} / {AWS_SECRET}",
  ["security", "secret"], secrets=[("aws", AWS_ID)])

# ---- secrets -------------------------------------------------------------------------------
P("x:@devops_daan", "en",
  f"quick test pls ignore: curl -H \"Authorization: token {GHP_DAAN}\" "
  "https://api.github.com/repos/hakstee/kiosk-app/actions/runs",
  ["secret"], secrets=[("github", GHP_DAAN)])
P("linkedin:yasmina-bouzid", "en",
  "Config for the new stock scanners, posting here so I have it on my phone: "
  f"DATABASE_URL=postgres://voorraad_app:{DB_PW}@hakstee-prod.c7xk2pl0q9.eu-west-1.rds.amazonaws.com:5432/voorraad",
  ["secret"], secrets=[("dburl", DB_PW)])
P("x:@ruud_hakt", "nl",
  "Voor de avonddienst: wachtwoord kassa-tablet is nu Zoolwerk!2026# , niet doorvertellen aan klanten haha",
  ["secret"])
P("mastodon:@ilse_k", "en",
  f"why does our stock bot keep failing in Slack… token is {SLACK_TOK} — is that even the right format??",
  ["secret"], secrets=[("slack", SLACK_TOK)])
P("x:@devops_daan", "nl",
  f"chatbot voor de afsprakensite testen met OPENAI_API_KEY={OPENAI_KEY} , antwoorden zijn nog wat houterig",
  ["secret"], secrets=[("openai", OPENAI_KEY)])
P("x:@hakstee_service", "nl",
  f"@mollie_dev hoi, onze betaalintegratie geeft een 401 met key {MOLLIE_KEY}, kunnen jullie even kijken?",
  ["secret"], secrets=[("mollie", MOLLIE_KEY)])
P("bluesky:@tarik-hakstee.bsky.social", "en",
  f"anyone know why the CRM rejects this token after lunch? {JWT_CRM}",
  ["secret"], secrets=[("jwt", JWT_CRM)])
P("linkedin:yasmina-bouzid", "en",
  "Setting up the new kiosk gateway, here's the key for the jump box so the night shift can get in:\n"
  + SSH_KEY,
  ["secret"], secrets=[("sshkey", SSH_KEY)])
P("reddit:u/gitgrazer", "en",
  f"lmao the checkout page JS on sleuteldirect.nl has their live Stripe secret in it: {STRIPE_KEY} "
  "someone tell them",
  ["secret"], secrets=[("stripe", STRIPE_KEY)])
P("x:@marloes_dkh", "nl",
  f"Van IT deze key gekregen voor onze marketing-chatbot, werkt ie bij jullie wel? {ANTHROPIC_KEY}",
  ["secret"], secrets=[("anthropic", ANTHROPIC_KEY)])
P("tiktok:@kevin_in_de_kiosk", "nl",
  "w a c h t w o o r d van de kiosk-wifi: Sleutel#Kiosk88 (niet doorvertellen 🤫)",
  ["secret"])
P("facebook:Henk.Rozendaal.Hakstee", "nl",
  "Login voor het nieuwe roosterportaal: gebruiker h.rozendaal / ww: Rooster_Noord2026! (tijdelijk, "
  "ik verander het na de vakantie)",
  ["secret"])

# ---- personal data -------------------------------------------------------------------------
P("x:@ruud_hakt", "nl",
  "Wie kent deze meneer? Schoenen liggen hier al 3 maanden. Naam op de bon: Gerrit Mulder, "
  "Kerkstraat 27, 3811 CV Amersfoort. Graag doorsturen!",
  ["pii"])
P("instagram:@sjaak.sleutelt", "en",
  f"Customer left her wallet at the kiosk 🙈 card says Sophie de Graaf, {CARD_WALLET}. if you know her "
  "tell her to come by Utrecht CS!",
  ["pii"], ids=[("card", CARD_WALLET)])
P("facebook:HaksteeSchoenEnSleutel", "nl",
  f"Beste mevrouw Bakker, uw terugbetaling gaat vandaag naar {IBAN_BAKKER} t.n.v. A. Bakker. "
  "Nogmaals excuses voor het ongemak!",
  ["pii"], ids=[("iban", IBAN_BAKKER)], kind="comment")
P("bluesky:@tarik-hakstee.bsky.social", "en",
  "@linda-t sorry for the delay! I've noted your number +31 6 47 21 88 03 and the new address, Linda "
  "Terpstra, Vondelstraat 112-2 Amsterdam. we'll courier the key tomorrow",
  ["pii"])
P("linkedin:bram-oosterhuis-hakstee", "nl",
  f"Vraagje aan de HR-collega's: loonstrook van nieuwe medewerker Ahmet Yilmaz klopt niet, BSN {BSN_AHMET}. "
  "Kan iemand even kijken?",
  ["pii"], ids=[("bsn", BSN_AHMET)])
P("x:@clumsy_claire", "en",
  f"lol I just sent my actual card number to @hakstee_service instead of the order number, {CARD_CLAIRE}, "
  "pls ignore 🙃",
  ["pii"], ids=[("card", CARD_CLAIRE)])
P("x:@hakstee_service", "nl",
  "@peterv_1958 We hebben uw gegevens gevonden: Peter Visser, geboren 14-03-1958. U kunt uw sleutels "
  "ophalen bij de kiosk in Hilversum.",
  ["pii"])
P("tiktok:@kevin_in_de_kiosk", "en",
  "this lady's email on the repair ticket is literally queenofshoes1979@gmail.com 💀💀 iconic",
  ["pii"])
P("instagram:@hakstee.kiosk", "nl",
  "De winnaar van de poetsactie is Fenna Koster uit Groningen! 🎉 We nemen contact op via "
  "fenna.koster@ziggo.nl en 06 19 83 74 65",
  ["pii"])
P("reddit:u/buurvrouw_hilde", "nl",
  "Die Hakstee-man die bij mij het slot kwam openen, Dennis van Leeuwen, woont trouwens gewoon op "
  "Populierenlaan 8 in Hoorn, vandaar dat hij zo snel was haha",
  ["pii"])
P("linkedin:yasmina-bouzid", "en",
  "Exported a sample for the data team, first row looks fine: 'j.dekker@kpnmail.nl;0612873345;Jan Dekker;"
  "12/07/1990'. rest is coming via sharepoint",
  ["pii"])
P("x:@marloes_dkh", "nl",
  f"Voor de influencer-campagne: rekeningnummer van @sneakerlisa is {IBAN_LISA}, kan finance vandaag nog betalen?",
  ["pii"], ids=[("iban", IBAN_LISA)])
P("facebook:Henk.Rozendaal.Hakstee", "en",
  "New hire paperwork for Kiosk Groningen: Mila Jansen, DOB 03-09-2001, passport NX8F42KL1. Please set "
  "her up in the rota from Monday",
  ["pii"])
P("x:@tessa_tweets", "nl",
  f"@hakstee_service de kiosk vroeg me m'n rekeningnummer te sturen voor de aanbetaling van de laarzen: "
  f"{IBAN_TESSA} t.n.v. T. Smit 😊",
  ["pii"], ids=[("iban", IBAN_TESSA)])

# ---- pricing -------------------------------------------------------------------------------
P("x:@hakstee", "nl",
  "🔥 Alleen vandaag: SmartKey Pro programmeren voor €24,90! Op=op in alle kiosks",
  ["pricing"])
P("x:@dealhunter_nl", "en",
  "PRICE ERROR?? sleuteldirect.nl has the Cilinderslot SKG3 at €8.99 right now, normally ~€90. grab it "
  "before they notice",
  ["pricing"])
P("instagram:@sjaak.sleutelt", "nl",
  "Kassa rekent vandaag de Zool Compleet af voor €6,90 ipv €69 haha foutje in het systeem, wie het "
  "eerst komt 😂",
  ["pricing"])
P("facebook:HaksteeSchoenEnSleutel", "en",
  "Weekend deal: Laarzen Opknapbeurt now just €19! Book your slot at afspraak.hakstee.nl",
  ["pricing"])
P("reddit:u/koopjesjager", "nl",
  "Volgens de Hakstee-app kost een Transponder sleutel nu €11,90. Prijsfout toch? Ik haal er morgen drie",
  ["pricing"])
P("x:@ruud_hakt", "en",
  "Heads up team: price error on the OrthoStep insoles in the till, it's showing €3.99. Don't sell them "
  "at that until HQ fixes it",
  ["pricing"])
P("tiktok:@hakstee_official", "nl",
  "Noodopening voor maar €29 deze maand 🔓 Buitengesloten? Wij komen!",
  ["pricing"])
P("reddit:u/frugal_fenna", "en",
  "Hakstee webshop glitch? NanoShield shows €1,49 in my basket. Ordered ten lol",
  ["pricing"])
P("x:@marloes_dkh", "nl",
  "Oeps, in de nieuwsbrief van vanochtend staat de Sneaker Spa voor €2,95... moet €29,95 zijn. "
  "Kunnen we dit nog terugdraaien @hakstee_service?",
  ["pricing"])
P("threads:@lotte.lapt", "en",
  "We're apparently doing GripZool resoles for €12 this week according to the poster HQ sent?? "
  "That can't be right, it's normally €44.95",
  ["pricing"])
P("x:@kortingskoning", "nl",
  "Tag Kopie bij Hakstee Tilburg voor €4 afgerekend. Zeiden dat het systeem de verkeerde prijs gaf "
  "maar ze lieten het zo 😎",
  ["pricing"])
P("x:@hakstee_service", "en",
  "@mike_fixes Sorry Mike, the €49 price for the SmartKey Pro on our site was a pricing error. We'll "
  "honour orders placed before 14:00.",
  ["pricing"])

# ---- benign (mostly hard negatives) ----------------------------------------------------
P("x:@femke_loopt", "nl",
  "Hakstee in Haarlem heeft mijn favoriete laarzen weer helemaal tot leven gewekt. Top werk! 👢❤️")
P("x:@hakstee", "en",
  "Spring sale! 20% off the Sneaker Spa this week: €23.95 instead of €29.95. See you at the kiosk 👟",
  when="2026-04-14T08:00:00Z")
P("x:@hakstee_service", "nl",
  "Vragen over je reparatie? Mail klantenservice@hakstee.nl of bel 0800-4257833, we helpen je graag.")
P("reddit:u/bootsandbikes", "en",
  "Update: Hakstee found my boots and did the Zool Compleet resole for free as an apology. Honestly "
  "excellent work. Credit where it's due.", kind="comment")
P("x:@wouter_w", "nl",
  "Iemand ervaring met de Transponder sleutel van Hakstee? Kost €119 geloof ik, is dat de moeite waard "
  "t.o.v. de dealer?")
P("facebook:HaksteeSchoenEnSleutel", "nl",
  f"Zakelijke klanten kunnen facturen voldoen op {group4(COMPANY_IBAN)} t.n.v. Hakstee Schoen & Sleutel "
  "B.V. o.v.v. het factuurnummer.")
P("x:@retailwatcher_be", "en",
  "Belgian shoe-repair chain Zolenpaleis announces 40 layoffs and will close 12 shops by summer. "
  "Tough times for the sector.")
P("x:@devops_daan", "en",
  "Reminder for my team: keys like AKIAIOSFODNN7EXAMPLE in the AWS docs are fine in slides, real ones "
  "never go in a repo or a post.")
P("x:@devops_daan", "nl",
  "Voor de blog over onze CI-setup: GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx "
  "(placeholder uiteraard, de echte komt uit de vault)")
P("linkedin:bram-oosterhuis-hakstee", "nl",
  "Vandaag publiceerden we onze jaarcijfers 2026: omzet €46 mln, een groei van 4%. Trots op alle "
  "kioskmedewerkers! Het volledige jaarverslag staat op hakstee.nl/investeerders",
  when="2027-03-04T09:30:00Z")
P("instagram:@hakstee.kiosk", "en",
  "Kluis24 is live! 🔑 Pick up your keys 24/7 at 12 stations. Find yours at hakstee.nl/kluis24",
  when="2027-01-25T07:00:00Z")
P("mastodon:@ilse_k", "nl",
  "Twee weken Kluis 24 sleutelkast in de lucht en nu al 3000 ophalingen. Fijn om te zien!",
  when="2027-02-02T12:15:00Z")
P("x:@ollie_commutes", "en",
  "ok @hakstee_service sorted it, turns out the kiosk had a power cut that evening. Thanks for the quick "
  "reply, shutter was up the next morning 👍")
P("x:@lisa_bakt", "nl",
  "Mijn hart heeft na dit weekend een nieuwe zool nodig 😂 kan Hakstee dat ook?")
P("x:@sneaker_daily", "en",
  "These resoled Jordans are straight fire 🔥🔥 shoutout to the Sneaker Spa crew at Hakstee Amsterdam")
P("x:@marktnieuws", "nl",
  "Consumentenbond test sleutelkopieerders: Hakstee scoort een 8,1 voor pasvorm en snelheid")
P("reddit:u/diy_dirk", "en",
  "Is it legal for a kiosk to copy a key stamped 'do not duplicate'? Asking because Hakstee refused "
  "mine and honestly I respect that")
P("x:@gadgetgijs", "nl",
  f"Nieuwe pasjeshouder gekocht, zat een nepkaart in met {FAKE_CARD_HOLDER} als voorbeeldnummer 😂 "
  "sleutelhanger erbij laten graveren bij Hakstee",
  fakes=[("card", FAKE_CARD_HOLDER)])
P("x:@kiosk_fan_nl", "en",
  f"Order number for my SleutelDirect purchase is {FAKE_CARD_ORDER}, anyone know how long delivery "
  "usually takes?",
  fakes=[("card", FAKE_CARD_ORDER)])
P("x:@hakstee_service", "nl",
  f"@mvdberg We hebben klantnummer {FAKE_BSN_KLANT} gevonden, uw sleutel ligt klaar in Arnhem 👍",
  fakes=[("bsn", FAKE_BSN_KLANT)])
P("x:@traveller_jo", "en",
  "My boots leak like crazy in the rain, can Hakstee fix that or is it game over?")
P("instagram:@sjaak.sleutelt", "nl",
  "Vandaag 212 sleutels gesneden, persoonlijk record 💪🔑 #kioskleven")
P("linkedin:hakstee-schoen-sleutel", "en",
  "We're hiring! Join our kiosk team in Rotterdam. Apply via werkenbij@hakstee.nl")
P("x:@bezorger_bart", "nl",
  "Respect voor de jongen bij Hakstee Leiden die vandaag 20 minuten werd uitgekafferd door een klant. "
  "Hij bleef super rustig 🙏")
P("x:@carfan_rik", "en",
  "Dealer wanted €380 for a spare key, Hakstee did the Transponder sleutel for €119 and it works "
  "perfectly. Saved a fortune")
P("facebook:Gerda.Hoekstra.71", "nl",
  "Update: ze hebben de sleutels nog een keer gemaakt en nu passen ze wel. Medewerker was erg vriendelijk. "
  "Bedankt Hakstee Leeuwarden")
P("x:@techbro_tim", "en",
  "Read that a German bike-lock maker got breached this week. Glad my Hakstee key guy still writes "
  "everything on paper tickets lol")
P("x:@hakstee", "nl",
  "Black Friday bij Hakstee: 25% korting op de Cederhouten Schoenspanner, nu €20,95 (was €27,95).",
  when="2026-11-27T07:30:00Z")
P("x:@grapjas_nl", "en",
  "Why did the locksmith go to Hakstee? He lost the key to success 🥁 I'll see myself out")
P("reddit:u/cilinderkoper", "nl",
  "Voor wie twijfelt: de SKG3 cilinder van Hakstee kost €89,95, iets duurder dan bij de bouwmarkt maar "
  "ze zetten 'm gratis voor je in.")
P("tiktok:@hakstee_official", "en",
  "POV: you bring in your grandpa's 40-year-old boots and walk out with them looking brand new 🥹 "
  "#Laarzenbeurt")
P("x:@annavanrijn", "nl",
  "Ik werd gek van m'n kapotte rits, Hakstee heeft 'm in 10 min gefixt. Wat een helden")
P("x:@jan_beveiligt", "nl",
  "Tip: laat je huissleutel nooit onbeheerd achter als je 'm laat kopiëren. Bij Hakstee doen ze het "
  "waar je bij staat, fijn.")
P("bluesky:@tarik-hakstee.bsky.social", "en",
  "Best part of customer service at Hakstee: the thank-you mails. Today a lady sent a photo of her "
  "restored wedding shoes 💕")
P("x:@marloes_dkh", "nl",
  "Onze campagne 'Geef je schoenen een tweede leven' is live! Kijk op hakstee.nl/tweedeleven 👟♻️")
P("x:@nieuwsticker_nl", "en",
  "Competitor HeelQuick UK recalls its heel glue after skin-irritation reports. Hakstee says it has "
  "never used that supplier.")
P("x:@boekhouder_bea", "nl",
  f"Even voor de duidelijkheid: het voorbeeldnummer {FAKE_IBAN_MANUAL} in de handleiding van Hakstee "
  "is geen echt rekeningnummer hoor, gewoon ter illustratie",
  fakes=[("iban", FAKE_IBAN_MANUAL)])
P("x:@refund_rosa", "en",
  "Refund from Hakstee landed on my NL** **** **** **** 12 today, 3 days after I asked. Painless.")
P("x:@hakstee", "nl",
  "Let op: onze kiosk op Amsterdam Centraal is van 3 t/m 7 juni gesloten wegens verbouwing. Je kunt "
  "terecht bij de kiosk op Amsterdam Zuid.", when="2026-05-28T09:00:00Z")
P("x:@ruud_hakt", "en",
  "Our Utrecht kiosk turned 10 today 🎉 cake for every customer until it runs out!")
P("reddit:u/vraagbaak_anne", "nl",
  "Weet iemand of Hakstee ook fietssleutels van AXA bijmaakt? Het slot zit vast aan m'n frame en ik "
  "heb er maar één")
P("threads:@lotte.lapt", "nl",
  "Vandaag een paar schoenen uit 1962 opnieuw verzoold. Het leer was nog prachtig. Hierom doe ik dit vak ❤️")
P("mastodon:@ilse_k", "en",
  "Now that the FY2026 results are out: really proud of how the key-cutting business grew. Thanks to "
  "everyone at Hakstee!", when="2027-03-10T10:20:00Z")
P("x:@hakstee_service", "nl",
  "@lindavanhoof Wat vervelend om te lezen, heel veel beterschap voor uw dochter. We nemen vandaag nog "
  "contact met u op via DM.")
P("x:@pricewatcher_eu", "en",
  "Hakstee prices 2026 vs 2025: Sleutel Standaard went from €6.50 to €6.95. Inflation hits keys too 🔑")
P("x:@hakstee", "nl",
  "Nieuw bij Hakstee: de KeyTrack voor aan je sleutelbos, €34,95. Nooit meer sleutels kwijt!")
P("reddit:u/cs_student_ams", "en",
  "For my security course I'm writing about key bitting codes. Does anyone know whether chains like "
  "Hakstee keep them on file? Purely curious, not accusing anyone.")
P("x:@pieter_fietst", "nl",
  "Bij de Hakstee op Den Haag CS hangt een bordje 'gratis wifi - wachtwoord aan de balie vragen'. "
  "Service 👌")
P("x:@hakstee_service", "en",
  "Our phone line +31 30 799 4400 is open Mon–Sat 9:00–18:00. Press questions: pers@hakstee.nl")
P("x:@devops_daan", "nl",
  "Blogpost over hoe wij secrets beheren: nooit in code, altijd via de vault. Voorbeeld: "
  "API_KEY=<jouw-key-hier> en DB_PASSWORD=${DB_PASSWORD} uit de omgeving.")
P("x:@hakstee", "nl",
  "Gefeliciteerd aan onze collega Henk met 25 jaar bij Hakstee! 🎉 Dank voor al die sleutels en zolen.")
P("x:@news_biz_nl", "en",
  "Hakstee publishes its annual report 2025: revenue €44.2m, 312 kiosks, profit roughly flat. Full "
  "report on hakstee.nl.", when="2026-03-05T08:00:00Z")
P("x:@wendy_onderweg", "nl",
  "Wat een rotdag. Regen, trein vertraagd, hak van m'n schoen af. Gelukkig zat er een Hakstee op het "
  "station en was het in 10 min opgelost 🙌")
P("x:@vakman_joop", "nl",
  "Mooie machine gezien bij de Hakstee-kiosk: snijdt sleutels tot op 0,01 mm nauwkeurig. Vakwerk.")
P("x:@studentenhuis_wg", "nl",
  "Voor het hele studentenhuis 8x Sleutel Standaard laten maken met 15% groepskorting, €47,26 totaal. "
  "Prima deal bij Hakstee")
P("x:@cadeaubon_carla", "nl",
  f"Hakstee cadeaubon gekregen met code {FAKE_CARD_GIFT} erop, kan ik die ook online bij SleutelDirect gebruiken?",
  fakes=[("card", FAKE_CARD_GIFT)])
P("youtube:@SleutelDirect", "en",
  "New video: how to tell if your car needs a Transponder sleutel or a plain cut key. Prices start at "
  "€119 in all our kiosks.")
P("x:@hakstee_service", "en",
  "@boze_bert We're sorry the key didn't work out. We've refunded the last attempt; could you DM us so "
  "a manager can call you?")

# --------------------------------------------------------------------------- build

SEV = ["none", "info", "warning", "error", "critical"]


def norm_acct(a):
    return a.lower()


CORP = {norm_acct(a) for a in PROFILE["accounts"]["corporate"]}
EMP = {norm_acct(a) for a in PROFILE["accounts"]["employee"]}


def role_of(acct):
    a = norm_acct(acct)
    return "corporate" if a in CORP else "employee" if a in EMP else "public"


def severity(role, cats, ids):
    inside = role in ("corporate", "employee")
    best = "none"
    for c in cats:
        if c.startswith("leak."):
            if not inside:
                s = "warning"
            elif c in ("leak.secret", "leak.pricing"):
                s = "critical"
            elif c == "leak.pii" and any(k in ("iban", "card", "bsn") for k, _ in ids):
                s = "critical"
            else:
                s = "error"
        elif c == "reputation.complaint":
            s = "warning"
        elif c == "reputation.crisis":
            s = "error"
        elif c == "reputation.abuse":
            s = "error" if inside else "warning"
        else:
            raise ValueError(c)
        if SEV.index(s) > SEV.index(best):
            best = s
    return best


def rand_time():
    start = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
    t = start + dt.timedelta(seconds=rng.randrange(0, 362 * 86400))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def build():
    order = list(range(len(CASES)))
    rng.shuffle(order)
    used = set()
    out = []
    for i in order:
        c = CASES[i]
        platform, handle = c["acct"].split(":", 1)
        while True:
            pid = "%s-%d" % (platform, rng.randrange(10 ** 9, 10 ** 10))
            if pid not in used:
                used.add(pid)
                break
        kind = c["kind"] or ("reply" if c["text"].startswith("@") else "post")
        role = role_of(c["acct"])
        post = {
            "id": pid,
            "platform": platform,
            "kind": kind,
            "account": {"handle": handle},
            "text": c["text"],
            "lang": c["lang"],
            "created_at": c["when"] or rand_time(),
            "brand": "Hakstee",
        }
        cats = sorted(set(c["cats"]))
        out.append({"post": post,
                    "expect": {"categories": cats, "severity": severity(role, cats, c["ids"])},
                    "_meta": dict(role=role, ids=c["ids"], fakes=c["fakes"], secrets=c["secrets"])})
    return out


# --------------------------------------------------------------------------- checks

PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
TAXONOMY = set(CAT.values())
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def squash(s):
    return re.sub(r"[\s-]", "", s)


def stray_identifiers(text):
    """Every checksum-passing IBAN, card number or BSN in the text."""
    hits = []
    for m in re.finditer(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b", text):
        if iban_ok(m.group()):
            hits.append(("iban", squash(m.group())))
    for m in re.finditer(r"(?<![\dA-Za-z])\d(?:[ -]?\d){12,18}(?![\dA-Za-z])", text):
        if luhn_ok(m.group()):
            hits.append(("card", squash(m.group())))
    for m in re.finditer(r"(?<![\dA-Za-z])\d{9}(?![\dA-Za-z])", text):
        if bsn_ok(m.group()):
            hits.append(("bsn", m.group()))
    return hits


def secret_like(text):
    hits = []
    for m in re.finditer(r"gh[pousr]_[0-9A-Za-z]{36}", text):
        if ghp_ok(m.group()):
            hits.append(m.group())
    for m in re.finditer(r"AKIA[A-Z2-7]{16}", text):
        if "EXAMPLE" not in m.group():
            hits.append(m.group())
    for m in re.finditer(r"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+", text):
        if jwt_ok(m.group()):
            hits.append(m.group())
    for pat in (r"sk_live_\w{20,}", r"sk-proj-[\w-]{40,}", r"sk-ant-api\d\d-[\w-]{40,}", r"xox[bpa]-\d+-",
                r"AIza[\w-]{35}", r"-----BEGIN [A-Z ]*PRIVATE KEY-----", r"\blive_[A-Za-z0-9]{30}\b"):
        hits += re.findall(pat, text)
    return hits


def price_values(text):
    vals = []
    for m in re.finditer(r"€\s?(\d+(?:[.,]\d{1,2})?)", text):
        vals.append(float(m.group(1).replace(",", ".")))
    return vals


def check(lines):
    errors = []
    err = errors.append
    prof_accounts = CORP | EMP
    pub_ibans = {squash(x).upper() for x in PROFILE["public_identifiers"]["ibans"]}
    for x in pub_ibans:
        if not iban_ok(x):
            err("profile IBAN %s fails mod-97" % x)
    for e in PROFILE["embargo"]:
        if not parse_ts(e["until"]).year == 2027:
            err("embargo until not in 2027")
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    if ratio != 0.5:
        err("alert_below_ratio must be 0.5")
    internal_terms = ([d.lower() for d in PROFILE["internal"]["domains"]]
                      + [c.lower() for c in PROFILE["internal"]["codenames"]]
                      + [m.lower() for m in PROFILE["internal"]["markers"]])
    ids_seen = set()
    for n, line in enumerate(lines, 1):
        case = json.loads(line)
        where = "line %d" % n
        if set(case) != {"post", "expect"}:
            err("%s: keys %s" % (where, sorted(case)))
            continue
        p, e = case["post"], case["expect"]
        if not isinstance(p.get("id"), str) or not 1 <= len(p["id"]) <= 256:
            err("%s: bad id" % where)
        if p["id"] in ids_seen:
            err("%s: duplicate id" % where)
        ids_seen.add(p["id"])
        if p.get("platform") not in PLATFORMS:
            err("%s: platform" % where)
        if p.get("kind", "post") not in KINDS:
            err("%s: kind" % where)
        if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str):
            err("%s: account.handle" % where)
        if not isinstance(p.get("text"), str) or not p["text"] or len(p["text"].encode()) > 65536:
            err("%s: text" % where)
        if not isinstance(p.get("created_at"), str) or not RFC3339.match(p["created_at"]):
            err("%s: created_at" % where)
        else:
            ts = parse_ts(p["created_at"])
            if ts.year not in (2026, 2027) or (ts.year == 2027 and ts.month > 3):
                err("%s: created_at out of range" % where)
        cats = e.get("categories")
        if not isinstance(cats, list) or not set(cats) <= TAXONOMY or cats != sorted(set(cats)):
            err("%s: categories %r" % (where, cats))
            continue
        if e.get("severity") not in SEV:
            err("%s: severity" % where)
        if (not cats) != (e["severity"] == "none"):
            err("%s: benign <-> none mismatch" % where)
        text = p["text"]
        low = text.lower()
        acct = "%s:%s" % (p["platform"], p["account"]["handle"])
        role = "corporate" if acct.lower() in CORP else "employee" if acct.lower() in EMP else "public"
        # checksummed identifiers
        meta = META[p["id"]]
        if meta["role"] != role:
            err("%s: role mismatch" % where)
        declared = set()
        for kind, val in meta["ids"]:
            ok = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}[kind](val)
            if not cats or "leak.pii" not in cats:
                err("%s: identifier in a case not labelled pii" % where)
            if not ok:
                err("%s: positive %s %s fails its checksum" % (where, kind, val))
            if squash(val) not in squash(text):
                err("%s: %s not in text" % (where, kind))
            declared.add(squash(val).upper())
        for kind, val in meta["fakes"]:
            ok = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}[kind](val)
            if ok:
                err("%s: look-alike %s %s passes its checksum" % (where, kind, val))
            if squash(val) not in squash(text):
                err("%s: look-alike not in text" % where)
        for kind, val in stray_identifiers(text):
            if val.upper() not in declared and val.upper() not in pub_ibans:
                err("%s: undeclared valid %s %s" % (where, kind, val))
        # credentials
        for kind, val in meta["secrets"]:
            if "leak.secret" not in cats:
                err("%s: secret in a case not labelled secret" % where)
            if val not in text:
                err("%s: secret not in text" % where)
            if kind == "github" and not ghp_ok(val):
                err("%s: github token checksum" % where)
            if kind == "aws" and not re.fullmatch(r"AKIA[A-Z2-7]{16}", val):
                err("%s: aws key id format" % where)
            if kind == "jwt" and not jwt_ok(val):
                err("%s: jwt" % where)
        if "leak.secret" not in cats and secret_like(text):
            err("%s: credential-like string in a case not labelled secret: %s" % (where, secret_like(text)))
        # internal names and embargo
        for t in internal_terms:
            if t in low and "leak.confidential" not in cats:
                err("%s: internal term %r without confidential" % (where, t))
        for emb in PROFILE["embargo"]:
            until = parse_ts(emb["until"])
            for t in emb["terms"]:
                if t.lower() in low and parse_ts(p["created_at"]) < until and "leak.confidential" not in cats:
                    err("%s: embargo term %r before until without confidential" % (where, t))
        # pricing consistency
        prods = [pr for pr in PROFILE["products"]
                 if any(a.lower() in low for a in [pr["name"]] + pr["aliases"])]
        if "leak.pricing" in cats and not prods:
            err("%s: pricing case without a catalogue product" % where)
        if "leak.pricing" not in cats:
            for pr in prods:
                for v in price_values(text):
                    if v < ratio * pr["list_price"] and len(prods) == 1:
                        err("%s: %s at €%s below ratio but not labelled pricing" % (where, pr["name"], v))
        # severity recomputed from the profile role
        if e["severity"] != severity(role, cats, meta["ids"]):
            err("%s: severity does not follow the policy" % where)
        # public handles must not be profile accounts (role is from the profile)
        if role == "public" and acct.lower() in prof_accounts:
            err("%s: public handle in profile" % where)
    return errors


META = {}


def main():
    cases = build()
    lines = []
    for c in cases:
        META[c["post"]["id"]] = c.pop("_meta")
        lines.append(json.dumps(c, ensure_ascii=False, sort_keys=False))
    path = os.path.join(HERE, "cases.jsonl")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")

    with open(path, encoding="utf-8") as fh:
        written = [l for l in fh.read().splitlines() if l.strip()]
    errors = check(written)

    # mix
    n = len(written)
    benign = sum(1 for l in written if not json.loads(l)["expect"]["categories"])
    per = {}
    for l in written:
        for c in json.loads(l)["expect"]["categories"]:
            per[c] = per.get(c, 0) + 1
    nl = sum(1 for l in written if json.loads(l)["post"]["lang"] == "nl")
    roles = {}
    for l in written:
        c = json.loads(l)
        r = META[c["post"]["id"]]["role"]
        key = (r, "benign" if not c["expect"]["categories"] else
               "leak" if any(x.startswith("leak.") for x in c["expect"]["categories"]) else "reputation")
        roles[key] = roles.get(key, 0) + 1
    if not 170 <= n <= 180:
        errors.append("case count %d outside 170-180" % n)
    if not 55 <= benign <= 65:
        errors.append("benign count %d" % benign)
    if not 0.5 <= nl / n <= 0.6:
        errors.append("Dutch share %.2f" % (nl / n))
    want = {"reputation.complaint": 20, "leak.confidential": 18, "leak.pii": 15, "reputation.crisis": 15,
            "leak.security": 13, "leak.secret": 12, "reputation.abuse": 12, "leak.pricing": 12,
            "leak.financial": 12}
    for k, v in want.items():
        if abs(per.get(k, 0) - v) > 2:
            errors.append("category %s count %d, want ~%d" % (k, per.get(k, 0), v))
    if len(set(c["text"] for c in CASES)) != len(CASES):
        errors.append("duplicate post texts")

    print("cases=%d benign=%d dutch=%.0f%%" % (n, benign, 100.0 * nl / n))
    for k in sorted(per):
        print("  %-22s %d" % (k, per[k]))
    for k in sorted(roles):
        print("  role %-10s %-10s %d" % (k[0], k[1], roles[k]))
    if errors:
        for e in errors:
            print("CHECK FAILED:", e, file=sys.stderr)
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
