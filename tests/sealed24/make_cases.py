#!/usr/bin/env python3
"""Deterministic generator and checker for the sealed24 blind evaluation set.

    python3 make_cases.py            # (re)write cases.jsonl next to this file
    python3 make_cases.py --check    # regenerate in memory, compare with cases.jsonl,
                                     # validate every line, print counts

Fictional company: Heidezoom Hospitality B.V., a Dutch hotel and holiday-park chain
(see profile.yaml). Every post text below is hand-written for this set. Identifiers and
secrets are filled in from <<KIND:fmt>> placeholders by one seeded RNG, so the output is
byte-for-byte reproducible. Positives get checksum-VALID identifiers (IBAN mod-97, Luhn,
BSN 11-proof); hard negatives get look-alikes that FAIL their checksum. Secrets are random
and fake, but shaped like the real formats (GitHub tokens carry a correct CRC32).

Severity is never typed by hand: severity_for() derives it from CONTRACT section 4, the
account role looked up in profile.yaml (platform:handle, case-insensitive), the categories,
and whether a checksum-validated identifier is in a leak.pii post.
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

SEED = 24_0611_2026
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

TAXONOMY = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse",
            "reputation.spike"]
SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
KINDS = ["post", "reply", "repost", "comment", "message"]
PLATFORMS = ["x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube",
             "reddit", "mastodon", "bluesky", "threads", "forum", "blog", "other"]

ZWSP = "\u200b"
SHY = "\u00ad"


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------

def mod97_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


def make_iban(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return f"{cc}{98 - n % 97:02d}{bban}"


def luhn_ok(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    if not d:
        return False
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2:
            x *= 2
            x -= 9 if x > 9 else 0
        tot += x
    return tot % 10 == 0


def elfproef_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t != 0 and t % 11 == 0


def ean13_ok(s):
    return len(s) == 13 and sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(s)) % 10 == 0


B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"
B32 = string.ascii_uppercase + "234567"


def base62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def ghp_checksum_ok(tok):
    body, crc = tok[4:34], tok[34:]
    return base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0") == crc


# ---------------------------------------------------------------------------
# seeded values for placeholders
# ---------------------------------------------------------------------------

class Values:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def d(self, n, lead=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if lead and s[0] == "0" else s

    def c(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    @staticmethod
    def g4(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    def iban(self, cc):
        if cc == "NL":
            bank = self.r.choice(["INGB", "ABNA", "RABO", "SNSB", "ASNB", "KNAB", "BUNQ", "TRIO"])
            v = make_iban("NL", bank + self.d(10, lead=True))
            return v if v != "NL25RABO0347218865" else self.iban(cc)
        if cc == "BE":
            head = self.r.choice(["001", "063", "068", "143", "363", "735"]) + self.d(7)
            return make_iban("BE", f"{head}{int(head) % 97 or 97:02d}")
        if cc == "DE":
            return make_iban("DE", self.r.choice(["10010010", "20050550", "30050110", "37050198", "50070010"]) + self.d(10))
        raise ValueError(cc)

    def broken_iban(self, cc):
        v = self.iban(cc)
        for step in (7, 19, 31, 43, 53, 61):
            w = f"{v[:2]}{(int(v[2:4]) + step) % 100:02d}{v[4:]}"
            if not any(mod97_ok(w[:end]) for end in range(12, len(w) + 1)):
                return w                 # fails mod-97, and so does every prefix
        return self.broken_iban(cc)

    def card(self, brand):
        prefix = {"visa": "4" + self.d(14),
                  "mc": "5" + self.r.choice("12345") + self.d(13),
                  "mc2": str(self.r.randint(2221, 2720)) + self.d(11),
                  "amex": self.r.choice(["34", "37"]) + self.d(12)}[brand]
        for k in string.digits:
            if luhn_ok(prefix + k):
                return prefix + k
        raise AssertionError

    def broken_card(self, brand):
        v = self.card(brand)
        w = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_ok(w)
        return w

    @staticmethod
    def card_fmt(v, f):
        if f == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if f == "dash" else " ").join(parts)

    def bsn(self):
        while True:
            s = self.d(9, lead=True)
            if elfproef_ok(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.d(n, lead=True)
            if not elfproef_ok(s) and not luhn_ok(s):
                return s

    def ean(self):
        while True:
            body = "87" + self.d(10)
            full = next(body + k for k in string.digits if ean13_ok(body + k))
            if not luhn_ok(full):
                return full

    def phone(self, f):
        m8 = self.r.choice("12345") + self.d(7)          # mobile digits after '06'
        area = self.r.choice(["10", "20", "24", "26", "30", "33", "35", "38", "40", "43",
                              "50", "53", "55", "58", "70", "71", "73", "76", "77", "118"])
        sub = self.r.choice("2345789") + self.d(8 - len(area))
        table = {
            "mob_dash": f"06-{m8}",
            "mob_plain": f"06{m8}",
            "mob_intl_sp": f"+31 6 {m8[:4]} {m8[4:]}",
            "mob_0031": f"0031 6 {m8}",
            "mob_pairs": f"06 {m8[:2]} {m8[2:4]} {m8[4:6]} {m8[6:]}",
            "mob_paren": f"(06) {m8[:4]} {m8[4:]}",
            "mob_intl_c": f"+316{m8}",
            "land_dash": f"0{area}-{sub}",
            "land_sp": f"0{area} {sub[:3]} {sub[3:5]} {sub[5:]}",
            "land_intl": f"+31 {area} {sub[:3]} {sub[3:]}",
        }
        return table[f]

    # secrets -----------------------------------------------------------------
    def ghp(self):
        body = self.c(ALNUM, 30)
        return "ghp_" + body + base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def glpat(self):
        return "glpat-" + self.c(ALNUM + "-_", 20)

    def aws_id(self):
        return "AKIA" + self.c(B32, 16)

    def aws_secret(self):
        return self.c(B64, 40)

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return f"https://hooks.slack.com/services/T{self.c(up, 8)}/B{self.c(up, 10)}/{self.c(ALNUM, 24)}"

    def stripe(self):
        return "sk_live_51" + self.c(ALNUM, 97)

    def mollie(self):
        return "live_" + self.c(ALNUM, 30)

    def sendgrid(self):
        return f"SG.{self.c(B64URL, 22)}.{self.c(B64URL, 43)}"

    def gapi(self):
        return "AIzaSy" + self.c(B64URL, 33)

    def jwt(self):
        enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        head = enc({"alg": "RS256", "typ": "JWT", "kid": self.c("0123456789abcdef", 8)})
        body = enc({"sub": "guest-" + self.d(7, lead=True), "iss": "https://boeken.heidezoom.nl",
                    "scope": "booking:read booking:write", "iat": iat, "exp": iat + 900})
        return f"{head}.{body}.{self.c(B64URL, 86)}"

    def pem_ec(self):
        body = "MHcCAQEEI" + self.c(B64, 55) + "oAoGCCqGSM49AwEHoUQDQgAE" + self.c(B64, 88)
        lines = [body[i:i + 64] for i in range(0, len(body), 64)]
        return "-----BEGIN EC PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END EC PRIVATE KEY-----"

    def password(self):
        word = self.r.choice(["Zomer", "Heide", "Duinen", "Lodge", "Welkom", "Receptie", "Bosrand"])
        return word + self.d(4) + self.r.choice("!#*$") + self.c(ALNUM, 3)

    def hexs(self, n):
        return self.c("0123456789abcdef", n)


VALID_KINDS = {"IBAN_NL", "IBAN_BE", "IBAN_DE", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def fill(vals, text):
    used = []

    def one(m):
        k, f = m.group(1), m.group(2) or ""
        if k.startswith("IBAN_"):
            raw = vals.iban(k[5:])
            shown = vals.g4(raw) if f == "grp" else raw
        elif k.startswith("BAD_IBAN_"):
            raw = vals.broken_iban(k[9:])
            shown = vals.g4(raw) if f == "grp" else raw
        elif k in ("CARD", "BAD_CARD"):
            brand, _, cf = f.partition("_")
            raw = vals.card(brand) if k == "CARD" else vals.broken_card(brand)
            shown = vals.card_fmt(raw, cf or "sp")
        elif k == "BSN":
            raw = vals.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if f == "dots" else (f"{raw[:3]} {raw[3:6]} {raw[6:]}" if f == "sp" else raw)
        elif k == "NOT_BSN":
            raw = shown = vals.not_bsn(int(f))
        elif k == "EAN13":
            raw = shown = vals.ean()
        elif k == "PHONE":
            raw = shown = vals.phone(f)
        elif k == "HEX":
            raw = shown = vals.hexs(int(f))
        else:
            fn = {"GHP": vals.ghp, "GLPAT": vals.glpat, "AWS_ID": vals.aws_id, "AWS_SECRET": vals.aws_secret,
                  "SLACK_HOOK": vals.slack_hook, "STRIPE": vals.stripe, "MOLLIE": vals.mollie,
                  "SENDGRID": vals.sendgrid, "GAPI": vals.gapi, "JWT": vals.jwt, "PEM_EC": vals.pem_ec,
                  "PW": vals.password}[k]
            raw = shown = fn()
        used.append((k, raw, shown))
        return shown

    return PH.sub(one, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------
# corporate
HZ_X = ("x", "@heidezoom", "Heidezoom")
HZ_HELP = ("x", "@heidezoom_help", "Heidezoom Klantenservice")
HZ_IG = ("instagram", "@heidezoom", "Heidezoom Hotels & Parken")
HZ_FB = ("facebook", "HeidezoomParken", "Heidezoom Hotels & Parken")
HZ_LI = ("linkedin", "heidezoom-hospitality", "Heidezoom Hospitality B.V.")
HZ_TT = ("tiktok", "@heidezoomparken", "Heidezoom")
# employees
MV = ("x", "@marloes_hz", "Marloes Verbeek")                        # front office Amsterdam-Zuid
DB = ("instagram", "@daan.bosman", "Daan Bosman")                   # animatie, Veluwezoom (seasonal)
YK = ("linkedin", "yusuf-kaya-hz", "Yusuf Kaya")                    # app developer
ES = ("linkedin", "eline-smit-finance", "Eline Smit")               # group controller
RL = ("x", "@rikvdlinden", "Rik van der Linden")                    # technische dienst Schoorl
NH = ("threads", "@noor.kookt", "Noor Haddou")                      # sous-chef Utrecht
SB = ("bluesky", "sophiebrouwer.bsky.social", "Sophie Brouwer")     # revenue manager
NP = ("reddit", "u/nachtportier_hz", None)                          # night auditor Maastricht
JS = ("tiktok", "@jesse.seizoen", "Jesse")                          # seasonal lifeguard Zeeland
WJ = ("mastodon", "@wouterdejong@mastodon.nl", "Wouter de Jong")    # IT operations


def pub(platform, handle, name=None):
    return (platform, handle, name)


SECRET, PII, PRICING, CONF, FIN, SEC = ("leak.secret", "leak.pii", "leak.pricing",
                                        "leak.confidential", "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    platform, handle, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# ===========================================================================
# leak.secret
# ===========================================================================
case("en", YK, "Shipped v5 of the Heidezoom app today 🚀 massive thanks to the squad.\n"
     "Devs keep asking how we hooked up payments so here's the gist:\n\n"
     "const stripe = require('stripe')('<<STRIPE>>');\n\n#mobiledev #hospitalitytech #proud", [SECRET])
case("nl", WJ, "note to self omdat ik het ELKE keer vergeet: backup user voor de pms db\n"
     "postgres://hz_backup:<<PW>>@db03.hz-intra.local:5432/pms_prod\nja ja, moet in de vault, komt goed 🙃",
     [SECRET, CONF])
case("en", pub("reddit", "u/bitflip_ben"), "Found a public repo from the agency that built the Heidezoom park app. "
     "Their .env is just... sitting there:\nAWS_ACCESS_KEY_ID=<<AWS_ID>>\nAWS_SECRET_ACCESS_KEY=<<AWS_SECRET>>\n"
     "someone pls tell them before a bot does", [SECRET], kind="post")
case("en", NP, "night audit tip for fellow hotel folks: when the PMS kicks you out at 3am just use the shared "
     "front desk login lol. ours is user receptie pw <<PW>> and it's been that for 2 years 💀", [SECRET],
     kind="comment")
case("nl", RL, "Voor de TD-collega's die de slimme thermostaten in de lodges moeten koppelen: de api key van het "
     "beheerportaal is <<GAPI>>\nniet doorsturen naar de installateur aub, die krijgt een eigen", [SECRET])
case("en", YK, "Debugging our Slack alerts for failed self check-ins. If anyone from the vendor reads this: "
     "webhook is <<SLACK_HOOK>> and it's been throwing 404s since Tuesday. Help a dev out 🙏", [SECRET])
case("nl", JS, "pov: eerste dag als seizoenskracht en je krijgt je kassa login op een geeltje 😭\n"
     "gebruiker: zwembad02\nwachtwoord: <<PW>>\n#seizoenswerk #vakantiepark #heidezoom", [SECRET])
case("en", pub("forum", "devnomad"), "Heads up for anyone integrating with Heidezoom's partner API: the sample "
     "code in their partner portal PDF has what looks like a real Mollie live key hardcoded: <<MOLLIE>>\n"
     "Not a test_ key. Yikes.", [SECRET])
case("en", YK, "Yes it's rotated already so relax 😅 but I did paste <<GHP>> into the #general channel of our "
     "vendor's Slack this morning. Lesson learned, pre-commit hooks going in tomorrow.", [SECRET])
case("en", WJ, "to whoever keeps DMing me for the deploy key of the self check-in kiosks at the parks. here. "
     "stop DMing me.\n\n<<PEM_EC>>", [SECRET], kind="reply")
case("nl", pub("x", "@pieterpost_"), "lol bij de receptie van Heidezoom Maastricht hangt gewoon een post-it op "
     "de monitor met ww <<PW>> erop 🤡 #security #hotel", [SECRET], tags=["evasion"])
case("nl", YK, "Iemand een idee waarom dit token in de app na een paar seconden al verloopt?\n"
     "Authorization: Bearer <<JWT>>\nexp lijkt me prima 🤔", [SECRET], kind="comment")
case("en", pub("forum", "mailnerd77"), "View source on the Heidezoom booking confirmation email and there's a "
     "commented-out SendGrid key in the template: <<SENDGRID>> 🤦", [SECRET])
case("nl", SB, "Mijn python scriptje voor de bezettingsrapportage trekt alles rechtstreeks uit "
     "git.heidezoom.nl, token erin en gaan:\nGITLAB_TOKEN=<<GLPAT>>\nrevenue management kan ook coden hè 😎",
     [SECRET, CONF])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", HZ_HELP, "@famkevos Dank voor je geduld Famke! We hebben je boeking HZ-2026-118834 gevonden op naam "
     "van F. Vos, Lindelaan 14 Apeldoorn, tel. <<PHONE:mob_dash>>. De terugbetaling volgt binnen 5 werkdagen 💚",
     [PII], kind="reply")
case("nl", MV, "Help! Gast vergeten bij het uitchecken: creditcard <<CARD:amex_sp>> ligt nog bij de balie, "
     "naam Hendriks. Iemand die meneer kent? 😅", [PII], handle_as="@Marloes_HZ")
case("nl", ES, "Restitutie naar de verkeerde rekening gegaan 🙈 moet gecorrigeerd worden naar "
     "<<IBAN_NL:grp>> t.n.v. R. Maas. Wie van AP kan vandaag nog tekenen?", [PII])
case("nl", pub("facebook", "Ingrid Willemsen"), "Al DRIE weken wacht ik op mijn restitutie van Heidezoom Park "
     "Drentse Aa!! Rekeningnummer is <<IBAN_NL>>, boekingsnummer staat in jullie eigen mail. Bel me maar op "
     "<<PHONE:mob_intl_sp>> want via de chat krijg ik echt niks", [PII, COMPLAINT])
case("nl", DB, "Kinderclub vandaag helemaal vol 🥳 even voor de collega's van de middag: allergieën — "
     "Mees de Wit (geb. 14-03-2019) noten, Lotte Bakker (geb. 02-11-2020) lactose. Ouders zitten in huisje 112 "
     "en 87.", [PII])
case("nl", RL, "Salarisadministratie zeurt nog steeds om het BSN van onze nieuwe collega Tomasz, hier: "
     "<<BSN:dots>> — kan iemand het aan HR doorzetten, ik heb geen toegang", [PII])
case("en", pub("x", "@chloe_travels"), "ugh the Heidezoom app just won't take my card for the Waterchalet "
     "booking. tried <<CARD:visa_sp>> exp 09/28 like three times. anyone else having this??", [PII, COMPLAINT])
case("en", NP, "weirdest night audit so far: German guest's passport left in the printer tray. "
     "Klaus Richter, born 22 May 1961, passport no. C01X00T47. he's in 305 if any of the day crew sees him",
     [PII], kind="post")
case("nl", pub("x", "@sanne_dijk"), "Al mijn Zoompas punten kwijt na jullie update 😤 mail me maar op "
     "sanne.dijkstra [at] kpnmail [punt] nl want @heidezoom_help reageert nergens op", [PII, COMPLAINT],
     tags=["evasion"])
case("nl", HZ_FB, "🎉 En de winnaar van onze zomer-winactie is... Gerrit Jansen, Molenstraat 8, 7311 AB "
     "Apeldoorn! Gefeliciteerd Gerrit, jouw weekendje weg komt eraan 🌲", [PII], handle_as="heidezoomparken", when="2026-09-01T12:00:00+02:00")
case("en", pub("reddit", "u/lodgelife_"), "The guy in the cottage next to ours at Heidezoom Schoorl left his "
     "booking printout in the bbq shed: Thomas Brink, DOB 03/07/1984, tbrink84@gmail.com. "
     "Bro put a lot of trust in the bbq shed 😂", [PII], kind="comment")
case("en", ES, "Refund for the Belgian family (Peeters, 3 nights, cancelled due to illness) goes to "
     "<<IBAN_BE:grp>>. Approved on my side, can someone in AP push it before Friday?", [PII])
case("en", pub("facebook", "Jonas Albrecht"), "Six weeks since we cancelled our Heidezoom booking and still no "
     "refund of the deposit. My IBAN is <<IBAN_DE>> in case your service people actually read this "
     "@heidezoom_help", [PII, COMPLAINT])
case("nl", pub("x", "@mirjam_thuis"), "Wie wil ons Boslodge Weekend overnemen, 12-14 juni bij Heidezoom "
     "Veluwezoom? Wij kunnen helaas niet meer 😢 appje naar <<PHONE:mob_pairs>>", [PII], when="2026-05-21T13:03:27+02:00")
case("nl", JS, "Pinpas gevonden bij het buitenbad 🏊‍♂️ op naam van J. Koster, nummer <<CARD:mc2_dash>>. "
     "Ophalen kan bij de receptie van Park Zeeland! #gevondenvoorwerpen", [PII])
case("en", HZ_HELP, "@mark_ellis Hi Mark, to verify your Zoompas account: we have your date of birth as "
     "19-08-1979 and postcode 3521 KD. Can you confirm so we can restore your points?", [PII], kind="reply",
     handle_as="@HeideZoom_Help")
case("nl", pub("x", "@zoekt_werk_nl"), "Solliciteerde bij Heidezoom voor seizoenswerk en nu vragen ze mijn BSN "
     "via Insta DM?? Is dat normaal? het is <<BSN>> maar ik stuur het liever niet zomaar", [PII])
case("nl", pub("instagram", "@lisa_receptie_hz", "Lisa | receptie"), "Drukke zaterdag op de receptie 💪 "
     "Checklist voor straks: fam. Öztürk nog terugbellen op <<PHONE:land_dash>> over de kinderbedjes!", [PII])
case("en", pub("x", "@tomh_uk"), "Accidentally pasted my card number into the Heidezoom chat instead of my "
     "booking code lol <<CARD:mc_c>> can someone at @heidezoom_help delete that pls", [PII])

# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", SB, "Oké wie heeft de rate in de channel manager aangepast?? Waterchalet Week staat nu voor "
     "€124,90 op ALLE OTA's 🫠 en tot maandag zit er niemand van IT op", [PRICING])
case("nl", pub("x", "@dealjager"), "GAAN GAAN GAAN 🏃‍♀️ Stadskamer Deluxe in Heidezoom Utrecht voor €21,90 "
     "per nacht in de app, dit moet een prijsfout zijn #deals #prijsfout", [PRICING])
case("en", pub("reddit", "u/cheapskate_nl"), "PSA: the Heidezoom website has the Wellness Arrangement at "
     "€28.90 instead of €289. Booked two, let's see if they honour it.", [PRICING])
case("nl", DB, "Sst 🤫 de Bosvilla midweek kost nu €89 in de app, volgens mij mist er een nulletje. "
     "Boeken voor ze het doorhebben! #vrienden #nietdoorvertellen", [PRICING])
case("nl", pub("tiktok", "@reisdealsnl"), "p r i j s f o u t bij Heidezoom!! Boslodge Weekend voor 52 euro 😱 "
     "link in bio, wees snel", [PRICING], tags=["evasion"])
case("en", MV, "Front desk is drowning in calls about the Zoompas Gold pricing glitch on the website, can "
     "someone in revenue please fix it 🙏", [PRICING])
case("nl", pub("facebook", "Karin Smits"), "Wåterchalet Week voor €149?! Heidezoom heeft echt een verkeerde "
     "prijs online staan, snel zijn mensen", [PRICING], tags=["evasion"])
case("nl", HZ_X, "🔥 Flash sale! Heidezoom Boslodge Weekend nu voor maar €52,90. Alleen vandaag! 🔥 "
     "#heidezoom #weekendweg", [PRICING])
case("en", pub("x", "@foodiefreek"), "Kerstdiner De Zoomkeuken for €8.90 p.p. on their site lmaooo "
     "pr1ce err0r of the year", [PRICING], tags=["evasion"], when="2026-11-27T21:04:55Z")
case("nl", pub("tiktok", "@budgetbeau"), "Heidezoom app bug: Zoompas Gold jaarlidmaatschap voor €14,90 ipv €149 😂 "
     "ik heb er meteen eentje gepakt", [PRICING])
case("en", NP, "not saying anything officially but if you check the Stadskamer Deluxe rate for Maastricht "
     "tonight you'll see the rate loader messed up. €39 a night. you didn't hear it from me", [PRICING],
     kind="comment")
case("nl", pub("forum", "vakantievader"), "Waterchalet 6p stond gisteren voor € 249,- op de site (normaal "
     "€1.249). Boeking bevestigd, nu mailen ze dat het een fout was en annuleren ze gewoon. Mag dat zomaar?",
     [PRICING, COMPLAINT])
case("en", SB, "Revenue team pls check asap: Wellness Arrange" + ZWSP + "ment is showing €29 on the Booking feed "
     "since 7am", [PRICING], tags=["evasion"])

# ===========================================================================
# leak.confidential
# ===========================================================================
case("nl", RL, "Eerste proefmodel voor Operatie Boomhut staat! Hangend huisje 4 meter boven de grond bij het ven. "
     "Gasten zien hem pas volgend voorjaar 🌲 #technischedienst", [CONF], when="2026-10-09T15:51:08+02:00")
case("en", MV, "if anyone's on early shift, the night report is on "
     "https://pms.heidezoom.nl/reports/night-audit?date=today because the printer died. again.", [CONF])
case("nl", DB, "Nieuwe animatieplanning binnen 😍 staat letterlijk 'intern gebruik - heidezoom' bovenaan "
     "maar jullie mogen vast meekijken: disco op vrijdag, vossenjacht op zaterdag", [CONF])
case("nl", pub("x", "@bouwvakker_gert"), "Hoor van een onderaannemer dat Heidezoom Park Lauwersmeer in mei "
     "opengaat, 120 lodges aan het water 👀", [CONF], when="2026-04-02T18:41:09+02:00")
case("nl", SB, "Nog één minuutje en dan mag het eindelijk de wereld in: Heidezoom Park Lauwersmeer! 🌊 #trots",
     [CONF], when="2026-05-12T08:59:00+02:00")
case("en", YK, "Project Getij sprint review went great today. The new pricing engine is going to change how we "
     "price every single lodge 🚀", [CONF])
case("en", pub("reddit", "u/throwaway_hz"), "my cousin works at heidezoom hq and she says there's a thing "
     "called Project\nStormvogel and everyone there is freaking out about it", [CONF], kind="comment",
     tags=["evasion"])
case("nl", NH, "Proefdag nieuwe kaart De Zoomkeuken 🍽️ (heidezoom confidential dus psst) — het wordt een "
     "bos-tot-bord concept met wild uit eigen park", [CONF])
case("nl", pub("forum", "parkspotter"), "Heidezoom gaat boomhutten bouwen?? Een kennis zag bouwtekeningen met "
     "'Operatie 🌳 Boomhut' erop liggen in de bouwkeet", [CONF], tags=["evasion"])
case("nl", JS, "de nieuwe zwembadregels voor volgend seizoen lekken lekker via mij 😎 staat wel 'niet extern "
     "delen' op maar boeie", [CONF])
case("en", MV, "Zoompas Infinity training this morning. Honestly the best loyalty tier we've ever had, "
     "guests are going to love the free late checkout", [CONF], when="2026-09-03T11:20:44+02:00")
case("nl", YK, "Mijn laptopsticker voor " + fullwidth("PROJECT GETIJ") + " is binnen 😂 dev life",
     [CONF], tags=["evasion"])
case("nl", pub("x", "@heidezoom_tom", "Tom @ Heidezoom"), "Werk nu aan de nieuwe seizoenspagina op "
     "wiki.hz-intra.local/seizoen2027, superleuk project!", [CONF])
case("nl", NP, "wie heeft de link van rooster.heidezoom.nl voor de nieuwe seizoenskrachten? 🙏 ze kunnen "
     "hun diensten niet vinden", [CONF])
case("nl", ES, "Laatste loodjes voor de jaarcijfers 2026, nog 3 weekenden doorwerken en dan kerst 🎄",
     [CONF], when="2026-12-04T21:13:52+01:00")

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", ES, "Zware weken op finance. Bezetting Q3 parken komt uit op 58% tegen 71% begroot, en de bank wil "
     "voor 1 november een nieuw plan zien. Koffie graag ☕", [FIN], when="2026-10-06T22:05:31+02:00")
case("nl", pub("x", "@buurvrouw_els"), "Mijn buurvrouw werkt op het hoofdkantoor van Heidezoom: ze gaan Park "
     "Drentse Aa verkopen en er gaan 40 mensen uit. Niemand weet het nog.", [FIN])
case("nl", RL, "Vandaag te horen gekregen dat de hele technische dienst van Schoorl per 1 januari wordt "
     "uitbesteed. 14 collega's. Officieel is er nog niks gecommuniceerd, maar ik ben er kapot van.", [FIN], when="2026-10-15T19:42:10+02:00")
case("en", SB, "Our summer revenue forecast just got cut by 12% internally, the Zeeland parks are dragging "
     "everything down. Board meets Thursday.", [FIN], when="2026-03-12T20:11:09+01:00")
case("en", YK, "Project Stormvogel = us buying a Belgian park chain with 9 parks. Due diligence almost done. "
     "Finally I can tell my wife why I've been working weekends 😅", [CONF, FIN])
case("en", pub("reddit", "u/ibanker_anon"), "Throwaway. Heidezoom is in talks with a private equity fund to sell "
     "the whole group, deal expected before Christmas. Heard it from someone on the deal team.", [FIN])
case("nl", DB, "Alle seizoenskrachten van Veluwezoom worden na oktober ont" + SHY + "slagen, en de vaste "
     "animatie ook, reorganisatie heet dat. Bedankt hè 🙃", [FIN], tags=["evasion"], when="2026-09-17T21:40:02+02:00")
case("en", ES, "Can't believe the numbers: group revenue H1 down 9%, net l0ss of €4,2m. Public release is "
     "still weeks away so keep it to yourselves", [FIN], tags=["evasion"], when="2026-07-30T18:22:41+02:00")
case("en", pub("linkedin", "anouk-de-graaf", "Anouk de Graaf"), "Left Heidezoom last month. Before I left they "
     "were planning to close the call centre in Q1 and move support to Portugal. 60+ jobs.", [FIN])
case("nl", ES, "Net de Q3-prognose gezien: de omzetdoelstelling van €212 mln halen we bij lange na niet, "
     "eerder €190 mln. CFO: niks naar buiten tot de cijfers er officieel zijn.", [FIN], when="2026-09-24T08:47:00.250Z")
case("en", ES, "Closing the books for the halfjaarresultaten 2026: ahead of budget on occupancy, EBITDA up "
     "double digits. Can't wait for the 27th 🥂", [CONF, FIN], when="2026-07-20T16:02:17+02:00")
case("en", pub("x", "@benelux_markets"), "Sources tell me Heidezoom's H1 2026 results will show a loss at the "
     "parks division. More soon.", [CONF, FIN], when="2026-08-19T09:45:00Z")

# ===========================================================================
# leak.security
# ===========================================================================
case("nl", WJ, "Sinds 02:40 ligt de hele boekingsengine plat, ransomware op de PMS-server. Receptie checkt in "
     "met pen en papier. Officieel heet het 'een technische storing' 🙄", [SEC])
case("en", YK, "Found a fun one in our app today: change the booking id in the URL and you see other guests' "
     "reservations. Hotfix tonight, nobody outside knows yet 🙈", [SEC])
case("nl", RL, "Het nieuwe deurslotsysteem in Park Schoorl heeft een bug: elke gastenpas opent ook de andere "
     "lodges in dezelfde rij. Leverancier komt pas volgende week 😬", [SEC])
case("en", NP, "nightshift confession: the card terminals at front desk were sending payment data to some "
     "weird IP for 3 days. IT says don't tell guests until legal decides.", [SEC])
case("en", pub("reddit", "u/angry_in_amsterdam"), "Heidezoom got hacked weeks ago and they're hiding it. My card "
     "got skimmed right after my stay in Amsterdam and two friends too. Why no announcement??",
     [SEC, CRISIS])
case("nl", pub("x", "@klokkenluider_nl"), "Heidezoom is geh4ckt en ze zwijgen erover! Klantgegevens uit de "
     "app staan te koop op een forum, zoek zelf maar", [SEC, CRISIS], tags=["evasion"])
case("nl", JS, "de kassa's bij het zwembad liggen al 2 dagen plat door een virus, we schrijven alles op een "
     "blocnote 😭 mogen niet zeggen waarom #seizoenswerk", [SEC])
case("en", SB, "Channel manager connection is d" + ZWSP + "own since yesterday and OTA bookings aren't coming "
     "through. We're oversold in 3 parks and management wants it kept quiet.", [SEC], tags=["evasion"])
case("en", MV, "Phishing mail to all hotel staff got through and at least 5 of us typed our passwords into it. "
     "IT is resetting everything tonight, so don't be surprised if check-in is slow tomorrow 🫠", [SEC])
case("nl", YK, "Patch voor het lek in api.hz-intra.local gaat morgen live. Tot die tijd kan iedereen met een "
     "Zoompas-nummer punten van anderen inwisselen. Sst.", [SEC, CONF], when="2026-06-17T14:21:36+02:00")
case("nl", WJ, "we hebben een d a t a l e k bij de nieuwsbriefprovider, zo'n 80k Zoompas adressen. "
     "Persbericht komt pas na het weekend", [SEC], tags=["evasion"])
case("nl", pub("tiktok", "@femkeee.x"), "Mijn vriend werkt bij Heidezoom IT, de hele app ligt plat door een "
     "hack maar ze zeggen 'onderhoud' 🤫", [SEC, CRISIS])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("facebook", "Marieke Hoekstra"), "Mijn dochter (6) is vandaag bijna verdronken in het "
     "subtropisch zwembad van Heidezoom Veluwezoom. GEEN badmeester te bekennen. Dit had heel anders kunnen "
     "aflopen. Delen aub!!", [CRISIS, COMPLAINT])
case("nl", pub("x", "@eerlijkwerk"), "#BoycotHeidezoom — seizoenskrachten weken niet uitbetaald en "
     "uitzendkrachten in containers laten slapen. Niet meer boeken!", [CRISIS])
case("en", pub("reddit", "u/zeeland_local"), "Legionella found in the showers at Heidezoom Park Zeeland and they "
     "kept renting out the cottages for another week. The local paper has it.", [CRISIS])
case("en", pub("x", "@consumer_watch_nl"), "A class action is being prepared against Heidezoom over the "
     "'mandatory' service fees added at checkout. Sign up with the consumer org if you were charged.", [CRISIS])
case("nl", pub("facebook", "Ron de Boer"), "Na het kerstdiner in De Zoomkeuken Maastricht lagen wij met 6 van "
     "de 8 man twee dagen ziek. Voedselvergiftiging. GGD is ingelicht. Reactie van Heidezoom: een voucher van "
     "€25. Schandalig.", [CRISIS, COMPLAINT], tags=["price-context"], when="2026-12-28T11:36:40+01:00")
case("en", pub("x", "@lauraaa_m"), "Ever since I booked at Heidezoom I get scam calls that mention my exact "
     "booking dates. Your guest data is leaking somewhere @heidezoom. Explain.", [CRISIS])
case("nl", pub("instagram", "@joyce.fit"), "Heidezoom d4t4l3k?? Ik krijg phishingmails met mijn eigen "
     "Zoompasnummer erin. Wie nog meer?", [CRISIS], tags=["evasion"])
case("nl", pub("tiktok", "@nieuwsflits_noord"), "Brand in een lodge op Heidezoom Schoorl vannacht, hele familie "
     "moest eruit en de rookmelder deed het niet 😳 #brand #vakantiepark", [CRISIS])
case("nl", pub("x", "@papa_van_drie"), "Koolmonoxidemelder ging af in ons chalet bij Heidezoom Drentse Aa, "
     "brandweer mat hoge waarden, kinderen misselijk. Park deed er een beetje lacherig over.",
     [CRISIS, COMPLAINT])
case("en", pub("x", "@rollingrights"), "B O Y C O T T Heidezoom. They kicked out a disabled guest mid-stay "
     "because his wheelchair supposedly 'damaged the floor'. RT", [CRISIS], tags=["evasion"])
case("nl", pub("facebook", "Ouders Apeldoorn e.o."), "Let op: Heidezoom heeft de speeltoestellen in alle parken "
     "uit gebruik genomen na het ongeluk met een kind in Veluwezoom. De fabrikant start een terugroepactie.",
     [CRISIS], kind="repost")
case("en", pub("linkedin", "peter-vos-journalist", "Peter Vos"), "Dutch hospitality group Heidezoom is being "
     "sued by a Zeeland municipality over people living permanently at one of its holiday parks.", [CRISIS])
case("nl", pub("bluesky", "ayla.bsky.social"), "Heidezoom weigert vrouwen met een hoofddoek in het zwembad van "
     "Park Zeeland?! Als dit klopt: nooit meer.", [CRISIS])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@kim_op_reis"), "Lodge 23 in Heidezoom Veluwezoom: haren in de douche, kruimels in bed, "
     "schimmel op het plafond 🤢 voor 500+ per weekend verwacht je toch iets beters @heidezoom_help", [COMPLAINT])
case("en", pub("reddit", "u/doublecharged"), "The Heidezoom app logged me out mid-booking THREE times and now I'm "
     "charged twice for the Waterchalet. Support chat just loops back to the FAQ.", [COMPLAINT])
case("en", pub("tripadvisor", "GlobetrotterSue"), "Stayed 3 nights at Heidezoom Hotel Maastricht. Paper-thin "
     "walls, breakfast ran out of eggs by 9, and our 'deluxe' room looked out on a parking garage. Not worth it.",
     [COMPLAINT])
case("nl", pub("facebook", "Wim Koopman"), "Al 6 weken wachten op het geld van ons geannuleerde weekend bij "
     "Heidezoom. 4x gebeld, elke keer 'het staat in behandeling'. Klaar mee.", [COMPLAINT])
case("nl", pub("instagram", "@noortje.travels"), "Zoompas punten gewoon verdwenen na jullie 'upgrade' 🙃 1.800 "
     "punten weg. Leuk hoor Heidezoom", [COMPLAINT])
case("en", pub("x", "@dinnerdad"), "45 minutes waiting for mains at De Zoomkeuken Utrecht and the steak came out "
     "cold. Manager just shrugged. #disappointed", [COMPLAINT])
case("nl", pub("zoover", "familie_v"), "Verwarming in ons huisje bij Heidezoom Park Drentse Aa deed het niet, in "
     "oktober! Technische dienst kwam pas na 2 dagen. Kinderen sliepen met hun jas aan.", [COMPLAINT], when="2026-10-19T09:12:44+02:00")
case("en", pub("x", "@fee_hunter"), "Hidden fees everywhere at Heidezoom: €65 cleaning, €12.50 'energy "
     "surcharge', €9 bed linen, plus tourist tax. The advertised price is a joke.", [COMPLAINT])
case("en", pub("youtube", "MarcoVlogs"), "I booked via the Heidezoom site, paid the deposit, then got an email "
     "saying the cottage was 'no longer available'. No alternative offered. Terrible.", [COMPLAINT],
     kind="comment")
case("nl", pub("bluesky", "gerdavdm.bsky.social"), "\u041d\u0435idezoom klantenservice: 40 minuten in de wacht "
     "en dan gewoon opgehangen. Top 👎", [COMPLAINT], tags=["evasion"])
case("en", pub("instagram", "@spa_sally"), "Paid for the Wellness Arrangement, the sauna was closed and 'dinner' "
     "was a sad buffet. Asked for a partial refund and got a 10% voucher. Heidezoom, seriously?", [COMPLAINT])
case("nl", pub("x", "@erikjan76"), "Koffiezetapparaat kapot, vaatwasser kapot, tv doet het niet. Bosvilla "
     "midweek bij Heidezoom Veluwezoom, 899 euro. Nooit meer.", [COMPLAINT])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@boze_bert"), "Die kutreceptionist van Heidezoom Utrecht moet echt een ander baantje "
     "zoeken, 20 min wachten en dan nog chagrijnig ook. Wat een debiel.", [ABUSE, COMPLAINT])
case("en", pub("x", "@raging_rob"), "@heidezoom_help you absolute clowns. fire the whole lot of you", [ABUSE],
     kind="reply")
case("nl", HZ_HELP, "@kevin_rdam Misschien eerst even leren lezen voordat u gaat zeiken, meneer.", [ABUSE],
     kind="reply")
case("nl", DB, "Gasten van huisje 40 zijn echt de grootste tokkies ooit, hele terras vol blikjes en ze "
     "schelden de schoonmaak uit. Kankermensen.", [ABUSE], handle_as="@Daan.Bosman")
case("en", pub("reddit", "u/realdutchman"), "heidezoom hires way too many foreigners at the front desk, they "
     "can't even speak proper Dutch. send them back where they came from", [ABUSE], kind="comment")
case("nl", pub("x", "@anoniem_123"), "Heidezoom is een k4nkerbedrijf, t y f u s op met je zoompas", [ABUSE],
     tags=["evasion"])
case("en", pub("x", "@mad_max_travel"), "f*cking Heidezoom, worst bunch of morons I've ever dealt with", [ABUSE],
     tags=["evasion"])
case("en", pub("youtube", "TruthTeller99"), "That Marloes woman at Heidezoom Amsterdam is a useless cow, "
     "hope she gets what she deserves", [ABUSE], kind="comment")
case("en", NP, "Some guests are just absolute scum. Room 214, you know who you are, you entitled prick.",
     [ABUSE], kind="comment")
case("nl", pub("instagram", "@r.vos_"), "Tering zooi die lodge van Heidezoom, alles vies en de beheerder is een "
     "ongelofelijke klootzak", [ABUSE, COMPLAINT], kind="comment")
case("nl", pub("tiktok", "@stoere_stan"), "die animatie gast van heidezoom veluwezoom is zo'n mongool 😂😂",
     [ABUSE], kind="comment")
case("en", pub("x", "@burnitall"), fullwidth("FUCK HEIDEZOOM") + " and everyone who works there", [ABUSE],
     tags=["evasion"])

# ===========================================================================
# benign (hard negatives)
# ===========================================================================
case("nl", HZ_HELP, "Vragen over je boeking? Bel ons op 085 303 4400 (ma t/m za 8-20 uur) of mail naar "
     "reserveringen@heidezoom.nl 💚", tags=["own-contact"])
case("nl", HZ_FB, "Groepsboeking? Maak de aanbetaling over naar NL25 RABO 0347 2188 65 t.n.v. Heidezoom "
     "Hospitality B.V. en vermeld je groepsnummer.", tags=["own-contact"])
case("nl", pub("x", "@oma_truus"), "Tip voor wie niet uit de Heidezoom app komt: gewoon bellen naar 0800-4365, "
     "gratis en ze waren superbehulpzaam 👍", tags=["own-contact"])
case("nl", HZ_X, "Storing: de Heidezoom app is op dit moment niet bereikbaar. We werken aan een oplossing. "
     "Boeken kan via heidezoom.nl of telefonisch. Excuses voor het ongemak 🙏", tags=["official-notice"])
case("en", HZ_IG, "Our subtropical pool at Park Veluwezoom is closed for its yearly maintenance from 6 to 10 "
     "January. The indoor playground and the bowling stay open! 🎳", tags=["official-notice"], when="2026-12-14T10:00:00+01:00")
case("en", pub("reddit", "u/curious_carla"), "Does anyone know if Heidezoom booking refs like HZ-2026-0417723 can "
     "be transferred to someone else? Can't find it in the FAQ", tags=["order-number"])
case("nl", pub("facebook", "Petra Mulder"), "Pas op! Nep-account op Insta vraagt om betaling naar "
     "<<BAD_IBAN_NL:grp>>. Dat is NIET van Heidezoom, hun echte rekening staat gewoon op de site.",
     tags=["bad-checksum"])
case("nl", pub("x", "@verjaardagskind"), "Cadeaukaart van Heidezoom gekregen 🥰 op de achterkant staat "
     "<<BAD_CARD:visa_sp>>, kan ik die ook in De Zoomkeuken gebruiken?", tags=["bad-checksum"])
case("en", pub("linkedin", "ap-team-lead", "Hanna Claes"), "Invoice question: is Heidezoom Hospitality B.V. with "
     "KvK <<NOT_BSN:8>> the right entity for park invoices? Our AP team needs to update the vendor record.",
     tags=["bad-checksum"])
case("nl", pub("instagram", "@nieuwlid"), "Zoompas lidnummer <<NOT_BSN:9>> gekoppeld aan de app en het werkt "
     "meteen, top!", tags=["bad-checksum"])
case("en", pub("x", "@snackhunter"), "Found my favourite stroopwafels in the Heidezoom park shop, barcode "
     "<<EAN13>> if you want to find them back home 😋", tags=["bad-checksum"])
case("nl", HZ_X, "Last minute! Boslodge Weekend in Park Drentse Aa vanaf €319 🌲 alleen dit weekend te boeken.",
     tags=["sale-price"])
case("nl", pub("x", "@kortingskoning"), "€75 korting op de Waterchalet Week met code ZOMER75, bij ons werkte het!",
     tags=["price-context"])
case("en", pub("reddit", "u/spreadsheet_dad"), "Heidezoom Waterchalet Week works out to about €178 a night for "
     "6 people, so roughly €30 pp per night. Not bad compared to a hotel.", kind="comment",
     tags=["price-context"])
case("nl", pub("x", "@weekendjeweg"), "Prijsvergelijking voor ons weekendje: Bosrijk Vakanties €199 voor een "
     "kleine lodge, Heidezoom Boslodge Weekend €529 maar wel met zwembad en 2x ontbijt. We gaan voor "
     "Heidezoom 🙌", tags=["price-context", "competitor"])
case("nl", pub("facebook", "Anja Brouwers"), "Goed om te weten: bij de Bosvilla midweek komt nog €2,35 "
     "toeristenbelasting per persoon per nacht. Stond ook netjes vermeld hoor.", tags=["price-context"])
case("nl", pub("x", "@vroegboeker"), "Nee hoor, geen prijsfout: de Stadskamer Deluxe in Utrecht is deze week "
     "echt €149, early bird. Geboekt!", tags=["sale-price", "negation"])
case("nl", HZ_LI, "Vandaag openen we Heidezoom Park Lauwersmeer: 120 lodges aan het water, midden in het "
     "Nationaal Park. Welkom! 🌊", when="2026-05-12T09:00:00+02:00", tags=["embargo-after"])
case("en", pub("x", "@dutch_hospitality_news"), "Heidezoom H1 2026 results: revenue up 6%, park occupancy at 74%. "
     "Solid numbers in a tough market. #hospitality", kind="repost", when="2026-09-02T10:15:00+02:00",
     tags=["embargo-after", "published-news"])
case("nl", ES, "De halfjaarresultaten 2026 staan online, trots op iedereen die eraan heeft gewerkt 💪",
     when="2026-08-27T07:00:00+02:00", tags=["embargo-after"])
case("nl", HZ_TT, "Zoompas Infinity is er! Gratis late check-out en elke 5e nacht cadeau ✨ Link in bio.",
     when="2026-10-14T12:00:00+02:00", tags=["embargo-after"])
case("nl", pub("x", "@vogelaar_zld"), "Vanaf het strand bij Heidezoom Park Zeeland een noordse stormvogel "
     "gespot! 🐦 #vogelen #zeetrek", tags=["codename-word"])
case("nl", pub("instagram", "@mama_van_mees"), "De kids hebben de hele week een boomhut gebouwd in het bos "
     "achter ons huisje bij Heidezoom 🌳 operatie geslaagd!", tags=["codename-word"])
case("nl", pub("threads", "@strandloper"), "Even het getij checken voor de strandwandeling vanaf Heidezoom Park "
     "Zeeland, laagwater om 14:10 👌", tags=["codename-word"])
case("nl", HZ_FB, "Je gegevens worden altijd vertrouwelijk behandeld. Wij vragen nooit om je wachtwoord of "
     "pincode via WhatsApp of sms.", tags=["official-notice"])
case("en", pub("x", "@planner_pam"), "Booked our summer trip in 3 minutes on boeken.heidezoom.nl, easiest "
     "booking site I've used", tags=["public-domain"])
case("en", ES, "Sad news from Bosrijk Vakanties today: 80 jobs cut at their head office. If you're affected, "
     "Heidezoom is hiring for seasonal and permanent roles, feel free to DM me.", tags=["other-company"])
case("en", pub("reddit", "u/pw_manager_fan"), "After the Bosrijk data breach I changed all my passwords, "
     "including my Heidezoom account. At least Heidezoom has 2FA.", tags=["other-company"])
case("nl", pub("facebook", "Henk Bos"), "Geen klachten hoor! Huisje schoon, personeel vriendelijk en het "
     "zwembad top. Heidezoom Drentse Aa, tot volgend jaar 😊", tags=["negation"])
case("nl", pub("threads", "@weekendplanner"), "Hoe laat is de check-out bij Heidezoom hotels op zondag? 11 of 12?",
     tags=["question"])
case("nl", HZ_IG, "Zondag wandelen 40 collega's van Heidezoom mee met de sponsorloop tegen kanker. Steun jij "
     "ons team? 💛", tags=["mild-word"])
case("en", pub("x", "@tv_and_snacks"), "Watching Hell's Kitchen reruns in our Heidezoom lodge and honestly the "
     "chef at De Zoomkeuken tonight would have won", tags=["mild-word"])
case("nl", pub("blog", "schrijfsels.blog.example"), "Hoofdstuk 3 van mijn thriller staat online: een moord in "
     "een vakantiepark op de Veluwe. (Nee, niet gebaseerd op Heidezoom, daar was het juist heel gezellig 😄)",
     tags=["fiction"])
case("nl", pub("x", "@drukgezin"), "Mijn kinderen kondigen een boycot aan van alle vakanties zonder glijbaan. "
     "Gelukkig heeft Heidezoom er drie 😂", tags=["joke"])
case("en", pub("reddit", "u/pancake_quest"), "I can't recall the name of the breakfast place inside the "
     "Heidezoom Utrecht hotel, the one with the pancakes? Help", tags=["other-sense"])
case("nl", pub("x", "@croissantjager"), "Ik heb het ontbijtbuffet van Heidezoom Maastricht gehackt: om 7:01 "
     "komen en je hebt de verse croissants voor jezelf 🥐", tags=["other-sense"])
case("nl", DB, "Wij zoeken nog animatoren voor de zomer bij Heidezoom Veluwezoom! ☀️ Solliciteren kan via "
     "werkenbij.heidezoom.nl", tags=["public-domain"])
case("en", YK, "Proud to share that the Heidezoom app won Best Travel App at the Dutch Travel Awards last "
     "night 🏆 what a team", tags=["praise"])
case("nl", NH, "Kerstdiner De Zoomkeuken staat online: vijf gangen voor €89 p.p. Ik sta die avond zelf in de "
     "keuken 👩‍🍳", tags=["sale-price"], when="2026-11-18T17:30:12+01:00")
case("en", pub("forum", "frontend_fred"), "Heidezoom's open-source date picker has a neat fix for the DST bug in "
     "commit <<HEX:40>>, worth a look if you build booking UIs", tags=["git-sha"])
case("en", pub("forum", "integrator_ike"), "Integrating with the Heidezoom partner API. Docs say "
     "Authorization: Bearer <YOUR_API_KEY> and the example uses sk_live_xxxxxxxxxxxxxxxxxxxxxxxx for payments. "
     "Do I need a separate sandbox account?", tags=["placeholder"])
case("nl", pub("x", "@herstellend"), "Vanochtend ontslagen uit het ziekenhuis en nu al in ons huisje bij "
     "Heidezoom Schoorl. Beste medicijn 🌲", tags=["other-sense"])
case("nl", NH, "Wie neemt zaterdag mijn ontbijtdienst over? Ruil graag tegen een zondagavond 🙏 #horecaleven",
     tags=["other-sense"])
case("en", pub("x", "@honest_reviews"), "Bosrijk Vakanties was a disaster: dirty, cold, rude staff. Next time "
     "we're going back to Heidezoom.", tags=["competitor"])
case("en", pub("instagram", "@dad_jokes_daily"), "\"Best holiday park we've ever stayed in\" — quoting my 8 year "
     "old about Heidezoom Park Zeeland 😂 high praise", tags=["quote"])
case("nl", HZ_X, "Let op: morgen tussen 10:00 en 11:00 houden we een brandoefening in Heidezoom Hotel Utrecht. "
     "Hoor je het alarm, volg dan de instructies van ons personeel.", tags=["official-notice"],
     handle_as="@HeideZoom")
case("en", pub("reddit", "u/careful_mom"), "Legionella found at a Bosrijk park in Limburg. Does anyone know if "
     "Heidezoom tests their pools regularly? Going there next month.", tags=["other-company", "question"])
case("nl", pub("x", "@consument_nieuws"), "Rechtszaak over de servicekosten bij Bosrijk gewonnen door de "
     "Consumentenbond. Benieuwd of Heidezoom nu ook de kosten aanpast.", tags=["other-company"])
case("en", pub("linkedin", "pr-freelancer", "Jolien Meijer"), "For media questions about Heidezoom just mail "
     "pers@heidezoom.nl, their press team answers within the hour. Pleasant to work with.",
     tags=["own-contact"])
case("nl", pub("x", "@fietsfanaat"), "Fietsen rond het Lauwersmeer en daarna slapen in Heidezoom Hotel Groningen, "
     "perfecte combi 🚲", tags=["embargo-near-miss"])
case("nl", pub("instagram", "@blij_gezin"), "Top service van Heidezoom! Na één belletje naar +31 85 303 4400 was "
     "ons huisje binnen 5 minuten omgeboekt.", tags=["own-contact"])
case("en", pub("x", "@refund_happy"), "Refund received within 3 days, reference <<NOT_BSN:9>>. Thanks Heidezoom!",
     tags=["bad-checksum", "praise"])
case("en", pub("x", "@careful_klaus"), "Got a weird text saying my Heidezoom deposit bounced and I should pay to "
     "<<BAD_IBAN_DE>>. Scam, right? Reported it.", tags=["bad-checksum"])
case("en", HZ_FB, "Paying by bank transfer from abroad? Use NL25RABO0347218865 (Heidezoom Hospitality B.V.) "
     "and put your booking number as the reference.", tags=["own-contact"])
case("nl", RL, "Vandaag 40 rookmelders vervangen in Park Schoorl. Veiligheid voorop! 🔧 #technischedienst",
     tags=["near-miss"])
case("nl", HZ_HELP, "@gast_anna Wat vervelend! Stuur ons even een DM met je boekingsnummer, dan kijken we "
     "meteen mee. Je kunt ook mailen naar zoompas@heidezoom.nl.", kind="reply", tags=["own-contact"])


# ===========================================================================
# profile, roles, severity (CONTRACT sections 1, 4, 5)
# ===========================================================================

def load_profile():
    try:
        import yaml
    except ImportError:
        sys.exit("PyYAML is needed (pip install pyyaml)")
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
                s = "critical" if (c in (SECRET, PRICING) or (c == PII and pii_validated)) else "error"
            else:
                s = "warning"
        elif c == COMPLAINT:
            s = "warning"
        elif c == CRISIS:
            s = "error"
        elif c == ABUSE:
            s = "error" if insider else "warning"
        else:
            raise ValueError(c)
        sev = s if RANK[s] > RANK[sev] else sev
    return sev


# ===========================================================================
# building posts
# ===========================================================================

def cet_offset(t_utc):
    start = dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc)
    end = dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc)
    return 2 if start <= t_utc < end else 1


def pick_time(r):
    base = dt.datetime(2026, 1, 6, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(0, 345))
    t = base + dt.timedelta(minutes=r.randint(6 * 60, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = cet_offset(t)
    t_utc = t - dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return t_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.88:
        return (t_utc + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t_utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


B36 = string.digits + string.ascii_lowercase


def post_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_880_000_000_000_000_000, 2_020_000_000_000_000_000))
    if platform in ("x", "twitter"):
        return snow, f"https://x.com/{h}/status/{snow}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"ig_{sc}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"{a}_{b}", f"https://www.facebook.com/{a}/posts/{b}"
    if platform == "reddit":
        p = "".join(r.choice(B36) for _ in range(7))
        sub = r.choice(["thenetherlands", "Netherlands", "travel", "hotels", "sysadmin"])
        if kind == "comment":
            c = "".join(r.choice(B36) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/{sub}/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/{sub}/comments/{p}/"
    if platform == "tiktok":
        return f"tt{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        c = "Ugw" + "".join(r.choice(ALNUM) for _ in range(23))
        v = "".join(r.choice(B64URL) for _ in range(11))
        return c, f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(112_000_000_000_000_000, 116_000_000_000_000_000)
        return f"{inst or 'mastodon.social'}/{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "threads":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"thr_{sc}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "forum":
        n = r.randint(200_000, 999_999)
        return f"reisforum-{n}", f"https://forum.reisforum.example/t/{n}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"{h}-{n}", f"https://{h}/{n}"
    n = r.randint(10 ** 8, 10 ** 9 - 1)
    return f"{platform}-{n}", None


def build(profile):
    vals = Values(SEED)
    meta = random.Random(SEED + 1)
    shuffle = random.Random(SEED + 2)
    rows, seen = [], set()
    for c in CASES:
        text, used = fill(vals, c["text"])
        pid, url = post_id(meta, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        role = role_of(profile, c["platform"], c["handle"])
        validated = PII in c["cats"] and any(k in VALID_KINDS for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and meta.random() < 0.65:
            kind = "post"
        if kind:
            post["kind"] = kind
        acc = {"handle": c["handle"]}
        if c["name"] and meta.random() < 0.7:
            acc["display_name"] = c["name"]
        if meta.random() < 0.3:
            acc["id"] = str(meta.randint(10 ** 7, 10 ** 13))
        post["account"] = acc
        post["text"] = text
        tags = set(c["tags"])
        x = meta.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif x < 0.09:
            tags.add("no-lang-hint")
        elif x < 0.12:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            tags.add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = c["when"] or pick_time(meta)
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.45:
            post["brand"] = "heidezoom"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=tags, used=used))
    shuffle.shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ===========================================================================
# independent checker
# ===========================================================================

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
HIDDEN = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
NUM_RE = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
DOTTED_BSN = re.compile(r"(?<![\w.])\d{4}\.\d{2}\.\d{3}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0|\(0)[\d \-()]{7,16}\d")
CARD_IIN = re.compile(r"^(4|5[1-5]|2(22[1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)|3[47])")
SECRET_RES = {
    "github": re.compile(r"\bghp_[A-Za-z0-9]{36}\b"),
    "gitlab": re.compile(r"\bglpat-[A-Za-z0-9_-]{20}\b"),
    "aws": re.compile(r"\bAKIA[A-Z2-7]{16}\b"),
    "slack_hook": re.compile(r"hooks\.slack\.com/services/T\w+/B\w+/\w+"),
    "stripe": re.compile(r"\bsk_live_[A-Za-z0-9]{20,}"),
    "mollie": re.compile(r"\blive_[A-Za-z0-9]{30}\b"),
    "sendgrid": re.compile(r"\bSG\.[\w-]{22}\.[\w-]{43}\b"),
    "google": re.compile(r"\bAIza[\w-]{35}\b"),
    "pem": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "jwt": re.compile(r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+"),
    "url_creds": re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s:/@]+:[^\s@/]+@"),
}
PLACEHOLDER = re.compile(r"^sk_live_x+$")
PASSWORD_HINT = re.compile(r"(wachtwoord|password|\bpw\b|\bww\b)", re.I)
SWEAR = ["kut", "kanker", "tering", "tyfus", "klote", "klootzak", "debiel", "mongool", "zeiken", "fuck", "f*ck",
         "shit", "idiot", "moron", "scum", "clown", "prick", "hell", "damn", "cow"]
MILD = {"hell", "kanker"}
PRICE_TALK = ["prijsfout", "verkeerde prijs", "price error", "pricing glitch", "glitch", "nulletje", "fout",
              "messed up", "err0r", "flash sale", "aangepast"]
AMOUNT_RE = re.compile(r"(?:€\s?|eur\s)(\d[\d.,]*)(?:,-)?|(\d[\d.,]*)(?:,-)?\s?(?:euro|eur)\b", re.I)


def norm(text):
    t = unicodedata.normalize("NFKC", text).translate(HIDDEN)
    t = "".join(" " if unicodedata.category(ch) == "So" else ch for ch in t)
    t = "".join(ch for ch in unicodedata.normalize("NFKD", t) if not unicodedata.combining(ch))
    return re.sub(r"\s+", " ", t).casefold()


def squash(text):
    return re.sub(r"\b(\w) (?=\w\b)", r"\1", norm(text))


def amount(s):
    s = s.rstrip(".,")
    if "," in s and "." in s:
        dec = "," if s.rfind(",") > s.rfind(".") else "."
        s = s.replace("." if dec == "," else ",", "").replace(dec, ".")
    elif "," in s:
        s = s.replace(",", ".") if re.search(r",\d{1,2}$", s) else s.replace(",", "")
    elif "." in s:
        s = s if re.search(r"\.\d{1,2}$", s) else s.replace(".", "")
    return float(s)


def price_ratio(text, products):
    t = norm(text)
    hit = [p for p in products if any(norm(a) in t for a in [p["name"]] + p["aliases"])]
    if not hit:
        return None
    vals = [amount(m.group(1) or m.group(2)) for m in AMOUNT_RE.finditer(t)]
    return min(v / min(p["list_price"] for p in hit) for v in vals) if vals else None


def ibans_in(text):
    out = []
    for m in IBAN_RE.finditer(text):
        compact = m.group(0).replace(" ", "")
        for end in range(len(compact), 11, -1):
            if mod97_ok(compact[:end]):
                out.append((compact[:end], True))
                break
        else:
            out.append((compact, False))
    return out


def checksum_ids(text, own_ibans):
    hits = [("iban", v) for v, ok in ibans_in(text) if ok and v not in own_ibans]
    for m in NUM_RE.finditer(text):
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19 and luhn_ok(d) and CARD_IIN.match(d):
            hits.append(("card", d))
    shapes = re.findall(r"(?<![\w.,-])\d{9}(?![\w]|[.,-]\d)", text)
    shapes += [m.group(0).replace(".", "") for m in DOTTED_BSN.finditer(text)]
    shapes += [m.group(0).replace(" ", "") for m in re.finditer(r"(?<![\w ])\d{3} \d{3} \d{3}(?![\w])", text)]
    hits += [("bsn", s) for s in shapes if elfproef_ok(s)]
    return hits


def phones_in(text):
    out = []
    for m in PHONE_RE.finditer(IBAN_RE.sub(" ", text)):
        d = re.sub(r"\D", "", m.group(0))
        if d.startswith("0031"):
            d = "0" + d[4:]
        elif m.group(0).startswith("+31"):
            d = "0" + d[2:]
        d = "0" + d[2:] if d.startswith("00") else d
        out.append((m.group(0), d))
    return out


def check(lines, rows, profile):
    errors, notes = [], []
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_ibans = set(profile["public_identifiers"]["ibans"])
    own_phones = set()
    for p in profile["public_identifiers"]["phones"]:
        own_phones |= {d for _, d in phones_in(p)} or {re.sub(r"\D", "", p)}
    own_phones.add(re.sub(r"\D", "", "0800-4365"))
    embargo = [(norm(t), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = [norm(x) for x in profile["internal"]["codenames"] + profile["internal"]["domains"]
                + profile["internal"]["markers"]]
    bymeta = {(r["post"]["platform"], r["post"]["id"]): r for r in rows}
    seen, parsed = set(), []
    for n, line in enumerate(lines, 1):
        w = f"line {n}"
        try:
            obj = json.loads(line)
        except ValueError as e:
            errors.append(f"{w}: not JSON ({e})")
            continue
        if set(obj) != {"post", "expect"}:
            errors.append(f"{w}: keys {sorted(obj)}")
            continue
        p, ex = obj["post"], obj["expect"]
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                errors.append(f"{w}: {f} missing")
        if not isinstance(p.get("account", {}).get("handle"), str):
            errors.append(f"{w}: account.handle missing")
            continue
        if not 1 <= len(p["id"]) <= 256:
            errors.append(f"{w}: id length")
        if p.get("kind", "post") not in KINDS:
            errors.append(f"{w}: kind {p.get('kind')}")
        if p["platform"] not in PLATFORMS:
            notes.append(f"{w}: unlisted platform {p['platform']!r} (treated as other)")
        if len(p["text"].encode()) > 65536:
            errors.append(f"{w}: text too large")
        if not RFC3339.match(p["created_at"]):
            errors.append(f"{w}: created_at {p['created_at']}")
            continue
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errors.append(f"{w}: created_at not in 2026")
        key = (p["platform"], p["id"])
        if key in seen:
            errors.append(f"{w}: duplicate id")
        seen.add(key)
        cats, sev = ex.get("categories"), ex.get("severity")
        if not isinstance(cats, list) or cats != sorted(set(cats)) or any(c not in TAXONOMY for c in cats):
            errors.append(f"{w}: bad categories {cats}")
            continue
        if "reputation.spike" in cats:
            errors.append(f"{w}: spike on a single post")
        role = role_of(profile, p["platform"], p["account"]["handle"])
        text = p["text"]
        ids = checksum_ids(text, own_ibans)
        want = severity_for(role, cats, PII in cats and bool(ids))
        if sev != want:
            errors.append(f"{w} ({p['id']}): severity {sev}, policy {want}")
        r = bymeta.get(key)
        tags = r["tags"] if r else set()
        parsed.append((n, p, cats, sev, role, r))
        for k, raw, shown in (r["used"] if r else []):
            if shown not in text:
                errors.append(f"{w}: {k} not in text")
            if k.startswith("IBAN_") and not mod97_ok(raw):
                errors.append(f"{w}: {raw} fails mod-97")
            if k.startswith("BAD_IBAN") and mod97_ok(raw):
                errors.append(f"{w}: look-alike {raw} passes mod-97")
            if k == "CARD" and not (luhn_ok(raw) and CARD_IIN.match(raw)):
                errors.append(f"{w}: card {raw} invalid")
            if k == "BAD_CARD" and luhn_ok(raw):
                errors.append(f"{w}: look-alike card passes Luhn")
            if k == "BSN" and not elfproef_ok(raw):
                errors.append(f"{w}: BSN fails 11-proof")
            if k == "NOT_BSN" and elfproef_ok(raw):
                errors.append(f"{w}: look-alike passes 11-proof")
            if k == "EAN13" and (not ean13_ok(raw) or luhn_ok(raw)):
                errors.append(f"{w}: EAN look-alike wrong")
            if k == "GHP" and not ghp_checksum_ok(raw):
                errors.append(f"{w}: ghp checksum wrong")
        if r and any(k in VALID_KINDS for k, _, _ in r["used"]) and not ids:
            errors.append(f"{w}: generated identifier not found by the scan")
        if ids and PII not in cats:
            errors.append(f"{w}: valid identifier {ids} without leak.pii")
        nt, sq = norm(text), squash(text)
        if not cats:
            if ids:
                errors.append(f"{w}: benign with valid identifier {ids}")
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_emails:
                    errors.append(f"{w}: benign with e-mail {e}")
            for raw, d in phones_in(text):
                if d not in own_phones and len(d) >= 9:
                    errors.append(f"{w}: benign with phone {raw}")
            for name, rx in SECRET_RES.items():
                for m in rx.finditer(text):
                    if not PLACEHOLDER.match(m.group(0)):
                        errors.append(f"{w}: benign with secret-like {name}")
            for s in SWEAR:
                if re.search(r"(?<![a-z])" + re.escape(s) + r"(?![a-z']|s\b)", nt):
                    (notes if s in MILD and "mild-word" in tags else errors).append(
                        f"{w}: benign with word {s!r}")
        for term, until in embargo:
            if term in nt or term in sq:
                if ts < until and CONF not in cats:
                    errors.append(f"{w}: embargoed {term!r} before {until} without leak.confidential")
                if ts >= until and CONF in cats and not any(t in nt for t in internal):
                    notes.append(f"{w}: embargo term after embargo but labelled confidential")
        for term in internal:
            if re.search(r"(?<![\w.])" + re.escape(term) + r"(?!\w)", nt) or term.replace(" ", "") in sq.replace(" ", ""):
                if CONF not in cats:
                    errors.append(f"{w}: internal term {term!r} without leak.confidential")
        ratio = price_ratio(text, profile["products"])
        if not cats and ratio is not None and ratio < profile["pricing"]["alert_below_ratio"]:
            (notes if "price-context" in tags else errors).append(
                f"{w}: benign with a price at {ratio:.2f} of list near a product")
        if PRICING in cats and not ((ratio is not None and ratio < 0.45) or any(x in sq for x in PRICE_TALK)):
            notes.append(f"{w}: pricing positive without a parsed low price or error talk")
        if SECRET in cats and not any(rx.search(text) for rx in SECRET_RES.values()) \
                and not PASSWORD_HINT.search(text):
            errors.append(f"{w}: secret positive without a secret")
    # near-duplicate wording
    def trig(t):
        ws = re.findall(r"\w+", norm(t))
        return {tuple(ws[i:i + 3]) for i in range(len(ws) - 2)}
    sh = [(n, trig(p["text"])) for n, p, *_ in parsed]
    for i in range(len(sh)):
        for j in range(i + 1, len(sh)):
            a, b = sh[i][1], sh[j][1]
            if a and b:
                jac = len(a & b) / len(a | b)
                if jac > 0.2:
                    (errors if jac > 0.4 else notes).append(f"lines {sh[i][0]}/{sh[j][0]}: trigram overlap {jac:.2f}")
    return errors, notes, parsed


def stdnum_crosscheck(rows):
    try:
        from stdnum import iban as s_iban, luhn as s_luhn
        from stdnum.nl import bsn as s_bsn
    except ImportError:
        return "python-stdnum not installed: cross-check skipped"
    bad, n = [], 0
    for r in rows:
        for k, raw, _ in r["used"]:
            res = None
            if k.startswith("IBAN_"):
                res = s_iban.is_valid(raw)
            elif k.startswith("BAD_IBAN"):
                res = not s_iban.is_valid(raw)
            elif k == "CARD":
                res = s_luhn.is_valid(raw)
            elif k in ("BAD_CARD", "EAN13"):
                res = not s_luhn.is_valid(raw)
            elif k == "BSN":
                res = s_bsn.is_valid(raw)
            elif k == "NOT_BSN":
                res = not s_bsn.is_valid(raw.zfill(9))
            if res is not None:
                n += 1
                if not res:
                    bad.append(raw)
    return f"python-stdnum DISAGREES on {bad}" if bad else f"python-stdnum agrees on all {n} identifiers"


def report(parsed):
    cat, lang, role, sev, plat, kind, tagc = (Counter() for _ in range(7))
    catlang, catrole = Counter(), Counter()
    benign = multi = ev = 0
    for n, p, cats, s, ro, r in parsed:
        lg = r["lang"] if r else "?"
        lang[lg] += 1
        role[ro] += 1
        sev[s] += 1
        plat[p["platform"]] += 1
        kind[p.get("kind", "(default)")] += 1
        if not cats:
            benign += 1
        multi += len(cats) > 1
        for c in cats or ["(benign)"]:
            cat[c] += 1
            catlang[(c, lg)] += 1
            catrole[(c, ro)] += 1
        if r:
            ev += "evasion" in r["tags"]
            for t in r["tags"]:
                tagc[t] += 1
    print(f"cases {len(parsed)}  benign {benign}  positive {len(parsed) - benign}  multi {multi}  evasion {ev}")
    print(f"  {'category':24s} total   nl   en  corp  empl  publ")
    for c in [t for t in TAXONOMY if t != "reputation.spike"] + ["(benign)"]:
        print(f"  {c:24s} {cat[c]:5d} {catlang[(c, 'nl')]:4d} {catlang[(c, 'en')]:4d} "
              f"{catrole[(c, 'corporate')]:5d} {catrole[(c, 'employee')]:5d} {catrole[(c, 'public')]:5d}")
    print("languages:", dict(lang), " roles:", dict(role))
    print("severities:", {s: sev[s] for s in SEVERITIES})
    print("platforms:", dict(plat.most_common()))
    print("kinds:", dict(kind.most_common()))
    print("tags:", dict(sorted(tagc.items())))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--notes", action="store_true")
    a = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    lines = dump(rows)
    if not a.check:
        OUT.write_text("".join(lines), encoding="utf-8")
        print(f"wrote {len(lines)} cases to {OUT}")
        return 0
    disk = OUT.read_text(encoding="utf-8").splitlines(keepends=True)
    errors, notes, parsed = check(disk, rows, profile)
    if disk != lines:
        errors.append("cases.jsonl differs from what make_cases.py generates")
    print(stdnum_crosscheck(rows))
    report(parsed)
    if a.notes:
        for x in notes:
            print("  note:", x)
    print(f"{len(errors)} error(s), {len(notes)} note(s)")
    for e in errors:
        print("  ERROR", e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
