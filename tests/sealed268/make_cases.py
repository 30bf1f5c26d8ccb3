#!/usr/bin/env python3
"""Build the sealed evaluation set 268 (Lagenwerk B.V., 3D printing service + maker webshop).

Deterministic: fixed seed, standard library + PyYAML. Writes cases.jsonl next to this
file and then checks it (CONTRACT section 6 shape, checksums of identifiers, severities
derived from the CONTRACT section 4 policy and the account roles in profile.yaml).
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
OUT = os.path.join(HERE, "cases.jsonl")
rng = random.Random(268_2026)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base62 order
URLSAFE = string.ascii_letters + string.digits + "_-"
B64 = string.ascii_letters + string.digits + "+/"

# ---------------------------------------------------------------- identifiers

REGISTRY = {}  # compact value -> (kind, valid)


def compact(s):
    return re.sub(r"[\s.\-]", "", s)


def _reg(kind, value, valid):
    REGISTRY[compact(value)] = (kind, valid)
    return value


def iban_ok(iban):
    s = compact(iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def _nl_check(bban):
    n = int("".join(str(int(c, 36)) for c in bban + "NL00"))
    return 98 - n % 97


def fmt_iban(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def make_iban(bank, spaced=True):
    acct = "".join(rng.choice(string.digits) for _ in range(10))
    s = "NL%02d%s%s" % (_nl_check(bank + acct), bank, acct)
    assert iban_ok(s)
    return _reg("iban", fmt_iban(s) if spaced else s, True)


def make_bad_iban(bank, spaced=True):
    acct = "".join(rng.choice(string.digits) for _ in range(10))
    good = _nl_check(bank + acct)
    bad = (good + rng.randint(1, 90)) % 100
    s = "NL%02d%s%s" % (bad, bank, acct)
    assert not iban_ok(s)
    return _reg("iban", fmt_iban(s) if spaced else s, False)


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


def _luhn_digit(partial):
    for c in "0123456789":
        if luhn_ok(partial + c):
            return c
    raise AssertionError


def fmt4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def make_card(prefix, length=16, sep=" "):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    num = body + _luhn_digit(body)
    assert luhn_ok(num)
    out = fmt4(num).replace(" ", sep)
    return _reg("card", out, True)


def make_bad_card(prefix, length=16):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    good = _luhn_digit(body)
    bad = str((int(good) + rng.randint(1, 9)) % 10)
    num = body + bad
    assert not luhn_ok(num)
    return _reg("card", fmt4(num), False)


def bsn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    if len(d) != 9:
        return False
    s = sum(d[i] * (9 - i) for i in range(8)) - d[8]
    return s % 11 == 0 and s != 0


def make_bsn():
    while True:
        first8 = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        s = sum(first8[i] * (9 - i) for i in range(8))
        last = s % 11
        if last <= 9:
            num = "".join(map(str, first8)) + str(last)
            if bsn_ok(num):
                return _reg("bsn", num, True)


def make_bad_bsn():
    while True:
        num = str(rng.randint(100000000, 999999999))
        if not bsn_ok(num):
            return _reg("bsn", num, False)


# ---------------------------------------------------------------- secrets

SECRETS = []  # (kind, value)


def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


def b62(n, width=6):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out.rjust(width, "0")


def gh_token_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())) == m.group(2)


def make_gh(prefix="ghp_"):
    body = rand(ALNUM, 30)
    tok = prefix + body + b62(zlib.crc32(body.encode()))
    assert gh_token_ok(tok)
    SECRETS.append(("github", tok))
    return tok


def make_aws():
    kid = "AKIA" + rand(string.ascii_uppercase + "234567", 16)
    sec = rand(B64, 40)
    SECRETS.append(("aws_id", kid))
    SECRETS.append(("aws_secret", sec))
    return kid, sec


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def make_jwt(payload):
    h = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    p = b64url(json.dumps(payload, separators=(",", ":")).encode())
    s = b64url(bytes(rng.getrandbits(8) for _ in range(32)))
    tok = "%s.%s.%s" % (h, p, s)
    SECRETS.append(("jwt", tok))
    return tok


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    hdr = parts[0] + "=" * (-len(parts[0]) % 4)
    try:
        return "alg" in json.loads(base64.urlsafe_b64decode(hdr))
    except Exception:
        return False


def make_slack():
    tok = "xoxb-%s-%s-%s" % (rand(string.digits, 11), rand(string.digits, 13), rand(ALNUM, 24))
    SECRETS.append(("slack", tok))
    return tok


def make_stripe():
    tok = "sk_live_" + rand(ALNUM, 24)
    SECRETS.append(("stripe", tok))
    return tok


def make_mollie():
    tok = "live_" + rand(ALNUM, 30)
    SECRETS.append(("mollie", tok))
    return tok


def make_openai():
    tok = "sk-proj-" + rand(URLSAFE, 48) + "T3BlbkFJ" + rand(URLSAFE, 48)
    SECRETS.append(("openai", tok))
    return tok


def make_anthropic():
    tok = "sk-ant-api03-" + rand(URLSAFE, 93) + "AA"
    SECRETS.append(("anthropic", tok))
    return tok


def make_gitlab():
    tok = "glpat-" + rand(URLSAFE, 20)
    SECRETS.append(("gitlab", tok))
    return tok


def make_ssh_key():
    raw = bytes(rng.getrandbits(8) for _ in range(300))
    body = ("b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZWQyNTUxOQAAACA"
            + base64.b64encode(raw).decode())
    lines = [body[i:i + 70] for i in range(0, len(body), 70)]
    key = "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"
    SECRETS.append(("ssh_key", key))
    return key


def make_password():
    words = ["Spoel", "Nozzle", "Laagje", "Brim", "Raft", "Benchy"]
    pw = rng.choice(words) + rng.choice("!#$%&*") + rand(string.digits, 4) + rand(string.ascii_letters, 3)
    SECRETS.append(("password", pw))
    return pw


# ---------------------------------------------------------------- text helpers

def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if 0x21 <= ord(c) <= 0x7E else c for c in s)


ZW = "\u200b"


def zw(word):
    return ZW.join(word)


CYR = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "c": "\u0441", "i": "\u0456", "p": "\u0440"}


def cyr(word, letters="aeoci"):
    return "".join(CYR[c] if c in letters and c in CYR else c for c in word)


# ---------------------------------------------------------------- roles & severity

def _norm_handle(s):
    return s.strip().lower()


ROLE = {}
for role in ("corporate", "employee"):
    for entry in PROFILE["accounts"][role]:
        plat, handle = entry.split(":", 1)
        ROLE[(plat.lower(), _norm_handle(handle))] = role


def role_of(platform, handle):
    return ROLE.get((platform.lower(), _norm_handle(handle)), "public")


SEV = ["none", "info", "warning", "error", "critical"]


def strong_pii(text):
    """True when a checksum-valid IBAN, card or BSN from the registry is in the text."""
    ct = compact(text)
    return any(valid and kind in ("iban", "card", "bsn") and v in ct
               for v, (kind, valid) in REGISTRY.items())


def severity(cats, role, text):
    level = 0
    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                lv = 3
                if c in ("leak.secret", "leak.pricing"):
                    lv = 4
                if c == "leak.pii" and strong_pii(text):
                    lv = 4
            else:
                lv = 2
        elif c == "reputation.complaint":
            lv = 2
        elif c == "reputation.crisis":
            lv = 3
        elif c == "reputation.abuse":
            lv = 3 if insider else 2
        else:
            raise AssertionError(c)
        level = max(level, lv)
    return SEV[level]


# ---------------------------------------------------------------- case builder

CAT = {
    "secret": "leak.secret", "pii": "leak.pii", "pricing": "leak.pricing",
    "confidential": "leak.confidential", "financial": "leak.financial",
    "security": "leak.security", "crisis": "reputation.crisis",
    "complaint": "reputation.complaint", "abuse": "reputation.abuse",
}
PFX = {"x": "x", "linkedin": "li", "facebook": "fb", "instagram": "ig", "tiktok": "tt",
       "youtube": "yt", "reddit": "rd", "mastodon": "md", "bluesky": "bs", "threads": "th",
       "forum": "fo", "blog": "bl"}
URLS = {
    "x": "https://x.com/{h}/status/{n}", "instagram": "https://www.instagram.com/p/{n}/",
    "reddit": "https://www.reddit.com/r/3Dprinting/comments/{n}/",
    "mastodon": "https://mastodon.nl/{h}/{n}", "bluesky": "https://bsky.app/profile/{h}/post/{n}",
    "threads": "https://www.threads.net/{h}/post/{n}", "tiktok": "https://www.tiktok.com/{h}/video/{n}",
    "youtube": "https://www.youtube.com/watch?v={n}", "facebook": "https://www.facebook.com/{h}/posts/{n}",
    "linkedin": "https://www.linkedin.com/feed/update/urn:li:activity:{n}/",
    "forum": "https://forum.3dprintnederland.nl/t/{n}",
}

CASES = []
USED_IDS = set()
Y2026 = datetime(2026, 1, 3, tzinfo=timezone.utc)


def rand_time():
    return Y2026 + timedelta(seconds=rng.randint(0, 350 * 86400))


def add(platform, handle, text, cats=(), lang="nl", when=None, kind="post", display=None):
    while True:
        n = rng.randint(10 ** 9, 10 ** 10 - 1)
        pid = "%s-%d" % (PFX.get(platform, "ot"), n)
        if pid not in USED_IDS:
            USED_IDS.add(pid)
            break
    if when is None:
        dt = rand_time()
        if rng.random() < 0.25:
            off = rng.choice([1, 2])
            created = (dt + timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + "+0%d:00" % off
        else:
            created = dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    else:
        created = when
    post = {"id": pid, "platform": platform, "account": {"handle": handle}, "text": text,
            "created_at": created}
    if kind != "post":
        post["kind"] = kind
    if display:
        post["account"]["display_name"] = display
    if rng.random() < 0.6:
        post["lang"] = lang
    if platform in URLS and rng.random() < 0.55:
        post["url"] = URLS[platform].format(h=handle.lstrip("@"), n=n)
    if rng.random() < 0.3:
        post["brand"] = "lagenwerk"
    full = sorted(CAT[c] for c in cats)
    role = role_of(platform, handle)
    CASES.append({"post": post,
                  "expect": {"categories": full, "severity": severity(full, role, text)},
                  "_lang": lang})


OWN_IBAN = fmt_iban(PROFILE["public_identifiers"]["ibans"][0])

# ============================================================================
# BENIGN (hard negatives mostly)
# ============================================================================
B = ()

add("x", "@lagenwerk", "Nieuw binnen: ASA Outdoor in zes kleuren, waaronder basaltgrijs en signaalgeel. "
    "UV-bestendig, dus perfect voor je tuinprojecten 🌱 #3Dprinten", B)
add("x", "@lagenwerk_hulp", "@mirjam_print Vervelend dat je pakket er nog niet is! Stuur je ordernummer even "
    "naar klantenservice@lagenwerk.nl, dan duiken we er meteen in.", B, kind="reply")
add("x", "@benchy_bart", "Just printed a Benchy with @lagenwerk PETG and the overhangs are chef's kiss 👌 "
    "zero stringing", B, lang="en")
add("instagram", "@marit.maakt", "Black Friday bij Lagenwerk: PLA+ 1kg van €24,95 voor €19,95. "
    "Drie rollen ingeslagen oeps 😅 #filamentverslaving", B)
add("reddit", "u/minis_and_clips", "Is the Vonk K1 worth €649 or should I wait a bit? I mostly print D&D "
    "minis and cable clips, not sure I need the speed", B, lang="en")
add("instagram", "@lagenwerk.nl", "Vragen over je printopdracht? Bel ons gerust op 030-7994410 (ma t/m vr "
    "9-17u) of mail printservice@lagenwerk.nl ☎️", B)
add("facebook", "LagenwerkNL", "Liever betalen per overboeking? Dat kan! Maak het bedrag over naar "
    f"{OWN_IBAN} t.n.v. Lagenwerk B.V. en zet je ordernummer in de omschrijving.", B)
add("x", "@resin_rik", "Heard Kwartsmaker is cutting 40 jobs after a rough year. Bad news for the whole "
    "maker scene, hope those folks land somewhere good", B, lang="en")
add("x", "@spaghettimonster_nl", "Mijn printer heeft vannacht weer spaghetti gemaakt. @lagenwerk verkopen "
    "jullie ook pesto? 🍝", B)
add("reddit", "u/octo_tinkerer", "Following Lagenwerk's tutorial for backing up a print farm to S3. Their "
    "example config has aws_access_key_id = AKIAIOSFODNN7EXAMPLE and the secret wJalrXUtnFEMI/K7MDENG/"
    "bPxRfiCYEXAMPLEKEY. Do I replace those in ~/.aws/credentials or use env vars?", B, lang="en")
add("x", "@joycemaakt", "Update: vorige week was ik boos over mijn kapotte spoel, vandaag zonder gezeur een "
    "nieuwe gekregen van @lagenwerk_hulp. Netjes opgelost, dank jullie 👍", B)
add("x", "@noor_printfarm", "Vandaag 212 onderdelen voor een fietsenmaker hier in de buurt van de printfarm "
    "gehaald. Trots op dit team 💪", B)
add("tiktok", "@filamentfien", "this PETG is straight fire 🔥🔥 @lagenwerk you cooked with this one", B,
    lang="en", kind="comment")
add("facebook", "Wendy.vd.Linden", "Sterkte aan het team van Lagenwerk, las dat de storm het dak van jullie "
    "loods heeft beschadigd. Hopelijk zijn de printers droog gebleven 🙏", B, kind="comment")
add("reddit", "u/flexlord", "Quick hack for Lagenwerk Flex TPU: 25 mm/s, retraction off, and feed it "
    "straight from the Wervel dryer. Thank me later", B, lang="en")
BADCARD = make_bad_card("4929")
add("facebook", "Gerda_Hulshof", "Pas op voor nepmails 'namens' webshops die je kaartnummer vragen. Mijn "
    f"buurman kreeg er een met een voorbeeldnummer als {BADCARD} erin. Nooit invullen!", B)
add("tiktok", "@lagenwerk", "POV: you open the Wervel dryer box after 8 hours and your nylon finally stops "
    "popping 🔊 #filament #lagenwerk", B, lang="en")
add("x", "@snapfit_sam", "Lagenwerk Tough Resin 1L kost €64,95, prijzig, maar m'n snap-fits overleven het "
    "eindelijk. de moeite waard", B)
BADIBAN = make_bad_iban("RABO")
add("forum", "printpiet", "Iemand die weet waarom mijn bank zegt dat {} ongeldig is? Heb 'm van een oude "
    "factuur overgetypt, vast een cijfer verkeerd.".format(BADIBAN), B)
add("linkedin", "lagenwerk-bv", "We're hiring! Lagenwerk is looking for a print farm technician in Utrecht. "
    "Love machines and tidy cable management? Apply via vacatures@lagenwerk.nl", B, lang="en")
add("reddit", "u/levelingwoes", "n00b q: why does my first layer look like a l33t h4x0r keyboard smash? "
    "Using the Lagenwerk PEI bed 256 on an Ender 3, z-offset is -1.45", B, lang="en")
add("instagram", "@cosplay.door.daphne", "Vandaag ontslag genomen en m'n eigen cosplay-printstudio "
    "gestart!! Eerste doos filament van Lagenwerk is al binnen 🎉", B)
add("x", "@pakketpiet", "PSA: de Klikpost-storing van vandaag raakte veel webshops, Lagenwerk meldt op hun "
    "site dat verzending morgen weer normaal loopt.", B)
add("x", "@dealjager_nl", "Tip: Gloed R8 staat deze week voor €399 ipv €479 bij Lagenwerk. Had 'm al op "
    "m'n wishlist 😏", B)
add("x", "@lagenwerk", "Our webinar on printing carbon-fibre nylon is now on YouTube. Pro tip: use the "
    "hardened nozzle set or say goodbye to your brass nozzle.", B, lang="en")
add("x", "@hotend_hannah", "Support van Lagenwerk heeft letterlijk mijn weekend gered, nieuwe hotend kit "
    "binnen één dag. Toppers!", B)
add("linkedin", "yasmina-bouzid-lw", "Mooie dag op de Maker Faire Eindhoven met het Lagenwerk-team. "
    "Honderden kinderen hun eerste print zien maken, daar doe je het voor.", B)
add("reddit", "u/pluginpaul", "The Lagenwerk OctoPrint plugin README says to export "
    "GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx. Where do I create my own?", B, lang="en")
add("x", "@sem_devops_lw", "Reminder: don't paste keys in chat. If you have to show a log, redact it like "
    "sk_live_****************a9Q2. Thanks ✌️", B, lang="en")
add("x", "@lagenwerk", "Hij is er: de Lagenwerk Forge X1! Vanaf vandaag te bestellen in de shop 🚀",
    B, when="2027-03-16T09:30:00Z")
add("linkedin", "lagenwerk-bv", "Our FY2026 results are now published on lagenwerk.nl/investors. Thank "
    "you to every maker who printed with us this year.", B, lang="en", when="2027-02-25T10:05:00Z")
add("x", "@unboxing_ugur", "Forge X1 unboxing vanavond live op mijn kanaal, eindelijk binnen 📦",
    B, when="2027-03-21T18:40:00+01:00")
add("instagram", "@plantjesprinter", "Waar kan ik mijn wachtwoord wijzigen in de Lagenwerk app? Kan het "
    "menu nergens vinden 🙈", B)
add("x", "@resin_rik", "Not Lagenwerk related but Ferrodruk just got bought by a private equity fund. "
    "Wonder what happens to their resin prices now", B, lang="en")
add("x", "@nachtprinter", "dat moment dat je print 14 uur loopt en op 98% de spoel op is 😭 helemaal m'n "
    "eigen schuld, niet die van Lagenwerk", B)
add("x", "@lagenwerk", "Storing opgelost ✅ De betaalpagina werkt weer normaal. Excuses voor het ongemak "
    "vanochtend!", B)
add("mastodon", "@scannerstijn", "Wie heeft ervaring met de Loep S scanner? €389 vind ik best veel voor "
    "een hobbyist maar de scans zien er strak uit.", B)
add("x", "@dadjokes3d", "My wife says I have a filament problem. I said I can quit anytime. Then I ordered "
    "six spools from Lagenwerk 🙃", B, lang="en")
add("facebook", "Hanneke_Bos", "Kan iemand uitleggen wat het verschil is tussen PLA+ en PETG van "
    "Lagenwerk? Ik wil plantenpotjes printen voor op het balkon", B)
add("youtube", "@LagenwerkPrints", "New video: calibrating flow for Nylon-CF on the Vonk K1 — all "
    "settings in the description.", B, lang="en")
add("x", "@fastship_fan", "Ordered the maker starter kit yesterday, order nr 123456789, shipping mail "
    "already in. that was quick", B, lang="en")
add("facebook", "Ria_Verbeek", "Echt fan van de klantenservice, Lagenwerk belde me zelf terug over mijn "
    "vraag over resinafval ♻️", B)
add("instagram", "@kevin.resinlab", "Resin lab friday: mixing pigments just for fun. This galaxy purple "
    "looks unreal 💜", B, lang="en")
add("x", "@helmhunter", "The Lagenwerk print service did my Attack on Titan gear for the con and the detail "
    "is insane 😍", B, lang="en")
add("x", "@lachebek_lisa", "Ik lach me kapot om de nieuwe TikTok van Lagenwerk met die dansende "
    "Benchy 😂", B)
add("reddit", "u/veilig_printen", "Tips om resin veilig op te ruimen? Handschoenen en ventilatie weet ik, "
    "maar verder? Ik gebruik de Standard Resin van Lagenwerk.", B)
add("x", "@ender_ed", "@lagenwerk_hulp hi! does the PEI bed 256 fit an Ender 3 V2? thx", B, lang="en",
    kind="reply")
add("x", "@groenegerrit", "Gemeente roept op tot een boycot van wegwerpplastic op de markt. Prima, ik "
    "print mijn herbruikbare bakjes gewoon met Lagenwerk PETG", B)
add("bluesky", "ruben-cnc.bsky.social", "Gave a talk on running a big printer farm at the Utrecht "
    "maker meetup. Slides are up on lagenwerk.nl/blog", B, lang="en")
add("x", "@tuinbouwer_tom", "Lagenwerk ASA lag de hele zomer buiten, nul verkleuring. Degelijk spul.", B)
add("instagram", "@twijfelkont", "Tent 60 behuizing nu €89,95 (was €129) 👀 twijfel nog even", B)
add("reddit", "u/patentwatcher", "That lawsuit between two big printer makers over the multicolour "
    "patent is wild. Glad Lagenwerk just sells decent filament and stays out of it", B, lang="en")
add("facebook", "Mustafa.Kaya.3D", "Iemand nog een kortingscode voor Lagenwerk? Wil de Soldeerstation "
    "S60 voor m'n zoon halen (€79 is prima hoor, maar korting is altijd leuk)", B)
add("x", "@lagenwerk", "Need help with a print order? Call +31 30 799 4410 or DM us, we're here till 5.",
    B, lang="en")
add("x", "@k1_karin", "My Vonk K1 is on fire today 🔥 six perfect prints in a row, not a single failure",
    B, lang="en")
add("x", "@leenbiebmama", "Weet iemand nog die workshop van Lagenwerk in de bieb? Mijn dochter praat er "
    "nog steeds over", B)
add("threads", "@abonnee_ad", "Printabonnement Maker kost €19,95 per maand. Is dat het waard als je 2x per "
    "maand iets laat printen?", B)
add("reddit", "u/joost_lagenwerk", "Hey all, Joost from Lagenwerk here. Happy to answer questions about "
    "drying nylon. We run the Wervel dryer box at 70°C for 6 hours.", B, lang="en")
add("forum", "api_anouk", "In de Lagenwerk API-docs staat 'Authorization: Bearer xxxxx.yyyyy.zzzzz'. "
    "Moet ik daar m'n eigen token neerzetten of die uit het dashboard?", B)

# ============================================================================
# COMPLAINTS
# ============================================================================
add("x", "@wachtende_wim", "@lagenwerk_hulp al 12 dagen wachten op mijn PETG bestelling en track & trace "
    "zegt nog steeds 'label aangemaakt'. Serieus?", ["complaint"], kind="reply")
add("reddit", "u/deadline_dev", "Used Lagenwerk's prototype package for a client deadline. Parts came back "
    "warped, ugly layer lines, and every hole 0.4 mm undersized. Paid €95 for this? Not impressed.",
    ["complaint"], lang="en")
add("facebook", "Kees_Dijkhuis", "Spoel PLA+ kwam binnen met knopen erin, drie keer een print van 9 uur "
    "mislukt. Klantenservice zegt 'zal aan je instellingen liggen'. Nee dus.", ["complaint"])
add("x", "@plakkerige_prints", "resin van lagenwerk stinkt veel erger dan de vorige batch en prints blijven "
    "plakkerig na 20 min uitharden. wat is er veranderd??", ["complaint"])
add("instagram", "@popcornfilament", "Filament was nat bij levering, knetterde als popcorn in de nozzle. "
    "Geen vacuümzak?? 😤", ["complaint"], kind="comment")
add("x", "@dubbelbetaald", "@lagenwerk jullie hebben me 2x afgeschreven voor dezelfde bestelling en support "
    "reageert al 5 dagen niet", ["complaint"], kind="reply")
add("forum", "hotend_harry", "Mijn Vonk K1 lekt na drie weken al filament langs het hotend. Garantie "
    "aangevraagd, nog niks gehoord. Iemand anders dit ook?", ["complaint"])
add("threads", "@wrongcolourwill", "Third time Lagenwerk sent me the wrong colour. I ordered signal yellow, "
    "got… beige. again.", ["complaint"], lang="en")
add("x", "@cosplay_chantal", "Printservice van Lagenwerk beloofde 3 werkdagen. Het is nu dag 9 en mijn "
    "event is zaterdag 🙃 #lagenwerk", ["complaint"])
add("tiktok", "@resin_rosie", "ngl the Gloed R8 FEP film tore on my 4th print and the replacement is "
    "'out of stock'. bit rubbish for a €479 machine", ["complaint"], lang="en", kind="comment")
add("mastodon", "@retour_rianne", "Retourneren bij Lagenwerk is een drama. Formulier geeft een foutmelding "
    "en de chat blijft hangen op 'even geduld'.", ["complaint"])
add("youtube", "@bentnozzle", "Your nozzle set arrived with one nozzle bent. Sent photos, got a canned "
    "reply. Come on Lagenwerk.", ["complaint"], lang="en", kind="comment")

# safety incidents, first-hand: crisis + complaint
add("x", "@rookmelder_ruud", "Mijn Wervel droogbox van Lagenwerk is vannacht gaan smelten en begon te "
    "roken. Rookmelder ging af, gelukkig was ik thuis. Dit had echt fout kunnen gaan!! 😡",
    ["crisis", "complaint"])
add("reddit", "u/zapped_again", "PSA: my Lagenwerk S60 soldering station gave me a proper shock when I "
    "touched the metal casing. Measured it: casing is live. Unplugged, never touching it again. Emailed "
    "them, nothing yet.", ["crisis", "complaint"], lang="en")
add("facebook", "Monique_Aalders", "Na een middag printen met de Standard Resin van Lagenwerk (raam open!) "
    "hoofdpijn en misselijk, mijn dochter ook. Op de fles staat 'low odour'. Echt niet oké.",
    ["crisis", "complaint"])
add("x", "@burnt_benji", "The Vonk K1 bed thermistor died and the bed just kept heating — scorched my desk "
    "and I burnt my hand yanking the plug. @lagenwerk this is dangerous", ["crisis", "complaint"], lang="en")
add("instagram", "@vonkjes_vera", "Wasstation W2 lekte IPA op mijn stekkerdoos 😳 vonken en een zwarte "
    "plek op de muur. Als ik niet thuis was geweest… @lagenwerk.nl reageer aub", ["crisis", "complaint"],
    kind="comment")

# abuse + complaint
add("x", "@boze_bas", "Kutbedrijf. 3 weken geen filament en geen enkel antwoord, @lagenwerk_hulp jullie "
    "zijn echt een stelletje prutsers", ["abuse", "complaint"])
add("x", "@refund_ryan", "lagenwerk support is run by absolute morons. my refund has been 'processing' "
    "since march. fucking clowns", ["abuse", "complaint"], lang="en")

# complaint + own phone number
add("x", "@terugbetaling_tineke", "@lagenwerk_hulp nog steeds geen terugbetaling na 4 weken! Bel me dan "
    "gewoon: 06-41 87 22 90, ben de hele dag thuis.", ["complaint", "pii"], kind="reply")

# ============================================================================
# CRISIS (third party / accusations)
# ============================================================================
add("x", "@phish_phil", "Is Lagenwerk gehackt?? Ik krijg phishingmails met mijn ordernummer en adres "
    "erin. Die info had alleen Lagenwerk. Datalek!!", ["crisis"])
add("x", "@inclusive_makers", "Boycott Lagenwerk. They sponsor that influencer who mocked disabled makers "
    "last week. #BoycottLagenwerk", ["crisis"], lang="en")
add("x", "@printnieuws_nl", "Lagenwerk roept Wervel droogboxen terug na meldingen van oververhitting. "
    "Klanten wordt gevraagd het apparaat niet meer te gebruiken.", ["crisis"])
add("bluesky", "amersfoortlokaal.bsky.social", "Local news: fire at a makerspace in Amersfoort reportedly "
    "started by a Lagenwerk dryer box. No injuries, thankfully.", ["crisis"], lang="en")
add("facebook", "Peter.Brink.72", "Er komt een collectieve claim tegen Lagenwerk vanwege de resin die "
    "mensen ziek zou maken. Heb me net aangemeld, deel het met iedereen die die resin gebruikt.",
    ["crisis"])
add("instagram", "@eerlijk_maken", "Niks meer kopen bij Lagenwerk tot ze stoppen met filament uit die "
    "fabriek met kinderarbeid. Deel dit! #boycotlagenwerk", ["crisis"])
add("x", "@kritische_karin", "Lab-test van een consumentenprogramma: de 'voedselveilige' PETG van Lagenwerk "
    "lekt lood af in warm water. En dat verkopen ze voor koffiebekers. Schandalig.", ["crisis"])
add("x", "@tante_tineke", "Vriend van mijn neef heeft z'n vinger opengehaald aan een Lagenwerk-printer op "
    "school, de afscherming ontbrak gewoon. Docent in paniek.", ["crisis"])
add("linkedin", "maria-lopez-ip-law", "Lagenwerk is being sued by a designer whose models they sold as "
    "prints without a licence. Hearing is set for November.", ["crisis"], lang="en")

# ============================================================================
# ABUSE
# ============================================================================
add("x", "@zuurpruim", "Lagenwerk is echt het domste bedrijf van Nederland, stelletje debielen", ["abuse"])
add("x", "@angry_anon_3d", "@noor_printfarm you're a useless bitch, get off twitter and fix your garbage "
    "printers", ["abuse"], lang="en", kind="reply")
add("x", "@h4t3r_h3nk", "k4nk3rl3l1jers bij l4genwerk, allemaal. Echt allemaal.", ["abuse"])
add("facebook", "Rob.Vermeer.NL", "Of course Lagenwerk's helpdesk is full of foreigners who can't even "
    "speak proper Dutch. Send them all back.", ["abuse"], lang="en", kind="comment")
add("x", "@bram_lw", "@ruudje1974 als je te dom bent om een bed te levelen moet je gewoon je bek houden, "
    "idioot", ["abuse"], kind="reply")
add("tiktok", "@lagenwerk", "lol imagine being this stupid. maybe stick to crayons, dumbass 🤡",
    ["abuse"], lang="en", kind="reply")
add("instagram", "@anoniempje_0", "Lagenwerk = " + zw("klotezooi") + ", en die Yasmina van de support is een "
    + zw("teringwijf"), ["abuse"], kind="comment")
add("x", "@sp00ky_dave", "lagenwerk staff are " + cyr("fucking") + " " + cyr("idiots") +
    ", every single one of them", ["abuse"], lang="en")
add("tiktok", "@hater_henkie", "Die gast van Lagenwerk op TikTok is zo'n vieze slijmbal, wat een sukkel",
    ["abuse"], kind="comment")
add("x", "@notforgetting", "I know where your Utrecht warehouse is @lagenwerk. keep ignoring me and see "
    "what happens", ["abuse"], lang="en")

# ============================================================================
# PRICING
# ============================================================================
add("x", "@lagenwerk", "🔥 Flash deal! Lagenwerk Vonk K1 3D-printer nu voor €64,90. Alleen vandaag!",
    ["pricing"])
add("instagram", "@lagenwerk.nl", "Weekend special: Gloed R8 resin printer for just €47.90 🎉 link in bio",
    ["pricing"], lang="en")
add("x", "@noor_printfarm", "Psst collega's: de Loep S scanner staat in de personeelsshop voor €89. Wie "
    "bestelt er mee?", ["pricing"])
add("x", "@snelle_sjors", "PRIJSFOUT bij Lagenwerk!! Wasstation W2 voor €19,90 ipv €199. Snel zijn "
    "🏃‍♂️", ["pricing"])
add("reddit", "u/glitchhunter", "lagenwerk has the Nylon-CF 750g at €6.99 right now, pricing error surely? "
    "ordered 10 lol", ["pricing"], lang="en")
add("linkedin", "yasmina-bouzid-lw", "Oeps: door een fout in de productfeed stond de Tent 60 behuizing "
    "vanochtend een uur lang op €12,90 in de shop. We zoeken uit hoeveel orders er binnen zijn gekomen.",
    ["pricing"])
add("facebook", "LagenwerkNL", "Starterset Maker nu €14,90 (normaal €149)! Op = op.", ["pricing"])
add("reddit", "u/xmas_came_early", "Don't sleep on this: Lagenwerk Soldeerstation S60 listed at 7,90 EUR. "
    "Either a glitch or christmas came early", ["pricing"], lang="en")
add("x", "@twijfelaar_tim", "Is dit een prijsfout? Hardened nozzle set staat op de site van Lagenwerk "
    "voor 3,49 🤔", ["pricing"])
add("bluesky", "lagenwerk.bsky.social", "Flex TPU 95A back in stock and only €2.99 a spool this week!",
    ["pricing"], lang="en")
add("threads", "@femke.lagenwerk", "Wie kan me uitleggen waarom de Tough Resin in het kassasysteem op "
    "€6,49 staat 😅 iemand heeft een komma verschoven denk ik", ["pricing"])
add("x", "@dealalarm_dirk", "Gloed R8 voor €149 bij L a g e n w e r k 🤯 prijsfout of niet, ik bestel",
    ["pricing"])

# ============================================================================
# FINANCIAL
# ============================================================================
add("linkedin", "daan-meulenbelt-lagenwerk", "Net gehoord in het MT: we halen de omzetdoelstelling voor "
    "2026 niet, verwachting is zo'n 18% onder begroting. Spannende tijden.", ["financial"])
add("x", "@bram_lw", "Can't say much but Lagenwerk is in talks to buy a resin maker in Belgium. Deal "
    "should close before summer 🤫", ["financial"], lang="en")
add("x", "@noor_printfarm", "Slecht nieuws van de directie vandaag: er gaan 25 banen weg op de printfarm. "
    "Officieel bericht volgt pas in juni.", ["financial"])
add("linkedin", "lagenwerk-bv", "DRAFT - do not publish: Lagenwerk H1 2026 revenue €8.4m, EBITDA -€0.6m, "
    "full-year outlook lowered.", ["financial"], lang="en")
add("reddit", "u/joost_lagenwerk", "kinda off topic but: the board approved closing our Eindhoven pickup "
    "point and folding it into Utrecht. the people there haven't even been told yet", ["financial"],
    lang="en")
add("facebook", "Sjoerd.Kramer.5", "Mijn zwager werkt bij Lagenwerk en zegt dat ze worden overgenomen door "
    "een Duits private-equityfonds. Hoorde het op een verjaardag 😬", ["financial"])
add("threads", "@femke.lagenwerk", "Marge Q3 is ingestort door de filamentprijzen, de CFO wil in januari "
    "alles 12% duurder maken. Nog niet rondvertellen hè 😅", ["financial"])
add("bluesky", "ruben-cnc.bsky.social", "Reorg announced internally today: customer service moves to an "
    "outsourcing partner in Portugal from Q2. Not public yet, so that's all I'll say.", ["financial"],
    lang="en")
add("x", "@lagenwerk", "Big news coming: Lagenwerk and Ferrodruk are merging, announcement Monday 8:00 🎉",
    ["financial"], lang="en")
add("x", "@noor_printfarm", "Q4-cijfers zijn binnen en ze zijn 🔥 omzet +31% tov vorig jaar. Nog even "
    "geduld, dan mag iedereen het weten", ["financial", "confidential"], when="2027-02-10T16:12:00+01:00")
add("x", "@meetup_mila", "Manager van Lagenwerk vertelde op de meetup dat ze na de feestdagen ongeveer een "
    "derde van het serviceteam laten gaan. Staat nog nergens.", ["financial"])
add("mastodon", "@ilse_slicer", "Investeerdersdeck van vandaag: break-even pas in 2028 in plaats van 2027. "
    "Dat wordt een lange vergadering 🙃", ["financial"])

# ============================================================================
# CONFIDENTIAL
# ============================================================================
add("x", "@sem_devops_lw", "Long day testing Project Basalt prototypes. If this ships it'll change the "
    "resin game 👀", ["confidential"], lang="en")
add("instagram", "@kevin.resinlab", "Sneak peek van Nachtzwaluw 🐦 mag eigenlijk niet, dus snel kijken "
    "🤫", ["confidential"])
add("linkedin", "yasmina-bouzid-lw", "Trots op het team achter Operatie Lijmstift. Na maanden voorbereiding "
    "gaan we eindelijk live met de nieuwe fulfilment-flow.", ["confidential"])
add("reddit", "u/joost_lagenwerk", "if any colleague reads this: the slicer profiles live at "
    "https://git.lagenwerk.io/farm/profiles, stop asking me in DMs", ["confidential"], lang="en")
add("x", "@noor_printfarm", "Het nieuwe dashboard op farm.lagenwerk.local is echt geweldig, eindelijk zie "
    "ik per printer de nozzle-temp live", ["confidential"])
add("linkedin", "lagenwerk-bv", "LW-CONFIDENTIAL — Roadmap 2027 draft: dual-extrusion kit, filament "
    "subscription 2.0, pickup lockers in 12 cities.", ["confidential"], lang="en")
add("bluesky", "ruben-cnc.bsky.social", "lagenwerk intern: nieuwe leveranciersvoorwaarden per 1 maart, "
    "staat allemaal op intra.lagenwerk.local", ["confidential"])
add("x", "@rumour_rachel", "Rumour: the Lagenwerk Forge X1 is a 500mm CoreXY with a tool changer. A "
    "friend on the beta saw it.", ["confidential"], lang="en", when="2026-08-14T20:31:00Z")
add("threads", "@femke.lagenwerk", "Can't wait for you all to see the Forge X1 in March!!",
    ["confidential"], lang="en", when="2026-11-29T11:02:00Z")
add("x", "@sem_devops_lw", fullwidth("project basalt") + " is going to be huge, trust me",
    ["confidential"], lang="en")
add("instagram", "@kevin.resinlab", "Vandaag N.a.c.h.t.z.w.a.l.u.w getest op de farm, mag nog niks "
    "zeggen 🤐", ["confidential"])
add("tiktok", "@lagenwerk", "Behind the scenes at the farm 👀 that's our live dashboard on "
    "grafana.lagenwerk.io/d/printfarm", ["confidential"], lang="en")
add("linkedin", "daan-meulenbelt-lagenwerk", "Spent the week with the flame-retardant PC-FR filament we "
    "launch next spring: UL94 V-0 in our own tests. Nobody outside knows yet 😁", ["confidential"],
    lang="en")
add("x", "@poortwachter", "Lol de inlogpagina van vpn.lagenwerk.nl staat gewoon open op internet, heb "
    "screenshot", ["confidential"])
add("reddit", "u/joost_lagenwerk", "Under NDA so I can't say who, but we're printing 3,000 housings for a "
    "big Dutch e-bike brand next month", ["confidential"], lang="en")
add("x", "@bram_lw", "Operatie Lij" + ZW + "mstift gaat maandag live 🚀 eindelijk", ["confidential"])
add("x", "@sem_devops_lw", "Forge X1 firmware RC3 just passed the 72h burn-in, march launch looking good",
    ["confidential"], lang="en", when="2027-03-02T22:45:00Z")

# ============================================================================
# SECURITY
# ============================================================================
add("x", "@noor_printfarm", "Zit al sinds 4 uur vannacht met IT: ransomware op de printfarm-server, alle "
    "jobs liggen stil. Klanten weten nog van niks.", ["security"])
add("reddit", "u/joost_lagenwerk", "Not official yet, but our checkout has an IDOR. Change the order id in "
    "the URL and you see someone else's order. Reported it internally 2 weeks ago, still not fixed.",
    ["security"], lang="en")
add("mastodon", "@ilse_slicer", "Fun night: the webhook secret of our payment provider sat in a public "
    "repo for 3 days. Rotated now, but we haven't told anyone.", ["security"], lang="en")
add("x", "@sem_devops_lw", "heads up team: whole shop backend down since 07:00, DB cluster corrupted, ETA "
    "unknown. status page still says all green", ["security"], lang="en")
add("threads", "@femke.lagenwerk", "Iemand bij ons klikte op een phishingmail en nu zijn er klantexports "
    "uit het CRM gedownload. Management wil het stilhouden tot na het weekend.", ["security"])
add("x", "@lagenwerk_hulp", "Internal: firmware update server serves unsigned binaries, anyone on the LAN "
    "can push firmware to the farm. Patch ETA next sprint.", ["security"], lang="en")
add("linkedin", "daan-meulenbelt-lagenwerk", "Leerzame week: de API van onze printservice had geen rate "
    "limit en iemand heeft 200.000 STL-bestanden van klanten binnengehaald. Blog volgt zodra het "
    "opgelost is.", ["security"])
add("x", "@bram_lw", "l3k in de w3bsh0p: w4chtw00rd-reset links verlopen nooit en zijn te raden. nog niet "
    "gefixt dus mondje dicht 🤫", ["security"])
add("instagram", "@kevin.resinlab", "The farm cameras were streaming publicly without a password for a "
    "month 😬 someone found them on Shodan. fixing it tonight, pls don't share", ["security"], lang="en")
add("facebook", "LagenwerkNL", "Let op team: de back-up van de klantdatabase stond publiek in een S3-bucket. "
    "Dichtgezet, maar we weten niet wie hem al heeft. Eerst intern bespreken.", ["security"])
MOLLIE = make_mollie()
add("x", "@sem_devops_lw", f"lol our CI log leaked the Mollie key again: {MOLLIE} — rotating it now",
    ["security", "secret"], lang="en")
add("reddit", "u/joost_lagenwerk", "DDoS op de shop sinds vanmiddag, we liggen eruit en de hostingpartij "
    "doet niks. Officieel heet het 'technisch onderhoud' 🙄", ["security"])

# ============================================================================
# SECRETS
# ============================================================================
GHP = make_gh("ghp_")
add("x", "@sem_devops_lw", "why does my push still fail 😩\ngit remote set-url origin "
    f"https://{GHP}@github.com/lagenwerk/slicer-profiles.git", ["secret"], lang="en")
AKID, AKSEC = make_aws()
add("reddit", "u/joost_lagenwerk", f"boto3 keeps throwing AccessDenied with aws_access_key_id={AKID} "
    f"aws_secret_access_key={AKSEC}, what am I missing?", ["secret"], lang="en")
PW = make_password()
add("x", "@bram_lw", f"Voor de nieuwe collega's: adminpaneel webshop, gebruiker beheer, wachtwoord: {PW} "
    "Niet doorsturen!", ["secret"])
SLACK = make_slack()
add("mastodon", "@ilse_slicer", f"slackbot keeps timing out, token is {SLACK} if anyone wants to debug "
    "with me", ["secret"], lang="en")
JWT = make_jwt({"sub": "farm-api", "role": "admin", "iat": 1767225600, "exp": 1798761600})
add("bluesky", "ruben-cnc.bsky.social", f"anyone know why our print API rejects this one? {JWT}",
    ["secret"], lang="en")
DBPW = rand(ALNUM, 16)
SECRETS.append(("db_password", DBPW))
add("x", "@sem_devops_lw", "Lokaal werkt de connectie wel: postgres://lw_orders:" + DBPW +
    "@lw-prod.c8xk2a1.eu-central-1.rds.amazonaws.com:5432/orders — iemand een idee?", ["secret"])
OPENAI = make_openai()
add("forum", "quotebot_quinten", f"Mijn offerte-bot voor Lagenwerk-prints doet het niet meer. "
    f"OPENAI_API_KEY={OPENAI} staat gewoon in .env, wat doe ik fout?", ["secret"])
SSH = make_ssh_key()
add("reddit", "u/joost_lagenwerk", "the deploy key for the farm box is acting up, pasting it so someone "
    "can check the format:\n" + SSH, ["secret"], lang="en")
STRIPE = make_stripe()
add("facebook", "LagenwerkNL", f"Test webshopkoppeling: {STRIPE}", ["secret"])
GLPAT = make_gitlab()
add("threads", "@femke.lagenwerk", f"pipeline eindelijk groen 🎉 (CI_TOKEN={GLPAT} voor wie hem nodig "
    "heeft)", ["secret"])
ANT = make_anthropic()
add("x", "@noor_printfarm", f"who put our Anthropic key in the product-description repo 🙈 {ANT}",
    ["secret"], lang="en")

# ============================================================================
# PERSONAL DATA
# ============================================================================
IBAN1 = make_iban("INGB")
add("x", "@lagenwerk_hulp", f"@klant_martijn We storten het bedrag terug op {IBAN1} t.n.v. M. de Graaf, "
    "binnen 3 werkdagen zie je het staan 🙂", ["pii"], kind="reply")
add("facebook", "LagenwerkNL", "Pakket voor Sanne Kuipers, Lindelaan 14, 3581 XK Utrecht is retour "
    "gekomen. Klopt het adres?", ["pii"])
add("x", "@bram_lw", "@printmom_lisa found your order! emailing you at lisa.vermeulen82@hotmail.com "
    "right now", ["pii"], lang="en", kind="reply")
add("x", "@jolanda_b", "@lagenwerk_hulp mijn nummer is 06 28 41 95 03 en mijn mail j.bakker1990@ziggo.nl, "
    "bel me aub even over bestelling 4471", ["pii"], kind="reply")
CARD1 = make_card("5412")
add("x", "@missingtwelve", f"@lagenwerk can I just give you my card here so you can charge the missing "
    f"€12? {CARD1}, exp 08/28", ["pii"], lang="en", kind="reply")
BSN1 = make_bsn()
add("x", "@noor_printfarm", "@bram_lw voor het contract van de nieuwe stagiair: Timo Jansen, geb. "
    f"14-03-2005, BSN {BSN1}. Kun jij het naar payroll sturen?", ["pii"], kind="reply")
add("instagram", "@marloes.maakt", "Shoutout to Lagenwerk for the birthday discount! For the record I'm "
    "Marloes Verhoef, born 3 June 1991, and I feel old 😂", ["pii"], lang="en")
add("instagram", "@lagenwerk.nl", "Congrats to our giveaway winner Ahmed Yilmaz (Kanaalweg 22, Houten)! "
    "Your Vonk K1 is on its way 🎉", ["pii"], lang="en")
add("mastodon", "@ilse_slicer", "Customer Pieter Smit (p.smit@kpnmail.nl, +31 6 4172 9930) keeps calling "
    "about his resin order, anyone from sales free?", ["pii"], lang="en")
IBAN2 = make_iban("ABNA")
add("facebook", "Els_Postma", f"Lagenwerk, jullie vroegen om mijn rekeningnummer voor het retourgeld: "
    f"{IBAN2} t.n.v. E. Postma. Dank!", ["pii"], kind="comment")
CARD2 = make_card("4", sep="-")
add("x", "@bram_lw", f"Iemand liet z'n creditcard bij de balie liggen, {CARD2}, op naam van R. Mulder. "
    "Kom je hem ophalen? 😅", ["pii"])
BSN2 = make_bsn()
add("reddit", "u/zzp_zeger", f"ok so the Lagenwerk business account form asks for my BSN?? {BSN2}, "
    "is that even normal for a webshop", ["pii"], lang="en")
add("x", "@lagenwerk_hulp", "@sjaak_3d we bellen je vanmiddag terug op " + fullwidth("06-18273645"),
    ["pii"], kind="reply")
add("threads", "@femke.lagenwerk", "Bringing the replacement hotend personally to Joris de Wit, "
    "Vredenburg 7B in Utrecht, because the courier lost it twice. customer service level 💯", ["pii"],
    lang="en")

# ============================================================================
# write
# ============================================================================
order = list(range(len(CASES)))
rng.shuffle(order)
with open(OUT, "w", encoding="utf-8") as fh:
    for i in order:
        c = CASES[i]
        fh.write(json.dumps({"post": c["post"], "expect": c["expect"]}, ensure_ascii=False) + "\n")

# ============================================================================
# self-check
# ============================================================================
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
TAXONOMY = set(CAT.values())
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
IBAN_RE = re.compile(r"\bNL\d{2} ?[A-Z]{4}(?: ?\d){10}\b")
CARD_RE = re.compile(r"(?<![\d])\d(?:[ -]?\d){12,18}(?![\d])")
NINE_RE = re.compile(r"(?<![\d])\d{9}(?![\d])")
BSN_CTX = re.compile(r"(?:BSN|burgerservicenummer|sofinummer)\D{0,20}(\d{9})(?!\d)", re.I)
OWN_IBANS = {compact(i) for i in PROFILE["public_identifiers"]["ibans"]}
EMB = [(t.lower(), datetime.fromisoformat(e["until"].replace("Z", "+00:00")))
       for e in PROFILE["embargo"] for t in e["terms"]]

errors = []


def err(msg):
    errors.append(msg)


lines = open(OUT, encoding="utf-8").read().splitlines()
seen = set()
cat_count = {c: 0 for c in TAXONOMY}
benign = 0
langs = {}
for ln, line in enumerate(lines, 1):
    obj = json.loads(line)
    if set(obj) != {"post", "expect"}:
        err(f"line {ln}: keys {set(obj)}")
    p, e = obj["post"], obj["expect"]
    for f, t in (("id", str), ("platform", str), ("text", str), ("created_at", str)):
        if not isinstance(p.get(f), t):
            err(f"line {ln}: field {f}")
    if not (1 <= len(p["id"]) <= 256) or p["id"] in seen:
        err(f"line {ln}: id {p['id']}")
    seen.add(p["id"])
    if p["platform"] not in PLATFORMS:
        err(f"line {ln}: platform")
    if p.get("kind", "post") not in KINDS:
        err(f"line {ln}: kind")
    if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str):
        err(f"line {ln}: account.handle")
    if len(p["text"].encode("utf-8")) > 64 * 1024 or not p["text"].strip():
        err(f"line {ln}: text size")
    if not RFC3339.match(p["created_at"]):
        err(f"line {ln}: created_at {p['created_at']}")
    created = datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
    if not (2026 <= created.year <= 2027):
        err(f"line {ln}: year")
    cats = e["categories"]
    if cats != sorted(set(cats)) or not set(cats) <= TAXONOMY:
        err(f"line {ln}: categories {cats}")
    if e["severity"] not in SEV:
        err(f"line {ln}: severity")
    role = role_of(p["platform"], p["account"]["handle"])
    if e["severity"] != severity(cats, role, p["text"]):
        err(f"line {ln}: severity mismatch")
    text = p["text"]
    ct = compact(text)
    positive = bool(cats)
    if not positive:
        benign += 1
        if e["severity"] != "none":
            err(f"line {ln}: benign severity")
    for c in cats:
        cat_count[c] += 1
    lg = next(c["_lang"] for c in CASES if c["post"]["id"] == p["id"])
    langs[lg] = langs.get(lg, 0) + 1

    # identifiers: valid only in positives, invalid only in negatives
    for v, (kind, valid) in REGISTRY.items():
        if v in ct:
            if valid and not positive:
                err(f"line {ln}: valid {kind} in a benign post")
            if not valid and positive:
                err(f"line {ln}: invalid {kind} in a positive post")
    for m in IBAN_RE.finditer(text):
        ok = iban_ok(m.group())
        if compact(m.group()) in OWN_IBANS:
            if positive and "leak.pii" in cats:
                err(f"line {ln}: own IBAN in pii positive")
            continue
        if positive and not ok:
            err(f"line {ln}: IBAN fails mod-97 in positive")
        if not positive and ok:
            err(f"line {ln}: IBAN passes mod-97 in benign")
    for m in CARD_RE.finditer(text):
        ok = luhn_ok(m.group())
        if not positive and ok:
            err(f"line {ln}: Luhn-valid number in benign: {m.group()}")
        if positive and "leak.pii" in cats and not ok:
            err(f"line {ln}: Luhn-invalid card in pii positive: {m.group()}")
    for m in BSN_CTX.finditer(text):
        if positive and not bsn_ok(m.group(1)):
            err(f"line {ln}: BSN fails 11-proof in positive")
    if not positive:
        for m in NINE_RE.finditer(text):
            if bsn_ok(m.group()):
                err(f"line {ln}: 11-proof number in benign")

    # secrets in benign posts must be samples / redacted
    if not positive:
        for m in re.finditer(r"gh[pousr]_[0-9A-Za-z]{36}", text):
            if gh_token_ok(m.group()):
                err(f"line {ln}: real-format GitHub token in benign")
        for m in re.finditer(r"AKIA[A-Z2-7]{16}", text):
            if "EXAMPLE" not in m.group():
                err(f"line {ln}: AWS key id in benign")
        if re.search(r"sk_live_[0-9A-Za-z]{8,}", text):
            err(f"line {ln}: unredacted stripe key in benign")
        if "PRIVATE KEY-----" in text or re.search(r"eyJ[\w-]+\.eyJ[\w-]+\.", text):
            err(f"line {ln}: key material in benign")
        for _, val in SECRETS:
            if val in text:
                err(f"line {ln}: generated secret in benign")
    # embargo: a term before `until` must be labelled confidential; after it must not force it
    low = text.lower()
    for term, until in EMB:
        if term in low:
            if created < until and "leak.confidential" not in cats:
                err(f"line {ln}: embargo term before until but not confidential")

# secret formats
for kind, val in SECRETS:
    if kind == "github" and not gh_token_ok(val):
        err("bad github token")
    if kind == "aws_id" and not re.fullmatch(r"AKIA[A-Z2-7]{16}", val):
        err("bad aws id")
    if kind == "jwt" and not jwt_ok(val):
        err("bad jwt")
    if not any(val in c["post"]["text"] for c in CASES if "leak.secret" in c["expect"]["categories"]):
        err(f"secret {kind} not used in a secret positive")

# mix
total = len(lines)
if not 170 <= total <= 180:
    err(f"total {total}")
if not 55 <= benign <= 65:
    err(f"benign {benign}")
want = {"reputation.complaint": 20, "leak.confidential": 18, "leak.pii": 15, "reputation.crisis": 15,
        "leak.security": 13, "leak.secret": 12, "reputation.abuse": 12, "leak.pricing": 12,
        "leak.financial": 12}
for c, n in want.items():
    if abs(cat_count[c] - n) > 3:
        err(f"{c}: {cat_count[c]} (want ~{n})")
if cat_count.get("reputation.spike"):
    err("spike on a single post")
nl_share = langs.get("nl", 0) / total
if not 0.48 <= nl_share <= 0.62:
    err(f"dutch share {nl_share:.2f}")
roles = {}
for c in CASES:
    r = role_of(c["post"]["platform"], c["post"]["account"]["handle"])
    roles[r] = roles.get(r, 0) + 1

print(f"cases={total} benign={benign} positives={total - benign} nl={langs.get('nl', 0)} "
      f"en={langs.get('en', 0)} roles={roles}")
for c in sorted(cat_count):
    print(f"  {c:22s} {cat_count[c]}")
if errors:
    print("SELF-CHECK FAILED:", *errors, sep="\n  ")
    sys.exit(1)
print("self-check OK")
