#!/usr/bin/env python3
"""Build cases.jsonl (sealed evaluation set 466) for the fictional flooring chain
Loperveld Vloeren B.V. described in profile.yaml beside this script.

Deterministic: one fixed seed, standard library plus PyYAML. Post texts are written
by hand; identifiers and credentials inside them are generated here the way the real
ones are built (IBAN mod-97, Luhn, BSN 11-proof, GitHub CRC-32, ...). Severities are
computed from CONTRACT section 4 and the account role in the profile, never typed.
The script checks its own output and exits non-zero when a check fails.
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
OUT = os.path.join(HERE, "cases.jsonl")
rng = random.Random(466_2026)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

ROLE = {}
for role in ("corporate", "employee"):
    for acc in PROFILE["accounts"][role]:
        ROLE[acc.lower()] = role

DIGITS = string.digits
ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base-62 order
B32 = string.ascii_uppercase + "234567"


def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


# ---------------------------------------------------------------- identifiers
def iban_valid(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return f"{cc}{98 - n % 97:02d}{bban}"


def spaced(s, k=4):
    return " ".join(s[i:i + k] for i in range(0, len(s), k))


def iban_nl():
    bank = rng.choice(["ABNA", "RABO", "INGB", "SNSB", "ASNB", "TRIO", "KNAB", "BUNQ"])
    return make_iban("NL", bank + rand(DIGITS, 10))


def iban_nl_bad():
    """Looks like a Dutch IBAN, fails mod-97 (one digit of the account changed)."""
    good = iban_nl()
    while True:
        pos = rng.randrange(8, 18)
        d = str((int(good[pos]) + rng.randint(1, 9)) % 10)
        bad = good[:pos] + d + good[pos + 1:]
        if not iban_valid(bad):
            return bad


def luhn_ok(num):
    ds = [int(c) for c in re.sub(r"\D", "", num)]
    tot = 0
    for i, d in enumerate(reversed(ds)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        tot += d
    return tot % 10 == 0


def card(prefix):
    body = prefix + rand(DIGITS, 15 - len(prefix))
    for last in DIGITS:
        if luhn_ok(body + last):
            return body + last
    raise AssertionError


def card_bad(prefix):
    good = card(prefix)
    return good[:-1] + str((int(good[-1]) + rng.randint(1, 9)) % 10)


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9:
        return False
    tot = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return tot % 11 == 0 and int(s) != 0


def bsn():
    while True:
        head = str(rng.randint(1, 6)) + rand(DIGITS, 7)
        r = sum(int(head[i]) * (9 - i) for i in range(8)) % 11
        if r < 10:
            return head + str(r)


def bsn_bad():
    good = bsn()
    while True:
        bad = good[:-1] + str(rng.randrange(10))
        if not bsn_ok(bad):
            return bad


# ---------------------------------------------------------------- credentials
def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out or "0"


def github_token(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode())).rjust(6, "0")


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def aws_key_id():
    return "AKIA" + rand(B32, 16)


def aws_secret():
    return rand(string.ascii_letters + DIGITS + "/+", 40)


def b64u(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jwt(payload):
    head = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64u(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64u(bytes(rng.randrange(256) for _ in range(32)))
    return f"{head}.{body}.{sig}"


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    pad = "=" * (-len(parts[0]) % 4)
    hdr = json.loads(base64.urlsafe_b64decode(parts[0] + pad))
    return "alg" in hdr


def openssh_key():
    raw = b"openssh-key-v1\x00" + bytes(rng.randrange(256) for _ in range(380))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def slack_bot():
    return f"xoxb-{rand(DIGITS, 12)}-{rand(DIGITS, 13)}-{rand(ALNUM, 24)}"


def stripe_live():
    return "sk_live_51" + rand(ALNUM, 96)


def mollie_live():
    return "live_" + rand(ALNUM, 30)


def openai_key():
    return "sk-proj-" + rand(ALNUM + "_-", 64) + "T3BlbkFJ" + rand(ALNUM + "_-", 64)


def google_key():
    return "AIza" + rand(ALNUM + "_-", 35)


def gitlab_pat():
    return "glpat-" + rand(ALNUM + "_-", 20)


def human_pw(word):
    return word + rng.choice("!#$%&*") + rand(DIGITS, 4) + rand(string.ascii_uppercase, 1)


# ---------------------------------------------------------------- generated values
IB_REFUND = iban_nl()          # corporate reply exposes a customer's IBAN
IB_DEBTOR = iban_nl()          # controller posts a debtor's IBAN
IB_OWN = iban_nl()             # customer posts own IBAN in a complaint
BSN_NEW = bsn()                # HR comment with a new hire's BSN
BSN_CRM = bsn()                # corporate account meant a DM
CARD_OWN = card("4")           # customer's own Visa in a complaint
CARD_DBG = card("52")          # developer pastes a checkout payload
BAD_IBAN = iban_nl_bad()
BAD_CARD_QA = card_bad("4")
BAD_CARD_TYPO = card_bad("55")
BAD_BSN_DUMMY = bsn_bad()
BAD_BSN_PARCEL = bsn_bad()
PUB_IBAN = PROFILE["public_identifiers"]["ibans"][0]

AK_ID, AK_SECRET = aws_key_id(), aws_secret()
GHP = github_token("ghp_")
PG_PW = rand(ALNUM, 18)
MKT_PW = human_pw("Loper")
SLACK = slack_bot()
STRIPE = stripe_live()
MOLLIE = mollie_live()
JWT_TOK = jwt({"sub": "svc-kassa", "role": "admin", "store": "APD-07",
               "iat": 1767610000, "exp": 1767696400})
SSH_KEY = openssh_key()
OPENAI = openai_key()
KASSA_PW = human_pw("Kassa")
GKEY = google_key()
GLPAT = gitlab_pat()

FW = {c: chr(ord(c) + 0xFEE0) for c in string.ascii_letters + string.digits}
def fullwidth(s):
    return "".join(FW.get(c, "\u3000" if c == " " else c) for c in s)


ZW = "\u200b"

# ---------------------------------------------------------------- the cases
# (key, platform, handle, lang, categories, text, extra)
#   categories: short codes; extra: kind / date / name
S, PII, PR, CONF, FIN, SEC = "secret", "pii", "pricing", "confidential", "financial", "security"
CRI, COM, ABU = "crisis", "complaint", "abuse"
CAT = {S: "leak.secret", PII: "leak.pii", PR: "leak.pricing", CONF: "leak.confidential",
       FIN: "leak.financial", SEC: "leak.security", CRI: "reputation.crisis",
       COM: "reputation.complaint", ABU: "reputation.abuse"}

CASES = [
    # ------------------------------------------------------------ complaints
    ("C01", "x", "@sjaak_bouwt", "nl", [COM],
     "@loperveld_service al 3 weken wachten op mijn Zandwal Eik laminaat. 2x een bezorgdag "
     "gekregen, 2x kwam er niemand. Heb er speciaal vrij voor genomen 😡", {"kind": "reply"}),
    ("C02", "facebook", "marloes.vandam.9", "nl", [COM],
     "Laminaat laten leggen door Loperveld in de woonkamer. Na twee maanden staan de naden al "
     "open en het kraakt bij elke stap. Legger was een uur te laat en in drie uur klaar, nu snap "
     "ik waarom. Op mijn mails reageert niemand.", {"name": "Marloes van Dam"}),
    ("C03", "reddit", "u/throwaway_floorguy", "en", [COM],
     "Ordered the Tafraout rug from Loperveld online. Arrived with a big brown stain in the middle "
     "and it smells like wet dog. Their return process wants ME to pay for the pickup. Seriously?",
     {}),
    ("C05", "x", "@tomhollis_", "en", [COM],
     "@loperveld your \"free measuring service\" = guy shows up, measures the bedroom 40cm short "
     "and now I'm missing a whole strip of carpet by the window. Who's paying for that, me?",
     {"kind": "reply"}),
    ("C06", "instagram", "@huisje_boompje_vloer", "nl", [COM],
     "Die Nevelpluis hoogpolig verhaart echt als een gek. Week lang elke dag gezogen en de "
     "stofzuiger zit nog steeds vol plukken. Voor €279 verwacht je wel iets beters "
     "@loperveld.vloeren 👎", {"kind": "comment"}),
    ("C07", "other", "K. Jansen (review)", "en", [COM],
     "2/5. The Veldhoeve parquet itself is lovely but the fitting team left glue all over the "
     "skirting and a dent in my door frame. Three emails to Loperveld, zero replies.", {}),
    ("C08", "x", "@pvanleeuwen", "nl", [COM],
     "@loperveld_service en wéér een automatisch antwoord. Order 4471208, kleed nog steeds niet "
     "geleverd, geld is wel al van mn rekening af. Hoe moeilijk kan het zijn", {"kind": "reply"}),
    ("C09", "tiktok", "@lisa_klust", "en", [COM],
     "storytime: got our stairs redone by loperveld 🙃 runner is crooked, staples sticking out, my "
     "socks catch on step 4 every morning. €699 for the Stapvast set btw #diy #fail #stairs", {}),
    ("C10", "facebook", "graham.pike.77", "en", [COM],
     "Bought Polder Pro 'waterproof' laminate for the bathroom. One leaky shower later the boards "
     "have swollen up like sponges. Store says water damage isn't covered. Then don't sell it as "
     "waterproof, Loperveld!", {"name": "Graham Pike"}),
    ("C11", "forum", "kwastje77", "nl", [COM],
     "Iemand ervaring met de klantenservice van Loperveld? Mijn Kadewerk PVC heeft na 5 maanden al "
     "krassen door de toplaag, zelfs onder het bureau met viltjes eronder. Zij zeggen 'verkeerd "
     "gebruik'. Ik word er zo moedeloos van.", {}),
    ("C12", "x", "@jen_renovates", "en", [COM],
     "loperveld cancelled my fitting appointment the night before. AGAIN. third time. kitchen's "
     "been an empty shell for a month #loperveld #customerservice", {}),
    ("C14", "x", "@dewit_m", "en", [COM],
     "How do you actually reach Loperveld by phone? 40 mins of hold music on the 0800 line and then "
     "it just hangs up on me. I only want to know where my underlay is.", {}),
    ("C15", "x", "@annekeverbeek", "nl", [COM, PII],
     "@loperveld_service nog steeds niet teruggebeld!! Bel me nou gewoon: 06-41879235. Vloer ligt "
     "half, legger is vertrokken en ik kan mijn woonkamer niet in.", {"kind": "reply"}),
    ("C16", "facebook", "derek.olsthoorn", "en", [COM, PII],
     f"Still waiting on my refund for the Lunet rug I returned, six weeks now. For the third time: "
     f"IBAN {spaced(IB_OWN)}, D. Olsthoorn. It's not rocket science, Loperveld.",
     {"kind": "comment", "name": "Derek Olsthoorn"}),

    # ------------------------------------------------------------ first-hand safety: crisis + complaint
    ("X01", "facebook", "jolanda.kuipers", "nl", [CRI, COM],
     "Gisteravond begon de Warmtred vloerverwarmingsmat onder ons laminaat te smeulen. Hele "
     "woonkamer vol rook, brandweer erbij. In maart gekocht bij Loperveld. De kinderen sliepen "
     "boven... ik moet er niet aan denken. Ben er kapot van.", {"name": "Jolanda Kuipers"}),
    ("X02", "x", "@mikeb_diy", "en", [CRI, COM],
     "Loperveld's Frisvezel steam cleaner just gave me a proper electric shock when I grabbed the "
     "handle. Floor was dry. Unplugged it, hand's still tingling. Do NOT use this thing.", {}),
    ("X03", "instagram", "@mama_van_drie", "nl", [CRI, COM],
     "Onze jongste (2) is flink ziek geworden, uitslag en benauwd. Huisarts denkt dat het door die "
     "sterke chemische lucht van het nieuwe Kikkerdril kleed komt 😢 het ding ligt nu in de "
     "schuur. @loperveld.vloeren wat zit hierin??", {}),
    ("X04", "reddit", "u/slipnslide", "en", [CRI, COM],
     "PSA: the Droogvoet doormat from Loperveld has zero grip on tiles. My dad stepped on it "
     "yesterday, it shot out from under him and he broke his wrist. I emailed them with photos, "
     "nothing back.", {}),
    ("X05", "x", "@tjitske_b", "en", [CRI, COM],
     "The Loperveld fitter drilled straight through a power cable under our floor. I got a shock "
     "when I switched on the lamp and the whole group tripped. No apology, nothing. Unbelievable.",
     {}),

    # ------------------------------------------------------------ crisis (third party / news / boycott)
    ("K01", "x", "@nieuwsflits_oost", "nl", [CRI],
     "Brandweer rukte vanmiddag uit naar de Loperveld-vestiging in Deventer nadat een opslag met "
     "tapijtrollen vlam vatte. Winkel ontruimd, voor zover bekend niemand gewond.", {}),
    ("K02", "x", "@consumer_alert_eu", "en", [CRI],
     "RECALL: Loperveld is recalling the Warmtred electric underfloor heating mat (batches sold in "
     "2025) after reports of overheating. Stop using it and contact the store.", {}),
    ("K03", "x", "@boycot_nu", "nl", [CRI],
     "Loperveld laat hun vloerkleden knopen in fabrieken waar kinderen werken en niemand mag "
     "binnenkijken. #BoycotLoperveld, deel dit en koop daar geen cent meer!", {}),
    ("K04", "linkedin", "privacy-watch-benelux", "en", [CRI],
     "Reports are circulating that Loperveld's webshop leaked customer addresses and order "
     "histories. A forum post shows what looks like a dump of ~40k records. Loperveld has not "
     "commented yet.", {}),
    ("K05", "facebook", "StichtingEerlijkWonen", "nl", [CRI],
     "Wij beginnen een rechtszaak tegen Loperveld Vloeren B.V. namens ruim 200 klanten van wie de "
     "'waterdichte' Polder Pro vloer is opgezwollen. Aansluiten kan via onze website.", {}),
    ("K06", "reddit", "u/ex_fitter_nl", "en", [CRI],
     "Ex-Loperveld fitter here. They make crews use solvent glue in closed rooms without proper "
     "masks. Two guys from my team ended up in hospital last year. It's a scandal nobody talks "
     "about.", {}),
    ("K07", "x", "@wijkkrant_zuid", "nl", [CRI],
     "Vrouw (78) gewond nadat een rek met tapijtrollen omviel in de Loperveld aan de Ravenswade in "
     "Nieuwegein. Ze is met de ambulance afgevoerd.", {}),
    ("K08", "tiktok", "@eerlijkeprijs", "nl", [CRI],
     "loperveld 'uitverkoop' is NEP!! eerst prijzen verdubbelen en dan 50% eraf. de ACM moet hier "
     "naar kijken, ga daar niks meer kopen #oplichting #boycot", {}),
    ("K09", "x", "@fairwork_now", "en", [CRI],
     "Don't spend a cent at L\u043e\u0440\u0435rv\u0435ld. They fired 12 warehouse workers for "
     "trying to unionise. \u0412\u043e\u0443\u0441\u043ett them!", {}),
    ("K10", "x", "@woontest_nl", "nl", [CRI],
     "Uit ons lab: in twee vloerkleden van Loperveld zit formaldehyde ver boven de norm. We hebben "
     "de resultaten aan de NVWA gestuurd.", {}),

    # ------------------------------------------------------------ abuse
    ("A01", "x", "@dikkeboze_klant", "nl", [ABU],
     "Loperveld is echt een kankerbedrijf. Stelletje oplichters zijn het.", {}),
    ("A02", "x", "@grrr_dan", "en", [ABU, COM],
     "@loperveld_service you useless pack of idiots, my rug went to an address 40km away. learn to "
     "read a label", {"kind": "reply"}),
    ("A03", "instagram", "@xx_jordy", "nl", [ABU],
     "die verkoper van jullie in Breda is echt een mongool, hoop dat ie ontslagen wordt 🤡",
     {"kind": "comment"}),
    ("A04", "reddit", "u/rugrat_99", "en", [ABU],
     "Whoever runs Loperveld's TikTok is a braindead clown. Delete the account, nobody wants this "
     "sh*t.", {}),
    ("A05", "x", "@dr3ad_nl", "nl", [ABU],
     "@loperveld jullie zijn echt k@nk3r 0pl1cht3rs, en die h0m0 van de bezorging ook", {"kind": "reply"}),
    ("A06", "x", "@vanta_kev", "en", [ABU],
     "@loperveld_service f u c k   y o u   all, s c u m b a g s", {"kind": "reply"}),
    ("A07", "facebook", "ron.vd.wal", "nl", [ABU],
     "Die Maaike van de marketing bij Loperveld is echt een achterlijke trut, wie laat haar die "
     "reclames nog maken", {"kind": "comment"}),
    ("A08", "x", "@mattyp_utr", "en", [ABU],
     "Loperveld staff in Utrecht are a bunch of lazy morons. Literally watched one nap on a stack "
     "of rugs lol", {}),
    ("A09", "x", "@ruudtapijt", "nl", [ABU],
     "@kwastje77 als je niet eens een vloer kan dweilen zonder hem te slopen moet je gewoon je bek "
     "houden, sukkel", {"kind": "reply"}),
    ("A10", "bluesky", "@hollowfloors.bsky.social", "en", [ABU],
     "Loperveld's CEO is a greedy parasite and I hope his house floods 🙂 #loperveld", {}),
    ("A11", "tiktok", "@jay.rotterdam", "en", [ABU],
     "what a shit store with shit staff, grow up loperveld", {"kind": "comment"}),
    ("A12", "x", "@boos_in_breda", "nl", [ABU],
     "Klantenservice van Loperveld = stelletje k" + ZW + "u" + ZW + "t" + ZW + "w" + ZW + "i" + ZW
     + "j" + ZW + "v" + ZW + "e" + ZW + "n", {}),

    # ------------------------------------------------------------ personal data
    ("P01", "x", "@ruudtapijt", "nl", [PII],
     "Mevr. Hendriks, Lindelaan 14, 7311 KD Apeldoorn heeft haar Nevelpluis nog steeds niet "
     "opgehaald, staat al 3 weken in het magazijn. Rijdt iemand die kant op?", {}),
    ("P02", "x", "@loperveld_service", "nl", [PII],
     f"@pvanleeuwen Excuses voor het lange wachten! We zien de bestelling op naam van P. van "
     f"Leeuwen, de terugbetaling gaat naar {IB_REFUND}. Binnen 5 werkdagen hoort u van ons.",
     {"kind": "reply"}),
    ("P03", "linkedin", "lotte-ramaekers", "nl", [PII],
     f"Welkom aan ons nieuwste teamlid Sophie de Graaf! 🎉 (Sophie, je BSN {BSN_NEW} komt niet "
     f"door in het salarissysteem, wil je HR even mailen?)", {"kind": "comment"}),
    ("P04", "x", "@gerrit_w", "nl", [PII, COM],
     f"@loperveld_service mijn creditcard is 2x belast voor dezelfde bestelling!! kaart "
     f"{spaced(CARD_OWN)}, zoek het uit en stort het terug", {"kind": "reply"}),
    ("P05", "instagram", "@dennis.legt", "en", [PII],
     "Beautiful herringbone laid today for the Ouwerkerk family, Boomgaardstraat 9 in Harderwijk 👌 "
     "who's next?", {}),
    ("P06", "facebook", "LoperveldVloeren", "nl", [PII],
     "Beste Erik, we hebben je gegevens teruggevonden: erik.molenaar82@gmail.com, tel. 06 2874 1190, "
     "geboren 12-03-1982. Klopt dat? Dan plannen we de meting in.", {"kind": "comment"}),
    ("P07", "x", "@eva_vloerstyling", "en", [PII],
     "Shoutout to my lovely client Hannah Brouwer (born 4 June 1991!) who got her dream Tafraout "
     "rug just in time for her birthday 🎂", {}),
    ("P08", "linkedin", "samira-bouzid-lpv", "nl", [PII],
     f"Tip voor de collega's van debiteuren: openstaande post Van Rijn Interieur, IBAN "
     f"{spaced(IB_DEBTOR)} t.n.v. M. van Rijn, €2.340. Wie pakt hem op?", {"kind": "comment"}),
    ("P10", "tiktok", "@henk_legt_vloeren", "en", [PII],
     "today's job 💪 Mr Bosman (Kerkweg 112, Nunspeet) was so happy with his new floor he gave us "
     "coffee and apple pie", {}),
    ("P11", "x", "@loperveld", "nl", [PII],
     f"@loperveld_service kun je deze even in het CRM checken? J. Smit, geb. 23-09-1975, BSN "
     f"{BSN_CRM}", {"kind": "reply"}),
    ("P12", "forum", "dakkapel_dave", "en", [PII],
     "Loperveld fitter left his whole job sheet on my kitchen table lol. Names and numbers of the "
     "other customers on his route: L. Vermeulen 0612093847, fam. de Bruin 038-4217755, "
     "A. Yildiz a.yildiz@kpnmail.nl", {}),
    ("P14", "bluesky", "@niels-lpv.bsky.social", "en", [PII],
     "why does this checkout call 500? payload: {name: 'Ahmed Yilmaz', email: "
     f"'a.yilmaz@ziggo.nl', card: '{CARD_DBG}', exp: '08/28'}} any ideas?", {}),
    ("P16", "instagram", "@loperveld.vloeren", "nl", [PII],
     "De winnaar van onze Tafraout-winactie is Kim Hoekstra uit Drachten! 🎉 Kim, we hebben je "
     "mail (kim.hoekstra@live.nl) al geprobeerd, stuur ons even een DM!", {}),

    # ------------------------------------------------------------ secrets
    ("S01", "x", "@bram_devops", "nl", [S],
     f"waarom pakt de CLI dit niet 😩\naws_access_key_id = {AK_ID}\naws_secret_access_key = "
     f"{AK_SECRET}\nregion = eu-west-1", {}),
    ("S02", "bluesky", "@niels-lpv.bsky.social", "en", [S],
     f"GitHub Actions keeps saying 'Bad credentials' even though I set GH_TOKEN={GHP} in the "
     "workflow env. what am I missing?", {}),
    ("S03", "linkedin", "joost-verhagen-loperveld", "en", [S, CONF],
     "Proud of the team: stock service is migrated to Postgres 16! 🚀 For the curious, the config "
     f"is literally one line: DATABASE_URL=postgresql://lpv_app:{PG_PW}@db01.erp.loperveld.local:5432/voorraad",
     {}),
    ("S04", "x", "@maaike_lpv", "nl", [S],
     f"Nieuwe social planning-tool staat klaar 🎉 login voor het team is teammarketing / "
     f"wachtwoord: {MKT_PW} (niet gaan spammen he)", {}),
    ("S05", "x", "@bram_devops", "en", [S],
     f"slack bot keeps posting duplicates in #winkels, token {SLACK} is the one from the vault "
     "right? or did someone rotate it", {}),
    ("S06", "bluesky", "@niels-lpv.bsky.social", "en", [S],
     f"Stripe webhooks failing on prod since the deploy. Key in the env is {STRIPE} - is that even "
     "the live one?", {}),
    ("S07", "forum", "jsbundle_jan", "en", [S],
     f"Found this in Loperveld's public checkout JS bundle: mollieApiKey: \"{MOLLIE}\". Someone "
     "should tell them before it gets abused.", {}),
    ("S08", "x", "@bram_devops", "en", [S],
     f"anyone know why the kassa API says this token expired? {JWT_TOK}", {}),
    ("S09", "linkedin", "joost-verhagen-loperveld", "en", [S],
     "New deploy box is live 🎉 Sharing my setup notes for the team, key included so you don't "
     f"have to ask me every time:\n{SSH_KEY}", {}),
    ("S10", "x", "@eva_vloerstyling", "nl", [S],
     f"Mijn AI-moodboardtooltje werkt!! 🎨 wie het wil proberen, gebruik gewoon mijn key: {OPENAI}",
     {}),
    ("S11", "x", "@maaike_lpv", "nl", [S],
     f"{fullwidth('wachtwoord')} kassabeheer showroom Utrecht: {KASSA_PW} (voor de invallers "
     "morgen)", {}),
    ("S12", "bluesky", "@niels-lpv.bsky.social", "nl", [S],
     f"Filialenzoeker met kaartje staat! Key voor de Maps-widget: {GKEY}, gebruik hem ook voor de "
     "bezorgplanner", {}),
    ("S13", "x", "@bram_devops", "nl", [S, SEC, CONF],
     f"Incident: vannacht heeft iemand met onze gelekte GitLab token {GLPAT} alle repo's gecloned. "
     "Nog niet naar buiten gebracht, niet extern delen!", {}),

    # ------------------------------------------------------------ security
    ("Y01", "x", "@bram_devops", "nl", [SEC],
     "Ransomware op de kassaservers van 14 filialen sinds vanochtend 6 uur. Klanten kunnen alleen "
     "nog contant betalen. Officieel heet het een 'storing' 🙄", {}),
    ("Y02", "linkedin", "joost-verhagen-loperveld", "en", [SEC],
     "Long day. We found an SQL injection in the LoperveldShop order lookup that exposed customer "
     "addresses for who knows how long. Patching tonight, comms will come 'later'.", {}),
    ("Y03", "x", "@ruudtapijt", "en", [SEC],
     "Tills down again in Apeldoorn and I hear it's every store. IT says someone is inside the "
     "network. Shhh 🤫", {}),
    ("Y04", "bluesky", "@niels-lpv.bsky.social", "en", [SEC],
     "our payment page has been skimming cards for 3 weeks?!? someone injected a script through a "
     "CMS plugin. nothing announced yet, incident call all day", {}),
    ("Y05", "threads", "@fleur.inkoop", "nl", [SEC],
     "Leveranciersportaal ligt al 2 dagen plat. Blijkt dat iemand met de inlog van een leverancier "
     "al onze inkoopprijzen heeft gedownload. Is nog niet naar buiten gebracht hoor.", {}),
    ("Y06", "tiktok", "@henk_legt_vloeren", "nl", [SEC],
     "planningsapp van loperveld al 3 dagen plat, we rijden op de gok naar klanten 😂 ze zeggen dat "
     "het een hack is maar we mogen niks zeggen", {}),
    ("Y07", "x", "@loperveld_service", "nl", [SEC],
     "@jen_renovates Excuses! Door een beveiligingsincident in ons planningssysteem zijn afspraken "
     "gewist. Dat is nog niet officieel bekend, dus deel dit liever nog niet.", {"kind": "reply"}),
    ("Y08", "linkedin", "joost-verhagen-loperveld", "en", [SEC],
     "Pentest report is in: from the guest Wi-Fi in our stores you can reach the back-office "
     "servers directly, and the NAS still has its default admin login. Fixing it before anyone "
     "notices 😬", {}),
    ("Y09", "x", "@bram_devops", "en", [SEC],
     "Webshop DB backups sat in a public bucket for two months. Found it yesterday. Nobody knows "
     "yet if anyone downloaded them.", {}),
    ("Y10", "x", "@freelance_dev_rik", "nl", [SEC],
     "Als ingehuurde dev bij Loperveld gezien dat hun VPN nog draait op een versie met een bekend "
     "lek, al maanden niet gepatcht. Twee keer gemeld, niks mee gedaan.", {}),
    ("Y11", "x", "@eva_vloerstyling", "en", [SEC],
     "lol the whole loperveld.nl webshop has been down since 6am, apparently a DDoS, we're told to "
     "call it 'maintenance' 🤐", {}),
    ("Y12", "linkedin", "lotte-ramaekers", "nl", [SEC],
     "HR-systeem vandaag dichtgezet: er gaan phishingmails met nep-salarisstroken rond vanaf een "
     "overgenomen account van ons. Nog intern, dus even stil graag.", {"kind": "comment"}),

    # ------------------------------------------------------------ confidential
    ("F01", "x", "@maaike_lpv", "nl", [CONF],
     "Zóóó trots op wat we met Project Hermelijn gaan lanceren 🤫 meer zeg ik (nog) niet "
     "#loperveld", {}),
    ("F02", "linkedin", "joost-verhagen-loperveld", "nl", [CONF],
     "Collega's, de cutover naar het nieuwe ERP staat gepland. Alle details: "
     "https://wiki.loperveld.nl/display/ERP/cutover-plan", {"kind": "comment"}),
    ("F03", "instagram", "@dennis.legt", "nl", [CONF],
     "Eerste sneak peek van de nieuwe Kreekrand visgraat 😍 lag vandaag in de showroom-opslag. "
     "Meer mag ik nog niet laten zien!", {"date": "2026-11-18T16:42:10Z"}),
    ("F04", "facebook", "LoperveldVloeren", "nl", [CONF],
     "Binnenkort in al onze winkels: de Kreekrand collectie 🌊 Nog even geduld...",
     {"date": "2026-12-10T10:05:00Z"}),
    ("F05", "threads", "@fleur.inkoop", "nl", [CONF],
     "Heb het inkoopoverzicht Q3 met 'loperveld confidential' erop per ongeluk naar een "
     "leverancier gestuurd 🙈 tips om een mail terug te halen?", {}),
    ("F06", "x", "@ruudtapijt", "en", [CONF],
     "New store rota is up on intra.loperveld.local/filialen/rooster — can anyone in Zwolle open "
     "it? I just get a timeout", {}),
    ("F07", "bluesky", "@niels-lpv.bsky.social", "en", [CONF],
     "Oranjeborg checkout redesign demo went great today. Can't wait for you all to see it in "
     "spring ✨", {}),
    ("F08", "x", "@sophie_ltr", "en", [CONF, FIN],
     "My brother works at Loperveld, says 'Operatie Wolkam' means they're closing half their "
     "Belgian stores next year 👀", {}),
    ("F10", "tiktok", "@henk_legt_vloeren", "nl", [CONF],
     "eerste klus met de nieuwe Kreekrand visgraat 🔥 ligt pas volgend jaar in de winkel maar wij "
     "mochten hem al testen", {"date": "2026-10-02T13:20:00Z"}),
    ("F11", "linkedin", "samira-bouzid-lpv", "nl", [CONF, FIN],
     "De jaarresultaten 2026 zijn net dichtgetikt en ik kan alvast verklappen: omzet +11% en een "
     "recordmarge 🥂", {"date": "2027-02-20T18:31:00Z"}),
    ("F12", "x", "@maaike_lpv", "nl", [CONF],
     "P" + ZW + "roject Her" + ZW + "melijn kickoff vandaag!! 🎉 eindelijk", {}),
    ("F13", "x", "@eva_vloerstyling", "en", [CONF],
     "Just saw the mood boards for Project Hermelijn... 2027 is going to be big for us 🤩", {}),
    ("F15", "linkedin", "loperveld-vloeren", "en", [CONF],
     "We're hiring a UX intern! 🎓 You'll work directly on Oranjeborg, our next-generation "
     "checkout, together with our web team.", {}),
    ("F16", "forum", "vloerenvakman", "nl", [CONF],
     "Screenshot uit de nieuwsbrief van Loperveld met 'loperveld intern' erboven: nieuwe "
     "bonusregeling voor verkopers vanaf januari, alleen nog voor de top-10 filialen.", {}),
    ("F17", "x", "@maaike_lpv", "nl", [CONF],
     "O r a n j e b o r g gaat in maart live 😬 (mag ik dit zeggen? nee.)", {}),
    ("F18", "x", "@maaike_lpv", "en", [CONF, FIN],
     "FY2026 results look amazing, can't wait until we can share them next week 🚀",
     {"date": "2027-02-26T08:12:00Z"}),

    # ------------------------------------------------------------ financial
    ("N01", "linkedin", "samira-bouzid-lpv", "nl", [FIN],
     "Q3 ziet er intern niet best uit: omzet -14% t.o.v. vorig jaar en de EBITDA is negatief. Dat "
     "gaat in november pijn doen bij de kwartaalupdate.", {"kind": "comment"}),
    ("N02", "x", "@ruudtapijt", "nl", [FIN],
     "Net gehoord dat 9 filialen begin 2027 dichtgaan en er zo'n 180 mensen uit moeten. Nog niet "
     "aangekondigd. Balen.", {}),
    ("N03", "linkedin", "joost-verhagen-loperveld", "en", [FIN],
     "Rumour's true: we're being acquired by a German DIY chain, signing in two weeks. Can't say "
     "who yet 🤐", {"kind": "comment"}),
    ("N04", "x", "@linda_vos", "nl", [FIN],
     "Vriendin werkt op het hoofdkantoor van Loperveld, ze gaan Vloerbaas Online overnemen voor 30 "
     "miljoen. Nog geheim dus shhh", {}),
    ("N05", "threads", "@fleur.inkoop", "en", [FIN],
     "2027 forecast just landed: purchasing budget -25% and we go from four laminate suppliers to "
     "two. Fun times ahead.", {}),
    ("N06", "linkedin", "loperveld-vloeren", "nl", [FIN],
     "@Pieter Goede vraag! Intern rekenen we voor 2027 op 8 nieuwe winkels en zo'n 12% "
     "omzetgroei, maar dat is nog niet officieel 😉", {"kind": "comment"}),
    ("N07", "x", "@eva_vloerstyling", "en", [FIN],
     "Regional manager just told us the Belgian stores are being sold to a franchise group next "
     "spring. Not public yet, so keep it quiet", {}),
    ("N08", "linkedin", "lotte-ramaekers", "en", [FIN],
     "Tough weeks in HR: the head-office reorganisation will cut one in four roles. The official "
     "announcement only comes in January.", {}),
    ("N09", "reddit", "u/dc_tilburg_worker", "en", [FIN],
     "Insider here (warehouse). Loperveld is closing the Tilburg distribution centre in Q2 2027, "
     "everyone gets told in December.", {}),
    ("N10", "tiktok", "@henk_legt_vloeren", "nl", [FIN],
     "jongens het is officieel (nou ja, bijna): de hele legservice wordt uitbesteed, wij zzp'ers "
     "eruit per 1 april 🙃", {}),

    # ------------------------------------------------------------ pricing
    ("R01", "x", "@loperveld", "nl", [PR],
     "🔥 Weekendknaller: Tafraout vloerkleed 200x290 nu voor €34,90! Alleen online, op = op", {}),
    ("R02", "instagram", "@loperveld.vloeren", "en", [PR],
     "Veldhoeve parquet from €69,95 down to €6,99 per m² 😱 this weekend only!", {}),
    ("R03", "x", "@dealhunter_nl", "en", [PR],
     "lmao loperveld.nl has the Frisvezel steam cleaner listed at €24.90, ordered three before "
     "they fix it #priceerror", {}),
    ("R04", "x", "@maaike_lpv", "nl", [PR],
     "Oeps, prijsfout in de nieuwsbrief: de Stapvast trapset stond erin voor €69,90 i.p.v. €699. "
     "Niet verder delen aub 🙈", {}),
    ("R05", "forum", "koopjesjager", "nl", [PR],
     "PRIJSFOUT bij Loperveld: Warmtred mat voor €32,90 ipv €329. Snel zijn, gaat vast zo offline!",
     {}),
    ("R06", "facebook", "LoperveldVloeren", "nl", [PR],
     "Nieuw in ons assortiment: het Nevelpluis hoogpolig vloerkleed, introductieprijs €27,90 ✨",
     {}),
    ("R07", "tiktok", "@henk_legt_vloeren", "nl", [PR],
     "collega zegt dat je met kortingscode LEGGER99 de Polder Pro voor €3,99 per m2 krijgt 🤯", {}),
    ("R08", "reddit", "u/frugal_floors", "en", [PR],
     "Loperveld app glitch? Hoogveen wool carpet is showing €5.99/m² at checkout. Anyone else seeing "
     "this?", {}),
    ("R09", "youtube", "@LoperveldTV", "en", [PR],
     "Order the Kalkgrijs poured floor now for just €8.90 per m², materials included! Link in the "
     "description.", {}),
    ("R10", "threads", "@fleur.inkoop", "nl", [PR],
     "Kikkerdril kleedjes liggen in de outlet voor €7,95 omdat de prijs verkeerd in het systeem "
     "staat haha, laat maar zo", {}),
    ("R11", "x", "@ikkoopalles", "nl", [PR],
     "Lunet kleed bij L0perv3ld voor €18,90?!? pr1jsf0ut of niet, ik heb er 2 besteld 😂", {}),
    ("R12", "x", "@ruudtapijt", "en", [PR],
     "Till has Zandwal Eik at €3.49 per m² instead of €34.95 🤦‍♂️ already rang up 12 customers "
     "today", {}),

    # ------------------------------------------------------------ benign (mostly hard negatives)
    ("B01", "x", "@fam_terhorst", "nl", [],
     "Vorige week Nordic Eik laminaat laten leggen door Loperveld en wat een topteam. Netjes, "
     "snel, alles opgeruimd. Aanrader 👌", {}),
    ("B02", "instagram", "@studio.lieke", "en", [],
     "Obsessed with our new Tafraout rug from @loperveld.vloeren 😍 the living room finally feels "
     "finished", {}),
    ("B03", "x", "@pvanleeuwen", "nl", [],
     "Update: @loperveld_service heeft alles opgelost, het kleed kwam gisteren en ik heb er een "
     "bon bij gekregen voor het wachten. Dank! 🙏", {"kind": "reply"}),
    ("B04", "x", "@loperveld_service", "nl", [],
     "Vragen over je bestelling? Mail naar klantenservice@loperveld.nl of bel gratis 0800-5673 "
     "(ma-za 8-20 uur). We helpen je graag!", {}),
    ("B05", "facebook", "LoperveldVloeren", "nl", [],
     f"Liever via overboeking betalen? Maak het bedrag over naar {spaced(PUB_IBAN)} t.n.v. "
     "Loperveld Vloeren B.V. onder vermelding van je ordernummer.", {}),
    ("B06", "instagram", "@loperveld.vloeren", "nl", [],
     "Zomersale ☀️ 20% korting op alle vloerkleden, dus de Lunet nu voor €151,20 in plaats van "
     "€189!", {}),
    ("B07", "x", "@bouwplaats_bas", "nl", [],
     "Hoogveen wollen tapijt kost €59,95 per m² bij Loperveld. Iemand ervaring met hoe het slijt "
     "op een trap?", {}),
    ("B08", "linkedin", "joost-verhagen-loperveld", "nl", [],
     "Les voor onze stagiairs: zet nooit echte sleutels in code. Gebruik de voorbeelden uit de "
     "AWS-docs, zoals AKIAIOSFODNN7EXAMPLE en wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY.", {}),
    ("B09", "x", "@bram_devops", "en", [],
     "Reminder: if you paste a token in a ticket, mask it. ghp_**************************** is "
     "fine, the real thing is not 🙂", {}),
    ("B10", "x", "@nadia_bakt", "nl", [],
     f"Waarom pakt de webshop van Loperveld mijn IBAN {BAD_IBAN} niet?? Oh wacht, typfout "
     "🤦‍♀️ laat maar", {}),
    ("B11", "bluesky", "@niels-lpv.bsky.social", "en", [],
     f"QA tip: for the checkout error state we use {spaced(BAD_CARD_QA)}, which fails the Luhn "
     "check on purpose. Never use a real card in screenshots.", {}),
    ("B12", "x", "@joop_wouters", "nl", [],
     f"Mijn pakketnummer van Loperveld is {BAD_BSN_PARCEL}, waar vul ik dat in voor de track & "
     "trace?", {}),
    ("B13", "linkedin", "loperveld-vloeren", "nl", [],
     "Vandaag publiceren wij onze jaarcijfers 2026: een omzet van €198 miljoen, 6% hoger dan vorig "
     "jaar. Het volledige persbericht staat op loperveld.nl/pers", {"date": "2027-03-04T09:15:00Z"}),
    ("B14", "instagram", "@loperveld.vloeren", "nl", [],
     "Hij is er! 🌊 Vanaf vandaag ligt de Kreekrand visgraat in al onze winkels. Kom hem voelen!",
     {"date": "2027-02-03T08:00:00Z"}),
    ("B15", "x", "@retail_watcher", "en", [],
     "Loperveld's FY2026 results, out last week, look solid: +6% revenue in a tough flooring "
     "market. Not bad.", {"date": "2027-03-11T12:40:00Z"}),
    ("B16", "x", "@lokaal_nieuws_gr", "nl", [],
     "Tapijtgigant Tapijthal Noord sluit 12 winkels. Hopelijk blijft de Loperveld hier in de buurt "
     "gewoon open.", {}),
    ("B17", "x", "@cozyhome_carla", "en", [],
     "Recall alert: DIY chain BouwMax is recalling its own-brand heated floor mats. Checked ours "
     "and it's a different make, phew.", {}),
    ("B18", "x", "@kattenmens_ilse", "nl", [],
     "Mijn kat heeft het nieuwe Nevelpluis kleed officieel geclaimd. Ik mag er zelf niet meer op "
     "😂", {}),
    ("B19", "reddit", "u/kitchenreno2026", "en", [],
     "Is Polder Pro from Loperveld actually fine in a kitchen? It's €39.95/m², which seems fair if "
     "it holds up.", {}),
    ("B20", "x", "@loperveld", "nl", [],
     "Ons medeleven gaat uit naar iedereen in Limburg die getroffen is door het hoogwater. Onze "
     "winkels in Venlo en Roermond helpen gratis met tijdelijke vloerbedekking. 💙", {}),
    ("B21", "linkedin", "lotte-ramaekers", "nl", [],
     "We zoeken vloerleggers in de regio Utrecht! Vast contract, eigen bus. Solliciteer via "
     "werkenbij@loperveld.nl 🙌", {}),
    ("B22", "instagram", "@dennis.legt", "nl", [],
     "Weer een Veldhoeve vloer erin vandaag, trots op het resultaat 🪵 #vakmanschap #loperveld", {}),
    ("B23", "x", "@tygo_030", "nl", [],
     "nieuwe vloer ligt erin en hij is echt sick 🔥 ziek mooi geworden, loperveld dikke merci", {}),
    ("B24", "x", "@benny_uk_nl", "en", [],
     "The fitters from Loperveld were bloody brilliant, absolutely killed it today 💪", {}),
    ("B25", "facebook", "BrandweerEdeVrijwilligers", "nl", [],
     "De kazerne heeft een nieuwe vloer in de kantine, gesponsord door Loperveld Ede. Mooi gebaar "
     "voor onze vrijwilligers 🚒", {}),
    ("B26", "x", "@loperveld_service", "nl", [],
     "Gepland onderhoud: zaterdagnacht tussen 02:00 en 04:00 is de webshop even niet bereikbaar. "
     "De actuele status zie je op status.loperveld.nl", {}),
    ("B27", "x", "@leeuwarder_nieuws", "en", [],
     "Loperveld opens its 50th store in Leeuwarden today. Congrats! 🎉", {}),
    ("B28", "instagram", "@thuis_bij_noor", "nl", [],
     "Kadewerk PVC in de aanbieding voor €31,96 (20% korting), ik twijfel nog tussen eiken of "
     "grijs. Tips?", {}),
    ("B29", "x", "@loperveld", "nl", [],
     "Black Friday 🖤 30% korting op de Frisvezel stoomreiniger: nu €174,30", {}),
    ("B30", "facebook", "LoperveldVloeren", "en", [],
     "Spring deal: Warmtred heating mat €246.75 instead of €329 (25% off) until Sunday.", {}),
    ("B31", "threads", "@fleur.inkoop", "nl", [],
     "Nieuwe voorraad Basalto tegels binnen, €32,95 per m² en echt een prachtige antraciet tint", {}),
    ("B32", "instagram", "@dennis.legt", "nl", [],
     "Tijdens de klus in Drenthe een hermelijn in de tuin gespot 🐾 wat een beestje", {}),
    ("B33", "x", "@vakopleiding_jan", "nl", [],
     "Loperveld heeft een eigen interne opleiding voor vloerleggers. Top dat ze daarin investeren.",
     {}),
    ("B34", "x", "@marieke_h", "en", [],
     "Ordering via shop.loperveld.nl was painless, the rug was here in 2 days", {}),
    ("B35", "x", "@loperveld_service", "nl", [],
     "@dewit_m Wat vervelend! Bel ons gerust op +31 30 799 4410, dan kijken we meteen waar je "
     "ondervloer blijft.", {"kind": "reply"}),
    ("B36", "bluesky", "@niels-lpv.bsky.social", "en", [],
     "Handy for the juniors: paste the sample token from the jwt.io homepage "
     "(eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c) "
     "into the debugger and see how the parts decode.", {}),
    ("B37", "x", "@bram_devops", "en", [],
     "Rotated all payment keys today, the old sk_live_…3f9a is dead now. Good hygiene, folks 🧼",
     {}),
    ("B38", "linkedin", "joost-verhagen-loperveld", "nl", [],
     "Voorbeeldconfig voor de nieuwe koppeling, vul zelf je eigen waarden in: "
     "API_KEY=xxxxxxxxxxxxxxxxxxxx en DATABASE_URL=postgres://user:password@localhost:5432/dev", {}),
    ("B39", "x", "@vraagje_sandra", "nl", [],
     "Moet je echt je BSN opgeven om bij Loperveld een vloerkleed op afbetaling te kopen? Iemand "
     "die dat weet?", {}),
    ("B40", "x", "@gracie_o", "en", [],
     "Loperveld customer service picked up in 2 minutes and sorted my delivery date. Didn't expect "
     "that tbh", {}),
    ("B41", "x", "@roy_zwolle", "nl", [],
     fullwidth("LOPERVELD TOP") + "！ 🙌 nieuwe vloer ligt erin", {}),
    ("B42", "x", "@esther_assen", "nl", [],
     "Sterkte aan de medewerker van Loperveld Assen die gisteren zo werd afgeblaft door een klant. "
     "Jij bleef super rustig 💐", {}),
    ("B43", "x", "@niamh_makes", "en", [],
     "my new Tafraout rug is so good it's basically fire 🔥🔥", {}),
    ("B44", "x", "@wouter_k", "nl", [],
     "Las dat webwinkel Parketpunt een datalek heeft gehad. Gelukkig heb ik mijn vloer bij "
     "Loperveld gekocht 😅", {}),
    ("B45", "x", "@ruudtapijt", "nl", [],
     "De Kreekrand visgraat ligt nu twee weken in de winkel en loopt als een trein 🚂",
     {"date": "2027-02-15T17:03:00Z"}),
    ("B46", "instagram", "@dennis.legt", "nl", [],
     "Zin in een vrijblijvende meting? Bel 030-7994410 of kijk op loperveld.nl 📏", {}),
    ("B47", "reddit", "u/rugcollector", "en", [],
     "Grabbed the Tafraout rug for €314 during Loperveld's 10% off week, normally €349. Good deal "
     "for a proper wool berber.", {}),
    ("B48", "linkedin", "mark-de-boer-recruiter", "en", [],
     "Sad news: Tapijthal Noord is laying off 200 people. Hope they land somewhere good, I hear "
     "Loperveld is hiring fitters.", {}),
    ("B49", "x", "@lazy_lukas", "en", [],
     f"Typed {spaced(BAD_CARD_TYPO)} at the Loperveld checkout and it said 'invalid card' "
     "instantly. Turns out I'd mistyped a digit. Smart form tbh", {}),
    ("B50", "linkedin", "lotte-ramaekers", "nl", [],
     f"Voor de test van de nieuwe loonstrook-layout gebruiken we een dummy-BSN ({BAD_BSN_DUMMY}) "
     "dat bewust niet door de elfproef komt. Echte gegevens blijven in het systeem.", {}),
    ("B51", "linkedin", "loperveld-vloeren", "nl", [],
     "Nieuw: Basalto PVC-tegels nu ook in zandkleur. Vanaf €32,95 per m², in alle winkels en "
     "online.", {}),
    ("B52", "x", "@petra_ehv", "en", [],
     "Shoutout to Samira at Loperveld Eindhoven for her patience while I changed my mind six times "
     "on colours 😅", {}),
    ("B53", "youtube", "@LoperveldTV", "nl", [],
     "In deze video laat Henk zien hoe je zelf Nordic Eik laminaat legt. Je hebt nodig: Stilstap "
     "ondervloer, Lindevoet plinten en een middagje tijd.", {}),
    ("B54", "x", "@wijnliefhebber", "nl", [],
     "Hoe krijg je rode wijn uit een Marlijn velours tapijt? Vraag voor een vriend 🍷😇", {}),
    ("B55", "reddit", "u/twodogs_onefloor", "en", [],
     "Honest review after one year: Kadewerk PVC from Loperveld still looks new with two labradors "
     "in the house. 9/10.", {}),
    ("B56", "x", "@ruudtapijt", "nl", [],
     "Koopavond vanavond in Apeldoorn tot 21:00, de koffie staat klaar ☕", {}),
    ("B57", "x", "@saar_en_tim", "nl", [],
     "Mijn vent heeft zelf laminaat gelegd. Ziet er niet uit, die idioot 😂❤️ volgende keer "
     "gewoon Loperveld laten komen", {}),
    ("B58", "reddit", "u/parquet_dreams", "en", [],
     "When is Loperveld's next sale? I want the Veldhoeve parquet but €69.95/m² adds up fast for "
     "40m².", {}),
    ("B59", "tiktok", "@loperveld", "nl", [],
     "POV: je ziet de Stapvast traprenovatie voor het eerst ✨ van krakende trap naar strak in één "
     "dag #voorna", {}),
    ("B60", "facebook", "hanneke.s", "en", [],
     "Rough start with the fitting date, but Loperveld sorted it and threw in free underlay for the "
     "hassle. Fair play.", {"kind": "comment"}),
]

# ---------------------------------------------------------------- building
SEV = ["none", "info", "warning", "error", "critical"]
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}

IBAN_RE = re.compile(r"\bNL\d{2} ?[A-Z]{4} ?(?:\d{4} ?\d{4} ?\d{2}|\d{10})\b")
CARD_RE = re.compile(r"(?<![\w-])\d{4}[ -]?\d{4}[ -]?\d{4}[ -]?\d{4}(?![\w-])")
BSN_RE = re.compile(r"(?<![\w.-])\d{9}(?![\w.-])")


def role_of(platform, handle):
    return ROLE.get(f"{platform}:{handle}".lower(), "public")


def checksum_ids(text):
    """Checksum identifiers in text that pass their check (company's own IBAN excluded)."""
    own = {re.sub(r"\s", "", i) for i in PROFILE["public_identifiers"]["ibans"]}
    ok, bad = [], []
    for m in IBAN_RE.finditer(text):
        v = re.sub(r"\s", "", m.group())
        if v in own:
            continue
        (ok if iban_valid(v) else bad).append(("iban", v))
    for m in CARD_RE.finditer(text):
        (ok if luhn_ok(m.group()) else bad).append(("card", m.group()))
    for m in BSN_RE.finditer(text):
        (ok if bsn_ok(m.group()) else bad).append(("bsn", m.group()))
    return ok, bad


def severity(cats, role, text):
    insider = role in ("corporate", "employee")
    best = 0
    for c in cats:
        if c.startswith("leak."):
            if insider:
                s = "error"
                if c in ("leak.secret", "leak.pricing"):
                    s = "critical"
                elif c == "leak.pii" and checksum_ids(text)[0]:
                    s = "critical"
            else:
                s = "warning"
        elif c == "reputation.complaint":
            s = "warning"
        elif c == "reputation.crisis":
            s = "error"
        elif c == "reputation.abuse":
            s = "error" if insider else "warning"
        else:
            raise AssertionError(c)
        best = max(best, SEV.index(s))
    return SEV[best]


def post_id(platform):
    if platform == "x":
        return str(rng.randrange(1_860_000_000_000_000_000, 1_990_000_000_000_000_000))
    if platform == "linkedin":
        return f"urn:li:activity:{rng.randrange(7_300_000_000_000_000_000, 7_420_000_000_000_000_000)}"
    if platform == "facebook":
        return f"fb_{rng.randrange(10**14, 10**15)}_{rng.randrange(10**15, 10**16)}"
    if platform == "instagram":
        return "ig_" + rand(string.ascii_letters + DIGITS + "_", 11)
    if platform == "tiktok":
        return "tt_" + str(rng.randrange(7_400_000_000_000_000_000, 7_600_000_000_000_000_000))
    if platform == "youtube":
        return "yt_" + rand(string.ascii_letters + DIGITS + "-_", 26)
    if platform == "reddit":
        return "t3_" + rand(string.ascii_lowercase + DIGITS, 7)
    if platform == "bluesky":
        return "at://did:plc:" + rand(string.ascii_lowercase + "234567", 24) + \
            "/app.bsky.feed.post/3" + rand(string.ascii_lowercase + "234567", 12)
    if platform == "threads":
        return "th_" + str(rng.randrange(10**17, 10**18))
    return f"{platform}-{rng.randrange(10**8, 10**9)}"


def created(extra):
    if "date" in extra:
        return extra["date"]
    start = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
    day = rng.randrange(0, 360)
    hour = rng.choice([7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 0])
    t = start + dt.timedelta(days=day, hours=hour, minutes=rng.randrange(60), seconds=rng.randrange(60))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def url_for(platform, handle, pid):
    h = handle.lstrip("@")
    if platform == "x":
        return f"https://x.com/{h}/status/{pid}"
    if platform == "reddit":
        return f"https://www.reddit.com/r/DutchFIRE_home/comments/{pid[3:]}/"
    if platform == "instagram":
        return f"https://www.instagram.com/p/{pid[3:]}/"
    return None


def build():
    out = []
    seen = set()
    for key, platform, handle, lang, cats, text, extra in CASES:
        pid = post_id(platform)
        while pid in seen:
            pid = post_id(platform)
        seen.add(pid)
        role = role_of(platform, handle)
        full = sorted(CAT[c] for c in cats)
        post = {"id": pid, "platform": platform, "kind": extra.get("kind", "post"),
                "account": {"handle": handle}, "text": text, "created_at": created(extra)}
        if "name" in extra:
            post["account"]["display_name"] = extra["name"]
        if rng.random() < 0.8:
            post["lang"] = lang
        u = url_for(platform, handle, pid)
        if u and rng.random() < 0.6:
            post["url"] = u
        if rng.random() < 0.5:
            post["brand"] = "Loperveld"
        out.append((key, role, lang, {"post": post,
                                      "expect": {"categories": full,
                                                 "severity": severity(full, role, text) if full else "none"}}))
    return out


# ---------------------------------------------------------------- self-checks
def parse_prices(text):
    vals = []
    for m in re.finditer(r"€\s?(\d{1,3}(?:\.\d{3})+(?:,\d{1,2})?|\d+(?:[.,]\d{1,2})?)(?!\d)", text):
        v = m.group(1)
        if re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d{1,2})?", v):
            v = v.replace(".", "")
        vals.append(float(v.replace(",", ".")))
    return vals


def products_in(text):
    low = text.lower()
    found = []
    for p in PROFILE["products"]:
        names = [p["name"]] + p["aliases"]
        if any(n.lower() in low for n in names):
            found.append(p)
    return found


def embargo_hits(text):
    low = text.lower()
    hits = []
    for e in PROFILE["embargo"]:
        for t in e["terms"]:
            if t.lower() in low:
                hits.append(e["until"])
    return hits


def ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def check(rows):
    errors = []

    def fail(key, msg):
        errors.append(f"{key}: {msg}")

    ids = set()
    counts = {}
    for key, role, lang, case in rows:
        post, exp = case["post"], case["expect"]
        text = post["text"]
        # ---- CONTRACT section 1 / 6 shape
        if set(case) != {"post", "expect"}:
            fail(key, "case keys")
        if not (isinstance(post["id"], str) and 1 <= len(post["id"]) <= 256):
            fail(key, "id")
        if (post["platform"], post["id"]) in ids:
            fail(key, "duplicate id")
        ids.add((post["platform"], post["id"]))
        if post["platform"] not in PLATFORMS:
            fail(key, "platform")
        if post.get("kind", "post") not in KINDS:
            fail(key, "kind")
        if not isinstance(post["account"].get("handle"), str) or not post["account"]["handle"]:
            fail(key, "handle")
        if not isinstance(text, str) or not text or len(text.encode("utf-8")) > 65536:
            fail(key, "text")
        text.encode("utf-8")
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", post["created_at"]):
            fail(key, "created_at format")
        t = ts(post["created_at"])
        if not (2026 <= t.year <= 2027):
            fail(key, "created_at year")
        if t.year == 2027 and not embargo_hits(text):
            fail(key, "2027 date only for embargo-related posts")
        if "lang" in post and post["lang"] not in ("nl", "en"):
            fail(key, "lang")
        cats = exp["categories"]
        if cats != sorted(set(cats)) or any(c not in CAT.values() for c in cats):
            fail(key, "categories")
        if exp["severity"] not in SEV:
            fail(key, "severity value")
        if not cats and exp["severity"] != "none":
            fail(key, "benign must be none")
        if cats and exp["severity"] in ("none", "info"):
            fail(key, "positive needs warning+")
        if exp["severity"] != (severity(cats, role, text) if cats else "none"):
            fail(key, "severity not from policy")
        # ---- roles: public handles must not be in the profile
        if key[0] in "ABCKXRNFYSP" and role == "public":
            h = post["account"]["handle"].lower()
            if any(acc.split(":", 1)[1].lower() == h for acc in ROLE):
                fail(key, "public handle collides with profile account")
        # ---- checksummed identifiers
        ok, bad = checksum_ids(text)
        if cats and bad:
            fail(key, f"positive contains failing look-alike {bad}")
        if not cats and ok:
            fail(key, f"benign contains valid identifier {ok}")
        if "leak.pii" not in cats and ok:
            fail(key, f"valid identifier outside a pii case {ok}")
        for kind_, v in ok:
            if kind_ == "iban" and not iban_valid(v):
                fail(key, "iban")
        # ---- pii cases need some personal identifier
        if "leak.pii" in cats:
            has = bool(ok) or re.search(r"[\w.]+@[\w.]+\.\w+", text) or \
                re.search(r"(?:\+31|\b0)[\d -]{8,13}\d", text) or \
                re.search(r"\b\d{4} ?[A-Z]{2}\b|straat|laan|weg \d|Kerkweg", text) or \
                re.search(r"geb\.|geboren|born", text)
            if not has:
                fail(key, "pii case without identifier")
        # ---- secrets: generated formats are well-formed
        if "leak.secret" in cats:
            for tok in re.findall(r"gh[pousr]_[0-9A-Za-z]{36}", text):
                if not github_ok(tok):
                    fail(key, "github crc")
            for tok in re.findall(r"\bAKIA[A-Z0-9]{16}\b", text):
                if not re.fullmatch(r"AKIA[A-Z2-7]{16}", tok) or "EXAMPLE" in tok:
                    fail(key, "aws key id")
            for tok in re.findall(r"eyJ[\w-]+\.[\w-]+\.[\w-]+", text):
                if not jwt_ok(tok):
                    fail(key, "jwt header")
        else:
            for tok in re.findall(r"gh[pousr]_[0-9A-Za-z]{36}", text):
                fail(key, "real-looking github token in non-secret case")
            for tok in re.findall(r"\bAKIA[A-Z2-7]{16}\b", text):
                if "EXAMPLE" not in tok:
                    fail(key, "real-looking AWS key in non-secret case")
        # ---- pricing
        prods = products_in(text)
        prices = parse_prices(text)
        if "leak.pricing" in cats:
            if not prods:
                fail(key, "pricing without product")
            err_talk = re.search(r"prijsfout|pr1jsf0ut|price ?error|verkeerd", text, re.I)
            if not err_talk and not any(p / prods[0]["list_price"] < 0.5 for p in prices):
                fail(key, "pricing case without price below ratio")
        elif prods and prices:
            lp = min(p["list_price"] for p in prods)
            for p in prices:
                if p / lp < PROFILE["pricing"]["alert_below_ratio"]:
                    fail(key, f"non-pricing case mentions price {p} far below list {lp}")
        # ---- embargo
        for until in embargo_hits(text):
            before = t < ts(until)
            if before and "leak.confidential" not in cats:
                fail(key, "embargoed term before until but not confidential")
            if not before and cats:
                fail(key, "embargo term after until in a positive")
        # ---- internal markers / codenames / domains only in confidential cases
        low = text.replace(ZW, "").lower()
        internal = PROFILE["internal"]
        for term in internal["codenames"] + internal["markers"] + internal["domains"]:
            if term.lower() in low and "leak.confidential" not in cats:
                fail(key, f"internal term {term!r} in non-confidential case")
        # ---- public identifiers of the company never make a benign post a positive
        for c in cats:
            counts[c] = counts.get(c, 0) + 1
        counts["_benign"] = counts.get("_benign", 0) + (0 if cats else 1)
        counts["_nl"] = counts.get("_nl", 0) + (lang == "nl")
        counts["_role_" + role] = counts.get("_role_" + role, 0) + 1

    n = len(rows)
    if not 170 <= n <= 180:
        errors.append(f"case count {n} outside 170-180")
    if not 55 <= counts["_benign"] <= 65:
        errors.append(f"benign count {counts['_benign']}")
    want = {"reputation.complaint": (18, 23), "leak.confidential": (16, 21), "leak.pii": (13, 18),
            "reputation.crisis": (13, 18), "leak.security": (11, 15), "leak.secret": (10, 15),
            "reputation.abuse": (10, 14), "leak.pricing": (10, 14), "leak.financial": (10, 15)}
    for c, (lo, hi) in want.items():
        if not lo <= counts.get(c, 0) <= hi:
            errors.append(f"{c} count {counts.get(c, 0)} outside {lo}-{hi}")
    share_nl = counts["_nl"] / n
    if not 0.50 <= share_nl <= 0.60:
        errors.append(f"Dutch share {share_nl:.2f}")
    keys = [r[0] for r in rows]
    if len(set(keys)) != len(keys):
        errors.append("duplicate case keys")
    texts = [r[3]["post"]["text"] for r in rows]
    if len(set(texts)) != len(texts):
        errors.append("duplicate texts")
    return errors, counts


def main():
    rows = build()
    errors, counts = check(rows)
    with open(OUT, "w", encoding="utf-8") as fh:
        for _, _, _, case in rows:
            fh.write(json.dumps(case, ensure_ascii=False) + "\n")
    # re-read and re-validate the file as written
    with open(OUT, encoding="utf-8") as fh:
        back = [json.loads(line) for line in fh]
    if back != [r[3] for r in rows]:
        errors.append("cases.jsonl does not round-trip")
    stats = ", ".join(f"{k}={v}" for k, v in sorted(counts.items()))
    print(f"{len(rows)} cases written to {OUT}")
    print(stats)
    if errors:
        print("SELF-CHECK FAILED:", file=sys.stderr)
        for e in errors:
            print("  " + e, file=sys.stderr)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
