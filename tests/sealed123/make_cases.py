#!/usr/bin/env python3
"""Deterministic generator for a sealed postwatch evaluation set (cases.jsonl).

    python3 make_cases.py           # write cases.jsonl next to this file and print counts
    python3 make_cases.py --check   # regenerate in memory, compare with cases.jsonl, validate

Company: "Trekvast Verhuizingen & Opslag B.V." (profile.yaml in this folder), a fictional
Dutch removals company with self-storage depots, a moving-box webshop and a booking app.

Texts are hand-written below (CASES). Identifiers and secrets come from placeholders
such as {{IBAN_NL:grp}} filled by one seeded RNG, so output is byte-for-byte stable.
Positives get checksum-VALID identifiers (IBAN mod-97, Luhn, BSN 11-proof, GitHub CRC32);
hard negatives get look-alikes that FAIL their checksum. Every secret is random and fake.

Severity is never typed by hand: severity_for() derives it from CONTRACT section 4 with the
account role looked up in profile.yaml (platform:handle, case-insensitive).
"""
import argparse
import base64
import datetime as dt
import json
import random
import re
import string
import sys
import unicodedata
import zlib
from collections import Counter
from pathlib import Path

SEED = 71_20260523
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
CATEGORIES = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
              "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]

ZWSP = "\u200b"
SHY = "\u00ad"


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------

def iban_valid(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


def iban_build(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return f"{cc}{98 - n % 97:02d}{bban}"


def luhn_valid(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    if not d:
        return False
    s = 0
    for i, x in enumerate(reversed(d)):
        if i % 2:
            x = x * 2 - 9 if x > 4 else x * 2
        s += x
    return s % 10 == 0


def luhn_finish(prefix):
    return next(prefix + c for c in "0123456789" if luhn_valid(prefix + c))


def elfproef(num):
    s = re.sub(r"\D", "", num)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t != 0 and t % 11 == 0


def ean13_valid(s):
    return len(s) == 13 and (sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(s[:12])) + int(s[12])) % 10 == 0


B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"
B32 = string.ascii_uppercase + "234567"


def base62(n):
    o = ""
    while n:
        n, r = divmod(n, 62)
        o = B62[r] + o
    return o or "0"


def ghp_ok(tok):
    body, crc = tok[4:34], tok[34:]
    return base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0") == crc


# ---------------------------------------------------------------------------
# seeded values
# ---------------------------------------------------------------------------

class Rng:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def dig(self, n, nz=True):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def pick(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    # IBANs
    def iban(self, cc):
        if cc == "NL":
            return iban_build("NL", self.r.choice(["INGB", "ABNA", "RABO", "BUNQ", "KNAB", "SNSB", "TRIO"]) + self.dig(10))
        if cc == "DE":
            return iban_build("DE", self.r.choice(["70150000", "50070010", "10050000", "60050101"]) + self.dig(10, False))
        if cc == "BE":
            head = self.r.choice(["001", "063", "143", "733", "310"]) + self.dig(7, False)
            return iban_build("BE", f"{head}{int(head) % 97 or 97:02d}")
        if cc == "GB":
            return iban_build("GB", self.r.choice(["BARC", "HBUK", "LOYD", "NWBK"]) + self.dig(14, False))
        raise ValueError(cc)

    def bad_iban(self, cc, base=None):
        v = base or self.iban(cc)
        k = int(v[2:4])
        for step in (7, 19, 31, 43):
            c = f"{v[:2]}{(k + step) % 100:02d}{v[4:]}"
            if not iban_valid(c):
                return c
        raise AssertionError

    # cards
    def card(self, brand):
        if brand == "visa":
            return luhn_finish("4" + self.dig(14, False))
        if brand == "mc":
            return luhn_finish("5" + self.r.choice("12345") + self.dig(13, False))
        if brand == "mc2":
            return luhn_finish(str(self.r.randint(2221, 2720)) + self.dig(11, False))
        if brand == "amex":
            return luhn_finish(self.r.choice(["34", "37"]) + self.dig(12, False))
        raise ValueError(brand)

    def bad_card(self, brand):
        v = self.card(brand)
        b = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_valid(b)
        return b

    # BSN and look-alikes
    def bsn(self):
        while True:
            s = self.dig(9)
            if elfproef(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.dig(n)
            if not elfproef(s) and not luhn_valid(s):
                return s

    def ean(self):
        while True:
            body = "87" + self.dig(10, False)
            c = next(body + d for d in "0123456789" if ean13_valid(body + d))
            if not luhn_valid(c):
                return c

    # phones
    def phone(self, fmt):
        m = self.r.choice("12345678") + self.dig(7, False)   # the 8 digits after 06
        if fmt == "mob_dash":
            return f"06-{m}"
        if fmt == "mob_plain":
            return f"06{m}"
        if fmt == "mob_intl_sp":
            return f"+31 6 {m[:2]} {m[2:5]} {m[5:]}"
        if fmt == "mob_0031":
            return f"0031 6 {m[:4]} {m[4:]}"
        if fmt == "mob_paren":
            return f"(06) {m[:4]} {m[4:]}"
        if fmt == "mob_compact_intl":
            return f"+316{m}"
        if fmt == "mob_dots":
            return f"06.{m[:2]}.{m[2:4]}.{m[4:6]}.{m[6:]}"
        area = self.r.choice(["318", "348", "499", "578", "592", "314", "475"])
        sub = self.r.choice("2345678") + self.dig(5, False)
        if fmt == "land_dash":
            return f"0{area}-{sub}"
        if fmt == "land_sp":
            return f"0{area} {sub[:2]} {sub[2:4]} {sub[4:]}"
        raise ValueError(fmt)

    # secrets
    def ghp(self):
        body = self.pick(ALNUM, 30)
        return "ghp_" + body + base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def glpat(self):
        return "glpat-" + self.pick(ALNUM + "-_", 20)

    def aws_id(self):
        return "AKIA" + self.pick(B32, 16)

    def aws_secret(self):
        return self.pick(B64, 40)

    def mollie(self):
        return "live_" + self.pick(ALNUM, 30)

    def stripe(self):
        return "sk_live_51" + self.pick(ALNUM, 60)

    def gapi(self):
        return "AIzaSy" + self.pick(B64URL, 33)

    def sendgrid(self):
        return "SG." + self.pick(B64URL, 22) + "." + self.pick(B64URL, 43)

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return f"https://hooks.slack.com/services/T{self.pick(up, 8)}/B{self.pick(up, 10)}/{self.pick(ALNUM, 24)}"

    def jwt(self):
        enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        head = enc({"alg": "RS256", "typ": "JWT", "kid": self.pick("0123456789abcdef", 8)})
        body = enc({"sub": "klant-" + self.dig(7), "aud": "mijn.trekvast.nl", "scope": "booking:rw",
                    "iat": iat, "exp": iat + 7200})
        return f"{head}.{body}.{self.pick(B64URL, 86)}"

    def pem(self):
        head = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
        rows = [head] + [self.pick(B64, 70) for _ in range(4)] + [self.pick(B64, 22) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(rows) + "\n-----END OPENSSH PRIVATE KEY-----"

    def pw(self):
        words = ["Verhuis", "Doos", "Kraan", "Loods", "Depot", "Sjouw", "Plakband", "Trap"]
        return self.r.choice(words) + self.r.choice(["!", "*", "-", "_", "+"]) + self.dig(4) + self.pick(string.ascii_lowercase, 2)

    def sha(self, n):
        return self.pick("0123456789abcdef", n)


VALID_ID = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "IBAN_GB", "CARD", "BSN"}
PH = re.compile(r"\{\{([A-Z0-9_]+)(?::([a-z0-9_]+))?\}\}")


def fill(rng, text):
    used = []

    def one(m):
        kind, fmt = m.group(1), m.group(2) or ""
        if kind.startswith("IBAN_"):
            raw = rng.iban(kind[5:])
            shown = " ".join(raw[i:i + 4] for i in range(0, len(raw), 4)) if fmt == "grp" else raw
        elif kind.startswith("BADIBAN_"):
            raw = rng.bad_iban(kind[8:])
            shown = " ".join(raw[i:i + 4] for i in range(0, len(raw), 4)) if fmt == "grp" else raw
        elif kind == "BADOWNIBAN":
            raw = rng.bad_iban("NL", "NL20RABO0317445290")
            shown = " ".join(raw[i:i + 4] for i in range(0, len(raw), 4))
        elif kind in ("CARD", "BADCARD"):
            brand, _, f = fmt.partition("_")
            raw = rng.card(brand) if kind == "CARD" else rng.bad_card(brand)
            if f == "c":
                shown = raw
            else:
                parts = [raw[:4], raw[4:10], raw[10:]] if len(raw) == 15 else [raw[i:i + 4] for i in range(0, 16, 4)]
                shown = ("-" if f == "dash" else " ").join(parts)
        elif kind == "BSN":
            raw = rng.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if fmt == "dots" else (
                f"{raw[:3]} {raw[3:6]} {raw[6:]}" if fmt == "sp" else raw)
        elif kind == "NOTBSN":
            raw = shown = rng.not_bsn(int(fmt))
        elif kind == "EAN":
            raw = shown = rng.ean()
        elif kind == "PHONE":
            raw = shown = rng.phone(fmt)
        elif kind == "NUM":
            raw = shown = rng.dig(int(fmt))
        elif kind == "SHA":
            raw = shown = rng.sha(int(fmt))
        else:
            f = {"GHP": rng.ghp, "GLPAT": rng.glpat, "AWS_ID": rng.aws_id, "AWS_SECRET": rng.aws_secret,
                 "MOLLIE": rng.mollie, "STRIPE": rng.stripe, "GAPI": rng.gapi, "SENDGRID": rng.sendgrid,
                 "SLACK_HOOK": rng.slack_hook, "JWT": rng.jwt, "PEM": rng.pem, "PW": rng.pw}[kind]
            raw = shown = f()
        used.append((kind, raw, shown))
        return shown

    return PH.sub(one, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

# corporate
TV_X = ("x", "@trekvast", "Trekvast Verhuizingen")
TV_CARE = ("x", "@trekvast_helpt", "Trekvast Klantenservice")
TV_IG = ("instagram", "@trekvast.verhuizen", "Trekvast")
TV_LI = ("linkedin", "trekvast-verhuizingen-opslag", "Trekvast Verhuizingen & Opslag B.V.")
TV_FB = ("facebook", "TrekvastVerhuizingen", "Trekvast Verhuizingen")
TV_TT = ("tiktok", "@trekvast", "Trekvast")
# employees
MO = ("x", "@mo_sjouwt", "Mohamed Ouali")                            # crew lead removals
LP = ("x", "@lindaplant", "Linda Pronk")                             # planner
KH = ("linkedin", "kees-hoogland-trekvast", "Kees Hoogland")         # IT lead
IB = ("linkedin", "ingrid-bosman-fin", "Ingrid Bosman")              # finance controller
JS = ("x", "@joost_opslag", "Joost Smit")                            # depot manager Amersfoort
SEM = ("tiktok", "@sem.sjouwt", "Sem de Wit")                        # mover
AN = ("facebook", "anouk.vermeulen.tv", "Anouk Vermeulen")           # damage claims
RB = ("bluesky", "@rutgerbouwman.bsky.social", "Rutger Bouwman")     # app developer


def pub(platform, handle, name=None):
    return (platform, handle, name)


PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle=None):
    platform, h, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle or h, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", LP, "Eh collega's... het Gezinspakket staat sinds vanochtend voor €189,50 in de boekingsmodule ipv €1.895 🙈 "
     "komma verschoven bij de import. IT is ermee bezig, tot die tijd niks bevestigen aub", [PRICING])
case("en", KH, "Short postmortem: the nightly tariff sync wrote cents into the euro field, so the 10m2 unit was on "
     "mijn.trekvast.nl for €14.90/month for about three hours. Rolled back. Unit tests on price imports are now "
     "mandatory in our team.", [PRICING])
case("nl", pub("x", "@bas_verhuist"), "Studiopakket voor €69,50 bij @trekvast ???? das toch een prijsfout, meteen "
     "geboekt voor 1 juni hahaha 🤑🤑", [PRICING])
case("en", pub("reddit", "u/dutch_expat_moves"), "Heads up if you're moving soon: dozendepot.nl lists the 25-pack "
     "verhuisdozen at €5.99. Pretty sure that's a glitch (it's normally around 60). Ordered four packs, will report "
     "back if they actually ship", [PRICING], kind="comment")
case("nl", pub("facebook", "ria.vandenheuvel", "Ria van den Heuvel"), "Klopt dit?? Opslagunit 5 m2 bij Trekvast voor "
     "8,90 euro per maand in hun app. Normaal bijna 90 euro. Zal wel een foutje zijn maar ik heb m vastgelegd hoor 😅",
     [PRICING])
case("nl", TV_IG, "🚚 VOORJAARSDEAL 🚚\nVerhuispakket Studio nu voor €295 all-in!\nBoek via mijn.trekvast.nl 📦\n"
     "#verhuizen #trekvast #nieuwhuis", [PRICING])
case("nl", SEM, "yo de app geeft ladderlift halve dag voor €24,50 😭😭 planning staat roodgloeiend iedereen boekt m "
     "#verhuizerslife", [PRICING], kind="post")
case("nl", pub("x", "@koopjesjager_nl"), "p r i j s f o u t 🚨 Gezinspakket bij Trekvast voor €18,95 (normaal €1.895) "
     "wees er snel bij!!", [PRICING], tags=["evasion", "evasion:spaced"])
case("nl", pub("threads", "@noor.verhuist"), "prijsf\u043eut?? opslagunit 10 m2 voor €9 p/m bij trekv\u0430st 👀👀 "
     "screenshot gemaakt voor de zekerheid", [PRICING], tags=["evasion", "evasion:homoglyph"])
case("en", IB, "For the ops managers reading along: last night's pricing feed error also hit the Verhuislift halve "
     "dag, which has been bookable at €2,45 since 23:00. We are cancelling those bookings with a goodwill voucher. "
     "Please keep this off customer channels for now.", [PRICING])
case("nl", MO, "Klant belt waarom z'n Gezinspakket maar €189 kost 😂 ticket staat op "
     "planning.trekvast.local/tickets/8812, wie fixt dit even", [PRICING, CONF])
case("en", pub("threads", "@hannahmovesnl"), "booked the Family package w/ trekvast for 189 euros lmaooo their site "
     "is broken. a 3 bedroom house move for less than a night out 💀", [PRICING])
case("nl", pub("forum", "DozenDirk"), "[Prijsfout] Kledingdoos van DozenDepot voor € 0,15 per stuk\n\n"
     "link: dozendepot.nl/kledingdoos\nBestelling bevestigd, nu afwachten of ze leveren", [PRICING])
case("nl", AN, "Niet doorvertellen maar er zit een prijsfout op het Studiopakket in de app, IT weet ervan en "
     "finance is aan het tellen hoeveel boekingen er al zijn", [PRICING])

# ===========================================================================
# leak.secret
# ===========================================================================
case("nl", KH, "Pijnlijke les deze week 🙃 In een oude deploy-config van onze boekingsapp stond gewoon:\n\n"
     "AWS_ACCESS_KEY_ID={{AWS_ID}}\nAWS_SECRET_ACCESS_KEY={{AWS_SECRET}}\n\nIs inmiddels ingetrokken. "
     "Check jullie repo's mensen! #devops #security", [SECRET])
case("en", RB, "why is the github api giving us 403 on the org?? curl -H 'Authorization: Bearer {{GHP}}' "
     "https://api.github.com/orgs/trekvast/repos worked fine yesterday 🤔", [SECRET])
case("en", KH, "Anyone seen this with pgbouncer before? conn string is "
     "postgresql://planner_rw:{{PW}}@db02.planning.trekvast.local:5432/routes and it times out after 30s",
     [SECRET, CONF], handle="Kees-Hoogland-Trekvast")
case("nl", MO, "voor de mannen van ploeg 3: wachtwoord van de nieuwe tablets in de wagens is {{PW}} , NIET op een "
     "briefje op het dashboard plakken aub 🙏", [SECRET])
case("en", LP, "Mollie keeps rejecting our payment links since the update, the key in the config is {{MOLLIE}} — "
     "wrong environment maybe? anyone from IT around", [SECRET], handle="@LindaPlant")
case("nl", TV_CARE, "@gerritdekker Sorry voor het ongemak! De betaalpagina werkt weer 👍 (debug-ref: {{STRIPE}})",
     [SECRET], kind="reply")
case("en", pub("reddit", "u/apk_digger"), "Decompiled the Trekvast booking app out of curiosity. Their Maps API key "
     "is just sitting in res/values/strings.xml: {{GAPI}}\n\nnot great, not terrible", [SECRET])
case("en", RB, "booking alerts stopped posting to slack 😩 this is the webhook we use: {{SLACK_HOOK}} — did someone "
     "delete the channel?", [SECRET])
case("nl", JS, "Klant krijgt steeds 'sessie verlopen' in de app, dit is het token uit zijn screenshot: {{JWT}} "
     "kan iemand van IT kijken?", [SECRET])
case("en", KH, "Cleaning up my laptop before the migration and found this in ~/.ssh without a name on it. "
     "Anyone recognise which server it belongs to?\n\n{{PEM}}", [SECRET])
case("en", pub("forum", "oud_collega_77"), "lol trekvast still hasn't revoked the gitlab token that sat in their "
     "public wiki for a year: {{GLPAT}}", [SECRET])
case("nl", LP, "wifi-ww in de kantine van depot Utrecht is veranderd, het is nu {{PW}} (netwerk TV-Personeel) 📶",
     [SECRET])
case("en", LP, "confirmation mails not arriving AGAIN. sendgrid key in the booking backend is {{SENDGRID}} maybe "
     "it got rate limited?", [SECRET])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", pub("x", "@femke_vd_berg"), "@trekvast_helpt al 3x gebeld en niemand belt terug over mijn kapotte "
     "kast. Mijn nummer is {{PHONE:mob_dash}}, kan er nu eindelijk iemand reageren?", [PII, COMPLAINT])
case("nl", pub("facebook", "henk.brouwer.5", "Henk Brouwer"), "Trekvast, al 7 weken wacht ik op de borg van mijn "
     "opslagunit. Nog één keer dan: {{IBAN_NL:grp}} t.n.v. H. Brouwer. Graag vandaag nog.", [PII, COMPLAINT])
case("nl", AN, "Schadeclaim van mevrouw Lotte Kramer, Vlierstraat 22 in Amersfoort is goedgekeurd 👍 buitendienst: "
     "de taxateur komt daar morgen om 10u", [PII])
case("nl", TV_CARE, "@ruudjansen78 Excuses voor het wachten! Onze planner belt u vanmiddag op {{PHONE:mob_intl_sp}}, "
     "klopt dat nummer nog?", [PII], kind="reply")
case("nl", LP, "Kan iemand van finance de terugbetaling doen voor de geannuleerde verhuizing van dhr. Yilmaz? "
     "Rekening {{IBAN_NL}}, bedrag €340. Thnx!", [PII])
case("nl", JS, "Wie zet er nou z'n BSN in het opmerkingenveld van een huurcontract voor een opslagbox 🤦\u200d♂️ "
     "{{BSN:dots}} staat er gewoon. Wordt vernietigd hoor", [PII])
case("en", pub("x", "@jackmoves_ams"), "@trekvast charged my card twice for the same booking. here's the full number "
     "so you can find it: {{CARD:visa_sp}} SORT IT OUT", [PII, COMPLAINT])
case("en", pub("linkedin", "katrin-weber-hr"), "Moved from Munich to Utrecht with Trekvast. Two items broken and "
     "I'm still waiting for the 120 EUR compensation they promised in March. Refund account: {{IBAN_DE:grp}}",
     [PII, COMPLAINT])
case("en", pub("reddit", "u/newinrotterdam"), "Trekvast wants a copy of my passport for a storage contract? "
     "Passport no. NX4RK8T72, is that even allowed? I don't really want to upload the whole scan", [PII])
case("nl", MO, "Morgen 7u verzamelen bij fam. Van der Graaf, Lindelaan 14, 3705 GK Zeist. 3e verdieping zonder "
     "lift dus ladder mee 💪", [PII], handle="@Mo_Sjouwt")
case("nl", TV_LI, "Vandaag vieren we het jubileum van onze chauffeur Henk Veldman (geboren 3 april 1966)! 25 jaar "
     "bij Trekvast en nog nooit een kras op een vleugel 🎉", [PII])
case("nl", pub("instagram", "@jolien.woont"), "Wie wil m'n oude verhuisdozen van Trekvast ophalen? Gratis! "
     "mail me op jolien.vos [at] hotmail [punt] com 📦♻️", [PII], tags=["evasion", "evasion:obfuscated-email"])
case("en", AN, "Could someone from claims email r.meijer1984@gmail.com about the damaged wardrobe? He has called "
     "our line every day this week", [PII])
case("nl", pub("x", "@kevin_antwerpen"), "@trekvast_helpt verhuisd van Antwerpen naar Breda, 2 dozen kwijt en nog "
     "geen cent gezien. Rekeningnummer {{IBAN_BE}} — stort het maar terug", [PII, COMPLAINT])
case("nl", pub("x", "@sloopkogel_22"), "Dit is die sukkel van Trekvast die m'n tv liet vallen: Dennis Koster, woont "
     "Zwanenlaan 8 in Nieuwegein. Ga hem maar ff opzoeken 😡", [PII, COMPLAINT, ABUSE])
case("en", LP, "International move next week for mr. Harrington, deposit refund goes to {{IBAN_GB:grp}} after the "
     "inspection. pls add to the file", [PII])
case("en", pub("x", "@amy_k_nl"), "ok so i just replied to @trekvast_helpt publicly with my amex {{CARD:amex_sp}} "
     "instead of sending a DM 🙃 can someone delete this", [PII])
case("en", JS, "Tenant of unit 4-112 isn't responding to anything, the number on file is {{PHONE:mob_0031}}. "
     "Does anyone have another number for him?", [PII])
case("nl", TV_FB, "🎉 De winnaar van onze verhuisdozen-winactie is Eva Jansen, Kerkstraat 3 in Heerlen! "
     "We bezorgen je prijs volgende week 📦", [PII])
case("nl", LP, "kan iemand deze ff handmatig afschrijven, klant gaf telefonisch z'n kaart door: {{CARD:mc_dash}} "
     "geldig tot 08/28", [PII])
case("nl", pub("facebook", "wil.van.beek.1952"), "Ik heb Trekvast al drie brieven gestuurd over de kras op mijn "
     "dressoir. Bel mij maar op {{PHONE:land_dash}}, ik zit niet op die computer.", [PII, COMPLAINT])
case("nl", pub("x", "@youssef_utr"), "trekvast vroeg om m'n bsn voor de opslag en ik heb m gewoon gegeven "
     "{{BSN}} hoop dat dat ok is 😬", [PII])

# ===========================================================================
# leak.confidential
# ===========================================================================
case("nl", LP, "Eerste week testen met Bolderkar achter de rug 🙌 de routes worden veel slimmer ingedeeld. "
     "Kan niet wachten tot we live gaan!", [CONF])
case("en", KH, "For the new colleagues: all work instructions live on intra.trekvast.local/wiki/onboarding, "
     "just log in with your normal account", [CONF])
case("nl", pub("x", "@zaanse_eva"), "Ooh komt er een Trekvast Depot Zaandam aan de Hemkade?? Net de bouwborden "
     "gezien 👀", [CONF], when="2026-04-18T16:22:09+02:00")
case("en", SEM, "first look at the TrekBox Flex 📦 we got to load one today, fits a whole studio lol "
     "#movinglife", [CONF], when="2026-03-03T14:10:00+01:00")
case("nl", TV_X, "Nog even geduld... Depot Zaandam opent binnenkort de deuren! 📦🔑 Reserveer nu alvast je unit",
     [CONF], when="2026-05-12T09:59:00+02:00")
case("nl", JS, "Slide uit de managersmeeting, staat 'uitsluitend intern' op maar hij is te mooi: bezettingsgraad "
     "per depot in één grafiek 📊 Amersfoort bovenaan!", [CONF])
case("en", IB, "Great session with the board today. Can't share much, the deck says TREKVAST CONFIDENTIAL on every "
     "page 😄 but 2027 will be a big year for our storage business", [CONF])
case("nl", pub("x", "@techbart"), "Grappig, in de broncode van de Trekvast-site staat gewoon een link naar "
     "git.trekvast.nl/planning/routes 🤓 iemand vergeten op te ruimen", [CONF])
case("en", JS, "vpn.trekvast.nl is down again from the Amersfoort depot, anyone else or just us?", [CONF])
case("nl", pub("instagram", "@sem.sjouwt"), "sneak peek 👀 TrekBox Flex staat in de loods #trekvast #verhuizen",
     [CONF], when="2026-04-02T11:45:31+02:00")
case("nl", MO, "Iemand al met B\u043elderkar gewerkt? Schijnt dat de planning daar straks helemaal in gaat",
     [CONF], tags=["evasion", "evasion:homoglyph"])
case("en", pub("reddit", "u/betatester_nl"), "Got into the closed beta of the new Trekvast app, codename Bolderkar "
     "apparently (it literally says so on the about screen). Live tracking of the van is neat", [CONF])

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", IB, "Trots op het team 💪 De halfjaarcijfers 2026 zijn zo goed als rond: omzet +11%, opslag groeit het "
     "hardst. Meer mag ik nog niet zeggen!", [FIN, CONF], when="2026-08-03T17:40:12+02:00")
case("nl", MO, "baas bevestigde het net, na de zomer moeten er 30 verhuizers uit. Niemand weet nog wie. Top sfeer "
     "in de kantine 😶", [FIN])
case("nl", JS, "Off the record: depot Almere gaat eind dit jaar dicht, huurders krijgen pas in oktober een brief. "
     "Zonde van zo'n mooie locatie", [FIN])
case("nl", IB, "Spannende weken: Project\nOoievaar gaat de laatste fase in. Als alles doorgaat zijn we straks twee "
     "keer zo groot in Noord-Nederland", [FIN, CONF], tags=["evasion", "evasion:linebreak"])
case("nl", LP, "Operatie 🧺 Dekkleed betekent dus gewoon dat de helft van planning verdwijnt. Lekker dan.",
     [FIN, CONF], tags=["evasion", "evasion:emoji-split"])
case("nl", pub("x", "@roelofsma_r"), "Hoor van m'n zwager (zit op kantoor bij Trekvast) dat ze worden overgenomen "
     "door een Duitse investeerder. Eind van de maand wordt er getekend schijnbaar", [FIN])
case("en", KH, "Can't name them yet, but we sign the acquisition of a northern competitor next Thursday. Busy weeks "
     "ahead merging their IT into ours 😅", [FIN])
case("en", IB, "Internal forecast update: we will miss the Q3 EBITDA target by roughly €2m and storage occupancy "
     "dropped to 71%. Board discusses cost measures next week.", [FIN])
case("nl", LP, f"Vandaag gehoord dat 8 van de 14 planners ont{SHY}slagen worden per 1 oktober. Officieel mag "
     "nog niemand het weten.", [FIN], tags=["evasion", "evasion:soft-hyphen"])
case("en", pub("glassdoor", "anonymous_employee"), "Management told us yesterday that 25% of office staff at "
     "Trekvast will be gone by Q1. Nothing public yet. Not a stable employer right now.", [FIN])
case("en", SEM, "boss just told the crew trekvast is getting sold to some private equity firm 💀 nobody's "
     "supposed to know yet so shhh", [FIN])
case("en", IB, "The board approved closing three self-storage sites this morning. External announcement is "
     "planned for November, not before.", [FIN])

# ===========================================================================
# leak.security
# ===========================================================================
case("nl", KH, "Alle hens aan dek: planning.trekvast.local ligt plat en op de server staat een losgeldbriefje. "
     "Niks naar buiten communiceren tot we meer weten.", [SEC, CONF])
case("en", RB, "found a nasty bug in our booking app: change the booking number in the URL and you see other "
     "customers' inventory lists and addresses. fix is in review but it's live right now 😬", [SEC])
case("nl", JS, "Sinds de update van vannacht gaat de toegangspoort van depot Amersfoort open met elke willekeurige "
     "pincode. Nog niet aan de huurders gemeld.", [SEC])
case("nl", MO, "alle tablets in de wagens zijn vannacht gewist, zeggen dat het hackers waren?? vandaag planning op "
     "papier lol", [SEC])
case("nl", pub("x", "@mvdl_070"), "Vriend van me werkt bij Trekvast en zegt dat ze al weken gehackt zijn maar het "
     "stilhouden. Heb je spullen bij ze in opslag? Check je gegevens...", [SEC, CRISIS])
case("en", pub("reddit", "u/privacyfirst_nl"), "Trekvast has known since March that their customer database "
     "leaked and they are saying nothing. A former IT guy told me. Report them to the AP.", [SEC, CRISIS])
case("en", LP, "Someone clicked a phishing mail and now the planning mailbox is taken over and sending fake "
     "invoices to customers 😩 IT is on it, customers haven't been told anything yet", [SEC])
case("nl", AN, "we zijn geh@ckt denk ik, het schadeportaal laat ineens claims van andere klanten zien 😳",
     [SEC], tags=["evasion", "evasion:leet"])
case("en", KH, "Camera system at all storage depots has been offline for three days after a firmware update. "
     "Not communicated to customers yet, we're on it.", [SEC])
case("en", KH, "Anyone else seeing the spike on grafana.trekvast.nl/d/api-errors? Looks like someone has been "
     "brute-forcing customer logins since 02:00", [SEC, CONF])
case("en", AN, "Just found out the photos for ALL damage claims sit in a public storage bucket, anyone with the link "
     "can browse them. Reported to IT, still open", [SEC])
case("nl", pub("forum", "exmedewerker_tv"), "Het alarmsysteem van de Trekvast depots draait nog steeds op de "
     "standaard installateurscode. Heb ik twee jaar geleden al gemeld, nog steeds niet opgelost.", [SEC])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@sanne_utrecht"), "Krijg een sms met m'n exacte verhuisdatum en nieuwe adres en een "
     "'betaallink' voor de borg. Alleen Trekvast had die gegevens. Datalek?? Hoe kan dit", [CRISIS])
case("nl", pub("x", "@eerlijkwerk"), "Verhuizers van Trekvast draaien 14-uursdagen voor minder dan het minimumloon. "
     "Niet meer boeken! #boy\u200bcotTrekvast", [CRISIS], tags=["evasion", "evasion:zero-width"])
case("en", pub("facebook", "mark.oconnor.nl", "Mark O'Connor"), "We have filed a lawsuit against Trekvast. They "
     "lost the entire contents of our storage unit, including my late father's paintings, and refuse any "
     "liability.", [CRISIS, COMPLAINT])
case("nl", pub("x", "@brandweerfan_nl"), "Grote brand bij opslagbedrijf Trekvast in Amersfoort, dikke zwarte "
     "rookwolken boven het bedrijventerrein. Mensen in de buurt: ramen en deuren dicht! 🔥", [CRISIS])
case("en", pub("instagram", "@the_de_jong_family"), "The Trekvast lift dropped our piano from the second floor "
     "today. It landed a metre from where our son was standing. Nobody from the company has called us.",
     [CRISIS, COMPLAINT])
case("nl", pub("x", "@nieuws_regio_oost"), "Arbeidsinspectie treft zeven zwartwerkers aan bij verhuisbedrijf "
     "Trekvast in Apeldoorn", [CRISIS], kind="repost")
case("nl", pub("facebook", "ilse.mooij"), "De dozen van DozenDepot zaten vol schimmel, mijn dochter heeft astma en "
     "lag gisteren met een aanval in het ziekenhuis. Waarom is hier geen terugroepactie voor?!", [CRISIS, COMPLAINT])
case("nl", pub("tiktok", "@jordi.nl"), "d a t a l e k bij trekvast?? iedereen krijgt ineens rare mails met hun "
     "eigen ordernummer erin", [CRISIS], tags=["evasion", "evasion:spaced"])
case("nl", pub("x", "@woedende_wim"), "Boycot die racistische klootzakken van Trekvast, ze weigeren mensen met een "
     "'buitenlandse' achternaam een unit te verhuren", [CRISIS, ABUSE])
case("en", pub("x", "@ringcam_receipts"), "My neighbour's doorbell cam caught a Trekvast mover pocketing a "
     "jewellery box while they were moving the family next door. Police report filed. Please share.", [CRISIS])
case("nl", pub("x", "@opslag_jan"), "3e inbraak deze maand bij Trekvast opslag Zwolle en ze doen NIKS. m'n "
     "gereedschap is ook weg. Camera's hangen er voor de sier", [CRISIS, COMPLAINT])
case("nl", pub("linkedin", "vakbond-transport-nieuws"), "De vakbond stapt naar de rechter: Trekvast betaalt "
     "overuren van verhuizers al maanden niet uit. Zaak dient in september.", [CRISIS])
case("nl", pub("facebook", "buurtgroep.soesterberg"), "Buurtbewoners opgelet: bij Trekvast Opslag aan de "
     "Kampweg is asbest gevonden in een van de units. Hele hal afgezet, maar niemand in de buurt is ingelicht!",
     [CRISIS])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@lisa_verhuist"), "@trekvast_helpt verhuizers zouden om 8u komen, het is nu 12:15 en nog "
     "niemand gezien. Telefoon wordt niet opgenomen. Sleuteloverdracht om 14u... bedankt hoor", [COMPLAINT])
case("en", pub("x", "@tomkelly_ams"), "Quote from @trekvast said €950. Final invoice: €1,740 because of 'more "
     "volume than estimated'. Nobody came to look at the flat beforehand. Never again tbh", [COMPLAINT])
case("nl", pub("facebook", "annemiek.s"), "Eikenhouten tafel met een flinke kras en een poot die los zit. Schade "
     "gemeld via het formulier op 2 mei, sindsdien alleen een automatisch antwoord. Trekvast, hoe lang nog?",
     [COMPLAINT])
case("en", pub("reddit", "u/storage_woes"), "PSA: Trekvast storage in Rotterdam-Zuid has had a leaking roof for "
     "weeks. Half my boxes are soaked and smell like a basement. Staff just shrug.", [COMPLAINT])
case("en", pub("x", "@gijs_b"), "the Trekvast app crashes every single time I try to change my moving date. "
     "tried 4 times. calling = 40 min on hold 🙃", [COMPLAINT])
case("nl", pub("instagram", "@vera.thuis"), "Besteld: 3x 25-pack verhuisdozen. Geleverd: 1 pack 🤨 en de bodem "
     "viel er bij de eerste stapel boeken al uit 📦💥\n#dozendepot #nietblij", [COMPLAINT])
case("en", pub("x", "@priya_in_delft"), "@trekvast_helpt you charged the booking fee twice in the app (2x €35) "
     "and the chat bot keeps saying 'try again later'. refund please", [COMPLAINT])
case("nl", pub("x", "@truus_tweet"), "Mijn kleinzoon had het voor me geboekt bij Trekvast. De heren waren "
     "onbeleefd, rookten in mijn hal en lieten de voordeur open staan met de kat. Nooit meer.", [COMPLAINT])
case("nl", pub("forum", "Verhuisd_in_Delft"), "Review Trekvast: offerte prima, verhuisdag zelf een drama. Kwamen "
     "met een te kleine wagen, moesten 2x rijden en rekenden die extra rit gewoon door.\nBorg van €150 na 6 weken "
     "nog steeds niet terug.", [COMPLAINT])
case("en", pub("youtube", "@vlogwithmaartje"), "moving vlog part 3 is up, spoiler: Trekvast forgot half our boxes "
     "in the old apartment 🙃 had to go back with my dad's car", [COMPLAINT], kind="comment")
case("en", pub("threads", "@sofie.k"), "asked trekvast to wrap the mirror, they said they would, mirror arrived in "
     "3 pieces. claim denied bc of 'insufficient packaging'. make it make sense", [COMPLAINT])
case("en", pub("bluesky", "@joris.bsky.social"), "The Trekvast depot in Utrecht changed its opening hours without "
     "telling anyone. Stood at a locked gate on Saturday with a van I'd rented by the hour.", [COMPLAINT])
case("en", pub("x", "@glitterbomb_jen"), fullwidth("WORST MOVERS EVER") + " @trekvast scratched every single "
     "doorframe in our new place and claims it was 'pre-existing'", [COMPLAINT],
     tags=["evasion", "evasion:full-width"])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@dtrkn"), "Stelletje debielen bij Trekvast, echt allemaal", [ABUSE], kind="reply")
case("nl", MO, "@klant_in_nood doe effe normaal zeikerd, wij sjouwen hier jouw 40 dozen boeken drie hoog en jij "
     "zit alleen maar te mekkeren", [ABUSE], kind="reply")
case("nl", TV_CARE, "@marco_r Misschien eerst de voorwaarden leren lezen voordat je gaat zeuren, idioot 🙄",
     [ABUSE], kind="reply", handle="@Trekvast_Helpt")
case("en", pub("x", "@angrybrit_nl"), "fuck trekvast and their clown of a ceo", [ABUSE])
case("nl", pub("tiktok", "@lars.xd"), "wat een kankerbedrijf is dat trekvast zeg", [ABUSE], kind="comment")
case("nl", pub("facebook", "gert.h"), "Weer alleen maar buitenlanders die bij Trekvast je spullen komen sjouwen. "
     "Ga toch terug naar je eigen land. Ik neem wel een Hollands bedrijf.", [ABUSE], kind="comment")
case("en", pub("x", "@movingmess"), "3 hours late, broke a lamp, then argued with me about it. Trekvast hires "
     "absolute morons", [COMPLAINT, ABUSE])
case("nl", pub("x", "@xrobinx"), "Trekvast zijn echte kl00tzakken, f*ck die gasten", [ABUSE],
     tags=["evasion", "evasion:masked"])
case("nl", pub("x", "@nachtuil_99"), "@lindaplant jij bent toch die planner van Trekvast? Ik weet waar je werkt, "
     "let maar goed op vanavond", [ABUSE])
case("en", pub("youtube", "@randomviewer22"), "these trekvast guys are such idiots lmao", [ABUSE], kind="comment")
case("nl", SEM, "klant van vandaag was echt een trut, 3 uur lang commentaar en dan nog geen fooi 🙄 "
     "#verhuizerslife", [ABUSE])
case("nl", pub("x", "@wasmachine_weg"), "Die prutsers van Trekvast hebben m'n wasmachine van de trap laten "
     "donderen en nu lekt ie. Schade melden? Niemand neemt op.", [COMPLAINT, ABUSE])

# ===========================================================================
# benign (hard negatives)
# ===========================================================================
# own contact data, many formats
case("nl", TV_CARE, "@jasper_w Vervelend om te horen! Bel ons gerust op 030-760 44 00 of mail naar "
     "schade@trekvast.nl, dan kijken we er direct naar.", kind="reply", tags=["own-contact"])
case("nl", TV_X, "Vragen over je offerte? Bel gratis 0800-8735 ☎️ of mail offerte@trekvast.nl 📩", tags=["own-contact"])
case("nl", TV_FB, "Betaal je liever per overschrijving? Gebruik NL20 RABO 0317 4452 90 t.n.v. Trekvast Verhuizingen "
     "& Opslag B.V. en vermeld je boekingsnummer.", tags=["own-contact"])
case("nl", pub("x", "@marloes_k"), "Tip: gewoon bellen naar +31 (0)30 760 4400, ik had binnen 5 minuten iemand "
     "aan de lijn die m'n datum omzette 👌", tags=["own-contact", "praise"])
case("en", pub("reddit", "u/movedtwice"), "just email info@trekvast.nl with your booking number, they answered me "
     "the same day", kind="comment", tags=["own-contact"])
case("nl", LP, "We zoeken versterking voor het planningsteam! 🗓️ Zin in puzzelen met routes en wagens? Stuur je cv "
     "naar werkenbij@trekvast.nl", tags=["own-contact"])
case("en", TV_IG, "Questions about your storage unit? Call +31307604400 or drop by any depot, coffee's on us ☕",
     tags=["own-contact"])
case("nl", pub("x", "@bram_belt"), "0800 8735 gebeld voor een offerte, binnen een dag een mail. Netjes Trekvast",
     tags=["own-contact", "praise"])
# checksum-failing look-alikes and reference numbers
case("nl", pub("x", "@dirk_vraagt"), "@trekvast_helpt klopt het IBAN in jullie factuurmail wel? {{BADOWNIBAN}} "
     "wordt door mijn bankapp geweigerd, wil zeker weten dat ik goed overmaak", kind="reply", tags=["bad-checksum"])
case("nl", KH, "Unit tests voor onze nieuwe betaalflow: een kaartnummer als {{BADCARD:visa_sp}} moet door de "
     "Luhn-check worden afgekeurd en dat gebeurt nu eindelijk 🎉 #testing", tags=["bad-checksum"])
case("nl", pub("x", "@inlogprobleem"), "De app vraagt om een klantnummer van 9 cijfers, de mijne is {{NOTBSN:9}} "
     "maar die wordt niet herkend. Iemand hetzelfde?", tags=["bad-checksum"])
case("nl", TV_LI, "Trekvast Opslag B.V. is ingeschreven onder KvK {{NOTBSN:8}}. Let op: wij vragen nooit per sms "
     "om betaling van de borg.", tags=["bad-checksum"])
case("nl", pub("forum", "zolderkamer_zeist"), "Is de Verhuisdoos Medium van DozenDepot dezelfde als EAN {{EAN}}? "
     "Ik wil er nog een paar bijbestellen in hetzelfde formaat.", tags=["reference-number"])
case("en", pub("x", "@ollie_in_nl"), "Booking ref TV-2026-{{NUM:6}} confirmed for the 14th 🙌 first time hiring "
     "movers, wish me luck", tags=["reference-number"])
case("en", pub("reddit", "u/accidental_landlord"), "Trekvast's refund form keeps rejecting the German account my "
     "old landlord gave me: {{BADIBAN_DE:grp}}. Turns out he mistyped the check digits, so not their fault for once",
     tags=["bad-checksum"])
# secret look-alikes
case("en", KH, "Reminder for every dev: never commit keys like AKIAXXXXXXXXXXXXXXXX or sk_live_... to a repo. "
     "Use the vault, it exists for a reason 🔐", tags=["placeholder-secret"])
case("en", RB, "the Android 14 crash when adding photos to a booking is fixed in {{SHA:40}}, rolling out to the "
     "store tonight 🚀", tags=["git-sha"])
case("nl", pub("x", "@wachtwoord_kwijt"), "Waar verander ik m'n wachtwoord in de Trekvast app? Kan het echt nergens "
     "vinden, zit het onder profiel?", tags=["neutral-question"])
case("nl", KH, "Mooie release vandaag: op mijn.trekvast.nl kun je nu zelf je verhuisdatum wijzigen en je "
     "inventarislijst downloaden 🚚", tags=["public-domain"])
# prices that are not pricing leaks
case("nl", TV_X, "☀️ Zomeractie: 20% korting op alle verhuisdozen! Het 25-pack verhuisdozen nu €47,95 (was €59,95) "
     "op dozendepot.nl", tags=["sale"])
case("nl", TV_IG, "Eerste maand 25% korting op een opslagunit 10 m2: €111,75 in plaats van €149 🔑 #opslag",
     tags=["sale"])
case("en", pub("x", "@keuzestress_k"), "Studio package is €695 at Trekvast vs €820 on the other quote we got. "
     "Easy pick honestly", tags=["price-talk"])
case("nl", pub("facebook", "marktplaats.hilversum"), "Te koop: 20 gebruikte dozen (Verhuisdoos Medium van "
     "DozenDepot), €10 voor alles, ophalen in Hilversum", tags=["price-context", "second-hand"])
case("en", pub("x", "@spaarvarken"), "€50 off the Family package with code LENTE50, still works until Sunday 🌷",
     tags=["sale", "price-context"])
case("nl", pub("x", "@vergelijker_v"), "Bij Stapelbox kost een 10m2 unit €60 per maand, bij Trekvast €149. Waar "
     "betaal je dan voor?", tags=["price-context", "other-company"])
case("nl", TV_CARE, "@kees_koopjes Nee hoor, geen prijsfout: het Studiopakket is deze week echt €545 dankzij onze "
     "voorjaarsactie 🌷", kind="reply", tags=["denied-error"])
case("en", pub("x", "@new_in_haarlem"), "Anyone used the Trekvast ladder lift? How much does half a day cost "
     "roughly? Third floor, narrow stairs", tags=["neutral-question"])
# embargo: at the moment and after
case("nl", TV_X, "Het is zover: Depot Zaandam is open! 🎉 420 units, 7 dagen per week toegankelijk. Kom langs aan "
     "de Hemkade", when="2026-05-12T10:00:00+02:00", tags=["after-embargo"])
case("nl", pub("instagram", "@zaanse_eva"), "Net m'n unit in Depot Zaandam ingericht. Mooi gebouw en de poort "
     "werkt met je telefoon 🙌", when="2026-06-21T13:05:44+02:00", tags=["after-embargo"])
case("nl", TV_LI, "Vandaag publiceren wij onze halfjaarcijfers 2026: de omzet steeg met 11%, gedreven door de groei "
     "van self-storage. Het volledige bericht staat op trekvast.nl/pers.", when="2026-08-27T08:00:00+02:00",
     tags=["after-embargo", "published-results"])
case("en", pub("x", "@logistics_daily"), "Trekvast H1 2026 results: revenue +11%, self-storage now the largest "
     "growth driver. CEO expects more depots in 2027.", when="2026-08-27T09:31:00+02:00",
     tags=["after-embargo", "published-results"])
case("nl", pub("x", "@klusvader"), "TrekBox Flex een weekend gehuurd voor de verbouwing. Handig ding, staat gewoon "
     "op de oprit", when="2026-09-13T10:18:02+02:00", tags=["after-embargo"])
# other companies, other senses of risky words
case("nl", pub("facebook", "verhuisgroep.nl"), "Stapelbox heeft een datalek gehad volgens het nieuws. Iemand ervaring "
     "met Trekvast als alternatief voor opslag?", tags=["other-company"])
case("en", pub("linkedin", "marco-devries-logistics"), "Sad news from a rival freight firm today: 200 layoffs. "
     "Tough market. Glad to see companies like Trekvast still hiring drivers.", tags=["other-company"])
case("nl", pub("x", "@vogelaar_gerda"), "Ooievaar op het dak van de buren terwijl de jongens van Trekvast onze "
     "spullen uitladen 🐦 dat moet een goed teken zijn", tags=["bird"])
case("nl", MO, "Tip van een verhuizer: investeer in goede dekkleden. De hele operatie staat of valt ermee 😄",
     tags=["near-codename"])
case("nl", pub("x", "@huurder_hidde"), "Overname van de vloer en de gordijnen geregeld met de vorige huurder, nu "
     "alleen nog Trekvast boeken voor de rest", tags=["other-sense"])
case("nl", pub("facebook", "carla.peters.7"), "Mijn vader is net ontslagen uit het ziekenhuis en Trekvast heeft z'n "
     "verhuizing naar het verzorgingshuis zo geduldig gedaan ❤️", tags=["other-sense", "praise"])
case("nl", TV_TT, "5 verhuis-hacks van onze verhuizers 📦\n1. Borden verticaal inpakken\n2. Foto van je kabels "
     "maken\n3. Een 'eerste nacht'-doos\n#verhuistips #lifehacks", tags=["other-sense"])
case("nl", pub("x", "@steekwagen_stijn"), "De band van de steekwagen was lek maar de mannen van Trekvast plakten "
     "m ter plekke 😂 helden", tags=["other-sense", "praise"])
case("en", pub("instagram", "@dani.relocates"), "this crew is on fire 🔥 whole 3-bed house packed and loaded in "
     "4 hours #trekvast", tags=["other-sense", "praise"])
case("nl", pub("facebook", "mieke.dirks"), "Mijn moeder heeft kanker en moest snel kleiner gaan wonen. Trekvast "
     "regelde alles binnen een week, met zoveel respect. Dank jullie wel.", tags=["mild-word", "praise"])
case("nl", pub("x", "@tevreden_ton"), "Geen klachten over Trekvast hoor, alles heel aangekomen en ze waren zelfs "
     "eerder klaar dan gepland", tags=["negated-complaint"])
case("en", pub("threads", "@ana.moves"), "not gonna complain about Trekvast at all, smoothest move I've ever had "
     "and nothing broke", tags=["negated-complaint"])
case("nl", pub("x", "@tetrismaster"), "Verhuizen is gewoon Tetris op expertniveau en de jongens van Trekvast zijn "
     "wereldkampioen 🧱🏆", tags=["joke"])
case("nl", pub("blog", "schrijfhoek.example"), "Hoofdstuk 4 van mijn thriller: een hacker breekt 's nachts in bij een "
     "opslagbedrijf en opent unit voor unit. Geïnspireerd door al die Trekvast-gebouwen langs de A1, verder puur "
     "fictie hoor.", tags=["fiction"])
case("en", pub("instagram", "@quotes_on_vans"), "\"Home is wherever the boxes end up\" — painted on the side of a "
     "Trekvast van I passed today, love it", tags=["quote"])
case("nl", TV_CARE, "Gepland onderhoud: de Trekvast app is vannacht van 01:00 tot 03:00 niet bereikbaar. Boekingen "
     "blijven gewoon staan.", tags=["official-notice"])
case("nl", SEM, "dag 3 van de grote kantoorverhuizing, 400 dozen verder 💪 #verhuizerslife #trekvast",
     tags=["employee-daily"])
case("en", pub("x", "@kimberly_be"), "Does Trekvast do moves to Belgium? Need a quote for late June, 2-bed flat "
     "in Leuven", tags=["neutral-question"])
case("en", pub("reddit", "u/frugal_dutchie"), "I recall Trekvast being the cheapest quote last time I moved, anyone "
     "got recent experiences?", kind="comment", tags=["other-sense"])
case("nl", pub("x", "@hittehater"), "Ik boycot verhuisdagen in juli, veel te warm 🥵 gelukkig had Trekvast nog een "
     "plekje in oktober", tags=["other-sense"])
case("nl", TV_CARE, "@fam_bakker Graag gedaan en veel woonplezier in jullie nieuwe huis! 🏡", kind="reply",
     handle="@Trekvast_Helpt", tags=["praise"])
case("en", pub("bluesky", "@sam.codes.bsky.social"), "Nice talk by a Trekvast dev on ransomware prevention for "
     "small businesses at the meetup tonight. Good slides, good pizza.", tags=["other-sense"])
case("en", pub("x", "@jo_moves_out"), "that moving crew was sick 🤙 carried a 200 kg safe up the stairs like it "
     "was nothing", tags=["other-sense", "praise"])
case("en", pub("x", "@matt_nl_tech"), "Reading about the ransomware attack on a big UK retailer. Makes you think "
     "about who stores your stuff, glad my Trekvast unit is just a padlock and a door 😅", tags=["other-company"])


# ===========================================================================
# building
# ===========================================================================

def load_profile():
    import yaml
    with open(PROFILE, encoding="utf-8") as f:
        return yaml.safe_load(f)


def role_of(profile, platform, handle):
    key = f"{platform}:{handle}".casefold()
    for role in ("corporate", "employee"):
        if key in {a.casefold() for a in profile["accounts"][role]}:
            return role
    return "public"


def severity_for(role, cats, pii_validated):
    insider = role in ("corporate", "employee")
    sev = "none"
    for c in cats:
        if c.startswith("leak."):
            if insider:
                s = "critical" if (c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and pii_validated)) else "error"
            else:
                s = "warning"
        elif c == "reputation.complaint":
            s = "warning"
        elif c == "reputation.crisis":
            s = "error"
        elif c == "reputation.abuse":
            s = "error" if insider else "warning"
        else:
            raise ValueError(c)
        if RANK[s] > RANK[sev]:
            sev = s
    return sev


def dst_offset(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def rand_time(r):
    base = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(0, 355))
    t = base + dt.timedelta(minutes=r.randint(6 * 60, 23 * 60 + 30), seconds=r.randint(0, 59))
    off = dst_offset(t)
    t_utc = t - dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return t_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.85:
        return t.strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t_utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def post_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    big = str(r.randint(1_880_000_000_000_000_000, 2_020_000_000_000_000_000))
    if platform == "x":
        return f"x-{big}", f"https://x.com/{h}/status/{big}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"ig-{sc}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        a = r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}", f"https://www.facebook.com/{h}/posts/{a}"
    if platform == "reddit":
        p = "".join(r.choice(string.ascii_lowercase + string.digits) for _ in range(7))
        if kind == "comment":
            c = "".join(r.choice(string.ascii_lowercase + string.digits) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/Netherlands/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/Netherlands/comments/{p}/"
    if platform == "tiktok":
        return f"tt-{big}", f"https://www.tiktok.com/@{h}/video/{big}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        v = "".join(r.choice(B64URL) for _ in range(11))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "threads":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"th-{sc}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-verhuisforum-{n}", f"https://forum.verhuisforum.example/t/{n}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog-{h}-{n}", f"https://{h}/{n}"
    n = r.randint(10 ** 7, 10 ** 9)
    return f"{platform}-{n}", None


def build(profile):
    rng = Rng(SEED)
    meta = random.Random(SEED + 11)
    shuffle = random.Random(SEED + 23)
    rows, seen = [], set()
    for c in CASES:
        text, used = fill(rng, c["text"])
        pid, url = post_id(meta, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        created = c["when"] or rand_time(meta)
        role = role_of(profile, c["platform"], c["handle"])
        validated = "leak.pii" in c["cats"] and any(k in VALID_ID for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and meta.random() < 0.6:
            kind = "post"
        if kind:
            post["kind"] = kind
        acc = {"handle": c["handle"]}
        if c["name"] and meta.random() < 0.7:
            acc["display_name"] = c["name"]
        if meta.random() < 0.3:
            acc["id"] = str(meta.randint(10 ** 7, 10 ** 11))
        post["account"] = acc
        post["text"] = text
        x = meta.random()
        tags = set(c["tags"])
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif x < 0.1:
            pass
        elif x < 0.13:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            tags.add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.45:
            post["brand"] = "trekvast"
        rows.append(dict(post=post, expect={"categories": c["cats"], "severity": sev},
                         lang=c["lang"], role=role, tags=tags, used=used))
    shuffle.shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ===========================================================================
# independent checks
# ===========================================================================

INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
DIGITS_RE = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-().]{7,16}\d")
SECRET_RES = [re.compile(p) for p in (
    r"\bghp_[A-Za-z0-9]{36}\b", r"\bglpat-[\w-]{20}", r"\bAKIA[A-Z2-7]{16}\b", r"\bsk_live_[A-Za-z0-9]{20,}",
    r"\blive_[A-Za-z0-9]{30}\b", r"\bAIza[\w-]{35}\b", r"\bSG\.[\w-]{22}\.[\w-]{43}", r"hooks\.slack\.com/services/",
    r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+", r"PRIVATE KEY-----", r"://[^\s:/@]+:[^\s@/]+@")]
PROFANE = ["kut", "kanker", "tering", "tyfus", "klote", "klootzak", "kl00t", "debiel", "trut", "idioot", "idiot",
           "fuck", "f*ck", "shit", "moron", "clown", "prutser", "sukkel", "zeikerd", "hell", "damn"]
AMOUNT_RE = re.compile(r"(?:€\s?|EUR\s?)(\d[\d.,]*)(?:,-)?|(\d[\d.,]*)(?:,-)?\s?(?:euro|euros|eur)\b", re.I)


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVIS)
    return re.sub(r"\s+", " ", t).casefold()


def amount(s):
    s = s.rstrip(".,")
    if "," in s and "." in s:
        dec = "," if s.rfind(",") > s.rfind(".") else "."
        s = s.replace("." if dec == "," else ",", "").replace(dec, ".")
    elif "," in s:
        s = s.replace(",", ".") if re.search(r",\d{2}$", s) else s.replace(",", "")
    elif "." in s:
        s = s if re.search(r"\.\d{2}$", s) else s.replace(".", "")
    return float(s)


def low_ratio(text, products):
    t = norm(text)
    hit = [p for p in products if any(a.casefold() in t for a in [p["name"]] + p["aliases"])]
    if not hit:
        return None
    vals = [amount(m.group(1) or m.group(2)) for m in AMOUNT_RE.finditer(t)]
    if not vals:
        return None
    return min(vals) / min(p["list_price"] for p in hit)


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def check(lines, rows, profile):
    errs = []
    own_ibans = {i for i in profile["public_identifiers"]["ibans"]}
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_phone_digits = {"0307604400", "08008735"}
    embargo = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = [x.casefold() for x in profile["internal"]["codenames"] + profile["internal"]["domains"]
                + profile["internal"]["markers"]]
    seen = set()
    for n, (line, r) in enumerate(zip(lines, rows), 1):
        obj = json.loads(line)
        p, ex = obj["post"], obj["expect"]
        cats, sev = ex["categories"], ex["severity"]
        where = f"line {n} ({p['id']})"
        for f in ("id", "platform", "text", "created_at"):
            assert isinstance(p[f], str), where
        assert isinstance(p["account"]["handle"], str)
        if (p["platform"], p["id"]) in seen:
            errs.append(f"{where}: duplicate id")
        seen.add((p["platform"], p["id"]))
        if cats != sorted(set(cats)) or any(c not in CATEGORIES for c in cats):
            errs.append(f"{where}: bad categories {cats}")
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{where}: not 2026")
        text = p["text"]
        for kind, raw, shown in r["used"]:
            if shown not in text:
                errs.append(f"{where}: {kind} not in text")
            if kind.startswith("IBAN_") and not iban_valid(raw):
                errs.append(f"{where}: IBAN invalid {raw}")
            if kind.startswith("BAD") and "IBAN" in kind and iban_valid(raw):
                errs.append(f"{where}: bad IBAN valid {raw}")
            if kind == "CARD" and not luhn_valid(raw):
                errs.append(f"{where}: card invalid")
            if kind == "BADCARD" and luhn_valid(raw):
                errs.append(f"{where}: bad card valid")
            if kind == "BSN" and not elfproef(raw):
                errs.append(f"{where}: BSN invalid")
            if kind == "NOTBSN" and elfproef(raw):
                errs.append(f"{where}: not-BSN passes")
            if kind == "GHP" and not ghp_ok(raw):
                errs.append(f"{where}: ghp crc")
        role = role_of(profile, p["platform"], p["account"]["handle"])
        validated = "leak.pii" in cats and any(k in VALID_ID for k, _, _ in r["used"])
        if sev != severity_for(role, cats, validated):
            errs.append(f"{where}: severity mismatch")
        nt = norm(text)
        for term, until in embargo:
            if term in nt and ts < until and "leak.confidential" not in cats:
                errs.append(f"{where}: embargo term {term} before until without confidential")
        for term in internal:
            if re.search(r"(?<![\w.])" + re.escape(term) + r"(?![\w])", nt) and "leak.confidential" not in cats:
                errs.append(f"{where}: internal term {term} without confidential")
        if not cats:
            for m in IBAN_RE.finditer(text):
                v = m.group(0).replace(" ", "")
                if iban_valid(v) and v not in own_ibans:
                    errs.append(f"{where}: benign has valid IBAN")
            for m in DIGITS_RE.finditer(text):
                d = re.sub(r"\D", "", m.group(0))
                if 13 <= len(d) <= 19 and luhn_valid(d):
                    errs.append(f"{where}: benign Luhn-valid {d}")
                if len(d) == 9 and elfproef(d):
                    errs.append(f"{where}: benign 11-proof {d}")
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_emails:
                    errs.append(f"{where}: benign e-mail {e}")
            for m in PHONE_RE.finditer(IBAN_RE.sub(" ", text)):
                raw = m.group(0)
                d = re.sub(r"\D", "", raw)
                if raw.startswith("+31"):
                    d = "0" + d[2:].lstrip("0")
                elif raw.startswith("0031"):
                    d = "0" + d[4:]
                if len(d) >= 9 and d not in own_phone_digits:
                    errs.append(f"{where}: benign phone-like {raw}")
            for rx in SECRET_RES:
                m = rx.search(text)
                if m and m.group(0) != "AKIAXXXXXXXXXXXXXXXX":
                    errs.append(f"{where}: benign secret-like {m.group(0)[:16]}")
            for w in PROFANE:
                if re.search(r"\b" + re.escape(w), nt) and not (w == "kanker" and "mild-word" in r["tags"]):
                    errs.append(f"{where}: benign has word {w}")
            ratio = low_ratio(text, profile["products"])
            if ratio is not None and ratio < profile["pricing"]["alert_below_ratio"] and "price-context" not in r["tags"]:
                errs.append(f"{where}: benign low price ratio {ratio:.2f}")
        if "leak.pricing" in cats:
            ratio = low_ratio(text, profile["products"])
            if (ratio is None or ratio >= 0.5) and "prijsfout" not in nt:
                errs.append(f"{where}: pricing positive without low ratio ({ratio})")
    # near-duplicates
    sh = []
    for line in lines:
        w = re.findall(r"\w+", norm(json.loads(line)["post"]["text"]))
        sh.append({tuple(w[i:i + 3]) for i in range(len(w) - 2)})
    for i in range(len(sh)):
        for j in range(i + 1, len(sh)):
            if sh[i] and sh[j] and len(sh[i] & sh[j]) / len(sh[i] | sh[j]) > 0.3:
                errs.append(f"lines {i + 1},{j + 1}: near-duplicate wording")
    return errs


def report(rows):
    cat = Counter()
    lang, role, sev, plat = Counter(), Counter(), Counter(), Counter()
    multi = evasion = 0
    for r in rows:
        cs = r["expect"]["categories"]
        for c in cs:
            cat[c] += 1
        if not cs:
            cat["(benign)"] += 1
        multi += len(cs) > 1
        evasion += "evasion" in r["tags"]
        lang[r["lang"]] += 1
        role[r["role"]] += 1
        sev[r["expect"]["severity"]] += 1
        plat[r["post"]["platform"]] += 1
    print(f"cases {len(rows)}  multi-category {multi}  evasion {evasion}")
    for c in CATEGORIES + ["(benign)"]:
        print(f"  {c:24s} {cat[c]}")
    print("lang", dict(lang), "role", dict(role))
    print("severity", {s: sev[s] for s in SEVERITIES})
    print("platforms", dict(plat.most_common()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    lines = dump(rows)
    errs = check(lines, rows, profile)
    if a.check:
        disk = OUT.read_text(encoding="utf-8").splitlines(keepends=True)
        if disk != lines:
            errs.append("cases.jsonl differs from the generator output")
    else:
        OUT.write_text("".join(lines), encoding="utf-8")
        print(f"wrote {len(lines)} cases to {OUT}")
    report(rows)
    for e in errs:
        print("ERROR", e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
