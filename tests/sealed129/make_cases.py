#!/usr/bin/env python3
"""Sealed evaluation set 129 for postwatch: Kadans Running B.V. (Dutch running retailer).

    python3 make_cases.py           # write cases.jsonl next to this file
    python3 make_cases.py --check   # regenerate in memory, compare, validate, print counts

Deterministic (fixed seed). Texts are hand-written below; identifiers and secrets are
filled in from <<PLACEHOLDER>> markers by a seeded RNG. Positives get checksum-valid
IBANs / cards / BSNs; benign look-alikes get numbers that fail their checksum.
Severity is computed from CONTRACT section 4 (role from profile.yaml, categories,
and whether a checksum-validated identifier is present), never typed by hand.
Needs Python 3.9+ and PyYAML.
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

SEED = 1290615
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
TAXONOMY = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]

ZW = "\u200b"
SHY = "\u00ad"
CYR_A, CYR_O, CYR_E, CYR_C = "\u0430", "\u043e", "\u0435", "\u0441"


def fullwidth(s):
    return "".join("\u3000" if ch == " " else chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in s)


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------

def iban_valid(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


def iban_build(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return f"{cc}{98 - n % 97:02d}{bban}"


def luhn_valid(s):
    d = re.sub(r"\D", "", s)
    tot = 0
    for i, ch in enumerate(reversed(d)):
        v = int(ch)
        if i % 2:
            v = v * 2 - 9 if v > 4 else v * 2
        tot += v
    return bool(d) and tot % 10 == 0


def luhn_finish(prefix):
    return next(prefix + c for c in "0123456789" if luhn_valid(prefix + c))


def elfproef(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    tot = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return tot != 0 and tot % 11 == 0


def ean13_valid(s):
    return len(s) == 13 and (sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(s[:12])) + int(s[12])) % 10 == 0


B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


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
# seeded generator
# ---------------------------------------------------------------------------

ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
B64U = ALNUM + "-_"
HEXD = "0123456789abcdef"
OWN_IBAN = "NL64RABO0314729856"


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def d(self, n, nz=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def c(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    @staticmethod
    def g4(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    def iban_nl(self):
        while True:
            v = iban_build("NL", self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "ASNB", "BUNQ", "KNAB", "TRIO"])
                           + self.d(10, nz=True))
            if v != OWN_IBAN:
                return v

    def iban_de(self):
        return iban_build("DE", self.r.choice(["50070010", "37050198", "12030000", "76026000"]) + self.d(10))

    def iban_be(self):
        first = self.r.choice(["310", "063", "001", "751", "973"]) + self.d(7)
        return iban_build("BE", f"{first}{(int(first) % 97) or 97:02d}")

    def bad_iban(self, good):
        for delta in (7, 19, 31, 43):
            cand = f"{good[:2]}{(int(good[2:4]) + delta) % 100:02d}{good[4:]}"
            if not iban_valid(cand):
                return cand
        raise AssertionError

    def card(self, brand):
        if brand == "visa":
            return luhn_finish("4" + self.d(14))
        if brand == "mc":
            return luhn_finish("5" + self.r.choice("12345") + self.d(13))
        if brand == "mc2":
            return luhn_finish(str(self.r.randint(2221, 2720)) + self.d(11))
        if brand == "amex":
            return luhn_finish(self.r.choice(["34", "37"]) + self.d(12))
        raise ValueError(brand)

    def bad_card(self, brand):
        v = self.card(brand)
        bad = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_valid(bad)
        return bad

    @staticmethod
    def fmt_card(v, sep):
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return {"sp": " ", "dash": "-", "c": ""}[sep].join(parts)

    def bsn(self):
        while True:
            s = self.d(9, nz=True)
            if elfproef(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.d(n, nz=True)
            if not elfproef(s) and not luhn_valid(s):
                return s

    def ean13(self):
        while True:
            body = "87" + self.d(10)
            full = next(body + c for c in "0123456789" if ean13_valid(body + c))
            if not luhn_valid(full):
                return full

    def phone(self, fmt):
        m = self.r.choice("12345678") + self.d(7)   # the 8 digits after 06
        area = self.r.choice(["10", "15", "20", "24", "30", "33", "35", "40", "43", "50", "53", "70", "73", "76"])
        sub = self.r.choice("2345789") + self.d(6)
        return {
            "mob_dash": f"06-{m}",
            "mob_plain": f"06{m}",
            "mob_intl_sp": f"+31 6 {m[:4]} {m[4:]}",
            "mob_0031": f"0031 6 {m[:2]} {m[2:5]} {m[5:]}",
            "mob_pairs": f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}",
            "mob_intl0": f"+31 (0)6 {m}",
            "land_sp": f"0{area} {sub[:3]} {sub[3:]}",
            "land_dash": f"0{area}-{sub}",
        }[fmt]

    # secrets (fake, but shaped like the real thing)
    def ghp(self):
        body = self.c(ALNUM, 30)
        return "ghp_" + body + base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def aws_id(self):
        return "AKIA" + self.c("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)

    def aws_secret(self):
        return self.c(B64, 40)

    def slack_bot(self):
        return f"xoxb-{self.d(12, True)}-{self.d(13, True)}-{self.c(ALNUM, 24)}"

    def shpat(self):
        return "shpat_" + self.c(HEXD, 32)

    def glpat(self):
        return "glpat-" + self.c(B64U, 20)

    def sendgrid(self):
        return "SG." + self.c(B64U, 22) + "." + self.c(B64U, 43)

    def gapi(self):
        return "AIzaSy" + self.c(B64U, 33)

    def jwt(self):
        enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        body = {"sub": "member_" + self.d(7, True), "iss": "club.kadans.nl", "tier": "gold", "iat": iat,
                "exp": iat + 7200}
        return f"{enc({'alg': 'HS256', 'typ': 'JWT'})}.{enc(body)}.{self.c(B64U, 43)}"

    def pem_ec(self):
        lines = ["MHcCAQEEI" + self.c(B64, 55), self.c(B64, 64), self.c(B64, 34) + "=="]
        return "-----BEGIN EC PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END EC PRIVATE KEY-----"

    def pw(self):
        return (self.r.choice(string.ascii_uppercase) + self.c(string.ascii_lowercase, 4) + self.c(string.digits, 2)
                + self.r.choice("!*-_~") + self.c(ALNUM, 4))


VALID_ID = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(g, text):
    used = []

    def sub(m):
        k, f = m.group(1), m.group(2) or ""
        if k in ("IBAN_NL", "IBAN_DE", "IBAN_BE"):
            raw = getattr(g, k.lower())()
            shown = g.g4(raw) if f == "grp" else raw
        elif k == "BAD_IBAN_NL":
            raw = g.bad_iban(g.iban_nl())
            shown = g.g4(raw) if f == "grp" else raw
        elif k == "CARD":
            brand, _, sep = f.partition("_")
            raw = g.card(brand)
            shown = g.fmt_card(raw, sep or "sp")
        elif k == "BAD_CARD":
            brand, _, sep = f.partition("_")
            raw = g.bad_card(brand)
            shown = g.fmt_card(raw, sep or "sp")
        elif k == "BSN":
            raw = g.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if f == "dots" else raw
        elif k == "NOT_BSN":
            raw = shown = g.not_bsn(int(f or "9"))
        elif k == "EAN13":
            raw = shown = g.ean13()
        elif k == "PHONE":
            raw = shown = g.phone(f)
        elif k == "HEX":
            raw = shown = g.c(HEXD, int(f))
        elif k in ("GHP", "AWS_ID", "AWS_SECRET", "SLACK_BOT", "SHPAT", "GLPAT", "SENDGRID", "GAPI", "JWT",
                   "PEM_EC", "PW"):
            raw = shown = getattr(g, k.lower())()
        else:
            raise KeyError(k)
        used.append((k, raw, shown))
        return shown

    return PH.sub(sub, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

K_X = ("x", "@kadansrunning", "Kadans Running")
K_HELP = ("x", "@kadans_help", "Kadans Klantenservice")
K_IG = ("instagram", "@kadans.running", "Kadans Running")
K_FB = ("facebook", "KadansRunningNL", "Kadans Running")
K_LI = ("linkedin", "kadans-running", "Kadans Running B.V.")
K_TT = ("tiktok", "@kadansrunning", "Kadans Running")

MILAN = ("instagram", "@loopcoach_milan", "Milan Hoekstra")        # gait analyst, store Utrecht
WOUTER = ("x", "@wouterdevs", "Wouter Kok")                         # web developer
YASMINA = ("linkedin", "yasmina-bouzid-finance", "Yasmina Bouzid")  # finance controller
EEFJE = ("x", "@eefje_runs", "Eefje Smeets")                        # events coordinator
RUBEN = ("linkedin", "ruben-degraaf", "Ruben de Graaf")             # IT / DevOps
JOOST = ("tiktok", "@joost_dc_zwolle", "Joost Verbeek")             # distribution centre Zwolle
LISANNE = ("threads", "@lisanne.winkel", "Lisanne Maas")            # store manager Den Bosch


def pub(platform, handle, name=None):
    return (platform, handle, name)


CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    platform, handle, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


SECRET, PII, PRICING, CONF, FIN, SEC = ("leak.secret", "leak.pii", "leak.pricing", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

# ===========================================================================
# leak.pricing
# ===========================================================================
case("en", WOUTER, "ugh. the new price import just went live and the Carbon Pulse Elite shows €27,90 instead of €279 "
     "on shop.kadans.nl 🫠 rollback is running, pls nobody screenshot this", [PRICING])
case("nl", pub("x", "@runningroos"), "JONGENS. Pacer 5 gps horloge voor €34,90 bij Kadans?!? prijsfoutje denk ik "
     "maar hij zit in mn mandje 🏃‍♀️💨 #prijsfout", [PRICING])
case("en", pub("reddit", "u/tempo_tuesday"), "Kadans NL store has the Trailhoek GTX at €18.90 right now. Someone "
     "obviously dropped a digit. Grabbed 2 pairs in 44.5, will update if they cancel", [PRICING])
case("nl", LISANNE, "Kassa bij ons in de winkel slaat de Flowvest aan voor 8,99 euro 😅 tot het hoofdkantoor het "
     "fixt verkopen we ze ff niet, sorry lopers", [PRICING])
case("nl", K_IG, "🔥 FLASH SALE 🔥 Aero Tempo 2 vandaag voor maar €59! Alleen online, op = op.\nLink in bio "
     "#kadans #hardlopen #runningshoes", [PRICING])
case("nl", pub("forum", "DuurloopDaan"), "[Prijsfout?] Kadans PodoFit inlegzolen €6,90 ipv €69\n\nBestelling "
     "bevestigd, betaald met iDEAL. Iemand ervaring of Kadans zulke orders gewoon annuleert?", [PRICING])
case("nl", JOOST, "collega's let op: p r i j s f o u t op de Trailhoek pagina, ff niet in de groepsapp gooien 🤫",
     [PRICING], tags=["evasion", "evasion:spaced"])
case("en", pub("x", "@splitsandsplits"), f"K{CYR_A}dans pricing glit{CYR_C}h lol: CP Elite showing 29 euro in the "
     "app. go go go", [PRICING], tags=["evasion", "evasion:homoglyph"])
case("en", YASMINA, "For colleagues who asked: yes, the KadansClub Plus membership went out at €0.39 instead of €39 "
     "for about four hours yesterday, a decimal slip in the promo engine. Finance is still counting orders, so please "
     "keep this between us.", [PRICING])
case("en", pub("bluesky", "@milesformarieke.bsky.social"), "me: only one pair of race shoes this year\nKadans: "
     "Carbon Pulse Elite for €49,-\nme: 👀👀\n(definitely a price mistake, ordered anyway)", [PRICING])
case("nl", MILAN, "Webshop prijzen zijn helemaal de weg kwijt, Pacer 5 voor €3,49 😂 ticket staat al op "
     "jira.kadans.io/browse/SHOP-2291", [PRICING, CONF], kind="post")
case("nl", pub("facebook", "kim.raaijmakers.run", "Kim Raaijmakers"), "Flöwvest voor €9 bij Kadans 😱 prijsfoüt?? "
     "mijn loopmaatje heeft er al 3 besteld", [PRICING], tags=["evasion", "evasion:diacritics"])
case("en", pub("youtube", "@trailtomtalks"), "Got the Trailhoek for 19 euros in last night's Kadans price error, "
     "confirmation mail and all. Wear test video coming if they actually ship it 😂", [PRICING], kind="comment")

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", WOUTER, "can someone with admin rights check why the Shopify sync keeps failing? token <<SHPAT>> gives a "
     "401 since this morning's deploy 😩", [SECRET])
case("nl", RUBEN, "Weer bewezen waarom secrets niet in je repo horen. In een oude branch van onze eventsite vonden "
     "we dit:\n\nAWS_ACCESS_KEY_ID=<<AWS_ID>>\nAWS_SECRET_ACCESS_KEY=<<AWS_SECRET>>\n\nKey is inmiddels ingetrokken, "
     "maar toch. #devsecops #lerenvanfouten", [SECRET])
case("nl", EEFJE, "Voor de vrijwilligers bij de finish: wifi in de tent heet KadansEvent, wachtwoord Finish2026!run "
     "\nNiet doorsturen aub 😅", [SECRET])
case("en", JOOST, "scanner app at the DC keeps logging us out, login is dc-zwolle / <<PW>> can someone from IT fix it "
     "before night shift 🙏", [SECRET])
case("en", pub("reddit", "u/curl_and_cadence"), "Kadans' race registration site has a SendGrid key sitting in "
     "main.js: <<SENDGRID>>\nPretty sure that can send mail as events@kadans.nl. Someone tell them?", [SECRET],
     kind="comment")
case("en", WOUTER, "staging db is back 🎉 conn string for the squad: "
     "postgres://club_admin:<<PW>>@db-club.intranet.kadans.local:5432/members", [SECRET, CONF])
case("en", RUBEN, "Tip for anyone scripting against our GitLab: a project access token like <<GLPAT>> works fine "
     "with the API, just scope it to read_api. (This one expires Friday anyway.)", [SECRET])
case("nl", pub("x", "@sander_loopt"), "@kadans_help ik kom al 2 dagen niet in de KadansClub app. gebruikersnaam "
     "sanderloopt, wachtwoord Halvemarathon21 , wat doe ik fout?? echt irritant", [SECRET, COMPLAINT], kind="reply")
case("en", pub("blog", "appsec.nl", "Jorien Wessels"), "Quick teardown of Dutch running apps, part 3. The KadansClub "
     "Android app (v3.8.2) ships an unrestricted Maps key, <<GAPI>>, plus a hard-coded member token for the "
     "loyalty API:\n<<JWT>>\nBoth still worked when I tested on Tuesday.", [SECRET])
case("nl", EEFJE, "w8woord van de tijdregistratie-laptop bij de start = ChipTijd#2026 (morgen veranderen we 'm "
     "weer hoor)", [SECRET], tags=["evasion", "evasion:abbreviation"])
case("en", RUBEN, "Spent my morning on why the SFTP drop to our shoe supplier failed. Wrong key in the vault. Old one "
     "for the record (revoked):\n<<PEM_EC>>", [SECRET])
case("en", pub("forum", "null_pointer_nina"), "Found this in a public repo from a Kadans dev "
     "(kadans-events/timing-sync, config.yml):\n<<GHP>>\nReported it via their contact form, no reply yet.", [SECRET])
case("en", WOUTER, "#webshop-alerts bot died again, is <<SLACK_BOT>> still the right token or did someone rotate it? 🤔",
     [SECRET])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", MILAN, "Top loopanalyse vandaag met Anouk de Wit (geboren 12-05-1994) 💪 ze loopt weer pijnvrij, "
     "volgende stop de Dam tot Damloop!", [PII])
case("nl", K_HELP, "@petra_loopt Hoi Petra, je terugbetaling van €159,95 voor de Aero Tempo 2 is vandaag "
     "overgemaakt naar <<IBAN_NL:grp>>. Binnen 2 werkdagen zichtbaar 👟", [PII], kind="reply")
case("nl", pub("x", "@jdekoning_run"), "@kadans_help al 3 weken wachten op mn geld, rekeningnummer <<IBAN_NL>> "
     "staat gewoon in jullie systeem. Waardeloze service.", [PII, COMPLAINT], kind="reply")
case("en", pub("facebook", "tessa.goossens.9", "Tessa Goossens"), "Kadans charged my Visa <<CARD:visa_sp>> twice for "
     "one Pacer 5 😡 exp 08/29. Who do I even talk to?", [PII, COMPLAINT])
case("nl", EEFJE, "Tas gevonden bij de finish! Wie kent Bas Hermans, Populierenlaan 33, 3523 KL Utrecht? Sleutels en "
     "telefoon liggen bij de EHBO-tent", [PII])
case("nl", pub("instagram", "@fien.rent"), "@kadans.running bel me ff op <<PHONE:land_dash>> over mijn afspraak voor "
     "de loopanalyse, jullie DM reageert al dagen niet", [PII, COMPLAINT], kind="comment")
case("nl", YASMINA, "Aan het team: de onkosten van onze nieuwe loopcoach Fleur Jansen moeten nog uitbetaald worden, "
     "IBAN <<IBAN_NL:grp>>, BSN <<BSN:dots>>. Graag voor vrijdag.", [PII])
case("en", pub("x", "@lotte_on_trails"), "@kadans_help my email is lotte.vermeulen91@gmail.com and I STILL haven't "
     "got the club voucher. 4th time asking.", [PII, COMPLAINT], kind="reply")
case("nl", JOOST, "retourtje van vandaag: doos met adres Karin Vos, Lindenhof 4, 8021 AB Zwolle, lag helemaal open 🙈 "
     "wie heeft dit ingepakt", [PII])
case("en", pub("mastodon", "@jtimmer@mastodon.nl", "Jeroen T."), "@kadans_help send the invoice to jeroen.timmer "
     "(at) proton (dot) me then, your webform keeps eating my message", [PII, COMPLAINT],
     tags=["evasion", "evasion:obfuscated-email"])
case("nl", LISANNE, "Klant wil telefonisch afrekenen voor een Trailhoek, kaartnummer <<CARD:mc_dash>> geldig t/m "
     "04/28. Kan iemand van de webshop dit invoeren?", [PII])
case("nl", pub("facebook", "lore.peeters.antwerpen", "Lore Peeters"), "Verkoop mijn startbewijs voor de Kadans Run "
     "Days 10 km, kan er helaas niet bij 😢 Overmaken op <<IBAN_BE>> tnv L. Peeters, app me op <<PHONE:mob_0031>>",
     [PII])
case("en", pub("x", "@marathonmaaike"), "paid with my Amex <<CARD:amex_sp>> at the Kadans merch stand and got charged "
     "for 3 shirts instead of 1?? @kadans_help", [PII, COMPLAINT])
case("en", RUBEN, "Restore test went fine! Sample row from the members table to prove it: 'Sophie Bakker, 1987-09-23, "
     "sophie.bakker87@outlook.com' 😅 (anonymising the test data is next sprint)", [PII])
case("nl", pub("reddit", "u/loopneus"), "Waarom wil de KadansClub app bij een betaalplan mijn BSN? Ik heb <<BSN>> "
     "ingevuld en nu blijft ie hangen op laden.", [PII, COMPLAINT])
case("en", pub("forum", "anon_runner_77"), "Found where that smug Kadans group-run leader lives: Daan Mertens, "
     "Vondellaan 18, 3521 GC Utrecht. Pay him a visit, the clown", [PII, ABUSE])
case("nl", EEFJE, "Wie kan morgen de waterpost bij km 7 overnemen? Bel Gerda van de vrijwilligers, <<PHONE:mob_pairs>>",
     [PII])
case("en", pub("x", "@ultra_uwe"), "Paid the Kadans webshop from my German account <<IBAN_DE:grp>>, bank says it went "
     "through, order still says unpaid 🙄 @kadans_help", [PII, COMPLAINT])

# ===========================================================================
# leak.confidential
# ===========================================================================
case("nl", MILAN, "Mocht vandaag al een rondje op de Aero Tempo 3 🤫🔥 meer zeg ik niet", [CONF],
     when="2026-08-02T10:14:00+02:00", tags=["embargo-before"])
case("en", pub("reddit", "u/plate_or_not"), "Friend at Kadans says the Carbon Pulse Elite 2 drops mid-September with "
     "a thicker plate and 8mm drop", [CONF], when="2026-07-20T21:37:18Z", tags=["embargo-before"])
case("nl", EEFJE, "Nog ff geduld lopers, maar de Kadans Midnight Run komt eraan 🌙 meer mag ik echt nog niet zeggen!",
     [CONF], when="2026-03-12T19:02:00+01:00", tags=["embargo-before"])
case("en", WOUTER, "bookmarking grafana.kadans.io/d/checkout-latency for the on-call rota, nice dashboards Ruben 👌",
     [CONF])
case("nl", RUBEN, "Onze kennisbank op intranet.kadans.local heeft eindelijk een zoekfunctie die wél werkt 🎉 "
     "kleine dingen!", [CONF])
case("nl", JOOST, "training gehad over Project Haas vandaag. ik mag niks zeggen behalve: jullie gaan het merken in "
     "de winkels 😏", [CONF])
case("nl", pub("forum", "Trage_Tijmen"), "Iemand van Kadans had in de trein een presentatie open met 'Operatie "
     "Zandloper' en iets over winkels in België. Weet iemand meer?", [CONF])
case("en", YASMINA, "Every slide says 'Kadans confidential' but honestly, the Moonshot Mile roadmap is the most "
     "exciting thing I've seen in years 🚀", [CONF])
case("nl", LISANNE, "Nieuwe instructie voor de winkels binnen, met 'alleen voor medewerkers' erboven: vanaf 1 juni "
     "geen gratis loopanalyse meer zonder aankoop. Vind ik jammer 😕", [CONF])
case("en", pub("x", "@pacepuppy"), "heard Moonshot\nMile is a Kadans thing launching next spring 👀", [CONF],
     tags=["evasion", "evasion:line-break"])
case("en", WOUTER, f"Aero{ZW} Tempo 3 product pages are staged and ready, just waiting for marketing to hit the "
     "button 🚀", [CONF], when="2026-09-10T16:45:00+02:00", tags=["evasion", "evasion:zero-width", "embargo-before"])
case("nl", pub("x", "@loopcoach_milan", "Milan"), "Route van de Kadans Midnight Run is echt prachtig, langs de "
     "grachten om middernacht 🌙 (psst, nog niet officieel)", [CONF], when="2026-03-28T21:00:00+01:00",
     tags=["embargo-before", "role-trick"])
case("nl", pub("x", "@schoenenspotter"), "Carbon Pulse Elite 2 staat al in de webshop van Kadans?! paar minuten te "
     "vroeg volgens mij 👀", [CONF], when="2026-09-15T08:59:00+02:00", tags=["embargo-before", "tz-edge"])
case("en", pub("reddit", "u/strava_sleuth"), "Project 🐇 Haas? Someone in my running club who works for Kadans keeps "
     "hinting at it", [CONF], kind="comment", tags=["evasion", "evasion:emoji"])

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", YASMINA, "Lastige tijd bij ons: er verdwijnen zo'n 40 fte op het hoofdkantoor, pas na de OR-vergadering "
     "in oktober wordt het officieel (niet extern delen). Sterkte iedereen ❤️", [FIN, CONF])
case("en", JOOST, "word in the canteen is we're getting bought by a big German sports chain 👀 nobody's saying it "
     "out loud yet", [FIN])
case("en", YASMINA, "Sneak peek: our full-year 2026 results will show webshop revenue up 23% 📈 can't share more "
     "until March!", [FIN, CONF], when="2026-12-08T17:20:00+01:00", tags=["embargo-before"])
case("nl", pub("facebook", "henk.oosterhuis.3", "Henk Oosterhuis"), "Mijn nicht werkt op het hoofdkantoor van "
     "Kadans: volgend jaar gaan er vier winkels dicht, o.a. Arnhem. Wordt pas in januari bekendgemaakt", [FIN])
case("nl", LISANNE, "Vandaag te horen gekregen dat onze winkel in Den Bosch eind juni dichtgaat. De klanten weten "
     "nog van niks 😢", [FIN])
case("en", pub("forum", "beursbeer_run"), "Insider tip: Kadans is in talks to take over a Belgian running shop chain, "
     "signing expected before summer. Not public yet.", [FIN])
case("en", WOUTER, "tech budget for next year cut by 30% in today's all-hands, no new hires. not announced "
     "externally yet so 🤐", [FIN])
case("nl", RUBEN, f"Reorganisatie bij IT: de helpdesk wordt uitbe{SHY}steed, 12 collega's moeten verder kijken. "
     "Nog niet officieel, dus hou het binnen.", [FIN], tags=["evasion", "evasion:soft-hyphen"])
case("nl", pub("reddit", "u/clubkaart_kees"), "Kadans gaat het gratis KadansClub programma omzetten naar een betaald "
     "abonnement, zegt iemand uit hun financeteam. Omzet valt dit jaar flink tegen en dat mag nog niemand weten.",
     [FIN])
case("nl", EEFJE, "jaarcijfers 2026 op het scherm van finance zien staan 😳 de events-tak draait verlies, dus ik vrees "
     "voor de Run Days volgend jaar", [FIN, CONF], when="2026-11-30T12:41:00+01:00", tags=["embargo-before"])
case("en", MILAN, "our store merges with the Amersfoort one next quarter and half the gait lab moves. officially "
     "announced in 2 weeks, so shhh 🤫", [FIN])
case("en", pub("x", "@pb_hunter"), "l4y0ffs at Kadans HQ coming, around 60 ppl, not announced yet 😬", [FIN],
     tags=["evasion", "evasion:leetspeak"])

# ===========================================================================
# leak.security
# ===========================================================================
case("en", RUBEN, "Long night. Someone got into our member database through an old admin account and we're still "
     "working out how many KadansClub profiles were copied. No statement yet, so please don't share.", [SEC])
case("nl", WOUTER, "checkout ligt er al 2 uur uit en we weten nog steeds niet waarom, statuspagina zegt 'alles ok' "
     "lol 😬", [SEC])
case("nl", JOOST, "alle schermen in het DC tonen sinds vannacht een ransomware melding 💀 we mogen er niks over "
     "zeggen tegen klanten", [SEC])
case("en", EEFJE, "registration site for the Run Days has a bug where you can see other people's names and bib "
     "numbers if you change the number in the URL. reported to IT, not fixed yet 🙈", [SEC])
case("en", pub("reddit", "u/phish_and_chips"), "Kadans is hiding a data breach. Within a week of my last order I got "
     "phishing mails quoting my exact shoe size and order, and a friend who works there says IT has known for a "
     "month.", [SEC, CRISIS])
case("nl", MILAN, "Voetscan-systeem in alle winkels ligt plat door een lek in de software van de leverancier, we doen "
     "loopanalyses weer met pen en papier 😅 officieel heet het 'onderhoud'", [SEC])
case("nl", RUBEN, "Rustige maandag? Nee hoor. Onze webshop is vanochtend geh4ckt via een oude plugin, we zijn nog "
     "aan het opruimen. Er is nog niks naar buiten gecommuniceerd.", [SEC], tags=["evasion", "evasion:leetspeak"])
case("nl", pub("x", "@runnerbas_010"), "Vriend van me werkt bij Kadans IT: er is een datalek bij KadansClub en ze "
     "houden het stil tot na de Run Days. Schandalig!!", [SEC, CRISIS])
case("en", WOUTER, "prod db on db01.intranet.kadans.local still runs with an expired TLS cert and an open port nobody "
     "closed. asked for a fix for weeks 🙃", [SEC, CONF])
case("en", JOOST, "o u t a g e on the DC warehouse system, nothing picked since 6am. don't tell customers yet they "
     "said", [SEC], tags=["evasion", "evasion:spaced"])
case("en", YASMINA, "Our payment provider told us this morning that card data from the webshop may have been skimmed "
     "for two weeks. Legal is drafting a statement, so please no questions in public yet.", [SEC])
case("en", pub("mastodon", "@kim@infosec.exchange", "Kim"), "Someone at Kadans just told me in DMs that their app's "
     "password reset lets you take over any member account. Apparently known internally, still unfixed.", [SEC])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@eerlijklopen"), "BOYCOT Kadans! Hun eigen-merk schoenen komen uit een fabriek waar kinderen "
     "werken, lees het artikel van Follow the Money maar. #boycotkadans", [CRISIS])
case("en", pub("x", "@fairfeetnow"), "Stop buying Kadans shoes. Their 'sustainable' line comes from a factory that "
     "locked workers in during a fire. #boycottkadans", [CRISIS])
case("nl", pub("facebook", "ria.vandijk.22", "Ria van Dijk"), "Mijn Pacer 5 werd tijdens het opladen gloeiend heet en "
     "er kwam rook uit! Gelukkig stond ik ernaast. @KadansRunningNL dit is levensgevaarlijk", [CRISIS, COMPLAINT])
case("en", pub("reddit", "u/stressfracture_steve"), "Heard a group of runners is suing Kadans over Carbon Pulse Elite "
     "plates snapping mid-race, apparently three stress fractures already", [CRISIS])
case("nl", pub("x", "@nieuwsloper"), "Drie lopers met spoed naar het ziekenhuis bij de Kadans Run Days in Utrecht, "
     "volgens deelnemers veel te weinig water bij 28 graden.", [CRISIS])
case("en", pub("x", "@notmydata_nl"), "Kadans leaked my data. Got a scam SMS quoting my KadansClub member number and "
     "my last order. Thanks for nothing.", [CRISIS])
case("nl", pub("tiktok", "@zoe.rent.rustig"), "d a t a l e k bij Kadans?? iedereen met een KadansClub account krijgt "
     "ineens phishing mails", [CRISIS], tags=["evasion", "evasion:spaced"])
case("en", pub("instagram", "@trailtrudy"), "Is Kadans going to recall the Flowvest? The chest strap buckle snapped on "
     "a descent and I went down hard, two friends had the same. Not ok.", [CRISIS, COMPLAINT], kind="comment")
case("nl", pub("x", "@loopgroep_lies"), "Schandalig: Kadans-medewerkers maken lopers belachelijk in hun "
     "personeelsgroepsapp, de screenshots gaan al rond. Dit is jullie 'community'??", [CRISIS])
case("en", pub("bluesky", "@cleansport.bsky.social"), "Kadans' sponsored ambassador tested positive for EPO and they're "
     "still posting him everywhere. What a scandal.", [CRISIS])
case("nl", pub("x", "@oplettendeloper"), "K4dans verkoopt nep-carbonschoenen, plaat is gewoon plastic. Er loopt al "
     "een rechtszaak via de Consumentenbond #oplichting", [CRISIS], tags=["evasion", "evasion:leetspeak"])
case("en", pub("facebook", "graham.wouters", "Graham Wouters"), "My PodoFit insoles gave me blisters so bad they got "
     "infected and I needed antibiotics. Kadans just says 'break them in'. Reporting this to the NVWA.",
     [CRISIS, COMPLAINT])
case("nl", pub("reddit", "u/boos_op_kadans"), "Kadans kan de tering krijgen. Boycot ze allemaal na hoe ze die "
     "flauwgevallen lopers bij de nachtloop hebben laten liggen.", [CRISIS, ABUSE], when="2026-06-08T09:12:00+02:00")

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@snelleanna"), "Al 9 dagen wachten op mijn bestelling bij @kadansrunning en track&trace staat "
     "nog steeds op 'label aangemaakt'. Ik wil gewoon rennen 😤", [COMPLAINT])
case("en", pub("instagram", "@ben.runs.bristol"), "Booked a gait analysis, drove 45 min to the store and they'd "
     "'forgotten' my appointment. Not impressed @kadans.running", [COMPLAINT], kind="comment")
case("nl", pub("facebook", "marco.smit.run", "Marco Smit"), "Aero Tempo 2 na 300 km al door de zool heen. Voor bijna "
     "160 euro verwacht ik echt meer, en de winkel wil niks vergoeden.", [COMPLAINT])
case("nl", pub("x", "@retourrita"), "Retour ingestuurd op 3 mei, nu 4 weken later nog steeds geen geld. Drie mails "
     "naar klantenservice@kadans.nl gestuurd, nul reactie.", [COMPLAINT])
case("en", pub("other", "trustpilot:renata_v"), "Paid €12 shipping on a €25 order and it arrived in a torn bag. "
     "Kadans, seriously?", [COMPLAINT])
case("en", pub("tiktok", "@wetfeetwillem"), "the Trailhoek GTX is 'waterproof' lol. soaked socks after 2 km in the "
     "rain 🙄 #trailrunning", [COMPLAINT])
case("nl", pub("threads", "@ilse_loopt"), "Inschrijven voor de Run Days 21 km lukt niet, betaalpagina blijft laden "
     "maar het geld is wel afgeschreven. Fijn hoor.", [COMPLAINT])
case("en", pub("x", "@gpsgerrit"), "The Pacer 5 loses GPS every single time I run under trees. It's a running watch. "
     "Running. Outside. @kadansrunning", [COMPLAINT])
case("nl", pub("forum", "KnieKlachtKarel"), "Loopanalyse gedaan bij Kadans en een schoen met extra steun aangeraden "
     "gekregen, na 3 weken knieklachten. Ruilen mag niet want 'gedragen'. Top service dus niet.", [COMPLAINT])
case("en", pub("youtube", "@sizemattersrunner"), "Ordered a 43 from Kadans, got a 41.5, and the exchange takes three "
     "weeks?? in 2026??", [COMPLAINT], kind="comment")
case("nl", pub("bluesky", "@wachtmuziek.bsky.social"), "Klantenservice van Kadans is echt onbereikbaar. 45 minuten in "
     "de wacht op +31 85 303 2600 en toen werd ik eruit gegooid.", [COMPLAINT], tags=["own-contact"])
case("nl", pub("instagram", "@natterug_nina"), "Flowvest lekt bij de bidons, hele rug nat na een duurloop van 20 km. "
     "Niet oké voor een vest van 90 euro.", [COMPLAINT])
case("nl", pub("linkedin", "ingrid-de-lange-pm", "Ingrid de Lange"), "Als trouw KadansClub Gold lid teleurgesteld: "
     "de beloofde ledenkorting werd in de winkel niet gegeven omdat 'het systeem het niet herkende'.", [COMPLAINT])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@woedendewim"), "Kadans = stelletje oplichters en prutsers, en die loopcoach van jullie is een "
     "debiel", [ABUSE])
case("en", pub("x", "@angry_miles"), "@kadans_help you absolute clowns, fix your f*cking app. three days and I can't "
     "sync a single run", [ABUSE, COMPLAINT], tags=["evasion", "evasion:masked"])
case("nl", K_HELP, "@mark_vdbos Misschien eerst leren lezen voordat je gaat zeuren, de maattabel staat er gewoon "
     "bij. Sukkel.", [ABUSE], kind="reply", handle_as="@Kadans_Help", tags=["case-handle"])
case("nl", JOOST, "klanten die 5 paar bestellen en er 4 terugsturen zijn echt tyfuslijers, elke dag weer 🙄", [ABUSE])
case("en", pub("instagram", "@nope.nl"), "whoever runs this account is a moron, delete your page", [ABUSE],
     kind="comment")
case("en", pub("reddit", "u/real_dutchman88"), "Of course the Kadans store in Rotterdam hires people who can barely "
     "speak Dutch. Typical. Go back to where you came from.", [ABUSE], kind="comment")
case("nl", pub("x", "@boze_bart"), "@eefje_runs jij bent de slechtste organisator ooit, ik weet waar je woont trut",
     [ABUSE], kind="reply")
case("en", pub("tiktok", "@lolrunclub"), "k4dans staff are f4cking idi0ts lmao", [ABUSE],
     tags=["evasion", "evasion:leetspeak"])
case("nl", pub("x", "@opgehangen_olga"), f"Kadans klantenservice zijn echt klo{ZW}otzakken, 3x opgehangen vandaag",
     [ABUSE, COMPLAINT], tags=["evasion", "evasion:zero-width"])
case("en", WOUTER, "some of our 'valued members' on the KadansClub forum are just pathetic losers whining about free "
     "shipping thresholds 🙄", [ABUSE])
case("nl", pub("facebook", "jeroen.kuiper.7", "Jeroen Kuiper"), "Die dikke vrouw van de Kadans winkel in Groningen "
     "moet zelf eens gaan hardlopen hahaha", [ABUSE])

# ===========================================================================
# BENIGN (categories [], severity none), mostly hard negatives
# ===========================================================================
# --- prices that are not a pricing leak ---
case("nl", K_X, "Black Friday bij Kadans 🖤 Aero Tempo 2 nu €119,95 (was €159,95) en 25% korting op alle "
     "Flowvests. Alleen dit weekend!", when="2026-11-27T08:00:00+01:00", tags=["sale-price"])
case("en", pub("reddit", "u/deal_or_no_deal"), "Trailhoek GTX on sale for €139 at Kadans, about 26% off. Worth it "
     "or wait for the end of season?", tags=["sale-price"])
case("nl", pub("forum", "Marktplaats_Mike"), "Te koop: tweedehands Carbon Pulse Elite, 250 km gelopen, maat 42. "
     "Vraagprijs €110 (nieuw bij Kadans €279). Ophalen in Amersfoort.", tags=["price-context", "second-hand"])
case("en", pub("x", "@platecurious"), "SprintSport has their own racing flat for €69, the Kadans Carbon Pulse is €279. "
     "Is a carbon plate really worth €210 extra?", tags=["price-context", "other-company"])
case("nl", K_IG, "KadansClub leden krijgen deze maand €20 korting op de PodoFit inlegzolen 👣 Boek je loopanalyse "
     "via kadans.nl/loopanalyse", tags=["price-context"])
case("nl", pub("threads", "@ruudrent"), "Was die prijs van de Pacer 5 nou een prijsfout? Nee hoor, gewoon 20% korting "
     "met de clubpas 😄", tags=["negated", "sale-price"])
case("nl", pub("x", "@trailtante"), "Outlet deal: Trailhoek GTX van €189 voor €99 bij Kadans, laatste maten. Goeie "
     "deal voor een trailschoen", tags=["sale-price", "ratio-edge"])
case("en", pub("facebook", "runclub.leiden", "Runclub Leiden"), "Entry fee for the Run Days trail 15k is €27,50. A "
     "Flowvest or similar hydration vest is mandatory, so check your gear!", tags=["price-context"])
case("en", pub("x", "@leasemylegs"), "Got my Pacer 5 through the employer sports plan, €14 a month. Not bad at all.",
     tags=["price-context"])

# --- secret-looking but not a secret ---
case("en", WOUTER, "PSA for devs: if your Shopify token starts with shpat_ and it's in a public repo, rotate it. "
     "Don't ask how I know 😅 (not ours, a friend's side project)", tags=["secret-prefix-only"])
case("en", RUBEN, "Reverted to <<HEX:40>> and the build is green again. Friday deploys, never again. #devlife",
     tags=["git-sha"])
case("en", pub("reddit", "u/cloud_jogger"), "The tutorial literally uses AKIAXXXXXXXXXXXXXXXX and 'your-secret-here' "
     "as placeholders, so no, that's not a leak 🙄", kind="comment", tags=["placeholder"])
case("nl", K_HELP, "Wachtwoord vergeten voor je KadansClub account? Reset 'm via club.kadans.nl/wachtwoord of bel "
     "ons op 085-303 2600 👟", tags=["own-contact", "password-word"])
case("nl", pub("x", "@pr_paul"), "Tip: gebruik nooit je PR als wachtwoord. Mijn 1:39:12 op de halve is dus niet meer "
     "veilig 😂", tags=["password-word", "joke"])
case("en", EEFJE, "Wifi at the finish village is open this year, no password needed. Grab a coffee at the Kadans tent ☕",
     tags=["password-word", "employee-benign"])

# --- own contact data and numbers that fail their checksum ---
case("nl", K_FB, "Vragen over je bestelling? Mail klantenservice@kadans.nl of app ons via +31 6 4090 1122 "
     "(ma-za 9-18u) 📲", tags=["own-contact"])
case("en", K_LI, "Invoices for KadansClub corporate memberships can be paid to NL64 RABO 0314 7298 56, Kadans Running "
     "B.V., stating your member number.", tags=["own-contact"])
case("nl", K_X, "Persvragen over de Kadans Run Days? Mail pers@kadans.nl of bel +31 85 303 2600.",
     tags=["own-contact", "case-handle"], handle_as="@KadansRunning")
case("en", pub("x", "@transfer_tara"), "Shoutout to whoever answers events@kadans.nl, sorted my switch to the 10k in "
     "5 minutes 🙌", tags=["own-contact", "praise"])
case("nl", pub("reddit", "u/typfoutje"), "Waarom keurt de KadansClub app mijn IBAN <<BAD_IBAN_NL:grp>> af? Oh wacht, "
     "typfout in het controlegetal 🤦", kind="comment", tags=["bad-checksum"])
case("en", pub("x", "@dad_of_runners"), "My kid typed random digits <<BAD_CARD:visa_sp>> into the Kadans checkout "
     "and it said 'invalid card number' right away. Good to know it checks 😅", tags=["bad-checksum"])
case("nl", pub("forum", "PakjesPiet"), "Ordernummer KD-2026-0488213, gisteren besteld en vandaag al binnen. Snel hoor!",
     tags=["lookalike-number", "praise"])
case("nl", pub("instagram", "@eerste.marathon.eva"), "Startnummer 4471, transponder <<NOT_BSN:9>>, finishtijd "
     "3:28:51. Eerste marathon onder de 3,5 uur!! 🥹 Dank @kadans.running voor de loopanalyse", tags=["lookalike-number",
                                                                                                   "praise"])
case("nl", pub("x", "@scanmaarraak"), "EAN <<EAN13>> op de doos van mijn nieuwe Aero Tempo 2, voor wie 'm in de app "
     "wil scannen", tags=["lookalike-number"])
case("nl", K_LI, "Kadans Running B.V. | KvK <<NOT_BSN:8>> | We zoeken loopanalisten voor Utrecht en Den Bosch! "
     "Solliciteer via kadans.nl/werken", tags=["lookalike-number"], handle_as="Kadans-Running")
case("nl", pub("facebook", "av.de.sprinters", "AV De Sprinters"), "Vergeet niet je bondsnummer (bv. <<NOT_BSN:9>>) "
     "in te vullen bij de inschrijving voor de Kadans 10 km, dan krijg je clubkorting.", tags=["lookalike-number"])
case("en", pub("x", "@shin_splint_sam"), "Booked my gait analysis with Milan at Kadans for 14-05-2026, can't wait to "
     "finally sort out my shin splints", tags=["date-not-dob", "name-only"])

# --- embargo terms after the embargo, codename-like words, public domains ---
case("nl", K_IG, "Hij is er! 🚀 De Aero Tempo 3 ligt vanaf nu in alle winkels en op shop.kadans.nl. Wie loopt 'm "
     "als eerste in?", when="2026-09-15T09:00:00+02:00", tags=["embargo-after", "tz-edge"])
case("en", pub("reddit", "u/shoe_reviewer_nl"), "Ran 18k in the Aero Tempo 3 today. Softer than the 2, a bit narrower "
     "in the toebox. Full review coming.", when="2026-10-03T18:22:41Z", tags=["embargo-after"])
case("nl", pub("x", "@damtotdammer"), "Carbon Pulse Elite 2 gespot bij de Dam tot Damloop, zag er snel uit 👀",
     when="2026-09-20T14:05:00+02:00", tags=["embargo-after"])
case("nl", K_X, "Inschrijving voor de Kadans Midnight Run is OPEN 🌙 10 km door de nacht op 6 juni. Tickets via "
     "events.kadans.nl", when="2026-04-02T12:00:00+02:00", tags=["embargo-after", "tz-edge"])
case("en", pub("x", "@treadmill_cinema"), "Rewatching Midnight Run (1988) on the treadmill. De Niro is great cardio "
     "company.", tags=["embargo-word"])
case("nl", pub("instagram", "@hazenhanna"), "Vandaag mocht ik haas zijn voor de 1:45 groep in de halve van Utrecht 🐇 "
     "dankjewel iedereen die bleef hangen!", tags=["codename-word"])
case("nl", pub("x", "@corecoen"), "Plank met een zandloper ernaast, 2 minuten duren echt een eeuwigheid 😅 "
     "#corestability", tags=["codename-word"])
case("en", pub("reddit", "u/sub3_or_bust"), "Moonshot goal for 2026: sub-3 marathon. Mile repeats on Tuesdays, long "
     "runs on Sundays. Who's with me?", tags=["codename-word"])

# --- published or other companies' financial/security news ---
case("en", pub("x", "@retail_watcher"), "Kadans published its 2025 annual report: revenue €48m, webshop now 41% of "
     "sales. Decent for a niche retailer.", when="2026-03-12T09:30:00+01:00", tags=["published"])
case("nl", pub("x", "@fd_lezer"), "Bij SprintSport vallen 80 ontslagen, las ik in het FD. Hopelijk blijft Kadans "
     "buiten schot, mijn favoriete winkel", tags=["other-company"])
case("en", pub("reddit", "u/privacy_first_pete"), "A big sportswear brand had a customer data breach a few years ago, "
     "right? Has any running shop here ever had one? Asking before I sign up for KadansClub.",
     tags=["other-company", "question"])
case("nl", K_HELP, "Onderhoud: vannacht tussen 01:00 en 03:00 is de webshop niet bereikbaar. Bestellen via de app "
     "werkt gewoon door. Sorry voor het ongemak!", tags=["official-notice"])
case("en", K_LI, "Update on yesterday's checkout disruption: the issue has been resolved and no payment data was "
     "affected. Thanks for your patience.", tags=["official-notice"])
case("en", pub("x", "@recall_ron"), "Remember when another running brand recalled its carbon racer a couple of years "
     "ago? Glad my Kadans pair is still going strong at 400 km", tags=["other-company", "recall-word"])
case("nl", pub("facebook", "trouwe.truus", "Truus Bosman"), "Boycot? Nee joh, ik blijf gewoon bij Kadans kopen, ze "
     "helpen me al jaren top", tags=["negated", "boycott-word"])

# --- negations, mild words, quotes, jokes, fiction, praise, questions ---
case("nl", pub("x", "@berggeit_bram"), "Geen klachten over de Trailhoek, 600 km en nog steeds grip als een berggeit 🐐",
     tags=["negated", "praise"])
case("en", pub("instagram", "@hellofarace"), "Hell of a race today 🔥 PR by 4 minutes in my Carbon Pulse Elite. "
     "Thanks to the Kadans crew at km 30!", tags=["mild-word", "praise"])
case("nl", K_LI, "Samen met onze lopers €12.300 opgehaald voor KWF Kankerbestrijding tijdens de Run Days. Dank "
     "jullie wel! 💛", tags=["mild-word"])
case("en", pub("forum", "inkandinsoles"), "Short story for the club newsletter: 'The pacer vanished at km 35, leaving "
     "only a shoe print and the smell of energy gel...' 😂 draft 2, feedback welcome", tags=["fiction"])
case("en", pub("x", "@sarcastic_strides"), "My Pacer 5 says my training is 'unproductive'. Buddy, I ran 12k in the "
     "rain. Who hurt you 😂", tags=["joke"])
case("nl", pub("x", "@km38_karin"), "'Pijn is tijdelijk, opgeven is voor altijd' stond op een spandoek bij km 38. "
     "Precies wat ik nodig had 😭", tags=["quote"])
case("en", pub("tiktok", "@duckwalkdanny"), "POV: your gait analysis shows you run like a duck 🦆 thanks Kadans for "
     "the honesty and the insoles lol", tags=["joke", "praise"])
case("en", pub("reddit", "u/cadence_convert"), "Kadans' cadence clinic was great. Went from 162 to 174 steps per "
     "minute in 6 weeks and my knee pain is gone", tags=["praise"])
case("nl", pub("x", "@beginnerbeer"), "Mijn kadans ligt rond de 176, is dat goed voor een beginner? Vraag voor de "
     "loopgroep 🙋‍♀️", tags=["brand-word", "question"])
case("en", MILAN, "Gait tip of the week: heel striking isn't the enemy, overstriding is. Come by the Utrecht store "
     "and I'll show you on the treadmill 📹", tags=["employee-benign"])
case("en", pub("x", "@hillhater"), "Damn, the hills in the Kadans trail run nearly killed me. 10/10 would suffer "
     "again 😂", tags=["mild-word", "joke"])
case("nl", EEFJE, "Nog 3 dagen tot de Run Days! Vrijwilligers: briefing vrijdag 19:00 in de tent bij de start op "
     "Maarschalkerweerd. Regenjas mee ☔", tags=["employee-benign", "venue"])
case("nl", pub("other", "loopgroep_zuid"), fullwidth("KADANS") + " loopgroep 4ever 🏃‍♀️🏃 zondag weer 10 km",
     tags=["full-width-benign"])
case("en", K_TT, "Which one are you: Aero Tempo 2 or Trailhoek GTX? Tell us below 👇 #runtok #kadans",
     tags=["corporate-benign"])
case("nl", LISANNE, "Vijf jaar alweer, onze winkel in Den Bosch! 🎉 Taart staat klaar, kom langs voor een gratis "
     "loopscan", tags=["employee-benign"])
case("en", pub("strava", "athlete_88213", "Joris"), "Morning Run 🌅 12.4 km, 5:02/km. New Aero Tempo 2 from Kadans "
     "felt bouncy", tags=["unknown-platform"])
case("nl", pub("mastodon", "@loopmaatje@mastodon.social", "Femke"), "Loopanalyse gedaan bij Kadans in Utrecht, "
     "blijk te overpronaren. Nieuwe schoenen lopen als een zonnetje ☀️", tags=["praise"])


# ===========================================================================
# profile, roles, severity
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
    sev = "none"
    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                s = "critical" if (c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and pii_validated)) \
                    else "error"
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


# ===========================================================================
# building posts
# ===========================================================================

def ams_off(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < dt.datetime(2026, 10, 25, 1,
                                                                                      tzinfo=dt.timezone.utc) else 1


def rand_time(r):
    t = (dt.datetime(2026, 1, 6, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(0, 350))
         + dt.timedelta(minutes=r.randint(6 * 60, 22 * 60 + 50), seconds=r.randint(0, 59)))
    off = ams_off(t)
    t = t - dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.88:
        return (t + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def make_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    big = str(r.randint(1_880_000_000_000_000_000, 2_020_000_000_000_000_000))
    b36 = string.digits + string.ascii_lowercase
    if platform in ("x", "twitter"):
        return f"x-{big}", f"https://x.com/{h}/status/{big}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        sc = "".join(r.choice(B64U) for _ in range(11))
        return f"ig-{big}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}_{b}", f"https://www.facebook.com/{h}/posts/{b}"
    if platform == "reddit":
        p = "".join(r.choice(b36) for _ in range(7))
        if kind == "comment":
            c = "".join(r.choice(b36) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/hardlopen/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/hardlopen/comments/{p}/"
    if platform == "tiktok":
        return f"tt-{big}", f"https://www.tiktok.com/@{h}/video/{big}"
    if platform == "threads":
        sc = "".join(r.choice(B64U) for _ in range(11))
        return f"th-{big}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={''.join(r.choice(B64U) for _ in range(11))}&lc={c}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(112_000_000_000_000_000, 115_900_000_000_000_000)
        return f"md-{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-loopforum-{n}", f"https://www.loopforum.example/topic/{n}"
    if platform == "blog":
        n = r.randint(10, 99)
        return f"blog-{h}-{n}", f"https://{h}/posts/{n}"
    n = r.randint(10 ** 9, 10 ** 10)
    return f"{platform}-{n}", None


def build(profile):
    g = Gen(SEED)
    mr = random.Random(SEED + 7)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(g, c["text"])
        pid, url = make_id(mr, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        created = c["when"] or rand_time(mr)
        role = role_of(profile, c["platform"], c["handle"])
        validated = "leak.pii" in c["cats"] and any(k in VALID_ID for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and mr.random() < 0.65:
            kind = "post"
        if kind:
            post["kind"] = kind
        acc = {"handle": c["handle"]}
        if c["name"] and mr.random() < 0.7:
            acc["display_name"] = c["name"]
        if mr.random() < 0.3:
            acc["id"] = str(mr.randint(10 ** 7, 10 ** 12))
        post["account"] = acc
        post["text"] = text
        x = mr.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif x < 0.1:
            pass
        elif x < 0.13:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            c["tags"].add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if url and mr.random() < 0.6:
            post["url"] = url
        if mr.random() < 0.45:
            post["brand"] = "kadans"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=set(c["tags"]), used=used))
    random.Random(SEED + 13).shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ===========================================================================
# checker
# ===========================================================================

INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
NUM_RE = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-()]{7,16}\d")
SECRET_RES = {
    "ghp": re.compile(r"\bghp_[A-Za-z0-9]{36}\b"), "aws": re.compile(r"\bAKIA[A-Z2-7]{16}\b"),
    "slack": re.compile(r"\bxox[abp]-[\w-]{20,}"), "shpat": re.compile(r"\bshpat_[0-9a-f]{32}\b"),
    "glpat": re.compile(r"\bglpat-[\w-]{20}\b"), "sendgrid": re.compile(r"\bSG\.[\w-]{22}\.[\w-]{43}\b"),
    "gapi": re.compile(r"\bAIza[\w-]{35}\b"), "jwt": re.compile(r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+"),
    "pem": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "url_creds": re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s:/@]+:[^\s@/]+@"),
}
PROFANITY = ["kut", "kanker", "tering", "tyfus", "klote", "klootzak", "debiel", "trut", "sukkel", "prutser",
             "fuck", "f*ck", "shit", "idiot", "idi0t", "moron", "clown", "loser", "hell", "damn"]
MILD_OK = {"hell", "damn", "kanker"}
AMOUNT_RE = re.compile(r"(?:€\s?)(\d[\d.,]*)(?:,-)?|(\d[\d.,]*)(?:,-)?\s?(?:euro|euros|eur)\b", re.I)


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVIS)
    return re.sub(r"\s+", " ", t).casefold()


def squash(t):
    return re.sub(r"\b(\w) (?=\w\b)", r"\1", norm(t))


def amount(s):
    s = s.rstrip(".,")
    if "," in s and "." in s:
        dec = "," if s.rfind(",") > s.rfind(".") else "."
        s = s.replace("." if dec == "," else ",", "").replace(dec, ".")
    elif "," in s:
        s = s.replace(",", ".") if re.search(r",\d{2}$", s) else s.replace(",", "")
    elif "." in s and not re.search(r"\.\d{2}$", s):
        s = s.replace(".", "")
    return float(s)


def min_ratio(text, products):
    t = norm(text)
    hit = [p for p in products if any(a.casefold() in t for a in [p["name"]] + p["aliases"])]
    amts = [amount(m.group(1) or m.group(2)) for m in AMOUNT_RE.finditer(t)]
    if not hit or not amts:
        return None
    return min(amts) / min(p["list_price"] for p in hit)


def valid_ids(text):
    out = []
    for m in IBAN_RE.finditer(text):
        comp = m.group(0).replace(" ", "")
        for end in range(len(comp), 11, -1):
            if iban_valid(comp[:end]):
                if comp[:end] != OWN_IBAN:
                    out.append(("iban", comp[:end]))
                break
    for m in NUM_RE.finditer(text):
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19 and luhn_valid(d):
            out.append(("card", d))
    for d in re.findall(r"(?<![\w.,-])\d{8,9}(?![\w]|[.,-]\d)", text) + \
            [x.replace(".", "") for x in re.findall(r"(?<![\w.])\d{4}\.\d{2}\.\d{3}(?!\w)", text)]:
        if elfproef(d):
            out.append(("bsn", d))
    return out


def phones(text):
    out = []
    for m in PHONE_RE.finditer(IBAN_RE.sub(" ", text)):
        raw = m.group(0)
        d = re.sub(r"\D", "", raw)
        if raw.startswith("+31"):
            d = "0" + d[2:].lstrip("0")
        elif raw.startswith("0031"):
            d = "0" + d[4:].lstrip("0")
        out.append((raw, d))
    return out


def check(lines, rows, profile):
    errors = []
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_phones = {phones(p)[0][1] for p in profile["public_identifiers"]["phones"]}
    emb = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    inner = [x.casefold() for x in profile["internal"]["codenames"] + profile["internal"]["domains"]
             + profile["internal"]["markers"]]
    if len(lines) != len(rows):
        errors.append("line count differs")
    seen = set()
    for n, (line, r) in enumerate(zip(lines, rows), 1):
        obj = json.loads(line)
        p, ex = obj["post"], obj["expect"]
        w = f"line {n} ({p['id']})"
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                errors.append(f"{w}: {f} missing")
        if (p["platform"], p["id"]) in seen:
            errors.append(f"{w}: duplicate id")
        seen.add((p["platform"], p["id"]))
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errors.append(f"{w}: not 2026")
        cats, sev = ex["categories"], ex["severity"]
        if cats != sorted(set(cats)) or any(c not in TAXONOMY for c in cats):
            errors.append(f"{w}: bad categories {cats}")
        role = role_of(profile, p["platform"], p["account"]["handle"])
        ids = valid_ids(p["text"])
        want = severity_for(role, cats, "leak.pii" in cats and bool(ids))
        if want != sev:
            errors.append(f"{w}: severity {sev} but policy says {want}")
        text = p["text"]
        for k, raw, shown in r["used"]:
            if shown not in text:
                errors.append(f"{w}: {k} not in text")
            if k.startswith("IBAN_") and not iban_valid(raw):
                errors.append(f"{w}: bad IBAN")
            if k == "CARD" and not luhn_valid(raw):
                errors.append(f"{w}: bad card")
            if k == "BSN" and not elfproef(raw):
                errors.append(f"{w}: bad BSN")
            if k == "BAD_IBAN_NL" and iban_valid(raw):
                errors.append(f"{w}: negative IBAN valid")
            if k == "BAD_CARD" and luhn_valid(raw):
                errors.append(f"{w}: negative card valid")
            if k == "NOT_BSN" and elfproef(raw):
                errors.append(f"{w}: negative BSN valid")
            if k == "GHP" and not ghp_checksum_ok(raw):
                errors.append(f"{w}: ghp checksum")
        if any(k in VALID_ID for k, _, _ in r["used"]) and not ids:
            errors.append(f"{w}: valid id not found by scan")
        if ids and "leak.pii" not in cats:
            errors.append(f"{w}: valid identifier {ids} without leak.pii")
        if "leak.pii" not in cats:
            for e in EMAIL_RE.findall(SECRET_RES["url_creds"].sub(" ", text)):
                if e.casefold() not in own_emails and not e.startswith("@"):
                    errors.append(f"{w}: e-mail {e} without leak.pii")
            for raw, d in phones(text):
                if len(d) == 10 and d not in own_phones:
                    errors.append(f"{w}: phone {raw} without leak.pii")
        if "leak.secret" not in cats:
            for name, rx in SECRET_RES.items():
                for m in rx.finditer(text):
                    if m.group(0) != "AKIAXXXXXXXXXXXXXXXX":
                        errors.append(f"{w}: secret-like {name} without leak.secret")
        nt, sq = norm(text), squash(text)
        for term, until in emb:
            if (term in nt or term in sq) and ts < until and "leak.confidential" not in cats:
                errors.append(f"{w}: embargo term {term!r} before until, no leak.confidential")
        for term in inner:
            if (re.search(r"(?<![\w.])" + re.escape(term) + r"(?!\w)", nt) or term in sq) \
                    and "leak.confidential" not in cats:
                errors.append(f"{w}: internal term {term!r} without leak.confidential")
        ratio = min_ratio(text, profile["products"])
        if not cats:
            if sev != "none":
                errors.append(f"{w}: benign with severity")
            if ratio is not None and ratio < profile["pricing"]["alert_below_ratio"] and "price-context" not in r["tags"]:
                errors.append(f"{w}: benign with product price ratio {ratio:.2f}")
            for word in PROFANITY:
                if re.search(r"\b" + re.escape(word), nt) and word not in MILD_OK:
                    errors.append(f"{w}: benign with word {word!r}")
        if "leak.pricing" in cats and (ratio is None or ratio >= 0.5):
            if not re.search(r"prijsf|pricing|price (error|mistake)|glitch|p r i j s", sq + nt):
                errors.append(f"{w}: pricing without low price or error talk")
    return errors


def report(rows):
    total = len(rows)
    cat, cat_lang, roles, sevs, plats, langs = Counter(), Counter(), Counter(), Counter(), Counter(), Counter()
    benign = multi = evasion = 0
    for r in rows:
        cats = r["expect"]["categories"]
        langs[r["lang"]] += 1
        roles[r["role"]] += 1
        sevs[r["expect"]["severity"]] += 1
        plats[r["post"]["platform"]] += 1
        if not cats:
            benign += 1
        multi += len(cats) > 1
        evasion += "evasion" in r["tags"]
        for c in cats:
            cat[c] += 1
            cat_lang[(c, r["lang"])] += 1
    print(f"cases {total}  benign {benign}  positive {total - benign}  multi {multi}  evasion {evasion}")
    for c in TAXONOMY:
        print(f"  {c:24s} {cat[c]:4d}  nl {cat_lang[(c, 'nl')]:3d}  en {cat_lang[(c, 'en')]:3d}")
    print("langs", dict(langs), "roles", dict(roles))
    print("severity", {s: sevs[s] for s in SEVERITIES})
    print("platforms", dict(plats.most_common()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    lines = dump(rows)
    if not a.check:
        OUT.write_text("".join(lines), encoding="utf-8")
        print(f"wrote {len(lines)} cases to {OUT}")
        return 0
    disk = OUT.read_text(encoding="utf-8").splitlines(keepends=True)
    errs = check(disk, rows, profile)
    if disk != lines:
        errs.append("cases.jsonl differs from the generator output")
    report(rows)
    print(f"{len(errs)} error(s)")
    for e in errs:
        print("  ERROR", e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
