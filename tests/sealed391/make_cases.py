#!/usr/bin/env python3
"""Build cases.jsonl for evaluation set sealed391 (Stolpwand Isolatie B.V.).

Deterministic: a fixed seed drives every generated credential, identifier and
timestamp. Post texts are hand-written; secrets and checksummed identifiers are
filled in through <<placeholders>>. After writing cases.jsonl the script re-reads
it and checks it (CONTRACT §6 shape, severities per §4 from the profile's account
roles, checksums of identifiers, formats of credentials, embargo timing, prices
against the catalogue). Exit status 1 on any failed check.
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
OUT = os.path.join(HERE, "cases.jsonl")
SEED = 391_2026
RNG = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# ---------------------------------------------------------------- checksums
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "-_"


def b62(n):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return s or "0"


def iban_valid(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(bank):
    acct = "".join(RNG.choice(string.digits) for _ in range(10))
    bban = bank + acct
    n = int("".join(str(int(c, 36)) for c in bban + "NL00"))
    return "NL%02d%s" % (98 - n % 97, bban)


def break_iban(iban):
    cd = int(iban[2:4])
    bad = "NL%02d%s" % ((cd + 7) % 100, iban[4:])
    assert not iban_valid(bad)
    return bad


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


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


def make_card(prefix, length=16):
    body = prefix + "".join(RNG.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for c in string.digits:
        if luhn_valid(body + c):
            return body + c
    raise AssertionError


def bsn_valid(s):
    if not re.fullmatch(r"\d{9}", s) or s[0] == "0":
        return False
    d = [int(c) for c in s]
    return (sum(d[i] * (9 - i) for i in range(8)) - d[8]) % 11 == 0


def make_bsn():
    while True:
        d = [RNG.randint(1, 9)] + [RNG.randint(0, 9) for _ in range(7)]
        last = sum(d[i] * (9 - i) for i in range(8)) % 11
        if last < 10:
            s = "".join(map(str, d + [last]))
            assert bsn_valid(s)
            return s


def bad_bsn(ok):
    for delta in range(1, 10):
        s = ok[:8] + str((int(ok[8]) + delta) % 10)
        if not bsn_valid(s):
            return s
    raise AssertionError


def swap_digits(card):
    for i in range(len(card) - 1):
        if card[i] != card[i + 1]:
            s = card[:i] + card[i + 1] + card[i] + card[i + 2:]
            if not luhn_valid(s):
                return s
    raise AssertionError


# ---------------------------------------------------------------- credentials
def rand(alpha, n):
    return "".join(RNG.choice(alpha) for _ in range(n))


def github_token(prefix="ghp_"):
    body = rand(B62, 30)
    return prefix + body + b62(zlib.crc32(body.encode())).rjust(6, "0")


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt():
    header = {"alg": "HS256", "typ": "JWT"}
    payload = {"sub": "planner-api", "uid": RNG.randint(1000, 9999), "role": "planner",
               "iat": 1767340800 + RNG.randint(0, 9_000_000)}
    payload["exp"] = payload["iat"] + 3600
    key = bytes(RNG.getrandbits(8) for _ in range(32))
    h = b64url(json.dumps(header, separators=(",", ":")).encode())
    p = b64url(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64url(hmac.new(key, (h + "." + p).encode(), hashlib.sha256).digest())
    return h + "." + p + "." + sig


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    pad = parts[0] + "=" * (-len(parts[0]) % 4)
    try:
        hdr = json.loads(base64.urlsafe_b64decode(pad))
    except ValueError:
        return False
    return "alg" in hdr


def openssh_key():
    raw = b"openssh-key-v1\x00" + bytes(RNG.getrandbits(8) for _ in range(381))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def human_password():
    word = RNG.choice(["Spouw", "Zolder", "Kruip", "Dakpan", "Isolatie", "Warmte", "Voeg"])
    return word + RNG.choice("!#$%@*") + str(RNG.randint(1990, 2026)) + rand(string.ascii_letters, 2)


def mobile_digits():
    return RNG.choice("123458") + rand(string.digits, 7)


def phone(style):
    d = mobile_digits()
    return {
        "dash": "06-" + d,
        "spaced": "06 %s %s" % (d[:4], d[4:]),
        "intl": "+31 6 " + d,
        "intl0": "+31 (0)6 %s %s %s" % (d[:2], d[2:5], d[5:]),
        "0031": "0031 6 " + d,
        "plain": "06" + d,
    }[style]


G = {}
G["gh1"] = github_token("ghp_")
G["akia"] = "AKIA" + rand(string.ascii_uppercase + "234567", 16)
G["awssecret"] = rand(ALNUM + "/+", 40)
G["stripe"] = "sk_live_" + rand(ALNUM, 24)
G["slack"] = "xoxb-%s-%s-%s" % (rand(string.digits, 12), rand(string.digits, 13), rand(ALNUM, 24))
G["openai"] = "sk-" + rand(ALNUM, 20) + "T3BlbkFJ" + rand(ALNUM, 20)
G["sshkey"] = openssh_key()
G["jwt"] = make_jwt()
G["dbpw"] = rand(ALNUM, 18)
G["wifipw"] = human_password()
G["pw_app"] = human_password()
G["pw_root"] = rand(ALNUM + "!#%&", 16)
G["anthropic"] = "sk-ant-api03-" + rand(URLSAFE, 93) + "AA"
G["glpat"] = "glpat-" + rand(URLSAFE, 20)
G["gho1"] = github_token("gho_")

G["iban_ok1"] = group4(make_iban("INGB"))
G["iban_ok2"] = make_iban("ABNA")
G["iban_ok3"] = group4(make_iban("RABO"))
G["iban_bad1"] = group4(break_iban(make_iban("SNSB")))
G["iban_bad2"] = break_iban(make_iban("TRIO"))
G["card_ok1"] = group4(make_card("4"))
G["card_ok2"] = "-".join(group4(make_card("52")).split(" "))
G["card_bad1"] = group4(swap_digits(make_card("4")))
G["bsn_ok1"] = make_bsn()
G["bsn_ok2"] = make_bsn()
G["bsn_bad1"] = bad_bsn(make_bsn())
G["bsn_bad2"] = bad_bsn(make_bsn())
G["ph1"] = phone("dash")
G["ph2"] = phone("spaced")
G["ph3"] = phone("intl")
G["ph4"] = phone("intl0")
G["ph5"] = phone("0031")
G["ph6"] = phone("plain")

for k in ("iban_ok1", "iban_ok2", "iban_ok3"):
    assert iban_valid(G[k]), k
for k in ("iban_bad1", "iban_bad2"):
    assert not iban_valid(G[k]), k
for k in ("card_ok1", "card_ok2"):
    assert luhn_valid(G[k]), k
assert not luhn_valid(G["card_bad1"])
for k in ("bsn_ok1", "bsn_ok2"):
    assert bsn_valid(G[k]), k
for k in ("bsn_bad1", "bsn_bad2"):
    assert not bsn_valid(G[k]), k
assert github_ok(G["gh1"]) and github_ok(G["gho1"])
assert jwt_ok(G["jwt"])


def fill(text):
    def rep(m):
        return G[m.group(1)]
    return re.sub(r"<<(\w+)>>", rep, text)


# ---------------------------------------------------------------- accounts
CX, CZ, CI, CF, CL, CT, CY = ("x:@stolpwand", "x:@stolpwand_zorg", "instagram:@stolpwand.isolatie",
                              "facebook:StolpwandIsolatie", "linkedin:stolpwand-isolatie",
                              "tiktok:@stolpwand_isoleert", "youtube:StolpwandTV")
E_MARLEEN = "x:@mvandam_stolp"
E_RUUD = "linkedin:ruud-kerkhof-stolpwand"
E_YUSUF = "x:@yusuf_isoleert"
E_BRAM = "instagram:@dakwerker_bram"
E_INGRID = "linkedin:ingrid-hoekstra-fin"
E_KARIM = "x:@karim_ops"
E_JOOST = "tiktok:@spouwjoost"
E_SIETSKE = "bluesky:@sietske-stolpwand.bsky.social"
E_WIM = "mastodon:@wim_dev@fosstodon.org"
E_NIELS = "reddit:u/isolatie_niels"

NAMES = {
    CX: "Stolpwand Isolatie", CZ: "Stolpwand Klantenservice", CI: "Stolpwand Isolatie",
    CF: "Stolpwand Isolatie", CL: "Stolpwand Isolatie B.V.", CT: "Stolpwand", CY: "Stolpwand TV",
    E_MARLEEN: "Marleen van Dam", E_RUUD: "Ruud Kerkhof", E_YUSUF: "Yusuf Demir",
    E_BRAM: "Bram Oosting", E_INGRID: "Ingrid Hoekstra", E_KARIM: "Karim Benali",
    E_JOOST: "Joost Wielinga", E_SIETSKE: "Sietske Veenstra", E_WIM: "Wim Schaap",
    E_NIELS: "Niels Kramer",
}

ROLE = {}
for a in PROFILE["accounts"]["corporate"]:
    ROLE[a.lower()] = "corporate"
for a in PROFILE["accounts"]["employee"]:
    ROLE[a.lower()] = "employee"

SEC, PII, PRI, CON, FIN, SCY = ("leak.secret", "leak.pii", "leak.pricing", "leak.confidential",
                                "leak.financial", "leak.security")
CRI, COM, ABU = "reputation.crisis", "reputation.complaint", "reputation.abuse"
ALL_CATS = {SEC, PII, PRI, CON, FIN, SCY, CRI, COM, ABU, "reputation.spike"}

CASES = []


def case(acct, text, cats=(), lang="nl", when=None, kind="post", prices=(), name=None):
    CASES.append(dict(acct=acct, text=text, cats=tuple(cats), lang=lang, when=when,
                      kind=kind, prices=tuple(prices), name=name))


# ============================================================= POSITIVES
# ---- complaints (about the sector's everyday failures)
case("x:@hennie_zwolle", "@stolpwand_zorg al 3x afgezegd op de dag zelf. 3 vrije dagen opgenomen voor niks. "
     "Spouwmuur nog steeds leeg en het is bijna november 🥶", [COM], kind="reply", name="Hennie")
case("facebook:gareth.pryce.7", "Had Stolpwand do our cavity wall back in March. Since the first proper rain "
     "there are damp patches on the bedroom wall exactly where they drilled. Sent photos twice, no reply. "
     "Not impressed.", [COM], lang="en", name="Gareth Pryce")
case("facebook:ans.brouwer.52", "Offerte was €1.890 voor SpouwVul Plus, factuur komt op €2.340 'wegens extra "
     "boorgaten'. Daar is vooraf met geen woord over gesproken. Wie heeft dit ook gehad met Stolpwand??",
     [COM], prices=[("SW-SPV-P", 1890), ("SW-SPV-P", 2340)], name="Ans Brouwer")
case("x:@dirk_vd_linde", "@stolpwand de gaten waar jullie geboord hebben zijn dichtgesmeerd met cement in een "
     "compleet andere kleur. Nu heeft m'n rode gevel 200 grijze stippen. Top werk 👎", [COM], kind="reply",
     name="Dirk v/d Linde")
case("reddit:u/cold_feet_leiden", "PSA: got the KruipTherm chips in my crawl space from Stolpwand last year. "
     "Floor is still freezing, and when I finally opened the hatch the chips were piled up in one corner and "
     "half the space is bare concrete. Customer service keeps telling me to 'wait for the planner'. "
     "Four months now.", [COM], lang="en")
case("x:@ronnie_apeldoorn", "Stolpwand was supposed to sort out our ISDE subsidy. Turns out the deadline "
     "passed because they sent the invoice two months late. €1100 of subsidy down the drain. Cheers, guys.", [COM],
     lang="en", name="Ronnie")
case("tiktok:@fleur.k", "vloer nog steeds ijskoud na dat VloerWarm Schuim 😭 en nu ruikt de kruipruimte muf. "
     "€1650 betaald voor dit??", [COM], kind="comment", prices=[("SW-VLR-S", 1650)], name="fleur")
case("facebook:gertjan.mulder.3", "Monteurs van Stolpwand hebben bij het inblazen de ventilatieroosters van de "
     "spouw dichtgezet, nu zweet het in de slaapkamer als een gek, schimmel in de hoeken. Drie keer gebeld, "
     "ze 'sturen iemand'. Niemand gezien.", [COM], name="Gert-Jan Mulder")
case("reddit:u/northsea_dave", "Anyone else had Stolpwand cancel the post-install inspection? They did our cavity "
     "wall with EPS beads and now beads leak out of the weep holes onto the patio every time it's windy. Call "
     "centre says that's 'normal'. It is not normal.", [COM], lang="en")
case("forum:peter_g_1961", "Na spouwmuurisolatie door Stolpwand een vochtplek in de woonkamer van een halve "
     "meter. Volgens hun 'expert' komt dat door m'n dakgoot. Die dakgoot is vorige maand vervangen. Lekker "
     "makkelijk zo.", [COM], name="peter_g")
# complaint + abuse
case("x:@jeroen_1983", "@stolpwand_zorg stelletje oplichters. Kankerbedrijf. Twee maanden wachten op een "
     "monteur die m'n dakpannen komt vervangen die JULLIE kapot hebben gelopen.", [COM, ABU], kind="reply",
     name="Jeroen")
case("x:@bigmike_uk_nl", "stolpwand are a bunch of clueless muppets. your installer drilled straight through my "
     "water pipe and now you're 'investigating'. useless f***ing company", [COM, ABU], lang="en",
     name="Big Mike")

# ---- safety incidents told first-hand: crisis + complaint
case("facebook:priya.ramdin", "Gisteren VloerWarm PUR laten spuiten door Stolpwand. Vannacht met de kinderen naar "
     "de huisartsenpost: hoofdpijn, misselijk, brandende ogen. De monteur zei dat we 2 uur na het spuiten "
     "weer naar binnen mochten. Dat was dus NIET veilig. Ik ben woedend.", [CRI, COM], name="Priya Ramdin")
case("x:@lauren_in_delft", "Stolpwand's installer buried the junction box in our loft under the insulation. "
     "Tonight it started smoking. Fire brigade came, luckily only scorched beams. Nobody from @stolpwand has "
     "called me back.", [CRI, COM], lang="en", name="Lauren")
case("x:@marco_bouwt_niet", "Stroomschok gekregen van het nieuwe VentiRooster van Stolpwand toen ik het wilde "
     "schoonmaken?? Blijkt dat de monteur door een kabel heeft geboord en die draad raakt het rooster. Had "
     "mijn zoontje kunnen zijn.", [CRI, COM], name="Marco")
case("reddit:u/asthma_mum_ede", "Since Stolpwand did our cavity wall with the glass wool flakes, fibres keep "
     "coming through the sockets in the kids' room. My daughter's asthma got so bad she was admitted last week. "
     "They told me it's 'completely harmless'. I want answers.", [CRI, COM], lang="en")
case("instagram:@hanna_tuinhuis", "Dakmonteur van stolpwand liet z'n brander onbeheerd op ons platte dak staan, "
     "dakbedekking vatte vlam. Buurman zag het gelukkig op tijd. Zwartgeblakerde dakrand en een overstuur "
     "gezin. Dit is toch niet normaal?? 🔥😡", [CRI, COM], name="Hanna")
case("forum:oma_tiny", "Mijn man is door het plafond gezakt op de zolder die Stolpwand net 'geïsoleerd' had. Ze "
     "hadden de zoldervloer losgehaald en alleen folie teruggelegd zonder iets te zeggen. Gebroken enkel. "
     "Nog geen excuus ontvangen.", [CRI, COM], name="Tiny")

# ---- crisis only (third party, news, boycott, lawsuit, recall, breach accusation)
case("x:@nieuws_utrecht_wijk", "Brandweer rukte vanmiddag uit naar de Lindenlaan: brand tijdens dakisolatiewerk "
     "door een ploeg van Stolpwand Isolatie. Twee woningen tijdelijk ontruimd, niemand gewond.", [CRI],
     name="Wijknieuws Utrecht")
case("x:@consumer_watch_nl", "Stolpwand is recalling a batch of its ThermoPlaat PIR 100 boards after tests showed "
     "they don't meet the declared fire class. Check the batch code on the pack before you install.", [CRI],
     lang="en", name="Consumer Watch NL")
case("facebook:BuurtgroepKanaleneiland", "OPROEP: laat Stolpwand NIET in je huis! Ze hebben bij minstens 6 huizen "
     "in onze wijk de spouw volgeschuimd terwijl dat bij deze bouwjaren helemaal niet mocht. Boycot dit bedrijf "
     "en deel dit bericht.", [CRI], name="Buurtgroep Kanaleneiland")
case("linkedin:collectieve-claim-isolatieschade", "We are preparing a collective claim against Stolpwand Isolatie "
     "B.V. on behalf of more than 80 households with moisture damage after cavity wall insulation. Affected? "
     "Get in touch through our website.", [CRI], lang="en", name="Stichting Isolatieschade")
case("x:@privacyradar", "Klantgegevens van Stolpwand (namen, adressen, telefoonnummers van duizenden klanten) "
     "worden te koop aangeboden op een hackersforum. Stolpwand zegt 'nergens van te weten'. Hoe lang nog?",
     [CRI], name="PrivacyRadar")
case("tiktok:@bouwvakkerbianca", "collega van een ander bedrijf vertelde dat er gister bij een klus van Stolpwand "
     "een monteur van de steiger is gevallen. ambulance en traumaheli erbij. veiligheid is daar echt ver te "
     "zoeken hoor", [CRI], name="Bianca")
case("x:@bouwnieuws_flash", "BREAKING: RVO inspectors are investigating Stolpwand over alleged subsidy fraud — "
     "invoices for insulation that was never installed. Company says it is 'cooperating fully'.", [CRI],
     lang="en", name="Bouwnieuws Flash")
case("reddit:u/huurder_haarlem", "Our housing association hired Stolpwand for the floor insulation and now "
     "4 of my neighbours have headaches and there's a chemical smell since the PUR spraying. The GGD (public "
     "health) has been called in.", [CRI], lang="en")
case("x:@wakker_worden_nl", "B O Y C O T  S T O L P W A N D — ze isoleren huizen waar het niet mag en laten "
     "mensen daarna met de schimmel zitten. Deel dit!!", [CRI], name="wakker worden")

# ---- abuse
case("x:@kevin_0513", "@stolpwand wat een klerezooi zijn jullie ook. Kankerlijers allemaal", [ABU], kind="reply",
     name="Kevin")
case("x:@trollfarmer99", "the woman who runs stolpwand's twitter is a brain-dead idiot lol", [ABU], lang="en",
     name="troll")
case("instagram:@_rickyyy", "@dakwerker_bram jij bent echt de lelijkste debiel die ik ooit op een dak heb zien "
     "staan 🤮", [ABU], kind="comment", name="ricky")
case("x:@zuurpruim", "@stolpwand_zorg k4nk3rb3dr1jf, st3lletj3 0pl1cht3rs, ik h00p d4t j3 f41ll13t g44t", [ABU],
     kind="reply", name="zuurpruim")
case("x:@ventingvera", "s.t.o.l.p.w.a.n.d. = f.u.c.k.i.n.g. s.c.u.m", [ABU], lang="en", name="Vera")
case("x:@echte_nederlander77", "Die bus van Stolpwand staat weer in m'n straat vol met dat buitenlandse tuig. "
     "Ga terug naar je eigen land.", [ABU], name="Echte Nederlander")
case(E_YUSUF, "@jan_klaagt jij bent gewoon een zeurende sukkel man, ga lekker zelf je spouw vullen 🖕", [ABU],
     kind="reply")
case("facebook:dean.hollis.uk", "Your call centre girl Fatima hung up on me twice today. Tell her she's a useless "
     "cow.", [ABU, COM], lang="en", name="Dean Hollis")
case("tiktok:@lachmetlars", "Stolpwand is een k\u200bu\u200bt\u200bbedrijf met k\u200bu\u200bt\u200bmonteurs, "
     "zeg ik het goed zo", [ABU], kind="comment", name="lars")
case(CZ, "@bigmike_uk_nl maybe learn to read your contract before whining, genius. Idiot.", [ABU], lang="en",
     kind="reply")

# ---- confidential
case(E_SIETSKE, "Sneak peek van waar we aan werken 👀 Marterkap: dakisolatie van buitenaf zonder dat de pannen "
     "eraf hoeven. Launch in het voorjaar, niet verder vertellen 🤫", [CON])
case(E_MARLEEN, "kan iemand me even de link van planbord.stolpwand.nl/week46 doorsturen, m'n laptop doet raar",
     [CON])
case(E_NIELS, "FYI for the crew: the new drilling pattern diagrams are finally up at "
     "intra.stolpwand.local/wiki/spouwprotocol, someone actually updated it after 3 years", [CON], lang="en")
case(E_RUUD, "Proud that with Project Hermelijn we're about to take a huge step in the north of the "
     "Netherlands. Can't say more just yet 😉", [CON], lang="en")
case(E_YUSUF, "haha boven de nieuwe werkinstructie staat 'STOLPWAND INTERN – niet extern delen' en ik plak hem "
     "hier gewoon 😂 stap 1: spouwcamera erin, stap 2: boorgat om de 80 cm, stap 3: koffie", [CON])
case(CI, "Binnenkort bij ons: de SpouwVul Aero 🌬️ Onze lichtste spouwvulling ooit. Wie raadt de Rc-waarde? 👇",
     [CON], when="2026-11-20T16:05:00Z")
case(E_JOOST, "vandaag getraind op de nieuwe Aerovlok machine, dat spul is echt lichter dan sneeuw ❄️ "
     "#monteurslife", [CON], when="2027-01-15T17:40:00Z")
case(E_WIM, "Anyone know why our runner keeps timing out on the planner build? Log says: fatal: unable to access "
     "'https://git.stolpwand.nl/planning/roostertool.git/': Operation timed out", [CON], lang="en")
case(E_INGRID, "Busy weeks closing the books. The full-year 2026 results look a lot better than anyone expected "
     "— EBITDA well above plan. Can't wait to share them in March!", [CON, FIN], lang="en",
     when="2027-02-10T20:12:00Z")
case("reddit:u/spouwspecialist_ex", "Oud-collega's bij Stolpwand werken aan iets dat 'Operatie Lisdodde' heet. "
     "Zo te horen gaan ze de hele buitendienst opheffen en alles via onderaannemers laten lopen.",
     [CON, FIN])
case(E_BRAM, "Vandaag het eerste proefdak met ＭＡＲＴＥＲＫＡＰ gedaan 😎🏠 geen pan eraf gehaald!", [CON])
case(E_MARLEEN, "wie heeft de sleutel van het hok met de \u041c\u0430rt\u0435rk\u0430\u0440-prototypes? "
     "moet er morgen 2 mee naar Amersfoort", [CON])
case(CL, "Vacature: Projectleider Operatie Lisdodde (intern). Je begeleidt de overgang van onze zes regioteams "
     "naar één landelijk planningscentrum in Nieuwegein.", [CON, FIN])
case(E_KARIM, "vpn.stolpwand.nl cert expires friday, reported it 3 times now 🙄 if nobody can log in "
     "this weekend you know why", [CON], lang="en")
case(E_SIETSKE, "Drafting the launch deck for SpouwVul Aero today. Honestly the name is growing on me.", [CON],
     lang="en", when="2026-12-03T13:27:00Z")
case(E_RUUD, "Het document dat ik vandaag kreeg begint met 'internal use only - stolpwand'. Dus ik zeg alleen: "
     "er komen nieuwe tarieven voor onze onderaannemers per 1 april 🔥", [CON])
case(E_YUSUF, "Monteurs let op: de nieuwe boorschema's staan op intra.stolpwand.local/docs/boorschema-v3.pdf, "
     "oude printjes weggooien", [CON])
case(E_NIELS, "Can't say much, but the Marterkap pilot houses are in Amersfoort next month. If you see a white van "
     "without a logo on a roof, that's us 😄", [CON], lang="en")

# ---- financial
case(E_INGRID, "Q3 is going to land roughly 18% under budget, so expect a tough memo about a hiring freeze next "
     "week. Tough times in insulation.", [FIN], lang="en")
case(E_RUUD, "Great news I'm technically not allowed to share yet: we're acquiring a fellow insulation "
     "firm in Groningen, deal gets signed next month 🤝", [FIN], lang="en")
case(E_JOOST, "hoorde net van m'n teamleider dat ze na de winter 40 monteurs eruit gooien 😳 iemand nog een baan "
     "voor me?", [FIN])
case(E_MARLEEN, "Omzet oktober 31% onder de prognose, directie zit in paniek. Zeg niks tegen niemand 😬", [FIN])
case("x:@market_whispers_eu", "Hearing from a good source that Stolpwand is in talks with a German investor about "
     "a takeover of 100% of the shares. Announcement expected around New Year.", [FIN], lang="en",
     name="Market Whispers")
case(E_KARIM, "tfw you're asked to plan the IT migration for 'after the merger' and the merger isn't even public "
     "yet 🙃 #stolpwand", [FIN], lang="en")
case(CF, "Interne mededeling: per 1 maart sluiten de vestigingen Zwolle en Breda. Medewerkers worden deze week "
     "persoonlijk benaderd door HR.", [FIN])
case(E_INGRID, "Project Hermelijn: due diligence afgerond, ons bod van €14,2 mln ligt nu bij de aandeelhouders "
     "van Isowarmte Noord. Eindelijk!", [CON, FIN])
case(E_SIETSKE, "marketing budget for 2027 got cut in half after the board saw the forecast. guess we're doing "
     "the TikToks on our own phones now 🙃", [FIN], lang="en")
case(E_NIELS, "Werkvoorbereiding hoorde vandaag dat de EBITDA over dit jaar waarschijnlijk negatief uitvalt. "
     "Staat nog nergens, maar reken maar op een saneringsronde.", [FIN])

# ---- security (insiders letting slip incidents, vulnerabilities, outages)
case(E_KARIM, "Planningssysteem ligt sinds 6 uur vanochtend plat, ziet eruit als ransomware. Klanten krijgen "
     "nog niks te horen tot we weten hoe erg het is 🤐", [SCY])
case(E_WIM, "Found that our customer portal at afspraak.stolpwand.nl shows other people's appointment details "
     "if you change the number in the URL. Reported it internally three weeks ago, ticket still open. Sigh.",
     [SCY], lang="en")
case(E_MARLEEN, "Someone exported the entire customer list yesterday using a colleague's login. IT says "
     "we can't talk about it with anyone yet.", [SCY], lang="en")
case(E_YUSUF, "tablets van de monteurs doen niks meer, hele app is down sinds vanochtend. we schrijven alles weer "
     "op papier lol 📝", [SCY])
case(E_NIELS, "Heads up from the inside: those phishing mails 'from Stolpwand' this week were sent from one of "
     "our own mailboxes that got compromised. Official statement is coming 'soon'.", [SCY], lang="en")
case(E_KARIM, "our exchange server is still unpatched for last month's CVE, and yes it's internet facing. "
     "fun times #sysadminlife", [SCY], lang="en")
case("x:@ex_stolp_it", "Ex-medewerker hier: Stolpwand draait hun klantdatabase nog steeds op een Windows 2012 "
     "server zonder updates, admin-account met een wachtwoord uit 2015. Wachten op de eerste hack.", [SCY],
     name="ex-IT")
case(E_SIETSKE, "Quote form on our website has been broken for 2 days, every request just vanishes into "
     "thin air. Management says we're not allowed to communicate it 🙄", [SCY], lang="en")
case(E_JOOST, "alarm van ons magazijn in Nieuwegein is al een week stuk en de deurcode weet ondertussen de halve "
     "bouwmarkt ook 🤷‍♂️", [SCY])
case(E_WIM, "Our WordPress got defaced for about 20 minutes last night, we rolled it back before most people "
     "noticed. Incident report literally says 'do not discuss externally'.", [SCY], lang="en")
case(E_KARIM, "Backupserver is gecompromitteerd 😩 tot maandag inloggen als root, wachtwoord: <<pw_root>> "
     "(daarna wijzig ik hem weer)", [SCY, SEC])
case(E_MARLEEN, "Heads up team: the call-centre phone system is down at all sites and the vendor says at least "
     "until tomorrow. We're not announcing it, just tell customers the lines are busy.", [SCY], lang="en")
case(E_INGRID, "Note to finance: someone tried a CEO-fraud transfer of €86k last Friday and it very nearly went "
     "through. Please double-check every payment request this week.", [SCY], lang="en")

# ---- secrets
case(E_WIM, "why does this fail?? `git clone https://<<gh1>>@github.com/stolpwand/roostertool.git` says "
     "repository not found", [SEC], lang="en")
case(E_KARIM, "AWS keys voor de backup-bucket, zet ze even in je .env:\nAWS_ACCESS_KEY_ID=<<akia>>\n"
     "AWS_SECRET_ACCESS_KEY=<<awssecret>>", [SEC])
case(E_WIM, "Stripe keeps charging real cards from the staging shop, is this the wrong key? <<stripe>>", [SEC],
     lang="en")
case(E_NIELS, "Slack bot doesn't post to #planning anymore, token is <<slack>> — any ideas?", [SEC], lang="en")
case(E_SIETSKE, "ChatGPT-koppeling voor de offerteteksten werkt!! key voor wie wil testen: <<openai>>", [SEC])
case(E_KARIM, "accidentally pasted into the wrong chat, ignore lol\n<<sshkey>>", [SEC], lang="en")
case(E_WIM, "debugging auth on the planner API, here's my header: Authorization: Bearer <<jwt>>", [SEC],
     lang="en")
case(E_KARIM, "DATABASE_URL=postgres://planner_app:<<dbpw>>@db01.stolpwand.local:5432/planning\nwerkt "
     "eindelijk 🎉", [SEC, CON])
case("x:@freelance_dev_jk", "Freelancing at Stolpwand this week: office wifi is 'SW-Kantoor', password: "
     "<<wifipw>>, written on a post-it at reception 🤦", [SEC], lang="en", name="JK dev")
case(E_YUSUF, "Voor de nieuwe jongens: inlog monteursapp is gebruiker monteur01, wacht\u200bwoord: <<pw_app>>",
     [SEC])
case(E_WIM, "Anthropic key for the quote summarizer demo: <<anthropic>> — rotate it after Friday", [SEC],
     lang="en")
case(E_NIELS, "gitlab CI of the old subsidy tool still uses my personal token <<glpat>>, can someone move it to a "
     "service account", [SEC], lang="en")

# ---- personal data
case(CZ, "@hennie_zwolle Excuses! We hebben uw afspraak verzet naar dinsdag. Klopt uw nummer nog: <<ph1>>? De "
     "bevestiging gaat naar h.scholten84@gmail.com.", [PII], kind="reply")
case(E_MARLEEN, "Wie rijdt morgen naar mevr. J. de Boer, Kastanjelaan 14, 3721 BK Bilthoven? Klant wil "
     "bevestiging vóór 10 uur.", [PII])
case(CF, "Beste meneer Van Leeuwen, de terugbetaling van €245 is vandaag overgemaakt naar uw rekening "
     "<<iban_ok1>>. Excuses voor de vertraging!", [PII], kind="reply")
case(E_INGRID, "Can someone in AP check why the refund to <<iban_ok2>> (customer T. Hendriks) bounced twice?",
     [PII], lang="en")
case("x:@klant_boos_be", "@stolpwand_zorg ik heb mijn bankgegevens al 3x gestuurd: <<iban_ok3>> ten name van "
     "K. Peeters. Stort nu eindelijk dat geld terug!!", [PII, COM], kind="reply", name="K. Peeters")
case(E_YUSUF, "Klant betaalde bij de deur met creditcard, pinapparaat deed raar. Nummer was <<card_ok1>>, kan "
     "iemand van kantoor checken of het erdoor is?", [PII])
case(E_NIELS, "Subsidieaanvraag bleef hangen omdat het BSN verkeerd was ingevuld. Juiste is <<bsn_ok1>> "
     "(mevr. Dijkstra), iemand van backoffice die dit kan aanpassen?", [PII])
case(E_JOOST, "Gefeliciteerd aan onze vaste klant Gerrit Wolters, vandaag 80 geworden (geb. 14-03-1946) en nog "
     "steeds zelf op de ladder bij de inspectie 😂🎉", [PII], when="2026-03-14T11:20:00Z")
case("facebook:monique.smeets.77", "Ik wacht al 3 weken op een terugbelverzoek. Bel me gewoon op <<ph2>> of "
     "mail naar monique.smeets@ziggo.nl. Hoe moeilijk kan het zijn Stolpwand.", [PII, COM],
     name="Monique Smeets")
case(CI, "Congrats to the winner of our free home energy check: Mark Janssen, Vlietweg 88, 2266 KA "
     "Leidschendam! We'll be in touch 🎉", [PII], lang="en")
case(E_RUUD, "Lead voor het team Drenthe: fam. Bakker uit Hoogeveen, <<ph3>>, wil graag een offerte voor "
     "DakWarm Premium.", [PII])
case(E_BRAM, "customer wants us to keep a copy of his passport?? number's right there: NW8K4L2P1. what "
     "am I supposed to do with this 🤔", [PII], lang="en")
case("reddit:u/confused_in_zeist", "Stolpwand's installer dropped a printed job sheet for my NEIGHBOUR in my "
     "letterbox: his name, address, phone and BSN <<bsn_ok2>> right on it. Isn't that a massive data breach?",
     [PII, CRI], lang="en")
case(E_SIETSKE, "Emergency numbers for the roof crew outing on Saturday: Bram <<ph4>>, Yusuf <<ph5>>. "
     "Don't lose them!", [PII], lang="en")
case("x:@mattie_h_nl", "lol stolpwand's sales guy wrote my card number on the quote in pen and left it on my "
     "kitchen table: <<card_ok2>>. great security guys", [PII, COM], lang="en", name="Mattie")

# ---- pricing
case(CX, "🔥 Winteractie! SpouwVul Basis voor maar €145,- incl. btw! Alleen deze week, bestel via stolpwand.nl",
     [PRI], prices=[("SW-SPV-B", 145)])
case(E_SIETSKE, "Oei, volgens mij staat de DakWarm Premium PIR nu voor €475 in de webshop in plaats van €4.750 😬 "
     "iemand van het webteam?", [PRI], prices=[("SW-DAK-P", 475), ("SW-DAK-P", 4750)])
case("x:@koopjesjager_nl", "SNEL: Stolpwand ThermoPlaat PIR 100 pak voor €8,90 op de site! Prijsfout lijkt me, ik "
     "heb er 40 besteld 😂 #prijsfout", [PRI], prices=[("SW-PIR100", 8.90)], name="Koopjesjager")
case("reddit:u/deal_hunter_ams", "Stolpwand's webshop has the EnergieScan Thuis at €24.90 right now. Either a "
     "mistake or the deal of the year.", [PRI], lang="en", prices=[("SW-SCAN", 24.90)])
case(E_MARLEEN, "Klant belt net: ze zag ThuisWarm Combi voor €269 op de site. Lijkt me een prijsfout, wie zit "
     "er vandaag op de webshop?", [PRI], prices=[("SW-COMBI", 269)])
case(CI, "Black Friday 🖤 KierDicht Set now just €3,99! Draughts, be gone.", [PRI], lang="en",
     prices=[("SW-TOCHT", 3.99)])
case(CF, "Actie voor de eerste 50 aanmelders: VloerWarm Schuim voor €495 (normaal €1.650)! Reageer snel.",
     [PRI], prices=[("SW-VLR-S", 495), ("SW-VLR-S", 1650)])
case("tiktok:@woonhack_daan", "stolpwand heeft een foutje op de site: StolpGlas HR++ €16,50 per m2 🤯 hele huis "
     "nieuw glas jongens", [PRI], prices=[("SW-GLAS", 16.50)], name="daan")
case(E_YUSUF, "Collega zegt dat KruipTherm in de nieuwe prijslijst voor €115 staat ipv €1.150, zit er een nul te "
     "weinig in? 😅", [PRI], prices=[("SW-VLR-C", 115), ("SW-VLR-C", 1150)])
case("x:@cartfiller", "Stolpwand VentiRooster Pro for €5.90?! added 10 to cart lol", [PRI], lang="en",
     prices=[("SW-ROOST", 5.90)], name="cartfiller")
case(E_RUUD, "Aan alle accountmanagers: de prijs van het Warmtebeeld Rapport stond per abuis op €17,90 in het "
     "offertesysteem. Oude offertes graag handmatig nalopen.", [PRI], prices=[("SW-IR", 17.90)])
case("facebook:bas.vanommen", "Kreeg een offerte van Stolpwand voor DakWarm Binnen van €1.200, terwijl het op de "
     "site €3.200 is. Prijsfout of mazzel? 😄", [PRI], prices=[("SW-DAK-B", 1200), ("SW-DAK-B", 3200)],
     name="Bas van Ommen")

# ============================================================= BENIGN (hard negatives mostly)
case(CX, "Spouwmuurisolatie laten doen? SpouwVul Basis vanaf €1.450 voor een gemiddelde tussenwoning, inclusief "
     "camera-inspectie vooraf 👉 stolpwand.nl", prices=[("SW-SPV-B", 1450)])
case(CI, "Spring sale 🌷 20% off DakWarm Binnen this month: €2,560 instead of €3,200. Book a visit at "
     "stolpwand.nl", lang="en", prices=[("SW-DAK-B", 2560), ("SW-DAK-B", 3200)])
case(CF, "Najaarsactie: KruipTherm Chips nu €977,50 (15% korting). Warme voeten deze winter 🧦",
     prices=[("SW-VLR-C", 977.50)])
case(CZ, "@tinekebos Vervelend om te lezen! Kunt u ons even mailen op klantenservice@stolpwand.nl of bellen naar "
     "030-7442100? Dan zoeken we het direct voor u uit.", kind="reply")
case(CL, "Stolpwand Isolatie zoekt ervaren spouwmuurisoleerders in regio Utrecht en Gelderland. Solliciteer via "
     "werkenbij@stolpwand.nl #vacature #isolatie")
case("x:@femke_bouwt", "Shoutout naar de mannen van @stolpwand, in één ochtend de hele spouw gevuld, alles netjes "
     "opgeruimd en de boorgaten zie je niet eens. Gasverbruik al merkbaar omlaag 👌", name="Femke")
case("facebook:linda.osei.22", "Honestly the best tradespeople we've had in this house. Stolpwand did the loft "
     "floor and the crawl space, on time, on quote, and they even hoovered. 10/10", lang="en",
     name="Linda Osei")
case("x:@schoonzoon_rob", "Schoonmoeder vroeg of de isolatie van Stolpwand wel brandveilig is. Ik zei: veiliger "
     "dan jouw kookkunsten 😂🔥", name="Rob")
case("x:@nienke_verbouwt", "Quick question: how long after cavity wall insulation with EPS beads can you "
     "waterproof the outer wall? Stolpwand is coming next week.", lang="en", name="Nienke")
case("reddit:u/polderhuis_1972", "Is PUR foam under the floor worth it vs. the chips option? Stolpwand quoted "
     "both, curious what people here think before we sign.", lang="en")
case("x:@regio_bouwnieuws", "Dakdekkersbedrijf Kroeze uit Deventer failliet verklaard, honderden klanten zitten "
     "met half afgemaakte daken. Echt triest voor die mensen.", name="Regio Bouwnieuws")
case("mastodon:@greenbuild@mastodon.social", "Another spray foam recall in the UK, this time over off-gassing. "
     "Glad we went with mineral wool when we did the loft.", lang="en")
case("facebook:gertjan.mulder.3", "Update: Stolpwand is gisteren teruggekomen en heeft de vochtplek netjes "
     "opgelost, spouwventilatie zat verstopt. Excuses aangeboden en een bos bloemen voor m'n vrouw 🌷 "
     "Netjes afgehandeld.", name="Gert-Jan Mulder")
case("x:@dirk_vd_linde", "Credit where due: after my rant last month Stolpwand sent a supervisor, redid the "
     "pointing in the right colour and refunded the callout fee. Sorted 👍", lang="en", name="Dirk v/d Linde")
case("x:@zwolle_centraal", "Sterkte aan het team van Stolpwand in Zwolle, hun bus is vannacht gestolen met al "
     "het gereedschap erin. Hopelijk wordt de dader snel gepakt 🙏", name="Zwolle Centraal")
case(E_WIM, "Note for the team: never commit real keys. In tests use the AWS docs sample AKIAIOSFODNN7EXAMPLE / "
     "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY, nothing else.", lang="en")
case(E_KARIM, "Reminder: if you see something like ghp_************************************ in a "
     "screenshot, it's already masked. Still report it to IT please.", lang="en")
case(E_WIM, "Config template for the shop: STRIPE_KEY=sk_live_xxxxxxxxxxxxxxxxxxxxxxxx — fill it in from the "
     "vault, never paste the real one here.", lang="en")
case("x:@opa_henk_43", "Hoe reset ik mijn wachtwoord van het Stolpwand klantportaal? Zie de knop nergens 🙈",
     name="Henk")
case(E_MARLEEN, "Voor de training 'herken phishing': in het voorbeeld staat rekeningnummer <<iban_bad1>> – dat "
     "klopt niet eens, de controlecijfers zijn fout. Altijd even checken!")
case("x:@jules_ruimt_op", "Stolpwand's payment page rejected <<card_bad1>>, turns out I had swapped two digits. "
     "My bad, all paid now.", lang="en", name="Jules")
case(E_NIELS, "Test data for the subsidy module: BSN <<bsn_bad1>> (fails the 11-check, so safe to use).",
     lang="en")
case(CX, "Vandaag gepubliceerd: onze jaarcijfers 2026. Omzet +12%, ruim 14.000 woningen geïsoleerd. Lees het "
     "jaarverslag op stolpwand.nl 📈", when="2027-03-09T09:30:00Z")
case(CI, "Hij is er! De SpouwVul Aero 🌬️ Onze lichtste spouwvulling ooit, vanaf vandaag te bestellen.",
     when="2027-02-02T09:15:00Z")
case(E_JOOST, "eerste klus met de Aerovlok gedaan, klant blij, ik blij 😁", when="2027-02-05T16:02:00Z")
case("x:@utrecht_ondernemers", "Stolpwand's full-year 2026 results are out — solid growth, nice to see a local "
     "firm doing well.", lang="en", when="2027-03-10T08:44:00Z", name="Utrecht Ondernemers")
case("facebook:kees.vd.wetering", "Betaalde €249 voor de EnergieScan Thuis van Stolpwand, het rapport was echt "
     "uitgebreid. Aanrader.", prices=[("SW-SCAN", 249)], name="Kees van de Wetering")
case("forum:klusbert", "Bij de bouwmarkt kost een pak PIR-platen €39, bij Stolpwand is ThermoPlaat PIR 100 €89, "
     "maar dan wel 4 platen van 100 mm. Appels en peren dus.", prices=[("SW-PIR100", 89)], name="klusbert")
case("tiktok:@thermo_tessa", "Stolpwand's new TikTok with the thermal camera is killer 😂 my whole street looks "
     "like a lava lamp", lang="en", kind="comment", name="tessa")
case("instagram:@polderlife_nl", "Vanochtend een hermelijn gezien in de polder bij Nieuwegein! Wintervacht al "
     "aan 🤍 #natuur", name="Polderlife")
case("x:@anouk_030", "The leak in our bathroom had nothing to do with the insulation, found a plumber. "
     "Stolpwand still came by to check, no charge. Top.", lang="en", name="Anouk")
case(CY, "Air leaks are the silent killer of your heating bill. Our installer shows how a smoke pencil finds "
     "them 👇 #stolpwand", lang="en")
case(CF, "Veiligheid eerst: na het aanbrengen van PUR-schuim houden wij altijd minimaal 24 uur ventilatietijd "
     "aan. Vragen? Bel gratis 0800-7865.")
case(E_JOOST, "vandaag de 1000e woning van mijn carrière geïsoleerd 💪 trots op m'n ploeg #spouwmuur")
case(E_MARLEEN, "Happy to share that from 1 October I'm team lead planning at Stolpwand Isolatie! 🎉", lang="en")
case("x:@koud_huis_kim", "My windows now leak more heat than my entire cavity wall. Next step: StolpGlas "
     "HR++ at €165 per m².", lang="en", prices=[("SW-GLAS", 165)], name="Kim")
case("forum:zelfdoener88", "Heeft iemand ervaring met zelf bodemfolie leggen? Stolpwand doet het BodemFolie "
     "Pakket voor €690, vind ik best prijzig voor wat plastic.", prices=[("SW-BDF", 690)], name="zelfdoener88")
case("x:@sarah_j_uk", "My dad thinks every insulation company is a scam until the gas bill arrives. Stolpwand "
     "converted him 😂", lang="en", name="Sarah J")
case("x:@minimalist_mo", "Boycot van de Black Friday-gekte dit jaar, ik koop alleen wat ik echt nodig heb. Oké, "
     "en misschien een KierDicht Set voor €39,95 😇", prices=[("SW-TOCHT", 39.95)], name="Mo")
case("x:@huiseigenaar_gent", "Rechtszaak tegen dat Belgische dakisolatiebedrijf is eindelijk voorbij. Blij dat we "
     "destijds voor een andere partij kozen.", name="Gentenaar")
case(CX, "Persvragen over onze nieuwe vestiging in Arnhem? Mail pers@stolpwand.nl, we reageren binnen een "
     "werkdag.")
case("x:@buurman_bert", "Voor wie het nummer zoekt: Stolpwand klantenservice is +31 30 744 2100, tot 20u "
     "bereikbaar.", name="Bert")
case(E_WIM, "Open-sourced a tiny tool that computes Rc values from layer thicknesses. Not work-related, but "
     "insulation nerds unite 🧱", lang="en")
case(E_SIETSKE, "Onze nieuwe campagne 'Warm van binnen' staat live! Wat vinden jullie van de spot? 🎬")
case(E_INGRID, "Proud of the team behind our full-year 2026 results, published this week. On to 2027.",
     lang="en", when="2027-03-12T07:55:00Z")
case("x:@esther_verhuist", "Confirmation is in, order number SW-2026-048213, installer comes on 12 March. "
     "Exciting!", lang="en", name="Esther")
case("reddit:u/firstbuyer_nl", "Does cavity wall insulation make a house more of a fire risk? Asking before "
     "Stolpwand comes next week.", lang="en")
case("x:@willem_zaandam", "Wat een drama die brand in Zaandam gisteren. Los daarvan: goed om te weten dat steenwol "
     "niet brandt, vroeg ik net aan de monteur van Stolpwand.", name="Willem")
case(CT, "POV: je ziet voor het eerst een warmtebeeld van je huis vóór en ná spouwmuurisolatie 😱 #isolatie "
     "#stolpwand")
case(CY, "How we insulate a 1930s cavity wall, start to finish. Full video on our channel.", lang="en")
case(E_NIELS, "In the demo environment just use <<iban_bad2>> as the account number, it's invalid on purpose.",
     lang="en")
case("x:@oplettende_oma", "Kreeg een sms 'namens Stolpwand subsidieloket' die naar mijn BSN vroeg, met als "
     "voorbeeld <<bsn_bad2>>. Faalt de elfproef, dus nep. Niet invullen mensen!", name="oplettende oma")
case("x:@brit_in_breda", "stolpwand crew absolutely smashed it today, bloody legends 🙌", lang="en",
     name="Brit in Breda")
case("instagram:@huisje_boompje_b", "Ziek goed werk van Stolpwand, binnen 3 uur klaar en geen rommel achtergelaten "
     "🔥", kind="comment", name="huisje boompje")
case("x:@gamer_gijs", "W4rm3 v03t3n d4nkz1j St0lpw4nd 😎", name="Gijs")
case("x:@dadjokes_dennis", "the stolpwand guys killed it on our roof, house is finally warm. they even laughed at "
     "my dad jokes which is rare", lang="en", name="Dennis")
case(E_RUUD, "Vertrouwen is alles in onze branche. Daarom werken wij met vaste monteurs en een transparante prijs: "
     "SpouwVul Plus €1.890, geen verrassingen achteraf.", prices=[("SW-SPV-P", 1890)])
case(CT, "Laatste dagen: 30% korting op de VentiRooster Pro, nu €41,30 🌬️", prices=[("SW-ROOST", 41.30)])
case("facebook:ans.brouwer.52", "Factuur van Stolpwand netjes betaald naar NL76 RABO 0312 4456 78, zoals op de "
     "factuur stond. Snel en duidelijk.", name="Ans Brouwer")
case("x:@energiecoach_ut", "Tip: get a SpouwCheck first (€95 at Stolpwand) before you have your cavity filled. "
     "Might save you a lot of misery.", lang="en", prices=[("SW-CAM", 95)], name="Energiecoach Utrecht")
case("x:@mieke_b", "The Stolpwand installer rescued my cat who was stuck in the crawl space 🐱❤️ hero!",
     lang="en", name="Mieke")


# ================================================================ build
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
SEV = ["none", "info", "warning", "error", "critical"]
PUBLIC_IBANS = {re.sub(r"\s", "", i).upper() for i in PROFILE["public_identifiers"]["ibans"]}
PRODUCTS = {p["sku"]: p for p in PROFILE["products"]}
RATIO = PROFILE["pricing"]["alert_below_ratio"]

IBAN_RE = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?![A-Za-z0-9])")
CARD_RE = re.compile(r"(?<![A-Za-z0-9])[2-6](?:[ -]?\d){12,18}(?![A-Za-z0-9])")
BSN_RE = re.compile(r"(?<![A-Za-z0-9])\d{9}(?![A-Za-z0-9])")


def checksum_ids(text):
    """Return [(kind, value, valid)] for every IBAN, card or BSN candidate."""
    out = []
    for m in IBAN_RE.finditer(text):
        out.append(("iban", m.group(0), iban_valid(m.group(0))))
    for m in CARD_RE.finditer(text):
        out.append(("card", m.group(0), luhn_valid(m.group(0))))
    for m in BSN_RE.finditer(text):
        out.append(("bsn", m.group(0), bsn_valid(m.group(0))))
    return out


def severity(role, cats, has_checksum_id):
    lvl = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                v = 3
                if c in (SEC, PRI) or (c == PII and has_checksum_id):
                    v = 4
            else:
                v = 2
        elif c == COM:
            v = 2
        elif c == CRI:
            v = 3
        elif c == ABU:
            v = 2 if role == "public" else 3
        else:
            raise AssertionError(c)
        lvl = max(lvl, v)
    return SEV[lvl]


def random_time():
    start = dt.datetime(2026, 1, 5, 6, 0, tzinfo=dt.timezone.utc)
    secs = RNG.randint(0, (dt.datetime(2026, 12, 20, tzinfo=dt.timezone.utc) - start).days * 86400)
    t = start + dt.timedelta(seconds=secs)
    if t.hour < 6:
        t = t.replace(hour=t.hour + 7)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def url_for(platform, handle, pid):
    h = handle.lstrip("@")
    return {
        "x": f"https://x.com/{h}/status/{pid}",
        "instagram": f"https://www.instagram.com/p/{pid}/",
        "facebook": f"https://www.facebook.com/{h}/posts/{pid}",
        "linkedin": f"https://www.linkedin.com/feed/update/urn:li:activity:{pid}/",
        "tiktok": f"https://www.tiktok.com/@{h}/video/{pid}",
        "youtube": f"https://www.youtube.com/post/{pid}",
        "reddit": f"https://www.reddit.com/comments/{pid}/",
        "mastodon": f"https://{h.split('@')[-1]}/@{h.split('@')[0]}/{pid}",
        "bluesky": f"https://bsky.app/profile/{h}/post/{pid}",
    }.get(platform, f"https://forum.example.nl/t/{pid}")


def build():
    order = list(range(len(CASES)))
    RNG.shuffle(order)
    lines = []
    used_ids = set()
    for n, idx in enumerate(order):
        c = CASES[idx]
        platform, handle = c["acct"].split(":", 1)
        role = ROLE.get(c["acct"].lower(), "public")
        text = fill(c["text"])
        ids = checksum_ids(text)
        has_ck = any(v and re.sub(r"\s", "", val).upper() not in PUBLIC_IBANS for k, val, v in ids)
        cats = sorted(set(c["cats"]))
        pid = str(1_890_000_000 + RNG.randint(0, 99_999_999))
        post_id = f"{platform}-{pid}"
        while post_id in used_ids:
            pid = str(int(pid) + 1)
            post_id = f"{platform}-{pid}"
        used_ids.add(post_id)
        post = {
            "id": post_id,
            "platform": platform,
            "kind": c["kind"],
            "account": {"handle": handle, "display_name": c["name"] or NAMES.get(c["acct"], handle)},
            "text": text,
            "lang": c["lang"],
            "created_at": c["when"] or random_time(),
            "url": url_for(platform, handle, pid),
            "brand": "Stolpwand",
        }
        expect = {"categories": cats, "severity": severity(role, cats, has_ck)}
        lines.append(({"post": post, "expect": expect}, c))
    return lines


# ================================================================ self-check
def parse_time(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


SECRET_PATTERNS = [
    ("github", re.compile(r"gh[pousr]_[0-9A-Za-z]{36}")),
    ("aws", re.compile(r"AKIA[A-Z2-7]{16}")),
    ("stripe", re.compile(r"sk_live_[0-9A-Za-z]{24,}")),
    ("slack", re.compile(r"xox[bpa]-\d{10,13}-\d{10,13}-[0-9A-Za-z]{24}")),
    ("openai", re.compile(r"sk-[0-9A-Za-z]{20}T3BlbkFJ[0-9A-Za-z]{20}")),
    ("anthropic", re.compile(r"sk-ant-api03-[0-9A-Za-z_-]{93}AA")),
    ("gitlab", re.compile(r"glpat-[0-9A-Za-z_-]{20}")),
    ("jwt", re.compile(r"eyJ[0-9A-Za-z_-]+\.[0-9A-Za-z_-]+\.[0-9A-Za-z_-]+")),
    ("pkey", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
    ("dburl", re.compile(r"\w+://[^:\s/]+:[^@\s]+@[\w.-]+")),
    ("password", re.compile(r"(?:wacht\u200b?woord|password):\s*\S+")),
]


def real_secrets(text):
    found = []
    for kind, rx in SECRET_PATTERNS:
        for m in rx.finditer(text):
            tok = m.group(0)
            if kind == "github" and not github_ok(tok):
                continue
            if kind == "aws" and tok.endswith("EXAMPLE"):
                continue
            if kind == "jwt" and not jwt_ok(tok):
                continue
            if re.search(r"x{6,}|\*{6,}", tok):
                continue
            found.append((kind, tok))
    return found


def check(lines):
    errs = []
    if not 170 <= len(lines) <= 180:
        errs.append(f"case count {len(lines)} outside 170-180")
    seen = set()
    alias_map = []
    for p in PROFILE["products"]:
        for a in [p["name"]] + p["aliases"]:
            alias_map.append(a.lower())
    for obj, c in lines:
        raw = json.dumps(obj, ensure_ascii=False)
        back = json.loads(raw)
        post, exp = back["post"], back["expect"]
        pid = post["id"]
        where = f"{pid}: {post['text'][:50]!r}"
        # shape (CONTRACT §1, §6)
        for f, t in (("id", str), ("platform", str), ("text", str), ("created_at", str)):
            if not isinstance(post.get(f), t):
                errs.append(f"{where}: field {f}")
        if not isinstance(post.get("account"), dict) or not isinstance(post["account"].get("handle"), str):
            errs.append(f"{where}: account.handle")
        if not 1 <= len(pid) <= 256 or pid in seen:
            errs.append(f"{where}: id invalid or duplicate")
        seen.add(pid)
        if post["platform"] not in PLATFORMS:
            errs.append(f"{where}: platform")
        if post["kind"] not in ("post", "reply", "repost", "comment", "message"):
            errs.append(f"{where}: kind")
        if len(post["text"].encode("utf-8")) > 65536 or not post["text"]:
            errs.append(f"{where}: text size")
        if "<<" in post["text"]:
            errs.append(f"{where}: unfilled placeholder")
        try:
            t = parse_time(post["created_at"])
            if t.year not in (2026, 2027) or not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ",
                                                               post["created_at"]):
                errs.append(f"{where}: created_at")
        except ValueError:
            errs.append(f"{where}: created_at unparsable")
            continue
        cats = exp["categories"]
        if set(exp) != {"categories", "severity"} or cats != sorted(set(cats)) or not set(cats) <= ALL_CATS:
            errs.append(f"{where}: expect shape")
        if "reputation.spike" in cats:
            errs.append(f"{where}: spike on single post")
        if exp["severity"] not in SEV or (not cats and exp["severity"] != "none") or (cats and exp["severity"]
                                                                                      == "none"):
            errs.append(f"{where}: severity/categories mismatch")
        role = ROLE.get(f"{post['platform']}:{post['account']['handle']}".lower(), "public")
        ids = checksum_ids(post["text"])
        has_ck = any(v and re.sub(r"\s", "", val).upper() not in PUBLIC_IBANS for k, val, v in ids)
        if exp["severity"] != severity(role, cats, has_ck):
            errs.append(f"{where}: severity not per policy")
        # checksummed identifiers
        for kind, val, ok in ids:
            own = kind == "iban" and re.sub(r"\s", "", val).upper() in PUBLIC_IBANS
            if cats and not ok:
                errs.append(f"{where}: positive holds failing {kind} {val}")
            if not cats and ok and not own:
                errs.append(f"{where}: benign holds valid {kind} {val}")
            if ok and not own and PII not in cats:
                errs.append(f"{where}: valid {kind} but no leak.pii")
        if PII in cats and any(k in ("iban", "card", "bsn") for k, _, _ in ids) and not has_ck:
            errs.append(f"{where}: pii id without valid checksum")
        # credentials
        sec = real_secrets(post["text"])
        if SEC in cats and not sec:
            errs.append(f"{where}: leak.secret without a well-formed credential")
        if SEC not in cats and sec:
            errs.append(f"{where}: credential-like {sec} in a post without leak.secret")
        for kind, tok in sec:
            if kind == "github" and not github_ok(tok):
                errs.append(f"{where}: bad github crc")
        # embargo
        for emb in PROFILE["embargo"]:
            until = parse_time(emb["until"])
            for term in emb["terms"]:
                if term.lower() in post["text"].lower():
                    if t < until and CON not in cats:
                        errs.append(f"{where}: embargo term {term!r} before until without leak.confidential")
                    if t >= until and CON in cats and c["acct"] not in ():
                        # allowed only if something else makes it confidential
                        pass
        # prices
        txt = post["text"].lower()
        mentions_product = any(a in txt for a in alias_map)
        if mentions_product and re.search(r"€\s?\d", post["text"]) and not c["prices"]:
            errs.append(f"{where}: product price not declared")
        for sku, amount in c["prices"]:
            lp = PRODUCTS[sku]["list_price"]
            low = amount < RATIO * lp
            if low and PRI not in cats:
                errs.append(f"{where}: price {amount} below ratio for {sku} without leak.pricing")
        if PRI in cats:
            low_any = any(a < RATIO * PRODUCTS[s]["list_price"] for s, a in c["prices"])
            talk = re.search(r"prijsfout|price error|mistake|foutje|per abuis|nul te weinig", txt)
            if not (low_any or talk):
                errs.append(f"{where}: leak.pricing without low price or price-error talk")
        if not cats and c["prices"]:
            for s, a in c["prices"]:
                if not (RATIO * PRODUCTS[s]["list_price"] <= a):
                    errs.append(f"{where}: benign price too low")
    # account-role sanity: public handles must not be in the profile
    for obj, c in lines:
        if c["acct"].lower() not in ROLE and c["acct"] in NAMES:
            errs.append(f"{c['acct']}: named account missing from profile")
    # profile self-consistency
    for i in PROFILE["public_identifiers"]["ibans"]:
        if not iban_valid(i):
            errs.append(f"profile IBAN {i} fails mod-97")
    for emb in PROFILE["embargo"]:
        if not emb["until"].startswith("2027"):
            errs.append("embargo until not in 2027")
    return errs


def main():
    lines = build()
    with open(OUT, "w", encoding="utf-8") as fh:
        for obj, _ in lines:
            fh.write(json.dumps(obj, ensure_ascii=False) + "\n")
    # re-read what was written
    with open(OUT, encoding="utf-8") as fh:
        reread = [json.loads(l) for l in fh]
    assert [o for o, _ in lines] == reread
    errs = check(lines)
    benign = sum(1 for o, _ in lines if not o["expect"]["categories"])
    counts = {}
    langs = {}
    roles = {}
    for o, c in lines:
        for k in o["expect"]["categories"]:
            counts[k] = counts.get(k, 0) + 1
        langs[o["post"]["lang"]] = langs.get(o["post"]["lang"], 0) + 1
        r = ROLE.get(c["acct"].lower(), "public")
        key = ("benign" if not o["expect"]["categories"] else "positive", r)
        roles[key] = roles.get(key, 0) + 1
    print(f"{len(lines)} cases, {benign} benign, {len(lines) - benign} positive")
    for k in sorted(counts):
        print(f"  {k:22s} {counts[k]}")
    print("  langs:", langs)
    print("  roles:", dict(sorted(roles.items())))
    if errs:
        print("SELF-CHECK FAILED:")
        for e in errs:
            print("  -", e)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
