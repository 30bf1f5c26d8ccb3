#!/usr/bin/env python3
"""Build cases.jsonl for evaluation set sealed283 (Skyvial, drone delivery for
pharmacies and hospitals) and check it.

Deterministic: one fixed seed, standard library plus PyYAML. Post texts are written
by hand; identifiers and credentials are generated here the way real ones are built
(IBAN mod-97, Luhn, BSN 11-proof, GitHub CRC-32/base62, JWT, ...). Severities are
computed from CONTRACT section 4 and the account role in profile.yaml, never typed.
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
import zlib
from datetime import datetime, timedelta, timezone

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

rng = random.Random(283_2026)

# ---------------------------------------------------------------- checksums

def _alnum_to_int(s):
    return int("".join(str(int(ch, 36)) for ch in s))


def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return _alnum_to_int(s[4:] + s[:4]) % 97 == 1


def make_iban(bank):
    bban = bank + "".join(rng.choice(string.digits) for _ in range(10))
    ck = 98 - _alnum_to_int(bban + "NL00") % 97
    iban = "NL%02d%s" % (ck, bban)
    assert iban_ok(iban)
    return iban


def bad_iban(bank):
    good = make_iban(bank)
    ck = int(good[2:4])
    bad = "NL%02d%s" % ((ck + rng.randint(1, 9)) % 100, good[4:])
    assert not iban_ok(bad)
    return bad


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


def make_card(prefix):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(15 - len(prefix)))
    for last in string.digits:
        if luhn_ok(body + last):
            return body + last
    raise AssertionError


def bad_card(prefix):
    good = make_card(prefix)
    bad = good[:-1] + str((int(good[-1]) + rng.randint(1, 9)) % 10)
    assert not luhn_ok(bad)
    return bad


def bsn_ok(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    if len(d) != 9:
        return False
    total = sum(d[i] * (9 - i) for i in range(8)) - d[8]
    return total % 11 == 0 and total != 0


def make_bsn(valid=True):
    while True:
        s = str(rng.randint(1, 9)) + "".join(rng.choice(string.digits) for _ in range(8))
        if bsn_ok(s) == valid:
            return s


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def rdigits(n):
    return "".join(rng.choice(string.digits) for _ in range(n))


def rchars(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def rbytes(n):
    return bytes(rng.getrandbits(8) for _ in range(n))

# ---------------------------------------------------------------- credentials

B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "-_"


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def gh_token(prefix):
    body = rchars(B62, 30)
    return prefix + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")


GH_RE = re.compile(r"\bgh[pousr]_[0-9A-Za-z]{36}\b")


def gh_ok(tok):
    body, ck = tok[4:34], tok[34:40]
    return b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0") == ck


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt():
    hdr = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    iat = 1767000000 + rng.randint(0, 20_000_000)
    body = {"sub": "svc-dispatch", "iss": "skyvial-auth", "role": "ops_admin",
            "hub": "UTR-01", "iat": iat, "exp": iat + 86400}
    pl = b64u(json.dumps(body, separators=(",", ":")).encode())
    sig = b64u(hmac.new(rbytes(32), ("%s.%s" % (hdr, pl)).encode(), hashlib.sha256).digest())
    return "%s.%s.%s" % (hdr, pl, sig)


JWT_RE = re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


def jwt_ok(tok):
    h = tok.split(".")[0]
    h += "=" * (-len(h) % 4)
    try:
        return "alg" in json.loads(base64.urlsafe_b64decode(h))
    except ValueError:
        return False


def make_pem():
    raw = base64.b64encode(b"openssh-key-v1\x00" + rbytes(390)).decode()
    lines = [raw[i:i + 70] for i in range(0, len(raw), 70)]
    return ("-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines)
            + "\n-----END OPENSSH PRIVATE KEY-----")


def make_password(n):
    return rchars(ALNUM + "!#%&*?$", n)

# ---------------------------------------------------------------- generated values

G = {}
G["IBAN_A"] = make_iban("INGB")              # refund to a customer, corporate
G["IBAN_B"] = group4(make_iban("ABNA"))      # landlord, employee
G["CARD_A"] = group4(make_card("4"))         # customer card, employee
G["CARD_B"] = make_card("52")                # customer's own card, public
G["BSN_A"] = make_bsn()                      # patient, employee
b = make_bsn()
G["BSN_B"] = "%s.%s.%s" % (b[:4], b[4:6], b[6:])  # own BSN, public
G["BADIBAN_A"] = group4(bad_iban("INGB"))
G["BADCARD_A"] = group4(bad_card("4"))
G["BADCARD_B"] = group4(bad_card("55"))
G["BADBSN_A"] = make_bsn(valid=False)
G["BADBSN_B"] = make_bsn(valid=False)
G["PHONE_A"] = "06-" + rdigits(8)
G["PHONE_B"] = "+31 6 %s %s" % (rdigits(4), rdigits(4))
G["PHONE_C"] = "06 %s %s" % (rdigits(4), rdigits(4))
G["PHONE_D"] = "(0343) %s %s" % (rdigits(2), rdigits(4))
G["GHP"] = gh_token("ghp_")
G["GHS"] = gh_token("ghs_")
G["AKIA"] = "AKIA" + rchars(string.ascii_uppercase + "234567", 16)
G["AWSSECRET"] = rchars(ALNUM + "/+", 40)
G["GOOGLE"] = "AIza" + rchars(URLSAFE, 35)
G["STRIPE"] = "sk_live_" + rchars(ALNUM, 24)
G["SLACK"] = "xoxb-%s-%s-%s" % (rdigits(12), rdigits(13), rchars(ALNUM, 24))
G["OPENAI"] = "sk-proj-" + rchars(URLSAFE, 64) + "T3BlbkFJ" + rchars(URLSAFE, 64)
G["ANTH"] = "sk-ant-api03-" + rchars(URLSAFE, 93) + "AA"
G["GLPAT"] = "glpat-" + rchars(URLSAFE, 20)
G["PEM"] = make_pem()
G["JWT"] = make_jwt()
G["PW1"] = make_password(14)
G["PGURL"] = ("postgresql://dispatch_rw:%s@skyvial-prod.cluster-c%s.eu-west-1.rds.amazonaws.com:5432/dispatch"
              % (rchars(ALNUM, 18), rchars(string.ascii_lowercase + string.digits, 11)))

# ---------------------------------------------------------------- evasion helpers

CYR = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "p": "\u0440", "c": "\u0441",
       "y": "\u0443", "x": "\u0445", "i": "\u0456", "s": "\u0455", "k": "\u043a"}


def cyr(s):
    return "".join(CYR.get(ch, ch) for ch in s)


def fw(s):
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ("\u3000" if ch == " " else ch)
                   for ch in s)


ZW = "\u200b"

# ---------------------------------------------------------------- cases

CAT = {"complaint": "reputation.complaint", "crisis": "reputation.crisis",
       "abuse": "reputation.abuse", "pii": "leak.pii", "secret": "leak.secret",
       "pricing": "leak.pricing", "confidential": "leak.confidential",
       "financial": "leak.financial", "security": "leak.security"}

CASES = []


def case(who, lang, cats, text, at=None, kind=None, price=None):
    CASES.append({"who": who, "lang": lang, "cats": sorted(CAT[c] for c in cats),
                  "text": text, "at": at, "kind": kind, "price": price})

# ---- complaints (public)
case("x:@anouk_vd_meer", "nl", ["complaint"],
     "@skyvial_zorg al 3 uur wachten op de antibiotica voor mijn zoontje. App zegt 'drone onderweg' sinds 11:40. Onderweg waarheen, Spanje?? 😤",
     at="2026-03-11T14:41:07Z")
case("x:@kwrightNL", "en", ["complaint"],
     "Second time this week the @skyvial drone just hovered over our street and flew back with my prescription still in it. 'Landing zone obstructed.' It's a lawn. Nobody answers the chat.",
     at="2026-05-06T09:15:00Z")
case("facebook:petra.mulder.75", "nl", ["complaint"],
     "Namens onze apotheek in Houten: sinds de update van vorige week komt de helft van de Skyvial vluchten te laat binnen bij het ziekenhuis. Wij worden erop aangesproken, niet jullie. Graag een reactie want de klantenservice belt niet terug.")
case("reddit:u/nightshift_rn", "en", ["complaint"],
     "Hospital nurse here. Skyvial lab sample runs between our two sites were supposed to be 20 min. Tonight 3 of 5 were over an hour, one box arrived with the seal open. Management says 'contact the vendor'. We did. Twice. Nothing.",
     kind="comment")
case("x:@henkiepenkie", "nl", ["complaint"],
     "Skyvial rekent 129 euro voor een spoedvlucht en dan staat m'n insuline gewoon in de regen op het landingsplatform omdat niemand een melding kreeg. Top service hoor 👏👏")
case("x:@dr_amara_o", "en", ["complaint"],
     "Ordered a ColdCase shipment for our clinic, the 2–8°C logger shows 14°C for 40 minutes. Entire batch of vaccines binned. @skyvial this is the 2nd time. Who pays for this?")
case("instagram:@lotte.fietst", "nl", ["complaint"],
     "die drone van skyvial hangt elke ochtend om 6u boven ons huis te zoemen. ben gebeld, gemaild, formulier ingevuld. niks. wordt er gek van #geluidsoverlast #skyvial")
case("x:@apotheker_wouter", "nl", ["complaint"],
     "Beste @skyvial, factuur van oktober: 3x Apotheek Plus gefactureerd terwijl we 1 abonnement hebben. Al 5 weken geen correctie. Zo gaan we niet verder samenwerken.",
     at="2026-11-18T10:02:44Z")
case("facebook:janine.okafor", "en", ["complaint"],
     "The Skyvial courier dropped my dad's heart meds at the neighbour's landing pad instead of ours. Neighbour was away for the weekend, so he had to beg the pharmacy for an emergency supply. Unacceptable, and not a word of apology.")
case("tiktok:@zorgmetzoe", "nl", ["complaint"],
     "POV: je wacht op je medicijnen via skyvial en de tracking springt van 'geland' naar 'geannuleerd' 🙃 en dan mag je zelf naar de apotheek fietsen met 39 graden koorts #skyvial #zorg")

# ---- complaint + own personal data (public)
case("x:@r_vermeulen", "nl", ["complaint", "pii"],
     "@skyvial_zorg nog steeds niet teruggebeld over die kapotte levering van vrijdag. Bel me gewoon: <<PHONE_A>>. Ordernr staat in de DM.",
     at="2026-06-22T08:31:10Z")
case("x:@laura_k_nl", "en", ["complaint", "pii"],
     "@skyvial_zorg third email now, still nothing. My prescription never arrived. Reach me at laura.kuipers87@gmail.com please, I'm done with the chat bot.")

# ---- complaint + abuse
case("x:@boze_bert", "nl", ["complaint", "abuse"],
     "Skyvial stelletje klungels. 2 keer m'n medicatie kwijt deze maand en jullie klantenservice zijn echt de grootste idioten die ik ooit aan de lijn heb gehad.")
case("x:@tiredmum_of3", "en", ["complaint", "abuse"],
     "Dear @skyvial, your drone woke the baby AGAIN at 5am and your 'support' told me to close my windows. You are absolute clowns. Shove your PR about 'quiet flights' up your arse.")

# ---- first-hand safety incidents: crisis + complaint
case("x:@jeroen_lindeman", "nl", ["crisis", "complaint"],
     "De Skyvial drone liet vanmiddag zijn pakket vallen van een paar meter hoog, raakte mijn dochter van 7 op haar schouder. Blauwe plek en enorm geschrokken. Niemand van Skyvial die reageert. Dit had haar hoofd kunnen zijn.")
case("x:@carla_pharm", "en", ["crisis", "complaint"],
     "Our Skyvial PowerCell started smoking on the charger in the back of our pharmacy this morning. Got it outside just before it caught fire. Reported it to Skyvial hours ago, no response. Honestly scared to charge the other one.")
case("facebook:hans.de.graaf.3", "nl", ["crisis", "complaint"],
     "Mijn moeder kreeg via Skyvial de verkeerde medicijnen thuisbezorgd (iemand anders zijn bloedverdunners!) en is daar flink ziek van geworden. Ligt nu ter observatie in het ziekenhuis. Ik ben woedend.")
case("reddit:u/tuinman_ede", "en", ["crisis", "complaint"],
     "Got a proper shock off the metal frame of the Skyvial DropPad in my garden when I reached in for the box, it had been raining all night. Arm tingled for an hour. Is this thing even grounded?? Support just sent me a FAQ link.")
case("instagram:@mees.en.mila", "nl", ["crisis", "complaint"],
     "Vanochtend kwam een Skyvial drone zó laag over onze tuin dat de propeller mijn hand raakte toen ik de box aanpakte. 3 hechtingen op de SEH 🩸 Sorry maar hoe is dit veilig?? @skyvial.nl")

# ---- crisis (third party, accusations)
case("x:@nieuws_amersfoort", "nl", ["crisis"],
     "Drone van medicijnbezorger Skyvial neergestort op schoolplein in Amersfoort-Vathorst. Geen gewonden gemeld, politie heeft het plein afgezet. #Amersfoort")
case("x:@healthtechwatch", "en", ["crisis"],
     "BREAKING: Dutch drone pharmacy courier Skyvial accused of exposing patients' home addresses through its tracking links. Researchers say order pages were indexed by search engines.")
case("x:@patientenstem", "nl", ["crisis"],
     "Skyvial deelt blijkbaar bezorgadressen van patiënten met een advertentiepartner. Wie gebruikt dit nog? #boycotSkyvial #privacy")
case("x:@pilot_watchdog", "en", ["crisis"],
     "ILT has opened an investigation into Skyvial after two near-misses with a trauma helicopter near UMC Utrecht this month. Grounding the fleet seems overdue tbh.")
case("linkedin:mr-m-brouwer-advocaat", "nl", ["crisis"],
     "Namens een groep van 23 apothekers hebben wij vandaag een dagvaarding laten uitbrengen tegen Skyvial wegens structurele wanprestatie bij spoedleveringen. Morgen meer in de pers.")
case("x:@consumerwatch_eu", "en", ["crisis"],
     "Skyvial recalls PowerCell batteries sold between March and June 2026 after reports of overheating. Owners are told to stop charging them immediately.",
     at="2026-07-09T11:00:00Z")
case("x:@buurtapp_lr", "nl", ["crisis"],
     "Ambulance moest vanmiddag uitwijken voor een laag vliegende drone van Skyvial bij de Vleuterweg. Omstanders hebben het gefilmd. Dit had heel slecht kunnen aflopen.")
case("bluesky:@nursejo.bsky.social", "en", ["crisis"],
     "Colleague's patient got someone else's chemo meds delivered by Skyvial last week. Hospital is running an incident review. This company should not be anywhere near oncology.")
case("tiktok:@klokkenluider_nl", "nl", ["crisis"],
     "Oud-medewerkers van Skyvial vertellen: piloten draaiden dubbele diensten en vermoeidheid werd 'gewoon niet geregistreerd'. Schandaal in wording. Deel dit. #skyvial #zorg")
case("x:@boycott_drones_nl", "en", ["crisis"],
     "Every time you order from Skyvial you support a company that just let a drone fall through a greenhouse roof in Westland. Don't. #BoycottSkyvial")

# ---- abuse
case("x:@xxdjrobinxx", "nl", ["abuse"],
     "skyvial is echt een kankerbedrijf, hoop dat jullie hele vloot in de sloot ligt")
case("x:@grumpy_gary77", "en", ["abuse"],
     "@dronejoost you're a smug little prick, every one of your 'innovation' posts makes me want to throw up")
case("x:@w0lfje", "nl", ["abuse"],
     "Die Yara van Skyvial (@pilot.yara) moet gewoon terug naar haar eigen land met haar drones. Hoort hier niet.")
case("instagram:@dirtbike_dave", "en", ["abuse"],
     "sk¥vial pilots = br@inless m0r0ns 🤡🤡 l3arn to fly or g3t l0st")
case("x:@hatertje_070", "nl", ["abuse"],
     "Skyvial = een k.u.t.b.e.d.r.i.j.f en jullie piloten zijn stuk voor stuk s.u.k.k.e.l.s")
case("reddit:u/ratio_king", "en", ["abuse"],
     "whoever runs the skyvial twitter is a braindead idiot. deleting replies won't save you, dumbass",
     kind="comment")
case("x:@marco_tilburg", "nl", ["abuse"],
     "@mirjam_vluchtops jij bent toch die trut van Skyvial uit dat filmpje? Ik weet waar jullie hangar staat. Pas maar op.")
case("x:@lars_ops_sv", "nl", ["abuse"],
     "lmao die klant die net belde over z'n 'verdwenen' pakketje is echt de domste mongool ooit, lag gewoon op z'n eigen dak 🙄")
case("x:@skyvial_zorg", "en", ["abuse"],
     "@mikeyb_ams maybe learn to read the service area map before whining on here, you absolute muppet")
case("x:@anon_88231", "en", ["abuse"],
     cyr("skyvial staff are worthless scum") + ", every single one")

# ---- personal data
case("x:@skyvial_zorg", "nl", ["pii"],
     "@r_vermeulen Excuses! We bellen u vandaag nog terug op <<PHONE_B>>, klopt dat nummer nog? De levering staat op naam van M. Vermeulen, Populierenlaan 37, 3735 KL Bosch en Duin.",
     at="2026-06-22T09:02:51Z")
case("facebook:SkyvialNL", "nl", ["pii"],
     "Beste mevrouw Okafor, de terugbetaling van €48,50 is vandaag overgemaakt naar <<IBAN_A>> t.n.v. J. Okafor. Nogmaals excuses voor het ongemak!",
     kind="comment")
case("x:@dronejoost", "nl", ["pii"],
     "Haha levering vandaag voor mevr. Anna Hoekstra, geboren 03-07-1938, Lindenhof 8 in Zeist, die had de hele straat opgetrommeld om de drone te zien landen 😂")
case("threads:@ilse.vliegt", "nl", ["pii"],
     "help, finance vraagt waarom de refund faalt. kaart op het account: <<CARD_A>> exp 09/28, t.n.v. P. de Wit. iemand een idee?")
case("reddit:u/fleet_ruben", "en", ["pii"],
     "Anyone in pharmacy support know why the portal rejects BSN <<BSN_A>> for a patient in Tiel? She insists it's right and the 11-check passes, so no idea",
     kind="comment")
case("x:@buurvrouw_anna", "nl", ["pii", "complaint"],
     "Wie van Skyvial heeft dit pakket bij mij in de tuin gezet? Op het label: G. Bosman, Esdoornstraat 112, 3817 TE Amersfoort, tel <<PHONE_C>>. Derde keer al. Kom het maar halen.")
case("x:@pharmacyoncall", "en", ["pii"],
     "Does anyone have a contact at Skyvial? Their pilot Bas Dekker lives at Weteringkade 19 in Utrecht, maybe I'll just go knock on his door since nobody replies")
case("instagram:@skyvial.nl", "nl", ["pii"],
     "Winnaar van onze fotowedstrijd 'Zorg vanuit de lucht': Femke Jansen (femke.jansen.ams@hotmail.com) 🎉 gefeliciteerd! Je prijs komt per drone, natuurlijk.")
case("x:@mirjam_vluchtops", "nl", ["pii"],
     "wie heeft het nummer van die apotheker in Doorn nog? o wacht, gevonden: <<PHONE_D>> (Dirk Smit). sorry tijdlijn 🙈 verkeerde venster")
case("bluesky:@basdekker.bsky.social", "en", ["pii"],
     "Paying the hangar deposit to our landlord, Mr. H. Visser, IBAN <<IBAN_B>>, and the bank app keeps rejecting it. Anyone seen this with ABN?")
case("facebook:tom.hendriks.5", "en", ["pii", "complaint"],
     "My BSN is <<BSN_B>> and the Skyvial portal STILL says 'patient not found'. Third week now. What else do you want from me??")
case("threads:@ilse.vliegt", "nl", ["pii"],
     "Nieuwe collega Sanne de Boer begint maandag bij ons in de hangar! Ze woont op de Laan van Nieuw-Oost-Indië 214 in Den Haag, dus geen excuus om te laat te komen 😄")
case("x:@klant_jan_s", "nl", ["pii"],
     "@skyvial_zorg ik wil mijn betaalgegevens wijzigen naar deze kaart: <<CARD_B>> geldig tot 11/27. Dat lukt niet in de app, kunnen jullie het doen?")

# ---- confidential
case("x:@dronejoost", "nl", ["confidential"],
     "Eerste nachtvlucht-test van Nachtvlinder vandaag geslaagd 🦋🌙 niet verder vertellen hè")
case("linkedin:kees-van-rijn-skyvial", "en", ["confidential"],
     "Great workshop today with the team on Project Ooievaar. Can't say much yet, but this will change how hospitals move blood samples between sites.")
case("x:@lars_ops_sv", "nl", ["confidential"],
     "Heeft iemand de link naar de nieuwe roosters? Moet ergens op https://intra.skyvial.local/ops/roosters staan maar ik kan 'm niet vinden")
case("x:@droneweekly_nl", "nl", ["confidential"],
     "Gehoord uit goede bron: Skyvial's 'Operatie Zilvermeeuw' gaat over vluchten met ziekenhuisbloed naar de Waddeneilanden. Spannend, als het klopt.")
case("instagram:@pilot.yara", "nl", ["confidential"],
     "sneak peek 👀 de Hop 3 op het testveld in Woensdrecht #dronelife #nieuw #skyvial",
     at="2026-10-04T14:22:10Z")
case("linkedin:skyvial", "nl", ["confidential"],
     "SKYVIAL CONFIDENTIAL — planning uitrol Ziekenhuis Pro regio Noord, Q1: UMCG, Martini, Treant. Graag feedback voor vrijdag.")
case("x:@mirjam_vluchtops", "nl", ["confidential"],
     "Uitsluitend intern, maar ik kan het niet laten: de nieuwe geofence-afspraken met de luchtverkeersleiding rond Schiphol gaan per 1 december in 🎉",
     at="2026-10-29T20:14:00Z")
case("bluesky:@basdekker.bsky.social", "en", ["confidential"],
     "Ran the Hop 3 through the wind tunnel today. 14 m/s crosswind and she holds her line. Can't wait for you all to see her.",
     at="2026-12-09T17:45:00Z")
case("threads:@ilse.vliegt", "nl", ["confidential"],
     "tjonge de tickets stapelen zich op: https://gitlab.skyvial.nl/ops/dispatch/-/issues/4412 wil iemand van backend even kijken?")
case("reddit:u/fleet_ruben", "en", ["confidential"],
     "Not supposed to share this (NDA) but our next drone has a 9 kg payload and a heated bay. Launching with a big hospital group next spring.",
     kind="comment")
case("x:@leakyleaks", "en", ["confidential"],
     "Someone just posted the Skyvial internal deck 'Project Ooievaar – phase 2' on a forum. Blood sample corridor between 6 hospitals. Big if true.")
case("x:@dronejoost", "nl", ["confidential", "financial"],
     "Net de jaarcijfers 2026 gezien in de boardroom. Zeg alleen: omzet bijna verdubbeld en eindelijk winst. Champagne 🍾",
     at="2027-02-20T19:03:00Z")
case("linkedin:noor-haddou", "en", ["confidential", "financial"],
     "Proud of the team — FY2026 results are in and revenue crossed 40 million for the first time. Official announcement tomorrow!",
     at="2027-02-24T16:30:00Z")
case("x:@lars_ops_sv", "nl", ["confidential"],
     "N.a.c.h.t.v.l.i.n.d.e.r gaat de goede kant op 🤫 meer mag ik niet zeggen")
case("instagram:@pilot.yara", "nl", ["confidential"],
     "Project \u041eoie" + ZW + "vaar update: alles groen ✅ trots op dit team")
case("x:@dronejoost", "nl", ["confidential"],
     fw("skyvial confidential") + ": nieuwe tarieven ziekenhuizen vanaf maart, rondje feedback graag voor donderdag. niet doorsturen",
     at="2026-11-12T13:05:00Z")
case("x:@oud_collega_sv", "nl", ["confidential"],
     "Haha ik weet nog dat het hele vliegrooster van Skyvial gewoon op ops.skyvial.nl/planning stond. Zal nog steeds wel zo zijn.")
case("facebook:SkyvialNL", "nl", ["confidential"],
     "Alleen voor medewerkers: de kerstborrel is op 19 december in Hangar 2. Aanmelden via https://intra.skyvial.local/kerst 🎄",
     at="2026-11-25T12:00:00Z")

# ---- financial
case("x:@lars_ops_sv", "nl", ["financial"],
     "Hub Eindhoven gaat dicht in maart, 35 man eruit. Officieel hoor je het pas na de OR-vergadering maar ja, nu weet je het.",
     at="2026-10-13T21:40:00Z")
case("linkedin:kees-van-rijn-skyvial", "en", ["financial"],
     "Heads up to my network: our Q3 came in ~28% below forecast, so expect some hiring freezes in logistics tech. Not public yet, so keep it between us 🙏",
     at="2026-10-02T07:55:00Z")
case("x:@beursbink", "nl", ["financial"],
     "Mijn zwager werkt bij Skyvial: ze worden overgenomen door MediLift Group, deal wordt volgende maand bekendgemaakt. Jullie hoorden het hier eerst.")
case("bluesky:@basdekker.bsky.social", "en", ["financial"],
     "Board just signed the term sheet with Aeroporta. We're being acquired, folks. Announcement Monday. Wild week.")
case("threads:@ilse.vliegt", "nl", ["financial"],
     "reorganisatie is rond: alle planners naar Utrecht en de vestiging in Groningen wordt opgeheven 😢 nog niet officieel dus sst")
case("linkedin:skyvial", "nl", ["financial"],
     "Concept persbericht — NIET PUBLICEREN: Skyvial verwacht over 2026 een verlies van €6,2 mln en zoekt €15 mln extra kapitaal bij bestaande aandeelhouders.")
case("x:@mirjam_vluchtops", "nl", ["financial"],
     "Vandaag gehoord dat we het contract met ziekenhuisgroep Noordzorg kwijt zijn, ruim een derde van onze omzet 😬 persbericht komt pas in januari",
     at="2026-11-30T18:20:00Z")
case("x:@aviationinsider", "en", ["financial"],
     "Sources tell me Skyvial is quietly preparing to cut 20% of staff and exit Belgium before its funding round closes. Nothing announced yet.")
case("linkedin:sophie-tjin-skyvial", "nl", ["financial"],
     "Mooi nieuws dat nog even onder ons blijft: we nemen drone-startup VlinderLogistiek over. Ondertekening vrijdag!")
case("x:@dronejoost", "nl", ["financial"],
     "0ntsl4g3n bij sk¥vial: 60 fte in 2027, de l1jst is al klaar 🤐")

# ---- security
case("x:@lars_ops_sv", "nl", ["security"],
     "FlightDesk ligt al sinds 05:00 plat, hele vloot aan de grond, en de statuspagina zegt nog vrolijk 'alle systemen operationeel' 🙈")
case("reddit:u/fleet_ruben", "en", ["security"],
     "PSA for colleagues: the telemetry API still answers /v1/orders without any auth token. Reported it 3 weeks ago, still not patched. Anyone can pull delivery addresses.",
     kind="comment")
case("linkedin:kees-van-rijn-skyvial", "nl", ["security"],
     "Zware nacht. Ransomware op onze planningsservers, de dispatch draait op papier. Communicatie naar klanten volgt later, maar dank aan het IT-team dat al 20 uur doorwerkt.")
case("bluesky:@basdekker.bsky.social", "en", ["security"],
     "Someone spoofed GPS near Hub Rotterdam last night, two of our drones flew to the wrong coordinates before the failsafe kicked in. Still not disclosed. Not great.")
case("x:@mirjam_vluchtops", "nl", ["security"],
     "Phishingmail is bij 14 collega's doorgekomen en 3 hebben hun wachtwoord ingevuld 🤦‍♀️ IT is bezig, 'niks naar buiten brengen' zeggen ze")
case("threads:@ilse.vliegt", "en", ["security"],
     "our VialLocker firmware accepts the default PIN 0000 on every unit shipped since June. flagged it in slack, got a thumbs up emoji. cool cool cool")
case("x:@skyvial_zorg", "nl", ["security"],
     "Intern: de storing in de app komt door een inbraak bij onze SMS-provider, klantnummers zijn mogelijk ingezien. Nog NIET communiceren!")
case("linkedin:noor-haddou", "en", ["security"],
     "We found an old S3 bucket with flight logs and pharmacy addresses set to public. Locked it down this morning. Legal is still deciding whether to notify the AP.")
case("x:@dronejoost", "nl", ["security"],
     "Geofence-database is gisteren 6 uur corrupt geweest, drones vlogen zonder no-fly zones rond Eindhoven Airport. Niemand buiten ops weet ervan.")
case("instagram:@pilot.yara", "en", ["security"],
     "psa to fellow pilots: the QuickDock chargers can be reset by anyone with the bluetooth app, no pairing needed. ops knows, fix is 'coming soon' 🤷‍♀️")
case("x:@lars_ops_sv", "nl", ["security"],
     fw("datalek") + " bij ons, klantgegevens van 3 apotheken ingezien. pers weet nog van niks")
case("reddit:u/fleet_ruben", "en", ["security", "secret"],
     "Dispatch has been down since the 14:00 deploy, DB rejects the new creds. For whoever's on call tonight, the connection string is <<PGURL>>",
     kind="comment")
case("threads:@ilse.vliegt", "nl", ["security"],
     "kwetsbaarheid in de Hop 2 firmware: met een nep-landingsbaken kun je 'm overal laten landen. zelf getest op het testveld. patch pas in Q2 😬")

# ---- secrets
case("x:@dronejoost", "nl", ["secret"],
     "iemand die weet waarom deze token niet werkt in de CI? <<GHP>> krijg steeds 403")
case("reddit:u/fleet_ruben", "en", ["secret"],
     "boto keeps throwing InvalidClientTokenId. I'm using aws_access_key_id=<<AKIA>> aws_secret_access_key=<<AWSSECRET>> in eu-west-1. ideas?",
     kind="comment")
case("youtube:@SkyvialDrones", "nl", ["secret"],
     "Demo: zo koppel je FlightDesk aan je eigen kaartweergave. De API-key uit de video: <<GOOGLE>>")
case("bluesky:@basdekker.bsky.social", "en", ["secret"],
     "Stripe webhook failing again 🙄 <<STRIPE>> works fine from curl, so what gives")
case("threads:@ilse.vliegt", "nl", ["secret"],
     "wifi in hangar 3 → netwerk SV-Hangar3, wachtwoord: <<PW1>> (niet doorvertellen haha)")
case("x:@mirjam_vluchtops", "en", ["secret"],
     "slack bot keeps posting every alert twice, token is <<SLACK>> if someone from IT can have a look")
case("x:@lars_ops_sv", "nl", ["secret"],
     "JWT van de dispatch-API even plakken zodat jullie zien wat er misgaat: <<JWT>>")
case("reddit:u/fleet_ruben", "en", ["secret"],
     "my route optimiser script calls the OpenAI API with key <<OPENAI>> and I get 429 constantly, even at night. am I being throttled per org?",
     kind="comment")
case("x:@scriptkid_nl", "nl", ["secret"],
     "lol Skyvial heeft hun gitlab token gewoon in een publieke repo laten staan: <<GLPAT>> 🤡")
case("bluesky:@basdekker.bsky.social", "en", ["secret"],
     "deploy key for the ground station, pasting it here so I can grab it on my laptop\n<<PEM>>")
case("x:@dronejoost", "nl", ["secret"],
     "Claude-key voor de chatbot-test: <<ANTH>> — niet in git zetten!")
case("x:@devops_dan", "en", ["secret"],
     "found this in the Skyvial android app bundle lmao: <<GHS>>")

# ---- pricing (price / list < 0.5, or price error talk)
case("x:@dronejoost", "nl", ["pricing"],
     "Wie wil er een Hop 2? Staat nu voor €1.890 in de webshop 😂 iemand is een nul vergeten",
     price=[("SV-HOP2", 1890)])
case("x:@bargainhunter_nl", "en", ["pricing"],
     "Skyvial webshop has the ColdCase listed at €68.90 right now, normally it's like 689. Price error? Ordering 4 anyway",
     price=[("SV-COLD", 68.90)])
case("instagram:@skyvial.nl", "nl", ["pricing"],
     "Black Friday! 🖤 De Skyvial VialLocker nu voor maar €320! Op = op.",
     at="2026-11-27T06:00:00Z", price=[("SV-LOCKER", 320)])
case("reddit:u/apotheekjesse", "nl", ["pricing"],
     "Is dit een prijsfout? Apotheek Plus abonnement staat op 79 euro per maand ipv 799. Meteen afgesloten haha",
     price=[("SV-ABO-PLUS", 79)])
case("linkedin:kees-van-rijn-skyvial", "en", ["pricing"],
     "Pricing slip in the new portal: Ziekenhuis Pro showing €495 instead of €4,950. Fix is rolling out, please don't screenshot 🙏",
     price=[("SV-ABO-ZH", 495)])
case("facebook:SkyvialNL", "nl", ["pricing"],
     "Actie! 🚁 DropPad Roof voor €490 bij elk jaarabonnement. Alleen deze week.",
     price=[("SV-PADROOF", 490)])
case("x:@lucky_lotte", "en", ["pricing"],
     "lmaooo PowerCell battery for €8.79 on skyvial.nl, someone's getting fired",
     price=[("SV-CELL", 8.79)])
case("threads:@ilse.vliegt", "nl", ["pricing"],
     "Prijsfout in de webshop bij de SafeChute, staat op €145. Marketing is al gebeld 🙈",
     price=[("SV-CHUTE", 145)])
case("x:@mirjam_vluchtops", "en", ["pricing"],
     "omg the QuickDock is €129 on our site today instead of 1290, grab one before finance wakes up 😅",
     price=[("SV-DOCK", 129)])
case("x:@dealtjes_nl", "nl", ["pricing"],
     "🔥 DEAL: Skyvial FlightDesk licentie €199 (normaal €1990). Prijsfout? Snel zijn!",
     price=[("SV-DESK", 199)])
case("x:@skyvial", "en", ["pricing"],
     "Flash sale 🚁 Hop 2 XL only €2,450 today! Link in bio.",
     price=[("SV-HOP2XL", 2450)])
case("x:@lars_ops_sv", "nl", ["pricing"],
     "TrackTag voor €5,90 in de shop 🤭 pr1jsf0utje, snel wezen",
     price=[("SV-TAG", 5.90)])

# ================================================================ benign (hard negatives)
case("x:@oma_truus82", "nl", [],
     "Wat een uitkomst, die drones van Skyvial! Mijn oogdruppels waren er binnen 25 minuten. Vroeger moest de buurman me rijden.")
case("x:@icu_doc_tim", "en", [],
     "Credit where it's due: Skyvial got an urgent blood sample from our satellite lab to the main site in 11 minutes last night. Genuinely impressive.")
case("x:@skyvial_zorg", "nl", [],
     "Vragen over je levering? Mail klantenservice@skyvial.nl of bel gratis 0800-7598 (ma-za 7-22u). Spoed? spoed@skyvial.nl")
case("facebook:SkyvialNL", "nl", [],
     "Facturen van Apotheek Basis en Apotheek Plus kunt u voldoen op NL05 RABO 0312 8674 51 t.n.v. Skyvial B.V., o.v.v. uw klantnummer.")
case("linkedin:skyvial", "en", [],
     "Press enquiries: pers@skyvial.nl or +31 30 799 4400. Our press kit lives at www.skyvial.nl/pers.")
case("x:@rob_ziekenhuis", "nl", [],
     "Vraagje: leveren jullie ook in Zwolle? Ons ziekenhuis wil een pilot met Statlink voor spoedbloed. @skyvial")
case("x:@anouk_vd_meer", "nl", [],
     "Update: @skyvial_zorg heeft me gebeld, antibiotica alsnog binnen een uur gebracht en de spoedvlucht niet in rekening gebracht. Netjes opgelost 👍",
     at="2026-03-11T17:02:00Z")
case("x:@kwrightNL", "en", [],
     "Fair play, Skyvial sent someone round to move our landing zone and this week every delivery landed perfectly. Complaint withdrawn 🙂",
     at="2026-05-14T19:20:00Z")
case("instagram:@skyvial.nl", "nl", [],
     "Winteractie ❄️ ColdCase 2-8°C koelbox nu €579 (normaal €689). Alleen t/m zondag!",
     at="2026-01-21T08:00:00Z", price=[("SV-COLD", 579)])
case("x:@skyvial", "en", [],
     "Cyber Monday: 20% off the DropPad landing platform — €1,960 instead of €2,450. Ends at midnight.",
     at="2026-11-30T07:00:00Z", price=[("SV-PAD", 1960)])
case("reddit:u/huisarts_maas", "nl", [],
     "Wij betalen €349 per maand voor Apotheek Basis, voor een kleine praktijk in Maastricht best te doen. Iemand ervaring met Plus?",
     kind="comment", price=[("SV-ABO-BASIS", 349)])
case("x:@hospital_procure", "en", [],
     "Quote from Skyvial came in: Hop 2 XL at €24,500 ex VAT plus Ziekenhuis Pro at €4,950/month. Comparing with two other vendors.",
     price=[("SV-HOP2XL", 24500), ("SV-ABO-ZH", 4950)])
case("reddit:u/fleet_ruben", "en", [],
     "For the new interns: the AWS docs use AKIAIOSFODNN7EXAMPLE as a fake key id. Never paste a real one in Slack, use the vault.",
     kind="comment")
case("x:@dronejoost", "nl", [],
     "Tip: zet je tokens altijd in een .env en nooit in de code. Zo dus: GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx 😉")
case("x:@devrel_anna", "en", [],
     "Reminder from the Stripe docs: live keys start with sk_live_ and you should treat them like passwords. Rotate anything you've ever pasted in a screenshot.")
case("x:@mevrouwdekker", "nl", [],
     "Wachtwoord vergeten van de Skyvial app en de resetmail kwam niet aan. Oh wacht, spamfolder. Laat maar 🙈")
case("facebook:kees.bloemendaal", "nl", [],
     "Mijn boekhouder vraagt naar het rekeningnummer van Skyvial. Ik had <<BADIBAN_A>> genoteerd, maar volgens de bank bestaat dat nummer niet. Typfout vermoed ik. Iemand het goede?")
case("x:@ellie_vos", "en", [],
     "Ordering through Skyvial for my mum and the card form said '<<BADCARD_A>> is not a valid card number'. I'd swapped two digits, my bad. Works now 😅")
case("x:@henk_uit_ede", "nl", [],
     "Het formulier van de Skyvial-portal weigerde steeds '<<BADBSN_A>>' als BSN. Bleek dat ik 'm verkeerd had overgetypt van mijn pas. Die controle werkt dus prima 👍")
case("x:@ruthmakes", "en", [],
     "Skyvial order <<BADBSN_B>> arrived in 18 minutes, insulin still perfectly cold. My pharmacist was surprised too.")
case("linkedin:skyvial", "nl", [],
     "Maak kennis met de Skyvial Hop 3: 9 kg laadvermogen, verwarmd laadruim en 45 km bereik. Vanaf vandaag te bestellen voor ziekenhuizen en apotheken.",
     at="2027-03-15T09:00:00Z")
case("x:@skyvial", "en", [],
     "Our FY2026 results are out: revenue up 61% and our first profitable quarter in Q4. Full report on www.skyvial.nl/investors.",
     at="2027-02-25T07:30:00Z")
case("x:@dronejoost", "nl", [],
     "De jaarcijfers 2026 zijn eindelijk openbaar, dus nu mag ik het zeggen: trots op dit team 🍾",
     at="2027-02-26T08:12:00Z")
case("bluesky:@basdekker.bsky.social", "en", [],
     "Flew the Hop 3 for our first paying hospital customer today. Now that it's launched I can finally post pictures!",
     at="2027-03-20T15:40:00Z")
case("x:@dronenieuws", "nl", [],
     "Concurrent Pharmafly haalt €20 mln op en breidt uit naar Duitsland. Spannende markt, ook Skyvial zal dit gaan merken.")
case("x:@techwire_eu", "en", [],
     "Another medical drone startup, AirCura, announced 15% layoffs today. Tough year for drone logistics.")
case("x:@buurvrouw_els", "nl", [],
     "Sterkte aan het team van Skyvial in Breda na het overlijden van jullie collega Ahmed. Hij bracht jarenlang met een glimlach de medicijnen van mijn man rond. 🕯️")
case("x:@dadjokes_daily", "en", [],
     "My pharmacist switched to drone delivery. Now my prescriptions literally come out of thin air 🚁💊 #skyvial")
case("tiktok:@bobbie_de_beagle", "nl", [],
     "Mijn hond is in oorlog met de Skyvial-drone. Elke dinsdag om 10:15 blaft hij de lucht bij elkaar. De drone wint elke keer 😂🐶")
case("linkedin:noor-haddou", "en", [],
     "We're hiring! 12 drone pilots and 3 flight dispatchers for our new hub in Arnhem. Apply via werkenbij@skyvial.nl or DM me.")
case("linkedin:kees-van-rijn-skyvial", "en", [],
     "Delighted that Skyvial's 2025 annual report is now public: 1.2 million deliveries and zero injury incidents. Read it on skyvial.nl.",
     at="2026-03-26T10:00:00Z")
case("x:@skyvial", "nl", [],
     "Gepland onderhoud: zaterdag 02:00–04:00 is de app niet bereikbaar. Spoedvluchten gaan gewoon door. Volg status.skyvial.nl voor updates.")
case("linkedin:skyvial", "en", [],
     "This week we ran our annual emergency drill at Hub Utrecht together with the fire brigade. Great practice, thanks to everyone involved.")
case("instagram:@pilot.yara", "nl", [],
     "Zonsopkomst boven de Biesbosch vanuit de camera van de Hop 2 🌅 beste baan van Nederland #dronelife")
case("threads:@ilse.vliegt", "nl", [],
     "Er stond vanochtend een ooievaar op het landingsplatform van het ziekenhuis. Hij weigerde te wijken, dus vlucht 10 min vertraagd 🐦😂")
case("reddit:u/beleidsmedewerker_gem", "en", [],
     "Is the Skyvial SafeChute parachute module actually required for flights over residential areas, or only recommended? Asking for a municipal policy doc.")
case("x:@privacy_piet", "nl", [],
     "Vraag: slaat Skyvial beelden van de ClearSight camera op? Ik kan er niks over vinden in de privacyverklaring. Iemand die het weet?")
case("x:@curious_claire", "en", [],
     "Not a complaint, just curious: why does the Skyvial drone circle twice before landing? Some kind of safety check?")
case("tiktok:@skyvial", "nl", [],
     "Zo werkt een VialLocker: code via sms, deurtje open, medicijnen eruit. Klaar in 10 seconden ⏱️ #skyvial #zorg")
case("youtube:@SkyvialDrones", "en", [],
     "New video: how our ColdCase keeps insulin between 2 and 8 °C for 90 minutes, even in a heatwave.")
case("facebook:marja.diabeet", "nl", [],
     "Boycot? Welnee. Ik snap dat niet iedereen drones ziet zitten, maar als diabeet ben ik Skyvial dankbaar. Zonder hen had ik vorige winter zonder insuline gezeten.")
case("x:@sceptical_sam", "en", [],
     "Not gonna lie, I was skeptical of drone meds but after a month of Skyvial deliveries for my dad I'm sold. Zero issues so far.")
case("x:@dochter_van_wim", "nl", [],
     "Skyvial verdient echt een pluim. Vannacht om 3 uur nog pijnstillers gebracht voor mijn vader in de palliatieve zorg. Dank jullie wel 🙏")
case("x:@mirjam_vluchtops", "nl", [],
     "Vandaag de 10.000ste spoedvlucht vanaf Hub Utrecht! Taart voor het hele team 🎂🚁")
case("x:@factcheck_fleur", "en", [],
     "Skyvial battery recall? No, that was AirCura. Skyvial's PowerCell uses a different cell entirely. Please check before you share.")
case("x:@kritische_apotheker", "nl", [],
     "Ik was sceptisch en heb in het voorjaar ook een klacht ingediend, maar die is destijds keurig afgehandeld. Sindsdien geen problemen meer met Skyvial.")
case("x:@phonefirst_phil", "en", [],
     "For anyone asking: Skyvial's customer service number is 0800-7598 and they actually pick up. Called about a delivery window, took 2 minutes.")
case("linkedin:sophie-tjin-skyvial", "en", [],
     "Spoke at the Dutch Hospital Logistics Congress about drones and the cold chain. Slides are public at www.skyvial.nl/congres — thanks for the great questions!")
case("x:@opa_gerrit", "nl", [],
     "Sinterklaas kwam dit jaar niet over het dak maar met een Skyvial drone 😂 (grapje, het waren gewoon de medicijnen van oma)",
     at="2026-12-05T19:30:00Z")
case("reddit:u/apotheek_assistent", "en", [],
     "Passwords on our pharmacy's shared Skyvial account were getting out of hand so we moved to individual logins with 2FA. Took 10 minutes in the portal, recommend.",
     kind="comment")
case("x:@nieuwsgierige_nina", "nl", [],
     "Prijsvraagje: is €689 voor een ColdCase normaal? Lijkt me veel voor een koelbox, maar het is medisch gecertificeerd natuurlijk.",
     price=[("SV-COLD", 689)])
case("linkedin:skyvial", "en", [],
     "Thrilled to welcome UMC Noord as our newest hospital partner. From January, lab samples between their three sites go by Skyvial.")
case("bluesky:@basdekker.bsky.social", "nl", [],
     "Mooie vlucht vandaag langs de Lek, 8 m/s wind en de Hop 2 XL hing als een rots. Video komt op ons YouTube-kanaal.")
case("x:@smalltown_meg", "en", [],
     "Drone delivery gets a lot of hate but the Skyvial pilots in our town are genuinely lovely. One helped my neighbour carry her groceries lol.")
case("x:@praktijk_vdberg", "nl", [],
     "Kortingscode gezien voor 10% op een SealBag 50-pack: €35,95 ipv €39,95. Handig voor de praktijk.",
     price=[("SV-SEAL50", 35.95)])
case("x:@bf_tracker", "en", [],
     "Black Friday check: Skyvial TrackTag €49 instead of €59. Not huge but I'll take it.",
     at="2026-11-27T10:11:00Z", price=[("SV-TAG", 49)])
case("reddit:u/fleet_ruben", "nl", [],
     "Vraag over de FlightDesk-API: ik krijg een 401 met header 'Authorization: Bearer <token weggehaald>'. Iemand die weet welke scope je nodig hebt?",
     kind="comment")
case("x:@scamalert_nl", "en", [],
     "Got an SMS pretending to be Skyvial ('your delivery is on hold, pay €1.99'). Skyvial confirmed it's not them. Don't click!")
case("x:@skyvial_zorg", "nl", [],
     "@anouk_vd_meer Wat vervelend! We zoeken het direct uit. Wilt u uw ordernummer via DM sturen? Dan bellen we u vandaag nog.",
     at="2026-03-11T14:55:00Z")
case("x:@finance_fem", "en", [],
     "Note to self: the number on my Skyvial invoice, <<BADCARD_B>>, is a reference, not a card number 🙃 almost typed it into the payment form.")

# ---------------------------------------------------------------- build

PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
ORDER = ["none", "info", "warning", "error", "critical"]
TAXONOMY = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse",
            "reputation.spike"}

CORP = {a.lower() for a in PROFILE["accounts"]["corporate"]}
EMPL = {a.lower() for a in PROFILE["accounts"]["employee"]}
PUBLIC_IBANS = {re.sub(r"\s", "", i).upper() for i in PROFILE["public_identifiers"]["ibans"]}

IBAN_RE = re.compile(r"\bNL\d{2}\s?[A-Z]{4}(?:\s?\d){10}\b")
CARD_RE = re.compile(r"(?<![\d.])(?:\d{4}[ -]?){3}\d{4}(?![\d.])")
BSN_RE = re.compile(r"(?<![\d.])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\d.])")


def role_of(who):
    k = who.lower()
    return "corporate" if k in CORP else "employee" if k in EMPL else "public"


def identifiers(text):
    """(kind, raw, valid) for every IBAN/card/BSN-shaped number in text."""
    out = []
    for m in IBAN_RE.finditer(text):
        raw = re.sub(r"\s", "", m.group(0))
        if raw in PUBLIC_IBANS:
            out.append(("public_iban", raw, True))
        else:
            out.append(("iban", raw, iban_ok(raw)))
    for m in CARD_RE.finditer(text):
        out.append(("card", m.group(0), luhn_ok(m.group(0))))
    for m in BSN_RE.finditer(text):
        out.append(("bsn", m.group(0), bsn_ok(m.group(0))))
    return out


def strong_id(text):
    return any(v for k, _, v in identifiers(text) if k in ("iban", "card", "bsn"))


def severity(role, cats, text):
    lv = 0
    for c in cats:
        if c.startswith("leak."):
            if role == "public":
                l = 2
            elif c in ("leak.secret", "leak.pricing"):
                l = 4
            elif c == "leak.pii" and strong_id(text):
                l = 4
            else:
                l = 3
        elif c == "reputation.complaint":
            l = 2
        elif c == "reputation.crisis":
            l = 3
        elif c == "reputation.abuse":
            l = 2 if role == "public" else 3
        else:
            raise AssertionError(c)
        lv = max(lv, l)
    return ORDER[lv]


def fill(text):
    def sub(m):
        return G[m.group(1)]
    out = re.sub(r"<<([A-Z0-9_]+)>>", sub, text)
    assert "<<" not in out, out
    return out


def random_time():
    start = datetime(2026, 1, 3, tzinfo=timezone.utc)
    t = start + timedelta(seconds=rng.randint(0, 352 * 86400))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def build():
    ids = rng.sample(range(1_000_000, 9_999_999), len(CASES))
    rows = []
    for c, num in zip(CASES, ids):
        platform, handle = c["who"].split(":", 1)
        text = fill(c["text"])
        kind = c["kind"] or ("reply" if text.startswith("@") else "post")
        role = role_of(c["who"])
        post = {"id": "%s-%d" % (platform, num), "platform": platform, "kind": kind,
                "account": {"handle": handle}, "text": text, "lang": c["lang"],
                "created_at": c["at"] or random_time(), "brand": "skyvial"}
        rows.append({"post": post,
                     "expect": {"categories": c["cats"],
                                "severity": severity(role, c["cats"], text)},
                     "_meta": {"role": role, "price": c["price"]}})
    rng.shuffle(rows)
    return rows

# ---------------------------------------------------------------- checks


def parse_ts(s):
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", s), s
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def check(rows):
    errors = []

    def err(row, msg):
        errors.append("%s: %s" % (row["post"]["id"], msg))

    n = len(rows)
    if not 170 <= n <= 180:
        errors.append("case count %d outside 170-180" % n)
    ids = [r["post"]["id"] for r in rows]
    if len(set(ids)) != n:
        errors.append("duplicate ids")

    products = {p["sku"]: p for p in PROFILE["products"]}
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    codenames = [s.lower() for s in PROFILE["internal"]["codenames"]]
    markers = [s.lower() for s in PROFILE["internal"]["markers"]]
    idomains = [s.lower() for s in PROFILE["internal"]["domains"]]
    embargo = [(t.lower(), parse_ts(e["until"])) for e in PROFILE["embargo"] for t in e["terms"]]
    profile_handles = CORP | EMPL

    for r in rows:
        p, e, meta = r["post"], r["expect"], r["_meta"]
        # CONTRACT section 1 / 6 shape
        if set(r) - {"post", "expect", "_meta"}:
            err(r, "extra keys")
        if not (isinstance(p["id"], str) and 1 <= len(p["id"]) <= 256):
            err(r, "bad id")
        if p["platform"] not in PLATFORMS:
            err(r, "bad platform")
        if p["kind"] not in {"post", "reply", "repost", "comment", "message"}:
            err(r, "bad kind")
        if not (isinstance(p["account"]["handle"], str) and p["account"]["handle"]):
            err(r, "bad handle")
        if not (isinstance(p["text"], str) and p["text"] and len(p["text"].encode()) <= 65536):
            err(r, "bad text")
        ts = parse_ts(p["created_at"])
        if not datetime(2026, 1, 1, tzinfo=timezone.utc) <= ts < datetime(2027, 4, 1, tzinfo=timezone.utc):
            err(r, "date out of range")
        if ts.year == 2027 and not any(abs((ts - u).days) <= 30 for _, u in embargo):
            err(r, "2027 date not near an embargo")
        cats = e["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= TAXONOMY or "reputation.spike" in cats:
            err(r, "bad categories")
        if e["severity"] not in ORDER:
            err(r, "bad severity")
        if not cats and e["severity"] != "none":
            err(r, "benign with severity")
        if cats and e["severity"] in ("none", "info"):
            err(r, "positive without severity")
        key = ("%s:%s" % (p["platform"], p["account"]["handle"])).lower()
        if meta["role"] == "public" and key in profile_handles:
            err(r, "role mismatch")
        text = p["text"]
        low = text.lower()

        # identifiers
        ids_found = identifiers(text)
        if "leak.pii" in cats:
            for kind, raw, ok in ids_found:
                if kind == "public_iban":
                    err(r, "company IBAN used in a PII positive")
                elif not ok:
                    err(r, "invalid %s %s in PII positive" % (kind, raw))
        else:
            for kind, raw, ok in ids_found:
                if kind != "public_iban" and ok:
                    err(r, "valid %s %s in a case without leak.pii" % (kind, raw))
        # every generated identifier placed in the texts behaves as intended
        # (checked once below, over G)

        # secrets
        for tok in GH_RE.findall(text):
            if ("leak.secret" in cats) != gh_ok(tok):
                err(r, "github token checksum does not match label: %s" % tok)
        for tok in re.findall(r"\bAKIA[0-9A-Z]{16}\b", text):
            if "leak.secret" in cats:
                if not re.fullmatch(r"AKIA[A-Z2-7]{16}", tok):
                    err(r, "bad AWS key id")
            elif not tok.endswith("EXAMPLE"):
                err(r, "real-looking AWS key in benign")
        for tok in JWT_RE.findall(text):
            if not jwt_ok(tok):
                err(r, "JWT header without alg")
            if "leak.secret" not in cats:
                err(r, "JWT in a case without leak.secret")
        if "leak.secret" not in cats:
            if re.search(r"sk_live_[A-Za-z0-9]{8,}|xox[bp]-\d|sk-(proj|ant)-|glpat-[\w-]{8}|AIza[\w-]{20}|PRIVATE KEY-----|://[^/\s:]+:[^@\s]+@", text):
                err(r, "credential-shaped string in a case without leak.secret")
            m = re.search(r"wachtwoord\s*[:=]\s*(\S+)", low)
            if m and not set(m.group(1)) <= set("*•x."):
                err(r, "password in a case without leak.secret")

        # internal terms must be labelled
        if "leak.confidential" not in cats:
            for t in codenames + markers + idomains:
                if t in low:
                    err(r, "internal term %r without leak.confidential" % t)
            for t, until in embargo:
                if t in low and ts < until:
                    err(r, "embargoed term %r before %s without leak.confidential" % (t, until))

        # pricing
        if "leak.pricing" in cats and not meta["price"]:
            err(r, "pricing positive without a price")
        for sku, val in meta["price"] or []:
            rt = val / products[sku]["list_price"]
            if "leak.pricing" in cats and rt >= ratio:
                err(r, "pricing positive at ratio %.2f" % rt)
            if "leak.pricing" not in cats and rt < 0.65:
                err(r, "benign price at ratio %.2f" % rt)

    # the generated identifiers themselves
    for k, v in G.items():
        if k.startswith(("IBAN_",)):
            assert iban_ok(v), k
        if k.startswith("BADIBAN"):
            assert not iban_ok(v), k
        if k.startswith("CARD_"):
            assert luhn_ok(v), k
        if k.startswith("BADCARD"):
            assert not luhn_ok(v), k
        if k.startswith("BSN_"):
            assert bsn_ok(v), k
        if k.startswith("BADBSN"):
            assert not bsn_ok(v), k
    assert gh_ok(G["GHP"]) and gh_ok(G["GHS"])
    assert re.fullmatch(r"AKIA[A-Z2-7]{16}", G["AKIA"])
    assert jwt_ok(G["JWT"])
    # every placeholder was used
    used = set()
    for c in CASES:
        used |= set(re.findall(r"<<([A-Z0-9_]+)>>", c["text"]))
    if used != set(G):
        errors.append("unused generated values: %s" % sorted(set(G) - used))
    return errors


def main():
    rows = build()
    errors = check(rows)
    out = os.path.join(HERE, "cases.jsonl")
    with open(out, "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n")
    # re-read what was written and check it is valid JSON with the right shape
    with open(out, encoding="utf-8") as fh:
        for line in fh:
            obj = json.loads(line)
            assert set(obj) == {"post", "expect"}
    benign = sum(1 for r in rows if not r["expect"]["categories"])
    counts = {}
    for r in rows:
        for c in r["expect"]["categories"]:
            counts[c] = counts.get(c, 0) + 1
    langs = {}
    for r in rows:
        langs[r["post"]["lang"]] = langs.get(r["post"]["lang"], 0) + 1
    roles = {}
    for r in rows:
        if r["expect"]["categories"]:
            k = (r["_meta"]["role"], "leak" if any(c.startswith("leak.") for c in r["expect"]["categories"]) else "rep")
            roles[k] = roles.get(k, 0) + 1
    sev = {}
    for r in rows:
        sev[r["expect"]["severity"]] = sev.get(r["expect"]["severity"], 0) + 1
    print("cases %d, benign %d, positives %d" % (len(rows), benign, len(rows) - benign))
    print("categories", json.dumps(dict(sorted(counts.items()))))
    print("languages", langs, "severities", sev)
    print("roles", {"%s/%s" % k: v for k, v in sorted(roles.items())})
    if errors:
        for e in errors:
            print("CHECK FAILED:", e, file=sys.stderr)
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
