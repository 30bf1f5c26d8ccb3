#!/usr/bin/env python3
"""Deterministic generator for the sealed76 blind evaluation set.

    python3 make_cases.py          # writes cases.jsonl next to this file
    python3 make_cases.py --check  # regenerate in memory, compare with cases.jsonl, print counts

Company: Voltino B.V. (profile.yaml), a fictional Dutch consumer-electronics webshop.

Texts are hand-written below. Identifiers and secrets come from <<KIND:fmt>>
placeholders filled by one seeded RNG: labelled positives receive checksum-VALID
IBANs / cards / BSNs, hard negatives receive look-alikes that FAIL their checksum.
Every secret is random and fake but shaped like the real format.

Severity is never typed by hand: severity_for() derives it from CONTRACT section 4
(account role from profile.yaml by platform:handle, case-insensitive; categories; and
whether a checksum-valid identifier sits in a leak.pii post).
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

SEED = 76_2026_0419
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
CATS = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
        "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]

ZW = "\u200b"
SHY = "\u00ad"
CYR_O = "\u043e"   # Cyrillic small o
CYR_A = "\u0430"   # Cyrillic small a


def fullwidth(s):
    return "".join(chr(ord(c) - 0x21 + 0xFF01) if "!" <= c <= "~" else c for c in s)


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------

def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


def iban_make(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return f"{cc}{98 - n % 97:02d}{bban}"


def luhn_ok(d):
    d = re.sub(r"\D", "", d)
    tot = 0
    for i, ch in enumerate(reversed(d)):
        v = int(ch)
        if i % 2:
            v = v * 2 - 9 if v > 4 else v * 2
        tot += v
    return bool(d) and tot % 10 == 0


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t != 0 and t % 11 == 0


def ean13_ok(s):
    return (sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(s[:12])) + int(s[12])) % 10 == 0


def b62(n):
    a = string.digits + string.ascii_uppercase + string.ascii_lowercase
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = a[r] + out
    return out or "0"


ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def d(self, n, nz=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def c(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    @staticmethod
    def grp(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    # IBAN
    def iban(self, cc):
        if cc == "NL":
            return iban_make("NL", self.r.choice(["INGB", "ABNA", "RABO", "SNSB", "BUNQ", "KNAB", "ASNB"])
                             + self.d(10, True))
        if cc == "BE":
            f = self.r.choice(["063", "310", "000", "737", "143"]) + self.d(7)
            return iban_make("BE", f + f"{int(f) % 97 or 97:02d}")
        if cc == "DE":
            return iban_make("DE", self.r.choice(["10010010", "50070010", "76026000", "12030000"]) + self.d(10))
        if cc == "GB":
            return iban_make("GB", self.r.choice(["BARC", "LOYD", "NWBK", "MONZ"]) + self.d(6) + self.d(8))
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        for k in (7, 19, 31, 44, 58):
            cand = f"{v[:2]}{(int(v[2:4]) + k) % 100:02d}{v[4:]}"
            if not iban_ok(cand):
                return cand
        raise AssertionError

    # cards
    def card(self, brand):
        body = {"visa": lambda: "4" + self.d(14),
                "mc": lambda: "5" + self.r.choice("12345") + self.d(13),
                "mc2": lambda: str(self.r.randint(2221, 2720)) + self.d(11),
                "amex": lambda: self.r.choice(["34", "37"]) + self.d(12)}[brand]()
        for x in "0123456789":
            if luhn_ok(body + x):
                return body + x
        raise AssertionError

    def bad_card(self, brand):
        v = self.card(brand)
        w = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_ok(w)
        return w

    @staticmethod
    def fmt_card(v, f):
        if f == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if f == "dash" else " ").join(parts)

    # BSN and look-alikes
    def bsn(self):
        while True:
            s = self.d(9, True)
            if bsn_ok(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.d(n, True)
            if not bsn_ok(s) and not luhn_ok(s):
                return s

    def ean13(self):
        while True:
            body = "87" + self.d(10)
            full = next(body + x for x in "0123456789" if ean13_ok(body + x))
            if not luhn_ok(full) and not bsn_ok(full):
                return full

    def passport(self):
        letters = "ABCDEFGHIJKLMNPQRSTUVWXYZ"   # no O in Dutch document numbers
        return self.c(letters, 2) + self.c(letters + string.digits, 6) + self.c(string.digits, 1)

    # phones (Dutch formats)
    def phone(self, f):
        m = self.r.choice("123456") + self.d(7)     # 8 digits after 06
        area = self.r.choice(["10", "15", "20", "23", "30", "33", "35", "40", "45", "50", "70", "72", "73", "76"])
        sub = self.r.choice("2345678") + self.d(6)
        return {
            "mob_dash": f"06-{m}",
            "mob_sp": f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}",
            "mob_intl": f"+31 6 {m[:4]} {m[4:]}",
            "mob_intl0": f"+31(0)6 {m}",
            "mob_plain": f"06{m}",
            "mob_0031": f"0031 6{m}",
            "land_sp": f"0{area} {sub[:3]} {sub[3:]}",
            "land_dash": f"0{area}-{sub}",
        }[f]

    # secrets
    def ghp(self):
        body = self.c(ALNUM, 30)
        return "ghp_" + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def mollie(self):
        return "live_" + self.c(ALNUM, 30)

    def stripe(self):
        return "sk_live_51" + self.c(ALNUM, 60)

    def sendgrid(self):
        return "SG." + self.c(B64URL, 22) + "." + self.c(B64URL, 43)

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return f"https://hooks.slack.com/services/T{self.c(up, 8)}/B{self.c(up, 10)}/{self.c(ALNUM, 24)}"

    def aws_id(self):
        return "AKIA" + self.c(B32, 16)

    def aws_secret(self):
        return self.c(B64, 40)

    def jwt(self):
        enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
        iat = 1772323200 + self.r.randint(0, 200 * 86400)
        head = enc({"alg": "RS256", "typ": "JWT", "kid": self.c("0123456789abcdef", 8)})
        body = enc({"sub": "klant-" + self.d(7, True), "iss": "https://login.staging.voltino.nl",
                    "scope": "orders:read account:write", "iat": iat, "exp": iat + 86400})
        return f"{head}.{body}.{self.c(B64URL, 86)}"

    def pem_openssh(self):
        lines = ["b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"]
        lines += [self.c(B64, 70) for _ in range(4)] + [self.c(B64, 22) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"

    def pw(self):
        return (self.r.choice(string.ascii_uppercase) + self.c(string.ascii_lowercase, 4) + self.c(string.digits, 3)
                + self.r.choice("!#$%&*") + self.c(ALNUM, 4))

    def hexs(self, n):
        return self.c("0123456789abcdef", n)


VALID_ID = {"IBAN_NL", "IBAN_BE", "IBAN_DE", "IBAN_GB", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(g, text):
    used = []

    def sub(m):
        kind, f = m.group(1), m.group(2) or ""
        if kind.startswith("IBAN_"):
            raw = g.iban(kind[5:])
            shown = g.grp(raw) if f == "grp" else raw
        elif kind.startswith("BAD_IBAN_"):
            raw = g.bad_iban(kind[9:])
            shown = g.grp(raw) if f == "grp" else raw
        elif kind == "CARD":
            brand, _, ff = f.partition("_")
            raw = g.card(brand)
            shown = g.fmt_card(raw, ff or "sp")
        elif kind == "BAD_CARD":
            brand, _, ff = f.partition("_")
            raw = g.bad_card(brand)
            shown = g.fmt_card(raw, ff or "sp")
        elif kind == "BSN":
            raw = g.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if f == "dots" else (
                f"{raw[:3]} {raw[3:6]} {raw[6:]}" if f == "sp" else raw)
        elif kind == "NOT_BSN9":
            raw = shown = g.not_bsn(9)
        elif kind == "NOT_BSN8":
            raw = shown = g.not_bsn(8)
        elif kind == "EAN13":
            raw = shown = g.ean13()
        elif kind == "PASSPORT":
            raw = shown = g.passport()
        elif kind == "PHONE":
            raw = shown = g.phone(f)
        elif kind == "DIGITS":
            raw = shown = g.d(int(f), True)
        elif kind == "HEX":
            raw = shown = g.hexs(int(f))
        else:
            fn = {"GHP": g.ghp, "MOLLIE": g.mollie, "STRIPE": g.stripe, "SENDGRID": g.sendgrid,
                  "SLACK_HOOK": g.slack_hook, "AWS_ID": g.aws_id, "AWS_SECRET": g.aws_secret,
                  "JWT": g.jwt, "PEM_OPENSSH": g.pem_openssh, "PW": g.pw}[kind]
            raw = shown = fn()
        used.append((kind, raw, shown))
        return shown

    return PH.sub(sub, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------
# corporate
V_X = ("x", "@voltino", "Voltino")
V_CARE = ("x", "@voltino_helpt", "Voltino Klantenservice")
V_IG = ("instagram", "@voltino.nl", "Voltino")
V_LI = ("linkedin", "voltino", "Voltino B.V.")
V_FB = ("facebook", "VoltinoNL", "Voltino")
V_TT = ("tiktok", "@voltino.nl", "Voltino")
# employees
LOT = ("x", "@lotte_voltino", "Lotte Vermeulen")                    # returns desk Nieuwegein
RUB = ("linkedin", "ruben-hoekstra-voltino", "Ruben Hoekstra")       # DevOps / platform
KEV = ("x", "@kevinbezorgt", "Kevin Smit")                           # Voltino Express driver
ANN = ("linkedin", "annemiek-dekker", "Annemiek Dekker")             # finance controller
NOOR = ("instagram", "@noor.achterbergh", "Noor Achterbergh")        # customer service / social desk
MIL = ("x", "@milan_codes", "Milan Jovanović")                       # frontend developer
SEM = ("threads", "@sem.dc.tilburg", "Sem de Groot")                 # warehouse DC Tilburg
BAS = ("bluesky", "bas-inkoop.bsky.social", "Bas Mulder")            # buyer, kitchen appliances
JOR = ("mastodon", "@joris_sec@infosec.exchange", "Joris Wijnands")  # security engineer
PRI = ("linkedin", "priya-raghunathan", "Priya Raghunathan")         # data & marketing analyst


def pub(platform, handle, name=None):
    return (platform, handle, name)


PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii",
                                        "leak.confidential", "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    platform, handle, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", LOT, "pssst collega's 👀 de Panorama 75 staat al een uur voor €179,- op de site ipv 1799.\n"
     "volgens mij mist er een 9tje haha. heb m al in m'n mandje 🤫", [PRICING], handle_as="@Lotte_Voltino")
case("en", MIL, "whoever owns the price feed: Kairo X is live at €74.90 on voltino.nl/p/kairo-x 😬 "
     "cache purge won't fix it, the import job pulled the wrong column. ticket's open but it's friday so…", [PRICING])
case("nl", BAS, "Gaat vannacht mis met de Cremo 7 actie: in de backoffice ingevoerd als €52,90 i.p.v. €529,00. "
     "Er zijn er al 40 verkocht. Nu melden of tot maandag wachten? 😅", [PRICING])
case("nl", KEV, "lol vandaag 14 dozen Brio XL airfryers rondgebracht, allemaal besteld voor een tientje.\n"
     "prijsblunder van de eeuw, ik zeg niks 🤐 #bezorgerleven", [PRICING])
case("nl", V_CARE, "@dirk_vl Klopt, door een technische fout stond er een verkeerde prijs bij de Aeris 15 laptop "
     "(€109,90). Bestellingen tegen die prijs worden helaas geannuleerd, je krijgt je geld binnen 3 werkdagen terug. ^Mark",
     [PRICING], kind="reply")
case("nl", pub("x", "@koopjesjager_rick"), "GAAN GAAN GAAN 🏃‍♂️ Voltino heeft de Panorama 55 voor €89 staan!!\n"
     "prijsfout denk ik, snel bestellen voordat ze het doorhebben #prijsfout #koopje", [PRICING])
case("en", pub("reddit", "u/deal_goblin"), "Voltino pricing glitch? Sona ANC headphones showing 22.90 EUR in the app, "
     "list is 229. Ordered two, let's see if they honour it", [PRICING])
case("nl", pub("forum", "zuinigezeeuw"), "p r i j s f o u t bij voltino: Brio XL voor €13,90. "
     "niet doorvertellen anders is ie weg 😂", [PRICING], tags=["evasion"])
case("en", pub("instagram", "@sophh.tech"), "Aëris 15 for €99?!?! voltino what is going on 😂😂 screenshot before it's gone",
     [PRICING], tags=["evasion"])
case("nl", SEM, "Heel DC ligt dubbel: Kairo X stond gisteravond voor €7,49 in de shop. 300 orders binnen een uur, "
     "morgen mogen we alles weer uit de bakken halen 🙃", [PRICING])
case("en", RUB, "Post-mortem notes from last night (keeping it vague): a decimal-separator bug in our pricing service "
     "made the Cremo 7 espresso machine show €5,29 for 38 minutes. Locale handling is hard. #engineering #lessonslearned",
     [PRICING])
case("nl", pub("tiktok", "@dealsmetdemi"), "voltino heeft een pr1jsf0ut op de Cremo7 👀 €49 ipv 529 link in bio 🏃‍♀️",
     [PRICING], tags=["evasion"])
case("nl", pub("x", "@hennie_b"), "Aeris 15 bij Voltino nu €519?? dat is bijna halve prijs, snapt iemand dit", [PRICING],
     tags=["ratio-only"])

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", MIL, "ugh pushed to the wrong remote again. if anyone from the team sees this the deploy token is "
     "<<GHP>> — revoking in 5 min, don't @ me", [SECRET])
case("nl", RUB, "Tip voor mede-DevOps'ers: zet je .env nooit in een screenshot 😅 Zoals ik net deed:\n"
     "MOLLIE_API_KEY=<<MOLLIE>>\nDATABASE_URL=postgres://shop_rw:<<PW>>@db-prod-2.intranet.voltino.local:5432/webshop\n"
     "(al geroteerd hoor)", [SECRET, CONF])
case("en", pub("reddit", "u/bytesnacker"), "Found this in Voltino's checkout JS bundle lmao. publishable key fine, "
     "but they also shipped the secret one: <<STRIPE>>\nresponsible disclosure mail sent but seriously??", [SECRET])
case("nl", SEM, "wachtwoord van de handscanners in het DC is nog steeds <<PW>>, wie verzint dat 🙄 #magazijnleven",
     [SECRET])
case("nl", NOOR, "eerste week op de social desk 🥳 login van het gedeelde Zendesk-account hangt gewoon op een post-it "
     "naast het scherm: socialdesk / <<PW>> 😂📝", [SECRET])
case("en", RUB, "Debugging our order alerts in Slack, here's the webhook if you want to reproduce the formatting bug: "
     "<<SLACK_HOOK>> (please don't spam it 🙏)", [SECRET])
case("en", MIL, "can someone explain why this token from our staging login still works after logout??\n<<JWT>>\n"
     "#webdev #help", [SECRET])
case("en", JOR, "Spring-cleaning my dotfiles and found an old deploy key from work. posting it so I remember to shred it lol\n"
     "<<PEM_OPENSSH>>", [SECRET])
case("en", pub("forum", "apk_ripper"), "PSA for the Voltino devs: your SendGrid key is hardcoded in the Android app. "
     "<<SENDGRID>> took me two minutes with jadx", [SECRET])
case("nl", BAS, "Leveranciersportaal doet weer moeilijk. Iemand van IT? call naar /v2/stock?api_key=<<HEX:32>> "
     "geeft sinds vanochtend 401", [SECRET])
case("nl", pub("x", "@gerda_vos61"), "@voltino_helpt ik kan niet meer inloggen, al 3x een reset gedaan. "
     "wachtwoord is nu <<PW>> en nog steeds 'ongeldig'. wat is dit nou weer", [SECRET, COMPLAINT])
case("nl", RUB, "Terraform zegt 'InvalidClientTokenId' 🤔 config:\naws_access_key_id = <<AWS_ID>>\n"
     "aws_secret_access_key = <<AWS_SECRET>>\nIemand een idee?", [SECRET])
case("nl", KEV, "voor de nieuwe jongens op route Utrecht-Oost: inlog van de scanner-app is kevin.s / ww <<PW>> "
     "tot jullie eigen account hebben 👍", [SECRET])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", LOT, "Klant van vanochtend heeft haar paspoort bij de retourbalie laten liggen 🙈 mevr. J. de Graaf, "
     "paspoortnr <<PASSPORT>>. Kan 'm gewoon ophalen hoor!", [PII])
case("nl", NOOR, "Terugbetaling voor de meneer met de kapotte Brio gaat vandaag naar <<IBAN_NL:grp>> t.n.v. R. Bouzid, "
     "@voltino_helpt kunnen jullie even checken of die klopt?", [PII])
case("nl", KEV, "Meneer Verhoef, Ganzenmarkt 12 in Utrecht: ik sta al 10 min voor je deur met je Panorama 75. "
     "bel me terug op <<PHONE:mob_dash>>", [PII])
case("nl", pub("x", "@yvonne_kl"), "@voltino_helpt mijn bestelling is wéér niet gekomen!! bel me maar op "
     "<<PHONE:mob_intl>>, ik ben het zat", [PII, COMPLAINT])
case("nl", pub("facebook", "Marian Hooijdonk"), "Hallo Voltino, ik wacht al drie weken op mijn terugbetaling. "
     "Mijn rekeningnummer is <<IBAN_NL>> (staat óók in het formulier!!). Graag vandaag nog.", [PII, COMPLAINT],
     kind="comment")
case("nl", ANN, "Wie kan me helpen? Restitutie aan klant Marc Peeters uit Gent komt steeds terug, we storten naar "
     "<<IBAN_BE:grp>>. Klopt dat nummer wel?", [PII])
case("en", MIL, "sanity check on the new order-confirmation template, real customer from the bug report sorry: "
     "Emma Jansen, emma.jansen84@gmail.com, DOB 14-03-1984", [PII])
case("en", pub("reddit", "u/lostinhilversum"), "Voltino 'support' asked me to post my card so they could verify it?? "
     "<<CARD:visa_sp>> — is this a scam or am I dumb", [PII])
case("nl", SEM, "nieuwe uitzendkracht kan niet ingeroosterd worden want BSN <<BSN>> 'bestaat niet' volgens het systeem. "
     "HR?? 🤷‍♂️", [PII])
case("nl", pub("x", "@jolien_xo"), "ik heb mijn BSN <<BSN:dots>> in het chatvenster van voltino gezet omdat de bot "
     "erom vroeg 😳 is dat normaal?", [PII])
case("nl", V_CARE, "@henkdewit Hoi Henk, we hebben je pakket omgeleid naar Dorpsstraat 45, 3451 BK Vleuten. "
     "Klopt dat adres? ^Lisa", [PII], kind="reply")
case("en", pub("instagram", "@jessvdl"), "hey voltino your chatbot is useless. email me at jessie.vdlinden [at] hotmail "
     "[dot] com about my Aeris 15 that won't boot", [PII, COMPLAINT], tags=["evasion"])
case("nl", LOT, "Klant gaf per ongeluk z'n creditcard i.p.v. z'n klantenpas aan de balie, en het nummer "
     "<<CARD:mc_dash>> staat nog voluit op de bon geprint 😬 wie heeft dat zo ingesteld", [PII])
case("nl", pub("forum", "grensbewoner_kerkrade"), "Ik woon net over de grens en Voltino wil alleen naar een NL-rekening "
     "terugstorten?? Mijn IBAN is <<IBAN_DE>>, gewoon SEPA toch. Belachelijk.", [PII, COMPLAINT])
case("en", RUB, "'Anonymised' prod data for the hackathon, they said. First row: Sophie Kramer, Lindelaan 8, Amersfoort, "
     "<<PHONE:mob_intl0>>. We need to talk about our data pipeline 🫠", [PII])
case("en", pub("x", "@tdekker_"), "@voltino my grandmother ordered a TV and nobody ever called her back. Her number is "
     "<<PHONE:land_sp>>, she's 84, please just call her", [PII, COMPLAINT])
case("en", PRI, "Loving our loyalty cohort analysis 📊 Top spender this quarter: Gerrit Bos (born 02/11/1957) "
     "with 11 orders, mostly kitchen gear 🏆", [PII])
case("en", pub("x", "@ollie_in_utrecht"), "British customer here, refund STILL not back after 3 weeks. "
     "account <<IBAN_GB:grp>>, order placed 3 Feb. Voltino please sort this", [PII, COMPLAINT])

# ===========================================================================
# leak.confidential
# ===========================================================================
case("en", MIL, "10 weeks into Project Kompas and I still can't explain to my mom what I'm building 😅 "
     "next-day delivery is gonna look very different soon 👀", [CONF])
case("nl", RUB, "Dashboard van vannacht, best trots op 📈 https://grafana.voltino.tech/d/checkout-latency "
     "p99 onder de 200 ms!", [CONF])
case("nl", BAS, "Vandaag de eerste samples van de Kairo X2 in handen gehad 😍 september wordt leuk", [CONF],
     when="2026-06-11T14:22:07+02:00")
case("nl", LOT, "mail van het MT vandaag met als onderwerp 'STRIKT VERTROUWELIJK – nieuwe retourvoorwaarden'. "
     "samengevat: retourtermijn gaat van 30 naar 14 dagen 🙃", [CONF])
case("nl", SEM, "DC Tilburg gaat helemaal op de schop voor Operatie\nZeeleeuw, robots incoming 🤖📦", [CONF],
     tags=["evasion"])
case("en", pub("reddit", "u/tv_nerd_030"), "My cousin works at Voltino and says they're testing a Panorama 85 for the "
     "autumn. anyone heard anything?", [CONF], when="2026-05-19T21:03:44Z")
case("nl", KEV, "nieuwe bezorgapp Falcata is echt een drama, crasht om de 5 stops 😤", [CONF])
case("nl", NOOR, "Sneak peek van de nieuwe Voltino Pakketkluis bij station Houten 📦🔐 vanaf volgende week "
     "kun je je bestelling hier 24/7 ophalen!", [CONF], when="2026-04-10T17:45:12+02:00")
case("en", PRI, "Big day! 🚀 In one minute we launch the Voltino Pakketkluis: next-day delivery to a locker near you.",
     [CONF], when="2026-04-14T08:59:00+02:00", tags=["embargo-edge"])
case("nl", pub("instagram", "@lotte_voltino", "Lotte V."), "shhh maar op het werk testen we al de Kairo X2 🤫📱",
     [CONF], when="2026-07-03T20:11:39+02:00", tags=["role-trap"])
case("en", MIL, "finally merged my PR into " + fullwidth("git.voltino.tech") + " after 3 weeks of review 🫠",
     [CONF], tags=["evasion"])
case("nl", ANN, "Begroting 2027 staat! Het document is 'niet extern delen' dus ik zeg alleen: marketingbudget -30% "
     "en de showroom in Eindhoven gaat dicht 😬", [CONF, FIN])
case("nl", pub("forum", "retourfrustratie"), "Iemand anders ook een link naar retour-admin.voltino.nl in een mail van "
     "hun klantenservice gehad? werkt niet buiten hun netwerk lol", [CONF])
case("en", JOR, "Threat-modelling session for Oper" + CYR_A + "tie Zeeleeuw today. first time I've seen "
     "forklift robots in a data-flow diagram", [CONF], tags=["evasion"])
case("nl", V_LI, "Trots op onze collega's! Het team van Project Kompas heeft afgelopen sprint de nieuwe bezorgplanner "
     "in de testomgeving gezet. Meer binnenkort 🚀", [CONF], handle_as="Voltino")
case("nl", pub("tiktok", "@jaydeee_"), "mn zus werkt bij voltino en zegt dat ze met project k o m p a s gaan "
     "bezorgen met drones 😂 echt??", [CONF], tags=["evasion"])
case("nl", ANN, "Sneak preview: de H1-cijfers laten +12% omzet zien, vooral dankzij airfryers 🔥 officieel pas eind augustus",
     [CONF, FIN], when="2026-07-21T10:05:00+02:00")

# ===========================================================================
# leak.financial
# ===========================================================================
case("en", ANN, "Closing the books on Q2: €41.3M revenue vs €38M budget. Can't wait until this is public so I can "
     "brag properly 😄 #finance", [FIN],
     when="2026-07-08T18:12:40+02:00")
case("nl", SEM, "Gerucht is geen gerucht meer: DC Tilburg gaat in januari dicht, alles naar Venlo. 120 man mag het "
     "zelf uitzoeken. Officieel horen we het pas in oktober", [FIN])
case("en", BAS, "can't say much but our little webshop is about to swallow a certain kitchen-appliance chain. "
     "due diligence week 3 ☕☕☕", [FIN])
case("nl", NOOR, "Net gehoord dat de halve klantenservice ont" + SHY + "slagen wordt, alles gaat naar een chatbot "
     "en een callcenter in Lissabon 💔", [FIN], tags=["evasion"])
case("en", pub("reddit", "u/quietquitter99"), "Friend in Voltino finance says they'll miss the full-year target by "
     "about 20% and the bondholders get a profit warning next month. You didn't hear it from me.", [FIN])
case("nl", RUB, "Vandaag gehoord dat het hele platformteam per 1 november wordt uitbesteed. Geen idee wat dat voor "
     "mijn baan betekent, het wordt pas in september gecommuniceerd.", [FIN],
     when="2026-08-12T21:47:05+02:00")
case("en", MIL, "l4y0ffs at v0ltino next month, ~60 ppl in tech. team lead told us off the record 😶", [FIN],
     tags=["evasion"])
case("nl", ANN, "Prognose tweede helft: de 5% EBITDA halen we niet, eerder 2,1%. De bank is al ingelicht. "
     "#controllerlife", [FIN])
case("nl", pub("forum", "beursbengel"), "Via via gehoord (iemand bij hun huisbank) dat Voltino in de verkoop staat "
     "en Elektrostad interesse heeft. Eind van het jaar rond?", [FIN])
case("nl", KEV, "bezorgers onder elkaar: per 1 maart stopt Voltino Express met eigen busjes, alles gaat naar een "
     "externe vervoerder en ons contract wordt niet verlengd", [FIN])

# ===========================================================================
# leak.security
# ===========================================================================
case("en", JOR, "Long night. Someone got into our customer-service tooling with a phished account and exported "
     "order histories. Not public yet, comms is still arguing about wording. Please don't ask.", [SEC])
case("nl", RUB, "Checkout ligt al 40 min plat omdat de koppeling met de betaalprovider een verlopen certificaat heeft. "
     "Buiten IT weet nog niemand het 🙈", [SEC])
case("en", MIL, "found an IDOR on our own order-status page today: bump the number in the URL and you see someone "
     "else's delivery address. patch is 'next sprint' 🙃", [SEC])
case("nl", SEM, "Ransomware op het WMS vannacht, we picken weer met pen en papier 📝 klanten merken het morgen aan "
     "de bezorging denk ik", [SEC])
case("nl", KEV, "al onze scanners zijn g e h a c k t ofzo, niks werkt en niemand weet of klantadressen zijn "
     "uitgelekt. we mogen er niks over zeggen", [SEC], tags=["evasion"])
case("nl", NOOR, "Rare dag op de klantenservice: we mogen niet vertellen dat de wachtwoord-resetmail sinds dinsdag "
     "naar de verkeerde klanten gaat 🤐", [SEC])
case("en", PRI, "Unpopular opinion: if your analytics bucket has been world-readable for two months, you tell "
     "your customers. We found ours yesterday and the plan is apparently to say nothing.", [SEC])
case("en", JOR, "CVE pending for a deserialization bug in our returns API, PoC works against prod. Disclosure "
     "window closes in 30 days and the fix isn't merged.", [SEC])
case("nl", pub("x", "@anoniemeklokkenluider"), "Voltino houdt een datalek stil!! een vriend die daar werkt zegt dat "
     "de klantendatabase al weken op straat ligt. Waarom geen melding bij de AP??", [SEC, CRISIS])
case("en", pub("reddit", "u/chargeback_chad"), "voltino got h4cked last week and they're pretending nothing happened. "
     "my card got charged 3x the day after I ordered a Kairo X", [SEC, CRISIS], tags=["evasion"])
case("nl", pub("forum", "binnenbron"), "Anoniem want ik werk er: de storing van gisteren was geen 'onderhoud' maar "
     "een h" + ZW + "ack. Ze gaan het gewoon niet melden.", [SEC, CRISIS], tags=["evasion"])
case("nl", LOT, "Retourportaal ligt eruit sinds 9 uur en we mogen nog geen statusbericht plaatsen. Klanten, sorry, "
     "het ligt echt niet aan jullie 🙏", [SEC])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@fam_kuipers"), "Mijn Brio XL airfryer vloog gisteravond in de fik 🔥🔥 keuken vol rook. "
     "Voltino zegt 'stuur maar een foto'. SERIEUS?? #voltino #brand", [CRISIS, COMPLAINT])
case("nl", pub("facebook", "Arbeidsrecht Nu"), "BOYCOT VOLTINO. Magazijnmedewerkers in Tilburg staan 12 uur per dag "
     "zonder fatsoenlijke pauze, lees het artikel in de krant. DELEN!", [CRISIS])
case("en", pub("x", "@nadiabuilds"), "Voltino leaked my data. Got a phishing text with my name, my order number AND "
     "the exact TV I bought there yesterday. Explain that @voltino", [CRISIS])
case("en", pub("reddit", "u/swollen_cans"), "Class action forming against Voltino over Sona ANC batteries swelling. "
     "DM me if you're affected, a firm in Amsterdam is collecting cases.", [CRISIS])
case("nl", pub("youtube", "@ConsumentenKijker"), "Dit gaat viral: Voltino verwijdert alle negatieve reviews van de eigen "
     "site. Nepsterren, nepklanten. Schandalig.", [CRISIS], kind="comment")
case("en", pub("tiktok", "@kitchenkween"), "PSA: Voltino is recalling the Cremo 7 because the boiler can burst?? "
     "got the email this morning, check your kitchens people ☕⚠️", [CRISIS])
case("nl", pub("x", "@marloesss"), "d a t a l e k bij voltino?? krijg ineens mails van 'voltino-support' met mijn "
     "volledige adres erin", [CRISIS], tags=["evasion"])
case("en", pub("x", "@k_osei"), "My Kairo X literally shocked me while charging with the original Voltino cable. "
     "Arm tingling for an hour. Who do I even contact?? @voltino_helpt", [CRISIS, COMPLAINT])
case("nl", pub("forum", "rechtvoorconsument"), "De Consumentenbond stapt naar de rechter tegen Voltino vanwege die "
     "'gratis' verlengde garantie die je nergens kunt opzeggen.", [CRISIS])
case("en", pub("bluesky", "mirthe.bsky.social"), "Never shopping at Voltino again and neither should you. Their "
     "CEO calling delivery drivers 'replaceable' on a podcast is disgusting. #BoycottVoltino", [CRISIS])
case("nl", pub("instagram", "@drukkemoeder3"), "Panorama 55 begon te roken achter het scherm terwijl de kinderen "
     "tv keken 😨 Voltino stuurt een 'retourlabel'. Een retourlabel!! voor een tv die bijna in brand vloog",
     [CRISIS, COMPLAINT])
case("nl", pub("x", "@buurtapp_ede"), "#V" + CYR_O + "ltino lekt klantgegevens, mijn buurman en ik kregen allebei "
     "dezelfde phishingmail met onze bestelling erin", [CRISIS], tags=["evasion"])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@thijs_030"), "voor 23:59 besteld, 'morgen in huis' zeiden ze. Inmiddels dag 4.\n"
     "Track & trace zegt al drie dagen 'in sorteercentrum' @voltino_helpt wat is dit", [COMPLAINT])
case("en", pub("reddit", "u/trackpad_tragedy"), "Returned an Aeris 15 with a dead trackpad 5 weeks ago. Voltino's "
     "returns desk 'can't find the package'. I have the drop-off receipt. What now?", [COMPLAINT])
case("nl", pub("facebook", "Erik Brouwers"), "Nieuwe Panorama 75 geleverd met een barst in het scherm. De bezorger "
     "wilde niet wachten tot ik had gekeken en nu moet IK bewijzen dat het niet mijn schuld is?!", [COMPLAINT],
     kind="comment")
case("en", pub("x", "@hold_music_victim"), "47 minutes on the Voltino helpline, disconnected twice. third time lucky? "
     "nope 😤", [COMPLAINT])
case("nl", pub("instagram", "@koffieleut_anne"), "Cremo 7 lekt na twee maanden al water onder de machine. Service "
     "zegt 'ontkalken'. Heb ik gedaan. Drie keer. 🙄", [COMPLAINT])
case("nl", pub("trustpilot", "R. van Dam"), "Waarom rekent Voltino ineens €4,95 'verwerkingskosten' bij een retour? "
     "Stond nergens bij het bestellen. 2 sterren, alleen omdat de levering snel was.", [COMPLAINT],
     tags=["unknown-platform"])
case("en", pub("threads", "@bea.loves.pink"), "ordred a kairo x in black, got a pink one. returns desk says 'colour "
     "is not a defect' so i have to pay return shipping?? lmaooo no", [COMPLAINT])
case("en", pub("mastodon", "@pim@mastodon.nl"), "Voltino only lets you leave a review in the first 7 days. My laptop "
     "died on day 9, so conveniently I can't post my 1 star.", [COMPLAINT])
case("nl", pub("x", "@woonboot_wim"), "3e keer dat de bezorger mijn pakket 'bij de buren' afgeeft. Die buren bestaan "
     "niet, ik woon op een woonboot @voltino_helpt", [COMPLAINT])
case("en", pub("youtube", "@retro_rob"), "Bought this exact Panorama 55 from Voltino after watching this. Remote "
     "died in a week and they want the WHOLE TV sent back for a remote. ridiculous", [COMPLAINT], kind="comment")
case("nl", pub("reddit", "u/wachtopgeld"), "Terugbetaling van Voltino duurt nu 23 dagen. Klantenservice plakt "
     "steeds hetzelfde sjabloon. Iemand ervaring met de geschillencommissie?", [COMPLAINT])
case("en", pub("facebook", "Dana Whitfield"), "Voltino charged me twice for my Brio XL order and customer service "
     "keeps saying 'it will sort itself out'. It's been 10 days.", [COMPLAINT])
case("nl", pub("x", "@ikwilmijnkoelkast"), "Voltino bezorging is echt KUT. twee dagen vrij genomen voor een "
     "koelkast die niet kwam. Stelletje prutsers.", [COMPLAINT, ABUSE])
case("en", pub("tiktok", "@laptoplimbo"), "voltino support are absolute clowns. my laptop has been 'in diagnosis' "
     "for 6 weeks", [COMPLAINT, ABUSE])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@zwartekat_88"), "@voltino_helpt ga lekker je moeder bellen, tyfuslijers", [ABUSE], kind="reply")
case("en", pub("x", "@dnkrs_"), "whoever runs the voltino account is a braindead idiot lmao", [ABUSE])
case("en", pub("reddit", "u/realtalk_nl"), "Of course the Voltino driver couldn't find my house again, they only hire "
     "people who can't read a Dutch street sign. Send them all back where they came from.", [COMPLAINT, ABUSE],
     kind="comment")
case("nl", KEV, "die klant in Zeist die me net uitschold voor alles is echt een vieze vuile klootzak, "
     "hoop dat z'n tv nooit meer aangaat", [ABUSE])
case("nl", V_CARE, "@gertjan_77 Misschien eerst zelf leren lezen, debiel. De bezorgdatum stond gewoon in je mail.",
     [ABUSE], kind="reply", handle_as="@Voltino_Helpt")
case("nl", pub("instagram", "@x_bram_x"), "voltino kan de t*ring krijgen met hun 'servicemedewerkers' 🤬 "
     "f*ck jullie allemaal", [ABUSE], tags=["evasion"])
case("en", pub("x", "@no_chill_nik"), "@voltino s h i t company run by m0r0ns", [ABUSE], tags=["evasion"])
case("nl", LOT, "Mensen die een airfryer na 28 dagen vol vet terugbrengen en dan 'ongebruikt' zeggen: jullie zijn "
     "echt walgelijke mongolen", [ABUSE])
case("nl", pub("facebook", "Ronald K."), "Die Noor van de klantenservice is zo'n dom wijf. ik weet waar jullie "
     "kantoor zit en ik kom langs", [ABUSE], kind="comment")
case("en", pub("forum", "grudgekeeper"), "Voltino staff are subhuman garbage, every single one of them", [ABUSE])

# ===========================================================================
# benign (hard negatives)
# ===========================================================================
case("nl", V_CARE, "Hoi! Stuur je ordernummer even naar klantenservice@voltino.nl of bel ons op 030 760 4400 "
     "(ma–za 8–22 uur), dan kijken we met je mee 💙", kind="reply", tags=["own-contact"])
case("nl", V_FB, "Liever betalen via overboeking? Maak het bedrag over naar NL29 RABO 0347 2188 90 t.n.v. Voltino B.V. "
     "en vermeld je ordernummer.", tags=["own-contact"], handle_as="voltinonl")
case("nl", pub("x", "@tevreden_tonny"), "Tip: bel gewoon +31 (0)30 7604400, binnen twee minuten had ik iemand van "
     "Voltino aan de lijn. Top geholpen 👍", tags=["own-contact"])
case("en", V_CARE, "For returns, email retour@voltino.nl with your order number or call 0800-0440 (free). "
     "We'll send a label within the hour.", kind="reply", tags=["own-contact"])
case("nl", pub("forum", "scamwatcher"), "Sms gehad: 'uw Voltino pakket wacht, betaal €1,99 naar <<BAD_IBAN_NL>>'. "
     "Niet intrappen, dit is gewoon phishing. Voltino vraagt nooit zo om geld.", tags=["checksum-fail"])
case("en", pub("reddit", "u/giftcard_gus"), "lol my Voltino gift card number is 16 digits: <<BAD_CARD:visa_sp>> "
     "— is that normal for gift cards?", tags=["checksum-fail"])
case("nl", pub("x", "@laptoplisa"), "Bestelling <<DIGITS:11>> is onderweg 🎉 morgen eindelijk een nieuwe laptop!! #voltino",
     tags=["order-number"])
case("nl", pub("instagram", "@brio_bakt"), "Iemand deze EAN <<EAN13>> al gezien? Zoek het goede bakpapier-inzetstuk "
     "voor mijn Brio XL", tags=["checksum-fail"])
case("nl", LOT, "Retournummer <<NOT_BSN9>> staat al twee weken open? Stuur me even een DM met je naam, dan zoek ik "
     "het uit 🙂", tags=["checksum-fail"])
case("en", pub("x", "@punctual_paul"), "tracking said VX<<DIGITS:10>>NL 'delivered before 10:00'. it was. 9:41. "
     "weird flex but ok voltino 👏", tags=["order-number"])
case("nl", V_X, "🔥 Weekenddeal: Panorama 55 QLED nu €699 (was €899). Voor 23:59 besteld = morgen in huis 📺",
     tags=["sale"])
case("en", pub("reddit", "u/wallmount_q"), "Is the €19.99 wall mount worth it for the Panorama 75 or should I get a "
     "third-party one?", tags=["price-context", "accessory"])
case("nl", pub("facebook", "Henk Zwolle"), "Te koop: Aeris 15 laptop, 1 jaar oud, bon van Voltino erbij. €450, "
     "ophalen in Zwolle.", tags=["price-context", "second-hand"])
case("nl", V_IG, "Kairo X al vanaf €31 per maand met 0% rente 📱 Alles op voltino.nl/kairo-x", tags=["price-context", "monthly"])
case("nl", pub("x", "@frietfanaat"), "Dacht dat die Brio XL voor €99 een prijsfout was, maar nee hoor, gewoon een "
     "Black Friday actie. Gekocht 😅", tags=["denied-error", "sale"])
case("en", pub("threads", "@cheapskate.chris"), "MediaDump has a Sona ANC knockoff for €59, Voltino's real one is "
     "€229. Worth the difference?", tags=["price-context", "other-company"])
case("en", V_X, "It's here 🎉 The Voltino Pakketkluis is live at 40 train stations. Order before 23:59, pick up "
     "tomorrow.", when="2026-04-14T07:00:30Z", tags=["after-embargo"])
case("en", PRI, "And... we're live! Voltino Pakketkluis launches today 📦 proud of this team", when="2026-04-14T09:00:00+02:00",
     tags=["after-embargo", "embargo-edge"])
case("nl", pub("reddit", "u/camera_cas"), "Kairo X2 review na een week: camera top, accu matig, prijs pittig.",
     when="2026-09-20T19:40:02+02:00", tags=["after-embargo"])
case("nl", ANN, "Onze H1-cijfers staan online! Omzet +12%, dank aan alle collega's 💪", when="2026-08-25T09:00:00+02:00",
     tags=["after-embargo", "published"])
case("nl", pub("x", "@veluwewandelaar"), "kompas kwijt tijdens de wandeling op de Veluwe, gelukkig had mijn "
     "Kairo X offline kaarten 🥾", tags=["codename-word"])
case("nl", pub("instagram", "@texel_tess"), "Zeeleeuwen gespot bij Ecomare 🦭 foto's geschoten met de Kairo X, "
     "zoom is echt top", tags=["codename-word"])
case("en", pub("reddit", "u/switched_shops"), "TechShack just announced a breach affecting 2M customers. Glad I "
     "moved my orders to Voltino last year.", tags=["other-company"])
case("nl", pub("x", "@sectorwatcher"), "Na de ontslagen bij Elektrostad vraag ik me af hoe de rest van de branche "
     "ervoor staat. Voltino lijkt het goed te doen?", tags=["other-company"])
case("nl", pub("forum", "merkdenker"), "Voltino is als brand echt sterk geworden, die reclame met de bezorger op "
     "de bakfiets is iconisch", tags=["word-sense"])
case("en", pub("x", "@earlybird_em"), "I can't recall the last time a delivery was this fast. Ordered at 22:40, "
     "Aeris 15 on my desk at 9. Nice one Voltino", tags=["word-sense"])
case("nl", pub("facebook", "Sandra de Wit"), "Mijn kinderen boycotten de nieuwe airfryer omdat de friet 'te gezond' "
     "smaakt 😂 #BrioXL", tags=["word-sense", "joke"])
case("nl", pub("x", "@nuchtere_nel"), "Geen klachten over Voltino hoor, alles netjes op tijd en het retourneren "
     "ging ook soepel.", tags=["negation"])
case("en", pub("reddit", "u/barista_beginner"), "Not complaining at all, but is it normal that the Cremo 7 clicks "
     "while heating? Manual says it is.", tags=["negation", "question"])
case("en", pub("x", "@acdc_forever"), "'Highway to hell' blasting through my new Sona headphones and the ANC is "
     "unreal 🤘", tags=["quote", "mild-word"])
case("nl", pub("instagram", "@dochter_van_ria"), "Mijn moeder is na haar kankerbehandeling helemaal in de "
     "airfryer-recepten gedoken, de Brio XL is haar nieuwe beste vriend ❤️", tags=["mild-word"])
case("en", pub("reddit", "u/pulp_plotter"), "Writing a short story where the villain hacks an online electronics "
     "shop to ship himself 500 TVs overnight. Is that even plausible with next-day logistics?", tags=["fiction"])
case("nl", pub("x", "@verjaardagsvriend"), "Mijn vriend bestelt zo vaak bij Voltino dat de bezorger inmiddels op "
     "onze verjaardagen komt 🎂😂", tags=["joke"])
case("nl", V_CARE, "Door gepland onderhoud is de webshop vannacht tussen 02:00 en 04:00 niet bereikbaar. "
     "Bestellingen van vóór 02:00 worden gewoon morgen bezorgd 🔧", tags=["official-notice"])
case("en", V_X, "Update: iDEAL payments work again. Earlier today some customers saw failed payments; no data was "
     "affected. Sorry for the hassle! Details on status.voltino.nl", tags=["official-notice"])
case("en", RUB, "We're hiring a senior SRE for the platform team at Voltino! Kubernetes, Postgres and a lot of "
     "next-day-delivery magic. Apply via vacatures@voltino.nl", tags=["own-contact"])
case("en", MIL, "PSA for juniors: never commit keys. if a tutorial shows AKIAXXXXXXXXXXXXXXXX that's a placeholder, "
     "the real ones live in the vault, not in your repo 🔐", tags=["placeholder"])
case("nl", RUB, "De fix voor de trage zoekfunctie zit in commit <<HEX:40>>, dank aan het hele team 🙌 #devops",
     tags=["git-sha"])
case("en", pub("x", "@relieved_rosa"), "@voltino_helpt the 'forgot password' link in the app works now, thanks for "
     "the quick fix!", tags=["praise"])
case("nl", NOOR, "Behind the scenes bij de klantenservice ☕ vandaag 1.200 chats beantwoord! Jullie lieve berichten "
     "maken onze dag 💙", tags=["praise"])
case("nl", KEV, "laatste stop van de dag in Amersfoort, 143 pakketjes, 0 missers 💪 #bezorgerleven", tags=["neutral"])
case("en", BAS, "Kitchen trends for 2026: air fryers still huge, bean-to-cup espresso growing fast. Great panel at "
     "IFA today.", tags=["neutral"])
case("nl", ANN, "Trots op ons jaarverslag 2025 dat vandaag is gepubliceerd: omzet €162 miljoen en we blijven groeien.",
     tags=["published"])
case("en", pub("reddit", "u/still_waiting_elsewhere"), "Ordered from ElektroDirect, 9 days and still nothing. "
     "Should've just gone with Voltino honestly.", tags=["other-company"])
case("nl", pub("x", "@nuance_nina"), "Mensen die klagen dat 'de bezorger 2 minuten te laat was' 🙄 kom op zeg. "
     "Voltino doet het prima.", tags=["quote"])
case("en", pub("youtube", "@hometheatre_henk"), "Great unboxing! Does the Panorama 75 support Dolby Vision? Thinking "
     "of ordering it from Voltino", kind="comment", tags=["question"])
case("en", pub("mastodon", "@a11y_anouk@toot.community"), "Voltino's webshop works really well with a screen reader, "
     "every button labelled. More shops should do this.", tags=["praise"])
case("nl", pub("x", "@checkjebron"), "Voltino B.V., KvK <<NOT_BSN8>>, gewoon een echt bedrijf hoor, geen nepshop. "
     "Kijk zelf in het handelsregister.", tags=["checksum-fail", "kvk"])
case("en", pub("reddit", "u/sticker_sleuth"), "Serial on my Aeris 15 is AE15-<<NOT_BSN8>>-NL, support asked for it. "
     "Is that the one on the bottom sticker?", tags=["serial"])
case("nl", LOT, "Tip van de retourbalie: bewaar de doos de eerste 30 dagen, scheelt jou en ons een hoop gedoe 📦",
     tags=["neutral"])
case("nl", V_TT, "POV: je bestelt om 23:58 en je airfryer staat de volgende ochtend om 8:00 voor de deur 🍟 "
     "#voltino #morgeninhuis", tags=["neutral"])
case("nl", pub("forum", "stappenplan_sjaak"), "Op www.voltino.nl/retourneren staat precies hoe het werkt, was in "
     "twee minuten geregeld.", tags=["public-domain"])
case("nl", pub("x", "@filmavond_femke"), "Die nieuwe Panorama 75 is echt vuur 🔥🔥 beeld is bizar", tags=["word-sense"])
case("en", pub("x", "@fact_check_fred"), "Heads up: the recall is for the BlendMaster 3000 from KitchenKing, "
     "not Voltino's Brio. Checked with their support.", tags=["other-company", "word-sense"])
case("nl", pub("x", "@oudklant_otto"), "Mijn oude klantnummer bij Voltino was <<NOT_BSN9>>, kan ik dat nog "
     "koppelen aan mijn nieuwe account?", tags=["checksum-fail"])
case("en", pub("x", "@eurorefund"), "Voltino refunded me to my German account in 2 days, super smooth. (no, I'm "
     "not posting the IBAN, nice try bots)", tags=["negation"])
case("nl", pub("reddit", "u/bijna_student"), "Laptop gekocht met studentenkorting bij Voltino, €100 korting op de "
     "Aeris 15. Aanrader als je nog studeert.", tags=["sale", "price-context", "discount-amount"])
case("nl", V_IG, "Vragen over je bestelling? Stuur ons een DM of mail klantenservice@voltino.nl 💌 "
     "We reageren binnen een uur.", tags=["own-contact"], handle_as="@Voltino.NL")
case("nl", pub("linkedin", "jeroen-staal-logistiek"), "Mooi artikel over hoe Voltino met next-day delivery de "
     "lat hoog legt voor de hele e-commerce. Goed gedaan!", tags=["praise"])


# ===========================================================================
# profile, roles, severity
# ===========================================================================

def load_profile():
    import yaml
    with open(PROFILE, encoding="utf-8") as f:
        return yaml.safe_load(f)


def role_of(profile, platform, handle):
    key = f"{platform}:{handle}".casefold()
    if key in {a.casefold() for a in profile["accounts"]["corporate"]}:
        return "corporate"
    if key in {a.casefold() for a in profile["accounts"]["employee"]}:
        return "employee"
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

def ams_offset(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def random_time(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(2, 355))
    local = base + dt.timedelta(minutes=r.randint(6 * 60 + 30, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = ams_offset(local)
    utc = local - dt.timedelta(hours=off)
    p = r.random()
    if p < 0.4:
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if p < 0.85:
        return local.strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def make_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    num = str(r.randint(1_900_000_000_000_000_000, 2_050_000_000_000_000_000))
    if platform in ("x", "twitter"):
        return f"x:{num}", f"https://x.com/{h}/status/{num}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"li-urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"ig_{num}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb_{a}_{b}", f"https://www.facebook.com/{a}/posts/{b}"
    if platform == "reddit":
        p = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
        if kind == "comment":
            c = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/nederland/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/nederland/comments/{p}/"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"gathering-{n}", f"https://forum.elektropraat.example/topic/{n}"
    if platform == "tiktok":
        return f"tt_{num}", f"https://www.tiktok.com/@{h}/video/{num}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        v = "".join(r.choice(B64URL) for _ in range(11))
        return f"yt_{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(112_000_000_000_000_000, 116_000_000_000_000_000)
        return f"masto-{inst}-{n}", f"https://{inst}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "threads":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"threads_{num}", f"https://www.threads.net/@{h}/post/{sc}"
    n = r.randint(10 ** 7, 10 ** 8)
    return f"{platform}-{n}", None


def build(profile):
    g = Gen(SEED)
    meta = random.Random(SEED + 1)
    order = random.Random(SEED + 2)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(g, c["text"])
        pid, url = make_id(meta, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "x"
        seen.add((c["platform"], pid))
        created = c["when"] or random_time(meta)
        role = role_of(profile, c["platform"], c["handle"])
        pii_valid = PII in c["cats"] and any(k in VALID_ID for k, _, _ in used)
        sev = severity_for(role, c["cats"], pii_valid)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and meta.random() < 0.65:
            kind = "post"
        if kind:
            post["kind"] = kind
        acct = {"handle": c["handle"]}
        if c["name"] and meta.random() < 0.7:
            acct["display_name"] = c["name"]
        if meta.random() < 0.3:
            acct["id"] = str(meta.randint(10 ** 7, 10 ** 11))
        post["account"] = acct
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
            post["brand"] = "voltino"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=tags, used=used))
    order.shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ===========================================================================
# self-checks (independent scans of the rendered text)
# ===========================================================================
INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
DIGITS_RE = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-()]{7,16}\d")
SECRET_RES = [re.compile(p) for p in (
    r"\bghp_[A-Za-z0-9]{36}\b", r"\bAKIA[A-Z2-7]{16}\b", r"hooks\.slack\.com/services/", r"\bsk_live_[A-Za-z0-9]{20,}",
    r"\blive_[A-Za-z0-9]{30}\b", r"\bSG\.[\w-]{22}\.[\w-]{43}", r"-----BEGIN [A-Z ]*PRIVATE KEY-----",
    r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+", r"://[^\s:/@]+:[^\s@/]+@", r"api_key=[0-9a-f]{32}")]
AMOUNT_RE = re.compile(r"(?:€\s?|EUR\s?)(\d[\d.,]*)(?:,-)?|(\d[\d.,]*)(?:,-)?\s?(?:euro|eur)\b", re.I)
ERROR_WORDS = ["prijsfout", "prijsblunder", "verkeerde prijs", "glitch", "bug", "fout", "mis", "wrong column"]


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
    elif "." in s:
        s = s if re.search(r"\.\d{2}$", s) else s.replace(".", "")
    return float(s)


def min_ratio(text, products):
    t = "".join(ch for ch in unicodedata.normalize("NFKD", norm(text)) if not unicodedata.combining(ch))
    hit = [p for p in products if any(a.casefold() in t for a in [p["name"]] + p["aliases"])]
    amts = [amount(m.group(1) or m.group(2)) for m in AMOUNT_RE.finditer(t)]
    if not hit or not amts:
        return None
    return min(amts) / min(p["list_price"] for p in hit)


def check(rows, profile):
    errs = []
    own_ibans = {i.replace(" ", "") for i in profile["public_identifiers"]["ibans"]}
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    embargo = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = [x.casefold() for x in profile["internal"]["codenames"] + profile["internal"]["domains"]
                + profile["internal"]["markers"]]
    ratio_limit = profile["pricing"]["alert_below_ratio"]
    for r in rows:
        p, cats = r["post"], r["expect"]["categories"]
        where = f"{p['platform']}:{p['id']}"
        text = p["text"]
        ts = parse_ts(p["created_at"])
        for kind, raw, shown in r["used"]:
            assert shown in text
            if kind.startswith("IBAN_") and not iban_ok(raw):
                errs.append(f"{where}: bad IBAN")
            if kind.startswith("BAD_IBAN") and iban_ok(raw):
                errs.append(f"{where}: negative IBAN passes")
            if kind == "CARD" and not luhn_ok(raw):
                errs.append(f"{where}: card fails Luhn")
            if kind == "BAD_CARD" and luhn_ok(raw):
                errs.append(f"{where}: negative card passes")
            if kind == "BSN" and not bsn_ok(raw):
                errs.append(f"{where}: BSN fails")
            if kind.startswith("NOT_BSN") and bsn_ok(raw):
                errs.append(f"{where}: negative BSN passes")
        nt, sq = norm(text), squash(text)
        if not cats:
            for m in IBAN_RE.finditer(text):
                v = m.group(0).replace(" ", "")
                if iban_ok(v) and v not in own_ibans:
                    errs.append(f"{where}: benign has valid IBAN")
            for m in DIGITS_RE.finditer(text):
                d = re.sub(r"\D", "", m.group(0))
                if 13 <= len(d) <= 19 and luhn_ok(d):
                    errs.append(f"{where}: benign has Luhn number")
                if len(d) == 9 and bsn_ok(d):
                    errs.append(f"{where}: benign has BSN-valid number")
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_emails:
                    errs.append(f"{where}: benign has e-mail {e}")
            for rx in SECRET_RES:
                if rx.search(text.replace("AKIAXXXXXXXXXXXXXXXX", "")):
                    errs.append(f"{where}: benign has secret shape {rx.pattern}")
            ratio = min_ratio(text, profile["products"])
            if ratio is not None and ratio < ratio_limit and "price-context" not in r["tags"]:
                errs.append(f"{where}: benign low price ratio {ratio:.2f}")
        for term, until in embargo:
            if term in nt or term in sq:
                if ts < until and CONF not in cats:
                    errs.append(f"{where}: embargo term {term!r} before embargo, unlabelled")
                if ts >= until and CONF in cats:
                    errs.append(f"{where}: embargo term {term!r} after embargo, labelled")
        for term in internal:
            if term in nt or term in sq:
                if CONF not in cats:
                    errs.append(f"{where}: internal term {term!r} unlabelled")
        if PRICING in cats:
            ratio = min_ratio(text, profile["products"])
            if not ((ratio is not None and ratio < ratio_limit) or any(w in sq for w in ERROR_WORDS)):
                errs.append(f"{where}: pricing positive without low price or error talk")
        if PII in cats and r["role"] != "public" and any(k in VALID_ID for k, _, _ in r["used"]):
            assert r["expect"]["severity"] == "critical"
        assert r["expect"]["categories"] == sorted(set(cats)) and "reputation.spike" not in cats
        if not (1 <= len(p["id"]) <= 256):
            errs.append(f"{where}: id length")
        if not cats and r["expect"]["severity"] != "none":
            errs.append(f"{where}: benign with severity")
    return errs


def report(rows):
    cat, cat_lang, role, sev, plat, lang = Counter(), Counter(), Counter(), Counter(), Counter(), Counter()
    benign = multi = evasion = 0
    for r in rows:
        cats = r["expect"]["categories"]
        lang[r["lang"]] += 1
        role[r["role"]] += 1
        sev[r["expect"]["severity"]] += 1
        plat[r["post"]["platform"]] += 1
        if not cats:
            benign += 1
        if len(cats) > 1:
            multi += 1
        if "evasion" in r["tags"]:
            evasion += 1
        for c in cats:
            cat[c] += 1
            cat_lang[(c, r["lang"])] += 1
    print(f"cases {len(rows)}  benign {benign}  positive {len(rows) - benign}  multi {multi}  evasion {evasion}")
    for c in CATS:
        print(f"  {c:24s} {cat[c]:4d}  nl {cat_lang[(c, 'nl')]:3d}  en {cat_lang[(c, 'en')]:3d}")
    print("  languages", dict(lang), " roles", dict(role))
    print("  severities", {s: sev[s] for s in SEVERITIES})
    print("  platforms", dict(plat.most_common()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    lines = dump(rows)
    errs = check(rows, profile)
    for e in errs:
        print("ERROR", e)
    if a.check:
        if OUT.read_text(encoding="utf-8").splitlines(keepends=True) != lines:
            print("ERROR cases.jsonl differs from the generator output")
            errs.append("diff")
        report(rows)
        return 1 if errs else 0
    if errs:
        return 1
    OUT.write_text("".join(lines), encoding="utf-8")
    print(f"wrote {len(lines)} cases to {OUT}")
    report(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
