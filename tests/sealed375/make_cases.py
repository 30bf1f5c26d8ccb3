#!/usr/bin/env python3
"""Build the sealed evaluation set 375 for postwatch (Bremvelt Tuinen B.V.).

Deterministic: fixed seed, standard library plus PyYAML. Writes cases.jsonl beside
this file and then checks it: CONTRACT section 6 shape, checksums of every IBAN /
card / BSN (valid in positives, invalid in negatives), credential formats, embargo
windows, codenames, and severities computed from the account role in profile.yaml.
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
OUT = os.path.join(HERE, "cases.jsonl")

rng = random.Random(375_2026)

# ---------------------------------------------------------------------------
# generators for identifiers and credentials (built the way real ones are)
# ---------------------------------------------------------------------------
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits


def rand(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def b62(n, width=6):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return s.rjust(width, "0")


def github_token(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()))


def github_ok(tok):
    body, crc = tok[4:34], tok[34:]
    return len(tok) == 40 and b62(zlib.crc32(body.encode())) == crc


def aws_key_id():
    return "AKIA" + rand(string.ascii_uppercase + "234567", 16)


def aws_secret():
    return rand(ALNUM + "/+", 40)


def stripe_live():
    return "sk_live_51" + rand(ALNUM, 96)


def slack_bot():
    return "xoxb-%s-%s-%s" % (rand(string.digits, 12), rand(string.digits, 13), rand(ALNUM, 24))


def openai_key():
    return "sk-proj-" + rand(ALNUM + "-_", 74) + "T3BlbkFJ" + rand(ALNUM + "-_", 74)


def anthropic_key():
    return "sk-ant-api03-" + rand(ALNUM + "-_", 93) + "AA"


def google_key():
    return "AIza" + rand(ALNUM + "-_", 35)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt(payload):
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64url(bytes(rng.randrange(256) for _ in range(32)))
    return f"{head}.{body}.{sig}"


def openssh_private_key():
    pub = bytes(rng.randrange(256) for _ in range(32))
    blob = (b"openssh-key-v1\x00" + b"\x00\x00\x00\x04none" * 2 + b"\x00\x00\x00\x00"
            + b"\x00\x00\x00\x01\x00\x00\x00\x33\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + pub
            + bytes(rng.randrange(256) for _ in range(150)))
    b = base64.b64encode(blob).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def _iban_num(s):
    return int("".join(str(int(c, 36)) for c in s))


def iban_ok(iban):
    s = re.sub(r"\s", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return _iban_num(s[4:] + s[:4]) % 97 == 1


def make_iban(cc, bban):
    check = 98 - _iban_num(bban + cc + "00") % 97
    return f"{cc}{check:02d}{bban}"


def nl_iban(bank):
    return make_iban("NL", bank + rand(string.digits, 10))


def be_iban():
    first = rand(string.digits, 10)
    nat = int(first) % 97 or 97
    return make_iban("BE", f"{first}{nat:02d}")


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


def card(prefix):
    while True:
        body = prefix + rand(string.digits, 15 - len(prefix))
        for c in string.digits:
            if luhn_ok(body + c):
                return body + c


def bsn_ok(num):
    s = re.sub(r"\D", "", num)
    if len(s) != 9:
        return False
    tot = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return tot % 11 == 0 and s != "000000000"


def bsn():
    while True:
        first = str(rng.randint(1, 9)) + rand(string.digits, 7)
        r = sum(int(first[i]) * (9 - i) for i in range(8)) % 11
        if r < 10:
            return first + str(r)


def break_iban(good):
    """A look-alike that fails mod-97: one digit of the account number changed."""
    for pos in range(len(good) - 1, 8, -1):
        for c in "3719":
            cand = good[:pos] + c + good[pos + 1:]
            if cand != good and not iban_ok(cand):
                return cand
    raise AssertionError


# secrets and identifiers used in the positives
GHP = github_token("ghp_")
AKIA, AKIA_SECRET = aws_key_id(), aws_secret()
STRIPE = stripe_live()
SLACK = slack_bot()
OPENAI = openai_key()
ANTHROPIC = anthropic_key()
GOOGLE = google_key()
JWT = jwt({"sub": "crew-2291", "role": "buitendienst", "depot": "HTN", "iat": 1757400000, "exp": 1757403600})
SSHKEY = openssh_private_key()
DB_PW = rand(ALNUM, 10) + "!" + rand(ALNUM, 5)
PW_TABLET = "Snoeischaar#" + rand(string.digits, 4)

IBAN1 = nl_iban("INGB")
IBAN2 = nl_iban("ABNA")
IBAN3 = be_iban()
IBAN4 = nl_iban("TRIO")
CARD1 = card("4")
CARD2 = card("53")
BSN1 = bsn()

# look-alikes used in the negatives
BAD_IBAN = break_iban(nl_iban("RABO"))
BAD_CARD = "4929 1234 5678 9012"
BAD_BSN = "204781356"
FAKE_GHP = "ghp_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
COMPANY_IBAN = PROFILE["public_identifiers"]["ibans"][0]

# ---------------------------------------------------------------------------
# cases
# ---------------------------------------------------------------------------
CAT = {
    "C": "reputation.complaint", "Cr": "reputation.crisis", "A": "reputation.abuse",
    "S": "leak.secret", "P": "leak.pii", "Pr": "leak.pricing", "Conf": "leak.confidential",
    "F": "leak.financial", "Sec": "leak.security",
}
CASES = []


def add(platform, handle, lang, text, cats="", kind=None, when=None):
    CASES.append(dict(platform=platform, handle=handle, lang=lang, text=text,
                      cats=sorted(CAT[c] for c in cats.split()), kind=kind, when=when))


# ---- complaints -----------------------------------------------------------
add("x", "@annemiek_tuint", "nl",
    "@bremvelt al 3x een afspraak voor de snoeibeurt gehad en 3x kwam er niemand opdagen. Vrij genomen voor niks. Wat is dit voor service?? #bremvelt",
    "C", kind="reply")
add("facebook", "Ronald.Verschuur", "nl",
    "Graszoden vorige maand laten leggen (GrasKlaar) en nu is de helft geel en ligt los. Bellen heeft geen zin, je hangt 40 min in de wacht. Echt teleurgesteld in Bremvelt.",
    "C", kind="comment")
add("x", "@fieldsofjules", "en",
    "Paid Bremvelt for the Zilver maintenance contract and they've come round exactly once since March. Hedges look like a jungle. Anyone know how to get out of this contract?",
    "C")
add("reddit", "u/slootkantje", "en",
    "Warning for anyone around Utrecht considering Bremvelt Tuinen for a pond.\n\nOur Natuurvijver 3000 has been losing water since week one, the liner was clearly put in with a fold in it. They came back twice, 'fixed' it twice, still drops ~3cm a day. Now they say it's evaporation lol. Would not recommend.",
    "C")
add("instagram", "@huisjeboompjebeestje", "nl",
    "mooie plaatjes allemaal maar bij ons hebben jullie schaduwplanten vol in de zon gezet, na 3 weken alles verbrand 🙄 en het afval lieten jullie gewoon in de voortuin liggen",
    "C", kind="comment")
add("x", "@w_dekker70", "nl",
    "@bremvelt_klant factuur dubbel afgeschreven, 689 euro twee keer. Mail gestuurd op 2 mei, nog steeds geen reactie. Hallo??",
    "C", kind="reply")
add("threads", "@jess.outdoors", "en",
    "bremvelt guys chopped my beech hedge down to like half the height I asked for. I said trim not butcher. 6 years of growth gone 😤",
    "C")
add("forum", "tuinforum:kees_b", "nl",
    "Opzeggen van het onderhoudscontract bij Bremvelt is een drama. Aangetekende brief gestuurd, mail gestuurd, toch weer stilzwijgend een jaar verlengd en geïncasseerd. Iemand ervaring met de Geschillencommissie hiervoor?",
    "C")
add("x", "@ollie_grows", "en",
    "@bremvelt your 'smart' AquaRoot watered my patio for 3 nights straight while the borders died. App says all good. Support ticket open for 11 days now.",
    "C", kind="reply")
add("tiktok", "@saar.kijkt", "nl",
    "pov: je betaalt 2450 voor een tuinontwerp en krijgt een tekening die je neefje van 12 in paint had kunnen maken 💀 #bremvelt #nietaanteraden",
    "C")
add("facebook", "Gerda.Hoogland.Bunnik", "nl",
    "Bladservice besteld voor begin november. Ze kwamen half december toen alles al plat lag van de regen, en bliezen de helft bij de buren in de tuin. Buren woest op ons. Bedankt Bremvelt...",
    "C")
add("mastodon", "@rik@mastodon.nl", "en",
    "Third rescheduled visit from Bremvelt Tuinen this month. Every time the planner says 'the crew is sick'. Either the whole company has the flu or you sold more contracts than you have gardeners.",
    "C")

# ---- safety incidents told first-hand: crisis + complaint ------------------
add("x", "@dave_in_zeist", "en",
    "My LumaPad garden light set from Bremvelt caught fire last night. Transformer melted and scorched the fence. If I hadn't been outside it would've reached the shed. Installed by their own crew 2 weeks ago. @bremvelt_klant explain please.",
    "Cr C")
add("facebook", "Nicole.van.Dam.77", "nl",
    "Gisteren een flinke schok gekregen van de vijverpomp die Bremvelt vorige week heeft aangesloten. Kabel lag gewoon bloot onder de tegels. Mijn dochter had er net haar handen in het water gehad, ik moet er niet aan denken. Dit is levensgevaarlijk werk.",
    "Cr C")
add("instagram", "@mamavanmees", "nl",
    "De Maaibot M8 die we via Bremvelt hebben reed vanmiddag gewoon door terwijl mijn zoontje (4) ervoor stond. Noodstop deed NIKS. Snee in z'n voet, gelukkig geen hechtingen nodig. Hoe mag zoiets verkocht worden??",
    "Cr C")
add("x", "@karen_l_oost", "en",
    "After Bremvelt sprayed their 'organic' weed control on our lawn both kids came down with rashes and vomiting. GP thinks it's chemical. Nobody told us to keep them off the grass. Furious.",
    "Cr C")
add("x", "@bert_ijsselstein", "nl",
    "Tijdens de snoeibeurt van Bremvelt viel er een tak van zeker 2 meter op m'n auto. Voorruit eruit. Mijn vrouw stond er 5 seconden daarvoor nog naast. Geen afzetting, geen waarschuwing, niks.",
    "Cr C")

# ---- complaint + the customer's own personal data ---------------------------
add("x", "@henkvroosmalen", "nl",
    "@bremvelt_klant mijn mails komen blijkbaar nooit aan. Bel me gewoon terug op 06-41 87 29 53 of mail h.vanroosmalen@ziggo.nl, wacht al 2 weken op de hovenier",
    "P C", kind="reply")
add("facebook", "Sade.Okafor", "en",
    f"Bremvelt cancelled our garden design after we'd paid the deposit and nobody refunds it. For the 5th time: put the €450 back on {spaced(IBAN4)} (S. Okafor). It's not hard.",
    "P C")

# ---- abuse + complaint; abuse + crisis --------------------------------------
add("x", "@frankiev_030", "nl",
    "Die prutsers van Bremvelt hebben mijn hele border kapotgetrapt. Stelletje incompetente idioten, ik betaal geen cent meer.",
    "A C")
add("x", "@egelopvang_nico", "nl",
    "Boycot die dierenbeulen van Bremvelt. Tuig is het, stelletje k*tzooi dat egels door de maaibot laat vermalen en er dan om lacht #boycotbremvelt",
    "A Cr")

# ---- crisis ---------------------------------------------------------------
add("x", "@vogelwacht_houten", "nl",
    "BOYCOT BREMVELT! Vandaag in Houten een hele rij elzen gekapt MET broedende vogels erin. Filmpje in de reacties. Delen aub! #boycotbremvelt #broedseizoen",
    "Cr")
add("reddit", "u/grasmaaier_gerrit", "en",
    "Pretty sure Bremvelt Tuinen had a data breach. Got a phishing mail today with my full name, address AND the exact date of my last maintenance visit. Only they have that info. Anyone else?",
    "Cr")
add("x", "@zeistnieuws_fan", "en",
    "Local news: worker seriously injured by a wood chipper at a Bremvelt Tuinen job site in Zeist this morning. Labour inspectorate is investigating.",
    "Cr")
add("facebook", "Buurtapp.Lunetten", "nl",
    "Buurman van ons klaagt Bremvelt aan: sinds de aanleg van die 'natuurvijver' is zijn kelder drie keer ondergelopen. Zaak dient in september bij de rechtbank Midden-Nederland.",
    "Cr")
add("linkedin", "anouk-brink-fnv", "en",
    "Disturbing reports that Bremvelt's subcontractors pay seasonal workers €6 an hour cash, no contracts. If true that's exploitation, plain and simple. I'd like to hear the company's response.",
    "Cr")
add("x", "@straatjeoost", "nl",
    "TERUGROEPACTIE NODIG? Bij ons in de straat zijn al 3 LumaPad trafo's doorgebrand. Bremvelt moet die sets terughalen voordat er een huis afbrandt.",
    "Cr")
add("tiktok", "@lisa.zegt.het", "nl",
    "jongens dit is toch niet normaal?? bremvelt spuit gewoon gif naast de basisschool in amersfoort, de kinderen stonden erbij 🤢 #schandaal #bremvelt",
    "Cr")
add("x", "@mvdb_finance", "en",
    "Bremvelt customers: check your bank statements. Several people in our neighbourhood app report unauthorised direct debits from Bremvelt right after their site 'update'. Smells like customer data got out.",
    "Cr")
add("bluesky", "@dassenwerkgroep.bsky.social", "en",
    "Calling on everyone to stop hiring Bremvelt Tuinen until they explain why they bulldozed a protected badger sett in Leusden. Two animal welfare groups are filing charges this week.",
    "Cr")

# ---- abuse ----------------------------------------------------------------
add("x", "@tdk_1990", "nl",
    "@bremvelt jullie zijn echt de grootste oplichters van Utrecht, kankerbedrijf", "A", kind="reply")
add("instagram", "@not.a.gardener", "en",
    "lol your designer lotte has the taste of a blind goat. pathetic company full of clowns", "A", kind="comment")
add("x", "@jayjay_0348", "nl",
    "bremvelt h0v3n13rs zijn echt k4nk3rl1jers, st3ll3tj3 t4ckl3s 🖕", "A")
add("facebook", "Harm.Spijkerman", "nl",
    "Natuurlijk verknallen ze het, Bremvelt laat alleen maar Polen en andere buitenlanders werken die geen woord Nederlands spreken. Stuur ze allemaal terug.",
    "A", kind="comment")
add("x", "@treehater_nl", "en",
    "Hey @daan_snoeit you absolute moron, learn to hold a chainsaw before posting your shitty tree videos", "A", kind="reply")
add("x", "@ruudhovenier", "nl",
    "Weer zo'n zeurende klant in Bilthoven. Mevrouw, uw tuin is lelijk omdat ú lelijk bent. Wat een wijf.", "A")
add("tiktok", "@vanlife_mo", "en",
    "bremvelt = fucking scammers. hope your vans get keyed, every single one of them", "A", kind="comment")
add("x", "@marco_wbd", "nl",
    "@bremvelt_klant rot toch op met je 'we nemen zo snel mogelijk contact op'. Sukkels.", "A", kind="reply")
add("reddit", "u/hedgefundmanager_lol", "en",
    "Bremvelt's crew are a bunch of brаіnlеss wаnkеrs, every last one of them", "A", kind="comment")
add("mastodon", "@ilse@todon.nl", "nl",
    "Die Thijs van Bremvelt verkoop is een gluiperige slijmbal, belt je 5x per week. Laat me met rust, eikel.", "A")

# ---- confidential ---------------------------------------------------------
add("instagram", "@lotte.ontwerpt", "nl",
    "Sneak peek van waar we aan werken 🌱 het Regenbuffer Pro systeem: bufferkratten onder het gazon + slimme overloop. Launch is nog geheim dus sssst 🤫",
    "Conf", when="2026-09-17T18:42:05Z")
add("mastodon", "@sjoerdk@groen.social", "en",
    "Finally got the route optimiser for Hazelworm running against real data. Crew planning in 4 seconds instead of 40. Can't say more yet 😅",
    "Conf")
add("x", "@gj_vdlinden", "nl",
    "Iemand anders ook dat https://intranet.bremvelt.local/roosters zo traag is vandaag? Of ligt dat aan mijn laptop 🙃",
    "Conf")
add("threads", "@thijs.bremvelt", "nl",
    "Presentatie voor de dealerdag klaar ✔️ staat nog 'BREMVELT INTERN' op elke slide dus niet doorsturen haha, maar die nieuwe onderhoudsformules gaan echt lopen",
    "Conf")
add("instagram", "@bremvelt.tuinen", "nl",
    "Binnenkort bij ons: het Dakbos-pakket 🌳 een groen dak mét meerstammige boompjes erop. Meer info volgt!",
    "Conf", when="2026-10-02T10:00:00Z")
add("x", "@maxgardenbuild", "en",
    "My cousin at Bremvelt says their new Regenbuffer Pro drainage kit lands in spring and will undercut everyone on price 👀",
    "Conf", when="2026-11-21T20:13:40Z")
add("tiktok", "@milou.groen", "nl",
    "pov: je zit in de brainstorm voor O.p.e.r.a.t.i.e B.o.o.m.k.i.k.k.e.r en je mag thuis niet vertellen waar het over gaat 🐸🤐",
    "Conf")
add("x", "@daan_snoeit", "en",
    "Screenshot from our internal planning board (planning.bremvelt.local) so you can see how crazy autumn gets 🍂 every orange block is a tree job",
    "Conf")
add("facebook", "marieke.bosman.92", "nl",
    "Morgen de eerste demo van Haz\u200bel\u200bworm voor alle planners, spannend!! 🤞",
    "Conf")
add("linkedin", "yasmina-ouali-bremvelt", "en",
    "Sharing our new hybrid working policy with my network. The pdf still says 'vertrouwelijk alleen MT' in the header but honestly it's too good not to share 👇",
    "Conf")
add("forum", "hoveniersforum:groenman83", "nl",
    "Op het hoveniersforum rondt een pdf van Bremvelt met 'niet extern verspreiden' in de voettekst, de nieuwe tarieven en marges voor 2027 staan er allemaal in. Wie heeft 'm nog?",
    "Conf")
add("x", "@ruudhovenier", "en",
    "ｐｒｏｊｅｃｔ ｇｏｕｄｅｎｒｅｇｅｎ meeting ran 3 hours, my brain is mush",
    "Conf")
add("threads", "@thijs.bremvelt", "nl",
    "Collega's: de nieuwe offertetool staat live op https://erp.bremvelt.local/offerte — inloggen met je gewone account, feedback naar mij!",
    "Conf")

# ---- confidential + financial; secret + confidential; security + confidential
add("linkedin", "koen-wijnberg", "nl",
    "Drukke weken met Project Goudenregen. Als alles goed gaat nemen we in Q1 Hoveniersbedrijf De Wilde Linde over, 85 man personeel erbij. Nog even stil houden!",
    "Conf F")
add("x", "@gj_vdlinden", "nl",
    "Operatie Boomkikker betekent gewoon dat depot Amersfoort dichtgaat en er 40 man uit moeten. Lekker dan, en wij mogen niks zeggen.",
    "Conf F")
add("linkedin", "koen-wijnberg", "nl",
    "Laatste hand aan de jaarcijfers 2026: omzet +14% naar €38,2 mln, EBITDA-marge 11%. Trots op dit team! Publicatie begin maart.",
    "Conf F", when="2027-02-10T16:25:00Z")
add("mastodon", "@sjoerdk@groen.social", "en",
    "anyone know why git.bremvelt.local keeps rejecting this deploy key? pasting it so you can check the format\n\n" + SSHKEY,
    "S Conf")
add("x", "@gj_vdlinden", "nl",
    "Sinds 03:00 ligt vpn.bremvelt.nl eruit en het ziet ernaar uit dat er iemand binnen is geweest, alle planners zijn hun sessies kwijt. Nog niet naar buiten communiceren hè",
    "Sec Conf")

# ---- financial ------------------------------------------------------------
add("linkedin", "koen-wijnberg", "nl",
    "Forecast 2027 ligt er: we verwachten 9% minder omzet uit onderhoudscontracten. De bank is nerveus over de convenanten. Wordt een pittig jaar.",
    "F")
add("threads", "@thijs.bremvelt", "en",
    "Between us: Q3 bookings are down 22% vs last year. Sales team is getting squeezed hard 😬",
    "F")
add("x", "@sandra_utr", "nl",
    "Hoor van een vriendin die bij Bremvelt werkt dat ze volgende maand 60 mensen ontslaan, vooral in de onderhoudsploegen. Nog niet officieel.",
    "F")
add("linkedin", "yasmina-ouali-bremvelt", "nl",
    "Zware week voor HR. De reorganisatie gaat door: 3 van onze 7 vestigingen worden samengevoegd, de aankondiging komt pas na de zomer. Sterkte iedereen.",
    "F")
add("tiktok", "@milou.groen", "en",
    "storytime: our CEO just told us we're being bought by a private equity fund 👀 no announcement until the deal closes lol",
    "F")
add("linkedin", "bremvelt-tuinen-bv", "nl",
    "Aan alle medewerkers: de halfjaarcijfers (omzet €17,4 mln, verlies €1,1 mln) worden pas op 28 augustus gepubliceerd. Zorg dat niemand er vooraf iets over deelt.",
    "F")
add("reddit", "u/dutchdealwatch", "en",
    "Friend in finance at Bremvelt Tuinen says they're in talks to buy GreenLoop Hoveniers for roughly €12m. Nothing public yet.",
    "F")
add("facebook", "marieke.bosman.92", "nl",
    "Net gehoord dat de bonus dit jaar niet doorgaat want we halen de omzetprognose van 41 miljoen bij lange na niet 😞 ik zeg verder niks",
    "F")
add("x", "@ruudhovenier", "nl",
    "Morgen krijgen alle hoveniers te horen dat de winterploeg wordt opgeheven. 25 man op straat in november. Weet nog niemand behalve wij voormannen.",
    "F")

# ---- security -------------------------------------------------------------
add("x", "@gj_vdlinden", "en",
    "Day 2 of cleaning up after the ransomware. Customer portal still offline, we're telling people it's 'scheduled maintenance' 🙃",
    "Sec")
add("mastodon", "@sjoerdk@groen.social", "en",
    "Found out our customer portal shows you anyone's invoice if you just change the number in the URL. Reported it internally 3 weeks ago, still not fixed. Sigh.",
    "Sec")
add("facebook", "marieke.bosman.92", "nl",
    "Niemand kan vandaag in de planning, alle systemen liggen plat sinds die rare mail van gisteren. Klanten bellen zich suf en we mogen niks zeggen 😩",
    "Sec")
add("x", "@daan_snoeit", "nl",
    "Ons wachtwoordbeleid is trouwens een grap, de hele buitendienst logt op de tablets in met één en hetzelfde account en dat weet de halve wereld. Wachten tot het misgaat.",
    "Sec")
add("threads", "@thijs.bremvelt", "en",
    "IT just told us the sales CRM was accessed from an IP in Romania over the weekend. We're not supposed to tell customers yet. Awkward.",
    "Sec")
add("tiktok", "@milou.groen", "nl",
    "ehm de camera's in onze depots staan gewoon open op internet met de standaard login, een collega keek net vanaf z'n bank mee 😬",
    "Sec")
add("linkedin", "yasmina-ouali-bremvelt", "en",
    "Heads-up: our payroll provider got phished and bank details of some Bremvelt staff may be exposed. Official comms follow next week, so please keep it quiet till then.",
    "Sec")
add("x", "@exbremvelt_tech", "en",
    "Ex-Bremvelt here. Their AquaRoot controllers still ship with telnet open and the factory login. I flagged it a year ago, nothing happened.",
    "Sec")
add("x", "@gj_vdlinden", "nl",
    "De backupserver draait al 3 weken niet en niemand die het merkt behalve ik. Als er nu iets crasht zijn alle klantgegevens gewoon weg.",
    "Sec")
add("instagram", "@lotte.ontwerpt", "en",
    "No new designs this week, someone wiped our shared drive and IT thinks it was an intruder 😭 all my client files gone",
    "Sec")
add("x", "@bremvelt_klant", "nl",
    "Intern: de storing in de app is GEEN onderhoud maar een hack. Gebruik tot nader order de telefoonlijst en communiceer niks naar klanten.",
    "Sec")
add("forum", "tweakers:bitbucket_bas", "en",
    "Freelance dev, did a job for Bremvelt last year: their payment webhook endpoint doesn't verify anything, you can mark any order as paid with one POST. Reported it, got ignored.",
    "Sec")

# ---- secrets --------------------------------------------------------------
add("mastodon", "@sjoerdk@groen.social", "en",
    f"ugh CI keeps failing on the Bremvelt deploy. here's the token I'm using, tell me if it's the wrong scope: {GHP}",
    "S")
add("x", "@gj_vdlinden", "nl",
    f"Kan iemand checken waarom de upload naar S3 faalt?\naws_access_key_id = {AKIA}\naws_secret_access_key = {AKIA_SECRET}",
    "S")
add("facebook", "BremveltTuinen", "nl",
    f"Voor de nieuwe betaalpagina van de tuinwinkel, sleutel: {STRIPE}",
    "S")
add("threads", "@thijs.bremvelt", "en",
    f"the bot in our sales channel stopped posting, token is {SLACK} if anyone from IT reads this lol",
    "S")
add("instagram", "@lotte.ontwerpt", "nl",
    f"Ik laat nu plantschema's genereren via onze eigen tool 🤓 OPENAI_API_KEY={OPENAI}",
    "S")
add("x", "@daan_snoeit", "en",
    f"planning app logs me out every 5 min, this is the token it hands me, expired or what? {JWT}",
    "S")
add("x", "@gj_vdlinden", "nl",
    "Voor de ploegleiders die vanmiddag belden: wifi depot Houten\nnetwerk: BV-Depot-Houten\nwachtwoord: Haagbeuk!Zomer26",
    "S")
add("forum", "stackoverflow:pim_dev", "en",
    f"Stuck on the DB connection for the Bremvelt booking integration, here's my .env:\nDATABASE_URL=postgresql://bv_app:{DB_PW}@bremvelt-prod.cx81kq2mzt4a.eu-west-1.rds.amazonaws.com:5432/bookings",
    "S")
add("mastodon", "@sjoerdk@groen.social", "nl",
    f"Onze klantenservice-bot draait nu op Claude, werkt echt goed. Config voor wie mee wil kijken: ANTHROPIC_API_KEY={ANTHROPIC}",
    "S")
add("x", "@ruudhovenier", "nl",
    f"ｗａｃｈｔｗｏｏｒｄ van de tablets in bus 4 is trouwens {PW_TABLET} als je hem kwijt bent jongens",
    "S")
add("youtube", "@BremveltTuinTV", "en",
    f"For the devs asking how the route map in our video works: Maps JavaScript API, key={GOOGLE}",
    "S", kind="comment")

# ---- personal data --------------------------------------------------------
add("x", "@bremvelt_klant", "nl",
    "@jdeboer_tuin Excuses! Onze ploeg komt morgen tussen 8 en 10 uur naar Kerkstraat 14 in Bunnik (J. de Boer). Tot dan!",
    "P", kind="reply")
add("instagram", "@lotte.ontwerpt", "en",
    "Before/after of Mrs. Hendriks' garden 😍 (Esdoornlaan 7, Zeist) — she's happy to be a reference, just call her on 06 28 47 19 03!",
    "P")
add("facebook", "BremveltTuinen", "nl",
    f"@Ayse Yilmaz de terugbetaling staat klaar naar IBAN {IBAN1}, excuses voor het lange wachten!",
    "P", kind="reply")
add("linkedin", "yasmina-ouali-bremvelt", "nl",
    f"Welkom aan onze nieuwe collega Bas Verhoef! 🌿 Voor de salarisadministratie nog even: BSN {BSN1}, start 1 maart.",
    "P")
add("x", "@gardenguy_ned", "en",
    f"@bremvelt_klant can I just pay the deposit by card? here you go: {spaced(CARD1)} exp 09/28, call me for the cvc",
    "P", kind="reply")
add("x", "@ruudhovenier", "nl",
    "Klant van vandaag: Henk Mulder, geboren 12-06-1948, staat nog elke dag in z'n moestuin. Respect!",
    "P")
add("instagram", "@bremvelt.tuinen", "en",
    "Congrats to our winner Emma Vos! 🎉 We'll send the voucher to emma.vos1987@gmail.com — check your inbox!",
    "P")
add("facebook", "marieke.bosman.92", "nl",
    "Planning morgen ploeg 2:\n08:00 fam. Bakker, Lindenlaan 3 Houten\n10:30 P. Schouten, Dorpsstraat 88 Odijk\n13:00 mevr. El Idrissi, Vinkenstraat 21 Bunnik",
    "P")
add("facebook", "Tuinen.Maarssen.Groep", "nl",
    "Wie kent die Karin van Leeuwen van de Prunuslaan 9 in Maarssen? Heeft haar hele tuin door Bremvelt laten vervangen door beton. Bel haar zelf maar: 06-19283746",
    "P")
add("x", "@daan_snoeit", "en",
    f"customer's card got declined on the mobile terminal 3 times: {CARD2}. does Bremvelt even take Amex as a backup?",
    "P")
add("linkedin", "bremvelt-tuinen-bv", "en",
    "Please welcome our new trainee Noor Bakker (born 03/11/2004) to the design team! 🌿",
    "P")
add("mastodon", "@sjoerdk@groen.social", "nl",
    "Klant wil een offerte voor een vlonder, kan iemand van sales haar mailen? t.janssen [at] kpnmail [dot] nl",
    "P")
add("threads", "@thijs.bremvelt", "nl",
    f"Nieuwe klant voor het Goud-contract 🎉 incasso voor meneer A. Visser loopt via {IBAN3}, kan finance dat oppakken?",
    "P")

# ---- pricing --------------------------------------------------------------
add("x", "@bremvelt", "nl",
    "🔥 Alleen dit weekend: Maaibot M8 voor €119! Op=op 🤖🌱", "Pr")
add("x", "@cheapskate_tom", "en",
    "is this a price error? Bremvelt webshop lists the Vijverset Natuur 3000 at €189 😳 ordered two just in case", "Pr")
add("threads", "@thijs.bremvelt", "nl",
    "Oeps, de Kweekkas Lindenhof staat op de site voor 219 euro i.p.v. 2190 😅 kan iemand van de webshop dat even fixen?", "Pr")
add("reddit", "u/koopjesjager", "en",
    "PSA: Bremvelt's Goud maintenance contract shows €129/year at checkout (normally €1290). Grab it before they notice", "Pr")
add("instagram", "@bremvelt.tuinen", "nl",
    "Nieuw in de tuinwinkel: Plantenbak Cortenstaal 120 voor maar €46,50 😍", "Pr")
add("facebook", "Wim.Koopjes", "nl",
    "Prijsfout bij Bremvelt?? Hardhouten vlonder 12m² voor €278 in de webshop. Wie durft?", "Pr")
add("tiktok", "@milou.groen", "en",
    "our LumaPad set shows €27.90 in the app today lol that's a glitch right?? 💡", "Pr")
add("x", "@nina_bouwt", "nl",
    "Tuinontwerp Compleet van Bremvelt nu €245 in de app, dat klopt toch niet haha. Meteen geboekt", "Pr")
add("linkedin", "koen-wijnberg", "nl",
    "Kleine prijsfout gisteren bij het Sedumdak 15 in de webshop, 40 bestellingen binnen voor we het zagen. Gaan we netjes afhandelen met de klanten.", "Pr")
add("tiktok", "@bremvelttuinen", "nl",
    "Schermwand Eiken 180 deze week voor €18,90 per stuk 😱 #deal #tuin", "Pr")
add("facebook", "BremveltTuinen", "nl",
    "Boomsnoei XL nu €38,50 per boom! Boek snel via de app 🌳", "Pr")
add("x", "@p1mp_m1jn_tu1n", "nl",
    "prijsfout!! Haagpakket Beuk 10 m voor € 42 bij bremvelt, rennen", "Pr")

# ---- benign (hard negatives mostly) ---------------------------------------
add("x", "@familie_jonker", "nl",
    "Wat een metamorfose! Bremvelt heeft onze achtertuin omgetoverd tot een klein paradijs. Ploeg van Ruud was supervriendelijk en liet alles netjes achter 👏")
add("instagram", "@kidsandkoi", "en",
    "This pond is absolutely killer 🔥 thanks @bremvelt.tuinen, the kids haven't left the garden all week", kind="comment")
add("x", "@appeltje_eitje", "nl",
    "@bremvelt_klant vraagje: valt het snoeien van fruitbomen ook onder het Zilver contract of is dat apart?", kind="reply")
add("x", "@bremvelt_klant", "nl",
    "Vragen over je onderhoudscontract? Mail naar klantenservice@bremvelt.nl of bel gratis 0800-2736 (ma–vr 8–17 uur).")
add("facebook", "BremveltTuinen", "nl",
    f"Liever per overschrijving betalen? Dat kan op {spaced(COMPANY_IBAN)} t.n.v. Bremvelt Tuinen B.V. o.v.v. je factuurnummer.")
add("instagram", "@bremvelt.tuinen", "nl",
    "Voorjaarsactie 🌷 20% korting op de AquaRoot Smart: nu €503 i.p.v. €629. Geldig t/m 30 april.")
add("x", "@bremvelt", "en",
    "The Maaibot M8 is back in stock — €1,199 including installation and boundary wire.")
add("x", "@twijfelkont_joost", "nl",
    "Maaibot M8 bij Bremvelt voor 999, was 1199. Twijfel nog, iemand ervaring mee?")
add("facebook", "Ronald.Verschuur", "nl",
    "Update: vorige maand klaagde ik hier over de graszoden, maar Bremvelt is gisteren langs geweest en heeft alles gratis opnieuw gelegd. Netjes opgelost, complimenten!", kind="comment")
add("x", "@hovenier_historie", "nl",
    "Gecondoleerd aan iedereen bij Bremvelt met het overlijden van oud-directeur Henk Aalbers. Hij heeft de halve Utrechtse heuvelrug groen gemaakt.")
add("x", "@smallplot_sam", "en",
    "my garden leaks more secrets than a government, every neighbour knows exactly what I grow 😂 should've let Bremvelt plant that hedge")
add("x", "@groenevakbond", "nl",
    "Hoveniersbedrijf Meidoornhof uit Zwolle failliet, 30 man op straat. Triest voor de sector, hopelijk vinden ze snel iets nieuws.")
add("linkedin", "rachel-smit-security", "en",
    "Tuincentrum De Vlasbloem just disclosed a data breach affecting its loyalty members. Reminder to every SME with a webshop: patch, and turn on MFA.")
add("mastodon", "@sjoerdk@groen.social", "en",
    "TIL every AWS tutorial uses AKIAIOSFODNN7EXAMPLE as the access key 😄 please don't paste your real ones in chat, folks")
add("x", "@gj_vdlinden", "nl",
    "Reminder: tokens nooit in tickets plakken. Als het moet, zo: ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx ✅")
add("linkedin", "bremvelt-tuinen-bv", "en",
    "Our full-year results 2026 are out today: revenue €38.2m, up 14%. Read the full report on bremvelt.nl.",
    when="2027-03-05T07:30:00Z")
add("instagram", "@bremvelt.tuinen", "nl",
    "Eindelijk mogen we het laten zien: de Regenbuffer Pro! 💧 Vangt tot 2.000 liter regenwater op onder je gazon.",
    when="2027-04-02T09:15:00Z")
add("facebook", "Oplettende.Buurvrouw", "nl",
    f"Iemand ook een betaalverzoek gehad van 'Bremvelt' via WhatsApp? Rekening {BAD_IBAN}, lijkt me nep. Bremvelt vraagt nooit om betaling via WhatsApp.")
add("x", "@confused_carl", "en",
    f"Bremvelt order number is {BAD_CARD}?? looks like a credit card number lol")
add("x", "@zoektocht_z", "nl",
    f"Klantnummer {BAD_BSN} zegt de brief, maar in de app kan ik m'n contract nergens vinden. Waar moet ik kijken?")
add("linkedin", "bremvelt-tuinen-bv", "nl",
    "We zoeken hoveniers m/v/x voor regio Utrecht! 🌿 Stuur je cv naar vacatures@bremvelt.nl, een rijbewijs BE is een pré.")
add("x", "@bremvelt", "nl",
    "Tip: gebruik voor Mijn Bremvelt een sterk wachtwoord en deel het met niemand. Wij vragen er nooit om per mail of telefoon.")
add("instagram", "@koivijver_kees", "nl",
    "Onze vijver lekte als een gek, Bremvelt kwam binnen 2 dagen en vond de scheur in de folie. Nu weer kristalhelder 🐟")
add("x", "@bremvelt_klant", "nl",
    "Update: de storing in de Mijn Bremvelt app van vanochtend is verholpen. Excuses voor het ongemak!")
add("instagram", "@lotte.ontwerpt", "nl",
    "De goudenregen in deze tuin in Wijk bij Duurstede staat te knallen 💛 let wel op: giftig voor kinderen en huisdieren!")
add("reddit", "u/newbuild_nick", "en",
    "Got quoted €2,450 for Bremvelt's complete garden design package. Seems steep but the portfolio is great. Worth it?")
add("tiktok", "@milou.groen", "nl",
    "3 tips om je gazon de zomer door te krijgen: 1) vroeg sproeien 2) niet te kort maaien 3) bemesten in mei 🌱 #tuintips")
add("youtube", "@BremveltTuinTV", "en",
    "New video: how to prune a beech hedge without killing it ✂️ link in bio")
add("linkedin", "koen-wijnberg", "en",
    "Proud to have joined Bremvelt Tuinen as finance manager. Looking forward to helping this great company grow sustainably.")
add("tiktok", "@lightsbyliv", "en",
    "that lighting setup bremvelt did is FIRE 🔥🔥 the neighbours are so jealous", kind="comment")
add("x", "@daan_snoeit", "nl",
    "Vandaag een 25 meter hoge eik gesnoeid in Doorn. Klimgordel aan en gaan, mooiste werk dat er is 🌳")
add("x", "@petra_b_nieuwegein", "nl",
    "Shoutout naar Marieke van de planning bij Bremvelt, altijd vriendelijk en denkt echt mee 🙌")
add("mastodon", "@hass_hanneke@fosstodon.org", "en",
    "Does anyone run the AquaRoot irrigation controller with Home Assistant? Bremvelt support says it has an API but the docs are thin.")
add("x", "@hondenmens_ed", "en",
    "The Bremvelt mowbot is better trained than my dog tbh, at least it comes back when I call it 😂")
add("linkedin", "groene-vakprijs", "nl",
    "Mooi om te zien: Bremvelt Tuinen wint de Groene Vakprijs 2026 voor de daktuin op het stadskantoor van Nieuwegein. Gefeliciteerd!")
add("facebook", "BremveltTuinen", "en",
    "Storm damage in your garden? Call our emergency line +31 30 555 0142 and a crew will be there within 48 hours.")
add("mastodon", "@sjoerdk@groen.social", "en",
    "Debugging tip: only paste tokens into jwt.io if they're test tokens. In tickets we write them like eyJhbGciOi…<redacted> anyway 😉")
add("x", "@gj_vdlinden", "en",
    "Stripe test keys start with sk_test_ and are fine in docs, e.g. sk_test_4eC39HqLyjWDarjtT1zdp7dc, the one from Stripe's own examples.")
add("forum", "tuinforum:marjan_h", "nl",
    "Bij het koppelen van de AquaRoot aan de wifi: vul ik het wachtwoord in de app in of op het kastje zelf? Handleiding is daar vaag over.")
add("x", "@hedgewatcher_uk", "en",
    "Wild that the UK landscaping firm GreenSward is being sued over that sinkhole. Glad my local lot (Bremvelt) are careful with heavy machinery.")
add("instagram", "@blaadjesblazer", "nl",
    "Herfstbladservice voor €115 ipv €145 met de ledenkorting, top deal 🍂")
add("threads", "@thijs.bremvelt", "nl",
    "Zaterdag staan we op de Tuinbeurs in Houten, kom langs bij stand 14 voor een gratis tuinadvies! 🌼")
add("x", "@bremvelt_klant", "en",
    "@gardenguy_ned Sorry to hear that! Could you send your address and order number to klantenservice@bremvelt.nl? We'll sort it out.", kind="reply")
add("x", "@utrechtsgroen", "en",
    "Bremvelt was founded on 12-05-1987, so 39 years today! Congrats guys 🎉")
add("facebook", "BremveltTuinen", "en",
    "Our new depot is open at Handelsweg 22, Houten. Drop by for a look, coffee's on us ☕")
add("x", "@sunnysideup_nl", "en",
    "Sending love to the Bremvelt crews working through this heatwave. Stay hydrated folks ☀️")
add("x", "@onkruidhater", "en",
    "Weeds are the enemy of every garden but Bremvelt won the war 💪 finally a patio without grass poking through every crack")
add("tiktok", "@tuin.vibes", "nl",
    "m00iste tu1n van de str44t dankzij bremvelt 😎", kind="comment")
add("linkedin", "regio-amersfoort-nieuws", "en",
    "Bremvelt Tuinen announced this morning that it is opening a fourth depot in Amersfoort, creating around 20 jobs. Good news for the region.")
add("x", "@verhuisdoos_vera", "en",
    "How do I cancel my Brons contract with Bremvelt? Moving to Groningen in June, the new place only has a balcony haha")
add("x", "@diy_doug", "en",
    "Not Bremvelt related but FYI: a big DIY chain is recalling its cheap solar garden lights because the batteries overheat.")
add("linkedin", "yasmina-ouali-bremvelt", "en",
    "Candidates sometimes ask whether our interviews are kept confidential. Yes, always. Apply via vacatures@bremvelt.nl 🌱")
add("x", "@ruudhovenier", "nl",
    "Zondag eindelijk vrij, eigen tuintje doen. De schoenmaker en z'n slechte schoenen enzo 😂")
add("threads", "@greenroof_gina", "en",
    "Bremvelt quoted me €1,450 for the Sedumdak 15 green roof. Anyone know if the municipal subsidy covers part of it?")
add("facebook", "Jan.en.Riet.Zeist", "en",
    "Rang 0800-2736 this morning and had help within 5 minutes. That's how it should be!")
add("linkedin", "koen-wijnberg", "nl",
    "Druk met de afsluiting van het boekjaar, altijd een mooie uitdaging. De cijfers volgen zoals gebruikelijk in het voorjaar.")
add("x", "@slugslayer", "en",
    "Garden hack from the Bremvelt crew: coffee grounds around your hostas, slugs hate it ☕🐌")
add("instagram", "@frontyard_fenna", "en",
    "Still in shock at how good our front garden looks after the Bremvelt makeover 😍")
add("x", "@aandeelhouder_anne", "nl",
    "Jaarcijfers 2026 van Bremvelt gelezen: netjes gegroeid, vooral de onderhoudscontracten doen het goed.",
    when="2027-03-06T12:04:00Z")
add("mastodon", "@sjoerdk@groen.social", "en",
    f"Pro tip: GitHub tokens carry a checksum in the last 6 chars, so a scanner knows {FAKE_GHP} is fake 🤓")
add("x", "@bremvelt", "nl",
    "Zo, de Compostvat Duo is weer op voorraad: €89, gewoon de normale prijs, maar eindelijk leverbaar 🪱")
add("reddit", "u/tuinierende_tim", "nl",
    "Vraag: heeft iemand het Onderhoudscontract Goud van Bremvelt? €1290 per jaar klinkt veel, maar ze doen dan ook de bomen en de vijver toch?")
add("x", "@weekendhovenier", "en",
    "Bremvelt crews are the quiet heroes of my street. Always tidy, always on time. No complaints here 👌")

# ---------------------------------------------------------------------------
# assemble
# ---------------------------------------------------------------------------
ROLE = {}
for role in ("corporate", "employee"):
    for entry in PROFILE["accounts"][role]:
        plat, handle = entry.split(":", 1)
        ROLE[(plat.lower(), handle.lower())] = role


def role_of(platform, handle):
    return ROLE.get((platform.lower(), handle.lower()), "public")


# --- extractors shared by the severity computation and the self-checks ---
RX_IBAN = re.compile(r"\b(?:NL|BE|DE|FR|GB)\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
RX_CARD = re.compile(r"\b(?:\d{4}[ -]?){3}\d{4}\b")
RX_BSN = re.compile(r"\b\d{9}\b|\b\d{4}\.\d{2}\.\d{3}\b")
COMPANY_IBANS = {re.sub(r"\s", "", i) for i in PROFILE["public_identifiers"]["ibans"]}


def checksum_ids(text):
    """(kind, raw, valid) for every IBAN / card / BSN look-alike in text."""
    out = []
    for m in RX_IBAN.finditer(text):
        out.append(("iban", m.group(), iban_ok(m.group())))
    for m in RX_CARD.finditer(text):
        out.append(("card", m.group(), luhn_ok(m.group())))
    for m in RX_BSN.finditer(text):
        out.append(("bsn", m.group(), bsn_ok(m.group())))
    return out


RANK = ["none", "info", "warning", "error", "critical"]


def severity(cats, role, text):
    sev = 0
    own = role in ("corporate", "employee")
    valid_id = any(v and not (k == "iban" and re.sub(r"\s", "", r) in COMPANY_IBANS)
                   for k, r, v in checksum_ids(text))
    for c in cats:
        if c.startswith("leak."):
            if own:
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and valid_id):
                    s = 4
                else:
                    s = 3
            else:
                s = 2
        elif c == "reputation.complaint":
            s = 2
        elif c == "reputation.crisis":
            s = 3
        elif c == "reputation.abuse":
            s = 3 if own else 2
        else:
            raise AssertionError(c)
        sev = max(sev, s)
    return RANK[sev]


def rand_time():
    start = dt.datetime(2026, 1, 3, 6, 0, tzinfo=dt.timezone.utc)
    t = start + dt.timedelta(seconds=rng.randrange(int(dt.timedelta(days=359).total_seconds())))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def url_for(platform, handle, n):
    h = handle.lstrip("@")
    return {
        "x": f"https://x.com/{h}/status/19{n:017d}",
        "instagram": f"https://www.instagram.com/p/C{n:09d}/",
        "facebook": f"https://www.facebook.com/{h}/posts/{n}",
        "linkedin": f"https://www.linkedin.com/feed/update/urn:li:activity:7{n:018d}",
        "tiktok": f"https://www.tiktok.com/@{h}/video/73{n:017d}",
        "reddit": f"https://www.reddit.com/r/tuinieren/comments/{n:x}/",
    }.get(platform)


order = list(range(len(CASES)))
rng.shuffle(order)
lines = []
for seq, idx in enumerate(order, start=1):
    c = CASES[idx]
    n = 3750000 + seq * 7 + rng.randrange(7)
    post = {"id": f"{c['platform'][:2]}-{n}", "platform": c["platform"]}
    if c["kind"]:
        post["kind"] = c["kind"]
    elif rng.random() < 0.5:
        post["kind"] = "post"
    account = {"handle": c["handle"]}
    if rng.random() < 0.4:
        account["id"] = str(rng.randrange(10 ** 8, 10 ** 10))
    post["account"] = account
    post["text"] = c["text"]
    if rng.random() < 0.6:
        post["lang"] = c["lang"]
    post["created_at"] = c["when"] or rand_time()
    u = url_for(c["platform"], c["handle"], n)
    if u and rng.random() < 0.5:
        post["url"] = u
    if rng.random() < 0.3:
        post["brand"] = "bremvelt"
    role = role_of(c["platform"], c["handle"])
    expect = {"categories": c["cats"], "severity": severity(c["cats"], role, c["text"])}
    lines.append({"post": post, "expect": expect, "_role": role, "_lang": c["lang"]})

with open(OUT, "w", encoding="utf-8") as fh:
    for ln in lines:
        fh.write(json.dumps({"post": ln["post"], "expect": ln["expect"]}, ensure_ascii=False) + "\n")

# ---------------------------------------------------------------------------
# self-checks
# ---------------------------------------------------------------------------
errors = []


def fail(msg):
    errors.append(msg)


PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
ALL_CATS = set(CAT.values()) | {"reputation.spike"}
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
CYR = str.maketrans("аеіорсухАЕІОРСХВМНТК", "aeiopcyxAEIOPCXBMHTK")


def norm(s):
    s = unicodedata.normalize("NFKC", s)
    s = re.sub("[\u200b\u200c\u200d\u2060\ufeff]", "", s)
    return s.translate(CYR).lower()


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


ids = set()
parsed = [json.loads(l) for l in open(OUT, encoding="utf-8")]
for rec, meta in zip(parsed, lines):
    p, e = rec["post"], rec["expect"]
    pid = p.get("id")
    if set(rec) != {"post", "expect"}:
        fail(f"{pid}: top-level keys {set(rec)}")
    if not isinstance(pid, str) or not 1 <= len(pid) <= 256:
        fail(f"bad id {pid!r}")
    if pid in ids:
        fail(f"duplicate id {pid}")
    ids.add(pid)
    if p.get("platform") not in PLATFORMS:
        fail(f"{pid}: platform")
    if "kind" in p and p["kind"] not in KINDS:
        fail(f"{pid}: kind")
    if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
        fail(f"{pid}: account.handle")
    for k in ("id", "display_name"):
        if k in p["account"] and not isinstance(p["account"][k], str):
            fail(f"{pid}: account.{k}")
    t = p.get("text")
    if not isinstance(t, str) or not t or len(t.encode("utf-8")) > 65536:
        fail(f"{pid}: text")
    for k in ("lang", "url", "brand"):
        if k in p and not isinstance(p[k], str):
            fail(f"{pid}: {k}")
    if not isinstance(p.get("created_at"), str) or not RFC3339.match(p["created_at"]):
        fail(f"{pid}: created_at")
    ts = parse_ts(p["created_at"])
    if not (dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) <= ts < dt.datetime(2027, 5, 1, tzinfo=dt.timezone.utc)):
        fail(f"{pid}: created_at out of range")
    cats = e.get("categories")
    if not isinstance(cats, list) or cats != sorted(set(cats)) or not set(cats) <= ALL_CATS or "reputation.spike" in cats:
        fail(f"{pid}: categories {cats}")
    if e.get("severity") not in RANK:
        fail(f"{pid}: severity")
    if not cats and e["severity"] != "none":
        fail(f"{pid}: benign with severity")
    if cats and e["severity"] in ("none", "info"):
        fail(f"{pid}: positive with severity {e['severity']}")
    role = role_of(p["platform"], p["account"]["handle"])
    if e["severity"] != severity(cats, role, t):
        fail(f"{pid}: severity mismatch")

    positive = bool(cats)
    # checksummed identifiers
    for kind, raw, ok in checksum_ids(t):
        company = kind == "iban" and re.sub(r"\s", "", raw) in COMPANY_IBANS
        if positive and not ok:
            fail(f"{pid}: {kind} {raw} in a positive fails its checksum")
        if not positive and ok and not company:
            fail(f"{pid}: {kind} {raw} in a negative passes its checksum")
        if positive and ok and "leak.pii" not in cats:
            fail(f"{pid}: valid {kind} but no leak.pii")
    # credentials
    for m in re.finditer(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", t):
        ok = github_ok(m.group())
        if positive and not ok:
            fail(f"{pid}: github token checksum")
        if not positive and ok:
            fail(f"{pid}: valid github token in negative")
        if positive and "leak.secret" not in cats:
            fail(f"{pid}: github token without leak.secret")
    for m in re.finditer(r"\bAKIA[A-Z2-7]{16}\b", t):
        if not positive and "EXAMPLE" not in m.group():
            fail(f"{pid}: real-looking AWS key in negative")
        if positive and "EXAMPLE" in m.group():
            fail(f"{pid}: sample AWS key in positive")
    for m in re.finditer(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", t):
        h = m.group().split(".")[0]
        hdr = json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)))
        if "alg" not in hdr:
            fail(f"{pid}: JWT header without alg")
        if not positive:
            fail(f"{pid}: full JWT in negative")
    if re.search(r"sk_live_|xoxb-|sk-proj-|sk-ant-|AIza[0-9A-Za-z_-]{35}|BEGIN [A-Z ]*PRIVATE KEY|://[^/\s:]+:[^@\s]+@", t) and "leak.secret" not in cats:
        fail(f"{pid}: credential without leak.secret")
    # internal names and embargo windows
    nt = norm(t)
    internal_hit = [w for w in PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"] + PROFILE["internal"]["domains"]
                    if w.lower() in nt]
    if internal_hit and "leak.confidential" not in cats:
        fail(f"{pid}: {internal_hit} without leak.confidential")
    for emb in PROFILE["embargo"]:
        until = parse_ts(emb["until"])
        for term in emb["terms"]:
            if term.lower() in nt:
                if ts < until and "leak.confidential" not in cats:
                    fail(f"{pid}: embargo term {term!r} before until without leak.confidential")
                if ts >= until and "leak.confidential" in cats and not internal_hit:
                    fail(f"{pid}: embargo term {term!r} after until labelled confidential")
    # reputation posts mostly from the public, authors of the public not in the profile
    if role == "public" and any(h.lower() == p["account"]["handle"].lower() for (_, h) in ROLE):
        fail(f"{pid}: public handle collides with a profile handle")

# GitHub tokens generated must verify; the fake must not
if not github_ok(GHP) or github_ok(FAKE_GHP):
    fail("github checksum generator")
if not iban_ok(COMPANY_IBAN):
    fail("company IBAN fails mod-97")
for v in (IBAN1, IBAN2, IBAN3, IBAN4):
    if not iban_ok(v):
        fail(f"generated IBAN {v} invalid")
if iban_ok(BAD_IBAN) or luhn_ok(BAD_CARD) or bsn_ok(BAD_BSN):
    fail("a negative look-alike passes its checksum")
if not (luhn_ok(CARD1) and luhn_ok(CARD2) and bsn_ok(BSN1)):
    fail("generated card/BSN invalid")

# the mix
from collections import Counter

cnt = Counter(c for r in parsed for c in r["expect"]["categories"])
benign = sum(1 for r in parsed if not r["expect"]["categories"])
total = len(parsed)
want = {"reputation.complaint": (18, 23), "leak.confidential": (16, 21), "leak.pii": (13, 18),
        "reputation.crisis": (13, 18), "leak.security": (11, 16), "leak.secret": (10, 15),
        "reputation.abuse": (10, 15), "leak.pricing": (10, 15), "leak.financial": (10, 15)}
for k, (lo, hi) in want.items():
    if not lo <= cnt[k] <= hi:
        fail(f"count {k}={cnt[k]} outside {lo}-{hi}")
if not 170 <= total <= 180:
    fail(f"total {total}")
if not 55 <= benign <= 65:
    fail(f"benign {benign}")
nl = sum(1 for m in lines if m["_lang"] == "nl") / total
if not 0.50 <= nl <= 0.60:
    fail(f"dutch share {nl:.2f}")
leak_roles = Counter(m["_role"] for m in lines if any(c.startswith("leak.") for c in m["expect"]["categories"]))
rep_roles = Counter(m["_role"] for m in lines if any(c.startswith("reputation.") for c in m["expect"]["categories"]))
if leak_roles["public"] * 2 >= sum(leak_roles.values()) or leak_roles["public"] == 0:
    fail(f"leak authors {leak_roles}")
if rep_roles["public"] * 2 <= sum(rep_roles.values()):
    fail(f"reputation authors {rep_roles}")

if errors:
    print("SELF-CHECK FAILED", file=sys.stderr)
    for e in errors:
        print("  " + e, file=sys.stderr)
    sys.exit(1)
print(f"ok: {total} cases, {benign} benign, dutch {nl:.0%}, categories {dict(sorted(cnt.items()))}, "
      f"leak authors {dict(leak_roles)}, reputation authors {dict(rep_roles)}")
