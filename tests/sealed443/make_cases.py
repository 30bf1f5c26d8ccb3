#!/usr/bin/env python3
"""Build the sealed443 evaluation set for postwatch.

Company: Lindevoort Wand & Verf B.V. (fictional wallpaper and paint webshop with
showrooms), profile in profile.yaml beside this script.

Deterministic: a fixed seed drives every generated identifier, credential, id and
timestamp. Writes cases.jsonl beside itself and checks it:
  * every line is a valid CONTRACT section 6 case (post shape, categories, severity);
  * severities are computed from CONTRACT section 4 and the account role that the
    profile gives the handle (the intended role of each case is asserted too);
  * every IBAN / card / BSN in a positive passes its checksum, every look-alike in a
    benign post fails it (the company's own published IBAN excepted);
  * generated credentials are well-formed (GitHub CRC-32 checksum, AWS key id
    alphabet, JWT header with alg, ...);
  * embargo terms, codenames and prices agree with the labels.
Standard library + PyYAML only.
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
PROFILE = os.path.join(HERE, "profile.yaml")
OUT = os.path.join(HERE, "cases.jsonl")

SEED = 443
rng = random.Random(SEED)

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base62 order
B32 = string.ascii_uppercase + "234567"
URLSAFE = string.ascii_letters + string.digits + "-_"

CATS = {
    "secret": "leak.secret",
    "pii": "leak.pii",
    "pricing": "leak.pricing",
    "conf": "leak.confidential",
    "fin": "leak.financial",
    "sec": "leak.security",
    "crisis": "reputation.crisis",
    "complaint": "reputation.complaint",
    "abuse": "reputation.abuse",
}
TAXONOMY = set(CATS.values()) | {"reputation.spike"}
SEV_ORDER = ["none", "info", "warning", "error", "critical"]
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube",
             "reddit", "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}

# --------------------------------------------------------------------------
# identifier generators and validators
# --------------------------------------------------------------------------

def _iban_num(s):
    return int("".join(str(int(c, 36)) for c in s))


def iban_ok(iban):
    s = re.sub(r"\s", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return _iban_num(s[4:] + s[:4]) % 97 == 1


def iban_make(cc, bban):
    check = 98 - _iban_num(bban + cc + "00") % 97
    return "%s%02d%s" % (cc, check, bban)


def gen_iban(cc):
    if cc == "NL":
        bank = rng.choice(["INGB", "ABNA", "RABO", "SNSB", "ASNB", "TRIO", "BUNQ", "KNAB"])
        bban = bank + "".join(rng.choice(string.digits) for _ in range(10))
    elif cc == "BE":
        first = "".join(rng.choice(string.digits) for _ in range(10))
        chk = int(first) % 97 or 97
        bban = first + "%02d" % chk
    elif cc == "DE":
        bban = "".join(rng.choice(string.digits) for _ in range(18))
    else:
        raise ValueError(cc)
    iban = iban_make(cc, bban)
    assert iban_ok(iban)
    return iban


def bad_iban(cc):
    good = gen_iban(cc)
    chk = int(good[2:4])
    bad = good[:2] + "%02d" % ((chk + 7) % 97 if (chk + 7) % 97 >= 2 else 11) + good[4:]
    assert not iban_ok(bad)
    return bad


def spaced4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    if len(d) < 12:
        return False
    total = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        total += x
    return total % 10 == 0


def luhn_digit(partial):
    for c in string.digits:
        if luhn_ok(partial + c):
            return c
    raise AssertionError


def gen_card(kind):
    if kind == "visa":
        body = "4" + "".join(rng.choice(string.digits) for _ in range(14))
    elif kind == "mc":
        body = "5" + rng.choice("12345") + "".join(rng.choice(string.digits) for _ in range(13))
    elif kind == "amex":
        body = rng.choice(["34", "37"]) + "".join(rng.choice(string.digits) for _ in range(12))
    else:
        raise ValueError(kind)
    num = body + luhn_digit(body)
    assert luhn_ok(num)
    if kind == "amex":
        return "%s %s %s" % (num[:4], num[4:10], num[10:])
    return spaced4(num)


def bad_card(kind):
    good = gen_card(kind)
    last = int(good[-1])
    bad = good[:-1] + str((last + 3) % 10)
    assert not luhn_ok(bad)
    return bad


def bsn_ok(s):
    d = re.sub(r"\D", "", s)
    if len(d) != 9:
        return False
    total = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return total % 11 == 0 and total != 0


def gen_bsn():
    while True:
        head = rng.choice("123") + "".join(rng.choice(string.digits) for _ in range(7))
        last = sum(int(head[i]) * (9 - i) for i in range(8)) % 11
        if last < 10:
            b = head + str(last)
            if bsn_ok(b):
                return b


def bad_bsn():
    while True:
        b = gen_bsn()
        bad = b[:8] + str((int(b[8]) + 4) % 10)
        if not bsn_ok(bad):
            return bad


# --------------------------------------------------------------------------
# credential generators, built the way the real ones are
# --------------------------------------------------------------------------

def rand(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def base62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out or "0"


def github_ok(tok):
    m = re.fullmatch(r"(ghp|gho|ghu|ghs|ghr)_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and base62(zlib.crc32(m.group(2).encode())).rjust(6, "0") == m.group(3)


def gen_github(prefix="ghp"):
    body = rand(ALNUM, 30)
    tok = prefix + "_" + body + base62(zlib.crc32(body.encode())).rjust(6, "0")
    assert github_ok(tok)
    return tok


def gen_aws_id():
    return "AKIA" + rand(B32, 16)


def gen_aws_secret():
    return rand(string.ascii_letters + string.digits + "/+", 40)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def gen_jwt():
    header = {"alg": "HS256", "typ": "JWT"}
    now = 1780000000 + rng.randrange(0, 9000000)
    payload = {"sub": "cust_%d" % rng.randrange(100000, 999999), "role": "admin",
               "iss": "auth.lindevoort.nl", "iat": now, "exp": now + 3600}
    sig = bytes(rng.randrange(256) for _ in range(32))
    return ".".join([b64url(json.dumps(header, separators=(",", ":")).encode()),
                     b64url(json.dumps(payload, separators=(",", ":")).encode()),
                     b64url(sig)])


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    pad = parts[0] + "=" * (-len(parts[0]) % 4)
    head = json.loads(base64.urlsafe_b64decode(pad))
    return "alg" in head


def gen_ssh_key():
    blob = (b"openssh-key-v1\x00" + b"\x00\x00\x00\x04none" + b"\x00\x00\x00\x04none"
            + b"\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x003\x00\x00\x00\x0bssh-ed25519"
            + bytes(rng.randrange(256) for _ in range(300)))
    b = base64.b64encode(blob).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return ("-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines)
            + "\n-----END OPENSSH PRIVATE KEY-----")


GEN = {
    "GHP": lambda: gen_github("ghp"),
    "GHS": lambda: gen_github("ghs"),
    "AKIA": gen_aws_id,
    "AWSSECRET": gen_aws_secret,
    "STRIPE": lambda: "sk_live_" + rand(string.ascii_letters + string.digits, 24),
    "XOXB": lambda: "xoxb-%d-%d-%s" % (rng.randrange(10 ** 10, 10 ** 11),
                                       rng.randrange(10 ** 12, 10 ** 13),
                                       rand(string.ascii_letters + string.digits, 24)),
    "OPENAI": lambda: "sk-proj-" + rand(URLSAFE, 48) + "T3BlbkFJ" + rand(URLSAFE, 48),
    "MOLLIE": lambda: "live_" + rand(string.ascii_letters + string.digits, 30),
    "SENDGRID": lambda: "SG." + rand(URLSAFE, 22) + "." + rand(URLSAFE, 43),
    "JWT": gen_jwt,
    "SSHKEY": gen_ssh_key,
    "DBPW": lambda: rand(string.ascii_letters + string.digits, 12) + rng.choice("!*_") + rand(string.digits, 2),
}

SECRET_CHECKS = {
    "GHP": github_ok,
    "GHS": github_ok,
    "AKIA": lambda s: re.fullmatch(r"AKIA[A-Z2-7]{16}", s) is not None,
    "AWSSECRET": lambda s: re.fullmatch(r"[A-Za-z0-9/+]{40}", s) is not None,
    "STRIPE": lambda s: re.fullmatch(r"sk_live_[A-Za-z0-9]{24}", s) is not None,
    "XOXB": lambda s: re.fullmatch(r"xoxb-\d{10,13}-\d{10,13}-[A-Za-z0-9]{24}", s) is not None,
    "OPENAI": lambda s: re.fullmatch(r"sk-proj-[A-Za-z0-9_-]{48}T3BlbkFJ[A-Za-z0-9_-]{48}", s) is not None,
    "MOLLIE": lambda s: re.fullmatch(r"live_[A-Za-z0-9]{30}", s) is not None,
    "SENDGRID": lambda s: re.fullmatch(r"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}", s) is not None,
    "JWT": jwt_ok,
    "SSHKEY": lambda s: s.startswith("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjE"),
    "DBPW": lambda s: len(s) == 15,
}


def fw(s):
    """full-width letters (evasion)"""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# --------------------------------------------------------------------------
# the cases
# --------------------------------------------------------------------------
# C(role, platform, handle, lang, text, cats, when=None, kind="post", name=None)
#   role: intended account role ("corp", "emp", "pub"), asserted against the profile
#   text placeholders, filled at build time:
#     «IBAN:NL» «IBAN:NL:s» (spaced) «IBAN:BE:s» «CARD:visa» «CARD:mc» «BSN»   valid
#     «BADIBAN:NL» «BADIBAN:BE:s» «BADCARD:visa» «BADCARD:mc» «BADBSN»            invalid
#     «GHP» «AKIA» «AWSSECRET» «STRIPE» «XOXB» «OPENAI» «MOLLIE» «SENDGRID» «JWT»
#     «SSHKEY» «DBPW»                                                              credentials

CASES = []


def C(role, platform, handle, lang, text, cats, when=None, kind="post", name=None):
    CASES.append(dict(role=role, platform=platform, handle=handle, lang=lang, text=text,
                      cats=cats, when=when, kind=kind, name=name))


ZW = "\u200b"

# ---------------- complaints (public) ----------------
C("pub", "x", "@annekeflorijn", "nl",
  "Al 3 weken wachten op mijn behang van @lindevoort. Bestelling staat nog steeds op 'in behandeling' "
  "en de klantenservice zegt elke keer 'morgen'. Morgen is blijkbaar een rekbaar begrip 🙄", ["complaint"])
C("pub", "reddit", "u/paint_and_regret", "en",
  "PSA: ordered 8 rolls of Rozelaan Velvet Damask from Lindevoort, got rolls from THREE different print "
  "batches. The colour difference is obvious once it's up. Now they want me to pay return shipping "
  "for their mistake. Not impressed, honestly.", ["complaint"])
C("pub", "facebook", "Gerda.Slootweg.71", "nl",
  "Kleur laten mengen in de showroom in Amersfoort, 'warm wit' gevraagd. Thuis blijkt het gewoon een "
  "soort lichtgrijs te zijn. Twee muren al gedaan voor ik het doorhad. Bedankt hoor Lindevoort...",
  ["complaint"], name="Gerda Slootweg")
C("pub", "x", "@tomcatsdiy", "en",
  "@lindevoort_help your courier left 4 tins of paint in the rain on my doorstep, labels soaked off and "
  "one lid dented. Nobody answers the chat. great service guys", ["complaint"], kind="reply")
C("pub", "tiktok", "@klusmetkim", "nl",
  "eerlijke review: de Lindevoort Pro Rollerset Deluxe verliest pluisjes als een gek. heel m'n plafond "
  "zit onder de haartjes 😤 nooit meer 👎 #klussen #eerlijkereview #lindevoort", ["complaint"])
C("pub", "x", "@rvd_woont", "en",
  "Return logged on 2 Jan and still no refund from lindevoort. 189 euro for a KleurScan that wouldn't "
  "even pair with the app. kinda sad tbh", ["complaint"])
C("pub", "threads", "@maddie.makes.home", "en",
  "lindevoort's Kalkmeester Krijtverf peeled right off my dresser after a week and I did the prep "
  "EXACTLY like their video says. emailed them twice. crickets.", ["complaint"])
C("pub", "forum", "Harm_58", "en",
  "Anyone tried Lindevoort's in-home colour advice? Booked it twice, twice nobody turned up. No call, "
  "no email, nothing. And I took half a day off work for it. Both times.",
  ["complaint"])
C("pub", "youtube", "@dmitri.renovates", "en",
  "Ordered the Fotobehang Duinlandschap after watching this. Panel 3 doesn't line up with panel 4 at "
  "all, there's a 2cm jump in the horizon. Lindevoort support says it's 'within tolerance'. lol ok",
  ["complaint"], kind="comment")
C("pub", "instagram", "@woonjuf_lotte", "nl",
  "Jammer dat jullie webshop steeds 'op voorraad' zegt en dan ná betaling mailt dat het 6 weken "
  "levertijd is. Dat is nu al de 2e keer @lindevoort.wonen", ["complaint"], kind="comment")
C("pub", "bluesky", "@quietcarpenter.bsky.social", "en",
  "three calls to lindevoort about the missing tub of paste in my wallpaper kit. three different "
  "answers. the fourth person just hung up on me", ["complaint"])
C("pub", "x", "@jorisklust", "nl",
  "@lindevoort_help nee het is NIET opgelost, de vervangende bus Tintoro Zijdeglans is wéér de "
  "verkeerde kleur. RAL 9010 besteld, crème gekregen. Kom op zeg", ["complaint"], kind="reply")

# ---------------- crisis: first-hand safety incidents (crisis + complaint) ----------------
C("pub", "x", "@petravdlinden", "nl",
  "Onze Behangstomer 2000 begon te roken en toen kwam er een steekvlam uit de stekker!! Gelukkig stond "
  "ik ernaast. Apparaat is 3 weken oud. Ik wil weten hoe dit kan @lindevoort", ["crisis", "complaint"])
C("pub", "reddit", "u/sprayhappy", "en",
  "My Lindevoort AirFlow 800 gave me a proper shock when I grabbed the trigger, tripped the breaker in "
  "the whole house. Cable looks fine. Their reply was a copy-paste 'sorry for the inconvenience'. "
  "This thing is dangerous, don't buy it.", ["crisis", "complaint"])
C("pub", "facebook", "Yvonne.Kramer.NL", "nl",
  "Na het aanbrengen van de Tintoro Vloercoating 2K in de garage zijn mijn man en ik twee dagen "
  "flink ziek geweest. Hoofdpijn, misselijk, overgeven. De deur stond gewoon open. Op de bus staat niks "
  "over zulke klachten en Lindevoort reageert niet op mijn mail 😡", ["crisis", "complaint"],
  name="Yvonne Kramer")
C("pub", "x", "@ben_fixes_stuff", "en",
  "the lindevoort folding wallpaper table collapsed on my hand mid-pasting, locking hinge just gave "
  "way. two fingers strapped up at A&E tonight. paid €64.95 for that thing", ["crisis", "complaint"])
C("pub", "instagram", "@huisjeaandedijk", "nl",
  "Zo ziet mijn arm eruit na een middag met Kalkmeester kalkverf 😢 brandplekken ondanks handschoenen en "
  "nergens een waarschuwing gezien op jullie site. Boos en verdrietig @lindevoort.wonen",
  ["crisis", "complaint"])

# ---------------- crisis: third-party news, boycotts, breaches, lawsuits ----------------
C("pub", "x", "@nieuwsflits_utrecht", "nl",
  "Brandweer rukte vanmiddag uit naar de showroom van Lindevoort aan de Kanaalweg in Utrecht na flinke "
  "rookontwikkeling in het magazijn. Klanten en personeel zijn geëvacueerd, oorzaak nog onbekend.",
  ["crisis"])
C("pub", "blog", "homesafetywatch", "en",
  "Regulators are reportedly looking into several reports of Lindevoort's Behangstomer 2000 wallpaper "
  "steamer overheating. At least two households say the plug melted during use. Lindevoort has not "
  "responded to our questions.", ["crisis"])
C("pub", "x", "@waakhond_wonen", "nl",
  "TERUGROEPACTIE ⚠️ Lindevoort roept de Verfspuit AirFlow 800 (productie 2026) terug vanwege risico op "
  "een elektrische schok. Gebruik het apparaat niet meer en breng het terug naar de winkel.", ["crisis"])
C("pub", "x", "@retailwire_eu", "en",
  "Lindevoort faces a class action in the Netherlands over its 'dust-free' wallpaper stripper; "
  "plaintiffs say dozens of DIYers developed breathing problems.", ["crisis"])
C("pub", "x", "@eerlijkwonen", "nl",
  "Lindevoort laat hun Rozelaan behang drukken in een fabriek die net in het nieuws was vanwege "
  "kinderarbeid. Ik koop daar niks meer en jij hopelijk ook niet. #boycotlindevoort", ["crisis"])
C("pub", "tiktok", "@greenwalls.co", "en",
  "stop buying from lindevoort until they pull that 'eco' paint that's full of VOCs. textbook "
  "greenwashing. share this 🔁 #boycottlindevoort #greenwashing", ["crisis"])
C("pub", "reddit", "u/bokkiebas", "nl",
  "Iemand anders ook een phishingmail gehad met EXACT je bestelgegevens van Lindevoort? Naam, adres, "
  "wat ik besteld had, alles klopte. Lijkt erop dat hun klantendatabase gewoon op straat ligt.",
  ["crisis"])
C("pub", "x", "@privacyfirst_tom", "en",
  "Hearing that Lindevoort had a data breach: customers in NL are getting scam texts quoting their "
  "actual order numbers. Not a word about it on their site yet.", ["crisis"])
C("pub", "x", "@mediakijker", "en",
  "Former Lindevoort employees describe years of bullying and intimidation by a showroom manager, and "
  "say the board knew since 2024. Grim read.", ["crisis"])
C("pub", "facebook", "Marco.vanRijn.Breda", "en",
  "Part of the roof at the Lindevoort showroom in Breda came down during the storm while customers "
  "were inside. Two people taken to hospital. Thoughts with them, and Lindevoort owes everyone answers.",
  ["crisis"], name="Marco van Rijn")

# ---------------- abuse ----------------
C("pub", "x", "@woedendewim", "nl",
  "@lindevoort_help stelletje kutoplichters, 3 weken geen behang en nu krijg ik mijn geld ook niet "
  "terug. Tyfuszooi", ["abuse", "complaint"], kind="reply")
C("pub", "x", "@fedup_fiona", "en",
  "@lindevoort you are a bunch of useless clowns. Wrong paint TWICE and your support idiot told me to "
  "'just mix it myself'. Absolute morons", ["abuse", "complaint"], kind="reply")
C("pub", "instagram", "@x_rens_x", "nl",
  "wat een lelijk behang, net zo lelijk als die dikke kleuradviseur van jullie in Amersfoort. walgelijk "
  "wijf", ["abuse"], kind="comment")
C("pub", "reddit", "u/grumpyhandyman", "en",
  "the blonde girl at the lindevoort Amersfoort showroom is a complete moron, someone should fire that "
  "dumb bitch", ["abuse"], kind="comment")
C("pub", "tiktok", "@dennis_020", "nl",
  "lindevoort personeel zijn allemaal k4nk3rl1jers 🤮🤮", ["abuse"], kind="comment")
C("pub", "x", "@hansjeboos", "nl",
  "L I N D E V O O R T   =   T E R I N G B E D R I J F", ["abuse"])
C("pub", "x", "@nightowl_reno", "en",
  "Lindevoort staff are fu\u0441king \u0456d\u0456\u043ets, three visits and still the wrong colour",
  ["abuse"])
C("pub", "facebook", "Karel.Bosman.1966", "nl",
  "Moet je zien wie ze tegenwoordig aannemen bij Lindevoort, alleen nog maar buitenlanders met "
  "hoofddoekjes achter de kassa. Ga lekker terug naar je eigen land.", ["abuse"], name="Karel Bosman")
C("emp", "x", "@basvdmeer", "nl",
  "die klant van vanmiddag was echt een vette achterlijke kneus. 20 minuten zeuren over een krasje op "
  "een verfbus. idioot", ["abuse"])
C("emp", "tiktok", "@kees_de_verfdokter", "nl",
  "Sommige klanten zijn zo dom als het achtereind van een varken en denken dan nog dat ze het beter "
  "weten. Stomme wijven met hun Pinterest-bordjes 🙄 #verfdokter", ["abuse"])
C("pub", "youtube", "@jaxx_builds", "en",
  "whoever made this lindevoort ad should be fired into the sun, worst piece of shit advert on youtube",
  ["abuse"], kind="comment")
C("pub", "x", "@m_vdheuvel", "en",
  "@mirjam_kleurt go cry about it, you talentless cow. nobody cares about your colour of the week",
  ["abuse"], kind="reply")

# ---------------- pricing ----------------
C("corp", "x", "@lindevoort", "nl",
  "Alleen vandaag: Tintoro Muurverf Extra Mat 5 L voor €7,99! Op = op 🎨", ["pricing"])
C("emp", "x", "@mirjam_kleurt", "nl",
  "Psst, de KleurScan staat per ongeluk voor €18,90 in de webshop 🙈 wees er snel bij voordat iemand het "
  "ziet", ["pricing"])
C("pub", "reddit", "u/dealjager_nl", "nl",
  "Prijsfout bij Lindevoort! Rozelaan Grasscloth Naturel voor €13,90 per rol ipv €139. Heb er meteen 12 "
  "besteld, benieuwd of ze gaan leveren", ["pricing"])
C("pub", "x", "@bargainbrit", "en",
  "lindevoort.nl has the AirFlow 800 paint sprayer listed at €24.90 right now 😂 has to be a pricing "
  "error, ordering one anyway", ["pricing"])
C("corp", "facebook", "LindevoortWandEnVerf", "nl",
  "🎉 BLACK FRIDAY 🎉 Lindevoort Behangstomer 2000 nu voor €39 (was €119)! Alleen online, zolang de "
  "voorraad strekt.", ["pricing"], when="2026-11-27T06:30:00Z")
C("emp", "linkedin", "daan-kuipers-ecommerce", "nl",
  "Leuk detail van de feed-migratie vanochtend: twee uur lang stond de Vloercoating 2K voor €16,90 live. "
  "Inmiddels hersteld, maar er kwamen 300+ orders binnen 🙃 #ecommerce", ["pricing"])
C("pub", "tiktok", "@budgetwonen", "nl",
  "GUYS de Velvet Damask van lindevoort is €8,90 per rol?!?! normaal 89 euro. prijsfoutje?? 🏃‍♀️💨",
  ["pricing"])
C("pub", "forum", "pricehawk_eu", "en",
  "[PRICE ERROR] Lindevoort Pro Kwastenset 5-delig for €3.99 (normally €39.95). NL/BE shipping works, "
  "go go go", ["pricing"])
C("corp", "instagram", "@lindevoort.wonen", "nl",
  "Nieuw in de shop 💚 Kalkmeester Kalkverf 2,5 L nu voor maar €6,75, in alle 24 kleuren!", ["pricing"])
C("emp", "x", "@basvdmeer", "nl",
  "er gaat iets mis met de prijzen in de kassa, Tintoro Buitenlak scant op €9,45 😬 wie moet ik bellen",
  ["pricing"])
C("pub", "x", "@kluskoning_ed", "en",
  "price error?? Jungle Nights wallpaper on Lindevoort for 5.49 a roll. someone forgot a digit lmao",
  ["pricing"])
C("corp", "tiktok", "@lindevoort", "en",
  "Flash drop ⚡ the Lindevoort Verfspuit AirFlow 800 for just €99 this weekend only! Link in bio",
  ["pricing"])

# ---------------- confidential ----------------
C("emp", "x", "@mirjam_kleurt", "nl",
  "Vandaag de eerste stalen van Project Terracotta gezien en ik ben VERLIEFD 😍 kan niet wachten tot "
  "jullie dit ook zien", ["conf"])
C("emp", "bluesky", "@noor-lv.bsky.social", "en",
  "dropping the link for whoever's on call tonight: https://jira.lindevoort.nl/browse/WEB-4412 (the "
  "checkout refactor ticket)", ["conf"])
C("emp", "linkedin", "ruud-hoekstra-lindevoort", "nl",
  "Lange dag in de werkkamer voor Blauwe Reiger. Koffie op, moed erin ☕ #teamwork", ["conf"])
C("emp", "instagram", "@sanne.showroom.amersfoort", "nl",
  "Sneak peek 👀 de nieuwe Rozelaan Botanica ligt hier al in het magazijn en het is zó mooi 🌿🌿",
  ["conf"], when="2026-11-18T15:12:09Z")
C("corp", "x", "@lindevoort", "nl",
  "Ontdek de Botanica collectie van Rozelaan, vanaf nu in al onze showrooms! 🌿",
  ["conf"], when="2026-12-15T08:00:00Z")
C("emp", "x", "@jelle_ops", "nl",
  "note to self: de staging bak draait op wms.lindevoort.local:8443, niet meer dat oude IP", ["conf"])
C("pub", "reddit", "u/throwaway_verf", "nl",
  "Vriend van me werkt bij Lindevoort, zegt dat 'Operatie Sneeuwwit' betekent dat ze in 2027 de helft van "
  "de showrooms dichtgooien. Iemand die hier meer van weet?", ["conf", "fin"])
C("emp", "linkedin", "ayse-demir-lv", "nl",
  "ALLEEN INTERN: nieuwe werkkleding voor alle showrooms per 1 april, pakketten worden per vestiging "
  "verstuurd. (Wat worden ze mooi he!)", ["conf"])
C("emp", "tiktok", "@kees_de_verfdokter", "nl",
  "Ik mag nog niks zeggen maar de Tintoro Eco Mat is het beste wat we ooit gemaakt hebben 🤫 #verfdokter",
  ["conf"], when="2026-10-06T17:45:30Z")
C("pub", "x", "@insider_interieur", "en",
  "Good source tells me Lindevoort is building its own colour-advice app, internally called Project "
  "Terracotta.", ["conf"])
C("emp", "x", "@jelle_ops", "en",
  "lol someone pasted http://intra.lindevoort.local/hr/salarissen-2026.xlsx into the general channel",
  ["conf"])
C("emp", "bluesky", "@noor-lv.bsky.social", "en",
  "Lindevoort Confidential - draft roadmap H1: headless checkout, AR wallpaper preview, dropping "
  "Klarna. ok maybe I shouldn't post this", ["conf"])
C("emp", "x", "@basvdmeer", "nl",
  "Operatie Sneeu" + ZW + "wwit gaat nu echt beginnen, de dozen liggen al klaar 📦", ["conf"])
C("emp", "linkedin", "daan-kuipers-ecommerce", "nl",
  fw("niet extern delen") + " maar de nieuwe huisstijl gaat in maart live, hier alvast een voorproefje van "
  "het logo 👇", ["conf"])
C("corp", "linkedin", "lindevoort-wand-verf", "en",
  "We're proud to share our full-year 2026 results: record revenue of €184 million (+11%) and our "
  "webshop now accounts for 58% of sales. Thank you to every colleague and customer!",
  ["conf", "fin"], when="2027-02-10T10:00:00Z")
C("emp", "x", "@mirjam_kleurt", "en",
  "Blauwe Reiger meeting ran late again, but I think we're finally close to signing with the Belgian "
  "chain 👀", ["conf", "fin"])
C("pub", "forum", "Verfnerd_77", "nl",
  "Weet iemand wat grafana.lv-ops.net is? Kwam het tegen op een screenshot van een Lindevoort-medewerker",
  ["conf"])
C("emp", "x", "@jelle_ops", "en",
  "Pr\u043eject \u0422erra\u0441otta backend is live on staging 🎉 long week",
  ["conf"])

# ---------------- financial ----------------
C("emp", "linkedin", "ruud-hoekstra-lindevoort", "nl",
  "Q3 is nog niet gepubliceerd maar ik kan alvast verklappen: omzet +23% en voor het eerst een "
  "positieve EBITDA op de webshop. Trots op dit team! 🚀", ["fin"])
C("emp", "x", "@basvdmeer", "nl",
  "gerucht op de vloer: 40 man in het DC in Nieuwegein moet eruit voor de zomer. niemand durft het "
  "hardop te zeggen", ["fin"])
C("emp", "linkedin", "ayse-demir-lv", "en",
  "Tough week in HR. We're preparing a reorganisation that will affect around 60 colleagues across our "
  "showrooms, the announcement goes out next month. Take care of each other.", ["fin"])
C("pub", "x", "@beursfluisteraar", "en",
  "Hearing Lindevoort is in talks to be bought by a German DIY chain, deal value around €140m. Not "
  "official yet 🤫", ["fin"])
C("emp", "reddit", "u/wouter_lv_dev", "en",
  "Can't say where I work, but our CFO told the all-hands we'll miss the 2026 forecast by roughly 15% "
  "and bonuses are off. Time to update the CV?", ["fin"], kind="comment")
C("corp", "facebook", "LindevoortWandEnVerf", "nl",
  "Lindevoort neemt Verfcentrale Vlaanderen over! Met deze overname krijgen we er 9 winkels in België "
  "bij. Meer nieuws volgt binnenkort.", ["fin"])
C("emp", "tiktok", "@kees_de_verfdokter", "nl",
  "laatste weken in showroom Zwolle want die gaat in maart dicht 😢 klanten weten het nog niet dus sst",
  ["fin"])
C("pub", "blog", "retailinsider_nl", "en",
  "Sources inside Lindevoort tell me H2 revenue fell 12% and the board is weighing a sale of the "
  "showroom business to a private equity fund. Nothing has been announced.", ["fin"])
C("emp", "x", "@jelle_ops", "nl",
  "morgen all-hands. zeggen ze dat de IT-afdeling wordt uitbesteed aan een partij in Polen, 15 man eruit. "
  "lekker dan", ["fin"])

# ---------------- security ----------------
C("emp", "x", "@jelle_ops", "nl",
  "Checkout ligt al 40 min plat omdat iemand het certificaat van de betaal-webhook heeft laten verlopen. "
  "Nog niks op de statuspagina, niet verder vertellen 🙃", ["sec"])
C("emp", "bluesky", "@noor-lv.bsky.social", "en",
  "fun fact: our order API still returns the full customer address for any order id if you just "
  "increment it. reported it 3 months ago, ticket still open", ["sec"])
C("emp", "x", "@basvdmeer", "nl",
  "Ransomware op het magazijnsysteem sinds vannacht, alles ligt stil, we schrijven de pakbonnen met de "
  "hand ✍️ klanten weten nog van niks", ["sec"])
C("emp", "linkedin", "daan-kuipers-ecommerce", "en",
  "Spent the weekend cleaning up after someone pulled our whole newsletter list (80k customers) through "
  "an old export endpoint. Lessons-learned post coming once legal signs off 😅", ["sec"])
C("emp", "reddit", "u/wouter_lv_dev", "nl",
  "Vraagje: ons admin-panel draait nog op Magento 2.3 zonder patches en is gewoon vanaf internet "
  "bereikbaar. Is dat erg? (vraag voor een vriend)", ["sec"])
C("emp", "tiktok", "@kees_de_verfdokter", "nl",
  "De kassa's in alle showrooms liggen eruit sinds 10 uur dus vandaag alleen contant 🤷‍♂️ hoofdkantoor "
  "zegt er niks over tegen klanten", ["sec"])
C("emp", "x", "@jelle_ops", "en",
  "phishing mail got through and 3 people in customer service typed their O365 password into it. "
  "resetting everything now, nothing announced yet", ["sec"])
C("pub", "x", "@ex_lv_dev", "en",
  "Ex-employee here: the colour mixing machines in Lindevoort showrooms still run Windows 7 and sit on "
  "the same network as the tills. Good luck with that.", ["sec"])
C("corp", "x", "@lindevoort_help", "nl",
  "@sjoerdh Klopt, onze webshop is sinds gisteravond onbereikbaar door een aanval op onze hosting. We "
  "weten nog niet wanneer alles weer werkt, sorry!", ["sec"], kind="reply")
C("emp", "bluesky", "@noor-lv.bsky.social", "en",
  "the KleurScan app keeps the customer's auth token in plain text in shared prefs. anyone with adb can "
  "grab it. filed it weeks ago, 'low prio' apparently", ["sec"])
C("emp", "linkedin", "ruud-hoekstra-lindevoort", "nl",
  "Vervelende week. Een oplichter heeft ons via CEO-fraude €48.000 afhandig gemaakt, aangifte is gedaan. "
  "Het is nog niet naar buiten gebracht maar ik wil iedereen waarschuwen.", ["sec"])
C("emp", "x", "@jelle_ops", "nl",
  "wie heeft de prod db in een public repo gezet?? postgres://lv_admin:«DBPW»@lv-prod.cx8a2k3mzq.eu-west-1"
  ".rds.amazonaws.com:5432/shop staat er al 2 dagen in. ik roteer hem nu", ["sec", "secret"])
C("emp", "facebook", "Henk.Brouwer.Schilder", "nl",
  "Vandaag weer geen netwerk in de showroom in Breda, 3e keer deze week. De klantgegevens in de "
  "kleurcomputer konden we ook niet in. IT zegt dat het 'iets met een hack' is. Top.", ["sec"],
  name="Henk Brouwer")

# ---------------- secrets ----------------
C("emp", "x", "@jelle_ops", "nl",
  "deploy faalt weer, iemand een idee?\nexport AWS_ACCESS_KEY_ID=«AKIA»\nexport "
  "AWS_SECRET_ACCESS_KEY=«AWSSECRET»", ["secret"])
C("emp", "bluesky", "@noor-lv.bsky.social", "en",
  "why won't this token work for the actions runner 🤔 «GHP»", ["secret"])
C("emp", "reddit", "u/wouter_lv_dev", "nl",
  "Mollie webhook geeft steeds 401, dit is mijn config:\n\nMOLLIE_API_KEY=«MOLLIE»\n"
  "WEBHOOK_URL=https://shop.lindevoort.nl/api/mollie\n\nwat doe ik fout?", ["secret"])
C("emp", "x", "@jelle_ops", "en",
  "showroom alert bot finally works 🎉 SLACK_BOT_TOKEN=«XOXB» # TODO move to vault", ["secret"])
C("emp", "linkedin", "daan-kuipers-ecommerce", "nl",
  "Onze nieuwe AI-kleuradviseur draait op de API van OpenAI. Voor de nerds, zo simpel is de config: "
  "OPENAI_API_KEY=«OPENAI»", ["secret"])
C("emp", "bluesky", "@noor-lv.bsky.social", "en",
  "getting 'invalid signature' on this one, can someone decode it and tell me what's off? «JWT»",
  ["secret"])
C("emp", "x", "@basvdmeer", "nl",
  "Voor de nieuwe collega's in het DC: wifi is LV-Magazijn, wachtwoord: Kwast!2026Nieuwegein 👍", ["secret"])
C("emp", "reddit", "u/wouter_lv_dev", "en",
  "does paramiko support this key format? keeps throwing 'not a valid RSA private key'\n\n«SSHKEY»",
  ["secret"])
C("pub", "x", "@randomdev_nl", "nl",
  "Lindevoort heeft hun Stripe key gewoon in de javascript van de site staan lol: «STRIPE»", ["secret"])
C("corp", "x", "@lindevoort_help", "nl",
  "@klant_ilse je tijdelijke wachtwoord voor het klantportaal is: Lv-7821-Voorjaar (graag meteen "
  "wijzigen na inloggen)", ["secret"], kind="reply")
C("emp", "x", "@jelle_ops", "en",
  "order confirmation mails fixed. SENDGRID_API_KEY=«SENDGRID» for the staging box, don't tell anyone",
  ["secret"])
C("emp", "instagram", "@sanne.showroom.amersfoort", "nl",
  "Kassa login voor de invallers vandaag: gebruiker showroom03 " + fw("wachtwoord") + ": Verf&Behang24 ✌️",
  ["secret"])

# ---------------- personal data ----------------
C("corp", "x", "@lindevoort_help", "nl",
  "@marjoleinv Hoi Marjolein! We hebben je terugbetaling klaargezet naar «IBAN:NL:s» t.n.v. M. Verhoeven, "
  "binnen 3 werkdagen op je rekening 💚", ["pii"], kind="reply")
C("emp", "x", "@mirjam_kleurt", "nl",
  "Mevrouw die vanochtend haar portemonnee liet liggen in de showroom: Els van Dijk, geboren 14-03-1958, "
  "je rijbewijs ligt bij de kassa!", ["pii"])
C("corp", "facebook", "LindevoortWandEnVerf", "nl",
  "Bedankt voor je bestelling Peter! Even ter controle: Peter Smulders, Lindelaan 42, 5611 AB Eindhoven. "
  "Klopt dit adres? Dan gaat je behang morgen mee met de bus.", ["pii"], kind="comment")
C("emp", "linkedin", "ayse-demir-lv", "nl",
  "Welkom aan onze nieuwe collega Thijs! Voor de salarisadministratie: BSN «BSN», IBAN «IBAN:NL». "
  "(oeps, verkeerd venster 😬)", ["pii"])
C("pub", "x", "@sophie_k92", "nl",
  "@lindevoort_help ik wacht nog steeds op mijn terugbetaling van €139!! Rekening is «IBAN:NL» t.n.v. "
  "S. de Kok, graag vandaag nog", ["pii", "complaint"], kind="reply")
C("pub", "reddit", "u/anxious_renter", "en",
  "Lindevoort called me asking for my card to finish my wallpaper order so I gave them «CARD:mc» exp "
  "09/28. Is that normal or did I just get scammed?", ["pii"])
C("corp", "x", "@lindevoort_help", "nl",
  "@gjvanhoof we hebben je net geprobeerd te bellen op 06 41 27 83 90 maar kregen geen gehoor. Bel je "
  "ons even terug?", ["pii"], kind="reply")
C("emp", "tiktok", "@kees_de_verfdokter", "nl",
  "shoutout naar mevrouw Ria Pronk van de Schoolstraat 7 in Bunnik, zij heeft de mooiste groene keuken "
  "van NL 💚 ga maar eens kijken", ["pii"])
C("emp", "x", "@basvdmeer", "nl",
  "Kan iemand deze klant terugbellen, hij hangt al 3x aan de lijn: Ahmed Benali, 06-18273645, "
  "ahmed.benali84@gmail.com", ["pii"])
C("emp", "bluesky", "@noor-lv.bsky.social", "en",
  "test data in prod again 🙄 found 'Card: «CARD:visa», Name: J. Mulder' in the order notes table",
  ["pii"])
C("pub", "facebook", "Jeroen.Wassink.5", "nl",
  "Moet ik nou echt mijn BSN opgeven voor een offerte bij Lindevoort? Nou zet ik het hier wel neer, "
  "«BSN», veel plezier ermee", ["pii"], name="Jeroen Wassink")
C("pub", "x", "@carlos_mtz", "en",
  "@lindevoort_help email me at carlos.martinez.bcn@outlook.com or call +34 612 48 93 07, nobody has "
  "replied to my ticket in a week", ["pii", "complaint"], kind="reply")
C("corp", "linkedin", "lindevoort-wand-verf", "nl",
  "Gefeliciteerd aan de winnaar van onze kleurwedstrijd: Lotte Janssen (geb. 22 juli 1991) uit Delft! 🎉",
  ["pii"])
C("emp", "facebook", "Henk.Brouwer.Schilder", "nl",
  "Klant Jan de Wit zoekt nog een schilder voor z'n hele benedenverdieping, bel hem even: "
  "0 6 - 2 9 1 4 5 3 7 8", ["pii"], name="Henk Brouwer")
C("pub", "forum", "wendy_p", "en",
  "Lindevoort's giveaway wanted my date of birth, no idea why. Fine then: Wendy Pauwels, born "
  "03/11/1987. Do I win now?", ["pii"])
C("pub", "x", "@elke_de_smet", "nl",
  "@lindevoort_help al 2 weken wacht ik op mijn geld voor die kapotte stomer, stort het nou gewoon op "
  "«IBAN:BE:s» (E. De Smet)", ["pii", "complaint"], kind="reply")

# ---------------- benign (mostly hard negatives) ----------------
C("corp", "x", "@lindevoort", "nl",
  "Kleur van de maand: Terracotta Zacht 🧡 Perfect voor een warme woonkamer. Nu in alle showrooms te "
  "mengen.", [])
C("pub", "x", "@liesbethwoont", "nl",
  "Shoutout naar de kleuradviseur in showroom Utrecht, die heeft me echt gered. Woonkamer is prachtig "
  "geworden met Tintoro Extra Mat 😍", [])
C("corp", "x", "@lindevoort_help", "nl",
  "Vragen over je bestelling? Mail klantenservice@lindevoort.nl of bel +31 30 207 4410 (ma-za 9-18u). "
  "We helpen je graag!", [])
C("corp", "facebook", "LindevoortWandEnVerf", "nl",
  "Liever betalen via overschrijving? Gebruik NL59 RABO 0318 4026 57 t.n.v. Lindevoort Wand & Verf B.V. "
  "en vermeld je ordernummer.", [])
C("corp", "instagram", "@lindevoort.wonen", "nl",
  "Weekendactie 🌴 20% korting op de hele Rozelaan collectie: Jungle Nights nu €43,96 per rol!", [])
C("pub", "x", "@dirkjan_klust", "nl",
  "Behangstomer 2000 voor €89 in de actie gescoord, vorig jaar betaalde mijn broer nog 119. Prima deal", [])
C("pub", "reddit", "u/beige_walls_forever", "en",
  "Is the KleurScan (€189) actually worth it or should I just stick to paint swatches?", [])
C("pub", "x", "@sarah_renovates", "en",
  "Update: lindevoort sorted my damaged delivery within a day, new tins arrived this morning. Credit "
  "where it's due 👍", [])
C("pub", "x", "@buurvrouw_utrecht", "nl",
  "Sterkte aan het team van Lindevoort Utrecht na de brand bij de buren gisteren. Gelukkig is iedereen "
  "ok en was de showroom vanochtend gewoon weer open", [])
C("pub", "x", "@klusbuddy", "en",
  "Verfpaleis had another price glitch last night, garden paint for 1 euro 😂 never happens at "
  "Lindevoort, prices there are boringly stable", [])
C("emp", "bluesky", "@noor-lv.bsky.social", "en",
  "reminder when writing docs: use AKIAIOSFODNN7EXAMPLE and wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY as "
  "placeholders, never real ones", [])
C("emp", "x", "@jelle_ops", "en",
  "rotated the token today, the old ghp_************************************ is revoked. use a secret "
  "manager folks", [])
C("corp", "x", "@lindevoort_help", "nl",
  "Wachtwoord vergeten? Klik op 'Wachtwoord vergeten' op de inlogpagina en je krijgt een resetlink. We "
  "vragen NOOIT om je wachtwoord via DM!", [])
C("pub", "x", "@opa_gerrit", "nl",
  "Krijg een mail van 'Lindevoort' dat ik nog moet betalen naar «BADIBAN:NL». Dat is toch niet hun "
  "rekening? Lijkt me phishing", [])
C("pub", "reddit", "u/numbers_guy", "en",
  "What's the reference «BADCARD:visa» on my Lindevoort invoice? It's not my card number, I checked.", [])
C("pub", "facebook", "Truus.Hoogland", "nl",
  "Klantnummer «BADBSN», hoe log ik in op dat nieuwe klantportaal? Lukt me niet", [], name="Truus Hoogland")
C("corp", "x", "@lindevoort", "nl",
  "Hij is er! De Rozelaan Botanica collectie ligt vanaf vandaag in al onze showrooms 🌿", [],
  when="2027-01-25T08:00:00Z")
C("corp", "linkedin", "lindevoort-wand-verf", "en",
  "Today we published our full-year 2026 results. Revenue grew 11% to €184 million. Read the full "
  "report on lindevoort.nl/investeerders", [], when="2027-03-05T07:30:00Z")
C("pub", "x", "@pappa_pim", "nl",
  "Mijn vrouw zegt dat 'gebroken wit' geen kleur is maar een relatiestatus na drie dagen samen behangen 😂 "
  "#lindevoort", [])
C("pub", "tiktok", "@jonge_huizenkoper", "nl",
  "POV: je behangt voor het eerst met de behangstomer van lindevoort en het gaat gewoon... goed?? 😭✨", [])
C("pub", "instagram", "@mijn_jaren30_huis", "en",
  "Can the Tintoro Keuken & Bad go on a bathroom ceiling too? @lindevoort.wonen", [],
  kind="comment")
C("pub", "threads", "@hallway.makeover", "en",
  "This Velvet Damask wallpaper is absolutely killing it in our hallway. Fire 🔥🔥", [])
C("pub", "x", "@noahvdb", "nl",
  "Die nieuwe Jungle Nights print is echt ziek mooi 🔥 slaapkamer is klaar", [])
C("corp", "instagram", "@lindevoort.wonen", "en",
  "Paying safely at Lindevoort: we use iDEAL and 3D Secure. Never share your PIN, not even with us 🔒", [])
C("corp", "x", "@lindevoort", "en",
  "Scheduled maintenance: shop.lindevoort.nl will be offline on Tuesday 02:00-04:00 CET for upgrades. "
  "Showrooms are open as usual.", [])
C("corp", "linkedin", "lindevoort-wand-verf", "nl",
  "In maart openen we een nieuwe showroom in Groningen! We zoeken kleuradviseurs, stuur je CV naar "
  "werkenbij@lindevoort.nl", [])
C("pub", "x", "@retailnews_benelux", "en",
  "DIY chain KlusGigant is acquiring Verfpaleis for €30m. Lindevoort remains independent, a spokesperson "
  "confirmed today.", [])
C("pub", "linkedin", "lisa-mulder-kleur", "en",
  "I handed in my notice and on Monday I start as a colour consultant at Lindevoort. So excited! 🎨", [])
C("pub", "forum", "Wittewand", "nl",
  "Welke witte muurverf is het meest sneeuwwit? Twijfel tussen Tintoro RAL 9010 en 9016", [])
C("pub", "x", "@marieke_hdb", "nl",
  "Nooit meer bestellen bij Verfpaleis, 5 weken wachten. Overgestapt naar Lindevoort en had het de "
  "volgende dag al in huis.", [])
C("pub", "instagram", "@oudhuis_nieuwleven", "nl",
  "Behangen is echt de hel op aarde 😅 maar het resultaat met Rozelaan Terrazzo Sand maakt alles goed", [])
C("pub", "facebook", "Wim.Zuidema", "nl",
  "Van de trap gedonderd tijdens het verven 🙃 niks gebroken, alleen mijn ego. Kamer is wel mooi geworden "
  "met Kalkmeester", [], name="Wim Zuidema")
C("pub", "x", "@tess_builds", "en",
  "Just called 0800-0456 (Lindevoort helpline) and had my question answered in 2 minutes. Why can't every "
  "company be like this?", [])
C("emp", "x", "@jelle_ops", "nl",
  "JWT's zijn gewoon drie base64-stukjes met puntjes ertussen: header.payload.signature. Plak ze nooit in "
  "een openbaar kanaal 🙏", [])
C("emp", "linkedin", "ruud-hoekstra-lindevoort", "en",
  "Proud of the team after we published our half-year figures last week. The full report is on "
  "lindevoort.nl.", [])
C("corp", "tiktok", "@lindevoort", "nl",
  "3 fouten die iedereen maakt bij het verven van een plafond 🎨👇 #verftips #lindevoort", [])
C("pub", "x", "@kattenmens_nl", "en",
  "my cat discovered the freshly painted wall 🐾 thank god Tintoro Extra Mat is washable", [])
C("pub", "reddit", "u/wallpaper_curious", "en",
  "Lindevoort vs the big DIY chains for wallpaper? Prices look similar (Jungle Nights was €54.95 a roll) "
  "but the showroom help was way better.", [])
C("emp", "x", "@mirjam_kleurt", "nl",
  "Kleurtrend 2027 volgens mij: zacht saliegroen en okergeel. Wat vinden jullie?", [])
C("emp", "instagram", "@sanne.showroom.amersfoort", "nl",
  "Zaterdag workshop behangen in showroom Amersfoort, nog 4 plekjes vrij! Aanmelden via "
  "showroom@lindevoort.nl 🙌", [])
C("pub", "x", "@roos_in_denbosch", "en",
  "Can anyone recommend a good painter around Den Bosch? Already got the paint from Lindevoort", [])
C("pub", "x", "@jamie_k", "en",
  "My grandma (82!) just wallpapered her whole bedroom with the Lindevoort table and steamer. Legend.", [])
C("pub", "threads", "@toddler.chaos.mom", "en",
  "my toddler 'painted' the sofa with Kalkmeester chalk paint 🙃 came off with water thank god", [])
C("pub", "x", "@luc_peeters", "en",
  "Is «BADIBAN:BE:s» the right account for paying a Lindevoort invoice? The one on my invoice looks "
  "different from the one on their website", [])
C("pub", "x", "@yara_verhuist", "en",
  "Order LV-2026-118734 arrived today, quick delivery and nicely packed 📦", [])
C("emp", "bluesky", "@noor-lv.bsky.social", "en",
  "never commit keys like sk_live_xxxxxxxxxxxxxxxxxxxxxxxx to git. env vars + a vault, always", [])
C("pub", "x", "@thomas_verft", "nl",
  "Net de Tintoro Eco Mat geprobeerd, dekt echt in 1 laag! Aanrader", [], when="2027-02-01T19:20:00Z")
C("pub", "instagram", "@flamingo_fan", "nl",
  "Jullie zijn echt gek 😂 wie verzint er nou behang met flamingo's? Ik wil het hebben", [], kind="comment")
C("corp", "x", "@lindevoort_help", "nl",
  "@jorisklust Sorry voor het gedoe! Er gaat vandaag een nieuwe bus RAL 9010 naar je toe, op onze kosten.",
  [], kind="reply")
C("pub", "x", "@antwerpen_shopt", "en",
  "Lindevoort is opening a pop-up store in Antwerp, it was in the paper this morning", [])
C("pub", "x", "@hugo_in_gent", "en",
  "Does Lindevoort deliver to Belgium? lindevoort.be doesn't really say", [])
C("pub", "reddit", "u/primer_pete", "en",
  "Not a recall or anything, but FYI the Tintoro Primer tins have a new lid now. Pop it with a "
  "screwdriver, not your fingernails.", [])
C("pub", "facebook", "Anja.Reitsma", "nl",
  "Dak lekte, plafond vol vlekken. Twee lagen Tintoro Anti-Schimmel erop en het ziet er weer als nieuw uit",
  [], name="Anja Reitsma")
C("emp", "tiktok", "@kees_de_verfdokter", "nl",
  "Tintoro Extra Mat 10 L voor €139 is de beste prijs-kwaliteit die je kunt krijgen, geloof me 😉", [])
C("emp", "bluesky", "@noor-lv.bsky.social", "en",
  "new post on our public engineering blog: how we moved the webshop to a headless setup last year", [])
C("pub", "x", "@digitaal_nuchter", "en",
  "Another webshop data breach, KlusGigant this time. Glad Lindevoort at least has 2FA on customer "
  "accounts.", [])
C("corp", "facebook", "LindevoortWandEnVerf", "nl",
  "Let op: er zijn oplichters actief die zich op Marktplaats voordoen als Lindevoort. Onze enige "
  "webshop is shop.lindevoort.nl", [])
C("pub", "youtube", "@weekend_klusser", "en",
  "Great tutorial! Used the Stomer 2000 for the first time and the old wallpaper came off in an hour.", [],
  kind="comment")
C("corp", "x", "@lindevoort", "en",
  "Our Amsterdam showroom is closed on King's Day (27 April). All other showrooms are open as usual.", [],
  when="2026-04-20T09:00:00Z")
C("emp", "x", "@mirjam_kleurt", "en",
  "Hot take: grey is over. Give me ochre, give me terracotta, give me drama.", [])


# --------------------------------------------------------------------------
# build
# --------------------------------------------------------------------------

def load_profile():
    with open(PROFILE, encoding="utf-8") as f:
        return yaml.safe_load(f)


def role_of(profile, platform, handle):
    key = ("%s:%s" % (platform, handle)).lower()
    if key in [a.lower() for a in profile["accounts"]["corporate"]]:
        return "corporate"
    if key in [a.lower() for a in profile["accounts"]["employee"]]:
        return "employee"
    return "public"


def severity(cats, role, pii_checksum):
    """CONTRACT section 4."""
    levels = ["none"]
    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and pii_checksum):
                    levels.append("critical")
                else:
                    levels.append("error")
            else:
                levels.append("warning")
        elif c == "reputation.complaint":
            levels.append("warning")
        elif c == "reputation.crisis":
            levels.append("error")
        elif c == "reputation.abuse":
            levels.append("error" if insider else "warning")
    return max(levels, key=SEV_ORDER.index)


PLACEHOLDER = re.compile(r"«([^»]+)»")


def fill(text, record):
    def sub(m):
        parts = m.group(1).split(":")
        tag = parts[0]
        spaced = parts[-1] == "s"
        if tag == "IBAN":
            v = gen_iban(parts[1])
            record.append(("iban", v, True))
            return spaced4(v) if spaced else v
        if tag == "BADIBAN":
            v = bad_iban(parts[1])
            record.append(("iban", v, False))
            return spaced4(v) if spaced else v
        if tag == "CARD":
            v = gen_card(parts[1])
            record.append(("card", v, True))
            return v
        if tag == "BADCARD":
            v = bad_card(parts[1])
            record.append(("card", v, False))
            return v
        if tag == "BSN":
            v = gen_bsn()
            record.append(("bsn", v, True))
            return v
        if tag == "BADBSN":
            v = bad_bsn()
            record.append(("bsn", v, False))
            return v
        if tag in GEN:
            v = GEN[tag]()
            record.append(("secret:" + tag, v, True))
            return v
        raise KeyError(tag)
    return PLACEHOLDER.sub(sub, text)


PLATFORM_PREFIX = {"x": "x", "reddit": "rd", "facebook": "fb", "instagram": "ig", "tiktok": "tt",
                   "youtube": "yt", "linkedin": "li", "bluesky": "bs", "threads": "th",
                   "forum": "fo", "blog": "bl"}
OFFSETS = ["Z", "Z", "Z", "+01:00", "+02:00"]


def rand_time():
    start = dt.datetime(2026, 1, 2, 6, 0, 0)
    t = start + dt.timedelta(seconds=rng.randrange(0, 360 * 24 * 3600))
    if t.hour < 6:
        t = t.replace(hour=t.hour + 7)
    off = rng.choice(OFFSETS)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + off


def build():
    profile = load_profile()
    numbers = rng.sample(range(1000000, 9999999), len(CASES))
    rows, meta = [], []
    for case, n in zip(CASES, numbers):
        record = []
        text = fill(case["text"], record)
        role = role_of(profile, case["platform"], case["handle"])
        cats = sorted(CATS[c] for c in case["cats"])
        pii_checksum = any(kind in ("iban", "card", "bsn") and ok for kind, _, ok in record)
        sev = severity(cats, role, pii_checksum)
        post = {
            "id": "%s-%d" % (PLATFORM_PREFIX[case["platform"]], n),
            "platform": case["platform"],
            "kind": case["kind"],
            "account": {"handle": case["handle"]},
            "text": text,
            "lang": case["lang"],
            "created_at": case["when"] or rand_time(),
            "brand": "lindevoort",
        }
        if case["name"]:
            post["account"]["display_name"] = case["name"]
        rows.append({"post": post, "expect": {"categories": cats, "severity": sev}})
        meta.append(dict(case=case, record=record, role=role))
    return profile, rows, meta


# --------------------------------------------------------------------------
# self-checks
# --------------------------------------------------------------------------

def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\w.-])\d(?:[ -]?\d){12,18}(?![\w])")
BSN_RE = re.compile(r"(?<![\w.-])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\w])")
PRICE_RE = re.compile(r"(?:€\s?(\d+(?:[.,]\d{1,2})?)|(\d+(?:[.,]\d{1,2})?)\s?(?:euro|eur)\b)", re.I)
PRICE_ERR_RE = re.compile(r"prijsfout|price error|pricing error|per ongeluk|scant op|feed-migratie", re.I)
SECRET_SHAPES = [
    re.compile(r"gh[pousr]_[0-9A-Za-z]{36}"),
    re.compile(r"AKIA[A-Z2-7]{16}"),
    re.compile(r"sk_live_[0-9A-Za-z]{20,}"),
    re.compile(r"xox[abp]-\d+-\d+-[0-9A-Za-z]+"),
    re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]+"),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"SG\.[\w-]{22}\.[\w-]{43}"),
    re.compile(r"live_[0-9A-Za-z]{30}"),
]


def price_value(m):
    raw = m.group(1) or m.group(2)
    return float(raw.replace(",", "."))


def check(profile, rows, meta):
    errors = []

    def err(i, msg):
        errors.append("case %d (%s): %s" % (i, rows[i]["post"]["id"], msg))

    n = len(rows)
    if not 170 <= n <= 180:
        errors.append("case count %d outside 170-180" % n)
    ids = [r["post"]["id"] for r in rows]
    if len(set(ids)) != n:
        errors.append("duplicate ids")

    pub_ibans = {re.sub(r"\s", "", x) for x in profile["public_identifiers"]["ibans"]}
    for x in pub_ibans:
        if not iban_ok(x):
            errors.append("profile public IBAN fails mod-97: " + x)
    role_name = {"corp": "corporate", "emp": "employee", "pub": "public"}
    codenames = [c.lower() for c in profile["internal"]["codenames"]]
    products = [(p, [a.lower() for a in [p["name"]] + p["aliases"]]) for p in profile["products"]]
    ratio = profile["pricing"]["alert_below_ratio"]

    for i, (row, m) in enumerate(zip(rows, meta)):
        post, exp, case = row["post"], row["expect"], m["case"]
        # --- shape (CONTRACT 1 and 6)
        line = json.dumps(row, ensure_ascii=False)
        back = json.loads(line)
        if back != row:
            err(i, "does not round-trip through JSON")
        if set(row) != {"post", "expect"}:
            err(i, "top-level keys")
        for k, t in (("id", str), ("platform", str), ("text", str), ("created_at", str)):
            if not isinstance(post.get(k), t):
                err(i, "missing/typed field " + k)
        if not 1 <= len(post["id"]) <= 256:
            err(i, "id length")
        if post["platform"] not in PLATFORMS:
            err(i, "platform")
        if post["kind"] not in KINDS:
            err(i, "kind")
        if not isinstance(post["account"].get("handle"), str) or not post["account"]["handle"]:
            err(i, "handle")
        if len(post["text"].encode("utf-8")) > 65536:
            err(i, "text too long")
        try:
            ts = parse_ts(post["created_at"])
            if ts.tzinfo is None:
                err(i, "timestamp without zone")
        except ValueError:
            err(i, "bad timestamp")
            continue
        if not (2026 <= ts.year <= 2027):
            err(i, "year")
        cats = exp["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= TAXONOMY or "reputation.spike" in cats:
            err(i, "categories")
        if exp["severity"] not in SEV_ORDER:
            err(i, "severity value")
        if not cats and exp["severity"] != "none":
            err(i, "benign must be none")
        if cats and exp["severity"] in ("none", "info"):
            err(i, "positive with none/info")
        # --- role and severity (CONTRACT 4)
        if role_name[case["role"]] != m["role"]:
            err(i, "intended role %s but profile says %s" % (case["role"], m["role"]))
        pii_ck = any(k in ("iban", "card", "bsn") and ok for k, _, ok in m["record"])
        if exp["severity"] != severity(cats, m["role"], pii_ck):
            err(i, "severity mismatch")
        if "leak.pii" not in cats and pii_ck:
            err(i, "valid identifier outside a pii case")
        # --- recorded identifiers and credentials
        for kind, v, ok in m["record"]:
            if kind == "iban":
                good = iban_ok(v)
            elif kind == "card":
                good = luhn_ok(v)
            elif kind == "bsn":
                good = bsn_ok(v)
            else:
                good = SECRET_CHECKS[kind.split(":")[1]](v)
                if not cats:
                    err(i, "generated credential in a benign post")
            if good != ok:
                err(i, "%s %s checksum expectation %s" % (kind, v, ok))
            if ok and kind in ("iban", "card", "bsn") and not cats:
                err(i, "valid identifier in benign post")
            if not ok and cats:
                err(i, "invalid look-alike in a positive post")
        # --- scan the text for identifiers nobody registered
        text = post["text"]
        for mm in IBAN_RE.finditer(text):
            s = re.sub(r"\s", "", mm.group(0))
            if s in pub_ibans:
                continue
            if cats and not iban_ok(s):
                err(i, "IBAN-like string failing mod-97 in positive: " + s)
            if not cats and iban_ok(s):
                err(i, "valid IBAN in benign post: " + s)
        for mm in CARD_RE.finditer(text):
            d = re.sub(r"\D", "", mm.group(0))
            if len(d) < 13:
                continue
            if cats and not luhn_ok(d):
                err(i, "card-like number failing Luhn in positive: " + mm.group(0))
            if not cats and luhn_ok(d):
                err(i, "Luhn-valid number in benign post: " + mm.group(0))
        for mm in BSN_RE.finditer(text):
            if cats and not bsn_ok(mm.group(0)):
                err(i, "9-digit number failing 11-proof in positive: " + mm.group(0))
            if not cats and bsn_ok(mm.group(0)):
                err(i, "11-proof number in benign post: " + mm.group(0))
        # --- credentials in benign posts must be samples / redacted only
        if not cats:
            for rx in SECRET_SHAPES:
                for mm in rx.finditer(text):
                    tok = mm.group(0)
                    if "EXAMPLE" not in tok and "xxxx" not in tok and "****" not in tok:
                        err(i, "credential-shaped string in benign post: " + mm.group(0)[:20])
        # --- embargo terms
        norm = unicodedata.normalize("NFKC", text).lower()
        for emb in profile["embargo"]:
            until = parse_ts(emb["until"])
            for term in emb["terms"]:
                if term.lower() in norm:
                    if ts < until and "leak.confidential" not in cats:
                        err(i, "embargo term %r before until without confidential" % term)
                    if ts >= until and cats:
                        err(i, "embargo term after until in a positive (keep those benign)")
        # --- codenames (literal) are confidential
        for cn in codenames:
            if cn in norm and "leak.confidential" not in cats:
                err(i, "codename %r without confidential" % cn)
        # --- prices against list prices
        low = False
        lowered = text.lower()
        hits = [p for p, names in products if any(a in lowered for a in names)]
        for pm in PRICE_RE.finditer(text):
            val = price_value(pm)
            for p in hits:
                if val < ratio * p["list_price"]:
                    low = True
        if low and "leak.pricing" not in cats:
            err(i, "price below %.0f%% of list without leak.pricing" % (ratio * 100))
        if "leak.pricing" in cats:
            if not hits:
                err(i, "pricing case without a catalogue product")
            if not (low or PRICE_ERR_RE.search(text)):
                err(i, "pricing case without a low price or price-error talk")
    return errors


def main():
    profile, rows, meta = build()
    with open(OUT, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    # re-read what was written and check that
    with open(OUT, encoding="utf-8") as f:
        reread = [json.loads(l) for l in f]
    errors = check(profile, reread, meta)

    from collections import Counter
    per_cat = Counter(c for r in reread for c in r["expect"]["categories"])
    langs = Counter(r["post"]["lang"] for r in reread)
    roles = Counter((m["role"], bool(r["expect"]["categories"])) for r, m in zip(reread, meta))
    sevs = Counter(r["expect"]["severity"] for r in reread)
    benign = sum(1 for r in reread if not r["expect"]["categories"])
    print("cases:", len(reread), "benign:", benign, "positive:", len(reread) - benign)
    print("per category:", dict(sorted(per_cat.items())))
    print("languages:", dict(langs))
    print("roles (role, positive):", dict(roles))
    print("severities:", dict(sevs))
    if errors:
        print("SELF-CHECK FAILED:")
        for e in errors:
            print("  " + e)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
