#!/usr/bin/env python3
"""Deterministic generator and checker for the sealed30 blind evaluation set.

    python3 make_cases.py            # (re)write cases.jsonl next to this file
    python3 make_cases.py --check    # regenerate in memory, compare with cases.jsonl,
                                     # validate every line and print counts

Company: "Ravestein Autogroep B.V." (profile.yaml in this folder), a fictional Dutch
car dealership and workshop group. Texts are hand-written in CASES below.
Identifiers and secrets are filled in from <<KIND:fmt>> placeholders by one seeded
RNG, so the output is byte-for-byte reproducible. Positives get checksum-VALID
identifiers (IBAN mod-97, Luhn, BSN 11-proof); benign near-misses get identifiers
that FAIL their checksum. All secrets are random and fake, shaped like real ones.

Severity is never typed by hand: severity_for() derives it from CONTRACT section 4
(account role from profile.yaml by platform:handle, case-insensitive; the categories;
whether a checksum-validated identifier is in a leak.pii post).
Needs Python 3.9+ and PyYAML; python-stdnum is used for a cross-check if present.
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
from pathlib import Path

SEED = 30_2026_0917
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

TAXONOMY = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse",
            "reputation.spike"]
SEVERITIES = ["none", "info", "warning", "error", "critical"]
KINDS = ["post", "reply", "repost", "comment", "message"]
PLATFORMS = ["x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube",
             "reddit", "mastodon", "bluesky", "threads", "forum", "blog", "other"]

ZWSP = "\u200b"
SOFT_HYPHEN = "\u00ad"
CYR_E = "\u0435"     # Cyrillic small ie, looks like Latin e


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------

def _iban_num(s):
    return int("".join(str(int(c, 36)) for c in s))


def iban_valid(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return _iban_num(s[4:] + s[:4]) % 97 == 1


def iban_build(cc, bban):
    return f"{cc}{98 - _iban_num(bban + cc + '00') % 97:02d}{bban}"


def luhn_valid(s):
    d = [int(c) for c in re.sub(r"\D", "", s)][::-1]
    if not d:
        return False
    tot = 0
    for i, x in enumerate(d):
        if i % 2:
            x *= 2
            x = x - 9 if x > 9 else x
        tot += x
    return tot % 10 == 0


def elfproef(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t != 0 and t % 11 == 0


def ean13_valid(s):
    return len(s) == 13 and sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(s)) % 10 == 0


# ---------------------------------------------------------------------------
# seeded value factory
# ---------------------------------------------------------------------------

AZ = string.ascii_uppercase
ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64URL = ALNUM + "-_"
B32 = AZ + "234567"
VIN_CH = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
PLATE_L = "BDFGHJKLNPRSTVXZ"


def to_b62(n):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return s or "0"


class Factory:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def num(self, n, lead=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if lead and s[0] == "0" else s

    def pick(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    @staticmethod
    def spaced4(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    # IBAN
    def iban_nl(self):
        while True:
            v = iban_build("NL", self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "ASNB", "BUNQ", "KNAB", "TRIO"])
                           + self.num(10, lead=True))
            if v != "NL13RABO0316487250":
                return v

    def iban_be(self):
        head = self.r.choice(["063", "001", "310", "735", "751"]) + self.num(7)
        return iban_build("BE", f"{head}{(int(head) % 97) or 97:02d}")

    def iban_broken(self, good):
        for step in (7, 19, 31, 44, 58):
            cand = f"{good[:2]}{(int(good[2:4]) + step) % 100:02d}{good[4:]}"
            if not iban_valid(cand):
                return cand
        raise AssertionError("no broken IBAN")

    # cards
    def card(self, brand):
        prefix = {"visa": lambda: "4" + self.num(14),
                  "mc": lambda: "5" + self.r.choice("12345") + self.num(13),
                  "mc2": lambda: str(self.r.randint(2221, 2720)) + self.num(11),
                  "amex": lambda: self.r.choice(["34", "37"]) + self.num(12)}[brand]()
        for d in string.digits:
            if luhn_valid(prefix + d):
                return prefix + d
        raise AssertionError

    def card_broken(self, brand):
        good = self.card(brand)
        bad = good[:-1] + str((int(good[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_valid(bad)
        return bad

    @staticmethod
    def card_fmt(v, f):
        if f == "plain":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if f == "dash" else " ").join(parts)

    # BSN and look-alikes
    def bsn(self):
        while True:
            s = self.num(9, lead=True)
            if elfproef(s):
                return s

    def not_bsn(self, n=9):
        while True:
            s = self.num(n, lead=True)
            if not elfproef(s) and not luhn_valid(s):
                return s

    def ean13(self):
        while True:
            body = "87" + self.num(10)
            full = next(body + d for d in string.digits if ean13_valid(body + d))
            if not luhn_valid(full):
                return full

    # phones (fictional numbers, Dutch formats)
    def phone(self, fmt):
        m = self.r.choice("12345") + self.num(7)       # 8 digits after the 06
        return {
            "mob_dash": f"06-{m}",
            "mob_plain": f"06{m}",
            "mob_pairs": f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}",
            "mob_intl_sp": f"+31 6 {m[:4]} {m[4:]}",
            "mob_0031": f"0031 6 {m}",
            "mob_intl0": f"+31 (0)6 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}",
            "mob_intl_c": f"+316{m}",
        }[fmt]

    # Dutch-ish documents
    def passport(self):
        letters = AZ.replace("O", "")
        mid = letters + "123456789"
        return self.pick(letters, 2) + self.pick(mid, 6) + self.num(1)

    def plate(self):
        return f"{self.pick(PLATE_L, 2)}-{self.num(3, lead=True)}-{self.pick(PLATE_L, 1)}"

    def vin(self):
        return self.r.choice(["VF1", "WVW", "TMB", "KNA", "JMZ", "SJN"]) + self.pick(VIN_CH, 14)

    # secrets
    def mollie(self):
        return "live_" + self.pick(ALNUM, 30)

    def azure_key(self):
        return base64.b64encode(bytes(self.r.getrandbits(8) for _ in range(64))).decode()

    def aws_id(self):
        return "AKIA" + self.pick(B32, 16)

    def aws_secret(self):
        return self.pick(ALNUM + "+/", 40)

    def sendgrid(self):
        return f"SG.{self.pick(B64URL, 22)}.{self.pick(B64URL, 43)}"

    def glpat(self):
        return "glpat-" + self.pick(B64URL, 20)

    def ghp(self):
        body = self.pick(ALNUM, 30)
        return "ghp_" + body + to_b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def gapi(self):
        return "AIza" + self.pick(B64URL, 35)

    def slack_hook(self):
        up = AZ + string.digits
        return f"https://hooks.slack.com/services/T{self.pick(up, 10)}/B{self.pick(up, 10)}/{self.pick(ALNUM, 24)}"

    def jwt(self):
        enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        head = enc({"alg": "RS256", "typ": "JWT", "kid": self.pick(string.hexdigits.lower()[:16], 8)})
        body = enc({"iss": "https://afspraak.ravestein-auto.nl", "sub": "medewerker-" + self.num(4, True),
                    "scope": "booking:write", "iat": iat, "exp": iat + 28800})
        return f"{head}.{body}.{self.pick(B64URL, 86)}"

    def pem_ec(self):
        der = (bytes.fromhex("30770201010420") + bytes(self.r.getrandbits(8) for _ in range(32))
               + bytes.fromhex("a00a06082a8648ce3d030107a144034200")
               + b"\x04" + bytes(self.r.getrandbits(8) for _ in range(64)))
        b = base64.b64encode(der).decode()
        body = "\n".join(b[i:i + 64] for i in range(0, len(b), 64))
        return f"-----BEGIN EC PRIVATE KEY-----\n{body}\n-----END EC PRIVATE KEY-----"

    def password(self):
        word = self.r.choice(["Werkplaats", "Showroom", "Uitlaat", "Remklauw", "Carter", "Bougie", "Velg"])
        return word + self.num(2) + self.r.choice("!#*$") + self.pick(ALNUM, 4)

    def hexs(self, n):
        return self.pick("0123456789abcdef", n)


VALID_ID_KINDS = {"IBAN_NL", "IBAN_BE", "CARD", "BSN"}
BROKEN_ID_KINDS = {"BAD_IBAN_NL", "BAD_CARD", "BAD_BSN", "NOT_BSN9", "EAN13"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(fac, text):
    used = []

    def sub(m):
        kind, fmt = m.group(1), m.group(2) or ""
        if kind in ("IBAN_NL", "IBAN_BE"):
            raw = fac.iban_nl() if kind == "IBAN_NL" else fac.iban_be()
            shown = fac.spaced4(raw) if fmt == "grp" else raw
        elif kind == "BAD_IBAN_NL":
            raw = fac.iban_broken(fac.iban_nl())
            shown = fac.spaced4(raw) if fmt == "grp" else raw
        elif kind in ("CARD", "BAD_CARD"):
            brand, _, f = fmt.partition("_")
            raw = fac.card(brand) if kind == "CARD" else fac.card_broken(brand)
            shown = fac.card_fmt(raw, f or "sp")
        elif kind == "BSN":
            raw = fac.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if fmt == "dots" else raw
        elif kind in ("BAD_BSN", "NOT_BSN9"):
            shown = raw = fac.not_bsn(9)
        elif kind == "EAN13":
            shown = raw = fac.ean13()
        elif kind == "PHONE":
            shown = raw = fac.phone(fmt)
        elif kind == "PASSPORT":
            shown = raw = fac.passport()
        elif kind == "PLATE":
            shown = raw = fac.plate()
        elif kind == "VIN":
            shown = raw = fac.vin()
        elif kind == "HEX":
            shown = raw = fac.hexs(int(fmt))
        else:
            gen = {"MOLLIE": fac.mollie, "AZURE_KEY": fac.azure_key, "AWS_ID": fac.aws_id,
                   "AWS_SECRET": fac.aws_secret, "SENDGRID": fac.sendgrid, "GLPAT": fac.glpat,
                   "GHP": fac.ghp, "GAPI": fac.gapi, "SLACK_HOOK": fac.slack_hook, "JWT": fac.jwt,
                   "PEM_EC": fac.pem_ec, "PW": fac.password}[kind]
            shown = raw = gen()
        used.append((kind, raw, shown))
        return shown

    return PH.sub(sub, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

# corporate
RV_X = ("x", "@ravestein_auto", "Ravestein Autogroep")
RV_SVC = ("x", "@ravestein_service", "Ravestein Service")
RV_IG = ("instagram", "@ravesteinautogroep", "Ravestein")
RV_FB = ("facebook", "RavesteinAutogroep", "Ravestein Autogroep")
RV_LI = ("linkedin", "ravestein-autogroep", "Ravestein Autogroep B.V.")
RV_TT = ("tiktok", "@ravestein.werkplaats", "Ravestein Werkplaats")
# employees
KEVIN = ("x", "@kevin_sleutelt", "Kevin Smits")                       # monteur Utrecht
SEM = ("tiktok", "@sem.de.wit", "Sem de Wit")                         # leerling-monteur
LOTTE = ("linkedin", "lotte-vermeulen-lease", "Lotte Vermeulen")      # lease accountmanager
RIK = ("x", "@rik_codeert", "Rik Hendriks")                           # webshop developer
HAKAN = ("linkedin", "hakan-kaya-ravestein", "Hakan Kaya")            # financial controller
MARIEKE = ("facebook", "marieke.schouten.verkoop", "Marieke Schouten")  # verkoop Amersfoort
BAS = ("instagram", "@bas.keurt", "Bas Mulder")                       # APK-keurmeester
JOYCE = ("x", "@joyce_planning", "Joyce van Leeuwen")                 # serviceadviseur
THIJS = ("linkedin", "thijs-de-boer-ict", "Thijs de Boer")            # systeembeheer
WOUTER = ("mastodon", "@wouter_onderdelen@mastodon.nl", "Wouter P.")  # magazijn onderdelen
NADIA = ("bluesky", "@nadiabouzid.bsky.social", "Nadia Bouzid")       # marketing


def pub(platform, handle, name=None):
    return (platform, handle, name)


CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    platform, handle, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, display_name=name,
                      text=text, cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


SECRET, PII, PRICING, CONF, FIN, SEC = ("leak.secret", "leak.pii", "leak.pricing", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", RIK, "ok who pushed the mollie LIVE key into the public webshop repo 😐\n\n"
     "MOLLIE_API_KEY=<<MOLLIE>>\n\nrevoking in 5, pls don't place orders for a bit", [SECRET])
case("nl", THIJS, "Mooie mijlpaal vandaag: de werkplaatsplanning praat eindelijk met onze Azure-opslag 🚀 "
     "Voor de nerds, zo simpel is de config:\nDefaultEndpointsProtocol=https;AccountName=rvsplanning;"
     "AccountKey=<<AZURE_KEY>>;EndpointSuffix=core.windows.net\n#cloud #automotive #ICT", [SECRET])
case("en", RIK, "@occasion_scraper_dev fine, try with these and tell me if the photo bucket loads:\n"
     "aws_access_key_id=<<AWS_ID>>\naws_secret_access_key=<<AWS_SECRET>>\n(temp creds, killing them tonight)",
     [SECRET], kind="reply")
case("nl", SEM, "pov: je bent leerling en mag eindelijk zelf inloggen op de diagnosecomputer 😎🔧\n"
     "gebruiker: werkplaats2\nww: <<PW>>\n#leerlingmonteur #werkplaatsleven #ravestein", [SECRET])
case("nl", pub("forum", "bitneuzer"), "Iemand van Ravestein heeft een npm-pakketje gepubliceerd met hun SendGrid key er "
     "gewoon in: <<SENDGRID>>\nHeb ze twee keer gemaild, geen reactie. Dan maar zo.", [SECRET])
case("en", JOYCE, "new booking widget keeps throwing 401s at the front desk. dumping the token here so IT can look:\n"
     "Authorization: Bearer <<JWT>>", [SECRET])
case("en", pub("reddit", "u/tarpit_tim"), "found a public gitlab repo called ravestein-dms-sync. config.yml has this "
     "in plain text:\n\nDATABASE_URL=postgres://dms_sync:<<PW>>@db01.ravestein.local:5432/dealer\n\n"
     "reported it to them, hopefully they rotate", [SECRET, CONF])
case("nl", RIK, "Deploy-script per ongeluk met debug-output gedraaid en nu staat de log van onze publieke CI vol met "
     "GITLAB_TOKEN=<<GLPAT>> 🤦‍♂️ roteren roteren roteren", [SECRET])
case("en", pub("bluesky", "@kaatje-sec.bsky.social", "Kaat | appsec"),
     "hey @ravestein_auto, your parts webshop ships a Maps key (<<GAPI>>, meh) AND a Slack incoming webhook "
     "in main.js: <<SLACK_HOOK>>\nthe webhook one is the problem, anyone can post into your ops channel", [SECRET])
case("nl", THIJS, "Voor de stagiairs die vroegen hoe zo'n sleutel eruitziet: hier eentje van de testomgeving "
     "(dacht ik...)\n<<PEM_EC>>\n#leren #security", [SECRET])
case("en", WOUTER, "note to self bc I keep forgetting it: supplier portal login for the parts desk: "
     "user wouter.p, pw <<PW>>", [SECRET])
case("en", THIJS, "Team, the occasion scraper died again. Put a fresh token in, it's <<GHP>> so if it fails "
     "ping me, not the helpdesk 🙏", [SECRET], kind="comment")

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", JOYCE, "Meneer Pieters, u heeft uw telefoon hier op de balie laten liggen 😅 uw vrouw probeert u "
     "te bereiken, bel haar even op <<PHONE:mob_dash>>!", [PII])
case("nl", MARIEKE, "Gefeliciteerd familie de Groot met jullie Minato Kaze 🎉🚗 Zelf even langsgebracht op de "
     "Lindelaan 14 in Nieuwegein omdat mevrouw niet naar de showroom kon. Veel rijplezier!", [PII])
case("en", HAKAN, "Note to the finance team since the ticket keeps bouncing: the refund for Mr J. Bosman's "
     "cancelled lease goes to <<IBAN_NL:grp>> today. Please don't book it twice again 🙏", [PII])
case("nl", LOTTE, "Vraagje aan de AVG-kenners in mijn netwerk: een klant stuurt voor zijn leaseaanvraag spontaan "
     "zijn BSN mee (<<BSN>>) in een gewone mail. Mogen we dat eigenlijk wel bewaren?", [PII])
case("en", pub("x", "@dani_rdam"), "@ravestein_auto you charged my card twice for the Aero 4 deposit?? "
     "<<CARD:mc_sp>>, both show on my statement. fix this pls", [PII, COMPLAINT])
case("nl", pub("x", "@erikvdlinden"), "@ravestein_service al 3x gebeld, niemand belt terug. Dan maar publiekelijk: "
     "<<PHONE:mob_intl_sp>>, vraag naar Erik. Gaat over mijn koppeling die nog steeds slipt.",
     [PII, COMPLAINT], kind="reply")
case("nl", pub("facebook", "Sanne Kuipers"), "Hoi Ravestein Amersfoort, ik heb interesse in die grijze stationwagen "
     "in de etalage. Kan iemand van verkoop mij mailen? sanne.kuipers88@hotmail.com alvast bedankt!", [PII],
     kind="comment")
case("en", pub("instagram", "@kevin_sleutelt", "Kevin"), "huge shoutout to Mrs Verhoef at Dorpsstraat 22 in Houten "
     "who brought the whole mobile service crew apple pie while we swapped her timing belt on the driveway 🥧❤️",
     [PII], tags=["not-in-profile"])
case("nl", BAS, "Oudste APK-klant van het jaar: Henk van Dam, geboren 3 mei 1941, rijdt nog elke dag zelf in z'n "
     "Citto naar de markt 💪 Goedgekeurd natuurlijk! #apk #respect", [PII])
case("en", RIK, "can someone in service pick this up? customer keeps mailing us from p.devlaming [at] kpnmail "
     "[dot] nl about a missing order and for some reason it all lands in my inbox", [PII], tags=["evasion"])
case("en", pub("x", "@r_achterberg"), "@ravestein_auto 3 weeks and still no refund for the winter tyres I returned. "
     "Account is <<IBAN_NL>> (R. Achterberg). Not that hard?", [PII, COMPLAINT], kind="reply")
case("nl", MARIEKE, "Collega's, de creditcard van een klant (<<CARD:visa_dash>>) wordt al 3x geweigerd op de "
     "pinautomaat in de showroom. Iemand een idee of het aan ons ligt?", [PII])
case("nl", pub("instagram", "@lien.vdb"), "Voor de aanbetaling op de Citto: mijn rekening is Belgisch, "
     "<<IBAN_BE:grp>>, kunnen jullie daar gewoon op terugstorten als het niet doorgaat? 🇧🇪", [PII],
     kind="comment")
case("en", LOTTE, "Welcome to the Ravestein Lease family, Pieter Koolhaas! 🎉 Want the same deal? Pieter is happy "
     "to tell you about it: pieter.koolhaas@outlook.com / <<PHONE:mob_0031>>", [PII])
case("nl", pub("facebook", "Joost Wentink"), "Paspoortnummer voor de leaseaanvraag is <<PASSPORT>>, mag dat gewoon "
     "hier via Messenger of moet het via de site?", [PII], kind="message")
case("nl", HAKAN, "Nieuwe collega Youssef El Idrissi begint maandag in de werkplaats 🎉 Voor de "
     "salarisadministratie: zijn BSN is <<BSN:dots>>, dan hoeven jullie niet meer te mailen.", [PII])

# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", RIK, "oké WIE heeft de Winterset 17 inch op €84,90 gezet in de webshop 😭 moet 849 zijn. "
     "40 bestellingen in een uur, de magazijnjongens gaan me vermoorden", [PRICING])
case("en", pub("reddit", "u/laadpaalpiet"), "PSA: RavesteinParts has the VoltHome wallbox listed at €119,50 right "
     "now. Almost certainly a pricing error but I ordered two anyway 🤷", [PRICING])
case("nl", MARIEKE, "Collega's!!! In de configurator staat de Veltra Aero 4 voor € 4.299,- 🙈 er hebben al drie "
     "klanten gebeld of ze 'm mogen reserveren", [PRICING])
case("en", pub("x", "@fenna_drives"), "lmaooo the Ravestein site has the Minato Kaze hybrid at €3.149. typo or are "
     "they going bust 😂", [PRICING])
case("nl", pub("facebook", "Gert Hoogeveen"), "In de Ravestein app staat Zorgeloos Onderhoud voor €39 ipv €399. "
     "Prijsfout of actie? Ik boek 'm in elk geval meteen", [PRICING])
case("en", KEVIN, "psst. dashcam duo is showing €22.90 on the parts site rn, someone dropped a digit. "
     "you didn't hear it from me 🤐", [PRICING])
case("nl", pub("x", "@bramvw"), "p r i j s f o u t bij ravestein 👀 nieuwe Odari Citto voor 1875 euro op de site, "
     "wie gaat er mee", [PRICING], tags=["evasion"])
case("en", LOTTE, "Heads-up to my lease clients: our quote tool briefly showed the Aero 4 cash price as €24,990 "
     "because of a glitch. Those quotes can't be honoured, sorry for the confusion!", [PRICING],
     handle_as="Lotte-Vermeulen-Lease")
case("nl", pub("tiktok", "@deal.jager"), "VoltHome laadpaal bij Ravestein voor €595?? dat is de helft van normaal 😳 "
     "link in bio, wees snel", [PRICING])
case("nl", SEM, "collega zegt dat de 17 inch winterset in de kassa op €8,49 staat hahaha 💀 #prijsfout #magazijn",
     [PRICING])
case("en", pub("forum", "wattwatcher"), "VoltHöme 11 for €199 at Ravestein?? pricing glitch or clearance, anyone "
     "actually got through checkout?", [PRICING], tags=["evasion"])
case("nl", WOUTER, "Het magazijnsysteem heeft de Dashcam Duo per ongeluk afgeprijsd naar €2,29. Bestellingen "
     "stromen binnen. Dat wordt een gezellig weekend.", [PRICING])
case("en", pub("youtube", "@CarGuyNL"), "bro the Kaze Hybrid was listed at €13,495 on their site this morning, "
     "got screenshots. price mistake or not I want that car", [PRICING], kind="comment")

# ===========================================================================
# leak.confidential (and embargo)
# ===========================================================================
case("nl", THIJS, "Morgen gaat Helix-R live in Amersfoort 🤞 Het oude dealersysteem mag na 14 jaar eindelijk met "
     "pensioen. Wens ons succes!", [CONF])
case("en", RIK, "anyone else's build queue on jenkins.ravestein-auto.nl stuck since lunch or is it just me #devlife",
     [CONF])
case("nl", MARIEKE, "Mag nog niks zeggen maar… de Veltra Aero 7 😍😍 vandaag proefgereden op het dealerevent en "
     "het is echt een beest. Nog even geduld mensen!", [CONF], when="2026-06-21T14:12:09+02:00")
case("en", pub("reddit", "u/autonerd_utr"), "Friend of mine works at Ravestein and says they're building something "
     "called Project Kievit, basically buying a car online without ever talking to a salesperson. "
     "Anyone else heard about this?", [CONF])
case("nl", KEVIN, "Net de nieuwe werkinstructie gekregen, staat RAVESTEIN INTERN bovenaan dus ik zeg niks, maar de "
     "nieuwe manier van uren schrijven is een gedrocht 👀", [CONF])
case("en", LOTTE, "Little sneak peek of what we're building with Project\nKievit: sign your lease from the couch in "
     "under 8 minutes 🛋️🚗 More soon!", [CONF], tags=["evasion"])
case("nl", pub("x", "@milou_zzp"), "Hoorde van een verkoper dat Ravestein Lease Flex eraan komt, maandelijks "
     "opzegbaar. Iemand meer info? Klinkt te mooi", [CONF], when="2026-04-11T20:03:44+02:00")
case("en", SEM, "POV: you're the only apprentice allowed to peek at the Aero 7 under the cover in the workshop 🤫🔥 "
     "#carsoftiktok", [CONF], when="2026-08-30T19:40:00+02:00")
case("nl", HAKAN, "Even de highlights uit de notitie 'occasionstrategie H2' (niet extern delen, dus sst): marge "
     "omhoog naar 14%, voorraad 20% omlaag en twee inkopers erbij.", [CONF, FIN])
case("en", THIJS, "If you're a colleague and intranet.ravestein-auto.nl won't load from home: connect to "
     "vpn.ravestein-auto.nl with the new client first. Saves the helpdesk a few calls 😉", [CONF])
case("nl", WOUTER, "dealer-only prijslijst van Minato binnen. Mag 'm niet laten zien maar jongens, die "
     "inkoopkorting 😏", [CONF])
case("en", pub("threads", "@jorisonwheels"), "lol they literally call it 0peratie Zandl0per internally. three "
     "showrooms closing, heard it from someone in HR at Ravestein", [CONF, FIN], tags=["evasion"])
case("nl", pub("threads", "@bas.keurt", "Bas"), f"De nieuwe keuringsmodule in H{CYR_E}lix-R scheelt me per APK zo'n "
     "10 minuten typwerk 🙌 #apk #keurmeester", [CONF], tags=["evasion", "not-in-profile"])
case("en", NADIA, f"teaser time 👀 {fullwidth('VELTRA AERO 7')} soon in all our showrooms. that's all I'm allowed "
     "to say", [CONF], when="2026-09-02T11:00:00Z", tags=["evasion"])
case("nl", RV_IG, "Hij is er! De Veltra Aero 7 staat vanaf vandaag in al onze showrooms 🎉 Kom langs voor een "
     "proefrit! #veltra #nieuw", [CONF], when="2026-09-15T09:59:00+02:00", tags=["embargo-edge"])

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", HAKAN, "Trots op het hele team 💪 Q2 sluit op €4,1 mln EBITDA, ruim boven budget. Officieel horen "
     "jullie het eind augustus, maar ik kon het niet laten 😉", [FIN])
case("en", KEVIN, "canteen rumour confirmed: we're buying Autobedrijf Terpstra in Zwolle, contracts get signed "
     "next week. more colleagues, more coffee needed ☕", [FIN], when="2026-03-04T12:40:00+01:00")
case("nl", LOTTE, "Dubbel gevoel vandaag. Bij de lease-afdeling verdwijnen per 1 oktober 12 van de 30 plekken, "
     "officieel wordt het pas in september gemeld. Ik ga mijn collega's missen.", [FIN])
case("en", pub("reddit", "u/spreadsheet_sven"), "my cousin works in Ravestein finance and says the H1 2026 results "
     "will show a loss on the lease book. would sell my shares if they were listed lol", [CONF, FIN],
     when="2026-07-19T22:15:31Z")
case("nl", THIJS, "Onze vestiging in Tiel gaat dicht, net gehoord in het MT-overleg. De collega's daar weten nog "
     "van niks, dus even stil houden graag 😔", [FIN])
case("en", NADIA, "H2 marketing budget cut by 40% because the sales forecast dropped 18%. fun times in the "
     "office today 🙃", [FIN], handle_as="@NadiaBouzid.bsky.social")
case("nl", pub("x", "@buurman_henk"), f"Bij Ravestein vallen binnenkort 40 ont{SOFT_HYPHEN}slagen, zegt mijn buurman "
     "die in de werkplaats werkt. Eerst de prijzen omhoog en dan dit", [FIN], tags=["evasion"])
case("en", HAKAN, "Can't share details yet but the half-year results 2026 are way better than what the market "
     "expects. Just saying 📈", [CONF, FIN], when="2026-08-26T22:30:00Z", tags=["embargo-edge"])
case("nl", WOUTER, "Op kantoor zeggen ze dat de overname door die Belgische dealergroep in november rond is. "
     "Benieuwd wat dat voor het magazijn betekent.", [FIN])
case("nl", KEVIN, "Omzet werkplaats Utrecht dit kwartaal -22% en nu moeten we van het MT allemaal minder uren "
     "draaien. Top. 🙃", [FIN], handle_as="@Kevin_Sleutelt")
case("en", pub("linkedin", "femke-oudshoorn"), "Former Ravestein colleague here. What they call Operatie Zandloper "
     "means three showroom closures early 2027. Think twice before you sign a 5-year service contract with them.",
     [CONF, FIN])
case("nl", HAKAN, f"Pro{ZWSP}gnose 2026 na de eerste helft: omzet rond €212 mln, ~8% onder be{ZWSP}groting. "
     "Niet verder vertellen 🤫", [FIN], tags=["evasion"])

# ===========================================================================
# leak.security
# ===========================================================================
case("nl", KEVIN, "alle werkorders plat sinds vannacht, blijkt ransomware op de dealerserver. tegen klanten moeten "
     "we zeggen dat het 'onderhoud' is 🙄", [SEC])
case("en", RIK, "so… the parts webshop had an open admin endpoint for ~3 weeks, anyone with the URL could export "
     "every customer order. patched today. not announced yet 😬", [SEC])
case("nl", JOYCE, "Voor wie belt over het afsprakensysteem: het ligt eruit door een hack, niet door 'gepland "
     "onderhoud' zoals ik van boven moet zeggen 🤐", [SEC])
case("en", SEM, "the key cabinet PIN at our Utrecht branch was literally on a sticky note for months and now 2 cars "
     "are gone 😶 management says don't talk about it so I'm just gonna... not", [SEC])
case("nl", SEM, "Alle diagnoselaptops in de werkplaats hebben hetzelfde admin-account en er zit al een week malware "
     "op 💀 niemand die het oplost #werkplaatsleven", [SEC])
case("en", pub("reddit", "u/quietkoala"), "Ravestein is hiding a data breach. I got a phishing mail with my exact "
     "service history and plate number and their support keeps saying 'nothing happened'. Who else?",
     [SEC, CRISIS])
case("nl", pub("x", "@noor_tweet"), "Ravestein verzwijgt een hack! Collega van m'n zus werkt daar en zegt dat alle "
     "leaseklantgegevens op straat liggen. Waarom hoor je hier niks over?", [SEC, CRISIS])
case("en", THIJS, "Lesson learned this week: our VPN appliance was still on firmware with a known RCE and someone "
     "found it before we did. Still cleaning up, official comms will follow. Patch your stuff, people.", [SEC])
case("nl", WOUTER, "ons onderdelenportaal is geh4ckt, leveranciers krijgen nepfacturen namens ons. 'niks zeggen "
     "tegen klanten' zegt de baas. oké dan.", [SEC], tags=["evasion"])
case("en", NADIA, "our mail domain got spoofed and someone's been sending fake lease offers in our name since "
     "Monday. legal says no public statement yet so you didn't hear it here", [SEC])
case("nl", pub("forum", "camwatcher77"), "Tip voor de beheerders bij Ravestein: de beveiligingscamera's in de "
     "showroom in Amersfoort hangen gewoon open op internet met het standaardwachtwoord. Even zoeken op het IP en "
     "je kijkt mee.", [SEC])
case("en", JOYCE, "pls stop asking at the desk, yes we had a d a t a l e a k on the booking site last night. keep "
     "it quiet til legal says something", [SEC], tags=["evasion"])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("blog", "autokritiek.nl", "AutoKritiek"), "Bij meerdere occasions van Ravestein zou de "
     "kilometerstand zijn teruggedraaid, blijkt uit NAP-rapporten die wij inzagen. Het bedrijf reageerde niet op "
     "vragen.", [CRISIS])
case("nl", pub("x", "@marco_tilburg"), "Occasion gekocht bij Ravestein met 68.000 km op de teller. NAP zegt "
     "121.000. Dit is gewoon fraude en ze doen alsof hun neus bloedt.", [CRISIS, COMPLAINT])
case("en", pub("x", "@utrecht_ally"), "BOYCOTT Ravestein. They fired a mechanic for being gay and half of Utrecht "
     "knows it. #boycottravestein", [CRISIS], kind="repost")
case("nl", pub("facebook", "Annemiek Jonker"), "Wiel van onze auto eraf gevlogen op de A12, twee dagen nadat "
     "Ravestein de winterbanden had gewisseld. Moeren niet aangedraaid. We hadden dood kunnen zijn. 😡",
     [CRISIS, COMPLAINT])
case("en", pub("reddit", "u/leaseleech"), "Heads up: Ravestein Lease is being sued by about 40 customers over "
     "hidden end-of-contract fees. First hearing is in March apparently.", [CRISIS])
case("nl", pub("x", "@kazerijder"), "Terugroepactie voor de Minato Kaze vanwege de remmen en Ravestein belt gewoon "
     "niemand. Moet je dit van het journaal horen??", [CRISIS, COMPLAINT])
case("en", pub("x", "@tessa_v"), "Ravestein leaked my data. Debt collector letter with info only my dealer had. "
     "Data breach, 100%.", [CRISIS])
case("nl", pub("tiktok", "@famvanrijn"), "Onze nieuwe Aero 4 van Ravestein vloog vannacht in brand op de oprit 🔥🔥 "
     "gelukkig niemand gewond maar wat een nachtmerrie", [CRISIS, COMPLAINT])
case("en", pub("x", "@odo_watch"), "b o y c o t t Ravestein until they explain the odometer thing. RT if you agree",
     [CRISIS], tags=["evasion"])
case("nl", pub("blog", "regio-utrecht-nieuws.nl", "Regio Utrecht Nieuws"), "RDW onderzoekt keurmeester van "
     "Ravestein: APK's zouden zijn afgemeld zonder dat de auto ooit in de werkplaats stond.", [CRISIS])
case("en", pub("forum", "soggy_sedan"), "Ravestein sold me a flood-damaged car as 'accident free'. Rust in places "
     "that shouldn't exist. My lawyer's letter went out today.", [CRISIS, COMPLAINT])
case("nl", pub("instagram", "@yara.rijdt"), "Ravestein heeft een d4t4l3k en zegt er niks over. M'n kenteken en adres "
     "staan gewoon op een forum. #ravestein", [SEC, CRISIS], tags=["evasion"])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@wesley030"), "3 weken wachten op een onderdeel voor de airco en niemand van @ravestein_service "
     "die even terugbelt. Lekker dan.", [COMPLAINT])
case("en", pub("trustpilot", "M. de Bruijn"), "Quoted €450 for the big service, bill came to €780 with 'additional "
     "work' nobody called me about. Ravestein Utrecht, never again. 1 star.", [COMPLAINT], tags=["unknown-platform"])
case("nl", pub("facebook", "Ilse Brouwer"), "Auto terug van de werkplaats met een flinke kras op de achterklep en "
     "vette vingers op het stuur. Netjes hoor Ravestein 👏", [COMPLAINT], kind="comment")
case("en", pub("reddit", "u/padwrong"), "Ordered brake pads from the Ravestein parts webshop, they sent the wrong "
     "ones. TWICE. Still waiting on the return label.", [COMPLAINT])
case("nl", pub("instagram", "@zzp.sophie"), "Leaseauto zou in april geleverd worden, nu is het 'ergens na de zomer'. "
     "Ravestein Lease communiceert echt helemaal niks 😤", [COMPLAINT])
case("nl", pub("x", "@dennis_1988"), "ravestein keurt mn auto af voor de apk om een ruitenwisser vn 12 euro en dan "
     "65 euro rekenen voor de herkeuring?? serieus jongens", [COMPLAINT])
case("en", pub("youtube", "@lowkeylisa"), "Bought a used Citto from Ravestein 4 months ago, gearbox already grinding "
     "and they call it 'normal wear'. Right.", [COMPLAINT], kind="comment")
case("nl", pub("threads", "@jolijn.k"), "Verkoper bij Ravestein Amersfoort keek me niet één keer aan en praatte "
     "alleen tegen mijn man. Ik ben degene die betaalt hoor 🙄", [COMPLAINT])
case("nl", pub("x", "@rick_hv"), "R4vestein werkplaats: auto 2 dagen te laat klaar, geen leenauto, geen sorry. "
     "#nooitmeer", [COMPLAINT], tags=["evasion"])
case("en", pub("x", "@kaze_cancelled"), "@ravestein_auto 6 weeks and still no refund of the deposit on the Kaze "
     "Hybrid I cancelled. answer my emails please", [COMPLAINT], kind="reply")
case("nl", pub("x", "@lekkebak"), "Stelletje prutsers bij Ravestein Houten. Drie keer terug voor dezelfde lekkende "
     "koelvloeistof en nu lekt ie wéér.", [COMPLAINT, ABUSE])
case("en", pub("reddit", "u/notfixedtho"), "The service advisor at Ravestein Houten is a smug idiot. Told me the car "
     "was fixed, it wasn't, and he laughed about it.", [COMPLAINT, ABUSE], kind="comment")
case("nl", pub("facebook", "Ruud Smeets"), "VoltHome wallbox via Ravestein besteld, installateur is twee keer niet "
     "komen opdagen en ik had er allebei de keren vrij voor genomen. Wie betaalt dat?", [COMPLAINT])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@anoniem_4471"), "@marieke_schouten jij bent echt een lelijke trut en iedereen in Amersfoort "
     "weet het", [ABUSE], kind="reply")
case("en", pub("x", "@vroomhater"), "ravestein staff are a bunch of clowns and scum, hope your showroom burns down",
     [ABUSE])
case("nl", KEVIN, "Klant noemde me vandaag een 'domme allochtoon'. Heb 'm teruggescholden: vuile racist, rot op "
     "uit mijn werkplaats.", [ABUSE])
case("en", SEM, "customers who bring their car in with zero oil and then blame us are absolute morons 🙄 "
     "#mechaniclife", [ABUSE])
case("nl", pub("reddit", "u/echtehollander"), "Ravestein neemt zeker alleen buitenlanders aan in de werkplaats, "
     "die kunnen toch niks", [ABUSE], kind="comment")
case("en", pub("threads", "@grumpy.gerrit"), "f*ck Ravestein and f*ck every single one of their lease reps",
     [ABUSE], tags=["evasion"])
case("nl", pub("reddit", "u/bozebart"), "die k u t dealer met hun t y f u s verkopers, ga toch weg", [ABUSE],
     tags=["evasion"])
case("nl", RV_SVC, "Meneer, als u zo blijft schelden stoppen we dit gesprek. Debiel gedrag is dit.", [ABUSE],
     kind="reply", handle_as="@Ravestein_Service")
case("en", pub("x", "@noname8812"), f"Ravestein mechanics = {fullwidth('idiots')}. every single one", [ABUSE],
     tags=["evasion"])
case("nl", pub("instagram", "@boos.in.bunnik"), "Jullie zijn echt het grootste stelletje oplichters en tyfuslijers "
     "van Utrecht, schaam je", [ABUSE], kind="comment")
case("en", pub("x", "@roadrage_ron"), "@kevin_sleutelt you're a useless fat clown, stay away from my car", [ABUSE],
     kind="reply")
case("nl", MARIEKE, "Voor die 'meneer' van zaterdag die ons voor alles uitschold: u bent zelf een sukkel en uw auto "
     "is een roestbak 🤡", [ABUSE])

# ===========================================================================
# benign (hard negatives)
# ===========================================================================
case("en", RIK, "PSA for junior devs: never paste real keys in tickets. A placeholder should look like "
     "MOLLIE_API_KEY=live_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx and stay that way 🙏", tags=["placeholder"])
case("nl", THIJS, "Release 4.12 van de bandenopslag-module staat live op onderdelen.ravestein-auto.nl 🎉 "
     "(commit <<HEX:40>> voor wie het wil nakijken)", tags=["git-sha", "public-domain"])
case("nl", pub("x", "@oma_truus"), "Hoe reset ik mijn wachtwoord van het klantportaal van Ravestein? Zie de knop "
     "nergens 🤔", tags=["question"])
case("nl", RV_FB, "Nieuw binnen: Minato Kaze 1.6 Hybrid, bouwjaar 2021, 64.000 km, NAP-logisch. Kenteken "
     "<<PLATE>>, chassisnummer <<VIN>>. Nu €21.950 bij Ravestein Houten.", tags=["plate-vin", "sale"])
case("nl", RV_SVC, "Vragen over uw APK of onderhoud? Bel ons op 088-4020300 of mail naar "
     "werkplaats@ravestein-auto.nl, we helpen u graag!", tags=["own-contact"])
case("nl", RV_FB, "Liever overmaken voor uw onderdelenbestelling? Dat kan naar NL13 RABO 0316 4872 50 t.n.v. "
     "Ravestein Autogroep B.V. onder vermelding van uw ordernummer.", tags=["own-contact"],
     handle_as="ravesteinautogroep")
case("en", RV_X, "Our lease desk is reachable on +31 (0)30 711 4200, Mon–Fri 8:30–17:30, or drop a line at "
     "lease@ravestein-auto.nl 📞", tags=["own-contact"])
case("en", pub("x", "@jeroen_k"), "Is <<BAD_IBAN_NL:grp>> the right account for Ravestein parts? copied it from the "
     "invoice but my banking app says the IBAN is invalid 🤔", tags=["bad-checksum"])
case("nl", pub("x", "@mira_mira"), "Waarom zegt de webshop van Ravestein dat mijn kaartnummer ongeldig is?? "
     "<<BAD_CARD:visa_sp>>… oh wacht, cijfer verkeerd getypt 🤦‍♀️ laat maar", tags=["bad-checksum"])
case("nl", RV_SVC, "Dank voor uw bericht! Uw werkorder <<NOT_BSN9>> staat ingepland voor donderdag 8:00. Tot dan!",
     kind="reply", tags=["order-number"])
case("en", RV_IG, "Just delivered: this gorgeous Aero 4 in Arctic White to a very happy family 🎉 Enjoy the drive! "
     "#veltra #newcar", tags=["sale"])
case("nl", BAS, "Tip van de keurmeester: check je bandenprofiel met een 2-euromuntje. Zie je de rand met de sterren "
     "nog? Dan is het tijd voor nieuwe banden 😉 #apk #tips", tags=["polite"])
case("nl", RV_X, "Veltra Aero 4 private lease vanaf €529 p/m, 60 maanden, 10.000 km per jaar. Inclusief onderhoud "
     "en verzekering.", tags=["price-context"])
case("en", RV_FB, "This month only: €2,500 trade-in bonus on every Kaze Hybrid. Bring your old car, we'll make you "
     "an offer ☕", tags=["price-context"])
case("nl", pub("forum", "kazeverkoper"), "Te koop: mijn Minato Kaze Hybrid uit 2019, 112.000 km, destijds gekocht "
     "bij Ravestein. Vraagprijs €14.950, bezichtigen in Woerden.", tags=["price-context", "second-hand"])
case("nl", RV_X, "Nee hoor, geen prijsfout! 😄 De Odari Citto staat tijdens de voorjaarsactie echt voor €15.995. "
     "Op = op.", kind="reply", tags=["price-denied"])
case("en", RV_IG, "Winter's coming ❄️ Our Winterset 17 inch now €679 incl. fitting at any Ravestein workshop.",
     tags=["sale"])
case("nl", pub("x", "@zuinigezeeuw"), "APK voor €25 bij een garage in Zeist, bij Ravestein €49. Scheelt best wat "
     "eigenlijk", tags=["other-company"])
case("nl", RV_FB, "Zorgeloos Onderhoud nu ook per maand te betalen: vanaf €19,95 per maand rij je zonder zorgen.",
     tags=["price-context"])
case("en", RV_LI, "Installing a VoltHome wallbox at home? Installation by our certified partner is €349 on top of "
     "the wallbox itself.", tags=["price-context"])
case("nl", SEM, "Drie kieviten op het grasveld achter de werkplaats vanochtend 🐦 lente!! #natuur", tags=["bird"])
case("nl", RV_IG, "In onze kinderhoek staat sinds vandaag een grote zandloper: de kids mogen zelf de tijd "
     "bijhouden tot papa's of mama's auto klaar is ⏳😄", tags=["codename-word"])
case("en", pub("x", "@range_anxiety"), "Test drove the Veltra Aero 7 at Ravestein today. That range is no joke. "
     "Might be my next car 🔋", when="2026-10-03T16:22:10+02:00", tags=["after-embargo"])
case("nl", RV_X, "Het wachten is voorbij: de Veltra Aero 7 staat vanaf nu in onze showrooms! ⚡ Plan je proefrit "
     "via ravestein-auto.nl", when="2026-09-15T10:00:00+02:00", tags=["after-embargo", "embargo-edge"])
case("nl", pub("blog", "dealernieuws.nl", "DealerNieuws"), "Ravestein Autogroep publiceerde vanochtend de "
     "halfjaarcijfers 2026: omzet +6%, vooral dankzij de werkplaatsen en lease.",
     when="2026-08-27T07:15:00+02:00", tags=["after-embargo", "published"])
case("nl", RV_FB, "Nieuw in onze webshop: ruitenwisserbladen voor bijna elk model, vandaag besteld = morgen in huis. "
     "👉 onderdelen.ravestein-auto.nl", tags=["public-domain"])
case("nl", RV_LI, "Gefeliciteerd aan onze 8 collega's die de interne opleiding tot APK-keurmeester hebben "
     "afgerond 🎓👏", tags=["near-marker"])
case("en", pub("x", "@freelance_fleur"), "Signed up for Ravestein Lease Flex last week, cancel any month. Nice for "
     "a freelancer like me 👍", when="2026-06-12T09:41:00+02:00", tags=["after-embargo"])
case("nl", pub("x", "@regio_vnd"), "Slecht nieuws uit de regio: bandengroothandel Vermeer in Veenendaal schrapt 60 "
     "banen. Sterkte aan iedereen daar.", tags=["other-company"])
case("nl", RV_LI, "Vanaf vandaag hoort Autobedrijf Terpstra in Zwolle bij Ravestein Autogroep! Welkom aan alle 23 "
     "nieuwe collega's 🤝", when="2026-04-01T09:00:00+02:00", tags=["published"])
case("en", RV_LI, "We're hiring! 6 mechanics and 2 APK inspectors for our workshops in Utrecht, Houten and "
     "Amersfoort. Apply via ravestein-auto.nl/vacatures", tags=["polite"])
case("nl", RV_SVC, "Gepland onderhoud: ons online afsprakensysteem is vannacht tussen 23:00 en 01:00 niet "
     "bereikbaar. Bellen kan altijd via 088-4020300.", tags=["official-notice", "own-contact"])
case("en", pub("x", "@paperlover"), "Reading about that parking app data breach today... glad my dealer at least "
     "still hands out paper invoices 😅", tags=["other-company"])
case("nl", SEM, "lifehack van de werkplaats: ruiten ijsvrij met een mengsel van water en spiritus, geen krabber "
     "nodig 🧊 #hack #winter", tags=["other-sense"])
case("nl", RV_X, "Update: de storing in ons afsprakensysteem van gisteren is opgelost. Er is geen sprake geweest van "
     "ongeautoriseerde toegang tot klantgegevens. Excuses voor het ongemak.", tags=["official-notice"])
case("en", pub("x", "@happyhatchback"), "Can't recall the last time a dealer washed my car for free after a "
     "service. Thanks Ravestein Houten! 🚿", tags=["other-sense"])
case("nl", pub("x", "@p_verbeek"), "@ravestein_service kunnen jullie me morgen even terugbellen over de offerte voor "
     "de distributieriem? Dank!", kind="reply", tags=["question", "other-sense"])
case("nl", KEVIN, "Kantine boycot sinds vandaag de oploskoffie. Eindelijk een echte espressomachine in de "
     "werkplaats ☕🙌", tags=["other-sense"])
case("nl", RV_FB, "Vandaag oefende de brandweer bij onze vestiging in Houten hoe je een brandende elektrische auto "
     "blust. Goed voorbereid zijn is alles 🚒", tags=["other-sense"])
case("nl", pub("facebook", "Hans Dekker"), "Geen klachten over Ravestein Amersfoort, auto binnen twee uur klaar en "
     "netjes uitgelegd wat er gedaan was 👍", kind="comment", tags=["negated"])
case("nl", pub("instagram", "@mo.rijdt"), "Top service van de werkplaats in Houten! Eindelijk een garage die gewoon "
     "eerlijk zegt wat wel en niet nodig is.", tags=["polite"])
case("en", pub("x", "@vanlife_vera"), "Does Ravestein do APK inspections for campervans as well or only cars?",
     tags=["question"])
case("nl", pub("x", "@tim_zeist"), "Al 3 weken wachten bij de dealer in Zeist op een simpele beurt. Misschien dan "
     "toch maar naar Ravestein?", tags=["other-company"])
case("en", pub("reddit", "u/dadjokes_daily"), "Mechanic joke from the guy at Ravestein today: 'I'm not saying your "
     "car is old, but the warranty was written in guilders.' 😂", tags=["joke"])
case("nl", RV_LI, "Ravestein fietst mee met Alpe d'HuZes: samen in actie tegen kanker 🚴 Sponsor ons team via de "
     "link!", tags=["mild-word"])
case("en", pub("x", "@diy_dirk"), "'How hard can it be?' — me, before trying to change my own brake pads. Booked "
     "Ravestein for Friday 😂", tags=["quote"])
case("en", pub("tiktok", "@carspotter.nl"), "that Aero 4 in the Ravestein showroom is sick af 🔥🔥", tags=["slang"])
case("en", pub("instagram", "@matte.fan"), "damn, that matte grey Citto in the Ravestein window 😍",
     tags=["mild-word"])
case("nl", MARIEKE, "Wat een zaterdag! Zes auto's afgeleverd, allemaal blije gezichten 😊 Dank aan iedereen die het "
     "mogelijk maakte.", tags=["sale"])
case("nl", RV_IG, "Open huis zaterdag 10-16u 🚗 Odari Citto al vanaf €18.750, Kaze Hybrid vanaf €31.495. Koffie en "
     "stroopwafels staan klaar!", tags=["sale"])
case("nl", pub("reddit", "u/omgedraaid"), "Leaseportal zei dat mijn BSN ongeldig was. Bleek dat ik twee cijfers had "
     "omgedraaid: <<BAD_BSN>> 🤦 nu werkt het wel", tags=["bad-checksum"])
case("nl", pub("x", "@pa_rijdt"), "Mijn zoon noemde mijn oude bak altijd een roestbak, nu rijdt pa in een Aero 4 😎 "
     "bedankt Ravestein!", tags=["mild-word"])
case("nl", RV_SVC, "Vervelend om te horen! Wilt u uw werkordernummer mailen naar werkplaats@ravestein-auto.nl? "
     "Dan belt een van onze serviceadviseurs u vandaag nog terug.", kind="reply", tags=["own-contact"])
case("nl", RV_FB, "Artikel van de week: VoltHome laadkabel type 2, 5 meter (EAN <<EAN13>>), nu €149 in de "
     "webshop.", tags=["price-context", "ean"])
case("en", JOYCE, "reminder for our customers: the workshop line for Amersfoort is 033-7601150, the 088 number is for "
     "everything else 🙂", tags=["own-contact"])
case("nl", pub("x", "@vraagje_nl"), "Ravestein z'n nummer is toch 030 711 4200? Of is dat alleen voor lease?",
     tags=["own-contact"])
case("en", pub("reddit", "u/inkslinger"), "In my novel the villain runs a car dealership and rolls back odometers. "
     "Pure fiction, no dealer I know actually does that 😅", tags=["fiction"])
case("nl", RV_TT, "Een dag uit het leven van onze APK-keurmeester 🔍🚗 wat checkt hij allemaal? #werkplaats "
     "#apk", tags=["polite"])


# ===========================================================================
# profile, roles, severity (CONTRACT section 4)
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


RANK = {s: i for i, s in enumerate(SEVERITIES)}


def severity_for(role, cats, pii_validated):
    insider = role in ("corporate", "employee")
    best = "none"
    for c in cats:
        if c.startswith("leak."):
            if insider:
                s = "critical" if (c in ("leak.secret", "leak.pricing")
                                   or (c == "leak.pii" and pii_validated)) else "error"
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
        best = s if RANK[s] > RANK[best] else best
    return best


# ===========================================================================
# building posts
# ===========================================================================

def cet_offset(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < \
        dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def pick_time(r):
    base = dt.datetime(2026, 1, 3, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(0, 355))
    local = base + dt.timedelta(minutes=r.randint(6 * 60 + 30, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = cet_offset(local)
    utc = local - dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.88:
        return local.strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def make_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    big = str(r.randint(1_880_000_000_000_000_000, 2_020_000_000_000_000_000))
    sc = "".join(r.choice(B64URL) for _ in range(11))
    if platform in ("x", "twitter"):
        return f"x-{big}", f"https://x.com/{h}/status/{big}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        return f"ig-{big}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}_{b}", f"https://www.facebook.com/{h.replace(' ', '.')}/posts/{b}"
    if platform == "reddit":
        p = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
        sub = r.choice(["thenetherlands", "autos_nl", "Utrecht", "cars"])
        if kind == "comment":
            c = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/{sub}/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/{sub}/comments/{p}/"
    if platform == "tiktok":
        return f"tt-{big}", f"https://www.tiktok.com/@{h}/video/{big}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={sc}&lc={c}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(112_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "threads":
        return f"th-{big}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-autoforum-{n}", f"https://www.autoforum.example/topic/{n}"
    if platform == "blog":
        n = r.randint(1000, 9999)
        return f"blog-{h}-{n}", f"https://{h}/artikel/{n}"
    n = r.randint(10 ** 8, 10 ** 9)
    return f"{platform}-{n}", None


def build(profile):
    fac = Factory(SEED)
    meta = random.Random(SEED + 11)
    order = random.Random(SEED + 23)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(fac, c["text"])
        pid, url = make_id(meta, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        created = c["when"] or pick_time(meta)
        role = role_of(profile, c["platform"], c["handle"])
        validated = "leak.pii" in c["cats"] and any(k in VALID_ID_KINDS for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and meta.random() < 0.65:
            kind = "post"
        if kind is not None:
            post["kind"] = kind
        acc = {"handle": c["handle"]}
        if c["display_name"] and meta.random() < 0.8:
            acc["display_name"] = c["display_name"]
        if meta.random() < 0.3:
            acc["id"] = str(meta.randint(10 ** 7, 10 ** 12))
        post["account"] = acc
        post["text"] = text
        tags = set(c["tags"])
        x = meta.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif x < 0.1:
            tags.add("no-lang-hint")
        elif x < 0.13:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            tags.add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.45:
            post["brand"] = "ravestein"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=tags, used=used))
    order.shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ===========================================================================
# checker: validates the file as an outsider would
# ===========================================================================

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
HIDDEN = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
CARD_IIN = re.compile(r"^(4|5[1-5]|2(22[1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)|3[47]|6011|65|35)")
IBAN_SHAPE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
DIGIT_RUN = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
DOTTED_BSN = re.compile(r"(?<![\w.])\d{4}\.\d{2}\.\d{3}(?![\w])")
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-()]{7,16}\d")
SECRETS = {
    "github": re.compile(r"\bghp_[A-Za-z0-9]{36}\b"),
    "gitlab": re.compile(r"\bglpat-[\w-]{20}\b"),
    "aws": re.compile(r"\bAKIA[A-Z2-7]{16}\b"),
    "mollie": re.compile(r"\blive_[A-Za-z0-9]{30}\b"),
    "sendgrid": re.compile(r"\bSG\.[\w-]{22}\.[\w-]{43}\b"),
    "google": re.compile(r"\bAIza[\w-]{35}\b"),
    "slack_hook": re.compile(r"hooks\.slack\.com/services/T\w+/B\w+/\w+"),
    "pem": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "jwt": re.compile(r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+"),
    "azure": re.compile(r"AccountKey=[A-Za-z0-9+/]{86}=="),
    "url_creds": re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s:/@]+:[^\s@/]+@"),
}
PW_WORDS = re.compile(r"(wachtwoord|password|\bww\b|\bpw\b)", re.I)
RUDE = ["kut", "kanker", "tering", "tyfus", "klote", "klootzak", "godverdomme", "debiel", "trut", "mongool",
        "sukkel", "prutser", "oplichter", "fuck", "f*ck", "shit", "idiot", "moron", "scum", "clown", "damn",
        "roestbak", "racist"]
RUDE_OK = {"kanker": "mild-word", "damn": "mild-word", "roestbak": "mild-word"}
ERROR_WORDS = ["prijsfout", "per ongeluk", "pricing error", "glitch", "price mistake", "typo", "dropped a digit",
               "komma", "moet 849 zijn"]


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(HIDDEN)
    t = "".join(" " if unicodedata.category(ch) == "So" else ch for ch in t)
    return re.sub(r"\s+", " ", t).casefold()


def squash(t):
    return re.sub(r"\b(\w) (?=\w\b)", r"\1", norm(t))


def ibans_in(text):
    out = []
    for m in IBAN_SHAPE.finditer(text):
        compact = m.group(0).replace(" ", "")
        for end in range(len(compact), 11, -1):
            if iban_valid(compact[:end]):
                out.append((compact[:end], True))
                break
        else:
            out.append((compact, False))
    return out


def valid_ids(text, own):
    hits = [("iban", v) for v, ok in ibans_in(text) if ok and v not in own]
    for m in DIGIT_RUN.finditer(text):
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19 and luhn_valid(d) and CARD_IIN.match(d):
            hits.append(("card", d))
    shapes = re.findall(r"(?<![\w.,-])\d{9}(?![\w]|[.,-]\d)", text)
    shapes += [m.group(0).replace(".", "") for m in DOTTED_BSN.finditer(text)]
    hits += [("bsn", d) for d in shapes if elfproef(d)]
    return hits


def phones_in(text):
    out = []
    for m in PHONE.finditer(IBAN_SHAPE.sub(" ", text)):
        raw = m.group(0)
        d = re.sub(r"\D", "", raw)
        if raw.startswith("+31"):
            d = d[2:]
        elif raw.startswith("0031"):
            d = d[4:]
        d = "0" + d.lstrip("0")
        out.append((raw, d))
    return out


AMOUNT = re.compile(r"(?:€\s?|eur\s?)(\d[\d.,]*)(?:,-)?|(\d[\d.,]*)(?:,-)?\s?(?:euro|eur)\b", re.I)


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


def price_ratio(text, products):
    t = norm(text).replace("ö", "o")
    hit = [p for p in products if any(a.casefold() in t for a in [p["name"]] + p["aliases"])]
    amts = [amount(m.group(1) or m.group(2)) for m in AMOUNT.finditer(t)]
    if not hit or not amts:
        return None
    return min(amts) / min(p["list_price"] for p in hit)


def check(lines, rows, profile):
    errors, notes = [], []
    own_mail = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_iban = {i.replace(" ", "") for i in profile["public_identifiers"]["ibans"]}
    own_tel = {phones_in(p)[0][1] for p in profile["public_identifiers"]["phones"]}
    embargo = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = ([c.casefold() for c in profile["internal"]["codenames"]]
                + [d.casefold() for d in profile["internal"]["domains"]]
                + [m.casefold() for m in profile["internal"]["markers"]])
    meta = {(r["post"]["platform"], r["post"]["id"]): r for r in rows}
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
                errors.append(f"{w}: post.{f} missing")
        if not isinstance(p.get("account", {}).get("handle"), str):
            errors.append(f"{w}: account.handle missing")
            continue
        if not 1 <= len(p["id"]) <= 256 or len(p["text"].encode()) > 65536:
            errors.append(f"{w}: id or text size")
        if p.get("kind", "post") not in KINDS:
            errors.append(f"{w}: kind")
        if p["platform"] not in PLATFORMS:
            notes.append(f"{w}: platform {p['platform']!r} unknown (treated as other)")
        if not RFC3339.match(p["created_at"]):
            errors.append(f"{w}: created_at {p['created_at']}")
            continue
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errors.append(f"{w}: not 2026")
        key = (p["platform"], p["id"])
        if key in seen:
            errors.append(f"{w}: duplicate id")
        seen.add(key)
        cats, sev = ex.get("categories"), ex.get("severity")
        if not isinstance(cats, list) or cats != sorted(set(cats)):
            errors.append(f"{w}: categories not sorted/unique")
            continue
        if any(c not in TAXONOMY or c == "reputation.spike" for c in cats):
            errors.append(f"{w}: bad category in {cats}")
        if sev not in SEVERITIES or (not cats and sev != "none"):
            errors.append(f"{w}: severity {sev}")
            continue
        role = role_of(profile, p["platform"], p["account"]["handle"])
        text = p["text"]
        ids = valid_ids(text, own_iban)
        want = severity_for(role, cats, "leak.pii" in cats and bool(ids))
        if sev != want:
            errors.append(f"{w}: severity {sev}, policy says {want} ({role})")
        r = meta.get(key)
        tags = r["tags"] if r else set()
        parsed.append((n, p, cats, sev, role, r))
        for kind, raw, shown in (r["used"] if r else []):
            if shown not in text:
                errors.append(f"{w}: {kind} not in text")
            bad = ((kind.startswith("IBAN_") and not iban_valid(raw))
                   or (kind == "CARD" and not (luhn_valid(raw) and CARD_IIN.match(raw)))
                   or (kind == "BSN" and not elfproef(raw))
                   or (kind == "BAD_IBAN_NL" and iban_valid(raw))
                   or (kind == "BAD_CARD" and luhn_valid(raw))
                   or (kind in ("BAD_BSN", "NOT_BSN9") and elfproef(raw))
                   or (kind == "EAN13" and (luhn_valid(raw) or not ean13_valid(raw))))
            if bad:
                errors.append(f"{w}: {kind} {raw} has the wrong checksum outcome")
            if kind == "GHP" and to_b62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errors.append(f"{w}: ghp checksum")
        if ids and "leak.pii" not in cats:
            errors.append(f"{w}: valid identifier {ids} without leak.pii")
        if r and any(k in VALID_ID_KINDS for k, _, _ in r["used"]) and not ids:
            errors.append(f"{w}: generated identifier not found by the scan")
        if not cats:
            for e in EMAIL.findall(text):
                if e.casefold() not in own_mail:
                    errors.append(f"{w}: benign has e-mail {e}")
            for raw, d in phones_in(text):
                if len(d) == 10 and d not in own_tel:
                    errors.append(f"{w}: benign has phone {raw}")
            for name, rx in SECRETS.items():
                for m in rx.finditer(text):
                    if "xxxxxxxx" in m.group(0):
                        continue
                    errors.append(f"{w}: benign has secret-like {name}")
            if PW_WORDS.search(text) and "question" not in tags:
                errors.append(f"{w}: benign mentions a password")
            low = norm(text)
            for word in RUDE:
                if re.search(r"\b" + re.escape(word), low):
                    if RUDE_OK.get(word) in tags:
                        notes.append(f"{w}: benign with mild/literal word {word!r}")
                    else:
                        errors.append(f"{w}: benign has rude word {word!r}")
        nt, sq = norm(text), squash(text)
        for term, until in embargo:
            if term in nt or term in sq:
                if ts < until and "leak.confidential" not in cats:
                    errors.append(f"{w}: embargo term {term!r} before {until} unlabelled")
                if ts >= until and "leak.confidential" in cats:
                    errors.append(f"{w}: embargo term {term!r} after {until} but labelled confidential")
        for term in internal:
            if re.search(r"(?<![\w.])" + re.escape(term) + r"(?!\w)", nt) or term in sq:
                if "leak.confidential" not in cats:
                    errors.append(f"{w}: internal term {term!r} unlabelled")
        ratio = price_ratio(text, profile["products"])
        limit = profile["pricing"]["alert_below_ratio"]
        if not cats and ratio is not None and ratio < limit:
            if "price-context" in tags:
                notes.append(f"{w}: benign price at {ratio:.2f} of list, not the product's own price")
            else:
                errors.append(f"{w}: benign with price at {ratio:.2f} of list")
        if "leak.pricing" in cats and not ((ratio is not None and ratio < limit)
                                           or any(x in sq for x in ERROR_WORDS)):
            notes.append(f"{w}: pricing positive without a parsed low price or error words")
        if "leak.secret" in cats and not (any(rx.search(text) for rx in SECRETS.values())
                                          or PW_WORDS.search(squash(text))):
            errors.append(f"{w}: secret positive without a secret shape")
    # near duplicates
    def shingles(t):
        ws = re.findall(r"\w+", norm(t))
        return {tuple(ws[i:i + 3]) for i in range(max(0, len(ws) - 2))}
    sh = [(n, shingles(p["text"])) for n, p, *_ in parsed]
    for i in range(len(sh)):
        for j in range(i + 1, len(sh)):
            a, b = sh[i][1], sh[j][1]
            if a and b and len(a & b) / len(a | b) > 0.25:
                errors.append(f"lines {sh[i][0]} and {sh[j][0]}: near-duplicate wording")
    return errors, notes, parsed


def stdnum_check(rows):
    try:
        from stdnum import iban as s_iban, luhn as s_luhn
        from stdnum.nl import bsn as s_bsn
    except ImportError:
        return "python-stdnum not installed: cross-check skipped"
    bad, n = [], 0
    for r in rows:
        for kind, raw, _ in r["used"]:
            expect_ok = {"IBAN_NL": (s_iban, True), "IBAN_BE": (s_iban, True), "BAD_IBAN_NL": (s_iban, False),
                         "CARD": (s_luhn, True), "BAD_CARD": (s_luhn, False), "EAN13": (s_luhn, False),
                         "BSN": (s_bsn, True), "BAD_BSN": (s_bsn, False), "NOT_BSN9": (s_bsn, False)}.get(kind)
            if expect_ok:
                n += 1
                mod, ok = expect_ok
                if mod.is_valid(raw) != ok:
                    bad.append((kind, raw))
    return f"python-stdnum disagrees on {bad}" if bad else f"python-stdnum agrees on all {n} identifiers"


def report(parsed):
    from collections import Counter
    cat, lang, role, plat, kind, sev, cl, cr = (Counter() for _ in range(8))
    benign = multi = evasion = 0
    for n, p, cats, s, ro, r in parsed:
        lg = r["lang"] if r else "?"
        lang[lg] += 1
        role[ro] += 1
        plat[p["platform"]] += 1
        kind[p.get("kind", "(default)")] += 1
        sev[s] += 1
        if not cats:
            benign += 1
        multi += len(cats) > 1
        evasion += bool(r and "evasion" in r["tags"])
        for c in cats or ["(benign)"]:
            cat[c] += 1
            cl[(c, lg)] += 1
            cr[(c, ro)] += 1
    print(f"cases {len(parsed)}  benign {benign}  positive {len(parsed) - benign}  multi {multi}  "
          f"evasion {evasion}")
    print(f"{'category':24s} total  nl  en  corp  empl  publ")
    for c in [t for t in TAXONOMY if t != "reputation.spike"] + ["(benign)"]:
        print(f"{c:24s} {cat[c]:5d} {cl[(c, 'nl')]:3d} {cl[(c, 'en')]:3d} {cr[(c, 'corporate')]:5d} "
              f"{cr[(c, 'employee')]:5d} {cr[(c, 'public')]:5d}")
    print("lang", dict(lang), "| role", dict(role))
    print("severity", {s: sev[s] for s in SEVERITIES})
    print("platform", dict(plat.most_common()))
    print("kind", dict(kind.most_common()))


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
        errors.append("cases.jsonl differs from the generator output")
    print(stdnum_check(rows))
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
