#!/usr/bin/env python3
"""Writes cases.jsonl (labelled evaluation set sealed223) beside this script and
self-checks it. Deterministic: fixed seed, standard library plus PyYAML.

Company: Varenveld Tuincentra B.V. (fictional garden-centre chain with the
Stekbus plant delivery service), see profile.yaml.
Severities are computed from CONTRACT section 4 and the account role in the
profile; they are never typed by hand.
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
from datetime import datetime, timezone

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))
rng = random.Random(223)

ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase  # 0-9A-Za-z
URLSAFE = ALNUM + "-_"

# ----------------------------------------------------------------------------
# identifier generators and validators
# ----------------------------------------------------------------------------

def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    n = int("".join(str(int(ch, 36)) for ch in r))
    return n % 97 == 1


def make_iban(bank):
    acct = "".join(rng.choice(string.digits) for _ in range(10))
    bban = bank + acct
    n = int("".join(str(int(ch, 36)) for ch in bban + "NL00"))
    return "NL%02d%s" % (98 - n % 97, bban)


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


def make_card(prefix, length=16):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for c in string.digits:
        if luhn_ok(body + c):
            return body + c
    raise AssertionError


def bsn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    if len(d) != 9:
        return False
    s = sum(x * w for x, w in zip(d[:8], range(9, 1, -1))) - d[8]
    return s % 11 == 0


def make_bsn():
    while True:
        d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        last = sum(x * w for x, w in zip(d, range(9, 1, -1))) % 11
        if last < 10:
            s = "".join(map(str, d + [last]))
            assert bsn_ok(s)
            return s


def bump_last_digit(s):
    """A look-alike: same shape, last digit changed, so the checksum fails."""
    i = max(i for i, c in enumerate(s) if c.isdigit())
    return s[:i] + str((int(s[i]) + 1) % 10) + s[i + 1:]


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def b62(n, width=6):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def gh_token(prefix="ghp_"):
    body = "".join(rng.choice(ALNUM) for _ in range(30))
    return prefix + body + b62(zlib.crc32(body.encode()))


def gh_token_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())) == m.group(2)


def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt(payload):
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64url(bytes(rng.getrandbits(8) for _ in range(32)))
    return "%s.%s.%s" % (head, body, sig)


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    try:
        h = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except Exception:
        return False
    return isinstance(h, dict) and "alg" in h


def make_openssh_key():
    raw = b"openssh-key-v1\x00" + bytes(rng.getrandbits(8) for _ in range(370))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


# ---- personal identifiers used in positives (all pass their checksum) -------
IBAN_REFUND = make_iban("INGB")        # customer refund IBAN, posted by corporate
IBAN_SUPPLIER = make_iban("ABNA")      # sole trader's IBAN, posted by employee
IBAN_CUSTOMER = make_iban("SNSB")      # customer's own IBAN, public post
CARD_TILL = make_card("4")             # Visa read out at the till, employee post
CARD_OWN = make_card("54")             # Mastercard, customer's own, public post
BSN_COLLEAGUE = make_bsn()             # employee post in the channel
BSN_OWN = make_bsn()                   # applicant's own, public post

# ---- look-alikes used in negatives (all fail their checksum) ---------------
FAKE_IBAN = bump_last_digit(make_iban("INGB"))
FAKE_ORDER_CARD = bump_last_digit(make_card("4929"))
FAKE_GIFT_CARD = bump_last_digit(make_card("6034"))
FAKE_BSN = bump_last_digit(make_bsn())
PUBLIC_IBAN = PROFILE["public_identifiers"]["ibans"][0]

# ---- secrets used in positives ---------------------------------------------
GH_TOKEN = gh_token("ghp_")
GH_TOKEN_ACTIONS = gh_token("ghs_")
AWS_ID = "AKIA" + rand(string.ascii_uppercase + "234567", 16)
AWS_SECRET = rand(ALNUM + "/+", 40)
STRIPE_KEY = "sk_live_51" + rand(ALNUM, 97)
SLACK_TOKEN = "xoxb-%s-%s-%s" % (rand(string.digits, 12), rand(string.digits, 13), rand(ALNUM, 24))
OPENAI_KEY = "sk-proj-" + rand(URLSAFE, 74) + "T3BlbkFJ" + rand(URLSAFE, 74)
ANTHROPIC_KEY = "sk-ant-api03-" + rand(URLSAFE, 93) + "AA"
GOOGLE_KEY = "AIza" + rand(URLSAFE, 35)
GITLAB_TOKEN = "glpat-" + rand(URLSAFE, 20)
MOLLIE_KEY = "live_" + rand(ALNUM, 30)
DB_PASSWORD = rand(ALNUM, 9) + "!" + rand(string.digits, 2)
DB_URL = "postgres://stekbus_app:%s@db01.wms.stekbus.internal:5432/orders" % DB_PASSWORD
JWT = make_jwt({"sub": "driver-4412", "role": "dispatch_admin", "iss": "stekbus-api",
                "iat": 1772604000, "exp": 1772690400})
SSH_KEY = make_openssh_key()
KASSA_PW = "Tulpenbol!" + rand(string.digits, 4)

# ----------------------------------------------------------------------------
# roles and severity (CONTRACT section 4)
# ----------------------------------------------------------------------------
ROLES = {}
for role in ("corporate", "employee"):
    for entry in PROFILE["accounts"][role]:
        ROLES[entry.lower()] = role


def role_of(platform, handle):
    return ROLES.get(("%s:%s" % (platform, handle)).lower(), "public")


ORDER = ["none", "info", "warning", "error", "critical"]
PUBLIC_DIGITS = {re.sub(r"\s", "", x).upper() for x in PROFILE["public_identifiers"]["ibans"]}


def strip_secrets(text, secrets):
    for s in secrets:
        text = text.replace(s, " ")
    return text


IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\d])(?:\d[ -]?){12,18}\d(?![\d])")
BSN_RE = re.compile(r"(?<![\d])(?:\d{9}|\d{3}[ .]\d{3}[ .]\d{3}|\d{4}\.\d{2}\.\d{3})(?![\d])")


def checksum_ids(text):
    """Identifiers in text that pass their checksum (IBAN, card, BSN), the
    company's own published IBAN excluded."""
    found = []
    for m in IBAN_RE.finditer(text):
        v = m.group(0).replace(" ", "")
        if iban_ok(v) and v not in PUBLIC_DIGITS:
            found.append(("iban", v))
    for m in CARD_RE.finditer(text):
        v = re.sub(r"\D", "", m.group(0))
        if 13 <= len(v) <= 19 and luhn_ok(v):
            found.append(("card", v))
    for m in BSN_RE.finditer(text):
        v = re.sub(r"\D", "", m.group(0))
        if bsn_ok(v):
            found.append(("bsn", v))
    return found


def severity(cats, role, text, secrets):
    lv = ["none"]
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                s = "error"
                if c in ("leak.secret", "leak.pricing"):
                    s = "critical"
                if c == "leak.pii" and checksum_ids(strip_secrets(text, secrets)):
                    s = "critical"
            else:
                s = "warning"
        elif c == "reputation.complaint":
            s = "warning"
        elif c == "reputation.crisis":
            s = "error"
        elif c == "reputation.abuse":
            s = "warning" if role == "public" else "error"
        else:
            raise AssertionError(c)
        lv.append(s)
    return max(lv, key=ORDER.index)


# ----------------------------------------------------------------------------
# cases
# ----------------------------------------------------------------------------
SHORT = {"complaint": "reputation.complaint", "crisis": "reputation.crisis",
         "abuse": "reputation.abuse", "secret": "leak.secret", "pii": "leak.pii",
         "pricing": "leak.pricing", "confidential": "leak.confidential",
         "financial": "leak.financial", "security": "leak.security"}
CASES = []
USED_IDS = set()
PREFIX = {"x": "x", "instagram": "ig", "facebook": "fb", "linkedin": "li", "tiktok": "tt",
          "youtube": "yt", "reddit": "rd", "mastodon": "md", "bluesky": "bs",
          "threads": "th", "forum": "fo", "blog": "bl"}


def stamp(when):
    d = datetime.strptime(when, "%Y-%m-%d %H:%M")
    off = "+02:00" if 4 <= d.month <= 10 else "+01:00"
    return d.strftime("%Y-%m-%dT%H:%M:00") + off


def add(who, platform, handle, lang, when, text, cats="", kind="post", **meta):
    assert role_of(platform, handle) == who, (handle, who)
    while True:
        pid = "%s-%d" % (PREFIX[platform], rng.randint(10 ** 9, 10 ** 10 - 1))
        if pid not in USED_IDS:
            USED_IDS.add(pid)
            break
    cats = sorted(SHORT[c] for c in cats.split()) if cats else []
    CASES.append({"post": {"id": pid, "platform": platform, "kind": kind,
                           "account": {"handle": handle}, "text": text, "lang": lang,
                           "created_at": stamp(when)},
                  "cats": cats, "meta": meta})


def corp(*a, **k):
    add("corporate", *a, **k)


def emp(*a, **k):
    add("employee", *a, **k)


def pub(*a, **k):
    add("public", *a, **k)


# ============================ complaints =====================================
pub("x", "@plantenmoeder83", "nl", "2026-03-21 09:14",
    "@stekbus_nl mijn Monstera XL kwam vanochtend aan met de helft van de bladeren geknakt en de pot in 3 stukken. "
    "Doos stond ook nog 2 uur in de regen bij de buren. Hoe gaan jullie dit oplossen?", "complaint", kind="reply")
pub("reddit", "u/ferngully_frank", "en", "2026-05-19 22:40",
    "PSA: ordered a Strelitzia 180 through Varenveld's delivery thing (Stekbus) on the 3rd. It's now the 19th. "
    "Tracking has said 'onderweg' for 11 days and support just sends copy-paste replies. "
    "Has anyone actually gotten a refund out of these people?", "complaint")
pub("facebook", "Ans.Hofstede.77", "nl", "2026-04-11 16:02",
    "Zaterdag bij Varenveld Amersfoort 25 min in de rij gestaan bij de kassa, 2 van de 8 kassa's open. "
    "Ondertussen stonden er drie medewerkers gezellig te kletsen bij de koffieautomaat. Nooit weer.", "complaint")
pub("x", "@jeroen_fietst", "nl", "2026-06-30 12:47",
    "@varenveld_help al 3 weken wachten op m'n geld voor die retour gestuurde Veldloper. "
    "'Het is in behandeling' hoor ik elke keer. beetje jammer zo", "complaint", kind="reply")
pub("instagram", "@greenthumb_liv", "en", "2026-02-08 19:33",
    "the Ficus Lyrata I got from @varenveld.tuin is literally crawling with thrips 😩 quarantined it but it "
    "already jumped to my calathea. I checked every leaf before buying too. not impressed", "complaint", kind="comment")
pub("x", "@kees_uit_zwolle", "en", "2026-09-02 08:05",
    "Trying to cancel Stekbus is a maze. No cancel button anywhere, emails go unanswered, and meanwhile "
    "another €34,95 just left my account. #stekbus #customerservicefail", "complaint")
pub("tiktok", "@sanne.tuiniert", "nl", "2026-05-03 20:11",
    "bestelde een olijfboom 150 cm en er kwam een sprietje van nog geen meter 😭😭 "
    "de foto's op de site zijn echt misleidend @stekbus", "complaint", kind="comment")
pub("x", "@mo_bouwt", "en", "2026-07-14 18:26",
    "Bought a Gloei 57 bbq at Varenveld in April, the lid hinge snapped off in June. Store says it's "
    "'wear and tear'. On a €279 grill. Two months. Come on.", "complaint")
pub("forum", "hosta_henk", "en", "2026-04-27 21:50",
    "Anyone else getting fungus gnats from the Varenveld potgrond 40L? Bought 3 bags and now my whole "
    "windowsill is swarming. The bag already smelled musty when I opened it.", "complaint")
pub("x", "@fleur_bloemt", "nl", "2026-10-06 14:18",
    "@varenveld_help Bezorger heeft de plantenbox gewoon over het hek gegooid. Letterlijk gegooid, ik zag het "
    "op de deurbelcamera. Alles kapot, aarde over de hele oprit.", "complaint", kind="reply")
pub("instagram", "@tuinkabouter_ans", "en", "2026-11-17 10:41",
    "Varenveld customer service is simply unreachable. 45 min on hold at 0800-8273 and then the line just "
    "drops. Seriously??", "complaint")
pub("mastodon", "@lottevanes@mastodon.social", "en", "2026-03-12 15:09",
    "Ordered 12 bulb mixes through Stekbus for our school garden, got 7, and half of them the wrong colour. "
    "Emailed twice, nothing back. Disappointing from a company that keeps posting about 'community'.", "complaint")
pub("x", "@bramdeboer", "nl", "2026-08-22 17:55",
    "@varenveld stelletje prutsers. 4e keer dat jullie de verkeerde plant sturen. "
    "Zijn jullie daar allemaal achterlijk of zo??", "complaint abuse", kind="reply")
pub("x", "@nightowlnadia", "en", "2026-09-29 07:12",
    "@stekbus_nl your delivery guys are absolute clowns. Left my new maple face down in a puddle by the bins. "
    "fucking useless the lot of you", "complaint abuse", kind="reply")
pub("youtube", "@GardenGuyDan", "en", "2026-06-09 21:03",
    "Bought the Tuinkas Bolder after this video. Two glass panels missing from the box and customer service "
    "says 4-6 weeks for spare parts. So now I have half a greenhouse in my garden all summer. Great.",
    "complaint", kind="comment")
pub("reddit", "u/hollandse_hosta", "nl", "2026-07-21 23:16",
    "Lol nee, Varenveld is niks meer sinds die Stekbus-bezorging. Planten staan dagen in dozen in een loods "
    "en komen half verdroogd aan. Mijn laatste 2 orchideeën waren binnen een week dood.", "complaint", kind="comment")
pub("x", "@pietjepuk_hgl", "nl", "2026-05-26 11:30",
    "@varenveld_help ik word maar niet teruggebeld. Bel me nou gewoon even op 06-41873029, bestelling 7730-2241, "
    "gaat om de loungeset die na 5 weken nog steeds niet geleverd is", "complaint pii", kind="reply")
pub("x", "@sarah_k_nl", "en", "2026-12-03 13:52",
    "@stekbus_nl Third email now and still nothing. You can reach me on sarah.kuipers84@gmail.com or "
    "+31 6 2914 7783. The box arrived EMPTY. Just packing paper.", "complaint pii", kind="reply")

# ============================ abuse ==========================================
pub("x", "@dennis_xl010", "nl", "2026-08-01 01:17",
    "@varenveld jullie zijn echt een kankerbedrijf. rot toch op met jullie 'duurzame' kletspraat", "abuse", kind="reply")
pub("x", "@throwaway_9981", "en", "2026-04-19 15:44",
    "imagine working at Varenveld and being this thick 🤡 every single person in the Utrecht store is a braindead muppet",
    "abuse")
emp("x", "@dirkjan_kweekt", "nl", "2026-06-13 18:20",
    "Weer zo'n zeurwijf aan de balie die haar dooie cactus terug wilde na 8 maanden. Mens, jij bent de "
    "plantenmoordenaar, niet wij 🙄 idioot", "abuse")
pub("tiktok", "@x_bossie_x", "nl", "2026-10-24 22:58",
    "v4r3nv3ld is 1 gr0t3 k4nk3rz00i, st3lletj3 0pl1cht3rs 🤮", "abuse", kind="comment", evasion="leetspeak")
pub("x", "@plant_punk", "en", "2026-02-16 20:37",
    "@varenveld_help whoever runs this account is a useless piece of s h i t. answer your DMs, it's been 9 days",
    "abuse complaint", kind="reply", evasion="split letters")
pub("facebook", "Gert.Hoorn.1961", "nl", "2026-07-04 09:26",
    "Bij Varenveld Almere alleen nog maar hoofddoekjes achter de kassa tegenwoordig. Moeten wij daar nog "
    "onze tuinspullen halen? Mooi niet. Ga terug naar je eigen land.", "abuse", kind="comment")
pub("x", "@wraakengel_tuin", "nl", "2026-09-11 23:41",
    "@marloes_vv ik weet in welke vestiging jij werkt en ik zie je zaterdag wel. "
    "kijk maar goed achterom kutwijf", "abuse", kind="reply")
emp("bluesky", "@ruudwinter.bsky.social", "en", "2026-05-31 19:08",
    "Some customers are genuinely the dumbest creatures on earth. Today a guy screamed at me because his "
    "PLASTIC plant 'died'. Moron.", "abuse")
pub("reddit", "u/angrygardener77", "en", "2026-11-02 12:15",
    "Varenveld management are a bunch of greedy bastards. Greenhouse staff on peanuts while the directors "
    "lease another Tesla each. Scumbags, all of them.", "abuse", kind="comment")
pub("instagram", "@tim.b.ams", "nl", "2026-03-28 16:49",
    "@varenveld.tuin wat een t\u200byfus\u200bbedrijf zijn jullie ook, stelletje klootz\u200baken",
    "abuse", kind="comment", evasion="zero-width")

# ============================ crisis =========================================
pub("x", "@bezorgdemoeder_nl", "nl", "2026-04-08 21:22",
    "Onze kat is dood na het eten van een lelie uit de Stekbus plantenbox. NERGENS stond dat die giftig is voor "
    "katten. @stekbus_nl jullie sturen dit gewoon naar gezinnen met huisdieren?! Iedereen moet dit weten. "
    "#stekbus #giftig", "crisis complaint")
pub("x", "@GreenWatchNL", "en", "2026-05-14 08:00",
    "New lab results: ornamental plants bought at 6 Varenveld garden centres contained residues of 4 banned "
    "neonicotinoids. With 'bee-friendly' labels on the pots. Shameful. #boycottvarenveld", "crisis")
pub("facebook", "ActiegroepVeenvrij", "nl", "2026-03-02 10:30",
    "Varenveld blijft potgrond vol veen verkopen terwijl ze overal 'groen' roepen. Wij roepen op: koop NIETS "
    "meer bij Varenveld tot ze ermee stoppen. Deel dit bericht! #boycotVarenveld", "crisis")
pub("x", "@omroep_oost_live", "nl", "2026-08-17 14:36",
    "Grote brand bij tuincentrum Varenveld in Apeldoorn, de rookwolk is tot ver in de omgeving te zien. "
    "Brandweer schaalt op, omwonenden moeten ramen en deuren sluiten.", "crisis")
pub("reddit", "u/dataprivacy_nerd", "en", "2026-10-13 17:05",
    "Pretty sure Varenveld/Stekbus got breached. Got a phishing mail quoting my exact order (bonsai, delivery "
    "slot, street name) two days after ordering. Anyone else? They're not saying a word.", "crisis")
pub("x", "@bond_groenwerk", "nl", "2026-06-24 11:00",
    "Uitzendkrachten in de kassen van Varenveld werken 60 uur per week voor minder dan het minimumloon. "
    "Wij stappen naar de rechter. #uitbuiting #varenveld", "crisis")
pub("x", "@veiligthuis_nl", "nl", "2026-11-20 09:15",
    "TERUGROEPACTIE ⚠️ De Terrashaard Vonk van Varenveld kan bij gebruik koolmonoxide lekken. Gebruik het "
    "apparaat niet meer en breng het terug naar de winkel.", "crisis")
pub("tiktok", "@jess.films.plants", "en", "2026-05-09 17:48",
    "a whole shelf of terracotta pots collapsed right next to my 4yo at Varenveld Haarlem today. missed her "
    "by like 20cm. how is this even allowed??", "crisis")
pub("instagram", "@tuinjournaal_blog", "nl", "2026-09-18 07:30",
    "Rechtszaak tegen Varenveld: oud-franchisenemers eisen €4 miljoen schadevergoeding wegens 'wurgcontracten'. "
    "De zaak dient volgende maand in Utrecht.", "crisis")
pub("x", "@invasive_watch", "en", "2026-07-02 13:13",
    "Varenveld is STILL selling Japanese knotweed labelled as 'decorative bamboo'. Reported it in March. "
    "This is an invasive species, banned from sale in the EU. Scandalous.", "crisis")
pub("x", "@dorpsstraat_hgv", "nl", "2026-08-05 16:22",
    "Bestelbus van Stekbus met 80 over de stoep door de Dorpsstraat, 2 kinderen moesten opzij springen. "
    "Kenteken + filmpje naar de politie. Levensgevaarlijk!", "crisis")
pub("forum", "Kwekerij_watcher", "en", "2026-12-09 20:04",
    "I think Varenveld has had a data leak. The address I only ever used for Stekbus has been getting spam "
    "since last week with my own order history in it. Anyone else seeing this?", "crisis")
pub("x", "@boze_buurman", "nl", "2026-06-03 19:40",
    "Die tyfuslijers van Varenveld dumpen hun kasafval gewoon in de sloot achter het tuincentrum in Zeist. "
    "Vergiftigen de hele boel. Boycot die hufters!", "crisis abuse")
pub("linkedin", "annemarie-peters-journalist", "nl", "2026-10-30 06:45",
    "Onthulling: Varenveld verkocht 'biologische' kruiden die gewoon gangbaar geteeld bleken. Het bedrijf wist "
    "het al sinds januari. Het hele stuk staat zaterdag in de krant.", "crisis")
pub("threads", "@petparent_lou", "en", "2026-04-22 12:58",
    "PSA to cat owners: Stekbus sent me a 'pet-safe' box with a Dieffenbachia in it. Vet bill €600 and they "
    "keep ignoring my emails. Do not trust their labels.", "crisis complaint")

# ============================ confidential ===================================
emp("x", "@marloes_vv", "en", "2026-02-19 17:31",
    "Just sat through the Project Heidebloem presentation. If this goes ahead it's the biggest change at "
    "Varenveld in 20 years 🌱🤫", "confidential")
emp("linkedin", "noor-hendriks-vv", "en", "2026-03-06 09:12",
    "Proud of this team! Months of work on Nachtvlinder are finally coming together. Can't say much yet, but "
    "our customers are going to love the new in-store experience. #teamwork #retail", "confidential")
emp("instagram", "@kevin.in.de.kas", "en", "2026-11-24 15:02",
    "sneak peek 👀 first Stekbus Jungle+ boxes are stacked up in the warehouse already. not supposed to say "
    "anything but they look sooo good", "confidential")
emp("x", "@evavink_stek", "en", "2026-07-08 10:44",
    "for everyone asking about the new delivery routes, it's all on "
    "https://confluence.intra.varenveld.nl/display/LOG/Q3-routes - just log in with your normal account",
    "confidential", kind="reply")
emp("linkedin", "bas-oosterhuis-it", "nl", "2026-09-25 18:10",
    "Mooie mijlpaal: vandaag de migratie van wms.stekbus.internal naar het nieuwe cluster afgerond zonder "
    "downtime 💪 Dank aan het hele infrateam!", "confidential")
corp("x", "@varenveld", "nl", "2026-01-27 14:05",
    "STRIKT INTERN - concept persbericht opening vestiging Leiden, nog niet publiceren tot akkoord directie. "
    "Quote CEO volgt.", "confidential")
emp("tiktok", "@yusuf.plantjes", "nl", "2026-04-15 21:19",
    "wie raadt wat ｐｒｏｊｅｃｔ ｈｅｉｄｅｂｌｏｅｍ is krijgt een gratis cactus 🌵😂 (mag ik eigenlijk niet zeggen)",
    "confidential", evasion="full-width")
emp("x", "@dirkjan_kweekt", "nl", "2026-02-03 07:58",
    "N\u0430chtvlinder gaat in april live in de eerste 5 vestigingen, alle kassa's worden vervangen. "
    "Eindelijk weg met die ouwe bakken", "confidential", evasion="cyrillic")
emp("bluesky", "@ruudwinter.bsky.social", "en", "2026-08-27 20:26",
    "can't wait for W.i.l.g.e.n.r.o.o.s to be announced, finally some good news internally",
    "confidential", evasion="dotted")
pub("reddit", "u/ex_vv_employee", "en", "2026-05-02 02:11",
    "Ex-Varenveld here. The 'Heidebloem' thing people keep whispering about is a full self-checkout rollout. "
    "Every slide of the rollout deck said 'Varenveld Confidential' in the footer.", "confidential", kind="comment")
corp("x", "@stekbus_nl", "nl", "2026-12-15 12:00",
    "Binnenkort: Stekbus Jungle+ 🌿 Meer planten, meer jungle. Houd je inbox in de gaten!", "confidential")
emp("linkedin", "noor-hendriks-vv", "nl", "2026-10-08 16:35",
    "Vanmiddag de eerste proefzakken gezien van onze nieuwe eigen lijn biologische potgrond 'Wortelkracht'. "
    "Lancering pas volgend voorjaar, dus verder zeg ik niks 😉", "confidential")
pub("facebook", "Gerda.vanDijk.5", "nl", "2026-06-18 20:52",
    "Mijn zoon werkt bij Varenveld en die vertelde dat Nachtvlinder gewoon betekent dat alle winkels verbouwd "
    "worden en de helft van de kassières eruit moet. Schandalig als het klopt.", "confidential financial",
    kind="comment")
emp("x", "@evavink_stek", "nl", "2027-02-20 22:03",
    "Jaarcijfers 2026 zijn binnen: omzet +9% en Stekbus eindelijk winstgevend. Champagne vanavond 🥂",
    "confidential financial")
emp("linkedin", "bas-oosterhuis-it", "en", "2027-02-25 08:40",
    "FY2026 results deck is finalised, EBITDA comfortably ahead of guidance. Long nights, worth it.",
    "confidential financial")
emp("mastodon", "@liekevdmeer@tuin.social", "nl", "2026-04-29 13:37",
    "strikt intern, ik weet het, maar moet het kwijt: actieprijzen week 18 zijn bizar. Loungeset Duinroos "
    "€499 en de Zonnedauw 3m voor €149?? Wie heeft dit bedacht",
    "confidential pricing", prices=[("Loungeset Duinroos", 499.0), ("Zonnedauw 3m", 149.0)])

# ============================ financial ======================================
emp("x", "@dirkjan_kweekt", "nl", "2026-07-23 12:31",
    "Volgens de regiomanager gaan er na de zomer 6 vestigingen dicht, waaronder Ede en Hoorn. "
    "Het personeel daar weet nog van niks 😬", "financial")
emp("linkedin", "noor-hendriks-vv", "en", "2026-03-30 10:02",
    "Big news coming! We're in the final stage of acquiring a Belgian garden-centre chain, due diligence "
    "closes next week. Exciting times at Varenveld 🇧🇪🌿", "financial")
emp("bluesky", "@ruudwinter.bsky.social", "nl", "2026-10-14 23:05",
    "Q3 omzet Stekbus komt uit op 14,2 miljoen, 18% onder budget. Dat wordt een pittige board meeting morgen",
    "financial")
pub("reddit", "u/vv_warehouse_throwaway", "en", "2026-09-07 01:48",
    "Heard from my manager that Varenveld is being sold to a private equity fund. Deal is basically signed, "
    "they'll announce it in November.", "financial", kind="comment")
emp("x", "@marloes_vv", "nl", "2026-06-05 17:14",
    "Memo vandaag: reorganisatie op het hoofdkantoor, 40 fte minder bij marketing en inkoop. Voor 1 oktober "
    "moet het rond zijn. Gezellig hoor.", "financial")
corp("x", "@varenveld", "en", "2026-11-26 15:47",
    "Draft: Varenveld now expects full-year revenue between €310m and €325m, below earlier guidance. "
    "Hold until board approval", "financial")
emp("mastodon", "@liekevdmeer@tuin.social", "en", "2026-01-14 11:23",
    "Spring forecast looks grim: CFO told purchasing this morning to order 25% less than last year. "
    "Which I'm obviously not allowed to say 🙊", "financial")
emp("instagram", "@kevin.in.de.kas", "nl", "2026-08-12 18:59",
    "Vandaag te horen gekregen dat onze kwekerij in Boskoop wordt verkocht aan een concurrent. Wij mogen "
    "'voorlopig' blijven 🙃", "financial")
emp("x", "@evavink_stek", "en", "2026-07-29 19:21",
    "H1 numbers from the all-hands: Stekbus subscriptions down 22% since the price change. Board wants it "
    "fixed by Q4 or the whole unit gets folded into retail.", "financial")

# ============================ security =======================================
emp("linkedin", "bas-oosterhuis-it", "nl", "2026-02-24 07:15",
    "Lange nacht gehad: ransomware op twee kassaservers in regio Oost. Gelukkig hebben we back-ups. "
    "Klanten merken er (nog) niks van, dus houd het even stil 🙏", "security")
emp("x", "@evavink_stek", "en", "2026-05-12 21:47",
    "lol the Stekbus app lets you see anyone's order if you just change the number in the URL. reported it "
    "to IT 3 weeks ago, still not fixed 🙃", "security")
emp("x", "@marloes_vv", "nl", "2026-12-19 09:02",
    "Alle kassa's in het hele land liggen eruit sinds 7u, we schrijven bonnetjes met de hand 😅 "
    "'niks op social zetten' zei de manager haha oeps", "security")
emp("mastodon", "@liekevdmeer@tuin.social", "en", "2026-09-16 16:28",
    "Phishing test? Nope, the real thing. Someone in finance clicked and the attacker sat in the supplier "
    "payment portal for about 6 hours. Incident team is still counting the damage.", "security")
emp("tiktok", "@yusuf.plantjes", "nl", "2026-11-27 10:55",
    "pov: je werkt bij stekbus en de hele website ligt al 4 uur plat omdat iemand de productiedatabase heeft "
    "gewist 💀 en wij mogen niks zeggen tegen klanten", "security")
emp("bluesky", "@ruudwinter.bsky.social", "en", "2026-06-16 22:34",
    "gitlab.varenveld.nl has been wide open to the internet since Monday's upgrade, no auth on the admin "
    "panel. pinged the team, still waiting…", "security confidential")
emp("x", "@dirkjan_kweekt", "nl", "2026-01-09 08:44",
    "De deurcodes van de kassen hangen al maanden op een briefje bij de personeelsingang en nu is er vannacht "
    "ingebroken in het magazijn. Wie had dat nou kunnen bedenken 🙄", "security")
emp("instagram", "@kevin.in.de.kas", "en", "2026-03-17 12:10",
    "backstage: 3 days without the climate computer in greenhouse 4 bc the system got hacked. "
    "doing everything by hand 💪🌡️ #greenhouselife", "security")
pub("reddit", "u/sysadmin_throwaway_nl", "en", "2026-10-21 14:26",
    "I contract for a big Dutch garden centre chain (the one with the Stekbus plant boxes). Their customer DB "
    "backups sit in a publicly readable S3 bucket. Told them in August. Still public today.", "security")
emp("x", "@evavink_stek", "nl", "2026-04-02 11:39",
    "wie heeft er nog toegang tot kassa.varenveld.local? die hele omgeving draait op Windows Server 2012 zonder "
    "patches sinds 2023, wachten op de eerste hack", "security confidential")
emp("x", "@marloes_vv", "en", "2026-08-19 15:06",
    "our pin terminal supplier just told us there's a skimming bug in the firmware on every store device, "
    "no fix before next month. customers not informed yet 😬", "security")
emp("threads", "@sophie.stekbus", "nl", "2026-07-16 00:52",
    "Stekbus bezorg-app lekt de live GPS-locatie van alle chauffeurs via een open API, ontdekt tijdens het "
    "testen. Morgen melden bij security, nu eerst slapen", "security")
emp("bluesky", "@ruudwinter.bsky.social", "en", "2026-02-11 09:27",
    "heads up colleagues: VPN is down because of the DDoS, no ETA, comms said not to post about it. oops",
    "security")

# ============================ secrets ========================================
emp("x", "@evavink_stek", "en", "2026-03-04 14:51",
    "anyone know why this 404s?\ncurl -H \"Authorization: token %s\" "
    "https://api.github.com/repos/varenveld/stekbus-app/actions/runs" % GH_TOKEN, "secret",
    secrets=[GH_TOKEN])
emp("mastodon", "@liekevdmeer@tuin.social", "nl", "2026-06-10 10:17",
    "Help, boto3 blijft AccessDenied geven 🤯 config ziet er zo uit:\n[default]\naws_access_key_id = %s\n"
    "aws_secret_access_key = %s\nregion = eu-west-1" % (AWS_ID, AWS_SECRET), "secret",
    secrets=[AWS_ID, AWS_SECRET])
emp("bluesky", "@ruudwinter.bsky.social", "en", "2026-10-01 16:40",
    "ok who wrote this in the checkout service 😂\n\nstripe.api_key = \"%s\"  # TODO move to vault" % STRIPE_KEY,
    "secret", secrets=[STRIPE_KEY])
emp("x", "@dirkjan_kweekt", "nl", "2026-04-23 07:36",
    "Login kassa voor de nieuwe collega's in Ede: gebruiker kassa_ede, wachtwoord: %s. Niet doorvertellen 😉" % KASSA_PW,
    "secret", secrets=[KASSA_PW])
emp("linkedin", "bas-oosterhuis-it", "en", "2026-11-11 13:02",
    "Quick tip for the team: if the Stekbus sync job hangs again, restart it with\n"
    "DATABASE_URL=%s ./sync --force" % DB_URL, "secret confidential", secrets=[DB_URL])
emp("threads", "@sophie.stekbus", "en", "2026-05-21 19:45",
    "the delivery planning slackbot finally works 🎉🎉 SLACK_BOT_TOKEN=%s" % SLACK_TOKEN, "secret",
    secrets=[SLACK_TOKEN])
emp("tiktok", "@yusuf.plantjes", "en", "2026-08-30 21:33",
    "built a plant care chatbot for work in 1 evening lol. key for whoever wants to try: %s" % OPENAI_KEY,
    "secret", secrets=[OPENAI_KEY])
emp("x", "@evavink_stek", "en", "2026-12-01 11:11",
    "why does the dispatch API keep rejecting this?? 401 every time\nAuthorization: Bearer %s" % JWT,
    "secret", secrets=[JWT])
pub("forum", "dev_jorrit", "nl", "2026-09-09 22:19",
    "Kan iemand helpen, de deploy naar de Varenveld servers faalt steeds met 'invalid format'. Dit is de key "
    "die ik van hun IT kreeg:\n%s" % SSH_KEY, "secret", secrets=[SSH_KEY])
corp("x", "@stekbus_nl", "nl", "2026-02-26 16:03",
    "testbericht voor de betaalkoppeling, negeer dit aub: MOLLIE_API_KEY=%s" % MOLLIE_KEY, "secret",
    secrets=[MOLLIE_KEY])
pub("reddit", "u/freelance_dev_ams", "en", "2026-07-10 18:37",
    "Did a short gig for Varenveld. Their repo had this sitting in config.py:\n"
    "ANTHROPIC_API_KEY = '%s'\nno idea if they ever rotated it" % ANTHROPIC_KEY, "secret",
    secrets=[ANTHROPIC_KEY])
emp("instagram", "@kevin.in.de.kas", "nl", "2026-05-06 08:29",
    "ff de config van de nieuwe kasmonitor voor de collega's 📟\nMAPS_KEY=%s\nGITLAB_TOKEN=%s\nCI_TOKEN=%s"
    % (GOOGLE_KEY, GITLAB_TOKEN, GH_TOKEN_ACTIONS), "secret",
    secrets=[GOOGLE_KEY, GITLAB_TOKEN, GH_TOKEN_ACTIONS])

# ============================ personal data ==================================
emp("tiktok", "@yusuf.plantjes", "en", "2026-03-19 17:20",
    "biggest order ever 😂 23 plants for Mrs J. Kuipers, Lindelaan 14, 3818 KD Amersfoort. "
    "hope she has a big living room", "pii")
corp("x", "@varenveld_help", "en", "2026-06-22 10:08",
    "@tessa_gr Hi Tessa, we found your order! We'll refund the €64,50 to %s within 5 working days, "
    "please let us know if that account is correct." % group4(IBAN_REFUND), "pii", kind="reply",
    ids=[IBAN_REFUND])
corp("x", "@varenveld_help", "nl", "2026-07-28 15:41",
    "@hbosman Dag Henk, we bellen u morgen tussen 10 en 12 terug op 06 38 21 94 57 over de vijverpomp.",
    "pii", kind="reply")
emp("linkedin", "noor-hendriks-vv", "nl", "2026-06-12 08:00",
    "Hoera! Onze collega Joost de Graaf (geb. 12 juni 1961) viert vandaag ook nog eens 40 jaar dienstverband "
    "bij Varenveld 🎉", "pii")
emp("x", "@marloes_vv", "nl", "2026-10-17 14:24",
    "klant wilde met creditcard betalen maar de terminal deed raar. kaart %s exp 09/28, iemand een idee "
    "waarom die geweigerd wordt?" % group4(CARD_TILL), "pii", ids=[CARD_TILL])
pub("x", "@mike_vdl", "en", "2026-04-04 20:14",
    "@stekbus_nl refund please, my card %s got charged twice for the same maandbox" % group4(CARD_OWN),
    "pii complaint", kind="reply", ids=[CARD_OWN])
emp("mastodon", "@liekevdmeer@tuin.social", "nl", "2026-09-03 09:48",
    "Nieuwe collega's: stuur je BSN niet via Teams!! Ik zie hier gewoon 'BSN %s - Fatma Yilmaz' in het "
    "algemene kanaal staan 🤦‍♀️" % BSN_COLLEAGUE, "pii", ids=[BSN_COLLEAGUE])
pub("forum", "kasjes_koos", "nl", "2026-02-13 19:57",
    "Op het sollicitatieformulier van Varenveld heb ik mijn BSN %s ingevuld, is het normaal dat ze dat al "
    "vragen voor een eerste gesprek?" % BSN_OWN, "pii", ids=[BSN_OWN])
emp("x", "@evavink_stek", "en", "2026-11-05 17:30",
    "someone left their phone at the Stekbus pickup desk. if you're Ilse de Ruiter and your number is "
    "06-2781 4436, it's waiting for you here 😅", "pii")
corp("instagram", "@varenveld.tuin", "nl", "2026-05-15 11:52",
    "@lisa.groeit Hoi Lisa! Je pakket gaat naar Kastanjelaan 8, 7411 AB Deventer, klopt dat nog? We sturen de "
    "bevestiging naar lisa.vermeer@hotmail.com 🌸", "pii", kind="reply")
emp("x", "@dirkjan_kweekt", "nl", "2026-01-21 13:16",
    "Heeft iemand al betaald aan die kweker uit Boskoop? Rekening is %s t.n.v. P. Verhoef, factuur ligt "
    "op mijn bureau" % IBAN_SUPPLIER, "pii", ids=[IBAN_SUPPLIER])
pub("reddit", "u/timbakker_adam", "en", "2026-08-25 09:35",
    "Posting this so Varenveld can't pretend they never got it: order 55129, Tim Bakker, Prinsengracht 300-2 "
    "Amsterdam, paid from %s on 2 August. Still no loungeset, still no refund." % group4(IBAN_CUSTOMER),
    "pii complaint", ids=[IBAN_CUSTOMER])
corp("x", "@varenveld_help", "nl", "2026-12-11 16:09",
    "@jvdberg Beste Jan, de geboortedatum 23-08-1975 die u opgaf past niet bij klantnummer 88123 in ons "
    "systeem. Kunt u het nog eens controleren?", "pii", kind="reply")

# ============================ pricing ========================================
emp("x", "@marloes_vv", "nl", "2026-04-16 08:12",
    "Collega's opgelet: in de webshop staat de Gazonwacht 800 voor €89 ipv €899 🙈 er zijn al 40 bestellingen "
    "binnen", "pricing", prices=[("Gazonwacht 800", 89.0)])
pub("reddit", "u/dealhunter_nl", "en", "2026-06-27 23:02",
    "PRICE ERROR?? Varenveld webshop has the Loungeset Duinroos at €114,90. Ordered two, let's see if they "
    "honour it 😂", "pricing", prices=[("Loungeset Duinroos", 114.90)])
pub("x", "@koopjesjager", "en", "2026-03-10 07:49",
    "Tuinkas Bolder for €129 at Varenveld 😳 price glitch or real deal? be quick!!", "pricing",
    prices=[("Tuinkas Bolder", 129.0)])
corp("tiktok", "@stekbus", "nl", "2026-09-22 12:00",
    "Vandaag ALLE Monstera XL voor maar €9,95 🌿 alleen online, op = op!", "pricing",
    prices=[("Monstera XL", 9.95)])
emp("x", "@evavink_stek", "en", "2026-05-28 13:25",
    "someone in pricing fat-fingered the Kwelder 5000, it's showing €21,90 on the site right now lmao",
    "pricing", prices=[("Kwelder 5000", 21.90)])
pub("facebook", "Koopjes.Centrale", "nl", "2026-04-01 19:10",
    "🔥 Olijfboom 150 cm nu €14,99 bij Varenveld online (normaal €149)! Waarschijnlijk een prijsfout, "
    "op = op", "pricing", prices=[("olijfboom 150", 14.99)])
emp("bluesky", "@ruudwinter.bsky.social", "en", "2026-10-28 17:17",
    "Vonk terrashaard rings up at €45,90 at the Arnhem tills, system glitch. Don't tell anyone 🤫",
    "pricing", prices=[("Vonk terrashaard", 45.90)])
pub("instagram", "@tuin_deals_nl", "nl", "2026-06-01 21:34",
    "Strelitzia 180 voor €8,90?? Klopt dit wel @varenveld.tuin 🤔 #prijsfout", "pricing", kind="comment",
    prices=[("Strelitzia 180", 8.90)])
emp("x", "@dirkjan_kweekt", "nl", "2026-05-07 10:03",
    "Prijsfout bij de Veldloper 40V in de app, IT is ermee bezig. Bestellingen worden later geannuleerd.",
    "pricing")
pub("threads", "@budgetgardener", "en", "2026-07-19 14:48",
    "Scherpblad Pro pruners ringing up at €3,99 at the Varenveld Leiden self-checkout. Bought 5. not sorry",
    "pricing", prices=[("Scherpblad Pro", 3.99)])
corp("x", "@varenveld_help", "nl", "2026-08-09 10:36",
    "@gerard_tuin Klopt, de Zonnedauw parasol stond gisteren even voor €34,90 online door een fout in ons "
    "systeem. Bestellingen tegen die prijs worden helaas geannuleerd.", "pricing", kind="reply",
    prices=[("Zonnedauw parasol", 34.90)])

# ============================ benign (hard negatives mostly) =================
corp("x", "@varenveld", "nl", "2026-05-04 09:00",
    "Nieuw binnen: Phalaenopsis Duo in sierpot voor €24,95. Perfect voor Moederdag 💐 #varenveld",
    prices=[("Phalaenopsis Duo", 24.95)])
corp("instagram", "@varenveld.tuin", "nl", "2026-06-19 08:30",
    "Weekendactie! ☀️ Loungeset Duinroos nu €919 (was €1149). Alleen zaterdag en zondag in alle vestigingen.",
    prices=[("Loungeset Duinroos", 919.0)])
corp("facebook", "VarenveldTuincentra", "en", "2026-04-09 10:00",
    "Spring sale: 25% off the Veldloper 40V cordless mower, now €299. Ends Sunday!",
    prices=[("Veldloper 40V", 299.0)])
pub("reddit", "u/slope_lawn_guy", "en", "2026-03-23 18:44",
    "Is the Gazonwacht 800 worth €899? Our lawn is about 400m² with a fairly steep slope. Any Varenveld "
    "robot mower owners here?", prices=[("Gazonwacht 800", 899.0)])
pub("x", "@hanneke_tuiniert", "nl", "2026-10-10 16:20",
    "Gisteren de Acer Bloodgood gehaald bij Varenveld Zeist, staat nu te stralen in de voortuin 🍁 "
    "Top advies gehad van de jongen bij de bomen!")
pub("x", "@jeroen_fietst", "nl", "2026-07-03 12:12",
    "Update: @varenveld_help heeft mijn kapotte Siena pot binnen 2 dagen vervangen en er nog een plantje bij "
    "gedaan. Zo hoort het 👍", kind="reply")
corp("x", "@varenveld_help", "nl", "2026-01-05 08:00",
    "Vragen over je bestelling? Mail ons op klantenservice@varenveld.nl of bel gratis 0800-8273 "
    "(ma-za 8-20u). We helpen je graag!")
corp("facebook", "VarenveldTuincentra", "nl", "2026-02-02 10:15",
    "Betaal je de factuur voor je zakelijke levering liever per overschrijving? Gebruik %s t.n.v. "
    "Varenveld Tuincentra B.V. o.v.v. je factuurnummer." % group4(PUBLIC_IBAN))
pub("x", "@lars_planten", "nl", "2026-09-14 19:02",
    "@stekbus_nl welk nummer moet ik doorgeven, het ordernummer %s of het klantnummer? Wil even mijn "
    "bezorgmoment wijzigen" % group4(FAKE_ORDER_CARD), kind="reply", fakes=[FAKE_ORDER_CARD])
corp("linkedin", "varenveld-tuincentra", "nl", "2026-03-16 09:30",
    "Let op: oplichters sturen nepfacturen namens Varenveld met een ander rekeningnummer, zoals %s. Wij "
    "vragen nooit om betaling naar een nieuw rekeningnummer. Twijfel? Bel +31 30 799 4400." % group4(FAKE_IBAN),
    fakes=[FAKE_IBAN])
pub("forum", "moestuin_marja", "nl", "2026-04-14 13:40",
    "Mijn klantenkaart van Varenveld heeft nummer %s.%s.%s, hoe koppel ik die aan de app? Zie het nergens"
    % (FAKE_BSN[:3], FAKE_BSN[3:6], FAKE_BSN[6:]), fakes=[FAKE_BSN])
pub("mastodon", "@devnotes@fosstodon.org", "en", "2026-08-13 11:05",
    "Writing docs for a Stekbus partner integration. Never commit real keys, use the documented placeholders "
    "like AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY in examples.")
emp("x", "@evavink_stek", "en", "2026-01-30 09:41",
    "rotated the payment keys this morning as part of the quarterly routine (sk_live_••••••••4f2a), "
    "no action needed from the stores 👍")
pub("blog", "plantwidget_blog", "nl", "2026-11-08 20:30",
    "In je .env zet je dan GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx en klaar is Kees. Gebruik ik "
    "zelf voor het Varenveld-plantenwidgetje op mijn blog 🌱")
pub("x", "@oma_bep", "nl", "2026-02-21 15:33",
    "@varenveld_help Hoe verander ik mijn wachtwoord in de Stekbus app? Kan het menu nergens vinden 🙈",
    kind="reply")
corp("x", "@varenveld", "nl", "2027-03-04 09:00",
    "Vandaag publiceren we onze jaarcijfers 2026: omzet €342 miljoen, een groei van 9%. "
    "Lees het volledige verslag op varenveld.nl/investeerders")
pub("instagram", "@junglejulia", "en", "2027-04-20 18:25",
    "Just unboxed my first Stekbus Jungle+ box and wow, 6 plants plus a macramé hanger. Worth it 🌿")
emp("x", "@marloes_vv", "nl", "2027-03-05 12:48",
    "Trots op onze jaarcijfers 2026 en vooral op alle collega's in de winkels die dit mogelijk maakten 💚")
pub("x", "@nieuwsjager_nl", "nl", "2026-09-30 08:12",
    "Datalek bij online bloemist Bloemzee: gegevens van 80.000 klanten op straat. Goed moment om ook bij "
    "Varenveld en andere webshops je wachtwoord eens te vervangen.")
pub("x", "@rianne_zwolle", "en", "2026-06-26 21:14",
    "Thinking of the team at Varenveld Zwolle, yesterday's hailstorm wrecked the whole outdoor section 😢 "
    "Dropping by on Saturday to show some support.")
pub("threads", "@urbanjunglejay", "en", "2026-08-03 10:37",
    "My Monstera XL from Varenveld has grown so much it now pays rent. Absolute killer plant, 10/10, "
    "would be strangled again 🌿😂")
pub("instagram", "@vlinderspotter", "nl", "2026-07-25 23:09",
    "Vanavond een prachtige nachtvlinder op de lavendel die ik in het voorjaar bij Varenveld kocht 🦋 "
    "#tuinfauna #nachtvlinders", hard_word=True)
pub("x", "@wandelwim", "nl", "2026-07-12 14:02",
    "De wilgenroosjes bloeien weer langs het spoor 💜 Zaadjes gekocht bij Varenveld om ze ook in mijn eigen "
    "tuin te zetten.", hard_word=True)
corp("linkedin", "varenveld-tuincentra", "nl", "2026-02-09 09:00",
    "Wij zoeken een enthousiaste medewerker voor onze kwekerij in Boskoop! 🌱 Solliciteer via "
    "werkenbij@varenveld.nl")
pub("x", "@snoeiman_rob", "en", "2026-03-26 17:50",
    "These Scherpblad pruners absolutely murder through branches. Best €39,95 I've spent this year 🪓",
    prices=[("Scherpblad", 39.95)])
corp("x", "@varenveld_help", "nl", "2026-11-28 13:30",
    "De storing in onze webshop van vanochtend is opgelost. Excuses voor het ongemak! Bestellingen worden "
    "weer normaal verwerkt.")
pub("x", "@birthdaybram", "en", "2026-01-18 12:26",
    "Do Varenveld gift cards work in the Stekbus app? Got one for my birthday 🎂")
emp("x", "@marloes_vv", "nl", "2026-03-14 18:03",
    "Eerste zonnige zaterdag van het jaar en de hele winkel vol mensen die zin hebben in de tuin 😍 "
    "Hierom doe ik dit werk")
emp("linkedin", "noor-hendriks-vv", "en", "2026-09-10 17:45",
    "Great panel today at the GreenRetail congress in Utrecht on peat-free potting soil. Thanks to everyone "
    "who stopped by the Varenveld stand!")
pub("x", "@basilicum_bart", "en", "2026-05-22 13:08",
    "My basil is having an existential crisis 😂 droopy leaves and all. Any tips? Got it at Varenveld, "
    "it's on the windowsill in full sun")
pub("x", "@eline_eco", "en", "2026-10-19 11:51",
    "Boycotting FastFlora after that exploitation story. Switched to Varenveld's Stekbus, so far so good 🌿")
pub("facebook", "Henk.Veenstra.44", "nl", "2026-07-07 20:20",
    "Terugroepactie van tuinslangen van het merk AquaFlex in het nieuws, gelukkig heb ik die van Varenveld "
    "gekocht 😅")
corp("x", "@stekbus_nl", "en", "2026-04-24 12:00",
    "Tip: use a unique password for your Stekbus account and turn on 2FA in Settings > Security. "
    "We'll never ask for your password by e-mail or phone.")
pub("x", "@zuinige_zus", "nl", "2026-06-08 18:31",
    "Bezorging van Stekbus kost €4,95, gratis boven de €50. Prima toch? Snap het gezeur niet zo")
corp("tiktok", "@stekbus", "nl", "2026-11-27 07:00",
    "Black Friday 🖤 30% korting op de Stekbus box: je eerste maand voor €24,47 in plaats van €34,95!",
    prices=[("Stekbus box", 24.47)])
pub("x", "@retailcijfers", "en", "2026-02-17 10:05",
    "GreenRetail Monitor: Dutch garden centre sales grew 4% in 2025, with chains like Varenveld and "
    "Tuinwereld Smit leading the way in online delivery.")
emp("bluesky", "@ruudwinter.bsky.social", "en", "2026-05-18 16:13",
    "The only leak at Varenveld this week was the irrigation hose in greenhouse 2. Fixed it with duct tape "
    "and pride 🛠️")
pub("x", "@sanne_en_sam", "nl", "2026-07-31 15:50",
    "Mijn buurman bezorgt voor Stekbus en werkt zich echt uit de naad in deze hitte. Geef die mensen een "
    "flesje water als ze langskomen ☀️")
pub("youtube", "@DIYwithDaan", "en", "2026-06-20 20:41",
    "Built the Tuinkas Bolder following your video, took me and my dad one weekend. Solid greenhouse for "
    "€1299, tomatoes already going!", kind="comment", prices=[("Tuinkas Bolder", 1299.0)])
pub("reddit", "u/api_tinkerer", "nl", "2026-09-26 10:14",
    "Iemand ervaring met de Stekbus API voor partners? Documentatie zegt 'vraag een API key aan via "
    "partners@stekbus.nl' maar ik hoor al een week niks", kind="comment")
corp("x", "@varenveld", "en", "2026-01-12 07:30",
    "Our Leiden store is closed today because of the storm. Orders and questions: +31 30 799 4400. Stay safe!")
pub("x", "@koffieleut_karin", "en", "2026-10-03 11:27",
    "Love that the wifi password in the Varenveld coffee corner is printed right on the tables 😄 "
    "Working between the plants today")
pub("facebook", "Ingrid.Buitenhout", "nl", "2026-08-28 21:05",
    "Na de ontslagen bij tuinmeubelfabrikant Buitenhout hoop ik maar dat het bij Varenveld goed blijft gaan, "
    "mijn zus werkt daar met veel plezier", kind="comment")
pub("facebook", "Marja.Pot", "nl", "2026-12-21 14:44",
    "Cadeaukaart van Varenveld gekregen 🎁 kaartnummer %s, hoe check ik het saldo?" % group4(FAKE_GIFT_CARD),
    kind="comment", fakes=[FAKE_GIFT_CARD])
emp("linkedin", "noor-hendriks-vv", "en", "2026-03-03 08:20",
    "Our new peat-free potting soil is now on the shelves in all 34 Varenveld stores 🌱 So proud of the team "
    "that made this happen.")
pub("x", "@prijsbewust_piet", "nl", "2026-02-27 10:52",
    "Vioolbladplant 120 voor €64,50 bij Varenveld tegen €79 bij de bloemist om de hoek. Makkelijke keuze 😄",
    prices=[("vioolbladplant 120", 64.50)])
corp("instagram", "@varenveld.tuin", "en", "2026-09-04 09:00",
    "Bonsai lovers 🌳 the Ficus Ginseng bonsai 10 jaar is €40,45 this week only (10% off).",
    prices=[("Ficus Ginseng", 40.45)])
pub("x", "@vraagvooreenvriend", "nl", "2026-04-20 22:31",
    "Wat is eigenlijk de regel bij prijsfouten in webshops? Moet een winkel dan leveren of niet? "
    "Vraag voor een vriend 😇")
pub("x", "@kerstfan_kim", "nl", "2026-12-06 17:15",
    "Nordmann 200 gehaald bij Varenveld voor €69,95, staat al te pronken in de kamer 🎄",
    prices=[("Nordmann 200", 69.95)])
corp("x", "@varenveld", "nl", "2026-12-21 08:00",
    "Nog 3 dagen tot kerst: Nordmann kerstboom 200 cm nu €59,95 🎄 Zolang de voorraad strekt.",
    prices=[("Nordmann kerstboom 200 cm", 59.95)])
corp("linkedin", "varenveld-tuincentra", "en", "2026-05-27 09:00",
    "We're hiring a Security Engineer to help us protect our customers' data. Apply via werkenbij@varenveld.nl")
pub("x", "@citroenboom_carla", "nl", "2026-05-30 15:27",
    "Die medewerker van Varenveld Nijmegen die mij 20 minuten heeft geholpen met mijn zieke citroenboom is een "
    "absolute held. Geef die man opslag!")
pub("x", "@vuurtje_stoken", "en", "2026-02-04 20:58",
    "Mid-life crisis solved: bought a Vonk terrashaard at Varenveld and now I sit outside every night 🔥",
    prices=[])
corp("facebook", "VarenveldTuincentra", "nl", "2026-09-30 17:00",
    "Vandaag nemen we afscheid van Henk van onze kwekerij, na 41 jaar trouwe dienst. Bedankt voor alles Henk 💚")
pub("x", "@jwt_nerd", "en", "2026-11-14 13:44",
    "TIL JWT headers are just base64: eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9 decodes to "
    "{\"alg\":\"HS256\",\"typ\":\"JWT\"}. Found out while poking at how the Stekbus app logs you in 🤓")
corp("x", "@varenveld", "nl", "2026-04-28 10:00",
    "Onze nieuwe vestiging in Leiden vind je aan de Rijnsburgerweg 210. Vanaf 1 mei zijn we open! 🌷")
pub("x", "@nieuws_leiden", "en", "2026-03-31 15:12",
    "Varenveld opens its 35th store in Leiden this spring, the chain announced on Tuesday.")
pub("tiktok", "@plantjesmeid", "nl", "2026-08-07 19:39",
    "varenveld heeft echt sick planten dit jaar, die Strelitzia 180 is een beest 🔥🔥 zeker voor €89",
    kind="comment", prices=[("Strelitzia 180", 89.0)])
emp("x", "@marloes_vv", "nl", "2026-03-25 12:00",
    "Vragen over de moestuincursus van zaterdag? Bel de winkel via 0800-8273 of mail klantenservice@varenveld.nl 😊")
pub("x", "@groenevingers_gijs", "nl", "2026-10-25 09:18",
    "Vorige week klacht ingediend omdat mijn Moestuinbak Eik beschadigd was. Vandaag stond er al een nieuwe "
    "voor de deur. Netjes opgelost Varenveld 👏")
pub("forum", "vijverveteraan", "nl", "2026-05-11 20:03",
    "Draait al 3 seizoenen zonder problemen, die Kwelder 5000. Voor €219 kun je echt niet klagen.",
    prices=[("Kwelder 5000", 219.0)])


# ----------------------------------------------------------------------------
# build + write
# ----------------------------------------------------------------------------
OUT = []
for c in CASES:
    p = c["post"]
    role = role_of(p["platform"], p["account"]["handle"])
    sev = severity(c["cats"], role, p["text"], c["meta"].get("secrets", []))
    OUT.append({"post": p, "expect": {"categories": c["cats"], "severity": sev}})

path = os.path.join(HERE, "cases.jsonl")
with open(path, "w", encoding="utf-8") as f:
    for o in OUT:
        f.write(json.dumps(o, ensure_ascii=False) + "\n")

# ----------------------------------------------------------------------------
# self-checks
# ----------------------------------------------------------------------------
errors = []


def err(c, msg):
    errors.append("%s: %s | %s" % (c["post"]["id"], msg, c["post"]["text"][:80].replace("\n", " ")))


PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
CATS = set(SHORT.values())
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")


def parse_ts(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def norm(t):
    t = unicodedata.normalize("NFKC", t)
    return t.replace("\u200b", "").lower()


# 1. the written file, line by line, against CONTRACT section 6
lines = open(path, encoding="utf-8").read().splitlines()
seen = set()
for ln in lines:
    o = json.loads(ln)
    assert set(o) == {"post", "expect"}, o
    p, e = o["post"], o["expect"]
    assert isinstance(p["id"], str) and 1 <= len(p["id"]) <= 256
    assert p["id"] not in seen, p["id"]
    seen.add(p["id"])
    assert p["platform"] in PLATFORMS and p.get("kind", "post") in KINDS
    assert isinstance(p["account"]["handle"], str) and p["account"]["handle"]
    assert isinstance(p["text"], str) and 0 < len(p["text"].encode()) <= 65536
    assert RFC3339.fullmatch(p["created_at"]), p["created_at"]
    parse_ts(p["created_at"])
    assert e["severity"] in ORDER
    assert e["categories"] == sorted(set(e["categories"])) and set(e["categories"]) <= CATS
    assert (e["severity"] == "none") == (not e["categories"])
    assert 2026 <= parse_ts(p["created_at"]).year <= 2027

# 2. content checks per case
EMB = [(t.lower(), parse_ts(x["until"])) for x in PROFILE["embargo"] for t in x["terms"]]
PRODUCTS = {}
for pr in PROFILE["products"]:
    for a in [pr["name"]] + pr["aliases"]:
        PRODUCTS[a.lower()] = pr["list_price"]
RATIO = PROFILE["pricing"]["alert_below_ratio"]
PUB_EMAILS = {x.lower() for x in PROFILE["public_identifiers"]["emails"]}


def phone_digits(s):
    d = re.sub(r"\D", "", s)
    if d.startswith("0031"):
        d = "0" + d[4:]
    elif d.startswith("31"):
        d = "0" + d[2:]
    return d


PUB_PHONES = {phone_digits(x) for x in PROFILE["public_identifiers"]["phones"]}
PHONE_RE = re.compile(r"(?:\+31|0031|\b0)[\s-]?\d(?:[\s-]?\d){7,9}")
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PRICE_RE = re.compile(r"€\s?(\d{1,5}(?:[.,]\d{2})?)")
INTERNAL = ([x.lower() for x in PROFILE["internal"]["domains"]]
            + [x.lower() for x in PROFILE["internal"]["codenames"]]
            + [x.lower() for x in PROFILE["internal"]["markers"]])

for c, o in zip(CASES, OUT):
    p, cats, meta = c["post"], c["cats"], c["meta"]
    text = p["text"]
    secrets = meta.get("secrets", [])
    plain = strip_secrets(text, secrets)
    nt = norm(text)
    when = parse_ts(p["created_at"])
    role = role_of(p["platform"], p["account"]["handle"])

    # identifiers with checksums
    for v in meta.get("ids", []):
        if v not in re.sub(r" ", "", text):
            err(c, "declared identifier not in text")
        if not (iban_ok(v) if v[:2].isalpha() else (luhn_ok(v) if len(v) > 9 else bsn_ok(v))):
            err(c, "positive identifier fails its checksum: " + v)
    for v in meta.get("fakes", []):
        if v not in re.sub(r"[ .]", "", text):
            err(c, "declared look-alike not in text")
        if iban_ok(v) or luhn_ok(v) or bsn_ok(v):
            err(c, "look-alike passes a checksum: " + v)
    found = checksum_ids(plain)
    if "leak.pii" not in cats and found:
        err(c, "checksum-valid identifier in a post without leak.pii: %r" % found)
    if "leak.pii" in cats and sorted(v for _, v in found) != sorted(meta.get("ids", [])):
        err(c, "valid identifiers found %r differ from declared %r" % (found, meta.get("ids")))

    # e-mail addresses and phone numbers outside pii posts must be the company's own
    if "leak.pii" not in cats:
        plain = IBAN_RE.sub(" ", plain)
        for m in EMAIL_RE.finditer(plain):
            if m.group(0).lower() not in PUB_EMAILS:
                err(c, "non-public e-mail in non-pii post: " + m.group(0))
        for m in PHONE_RE.finditer(plain):
            if phone_digits(m.group(0)) not in PUB_PHONES:
                err(c, "non-public phone in non-pii post: " + m.group(0))

    # secrets
    for s in secrets:
        if s not in text:
            err(c, "declared secret not in text")
        if s.startswith("gh") and s[3] == "_" and not gh_token_ok(s):
            err(c, "GitHub token with bad CRC-32")
        if s.startswith("AKIA") and not re.fullmatch(r"AKIA[A-Z2-7]{16}", s):
            err(c, "bad AWS key id")
        if s.startswith("eyJ") and not jwt_ok(s):
            err(c, "bad JWT")
    if secrets and "leak.secret" not in cats:
        err(c, "secret declared on non-secret case")
    if "leak.secret" in cats and not secrets:
        err(c, "secret case without a declared secret")
    if "leak.secret" not in cats:
        for m in re.finditer(r"gh[pousr]_[0-9A-Za-z]{36}", text):
            if gh_token_ok(m.group(0)):
                err(c, "valid GitHub token in non-secret post")
        for m in re.finditer(r"AKIA[A-Z2-7]{16}", text):
            if not m.group(0).endswith("EXAMPLE"):
                err(c, "AWS key id in non-secret post")
        if re.search(r"sk_live_[0-9A-Za-z]{10,}|xox[bpa]-\d|glpat-|sk-ant-|AIza[0-9A-Za-z_-]{35}|PRIVATE KEY-----", text):
            err(c, "live-looking secret in non-secret post")
        for m in re.finditer(r"eyJ[\w-]+\.[\w-]+\.[\w-]+", text):
            if jwt_ok(m.group(0)):
                err(c, "complete JWT in non-secret post")
        if re.search(r"(wachtwoord|password|passwd)\s*[:=]\s*\S", text, re.I):
            err(c, "password value in non-secret post")

    # pricing
    for alias, price in meta.get("prices", []):
        lp = PRODUCTS[alias.lower()]
        if alias.lower() not in text.lower():
            err(c, "priced product not in text: " + alias)
        shown = ("%.2f" % price).replace(".", ",")
        if shown.endswith(",00"):
            shown = shown[:-3]
        if "€" + shown not in text:
            err(c, "price %s not in text" % shown)
        if "leak.pricing" in cats:
            if not price < RATIO * lp:
                err(c, "pricing positive not below ratio")
        else:
            r = price / lp
            if not (0.7 <= r <= 0.9 or abs(r - 1) < 1e-9):
                err(c, "benign price is neither list nor a 10-30%% sale (%.2f)" % r)
    if "leak.pricing" not in cats:
        mentioned = [a for a in PRODUCTS if re.search(r"(?<!\w)%s(?!\w)" % re.escape(a), text.lower())]
        for m in PRICE_RE.finditer(text):
            val = float(m.group(1).replace(",", "."))
            for a in mentioned:
                if val < RATIO * PRODUCTS[a]:
                    err(c, "benign post has product %r with price %.2f below ratio" % (a, val))
        if re.search(r"prijsfout|price error|pricing error|pricing bug", text, re.I) and mentioned:
            err(c, "price-error talk next to a product in a non-pricing post")

    # embargo
    for term, until in EMB:
        if term in nt and when < until and "leak.confidential" not in cats:
            err(c, "embargo term before until without leak.confidential: " + term)

    # internal names in non-confidential posts
    if "leak.confidential" not in cats:
        for w in INTERNAL:
            if w in nt and not meta.get("hard_word"):
                err(c, "internal name in non-confidential post: " + w)

    # language hint sane
    assert p["lang"] in ("nl", "en")

# 3. mix
n = len(OUT)
benign = sum(1 for o in OUT if not o["expect"]["categories"])
cat_count = {k: sum(1 for o in OUT if v in o["expect"]["categories"]) for k, v in SHORT.items()}
nl = sum(1 for o in OUT if o["post"]["lang"] == "nl")
roles = {}
for o in OUT:
    r = role_of(o["post"]["platform"], o["post"]["account"]["handle"])
    roles[r] = roles.get(r, 0) + 1
if not 170 <= n <= 180:
    errors.append("case count %d outside 170-180" % n)
if not 55 <= benign <= 65:
    errors.append("benign count %d" % benign)
TARGET = {"complaint": 20, "confidential": 18, "pii": 15, "crisis": 15, "security": 13, "secret": 12,
          "abuse": 12, "pricing": 12, "financial": 12}
for k, t in TARGET.items():
    if abs(cat_count[k] - t) > 4:
        errors.append("category %s has %d, target ~%d" % (k, cat_count[k], t))
if not 0.50 <= nl / n <= 0.62:
    errors.append("Dutch share %.2f" % (nl / n))
if len({o["post"]["text"] for o in OUT}) != n:
    errors.append("duplicate texts")
if sum(1 for c in CASES if c["meta"].get("evasion")) < 5:
    errors.append("too few evasion cases")
if sum(1 for o in OUT if o["post"]["created_at"].startswith("2027")) < 3:
    errors.append("too few 2027 cases")

# 4. determinism: severity never typed by hand (recompute from the written file)
for ln, c in zip(lines, CASES):
    o = json.loads(ln)
    r = role_of(o["post"]["platform"], o["post"]["account"]["handle"])
    assert o["expect"]["severity"] == severity(o["expect"]["categories"], r, o["post"]["text"],
                                               c["meta"].get("secrets", []))

sev_count = {}
for o in OUT:
    sev_count[o["expect"]["severity"]] = sev_count.get(o["expect"]["severity"], 0) + 1
print("cases %d, benign %d, dutch %.0f%%" % (n, benign, 100.0 * nl / n))
print("categories", json.dumps(cat_count))
print("roles", json.dumps(roles), "severities", json.dumps(sev_count))
if errors:
    print("SELF-CHECK FAILED (%d):" % len(errors))
    for e in errors:
        print("  " + e)
    sys.exit(1)
print("self-check OK")
