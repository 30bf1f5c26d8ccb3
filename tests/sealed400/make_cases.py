#!/usr/bin/env python3
"""Build the sealed400 evaluation set (tanning-salon chain "Koperzon").

Deterministic: fixed seed, standard library + PyYAML. Writes cases.jsonl beside
this file and self-checks it (checksums, secret formats, CONTRACT section 6 shape,
severities derived from the account role in profile.yaml, pricing ratios, embargo
windows). Exits non-zero on any failed check.
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

HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))
OUT = os.path.join(HERE, "cases.jsonl")

rng = random.Random(400_2026)

# ---------------------------------------------------------------------------
# identifier generators and validators
# ---------------------------------------------------------------------------
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def b62(n):
    if n == 0:
        return "0"
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return s


def iban_valid(s):
    s = s.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    n = int("".join(str(int(c, 36)) for c in r))
    return n % 97 == 1


def iban_make(cc, bban):
    r = bban + cc + "00"
    n = int("".join(str(int(c, 36)) for c in r))
    return "%s%02d%s" % (cc, 98 - n % 97, bban)


def make_iban_nl(bank):
    return iban_make("NL", bank + "".join(rng.choice(string.digits) for _ in range(10)))


def make_iban_be():
    base = rng.randint(10**9, 10**10 - 1)
    chk = base % 97 or 97
    return iban_make("BE", "%010d%02d" % (base, chk))


def fmt4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def luhn_valid(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    if not 13 <= len(d) <= 19:
        return False
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def make_card(prefix, length=16):
    while True:
        body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
        for last in string.digits:
            if luhn_valid(body + last):
                return body + last


def bsn_valid(num):
    d = re.sub(r"\D", "", num)
    if len(d) != 9:
        return False
    s = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return s % 11 == 0 and int(d) != 0


def make_bsn():
    while True:
        head = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        last = sum(head[i] * (9 - i) for i in range(8)) % 11
        if last < 10:
            s = "".join(map(str, head)) + str(last)
            if bsn_valid(s):
                return s


def spoil(value, valid_fn):
    """Change the last digit until the checksum fails (a look-alike)."""
    chars = list(value)
    idx = max(i for i, c in enumerate(chars) if c.isdigit())
    orig = chars[idx]
    for d in "7319528640":
        if d == orig:
            continue
        chars[idx] = d
        cand = "".join(chars)
        if not valid_fn(cand):
            return cand
    raise RuntimeError("cannot spoil " + value)


# --- secrets ---------------------------------------------------------------
def rs(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "-_"


def gh_token(prefix="ghp_"):
    body = rs(B62, 30)
    return prefix + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")


def gh_valid(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()) & 0xFFFFFFFF).rjust(6, "0") == m.group(2)


def aws_key_id():
    return "AKIA" + rs(string.ascii_uppercase + "234567", 16)


def aws_secret():
    return rs(ALNUM + "/+", 40)


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt(payload):
    head = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64u(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64u(bytes(rng.randrange(256) for _ in range(32)))
    return head + "." + body + "." + sig


def jwt_valid(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    try:
        h = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except Exception:
        return False
    return isinstance(h, dict) and "alg" in h


def openssh_key():
    raw = b"openssh-key-v1\x00" + bytes(rng.randrange(256) for _ in range(380))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


SECRET_FORMATS = {
    "github": gh_valid,
    "aws_id": lambda v: re.fullmatch(r"AKIA[A-Z2-7]{16}", v) is not None and "EXAMPLE" not in v,
    "aws_secret": lambda v: re.fullmatch(r"[A-Za-z0-9/+]{40}", v) is not None,
    "jwt": jwt_valid,
    "stripe": lambda v: re.fullmatch(r"sk_live_[0-9A-Za-z]{90,}", v) is not None,
    "mollie": lambda v: re.fullmatch(r"live_[A-Za-z0-9]{30}", v) is not None,
    "slack": lambda v: re.fullmatch(r"xoxb-\d{12}-\d{13}-[A-Za-z0-9]{24}", v) is not None,
    "openai": lambda v: re.fullmatch(r"sk-proj-[A-Za-z0-9_-]{74}T3BlbkFJ[A-Za-z0-9_-]{74}", v) is not None,
    "anthropic": lambda v: re.fullmatch(r"sk-ant-api03-[A-Za-z0-9_-]{93}AA", v) is not None,
    "ssh_key": lambda v: v.startswith("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEA"),
    "db_url": lambda v: re.fullmatch(r"postgres(?:ql)?://[a-z_]+:[^@\s]{8,}@[\w.\-]+:\d+/\w+", v) is not None,
    "password": lambda v: len(v) >= 8 and any(c.isdigit() for c in v) and any(not c.isalnum() for c in v),
}

# generated values ---------------------------------------------------------
AK1, AS1 = aws_key_id(), aws_secret()
GH1 = gh_token("ghp_")
GH2 = gh_token("ghs_")
MOLLIE = "live_" + rs(ALNUM, 30)
STRIPE = "sk_live_51" + rs(ALNUM, 96)
SLACK = "xoxb-%012d-%013d-%s" % (rng.randrange(10**11, 10**12), rng.randrange(10**12, 10**13), rs(ALNUM, 24))
JWT1 = make_jwt({"sub": "medewerker-1187", "role": "studio_admin", "iss": "auth.koperzon.nl",
                 "iat": 1780473600, "exp": 1781078400})
OAI = "sk-proj-" + rs(URLSAFE, 74) + "T3BlbkFJ" + rs(URLSAFE, 74)
ANT = "sk-ant-api03-" + rs(URLSAFE, 93) + "AA"
SSH = openssh_key()
DBPW1 = rs(ALNUM, 6) + "!" + rs(ALNUM, 7)
DB1 = "postgres://kz_app:%s@10.20.4.12:5432/members" % DBPW1
DBPW2 = "Kp" + rs(ALNUM, 5) + "#" + rs(string.digits, 3) + "z"
DB2 = "postgresql://rapport_ro:%s@db01.kassa.koperzon.internal:5432/omzet" % DBPW2
PW1 = "Zonnig#%02dKoper!" % rng.randint(10, 99)
PW2 = "Glow4ever!%s" % rs(string.ascii_lowercase, 3)
PW3 = "Bruin" + rs(string.digits, 4) + "$" + rs(string.ascii_uppercase, 2)

IBAN_SANDRA = make_iban_nl("INGB")
IBAN_BE = make_iban_be()
CARD_JESS = make_card("4")
CARD_YILDIZ = make_card("52")
BSN_JASPER = make_bsn()
BSN_SELF = make_bsn()
# look-alikes that fail their checksum (hard negatives)
BAD_IBAN1 = spoil(make_iban_nl("RABO"), iban_valid)
BAD_IBAN2 = spoil(make_iban_nl("INGB"), iban_valid)
BAD_CARD1 = spoil(make_card("5"), luhn_valid)
BAD_CARD2 = spoil(make_card("4"), luhn_valid)
BAD_BSN1 = spoil(make_bsn(), bsn_valid)
BAD_BSN2 = spoil(make_bsn(), bsn_valid)
PUBLIC_IBAN = PROFILE["public_identifiers"]["ibans"][0]

# ---------------------------------------------------------------------------
# cases
# ---------------------------------------------------------------------------
CASES = []
C = "corporate"
E = "employee"
P = "public"


def add(role, lang, platform, handle, text, cats=(), kind="post", when=None,
        ids=(), secrets=(), price=None, allow_terms=False, url=None):
    CASES.append(dict(role=role, lang=lang, platform=platform, handle=handle, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, ids=list(ids),
                      secrets=list(secrets), price=price, allow_terms=allow_terms, url=url))


COMP = "reputation.complaint"
CRI = "reputation.crisis"
ABU = "reputation.abuse"
CONF = "leak.confidential"
FIN = "leak.financial"
SEC = "leak.security"
SECRET = "leak.secret"
PII = "leak.pii"
PRICE = "leak.pricing"

# ---- complaints -----------------------------------------------------------
add(P, "nl", "x", "@meikevd",
    "3e keer deze maand dat m'n reservering bij @koperzon in Leidsche Rijn gewoon verdwenen is uit de app. "
    "sta ik weer voor niks voor de deur 🙄 #koperzon", [COMP])
add(P, "en", "instagram", "@tanwithtess",
    "@koperzon.tanning Paid for Goud+ back in March, still can't cancel it online and your helpdesk keeps "
    "sending me the same copy-paste answer. Honestly thinking about a chargeback at this point.", [COMP], kind="comment")
add(P, "nl", "facebook", "Wendy.Kramer.77",
    "Vandaag bij Koperzon Haarlem geweest. Bank 4 stonk naar zweet en er lag nog een haar op het glas, "
    "niemand had schoongemaakt na de vorige klant. Echt smerig voor 14 euro.", [COMP])
add(P, "en", "reddit", "u/pale_in_zwolle",
    "Anyone else notice the lamps at Koperzon Zwolle are basically dead? Did 12 min TurboTan and came out exactly "
    "as pasty as I went in. Girl at the desk said they're 'due for replacement next month' lol", [COMP])
add(P, "nl", "x", "@jorisss_",
    "abbo opgezegd in juni. augustus: nog steeds €49,95 afgeschreven. klantenservice zegt 'we kijken ernaar'. "
    "dat zeggen ze nu 6 weken. @koperzon_helpt doe eens iets", [COMP], kind="reply")
add(P, "en", "tiktok", "@glowgirl.mara",
    "the airbrush from koperzon eindhoven went SO streaky 😭 orange palms, patchy knees and they said "
    "'it'll even out'. babe it did not even out #spraytanfail #koperzon", [COMP])
add(P, "nl", "threads", "@sterre.vb",
    "waarom hang ik bij koperzon 20 min in de wacht voor een simpele vraag over mn rittenkaart. en dan valt "
    "de verbinding weg. top service hoor 👏", [COMP])
add(P, "en", "x", "@dutchdave_",
    "@koperzon the Blaak studio was 'closed due to staff shortage' on a Saturday afternoon. No email, no push "
    "notification, nothing. 40 min drive for a locked door.", [COMP], kind="reply")
add(P, "nl", "instagram", "@lot.tje_",
    "Amberglow besteld via de site, kreeg een halflege fles met een gelekte dop in een doorweekte doos. foto "
    "gestuurd naar de klantenservice, 10 dagen later nog steeds geen reactie", [COMP], kind="comment")
add(P, "en", "facebook", "Priya.Ramdin",
    "Booked a Collagen Glow session as a birthday treat for my mum. The staff at Koperzon Amersfoort were short "
    "with her and rushed her out after five minutes because 'the next one is waiting'. She's 67. Not ok.", [COMP])
add(P, "nl", "forum", "zonaanbidder82",
    "Iemand ervaring met Koperzon Breda? Sinds kort abonnement maar de airco is al 3 weken kapot, het is "
    "daar binnen 30 graden en na je sessie sta je te zweten in het hokje. Melden heeft geen zin, 'monteur is "
    "besteld'.", [COMP])

# ---- first-hand safety incidents: crisis + complaint ------------------------
add(P, "nl", "x", "@yvonnedekker_",
    "Gisteren 10 minuten onder bank 2 bij Koperzon Groningen en nu zit ik met blaren op mn rug en schouders 😣 "
    "huisarts zegt tweedegraads verbranding. Volgens mij stond de timer op 20 ipv 10. Wie gaat dit betalen??",
    [CRI, COMP])
add(P, "en", "reddit", "u/mikkelsen_nl",
    "Got an electric shock from the handle of the stand-up booth at Koperzon Utrecht last night. Proper jolt up "
    "my arm. Staff shrugged and said it 'happens sometimes when it's humid'. That is not a thing that should "
    "happen sometimes??", [CRI, COMP])
add(P, "nl", "instagram", "@sam.bruijn",
    "Binnen een uur na de spray tan bij Koperzon kreeg ik uitslag over m'n hele lijf en m'n ogen zwollen "
    "dicht. Moest naar de spoedpost 😳 niemand had gevraagd of ik ergens allergisch voor ben", [CRI, COMP])
add(P, "en", "x", "@haleyinhaarlem",
    "a lamp literally EXPLODED above me in the sunbed at koperzon haarlem today. glass all over the acrylic "
    "while i was lying there with my eyes shut. could've been my face. nobody even wrote it down", [CRI, COMP])
add(P, "nl", "facebook", "Martijn.Oosterhuis",
    "Mijn Solaris Face gezichtsbruiner van Koperzon begon vanavond te smeulen. Echt rook uit de achterkant en "
    "de stekker is zwartgeblakerd. Gelukkig stond ik ernaast. Levensgevaarlijk ding, ik wil mijn geld terug.",
    [CRI, COMP])
add(P, "en", "tiktok", "@kiki.dolls",
    "passed out in the booth at koperzon eindhoven bc the fan wasn't working and it was literally a sauna 🥵 "
    "woke up on the floor and nobody checked on me for like 15 min", [CRI, COMP])

# ---- crisis (third party) ----------------------------------------------------
add(P, "nl", "x", "@zwolle_actueel",
    "Brandweer rukte vanochtend uit voor een brand in zonnestudio Koperzon aan de Diezerstraat. Niemand gewond, "
    "het pand is ontruimd. Oorzaak is vermoedelijk een oververhitte zonnebank.", [CRI],
    url="https://x.com/zwolle_actueel/status/1")
add(P, "en", "x", "@consumentwatch_nl",
    "Inspection results are in: 4 of the 7 Koperzon studios the NVWA checked had sunbeds above the legal UV "
    "limit of 0.3 W/m². The chain says it is 'looking into it'.", [CRI])
add(P, "nl", "tiktok", "@dermadokter_nina",
    "Al de derde patiënt deze maand met flinke verbrandingen na een sessie bij Koperzon. Collega's in Utrecht "
    "zien hetzelfde. Wat voor lampen hangen daar?? 🤔 #huidarts", [CRI])
add(P, "en", "reddit", "u/anti_uv_mom",
    "#ｂｏｙｃｏｔｔｋｏｐｅｒｚｏｎ is trending for a reason. A chain that sells sunbed bundles to 14 year olds "
    "doesn't deserve a single cent. Share this with every parent you know.", [CRI])
add(P, "nl", "x", "@regionieuws_bzo",
    "Klant sleept Koperzon voor de rechter na huidkankerdiagnose: 'Ze zeiden dat mijn huidtype prima was.' "
    "De zaak dient volgende maand bij de rechtbank in Den Bosch.", [CRI])
add(P, "en", "mastodon", "@ineke@infosec.exchange",
    "Looks like Koperzon customer data is being sold on a forum: names, emails, membership numbers, ~80k rows. "
    "Koperzon hasn't said a word. If you're a member, expect phishing.", [CRI])
add(P, "nl", "facebook", "OudersAmersfoortNoord",
    "Let op!! Bij Koperzon Amersfoort zouden meerdere klanten een schimmelinfectie hebben opgelopen via de "
    "zonnebanken. De GGD doet onderzoek. Deel dit even met je vriendinnen.", [CRI])
add(P, "en", "instagram", "@skinhealthweekly",
    "RECALL: Koperzon is pulling its Solaris Face home facial tanner after reports of units overheating. "
    "If you own one, unplug it and stop using it.", [CRI])
add(P, "nl", "x", "@lindavdlaan",
    "Koperzon gaat vanavond hard onderuit bij Kassa. Verborgen camera in Breda: medewerkers zetten banken op "
    "de hoogste stand bij 'bleke' klanten en verkopen abonnementen aan minderjarigen. Schandalig.", [CRI])

# ---- abuse -----------------------------------------------------------------
add(P, "nl", "x", "@d_van_rijn", "@koperzon stelletje oplichters zijn jullie. kankerbedrijf", [ABU], kind="reply")
add(P, "en", "x", "@bigtonyNL",
    "the ginger bloke behind the koperzon desk in rotterdam is the thickest f*cking muppet i've ever met. "
    "hire someone with a brain", [ABU])
add(P, "nl", "instagram", "@xx.rocco.xx",
    "die Noor van de tiktok is echt een lelijke koe, niemand wil door jou gebruind worden 🤮", [ABU], kind="comment")
add(P, "en", "reddit", "u/thr0wawayz",
    "Koperzon hires all these foreigners who can't even speak proper Dutch. Go back to your own country and tan "
    "there.", [ABU], kind="comment")
add(P, "nl", "x", "@kn0rrepot", "k0p3rz0n = 0pl1cht3rs & h03r3nz00ns 🖕🖕", [ABU])
add(P, "en", "x", "@jayjay_rtm",
    "@koperzon_helpt your receptionist in Rotterdam is a f u c k i n g  i d i o t and so is whoever hired her",
    [ABU], kind="reply")
add(P, "nl", "tiktok", "@tessa.mmxx", "wat een achterlijke klootzakken werken daar zeg", [ABU], kind="comment")
add(P, "en", "threads", "@marco.b_88",
    "Koperzon staff are w\u043erthless tr\u0430sh, every single one of them", [ABU])
add(P, "nl", "facebook", "Henk.Bos.1961",
    "Dat meisje met die hoofddoek bij Koperzon Breda hoort niet achter een balie. Ga lekker terug naar je eigen "
    "land.", [ABU], kind="comment")
add(E, "nl", "instagram", "@bram_studio_haarlem",
    "@femkeeee lol ga lekker janken, dikke zeur. niemand mist je in de studio", [ABU], kind="reply")

# ---- abuse + complaint -------------------------------------------------------
add(P, "nl", "x", "@ruudjuhhh",
    "Kutzooi Koperzon. 3 weken wachten op m'n terugbetaling van de rittenkaart en nu zeggen die sukkels dat het "
    "'niet in het systeem staat'. Tyfuslijers.", [ABU, COMP])
add(P, "en", "facebook", "Gaz.Milton",
    "Koperzon Blaak charged me twice for one spray tan and when I showed the bank statement the receptionist "
    "called ME a liar. Bunch of useless morons, the lot of you.", [ABU, COMP])

# ---- confidential ------------------------------------------------------------
add(E, "nl", "x", "@lisa_koperzon",
    "Vandaag de eerste training gehad voor Project Zonne\u200bwijzer 👀 mag nog niks zeggen maar onze studio's "
    "gaan er héél anders uitzien", [CONF])
add(E, "en", "instagram", "@mo.tanexpert",
    "Sneak peek of the Marigold formula we're testing in the back room 🧴✨ smells like vanilla and dries in "
    "like 3 min. can't say more yet!!", [CONF])
add(E, "nl", "linkedin", "ayse-yilmaz-ops",
    "Trots op het team! Afgelopen week de planning voor Operatie Duinroos rond gekregen. Zware klus, maar we "
    "gaan ervoor 💪 #teamwork", [CONF])
add(E, "en", "x", "@janine_kz_it",
    "if anyone from the Utrecht team reads this: the new rota lives on intranet.koperzon.local/roosters/utrecht "
    "now, not the old sharepoint", [CONF])
add(E, "nl", "threads", "@femke.koperzon",
    "Nieuwe zomercampagne is af!! Het deck is nog uitsluitend intern maar kijk die kleuren dan 😍🧡", [CONF])
add(P, "en", "x", "@tanninginsider",
    "Hearing Koperzon is quietly testing a new self-tan line codenamed Ｍａｒｉｇｏｌｄ in two studios. "
    "Launch probably spring.", [CONF])
add(E, "nl", "instagram", "@bram_studio_haarlem",
    "Nieuwe prijslijst binnen, staat 'Koperzon Confidential' bovenaan dus ik hou m'n mond 🤐 maar vaste "
    "klanten: jullie gaan blij worden", [CONF])
add(E, "en", "bluesky", "@evertsmit.bsky.social",
    "spent the entire day fighting the deploy pipeline on gitlab.koperzon-dev.nl. why is the runner always "
    "offline on fridays", [CONF])
add(E, "nl", "tiktok", "@noor.glowstudio",
    "POV: je mag al op de Solaris Halo liggen voordat iemand weet dat ie bestaat 🤫☀️ #tanningtok",
    [CONF], when="2026-11-20T16:42:10Z")
add(P, "en", "x", "@sunbedgeek",
    "Saw something labelled 'Koperzon Halo' being wheeled into the Eindhoven studio under a sheet. New flagship "
    "bed? 👀", [CONF], when="2026-12-29T11:05:33Z")
add(E, "nl", "x", "@lisa_koperzon",
    "Nieuwe handleiding voor de kassa staat op kassa.koperzon.internal/docs/v3, collega's lees 'm even door "
    "voor zaterdag aub", [CONF])
add(E, "en", "linkedin", "dennis-hoekstra-koperzon",
    "Great offsite with the leadership team, two full days on Project Zonnewijzer. The next three years are "
    "going to be exciting for Koperzon.", [CONF])
add(P, "nl", "reddit", "u/ex_medewerker_kz",
    "Ex-medewerker hier. Die 'niet extern delen'-mails gingen al maanden rond: intern heet het Project "
    "Zonnewijzer, alle studio's krijgen losse 'zonnekamers' en inchecken gaat alleen nog via de app.", [CONF],
    kind="comment")
add(E, "en", "instagram", "@mo.tanexpert",
    "Tried the new peptide bed we're getting in January, it's not announced yet but WOW my skin 😍 "
    "you guys are gonna love it", [CONF])

# ---- confidential + financial ------------------------------------------------
add(E, "nl", "linkedin", "dennis-hoekstra-koperzon",
    "Laatste hand gelegd aan de jaarcijfers 2026. Omzet €41,3 mln, EBITDA flink onder budget, maar we blijven "
    "positief! Publicatie volgt binnenkort.", [CONF, FIN], when="2027-02-20T18:12:40Z")
add(E, "en", "x", "@rickvdlinden",
    "Operatie Duinroos = we're buying SunLounge Belgium, 14 studios, signing next month. you didn't hear it "
    "from me 😎", [CONF, FIN])

# ---- financial -------------------------------------------------------------
add(E, "nl", "x", "@lisa_koperzon",
    "Net gehoord op de regiomeeting dat er in het voorjaar 9 studio's dichtgaan, waaronder Zwolle en Groningen. "
    "Zo'n 60 collega's. Balen 😞", [FIN])
add(E, "en", "linkedin", "ayse-yilmaz-ops",
    "Tough quarter: Q3 revenue came in 12% below plan and the numbers go to the board on Thursday. Proud of how "
    "the ops team is carrying this.", [FIN])
add(E, "nl", "threads", "@femke.koperzon",
    "marketingbudget volgend jaar gehalveerd want de forecast voor 2027 is -8% omzet. leuk om morgen te "
    "presenteren 🙃", [FIN])
add(P, "en", "x", "@dealroom_gossip",
    "Sources: PE firm Hollandgate Capital is in exclusive talks to buy Koperzon for ~€120m. Deal could be "
    "announced before summer.", [FIN])
add(P, "nl", "reddit", "u/werkvloer_anon",
    "Bij het hoofdkantoor van Koperzon horen ze morgen dat de hele klantenservice naar een callcenter in "
    "Portugal gaat. 25 banen weg. Nog niet officieel dus sssst", [FIN])
add(E, "en", "bluesky", "@evertsmit.bsky.social",
    "the all-hands slide literally said 'membership churn 31% YTD' and then they asked us not to share it. "
    "so, uh.", [FIN])
add(E, "nl", "instagram", "@bram_studio_haarlem",
    "baas zei vandaag dat Haarlem-Centrum over 2 maanden samengaat met Heemstede en dat er 'geschoven wordt "
    "met personeel'. nou dan solliciteer ik maar vast ergens anders", [FIN])
add(E, "en", "x", "@janine_kz_it",
    "IT is being cut from 11 people to 4 after the restructuring, announcement is monday. update your CVs folks",
    [FIN])
add(E, "nl", "instagram", "@mo.tanexpert",
    "Collega's van regio Zuid: die bonus gaat dit jaar niet door. Eerste halfjaar €2,1 mln verlies, hoorde het "
    "net van de RM. Nog niet naar buiten gebracht dus hou het even stil", [FIN])
add(P, "en", "reddit", "u/bondholderbob",
    "Someone inside Koperzon told me they'll breach the covenant on their bank loan this quarter and "
    "refinancing talks with the bank have already started. Not public yet.", [FIN])

# ---- security --------------------------------------------------------------
add(E, "nl", "x", "@rickvdlinden",
    "kassasystemen in alle studio's liggen sinds vanochtend plat, ransomware-melding op elk scherm. en wij "
    "moeten tegen klanten zeggen dat het 'gepland onderhoud' is 🤦", [SEC])
add(E, "en", "bluesky", "@evertsmit.bsky.social",
    "fun fact: the booking API still returns the full customer record if you just increment the booking id. "
    "flagged it in march. still not fixed 🙃", [SEC])
add(E, "nl", "x", "@janine_kz_it",
    "Phishingmail gisteren, 3 studiomanagers hebben hun login ingevuld. Er zit nu iemand in de "
    "ledenadministratie. Mag niks naar buiten 🤐", [SEC])
add(E, "en", "x", "@lisa_koperzon",
    "heads up Utrecht regulars: booking site will be down tomorrow morning, our certificate expires tonight and "
    "IT only found out today. nothing announced yet", [SEC])
add(E, "nl", "tiktok", "@noor.glowstudio",
    "de deurcode van de personeelsingang is op ALLE vestigingen nog steeds 0000 lol, en de kluis ook. niemand "
    "die het verandert", [SEC])
add(E, "en", "instagram", "@bram_studio_haarlem",
    "guest wifi and the tills are on the same network here, anyone in the waiting area can see the POS. reported "
    "it twice 🤷‍♂️", [SEC])
add(E, "nl", "bluesky", "@evertsmit.bsky.social",
    "backups van de klantendatabase draaien al 3 weken niet, niemand had het door tot vandaag. als er nu iets "
    "crasht zijn we alles kwijt", [SEC])
add(E, "en", "x", "@rickvdlinden",
    "the voucher page has a SQL injection, one single quote and you can dump the whole gift card table. patch "
    "isn't out yet 😬", [SEC])
add(E, "nl", "threads", "@femke.koperzon",
    "Laptop van onze regiomanager is uit z'n auto gestolen, met een excel van alle leden van regio Noord erop. "
    "Niet versleuteld. Juristen zijn al bezig, officieel weten we van niks", [SEC])
add(P, "en", "reddit", "u/kz_night_shift",
    "Throwaway. I do nights at Koperzon HQ. We've been under a DDoS for two days, that's why the app is 'slow', "
    "and management told us to blame an app store update.", [SEC], kind="comment")
add(P, "nl", "forum", "sysadmin_tilburg",
    "Zwager van me werkt bij Koperzon IT: de tablets bij de balie draaien nog Android 7 zonder updates en de "
    "kiosk-app heeft een bekend lek waarmee je zo admin wordt. Ze weten het al maanden.", [SEC])
add(E, "en", "x", "@janine_kz_it",
    "the sunbed controllers are reachable from the internet with the default admin login. anyone could change "
    "session times remotely. raised a P1 today, fingers crossed", [SEC])
add(E, "nl", "x", "@rickvdlinden",
    "Wie heeft grafana.ops.koperzon.nl weer zonder login opengezet? Heel internet kan nu de omzet per studio en "
    "alle storingen meekijken 🙈", [SEC, CONF])

# ---- secrets ---------------------------------------------------------------
add(E, "en", "bluesky", "@evertsmit.bsky.social",
    "ok I give up, boto3 keeps throwing InvalidClientTokenId on the new bucket. config below, what am I "
    "missing?\n\n[default]\naws_access_key_id = %s\naws_secret_access_key = %s\nregion = eu-central-1" % (AK1, AS1),
    [SECRET], secrets=[("aws_id", AK1), ("aws_secret", AS1)])
add(E, "nl", "x", "@rickvdlinden",
    "Tijdelijke token voor de deploy van vanavond, gebruik deze maar: %s ik trek 'm morgen weer in 🙏" % GH1,
    [SECRET], secrets=[("github", GH1)])
add(E, "nl", "x", "@janine_kz_it",
    "Gedeelde helpdesk-mailbox is gereset 👉 wachtwoord: %s (na de eerste keer inloggen graag zelf wijzigen!)" % PW1,
    [SECRET], secrets=[("password", PW1)])
add(C, "nl", "instagram", "@koperzon.tanning",
    "WIN een Goud+ jaarabonnement! ☀️ Volg ons, tag 3 vrienden en vertel ons je favoriete studio 👇 %s "
    "De winnaar maken we 30 juni bekend 🧡" % MOLLIE,
    [SECRET], secrets=[("mollie", MOLLIE)])
add(P, "en", "reddit", "u/curious_dev_nl",
    "Not sure who to tell at Koperzon, but their webshop checkout ships a secret key in the public JS bundle:\n\n"
    "`const stripeKey = \"%s\";`\n\nThat's a live secret key, not a publishable one. Someone should rotate it."
    % STRIPE, [SECRET], secrets=[("stripe", STRIPE)])
add(E, "nl", "x", "@rickvdlinden",
    "Slack-bot voor de studiomeldingen doet het weer niet 🙄 iemand een idee? token is %s en chat:write "
    "staat er gewoon op" % SLACK, [SECRET], secrets=[("slack", SLACK)])
add(E, "en", "bluesky", "@evertsmit.bsky.social",
    "why does the member API reject this?? exp is next week\n\nAuthorization: Bearer %s" % JWT1,
    [SECRET], secrets=[("jwt", JWT1)], kind="reply")
add(P, "en", "forum", "pentest_paul",
    "Heads up Koperzon: one of your devs pasted a config into a public gist. It has\n"
    "DATABASE_URL=%s\nPlease rotate it, I haven't touched anything." % DB1,
    [SECRET], secrets=[("db_url", DB1)])
add(E, "nl", "threads", "@femke.koperzon",
    "Onze caption-tool draait nu op Claude 🤖✨ voor de collega's van marketing: de key is %s — niet buiten "
    "het team delen hè" % ANT, [SECRET], secrets=[("anthropic", ANT)])
add(P, "en", "x", "@mila_codes",
    "the 'TanBot' chat widget on koperzon.nl calls OpenAI straight from the browser 🙃 %s found it in the "
    "network tab in 30 seconds" % OAI, [SECRET], secrets=[("openai", OAI)])
add(E, "nl", "x", "@janine_kz_it",
    "ssh naar de kiosk-tablet in Breda lukt niet, key klopt toch?\n%s" % SSH,
    [SECRET], secrets=[("ssh_key", SSH)])
add(E, "nl", "tiktok", "@noor.glowstudio",
    "voor de nieuwe meiden in Eindhoven 💕 inloggen op de balie-ipad: gebruiker balie_ehv / ww: %s "
    "dan zie je alle boekingen van de dag" % PW2, [SECRET], secrets=[("password", PW2)])
add(E, "en", "x", "@rickvdlinden",
    "pushing the hotfix from my laptop since CI is down, used the bot token %s — will rotate once the runner "
    "is back" % GH2, [SECRET], secrets=[("github", GH2)])
add(E, "nl", "bluesky", "@evertsmit.bsky.social",
    "Voor wie 'm zocht, connectiestring van de rapportage-db: %s (read-only, dus geen paniek 😇)" % DB2,
    [SECRET, CONF], secrets=[("db_url", DB2)])

# ---- pricing -----------------------------------------------------------------
add(P, "nl", "x", "@koopjesjager_nl",
    "PRIJSFOUT 🚨 Solaris XL thuiszonnebank voor €189 op koperzon.nl, heb er meteen 2 besteld 😂", [PRICE],
    price=("KZ-SOLXL", 189.0))
add(P, "en", "reddit", "u/dealhunter_eu",
    "Koperzon has the Goud+ jaarabonnement listed at €49 instead of €499. Pretty sure it's a pricing error, "
    "grab it before they fix it", [PRICE], price=("KZ-GOUD-J", 49.0))
add(C, "nl", "instagram", "@koperzon.tanning",
    "☀️ WEEKENDDEAL ☀️ Cacao Deep tanning accelerator nu voor maar €4,45! Alleen dit weekend in alle studio's",
    [PRICE], price=("KZ-CACAO", 4.45))
add(E, "en", "instagram", "@mo.tanexpert",
    "staff discount code still works on the webshop lol, Solaris Face for €59 instead of €289. don't tell my "
    "manager 🤫", [PRICE], price=("KZ-SOLFACE", 59.0))
add(P, "nl", "facebook", "Dealdier.nl",
    "Bij Koperzon staat de Amberglow lotion in de webshop voor €3,99 ipv €39,95. Volgens mij een prijsfoutje 😉",
    [PRICE], price=("KZ-AMB250", 3.99))
add(P, "en", "x", "@bargain_bex",
    "is this a glitch?? koperzon webshop has the Solaris lampenset at €34.90 😳", [PRICE],
    price=("KZ-SOLLAMP", 34.90))
add(P, "nl", "tiktok", "@tan.hacks",
    "10-rittenkaart van Koperzon voor €7,90 in de app!!! geen idee hoe lang nog, ga ga ga", [PRICE],
    price=("KZ-RIT10", 7.90))
add(C, "en", "threads", "@koperzon.tanning",
    "NEW ✨ Onbeperkt abonnement from just €4.95 a month. Sign up in the app and tan as often as you like!",
    [PRICE], price=("KZ-ONB-M", 4.95))
add(P, "nl", "x", "@jeroen_bespaart",
    "prijsfout of actie? Mocca Mousse self-tan op koperzon.nl voor €2,49 🤔", [PRICE], price=("KZ-MOCCA", 2.49))
add(E, "nl", "tiktok", "@noor.glowstudio",
    "meiden!! de Airbrush Spray Tan staat vandaag in de kassa op €3,50 ipv €35, foutje van het hoofdkantoor "
    "maar ik ga het echt niet melden 🙊", [PRICE], price=("KZ-AIRB", 3.50))
add(P, "en", "x", "@sunbed_steals",
    "Price error alert: the Koperzon Solaris XL sunbed is showing €899 on the Belgian site 👀", [PRICE],
    price=("KZ-SOLXL", 899.0))
add(P, "nl", "x", "@prijsfoutenNL",
    "Prijsfout bij Koperzon op de Bronze Mist facial spray: in de winkelmand gaat er 90% af. Werkt nu nog!",
    [PRICE], price=("error_talk", "KZ-MIST"))

# ---- personal data -----------------------------------------------------------
add(P, "nl", "x", "@anoukjansen_",
    "@koperzon_helpt bel me maar terug hoor, 06-41 82 73 95, ben de hele middag thuis", [PII], kind="reply")
add(C, "en", "x", "@koperzon_helpt",
    "@tomvermeulen Hi Tom, we found your account under tom.vermeulen84@gmail.com and refunded the last "
    "payment. Sorry again for the hassle!", [PII], kind="reply")
add(C, "nl", "facebook", "KoperzonZonnestudios",
    "Beste Sandra, je terugbetaling van €79 is vandaag teruggestort op %s t.n.v. S. de Wit. Fijne dag en "
    "tot snel in de studio! ☀️" % fmt4(IBAN_SANDRA), [PII], kind="reply", ids=[("iban", IBAN_SANDRA, True)])
add(E, "en", "instagram", "@bram_studio_haarlem",
    "shoutout to our most loyal customer Gerda Smit, born 14-03-1958 and still tanning every single week 😂❤️",
    [PII])
add(E, "nl", "x", "@lisa_koperzon",
    "Kan iemand van Utrecht dit terugbrengen? Gevonden in bank 3: rijbewijs van Kees Bakker, Vinkenstraat 22, "
    "3512 AB Utrecht", [PII])
add(P, "en", "x", "@jess_tans",
    "@koperzon_helpt here's the card I paid with at the Eindhoven desk so you can look up the payment: %s "
    "exp 08/28" % fmt4(CARD_JESS), [PII], kind="reply", ids=[("card", CARD_JESS, True)])
add(E, "nl", "linkedin", "ayse-yilmaz-ops",
    "Welkom aan onze nieuwe collega Jasper Vos! 🎉 (voor HR: BSN %s staat nu goed in het systeem 👍)" % BSN_JASPER,
    [PII], ids=[("bsn", BSN_JASPER, True)])
add(P, "en", "reddit", "u/kz_leaks_lol",
    "my sister forwarded me a message from the Koperzon staff group chat by accident: 'new member Fleur Hendriks, "
    "fleur.hendriks@outlook.com, 06 2938 4471, born 02/09/1999, wants the Goud+ deal'", [PII])
add(C, "nl", "instagram", "@koperzon.tanning",
    "🎉 De winnaar van onze giveaway is Mirjam Postma uit Assen! We sturen je prijs naar Kloosterstraat 8, "
    "9401 KL Assen. Gefeliciteerd!!", [PII])
add(E, "en", "x", "@janine_kz_it",
    "whoever keeps calling the IT line from +31 6 12 87 44 02 at 3am to get their app password reset. "
    "still not us, that's the helpdesk 😴", [PII])
add(P, "nl", "x", "@pkuipers_be",
    "@koperzon_helpt stort het maar terug op %s t.n.v. P. Kuipers. Wacht nu al 3 weken op mijn geld voor een "
    "gesloten studio." % fmt4(IBAN_BE), [PII, COMP], kind="reply", ids=[("iban", IBAN_BE, True)])
add(P, "en", "facebook", "Carla.Mendes.NL",
    "Left my wallet at Koperzon Blaak yesterday 🙈 if anyone found it please message me: "
    "carla.mendes@hotmail.com or 010-4839217", [PII])
add(E, "nl", "tiktok", "@noor.glowstudio",
    "creditcard gevonden bij de balie in Eindhoven, op naam van M. Yildiz: %s. kom je 'm ophalen? 💳" % fmt4(CARD_YILDIZ),
    [PII], ids=[("card", CARD_YILDIZ, True)])
add(P, "en", "x", "@mo_ahmed_nl",
    "@koperzon_helpt to link my account in the new app you need email + DOB right? it's mo.ahmed1993@gmail.com "
    "and 11-06-1993", [PII], kind="reply")
add(P, "nl", "x", "@eva_zonnetje",
    "vraagje @koperzon_helpt, het inschrijfformulier vraagt om een BSN?? is dat echt nodig? heb 'm al ingevuld "
    "hoor: %s" % BSN_SELF, [PII], ids=[("bsn", BSN_SELF, True)])

# ---- benign / hard negatives -------------------------------------------------
add(P, "nl", "instagram", "@lieke.glow",
    "Eindelijk weer een kleurtje na die grijze winter 😍 dank je Koperzon Haarlem, de meiden daar zijn top! "
    "#koperzon #glow")
add(P, "en", "x", "@tomtanz",
    "Honestly the Collagen Glow session at Koperzon Utrecht is the best 20 minutes of my week. They actually "
    "check your skin type first.")
add(C, "nl", "x", "@koperzon_helpt",
    "Vragen over je abonnement? Mail naar klantenservice@koperzon.nl of bel 088-5667300 (ma t/m za 9-21u). "
    "We helpen je graag! ☀️")
add(C, "en", "facebook", "KoperzonZonnestudios",
    "Press enquiries: pers@koperzon.nl or +31 30 799 4410. Photos of our new Breda studio are on "
    "www.koperzon.nl/pers")
add(C, "nl", "linkedin", "koperzon-bv",
    "We zoeken studiomedewerkers in Zwolle en Groningen! 👩‍🔧 Stuur je cv naar werkenbij@koperzon.nl")
add(C, "nl", "facebook", "KoperzonZonnestudios",
    "Liever betalen per overschrijving? Dat kan op %s t.n.v. Koperzon Zonnestudio's B.V., o.v.v. je "
    "lidnummer." % fmt4(PUBLIC_IBAN), ids=[("iban_public", PUBLIC_IBAN, True)])
add(P, "nl", "x", "@marloes_k",
    "@koperzon_helpt is %s echt jullie rekeningnummer? Staat in een mail maar ik vertrouw het niet helemaal"
    % fmt4(BAD_IBAN1), kind="reply", ids=[("iban", BAD_IBAN1, False)])
add(P, "en", "x", "@ollie_vb",
    "Koperzon order confirmation came through, order nr %s. Anyone know how long shipping takes for the "
    "Aloe After-Sun?" % fmt4(BAD_CARD1), ids=[("card", BAD_CARD1, False)])
add(P, "nl", "x", "@gijs_tweet",
    "haha mijn klantnummer bij Koperzon is %s, volgens mij tellen ze gewoon door" % BAD_BSN1,
    ids=[("bsn", BAD_BSN1, False)])
add(E, "en", "bluesky", "@evertsmit.bsky.social",
    "Writing the onboarding doc for new devs. Reminder: every example uses AKIAIOSFODNN7EXAMPLE / "
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY. Never paste the real thing into a ticket.")
add(E, "nl", "x", "@rickvdlinden",
    "Tip voor collega's: zet nooit een token in een ticket. Zo NIET: ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx "
    "— zo wel: ${GITHUB_TOKEN} uit de vault")
add(P, "en", "bluesky", "@devdiary_lena.bsky.social",
    "Nice touch in Koperzon's public booking API docs: every example key is written as "
    "sk_test_XXXXXXXXXXXXXXXXXXXXXXXX. More companies should do this.")
add(P, "nl", "x", "@brendaaa_b",
    "Wachtwoord van de Koperzon-app vergeten, resetmail kwam binnen 10 sec. eindelijk iets dat gewoon werkt 😅")
add(C, "nl", "x", "@koperzon",
    "Hij is er! ☀️ De Solaris Halo staat vanaf vandaag in 12 studio's. Boek je eerste sessie in de app.",
    when="2027-01-15T10:30:00Z")
add(C, "en", "linkedin", "koperzon-bv",
    "Our FY2026 results are out: revenue up 6% and five new studios opened. Full report on "
    "www.koperzon.nl/investors", when="2027-03-04T08:15:00Z")
add(P, "nl", "x", "@beursbengel",
    "jaarcijfers 2026 van Koperzon vallen best mee, vooral de Belgische studio's doen het goed",
    when="2027-03-05T09:41:22Z")
add(C, "nl", "instagram", "@koperzon.tanning",
    "Zomerdeal 🧡 Amberglow lotion van €39,95 voor €31,95, t/m zondag in alle studio's",
    price=("KZ-AMB250", 31.95))
add(C, "en", "x", "@koperzon",
    "Black Friday: 25% off the Solaris Face home facial tanner, €216.75 instead of €289 until Monday.",
    price=("KZ-SOLFACE", 216.75))
add(P, "nl", "x", "@femke_zonnig",
    "10-rittenkaart bij Koperzon deze week €69 ipv €79, prima deal toch?", price=("KZ-RIT10", 69.0))
add(P, "en", "reddit", "u/tan_budget",
    "For those asking: the Onbeperkt abonnement is €49.95/month at Koperzon, and the Campus abonnement is "
    "€29.95 if you're a student. Worth it if you go 3x a week.", price=("KZ-ONB-M", 49.95), kind="comment")
add(P, "nl", "facebook", "Jolanda.vdMeer",
    "Net de Solaris XL thuiszonnebank gekocht. €1899 is veel geld maar op termijn scheelt het echt ritjes naar "
    "de studio", price=("KZ-SOLXL", 1899.0))
add(E, "nl", "tiktok", "@noor.glowstudio",
    "deze week 15% korting op alle Mocca Mousse in de studio!! 🤎 dus €21,20 ipv €24,95",
    price=("KZ-MOCCA", 21.20))
add(P, "nl", "x", "@sophie_dk",
    "Update: @koperzon_helpt heeft mijn dubbele afschrijving binnen een dag teruggestort en er een gratis "
    "sessie bij gedaan. Netjes opgelost 👍")
add(P, "en", "facebook", "Rachel.Pietersz",
    "Had a bad visit in Breda last month (broken aircon) but the manager called me personally and it's been "
    "fixed. Credit where it's due.")
add(P, "nl", "instagram", "@timo.brons",
    "lampen in Zwolle zijn vervangen en ik ben eindelijk weer bruin 😂 dank voor het snelle oppakken!",
    kind="comment")
add(P, "nl", "x", "@annekee_z",
    "Sterkte aan de medewerkers van Koperzon Zwolle na die brand. Blij dat niemand gewond is geraakt ❤️")
add(P, "en", "x", "@groningen_gert",
    "Thinking of the Koperzon Groningen team, the storm ripped their sign right off the building yesterday. "
    "Hope you're all ok 💛")
add(P, "nl", "x", "@retailnieuws_nl",
    "Zonnestudioketen Bruinhuys uit Gent is failliet verklaard. Alle 11 vestigingen dicht, 48 banen weg.")
add(P, "en", "x", "@privacy_pim",
    "A UK gym chain just leaked 200k member records. Makes you wonder what tanning salons keep about us. "
    "Hope Koperzon locks theirs down properly.")
add(P, "nl", "x", "@huidfonds_nl",
    "Herinnering: zonnebankgebruik voor je 35e verhoogt het risico op melanoom flink. Beperk je sessies en "
    "laat vlekjes altijd checken.")
add(P, "en", "x", "@lauraaa_x",
    "my tan from Koperzon is so good my colleagues think I went to Ibiza. I went to Amersfoort 💀")
add(P, "en", "tiktok", "@bronze.bella",
    "this tan is SICK 🔥 killer glow, koperzon you absolute legends")
add(P, "nl", "x", "@iris_mdl",
    "Holy shit wat ben ik bruin geworden van 1 sessie met Cacao Deep 😳 geen klacht hoor, puur verbazing")
add(P, "nl", "x", "@bas_vd_h",
    "Weet iemand of je bij Koperzon ook losse sessies kunt boeken zonder abonnement?")
add(P, "nl", "instagram", "@julia.smeets",
    "Hoelang moet je wachten met douchen na een airbrush tan? In de studio zeiden ze 8 uur maar online lees ik "
    "overal 12", kind="comment")
add(E, "en", "linkedin", "ayse-yilmaz-ops",
    "5 years at Koperzon today! From studio assistant in Breda to ops manager. Grateful for this team 🧡")
add(E, "nl", "instagram", "@mo.tanexpert",
    "Nieuwe lichting stagiaires vandaag begonnen in Utrecht 🙌 welkom allemaal, jullie gaan het top doen")
add(C, "nl", "tiktok", "@koperzonglow",
    "3 tips voor een egale spray tan: scrub de dag ervoor, geen deo, en trek wijde kleding aan 🤎 "
    "#koperzon #spraytan")
add(C, "en", "instagram", "@koperzon.tanning",
    "Reminder: always wear goggles in the sunbed 👓 Forgot yours? Ask at the desk, every studio has spares.")
add(C, "nl", "x", "@koperzon",
    "Wij vragen je nooit om je BSN, pincode of wachtwoord, niet per mail en niet per telefoon. Twijfel je? "
    "Bel ons even.")
add(P, "nl", "x", "@noortje_vl",
    "Mijn geheime wapen voor de zomer? Gewoon 2x per week Koperzon 🤫 niet doorvertellen")
add(P, "nl", "instagram", "@tuinvanhanna",
    "Mijn hele border staat vol goudsbloemen (marigolds 🌼) en ik ben zelf net zo oranje na mijn eerste "
    "spray tan 😂", allow_terms=True)
add(P, "en", "linkedin", "sanne-post-recruiter",
    "Sad to see Fitvloer Group cutting 200 jobs. If you're affected and like working with people: Koperzon is "
    "hiring studio staff all over the country.")
add(P, "nl", "x", "@maaike_ov",
    "NS had weer vertraging dus ik was te laat voor mijn sessie bij Koperzon, maar ze hebben me gewoon later "
    "ingepland ❤️")
add(P, "nl", "x", "@aandeelhouder_an",
    "Lees dat Hollandgate Capital een belang neemt in een Duitse saunaketen. Zouden ze Koperzon ook willen? 😄")
add(P, "en", "x", "@chloe_on_x",
    "Koperzon app was down for like 10 minutes this morning but it's back, booked my slot 👍")
add(C, "nl", "x", "@koperzon_helpt",
    "Storing opgelost: boeken via de app werkt weer. Sorry voor het ongemak! 🙏")
add(E, "en", "threads", "@femke.koperzon",
    "Shot our summer campaign on the beach at Scheveningen today and it was FREEZING 🥶 worth it though")
add(P, "en", "reddit", "u/sunburnt_sander",
    "PSA: got absolutely fried on the beach in Spain because I thought my sunbed base tan would protect me. It "
    "doesn't. The Koperzon staff actually warned me. Wear SPF.", kind="comment")
add(E, "nl", "x", "@lisa_koperzon",
    "Vragen over de nieuwe openingstijden in Utrecht? Bel gewoon 088 566 7300 of mail "
    "klantenservice@koperzon.nl 😊")
add(P, "en", "facebook", "Ingrid.Hofstra",
    "My banking app rejected the IBAN I copied from my old Koperzon invoice (%s). Turns out I'd mistyped it, "
    "all sorted now." % fmt4(BAD_IBAN2), ids=[("iban", BAD_IBAN2, False)])
add(P, "nl", "x", "@pieter_jd",
    "kassabon van Koperzon heeft een transactienummer van 16 cijfers: %s. wie verzint dat 😂" % fmt4(BAD_CARD2),
    ids=[("card", BAD_CARD2, False)])
add(P, "nl", "x", "@hannah_w",
    "waar vind ik mijn lidnummer in de Koperzon-app? op mijn pasje staat %s %s %s maar weet niet of dat 'm is"
    % (BAD_BSN2[:3], BAD_BSN2[3:6], BAD_BSN2[6:]), ids=[("bsn", BAD_BSN2, False)])
add(E, "en", "x", "@janine_kz_it",
    "Reminder: when you send me a screenshot for a ticket, black out tokens like this: "
    "xoxb-****-****-************. Thanks! 🙏")
add(C, "nl", "instagram", "@koperzon.tanning",
    "Al ruim 500 sessies op de Solaris Halo in het eerste weekend 🤩 dank jullie wel!",
    when="2027-01-18T12:00:00Z")
add(P, "en", "tiktok", "@prom.queen.zoe",
    "koperzon girls did my prom spray tan and i looked like an actual bronze goddess 😭💛")
add(P, "nl", "reddit", "u/utrecht_student",
    "Vergelijking zonnestudio's in Utrecht: Koperzon Onbeperkt abonnement €49,95 per maand, de rest zit tussen "
    "€40 en €55. Service vond ik bij Koperzon het best.", price=("KZ-ONB-M", 49.95), kind="comment")
add(P, "en", "x", "@breda_buzz",
    "Koperzon's new studio in Breda opened today 🎉 drinks and a goodie bag for the first 100 visitors")
add(E, "nl", "x", "@rickvdlinden",
    "Ons intranet is eindelijk vernieuwd en het ziet er strak uit. Complimenten aan het team 😄")
add(P, "en", "youtube", "@glowwithgwen",
    "Full honest review of my Koperzon TurboTan sessions is up! Spoiler: I'm impressed, and no, this isn't "
    "sponsored.")
add(P, "nl", "mastodon", "@jeroen@mastodon.nl",
    "Sinds ik bij Koperzon het Campus abonnement heb, ga ik vaker dan naar college. Dat zegt vooral iets over "
    "college 🙃")

# posts whose wording implies a season or an order of events get a fixed time
FIXED_TIMES = [
    ("grijze winter", "2026-03-02T17:21:08Z"),
    ("Paid for Goud+ back in March", "2026-09-14T20:03:51Z"),
    ("abbo opgezegd in juni", "2026-08-28T21:47:12Z"),
    ("airco is al 3 weken kapot", "2026-07-08T22:10:40Z"),
    ("(broken aircon)", "2026-08-19T12:31:02Z"),
    ("lamps at Koperzon Zwolle are basically dead", "2026-05-10T19:14:27Z"),
    ("lampen in Zwolle zijn vervangen", "2026-06-02T16:55:39Z"),
    ("brand in zonnestudio Koperzon aan de Diezerstraat", "2026-04-14T08:32:17Z"),
    ("Koperzon Zwolle na die brand", "2026-04-15T11:06:44Z"),
    ("Black Friday", "2026-11-27T07:30:00Z"),
    ("Zomerdeal", "2026-07-10T09:00:00Z"),
    ("Winnaar maken we 30 juni".lower(), "2026-06-12T15:20:00Z"),
    ("peptide bed we're getting in January", "2026-11-05T19:48:03Z"),
    ("Shot our summer campaign", "2026-03-18T18:12:55Z"),
    ("Q3 revenue came in 12% below plan", "2026-10-06T07:58:31Z"),
    ("forecast voor 2027", "2026-10-20T21:33:09Z"),
    ("Eerste halfjaar €2,1 mln verlies", "2026-07-15T13:02:46Z"),
    ("in het voorjaar 9 studio's dichtgaan", "2026-11-12T18:40:21Z"),
    ("got absolutely fried on the beach in Spain", "2026-08-03T10:27:14Z"),
    ("goudsbloemen (marigolds", "2026-07-22T14:09:33Z"),
    ("prom spray tan", "2026-06-20T23:12:05Z"),
]
for frag, when in FIXED_TIMES:
    hit = [c for c in CASES if frag.lower() in c["text"].lower()]
    assert len(hit) == 1, frag
    assert hit[0]["when"] is None, frag
    hit[0]["when"] = when

# ---------------------------------------------------------------------------
# assemble
# ---------------------------------------------------------------------------
SEV = ["none", "info", "warning", "error", "critical"]
TAXONOMY = {COMP, CRI, ABU, CONF, FIN, SEC, SECRET, PII, PRICE}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}

ROLE_OF = {}
for r in ("corporate", "employee"):
    for a in PROFILE["accounts"][r]:
        ROLE_OF[a.lower()] = r


def role_of(platform, handle):
    return ROLE_OF.get(("%s:%s" % (platform, handle)).lower(), "public")


def has_checked_identifier(case):
    return any(t in ("iban", "card", "bsn") and ok for t, v, ok in case["ids"])


def severity(cats, role, checked_id):
    s = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                v = "error"
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and checked_id):
                    v = "critical"
            else:
                v = "warning"
        elif c == COMP:
            v = "warning"
        elif c == CRI:
            v = "error"
        elif c == ABU:
            v = "warning" if role == "public" else "error"
        else:
            raise ValueError(c)
        s = max(s, SEV.index(v))
    return SEV[s]


def rand_time():
    start = dt.datetime(2026, 1, 3, tzinfo=dt.timezone.utc)
    secs = rng.randrange(0, 353 * 86400)
    t = start + dt.timedelta(seconds=secs)
    # people post mostly in daytime/evening
    t = t.replace(hour=rng.choice([7, 8, 9, 11, 12, 13, 15, 16, 18, 19, 20, 21, 22, 23]))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


order = list(range(len(CASES)))
rng.shuffle(order)
records = []
for n, idx in enumerate(order, 1):
    c = CASES[idx]
    c["created_at"] = c["when"] or rand_time()
    c["id"] = "%s-kz400-%03d" % (c["platform"], n)
    actual_role = role_of(c["platform"], c["handle"])
    c["actual_role"] = actual_role
    post = {
        "id": c["id"],
        "platform": c["platform"],
        "kind": c["kind"],
        "account": {"handle": c["handle"]},
        "text": c["text"],
        "lang": c["lang"],
        "created_at": c["created_at"],
        "brand": "Koperzon",
    }
    if c["url"]:
        post["url"] = c["url"]
    expect = {"categories": c["cats"],
              "severity": severity(c["cats"], actual_role, has_checked_identifier(c))}
    records.append((c, {"post": post, "expect": expect}))

with open(OUT, "w", encoding="utf-8") as fh:
    for _, rec in records:
        fh.write(json.dumps(rec, ensure_ascii=False) + "\n")

# ---------------------------------------------------------------------------
# self-checks
# ---------------------------------------------------------------------------
errors = []


def fail(cid, msg):
    errors.append("%s: %s" % (cid, msg))


ROLE_NAME = {C: "corporate", E: "employee", P: "public"}
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
IBAN_RX = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
NUM_RUN = re.compile(r"\d(?:[ .\-]?\d)*")
AMOUNT_RX = re.compile(r"€\s?(\d+(?:[.,]\d{1,2})?)|(\d+(?:[.,]\d{1,2})?)\s?(?:euro|EUR)\b")
SECRET_SCAN = [
    re.compile(r"gh[pousr]_[0-9A-Za-z]{36}"),
    re.compile(r"AKIA[A-Z2-7]{16}"),
    re.compile(r"eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+"),
    re.compile(r"sk_live_[0-9A-Za-z]{20,}"),
    re.compile(r"xox[abprs]-\d+-"),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"\blive_[A-Za-z0-9]{24,}"),
    re.compile(r"sk-(?:proj|ant)-[A-Za-z0-9_-]{20,}"),
    re.compile(r"(?:postgres(?:ql)?|mysql|mongodb)://[^:\s/]+:[^@\s]+@"),
    re.compile(r"(?i)\b(?:wachtwoord|password|ww|pw)\s*[:=]\s*(?!\*)[^\s*]{4,}"),
]


def scan_numbers(text, skip_spans):
    """Return (valid ibans, valid cards, valid bsns) found in the text outside skip spans."""
    masked = list(text)
    for a, b in skip_spans:
        for i in range(a, b):
            masked[i] = "#"
    ibans, cards, bsns = set(), set(), set()
    for m in IBAN_RX.finditer("".join(masked)):
        v = m.group(0).replace(" ", "")
        if iban_valid(v):
            ibans.add(v)
        for i in range(m.start(), m.end()):
            masked[i] = "#"
    for m in NUM_RUN.finditer("".join(masked)):
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19 and luhn_valid(d):
            cards.add(d)
        if len(d) == 9 and bsn_valid(d):
            bsns.add(d)
    return ibans, cards, bsns


def alias_index():
    out = []
    for p in PROFILE["products"]:
        for name in [p["name"]] + list(p["aliases"]):
            out.append((name, p["sku"], float(p["list_price"])))
    return out


ALIASES = alias_index()
LIST = {p["sku"]: float(p["list_price"]) for p in PROFILE["products"]}
RATIO = float(PROFILE["pricing"]["alert_below_ratio"])


def alias_hits(text):
    hits = []
    low = text.lower()
    for name, sku, lp in ALIASES:
        for m in re.finditer(r"(?<![\w])" + re.escape(name.lower()) + r"(?![\w])", low):
            hits.append((m.start(), m.end(), sku, lp))
    return hits


def amounts(text):
    out = []
    for m in AMOUNT_RX.finditer(text):
        raw = m.group(1) or m.group(2)
        out.append((m.start(), float(raw.replace(",", "."))))
    return out


def parse_ts(s):
    return dt.datetime.strptime(s.replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S%z")


internal_terms = ([t.lower() for t in PROFILE["internal"]["codenames"]] +
                  [t.lower() for t in PROFILE["internal"]["markers"]] +
                  [t.lower() for t in PROFILE["internal"]["domains"]])
embargo = [([t.lower() for t in e["terms"]], parse_ts(e["until"])) for e in PROFILE["embargo"]]

seen_ids = set()
for c, rec in records:
    cid = c["id"]
    post, exp = rec["post"], rec["expect"]
    # --- CONTRACT section 6 shape
    if not (isinstance(post["id"], str) and 1 <= len(post["id"]) <= 256):
        fail(cid, "bad id")
    if cid in seen_ids:
        fail(cid, "duplicate id")
    seen_ids.add(cid)
    if post["platform"] not in PLATFORMS:
        fail(cid, "platform")
    if post["kind"] not in KINDS:
        fail(cid, "kind")
    if not isinstance(post["account"].get("handle"), str) or not post["account"]["handle"]:
        fail(cid, "handle")
    if not isinstance(post["text"], str) or len(post["text"].encode("utf-8")) > 65536 or not post["text"]:
        fail(cid, "text")
    if not RFC3339.match(post["created_at"]):
        fail(cid, "created_at")
    ts = parse_ts(post["created_at"])
    if not (dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) <= ts < dt.datetime(2027, 4, 1, tzinfo=dt.timezone.utc)):
        fail(cid, "created_at out of range")
    if set(exp) != {"categories", "severity"}:
        fail(cid, "expect keys")
    if exp["categories"] != sorted(set(exp["categories"])) or not set(exp["categories"]) <= TAXONOMY:
        fail(cid, "categories")
    if exp["severity"] not in SEV:
        fail(cid, "severity value")
    if not exp["categories"] and exp["severity"] != "none":
        fail(cid, "benign must be none")
    if exp["categories"] and exp["severity"] in ("none", "info"):
        fail(cid, "positive with none severity")
    # role from profile must be the role the case was written for
    if c["actual_role"] != ROLE_NAME[c["role"]]:
        fail(cid, "role mismatch: written as %s, profile says %s" % (c["role"], c["actual_role"]))
    # severity recomputed independently
    if exp["severity"] != severity(exp["categories"], role_of(post["platform"], post["account"]["handle"]),
                                   has_checked_identifier(c)):
        fail(cid, "severity mismatch")
    cats = set(exp["categories"])
    text = post["text"]
    # --- declared identifiers
    for t, v, ok in c["ids"]:
        if t in ("iban", "iban_public"):
            valid = iban_valid(v)
            shown = v in text or fmt4(v) in text
        elif t == "card":
            valid = luhn_valid(v)
            shown = v in text or fmt4(v) in text
        else:
            valid = bsn_valid(v)
            shown = v in re.sub(r"\D", "", text)
        if not shown:
            fail(cid, "identifier not in text")
        if valid != ok:
            fail(cid, "%s %s checksum expected %s" % (t, v, ok))
        if ok and t != "iban_public" and PII not in cats:
            fail(cid, "valid identifier in non-pii case")
        if not ok and cats:
            fail(cid, "look-alike must be in a negative")
        if t == "iban_public" and v != PUBLIC_IBAN:
            fail(cid, "public iban mismatch")
    # --- scan for any checksum-valid number not declared
    skip = []
    for _, sv in c["secrets"]:
        i = text.find(sv)
        if i < 0:
            fail(cid, "secret not in text")
        else:
            skip.append((i, i + len(sv)))
    ibans, cards, bsns = scan_numbers(text, skip)
    ibans.discard(PUBLIC_IBAN)
    declared = {(t, re.sub(r"\s", "", v)) for t, v, ok in c["ids"] if ok and t != "iban_public"}
    for v in ibans:
        if ("iban", v) not in declared:
            fail(cid, "undeclared valid IBAN " + v)
    for v in cards:
        if ("card", v) not in declared:
            fail(cid, "undeclared Luhn-valid number " + v)
    for v in bsns:
        if ("bsn", v) not in declared:
            fail(cid, "undeclared 11-proof number " + v)
    # --- secrets
    for t, v in c["secrets"]:
        if not SECRET_FORMATS[t](v):
            fail(cid, "secret format %s" % t)
        if SECRET not in cats:
            fail(cid, "secret in non-secret case")
    def is_placeholder(v):
        return "EXAMPLE" in v or re.search(r"(?i)x{8,}|\*{4,}|•{4,}", v) is not None
    secret_like = any(not is_placeholder(m.group(0)) for rx in SECRET_SCAN for m in rx.finditer(text))
    if secret_like and SECRET not in cats:
        fail(cid, "secret-like string in non-secret case")
    if SECRET in cats and not c["secrets"]:
        fail(cid, "secret case without generated secret")
    for tok in re.findall(r"gh[pousr]_[0-9A-Za-z]{36}", text):
        if not is_placeholder(tok) and not gh_valid(tok):
            fail(cid, "github token with bad checksum")
    # --- pricing
    hits = alias_hits(text)
    amts = amounts(text)
    low_found = False
    for pos, val in amts:
        if not hits:
            continue
        near = min(hits, key=lambda h: min(abs(pos - h[0]), abs(pos - h[1])))
        if val < RATIO * near[3]:
            low_found = True
    if PRICE in cats:
        if not c["price"]:
            fail(cid, "pricing case without price meta")
        elif c["price"][0] == "error_talk":
            if not any(h[2] == c["price"][1] for h in hits):
                fail(cid, "price-error talk without the product")
        else:
            sku, val = c["price"]
            if not any(h[2] == sku for h in hits):
                fail(cid, "pricing product alias missing")
            if not val < RATIO * LIST[sku]:
                fail(cid, "pricing value not below ratio")
            if not low_found:
                fail(cid, "scanner found no low price")
    else:
        if low_found:
            fail(cid, "low price next to product in non-pricing case")
        if c["price"]:
            sku, val = c["price"]
            if not any(h[2] == sku for h in hits) or val < 0.7 * LIST[sku] - 0.01:
                fail(cid, "benign price meta wrong")
    # --- internal terms and embargo
    low = text.lower()
    if any(t in low for t in internal_terms) and CONF not in cats and not c["allow_terms"]:
        fail(cid, "internal term in non-confidential case")
    for terms, until in embargo:
        if any(t in low for t in terms):
            if ts < until and CONF not in cats:
                fail(cid, "embargo term before until but not confidential")
            if ts >= until and cats & {CONF}:
                fail(cid, "embargo term after until labelled confidential")

# --- set-level checks
n = len(records)
benign = sum(1 for _, r in records if not r["expect"]["categories"])
per_cat = {}
for _, r in records:
    for cat in r["expect"]["categories"]:
        per_cat[cat] = per_cat.get(cat, 0) + 1
nl = sum(1 for c, _ in records if c["lang"] == "nl")
if not 170 <= n <= 180:
    errors.append("set: %d cases, want 170-180" % n)
if not 55 <= benign <= 65:
    errors.append("set: %d benign" % benign)
want = {COMP: 20, CONF: 18, PII: 15, CRI: 15, SEC: 13, SECRET: 12, ABU: 12, PRICE: 12, FIN: 12}
for cat, w in want.items():
    if abs(per_cat.get(cat, 0) - w) > 3:
        errors.append("set: %s has %d, want ~%d" % (cat, per_cat.get(cat, 0), w))
if not 0.50 <= nl / n <= 0.60:
    errors.append("set: nl share %.2f" % (nl / n))
roles_pos = {}
for c, r in records:
    if r["expect"]["categories"]:
        roles_pos[c["actual_role"]] = roles_pos.get(c["actual_role"], 0) + 1
if len({c["text"] for c, _ in records}) != n:
    errors.append("set: duplicate texts")
# the profile itself
for ib in PROFILE["public_identifiers"]["ibans"]:
    if not iban_valid(ib):
        errors.append("profile: public IBAN fails mod-97")
for e in PROFILE["embargo"]:
    if not e["until"].startswith("2027"):
        errors.append("profile: embargo until not in 2027")
if len(PROFILE["accounts"]["corporate"]) < 6 or len(PROFILE["accounts"]["employee"]) < 8:
    errors.append("profile: too few accounts")
if not 15 <= len(PROFILE["products"]) <= 25:
    errors.append("profile: product count")
if PROFILE["pricing"]["alert_below_ratio"] != 0.5:
    errors.append("profile: ratio")

# reread the written file and compare
with open(OUT, encoding="utf-8") as fh:
    lines = [json.loads(l) for l in fh]
if lines != [r for _, r in records]:
    errors.append("file: cases.jsonl does not round-trip")

print("cases: %d  benign: %d  nl: %d  en: %d" % (n, benign, nl, n - nl))
print("per category: " + ", ".join("%s=%d" % kv for kv in sorted(per_cat.items())))
print("positives by role: " + ", ".join("%s=%d" % kv for kv in sorted(roles_pos.items())))
if errors:
    print("SELF-CHECK FAILED (%d):" % len(errors))
    for e in errors:
        print("  " + e)
    sys.exit(1)
print("self-check OK")
