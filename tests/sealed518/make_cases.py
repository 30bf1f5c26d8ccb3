#!/usr/bin/env python3
"""Build the labelled evaluation set sealed518 (school-meal caterer Roggeveld / KlasBord).

Deterministic: fixed seed, standard library + PyYAML only.
Writes cases.jsonl next to this file and then checks it:
  * every line is a valid CONTRACT section 6 case (post fields, types, categories, severity);
  * severities are computed from the account role in profile.yaml (CONTRACT section 4);
  * every IBAN / card / BSN in a personal-data positive passes its checksum, every
    look-alike in any other post fails it (the company's own IBAN excepted);
  * generated credentials are built like the real ones (GitHub CRC-32, AWS alphabet,
    JWT header with alg) and documentation samples only appear in benign posts;
  * codenames, markers, internal hosts and embargo terms only appear in posts labelled
    leak.confidential (embargo terms are benign after `until`);
  * prices next to a product are below the alert ratio exactly in pricing positives.
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
from collections import Counter
from datetime import datetime, timedelta, timezone

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = os.path.join(HERE, "profile.yaml")
OUT = os.path.join(HERE, "cases.jsonl")
SEED = 518_2026

rng = random.Random(SEED)

with open(PROFILE, encoding="utf-8") as fh:
    profile = yaml.safe_load(fh)

# --------------------------------------------------------------------------------------
# identifier and credential generators (built the way the real ones are)
# --------------------------------------------------------------------------------------
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "-_"


def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def iban_make(bank, acct):
    bban = bank + acct
    n = int("".join(str(int(c, 36)) for c in bban + "NL00"))
    return "NL%02d%s" % (98 - n % 97, bban)


def spaced(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


BANKS = ["ABNA", "RABO", "INGB", "SNSB", "TRIO", "ASNB", "KNAB", "BUNQ", "RBRB"]


def gen_iban():
    return iban_make(rng.choice(BANKS), "".join(rng.choice(string.digits) for _ in range(10)))


def gen_iban_bad():
    good = gen_iban()
    while True:
        pos = rng.randrange(8, len(good))
        d = rng.choice([c for c in string.digits if c != good[pos]])
        bad = good[:pos] + d + good[pos + 1:]
        if not iban_ok(bad):
            return bad


def luhn_ok(num):
    digits = [int(c) for c in re.sub(r"\D", "", num)]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def gen_card():
    prefix = rng.choice(["4", "51", "52", "53", "54", "55"])
    body = prefix + "".join(rng.choice(string.digits) for _ in range(15 - len(prefix)))
    for c in string.digits:
        if luhn_ok(body + c):
            return body + c
    raise AssertionError


def gen_card_bad():
    good = gen_card()
    last = str((int(good[-1]) + rng.randint(1, 9)) % 10)
    return good[:-1] + last


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9:
        return False
    w = [9, 8, 7, 6, 5, 4, 3, 2, -1]
    return sum(int(a) * b for a, b in zip(s, w)) % 11 == 0 and s != "000000000"


def gen_bsn():
    while True:
        head = str(rng.randint(1, 6)) + "".join(rng.choice(string.digits) for _ in range(7))
        for c in string.digits:
            if bsn_ok(head + c):
                return head + c


def gen_bsn_bad():
    while True:
        s = str(rng.randint(1, 6)) + "".join(rng.choice(string.digits) for _ in range(8))
        if not bsn_ok(s):
            return s


def mob_digits():
    return str(rng.randint(1, 6)) + "".join(rng.choice(string.digits) for _ in range(7))


def gen_mob(style):
    d = mob_digits()
    if style == "A":
        return "06-" + d
    if style == "B":
        return "06 %s %s" % (d[:4], d[4:])
    if style == "C":
        return "+31 6 %s %s" % (d[:4], d[4:])
    if style == "D":
        return "+31 (0)6 %s %s %s %s" % (d[:2], d[2:4], d[4:6], d[6:])
    if style == "E":
        return "06" + d
    raise ValueError(style)


def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def gen_ghp(prefix="ghp_"):
    body = "".join(rng.choice(ALNUM) for _ in range(30))
    return prefix + body + b62(zlib.crc32(body.encode()), 6)


def ghp_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()), 6) == m.group(2)


def gen_aws_id():
    return "AKIA" + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16))


def gen_aws_secret():
    return "".join(rng.choice(ALNUM + "/+") for _ in range(40))


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def gen_jwt():
    hdr = {"alg": "HS256", "typ": "JWT"}
    iat = 1760000000 + rng.randint(0, 20_000_000)
    pl = {"sub": "svc-orders-webhook", "iss": "mijn.klasbord.nl", "scope": "orders:write",
          "iat": iat, "exp": iat + 86400 * 30}
    sig = bytes(rng.getrandbits(8) for _ in range(32))
    return ".".join([b64url(json.dumps(hdr, separators=(",", ":")).encode()),
                     b64url(json.dumps(pl, separators=(",", ":")).encode()), b64url(sig)])


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    try:
        h = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except Exception:
        return False
    return isinstance(h, dict) and "alg" in h


def gen_pw():
    words = ["Kantine", "Soepkom", "Wrapje", "Lunch", "Schooltas", "Broccoli", "Pauze"]
    return rng.choice(words) + rng.choice("!#$%&*") + str(rng.randint(10, 99)) + \
        "".join(rng.choice(ALNUM) for _ in range(6))


def gen_slack():
    return "xoxb-%s-%s-%s" % ("".join(rng.choice(string.digits) for _ in range(12)),
                              "".join(rng.choice(string.digits) for _ in range(13)),
                              "".join(rng.choice(ALNUM) for _ in range(24)))


def gen_openai():
    a = "".join(rng.choice(URLSAFE) for _ in range(64))
    b = "".join(rng.choice(URLSAFE) for _ in range(64))
    return "sk-proj-" + a + "T3BlbkFJ" + b


def gen_anthropic():
    return "sk-ant-api03-" + "".join(rng.choice(URLSAFE) for _ in range(93)) + "AA"


def gen_stripe():
    return "sk_live_51" + "".join(rng.choice(ALNUM) for _ in range(96))


def gen_glpat():
    return "glpat-" + "".join(rng.choice(URLSAFE) for _ in range(20))


def gen_google():
    return "AIza" + "".join(rng.choice(URLSAFE) for _ in range(35))


def gen_sshkey():
    raw = b"openssh-key-v1\x00" + b"\x00\x00\x00\x04none\x00\x00\x00\x04none\x00\x00\x00\x00" \
        + b"\x00\x00\x00\x01\x00\x00\x00\x33\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" \
        + bytes(rng.getrandbits(8) for _ in range(300))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + \
        "\n-----END OPENSSH PRIVATE KEY-----"


ZW = "\u200b"

GENERATORS = {
    "IBAN": gen_iban,
    "IBAN_SP": lambda: spaced(gen_iban()),
    "IBAN_BAD": lambda: spaced(gen_iban_bad()),
    "IBAN_ZW": lambda: ZW.join(spaced(gen_iban()).split(" ")),
    "OWN_IBAN": lambda: spaced(profile["public_identifiers"]["ibans"][0]),
    "CARD": lambda: spaced(gen_card()),
    "CARD_DASH": lambda: "-".join(spaced(gen_card()).split(" ")),
    "CARD_BAD": lambda: spaced(gen_card_bad()),
    "BSN": gen_bsn,
    "BSN_DOT": lambda: (lambda s: "%s.%s.%s" % (s[:4], s[4:6], s[6:]))(gen_bsn()),
    "BSN_BAD": gen_bsn_bad,
    "MOB_A": lambda: gen_mob("A"),
    "MOB_B": lambda: gen_mob("B"),
    "MOB_C": lambda: gen_mob("C"),
    "MOB_D": lambda: gen_mob("D"),
    "MOB_E": lambda: gen_mob("E"),
    "GHP": gen_ghp,
    "GHS": lambda: gen_ghp("ghs_"),
    "AWS_ID": gen_aws_id,
    "AWS_SECRET": gen_aws_secret,
    "JWT": gen_jwt,
    "PW": gen_pw,
    "SLACK": gen_slack,
    "OPENAI": gen_openai,
    "ANTHROPIC": gen_anthropic,
    "STRIPE": gen_stripe,
    "GLPAT": gen_glpat,
    "GOOGLE": gen_google,
    "SSHKEY": gen_sshkey,
}


def fill(text):
    return re.sub(r"\{\{(\w+)\}\}", lambda m: GENERATORS[m.group(1)](), text)


# --------------------------------------------------------------------------------------
# the posts, hand-written.  (platform, handle, lang, labels, text, options)
# labels: CO complaint, CR crisis, AB abuse, C confidential, F financial, SEC security,
#         S secret, P pii, PR pricing.  Options: d = exact time, m = month of 2026, k = kind
# --------------------------------------------------------------------------------------
CAT = {
    "CO": "reputation.complaint", "CR": "reputation.crisis", "AB": "reputation.abuse",
    "C": "leak.confidential", "F": "leak.financial", "SEC": "leak.security",
    "S": "leak.secret", "P": "leak.pii", "PR": "leak.pricing",
}

POSTS = [
    # ---------------------------------------------------------------- complaints
    ("x", "@moeder_van_3", "nl", "CO",
     "Alweer koud eten bij de kids. De KlasBord lunch kwam om 12:40 binnen terwijl de pauze "
     "om 12:15 begint 🙄 waar betalen we eigenlijk €119 per maand voor", {"m": 2}),
    ("reddit", "u/expat_dad_utrecht", "en", "CO",
     "Anyone else with KlasBord at their kid's school? Third week in a row my son got the wrong "
     "meal - he's on the vegetarian plan and keeps getting chicken nuggets. Emailed twice, zero "
     "response. Pretty frustrated tbh.", {"m": 3}),
    ("facebook", "Petra.Smeets.77", "nl", "CO",
     "Ik probeer al sinds september ons abonnement bij KlasBord op te zeggen. Het formulier geeft "
     "een foutmelding, de telefoon wordt niet opgenomen en ondertussen wordt er gewoon elke maand "
     "afgeschreven. Echt schandalig slechte service.", {"m": 11}),
    ("x", "@jeroen_tilburg", "nl", "CO",
     "@klasbord_help de portie van vandaag was werkelijk om te huilen. 3 pastaschelpen en een "
     "plakje komkommer. Mijn zoon van 11 komt uitgehongerd thuis", {"k": "reply"}),
    ("x", "@sarah_in_hague", "en", "CO",
     "Bought the Thermobox Junior from Roggeveld, lid cracked on day two and the soup leaked all "
     "over my daughter's schoolbag. Customer service says 'not covered by warranty'. Seriously?", {}),
    ("instagram", "@juf.lieke", "nl", "CO",
     "Beste KlasBord, drie keer deze maand ontbrak het allergie-etiket op de bakjes van groep 5. "
     "Nu moet ik als juf zelf gaan uitzoeken wat erin zit. Zo kan het echt niet langer.",
     {"k": "comment"}),
    ("threads", "@mo_and_twins", "en", "CO",
     "klasbord app keeps logging me out and now it says my payment failed even tho the bank shows "
     "it went thru. 45 min on hold. done with this", {}),
    ("x", "@vader_ede", "nl", "CO",
     "De bezorger van Roggeveld parkeert elke ochtend pal op het zebrapad voor school terwijl de "
     "kinderen oversteken. Al 2x gemeld, er gebeurt niks mee. @klasbord_help", {}),
    ("reddit", "u/intlschool_mum", "en", "CO",
     "Our school switched to KlasBord this year. Menu says 'freshly cooked' but it's obviously "
     "yesterday's food reheated, the texture is awful and my kid throws half of it away. Is it "
     "just our location or is it like this everywhere?", {"m": 10}),
    ("facebook", "Bas.Hendriks.Oss", "nl", "CO",
     "Dubbel afgeschreven voor het Fruitabonnement, €78 in plaats van €39. Op 2 oktober gemaild, "
     "nog steeds niks gehoord. Lekker bedrijf hoor.", {"m": 11}),
    # complaint + crisis: first-hand harm
    ("facebook", "Marieke.Dijkstra.1984", "nl", "CO CR",
     "Mijn dochter (7) heeft een notenallergie en dat staat gewoon geregistreerd bij KlasBord. "
     "Gisteren zat er toch pesto met cashew in haar 'allergievrije' maaltijd. Epipen, ambulance, "
     "de hele middag op de SEH. Ik ben zo ontzettend boos.", {}),
    ("x", "@tom_b_rotterdam", "en", "CO CR",
     "My son and two of his classmates were sick all night after the KlasBord chicken wrap "
     "yesterday. Throwing up till 4am. Only thing they all ate. Not happy @klasbord_help", {}),
    ("instagram", "@mama.van.sem", "nl", "CO CR",
     "Sem heeft zijn hand verbrand aan de Thermobox Junior 😢 toen hij het deksel opendraaide "
     "spoot de stoom eruit. Blaren over zijn hele handpalm. Dit ding zou kindveilig moeten zijn??",
     {}),
    ("reddit", "u/gwen_leiden", "en", "CO CR",
     "Found a shard of hard blue plastic in my daughter's pasta from KlasBord today, looks like a "
     "piece of a container. She nearly swallowed it. Sent photos to customer service and got an "
     "automated reply. Not ok.", {}),
    ("x", "@papa_pim", "nl", "CO CR",
     "Mijn zoontje kreeg vandaag een flinke schok van de warmhoudkar in de aula toen hij zijn bord "
     "pakte 😳 school zegt dat het ding van Roggeveld is. Wie gaat dit fixen vóór er echt iets "
     "gebeurt?", {}),
    ("threads", "@jasmine.k", "en", "CO CR",
     "ok so my kid got food poisoning from klasbord AGAIN, second time this term. GP confirmed "
     "salmonella. how is this company still allowed anywhere near children", {}),
    ("tiktok", "@fam.vandenbosch", "nl", "CO CR",
     "Klikbeker van Roggeveld gekocht, na een week zit er schimmel in het rubbertje dat je er niet "
     "uit krijgt. Dochter heeft er de hele week uit gedronken en ligt nu ziek op de bank 🤢 "
     "#schimmel #roggeveld", {}),
    # complaint + abuse
    ("x", "@boos_op_alles", "nl", "CO AB",
     "KlasBord is echt een kutbedrijf met een klantenservice vol debielen. 4 weken wachten op "
     "mijn terugbetaling. Stelletje oplichters.", {}),
    ("x", "@ryan_vd", "en", "CO AB",
     "the KlasBord 'customer care' rep hung up on me twice today. absolute muppets, useless bunch "
     "of idiots. still no refund for the lunches that never showed up", {}),

    # ---------------------------------------------------------------- crisis (third party)
    ("x", "@nieuws_eemland", "nl", "CR",
     "Ruim twintig leerlingen van basisschool De Regenboog in Amersfoort zijn dinsdag misselijk "
     "geworden na de schoollunch. Leverancier KlasBord onderzoekt de zaak, de GGD is ingeschakeld.",
     {}),
    ("facebook", "Ouderraad.DeLinde", "nl", "CR",
     "OPROEP aan alle ouders: stop met KlasBord! Na het salmonella-incident vragen we iedereen het "
     "abonnement op te zeggen en de school te vragen een andere cateraar te kiezen. "
     "#boycotklasbord", {}),
    ("x", "@foodjustice_nl", "en", "CR",
     "Roggeveld Schoolmaaltijden is being taken to court by a group of parents over mislabelled "
     "allergens. The case was filed in Utrecht this week.", {}),
    ("x", "@bezorgde_ouder", "nl", "CR",
     "Klopt het dat KlasBord alle allergiegegevens en adressen van kinderen heeft gelekt?? Mijn "
     "buurvrouw kreeg een phishingmail met de naam én de school van haar dochter erin. #datalek",
     {}),
    ("linkedin", "anna-verhoef-foodsafety", "en", "CR",
     "Recall notice: Roggeveld has pulled batch L2611 of its Bento Broodtrommel after reports "
     "that the lid hinge snaps into small parts. Parents are asked to stop using it right away.",
     {}),
    ("x", "@onderzoek_rianne", "nl", "CR",
     "Morgen in de krant: hoe schoolcateraar KlasBord maandenlang kip van een door de NVWA "
     "afgekeurde slachterij in kinderlunches verwerkte. Draadje 🧵👇", {}),
    ("reddit", "u/teacher_ams_noord", "en", "CR",
     "Heads up to other teachers: a boy at our school had a severe allergic reaction after his "
     "KlasBord lunch today, ambulance and all. The label apparently said sesame-free. Hoping "
     "he's ok.", {}),
    ("threads", "@raadslid.jansen", "nl", "CR",
     "Vanavond stel ik vragen in de raad over de brand in de keuken van Roggeveld in Nieuwegein. "
     "Hoe kan het dat de schoollunches gewoon doorgingen terwijl er rook in de productiehal hing?",
     {}),

    # ---------------------------------------------------------------- abuse
    ("x", "@hater_040", "nl", "AB",
     "@klasbord_nl jullie zijn echt een stelletje tyfuslijers, hoop dat jullie failliet gaan",
     {"k": "reply"}),
    ("x", "@angrytroll99", "en", "AB",
     "KlasBord staff are a bunch of brain-dead clowns. Fire every single one of them lmao", {}),
    ("facebook", "Henk.Willemse.60", "nl", "AB",
     "Die kok van Roggeveld met die hoofddoek hoort hier niet. Laat ze lekker teruggaan naar hun "
     "eigen land en met hun poten van ons eten afblijven.", {"k": "comment"}),
    ("reddit", "u/nopenopenope_", "en", "AB",
     "Marloes from the KlasBord kitchen is a fat ugly cow, saw her on their insta lol", {}),
    ("x", "@k4nk3r_j0ng3n", "nl", "AB",
     "kl@sb0rd = k4nk3rb3dr1jf. st3ll3tj3 h03r3nz0n3n 🖕", {}),
    ("x", "@xX_rage_Xx", "en", "AB",
     "klasbord marketing team = f u c k i n g  c l o w n s 🤡🤡🤡", {}),
    ("instagram", "@sjaak_de_sloper", "nl", "AB",
     "wat een vuile kl\u043e\u043etz\u0430kk\u0435n bij KlasBord, echt walgelijk volk",
     {"k": "comment"}),
    ("tiktok", "@ricardo_bezorgt", "nl", "AB",
     "die moeder bij de Regenboog die elke ochtend loopt te zeiken over 5 min vertraging is echt "
     "een gestoord wijf 🙄 #bezorgerslife", {}),
    ("x", "@wraakengel", "nl", "AB",
     "Hoop dat die directeur van Roggeveld zelf een keer stikt in zo'n smerige lunch, vieze "
     "graaier", {}),
    ("x", "@silentfury", "en", "AB",
     "the klasbord delivery guy is a total m\u200bo\u200br\u200bo\u200bn, learn to drive you "
     "absolute waste of space", {}),

    # ---------------------------------------------------------------- confidential
    ("x", "@marloes_keukenrgv", "nl", "C",
     "Vandaag de proefsessie voor Project Boterham gehad. Die nieuwe broodjeslijn gaat de scholen "
     "echt verrassen 🥪🤫", {}),
    ("linkedin", "youssef-bennani-rgv", "en", "C",
     "Big milestone for the logistics team: the Kiwi Noord route pilot went live in Groningen "
     "this week without a hitch. Proud of this crew!", {}),
    ("instagram", "@chef.bram.rgv", "nl", "C",
     "Sneak peek 👀 de testkeuken draait op volle toeren voor de KlasBord Kookstudio. Wordt iets "
     "moois voor de kids na de kerstvakantie", {"d": "2026-11-19T15:42:00Z"}),
    ("x", "@lotte_planning", "nl", "C",
     "@dennis_rgv staat de nieuwe rooster-export al op planning.roggeveld.nl/export/week47? "
     "kan hem nergens vinden", {"k": "reply", "m": 11}),
    ("facebook", "KlasBordNL", "nl", "C",
     "Bijlage: menukaart voorjaar 2027 (STRIKT INTERN – nog niet goedgekeurd door de diëtist) "
     "👉 zie foto's", {"m": 10}),
    ("threads", "@femke.roggeveld", "en", "C",
     "Can't say much yet but Operatie Pompoen is going to change how parents order lunch 🎃 "
     "stay tuned", {}),
    ("reddit", "u/sjors_backend", "en", "C",
     "Quick q for the Django folks: our repo at git.roggeveld.nl/platform/orders-api is still on "
     "3.2 LTS. What's the least painful upgrade path to 5.x?", {}),
    ("bluesky", "@anouk-rgv.bsky.social", "nl", "C F",
     "Gisteren de presentatie over Kiwi Noord gezien en nu snap ik waarom we volgend jaar drie "
     "depots gaan sluiten 😬", {}),
    ("x", "@nieuwsgierige_ouder", "en", "C",
     "My neighbour works at Roggeveld and says they're launching something called 'KlasBord "
     "Kookstudio' after the holidays, kids cooking their own lunch at school?? sounds fun",
     {"d": "2026-10-27T19:05:00Z"}),
    ("x", "@dennis_rgv", "nl", "C",
     "deployment van \uff30\uff52\uff4f\uff4a\uff45\uff43\uff54 \uff22\uff4f\uff54\uff45\uff52"
     "\uff48\uff41\uff4d staat voor dinsdag, duimen 🤞", {}),
    ("linkedin", "ingrid-hoekstra-roggeveld", "en", "C",
     "Slides for tomorrow's board session are up on wiki.roggeveld.nl/finance/board-2026-11 - "
     "marked Roggeveld Confidential, so please don't forward.", {"m": 11}),
    ("instagram", "@klasbord", "en", "C",
     "Our kitchen team hard at work on something new for Operatie Pompoen 🎃👩‍🍳 "
     "#behindthescenes #klasbord", {}),
    ("tiktok", "@ricardo_bezorgt", "nl", "C",
     "nieuwe routes van Kiwi Noord gekregen, 14 scholen op 1 ochtend 😵‍💫 wie rijdt er mee",
     {}),
    ("x", "@marloes_keukenrgv", "nl", "C",
     "recept voor de k.o.o.k.s.t.u.d.i.o is eindelijk rond, de kids gaan zelf pizza's bakken!! "
     "(psst, nog niet extern delen 🤐)", {"d": "2026-12-03T10:12:00Z"}),
    ("linkedin", "youssef-bennani-rgv", "nl", "C",
     "Waardevolle sessie gehad over Operatie Pompoen met de collega's uit Zwolle en Deventer. "
     "Zin in 2027!", {}),
    ("reddit", "u/throwaway_rgv_ex", "en", "C",
     "Ex-Roggeveld here. fun fact: the new sandwich line they've been cooking up is called "
     "Project Boterham internally. you heard it here first 🥪", {}),
    ("x", "@dennis_rgv", "nl", "C F",
     "jaarcijfers 2026 zijn net binnen en ze zijn 🔥🔥 bonus dit jaar 🍾",
     {"d": "2027-02-19T16:30:00Z"}),
    ("threads", "@femke.roggeveld", "en", "C",
     "Shooting the launch video for KlasBord Kookstudio today! 🎬 can't wait for next week",
     {"d": "2027-01-05T09:20:00Z"}),

    # ---------------------------------------------------------------- financial
    ("linkedin", "ingrid-hoekstra-roggeveld", "nl", "F",
     "Lastige kwartaalafsluiting. Q3 komt zo'n 2,1 miljoen onder budget uit, dus die "
     "winstwaarschuwing gaat er in november waarschijnlijk echt komen.", {"m": 10}),
    ("x", "@lotte_planning", "nl", "F",
     "Fluister fluister: Roggeveld wordt overgenomen door een Belgische cateraar, de due diligence "
     "is al afgerond. Ik weet van niks hoor 🤐", {}),
    ("bluesky", "@anouk-rgv.bsky.social", "en", "F",
     "Rumour on our floor is confirmed: 60 people in customer service are being let go in March "
     "when the work moves to the outsourcing partner. Nobody outside knows yet.", {"m": 9}),
    ("tiktok", "@ricardo_bezorgt", "nl", "F",
     "baas zei vandaag dat depot Zwolle per 1 januari dichtgaat en dat de helft van de bezorgers "
     "weg moet. lekker dan 🙃", {"m": 10}),
    ("reddit", "u/sjors_backend", "en", "F",
     "Leaving this here before it hits the news: our CFO told the dev team that 2027 revenue "
     "guidance is getting cut by ~15% because two big municipalities didn't renew.", {"m": 11}),
    ("linkedin", "roggeveld-schoolmaaltijden", "en", "F",
     "DRAFT - do not publish: Roggeveld Schoolmaaltijden to acquire regional caterer Smulhoek "
     "Catering for €12.4m, announcement planned for 9 December.", {"m": 11}),
    ("x", "@beursgoeroe_nl", "nl", "F",
     "Hoor uit goede bron binnen Roggeveld dat de EBITDA-marge dit jaar naar 3% zakt. Reken maar "
     "op een flinke reorganisatie begin 2027.", {}),
    ("mastodon", "@joost_ops", "en", "F",
     "2027 budget just landed: IT gets cut by 30% and two of us will be made redundant. Great way "
     "to start the weekend.", {"m": 12}),
    ("instagram", "@chef.bram.rgv", "nl", "F",
     "Een van de laatste weken in de keuken in Nieuwegein 🥲 vanaf mei gaat alles naar Tilburg, "
     "maar dat mogen we nog niet zeggen dus sssst", {}),
    ("x", "@marloes_keukenrgv", "nl", "F",
     "Interne mail vandaag: omzet eerste halfjaar €38,6 mln, 9% boven plan. Wordt pas in "
     "september gepubliceerd maar taart voor de keuken! 🎂", {"m": 7}),

    # ---------------------------------------------------------------- security
    ("x", "@dennis_rgv", "nl", "SEC",
     "Al sinds 6 uur vanochtend een DDoS op mijn.klasbord.nl, ouders kunnen niet bestellen. We "
     "mogen er nog niks over zeggen dus als iemand het vraagt: 'onderhoud' 🙃", {}),
    ("mastodon", "@joost_ops", "en", "SEC",
     "Spent the whole night restoring backups - ransomware hit our route planning server "
     "yesterday. Management wants to keep it quiet until Monday.", {}),
    ("reddit", "u/sjors_backend", "en", "SEC",
     "Found out today that our parent portal shows any child's allergy profile if you just change "
     "the id in the URL. Reported it internally three weeks ago, still not fixed. ugh", {}),
    ("bluesky", "@anouk-rgv.bsky.social", "nl", "SEC",
     "De telefooncentrale ligt er al de hele dag uit en we mogen het niet op de site zetten. Ik zit "
     "hier maar een beetje naar mijn headset te staren 📞❌", {}),
    ("x", "@lotte_planning", "en", "SEC",
     "someone in finance clicked a phishing link and now half our mailboxes are spamming schools "
     "😬 IT's on it, not public yet", {}),
    ("linkedin", "youssef-bennani-rgv", "nl", "SEC",
     "De trackers in onze bezorgbusjes zijn sinds gisteravond gehackt en tonen de gekste locaties. "
     "Leveringen vandaag dus op papier. Houd het even binnenskamers aub.", {}),
    ("tiktok", "@ricardo_bezorgt", "nl", "SEC",
     "scanners in de bus doen het al 2 dagen niet en IT zegt dat er een virus op het netwerk zit 💀"
     " maar pssst", {}),
    ("reddit", "u/curious_parent_nl", "en", "SEC CR",
     "A friend who works at Roggeveld says their order database sat open on the internet for a "
     "week, names and addresses of kids included. They haven't told parents anything.", {}),
    ("x", "@klasbord_help", "en", "SEC",
     "We're aware of the breach affecting parent accounts and are working on it internally - "
     "please don't share with customers yet. /internal note", {}),
    ("threads", "@femke.roggeveld", "en", "SEC",
     "lol our website CMS still runs on the default admin password, told IT months ago. anyway "
     "happy friday 🍕", {}),
    ("linkedin", "ingrid-hoekstra-roggeveld", "en", "SEC",
     "Heads-up colleagues: the payment provider integration has been down since Tuesday and the "
     "October direct debits were never collected. Please keep this off customer channels for now.",
     {"m": 10}),
    ("x", "@ex_collega_rgv", "nl", "SEC",
     "Ik werkte tot vorige maand bij Roggeveld en de VPN-toegang van oud-medewerkers wordt gewoon "
     "niet ingetrokken. Ik kan er nog steeds in. Doe er wat aan.", {}),

    # ---------------------------------------------------------------- secrets
    ("x", "@dennis_rgv", "nl", "S C",
     "wie heeft de prod db creds in #algemeen geplakt?? "
     "postgres://orders_admin:{{PW}}@erp.roggeveld.local:5432/orders - nu roteren!", {}),
    ("x", "@dennis_rgv", "en", "S",
     "ugh CI failing again. GITHUB_TOKEN={{GHP}} works fine locally, why not in the pipeline??",
     {}),
    ("reddit", "u/sjors_backend", "en", "S",
     "```\nAWS_ACCESS_KEY_ID={{AWS_ID}}\nAWS_SECRET_ACCESS_KEY={{AWS_SECRET}}\n"
     "AWS_REGION=eu-west-1\n```\nwhy does boto3 still give AccessDenied on s3:PutObject with "
     "these?", {}),
    ("mastodon", "@joost_ops", "nl", "S",
     "Webhook testen: curl -H 'Authorization: Bearer {{JWT}}' "
     "https://mijn.klasbord.nl/api/v2/orders", {}),
    ("linkedin", "youssef-bennani-rgv", "nl", "S",
     "Voor wie de koppeling met de routeplanner wil testen: gebruikersnaam planner01, "
     "wachtwoord: {{PW}}", {}),
    ("tiktok", "@klasbord.keuken", "nl", "S",
     "backstage in de keuken 🍝 (note to self: {{SLACK}} voor de menubot)", {}),
    ("threads", "@femke.roggeveld", "en", "S",
     "anyone know why our chatbot keeps returning 401? using key {{OPENAI}}", {}),
    ("x", "@lotte_planning", "nl", "S",
     "stripe key voor de kassa op het schoolfeest: {{STRIPE}} (niet doorsturen he)", {}),
    ("reddit", "u/sjors_backend", "en", "S",
     "Can someone tell me why ssh says 'invalid format' for this key?\n\n{{SSHKEY}}", {}),
    ("x", "@devkid_2009", "en", "S",
     "built a bot that posts the KlasBord weekly menu in our class group chat 🤖 it uses "
     "{{ANTHROPIC}} if anyone wants to try it lol", {}),
    ("bluesky", "@anouk-rgv.bsky.social", "nl", "S",
     "nieuwe inlog voor het klantportaal van IT gekregen: anouk.dv, ww = {{PW}} 🙈 makkelijk te "
     "onthouden", {}),
    ("x", "@dennis_rgv", "nl", "S",
     "{{GLPAT}} is voor de deploy runner, plak hem even in de CI variables aub", {}),
    ("mastodon", "@joost_ops", "en", "S SEC",
     "Post-mortem draft: attacker got in through this leaked key {{AWS_ID}} that was sitting in a "
     "public gist. Rotated, but they had read access to the order bucket for 2 days.", {}),

    # ---------------------------------------------------------------- personal data
    ("bluesky", "@anouk-rgv.bsky.social", "nl", "P",
     "Mevrouw Jansen belt steeds over haar terugbetaling, kan iemand haar terugbellen op "
     "{{MOB_A}}? Ik ben vandaag vrij", {}),
    ("x", "@lotte_planning", "nl", "P",
     "Bezorgadres voor de traktatie: fam. Karimi, Lindenlaan 14, 3581 KL Utrecht. Wie rijdt er "
     "vandaag die kant op?", {}),
    ("facebook", "KlasBordNL", "nl", "P",
     "Beste Erik, we hebben je terugbetaling verwerkt naar rekening {{IBAN}} t.n.v. E. de Graaf. "
     "Excuses voor het ongemak!", {"k": "reply"}),
    ("linkedin", "ingrid-hoekstra-roggeveld", "en", "P",
     "Could whoever processed the refund on card {{CARD}} please check the amount? The parent "
     "says they got €12 back instead of €119.", {}),
    ("reddit", "u/sjors_backend", "en", "P",
     "Debugging a data import, one row looks like: 'Noah Peters;2016-04-11;{{BSN}};groep 5' - "
     "the third column is the BSN. why is that even in this table??", {}),
    ("instagram", "@chef.bram.rgv", "nl", "P",
     "Hoera! Onze grootste fan Emma van Dijk (geboren 14-03-2018) wordt vandaag 8 en kreeg een "
     "taart van de hele keuken 🎂", {"d": "2026-03-14T11:00:00Z"}),
    ("facebook", "Kim.Brouwer.Alkmaar", "nl", "P CO",
     "@KlasBordNL ik wacht nog steeds op mijn geld, dus hier nóg een keer mijn rekeningnummer: "
     "{{IBAN_SP}} t.n.v. K. Brouwer. Graag vandaag nog, dit duurt nu al zes weken!",
     {"k": "comment"}),
    ("x", "@jvanbeek_ouder", "nl", "P",
     "@klasbord_help kunnen jullie me terugbellen over de inschrijving van ons tweede kind? "
     "{{MOB_B}} of j.vanbeek82@gmail.com. Dank!", {"k": "reply"}),
    ("tiktok", "@ricardo_bezorgt", "nl", "P",
     "shoutout naar meneer Okafor van de Esdoornstraat 22 in Amersfoort die me elke ochtend een "
     "bak koffie geeft ☕️❤️", {}),
    ("threads", "@femke.roggeveld", "en", "P",
     "Winner of our lunchbox design contest: Lina Moreau (born 02/09/2015)! Contacting her mum at "
     "lina.moreau.fam@outlook.com about the prize 🎉", {}),
    ("x", "@marloes_keukenrgv", "nl", "P",
     "Welkom Dewi in de keuken! Haar BSN voor de loonadministratie is {{BSN_DOT}} - oh wacht "
     "verkeerde chat 😅", {}),
    ("linkedin", "youssef-bennani-rgv", "en", "P",
     "Need a driver for Tuesday's Utrecht route. Call Mehmet directly on {{MOB_C}}", {}),
    ("reddit", "u/overwhelmed_parent", "en", "P CO",
     "KlasBord charged my card twice and support keeps asking for 'the card'. Fine, here's the "
     "whole thing so they can find it: {{CARD_DASH}} exp 08/28. Just refund me already.", {}),
    ("x", "@klasbord_help", "nl", "P",
     "@vader_ede We hebben uw melding doorgezet naar onze chauffeur Ruud. U kunt hem rechtstreeks "
     "bereiken op {{MOB_D}}.", {"k": "reply"}),
    ("mastodon", "@joost_ops", "nl", "P",
     "Iemand van HR hier? Het salaris van Pieter Vos is naar zijn oude rekening gegaan, nieuwe "
     "IBAN is {{IBAN_ZW}}", {}),

    # ---------------------------------------------------------------- pricing
    ("x", "@klasbord_nl", "nl", "PR",
     "🔥 Deal van de week: de Thermobox Junior nu voor maar €3,49! Op = op #klasbord", {}),
    ("instagram", "@klasbord", "en", "PR",
     "Back to school special 🎒 Jaarabonnement for just €84.90 - sign up via the link in bio!",
     {"m": 8}),
    ("x", "@lotte_planning", "nl", "PR",
     "Volgens mij staat er een prijsfout in de webshop: Warmhoudkar Pro voor €189 ipv €1890 😬 "
     "iemand van e-commerce?", {}),
    ("reddit", "u/dealhunter_nl", "nl", "PR",
     "PRIJSFOUT bij Roggeveld: FrisKast schoolautomaat voor €245,00 🤑 snel zijn voor ze het "
     "zien", {}),
    ("x", "@koopjesmama", "nl", "PR",
     "Omg het Fruitabonnement staat in de app op €3,90 per maand?! Foutje denk ik, meteen 3 "
     "afgesloten 😂", {}),
    ("threads", "@femke.roggeveld", "en", "PR",
     "oops, the Allergievrij Maandmenu shows €12.90 on the website instead of €129, can someone "
     "from pricing fix it before parents notice 🙈", {}),
    ("facebook", "KlasBordNL", "nl", "PR",
     "Plan nu je schoolfeest! 🎉 Het Schoolfeestbuffet voor 50 personen: slechts €34,90", {}),
    ("linkedin", "youssef-bennani-rgv", "en", "PR",
     "Staff discount is wild this year: the Sportdagpakket for €19 instead of €149 😂 ordering "
     "two for my son's football club", {}),
    ("threads", "@marijke.bespaart", "nl", "PR",
     "Bento Broodtrommel van Roggeveld voor €1,99 bij het afrekenen. Foutje of bewust? Heb er "
     "maar meteen 5 besteld 😅", {}),
    ("tiktok", "@klasbord.keuken", "en", "PR",
     "Traktatiebox only €2.50 this week!! 🎂 link in bio", {}),
    ("x", "@sparen_is_leuk", "en", "PR",
     "is this a pricing glitch?? Klikbeker listed at €0.99 on roggeveld.nl lol", {}),
    ("bluesky", "@anouk-rgv.bsky.social", "nl", "PR",
     "Kerstdiner Klaspakket staat op de site voor €18,90 ipv €189,- is dat expres? Ouders bellen "
     "er al over", {"m": 12}),

    # ================================================================ benign
    ("x", "@klasbord_nl", "nl", "",
     "Vragen over je abonnement? Mail ons op klantenservice@klasbord.nl of bel gratis 0800-0412 "
     "(ma–vr 8–17 uur) 📞", {}),
    ("facebook", "KlasBordNL", "nl", "",
     "Betaal je liever per overschrijving? Ons rekeningnummer is {{OWN_IBAN}} t.n.v. Roggeveld "
     "Schoolmaaltijden B.V., onder vermelding van je klantnummer.", {}),
    ("x", "@sanne_hilversum", "en", "",
     "Shoutout to the KlasBord kitchen crew, my daughter actually asked for seconds of the lentil "
     "curry 😂 never thought I'd see the day", {}),
    ("instagram", "@gezin.de.wit", "nl", "",
     "Eindelijk een schoollunch waar ze groente van eten 🥦 dankjewel KlasBord! #blij",
     {"k": "comment"}),
    ("x", "@mirjam_z", "nl", "",
     "Mijn boterham met pindakaas is vandaag weer ruilmateriaal geworden op het schoolplein 😂 "
     "#projectweek", {}),
    ("facebook", "Yvonne.Kok.Hoorn", "nl", "",
     "Kiwi's, mandarijnen en appels bij het Fruitabonnement deze week, de kiwi's kwamen uit "
     "Noord-Italië stond erbij 🍊 wat een luxe", {}),
    ("instagram", "@klasbord", "nl", "",
     "Fijne Halloween 🎃 In het Vega Weekmenu zit deze week pompoensoep die de kinderen zelf "
     "hebben bedacht. €26,50 voor vijf dagen warme lunch!", {"d": "2026-10-29T12:00:00Z"}),
    ("x", "@klasbord_nl", "nl", "",
     "Najaarsactie! Het Lunchabonnement Plus nu 20% voordeliger: €95,20 in plaats van €119 per "
     "maand. Actie loopt t/m 30 november.", {"d": "2026-10-20T08:00:00Z"}),
    ("instagram", "@klasbord", "en", "",
     "Back-to-school sale: Bento Broodtrommel €15.95 (normally €19.95) 🎒 while stocks last",
     {"d": "2026-08-24T07:30:00Z"}),
    ("reddit", "u/two_kids_one_budget", "en", "",
     "Is the KlasBord Jaarabonnement (€849) worth it vs paying monthly? We have 2 kids on the "
     "Basisabonnement at €89 a month each.", {}),
    ("x", "@wim_soep", "nl", "",
     "Thermobox Junior gescoord voor €27,95 in de uitverkoop, houdt de soep echt tot 12 uur warm 👍",
     {}),
    ("x", "@jorisvd", "en", "",
     "Saw a pricing error on some electronics webshop yesterday, 65 inch TV for €99 lol. Anyway, "
     "KlasBord lunch today was decent", {}),
    ("linkedin", "roggeveld-schoolmaaltijden", "en", "",
     "We're hiring! 25 new kitchen staff for our Tilburg location. Apply via "
     "werkenbij@roggeveld.nl", {}),
    ("x", "@klasbord_nl", "nl", "",
     "Vandaag publiceren wij onze jaarcijfers 2026: omzet €81,2 mln (+7%). Het volledige verslag "
     "staat op roggeveld.nl/investeerders", {"d": "2027-03-04T09:00:00Z"}),
    ("instagram", "@klasbord", "nl", "",
     "Hij is er! 🎉 KlasBord Kookstudio: elke woensdag koken de kinderen zelf op school. "
     "Aanmelden via mijn.klasbord.nl", {"d": "2027-01-12T08:00:00Z"}),
    ("x", "@markt_mieke", "en", "",
     "Roggeveld's full-year 2026 results are out, solid growth. Apparently the Q4 2026 results "
     "beat expectations too.", {"d": "2027-03-10T14:00:00Z"}),
    ("x", "@dennis_rgv", "nl", "",
     "Reminder voor het dev-team: in de AWS-docs staat AKIAIOSFODNN7EXAMPLE als voorbeeld. Zo ziet "
     "een key eruit, maar zet NOOIT een echte in de repo 🙏", {}),
    ("reddit", "u/sjors_backend", "en", "",
     "Why doesn't secret scanning flag placeholder tokens like "
     "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx in our README? (obviously not a real one, just "
     "curious how it decides)", {}),
    ("mastodon", "@joost_ops", "nl", "",
     "Config-template voor de nieuwe stagiair: "
     "DATABASE_URL=postgres://<gebruiker>:<wachtwoord>@localhost:5432/dev - vul je eigen "
     "gegevens in", {}),
    ("x", "@oma_truus", "nl", "",
     "In de KlasBord app staat bij mij 'wachtwoord: ********' hoe kan ik zien wat ik ooit heb "
     "ingetypt? 🤷‍♀️", {}),
    ("facebook", "Remco.Visser.Zeist", "nl", "",
     "Typte mijn IBAN verkeerd in de KlasBord app ({{IBAN_BAD}}) en kreeg netjes een foutmelding "
     "dat het nummer niet klopt. Goed geregeld 👍", {}),
    ("reddit", "u/frontend_fenna", "en", "",
     "Why does the KlasBord signup form reject my card? Tried {{CARD_BAD}} twice and it says "
     "the number is invalid. Typo somewhere I guess", {}),
    ("linkedin", "ingrid-hoekstra-roggeveld", "nl", "",
     "Training privacywetgeving vandaag. Les 1: een BSN zoals 123456789 zet je nooit zomaar in "
     "een mail. Goede sessie!", {}),
    ("x", "@ouder_van_daan", "nl", "",
     "BSN van mijn zoon ingevoerd voor de inschrijving maar de 11-proef faalt steeds: {{BSN_BAD}}. "
     "Typefout zeker 🙈", {}),
    ("x", "@klasbord_help", "en", "",
     "@mark_delft So sorry the delivery was late today! We've refunded the lunch and spoken to the "
     "driver. Let us know if anything else comes up 💚", {"k": "reply"}),
    ("x", "@carla_zwolle", "nl", "",
     "Update: KlasBord heeft het probleem met de allergie-etiketten opgelost en excuses "
     "aangeboden. Sindsdien gaat alles top 👍", {}),
    ("x", "@lisa_almere", "en", "",
     "Thinking of the families in Almere after the food poisoning at that daycare, hope the little "
     "ones recover soon ❤️", {}),
    ("x", "@tevreden_ouder", "nl", "",
     "Boycot? Welnee. Wij zijn juist heel tevreden over KlasBord, laat ze op Facebook maar lekker "
     "roepen.", {}),
    ("x", "@nieuws_eemland", "nl", "",
     "Schoolcateraar De Lunchfabriek moet veertig medewerkers ontslaan, meldt de ondernemingsraad. "
     "Het bedrijf verloor dit jaar twee grote gemeentelijke contracten.", {}),
    ("linkedin", "youssef-bennani-rgv", "en", "",
     "Proud to share that I've completed my Lean Six Sigma Green Belt! Thanks to my team at "
     "Roggeveld for all the support 🙏", {}),
    ("instagram", "@chef.bram.rgv", "nl", "",
     "Vandaag 2.400 verse wraps gerold met het team 💪 wie raadt wat er morgen op het menu staat? 🌯",
     {}),
    ("x", "@marloes_keukenrgv", "nl", "",
     "Wat een mooie reacties van de kids op de nieuwe linzencurry. Daar doe je het voor ❤️ "
     "#schoolkeuken", {}),
    ("tiktok", "@ricardo_bezorgt", "nl", "",
     "5:45 wekker, 11 scholen, 1 bus en goeie muziek 🎶 #bezorgerslife #klasbord", {}),
    ("threads", "@femke.roggeveld", "en", "",
     "Our new website is live! Check out klasbord.nl for the autumn menus 🍂", {"m": 9}),
    ("bluesky", "@anouk-rgv.bsky.social", "nl", "",
     "Drukke maandag bij de klantenservice, maar wat fijn als een ouder belt om gewoon even te "
     "bedanken 🥹", {}),
    ("x", "@tieners_en_thee", "nl", "",
     "Die kok van KlasBord op TikTok is echt hilarisch, mijn kinderen kijken alles 😂", {}),
    ("x", "@dad_of_finn", "en", "",
     "my kid called the KlasBord broccoli 'tiny trees of death' 😂 ate every single one anyway",
     {}),
    ("facebook", "Sharon.Mulder.Breda", "nl", "",
     "Wie heeft ervaring met het Allergievrij Maandmenu van KlasBord? Onze dochter heeft "
     "coeliakie en €129 per maand is best veel, maar als het echt veilig is…", {}),
    ("x", "@cyberjuf", "en", "",
     "Security tip for parents: use a unique password for school apps like KlasBord. Password "
     "managers are your friend 🔐", {}),
    ("x", "@klasbord_nl", "nl", "",
     "Gepland onderhoud: zaterdag 14 november van 02:00 tot 04:00 is mijn.klasbord.nl even niet "
     "bereikbaar. Daarna kun je gewoon weer bestellen 🛠️", {"d": "2026-11-10T10:00:00Z"}),
    ("x", "@koffie_eerst", "nl", "",
     "Maandagochtend en de koffie is op. Gelukkig staan er pannenkoeken op het KlasBord menu "
     "vandaag 🥞", {}),
    ("x", "@gym_mr_ahmed", "en", "",
     "Kiwi smoothies from the KlasBord Smoothiebar are a massive hit with the north wing kids 🥝",
     {}),
    ("instagram", "@groep6.meesterrob", "nl", "",
     "De pompoenoperatie is geslaagd: 12 kilo pompoen uitgehold met groep 6 🎃 (en nee, de soep "
     "kwam deze keer niet van KlasBord haha)", {"d": "2026-10-30T14:20:00Z"}),
    ("x", "@juf_marit", "en", "",
     "Our school's confidential counsellor visited every class today. Big thanks to KlasBord for "
     "sponsoring the fruit!", {}),
    ("x", "@ouder_zonder_snoep", "nl", "",
     "Strikt genomen is het intern beleid van onze school: geen snoep bij verjaardagen. Dus de "
     "Traktatiebox van KlasBord (€24,95) is ideaal, gezond én leuk", {}),
    ("x", "@voorzichtige_vader", "en", "",
     "Can someone confirm klantenservice@klasbord.nl is the real address for complaints? Don't "
     "want to send my details to a phishing domain 😅", {}),
    ("x", "@dennis_rgv", "nl", "",
     "Mooie talk gezien over hoe je per ongeluk gecommitte secrets uit je git history haalt. "
     "Aanrader voor elk dev-team!", {}),
    ("x", "@ellen_klimt", "en", "",
     "Fun fact: our Klikbeker survived being dropped off the climbing frame three times. 10/10 "
     "would recommend 😂", {}),
    ("linkedin", "roggeveld-schoolmaaltijden", "nl", "",
     "Trots! Roggeveld Schoolmaaltijden levert vanaf dit schooljaar aan 340 scholen. Dank aan "
     "alle collega's en partners 🙌", {"m": 9}),
    ("reddit", "u/refund_report", "en", "",
     "For anyone wondering what the refund looks like: IBAN NL** **** **** **** 12, amount €39.00, "
     "ref KB-2026-0913. Took 4 days, pretty quick honestly.", {}),
    ("x", "@basisschool_eik", "nl", "",
     "Sinterklaas op school en KlasBord had pepernoten bij de lunch gedaan. Kinderen door het "
     "dolle heen 🎁", {"d": "2026-12-04T13:00:00Z"}),
    ("linkedin", "ingrid-hoekstra-roggeveld", "en", "",
     "Great panel on food-cost inflation at the catering congress today. The published sector data "
     "shows margins under pressure across the board.", {}),
    ("x", "@nina_vegan", "en", "",
     "KlasBord's autumn newsletter says they're adding two new vegan dishes, love to see it 🌱",
     {}),
    ("x", "@hulpvaardige_henk", "nl", "",
     "Telefoonnummer van de KlasBord klantenservice is +31 30 555 2210 voor wie het zoekt, ze "
     "waren super behulpzaam", {}),
    ("instagram", "@klasbord", "en", "",
     "Meet our chefs! 👩‍🍳 This week: Marloes, who has been creating school lunches with us for "
     "9 years.", {}),
    ("x", "@expat_in_wassenaar", "en", "",
     "Does KlasBord deliver to international schools in Wassenaar? Looking at the Weekpakket Warm "
     "at €27.50 a week", {}),
    ("x", "@trotse_mama_82", "nl", "",
     "w00t! m1jn k1nd h33ft 3indelijk z'n s0ep 0p 🙌 #klasbord", {}),
    ("x", "@lotte_planning", "en", "",
     "Planning for next week is done ✅ and for once no changes on Friday afternoon. Weekend!", {}),
    ("x", "@fleur_app", "nl", "",
     "Iemand anders ook de tip gekregen om de KlasBord app te updaten? Sindsdien werkt alles weer "
     "soepel", {}),
    ("x", "@dennis_rgv", "en", "",
     "logs now show 'Authorization: Bearer ***redacted***' everywhere, so at least our masking "
     "works 😌", {}),
    ("facebook", "Ingrid.Smit.Gouda", "nl", "",
     "Het Halal Weekmenu van deze week was heerlijk volgens mijn zoon, vooral de couscous. Voor "
     "€28,50 per week echt prima.", {}),
    ("x", "@bso_de_vlieger", "nl", "",
     "Sinds we het BSO-menu van KlasBord hebben (10% korting voor BSO's, €89,10 p/m) is het "
     "gedoe met boodschappen voorbij 🙌", {}),
]


# --------------------------------------------------------------------------------------
# roles and severity (CONTRACT section 4), computed from the profile
# --------------------------------------------------------------------------------------
ROLE = {}
for role in ("corporate", "employee"):
    for key in profile["accounts"][role]:
        ROLE[key.lower()] = role


def role_of(platform, handle):
    return ROLE.get(("%s:%s" % (platform, handle)).lower(), "public")


SEV = ["none", "info", "warning", "error", "critical"]
PUB_IBANS = {re.sub(r"\s", "", x).upper() for x in profile["public_identifiers"]["ibans"]}
ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")


def norm(text):
    return ZERO_WIDTH.sub("", unicodedata.normalize("NFKC", text))


IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2} ?[A-Z]{4}(?: ?\d){10}\b")
CARD_RE = re.compile(r"(?<![\w-])\d{4}([ -]?)\d{4}\1\d{4}\1\d{4}(?:\1\d{1,3})?(?![\w-])")
BSN_RE = re.compile(r"(?<![\w.-])(\d{9}|\d{4}\.\d{2}\.\d{3})(?![\w-])")
BSN_CTX = re.compile(r"bsn|burgerservicenummer|sofinummer|11-proef", re.I)


def identifiers(text):
    """Yield (kind, value, valid) for IBAN / card / BSN candidates in the text."""
    t = norm(text)
    for m in IBAN_RE.finditer(t):
        v = re.sub(r"\s", "", m.group(0))
        yield "iban", v, iban_ok(v)
    for m in CARD_RE.finditer(t):
        yield "card", m.group(0), luhn_ok(m.group(0))
    for m in BSN_RE.finditer(t):
        lo, hi = max(0, m.start() - 80), m.end() + 80
        if BSN_CTX.search(t[lo:hi]):
            yield "bsn", m.group(0), bsn_ok(m.group(0))


def has_checked_identifier(text):
    for kind, v, ok in identifiers(text):
        if ok and not (kind == "iban" and v.upper() in PUB_IBANS):
            return True
    return False


def severity(cats, role, text):
    if not cats:
        return "none"
    own = role in ("corporate", "employee")
    best = 0
    for c in cats:
        if c.startswith("leak."):
            s = "error" if own else "warning"
            if own and c in ("leak.secret", "leak.pricing"):
                s = "critical"
            if own and c == "leak.pii" and has_checked_identifier(text):
                s = "critical"
        elif c == "reputation.complaint":
            s = "warning"
        elif c == "reputation.crisis":
            s = "error"
        elif c == "reputation.abuse":
            s = "error" if own else "warning"
        else:
            raise ValueError(c)
        best = max(best, SEV.index(s))
    return SEV[best]


# --------------------------------------------------------------------------------------
# build
# --------------------------------------------------------------------------------------
PREFIX = {"x": "x", "reddit": "rd", "facebook": "fb", "instagram": "ig", "threads": "th",
          "tiktok": "tt", "linkedin": "li", "bluesky": "bs", "mastodon": "md"}
START = datetime(2026, 1, 5, tzinfo=timezone.utc)
END = datetime(2026, 12, 18, tzinfo=timezone.utc)


def rand_time(month=None):
    if month:
        lo = datetime(2026, month, 1, 6, tzinfo=timezone.utc)
        hi = datetime(2026 + (month == 12), month % 12 + 1, 1, tzinfo=timezone.utc) - timedelta(days=1)
        if month == 12:
            hi = END
    else:
        lo, hi = START, END
    t = lo + timedelta(seconds=rng.randrange(int((hi - lo).total_seconds())))
    # people post while awake
    t = t.replace(hour=rng.choice([6, 7, 8, 9, 11, 12, 13, 15, 16, 17, 19, 20, 21, 22]))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def brand_of(text):
    t = text.lower()
    if "klasbord" in t:
        return "KlasBord"
    if "roggeveld" in t:
        return "Roggeveld"
    return None


def build():
    order = list(range(len(POSTS)))
    rng.shuffle(order)
    cases = []
    seq = 0
    for i in order:
        platform, handle, lang, labels, text, opt = POSTS[i]
        seq += 1
        text = fill(text)
        cats = sorted({CAT[x] for x in labels.split()})
        role = role_of(platform, handle)
        post = {
            "id": "%s-518%03d" % (PREFIX[platform], seq),
            "platform": platform,
            "kind": opt.get("k", "post"),
            "account": {"handle": handle},
            "text": text,
            "lang": lang,
            "created_at": opt.get("d") or rand_time(opt.get("m")),
        }
        b = brand_of(text)
        if b:
            post["brand"] = b
        cases.append({"post": post,
                      "expect": {"categories": cats, "severity": severity(cats, role, text)}})
    return cases


# --------------------------------------------------------------------------------------
# self-checks
# --------------------------------------------------------------------------------------
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
ALL_CATS = set(CAT.values())
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
PRICE_RE = re.compile(r"€\s?(\d[\d.,]*)(,-)?")
PRICE_ERR = re.compile(r"prijsfout|pricing error|price error|pricing glitch|foutje|"
                       r"instead of|ipv|in plaats van", re.I)


def parse_price(s):
    s = s.rstrip(".,")
    m = re.fullmatch(r"(.*?)[.,](\d{1,2})", s)
    if m:
        return float(re.sub(r"[.,]", "", m.group(1)) + "." + m.group(2))
    return float(re.sub(r"[.,]", "", s))


def product_mentions(text):
    t = text.lower()
    out = []
    for p in profile["products"]:
        for name in [p["name"]] + p["aliases"]:
            for m in re.finditer(re.escape(name.lower()), t):
                out.append((m.start(), m.end(), p))
    return out


def prices_near_products(text):
    ment = product_mentions(text)
    res = []
    if not ment:
        return res
    for m in PRICE_RE.finditer(text):
        val = parse_price(m.group(1))
        near = min(ment, key=lambda x: min(abs(m.start() - x[1]), abs(m.start() - x[0])))
        res.append((val, near[2]))
    return res


def until(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def check(cases, lines):
    errors = []

    def err(cid, msg):
        errors.append("%s: %s" % (cid, msg))

    ratio = profile["pricing"]["alert_below_ratio"]
    assert ratio == 0.5
    for x in profile["public_identifiers"]["ibans"]:
        assert iban_ok(x), x
    for e in profile["embargo"]:
        assert until(e["until"]).year == 2027
    assert 15 <= len(profile["products"]) <= 25
    assert all(p["currency"] == "EUR" for p in profile["products"])
    assert len(profile["accounts"]["corporate"]) >= 6
    assert len(profile["accounts"]["employee"]) >= 8
    assert len(profile["internal"]["codenames"]) == 3 and len(profile["internal"]["markers"]) == 3

    ids = set()
    conf_terms = [t.lower() for t in profile["internal"]["codenames"] + profile["internal"]["markers"]
                  + profile["internal"]["domains"]]
    pub_emails = {e.lower() for e in profile["public_identifiers"]["emails"]}
    for line in lines:
        case = json.loads(line)
        if set(case) != {"post", "expect"}:
            err("?", "keys %s" % sorted(case))
            continue
        p, e = case["post"], case["expect"]
        cid = p.get("id")
        if not isinstance(cid, str) or not 1 <= len(cid) <= 256 or cid in ids:
            err(cid, "bad or duplicate id")
        ids.add(cid)
        for f in ("platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                err(cid, "missing %s" % f)
        if p["platform"] not in PLATFORMS:
            err(cid, "platform")
        if p.get("kind", "post") not in KINDS:
            err(cid, "kind")
        if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str):
            err(cid, "account.handle")
        if len(p["text"].encode("utf-8")) > 64 * 1024 or not p["text"].strip():
            err(cid, "text size")
        if not RFC3339.match(p["created_at"]):
            err(cid, "created_at")
        ts = until(p["created_at"])
        if not (2026 <= ts.year <= 2027):
            err(cid, "year")
        cats = e["categories"]
        if not isinstance(cats, list) or cats != sorted(set(cats)) or not set(cats) <= ALL_CATS:
            err(cid, "categories")
        if "reputation.spike" in cats:
            err(cid, "spike on a single post")
        role = role_of(p["platform"], p["account"]["handle"])
        want = severity(cats, role, p["text"])
        if e["severity"] != want or e["severity"] not in SEV:
            err(cid, "severity %s != %s" % (e["severity"], want))
        if not cats and e["severity"] != "none":
            err(cid, "benign severity")
        text, t = p["text"], norm(p["text"])
        low = t.lower()
        pii = "leak.pii" in cats

        # checksummed identifiers
        for kind, v, ok in identifiers(text):
            if kind == "iban" and v.upper() in PUB_IBANS:
                if pii:
                    err(cid, "own IBAN in a pii positive")
                continue
            if pii and not ok:
                err(cid, "%s %s fails checksum in a positive" % (kind, v))
            if not pii and ok:
                err(cid, "%s %s passes checksum outside pii" % (kind, v))
        # e-mail addresses and mobile numbers outside pii must be the company's own
        if not pii:
            for m in re.finditer(r"(?<![\w.+:-])[\w.+-]+@[\w-]+\.[\w.]+", re.sub(r"\w+://\S+", " ", t)):
                if m.group(0).lower().rstrip(".") not in pub_emails:
                    err(cid, "e-mail %s outside pii" % m.group(0))
            if re.search(r"(?<![\d ])(?:\+31[ -]?(?:\(0\))?|0031[ -]?|0)6[ -]?(?:\d[ -]?){7}\d(?!\d)", t):
                err(cid, "mobile number outside pii")

        # credentials
        for tok in re.findall(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", t):
            if ("leak.secret" in cats) != ghp_ok(tok):
                err(cid, "github token %s / label mismatch" % tok[:8])
        for tok in re.findall(r"\bAKIA[0-9A-Z]{16}\b", t):
            real = re.fullmatch(r"AKIA[A-Z2-7]{16}", tok) and "EXAMPLE" not in tok
            if bool(real) != ("leak.secret" in cats):
                err(cid, "aws id %s / label mismatch" % tok[:8])
        for tok in re.findall(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+", t):
            if not jwt_ok(tok) or "leak.secret" not in cats:
                err(cid, "jwt")
        secretish = re.search(r"sk_live_|sk-proj-|sk-ant-|xox[bpa]-|glpat-|AIza[\w-]{35}|"
                              r"PRIVATE KEY-----|://[^\s:/]+:[^\s@<]+@|wachtwoord: \w|ww = \w", t)
        if secretish and "leak.secret" not in cats:
            err(cid, "credential-looking text in a non-secret post")
        if "leak.secret" in cats and not (secretish or re.search(r"gh[ps]_|AKIA|eyJ", t)):
            err(cid, "secret positive without a credential")
        if re.search(r"EXAMPLE|x{20}|\*\*\*", t) and "leak.secret" in cats:
            err(cid, "sample key in a positive")

        # confidential terms
        hit = [w for w in conf_terms if w in low]
        for em in profile["embargo"]:
            for term in em["terms"]:
                if term.lower() in low and ts < until(em["until"]):
                    hit.append(term)
        if hit and "leak.confidential" not in cats:
            err(cid, "confidential term %s outside leak.confidential" % hit)

        # prices
        pn = prices_near_products(t)
        if "leak.pricing" in cats:
            low_price = any(v < ratio * pr["list_price"] for v, pr in pn)
            if not (low_price or (product_mentions(t) and PRICE_ERR.search(t))):
                err(cid, "pricing positive without low price or price error")
        else:
            for v, pr in pn:
                if v < ratio * pr["list_price"]:
                    err(cid, "price %.2f for %s below ratio outside pricing" % (v, pr["sku"]))

    # the mix
    n = len(lines)
    benign = sum(1 for c in cases if not c["expect"]["categories"])
    if not 170 <= n <= 180:
        errors.append("count %d" % n)
    if not 55 <= benign <= 65:
        errors.append("benign %d" % benign)
    return errors


def summary(cases):
    cc = Counter(c for x in cases for c in x["expect"]["categories"])
    lang = Counter(x["post"]["lang"] for x in cases)
    role = Counter(role_of(x["post"]["platform"], x["post"]["account"]["handle"]) for x in cases)
    sev = Counter(x["expect"]["severity"] for x in cases)
    multi = sum(1 for x in cases if len(x["expect"]["categories"]) > 1)
    return cc, lang, role, sev, multi


def main():
    cases = build()
    lines = [json.dumps(c, ensure_ascii=False, sort_keys=False) for c in cases]
    with open(OUT, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    with open(OUT, encoding="utf-8") as fh:
        back = [ln for ln in fh.read().split("\n") if ln]
    errors = check(cases, back)
    cc, lang, role, sev, multi = summary(cases)
    benign = sum(1 for c in cases if not c["expect"]["categories"])
    print("cases %d, benign %d, multi-label %d" % (len(cases), benign, multi))
    print("categories", dict(sorted(cc.items())))
    print("lang", dict(lang), "roles", dict(role), "severity", dict(sev))
    if errors:
        print("SELF-CHECK FAILED:")
        for e in errors:
            print("  " + e)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
