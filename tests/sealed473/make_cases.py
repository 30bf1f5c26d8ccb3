#!/usr/bin/env python3
"""Build cases.jsonl for sealed set 473 (Orveld Venues B.V., arena and stadium operator).

Deterministic: fixed seed, standard library plus PyYAML. The post texts are written by
hand; credentials and personal identifiers are generated here the way real ones are
built (checksums included) and dropped into {PLACEHOLDERS}. Severities are computed
from CONTRACT section 4 with the account role looked up in profile.yaml, never typed.
After writing, the file is read back and checked; any failure exits non-zero.
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
PROFILE_PATH = os.path.join(HERE, "profile.yaml")
OUT_PATH = os.path.join(HERE, "cases.jsonl")
SEED = 473_2026

rng = random.Random(SEED)

CAT = {
    "sec": "leak.secret",
    "pii": "leak.pii",
    "pri": "leak.pricing",
    "con": "leak.confidential",
    "fin": "leak.financial",
    "secu": "leak.security",
    "cri": "reputation.crisis",
    "com": "reputation.complaint",
    "abu": "reputation.abuse",
}
ALL_CATS = set(CAT.values())
LEVELS = ["none", "info", "warning", "error", "critical"]
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube",
             "reddit", "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}

# --------------------------------------------------------------------------------------
# checksums and generators
# --------------------------------------------------------------------------------------
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.digits + string.ascii_letters
URLSAFE = ALNUM + "-_"
B32 = string.ascii_uppercase + "234567"


def rand_str(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def iban_make(bban, cc="NL"):
    r = bban + cc + "00"
    check = 98 - int("".join(str(int(c, 36)) for c in r)) % 97
    return "%s%02d%s" % (cc, check, bban)


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    total = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        total += x
    return total % 10 == 0


def bsn_ok(num):
    d = re.sub(r"\D", "", num)
    if len(d) != 9:
        return False
    s = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return s % 11 == 0 and d != "000000000"


def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def github_token_ok(tok):
    m = re.fullmatch(r"(gh[pousr])_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(2).encode()), 6) == m.group(3)


def b64url(raw):
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def jwt_header_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    try:
        pad = "=" * (-len(parts[0]) % 4)
        hdr = json.loads(base64.urlsafe_b64decode(parts[0] + pad))
    except Exception:
        return False
    return isinstance(hdr, dict) and "alg" in hdr


BANKS = ["ABNA", "RABO", "INGB", "SNSB", "TRIO", "BUNQ", "KNAB", "ASNB"]


def gen_iban():
    v = iban_make(rng.choice(BANKS) + rand_str(string.digits, 10))
    assert iban_ok(v)
    return group4(v) if rng.random() < 0.6 else v


def gen_bad_iban():
    v = iban_make(rng.choice(BANKS) + rand_str(string.digits, 10))
    pos = rng.randrange(8, len(v))
    v = v[:pos] + str((int(v[pos]) + rng.randint(1, 9)) % 10) + v[pos + 1:]
    assert not iban_ok(v)
    return group4(v) if rng.random() < 0.6 else v


def luhn_complete(prefix, length=16):
    body = prefix + rand_str(string.digits, length - len(prefix) - 1)
    for c in string.digits:
        if luhn_ok(body + c):
            return body + c
    raise AssertionError


def gen_card():
    v = luhn_complete(rng.choice(["4", "51", "52", "53", "54", "55"]))
    return group4(v) if rng.random() < 0.7 else v


def gen_bad_card():
    v = luhn_complete(rng.choice(["4", "53", "55"]))
    v = v[:-1] + str((int(v[-1]) + rng.randint(1, 9)) % 10)
    assert not luhn_ok(v)
    return group4(v)


def gen_bsn():
    while True:
        d = str(rng.randint(1, 9)) + rand_str(string.digits, 7)
        c = sum(int(d[i]) * (9 - i) for i in range(8)) % 11
        if c < 10:
            v = d + str(c)
            assert bsn_ok(v)
            return v


def gen_bad_bsn():
    while True:
        v = str(rng.randint(1, 9)) + rand_str(string.digits, 8)
        if not bsn_ok(v):
            return v


def gen_ghp():
    body = rand_str(ALNUM, 30)
    tok = "ghp_" + body + b62(zlib.crc32(body.encode()), 6)
    assert github_token_ok(tok)
    return tok


def gen_aws_id():
    return "AKIA" + rand_str(B32, 16)


def gen_aws_secret():
    return rand_str(ALNUM + "/+", 40)


def gen_jwt():
    hdr = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = {"sub": "scanner-gate-%02d" % rng.randint(1, 12), "role": "door_scanner",
               "venue": "orveld-arena", "iat": 1767225600 + rng.randint(0, 30_000_000)}
    pl = b64url(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64url(bytes(rng.randrange(256) for _ in range(32)))
    tok = "%s.%s.%s" % (hdr, pl, sig)
    assert jwt_header_ok(tok)
    return tok


def gen_stripe():
    return "sk_live_51" + rand_str(ALNUM, 96)


def gen_xoxb():
    return "xoxb-%s-%s-%s" % (rand_str(string.digits, 12), rand_str(string.digits, 13),
                              rand_str(ALNUM, 24))


def gen_openai():
    return "sk-proj-" + rand_str(URLSAFE, 74) + "T3BlbkFJ" + rand_str(URLSAFE, 74)


def gen_anthropic():
    return "sk-ant-api03-" + rand_str(URLSAFE, 93) + "AA"


def gen_google():
    return "AIza" + rand_str(URLSAFE, 35)


def gen_pem():
    head = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
    body = head + rand_str(string.ascii_letters + string.digits + "+/", 70 * 4 - len(head))
    lines = [body[i:i + 70] for i in range(0, len(body), 70)]
    return ("-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines)
            + "\n-----END OPENSSH PRIVATE KEY-----")


def gen_password():
    words = ["Zomer", "Podium", "Tribune", "Kuiltje", "Bas", "Encore", "Rigging", "Lichtplan"]
    return rng.choice(words) + str(rng.randint(10, 99)) + rng.choice("!#$%&*") + rand_str(ALNUM, 4)


def gen_pg_url():
    return "postgres://tix_admin:%s@10.20.4.17:5432/orveld_tickets" % rand_str(ALNUM, 18)


def gen_mongo_url():
    return ("mongodb+srv://monitor:%s@cluster0.%s.mongodb.net/metrics?retryWrites=true"
            % (rand_str(ALNUM, 16), rand_str(string.ascii_lowercase + string.digits, 5)))


GEN = {
    "IBAN": gen_iban, "BADIBAN": gen_bad_iban, "CARD": gen_card, "BADCARD": gen_bad_card,
    "BSN": gen_bsn, "BADBSN": gen_bad_bsn, "GHP": gen_ghp, "AWSID": gen_aws_id,
    "AWSSECRET": gen_aws_secret, "JWT": gen_jwt, "STRIPE": gen_stripe, "XOXB": gen_xoxb,
    "OPENAI": gen_openai, "ANTHROPIC": gen_anthropic, "GOOGLE": gen_google, "PEM": gen_pem,
    "PASS": gen_password, "PGURL": gen_pg_url, "MONGOURL": gen_mongo_url,
}
CHECKSUM_IDS = {"IBAN", "CARD", "BSN"}
SECRET_PH = {"GHP", "AWSID", "AWSSECRET", "JWT", "STRIPE", "XOXB", "OPENAI", "ANTHROPIC",
             "GOOGLE", "PEM", "PASS", "PGURL", "MONGOURL"}


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" if c == " " else c
                   for c in s)


ZW = "\u200b"

# --------------------------------------------------------------------------------------
# the hand-written posts
# role hint: c = corporate, e = employee, p = public (checked against the profile)
# --------------------------------------------------------------------------------------
CASES = []


def C(role, platform, handle, lang, cats, text, kind="post", at=None, name=None,
      evasion=False, brand=None):
    CASES.append(dict(role=role, platform=platform, handle=handle, lang=lang,
                      cats=[CAT[c] for c in cats], text=text, kind=kind, at=at,
                      name=name, evasion=evasion, brand=brand))


# ---- complaints ----------------------------------------------------------------------
C("p", "x", "@mirthe_dvr", "nl", ["com"],
  "Anderhalf uur in de rij bij ingang C van de Orveld Arena en toen we eindelijk binnen "
  "waren was het voorprogramma al klaar. Wat een organisatie zeg 🙄 #orveld")
C("p", "reddit", "u/bassdrop_ben", "en", ["com"],
  "Anyone else get charged twice for FastLane through the Orveld app? Support keeps "
  "closing my ticket without actually answering. It's been 3 weeks now.")
C("p", "facebook", "sandra.wolters.77", "nl", ["com"],
  "Jas afgegeven bij de garderobe, na afloop was ie ineens 'kwijt'. Mailtje gestuurd naar "
  "Orveld en nu al 12 dagen geen reactie. Dit was een jas van 200 euro hoor. Echt "
  "belachelijk.", kind="comment", name="Sandra Wolters")
C("p", "x", "@kaylee_gigs", "en", ["com"],
  "the sound at orveld arena last night was actual mush. couldnt make out a single word "
  "from the balcony. paid €90 for this?? 😤")
C("p", "instagram", "@joostjes", "nl", ["com"],
  "Parkeren P-Oost na het concert: 2 uur vastgestaan op het terrein, geen verkeersregelaar "
  "te bekennen. Volgende keer gewoon met de trein 🤷‍♂️ @orveld.live", kind="comment")
C("p", "threads", "@priya.on.tour", "en", ["com"],
  "Booked accessible seating at Orveld Stadion for my mum (wheelchair) and the 'accessible "
  "platform' was behind a pillar. Zero view of the stage. Staff just shrugged at us. "
  "Really, really disappointing.")
C("p", "x", "@ronnie_010", "nl", ["com"],
  "@orveld_help show afgelast op de dag zelf en nog steeds geen geld terug na 6 weken. hoe "
  "lang nog?? ben er klaar mee", kind="reply")
C("p", "tiktok", "@fenna.festival", "nl", ["com"],
  "POV: je betaalt €5,80 voor een lauw biertje in de Orveld Arena en de helft is schuim "
  "🍺🫠 #zonde #orveld")
C("p", "bluesky", "@danwrites.bsky.social", "en", ["com"],
  "Orveld's ticket app logged me out right at the door and wouldn't accept my QR code. "
  "Stood outside for 40 min while 'the system was checking'. Missed the whole opener. "
  "Fix your app pls.")
C("p", "reddit", "u/kaasstengel_nl", "nl", ["com"],
  "Die Goudrang Lounge is echt z'n geld niet waard. €189 voor lauwe bitterballen en een "
  "stoel waar je het podium niet eens ziet. Nooit meer.", kind="comment")
C("p", "youtube", "@MetalMikeReviews", "en", ["com"],
  "Orveld Stadion toilets in the entire south stand were out of order for the whole second "
  "half. 40,000 people and like six working loos. Embarrassing tbh", kind="comment")
C("p", "mastodon", "@evi@mastodon.social", "nl", ["com"],
  "Kluisje gehuurd bij Orveld, code werkte na afloop niet meer en er was niemand van het "
  "personeel te vinden. Half uur gewacht met m'n telefoon en sleutels erin. Top avond "
  "verder 🙃")
C("p", "x", "@loudandlate", "en", ["com"],
  "seated tickets at orveld said 'row 12' and row 12 did not exist lmao. got moved to the "
  "back, standing. no refund offered. cheers orveld")
C("p", "facebook", "henk.brouwer.1958", "nl", ["com"],
  "Stadiontour geboekt voor de verjaardag van m'n kleinzoon, bleek ter plekke 'geannuleerd "
  "wegens onderhoud'. Niemand had ons gebeld of gemaild. Kind in tranen. Schandalig "
  "slechte communicatie van Orveld.", name="Henk Brouwer")

# ---- first-hand safety incidents: crisis + complaint ----------------------------------
C("p", "x", "@sophie_mt", "nl", ["cri", "com"],
  "Gisteren in de Orveld Arena van de trap bij vak 214 gevallen, treden kapot en geen licht. "
  "Enkel gebroken 🩼 En niemand van jullie heeft ook maar gevraagd of het ging. "
  "@orveld_help")
C("p", "reddit", "u/gigjunkie88", "en", ["cri", "com"],
  "Got food poisoning from the chicken wrap at the Orveld Stadion food court on Saturday. "
  "Me and two mates were throwing up all night, one ended up in the ER. Absolutely "
  "disgusting hygiene, and their support just sent a voucher.")
C("p", "instagram", "@lisa.danst", "nl", ["cri", "com"],
  "Die Oordopjes Pro die jullie verkopen: eentje brak af IN mijn oor tijdens het concert, "
  "moest naar de huisarts om het eruit te laten halen 😡 Haal die troep uit de verkoop "
  "@orveld.live")
C("p", "x", "@tomcrowdsurf", "en", ["cri", "com"],
  "Crush barrier in the Orveld Arena pit gave way during the encore. Went down with like 20 "
  "others, bruised ribs and a cut on my head. Security was nowhere for minutes. Never "
  "again.")

# ---- abuse + complaint -----------------------------------------------------------------
C("p", "x", "@woedende_wim", "nl", ["abu", "com"],
  "Orveld is echt het grootste kutbedrijf van Nederland. 3x gebeld over m'n terugbetaling, "
  "3x opgehangen. Stelletje oplichters en prutsers zijn jullie.")
C("p", "reddit", "u/seat_sold_twice", "en", ["abu", "com"],
  "the fucking idiots at the Orveld box office sold my seat twice and then the manager "
  "called ME a liar. useless clowns, the lot of them")

# ---- crisis (third party, boycotts, lawsuits, breach accusations, scandal) -------------
C("p", "x", "@rdamnewsdesk", "en", ["cri"],
  "BREAKING: Several people treated for injuries after part of a balcony railing came "
  "loose at Orveld Arena during last night's concert, emergency services confirm. "
  "#Rotterdam", brand="Orveld Arena")
C("p", "x", "@actie_eerlijkticket", "nl", ["cri"],
  "Boycot Orveld! Via hun eigen 'resale' verkopen ze tickets door voor 4x de prijs en "
  "steken de winst gewoon in eigen zak. Koop niks meer bij Orveld tot dit stopt. "
  "#BoycotOrveld")
C("p", "linkedin", "mkramer-advocatuur", "en", ["cri"],
  "We have today filed a class action on behalf of 312 ticket holders against Orveld "
  "Venues B.V. over the cancelled summer festival at Orveld Stadion and the refunds that "
  "never came. More details next week.")
C("p", "reddit", "u/privacy_paul", "nl", ["cri"],
  "Volgens mij is Orveld gehackt. Krijg sinds gisteren phishingmails met mijn exacte "
  "stoelnummer, ordernummer en naam erin. Dat kan alleen uit hun database komen. Iemand "
  "anders dit ook?")
C("p", "x", "@eventsafetywatch", "en", ["cri"],
  "Third crowd crush at the Orveld Stadion entrances this season. When will the "
  "municipality act? Someone is going to die there. #crowdsafety")
C("p", "facebook", "buurtvereniging.kralingen.oost", "nl", ["cri"],
  "Let op: Orveld haalt alle Oordopjes Pro uit de verkoop nadat meerdere bezoekers gewond "
  "raakten. Heb je ze gekocht? Niet meer gebruiken en terugbrengen!",
  name="Buurtvereniging Kralingen-Oost")
C("p", "tiktok", "@glitterbombgigs", "en", ["cri"],
  "the way Orveld staff were filmed LAUGHING while a girl was literally fainting in the "
  "front row... this is a scandal, share this everywhere 😳 #orveldgate")
C("p", "x", "@brandweerfan010", "nl", ["cri"],
  "Brand in de keuken van de Business Club in het Orveld Stadion. Tribune Noord ontruimd, "
  "brandweer met groot materieel ter plaatse. Voor zover bekend geen gewonden.")
C("p", "mastodon", "@ravenrights@kolektiva.social", "en", ["cri"],
  "Orveld is running facial recognition cameras at its entrances without telling anyone. "
  "That's illegal under the GDPR. Report them to the Autoriteit Persoonsgegevens and "
  "boycott their venues until they stop.")
C("p", "threads", "@meldpuntmuziek", "nl", ["cri"],
  "Meerdere vrouwelijke bezoekers melden dat een beveiliger van Orveld Arena hen heeft "
  "betast bij de fouillering. Orveld reageert niet op vragen. Dit is een schandaal.")
C("p", "bluesky", "@civicdata.bsky.social", "en", ["cri"],
  "Legionella found in the water system at Orveld Arena according to a municipal "
  "inspection report, and they kept the venue open for two more concerts. How is this "
  "allowed?")

# ---- abuse ----------------------------------------------------------------------------
C("p", "x", "@zwartekraai77", "nl", ["abu"],
  "@orveldarena jullie zijn een stelletje graaiende klootzakken. kanker op met je "
  "'servicekosten'", kind="reply")
C("p", "x", "@nocapnick", "en", ["abu"],
  "orveld customer service reps are braindead morons, genuinely cannot read one sentence")
C("p", "instagram", "@dj_bertus", "nl", ["abu"],
  "Die dikke beveiliger bij ingang B van Orveld is een ongelooflijke hufter. Vuile "
  "zielenpoot, hoop dat je je baan kwijtraakt 🖕", kind="comment")
C("p", "youtube", "@roadtrip_randy", "en", ["abu"],
  "Orveld Stadion staff are the dumbest bunch of inbred halfwits I've ever had the "
  "misfortune of dealing with", kind="comment")
C("e", "x", "@bramdehaan_ops", "nl", ["abu"],
  "Weer zo'n debiele bezoeker die denkt dat ie backstage mag omdat ie 'een vriend van de "
  "drummer' is. Rot toch op, sukkel.")
C("c", "tiktok", "@orveldlive", "nl", ["abu"],
  "@kevin_kritiek huil maar lekker verder, loser 😂", kind="reply")
C("p", "x", "@h8ter_hans", "nl", ["abu"],
  "0rv3ld = k4nk3rz00i en h3t p3rs0n33l b3st44t uit d0mm3 k0ss3n 🤡", evasion=True)
C("p", "x", "@rage_r", "en", ["abu"],
  "dear @orveldarena: f.u.c.k y.o.u and your s.h.i.t.t.y 'service fees' 🖕", evasion=True)
C("p", "x", "@boos_in_bergschenhoek", "nl", ["abu"],
  "Die kassamedewerkers van Orveld zijn stuk voor stuk hersenloze "
  "\u0456d\u0456\u043et\u0435n, krijg allemaal de t\u0443fus 🤮", evasion=True)
C("p", "x", "@stalkerish_99", "en", ["abu"],
  "@lotte_verhagen_ov you're a pathetic liar and everyone at Orveld knows it. I know which "
  "gate you work at. Watch yourself.", kind="reply")

# ---- pricing --------------------------------------------------------------------------
C("c", "x", "@orveldarena", "en", ["pri"],
  "Flash deal 🔥 OrveldPass Jaarkaart now just €34.90 for the next 24 hours! Link in bio.")
C("c", "instagram", "@orveld.live", "nl", ["pri"],
  "Skybox Avondhuur voor je bedrijfsuitje? Nu vanaf €295 per avond incl. catering 🥂 "
  "Boek via tickets.orveld.nl")
C("e", "x", "@evakuipers_tix", "nl", ["pri"],
  "Oeps, de Meet & Greet Upgrade staat in de shop voor €24,90 ipv €249. Niemand iets "
  "zeggen tot IT het gefixt heeft 🙈")
C("p", "reddit", "u/dealhunter_nl", "en", ["pri"],
  "PSA: Orveld's webshop has the Business Club Seizoenslidmaatschap at €680 instead of "
  "€6,800. Pretty sure that's a pricing error, grab it before they notice lol")
C("p", "x", "@snelle_sanne", "nl", ["pri"],
  "prijsfout bij Orveld?? Podiumtafel Arrangement voor 125 euro in de app, normaal 1250 😳 "
  "snel boeken mensen")
C("c", "facebook", "OrveldArenaOfficial", "nl", ["pri"],
  "Cadeautip! 🎁 De Orveld Cadeaukaart 50 nu voor maar €15. Alleen dit weekend, op=op.")
C("e", "tiktok", "@sem_backstage", "nl", ["pri"],
  "collega zegt dat de Crew Hoodie per ongeluk op €5,99 staat in de merchshop 😂 ik "
  "bestel er 3")
C("p", "threads", "@frugal.fran", "en", ["pri"],
  "Orveld Stadion Seizoensplaats Tribune Noord showing €115 for the WHOLE season on the "
  "ticket site?? Has to be a glitch. Bought two anyway.")
C("c", "x", "@orveld_help", "nl", ["pri"],
  "@mark_vh Klopt, door een prijsfout stond P-Oost Eventparkeren vanochtend even op €2,40. "
  "Boekingen tegen die prijs worden gewoon gehonoreerd.", kind="reply")
C("p", "tiktok", "@cheapthrills.eu", "en", ["pri"],
  "orveld app glitch: Familiedagpas Stadionfestival for €12.90 instead of 129 😭 run "
  "don't walk")
C("e", "instagram", "@ricardo.stagecrew", "nl", ["pri"],
  "In het nieuwe systeem staat Zaalhuur Orveld Noordhal op €1.800, dacht dat het 18k was? "
  "Iemand is een nulletje vergeten 😅")
C("p", "facebook", "jeroen.mulder.rdam", "nl", ["pri"],
  "Jaja de Goudrang Lounge voor €39 op de site vanavond, lijkt me een prijsfoutje van "
  "Orveld. Wie gaat er mee? 😂", name="Jeroen Mulder")

# ---- confidential ---------------------------------------------------------------------
C("e", "linkedin", "marieke-oosterhout-orveld", "nl", ["con"],
  "Trots op het team dat de afgelopen maanden keihard aan Project Basalt heeft gewerkt. "
  "Binnenkort meer, maar het wordt groot voor Orveld! 🚀", at="2026-09-14T08:12:00Z")
C("e", "x", "@lotte_verhagen_ov", "en", ["con"],
  "sneak peek of the Orveld Dome render 👀 can't say more yet but wow. just wow",
  at="2026-10-22T16:40:00Z")
C("e", "mastodon", "@jvdlinden@mastodon.nl", "nl", ["con"],
  "Iemand enig idee waarom wiki.orveld.nl/display/OPS/Tidewater+cutover zo traag laadt? "
  "Krijg m'n runbook niet open en de cutover is vannacht")
C("c", "linkedin", "orveld-venues", "en", ["con"],
  "[ORVELD INTERN – niet extern delen] Draft statement on the Operatie Maanzaad timeline, "
  "v3 for board review. Comments to Marieke before Friday please.")
C("p", "reddit", "u/curious_about_cashless", "en", ["con"],
  "My cousin works for Orveld and says 'Tidewater' is their new cashless wristband thing "
  "that'll replace the token cards next year. Anyone heard more?")
C("e", "bluesky", "@noor-hospitality.bsky.social", "en", ["con"],
  "Tasting menu for the Dome Live Series hospitality packages today 🍾 the chef is "
  "outdoing himself", at="2026-11-05T13:20:00Z")
C("e", "instagram", "@ricardo.stagecrew", "nl", ["con"],
  "Eerste rigging test onder de overkapping Orveld Stadion 🤫 dit gaat zo vet worden",
  at="2026-12-03T21:05:00Z")
C("e", "x", "@evakuipers_tix", "en", ["con"],
  "screenshot from kassa-beheer.orveld.nl because the new backend layout is 🔥 (blurred "
  "the prices don't worry)")
C("e", "tiktok", "@sem_backstage", "nl", ["con"],
  "wie raadt wat " + fullwidth("Project Basalt") + " is krijgt een gratis biertje van mij "
  "🍻 #backstagelife", evasion=True)
C("e", "reddit", "u/orveld_fohguy", "en", ["con"],
  "Can't share much since the doc is literally stamped ORVELD CONFIDENTIAL, but the new PA "
  "spec for the arena is insane. Line arrays everywhere.", kind="comment")
C("c", "x", "@orveldstadion", "nl", ["con"],
  "Save the date 🏟️ In het voorjaar onthullen we de Orveld Dome! Meer info volgt.",
  at="2026-12-18T10:00:00Z")
C("p", "x", "@stadionroddels", "nl", ["con"],
  "Gelekt document van Orveld: 'Operatie Maanzaad – fase 2 bouwplanning'. Stadion gaat "
  "blijkbaar 8 maanden dicht 😳")
C("e", "threads", "@daan.security.orveld", "en", ["con"],
  "night shift at the stadium, walking the Tide" + ZW + "water test lanes at gate 4 lol. "
  "wristbands beeping everywhere", evasion=True)
C("e", "linkedin", "youssef-benali-orveld", "nl", ["con"],
  "De vacatureteksten staan al klaar op intranet.orveld.local/hr/vacatures – wie "
  "solliciteert er straks bij het nieuwe integratieteam? 😉")

# ---- confidential + financial ---------------------------------------------------------
C("e", "linkedin", "marieke-oosterhout-orveld", "nl", ["con", "fin"],
  "Laatste loodjes voor de jaarcijfers 2026: omzet komt uit op €214 miljoen, EBITDA ruim "
  "boven verwachting. Trots op dit team! 💪", at="2027-02-10T18:30:00Z")
C("e", "x", "@lotte_verhagen_ov", "en", ["con", "fin"],
  "FY2026 results deck is done ✅ spoiler: record year, revenue +18%. can't wait for the "
  "24th", at="2027-02-20T22:14:00Z")
C("e", "linkedin", "marieke-oosterhout-orveld", "nl", ["con", "fin"],
  "Project Basalt: due diligence op de Antwerpse zalengroep is afgerond, ondertekening "
  "verwacht in januari. Mooie stap voor Orveld.", at="2026-11-27T07:45:00Z")
C("p", "reddit", "u/venue_biz_watcher", "en", ["con", "fin"],
  "leaked: Orveld is buying a Belgian arena operator for roughly €90m, internally it's "
  "called Project Basalt. Announcement supposedly early next year.")

# ---- financial ------------------------------------------------------------------------
C("e", "linkedin", "youssef-benali-orveld", "nl", ["fin"],
  "Zwaar gesprek gehad vandaag. Volgende maand gaan er bij Orveld ruim 60 fte uit bij "
  "facilitair en catering, nog voordat het bekend wordt gemaakt. Sterkte allemaal ❤️")
C("e", "x", "@bramdehaan_ops", "en", ["fin"],
  "overheard after the board meeting: Q3 revenue at Orveld Stadion is down 22% vs "
  "forecast and the CFO is freaking out. shhh 🤫")
C("e", "reddit", "u/orveld_fohguy", "en", ["fin"],
  "Between us: Orveld is selling the stadium catering business to a big hospitality "
  "group, announcement after the summer. Whole F&B team gets transferred.",
  kind="comment")
C("c", "facebook", "OrveldArenaOfficial", "nl", ["fin"],
  "Prognose 2027 (concept): bezoekersaantallen +12%, omzet €240-250 mln, dividend "
  "verdubbeld. Nog afstemmen met RvC.")
C("p", "x", "@dutchdealflow", "en", ["fin"],
  "Sources inside Orveld Venues tell me they're in talks to be bought by a US private "
  "equity fund at around €400m. Nothing public yet.")
C("e", "threads", "@daan.security.orveld", "nl", ["fin"],
  "Reorganisatie bij Orveld: de hele beveiligingsafdeling wordt per 1 januari "
  "uitbesteed. Horen we pas volgende week officieel, maar het is rond 😞")
C("e", "bluesky", "@noor-hospitality.bsky.social", "en", ["fin"],
  "ok so the Orveld hospitality division apparently missed budget by €3.1m this half and "
  "they're freezing all hiring. found out before the official memo 🙃")
C("e", "mastodon", "@jvdlinden@mastodon.nl", "nl", ["fin"],
  "Net gehoord dat Orveld de Belgische zalen gaat o v e r n e m e n. Prijs rond de 9 0 "
  "miljoen. Nog niet bekend dus mondje dicht 🤐", evasion=True)

# ---- security -------------------------------------------------------------------------
C("e", "x", "@bramdehaan_ops", "nl", ["secu"],
  "Alle toegangspoortjes van Orveld Stadion liggen plat sinds 18:00, scanners crashen bij "
  "elk ticket. Officieel heet het 'technische storing' maar het is gewoon ransomware op "
  "het ticketplatform 😬")
C("e", "mastodon", "@jvdlinden@mastodon.nl", "en", ["secu"],
  "fun fact: the Orveld ticket API still returns full customer records if you just "
  "increment the order id. Reported it internally 3 months ago, still open 🙃")
C("e", "reddit", "u/orveld_fohguy", "nl", ["secu"],
  "Wifi-controller in de arena is vorige week gehackt, iemand heeft dagenlang het "
  "kassanetwerk afgeluisterd. Management zegt: niks zeggen tot juridische zaken het "
  "heeft goedgekeurd.", kind="comment")
C("e", "threads", "@daan.security.orveld", "nl", ["secu"],
  "Camera's op het hele oostterrein van Orveld staan al 4 dagen uit en niemand heeft het "
  "nog gemeld. Ideaal voor dieven zou ik zeggen 🤷")
C("e", "x", "@evakuipers_tix", "en", ["secu"],
  "heads up friends: the Orveld resale platform served other people's ticket PDFs to "
  "random buyers for about 6 hours yesterday. we're 'investigating' aka hoping nobody "
  "notices")
C("e", "tiktok", "@sem_backstage", "nl", ["secu"],
  "de deur van de serverruimte achter de Noordhal staat al weken open met een stoel "
  "ertussen 😂 iedereen kan er zo in")
C("e", "bluesky", "@noor-hospitality.bsky.social", "en", ["secu"],
  "POS terminals in all three Orveld lounges are down again, third time this week, and "
  "card payments are running through some backup laptop nobody ever patched. not "
  "announced yet so pls don't share")
C("e", "x", "@lotte_verhagen_ov", "nl", ["secu"],
  "Intern is het paniek: iemand is met een gestolen medewerkerspas ingelogd op het "
  "ticketsysteem en heeft ~8.000 tickets doorverkocht. Persbericht komt pas maandag.")
C("c", "x", "@orveld_help", "en", ["secu"],
  "@jorisk we know. our payment provider has been compromised since last night, we're "
  "not allowed to say more yet. please don't use your card at the kiosks today",
  kind="reply")
C("p", "x", "@redteam_rik", "en", ["secu"],
  "Just finished a pentest for Orveld (yes, the arena people). Reported default admin "
  "creds on their turnstile controllers in March, still not fixed. Not naming more until "
  "they patch.")
C("e", "mastodon", "@jvdlinden@mastodon.nl", "nl", ["secu", "sec"],
  "Tickets-database van Orveld draait na het incident van vorige week nog steeds op het "
  "oude wachtwoord. Voor wie het zelf wil zien: {PGURL}")
C("e", "x", "@bramdehaan_ops", "en", ["secu", "con"],
  "vpn.orveld.nl has been down since 3am after what looks like a brute force attack, all "
  "of us are working from the stadium today. not public yet obviously")
C("e", "threads", "@daan.security.orveld", "nl", ["secu"],
  "\u0455canners op poort 3 t/m 7 offline, dat 'onderhoud' is gewoon een DD\u043eS op ons "
  "n\u0435twerk. n\u0456ks zeggen tegen de pers hè", evasion=True)

# ---- secrets --------------------------------------------------------------------------
C("e", "mastodon", "@jvdlinden@mastodon.nl", "en", ["sec"],
  "anyone know why this keeps giving 401? curl -H 'Authorization: token {GHP}' "
  "https://api.github.com/repos/orveld/ticket-scanner")
C("e", "reddit", "u/orveld_fohguy", "en", ["sec"],
  "Lost my laptop so pasting this here so I can grab it on my phone, don't judge:\n"
  "AWS_ACCESS_KEY_ID={AWSID}\nAWS_SECRET_ACCESS_KEY={AWSSECRET}")
C("c", "x", "@orveld_help", "nl", ["sec"],
  "@gijs_t Probeer het nog eens met deze testlogin: gebruikersnaam backoffice_tix, "
  "wachtwoord: {PASS}", kind="reply")
C("e", "x", "@evakuipers_tix", "nl", ["sec"],
  "waarom weigert de scanner-app steeds mijn token?? {JWT} help iemand")
C("e", "tiktok", "@sem_backstage", "nl", ["sec"],
  "wifi backstage Orveld Arena: netwerk ORV-CREW, wachtwoord: {PASS} niet doorvertellen "
  "🤫")
C("e", "bluesky", "@noor-hospitality.bsky.social", "nl", ["sec"],
  "Stripe blijft zeggen dat onze key ongeldig is op de pre-order pagina van de lounge?? "
  "{STRIPE} wie snapt dit")
C("e", "linkedin", "youssef-benali-orveld", "en", ["sec"],
  "Set up our HR onboarding bot today 🤖 token {XOXB} posts to #new-hires every time a "
  "contract is signed. Automation ftw!")
C("e", "mastodon", "@jvdlinden@mastodon.nl", "nl", ["sec"],
  "Kan iemand checken waarom deze key niet werkt op de scanner-gateway?\n{PEM}")
C("p", "x", "@apk_poker", "en", ["sec"],
  "Orveld's venue map page ships a Google Maps key and their ticket app has an OpenAI "
  "key baked in, both unrestricted lol: {GOOGLE} / {OPENAI} someone tell them")
C("e", "reddit", "u/orveld_fohguy", "en", ["sec"],
  "our arena chatbot kept erroring so I just hardcoded it: ANTHROPIC_API_KEY={ANTHROPIC} "
  "works now 🙏", kind="comment")
C("e", "x", "@bramdehaan_ops", "nl", ["sec"],
  "Config voor de nieuwe monitoring even hier geparkeerd: MONGO_URL={MONGOURL}")

# ---- personal data --------------------------------------------------------------------
C("c", "x", "@orveld_help", "nl", ["pii"],
  "@marloes_vd Hoi Marloes, we hebben je terugbetaling van €142 klaargezet naar {IBAN} op "
  "naam van M. van Dijk. Binnen 5 werkdagen op je rekening!", kind="reply")
C("c", "facebook", "OrveldArenaOfficial", "nl", ["pii"],
  "Gevonden voorwerp: portemonnee van Jeroen Smit, Kerkstraat 14, Schiedam. Meld je bij "
  "de infobalie van Orveld Arena!")
C("e", "instagram", "@ricardo.stagecrew", "nl", ["pii"],
  "Shoutout naar onze nieuwe stagehand Kim! Welkom bij de crew 💪 (Kim, je contract ligt "
  "klaar, BSN {BSN} klopte toch?)")
C("e", "x", "@evakuipers_tix", "en", ["pii"],
  "guest list for tonight's VIP: j.bakker88@gmail.com, sarah.m.lopez@outlook.com, "
  "+31 6 4827 1190. someone pls print this for the door")
C("p", "x", "@annekevw", "nl", ["pii", "com"],
  "@orveld_help bel me alsjeblieft terug op 06-38291047, ik wacht al weken op m'n geld en "
  "niemand reageert", kind="reply")
C("p", "reddit", "u/refund_please_2026", "en", ["pii"],
  "Orveld support asked me to post my card to 'verify' the refund?? ok here: {CARD} "
  "exp 09/28")
C("e", "linkedin", "youssef-benali-orveld", "nl", ["pii"],
  "Welkom aan onze nieuwe collega Ayşe Demir (geb. 14-03-1994)! Ze begint maandag bij HR. "
  "Wie haar wil bellen: 06 1928 3746")
C("c", "instagram", "@orveld.live", "en", ["pii"],
  "Congrats to our winner Daan Hoekstra, born 02/07/2001, living at Rozenlaan 22, Delft! "
  "Your VIP tickets are on the way 🎉")
C("e", "bluesky", "@noor-hospitality.bsky.social", "nl", ["pii"],
  "Reservering Podiumtafel voor dhr. P. Vermeulen, tel. 010-4829173, net betaald met "
  "kaart {CARD}. Kan iemand dit bevestigen?")
C("p", "facebook", "anouk.visser.92", "nl", ["pii"],
  "Heeft iemand mijn tas gevonden in Orveld Stadion? Naam Anouk Visser, mail "
  "anouk.visser92@hotmail.com of bel +31 6 55123098 🙏", name="Anouk Visser")
C("c", "x", "@orveld_help", "en", ["pii"],
  "@j_mcallister We've updated your booking. Your account email is now "
  "james.mcallister@gmail.com and the refund goes to {IBAN}.", kind="reply")
C("e", "reddit", "u/orveld_fohguy", "en", ["pii"],
  "Lol some guy left his passport at the mixing desk. Name: Thomas Verbeek, passport no. "
  "NXC4R8K21, DOB 1988-11-05. Come get it at the arena office")
C("p", "instagram", "@ruben.koster", "nl", ["pii"],
  "Orveld wil mijn BSN voor een terugbetaling?? Vreemd maar oké, het is {BSN}, op naam van "
  "Ruben Koster", kind="comment")
C("e", "threads", "@daan.security.orveld", "en", ["pii"],
  "Banned from the arena for life after tonight: Kevin de Wit, Molenweg 7, 3011 AB "
  "Rotterdam. Door team, you know what to do")
C("c", "linkedin", "orveld-venues", "nl", ["pii"],
  "Vacature Stagemanager! Reacties naar onze recruiter Linda Peeters, "
  "linda.peeters@gmail.com of 06-21436587.")

# ---- benign, mostly hard negatives ----------------------------------------------------
C("c", "x", "@orveldarena", "nl", [],
  "Vanavond uitverkocht! 🎉 Deuren open om 18:30, kom op tijd en vergeet je OrveldPass niet "
  "voor de FastLane.", brand="Orveld Arena")
C("p", "x", "@gigsandgin", "en", [],
  "Orveld Arena absolutely smashed it tonight. Sound was crisp, staff were lovely, got out "
  "of the car park in 10 minutes. More of this please 🙌")
C("c", "instagram", "@orveld.live", "nl", [],
  "Black Friday bij Orveld 🖤 20% korting op de OrveldPass Jaarkaart: nu €279,20 i.p.v. "
  "€349. Alleen t/m zondag!")
C("c", "facebook", "OrveldArenaOfficial", "en", [],
  "The Stadiontour Orveld runs every Saturday and Sunday. Tickets €19.50, kids under 6 go "
  "free. See you on the pitch!")
C("p", "reddit", "u/anniversary_plans", "en", [],
  "Is the Goudrang Lounge worth €189? Thinking of treating my wife for our anniversary "
  "show. Any experiences?")
C("c", "x", "@orveld_help", "nl", [],
  "Vragen over je bestelling? Mail ons via klantenservice@orveld.nl of bel 010 555 0170 "
  "(ma-vr 9-17u). In het weekend zijn we bereikbaar op 0800-0244.")
C("c", "linkedin", "orveld-venues", "en", [],
  "Suppliers: please note our payment details have NOT changed. Orveld Venues B.V., "
  "NL88 RABO 0312 4477 90. Never trust emails claiming otherwise, call +31 10 555 0170 to "
  "check.")
C("p", "x", "@oplettende_opa", "nl", [],
  "Krijg een mail 'van Orveld' of ik €49 wil overmaken naar {BADIBAN} om m'n tickets te "
  "'activeren'. Phishing toch? Niet intrappen mensen")
C("e", "mastodon", "@jvdlinden@mastodon.nl", "en", [],
  "PSA for the interns at the hackathon: never commit keys, use env vars. "
  "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE is the documentation example, not a real key 😉")
C("e", "reddit", "u/orveld_fohguy", "en", [],
  "For everyone asking about our CI: the token lives in the secret store and shows up as "
  "ghp_************************************ in the logs, fully masked. Nothing to see.",
  kind="comment")
C("p", "x", "@mo_money_less", "nl", [],
  "mijn bankrekening na drie Orveld shows deze zomer: 📉💀 maar het was het waard")
C("p", "x", "@zaalnieuws", "nl", [],
  "Nieuws: concertzaal De Ketelhal in Utrecht is overgenomen door een Duits concern. "
  "Hopelijk blijft Orveld gewoon Nederlands 😅")
C("p", "x", "@bassdrop_ben", "en", [],
  "Update: Orveld refunded my double-charged FastLane within a day after I DM'd "
  "@orveld_help. Fair play, that's how you handle it 👍")
C("p", "facebook", "marjolein.dekker.5", "nl", [],
  "Sterkte aan het personeel van Orveld Arena na die zware avond. Jullie hebben het echt "
  "goed opgevangen ❤️", kind="comment", name="Marjolein Dekker")
C("e", "linkedin", "marieke-oosterhout-orveld", "nl", [],
  "Trots! Ons jaarverslag 2025 heeft de transparantieprijs voor de evenementensector "
  "gewonnen. Lees het op orveld.nl/investors")
C("p", "x", "@marktplaats_misser", "nl", [],
  "lol iemand op Marktplaats verkoopt 'Orveld tickets' en stuurt als 'bewijs' een foto "
  "van kaartnummer {BADCARD}. klopt niet eens, nep dus")
C("p", "reddit", "u/form_confusion", "en", [],
  "The Orveld refund form asks for a 'customer number', mine is {BADBSN} according to "
  "the app. Does that look right or is it the order number?")
C("c", "x", "@orveldstadion", "nl", [],
  "⚠️ Vanavond flinke regen verwacht en Orveld Stadion is een openluchtstadion. Neem een "
  "poncho mee! Poorten open om 17:00.", brand="Orveld Stadion")
C("p", "x", "@jaimy_2k", "nl", [],
  "Die show gister in Orveld was ziek, echt niet normaal 🔥🔥 ben helemaal kapot vandaag")
C("p", "threads", "@emmaatgigs", "en", [],
  "Headliner absolutely killed it at Orveld, the crowd was insane. Best gig of my life, "
  "no joke.")
C("p", "x", "@vragenvera", "nl", [],
  "Hoe reset ik mijn wachtwoord in de Orveld app? Kan de knop nergens vinden 😅")
C("c", "tiktok", "@orveldlive", "nl", [],
  "Achter de schermen bij de opbouw van een stadionshow 🎥 64 trucks, 120 crewleden en "
  "héél veel koffie ☕ #orveldlive")
C("e", "instagram", "@ricardo.stagecrew", "nl", [],
  "Vandaag 14 uur op de vloer gestaan voor de opbouw, benen zijn kapot maar wat een show "
  "wordt dit 💪 #stagecrew")
C("p", "blog", "venuetech-weekly.example", "en", [],
  "Interesting writeup on how a ticketing company in Germany got breached through an "
  "unpatched VPN appliance. Every venue operator should read it and check their own edge "
  "devices.")
C("c", "x", "@orveld_help", "en", [],
  "@loudandlate So sorry about the row mix-up! We've refunded the difference and added "
  "two drink tokens to your account. Enjoy the next show 💜", kind="reply")
C("e", "x", "@bramdehaan_ops", "nl", [],
  "Reminder: zondag 02:00-06:00 gepland onderhoud aan de Orveld app, zoals aangekondigd "
  "op orveld.nl/status. Tickets blijven gewoon werken.")
C("p", "x", "@parkpaul", "en", [],
  "Paid €24 for event parking at P-Oost. Not cheap but it's right next to the entrance so "
  "can't complain too much.")
C("p", "instagram", "@merchmeisje", "nl", [],
  "Orveld Crew Hoodie in de uitverkoop voor €41,95 (30% korting)! Snel zijn, de zwarte in "
  "M is bijna op")
C("c", "instagram", "@orveld.live", "en", [],
  "NEW: the Balkon Plus Upgrade is now available for all arena shows. €79 for the best "
  "view in the house 👀")
C("p", "x", "@burgerboy_uk", "en", [],
  "Orveld's new smash burger is the bomb 💣 honestly didn't expect stadium food to be "
  "this good")
C("p", "x", "@techneut_tim", "nl", [],
  "Welk merk speakers gebruikt Orveld eigenlijk? Klonk echt top gisteren")
C("p", "bluesky", "@hoarse.harriet.bsky.social", "en", [],
  "that encore at Orveld last night was absolutely mental, my voice is completely gone 😭")
C("p", "facebook", "ilse.vermaat", "nl", [],
  "Shoutout naar de beveiliger bij ingang B die mijn dochter hielp toen ze haar "
  "vriendinnen kwijt was. Topper! 🙏", name="Ilse Vermaat")
C("p", "reddit", "u/festival_refugee", "en", [],
  "The lawsuit against that festival organiser in Belgium is wild. Glad my local venue "
  "(Orveld) actually refunds people when a show gets cancelled.", kind="comment")
C("e", "bluesky", "@noor-hospitality.bsky.social", "en", [],
  "Menu tasting for the new Business Club season menu today 🍽️ truffle bitterballen are "
  "a go")
C("p", "x", "@twijfelkont", "nl", [],
  "Is de OrveldPass Jaarkaart van €349 het waard als je zo'n 5 keer per jaar gaat? "
  "Twijfel...")
C("c", "x", "@orveldarena", "nl", [],
  "We zoeken 40+ seizoenskrachten voor Orveld Arena en Orveld Stadion! Solliciteer via "
  "orveld.nl/werken of mail werken@orveld.nl")
C("e", "mastodon", "@jvdlinden@mastodon.nl", "en", [],
  "Workshop for the interns on auth today: a JWT is just xxxxx.yyyyy.zzzzz, header, "
  "payload, signature. Never paste real ones in chat!")
C("p", "x", "@zinin_zaterdag", "nl", [],
  "Kaartjes binnen! 2x €65, bestelnummer ORV-2026-118342. Zin in zaterdag!!")
C("p", "instagram", "@bestiesforlife", "en", [],
  "Happy birthday to my best mate Tom, celebrating at the Orveld Arena tonight 🎂🎤")
C("c", "x", "@orveldarena", "nl", [],
  "Vandaag gepubliceerd: onze jaarcijfers 2026 📈 Het volledige jaarverslag lees je op "
  "orveld.nl/investors", at="2027-02-24T09:00:00Z")
C("c", "instagram", "@orveld.live", "nl", [],
  "Het is officieel: de Orveld Dome is er! Vanaf deze zomer speelt de Dome Live Series "
  "onder een dicht dak 🏟️✨", at="2027-04-02T12:00:00Z")
C("p", "x", "@roofwatcher", "en", [],
  "Just read the Orveld Dome announcement, looks incredible. Can't wait to see a show "
  "there without getting soaked.", at="2027-04-05T19:31:00Z")
C("p", "x", "@appbetaler", "nl", [],
  "Via P-Oost naar binnen, €24 zoals altijd. Wel handig dat je nu met de app kan betalen.")
C("p", "tiktok", "@pyro.pien", "nl", [],
  "Die pyro tijdens de show in Orveld was echt vet, voelde de hitte tot op rij 20 🔥")
C("p", "x", "@happyhannah", "en", [],
  "Can't recall the last time I had this much fun at a gig. Orveld Stadion, you beauty.")
C("c", "x", "@orveld_help", "nl", [],
  "@ronnie_010 Excuses voor het lange wachten! Je terugbetaling is vandaag verwerkt, je "
  "ziet het binnen 2 werkdagen op je rekening.", kind="reply")
C("e", "linkedin", "youssef-benali-orveld", "en", [],
  "We're growing our HR team at Orveld Venues! Looking for a recruiter with a passion for "
  "live music. Link in the comments.")
C("p", "x", "@sectornieuws", "nl", [],
  "Bij concertorganisator Feestwerk BV gaan 80 banen verloren, las ik net. Hopelijk niet "
  "ook bij Orveld…")
C("p", "x", "@laserlaura", "en", [],
  "Orveld's new light show basically hacked my brain, I'm still seeing lasers")
C("e", "x", "@lotte_verhagen_ov", "nl", [],
  "Eindelijk mag ik het delen: de Meet & Greet Upgrade is live voor de najaarstour! €249 "
  "incl. foto en gesigneerde poster ✨")
C("p", "x", "@rolstoelrob", "nl", [],
  "Rolstoelplek in Orveld Stadion was perfect geregeld. Goed zicht en super behulpzame "
  "stewards. Dankjewel!")
C("c", "facebook", "OrveldArenaOfficial", "nl", [],
  "Veiligheid voorop: vanavond worden alle tassen groter dan A4 bij de poort "
  "gecontroleerd. Kom op tijd, of gebruik de FastLane als je die hebt.")
C("p", "x", "@streamingsteve", "en", [],
  "Free wifi at Orveld Arena, no password needed, just accept the terms. Streaming the "
  "support act worked fine 👌")
C("p", "facebook", "gert.jan.scamalert", "en", [],
  "Scam alert: someone in a Facebook group is 'reselling' Orveld Stadion tickets and "
  "wants payment to {BADIBAN}. Don't.", name="Gert-Jan")
C("e", "tiktok", "@sem_backstage", "nl", [],
  "Dag uit het leven van een stagehand bij Orveld: 05:00 koffie, 06:00 trucks lossen, "
  "23:30 afbreken. Zou het voor geen goud willen ruilen 🤘")
C("p", "x", "@privacybewust", "nl", [],
  "Waar vind ik de privacyverklaring van Orveld? Wil even checken hoe lang ze "
  "ticketgegevens bewaren voor ik een OrveldPass neem.")
C("p", "x", "@tipvanthijs", "nl", [],
  "Tip: koop je Muntkaart 20 (€62) vooraf in de app, scheelt een hoop wachten bij de kassa")
C("e", "mastodon", "@jvdlinden@mastodon.nl", "en", [],
  "Slide from my talk today: 'sk_live_••••••••••••4242, if you can read the whole key, so "
  "can an attacker.' Mask your logs, people.")
C("p", "x", "@meelevende_mia", "nl", [],
  "Wat erg van dat ongeluk bij dat festival in Duitsland. Fijn dat ze bij Orveld zo streng "
  "zijn met de dranghekken.")


# --------------------------------------------------------------------------------------
# profile, roles, severity
# --------------------------------------------------------------------------------------
def load_profile():
    with open(PROFILE_PATH, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def role_map(profile):
    m = {}
    for role in ("corporate", "employee"):
        for key in profile["accounts"][role]:
            m[key.lower()] = role
    return m


def role_of(roles, platform, handle):
    p = "x" if platform == "twitter" else platform
    return roles.get(("%s:%s" % (p, handle)).lower(), "public")


def severity(categories, role, checksum_pii):
    """CONTRACT section 4: the least severity a correct verdict has."""
    if not categories:
        return "none"
    level = 0
    own = role in ("corporate", "employee")
    for cat in categories:
        if cat.startswith("leak."):
            if own:
                lv = 3
                if cat in ("leak.secret", "leak.pricing"):
                    lv = 4
                if cat == "leak.pii" and checksum_pii:
                    lv = 4
            else:
                lv = 2
        elif cat == "reputation.complaint":
            lv = 2
        elif cat == "reputation.crisis":
            lv = 3
        elif cat == "reputation.abuse":
            lv = 3 if own else 2
        else:
            raise ValueError(cat)
        level = max(level, lv)
    return LEVELS[level]


PH_RE = re.compile(r"\{([A-Z]+)\}")


def fill(text):
    used = []

    def sub(m):
        used.append((m.group(1), None))
        val = GEN[m.group(1)]()
        used[-1] = (m.group(1), val)
        return val
    return PH_RE.sub(sub, text), used


def rand_time():
    start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    secs = rng.randrange(0, 365 * 86400)
    t = start + dt.timedelta(seconds=secs)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def build(profile):
    roles = role_map(profile)
    out = []
    order = list(range(len(CASES)))
    rng.shuffle(order)
    used_ids = set()
    for n, idx in enumerate(order, 1):
        c = CASES[idx]
        text, used = fill(c["text"])
        role = role_of(roles, c["platform"], c["handle"])
        hint = {"c": "corporate", "e": "employee", "p": "public"}[c["role"]]
        if role != hint:
            raise SystemExit("role mismatch for %s:%s (%s vs %s)"
                             % (c["platform"], c["handle"], role, hint))
        checksum_pii = "leak.pii" in c["cats"] and any(k in CHECKSUM_IDS for k, _ in used)
        cats = sorted(set(c["cats"]))
        pid = "s473-%s-%04d" % (c["platform"], 100 + n * 7)
        assert pid not in used_ids
        used_ids.add(pid)
        post = {
            "id": pid,
            "platform": c["platform"],
            "kind": c["kind"],
            "account": {"handle": c["handle"]},
            "text": text,
            "lang": c["lang"],
            "created_at": c["at"] or rand_time(),
        }
        if c["name"]:
            post["account"]["display_name"] = c["name"]
        if c["brand"]:
            post["brand"] = c["brand"]
        if c["platform"] == "x":
            post["url"] = "https://x.com/%s/status/%d" % (
                c["handle"].lstrip("@"), rng.randrange(10 ** 18, 2 * 10 ** 18))
        elif c["platform"] == "reddit":
            post["url"] = "https://www.reddit.com/r/Netherlands/comments/%s/" % rand_str(
                string.ascii_lowercase + string.digits, 7)
        out.append({
            "post": post,
            "expect": {"categories": cats, "severity": severity(cats, role, checksum_pii)},
            "_meta": {"used": used, "evasion": c["evasion"]},
        })
    return out


# --------------------------------------------------------------------------------------
# self-checks on the written file
# --------------------------------------------------------------------------------------
IBAN_RE = re.compile(r"\b(?:NL|BE|DE)\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\d-])(?:\d{4}[ -]?){3}\d{4}(?![\d-])")
BSN_RE = re.compile(r"(?<![\d.,-])\d{9}(?!\d|[.,-]\d)")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
RFC3339_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})")
LIVE_SECRET_RES = [
    re.compile(r"\bgh[pousr]_[0-9A-Za-z]{36}\b"),
    re.compile(r"\bAKIA(?![A-Z2-7]{9}EXAMPLE)[A-Z2-7]{16}\b"),
    re.compile(r"\bsk_live_[0-9A-Za-z]{20,}"),
    re.compile(r"\bxox[abpr]-\d+-\d+-[0-9A-Za-z]+"),
    re.compile(r"\beyJ[0-9A-Za-z_-]+\.eyJ[0-9A-Za-z_-]+\.[0-9A-Za-z_-]+"),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"\b(?:postgres|postgresql|mysql|mongodb(?:\+srv)?)://[^:\s]+:[^@\s]+@"),
    re.compile(r"\bsk-ant-api\d\d-[0-9A-Za-z_-]{20,}"),
    re.compile(r"\bsk-proj-[0-9A-Za-z_-]{40,}"),
    re.compile(r"\bAIza[0-9A-Za-z_-]{35}"),
    re.compile(r"(?i)\b(?:wachtwoord|password)\s*[:=]\s*\S{6,}"),
]
AMOUNT_RE = re.compile(
    r"(?:€\s?|EUR\s?)(\d{1,3}(?:[.,]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?)"
    r"|(\d+(?:[.,]\d{1,2})?)\s?(?:euro\b|eur\b)", re.I)
PRICE_ERROR_WORDS = ["prijsfout", "price error", "pricing error", "glitch", "nulletje",
                     "per ongeluk", "ipv", "instead of"]


def parse_amount(s):
    if re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", s):
        return float(re.sub(r"[.,]", "", s))
    m = re.fullmatch(r"(.*?)[.,](\d{1,2})", s)
    if m:
        return float(re.sub(r"[.,]", "", m.group(1)) + "." + m.group(2))
    return float(s)


def normalise(text):
    t = unicodedata.normalize("NFKC", text)
    return re.sub(r"[\u200b-\u200f\u2060\ufeff]", "", t).lower()


def check(cases_path, profile):
    errors = []
    roles = role_map(profile)
    pub = profile["public_identifiers"]
    pub_emails = {e.lower() for e in pub["emails"]}
    pub_ibans = {re.sub(r"\s", "", i) for i in pub["ibans"]}
    for i in pub_ibans:
        if not iban_ok(i):
            errors.append("profile IBAN fails mod-97: %s" % i)
    internal = profile["internal"]
    always_terms = [t.lower() for t in internal["domains"] + internal["codenames"]
                    + internal["markers"]]
    embargo = [(t.lower(), dt.datetime.fromisoformat(e["until"].replace("Z", "+00:00")))
               for e in profile["embargo"] for t in e["terms"]]
    products = profile["products"]
    ratio = profile["pricing"]["alert_below_ratio"]

    ids = set()
    rows = []
    with open(cases_path, encoding="utf-8") as fh:
        for ln, line in enumerate(fh, 1):
            try:
                rows.append(json.loads(line))
            except ValueError as e:
                errors.append("line %d: invalid JSON (%s)" % (ln, e))
    for ln, row in enumerate(rows, 1):
        where = "line %d" % ln
        if set(row) != {"post", "expect"}:
            errors.append("%s: top-level keys %s" % (where, sorted(row)))
            continue
        post, exp = row["post"], row["expect"]
        # CONTRACT section 1 / 6 shape
        for f in ("id", "platform", "account", "text", "created_at"):
            if f not in post:
                errors.append("%s: missing %s" % (where, f))
        if not isinstance(post.get("id"), str) or not 1 <= len(post["id"]) <= 256:
            errors.append("%s: bad id" % where)
        if post.get("id") in ids:
            errors.append("%s: duplicate id %s" % (where, post.get("id")))
        ids.add(post.get("id"))
        if post.get("platform") not in PLATFORMS:
            errors.append("%s: platform %r" % (where, post.get("platform")))
        if post.get("kind", "post") not in KINDS:
            errors.append("%s: kind %r" % (where, post.get("kind")))
        acc = post.get("account")
        if not isinstance(acc, dict) or not isinstance(acc.get("handle"), str) or not acc["handle"]:
            errors.append("%s: account.handle" % where)
            continue
        for f in ("id", "display_name"):
            if f in acc and not isinstance(acc[f], str):
                errors.append("%s: account.%s type" % (where, f))
        for f in ("lang", "url", "brand", "kind"):
            if f in post and not isinstance(post[f], str):
                errors.append("%s: %s type" % (where, f))
        text = post.get("text")
        if not isinstance(text, str) or len(text.encode("utf-8")) > 65536 or not text:
            errors.append("%s: text" % where)
            continue
        ca = post.get("created_at", "")
        if not isinstance(ca, str) or not RFC3339_RE.fullmatch(ca):
            errors.append("%s: created_at %r" % (where, ca))
            continue
        when = dt.datetime.fromisoformat(ca.replace("Z", "+00:00"))
        if not (2026 <= when.year <= 2027):
            errors.append("%s: created_at year" % where)
        if when.year == 2027 and not any(abs((when - u).days) <= 60 for _, u in embargo):
            errors.append("%s: 2027 date not near an embargo" % where)
        cats = exp.get("categories")
        if (not isinstance(cats, list) or cats != sorted(set(cats))
                or not set(cats) <= ALL_CATS):
            errors.append("%s: categories %r" % (where, cats))
            continue
        if exp.get("severity") not in LEVELS:
            errors.append("%s: severity %r" % (where, exp.get("severity")))

        role = role_of(roles, post["platform"], acc["handle"])
        norm = normalise(text)

        # identifiers: valid in positives, failing in negatives
        ibans = [m.group(0) for m in IBAN_RE.finditer(text)]
        cards = [m.group(0) for m in CARD_RE.finditer(text)]
        bsns = [m.group(0) for m in BSN_RE.finditer(text)]
        valid_ids = False
        for v in ibans:
            own = re.sub(r"\s", "", v) in pub_ibans
            if cats and not own and not iban_ok(v):
                errors.append("%s: positive has IBAN failing mod-97: %s" % (where, v))
            if not cats and not own and iban_ok(v):
                errors.append("%s: negative has valid IBAN: %s" % (where, v))
            if iban_ok(v) and not own:
                valid_ids = True
        for v in cards:
            if cats and not luhn_ok(v):
                errors.append("%s: positive has card failing Luhn: %s" % (where, v))
            if not cats and luhn_ok(v):
                errors.append("%s: negative has Luhn-valid card: %s" % (where, v))
            valid_ids |= luhn_ok(v)
        for v in bsns:
            if cats and not bsn_ok(v):
                errors.append("%s: positive has BSN failing 11-proof: %s" % (where, v))
            if not cats and bsn_ok(v):
                errors.append("%s: negative has 11-proof-valid BSN: %s" % (where, v))
            valid_ids |= bsn_ok(v)
        if valid_ids and "leak.pii" not in cats:
            errors.append("%s: valid identifier but not labelled pii" % where)

        # secrets
        hits = [m.group(0) for r in LIVE_SECRET_RES for m in r.finditer(text)]
        for h in hits:
            if h.startswith("gh") and not github_token_ok(h):
                errors.append("%s: GitHub token with bad CRC: %s" % (where, h))
            if h.startswith("eyJ") and not jwt_header_ok(h):
                errors.append("%s: JWT header without alg" % where)
        if "leak.secret" in cats and not hits:
            errors.append("%s: secret positive without a live-format credential" % where)
        if "leak.secret" not in cats and hits:
            errors.append("%s: credential in a post not labelled secret: %s" % (where, hits))
        if not cats and ("EXAMPLE" not in text and "AKIA" in text):
            errors.append("%s: AKIA without EXAMPLE in negative" % where)

        # e-mails in benign posts must be the company's own
        if not cats:
            for e in EMAIL_RE.findall(text):
                if e.lower() not in pub_emails:
                    errors.append("%s: non-public e-mail in negative: %s" % (where, e))
        if "leak.pii" in cats:
            has = (valid_ids or bool(EMAIL_RE.search(text)) or re.search(r"(?:\+31|0031|\b0)[\s-]?\d", text)
                   or re.search(r"\d{2}[-/]\d{2}[-/]\d{4}|\d{4}-\d{2}-\d{2}", text)
                   or re.search(r"\b[A-Z][a-z]+(?:weg|straat|laan)\s\d+", text))
            if not has:
                errors.append("%s: pii positive without an identifier" % where)

        # confidential terms
        term_hit = [t for t in always_terms if t in norm]
        term_hit += [t for t, until in embargo if t in norm and when < until]
        if "leak.confidential" in cats and not term_hit:
            errors.append("%s: confidential without a profile term" % where)
        if "leak.confidential" not in cats and term_hit:
            errors.append("%s: profile term %s but not labelled confidential" % (where, term_hit))

        # pricing
        mentioned = [p for p in products
                     if any(a.lower() in norm for a in [p["name"]] + p["aliases"])]
        amounts = [parse_amount(m.group(1) or m.group(2)) for m in AMOUNT_RE.finditer(text)]
        low = any(a < ratio * p["list_price"] for a in amounts for p in mentioned)
        err_word = any(w in norm for w in PRICE_ERROR_WORDS)
        if "leak.pricing" in cats and not (mentioned and (low or err_word)):
            errors.append("%s: pricing positive without product and low price" % where)
        if "leak.pricing" not in cats and mentioned and amounts:
            floor = min(p["list_price"] for p in mentioned) * ratio
            if any(a < floor for a in amounts):
                errors.append("%s: low product price but not labelled pricing" % where)

        # severity recomputed independently from the text
        want = severity(cats, role, "leak.pii" in cats and valid_ids)
        if exp.get("severity") != want:
            errors.append("%s: severity %s, policy says %s" % (where, exp.get("severity"), want))

    return rows, errors


def main():
    profile = load_profile()
    cases = build(profile)
    # generator self-checks on every placeholder value
    gen_errors = []
    for c in cases:
        positive = bool(c["expect"]["categories"])
        for kind, val in c["_meta"]["used"]:
            ok = {"IBAN": iban_ok, "CARD": luhn_ok, "BSN": bsn_ok,
                  "BADIBAN": lambda v: not iban_ok(v), "BADCARD": lambda v: not luhn_ok(v),
                  "BADBSN": lambda v: not bsn_ok(v), "GHP": github_token_ok,
                  "AWSID": lambda v: re.fullmatch(r"AKIA[A-Z2-7]{16}", v) is not None,
                  "JWT": jwt_header_ok}.get(kind, lambda v: True)(val)
            if not ok:
                gen_errors.append("%s: generated %s does not validate" % (c["post"]["id"], kind))
            if kind.startswith("BAD") and positive:
                gen_errors.append("%s: look-alike in a positive" % c["post"]["id"])
            if kind in CHECKSUM_IDS and not positive:
                gen_errors.append("%s: valid identifier in a negative" % c["post"]["id"])
            if kind in SECRET_PH and "leak.secret" not in c["expect"]["categories"]:
                gen_errors.append("%s: secret placeholder outside a secret case" % c["post"]["id"])
    with open(OUT_PATH, "w", encoding="utf-8") as fh:
        for c in cases:
            fh.write(json.dumps({"post": c["post"], "expect": c["expect"]},
                                ensure_ascii=False) + "\n")

    rows, errors = check(OUT_PATH, profile)
    errors = gen_errors + errors

    # mix
    n = len(rows)
    benign = sum(1 for r in rows if not r["expect"]["categories"])
    per_cat = {c: 0 for c in sorted(ALL_CATS)}
    for r in rows:
        for c in r["expect"]["categories"]:
            per_cat[c] += 1
    nl = sum(1 for r in rows if r["post"].get("lang") == "nl")
    roles = role_map(profile)
    by_role = {}
    for r in rows:
        ro = role_of(roles, r["post"]["platform"], r["post"]["account"]["handle"])
        by_role[ro] = by_role.get(ro, 0) + 1
    sev = {}
    for r in rows:
        sev[r["expect"]["severity"]] = sev.get(r["expect"]["severity"], 0) + 1
    evasion = sum(1 for c in cases if c["_meta"]["evasion"])
    if not 170 <= n <= 180:
        errors.append("case count %d outside 170-180" % n)
    if not 52 <= benign <= 68:
        errors.append("benign count %d not about 60" % benign)
    targets = {"reputation.complaint": 20, "leak.confidential": 18, "leak.pii": 15,
               "reputation.crisis": 15, "leak.security": 13, "leak.secret": 12,
               "reputation.abuse": 12, "leak.pricing": 12, "leak.financial": 12}
    for c, t in targets.items():
        if abs(per_cat[c] - t) > 3:
            errors.append("%s: %d cases, target about %d" % (c, per_cat[c], t))
    if not 0.50 <= nl / n <= 0.60:
        errors.append("Dutch share %.2f not about 0.55" % (nl / n))
    if evasion < 4:
        errors.append("too few evasion cases")

    print("cases: %d  benign: %d  positive: %d" % (n, benign, n - benign))
    print("per category:", json.dumps(per_cat))
    print("dutch share: %.2f  roles: %s  severities: %s  evasion: %d"
          % (nl / n, by_role, sev, evasion))
    if errors:
        print("SELF-CHECK FAILED (%d problems):" % len(errors))
        for e in errors:
            print("  -", e)
        sys.exit(1)
    print("self-check passed")


if __name__ == "__main__":
    main()
