#!/usr/bin/env python3
"""Sealed evaluation set 250 for postwatch: Blauwkieuw Aquatics B.V. (aquarium & pond supplies).

Deterministic: fixed seeds, standard library + PyYAML only.
Writes cases.jsonl beside this file and self-checks it:
  * every line is a valid CONTRACT section-6 case;
  * severities are computed from the account role in profile.yaml (CONTRACT section 4);
  * every IBAN / card / BSN in a pii positive passes its checksum, every look-alike
    elsewhere fails it;
  * generated credentials follow their real formats (GitHub CRC-32, JWT header with alg);
  * codenames, markers, internal hosts and embargoed terms only appear where labelled;
  * prices next to products are far below list only in pricing positives.
"""
import base64
import json
import os
import random
import re
import sys
import unicodedata
import zlib
from collections import Counter
from datetime import datetime, timedelta, timezone

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))

rng = random.Random(250250)      # secrets and personal identifiers
rng_t = random.Random(2502026)   # timestamps and order

B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
URLSAFE = B62 + "-_"
B32AWS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
B64STD = B62 + "+/"


def rs(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


# ---------------------------------------------------------------- checksums
def iban_valid(iban):
    s = re.sub(r"\s", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{8,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(country, bban):
    r = bban + country + "00"
    cd = 98 - int("".join(str(int(c, 36)) for c in r)) % 97
    return f"{country}{cd:02d}{bban}"


def nl_iban(bank):
    return make_iban("NL", bank + "".join(str(rng.randrange(10)) for _ in range(10)))


def bad_iban(iban):
    # change the last digit: mod-97 catches every single-digit change
    d = int(iban[-1])
    out = iban[:-1] + str((d + rng.randrange(1, 10)) % 10)
    assert not iban_valid(out)
    return out


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def luhn_valid(num):
    ds = [int(c) for c in num][::-1]
    tot = 0
    for i, d in enumerate(ds):
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        tot += d
    return tot % 10 == 0


def make_card(prefix, length=16):
    body = prefix + "".join(str(rng.randrange(10)) for _ in range(length - len(prefix) - 1))
    for c in "0123456789":
        if luhn_valid(body + c):
            return body + c
    raise AssertionError


def bad_card(num):
    out = num[:-1] + str((int(num[-1]) + 3) % 10)
    assert not luhn_valid(out)
    return out


def bsn_valid(num):
    if not re.fullmatch(r"\d{9}", num):
        return False
    w = [9, 8, 7, 6, 5, 4, 3, 2, -1]
    return sum(int(c) * x for c, x in zip(num, w)) % 11 == 0


def make_bsn():
    while True:
        first8 = str(rng.randrange(1, 7)) + "".join(str(rng.randrange(10)) for _ in range(7))
        s = sum(int(c) * x for c, x in zip(first8, [9, 8, 7, 6, 5, 4, 3, 2]))
        last = s % 11
        if last < 10:
            out = first8 + str(last)
            assert bsn_valid(out)
            return out


# ---------------------------------------------------------------- credentials
def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def gh_token(prefix="ghp_"):
    body = rs(B62, 30)
    return prefix + body + b62(zlib.crc32(body.encode()), 6)


def gh_valid(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()), 6) == m.group(2)


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def make_jwt():
    header = {"alg": "HS256", "typ": "JWT"}
    payload = {"sub": "svc-voorraad", "role": "warehouse_admin", "store": "UTR-01",
               "iat": 1767312000 + rng.randrange(0, 20_000_000)}
    payload["exp"] = payload["iat"] + 86400
    return ".".join([b64url(json.dumps(header, separators=(",", ":")).encode()),
                     b64url(json.dumps(payload, separators=(",", ":")).encode()),
                     b64url(rng.randbytes(32))])


def jwt_header_ok(tok):
    head = tok.split(".")[0]
    try:
        h = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    except Exception:
        return False
    return isinstance(h, dict) and "alg" in h


def make_ssh_key():
    raw = (b"openssh-key-v1\x00\x00\x00\x00\x04none\x00\x00\x00\x04none\x00\x00\x00\x00"
           b"\x00\x00\x00\x01\x00\x00\x003\x00\x00\x00\x0bssh-ed25519\x00\x00\x00 ")
    raw += rng.randbytes(330)
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


GH1 = gh_token("ghp_")
AWS_ID = "AKIA" + rs(B32AWS, 16)
AWS_SECRET = rs(B64STD, 40)
STRIPE = "sk_live_51" + rs(B62, 97)
SLACK = f"xoxb-{rng.randrange(10**11, 10**12)}-{rng.randrange(10**12, 10**13)}-{rs(B62, 24)}"
OPENAI = "sk-proj-" + rs(URLSAFE, 74) + "T3BlbkFJ" + rs(URLSAFE, 74)
ANTHROPIC = "sk-ant-api03-" + rs(URLSAFE, 93) + "AA"
SSHKEY = make_ssh_key()
JWT = make_jwt()
PG_URL = "postgresql://webshop_rw:Tr0p1sch!Aq2026@db-prod.intra.blauwkieuw.local:5432/shop"
GLPAT = "glpat-" + rs(URLSAFE, 20)
SENDGRID = "SG." + rs(URLSAFE, 22) + "." + rs(URLSAFE, 43)

IBAN_A = nl_iban("ABNA")
IBAN_B = nl_iban("INGB")
IBAN_C = nl_iban("SNSB")
IBAN_BAD1 = bad_iban(nl_iban("RABO"))
IBAN_BAD2 = bad_iban(nl_iban("ASNB"))
CARD_A = make_card("4929")
CARD_B = make_card("5412")
CARD_BAD = bad_card(make_card("6011"))
BSN_A = make_bsn()
BSN_B = make_bsn()
BSN_BAD = "123456789"
assert not bsn_valid(BSN_BAD)


def dashes(card):
    return "-".join(card[i:i + 4] for i in range(0, len(card), 4))


ZW = "\u200b"


def zw(s):
    return ZW.join(s)


def fw(s):
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# ---------------------------------------------------------------- cases
CATS = {
    "complaint": "reputation.complaint", "crisis": "reputation.crisis", "abuse": "reputation.abuse",
    "secret": "leak.secret", "pii": "leak.pii", "pricing": "leak.pricing",
    "conf": "leak.confidential", "fin": "leak.financial", "sec": "leak.security",
}
CASES = []


def P(platform, handle, lang, text, cats=(), when=None, price=None, kind=None, ck=None):
    CASES.append(dict(platform=platform, handle=handle, lang=lang, text=text,
                      cats=sorted(CATS[c] for c in cats), when=when, price=price, kind=kind, ck=ck))


# ---- leak.pii -------------------------------------------------------------
P("x", "@blauwkieuw_help", "nl",
  "@hanneke_vis Gevonden! De vervangende Golfslag gaat morgen naar H. Dijkstra, Zonnedauwlaan 7, "
  "8447 GK Heerenveen. Klopt dat adres nog? 🐟", ["pii"])
P("x", "@dennis_bk", "nl",
  "die meneer Verbeek heeft vandaag 4x gebeld over z'n koi. wie wil hem terugbellen, 06-41782290, "
  "ik ben er klaar mee 😩", ["pii"])
P("facebook", "BlauwkieuwAquatics", "nl",
  f"Beste mevrouw Bakker, excuses voor het lange wachten. Het bedrag van €187,50 is vandaag teruggestort op "
  f"{group4(IBAN_A)} t.n.v. M.J. Bakker. Fijne avond!", ["pii"], kind="comment", ck=True)
P("linkedin", "anouk-van-leeuwen-bk", "en",
  "Proud moment: our loyal customer Fatma Yildiz (born 14-08-1979) just hit 20 years of keeping discus, so we "
  "sent her a cake 🎂 Drop her a line at fatma.yildiz79@gmail.com to congratulate!", ["pii"])
P("x", "@robkoster_nl", "nl",
  f"@blauwkieuw_help 6 weken!!! nog steeds geen geld terug voor die retour. hier, {IBAN_B} t.n.v. R. Koster, "
  f"maak het nou gewoon over", ["pii", "complaint"], kind="reply", ck=True)
P("x", "@lena.fishes", "en",
  f"@blauwkieuw_help you charged me twice for the same Nano Cube order?? card is {group4(CARD_B)}, check your "
  f"system and refund the second one please", ["pii", "complaint"], kind="reply", ck=True)
P("x", "@yusuf_tanks", "nl",
  f"Iemand van HR hier? De nieuwe magazijncollega Bram Peeters heeft z'n BSN gestuurd ({BSN_A}) maar z'n "
  f"contract staat nog nergens, waar moet dit heen", ["pii"], ck=True)
P("x", "@tjeerd_vijver", "nl",
  "@blauwkieuw al drie dagen geen reactie op m'n mail over de kapotte pomp. bel me gewoon even terug: "
  "+31 6 2384 1107. Tjeerd", ["pii", "complaint"], kind="reply")
P("instagram", "@kim.aquascapes", "en",
  "Congrats to Lars Vermeulen, born 3 November 1990 and somehow already the best nano scaper I know 🌿 "
  "winner of our store contest! #aquascaping #nanotank", ["pii"])
P("x", "@blauwkieuw_help", "nl",
  f"@sjaak_aquaria Uw betaling met kaart {dashes(CARD_A)} is helaas geweigerd door de bank. "
  f"Probeert u het nog eens met iDEAL?", ["pii"], kind="reply", ck=True)
P("bluesky", "@lotte-bk.bsky.social", "en",
  "for whoever handles the coral import tomorrow: supplier contact is Mr. Tan Wei Ming, mobile +65 9123 4567, "
  "he prefers WhatsApp. don't lose it again 🙃", ["pii"])
P("x", "@reefdad_ams", "en",
  "That manager at the Blauwkieuw Utrecht store who laughed at my dead fish? Ilse Meijer, Kastanjelaan 12, "
  "Bunnik. Go pay her a visit, she's got it coming.", ["pii", "abuse"])
P("x", "@marloes_koivijver", "nl",
  "Kan iemand vandaag b.vandam1966@hotmail.com mailen over z'n vijverfolie? Hij wacht al een week en ik sta "
  "de hele dag op de beurs", ["pii"])
P("facebook", "ans.hofstede.54", "nl",
  f"Voor de huurkoop van onze koivijver moest ik mijn BSN invullen: {BSN_B}. Is dat normaal bij zo'n regeling? "
  f"Eerste keer dat ik zoiets doe.", ["pii"], ck=True)
P("linkedin", "blauwkieuw-aquatics", "nl",
  "Welkom Noor Hamdan, onze nieuwe teamleider klantenservice! 🎉 Tot haar werkaccount klaar is, is Noor "
  "bereikbaar via noor.hamdan@gmail.com en 06 19 84 33 70.", ["pii"])
P("x", "@priya_bkdata", "en",
  f"refund stuck in the queue again, can finance push it manually? account {zw(IBAN_C)} (customer P. de Graaf)",
  ["pii"], ck=True)

# ---- leak.secret ----------------------------------------------------------
P("x", "@dennis_bk", "nl",
  f"waarom krijg ik 401 op de deploy-action?? secrets staan er gewoon in\nGITHUB_TOKEN={GH1}\nhelp 🙏", ["secret"])
P("reddit", "u/bk_evert", "en",
  f"Boto3 keeps throwing SignatureDoesNotMatch on our bucket, config below, what am I missing?\n\n[default]\n"
  f"aws_access_key_id = {AWS_ID}\naws_secret_access_key = {AWS_SECRET}\nregion = eu-west-1", ["secret"])
P("x", "@blauwkieuw", "nl",
  f"test checkout-koppeling, NIET publiceren: {STRIPE}", ["secret"])
P("linkedin", "ruben-hoekstra-blauwkieuw", "en",
  f"Built a little Slack bot that pings the shop floor when a tank drifts out of temperature 🐠 Snippet for the "
  f"curious:\n\nSLACK_BOT_TOKEN = \"{SLACK}\"\nclient.chat_postMessage(channel=\"#winkelvloer\", text=alert)",
  ["secret"])
P("bluesky", "@lotte-bk.bsky.social", "en",
  f"ok generating 400 product descriptions took 11 minutes 🤯 key from the notebook if anyone on the team wants "
  f"to play: {OPENAI}", ["secret"])
P("reddit", "u/bk_evert", "en",
  f"Ansible can't log into our staging box, the key looks fine to me?\n\n{SSHKEY}\n\nany ideas?", ["secret"])
P("x", "@priya_bkdata", "nl",
  f"Waarom weigert de voorraad-API dit token? verlopen ofzo?\nAuthorization: Bearer {JWT}", ["secret"])
P("x", "@yusuf_tanks", "nl",
  f"voor de nieuwe collega's, connection string van de webshop-db:\n{PG_URL}\nniet kwijtraken 😉",
  ["secret", "conf"])
P("threads", "@sander.vijvers", "nl",
  "voor de winkel Arnhem, de NAS in de achterkamer: gebruiker beheer, w a c h t w o o r d: Gr0ndel#88vis "
  "— en NIET op een post-it plakken ajb", ["secret"])
P("x", "@devnoor", "en",
  f"lol @blauwkieuw your freelancer just pasted his GitLab token in the AquaSense community forum: {GLPAT} "
  f"somebody tell him before someone else finds it", ["secret"])
P("threads", "@sander.vijvers", "en",
  f"tried Claude for writing fish care sheets, honestly pretty good. key's on the shared drive but here for "
  f"the lazy ones: {ANTHROPIC}", ["secret"])
P("x", "@marloes_koivijver", "nl",
  f"nieuwsbrieftool doet raar, mails komen niet aan. SendGrid key klopt volgens mij gewoon: {SENDGRID} iemand?",
  ["secret"])
P("x", "@priya_bkdata", "nl",
  "wifi + kassa voor de pop-up op de beurs 👇\nwifi: BK-Beurs / wachtwoord: Sluierstaart2026!\n"
  "kassa: pos-admin / wachtwoord: Vlinderkarper#41", ["secret"])

# ---- leak.confidential ----------------------------------------------------
P("x", "@dennis_bk", "nl",
  "Kiezelpad wordt echt ziek goed. Eindelijk een vijverfilter die je vanaf je telefoon terugspoelt 🤫 zeg niks",
  ["conf"])
P("linkedin", "ruben-hoekstra-blauwkieuw", "nl",
  "Trots op het team achter Project Zeepaardje. Ik mag er nog niks over zeggen, maar het derde kwartaal wordt "
  "spannend voor iedereen met een rifaquarium.", ["conf"])
P("x", "@yusuf_tanks", "nl",
  "Operatie Waterhyacint = 4 filialen dicht (Emmen, Heerlen, Den Helder, Tiel) en zo'n 60 banen weg. "
  "Horen we vrijdag pas officieel. Lekker dan.", ["conf", "fin"])
P("x", "@priya_bkdata", "en",
  "who's picking up https://jira.blauwkieuw.nl/browse/SHOP-4412 ? checkout rounding bug, been open for 3 weeks",
  ["conf"])
P("x", "@marloes_koivijver", "nl",
  "planning vijverseizoen staat op wiki.bk-intern.nl/seizoen-2027, check even je diensten voor april", ["conf"])
P("facebook", "BlauwkieuwAquatics", "nl",
  "BK-INTERN — concepttekst: 'Vanaf 1 juni stoppen wij met de verkoop van levende koi via de webshop.' "
  "Graag feedback van marketing vóór donderdag.", ["conf"])
P("instagram", "@kim.aquascapes", "nl",
  "Eerste test met de Helder 150 Panorama in de winkel 😍😍 die gebogen voorruit… nog even geheimhouden!!",
  ["conf"])
P("x", "@koi_karin", "en",
  "a friend who works at Blauwkieuw says the VijverPuur Smart comes out next spring, app-controlled backwash "
  "and everything", ["conf"])
P("linkedin", "anouk-van-leeuwen-bk", "en",
  "Slide from today's supplier review (Blauwkieuw Confidential): private-label KoiVitaal margin 61%, production "
  "moves to Thailand in Q2. Big shift for us!", ["conf"])
P("threads", "@sander.vijvers", "nl",
  "intern - niet verspreiden: inkoopprijzen Golfslag pompen gaan per 1 juli +9%. Niet tegen klanten zeggen "
  "voordat het in de folder staat.", ["conf"])
P("x", "@priya_bkdata", "en",
  "the new dashboards on grafana.blauwkieuw.internal are 🔥 finally seeing conversion per store live", ["conf"])
P("x", "@dennis_bk", "en",
  "signed an NDA for the test panel of our new saltwater food line. can't say a thing except that it smells "
  "like shrimp 🦐", ["conf"])
P("x", "@marloes_koivijver", "nl",
  f"{zw('Kiezelpad')} demo morgen 10:00 in de testruimte, taart is geregeld 🎂", ["conf"])
P("x", "@yusuf_tanks", "en",
  "Pr\u043eject Z\u0435\u0435paardje sprint review moved to friday, tell the reef team", ["conf"])
P("linkedin", "ruben-hoekstra-blauwkieuw", "nl",
  "De jaarresultaten 2026 zien er goed uit: omzet +18%, beste jaar ooit. Pas in maart officieel, maar ik ben "
  "nu al trots op dit team.", ["conf", "fin"])
P("instagram", "@kim.aquascapes", "en",
  "FY2026 results are in and it's a record year 🍾 can't share numbers until March but the champagne is cold",
  ["conf", "fin"])

# ---- leak.security --------------------------------------------------------
P("x", "@dennis_bk", "nl",
  "webshop ligt al 2 uur plat, ransomware op de orderserver. we mogen van boven niks zeggen tot de pers erachter "
  "komt. succes klantenservice 🫠", ["sec"])
P("reddit", "u/bk_evert", "en",
  "Found out today that our AquaSense controllers accept firmware updates without any signature check. Anyone on "
  "the same wifi can flash them. Fix is 'planned'. Yeah.", ["sec"])
P("x", "@yusuf_tanks", "nl",
  "Vannacht heeft iemand in ons klantenbestand gezeten, IT heeft het over 40.000 records met adressen. Officieel "
  "weten we van niks. Voel me er echt rot over.", ["sec", "crisis"])
P("x", "@marloes_koivijver", "nl",
  "iDEAL-koppeling al sinds 6 uur vanochtend stuk, er komt geen enkele betaling binnen. statuspagina zegt nog "
  "steeds 'alles operationeel' haha", ["sec"])
P("linkedin", "anouk-van-leeuwen-bk", "en",
  "The admin login at /beheer has zero rate limiting. I could brute-force it in an afternoon. Flagged it to "
  "management in February, nothing happened.", ["sec"])
P("threads", "@sander.vijvers", "nl",
  "vpn.blauwkieuw.nl ligt eruit sinds de patch van gisteren, hele hoofdkantoor zit thuis duimen te draaien en "
  "niemand weet wanneer het terug is", ["sec", "conf"])
P("bluesky", "@lotte-bk.bsky.social", "en",
  "every handheld scanner in our warehouse is infected with some virus. all offline, we're writing packing slips "
  "by hand like it's 1995", ["sec"])
P("x", "@oudcollega_jeroen", "en",
  "ex-Blauwkieuw dev here. their order API still lets you view any customer's order by just incrementing the ID. "
  "reported it in 2025, still open. not my problem anymore", ["sec"])
P("x", "@priya_bkdata", "nl",
  "phishingmail ging vanochtend naar 12 collega's en 3 hebben netjes hun wachtwoord ingevuld 🤦 IT rent rond, "
  "alle sessies worden gereset", ["sec"])
P("reddit", "u/bk_evert", "en",
  "PSA from someone who knows: the KoelKern 250 firmware lets you disable the over-temp cutoff from the app "
  "without the PIN. Patch is slated for Q3. Until then I wouldn't leave one unattended.", ["sec"])
P("x", "@blauwkieuw_help", "nl",
  "intern - niet verspreiden: storing klantportaal, inloggen onmogelijk, oorzaak onbekend. NIET naar buiten "
  "communiceren tot IT groen licht geeft.", ["sec", "conf"])
P("x", "@dennis_bk", "nl",
  "webshop ligt plat door een DD0S s1nds 8u, Cl0udflare vangt de helft op en we h0uden het st1l tot het "
  "voorbij is 🤐", ["sec"])

# ---- leak.financial -------------------------------------------------------
P("x", "@marloes_koivijver", "nl",
  "Q3-omzet 22% hoger dan vorig jaar!! mag pas in november naar buiten maar ik móest het even kwijt 🥳", ["fin"])
P("x", "@dennis_bk", "en",
  "not supposed to say this but we're getting bought by a big German pet chain. signing is next month. "
  "wild times", ["fin"])
P("linkedin", "anouk-van-leeuwen-bk", "en",
  "The board cut our 2027 forecast by 15% this morning. Rough day in the office, and it isn't even public yet.",
  ["fin"])
P("x", "@frankvdl", "nl",
  "zwager werkt op het hoofdkantoor van Blauwkieuw, zegt dat er na de zomer 80 man uit moet. Nog niks over naar "
  "buiten gebracht.", ["fin"])
P("threads", "@sander.vijvers", "nl",
  "klantenservice gaat naar Lissabon, ons hele team wordt per 1 maart opgeheven. nog niet officieel, we horen "
  "het via de wandelgangen 😶", ["fin"])
P("x", "@yusuf_tanks", "en",
  "heads up to my investor friends: Blauwkieuw is buying AquaFlandria, the Belgian chain. announcement Tuesday. "
  "you didn't hear it from me", ["fin"])
P("linkedin", "blauwkieuw-aquatics", "nl",
  "CONCEPT persbericht – Blauwkieuw verwacht over het eerste halfjaar een verlies van €4,2 miljoen door de natte "
  "lente en hogere energiekosten. [nog niet publiceren]", ["fin"])
P("bluesky", "@lotte-bk.bsky.social", "nl",
  "begroting 2027 gezien: drie winkels dicht, webshopbudget verdubbeld. snap het wel maar toch 😕", ["fin"])
P("x", "@priya_bkdata", "en",
  "our EBITDA margin this quarter is hovering around 3%... the earnings call is going to be fun", ["fin"])

# ---- leak.pricing ---------------------------------------------------------
P("x", "@blauwkieuw", "nl",
  "🔥 Flash deal: Golfslag 5000 vijverpomp nu voor €49! Alleen vandaag op blauwkieuw.nl", ["pricing"],
  price=("Golfslag 5000", 49.00))
P("instagram", "@blauwkieuw.aquaria", "nl",
  "KoelKern 250 chiller deze week voor maar €99,- 🧊 je koralen bedanken je in augustus", ["pricing"],
  price=("KoelKern 250", 99.00))
P("x", "@dennis_bk", "nl",
  "Helder 120 staat op de site voor €68,90 😂 iemand is een nul vergeten. al 40 bestellingen binnen", ["pricing"],
  price=("Helder 120", 68.90))
P("x", "@tanktalk_tom", "en",
  "ClearRay 36W for €14.90 on the Blauwkieuw shop?? price error or am I dreaming. ordered 3", ["pricing"],
  price=("ClearRay 36W", 14.90))
P("x", "@dealjager_nl", "nl",
  "PRIJSFOUT bij Blauwkieuw!! VijverPuur 10000 drukfilter voor €39,90 🚨 snel zijn voordat ze het zien #prijsfout",
  ["pricing"], price=("VijverPuur 10000", 39.90))
P("instagram", "@kim.aquascapes", "nl",
  "sssst, foutje in de kassa: de Koraalgloed 90 gaat er vandaag voor €79 door. snel naar de winkel 🤫", ["pricing"],
  price=("Koraalgloed 90", 79.00))
P("facebook", "BlauwkieuwAquatics", "nl",
  "Alleen vandaag: StroomKlaar 1500 buitenfilter voor €25,90! Op = op.", ["pricing"],
  price=("StroomKlaar 1500", 25.90))
P("reddit", "u/pondlife_joe", "en",
  "Got the SlibSlurper for €120 yesterday, checkout didn't even blink. Glitch or are they clearing stock?",
  ["pricing"], price=("SlibSlurper", 120.00))
P("tiktok", "@blauwkieuw", "nl",
  "Dosa 4 doseerpomp nu €29 😱 link in bio #reeftank", ["pricing"], price=("Dosa 4", 29.00))
P("x", "@rifmeisje", "nl",
  "staat de RifZuiver 300 nou echt voor 2,89 in de app of is dit een prijsfout 😳", ["pricing"],
  price=("RifZuiver 300", 2.89))
P("x", "@priya_bkdata", "en",
  "Marketing scheduled the AquaSense controller at €18.90 for tomorrow's mail blast. That's a typo, right? RIGHT?",
  ["pricing"], price=("AquaSense controller", 18.90))
P("x", "@vijverpiet", "nl",
  f"{fw('EPDM 5x6')} vijverfolie voor €{fw('27,90')} bij Blauwkieuw 😂 nu bestellen", ["pricing"],
  price=("EPDM 5x6", 27.90))
P("x", "@marloes_koivijver", "nl",
  "Er staat een prijsfout bij de BelBries 4 in de app, kan iemand dat fixen voordat de nieuwsbrief om 12u "
  "eruit gaat?", ["pricing"])

# ---- reputation.complaint -------------------------------------------------
P("x", "@neonnina", "nl",
  "3 van de 8 neons dood bij aankomst. doos ijskoud, geen heatpack te bekennen. top service hoor @blauwkieuw 🙄",
  ["complaint"])
P("x", "@mike_plants", "en",
  "My StroomKlaar 800 sounds like a blender after two weeks. Support hasn't answered in 9 days. Not impressed.",
  ["complaint"])
P("facebook", "gerda.van.wijk.7", "nl",
  "Vijverfolie vijf dagen te laat en dan ook nog de verkeerde maat. 4x8 besteld, 5x6 gekregen. Nu ligt mijn "
  "halve tuin open.", ["complaint"])
P("x", "@groenwater_gert", "en",
  "ClearRay died after five weeks. green water is back. warranty claim has been 'in progress' twice now...",
  ["complaint"])
P("x", "@reefkeeper_sam", "en",
  "@blauwkieuw_help the AquaSense app drops the connection every night, so my lights stay on 24/7 and the algae "
  "is loving it. fix your firmware pls", ["complaint"], kind="reply")
P("instagram", "@plantjesbak", "en",
  "Plants from Blauwkieuw came covered in snails, whole tank infested. Never again.", ["complaint"], kind="comment")
P("x", "@vijverhenk", "en",
  "The Golfslag 5000 never gets anywhere near 5000 l/h, I measured 2800 at best. Misleading.", ["complaint"])
P("x", "@koi_ouwe", "nl",
  "KoiVitaal klontert en de zak was al open bij levering. €89,95 voor dit? 🤢 @blauwkieuw", ["complaint"],
  price=("KoiVitaal", 89.95))
P("reddit", "u/scratchedglass", "en",
  "Ordered a Nano Cube 30, arrived with a scratched front panel. Replacement? Also scratched. Does anyone at "
  "Blauwkieuw actually do QC?", ["complaint"])
P("x", "@wachtendewim", "en",
  "Been waiting 3 weeks for my Dosa 4. Status: 'processed'. What does that even mean, @blauwkieuw_help?",
  ["complaint"])
P("x", "@discus_dave", "en",
  "ThermoVin can't hold temperature, swings between 23 and 29°C. My discus are stressed out and so am I.",
  ["complaint"])

# ---- safety incidents: first-hand = crisis + complaint ---------------------
P("x", "@mirjam_vis", "nl",
  "Mijn ThermoVin 200W is gebarsten in de bak en ik kreeg een flinke schok toen ik erin greep. Alle vissen dood. "
  "Dit had veel erger kunnen aflopen @blauwkieuw", ["crisis", "complaint"])
P("x", "@danielreef", "en",
  "The AquaSense power adapter melted and started smoking next to my tank last night. Could have burned the "
  "house down. @blauwkieuw_help answer me.", ["crisis", "complaint"])
P("facebook", "sanne.oosterhuis", "nl",
  "De voorruit van onze Helder 60 knapte gewoon uit zichzelf. 60 liter over de vloer en mijn dochter heeft haar "
  "voet opengehaald aan het glas. 6 hechtingen.", ["crisis", "complaint"])
P("reddit", "u/co2_nope", "en",
  "Blauwkieuw CO2 Pro set: the regulator shot off the cylinder while I was adjusting it, missed my face by "
  "inches and dented the cabinet. That thing is dangerous.", ["crisis", "complaint"])
P("x", "@vijverpa_73", "nl",
  "Golfslag pomp stond onder stroom, mijn zoon kreeg een tik toen hij de vijver in stapte. aardlek sloeg pas "
  "later af. LEVENSGEVAARLIJK spul verkopen jullie", ["crisis", "complaint"])
P("instagram", "@mama_van_drie", "nl",
  "Kinderen kregen uitslag op hun handen na het schoonmaken van de bak met jullie 'veilige' algenverwijderaar. "
  "Huisarts zegt chemische irritatie. Bedankt Blauwkieuw.", ["crisis", "complaint"], kind="comment")

# ---- reputation.crisis ----------------------------------------------------
P("x", "@wildrif", "nl",
  "BOYCOT Blauwkieuw! Ze verkopen wildgevangen koraal uit beschermde riffen in Indonesië. Delen! "
  "#boycotblauwkieuw", ["crisis"])
P("x", "@aquanews_eu", "en",
  "Heads up: Blauwkieuw is recalling ThermoVin 200W heaters from batch 2026-03, risk of electric shock. "
  "Saw it on the NVWA site. Unplug yours.", ["crisis"])
P("x", "@utrecht_nieuws_fan", "nl",
  "Net gelezen dat bij Blauwkieuw Utrecht een aquarium van 800 liter is bezweken en een medewerker met "
  "snijwonden naar het ziekenhuis is gebracht. Heftig.", ["crisis"])
P("linkedin", "m-de-boer-advocaat", "en",
  "Class action forming against Blauwkieuw over the AquaSense app collecting location data without consent. "
  "Several firms are gathering affected customers.", ["crisis"])
P("x", "@achterdochtig_an", "nl",
  "Blauwkieuw lekt klantgegevens. Ik kreeg een phishingmail met mijn ordernummer én de Dosa 4 die ik vorige "
  "week kocht. Dat weet alleen hun systeem.", ["crisis"])
P("tiktok", "@dierenwelzijn_nu", "nl",
  "undercover beelden uit Blauwkieuw Almere: dode vissen die dagen in de bakken blijven drijven, personeel "
  "kijkt weg. schandalig #dierenleed", ["crisis"])
P("x", "@natuurjurist", "en",
  "The Dierenbelang foundation is taking Blauwkieuw to court over selling invasive pond plants. About time.",
  ["crisis"])
P("facebook", "tom.harding.uk", "en",
  "My neighbour's shed burned down last night. Fire brigade says it started at the pond pump, a Blauwkieuw "
  "Golfslag. Check your pumps people.", ["crisis"])
P("forum", "koiliefhebber_nl", "en",
  "KoiVitaal batch L2609 seems to be killing koi all over this forum, ammonia spikes right after feeding. "
  "Blauwkieuw still silent.", ["crisis"])
P("x", "@bettarescue", "en",
  "Don't shop at Blauwkieuw until they stop selling bettas in cups the size of a shot glass. #boycott",
  ["crisis"])

# ---- reputation.abuse -----------------------------------------------------
P("x", "@woedende_wouter", "nl", "@blauwkieuw stelletje oplichters, kankerbedrijf", ["abuse"], kind="reply")
P("x", "@angry_aquarist", "en",
  "the guy at your Zwolle store is a f***ing idiot and you should fire him on the spot", ["abuse"])
P("x", "@gerritje_22", "en", "Blauwkieuw staff are thick as bricks, every single one of them. Morons.", ["abuse"])
P("x", "@dennis_bk", "nl", "@vissenvriend88 ga lekker ergens anders janken, sukkel", ["abuse"], kind="reply")
P("x", "@trollfish", "en",
  "hey @marloes_koivijver you're a useless cow, stop posting your stupid pond pics", ["abuse"], kind="reply")
P("facebook", "henk.vd.broek.61", "nl",
  "Weer zo'n hoofddoek achter de kassa bij Blauwkieuw Tilburg. Ga terug naar je eigen land.", ["abuse"],
  kind="comment")
P("x", "@boze_bas", "en", "Blauwkieuw can go to hell, bunch of greedy assholes", ["abuse"])
P("x", "@l33tvis", "nl", "die k@nk3rz00ien van bl@uwkieuw kunnen de p3st krijgen", ["abuse"])
P("x", "@pompellende", "nl",
  "Idioten bij de klantenservice, 3x de verkeerde pomp gestuurd. Zijn jullie achterlijk of zo?",
  ["abuse", "complaint"])
P("x", "@geldterug_nu", "nl",
  "fuck jullie en jullie dode vissen, ik wil m'n geld terug NU @blauwkieuw", ["abuse", "complaint"])
P("instagram", "@blauwkieuw.aquaria", "nl",
  "@pieter_dh lol wat een loser, heb je ooit een aquarium gezien? 🤡", ["abuse"], kind="comment")
P("x", "@stalker_stefan", "en",
  "@kim.aquascapes I know which store you work at. Watch your back.", ["abuse"], kind="reply")

# ---- benign / hard negatives ----------------------------------------------
P("x", "@blauwkieuw", "nl",
  "Nieuw in het assortiment: de Golfslag 5000 vijverpomp. Stil, zuinig en klaar voor het seizoen. €219 via "
  "blauwkieuw.nl 🌿", price=("Golfslag 5000", 219.00))
P("facebook", "BlauwkieuwAquatics", "nl",
  "Voorjaarsactie! 20% korting op alle StroomKlaar filters t/m zondag. De StroomKlaar 800 kost nu €143,20 in "
  "plaats van €179.", price=("StroomKlaar 800", 143.20))
P("x", "@blauwkieuw_help", "nl",
  "Vragen over je bestelling? Mail klantenservice@blauwkieuw.nl of bel 088-2584400 (ma t/m za 9-18 uur). "
  "We helpen je graag!")
P("facebook", "BlauwkieuwAquatics", "nl",
  "Liever betalen via een overschrijving? Maak het bedrag over naar NL55 RABO 0312 4455 71 t.n.v. Blauwkieuw "
  "Aquatics B.V. en vermeld je ordernummer.")
P("x", "@garnalengek", "en",
  "My Helder 120 has been running for 3 months, water's crystal clear and the shrimp are thriving 🦐💙 #aquarium")
P("x", "@vergeetachtige_vera", "nl",
  "Hoe reset ik het wachtwoord van de AquaSense app? Nieuwe telefoon en ik weet het echt niet meer 😅")
P("linkedin", "ruben-hoekstra-blauwkieuw", "en",
  "PSA for developers: the AWS docs use AKIAIOSFODNN7EXAMPLE as a sample key for a reason. Never paste a real "
  "one anywhere, use a secrets manager and rotate often.")
P("reddit", "u/bk_evert", "en",
  "For the tutorial: run `export GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx` and replace the x's "
  "with your own token. Obviously don't commit it.")
P("x", "@kogelvisfan", "nl",
  "Mijn kogelvis kijkt me aan alsof ik persoonlijk verantwoordelijk ben voor elk datalek ter wereld 😂🐡")
P("instagram", "@reef.rookie", "en",
  "this reef light is straight up fire 🔥🔥 Koraalgloed 90 was worth every cent")
P("x", "@tropisch_thuis", "nl",
  "Terugroepactie bij AquaHuis voor hun TropiTherm verwarmers. Even gecheckt: mijn verwarmer is van "
  "Blauwkieuw, dus hier geen probleem.")
P("x", "@neonnina", "nl",
  "Update: Blauwkieuw heeft mijn dode neons gewoon vergoed en er een zakje voer bij gedaan. Netjes opgelost, "
  "dank! 👍")
P("x", "@vijvervrouw", "en",
  "Thinking of all the pond keepers after yesterday's hailstorm. Lost three koi here to the temperature "
  "shock 😢")
P("x", "@smsjes_checker", "nl",
  f"Kreeg een sms dat ik nog moest betalen naar {group4(IBAN_BAD1)}, zogenaamd van Blauwkieuw. Niet eens een "
  f"geldig rekeningnummer, gewoon phishing. Niet op ingaan mensen.")
P("x", "@puntenspaarder", "nl",
  f"Spaarpasnummer op mijn bonnetje: {group4(CARD_BAD)}. Wat een lang nummer voor een paar punten joh 😄")
P("x", "@priya_bkdata", "nl",
  f"Testdata voor de nieuwe HR-module: BSN {BSN_BAD}. Nep natuurlijk, die haalt de elfproef niet eens.")
P("x", "@blauwkieuw", "nl",
  "Vandaag gepubliceerd: onze jaarresultaten 2026. Omzet +11%, drie nieuwe winkels en een recordjaar online. "
  "Lees het persbericht op blauwkieuw.nl/pers", when="2027-03-04T09:15:00Z")
P("instagram", "@blauwkieuw.aquaria", "nl",
  "Hij is er! De Helder 150 Panorama met gebogen voorruit, vanaf vandaag in al onze winkels 🐠✨",
  when="2027-04-15T10:00:00+02:00")
P("x", "@pondpaul", "en",
  "Just set up my VijverPuur Smart, took ten minutes and the app backwash is genuinely handy.",
  when="2027-04-21T18:42:10Z")
P("x", "@beursanalist_nl", "en",
  "Read the Blauwkieuw full-year 2026 results this morning, solid growth. Nice to see a Dutch retailer doing well.",
  when="2027-03-05T08:03:00+01:00")
P("linkedin", "blauwkieuw-aquatics", "nl",
  "We zoeken een backend developer voor ons webshopteam in Utrecht! Interesse? Mail je cv naar "
  "werkenbij@blauwkieuw.nl")
P("instagram", "@kim.aquascapes", "nl",
  "Eerste week als aquascaper bij Blauwkieuw Zwolle zit erop 🐟 wat een leuk team!")
P("instagram", "@duikdagboek", "nl",
  "Zeepaardje gespot tijdens het duiken in de Oosterschelde 😍 wat een kleine wonderen")
P("x", "@tuinvijver_tips", "nl",
  "Waterhyacint is prachtig maar woekert als een gek in mijn vijver. Iemand tips om het in toom te houden?")
P("reddit", "u/goldfish_gary", "en",
  "300L pond, StroomKlaar 1500 or VijverPuur 10000? Budget is around €300, mostly goldfish. Thoughts?")
P("x", "@blauwkieuw", "nl",
  "Let op: onze winkel in Breda is op Koningsdag (27 april) gesloten. Online bestellen kan gewoon!")
P("x", "@pricewatcher_nl", "en",
  "EPDM 5x6 is €279 at Blauwkieuw vs €299 at AquaHuis. Easy choice.", price=("EPDM 5x6", 279.00))
P("x", "@testfreak", "en",
  "AquaCheck test strips €14.95, do exactly what they should. No complaints.", price=("AquaCheck", 14.95))
P("x", "@marloes_koivijver", "nl",
  "Gouden regel aan onze balie: eerst water testen, dan pas vissen kopen. Elke keer weer.")
P("x", "@fishnerd_uk", "en",
  "Big data breach at PetPlanet UK, 200k customers affected. Glad I get my fish stuff from Blauwkieuw tbh")
P("facebook", "jeroen.graaft", "nl",
  "Ik ben doodop na een dag vijver graven maar hij ligt erin! Folie van Blauwkieuw past perfect 💪")
P("x", "@blauwkieuw_help", "nl",
  "@ellen_aquarium Fijn om te horen dat de vervangende pomp het goed doet! Veel vijverplezier 💙", kind="reply")
P("x", "@clearwater_chris", "en",
  "The shock when I saw how clear my pond got after installing the ClearRay 😱 worth it")
P("youtube", "@leerling_aquarist", "nl",
  "Jullie video over het inlopen van een aquarium is goud waard. Eindelijk snap ik de stikstofcyclus 🙏",
  kind="comment")
P("linkedin", "anouk-van-leeuwen-bk", "nl",
  "Onze klantenservice kreeg van klanten een 8,9 in de laatste tevredenheidsmeting. Ontzettend trots op dit team!")
P("x", "@blauwkieuw", "nl",
  "Gepland onderhoud: zondag tussen 02:00 en 04:00 is de webshop even niet bereikbaar. Sorry voor het ongemak!")
P("x", "@lena.fishes", "en",
  "They charged my card ending in 4417 correctly this time, thanks for sorting it @blauwkieuw_help")
P("x", "@cube_starter", "en",
  "How long should a new tank cycle before I can add shrimp? My Helder 60 has been running for two weeks.")
P("youtube", "@BlauwkieuwTV", "en",
  "New video: how to cycle a Nano Cube 30 in four weeks, step by step 🐠 Full checklist in the description.")
P("x", "@ci_horror_stories", "en",
  "our CI logs showed sk_live_••••••••••••3f2a in plain text last week. rotated within minutes. lesson learned: "
  "mask your logs, kids")
P("x", "@privacyfan", "nl",
  "Wel netjes van de Blauwkieuw-app dat je wachtwoord als ******** wordt getoond in je profiel. Sommige apps "
  "doen dat nog steeds niet 😬")
P("x", "@blauwkieuw_help", "nl",
  "Let op: wij vragen nooit om je wachtwoord of bankgegevens via DM of WhatsApp. Twijfel je? Bel ons op "
  "088-2584400.")
P("x", "@api_tinkerer", "en",
  "JWT auth in the AquaSense API docs is actually explained well. Rare for a hardware company, kudos.")
P("x", "@proud_dad_nl", "en",
  "Shoutout to the guy at Blauwkieuw Utrecht who spent half an hour helping my daughter pick her first betta 🥹")
P("instagram", "@catvsfish", "en",
  "my cat is trying to catch the fish through the glass of my Nano Cube again. 0 wins, 147 attempts 🐱🐟")
P("linkedin", "blauwkieuw-aquatics", "nl",
  "Blij met onze samenwerking met de Dierenbescherming rond verantwoorde visverkoop. Goed voor dier én klant.")
P("linkedin", "blauwkieuw-aquatics", "nl",
  "Ons jaarverslag 2025 staat online: omzet €84 miljoen en twee nieuwe vestigingen. Lees het volledige verslag "
  "op blauwkieuw.nl/investeerders")
P("x", "@kweker_kees", "en",
  "ThermoVin 200W on offer for €34.95, grabbed two for the breeding tank.",
  price=("ThermoVin 200W", 34.95))
P("facebook", "marja.koivijver", "nl",
  "KoiVitaal 20 kg voor €79,95 bij de voorjaarsactie. Scheelt weer een tientje.", price=("KoiVitaal 20 kg", 79.95))
P("x", "@blauwkieuw", "nl",
  "Black Friday 🖤 Koraalgloed 90 van €329 voor €249. Alleen dit weekend!", price=("Koraalgloed 90", 249.00))
P("x", "@co2_beginner", "en",
  "Dennis at Blauwkieuw Tilburg is a legend, explained everything about CO2 without upselling me anything.")
P("x", "@beursganger", "en",
  "Anyone going to the aquarium fair in Duiven? Blauwkieuw has a big stand this year.")
P("reddit", "u/carpet_lover", "en",
  "The CO2 Pro set is a game changer, my carpet plants exploded (in a good way) 🌱")
P("x", "@omgedraaid", "nl",
  f"Kreeg 'IBAN ongeldig' bij mijn retour. Had {IBAN_BAD2} ingevuld, blijk ik een cijfer verkeerd getypt te "
  f"hebben 🙈 opgelost nu")
P("x", "@conditioner_carl", "en",
  "Stop killing your fish with untreated tap water. Use a conditioner. Not sponsored, just tired of the forum posts.")
P("instagram", "@scape_spotter", "en",
  "Sick aquascape by @kim.aquascapes in the Blauwkieuw store 🤯 that hardscape!", kind="comment")
P("x", "@zandbak_zoe", "nl",
  "Iemand ervaring met RivierBodem zand? €24,95 voor 10 kg valt best mee.", price=("RivierBodem", 24.95))
P("x", "@nanotank_nl", "en",
  "Helder 60 was €249, had it running the same evening. Smooth delivery too.", price=("Helder 60", 249.00))
P("x", "@dealjager_nl", "nl",
  "Prijsfout bij Vijvermarkt: een complete vijverbak van 1000 liter voor €9,99 😂 helaas al gecorrigeerd")
P("x", "@yusuf_tanks", "en",
  "Hauled 40 kg of RivierBodem today for a customer's new tank. Back's wrecked, but what a result 💪")
P("x", "@hobbyist_hanna", "nl",
  "Twee jaar geleden een lekkende bak gehad, werd meteen vervangen. Sindsdien alleen maar goede ervaringen.")


# ---------------------------------------------------------------- build
RANK = {"none": 0, "info": 1, "warning": 2, "error": 3, "critical": 4}


def norm_key(platform, handle):
    p = {"twitter": "x"}.get(platform.lower(), platform.lower())
    return f"{p}:{handle}".lower()


CORP = {a.lower() for a in PROFILE["accounts"]["corporate"]}
EMP = {a.lower() for a in PROFILE["accounts"]["employee"]}


def role_of(platform, handle):
    k = norm_key(platform, handle)
    return "corporate" if k in CORP else "employee" if k in EMP else "public"


def severity(cats, role, checksum_id):
    s = "none"
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                v = "error"
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and checksum_id):
                    v = "critical"
            else:
                v = "warning"
        elif c == "reputation.complaint":
            v = "warning"
        elif c == "reputation.crisis":
            v = "error"
        elif c == "reputation.abuse":
            v = "error" if role in ("corporate", "employee") else "warning"
        else:
            raise AssertionError(c)
        if RANK[v] > RANK[s]:
            s = v
    return s


CYR = str.maketrans("аеорсухіАЕОРСХВМНКТ", "aeopcyxiAEOPCXBMHKT")
ZWCHARS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)


def normalise(t):
    return unicodedata.normalize("NFKC", t).translate(ZWCHARS).translate(CYR)


PUBLIC_IBANS = {re.sub(r"\s", "", i).upper() for i in PROFILE["public_identifiers"]["ibans"]}
PUBLIC_EMAILS = {e.lower() for e in PROFILE["public_identifiers"]["emails"]}
PUBLIC_PHONES = {re.sub(r"\D", "", p)[-9:] for p in PROFILE["public_identifiers"]["phones"]}

RE_IBAN = re.compile(r"(?<![A-Za-z0-9])(NL\d{2} ?[A-Z]{4}(?: ?\d){10}|BE\d{2}(?: ?\d){12})(?![0-9])")
RE_CARD = re.compile(r"(?<![0-9A-Za-z])(?:\d[ -]?){12,18}\d(?![0-9A-Za-z])")
RE_BSN = re.compile(r"(?<![0-9])(\d{9}|\d{4}\.\d{2}\.\d{3})(?![0-9])")
RE_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
RE_PHONE = re.compile(r"(?<![0-9])(?:\+31|0031|0)[ -]?\(?\d\)?(?:[ -]?\d){8}(?![0-9])")


def checksum_ids(text):
    """Valid IBAN / card / BSN in the text, excluding the company's own published IBAN."""
    t = normalise(text)
    found = []
    for m in RE_IBAN.finditer(t):
        s = re.sub(r"\s", "", m.group(1))
        if iban_valid(s) and s not in PUBLIC_IBANS:
            found.append(("iban", s))
    for m in RE_CARD.finditer(t):
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19 and luhn_valid(d):
            found.append(("card", d))
    for m in RE_BSN.finditer(t):
        d = re.sub(r"\D", "", m.group(1))
        if bsn_valid(d):
            found.append(("bsn", d))
    return found


def lookalike_ids(text):
    """Every IBAN / card / BSN shaped number, valid or not."""
    t = normalise(text)
    out = [("iban", re.sub(r"\s", "", m.group(1))) for m in RE_IBAN.finditer(t)]
    out += [("card", re.sub(r"\D", "", m.group(0))) for m in RE_CARD.finditer(t)
            if 13 <= len(re.sub(r"\D", "", m.group(0))) <= 19]
    out += [("bsn", re.sub(r"\D", "", m.group(1))) for m in RE_BSN.finditer(t)]
    return out


SECRET_PATTERNS = [
    ("github", re.compile(r"gh[pousr]_[0-9A-Za-z]{36}")),
    ("aws", re.compile(r"AKIA[A-Z2-7]{16}")),
    ("stripe", re.compile(r"sk_live_[0-9A-Za-z]{20,}")),
    ("slack", re.compile(r"xox[baprs]-\d+-\d+-[0-9A-Za-z]+")),
    ("openai", re.compile(r"sk-proj-[\w-]{40,}")),
    ("anthropic", re.compile(r"sk-ant-api03-[\w-]{80,}")),
    ("privkey", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
    ("jwt", re.compile(r"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+")),
    ("dburl", re.compile(r"[a-z+]+://[^:\s/@]+:[^@\s]+@[\w.-]+")),
    ("gitlab", re.compile(r"glpat-[\w-]{20}")),
    ("sendgrid", re.compile(r"SG\.[\w-]{22}\.[\w-]{43}")),
    ("password", re.compile(r"(?i)(?:wachtwoord|password|passwd)\s*[:=]\s*(?!\*+)\S{6,}")),
]


def collapse_spaced(t):
    return re.sub(r"\b(?:\w ){3,}\w\b", lambda m: m.group(0).replace(" ", ""), t)


def secret_hits(text):
    t = normalise(text)
    hits = []
    for name, rx in SECRET_PATTERNS:
        for m in rx.finditer(t):
            tok = m.group(0)
            if name == "github" and not gh_valid(tok):
                continue
            if name == "aws" and tok.endswith("EXAMPLE"):
                continue
            if name == "jwt" and not jwt_header_ok(tok):
                continue
            hits.append((name, tok))
    if not hits:
        t2 = collapse_spaced(t)
        if t2 != t:
            hits = [(n, m.group(0)) for n, rx in SECRET_PATTERNS for m in rx.finditer(t2)
                    if n == "password"]
    return hits


def aliases_all():
    out = {}
    for p in PROFILE["products"]:
        for a in [p["name"]] + p["aliases"]:
            out[a.lower()] = p
    return out


ALIASES = aliases_all()


def rand_time():
    start = datetime(2026, 1, 3, tzinfo=timezone.utc)
    t = start + timedelta(seconds=rng_t.randrange(0, 350 * 86400))
    if rng_t.random() < 0.25:
        off = timezone(timedelta(hours=1 if t.month in (1, 2, 3, 11, 12) else 2))
        return t.astimezone(off).isoformat(timespec="seconds")
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def build():
    order = list(range(len(CASES)))
    rng_t.shuffle(order)
    lines = []
    for n, idx in enumerate(order, 1):
        c = CASES[idx]
        role = role_of(c["platform"], c["handle"])
        ids = checksum_ids(c["text"])
        ck = "leak.pii" in c["cats"] and bool(ids)
        kind = c["kind"] or ("reply" if c["text"].startswith("@") else "post")
        created = c["when"] or rand_time()
        pid = f"bk250-{c['platform']}-{1000 + n}"
        post = {"id": pid, "platform": c["platform"], "kind": kind,
                "account": {"handle": c["handle"]}, "text": c["text"], "lang": c["lang"],
                "created_at": created}
        if c["platform"] == "x":
            post["url"] = f"https://x.com/{c['handle'].lstrip('@')}/status/{18000000000000000 + n * 7919}"
        if rng_t.random() < 0.5:
            post["brand"] = "Blauwkieuw"
        expect = {"categories": c["cats"], "severity": severity(c["cats"], role, ck)}
        lines.append(({"post": post, "expect": expect}, c, role, ck, ids))
    return lines


# ---------------------------------------------------------------- self-check
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
TAXONOMY = set(CATS.values())
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})")


def parse_ts(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def check(lines):
    errs = []
    seen_ids, seen_texts = set(), set()
    embargo = [(t.lower(), parse_ts(e["until"])) for e in PROFILE["embargo"] for t in e["terms"]]
    internal = [d.lower() for d in PROFILE["internal"]["domains"]]
    internal += [c.lower() for c in PROFILE["internal"]["codenames"]]
    internal += [m.lower() for m in PROFILE["internal"]["markers"]]
    price_words = re.compile(r"(?i)prijsfout|price error|pricing error|typo|foutje in de kassa|nul vergeten")
    for case, c, role, ck, ids in lines:
        post, exp = case["post"], case["expect"]
        pid = post["id"]
        e = lambda msg: errs.append(f"{pid}: {msg} | {post['text'][:70]!r}")
        # CONTRACT section 1 / 6 shape
        for f, ty in (("id", str), ("platform", str), ("text", str), ("created_at", str)):
            if not isinstance(post.get(f), ty):
                e(f"missing/invalid {f}")
        if not (1 <= len(pid) <= 256):
            e("id length")
        if post["platform"] not in PLATFORMS:
            e("platform")
        if post["kind"] not in KINDS:
            e("kind")
        if not isinstance(post.get("account", {}).get("handle"), str):
            e("handle")
        if len(post["text"].encode("utf-8")) > 65536:
            e("text too long")
        if not RFC3339.fullmatch(post["created_at"]):
            e("created_at not RFC 3339")
        if pid in seen_ids:
            e("duplicate id")
        seen_ids.add(pid)
        if post["text"] in seen_texts:
            e("duplicate text")
        seen_texts.add(post["text"])
        if set(exp) != {"categories", "severity"} or exp["categories"] != sorted(set(exp["categories"])):
            e("expect shape")
        if not set(exp["categories"]) <= TAXONOMY:
            e("unknown category")
        if exp["severity"] not in RANK:
            e("severity value")
        if exp["severity"] != severity(exp["categories"], role, ck):
            e("severity not computed from policy")
        if not exp["categories"] and exp["severity"] != "none":
            e("benign must be none")
        cats = set(exp["categories"])
        ts = parse_ts(post["created_at"])
        t = normalise(post["text"])
        tl = t.lower()
        # checksummed identifiers
        if c["ck"] is not None and c["ck"] != ck:
            e(f"checksum-id expectation {c['ck']} but found {ids}")
        if "leak.pii" not in cats and ids:
            e(f"valid checksummed identifier outside a pii positive: {ids}")
        if "leak.pii" in cats and c["ck"]:
            for kind_, val in lookalike_ids(post["text"]):
                ok = {"iban": iban_valid, "card": luhn_valid, "bsn": bsn_valid}[kind_](val)
                if not ok:
                    e(f"invalid {kind_} inside pii positive: {val}")
        if not cats:
            for kind_, val in lookalike_ids(post["text"]):
                ok = {"iban": iban_valid, "card": luhn_valid, "bsn": bsn_valid}[kind_](val)
                if ok and val not in PUBLIC_IBANS:
                    e(f"benign look-alike passes checksum: {val}")
        # e-mail / phone only in pii positives unless published by the company
        if "leak.pii" not in cats:
            for m in RE_EMAIL.finditer(SECRET_PATTERNS[8][1].sub(" ", t)):
                if m.group(0).lower() not in PUBLIC_EMAILS:
                    e(f"e-mail outside pii: {m.group(0)}")
            for m in RE_PHONE.finditer(RE_IBAN.sub(" ", t)):
                if re.sub(r"\D", "", m.group(0))[-9:] not in PUBLIC_PHONES:
                    e(f"phone outside pii: {m.group(0)}")
        # credentials
        hits = secret_hits(post["text"])
        for name, tok in hits:
            if name == "github" and not gh_valid(tok):
                e("bad github checksum")
        if "leak.secret" in cats and not hits:
            e("secret positive without a recognisable credential")
        if "leak.secret" not in cats and hits:
            e(f"credential outside a secret positive: {hits}")
        for tok in re.findall(r"gh[pousr]_[0-9A-Za-z]{36}", t):
            if "leak.secret" in cats and not gh_valid(tok):
                e("github token with wrong CRC-32 in positive")
        for tok in re.findall(r"eyJ[\w-]+\.[\w-]+\.[\w-]+", t):
            if not jwt_header_ok(tok):
                e("JWT header without alg")
        # internal names / markers / hosts
        for needle in internal:
            if needle in tl and "leak.confidential" not in cats:
                e(f"internal term '{needle}' without leak.confidential")
        for term, until in embargo:
            if term in tl:
                if ts < until and "leak.confidential" not in cats:
                    e(f"embargo term '{term}' before until, not labelled")
                if ts >= until and "leak.confidential" in cats and not any(n in tl for n in internal):
                    e(f"embargo term '{term}' after until but labelled confidential")
        # prices
        if c["price"]:
            alias, price = c["price"]
            prod = ALIASES.get(alias.lower())
            if not prod:
                e(f"unknown product alias {alias}")
            elif alias.lower() not in tl:
                e(f"alias {alias} not in text")
            else:
                ratio = price / prod["list_price"]
                if "leak.pricing" in cats and ratio >= PROFILE["pricing"]["alert_below_ratio"]:
                    e(f"pricing positive not far below list ({ratio:.2f})")
                if "leak.pricing" not in cats and ratio < PROFILE["pricing"]["alert_below_ratio"]:
                    e(f"price far below list in a non-pricing case ({ratio:.2f})")
        if "leak.pricing" in cats and not c["price"] and not price_words.search(t):
            e("pricing positive without price or price-error talk")
        if "leak.pricing" in cats and not any(a in tl for a in ALIASES):
            e("pricing positive without a product")
        if "leak.pricing" not in cats and price_words.search(t) and any(
                re.search(r"(?<!\w)" + re.escape(a) + r"(?!\w)", tl) for a in ALIASES):
            e("price-error talk next to a product but not labelled pricing")
        if ts.year not in (2026, 2027):
            e("created_at year")
    # role sanity: every profile account used, public handles not in profile
    used = {norm_key(c["platform"], c["handle"]) for _, c, _, _, _ in lines}
    for a in CORP | EMP:
        if a not in used:
            errs.append(f"profile account never used: {a}")
    # profile sanity
    for i in PROFILE["public_identifiers"]["ibans"]:
        if not iban_valid(i):
            errs.append(f"profile IBAN fails mod-97: {i}")
    for e_ in PROFILE["embargo"]:
        if parse_ts(e_["until"]).year != 2027:
            errs.append("embargo until not in 2027")
    if len(PROFILE["products"]) < 15 or len(PROFILE["products"]) > 25:
        errs.append("product count")
    # mix
    n = len(lines)
    benign = sum(1 for x in lines if not x[0]["expect"]["categories"])
    cnt = Counter(cat for x in lines for cat in x[0]["expect"]["categories"])
    langs = Counter(x[0]["post"]["lang"] for x in lines)
    if not 170 <= n <= 180:
        errs.append(f"case count {n}")
    if not 55 <= benign <= 65:
        errs.append(f"benign count {benign}")
    if not 0.50 <= langs["nl"] / n <= 0.60:
        errs.append(f"dutch share {langs['nl'] / n:.2f}")
    minimum = {"reputation.complaint": 18, "leak.confidential": 16, "leak.pii": 14, "reputation.crisis": 14,
               "leak.security": 12, "leak.secret": 11, "reputation.abuse": 11, "leak.pricing": 11,
               "leak.financial": 11}
    for k, v in minimum.items():
        if cnt[k] < v:
            errs.append(f"too few {k}: {cnt[k]}")
    return errs, n, benign, cnt, langs


def main():
    lines = build()
    out = os.path.join(HERE, "cases.jsonl")
    with open(out, "w", encoding="utf-8") as fh:
        for case, *_ in lines:
            fh.write(json.dumps(case, ensure_ascii=False) + "\n")
    # re-read what was written and check that
    reread = [json.loads(l) for l in open(out, encoding="utf-8")]
    assert [r for r in reread] == [x[0] for x in lines]
    errs, n, benign, cnt, langs = check(lines)
    roles = Counter(x[2] for x in lines if x[0]["expect"]["categories"])
    sev = Counter(x[0]["expect"]["severity"] for x in lines)
    print(f"{n} cases, {benign} benign, langs {dict(langs)}")
    print("categories:", dict(sorted(cnt.items())))
    print("positive authors:", dict(roles), "severities:", dict(sev))
    if errs:
        print("SELF-CHECK FAILED:")
        for x in errs:
            print("  " + x)
        sys.exit(1)
    print("self-check ok")


if __name__ == "__main__":
    main()
