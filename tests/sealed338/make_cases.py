#!/usr/bin/env python3
"""Build the sealed338 evaluation set for postwatch (Vorster Podiumgroep B.V.).

Deterministic: fixed seed, standard library + PyYAML. Writes cases.jsonl beside this
file and then checks it against CONTRACT section 4 and 6, the profile and the
checksum rules. Exits non-zero when a check fails.
"""
import base64
import datetime as dt
import json
import os
import re
import random
import string
import sys
import unicodedata
import zlib

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 338
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------
DIGITS = string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = B62
URLSAFE = B62 + "-_"


def iban_ok(iban):
    s = re.sub(r"[^0-9A-Za-z]", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(bank, account):
    base = bank + account
    for cc in range(2, 99):
        cand = "NL%02d%s" % (cc, base)
        if iban_ok(cand):
            return cand
    raise ValueError(base)


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def make_card(prefix, length=16):
    body = prefix + "".join(rng.choice(DIGITS) for _ in range(length - len(prefix) - 1))
    for c in DIGITS:
        if luhn_ok(body + c):
            return body + c
    raise ValueError


def bsn_ok(num):
    d = re.sub(r"\D", "", num)
    if len(d) != 9:
        return False
    tot = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return tot % 11 == 0 and int(d) != 0


def make_bsn():
    while True:
        head = str(rng.randint(1, 9)) + "".join(rng.choice(DIGITS) for _ in range(7))
        r = sum(int(head[i]) * (9 - i) for i in range(8)) % 11
        if r < 10:
            cand = head + str(r)
            if bsn_ok(cand):
                return cand


def make_nine_bad():
    while True:
        cand = str(rng.randint(1, 9)) + "".join(rng.choice(DIGITS) for _ in range(8))
        if not bsn_ok(cand):
            return cand


def make_card_bad(prefix):
    while True:
        cand = prefix + "".join(rng.choice(DIGITS) for _ in range(16 - len(prefix)))
        if not luhn_ok(cand):
            return cand


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


# ---------------------------------------------------------------------------
# credentials, built the way the real ones are
# ---------------------------------------------------------------------------
def rand(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(6, "0")


def gh_token(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()))


def gh_token_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())) == m.group(2)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt(payload):
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64url(bytes(rng.getrandbits(8) for _ in range(32)))
    return "%s.%s.%s" % (head, body, sig)


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    pad = parts[0] + "=" * (-len(parts[0]) % 4)
    try:
        hdr = json.loads(base64.urlsafe_b64decode(pad))
    except Exception:
        return False
    return "alg" in hdr


def make_openssh_key():
    raw = b"openssh-key-v1\x00" + bytes(rng.getrandbits(8) for _ in range(385))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def make_password():
    word = rng.choice(["Coulisse", "Tribune", "Foyer", "Orkestbak", "Trekkenwand"])
    return "%s%d%s%s" % (word, rng.randint(10, 99), rng.choice("!#$%&*"), rand(ALNUM, 4))


V = {}
# personal identifiers that pass their checksum
V["IBAN_BLOM"] = make_iban("INGB", "0" + rand(DIGITS, 9))
V["IBAN_JANSEN"] = make_iban("ABNA", rand(DIGITS, 10))
V["IBAN_BOS"] = make_iban("BUNQ", "20" + rand(DIGITS, 8))
V["CARD_GRAAF"] = make_card("4921")
V["CARD_GROEP"] = make_card("5412")
V["BSN_KUIJPERS"] = make_bsn()
# look-alikes that fail their checksum
co_iban = PROFILE["public_identifiers"]["ibans"][0]
bad = list(co_iban)
bad[-3] = str((int(bad[-3]) + 3) % 10)
V["IBAN_BAD"] = "".join(bad)
V["NINE_BAD1"] = make_nine_bad()
V["NINE_BAD2"] = make_nine_bad()
V["CARD_BAD"] = make_card_bad("4716")
V["IBAN_CO"] = co_iban
# credentials
V["GH"] = gh_token("ghp_")
V["AWS_ID"] = "AKIA" + rand("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
V["AWS_SECRET"] = rand(string.ascii_letters + string.digits + "/+", 40)
V["STRIPE"] = "sk_live_" + rand(ALNUM, 24)
V["MOLLIE"] = "live_" + rand(ALNUM, 30)
V["MOLLIE_PROFILE"] = "pfl_" + rand(ALNUM, 10)
V["SLACK"] = "xoxb-%s-%s-%s" % (rand(DIGITS, 12), rand(DIGITS, 13), rand(ALNUM, 24))
V["OPENAI"] = "sk-proj-" + rand(URLSAFE, 60) + "T3BlbkFJ" + rand(URLSAFE, 60)
V["ANTHROPIC"] = "sk-ant-api03-" + rand(URLSAFE, 93) + "AA"
V["GOOGLE"] = "AIza" + rand(URLSAFE, 35)
V["SSHKEY"] = make_openssh_key()
V["JWT"] = make_jwt({"sub": "order-%s" % rand(DIGITS, 7), "evt": "GK26-0712", "seat": "B-14-22",
                     "iat": 1783326000, "exp": 1783972800})
V["PG_PW"] = rand(ALNUM, 18)
V["PW_TEMP"] = make_password()


def sub(text):
    def rep(m):
        key = m.group(1)
        fmt = m.group(2)
        val = V[key]
        if fmt == "g4":
            return group4(val)
        if fmt == "sp":
            return " ".join(val)
        if fmt == "bsn":
            return "%s %s %s" % (val[:3], val[3:6], val[6:])
        if fmt == "tail4":
            return val[-4:]
        return val
    return re.sub(r"\{\{([A-Z0-9_]+)(?::([a-z0-9]+))?\}\}", rep, text)


def fw(s):
    """full-width letters/digits (evasion)"""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


ZW = "\u200b"
CYR = {"o": "\u043e", "a": "\u0430", "e": "\u0435", "c": "\u0441", "p": "\u0440"}


def cyr(s, letters="oae"):
    return "".join(CYR[c] if c in letters else c for c in s)


# ---------------------------------------------------------------------------
# the posts
# ---------------------------------------------------------------------------
CAT = {
    "sec": "leak.secret", "pii": "leak.pii", "pri": "leak.pricing", "con": "leak.confidential",
    "fin": "leak.financial", "secu": "leak.security", "cri": "reputation.crisis",
    "cmp": "reputation.complaint", "abu": "reputation.abuse",
}
CASES = []


def P(platform, handle, lang, text, cats="", kind="post", ids=(), d=None, name=None, brand=None):
    CASES.append(dict(platform=platform, handle=handle, lang=lang, text=text,
                      cats=[CAT[c] for c in cats.split()] if cats else [],
                      kind=kind, ids=list(ids), d=d, name=name, brand=brand))


# ---- complaints --------------------------------------------------------------
P("x", "@marloes_tweet", "nl",
  "@vorstertickets al 3 weken wacht ik op mijn terugbetaling voor het geannuleerde concert van 14 maart. "
  "Mail na mail, nul reactie. Dit is echt niet normaal hoor 😤", "cmp", kind="reply")
P("x", "@dkuipers_88", "nl",
  "Stond gisteren 40 min in de rij bij de garderobe van de Vorsterhal en na afloop nóg 25 min. "
  "Pauze voorbij voordat je je jas kwijt bent 🙄 #vorsterhal", "cmp")
P("facebook", "petra.vandam.54", "nl",
  "Kaarten gekocht voor rij 14 maar je ziet de helft van het podium niet door die pilaar. Nergens werd dat "
  "vermeld bij het bestellen. Zonde van €62 per stoel.", "cmp", kind="comment", name="Petra van Dam")
P("instagram", "@sophie.goes.out", "en",
  "the QR codes in your app just would NOT scan at the door tonight, we missed the first 20 min of the show "
  "while staff 'looked into it'. not ok @vorsterhal", "cmp", kind="comment")
P("x", "@PeterJvR", "en",
  "Paid €11.50 'service costs' PER TICKET on VorsterTickets. For an e-ticket. That I print myself. Come on.", "cmp")
P("reddit", "u/klassiekfan_utrecht", "en",
  "Anyone else find the sound up in the Vorsterhal balcony awful lately? Saturday's Mahler was a muddy mess "
  "from row F upwards. Used to be so good there, feels like something changed after the renovation.", "cmp")
P("forum", "Henk_R", "nl",
  "Lindehof Schouwburg gisteravond: voorstelling begon 35 minuten te laat zonder enige uitleg, en de airco "
  "deed het weer niet. 29 graden in de zaal. Echt niet te doen, volgende keer blijf ik gewoon thuis.", "cmp")
P("x", "@rolstoel_ria", "nl",
  "Voor de 2e keer deze maand een kapotte lift in de Lindehof. Met mijn rolstoel kom ik dus niet op het balkon "
  "waar jullie me wél een kaartje voor verkocht hebben. Servicenummer gebeld: 20 min in de wacht. Top hoor "
  "@vorsterhal 👎", "cmp")
P("tiktok", "@janne.vlogt", "nl",
  "presale grachtklank: 2 uur in de wachtrij, bij stap 4 gooit de site me eruit en ALLES is weg. zo moe van "
  "jullie ticketshop omg", "cmp", kind="comment")
P("threads", "@mike.de.wit", "en",
  "Booked the Diner & Show at the Lindehof for my parents' anniversary. Half the table's mains came out after "
  "the curtain had already gone up, so they had to pick between eating and watching. Really disappointing.", "cmp")
P("bluesky", "@evab.bsky.social", "en",
  "VorsterTickets charged my card twice for the same order and support's answer is 'wait 10 working days'. "
  "So I'm 180 euros short until then? 🙃", "cmp")

# ---- first-hand harm: crisis + complaint --------------------------------------
P("x", "@famvisser_", "nl",
  "Na het Diner & Show arrangement in de Lindehof liggen mijn man en ik sinds vannacht allebei met buikkramp "
  "en overgeven op bed. Tafel naast ons precies hetzelfde. Wat hebben jullie ons voorgeschoteld?? 🤢 @vorsterhal",
  "cri cmp")
P("facebook", "gerrit.hoekstra.3", "nl",
  "Mijn dochter is vanavond in de Vorsterhal van de trap naar het balkon gevallen. Geen verlichting op de "
  "treden en de leuning zat los. Pols gebroken. Niemand van het personeel kwam helpen, we hebben zelf 112 "
  "moeten bellen.", "cri cmp", name="Gerrit Hoekstra")
P("instagram", "@lotte.bakt", "en",
  "front row at the vorsterhal rave night and the pyro went off WAY too close, singed my hair and I have an "
  "actual burn on my forearm now 😳 security just shrugged. wtf", "cri cmp")
P("reddit", "u/basskicker_nl", "en",
  "PSA: the phone charging lockers in the Vorsterhal foyer gave me a proper electric shock when I plugged in "
  "tonight, arm tingled for an hour. Told the bar staff and they said 'yeah that one does that sometimes'. "
  "Seriously??", "cri cmp")
P("x", "@oorsuizen_bram", "nl",
  "Vrijdag in de Spiegelzaal van de Vorsterhal stond het geluid zo hard dat ik 3 dagen later nog steeds een "
  "piep hoor en aan één oor amper iets. Oordoppen bij de bar? 'Op.' Ik ben hier echt klaar mee.", "cri cmp")
P("tiktok", "@rinsk3", "nl",
  "is dit normaal?? bij de ingang van de vorsterhal werden we zo tegen de hekken gedrukt dat ik geen lucht "
  "meer kreeg, meisje naast me viel flauw. ZIJN JULLIE GEK GEWORDEN om iedereen tegelijk binnen te laten",
  "cri cmp")

# ---- complaint + abuse ---------------------------------------------------------
P("x", "@woedendewim", "nl",
  "3x gebeld over mijn dubbele afschrijving en elke keer hangt zo'n debiel van de kassa gewoon op. Stelletje "
  "incompetente idioten bij @vorstertickets, schaam je kapot", "cmp abu")
P("x", "@gazza_reviews", "en",
  "Worst night out in ages. Waited an hour for a drink at the Vorsterhal, the bar staff are lazy useless morons "
  "who couldn't pour a pint to save their lives. Never again.", "cmp abu")

# ---- complaint + personal data -------------------------------------------------
P("x", "@annaprins_", "nl",
  "@vorstertickets nog steeds geen tickets voor zaterdag, bestelling 2026-88412. Mailadres klopt gewoon: "
  "anna.prins84@gmail.com en bel me desnoods op 06-41827390. Dit duurt nu al een week!", "cmp pii", kind="reply")
P("facebook", "jeroen.blom.utr", "nl",
  "Al 6 weken wacht ik op de restitutie van de afgelaste Orgelnacht. Nog één keer dan: terugstorten op "
  "{{IBAN_BLOM:g4}} t.n.v. J. Blom. Hoe moeilijk kan het zijn.", "cmp pii",
  ids=[("iban", "IBAN_BLOM", True)], name="Jeroen Blom")

# ---- crisis only -------------------------------------------------------------
P("x", "@nieuwsdienst_utr", "nl",
  "Vanavond ontruiming van de Vorsterhal na rookontwikkeling in de bovenzaal. Volgens omstanders zijn meerdere "
  "bezoekers door ambulancepersoneel nagekeken vanwege ademhalingsklachten. Oorzaak nog onbekend.", "cri")
P("x", "@privacywaakhond", "en",
  "Multiple reports that VorsterTickets customer data is being sold on a forum: names, emails and order history "
  "of ~200k buyers. Vorster Podia hasn't said a word. If you bought tickets there, change your password.", "cri")
P("x", "@cultuurboycot", "nl",
  "Vorster Podia laat een wapenfabrikant het Grachtklank festival sponsoren. Wij kopen geen kaarten meer tot "
  "dat contract van tafel is. #boycotVorster deel dit!", "cri")
P("reddit", "u/theaterinsider_x", "en",
  "The Lindehof artistic director story keeps getting worse. Three former interns now say they were made to work "
  "unpaid 60-hour weeks and were threatened when they complained. This is going to blow up.", "cri")
P("linkedin", "pim-de-rooij-advocaat", "nl",
  "Namens ruim 1.400 ticketkopers hebben wij vandaag een collectieve vordering ingediend tegen Vorster "
  "Podiumgroep B.V. wegens misleidende servicekosten. Wordt vervolgd.", "cri")
P("facebook", "EerlijkUitPlatform", "nl",
  "TERUGROEPACTIE: de merchandise-drinkfles 'Grachtklank 2026' van Vorster bevat volgens de leverancier te veel "
  "BPA. Niet meer gebruiken en inleveren bij de kassa van de Vorsterhal.", "cri", name="Eerlijk Uit")
P("x", "@muziekjournalist_s", "en",
  "Hearing that a lighting truss came down during load-in at the Vorsterhal this afternoon, one crew member "
  "taken to hospital. Hope they're ok. No comment from Vorster yet.", "cri")
P("mastodon", "@datavrijheid", "en",
  "Vorster Podia's ticket app sends buyers' full names and phone numbers to a third-party ad tracker, "
  "unencrypted. Screenshot of the traffic below. That's a GDPR violation, plain and simple. #privacy", "cri")
P("x", "@ouders_utrecht", "nl",
  "Oproep aan alle ouders: ga NIET naar de kindervoorstellingen in de Lindehof zolang die medewerker daar nog "
  "rondloopt. Er lopen meerdere aangiftes. Hoe kan Vorster dit laten gebeuren?", "cri")

# ---- abuse -------------------------------------------------------------------
P("x", "@ziekvanjullie", "nl", "@vorsterhal kankerlijers met jullie nepwachtrijen", "abu", kind="reply")
P("x", "@tess_r", "en",
  "@liekebrouwer_vp you're the dumbest marketing person I've ever seen, just quit and do us all a favour",
  "abu", kind="reply")
P("instagram", "@koos.boos", "nl",
  "die dikke portier bij de Lindehof is een aap, ga terug naar je eigen land", "abu", kind="comment")
P("x", "@h4t3r_nl", "nl", "v0rst3r p0d1a = k4nk3rb3dr1jf. st3rf gwn", "abu")
P("facebook", "marcel.dekker.77", "nl",
  "Wat een " + cyr("oplichters") + " en " + cyr("klojo's", "o") + " zijn het daar bij Vorster, " + cyr("tyfuslijers", "e"),
  "abu", kind="comment", name="Marcel Dekker")
P("x", "@nachtuil_99", "en", fw("fuck vorsterhal") + " and every clown working there", "abu")
P("reddit", "u/sarcastic_sam", "en",
  "The box office guy at Lindehof (Koen, glasses, ponytail) is a smug little prick. Hope somebody's waiting "
  "for him after his shift.", "abu")
P("x", "@ramon_fohmanager", "en",
  "@gazza_reviews mate nobody cares about your whining, you were drunk and obnoxious all night. Absolute muppet. "
  "Stay home next time.", "abu", kind="reply")
P("tiktok", "@vorsterhal", "nl",
  "@janne.vlogt zeur niet zo stomme trut, gewoon opnieuw proberen", "abu", kind="reply")
P("bluesky", "@dirkjanv.bsky.social", "nl",
  "die Hanneke Mulder van Vorster is een hebberige heks. ik weet waar ze woont en ga het haar eens persoonlijk "
  "vertellen", "abu")

# ---- personal data -------------------------------------------------------------
P("bluesky", "@joostdekassa.bsky.social", "nl",
  "Gevonden bij kassa 2: creditcard {{CARD_GRAAF:g4}} op naam van Marieke de Graaf, geldig t/m 08/28. "
  "Meld je even bij de balie!", "pii", ids=[("card", "CARD_GRAAF", True)])
P("linkedin", "hanneke-mulder-finance", "en",
  "Welcome to our new controller Sanne Kuijpers! 🎉 @HR her BSN is {{BSN_KUIJPERS}} for the payroll setup, "
  "please sort it before Friday 🙏", "pii", ids=[("bsn", "BSN_KUIJPERS", True)])
P("x", "@vorstertickets", "nl",
  "@m_jansen_ Beste Mark, je restitutie van €124 is overgemaakt naar {{IBAN_JANSEN}} (t.n.v. M. Jansen). "
  "Binnen 2 werkdagen op je rekening!", "pii", kind="reply", ids=[("iban", "IBAN_JANSEN", True)])
P("facebook", "VorsterPodia", "en",
  "Hi Laura, we found your phone under seat 22! We called the number on the lock screen, 06 2739 1846, but no "
  "answer yet. You can also reach us at info@vorsterpodia.nl.", "pii", kind="comment")
P("instagram", "@merel.opdebok", "nl",
  "Shoutout naar onze trouwste bezoeker Truus Verhoef (geboren 3 mei 1941!) die vanavond haar 500e voorstelling "
  "bij ons zag 🎉💐", "pii")
P("x", "@ramon_fohmanager", "nl",
  "Wie kent deze man? Heeft vanavond de bar in de Vorsterhal vernield. Volgens zijn bestelling: Dennis Hofman, "
  "Kastanjelaan 17, 3581 GH Utrecht. Delen!!", "pii")
P("mastodon", "@annekevos", "en",
  "debugging the mail bounce for customer joris.vanderlinden@outlook.com again, third time this week. anyone at "
  "our ESP want to have a look?", "pii")
P("reddit", "u/loes_ontmoet", "nl",
  "Ik verkoop 2 kaarten voor het Kerstgala, €95 per stuk (wat ik ervoor betaald heb). Appje naar 06-18472935 of "
  "mail loes.hendriks@hotmail.com", "pii")
P("x", "@wallet_woes", "en",
  "Lost my wallet at the Vorsterhal on Saturday!! If anyone found it pls call me on 0031 6 38291047, reward "
  "guaranteed 🙏", "pii")
P("tiktok", "@stagehand.sem", "nl",
  "collega's, de kaartjes voor de personeelsborrel kunnen jullie overmaken naar {{IBAN_BOS}} t.n.v. S. Bos, "
  "€12,50 pp 🍻", "pii", ids=[("iban", "IBAN_BOS", True)])
P("x", "@groepsreis_harry", "nl",
  "@vorstertickets voor de groepsaanvraag van vrijdag: kaartnr {{CARD_GROEP:sp}} vervalt 11/27, cvc stuur ik "
  "apart 😉", "pii", kind="reply", ids=[("card", "CARD_GROEP", True)])
P("linkedin", "thijs-oosterhuis-ict", "en",
  "Migration done! Sample record for QA sign-off: {name: 'Pieter Smit', dob: '1979-11-02', email: "
  "'p.smit@ziggo.nl', phone: '030-2846193'}. Thanks team!", "pii")
P("forum", "Bep63", "nl",
  "Mijn buurvrouw Joke Vermeulen (Lindelaan 4, 3818 AB Amersfoort) heeft haar Vriendenpas laten verlopen. "
  "Weet iemand hoe je die verlengt zonder computer?", "pii")

# ---- confidential --------------------------------------------------------------
P("x", "@nadia_programmeur", "nl",
  "Kan niet wachten tot we seizoen 27/28 mogen aankondigen, o.a. een driedaagse residentie van een heel bekend "
  "strijkkwartet 😍 psst", "con", d="2027-02-26T20:14:00Z")
P("instagram", "@merel.opdebok", "en",
  "Sneak peek from today's hard-hat tour at Vorsterhal Noord 👷‍♀️ the main hall is going to be GORGEOUS",
  "con", d="2027-01-12T15:40:00Z")
P("x", "@liekebrouwer_vp", "nl",
  "Eerste testdag van Project Lichtmast vandaag! Straks kies je eindelijk zelf je stoel op een 3D-plattegrond 🔥",
  "con")
P("x", "@nadia_programmeur", "en",
  "Draft lighting plot for the panto is up at https://jira.vorsterpodia.nl/browse/PROD-2291, please review "
  "before Thursday", "con")
P("linkedin", "thijs-oosterhuis-ict", "en",
  "Proud of the team: the Lichtmast migration of 1.2M customer records ran flawlessly last weekend. "
  "More soon!", "con")
P("linkedin", "wouter-van-leeuwen-directeur", "nl",
  "Gedeeld met het MT, vertrouwelijk - niet delen: de Spiegelzaal gaat per september dicht voor een grote "
  "verbouwing.", "con")
P("facebook", "VorsterPodia", "nl",
  "[VORSTER INTERN] Draaiboek ontruiming Lindehof v3, zie bijlage. Niet extern verspreiden.", "con")
P("reddit", "u/lichttafel_lars", "en",
  "Saw the mockups for the unreleased Vorster app 3.0 (the one with AR seat previews) in a meeting today. "
  "Honestly it slaps, can't share screenshots obviously", "con")
P("x", "@ramon_fohmanager", "nl",
  "haha de hele foh-ploeg zit vandaag in de Licht" + ZW + "mast-training 😴", "con")
P("bluesky", "@joostdekassa.bsky.social", "en",
  "they made us sign an NDA about P.r.o.j.e.c.t L.i.c.h.t.m.a.s.t lol so I'm saying nothing 🤐", "con")
P("tiktok", "@stagehand.sem", "nl",
  "eerste rondje door " + fw("vorsterhal noord") + " 🤫 die foyer wordt echt sick", "con",
  d="2027-01-18T11:05:00Z")
P("x", "@podiumroddels", "nl",
  "Via via gehoord: het nieuwe ticketsysteem van Vorster heet intern 'Project Lichtmast' en gaat in maart live. "
  "Jullie hoorden het hier eerst 👀", "con")
P("reddit", "u/musicalmama", "en",
  "My daughter volunteers at the Lindehof and showed me the season 27/28 brochure draft. Les Mis is coming!!",
  "con", d="2026-12-05T09:30:00Z")
P("x", "@nadia_programmeur", "nl",
  "De nieuwe stoelkiezer staat op https://kassa-admin.vorsterpodia.nl/seatmap-beta, probeer maar (alleen team!)",
  "con")
P("linkedin", "vorster-podiumgroep", "en",
  "VP-CONFIDENTIAL draft: press release on the Lindehof renovation. Do not publish before board approval.", "con")
P("instagram", "@merel.opdebok", "nl",
  "Geheime repetitie voor de nog niet aangekondigde kerstproductie 'De Sneeuwkoningin' 🤫 mag nog niemand weten",
  "con")

# ---- confidential + financial --------------------------------------------------
P("linkedin", "wouter-van-leeuwen-directeur", "nl",
  "Goed gesprek vandaag met de aandeelhouders over Operatie Souffleur. Als alles doorgaat nemen we begin volgend "
  "jaar de drie theaters van Podium Oost over. Spannende tijden!", "con fin")
P("x", "@liekebrouwer_vp", "en",
  "Rough day. Koorddanser was presented to staff this morning: 35 FTE gone across the three venues, marketing "
  "gets hit hardest 😞", "con fin")

# ---- financial ---------------------------------------------------------------
P("linkedin", "hanneke-mulder-finance", "nl",
  "Trots op het team: we sluiten 2026 naar verwachting af met een nettowinst van ca. €3,8 mln, bijna het dubbele "
  "van vorig jaar. De officiële cijfers volgen in april.", "fin")
P("reddit", "u/lichttafel_lars", "en",
  "Word in the tech dept is we're being sold to Meridian Live, deal gets signed next month. Nobody's told the "
  "crew officially yet.", "fin")
P("x", "@beursbabbel", "nl",
  "Tip: Vorster Podiumgroep verkoopt de Lindehof aan een projectontwikkelaar, de intentieverklaring is al "
  "getekend. Dat lees je nog nergens.", "fin")
P("bluesky", "@joostdekassa.bsky.social", "nl",
  "Kassateam hoorde vandaag dat de balie in de Lindehof per 1 juni dichtgaat en we met z'n zessen boventallig "
  "zijn. Nog niet naar buiten gebracht, maar ja.", "fin")
P("linkedin", "thijs-oosterhuis-ict", "en",
  "IT budget for next year cut by 40% after the board saw the H1 numbers (ticket revenue down 18%). "
  "Interesting times 🙃", "fin")
P("x", "@vorsterhal", "nl",
  "Bezoekersaantal dit seizoen 22% onder begroting, verlies loopt op naar €2,1 mln. Graag vóór vrijdag jullie "
  "reactie op de conceptbrief aan de gemeente.", "fin")
P("tiktok", "@stagehand.sem", "nl",
  "pov: je hoort dat de gemeente de subsidie voor de Lindehof volgend jaar met 1,2 miljoen gaat korten en je mag "
  "het nog aan niemand vertellen 💀", "fin")
P("x", "@ramon_fohmanager", "en",
  "Heard from finance that Grachtklank lost about €900k this year. Not announced yet but it's probably the "
  "last edition 😢", "fin")
P("reddit", "u/exvorster", "en",
  "Former Vorster employee here. They're about to breach their bank covenant, that's why they're suddenly pushing "
  "the annual pass so hard. Restructuring before summer.", "fin")
P("instagram", "@merel.opdebok", "en",
  "Last show as a full in-house crew 💔 From January the technical department gets outsourced, we were told "
  "today. Can't say more yet.", "fin")

# ---- security ----------------------------------------------------------------
P("mastodon", "@annekevos", "en",
  "lol so our ticket QR codes are just the order id in base64, no signature. anyone with a bit of python can "
  "mint a valid ticket for any show. reported it in march, still not fixed 🙃", "secu")
P("bluesky", "@joostdekassa.bsky.social", "nl",
  "Officieel heet het 'onderhoud' maar de kassasystemen liggen al sinds vannacht plat door ransomware. "
  "Wij schrijven alles weer met pen en papier 🫠", "secu")
P("reddit", "u/lichttafel_lars", "en",
  "Tip from inside: don't log in to the free wifi in the Vorsterhal foyer this week. Someone's running a fake "
  "hotspot and IT knows but hasn't warned anyone.", "secu")
P("x", "@liekebrouwer_vp", "nl",
  "3 collega's van marketing hebben op die phishingmail geklikt en hun mailboxen zijn overgenomen. Rare mail "
  "van ons gekregen? Niet openen. (mag nog niet naar buiten 🤫)", "secu")
P("tiktok", "@stagehand.sem", "en",
  "us waiting for IT to fix the ticket scanners that got wiped by that virus yesterday lmao. doors open in "
  "30 min 😭", "secu")
P("linkedin", "thijs-oosterhuis-ict", "en",
  "Long night. The DDoS on our ticket shop started right at the Grachtklank presale and it's still going. We'll "
  "probably have to postpone the sale, comms hasn't decided what to tell people yet.", "secu")
P("x", "@nadia_programmeur", "nl",
  "Morgen ligt de ticketshop de hele ochtend plat, het certificaat bij de betaalprovider is verlopen en niemand "
  "had het door. Nog niet gecommuniceerd, dus koop vanavond nog je kaartjes 😉", "secu")
P("x", "@ex_kassamedewerker", "nl",
  "Als oud-medewerker: het beheerpaneel van VorsterTickets draait nog steeds met het standaard admin-account. "
  "Meld ik al een jaar. Niemand doet er iets mee.", "secu")
P("mastodon", "@annekevos", "en",
  "PSA to colleagues: the customer export bucket was publicly readable for about 2 days last week. Fixed now, "
  "legal is deciding whether to notify anyone. Please don't mention it outside.", "secu")
P("instagram", "@merel.opdebok", "nl",
  "Sinds de update van gisteren gaan de toegangspoortjes in de Vorsterhal open met élke barcode, dus vanavond "
  "weer met de hand scannen. Niet doorvertellen 😅", "secu")
P("reddit", "u/white_hat_wim", "en",
  "Reported to Vorster 3 weeks ago: their ticket shop password reset lets you take over any account by swapping "
  "the email in the request. No reply. Going public on Friday.", "secu")
P("x", "@ramon_fohmanager", "en",
  "heads up if you're working tonight: the whole door-scanning system goes offline at 19:00 for an emergency "
  "patch, IT found someone inside the network. keep it quiet pls", "secu")

# ---- security + secret ---------------------------------------------------------
P("x", "@kevin_devops_vp", "nl",
  "@team na de inbraak op de kassaserver van vannacht zijn de oude logins verbrand. Tijdelijk tot maandag: "
  "gebruiker kassa_beheer / wachtwoord: {{PW_TEMP}}", "secu sec", kind="reply")

# ---- secrets -----------------------------------------------------------------
P("x", "@kevin_devops_vp", "en",
  "CI finally green 🎉 if anyone needs to pull the private deploy scripts, use this token for now: {{GH}}", "sec")
P("mastodon", "@annekevos", "en",
  "why does the seatmap upload keep failing with these?? AWS_ACCESS_KEY_ID={{AWS_ID}} "
  "AWS_SECRET_ACCESS_KEY={{AWS_SECRET}} region eu-west-1", "sec")
P("x", "@kevin_devops_vp", "en",
  "test/live mixup again. whoever put {{STRIPE}} in the staging .env, please rotate it 🙄", "sec")
P("facebook", "VorsterPodia", "nl",
  "Config nieuwe betaalmodule: MOLLIE_API_KEY={{MOLLIE}} profileId={{MOLLIE_PROFILE}}", "sec")
P("linkedin", "thijs-oosterhuis-ict", "en",
  "Our new Slack bot now posts ticket sales per show every hour 📊 built it in one afternoon! "
  "(config for the curious: SLACK_BOT_TOKEN={{SLACK}})", "sec")
P("mastodon", "@annekevos", "nl",
  "waarom krijg ik steeds 429's? OPENAI_API_KEY={{OPENAI}} staat toch op het betaalde plan", "sec")
P("x", "@kevin_devops_vp", "nl",
  "Onze chatbot voor kassavragen draait nu op Claude 🤖 key voor de testomgeving: {{ANTHROPIC}}", "sec")
P("mastodon", "@annekevos", "en",
  "can someone tell me why the deploy box rejects this key??\n{{SSHKEY}}", "sec")
P("reddit", "u/ticketnerd", "en",
  "Can't forward the email to my brother so here's the ticket link, just open it at the door: "
  "https://tickets.vorsterpodia.nl/t/view?auth={{JWT}}", "sec")
P("x", "@kevin_devops_vp", "en",
  "note to self: DATABASE_URL=postgresql://ticketing_app:{{PG_PW}}@vp-prod-db.cx8h2kq1.eu-west-1.rds.amazonaws.com:5432/tickets",
  "sec")
P("x", "@appsleuth", "en",
  "Decompiled the Vorster Podia Android app for fun, the Maps key is just sitting in strings.xml: {{GOOGLE}} 🤷",
  "sec")

# ---- pricing -----------------------------------------------------------------
P("x", "@vorstertickets", "nl", "Alleen vandaag: de Vorster Jaarpas voor €34,90! Op = op 🎟️", "pri")
P("x", "@dealjager_nl", "nl",
  "PRIJSFOUT?! Abonnement Klassiek 8 staat op VorsterTickets voor €29,60 ipv €296 😱 snel zijn", "pri")
P("reddit", "u/budgetbeats", "en",
  "VIP Lounge Arrangement is showing as €14.50 in the app right now and checkout goes through. Go go go", "pri")
P("bluesky", "@joostdekassa.bsky.social", "nl",
  "Haha er staat een prijsfout in de kassa: Backstage Tour voor €3,50. Even snel aanpassen voor iemand het ziet",
  "pri")
P("instagram", "@merel.opdebok", "en",
  "Friends & family only: Premièrepakket for €60 with the staff code this week 😉", "pri")
P("instagram", "@vorsterhal", "en",
  "🎄 Kerstgala Rang 1 is back! Tickets now just €9.50, see you there ✨", "pri")
P("facebook", "sandra.vermeer.9", "nl",
  "Klopt het dat de Grachtklank Festivalpas 3-daags nu €45 kost in de webshop? Vorige week was het nog €189",
  "pri", name="Sandra Vermeer")
P("tiktok", "@koopjeskoning", "en",
  "skybox for the whole season at vorsterhal for 1850 euro?? price error or christmas came early 👀 #vorsterhal",
  "pri")
P("threads", "@lindehofschouwburg", "nl", "Cadeautip! De Vriendenpas Lindehof nu voor €7,50 🎁", "pri")
P("x", "@theaterliefhebber", "nl",
  "Volgens mij zit er een prijsfout in de Jaarpas Duo: in de app €62,90, op de site €629. Welke geldt nou?", "pri")
P("x", "@liekebrouwer_vp", "en",
  "Oops, the Parkeerpas Seizoen went live at €12 instead of €120 for about an hour 🙈 we'll honour the orders",
  "pri")
P("mastodon", "@zuinigezwolle", "nl", "Dansabonnement 5 voor 39 euro bij Vorster, is dat een fout of een actie?",
  "pri")

# ---- benign (mostly hard negatives) ------------------------------------------------
P("x", "@jdeboer_music", "nl",
  "Wat een avond in de Vorsterhal gisteren! Akoestiek is echt wereldklasse, kippenvel bij het laatste deel 😍")
P("x", "@luuk.beats", "en",
  "that set at the vorsterhal absolutely KILLED, the drop literally set the room on fire 🔥🔥🔥")
P("tiktok", "@memesvanmo", "nl",
  "ik ben officieel bankroet na de grachtklank presale maar het was het waard 😂💸")
P("x", "@vraagbaak_gerda", "nl",
  "Weet iemand of de Vorster Jaarpas ook geldig is in de Lindehof Schouwburg? Of alleen in de Vorsterhal?")
P("x", "@vorstertickets", "nl",
  "Black Friday 🖤 De Vorster Jaarpas nu €279 (normaal €349). Alleen t/m maandag!")
P("instagram", "@vorsterhal", "en",
  "Gift season 🎁 every Cadeaukaart 100 comes with a free programme booklet this week. Still €100, now with extras!")
P("reddit", "u/mark_ams", "en",
  "Is the VIP Lounge Arrangement (€145) worth it vs regular tickets + drinks at the bar? Thinking of surprising "
  "my wife for her 40th.")
P("facebook", "VorsterPodia", "nl",
  "Vragen over je bestelling? Mail kassa@vorsterpodia.nl of bel +31 30 760 4400 (ma-za 10-18 uur).")
P("x", "@vorsterhal", "nl",
  "Groepsreservering? Maak het bedrag over naar {{IBAN_CO:g4}} t.n.v. Vorster Podiumgroep B.V. onder vermelding "
  "van je reserveringsnummer.", ids=[("iban", "IBAN_CO", True)])
P("x", "@sjaak_vd_berg", "nl",
  "Is {{IBAN_BAD}} het goede rekeningnummer voor groepsreserveringen bij Vorster? Mijn bank zegt dat het "
  "ongeldig is, zal wel een typfout van mij zijn.", ids=[("iban", "IBAN_BAD", False)])
P("x", "@petravb", "en",
  "@vorstertickets quick question, order {{NINE_BAD1}}: can I still swap my seats to the balcony?", kind="reply",
  ids=[("nine", "NINE_BAD1", False)])
P("facebook", "inge.smits.1", "nl",
  "Mijn ticketnummer is {{CARD_BAD:g4}}, moet ik dat nummer bij de deur laten zien of alleen de QR-code?",
  ids=[("card", "CARD_BAD", False)], name="Inge Smits")
P("mastodon", "@devopsdaan", "en",
  "Writing up our Terraform guide. For the examples we use the docs' pair AKIAIOSFODNN7EXAMPLE / "
  "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY, never real creds. Vorster's tech team asked for a copy, nice.")
P("x", "@kevin_devops_vp", "en",
  "Rotated all CI tokens today. The old ones show up as ghp_****************************a1 in the logs now, "
  "properly masked 💪")
P("instagram", "@vorsterhal", "nl",
  "Het is zover: seizoen 27/28 is bekend! 🎭 Kijk op vorsterpodia.nl voor het hele programma.",
  d="2027-03-15T08:00:00Z")
P("x", "@vorsterhal", "en",
  "Vorsterhal Noord opens its doors in autumn 2028. Here's a first look at the design!", d="2027-02-02T10:00:00Z")
P("x", "@nadia_programmeur", "nl",
  "Eindelijk mag ik erover praten: seizoen 27/28 zit vol prachtige voorstellingen. Mijn tip: de Orgelnacht 🎹",
  d="2027-03-20T19:45:00Z")
P("x", "@marloes_tweet", "nl",
  "Update: restitutie is binnen! Na mijn tweet ging het ineens snel. Dank @vorstertickets, zo kan het dus ook 🙏")
P("x", "@cultuurnieuwsNL", "nl",
  "Sterkte aan alle medewerkers van Stadstheater Rietveen na de brand van vannacht. Gelukkig geen gewonden. "
  "Vorster Podia biedt ze tijdelijk de Spiegelzaal aan, mooi gebaar.")
P("x", "@techpraat", "en",
  "Another ticketing breach: Festivalhub admits 1.4M records exposed. (Not Vorster, before anyone asks, they "
  "run their own shop.)")
P("linkedin", "mirjam-theaterconsult", "nl",
  "Zorgelijk nieuws uit de sector: Podium Zuid schrapt 60 banen. Vorster en de Lindehof lijken er dankzij de "
  "sterke abonnementsverkoop beter voor te staan.")
P("x", "@vorstertickets", "nl",
  "Gepland onderhoud: dinsdag 3 november tussen 02:00 en 04:00 is de ticketshop niet bereikbaar. Daarna kun je "
  "gewoon weer bestellen.")
P("linkedin", "vorster-podiumgroep", "en",
  "Today we published our 2025 annual report: 1.1 million visitors and a modest surplus. Read it at "
  "vorsterpodia.nl/jaarverslag")
P("linkedin", "vorster-podiumgroep", "nl",
  "Wij zoeken een Hoofd Kassa & Klantcontact (32-36 uur). Interesse? Mail je cv naar vacatures@vorsterpodia.nl")
P("instagram", "@merel.opdebok", "nl",
  "Bouwdag in de Lindehof ✨ 14 uur in de zaal maar dit decor is het zó waard #theaterleven")
P("x", "@ramon_fohmanager", "nl",
  "De lichtmast op het Lindehofplein is eindelijk gerepareerd, dus geen donkere rij meer bij de ingang 💡")
P("x", "@cabaretfan_", "nl",
  "Die cabaretier in de Lindehof gisteren was zó grof, elke zin een scheldwoord 😂 maar ik heb me kapot gelachen")
P("x", "@annie_sings", "en", "I died laughing at the Lindehof panto, the dame is an absolute legend 💀")
P("facebook", "marjan.kok.2", "nl",
  "Dank aan de medewerkster van de Vorsterhal die ons verdwaalde zoontje binnen 5 minuten terugvond ❤️",
  name="Marjan Kok")
P("x", "@student_emma", "en",
  "For anyone looking for the Vorster box office number: it's 030 760 4400. Leaving it here 👍")
P("reddit", "u/juristjan", "en",
  "Interesting: the consumer association is suing TicketKing over service fees. Vorster already dropped theirs to "
  "€2.50 last year, so they're not part of it as far as I can tell.")
P("x", "@ouder_van_3", "nl",
  "Terugroepactie voor die speelgoedmicrofoons van Speelgoedplaza. Gelukkig kochten wij die van ons bij de "
  "merchstand in de Vorsterhal, andere fabrikant.")
P("instagram", "@cabaret_carla", "nl",
  "Abonnement Cabaret 6 voor €174, dat is nog geen €30 per voorstelling. Beste deal van het jaar 👌")
P("x", "@vorstertickets", "en",
  "Students: show your card and get 30% off the Orgelnacht Passe-partout, €38.50 instead of €55.")
P("tiktok", "@vorsterhal", "nl",
  "Ben je onder de 27? Met de U27-pas van €25 krijg je een jaar lang korting op bijna alles 🤩")
P("x", "@liekebrouwer_vp", "nl",
  "Vriendenkorting: vrienden van de Lindehof krijgen 10% op de Jaarpas, dus €314,10. Deel het gerust!")
P("facebook", "ahmed.y.utrecht", "nl",
  "Moest bij de kassa een formulier invullen met mijn klantnummer {{NINE_BAD2:bsn}}, is dat normaal? "
  "Gewoon benieuwd.", ids=[("nine", "NINE_BAD2", False)], name="Ahmed Y.")
P("x", "@oma_ria", "nl", "Wachtwoord vergeten van mijn VorsterTickets account, waar kan ik dat resetten? 🙈")
P("blog", "techblog_sanne", "en",
  "How I'd design ticket links: sign a JWT (header like {\"alg\":\"HS256\"}), keep the expiry short, and never "
  "put personal data in the payload. Venues like Vorster could do worse than copy this.")
P("mastodon", "@annekevos", "en",
  "Reminder for the README: use OPENAI_API_KEY=sk-xxxxxxxxxxxxxxxxxxxxxxxx as a placeholder, real keys live in "
  "the vault.")
P("x", "@zakenpraat", "nl",
  "Meridian Live neemt concertzaal De Klokkentoren in Deventer over. Is Vorster de volgende? Denk het niet, "
  "die zijn daar te zelfstandig voor.")
P("x", "@liekebrouwer_vp", "en",
  "Tip from our IT team: we will NEVER ask for your password by e-mail. Got a weird mail 'from Vorster'? Forward "
  "it to security@vorsterpodia.nl 🔐")
P("x", "@vorstertickets", "en",
  "The ticket shop is back up after this morning's disruption. Orders placed between 9 and 11 will reach your "
  "inbox within the hour. Sorry for the wait!")
P("facebook", "wendy.brouwer.5", "en",
  "Had an issue with a double booking, called the box office and it was sorted in five minutes. Great service "
  "from the Lindehof team!", name="Wendy Brouwer")
P("instagram", "@vorsterhal", "nl",
  "Helaas gaat 'De Nachtwacht' op 12 februari niet door wegens ziekte. Je krijgt je geld automatisch binnen 14 "
  "dagen terug.")
P("reddit", "u/crowdsurfer", "en",
  "The bassist at the Vorsterhal last night was sick. Absolutely murdered that solo.")
P("x", "@feestbeest", "nl", "Explosie van kleur bij de danspremière in de Lindehof 💃 wat een energie!!")
P("threads", "@theaterjunkie", "en", "Third time seeing the panto at the Lindehof. No regrets. #vorster #theatre")
P("tiktok", "@stagehand.sem", "nl", "ochtendje laden en lossen voor de musical 💪 wie komt er vanavond kijken?")
P("x", "@vorstertickets", "nl",
  "@evab we zien de dubbele betaling met de kaart eindigend op 4417. De tweede is inmiddels teruggestort 👍",
  kind="reply")
P("threads", "@lindehofschouwburg", "en",
  "Access needs? Email toegankelijk@vorsterpodia.nl or call +31 30 760 4400 and we'll find the best seats for you.")
P("x", "@lindehof_fan", "nl",
  "Jarige Job! Toneelmeester Kees viert vandaag zijn 25-jarig jubileum bij de Lindehof 🎉")
P("x", "@stoelenteller", "en",
  "Fun fact: Vorsterhal main hall seats 2 150, the Lindehof 1 120 and the Spiegelzaal 420. That's 3 690 seats 🤓")
P("x", "@goedkoopuit", "nl",
  "Nieuwjaarsconcert Rang 1 kost €78, rang 3 maar €39. Zit je op rang 3 nog een beetje goed?")
P("x", "@grappenmaker", "en",
  "my brain had a full data breach during the Vorsterhal pub quiz, forgot every single answer 😂")
P("reddit", "u/newinutrecht", "en",
  "How does the refund policy at Vorster work if you get sick the day of the show? Is there some kind of "
  "insurance you can add?")
P("linkedin", "wouter-van-leeuwen-directeur", "nl",
  "Van harte welkom aan onze nieuwe artistiek leider van de Lindehof, Fleur Dijkman! Zij begint op 1 september.")
P("facebook", "VorsterPodia", "nl",
  "Open dag! Zaterdag 10-16 uur kijk je achter de schermen van de Vorsterhal, Catharijnekade 12, Utrecht. "
  "Gratis, wel even aanmelden.")
P("linkedin", "wouter-van-leeuwen-directeur", "en",
  "Now that Vorsterhal Noord is official: proud of the team that worked on it in silence for two years.",
  d="2027-02-10T12:00:00Z")
P("x", "@dealjager_nl", "nl",
  "Prijsfout bij een elektronicazaak, tv voor €19. Helaas niks te halen bij VorsterTickets vandaag 😅")


# ---------------------------------------------------------------------------
# build
# ---------------------------------------------------------------------------
LEVELS = ["none", "info", "warning", "error", "critical"]


def role_of(platform, handle):
    key = ("%s:%s" % (platform, handle)).lower()
    acc = PROFILE["accounts"]
    if key in [a.lower() for a in acc["corporate"]]:
        return "corporate"
    if key in [a.lower() for a in acc["employee"]]:
        return "employee"
    return "public"


def severity(cats, role, checked_pii):
    s = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                v = 3
                if c in ("leak.secret", "leak.pricing"):
                    v = 4
                if c == "leak.pii" and checked_pii:
                    v = 4
            else:
                v = 2
        elif c == "reputation.complaint":
            v = 2
        elif c == "reputation.crisis":
            v = 3
        elif c == "reputation.abuse":
            v = 2 if role == "public" else 3
        else:
            raise ValueError(c)
        s = max(s, v)
    return LEVELS[s]


def rand_time():
    start = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
    t = start + dt.timedelta(days=rng.randrange(0, 362), hours=rng.randint(6, 22),
                             minutes=rng.randrange(60), seconds=rng.randrange(60))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


PREFIX = {"x": "x", "twitter": "tw", "linkedin": "li", "facebook": "fb", "instagram": "ig", "tiktok": "tt",
          "youtube": "yt", "reddit": "rd", "mastodon": "md", "bluesky": "bs", "threads": "th", "forum": "fo",
          "blog": "bl", "other": "ot"}

order = list(range(len(CASES)))
rng.shuffle(order)
lines = []
for n, i in enumerate(order, 1):
    c = CASES[i]
    text = sub(c["text"])
    c["final_text"] = text
    role = role_of(c["platform"], c["handle"])
    c["role"] = role
    checked = any(k in ("iban", "card", "bsn") and ok for k, _, ok in c["ids"])
    sev = severity(c["cats"], role, checked and "leak.pii" in c["cats"]) if c["cats"] else "none"
    pid = "%s-s338-%03d" % (PREFIX[c["platform"]], n)
    post = {"id": pid, "platform": c["platform"], "kind": c["kind"],
            "account": {"handle": c["handle"]}, "text": text, "lang": c["lang"],
            "created_at": c["d"] or rand_time()}
    if c["name"]:
        post["account"]["display_name"] = c["name"]
    if c["platform"] == "x":
        post["url"] = "https://x.com/%s/status/%d" % (c["handle"].lstrip("@"), 19 * 10 ** 17 + rng.randrange(10 ** 17))
    elif c["platform"] == "reddit":
        post["url"] = "https://www.reddit.com/r/utrecht/comments/%s/" % rand(string.ascii_lowercase + DIGITS, 7)
    post["brand"] = "vorster"
    c["post"] = post
    lines.append({"post": post, "expect": {"categories": sorted(set(c["cats"])), "severity": sev}})

out = os.path.join(HERE, "cases.jsonl")
with open(out, "w", encoding="utf-8") as fh:
    for obj in lines:
        fh.write(json.dumps(obj, ensure_ascii=False) + "\n")

# ---------------------------------------------------------------------------
# self-check
# ---------------------------------------------------------------------------
errors = []


def err(msg):
    errors.append(msg)


PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
TAXO = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial", "leak.security",
        "reputation.crisis", "reputation.complaint", "reputation.abuse"}
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


ZWCHARS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)
DECYR = {v: k for k, v in CYR.items()}


def norm(s):
    s = unicodedata.normalize("NFKC", s).translate(ZWCHARS)
    s = "".join(DECYR.get(ch, ch) for ch in s)
    return s.lower()


def compact(s):
    return re.sub(r"[^0-9a-z]", "", norm(s))


# 1. file shape (CONTRACT section 6)
seen = set()
with open(out, encoding="utf-8") as fh:
    raw = fh.read().splitlines()
for ln, line in enumerate(raw, 1):
    try:
        obj = json.loads(line)
    except ValueError as e:
        err("line %d: not JSON: %s" % (ln, e))
        continue
    if set(obj) != {"post", "expect"}:
        err("line %d: keys %s" % (ln, sorted(obj)))
    p, e = obj["post"], obj["expect"]
    if not isinstance(p.get("id"), str) or not 1 <= len(p["id"]) <= 256:
        err("line %d: bad id" % ln)
    if p["id"] in seen:
        err("line %d: duplicate id %s" % (ln, p["id"]))
    seen.add(p["id"])
    if p.get("platform") not in PLATFORMS:
        err("line %d: platform" % ln)
    if p.get("kind", "post") not in KINDS:
        err("line %d: kind" % ln)
    if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
        err("line %d: account.handle" % ln)
    if not isinstance(p.get("text"), str) or not p["text"] or len(p["text"].encode()) > 65536:
        err("line %d: text" % ln)
    if not isinstance(p.get("created_at"), str) or not RFC3339.match(p["created_at"]):
        err("line %d: created_at" % ln)
    else:
        parse_ts(p["created_at"])
    cats = e.get("categories")
    if not isinstance(cats, list) or not set(cats) <= TAXO or cats != sorted(set(cats)):
        err("line %d: categories %r" % (ln, cats))
    if e.get("severity") not in LEVELS:
        err("line %d: severity" % ln)
    if not cats and e["severity"] != "none":
        err("line %d: benign with severity" % ln)
    if cats and e["severity"] in ("none", "info"):
        err("line %d: positive with severity %s" % (ln, e["severity"]))

# 2. roles: public handles are not in the profile; severity recomputed
all_accounts = {a.lower() for a in PROFILE["accounts"]["corporate"] + PROFILE["accounts"]["employee"]}
for c in CASES:
    key = ("%s:%s" % (c["platform"], c["handle"])).lower()
    if c["role"] == "public" and key in all_accounts:
        err("public handle in profile: %s" % key)
    if c["role"] != "public" and key not in all_accounts:
        err("role mismatch %s" % key)

# 3. identifiers: declared ones are present and pass/fail as declared
CHECK = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok, "nine": bsn_ok}
public_ibans = {re.sub(r"\s", "", x).upper() for x in PROFILE["public_identifiers"]["ibans"]}
for c in CASES:
    for kind, key, ok in c["ids"]:
        val = V[key]
        if compact(val) not in compact(c["final_text"]):
            err("%s: identifier %s not in text" % (c["post"]["id"], key))
        if CHECK[kind](val) != ok:
            err("%s: %s checksum %s, expected %s" % (c["post"]["id"], key, not ok, ok))
        if c["cats"] and not ok:
            err("%s: failing look-alike in a positive" % c["post"]["id"])
        if not c["cats"] and ok and val.upper() not in public_ibans:
            err("%s: valid identifier in a benign post" % c["post"]["id"])

# 4. scan every text for undeclared checksum-bearing numbers
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){2,7}(?:\s?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\d])(?:\d[ \-.]?){12,18}\d(?![\d])")
NINE_RE = re.compile(r"(?<![\d])(?:\d{9}|\d{3}[ .]\d{3}[ .]\d{3}|\d{4}[ .]\d{2}[ .]\d{3})(?![\d])")
for c in CASES:
    t = norm(c["final_text"]).upper()
    declared = {compact(V[k]).upper() for _, k, _ in c["ids"]}
    for m in IBAN_RE.finditer(t):
        s = re.sub(r"\s", "", m.group())
        if iban_ok(s) and s not in declared and s not in public_ibans:
            err("%s: undeclared valid IBAN %s" % (c["post"]["id"], s))
    for m in CARD_RE.finditer(t):
        s = re.sub(r"\D", "", m.group())
        if 13 <= len(s) <= 19 and luhn_ok(s) and s not in declared:
            err("%s: undeclared Luhn-valid number %s" % (c["post"]["id"], s))
    for m in NINE_RE.finditer(t):
        s = re.sub(r"\D", "", m.group())
        if bsn_ok(s) and s not in declared:
            err("%s: undeclared 11-proof number %s" % (c["post"]["id"], s))

# 5. credentials are well-formed
if not gh_token_ok(V["GH"]):
    err("github token checksum")
if not re.fullmatch(r"AKIA[A-Z2-7]{16}", V["AWS_ID"]):
    err("aws id")
if not jwt_ok(V["JWT"]):
    err("jwt header")
if gh_token_ok("ghp_" + "x" * 36):
    err("placeholder token passes")

# 6. internal terms and embargo: present => confidential (unless embargo is over)
internal_terms = (PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"]
                  + PROFILE["internal"]["domains"])
for c in CASES:
    ct = compact(c["final_text"])
    for term in internal_terms:
        if compact(term) in ct and "leak.confidential" not in c["cats"]:
            err("%s: internal term %r but not confidential" % (c["post"]["id"], term))
    for emb in PROFILE["embargo"]:
        until = parse_ts(emb["until"])
        for term in emb["terms"]:
            if compact(term) in ct:
                before = parse_ts(c["post"]["created_at"]) < until
                if before and "leak.confidential" not in c["cats"]:
                    err("%s: embargo term %r before until, not confidential" % (c["post"]["id"], term))
                if not before and c["cats"]:
                    err("%s: embargo term after until in a positive" % c["post"]["id"])

# 7. pricing: every pricing positive names a profile product
aliases = []
for prod in PROFILE["products"]:
    for a in [prod["name"]] + prod["aliases"]:
        aliases.append(norm(a))
for c in CASES:
    if "leak.pricing" in c["cats"] and not any(a in norm(c["final_text"]) for a in aliases):
        err("%s: pricing case without a product" % c["post"]["id"])

# 8. the profile itself
for ib in PROFILE["public_identifiers"]["ibans"]:
    if not iban_ok(ib):
        err("profile IBAN fails mod-97")
for emb in PROFILE["embargo"]:
    if not emb["until"].startswith("2027"):
        err("embargo until not in 2027")
if PROFILE["pricing"]["alert_below_ratio"] != 0.5:
    err("ratio")

# 9. mix
from collections import Counter
cnt = Counter(cat for c in CASES for cat in c["cats"])
benign = sum(1 for c in CASES if not c["cats"])
langs = Counter(c["lang"] for c in CASES)
roles = Counter((c["role"], bool(c["cats"])) for c in CASES)
if not 170 <= len(CASES) <= 180:
    err("case count %d" % len(CASES))

print("cases:", len(CASES), "benign:", benign, "positive:", len(CASES) - benign)
print("categories:", dict(sorted(cnt.items())))
print("languages:", dict(langs))
print("roles (role, positive):", dict(roles))
print("severities:", dict(Counter(l["expect"]["severity"] for l in lines)))
if errors:
    print("SELF-CHECK FAILED:")
    for e in errors:
        print("  -", e)
    sys.exit(1)
print("self-check OK")
