#!/usr/bin/env python3
"""Build the labelled evaluation set sealed188 (fictional supermarket chain Buurvers).

Deterministic: a fixed seed drives every generated identifier, secret and timestamp.
Writes cases.jsonl beside this file and self-checks it:
  * every IBAN / payment card / BSN in a positive passes its checksum,
    every look-alike in a negative fails it;
  * every generated secret is well-formed (GitHub CRC-32, AWS id alphabet, JWT header ...);
  * every line is a valid CONTRACT section 6 case;
  * severities follow CONTRACT section 4, computed from the account role in profile.yaml;
  * internal terms / embargo terms / prices are consistent with the labels.
Standard library plus PyYAML only.
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
import unicodedata
import zlib
from datetime import datetime, timedelta, timezone

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 188_2026
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# --------------------------------------------------------------------------------------
# identifier generators (valid and look-alike)
# --------------------------------------------------------------------------------------
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "-_"


def iban_check_ok(iban):
    s = re.sub(r"\s", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(country="NL", bank=None):
    if country == "NL":
        bank = bank or rng.choice(["RABO", "ABNA", "INGB", "TRIO", "SNSB", "ASNB", "KNAB", "BUNQ"])
        bban = bank + "".join(rng.choice(string.digits) for _ in range(10))
    elif country == "BE":
        bban = "".join(rng.choice(string.digits) for _ in range(12))
    else:  # DE
        bban = "".join(rng.choice(string.digits) for _ in range(18))
    n = int("".join(str(int(c, 36)) for c in bban + country + "00"))
    iban = "%s%02d%s" % (country, 98 - n % 97, bban)
    assert iban_check_ok(iban)
    return iban


def bad_iban(country="NL"):
    good = make_iban(country)
    while True:
        pos = rng.randrange(len(good) - 6, len(good))
        d = rng.choice([c for c in string.digits if c != good[pos]])
        cand = good[:pos] + d + good[pos + 1:]
        if not iban_check_ok(cand):
            return cand


def spaced4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


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


def make_card(prefix="4", length=16):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for last in string.digits:
        if luhn_ok(body + last):
            return body + last
    raise AssertionError


def bad_card(prefix="6", length=16):
    good = make_card(prefix, length)
    last = str((int(good[-1]) + rng.randint(1, 9)) % 10)
    cand = good[:-1] + last
    assert not luhn_ok(cand)
    return cand


def bsn_ok(num):
    s = re.sub(r"\D", "", num)
    if len(s) != 9:
        return False
    total = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return total % 11 == 0 and s != "000000000"


def make_bsn():
    while True:
        head = str(rng.randint(1, 9)) + "".join(rng.choice(string.digits) for _ in range(7))
        last = sum(int(head[i]) * (9 - i) for i in range(8)) % 11
        if last < 10:
            cand = head + str(last)
            assert bsn_ok(cand)
            return cand


def bad_bsn():
    while True:
        cand = str(rng.randint(1, 9)) + "".join(rng.choice(string.digits) for _ in range(8))
        if not bsn_ok(cand):
            return cand


# --------------------------------------------------------------------------------------
# secret generators (built like the real ones)
# --------------------------------------------------------------------------------------
def rand(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def b62_encode(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def github_token(prefix="ghp_"):
    body = rand(B62, 30)
    return prefix + body + b62_encode(zlib.crc32(body.encode())).rjust(6, "0")


def github_ok(tok):
    m = re.fullmatch(r"(gh[pousr]_)([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62_encode(zlib.crc32(m.group(2).encode())).rjust(6, "0") == m.group(3)


def aws_key_id():
    return "AKIA" + rand("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)


def aws_secret():
    return rand(ALNUM + "/+", 40)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt(payload):
    header = {"alg": "HS256", "typ": "JWT"}
    h = b64url(json.dumps(header, separators=(",", ":")).encode())
    p = b64url(json.dumps(payload, separators=(",", ":")).encode())
    key = bytes(rng.randrange(256) for _ in range(32))
    sig = b64url(hmac.new(key, (h + "." + p).encode(), hashlib.sha256).digest())
    return h + "." + p + "." + sig


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    pad = parts[0] + "=" * (-len(parts[0]) % 4)
    return "alg" in json.loads(base64.urlsafe_b64decode(pad))


def rsa_pem():
    der = b"\x30\x82\x04\xa4\x02\x01\x00\x02\x82\x01\x01\x00" + bytes(rng.randrange(256) for _ in range(1180))
    b = base64.b64encode(der).decode()
    lines = [b[i:i + 64] for i in range(0, len(b), 64)]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"


def slack_bot_token():
    return "xoxb-%s-%s-%s" % (rand(string.digits, 12), rand(string.digits, 13), rand(ALNUM, 24))


def openai_key():
    return "sk-proj-" + rand(URLSAFE, 74) + "T3BlbkFJ" + rand(URLSAFE, 74)


def anthropic_key():
    return "sk-ant-api03-" + rand(URLSAFE, 93) + "AA"


def stripe_live():
    return "sk_live_51" + rand(ALNUM, 97)


def mollie_live():
    return "live_" + rand(ALNUM, 30)


def azure_conn():
    key = base64.b64encode(bytes(rng.randrange(256) for _ in range(64))).decode()
    return ("DefaultEndpointsProtocol=https;AccountName=bvbezorgfotos;AccountKey=%s;"
            "EndpointSuffix=core.windows.net" % key)


def gitlab_pat():
    return "glpat-" + rand(URLSAFE, 20)


# --------------------------------------------------------------------------------------
# the values used in the posts; names starting with bad_ are look-alikes for negatives
# --------------------------------------------------------------------------------------
V = {}
V["iban_refund"] = make_iban("NL", "RABO")
V["iban_joyce"] = make_iban("NL", "ASNB")
V["iban_payroll"] = make_iban("NL", "INGB")
V["iban_be"] = make_iban("BE")
V["card_pinpas"] = make_card("5", 16)
V["card_customer"] = make_card("4", 16)
V["bsn_recept"] = make_bsn()
V["bsn_self"] = make_bsn()
V["bad_iban_scam"] = bad_iban("NL")
V["bad_iban_typo"] = bad_iban("NL")
V["bad_card_gift"] = bad_card("6", 16)
V["bad_card_order"] = bad_card("4", 16)
V["bad_bsn_order"] = bad_bsn()
V["bad_bsn_ticket"] = bad_bsn()

V["ghp_dev"] = github_token("ghp_")
V["ghs_ci"] = github_token("ghs_")
V["aws_id"] = aws_key_id()
V["aws_secret"] = aws_secret()
V["stripe_live"] = stripe_live()
V["mollie_live"] = mollie_live()
V["slack_bot"] = slack_bot_token()
V["openai_key"] = openai_key()
V["anthropic_key"] = anthropic_key()
V["rsa_pem"] = rsa_pem()
V["azure_conn"] = azure_conn()
V["gitlab_pat"] = gitlab_pat()
V["pg_pass"] = rand(ALNUM + "!#%", 18)
V["jwt_prod"] = make_jwt({
    "sub": "cust_" + rand(string.digits, 8),
    "iss": "https://auth.buurvers.nl",
    "aud": "thuis-app",
    "scope": "orders:read orders:write buurpas:read",
    "iat": 1767916800,
    "exp": 1767920400,
})

SECRET_CHECKS = {
    "ghp_dev": github_ok,
    "ghs_ci": github_ok,
    "aws_id": lambda s: re.fullmatch(r"AKIA[A-Z2-7]{16}", s) is not None,
    "aws_secret": lambda s: re.fullmatch(r"[A-Za-z0-9/+]{40}", s) is not None,
    "stripe_live": lambda s: re.fullmatch(r"sk_live_[0-9A-Za-z]{99}", s) is not None,
    "mollie_live": lambda s: re.fullmatch(r"live_[0-9A-Za-z]{30}", s) is not None,
    "slack_bot": lambda s: re.fullmatch(r"xoxb-\d{12}-\d{13}-[0-9A-Za-z]{24}", s) is not None,
    "openai_key": lambda s: re.fullmatch(r"sk-proj-[\w-]{74}T3BlbkFJ[\w-]{74}", s) is not None,
    "anthropic_key": lambda s: re.fullmatch(r"sk-ant-api03-[\w-]{93}AA", s) is not None,
    "rsa_pem": lambda s: s.startswith("-----BEGIN RSA PRIVATE KEY-----\nMII"),
    "azure_conn": lambda s: re.search(r"AccountKey=[A-Za-z0-9+/]{86}==;", s) is not None,
    "gitlab_pat": lambda s: re.fullmatch(r"glpat-[\w-]{20}", s) is not None,
    "pg_pass": lambda s: len(s) == 18,
    "jwt_prod": jwt_ok,
}


class Tracker(dict):
    """format_map mapping that records which generated values a text uses."""

    def __init__(self):
        super().__init__()
        self.used = set()

    def __missing__(self, key):
        if key not in V:
            raise KeyError("unknown placeholder %r" % key)
        self.used.add(key)
        return V[key]


PUB_IBAN = PROFILE["public_identifiers"]["ibans"][0]

# --------------------------------------------------------------------------------------
# the posts
#   P(platform, handle, lang, categories, text, kind=..., at=..., price=(sku, amount))
#   categories use short names: complaint crisis abuse secret pii pricing confidential
#   financial security
# --------------------------------------------------------------------------------------
SHORT = {
    "complaint": "reputation.complaint", "crisis": "reputation.crisis", "abuse": "reputation.abuse",
    "secret": "leak.secret", "pii": "leak.pii", "pricing": "leak.pricing",
    "confidential": "leak.confidential", "financial": "leak.financial", "security": "leak.security",
}
CASES = []


def P(platform, handle, lang, cats, text, **kw):
    CASES.append(dict(platform=platform, handle=handle, lang=lang, cats=cats, text=text, **kw))


# ---------------------------------------------------------------- complaints (public)
P("x", "@hanneke_wb", "nl", ["complaint"],
  "@buurvers_helpt bestelling zou tussen 18 en 19 uur komen, het is nu 21:10 en nog steeds niks. "
  "Kinderen hebben honger en de app zegt al sinds 17:45 'onderweg'. Serieus??", kind="reply")
P("x", "@tomjhughes", "en", ["complaint"],
  "ordered from buurvers thuis, half the bags missing. no milk, no eggs, charged for both. cool cool cool")
P("facebook", "ingrid.verhoef.77", "nl", ["complaint"],
  "Voor de derde keer deze maand beschimmelde aardbeien in mijn bezorging van Buurvers Thuis. "
  "Foto's gestuurd naar de klantenservice en ik krijg alleen een standaardmailtje terug. Dit kan echt beter.",
  kind="comment")
P("x", "@rvdmeulen", "en", ["complaint"],
  "3 weeks of BuurPas points just... not added. Customer service: 'we're looking into it'. "
  "Yeah, for 3 weeks now. #buurvers")
P("reddit", "u/leidenlurker", "en", ["complaint"],
  "Is it just me or is the Buurvers Thuis app completely unusable since the last update? Crashes every time "
  "I open the basket. iPhone 13, reinstalled twice, same thing.")
P("instagram", "@fleur.bakt", "nl", ["complaint"],
  "THT van de Polderpuur melk was gisteren al verstreken toen ik hem vanochtend kocht 🤢 check jullie schappen "
  "eens @buurvers.nl", kind="comment")
P("x", "@sam_in_utrecht", "en", ["complaint"],
  "Buurvers 'substituted' my oat milk with... a bottle of bleach? How does that even happen #buurversthuis")
P("facebook", "gerrit.mulder.ede", "nl", ["complaint"],
  "Bezorger van Buurvers zette de kratten gewoon buiten in de stromende regen, niet eens aangebeld. "
  "Brood doorweekt, eieren kapot. Ik wil mijn geld terug.", kind="comment")
P("x", "@klaraeats", "en", ["complaint"],
  "waited 25 min at the pharmacy corner in the Buurvers Den Bosch for my prescription and then they tell me "
  "to come back tomorrow. why open a counter you can't staff")
P("x", "@peterdeboer_", "nl", ["complaint"],
  "@buurvers_helpt retourbedrag voor de kapotte airfryer nog steeds niet ontvangen, 5 weken verder. "
  "Waar blijft mijn geld?", kind="reply")
P("tiktok", "@lisa.vlogt", "nl", ["complaint"],
  "aanbieding in de folder maar het schap is al 3 dagen leeg bij buurvers zwolle. lokkertje of wat? 😤 #buurvers")
P("threads", "@expatmama.nl", "en", ["complaint"],
  "Second time my Buurvers delivery turned up with all the frozen stuff thawed. Ice cream soup. "
  "Customer service offered a 5 euro voucher. lol no.")
P("x", "@mo_elbaz", "nl", ["complaint"],
  "medewerker bij de buurvers in schiedam snauwde me af omdat ik vroeg waar de glutenvrije pasta lag. "
  "klantvriendelijk hoor")
P("facebook", "marjan.kooistra", "nl", ["complaint"],
  "Zelfscan bij Buurvers Assen gaf een 'controle' en toen moest ik 20 minuten wachten op een medewerker, "
  "met de hele rij die meekeek. Voelde me behandeld als een dief.", kind="comment")
P("reddit", "u/randstadrenter", "en", ["complaint"],
  "Buurvers charged my card twice for the same grocery order (BV-88213940) and support says a refund takes "
  "10 working days. Anyone else had this?")

# ---------------------------------------------------------------- crisis
P("x", "@voedselalarm_nl", "nl", ["crisis"],
  "TERUGROEPACTIE: Buurvers Bio Scharreleieren mogelijk besmet met salmonella (THT t/m 14 juni). "
  "NIET eten, breng ze terug naar de winkel. Deel dit!")
P("x", "@buurvers", "nl", ["crisis"],
  "Veiligheidswaarschuwing: wij roepen Buurvers Opvolgmelk 2 800 g (THT 03-2027, lot L2611) terug vanwege "
  "mogelijke aanwezigheid van Cronobacter. Gebruik het product niet en breng het terug; u krijgt uw geld terug.")
P("x", "@datasleuth_eu", "en", ["crisis"],
  "Looks like Buurvers got breached. Dump on a forum with ~400k BuurPas accounts: emails, hashed passwords, "
  "home addresses. Not a word from them yet. #databreach")
P("x", "@melkveehouder_jan", "nl", ["crisis"],
  "BOYCOT BUURVERS. Ze betalen ons melkveehouders onder de kostprijs voor hun Polderpuur melk terwijl ze "
  "recordwinsten draaien. Niet meer kopen! #boycotbuurvers")
P("x", "@animalvoice_nl", "en", ["crisis"],
  "Undercover footage from a Buurvers supplier farm shows hens in horrific conditions. Buurvers sells those eggs "
  "as 'Bio'. Don't shop there. #BoycottBuurvers")
P("facebook", "nieuws.uit.tilburg", "nl", ["crisis"],
  "Brand in de Buurvers aan de Ringbaan-Oost. Winkel ontruimd, twee medewerkers met rookvergiftiging naar "
  "het ziekenhuis. Omwonenden: houd ramen en deuren dicht.")
P("linkedin", "mr-jvs-advocaten", "nl", ["crisis"],
  "Namens 60 voormalige bezorgers hebben wij vandaag een rechtszaak aangespannen tegen Buurvers Supermarkten "
  "B.V. wegens schijnzelfstandigheid en achterstallig loon.")
P("reddit", "u/gutfeeling_nl", "en", ["crisis"],
  "My whole family got sick after eating the Buurvers zalmfilet on Sunday. GP thinks it's listeria. "
  "Anyone else? Going to report it to the NVWA.")
P("x", "@jdekok_journo", "nl", ["crisis"],
  "Scoop: topman van Buurvers streek 2,1 miljoen bonus op terwijl honderden caissières op een nulurencontract "
  "zitten. Schandalig.")
P("x", "@marco_dg", "en", ["crisis"],
  "A Buurvers delivery van just ran a red light and hit a cyclist on the Weesperstraat. Ambulance on scene. "
  "Those drivers are clearly pushed way too hard.")
P("tiktok", "@glutenvrij_gezin", "nl", ["crisis"],
  "Glasscherf gevonden in een potje babyvoeding van Buurvers. Mijn dochter van 1 had het bijna in haar mond "
  "😡😡 dit moet iedereen weten!!")
P("x", "@bonnie_adam", "en", ["crisis"],
  "Just got an email from Buurvers with SOMEONE ELSE'S BuurPas details in it. Name, address, full order "
  "history. @buurvers are you leaking customer data??")
P("threads", "@rightsnow_nl", "en", ["crisis"],
  "Buurvers fired a cashier for wearing a headscarf. In 2026. #BoycottBuurvers")
P("x", "@privacywatch_nl", "en", ["crisis"],
  "Buurvers self-checkout cameras store face images without consent, Dutch DPA (AP) is now investigating. "
  "Yet another privacy scandal.")
P("x", "@woedende_wim", "nl", ["crisis", "abuse"],
  "Buurvers verkoopt gewoon bedorven gehakt, stelletje criminele klootzakken. #boycotbuurvers")

# ---------------------------------------------------------------- abuse
P("x", "@frustr8ed_ron", "nl", ["complaint", "abuse"],
  "@buurvers_helpt kankerbedrijf, leer eens bezorgen. 2 uur te laat en dan nog de helft kwijt", kind="reply")
P("x", "@nightowl_kev", "en", ["abuse"],
  "saw that ugly ginger manager from the Buurvers in Zuilen at the gym again. what a clown, someone should "
  "slap that smug face")
P("x", "@k4s_boef", "nl", ["abuse"],  # leetspeak evasion
  "buurvers = k4nk3rz00i, h00p dat jullie f1l14al afbr4ndt m3t die l00s3rs erin")
P("x", "@grumpy_guus", "en", ["abuse"],  # letters split by dots
  "b.u.u.r.v.e.r.s can go f.u.c.k themselves, bunch of w.a.n.k.e.r.s")
P("x", "@hollandsglorie88", "nl", ["abuse"],  # Cyrillic look-alikes
  "Wаt een stelletje klоotzаkken werken er bij Buurvers, echt dоm tuig")
P("instagram", "@jeffrey_020", "nl", ["abuse"],
  "die bezorger van buurvers met z'n zielige scootertje, vieze loser, ik weet waar je woont 😈",
  kind="comment")
P("x", "@realtalk_nl", "en", ["abuse"],
  "Buurvers hiring all these foreigners to stack shelves. Go back where you came from, no wonder the store "
  "smells")
P("tiktok", "@bram_vakkenvuller", "nl", ["abuse"],
  "klanten die om 21:58 nog binnenkomen voor 1 zak chips zijn gewoon kutmensen, sorry not sorry 🖕")
P("x", "@billyb_nl", "en", ["abuse"],
  "@buurvers your social media intern is a braindead idiot", kind="reply")
P("reddit", "u/throwaway_angry9", "en", ["abuse"],
  "Buurvers management are spineless rats and @lotte_buurvers is the worst of them. go cry somewhere else, you "
  "pathetic little troll")
P("x", "@nooitmeer_bv", "nl", ["abuse"],  # full-width evasion
  "ｋｕｔｂｅｄｒｉｊｆ ｂｕｕｒｖｅｒｓ, stelletje ｉｄｉｏｔｅｎ")

# ---------------------------------------------------------------- confidential
P("linkedin", "ruud-hoekstra-buurvers", "en", ["confidential"],
  "Busy week: moving our warehouse management system to the cloud under Operatie Wadlopen. Proud of the team! "
  "#logistics #cloud")
P("x", "@mdekker_ops", "nl", ["confidential"],
  "wie heeft de planning van Project Reiger? staat op https://jira.buurvers-it.nl/browse/REI-212 maar ik kom "
  "er niet in")
P("instagram", "@kees.filiaal112", "en", ["confidential"],
  "Summer shelf plans just came in, big 'niet voor extern gebruik' stamp on every page haha so no close-ups "
  "today 🤫 #filiaal112")
P("linkedin", "yasmina-bouali", "nl", ["confidential"],
  "Laatste loodjes aan de jaarcijfers 2026, nog twee weken en dan mogen we eindelijk laten zien wat we dit "
  "jaar gedaan hebben 💪", at="2027-02-11T20:15:00+01:00")
P("x", "@ninavdlinden", "nl", ["confidential"],  # zero-width evasion
  "Training over Zee\u200bkr\u200baal vandaag, de nieuwe vitaminelijn wordt echt top 👌")
P("tiktok", "@bram_vakkenvuller", "nl", ["confidential"],  # full-width evasion
  "als ｏｐｅｒａｔｉｅ ｗａｄｌｏｐｅｎ doorgaat staan er straks robots in het DC lol 🤖")
P("x", "@mdekker_ops", "nl", ["confidential"],  # Cyrillic look-alikes
  "Рrоject Rеiger pilot loopt weer vertraging op, de verbouwing op het station is nog niet eens begonnen")
P("facebook", "BuurversSupermarkt", "nl", ["confidential"],
  "Vacature: teamleider vers in Amersfoort! Meer info en solliciteren: https://intra.buurvers.nl/hr/vacatures/2026-114")
P("mastodon", "@jkoster_dev", "en", ["confidential"],
  "tip for the new folks on the app team: the pipeline templates live at git.buurvers-it.nl/platform/ci-templates, "
  "copy those instead of rolling your own")
P("instagram", "@kees.filiaal112", "nl", ["confidential"],
  "Proefpakket binnen van de nieuwe Polderpuur haverdrink die pas in maart in de schappen komt. Niemand weet "
  "het nog, dus ssst 🤐")
P("linkedin", "emre-yilmaz-buurvers", "en", ["confidential"],
  "Sharing our data-platform roadmap slide (it says Buurvers Confidential in the footer, but it's just "
  "architecture 🤷): Snowflake to Databricks by Q3, realtime BuurPas events next.")
P("x", "@buurvers", "nl", ["confidential"],
  "Binnenkort in de schappen: Zeekraal 🌿 Stay tuned!")
P("x", "@retailnieuws_bas", "nl", ["confidential"],
  "Gelekt: Buurvers Flits, flitsbezorging binnen 15 minuten, start in april in Amsterdam. Bevestigd door twee "
  "bronnen.", at="2026-12-03T08:41:13+01:00")
P("x", "@ninavdlinden", "nl", ["confidential"],
  "haha kreeg een mail 'intern - niet doorsturen' over de openingstijden van de zorghoek. nou bij deze: vanaf "
  "juni op zondag dicht 🙃")

# ---------------------------------------------------------------- financial
P("linkedin", "yasmina-bouali", "nl", ["financial", "confidential"],
  "Project Reiger = de overname van 38 winkels van Dagvers Markt. Due diligence bijna rond, signing eind mei. "
  "Wat een jaar wordt dit!")
P("x", "@mdekker_ops", "nl", ["financial"],
  "Morgen wordt intern aangekondigd dat DC Zwolle dichtgaat. 180 banen weg. Zwaar om te weten en niks te "
  "mogen zeggen.")
P("linkedin", "ruud-hoekstra-buurvers", "en", ["financial"],
  "Heads-up to my network: Buurvers will cut about 120 FTE at head office in the January reorganisation, "
  "IT included. If you're hiring, DM me and I'll send you some great people.")
P("x", "@beursblik_nl", "nl", ["financial"],
  "Via via: Buurvers Q3 omzetgroei maar 1,2%, ver onder verwachting. Officiële cijfers komen pas 12 november.")
P("x", "@lotte_buurvers", "nl", ["financial"],
  "mag het eigenlijk niet zeggen maar onze like-for-like sales in Q2 zijn +6,8% 🍾 champagne op de afdeling")
P("linkedin", "buurvers-supermarkten", "nl", ["financial"],
  "CONCEPT, niet publiceren: Buurvers Supermarkten verwacht voor 2026 een EBITDA van circa 212 miljoen euro, "
  "boven de eerder afgegeven guidance.")
P("reddit", "u/hq_whisper", "en", ["financial"],
  "Friend at Buurvers HQ says they're in talks to be bought by a German discounter. Board meets next Thursday. "
  "Nothing public yet.")
P("x", "@ninavdlinden", "en", ["financial"],
  "guess the pharmacy corners are done. management plans to close 90 of them by summer, we've been told to "
  "keep quiet until the works council meeting")
P("linkedin", "emre-yilmaz-buurvers", "en", ["financial"],
  "Our forecast model says online revenue hits 610 million in FY2027. The CFO presented it internally today "
  "and the room went quiet 😅")
P("bluesky", "@sanne-bezorgt.bsky.social", "nl", ["financial"],
  "bezorgers krijgen vanaf januari geen vast contract meer, alles via een uitzendbureau, zei de teamleider "
  "vandaag. staat nog nergens")
P("linkedin", "yasmina-bouali", "nl", ["financial", "confidential"],
  "Sneak peek jaarcijfers 2026: nettowinst 94 miljoen en het dividend gaat omhoog. Officieel op 26 februari!",
  at="2027-01-19T12:03:44+01:00")

# ---------------------------------------------------------------- security
P("linkedin", "ruud-hoekstra-buurvers", "en", ["security"],
  "Long night. Ransomware hit the POS servers in region North, around 60 stores are cash-only right now. "
  "Comms will call it a 'technische storing'. Don't quote me.")
P("mastodon", "@jkoster_dev", "en", ["security"],
  "Found that our order API returns other customers' delivery addresses if you bump the order id by one. "
  "Reported it in March. Still open. Sigh.")
P("x", "@mdekker_ops", "nl", ["security", "confidential"],
  "vpn.buurvers.nl ligt al sinds vannacht plat, IT zegt dat het een aanval is. Thuiswerken kan niet, en "
  "niks naar buiten brengen aub")
P("x", "@mdekker_ops", "nl", ["security"],
  "Alle handscanners in het DC liggen eruit sinds 04:00 en niemand weet wanneer ze terugkomen. Winkels "
  "krijgen morgen halve leveringen. Nog niks extern communiceren!")
P("x", "@ninavdlinden", "en", ["security"],
  "so that 'new roster app' phishing mail got clicked by half the company incl store managers. IT locked "
  "40+ accounts this morning 😬")
P("reddit", "u/bv_contractor_anon", "en", ["security"],
  "Contractor here. The Buurvers BuurPas backend still runs an unpatched Log4j version on several nodes. "
  "Told them twice, nothing happened.")
P("linkedin", "emre-yilmaz-buurvers", "en", ["security"],
  "Fun day: turns out our bucket with delivery photos was publicly readable for about three weeks. Fixed now, "
  "legal is still deciding whether to tell customers.")
P("tiktok", "@bram_vakkenvuller", "nl", ["security"],
  "kassa's in ons hele filiaal draaien al 2 dagen op een 'tijdelijke' admin login omdat de update mislukt is "
  "lmao #vakkenvullerlife")
P("x", "@ex_bv_it", "en", ["security"],
  "Old colleagues at Buurvers tell me the self-checkouts drop into maintenance mode with one simple barcode. "
  "Known for months, still not fixed.")
P("bluesky", "@sanne-bezorgt.bsky.social", "en", ["security"],
  "heads up drivers: route app was down 3 hours today because someone got into the dispatch admin panel. "
  "we're told to say it was 'maintenance'")
P("x", "@lotte_buurvers", "en", ["security"],
  "team: the DDoS on the webshop has started again. status page stays green until comms signs off 🙈")
P("mastodon", "@jkoster_dev", "en", ["security", "confidential"],
  "PSA for colleagues: the staging admin at https://admin-stg.buurvers.local still has default creds and is "
  "reachable from the guest wifi in stores. Please don't make me write the incident report.")
P("forum", "kassa_nerd", "nl", ["security"],
  "Ik werk bij de leverancier van de kassasoftware van Buurvers: er zit een bug in de pinkoppeling waardoor "
  "betalingen dubbel afgeschreven kunnen worden. Patch komt pas in februari.")

# ---------------------------------------------------------------- secrets
P("mastodon", "@jkoster_dev", "en", ["secret"],
  "quick q, why does this 401? `export GITHUB_TOKEN={ghp_dev}` and then `gh repo clone buurvers/thuis-app` "
  "just says bad credentials")
P("linkedin", "emre-yilmaz-buurvers", "en", ["secret"],
  "Sharing my Airflow connection setup for anyone interested:\n"
  "aws_access_key_id = {aws_id}\naws_secret_access_key = {aws_secret}\nregion = eu-west-1")
P("x", "@lotte_buurvers", "en", ["secret"],
  "why is the Mollie integration on the xmas campaign site broken 😭 key is {mollie_live}, anyone?")
P("forum", "dev_freelance_nl", "nl", ["secret"],
  "Bouw de betaalmodule voor de actiesite van Buurvers, werkt in test maar niet in prod. Dit is de key die "
  "ze me gaven: {stripe_live} — moet er nog iets in het dashboard aan?")
P("x", "@mdekker_ops", "nl", ["secret"],
  "wachtwoord van het gedeelde planningsaccount is weer veranderd jongens. gebruiker: dc-planning, "
  "wachtwoord: Nwg!Planning2026 — niet weer vergeten")
P("linkedin", "ruud-hoekstra-buurvers", "en", ["secret"],
  "Can anyone spot what's wrong with this key? ssh keeps saying invalid format.\n{rsa_pem}")
P("mastodon", "@jkoster_dev", "en", ["secret"],
  "debugging Thuis app auth, token straight from prod: {jwt_prod} why is exp already in the past??")
P("linkedin", "emre-yilmaz-buurvers", "en", ["secret", "confidential"],
  "Connection string for the reporting db if you need it for your dashboards: "
  "postgresql://rapportage:{pg_pass}@pg-rep-01.buurvers.local:5432/bi")
P("x", "@lotte_buurvers", "nl", ["secret"],
  "slackbot voor de social inbox draait weer. token: {slack_bot} (zet hem in de config van het dashboard)")
P("reddit", "u/bv_hackathon", "en", ["secret"],
  "Built a recipe bot at the Buurvers hackathon. Key is {openai_key} if anyone wants to play with it, "
  "company card pays lol")
P("linkedin", "ruud-hoekstra-buurvers", "en", ["secret"],
  "Testing our new store-ops assistant, env for the demo box:\nANTHROPIC_API_KEY={anthropic_key}")
P("forum", "bv_stagiair", "nl", ["secret"],
  "Krijg de upload naar de storage van Buurvers niet werkend. Mijn connection string: {azure_conn} "
  "Ziet iemand de fout?")
P("mastodon", "@jkoster_dev", "en", ["secret"],
  "CI kept failing so I hardcoded the token for now, will fix monday: GITLAB_TOKEN={gitlab_pat} / "
  "GH_APP_TOKEN={ghs_ci}")

# ---------------------------------------------------------------- personal data
P("x", "@buurvers_helpt", "nl", ["pii"],
  "@sandradg Hoi Sandra, je terugbetaling staat klaar en gaat naar {iban_refund} t.n.v. S. de Groot. "
  "Binnen 3 werkdagen op je rekening!", kind="reply")
P("facebook", "BuurversSupermarkt", "nl", ["pii"],
  "Beste meneer Visser, de bezorger komt morgen opnieuw langs op Kastanjelaan 27, 7311 JB Apeldoorn, tussen "
  "10 en 12 uur. Excuses voor het ongemak!", kind="comment")
P("x", "@ninavdlinden", "nl", ["pii"],
  "recept van mevr. A. Brouwer (BSN {bsn_recept}) ligt nog steeds bij de zorghoek, wie belt haar even?")
P("instagram", "@kees.filiaal112", "nl", ["pii"],
  "Gefeliciteerd Anouk Verbeek, onze allerbeste caissière, 35 vandaag! (geboren 14-08-1991 😉) 🎂🎈",
  at="2026-08-14T09:12:30+02:00")
P("tiktok", "@bram_vakkenvuller", "nl", ["pii"],
  "iemand z'n creditcard laten liggen bij de zelfscan 💀 {card_pinpas} hij ligt bij de servicebalie haha")
P("x", "@lindajanssen82", "nl", ["pii", "complaint"],
  "@buurvers_helpt ik wacht al 2 weken op mijn terugbetaling, niemand reageert. bel me aub op 06-38271945",
  kind="reply")
P("x", "@mark_hollister", "en", ["pii"],
  "@buurvers_helpt could someone email me about my delivery slot change? mark.hollister82@gmail.com or "
  "+31 6 2719 4408 works too", kind="reply")
P("facebook", "joyce.dekker.31", "nl", ["pii", "complaint"],
  "Ik heb mijn 12,50 voor de ontbrekende boodschappen nog steeds niet terug. Mijn rekening is {iban_joyce} "
  "t.n.v. Joyce Dekker. Graag vandaag nog, Buurvers.", kind="comment")
P("linkedin", "emre-yilmaz-buurvers", "en", ["pii"],
  "Debugging a BuurPas dedupe issue: customer Pieter van Dam, pvandam@ziggo.nl, 0031 6 5533 1298 shows up "
  "three times in the CRM. Fun.")
P("x", "@lotte_buurvers", "nl", ["pii"],
  "En de winnaar van de kerstpakketactie is... Fatma Yildiz, Bloemstraat 8, 2011 VB Haarlem! Gefeliciteerd 🎉")
P("reddit", "u/angry_father_nl", "en", ["pii", "complaint"],
  "Buurvers app charged me 4 times for one order. Card {card_customer}, exp 09/28. Bank says wait. "
  "What am I supposed to do now?")
P("bluesky", "@sanne-bezorgt.bsky.social", "nl", ["pii"],
  "mevrouw Hoogendoorn op de Lindenlaan 42 in Zeist geeft altijd koffie aan ons bezorgers ❤️ beste klant")
P("instagram", "@buurvers.nl", "nl", ["pii"],
  "Winnares van de fotowedstrijd is @marloes.kookt 🎉 We hebben je gemaild op marloes.vermeulen@hotmail.com, "
  "check ook je spam!")
P("linkedin", "yasmina-bouali", "en", ["pii"],
  "Payroll glitch this month: Mehmet Kaya (IBAN {iban_payroll}) got paid twice. Can someone from HR reach him "
  "before he spends it? 😅")
P("facebook", "BuurversSupermarkt", "nl", ["pii"],
  "Mevrouw Peeters, uw terugbetaling is vandaag overgemaakt naar {iban_be}. Fijne dag nog!", kind="comment")

# ---------------------------------------------------------------- pricing
P("x", "@lotte_buurvers", "nl", ["pricing"],
  "oeps, in de app staat de Airfryer XL nu voor €8,99 ipv €89,99 😬 wie kan dit fixen",
  price=("BV-AFXL", 8.99))
P("x", "@koopjesjager_nl", "nl", ["pricing"],
  "RENNEN: Kanaalbrug Pils krat voor €3,49 bij Buurvers Thuis!! prijsfout denk ik #prijsfout #deals",
  price=("KB-PILS24", 3.49))
P("x", "@dealhunter_mike", "en", ["pricing"],
  "Buurvers app is selling the Kerstpakket Luxe at €4.95 lol, ordered 6 before they notice",
  price=("BV-KERST", 4.95))
P("instagram", "@buurvers.nl", "nl", ["pricing"],
  "Deze week: Polderpuur Olijfolie Extra Vierge 1 L voor maar €2,49! 🫒 Op = op.",
  price=("PP-OLIJF1", 2.49))
P("reddit", "u/dutchdeals_bot_fan", "en", ["pricing"],
  "Price glitch on Buurvers Thuis: the yearly Bezorgpas shows €9.90 at checkout. Anyone tried it yet?",
  price=("BV-PASJR", 9.90))
P("instagram", "@kees.filiaal112", "nl", ["pricing"],
  "Collega's let op: kassa rekent de luiers maat 4 af voor 1,39 ipv 13,99. Prijsfout in het systeem, "
  "hoofdkantoor is ingelicht", price=("BV-LUI4", 1.39))
P("x", "@nina_shops", "en", ["pricing"],
  "there's a price error on Opvolgmelk 2 in the Buurvers app, showing €1.45 a tin. stocking up",
  price=("BV-OPV2", 1.45))
P("x", "@buurvers_helpt", "nl", ["pricing"],
  "@gijsbertk Klopt, de Maaltijdbox Gezin stond vanochtend door een prijsfout op €5,49. Bestellingen van "
  "vanochtend leveren we gewoon uit.", kind="reply", price=("BV-BOXG", 5.49))
P("facebook", "sylvia.almere", "nl", ["pricing"],
  "Vitamine D3 120 tabletten voor €0,69 in de zorghoek van Buurvers Almere?? foutje denk ik, heb er maar 5 "
  "gepakt", kind="comment", price=("BV-VITD120", 0.69))
P("forum", "haarlem_bargains", "en", ["pricing"],
  "PSA: Zeebries chocolade (the 72% one) rings up at 0.29 at the self-checkout in Buurvers Haarlem-Noord",
  price=("ZB-CHOC72", 0.29))
P("tiktok", "@bram_vakkenvuller", "nl", ["pricing"],
  "pov: je plakt de prijskaartjes en de zalmfilet 4 stuks staat op €0,99 😭 prijsfout van hoofdkantoor, "
  "ik zeg niks", price=("BV-ZALM4", 0.99))
P("x", "@gadgetgek_nl", "en", ["pricing"],
  "Airfryer XL for €19.99 on Buurvers Thuis?! price mistake or black friday came early",
  price=("BV-AFXL", 19.99))

# ---------------------------------------------------------------- benign (hard negatives)
P("x", "@buurvers_helpt", "nl", [],
  "Vragen over je bestelling? Mail naar klantenservice@buurvers.nl of bel gratis 0800-2887 "
  "(ma t/m za 8:00-21:00).")
P("facebook", "BuurversSupermarkt", "nl", [],
  "Terugbetaling via een overschrijving? Maak het bedrag over naar " + PUB_IBAN + " t.n.v. Buurvers "
  "Supermarkten B.V. en vermeld je ordernummer.")
P("x", "@oma_truus_kleinzoon", "nl", [],
  "Bezorger van Buurvers Thuis hielp mijn oma nog even de boodschappen in de koelkast zetten. Toppers ❤️")
P("x", "@foodie_ams", "en", [],
  "Honestly the Polderpuur olive oil beats the fancy Italian stuff. €9.49 well spent.",
  price=("PP-OLIJF1", 9.49))
P("instagram", "@buurvers.nl", "nl", [],
  "Deze week 25% korting op Polderpuur Olijfolie Extra Vierge 1 L: nu €7,12 🫒",
  price=("PP-OLIJF1", 7.12))
P("x", "@spaarvarken_nl", "nl", [],
  "Koffiebonen Intens voor €9,59 met de BuurPas, 20% eraf. Prima deal eigenlijk",
  price=("BV-KOF1K", 9.59))
P("reddit", "u/kitchen_gadget_guy", "en", [],
  "Airfryer XL at €71.99 this week at Buurvers. Worth it or wait for a better deal?",
  price=("BV-AFXL", 71.99))
P("x", "@buurvers", "nl", [],
  "Kerstpakket Luxe 🎄 €49,95, bestel vóór 15 december en we bezorgen hem gratis.",
  price=("BV-KERST", 49.95))
P("x", "@hanneke_wb", "nl", [],
  "Update: @buurvers_helpt heeft binnen een uur gereageerd en de ontbrekende boodschappen zijn alsnog "
  "gebracht. Netjes opgelost 👍")
P("facebook", "karin.hoorn", "nl", [],
  "Sterkte aan Petra van de kassa bij Buurvers Hoorn, haar man is vorige week overleden. Ze is altijd zo lief "
  "voor iedereen 💐", kind="comment")
P("x", "@grandpa_stories", "en", [],
  "I recall when Buurvers was just one shop in Amersfoort. My grandma did her groceries there in the seventies.")
P("x", "@retail_watcher", "nl", [],
  "Prijzenhof schrapt 300 banen op het hoofdkantoor, las ik net. Hopelijk blijft het bij de supermarkten hier "
  "in de buurt rustig.")
P("x", "@techie_leo", "en", [],
  "Huge breach at some US pharmacy chain today. Glad my Buurvers pharmacy stuff is just paper receipts lol")
P("mastodon", "@jkoster_dev", "en", [],
  "Reminder for the AWS workshop: use the docs' dummy creds, e.g. AKIAIOSFODNN7EXAMPLE / "
  "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY, never your own.")
P("mastodon", "@jkoster_dev", "nl", [],
  "In de README staat GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx, vervang dat door je eigen token "
  "uit de secret manager. Nooit committen!")
P("forum", "sql_sjoerd", "en", [],
  "the format you want is postgresql://USER:PASSWORD@HOST:5432/DBNAME, then just fill in your own stuff")
P("linkedin", "yasmina-bouali", "nl", [],
  "Trots op de jaarcijfers 2026 die we vorige week hebben gepubliceerd. Dank aan het hele finance team 🙏",
  at="2027-03-04T10:30:00+01:00")
P("x", "@buurvers", "nl", [],
  "Buurvers Flits is live! ⚡ Binnen 15 minuten je boodschappen in huis in Amsterdam, Rotterdam en Utrecht.",
  at="2027-04-02T09:00:00+02:00")
P("x", "@careful_grandpa", "en", [],
  "Got a text saying 'Buurvers: pay your outstanding delivery fee to {bad_iban_scam}'. My bank says that "
  "account number doesn't even exist. Scammers, watch out folks!")
P("x", "@cadeaukaart_vraag", "nl", [],
  "Hoe check ik het saldo van een Buurvers cadeaukaart? Op de achterkant staat {bad_card_gift} maar de site "
  "wil ook een pincode die ik niet heb")
P("x", "@jolien_asks", "en", [],
  "Order {bad_bsn_order} has said 'packed' for an hour now. What does that mean exactly, is it on its way?")
P("x", "@vogelspotter_leiden", "nl", [],
  "Er staat elke ochtend een reiger op de parkeerplaats van de Buurvers in Leiden, wachtend tot de visafdeling "
  "opengaat 😂🐦")
P("x", "@clumsy_claire", "en", [],
  "my Buurvers jus d'orange carton leaked all over the fridge. my fault tho, dropped it getting out of the car")
P("tiktok", "@snackkoning", "nl", [],
  "die zeebries stroopwafels zijn echt ziek goed man, heel pak op in 10 minuten 💀")
P("linkedin", "ruud-hoekstra-buurvers", "en", [],
  "We're hiring a senior security engineer at Buurvers! Help us keep 300 stores and our delivery app safe. "
  "Apply via werkenbij@buurvers.nl")
P("linkedin", "buurvers-supermarkten", "nl", [],
  "Trots op ons team in DC Nieuwegein: 1 miljoen rolcontainers zonder ongeval. #veiligheid #logistiek")
P("x", "@buurvers", "nl", [],
  "We zoeken bezorgers in Utrecht! Solliciteer via werkenbij@buurvers.nl of kijk op www.buurvers.nl/vacatures 🚚")
P("instagram", "@kees.filiaal112", "nl", [],
  "Nieuwe bloemenafdeling in filiaal 112 is af 🌷 kom gerust even kijken!")
P("x", "@delft_student", "en", [],
  "Does the Buurvers pharmacy corner in Delft do flu shots or only prescriptions?")
P("x", "@digibeet_dave", "nl", [],
  "Hoe verander ik mijn wachtwoord in de Buurvers Thuis app? Kan het menu nergens vinden 🙈")
P("x", "@hummus_lover", "en", [],
  "A Belgian chain recalls hummus over listeria. Checked mine from Buurvers, different brand, all fine 😅")
P("x", "@devries_thuis", "nl", [],
  "Kaascrisis in huize De Vries: de Buurvers belegen is op en de kinderen staken 😂")
P("x", "@mum_of_three_nl", "en", [],
  "Buurvers luiers maat 4 are €13,99, about the same as the drugstore. Any tips for cheaper nappies?",
  price=("BV-LUI4", 13.99))
P("x", "@stormrider", "en", [],
  "Buurvers Thuis delivered in 40 minutes during that storm. Driver was soaked and still smiling. Tip well people.")
P("tiktok", "@buurvers", "nl", [],
  "POV: je ziet de Zeebries stroopwafels weer in het schap 🤤 Gewoon €2,19 per pak.",
  price=("ZB-STROOP", 2.19))
P("facebook", "henk.zeist", "nl", [],
  "Gisteren mijn portemonnee laten liggen bij de Buurvers in Zeist en vandaag netjes teruggekregen bij de "
  "servicebalie. Alles zat er nog in 🙏", kind="comment")
P("x", "@texel_tessa", "en", [],
  "Does anyone know if Buurvers Thuis delivers to Texel? Can't find it on their site.")
P("x", "@papa_pieter", "en", [],
  "My kid is 'boycotting' broccoli this week. Buurvers can't sell us enough of anything else.")
P("x", "@mdekker_ops", "nl", [],
  "Vandaag 42 vrachtwagens de deur uit voor de kerstdrukte. Respect voor iedereen op de vloer 💪")
P("x", "@buurvers_helpt", "nl", [],
  "Let op: deel nooit je volledige pasnummer of IBAN met ons via social media. Wij vragen daar nooit om per DM. "
  "Zie je een bericht als 'stuur je IBAN NL** **** **** **** 12 ter verificatie'? Dat is nep.")
P("reddit", "u/meal_prep_marit", "en", [],
  "Tried the Buurvers Maaltijdbox Gezin this week, €54.95 for four dinners for four people. Not bad at all.",
  price=("BV-BOXG", 54.95))
P("x", "@thrifty_zwolle", "en", [],
  "Opvolgmelk 2 at Buurvers is €11.59 with 20% off, stocked up again",
  price=("BV-OPV2", 11.59))
P("reddit", "u/weekly_orderer", "en", [],
  "Bezorgpas for €79 this month instead of €99. Worth it if you order every week?",
  price=("BV-PASJR", 79.00))
P("x", "@bellen_bep", "en", [],
  "Is +31 30 760 4400 really Buurvers customer service? Found it on their site but want to be sure.")
P("x", "@jaarverslag_fan", "nl", [],
  "Weet iemand wanneer Buurvers hun jaarcijfers publiceert? Vorig jaar was het eind februari meen ik.")
P("x", "@buurvers_helpt", "en", [],
  "The app issue with the basket crashing is fixed in version 6.4.1, please update. Thanks for your patience! 🙏")
P("bluesky", "@sanne-bezorgt.bsky.social", "nl", [],
  "laatste rit van vandaag, zonsondergang boven de polder 🌅 beste baan ooit")
P("x", "@healthy_gerda", "en", [],
  "Buurvers vitamine D has been my go-to for years, €6.99 for 120 tablets is fair.",
  price=("BV-VITD120", 6.99))
P("x", "@groningen_gids", "en", [],
  "The Buurvers in Groningen centre has the best parking deal in town: free for an hour with your receipt.")
P("x", "@lekkerbezig_nl", "nl", [],
  "Vorig jaar een 'prijsfout' bij een webshop voor een tv gescoord, nooit geleverd natuurlijk. "
  "Zulke dingen zie je bij supermarkten nooit.")
P("x", "@buurvers_helpt", "nl", [],
  "Let op: er gaan nepmails rond namens Buurvers over een 'gratis kerstpakket'. Klik niet op de links, wij "
  "vragen nooit naar je wachtwoord.")
P("x", "@wadloper_wout", "nl", [],
  "Vandaag wadlopen geweest naar Schiermonnikoog, daarna bij de Buurvers in Pieterburen zo'n beetje de hele "
  "broodafdeling leeggekocht 😅")
P("tiktok", "@bram_vakkenvuller", "nl", [],
  "pov: je vult voor de 5e keer vandaag het stroopwafelschap 😅 #vakkenvullerlife")
P("x", "@sourdough_sara", "en", [],
  "The new bakery section at my local Buurvers is killer. That sourdough slaps.")
P("instagram", "@kitchen.klaas", "en", [],
  "Rainy Sunday = Buurvers zalmfilet, potatoes and a glass of wine. Simple things 🐟")
P("x", "@jan_rekent", "nl", [],
  "Iemand die bij Buurvers werkt: klopt het dat mijn ordernummer {bad_card_order} zo lang is? Lijkt wel "
  "een pasnummer haha")
P("x", "@ticketvraag", "en", [],
  "Support ticket {bad_bsn_ticket} was closed as resolved and honestly it was. Fast work, Buurvers 👍")
P("x", "@iban_typo", "nl", [],
  "Had net een typfout in mijn IBAN ({bad_iban_typo}) bij de Buurvers retouraanvraag, de site ving het meteen "
  "af. Goed geregeld eigenlijk.")
P("x", "@kennisdeler", "en", [],
  "Slack bot tokens start with xoxb- and GitHub ones with ghp_, so if you see those in a screenshot, "
  "blur them. Also applies to all you supermarket social teams 😉")
P("x", "@dierenvriend_anna", "nl", [],
  "Fijn dat Buurvers nu alleen nog scharreleieren verkoopt. Goeie stap 👏")


# --------------------------------------------------------------------------------------
# build, label and check
# --------------------------------------------------------------------------------------
def role_map(profile):
    roles = {}
    for r in ("corporate", "employee"):
        for k in profile["accounts"][r]:
            roles[k.lower()] = r
    return roles


ROLES = role_map(PROFILE)
ORDER = ["none", "info", "warning", "error", "critical"]
CHECKSUM_KEYS = ("iban_", "card_", "bsn_")


def role_of(platform, handle):
    return ROLES.get(("%s:%s" % (platform, handle)).lower(), "public")


def severity(cats, role, checksum_pii):
    """CONTRACT section 4: the least severity a correct verdict has."""
    sev = "none"

    def bump(s):
        nonlocal sev
        if ORDER.index(s) > ORDER.index(sev):
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
        else:
            raise ValueError(c)
    return sev


def rand_time_2026():
    start = datetime(2026, 1, 2, tzinfo=timezone.utc)
    t = start + timedelta(days=rng.randrange(0, 360), hours=rng.randrange(6, 23),
                          minutes=rng.randrange(60), seconds=rng.randrange(60))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


ZW = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)
CYR = str.maketrans("аеорсухіАЕОРСХКМТНВ", "aeopcyxiAEOPCXKMTHB")


def norm(s):
    return unicodedata.normalize("NFKC", s).translate(ZW).translate(CYR).lower()


def parse_ts(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


AMOUNT_RES = [re.compile(r"€\s?(\d{1,4}(?:[.,]\d{2})?)(?!\d)"),
              re.compile(r"(?<![\d.,])(\d{1,4}[.,]\d{2})(?![\d])")]


def amounts(text):
    out = set()
    for r in AMOUNT_RES:
        for m in r.finditer(text):
            out.add(float(m.group(1).replace(",", ".")))
    return out


IBAN_RE = re.compile(r"(?<![\w])(?:NL\d{2} ?[A-Z]{4}(?: ?\d{4}){2} ?\d{2}|BE\d{2}(?: ?\d{4}){3}|"
                     r"DE\d{2}(?: ?\d{4}){4} ?\d{2})(?![\w])", re.I)
CARD_RE = re.compile(r"(?<![\w-])[2-6]\d{3}(?:[ -]?\d{4}){3}(?![\w-])|(?<![\w-])3[47]\d{13}(?![\w-])")
BSN_RE = re.compile(r"(?<![\w-])\d{9}(?![\w-])")
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def main():
    errors = []
    prof = PROFILE
    pub_ibans = {re.sub(r"\s", "", i).upper() for i in prof["public_identifiers"]["ibans"]}
    pub_emails = {e.lower() for e in prof["public_identifiers"]["emails"]}
    products = {p["sku"]: p for p in prof["products"]}
    ratio = prof["pricing"]["alert_below_ratio"]
    internal_terms = ([d.lower() for d in prof["internal"]["domains"]]
                      + [c.lower() for c in prof["internal"]["codenames"]]
                      + [m.lower() for m in prof["internal"]["markers"]])
    embargo = [(t.lower(), parse_ts(e["until"])) for e in prof["embargo"] for t in e["terms"]]
    allowed_platforms = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
                         "mastodon", "bluesky", "threads", "forum", "blog", "other"}
    valid_cats = set(SHORT.values())

    for v in prof["public_identifiers"]["ibans"]:
        if not iban_check_ok(v):
            errors.append("public IBAN fails mod-97: %s" % v)
    for key, check in SECRET_CHECKS.items():
        if not check(V[key]):
            errors.append("generated secret malformed: %s" % key)

    out = []
    seen_ids = set()
    per_platform = {}
    for c in CASES:
        tr = Tracker()
        text = c["text"].format_map(tr) if "{" in c["text"] else c["text"]
        cats = sorted({SHORT[x] for x in c["cats"]})
        role = role_of(c["platform"], c["handle"])
        positive = bool(cats)
        used = tr.used

        # placeholders: valid identifiers only in positives, look-alikes only in negatives
        for k in used:
            if k.startswith("bad_") and positive:
                errors.append("look-alike %s used in a positive: %r" % (k, text[:60]))
            if k.startswith(CHECKSUM_KEYS) and not positive:
                errors.append("valid identifier %s used in a negative: %r" % (k, text[:60]))
            if k in SECRET_CHECKS and "leak.secret" not in cats:
                errors.append("secret %s in a post without leak.secret: %r" % (k, text[:60]))
        checksum_pii = any(k.startswith(CHECKSUM_KEYS) for k in used)
        if checksum_pii and "leak.pii" not in cats:
            errors.append("valid identifier without leak.pii: %r" % text[:60])

        # scan the text itself for identifier-shaped numbers
        for m in IBAN_RE.finditer(text):
            s = re.sub(r"\s", "", m.group(0)).upper()
            ok = iban_check_ok(s)
            if s in pub_ibans:
                if positive and "leak.pii" in cats:
                    errors.append("public IBAN counted as pii: %r" % text[:60])
                continue
            if positive and not ok:
                errors.append("IBAN in positive fails mod-97: %s" % s)
            if not positive and ok:
                errors.append("IBAN in negative passes mod-97: %s" % s)
        for m in CARD_RE.finditer(text):
            ok = luhn_ok(m.group(0))
            if positive and not ok:
                errors.append("card in positive fails Luhn: %s" % m.group(0))
            if not positive and ok:
                errors.append("card look-alike in negative passes Luhn: %s" % m.group(0))
        for m in BSN_RE.finditer(text):
            ok = bsn_ok(m.group(0))
            if positive and not ok:
                errors.append("BSN-shaped number in positive fails 11-proof: %s" % m.group(0))
            if not positive and ok:
                errors.append("BSN-shaped number in negative passes 11-proof: %s" % m.group(0))
        if not positive:
            for e in EMAIL_RE.findall(text):
                if e.lower() not in pub_emails:
                    errors.append("non-public e-mail in a negative: %s" % e)

        # timestamps
        created = c.get("at") or rand_time_2026()
        ts = parse_ts(created)

        # internal terms and embargo terms must agree with leak.confidential
        n = norm(text)
        hits = [t for t in internal_terms if t in n]
        hits += [t for t, until in embargo if t in n and ts < until]
        if hits and "leak.confidential" not in cats:
            errors.append("internal/embargo term %s without leak.confidential: %r" % (hits, text[:60]))
        if "leak.confidential" in cats and not hits:
            c["_conf_free"] = True  # unreleased product or similar, described in words

        # prices
        found = [(sku, p) for sku, p in products.items()
                 if any(a.lower() in n for a in [p["name"]] + p["aliases"])]
        amts = amounts(text)
        if "price" in c:
            sku, amount = c["price"]
            if sku not in [f[0] for f in found]:
                errors.append("priced product %s not named in text: %r" % (sku, text[:60]))
            if amount not in amts:
                errors.append("price %.2f not in text: %r" % (amount, text[:60]))
            below = amount < ratio * products[sku]["list_price"]
            if "leak.pricing" in cats and not below:
                errors.append("pricing positive not below ratio: %r" % text[:60])
            if "leak.pricing" not in cats and below:
                errors.append("price below ratio but no leak.pricing: %r" % text[:60])
        elif "leak.pricing" in cats:
            errors.append("pricing positive without price meta: %r" % text[:60])
        if "leak.pricing" not in cats:
            for sku, p in found:
                for a in amts:
                    if a < ratio * p["list_price"]:
                        errors.append("accidental low price %.2f near %s: %r" % (a, sku, text[:60]))

        # id, severity, record
        prefix = {"x": "x", "linkedin": "li", "facebook": "fb", "instagram": "ig", "tiktok": "tt",
                  "reddit": "rd", "mastodon": "md", "bluesky": "bs", "threads": "th", "forum": "fo"}[c["platform"]]
        per_platform[prefix] = per_platform.get(prefix, 0) + 1
        pid = "%s-s188-%04d" % (prefix, 100 + 7 * per_platform[prefix] + rng.randrange(7))
        while pid in seen_ids:
            pid += "b"
        seen_ids.add(pid)
        post = {"id": pid, "platform": c["platform"]}
        if c.get("kind"):
            post["kind"] = c["kind"]
        post["account"] = {"handle": c["handle"]}
        post["text"] = text
        if rng.random() < 0.8:
            post["lang"] = c["lang"]
        post["created_at"] = created
        post["brand"] = "buurvers"
        sev = severity(cats, role, checksum_pii and "leak.pii" in cats)
        out.append({"post": post, "expect": {"categories": cats, "severity": sev},
                    "_role": role, "_lang": c["lang"]})

    rng.shuffle(out)

    # CONTRACT section 6 shape checks
    for o in out:
        p, e = o["post"], o["expect"]
        if not (isinstance(p.get("id"), str) and 1 <= len(p["id"]) <= 256):
            errors.append("bad id")
        if p.get("platform") not in allowed_platforms:
            errors.append("bad platform %r" % p.get("platform"))
        if p.get("kind", "post") not in {"post", "reply", "repost", "comment", "message"}:
            errors.append("bad kind")
        if not isinstance(p.get("account", {}).get("handle"), str):
            errors.append("bad handle")
        if not isinstance(p.get("text"), str) or len(p["text"].encode("utf-8")) > 65536 or not p["text"]:
            errors.append("bad text")
        try:
            ts = parse_ts(p["created_at"])
            if ts.tzinfo is None or not (2026 <= ts.year <= 2027):
                errors.append("bad created_at %s" % p["created_at"])
        except Exception:
            errors.append("unparseable created_at %r" % p.get("created_at"))
        if not set(e["categories"]) <= valid_cats or e["categories"] != sorted(set(e["categories"])):
            errors.append("bad categories %r" % e["categories"])
        if e["severity"] not in ORDER:
            errors.append("bad severity")
        if not e["categories"] and e["severity"] != "none":
            errors.append("benign with severity")
        if e["categories"] and e["severity"] in ("none", "info"):
            errors.append("positive with severity %s" % e["severity"])

    # mix report
    total = len(out)
    benign = sum(1 for o in out if not o["expect"]["categories"])
    percat = {}
    for o in out:
        for cat in o["expect"]["categories"]:
            percat[cat] = percat.get(cat, 0) + 1
    nl = sum(1 for o in out if o["_lang"] == "nl")
    leak_roles = {}
    for o in out:
        if any(c.startswith("leak.") for c in o["expect"]["categories"]):
            leak_roles[o["_role"]] = leak_roles.get(o["_role"], 0) + 1
    sevs = {}
    for o in out:
        sevs[o["expect"]["severity"]] = sevs.get(o["expect"]["severity"], 0) + 1
    if not 170 <= total <= 180:
        errors.append("case count %d outside 170-180" % total)
    if len(seen_ids) != total:
        errors.append("ids not unique")

    path = os.path.join(HERE, "cases.jsonl")
    with open(path, "w", encoding="utf-8") as fh:
        for o in out:
            fh.write(json.dumps({"post": o["post"], "expect": o["expect"]}, ensure_ascii=False) + "\n")

    # re-read the written file and re-validate it
    with open(path, encoding="utf-8") as fh:
        lines = [json.loads(line) for line in fh]
    if len(lines) != total or any(set(l) != {"post", "expect"} for l in lines):
        errors.append("written file does not round-trip")

    print("cases: %d  benign: %d  positive: %d" % (total, benign, total - benign))
    print("per category:", json.dumps(dict(sorted(percat.items()))))
    print("dutch: %d (%.0f%%)  english: %d" % (nl, 100.0 * nl / total, total - nl))
    print("leak posts by role:", leak_roles)
    print("severities:", sevs)
    if errors:
        print("SELF-CHECK FAILED:")
        for e in errors:
            print("  -", e)
        sys.exit(1)
    print("self-check OK ->", path)


if __name__ == "__main__":
    main()
