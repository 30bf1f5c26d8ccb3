#!/usr/bin/env python3
"""Build the sealed218 evaluation set for postwatch (Gronvak Parkeren B.V.).

Deterministic: fixed seed, standard library + PyYAML.  Writes cases.jsonl next to
this file and then checks it:
  * every line is a valid CONTRACT section 6 case (post fields, types, categories);
  * every IBAN / payment card / BSN found in a positive passes its checksum and the
    post is labelled leak.pii; every look-alike in a benign post fails its checksum
    (the company's own published IBAN excepted);
  * generated secrets are built the way the real ones are (GitHub CRC-32, AWS id
    alphabet, JWT header with alg);
  * severities are computed from CONTRACT section 4 and the account role in
    profile.yaml, never typed by hand.
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

rng = random.Random(218_2026)

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base62 order
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
CATS = {
    "leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
    "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse",
}
SEV = ["none", "info", "warning", "error", "critical"]

# --------------------------------------------------------------------------
# identifier helpers
# --------------------------------------------------------------------------

def iban_valid(s):
    s = re.sub(r"[\s.\-]", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(bank, acct, cc="NL"):
    n = int("".join(str(int(c, 36)) for c in bank + acct + cc + "00"))
    return "%s%02d%s%s" % (cc, 98 - n % 97, bank, acct)


def rand_iban(bank):
    return make_iban(bank, "".join(rng.choice(string.digits) for _ in range(10)))


def spaced(s, n=4):
    return " ".join(s[i:i + n] for i in range(0, len(s), n))


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


def make_card(prefix, length):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for c in string.digits:
        if luhn_ok(body + c):
            return body + c
    raise AssertionError


def bsn_ok(s):
    d = re.sub(r"\D", "", s)
    if len(d) != 9:
        return False
    tot = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return tot % 11 == 0 and d != "000000000"


def make_bsn():
    while True:
        d = [rng.randint(1, 6)] + [rng.randint(0, 9) for _ in range(7)]
        c = sum(d[i] * (9 - i) for i in range(8)) % 11
        if c < 10:
            s = "".join(map(str, d)) + str(c)
            assert bsn_ok(s)
            return s


def break_last(s, ok):
    """Alter the final digit so that the checksum fails (a realistic typo)."""
    head, last = s[:-1], int(s[-1])
    for k in range(1, 10):
        cand = head + str((last + k) % 10)
        if not ok(cand):
            return cand
    raise AssertionError

# --------------------------------------------------------------------------
# secret helpers, built the way the real ones are
# --------------------------------------------------------------------------

def rstr(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def github_token(prefix="ghp_"):
    body = rstr(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()), 6)


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()), 6) == m.group(2)


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt():
    head = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64u(json.dumps({"sub": "svc-dashboard", "org": "gronvak", "role": "ops-admin",
                            "iat": 1767612000, "exp": 1799148000},
                           separators=(",", ":")).encode())
    sig = b64u(bytes(rng.getrandbits(8) for _ in range(32)))
    return "%s.%s.%s" % (head, body, sig)


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    pad = parts[0] + "=" * (-len(parts[0]) % 4)
    return "alg" in json.loads(base64.urlsafe_b64decode(pad))


def make_rsa_pem():
    der = bytes([0x30, 0x82, 0x04, 0xA4, 0x02, 0x01, 0x00, 0x02, 0x82, 0x01, 0x01, 0x00])
    der += bytes(rng.getrandbits(8) for _ in range(1180))
    b = base64.b64encode(der).decode()
    lines = [b[i:i + 64] for i in range(0, len(b), 64)]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"


URLSAFE = string.ascii_letters + string.digits + "_-"
V = {}
V["GHP"] = github_token("ghp_")
V["AKIA"] = "AKIA" + rstr(string.ascii_uppercase + "234567", 16)
V["AWSSEC"] = rstr(string.ascii_letters + string.digits + "/+", 40)
V["SLACK"] = "xoxb-%s-%s-%s" % (rstr(string.digits, 12), rstr(string.digits, 13), rstr(string.ascii_letters + string.digits, 24))
V["OPENAI"] = "sk-proj-" + rstr(URLSAFE, 74) + "T3BlbkFJ" + rstr(URLSAFE, 74)
V["ANTH"] = "sk-ant-api03-" + rstr(URLSAFE, 93) + "AA"
V["PEM"] = make_rsa_pem()
V["JWT"] = make_jwt()
V["DBPW"] = rstr(string.ascii_letters + string.digits, 20)
V["AIZA"] = "AIza" + rstr(URLSAFE, 35)
V["GLPAT"] = "glpat-" + rstr(URLSAFE, 20)
V["MOLLIE"] = "live_" + rstr(string.ascii_letters + string.digits, 30)
V["GHO"] = github_token("gho_")

# identifiers --------------------------------------------------------------
PUB_IBAN = PROFILE["public_identifiers"]["ibans"][0]
V["PUB_IBAN"] = spaced(PUB_IBAN)
V["PUB_IBAN_C"] = PUB_IBAN
V["IBAN_REFUND"] = spaced(rand_iban("INGB"))
V["IBAN_OWN"] = rand_iban("ABNA")
V["IBAN_LOG"] = rand_iban("SNSB")
_iban_zw = rand_iban("TRIO")
V["IBAN_ZW"] = "\u200b".join(spaced(_iban_zw).split(" "))
V["IBAN_SALARY"] = spaced(rand_iban("BUNQ"))
V["IBAN_BAD"] = spaced(break_last(rand_iban("INGB"), iban_valid))
V["IBAN_BAD2"] = spaced(break_last(rand_iban("RABO"), iban_valid))
V["CARD_OWN"] = spaced(make_card("4532", 16))
V["CARD_CALL"] = spaced(make_card("5412", 16))
V["CARD_AMEX"] = (lambda c: c[:4] + " " + c[4:10] + " " + c[10:])(make_card("37", 15))
V["CARD_BAD"] = "4111 1111 1111 1112"
V["CARD_BAD2"] = spaced(break_last(make_card("5500", 16), luhn_ok))
V["BSN_HR"] = make_bsn()
V["BSN_BUURT"] = (lambda b: b[:4] + "." + b[4:6] + "." + b[6:])(make_bsn())
V["BSN_BAD"] = break_last(make_bsn(), bsn_ok)
V["BSN_BAD2"] = break_last(make_bsn(), bsn_ok)

# --------------------------------------------------------------------------
# accounts
# --------------------------------------------------------------------------
ROLE = {}
for role in ("corporate", "employee"):
    for a in PROFILE["accounts"][role]:
        ROLE[a.lower()] = role

DISPLAY = {
    "@gronvak": "Gronvak", "@gronvak_help": "Gronvak Klantenservice",
    "@gronvak.parkeren": "Gronvak Parkeren", "gronvak-parkeren": "Gronvak Parkeren B.V.",
    "GronvakParkeren": "Gronvak Parkeren",
    "@lottevanrijn": "Lotte van Rijn", "@bram_ops_gv": "Bram | ops", "@nadia_gv_data": "Nadia B.",
    "yusuf-ozturk-gronvak": "Yusuf Öztürk", "marieke-hoogland-pm": "Marieke Hoogland",
    "@jorisdev@mastodon.social": "Joris", "@kees.garagebeheer": "Kees 🅿️",
    "@ilse.parkeert": "Ilse", "@rubenkoster.bsky.social": "Ruben Koster", "u/gv_nightshift": "gv_nightshift",
}


def role_of(platform, handle):
    return ROLE.get(("%s:%s" % (platform, handle)).lower(), "public")

# --------------------------------------------------------------------------
# severity per CONTRACT section 4
# --------------------------------------------------------------------------

def severity(cats, role, checksum_id):
    lvl = 0
    inside = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if inside:
                s = 3
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and checksum_id):
                    s = 4
            else:
                s = 2
        elif c == "reputation.complaint":
            s = 2
        elif c == "reputation.crisis":
            s = 3
        elif c == "reputation.abuse":
            s = 3 if inside else 2
        else:
            raise ValueError(c)
        lvl = max(lvl, s)
    return SEV[lvl]

# --------------------------------------------------------------------------
# case collection
# --------------------------------------------------------------------------
CASES = []
START = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)


def sub(text):
    return re.sub(r"<<([A-Z0-9_]+)>>", lambda m: V[m.group(1)], text)


def P(platform, handle, lang, text, cats=(), kind="post", at=None, name=None, secrets=()):
    CASES.append(dict(platform=platform, handle=handle, lang=lang, text=sub(text),
                      cats=sorted(set(cats)), kind=kind, at=at, name=name,
                      secrets=[sub(s) for s in secrets]))


CO, CR, PI, CF, FI, SE, SC, PR, AB = (
    "reputation.complaint", "reputation.crisis", "leak.pii", "leak.confidential",
    "leak.financial", "leak.security", "leak.secret", "leak.pricing", "reputation.abuse")

# ===================== reputation.complaint ==============================
P("x", "@sjoerdrijdt", "nl",
  "@gronvak_help sta nu al 25 min voor de slagboom in Havenkwartier. kenteken wordt niet herkend, intercom gaat over en over en niemand neemt op. rij achter me staat te toeteren 🙄",
  [CO], kind="reply")
P("x", "@lisa_on_wheels", "en",
  "@gronvak_help your app charged me twice for the same session yesterday (€14.40 x2). ticket open since monday, zero answer. not cool",
  [CO], kind="reply")
P("facebook", "Marcel.Verhoef.77", "nl",
  "Parkeersessie om 17:02 gestopt, app blijft 'actief' zeggen tot 23:59 en ik betaal dus gewoon de hele avond door. Derde keer deze maand Gronvak. Geld terug graag.",
  [CO], kind="comment", name="Marcel Verhoef")
P("reddit", "u/rotterdammer_99", "en",
  "PSA: the lift in the Gronvak garage at Stadswerf has been out of order for about 2 weeks. Had to get my mum and her wheelchair down 4 floors of stairs. Emailed them, got an auto-reply. Great service /s",
  [CO])
P("x", "@mo_010", "nl",
  "gronvak app crasht elke keer als ik op 'stop parkeren' druk. iphone 15, laatste update. nu maar hopen dat de meter niet doortikt 🤡",
  [CO])
P("other", "GoogleReview:Tom H.", "en",
  "Bought the Nachtpas but the night gate at Centraal is shut at 1am anyway?? Stood outside with my keys at 2am. Nobody tells you that when you buy it. 2 stars because the staff in the day are nice.",
  [CO], name="Tom H.")
P("instagram", "@fleur.vdm", "nl",
  "Jullie laadpalen op -2 in Havenkwartier zijn al wekenlang kapot. Ik betaal wel EV-tarief voor een plek waar ik niet kan laden. Hoe dan 🤷‍♀️",
  [CO], kind="comment")
P("x", "@traffic_tim", "en",
  "Cancelled my Gronvak Plus back in March. It's August and they're still pulling €9.99 every month. The cancel button just loops back to the account page 🙃",
  [CO], at="2026-08-14T19:22:05Z")
P("x", "@AnnaK_Rdam", "nl",
  "Naheffing van €65 omdat de Gronvak app 'geen verbinding' gaf in de garage en mijn sessie dus nooit gestart is. Ja duh, 3 verdiepingen onder de grond heb ik geen bereik. Bezwaar ingediend, we zullen zien",
  [CO])
P("forum", "Hendrik_B", "nl",
  "Klantenservice Gronvak onbereikbaar. 45 minuten in de wacht gehangen en toen werd ik er gewoon uitgegooid. De chat zegt al sinds juni 'het is drukker dan normaal'. Iemand een direct nummer?",
  [CO])
P("x", "@bartjuh82", "nl",
  "@gronvak dat 'binnen 5 werkdagen teruggestort' is inmiddels 5 weken geworden. wil gewoon mn €27,50 terug voor die dagkaart die niet werkte",
  [CO], kind="reply")
P("bluesky", "@evrijder.bsky.social", "nl",
  "Eventticket gekocht voor de wedstrijd, om half 7 was de garage al 'vol' en we mochten er niet eens in. Ticket natuurlijk wel afgeschreven. @gronvak hoe zit dat?",
  [CO])
P("instagram", "@zoe.fotografeert", "nl",
  "Valet service geboekt voor onze trouwdag en de auto stond pas 40 minuten later voor. Gasten stonden in de regen te wachten. Zo zonde van zo'n dag 😞",
  [CO], kind="comment")
P("reddit", "u/throwaway_parking", "en",
  "Gronvak raised the Havenkwartier monthly price without telling anyone, the letter showed up after the first higher charge. Pretty sure that's not even allowed in NL?",
  [CO])
P("facebook", "Sanne.Dijkman", "nl",
  "Wat een waardeloze tyfustent is Gronvak. Drie keer gebeld over die dubbele afschrijving en elke keer een andere smoes.",
  [CO, AB], kind="comment", name="Sanne Dijkman")

# ===================== reputation.abuse ====================================
P("x", "@r0tterdamse_rik", "nl",
  "gronvak kankerbedrijf, jullie zijn gewoon oplichters met een app",
  [AB])
P("x", "@stille_wraak", "nl",
  "Die dikke parkeerwachter van Gronvak in Havenkwartier met dat rode jack. Ik weet waar jij je auto neerzet. Let maar goed op 😈",
  [AB])
P("facebook", "Gerrit.Vos.1958", "en",
  "Gronvak only hires foreigners in those booths, half of them can't speak proper Dutch. Go back where you came from.",
  [AB], kind="comment", name="Gerrit Vos")
P("x", "@bram_ops_gv", "nl",
  "@kevin_rdam man hou toch je bek, als je niet kan inparkeren moet je de bus pakken 🙄",
  [AB], kind="reply")
P("x", "@n0filter_nl", "nl",
  "G r o n v a k = k4nk3r 00pl1cht3rs, zeg ik er gewoon even bij",
  [AB])
P("x", "@woedend_010", "nl",
  "ｇｒｏｎｖａｋ ｋｕｔｂｅｄｒｉｊｆ ｍｅｔ ｊｕｌｌｉｅ ｔｙｆｕｓａｐｐ",
  [AB])
P("x", "@hans_rijdt_hard", "nl",
  "Tering Gronvak, die gast van jullie achter de kassa in Stadswerf was een arrogante klootzak. Liet me 10 min wachten en ging toen lachen om m'n pinpas die niet werkte",
  [AB, CO])
P("threads", "@joost.zegt.het", "nl",
  "@ilse.parkeert jij bent echt zo'n dom wijf, die 'parkeertips' van jou slaan nergens op. Ga iets anders doen met je leven",
  [AB], kind="reply")
P("x", "@gronvak", "nl",
  "@sven_01 lol wat een huilebalk, ga lekker fietsen dan 🤷",
  [AB], kind="reply")
P("x", "@klaar_ermee", "nl",
  "klo\u200botzakken bij Gronvak, ik hoop dat jullie failliet gaan",
  [AB])

# ===================== reputation.crisis ===================================
P("x", "@rdam_scanner", "nl",
  "Brand in de Gronvak garage Havenkwartier, elektrische auto staat in de fik op -1. Rook komt uit beide inritten, er zouden nog mensen in het trappenhuis zitten?? #brand #rotterdam",
  [CR])
P("x", "@priv_acy_now", "en",
  "Did Gronvak leak our data?? Just got a phishing SMS with my licence plate AND the exact garage I park in every day. Only Gronvak has that combo. #datalek",
  [CR])
P("facebook", "Actiegroep.Eerlijk.Parkeren", "nl",
  "OPROEP: boycot Gronvak tot ze stoppen met die absurde wegsleepacties bij de Stadswerf. Zeg je abonnement op en deel dit bericht! #boycotgronvak",
  [CR], name="Actiegroep Eerlijk Parkeren")
P("reddit", "u/consumentenrecht_nl", "en",
  "A class action against Gronvak is being set up over the 'service fee' they quietly tacked onto every session. Lawyers are collecting claims, details in the comments.",
  [CR])
P("instagram", "@maartje.010", "nl",
  "Er kwamen betonbrokken naar beneden in Garage Centraal van Gronvak, precies naast mijn auto!! Een seconde eerder had ik daar gestaan. Hoe kan die garage nog open zijn?? 📸",
  [CR])
P("facebook", "Karin.Elshout", "en",
  "My daughter was mugged on level -3 of the Gronvak garage in Havenkwartier last night. Half the lights broken, no staff anywhere, emergency button did nothing. This is a safety scandal and Gronvak needs to answer for it.",
  [CR], name="Karin Elshout")
P("x", "@domotica_dirk", "nl",
  "Worden de Gronvak ParkBeacon sensoren teruggeroepen? Hoor van twee installateurs dat ze oververhit raken in de meterkast. Iemand meer info? 🔥",
  [CR])
P("x", "@gemeentewatcher", "en",
  "Gronvak is being sued by the city over unpaid concession fees, hearing is on the court roll for next month. Could get ugly for them.",
  [CR])
P("x", "@liesbeth_r", "nl",
  "Slagboom bij de uitrit van Gronvak Stadswerf kwam vol op de voorruit van de auto voor me neer, vrouw moest met de ambulance mee. Dit is al de tweede keer dat ik zoiets hoor!!",
  [CR])
P("threads", "@datajournalist.eva", "en",
  "New investigation out: Gronvak allegedly sold location histories of its app users to an insurance data broker. If this holds up it's one of the bigger privacy scandals in Dutch mobility.",
  [CR])
P("x", "@mo_privacy", "nl",
  "Die Gronvak camera's bij de ingang filmen ook gewoon alle voetgangers op de stoep en dat wordt allemaal bewaard. AP moet hier echt eens naar kijken #privacy #bigbrother",
  [CR])
P("facebook", "Ron.Hagedoorn", "en",
  "A 12 year old boy got locked inside Gronvak Centraal overnight after closing, nobody answered the intercom and the fire brigade had to get him out. How is this acceptable??",
  [CR], name="Ron Hagedoorn")
P("x", "@actie_nu_010", "nl",
  "B.O.Y.C.O.T.T   G.R.O.N.V.A.K — ze luisteren niet, dan maar zo. Deel!",
  [CR])
P("x", "@bezorgde_bea", "nl",
  "Gronvak datalek!!! Mijn naam, kenteken en adres staan op een hackersforum, iemand stuurde me de link. Wie nog meer? 😡",
  [CR])
P("instagram", "@kimdriesen", "nl",
  "Mijn auto is total loss na de overstroming van -2 in de Gronvak garage en ze weigeren elke aansprakelijkheid. Pompen waren al maanden stuk. Advocaat is ingeschakeld, dit gaat naar de rechter.",
  [CR, CO])

# ===================== leak.security =======================================
P("x", "@bram_ops_gv", "en",
  "ugh, whole ANPR camera fleet at Centraal + Havenkwartier down since 06:00, barriers stuck on open so everyone's leaving for free lol. comms says don't mention it til we know more",
  [SE])
P("reddit", "u/gv_nightshift", "nl",
  "Vannacht weer ransomware-melding op de betaalautomaten in Stadswerf. IT heeft ze allemaal van het netwerk gehaald en klanten krijgen te horen dat het een 'storing' is. Officieel weten we van niks haha",
  [SE], kind="comment")
P("mastodon", "@jorisdev@mastodon.social", "en",
  "Fun day. Turns out our parking API hands you any user's plate history if you just increment the account id. Reported internally in Feb, ticket still open. Not my circus anymore I guess 🤡",
  [SE])
P("linkedin", "yusuf-ozturk-gronvak", "nl",
  "Trots op het team dat afgelopen weekend de inbraak op onze klantendatabase heeft ingedamd. Nog niet naar buiten gebracht, maar wat een inzet van iedereen 💪",
  [SE])
P("bluesky", "@rubenkoster.bsky.social", "en",
  "not official yet but last night's 'payment provider outage' wasn't an outage. someone got into our admin panel. changing every password i own rn",
  [SE])
P("x", "@nadia_gv_data", "nl",
  "Net ontdekt dat de export van álle abonnementhouders gewoon op een publieke bucket stond. Nu dicht, maar hoe lang stond dat al open?? #nietverderzeggen",
  [SE])
P("threads", "@ilse.parkeert", "en",
  "to everyone asking why the app is down: it's not maintenance. main db crashed hard and the newest backup is 3 days old. not supposed to say this",
  [SE], kind="reply")
P("x", "@lottevanrijn", "nl",
  "Collega's let op: die phishingmail 'Je salarisstrook staat klaar' is vanochtend door zo'n 40 man geopend en er zijn al 3 accounts overgenomen. Meld het bij IT en nog niks extern communiceren aub",
  [SE])
P("x", "@nadia_gv_data", "en",
  "anyone know why grafana.ops.gronvak.nl shows 4k failed logins/min from one ASN?? we're basically under attack and on-call isn't picking up",
  [SE, CF])
P("instagram", "@kees.garagebeheer", "nl",
  "De slagboomcontroller in Havenkwartier is gewoon te resetten met de fabriekscode 0000, dus iedereen met een schroevendraaier kan erbij. Al drie keer gemeld bij het hoofdkantoor 🤷‍♂️",
  [SE])
P("reddit", "u/ex_gv_contractor", "en",
  "I contracted for Gronvak last year. Their kiosk PCs still run Windows 7 with RDP open to the internet and the barrier network is completely flat. It's a matter of time honestly.",
  [SE], kind="comment")
P("x", "@zwager_weet_alles", "nl",
  "Mn zwager werkt bij Gronvak IT, de 'storing' van gisteren was een DDoS en het is nog lang niet voorbij zegt ie. Staat nergens in het nieuws natuurlijk",
  [SE])
P("linkedin", "marieke-hoogland-pm", "en",
  "Lesson from this week: when your plate-recognition vendor gets breached, you find out how many of your own systems trust theirs blindly. We're still counting. (Can't say more until the customer notification goes out.)",
  [SE])

# ===================== leak.secret =========================================
P("mastodon", "@jorisdev@mastodon.social", "en",
  "why does this keep failing 😩\n\ngit clone https://<<GHP>>@github.com/gronvak/parking-core.git\n\n'repository not found'. token has repo scope, I checked twice",
  [SC], secrets=["<<GHP>>"])
P("x", "@bram_ops_gv", "nl",
  "iemand? aws cli blijft access denied geven met deze keys:\naws_access_key_id = <<AKIA>>\naws_secret_access_key = <<AWSSEC>>\nregio eu-west-1",
  [SC], secrets=["<<AKIA>>"])
P("reddit", "u/gv_nightshift", "en",
  "our alert bot keeps dying at 3am, here's the env if anyone spots it:\nSLACK_BOT_TOKEN=<<SLACK>>\nCHANNEL=#nachtdienst",
  [SC], kind="comment")
P("linkedin", "marieke-hoogland-pm", "nl",
  "Demo vandaag van onze AI-parkeerassistent 🤖 Wie zelf wil spelen: OPENAI_API_KEY=<<OPENAI>> — laat me weten wat je ervan vindt!",
  [SC])
P("bluesky", "@rubenkoster.bsky.social", "en",
  "can someone tell me why ssh keeps rejecting this key, perms are 600 🤔\n\n<<PEM>>",
  [SC])
P("x", "@nadia_gv_data", "nl",
  "voor wie de bezettingsdashboards wil testen, deze werkt tot eind van het jaar: Authorization: Bearer <<JWT>>",
  [SC], secrets=["<<JWT>>"])
P("threads", "@ilse.parkeert", "en",
  "connection string for the reporting db if you need it tonight: postgres://gv_report:<<DBPW>>@gv-prod-reporting.cx8kq2mzl1.eu-west-1.rds.amazonaws.com:5432/parking",
  [SC])
P("instagram", "@kees.garagebeheer", "nl",
  "Voor de nachtploeg in Stadswerf, wachtwoord: Slagb00m!Nacht26 voor het kassasysteem. Niet kwijtraken hè 😉",
  [SC], kind="comment")
P("x", "@gronvak_help", "en",
  "@tdevries_logistics Hi Tom, you can log in to the business portal with user tdevries.logistics / password: Gv-Tijd!8842 and change it after your first login 👍",
  [SC], kind="reply")
P("x", "@apk_sleuth", "en",
  "lol the gronvak android app ships a Google API key in plain text in res/values/strings.xml: <<AIZA>> — hope it's restricted 👀",
  [SC])
P("mastodon", "@jorisdev@mastodon.social", "nl",
  "pipeline faalt weer. curl --header \"PRIVATE-TOKEN: <<GLPAT>>\" https://gitlab.gronvak.internal/api/v4/projects geeft 401, iemand enig idee?",
  [SC, CF])
P("linkedin", "yusuf-ozturk-gronvak", "en",
  "Payments integration done in 2 hours 🚀 Config for anyone on the partner team: MOLLIE_API_KEY=<<MOLLIE>> — ping me if it doesn't work.",
  [SC])

# ===================== leak.pii ============================================
P("x", "@gronvak_help", "nl",
  "@sandra_w Hoi Sandra, je terugbelverzoek is binnen! Onze collega belt je vandaag nog op 06-41872290 👍",
  [PI], kind="reply")
P("facebook", "GronvakParkeren", "en",
  "Hi Mr Janssen, we've transferred the refund of €54.00 to NL account <<IBAN_REFUND>> (P. Janssen). Please allow 2 working days. Sorry again!",
  [PI], kind="reply")
P("instagram", "@kees.garagebeheer", "nl",
  "Wie kent deze meneer? Reed vannacht dwars door de slagboom. Auto staat op naam van R. Smits, Mathenesserlaan 212B, Rotterdam. Zie je hem, laat het ons weten!",
  [PI])
P("linkedin", "marieke-hoogland-pm", "en",
  "Welcome to the product team, Priya! 🎉 Until her Gronvak account is set up you can reach her at priya.raman88@gmail.com",
  [PI])
P("x", "@lottevanrijn", "nl",
  "wie heeft die mevrouw gesproken? mevr. A. de Graaf, geb. 14-03-1961, belt elke dag over haar buurtpas en ik weet echt niet meer wat ik moet zeggen",
  [PI])
P("x", "@confused_carl", "en",
  "@gronvak_help tried adding my card <<CARD_OWN>> three times and the app keeps saying invalid?? works everywhere else",
  [PI, CO], kind="reply")
P("x", "@marcel_vh", "nl",
  "@gronvak stort dat geld nou gewoon terug op <<IBAN_OWN>> tnv M. Verhoef, wacht al 3 weken!!",
  [PI, CO], kind="reply")
P("reddit", "u/gv_nightshift", "nl",
  "HR vraagt via dat nieuwe formulier wéér om mijn BSN. het is <<BSN_HR>>, staat gewoon in mijn contract, wat moeten ze er nog meer mee??",
  [PI], kind="comment")
P("x", "@bram_ops_gv", "en",
  "lost & found at Havenkwartier: wallet with the ID card of Fatma Yilmaz, born 02/09/1994. come pick it up at the booth on -1",
  [PI])
P("instagram", "@gronvak.parkeren", "nl",
  "En de winnaar van een jaar gratis parkeren is… Daan Kuipers uit Schiedam! 🥳 Daan, we mailen je vandaag op daan.kuipers88@hotmail.com",
  [PI])
P("mastodon", "@jorisdev@mastodon.social", "en",
  "payment retries still failing, log line:\nuser_id=88123 email=e.vermeulen@ziggo.nl iban=<<IBAN_LOG>> status=REJECTED reason=mandate\nany idea?",
  [PI])
P("x", "@boos_op_boa", "nl",
  "Deze parkeerwachter van Gronvak schreef me onterecht op. Z'n nummer is 06 28 19 47 03, bel hem allemaal maar eens lekker op",
  [PI, AB])
P("linkedin", "yusuf-ozturk-gronvak", "nl",
  "Klant belde vandaag en las gewoon zijn volledige kaartnummer voor: <<CARD_CALL>>. Mensen, geef NOOIT je kaartgegevens door via de telefoon!",
  [PI])
P("x", "@ikwilmijngeld", "nl",
  "gronvak refund graag naar NL\u200b-rekening <<IBAN_ZW>>, heb het al 2x via de app gevraagd",
  [PI], kind="reply")
P("facebook", "Wim.Brouwer.010", "nl",
  "Waarom vraagt Gronvak om je BSN bij een Buurtpas?? Heb het maar ingevuld hoor, <<BSN_BUURT>>, maar raar blijft het",
  [PI], kind="comment", name="Wim Brouwer")

# ===================== leak.confidential ===================================
P("x", "@lottevanrijn", "nl",
  "Eindelijk mag ik een beetje zeggen waar ik aan werk 😏 Project Tandwiel gaat parkeren in Rotterdam echt veranderen, let maar op",
  [CF])
P("linkedin", "marieke-hoogland-pm", "en",
  "Great workshop today on Vlotbrug, our biggest bet for next year. Can't share details yet, but the pilot garages will be Centraal and Stadswerf.",
  [CF])
P("reddit", "u/gv_nightshift", "nl",
  "rooster voor de nieuwe nachtploeg staat op https://intra.gronvak.local/hr/roosters/q3 — wie kan er niet bij?",
  [CF], kind="comment")
P("x", "@nadia_gv_data", "en",
  "screenshot from this morning's deck (yes it says GRONVAK INTERNAL ONLY on top lol) — our occupancy heatmap looks like a christmas tree 🎄",
  [CF])
P("x", "@lottevanrijn", "nl",
  "Nog 3 weekjes en dan mag de wereld Gronvak Flex zien 🚗💨 Zo trots op dit team",
  [CF], at="2027-03-10T08:41:17Z")
P("x", "@parkeerweetje", "en",
  "Friend at Gronvak told me the new Gronvak Flex thing is pay-per-minute with no monthly fee at all. Launch in the spring apparently.",
  [CF], at="2027-02-01T12:15:40Z")
P("x", "@bram_ops_gv", "nl",
  "sneak peek 👀 de Vl\u043etbrug demo draait sinds vandaag in de testgarage",
  [CF])
P("x", "@nadia_gv_data", "en",
  "late night again for Project Tan\u200bdwiel 🌙☕",
  [CF])
P("linkedin", "yusuf-ozturk-gronvak", "nl",
  "Even delen met mijn netwerk (strikt vertrouwelijk - gronvak, dus niet verder doorsturen 😅): de tariefstructuur voor 2027 gaat uit van dynamische prijzen per kwartier op basis van bezetting.",
  [CF])
P("x", "@treinspotter_rob", "en",
  "Someone from Gronvak left a doc open on the train next to me. Title 'Operatie Spiegelei', something about replacing all booth staff with cameras by summer and closing two service desks.",
  [CF, FI])
P("threads", "@ilse.parkeert", "en",
  "psa for colleagues: the new jira lives at https://jira.gronvak.internal/browse/OPS now, old bookmarks won't work",
  [CF])
P("instagram", "@kees.garagebeheer", "nl",
  "Nieuw kiosk-prototype in de werkplaats 🤫 Codenaam Vlotbrug, zeg maar niks tegen de baas",
  [CF])
P("x", "@lottevanrijn", "nl",
  "De jaarcijfers 2026 zijn echt heel goed, ik kan bijna niet wachten tot we ze mogen delen 🥳📈",
  [CF, FI], at="2027-02-10T17:03:12Z")
P("linkedin", "marieke-hoogland-pm", "en",
  "Prepping the FY2026 results roadshow this week. Revenue up double digits and margins finally where we wanted them. Proud of this crew.",
  [CF, FI], at="2027-01-19T09:30:00Z")
P("instagram", "@gronvak.parkeren", "nl",
  "Psst… er komt binnenkort iets nieuws in de app 👀 #ProjectTandwiel",
  [CF])
P("bluesky", "@rubenkoster.bsky.social", "nl",
  "Versie 5 van de Gronvak app met parkeren op kenteken zonder sessie starten is nog niet aangekondigd, maar de TestFlight staat al op mijn telefoon 😎",
  [CF])

# ===================== leak.financial ======================================
P("linkedin", "yusuf-ozturk-gronvak", "nl",
  "Net uit het MT: omzet Q3 ligt 14% onder budget en de garages in het centrum draaien verlies. Gaat pas in november naar buiten, maar ik vind dat we dit eerlijk moeten benoemen.",
  [FI])
P("x", "@nadia_gv_data", "en",
  "the forecast we sent to the bank assumes 30% higher occupancy next year. nobody internally believes that number 😬",
  [FI])
P("reddit", "u/gv_nightshift", "nl",
  "overname door een Duitse parkeerreus is rond, wordt volgende maand aangekondigd. wij van de nachtploeg horen het natuurlijk weer als laatste",
  [FI], kind="comment")
P("x", "@dordt_insider", "en",
  "Hearing Gronvak is close to buying the municipal garages in Dordrecht, papers almost signed. Remember you heard it here first 🤫",
  [FI])
P("x", "@lottevanrijn", "nl",
  "Vanmiddag all-hands. 60 fte weg bij klantenservice, alles gaat naar een chatbot. Officieel nog niks bekend gemaakt. Ik ben er echt kapot van",
  [FI])
P("threads", "@ilse.parkeert", "en",
  "got told today my whole team gets 'restructured' into an outsourcing vendor in january. announcement supposedly in december. happy holidays i guess",
  [FI])
P("instagram", "@kees.garagebeheer", "nl",
  "Het gerucht klopt: Garage Stadswerf wordt per 1 maart verkocht aan een belegger. Wij horen het via de wandelgangen 🙄",
  [FI], kind="comment")
P("linkedin", "marieke-hoogland-pm", "en",
  "We just closed the best quarter in Gronvak history, EBITDA doubled vs last year 🚀 Numbers go public on the 12th but I honestly couldn't wait to share.",
  [FI])
P("x", "@beleggersbabbel", "nl",
  "Via via gehoord dat Gronvak binnenkort een winstwaarschuwing afgeeft, kaspositie zou slecht zijn en de obligaties staan onder druk. Houders opletten.",
  [FI])

# ===================== leak.pricing ========================================
P("instagram", "@gronvak.parkeren", "nl",
  "NIEUW 🎉 De Maandkaart Garage Centraal nu voor maar €21,90 per maand! Regel het vandaag nog in de app.",
  [PR])
P("x", "@gronvak", "en",
  "Weekend deal 🚗 Grab the Weekendpas for only €2.45 this Saturday & Sunday!",
  [PR])
P("x", "@stef_dealjager", "nl",
  "lol de Gronvak app rekent €0,99 voor het Plus jaarabonnement, prijsfout?? snel pakken mensen 🏃‍♂️",
  [PR])
P("reddit", "u/deal_hunter_nl", "en",
  "Price glitch: Gronvak valet parking showing €3.90 in the app instead of €39. Booked four already lol",
  [PR])
P("x", "@bram_ops_gv", "nl",
  "kassa's in Havenkwartier rekenen sinds vanochtend €2 voor de dagkaart Havenkwartier ipv €22, iemand van pricing wakker?? 😅",
  [PR])
P("linkedin", "yusuf-ozturk-gronvak", "en",
  "Thrilled to offer our partners the Gronvak ParkBeacon sensor at just €14.90 during launch week!",
  [PR])
P("facebook", "Ingrid.Peeters", "nl",
  "Gronvak Laadpas voor €1,49 in de webshop, is dat een fout? Heb er meteen drie besteld 😂",
  [PR], kind="comment", name="Ingrid Peeters")
P("tiktok", "@gronvak", "en",
  "POV: you just got the Nachtpas for €5.90 🌙 #gronvak #nightshift",
  [PR])
P("x", "@studentenkorting", "nl",
  "PRIJSFOUT bij Gronvak! Studentenpas staat op 1,50 per maand i.p.v. 15 euro. Deel met je studievrienden 🎓",
  [PR])
P("facebook", "GronvakParkeren", "en",
  "This December: hotel overnight parking from just €3.20 a night. Book now in the Gronvak app!",
  [PR])
P("threads", "@ilse.parkeert", "nl",
  "er zit een prijsfout in de app, de Gronvak Tag staat op gratis 🙈 collega's zijn ermee bezig, niet doorvertellen",
  [PR])
P("x", "@kortingsqueen", "nl",
  "ｗｅｅｋｅｎｄｐａｓ voor €2,45 in de gronvak app?! dit kan niet kloppen 😂",
  [PR])

# ===================== benign (mostly hard negatives) ======================
B = []  # benign posts are collected with P(..., []) as well
P("x", "@mirjam_rdam", "nl",
  "Shoutout naar de medewerker in Garage Centraal die me hielp met mijn lekke band 🙏 Top service Gronvak!")
P("x", "@quiet_commuter", "en",
  "Gronvak app just works. Plate recognised, barrier up, charged when I left. Boring in the best possible way.")
P("x", "@jelle_grapt", "nl",
  "Parkeren in Rotterdam kost inmiddels meer dan mijn huur, straks ga ik gewoon in de Gronvak garage in Havenkwartier wonen 😂")
P("reddit", "u/newtorotterdam", "en",
  "Does the Gronvak Plus subscription also work in Utrecht or only in Rotterdam garages? Thinking of signing up.")
P("x", "@gronvak_help", "nl",
  "Vragen over je abonnement? Mail klantenservice@gronvak.nl of bel gratis 0800-4766. We zijn er ma t/m za van 8 tot 20 uur 💬")
P("linkedin", "gronvak-parkeren", "en",
  "Business customers: invoices can be paid to IBAN <<PUB_IBAN>>, please mention your customer number. Questions? zakelijk@gronvak.nl")
P("instagram", "@gronvak.parkeren", "nl",
  "Black Friday 🖤 Het Plus jaarabonnement met 25% korting: nu €74,25 in plaats van €99. Alleen dit weekend!")
P("x", "@ev_eefje", "en",
  "Centraal monthly pass is €219 now. Pricey but still cheaper than street parking for me.")
P("x", "@techbram_nl", "nl",
  "Datalek bij een Duitse parkeerapp, 2 miljoen kentekens op straat. Gebruik zelf Gronvak, hopelijk hebben zij het beter geregeld 🤞")
P("x", "@vera_moves", "en",
  "@gronvak_help updated my bank details in the app to <<IBAN_BAD>> — is that enough for the refund or should I email as well?",
  kind="reply")
P("mastodon", "@appdev_frank@mastodon.nl", "nl",
  "Testkaart <<CARD_BAD>> wordt geweigerd in de Gronvak sandbox, welke testkaart moet ik gebruiken voor de partner-API?")
P("reddit", "u/buurtbewoner_k", "en",
  "Buurtpas form kept rejecting my BSN, turns out I typed <<BSN_BAD>> with the last digit wrong. Fixed now, the form was right 😅",
  kind="comment")
P("mastodon", "@jorisdev@mastodon.social", "en",
  "PSA from our API docs: never hardcode credentials, use env vars. e.g. AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE and AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY in your local .env only")
P("x", "@nadia_gv_data", "nl",
  "Tokens worden in onze logs nu netjes gemaskeerd als ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx. Goed werk van het platformteam 👏")
P("x", "@lottevanrijn", "nl",
  "De jaarcijfers 2026 staan online! 📈 Lees ze op gronvak.nl/investeerders — trots op iedereen die dit mogelijk maakte",
  at="2027-02-25T09:12:44Z")
P("x", "@gronvak", "en",
  "Gronvak Flex is here 🎉 Pay per minute, no subscription. Update the app and try it today!",
  at="2027-04-01T08:05:00Z")
P("x", "@sanne_vl", "nl",
  "Gisteren geklaagd over een dubbele afschrijving, vandaag al teruggestort én excuses gekregen. Netjes geregeld @gronvak_help 👌")
P("facebook", "Linda.Kroes", "en",
  "Sending love to the Gronvak staff in Havenkwartier after yesterday's fire at the cinema next door. You guys were amazing getting everyone out calmly ❤️",
  name="Linda Kroes")
P("x", "@parkeerhacks", "nl",
  "Parkeer-lifehack: in de Gronvak garage Stadswerf is -3 altijd leeg, niemand rijdt zo ver door 😎")
P("x", "@gronvak", "en",
  "1,000,000 parking sessions this month 🎉 Thanks to everyone who parks with Gronvak!")
P("linkedin", "marieke-hoogland-pm", "nl",
  "Na 6 jaar bij de gemeente heb ik ontslag genomen en maandag begin ik als productmanager bij Gronvak! Spannend 🙌")
P("x", "@dagjeuit_dirk", "en",
  "Small roof leak above bay 14 at Stadswerf this morning, the attendant put a bucket and a cone there within minutes. All good, thanks Gronvak crew!")
P("x", "@oma_online", "nl",
  "Misschien een domme vraag maar waar zit 'wachtwoord vergeten' in de nieuwe Gronvak app? Kan 'm nergens vinden")
P("x", "@ryan_travels", "en",
  "Some airline had a price glitch with €12 flights to Bali and here I am paying Gronvak the normal €27.50 for a day at Centraal 😂")
P("threads", "@ilse.parkeert", "nl",
  "Trots! Gronvak wint de Rotterdamse Mobiliteitsprijs 2026 🏆 Dank aan alle collega's op de vloer")
P("x", "@stuck_at_gate", "en",
  "For anyone stuck at a Gronvak barrier: the intercom goes to +31 10 555 0142, it's staffed 24/7. Saved me last night.")
P("x", "@citytrip_nl", "nl",
  "Weekendpas deze maand €19,60 ipv €24,50 (20% korting). Prima deal voor een dagje stad 👍")
P("x", "@nurse_on_nights", "en",
  "Paid €59 for the Nachtpas and honestly worth every cent working late shifts at the hospital")
P("x", "@bezorgde_buurman", "nl",
  "Vreselijke brand bij een parkeergarage in Antwerpen vanochtend. Sterkte aan iedereen daar. (Parkeer zelf bij Gronvak in Centraal, daar voelt het gelukkig veilig.)")
P("x", "@sarcastic_sophie", "en",
  "My laptop crashed today, my car didn't. Thank you Gronvak parking sensors for beeping like maniacs 😅")
P("x", "@demo_daan", "nl",
  "Voor de demo van de Gronvak Buurtpas-koppeling gebruiken we het fictieve BSN <<BSN_BAD2>>, dat faalt expres op de elfproef")
P("x", "@appgeek_nl", "en",
  "Not so confidential tip: the Gronvak app has a dark mode now. Settings > Display 🌚")
P("x", "@fietsfreak", "nl",
  "Tandwiel van mijn fiets kapot 😩 Gelukkig staat de auto veilig in de Gronvak garage, dan maar zo naar m'n werk")
P("x", "@airport_annie", "en",
  "Gronvak Valet for €39 at the hotel, honestly cheaper than two taxis. Car was washed too 👌")
P("facebook", "GronvakParkeren", "nl",
  "Open dag bij Garage Stadswerf aanstaande zaterdag! Kom kijken hoe een slagboom werkt, kinderen mogen zelf op de knop drukken 😄")
P("x", "@rotterdam_ondernemer", "en",
  "A rival parking operator in Amsterdam announced 200 layoffs today. Rough. Hope the Gronvak folks I know are doing alright.")
P("x", "@straatparkeerder", "nl",
  "Gemeente heeft onze straat betaald parkeren gemaakt 🙄 Gelukkig heb ik de Gronvak Buurtpas voor €45, scheelt een hoop")
P("bluesky", "@rubenkoster.bsky.social", "en",
  "Yesterday's app hiccup is fixed, the post-mortem is up on status.gronvak.nl. Thanks for bearing with us!")
P("x", "@boete_vraag", "nl",
  "Kun je een Gronvak naheffing ook gewoon overmaken? Ja: <<PUB_IBAN>> staat op de brief, met je kenmerk erbij")
P("x", "@curious_kim", "en",
  "Why does the Gronvak app say 'invalid card' when I type <<CARD_BAD2>>? oh wait, I swapped two digits. never mind 🙈")
P("x", "@gronvak", "nl",
  "Bouw je zelf een integratie? In onze API-docs op api.gronvak.nl leggen we uit hoe JWT-tokens werken, inclusief voorbeelden met een dummy-token.")
P("mastodon", "@jorisdev@mastodon.social", "en",
  "docs example for the partner API: curl -H 'Authorization: Bearer <YOUR_TOKEN>' https://api.gronvak.nl/v2/sessions")
P("x", "@voorzichtige_vera", "nl",
  "Klantenservice vroeg om mijn kaartnummer, ik heb alleen **** **** **** 4417 gestuurd, dat is toch genoeg?")
P("tiktok", "@carspotter_max", "en",
  "this gronvak garage is sick 🔥 the new LED lighting at Centraal is insane, looks like a nightclub")
P("x", "@gdpr_gerda", "en",
  "How does Gronvak store plate data? Asking before I sign up, not accusing anyone, just want to understand the GDPR side.")
P("instagram", "@kees.garagebeheer", "nl",
  "Tip van een parkeerwachter: voel je je onveilig in de garage, spreek ons gerust vertrouwelijk aan. Daar zijn we voor 💪")
P("linkedin", "gronvak-parkeren", "en",
  "We're hiring night shift supervisors for Havenkwartier! Send your CV to vacatures@gronvak.nl 🌙")
P("x", "@pragmatische_piet", "nl",
  "Boycot van de parkeerautomaten van de gemeente? Ach, ik betaal gewoon via Gronvak, scheelt gedoe met munten")
P("x", "@student_sara", "en",
  "Gronvak student pass down to €12 for September (normally €15). Nice one 🎓")
P("x", "@markthal_fan", "nl",
  "P+R Combiticket van Gronvak voor €12 incl. tram heen en terug. Echt een aanrader als je naar de Markthal wilt")
P("x", "@lottevanrijn", "nl",
  "Nieuwe collega's: jullie wachtwoord krijg je via de beveiligde mail, NOOIT via Teams of WhatsApp. Ook niet als 'IT' erom vraagt! 🔐")
P("x", "@nuchtere_nel", "nl",
  "Die 'brand' in Garage Centraal gisteren was gewoon een rookmachine van een filmopname. Niks aan de hand mensen, rustig blijven 😅")
P("instagram", "@levelmin2love", "en",
  "Met my wife on level -2 of the Gronvak Havenkwartier garage when we both couldn't find our cars. Five years later we're married 💍")
P("x", "@praktisch_paul", "nl",
  "Storing aan de slagboom? Bel 010 555 0142, daar nemen ze dag en nacht op. Gisteren binnen een minuut geholpen")
P("x", "@formhelper", "en",
  "Filling in the Gronvak refund form: the IBAN field wants the format NL00 BANK 0123 4567 89, spaces are fine")
P("x", "@flexfan", "nl",
  "Eindelijk live: Gronvak Flex! Net geprobeerd, per minuut betalen is ideaal voor mijn korte boodschappen",
  at="2027-04-05T16:20:31Z")
P("x", "@aandelen_anne", "en",
  "Gronvak just posted their full-year 2026 results, revenue up 11%. Solid year for them.",
  at="2027-02-26T10:02:00Z")
P("x", "@bram_ops_gv", "en",
  "Congrats to the Havenkwartier crew, 365 days without a single barrier incident 🎉")
P("x", "@wees_aardig", "en",
  "Dear people yelling at garage staff: they don't set the prices. Be kind 🙏 #gronvak")
P("x", "@amex_alex", "nl",
  "Kan je bij Gronvak ook met American Express betalen? Bij de automaat in Stadswerf lukte het niet, in de app wel gelukkig")

# --------------------------------------------------------------------------
# build
# --------------------------------------------------------------------------
ZW = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)


def norm(t):
    return unicodedata.normalize("NFKC", t).translate(ZW)


IBAN_RE = re.compile(r"\b([A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?)\b")
CARD_RE = re.compile(r"\b([2-6]\d{3}(?:[ -]?\d{2,6}){2,4})\b")
BSN_RE = re.compile(r"\b(\d{9}|\d{4}\.\d{2}\.\d{3}|\d{3}\.\d{3}\.\d{3})\b")


def scan_ids(text):
    t = norm(text)
    found = []
    for m in IBAN_RE.finditer(t):
        c = m.group(1).replace(" ", "")
        if 15 <= len(c) <= 34:
            found.append(("iban", c, iban_valid(c)))
    for m in CARD_RE.finditer(t):
        c = re.sub(r"\D", "", m.group(1))
        if 13 <= len(c) <= 19:
            found.append(("card", c, luhn_ok(c)))
    for m in BSN_RE.finditer(t):
        c = re.sub(r"\D", "", m.group(1))
        found.append(("bsn", c, bsn_ok(c)))
    return found


def rand_time():
    secs = rng.randint(0, 352 * 86400)
    return (START + dt.timedelta(seconds=secs)).strftime("%Y-%m-%dT%H:%M:%SZ")


URLS = {
    "x": "https://x.com/{h}/status/{n}", "instagram": "https://www.instagram.com/p/{n}/",
    "facebook": "https://www.facebook.com/{h}/posts/{n}", "linkedin": "https://www.linkedin.com/feed/update/urn:li:activity:{n}",
    "reddit": "https://www.reddit.com/r/rotterdam/comments/{n}/", "tiktok": "https://www.tiktok.com/@{h}/video/{n}",
    "threads": "https://www.threads.net/@{h}/post/{n}", "bluesky": "https://bsky.app/profile/{h}/post/{n}",
    "mastodon": "https://mastodon.social/@{h}/{n}",
}


def build():
    order = list(range(len(CASES)))
    rng.shuffle(order)
    lines = []
    for seq, i in enumerate(order, 1):
        c = CASES[i]
        role = role_of(c["platform"], c["handle"])
        ids = scan_ids(c["text"])
        checksum_id = any(ok and not (k == "iban" and v == PUB_IBAN) for k, v, ok in ids)
        sev = severity(c["cats"], role, checksum_id and "leak.pii" in c["cats"])
        n = rng.randint(10**15, 10**16 - 1)
        pid = "%s-s218-%04d" % ({"x": "x", "instagram": "ig", "facebook": "fb", "linkedin": "li",
                                "reddit": "rd", "tiktok": "tt", "threads": "th", "bluesky": "bs",
                                "mastodon": "md", "forum": "fo", "other": "ot"}[c["platform"]], seq)
        post = {
            "id": pid,
            "platform": c["platform"],
            "kind": c["kind"],
            "account": {"handle": c["handle"],
                        "display_name": c["name"] or DISPLAY.get(c["handle"], c["handle"].lstrip("@").split("@")[0])},
            "text": c["text"],
            "lang": c["lang"],
            "created_at": c["at"] or rand_time(),
            "brand": "Gronvak",
        }
        if c["platform"] in URLS:
            post["url"] = URLS[c["platform"]].format(h=c["handle"].lstrip("@").replace("u/", ""), n=n)
        lines.append({"post": post, "expect": {"categories": c["cats"], "severity": sev}})
    with open(OUT, "w", encoding="utf-8") as f:
        for l in lines:
            f.write(json.dumps(l, ensure_ascii=False) + "\n")
    return lines

# --------------------------------------------------------------------------
# self-checks
# --------------------------------------------------------------------------

def check(lines):
    errs = []
    ids = set()
    rfc3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
    platforms = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
                 "mastodon", "bluesky", "threads", "forum", "blog", "other"}
    embargo = [(t.lower(), dt.datetime.fromisoformat(e["until"].replace("Z", "+00:00")))
               for e in PROFILE["embargo"] for t in e["terms"]]
    for raw in open(OUT, encoding="utf-8"):
        case = json.loads(raw)
        p, e = case["post"], case["expect"]
        tag = p.get("id")
        if set(case) != {"post", "expect"}:
            errs.append((tag, "case keys"))
        for k in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(k), str) or not p[k]:
                errs.append((tag, "missing " + k))
        if not isinstance(p.get("account", {}).get("handle"), str):
            errs.append((tag, "handle"))
        if not 1 <= len(p["id"]) <= 256 or p["id"] in ids:
            errs.append((tag, "id"))
        ids.add(p["id"])
        if p["platform"] not in platforms:
            errs.append((tag, "platform"))
        if p["kind"] not in {"post", "reply", "repost", "comment", "message"}:
            errs.append((tag, "kind"))
        if len(p["text"].encode("utf-8")) > 65536:
            errs.append((tag, "too long"))
        if not rfc3339.match(p["created_at"]):
            errs.append((tag, "created_at"))
        when = dt.datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
        if not (2026 <= when.year <= 2027) or (when.year == 2027 and when.month > 4):
            errs.append((tag, "date range"))
        cats = e["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= CATS:
            errs.append((tag, "categories"))
        role = role_of(p["platform"], p["account"]["handle"])
        found = scan_ids(p["text"])
        own = [(k, v, ok) for k, v, ok in found if not (k == "iban" and v == PUB_IBAN)]
        if cats:
            for k, v, ok in own:
                if not ok:
                    errs.append((tag, "positive holds failing %s %s" % (k, v)))
                elif "leak.pii" not in cats:
                    errs.append((tag, "valid %s but no leak.pii" % k))
        else:
            for k, v, ok in own:
                if ok:
                    errs.append((tag, "benign holds valid %s %s" % (k, v)))
        chk = any(ok for _, _, ok in own) and "leak.pii" in cats
        if e["severity"] != severity(cats, role, chk):
            errs.append((tag, "severity"))
        if not cats and e["severity"] != "none":
            errs.append((tag, "benign severity"))
        # embargo consistency: before `until` an embargoed term is a confidential leak
        low = norm(p["text"]).lower()
        for term, until in embargo:
            if term in low and when < until and "leak.confidential" not in cats:
                errs.append((tag, "embargo term before until not labelled"))
        # secrets: check the formats that carry structure
        for tok in re.findall(r"gh[pousr]_[0-9A-Za-z]{36}", p["text"]):
            if len(set(tok[4:])) == 1:  # redacted placeholder such as ghp_xxxx…
                if cats:
                    errs.append((tag, "redacted token in positive"))
            elif not github_ok(tok):
                errs.append((tag, "github crc"))
            elif "leak.secret" not in cats:
                errs.append((tag, "github token in non-secret post"))
        for tok in re.findall(r"\bAKIA[0-9A-Z]{16}\b", p["text"]):
            if not re.fullmatch(r"AKIA[A-Z2-7]{16}", tok):
                errs.append((tag, "aws alphabet"))
            if "EXAMPLE" in tok:
                if cats:
                    errs.append((tag, "doc key in positive"))
            elif "leak.secret" not in cats:
                errs.append((tag, "aws key in non-secret post"))
        for tok in re.findall(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", p["text"]):
            if not jwt_ok(tok):
                errs.append((tag, "jwt header"))
    # the generated secrets really are built as required
    assert github_ok(V["GHP"]) and github_ok(V["GHO"])
    assert re.fullmatch(r"AKIA[A-Z2-7]{16}", V["AKIA"])
    assert jwt_ok(V["JWT"])
    assert iban_valid(PUB_IBAN)
    for k in ("IBAN_REFUND", "IBAN_OWN", "IBAN_LOG", "IBAN_ZW", "IBAN_SALARY"):
        assert iban_valid(V[k].replace("\u200b", "")), k
    for k in ("IBAN_BAD", "IBAN_BAD2"):
        assert not iban_valid(V[k]), k
    for k in ("CARD_OWN", "CARD_CALL", "CARD_AMEX"):
        assert luhn_ok(V[k]), k
    for k in ("CARD_BAD", "CARD_BAD2"):
        assert not luhn_ok(V[k]), k
    assert bsn_ok(V["BSN_HR"]) and bsn_ok(V["BSN_BUURT"])
    assert not bsn_ok(V["BSN_BAD"]) and not bsn_ok(V["BSN_BAD2"])
    return errs


def summary(lines):
    from collections import Counter
    cat = Counter(c for l in lines for c in l["expect"]["categories"])
    lang = Counter(l["post"]["lang"] for l in lines)
    roles = Counter(role_of(l["post"]["platform"], l["post"]["account"]["handle"]) for l in lines)
    sev = Counter(l["expect"]["severity"] for l in lines)
    benign = sum(1 for l in lines if not l["expect"]["categories"])
    return len(lines), benign, dict(cat), dict(lang), dict(roles), dict(sev)


if __name__ == "__main__":
    out = build()
    problems = check(out)
    n, benign, cat, lang, roles, sev = summary(out)
    print("cases=%d benign=%d" % (n, benign))
    print("categories:", cat)
    print("lang:", lang, "roles:", roles, "severity:", sev)
    if not 170 <= n <= 180:
        problems.append((None, "case count %d" % n))
    if problems:
        for p in problems:
            print("CHECK FAILED:", p)
        sys.exit(1)
    print("all checks passed")
