#!/usr/bin/env python3
"""Build cases.jsonl for evaluation set sealed276 (Trevanto Liften B.V.).

Deterministic: fixed seed, standard library plus PyYAML. Post texts are written by
hand; identifiers and credentials are generated here the way the real ones are built
(IBAN mod-97, Luhn, BSN 11-proof, GitHub CRC-32, AWS key alphabet, JWT header ...).
Severities are computed from CONTRACT section 4 and the account role in profile.yaml.
The script checks its own output and exits non-zero if anything is off.
"""
import base64
import datetime as dt
import json
import os
import random
import re
import sys
import zlib

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 276
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

ROLE = {}
for r in ("corporate", "employee"):
    for acc in PROFILE["accounts"][r]:
        ROLE[acc.lower()] = r

PUBLIC_IBANS = {i.replace(" ", "").upper() for i in PROFILE["public_identifiers"]["ibans"]}
COMPANY_IBAN = sorted(PUBLIC_IBANS)[0]
PRODUCTS = {p["sku"]: p for p in PROFILE["products"]}
RATIO = PROFILE["pricing"]["alert_below_ratio"]

# ---------------------------------------------------------------- generators
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
ALNUM = B62
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
URLSAFE = ALNUM + "-_"


def rand(alpha, n):
    return "".join(rng.choice(alpha) for _ in range(n))


def iban_check(s):
    s = s.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(ch, 36)) for ch in r)) % 97 == 1


def make_iban():
    bank = rng.choice(["ABNA", "INGB", "RABO", "SNSB", "ASNB", "TRIO", "KNAB", "BUNQ"])
    acct = "".join(rng.choice("0123456789") for _ in range(10))
    n = int("".join(str(int(ch, 36)) for ch in bank + acct + "NL00"))
    iban = "NL%02d%s%s" % (98 - n % 97, bank, acct)
    assert iban_check(iban)
    return iban


def spaced(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def bad_iban():
    good = make_iban()
    d = int(good[-1])
    bad = good[:-1] + str((d + 3) % 10)
    assert not iban_check(bad)
    return bad


def luhn_ok(num):
    ds = [int(c) for c in num]
    tot = 0
    for i, d in enumerate(reversed(ds)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        tot += d
    return tot % 10 == 0


def make_card():
    prefix = rng.choice(["4", "4", "51", "53", "55", "2221"])
    body = prefix + "".join(rng.choice("0123456789") for _ in range(15 - len(prefix)))
    for last in "0123456789":
        if luhn_ok(body + last):
            num = body + last
            break
    return spaced(num)


def bad_card():
    good = make_card().replace(" ", "")
    bad = good[:-1] + str((int(good[-1]) + 4) % 10)
    assert not luhn_ok(bad)
    return spaced(bad)


def bsn_ok(num):
    num = num.replace(".", "").replace(" ", "")
    if not re.fullmatch(r"\d{9}", num):
        return False
    w = [9, 8, 7, 6, 5, 4, 3, 2, -1]
    return sum(int(c) * x for c, x in zip(num, w)) % 11 == 0


def make_bsn():
    while True:
        n = str(rng.randint(1, 9)) + "".join(rng.choice("0123456789") for _ in range(8))
        if bsn_ok(n):
            return n


def bad_bsn():
    while True:
        n = str(rng.randint(1, 9)) + "".join(rng.choice("0123456789") for _ in range(8))
        if not bsn_ok(n):
            return n


def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def ghp(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF, 6)


def ghp_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()) & 0xFFFFFFFF, 6) == m.group(2)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt():
    header = {"alg": "HS256", "typ": "JWT"}
    iat = rng.randint(1767225600, 1798675200)
    payload = {"sub": "tech-%04d" % rng.randint(1000, 9999), "role": "field_engineer",
               "iss": "liftview-api", "iat": iat, "exp": iat + 3600}
    return ".".join([b64url(json.dumps(header, separators=(",", ":")).encode()),
                     b64url(json.dumps(payload, separators=(",", ":")).encode()),
                     b64url(bytes(rng.getrandbits(8) for _ in range(32)))])


def make_sshkey():
    raw = (b"openssh-key-v1\x00" + b"\x00\x00\x00\x04none" * 2 + b"\x00\x00\x00\x00\x00\x00\x00\x01"
           + b"\x00\x00\x00\x33\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20"
           + bytes(rng.getrandbits(8) for _ in range(340)))
    s = base64.b64encode(raw).decode()
    return "\n".join(s[i:i + 70] for i in range(0, len(s), 70))


def make_slack():
    # bot token: xoxb-<team id digits>-<bot id digits>-<24 alphanumerics>; keep the long
    # digit run from looking like a Luhn-valid card number, so it is only a secret
    while True:
        mid = str(rng.randint(10**12, 10**13 - 1))
        if not luhn_ok(mid):
            return "xoxb-%d-%s-%s" % (rng.randint(10**10, 10**12), mid, rand(ALNUM, 24))


def make_password(n=14, special="!#%&*?@$"):
    alpha = ALNUM + special
    while True:
        p = rand(alpha, n)
        if (any(c.isdigit() for c in p) and any(c.isupper() for c in p)
                and any(c in special for c in p)):
            return p


GEN = {
    "IBAN": make_iban,
    "IBAN_SP": lambda: spaced(make_iban()),
    "CARD": make_card,
    "BSN": make_bsn,
    "BSN_DOT": lambda: (lambda b: "%s.%s.%s" % (b[:4], b[4:6], b[6:]))(make_bsn()),
    "BAD_IBAN": lambda: spaced(bad_iban()),
    "BAD_CARD": bad_card,
    "BAD_BSN": bad_bsn,
    "COMPANY_IBAN": lambda: spaced(COMPANY_IBAN),
    "GHP": ghp,
    "AWS_ID": lambda: "AKIA" + rand(B32, 16),
    "AWS_SECRET": lambda: rand(ALNUM + "/+", 40),
    "STRIPE": lambda: "sk_live_51" + rand(ALNUM, 97),
    "SLACK": lambda: make_slack(),
    "OPENAI": lambda: "sk-proj-" + rand(URLSAFE, 74) + "T3BlbkFJ" + rand(URLSAFE, 74),
    "ANTHROPIC": lambda: "sk-ant-api03-" + rand(URLSAFE, 93) + "AA",
    "GOOGLE": lambda: "AIza" + rand(URLSAFE, 35),
    "GLPAT": lambda: "glpat-" + rand(URLSAFE, 20),
    "JWT": make_jwt,
    "SSHKEY": make_sshkey,
    "DBPW": lambda: make_password(18, special="!*-_"),
    "PW": make_password,
}


def fill(text):
    return re.sub(r"\{\{(\w+)\}\}", lambda m: GEN[m.group(1)](), text)


def fw(s):
    """Full-width form of ASCII letters and digits."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" if c == " " else c for c in s)


ZW = "\u200b"

# ---------------------------------------------------------------- the posts
# c(account "platform:handle", lang, categories, text, kind=..., date=..., price=(sku, amount))
CASES = []


def c(account, lang, cats, text, kind="post", date=None, price=None, tags=()):
    CASES.append(dict(account=account, lang=lang, cats=sorted(cats), text=text, kind=kind,
                      date=date, price=price, tags=set(tags)))


CMP = "reputation.complaint"
CRI = "reputation.crisis"
ABU = "reputation.abuse"
CON = "leak.confidential"
FIN = "leak.financial"
SEC = "leak.security"
SCR = "leak.secret"
PII = "leak.pii"
PRC = "leak.pricing"

# ---- complaints (public)
c("x:@marjoleinb_", "nl", [CMP],
  "Al 3 weken staat de lift in ons complex stil. Trevanto komt 'volgende week' zeggen ze. Elke week weer. "
  "Mijn moeder van 84 woont op 5 hoog 😡 #trevanto")
c("x:@daveinutrecht", "en", [CMP],
  "@trevanto_storing been waiting for your engineer since 7am, ticket 48213, nobody picks up the phone. "
  "What exactly am I paying the ZorgeloosPlus contract for?", kind="reply")
c("facebook:henk.wolters.71", "nl", [CMP],
  "Traplift (Glide S) piept sinds de laatste onderhoudsbeurt elke nacht om 3 uur. Drie keer gebeld, drie keer "
  "'we zetten het door naar de planning'. Waardeloze service zo Trevanto", kind="comment")
c("reddit:u/tired_commuter_ams", "en", [CMP],
  "Is it just me or has the escalator at the south entrance of the mall been broken more than it's worked this year? "
  "Sticker on the side says maintained by Trevanto Lifts. Seriously, sort it out.")
c("x:@jeroen_vve", "nl", [CMP],
  "Als VvE-voorzitter ben ik er klaar mee. Factuur van Trevanto: €1.870 voor 'storingsonderzoek' dat 20 minuten "
  "duurde. Geen uitleg, geen werkbon. Wie heeft ervaring met overstappen naar een andere liftboer?")
c("forum:bettyk_office", "en", [CMP],
  "Third time this month the lift in our office just sits on the ground floor opening and closing its doors on "
  "repeat. Reported it to Trevanto twice. 'Within tolerance' apparently. Great. Stairs it is then.")
c("instagram:@sanne.fotografeert", "nl", [CMP],
  "jullie monteur liet gisteren een hele zooi verpakkingsmateriaal en een kapotte plaat in ons trappenhuis "
  "achter 🙄 @trevanto.liften wie ruimt dit op?", kind="comment")
c("x:@kfoster_nl", "en", [CMP],
  "Called @trevanto_nl to cancel our maintenance contract. 47 minutes on hold, then 'you need to put it in "
  "writing, by post'. By POST. In 2026. Unbelievable.")
c("x:@opa_gerrit1947", "nl", [CMP],
  "Sinds 2 maanden een Casa huislift van Trevanto en ie doet het om de dag niet. Blijft halverwege gewoon hangen "
  "en dan zit ik weer een middag te wachten op een monteur. Niet waar je 25 mille voor neerlegt.")
c("facebook:ria.sloot.5", "nl", [CMP],
  "Onze flat aan de Kastanjelaan zit sinds vrijdag zonder lift!! Bewoners met een rollator of rolstoel komen de "
  "deur niet uit. Trevanto belt niet eens terug. Wat een instantie.")
c("mastodon:@kim@fosstodon.org", "en", [CMP],
  "Trevanto's booking portal logged me out 4 times while I was trying to schedule a stairlift service. Gave up, "
  "will call tomorrow I guess. #UX #fail")
c("x:@m_elbaz", "nl", [CMP],
  "@trevanto_storing jullie zeiden vanmorgen 'binnen 2 uur een monteur'. t is nu half 6. nog steeds niemand. "
  "bedankt voor niks", kind="reply", date="2026-03-21T16:32:00Z")

# ---- complaint + abuse (public)
c("x:@bartjuh88", "nl", [CMP, ABU],
  "Stelletje amateurs bij Trevanto, een uur in die kutlift vastgezeten met me dochter en jullie callcenter lacht "
  "je gewoon uit. Kankerbedrijf.")
c("x:@gazza_in_nl", "en", [CMP, ABU],
  "@trevanto_nl you absolute clowns. Fourth no-show this month. Your 'engineers' couldn't fix a door hinge, "
  "useless f*cking muppets the lot of you", kind="reply")

# ---- first-hand safety incidents: crisis + complaint (public)
c("x:@yvonne_dh", "nl", [CRI, CMP],
  "Vanochtend stapte ik in de lift op kantoor (onderhoud door Trevanto) en hij zakte ineens een halve meter door "
  "met de deuren open. Ik viel en heb mijn pols gekneusd. Dit had veel erger kunnen aflopen. Nog geen reactie van "
  "Trevanto.")
c("facebook:mark.t.oconnor", "en", [CRI, CMP],
  "My dad's Glide C stairlift jerked to a stop halfway down and threw him against the rail. Bruised ribs, he's 79. "
  "Trevanto serviced it two weeks ago. I want answers, not a ticket number.")
c("instagram:@ilse_buitenzorg", "nl", [CRI, CMP],
  "Kreeg gisteren een flinke schok van het bedieningspaneel van onze Casa huislift ⚡ Monteur zegt 'kan gebeuren'. "
  "Nee dus. Ik durf er niet meer in met de kinderen. @trevanto.liften")
c("reddit:u/garage_level_minus2", "en", [CRI, CMP],
  "The escalator in our parking garage suddenly reversed while I was on it with my son. We both went down and "
  "he needed 3 stitches. Trevanto maintains it and the garage says 'take it up with them'. Absolutely furious.")
c("x:@familie_kok", "nl", [CRI, CMP],
  "Onze Porto platformlift begon te roken toen mijn man erop stond met zijn rolstoel. Brandlucht in de hele gang, "
  "we konden hem er gelukkig snel af krijgen. En Trevanto? Pas over 3 dagen iemand beschikbaar!!")
c("x:@nadia_walks", "en", [CRI, CMP],
  "Nearly lost my foot today. The lift door in my building closed and the car started moving while my foot was "
  "still in the gap. Managed to yank it out. @trevanto_storing this is the 2nd time I've reported that door.")

# ---- crisis, third party (public)
c("x:@rtv_regio_oost", "nl", [CRI],
  "Vier mensen lichtgewond nadat een roltrap in winkelcentrum De Vaart plotseling achteruit ging lopen. Het "
  "onderhoud is in handen van Trevanto Liften. Het bedrijf zegt de oorzaak te onderzoeken.")
c("x:@LiftSafetyWatch", "en", [CRI],
  "BREAKING: inspectorate orders 40+ Trevanto Aris 630 lifts out of service after a brake failure in Zwolle. "
  "A recall of the brake module is expected. More to follow.")
c("facebook:bewonersraad.hofstede", "nl", [CRI],
  "Bewoners van de Hofstede eisen via de rechter dat Trevanto de liften in alle zes de blokken vervangt. Ons "
  "advocatenkantoor heeft vandaag de dagvaarding laten betekenen. Wordt vervolgd.")
c("reddit:u/ringmaster_data", "en", [CRI],
  "Apparently Trevanto's customer portal leaked names and home addresses of stairlift customers, screenshots are "
  "going round on a forum. Anyone got a notice from them yet? Feels like they're sitting on it.")
c("x:@woonbond_actie", "nl", [CRI],
  "Boycot Trevanto! Huurders in Noord zitten al maanden zonder werkende lift. Corporaties: zeg die contracten op. "
  "#boycottrevanto #liftloos")
c("linkedin:jan-ouwerkerk-journalist", "en", [CRI],
  "Our investigation: at least 11 incidents since 2024 in which Trevanto-maintained lifts moved with the doors "
  "open. Maintenance logs we have seen suggest inspections were signed off without anyone visiting. Full story "
  "tomorrow.")
c("x:@NieuwsFlitsNL", "nl", [CRI],
  "Monteur (43) ernstig gewond bij werkzaamheden in liftschacht in Apeldoorn. Hij werkte voor een onderaannemer "
  "van Trevanto. Arbeidsinspectie start onderzoek.")
c("bluesky:@kate-w.bsky.social", "en", [CRI],
  "Heard a Trevanto stairlift caught fire in a care home in Deventer last night and residents had to be evacuated. "
  "Thoughts with everyone there.")

# ---- abuse
c("x:@dennis_r0tterdam", "nl", [ABU],
  "@trevanto_nl jullie zijn echt de grootste oplichters van nederland. tering zooi", kind="reply")
c("x:@truthbomb_77", "en", [ABU],
  "@lisa_vdmeer shut up you useless cow, nobody wants your PR crap about 'safe lifts'", kind="reply")
c("instagram:@xxstreetkingxx", "nl", [ABU],
  "@kees.liftmonteur kijk die vette sukkel weer in z'n overall 😂😂 ga een echte baan zoeken loser", kind="comment")
c("x:@anoniem_nl_", "nl", [ABU],
  "Trevanto kankerlijers. Ik hoop dat jullie failliet gaan.")
c("x:@w0lfje", "nl", [ABU],
  "Trevanto = kl\u043etebedrijf vol \u0456d\u0456\u043eten", tags=["evasion"])
c("x:@n0name_x", "en", [ABU],
  "tr3vant0 engineers are all fuck1ng 1d10ts, every single one of them", tags=["evasion"])
c("facebook:karel.degroot.1962", "nl", [ABU],
  "Weer zo'n buitenlander als monteur gestuurd door Trevanto die geen woord Nederlands spreekt. Stuur ze allemaal "
  "terug waar ze vandaan komen.", kind="comment")
c("x:@ruud_monteur", "nl", [ABU],
  "Klant van vandaag noemde me 'een domme monteur'. Nou mevrouw, u bent zelf een verwend kreng. Zo. Gezegd.")
c("tiktok:@jayjay.010", "nl", [ABU],
  "die trevanto gasten zijn echt mongolen man 💀", kind="comment")
c("x:@angrybird_ldn", "en", [ABU],
  "Trevanto is run by c u n t s. Quote me.", tags=["evasion"])

# ---- confidential
c("x:@priya_trv", "en", [CON],
  "Late night testing the new controller firmware for Condor. If this works our field techs are going to love it "
  "#liftlife")
c("x:@wouter_liftops", "nl", [CON],
  "Iemand een handige tip om op planning.trevanto.local je werkbonnen per regio te filteren? Ik word gek van die "
  "lijst")
c("instagram:@trevanto.liften", "nl", [CON],
  "Sneak peek 👀 Binnenkort: de Aris Nova. Stiller, zuiniger, slimmer. Meer info volgt! #trevanto #liften",
  date="2026-11-18T16:00:00Z")
c("mastodon:@bramdekker@mastodon.nl", "en", [CON],
  "Slide from today's all-hands, marked 'uitsluitend intern', but honestly it's the best roadmap we've had in "
  "years: AirGlide stairlift pilot in Q2, Renova 2.0 after that.", date="2026-10-02T19:12:00Z")
c("bluesky:@femkejanssen.bsky.social", "nl", [CON],
  "Screenshotje van de nieuwe dashboards op https://liftops.trevanto.net/fleet/overview, trots op wat we met het "
  "team gebouwd hebben 💪")
c("reddit:u/exTrevantoTech", "en", [CON, FIN],
  "Former tech here. 'Operatie Contragewicht' is basically the plan to hand all residential service work to "
  "subcontractors by 2027. Everybody inside knows, nobody says it out loud.")
c("x:@lisa_vdmeer", "en", [CON],
  "Proofreading the press kit for the Aris Nova launch and it's gorgeous. Can't wait for you all to see it!",
  date="2027-01-20T21:40:00Z")
c("linkedin:anouk-verbeek-ops", "nl", [CON],
  "Uit onze kwartaalreview (Trevanto Confidential): 38% van alle storingen aan de Aris 630 komt door de "
  "deurkering. Daar moeten we echt iets mee.")
c("instagram:@kees.liftmonteur", "nl", [CON],
  "Vandaag de eerste Glide gemonteerd met het nieuwe AirGlide-rail, bij een testklant in Amersfoort 🤫 "
  "#traplift #monteurslife", date="2026-09-15T17:25:00Z")
c("x:@liftnerd_nl", "nl", [CON],
  "Zag op de vakbeurs een prototype staan met een bordje 'Condor – niet extern delen' erop 😂 Trevanto, let een "
  "beetje op je spullen")
c("linkedin:trevanto-liften", "en", [CON, FIN],
  "We are proud to share that our FY2026 results show 12% revenue growth, driven by modernisation work across the "
  "Benelux. Full report on trevanto.nl.", date="2027-02-10T08:00:00Z")
c("x:@priya_trv", "en", [CON],
  "git clone git.trevanto.local/liftops/condor-fw.git takes like 10 minutes every single time, what is in that "
  "repo 😭")
c("x:@wouter_liftops", "nl", [CON],
  "Morgen de grote demo van C.o.n.d.o.r bij de klant, duimen jullie mee? 🤞", tags=["evasion"])
c("mastodon:@bramdekker@mastodon.nl", "en", [CON],
  "We're hiring internally 👀 Pro" + ZW + "ject Wen" + ZW + "teltrap needs two embedded devs, ping me if you're "
  "bored in your current team", tags=["evasion"])
c("bluesky:@femkejanssen.bsky.social", "nl", [CON],
  fw("uitsluitend intern") + " haha maar oké: de volgende versie van de Medi 2500 krijgt een accu-noodvoorziening "
  "zodat hij bij stroomuitval nog naar de begane grond kan. Mooi toch", tags=["evasion"])
c("x:@trevanto_nl", "nl", [CON],
  "Storing melden? Dat kan via https://intranet.trevanto.local/storing/nieuw of bel gratis 0800-8838.")

# ---- financial
c("x:@wouter_liftops", "nl", [FIN],
  "Hoorde net dat er in maart 60 man van de servicedesk weg moet. Niemand heeft ons nog iets verteld. Lekker dan.",
  date="2026-12-03T12:31:00Z")
c("linkedin:joost-hendriks-trevanto", "en", [FIN],
  "Exciting times: last night our board signed the term sheet to acquire a Belgian escalator service firm. "
  "Announcement in a few weeks, can't say the name yet 😉")
c("x:@beursblik_nl", "nl", [FIN],
  "Volgens bronnen binnen Trevanto ligt er een overnamebod van een Duitse liftgigant op tafel, rond de 480 miljoen. "
  "Officieel nog niks bevestigd.")
c("bluesky:@femkejanssen.bsky.social", "en", [FIN],
  "Q3 internally closed at €41.2m revenue, 9% under budget. Management is not happy, expect cost cuts.",
  date="2026-10-08T20:14:00Z")
c("x:@ruud_monteur", "nl", [FIN],
  "Baas zei vandaag dat regio Noord volgend jaar wordt opgeheven en samengevoegd met Oost. Nog niet officieel hoor")
c("facebook:TrevantoLiftenNL", "nl", [FIN],
  "Ingepland bericht: Trevanto stelt winstverwachting 2026 bij naar €6,8 miljoen (was €9 miljoen). Persbericht "
  "volgt om 07:00.")
c("linkedin:anouk-verbeek-ops", "nl", [FIN],
  "Na de reorganisatie die in januari wordt aangekondigd blijven er nog maar drie planningsteams over. Hoop dat ik "
  "mag blijven 🤞", date="2026-11-26T07:48:00Z")
c("reddit:u/throwaway_lift_ops", "en", [FIN],
  "Throwaway. Trevanto is closing its Zwolle workshop by summer, about 45 jobs. HR told team leads today, "
  "official comms next month.")
c("x:@priya_trv", "en", [FIN, CON],
  "Heard we're in talks to merge with a Scandinavian lift maker. So Project Wenteltrap was about that all along??")
c("linkedin:omar-benali-trevanto", "en", [FIN, CON],
  "Preliminary jaarcijfers 2026 just landed in my inbox: order intake up 18%, EBIT margin 7.4%. Proud of this "
  "team!", date="2027-01-28T18:05:00Z")

# ---- security
c("x:@wouter_liftops", "nl", [SEC],
  "Ransomware op de planningsservers sinds vannacht. Alles ligt plat, we werken weer met papieren werkbonnen. "
  "Nog niks naar buiten gebracht dus ssst 🤐")
c("mastodon:@bramdekker@mastodon.nl", "en", [SEC],
  "Fun fact: the NoodCom 4G emergency phones still accept the factory default admin PIN over SMS. Reported it "
  "internally in March. Still unfixed.", date="2026-09-14T22:05:00Z")
c("bluesky:@femkejanssen.bsky.social", "en", [SEC],
  "LiftView monitoring has been down for about 6 hours across the whole fleet, we literally can't see which lifts "
  "are stuck. Customers haven't been told yet.")
c("linkedin:joost-hendriks-trevanto", "nl", [SEC],
  "Pentestrapport binnen: in onze klantportal mijn.trevanto.nl kon je via een IDOR de onderhoudshistorie van "
  "andere klanten zien. Wordt aan gewerkt, nog niet gemeld.")
c("x:@priya_trv", "en", [SEC],
  "Someone phished a service desk account yesterday and got into remote access for ~200 lift controllers. IR team "
  "is on it. Please don't ask me about it lol")
c("reddit:u/liftops_insider", "en", [SEC],
  "Insider here: the RK-7 controllers ship with telnet open and one hardcoded service password for the whole "
  "fleet. Management knows. Nothing has been done.")
c("x:@ruud_monteur", "nl", [SEC],
  "Sinds de update van gisteren gaan alle RK-7 kasten bij een stroomdip in storing. Half Utrecht-Oost staat stil. "
  "Officieel heet het 'gepland onderhoud' 🙄")
c("x:@trevanto_storing", "nl", [SEC],
  "Collega's: de storingsapp is gehackt, zet tot nader bericht NIKS door via de app, alles via de telefoon.")
c("instagram:@kees.liftmonteur", "nl", [SEC],
  "Lol de deurcodes van alle machinekamers zijn vorige week in een Telegramgroep gedumpt, dus wij mogen overal "
  "nieuwe sloten zetten. Druk weekje 🔐")
c("linkedin:anouk-verbeek-ops", "en", [SEC, CON],
  "Turns out our internal ticketing at liftops.trevanto.net was reachable from the internet without a login for "
  "two weeks. We found it on Friday. Not public yet.")
c("x:@wouter_liftops", "nl", [SEC],
  "d4t4l3k bij 0ns, kl4ntg3g3v3ns v4n tr4pl1ft-kl4nt3n l1gg3n 0p str44t. n0g n13ts n44r bu1t3n g3br4cht",
  tags=["evasion"])
c("x:@sysadmin_jolien", "nl", [SEC, CRI],
  "Van een vriend die bij Trevanto werkt: hun VPN is al twee dagen gekraakt en ze houden het stil. Ik zeg niks "
  "maar... 👀")
c("bluesky:@femkejanssen.bsky.social", "nl", [SEC],
  "Heads-up collega's: de nieuwe LiftView-app (v3.1) stuurt inloggegevens van klanten onversleuteld over http. "
  "Fix staat pas voor volgende maand gepland, hou het even binnenskamers.")

# ---- secrets
c("x:@priya_trv", "en", [SCR],
  "why does this 404?? curl -H 'Authorization: token {{GHP}}' https://api.github.com/repos/trevanto/liftview-sdk")
c("mastodon:@bramdekker@mastodon.nl", "en", [SCR],
  "aws configure went fine with\naws_access_key_id = {{AWS_ID}}\naws_secret_access_key = {{AWS_SECRET}}\n"
  "but s3 ls still says AccessDenied. ideas anyone?")
c("x:@wouter_liftops", "nl", [SCR],
  "Nieuwe wifi in de werkplaats: netwerk TRV-Werkplaats, wachtwoord: {{PW}} . Niet doorgeven aan klanten he")
c("x:@trevanto_storing", "en", [SCR],
  "[auto] bot config loaded: SLACK_BOT_TOKEN={{SLACK}} CHANNEL=#storingen-noord")
c("bluesky:@femkejanssen.bsky.social", "en", [SCR],
  "Anyone else getting 401s from the OpenAI API today? My key {{OPENAI}} worked fine yesterday 😤")
c("forum:devjesse_freelance", "en", [SCR],
  "Building a stairlift booking integration for Trevanto and the Stripe calls keep failing:\n"
  "stripe.api_key = \"{{STRIPE}}\"\nanyone see what's wrong?")
c("x:@priya_trv", "en", [SCR],
  "debugging LiftView API auth, this token decodes fine on jwt.io but the server keeps rejecting it: {{JWT}}")
c("mastodon:@bramdekker@mastodon.nl", "en", [SCR],
  "wrong clipboard, ignore 🙃\n-----BEGIN OPENSSH PRIVATE KEY-----\n{{SSHKEY}}\n-----END OPENSSH PRIVATE KEY-----")
c("x:@wouter_liftops", "nl", [SCR],
  "Kan iemand kijken waarom deze niet connect? postgresql://planning_rw:{{DBPW}}@trv-prod-db.cx8k2mq1.eu-west-1."
  "rds.amazonaws.com:5432/werkorders")
c("reddit:u/lift_integrator", "en", [SCR],
  "Trevanto gave us this token to pull their controller SDK: {{GLPAT}} but the repo 404s. Anyone from Trevanto "
  "around here?")
c("instagram:@kees.liftmonteur", "nl", [SCR],
  "inlog voor de nieuwe monteurstablet: gebruiker monteur42 / " + fw("wachtwoord") + ": {{PW}} 👍",
  tags=["evasion"])
c("linkedin:joost-hendriks-trevanto", "en", [SCR],
  "Built a little assistant that summarises maintenance reports in one go:\n"
  "ANTHROPIC_API_KEY={{ANTHROPIC}} python summarise.py reports/\nSurprisingly good!")

# ---- personal data
c("x:@trevanto_storing", "nl", [PII],
  "@m_elbaz we hebben uw melding. Monteur Dirk de Wit komt morgen tussen 8 en 10, u kunt hem direct bereiken op "
  "06-48219937.", kind="reply", date="2026-03-21T17:45:00Z")
c("facebook:TrevantoLiftenNL", "nl", [PII],
  "Dhr. Pieter van Aalst, Lindelaan 14, 3581 BK Utrecht: uw traplift wordt donderdag 8 oktober geplaatst. Bel ons "
  "bij vragen!", date="2026-10-05T09:12:00Z")
c("x:@ruud_monteur", "nl", [PII],
  "Klant mevr. Joke Brinkman (geb. 12-03-1941) vroeg of ik koffie wou. Natuurlijk! Lieve mensen hier in Zeist ☕")
c("x:@lisa_vdmeer", "en", [PII],
  "Refund for the Glide S cancellation goes to {{IBAN}} (account holder R. Mulder), can someone in finance pick "
  "this up today?")
c("linkedin:anouk-verbeek-ops", "nl", [PII],
  "Wie heeft de werkbon van mevrouw De Graaf? Haar BSN {{BSN}} staat er per ongeluk op, dat moet eruit voor het "
  "Wmo-dossier.")
c("x:@annekevos", "nl", [PII, CMP],
  "@trevanto_storing mijn klantnummer is 88213, bel me terug op 06 1234 8871 of mail anneke.vos84@gmail.com. "
  "Al 2 dagen zonder lift!", kind="reply")
c("facebook:george.b.hill", "en", [PII],
  "Paid the deposit for my Casa lift over the phone, card {{CARD}} exp 09/28. Does anyone know how long Trevanto "
  "usually takes to send the order confirmation?")
c("x:@priya_trv", "en", [PII],
  "Customer keeps sending service requests to me instead of the desk. Marieke, if you read this, use "
  "service@trevanto.nl not me! (marieke.jongbloed@ziggo.nl, yes I'm looking at you 😅)")
c("instagram:@trevanto.liften", "nl", [PII],
  "Gefeliciteerd mevrouw Truus Hoekstra, vandaag 100 jaar (geboren 4 mei 1926)! Al 15 jaar gaat ze dagelijks met "
  "haar Trevanto traplift naar boven 🎉", date="2026-05-04T10:00:00Z")
c("bluesky:@femkejanssen.bsky.social", "nl", [PII],
  "Storingsdienst dit weekend: Sander 06-29481130, Dirk (06) 4821 9937, Hamza +31 6 27719402. Bij spoed direct "
  "bellen 😊")
c("reddit:u/haarlem_buurman", "en", [PII],
  "Trevanto folks, can you check on my neighbour Ellen Kramer at Beukenstraat 27 in Haarlem? She's 91 and asked me "
  "to post this, her stairlift visit is on Tuesday and she wants to confirm the time.")
c("x:@wouter_liftops", "nl", [PII],
  "Voor de Wmo-aanvraag van dhr. Yilmaz heb ik nodig: BSN {{BSN_DOT}}, geb. 17-08-1952. Kan iemand van de "
  "binnendienst dit oppakken?")
c("x:@joycevanleeuwen", "nl", [PII],
  "Trevanto mag mijn schoonvader bellen voor de afspraak: Hans van Leeuwen, 030-2871164. Hij neemt alleen de vaste "
  "lijn op 😄")
c("mastodon:@bramdekker@mastodon.nl", "en", [PII],
  "Test payment on the new webshop keeps getting declined. Using {{CARD}} ... wait, that's my own card. Ignore 🙈")
c("instagram:@kbosman_", "nl", [PII],
  "@trevanto.liften ik heb het geld overgemaakt vanaf {{IBAN_SP}} t.n.v. K. Bosman maar zie nog niks in mijn "
  "account staan", kind="comment")

# ---- pricing
c("x:@trevanto_nl", "nl", [PRC],
  "Nu in onze actie: Glide S traplift voor slechts €429! Alleen deze week 👉 trevanto.nl/glide",
  price=("TR-GLIDE-S", 429))
c("x:@koopjesjager_nl", "nl", [PRC],
  "PRIJSFOUT?! Trevanto Casa huislift op de site voor €2.490 🤯 snel zijn mensen", price=("TR-CASA", 2490))
c("reddit:u/dealhunter_eu", "en", [PRC],
  "Trevanto's webshop lists the NoodCom 4G at €68.90 instead of €689. Ordered three, let's see if they honour it 😂",
  price=("TR-NOODCOM", 68.90))
c("x:@lisa_vdmeer", "en", [PRC],
  "Who set the ZorgeloosPlus annual contract to €248 in the quote tool?? Price error, 10 customers already signed 😬",
  price=("TR-ZP", 248))
c("linkedin:joost-hendriks-trevanto", "nl", [PRC],
  "Mooie deal vandaag: Stepline 30 roltrap voor €39.000 naar een winkelcentrum in Breda. Ja ja, ik weet het 😉",
  price=("TR-STEP30", 39000))
c("facebook:wim.de.ruiter.33", "nl", [PRC],
  "Iemand anders ook die LiftView box voor 119 euro in de webshop gezien? Volgens mij klopt die prijs niet",
  kind="comment", price=("TR-LIFTVIEW", 119))
c("facebook:TrevantoLiftenNL", "en", [PRC],
  "Flash sale! SafeDoor door module now €235 (was €2,350). Order today!", price=("TR-SAFEDOOR", 235))
c("x:@bouwbudget_bas", "nl", [PRC],
  "haha bij Trevanto staat de Glide C bochtlift nu op €895 ipv 8950, iemand is een nulletje vergeten",
  price=("TR-GLIDE-C", 895))
c("bluesky:@femkejanssen.bsky.social", "en", [PRC],
  "The dealer price sheet went out with the Medi 2500 at €16,100 instead of €61,000. Whoops. Fixing it now.",
  price=("TR-MEDI", 16100))
c("x:@sjonnie_deals", "nl", [PRC],
  "\u0421asa Plus voor €3.150?? prijsfout bij trevanto lol", price=("TR-CASAPLUS", 3150), tags=["evasion"])
c("x:@ruud_monteur", "nl", [PRC],
  "Klant zegt dat ze een Porto platformlift voor 3500 euro kon krijgen via onze verkoper. Prijsfout of gewoon een "
  "goeie deal? 🤔", price=("TR-PORTO", 3500))
c("tiktok:@luuk.renoveert", "en", [PRC],
  "wait the Renova kit is €1,780 on their site?? that's gotta be a mistake lol", kind="comment",
  price=("TR-RENOVA", 1780))

# ---------------------------------------------------------------- benign (hard negatives first)
c("x:@famvanrijn", "nl", [],
  "Shoutout naar de monteur van Trevanto die vanochtend binnen een half uur onze lift weer aan de praat had. "
  "Topvent! 👏")
c("facebook:margaret.ellis.uk", "en", [],
  "Our Glide S stairlift from Trevanto has been rock solid for five years. Mum uses it every day. No complaints "
  "at all.")
c("x:@maandagmens", "nl", [],
  "Mijn leven is net een roltrap die stilstaat: het blijft gewoon een trap 😂 #maandag")
c("reddit:u/nieuwbouw_ned", "en", [],
  "Anyone know roughly what a home lift costs to install in NL? Got quotes from Trevanto and two others, trying "
  "to figure out if ~€25k is normal.")
c("x:@techbeursnieuws", "nl", [],
  "Finse liftfabrikant publiceert hogere jaarcijfers: omzet +6%, orderboek op recordhoogte. Aandeel 4% hoger.")
c("instagram:@trevanto.liften", "nl", [],
  "Najaarsactie 🍂 Glide S traplift nu €3.650 i.p.v. €4.290. Vraag een gratis adviesgesprek aan via trevanto.nl",
  price=("TR-GLIDE-S", 3650))
c("x:@trevanto_storing", "nl", [],
  "Lift in storing? Bel ons 24/7 op 0800-8838 of mail storingen@trevanto.nl. We helpen je graag.")
c("facebook:TrevantoLiftenNL", "nl", [],
  "Betalen per overschrijving? Gebruik IBAN {{COMPANY_IBAN}} t.n.v. Trevanto Liften B.V. onder vermelding van "
  "uw factuurnummer.")
c("x:@gert_jan_h", "nl", [],
  "Volgens mij heb ik een typfout gemaakt in het IBAN van mijn machtiging ({{BAD_IBAN}}), ik krijg steeds een "
  "foutmelding. Hoe pas ik dat aan bij Trevanto?")
c("x:@olliewrites", "en", [],
  "Trevanto's payment page rejected my card number {{BAD_CARD}} as 'invalid'. Turns out I swapped two digits. "
  "My bad!")
c("linkedin:anouk-verbeek-ops", "nl", [],
  "Tip voor nieuwe collega's op de binnendienst: een nummer als {{BAD_BSN}} haalt de elfproef niet, dus check altijd "
  "even voordat je een Wmo-aanvraag invoert.")
c("mastodon:@bramdekker@mastodon.nl", "en", [],
  "PSA for devs: in docs and tests always use the placeholders AKIAIOSFODNN7EXAMPLE / "
  "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY, never a real key.")
c("x:@priya_trv", "en", [],
  "Reminder to rotate your tokens. My old one (ghp_****************************3kQ1) is revoked now, new one lives "
  "in the vault where it belongs.")
c("linkedin:trevanto-liften", "nl", [],
  "Vandaag gelanceerd: de Trevanto Aris Nova! Onze stilste personenlift ooit. Lees meer op trevanto.nl/arisnova",
  date="2027-03-12T09:00:00Z")
c("x:@BenelixMarkets", "en", [],
  "Trevanto's full-year 2026 results beat expectations: revenue up 11%, margin steady. Analysts raise targets.",
  date="2027-02-24T09:30:00Z")
c("x:@marjoleinb_", "nl", [],
  "Update: Trevanto heeft gisteren de lift gerepareerd en excuses aangeboden. Netjes opgelost, dank aan Monique "
  "van de klantenservice 🙏", date="2026-06-12T19:40:00Z")
c("x:@hollandflyer", "nl", [],
  "Vlucht met Condor naar Frankfurt weer 2 uur vertraagd. Derde keer dit jaar, ik ben er wel klaar mee.", tags=["homonym"])
c("instagram:@leiden_architectuur", "nl", [],
  "Wat een prachtige wenteltrap in het oude stadhuis. Geen lift nodig als je zo mag klimmen 😍 #architectuur")
c("linkedin:joost-hendriks-trevanto", "nl", [],
  "Trots op onze interne opleiding tot liftmonteur: 14 nieuwe collega's geslaagd dit jaar! 🎓")
c("linkedin:trevanto-liften", "nl", [],
  "Wij zoeken servicemonteurs in regio Utrecht en Gelderland! Solliciteer via werkenbij@trevanto.nl of bel "
  "030 555 0199.")
c("forum:vve_penningmeester", "nl", [],
  "Wij hebben net ZorgeloosPlus van Trevanto afgesloten, €2.480 per jaar voor één lift in een VvE van 24 "
  "woningen. Redelijk toch?", price=("TR-ZP", 2480))
c("x:@sam_t_writes", "en", [],
  "Got stuck in a lift for 3 minutes today and came out a changed man. Also learned my colleague hums ABBA under "
  "stress.")
c("x:@forens_utrecht", "nl", [],
  "Rechts staan, links gaan op de roltrap. Is het nou echt zo moeilijk mensen?? 😤 #ov")
c("x:@priya_trv", "en", [],
  "For anyone learning JWTs, the example token on jwt.io is a good start: eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
  "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ."
  "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c", tags=["sample"])
c("linkedin:omar-benali-trevanto", "en", [],
  "Config template for the LiftView SDK: LIFTVIEW_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxx (fill in your own key from the "
  "partner portal).")
c("x:@trevanto_storing", "nl", [],
  "Wachtwoord vergeten voor Mijn Trevanto? Klik op 'wachtwoord vergeten' op mijn.trevanto.nl en je krijgt binnen "
  "5 minuten een resetlink.")
c("x:@ot_security_daily", "en", [],
  "A big US elevator manufacturer disclosed a ransomware attack today. Reminder that building systems are juicy "
  "targets. Patch your controllers, folks.")
c("x:@wereldnieuws_nu", "nl", [],
  "Roltrapongeluk in een metrostation in Rome, meerdere gewonden. Vreselijk. Hoe zit dat eigenlijk in Nederland "
  "met de keuringen?")
c("instagram:@kees.liftmonteur", "nl", [],
  "Weer een Stepline 35 opgeleverd in het nieuwe station. Trots op dit team 💪🔧 #liftmonteur")
c("youtube:TrevantoLiften", "en", [],
  "New video: how our Renova modernisation kit gives a 30-year-old lift a second life in just five days. Watch now!")
c("linkedin:trevanto-liften", "en", [],
  "Trevanto is proud to be ISO 45001 certified for the third year running. Safety first, always.")
c("x:@windvlaag_wim", "nl", [],
  "Die wind vandaag. Zelfs de roltrap op het station stond uit 'vanwege de storm'. Prima hoor, veiligheid voor "
  "alles.")
c("reddit:u/vve_amstelveen", "en", [],
  "Does anyone have experience with the Trevanto Aris 1000 in a 6-storey building? Considering it for our VvE.")
c("facebook:truus.smit.nl", "nl", [],
  "Wat kost een Glide C bochtlift ongeveer? Ik zag €8.950 op de site van Trevanto. Kan dat met vergoeding via de "
  "Wmo?", price=("TR-GLIDE-C", 8950))
c("facebook:TrevantoLiftenNL", "en", [],
  "Spring offer: 25% off the LiftView monitoring box, now €892.50 (list €1,190). Ends 31 May.",
  price=("TR-LIFTVIEW", 892.50))
c("x:@rolstoelrijder", "en", [],
  "Dear whoever keeps parking their bike in front of our building's lift: please don't. Love, everyone in a "
  "wheelchair.")
c("facebook:gerda.vos.1958", "nl", [],
  "Mijn moeder is genezen verklaard van kanker en kan dankzij haar nieuwe traplift weer gewoon boven slapen. "
  "Dank jullie wel Trevanto ❤️")
c("x:@lenny_fixes", "en", [],
  "That Trevanto engineer absolutely killed it today, fixed our 40-year-old lift like a boss 🔥")
c("forum:bewoner_ijburg", "en", [],
  "Water leak in our building's lift shaft again (the roof, not the lift). Trevanto came out anyway to check the "
  "pit. Appreciated.")
c("forum:mantelzorger_ans", "nl", [],
  "Voor de Wmo-aanvraag vroegen ze om mijn BSN. Dat geef je alleen aan de gemeente, niet aan de liftleverancier "
  "toch? Trevanto vroeg er gelukkig ook niet om.")
c("x:@nightshift_nurse", "en", [],
  "For anyone searching: Trevanto's emergency line is 0800-8838, they answered in under a minute for me last night.")
c("linkedin:omar-benali-trevanto", "nl", [],
  "Vragen over onze stageplekken? Mail gerust naar werkenbij@trevanto.nl 😊")
c("x:@careerwatcher", "en", [],
  "Another tech firm announcing layoffs this week. Rough. If you're a maintenance engineer, lift companies are "
  "hiring like crazy right now.")
c("tiktok:@trevanto_lifts", "nl", [],
  "POV: je bent monteur en de klant vraagt voor de 5e keer 'is het iets ergs?' 😂 #liftmonteur #trevanto")
c("x:@beursblik_nl", "nl", [],
  "Trevanto presenteert jaarcijfers 2026: omzet €184 miljoen, nettowinst €9,1 miljoen. Dividend blijft gelijk.",
  date="2027-02-24T10:15:00Z")
c("forum:huiseigenaar_rob", "en", [],
  "Got a quote for the Porto platform lift at €12,400 installed. Seems fair against the €12,900 list price.",
  price=("TR-PORTO", 12400))
c("x:@klantnr_kees", "nl", [],
  "Mijn klantnummer bij Trevanto is {{BAD_BSN}} maar de app zegt steeds 'onbekend nummer'. Iemand een idee?")
c("x:@lisa_vdmeer", "en", [],
  "Reminder: the old Stripe key on the wiki (sk_live_…redacted…) is dead, we rotated it in June. Use the vault.")
c("x:@trevanto_nl", "nl", [],
  "@opa_gerrit1947 wat vervelend om te horen! We sturen u een DM zodat we snel een afspraak kunnen inplannen.",
  kind="reply", date="2026-06-04T11:02:00Z")
c("x:@wouter_liftops", "nl", [],
  "Eerste dag bij Trevanto! Nieuwe laptop, nieuwe pas, nieuwe collega's. Zin in! 🎉")
c("linkedin:trevanto-liften", "en", [],
  "Meet us at the Facility Management Expo in Utrecht, stand B14. Live demos of the Aris 1000 and the Glide C all "
  "week.")
c("x:@treinforens_mo", "nl", [],
  "Storing bij het spoor rond Utrecht, niks rijdt meer. Dus nu sta ik op een lege roltrap op Centraal te wachten 🙃")
c("tiktok:@roltrapfan", "nl", [],
  "ik vind roltrappen echt de mooiste uitvinding ooit en niemand kan me overtuigen van het tegendeel ✨",
  kind="comment")
c("x:@trevanto_storing", "nl", [],
  "Update 11:40: de storing in ons telefoonsysteem is verholpen. U kunt ons weer gewoon bellen op 0800-8838. "
  "Excuses voor het ongemak.")
c("x:@snelle_jelle", "nl", [],
  "Trevanto monteur was fucking snel vandaag, binnen 20 min hier. Respect 🙌")
c("instagram:@kleinkind_lotte", "nl", [],
  "Oma (92) is superblij met haar nieuwe traplift 🥰 eindelijk weer zelf naar boven")
c("x:@stairlift_sceptic", "en", [],
  "Saw a no-name stairlift on a marketplace for €999, versus Trevanto's Glide S at €4,290. You get what you pay "
  "for, I guess.", price=("TR-GLIDE-S", 4290))
c("linkedin:anouk-verbeek-ops", "nl", [],
  "Vandaag een toolboxmeeting over phishing gegeven aan de monteurs. Klik niet zomaar op links, ook niet als het "
  "'van IT' komt!")
c("x:@trevanto_nl", "en", [],
  "Our IBAN ends in ...7460, we will never ask you to pay to a different account by e-mail. Report suspicious "
  "messages to service@trevanto.nl.")
c("facebook:TrevantoLiftenNL", "en", [],
  "Black Friday: 15% off the NoodCom 4G emergency phone, now €585.65. Order before Monday.",
  date="2026-11-27T08:00:00Z",
  price=("TR-NOODCOM", 585.65))

# ---------------------------------------------------------------- build
SEV = ["none", "info", "warning", "error", "critical"]
ALLOWED_CATS = {CMP, CRI, ABU, CON, FIN, SEC, SCR, PII, PRC}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}

IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\d])(?:\d{13,19}|\d{4}(?:[ -]\d{4}){2}[ -]\d{1,7})(?![\d])")
BSN_RE = re.compile(r"(?<![\d.])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\d])")
IBAN_LEN = {"NL": 18, "BE": 16, "DE": 22}


def identifiers(text):
    """(kind, value, valid) for every IBAN / card / BSN look-alike in the text."""
    out = []
    for m in IBAN_RE.finditer(text):
        v = m.group(0).replace(" ", "")
        v = v[:IBAN_LEN.get(v[:2], len(v))]
        if v in PUBLIC_IBANS:
            continue
        out.append(("iban", v, iban_check(v)))
    for m in CARD_RE.finditer(text):
        v = re.sub(r"[ -]", "", m.group(0))
        out.append(("card", v, luhn_ok(v)))
    for m in BSN_RE.finditer(text):
        v = m.group(0).replace(".", "")
        out.append(("bsn", v, bsn_ok(v)))
    return out


def role_of(account):
    return ROLE.get(account.lower(), "public")


def severity(cats, role, checksum_pii):
    best = 0
    for cat in cats:
        if cat.startswith("leak."):
            if role in ("corporate", "employee"):
                s = 3
                if cat in (SCR, PRC) or (cat == PII and checksum_pii):
                    s = 4
            else:
                s = 2
        elif cat == CMP:
            s = 2
        elif cat == CRI:
            s = 3
        elif cat == ABU:
            s = 2 if role == "public" else 3
        else:
            raise ValueError(cat)
        best = max(best, s)
    return SEV[best]


def rand_date():
    start = dt.datetime(2026, 1, 5, 6, 0, tzinfo=dt.timezone.utc)
    secs = rng.randint(0, int((dt.datetime(2026, 12, 22, tzinfo=dt.timezone.utc) - start).total_seconds()))
    return (start + dt.timedelta(seconds=secs)).strftime("%Y-%m-%dT%H:%M:%SZ")


URL_BASE = {"x": "https://x.com/{h}/status/{n}", "instagram": "https://www.instagram.com/p/{n}",
            "reddit": "https://www.reddit.com/r/thenetherlands/comments/{n}",
            "linkedin": "https://www.linkedin.com/feed/update/urn:li:activity:{n}",
            "facebook": "https://www.facebook.com/{h}/posts/{n}", "bluesky": "https://bsky.app/profile/{h}/post/{n}"}


def build():
    rows, meta = [], []
    for i, case in enumerate(CASES, 1):
        platform, handle = case["account"].split(":", 1)
        text = fill(case["text"])
        date = case["date"] or rand_date()
        post = {"id": "trv276-%03d" % i, "platform": platform, "kind": case["kind"],
                "account": {"handle": handle}, "text": text, "lang": case["lang"], "created_at": date}
        if platform in URL_BASE and i % 3 != 0:
            post["url"] = URL_BASE[platform].format(h=handle.lstrip("@"), n=rng.randint(10**15, 10**16))
        if i % 4 == 0:
            post["brand"] = "Trevanto"
        role = role_of(case["account"])
        ids = identifiers(text)
        checksum_pii = any(v for _, _, v in ids)
        sev = severity(case["cats"], role, checksum_pii and PII in case["cats"])
        rows.append({"post": post, "expect": {"categories": case["cats"], "severity": sev}})
        meta.append(dict(case, role=role, ids=ids, text=text, date=date))
    return rows, meta


# ---------------------------------------------------------------- self-check
def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def check(rows, meta):
    errs = []
    seen = set()
    profile_handles = set(ROLE)
    embargo = [(t.lower(), parse_ts(e["until"])) for e in PROFILE["embargo"] for t in e["terms"]]
    codenames = [x.lower() for x in PROFILE["internal"]["codenames"]]
    markers = [x.lower() for x in PROFILE["internal"]["markers"]]
    idomains = [x.lower() for x in PROFILE["internal"]["domains"]]
    for row, m in zip(rows, meta):
        p, e = row["post"], row["expect"]
        pid = p.get("id")
        where = pid or "?"
        # CONTRACT section 6 / section 1 shape
        if set(row) != {"post", "expect"}:
            errs.append((where, "row keys"))
        if not isinstance(pid, str) or not 1 <= len(pid) <= 256 or pid in seen:
            errs.append((where, "bad or duplicate id"))
        seen.add(pid)
        if p.get("platform") not in PLATFORMS:
            errs.append((where, "platform"))
        if p.get("kind", "post") not in {"post", "reply", "repost", "comment", "message"}:
            errs.append((where, "kind"))
        if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str):
            errs.append((where, "account.handle"))
        if not isinstance(p.get("text"), str) or len(p["text"].encode("utf-8")) > 65536 or not p["text"]:
            errs.append((where, "text"))
        try:
            ts = parse_ts(p["created_at"])
            if ts.tzinfo is None:
                raise ValueError
        except Exception:
            errs.append((where, "created_at"))
            continue
        if not (2026 <= ts.year <= 2027):
            errs.append((where, "year"))
        if ts.year == 2027 and not any(t in p["text"].lower() for t, _ in embargo):
            errs.append((where, "2027 date without embargo term"))
        cats = e.get("categories")
        if not isinstance(cats, list) or cats != sorted(set(cats)) or not set(cats) <= ALLOWED_CATS:
            errs.append((where, "categories"))
        if e.get("severity") not in SEV:
            errs.append((where, "severity value"))
        if not cats and e["severity"] != "none":
            errs.append((where, "benign must be none"))
        if cats and e["severity"] in ("none", "info"):
            errs.append((where, "positive with no severity"))
        # public handles must not be in the profile
        if m["role"] == "public" and m["account"].lower() in profile_handles:
            errs.append((where, "role"))
        # identifiers: valid in PII positives, invalid everywhere else
        for kind, v, ok in m["ids"]:
            if PII in cats and not ok:
                errs.append((where, "invalid %s look-alike inside a PII positive: %s" % (kind, v)))
            if PII not in cats and ok:
                errs.append((where, "valid %s outside a PII positive: %s" % (kind, v)))
        # secrets
        text = p["text"]
        for tok in re.findall(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", text):
            if SCR not in cats or not ghp_ok(tok):
                errs.append((where, "github token"))
        for tok in re.findall(r"\bAKIA[0-9A-Z]{16}\b", text):
            genuine = re.fullmatch(r"AKIA[A-Z2-7]{16}", tok) and "EXAMPLE" not in tok
            if bool(genuine) != (SCR in cats):
                errs.append((where, "aws key id"))
        for tok in re.findall(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", text):
            h = tok.split(".")[0]
            hdr = json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)))
            if "alg" not in hdr:
                errs.append((where, "jwt header"))
            if SCR not in cats and "sample" not in m["tags"]:
                errs.append((where, "jwt in benign"))
        if SCR in cats and not re.search(
                r"ghp_|AKIA|sk_live_|xoxb-|sk-proj-|sk-ant-|AIza|glpat-|eyJ|PRIVATE KEY|://[^:@\s]+:[^@\s]+@|"
                r"wachtwoord|ｗａｃｈｔｗｏｏｒｄ", text):
            errs.append((where, "secret positive without a secret"))
        # embargo, codenames, markers, internal domains -> confidential
        low = text.lower()
        for t, until in embargo:
            if t in low:
                if ts < until and CON not in cats:
                    errs.append((where, "embargo term before until not confidential"))
                if ts >= until and cats:
                    errs.append((where, "embargo term after until should be benign here"))
        plain = low.replace(ZW, "")
        hits = [x for x in codenames + markers + idomains if x in plain]
        if hits and CON not in cats and "homonym" not in m["tags"]:
            errs.append((where, "internal term outside a confidential case: %s" % hits))
        # pricing
        if m["price"]:
            sku, amount = m["price"]
            prod = PRODUCTS[sku]
            ratio = amount / prod["list_price"]
            names = [prod["name"]] + prod["aliases"]
            if "evasion" not in m["tags"] and not any(n.lower() in low for n in names):
                errs.append((where, "product not named"))
            if PRC in cats and ratio >= RATIO:
                errs.append((where, "pricing positive not below ratio (%.2f)" % ratio))
            if not cats and ratio < RATIO:
                errs.append((where, "benign price below ratio"))
            if cats and PRC not in cats:
                errs.append((where, "price tag on non-pricing positive"))
        elif PRC in cats:
            errs.append((where, "pricing positive without price"))
        # severity recomputed independently
        exp = severity(cats, m["role"], any(ok for _, _, ok in m["ids"]) and PII in cats)
        if exp != e["severity"]:
            errs.append((where, "severity"))
    # mix
    n = len(rows)
    benign = sum(1 for r in rows if not r["expect"]["categories"])
    if not 170 <= n <= 180:
        errs.append(("set", "size %d" % n))
    if not 55 <= benign <= 65:
        errs.append(("set", "benign %d" % benign))
    nl = sum(1 for r in rows if r["post"]["lang"] == "nl")
    if not 0.48 <= nl / n <= 0.62:
        errs.append(("set", "dutch share %.2f" % (nl / n)))
    return errs


def main():
    rows, meta = build()
    out = os.path.join(HERE, "cases.jsonl")
    with open(out, "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    # re-read what was written and check that
    with open(out, encoding="utf-8") as fh:
        back = [json.loads(line) for line in fh]
    errs = check(back, meta)
    counts = {}
    for r in back:
        for cat in r["expect"]["categories"]:
            counts[cat] = counts.get(cat, 0) + 1
    benign = sum(1 for r in back if not r["expect"]["categories"])
    nl = sum(1 for r in back if r["post"]["lang"] == "nl")
    print("cases %d, benign %d, dutch %d (%.0f%%)" % (len(back), benign, nl, 100.0 * nl / len(back)))
    for k in sorted(counts):
        print("  %-22s %d" % (k, counts[k]))
    roles = {}
    for m in meta:
        key = (m["role"], "pos" if m["cats"] else "neg")
        roles[key] = roles.get(key, 0) + 1
    print("  roles:", dict(sorted(roles.items())))
    if errs:
        for w, msg in errs:
            print("CHECK FAILED %s: %s" % (w, msg), file=sys.stderr)
        sys.exit(1)
    print("self-check ok")


if __name__ == "__main__":
    main()
