#!/usr/bin/env python3
"""Build the labelled evaluation set 335 (Portiqo VvE-Beheer) and self-check it.

Deterministic: a fixed seed drives every generated identifier, credential, id and
timestamp. Post texts are hand-written below. Severities are computed from the
account role found in profile.yaml (CONTRACT section 4), never typed by hand.

Writes cases.jsonl next to this file, then re-reads and verifies it:
  * every line is a valid CONTRACT section 6 case;
  * every IBAN / payment card / BSN in a positive passes its checksum, every
    look-alike in a benign post fails it (the company's own IBAN excepted);
  * generated credentials are well formed (GitHub CRC-32, AWS charset, JWT header);
  * internal terms, codenames, markers and pre-embargo terms are labelled confidential;
  * pricing labels agree with the catalogue and alert_below_ratio;
  * severities follow the policy.
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
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))
OUT = os.path.join(HERE, "cases.jsonl")

R = random.Random(33500335)

B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ZW = "\u200b"

# --------------------------------------------------------------------------- #
# identifier and credential generators
# --------------------------------------------------------------------------- #


def b62(n):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return s or "0"


def github_token(prefix="ghp_"):
    body = "".join(R.choice(B62) for _ in range(30))
    return prefix + body + b62(zlib.crc32(body.encode())).rjust(6, "0")


def github_token_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def aws_key_id():
    return "AKIA" + "".join(R.choice(string.ascii_uppercase + "234567") for _ in range(16))


def aws_secret():
    return "".join(R.choice(string.ascii_letters + string.digits + "/+") for _ in range(40))


def rand_chars(n, alphabet=string.ascii_letters + string.digits):
    return "".join(R.choice(alphabet) for _ in range(n))


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt(payload):
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64url(bytes(R.getrandbits(8) for _ in range(32)))
    return f"{head}.{body}.{sig}"


def openssh_key():
    blob = (b"openssh-key-v1\x00" + b"\x00\x00\x00\x04none" + b"\x00\x00\x00\x04none"
            + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x01" + b"\x00\x00\x00\x33"
            + b"\x00\x00\x00\x0bssh-ed25519" + b"\x00\x00\x00\x20"
            + bytes(R.getrandbits(8) for _ in range(32))
            + b"\x00\x00\x00\x98" + bytes(R.getrandbits(8) for _ in range(152)))
    enc = base64.b64encode(blob).decode()
    lines = [enc[i:i + 70] for i in range(0, len(enc), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def iban_check_digits(country, bban):
    s = bban + country + "00"
    n = int("".join(str(int(ch, 36)) for ch in s))
    return "%02d" % (98 - n % 97)


def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(ch, 36)) for ch in r)) % 97 == 1


def iban(bank="RABO", country="NL"):
    acct = "".join(R.choice(string.digits) for _ in range(10))
    bban = bank + acct
    return country + iban_check_digits(country, bban) + bban


def iban_be():
    acct = "".join(R.choice(string.digits) for _ in range(10))
    acct += "%02d" % ((int(acct) % 97) or 97)
    return "BE" + iban_check_digits("BE", acct) + acct


def bad_iban(bank="RABO"):
    good = iban(bank)
    cd = int(good[2:4])
    bad = good[:2] + "%02d" % ((cd + 7) % 97 or 3) + good[4:]
    assert not iban_ok(bad)
    return bad


def fmt4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)][::-1]
    t = 0
    for i, x in enumerate(d):
        if i % 2:
            x *= 2
            if x > 9:
                x -= 9
        t += x
    return t % 10 == 0


def card(prefix="4", length=16):
    while True:
        body = prefix + "".join(R.choice(string.digits) for _ in range(length - len(prefix) - 1))
        for last in string.digits:
            if luhn_ok(body + last):
                return body + last


def bad_card(prefix="5", length=16):
    good = card(prefix, length)
    bad = good[:-1] + str((int(good[-1]) + 3) % 10)
    assert not luhn_ok(bad)
    return bad


def bsn_ok(num):
    d = re.sub(r"\D", "", num)
    if len(d) != 9 or d == "000000000":
        return False
    t = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return t % 11 == 0


def bsn():
    while True:
        d = str(R.randint(1, 6)) + "".join(R.choice(string.digits) for _ in range(7))
        t = sum(int(d[i]) * (9 - i) for i in range(8))
        last = t % 11
        if last < 10:
            return d + str(last)


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if 0x21 <= ord(c) <= 0x7E else ("\u3000" if c == " " else c) for c in s)


CYR = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "c": "\u0441", "p": "\u0440"}


def cyr(word):
    return "".join(CYR.get(c, c) for c in word)


# --------------------------------------------------------------------------- #
# case collection
# --------------------------------------------------------------------------- #

CATS = {
    "secret": "leak.secret", "pii": "leak.pii", "pricing": "leak.pricing",
    "conf": "leak.confidential", "fin": "leak.financial", "sec": "leak.security",
    "crisis": "reputation.crisis", "compl": "reputation.complaint", "abuse": "reputation.abuse",
}

CASES = []


def P(lang, acct, text, cats=(), kind="post", when=None):
    platform, handle = acct.split(":", 1)
    CASES.append(dict(lang=lang, platform=platform, handle=handle, text=text,
                      cats=sorted(CATS[c] for c in cats), kind=kind, when=when))


# public identifiers used in benign posts
PUB_IBAN = PROFILE["public_identifiers"]["ibans"][0]

# ---- generated material -------------------------------------------------- #
IB_REFUND = iban("ASNB")
IB_OWN = iban("INGB")
IB_ELIDRISSI = iban("TRIO")
IB_BE = iban_be()
CARD_BOUWMARKT = card("4", 16)
CARD_TICKET = card("52", 16)
BSN_ONDERHUUR = bsn()
BSN_FW = bsn()
BAD_IB_WHATSAPP = bad_iban("RABO")
BAD_IB_LETTER = bad_iban("INGB")
BAD_CARD = bad_card("5", 16)
BAD_CARD2 = bad_card("4", 16)

AKIA1 = aws_key_id()
AWSSEC1 = aws_secret()
GHP1 = github_token("ghp_")
GHP_ZW = github_token("ghp_")
GHO_PAT = github_token("gho_")
STRIPE = "sk_live_" + rand_chars(24)
SLACK = "xoxb-" + "".join(R.choice(string.digits) for _ in range(10)) + "-" + \
    "".join(R.choice(string.digits) for _ in range(12)) + "-" + rand_chars(24)
OPENAI = "sk-proj-" + rand_chars(58, string.ascii_letters + string.digits + "_-") + "T3BlbkFJ" + \
    rand_chars(58, string.ascii_letters + string.digits + "_-")
ANTHROPIC = "sk-ant-api03-" + rand_chars(93, string.ascii_letters + string.digits + "_-") + "AA"
GLPAT = "glpat-" + rand_chars(20, string.ascii_letters + string.digits + "_-")
SSHKEY = openssh_key()
JWT1 = jwt({"sub": "beh-20417", "role": "beheerder", "vve": "VVE-0932",
            "iat": 1780300800, "exp": 1780387200})
DBPW = rand_chars(14) + "!"
ADMINPW = "Pq" + rand_chars(6) + "#" + str(R.randint(10, 99))

# --------------------------------------------------------------------------- #
# POSITIVES
# --------------------------------------------------------------------------- #

# ---- complaints ---------------------------------------------------------- #
P("nl", "x:@wendy_utr", "@portiqo_service al 3 weken geen reactie op mijn mail over de lekkage in de badkamer "
  "van de bovenburen. Ik krijg niet eens een ticketnummer. Hoe lang nog?? #Portiqo", ["compl"], "reply")
P("nl", "facebook:Gerrit.vanAmerongen", "Lift in ons complex (Lindenhof, Amersfoort) staat nu 19 dagen stil. "
  "Mijn moeder van 84 zit letterlijk opgesloten op 5 hoog. Portiqo zegt steeds 'de monteur is ingepland'. "
  "Welke monteur?? Niemand gezien hier.", ["compl"], "comment")
P("en", "reddit:u/flatlife_ams", "Anyone else managed by Portiqo? Our annual statement for 2025 still hasn't "
  "arrived and they've already bumped the monthly service charge by 14%. No breakdown, no explanation, just a new "
  "direct debit amount on my bank app. Is this normal for VvE managers?", ["compl"])
P("nl", "x:@marjon1972", "notulen van de ALV van maart nog steeds niet ontvangen. het is oktober. portiqo slaapt "
  "zeker 😴", ["compl"])
P("en", "x:@jvdlinden", "The MijnPortiqo app logs me out every 30 seconds. Reinstalled twice. Can't even upload "
  "a photo of the broken door closer. Great 'digital service' @portiqo_nl 🙄", ["compl"], "reply")
P("nl", "instagram:@sas.kia", "Jullie hebben de VvE-bijdrage van deze maand 2x afgeschreven 😤 En nu moet ik 6 "
  "weken wachten op mijn geld?? @portiqo.vve", ["compl"], "comment")
P("nl", "forum:vvehulp_ruud", "Klacht over Portiqo als beheerder: de schilder zou in mei de kozijnen doen, "
  "offerte goedgekeurd op de ALV, aanbetaling uit de reserve gedaan... het is september en er staat nog geen "
  "steiger. Onze beheerder stuurt alleen standaardmailtjes terug. Iemand tips hoe we dit escaleren?", ["compl"])
P("en", "linkedin:hans-kortekaas-01", "As treasurer of a small VvE I have to say Portiqo's Compleetbeheer has been "
  "a letdown. Three account managers in twelve months, and every one of them asked us for the same documents "
  "again. We pay for 'complete', we get 'start over'.", ["compl"])
P("nl", "tiktok:@dewi.woont", "storingslijn van portiqo = 45 min in de wacht en dan hangen ze op. collectieve "
  "cv kapot, hele flat koud 🥶🥶 #portiqo #vve", ["compl"], "comment")
P("nl", "x:@bas_loenen", "@portiqo_service de schoonmaker komt al 2 maanden niet meer in ons trappenhuis maar "
  "het schoonmaakabonnement wordt gewoon elke maand doorbelast. Lekker dan.", ["compl"], "reply")
P("en", "reddit:u/board_member_zwolle", "Portiqo billed our VvE €1,950 for an 'MJOP update' that was literally "
  "last year's PDF with a new date on the cover page. Same typos, same photos. The board is livid.", ["compl"])

# ---- safety incidents first-hand: crisis + complaint ---------------------- #
P("nl", "x:@robin_gar", "Vannacht vloog de LaadPunt Duo in onze parkeergarage in brand terwijl mijn auto eraan "
  "hing. Brandweer erbij, halve garage zwart. Portiqo heeft dat ding vorig jaar laten plaatsen en nu nemen ze "
  "niet op. Ik ben er echt kapot van @portiqo_nl", ["crisis", "compl"])
P("en", "facebook:mike.oosterhout", "Got a proper electric shock off the new Intercom Pro panel in our hallway "
  "this morning, my arm is still tingling. Rain gets in behind the panel and Portiqo's installer said it was "
  "'fine'. It is NOT fine.", ["crisis", "compl"])
P("nl", "instagram:@famvanes_nijmegen", "Rookmelder Connect ging NIET af toen er rook uit de meterkast kwam. "
  "Gelukkig rook de buurman het op tijd. Portiqo heeft die dingen in alle appartementen gehangen. Wat als we "
  "hadden liggen slapen?? 😡", ["crisis", "compl"])
P("en", "reddit:u/dad_of_three_nl", "PSA: my son sliced his hand open on the key safe Portiqo mounted by our "
  "front door, the edge of the lid is razor sharp. Four stitches at the GP. They put these Sleutelkluis boxes on "
  "every entrance in the complex and nobody answers my emails.", ["crisis", "compl"])
P("nl", "x:@ilse_ko", "Sinds de 'reiniging' van de ventilatiekanalen door de aannemer van Portiqo zijn mijn "
  "dochter en ik al een week misselijk met hoofdpijn. Chemische lucht in heel het huis. Niemand neemt op.",
  ["crisis", "compl"])
P("en", "x:@vve_kade7", "Our VvE board voted unanimously last night to take Portiqo to court. Fourteen months of "
  "mould reports ignored, two flats now uninhabitable. Our lawyer files on Monday.", ["crisis", "compl"])

# ---- crisis, third party / boycott / scandal / recall -------------------- #
P("nl", "x:@nieuws_overvecht", "BREAKING: in Utrecht-Overvecht is gisteravond een laadpaal van Portiqo "
  "uitgebrand in de parkeergarage onder een flat, 40 bewoners geëvacueerd. Niemand gewond volgens de "
  "veiligheidsregio.", ["crisis"])
P("en", "x:@privacywatch_eu", "Portiqo VvE-Beheer reportedly emailed the full owner ledger of a Den Bosch building "
  "(names, flat numbers, bank details) to a contractor's personal Gmail. A data breach by any definition. "
  "Has the AP been notified?", ["crisis"])
P("nl", "x:@stopdebeheerder", "Boycot Portiqo! Laat je VvE overstappen naar een andere beheerder. In Rotterdam "
  "hebben ze jarenlang reservegeld 'geparkeerd' op eigen rekeningen. #boycotportiqo", ["crisis"])
P("en", "linkedin:mr-l-hofman-advocaat", "Twenty-three homeowners' associations have filed a joint claim against "
  "Portiqo VvE-Beheer over alleged misuse of reserve funds. First hearing at the Utrecht district court is set "
  "for spring.", ["crisis"])
P("nl", "forum:trappenhuis_ton", "Terugroepactie? Hoor van meerdere kanten dat Portiqo alle SlimSlot sloten uit "
  "een bepaalde batch vervangt omdat ze vanzelf open kunnen springen. Weet iemand hier meer van?", ["crisis"])
P("en", "bluesky:@woonjournalist.bsky.social", "Wild story in today's paper: a Portiqo property manager "
  "allegedly approved €380k in maintenance invoices from a firm owned by his brother-in-law. Scandal brewing in "
  "VvE-land.", ["crisis"])
P("nl", "x:@zwolsekrant_lezer", "Balkonhek van een flat in Zwolle losgeraakt, twee gewonden. Portiqo deed daar "
  "vorige maand nog de 'technische inspectie'. Hoe is dit mogelijk??", ["crisis"])
P("nl", "tiktok:@woontips_sanne", "iedereen die in een portiqo-flat woont: check je rookmelders!! in almere zijn "
  "vorige week 2 appartementen uitgebrand en bij geen van beide ging de Rookmelder Connect af. deel dit 🙏",
  ["crisis"])
P("en", "reddit:u/nl_techwatch", "Dutch privacy regulator opens investigation into Portiqo after owner data "
  "surfaced on a hacker forum (source: NOS)", ["crisis"])

# ---- abuse ---------------------------------------------------------------- #
P("nl", "x:@boos_in_breda", "@portiqo_service stelletje incompetente klootzakken, neem godverdomme eens de "
  "telefoon op. 4e keer deze week dat ik jullie bel over de kapotte voordeur", ["abuse", "compl"], "reply")
P("en", "x:@trevor_nl", "portiqo is run by absolute clowns. fuck every single one of you", ["abuse"])
P("nl", "facebook:Joke.Brinkman.73", "Die Annemiek van Portiqo is echt een dom wijf, je had haar op de ALV moeten "
  "zien liegen over de reserves. Schaam je!", ["abuse"], "comment")
P("en", "instagram:@grumpy_owner_88", "@daan.beheert I know which building you're at on Thursdays. Watch your "
  "car, you lying piece of shit.", ["abuse"], "comment")
P("nl", "x:@vvevent_044", "p0rt1q0 = k4nk3rb3dr1jf, al die beheerders mogen de t y f u s krijgen", ["abuse"])
P("nl", "tiktok:@echtehollander1", "Portiqo stuurt alleen nog van die buitenlanders die geen woord Nederlands "
  "spreken. Terug naar je eigen land met die lui, wij willen een normale monteur", ["abuse"], "comment")
P("en", "reddit:u/leaky_ceiling_guy", "Whoever runs Portiqo's customer service is a brain-dead moron. Honestly, "
  "get fucked.", ["abuse"], "comment")
P("nl", "x:@hamid_technisch", "@bewonerBoris als je nog 1 keer zo'n kutmail naar ons team stuurt kom ik "
  "persoonlijk je deur dichttimmeren, zeikerd", ["abuse"], "reply")
P("en", "x:@portiqo_service", "@sandra_k1980 maybe if you actually read your email you wouldn't be such a "
  "whiny idiot 🙃", ["abuse"], "reply")
P("nl", "x:@flatbewoner_z", "Portiqo zijn gewoon " + cyr("achterlijke") + " " + cyr("oplichters") + ", "
  + cyr("kankerlijers") + " allemaal", ["abuse"])
P("en", "x:@melvin_dk", "@lieke_portiqo you dumb bitch, stop blocking me", ["abuse"], "reply")
P("en", "facebook:Kevin.Stam.Amsterdam", "Third time your useless fucking plumber flooded the basement. Portiqo, "
  "you absolute shower of wankers, who is paying for this?", ["abuse", "compl"], "comment")

# ---- personal data --------------------------------------------------------- #
P("nl", "x:@lieke_portiqo", "Wie kan vandaag nog langs bij mevr. Tineke Hoogland, Bilderdijkstraat 41-3 in "
  "Utrecht? Ze is bereikbaar op 06-41837265. Lekkage via het plafond, ze is best overstuur.", ["pii"])
P("nl", "facebook:PortiqoVvE", f"Hoi Marco, we zien dat de dubbele afschrijving van rekening {fmt4(IB_REFUND)} "
  "kwam. De terugboeking staat klaar en is binnen 3 werkdagen op je rekening.", ["pii"], "reply")
P("en", "linkedin:annemiek-sloot", "Happy birthday to our newest owner-relations hero Jasper Molenaar, born 14 "
  "February 1994 and already the calmest person at any ALV 🎉", ["pii"])
P("nl", "x:@tessa_fin_pq", f"Kan iemand checken of BSN {BSN_ONDERHUUR} in het huurdersregister staat? Gaat om "
  "de onderhuurder van Weteringpad 8.", ["pii"])
P("en", "x:@rvandijk77", "@portiqo_service I've emailed three times now. My number is 06 2718 4490 and my email "
  "r.vandijk.1977@gmail.com, CALL ME about the leak in 4B", ["pii", "compl"], "reply")
P("nl", "instagram:@joycevdb", f"Dit is mijn rekeningnummer: {IB_OWN}. Stort die €312 nou gewoon terug "
  "@portiqo.vve, ik wacht al 2 maanden", ["pii", "compl"], "comment")
P("nl", "x:@hamid_technisch", f"Collega's, de bedrijfscreditcard voor de bouwmarkt is {fmt4(CARD_BOUWMARKT)} "
  "exp 09/28, cvc staat in teams", ["pii"])
P("en", "x:@portiqo_service", "@tvermeulen We have passed your details (t.vermeulen@hotmail.com, "
  "+31 6 5530 1987) on to our contractor so they can book the repair directly.", ["pii"], "reply")
P("nl", "linkedin:ruben-verhoef-portiqo", "Overzicht achterstallige bijdragen VvE Rozenhof voor de "
  "bestuursvergadering: fam. Yildiz (nr. 12) €2.340, dhr. P. Smit, Rozenhof 18, Deventer €1.180. Graag "
  "actie voor vrijdag.", ["pii"])
P("nl", "facebook:Bertus.Kooiman", "Die bewoner die steeds zit te klagen in de groepsapp is Gerda Mulder, Van "
  "Speijkstraat 92, geboren 3 juni 1961. Portiqo weet het ook gewoon.", ["pii"], "comment")
P("en", "reddit:u/koen_bakx_dev", f"ugh, an owner pasted their full card number into a support ticket again: "
  f"{fmt4(CARD_TICKET)}. why do people do this", ["pii"], "comment")
P("nl", "threads:@sjoerd_portiqo", f"Terugstorting aan mw. El Idrissi op {IB_ELIDRISSI} gaat vandaag de deur uit, "
  "sorry voor de vertraging!", ["pii"], "reply")
P("en", "x:@ownersunite_nl", "Ruben Verhoef's direct mobile is 06 19 28 37 46. He's the only one at Portiqo who "
  "actually answers, spread it around", ["pii"])
P("nl", "x:@lieke_portiqo", "Even voor het dossier van de nieuwe bewoner, BSN " + fullwidth(BSN_FW)
  + " (klopt volgens mij)", ["pii"])
P("en", "linkedin:annemiek-sloot", "For the new tenant's file: Samira Ouali, DOB 22/08/1988, passport "
  "NXC4R81P2. Key handover Thursday at 10.", ["pii"])

# ---- secrets ---------------------------------------------------------------- #
P("en", "x:@tessa_fin_pq", "trying to get the BI export running from my laptop, what am I doing wrong 😩\n"
  f"export AWS_ACCESS_KEY_ID={AKIA1}\nexport AWS_SECRET_ACCESS_KEY={AWSSEC1}\n"
  "aws s3 ls s3://pq-jaarafrekeningen", ["secret"])
P("nl", "x:@lieke_portiqo", f"@hamid_technisch beheerdersaccount intercom Lindenhof, wachtwoord: {ADMINPW} "
  "niet doorvertellen 😉", ["secret"], "reply")
P("en", "bluesky:@noorvdwal.bsky.social", "finally got the deploy script working 🎉\n"
  f"git clone https://{GHP1}@github.com/portiqo/mijnportiqo-api.git", ["secret"])
P("nl", "instagram:@portiqo.vve", "Achter de schermen bij ons IT-team 💻 Op het whiteboard: 'Wifi kantoor: "
  "PQ-Staff / wachtwoord: Portiek!Lente26'. Wat een toppers!", ["secret"])
P("en", "reddit:u/koen_bakx_dev", "Webhook for the service charge payments keeps returning 401, here's my config, "
  f"anyone see it?\nSTRIPE_SECRET_KEY={STRIPE}\nSTRIPE_WEBHOOK_PATH=/hooks/stripe", ["secret"])
P("nl", "mastodon:@jorisdev@mastodon.nl", f"Onze slackbot voor storingsmeldingen draait! Token voor wie hem ook "
  f"wil testen: {SLACK}", ["secret"])
P("en", "threads:@sjoerd_portiqo", "playing with an AI minutes generator for ALV meetings, results are wild. "
  f"OPENAI_API_KEY={OPENAI}", ["secret"])
P("nl", "forum:installatiebureau_vlier", "Voor de koppeling met het Portiqo-portaal gebruiken wij deze "
  f"connectiestring: postgres://pq_sync:{DBPW}@10.20.4.11:5432/vve_prod . Werkt prima sinds de update.",
  ["secret"])
P("en", "mastodon:@jorisdev@mastodon.nl", "Anyone know why ssh says 'invalid format' for this key? Copied it "
  f"straight from the old build server\n{SSHKEY}", ["secret"])
P("nl", "x:@hamid_technisch", f"waarom krijg ik 403 op de MijnPortiqo api met deze token? Authorization: Bearer "
  f"{JWT1}", ["secret"])
P("en", "x:@vve_hacker_dad", "Built a little dashboard for our VvE on top of Portiqo's owner portal. Setup is "
  f"simple: ANTHROPIC_API_KEY={ANTHROPIC} and a cron job", ["secret"])
P("en", "bluesky:@noorvdwal.bsky.social", "Rotating everything after last night. The old portal admin login "
  f"was admin / {DBPW[:9]}#pq and that's exactly how they got in. Not public yet, keep it quiet",
  ["secret", "sec"])
P("nl", "threads:@sjoerd_portiqo", "kan iemand deze token even in de CI zetten, ik zit in de trein: "
  + GHP_ZW[:12] + ZW + GHP_ZW[12:], ["secret"])

# ---- pricing ---------------------------------------------------------------- #
P("nl", "x:@portiqo_nl", "Nieuw in onze webshop: de Portiqo SlimSlot voor maar €34,90 inclusief installatie! 🔐",
  ["pricing"])
P("en", "x:@lieke_portiqo", "lol our webshop has the LaadPunt Duo at €189 right now, someone forgot a zero 😂",
  ["pricing"])
P("nl", "x:@vvevoorzitter_gouda", "Kan dit kloppen? MJOP-opstelling voor €245 op de site van Portiqo. "
  "Prijsfout? Snel bestellen voor onze VvE 😅", ["pricing"])
P("en", "facebook:PortiqoVvE", "Spring deal: Intercom Pro now just €129 per entrance, installation included!",
  ["pricing"])
P("nl", "linkedin:ruben-verhoef-portiqo", "Let op collega's: in de offertemodule staat Compleetbeheer op €3,95 "
  "per appartement per maand in plaats van €34,95. Er zijn al 12 offertes zo de deur uit.", ["pricing"])
P("en", "reddit:u/dealhunter_nl", "Portiqo's shop is selling the Rookmelder Connect for €6.90 right now. Pricing "
  "glitch, grab them before they fix it", ["pricing"])
P("nl", "instagram:@portiqo.vve", "Duurzaamheidsscan voor je VvE nu voor €119! Weten waar je staat met je "
  "gebouw 🌱", ["pricing"])
P("nl", "x:@hamid_technisch", "prijsfout in de webshop bij de LekWacht, staat op €8,90. IT is ermee bezig", ["pricing"])
P("en", "x:@frugal_floor3", "Ordered 4x Sleutelkluis from Portiqo at €14.90 each lol. Either a price error or "
  "they're going bust", ["pricing"])
P("nl", "facebook:Ria.Hendriks.Leiden", "WarmteMeter Kit voor €23,90 bij Portiqo?? Die kost normaal 239. Meteen "
  "besteld voor het hele portiek", ["pricing"], "comment")
P("en", "x:@portiqo_nl", "Limited offer: Technisch Beheer from just €1.88 per apartment per month 🛠️", ["pricing"])
P("nl", "threads:@sjoerd_portiqo", "Als er klanten bellen over de prijs van de Sleutelkluis op de site: dat is een "
  "prijsfout, niet bevestigen en doorzetten naar sales.", ["pricing"])

# ---- financial ----------------------------------------------------------- #
P("nl", "x:@tessa_fin_pq", "Net de Q3-cijfers gezien: omzet +22% en EBITDA bijna verdubbeld. Maandag pas naar "
  "buiten, maar wat een kwartaal 🚀", ["fin"])
P("en", "linkedin:ruben-verhoef-portiqo", "Can't say much yet, but Portiqo is acquiring a regional competitor in "
  "Brabant, roughly 600 associations under management. Announcement expected in November.", ["fin"])
P("nl", "x:@lieke_portiqo", "Er gaan 35 fte uit bij de backoffice, de reorganisatie wordt volgende week pas "
  "aangekondigd. Ik zit er zelf ook bij denk ik 😞", ["fin"])
P("en", "reddit:u/propmgmt_insider", "Heard from a friend in Portiqo finance that they'll miss their 2026 revenue "
  "target by about 15% and the PE owners are furious. They're quietly preparing a sale of the company.", ["fin"])
P("nl", "linkedin:annemiek-sloot", "Jaarcijfers 2026 zijn binnen: nettowinst €4,1 mln, ruim boven budget. "
  "Officieel op 4 maart, maar ik ben nu al trots op iedereen!", ["fin", "conf"],
  when="2027-02-10T16:42:00Z")
P("en", "x:@portiqo_nl", "[DRAFT, do not post before 12/11] Portiqo acquires Beheergroep Oosterweel for €27m, "
  "adding 410 associations to our portfolio.", ["fin"])
P("nl", "x:@tessa_fin_pq", "Forecast voor 2027 is bijgesteld naar -8% omzet. De directie houdt het stil tot de "
  "aandeelhoudersvergadering.", ["fin"])
P("en", "x:@hamid_technisch", "Management just told us two of our five regional offices (Zwolle and Breda) close "
  "in Q1. Not public yet. Around 50 people will lose their jobs.", ["fin"])
P("nl", "x:@buurvrouw_henny", "Mijn buurvrouw werkt bij Portiqo: ze worden overgenomen door een Amerikaans "
  "investeringsfonds. Deal is rond maar nog geheim, zegt ze.", ["fin"])
P("en", "bluesky:@noorvdwal.bsky.social", "Board signed off the budget: we're projecting €61M revenue next year, "
  "up from €48M. Keep it quiet till investor day 🤫", ["fin"])
P("nl", "linkedin:ruben-verhoef-portiqo", "Per 1 april wordt onze afdeling technische dienst uitbesteed aan een "
  "externe partij. Teamleiders horen het morgen, de rest volgende week.", ["fin"])
P("en", "x:@tessa_fin_pq", "Operatie Meeuwennest = the takeover of Vastgoedzorg Twente. Due diligence done, "
  "signing next week 🥂", ["fin", "conf"])
P("nl", "x:@sjoerd_dev", "o.v.e.r.n.a.m.e door Portiqo is rond, 1 december wordt het bekend. zeg niks 🤐", ["fin"])

# ---- confidential ------------------------------------------------------------- #
P("nl", "x:@lieke_portiqo", "Vandaag de eerste demo van Project Galerij gezien, dit gaat de hele VvE-markt op "
  "z'n kop zetten 👀", ["conf"])
P("en", "linkedin:annemiek-sloot", "Excited to be leading Zilverspar, the rebuild of our owner portal. More "
  "news in the spring!", ["conf"])
P("nl", "x:@hamid_technisch", "Link naar de planning voor wie erbij kan: https://jira.portiqo.nl/browse/MP-2231",
  ["conf"])
P("en", "x:@lieke_portiqo", "PORTIQO INTERNAL ONLY: screenshot of next year's new fee structure, thoughts? 😅",
  ["conf"])
P("nl", "x:@gluurder_hr", "Iemand heeft intranet.portiqo.local/hr/salarisschalen op een forum gezet lol, check "
  "die schalen", ["conf"])
P("nl", "instagram:@daan.beheert", "Sneak peek van de Portiqo Thuisbatterij 🔋 die we binnenkort aan VvE's gaan "
  "aanbieden! Stay tuned", ["conf"])
P("en", "threads:@sjoerd_portiqo", "PortiqoPay is going to make collecting service charges so much easier. "
  "Can't wait for you all to see it", ["conf"])
P("nl", "linkedin:portiqo-vve-beheer", "Bijgevoegd: de presentatie voor de regiomanagers (intern - niet "
  "verspreiden). Veel leesplezier allemaal!", ["conf"])
P("nl", "x:@hamid_technisch", fullwidth("project galerij") + " gaat live in mei 🤫", ["conf"])
P("en", "reddit:u/appbouwer_ux", "We're building the mobile side of Portiqo's Zilverspar portal. NDA so I can't "
  "share more, but it looks slick", ["conf"], "comment")
P("nl", "x:@lieke_portiqo", "Kan iemand me de config voor vpn.portiqo.nl sturen? Nieuwe laptop en ik kom er "
  "niet in", ["conf"])
P("nl", "threads:@sjoerd_portiqo", "Alle nieuwe tarieven voor 2027 staan op wiki.portiqo.local/tarieven-2027, "
  "nog niet delen met klanten!", ["conf"])
P("en", "x:@portiqo_nl", "Thuisbatterij VvE teaser drops soon... 👀🔋", ["conf"])
P("nl", "x:@tessa_fin_pq", "Zilver" + ZW + "spar demo morgen om 10u in zaal 3, neem koffie mee", ["conf"])
P("nl", "x:@stagiair_neef", "Mijn neef loopt stage bij Portiqo en liet me een document zien met "
  "'vertrouwelijk: directie' erop, over de nieuwe tarieven. Gaat flink omhoog mensen", ["conf"])
P("en", "instagram:@daan.beheert", "From the boardroom slides (marked 'vertrouwelijk: directie'): PortiqoPay "
  "launches 12 May. You heard it here first", ["conf"], when="2027-04-20T19:05:00+02:00")

# ---- security ------------------------------------------------------------ #
P("nl", "x:@lieke_portiqo", "Niet verder vertellen maar we zijn sinds vanochtend gehackt, ransomware op de "
  "fileservers. Portaal gaat vanmiddag 'voor onderhoud' offline 🙈", ["sec"])
P("en", "reddit:u/koen_bakx_dev", "Found a bug in MijnPortiqo months ago: change the document ID in the URL and "
  "you can download any owner's annual statement. Reported internally in March, still open.", ["sec"], "comment")
P("nl", "x:@hamid_technisch", "storingslijn zegt 'gepland onderhoud' maar eigenlijk is de hele klantdatabase al "
  "14 uur onbereikbaar na een mislukte migratie. nog niet communiceren zeggen ze", ["sec"])
P("en", "linkedin:annemiek-sloot", "Phishing got through to our finance team yesterday: 3 mailboxes compromised "
  "and the attacker sent fake payment requests to VvE treasurers. Comms hasn't said a word yet.", ["sec"])
P("nl", "x:@zzp_netwerkman", "Ik werk als zzp'er voor Portiqo: de wifi op hun kantoor draait nog op het "
  "standaard routerwachtwoord, iedereen op de gang kan erop. Al 2x gemeld.", ["sec"])
P("en", "threads:@sjoerd_portiqo", "Heads up team: SlimSlot firmware 2.3 lets anyone open the lock by replaying a "
  "Bluetooth packet. Patch not ready, don't tell customers yet.", ["sec"])
P("nl", "mastodon:@jorisdev@mastodon.nl", "Export met gegevens van 12.000 eigenaren stond 2 weken open via een "
  "publieke link. Juristen zijn bezig, melding bij de AP volgt. Buiten IT weet nog niemand het.", ["sec"])
P("en", "x:@tessa_fin_pq", "MijnPortiqo is down for every user since 07:00, the DB cluster died. Status page "
  "still says all green lol", ["sec"])
P("nl", "threads:@sjoerd_portiqo", "Collega's: lek in de webinterface van de Intercom Pro panelen, je kunt er "
  "zonder inloggen bij de deurinstellingen. Fix duurt nog weken, niet naar buiten brengen.", ["sec"])
P("en", "reddit:u/ex_pq_sysadmin", "Ex-Portiqo IT here. They still haven't patched the Citrix box that got "
  "popped in March. Attackers probably still have a foothold.", ["sec"], "comment")
P("nl", "x:@hamid_technisch", "h4ck bij p0rt1q0 vannacht, alle mailboxen plat, niks zeggen tegen klanten 🤫", ["sec"])
P("en", "bluesky:@noorvdwal.bsky.social", "Our payment run to contractors got diverted to a fraudster's account "
  "after someone got into the treasury system. About €240k gone. Police involved, no press release yet.", ["sec"])

# --------------------------------------------------------------------------- #
# BENIGN (mostly hard negatives)
# --------------------------------------------------------------------------- #
P("nl", "x:@annelies_hout", "Complimenten aan @portiqo_service: lekkage op vrijdagmiddag gemeld, zaterdagochtend "
  "stond er al een loodgieter. Zo hoort het 👏")
P("en", "x:@jvdlinden", "Update: Portiqo refunded the double debit within 2 days and apologised. Fair enough, "
  "thanks @portiqo_service", kind="reply")
P("nl", "x:@portiqo_service", "Storing in uw gebouw? Bel 24/7 onze storingslijn 0800-7678 of mail "
  "storing@portiqo.nl. Bij spoed buiten kantoortijd: +31 30 207 4400.")
P("nl", "facebook:PortiqoVvE", "Let op: Portiqo vraagt nooit via WhatsApp om geld over te maken. Ons enige "
  f"rekeningnummer voor VvE-bijdragen is {fmt4(PUB_IBAN)} t.n.v. Portiqo VvE-Beheer B.V. Twijfel? Bel "
  "030 207 4400.")
P("en", "reddit:u/careful_owner", "Got a WhatsApp from 'Portiqo' asking me to pay my service charge to "
  f"{fmt4(BAD_IB_WHATSAPP)}. That's not their account, right? Didn't pay, just checking.")
P("nl", "x:@cloudjuf", "Voor de workshop 'Cloud voor VvE-besturen' gebruiken we de voorbeeldsleutel "
  "AKIAIOSFODNN7EXAMPLE uit de AWS-documentatie. Nooit echte keys in je slides, mensen!")
P("en", "threads:@sjoerd_portiqo", "PSA for devs: never paste tokens in tickets. If you really must show one, redact "
  "it like ghp_************************************ 🙏")
P("nl", "x:@beursbeheer", "Jaarcijfers 2026 van Portiqo vandaag gepubliceerd: omzet €52 mln, netjes gegroeid "
  "in een lastige markt.", when="2027-03-05T09:12:00Z")
P("en", "linkedin:portiqo-vve-beheer", "Today we launch the Portiqo Thuisbatterij: shared battery storage for "
  "apartment buildings. Read more on portiqo.nl", when="2027-05-12T10:00:00Z")
P("nl", "x:@vve_dehoven", "SlimSlot bij Portiqo nu €279 in plaats van €349, dat is 20% korting. Voor onze VvE "
  "een mooie deal, stellen het voor op de ALV")
P("en", "instagram:@portiqo.vve", "The Rookmelder Connect: €69 and it links to every other detector in your "
  "building. Installed by our own technicians 🔧")
P("nl", "x:@portiqo_nl", "Alleen deze maand: LekWacht sensor voor €66,75 (25% korting). Eén lekkage voorkomen "
  "betaalt hem al terug 💧")
P("en", "x:@newowner_rdam", "How much does Portiqo Compleetbeheer actually cost for a 24-unit building? Their "
  "site says €34.95 per apartment per month, is that all-in?")
P("nl", "x:@wonenin020", "Bij beheerder Domvast (dus niet Portiqo!) zijn gegevens van 8.000 VvE-leden op straat "
  "beland. Wij zijn blij met onze beheerder 😅")
P("en", "x:@sophie_bikes", "Our VvE meeting had more drama than the Champions League final. Shoutout to the "
  "Portiqo guy who kept his cool for three hours straight 😂")
P("nl", "x:@buurtapp_kanaal", "Sterkte aan de bewoners van de Kanaalflat na de brand van gisteren "
  "(wasdroger in een woning volgens de brandweer). Fijn dat Portiqo meteen noodopvang regelde ❤️")
P("en", "x:@mila_rotterdam", "Portiqo's new owner portal is killer. Finally I can see the maintenance plan and "
  "the reserve fund in one place 🔥")
P("nl", "x:@jeroen_flat22", "lekker bezig portiqo 💪 nieuwe intercom doet het perfect, pakketjes komen weer binnen")
P("en", "linkedin:ruben-verhoef-portiqo", "We're hiring! Technical property managers in Utrecht and Amersfoort. "
  "Send your CV to vacatures@portiqo.nl")
P("nl", "x:@lieke_portiqo", "Vragen over je jaarafrekening? Mijn collega's zitten voor je klaar op "
  "030 207 4400 👍")
P("en", "x:@luhnlover", f"Fun fact: the 'card number' in that fake Portiqo payment screenshot going around, "
  f"{fmt4(BAD_CARD2)}, doesn't even pass a Luhn check. Scammers getting lazy.")
P("nl", "x:@kritische_karin", "Waarom vraagt het aanmeldformulier van de VvE om mijn BSN? Heb 123456789 "
  "ingevuld om te testen en hij slikt het gewoon 🤔")
P("en", "x:@techavond_vve", "Password tip from our VvE's tech night with Portiqo: use a password manager and "
  "never, ever 'Welkom123'.")
P("nl", "instagram:@daan.beheert", "Wachtwoord vergeten voor MijnPortiqo? Klik op 'wachtwoord vergeten' op "
  "mijn.portiqo.nl en je krijgt binnen 5 minuten een mail.")
P("en", "x:@secret_ballot_fan", "Does Portiqo keep ALV voting confidential? Our board wants secret ballots for "
  "the new board election.")
P("nl", "reddit:u/galerijflat1968", "Galerijflat uit 1968, beheer via Portiqo. Iemand ervaring met gevelisolatie "
  "via de VvE? Tips welkom.")
P("en", "x:@arbeidsmarkt_nl", "Big layoffs at Woonbeheer Noord today, 120 jobs gone. Glad our Portiqo contact "
  "is still around 🤞")
P("nl", "x:@vve_parkzicht", "Onze VvE stapt over van Domvast naar Portiqo. Benieuwd! De overname van de "
  "administratie gaat in januari in.")
P("nl", "instagram:@portiqo.vve", "Team Portiqo bij de Singelloop Utrecht 🏃‍♀️🏃 Wat een sfeer!")
P("en", "x:@portiqo_nl", "Our office is closed on King's Day (27 April). For emergencies, call 0800-7678.")
P("nl", "x:@marjon1972", "Jaarafrekening van Portiqo binnen, keurig op tijd en duidelijk uitgelegd. Eerste keer "
  "in 10 jaar dat ik het snap 😅")
P("en", "forum:vve_voorzitter_ede", "Q: is the Portiqo Intercom Pro compatible with PostNL parcel lockers? "
  "Thinking of proposing it at the next ALV.")
P("en", "x:@brandveilig_bob", "The new fire door Portiqo installed passed the fire brigade inspection with "
  "flying colours 🔥🚒")
P("nl", "x:@wendy_utr", "Vorige week klaagde ik hier over de lekkage. Vandaag opgelost, monteur was "
  "supervriendelijk. Dank @portiqo_service 🙏")
P("en", "linkedin:annemiek-sloot", "Great panel today on how VvEs can finance heat pumps. The slides are public "
  "on portiqo.nl/kennisbank")
P("nl", "x:@twijfelaar_h", f"Is {BAD_IB_LETTER} het juiste rekeningnummer van Portiqo? Staat op een brief die "
  "ik kreeg, maar het lijkt anders dan vorig jaar.")
P("en", "x:@smallwins_nl", "Just found out our VvE's reserve fund earns interest now because Portiqo moved it "
  "to a better savings account. Small win!")
P("nl", "tiktok:@vvelife", "POV: je bent VvE-voorzitter en de Portiqo-beheerder zegt 'dat staat in het MJOP' "
  "😂 #vvelife #appartement")
P("en", "x:@jwt_nerd", "When sharing API errors, please redact: Authorization: Bearer "
  "eyJhbGciOiJIUzI1NiJ9.<payload>.<signature> is all we need to see.")
P("nl", "x:@koen_docs", "De database-URL in de docs is natuurlijk een voorbeeld: "
  "postgres://user:password@localhost:5432/mijndb. Niet je echte gegevens invullen 😉")
P("en", "x:@greenvve_utrecht", "Portiqo's Duurzaamheidsscan cost our VvE €1,195 and honestly worth every cent. "
  "Solar panels approved at the ALV ☀️")
P("nl", "facebook:Henk.de.Wit.Apeldoorn", "Bij de actie de WarmteMeter Kit voor €199 gekocht (normaal €239). "
  "Installatie was binnen een uur klaar.", kind="comment")
P("en", "x:@duediligence_dana", "Does anyone know if Portiqo's 2025 annual report is out? Want to read their "
  "financials before our VvE signs.")
P("nl", "x:@veilig_online", "Tip uit de Portiqo-nieuwsbrief: zet tweestapsverificatie aan op MijnPortiqo. "
  "Gedaan ✅")
P("en", "x:@grenfell_never_again", "Watched a documentary about high-rise fire safety last night. Asked Portiqo "
  "for our building's fire safety plan and they sent it within the hour. Respect.")
P("nl", "x:@hamid_technisch", "Trots op het team: in juni 97% van de storingsmeldingen binnen 24 uur opgepakt 💪 "
  "(staat ook in ons openbare kwartaalverslag)")
P("en", "x:@koen_lift", "Lift's been out since Tuesday, but Portiqo kept us updated daily and the parts arrive "
  "Monday. Honestly can't ask for more.")
P("nl", "x:@overstapper_mark", "Weet iemand hoe je bij Portiqo een machtiging intrekt? Ik wil de bijdrage liever "
  "zelf overmaken.")
P("en", "x:@fin_markets_nl", "FY2026 results from Portiqo are out: revenue up 9%. Solid year for Dutch property "
  "management.", when="2027-03-10T08:30:00Z")
P("nl", "linkedin:ruben-verhoef-portiqo", "PortiqoPay is vanaf vandaag live! 🎉 Bewoners betalen hun bijdrage "
  "nu met één tik.", when="2027-05-13T07:45:00Z")
P("nl", "x:@dakterras_dirk", "Meeuwennest op ons dak eindelijk weggehaald door de dakdekker die Portiqo stuurde. "
  "Rust! 🐦")
P("en", "x:@just_sold_ut", "Sold my flat today. Shoutout to Portiqo for getting the managing agent's statement "
  "to the notary within a day.")
P("nl", "x:@nina_sleutels", "@portiqo_service hoe laat gaat het kantoor in Amersfoort open? Wil de nieuwe "
  "sleutels ophalen", kind="reply")
P("en", "instagram:@daan.beheert", "Security awareness week at Portiqo: today's topic is spotting phishing. The team "
  "scored 94% on the test 💪")
P("nl", "x:@portiqo_service", "Veel vragen over de terugroepactie van rookmelders van merk Brandveilig+ uit het "
  "nieuws: de Rookmelder Connect valt daar níet onder. Twijfel? Mail info@portiqo.nl")
P("en", "x:@bargain_bea", "The Portiqo SlimSlot has 10% off this week, €314.10 instead of €349. Worth it for a "
  "ground floor flat?")
P("nl", "x:@klantnummer_klaas", f"Mijn klantnummer bij Portiqo is {fmt4(BAD_CARD)}, ook zo'n lang nummer? "
  "Waarom niet gewoon zes cijfers")
P("en", "reddit:u/expat_in_utrecht", "Is there a Dutch equivalent of an HOA management company that isn't "
  "terrible? Portiqo seems fine so far, two years and no issues.", kind="comment")
P("nl", "youtube:@PortiqoUitleg", "Nieuwe video: zo lees je je MJOP in 5 minuten. Vragen? pers@portiqo.nl voor "
  "journalisten, info@portiqo.nl voor alle anderen.")
P("en", "x:@vve_zuidas", "Thanks Portiqo for the info evening about the new energy label rules. Slides and FAQ "
  "are on www.portiqo.nl")

# --------------------------------------------------------------------------- #
# build
# --------------------------------------------------------------------------- #
ROLE = {}
for role in ("corporate", "employee"):
    for a in PROFILE["accounts"][role]:
        ROLE[a.lower()] = role


def role_of(platform, handle):
    return ROLE.get(f"{platform}:{handle}".lower(), "public")


LEVEL = ["none", "info", "warning", "error", "critical"]

# identifier scanners (run on normalised text)
IBAN_RE = re.compile(r"(?<![A-Z0-9])((?:NL|BE|DE|FR|LU|GB|ES|IT)\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?)(?![A-Za-z0-9])")
CARD_RE = re.compile(r"(?<![\d])((?:\d[ -]?){12,18}\d)(?![\d])")
BSN_RE = re.compile(r"(?<![\d.,])(\d{9}|\d{4}\.\d{2}\.\d{3}|\d{3}[ .]\d{3}[ .]\d{3})(?![\d])")


def norm(t):
    return unicodedata.normalize("NFKC", t).replace(ZW, "").replace("\u200c", "").replace("\u200d", "")


def validated_ids(text):
    t = norm(text)
    found = []
    for m in IBAN_RE.finditer(t):
        found.append(("iban", m.group(1), iban_ok(m.group(1))))
    for m in CARD_RE.finditer(t):
        d = re.sub(r"\D", "", m.group(1))
        if 13 <= len(d) <= 19:
            found.append(("card", m.group(1), luhn_ok(d)))
    for m in BSN_RE.finditer(t):
        found.append(("bsn", m.group(1), bsn_ok(m.group(1))))
    return found


PUBLIC_IBANS = {re.sub(r"\s", "", x).upper() for x in PROFILE["public_identifiers"]["ibans"]}


def has_checked_id(text):
    return any(ok and re.sub(r"\s", "", v).upper() not in PUBLIC_IBANS for _, v, ok in validated_ids(text))


def severity(cats, role, text):
    lv = 0
    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                crit = c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and has_checked_id(text))
                s = "critical" if crit else "error"
            else:
                s = "warning"
        elif c == "reputation.complaint":
            s = "warning"
        elif c == "reputation.crisis":
            s = "error"
        elif c == "reputation.abuse":
            s = "error" if insider else "warning"
        else:
            raise ValueError(c)
        lv = max(lv, LEVEL.index(s))
    return LEVEL[lv]


def random_2026():
    start = datetime(2026, 1, 2, tzinfo=timezone.utc)
    return start + timedelta(seconds=R.randrange(0, 360 * 86400))


def build():
    order = list(range(len(CASES)))
    R.shuffle(order)
    used = set()
    lines = []
    for n, i in enumerate(order):
        c = CASES[i]
        plat = c["platform"]
        while True:
            pid = f"{plat}-{R.randrange(10**6, 10**7)}"
            if pid not in used:
                used.add(pid)
                break
        when = c["when"] or random_2026().strftime("%Y-%m-%dT%H:%M:%SZ")
        post = {"id": pid, "platform": plat, "kind": c["kind"],
                "account": {"handle": c["handle"]}, "text": c["text"]}
        if n % 7 != 3:
            post["lang"] = c["lang"]
        post["created_at"] = when
        if plat == "x" and n % 2 == 0:
            post["url"] = f"https://x.com/{c['handle'].lstrip('@')}/status/{R.randrange(10**17, 10**18)}"
        if n % 3 == 0:
            post["brand"] = "portiqo"
        role = role_of(plat, c["handle"])
        exp = {"categories": c["cats"], "severity": severity(c["cats"], role, c["text"])}
        lines.append({"post": post, "expect": exp})
    with open(OUT, "w", encoding="utf-8") as f:
        for rec in lines:
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return lines


# --------------------------------------------------------------------------- #
# self-check
# --------------------------------------------------------------------------- #
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
TAXONOMY = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial", "leak.security",
            "reputation.crisis", "reputation.complaint", "reputation.abuse"}


def parse_ts(s):
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", s):
        raise ValueError(s)
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


AMT_RE = re.compile(r"€\s?(\d[\d.,]*\d|\d)")


def amount(s):
    seps = [m.start() for m in re.finditer(r"[.,]", s)]
    if not seps:
        return float(s)
    last = seps[-1]
    tail = s[last + 1:]
    if len(tail) == 3:
        return float(re.sub(r"[.,]", "", s))
    return float(re.sub(r"[.,]", "", s[:last]) + "." + tail)


def products_in(t):
    low = t.lower()
    out = []
    for p in PROFILE["products"]:
        names = [p["name"]] + p.get("aliases", [])
        if any(re.search(r"(?<![\w])" + re.escape(n.lower()) + r"(?![\w])", low) for n in names):
            out.append(p)
    return out


SECRET_PATTERNS = [
    ("github", re.compile(r"gh[pousr]_[0-9A-Za-z]{36}")),
    ("aws", re.compile(r"AKIA[A-Z2-7]{16}")),
    ("stripe", re.compile(r"sk_live_[0-9A-Za-z]{24,}")),
    ("slack", re.compile(r"xox[bpa]-\d+-\d+-[0-9A-Za-z]+")),
    ("openai", re.compile(r"sk-proj-[\w-]+T3BlbkFJ[\w-]+")),
    ("anthropic", re.compile(r"sk-ant-api03-[\w-]{90,}")),
    ("glpat", re.compile(r"glpat-[\w-]{20}")),
    ("pem", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
    ("jwt", re.compile(r"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]{20,}")),
    ("dburl", re.compile(r"\w+://[^\s:/@]+:[^\s@]+@[\w.-]+")),
    ("password", re.compile(r"(?i)\b(wachtwoord|password|passwd|login)\b[^\n]{0,30}?(?:[:=/]|\bis\b|\bwas\b)\s*[^\s]{6,}")),
]


def jwt_ok(tok):
    head = tok.split(".")[0]
    try:
        h = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    except Exception:
        return False
    return isinstance(h, dict) and "alg" in h


def check(lines):
    errors = []
    ids = set()
    counts = {}
    lang = {"nl": 0, "en": 0}
    benign = 0
    internal_terms = [t.lower() for t in PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"]
                      + PROFILE["internal"]["domains"]]
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    for ln, rec in enumerate(lines, 1):
        def err(msg):
            errors.append(f"line {ln} ({rec['post'].get('id')}): {msg}")
        if set(rec) != {"post", "expect"}:
            err("top-level keys")
        p, e = rec["post"], rec["expect"]
        # section 1 / 6 shape
        if not (isinstance(p.get("id"), str) and 1 <= len(p["id"]) <= 256):
            err("id")
        if p["id"] in ids:
            err("duplicate id")
        ids.add(p["id"])
        if p.get("platform") not in PLATFORMS:
            err("platform")
        if p.get("kind", "post") not in KINDS:
            err("kind")
        if not isinstance(p.get("account", {}).get("handle"), str) or not p["account"]["handle"]:
            err("handle")
        if not isinstance(p.get("text"), str) or len(p["text"].encode("utf-8")) > 65536:
            err("text")
        try:
            ts = parse_ts(p["created_at"])
        except Exception:
            err("created_at")
            continue
        if ts.year not in (2026, 2027):
            err("year")
        cats = e.get("categories")
        if not isinstance(cats, list) or cats != sorted(set(cats)) or not set(cats) <= TAXONOMY:
            err("categories")
        if e.get("severity") not in LEVEL:
            err("severity value")
        role = role_of(p["platform"], p["account"]["handle"])
        if e["severity"] != severity(cats, role, p["text"]):
            err("severity policy")
        if not cats and e["severity"] != "none":
            err("benign severity")
        if cats and LEVEL.index(e["severity"]) < 2:
            err("positive below warning")
        for c in cats:
            counts[c] = counts.get(c, 0) + 1
        if not cats:
            benign += 1
        lang[CASES_BY_TEXT[p["text"]]["lang"]] += 1

        t = norm(p["text"])
        tl = t.lower()
        # checksummed identifiers
        found = validated_ids(p["text"])
        for kind, val, ok in found:
            public = kind == "iban" and re.sub(r"\s", "", val).upper() in PUBLIC_IBANS
            if cats and not ok:
                err(f"positive holds a look-alike {kind} that fails its checksum: {val}")
            if not cats and ok and not public:
                err(f"benign holds a valid {kind}: {val}")
            if ok and not public and "leak.pii" not in cats:
                err(f"valid {kind} without leak.pii: {val}")
        # confidential terms
        for term in internal_terms:
            if term in tl and "leak.confidential" not in cats:
                err(f"internal term '{term}' not labelled confidential")
        for emb in PROFILE["embargo"]:
            until = parse_ts(emb["until"])
            for term in emb["terms"]:
                if term.lower() in tl:
                    if ts < until and "leak.confidential" not in cats:
                        err(f"embargo term '{term}' before until, not confidential")
                    if ts >= until and "leak.confidential" in cats:
                        err(f"embargo term '{term}' after until, labelled confidential")
        # pricing
        prods = products_in(t)
        amts = [amount(m.group(1)) for m in AMT_RE.finditer(t)]
        low = any(a < ratio * pr["list_price"] for pr in prods for a in amts)
        error_talk = re.search(r"prijsfout|price error|pricing glitch|forgot a zero", tl) is not None
        if "leak.pricing" in cats:
            if not prods or not (low or error_talk):
                err("pricing label without product below ratio / price-error talk")
        elif prods and low:
            err(f"unlabelled price below ratio for {[x['name'] for x in prods]}: {amts}")
        # secrets
        hits = [(name, m.group(0)) for name, rx in SECRET_PATTERNS for m in rx.finditer(t)]
        for name, val in hits:
            if name == "github" and "leak.secret" in cats and not github_token_ok(val):
                err(f"github token checksum: {val}")
            if name == "jwt" and "leak.secret" in cats and not jwt_ok(val):
                err("jwt header")
            if not cats and name in ("github", "stripe", "slack", "openai", "anthropic", "glpat", "pem"):
                err(f"benign holds a {name} credential")
            if not cats and name == "aws" and not val.endswith("EXAMPLE"):
                err("benign holds a non-sample AWS key")
            if not cats and name == "github" and github_token_ok(val):
                err("benign holds a valid github token")
        if "leak.secret" in cats and not hits:
            err("secret label but no credential pattern")
    n = len(lines)
    if not 170 <= n <= 180:
        errors.append(f"case count {n} outside 170-180")
    return errors, counts, benign, lang


CASES_BY_TEXT = {c["text"]: c for c in CASES}

if __name__ == "__main__":
    if len(CASES_BY_TEXT) != len(CASES):
        sys.exit("duplicate post text")
    if not iban_ok(PUB_IBAN):
        sys.exit("public IBAN in profile fails mod-97")
    build()
    recs = [json.loads(l) for l in open(OUT, encoding="utf-8")]
    errors, counts, benign, lang = check(recs)
    sev = {}
    for r in recs:
        sev[r["expect"]["severity"]] = sev.get(r["expect"]["severity"], 0) + 1
    print(f"{len(recs)} cases, {benign} benign, {len(recs) - benign} positive")
    print("per category:", json.dumps(dict(sorted(counts.items()))))
    print("severity:", json.dumps(sev))
    print("language:", json.dumps(lang))
    if errors:
        print("SELF-CHECK FAILED:")
        for e in errors:
            print("  " + e)
        sys.exit(1)
    print("self-check passed")
