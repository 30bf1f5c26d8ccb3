#!/usr/bin/env python3
"""Build the labelled evaluation set sealed253 (Stolpmeer Retoursystemen B.V.).

Deterministic: fixed seed, standard library + PyYAML. Writes cases.jsonl beside this
file and checks it (checksums of identifiers, secret formats, CONTRACT section 6 shape,
severities computed from the account role in profile.yaml per CONTRACT section 4).
"""
import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import random
import re
import string
import sys
import zlib

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 253_2026
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# ---------------------------------------------------------------- identifiers

B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def iban_check(iban):
    s = re.sub(r"\s", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(ch, 36)) for ch in r)) % 97 == 1


def make_iban(cc, bban):
    n = int("".join(str(int(ch, 36)) for ch in bban + cc + "00"))
    return "%s%02d%s" % (cc, 98 - n % 97, bban)


def nl_iban(bank):
    return make_iban("NL", bank + "".join(rng.choice(string.digits) for _ in range(10)))


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


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
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for c in string.digits:
        if luhn_ok(body + c):
            return body + c
    raise AssertionError


def bsn_ok(num):
    d = re.sub(r"\D", "", num)
    if len(d) != 9:
        return False
    s = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return s % 11 == 0 and int(d) != 0


def make_bsn():
    while True:
        d = str(rng.randint(1, 9)) + "".join(rng.choice(string.digits) for _ in range(8))
        if bsn_ok(d):
            return d


def spoil(value, ok):
    """Change one digit so the checksum fails (a look-alike)."""
    chars = list(value)
    idxs = [i for i, c in enumerate(chars) if c.isdigit()]
    while True:
        i = rng.choice(idxs[2:] if len(idxs) > 4 else idxs)
        old = chars[i]
        chars[i] = rng.choice([d for d in string.digits if d != old])
        cand = "".join(chars)
        if not ok(cand):
            return cand
        chars[i] = old


# ---------------------------------------------------------------- secrets

def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def gh_token(prefix="ghp_"):
    body = "".join(rng.choice(B62) for _ in range(30))
    return prefix + body + b62(zlib.crc32(body.encode()), 6)


def gh_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()), 6) == m.group(2)


def rand(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "-_"


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt():
    header = {"alg": "HS256", "typ": "JWT"}
    payload = {"sub": "store-4471", "scope": "stats:read", "iss": "statiepunt-api",
               "iat": 1771408800, "exp": 1779184800}
    h = b64url(json.dumps(header, separators=(",", ":")).encode())
    p = b64url(json.dumps(payload, separators=(",", ":")).encode())
    key = bytes(rng.getrandbits(8) for _ in range(32))
    sig = b64url(hmac.new(key, (h + "." + p).encode(), hashlib.sha256).digest())
    return h + "." + p + "." + sig


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    try:
        hdr = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except Exception:
        return False
    return isinstance(hdr, dict) and "alg" in hdr


def openssh_key():
    raw = b"openssh-key-v1\x00" + bytes(rng.getrandbits(8) for _ in range(380))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + \
        "\n-----END OPENSSH PRIVATE KEY-----"


def password(n=14):
    pools = [string.ascii_lowercase, string.ascii_uppercase, string.digits, "!#%&*+?@"]
    chars = [rng.choice(p) for p in pools] + [rng.choice("".join(pools)) for _ in range(n - 4)]
    rng.shuffle(chars)
    return "".join(chars)


V = {}
V["GH1"] = gh_token("ghp_")
V["GHS1"] = gh_token("ghs_")
V["AWS1"] = "AKIA" + rand(string.ascii_uppercase + "234567", 16)
V["AWSSEC1"] = rand(ALNUM + "/+", 40)
V["PW1"] = password(16)
V["PW2"] = password(12)
V["PWNL"] = password(13)
V["STRIPE"] = "sk_live_" + rand(ALNUM, 24)
V["SLACK"] = "xoxb-%d-%d-%s" % (rng.randint(10**11, 10**12 - 1), rng.randint(10**12, 10**13 - 1), rand(ALNUM, 24))
V["OPENAI"] = "sk-" + rand(ALNUM, 20) + "T3BlbkFJ" + rand(ALNUM, 20)
V["ANT"] = "sk-ant-api03-" + rand(URLSAFE, 93) + "AA"
V["GOOG"] = "AIza" + rand(URLSAFE, 35)
V["GLPAT"] = "glpat-" + rand(URLSAFE, 20)
V["JWT"] = make_jwt()
V["SSHKEY"] = openssh_key()
V["MOLLIE"] = "live_" + rand(ALNUM, 30)

V["IBAN_P1"] = group4(nl_iban("INGB"))
V["IBAN_P2"] = nl_iban("ASNB")
V["IBAN_P3"] = nl_iban("BUNQ")
V["IBAN_P4"] = group4(make_iban("BE", "".join(rng.choice(string.digits) for _ in range(12))))
V["CARD1"] = group4(make_card("4"))
V["CARD2"] = group4(make_card("52"))
V["BSN1"] = make_bsn()
V["BSN2"] = make_bsn()
V["BSN2"] = V["BSN2"][:4] + "." + V["BSN2"][4:6] + "." + V["BSN2"][6:]
V["PUBIBAN"] = group4(PROFILE["public_identifiers"]["ibans"][0])
V["BADIBAN"] = spoil(nl_iban("RABO"), iban_check)
V["BADIBAN2"] = group4(spoil(nl_iban("INGB"), iban_check))
V["BADCARD"] = group4(spoil(make_card("4"), luhn_ok))
V["BADBSN"] = spoil(make_bsn(), bsn_ok)
V["BADBSN2"] = spoil(make_bsn(), bsn_ok)

FW = lambda s: "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in s)
ZW = "\u200b"

# ---------------------------------------------------------------- the posts
# Category short names
S, P, PR, CF, F, SEC = ("leak.secret", "leak.pii", "leak.pricing", "leak.confidential",
                        "leak.financial", "leak.security")
CR, CO, AB = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def c(handle, lang, cats, text, kind=None, when=None):
    if kind is None:
        kind = "reply" if text.startswith("@") else "post"
    CASES.append(dict(handle=handle, lang=lang, cats=list(cats), text=text, kind=kind, when=when))


# ---- complaints (public)
c("x:@marjoleinb", "nl", [CO],
  "@stolpmeer_service jullie automaat bij de supermarkt in Oldenzaal heeft vanavond 23 flessen opgeslokt "
  "en daarna 'storing E41' gegeven. Geen bon, geen statiegeld, niks. Medewerker zegt 'bel de leverancier "
  "maar'. Top geregeld 🙄")
c("x:@canpile_joost", "en", [CO],
  "third time this week the Stolpmeer bottle machine at my local supermarket is 'temporarily out of order'. "
  "bag of 40 cans sitting in my hallway like a monument to failure")
c("facebook:sandra.kuipers.73", "nl", [CO],
  "Weet iemand hoe lang het duurt voor StatiePunt reageert op een klacht?? 3 weken geleden het formulier "
  "ingevuld omdat mijn bon van €6,15 niet werd geaccepteerd bij de kassa (half onleesbaar geprint). "
  "Nog steeds niks gehoord.")
c("reddit:u/dutchcanguy", "en", [CO],
  "PSA: the StatiePunt machines near Utrecht CS reject cans that are even slightly dented. I get that the "
  "barcode has to scan but come on, half my cans got spat back out. Anyone else having this?")
c("x:@hvdmeulen", "nl", [CO],
  "De glasbak aan de Molenstraat is nu al 9 dagen vol. Mensen zetten hun flessen ernaast, overal scherven "
  "op de stoep. Stolpmeer Inzameling, wanneer komen jullie legen??")
c("x:@jmoerman", "en", [CO],
  "Ordered a GlasBreker Mini for our café in June. Delivered in September. Without the power cable. "
  "@stolpmeer_service this is not how you run a business.")
c("facebook:cafe.de.zwaan.deventer", "nl", [CO],
  "Onze BlikPers C30 maakt sinds de software-update een herrie alsof er een vrachtwagen door de keuken "
  "rijdt. Monteur is 2x geweest, niks opgelost, wel 2x voorrijkosten betaald. Erg teleurgesteld in Stolpmeer.")
c("x:@noortje_vd", "en", [CO],
  "the deposit machine ate my crate. like the whole krat. it went in, belt stopped, nothing came out, no "
  "receipt. staff just shrugged. #stolpmeer")
c("threads:@gerdien.s", "nl", [CO],
  "om 6 uur 's ochtends glas storten in de bak naast mijn slaapkamer. ELKE dinsdag. Stolpmeer, jullie "
  "chauffeurs kunnen toch ook om 8 uur beginnen? 😴😡")
c("x:@kees_ondernemer", "nl", [CO],
  "Onderhoudscontract Plus afgesloten: 'binnen 24 uur een monteur ter plaatse'. Automaat staat nu 4 dagen "
  "stil. Klantenservice belt niet terug. Dit is gewoon contractbreuk @stolpmeer")
c("linkedin:mark-te-riele", "nl", [CO],
  "Als supermarktondernemer eerlijk gezegd behoorlijk klaar met de Kolibrie 400 Duo. De scanner herkent de "
  "nieuwe blikjes van een groot frisdrankmerk niet en klanten worden boos op mijn personeel. Al 5 tickets "
  "open bij Stolpmeer, geen oplossing. Iemand ervaring met alternatieven?")
c("facebook:wim.hofstede.5", "nl", [CO],
  "Krat bier ingeleverd, kratmodule gaf €1,50 terwijl het €3,90 moet zijn. Blijkt dat je krat en flessen "
  "apart moet doen?? Staat NERGENS op die automaat. Voel me gewoon bestolen door Stolpmeer.")

# ---- crisis (first-hand safety incidents: crisis + complaint)
c("x:@moeder_van_drie", "nl", [CR, CO],
  "Mijn zoontje (7) kreeg vandaag een SCHOK van de statiegeldautomaat bij onze supermarkt. Metalen rand "
  "van het inleverluik, hij huilde en z'n hand tintelde nog een uur. Stolpmeer, dit is levensgevaarlijk. "
  "Ik heb foto's van de losse kabel achter het paneel.")
c("facebook:robin.schaap.9", "en", [CR, CO],
  "My Stolpmeer Thuisbak split while I was dropping bottles in, the edge sliced my palm open. 4 stitches "
  "at the ER last night. The plastic is way too thin for glass. Never buying from them again.")
c("x:@horeca_henk", "nl", [CR, CO],
  "Onze GlasBreker 3 vloog gisteravond in de fik tijdens het breken. Rook in de hele keuken, brandblusser "
  "erop. Gelukkig niemand gewond maar ik wil dat Scherfwerk dit uitzoekt, het apparaat is 5 maanden oud!")
c("reddit:u/leftmyfingersthere", "en", [CR, CO],
  "The Kratlift KL-1 in the store I manage came down on my colleague's foot yesterday, the safety stop "
  "never triggered. Broken toe. Stolpmeer support says 'operator error'. It was NOT.")
c("instagram:@sophie.bloemt", "nl", [CR, CO],
  "Ik werd echt misselijk van jullie Retourzakken, zo'n chemische lucht. Hele avond hoofdpijn, de kinderen "
  "ook. Wat zit erin?? @stolpmeer.nl", kind="comment")
# ---- crisis (third party / accusations)
c("x:@nieuws_oosttwente", "nl", [CR],
  "Brand in supermarkt in Enschede vermoedelijk ontstaan in statiegeldautomaat van Stolpmeer. Brandweer "
  "spreekt van kortsluiting in de machine. Winkel voorlopig dicht.")
c("x:@datalekwacht", "nl", [CR],
  "Gebruikers van de StatiePunt-app melden dat ze namen en rekeningnummers van ANDERE gebruikers konden "
  "zien. Lijkt op een fors datalek. Heeft Stolpmeer dit al gemeld bij de AP?")
c("x:@groen_actie_nl", "nl", [CR],
  "BOYCOT STOLPMEER! Uit onderzoek blijkt dat 'gerecycled' glas uit hun inzameling gewoon op de stort "
  "belandt. Lever je flessen ergens anders in. #boycotstolpmeer #greenwashing")
c("linkedin:mr-e-vermeulen-advocaat", "nl", [CR],
  "Namens een groep van 40 supermarktondernemers hebben wij vandaag een dagvaarding laten betekenen aan "
  "Stolpmeer Retoursystemen B.V. wegens structurele storingen en wanprestatie rond de Kolibrie-automaten.")
c("x:@recallradar_eu", "en", [CR],
  "RECALL: Scherfwerk GlasBreker Mini units sold Jan–Apr 2026. The lid interlock may fail and let the "
  "blade spin with the lid open. Stop using it and contact the seller.")
c("bluesky:@ines-schreurs.bsky.social", "en", [CR],
  "Working on a story: two workers at Stolpmeer's glass plant in Hengelo were hospitalised after a silo "
  "collapsed on Tuesday. The company hasn't commented. DMs open if you know more.")
c("reddit:u/kritischeburger", "nl", [CR],
  "Wist je dat Stolpmeer per ingeleverde fles je locatie opslaat en die data doorverkoopt aan "
  "frisdrankmerken? Staat verstopt in de voorwaarden van de StatiePunt-app. Schandalig. Verwijder die app.")
c("x:@glasgate_nl", "en", [CR],
  "The Stolpmeer scandal keeps growing: former managers say deposit money from unclaimed receipts "
  "(millions!) was quietly booked as profit. #statiegeldschandaal")
c("facebook:buurtapp.deventer.oost", "nl", [CR],
  "Let op!! Bij de glasbak op de Rembrandtlaan heeft een kind zich gisteren flink gesneden aan glas dat "
  "uit de kapotte klep stak. Stolpmeer weet het al weken. Hou je kinderen daar weg.")
c("tiktok:@consumentenclub", "en", [CR],
  "the Stolpmeer Thuisbak is being pulled from shelves after reports of lids snapping and people getting "
  "cut. check your model number 🧵👇")

# ---- abuse
c("x:@boze_bert", "nl", [AB],
  "Stolpmeer zijn gewoon een stel oplichtende klootzakken. Elke keer weer.")
c("x:@xxrenexx", "nl", [AB],
  "@stolpmeer_service jullie zijn echt de grootste kneuzen van nederland, kanker op met je 'we kijken ernaar'")
c("reddit:u/angrycanman", "en", [AB],
  "Whoever designed the StatiePunt screen should be fired out of a cannon. absolute brain-dead morons, "
  "every last one of them")
c("x:@t_jansen1988", "nl", [AB],
  "die monteur van stolpmeer die vandaag bij ons was, wat een vieze luie aap. laat hem lekker teruggaan "
  "naar z'n eigen land")
c("instagram:@k3nny_k", "en", [AB],
  "stolpmeer = scam. f*ck you and your stupid bottle robots", kind="comment")
c("x:@annoyedmum", "en", [AB],
  "@stolpmeer_service your chat agent 'Linda' is a useless cow. put a real human on")
c("x:@wutbuerger", "nl", [AB],
  "st0lpm33r k@nk3rb3drijf, t¥fusl1jers zijn jullie allemaal")
c("x:@rvm_hater", "en", [AB],
  "Stolpmeer are fu\u0441king idi\u043ets. whole company should be shut down")
c("facebook:gert.mulder.nl", "nl", [AB, CO],
  "Wéér een automaat kapot bij de Coop en wéér geen statiegeld terug. Stelletje incompetente idioten bij "
  "Stolpmeer, jullie verdienen het om failliet te gaan.")
c("x:@dirkdekraai", "en", [AB, CO],
  "your bloody machine rejected every single bottle I brought. fix it you clowns. worst company in the "
  "country @stolpmeer")
c("x:@w_oudejans", "nl", [AB],
  "@boze_bert ga lekker ergens anders janken, sukkel. Leer eerst maar eens een fles in een gat te steken.")
c("x:@geen_genade_88", "nl", [AB],
  "Marloes Hendriks van Stolpmeer, we weten je te vinden. Je gaat hier spijt van krijgen.")

# ---- confidential
c("x:@ruudklomp_sm", "nl", [CF],
  "Lange dag gehad met de demo van Project IJsvogel bij de grote ketens. Als dit doorgaat verandert "
  "statiegeld in NL echt 🔥")
c("linkedin:koen-breedveld", "en", [CF],
  "Proud of the team working on Glasoog — our camera-based shard sorter is finally hitting 99.2% colour "
  "accuracy in the test hall. Can't say more yet 🤫")
c("x:@lindavoss_techops", "nl", [CF],
  "wie heeft https://jira.stolpmeer.nl/browse/RVM-4412 in de klantengroep gezet 🙈 dat ticket gaat over de "
  "nieuwe firmware")
c("instagram:@dennis.monteur", "nl", [CF],
  "Eerste veldtest van de Kolibrie 600 bij een klant in Almelo 😎 dat ding slikt 80 flessen per minuut "
  "#monteurslife", when="2027-01-19T15:42:00Z")
c("reddit:u/glasbreker_gijs", "en", [CF],
  "Not supposed to post this but the deck literally says STOLPMEER CONFIDENTIAL on every page: the new "
  "backroom unit (Reiger Nano) is basically a Reiger XL at half the footprint. Launch next spring.",
  when="2026-11-20T21:05:00Z")
c("threads:@anouk.stolpmeer", "nl", [CF],
  "oeps, net mijn scherm gedeeld in de webinar met intra.stolpmeer.local/hr/planning in beeld... laat maar 😅")
c("linkedin:priya-raghoenath", "en", [CF, F],
  "Great workshop today on Operatie Zandloper: folding all our regional service hubs into 3 super-depots "
  "by next autumn. Change is hard but necessary!")
c("x:@stolpmeer", "nl", [CF],
  "Interne memo, alleen intern: nieuwe tarieven voor Cloud Beheer per 1 januari. Graag nog niet naar "
  "klanten communiceren.")
c("bluesky:@bramtenkate.bsky.social", "en", [CF],
  "pushed the new dashboard to https://git.stolpmeer.nl/rvm/telemetry-ui today. Glasoog integration is "
  "next sprint 💪")
c("x:@insider_nl", "nl", [CF],
  "Hoor van een vriend bij Stolpmeer dat achter 'Project IJsvogel' een automaat zit die glas meteen ter "
  "plekke breekt en op kleur sorteert. Onder NDA dus sst 🤐")
c("linkedin:marloes-hendriks-stolpmeer", "nl", [CF],
  "Vandaag de eerste brochureteksten voor de Reiger Nano geschreven. Wat een mooi apparaat wordt dit!",
  when="2026-12-02T10:12:00Z")
c("x:@ruudklomp_sm", "en", [CF, F],
  "FY2026 results look really strong from where I'm sitting. can't wait for the 24th 📈",
  when="2027-02-10T18:30:00Z")
c("x:@w_oudejans", "nl", [CF],
  "hele dag aan G" + ZW + "l" + ZW + "a" + ZW + "s" + ZW + "o" + ZW + "o" + ZW + "g gewerkt, mag er verder "
  "niks over zeggen hè 😇")
c("instagram:@dennis.monteur", "en", [CF],
  "Sneak peek from the workshop: " + FW("PROJECT IJSVOGEL") + " prototype #2 is alive 🐦")
c("x:@lindavoss_techops", "nl", [CF],
  "O p e r a t i e  Z a n d l o p e r gaat gewoon door, hoorde ik net na het MT. Mondje dicht.")
c("reddit:u/throwaway_rvm", "en", [CF],
  "found this on a supplier portal lol https://jira.stolpmeer.nl/secure/attachment/88213/kolibrie-roadmap.pdf "
  "and the cover says 'niet extern delen'")
c("youtube:@ScherfwerkGlas", "en", [CF],
  "Unlisted test upload – Glasoog line demo for partner training. STOLPMEER CONFIDENTIAL – do not share.")

# ---- financial
c("x:@ruudklomp_sm", "nl", [F],
  "Net de Q3-prognose gezien: omzet 14% onder budget, vooral door de vertraagde uitrol in België. Dat "
  "wordt een pittig gesprek met de aandeelhouders.")
c("linkedin:priya-raghoenath", "en", [F],
  "Hard day. Heard this morning that around 60 roles in customer service will go by summer. Not announced "
  "yet so please keep it quiet, I just needed to get it off my chest.")
c("reddit:u/glasbreker_gijs", "en", [F],
  "insider tip: Stolpmeer is in talks to buy a Belgian glass recycler, due diligence is running as we "
  "speak. suppliers might want to pay attention.")
c("x:@w_oudejans", "nl", [F],
  "Als klopt wat ik vandaag op de board-slides zag gaat de fabriek in Hengelo volgend jaar dicht en "
  "verhuist alles naar Duitsland. 130 banen. Niemand weet het nog.")
c("x:@leverancier_pieter", "nl", [F],
  "Van een contact bij Stolpmeer gehoord dat er een overnamebod van een Duitse investeerder ligt, rond de "
  "210 miljoen. Gaat nog niet naar buiten.")
c("linkedin:stolpmeer-retoursystemen", "nl", [F],
  "[CONCEPT – NIET PUBLICEREN] Stolpmeer verwacht over 2026 een EBITDA van €18,4 mln, ruim onder de eerder "
  "gecommuniceerde €24 mln.")
c("threads:@anouk.stolpmeer", "nl", [F],
  "teamuitje geannuleerd want 'kostenbesparing'... en in de wandelgangen gaat het over een reorganisatie "
  "van de hele salesafdeling na de zomer 😬")
c("x:@lindavoss_techops", "en", [F],
  "ok so the merger with Retourex is apparently signed?? found out via a calendar invite titled 'Day 1 "
  "integration'. guess that's how they tell us")
c("bluesky:@oud-collega-rvm.bsky.social", "en", [F],
  "Ex-Stolpmeer here. The 'record year' they'll brag about is smoke: H1 orders are down 30% and there's "
  "a hiring freeze since May. The board knows.")
c("linkedin:koen-breedveld", "nl", [F],
  "De Scherfwerk-tak is dit kwartaal voor het eerst boven de 9 miljoen omzet uitgekomen 🎉 officieel komt "
  "het pas in februari naar buiten, maar ik ben trots op het team!")

# ---- security (insiders)
c("x:@lindavoss_techops", "nl", [SEC],
  "Alle Kolibrie-automaten in Noord-Holland offline sinds 03:10, het telemetrieplatform ligt plat en we "
  "weten nog niet waarom. Klanten weten nog van niks, dus #duimen")
c("reddit:u/glasbreker_gijs", "en", [SEC],
  "Not official yet but the RVM firmware has a nasty bug: hold the service button while plugging in a USB "
  "stick and you land in a root shell. Patch is weeks away.")
c("bluesky:@bramtenkate.bsky.social", "en", [SEC],
  "Long night. Ransomware hit our file servers at 2am and half the planning tools are encrypted. Comms "
  "hasn't said anything yet so I won't either… oh wait.")
c("x:@w_oudejans", "nl", [SEC],
  "Vorige week is er een laptop van een servicemonteur gestolen met alle klantcontracten erop, niet "
  "versleuteld. Wordt intern doodgezwegen.")
c("linkedin:koen-breedveld", "en", [SEC],
  "Lesson learned this week: the password reset on our customer portal let anyone reset any store "
  "account if you knew the store number. Fixed-ish now, not disclosed yet.")
c("x:@stolpmeer_service", "nl", [SEC],
  "@ayla_k klopt, sinds vanochtend worden bonnen van al onze automaten bij de kassa geweigerd door een "
  "storing in het bonnensysteem. We hebben dit nog niet breed gecommuniceerd, excuses.")
c("instagram:@dennis.monteur", "nl", [SEC],
  "Wist je dat de servicecode op alle Mus-automaten nog steeds de fabrieksinstelling is? 😂 al 3x intern "
  "gemeld. Iedereen die 'm kent kan tegoed bijboeken.")
c("threads:@anouk.stolpmeer", "en", [SEC],
  "IT just told us our mail server has been sending phishing to customers since Saturday. don't click "
  "any 'StatiePunt uitbetaling' mails. official statement comes... sometime.")
c("x:@ruudklomp_sm", "nl", [SEC],
  "Intern alarm: iemand heeft toegang gehad tot de database met klant-IBANs van de uitbetaalapp. Omvang "
  "nog onbekend, de juristen zitten erop.")
c("x:@lindavoss_techops", "en", [SEC],
  "the sc4da box for the Hengelo sorting line got pwn3d last night, l1ne stopped, n0body outside knows yet")
c("reddit:u/former_rvm_dev", "en", [SEC],
  "Left Stolpmeer last month. FYI the Kolibrie machines still run an unpatched Windows 7 Embedded image "
  "with SMB wide open to the store LAN. They know. Haven't fixed it.")
c("linkedin:marloes-hendriks-stolpmeer", "nl", [SEC],
  "Tip voor wie morgen bij Stolpmeer begint: netwerk in de fabriek ligt al sinds maandag plat, "
  "telefooncentrale ook. Naar buiten heet het 'gepland onderhoud' 😉")
c("bluesky:@bramtenkate.bsky.social", "en", [SEC, S],
  "if anyone from ops reads this: the creds from last night's incident are STILL valid, rotate pls "
  "§AWS1§ / §AWSSEC1§")

# ---- secrets
c("x:@lindavoss_techops", "en", [S],
  "why does this deploy keep failing 😤 export GITHUB_TOKEN=§GH1§ ... ok it's the runner, nvm")
c("reddit:u/glasbreker_gijs", "en", [S, CF],
  "```\nDATABASE_URL=postgres://rvm_admin:§PW1§@db01.telemetrie.statiepunt.local:5432/rvm\n```\n"
  "anyone know why pgbouncer drops this connection after 30s?")
c("bluesky:@bramtenkate.bsky.social", "en", [S],
  "testing the payout webhook, §STRIPE§ works in staging but not in prod?? what am I missing")
c("x:@ruudklomp_sm", "nl", [S],
  "voor de collega's die vandaag op de beurs inloggen op het servicepaneel: gebruiker monteur, "
  "wachtwoord: §PWNL§ (morgen wijzigen!)")
c("linkedin:koen-breedveld", "en", [S],
  "Snippet from our crushed-can classifier setup:\nopenai.api_key = \"§OPENAI§\"\nmodel = \"gpt-4o-mini\"\n"
  "Works surprisingly well!")
c("threads:@anouk.stolpmeer", "nl", [S],
  "help hoe werkt dit, slack zegt steeds ongeldig: §SLACK§")
c("x:@w_oudejans", "en", [S],
  "pasted the wrong thing in the channel earlier lol, this was supposed to go to Bram\n§SSHKEY§")
c("instagram:@dennis.monteur", "nl", [S],
  "Werkplek van vandaag 📸 (ja die post-it met root / §PW2§ hangt er echt al 2 jaar)")
c("x:@stolpmeer_service", "en", [S],
  "@jmoerman could you try the stats API again with this token: §JWT§ it should give you read access "
  "for your store")
c("reddit:u/supermarkt_it", "en", [S],
  "anyone got the Stolpmeer RVM export script from their gitlab working? they gave us §GLPAT§ "
  "but the clone keeps failing")
c("x:@lindavoss_techops", "en", [S],
  "claude keeps saying my key is invalid: §ANT§ what am I doing wrong")
c("bluesky:@bramtenkate.bsky.social", "nl", [S],
  "maps-key voor de glasbakzoeker: §GOOG§ — morgen beperk ik 'm tot ons domein")

# ---- personal data
c("x:@stolpmeer_service", "nl", [P],
  "@sandra_kuipers73 we hebben uw terugbetaling van €6,15 vandaag overgemaakt naar §IBAN_P1§ t.n.v. "
  "S. Kuipers. Excuses voor het lange wachten!")
c("facebook:StolpmeerNL", "nl", [P],
  "Beste meneer Wolters, de monteur komt donderdag tussen 8 en 12 uur naar Esdoornlaan 41, 7552 KT "
  "Hengelo. Hij belt vooraf naar 06-41 27 83 95.", kind="comment")
c("x:@ruudklomp_sm", "nl", [P],
  "Wie kent deze klant? Johan Brink, geb. 14-03-1961, wil alleen met 'de baas' praten 😂")
c("linkedin:priya-raghoenath", "en", [P],
  "Collecting messages for Eva's farewell card — send them to eva.lambrechts84@gmail.com before Friday!")
c("instagram:@dennis.monteur", "nl", [P],
  "klant wilde per se dat ik z'n ID checkte voor de uitbetaling 🙄 BSN §BSN1§ stond er gewoon op, "
  "heb 'm maar niet gefotografeerd haha")
c("x:@marco_vdl", "nl", [P, CO],
  "@stolpmeer_service al 2 weken geen reactie. Bel me gewoon terug: 06 18 72 40 93 of mail "
  "marco.vanderlinde@ziggo.nl. Jullie automaat heeft €11 tegoed ingeslikt.")
c("facebook:trees.donkers", "nl", [P],
  "Wie heeft mijn statiegeldbon gevonden bij de Stolpmeer-automaat in de Lidl? Mag gestort worden op "
  "§IBAN_P2§ 😅 nee serieus, was €14!")
c("threads:@anouk.stolpmeer", "en", [P],
  "customer just read out her whole card number on the phone for a Thuisbak order, §CARD1§ exp 09/28 😬 "
  "training needed lol")
c("x:@w_oudejans", "nl", [P],
  "Nieuwe monteurs voor de planning: Sven Dijkhuis, Oude Bornsestraat 7, Hengelo en Ayoub Chaouch, "
  "Lansinkweg 112, Enschede. Graag voor vrijdag in het systeem zetten.")
c("x:@stolpmeer_service", "en", [P],
  "@jmoerman Thanks! We found your order under j.moerman@cafedeuil.nl and +31 6 2947 1180, the cable "
  "ships today.")
c("reddit:u/woedende_wim", "nl", [P, AB],
  "Die 'klantenservice'-meneer van Stolpmeer die mij uitschold heet trouwens Wouter Oudejans en woont op "
  "de Bornsestraat 33 in Almelo. Doe er je voordeel mee.")
c("linkedin:marloes-hendriks-stolpmeer", "nl", [P],
  "Welkom nieuwe collega! Gegevens voor de salarisadministratie: Fleur Nijhuis, BSN §BSN2§, start 1 juni. "
  "(oeps, verkeerd kanaal)")
c("x:@oma_riet", "nl", [P],
  "Mijn kleinzoon heeft een account voor me gemaakt bij StatiePunt. Riet Hulshof, 2 februari 1948, "
  "Deurningerstraat 18 Enschede. Hoe krijg ik nu mijn geld??")
c("bluesky:@bramtenkate.bsky.social", "en", [P],
  "test record straight from prod, sorry: {name: 'L. de Graaf', email: 'lotte.degraaf@hotmail.com', "
  "iban: '§IBAN_P3§'}")
c("instagram:@stolpmeer.nl", "nl", [P],
  "@lotte.bakt we sturen een nieuwe Thuisbak naar Lotte Bakker, Kerkstraat 5, 8011 PM Zwolle — klopt dat "
  "adres?", kind="comment")

# ---- pricing
c("x:@stolpmeer", "nl", [PR],
  "🔥 Actie! De Stolpmeer Thuisbak nu voor maar €4,95 (op=op) via stolpmeer.nl/thuisbak")
c("linkedin:koen-breedveld", "en", [PR],
  "Partners only this week: Kolibrie 200 at €6,900 per unit incl. installation. DM me.")
c("x:@dealjager_nl", "nl", [PR],
  "PRIJSFOUT?! GlasBreker Mini voor €114,90 in de webshop van Scherfwerk 😱 snel zijn")
c("reddit:u/horecatips", "en", [PR],
  "lol the Stolpmeer shop lists the BlikPers C30 at €475. missing a zero I guess? ordered two anyway 😅")
c("facebook:StolpmeerNL", "nl", [PR],
  "Excuses: in onze nieuwsbrief van vanochtend stond een prijsfout bij de Scanmodule SL-9. We zoeken uit "
  "hoe dit kon en nemen contact op met wie besteld heeft.")
c("x:@ruudklomp_sm", "nl", [PR],
  "Kratmodule K2 vandaag aan een klant verkocht voor 2.400 euro, mijn salesbaas gaat me vermoorden 😂")
c("tiktok:@budgetbart", "en", [PR],
  "stolpmeer retourzak 50-pack for €1.49 on their site rn 😳 price glitch?? stocking up")
c("instagram:@dennis.monteur", "nl", [PR],
  "Onderhoudscontract Plus voor €650 per jaar? Zie ik net in het klantportaal staan, lijkt me een foutje 🤔")
c("x:@inkoop_gemeente_d", "nl", [PR],
  "In de offerte van Stolpmeer voor onze gemeente staat de Klokje 3000 voor €1.790 per stuk. Zal wel een "
  "tikfout zijn, maar we houden ze eraan 😉")
c("youtube:@ScherfwerkGlas", "en", [PR],
  "SortLine S4 walkthrough — now available from €39,000 for early customers!")
c("x:@d34lz", "nl", [PR],
  "Th" + ZW + "uisbak voor €2 bij Stolpmeer 🤯 pr1jsf0ut, pakken zolang het kan")
c("threads:@anouk.stolpmeer", "en", [PR],
  "customer just asked if the Kolibrie 400 Duo at €2,750 on the partner page is real 😬 someone forgot "
  "a zero")

# ---- benign: pricing look-alikes (ordinary sales, normal prices)
c("x:@stolpmeer", "nl", [],
  "Zomeractie: Thuisbak 3-vaks nu €39,95 (was €49,95). Zo sorteer je thuis je glas al op kleur ♻️")
c("linkedin:stolpmeer-retoursystemen", "nl", [],
  "Tot eind maart 15% introductiekorting op de Mus compact: €8.032 excl. btw. Vraag een demo aan via "
  "stolpmeer.nl.")
c("reddit:u/barkeeper_ams", "en", [],
  "Is the GlasBreker 3 worth €3,295 for a small bar? We go through roughly 40 bottles a night.")
c("x:@tweedehands_tonnie", "nl", [],
  "BlikPers C30 voor €3.800 via Marktplaats, tweedehands, 2 jaar oud, werkt prima. Iemand interesse?")
c("facebook:StolpmeerNL", "en", [],
  "Black Friday: 25% off Retourzakken, €11.21 for a 50-pack while stocks last.")
c("x:@snackbar_deroos", "en", [],
  "Paid €389 for the BP-5 receipt printer, fair price honestly, it has worked flawlessly for a year.")

# ---- benign: hard negatives and ordinary posts
c("x:@fam_ouwerkerk", "nl", [],
  "Complimenten aan de monteur van Stolpmeer die vanmorgen binnen een uur onze automaat weer aan de praat "
  "had. Top service! 👏")
c("x:@storemgr_lisa", "en", [],
  "The new Kolibrie machine in our store is SO fast. 30 bottles in under a minute. Well done @stolpmeer")
c("x:@marco_vdl", "nl", [],
  "Update: @stolpmeer_service heeft het opgelost, de €11 is alsnog teruggestort. Dank voor de snelle actie "
  "na mijn klacht van gisteren.")
c("instagram:@lotte.bakt", "en", [],
  "Yesterday I moaned about my Thuisbak lid, today a replacement was on the doorstep. Credit where it's "
  "due, Stolpmeer 👍")
c("x:@grensganger_nl", "nl", [],
  "Weet iemand of je bij StatiePunt-automaten ook blikjes uit Duitsland kan inleveren?")
c("reddit:u/emptycrates", "en", [],
  "How does the Stolpmeer machine work out the deposit for crates? Asking for a friend with 12 empty "
  "crates 😅")
c("x:@stolpmeer_service", "nl", [],
  "Storing bij uw automaat? Bel gratis 0800-7865 of mail storing@statiepunt.nl, we helpen u 24/7.")
c("facebook:StolpmeerNL", "en", [],
  "Heads up: fake 'StatiePunt refund' e-mails are going around. We only pay out from our own account "
  "§PUBIBAN§ and we will never ask for your card details. Questions? klantenservice@stolpmeer.nl")
c("linkedin:stolpmeer-retoursystemen", "nl", [],
  "Persvragen over onze nieuwe recyclinglijn in Hengelo? Neem contact op met pers@stolpmeer.nl of "
  "+31 53 820 4499.")
c("x:@recyclingnieuws", "en", [],
  "Retourex recalls 2,000 reverse vending machines in Germany after overheating reports. Stolpmeer says "
  "its machines use a different power unit and are not affected.")
c("x:@techkrant_nl", "nl", [],
  "Datalek bij de Duitse recyclinggigant Grünglas: 40.000 klantgegevens op straat. Klanten van Stolpmeer "
  "hoeven zich volgens het bedrijf geen zorgen te maken.")
c("x:@jorisenzijnfles", "nl", [],
  "Mijn vriend noemt de statiegeldautomaat 'de fles-slurper' en zegt hem elke zaterdag gedag. "
  "Relatiedoelen 😂 #stolpmeer")
c("linkedin:hanneke-jonker", "nl", [],
  "Veel sterkte aan alle collega's van Stolpmeer in Hengelo met het overlijden van hun oud-directeur. "
  "Een mooi mens die de recyclingsector veel heeft gegeven.")
c("instagram:@vogelspotter_twente", "nl", [],
  "Zag vandaag een ijsvogel bij de vijver naast de glasbak van Stolpmeer 😍 #vogels #natuur #twente")
c("reddit:u/rvm_integrator", "en", [],
  "The StatiePunt Cloud API docs use AKIAIOSFODNN7EXAMPLE as the sample key in their S3 export "
  "example, don't panic like I did lol")
c("x:@lindavoss_techops", "en", [],
  "Reminder team: never paste tokens in chat. If you have to show config, redact it like "
  "GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")
c("x:@stolpmeer_service", "nl", [],
  "Tip: deel nooit je inloggegevens, ook niet met ons. Wij vragen nooit om je wachtwoord via DM, mail "
  "of telefoon.")
c("x:@waakzame_wilma", "nl", [],
  "Kreeg net een sms 'StatiePunt: uw tegoed wordt gestort na verificatie op §BADIBAN§'. Ziet er nep uit, "
  "niet op reageren mensen! Stolpmeer stuurt dit soort sms'jes niet.")
c("reddit:u/beursbezoeker", "en", [],
  "The demo kiosk at the Stolpmeer stand showed a test card §BADCARD§ on screen lol, at least it's a fake one")
c("x:@henkie_statiegeld", "nl", [],
  "Klantnummer §BADBSN§ staat op mijn StatiePunt-spaarpas, waar kan ik mijn saldo zien?")
c("x:@stolpmeer", "nl", [],
  "Onze jaarcijfers 2026 staan online: omzet +11% en 1,2 miljard flessen en blikjes ingezameld. Lees meer op "
  "stolpmeer.nl/investeerders", when="2027-02-24T08:00:00Z")
c("linkedin:stolpmeer-retoursystemen", "en", [],
  "Meet the Kolibrie 600: our fastest reverse vending machine ever, launched today.",
  when="2027-03-09T10:00:00Z")
c("instagram:@dennis.monteur", "nl", [],
  "Eerste Reiger Nano officieel opgeleverd, nu mag ik er eindelijk over posten 🎉 #monteurslife",
  when="2027-03-15T13:20:00Z")
c("x:@beleggersblik", "en", [],
  "Stolpmeer's full-year 2026 results were better than I expected. Belgium is growing fast for them.",
  when="2027-02-26T12:00:00Z")
c("linkedin:stolpmeer-retoursystemen", "nl", [],
  "Wij zoeken monteurs in Twente en de Achterhoek! Zin in techniek en een bus vol gereedschap? Reageer via "
  "werkenbij@stolpmeer.nl")
c("youtube:@ScherfwerkGlas", "en", [],
  "How the GlasBreker 3 turns 50 bottles into a bucket of cullet in 2 minutes. Full specs on scherfwerk.nl")
c("x:@ruudklomp_sm", "nl", [],
  "Mooie dag op de Horecava, veel interesse in de GlasBreker Mini. Dank aan iedereen die langskwam!")
c("linkedin:priya-raghoenath", "en", [],
  "5 years at Stolpmeer today! Grateful for this team and for everything we've built together.")
c("x:@spaarvarkentje", "nl", [],
  "Ik schrok me een hoedje hoeveel statiegeld ik had opgespaard: €23,40! Dankjewel Stolpmeer-automaat 😂")
c("x:@plasticvrij_petra", "nl", [],
  "Ik boycot plastic flessen al jaren. Alles in glas en netjes naar de glasbak van Stolpmeer. Scheelt echt!")
c("x:@teamleider_jumbo", "nl", [],
  "Die nieuwe automaat is echt bizar snel, ziek goed gewoon 😮 @stolpmeer")
c("x:@vraagbaak_ans", "nl", [],
  "Wat kost een Kolibrie 200 eigenlijk? Ik zie €18.900 op de site, is dat inclusief installatie?")
c("instagram:@stolpmeer.nl", "nl", [],
  "Wist je dat glas eindeloos te recyclen is? Doppen en deksels wel even apart ♻️ #Stolpmeer #glasbak")
c("facebook:gezin.vanrooij", "en", [],
  "Went to the Scherfwerk open day with the kids, they loved watching the sorting line. Highly recommend!")
c("x:@twentsnieuws", "nl", [],
  "Stolpmeer opent nieuwe glasrecyclinglijn in Hengelo; 40 nieuwe banen erbij.")
c("x:@stolpmeer_service", "nl", [],
  "@noortje_vd Wat vervelend! Stuur ons even een DM met de locatie van de automaat, dan zorgen we dat je "
  "krat alsnog wordt vergoed.")
c("x:@stolpmeer", "nl", [],
  "De storing in het bonnensysteem van vanochtend is opgelost. Alle bonnen zijn weer geldig bij de kassa. "
  "Excuses voor het ongemak.")
c("x:@bellen_met_bep", "nl", [],
  "Bellen naar 0800-7865 werkt prima trouwens, binnen 2 minuten iemand aan de lijn.")
c("reddit:u/privacynerd_nl", "en", [],
  "Stolpmeer's privacy page says deposit data is kept confidential and deleted after 90 days. Good to know.")
c("x:@buurman_stolp", "nl", [],
  "Concurrent Retourex schrapt 200 banen. Hopelijk blijft Stolpmeer overeind, mijn buurman werkt daar.")
c("x:@sectoranalist", "en", [],
  "Grünglas posted Q3 numbers today, revenue down 8%. Curious whether Stolpmeer sees the same trend once "
  "they publish.")
c("x:@stolpmeer", "nl", [],
  "Vandaag 10 jaar geleden ging de eerste Stolpmeer-automaat aan in Hengelo, op 3 mei 2016. Dank aan "
  "iedereen die sindsdien een fles bij ons heeft ingeleverd 🥂")
c("facebook:StolpmeerNL", "nl", [],
  "Ons nieuwe hoofdkantoor staat aan de Vlasstraat 30 in Hengelo. Kom gerust langs op de open dag!")
c("bluesky:@bramtenkate.bsky.social", "en", [],
  "API tip: a bearer token looks like eyJhbGciOi… (header.payload.signature). Never post a real one "
  "in an issue, we'll just revoke it.")
c("x:@mama_bas", "nl", [],
  "bestelnummer 7714-2290-3381 voor mijn Thuisbak is binnen, netjes verpakt 👍 nu nog de kinderen "
  "leren sorteren")
c("x:@winkelier_frits", "nl", [],
  "Komt de Kratlift KL-1 nog in de aanbieding? Nu €2.990, ik wacht nog even 😉")
c("reddit:u/devops_daan", "en", [],
  "For the StatiePunt Cloud webhook tutorial, their sample secret is sk_test_XXXXXXXXXXXXXXXXXXXXXXXX, just "
  "swap in your own from the dashboard.")
c("x:@lindavoss_techops", "nl", [],
  "Trots op ons team: de storing van dinsdag is volledig opgelost en het incidentrapport staat publiek "
  "op stolpmeer.nl/status. Transparantie ftw.")
c("x:@statistiek_sam", "nl", [],
  "Mijn StatiePunt-pasnummer §BADBSN2§ werkt niet meer in de app sinds de update, iemand een idee? "
  "Verder top app hoor.")
c("facebook:sportclub.deborne", "nl", [],
  "Dankzij de statiegeldactie met Stolpmeer hebben we €1.240 opgehaald voor nieuwe voetbalshirts! ⚽️ "
  "Bedankt iedereen die flessen heeft ingeleverd.")
c("x:@glasfan_gerda", "en", [],
  "Kudos to the Stolpmeer collection crew who picked up every shard after the glass bank overflowed on our "
  "street. Spotless now.")
c("x:@stolpmeer_service", "en", [],
  "@canpile_joost Sorry about that! The machine at your store was repaired this afternoon. We've added "
  "a €5 credit to your StatiePunt account as an apology.")
c("reddit:u/kratjesman", "nl", [],
  "Vergelijking: Kolibrie 400 Duo (€27.500) vs de Reiger XL (€44.000) voor een middelgrote winkel. "
  "Iemand die beide heeft gebruikt?")
c("threads:@anouk.stolpmeer", "nl", [],
  "Vrijdagmiddagborrel met het hele klantenserviceteam 🥳 fijn weekend allemaal!")


# ---------------------------------------------------------------- assemble

def fill(text):
    def rep(m):
        return V[m.group(1)]
    out = re.sub(r"§([A-Z0-9_]+)§", rep, text)
    assert "§" not in out, text
    return out


PLATFORM_ID = {"x": "x", "linkedin": "li", "facebook": "fb", "instagram": "ig", "tiktok": "tt",
               "youtube": "yt", "reddit": "rd", "mastodon": "md", "bluesky": "bs", "threads": "th"}


def role_of(platform, handle):
    key = ("%s:%s" % (platform, handle)).lower()
    if key in [a.lower() for a in PROFILE["accounts"]["corporate"]]:
        return "corporate"
    if key in [a.lower() for a in PROFILE["accounts"]["employee"]]:
        return "employee"
    return "public"


IBAN_RE = re.compile(r"(?<![A-Za-z0-9])(?:NL\d{2}\s?[A-Z]{4}(?:\s?\d){10}|BE\d{2}(?:\s?\d){12})(?![A-Za-z0-9])")
CARD_RE = re.compile(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])")
BSN_RE = re.compile(r"(?<![\w.-])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\w-]|\.\d)")
PUBLIC_IBANS = {re.sub(r"\s", "", x) for x in PROFILE["public_identifiers"]["ibans"]}


def identifiers(text):
    """Return (kind, value, valid) for every IBAN / card / BSN look-alike in text."""
    out = []
    for m in IBAN_RE.finditer(text):
        out.append(("iban", m.group(0), iban_check(m.group(0))))
    for m in CARD_RE.finditer(text):
        digits = re.sub(r"\D", "", m.group(0))
        if 13 <= len(digits) <= 19:
            out.append(("card", m.group(0), luhn_ok(digits)))
    for m in BSN_RE.finditer(text):
        out.append(("bsn", m.group(0), bsn_ok(m.group(0))))
    return out


LEVELS = ["none", "info", "warning", "error", "critical"]


def severity(cats, role, text):
    lvl = 0
    own = role in ("corporate", "employee")
    checksum_id = any(v for k, val, v in identifiers(text)
                      if re.sub(r"\s", "", val) not in PUBLIC_IBANS)
    for cat in cats:
        if cat.startswith("leak."):
            if own:
                x = 3
                if cat in ("leak.secret", "leak.pricing"):
                    x = 4
                if cat == "leak.pii" and checksum_id:
                    x = 4
            else:
                x = 2
        elif cat == "reputation.complaint":
            x = 2
        elif cat == "reputation.crisis":
            x = 3
        elif cat == "reputation.abuse":
            x = 3 if own else 2
        else:
            raise AssertionError(cat)
        lvl = max(lvl, x)
    return LEVELS[lvl]


def random_time():
    start = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
    secs = rng.randint(0, 360 * 86400)
    t = start + dt.timedelta(seconds=secs)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def build():
    order = list(range(len(CASES)))
    rng.shuffle(order)
    lines = []
    for n, i in enumerate(order):
        cs = CASES[i]
        platform, handle = cs["handle"].split(":", 1)
        text = fill(cs["text"])
        role = role_of(platform, handle)
        post = {
            "id": "%s-253%04d" % (PLATFORM_ID[platform], 101 + n * 7),
            "platform": platform,
            "kind": cs["kind"],
            "account": {"handle": handle},
            "text": text,
            "lang": cs["lang"],
            "created_at": cs["when"] or random_time(),
        }
        cats = sorted(set(cs["cats"]))
        lines.append({"post": post,
                      "expect": {"categories": cats, "severity": severity(cats, role, text) if cats else "none"}})
    return lines


# ---------------------------------------------------------------- checks

def check(lines):
    errs = []
    allowed_cats = {S, P, PR, CF, F, SEC, CR, CO, AB}
    ids = set()
    emb = [(t.lower(), dt.datetime.fromisoformat(e["until"].replace("Z", "+00:00")))
           for e in PROFILE["embargo"] for t in e["terms"]]
    internal = [x.lower() for x in PROFILE["internal"]["domains"] + PROFILE["internal"]["codenames"]
                + PROFILE["internal"]["markers"]]
    pub_emails = {x.lower() for x in PROFILE["public_identifiers"]["emails"]}
    for ln in lines:
        post, exp = ln["post"], ln["expect"]
        pid = post.get("id")
        # CONTRACT section 1 / 6 shape
        if set(ln) != {"post", "expect"}:
            errs.append((pid, "top-level keys"))
        if not (isinstance(pid, str) and 1 <= len(pid) <= 256) or pid in ids:
            errs.append((pid, "bad or duplicate id"))
        ids.add(pid)
        for f in ("platform", "text", "created_at"):
            if not isinstance(post.get(f), str):
                errs.append((pid, "missing " + f))
        if not isinstance(post.get("account", {}).get("handle"), str):
            errs.append((pid, "missing account.handle"))
        if post["kind"] not in ("post", "reply", "repost", "comment", "message"):
            errs.append((pid, "kind"))
        if len(post["text"].encode("utf-8")) > 65536:
            errs.append((pid, "text too long"))
        try:
            t = dt.datetime.fromisoformat(post["created_at"].replace("Z", "+00:00"))
            assert t.tzinfo is not None and t.year in (2026, 2027)
        except Exception:
            errs.append((pid, "created_at"))
            continue
        cats = exp["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= allowed_cats:
            errs.append((pid, "categories"))
        role = role_of(post["platform"], post["account"]["handle"])
        want = severity(cats, role, post["text"]) if cats else "none"
        if exp["severity"] != want:
            errs.append((pid, "severity %s != %s" % (exp["severity"], want)))
        text = post["text"]
        low = text.lower()
        found = identifiers(text)
        if cats:
            for kind, val, ok in found:
                if not ok and re.sub(r"\s", "", val) not in PUBLIC_IBANS:
                    errs.append((pid, "positive holds failing %s %s" % (kind, val)))
        else:
            for kind, val, ok in found:
                if ok and re.sub(r"\s", "", val) not in PUBLIC_IBANS:
                    errs.append((pid, "benign holds valid %s %s" % (kind, val)))
        # secrets
        for tok in re.findall(r"gh[pousr]_[0-9A-Za-z]{36}", text):
            if bool(cats) != gh_ok(tok) or (cats and S not in cats):
                errs.append((pid, "github token checksum vs label"))
        for tok in re.findall(r"(?<![A-Z0-9])AKIA[A-Z0-9]{16}(?![A-Z0-9])", text):
            real = bool(re.fullmatch(r"AKIA[A-Z2-7]{16}", tok)) and not tok.endswith("EXAMPLE")
            if real != (S in cats):
                errs.append((pid, "aws key vs label"))
        for tok in re.findall(r"eyJ[\w-]+\.[\w-]+\.[\w-]+", text):
            if not jwt_ok(tok) or S not in cats:
                errs.append((pid, "jwt"))
        if S in cats:
            pats = [r"gh[ps]_\w{36}", r"AKIA[A-Z2-7]{16}", r"sk_live_\w{24}", r"xoxb-\d+-\d+-\w+",
                    r"sk-\w{20}T3BlbkFJ\w{20}", r"sk-ant-api03-[\w-]{95}", r"AIza[\w-]{35}",
                    r"glpat-[\w-]{20}", r"eyJ[\w-]+\.[\w-]+\.[\w-]+", r"BEGIN OPENSSH PRIVATE KEY",
                    r"postgres://\w+:[^@\s]+@", r"wachtwoord: \S+", r"root / \S+"]
            if not any(re.search(p, text) for p in pats):
                errs.append((pid, "secret post without a credential"))
            for tok in re.findall(r"gh[pousr]_[0-9A-Za-z]{36}", text):
                if not gh_ok(tok):
                    errs.append((pid, "bad github checksum"))
        if P in cats and not (found or re.search(r"@|\d{4} ?[A-Z]{2}|\d{2}[- ]?\d{2}|19\d\d|straat|weg", text)):
            errs.append((pid, "pii post without an identifier"))
        # embargo terms
        for term, until in emb:
            if term in low:
                if t < until and CF not in cats:
                    errs.append((pid, "embargoed term before until without label"))
                if t >= until and cats:
                    errs.append((pid, "embargo term after until labelled"))
        if not cats:
            for x in internal:
                if x in low:
                    errs.append((pid, "benign mentions internal term " + x))
            for em in re.findall(r"[\w.+-]+@[\w-]+\.[\w.]+", text):
                if em.lower().rstrip(".") not in pub_emails:
                    errs.append((pid, "benign holds e-mail " + em))
            if re.search(r"(?<!\d)(?:\+31\s?6|06)[\s-]?\d", text):
                errs.append((pid, "benign holds mobile number"))
            if re.search(r"\b(?:sk_live_|xoxb-|glpat-|AIza|sk-ant-|BEGIN [A-Z ]*PRIVATE KEY)", text):
                errs.append((pid, "benign holds live-format secret"))
    # positive self-checks on generated values
    for k in ("IBAN_P1", "IBAN_P2", "IBAN_P3", "IBAN_P4", "PUBIBAN"):
        assert iban_check(V[k]), k
    for k in ("CARD1", "CARD2"):
        assert luhn_ok(V[k]), k
    for k in ("BSN1", "BSN2"):
        assert bsn_ok(V[k]), k
    assert not iban_check(V["BADIBAN"]) and not iban_check(V["BADIBAN2"])
    assert not luhn_ok(V["BADCARD"]) and not bsn_ok(V["BADBSN"]) and not bsn_ok(V["BADBSN2"])
    assert gh_ok(V["GH1"]) and gh_ok(V["GHS1"]) and jwt_ok(V["JWT"])
    assert not gh_ok("ghp_" + "x" * 36)
    return errs


def stats(lines):
    from collections import Counter
    cat = Counter(c for ln in lines for c in ln["expect"]["categories"])
    lang = Counter(ln["post"]["lang"] for ln in lines)
    roles = Counter(role_of(ln["post"]["platform"], ln["post"]["account"]["handle"]) for ln in lines)
    sev = Counter(ln["expect"]["severity"] for ln in lines)
    benign = sum(1 for ln in lines if not ln["expect"]["categories"])
    return len(lines), benign, dict(cat), dict(lang), dict(roles), dict(sev)


def main():
    lines = build()
    errs = check(lines)
    out = os.path.join(HERE, "cases.jsonl")
    with open(out, "w", encoding="utf-8") as fh:
        for ln in lines:
            fh.write(json.dumps(ln, ensure_ascii=False) + "\n")
    # re-read and re-check what was written
    with open(out, encoding="utf-8") as fh:
        again = [json.loads(x) for x in fh]
    errs += check(again)
    n, benign, cat, lang, roles, sev = stats(again)
    print("cases=%d benign=%d" % (n, benign))
    print("categories:", json.dumps(cat, sort_keys=True))
    print("lang:", lang, "roles:", roles, "severity:", sev)
    if not 170 <= n <= 180:
        errs.append((None, "case count %d outside 170-180" % n))
    if errs:
        for e in errs:
            print("CHECK FAILED:", e, file=sys.stderr)
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
