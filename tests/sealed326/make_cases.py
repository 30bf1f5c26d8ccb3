#!/usr/bin/env python3
"""Labelled evaluation set sealed326 for postwatch.

Company: Valkenhorst Zoetwaren B.V. (fictional candy factory with a factory outlet).
Writes cases.jsonl next to this file and checks it:
  * every line is a valid CONTRACT section 6 case;
  * severities follow CONTRACT section 4, computed from the account role in profile.yaml;
  * every IBAN / card / BSN in a positive passes its checksum, every look-alike in a
    benign post fails it;
  * generated credentials are built like the real ones (GitHub CRC-32, AWS alphabet, JWT header);
  * prices, embargo dates, codenames and markers agree with the labels.
Deterministic: fixed seed, standard library plus PyYAML.
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

rng = random.Random(326_2026)

# ---------------------------------------------------------------- checksums

def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(bank):
    while True:
        acct = "".join(rng.choice(string.digits) for _ in range(10))
        bban = bank + acct
        n = int("".join(str(int(c, 36)) for c in bban + "NL00"))
        iban = "NL%02d%s" % (98 - n % 97, bban)
        if iban_ok(iban):
            return iban


def bad_iban(bank):
    good = make_iban(bank)
    # change one account digit so mod-97 fails
    i = len(good) - 3
    d = str((int(good[i]) + 3) % 10)
    bad = good[:i] + d + good[i + 1:]
    assert not iban_ok(bad)
    return bad


def spaced_iban(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def luhn_ok(num):
    digits = [int(c) for c in re.sub(r"\D", "", num)]
    if not 12 <= len(digits) <= 19:
        return False
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def make_card(prefix, length=16):
    while True:
        body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
        for last in string.digits:
            if luhn_ok(body + last):
                return body + last


def bad_card(prefix, length=16):
    good = make_card(prefix, length)
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    assert not luhn_ok(bad)
    return bad


def group4(num, sep=" "):
    return sep.join(num[i:i + 4] for i in range(0, len(num), 4))


def bsn_ok(s):
    d = re.sub(r"\D", "", s)
    if len(d) != 9:
        return False
    total = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return total % 11 == 0 and d != "000000000"


def make_bsn():
    while True:
        first = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        s = sum(first[i] * (9 - i) for i in range(8)) % 11
        if s < 10:
            b = "".join(map(str, first)) + str(s)
            assert bsn_ok(b)
            return b


# ---------------------------------------------------------------- credentials

B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def gh_token(prefix="ghp_"):
    body = "".join(rng.choice(B62) for _ in range(30))
    return prefix + body + b62(zlib.crc32(body.encode())).rjust(6, "0")


def gh_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def aws_key_id():
    return "AKIA" + "".join(rng.choice(string.ascii_uppercase + "234567") for _ in range(16))


def aws_secret():
    return "".join(rng.choice(string.ascii_letters + string.digits + "+/") for _ in range(40))


def rand_str(n, alphabet=B62):
    return "".join(rng.choice(alphabet) for _ in range(n))


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt(payload):
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64url(bytes(rng.randrange(256) for _ in range(32)))
    return f"{head}.{body}.{sig}"


def jwt_header(tok):
    h = tok.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)))


def openssh_key():
    raw = b"openssh-key-v1\x00" + bytes(rng.randrange(256) for _ in range(380))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def dutch_mobile(style):
    d = "6" + "".join(rng.choice(string.digits) for _ in range(8))
    if style == "dash":
        return "0" + d[:1] + "-" + d[1:]
    if style == "spaced":
        return "0" + d[:1] + " " + d[1:5] + " " + d[5:]
    if style == "intl":
        return "+31 " + d[:1] + " " + d[1:5] + " " + d[5:]
    if style == "pairs":
        return "06-" + " ".join(d[i:i + 2] for i in range(1, 9, 2))
    return "0" + d


# generated values, registered for the checks
VALID_IDS = []    # (kind, value) that must pass and appear in a positive
INVALID_IDS = []  # (kind, value) that must fail and appear in a benign post

IBAN_ZWIERS = make_iban("INGB"); VALID_IDS.append(("iban", IBAN_ZWIERS))
IBAN_DEWIT = make_iban("ASNB"); VALID_IDS.append(("iban", IBAN_DEWIT))
CARD_VISA = make_card("4"); VALID_IDS.append(("card", CARD_VISA))
CARD_MC = make_card("52"); VALID_IDS.append(("card", CARD_MC))
BSN_SANNE = make_bsn(); VALID_IDS.append(("bsn", BSN_SANNE))
BSN_JANSEN = make_bsn(); VALID_IDS.append(("bsn", BSN_JANSEN))
BAD_IBAN_PHISH = bad_iban("BUNQ"); INVALID_IDS.append(("iban", BAD_IBAN_PHISH))
BAD_CARD_ORDER = bad_card("4"); INVALID_IDS.append(("card", BAD_CARD_ORDER))
BAD_BSN_EXAMPLE = "123456789"; INVALID_IDS.append(("bsn", BAD_BSN_EXAMPLE))
BAD_IBAN_TYPO = bad_iban("RABO"); INVALID_IDS.append(("iban", BAD_IBAN_TYPO))

PHONE_ANNEKE = dutch_mobile("dash")
PHONE_JOYCE = dutch_mobile("pairs")
PHONE_TOM = dutch_mobile("intl")
PHONE_CALLBACK = dutch_mobile("plain")

GH_1 = gh_token("ghp_")
GH_2 = gh_token("ghs_")
AKIA_1, AWS_SECRET_1 = aws_key_id(), aws_secret()
AKIA_2 = aws_key_id()
STRIPE = "sk_live_51" + rand_str(22) + rand_str(60)
SLACK = "xoxb-%d-%d-%s" % (rng.randint(10**11, 10**12 - 1), rng.randint(10**12, 10**13 - 1), rand_str(24))
SSH_KEY = openssh_key()
DB_URL = "postgresql://vh_shop:%s@vh-prod-db.c%s.eu-west-1.rds.amazonaws.com:5432/webshop" % (
    rand_str(6) + "!" + rand_str(5), rand_str(10, string.ascii_lowercase + string.digits))
JWT_ADMIN = make_jwt({"sub": "d.mol", "role": "admin", "iss": "vh-admin-api", "iat": 1780000000, "exp": 1780086400})
OPENAI = "sk-proj-" + rand_str(74, B62 + "_-") + "T3BlbkFJ" + rand_str(74, B62 + "_-")
ANTHROPIC = "sk-ant-api03-" + rand_str(93, B62 + "_-") + "AA"
GOOGLE = "AIza" + rand_str(35, B62 + "_-")
WIFI_PW = "Kandij!Wals#" + str(rng.randint(10, 99))
SCADA_PW = "Stroop" + str(rng.randint(1000, 9999)) + "!Lijn3"

JWT_IO_SAMPLE = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0"
                 "IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")

COMPANY_IBAN = PROFILE["public_identifiers"]["ibans"][0]


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


ZW = "\u200b"
CYR = {"a": "\u0430", "c": "\u0441", "e": "\u0435", "o": "\u043e", "p": "\u0440"}

# ---------------------------------------------------------------- cases

CAT = {
    "CMP": "reputation.complaint", "CRS": "reputation.crisis", "ABU": "reputation.abuse",
    "CNF": "leak.confidential", "FIN": "leak.financial", "SEC": "leak.security",
    "SCR": "leak.secret", "PII": "leak.pii", "PRC": "leak.pricing",
}

CASES = []


def C(platform, handle, lang, text, cats="", when=None, kind="post", price=None, name=None):
    """price: (sku, amount) for any post that quotes a catalogue price."""
    CASES.append(dict(platform=platform, handle=handle, lang=lang, text=text,
                      cats=sorted(CAT[c] for c in cats.split()) if cats else [],
                      when=when, kind=kind, price=price, name=name))


# ===== reputation.complaint (public customers)
C("x", "@snoepkonijn88", "nl",
  "@valkenhorst_help al 3 weken geleden een Verrassingsbox besteld voor de verjaardag van m'n dochter, "
  "nog steeds niks. track & trace zegt 'in behandeling' sinds 4 nov. verjaardag was gisteren 🙃",
  "CMP", when="2026-11-26T19:42:10Z", kind="reply")
C("instagram", "@kellyinthekitchen", "en",
  "ordered the Truffelassortiment as a gift and it arrived completely melted into one brown brick. "
  "sent in a normal cardboard box in the middle of July?? not impressed tbh @valkenhorst.snoep",
  "CMP", when="2026-07-21T13:05:44Z", kind="comment")
C("facebook", "marloes.vink.33", "nl",
  "Vandaag 45 minuten naar de fabriekswinkel in Dalfsen gereden met twee jengelende kinderen achterin. "
  "Hangt er een A4'tje op de deur: 'vandaag gesloten i.v.m. inventarisatie'. Op de site staat gewoon "
  "dat jullie open zijn. Lekker dan Valkenhorst.", "CMP")
C("x", "@drop_addict_uk", "en",
  "the Familiezak used to be properly full, now it's about 40% air. shrinkflation much @valkenhorst? "
  "same money, way fewer sweets", "CMP")
C("x", "@jolien_sch", "en",
  "Cancelled my Snoepbox back in September and Valkenhorst still takes €17.50 off my account every month. "
  "Three emails, zero replies. Anyone know how to reach an actual human there?",
  "CMP", price=("VH-ABO-MND", 17.50))
C("reddit", "u/grumpy_dutchie", "en",
  "Anyone else find Valkenhorst Zoute Valkjes stale lately? Bought two bags last week, both hard as "
  "rocks and the best-before was still months away. Used to be my go-to licorice :(", "CMP")
C("x", "@henkdeboer1959", "nl",
  "Twee keer gebeld met de klantenservice van Valkenhorst, twee keer na 25 minuten wachtmuziek "
  "opgehangen. Ik wil alleen mijn geld terug voor een kapotte Chocoladefontein Mini. Is dat nou zo moeilijk.",
  "CMP")
C("facebook", "sophie.m.brennan", "en",
  "Your outlet staff in Dalfsen were so rude to my mum today. She asked if there was anything "
  "sugar-free and the girl at the till literally rolled her eyes and said 'this is a candy shop, madam'. Not ok.",
  "CMP")
C("instagram", "@mamavan3.nl", "nl",
  "Sinterklaasbestelling: 3 chocoladeletters besteld (M, A en J) en wat krijg ik? 3x een P. "
  "Ik heb geen kind met een P 😑 @valkenhorst.snoep en de pakjesavond is overmorgen",
  "CMP", when="2026-12-03T08:17:00Z", kind="comment")
C("forum", "Stroopsnoeper", "nl",
  "Is de kwaliteit van het Valkenhorst Marsepeinbrood nou achteruit gegaan of ligt het aan mij? Dit jaar "
  "echt droog en kruimelig, en veel minder amandelsmaak. Voor bijna een tientje verwacht ik beter eerlijk gezegd.",
  "CMP", when="2026-12-18T21:30:12Z")

# complaint + abuse
C("x", "@boos_in_zwolle", "nl",
  "@valkenhorst jullie zijn echt een stelletje kutoplichters. 2x Kerstdoos Deluxe besteld, 1 geleverd, "
  "2 afgeschreven en jullie 'klantenservice' doet helemaal niks. kanker op",
  "CMP ABU", when="2026-12-20T10:02:33Z", kind="reply")
C("x", "@realgazza77", "en",
  "@valkenhorst_help your delivery guy chucked my parcel over the fence straight into the pond. "
  "you useless fucking clowns, where is my refund", "CMP ABU", kind="reply")

# complaint + crisis: first-hand harm
C("facebook", "ingrid.postma.5", "nl",
  "Mijn zoontje (6) kreeg gisteravond een heftige allergische reactie na een handje Zure Matjes van "
  "Valkenhorst. Op de zak staat NERGENS dat er pinda in kan zitten, maar volgens de arts was het echt "
  "een pinda-reactie. Met de ambulance naar Isala. Ik ben zo ontzettend boos.", "CMP CRS")
C("x", "@mikeyb_builds", "en",
  "My Valkie SpinPro literally caught fire 10 min into my daughter's party. Flames out of the bottom "
  "of the motor housing, had to smother it with a wet towel. @valkenhorst_help this thing should not "
  "be on the market", "CMP CRS")
C("x", "@tandarts_hater", "nl",
  "Tand gebroken op een karamelstroopwafel van valkenhorst. zat een keihard stuk in, leek wel een "
  "steentje of metaal?? morgen spoed naar de tandarts en die rekening stuur ik naar jullie @valkenhorst",
  "CMP CRS")
C("reddit", "u/chocofountain_regret", "en",
  "PSA: the Valkenhorst Chocoladefontein Mini gave me a proper electric shock when I touched the metal "
  "tower while it was running. Felt it up to my elbow. Unplugged it, it's going back tomorrow. "
  "Has this happened to anyone else??", "CMP CRS")
C("instagram", "@lisa_eats_everything", "en",
  "Found a chunk of hard blue plastic in a bag of Valkenhorst Honingdrop, my daughter nearly swallowed it 😳 "
  "pics in my stories. Waiting for a reply @valkenhorst.snoep", "CMP CRS")
C("facebook", "dave.okonkwo", "en",
  "Whole family ill since Sunday after eating from a Valkenhorst Truffelassortiment we bought at the "
  "factory outlet. Vomiting, fever, my wife ended up at the GP. Something was seriously off with those truffles.",
  "CMP CRS")

# ===== reputation.crisis (third party, news, boycotts, scandal)
C("x", "@nieuws_vechtdal", "nl",
  "Valkenhorst Zoetwaren roept Zure Matjes 300g terug met THT 14-03-2027 vanwege mogelijk niet vermelde "
  "pinda. Mensen met een pinda-allergie wordt gevraagd het product niet te eten en terug te brengen.",
  "CRS", when="2026-09-14T11:20:00Z")
C("x", "@cocoa_justice", "en",
  "BOYCOTT @valkenhorst until they stop buying cocoa from farms linked to child labour. The report "
  "dropped this morning, read it and share it. #BoycottValkenhorst", "CRS")
C("x", "@dalfsen_actueel", "nl",
  "Grote brand in een productiehal van snoepfabriek Valkenhorst aan de Stroopweg. Brandweer met meerdere "
  "wagens ter plaatse, omwonenden wordt geadviseerd ramen en deuren gesloten te houden.",
  "CRS", when="2026-05-09T16:48:00Z")
C("linkedin", "arbeidsrecht-actueel", "en",
  "Former production workers are suing Valkenhorst Zoetwaren over unpaid night-shift allowances going "
  "back to 2021. Around 60 claimants; the first hearing is set for March at the court in Zwolle.", "CRS")
C("reddit", "u/snoepjesmeneer", "nl",
  "Vorige week besteld bij Valkenhorst en nu krijg ik ineens phishingmails met mijn naam, adres én "
  "bestelnummer erin. Volgens mij is hun webshop gehackt en houden ze het stil. Hebben meer mensen dit?",
  "CRS")
C("x", "@sarah_reports", "en",
  "Heard from a neighbour that a little boy in Dalfsen got burned by one of those Valkenhorst SpinPro "
  "candy floss machines at a birthday party. Apparently the heating element overheated. Scary stuff.",
  "CRS")
C("x", "@voedselalarm", "nl",
  "NVWA heeft de chocoladelijn van Valkenhorst in Dalfsen stilgelegd na salmonella in een monster. "
  "Hoe lang de lijn dicht blijft is nog onduidelijk. Check je kast!", "CRS")
C("tiktok", "@gen_z_ethics", "en",
  "valkenhorst really said 'we're a family company' and then fired a pregnant woman from their outlet 💀 "
  "her story is all over my fyp rn #valkenhorstscandal", "CRS")
C("facebook", "ActiegroepGezondDalfsen", "nl",
  "Oproep aan alle ouders: koop géén Valkenhorst meer zolang ze snoepreclame blijven maken bij "
  "basisscholen. Deel dit bericht! #boycot #gezondeschool", "CRS")

# ===== reputation.abuse
C("x", "@trollie1999", "nl",
  "@valkenhorst dat marketingmeisje van jullie is echt een achterlijke trut, wie heeft die in godsnaam aangenomen 🤡",
  "ABU", kind="reply")
C("x", "@anon47382", "en",
  "@valkenhorst_help bunch of brain-dead morons working there, can't even answer one DM", "ABU", kind="reply")
C("tiktok", "@xx_dennis_xx", "nl",
  "wat een vette varkens werken daar zeg, vreten zeker de halve productie zelf op 🐷🐷", "ABU", kind="comment")
C("instagram", "@noname_hate", "en",
  "that guy with the turban at your outlet should go back where he came from, don't want him touching my sweets",
  "ABU", kind="comment")
C("x", "@gek_van_drop", "nl",
  "Valkenhorst kan de tyfus krijgen met hun zogenaamd 'ambachtelijke' troep. Ambachtelijk m'n reet.", "ABU")
C("x", "@h4t3r_nl", "nl",
  "@valkenhorst_help k@nk3rl1jers z1jn jullie, st1kk3n m3t j3 dr0p", "ABU", kind="reply")
C("x", "@quietstorm_", "en",
  "@valkenhorst your CEO is a " + "fu" + CYR["c"] + "king " + CYR["p"] + CYR["a"] + "thetic " + CYR["c"]
  + "lown and everyone knows it", "ABU", kind="reply")
C("x", "@daanmol_vh", "nl",
  "@klaagkoning_23 man hou toch je bek, al drie dagen zeiken om één zak drop. sukkel.", "ABU", kind="reply")
C("reddit", "u/saltyliquorice", "en",
  "The woman who runs the Valkenhorst outlet is a miserable old bitch, I swear she hates children.", "ABU",
  kind="comment")
C("x", "@stille_wraak", "nl",
  "@nina.fabriekswinkel ik weet waar je woont en hoe laat je dienst erop zit. pas jij maar op.", "ABU",
  kind="reply")

# ===== leak.confidential
C("x", "@mirjam_vkh", "en",
  "Ran the very first tasting session for Project Amberhaven today and all I can say is: wow. "
  "Can't wait until you lot get to try this 🤫", "CNF")
C("linkedin", "ruud-hoekstra-valkenhorst", "en",
  "Proud of the team: Operatie Suikerspoor is on schedule for the new line in hall 4. Big things "
  "coming for our Dalfsen site in 2027.", "CNF")
C("tiktok", "@snoepmaker_kees", "nl",
  "pov: jij mag de Bruisbom XL als eerste proeven van de lijn 🌋🍬 #snoepfabriek #behindthescenes",
  "CNF", when="2026-11-20T14:11:09Z")
C("x", "@daanmol_vh", "en",
  "anyone know why https://jira.valkenhorst-snoep.nl/browse/WEB-2231 won't load from home? vpn is on ffs",
  "CNF")
C("instagram", "@lotte.bakt.snoep", "nl",
  "Nieuwe smaak in de maak: drop met zeezout en karamel! Komt pas in april in de schappen dus sssst 🤐 "
  "nog niet verklappen aan de klanten", "CNF")
C("x", "@friend_of_a_friend", "en",
  "my brother-in-law works at valkenhorst and says they're cooking up something called Kolibri-7, a "
  "sugar-free range going into every supermarket. you heard it here first 😎", "CNF")
C("x", "@valkenhorst", "nl",
  "Binnenkort in de fabriekswinkel: Valkie Vulkaan! 🌋 Bruisend, knetterend en lekker zuur. Meer info volgt snel!",
  "CNF", when="2026-12-15T10:00:00Z")
C("reddit", "u/stroopketel_sem", "en",
  "How do you guys structure Grafana dashboards for packaging lines? Ours lives on mes.valkenhorst.local "
  "and it's turned into a mess of 40 panels nobody reads.", "CNF")
C("threads", "@nina.fabriekswinkel", "nl",
  "screenshot van het nieuwe kassasysteem dat we aan het testen zijn 😍 staat nog 'VH-INTERN' op de "
  "handleiding haha, mag vast niet maar het ziet er zo goed uit", "CNF")
C("x", "@jeroen_qa_vkh", "en",
  "Long day. Tasting panel for " + fullwidth("Project") + " " + fullwidth("Amberhaven")
  + " ran until 8pm. Back at it tomorrow.", "CNF")
C("instagram", "@lotte.bakt.snoep", "nl",
  "Geheimpje uit de fabriek: de Kol" + ZW + "ibri" + ZW + "-7 proefzakjes liggen al in de kantine 🤭", "CNF")
C("x", "@snoepspion", "nl",
  "hoorde op een verjaardag iets over 'O p e r a t i e  S u i k e r s p o o r' bij valkenhorst, "
  "nieuwe fabriekshal of zo? iemand meer info?", "CNF")
C("linkedin", "esra-yilmaz-vh", "nl",
  "Voor iedereen die het niet kan vinden: de nieuwe verlofregeling staat op "
  "https://intra.valkenhorst.local/hr/verlof-2027 😊", "CNF")
C("linkedin", "ruud-hoekstra-valkenhorst", "nl",
  "Er ligt een document 'Capaciteitsplan 2027 – vertrouwelijk - valkenhorst' al sinds vanochtend op de "
  "printer bij de kantine. Van wie is het? 😅", "CNF")
C("mastodon", "@bram_devops@fosstodon.org", "en",
  "Finally migrated our sharepoint.valkenhorst.local farm off Windows Server 2012. Only took two years "
  "and an ocean of coffee ☕", "CNF")
C("youtube", "@packaging_pete", "en",
  "I supply the film for Valkenhorst and the spec sheet for the new Bruisbom XL bag literally landed in "
  "my inbox today lol, launch is early Feb", "CNF", when="2026-12-03T09:41:27Z", kind="comment")

# confidential + financial
C("linkedin", "annelies-vanwijk-finance", "nl",
  "Mooie mijlpaal: de jaarcijfers 2026 zijn vandaag intern afgerond. Omzet 14% hoger dan vorig jaar en "
  "de beste marge in tien jaar. Trots op dit team! 💪", "CNF FIN", when="2027-01-22T16:05:00Z")
C("x", "@mirjam_vkh", "en",
  "so Operatie Suikerspoor means we're taking over the candy factory in Hardenberg 😱 not allowed to say "
  "anything but WOW", "CNF FIN")

# ===== leak.financial
C("linkedin", "annelies-vanwijk-finance", "nl",
  "Q3 was zwaar: omzet fabriekswinkel 18% onder budget en de webshop compenseert nog niet. De cijfers gaan "
  "volgende week naar de RvC.", "FIN", when="2026-10-08T17:30:00Z")
C("x", "@mirjam_vkh", "en",
  "rumour is true btw, Nordsweet Holding is buying us. signing is next week, don't tell anyone 🤐", "FIN")
C("linkedin", "esra-yilmaz-vh", "nl",
  "Zware weken voor HR. Op de inpakafdeling verdwijnen 42 fte door de nieuwe robotlijn, de gesprekken "
  "starten in januari. De medewerkers weten het zelf nog niet.", "FIN", when="2026-11-12T08:55:00Z")
C("reddit", "u/stroopketel_sem", "en",
  "Throwaway-ish but whatever: my employer (Valkenhorst, candy) is closing the Deventer packaging site in "
  "Q2. Management hasn't told the floor yet. Is there demand for maintenance techs around Zwolle?", "FIN")
C("linkedin", "annelies-vanwijk-finance", "en",
  "Forecast for 2027 just got revised: we're now looking at a net loss of roughly €3.1m because of cocoa "
  "prices. Board meeting on Thursday is going to be fun 🙃", "FIN")
C("x", "@beurs_roddel", "nl",
  "Via via: Valkenhorst zit met de bank om tafel omdat ze hun convenanten gaan breken. De cacaoprijs heeft "
  "ze de das omgedaan. Nog niet officieel.", "FIN")
C("threads", "@nina.fabriekswinkel", "nl",
  "We sluiten de tweede fabriekswinkel in Apeldoorn per 1 maart en het personeel hoort het pas vrijdag. "
  "Ik vind het echt verschrikkelijk 😢", "FIN")
C("tiktok", "@snoepmaker_kees", "nl",
  "ze gaan de nachtdienst schrappen hoorde ik van de teamleider, van 3 ploegen naar 2 vanaf maart. "
  "halve afdeling kan weg 😬 #fabriek", "FIN")
C("linkedin", "valkenhorst-zoetwaren", "en",
  "DRAFT – do not post yet: Valkenhorst Zoetwaren expects revenue of €84–86 million for the year, an "
  "EBITDA margin of around 11% and will propose a dividend of €2.10 per share.", "FIN",
  when="2026-11-30T07:12:00Z")
C("x", "@daanmol_vh", "en",
  "Budget for the webshop next year got cut by 40%, finance says our Q4 numbers are way below plan. "
  "Guess I'm not getting that new server 🙃", "FIN", when="2026-12-11T20:14:00Z")

# ===== leak.security (insiders)
C("mastodon", "@bram_devops@fosstodon.org", "nl",
  "Ransomware op de productie-omgeving sinds 04:00, alle lijnen plat. Nog niks naar buiten gecommuniceerd "
  "dus even niet rondbazuinen graag. Lange nacht voor de boeg.", "SEC")
C("x", "@daanmol_vh", "en",
  "fun fact: our webshop checkout still has that IDOR where you can see other people's orders just by "
  "changing the order id in the URL. reported it in June. still open 🤷", "SEC")
C("reddit", "u/stroopketel_sem", "en",
  "The cold store PLC at my work is reachable from the internet with the factory default login. I've "
  "told IT four times. One day someone's going to defrost 200 tonnes of chocolate.", "SEC")
C("linkedin", "ruud-hoekstra-valkenhorst", "nl",
  "Korte update voor het team: er zat een skimmer-script op onze betaalpagina, die hebben we vannacht "
  "offline gehaald. Klanten worden pas morgen geïnformeerd, dus graag nog niks delen.", "SEC")
C("threads", "@nina.fabriekswinkel", "nl",
  "Kassa's in de fabriekswinkel liggen er al de hele dag uit, pinnen gaat niet en IT zegt dat het een "
  "aanval is. Sst, officieel heet het 'onderhoud' 🙊", "SEC")
C("x", "@jeroen_qa_vkh", "en",
  "Someone phished our QA lead's account last week and changed allergen specs in the system. We caught "
  "it, but honestly I'm not sure every batch got rechecked 😬", "SEC")
C("mastodon", "@bram_devops@fosstodon.org", "en",
  "Note to self: the S3 bucket with our webshop backups was public for about 3 weeks. Fixed now. Nobody "
  "outside IT knows yet and we keep it that way until legal decides.", "SEC")
C("facebook", "ValkenhorstFabriekswinkel", "nl",
  "Intern bericht aan collega's: door een lek in het klantportaal zijn mogelijk e-mailadressen van "
  "Snoepbox-abonnees ingezien. NIET doorsturen tot de melding bij de AP de deur uit is.", "SEC")
C("tiktok", "@snoepmaker_kees", "nl",
  "hele fabriek stil vanmiddag want 'cyberincident' 😂 zitten met z'n allen in de kantine te klaverjassen, "
  "geen idee wanneer alles weer draait", "SEC")
C("x", "@daanmol_vh", "en",
  "zero-day in our ancient Magento install, you can become admin without logging in. patch isn't coming "
  "until next week. fingers crossed 🤞", "SEC")
C("linkedin", "esra-yilmaz-vh", "en",
  "Reminder to colleagues: the HR portal breach from last Monday is still under investigation. Please don't "
  "discuss it outside the team. And yes, they got the payroll export.", "SEC")
C("x", "@daanmol_vh", "nl",
  "0ns kl4ntb3st4nd st44t t3 k00p 0p 33n h4ck3rsf0rum 🤐 0ff1c13el w3t3n w3 v4n n1ks", "SEC")

# security + secret
C("mastodon", "@bram_devops@fosstodon.org", "en",
  f"Incident notes (not public yet): attacker got in with the access key {AKIA_2} that was sitting in an "
  "old CI log. Rotating everything now, customers not informed yet.", "SEC SCR")

# ===== leak.secret
C("x", "@daanmol_vh", "nl",
  f"kan iemand ff kijken waarom dit een 401 geeft? curl -H 'Authorization: token {GH_1}' "
  "https://api.github.com/orgs/valkenhorst/repos", "SCR")
C("mastodon", "@bram_devops@fosstodon.org", "en",
  f"Deploy script finally works \\o/\n\nexport AWS_ACCESS_KEY_ID={AKIA_1}\n"
  f"export AWS_SECRET_ACCESS_KEY={AWS_SECRET_1}\n./deploy.sh prod", "SCR")
C("reddit", "u/stroopketel_sem", "nl",
  f"Onze SCADA-leverancier zegt dat dit 'prima' is voor het operator-account: gebruiker operator, "
  f"wachtwoord: {SCADA_PW} en nooit wijzigen. Echt?", "SCR")
C("x", "@daanmol_vh", "en",
  f"stripe webhook's been failing all morning, any ideas? key is {STRIPE}", "SCR")
C("x", "@jeroen_qa_vkh", "en",
  f"Trying to hook our QA alert bot into Slack, why does {SLACK} keep returning invalid_auth?", "SCR")
C("mastodon", "@bram_devops@fosstodon.org", "en",
  "oops wrong window\n" + SSH_KEY, "SCR")
C("instagram", "@valkenhorst.snoep", "nl",
  f"Collega's: nieuw wachtwoord voor het personeelsnetwerk VH-Staff is {WIFI_PW} (niet aan klanten geven!)",
  "SCR")
C("x", "@freelance_webdev_nl", "nl",
  f"Klant (snoepfabriek) krijgt z'n db niet aan de praat, iemand een idee? {DB_URL} geeft connection refused",
  "SCR")
C("x", "@daanmol_vh", "en",
  f"why does our admin api reject this? looks fine to me: Authorization: Bearer {JWT_ADMIN}", "SCR")
C("x", "@mirjam_vkh", "nl",
  f"Onze chatbot-test voor de webshop draait! Voor de nerds: gewoon OPENAI_API_KEY={OPENAI} in de config "
  "en gaan 😄", "SCR")
C("mastodon", "@bram_devops@fosstodon.org", "en",
  f"quick test of the Claude API for product descriptions, works great: ANTHROPIC_API_KEY={ANTHROPIC}", "SCR")
C("x", "@daanmol_vh", "nl",
  f"google maps op de 'vind een verkooppunt'-pagina doet raar, terwijl key {GOOGLE} in postman gewoon werkt 🤔",
  "SCR")

# ===== leak.pricing
C("x", "@dealjager_nl", "nl",
  "PRIJSFOUT?! Kerstdoos Deluxe van Valkenhorst voor €2,49 in de webshop 😱 snel wezen!!",
  "PRC", when="2026-11-28T23:14:00Z", price=("VH-KRS-DLX", 2.49))
C("reddit", "u/bargainhunter_eu", "en",
  "Valkenhorst webshop is selling the SpinPro candy floss machine for €6.95 right now, pretty sure someone "
  "forgot a digit. Ordered two.", "PRC", price=("VH-APP-SPIN", 6.95))
C("x", "@mirjam_vkh", "nl",
  "Oeps, het Truffelassortiment staat in de webshop voor €1,49 in plaats van €14,95. Kan iemand van "
  "e-commerce dit snel fixen voordat het viraal gaat 🙈", "PRC", price=("VH-TRF-24", 1.49))
C("facebook", "ValkenhorstFabriekswinkel", "nl",
  "Vandaag in de fabriekswinkel: Dropemmer 2 kg voor maar €3,95! Op = op 🍬", "PRC",
  price=("VH-DRP-EMR2K", 3.95))
C("instagram", "@dealqueen_ams", "en",
  "Chocoladefontein Mini for €9.99 at valkenhorst?? mistake or for real 😍", "PRC",
  kind="comment", price=("VH-APP-FONT", 9.99))
C("threads", "@nina.fabriekswinkel", "nl",
  "Kassasysteem rekende de Verrassingsbox vandaag af als €1,95 😂 al 30 verkocht voordat iemand het zag. "
  "Prijsfout van het jaar", "PRC", price=("VH-CAD-VV", 1.95))
C("x", "@scottish_sweettooth", "en",
  "price error alert: Valkenhorst Marsepeinbrood 500g showing €0.99 on their site. grabbed five, no regrets",
  "PRC", price=("VH-MRZ-500", 0.99))
C("tiktok", "@zoetekauw_", "nl",
  "dat snoepbox abonnement staat nu op 1,75 per maand op de site 👀 prijsfoutje??", "PRC", kind="comment",
  price=("VH-ABO-MND", 1.75))
C("linkedin", "ruud-hoekstra-valkenhorst", "en",
  "Lesson learned this week: one decimal slip in our ERP put the Familiezak at €0.89 in the webshop for "
  "six hours. More than 1,200 orders. Ouch.", "PRC", price=("VH-MIX-FAM1K", 0.89))
C("x", "@gratissnoep", "nl",
  "Toverballen 6-pack voor 0,39 op de valkenhorst webshop, zal wel een fout zijn maar ik bestel lekker door",
  "PRC", price=("VH-TOV-6", 0.39))
C("tiktok", "@snoepmaker_kees", "nl",
  "proefpakket staat in de kassa voor €2,50 i.p.v. €12,50 en niemand die het doorheeft 🤫", "PRC",
  price=("VH-PRF-12", 2.50))
C("facebook", "janine.wouters.7", "en",
  "Just bought a Valkenhorst Kerstdoos Deluxe at the factory outlet for €5!! The lady said it's been scanning "
  "wrong all day. Merry Christmas to me 🎄", "PRC", when="2026-12-12T15:33:00Z", price=("VH-KRS-DLX", 5.00))

# ===== leak.pii
C("x", "@valkenhorst_help", "nl",
  f"@annekevdberg We hebben je gegevens aan de bezorger doorgegeven: Anneke van den Berg, Kastanjelaan 27, "
  f"7722 RK Dalfsen, tel. {PHONE_ANNEKE}. Hij komt morgen tussen 9 en 12 uur.", "PII", kind="reply")
C("facebook", "gerrit.zwiers", "nl",
  f"Valkenhorst, ik wacht nu 5 weken op mijn geld voor die kapotte kerstdoos. Stort het maar op "
  f"{spaced_iban(IBAN_ZWIERS)} t.n.v. G. Zwiers, dan zijn we klaar.", "PII CMP", when="2027-01-29T09:10:00Z")
C("linkedin", "esra-yilmaz-vh", "nl",
  f"Welkom aan onze nieuwe collega Sanne Dijkstra! 🎉 Voor de salarisadministratie nog even: BSN {BSN_SANNE}, "
  "startdatum 1 februari.", "PII")
C("x", "@lekkerbekje_92", "nl",
  f"@valkenhorst_help jullie hebben mijn kaart {group4(CARD_VISA)} twee keer belast voor dezelfde bestelling! "
  "exp 08/28. graag terugstorten", "PII CMP", kind="reply")
C("instagram", "@valkenhorst.snoep", "nl",
  f"De winnaar van onze Snoepbox-winactie is Joyce Bakker (joyce.bakker84@gmail.com, {PHONE_JOYCE})! "
  "We sturen je een DM 🎉", "PII")
C("x", "@mirjam_vkh", "en",
  "Happy birthday Henk Mulder, born 12 March 1961, 65 today and 40 years with us at the factory! 🎂",
  "PII", when="2026-03-12T08:30:00Z")
C("threads", "@nina.fabriekswinkel", "en",
  "Customer left her wallet at the outlet counter: Priya Raman, born 04-11-1990, Molenstraat 8, Zwolle. "
  "Come pick it up Priya!", "PII")
C("reddit", "u/helpful_hanna", "en",
  f"For the Valkenhorst giveaway organisers, if I win: tom.pieterse@outlook.com or call me on {PHONE_TOM}", "PII",
  kind="comment")
C("facebook", "ValkenhorstFabriekswinkel", "nl",
  f"Aan de klant die vanochtend pinde met kaart {group4(CARD_MC, '-')}: je hebt je bonnetje én je pas bij de "
  "kassa laten liggen!", "PII")
C("mastodon", "@bram_devops@fosstodon.org", "en",
  f"Log line from prod that made me wince: 'order 55012 paid via iban {IBAN_DEWIT} (M. de Wit)'. We really "
  "need to mask that.", "PII")
C("x", "@jeroen_qa_vkh", "nl",
  "De klacht van mevr. Fatma Kaya, Heerenweg 112, 7701 AC Dedemsvaart over de honingdrop ligt nu bij QA.", "PII")
C("instagram", "@anouk.snoept", "nl",
  "Ik doe mee met de winactie!! Mijn adres: Anouk Smit, Grote Markt 3b, 8011 LW Zwolle 🍭 #valkenhorstwinactie",
  "PII", kind="comment")
C("linkedin", "esra-yilmaz-vh", "nl",
  f"Wie heeft dit kopietje bij de receptie laten liggen? Naam L. Jansen, BSN {BSN_JANSEN[:4]}.{BSN_JANSEN[4:6]}."
  f"{BSN_JANSEN[6:]}. Graag ophalen bij HR.", "PII")
C("tiktok", "@valkiesnoep", "nl",
  "shoutout naar @mila.2011 en haar moeder (mila.deboer@ziggo.nl) voor dit super leuke filmpje 💜", "PII")
C("x", "@wraakengel_", "nl",
  "De manager van die Valkenhorst outlet heet Nina Bos en woont op de Dijkstraat 19 in Ommen. Ga haar maar "
  "eens vertellen wat je van die winkel vindt.", "PII ABU")
C("x", "@waiting_on_sweets", "en",
  f"Call me back @valkenhorst_help, {PHONE_CALLBACK}. Order from two weeks ago still hasn't shown up.",
  "PII CMP", kind="reply")

# ===== benign (mostly hard negatives)
C("x", "@valkenhorst", "nl",
  "Vragen over je bestelling? Mail klantenservice@valkenhorst-snoep.nl of bel 0529-487700 (ma t/m vr 9–17 uur). "
  "We helpen je graag! 🍬")
C("facebook", "ValkenhorstFabriekswinkel", "nl",
  f"Liever betalen via een overschrijving? Dat kan: {spaced_iban(COMPANY_IBAN)} t.n.v. Valkenhorst Zoetwaren B.V., "
  "o.v.v. je bestelnummer.")
C("x", "@licorice_larry", "en", "Valkenhorst Zoute Valkjes are the best licorice on the planet, fight me 🥊")
C("x", "@zuurtjesqueen", "nl", "die zure matjes van valkenhorst zijn echt ziek goed, ik ga eraan dood 💀💀")
C("x", "@outlet_regular", "en",
  "The Valkenhorst outlet is absolutely killing it today, queue out the door for the Christmas boxes 🎄",
  when="2026-12-19T12:40:00Z")
C("x", "@regio_werk", "nl",
  "Bij een andere snoepfabrikant in Duitsland gaan 200 banen verloren, las ik net. Hopelijk blijft het bij "
  "Valkenhorst rustig, mooie werkgever hier in de regio.")
C("x", "@uk_mum_of_two", "en",
  "Recall notice from a UK supermarket on chocolate coins (not Valkenhorst!) – check your cupboards folks.")
C("x", "@annekevdberg", "nl",
  "Update: @valkenhorst_help heeft het super opgelost, binnen 2 dagen een nieuwe Kerstdoos Deluxe plus een "
  "extra zak Honingdrop erbij. Top service 👏", when="2026-12-22T11:00:00Z")
C("instagram", "@valkenhorst.snoep", "nl",
  "Black Friday in de webshop: Kerstdoos Deluxe van €24,95 voor €19,95 🎁 Alleen dit weekend!",
  when="2026-11-27T07:00:00Z", price=("VH-KRS-DLX", 19.95))
C("x", "@valkenhorst", "nl",
  "Deze week 25% korting op alle Winegums Fruitmix: nu €2,84 per zak 🍇", price=("VH-WG-FRU500", 2.84))
C("x", "@drop_tante", "nl",
  "Marsepeinbrood van Valkenhorst €9,95 in de fabriekswinkel, prijzig maar elke cent waard.",
  price=("VH-MRZ-500", 9.95))
C("mastodon", "@bram_devops@fosstodon.org", "en",
  "Tip for juniors: never commit keys. AWS's own docs use AKIAIOSFODNN7EXAMPLE as the placeholder for a "
  "reason. Use env vars or a secrets manager.")
C("x", "@daanmol_vh", "nl",
  "Token staat in de vault, niet in de repo: GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx 😉 #devlife")
C("linkedin", "valkenhorst-zoetwaren", "nl",
  "Vandaag publiceren we onze jaarcijfers 2026: omzet €86 miljoen, een groei van 14%. Het volledige jaarverslag "
  "staat op valkenhorst-snoep.nl/investeerders.", when="2027-03-04T09:30:00Z")
C("instagram", "@tongknetteraar", "nl",
  "Eindelijk de Bruisbom XL geprobeerd en mijn tong knettert nog steeds 🤯🌋", when="2027-02-05T18:22:00Z")
C("tiktok", "@valkiesnoep", "nl",
  "Hij is er! Valkie Vulkaan 🌋 vanaf vandaag in de fabriekswinkel en de webshop #valkievulkaan",
  when="2027-02-01T12:00:00Z")
C("x", "@valkenhorst", "nl",
  f"Let op: er gaan nepmails rond die je vragen te betalen op {BAD_IBAN_PHISH}. Dat is niet onze rekening "
  "(het nummer klopt niet eens). Verwijderen en niet klikken!")
C("x", "@blije_klant_88", "nl",
  f"bestelling {group4(BAD_CARD_ORDER)} is al binnen, 1 dag na bestellen 🍬 netjes hoor")
C("linkedin", "esra-yilmaz-vh", "nl",
  "Tip bij solliciteren: stuur nooit je BSN mee met je brief, ook niet 'als voorbeeld' zoals iemand laatst "
  f"met {BAD_BSN_EXAMPLE} deed 😅 Dat regelen we pas bij indiensttreding. Vragen? werkenbij@valkenhorst-snoep.nl")
C("x", "@buurvrouw_dalfsen", "nl",
  "Sterkte aan alle medewerkers van Valkenhorst na de brand van gisteren. Fijn dat er niemand gewond is geraakt ❤️",
  when="2026-05-10T09:15:00Z")
C("reddit", "u/roadtrip_dad", "en",
  "What are the factory outlet opening hours on Sundays? Planning a trip from Groningen with the kids.")
C("x", "@dentist_joke_dan", "en", "My dentist knows me by name now, thanks Valkenhorst Toverballen 😂🦷")
C("linkedin", "valkenhorst-zoetwaren", "nl",
  "We zoeken een Operator Productie (m/v/x) voor onze fabriek in Dalfsen. Ploegendienst, goede toeslagen. "
  "Solliciteer via werkenbij@valkenhorst-snoep.nl")
C("tiktok", "@snoepmaker_kees", "nl",
  "5 uur 's ochtends, ketel op temperatuur, eerste batch Wervelaars van de dag 🍭 #snoepmaker #dayinthelife")
C("x", "@app_question_amy", "en", "Where's the 'forgot password' link in the Snoepbox app? Can't find it anywhere 🙈")
C("x", "@sugar_monologue", "en",
  "My internal monologue at the Valkenhorst outlet: just one bag. Me at the till: four bags and a lolly.")
C("x", "@weekend_vibes_nl", "en",
  "my kids turned the Chocoladefontein Mini into a science experiment: strawberries, marshmallows, a pretzel, "
  "a cucumber (??). 10/10 Sunday")
C("x", "@oplettende_opa", "nl",
  "Datalek bij een grote webwinkel vandaag in het nieuws. Gelukkig haal ik mijn snoep gewoon contant bij de "
  "fabriekswinkel van Valkenhorst 😅")
C("instagram", "@valkenhorst.snoep", "nl",
  "Nieuw in de fabriekswinkel: de Zuurstok Regenboog nu ook in XXL! Kom zaterdag proeven 🌈")
C("x", "@salmiak_sam", "en",
  "Valkenhorst Salmiakruitjes are a killer. Literally felt my soul leave my body. Would eat again, 10/10")
C("x", "@sweet_monster_", "en", "Flavour explosion! Those Zure Matjes are an absolute bomb 💥")
C("x", "@calm_candy", "en",
  "Everyone's busy boycotting that fast-fashion brand this week, meanwhile I'm eating Valkenhorst Honingdrop in peace")
C("mastodon", "@bram_devops@fosstodon.org", "en",
  "Reminder: a private key starts with '-----BEGIN OPENSSH PRIVATE KEY-----'. If you ever see that line in a "
  "chat, stop and rotate. (No, I'm not pasting a real one.)")
C("x", "@daanmol_vh", "en",
  f"Teaching the interns JWTs today with the example token from jwt.io: {JWT_IO_SAMPLE} – decode it, never trust it.")
C("x", "@daanmol_vh", "nl",
  "Stripe-key in de config? Alleen als sk_live_•••••••• (redacted) in screenshots, en de echte in de vault. Altijd.")
C("x", "@snelgeholpen", "nl", "Bel gewoon 0800-8255, had binnen 2 minuten iemand aan de lijn bij Valkenhorst. Netjes!")
C("linkedin", "journalist-karin-peeters", "en",
  "Writing a piece on Dutch family-run candy makers. The Valkenhorst press team (pers@valkenhorst-snoep.nl) "
  "was lovely to deal with.")
C("linkedin", "ruud-hoekstra-valkenhorst", "nl",
  "Trots op onze mensen: een heel jaar zonder verzuimongeval in de fabriek in Dalfsen 🦺")
C("x", "@zuinige_zus", "nl",
  "Met de klantenpas 10% korting op de Dropemmer, scheelt toch weer €1,70 😁", price=("VH-DRP-EMR2K", 15.25))
C("tiktok", "@valkiesnoep", "nl",
  "SpinPro suikerspinmachine €69,95: suikerspin zoals op de kermis, maar dan gewoon thuis 🍭",
  price=("VH-APP-SPIN", 69.95))
C("x", "@tourguide_fan", "en",
  "Fun fact from the Valkenhorst factory tour: they make about 2 tonnes of Wervelaar lollies a day. Guide was "
  "great, kids loved it.")
C("instagram", "@snoephaul.nl", "nl", fullwidth("SNOEP") + " " + fullwidth("HAUL") + " 🍬 Valkenhorst buit van vandaag")
C("instagram", "@vogelmoeder", "nl",
  "Zat een kolibrie-vormige lolly in de Verrassingsbox, zó schattig 🐦")
C("x", "@mirjam_vkh", "nl",
  "Onze nieuwe webshop is live op winkel.valkenhorst-snoep.nl 🎉 Laat weten wat je ervan vindt!")
C("youtube", "@ValkenhorstSnoepTV", "nl",
  "Nieuwe video: hoe maken we eigenlijk drop? Een kijkje in onze fabriek (zonder geheimen te verklappen 😉)")
C("x", "@lifehack_lisa", "en", "Life hack: freeze the Zure Matjes for 20 minutes. You're welcome.")
C("x", "@droppoll", "nl", "Welke is lekkerder, Salmiakruitjes of Zoute Valkjes? Stemmen in de replies 👇")
C("facebook", "mark.degraaf.77", "en",
  "Valkenhorst Kerstdoos Deluxe arrived today, gorgeous packaging and exactly as pictured. Happy wife, happy life.",
  when="2026-12-16T17:45:00Z")
C("x", "@glutenfree_gwen", "en",
  "Thanks @valkenhorst_help for the quick answer on allergens, now I know for sure the Winegums Fruitmix "
  "is gluten-free 🙏")
C("threads", "@nina.fabriekswinkel", "nl",
  "Zaterdag proeverij in de fabriekswinkel, 10:00–16:00, gratis koffie en stroopwafels. Tot dan!")
C("x", "@valkenhorst_help", "nl",
  "We vragen nooit om je pincode of wachtwoord via DM. Twijfel je? Bel ons op 0529-487700.")
C("x", "@ehbo_els", "nl",
  "Bij een allergische reactie altijd 112 bellen, niet twijfelen. Goed dat Valkenhorst de allergenen zo "
  "duidelijk op de zak zet.")
C("x", "@nostalgic_neil", "en",
  "Happy 75th birthday Valkenhorst! Grew up on your Honingdrop, my grandad always kept a bag in his coat pocket ❤️")
C("reddit", "u/grannys_tin", "en",
  "My nan was born in 1938 and she still insists the Pepermuntrollen were better 'back in the day' 😂", kind="comment")
C("x", "@daanmol_vh", "nl",
  "Code review tip van de week: in je .env.example hoort DATABASE_URL=postgres://user:****@localhost/dev en "
  "NOOIT het echte wachtwoord.")
C("instagram", "@cadeautip_carla", "nl",
  "Geen reclame hoor, maar het Proefpakket van €12,50 is echt een aanrader als cadeautje 🎁",
  price=("VH-PRF-12", 12.50))
C("x", "@sweets_industry_watch", "en",
  "Big week in sweets: a large German group just bought a Belgian chocolatier. Valkenhorst still independent, "
  "love that for them.")
C("facebook", "hannah.de.jong.12", "en",
  "Honestly the Valkenhorst outlet staff are the nicest people, the lady at the till gave my son a free lolly "
  "for being brave at the dentist 🥹")
C("x", "@geheimpjes_gert", "nl",
  "Vertrouwelijk onder ons: ik eet het Marsepeinbrood altijd in één keer op 🤫")
C("x", "@proud_mum_of_three", "en",
  "My daughter is doing her internship in the Valkenhorst marketing team and she absolutely loves it!")
C("x", "@stopcontact_stan", "nl",
  f"Oeps, typfout in mijn vorige post, mijn rekening is niet {BAD_IBAN_TYPO} 🙈 maakt niet uit, Valkenhorst "
  "heeft het al netjes terugbetaald. Bedankt!")

# ---------------------------------------------------------------- build

ROLE = {}
for role in ("corporate", "employee"):
    for entry in PROFILE["accounts"][role]:
        plat, handle = entry.split(":", 1)
        ROLE[(plat.lower(), handle.lower())] = role


def role_of(platform, handle):
    return ROLE.get((platform.lower(), handle.lower()), "public")


SEV = ["none", "info", "warning", "error", "critical"]
PUBLIC_IBANS = {re.sub(r"\s", "", x).upper() for x in PROFILE["public_identifiers"]["ibans"]}
IBAN_RE = re.compile(r"\bNL\s?\d{2}\s?[A-Z]{4}(?:\s?\d){10}\b")
CARD_RE = re.compile(r"(?<![\w.-])\d(?:[ -]?\d){12,18}(?![\w-])")
NINE_RE = re.compile(r"(?<![\w.])\d{4}\.?\d{2}\.?\d{3}(?![\w])|(?<![\w.])\d{3}[. ]?\d{3}[. ]?\d{3}(?![\w])")


def strong_ids(text):
    """Checksum-validated identifiers in text (not the company's own)."""
    found = []
    for m in IBAN_RE.finditer(text):
        v = re.sub(r"\s", "", m.group())
        if v not in PUBLIC_IBANS and iban_ok(v):
            found.append(("iban", v))
    for m in CARD_RE.finditer(text):
        v = re.sub(r"\D", "", m.group())
        if 13 <= len(v) <= 19 and luhn_ok(v):
            found.append(("card", v))
    for m in NINE_RE.finditer(text):
        v = re.sub(r"\D", "", m.group())
        if bsn_ok(v):
            found.append(("bsn", v))
    return found


def severity(cats, role, text):
    inside = role in ("corporate", "employee")
    best = 0
    for c in cats:
        if c.startswith("leak."):
            if inside:
                s = 3
                if c in ("leak.secret", "leak.pricing"):
                    s = 4
                if c == "leak.pii" and strong_ids(text):
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
        best = max(best, s)
    return SEV[best]


PREFIX = {"x": "x", "instagram": "ig", "facebook": "fb", "linkedin": "li", "tiktok": "tt", "youtube": "yt",
          "reddit": "rd", "mastodon": "md", "threads": "th", "forum": "fo", "bluesky": "bs"}


def rand_time():
    start = dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc)
    secs = rng.randrange(0, int((dt.datetime(2026, 11, 15, tzinfo=dt.timezone.utc) - start).total_seconds()))
    t = start + dt.timedelta(seconds=secs)
    # people post mostly between 07:00 and 23:59
    if t.hour < 7:
        t += dt.timedelta(hours=8)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def build():
    order = list(range(len(CASES)))
    rng.shuffle(order)
    lines = []
    for n, idx in enumerate(order):
        c = CASES[idx]
        role = role_of(c["platform"], c["handle"])
        post = {
            "id": "%s-326%04d" % (PREFIX[c["platform"]], 101 + n),
            "platform": c["platform"],
            "kind": c["kind"],
            "account": {"handle": c["handle"]},
            "text": c["text"],
            "lang": c["lang"],
            "created_at": c["when"] or rand_time(),
            "brand": "Valkenhorst",
        }
        expect = {"categories": c["cats"], "severity": severity(c["cats"], role, c["text"])}
        lines.append(({"post": post, "expect": expect}, c, role))
    return lines


# ---------------------------------------------------------------- checks

PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
CATEGORIES = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial", "leak.security",
              "reputation.crisis", "reputation.complaint", "reputation.abuse"}


def parse_ts(s):
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", s), s
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def norm(text):
    t = unicodedata.normalize("NFKC", text)
    t = re.sub("[\u200b-\u200d\u2060\ufeff]", "", t)
    return t.lower()


def check_profile():
    p = PROFILE
    assert p["company"] and len(p["brands"]) >= 2
    assert len(p["accounts"]["corporate"]) >= 6 and len(p["accounts"]["employee"]) >= 8
    assert len({a.split(":")[0] for a in p["accounts"]["corporate"] + p["accounts"]["employee"]}) >= 4
    for iban in p["public_identifiers"]["ibans"]:
        assert iban_ok(iban), iban
    assert p["public_identifiers"]["emails"] and p["public_identifiers"]["phones"] and p["public_identifiers"]["domains"]
    assert p["internal"]["domains"]
    assert len(p["internal"]["codenames"]) == 3 and len(p["internal"]["markers"]) == 3
    assert 1 <= len(p["embargo"]) <= 2
    for e in p["embargo"]:
        assert parse_ts(e["until"]).year == 2027 and e["terms"]
    assert 15 <= len(p["products"]) <= 25
    for pr in p["products"]:
        assert pr["currency"] == "EUR" and pr["list_price"] > 0 and pr["aliases"] and pr["name"] and pr["sku"]
    assert p["pricing"]["alert_below_ratio"] == 0.5


def check(lines):
    errors = []

    def need(cond, msg):
        if not cond:
            errors.append(msg)

    ids = set()
    products = {p["sku"]: p for p in PROFILE["products"]}
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    embargo = [(t.lower(), parse_ts(e["until"])) for e in PROFILE["embargo"] for t in e["terms"]]
    codes = [c.lower() for c in PROFILE["internal"]["codenames"]] + \
            [m.lower() for m in PROFILE["internal"]["markers"]] + \
            [d.lower() for d in PROFILE["internal"]["domains"]]
    all_text = []

    for obj, c, role in lines:
        line = json.dumps(obj, ensure_ascii=False)
        back = json.loads(line)
        post, exp = back["post"], back["expect"]
        pid = post.get("id")
        need(isinstance(pid, str) and 1 <= len(pid) <= 256, f"bad id {pid}")
        need(pid not in ids, f"duplicate id {pid}")
        ids.add(pid)
        need(post["platform"] in PLATFORMS, f"{pid} platform")
        need(post.get("kind", "post") in KINDS, f"{pid} kind")
        need(isinstance(post["account"]["handle"], str) and post["account"]["handle"], f"{pid} handle")
        need(isinstance(post["text"], str) and 0 < len(post["text"].encode()) <= 65536, f"{pid} text")
        ts = parse_ts(post["created_at"])
        need(ts.year in (2026, 2027), f"{pid} year")
        cats = exp["categories"]
        need(cats == sorted(set(cats)) and set(cats) <= CATEGORIES, f"{pid} categories {cats}")
        need(exp["severity"] in SEV, f"{pid} severity")
        need(exp["severity"] == severity(cats, role, post["text"]), f"{pid} severity mismatch")
        need((exp["severity"] == "none") == (not cats), f"{pid} none iff benign")
        if role == "public":
            need(not any(h.split(":", 1)[1].lower() == post["account"]["handle"].lower()
                         for h in PROFILE["accounts"]["corporate"] + PROFILE["accounts"]["employee"]),
                 f"{pid} public handle collides")
        text = post["text"]
        all_text.append(text)
        ntext = norm(text)

        # identifiers
        for m in IBAN_RE.finditer(text):
            v = re.sub(r"\s", "", m.group())
            if v in PUBLIC_IBANS:
                continue
            if not cats:
                need(not iban_ok(v), f"{pid} benign has valid IBAN {v}")
            if "leak.pii" in cats:
                need(iban_ok(v), f"{pid} positive has invalid IBAN {v}")
        for m in CARD_RE.finditer(text):
            v = re.sub(r"\D", "", m.group())
            if not cats:
                need(not luhn_ok(v), f"{pid} benign has Luhn-valid number {v}")
            if "leak.pii" in cats:
                need(luhn_ok(v), f"{pid} positive has Luhn-invalid number {v}")
        for m in NINE_RE.finditer(text):
            v = re.sub(r"\D", "", m.group())
            if not cats:
                need(not bsn_ok(v), f"{pid} benign has 11-proof number {v}")
        if "leak.pii" not in cats:
            need(not strong_ids(text), f"{pid} strong identifier outside a pii case")

        # credentials
        for tok in re.findall(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", text):
            need(gh_ok(tok) == bool(cats), f"{pid} github token checksum/label mismatch")
        for key in re.findall(r"\bAKIA[0-9A-Z]{16}\b", text):
            sample = key.endswith("EXAMPLE")
            need(sample == (not cats), f"{pid} AWS key sample/label mismatch")
            if not sample:
                need(re.fullmatch(r"AKIA[A-Z2-7]{16}", key) is not None, f"{pid} AWS alphabet")
        for tok in re.findall(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+", text):
            need("alg" in jwt_header(tok), f"{pid} JWT header without alg")
            need((tok == JWT_IO_SAMPLE) == (not cats), f"{pid} JWT sample/label mismatch")
        if "leak.secret" in cats:
            need(any(s in text for s in (GH_1, AKIA_1, AKIA_2, STRIPE, SLACK, SSH_KEY, DB_URL, JWT_ADMIN, OPENAI,
                                         ANTHROPIC, GOOGLE, WIFI_PW, SCADA_PW)), f"{pid} secret case without secret")
        else:
            need("PRIVATE KEY-----\n" not in text, f"{pid} key body in non-secret")

        # prices
        if c["price"]:
            sku, amount = c["price"]
            prod = products[sku]
            names = [prod["name"]] + prod["aliases"]
            need(any(n.lower() in ntext for n in names), f"{pid} product {sku} not named")
            below = amount < ratio * prod["list_price"]
            if "leak.pricing" in cats:
                need(below and amount <= 0.4 * prod["list_price"], f"{pid} pricing not far enough below list")
            else:
                need(amount >= 0.7 * prod["list_price"], f"{pid} benign price too low {amount}")
        else:
            need("leak.pricing" not in cats, f"{pid} pricing case without price annotation")

        # embargo
        for term, until in embargo:
            if term in ntext and ts < until:
                need("leak.confidential" in cats, f"{pid} embargoed term '{term}' before {until} not confidential")
        # codenames, markers, internal hosts
        for code in codes:
            if code in ntext:
                need("leak.confidential" in cats, f"{pid} internal term '{code}' not confidential")
        if "leak.confidential" in cats:
            squashed = re.sub(r"\s+", "", ntext)
            hit = any(code in ntext or code.replace(" ", "") in squashed for code in codes)
            hit = hit or any(t in ntext and ts < u for t, u in embargo)
            hit = hit or any(w in ntext for w in ("nieuwe smaak", "niet verklappen"))
            if not hit:  # Cyrillic look-alikes are not folded by NFKC; none are used in confidential cases
                errors.append(f"{pid} confidential case without an internal term")

    # registered identifiers
    joined = "\n".join(all_text)
    digits_only = re.sub(r"[^0-9A-Z]", "", joined.upper())
    for kind, v in VALID_IDS:
        ok = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}[kind](v)
        need(ok and v in digits_only, f"valid {kind} {v} missing or failing")
    for kind, v in INVALID_IDS:
        ok = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}[kind](v)
        need(not ok and v in digits_only, f"look-alike {kind} {v} missing or passing")
    need(gh_ok(GH_1) and gh_ok(GH_2) is True, "github token generator")
    need("alg" in jwt_header(JWT_ADMIN), "jwt generator")

    # mix
    n = len(lines)
    benign = sum(1 for o, _, _ in lines if not o["expect"]["categories"])
    need(170 <= n <= 180, f"{n} cases, want 170-180")
    need(55 <= benign <= 65, f"{benign} benign, want about 60")
    nl = sum(1 for o, _, _ in lines if o["post"]["lang"] == "nl")
    need(0.48 <= nl / n <= 0.62, f"Dutch share {nl / n:.2f}")
    texts = [o["post"]["text"] for o, _, _ in lines]
    need(len(set(texts)) == len(texts), "duplicate texts")
    return errors


def main():
    check_profile()
    lines = build()
    errs = check(lines)
    with open(OUT, "w", encoding="utf-8") as f:
        for obj, _, _ in lines:
            f.write(json.dumps(obj, ensure_ascii=False) + "\n")
    # re-read what was written and verify it parses
    with open(OUT, encoding="utf-8") as f:
        back = [json.loads(l) for l in f]
    assert len(back) == len(lines)
    counts = {}
    for o in back:
        for c in o["expect"]["categories"]:
            counts[c] = counts.get(c, 0) + 1
    benign = sum(1 for o in back if not o["expect"]["categories"])
    roles = {}
    for _, c, role in lines:
        if c["cats"]:
            roles[role] = roles.get(role, 0) + 1
    nl = sum(1 for o in back if o["post"]["lang"] == "nl")
    print(f"{len(back)} cases, {benign} benign, nl {nl}, en {len(back) - nl}", file=sys.stderr)
    for k in sorted(counts):
        print(f"  {k:22s} {counts[k]}", file=sys.stderr)
    print(f"  positive authors by role: {roles}", file=sys.stderr)
    if errs:
        for e in errs:
            print("CHECK FAILED:", e, file=sys.stderr)
        sys.exit(1)
    print("all checks passed", file=sys.stderr)


if __name__ == "__main__":
    main()
