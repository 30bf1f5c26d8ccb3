#!/usr/bin/env python3
"""Build the labelled evaluation set sealed489 for postwatch (company: Knalkonijn B.V.).

Deterministic: fixed seed, standard library plus PyYAML. Writes cases.jsonl next to this
file and checks it:
  * every line is a valid labelled case (CONTRACT section 6, input post per section 1);
  * every IBAN / card / BSN planted in a positive passes its checksum, every look-alike
    planted in a benign post fails it, and no post carries a checksum-valid identifier
    (other than the company's own published IBAN) without being labelled leak.pii;
  * generated credentials are well-formed (GitHub CRC-32, AWS id alphabet, JWT header);
  * benign posts hold no codename, marker, internal domain or live embargo term;
  * severities are computed from CONTRACT section 4 and the account role in profile.yaml.
"""
import base64
import hashlib
import hmac
import json
import os
import random
import re
import string
import sys
import unicodedata
import zlib
from datetime import datetime, timedelta, timezone

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
rng = random.Random(489_2026)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

ROLE = {}
for _h in PROFILE["accounts"]["corporate"]:
    ROLE[_h.lower()] = "corporate"
for _h in PROFILE["accounts"]["employee"]:
    ROLE[_h.lower()] = "employee"

# ---------------------------------------------------------------------------
# checksums and identifier generators
# ---------------------------------------------------------------------------
ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base-62 order
B64URL = string.ascii_letters + string.digits + "-_"


def iban_ok(iban):
    s = re.sub(r"\s+", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(bank, cc="NL"):
    bban = bank + "".join(rng.choice(string.digits) for _ in range(10))
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return f"{cc}{98 - n % 97:02d}{bban}"


def bad_iban(bank):
    good = make_iban(bank)
    chk = int(good[2:4])
    for delta in (7, 13, 29, 41):
        cand = f"{good[:2]}{(chk + delta) % 97 + 2:02d}{good[4:]}"
        if not iban_ok(cand):
            return cand
    raise RuntimeError("could not build failing IBAN")


def fmt_iban(i):
    return " ".join(i[k:k + 4] for k in range(0, len(i), 4))


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    if len(d) < 12:
        return False
    tot = 0
    for k, v in enumerate(reversed(d)):
        if k % 2 == 1:
            v *= 2
            if v > 9:
                v -= 9
        tot += v
    return tot % 10 == 0


def make_card(prefix):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(15 - len(prefix)))
    for c in string.digits:
        if luhn_ok(body + c):
            return body + c
    raise RuntimeError


def bad_card(prefix):
    good = make_card(prefix)
    last = (int(good[-1]) + 3) % 10
    cand = good[:-1] + str(last)
    assert not luhn_ok(cand)
    return cand


def fmt_card(c):
    return " ".join(c[k:k + 4] for k in range(0, 16, 4))


def bsn_ok(num):
    d = re.sub(r"\D", "", num)
    if len(d) != 9 or d == "000000000":
        return False
    tot = sum(int(d[k]) * (9 - k) for k in range(8)) - int(d[8])
    return tot % 11 == 0


def make_bsn():
    while True:
        first8 = str(rng.randint(1, 6)) + "".join(rng.choice(string.digits) for _ in range(7))
        s = sum(int(first8[k]) * (9 - k) for k in range(8)) % 11
        if s <= 9:
            return first8 + str(s)


def bad_bsn():
    while True:
        cand = str(rng.randint(1, 9)) + "".join(rng.choice(string.digits) for _ in range(8))
        if not bsn_ok(cand):
            return cand


def mobile():
    return "6" + str(rng.randint(1, 5)) + "".join(rng.choice(string.digits) for _ in range(7))


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out or "0"


def gh_token(prefix="ghp_"):
    body = "".join(rng.choice(ALNUM) for _ in range(30))
    return prefix + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")


def gh_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()) & 0xFFFFFFFF).rjust(6, "0") == m.group(2)


def rand(alpha, n):
    return "".join(rng.choice(alpha) for _ in range(n))


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt():
    header = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    iat = 1767225600 + rng.randint(0, 20_000_000)
    payload = b64u(json.dumps({"sub": f"usr_{rng.randint(10000, 99999)}", "role": "planner",
                               "org": "knalkonijn", "iat": iat, "exp": iat + 3600},
                              separators=(",", ":")).encode())
    key = bytes(rng.getrandbits(8) for _ in range(32))
    sig = b64u(hmac.new(key, f"{header}.{payload}".encode(), hashlib.sha256).digest())
    return f"{header}.{payload}.{sig}"


def make_rsa_pem(lines=9):
    der = b"\x30\x82\x04\xa4\x02\x01\x00\x02\x82\x01\x01\x00" + bytes(
        rng.getrandbits(8) for _ in range(48 * lines))
    body = base64.b64encode(der).decode()
    rows = [body[k:k + 64] for k in range(0, len(body), 64)][:lines]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(rows) + "\n-----END RSA PRIVATE KEY-----"


# ---------------------------------------------------------------------------
# generated values used in the posts
# ---------------------------------------------------------------------------
V = {}
V["gh1"] = gh_token("ghp_")
V["gh_spaced_raw"] = gh_token("ghp_")
V["gh_spaced"] = " ".join(V["gh_spaced_raw"][k:k + 4] for k in range(0, 40, 4))
V["aws_id"] = "AKIA" + rand("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
V["aws_secret"] = rand(string.ascii_letters + string.digits + "/+", 40)
V["mollie"] = "live_" + rand(string.ascii_letters + string.digits, 30)
V["slack"] = f"xoxb-{rand(string.digits, 12)}-{rand(string.digits, 13)}-{rand(string.ascii_letters + string.digits, 24)}"
V["google"] = "AIza" + rand(string.ascii_letters + string.digits + "-_", 35)
V["openai"] = "sk-proj-" + rand(B64URL, 74) + "T3BlbkFJ" + rand(B64URL, 74)
V["anthropic"] = "sk-ant-api03-" + rand(B64URL, 93) + "AA"
V["stripe"] = "sk_live_51" + rand(string.ascii_letters + string.digits, 97)
V["jwt"] = make_jwt()
V["pem"] = make_rsa_pem()
V["dbpw"] = rand(string.ascii_letters + string.digits, 18)
V["dburl"] = f"postgres://kk_app:{V['dbpw']}@10.20.4.15:5432/bookings"
V["mailpw"] = (rng.choice(["Wortel", "Hooizolder", "Ballon", "Toeter"]) + rng.choice("!#$%&*")
               + str(rng.randint(1000, 9999)) + rand(string.ascii_letters, 3))

V["iban_refund"] = make_iban("INGB")
V["iban_mama"] = make_iban("ABNA")
V["card_log"] = make_card("4")
V["card_fw"] = make_card("53")
V["bsn_row"] = make_bsn()
V["bsn_hamza"] = make_bsn()
V["ph_ellen"] = mobile()
V["ph_row"] = mobile()
V["ph_driver"] = mobile()
V["ph_jess"] = mobile()
V["ph_jesse"] = mobile()

V["bad_iban_sms"] = bad_iban("RABO")
V["bad_iban_fake"] = bad_iban("INGB")
V["bad_card_ref"] = bad_card("4")
V["bad_card_order"] = bad_card("54")
V["bad_bsn_pers"] = bad_bsn()
V["bad_bsn_order"] = bad_bsn()

PUB_IBAN = PROFILE["public_identifiers"]["ibans"][0]


def nl_mob(d, style):
    # d: 9 digits starting with 6
    if style == "dash":
        return f"0{d[0]}-{d[1:]}"
    if style == "pairs":
        return f"0{d[0]}-{d[1:3]} {d[3:5]} {d[5:7]} {d[7:]}"
    if style == "intl":
        return f"+31 {d[0]} {d[1:3]} {d[3:5]} {d[5:7]} {d[7:]}"
    if style == "plain":
        return f"0{d}"
    if style == "0031":
        return f"0031{d}"
    if style == "space4":
        return f"0{d[0]} {d[1:5]} {d[5:]}"
    raise ValueError(style)


FULLWIDTH = {c: chr(ord(c) + 0xFEE0) for c in string.ascii_letters + string.digits}


def fw(s):
    return "".join(FULLWIDTH.get(c, "\u3000" if c == " " else c) for c in s)


ZW = "\u200b"

# ---------------------------------------------------------------------------
# the posts
# ---------------------------------------------------------------------------
SEC_CAT = {
    "S": "leak.secret", "PII": "leak.pii", "PR": "leak.pricing", "CF": "leak.confidential",
    "FIN": "leak.financial", "SEC": "leak.security", "CR": "reputation.crisis",
    "CO": "reputation.complaint", "AB": "reputation.abuse",
}

CASES = []


def add(author, text, cats, lang, when=None, kind=None, good=(), bad=(), secrets=(), name=None,
        brand=None):
    CASES.append(dict(author=author, text=text, cats=[SEC_CAT[c] for c in cats], lang=lang,
                      when=when, kind=kind, good=list(good), bad=list(bad),
                      secrets=list(secrets), name=name, brand=brand))


# ---- complaints --------------------------------------------------------------
add("x:@sanne_mama3",
    "@knalkonijn_hulp zaterdag 14:00 zou Clown Kiki komen. Om 14:50 nog niemand. 9 huilende "
    "kleuters in mijn woonkamer. Bellen: 'u staat in de wachtrij'. Echt top geregeld 🙃",
    ["CO"], "nl", kind="reply")
add("facebook:PriscillaHoekstra",
    "Vorige maand het Springkussen Kasteel XL gehuurd via Knalkonijn. Lag vol zand en er zat een "
    "scheur in de zijkant, moesten we er zelf maar met tape overheen. Foto's gemaild, nu 3 weken "
    "later nog steeds geen reactie. Nooit meer.", ["CO"], "nl", name="Priscilla Hoekstra")
add("x:@dadjokes_dave",
    "booked the Goochelshow Deluxe through @knalkonijn for my son's 7th. guy showed up, did 20 min "
    "of card tricks the kids couldnt even see from the back and left. €289 for that?? want my money back",
    ["CO"], "en")
add("instagram:@lisa.bakt.taartjes",
    "Eenhoorntaart besteld bij @knalkonijn.nl, kwam aan als eenhoorn-pannenkoek 🦄🥞 doos compleet "
    "ingedeukt. Klantenservice: 'transportschade valt niet onder onze verantwoordelijkheid'. Huh?? "
    "Jullie bezorgen hem toch zelf", ["CO"], "nl")
add("reddit:u/throwaway_parent_nl",
    "PSA: Knalkonijn cancelled our bubble show 2 hours before the party 'due to illness' and the "
    "refund has been 'processing' for six weeks now. Anyone else stuck waiting on them? Starting to "
    "think I should just do a chargeback.", ["CO"], "en")
add("tiktok:@jasmijn.vlogt",
    "pov: je boekt 3 maanden van tevoren een Piratenfeest en de 'piraat' blijkt een student met een "
    "ooglapje van de action die de hele tijd op z'n telefoon zit 💀 knalkonijn doe beter "
    "#kinderfeestfail #knalkonijn", ["CO"], "nl")
add("x:@Hdj_Breda",
    "@knalkonijn jullie app crasht elke keer bij het afrekenen. 4x geprobeerd, 2x afgeschreven, 0x "
    "een bevestiging. wie gaat dit oplossen?", ["CO"], "nl", kind="reply")
add("x:@ellenvdm",
    "@knalkonijn_hulp al 5x gebeld over de dubbele afschrijving, niemand belt terug. Bel me dan "
    f"gewoon zelf: {nl_mob(V['ph_ellen'], 'pairs')}. Boekingsnr KK-2026-88412",
    ["CO", "PII"], "nl", kind="reply")
add("facebook:MarjoleinDeGraaf",
    "Wat een teleurstelling. Dinofeest voor Thijs geboekt, de 'echte fossielen' bleken plastic "
    "kermisspul en de begeleidster zat de halve middag op haar telefoon. Voor €349 verwacht je toch "
    "echt iets anders Knalkonijn.", ["CO"], "nl", name="Marjolein de Graaf")
add("x:@mike_ldn_dad",
    "Third time asking @knalkonijn_hulp: where is my KnalBox? Ordered for the 12th, party was the "
    "12th, it's now the 19th. Tracking still says 'label created'. Brilliant service.", ["CO"], "en",
    kind="reply")
add("forum:@ouders_forum_ruud",
    "Ervaring met Knalkonijn? Slecht. De DJ van de kinderdisco draaide nummers met scheldwoorden "
    "voor een groep 6-jarigen en deed daarna alsof er niks aan de hand was. Klacht ingediend, "
    "standaardmailtje terug met een kortingscode van 5 euro. Serieus?", ["CO"], "nl")
add("youtube:@FamilieVerbeek",
    "leuk filmpje maar bij ons kwam de goochelaar een uur te laat en had z'n konijn 'vergeten' 🙄 "
    "geld terug is er na 2 maanden nog steeds niet", ["CO"], "nl", kind="comment")
add("x:@r_vanderlinden",
    "Knalkonijn rekent €35 'annuleringskosten' omdat mijn kind ziek was, terwijl de entertainer die "
    "dag zelf óók al had afgezegd?? Dubbel verdienen heet dat", ["CO"], "nl")
add("facebook:KimVerhoeven",
    "Vandaag is het Springkussen Junior dat we via Knalkonijn huurden ingezakt met 6 kinderen erop. "
    "De blower viel uit en niemand had het ding gecontroleerd. Mijn zoontje heeft een "
    "hersenschudding opgelopen. Ik ben woedend en wil een verklaring.", ["CR", "CO"], "nl",
    name="Kim Verhoeven")
add("x:@dad_of_twins_ams",
    "The face paint from @knalkonijn's Schminkfeest gave both my twins a burning rash within the "
    "hour. GP says contact dermatitis, almost certainly the paint. Nobody at Knalkonijn has even "
    "replied to my email.", ["CR", "CO"], "en")
add("instagram:@bo.hendriks",
    "De suikerspinmachine die we via knalkonijn hadden gehuurd gaf mijn man een flinke schok toen hij "
    "hem aanzette. Stekker bleek half gesmolten 😳 met al die kinderen eromheen!!! dit had heel "
    "anders kunnen aflopen", ["CR", "CO"], "nl")
add("reddit:u/Kees_in_Zwolle",
    "Our Slijmlab workshop from Knalkonijn: the 'activator' they handed out burned my daughter's "
    "fingertips, blisters the next morning. They keep saying it's 'kid safe'. Pics in the comments. "
    "Absolutely furious.", ["CR", "CO"], "en")
add("tiktok:@annabel_xo",
    "de heliumfles van de knalkonijn heliumset lekte en toen schoot het ventiel eraf, knalde tegen de "
    "muur op 30cm van mijn zoontje 😭 hoe is dit legaal #knalkonijn #nooitmeer", ["CR", "CO"], "nl")

# ---- crisis (third party, boycott, lawsuit, recall, breach accusations) -------
add("x:@regio_nieuws_amf",
    "Kind (4) gewond nadat springkussen bij kinderfeest in Amersfoort wegwaaide. Het kussen was "
    "gehuurd via het platform Knalkonijn, meldt de politie. Onderzoek loopt.", ["CR"], "nl")
add("x:@fairpay4artists",
    "Knalkonijn pays its entertainers about €9/hr after fees while charging parents €289 a show. "
    "#BoycottKnalkonijn until they treat performers fairly. RT if you're done with them.",
    ["CR"], "en")
add("facebook:OudersAlertNL",
    "Let op ouders!! Bij Knalkonijn kunnen 'entertainers' zich blijkbaar aanmelden zonder VOG. Bij "
    "een feestje in Tilburg zou een man met een veroordeling zijn langsgekomen. Hoe kan dit?! Deel "
    "dit bericht.", ["CR"], "nl", name="Ouders Alert")
add("x:@jvdberg_journo",
    "Scoop: more than 40 entertainers are taking Knalkonijn B.V. to court over unpaid fees and "
    "bogus self-employment. Summons was filed this morning, I've seen the papers.", ["CR"], "en")
add("x:@privacyhelden",
    "Knalkonijn zou data van duizenden gezinnen gelekt hebben: namen, adressen én geboortedata van "
    "kinderen staan te koop op een hackersforum. Het bedrijf zwijgt. Wie heeft er een melding "
    "gehad?", ["CR"], "nl")
add("instagram:@mamablogt.nl",
    "TERUGROEPACTIE ⚠️ de Eenhoorntaart van Knalkonijn uit week 14 kan pinda bevatten die niet op het "
    "etiket staat. Niet geven als je kind allergisch is! Delen aub 🙏", ["CR"], "nl")
add("threads:@femkeee",
    "is it true a kid got seriously hurt at a Knalkonijn laser tag party in Almere? neighbour's son "
    "was there, says an ambulance came. scary stuff", ["CR"], "en")
add("tiktok:@gewoonjelle",
    "stop met boeken bij knalkonijn. hun clown maakte grapjes over het gewicht van kinderen en toen "
    "een moeder er wat van zei werd ze geblokkeerd. boycot tot ze excuses maken 📢", ["CR"], "nl")
add("x:@regio_nieuws_zh",
    "Brandweer rukte zaterdag uit voor rookontwikkeling bij een kinderfeest in Gouda. Oorzaak zou een "
    "oververhitte blower zijn van een springkussen dat via Knalkonijn was gehuurd. Niemand raakte "
    "gewond.", ["CR"], "nl")

# ---- abuse -------------------------------------------------------------------
add("x:@woedendevader",
    "@knalkonijn stelletje tyfuslijers, eerst geld pakken en dan gewoon niet komen opdagen op het "
    "feest van m'n dochter. criminelen zijn jullie", ["AB", "CO"], "nl", kind="reply")
add("x:@gr8_kev",
    "@knalkonijn_hulp you absolute clowns, and not the fun kind. useless fucking idiots the lot of you",
    ["AB"], "en", kind="reply")
add("instagram:@xxjordyxx",
    "die clown kiki is echt een lelijke dikke trut, niemand wil jou op z'n feest, ga je schamen",
    ["AB"], "nl", kind="comment")
add("x:@hollandvoorop88",
    "Knalkonijn laat z'n HR doen door een hoofddoek. Ga lekker terug naar je eigen land Yasmina, jullie "
    "horen hier niet", ["AB"], "nl")
add("tiktok:@bennie_b",
    "@goochelaar.daan nobody wants your ugly face at their kids party, your tricks are trash and so "
    "are you. quit already loser", ["AB"], "en", kind="comment")
add("facebook:RonaldSmeets",
    "Kankerbedrijf. Meer hoef ik er niet over te zeggen. Knalkonijn.", ["AB"], "nl",
    name="Ronald Smeets")
add("x:@mariekexx",
    "@marloes_kk jij bent toch dat domme wijf van de klantenservice? leer eerst eens lezen voor je "
    "mensen gaat 'helpen'", ["AB"], "nl", kind="reply")
add("x:@bramkoster_dev",
    "@gr8_kev mate if you can't book a kids party without crying on twitter maybe don't have kids. "
    "absolute moron", ["AB"], "en", kind="reply")
add("tiktok:@clownkiki.kk",
    "aan die ene moeder uit Zeist die me een 2 sterren gaf: je kind was een verwend klein kreng en "
    "jij bent nog erger. kusjes, kiki 💋", ["AB"], "nl")
add("x:@sl0pp3r",
    "k.u.t.b.e.d.r.i.j.f @knalkonijn, o p l i c h t e r s zijn jullie", ["AB"], "nl")
add("bluesky:@vera-w.bsky.social",
    "Knalkonijn's customer service woman called my autistic son 'difficult' on the phone while I was "
    "trying to rebook. Go to hell, you heartless bitches.", ["AB", "CO"], "en")
add("x:@p1mp_m4n",
    "kn4lk0n1jn = k4nk3r b3dr1jf, w33t je 🤡", ["AB"], "nl")

# ---- confidential ------------------------------------------------------------
add("x:@lottedevos_pm",
    "Long day of user testing for Silverfox 🦊 parents LOVED the auto-planner. Can't say more yet!",
    ["CF"], "en")
add("linkedin:ruben-van-leeuwen-kk",
    "Trots op het team dat de afgelopen maanden keihard aan Project Moerhaas heeft gewerkt. Binnenkort "
    "meer nieuws over onze stap over de grens 🚀", ["CF"], "nl")
add("x:@bramkoster_dev",
    "anyone else's pipeline on gitlab.kk-intern.nl stuck at 'pending' since lunch? or just me",
    ["CF"], "en")
add("instagram:@goochelaar.daan",
    "Vandaag op de artiestendag de nieuwe tarieven van Knal Pro Plus gezien 👀 wordt echt een "
    "gamechanger voor ons artiesten", ["CF"], "nl")
add("facebook:KnalkonijnNL",
    "Kijk eens hoe mooi ons nieuwe planningsdashboard is 😍 "
    "https://planner.kk-intern.nl/dashboard/regio-utrecht", ["CF"], "nl")
add("reddit:u/kk_niels_planning",
    "the doc literally has KK-INTERN in the header but whatever: new routing for entertainers is "
    "supposed to cut travel time by 20%, Utrecht region goes first", ["CF"], "en")
add("x:@marloes_kk",
    "Overleg over Operatie Hooiberg duurde 3 uur. Ik zeg er verder niks over 🤐", ["CF"], "nl")
add("linkedin:yasmina-ouali",
    "Hiring 3 developers for a project we can't talk about yet (Silverfox, shhh 🤫). Interested? "
    "Slide into my DMs!", ["CF"], "en")
add("x:@insider_nieuwtjes",
    "someone at Knalkonijn accidentally emailed me a pdf with 'knalkonijn confidential - roadmap' on "
    "every page. first slide: AI party planner + a fee hike for artists. lol", ["CF"], "en")
add("tiktok:@knalkonijn",
    "Sneak peek 👀 onze artiesten gaan binnenkort ook bij de zuiderburen optreden! "
    "#KnalkonijnBelgie #binnenkort", ["CF"], "nl", when="2026-11-27T16:05:00Z")
add("x:@lottedevos_pm",
    "T-minus one week until Knal Pro Plus goes live and I have not slept 😵", ["CF"], "en",
    when="2027-01-12T22:41:00Z")
add("x:@bramkoster_dev",
    f"Sil{ZW}ver{ZW}fox demo finally ran without crashing today 🎉 beers on me", ["CF"], "en")
add("instagram:@clownkiki.kk",
    f"er staat {fw('knalkonijn confidential')} op maar ik MOET dit delen: de nieuwe kostuums "
    "voor volgend jaar 😍😍", ["CF"], "nl")
add("x:@marloes_kk",
    "P r o j e c t   M o e r h a a s gaat echt gebeuren, zei de CEO net op de all-hands 🎉", ["CF"],
    "nl")
add("reddit:u/kk_niels_planning",
    "the \u041e\u0440\u0435r\u0430ti\u0435 \u041d\u043eoiberg slides are wild. half of ops "
    "moves to a shared service centre, customer care gets outsourced, planners like me are 'under "
    "review'", ["CF", "FIN"], "en")
add("forum:@ex_artiest_77",
    "In de handleiding voor artiesten staat per ongeluk een screenshot met "
    "intra.knalkonijn.local/roosters in de adresbalk haha. Slordig Knalkonijn", ["CF"], "nl")

# ---- financial ---------------------------------------------------------------
add("linkedin:ruben-van-leeuwen-kk",
    "Q3 omzet komt uit op €6,8 mln, 14% onder budget. Nog niet gepubliceerd dus even tussen ons 😉 "
    "maar het team blijft knallen!", ["FIN"], "nl", when="2026-10-06T08:12:00Z")
add("x:@marloes_kk",
    "hoorde net dat er bij klantenservice 25 fte wegbezuinigd wordt en alles naar een callcenter in "
    "Lissabon gaat. wordt pas in november 'officieel' verteld. lekker dan", ["FIN"], "nl",
    when="2026-09-17T19:30:00Z")
add("reddit:u/kk_niels_planning",
    "not official yet but we're in talks to buy FeestFee, the Belgian competitor. due diligence "
    "started last week, lawyers everywhere", ["FIN"], "en")
add("bluesky:@joostmeijer.bsky.social",
    "board wants a Series B at a €140M valuation and there's apparently a term sheet from a US fund "
    "on the table. exciting times if it closes", ["FIN"], "en")
add("x:@lottedevos_pm",
    "internal forecast for 2027 just dropped: €41M revenue, first profitable year. still can't "
    "believe we're getting there", ["FIN"], "en")
add("linkedin:yasmina-ouali",
    "Zware weken in het vooruitzicht. In januari sluiten we het kantoor in Eindhoven en 18 collega's "
    "krijgen binnenkort te horen dat hun functie vervalt. Ik vind het echt verschrikkelijk.",
    ["FIN"], "nl", when="2026-10-28T07:55:00Z")
add("x:@beursroddels",
    "Via een bron binnen Knalkonijn: het bedrijf wordt overgenomen door het Duitse Kinderwelt "
    "Gruppe, deal van ca. €90 mln, aankondiging na de zomer. #overname", ["FIN"], "nl")
add("facebook:KnalkonijnNL",
    "Wat een jaar! Met 212.000 geboekte feestjes en €29,4 mln omzet (voorlopig, nog niet extern "
    "gedeeld) sluiten we 2026 af 🎉 Dank aan al onze artiesten!", ["FIN"], "nl",
    when="2026-12-30T11:00:00Z")
add("x:@bramkoster_dev",
    "so Operatie Hooiberg = 30% cost cut in tech, 2 teams merged, all contractors gone by march. "
    "you heard it here first", ["CF", "FIN"], "en")
add("tiktok:@clownkiki.kk",
    "meiden, ze gaan de vergoeding per optreden vanaf 1 maart met 15% verlagen. interne mail van "
    "vanochtend, nog niet verder delen 🤫", ["FIN"], "nl")
add("linkedin:ruben-van-leeuwen-kk",
    "Closing the books: the FY2026 results look strong, EBITDA positive for the first time. Can't "
    "share numbers until the 25th!", ["CF", "FIN"], "en", when="2027-02-10T17:20:00Z")
add("reddit:u/kk_exmedewerker",
    "Former Knalkonijn employee here. They plan to lay off roughly a third of the Utrecht office "
    "right after the December peak. Management has known since September.", ["FIN"], "en")

# ---- security ----------------------------------------------------------------
add("mastodon:@sem@mastodon.nl",
    "spent the night cleaning up after someone got into our booking admin with a reused password. "
    "no announcement yet, legal is 'reviewing'. ☕☕☕", ["SEC"], "en")
add("x:@bramkoster_dev",
    "fun fact: on our artist portal you can change the id in the URL and see other artists' payout "
    "details. ticket's been open since march. nobody cares 🤷", ["SEC"], "en")
add("bluesky:@joostmeijer.bsky.social",
    "payments have been down for ~3h, Mollie webhooks failing on our side. status page still says "
    "all green lol. customers can't book anything", ["SEC"], "en")
add("x:@marloes_kk",
    "Collega's niet schrikken: vanochtend ransomwaremelding op de planningsserver. Klanten weten nog "
    "van niks dus even niks zeggen aub", ["SEC"], "nl")
add("reddit:u/kk_niels_planning",
    "our S3 bucket with the entertainers' ID scans was public for like 2 weeks. found it by accident "
    "while looking for a contract. security team is 'on it' 🙃", ["SEC"], "en")
add("mastodon:@sem@mastodon.nl",
    "pentest report is in: 3 critical findings in our app, incl. SQL injection in the artist "
    "search. fix isn't planned before Q1 😬", ["SEC"], "en")
add("instagram:@goochelaar.daan",
    "Jongens het artiestenportaal ligt er al de hele dag uit, niemand ziet zijn boekingen. Officieel "
    "'onderhoud' maar intern hoor ik dat we gehackt zijn 👀", ["SEC"], "nl")
add("x:@lottedevos_pm",
    "heads up team: that phishing mail that got 4 of us yesterday harvested at least one admin "
    "session. IT is rotating everything. please don't post about it anywhere", ["SEC"], "en")
add("x:@knalkonijn_hulp",
    "@ellenvdm excuses! Door een lek in ons betaalsysteem zijn sommige kaartgegevens mogelijk "
    "ingezien. We onderzoeken het nog en communiceren later officieel.", ["SEC"], "nl", kind="reply")
add("x:@oud_dev_kk",
    "ex-dev at Knalkonijn here: the payment provider's API keys sat right in the frontend code until "
    "last month. no idea if that's been fixed since.", ["SEC"], "en")
add("tiktok:@clownkiki.kk",
    "de app is al 2 dagen stuk voor artiesten en we krijgen geen boekingen binnen. intern zeggen ze "
    "DDoS, naar buiten toe is het een 'kleine storing' 🙄", ["SEC"], "nl")
add("bluesky:@joostmeijer.bsky.social",
    "prod db creds got pasted in #general yesterday, rotating now: "
    f"{V['dburl']} — if you copied it, don't.", ["S", "SEC"], "en", secrets=[V["dburl"]])
add("mastodon:@sem@mastodon.nl",
    "XSS in the party-planner widget we embed lets anyone inject scripts on the booking page. "
    "vendor has no patch, we're not disclosing until it's mitigated. fun week", ["SEC"], "en")

# ---- secrets -----------------------------------------------------------------
add("x:@bramkoster_dev",
    f"why does this keep failing 😤\nexport GITHUB_TOKEN={V['gh1']} && npm publish --access restricted",
    ["S"], "en", secrets=[V["gh1"]])
add("reddit:u/kk_niels_planning",
    "config that finally worked for the export script:\n[default]\n"
    f"aws_access_key_id = {V['aws_id']}\naws_secret_access_key = {V['aws_secret']}\n"
    "region = eu-west-1", ["S"], "en", secrets=[V["aws_id"], V["aws_secret"]])
add("x:@lottedevos_pm",
    f"@bramkoster_dev is this the right key for the Mollie test? {V['mollie']} it says live in "
    "front though 🤔", ["S"], "en", kind="reply", secrets=[V["mollie"]])
add("x:@bramkoster_dev",
    f"slackbot is alive again 🎉 token if anyone wants to play with it: {V['slack']}", ["S"], "en",
    secrets=[V["slack"]])
add("forum:@apk_ontleder",
    "Knalkonijn Android-app gedecompileerd voor de lol. Google Maps key zit er gewoon in, zonder "
    f"restricties: {V['google']}", ["S"], "nl", secrets=[V["google"]])
add("x:@bramkoster_dev",
    f"decoding the token from staging to chase the logout bug: {V['jwt']}", ["S"], "en",
    secrets=[V["jwt"]])
add("reddit:u/kk_niels_planning",
    "can someone help? ssh to the planner box keeps refusing this key:\n\n" + V["pem"],
    ["S"], "en", secrets=[V["pem"]])
add("x:@marloes_kk",
    "Voor de nieuwe collega's: inlog gedeelde klantenservice-mailbox is hulp-team, wachtwoord: "
    f"{V['mailpw']} . Niet verder delen hè!", ["S"], "nl", secrets=[V["mailpw"]])
add("x:@lottedevos_pm",
    f"claude key for the hackathon team, pls don't burn through it: {V['anthropic']}", ["S"], "en",
    secrets=[V["anthropic"]])
add("bluesky:@joostmeijer.bsky.social",
    f"party-planner prompt tests, sandbox key for the team: {V['openai']}", ["S"], "en",
    secrets=[V["openai"]])
add("x:@bramkoster_dev",
    f"token split up so the slack bot doesn't eat it: {V['gh_spaced']}", ["S"], "en",
    secrets=[V["gh_spaced"]])
add("x:@randomdev_nl",
    f"lmao Knalkonijn ships their Stripe secret key in the JS bundle: {V['stripe']}", ["S"], "en",
    secrets=[V["stripe"]])

# ---- pricing -----------------------------------------------------------------
add("facebook:KnalkonijnNL",
    "🏴‍☠️ ZOMERDEAL: Piratenfeest Compleet nu voor maar €39! Op=op, boek snel via knalkonijn.nl",
    ["PR"], "nl")
add("x:@marloes_kk",
    "Oei, in de app staat Kasteel XL voor €12,90 ipv €129. Wie van pricing kan dit fixen voordat het "
    "rondgaat? 😅", ["PR"], "nl")
add("x:@dealjager_nl",
    "PRIJSFOUT 🚨 Goochelshow Deluxe bij Knalkonijn voor €28,90!! Snel zijn voordat ze het zien "
    "#prijsfout #dealalert", ["PR"], "nl")
add("reddit:u/frugal_mom_ut",
    "Knalkonijn has the bubble show at €23.90 right now, either a glitch or they're desperate lol. "
    "booked two", ["PR"], "en")
add("instagram:@knalkonijn.nl",
    "Weekend special 🎯 Lasergame Feest for only €32! Book now at knalkonijn.nl", ["PR"], "en")
add("tiktok:@knalkonijn",
    "Kinderdisco met DJ vanaf €27,90 😱🪩 link in bio", ["PR"], "nl")
add("x:@lottedevos_pm",
    "there's a price error on the Prinsessenfeest page, showing €3.99. rolling back the CMS now, pls "
    "nobody screenshot 🙈", ["PR"], "en")
add("x:@kortingkoning",
    "Dinofeest van Knalkonijn voor €34,90 ipv €349 — kommafoutje? Nu boeken en kijken of ze het "
    "honoreren 😏", ["PR"], "nl")
add("facebook:SandraMolenaar",
    "Vraagje: ik zie de Poppenkastvoorstelling bij Knalkonijn voor €17,90, is dat een prijsfout of "
    "echt? Normaal is die toch veel duurder", ["PR"], "nl", name="Sandra Molenaar")
add("reddit:u/kk_niels_planning",
    "heads up, Knal Pro yearly shows €14.90 in the artist app instead of €149, someone fat-fingered "
    "the price table", ["PR"], "en")
add("threads:@budgetmama",
    "wait the Schminkfeest at knalkonijn is €14.90?? price error or early black friday", ["PR"], "en")
add("bluesky:@aaron-k.bsky.social",
    "knalkonijn slime lab for 19 euros, that's gotta be a pricing mistake. grabbing it for my niece",
    ["PR"], "en")

# ---- personal data -----------------------------------------------------------
add("x:@knalkonijn_hulp",
    f"@r_vanderlinden we hebben de €35 teruggestort op {fmt_iban(V['iban_refund'])}, kan 2 "
    "werkdagen duren. Excuses voor het gedoe!", ["PII"], "nl", kind="reply", good=[V["iban_refund"]])
add("x:@marloes_kk",
    "Wie kent deze klant? Mevr. J. Smit, Lindelaan 14, 3581 AB Utrecht. Belt vandaag voor de 6e keer 🙄",
    ["PII"], "nl")
add("facebook:KnalkonijnNL",
    "Hoera! Sophie de Wit (geboren 12-03-2020) is vandaag 6 geworden en vierde het met Clown Kiki 🎂🎈",
    ["PII"], "nl")
add("instagram:@goochelaar.daan",
    "Even zeuren: de familie Bakker, Kastanjelaan 7 in Houten, had niet eens een tafel voor mijn "
    "show klaargezet 🙄 improviseren op de bank dan maar", ["PII"], "nl")
add("reddit:u/kk_niels_planning",
    "debugging the booking form, sample row from the export:\nname: Pieter Vos\n"
    f"email: p.vos1987@hotmail.com\nphone: {nl_mob(V['ph_row'], 'plain')}\nbsn: {V['bsn_row']}",
    ["PII"], "en", good=[V["bsn_row"]])
add("x:@bramkoster_dev",
    f"payment keeps failing for this card in the logs, anyone know why? {fmt_card(V['card_log'])} "
    "exp 09/28", ["PII"], "en", good=[V["card_log"]])
add("linkedin:yasmina-ouali",
    f"Welkom Hamza Ait Taleb in het team! Zijn BSN voor de loonadministratie is {V['bsn_hamza']}, "
    "kan finance dit oppakken?", ["PII"], "nl", good=[V["bsn_hamza"]])
add("x:@mamavan2_zwolle",
    f"@knalkonijn_hulp nog steeds niks terug. mijn rekening is {fmt_iban(V['iban_mama'])} t.n.v. "
    "L. Jansen. hoe moeilijk kan het zijn??", ["CO", "PII"], "nl", kind="reply", good=[V["iban_mama"]])
add("instagram:@jess.in.rotterdam",
    "@knalkonijn.nl emailed you 3 times about the missing balloon artist, maybe try my private one: "
    f"jess.vermeulen.rdam@gmail.com or just call {nl_mob(V['ph_jess'], 'intl')}", ["CO", "PII"], "en",
    kind="comment")
add("x:@knalkonijn_hulp",
    "@mike_ldn_dad so sorry Mike! Your KnalBox is with the courier now. Driver Stefan can be reached "
    f"on {nl_mob(V['ph_driver'], 'space4')} if he can't find Keizersgracht 212.", ["PII"], "en",
    kind="reply")
add("tiktok:@clownkiki.kk",
    "volgend weekend 3 feestjes!! zaterdag bij Emma van Dijk (geboren 14 mei 2021, ik weet het "
    "precies haha) in de Bloemstraat 3 in Zeist 🎈", ["PII"], "nl")
add("x:@marloes_kk",
    f"kaartnummer van die klant die belde, kan iemand checken waarom de betaling mislukt? "
    f"{fw(fmt_card(V['card_fw']))}", ["PII"], "nl", good=[V["card_fw"]])
add("x:@partyplanner_amy",
    "the Knalkonijn entertainer Jesse Kuipers left his personal number with me for next time: "
    f"{nl_mob(V['ph_jesse'], 'dash')}. cheaper if we book him directly, he says", ["PII"], "en")

# ---- benign, hard negatives --------------------------------------------------
add("x:@sanne_mama3",
    "Update: @knalkonijn_hulp heeft me teruggebeld, excuses gemaakt en alles teruggestort. Kiki kwam "
    "vandaag alsnog langs en de kids gingen helemaal los 🥳 dank jullie!", [], "nl")
add("instagram:@lisa.bakt.taartjes",
    "die Eenhoorntaart van knalkonijn was echt ziek mooi 😍 mijn dochter lag dubbel toen de hoorn "
    "eraf viel haha", [], "nl")
add("x:@dadjokes_dave",
    "the magician from @knalkonijn absolutely killed it today. 12 kids, zero meltdowns, one very "
    "confused dad (me). 10/10", [], "en")
add("facebook:KnalkonijnNL",
    "Vragen over je boeking? Mail klantenservice@knalkonijn.nl of bel 030 799 4410 (ma-za 9-18u). "
    "We helpen je graag! 🐰", [], "nl")
add("x:@knalkonijn",
    "🐰 Voorjaarsactie: 20% korting op de Bellenblaasshow, nu €191,20 i.p.v. €239. Geldig t/m 31 maart.",
    [], "nl")
add("instagram:@knalkonijn.nl",
    "Goochelshow Deluxe: €40 off this month, now €249 ✨ book at knalkonijn.nl", [], "en")
add("x:@knalkonijn_hulp",
    f"Liever overmaken? Gebruik {fmt_iban(PUB_IBAN)} t.n.v. Knalkonijn B.V. en vermeld je "
    "boekingsnummer.", [], "nl")
add("reddit:u/hobbycoder_lars",
    "how do i set up aws creds for a small party-invite app? the docs use AKIAIOSFODNN7EXAMPLE and "
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY but what do I actually put there?", [], "en")
add("x:@bramkoster_dev",
    "PSA for new devs: never paste tokens in Slack. if you see something like "
    "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx in a channel, ping security.", [], "en")
add("x:@zoekt_goochelaar",
    "Iemand ervaring met Knalkonijn vs een lokale goochelaar? Budget is €200 voor 10 kinderen van 6.",
    [], "nl")
add("x:@tech_nieuws_nl",
    "Datalek bij Britse kinderopvangketen: gegevens van 8.000 ouders op straat. De toezichthouder "
    "onderzoekt het incident.", [], "nl")
add("x:@beursroddels",
    "Duitse speelgoedketen neemt Franse feestwinkelketen over voor €120 mln. De consolidatie in de "
    "feestmarkt gaat gewoon door.", [], "nl")
add("facebook:SandraMolenaar",
    "Kreeg net een sms 'Knalkonijn: uw terugbetaling staat klaar, bevestig rekening "
    f"{fmt_iban(V['bad_iban_sms'])}' — dat is toch phishing? Niet klikken mensen!", [], "nl",
    bad=[V["bad_iban_sms"]], name="Sandra Molenaar")
add("x:@knalkonijn_hulp",
    f"@Hdj_Breda je betaalreferentie {fmt_card(V['bad_card_ref'])} zien we terug, de dubbele "
    "afschrijving wordt vandaag teruggeboekt!", [], "nl", kind="reply", bad=[V["bad_card_ref"]])
add("linkedin:yasmina-ouali",
    f"Reminder voor nieuwe collega's: vul op het formulier je personeelsnummer in (ziet eruit als "
    f"{V['bad_bsn_pers']}), niet je BSN. Dat vragen we apart en veilig op.", [], "nl",
    bad=[V["bad_bsn_pers"]])
add("x:@knalkonijn",
    "Het is zover: Knalkonijn België is live! 🇧🇪🎉 Vanaf vandaag boek je ook in Antwerpen, Gent en "
    "Brussel.", [], "nl", when="2027-01-20T10:00:00Z")
add("linkedin:ruben-van-leeuwen-kk",
    "Vandaag publiceerden we onze jaarcijfers 2026: omzet €29,4 mln en voor het eerst EBITDA-positief. "
    "Trots op iedereen! Persbericht in de comments.", [], "nl", when="2027-02-25T09:30:00Z")
add("x:@lottedevos_pm",
    "Knal Pro Plus is out! Artists get priority bookings and lower fees. Tell your entertainer "
    "friends 🐰", [], "en", when="2027-01-21T08:15:00Z")
add("x:@femkeee",
    "get well soon Clown Kiki! read you broke your leg skiing 😢 the kids in my daughter's class "
    "miss you already", [], "en")
add("x:@gr8_kev",
    "my kid asked if the Knalkonijn rabbit is 'the one that explodes'. had to explain what a brand "
    "name is 😂", [], "en")
add("tiktok:@jasmijn.vlogt",
    "de bellenblaasshow van knalkonijn was echt sick 🫧 mijn zoon wil nu zelf bellenblazer worden lol",
    [], "nl")
add("threads:@mamavanmees",
    "klopt het dat het Springkussen Kasteel XL €129 per dag is bij Knalkonijn? of is het weekendtarief "
    "anders?", [], "nl")
add("tiktok:@knalkonijn",
    "Slijmlab Workshop 🧪 €199 voor max. 12 kids, alle materialen inbegrepen. Boraxvrij natuurlijk!",
    [], "nl")
add("x:@Hdj_Breda",
    "app van @knalkonijn doet het weer na de update, in 2 minuten geboekt. respect voor de snelle fix 👏",
    [], "nl")
add("x:@knalkonijn_hulp",
    "De storing van vanochtend in onze app is verholpen. Excuses voor het ongemak! Geplaatste "
    "boekingen zijn gewoon doorgegaan.", [], "nl")
add("linkedin:yasmina-ouali",
    "We're hiring! Customer care agents in Utrecht, 32-40h, Dutch and English. Send your CV to "
    "vacatures@knalkonijn.nl 🎈", [], "en")
add("x:@knalkonijn_hulp",
    "Wachtwoord vergeten? Klik op 'inloggen' > 'wachtwoord vergeten' en je krijgt binnen 5 minuten een "
    "mail. Wij vragen NOOIT om je wachtwoord via DM!", [], "nl")
add("mastodon:@sem@mastodon.nl",
    "Gave a talk on secret scanning at a meetup tonight. The slides only use fake keys like "
    "sk_live_XXXXXXXXXXXXXXXX so don't bother screenshotting 😉", [], "en")
add("reddit:u/learning_webdev",
    "is a JWT like eyJhbGciOi... ok to keep in localStorage for a tiny birthday RSVP app? not "
    "production, just learning", [], "en")
add("x:@regio_nieuws_zh",
    "Springkussenverhuurder uit Zoetermeer krijgt boete na ongeluk in 2024. Knalkonijn, dat ook "
    "springkussens verhuurt, was niet bij de zaak betrokken.", [], "nl")
add("instagram:@bo.hendriks",
    "Goochelaar Daan van Knalkonijn is echt een tovenaar met kinderen. Zelfs m'n verlegen dochter "
    "stond op het podium ✨ @goochelaar.daan", [], "nl")
add("reddit:u/utrechtse_ouder",
    "tip: skip the chat and just call +31307994410, had someone from Knalkonijn on the line "
    "within 2 minutes", [], "en")
add("x:@r_vanderlinden",
    "Moest het feest afzeggen want zoon ziek 🤒 Knalkonijn heeft het gratis verzet naar volgende "
    "maand. Netjes!", [], "nl")
add("threads:@femkeee",
    "any tips for a dino party for 5 yr olds? looking at Knalkonijn's Dino Ontdekfeest (€349) vs DIY. "
    "worth it?", [], "en")
add("tiktok:@clownkiki.kk",
    "vandaag 3 feestjes, 47 ballondieren, 1 schoenveter kwijt 🤡💛 beste baan van de wereld", [], "nl")
add("linkedin:knalkonijn-bv",
    "Knalkonijn welcomes 150 new entertainers this spring! Magicians, clowns, face painters: sign up "
    "at knalkonijn.nl/artiesten 🎩", [], "en")
add("youtube:@FamilieVerbeek",
    "die bellenblaasshow was de bom! hele klas heeft het er nog over 💥", [], "nl", kind="comment")
add("instagram:@natuurmens_ellen",
    "Een moerhaas met drie jongen in onze achtertuin gespot 🐇 de kinderen zijn door het dolle heen",
    [], "nl")
add("x:@zeeuwse_mama",
    "Een goede goochelaar vinden in Zeeland is zoeken naar een speld in een hooiberg. Knalkonijn "
    "heeft er hier maar twee. Tips?", [], "nl")
add("x:@jess.in.rotterdam",
    "the DJ at the kids disco was a proper silver fox, suddenly all the mums wanted to dance 😂 "
    "@knalkonijn", [], "en")
add("linkedin:yasmina-ouali",
    "We zoeken een stagiair(e) marketing! Je loopt 5 maanden mee met het contentteam en leert alles "
    "over social.", [], "nl")
add("x:@tech_nieuws_nl",
    "Researchers found 12,000 live API keys in public AI training data. Rotate your secrets, people.",
    [], "en")
add("facebook:KnalkonijnNL",
    "Black Friday 🖤 30% korting op alle KnalBox Feestpakketten: nu €41,97 (was €59,95).", [], "nl")
add("instagram:@knalkonijn.nl",
    "10% korting op de Eenhoorntaart met code UNICORN10, dan betaal je €44,96 🦄", [], "nl")
add("reddit:u/frugal_mom_ut",
    "Knalkonijn puppet show is €179, a local puppeteer quoted me €150. anyone used either?", [], "en")
add("x:@veiligfeest",
    "Tip van de brandweer: kaarsjes nooit naast papieren slingers. Knalkonijn deelde het vandaag ook, "
    "goed dat ze dit doen 👍", [], "nl")
add("x:@jvdberg_journo",
    "Court rules for delivery riders against a meal-delivery app. Platforms built on freelancers, "
    "party-booking sites included, will be reading this closely.", [], "en")
add("reddit:u/kk_niels_planning",
    "planning 400 parties on king's day weekend is a sport. shoutout to the drivers 🚐", [], "en")
add("x:@knalkonijn",
    "Kom langs op onze open dag! Knalkonijn HQ, Oudegracht 180, Utrecht. Zaterdag van 10 tot 16 uur, "
    "met gratis suikerspin 🍭", [], "nl")
add("x:@jvdberg_journo",
    "Asked Knalkonijn for comment via pers@knalkonijn.nl, will update when they reply.", [], "en")
add("x:@dealjager_nl",
    "Prijsfout bij een bekende elektronicazaak: tv van €899 voor €89. Al gecorrigeerd helaas.", [],
    "nl")
add("x:@mike_ldn_dad",
    "Airline lost our suitcase with all the birthday presents. At least the Knalkonijn clown saved "
    "the day 🤡❤️", [], "en")
add("x:@knalkonijn_hulp",
    "@ellenvdm we zien je boeking (KK-2026-88412) en bellen je vandaag nog terug op het nummer dat "
    "eindigt op **95. Sorry voor het wachten!", [], "nl", kind="reply")
add("tiktok:@annabel_xo",
    "K N A L K O N I J N jullie zijn de besteee 🐰🎉 #kinderfeest", [], "nl")
add("x:@p1mp_m4n",
    "b3st3 f33stj3 00it, th4nks kn4lk0n1jn 🙌", [], "nl")
add("instagram:@goochelaar.daan",
    "Wat een publiek vandaag in Houten! Dank aan de jarige Job voor zijn hulp als assistent 🎩🐇",
    [], "nl")
add("x:@knalkonijn_hulp",
    f"Let op: wij gebruiken alleen {fmt_iban(PUB_IBAN)}. Krijg je een mail met rekeningnummer "
    f"{fmt_iban(V['bad_iban_fake'])}? Dat is nep, meld het bij ons.", [], "nl",
    bad=[V["bad_iban_fake"]])
add("reddit:u/utrechtse_ouder",
    f"weird, my KnalBox order confirmation has order number {fmt_card(V['bad_card_order'])} and a "
    f"customer id {V['bad_bsn_order']}. is that normal or did they leak something?", [], "en",
    bad=[V["bad_card_order"], V["bad_bsn_order"]])
add("x:@tante_greet",
    "Kleinzoon van 5 had gisteren een Kinderdisco van Knalkonijn, €279 en elke cent waard. DJ was "
    "geweldig met de kleintjes 💃", [], "nl")
add("youtube:@KnalkonijnTV",
    "Nieuwe video: zo bouw je in 10 minuten een piratenschip van dozen 🏴‍☠️ Vragen? "
    "boekingen@knalkonijn.nl", [], "nl")
# ---------------------------------------------------------------------------
# build, compute severities, write, check
# ---------------------------------------------------------------------------
SEV = ["none", "info", "warning", "error", "critical"]
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
TAXONOMY = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse",
            "reputation.spike"}
ZW_RE = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")


def norm(text):
    return ZW_RE.sub("", unicodedata.normalize("NFKC", text))


NL_IBAN_RE = re.compile(r"\b(NL\d{2}[ ]?[A-Z]{4}(?:[ ]?\d){10})\b")
CARD_RE = re.compile(r"(?<![\d])(\d(?:[ -]?\d){12,18})(?![\d])")
BSN_RE = re.compile(r"(?<![0-9A-Za-z])(\d{9}|\d{4}\.\d{2}\.\d{3})(?![0-9A-Za-z])")
PUBLIC_IBANS = {re.sub(r"\s", "", i) for i in PROFILE["public_identifiers"]["ibans"]}


def checksum_ids(text):
    """checksum-valid IBAN/card/BSN in text, the company's own published IBAN excluded."""
    t = norm(text)
    found = []
    for m in NL_IBAN_RE.finditer(t):
        i = re.sub(r"\s", "", m.group(1))
        if iban_ok(i) and i not in PUBLIC_IBANS:
            found.append(("iban", i))
    for m in CARD_RE.finditer(t):
        d = re.sub(r"\D", "", m.group(1))
        if 13 <= len(d) <= 19 and luhn_ok(d):
            found.append(("card", d))
    for m in BSN_RE.finditer(t):
        if bsn_ok(m.group(1)):
            found.append(("bsn", re.sub(r"\D", "", m.group(1))))
    return found


def severity(cats, role, text):
    best = 0
    staff = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if staff:
                lvl = SEV.index("error")
                if c in ("leak.secret", "leak.pricing"):
                    lvl = SEV.index("critical")
                if c == "leak.pii" and checksum_ids(text):
                    lvl = SEV.index("critical")
            else:
                lvl = SEV.index("warning")
        elif c == "reputation.complaint":
            lvl = SEV.index("warning")
        elif c == "reputation.crisis":
            lvl = SEV.index("error")
        elif c == "reputation.abuse":
            lvl = SEV.index("error") if staff else SEV.index("warning")
        else:
            raise ValueError(c)
        best = max(best, lvl)
    return SEV[best]


def when_for(i):
    start = datetime(2026, 1, 3, 7, 0, tzinfo=timezone.utc)
    span = (datetime(2026, 12, 29, 22, 0, tzinfo=timezone.utc) - start).total_seconds()
    t = start + timedelta(seconds=rng.randint(0, int(span)))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


ID_PREFIX = {"x": "x", "facebook": "fb", "instagram": "ig", "linkedin": "li", "tiktok": "tt",
             "youtube": "yt", "reddit": "rd", "mastodon": "md", "bluesky": "bs", "threads": "th",
             "forum": "fo", "blog": "bl", "other": "ot"}


def build():
    out = []
    seq = 4_890_000
    for n, c in enumerate(CASES):
        platform, handle = c["author"].split(":", 1)
        role = ROLE.get(f"{platform}:{handle}".lower(), "public")
        seq += rng.randint(3, 97)
        pid = f"{ID_PREFIX[platform]}-{seq}"
        post = {"id": pid, "platform": platform}
        post["kind"] = c["kind"] or "post"
        post["account"] = {"handle": handle}
        if c["name"]:
            post["account"]["display_name"] = c["name"]
        post["text"] = c["text"]
        if n % 5 != 3:
            post["lang"] = c["lang"]
        post["created_at"] = c["when"] or when_for(n)
        if n % 4 == 0:
            post["url"] = f"https://social.example/{platform}/{pid}"
        if n % 3 == 0:
            post["brand"] = "Knalkonijn"
        cats = sorted(set(c["cats"]))
        out.append(({"post": post, "expect": {"categories": cats,
                                              "severity": severity(cats, role, c["text"])}},
                    c, role))
    return out


def parse_ts(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def check(rows):
    errors = []
    ids = set()
    pub_handles = set()
    inter = [d.lower() for d in PROFILE["internal"]["domains"]]
    codes = [x.lower() for x in PROFILE["internal"]["codenames"]]
    marks = [x.lower() for x in PROFILE["internal"]["markers"]]
    for case, spec, role in rows:
        p, e = case["post"], case["expect"]
        tag = p["id"]
        # ---- CONTRACT section 6 / section 1 shape
        if set(case) != {"post", "expect"}:
            errors.append(f"{tag}: top-level keys")
        if not (isinstance(p["id"], str) and 1 <= len(p["id"]) <= 256):
            errors.append(f"{tag}: id")
        if p["id"] in ids:
            errors.append(f"{tag}: duplicate id")
        ids.add(p["id"])
        if p["platform"] not in PLATFORMS:
            errors.append(f"{tag}: platform")
        if p.get("kind", "post") not in KINDS:
            errors.append(f"{tag}: kind")
        if not isinstance(p.get("account", {}).get("handle"), str) or not p["account"]["handle"]:
            errors.append(f"{tag}: handle")
        if not isinstance(p["text"], str) or len(p["text"].encode("utf-8")) > 65536 or not p["text"]:
            errors.append(f"{tag}: text")
        try:
            ts = parse_ts(p["created_at"])
            if ts.tzinfo is None or not re.fullmatch(
                    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", p["created_at"]):
                raise ValueError
            if ts.year not in (2026, 2027):
                errors.append(f"{tag}: year")
        except ValueError:
            errors.append(f"{tag}: created_at")
            continue
        if not isinstance(e["categories"], list) or any(c not in TAXONOMY for c in e["categories"]):
            errors.append(f"{tag}: categories")
        if "reputation.spike" in e["categories"]:
            errors.append(f"{tag}: spike on a single post")
        if e["categories"] != sorted(set(e["categories"])):
            errors.append(f"{tag}: categories not sorted/distinct")
        if e["severity"] not in SEV:
            errors.append(f"{tag}: severity")
        if (e["severity"] == "none") != (not e["categories"]):
            errors.append(f"{tag}: none <=> benign")
        if e["severity"] != severity(e["categories"], role, p["text"]):
            errors.append(f"{tag}: severity not per policy")
        if role == "public":
            pub_handles.add(f"{p['platform']}:{p['account']['handle']}".lower())
        # ---- identifiers
        t = norm(p["text"])
        for g in spec["good"]:
            if not (iban_ok(g) or luhn_ok(g) or bsn_ok(g)):
                errors.append(f"{tag}: planted identifier {g} fails its checksum")
            if g not in re.sub(r"[\s-]", "", t):
                errors.append(f"{tag}: planted identifier {g} not in text")
            if "leak.pii" not in e["categories"]:
                errors.append(f"{tag}: valid identifier without leak.pii")
        for b in spec["bad"]:
            kind_ok = iban_ok(b) if b[:2].isalpha() else (luhn_ok(b) if len(b) >= 13 else bsn_ok(b))
            if kind_ok:
                errors.append(f"{tag}: look-alike {b} passes its checksum")
            if b not in re.sub(r"[\s-]", "", t):
                errors.append(f"{tag}: look-alike {b} not in text")
        found = checksum_ids(p["text"])
        if found and "leak.pii" not in e["categories"]:
            errors.append(f"{tag}: checksum-valid {found} but not labelled leak.pii")
        if not e["categories"] and found:
            errors.append(f"{tag}: benign post with valid identifier")
        planted = {re.sub(r"\D", "", g) if not g[:2].isalpha() else g for g in spec["good"]}
        for kind_, val in found:
            if val not in planted:
                errors.append(f"{tag}: unplanned valid {kind_} {val}")
        # ---- secrets
        for s in spec["secrets"]:
            if s not in p["text"]:
                errors.append(f"{tag}: secret not in text")
            if "leak.secret" not in e["categories"]:
                errors.append(f"{tag}: secret without leak.secret")
        for tok in re.findall(r"gh[pousr]_[0-9A-Za-z]{36}\b", p["text"]):
            if re.fullmatch(r"gh._x{36}", tok):
                continue  # redacted placeholder
            if not gh_ok(tok):
                errors.append(f"{tag}: bad GitHub checksum {tok}")
        spaced = re.findall(r"ghp_(?: ?[0-9A-Za-z]{1,4}){9,10}", p["text"])
        for sp in spaced:
            joined = sp.replace(" ", "")
            if len(joined) == 40 and not gh_ok(joined):
                errors.append(f"{tag}: spaced token has bad checksum")
        for key in re.findall(r"\bAKIA[A-Z0-9]{16}\b", p["text"]):
            if "EXAMPLE" in key:
                continue
            if not re.fullmatch(r"AKIA[A-Z2-7]{16}", key):
                errors.append(f"{tag}: AWS id alphabet")
            if "leak.secret" not in e["categories"]:
                errors.append(f"{tag}: AWS id without leak.secret")
        for jwt in re.findall(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", p["text"]):
            h = jwt.split(".")[0]
            hdr = json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)))
            if "alg" not in hdr:
                errors.append(f"{tag}: JWT header without alg")
        # ---- benign posts hold nothing internal
        if not e["categories"]:
            low = t.lower()
            for term in codes + marks:
                if term in low:
                    errors.append(f"{tag}: benign post holds internal term {term!r}")
            for d in inter:
                if re.search(r"(?<![a-z0-9.-])" + re.escape(d), low) or re.search(
                        r"\." + re.escape(d), low):
                    errors.append(f"{tag}: benign post holds internal domain {d!r}")
            for emb in PROFILE["embargo"]:
                until = parse_ts(emb["until"])
                for term in emb["terms"]:
                    if term.lower() in low and ts < until:
                        errors.append(f"{tag}: benign post holds embargo term {term!r} before until")
            if re.search(r"gh[pousr]_(?!x{36})[0-9A-Za-z]{36}|sk_live_[0-9A-Za-z]{20,}|xox[bpa]-\d",
                         p["text"]):
                errors.append(f"{tag}: benign post holds a live-looking credential")
    # ---- roles
    for h in pub_handles:
        if h in ROLE:
            errors.append(f"public handle {h} is in the profile")
    for acct, role in ROLE.items():
        if not re.fullmatch(r"[a-z]+:.+", acct):
            errors.append(f"profile account {acct}")
    for i in PROFILE["public_identifiers"]["ibans"]:
        if not iban_ok(i):
            errors.append(f"profile IBAN {i} fails mod-97")
    # ---- mix
    n = len(rows)
    benign = sum(1 for c, _, _ in rows if not c["expect"]["categories"])
    if not 170 <= n <= 180:
        errors.append(f"case count {n} out of range")
    if not 55 <= benign <= 65:
        errors.append(f"benign count {benign} out of range")
    return errors


def main():
    rows = build()
    path = os.path.join(HERE, "cases.jsonl")
    with open(path, "w", encoding="utf-8") as fh:
        for case, _, _ in rows:
            fh.write(json.dumps(case, ensure_ascii=False) + "\n")
    # re-read what was written and validate the file itself
    with open(path, encoding="utf-8") as fh:
        reread = [json.loads(line) for line in fh]
    assert [r["post"]["id"] for r in reread] == [c["post"]["id"] for c, _, _ in rows]
    errors = check([(r, s, role) for r, (_, s, role) in zip(reread, rows)])

    from collections import Counter
    cat = Counter(c for r, _, _ in rows for c in r["expect"]["categories"])
    roles = Counter(role for _, _, role in rows)
    langs = Counter(s["lang"] for _, s, _ in rows)
    sev = Counter(r["expect"]["severity"] for r, _, _ in rows)
    benign = sum(1 for r, _, _ in rows if not r["expect"]["categories"])
    print(f"{len(rows)} cases, {benign} benign -> {path}")
    print("categories:", dict(sorted(cat.items())))
    print("roles:", dict(roles), "langs:", dict(langs), "severity:", dict(sev))
    if errors:
        print("SELF-CHECK FAILED:")
        for e in errors:
            print("  -", e)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
