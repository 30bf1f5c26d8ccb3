#!/usr/bin/env python3
"""Build the sealed evaluation set 453 for postwatch (company: Hoosvast B.V.).

Deterministic: fixed seed, standard library plus PyYAML. Writes cases.jsonl next to
this file and then re-reads and checks it. Exit status 0 only when every check passes.
"""
import base64
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
OUT = os.path.join(HERE, "cases.jsonl")
SEED = 453_2026
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# --------------------------------------------------------------------------------------
# checksums
# --------------------------------------------------------------------------------------

def _iban_num(s):
    return int("".join(str(int(c, 36)) for c in s))


def iban_valid(iban):
    s = iban.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    lengths = {"NL": 18, "BE": 16, "DE": 22}
    if s[:2] in lengths and len(s) != lengths[s[:2]]:
        return False
    return _iban_num(s[4:] + s[:4]) % 97 == 1


def iban_from_bban(country, bban):
    check = 98 - _iban_num(bban + country + "00") % 97
    return f"{country}{check:02d}{bban}"


def luhn_valid(num):
    digits = [int(c) for c in re.sub(r"\D", "", num)]
    if not 13 <= len(digits) <= 19:
        return False
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def bsn_valid(s):
    if not re.fullmatch(r"\d{9}", s) or s == "000000000":
        return False
    total = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return total % 11 == 0


B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase  # 0-9A-Za-z


def base62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def gh_token_valid(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    if not m:
        return False
    return base62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)

# --------------------------------------------------------------------------------------
# look-alike scanners (used for generation and for the self-check)
# --------------------------------------------------------------------------------------

IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![0-9A-Za-z])(?:\d[ -]?){12,18}\d(?![0-9A-Za-z])")
BSN_RE = re.compile(r"(?<![0-9A-Za-z])\d{9}(?![0-9A-Za-z])")
GH_RE = re.compile(r"\bgh[pousr]_[0-9A-Za-z]{36}\b")
AWS_RE = re.compile(r"\bAKIA[0-9A-Z]{16}\b")
JWT_RE = re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
COMPANY_IBANS = {i.replace(" ", "") for i in PROFILE["public_identifiers"]["ibans"]}


def valid_lookalikes(text):
    """All IBAN / card / BSN look-alikes in text that pass their checksum
    (the company's own published IBAN excluded)."""
    found = []
    for m in IBAN_RE.finditer(text):
        v = m.group(0).replace(" ", "")
        if iban_valid(v) and v not in COMPANY_IBANS:
            found.append(("iban", m.group(0)))
    for m in CARD_RE.finditer(text):
        if luhn_valid(m.group(0)):
            found.append(("card", m.group(0)))
    for m in BSN_RE.finditer(text):
        if bsn_valid(m.group(0)):
            found.append(("bsn", m.group(0)))
    return found

# --------------------------------------------------------------------------------------
# generators for identifiers and credentials
# --------------------------------------------------------------------------------------

def rdigits(n):
    return "".join(rng.choice(string.digits) for _ in range(n))


def ralnum(n, alphabet=B62):
    return "".join(rng.choice(alphabet) for _ in range(n))


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def gen_iban_nl():
    bank = rng.choice(["ABNA", "RABO", "INGB", "SNSB", "TRIO", "ASNB", "KNAB", "BUNQ"])
    iban = iban_from_bban("NL", bank + rdigits(10))
    return group4(iban) if rng.random() < 0.5 else iban


def gen_iban_be():
    first = rdigits(10)
    chk = int(first) % 97 or 97
    return group4(iban_from_bban("BE", f"{first}{chk:02d}"))


def gen_card(prefix):
    while True:
        body = prefix + rdigits(15 - len(prefix))
        for d in string.digits:
            if luhn_valid(body + d):
                return group4(body + d)


def gen_bsn():
    while True:
        s = rdigits(9)
        if s[0] != "0" and bsn_valid(s):
            return s


def gen_bad_iban():
    good = iban_from_bban("NL", rng.choice(["INGB", "ABNA"]) + rdigits(10))
    while True:
        pos = rng.randrange(8, 18)
        bad = good[:pos] + str((int(good[pos]) + rng.randrange(1, 10)) % 10) + good[pos + 1:]
        if not iban_valid(bad):
            return group4(bad)


def gen_bad_card():
    good = gen_card("4").replace(" ", "")
    bad = good[:-1] + str((int(good[-1]) + rng.randrange(1, 10)) % 10)
    assert not luhn_valid(bad)
    return group4(bad)


def gen_bad_bsn():
    while True:
        s = rdigits(9)
        if s[0] != "0" and not bsn_valid(s):
            return s


def clean_token(fn):
    """Draw a credential until it contains no accidental checksum-valid look-alike."""
    while True:
        t = fn()
        if not valid_lookalikes(t):
            return t


def gen_github():
    body = ralnum(30)
    return "ghp_" + body + base62(zlib.crc32(body.encode())).rjust(6, "0")


def gen_aws_id():
    return "AKIA" + ralnum(16, string.ascii_uppercase + "234567")


def gen_aws_secret():
    return ralnum(40, string.ascii_letters + string.digits + "/+")


def gen_slack():
    return f"xoxb-{rdigits(12)}-{rdigits(13)}-{ralnum(24, string.ascii_letters + string.digits)}"


def gen_openai():
    al = string.ascii_letters + string.digits + "_-"
    return "sk-proj-" + ralnum(74, al) + "T3BlbkFJ" + ralnum(74, al)


def gen_anthropic():
    al = string.ascii_letters + string.digits + "_-"
    return "sk-ant-api03-" + ralnum(93, al) + "AA"


def gen_stripe():
    return "sk_live_51" + ralnum(97, string.ascii_letters + string.digits)


def gen_mollie():
    return "live_" + ralnum(30, string.ascii_letters + string.digits)


def gen_google():
    return "AIza" + ralnum(35, string.ascii_letters + string.digits + "_-")


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def gen_jwt():
    header = {"alg": "HS256", "typ": "JWT"}
    iat = 1767225600 + rng.randrange(0, 300 * 86400)
    payload = {"sub": f"usr_{rdigits(6)}", "role": "shop-admin", "iss": "auth.hoosvast.local",
               "iat": iat, "exp": iat + 3600}
    sig = bytes(rng.randrange(256) for _ in range(32))
    return ".".join([b64url(json.dumps(header, separators=(",", ":")).encode()),
                     b64url(json.dumps(payload, separators=(",", ":")).encode()),
                     b64url(sig)])


def gen_ssh_key():
    pub = bytes(rng.randrange(256) for _ in range(32))
    priv = bytes(rng.randrange(256) for _ in range(64))
    chk = bytes(rng.randrange(256) for _ in range(4))

    def sstr(b):
        return len(b).to_bytes(4, "big") + b

    pubblob = sstr(b"ssh-ed25519") + sstr(pub)
    privsec = chk + chk + sstr(b"ssh-ed25519") + sstr(pub) + sstr(priv) + sstr(b"jelmer@hv-build01") + b"\x01\x02\x03"
    blob = (b"openssh-key-v1\x00" + sstr(b"none") + sstr(b"none") + sstr(b"") +
            (1).to_bytes(4, "big") + sstr(pubblob) + sstr(privsec))
    b64 = base64.b64encode(blob).decode()
    lines = [b64[i:i + 70] for i in range(0, len(b64), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def gen_password():
    word = rng.choice(["Regenboog", "Plensbui", "Paraplu", "Natwater", "Druppel", "Motregen"])
    return word + rng.choice("!#$%&*") + rdigits(rng.choice([2, 3, 4]))


def gen_db_password():
    return ralnum(8, string.ascii_letters) + rng.choice("!-_") + ralnum(6, string.ascii_letters + string.digits)


def fw(s):
    """Full-width form of an ASCII string (evasion)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" if c == " " else c for c in s)


GENERATORS = {
    # checksum-valid personal identifiers (flagged as such for severity)
    "IBAN_NL": ("valid", gen_iban_nl),
    "IBAN_BE": ("valid", gen_iban_be),
    "CARD_VISA": ("valid", lambda: gen_card("4")),
    "CARD_MC": ("valid", lambda: gen_card(rng.choice(["51", "52", "53", "54", "55"]))),
    "BSN": ("valid", gen_bsn),
    # look-alikes that fail their checksum
    "BAD_IBAN": ("bad", gen_bad_iban),
    "BAD_CARD": ("bad", gen_bad_card),
    "BAD_BSN": ("bad", gen_bad_bsn),
    # the company's own published IBAN
    "CO_IBAN": ("public", lambda: PROFILE["public_identifiers"]["ibans"][0]),
    # credentials
    "GHP": ("secret", lambda: clean_token(gen_github)),
    "AWS_ID": ("secret", lambda: clean_token(gen_aws_id)),
    "AWS_SECRET": ("secret", lambda: clean_token(gen_aws_secret)),
    "SLACK": ("secret", lambda: clean_token(gen_slack)),
    "OPENAI": ("secret", lambda: clean_token(gen_openai)),
    "ANTHROPIC": ("secret", lambda: clean_token(gen_anthropic)),
    "STRIPE": ("secret", lambda: clean_token(gen_stripe)),
    "MOLLIE": ("secret", lambda: clean_token(gen_mollie)),
    "GOOGLE": ("secret", lambda: clean_token(gen_google)),
    "JWT": ("secret", lambda: clean_token(gen_jwt)),
    "SSHKEY": ("secret", lambda: clean_token(gen_ssh_key)),
    "PW": ("secret", gen_password),
    "DBPW": ("secret", gen_db_password),
}

# --------------------------------------------------------------------------------------
# the hand-written posts
# --------------------------------------------------------------------------------------

SHORT = {
    "secret": "leak.secret", "pii": "leak.pii", "pricing": "leak.pricing",
    "conf": "leak.confidential", "fin": "leak.financial", "sec": "leak.security",
    "crisis": "reputation.crisis", "complaint": "reputation.complaint", "abuse": "reputation.abuse",
}

RAW = []


def C(lang, platform, handle, text, cats="", kind="post", when=None, price=None, evasion=False):
    RAW.append(dict(lang=lang, platform=platform, handle=handle, text=text,
                    cats=sorted(SHORT[c] for c in cats.split()), kind=kind, when=when,
                    price=price, evasion=evasion))


# ---- complaints -----------------------------------------------------------------------
C("nl", "x", "@regenjas_ruud", "@hoosvast_help al 3 weken wacht ik op mn retour van de Slagregen jas. 3 mails gestuurd, nul reactie. hoe moeilijk kan het zijn 🙄", "complaint", kind="reply")
C("en", "x", "@wet_in_wokingham", "Bought the Stormkap because it's sold as 'windproof up to 100 km/h'. Turned inside out on the first gusty morning and two ribs snapped. Not impressed, @hoosvast.", "complaint")
C("nl", "facebook", "marloes.timmer.92", "Knipper Mini gaat niet meer dicht, het knopje blijft hangen. Loop ik dus met een open paraplu de trein in 🙃 Klantenservice zegt 'garantie verlopen'. Na 13 maanden. Echt top Hoosvast.", "complaint", kind="comment")
C("en", "reddit", "u/drizzle_dad", "PSA for anyone eyeing the Hoosvast Slagregen jacket: the 'fully taped seams' are taped in maybe half the places. Shoulders soaked through after a 20 min ride in Utrecht. Support's answer was a pdf care guide lol", "complaint", kind="comment")
C("nl", "instagram", "@sanne.fietst", "Besteld op maandag, 'morgen in huis' stond er. Het is vrijdag. Track & trace staat al 4 dagen op 'in sorteercentrum'. Hoosvast doe er iets aan 😤", "complaint", kind="comment")
C("nl", "x", "@tweedehandsjoost", "lol de Plasspringers van mn dochter lekken na 2 weken. letterlijk het enige wat een regenlaars moet kunnen #hoosvast", "complaint")
C("nl", "forum", "Regentonnetje", "Nog steeds geen geld terug voor mijn retour (Druilerig regenbroek, €79,95), inmiddels 5 weken verder. Op de site staat 'binnen 14 dagen'. Iemand hier ook zo'n ervaring met Hoosvast? Ik word er gek van.", "complaint", price=("HV-DRZ-P", 79.95))
C("en", "x", "@commuter_kat", "The hood on the Trapper bike cape is cut so badly it slides over my eyes every time I look over my shoulder. €65 for that? Expected better @hoosvast", "complaint", price=("HV-TRP-C", 65.00))
C("nl", "tiktok", "@lisa.vlogt.nat", "kleur van mn Slagregen jas is na 1x wassen van donkergroen naar een soort snotgrijs gegaan 💀 en ja ik heb het wasvoorschrift gevolgd", "complaint", kind="comment")
C("en", "bluesky", "@tomrains.bsky.social", "Hoosvast's chat bot has now told me three times to 'check my order number' and then closed the chat. I would like to talk to a human about my broken Windtunnel umbrella, please.", "complaint")
C("nl", "x", "@oma_truus_twittert", "Bij Hoosvast word je 25 minuten in de wacht gezet met panfluitmuziek en dan valt de verbinding weg. Voor de derde keer vandaag. Ik geef het op.", "complaint")
C("nl", "reddit", "u/natte_sokken_nl", "Modderpoot laarzen, €89 (!!), zool laat na 2 maanden los bij de hak. Foto's gestuurd, antwoord: 'valt onder normale slijtage'. Nee dus. Nooit meer Hoosvast.", "complaint", kind="comment", price=("HV-MDP-L", 89.00))
C("nl", "x", "@kutweer_kees", "@hoosvast_help jullie zijn echt een stelletje oplichters. paraplu na een week kapot en dan moeilijk doen over een bonnetje. klootzakken", "complaint abuse", kind="reply")
C("en", "x", "@angry_al_88", "@hoosvast your customer service is run by absolute morons. 4 weeks for a refund on a broken jacket. Useless idiots, the lot of you.", "complaint abuse", kind="reply")

# ---- first-hand safety incidents: crisis + complaint ------------------------------------
C("nl", "x", "@jeroen_pendelt", "Mijn Slagregen Warmte jas werd vanochtend op de fiets ineens gloeiend heet bij de accu. Moest 'm langs de weg uittrekken en heb nu een brandplek op mijn heup. Dit kan toch niet @hoosvast?? foto's volgen", "crisis complaint")
C("en", "reddit", "u/umbrella_eye", "The auto-open on our Knipper Mini went off by itself inside my bag and the tip hit my son in the face when I took it out. Three stitches under his eye. Emailed Hoosvast twice with photos, nothing back.", "crisis complaint")
C("nl", "facebook", "ingrid.mulder.utr", "Na het gebruik van de Hoosvast impregneerspray in de gang kreeg ik het zo benauwd dat ik op de spoedeisende hulp ben beland. Op de bus staat nergens dat je moet ventileren. Woedend ben ik.", "crisis complaint")
C("en", "x", "@lightup_lucy", "The battery in my Lichtpunt LED umbrella started smoking while charging on the kitchen table. Melted the handle and scorched the wood. Could've burned the house down. @hoosvast what the hell", "crisis complaint")
C("nl", "instagram", "@mamavan3.nl", "Mijn dochter heeft felrode uitslag op haar kuiten van de Plasspringer laarzen, de huisarts denkt aan een reactie op de kleurstof. Waarom staat daar niks over op het etiket?? 😡", "crisis complaint", kind="comment")

# ---- crisis told by others --------------------------------------------------------------
C("nl", "x", "@waakhond_consument", "TERUGROEPACTIE ⚠️ Hoosvast roept de Slagregen Warmte jas (productiebatch 2026-03) terug wegens oververhitting van de accu. Niet meer gebruiken en de accu loskoppelen, meldt de NVWA.", "crisis")
C("en", "x", "@rainwatch_news", "Reports coming in of a Hoosvast Lichtpunt umbrella battery catching fire on an intercity near Amersfoort. Carriage evacuated, no injuries reported so far.", "crisis")
C("nl", "x", "@actiegroep_eerlijk", "Boycot Hoosvast! Hun 'duurzame' regenjassen komen uit een fabriek waar mensen 14 uur per dag werken voor een hongerloon. Niks meer kopen tot ze opening van zaken geven. #boycothoosvast", "crisis")
C("en", "reddit", "u/privacy_pete", "Pretty sure Hoosvast's webshop got breached. Got a phishing mail today that quoted my exact Stormkap order, my address and the last 4 of my card. They haven't said a word about it. Anyone else?", "crisis")
C("nl", "forum", "juristje_nl", "Via de Consumentenbond gehoord dat er een collectieve claim tegen Hoosvast wordt voorbereid, over de 'levenslange garantie' die ze stilletjes hebben geschrapt. Aanmelden kan via hun site.", "crisis")
C("en", "bluesky", "@greenwash.watch.bsky.social", "Hoosvast's 'PFAS-free' claim does not hold up. An independent lab found PFAS in the coating of the Slagregen jacket. That's a scandal for a brand selling itself on sustainability. Full report below.", "crisis")
C("nl", "tiktok", "@nieuwsvandedag", "Man in Zwolle gewond nadat zijn Hoosvast Stormkap bij harde wind knapte en een balein in zijn oog schoot. Hij is inmiddels geopereerd. #nieuws #zwolle", "crisis")
C("en", "x", "@sam_writes_stuff", "Just read that whole thread about Hoosvast heated jackets burning people. Genuinely scary stuff. Glad I never bought one.", "crisis")
C("nl", "x", "@hoogwaterhenk", "Pas op met die kinderlaarzen van Hoosvast, bij ons op school hebben al 3 kinderen huiduitslag. Een paar ouders overwegen een rechtszaak.", "crisis")
C("en", "facebook", "ParentsUtrechtNoord", "Heads up parents: Hoosvast has pulled the Spetter kids rainsuit after a toddler at a daycare in Zeist nearly choked on a loose toggle. Check your kids' suits!", "crisis")

# ---- abuse -------------------------------------------------------------------------------
C("nl", "x", "@droogkloot", "@hoosvast wat een kankerbedrijf zijn jullie ook", "abuse", kind="reply")
C("en", "x", "@gr1mreaper_uk", "@hoosvast_help whoever runs this account is a brain-dead clown. go cry in the rain, losers", "abuse", kind="reply")
C("nl", "instagram", "@dennis_zegt_het", "Die Marieke van jullie klantenservice is echt een dom wijf, snapt er helemaal niks van", "abuse", kind="comment")
C("en", "tiktok", "@noodles4life", "the girl in this hoosvast ad is so ugly lmao who hired her 🤢", "abuse", kind="comment")
C("nl", "x", "@echtewoede", "@hoosvast st0m3 k|00tz4kk3n zijn jullie, met je lelijke reclames op elke bushalte", "abuse", kind="reply", evasion=True)
C("en", "reddit", "u/xX_stormchaser_Xx", "hoosvast staff are f\u0443cking \u0456diots, every last one of them", "abuse", kind="comment", evasion=True)
C("nl", "x", "@koen_vh_hv", "@regenjas_ruud man hou toch je bek, zeikerd. Lees eerst de voorwaarden voordat je hier gaat janken.", "abuse", kind="reply")
C("en", "x", "@hoosvast_help", "@angry_al_88 maybe learn to read, genius. Nobody here owes you anything, you pathetic little man.", "abuse", kind="reply")
C("nl", "facebook", "henk.devries.1961", "Bij Hoosvast nemen ze alleen nog maar buitenlanders aan, die kunnen niet eens Nederlands. Walgelijk bedrijf, stuur die lui terug waar ze vandaan komen.", "abuse", kind="comment")
C("en", "x", "@mr_drizzle_hater", "@lotte_ontwerpt your designs are as worthless as you are. quit before you embarrass yourself further, nobody wants you there", "abuse", kind="reply")

# ---- pricing -----------------------------------------------------------------------------
C("nl", "instagram", "@hoosvast.nl", "⚡ FLASH DEAL ⚡ Alleen vandaag: de Stormkap voor €8,95! Op = op ☔ #hoosvast #regen", "pricing", price=("HV-STK-01", 8.95))
C("en", "x", "@hoosvast", "Our Slagregen jacket is now just €17.90 in the webshop 🧥 Grab yours before the autumn storms roll in!", "pricing", price=("HV-SLG-J", 17.90))
C("nl", "x", "@koen_vh_hv", "eh collega's, er staat al een uur een prijsfout op de Fairway 130 in de shop, mensen rekenen 'm af voor €6,99. kan iemand van pricing kijken?? 😬", "pricing", price=("HV-FW-130", 6.99))
C("en", "reddit", "u/dealhunter_nl", "PRICE ERROR: Hoosvast Slagregen Warmte heated jacket for €24.90 on their webshop right now, checkout still works. go go go", "pricing", price=("HV-SLG-W", 24.90))
C("nl", "forum", "Pepperfan", "Modderpoot laarzen van Hoosvast voor €12,50 in de webshop. Lijkt me een prijsfout, maar ik heb er toch maar twee besteld 😅", "pricing", price=("HV-MDP-L", 12.50))
C("en", "tiktok", "@hoosvast", "POV: you just found the Duo umbrella for €7.49 in our webshop ☂️☂️ #rainyday #couplegoals", "pricing", price=("HV-DUO", 7.49))
C("nl", "facebook", "HoosvastNL", "Voor de liefhebbers: de Lichtpunt LED-paraplu nu voor €5,99! Alleen dit weekend, zolang de voorraad strekt.", "pricing", price=("HV-LP-LED", 5.99))
C("nl", "linkedin", "noor-bouzid-ops", "Trots op ons team! Deze week gingen er 4.000 Knipper Mini's de deur uit (voor €3,99 door een foutje in de productfeed, oeps 🙈) maar de logistiek draaide als een zonnetje.", "pricing", price=("HV-KNP-MINI", 3.99))
C("en", "x", "@bargain_betty", "lmao the hoosvast site has the Stormkap XL at €10.99 instead of €109.95. someone forgot a digit 👀", "pricing", price=("HV-STK-XL", 10.99))
C("nl", "threads", "@sjoerd.magazijn", "hele dag Plasspringers ingepakt, bleken online voor €4,49 te staan 😂 magazijn ontploft", "pricing", price=("HV-PLS-K", 4.49))
C("en", "bluesky", "@femkestraver.bsky.social", "Heads-up from the webshop team: the Grijpvast gloves are showing as €1.49 in the app because of a pricing bug. Fix goes live tonight, so... maybe don't spread it around 🙊", "pricing", price=("HV-GRV-H", 1.49))
C("nl", "x", "@koopjesjager_mo", "Sl4gr3gen jas voor €19 op hoosvast.nl, prijsfout?? snel zijn mensen", "pricing", price=("HV-SLG-J", 19.00), evasion=True)

# ---- confidential ----------------------------------------------------------------------
C("nl", "x", "@lotte_ontwerpt", "Project Moesson gaat alles veranderen wat jullie van een regenjas dachten. Het prototype hangt naast mijn bureau en ik kan er niet van afblijven 🤫", "conf")
C("en", "linkedin", "ruben-hoekstra-hoosvast", "Great workshop today with the Kraanvogel team, aligning suppliers and timelines for the spring launch. Exciting times at Hoosvast!", "conf")
C("nl", "instagram", "@iris.paraplumaker", "Sneak peek van de Stormkap Pro X 😍 magnetische sluiting en baleinen van carbon. Meer mag ik echt niet zeggen!", "conf")
C("en", "x", "@koen_vh_hv", "anyone know why https://confluence.hv-intern.nl/display/ECOM/Checkout+rewrite keeps timing out? need those specs before standup", "conf")
C("nl", "reddit", "u/hv_devops_jelmer", "Mag eigenlijk niks zeggen, maar op de maandagstart ging het over Operatie Wolkbreuk en ik ben nu al fan. Meer kan ik echt niet kwijt 🤐", "conf", kind="comment")
C("en", "x", "@insider_rumours", "Hearing from a friend at Hoosvast that 'Kraanvogel' is the codename for a kids' line with reflective panels built in. Launch spring 2027 apparently.", "conf")
C("nl", "linkedin", "noor-bouzid-ops", "Vandaag een presentatie gegeven met op elke slide 'STRIKT INTERN' 😅 maar goed, de kern: volgend najaar verkopen we ook waterdichte sneakers. Ik heb er zin in!", "conf")
C("nl", "x", "@marieke_klantcontact", "Kreeg net een mail door met 'Hoosvast internal' bovenaan en jawel, foto's van de Slagregen Ultra. Die kleuren 🔥🔥", "conf")
C("nl", "x", "@hoosvast", "Binnenkort in de shop: de Stormkap Pro X ☔🔥 Stay tuned!", "conf", when="2027-02-20T10:05:00Z")
C("en", "linkedin", "hoosvast-bv", "We're hiring a Senior Product Designer for Project Moesson, our new sustainable outerwear line. Interested? Send your portfolio to werkenbij@hoosvast.nl", "conf")
C("en", "x", "@lotte_ontwerpt", "can't stop sketching for " + fw("PROJECT MOESSON") + " lately, my notebook is 90% raincoats now ✏️", "conf", evasion=True)
C("nl", "instagram", "@iris.paraplumaker", "Vandaag de eerste stalen voor Kraan\u200bvogel binnen 🧵 wat een kleuren", "conf", evasion=True)
C("nl", "x", "@roddelregen", "Wie weet meer over O.p.e.r.a.t.i.e W.o.l.k.b.r.e.u.k bij Hoosvast? Gerucht is dat er een complete afdeling verdwijnt", "conf fin", evasion=True)
C("en", "reddit", "u/throwaway_hv_temp", "Former temp at Hoosvast. The internal doc literally said 'niet extern delen' at the top and listed the colours for the Stormkap Pro X: ochre, slate and a very loud pink.", "conf")
C("nl", "linkedin", "ruben-hoekstra-hoosvast", "Laatste hand gelegd aan de jaarcijfers 2026: omzet +18% naar €42,6 mln en een ebitda ruim boven plan. Trots op dit team! 💪", "conf fin", when="2027-02-10T16:40:00Z")
C("en", "x", "@koen_vh_hv", "can't say much but the FY2026 results are going to surprise a few people 👀 best year the webshop ever had", "conf fin", when="2027-02-18T21:12:00Z")

# ---- financial -------------------------------------------------------------------------
C("nl", "linkedin", "ruben-hoekstra-hoosvast", "Q3 intern doorgerekend: we komen uit op zo'n €11 mln omzet, 20% onder budget door die droge september. Dat wordt een pittig gesprek met de aandeelhouders.", "fin")
C("en", "x", "@koen_vh_hv", "heard at the all-hands that we're in talks to buy Natlab Outdoor. should close before christmas apparently 🤐", "fin")
C("nl", "x", "@marieke_klantcontact", "Net te horen gekregen dat ons klantcontactteam in januari van 24 naar 10 mensen gaat. Niemand weet nog wie. Zit met een knoop in mijn maag.", "fin")
C("en", "linkedin", "noor-bouzid-ops", "Tough news internally today: we'll close the Nieuwegein warehouse in Q2 and move everything to Tilburg. Around 35 roles affected. It hasn't been announced yet, so please be kind to my colleagues.", "fin")
C("nl", "reddit", "u/anoniem_bij_hv", "Werk bij Hoosvast (zeg niet waar). Management vertelde vanochtend dat een Duitse investeerder 60% van de aandelen overneemt. Mag pas in maart naar buiten.", "fin")
C("en", "bluesky", "@femkestraver.bsky.social", "Forecast for next year just landed in my inbox: webshop revenue flat, gross margin down 3 points. Rough. Nobody outside the company knows yet", "fin")
C("en", "x", "@fin_sleuth", "Sources say Hoosvast B.V. has hired bankers for a sale process, valuation talk around €80m. Nothing public yet.", "fin")
C("nl", "mastodon", "@daan_w@mastodon.nl", "Budget 2027 is rond: 40% minder naar marketing. Ben benieuwd hoe we de winter dan doorkomen.", "fin")
C("en", "x", "@hoosvast", "DRAFT, do not post before 09:00: Hoosvast agrees to acquire Danish rainwear label Regnhat ApS for €12m. Quote from CEO tbc", "fin")

# ---- security --------------------------------------------------------------------------
C("nl", "reddit", "u/hv_devops_jelmer", "Sinds gisteravond ligt onze betaalkoppeling eruit, iDEAL-betalingen blijven hangen op 'in behandeling'. Er staat nog geen storingsmelding op de site, dus als je bij ons besteld hebt: niet nog een keer betalen.", "sec")
C("en", "mastodon", "@daan_w@mastodon.nl", "Spent the night patching our checkout after someone figured out they could change the order total in the request body. Still not fully fixed, fingers crossed nobody else notices.", "sec")
C("nl", "x", "@koen_vh_hv", "iemand heeft 3 dagen lang in ons klantenbestand gezeten via een oude admin-login 😳 security zoekt nog uit hoeveel er is meegenomen. 'niks naar buiten brengen' zeggen ze", "sec")
C("en", "linkedin", "noor-bouzid-ops", "Long day. Ransomware hit two of our warehouse servers this morning, scanners are down and we're picking orders on paper. IT says no customer data affected (yet).", "sec")
C("nl", "bluesky", "@femkestraver.bsky.social", "Als je in onze webshop-zoekbalk ' OR 1=1 -- intikt krijg je gewoon alle klantorders te zien 🙃 ticket staat al 2 maanden open", "sec")
C("nl", "threads", "@sjoerd.magazijn", "WMS ligt er al sinds 6 uur vanochtend uit, er gaat vandaag helemaal niks de deur uit. klanten weten nog van niks", "sec")
C("en", "x", "@ex_hv_contractor", "Former contractor here: Hoosvast's staging admin panel is still reachable from the internet without any login. Reported it in March, never fixed.", "sec")
C("nl", "x", "@marieke_klantcontact", "Collega's, niet schrikken: er gaat een phishingmail rond uit naam van onze eigen klantenservice, gisteren is een van onze mailboxen overgenomen. Officieel bericht volgt later.", "sec")
C("en", "reddit", "u/hv_devops_jelmer", "Our S3 bucket with product photos AND invoice PDFs has been public since the migration. Found it this morning. Rotating now, this was the key on it: {AWS_ID} / {AWS_SECRET}", "sec secret")
C("nl", "mastodon", "@daan_w@mastodon.nl", "Onze Mollie-webhook accepteert ongesigneerde requests, dus in theorie kun je elke bestelling op 'betaald' zetten. Fix staat pas voor volgende sprint gepland 🙈", "sec")
C("en", "x", "@koen_vh_hv", "grafana.hv-intern.nl shows checkout errors at 87% since 14:00. we're basically down. status page still says all green lol", "sec conf")
C("nl", "x", "@hoosvast_help", "@nat_pak_anna Klopt, onze systemen zijn sinds gisteren getroffen door een hack en we weten nog niet welke klantgegevens zijn ingezien. Dat mogen we eigenlijk nog niet zeggen, sorry.", "sec", kind="reply")

# ---- secrets ---------------------------------------------------------------------------
C("en", "x", "@koen_vh_hv", "why does this keep giving me 401?? curl -H \"Authorization: token {GHP}\" https://api.github.com/repos/hoosvast/webshop/issues", "secret")
C("nl", "reddit", "u/hv_devops_jelmer", "Snelle vraag, mijn docker-compose wil niet verbinden:\n\nDATABASE_URL=postgres://shop_admin:{DBPW}@db-prod.hoosvast.local:5432/webshop\n\nIemand een idee?", "secret conf")
C("en", "mastodon", "@daan_w@mastodon.nl", "For the record, the Slack bot token {SLACK} is the old one and has been revoked... I think?", "secret")
C("nl", "x", "@marieke_klantcontact", "Voor de nieuwe collega's: inloggen op het klantportaal met gebruikersnaam kc_team en wachtwoord: {PW} (niet verder vertellen 🤫)", "secret")
C("en", "bluesky", "@femkestraver.bsky.social", "Testing our new product-description generator and it works great. Key is {OPENAI} if anyone on the team wants to play with it", "secret")
C("nl", "forum", "scriptkiddo_nl", "Gevonden in de JavaScript van hoosvast.nl:\nconst MOLLIE_KEY = '{MOLLIE}';\nlol serieus? wie doet dit", "secret")
C("en", "reddit", "u/hv_devops_jelmer", "ugh, ssh keeps refusing this key. can someone tell me what's wrong with the format?\n\n{SSHKEY}", "secret")
C("nl", "x", "@koen_vh_hv", "Waarom krijg ik een 401 met deze token? Authorization: Bearer {JWT}", "secret")
C("en", "x", "@lotte_ontwerpt", "ok so the copy tool needs a claude key, using mine for now: {ANTHROPIC} don't burn through it pls 😅", "secret")
C("nl", "mastodon", "@daan_w@mastodon.nl", "Stripe-koppeling voor de Duitse shop draait. live key: {STRIPE} — zet ik vanavond in de vault", "secret")
C("en", "x", "@leaky_louis", "lol the Hoosvast android app ships with a Google Maps key right in the strings file: {GOOGLE}", "secret")
C("nl", "threads", "@sjoerd.magazijn", "wifi wachtwoord: {PW} voor de scanners, hangt ook gewoon op de deur van de kantine 😂", "secret")

# ---- personal data ---------------------------------------------------------------------
C("nl", "x", "@hoosvast_help", "@sanne_fietst Hoi Sanne, gevonden! We sturen je pakket opnieuw naar Sanne de Groot, Lindelaan 14, 3581 AB Utrecht. Klopt dat adres nog?", "pii", kind="reply")
C("en", "x", "@hoosvast_help", "@wet_in_wokingham Your refund of €89.95 has gone out to {IBAN_NL} (J. Whitfield). Should land within 2 working days!", "pii", kind="reply")
C("en", "x", "@marieke_klantcontact", "if anyone sees tickets from g.vanleeuwen1958@hotmail.com just forward them to me, same lady, same order, 6th time this week 😅", "pii")
C("nl", "reddit", "u/hv_devops_jelmer", "Debuggen van de betaalstraat en in de logs staat gewoon een volledig kaartnummer: {CARD_VISA} exp 08/28. Dat hoort toch gemaskeerd te zijn??", "pii sec")
C("en", "linkedin", "noor-bouzid-ops", "Happy birthday to our warehouse lead Bram Verschoor, who turns 50 today (born 14-03-1976)! 🎉 Cake in the canteen at 3.", "pii", when="2026-03-14T08:12:00Z")
C("nl", "x", "@koen_vh_hv", "Wie kent deze klant? Pieter Bosman, geb. 02-11-1983, BSN {BSN}, stond zo op een retourformulier dat hier binnenkwam. Geen idee waarom mensen dat invullen", "pii")
C("en", "x", "@nat_pak_anna", "@hoosvast_help just call me please, this has dragged on long enough. my number is +31 6 24 87 11 90, home after 5", "pii complaint", kind="reply")
C("nl", "instagram", "@sanne.fietst", "Mijn mailadres is sanne.degroot.utr@gmail.com, stuur het retourlabel daar maar naartoe aub", "pii", kind="comment")
C("nl", "facebook", "kees.vdberg.5", "Geld mag terug op {IBAN_NL} t.n.v. K. van den Berg, bedankt alvast", "pii", kind="comment")
C("en", "threads", "@sjoerd.magazijn", "parcel for Ayla Demir, Kerkstraat 88B, 2011 KP Haarlem has come back 3 times now. anyone know what's going on? she's called 5x", "pii")
C("nl", "x", "@marieke_klantcontact", "Klant belde net en las gewoon haar hele creditcard voor: {CARD_MC}, en of we die konden 'opslaan voor de volgende keer'. Nee mevrouw 😂", "pii")
C("en", "forum", "oldmanrain", "Some guy posted his full passport details in the Hoosvast support forum: Tom Verhagen, passport NR4K7XJ29. Mods should take that down.", "pii")
C("nl", "mastodon", "@daan_w@mastodon.nl", "Testdata is geen testdata als er echte klanten in staan: 'Fatma Yilmaz, Wilhelminastraat 3, 6524 AK Nijmegen, 06-48213977' 🤦", "pii")
C("en", "x", "@hoosvast", "Winner of our autumn giveaway: Lieke Hendriks (lieke.hendriks91@gmail.com)! Please DM us your address 🎉", "pii")
C("nl", "x", "@koen_vh_hv", "Terugbetaling voor die Belgische klant handmatig gedaan naar {IBAN_BE}, kan iemand even dubbelchecken?", "pii")

# ---- benign (mostly hard negatives) ----------------------------------------------------
C("nl", "x", "@blijdemoeder", "Wat een fijne paraplu, die Stormkap. Gisteren door een hoosbui naar school gefietst en droog aangekomen ☔👍 #hoosvast")
C("en", "instagram", "@rainy.rosie", "Obsessed with my new Koepel umbrella. The clear dome means I can actually see where I'm going for once lol", kind="comment")
C("nl", "x", "@hoosvast", "Storm op komst 🌬️ Tip: klap je paraplu in bij windkracht 8 of meer, geen enkele paraplu is daartegen bestand. Kom veilig thuis!")
C("en", "x", "@hoosvast_help", "Questions about your order? Email klantenservice@hoosvast.nl or call +31 30 799 4410 (Mon–Fri, 9–17). We're happy to help!")
C("nl", "facebook", "HoosvastNL", "Liever zelf overmaken? Ons rekeningnummer voor facturen is {CO_IBAN} t.n.v. Hoosvast B.V. Vermeld wel je ordernummer 🙏")
C("en", "reddit", "u/gearnerd", "Is the Hoosvast Slagregen jacket worth €179? Comparing it with a Rains and a Didriksons. Any owners here?", price=("HV-SLG-J", 179.00))
C("nl", "instagram", "@hoosvast.nl", "Herfstsale 🍂 20% korting op alle Knipper Mini's: nu €31,96 in plaats van €39,95. Alleen deze week!", when="2026-10-12T08:00:00Z", price=("HV-KNP-MINI", 31.96))
C("en", "x", "@hoosvast", "Black Friday ⛳☔ Fairway 130 golf umbrella down to €52.46 (25% off), today only.", when="2026-11-27T07:00:00Z", price=("HV-FW-130", 52.46))
C("nl", "x", "@studentjesse", "Stormkap gescoord voor €71,96 in de sale, beste aankoop van het jaar", price=("HV-STK-01", 71.96))
C("en", "x", "@cloudnerd_petra", "Reminder for tomorrow's AWS workshop: the docs use AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY as example keys. Never paste your real ones in the chat 🙏")
C("nl", "x", "@koen_vh_hv", "Tip van de dag voor devs: tokens horen niet in je code. Zet GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx in een .env en commit die nooit.")
C("en", "reddit", "u/hv_devops_jelmer", "Rotated everything after the audit. Config now just says `STRIPE_KEY=sk_live_****************` and the real value comes from the vault. Feels good.")
C("nl", "x", "@rekenwonder", "Iemand op Marktplaats wilde dat ik voor een tweedehands Stormkap betaalde op {BAD_IBAN}, maar mijn bankapp gaf meteen aan dat dat rekeningnummer niet bestaat. Toch maar niet gedaan 😅")
C("nl", "x", "@papa_van_twee", "Mijn zoontje speelt winkeltje met een nep-pinpas, 'kaartnummer' {BAD_CARD} 🙈 en hij verkoopt alleen Hoosvast-paraplu's. Marketingafdeling, bel me.")
C("nl", "x", "@blije_klant_bo", "Ordernummer {BAD_BSN} is binnen, supersnel geleverd! Bedankt Hoosvast 🙌")
C("en", "x", "@wet_in_wokingham", "Update: @hoosvast_help sorted my broken Stormkap within a day, a new one arrived this morning. Credit where it's due 👏")
C("nl", "x", "@nieuwegein_nu", "Sterkte aan de mensen van Hoosvast in Nieuwegein na de brand bij het bedrijf naast hun magazijn. Gelukkig is niemand gewond geraakt 🙏")
C("en", "x", "@gadget_gus", "Wow, Nordkapp Gear is recalling its heated gloves after battery fires. Glad my rain stuff from Hoosvast has no batteries in it 😅")
C("nl", "x", "@fietsfanaat_z", "Dit weer is echt klote, gelukkig heb ik m'n Hoosvast jas 😂")
C("en", "x", "@londonlad_ed", "Holy shit this storm. My Hoosvast Stormkap is the only umbrella on the whole street still in one piece lol")
C("nl", "linkedin", "hoosvast-bv", "Wij zoeken een Klantenservicemedewerker (32–40 uur) in Nieuwegein! Solliciteer via werkenbij@hoosvast.nl 💧")
C("en", "linkedin", "ruben-hoekstra-hoosvast", "As published in our half-year update this morning: webshop revenue up 12% on last year. Proud of everyone who made that happen.", when="2026-08-20T09:30:00Z")
C("nl", "x", "@belgische_bea", "Weet iemand of Hoosvast ook naar België levert? Zoek een Trapper fietscape voor mijn dochter")
C("en", "bluesky", "@femkestraver.bsky.social", "Had a great day at the Hoosvast summer BBQ, and yes, of course it rained 😂☔")
C("nl", "tiktok", "@hoosvast", "Hoe vouw je een Knipper Mini netjes op? Zo dus 👇 #lifehack #paraplu")
C("en", "youtube", "@HoosvastTV", "How we test every Stormkap in our wind tunnel at 100 km/h. Spoiler: lots of broken prototypes before we got it right.")
C("nl", "x", "@opa_gerrit", "Mijn Hoosvast paraplu is inmiddels 8 jaar oud en doet het nog steeds. Dat kan ik van mijn auto niet zeggen")
C("en", "reddit", "u/mum_of_teen", "Anyone know the wifi password at the Hoosvast outlet store? Asking for my teenager who has no data left 😂")
C("nl", "x", "@marieke_klantcontact", "Wachtwoord vergeten voor je Hoosvast-account? Via 'Inloggen' > 'Wachtwoord vergeten' krijg je binnen een minuut een resetlink. Graag gedaan 😊")
C("en", "x", "@umbrella_otto", "Picked up the Stormkap Pro X yesterday. Worth the hype? Early days, but that magnetic closure is slick", when="2027-03-15T12:03:00Z")
C("nl", "x", "@beursbengel", "De jaarcijfers 2026 van Hoosvast zijn eigenlijk best goed, +18% omzet in een droog jaar", when="2027-03-01T08:45:00Z")
C("en", "x", "@birder_bas", "Kraanvogels over the Oostvaardersplassen this morning 🐦 and of course it started pouring. Good thing the Knipper lives in my bag")
C("nl", "instagram", "@reizende_ruth", "Moessonregen op Bali 🌧️ en mijn Slagregen jas hield me compleet droog. Aanrader!")
C("en", "x", "@sunday_sophie", "The Hoosvast help account replied within 10 minutes on a Sunday. Wild. More companies should do this.")
C("nl", "x", "@vraagbaak_vera", "Is de Slagregen Warmte eigenlijk veilig om in de stromende regen te dragen, met die accu erin? Vraag me dat altijd af")
C("en", "x", "@amsterdam_alex", "Went to the Hoosvast pop-up in Amsterdam. Staff were lovely and let me test six umbrellas under their rain machine 😂")
C("nl", "x", "@hoosvast_help", "@oma_truus_twittert Wat vervelend dat u zo lang in de wacht stond! We bellen u vandaag nog terug. Excuses hiervoor 🙏", kind="reply")
C("en", "x", "@hoosvast", "Heads up: deliveries in the north are running a day or two late because of the storm. Your orders are safe and on their way. Thanks for your patience!")
C("nl", "x", "@hoosvastfan", "Vraag over je bestelling? Gewoon Hoosvast bellen op 0800-2846, gratis en ze zijn supervriendelijk 👍")
C("nl", "forum", "Regenexpert", "Vergelijking regenbroeken: de Druilerig van Hoosvast (€79,95) tegen die van de Action (€9,99). Verschil is gigantisch, de Druilerig wint met afstand.", price=("HV-DRZ-P", 79.95))
C("nl", "x", "@lotte_ontwerpt", "Vandaag een gastles gegeven op de Design Academy over duurzame regenkleding. Wat een slimme studenten!")
C("en", "mastodon", "@daan_w@mastodon.nl", "Reading up on JWTs today. Reminder that the payload is just base64, so never put secrets in it. The example from jwt.io: eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")
C("nl", "x", "@geel_is_mooi", "Ik heb de Knipper Mini in het geel gekocht en nu wil mijn hele kantoor er een. Hoosvast moet me commissie betalen 😂")
C("en", "reddit", "u/dealhunter_nl", "PSA: Hoosvast has 15% off rain pants this week, the Druilerig is €67.96 instead of €79.95.", price=("HV-DRZ-P", 67.96))
C("nl", "facebook", "anouk.brink.3", "Eerlijk is eerlijk: mijn klacht over de kapotte rits is netjes opgelost. Nieuwe jas gekregen zonder gezeur. Bedankt Hoosvast!", kind="comment")
C("nl", "x", "@eigenwijze_els", "Boycot? Welnee. Ik koop gewoon lekker mijn paraplu's bij Hoosvast, ze maken goeie spullen en daarmee uit.")
C("en", "x", "@hoosvast", "Happy 10th birthday to us 🎂 From a tiny umbrella stall in Utrecht to a team of 60 and a webshop. Thank you all!")
C("nl", "linkedin", "ruben-hoekstra-hoosvast", "Mooi artikel in het FD vandaag over de Nederlandse outdoormarkt, Hoosvast wordt genoemd als snelle groeier 💪")
C("nl", "x", "@beursbezoeker", "Gisteren bij de stand van Hoosvast op de Fiets en Wandelbeurs, ze gaven gratis Tasdroog hoezen weg! 🎁")
C("en", "x", "@cynical_cyril", "'Windproof umbrella' is an oxymoron, change my mind. (ok fine, the Hoosvast Windtunnel survived today, I'll give them that)")
C("en", "x", "@grateful_greg", "The lady from Hoosvast support (shoutout Marieke!) stayed on the phone with me for 20 mins to track down my order. Legend.")
C("nl", "x", "@juf_femke", "De Lichtpunt LED-paraplu van Hoosvast is de hit op het schoolplein als het donker is 🔦☔")
C("en", "instagram", "@hoosvast.nl", "Giveaway time! 🎉 Win a Slagregen jacket (worth €179). Tag a friend who's always soaked.", price=("HV-SLG-J", 179.00))
C("nl", "x", "@hoosvast", "Vanaf vandaag gratis retourneren binnen 30 dagen, ook voor de Modderpoot laarzen. Vragen? Mail retouren@hoosvast.nl")
C("en", "x", "@random_raindrop", "My umbrella literally exploded in the wind today. Not a Hoosvast one, obviously. Lesson learned.")
C("nl", "x", "@rotterdammer_rik", "Wat een wolkbreuk vanmiddag in Rotterdam! Stormkap hield stand, mijn schoenen niet 😅")
C("nl", "x", "@hoosvast", "Vandaag publiceren we onze jaarcijfers 2026: omzet €42,6 mln (+18%). Het volledige persbericht staat op hoosvast.nl/pers", when="2027-02-26T07:30:00Z")
C("en", "instagram", "@hoosvast.nl", "It's here ☔ Meet the Stormkap Pro X: carbon ribs, magnetic closure, built for Dutch autumns. Now in the webshop.", when="2027-03-10T09:15:00Z")
C("nl", "x", "@hoosvast", "Let op: er gaan nepmails rond uit naam van Hoosvast. Wij vragen NOOIT om je wachtwoord of pincode. Twijfel? Mail klantenservice@hoosvast.nl")
C("nl", "x", "@golfer_gijs", "Iemand ervaring met de Fairway 130 op de baan? €69,95 vind ik prima als hij een beetje wind aankan", price=("HV-FW-130", 69.95))

# --------------------------------------------------------------------------------------
# build
# --------------------------------------------------------------------------------------

RANK = ["none", "info", "warning", "error", "critical"]
CORP = {a.lower() for a in PROFILE["accounts"]["corporate"]}
EMPL = {a.lower() for a in PROFILE["accounts"]["employee"]}
PREFIX = {"x": "x", "instagram": "ig", "facebook": "fb", "linkedin": "li", "tiktok": "tt",
          "youtube": "yt", "reddit": "rd", "mastodon": "md", "bluesky": "bs", "threads": "th",
          "forum": "fo"}


def role_of(platform, handle):
    key = f"{platform}:{handle}".lower()
    if key in CORP:
        return "corporate"
    if key in EMPL:
        return "employee"
    return "public"


def severity(cats, role, checksum_pii):
    sev = "none"
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                s = "error"
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and checksum_pii):
                    s = "critical"
            else:
                s = "warning"
        elif c == "reputation.complaint":
            s = "warning"
        elif c == "reputation.crisis":
            s = "error"
        elif c == "reputation.abuse":
            s = "warning" if role == "public" else "error"
        else:
            raise ValueError(c)
        if RANK.index(s) > RANK.index(sev):
            sev = s
    return sev


def fill(text):
    used = []

    def sub(m):
        kind, fn = GENERATORS[m.group(1)]
        v = fn()
        used.append((m.group(1), kind, v))
        return v

    return re.sub(r"\{([A-Z_]+)\}", sub, text), used


START = datetime(2026, 1, 2, tzinfo=timezone.utc)
SPAN = int((datetime(2026, 12, 30, tzinfo=timezone.utc) - START).total_seconds())

cases, meta = [], []
ids = set()
for r in RAW:
    text, used = fill(r["text"])
    role = role_of(r["platform"], r["handle"])
    checksum_pii = any(kind == "valid" for _, kind, _ in used)
    when = r["when"] or (START + timedelta(seconds=rng.randrange(SPAN))).strftime("%Y-%m-%dT%H:%M:%SZ")
    while True:
        num = str(rng.randrange(10**17, 10**18)) if r["platform"] == "x" else str(rng.randrange(10**7, 10**8))
        pid = f"{PREFIX[r['platform']]}-{num}"
        if pid not in ids:
            ids.add(pid)
            break
    post = {"id": pid, "platform": r["platform"], "kind": r["kind"],
            "account": {"handle": r["handle"]}, "text": text, "created_at": when}
    if rng.random() < 0.85:
        post["lang"] = r["lang"]
    if r["platform"] == "x":
        post["url"] = f"https://x.com/{r['handle'].lstrip('@')}/status/{num}"
    if rng.random() < 0.5:
        post["brand"] = "hoosvast"
    cases.append({"post": post, "expect": {"categories": r["cats"],
                                           "severity": severity(r["cats"], role, checksum_pii)}})
    meta.append(dict(r, role=role, used=used, filled=text))

with open(OUT, "w", encoding="utf-8") as fh:
    for c in cases:
        fh.write(json.dumps(c, ensure_ascii=False) + "\n")

# --------------------------------------------------------------------------------------
# self-check
# --------------------------------------------------------------------------------------

errors = []


def fail(i, msg):
    errors.append(f"case {i}: {msg}")


PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
TAXONOMY = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"}
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
ZW = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")


def norm(s):
    return ZW.sub("", unicodedata.normalize("NFKC", s)).lower()


def ts(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def word_in(term, text):
    return re.search(r"(?<![0-9a-z])" + re.escape(term.lower()) + r"(?![0-9a-z])", text) is not None


# profile
pi = PROFILE["public_identifiers"]
if len(PROFILE["accounts"]["corporate"]) < 6 or len(PROFILE["accounts"]["employee"]) < 8:
    errors.append("profile: too few accounts")
if len({a.split(":")[0] for a in PROFILE["accounts"]["corporate"] + PROFILE["accounts"]["employee"]}) < 4:
    errors.append("profile: too few platforms")
for ib in pi["ibans"]:
    if not iban_valid(ib):
        errors.append(f"profile: IBAN {ib} fails mod-97")
if len(PROFILE["internal"]["codenames"]) != 3 or len(PROFILE["internal"]["markers"]) != 3:
    errors.append("profile: need 3 codenames and 3 markers")
if not 1 <= len(PROFILE["embargo"]) <= 2 or any(not str(e["until"]).startswith("2027") for e in PROFILE["embargo"]):
    errors.append("profile: embargo entries")
if not 15 <= len(PROFILE["products"]) <= 25:
    errors.append("profile: product count")
if any(p["currency"] != "EUR" or not p["aliases"] for p in PROFILE["products"]):
    errors.append("profile: product fields")
if PROFILE["pricing"]["alert_below_ratio"] != 0.5:
    errors.append("profile: pricing ratio")
LIST = {p["sku"]: float(p["list_price"]) for p in PROFILE["products"]}

# re-read the file and check every line against CONTRACT section 6
with open(OUT, encoding="utf-8") as fh:
    lines = fh.read().splitlines()
seen = set()
for i, line in enumerate(lines):
    try:
        obj = json.loads(line)
    except ValueError as e:
        fail(i, f"invalid JSON: {e}")
        continue
    if set(obj) != {"post", "expect"}:
        fail(i, "top-level keys")
    p, e = obj["post"], obj["expect"]
    if not isinstance(p.get("id"), str) or not 1 <= len(p["id"]) <= 256 or p["id"] in seen:
        fail(i, "id")
    seen.add(p.get("id"))
    if p.get("platform") not in PLATFORMS:
        fail(i, "platform")
    if p.get("kind", "post") not in KINDS:
        fail(i, "kind")
    if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
        fail(i, "account.handle")
    if not isinstance(p.get("text"), str) or not p["text"] or len(p["text"].encode("utf-8")) > 65536:
        fail(i, "text")
    if not isinstance(p.get("created_at"), str) or not RFC3339.match(p["created_at"]):
        fail(i, "created_at")
    else:
        ts(p["created_at"])
        if p["created_at"][:4] not in ("2026", "2027"):
            fail(i, "created_at year")
    for opt in ("lang", "url", "brand"):
        if opt in p and not isinstance(p[opt], str):
            fail(i, opt)
    cats = e.get("categories")
    if not isinstance(cats, list) or cats != sorted(set(cats)) or not set(cats) <= TAXONOMY:
        fail(i, "categories")
    if e.get("severity") not in RANK:
        fail(i, "severity value")
    if not cats and e.get("severity") != "none":
        fail(i, "benign must be none")

if len(lines) != len(cases):
    errors.append("line count")

# semantic checks
now_terms = [(t, ts(en["until"])) for en in PROFILE["embargo"] for t in en["terms"]]
for i, (c, m) in enumerate(zip(cases, meta)):
    p, e = c["post"], c["expect"]
    cats, text = e["categories"], p["text"]
    nt = norm(text)
    role = role_of(p["platform"], p["account"]["handle"])
    # severity recomputed from the profile role
    chk = any(k == "valid" for _, k, _ in m["used"])
    if e["severity"] != severity(cats, role, chk):
        fail(i, "severity mismatch")
    # checksum-valid identifiers only in PII positives, and they must pass
    for name, kind, v in m["used"]:
        if kind == "valid":
            ok = iban_valid(v) if name.startswith("IBAN") else luhn_valid(v) if name.startswith("CARD") else bsn_valid(v)
            if not ok or "leak.pii" not in cats:
                fail(i, f"valid identifier {name} problem")
        if kind == "bad":
            ok = iban_valid(v) if "IBAN" in name else luhn_valid(v) if "CARD" in name else bsn_valid(v)
            if ok or cats:
                fail(i, f"bad look-alike {name} passes or sits in a positive")
    if "leak.pii" in cats:
        for mm in IBAN_RE.finditer(text):
            if not iban_valid(mm.group(0)):
                fail(i, "IBAN in PII positive fails mod-97")
    else:
        if valid_lookalikes(text):
            fail(i, f"checksum-valid look-alike outside a PII positive: {valid_lookalikes(text)}")
    # GitHub tokens: valid in positives, invalid in negatives
    for mm in GH_RE.finditer(text):
        if gh_token_valid(mm.group(0)) != ("leak.secret" in cats):
            fail(i, "github token checksum vs label")
    for mm in AWS_RE.finditer(text):
        if "leak.secret" not in cats and not mm.group(0).endswith("EXAMPLE"):
            fail(i, "AWS key id in negative")
    for mm in JWT_RE.finditer(text):
        hdr = json.loads(base64.urlsafe_b64decode(mm.group(0).split(".")[0] + "==="))
        if "alg" not in hdr:
            fail(i, "JWT header without alg")
    if "leak.secret" in cats and not (m["used"] or "wachtwoord" in nt):
        fail(i, "secret positive without a credential")
    # codenames / markers / internal domains => confidential
    for term in PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"]:
        if word_in(term, nt) and "leak.confidential" not in cats:
            fail(i, f"'{term}' present but not confidential")
    for dom in PROFILE["internal"]["domains"]:
        if dom in nt and "leak.confidential" not in cats:
            fail(i, f"internal domain {dom} present but not confidential")
    for term, until in now_terms:
        if term.lower() in nt:
            before = ts(p["created_at"]) < until
            if before and "leak.confidential" not in cats:
                fail(i, f"embargo term '{term}' before until but not confidential")
            if not before and not cats == [] and "leak.confidential" in cats:
                fail(i, f"embargo term '{term}' after until labelled confidential")
    if not cats:
        for term in PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"]:
            if word_in(term, nt):
                fail(i, "benign contains internal term")
    # pricing
    if m["price"]:
        sku, price = m["price"]
        ratio = price / LIST[sku]
        if "leak.pricing" in cats and ratio >= 0.5:
            fail(i, "pricing positive not below ratio")
        if "leak.pricing" not in cats and ratio < 0.5:
            fail(i, "price below ratio but not pricing")
    if "leak.pricing" in cats and not m["price"]:
        fail(i, "pricing positive without price")
    # evasion posts contain something non-plain
    tricks = (ZW.search(text) or re.search("[\u0400-\u04ff\uff01-\uff5e]", text)
              or re.search(r"(?:\b\w\.){4,}", text) or re.search(r"[A-Za-z][0-9|][A-Za-z]", text))
    if m["evasion"] and not tricks:
        fail(i, "evasion flag without evasion")

# the mix
n = len(cases)
benign = sum(1 for c in cases if not c["expect"]["categories"])
count = {}
for c in cases:
    for cat in c["expect"]["categories"]:
        count[cat] = count.get(cat, 0) + 1
TARGET = {"reputation.complaint": 20, "leak.confidential": 18, "leak.pii": 15, "reputation.crisis": 15,
          "leak.security": 13, "leak.secret": 12, "reputation.abuse": 12, "leak.pricing": 12,
          "leak.financial": 12}
if not 170 <= n <= 180:
    errors.append(f"case count {n}")
if not 55 <= benign <= 65:
    errors.append(f"benign count {benign}")
for cat, t in TARGET.items():
    if abs(count.get(cat, 0) - t) > 2:
        errors.append(f"{cat}: {count.get(cat, 0)} (target ~{t})")
nl = sum(1 for m in meta if m["lang"] == "nl")
if not 0.50 <= nl / n <= 0.60:
    errors.append(f"Dutch share {nl / n:.2f}")
leak_roles = [m["role"] for m in meta if any(c.startswith("leak.") for c in m["cats"])]
rep_roles = [m["role"] for m in meta if any(c.startswith("reputation.") for c in m["cats"])]
if not (leak_roles.count("public") >= 5 and leak_roles.count("public") < len(leak_roles) / 3):
    errors.append("leak authorship mix")
if rep_roles.count("public") < 0.8 * len(rep_roles):
    errors.append("reputation authorship mix")
if sum(1 for m in meta if m["evasion"]) < 5:
    errors.append("too few evasion posts")
if sum(1 for c in cases if c["post"]["created_at"].startswith("2027")) < 3:
    errors.append("too few 2027 posts")

if errors:
    print("SELF-CHECK FAILED", file=sys.stderr)
    for err in errors:
        print("  " + err, file=sys.stderr)
    sys.exit(1)

print(f"wrote {OUT}: {n} cases, {benign} benign, Dutch {nl}/{n}")
for cat in sorted(count):
    print(f"  {cat:22s} {count[cat]}")
sev = {}
for c in cases:
    sev[c["expect"]["severity"]] = sev.get(c["expect"]["severity"], 0) + 1
print("  severities:", {k: sev.get(k, 0) for k in RANK})
print("  roles:", {r: sum(1 for m in meta if m["role"] == r) for r in ("corporate", "employee", "public")})
