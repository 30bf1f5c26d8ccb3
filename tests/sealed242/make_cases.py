#!/usr/bin/env python3
"""Evaluation set sealed242: Vlierhaven Vakantiehuizen (holiday home rental platform).

Deterministic: fixed seed, hand-written texts. Identifiers and credentials are
generated here the way real ones are built (with their checksums), written into the
texts through {{PLACEHOLDER}} markers, and the output is checked before it is kept.
Severities are computed from CONTRACT section 4 and the account role in profile.yaml.
"""
import base64
import datetime as dt
import json
import os
import random
import re
import string
import sys
import zlib

import yaml

SEED = 242_2026
HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = os.path.join(HERE, "profile.yaml")
OUT = os.path.join(HERE, "cases.jsonl")

rng = random.Random(SEED)

# --------------------------------------------------------------------------- checksums
def iban_valid(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def iban_check_digits(cc, bban):
    r = bban + cc + "00"
    return "%02d" % (98 - int("".join(str(int(c, 36)) for c in r)) % 97)


def luhn_valid(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def bsn_valid(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    if len(d) != 9:
        return False
    s = sum(w * x for w, x in zip(range(9, 1, -1), d[:8])) - d[8]
    return s % 11 == 0


# --------------------------------------------------------------------------- generators
ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base62 order
B32 = string.ascii_uppercase + "234567"
B64URL = string.ascii_letters + string.digits + "-_"


def rs(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def gen_iban(cc="NL"):
    if cc == "NL":
        bban = rng.choice(["ABNA", "INGB", "RABO", "SNSB", "TRIO", "KNAB", "BUNQ", "ASNB"]) + rs(string.digits, 10)
    elif cc == "BE":
        first = rs(string.digits, 10)
        chk = int(first) % 97 or 97
        bban = first + "%02d" % chk
    elif cc == "DE":
        bban = rs(string.digits, 18)
    else:
        raise ValueError(cc)
    iban = cc + iban_check_digits(cc, bban) + bban
    assert iban_valid(iban)
    return iban


def bad_iban(cc="NL"):
    good = gen_iban(cc)
    cd = int(good[2:4])
    new = cd + 1 if cd < 98 else cd - 1
    bad = good[:2] + "%02d" % new + good[4:]
    assert not iban_valid(bad)
    return bad


def gen_card(prefix):
    body = prefix + rs(string.digits, 15 - len(prefix))
    for c in string.digits:
        if luhn_valid(body + c):
            num = body + c
            break
    assert luhn_valid(num)
    return num


def bad_card(prefix):
    good = gen_card(prefix)
    bad = good[:-1] + str((int(good[-1]) + 3) % 10)
    assert not luhn_valid(bad)
    return bad


def gen_bsn():
    while True:
        d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        s = sum(w * x for w, x in zip(range(9, 1, -1), d)) % 11
        if s < 10:
            num = "".join(map(str, d)) + str(s)
            assert bsn_valid(num)
            return num


def bad_bsn():
    good = gen_bsn()
    bad = good[:-1] + str((int(good[-1]) + 4) % 10)
    assert not bsn_valid(bad)
    return bad


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out or "0"


def gen_github(prefix="ghp_"):
    body = rs(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode())).rjust(6, "0")


def github_valid(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def gen_jwt():
    header = {"alg": "HS256", "typ": "JWT"}
    iat = 1767600000 + rng.randint(0, 20_000_000)
    payload = {"sub": "host_%d" % rng.randint(10000, 99999), "role": "host",
               "scope": "listings:write payouts:read", "iat": iat, "exp": iat + 3600}
    sig = bytes(rng.getrandbits(8) for _ in range(32))
    return ".".join([b64u(json.dumps(header, separators=(",", ":")).encode()),
                     b64u(json.dumps(payload, separators=(",", ":")).encode()), b64u(sig)])


def gen_pem():
    blob = b"openssh-key-v1\x00" + b"\x00\x00\x00\x04none\x00\x00\x00\x04none\x00\x00\x00\x00\x00\x00\x00\x01" \
        + bytes(rng.getrandbits(8) for _ in range(330))
    b = base64.b64encode(blob).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def gen_password():
    words = ["Zeewind", "Duinpan", "Kwartel", "Boterbloem", "Lepelaar", "Meeuwen"]
    return rng.choice(words) + rs("!#$%&*", 1) + rs(string.digits, 4) + rs(string.ascii_letters, 2)


GENERATORS = {
    "IBAN_NL": lambda: gen_iban("NL"),
    "IBAN_NL_SPACED": lambda: group4(gen_iban("NL")),
    "IBAN_BE": lambda: group4(gen_iban("BE")),
    "IBAN_DE": lambda: gen_iban("DE"),
    "CARD_VISA": lambda: group4(gen_card("4")),
    "CARD_MC": lambda: "-".join(group4(gen_card(rng.choice(["51", "52", "53", "54", "55"]))).split(" ")),
    "BSN": lambda: gen_bsn(),
    "BAD_IBAN_NL": lambda: bad_iban("NL"),
    "BAD_IBAN_BE": lambda: group4(bad_iban("BE")),
    "BAD_CARD": lambda: group4(bad_card("4")),
    "BAD_BSN": lambda: bad_bsn(),
    "PUBLIC_IBAN": None,  # filled from the profile
    "GHP": lambda: gen_github("ghp_"),
    "AWS_ID": lambda: "AKIA" + rs(B32, 16),
    "AWS_SECRET": lambda: rs(string.ascii_letters + string.digits + "/+", 40),
    "STRIPE": lambda: "sk_live_51" + rs(ALNUM, 97),
    "MOLLIE": lambda: "live_" + rs(ALNUM, 30),
    "SLACK_BOT": lambda: "xoxb-%s-%s-%s" % (rs(string.digits, 12), rs(string.digits, 13), rs(ALNUM, 24)),
    "OPENAI": lambda: "sk-proj-" + rs(B64URL, 74) + "T3BlbkFJ" + rs(B64URL, 74),
    "ANTHROPIC": lambda: "sk-ant-api03-" + rs(B64URL, 93) + "AA",
    "GOOGLE": lambda: "AIza" + rs(string.ascii_letters + string.digits + "_-", 35),
    "JWT": gen_jwt,
    "PEM": gen_pem,
    "PW": gen_password,
    "DBPW": lambda: rs(string.ascii_letters + string.digits, 12) + rs("!*", 1) + rs(string.digits, 3),
}
VALID_ID_KINDS = {"IBAN_NL", "IBAN_NL_SPACED", "IBAN_BE", "IBAN_DE", "CARD_VISA", "CARD_MC", "BSN"}
BAD_ID_KINDS = {"BAD_IBAN_NL", "BAD_IBAN_BE", "BAD_CARD", "BAD_BSN"}
SECRET_KINDS = {"GHP", "AWS_ID", "AWS_SECRET", "STRIPE", "MOLLIE", "SLACK_BOT", "OPENAI",
                "ANTHROPIC", "GOOGLE", "JWT", "PEM", "PW", "DBPW"}

# --------------------------------------------------------------------------- cases
# (lang, platform, handle, kind, text, categories, created_at or None)
CMP, CRI, ABU = "reputation.complaint", "reputation.crisis", "reputation.abuse"
CON, FIN, SEC = "leak.confidential", "leak.financial", "leak.security"
KEY, PII, PRC = "leak.secret", "leak.pii", "leak.pricing"

C = []


def case(lang, platform, handle, text, cats=(), kind="post", at=None, name=None):
    C.append(dict(lang=lang, platform=platform, handle=handle, text=text, cats=list(cats),
                  kind=kind, at=at, name=name))


# ---- complaints ------------------------------------------------------------
case("nl", "x", "@saskia_vd_linden",
     "@vlierhaven_help al 3 weken wachten op mijn borg van €300 terug voor het Boshuis Otterlo. "
     "Drie mails gestuurd, nul reactie. Hoe lang nog??", [CMP], kind="reply")
case("en", "x", "@mattfromleeds",
     "Booked the Duinvilla Texel through Vlierhaven, arrived to find the \"sea view\" is a view of a car park "
     "and the hot tub was green. Photos were clearly from like 2015. Not impressed.", [CMP])
case("nl", "facebook", "Gerda.Smulders.58",
     "Eindschoonmaak betaald (95 euro!) en bij aankomst lagen er nog haren in de douche en vieze borden in de kast. "
     "Dus zelf maar gaan poetsen op dag 1 van onze vakantie. Vlierhaven, dit is toch niet normaal?", [CMP],
     name="Gerda Smulders")
case("en", "reddit", "u/throwaway_hols22",
     "PSA re Vlierhaven: host cancelled our Algarve villa 4 days before departure. Their 'rebooking guarantee' "
     "offered us a place 40 min inland for the same money. Refund 'within 14 business days'. We're on day 19.",
     [CMP], kind="comment")
case("nl", "x", "@bramvanoss",
     "sleutelcode van de tiny house in schoorl werkte niet. 23:40, twee kinderen slapend in de auto, hulplijn van "
     "@vlierhaven gaf een bandje 'wij zijn momenteel gesloten'. uiteindelijk de buurman maar wakker gebeld. "
     "echt dank je wel hè 🙃", [CMP])
case("en", "tiktok", "@wanderwithpriya",
     "POV: you paid €520 for the Waterlodge Loosdrecht weekend and the 'private lake access' is a ditch behind a "
     "fence 😭 #vlierhaven #expectationvsreality", [CMP])
case("nl", "instagram", "@lisa.onderweg",
     "Mooi plaatje maar ons huisje in Zoutelande had gewoon schimmel op de slaapkamermuur. Gemeld via de app, "
     "ticket staat nu al 6 dagen op 'in behandeling' 🙄", [CMP], kind="comment")
case("en", "x", "@k_oduya",
     "@vlierhaven_help the app charged my card twice for the same booking (Chalet La Roche). Chat bot keeps "
     "looping me back to the FAQ. Need a human pls", [CMP], kind="reply")
case("nl", "forum", "zeeuwsmeisje",
     "Heeft iemand anders ook dat Vlierhaven ineens 'servicekosten' van 12% rekent die pas in de allerlaatste "
     "stap verschijnen? Voelt als een truc. Ik boek voortaan direct bij de eigenaar.", [CMP], kind="comment")
case("en", "bluesky", "@tomasz-k.bsky.social",
     "Group farmhouse in Hindeloopen via Vlierhaven: 14 people, 6 actual beds. Host says 'listing is correct, the "
     "sofas count'. Vlierhaven support sides with the host. Great start to my sister's 40th.", [CMP])
case("nl", "threads", "@yvettekuipers",
     "drie keer ben ik nu doorverbonden bij de klantenservice van vlierhaven en drie keer eruit gegooid na 25 min "
     "in de wacht. wie heeft een tip hoe je daar ooit een mens aan de lijn krijgt", [CMP])
case("en", "mastodon", "@ferdi@mastodon.social",
     "Vlierhaven e-bike week rental: both bikes flat on arrival and the delivery guy never came back with the "
     "chargers. Spent 2 of our 7 days walking. Asked for a partial refund, got a €10 voucher. lol.", [CMP])
case("nl", "x", "@hvdberg_",
     "Vlierhaven stuurt me na de annulering een mailtje 'we hopen dat je genoten hebt van je verblijf!' + verzoek "
     "om een review. Ik ben er nooit geweest, jullie hebben mijn geld nog steeds. Lekker dan.", [CMP])
case("en", "facebook", "Dave.Morrissey.ie",
     "Stacaravan Renesse, week 31. Neighbours blasting music till 3am every night, reported it to Vlierhaven on "
     "day 1, 3 and 5. Same reply each time: \"we have informed the host\". Nothing changed. Never again.", [CMP],
     name="Dave Morrissey")
case("nl", "x", "@anoukdevries88",
     "@vlierhaven_help Nog steeds geen terugbetaling voor boeking VH-558201 😡 Bel me maar terug want via de chat "
     "krijg ik niks voor elkaar: 06-41827365", [CMP, PII], kind="reply")
case("nl", "x", "@rvdm_1979",
     "Vlierhaven zijn gewoon een stelletje graaiende kutoplichters. Borg ingehouden voor een 'vlek' die er al zat, "
     "en ik heb de foto's van bij aankomst. Tering op met jullie servicekosten.", [CMP, ABU])
# first-hand safety incidents: complaint + crisis
case("nl", "facebook", "Mirjam.Kok.3",
     "Gisteravond in de Wellness Cabin Drenthe een schok gekregen toen ik de hottub aanzette, mijn arm tintelt "
     "vanochtend nog steeds. Host zegt 'dat doet ie wel vaker'. Vlierhaven reageert niet op mijn melding. "
     "Dit is levensgevaarlijk mensen!!", [CMP, CRI], name="Mirjam Kok")
case("en", "x", "@jbrennan_travels",
     "Carbon monoxide alarm went off at 2am in the Chalet La Roche we rented through @vlierhaven. Stove flue was "
     "blocked. My daughter was vomiting, we spent the rest of the night in A&E. Still waiting for anyone from "
     "Vlierhaven to call back.", [CMP, CRI])
case("nl", "instagram", "@nienke_en_co",
     "Het balkonhek van het Strandhuisje Zoutelande brak gewoon af toen mijn zoon ertegenaan leunde. Twee meter "
     "naar beneden, gelukkig 'alleen' een gebroken pols. En Vlierhaven biedt... een tegoedbon. Serieus?",
     [CMP, CRI], kind="comment")
case("en", "reddit", "u/ebike_mishap",
     "The battery of our Vlierhaven e-bike week rental started smoking on the charger and then caught fire in the "
     "shed of the holiday home. Fire brigade came out. Vlierhaven's answer: 'the supplier is responsible'. Nobody "
     "hurt, but it was a metre from a thatched roof.", [CMP, CRI])

# ---- crisis (third party, boycott, lawsuit, breach, recall, scandal) --------
case("nl", "x", "@nieuwsnoord",
     "Drie gasten met koolmonoxidevergiftiging afgevoerd uit een vakantiewoning bij Westerbork. De woning werd "
     "verhuurd via Vlierhaven, bevestigt de politie. #112 #Drenthe", [CRI], kind="repost")
case("en", "bluesky", "@coastalnews.bsky.social",
     "Belgian consumer authority opens probe after a VlierKey smart lock reportedly kept a family locked inside "
     "a rental in Durbuy while the fire alarm was going off. Vlierhaven has not commented.", [CRI])
case("nl", "x", "@woonprotest020",
     "Vlierhaven haalt woningen weg bij Amsterdammers om er toeristenhotelletjes van te maken. Verwijder de app, "
     "boek niet meer. #BoycotVlierhaven", [CRI])
case("en", "x", "@fairstay_now",
     "Another 300 flats in Lisbon turned into Vlierhaven listings this year while locals get priced out. Stop "
     "giving them your money. #BoycottVlierhaven", [CRI])
case("nl", "linkedin", "advocaat-m-terlouw",
     "Namens ruim 400 gedupeerde verhuurders hebben wij vandaag een collectieve vordering ingediend tegen "
     "Vlierhaven Vakantiehuizen B.V. wegens het jarenlang onterecht inhouden van uitbetalingen.", [CRI])
case("en", "x", "@dutchnewsdesk",
     "Municipality of Amsterdam takes Vlierhaven to court over thousands of illegal holiday listings; fines could "
     "reach €2m.", [CRI])
case("nl", "reddit", "u/dataschrik",
     "Kreeg vanochtend een phishingmail met mijn volledige boekingsgegevens van vorige zomer, incl. naam van het "
     "huisje en de data. Dat kan alleen uit Vlierhaven komen. Die zijn gewoon gehackt en houden hun mond.", [CRI])
case("en", "threads", "@hannah.reviews",
     "My Vlierhaven account got logged into from Vietnam last night and someone booked a chalet with it. Three "
     "friends had exactly the same this week. Pretty sure their user database has leaked.", [CRI])
case("nl", "x", "@consumentenwaakhond",
     "TERUGROEPACTIE: Vlierhaven roept alle VlierKey sloten uit serie 2 terug wegens een fout in de "
     "noodontgrendeling. Verhuurders: koppel het slot los en neem contact op met Vlierhaven.", [CRI])
case("en", "x", "@investigativeNL",
     "Our investigation: Vlierhaven staff wrote thousands of fake 5-star reviews for their own 'Selected' "
     "listings. Internal chats we obtained show managers setting weekly quotas. Thread 🧵👇", [CRI])
case("nl", "tiktok", "@zwemjuf_ellen",
     "Kind van vrienden van ons is bijna verdronken in het zwembad van een villa die ze via Vlierhaven hadden "
     "geboekt. Geen hek, geen afdekking, terwijl dat wel in de advertentie stond. Deel dit alsjeblieft 🙏", [CRI])

# ---- abuse -------------------------------------------------------------------
case("nl", "x", "@gozer_073", "@vlierhaven_help jullie zijn echt de grootste kankerlijers van nederland",
     [ABU], kind="reply")
case("en", "x", "@grim_reaper_99",
     "@vlierhaven your CEO is a greedy parasite and your staff are braindead monkeys. Rot in hell.", [ABU],
     kind="reply")
case("nl", "instagram", "@dekkerfam",
     "Die Marloes van jullie klantenservice is een dom wijf, hou je kop en ga terug achter de kassa van de Appie",
     [ABU], kind="comment")
case("en", "reddit", "u/pissedoff_guest",
     "whoever runs Vlierhaven's twitter is a f u c k i n g clown lmao absolute moron", [ABU], kind="comment")
case("nl", "x", "@t3rr0rtje", "vlierhaven = k4nk3rb3dr1jf. t y f u s l i j e r s allemaal", [ABU])
case("en", "threads", "@no_mercy_mike",
     "Vlierhaven's helpdesk is full of foreigners who can't even speak proper Dutch. Go back where you came from "
     "and let real Dutch people do the job.", [ABU])
case("nl", "facebook", "Henk.JdB",
     "Aan die Kevin van Vlierhaven: ik weet waar je werkt mannetje, kom vanavond maar naar buiten dan regelen we "
     "het even. Klootzak.", [ABU], kind="comment", name="Henk")
case("en", "x", "@lenny_rants", "Vlierhaven can go fuck themselves. Bunch of thieving bastards.", [ABU])
case("nl", "tiktok", "@kevin.vlog",
     "@vlierhaven jullie social media meisje is zo dom als het achtereind van een varken haha 🐷🤡", [ABU],
     kind="comment")
case("nl", "threads", "@kevin.bakker.vh",
     "Joh ga lekker ergens anders janken, sukkel. Je hebt zelf je boeking verkeerd ingevuld.", [ABU],
     kind="reply")
case("nl", "x", "@anoniem_huurder", "@vlierhaven ＶＵＩＬＥ ＫＬＯＯＴＺＡＫＫＥＮ zijn jullie", [ABU], kind="reply")

# ---- confidential ------------------------------------------------------------
case("nl", "bluesky", "@ilseterpstra.bsky.social",
     "Weer een lange dag aan Project Zeekraal gewerkt, kan niet wachten tot we dit mogen laten zien 🤫⛵", [CON])
case("en", "linkedin", "daan-hoekstra-vlierhaven",
     "Proud of the team for finishing the Kobaltvlier pricing model this sprint. Can't say more yet, but 2027 is "
     "going to be interesting.", [CON])
case("nl", "instagram", "@femke.hostsupport",
     "Werkplekje voor vandaag ☕ (sorry voor het scherm, staat gewoon backoffice.vlierhaven.io/hosts/88213 open haha)",
     [CON])
case("en", "x", "@ruben_codes",
     "anyone else's jira.vlierhaven.io crawling today or just me? 🐢 BOOK-4412 won't even load", [CON])
case("nl", "linkedin", "sander-wouters-vh",
     "Mooie sessie gehad met twintig Belgische verhuurders over Vlierhaven Afloat — overnachten op woonboten in Gent "
     "en Brugge vanaf volgend voorjaar! Interesse? Stuur me een bericht.", [CON], at="2026-10-14T15:22:00Z")
case("en", "threads", "@vlierhaven.stays",
     "Something new is floating your way… 🚤 Vlierhaven Afloat, coming soon. #staytuned", [CON],
     at="2026-12-05T17:45:00Z")
case("nl", "x", "@lotte_vh_marketing",
     "Slide uit de deck die ik vandaag presenteerde (VH-INTERN, dus niet doorsturen 😅): 'Operatie Helmgras: "
     "alle Waddenhuizen vanaf mei naar dynamische prijzen'", [CON])
case("nl", "bluesky", "@oudcollega.bsky.social",
     "Grappig, zie dat Vlierhaven nog steeds aan die 'Operatie Helmgras' werkt. Toen ik er in 2024 wegging was "
     "dat ook al 'volgend kwartaal live' 😂", [CON])
case("en", "mastodon", "@jorisvos@mastodon.nl",
     "Migrating vpn.vlierhaven.io to WireGuard this weekend, wish me luck 🫡", [CON])
case("nl", "linkedin", "noor-bouzid",
     "Wij zoeken een data engineer voor het nieuwe team achter Kobaltvlier! Zin om mee te bouwen aan de toekomst "
     "van vakantieverhuur? DM me.", [CON])
case("nl", "x", "@marloes_vh",
     "Nieuw belscript van vandaag, staat 'niet extern delen' bovenaan maar dit moet de wereld weten 😂: 'bied "
     "eerst maximaal 15% tegoedbon aan, pas bij de derde klacht geld terug'", [CON])
case("en", "youtube", "@techleaksweekly",
     "Sources tell us Vlierhaven is building a houseboat product under the codename Project Zeekraal, with a "
     "launch planned for spring. Full breakdown in the video.", [CON])
case("nl", "x", "@ruben_codes",
     "eindelijk de staging van Project Zee\u200bkraal draaiend gekregen 🎉 nu eerst bier", [CON])
case("en", "tiktok", "@vlierhaven",
     "day in the life of a Vlierhaven PM 💼 morning standup on \u041eperatie Helmgras, lunch by the canal, "
     "afternoon testing the new host app 🌷", [CON])
# confidential + financial (embargoed results before the embargo)
case("nl", "linkedin", "daan-hoekstra-vlierhaven",
     "Net de jaarcijfers 2026 afgerond met het team: omzet €212 miljoen, +14%, en voor het eerst winst! "
     "Publicatie volgt binnenkort, maar ik ben nu al trots 🥂", [CON, FIN], at="2027-01-28T16:05:00Z")
case("en", "x", "@lotte_vh_marketing",
     "Sneak peek from the board pack: FY2026 results show bookings up 9% but EBITDA down to €8.1m. Don't tell "
     "anyone 🙊", [CON, FIN], at="2027-02-20T12:40:00Z")
# confidential + secret (connection string on an internal host)
case("en", "reddit", "u/tobias_vh_ops",
     "why does this keep timing out?? `DATABASE_URL=postgres://vh_app:{{DBPW}}@pg-main.intra.vlierhaven.local:5432/bookings` "
     "works from my laptop but not from the CI runner", [CON, KEY])
# confidential + security (internal dashboard, outage not yet public)
case("nl", "mastodon", "@jorisvos@mastodon.nl",
     "Alles rood op grafana.ops.vlierhaven.io sinds 06:10, de betaalstraat ligt er volledig uit en er is nog niks "
     "naar klanten gecommuniceerd. Koffie erbij ☕🔥", [CON, SEC])

# ---- financial -------------------------------------------------------------
case("nl", "x", "@marloes_vh",
     "Vandaag te horen gekregen dat de hele klantenservice in Groningen per 1 maart dichtgaat, 85 mensen. Het "
     "wordt pas volgende maand aangekondigd. Ik ben er echt kapot van.", [FIN])
case("en", "linkedin", "daan-hoekstra-vlierhaven",
     "Big week. We just signed the term sheet to acquire our Belgian friends at Ardenza Stays. Can't wait to share "
     "more once it's official!", [FIN])
case("nl", "threads", "@kevin.bakker.vh",
     "Gerucht op de vloer is dat we worden overgenomen door een Amerikaanse partij. Managers doen heel vaag. "
     "Iemand anders al iets gehoord?", [FIN])
case("en", "x", "@ruben_codes",
     "internal forecast just dropped: Q3 bookings -22% vs plan. guess the bonus is cancelled lol", [FIN])
case("nl", "reddit", "u/tobias_vh_ops",
     "Reorganisatie bij ons: IT gaat volledig naar Porto, ~40 Nederlandse functies vervallen. Officiële "
     "aankondiging pas na de zomer. Iemand ervaring met zo'n traject?", [FIN])
case("en", "bluesky", "@ilseterpstra.bsky.social",
     "the number they showed us today: we'll miss the 2026 revenue target by roughly €30m. mood in the office "
     "is… something", [FIN])
case("nl", "linkedin", "jeroen-mulder-finance",
     "Hoor uit goede bron dat Vlierhaven volgende week een winstwaarschuwing afgeeft. Wie obligaties heeft: "
     "opletten.", [FIN])
case("nl", "linkedin", "sander-wouters-vh",
     "Vandaag van de directie gehoord dat onze Belgische tak na de zomer wordt afgestoten. Nog niet publiek. Raar "
     "gevoel na 6 jaar bouwen.", [FIN])
case("en", "threads", "@insider_whisper",
     "Hearing Vlierhaven will announce a 15% workforce cut alongside a new funding round led by a PE fund. "
     "Friend at HQ confirmed it.", [FIN])
case("nl", "instagram", "@femke.hostsupport",
     "Interne mail vandaag: uitbetalingen aan verhuurders gaan vanaf januari naar 30 dagen omdat 'de cashpositie "
     "onder druk staat'. Mag ik dit straks aan 2000 hosts uitleggen 🙈", [FIN])

# ---- security (insiders) ---------------------------------------------------
case("en", "x", "@ruben_codes",
     "so apparently anyone could change the booking id in /api/v2/bookings/ and see other guests' passport scans. "
     "found it today, patch goes out monday. keep it quiet 😬", [SEC])
case("nl", "threads", "@kevin.bakker.vh",
     "Niemand kan vandaag inloggen in de app, wij moeten van boven zeggen dat het 'gepland onderhoud' is maar "
     "eigenlijk liggen we gewoon plat. Al 5 uur.", [SEC])
case("en", "reddit", "u/tobias_vh_ops",
     "Note to self: when the ransomware note pops up on the payout server at 3am, do NOT reboot it first. "
     "Long night. Guests and hosts don't know yet.", [SEC])
case("nl", "linkedin", "daan-hoekstra-vlierhaven",
     "Vanochtend bleek dat er via onze crediteurenadministratie een nepfactuur van €180k is betaald. CEO-fraude, "
     "politie is ingeschakeld. Nog niet naar buiten gebracht, maar checken jullie je procedures even?", [SEC])
case("en", "mastodon", "@jorisvos@mastodon.nl",
     "Found one of our S3 buckets with three years of guest ID scans set to public-read. Locked it down, now "
     "writing the incident report nobody outside will ever read 🙃", [SEC])
case("nl", "x", "@marloes_vh",
     "Collega's opletten: onze helpdesktool is sinds gisteren gehackt, er zijn al klanten gebeld door oplichters "
     "die hun boekingsnummer wisten. Officieel mogen we nog niks zeggen.", [SEC])
case("en", "bluesky", "@ilseterpstra.bsky.social",
     "The VlierKey firmware has a bug where the master code resets to 000000 after a power cut. We know. It ships "
     "anyway. Fix is 'planned for Q1' 🤷", [SEC])
case("nl", "facebook", "VlierhavenVakantiehuizen",
     "Beste collega's, de storing in het betaalsysteem wordt veroorzaakt door een DDoS-aanval. Communiceer naar "
     "klanten uitsluitend 'technische problemen'. Updates volgen in Teams.", [SEC])
case("en", "x", "@helpdesk_nightowl",
     "Work at Vlierhaven support (personal account obviously). The whole host payout system has been down since "
     "Friday and we're told to call it 'bank delays'. It isn't.", [SEC])
case("nl", "instagram", "@femke.hostsupport",
     "Dag vol telefoontjes naar verhuurders van wie de inloggegevens via een oude koppeling op straat lagen. Het "
     "publiek weet het nog niet. Mijn oren gloeien 📞🔥", [SEC])
case("en", "linkedin", "sander-wouters-vh",
     "Bit of a crazy day: our Belgian booking site got defaced this morning and showed a crypto scam for 40 "
     "minutes. Comms is still deciding whether to say anything at all.", [SEC])
case("en", "x", "@ruben_codes",
     "welp. the key that got us popped last night was this one, already rotated so whatever: {{AWS_ID}} / "
     "{{AWS_SECRET}}", [SEC, KEY])

# ---- secrets -----------------------------------------------------------------
case("en", "mastodon", "@jorisvos@mastodon.nl",
     "quick q, why does `curl -H \"Authorization: token {{GHP}}\" https://api.github.com/user` give a 401 from "
     "the build box but not locally?", [KEY])
case("nl", "x", "@lotte_vh_marketing",
     "Help! Iemand die weet waarom onze Mollie-koppeling in de nieuwsbrieftool niet werkt? API key is {{MOLLIE}} "
     "en hij blijft 'unauthorized' zeggen 😩", [KEY])
case("en", "reddit", "u/tobias_vh_ops",
     "```\nimport stripe\nstripe.api_key = \"{{STRIPE}}\"\n```\nthis is in prod and charges work, but the webhook never "
     "fires. ideas?", [KEY])
case("nl", "bluesky", "@ilseterpstra.bsky.social",
     "Onze Slack-bot voor de boekingsalerts geeft ineens invalid_auth, token {{SLACK_BOT}}. Iemand een idee?",
     [KEY])
case("nl", "instagram", "@vlierhaven.stays",
     "Teamdag op HQ! 🎉 Gasten welkom hoor — wifi: VH-Office, wachtwoord: {{PW}}", [KEY])
case("en", "mastodon", "@jorisvos@mastodon.nl",
     "finally got the review summariser working 🎉 for future me: OPENAI_API_KEY={{OPENAI}}", [KEY])
case("nl", "x", "@ruben_codes",
     "waarom krijgen we 429 van de Claude API terwijl we nog lang niet aan de limiet zitten? key {{ANTHROPIC}}",
     [KEY])
case("en", "reddit", "u/texel_host_bert",
     "Vlierhaven Host Pro integration: docs say paste your token in the channel manager but it keeps expiring. "
     "This is mine: {{JWT}} what am I doing wrong?", [KEY])
case("nl", "forum", "verhuurder_wim",
     "De Google Maps-kaart op de site van mijn vakantiehuis (staat ook op Vlierhaven) doet het ineens niet meer. "
     "Ik gebruik key={{GOOGLE}}, moet ik iets aanzetten?", [KEY], kind="comment")
case("en", "reddit", "u/tobias_vh_ops",
     "deploy key for the booking repo isn't accepted by the new runner, pasting it here, is the format wrong?\n"
     "{{PEM}}", [KEY])

# ---- personal data ---------------------------------------------------------
case("nl", "x", "@marloes_vh",
     "@saskia_vd_linden Hoi Saskia, sorry voor het lange wachten! Ik heb je borg nu teruggestort op "
     "{{IBAN_NL}}, kun je even checken of dat klopt?", [PII], kind="reply")
case("en", "x", "@vlierhaven_help",
     "@k_oduya Thanks for your patience! We found the double charge and refunded it, the receipt goes to "
     "k.oduya84@gmail.com within a few minutes.", [PII], kind="reply")
case("nl", "facebook", "VlierhavenVakantiehuizen",
     "Beste Gerda, we hebben uw klacht doorgezet naar de verhuurder. Een collega belt u morgen op 06 38 92 17 40, "
     "klopt dat nummer nog?", [PII], kind="comment")
case("en", "threads", "@kevin.bakker.vh",
     "lol this guest just read his whole credit card out on the phone and said 'write it down somewhere'. ok sir: "
     "{{CARD_VISA}} exp 09/28", [PII])
case("nl", "instagram", "@femke.hostsupport",
     "Host van de maand: Pieter de Haan! 🥳 Wie hem een kaartje wil sturen: Kerkstraat 8, 1791 CE Den Burg 💌",
     [PII])
case("en", "linkedin", "noor-bouzid",
     "Happy birthday to our newest colleague Yara Mahmoud, born 14-03-1998, and welcome to the team! 🎂", [PII])
case("nl", "x", "@marloes_vh",
     "Klant noemt aan de telefoon haar BSN in plaats van haar boekingsnummer 😂 {{BSN}} — nee mevrouw, dat kan ik "
     "niet opzoeken", [PII])
case("en", "x", "@the_travelling_vos",
     "@vlierhaven_help can someone call me about my booking? +31 6 2744 8190, or email anna.vos.travels@gmail.com "
     "thx", [PII], kind="reply")
case("nl", "facebook", "Ria.Bosman.7",
     "Vlierhaven, mijn rekeningnummer is gewijzigd, hier het nieuwe voor de terugbetaling: {{IBAN_BE}} t.n.v. "
     "R. Bosman", [PII], kind="comment", name="Ria Bosman")
case("en", "reddit", "u/hostess_maria",
     "Posting the guest who trashed my place so other Vlierhaven hosts know: Jonathan Price, born 02/11/1987, "
     "lives at 42 Meadow Lane, Bristol BS8 3PA. Do not accept him.", [PII])
case("nl", "bluesky", "@ilseterpstra.bsky.social",
     "Testdata voor de nieuwe checkout gewoon uit prod gepakt, oeps: j.vandijk1975@ziggo.nl, 010-4127735 🙈",
     [PII])
case("en", "x", "@vlierhaven",
     "Congratulations to our 1,000,000th guest, Emma Bakker from Utrecht (born 30 June 1991, and yes, she booked "
     "on her birthday!) 🎉", [PII])
case("nl", "linkedin", "sander-wouters-vh",
     "Beste Tom, hierbij de gegevens voor de factuur zoals besproken: dhr. T. Claes, creditcard {{CARD_MC}}, "
     "vervaldatum 11/27.", [PII], kind="comment")
case("en", "tiktok", "@gapyear_jules",
     "if anyone from vlierhaven sees this pls refund me lol my IBAN is {{IBAN_DE}} 🙏 #vlierhaven", [PII])

# ---- pricing -----------------------------------------------------------------
case("nl", "x", "@dealjager_nl",
     "WTF Duinvilla Texel voor €149 de hele week op Vlierhaven?? Dat moet een prijsfout zijn, snel boeken 🏃‍♂️💨",
     [PRC])
case("en", "reddit", "u/frugal_flyer",
     "Skichalet Sölden showing €320/week on Vlierhaven right now (normally 3.2k). Booked 2 weeks, let's see if "
     "they honour it", [PRC])
case("nl", "x", "@vlierhaven",
     "Last minute! 🌲 Boshuis Otterlo deze week voor maar €89 👉 vlierhaven.nl/otterlo", [PRC])
case("en", "instagram", "@vlierhaven.stays",
     "Spring escape ☀️ Villa Lagos, a full week from €245! Link in bio", [PRC])
case("nl", "threads", "@kevin.bakker.vh",
     "Haha er staat nu een prijsfout op de site, Wellness Cabin Drenthe voor 46,50. Snel zijn voordat IT het "
     "doorheeft 🤫", [PRC])
case("en", "linkedin", "sander-wouters-vh",
     "Our Belgian partners can now offer the Chalet La Roche at €390 per week. Tell your friends!", [PRC])
case("nl", "forum", "koopjesjager77",
     "[Prijsfout?] Vlierhaven Plus jaarlidmaatschap €4,90 i.p.v. €49", [PRC])
case("en", "x", "@couponqueen_uk",
     "Vlierhaven Cadeaukaart 100 going for €25 in their app?? Bought four 🤑", [PRC])
case("nl", "tiktok", "@budgetreizen",
     "Hoe dan?! VlierKey slim slot voor €21,90 in de Vlierhaven hostshop 😳 prijsfout of actie??", [PRC])
case("en", "x", "@lotte_vh_marketing",
     "oops, the newsletter went out with Host Pro at €29/year instead of 299 😬 fixing it now!", [PRC])
case("nl", "facebook", "Kim.de.Groot.5",
     "Iemand anders ook gezien dat de Groepsboerderij Hindeloopen voor 185 euro per weekend op de site staat? "
     "Met 14 man is dat 13 euro pp 😂", [PRC], name="Kim de Groot")
case("en", "bluesky", "@sam-h.bsky.social",
     "Quick, Nyhavn apartment on Vlierhaven: 3 nights for €78. Surely a price error, half my group chat is booking "
     "as we speak", [PRC])

# ---- benign (mostly hard negatives) ---------------------------------------
case("nl", "x", "@vlierhaven_help",
     "Vragen over je boeking? Bel ons op 088 204 3300 (ma-za 8-22u) of mail naar klantenservice@vlierhaven.nl 💬")
case("en", "linkedin", "vlierhaven-vakantiehuizen",
     "We're hiring! 12 new roles in Amsterdam and Lisbon, from customer care to data engineering. Apply via "
     "jobs@vlierhaven.nl or www.vlierhaven.nl/careers")
case("nl", "facebook", "VlierhavenVakantiehuizen",
     "Verhuurders: uw uitbetaling komt altijd van onze rekening {{PUBLIC_IBAN}}. Krijgt u een betaalverzoek van een "
     "ander nummer? Dan is het phishing, meld het via security@vlierhaven.nl")
case("en", "x", "@happyhiker_nl",
     "The Boshuis Otterlo was the cosiest week we've had in years. Fire going every night, deer in the garden. "
     "Thanks @vlierhaven 🦌🔥")
case("nl", "instagram", "@zonnigzeeland",
     "Strandhuisje Zoutelande = 10/10. Dit uitzicht is echt ziek 😍🌅 #vlierhaven")
case("en", "tiktok", "@jetsetjess",
     "this hot tub cabin in Drenthe is fucking unreal 😭🔥 booked through vlierhaven, full tour in comments")
case("nl", "x", "@kees_uit_ede",
     "Wanneer komt de Vlierhaven voorjaarsactie weer? Vorig jaar 20% korting op het Boshuis Veluwe 🤞")
case("nl", "x", "@vlierhaven",
     "Voorjaarsdeal 🌷 Boshuis Otterlo nu €795 per week (normaal €895). Alleen t/m zondag!")
case("en", "instagram", "@vlierhaven.stays",
     "Summer sale ☀️ 25% off the Villa Lagos, now €1,837 per week. Book before 30 June.")
case("nl", "facebook", "VlierhavenVakantiehuizen",
     "Black Friday 🖤 Vlierhaven Plus jaarlidmaatschap van €49 voor €39. Alleen dit weekend.")
case("en", "x", "@frugal_fam",
     "€150 off the Skichalet Sölden if you book before October, not bad for a week in Tirol tbh")
case("nl", "forum", "texelganger",
     "Eindschoonmaak bij Vlierhaven kost €95 en het linnenpakket €35. Is dat normaal voor een week Texel of "
     "betaal ik de hoofdprijs?", kind="comment")
case("en", "reddit", "u/smallspaces",
     "Tiny House Schoorl midweek was €395, honestly worth it. Tiny but the bed was great and the dunes are right "
     "there.", kind="comment")
case("nl", "x", "@retro_ruud",
     "Ik heb in 2019 ooit een prijsfout bij een vliegmaatschappij gescoord, Amsterdam-New York voor 120 euro. "
     "Zoiets ga je bij Vlierhaven nooit meemaken haha")
case("en", "x", "@devnotes",
     "PSA: never commit keys. The AWS docs example AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY "
     "is fine in a README, a real one is not.")
case("nl", "mastodon", "@jorisvos@mastodon.nl",
     "Tip voor collega-devs: zet nooit tokens in je README. Gebruik placeholders als "
     "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx of postgres://user:<password>@localhost/db en laad de echte uit "
     "de vault.")
case("en", "x", "@ruben_codes",
     "Reminder from security training today: if you ever paste a log, redact it like `sk_live_****************` "
     "or `password=<redacted>`. Takes two seconds.")
case("nl", "x", "@wifi_wim",
     "Huisgids van ons vakantiehuis via Vlierhaven: 'wachtwoord wifi: zie koelkastdeur'. Heerlijk ouderwets 😂")
case("en", "reddit", "u/passkeyplease",
     "Is the Vlierhaven app ever going to support passkeys? Typing my password on the tiny keyboard every time "
     "is painful.", kind="comment")
case("nl", "x", "@argwaan_annie",
     "Kreeg een mail 'van Vlierhaven' dat ik de huur moest overmaken naar {{BAD_IBAN_NL}}. Nep toch? Mijn bankapp "
     "zegt dat het rekeningnummer niet eens bestaat.")
case("en", "x", "@earlybird_em",
     "My booking reference is VH-2026-448120 and the confirmation says check-in 15:00. Any chance we can arrive "
     "at 13:00? @vlierhaven_help", kind="reply")
case("nl", "forum", "pechvogel_jan",
     "Betaling bij Vlierhaven faalt steeds met 'ongeldig kaartnummer'. Ik typte {{BAD_CARD}}... oh wacht, twee "
     "cijfers omgedraaid 🤦", kind="comment")
case("en", "linkedin", "payroll-petra",
     "Our payroll tool just rejected BSN {{BAD_BSN}} for a new hire. Turns out the 11-proof catches typos. Neat bit "
     "of Dutch engineering.")
case("nl", "x", "@reisbranche_nieuws",
     "Concurrent Zomerhof Parks maakt vandaag de jaarcijfers bekend: omzet +6%, 120 banen weg op het hoofdkantoor.")
case("nl", "x", "@vlierhaven",
     "Vandaag publiceren we onze jaarcijfers 2026: omzet €212 miljoen (+14%) en voor het eerst winst. Dank aan al "
     "onze verhuurders en gasten 💚 Meer op vlierhaven.nl/investors", at="2027-02-24T09:30:00Z")
case("en", "linkedin", "daan-hoekstra-vlierhaven",
     "Yesterday we published our full-year 2026 results. Proud of this team: the first profitable year in "
     "Vlierhaven's history.", at="2027-02-25T08:15:00Z")
case("nl", "instagram", "@vlierhaven.stays",
     "Ze zijn er! 🚤 Vlierhaven Afloat: slapen op woonboten in Amsterdam, Gent en Utrecht. Nu te boeken.",
     at="2027-03-16T10:00:00Z")
case("en", "x", "@amstelroamer",
     "Just booked our first Vlierhaven Afloat stay, a houseboat on the Amstel for May 🛶", at="2027-03-20T19:12:00Z")
case("nl", "x", "@vlierhaven",
     "Save the date: op 24 februari om 08:00 publiceren we onze jaarcijfers over vorig jaar. Webcast voor "
     "beleggers om 10:00.", at="2027-02-10T11:00:00Z")
case("nl", "x", "@dijkwerker",
     "Na de dijkdoorbraak van 1953 is Zeeland nooit meer hetzelfde geworden. Mooie expo in Ouwerkerk, aanrader "
     "als je een huisje in de buurt huurt.")
case("en", "x", "@k_oduya",
     "Update: @vlierhaven_help sorted the double charge within an hour and threw in a voucher. Fair play, that's "
     "how you do it 👏")
case("nl", "facebook", "Joke.Verhoeven",
     "Hadden eerst geen warm water in het Chalet La Roche, maar de verhuurder stond binnen een uur met een monteur "
     "op de stoep. Top geregeld!", name="Joke Verhoeven")
case("en", "bluesky", "@wadden.walker.bsky.social",
     "Thinking of everyone on Texel after last night's storm. Vlierhaven is rebooking guests for free, which is "
     "decent of them.")
case("nl", "x", "@vlierhaven",
     "Onze gedachten zijn bij de inwoners van Zuid-Limburg na het noodweer. Gasten met een boeking in de regio "
     "kunnen kosteloos omboeken.")
case("en", "reddit", "u/dadjokes_daily",
     "My kid asked if the 'Wellness Cabin' means the cabin itself goes to the spa. Vlierhaven marketing, this "
     "one's for you 😂", kind="comment")
case("nl", "tiktok", "@lotje.reist",
     "POV: je vriend zegt 'het is maar een tiny house' en je zit 3 dagen in 18m² met 2 honden 😭😂 (wel echt een "
     "schattig huisje in Schoorl hoor)")
case("en", "x", "@worried_daughter",
     "Does the Vlierhaven Annuleringsverzekering Compleet cover a hospital stay? €79 seems steep but my mum is 82.")
case("nl", "x", "@bnb_bertus",
     "Is het VlierKey slot een beetje veilig? Overweeg het voor mijn B&B, iemand ervaring mee?")
case("en", "mastodon", "@jdk@infosec.exchange",
     "Shout-out to Vlierhaven's security team for a quick, professional response to my bug bounty report (fixed, "
     "and disclosed with their OK). security@vlierhaven.nl if you find something.")
case("nl", "linkedin", "vlierhaven-vakantiehuizen",
     "Storing opgelost ✅ Vanochtend was inloggen tussen 07:00 en 08:30 niet mogelijk. Excuses voor het ongemak, "
     "alles werkt weer.")
case("en", "x", "@privacyfirst_ed",
     "Big data breach at a UK hotel chain today, 2m guest records out there. Glad I mostly book small places "
     "these days.")
case("nl", "x", "@zeeuwsezon",
     "Ik boycot sowieso alle cruiseschepen, dus dit jaar gewoon een huisje via Vlierhaven in Zeeland 🌊")
case("en", "threads", "@marco.b",
     "Lawsuit with my old landlord is finally over, so to celebrate: a week in the Duinvilla Texel 🏖️")
case("nl", "x", "@wadkok",
     "Zeekraal geplukt bij de kwelder naast ons vakantiehuisje, even kort geblancheerd met wat boter. Heerlijk! 🌿")
case("nl", "x", "@vlierhaven_help",
     "@the_travelling_vos Hoi Anna, wat vervelend! Stuur je ons een DM met je boekingsnummer? Deel je "
     "telefoonnummer liever niet openbaar 🙏", kind="reply")
case("nl", "instagram", "@femke.hostsupport",
     "Zaterdag met het hele Vlierhaven-team naar het strand in Scheveningen 🏖️ Beste collega's ever!")
case("en", "linkedin", "noor-bouzid",
     "Thrilled to share that Vlierhaven has been named one of the Top 50 employers in the Netherlands 🎉 We're "
     "hiring: jobs@vlierhaven.nl")
case("nl", "x", "@marloes_vh",
     "Vandaag mijn 5-jarig jubileum bij Vlierhaven gevierd met taart 🎂 Dank aan alle lieve klanten die soms gewoon "
     "even bellen om te zeggen dat het huisje top was.")
case("en", "x", "@ruben_codes", "Finally shipped dark mode in the Vlierhaven app 🌙 go update!")
case("nl", "bluesky", "@ilseterpstra.bsky.social",
     "Nieuwe feature live: je kunt in de app nu filteren op huisdiervriendelijke huisjes 🐶 Feedback welkom!")
case("en", "x", "@twinmum_sophie",
     "my husband is such an idiot, he booked the Waterlodge for the wrong weekend 🤦‍♀️ luckily Vlierhaven let us "
     "move it for free")
case("nl", "x", "@natte_nelleke",
     "Klote weer in Zoutelande, maar het huisje is zo knus dat we gewoon lekker binnen blijven 🌧️☕")
case("en", "reddit", "u/ardennes_planner",
     "Compared three sites for a week in the Ardennes: Chalet La Roche was €1,180 on Vlierhaven and €1,240 "
     "elsewhere. So not always the most expensive option.", kind="comment")
case("nl", "x", "@gered_gezin",
     "Tip voor wie ooit vastzit: het noodnummer van Vlierhaven (0800-8437) is echt 24/7 bereikbaar, ze hebben ons "
     "vannacht gered met een nieuwe sleutelcode 🙏")
case("en", "facebook", "Linda.Farrell.uk",
     "Warning: a scam listing copying Vlierhaven photos asks you to pay to {{BAD_IBAN_BE}}. The real Vlierhaven "
     "never asks for bank transfers outside the app.", name="Linda Farrell")
case("en", "x", "@groupleader_gus",
     "Which is better for a group of 14, the Groepsboerderij Hindeloopen or two separate cottages? Prices look "
     "similar (~€1,850 for the weekend).")
case("en", "x", "@l33t_traveller", "th1s c4bin is l1t 🔥🔥 #vlierhaven")
case("nl", "x", "@trouwe_gast",
     "Gisteren een pakketje van Vlierhaven gekregen met een fles wijn voor ons 10e verblijf, wat attent 🍷 @vlierhaven")
case("en", "youtube", "@cabinreviews",
     "Full review of the Skichalet Sölden: €3,200 for the week, sleeps 10, sauna, ski-in/ski-out. Worth it if you "
     "split it.")
case("nl", "threads", "@vlierhaven.stays",
     "Tip van ons team: boek de Annuleringsverzekering Compleet (€79) direct bij je reservering, dan ben je ook "
     "gedekt bij ziekte van een reisgenoot.")


# --------------------------------------------------------------------------- build
ALLOWED_PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
                     "mastodon", "bluesky", "threads", "forum", "blog", "other"}
ALLOWED_KINDS = {"post", "reply", "repost", "comment", "message"}
CATEGORIES = {CMP, CRI, ABU, CON, FIN, SEC, KEY, PII, PRC}
SEV = ["none", "info", "warning", "error", "critical"]

IBAN_LEN = {"NL": 18, "BE": 16, "DE": 22}
IBAN_RE = re.compile(r"\b(NL|BE|DE)(\d{2})((?: ?[A-Z0-9]{4}){2,5}(?: ?[A-Z0-9]{1,4})?)")
CARD_RE = re.compile(r"(?<![\w-])(?:\d[ -]?){12,18}\d(?![\w-])")
BSN_RE = re.compile(r"(?<![\w.-])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\w-])")


def role_of(profile, platform, handle):
    key = ("%s:%s" % (platform, handle)).lower()
    if key in {a.lower() for a in profile["accounts"]["corporate"]}:
        return "corporate"
    if key in {a.lower() for a in profile["accounts"]["employee"]}:
        return "employee"
    return "public"


def severity(cats, role, validated_id):
    lvl = 0
    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                s = 3
                if c in (KEY, PRC) or (c == PII and validated_id):
                    s = 4
            else:
                s = 2
        elif c == CMP:
            s = 2
        elif c == CRI:
            s = 3
        elif c == ABU:
            s = 3 if insider else 2
        else:
            raise ValueError(c)
        lvl = max(lvl, s)
    return SEV[lvl]


def scan_ids(text, public_ibans):
    """Identifier look-alikes in text: list of (kind, value, valid)."""
    found = []
    for m in IBAN_RE.finditer(text):
        raw = re.sub(" ", "", m.group(0))
        cc = raw[:2]
        cand = raw[:IBAN_LEN[cc]]
        if len(cand) == IBAN_LEN[cc]:
            found.append(("iban", cand, iban_valid(cand), cand in public_ibans))
    for m in CARD_RE.finditer(text):
        digits = re.sub(r"\D", "", m.group(0))
        if 13 <= len(digits) <= 19:
            found.append(("card", digits, luhn_valid(digits), False))
    for m in BSN_RE.finditer(text):
        digits = re.sub(r"\D", "", m.group(0))
        found.append(("bsn", digits, bsn_valid(digits), False))
    return found


def rand_time_2026():
    start = dt.datetime(2026, 1, 3, tzinfo=dt.timezone.utc)
    secs = rng.randint(0, int((dt.datetime(2026, 12, 28, tzinfo=dt.timezone.utc) - start).total_seconds()))
    return (start + dt.timedelta(seconds=secs)).strftime("%Y-%m-%dT%H:%M:%SZ")


def main():
    profile = yaml.safe_load(open(PROFILE, encoding="utf-8"))
    errors = []

    def check(cond, msg):
        if not cond:
            errors.append(msg)

    # --- profile sanity
    pub_ibans = [re.sub(" ", "", i) for i in profile["public_identifiers"]["ibans"]]
    for i in pub_ibans:
        check(iban_valid(i), "profile IBAN fails mod-97: %s" % i)
    check(len(profile["accounts"]["corporate"]) >= 6, "need 6+ corporate accounts")
    check(len(profile["accounts"]["employee"]) >= 8, "need 8+ employee accounts")
    check(len(profile["internal"]["codenames"]) == 3, "need 3 codenames")
    check(len(profile["internal"]["markers"]) == 3, "need 3 markers")
    check(15 <= len(profile["products"]) <= 25, "need 15-25 products")
    check(profile["pricing"]["alert_below_ratio"] == 0.5, "alert_below_ratio")
    for e in profile["embargo"]:
        check(str(e["until"]).startswith("2027"), "embargo until must be in 2027")
    for p in profile["products"]:
        check(p["currency"] == "EUR" and p["aliases"] and p["list_price"] > 0, "product %s" % p["name"])
    GENERATORS["PUBLIC_IBAN"] = lambda: group4(pub_ibans[0])

    # --- shuffle deterministically, assign ids and timestamps
    order = list(range(len(C)))
    rng.shuffle(order)
    rows = []
    seen_ids = set()
    for n, idx in enumerate(order, 1):
        c = C[idx]
        inserted = []

        def sub(m):
            kind = m.group(1)
            val = GENERATORS[kind]()
            inserted.append((kind, val))
            return val

        text = re.sub(r"\{\{([A-Z_]+)\}\}", sub, c["text"])
        check("{{" not in text, "unfilled placeholder in case %d" % idx)
        role = role_of(profile, c["platform"], c["handle"])
        ids = scan_ids(text, pub_ibans)
        cats = sorted(set(c["cats"]))
        positive = bool(cats)
        validated = any(v and not pub for (_, _, v, pub) in ids)
        for kind, val, ok, pub in ids:
            if positive:
                check(ok, "positive case %d: %s %s fails its checksum" % (idx, kind, val))
            else:
                check(pub or not ok, "benign case %d: %s %s passes its checksum" % (idx, kind, val))
        for kind, val in inserted:
            if kind in VALID_ID_KINDS:
                check(positive and PII in cats, "valid identifier outside a pii case %d" % idx)
                check(any(v.replace(" ", "") == re.sub(r"\D", "", val) or v == re.sub(r"[ -]", "", val)
                          for _, v, _, _ in ids), "scanner missed %s in case %d" % (kind, idx))
            if kind in BAD_ID_KINDS:
                check(not positive, "look-alike identifier in a positive case %d" % idx)
                check(any(not ok for _, _, ok, _ in ids), "scanner missed look-alike in case %d" % idx)
            if kind in SECRET_KINDS:
                check(KEY in cats, "generated secret outside a secret case %d" % idx)
            if kind == "GHP":
                check(github_valid(val), "bad github token")
            if kind == "AWS_ID":
                check(re.fullmatch(r"AKIA[A-Z2-7]{16}", val) is not None, "bad aws id")
            if kind == "JWT":
                h = val.split(".")[0]
                hdr = json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)))
                check("alg" in hdr and len(val.split(".")) == 3, "bad jwt")
        if PII in cats and any(k in VALID_ID_KINDS for k, _ in inserted):
            check(validated, "validated identifier not detected in case %d" % idx)
        # benign posts: no live-looking credentials
        if not positive:
            for tok in re.findall(r"gh[pousr]_[0-9A-Za-z]{36}", text):
                check(not github_valid(tok), "benign case %d has a valid github token" % idx)
            for tok in re.findall(r"AKIA[A-Z2-7]{16}", text):
                check(tok.endswith("EXAMPLE"), "benign case %d has a live-looking AWS id" % idx)
            check(re.search(r"sk_live_[0-9A-Za-z]{10,}", text) is None, "benign stripe key %d" % idx)
            check(re.search(r"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+", text) is None, "benign jwt %d" % idx)
        sev = severity(cats, role, validated)
        at = c["at"] or rand_time_2026()
        pid = "vh242-%s-%03d" % (c["platform"], n)
        check(pid not in seen_ids, "duplicate id")
        seen_ids.add(pid)
        post = {"id": pid, "platform": c["platform"], "kind": c["kind"],
                "account": {"handle": c["handle"]}, "text": text, "lang": c["lang"],
                "created_at": at, "brand": "vlierhaven"}
        if c["name"]:
            post["account"]["display_name"] = c["name"]
        rows.append({"post": post, "expect": {"categories": cats, "severity": sev}})

    # --- embargo: every embargoed term before `until` sits in a confidential case; after it, benign is fine
    for r in rows:
        t = r["post"]["text"].lower()
        at = dt.datetime.fromisoformat(r["post"]["created_at"].replace("Z", "+00:00"))
        for e in profile["embargo"]:
            until = dt.datetime.fromisoformat(str(e["until"]).replace("Z", "+00:00"))
            if any(term.lower() in t for term in e["terms"]):
                if at < until:
                    check(CON in r["expect"]["categories"], "embargo term before until not labelled: %s" % r["post"]["id"])
                else:
                    check(CON not in r["expect"]["categories"], "embargo term after until labelled: %s" % r["post"]["id"])

    # --- CONTRACT section 6 validity
    for r in rows:
        p, e = r["post"], r["expect"]
        check(isinstance(p["id"], str) and 1 <= len(p["id"]) <= 256, "id")
        check(p["platform"] in ALLOWED_PLATFORMS, "platform %s" % p["platform"])
        check(p["kind"] in ALLOWED_KINDS, "kind")
        check(isinstance(p["account"]["handle"], str) and p["account"]["handle"], "handle")
        check(isinstance(p["text"], str) and 0 < len(p["text"].encode("utf-8")) <= 65536, "text")
        try:
            ts = dt.datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
            check(ts.tzinfo is not None and ts.year in (2026, 2027), "created_at year")
        except ValueError:
            errors.append("created_at not RFC 3339: %s" % p["created_at"])
        check(set(e["categories"]) <= CATEGORIES, "categories")
        check(e["categories"] == sorted(set(e["categories"])), "categories sorted")
        check(e["severity"] in SEV, "severity")
        check((e["severity"] == "none") == (not e["categories"]), "severity none iff benign")

    # --- the mix
    n = len(rows)
    benign = sum(1 for r in rows if not r["expect"]["categories"])
    per = {c: sum(1 for r in rows if c in r["expect"]["categories"]) for c in sorted(CATEGORIES)}
    nl = sum(1 for r in rows if r["post"]["lang"] == "nl")
    check(170 <= n <= 180, "case count %d" % n)
    check(55 <= benign <= 65, "benign count %d" % benign)
    check(0.48 <= nl / n <= 0.62, "dutch share %.2f" % (nl / n))
    check(len({r["post"]["text"] for r in rows}) == n, "duplicate texts")

    if errors:
        for e in errors:
            print("CHECK FAILED:", e, file=sys.stderr)
        sys.exit(1)

    with open(OUT, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    # re-read and re-validate the written file
    back = [json.loads(l) for l in open(OUT, encoding="utf-8")]
    assert back == rows
    sev_hist = {}
    for r in rows:
        sev_hist[r["expect"]["severity"]] = sev_hist.get(r["expect"]["severity"], 0) + 1
    print("ok: %d cases, %d benign, %d nl (%.0f%%)" % (n, benign, nl, 100.0 * nl / n))
    print("per category:", json.dumps(per))
    print("severities:", json.dumps(sev_hist, sort_keys=True))


if __name__ == "__main__":
    main()
