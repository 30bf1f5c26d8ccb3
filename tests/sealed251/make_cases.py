#!/usr/bin/env python3
"""Build the sealed251 evaluation set for postwatch (window and facade cleaning).

Deterministic: fixed seed, standard library plus PyYAML.  Writes cases.jsonl next
to this file and checks it: identifiers pass (positives) or fail (negatives) their
checksums, generated secrets are well-formed, every line follows CONTRACT section 6,
and every severity is derived from CONTRACT section 4 and the account role in
profile.yaml (never typed by hand).
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
SEED = 251
rng = random.Random(SEED)

PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))

# --------------------------------------------------------------------------
# identifier generators and validators
# --------------------------------------------------------------------------
DIGITS = "0123456789"
ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
URLSAFE = ALNUM + "-_"


def rand(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(bank):
    acct = rand(DIGITS, 10)
    bban = bank + acct
    n = int("".join(str(int(c, 36)) for c in bban + "NL00"))
    return "NL%02d%s" % (98 - n % 97, bban)


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


def make_card(prefix):
    body = prefix + rand(DIGITS, 15 - len(prefix))
    for last in DIGITS:
        if luhn_ok(body + last):
            return body + last
    raise AssertionError


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9:
        return False
    w = [9, 8, 7, 6, 5, 4, 3, 2, -1]
    return sum(int(c) * k for c, k in zip(s, w)) % 11 == 0 and s[0] != "0"


def make_bsn():
    while True:
        head = str(rng.randint(1, 6)) + rand(DIGITS, 7)
        s = sum(int(c) * k for c, k in zip(head, [9, 8, 7, 6, 5, 4, 3, 2]))
        last = s % 11
        if last < 10:
            cand = head + str(last)
            assert bsn_ok(cand)
            return cand


def flip_digit(s, pos_from_end):
    """Change one digit (counted from the end, digits only) -> breaks the checksum."""
    chars = list(s)
    idx = [i for i, c in enumerate(chars) if c.isdigit()]
    i = idx[-pos_from_end]
    chars[i] = str((int(chars[i]) + 3) % 10)
    return "".join(chars)


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out or "0"


def make_gh(prefix):
    body = rand(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode())).rjust(6, "0")


def gh_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt():
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = b64url(json.dumps({"sub": "svc-routeplanner", "role": "admin",
                                 "iat": 1767225600 + rng.randint(0, 9_000_000)},
                                separators=(",", ":")).encode())
    sig = b64url(bytes(rng.randrange(256) for _ in range(32)))
    return "%s.%s.%s" % (header, payload, sig)


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    pad = "=" * (-len(parts[0]) % 4)
    hdr = json.loads(base64.urlsafe_b64decode(parts[0] + pad))
    return "alg" in hdr


def make_rsa_key():
    der = bytes.fromhex("308204a40201000282010100") + bytes(rng.randrange(256) for _ in range(1180))
    body = base64.b64encode(der).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"


G = {}
# valid personal identifiers (positives only)
G["IBAN_REFUND"] = make_iban("INGB")
G["IBAN_CLAASSEN"] = make_iban("ABNA")
G["IBAN_DEWIT"] = make_iban("SNSB")
G["CARD_JESSE"] = group4(make_card("4"))
G["CARD_LOTTE"] = make_card("52")
G["BSN_HR"] = make_bsn()
G["BSN_JEROEN"] = make_bsn()
# look-alikes that fail their checksum (negatives only)
_v = make_iban("RABO")
G["BADIBAN"] = flip_digit(_v, 3)
G["BADCARD"] = group4(flip_digit(make_card("4"), 1))
G["BADBSN"] = flip_digit(make_bsn(), 5)
# secrets (positives only)
G["GHP1"] = make_gh("ghp_")
G["GHO1"] = make_gh("gho_")
G["AWS_ID"] = "AKIA" + rand(B32, 16)
G["AWS_SECRET"] = rand(ALNUM + "/+", 40)
G["JWT"] = make_jwt()
G["SLACK"] = "xoxb-%s-%s-%s" % (rand(DIGITS, 12), rand(DIGITS, 13), rand(ALNUM, 24))
G["STRIPE"] = "sk_live_" + rand(ALNUM, 24)
G["OPENAI"] = "sk-proj-" + rand(URLSAFE, 40) + "T3BlbkFJ" + rand(URLSAFE, 40)
G["GOOGLE"] = "AIza" + rand(URLSAFE, 35)
G["GITLAB"] = "glpat-" + rand(URLSAFE, 20)
G["PGPASS"] = rand(ALNUM, 6) + "!" + rand(ALNUM, 7)
G["PGURL"] = "postgres://routeplanner:%s@10.20.4.15:5432/planning" % G["PGPASS"]
G["RSAKEY"] = make_rsa_key()
G["PUBIBAN"] = PROFILE["public_identifiers"]["ibans"][0]

VALID_IDS = {"IBAN_REFUND", "IBAN_CLAASSEN", "IBAN_DEWIT", "CARD_JESSE", "CARD_LOTTE",
             "BSN_HR", "BSN_JEROEN"}
BAD_IDS = {"BADIBAN", "BADCARD", "BADBSN"}
SECRET_IDS = {"GHP1", "GHO1", "AWS_ID", "AWS_SECRET", "JWT", "SLACK", "STRIPE", "OPENAI",
              "GOOGLE", "GITLAB", "PGURL", "RSAKEY"}

# --------------------------------------------------------------------------
# category codes
# --------------------------------------------------------------------------
CAT = {
    "S": "leak.secret", "P": "leak.pii", "PR": "leak.pricing", "C": "leak.confidential",
    "F": "leak.financial", "SEC": "leak.security", "CR": "reputation.crisis",
    "CO": "reputation.complaint", "AB": "reputation.abuse",
}

ZW = "\u200b"  # zero-width space
CYR_O = "\u043e"  # Cyrillic small o


def fw(s):
    """Full-width letters."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# --------------------------------------------------------------------------
# the cases: (platform, handle, kind, lang, text, categories, created_at or None)
# --------------------------------------------------------------------------
CASES = []


def c(platform, handle, kind, lang, text, cats="", when=None):
    CASES.append((platform, handle, kind, lang, text, cats.split(), when))


# ---------------- reputation.complaint ----------------
c("x", "@marloes_uit_zwolle", "reply", "nl",
  "@ruitenraaf_help 3e keer dat jullie glazenwasser gewoon NIET komt opdagen. Hele ochtend thuisgebleven "
  "voor niks. Abonnement Plus betalen en dan dit 🙄", "CO")
c("facebook", "Henk Brouwers", "comment", "nl",
  "Gevel laten reinigen door Ruitenraaf en nu zitten er overal witte strepen op de stenen en de kozijnen. "
  "Bij navraag krijg ik elke keer een ander verhaal. Niet tevreden, echt niet.", "CO")
c("x", "@pjotr_devs", "post", "en",
  "Paid @ruitenraaf for the solar panel wash in April, guy sprayed for 10 min from the ground and left. "
  "Panels still covered in bird poop, yield didn't move at all. I want my money back", "CO")
c("reddit", "u/greyhaven_ams", "post", "en",
  "Anyone else stuck in Ruitenraaf's cancellation loop? Tried to cancel my window subscription in March, "
  "still getting charged every quarter. Customer service keeps saying the 'ticket is escalated'. "
  "Escalated where, the moon?", "CO")
c("instagram", "@femkevh", "comment", "nl",
  "Kunnen jullie de volgende keer even je schoenen vegen? Modderpoten op de vensterbank en mijn plantenpot "
  "omgestoten. Ramen zijn wel schoon dat dan", "CO")
c("x", "@jvanderlinde", "reply", "en",
  "@RaafPro my Glasrobot R2 stopped halfway down the window twice this week and now it won't hold suction "
  "at all. It's 5 weeks old. Support chat just sends me a FAQ link. pretty disappointed tbh", "CO")
c("x", "@trudy_1958", "post", "nl",
  "Afspraak gemaakt via afspraak.ruitenraaf.nl voor dinsdag, bevestiging gehad, niemand gekomen. Bellen = "
  "25 min in de wacht en dan 'we kijken ernaar'. Zo ga je toch niet met je klanten om??", "CO")
c("tiktok", "@mila.bakt", "post", "nl",
  "pov: je betaalt ruitenraaf om je ramen te lappen en na 1 regenbui zie je ALLE strepen weer 😭😭 "
  "#ruitenraaf #nooitweer", "CO")
c("linkedin", "rick-oosterhuis-facility", "post", "en",
  "Our office runs on the Kantoorglas Maandpakket from Ruitenraaf. Third month in a row the ground floor "
  "gets skipped and invoiced anyway. Contract review is coming up and honestly this isn't helping their case.",
  "CO")
c("x", "@bas_fietst", "post", "nl",
  "Ruitenraaf heeft mijn dakgoot 'schoongemaakt'. Staat nog steeds vol blad en de regenpijp hangt los. "
  "€119 hiervoor?", "CO")
c("mastodon", "@ellenw@mastodon.social", "post", "en",
  "The Ruitenraaf crew left their ladder leaning against our neighbour's car overnight. Long scratch on the "
  "door. Nobody answers our emails. Not great, folks.", "CO")
c("facebook", "Gerda Hulshof", "post", "nl",
  "Klacht ingediend over de Graffiti Weg behandeling op onze schuur: de tekst is weg, maar er zit nu een "
  "lichte vlek in precies de vorm van de tekst 😂 je kunt het gewoon nog lezen. Al 3 weken geen reactie.", "CO")

# ---------------- safety incident, first hand: crisis + complaint ----------------
c("x", "@koenraadt", "post", "en",
  "Our RaafPro Osmose Unit 400 caught fire in the garage last night. Battery compartment started smoking, then "
  "flames. Fire brigade came out. We're ok but I'm furious, this thing is sold as pro gear @RaafPro", "CR CO")
c("facebook", "Yvonne de Groot", "post", "nl",
  "Osmose Mini van RaafPro lekt water bij de stekker en ik kreeg een flinke schok toen ik hem aanzette. "
  "Arm deed nog uren pijn. Hoe kan zoiets verkocht worden??", "CR CO")
c("instagram", "@sophie.tuinhuis", "post", "nl",
  "Na de gevelreiniging van Ruitenraaf waren mijn zoontje (4) en de hond allebei ziek: overgeven en rode "
  "plekken. Ze hebben een of ander zuur middel gebruikt en het terras niet afgespoeld. Huisarts denkt aan "
  "contact met dat spul. Ik ben woest.", "CR CO")
c("x", "@dirkjan_utr", "post", "en",
  "Glasrobot R2 dropped off our 2nd floor window when the safety cord snapped. Landed half a metre from my "
  "daughter in the garden. Could have killed her. @RaafPro this needs a recall, not a discount code.", "CR CO")
c("reddit", "u/bloempot_amsterdam", "post", "nl",
  "Vandaag bijna een emmer op m'n hoofd gehad van een glazenwasser van Ruitenraaf, vanaf de 4e verdieping "
  "op de Overtoom. Viel letterlijk 30 cm naast me. Hij riep 'sorry!' en ging gewoon door. Sta nog te trillen.",
  "CR CO")

# ---------------- complaint + own personal data ----------------
c("x", "@annekebos", "reply", "nl",
  "@ruitenraaf_help al 2 weken geen reactie op mijn klacht over de gebarsten ruit. Bel me gewoon terug: "
  "06-41 27 83 95. Anneke Bos.", "CO P")
c("facebook", "Marco Pietersen", "comment", "en",
  "Still waiting for the refund on the cancelled facade job, it's been 6 weeks. For the 10th time: "
  "<<IBAN_REFUND>>, M. Pietersen. Just send it.", "CO P")

# ---------------- complaint + abuse ----------------
c("x", "@wouter_zzz", "post", "nl",
  "Ruitenraaf stelletje prutsers. Gevel helemaal verkleurd en die 'klantenservice' van jullie zijn kutrobots "
  "die niks oplossen. Waardeloos tuig.", "CO AB")

# ---------------- reputation.crisis ----------------
c("x", "@nieuws_kralingen", "post", "nl",
  "Glazenwasser (34) zwaargewond na val van hoogwerker bij kantoorpand in Kralingen. Volgens omstanders "
  "werkte hij voor Ruitenraaf. Arbeidsinspectie doet onderzoek.", "CR")
c("x", "@privacywaakhond", "post", "nl",
  "Klanten van Ruitenraaf melden dat hun adres én de code van hun sleutelkluisje in een openbaar gedeelde "
  "spreadsheet stonden. Datalek? Bij de AP is niks gemeld. #datalek #ruitenraaf", "CR")
c("x", "@hofstadnieuws", "post", "nl",
  "Volgens het AD stapt VvE Zeezicht in Scheveningen naar de rechter tegen Ruitenraaf. Zestig kozijnen zouden "
  "beschadigd zijn door hogedrukreiniging, de dagvaarding is inmiddels betekend.", "CR")
c("reddit", "u/ladderlogic", "post", "en",
  "PSA: RaafPro is recalling the Valbeveiligingsharnas from the March batch, the buckle can open under load. "
  "Check the label if you bought one this spring, it's on the NVWA recall page.", "CR", "2026-05-20T12:44:00Z")
c("x", "@schoonmaakbond", "post", "en",
  "Workers at Ruitenraaf's Eindhoven depot say they're paid per window, not per hour, and regularly end up "
  "under minimum wage. We're calling on customers to boycott until this is fixed. #boycottRuitenraaf", "CR")
c("tiktok", "@eerlijkwerk.nl", "post", "nl",
  "Undercover bij Ruitenraaf: glazenwassers zonder valbeveiliging op 3 hoog, zzp'ers die gewoon personeel "
  "zijn. Deel dit. Dit bedrijf verdient geen klanten. #ruitenraaf #boycot", "CR")
c("x", "@edestad_actueel", "post", "nl",
  "Brandweer rukt uit voor brandende bestelbus van Ruitenraaf op de Stationsweg. Het vuur ontstond vermoedelijk "
  "in de accu van een osmose-installatie. Niemand gewond.", "CR")
c("bluesky", "@hannah-reports.bsky.social", "post", "en",
  "Hearing that Ruitenraaf customers' details ended up in a phishing wave last week, the mails quoted real "
  "appointment dates. Has the company said anything at all? Smells like a breach.", "CR")
c("facebook", "Buurtgroep Lindenholt", "post", "nl",
  "LET OP!! Mannen in Ruitenraaf-hesjes gaan langs de deuren en vragen om vooruitbetaling. Bij een buurvrouw is "
  "daarna ingebroken. Ruitenraaf zegt 'niet van ons' maar die hesjes zijn echt. Wat is hier aan de hand??", "CR")
c("x", "@anouk_reports", "post", "en",
  "Breaking: Ruitenraaf sued by former franchise holders over alleged hidden fees, court filings show. "
  "The company declined to comment.", "CR")

# ---------------- reputation.abuse ----------------
c("x", "@r0bbie_", "reply", "nl",
  "@bramopdeladder jij bent echt de domste glazenwasser van heel Utrecht, ga lekker terug je ladder op sukkel",
  "AB")
c("instagram", "@dennis.v.x", "comment", "nl",
  "die vent van ruitenraaf in onze straat is echt een vuile eikel, staat de hele dag naar binnen te loeren. "
  "flikker op man", "AB")
c("x", "@grumpygeorge77", "reply", "en",
  "@ruitenraaf you absolute clowns. Bunch of useless muppets with buckets. Hope the whole company goes under.",
  "AB")
c("tiktok", "@xx_stefan_xx", "comment", "nl",
  "ruitenraaf is een k4nk3rbedrijf en die glazenwassers van jullie zijn allemaal tuig 🤮", "AB")
c("x", "@mvdberg81", "reply", "nl",
  "@ruitenraaf_help jullie zijn een stelletje kl" + CYR_O + CYR_O + "tzakken, echt idioten allemaal", "AB")
c("reddit", "u/truthbomb_nl", "comment", "en",
  "Of course Ruitenraaf only hires foreigners who can't even read the sticker on a ladder. Send them all back "
  "where they came from.", "AB")
c("facebook", "Ronald Smeets", "comment", "nl",
  "Sanne van Ruitenraaf, ik weet waar je woont en welke auto je rijdt. Nog één keer mijn afspraak verzetten en "
  "je zal het merken.", "AB")
c("x", "@kev_rants", "post", "en",
  "ruitenraaf support are a bunch of f u c k i n g idiots, every single one of you", "AB")
c("instagram", "@patty.xo", "comment", "nl",
  "Wat een dikke lelijke koe hebben jullie aan de telefoon zeg. Ontslaan die trut @ruitenraaf", "AB")
c("x", "@dutchdave", "reply", "en",
  "@RaafPro " + fw("morons") + ". total " + fw("morons") + ", the lot of you", "AB")
c("tiktok", "@gevelgijs", "reply", "nl",
  "@janneke_klaagt als je zo'n zeikerd blijft mag je je eigen ramen lappen, debiel", "AB")

# ---------------- leak.pii ----------------
c("x", "@ruitenraaf_help", "reply", "en",
  "@jvanderlinde Hi! We found your order. Just to confirm: delivery to J. van der Linde, Kastanjelaan 27, "
  "3833 AN Leusden, phone 06 28 19 44 70? DM us if anything's off.", "P")
c("x", "@bramopdeladder", "post", "nl",
  "Wie kent mevr. Hoekstra, Lange Nieuwstraat 88 in Utrecht? Sleutel zou onder de mat liggen zegt de planning "
  "maar er ligt niks 😅 bel haar ff: 06-1938 5526", "P")
c("linkedin", "anouk-verhoeven", "post", "nl",
  "Voor de loonadministratie nog even: BSN van de nieuwe collega is <<BSN_HR>>, contract start 1/9. Kan iemand "
  "van HR dit oppakken?", "P")
c("facebook", "RuitenraafNL", "reply", "nl",
  "Beste mevrouw Claassen, de terugbetaling van €189 is vandaag overgemaakt naar <<IBAN_CLAASSEN>>. Excuses "
  "voor het ongemak!", "P")
c("instagram", "@jesse.glaswerk", "post", "en",
  "customer paid by card over the phone and I scribbled it on the invoice lol: <<CARD_JESSE>> exp 09/28 😬 "
  "(don't worry, shredding it tonight)", "P")
c("tiktok", "@gevelgijs", "post", "nl",
  "klant van vandaag is 90 geworden!! meneer A. Roos, geboren 12-05-1936, woont nog helemaal zelfstandig aan de "
  "Dorpsstraat 4 in Bunnik 🎉 respect", "P")
c("x", "@ruitenraaf", "reply", "en",
  "@sarah_lieve Sorry about that Sarah! Our planner has your address as sarah.lievens1988@gmail.com, could you "
  "check your spam folder for the confirmation?", "P")
c("bluesky", "@noor-planning.bsky.social", "post", "nl",
  "planning-chaos vandaag. als iemand van team Noord dit leest: de klant in Hengelo (R. Mulder, 074-2453318) "
  "wil het slot van 9:00 verzetten, bel haar even aub", "P")
c("x", "@karin_schrijft", "post", "nl",
  "Zat in onze bus: een factuur van Ruitenraaf aan P. de Wit, Kerkpad 3 in Houten, met zijn volledige "
  "rekeningnummer <<IBAN_DEWIT>> erop. Verkeerde brievenbus jongens...", "P")
c("reddit", "u/kees_op_de_hoogwerker", "comment", "en",
  "Had a customer today hand me her passport to copy 'for the key handover'. NXC4R81J2, Dutch, "
  "Marieke Jansen. Why do people do this lol", "P")
c("x", "@lotte_kuiper_rr", "post", "nl",
  "Collega's: de nieuwe klant in Amersfoort heeft creditcard <<CARD_LOTTE>> opgegeven voor de automatische "
  "betaling, kan iemand dat in het systeem zetten? ik kom er niet in", "P")
c("instagram", "@lindaaa.x", "post", "nl",
  "Ruitenraaf was er vandaag en wow die ramen!! Wie ook een afspraak wil voor de buurtkorting: app me op "
  "0612873340 dan zet ik je op de lijst 😊", "P")
c("mastodon", "@rinusvdmeer", "post", "en",
  "New hire's details got pasted in the team channel again... Jeroen Smit, born 03/11/1999, BSN "
  "<<BSN_JEROEN>>. Please people, that's what the HR portal is for.", "P")

# ---------------- leak.confidential ----------------
c("x", "@daan_hofstede", "post", "nl",
  "Eindelijk mag ik het vertellen... nee toch niet 😅 maar Project Stormmeeuw gaat de glazenwasbranche echt "
  "op z'n kop zetten. Nog even geduld!", "C")
c("linkedin", "mehmet-yildiz-ruitenraaf", "post", "en",
  "Proud of the team testing the Glasrobot R4 prototype on the Rotterdam towers this week. Can't share specs "
  "yet 🤫 #innovation", "C")
c("instagram", "@jesse.glaswerk", "post", "nl",
  "eerste testvlucht met de RaafDrone vandaag 🚁 ramen op 8 hoog zonder hoogwerker. dit wordt big", "C")
c("x", "@lotte_kuiper_rr", "post", "nl",
  "kan iemand mij de link naar planbord.ruitenraaf.nl/routes/week sturen? bladwijzer kwijt en ik moet m'n "
  "lijst voor morgen hebben", "C")
c("threads", "@sanne.ruitenraaf", "post", "nl",
  "Slide uit de kwartaalsessie die ik eigenlijk niet had mogen fotograferen haha, staat er gewoon 'RAAF-INTERN, "
  "niet voor extern gebruik' op, maar kijk die nieuwe huisstijl 😍", "C")
c("linkedin", "ruitenraaf-glas-gevelzorg", "post", "en",
  "Internal update (Ruitenraaf confidential): the Kraanvogel pilot moves to phase 2 in Q3 with 12 franchise "
  "locations. Please do not forward.", "C")
c("mastodon", "@rinusvdmeer", "post", "en",
  "Fun fact: the dashboard at grafana.ruitenraaf.local/d/vans shows our whole van fleet live on a map. "
  "Love this job", "C")
c("bluesky", "@noor-planning.bsky.social", "post", "nl",
  "Operatie Zee" + ZW + "mleer start maandag in Den Haag, ik heb er zin in", "C")
c("tiktok", "@gevelgijs", "post", "nl",
  "volgende week begint o.p.e.r.a.t.i.e z.e.e.m.l.e.e.r en ik mag mee 👀 #glazenwasser", "C")
c("x", "@branche_insider", "post", "en",
  "Word is Ruitenraaf's Glasrobot R4 comes with a built-in camera that checks for streaks. Saw the leaked "
  "spec sheet in a dealer group this morning.", "C")
c("x", "@bramopdeladder", "post", "nl",
  fw("KRAANVOGEL") + " gaat live in Zwolle 🐦 eindelijk", "C")
c("linkedin", "anouk-verhoeven", "post", "nl",
  "Handige tip voor collega's: alle werkinstructies staan nu op intra.ruitenraaf.local/kennisbank, dus geen "
  "gezoek meer in je mail!", "C")
c("reddit", "u/kees_op_de_hoogwerker", "post", "en",
  "Got a training deck today marked 'niet voor extern gebruik' about the new franchise model. Basically "
  "they're moving franchisees from per-window to per-m² billing. Thoughts?", "C")
c("x", "@daan_hofstede", "post", "nl",
  "git.ruitenraaf.nl/apps/afspraak-app/-/merge_requests/212 wie wil er reviewen? 🙏 koffie van mij", "C")

# ---------------- leak.confidential + leak.financial ----------------
c("linkedin", "mehmet-yildiz-ruitenraaf", "post", "en",
  "Can't say much, but Project Stormmeeuw = us buying a Belgian competitor. Signing is planned for November. "
  "Big things ahead!", "C F")
c("x", "@lotte_kuiper_rr", "post", "nl",
  "slides van Operatie Zeemleer gezien... 3 regiokantoren dicht en ~45 fte eruit in het voorjaar. nog niks "
  "officieel dus mondje dicht 🤐", "C F", "2027-01-14T20:41:00Z")
c("threads", "@sanne.ruitenraaf", "post", "nl",
  "Sneak peek: de jaarcijfers 2026 zien er goed uit, omzet ~14% hoger en RaafPro voor het eerst winstgevend "
  "🎉 officieel later deze maand", "C F", "2027-02-12T16:20:00Z")

# ---------------- leak.confidential + leak.security ----------------
c("threads", "@sanne.ruitenraaf", "post", "en",
  "heads up team: don't log in to vpn.ruitenraaf.nl today, someone has been brute-forcing it all night and IT "
  "thinks at least two accounts are compromised. official mail comes later", "C SEC")

# ---------------- leak.financial ----------------
c("x", "@daan_hofstede", "post", "en",
  "Q3 numbers came in internally: revenue 11% under plan, mostly the solar wash dip. Management is going to "
  "have fun explaining that one.", "F", "2026-10-06T17:25:00Z")
c("linkedin", "anouk-verhoeven", "post", "nl",
  "Na vandaag weet ik het zeker: de overname door Vitrum Facility Group gaat door, de aankondiging komt over "
  "twee weken. Spannende tijden voor iedereen bij Ruitenraaf!", "F")
c("x", "@beursgeruchten", "post", "nl",
  "Hoor uit goede bron dat Ruitenraaf na de zomer 30% van de buitendienst gaat ontslaan. Nog niet "
  "aangekondigd, let maar op.", "F")
c("mastodon", "@rinusvdmeer", "post", "en",
  "The forecast for 2027 they showed us in the team meeting: flat revenue, EBITDA margin sliding to 6%. "
  "Not quite the story we tell the bank, lol.", "F")
c("x", "@bramopdeladder", "post", "nl",
  "Hoorde de CFO net bij de koffieautomaat: het halfjaar wordt zo'n 2,1 miljoen verlies. Benieuwd hoe ze dat "
  "in augustus gaan brengen 😬", "F", "2026-07-03T10:05:00Z")
c("instagram", "@jesse.glaswerk", "post", "en",
  "rumour in the depot is we're merging with GevelPlus next spring and my boss basically confirmed it today. "
  "no press release yet 👀", "F")
c("bluesky", "@noor-planning.bsky.social", "post", "nl",
  "Vanaf januari gaat de hele planningsafdeling naar Polen. 18 mensen hier krijgen volgende week 'het gesprek'. "
  "Nog niet gecommuniceerd. Ik ben er kapot van.", "F")
c("x", "@lotte_kuiper_rr", "post", "nl",
  "Directie heeft vandaag een prijsverhoging van 12% op alle abonnementen goedgekeurd, per maart. Aankondiging "
  "moet nog komen, sterkte alvast klantenservice 😅", "F")
c("reddit", "u/ex_raaf_planner", "comment", "en",
  "Ex-employee here. Ruitenraaf is breaching its bank covenants this year and they're negotiating a waiver "
  "right now. That's the real reason for the hiring freeze.", "F")

# ---------------- leak.security ----------------
c("x", "@daan_hofstede", "post", "nl",
  "Afspraak-app ligt al sinds 6 uur plat, blijkt ransomware op de planningsserver te zitten. Klanten krijgen "
  "te horen dat het 'onderhoud' is. Lekker dan.", "SEC")
c("reddit", "u/kees_op_de_hoogwerker", "post", "en",
  "Fun discovery: in our customer app you can change the appointment number in the URL and see someone else's "
  "address and key-box code. Reported it 3 weeks ago, still not fixed.", "SEC")
c("mastodon", "@rinusvdmeer", "post", "en",
  "Someone phished the finance mailbox on Monday and sent fake invoices to ~200 VvE customers from our real "
  "address. Nothing communicated yet, management is 'assessing'.", "SEC")
c("linkedin", "mehmet-yildiz-ruitenraaf", "post", "nl",
  "Voor de IT-collega's: onze VPN-appliance is nog steeds niet gepatcht tegen dat Fortinet-lek van vorige "
  "maand. Wie pakt dit op? Wordt echt tijd.", "SEC")
c("tiktok", "@gevelgijs", "post", "nl",
  "jongens het hele tablet-systeem in de busjes ligt er al 2 dagen uit, we werken weer met papieren lijstjes 📝 "
  "iemand op kantoor zei dat er 'iets met een hack' was", "SEC")
c("x", "@lotte_kuiper_rr", "post", "nl",
  "Collega's opgelet: de gedeelde map met alle sleutelcodes van klanten stond maandenlang op 'iedereen met de "
  "link'. IT heeft het vanochtend dichtgezet maar niemand weet wie erin heeft gekeken.", "SEC")
c("threads", "@sanne.ruitenraaf", "post", "nl",
  "Wie heeft die laptop met de klantenlijsten in de trein laten liggen?? IT zegt dat hij niet versleuteld was 😳 "
  "niet verder vertellen he", "SEC")
c("x", "@zzp_glasman", "post", "en",
  "As a subcontractor for Ruitenraaf I can see every franchise's customer list in their partner portal, not "
  "just my own. Told them in May. Still wide open.", "SEC")
c("bluesky", "@noor-planning.bsky.social", "post", "en",
  "the payment page on shop.ruitenraaf.nl had a card skimmer script injected since Friday, we only found it "
  "today. comms wants to wait until Monday before saying anything.", "SEC")
c("instagram", "@jesse.glaswerk", "post", "nl",
  "die storing in de RaafPro app gisteren? was geen storing hoor, iemand had de database gewist. backup van 3 "
  "dagen oud teruggezet 🙃", "SEC")

# ---------------- leak.security + leak.secret ----------------
c("x", "@daan_hofstede", "post", "nl",
  "Prod-database ligt er weer uit na die inbraak van vorige week. kan iemand checken of dit wachtwoord al "
  "geroteerd is? <<PGURL>>", "SEC S")
c("mastodon", "@rinusvdmeer", "post", "en",
  "The key from the pentest report is STILL valid lol: <<AWS_ID>> / <<AWS_SECRET>> . Rotation ticket "
  "open since August, nobody cares.", "SEC S")

# ---------------- leak.secret ----------------
c("x", "@daan_hofstede", "post", "en",
  "ugh pasted this in the wrong window, ignore: GITHUB_TOKEN=<<GHP1>>", "S", "2027-01-08T09:12:00Z")
c("linkedin", "anouk-verhoeven", "post", "nl",
  "Voor de nieuwe collega's in het depot Nieuwegein: gast-wifi is 'RR-Depot', wachtwoord: Zeem#Lap2026! "
  "Welkom allemaal!", "S")
c("bluesky", "@noor-planning.bsky.social", "post", "nl",
  "wie kan me helpen met de Slack-bot voor de planning, hij faalt steeds. token: <<SLACK>>", "S")
c("x", "@devnoob_nl", "post", "en",
  "lol @RaafPro your shop's JS bundle ships a Google Maps key with zero restrictions: <<GOOGLE>> you might "
  "want to rotate that", "S")
c("x", "@lotte_kuiper_rr", "post", "nl",
  "Ik test de betaalflow van de nieuwe shop, kan iemand van dev bevestigen dat dit de goede key is? "
  "<<STRIPE>>", "S")
c("mastodon", "@rinusvdmeer", "post", "en",
  "Playing with a little route-planning assistant, here's the OpenAI key if anyone wants to try it: "
  "<<OPENAI>> (on the company card 😇)", "S")
c("tiktok", "@gevelgijs", "post", "nl",
  "het wacht" + ZW + "woord van ons teamaccount op de planning-app is gewoon Oost!Raaf2026 lol, staat op een "
  "post-it in de bus", "S")
c("x", "@daan_hofstede", "reply", "en",
  "@lotte_kuiper_rr try it with this header, works for me: Authorization: Bearer <<JWT>>", "S")
c("reddit", "u/kees_op_de_hoogwerker", "post", "en",
  "Someone from IT pasted the deploy key for the van tablets in the team chat and now it's in my screenshots "
  "forever:\n<<RSAKEY>>\nsecurity culture 10/10", "S")
c("x", "@bramopdeladder", "post", "nl",
  "Kan iemand kijken waarom de build van de app faalt? mijn token zit er gewoon in: <<GITLAB>>", "S")

# ---------------- leak.pricing ----------------
c("x", "@ruitenraaf", "post", "nl",
  "🎉 Alleen vandaag: RaafPro Glasrobot R3 Pro voor maar €54,90! Op=op via shop.ruitenraaf.nl", "PR")
c("x", "@dealjager_nl", "post", "nl",
  "PRIJSFOUT?? Osmose Unit 400 voor €119 bij RaafPro 😳 snel zijn! #deal #korting", "PR")
c("reddit", "u/bargainbert", "post", "en",
  "RaafPro Telestok 18m Carbon is listed at €89.90 on their site right now, pretty sure that's a price error "
  "(normally ~900). Ordered two 😂", "PR")
c("x", "@lotte_kuiper_rr", "post", "nl",
  "Help, in de webshop staat het VvE Glasplan op €245 ipv €2450 🙈 iemand van e-com die dit kan fixen?", "PR")
c("instagram", "@ruitenraaf", "post", "nl",
  "Najaarsactie! 🍂 Gevelreiniging Vrijstaand nu voor €129 👉 link in bio", "PR", "2026-10-12T08:00:00Z")
c("facebook", "Peter Veenstra", "post", "nl",
  "Net de Gevelimpregnatie geboekt voor €98,50. Lekker goedkoop, de buurman betaalde bijna een mille 😅", "PR")
c("linkedin", "anouk-verhoeven", "post", "nl",
  "Er is een prijsfout geweest bij het Glasabonnement Plus in de app: sommige klanten zagen het voor €32,90 "
  "per jaar. We lossen het op, graag niet te veel ruchtbaarheid aan geven.", "PR")
c("x", "@klusvader", "post", "en",
  "Just got the RaafPro Accupack 36V for €17.90 on their webshop, that can't be right? Anyone else?", "PR")
c("tiktok", "@deals.met.dewi", "post", "nl",
  "zonnepanelen wasbeurt bij ruitenraaf voor €14,90??? dit moet een foutje zijn 😂 geboekt!! #prijsfout", "PR")
c("facebook", "RuitenraafNL", "post", "en",
  "Black Friday: RaafPro Telestok 12m for just €38.90, while stocks last!", "PR", "2026-11-27T06:30:00Z")
c("x", "@schoonmaakjunkie", "post", "nl",
  "Osmose Mini nu €45,90 bij de Ruitenraaf shop, volgens mij mist er een nul haha", "PR")
c("instagram", "@jesse.glaswerk", "post", "en",
  "lol the Valbeveiligingsharnas shows €24.90 in our shop, someone fix that before the whole industry orders one",
  "PR")

# ---------------- benign (mostly hard negatives) ----------------
c("x", "@ruitenraaf_help", "reply", "nl",
  "@hansje_b Hoi! Je bereikt ons via klantenservice@ruitenraaf.nl of bel 030-7994120 (ma-vr 8-18u). We helpen "
  "je graag!")
c("facebook", "RuitenraafNL", "post", "nl",
  "Liever per overschrijving betalen? Maak het bedrag over naar <<PUBIBAN>> t.n.v. Ruitenraaf Glas- en "
  "Gevelzorg B.V. o.v.v. je klantnummer.")
c("instagram", "@mieke.woont", "post", "nl",
  "Ramen zo schoon dat ik dacht dat ze eruit waren 😍 dank je @ruitenraaf, tot volgend kwartaal!")
c("x", "@timo_bouwt", "post", "en",
  "Does the Glasrobot R2 work on skylights / roof windows? Thinking of getting one for the attic.")
c("instagram", "@ruitenraaf", "post", "nl",
  "Glasrobot R2 nu tijdelijk €279 i.p.v. €329 🧽 Alleen t/m zondag in de shop!")
c("x", "@RaafPro", "post", "en",
  "Spring deal: 20% off the Trekkerset 35cm, now €31.95 instead of €39.95.", "", "2026-04-02T09:00:00Z")
c("x", "@bramopdeladder", "post", "nl",
  "40 ramen, 3 etages en 1 kop koffie van een lieve mevrouw ☕ mooie dag in Zeist #glazenwasser")
c("x", "@daan_hofstede", "post", "en",
  "Reminder for our dev team: never paste real tokens in tickets. Use placeholders like "
  "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx or AKIAIOSFODNN7EXAMPLE in examples. Thanks!")
c("x", "@schoonmaaknieuws", "post", "nl",
  "Gevelgroep Noord, een concurrent van Ruitenraaf, schrapt 60 banen na tegenvallende jaarcijfers. Vakbond "
  "reageert geschokt.")
c("facebook", "Ingrid Vos", "post", "nl",
  "Update: vorige week klaagde ik hier over de gemiste afspraak. Ruitenraaf belde zelf terug, kwam de volgende "
  "ochtend en heeft de beurt niet in rekening gebracht. Netjes opgelost 👍")
c("linkedin", "ruitenraaf-glas-gevelzorg", "post", "nl",
  "Vandaag publiceren we onze jaarcijfers 2026: omzet +14% en RaafPro voor het eerst winstgevend. Het volledige "
  "verslag staat op ruitenraaf.nl/investors.", "", "2027-03-02T07:30:00Z")
c("x", "@RaafPro", "post", "en",
  "It's here: meet the Glasrobot R4 🪟🤖 Available now at shop.ruitenraaf.nl", "", "2027-04-10T09:00:00Z")
c("instagram", "@jesse.glaswerk", "post", "nl",
  "Eerste echte klus met de RaafDrone gedaan, wat een ding 🚁 #raafpro", "", "2027-04-15T13:12:00Z")
c("x", "@privacytips_nl", "post", "nl",
  "Tip: deel nooit je BSN online. Iets als 123456789 lijkt echt, maar haalt niet eens de elfproef. En nee, "
  "je glazenwasser (ook Ruitenraaf niet) heeft je BSN nooit nodig.")
c("x", "@ollie_nl", "post", "en",
  "My Ruitenraaf invoice reference is <<BADCARD>>, anyone know why it's so long? Looks like a card number lol")
c("facebook", "Hanneke Bouma", "comment", "nl",
  "Kreeg bij het overmaken steeds 'ongeldig rekeningnummer'. Had <<BADIBAN>> ingetikt, blijkt één cijfer "
  "verkeerd 🙈 met het nummer van de Ruitenraaf-site ging het meteen goed.")
c("x", "@frieslandnu", "post", "nl",
  "Sterkte aan de familie van de glazenwasser die gisteren in Leeuwarden verongelukte. Hij werkte voor een "
  "klein bedrijf uit Drachten. Mooi dat Ruitenraaf vandaag in al hun depots een minuut stilte hield.")
c("x", "@momof3_en", "post", "en",
  "My windows after Ruitenraaf: crystal clear. My windows after my kids: abstract art 🖐️🖐️🖐️")
c("tiktok", "@kampeerkoen", "comment", "nl",
  "hoe krijg je die Telestok 12m kort genoeg voor in de auto? iemand tips?")
c("youtube", "RaafProTV", "post", "en",
  "How to swap the pads on your Glasrobot R3 Pro in under 2 minutes. Questions? Mail klantenservice@ruitenraaf.nl")
c("linkedin", "mehmet-yildiz-ruitenraaf", "post", "nl",
  "Trots op onze 25 nieuwe leerlingen die vandaag hun VCA-diploma haalden! Veilig werken op hoogte begint bij "
  "goede training. #Ruitenraaf")
c("x", "@woonwijs_anna", "post", "nl",
  "Wat kost de Gevelreiniging Rijtjeshuis bij Ruitenraaf nou echt? Ik zie €749 staan, is dat inclusief "
  "impregneren?")
c("reddit", "u/squeegee_sam", "comment", "en",
  "For comparison: the RaafPro Osmose Unit 400 is €1195, the competitor equivalent is about €1050. Worth the "
  "extra for the 3-year warranty imo.")
c("x", "@daan_hofstede", "post", "en",
  "Password managers: use them. Nobody should have 'wachtwoord: ********' on a post-it in the van. Security "
  "week at Ruitenraaf starts Monday!")
c("x", "@gardenguy_tom", "post", "en",
  "Windows done, gutters cleared, and the guy even spotted a leak in our roof before it got bad. Thanks "
  "Ruitenraaf 🙌")
c("x", "@ruitenraaf", "post", "nl",
  "Storing opgelost ✅ De afspraak-app werkt weer normaal. Excuses voor het ongemak vanochtend!")
c("x", "@bbq_bert", "post", "en",
  "Burned my hand on the BBQ and still did my own windows with the RaafPro Trekkerset. Great squeegee, honestly.")
c("instagram", "@huize_oranje", "post", "nl",
  "Onze gevel was groen van de algen, nu weer oranje zoals in 1978 😄 Ruitenraaf bedankt #voorna")
c("linkedin", "ruitenraaf-glas-gevelzorg", "post", "en",
  "We're hiring window cleaners in Utrecht and Amersfoort! Apply via werkenbij@ruitenraaf.nl or call "
  "+31 30 799 4120.")
c("x", "@joost_b", "post", "nl",
  "Glasservice de Vries kwam wéér niet opdagen. Volgend jaar maar eens Ruitenraaf proberen, de buurvrouw is er "
  "heel blij mee.")
c("mastodon", "@erfgoedlisa@mastodon.nl", "post", "en",
  "Nice read on how facade cleaners handle graffiti on heritage buildings. The Ruitenraaf crew explains why "
  "they never use acid on old brick.")
c("tiktok", "@gevelgijs", "post", "nl",
  "POV: je hebt hoogtevrees maar je werkt op de hoogwerker 😂 (grapje, harnas om, veiligheid eerst) #gevelgijs")
c("x", "@officelife_jen", "post", "en",
  "Fire drill at our office today and the Ruitenraaf guys on the gondola just waved at all of us standing "
  "outside 😂")
c("instagram", "@serre_sietske", "post", "nl",
  "Osmose Mini gekocht voor de serre en voor het eerst geen kalkvlekken! €459 maar elke cent waard")
c("mastodon", "@rinusvdmeer", "post", "en",
  "TIL there's no Dutch word for 'squeegee' that everyone agrees on. We say 'trekker', my gran says 'wisser'. "
  "Discuss.")
c("x", "@bosschenaar", "post", "nl",
  "Iemand een goede glazenwasser in Den Bosch? Twijfel tussen Ruitenraaf en een zzp'er uit de buurt.")
c("facebook", "Laura Mendes", "post", "en",
  "Ruitenraaf's chatbot told me to 'try turning the window off and on again' 😂 to be fair it rebooked my "
  "appointment in 30 seconds.")
c("x", "@petra_k", "post", "nl",
  "Moest bij het aanmelden bij Ruitenraaf een klantnummer van 9 cijfers invullen: <<BADBSN>>. Dacht eerst dat "
  "ze mijn BSN wilden haha, maar nee hoor.")
c("instagram", "@ruitenraaf", "post", "en",
  "Before 👉 after. Graffiti Weg on a 1920s school building in Haarlem. Swipe for the result!")
c("x", "@facility_weekly", "post", "en",
  "Big week in facility services: Vitrum Facility Group reports Q3 revenue up 8%. Curious what that means for "
  "smaller players like Ruitenraaf.", "", "2026-10-22T09:15:00Z")
c("linkedin", "anouk-verhoeven", "post", "en",
  "Great day at the cleaning trade fair. Talked to dozens of VvE managers about the VvE Glasplan, €2450 a year "
  "for a whole building, and they still asked why it's so cheap 😄")
c("x", "@hansje_b", "post", "nl",
  "@ruitenraaf_help wachtwoord van de app vergeten, hoe reset ik dat?", "", "2026-10-18T19:02:00Z")
c("x", "@ruitenraaf_help", "reply", "nl",
  "@hansje_b Via 'Wachtwoord vergeten' op het inlogscherm krijg je een resetlink in je mail. Lukt het niet? "
  "Bel gratis 0800-7223 😊", "", "2026-10-18T19:31:00Z")
c("x", "@calm_carl", "post", "en",
  "Boycott? Nah. Ruitenraaf fixed the streaks within 2 days after I complained. People online are so dramatic.")
c("reddit", "u/ladder_rookie", "post", "en",
  "Is the RaafPro Valbeveiligingsharnas worth €249 or should I go cheaper? Mostly 2-storey houses.")
c("x", "@vogelspotter_v", "post", "nl",
  "Zat vandaag een raaf op de dakgoot terwijl de glazenwasser van Ruitenraaf bezig was. Betere marketing "
  "bestaat niet 🐦‍⬛")
c("x", "@bramopdeladder", "post", "en",
  "Rain all day so it's admin day. Invoices, planning, coffee. Back on the ladder tomorrow!")
c("x", "@apisec_ellen", "post", "en",
  "Ruitenraaf's dev blog post on API hygiene is solid. Every example key is shown redacted like "
  "sk_live_•••••••••••••••• and they explain rotation. More companies should write like this.")
c("instagram", "@opgeruimd_leven", "post", "nl",
  "Streeploos Concentraat is echt top, één dopje in een emmer en klaar. €24,95 voor 5 liter en je doet er een "
  "jaar mee.")
c("x", "@eindhoven_emma", "post", "en",
  "Sympathy to the Ruitenraaf team in Eindhoven, heard their depot flooded in the storm. Hope everyone's safe.")
c("facebook", "RuitenraafNL", "post", "nl",
  "Vanaf 1 maart kost het Glasabonnement Basis €199 per jaar (was €189). Je houdt gewoon 4 beurten per jaar.", "",
  "2026-02-10T08:00:00Z")
c("x", "@kattenmens_ilse", "post", "nl",
  "Hahaha mijn kat probeert de Glasrobot R2 aan te vallen terwijl hij het raam doet 😂🐈")
c("x", "@newinutrecht", "post", "en",
  "Does Ruitenraaf also do the inside of the windows or only outside? Website isn't clear.")
c("bluesky", "@noor-planning.bsky.social", "post", "nl",
  "Planningstip: boek je glazenwasser in maart, dan zijn de pollen eraf voor de zomer 🌸")
c("x", "@verkeer_rob", "post", "nl",
  "Hoogwerker van Ruitenraaf stond vandaag keurig afgezet met pionnen en een verkeersregelaar erbij. Zo hoort "
  "het.")
c("reddit", "u/devops_dirk", "comment", "en",
  "Following the tutorial for the RaafPro dealer API. The docs use AKIAIOSFODNN7EXAMPLE and "
  "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY as the sample pair, obviously not real creds.")
c("x", "@zonnig_zeist", "post", "nl",
  "Zonnepanelen laten doen door Ruitenraaf, €149 voor 18 panelen en de opbrengst is meteen hoger ☀️")
c("tiktok", "@ruitenraaf.official", "post", "nl",
  "Zo werkt onze Osmose Unit 400: puur water, geen zeep, geen strepen 💧 #raafpro #glazenwassen")
c("x", "@consumentalert", "post", "en",
  "Recall notice: SkyWipe X1 window robots pulled from sale over a faulty safety rope. Not related to RaafPro, "
  "Glasrobot R2 owners are fine.")
c("facebook", "Ellen Kramer", "post", "nl",
  "Mijn schoonvader heeft 40 jaar ramen gelapt en ging vandaag met pensioen. Ruitenraaf stuurde een taart 🎂 "
  "wat lief.")


# --------------------------------------------------------------------------
# severity (CONTRACT section 4), computed from the profile's account role
# --------------------------------------------------------------------------
SEV = ["none", "info", "warning", "error", "critical"]
ROLE = {}
for role in ("corporate", "employee"):
    for entry in PROFILE["accounts"][role]:
        plat, handle = entry.split(":", 1)
        ROLE[(plat.lower(), handle.lower())] = role


def role_of(platform, handle):
    return ROLE.get((platform.lower(), handle.lower()), "public")


PUBLIC_IBANS = {re.sub(r"\s", "", i).upper() for i in PROFILE["public_identifiers"]["ibans"]}
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\w-])(\d{4}([ -]?)\d{4}\2\d{4}\2\d{4})(?![\w-])")
BSN_RE = re.compile(r"(?i)(?:bsn|burgerservicenummer|klantnummer)\D{0,40}?(?<!\d)(\d{9})(?!\d)")


def checksum_ids(text):
    """(kind, value, valid) for every IBAN, card and BSN-like number in text."""
    out = []
    for m in IBAN_RE.finditer(text):
        v = re.sub(r"\s", "", m.group(0))
        if v.upper() in PUBLIC_IBANS:
            continue
        out.append(("iban", v, iban_ok(v)))
    for m in CARD_RE.finditer(text):
        out.append(("card", m.group(1), luhn_ok(m.group(1))))
    for m in BSN_RE.finditer(text):
        out.append(("bsn", m.group(1), bsn_ok(m.group(1))))
    return out


def severity(cats, role, text):
    if not cats:
        return "none"
    insider = role in ("corporate", "employee")
    sev = 0
    for cat in cats:
        if cat.startswith("leak."):
            if insider:
                s = 3
                if cat in ("leak.secret", "leak.pricing"):
                    s = 4
                if cat == "leak.pii" and any(ok for _, _, ok in checksum_ids(text)):
                    s = 4
            else:
                s = 2
        elif cat == "reputation.complaint":
            s = 2
        elif cat == "reputation.crisis":
            s = 3
        elif cat == "reputation.abuse":
            s = 3 if insider else 2
        else:
            raise AssertionError(cat)
        sev = max(sev, s)
    return SEV[sev]


# --------------------------------------------------------------------------
# build
# --------------------------------------------------------------------------
PLACEHOLDER = re.compile(r"<<([A-Z0-9_]+)>>")
START = dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc)
SPAN = int((dt.datetime(2026, 12, 20, tzinfo=dt.timezone.utc) - START).total_seconds())
PREFIX = {"x": "x", "facebook": "fb", "instagram": "ig", "linkedin": "li", "tiktok": "tt", "reddit": "rd",
          "mastodon": "md", "bluesky": "bs", "threads": "th", "youtube": "yt"}


def build():
    rows, meta = [], []
    for n, (platform, handle, kind, lang, text, codes, when) in enumerate(CASES, start=1):
        used = PLACEHOLDER.findall(text)
        text = PLACEHOLDER.sub(lambda m: G[m.group(1)], text)
        if when is None:
            when = (START + dt.timedelta(seconds=rng.randrange(SPAN))).strftime("%Y-%m-%dT%H:%M:%SZ")
        cats = sorted({CAT[x] for x in codes})
        role = role_of(platform, handle)
        post = {
            "id": "%s-rr251-%03d" % (PREFIX[platform], n),
            "platform": platform,
            "kind": kind,
            "account": {"handle": handle},
            "text": text,
            "lang": lang,
            "created_at": when,
            "brand": "ruitenraaf",
        }
        rows.append({"post": post, "expect": {"categories": cats, "severity": severity(cats, role, text)}})
        meta.append({"used": used, "role": role})
    # stable order, but not grouped by category
    order = list(range(len(rows)))
    random.Random(SEED + 1).shuffle(order)
    return [rows[i] for i in order], [meta[i] for i in order]


# --------------------------------------------------------------------------
# self-checks
# --------------------------------------------------------------------------
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
TAXONOMY = set(CAT.values())
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
SECRET_RES = [
    re.compile(r"\bgh[pousr]_[0-9A-Za-z]{36}\b"),
    re.compile(r"\bAKIA[A-Z2-7]{16}\b"),
    re.compile(r"\bxox[abpr]-\d+-\d+-[0-9A-Za-z]+"),
    re.compile(r"\bsk_live_[0-9A-Za-z]{16,}"),
    re.compile(r"\bsk-proj-[\w-]{20,}"),
    re.compile(r"\bAIza[\w-]{35}"),
    re.compile(r"\bglpat-[\w-]{20}"),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+"),
    re.compile(r"\b\w+://[^\s:/@]+:[^\s@]+@"),
]


def is_sample(tok):
    """Documentation samples and placeholders are not secrets."""
    return "EXAMPLE" in tok or re.search(r"_x{20,}$", tok) is not None


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def price_mentions(text):
    out = []
    for m in re.finditer(r"€\s?(\d[\d.,]*\d|\d)", text):
        raw = m.group(1)
        cm = re.search(r"[.,](\d{2})$", raw)
        cents = int(cm.group(1)) if cm else 0
        whole = raw[:cm.start()] if cm else raw
        out.append(int(re.sub(r"\D", "", whole)) + cents / 100)
    return out


def check(rows, meta):
    errs = []
    ids = set()
    prof = PROFILE
    codenames = [x.lower() for x in prof["internal"]["codenames"]]
    markers = [x.lower() for x in prof["internal"]["markers"]]
    idomains = [x.lower() for x in prof["internal"]["domains"]]
    embargo = [(t.lower(), parse_ts(e["until"])) for e in prof["embargo"] for t in e["terms"]]
    ratio = prof["pricing"]["alert_below_ratio"]
    products = [(p["name"], [p["name"]] + p["aliases"], p["list_price"]) for p in prof["products"]]
    if not 170 <= len(rows) <= 180:
        errs.append("case count %d outside 170-180" % len(rows))
    for row, m in zip(rows, meta):
        p, e = row["post"], row["expect"]
        pid = p.get("id")
        def bad(msg):
            errs.append("%s: %s" % (pid, msg))
        # CONTRACT section 6 / section 1 shape
        if set(row) != {"post", "expect"}:
            bad("top-level keys")
        if not isinstance(pid, str) or not 1 <= len(pid) <= 256:
            bad("id")
        if pid in ids:
            bad("duplicate id")
        ids.add(pid)
        if p.get("platform") not in PLATFORMS:
            bad("platform")
        if p.get("kind", "post") not in KINDS:
            bad("kind")
        if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str) \
                or not p["account"]["handle"]:
            bad("account.handle")
        if not isinstance(p.get("text"), str) or not p["text"] or len(p["text"].encode("utf-8")) > 65536:
            bad("text")
        if not isinstance(p.get("created_at"), str) or not RFC3339.match(p["created_at"]):
            bad("created_at")
        ts = parse_ts(p["created_at"])
        if not (2026 <= ts.year <= 2027):
            bad("created_at year")
        if ts.year == 2027 and not any(abs((ts - u).days) <= 60 for _, u in embargo):
            bad("2027 date not near an embargo")
        if set(e) != {"categories", "severity"}:
            bad("expect keys")
        cats = e["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= TAXONOMY:
            bad("categories not sorted/unique/known: %r" % cats)
        if e["severity"] not in SEV:
            bad("severity value")
        role = role_of(p["platform"], p["account"]["handle"])
        if role != m["role"] or e["severity"] != severity(cats, role, p["text"]):
            bad("severity does not follow CONTRACT 4")
        if not cats and e["severity"] != "none":
            bad("benign with severity")
        text = p["text"]
        low = text.lower()
        # identifiers: positives valid, negatives invalid
        found = checksum_ids(text)
        for kind, val, ok in found:
            if cats and not ok:
                bad("positive holds a %s that fails its checksum: %s" % (kind, val))
            if not cats and ok:
                bad("benign holds a valid %s: %s" % (kind, val))
            if ok and "leak.pii" not in cats:
                bad("valid %s without leak.pii" % kind)
        for name in m["used"]:
            if name in VALID_IDS and "leak.pii" not in cats:
                bad("valid identifier %s in a non-pii case" % name)
            if name in BAD_IDS and cats:
                bad("look-alike %s in a positive" % name)
            if name in SECRET_IDS and "leak.secret" not in cats:
                bad("secret %s in a non-secret case" % name)
            if name in VALID_IDS | BAD_IDS and G[name] not in text:
                bad("identifier %s missing" % name)
        # generated secrets well-formed
        for tok in re.findall(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", text):
            if cats and not gh_ok(tok):
                bad("GitHub token with bad CRC")
            if not cats and gh_ok(tok):
                bad("benign holds a valid GitHub token")
        for tok in re.findall(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+", text):
            if not jwt_ok(tok):
                bad("JWT header lacks alg")
        hit_secret = any(not is_sample(mm.group(0)) for r in SECRET_RES for mm in r.finditer(text))
        if hit_secret and "leak.secret" not in cats:
            bad("secret pattern without leak.secret")
        if not cats and hit_secret:
            bad("benign holds a secret pattern")
        for tok in re.findall(r"\bAKIA[A-Z0-9]{16}\b", text):
            if cats and tok.endswith("EXAMPLE"):
                bad("sample AWS key in a positive")
        # confidential terms in plain text must be labelled
        if any(x in low for x in codenames + markers + idomains) and "leak.confidential" not in cats:
            bad("codename/marker/internal domain without leak.confidential")
        for term, until in embargo:
            if term in low:
                if ts < until and "leak.confidential" not in cats:
                    bad("embargo term '%s' before until without leak.confidential" % term)
                if ts >= until and "leak.confidential" in cats:
                    bad("embargo term '%s' labelled after until" % term)
        # pricing
        mentioned = [(nm, lp) for nm, names, lp in products if any(a.lower() in low for a in names)]
        prices = price_mentions(text)
        if "leak.pricing" in cats:
            if not mentioned:
                bad("pricing case without a product")
            low_price = any(pr < ratio * lp for _, lp in mentioned for pr in prices)
            talk = re.search(r"prijsfout|price error|foutje|mist er een nul|can't be right|fix that", low)
            if not (low_price or talk):
                bad("pricing case without a low price or price-error talk")
        elif mentioned and prices:
            lp_min = min(lp for _, lp in mentioned)
            if any(pr < ratio * lp_min for pr in prices):
                bad("non-pricing case with a price far below list")
        if "reputation.spike" in cats:
            bad("spike on a single post")
    # mix
    counts = {}
    for row in rows:
        for cat in row["expect"]["categories"]:
            counts[cat] = counts.get(cat, 0) + 1
    benign = sum(1 for r in rows if not r["expect"]["categories"])
    nl = sum(1 for r in rows if r["post"]["lang"] == "nl")
    want = {"reputation.complaint": (18, 23), "leak.confidential": (16, 21), "leak.pii": (13, 18),
            "reputation.crisis": (13, 18), "leak.security": (11, 15), "leak.secret": (10, 14),
            "reputation.abuse": (10, 14), "leak.pricing": (10, 14), "leak.financial": (10, 14)}
    for cat, (lo, hi) in want.items():
        if not lo <= counts.get(cat, 0) <= hi:
            errs.append("count of %s = %d outside %d-%d" % (cat, counts.get(cat, 0), lo, hi))
    if not 55 <= benign <= 65:
        errs.append("benign count %d" % benign)
    if not 0.50 <= nl / len(rows) <= 0.60:
        errs.append("Dutch share %.2f" % (nl / len(rows)))
    return errs, counts, benign, nl


def main():
    # generator self-tests
    assert all(iban_ok(G[k]) for k in ("IBAN_REFUND", "IBAN_CLAASSEN", "IBAN_DEWIT", "PUBIBAN"))
    assert not iban_ok(G["BADIBAN"])
    assert luhn_ok(G["CARD_JESSE"]) and luhn_ok(G["CARD_LOTTE"]) and not luhn_ok(G["BADCARD"])
    assert bsn_ok(G["BSN_HR"]) and bsn_ok(G["BSN_JEROEN"]) and not bsn_ok(G["BADBSN"])
    assert gh_ok(G["GHP1"]) and gh_ok(G["GHO1"]) and jwt_ok(G["JWT"])
    assert re.fullmatch(r"AKIA[A-Z2-7]{16}", G["AWS_ID"])
    rows, meta = build()
    errs, counts, benign, nl = check(rows, meta)
    out = os.path.join(HERE, "cases.jsonl")
    with open(out, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    # re-read what was written and check it again
    with open(out, encoding="utf-8") as f:
        again = [json.loads(line) for line in f]
    if again != rows:
        errs.append("round trip mismatch")
    if errs:
        for x in errs:
            print("FAIL", x, file=sys.stderr)
        sys.exit(1)
    print("ok: %d cases, %d benign, %d Dutch; %s" % (len(rows), benign, nl,
          ", ".join("%s=%d" % kv for kv in sorted(counts.items()))))


if __name__ == "__main__":
    main()
