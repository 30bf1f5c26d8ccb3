#!/usr/bin/env python3
"""Evaluation set sealed239: Brammert Landbouwmachines B.V. (fictional tractor and
farm-machinery dealer). Hand-written posts; identifiers and credentials are generated
here with a fixed seed the way the real ones are built. Writes cases.jsonl beside this
file and checks it. Severities are computed from CONTRACT section 4 using the account
role looked up in profile.yaml, never typed by hand.

Run: python3 make_cases.py
"""
import base64
import datetime as dt
import json
import os
import re
import random
import sys
import unicodedata
import zlib

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "cases.jsonl")
rng = random.Random(239)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# --------------------------------------------------------------------------------------
# identifiers
# --------------------------------------------------------------------------------------
ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"  # base-62 order


def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(bank):
    acct = "".join(rng.choice("0123456789") for _ in range(10))
    n = int("".join(str(int(c, 36)) for c in bank + acct + "NL00"))
    return "NL%02d%s%s" % (98 - n % 97, bank, acct)


def bad_iban(valid):
    # change one digit of the account part: mod-97 always catches a single substitution
    i = len(valid) - 1 - rng.randrange(6)
    d = valid[i]
    nd = str((int(d) + 1 + rng.randrange(8)) % 10)
    out = valid[:i] + nd + valid[i + 1:]
    assert not iban_ok(out)
    return out


def spaced4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    tot = 0
    for i, v in enumerate(reversed(d)):
        if i % 2 == 1:
            v *= 2
            if v > 9:
                v -= 9
        tot += v
    return tot % 10 == 0


def make_card(prefix, length=16):
    body = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix) - 1))
    for c in "0123456789":
        if luhn_ok(body + c):
            return body + c
    raise AssertionError


def bad_digits(length, first="1"):
    while True:
        s = first + "".join(rng.choice("0123456789") for _ in range(length - 1))
        if not luhn_ok(s):
            return s


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9:
        return False
    tot = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return tot % 11 == 0


def make_bsn():
    while True:
        head = str(rng.randint(1, 6)) + "".join(rng.choice("0123456789") for _ in range(7))
        last = sum(int(head[i]) * (9 - i) for i in range(8)) % 11
        if last < 10:
            b = head + str(last)
            assert bsn_ok(b)
            return b


def bad_bsn():
    while True:
        s = str(rng.randint(1, 9)) + "".join(rng.choice("0123456789") for _ in range(8))
        if not bsn_ok(s):
            return s


# --------------------------------------------------------------------------------------
# credentials
# --------------------------------------------------------------------------------------
def rand(alpha, n):
    return "".join(rng.choice(alpha) for _ in range(n))


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out or "0"


def gh_token(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode())).rjust(6, "0")


def gh_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def aws_key_id():
    return "AKIA" + rand("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)


def aws_secret():
    return rand("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+", 40)


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt():
    header = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = b64u(json.dumps({"sub": "klant-" + str(rng.randint(10000, 99999)), "role": "dealer",
                               "iat": 1790000000, "exp": 1821536000}, separators=(",", ":")).encode())
    sig = b64u(bytes(rng.randrange(256) for _ in range(32)))
    return header + "." + payload + "." + sig


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    h = parts[0] + "=" * (-len(parts[0]) % 4)
    return "alg" in json.loads(base64.urlsafe_b64decode(h))


def make_pem():
    raw = b"openssh-key-v1\x00" + bytes(rng.randrange(256) for _ in range(360))
    body = base64.b64encode(raw).decode()
    lines = [body[i:i + 70] for i in range(0, len(body), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# generated values (order fixed -> deterministic)
GH1 = gh_token("ghp_")
GH_FW = gh_token("gho_")
AKIA = aws_key_id()
AWS_SEC = aws_secret()
STRIPE = "sk_live_" + rand(ALNUM, 24)
SLACK = "xoxb-" + rand("0123456789", 12) + "-" + rand("0123456789", 13) + "-" + rand(ALNUM, 24)
OPENAI = "sk-proj-" + rand(ALNUM + "-_", 22) + "T3BlbkFJ" + rand(ALNUM + "-_", 22)
GKEY = "AIza" + rand(ALNUM + "-_", 35)
JWT = make_jwt()
PEM = make_pem()
DBPW = rand(ALNUM, 10) + "!" + rand(ALNUM, 5)

IBAN_BOSMA = make_iban("INGB")
IBAN_VDALEN = make_iban("ABNA")
IBAN_POTS = make_iban("RABO")
IBAN_EVADE = make_iban("RABO")
OWN_IBAN = PROFILE["public_identifiers"]["ibans"][0]
IBAN_TYPO = bad_iban(OWN_IBAN)
CARD_VISA = make_card("4", 16)
CARD_LIKE_ORDER = bad_digits(16, "4")
PART_LIKE = bad_digits(15, "3")
BSN_YILMAZ = make_bsn()
BSN_DIRK = make_bsn()
BSN_LIKE = bad_bsn()

# --------------------------------------------------------------------------------------
# cases
# --------------------------------------------------------------------------------------
CASES = []


def P(who, handle, lang, text, cats=(), kind="post", at=None, ids=(), secrets=(), price=(), name=None):
    """who: c=corporate, e=employee, p=public (checked against the profile).
    handle: 'platform:@handle'. ids: (type, value) for iban/card/bsn in the text.
    secrets: (type, value). price: (sku, amount) pairs mentioned in the text."""
    plat, h = handle.split(":", 1)
    CASES.append(dict(who=who, platform=plat, handle=h, lang=lang, text=text, cats=sorted(set(cats)),
                      kind=kind, at=at, ids=list(ids), secrets=list(secrets), price=list(price), name=name))


C, CR, AB = "reputation.complaint", "reputation.crisis", "reputation.abuse"
CONF, FIN, SEC, SECR, PII, PRC = ("leak.confidential", "leak.financial", "leak.security",
                                  "leak.secret", "leak.pii", "leak.pricing")

# ---- complaints ------------------------------------------------------------------------
P("p", "x:@boer_klaas71", "nl",
  "@brammert_service al 3 weken wacht ik op een koppelingsplaat voor mijn T110. DRIE WEKEN. midden in de "
  "maisoogst. elke keer 'morgen komt ie binnen' 🙄", [C], kind="reply", at="2026-10-02T18:41:07+02:00")
P("p", "facebook:LoonbedrijfVeenstra", "nl",
  "Trekker maandag bij Brammert Emmen gebracht voor de 1000-urenbeurt. Krijgen we vandaag een rekening van "
  "€1.870 terwijl er €650 was afgesproken, en niemand heeft even gebeld om te overleggen. Hier gaan we niet "
  "mee akkoord.", [C], name="Loonbedrijf Veenstra")
P("p", "x:@farmer_mike_uk", "en",
  "Bought the Koerslijn RTK kit from @brammert_agri in March. Signal drops every 20 mins and support just "
  "keeps telling me to 'restart the terminal'. Not what I paid 11 grand for mate.", [C], at="2026-07-14T21:08:33+02:00")
P("p", "reddit:u/akkerbouw_jan", "nl",
  "Ervaring met Brammert Hardenberg? Wij hebben daar een Wentel 4 gekocht, na nog geen 40 ha een scheur in "
  "de schaarbalk. Garantie afgewezen wegens 'onoordeelkundig gebruik'. Tuurlijk. Ik ploeg al 25 jaar.",
  [C], kind="comment")
P("p", "instagram:@melkvee_dehoeve", "nl",
  "Leenmachine beloofd zolang onze RB150 in de werkplaats stond. Niks gekregen. Nu ligt het gras buiten te "
  "verregenen 😤 #brammert #hooien", [C], at="2026-06-11T20:15:44+02:00")
P("p", "x:@kate_smallholding", "en",
  "Rang Brammert three times about the hydraulics on my Compact 25 weeping oil. On hold 40 minutes each "
  "time, then cut off. Seriously thinking about taking it back.", [C])
P("p", "other:@d.hofstede", "nl",
  "Monteur zou dinsdag komen voor de storing aan de voorlader. Niemand gekomen, geen telefoontje. Woensdag "
  "ook niet. Hoe moeilijk is het om even te bellen, Brammert?", [C])
P("p", "x:@AgriContractorNI", "en",
  "@brammert_agri your parts webshop charged my card twice for the same filter order (#BR-448213) and "
  "nobody answers the email. Sort it out please.", [C], kind="reply")
P("p", "forum:Gertjan_Z", "nl",
  "Nieuwe T85 gekocht in juni bij Brammert, kenteken nog steeds niet geregeld door de dealer. Mag dus niet "
  "met de kar de weg op. Ben het eerlijk gezegd spuugzat.", [C], at="2026-08-19T21:02:10+02:00")
P("p", "tiktok:@loonwerk_lisa", "nl",
  "POV: je Erfrunner staat voor de derde keer bij de dealer voor hetzelfde startprobleem 🙃 #brammert "
  "#nietweer", [C])
P("p", "linkedin:tom-groeneveld-agro", "en",
  "Disappointed with Brammert's after-sales this season. We run six Veldros units across two farms and the "
  "24-hour response time in our service contract has been missed four times since April.", [C])
P("p", "x:@geitenboer_ria", "nl",
  "die klantenapp van brammert is echt drama. kan m'n facturen niet downloaden en inloggen mislukt om de "
  "haverklap. doe nou gewoon weer een papieren factuur in de bus zoals vroeger", [C])

# complaint + crisis: the customer's own safety incident
P("p", "facebook:jannes.wolters.7", "nl",
  "Gisteravond vloog de cabine van onze T140 bijna in de fik. Rook onder het dashboard, kabelboom "
  "gesmolten. Machine is 4 maanden oud!! Brammert zegt 'we komen een keer kijken'. Mijn zoon had daar "
  "in kunnen zitten.", [C, CR], name="Jannes Wolters")
P("p", "x:@hill_farm_dave", "en",
  "Front loader on my Veldros dropped a full bale while I was underneath checking the pin. Hydraulic lock "
  "just let go. I'm fine, barely. @brammert_agri this needs answers, not a callback form.", [C, CR])
P("p", "instagram:@boerinnemarieke", "nl",
  "Mijn man kreeg vanochtend een flinke stroomklap van de acculader die we bij Brammert bij de Compact 40 "
  "hebben gekocht. Hand nog steeds half gevoelloos. Ligt dat ding gewoon nog in de winkel?!", [C, CR])
P("p", "reddit:u/tillage_tom", "en",
  "Rant: brakes on my new T110 from Brammert faded completely coming down the dyke with a loaded Kieper "
  "10T behind. Ended up in the ditch, me and the trailer. Dealer says 'driver error'. It was NOT.", [C, CR])

# complaint + abuse
P("p", "x:@pietjebel_", "nl",
  "Stelletje oplichters bij Brammert. €640 voor een uurtje sleutelen en de motor loopt nog steeds ruw. "
  "Kankerbedrijf.", [C, AB])
P("p", "x:@ukfarmlad", "en",
  "Brammert customer service are absolute clowns. Useless f*cking idiots, two weeks for a bloody "
  "hydraulic hose. Never again.", [C, AB])
P("p", "facebook:harm.dijkhuis", "nl",
  "Die verkoper van jullie in Sneek is een arrogante eikel. Belooft me een inruilprijs en een week later "
  "is het ineens 8 mille minder. Schandalig hoe jullie met klanten omgaan.", [C, AB], kind="comment",
  name="Harm Dijkhuis")

# complaint + the customer's own phone number
P("p", "x:@henkie_melkt", "nl",
  "@brammert_service al 4x gemaild over mijn kapotte schudder, geen enkele reactie. Bel me nou gewoon "
  "terug: 06-41 87 23 59. Klantnr staat in de mail.", [C, PII], kind="reply")

# ---- crisis ---------------------------------------------------------------------------
P("p", "x:@nieuws_drenthe", "nl",
  "Boer (54) uit Westerbork gewond nadat zijn trekker, volgens omstanders een Veldros T85 van dealer "
  "Brammert, achteruit de sloot in schoot. Traumaheli ingezet. #112 #drenthe", [CR])
P("p", "x:@agri_news_daily", "en",
  "Fire crews called to a barn near Ommen after a Brammert-supplied RB150 baler caught fire mid-job. Third "
  "such report this month, according to locals.", [CR])
P("p", "facebook:DorpsbelangNieuwlande", "nl",
  "Op de Hoofdweg is vanmiddag een Erfrunner van Brammert over de kop geslagen met een jongen van 16 erop. "
  "Hij is met spoed naar het ziekenhuis gebracht. Veel sterkte aan de familie.", [CR],
  name="Dorpsbelang Nieuwlande")
P("p", "x:@landbouwnieuws", "nl",
  "Terugroepactie: Brammert roept alle FL200 voorladers uit bouwjaar 2025 terug vanwege een mogelijk "
  "defecte vergrendeling van de snelwissel. Eigenaren krijgen een brief.", [CR])
P("p", "reddit:u/wrenchmonkey_nl", "en",
  "Heads up: word is Brammert is quietly recalling the Kluiver RK4000, tines shearing off at high revs. "
  "Nothing official, but dealers are swapping rotors 'under warranty' left and right.", [CR])
P("p", "linkedin:mr-esther-vos", "nl",
  "Namens 14 akkerbouwers heb ik vandaag een dagvaarding laten uitbrengen tegen Brammert Landbouwmachines "
  "B.V. wegens de levering van Koerslijn-systemen die structureel niet functioneerden. Wordt vervolgd.",
  [CR])
P("p", "x:@farmweekly_uk", "en",
  "A Lincolnshire contractor is suing Dutch dealer Brammert after a Veldros T140 gearbox failure allegedly "
  "cost him most of his harvest. The claim reportedly tops €300k.", [CR])
P("p", "x:@boerenverzet_nu", "nl",
  "Brammert sponsort gewoon dat stikstofcongres van het ministerie. Geen schroef meer bij ze kopen "
  "mannen, #boycotBrammert en delen die handel!!", [CR])
P("p", "x:@privacyfarmer", "en",
  "Reports that Brammert's customer portal leaked machine locations and home addresses of farmers, and the "
  "dump is already doing the rounds on a forum. Brammert, when were you planning to tell your customers? "
  "#databreach", [CR])
P("p", "x:@hackerboer", "nl",
  "Hoor van meerdere kanten dat er bij Brammert klantgegevens op straat liggen na een hack. Iemand die er "
  "meer van weet? Wil graag weten of mijn gegevens erbij zitten.", [CR])
P("p", "forum:Loonwerker_Twente", "nl",
  "Dus Brammert heeft jarenlang bij gebruikte trekkers het AdBlue-systeem eruit gesloopt en ze als "
  "'gereviseerd' doorverkocht? Als dat klopt is dat gewoon fraude. Stond vanavond bij de NOS.", [CR])

# ---- abuse ----------------------------------------------------------------------------
P("p", "x:@anoniempje_77", "nl",
  "@gerritjan_bram jij bent echt de grootste sukkel die ooit een trekker heeft verkocht. loser", [AB],
  kind="reply")
P("p", "instagram:@zwartekraai", "en", "lmao brammert staff are a bunch of inbred muppets", [AB], kind="comment")
P("p", "x:@RobbieVH", "nl",
  "Belde Brammert, kreeg zo'n hoofddoek aan de lijn. Ga eerst eens fatsoenlijk Nederlands leren voordat je "
  "klanten te woord staat.", [AB])
P("e", "x:@ilse_werkplaats", "nl",
  "@pietjebel_ ga lekker ergens anders zeuren jij, stuk verdriet. Dat ruwe lopen komt van je eigen "
  "bagger diesel.", [AB], kind="reply")
P("e", "facebook:wouter.heemskerk.92", "en",
  "Some customers today were such complete morons I wanted to drive a T140 through the showroom window. "
  "Idiots, the lot of them.", [AB], name="Wouter Heemskerk")
P("p", "x:@d3_b00r", "nl",
  "br4mm3rt = k4nk3rz00i, h00p d4t jull13 f1l14l3n 4llem44l 4fbr4nd3n", [AB])
P("p", "x:@xx_agro", "en", "@brammert_agri you are all f u c k i n g  w a n k e r s", [AB], kind="reply")
P("p", "tiktok:@jongeboer_bas", "nl",
  "die monteur van brammert die vandaag bij ons was is echt een vieze vetzak 🤮 stonk de hele stal uit",
  [AB])
P("p", "youtube:@GrumpyGreg", "en",
  "Whoever presents this Brammert channel is the most annoying idiot on the internet. Shut up and show "
  "the tractor ffs.", [AB], kind="comment")

# ---- confidential -----------------------------------------------------------------------
P("e", "x:@monique_vdlinde", "nl",
  "Eindelijk mogen we er iets over zeggen... nou ja, bijna 😏 Project Zwaluwstaart gaat dit najaar de boel "
  "flink opschudden! #teaser #brammert", [CONF])
P("e", "tiktok:@sjoerd_trekkerfreak", "nl",
  "zag vandaag de Stormvogel in de achterste hal staan onder een zeil 🤫🔥 mag niks zeggen maar WAUW "
  "#trekker #werkplaats", [CONF])
P("e", "x:@devops_daan", "en",
  "anyone else's laptop crawling on the new VPN? vpn.brammert-agri.nl takes like 2 minutes to handshake lol",
  [CONF])
P("e", "instagram:@joris_sleutelt", "nl",
  "Nieuw werkplaatshandboek binnen 📚 op elke pagina staat 'alleen voor dealerpersoneel' dus ik laat "
  "alleen de kaft zien 😅 (ok, en bladzijde 12 met de nieuwe aanhaalmomenten voor de T140)", [CONF])
P("c", "facebook:BrammertLandbouw", "nl",
  "Beste klanten, de nieuwe prijslijst voor onderdelen staat klaar: "
  "https://dms.brammert.local/prijslijsten/onderdelen-2027-concept.pdf", [CONF])
P("e", "linkedin:anouk-brouwer-it", "en",
  "Proud of the team: all 4 branches moved to the new ERP in one weekend. Screenshot of the dashboard on "
  "intranet.brammert.local below 👇 #ERP #agritech", [CONF])
P("e", "x:@gerritjan_bram", "nl",
  "Klanten vragen al maanden naar een elektrische trekker. Wat ik kan zeggen: de Veldros T95e komt eraan, "
  "120 pk en volledig elektrisch. Meer mag ik niet kwijt 😉", [CONF], at="2026-10-08T12:20:31+02:00")
P("p", "x:@agrofotograaf", "en",
  "Spotted at the Brammert dealer day in Meppel: a prototype T95e, fully electric, tucked away in a closed-off "
  "corner. Launch apparently early next year 👀", [CONF], at="2026-11-21T16:05:12+01:00")
P("e", "x:@ilse_werkplaats", "nl",
  "Mail van de directie vandaag, onderwerpregel 'Brammert intern - niet doorsturen'. Zet het toch even hier "
  "neer want dit is te gek: vanaf januari worden overuren in de werkplaats niet meer uitbetaald.", [CONF],
  at="2026-11-18T19:40:26+01:00")
P("e", "x:@monique_vdlinde", "en",
  "Big things coming at Brammert 🚜 can't say much, but Operatie\u200b Kie\u200bvit kicks off Monday and "
  "it's going to change how we all work 💪", [CONF])
P("e", "instagram:@joris_sleutelt", "nl",
  "Proefritje gemaakt met de \u0405t\u043ermv\u043eg\u0435l achter de loods. Meer zeg ik niet 🤐🚜",
  [CONF])
P("p", "forum:dealerinsider", "en",
  "Mate at one of their branches forwarded me the dealer memo, header literally says 'ALLEEN VOOR "
  "DEALERPERSONEEL'. Gist: the Kluiver line gets dropped end of 2026 and remaining stock is being pushed "
  "to other dealers.", [CONF], at="2026-07-02T23:10:40+02:00")

# confidential + financial
P("e", "linkedin:henk-oosterveld-brammert", "nl",
  "Spannende weken. Project Zwaluwstaart ligt op schema: als alles meezit nemen we in Q1 de vier "
  "vestigingen van een collega-dealer in Friesland over. Meer na de ondertekening.", [CONF, FIN])
P("e", "linkedin:sevda-kaya-brammert", "nl",
  "Zwaar gesprek gehad vandaag over Operatie Kievit. 35 collega's in Emmen en Hardenberg gaan hun baan "
  "verliezen en zij weten het zelf nog niet. Ik slaap er slecht van.", [CONF, FIN])
P("p", "x:@roddelboer", "nl",
  "Via via gehoord: O.p.e.r.a.t.i.e K.i.e.v.i.t = de werkplaats in Sneek gaat dicht en Brammert wordt "
  "straks zelf verkocht aan een Duitse groep", [CONF, FIN])
P("e", "linkedin:henk-oosterveld-brammert", "en",
  "Preliminary FY2026 results are in: revenue down roughly 18% and EBITDA almost halved. Not pretty, and "
  "the bank hasn't seen them yet. Tough board meeting ahead.", [CONF, FIN], at="2027-01-20T08:44:02+01:00")

# confidential + security
P("e", "x:@devops_daan", "en",
  "git.brammert-agri.nl has been down since 03:00, looks like someone got in through the old Jenkins box. "
  "Don't push anything until we know more 🙃", [CONF, SEC])
P("e", "mastodon:@rutger_dev@mastodon.nl", "en",
  "Fun afternoon: found out dms.brammert.local serves every customer contract to anyone on the guest wifi, "
  "no auth at all. Ticket filed, fix ETA unknown.", [CONF, SEC])

# ---- financial ------------------------------------------------------------------------
P("e", "x:@gerritjan_bram", "nl",
  "Off the record: de omzetprognose voor 2027 is met 12% naar beneden bijgesteld. Verkoop gaat volgend jaar "
  "een zware dobber worden.", [FIN])
P("e", "facebook:wouter.heemskerk.92", "nl",
  "Net gehoord dat onze vestiging in Sneek per 1 maart dichtgaat. Verkopers krijgen een ander aanbod of "
  "ontslag. Nog niet officieel dus mondje dicht 🤐", [FIN], name="Wouter Heemskerk",
  at="2026-01-14T17:51:02+01:00")
P("e", "linkedin:sevda-kaya-brammert", "en",
  "Heads-up for my network: we'll be cutting about 50 roles across the group this spring. If you're hiring "
  "mechanics, DM me, I'd love to place good people before it's announced.", [FIN],
  at="2026-02-03T09:12:55+01:00")
P("p", "reddit:u/agri_investor_nl", "en",
  "Hearing from two separate sources that a big German machinery group has put in an offer for Brammert, "
  "somewhere around €85m. Signing expected before summer. Not public yet.", [FIN])
P("e", "x:@monique_vdlinde", "nl",
  "Q3 was een dramakwartaal 😬 32% minder trekkers verkocht dan vorig jaar. Gelukkig weet de buitenwereld "
  "dat nog niet 🙈", [FIN], at="2026-10-06T22:14:09+02:00")
P("c", "x:@brammert_agri", "en",
  "[DRAFT - hold until 12 Jan] Brammert to close its Hardenberg parts warehouse; 22 positions affected.",
  [FIN], at="2026-12-09T10:02:47+01:00")
P("e", "tiktok:@sjoerd_trekkerfreak", "nl",
  "kantineroddel van vandaag: we gaan een dealer in belgië overnemen, deal is bijna rond. zeg niks tegen "
  "niemand haha", [FIN])
P("e", "linkedin:anouk-brouwer-it", "nl",
  "IT-budget voor volgend jaar gehalveerd en 6 van de 11 mensen op mijn afdeling worden boventallig. Wordt "
  "pas in december gecommuniceerd. Ik baal er enorm van.", [FIN], at="2026-10-22T20:33:18+02:00")

# ---- security -------------------------------------------------------------------------
P("e", "x:@devops_daan", "en",
  "ransomware on two workshop PCs in Emmen this morning 😬 pulled the network cable, customers won't "
  "notice (hopefully). IT is not amused", [SEC])
P("e", "x:@ilse_werkplaats", "nl",
  "Planning ligt sinds vanochtend helemaal plat, hele werkordersysteem eruit na een 'beveiligingsincident'. "
  "Klanten bellen zich suf en wij mogen niks zeggen 🙃", [SEC])
P("e", "linkedin:anouk-brouwer-it", "en",
  "Lesson learned this week: one of our sales staff clicked a phishing link and the attacker sat in our "
  "Microsoft 365 tenant for three days before we noticed. Still working out what was read.", [SEC])
P("e", "mastodon:@rutger_dev@mastodon.nl", "en",
  "For colleagues: the Koerslijn RTK terminal accepts any firmware file you give it, no signature check. "
  "Reported internally two months ago, still unpatched 🤷", [SEC])
P("e", "instagram:@joris_sleutelt", "nl",
  "Diagnoselaptop deed raar sinds de update, blijkt dat iemand op afstand meekeek in de werkplaatssoftware "
  "😳 IT zegt dat we er niks over mogen posten dus bij deze 🤫", [SEC])
P("e", "tiktok:@sjoerd_trekkerfreak", "nl",
  "webshop ligt al sinds gisteren plat lol, niemand kan onderdelen bestellen en er staat nog geen melding "
  "op de site. IT zegt dat er een lek in de betaalmodule zit", [SEC])
P("e", "x:@gerritjan_bram", "en",
  "Our customer portal has been showing invoices to the wrong logged-in customers since last week's "
  "update. Devs know. No announcement planned apparently 🤦", [SEC])
P("c", "x:@brammert_service", "nl",
  "Intern: backupserver Meppel is nog steeds niet terug na de aanval van zaterdag. Niet naar klanten "
  "communiceren tot maandag. (sorry, verkeerde account)", [SEC])
P("e", "facebook:wouter.heemskerk.92", "en",
  "Can't do any quotes today folks, our whole CRM has been offline since Tuesday after a hack. Hopefully "
  "back next week 🤞", [SEC], name="Wouter Heemskerk")
P("p", "reddit:u/ex_brammert_it", "en",
  "Former Brammert IT here. The admin login on the branch routers hasn't changed since 2019 and the guest "
  "wifi isn't separated from the workshop systems. Still the case last month according to old colleagues.",
  [SEC], kind="comment")
P("e", "x:@devops_daan", "nl",
  "Pentestrapport binnen: SQL-injectie in het dealerportaal, kritiek. Fix duurt minstens 3 weken en tot die "
  "tijd staat het gewoon open 🙈", [SEC])

# ---- secrets --------------------------------------------------------------------------
P("e", "x:@devops_daan", "en",
  "CI on the parts-api repo keeps 401ing on checkout 🙄 swapped in my own token for now: " + GH1 +
  " will rotate tomorrow, promise", [SECR], secrets=[("github", GH1)])
P("e", "mastodon:@rutger_dev@mastodon.nl", "en",
  "Working from the camper this week. If the parts sync breaks again, these are the creds it runs on:\n"
  "AWS_ACCESS_KEY_ID=" + AKIA + "\nAWS_SECRET_ACCESS_KEY=" + AWS_SEC + "\n(yes, I know)", [SECR],
  secrets=[("aws", AKIA)])
P("e", "linkedin:anouk-brouwer-it", "nl",
  "Welkom aan de 6 nieuwe leerling-monteurs! 👋 Handig voor je eerste dag: wifi werkplaats Meppel is "
  "'BRM-Werkplaats', wachtwoord: Trekker!2026Meppel. Tot maandag!", [SECR],
  secrets=[("password", "Trekker!2026Meppel")])
P("c", "facebook:BrammertLandbouw", "nl",
  "Test koppeling betaalmodule webshop ✅ key voor de developers: " + STRIPE + " (graag niet delen)",
  [SECR], secrets=[("stripe", STRIPE)])
P("e", "x:@devops_daan", "en",
  "bearer token from my test session if anyone wants to poke at the 403 on /orders: " + JWT, [SECR],
  secrets=[("jwt", JWT)])
P("p", "forum:fieldhacker", "en",
  "lol Brammert's web agency left a .env in a public repo:\nDATABASE_URL=postgres://brammert_app:" + DBPW +
  "@pg01.brammert-hosting.nl:5432/werkorders\nsomeone should tell them", [SECR],
  secrets=[("dburl", DBPW)])
P("e", "linkedin:anouk-brouwer-it", "en",
  "Our Slack bot for workshop planning is live 🎉 Colleagues who want to extend it: the bot token is " +
  SLACK + " , ping me for the repo.", [SECR], secrets=[("slack", SLACK)])
P("e", "mastodon:@rutger_dev@mastodon.nl", "en",
  "laptop died, reinstalling everything. parking this here so I don't lose it again\nOPENAI_API_KEY=" +
  OPENAI, [SECR], secrets=[("openai", OPENAI)])
P("e", "x:@devops_daan", "en",
  "sharing the deploy key for 5 min so Rutger can grab it, don't judge 🙈\n" + PEM, [SECR],
  secrets=[("pem", PEM)])
P("e", "instagram:@joris_sleutelt", "nl",
  "Plakbriefje op het dashboard van de servicebus 😂 gebruiker: werkplaats3 / wachtwoord: Veldros#T140 "
  "... wie heeft dit bedacht", [SECR], secrets=[("password", "Veldros#T140")])
P("e", "x:@lotte_codeert", "en",
  "pushing from my phone, use this one for the build for now: " + fullwidth(GH_FW), [SECR],
  secrets=[("github", GH_FW)])
P("p", "x:@sec_researcher_k", "en",
  "@brammert_agri your Android app ships a Google Maps key with no restrictions at all: " + GKEY +
  " please rotate it before someone runs up your bill.", [SECR], kind="reply", secrets=[("google", GKEY)])

# ---- personal data --------------------------------------------------------------------
P("e", "x:@ilse_werkplaats", "nl",
  "Wie kent deze klant? Trekker staat al 3 maanden klaar. J. Kuipers, Dorpsstraat 41, 7951 AB Staphorst, "
  "tel 06-28 47 19 36. Neemt nooit op.", [PII])
P("e", "facebook:wouter.heemskerk.92", "nl",
  "Meneer had zijn aanbetaling gedaan maar in de mail stond het verkeerde rekeningnummer, dus voor de "
  "boekhouding: terugstorten op " + spaced4(IBAN_BOSMA) + " t.n.v. R. Bosma", [PII],
  ids=[("iban", IBAN_BOSMA)], name="Wouter Heemskerk")
P("c", "x:@brammert_service", "nl",
  "@henkie_melkt we hebben uw gegevens gevonden: H. de Jong, geboren 14-03-1968, klant sinds 2011. We bellen "
  "u vandaag nog terug!", [PII], kind="reply")
P("e", "linkedin:sevda-kaya-brammert", "nl",
  "Contract getekend ✅ Welkom Ahmed Yilmaz, onze nieuwe monteur in Emmen! (foto van het contract hieronder, "
  "BSN " + BSN_YILMAZ + " moet ik nog even wegpoetsen 🙈)", [PII], ids=[("bsn", BSN_YILMAZ)])
P("e", "x:@gerritjan_bram", "en",
  "customer paid by card over the phone while I'm driving, noting it here quick, delete later: " +
  spaced4(CARD_VISA) + " exp 09/28", [PII], ids=[("card", CARD_VISA)])
P("p", "facebook:anja.smit.boerema", "nl",
  "Bij Brammert een Compact 25 gekocht voor mijn vader. Graag contact via anja.boerema71@gmail.com of "
  "0591-352 817, jullie mail komt blijkbaar niet aan.", [PII], kind="comment", name="Anja Smit-Boerema")
P("p", "x:@tractorjohn_ie", "en",
  "@brammert_agri could your parts team ring me back? +31 6 3915 7702, or email "
  "john.mccarthy.farm@outlook.ie. Thanks", [PII], kind="reply")
P("e", "instagram:@joris_sleutelt", "nl",
  "Mooie klus vandaag bij familie Hoekstra, Zuiderweg 12 in Dwingeloo 🚜 T110 helemaal nagelopen. Meneer "
  "Hoekstra werd vandaag 70 (geb. 3 juni 1956) dus er was taart 🎉", [PII], at="2026-06-03T17:22:48+02:00")
P("e", "tiktok:@sjoerd_trekkerfreak", "nl",
  "deze klant belde vandaag 11x 😂 wil iemand hem terugbellen? be my guest: 06 18 55 42 90 (meneer Brink)",
  [PII])
P("p", "reddit:u/agri_accountant", "en",
  "Brammert mailed me someone else's invoice by mistake. Has the name P. van Dalen, his IBAN " + IBAN_VDALEN +
  " and his home address in Ruinen on it. That's a GDPR breach, isn't it?", [PII, CR],
  ids=[("iban", IBAN_VDALEN)])
P("e", "x:@monique_vdlinde", "en",
  "Congrats to the winner of our Compact 25 raffle: Marleen Koster from Nijeveen! We'll deliver it to "
  "Hoofdstraat 88, Nijeveen next Friday 🎉", [PII])
P("c", "facebook:BrammertLandbouw", "nl",
  "Hoi Gerda, de terugbetaling van €214,50 is vandaag overgemaakt naar " + IBAN_POTS + " (G. Pots). "
  "Excuses voor het lange wachten!", [PII], kind="reply", ids=[("iban", IBAN_POTS)])
P("p", "x:@boer_dirk_o", "nl",
  "Voor de financiering bij Brammert moest ik mijn BSN doorgeven: " + BSN_DIRK + ". Is dat normaal bij "
  "een kunstmeststrooier?", [PII], ids=[("bsn", BSN_DIRK)])
P("e", "x:@gerritjan_bram", "nl",
  "Klant vroeg of ik zijn rekeningnummer even wilde doorzetten naar de boekhouding, bij deze (spatie-proof "
  "😉): " + " ".join(IBAN_EVADE) + " t.n.v. K. Schuiling", [PII], ids=[("iban", IBAN_EVADE)])

# ---- pricing --------------------------------------------------------------------------
P("c", "instagram:@brammert.agri", "nl",
  "🔥 WEEKENDDEAL 🔥 Veldros Compact 25 nu voor maar €1.845! Op = op. #brammert #minitrekker", [PRC],
  price=[("BR-C25", 1845)])
P("c", "facebook:BrammertLandbouw", "en",
  "Autumn offer: the Grondmeester VS2400 field sprayer, now only €3,250 including delivery.", [PRC],
  price=[("GM-VS2400", 3250)])
P("e", "x:@gerritjan_bram", "nl",
  "Wie snel is: T85 uit de showroom voor €24.900, alleen deze week 😎 dm me", [PRC], price=[("BR-T85", 24900)])
P("p", "x:@koopjesboer", "nl",
  "Webshop van Brammert: Comfortstoel voor €18,95 😂 prijsfoutje? Meteen 2 besteld", [PRC],
  price=[("BR-SEAT", 18.95)])
P("p", "reddit:u/bargainfarmer", "en",
  "Brammert's parts site has the filterset T-serie at €1.89 right now. Pricing error for sure, grab them "
  "while you can", [PRC], price=[("BR-FILT-T", 1.89)])
P("e", "facebook:wouter.heemskerk.92", "nl",
  "Collega heeft per ongeluk de RB150 op de site gezet voor €4.190 ipv €41.900. Al 3 bestellingen binnen, "
  "oeps 😅", [PRC], price=[("BR-RB150", 4190)], name="Wouter Heemskerk")
P("c", "tiktok:@brammert_trekkers", "nl", "Koerslijn RTK nu tijdelijk €1.130 ‼️ link in bio", [PRC],
  price=[("BR-RTK", 1130)])
P("e", "instagram:@joris_sleutelt", "en",
  "Mate of mine got a Kluiver RK4000 for 5k through our staff deal 🤑 list is 14.2k lol", [PRC],
  price=[("KL-RK4000", 5000)])
P("p", "x:@loonbedrijf_kamp", "nl",
  "Is dit een prijsfout bij Brammert? Erfrunner 700 voor €1.299 in de actiefolder. Iemand die het al "
  "geprobeerd heeft?", [PRC], price=[("BR-ATV700", 1299)])
P("c", "youtube:@BrammertAgriTV", "en",
  "Today on the channel: the Brammert Hark H420 up close. Viewers only: grab one for €539 with code YT539 👇",
  [PRC], price=[("BR-H420", 539)])
P("p", "forum:akkerman_groningen", "nl",
  "Bij Brammert stond de KS1500 een dag lang voor €89 op de site, duidelijk een prijsfout. Mijn buurman "
  "heeft er gauw eentje besteld 😄", [PRC], price=[("GM-KS1500", 89)])
P("e", "x:@monique_vdlinde", "en",
  "Typo alert 🙈 our newsletter says the Veldros T140 is €9,680. It obviously isn't, please don't all "
  "call at once", [PRC], price=[("BR-T140", 9680)])

# ---- benign (mostly hard negatives) ---------------------------------------------------
P("c", "x:@brammert_agri", "nl",
  "Vragen over je onderhoudsbeurt? Mail naar service@brammert-agri.nl of bel +31 522 462 300. We helpen je "
  "graag! 🚜")
P("c", "facebook:BrammertLandbouw", "nl",
  "Let op: er gaan nepfacturen rond uit naam van Brammert. Wij werken uitsluitend met rekeningnummer " +
  OWN_IBAN + ". Twijfel je? Bel gratis 0800-0522.", ids=[("own_iban", OWN_IBAN)])
P("p", "x:@nieuweboer_niek", "nl",
  "Vandaag de T110 opgehaald bij Brammert Meppel. Wat een machine, loopt als een zonnetje 😍 #nieuwetrekker")
P("p", "instagram:@hobbyboer_sarah", "en",
  "Brammert's mechanic found and fixed the hydraulic leak on our Compact 40 in 20 minutes flat. Legend.")
P("c", "instagram:@brammert.agri", "nl",
  "Herfstactie: 15% korting op de Brammert Schudder SZ760, nu €5.508 (was €6.480). Geldig t/m 30 oktober.",
  price=[("BR-SZ760", 5508), ("BR-SZ760", 6480)], at="2026-10-05T10:00:00+02:00")
P("c", "x:@brammert_agri", "en",
  "Open day at our Emmen branch on Saturday 12 September! Test drive the Veldros T140 (from €96,800) and "
  "the whole Compact range. Coffee and stroopwafels on us ☕", price=[("BR-T140", 96800)],
  at="2026-09-01T09:30:00+02:00")
P("p", "reddit:u/smallfarm_pete", "en",
  "Anyone know if Brammert does financing on the Kieper 10T? List is 16.4k which is fair, I'd just rather "
  "spread it.", price=[("BR-K10", 16400)])
P("p", "x:@maisboer_gert", "nl",
  "Het geheim van een goede maisoogst? Een scherpe hakselaar en een dealer die om 6 uur 's ochtends de "
  "telefoon opneemt. Dank @brammert_service 🙏")
P("e", "linkedin:henk-oosterveld-brammert", "nl",
  "Vandaag gepubliceerd: onze jaarcijfers over 2025. Omzet €212 miljoen, een groei van 6%. Trots op alle "
  "collega's die dit mogelijk maakten!", at="2026-03-10T08:05:00+01:00")
P("c", "linkedin:brammert-landbouwmachines", "en",
  "Our full-year 2026 results are out: revenue of €204 million and a solid order book heading into spring. "
  "Full report at brammert-agri.nl/investors", at="2027-02-26T08:00:00+01:00")
P("c", "x:@brammert_agri", "nl",
  "Hij is er! De Veldros T95e, onze eerste volledig elektrische trekker. Vanaf vandaag te bestellen bij "
  "alle vestigingen ⚡🚜", at="2027-03-16T09:00:00+01:00")
P("p", "x:@stilleboer", "en",
  "Test drove the Veldros T95e today. Silent as anything, lovely cab. Range on heavy work is the big "
  "question though.", at="2027-03-20T15:47:10+01:00")
P("e", "x:@devops_daan", "en",
  "writing a how-to for the team and using the AWS sample creds (AKIAIOSFODNN7EXAMPLE / "
  "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY) so nobody copy-pastes anything real 😇")
P("e", "x:@lotte_codeert", "en",
  "PSA: if you ever post a token in a screenshot, redact it like ghp_************************************ "
  "and not like I did last year 🙈 rotating is a pain")
P("p", "reddit:u/parts_api_user", "en",
  "Brammert's dealer API docs show the header as 'Authorization: Bearer <your-token-here>' with a sample "
  "key sk_test_xxxxxxxxxxxxxxxxxxxxxxxx. Anyone got the parts lookup working?")
P("p", "x:@boerin_anneke", "nl",
  "Wachtwoord vergeten van het klantportaal van Brammert, maar met de resetlink was het binnen 2 minuten "
  "geregeld. Netjes.")
P("p", "x:@trekkerjoost", "nl",
  "Mijn bestelnummer bij Brammert is " + spaced4(CARD_LIKE_ORDER) + ", weet iemand hoe lang levering van "
  "een voorlader meestal duurt?", ids=[("card", CARD_LIKE_ORDER)])
P("p", "facebook:fam.oldenhof", "nl",
  "Op de factuur van Brammert staat klantnummer " + BSN_LIKE + ". Moet ik dat bij de overschrijving "
  "vermelden of het factuurnummer?", ids=[("bsn", BSN_LIKE)], name="Fam. Oldenhof")
P("p", "x:@dairy_in_drenthe", "en",
  "Tried to pay a Brammert invoice and my bank flagged the IBAN as invalid. Turned out I'd typed " +
  IBAN_TYPO + " by hand instead of copying it. My fault, all sorted now 👍", ids=[("iban", IBAN_TYPO)])
P("p", "x:@boer_klaas71", "nl",
  "Vorige week flink geklaagd hier over de levertijd van mijn maaibalk, maar eerlijk is eerlijk: Brammert "
  "heeft 'm zaterdag zelf gebracht en er een kratje bier bij gedaan 🍺 Opgelost!")
P("c", "facebook:BrammertLandbouw", "nl",
  "Met verslagenheid hoorden wij van het ongeval op een boerderij in Zuidwolde. Onze gedachten zijn bij de "
  "familie en vrienden. Heel veel sterkte.")
P("p", "x:@ag_markets_watch", "en",
  "Big news in ag machinery: one of the major US manufacturers just announced 2,000 layoffs and a profit "
  "warning. Tough times for the whole sector.")
P("p", "x:@akkerbouwer_wim", "nl",
  "Stikstofcrisis, mestcrisis, wat wordt de volgende crisis? Gelukkig start mijn Veldros elke ochtend "
  "gewoon 😅")
P("p", "tiktok:@hooien_met_hanna", "nl", "deze RB150 is echt een BEEST 🔥🔥 balen als stenen #brammert #hooien")
P("p", "instagram:@farmlife_jess", "en",
  "This Veldros T140 is an absolute killer in the field. 10/10 would plough again 🔥")
P("e", "linkedin:sevda-kaya-brammert", "nl",
  "We zoeken monteurs! 🔧 Werken aan de mooiste machines van Drenthe en Overijssel? Stuur je cv naar "
  "vacatures@brammert-agri.nl")
P("e", "instagram:@joris_sleutelt", "nl",
  "Zaterdagochtend, koffie, en een Wentel 4 die weer als nieuw ploegt. Heerlijk vak ❤️🔧")
P("p", "x:@contractor_lee", "en",
  "Question for @brammert_agri: do you take older Deutz tractors as trade-ins or only your own brands?",
  kind="reply")
P("c", "x:@brammert_service", "nl",
  "@boer_klaas71 Sorry voor het lange wachten! De koppelingsplaat is vandaag binnengekomen, onze monteur "
  "staat morgen om 8 uur bij je op het erf. Fijne avond!", kind="reply", at="2026-10-03T19:12:00+02:00")
P("p", "reddit:u/gps_guy_groningen", "en",
  "Does the Koerslijn RTK work on non-Veldros tractors? Brammert says yes but I'd love to hear from people "
  "actually running it.")
P("p", "x:@vader_van_drie", "nl",
  "Vandaag een Erfrunner 700 gekocht, €12.990 en elke cent waard. De kinderen willen er niet meer af 😂",
  price=[("BR-ATV700", 12990)])
P("c", "youtube:@BrammertAgriTV", "en",
  "New video: changing the filterset T-serie on your Veldros in under 15 minutes. The set is €189 in our "
  "webshop.", price=[("BR-FILT-T", 189)])
P("p", "x:@prijsjager_boer", "nl",
  "Wie heeft de scherpste prijs voor een Kluiver RK4000? Ik kreeg er bij Brammert een voor €12.400 met 2 jaar "
  "garantie, goeie deal denk ik", price=[("KL-RK4000", 12400)])
P("c", "instagram:@brammert.agri", "en",
  "Black Friday at Brammert: 25% off every Veldros Comfortstoel, now €1,421 instead of €1,895. Your back "
  "will thank you.", price=[("BR-SEAT", 1421), ("BR-SEAT", 1895)], at="2026-11-27T07:00:00+01:00")
P("p", "forum:Mestrijder_Ov", "nl",
  "Tip voor wie zijn sleepvoet wil laten afstellen: de jongens van Brammert Hardenberg weten er alles van. "
  "Geen geheimen, gewoon goed vakwerk.")
P("e", "x:@ilse_werkplaats", "nl",
  "Drukke dag in de werkplaats, 14 trekkers in de planning en allemaal netjes op tijd klaar 💪 #teamwork")
P("p", "x:@oldtimer_rob", "en",
  "I honestly can't recall the last time my Veldros broke down. Eight years and counting 🙌")
P("p", "x:@boer_met_humor", "nl",
  "Mijn vrouw zegt dat ik de T85 beter verzorg dan haar. Ze heeft gelijk. 🤷‍♂️")
P("c", "x:@brammert_agri", "en",
  "Security notice: Brammert will never ask for your password by phone or e-mail. Got a suspicious "
  "message? Forward it to service@brammert-agri.nl.")
P("c", "linkedin:brammert-landbouwmachines", "nl",
  "Koerslijn RTK firmware 4.2 is beschikbaar: snellere satellietfix en een nieuw menu voor kopakkers. "
  "Updaten kan via de terminal of bij ons in de werkplaats.")
P("p", "youtube:@tractortinkerer", "en",
  "Great video! Small tip: the lock nut on the H420 wants 120 Nm, not 100 like you said at 6:40 😉",
  kind="comment")
P("p", "x:@jongeboer_sem", "nl",
  "Jo die nieuwe kieper van Brammert is echt vet 👌 10 ton mais erin en gaan met die banaan")
P("p", "x:@farmboy_lucas", "en",
  "Sending love to the Brammert crew in Sneek, heard the old workshop owner passed away. He kept my dad's "
  "tractors running for 30 years.")
P("p", "reddit:u/tweetrekkers", "nl",
  "Iemand ervaring met het Zorgeloos onderhoudscontract van Brammert? €1.249 per jaar, vraag me af of dat "
  "uit kan voor 2 trekkers", price=[("BR-ZORG", 1249)])
P("c", "tiktok:@brammert_trekkers", "nl", "Wie raadt hoeveel pk deze Veldros T140 heeft? 🤔 Antwoord morgen! "
  "#trekker #brammert")
P("p", "x:@agrivisitor", "en",
  "The Brammert stand at the farm show was packed all day. Great coffee too, cheers lads ☕")
P("p", "instagram:@bruiloft_op_de_boerderij", "nl",
  "Trouwfoto's met de oude Veldros van opa 💍🚜 Dank Brammert voor het oppoetsen!")
P("e", "linkedin:henk-oosterveld-brammert", "en",
  "Interesting panel today on how interest rates affect machinery financing for young farmers. Thanks to "
  "everyone who joined the discussion.")
P("p", "x:@drentse_boerin", "nl",
  "Het nummer van Brammert Emmen is +31 591 630 400 voor wie het zoekt, het staat een beetje verstopt op "
  "de site")
P("p", "x:@pumpfinder", "en",
  "Part number on the old hydraulic pump reads " + PART_LIKE[:4] + "-" + PART_LIKE[4:8] + "-" +
  PART_LIKE[8:12] + "-" + PART_LIKE[12:] + ", anyone know what replaced it?", ids=[("card", PART_LIKE)])
P("p", "x:@trots_op_veldros", "nl",
  "Terugroepactie bij een grote Amerikaanse trekkerfabrikant vanwege remproblemen. Gelukkig rijd ik een "
  "Veldros 😌")
P("p", "x:@happyploughman", "en",
  "Not sure why everyone hates on dealers. Brammert sorted my warranty claim on the Wentel 4 within a week, "
  "no fuss.")
P("p", "x:@handige_harry", "nl",
  "Lifehack van de monteur van Brammert: tiewrap om de hydrauliekslangen, nooit meer schuren. Goud waard 👌")
P("c", "instagram:@brammert.agri", "en",
  "Our Meppel branch turned 50 today 🎉 Thank you to every farmer who has trusted us since 1976.")
P("p", "x:@melkveehouder_jos", "nl",
  "Jaarcijfers 2026 van Brammert gelezen: omzet iets lager, maar de orderportefeuille ziet er prima uit.",
  at="2027-03-02T20:31:55+01:00")
P("e", "x:@gerritjan_bram", "nl",
  "Nog 3 plekken vrij voor de demodag Koerslijn RTK op 14 mei, aanmelden via info@brammert-agri.nl 👍",
  at="2026-04-22T11:15:00+02:00")
P("p", "x:@balerbro", "en", "This baler is so damn good it's ridiculous. Brammert, you absolute beauties 😂")
P("p", "x:@boer_zonder_wifi", "nl",
  "Kan iemand uitleggen waarom een trekker tegenwoordig een wachtwoord wil? 😂 Mijn Veldros vraagt om een "
  "pincode voor de GPS")
P("p", "reddit:u/sensible_farmer", "en",
  "Reminder after that breach at a big Dutch grocery chain: use different passwords everywhere, including "
  "your dealer portals.")
P("c", "x:@brammert_service", "en",
  "Our parts webshop will be down for planned maintenance on Sunday 08:00–12:00. Orders placed before then "
  "ship as normal.")
P("p", "x:@veldros_liefde", "nl", "ＶＥＬＤＲＯＳ ４ＥＶＥＲ 🚜💚 #trekkerliefde")


# --------------------------------------------------------------------------------------
# build
# --------------------------------------------------------------------------------------
SEV = ["none", "info", "warning", "error", "critical"]
CORP = {a.lower() for a in PROFILE["accounts"]["corporate"]}
EMPL = {a.lower() for a in PROFILE["accounts"]["employee"]}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
TAXONOMY = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial", "leak.security",
            "reputation.crisis", "reputation.complaint", "reputation.abuse"}
ID_CHECK = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}


def role_of(platform, handle):
    key = (platform + ":" + handle).lower()
    if key in CORP:
        return "corporate"
    if key in EMPL:
        return "employee"
    return "public"


def severity(cats, role, strong_pii):
    best = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and strong_pii):
                    s = "critical"
                else:
                    s = "error"
            else:
                s = "warning"
        elif c == "reputation.complaint":
            s = "warning"
        elif c == "reputation.crisis":
            s = "error"
        elif c == "reputation.abuse":
            s = "error" if role in ("corporate", "employee") else "warning"
        else:
            raise AssertionError(c)
        best = max(best, SEV.index(s))
    return SEV[best]


def rand_time():
    start = dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc)
    t = start + dt.timedelta(seconds=rng.randrange(int(dt.timedelta(days=355).total_seconds())))
    t = t.replace(hour=rng.choice([6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22]))
    off = 2 if 4 <= t.month <= 10 else 1
    local = t.astimezone(dt.timezone(dt.timedelta(hours=off)))
    if rng.random() < 0.3:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    return local.isoformat()


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def build():
    order = list(range(len(CASES)))
    rng.shuffle(order)
    lines = []
    for n, idx in enumerate(order, 1):
        c = CASES[idx]
        role = role_of(c["platform"], c["handle"])
        c["role"] = role
        created = c["at"] or rand_time()
        c["created"] = created
        pid = "brm239-%s-%04d" % (c["platform"], n)
        post = {"id": pid, "platform": c["platform"], "kind": c["kind"],
                "account": {"handle": c["handle"]}, "text": c["text"], "created_at": created}
        if c["name"]:
            post["account"]["display_name"] = c["name"]
        if rng.random() < 0.75:
            post["lang"] = c["lang"]
        if c["platform"] == "x":
            post["url"] = "https://x.com/%s/status/%d" % (c["handle"].lstrip("@"), 1900000000000000000 + n * 7919)
        strong = any(t in ID_CHECK and ID_CHECK[t](v) for t, v in c["ids"])
        sev = severity(c["cats"], role, strong and PII in c["cats"])
        c["sev"] = sev
        c["id"] = pid
        lines.append({"post": post, "expect": {"categories": c["cats"], "severity": sev}})
    return lines


# --------------------------------------------------------------------------------------
# self-checks
# --------------------------------------------------------------------------------------
def norm(s):
    s = unicodedata.normalize("NFKC", s)
    return s.replace("\u200b", "").replace("\u200c", "").replace("\u200d", "").replace("\u2060", "")


def check(lines):
    errs = []
    pub = PROFILE["public_identifiers"]
    own_ibans = {re.sub(r"\s", "", i).upper() for i in pub["ibans"]}
    for i in own_ibans:
        if not iban_ok(i):
            errs.append("profile IBAN fails mod-97: " + i)
    internal_terms = [t.lower() for t in PROFILE["internal"]["domains"] + PROFILE["internal"]["codenames"] +
                      PROFILE["internal"]["markers"]]
    embargo = [([t.lower() for t in e["terms"]], parse_ts(e["until"])) for e in PROFILE["embargo"]]
    products = {p["sku"]: p for p in PROFILE["products"]}
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    for p in PROFILE["products"]:
        assert p["currency"] == "EUR" and p["list_price"] > 0 and p["aliases"], p
    if not (15 <= len(products) <= 25):
        errs.append("product count %d" % len(products))
    if len(PROFILE["accounts"]["corporate"]) < 6 or len(PROFILE["accounts"]["employee"]) < 8:
        errs.append("too few accounts")
    if len(PROFILE["internal"]["codenames"]) != 3 or len(PROFILE["internal"]["markers"]) != 3:
        errs.append("codenames/markers")

    seen = set()
    by_id = {}
    for line in lines:
        post, exp = line["post"], line["expect"]
        # CONTRACT section 6 / section 1 shape
        if set(line) != {"post", "expect"}:
            errs.append("keys " + str(line.keys()))
        pid = post.get("id")
        if not isinstance(pid, str) or not (1 <= len(pid) <= 256):
            errs.append("bad id %r" % pid)
        if pid in seen:
            errs.append("duplicate id " + pid)
        seen.add(pid)
        by_id[pid] = line
        if post.get("platform") not in PLATFORMS:
            errs.append(pid + " platform")
        if post.get("kind", "post") not in KINDS:
            errs.append(pid + " kind")
        if not isinstance(post.get("account", {}).get("handle"), str):
            errs.append(pid + " handle")
        t = post.get("text")
        if not isinstance(t, str) or not t or len(t.encode("utf-8")) > 65536:
            errs.append(pid + " text")
        try:
            ts = parse_ts(post["created_at"])
            if ts.tzinfo is None or not re.fullmatch(
                    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", post["created_at"]):
                errs.append(pid + " created_at not RFC 3339")
            if not (2026 <= ts.year <= 2027):
                errs.append(pid + " year")
        except Exception as e:  # noqa
            errs.append(pid + " created_at " + str(e))
        cats = exp.get("categories")
        if not isinstance(cats, list) or cats != sorted(set(cats)) or not set(cats) <= TAXONOMY:
            errs.append(pid + " categories " + str(cats))
        if exp.get("severity") not in SEV:
            errs.append(pid + " severity")
        if (not cats) != (exp["severity"] == "none"):
            errs.append(pid + " severity/category mismatch")

    for c in CASES:
        pid, text, cats, role = c["id"], c["text"], c["cats"], c["role"]
        want = {"c": "corporate", "e": "employee", "p": "public"}[c["who"]]
        if role != want:
            errs.append("%s role %s, meant %s" % (pid, role, want))
        if c["handle"].lower().lstrip("@") in {a.split(":", 1)[1].lower().lstrip("@") for a in CORP | EMPL} \
                and role == "public":
            errs.append(pid + " public handle collides with a profile handle")
        if c["sev"] != severity(cats, role, any(t in ID_CHECK and ID_CHECK[t](v) for t, v in c["ids"])
                                and PII in cats):
            errs.append(pid + " severity")
        positive = bool(cats)
        # declared identifiers
        for typ, val in c["ids"]:
            if typ == "own_iban":
                if val not in own_ibans or positive:
                    errs.append(pid + " own iban misuse")
                continue
            ok = ID_CHECK[typ](val)
            if positive and not ok:
                errs.append("%s positive has failing %s %s" % (pid, typ, val))
            if not positive and ok:
                errs.append("%s benign has valid %s %s" % (pid, typ, val))
            if positive and PII not in cats:
                errs.append(pid + " identifier in non-pii positive")
            flat = re.sub(r"[\s\-]", "", norm(text))
            if val not in flat:
                errs.append("%s declared %s not in text" % (pid, typ))
        # scan text for undeclared identifiers
        nt = norm(text)
        for m in re.finditer(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){10,30}\b", nt):
            cand = re.sub(r"\s", "", m.group(0))
            if cand.startswith("NL"):
                cand = cand[:18]
            if cand in own_ibans:
                continue
            if positive and not iban_ok(cand):
                errs.append("%s positive has IBAN-like %s failing" % (pid, cand))
            if not positive and iban_ok(cand):
                errs.append("%s benign has valid IBAN %s" % (pid, cand))
        for m in re.finditer(r"(?<![\w\-])(\d(?:[ \-]?\d){12,18})(?![\w\-])", nt):
            d = re.sub(r"\D", "", m.group(1))
            if positive and not luhn_ok(d):
                errs.append("%s positive has card-like %s failing Luhn" % (pid, d))
            if not positive and luhn_ok(d):
                errs.append("%s benign has Luhn-valid %s" % (pid, d))
        for m in re.finditer(r"(?<![\w\-.])(\d{9})(?![\w\-])", nt):
            d = m.group(1)
            if positive and not bsn_ok(d):
                errs.append("%s positive has 9-digit %s failing 11-proof" % (pid, d))
            if not positive and bsn_ok(d):
                errs.append("%s benign has 11-proof-valid %s" % (pid, d))
        # secrets
        for typ, val in c["secrets"]:
            if SECR not in cats:
                errs.append(pid + " secret in non-secret case")
            if val not in nt:
                errs.append(pid + " secret not in text")
            if typ == "github" and not gh_ok(val):
                errs.append(pid + " github token checksum")
            if typ == "aws" and not re.fullmatch(r"AKIA[A-Z2-7]{16}", val):
                errs.append(pid + " aws key id")
            if typ == "jwt" and not jwt_ok(val):
                errs.append(pid + " jwt")
            if typ == "pem" and "PRIVATE KEY-----" not in val:
                errs.append(pid + " pem")
            if typ in ("stripe", "slack", "openai", "google") and ("EXAMPLE" in val or "xxxx" in val):
                errs.append(pid + " sample-looking secret")
        if not positive:
            for m in re.finditer(r"gh[pousr]_[0-9A-Za-z]{36}", nt):
                if gh_ok(m.group(0)):
                    errs.append(pid + " benign has valid github token")
            for m in re.finditer(r"AKIA[0-9A-Z]{16}", nt):
                if "EXAMPLE" not in m.group(0):
                    errs.append(pid + " benign has real-looking AWS key id")
            if re.search(r"sk_live_|xox[bp]-|-----BEGIN [A-Z ]*PRIVATE KEY|AIza[0-9A-Za-z_\-]{35}|sk-proj-", nt):
                errs.append(pid + " benign has a live-looking secret")
            low = nt.lower()
            for term in internal_terms:
                if term in low:
                    errs.append(pid + " benign mentions internal term " + term)
        # pricing
        for sku, amount in c["price"]:
            lp = products[sku]["list_price"]
            if PRC in cats and not amount < ratio * lp:
                errs.append("%s pricing positive not below ratio (%s vs %s)" % (pid, amount, lp))
            if not positive and amount < 0.7 * lp:
                errs.append("%s benign price too low (%s vs %s)" % (pid, amount, lp))
        if PRC in cats and not c["price"]:
            errs.append(pid + " pricing case without declared price")
        # embargo
        ts = parse_ts(c["created"])
        for terms, until in embargo:
            if any(term in nt.lower() for term in terms):
                if ts < until and CONF not in cats:
                    errs.append(pid + " embargo term before until but not confidential")
                if ts >= until and positive and CONF in cats and not any(
                        x in nt.lower() for x in internal_terms):
                    errs.append(pid + " embargo term after until labelled confidential")
                if c["at"] is None:
                    errs.append(pid + " embargo case needs an explicit date")

    n = len(lines)
    benign = sum(1 for l in lines if not l["expect"]["categories"])
    if not (170 <= n <= 180):
        errs.append("case count %d" % n)
    return errs, n, benign


def main():
    lines = build()
    errs, n, benign = check(lines)
    with open(OUT, "w", encoding="utf-8") as fh:
        for l in lines:
            fh.write(json.dumps(l, ensure_ascii=False) + "\n")
    # re-read and re-validate the written file
    with open(OUT, encoding="utf-8") as fh:
        back = [json.loads(x) for x in fh]
    if back != lines:
        errs.append("round trip mismatch")
    counts = {}
    for l in lines:
        for c in l["expect"]["categories"]:
            counts[c] = counts.get(c, 0) + 1
    langs = {}
    for c in CASES:
        langs[c["lang"]] = langs.get(c["lang"], 0) + 1
    roles = {}
    for c in CASES:
        k = ("pos" if c["cats"] else "neg") + ":" + c["role"]
        roles[k] = roles.get(k, 0) + 1
    sevs = {}
    for l in lines:
        sevs[l["expect"]["severity"]] = sevs.get(l["expect"]["severity"], 0) + 1
    print("cases %d, benign %d, positive %d" % (n, benign, n - benign))
    print("categories", dict(sorted(counts.items())))
    print("languages", langs, "severities", sevs)
    print("roles", dict(sorted(roles.items())))
    if errs:
        print("SELF-CHECK FAILED:")
        for e in errs:
            print("  " + e)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
