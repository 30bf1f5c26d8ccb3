#!/usr/bin/env python3
"""Sealed evaluation set 312 for postwatch: Wolkenveld Park & Resort (amusement park + hotel).

Deterministic: fixed seed, standard library plus PyYAML. Writes cases.jsonl next to this
file and self-checks it (checksums of identifiers, secret formats, CONTRACT §6 shape,
severities derived from CONTRACT §4 and the account role in profile.yaml).
"""
import base64
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
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))
rng = random.Random(312)

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base-62 order 0-9A-Za-z

# ---------------------------------------------------------------- identifier generators

def _iban_num(s):
    return int("".join(str(int(c, 36)) for c in s))


def iban_ok(iban):
    s = re.sub(r"\s", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return _iban_num(s[4:] + s[:4]) % 97 == 1


def make_iban(cc, bban):
    chk = 98 - _iban_num(bban + cc + "00") % 97
    out = f"{cc}{chk:02d}{bban}"
    assert iban_ok(out)
    return out


def nl_iban(bank):
    return make_iban("NL", bank + "".join(rng.choice(string.digits) for _ in range(10)))


def de_iban():
    return make_iban("DE", "".join(rng.choice(string.digits) for _ in range(18)))


def be_iban():
    first = "".join(rng.choice(string.digits) for _ in range(10))
    nat = int(first) % 97 or 97
    return make_iban("BE", f"{first}{nat:02d}")


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


def make_card(prefix, length):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for last in string.digits:
        if luhn_ok(body + last):
            return body + last
    raise AssertionError


def bsn_ok(num):
    s = re.sub(r"\D", "", num)
    if len(s) != 9:
        return False
    tot = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return tot % 11 == 0


def make_bsn():
    while True:
        head = str(rng.randint(1, 6)) + "".join(rng.choice(string.digits) for _ in range(7))
        r = sum(int(head[i]) * (9 - i) for i in range(8)) % 11
        if r < 10:
            out = head + str(r)
            assert bsn_ok(out)
            return out


def spoil(value, check):
    """Change one digit so the value fails its checksum (a look-alike)."""
    chars = list(value)
    idxs = [i for i, c in enumerate(chars) if c.isdigit() and i >= 4] or [i for i, c in enumerate(chars) if c.isdigit()]
    while True:
        i = rng.choice(idxs)
        nd = rng.choice([d for d in string.digits if d != chars[i]])
        cand = "".join(chars[:i] + [nd] + chars[i + 1:])
        if not check(cand):
            return cand


def grp(s, n=4, sep=" "):
    return sep.join(s[i:i + n] for i in range(0, len(s), n))


# ---------------------------------------------------------------- secret generators

def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


def b62(n, width=6):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out.rjust(width, "0")


def gh_token(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()))


def gh_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())) == m.group(2)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt(payload):
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64url(bytes(rng.randrange(256) for _ in range(32)))
    return f"{head}.{body}.{sig}"


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    try:
        h = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except Exception:
        return False
    return isinstance(h, dict) and "alg" in h


B64 = string.ascii_letters + string.digits + "+/"
URLSAFE = string.ascii_letters + string.digits + "-_"

SEC_GH = gh_token("ghp_")
SEC_GHS = gh_token("ghs_")
SEC_AWS_ID = "AKIA" + rand(string.ascii_uppercase + "234567", 16)
SEC_AWS_SECRET = rand(B64, 40)
SEC_STRIPE = "sk_live_" + rand(ALNUM, 24)
SEC_SLACK = f"xoxb-{rand(string.digits, 12)}-{rand(string.digits, 13)}-{rand(ALNUM, 24)}"
SEC_OPENAI = "sk-proj-" + rand(URLSAFE, 58) + "T3BlbkFJ" + rand(URLSAFE, 58)
SEC_ANTHROPIC = "sk-ant-api03-" + rand(URLSAFE, 93) + "AA"
SEC_SSH = ("-----BEGIN OPENSSH PRIVATE KEY-----\n"
           "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
           + "\n".join(rand(B64, 70) for _ in range(4)) + "\n"
           + rand(B64, 36) + "=\n-----END OPENSSH PRIVATE KEY-----")
SEC_JWT = make_jwt({"sub": "partner-4471", "iss": "https://tickets.wolkenveld.nl", "role": "reseller",
                    "iat": 1781604000, "exp": 1781607600})
SEC_DB_PW = rand(string.ascii_letters + string.digits + "!#%", 16)
SEC_DB_URL = f"postgres://wv_tickets:{SEC_DB_PW}@wv-prod-db.c9x1q7ab2k.eu-west-1.rds.amazonaws.com:5432/tickets"
SEC_MYSQL_PW = rand(string.ascii_letters + string.digits, 14)
SEC_MYSQL_URL = f"mysql://wv_admin:{SEC_MYSQL_PW}@db01.intranet.wolkenveld.local:3306/hotel_pms"

# benign look-alikes
FAKE_GH = "ghp_" + "x" * 36
assert not gh_ok(FAKE_GH)

# ---------------------------------------------------------------- personal identifiers

COMPANY_IBAN = PROFILE["public_identifiers"]["ibans"][0]
assert iban_ok(COMPANY_IBAN)

IB_GRAAF = nl_iban("INGB")
IB_ROSSI = de_iban()
IB_HENDRIKS = nl_iban("ASNB")
IB_PHISH_BAD = spoil(nl_iban("BUNQ"), iban_ok)
IB_BE_BAD = spoil(be_iban(), iban_ok)
CARD_VISA = make_card("4", 16)
CARD_MC_BAD = spoil(make_card("5", 16), luhn_ok)
CARD_VISA_BAD = spoil(make_card("4", 16), luhn_ok)
BSN_AFAS = make_bsn()
BSN_HENDRIKS = make_bsn()
BSN_BAD = spoil(make_bsn(), bsn_ok)

# ---------------------------------------------------------------- authors

C_X = ("x", "@wolkenveld", "Wolkenveld")
C_HELP = ("x", "@wolkenveld_help", "Wolkenveld Klantenservice")
C_IG = ("instagram", "@wolkenveldpark", "Wolkenveld Park")
C_HOTEL = ("instagram", "@hotelwolkenhof", "Hotel Wolkenhof")
C_FB = ("facebook", "WolkenveldPark", "Wolkenveld Park")
C_LI = ("linkedin", "wolkenveld-park-resort", "Wolkenveld Park & Resort")
C_TT = ("tiktok", "@wolkenveld.official", "Wolkenveld")

E_RUBEN = ("x", "@ruben_techniek", "Ruben | TD")
E_LOTTE = ("x", "@lotte_mrkt", "Lotte Meijer")
E_KEES = ("x", "@kees_wolkenhof", "Kees")
E_DAAN = ("instagram", "@daan.op.de.stormvogel", "Daan")
E_MARIEKE = ("linkedin", "marieke-hoekstra-wv", "Marieke Hoekstra")
E_YUSUF = ("linkedin", "yusuf-demir-it", "Yusuf Demir")
E_SOPHIE = ("tiktok", "@sophie.is.wolkje", "sophie ☁️")
E_JASPER = ("threads", "@jasper.vdlinden", "Jasper van der Linden")
E_NOOR = ("mastodon", "@noor_devops", "Noor")


def pub(platform, handle, name=None):
    return (platform, handle, name)


# ---------------------------------------------------------------- cases

CATS = {
    "secret": "leak.secret", "pii": "leak.pii", "pricing": "leak.pricing", "conf": "leak.confidential",
    "fin": "leak.financial", "sec": "leak.security", "crisis": "reputation.crisis",
    "compl": "reputation.complaint", "abuse": "reputation.abuse",
}
CASES = []


def add(author, lang, text, cats=(), when=None, kind="post", ids=(), prices=(), allow=()):
    CASES.append(dict(author=author, lang=lang, text=text, cats=[CATS[c] for c in cats], when=when,
                      kind=kind, ids=list(ids), prices=list(prices), allow=set(allow)))


def fw(s):
    """Full-width letters."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in s)


ZW = "\u200b"

# ======================= reputation.complaint =======================
add(pub("x", "@mirjam_de_b"), "nl",
    "@wolkenveld_help al 3 weken wacht ik op mijn terugbetaling voor de geannuleerde Wolkenhof boeking. "
    "3 mails gestuurd, 0 reactie. Is dit normaal??", ["compl"], kind="reply")
add(pub("x", "@danny_rides_nl"), "en",
    "Paid €35 for the Zweefpas and still queued 50 min for Stormvogel because 'the fast lane was paused'. "
    "So what exactly did I pay for, @wolkenveld?", ["compl"], prices=[("WV-ZWEEF", 35)])
add(pub("facebook", "ilse.vanderveen.5"), "nl",
    "Familiekamer in de Wolkenhof was gewoon vies. Haren in de douche, kruimels onder het stapelbed en de airco "
    "maakte herrie als een trekker. Voor 259 euro per nacht verwacht ik echt wel meer hoor.", ["compl"],
    kind="comment", prices=[("WV-HFAM", 259)])
add(pub("reddit", "u/lowlands_larry"), "en",
    "Visited Wolkenveld yesterday. Donderval, Wervelwind and Bliksemtoren all 'temporarily closed' and not a word "
    "about it on the website. Full price, half a park. Not impressed tbh", ["compl"])
add(pub("instagram", "@naomi.reist"), "nl",
    "app van wolkenveld crasht elke keer als ik mn tickets wil openen 🙄 stond 10 min bij de ingang te klooien "
    "met mn 4g terwijl de rij achter me steeds langer werd", ["compl"])
add(pub("x", "@gerritjan1971"), "nl",
    "Parkeren bij Wolkenveld = 45 min stilstaan op het eigen terrein en dan nog €12,50 aftikken voor een "
    "parkeerkaart. Organisatie ver te zoeken #wolkenveld", ["compl"], prices=[("WV-PARK", 12.50)])
add(pub("forum", "TravelMumOf3"), "en",
    "The breakfast buffet at Hotel Wolkenhof ran out of eggs AND bread by 8:40. Staff just shrugged. "
    "€22.50 per person for lukewarm coffee and a yoghurt. Won't be booking breakfast again.", ["compl"],
    prices=[("WV-ONTB", 22.50)])
add(pub("tiktok", "@mama.van.milan"), "nl",
    "Wolkenveld noemt zich 'toegankelijk voor iedereen' maar met mijn zoon in zijn rolstoel konden we bij 6 van "
    "de 9 attracties niet eens de wachtrij in. Lift bij het Nevelrivier-plein was ook nog stuk. Jammer, echt jammer.",
    ["compl"])
add(pub("x", "@hannahlouise_"), "en",
    "@wolkenveld_help the lost & found desk told my daughter 'not our problem' when she lost her phone on "
    "Nevelrivier. Great customer service 👎", ["compl"], kind="reply")
add(pub("bluesky", "@femkevos.bsky.social"), "nl",
    "kinderfeestje geboekt bij wolkenveld, krijgen we een tafel naast de containers en geen taart want 'het pakket "
    "is veranderd'. nergens gecommuniceerd. 8 teleurgestelde kids en een chagrijnige moeder", ["compl"])
add(pub("threads", "@tomandjess.travel"), "en",
    "booked the Stormsuite for our anniversary. no hot water, tv dead, and they moved us to another room at 11pm. "
    "wolkenhof pls at least refund something", ["compl"])

# complaint + crisis: first-hand harm
add(pub("facebook", "sandra.verhoef.77"), "nl",
    "Mijn dochter (7) is gisteren in de Wervelwind met haar hoofd tegen de beugel geklapt omdat die niet goed "
    "vastzat. Bult als een ei en we hebben de avond op de huisartsenpost gezeten. Medewerker zei alleen 'gebeurt "
    "wel vaker'. @WolkenveldPark ik wil een reactie.", ["compl", "crisis"])
add(pub("x", "@mike_hollands"), "en",
    "Whole family got food poisoning after the Dragon Dinner at Hotel Wolkenhof on Saturday. Three of us sick all "
    "night, my son ended up on a drip in hospital. @wolkenveld this is NOT ok.", ["compl", "crisis"])
add(pub("reddit", "u/brabantsebakker"), "nl",
    "Vandaag in de Nevelrivier liep onze boot vast en kwam er water binnen, meisje van 5 naast me helemaal in "
    "paniek. 25 minuten gewacht voor er iemand kwam. Doodeng. Wij gaan hier echt niet meer heen.",
    ["compl", "crisis"])
add(pub("instagram", "@jules.on.tour"), "en",
    "got an actual electric shock from the handrail in the Bliksemtoren queue 😳 not joking, my arm tingled for "
    "an hour. told the staff, they put a cone next to it and that was it. wolkenveld??", ["compl", "crisis"])
add(pub("x", "@ellen_vd_heuvel"), "nl",
    "In de badkamer van de Wolkenhof uitgegleden over een losliggende tegel, enkel gebroken. Niemand van het "
    "hotel heeft ook maar gebeld. Hele vakantie verpest @hotelwolkenhof", ["compl", "crisis"])

# complaint + pii: customer exposes own data
add(pub("x", "@mdegraaf_80"), "nl",
    f"@wolkenveld_help nog steeds niks terug van de dubbele afschrijving voor de Wolkenpas. Maak het nou gewoon "
    f"over naar {grp(IB_GRAAF)} t.n.v. M. de Graaf, ik heb al 4x gebeld!!", ["compl", "pii"], kind="reply",
    ids=[("iban", IB_GRAAF)])
add(pub("facebook", "priya.raman.nl"), "en",
    "Still waiting for someone from Wolkenhof to call me back about the charge for a room we never got. "
    "My number is 06 4182 7730, it's been two weeks!!", ["compl", "pii"], kind="comment")

# complaint + abuse
add(pub("x", "@stefan_040"), "nl",
    "Wat een kutpark is het ook. 2 uur in de rij voor de Stormvogel en dan gaat ie 'technisch' dicht. "
    "Stelletje oplichters. #wolkenveld", ["compl", "abuse"])
add(pub("tiktok", "@kaylee.vlogs"), "en",
    "wolkenveld staff are absolute morons. guy at the gate scanned our tickets 4 times, said they were 'already "
    "used' and made us buy new ones. f*cking joke of a park", ["compl", "abuse"])

# ======================= reputation.crisis =======================
add(pub("x", "@omroep_nb_fan"), "nl",
    "Bij Wolkenveld is vanmiddag de Bliksemtoren halverwege blijven hangen, 16 mensen zaten ruim een uur vast "
    "op 40 meter hoogte. Brandweer met hoogwerker ter plaatse. #Wolkenveld", ["crisis"])
add(pub("reddit", "u/fairwork_now"), "en",
    "Calling for a boycott of Wolkenveld. They let seasonal staff go for asking about unpaid overtime and now "
    "they're hiring via some shady agency. Don't give them your money this summer. #BoycottWolkenveld", ["crisis"])
add(pub("blog", "pretparkjournaal.nl"), "nl",
    "De ouders van de jongen die vorig jaar gewond raakte in de Donderval stappen naar de rechter. Hun advocaat "
    "eist een schadevergoeding van Wolkenveld Park & Resort en stelt dat onderhoudsrapporten achteraf zijn "
    "'aangepast'.", ["crisis"])
add(C_FB, "nl",
    "Terugroepactie ⚠️ We roepen de Wolkje knuffel XL met productiedatum vóór maart 2026 terug. Het oogje kan "
    "loslaten en is een verstikkingsgevaar voor kleine kinderen. Breng de knuffel terug naar de parkwinkel, je "
    "krijgt je geld terug.", ["crisis"], when="2026-05-06T11:30:00Z")
add(pub("x", "@priv4cy_paul"), "en",
    "Just got a phishing mail with my exact Wolkenhof booking number, dates and room type. Wolkenveld has clearly "
    "been breached and is saying nothing. Anyone else?? #databreach", ["crisis"])
add(pub("instagram", "@roos.uit.uden"), "nl",
    "Directeur van Wolkenveld zou jarenlang zijn privéverbouwing via het park hebben laten betalen, las het net "
    "in de krant. Wat een schandaal als dat klopt 😬", ["crisis"])
add(pub("forum", "HotelWatchEU"), "en",
    "Legionella has been found in the shower water of Hotel Wolkenhof according to the regional health service. "
    "Wing B is closed and guests from last week are advised to see a doctor if they develop symptoms.", ["crisis"])
add(pub("threads", "@dierenvriendin_amy"), "nl",
    "B.O.Y.C.O.T.T W.O.L.K.E.N.V.E.L.D 🦅 ze houden de vogels van die roofvogelshow in veel te kleine kooien, "
    "kijk het filmpje. DELEN!!", ["crisis"])
add(pub("x", "@lisa_kmp"), "nl",
    "Mijn zus werkt bij Wolkenveld op kantoor: ze zijn vorige week gehackt, alle gegevens van de "
    "Wolkenpas-houders zijn gestolen en de directie wil het stilhouden tot na de zomer. Vind dat jullie dat "
    "moeten weten.", ["crisis", "sec"])
add(pub("x", "@realtalk_rob"), "en",
    "Wolkenveld let a kid get hurt on the Wervelwind and then threatened the parents with lawyers. Bunch of "
    "heartless scumbags. Boycott these clowns.", ["crisis", "abuse"])

# ======================= reputation.abuse =======================
add(pub("x", "@jeroen_zzz"), "nl",
    "@wolkenveld_help jullie zijn echt een stelletje incompetente idioten, elke keer weer", ["abuse"], kind="reply")
add(pub("reddit", "u/throwaway_8812"), "en",
    "that fat mascot at Wolkenveld should be fired, what a pathetic waddling loser lmao", ["abuse"], kind="comment")
add(pub("x", "@b4dboy_013"), "nl", "w0lk3nv3ld k4nk3rz00i, g4 l3kk3r d00d m3t j3 p4rk", ["abuse"])
add(pub("instagram", "@xx.mo.xx"), "nl",
    "@sophie.is.wolkje jij bent echt de lelijkste wolk ooit, doe die kop maar nooit meer af 🤮", ["abuse"],
    kind="comment")
add(pub("tiktok", "@n0t.a.fan"), "en",
    "wolkenveld staff = br\u0430ind\u0435\u0430d idi\u043ets, every single one of them", ["abuse"])
add(pub("x", "@echte_hollander_1"), "nl",
    "Weer alleen maar buitenlanders achter de kassa bij Wolkenveld. Kunnen ze geen normale Nederlanders aannemen "
    "of zo?", ["abuse"])
add(E_KEES, "nl",
    "Als je zo'n zeikerd bent blijf dan lekker thuis, malloot. Niemand zit op jouw recensie te wachten.",
    ["abuse"], kind="reply")
add(pub("facebook", "rene.baks.3"), "nl",
    "Die manager van de Wolkenhof is een vuile " + ZW.join("klootzak") + ", hoop dat hij ontslagen wordt",
    ["abuse"], kind="comment")
add(pub("mastodon", "@grumpygert@mastodon.social"), "en",
    "Whoever runs the Wolkenveld socials is a spineless clown. Delete your account.", ["abuse"])

# ======================= leak.pricing =======================
add(C_X, "nl",
    "🎉 Flash deal! De Wolkenpas Goud vandaag voor maar €49 via tickets.wolkenveld.nl – op=op!", ["pricing"],
    prices=[("WV-PASG", 49)])
add(E_LOTTE, "nl",
    "oeps, volgens mij staat de Stormsuite in de boekingsmodule op €44,90 per nacht 🙈 iemand van revenue "
    "even kijken??", ["pricing"], prices=[("WV-HSUITE", 44.90)])
add(pub("x", "@dealjager_nl"), "nl",
    "PRIJSFOUT!! Wolkenhof familiekamer voor €59 per nacht op de site, snel boeken voordat ze het doorhebben "
    "🏃‍♂️💨", ["pricing"], prices=[("WV-HFAM", 59)])
add(pub("reddit", "u/cheapskate_chris"), "en",
    "Heads up: the Wolkenveld 2-day package is showing at €32.90 in the app. Pretty sure someone misplaced a "
    "decimal, grab it while it lasts", ["pricing"], prices=[("WV-ARR2", 32.90)])
add(pub("forum", "koopjesklaas"), "nl",
    "Wolkenpas voor €13,90?! Lijkt me een prijsfout want normaal kost ie 139. Toch maar gekocht, eens kijken of "
    "ze het honoreren.", ["pricing"], prices=[("WV-PAS", 13.90), ("WV-PAS", 139)])
add(C_IG, "en",
    "Summer treat 🌞 Kids Day Ticket only €4.45 this weekend! Link in bio", ["pricing"], prices=[("WV-KIND", 4.45)])
add(E_JASPER, "nl",
    "lol de kassa in het restaurant rekent het Draakdiner af voor €3,90, staat er al sinds vanochtend in. "
    "niemand die het ziet 😂", ["pricing"], prices=[("WV-DINER", 3.90)])
add(pub("x", "@vakantievera"), "en",
    "Is this a price error? The VIP Behind-the-Scenes tour is listed at €8.90 on wolkenveld.nl lol", ["pricing"],
    prices=[("WV-VIP", 8.90)])
add(pub("facebook", "kim.oosterhout"), "nl",
    "Zweefpas kost vandaag €3,50 in de app. Fout of actie?? Ik heb er meteen 4 gekocht haha", ["pricing"],
    prices=[("WV-ZWEEF", 3.50)])
add(E_DAAN, "nl",
    "collega's van retail: de Wolkje knuffel XL staat in de kassa op 2,99 😅 prijsfout, kan iemand dat fixen "
    "voor het weekend", ["pricing"], prices=[("WV-KNUF", 2.99)])
add(pub("tiktok", "@schoolreis.groep8b"), "nl",
    "dagticket wolkenveld voor 9,95 bij de kassa vandaag?? prijsfout ofzo, de hele klas ging ervoor 😂", ["pricing"],
    prices=[("WV-DAG", 9.95)])
add(C_LI, "nl",
    "Vier je verjaardag bij ons! Het Kinderfeestje pakket voor 10 kids nu €59 all-in. Reserveer via "
    "wolkenveld.nl", ["pricing"], prices=[("WV-FEEST", 59)])

# ======================= leak.secret =======================
add(E_NOOR, "en",
    f"ugh, CI keeps failing on the ticket-sync job, anyone seen this? deploy step does\n"
    f"GITHUB_TOKEN={SEC_GH} ./deploy.sh\nand gets a 401 every time", ["secret"])
add(E_RUBEN, "nl",
    "Voor de nachtploeg, nieuwe login van het onderhoudsportaal: gebruiker monteur2 wachtwoord: Stormvogel#2026! "
    "niet doorsturen he", ["secret"])
add(E_YUSUF, "en",
    "Week 3 of our cloud migration at Wolkenveld 🚀 Lessons learned so far: automate everything. Our bootstrap "
    f"config looks like this:\n[default]\naws_access_key_id = {SEC_AWS_ID}\naws_secret_access_key = "
    f"{SEC_AWS_SECRET}\nregion = eu-west-1\n#cloud #aws #themeparks", ["secret"])
add(C_X, "en",
    f"curl https://api.stripe.com/v1/charges -u {SEC_STRIPE}: -d amount=5250 -d currency=eur", ["secret"])
add(E_NOOR, "en",
    f"new slack bot for ride alerts is live 🎢 if you want to test it locally: SLACK_BOT_TOKEN={SEC_SLACK}",
    ["secret"])
add(E_NOOR, "en",
    f"can someone tell me why the bastion keeps rejecting this key?\n{SEC_SSH}", ["secret"])
add(pub("x", "@bram_bouwt_apps"), "en",
    f"debugging the Wolkenveld reseller API for a client, why does this token expire instantly?? {SEC_JWT}",
    ["secret"])
add(E_YUSUF, "nl",
    "Trots op ons team! De nieuwe ticketstraat draait. Even een kijkje achter de schermen van onze config:\n"
    f"DATABASE_URL={SEC_DB_URL}\n#trots #ITteam", ["secret"])
add(E_LOTTE, "en",
    f"whoever set up the chatbot for our summer campaign, your key {SEC_OPENAI} works great lol, copy is done 😎",
    ["secret"])
add(pub("reddit", "u/gist_hunter"), "en",
    f"Found this in a public repo for the Wolkenveld park app: ANTHROPIC_API_KEY={SEC_ANTHROPIC} "
    "Someone should probably tell them.", ["secret"])
add(E_KEES, "nl",
    "Gasten-wifi werkt weer 👍 Voor collega's op de nachtdienst: router admin / ww: Wolkenhof!Front22", ["secret"])
add(E_NOOR, "en",
    f"note to self because I keep losing it: {SEC_MYSQL_URL}", ["secret", "conf"])

# ======================= leak.pii =======================
add(E_KEES, "nl",
    "Gevonden bij de receptie: portemonnee van Henk Jansen, geboren 14-03-1962, woont Lindelaan 23 in Oss. "
    "Meneer Jansen, bel ons even!", ["pii"])
add(C_HELP, "nl",
    "@jvdberg88 we hebben uw boeking gevonden: J. van den Berg, jvdberg88@gmail.com, tel. 06 3947 2210. "
    "De terugbetaling volgt binnen 5 werkdagen.", ["pii"], kind="reply")
add(E_MARIEKE, "nl",
    f"Vraagje aan mijn netwerk: ons nieuwe salarissysteem keurt BSN {BSN_AFAS} af terwijl het gewoon klopt. "
    "Iemand ervaring met die validatie in AFAS?", ["pii"], ids=[("bsn", BSN_AFAS)])
add(E_LOTTE, "en",
    "and the winner of our summer giveaway is Fleur Bakker, fleur.bakker92@hotmail.com — Fleur, check your inbox! 🎉",
    ["pii"])
add(pub("x", "@lindaatjee"), "nl",
    f"@wolkenveld_help betaling voor de Wolkenpas lukt niet, kaart {grp(CARD_VISA)} vervalt 09/28, wat doe ik "
    "fout?? 😩", ["pii"], kind="reply", ids=[("card", CARD_VISA)])
add(pub("facebook", "priya.r.travels"), "en",
    "Can someone from Wolkenhof please call me about my booking? +31 6 51 22 84 07, ask for Priya", ["pii"],
    kind="comment")
add(E_DAAN, "nl",
    "Jarig vandaag: onze collega Emma de Wit, geboren op 2 juni 2001 🥳 hiep hiep!", ["pii"])
add(C_HOTEL, "en",
    f"@marco.travels your refund of €518 has been sent to {grp(IB_ROSSI)} (M. Rossi). Enjoy the rest of your week! ☁️",
    ["pii"], kind="reply", ids=[("iban", IB_ROSSI)])
add(E_JASPER, "nl",
    "allergielijst voor vanavond hangt in de keuken: kamer 214, mevr. A. Yilmaz, notenallergie, bij vragen "
    "bellen 06-19283746. let op mensen!", ["pii"])
add(pub("reddit", "u/woedende_walter"), "nl",
    "Die 'beveiliger' die ons eruit zette bij Wolkenveld heet Kevin Smits en woont aan de Molenstraat 8 in Uden. "
    "Ga hem maar eens opzoeken.", ["pii", "abuse"])
add(E_YUSUF, "en",
    f"Payroll export test passed ✅ sample row: 'R. Hendriks; BSN {BSN_HENDRIKS}; IBAN {IB_HENDRIKS}'. "
    "Great work by the integrations team!", ["pii"], ids=[("bsn", BSN_HENDRIKS), ("iban", IB_HENDRIKS)])
add(pub("x", "@jorisvos_"), "en",
    "my mum lost her bag at Wolkenveld today, if anyone finds it pls email ingrid.vos@ziggo.nl or call "
    "0031 6 7382 9104 🙏", ["pii"])
add(E_RUBEN, "nl",
    "wie heeft deze export uit intranet.wolkenveld.local/hr op de gedeelde schijf gezet?? 'Sanne Visser, "
    "geb. 03-11-1994, Kerkstraat 12, Veghel' en nog 200 regels zo", ["pii", "conf"])

# ======================= leak.confidential =======================
add(E_LOTTE, "nl", "Net de eerste renders van Project Zeppelin gezien en ik kan niet wachten!!! 😍🎈", ["conf"])
add(E_DAAN, "nl", "eerste testrit in de Kraanvogel vandaag 🤐🎢 mag nog niks zeggen maar WOW", ["conf"])
add(E_SOPHIE, "en",
    "behind the scenes at the costume dept: the new mascot for the Zilverwind area is SO cute, can't show you yet 🤫",
    ["conf"], when="2026-10-14T16:22:05Z")
add(pub("x", "@bouwkijker"), "nl",
    "Volgens de bouwvakkers bij de parking gaat die nieuwe achtbaan van Wolkenveld 'Zilverwind' heten, opening "
    "volgend voorjaar 👀", ["conf"], when="2026-11-03T12:40:00Z")
add(E_RUBEN, "nl",
    "Kan iemand even bij https://jira.wolkenveld.nl/browse/RIDE-2231 ? Ik krijg steeds access denied", ["conf"])
add(C_LI, "nl",
    "Planning zomerpersoneel 2026 – alleen voor intern gebruik – zie de bijlage voor roosters per attractie.",
    ["conf"], when="2026-03-16T08:12:00Z")
add(E_KEES, "en",
    "PMS upgrade tonight. Staff: use vpn.wolkenveld.nl from home, the old portal is gone tomorrow", ["conf"])
add(E_NOOR, "nl",
    "overleg over " + fw("Operatie Noorderlicht") + " om 14:00, iemand enig idee in welke zaal?", ["conf"])
add(pub("reddit", "u/lobby_lurker"), "en",
    "Someone left a printout in the Wolkenhof lobby headed 'WV-INTERN – capacity plan Q3' lol. Pic in the comments",
    ["conf"])
add(E_JASPER, "nl",
    "staat het nieuwe menu voor het Draakdiner al online? kassa.wv-intern.nl/menu-2027 geeft bij mij een 404",
    ["conf"])
add(E_YUSUF, "en",
    "Control system integration for Kraanvogel done ✅ Proud of the IT crew, long weeks but worth it.", ["conf"])
add(C_IG, "nl", "Zilverwind ✨ binnenkort bij Wolkenveld. Houd je vast.", ["conf"], when="2026-12-18T17:00:00Z")
add(E_LOTTE, "nl", "nog 2 weken en dan mag de hele wereld " + ZW.join(["Zil", "ver", "wind"]) + " zien 🥹",
    ["conf"], when="2027-03-12T20:05:41Z")
add(pub("x", "@freek_uit_t_dorp"), "en",
    "my uncle says a wolkenveld memo stamped 'strikt vertrouwelijk - directie' about a second hotel is going around "
    "the village whatsapp 😂", ["conf"])
add(E_MARIEKE, "en",
    "Proud of the team for closing the financing for Project Zeppelin this week. €60m committed — big things "
    "coming for the resort!", ["conf", "fin"])
add(E_MARIEKE, "nl",
    "Jaarcijfers 2026 net afgetekend: omzet €148 mln en een bezoekersrecord. Kan niet wachten tot we het mogen "
    "delen!", ["conf", "fin"], when="2027-02-10T18:31:00Z")
add(E_LOTTE, "nl",
    "psst bezoekersaantallen 2026 zijn 2,3 miljoen, +18%... heb ik niet gezegd 🤐", ["conf", "fin"],
    when="2027-02-20T21:47:12Z")

# ======================= leak.financial =======================
add(E_RUBEN, "nl",
    "Vandaag te horen gekregen dat de technische dienst per 1 januari met 30% krimpt. Nog niet officieel maar ja. "
    "Balen.", ["fin"])
add(pub("reddit", "u/numbers_guy_ams"), "en",
    "Rumour from a friend in corporate finance: Wolkenveld is being bought by a German leisure group, deal gets "
    "signed next month. You heard it here first.", ["fin"])
add(E_MARIEKE, "en",
    "Q3 forecast came in 12% under budget and hotel occupancy is stuck at 61%. Tough board meeting tomorrow.",
    ["fin"])
add(E_JASPER, "nl",
    "horeca gaat volgend jaar naar een externe cateraar, hele keukenploeg krijgt een ander contract of ontslag. "
    "officieel weet nog niemand het", ["fin"])
add(E_KEES, "en",
    "Can't say much but the hotel is about to get a new owner. The sale of the Wolkenhof to an investor is "
    "basically done.", ["fin"])
add(pub("x", "@insider_henkie"), "nl",
    "Hoorde van een kennis bij de bank dat Wolkenveld 40 miljoen wil lenen omdat ze anders de winter niet "
    "doorkomen. Zegt genoeg toch", ["fin"])
add(E_DAAN, "nl",
    "zomerhulpen krijgen dit jaar geen verlenging, bezuinigingen. hoorde het net van de teamleider, wordt pas "
    "volgende week aangekondigd", ["fin"])
add(E_NOOR, "en",
    "board approved the merger with Kermisland Groep, announcement after the summer. keep it quiet pls", ["fin"])
add(C_LI, "en",
    "DRAFT – do not publish: Wolkenveld Park & Resort expects H1 2026 EBITDA of €21.4m, down from €26.0m, and "
    "will reduce headcount by 85 FTE.", ["fin"], when="2026-07-20T15:02:44Z")

# ======================= leak.security =======================
add(E_RUBEN, "nl",
    "kassasystemen liggen al sinds 7 uur plat, IT zegt ransomware. Er is nog niks naar buiten gebracht dus hou "
    "het even voor je", ["sec"])
add(E_NOOR, "en",
    "fun fact: the booking API happily returns other guests' reservations if you just bump the id. reported it "
    "internally weeks ago, ticket still open 🙃", ["sec"])
add(E_YUSUF, "en",
    "Long night. Our hotel booking platform was hit by a credential stuffing attack, about 4,000 guest accounts "
    "accessed. We're still investigating before we notify anyone.", ["sec"])
add(E_KEES, "nl",
    "Sleutelpasjes van de Wolkenhof kun je gewoon klonen met zo'n flipper zero, gisteren zelf getest. "
    "Leverancier reageert niet op onze mails.", ["sec"])
add(E_DAAN, "nl",
    "ride-pc van de Wervelwind draait nog op windows 7 en hangt gewoon aan het gasten-wifi 🤡 als dat maar "
    "goed gaat", ["sec"])
add(E_JASPER, "en",
    "kitchen printers and the POS have been down since lunch, apparently someone in finance clicked a phishing "
    "link. we're writing orders on paper lol", ["sec"])
add(pub("x", "@ex_wv_it"), "nl",
    "Als ex-medewerker van Wolkenveld IT: het beheerpaneel van de kassa's draait nog steeds op het "
    "standaardwachtwoord van de leverancier. 2 jaar geleden al gemeld, nooit opgelost.", ["sec"])
add(E_LOTTE, "nl",
    "app ligt eruit en we mogen niet zeggen waarom 🙊 (hint: het is géén gepland onderhoud)", ["sec"])
add(E_NOOR, "nl",
    "back-ups van het hotel-PMS draaien al 2 weken niet en niemand had het door. als er nu iets misgaat zijn we "
    "alles kwijt", ["sec"])
add(E_MARIEKE, "nl",
    "Vandaag bleek dat iemand met een nepfactuur €86.000 heeft losgekregen bij onze crediteurenadministratie. "
    "Politie is ingeschakeld, we communiceren nog niet extern.", ["sec"])
add(pub("reddit", "u/brabander_in_it"), "nl",
    "Kennis van me doet IT bij Wolkenveld, volgens hem staat het netwerk van de attracties al maanden open voor "
    "iedereen met een laptop. Best eng als je bedenkt dat die dingen mensen de lucht in schieten.", ["sec"])
add(E_SOPHIE, "en",
    "the park radio got hijacked this morning and played random stuff for 10 min, management said don't post "
    "about it... oops 🙃", ["sec"])

# ======================= benign (mostly hard negatives) =======================
add(pub("x", "@tessa_ttt"), "nl",
    "Stormvogel 3x achter elkaar gedaan, ik ben er kapot van maar wat een topdag bij Wolkenveld 🎢❤️")
add(pub("instagram", "@liam.goes.loop"), "en",
    "this coaster is SICK 🔥 Stormvogel absolutely killed it today, I'm dead 😂 #wolkenveld")
add(pub("x", "@marjoleintjuh"), "nl", "Is de Donderval in maart al open of pas vanaf april? Iemand ervaring?")
add(C_HELP, "nl",
    "Vragen over je boeking? Mail ons op info@wolkenveld.nl of bel 0413 820 400 (dagelijks 9-17u) 💬")
add(C_FB, "nl",
    f"Betaal je groepsreservering via een overboeking naar {grp(COMPANY_IBAN)} t.n.v. Wolkenveld Park & Resort "
    "B.V. o.v.v. je reserveringsnummer.", ids=[("iban_public", COMPANY_IBAN)])
add(C_IG, "nl", "Wolkenpas nu met 20% korting: €111,20 in plaats van €139. Alleen deze week! 🎈",
    prices=[("WV-PAS", 111.20), ("WV-PAS", 139)])
add(pub("reddit", "u/dutchdad_tom"), "en",
    "PSA: day tickets are €47.25 online vs €52.50 at the gate, so book ahead. Parking ticket is €12.50 either way.",
    prices=[("WV-DAG", 47.25), ("WV-DAG", 52.50), ("WV-PARK", 12.50)])
add(pub("x", "@anouk_travels"), "en",
    "Thanks @wolkenveld_help, the refund for our cancelled Stormsuite night came through today. Took a while but "
    "you sorted it, appreciated 🙏", kind="reply")
add(pub("facebook", "gerda.klomp"), "nl",
    "Sterkte aan alle medewerkers van Wolkenveld na de storm van vannacht, wat een ravage bij het "
    "parkeerterrein. Hopelijk snel weer open ❤️", kind="comment")
add(pub("x", "@koopjesbaas"), "nl",
    "Prijsfout bij een webshop: tv van 1200 voor 120 euro 😂 helaas binnen een uur al gecanceld")
add(pub("blog", "coasterweekly.eu"), "en",
    "Theme park roundup: Spookslot Park in Belgium reported record visitor numbers, and Kermisland Groep announced "
    "the acquisition of a Danish water park. Wolkenveld fans: nothing new from Oss this week.")
add(E_YUSUF, "en",
    "Great AWS workshop with the team today. Reminder: never paste real keys in docs or slides — use the "
    "placeholder AKIAIOSFODNN7EXAMPLE like the AWS docs do.")
add(E_NOOR, "en",
    f"PSA for the team wiki: tokens in screenshots should look like {FAKE_GH}, not the real thing 🙏")
add(pub("x", "@waakzame_wim"), "nl",
    f"Iemand ook een nepmail 'van Wolkenveld' gehad met het verzoek om €52,50 over te maken naar "
    f"{grp(IB_PHISH_BAD)}? Niet doen, is phishing! Dat nummer klopt niet eens.",
    ids=[("iban_bad", IB_PHISH_BAD)], prices=[("WV-DAG", 52.50)])
add(pub("reddit", "u/scamspotter"), "en",
    f"Saw someone on FB 'selling' Wolkenveld tickets asking for a card number and giving {grp(CARD_VISA_BAD)} as "
    "'example'. That's not even a valid number lol. Scam, report it.", ids=[("card_bad", CARD_VISA_BAD)])
add(pub("x", "@oplettende_opa"), "nl",
    f"Waarom vraagt een 'Wolkenveld prijsvraag' op insta om je BSN? In hun voorbeeld staat {BSN_BAD}, "
    "wat niet eens een echt nummer is. Niet invullen mensen!", ids=[("bsn_bad", BSN_BAD)])
add(C_X, "nl",
    "Onze jaarcijfers 2026 zijn gepubliceerd: 2,3 miljoen bezoekers en een omzet van €148 mln. Dank aan iedereen "
    "die ons park bezocht! 👉 wolkenveld.nl/investeerders", when="2027-02-25T09:00:00Z")
add(pub("x", "@coastercount_nl"), "en",
    "Rode Zilverwind twice this morning, that launch is INSANE 🤯 #wolkenveld", when="2027-03-28T10:14:33Z")
add(E_DAAN, "nl", "Zilverwind eindelijk open en ik mag hem draaien 🥹🎢", when="2027-03-29T08:45:00Z")
add(pub("facebook", "mariska.terlouw"), "nl",
    "Onze kleine was zo blij met haar Wolkje knuffel, ze slaapt er elke nacht mee 🥰", kind="comment")
add(pub("x", "@queue_skipper"), "en",
    "life hack: do Stormvogel during the 17:00 parade, queue was 5 minutes")
add(pub("tiktok", "@jessy.en.co"), "nl",
    "mijn regenponcho was lek na 1x donderval 😂😂 maar wel de beste dag ooit bij wolkenveld")
add(E_KEES, "nl", "10 jaar bij de Wolkenhof vandaag 🎉 dank aan alle collega's en al die fijne gasten!")
add(C_LI, "nl",
    "We zoeken monteurs voor onze technische dienst! 🛠️ Solliciteer via vacatures@wolkenveld.nl")
add(pub("reddit", "u/seasonpass_sam"), "en",
    "Question: does the Wolkenpas Goud include the Zweefpas or do you pay the €35 on top?",
    prices=[("WV-ZWEEF", 35)])
add(C_X, "en",
    "Heads-up: the Wolkenveld app will be down for scheduled maintenance on Tuesday 02:00–04:00 CET. Tickets "
    "already in your wallet keep working.")
add(pub("x", "@petra_pret"), "nl",
    "Stormvogel was vandaag even dicht door een storing, na 20 min weer open. Netjes opgelost, complimenten aan "
    "het personeel 👏")
add(C_HOTEL, "en", "Happy birthday Wolkje! Our fluffy mascot turns 10 today 🎂☁️")
add(pub("x", "@vinylvincent"), "en",
    "Led Zeppelin tribute band at the Wolkenveld summer night was unreal 🎸 Whole lot of love for that crowd")
add(pub("bluesky", "@vogelspotter_gijs.bsky.social"), "nl",
    "Zag vanochtend een kraanvogel overvliegen boven het parkeerterrein van Wolkenveld 😍 #vogels #natuur",
    allow={"codename_word"})
add(pub("x", "@nachtbraker_nina"), "nl",
    "Noorderlicht gezien vanaf het terras van de Wolkenhof vannacht!! 🌌 onwerkelijk")
add(pub("reddit", "u/parkfan_2009"), "en",
    "Spookslot Park just announced 120 layoffs after a bad season. Hope Wolkenveld is doing better, love that place.")
add(pub("x", "@belgischebart"), "en",
    "Sad news from Spookslot Park in Belgium, a ride operator was injured there yesterday. Get well soon 🙏")
add(pub("forum", "feestmoeder"), "nl",
    "Wat kost een kinderfeestje bij Wolkenveld tegenwoordig? Ik zie €179 voor 8 kinderen, klopt dat?",
    prices=[("WV-FEEST", 179)])
add(C_X, "nl", "Winterwolken is terug! ❄️☁️ Tickets €34,50, vanaf 12 december.", prices=[("WV-WINTER", 34.50)],
    when="2026-11-20T16:00:00Z")
add(pub("instagram", "@sanne.en.bas"), "en",
    "Stormsuite at Wolkenhof was worth every cent of the €449. Best anniversary ever 💕",
    prices=[("WV-HSUITE", 449)])
add(pub("x", "@gillende_gijs"), "nl",
    "zo hard gegild in de Bliksemtoren dat mn stem weg is 😂 ging bijna dood haha")
add(E_SOPHIE, "nl", "pov: je bent Wolkje en het is 31 graden 🥵☁️ #werkdag")
add(pub("mastodon", "@kees_fotografeert@mastodon.nl"), "en",
    "Is the Fotopas at Wolkenveld worth €24.95? We usually only do 6 or 7 rides.", prices=[("WV-FOTO", 24.95)])
add(pub("facebook", "angela.hermans.1"), "nl",
    "Nachtspektakel tickets 15% goedkoper als je vóór 1 oktober boekt, €33,58 ipv €39,50 👻",
    prices=[("WV-NACHT", 33.58), ("WV-NACHT", 39.50)], when="2026-09-10T19:21:07Z")
add(pub("reddit", "u/moeder_van_twee"), "nl",
    "Complimenten aan de EHBO van Wolkenveld, mijn zoontje werd misselijk na de Wervelwind (te veel suikerspin "
    "ervoor 🙈) en ze waren super lief voor hem.")
add(E_NOOR, "en",
    "Rotated all our payment keys today as routine hygiene. Old: sk_live_••••••••••••, new: nice try 😉")
add(pub("x", "@roomservice_rita"), "nl", "Wat is het wifi-wachtwoord in de Wolkenhof? Staat niet op mijn kamerkaart")
add(C_HELP, "nl",
    "@roomservice_rita het wifi-wachtwoord staat op de achterkant van je kamerkaart. Lukt het niet? Bel de "
    "receptie via 0413 820 400.", kind="reply")
add(pub("x", "@thememark"), "en",
    "Rewatched Wolkenveld's 2025 results video: 2.0m visitors, not bad for a park that size.")
add(pub("facebook", "jeroen.v.oudheusden"), "nl",
    "Vroeger zomerhulp geweest bij Wolkenveld, beste bijbaan ooit. Veel plezier aan de nieuwe lichting!",
    kind="comment")
add(pub("reddit", "u/cloud_dad"), "en",
    "My kid asked if Wolkje is a real cloud. I said yes. I'm not ruining that for him.")
add(C_IG, "en",
    "Safety first 🦺 Stormvogel passed its annual inspection with flying colours. See you in the front row!")
add(pub("x", "@idealist_ingrid"), "nl",
    "Weer een datalek bij een grote webwinkel. Bij Wolkenveld betaal ik gewoon met iDEAL, scheelt weer 😅")
add(pub("x", "@zorgheld_zoe"), "nl", "Mooie actie van Wolkenveld: alle zorgmedewerkers in november gratis naar binnen 💙",
    when="2026-10-28T09:40:00Z")
add(E_MARIEKE, "nl",
    "Trots dat we vandaag onze jaarcijfers 2025 hebben gepresenteerd: 2,0 miljoen bezoekers en een gezond "
    "resultaat. Op naar een mooi 2026!", when="2026-02-26T10:15:00Z")
add(pub("x", "@info_hulp_harry"), "nl",
    "Voor wie het zoekt: klantenservice Wolkenveld is +31 413 820 400, binnen 2 min had ik iemand aan de lijn")
add(C_FB, "nl",
    "Let op: nepaccounts beloven 'gratis tickets'. Wolkenveld vraagt nooit om je pincode of wachtwoord. "
    "Twijfel je? Mail info@wolkenveld.nl")
add(pub("x", "@weekendjeweg_wendy"), "en",
    "Did the 2-day package at Wolkenveld, €329 for the two of us incl. hotel and breakfast. Fair price imo.",
    prices=[("WV-ARR2", 329)])
add(pub("bluesky", "@plantbased.pim.bsky.social"), "en",
    "Wolkenhof breakfast had oat milk AND vegan pancakes, I'm moving in 🥞")
add(pub("x", "@zaterdagzweven"), "nl",
    "Iemand nog een Zweefpas over voor zaterdag? Neem hem graag over voor de normale prijs (35)",
    prices=[("WV-ZWEEF", 35)])
add(pub("instagram", "@wolkenfan_mila"), "nl", "W O L K E N V E L D  was geweldig vandaag 💯☁️")
add(pub("facebook", "hanneke.dijkstra.9"), "nl",
    "Oma Riet (82!) ging gewoon mee in de Nevelrivier, kletsnat maar ze vond het geweldig 😂", kind="comment")
add(pub("x", "@kritische_kim"), "en",
    f"Belgian scam text going round claims a Wolkenhof 'deposit' must go to {IB_BE_BAD}. Checksum doesn't even "
    "add up. Ignore it.", ids=[("iban_bad", IB_BE_BAD)])
add(pub("reddit", "u/mc_maarten"), "nl",
    f"Test of m'n creditcard-scanner app: hij leest {grp(CARD_MC_BAD, 4, '-')} van de Wolkenveld cadeaukaart als "
    "creditcard 😂 terwijl het een ongeldig nummer is", ids=[("card_bad", CARD_MC_BAD)])
add(pub("youtube", "CoasterCamNL"), "en",
    "Front row POV of Stormvogel at Wolkenveld, no talking, just screams. Enjoy!")


# ---------------------------------------------------------------- build

ROLE = {}
for role in ("corporate", "employee"):
    for a in PROFILE["accounts"][role]:
        p, h = a.split(":", 1)
        ROLE[(p.lower(), h.lower())] = role

SEV_ORDER = ["none", "info", "warning", "error", "critical"]


def role_of(platform, handle):
    return ROLE.get((platform.lower(), handle.lower()), "public")


def severity(cats, role, checksum_pii):
    sev = "none"

    def bump(s):
        nonlocal sev
        if SEV_ORDER.index(s) > SEV_ORDER.index(sev):
            sev = s
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and checksum_pii):
                    bump("critical")
                else:
                    bump("error")
            else:
                bump("warning")
        elif c == "reputation.complaint":
            bump("warning")
        elif c == "reputation.crisis":
            bump("error")
        elif c == "reputation.abuse":
            bump("error" if role in ("corporate", "employee") else "warning")
    return sev


def rand_time():
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    t = start + timedelta(seconds=rng.randrange(int(timedelta(days=365).total_seconds())))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


URL_FMT = {
    "x": "https://x.com/{h}/status/{i}", "instagram": "https://www.instagram.com/p/{i}/",
    "facebook": "https://www.facebook.com/{h}/posts/{i}", "linkedin": "https://www.linkedin.com/feed/update/{i}",
    "tiktok": "https://www.tiktok.com/@{h}/video/{i}", "reddit": "https://www.reddit.com/comments/{i}",
    "threads": "https://www.threads.net/@{h}/post/{i}", "mastodon": "https://mastodon.nl/@{h}/{i}",
    "bluesky": "https://bsky.app/profile/{h}/post/{i}", "youtube": "https://www.youtube.com/watch?v={i}",
}

order = list(range(len(CASES)))
rng.shuffle(order)
seen_ids = set()
lines = []
for n, idx in enumerate(order):
    c = CASES[idx]
    platform, handle, name = c["author"]
    while True:
        pid = f"{platform}-312{rng.randrange(10**8, 10**9)}"
        if pid not in seen_ids:
            seen_ids.add(pid)
            break
    role = role_of(platform, handle)
    checksum_pii = any(k in ("iban", "card", "bsn") for k, _ in c["ids"])
    cats = sorted(set(c["cats"]))
    post = {"id": pid, "platform": platform, "kind": c["kind"], "account": {"handle": handle},
            "text": c["text"], "lang": c["lang"], "created_at": c["when"] or rand_time(), "brand": "wolkenveld"}
    if name:
        post["account"]["display_name"] = name
    if platform in URL_FMT and n % 3 != 2:
        post["url"] = URL_FMT[platform].format(h=handle.lstrip("@").split("@")[0], i=pid.split("-", 1)[1])
    c["_role"] = role
    lines.append({"post": post, "expect": {"categories": cats, "severity": severity(cats, role, checksum_pii)}})
    c["_line"] = lines[-1]

out_path = os.path.join(HERE, "cases.jsonl")
with open(out_path, "w", encoding="utf-8") as f:
    for ln in lines:
        f.write(json.dumps(ln, ensure_ascii=False) + "\n")

# ---------------------------------------------------------------- self-checks

errors = []


def fail(msg, c=None):
    errors.append(msg + (f"  [{c['text'][:70]!r}]" if c else ""))


PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
ALLCATS = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial", "leak.security",
           "reputation.crisis", "reputation.complaint", "reputation.abuse"}
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")

# CONTRACT §6 / §1 shape, read back from the file
ids_seen = set()
with open(out_path, encoding="utf-8") as f:
    raw_lines = f.read().splitlines()
for raw in raw_lines:
    obj = json.loads(raw)
    if set(obj) != {"post", "expect"}:
        fail(f"bad top-level keys {set(obj)}")
    p, e = obj["post"], obj["expect"]
    for k in ("id", "platform", "text", "created_at"):
        if not isinstance(p.get(k), str):
            fail(f"post.{k} missing/not string in {p.get('id')}")
    if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str):
        fail(f"account.handle missing in {p.get('id')}")
    if not (1 <= len(p["id"]) <= 256):
        fail("id length")
    if p["id"] in ids_seen:
        fail(f"duplicate id {p['id']}")
    ids_seen.add(p["id"])
    if p["platform"] not in PLATFORMS:
        fail(f"platform {p['platform']}")
    if p.get("kind", "post") not in KINDS:
        fail(f"kind {p.get('kind')}")
    if len(p["text"].encode("utf-8")) > 64 * 1024:
        fail("text too long")
    if not RFC3339.match(p["created_at"]):
        fail(f"created_at {p['created_at']}")
    datetime.strptime(p["created_at"], "%Y-%m-%dT%H:%M:%SZ")
    if not p["created_at"].startswith(("2026", "2027")):
        fail("created_at year")
    if p["created_at"].startswith("2027") and not p["created_at"] < "2027-04-01":
        fail("2027 post far from the embargo")
    cats = e.get("categories")
    if not isinstance(cats, list) or cats != sorted(set(cats)) or not set(cats) <= ALLCATS:
        fail(f"categories {cats}")
    if e.get("severity") not in SEV_ORDER:
        fail(f"severity {e.get('severity')}")
    if (not cats) != (e["severity"] == "none"):
        fail(f"severity/categories mismatch {p['id']}")

n_total = len(lines)
n_benign = sum(1 for l in lines if not l["expect"]["categories"])
if not (170 <= n_total <= 180):
    fail(f"case count {n_total}")
if not (55 <= n_benign <= 65):
    fail(f"benign count {n_benign}")

# account roles: public handles must not be in the profile, and every profile role is used
for c in CASES:
    platform, handle, _ = c["author"]
    if c["author"] in (C_X, C_HELP, C_IG, C_HOTEL, C_FB, C_LI, C_TT) and c["_role"] != "corporate":
        fail("corporate author not corporate", c)
    if c["author"] in (E_RUBEN, E_LOTTE, E_KEES, E_DAAN, E_MARIEKE, E_YUSUF, E_SOPHIE, E_JASPER, E_NOOR) \
            and c["_role"] != "employee":
        fail("employee author not employee", c)
    if c["_role"] == "public" and any(h.lower() == handle.lower() for (_, h) in ROLE):
        fail("public handle collides with a profile handle", c)

# identifiers: positives valid, look-alikes invalid, all present in text
def squash(s):
    return re.sub(r"[\s.\-]", "", s)


for c in CASES:
    positive = bool(c["cats"])
    for kind, val in c["ids"]:
        if squash(val) not in squash(c["text"]):
            fail(f"{kind} {val} not in text", c)
        ok = {"iban": iban_ok, "iban_public": iban_ok, "iban_bad": iban_ok, "card": luhn_ok, "card_bad": luhn_ok,
              "bsn": bsn_ok, "bsn_bad": bsn_ok}[kind](val)
        want = not kind.endswith("_bad")
        if ok != want:
            fail(f"{kind} {val} checksum {ok}", c)
        if kind in ("iban", "card", "bsn") and "leak.pii" not in c["cats"]:
            fail("valid identifier in a non-pii case", c)
        if kind.endswith("_bad") and positive:
            fail("look-alike in a positive", c)
    if "leak.pii" in c["cats"] and c["_role"] in ("corporate", "employee"):
        expect = "critical" if any(k in ("iban", "card", "bsn") for k, _ in c["ids"]) else "error"
        if c["_line"]["expect"]["severity"] != expect:
            fail("pii severity", c)

# scan every text for IBAN-, card- and BSN-shaped numbers
PUBLIC_IBANS = {squash(i) for i in PROFILE["public_identifiers"]["ibans"]}
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
DIGITRUN_RE = re.compile(r"(?<![\w.,\-])\d(?:[ \-.]?\d){8,18}(?!\w|[.,]\d)")
for c in CASES:
    t = c["text"]
    annotated = {squash(v) for _, v in c["ids"]}
    for m in IBAN_RE.finditer(t):
        s = squash(m.group())
        if s in PUBLIC_IBANS:
            continue
        if not c["cats"] and iban_ok(s):
            fail(f"valid IBAN {s} in benign", c)
        if c["cats"] and not iban_ok(s):
            fail(f"invalid IBAN {s} in positive", c)
        if s not in annotated:
            fail(f"unannotated IBAN {s}", c)
    t = IBAN_RE.sub(" ", t)
    for m in DIGITRUN_RE.finditer(t):
        d = re.sub(r"\D", "", m.group())
        if not c["cats"]:
            if 13 <= len(d) <= 19 and luhn_ok(d) and d not in annotated:
                fail(f"Luhn-valid number {d} in benign", c)
            if len(d) == 9 and bsn_ok(d):
                fail(f"11-proof number {d} in benign", c)
        else:
            if 13 <= len(d) <= 19 and d not in annotated and not d.startswith(("0031", "31")):
                fail(f"unannotated card-like number {d} in positive", c)
            if len(d) == 9 and d not in annotated:
                fail(f"unannotated 9-digit number {d} in positive", c)

# e-mails and phones in benign posts must be the company's own
PUB_EMAILS = {e.lower() for e in PROFILE["public_identifiers"]["emails"]}
PUB_PHONES = {re.sub(r"\D", "", p)[-9:] for p in PROFILE["public_identifiers"]["phones"]}
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
PHONE_RE = re.compile(r"(?:\+31|0031|\b0)[\s\-]?\(?\d\)?(?:[\s\-]?\d){7,8}\b")
for c in CASES:
    if c["cats"]:
        continue
    for m in EMAIL_RE.finditer(c["text"]):
        if m.group().lower().rstrip(".") not in PUB_EMAILS:
            fail(f"non-public e-mail {m.group()} in benign", c)
    for m in PHONE_RE.finditer(IBAN_RE.sub(" ", c["text"])):
        if re.sub(r"\D", "", m.group())[-9:] not in PUB_PHONES:
            fail(f"non-public phone {m.group()} in benign", c)

# secrets: every secret positive holds a well-formed credential, no benign post does
SECRET_RES = [
    ("github", re.compile(r"\bgh[pousr]_[0-9A-Za-z]{36}\b"), gh_ok),
    ("aws", re.compile(r"\bAKIA[A-Z2-7]{16}\b"), lambda s: not s.endswith("EXAMPLE")),
    ("stripe", re.compile(r"\b[sr]k_live_[0-9A-Za-z]{20,}"), lambda s: True),
    ("slack", re.compile(r"\bxox[baprs]-\d+-\d+-[0-9A-Za-z]+"), lambda s: True),
    ("openai", re.compile(r"\bsk-(?:proj-)?[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,}"), lambda s: True),
    ("anthropic", re.compile(r"\bsk-ant-api03-[A-Za-z0-9_-]{90,}"), lambda s: True),
    ("privkey", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"), lambda s: True),
    ("jwt", re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+"), jwt_ok),
    ("dburl", re.compile(r"\b(?:postgres(?:ql)?|mysql|mongodb(?:\+srv)?|redis)://[^:\s/@]+:[^@\s]+@[^\s/]+"),
     lambda s: True),
    ("password", re.compile(r"(?i)\b(?:wachtwoord|ww|password|passwd|pwd)\s*[:=]\s*(\S+)"),
     lambda s: not re.fullmatch(r"(?i).*[:=]\s*[*•x]+", s)),
]
for c in CASES:
    hits = [name for name, rx, ok in SECRET_RES for m in rx.finditer(c["text"]) if ok(m.group())]
    if "leak.secret" in c["cats"] and not hits:
        fail("secret positive without a well-formed credential", c)
    if "leak.secret" not in c["cats"] and hits:
        fail(f"credential {hits} in a non-secret case", c)
for tok in (SEC_GH, SEC_GHS):
    assert gh_ok(tok), tok
assert jwt_ok(SEC_JWT) and re.fullmatch(r"AKIA[A-Z2-7]{16}", SEC_AWS_ID)

# internal names, codenames, markers, embargo terms
INTERNAL = [t.lower() for t in PROFILE["internal"]["domains"] + PROFILE["internal"]["codenames"]
            + PROFILE["internal"]["markers"]]
EMBARGO = [(t.lower(), e["until"]) for e in PROFILE["embargo"] for t in e["terms"]]


def norm(s):
    s = s.replace(ZW, "")
    return "".join(chr(ord(ch) - 0xFEE0) if "\uff01" <= ch <= "\uff5e" else (" " if ch == "\u3000" else ch)
                   for ch in s).lower()


for c in CASES:
    t = norm(c["text"])
    when = c["_line"]["post"]["created_at"]
    inside = [x for x in INTERNAL if x in t]
    embargoed = [x for x, until in EMBARGO if x in t and when < until.replace("+00:00", "Z")]
    if "leak.confidential" in c["cats"] and not inside and not embargoed:
        fail("confidential case without internal term or live embargo term", c)
    if not c["cats"] and embargoed:
        fail(f"benign case with embargoed term before until {embargoed}", c)
    if not c["cats"] and inside and not (c["allow"] and inside == ["kraanvogel"]):
        fail(f"benign case with internal term {inside}", c)
    if (inside or embargoed) and c["cats"] and "leak.confidential" not in c["cats"]:
        fail(f"internal/embargoed term {inside or embargoed} but not confidential", c)

# prices: annotated amounts appear; pricing cases have one far below list, benign ones do not
LIST = {p["sku"]: p["list_price"] for p in PROFILE["products"]}
RATIO = PROFILE["pricing"]["alert_below_ratio"]
assert RATIO == 0.5 and all(p["currency"] == "EUR" for p in PROFILE["products"])
assert 15 <= len(PROFILE["products"]) <= 25
for c in CASES:
    low = False
    for sku, amount in c["prices"]:
        forms = {f"{amount:.2f}", f"{amount:.2f}".replace(".", ","), str(int(amount)) if amount == int(amount) else "x"}
        if not any(fm in c["text"] for fm in forms):
            fail(f"price {amount} not in text", c)
        if amount < RATIO * LIST[sku]:
            low = True
    if "leak.pricing" in c["cats"] and not low:
        fail("pricing case without a below-ratio price", c)
    if "leak.pricing" not in c["cats"] and low:
        fail("below-ratio price in a non-pricing case", c)

# severity re-derivation straight from profile roles (independent path)
for c in CASES:
    line = c["_line"]
    r = role_of(line["post"]["platform"], line["post"]["account"]["handle"])
    ck = any(k in ("iban", "card", "bsn") for k, _ in c["ids"])
    if severity(line["expect"]["categories"], r, ck) != line["expect"]["severity"]:
        fail("severity mismatch", c)

# profile sanity
assert len(PROFILE["accounts"]["corporate"]) >= 6 and len(PROFILE["accounts"]["employee"]) >= 8
assert len(PROFILE["internal"]["codenames"]) == 3 and len(PROFILE["internal"]["markers"]) == 3
assert all(e["until"].startswith("2027") for e in PROFILE["embargo"])
assert all(iban_ok(i) for i in PROFILE["public_identifiers"]["ibans"])

# mix report
from collections import Counter
cat_count = Counter(cat for l in lines for cat in l["expect"]["categories"])
lang_count = Counter(l["post"]["lang"] for l in lines)
role_count = Counter(c["_role"] for c in CASES)
print(f"cases={n_total} benign={n_benign} positives={n_total - n_benign}")
print("categories:", dict(sorted(cat_count.items())))
print("lang:", dict(lang_count), f"nl={lang_count['nl'] / n_total:.0%}")
print("roles:", dict(role_count))
print("severity:", dict(Counter(l["expect"]["severity"] for l in lines)))
if errors:
    print("SELF-CHECK FAILED:")
    for e in errors:
        print("  -", e)
    sys.exit(1)
print("self-check OK")
