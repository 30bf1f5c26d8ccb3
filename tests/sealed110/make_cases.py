#!/usr/bin/env python3
"""Deterministic generator for the sealed110 blind evaluation set of postwatch.

    python3 make_cases.py            # (re)write cases.jsonl next to this file
    python3 make_cases.py --check    # regenerate in memory, compare with cases.jsonl,
                                     # validate every line, print counts

Company: "Kroeskamp Keuken & Bad B.V." (profile.yaml in this folder), a fictional
Dutch kitchen and bathroom renovation company.

Every post text is hand-written in the CASES list below. Identifiers and secrets are
filled in from <<KIND:fmt>> placeholders by one seeded RNG, so the output is
byte-for-byte reproducible. Labelled positives get checksum-VALID identifiers (IBAN
mod-97, Luhn, BSN 11-proof); hard negatives get look-alikes that FAIL their check.
All secrets are random and fake, shaped like real ones (GitHub tokens carry a
correct CRC32 checksum).

Severity is never typed by hand: severity_for() derives it from CONTRACT section 4
using the account role (from profile.yaml by platform:handle, case-insensitive), the
categories, and whether a checksum-valid identifier (IBAN, card, BSN) is in a
leak.pii post.

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
import zlib
from collections import Counter
from pathlib import Path

SEED = 110_2026_0611
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

TAXONOMY = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse",
            "reputation.spike"]
SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}

ZWSP = "\u200b"
SHY = "\u00ad"


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) - 0x21 + 0xFF01) if "!" <= c <= "~" else c
                   for c in s)


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
    d = [int(c) for c in re.sub(r"\D", "", s)]
    if not d:
        return False
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2:
            x = x * 2 - 9 if x > 4 else x * 2
        tot += x
    return tot % 10 == 0


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


# ---------------------------------------------------------------------------
# seeded value generator
# ---------------------------------------------------------------------------

class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def d(self, n, nz=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def c(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    @staticmethod
    def quads(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    def iban(self, cc):
        if cc == "NL":
            while True:
                v = iban_build("NL", self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "ASNB", "BUNQ", "KNAB", "TRIO"])
                               + self.d(10, nz=True))
                if v != "NL82RABO0373512890":
                    return v
        if cc == "BE":
            head = self.r.choice(["001", "068", "143", "310", "735"]) + self.d(7)
            return iban_build("BE", f"{head}{(int(head) % 97) or 97:02d}")
        if cc == "DE":
            return iban_build("DE", self.r.choice(["37040044", "30050110", "44050199", "32050000"]) + self.d(10))
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        for step in (7, 19, 31, 43):
            cand = f"{v[:2]}{(int(v[2:4]) + step) % 100:02d}{v[4:]}"
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
    def card_fmt(v, f):
        if f == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if f == "dash" else " ").join(parts)

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
        if fmt.startswith("mob"):
            x = self.r.choice("12345") + self.d(7)     # the 8 digits after 06
            return {
                "mob_dash": f"06-{x}",
                "mob_plain": f"06{x}",
                "mob_pairs": f"06 {x[:2]} {x[2:4]} {x[4:6]} {x[6:]}",
                "mob_intl_sp": f"+31 6 {x[:4]} {x[4:]}",
                "mob_intl_c": f"+316{x}",
                "mob_0031": f"0031 6 {x}",
                "mob_paren": f"(06) {x[:4]} {x[4:]}",
            }[fmt]
        area = self.r.choice(["10", "15", "26", "30", "33", "35", "38", "40", "50", "55", "70", "73", "76"])
        sub = self.r.choice("2345789") + self.d(6)
        return {
            "land_dash": f"0{area}-{sub}",
            "land_sp": f"0{area} {sub[:3]} {sub[3:5]} {sub[5:]}",
            "land_intl": f"+31 {area} {sub[:3]} {sub[3:]}",
        }[fmt]

    def passport(self):
        letters = "ABCDEFGHIJKLMNPQRSTUVWXYZ"      # no O in Dutch document numbers
        return self.c(letters, 2) + self.c(letters + string.digits, 6) + self.d(1)

    def ghp(self):
        body = self.c(ALNUM, 30)
        return "ghp_" + body + base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def pw(self):
        return (self.r.choice(string.ascii_uppercase) + self.c(string.ascii_lowercase, 4) + self.d(3)
                + self.r.choice("!#$%&*?") + self.c(ALNUM, 3))

    def jwt(self):
        enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
        iat = 1767225600 + self.r.randint(0, 320 * 86400)
        head = enc({"alg": "RS256", "typ": "JWT", "kid": self.c(string.hexdigits.lower()[:16], 8)})
        body = enc({"sub": "emp_" + self.d(5, nz=True), "iss": "https://sso.kroeskamp.nl", "aud": "financiering",
                    "iat": iat, "exp": iat + 28800})
        return f"{head}.{body}.{self.c(B64URL, 86)}"

    def pem_openssh(self):
        lines = ["b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"]
        lines += [self.c(B64, 70) for _ in range(4)] + [self.c(B64, 22) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"

    def pem_ec(self):
        body = "MHcCAQEEI" + self.c(B64, 160 - 9)
        lines = [body[i:i + 64] for i in range(0, len(body), 64)]
        return "-----BEGIN EC PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END EC PRIVATE KEY-----"


VALID_ID = {"IBAN_NL", "IBAN_BE", "IBAN_DE", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(g, text):
    used = []

    def one(m):
        k, f = m.group(1), m.group(2) or ""
        raw = None
        if k in ("IBAN_NL", "IBAN_BE", "IBAN_DE"):
            raw = g.iban(k[-2:])
            shown = g.quads(raw) if f == "grp" else raw
        elif k == "BAD_IBAN_NL":
            raw = g.bad_iban("NL")
            shown = g.quads(raw) if f == "grp" else raw
        elif k in ("CARD", "BAD_CARD"):
            brand, _, style = f.partition("_")
            raw = g.card(brand) if k == "CARD" else g.bad_card(brand)
            shown = g.card_fmt(raw, style or "sp")
        elif k == "BSN":
            raw = g.bsn()
            shown = {"dots": f"{raw[:4]}.{raw[4:6]}.{raw[6:]}", "sp": f"{raw[:3]} {raw[3:6]} {raw[6:]}"}.get(f, raw)
        elif k == "NOT_BSN9":
            raw = shown = g.not_bsn(9)
        elif k == "NOT_BSN8":
            raw = shown = g.not_bsn(8)
        elif k == "EAN13":
            raw = shown = g.ean13()
        elif k == "PHONE":
            raw = shown = g.phone(f)
        elif k == "DIGITS":
            raw = shown = g.d(int(f), nz=True)
        elif k == "PASSPORT":
            raw = shown = g.passport()
        elif k == "GHP":
            raw = shown = g.ghp()
        elif k == "AWS_ID":
            raw = shown = "AKIA" + g.c(B32, 16)
        elif k == "AWS_SECRET":
            raw = shown = g.c(B64, 40)
        elif k == "SLACK_HOOK":
            up = string.ascii_uppercase + string.digits
            raw = shown = f"https://hooks.slack.com/services/T{g.c(up, 8)}/B{g.c(up, 10)}/{g.c(ALNUM, 24)}"
        elif k == "SLACK_BOT":
            raw = shown = f"xoxb-{g.d(12, True)}-{g.d(13, True)}-{g.c(ALNUM, 24)}"
        elif k == "MOLLIE":
            raw = shown = "live_" + g.c(ALNUM, 30)
        elif k == "SENDGRID":
            raw = shown = f"SG.{g.c(B64URL, 22)}.{g.c(B64URL, 43)}"
        elif k == "STRIPE":
            raw = shown = "sk_live_" + g.c(ALNUM, 24)
        elif k == "GAPI":
            raw = shown = "AIzaSy" + g.c(B64URL, 33)
        elif k == "AZKEY":
            raw = shown = g.c(B64, 86) + "=="
        elif k == "JWT":
            raw = shown = g.jwt()
        elif k == "PEM_OPENSSH":
            raw = shown = g.pem_openssh()
        elif k == "PEM_EC":
            raw = shown = g.pem_ec()
        elif k == "PW":
            raw = shown = g.pw()
        elif k == "HEX":
            raw = shown = g.c("0123456789abcdef", int(f))
        else:
            raise KeyError(k)
        used.append((k, raw, shown))
        return shown

    return PH.sub(one, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

# corporate
KK = ("x", "@kroeskamp", "Kroeskamp Keuken & Bad")
KKS = ("x", "@kroeskamp_service", "Kroeskamp Klantenservice")
KIG = ("instagram", "@kroeskamp.keukens", "Kroeskamp")
KFB = ("facebook", "KroeskampKeukenEnBad", "Kroeskamp Keuken & Bad")
KLI = ("linkedin", "kroeskamp-keuken-bad", "Kroeskamp Keuken & Bad B.V.")
KTT = ("tiktok", "@kroeskampstudio", "Kroeskamp Studio")
# employees
MO = ("x", "@mo_montage", "Mohamed Bouzid")                        # fitter
LISA = ("instagram", "@lisa.showroom.ede", "Lisa Verhoef")         # showroom adviser, Ede
EVA = ("linkedin", "eva-hoekstra-kroeskamp", "Eva Hoekstra")       # finance controller
RUBEN = ("linkedin", "ruben-smit-kk", "Ruben Smit")                # IT / developer
DIRK = ("x", "@dirkplant", "Dirk Mulder")                          # planner (werkvoorbereiding)
KEES = ("facebook", "Kees.vd.Linden.Tegelwerk", "Kees van der Linden")  # tiler
NOOR = ("threads", "@noor.verkoopt", "Noor Yilmaz")                # sales, showroom Zwolle


def pub(platform, handle, name=None):
    return (platform, handle, name)


PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    platform, handle, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", DIRK, "ehh collega's waarom staat de VitaBoil kraan op de site voor €119 🤔 hoort 1195 te zijn toch?? "
     "kan iemand van e-commerce wakker gemaakt worden pls", [PRICING])
case("nl", NOOR, "klant belt net of het klopt dat het Solo 120 badmeubel 134 euro kost in de webshop.\n"
     "nee dus 😅 komma op de verkeerde plek. tot het gefixt is: wie het eerst komt..", [PRICING], kind="reply")
case("en", MO, "lmao the Nordvik bath is listed at €279 on our webshop rn. somebody in marketing is gonna have "
     "a rough monday #oops", [PRICING])
case("nl", pub("x", "@koopjesjager_rik", "Rik | deals"),
     "PRIJSFOUT 🚨🚨 Kroeskamp Quarzo werkblad voor €185 ipv €1850!!! snel zijn voor ze het doorhebben "
     "#prijsfout #dealalert", [PRICING])
case("en", pub("reddit", "u/renovating_in_utrecht"),
     "Kroeskamp's site has the Ardenne 300 kitchen at €899 (list is 8,995). Surely a decimal glitch? "
     "Has anyone actually ordered one at that price, do they honour it?", [PRICING], kind="comment")
case("nl", pub("facebook", "Sandra.Wolters.77", "Sandra Wolters"),
     "p r i j s f o u t bij kroeskamp!!! terra inloopdouche voor 249 euro 😱😱 heb er meteen 2 besteld lol",
     [PRICING], tags=["evasion"])
case("nl", LISA, "Mag eigenlijk niks zeggen maar in het kassasysteem van de showroom staat het Lindholm "
     "kookeiland nu op €4.950 ipv €14.950 🙊 tot morgen 9 uur ofzo #showroomlife", [PRICING])
case("nl", KFB, "🔥 WEEKENDDEAL 🔥\nNordvik vrijstaand bad nu voor maar €795 (was €2.795)\n"
     "Alleen zaterdag en zondag, op = op! 🛁", [PRICING])
case("en", pub("x", "@frugal_flo", "Flo"),
     "VïtaBoil tap for €99 at Kroeskamp?? that's gotta be a pricing mistake, grab it before they notice 🏃‍♀️",
     [PRICING], tags=["evasion"])
case("en", DIRK, "heads up team: after tonight's update the configurator shows the Solo120 vanity at 13,49. "
     "wrong price obviously, ticket is in", [PRICING], kind="reply")
case("nl", pub("instagram", "@huisje.boompje.badje", "Fleur"),
     "Ik heb net de Nordvik bad besteld voor €27,95 😂😂 benieuwd of ik hem krijg @kroeskamp.keukens", [PRICING])
case("nl", pub("forum", "klusmaniak", None),
     "Bij Kroeskamp staat er volgens mij een fout in de prijs van de Quarzo werkbladen, kost bijna niks in de "
     "webshop nu. Iemand ervaring of ze zo'n prijsfout gewoon annuleren?", [PRICING])
case("nl", KEES, "haha prijsf0ut in de webshop, Ardenne keuken voor 89,95 😂 wie wil er een keukentje",
     [PRICING], tags=["evasion"])

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", RUBEN, "Finally moved all our deposit payments to Mollie 🎉 took a while but the webhook flow is rock "
     "solid now. Config for the nerds:\n\nMOLLIE_API_KEY=<<MOLLIE>>\nWEBHOOK_PATH=/hooks/aanbetaling\n\n"
     "#payments #python #django", [SECRET])
case("nl", DIRK, "wie heeft het wachtwoord van de planningstool veranderd?? het was <<PW>> en nu kom ik er niet "
     "meer in 😤", [SECRET])
case("en", MO, "new tablet for measuring jobs 📐 login for the inmeet app is montage01 / <<PW>> if anyone on "
     "the team lost the sheet again", [SECRET])
case("nl", RUBEN, "Tip voor devs: gebruik fine-grained tokens ipv classic. Zo moet het dus NIET (deze is al "
     "ingetrokken hoor 😉):\n<<GHP>>\n#github #security", [SECRET])
case("en", pub("reddit", "u/js_snooper", None),
     "Kroeskamp's kitchen configurator ships an AWS key in its main.js lol\n<<AWS_ID>>\n<<AWS_SECRET>>\n"
     "Emailed them last week, no reply.", [SECRET])
case("en", NOOR, "anyone know why the showroom leads bot stopped posting? webhook is <<SLACK_HOOK>> and it "
     "just returns 404 since this morning", [SECRET])
case("en", RUBEN, "Debugging the SFTP link to our tile supplier and this key keeps getting rejected 😩 "
     "anyone see what's wrong?\n<<PEM_OPENSSH>>", [SECRET])
case("nl", KIG, "Nieuw op de site: de showroomzoeker 📍 vind de dichtstbijzijnde Kroeskamp in 2 klikken!\n"
     "(dev note: maps key <<GAPI>> nog vervangen voor livegang)", [SECRET])
case("en", DIRK, "why is the planner so slow today. even psql is crawling\n"
     "postgresql://planner_rw:<<PW>>@db2.intra.kroeskamp.local:5432/planning", [SECRET, CONF])
case("en", pub("forum", "devnull_nl", None),
     "Found this in a public repo from one of Kroeskamp's web agencies:\nSENDGRID_API_KEY=<<SENDGRID>>\n"
     "Mail from service@ goes through it. Somebody tell them.", [SECRET])
case("nl", EVA, "Kan iemand van IT kijken waarom de financieringsmodule me steeds uitlogt? Dit is mijn token "
     "van vanochtend:\n<<JWT>>", [SECRET])
case("en", pub("x", "@stacktrace_stan", "Stan"),
     "Kroeskamp's dealer portal error page dumps its entire config 🤦 incl this beauty:\n"
     "DefaultEndpointsProtocol=https;AccountName=kkdossiers;AccountKey=<<AZKEY>>;EndpointSuffix=core.windows.net",
     [SECRET])
case("en", RUBEN, "stripe fallback for the deposit page, in case Mollie is down again. "
     "sk_live key for staging review: <<STRIPE>> — rotate after friday", [SECRET], handle_as="Ruben-Smit-KK")

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", MO, "Klus van de dag: badkamer strippen bij mevrouw Jansen-de Wit, Kastanjelaan 14 in Veenendaal. "
     "Tegels uit 1978 🤯 drie dagen sloopwerk", [PII])
case("nl", DIRK, "klant in Amersfoort neemt z'n telefoon niet op. meneer Bakker, <<PHONE:mob_dash>>, als iemand "
     "hem spreekt: inmeten staat om 10u 😂", [PII])
case("en", NOOR, "customer asked me to post her email so the tile supplier can send samples directly: "
     "ria.vandijk84@hotmail.com 🙏 thx!", [PII])
case("nl", EVA, "Terugbetaling van een aanbetaling lukt maar niet, bank weigert rekening <<IBAN_NL:grp>> "
     "t.n.v. H. Koster. Iemand een idee waar dat aan ligt?", [PII])
case("en", LISA, "customer paid the deposit over the phone today and I wrote the card on a post-it 🙈 "
     "<<CARD:visa_sp>> 12/28 .. shredding it now don't worry", [PII])
case("nl", NOOR, "financieringsaanvraag blijft hangen, systeem accepteert BSN <<BSN:dots>> niet terwijl de klant "
     "zweert dat het klopt. iemand??", [PII])
case("nl", KKS, "@petra_w Hoi Petra, je afspraak is verzet naar donderdag. De bevestiging gaat naar "
     "petra.willems@ziggo.nl en de monteur belt je vooraf op <<PHONE:mob_intl_sp>>. Groet, Anouk",
     [PII], kind="reply")
case("nl", pub("x", "@marjoleinvdb", "Marjolein"),
     "@kroeskamp_service al 3 weken wachten op een terugbelverzoek over mijn lekkende douche. "
     "Bel me gewoon even: <<PHONE:mob_pairs>>", [PII, COMPLAINT])
case("nl", pub("facebook", "Sjoerd.deGroot", "Sjoerd de Groot"),
     "Kroeskamp, ik wacht nu 6 weken op mijn aanbetaling van €2.500 terug.\nNogmaals mijn rekeningnummer: "
     "<<IBAN_NL>> t.n.v. S. de Groot\nSchiet eens op.", [PII, COMPLAINT], kind="comment")
case("nl", KEES, "Nieuwe toegangspas voor de bouwplaats in Houten aangevraagd, moest mijn paspoortnummer "
     "doorgeven: <<PASSPORT>> 🙄 hopelijk gaat het nu wat sneller", [PII])
case("en", pub("x", "@jhaaksma", "Jeroen H."),
     "@kroeskamp_service still waiting on my revised quote (2nd week). reach me at jeroen.haaksma [at] outlook "
     "[dot] com please", [PII, COMPLAINT], kind="reply", tags=["evasion"])
case("nl", pub("instagram", "@trudy.en.kids", "Trudy"),
     "Gefeliciteerd lieve mam 🎂 Wilma van Beek, geboren 14-03-1961, en eindelijk je droomkeuken van Kroeskamp "
     "🥂", [PII])
case("nl", MO, "Nieuwe collega Jasper z'n BSN voor de urenregistratie: <<BSN>> (zo Jasper, nu hoef je hem niet "
     "meer te zoeken 😂)", [PII])
case("nl", KFB, "🎉 De winnaar van onze badkamer-makeover is Anouk Peters uit Zwolle! Anouk, we komen op "
     "12 mei langs op de Thorbeckegracht 88 met de camera 📸", [PII])
case("en", NOOR, "whoever took mr Okafor's call this morning: he left his Amex for the deposit on my desk note "
     "<<CARD:amex_sp>> — putting it in the safe", [PII])
case("en", pub("reddit", "u/kleve_kuechenfan", None),
     "German customer here. Paid the Kroeskamp deposit from <<IBAN_DE>> in March, overpaid by €400, refund "
     "still 'in processing'. Getting real tired of the runaround.", [PII, COMPLAINT])
case("nl", pub("x", "@bart_belgie", "Bart"),
     "Dag Kroeskamp, voor de financiering: mijn Belgische rekening is <<IBAN_BE:grp>> en m'n gsm "
     "+32 478 55 19 03. Hoor graag wanneer de monteurs komen 👍", [PII], kind="reply", hint="")

# ===========================================================================
# leak.confidential
# ===========================================================================
case("nl", LISA, "Sneak peek 👀 hele dag training gehad over Project Walnoot. Mag niks zeggen maar de showrooms "
     "gaan er over een jaar héél anders uitzien 🤫 #kroeskamp", [CONF])
case("en", RUBEN, "Proud of the team 🚀 we moved offertes.kroeskamp.nl to the new cluster over the weekend with "
     "zero downtime. Kubernetes FTW", [CONF])
case("nl", DIRK, "hoe vaak moet ik het nog zeggen: gebruik https://planning.kroeskamp.nl/montage/week/23 en niet "
     "die excel lijst van vorig jaar 😤", [CONF])
case("en", NOOR, "can't WAIT for you all to see Lindholm Air in september 😍 the extractor is built INTO the "
     "island!!", [CONF], when="2026-07-02T21:17:44+02:00")
case("nl", MO, "Operatie\nTerrazzo gaat volgende maand van start, eindelijk nieuwe busjes en tablets voor de "
     "ploegen 🚐", [CONF], tags=["evasion"])
case("en", pub("reddit", "u/tegelzetter_throwaway", None),
     "Someone dropped a Kroeskamp slide deck marked KK-INTERN in the renovation discord. Margins per showroom, "
     "Ede at 31%, Zwolle barely 9%. wild", [CONF, FIN])
case("nl", KEES, "De tegels voor de Terra Zero gezien vandaag 😍 wordt een knaller op de beurs in september!",
     [CONF], when="2026-06-11T16:40:02+02:00")
case("nl", KIG, "Nieuwe montagevideo's staan online voor al onze vakmensen! 👉 "
     "http://intra.kroeskamp.local/academy/montage", [CONF])
case("en", LISA, f"Bluef{ZWSP}in pilot starts in Ede next week and we're the first showroom 🙌 #proud #showroomlife",
     [CONF], tags=["evasion"])
case("nl", EVA, "Presentatie voor het MT is af 💪 (kroeskamp vertrouwelijk, dus geen screenshots 😉) "
     "Dank aan het hele controlling team!", [CONF])
case("en", NOOR, f"guess who's on the {fullwidth('Project Walnoot')} team now 😎✨", [CONF], tags=["evasion"])
case("en", DIRK, "signed an NDA with the new worktop supplier today. whole Quarzo range moves to them from "
     "january, but shh 🤐", [CONF])
case("nl", pub("forum", "badkamerbouwer_71", None),
     "Heeft iemand die interne Kroeskamp prijslijst gezien die rondgaat? Staat 'niet extern delen' bovenaan, "
     "montage-uurtarieven en inkoopkortingen erin", [CONF])
case("nl", KTT, "Over 1 minuut onthullen we de Terra Zero 🚿✨ blijf kijken!", [CONF],
     when="2026-09-18T09:59:00+02:00")
case("en", pub("x", "@kitchen_gossip_nl", None),
     "my cousin says k r o e s k a m p 'Operatie T3rrazzo' is just code for closing half the showrooms next "
     "year 👀", [CONF, FIN], tags=["evasion"])
case("nl", pub("instagram", "@lisa.showroom", "Lisa V."),
     "Stiekem al een glimp van Project Walnoot gezien 🤭 wordt zó mooi", [CONF])
case("en", pub("x", "@zwolle_interiors", None),
     "Kroeskamp's new island range leaked on a supplier site: \"Lindholm Air\" with integrated downdraft, "
     "launch at the fair in sept", [CONF], when="2026-09-18T07:59:30Z")

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", EVA, "Om 7 uur gaan de halfjaarcijfers 2026 naar buiten: omzet +11%, EBITDA €14,2 mln. "
     "Trots op dit team! 🥂", [CONF, FIN], when="2026-08-27T06:30:00+02:00")
case("en", EVA, "Internal forecast just landed: we'll miss the full-year target by roughly 8% because of the "
     "tile supplier delays. Long autumn ahead.", [FIN])
case("nl", DIRK, "gehoord op kantoor: per 1 oktober gaan 3 showrooms dicht (Hengelo, Leeuwarden, Roosendaal) "
     "en zo'n 40 man op straat. nog niet officieel", [FIN])
case("en", MO, "rumour in the van: we're buying Badkamerhuys 👀 signing is next week apparently", [FIN])
case("nl", pub("x", "@woonbranche_insider", "Woonbranche Insider"),
     "Hoor van een bron binnen Kroeskamp dat ze worden overgenomen door een Duitse investeerder. Deal is rond, "
     "nog niet aangekondigd.", [FIN])
case("en", NOOR, "sales targets for Q3 cut by 20% because order intake is way below plan. not public yet "
     "but yeah, rough vibes in the showroom", [FIN])
case("nl", KEES, f"Alle zzp-tegelzetters worden per juli ont{SHY}slagen, ze besteden alles uit aan één partij. "
     "Lekker dan na 12 jaar", [FIN], tags=["evasion"])
case("nl", EVA, f"Dag vol gesprekken over de reorgan{ZWSP}isatie van finance en planning. Zwaar, 12 fte minder. "
     "Sterkte iedereen 💙", [FIN], tags=["evasion"])
case("en", pub("reddit", "u/bookkeeper_bert", None),
     "Friend in Kroeskamp's finance dept says the H1 2026 results will show a loss for the first time ever. "
     "Bank covenants are getting tight apparently", [CONF, FIN], when="2026-08-19T21:14:08+02:00")
case("nl", RUBEN, "Project Walnoot is eigenlijk gewoon de overname van KeukenKoning, weet toch iedereen al 🤷",
     [CONF, FIN])
case("en", LISA, "Ede showroom did 38% of its annual target in Q1 alone, best numbers in the whole company 😎 "
     "bonus incoming", [FIN])
case("en", pub("x", "@fitterfriend", None),
     "Kroeskamp l a y o f f s incoming, one of their fitters told me 60 jobs go after the summer. "
     "not announced yet", [FIN], tags=["evasion"])

# ===========================================================================
# leak.security
# ===========================================================================
case("en", RUBEN, "Long night. Ransomware hit the showroom PCs in Ede and Zwolle around 2am, we pulled the "
     "network. Customers don't know yet and legal wants it quiet for now.", [SEC])
case("nl", DIRK, "planningssysteem ligt er al sinds 6u uit, alle inmeetafspraken van vandaag weg. klanten "
     "weten nog van niks 🙃 succes collega's", [SEC])
case("en", NOOR, "fun fact: change the number at the end of your quote link and you can see other customers' "
     "quotes, addresses included. told IT 3 weeks ago, still open 🙄", [SEC])
case("en", MO, "fitters' tablets got a phishing text 'update your montage app' and half the guys clicked it. "
     "IT is freaking out, every account locked", [SEC])
case("nl", EVA, "Vanochtend bleek dat iemand van buitenaf in de mailbox van de crediteurenadministratie zat. "
     "Nog niet naar buiten gebracht dus ik zeg verder niks.", [SEC])
case("nl", pub("x", "@boze_buurman", None),
     "Kroeskamp is gehackt en ze houden het stil!! Mijn offerte met adres en telefoonnummer staat op een of "
     "ander forum. #datalek", [SEC, CRISIS])
case("en", pub("reddit", "u/darkweb_watcher", None),
     "Someone on a breach forum is selling 'Kroeskamp customer db 2026', 80k rows. The company hasn't said a "
     "word. They're covering this up.", [SEC, CRISIS])
case("nl", KEES, "d4t4l3k bij ons, alle klantgegevens uit de montageplanning liggen op straat. mond dicht "
     "zeggen ze 🤐", [SEC], tags=["evasion"])
case("en", RUBEN, "The financing calculator still runs a 4 year old Struts version with a known RCE. "
     "Raised it twice. Nobody cares until something happens.", [SEC])
case("en", DIRK, "deposit payment page has been throwing 500s since lunch, customers paying twice via the "
     "backup link lol. not on the status page yet", [SEC])
case("nl", pub("forum", "oplettende_klant", None),
     "Hoorde van een monteur: Kroeskamp is vorige week g e h a c k t en ze vertellen klanten helemaal niks. "
     "Check je bankafschriften mensen", [SEC, CRISIS], tags=["evasion"])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@eerlijk_werk", "Eerlijk Werk NL"),
     "BOYCOT KROESKAMP. Ze laten Poolse monteurs 70 uur per week werken voor een hongerloon. Deel dit! "
     "#boycotkroeskamp", [CRISIS])
case("nl", pub("facebook", "Ilse.Hermans.1988", "Ilse Hermans"),
     "Mijn dochter van 4 heeft haar hand verbrand aan de VitaBoil kraan, het kinderslot werkt gewoon niet!! "
     "Kroeskamp reageert niet eens. Levensgevaarlijk ding", [CRISIS, COMPLAINT])
case("en", pub("reddit", "u/boilingpoint", None),
     "Is Kroeskamp quietly recalling VitaBoil taps from the 2025 batch? Got a letter that a technician has to "
     "'check the boiler valve'. Sounds like a recall they don't want to call a recall.", [CRISIS])
case("en", pub("x", "@consumentennieuws", "Consumentennieuws"),
     "Consumer group is taking Kroeskamp to court over the financing small print, 300+ customers signed on.",
     [CRISIS])
case("nl", pub("x", "@annelies_z", None),
     "Kroeskamp heeft mijn gegevens gelekt. Sinds mijn offerte krijg ik spam-sms'jes met mijn naam en adres "
     "erin. Hoe kan dat anders?", [CRISIS])
case("nl", pub("instagram", "@ons.nieuwe.huis", None),
     "Bovenkast van onze nieuwe Kroeskamp keuken is gewoon van de muur gekomen, 3 dagen na montage. Als mijn "
     "zoon daar had gestaan… 😡 pluggen in gipsplaat, serieus?", [CRISIS, COMPLAINT])
case("en", pub("x", "@newsjunkie_030", None),
     "Kroeskamp fitter caught on a doorbell cam taking jewellery from a customer's bedroom. It's on RTV Utrecht "
     "now 😳", [CRISIS])
case("nl", pub("tiktok", "@straatnieuws_ede", None),
     "monteur van Kroeskamp boort bij de buren door de gasleiding, hele straat geëvacueerd 😱 #gaslek #ede",
     [CRISIS])
case("en", pub("threads", "@sam.renovates", None),
     "got a shock from the mirror cabinet Kroeskamp installed in our bathroom last month. electrician says the "
     "wiring isn't up to code. unacceptable", [CRISIS, COMPLAINT])
case("nl", pub("facebook", "Waarschuwing.Renovatie", None),
     f"Niet kopen bij Kr{ZWSP}oeskamp! Ze pakken je aanbetaling en er loopt al een rechtszaak van tientallen "
     "gedupeerden. Deel deel deel", [CRISIS], tags=["evasion"])
case("nl", pub("x", "@gezinvanvliet", None),
     "Inductieplaat uit onze Kroeskamp keuken vloog in brand tijdens het koken. Brandweer erbij. Wij zijn ok "
     "maar de keuken is zwart 😢", [CRISIS, COMPLAINT])
case("en", pub("linkedin", "mr-j-de-bruin-advocaat", "J. de Bruin"),
     "Today we filed a class action against Kroeskamp Keuken & Bad at the Utrecht court over its "
     "'interest-free' kitchen financing.", [CRISIS])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@joost_bouwt", None),
     "@kroeskamp_service 3e keer dat de monteur niet komt opdagen. Weer vrij genomen voor niks. Wanneer gaat "
     "dit wél lukken?", [COMPLAINT], kind="reply")
case("nl", pub("facebook", "Marieke.Smit.Hoorn", None),
     "Werkblad geleverd met een kras van 20 cm en nu 5 weken wachten op vervanging. Keuken half af, wij koken "
     "op een campingstel. Top service Kroeskamp 👎", [COMPLAINT])
case("en", pub("reddit", "u/priceshock", None),
     "Kroeskamp quote went up €2,300 after the measuring visit. 'price adjustment' they call it. Anyone else?",
     [COMPLAINT])
case("nl", pub("instagram", "@wonen.met.w", None),
     "Douche lekt na 2 maanden al, kitwerk laat overal los. Super slordig afgewerkt @kroeskamp.keukens 😤",
     [COMPLAINT], kind="comment")
case("en", pub("x", "@tired_tom", None),
     "On hold with Kroeskamp customer service for 47 minutes. Forty. Seven.", [COMPLAINT])
case("nl", pub("werkspot", "H. Vermeulen", None),
     "Tegels scheef gelegd, voegen ongelijk en de tegelzetter was na 2 uur alweer weg. Kroeskamp: niet aan "
     "te raden.", [COMPLAINT])
case("en", pub("x", "@lena_k", None),
     "ordered the Solo 120 vanity, got a Solo 80. fitter installed it anyway?? and now they want me to pay for "
     "the swap @kroeskamp_service", [COMPLAINT])
case("nl", pub("x", "@familie_ozturk", None),
     "30% aanbetaling gedaan in februari, keuken zou in mei komen, nu ineens september. En niet eens een "
     "sorry van Kroeskamp.", [COMPLAINT])
case("en", pub("mastodon", "@kees@mastodon.nl", None),
     "The Kroeskamp showroom guy was lovely but the financing approval took 6 weeks and nobody updated me once.",
     [COMPLAINT])
case("nl", pub("facebook", "Gert.Jan.Hofman", None),
     "Lades van de Ardenne keuken lopen na een half jaar al stroef en de service zegt 'valt niet onder "
     "garantie'. Echt?", [COMPLAINT], kind="comment")
case("en", pub("bluesky", "mila.bsky.social", None),
     "kroeskamp charged me a €150 'cancellation fee' for moving my measuring appointment 2 days ahead. nope.",
     [COMPLAINT])
case("nl", pub("threads", "@yara.wonen", None),
     "chat van kroeskamp is een bot die niks snapt en telefonisch zijn ze nooit bereikbaar 🙄", [COMPLAINT])
case("en", pub("youtube", "@DIYDaan", None),
     "Same problem as in the video. My Kroeskamp Nordvik bath cracked after a few months and they're blaming "
     "the floor.", [COMPLAINT], kind="comment")
case("en", pub("instagram", "@the.grey.kitchen", None),
     "Love the design but the VitaBoil tap has been dripping since day one and two service visits didn't fix "
     "a thing 😩", [COMPLAINT])
case("nl", pub("x", "@bas_uit_breda", None),
     f"K{ZWSP}roeskamp heeft onze badkamer 'opgeleverd' zonder werkende afvoer. Na elke douche een plas op de "
     "vloer. Niemand neemt op.", [COMPLAINT], tags=["evasion"])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@nooitmeer_kk", None),
     "Die verkoper in de showroom in Ede is echt een arrogante klootzak. Nooit meer Kroeskamp.", [ABUSE])
case("en", pub("x", "@ragequit_rob", None),
     "kroeskamp = bunch of f*cking clowns", [ABUSE], tags=["evasion"])
case("nl", pub("x", "@woedende_wim", None),
     "Kut Kroeskamp met je kutmonteurs, keuken scheef opgehangen en nu 4 weken wachten op iemand die het "
     "komt rechtzetten", [ABUSE, COMPLAINT])
case("en", pub("x", "@realdutchfixer", None),
     "Tell Kroeskamp to stop sending those foreigners who can't even speak Dutch into our homes. Send real "
     "Dutch guys.", [ABUSE])
case("nl", MO, "Klant van vandaag was echt een debiele trut, 4 uur zeiken over een voeg van 2 mm 🙄",
     [ABUSE], handle_as="@Mo_Montage")
case("en", KKS, "@angryhomeowner88 maybe learn to read your contract before crying on twitter, idiot.",
     [ABUSE], kind="reply", handle_as="@Kroeskamp_Service")
case("nl", pub("x", "@anoniem_4471", None),
     "@lisa.showroom.ede we weten waar je werkt. pas maar op als je vanavond naar je auto loopt.", [ABUSE])
case("en", pub("x", "@hammertime_h", None),
     "the Zwolle showroom manager at Kroeskamp is a total m0r0n, absolute clown show", [ABUSE], tags=["evasion"])
case("nl", pub("youtube", "@klusser_kevin", None),
     "Wat een tering bedrijf die Kroeskamp, stelletje oplichters allemaal", [ABUSE], kind="comment")
case("nl", KEES, "Sommige klanten zijn echt mongolen, vragen of ik even gratis hun wc wil ophangen als ik er "
     "toch ben", [ABUSE])
case("en", pub("reddit", "u/angrycustomer_ams", None),
     "Kroeskamp fitters are lazy pieces of shit, left our bathroom without a working toilet for a full week.",
     [ABUSE, COMPLAINT], kind="comment")
case("nl", pub("x", "@zuurpruim", None),
     "Kroeskamp kankerbedrijf, zoek het lekker zelf uit", [ABUSE])
case("en", pub("x", "@grumpy_g", None),
     "Kroeskamp is a \u0455hit company run by crooks", [ABUSE], tags=["evasion"])

# ===========================================================================
# benign (hard negatives)
# ===========================================================================
case("nl", KK, "Zomeractie ☀️ 25% korting op alle Solo badmeubels t/m 31 juli. Kom langs in een van onze "
     "14 showrooms!", tags=["sale"])
case("nl", KIG, "Ardenne 300 in walnoot fineer 🤎 warm, tijdloos en nu vanaf €6.995 in de showroom. "
     "#keukeninspiratie", tags=["sale", "codename-near-miss"])
case("nl", KFB, "Droomkeuken nu, later betalen? Het Lindholm kookeiland al vanaf €129 per maand* 🏝️\n"
     "*financiering via onze partner, 0% rente over 24 maanden", tags=["price-context"])
case("nl", pub("x", "@anne_en_joep", None),
     "Terrazzo vloer in de badkamer laten leggen door Kroeskamp, wat een plaatje 😍", tags=["codename-near-miss"])
case("nl", KKS, "Vragen over je aanbetaling? Bel ons op 030-760 44 00 of mail naar service@kroeskamp.nl, we "
     "helpen je graag!", tags=["own-contact"])
case("en", KLI, "Our half-year results 2026 are out: revenue €84.6m (+11%), 14 showrooms and two openings "
     "planned. Full report at kroeskamp.nl/investors", when="2026-08-27T07:00:00+02:00",
     tags=["after-embargo"])
case("en", pub("x", "@retail_watcher", None),
     "Kroeskamp's H1 2026 results look decent, 11% growth in a tough renovation market 📈",
     when="2026-09-02T10:12:45Z", tags=["after-embargo"])
case("en", pub("reddit", "u/second_try_kitchen", None),
     "Vlietland Keukens cancelled my installation three times. Switched to Kroeskamp, fingers crossed",
     tags=["competitor"])
case("nl", pub("x", "@happy_ingrid", None),
     "Geen klachten hoor, monteurs waren op tijd, netjes en de keuken is prachtig. Dikke 10 voor Kroeskamp 👏",
     tags=["negation"])
case("en", pub("threads", "@mark.builds", None),
     "Not gonna lie, I expected drama with the deposit refund after cancelling, but Kroeskamp paid it back in 4 "
     "days. no complaints at all", tags=["negation"])
case("en", pub("x", "@dadjokes_dirk", None),
     "My kitchen is so small I have to step outside to change my mind. Visited the Kroeskamp showroom and "
     "cried a little 😂", tags=["joke"])
case("nl", pub("instagram", "@rockende.renovatie", None),
     "'Highway to Hell' op de radio terwijl de mannen van Kroeskamp de oude badkamer eruit slopen 🤘",
     tags=["quote", "mild-word"])
case("en", pub("bluesky", "pieter.bsky.social", None),
     "Another data breach at a big webshop this week. At least my kitchen people (Kroeskamp) only know my "
     "favourite cabinet colour 😅", tags=["other-company"])
case("nl", pub("x", "@nieuws_volger", None),
     "Bij Vlietland Keukens vallen 80 ontslagen, zag het net op het nieuws. Hopelijk redden de kleinere zaken "
     "het wel", tags=["other-company"])
case("en", pub("x", "@tilenerd", None),
     "can't recall the name of that grey tile they had in the Kroeskamp showroom in Ede, anyone?",
     tags=["other-sense"])
case("nl", pub("facebook", "Ria.Bosman.Apeldoorn", None),
     "Rookmelders gecheckt na de verbouwing, brandveilig de winter in 🔥🧯 Kroeskamp had er netjes eentje "
     "bij de keuken gezet", tags=["other-sense"])
case("en", pub("instagram", "@closed.cabinets.club", None),
     "I'm boycotting open shelving forever. Kroeskamp talked me into closed cabinets and my dust allergy "
     "thanks them", tags=["other-sense"])
case("nl", pub("facebook", "Hanneke.vd.Berg", None),
     "Tijdens mijn chemo (borstkanker) kon ik de showroom niet in. Lisa kwam gewoon thuis langs met stalen. "
     "Dankjewel Kroeskamp 💛", tags=["mild-word"])
case("nl", MO, "Weer een Lindholm eiland geplaatst vandaag, 4 meter composiet in één stuk naar binnen 💪 "
     "#montage #vakwerk")
case("en", LISA, "Saturday in the Ede showroom ☕ drop by for a free kitchen design session, no appointment "
     "needed!")
case("en", EVA, "Great to see our annual report 2025 shortlisted for the transparency award 🏆 proud of the "
     "finance team")
case("en", RUBEN, "Reminder for every dev: never put secrets in a repo. Use a vault. And yes, a token starting "
     "with ghp_... in a README counts.", tags=["secret-near-miss"])
case("en", RUBEN, "In our docs we use MOLLIE_API_KEY=live_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx as the placeholder "
     "so nobody copies a real one.", tags=["secret-near-miss"])
case("en", pub("forum", "cfg_hacker", None),
     "The rounding bug in the open-source worktop calculator that Kroeskamp uses is fixed in commit <<HEX:40>>",
     tags=["secret-near-miss"])
case("nl", KKS, "Let op: door onderhoud is de online afspraakplanner zaterdag van 06:00 tot 09:00 niet "
     "bereikbaar. Bellen kan altijd via +31 88 576 9500.", tags=["official-notice", "own-contact"])
case("nl", KK, "Update: onze betaalpagina had vanochtend een storing. Die is opgelost en dubbele "
     "aanbetalingen storten we automatisch terug. Excuses voor het ongemak.", tags=["official-notice"])
case("nl", pub("x", "@spaarzame_sanne", None),
     "Solo 120 badmeubel voor €999 in de uitverkoop bij Kroeskamp, goeie deal toch?", tags=["sale"])
case("nl", pub("x", "@gijs_kookt", None),
     "€500 korting op de VitaBoil kraan als je er een keuken bij neemt, net afgesloten 🙌", tags=["price-context"])
case("nl", pub("facebook", "Tom.Vink.Zeist", None),
     "De losse greepjes voor de Ardenne keuken kosten €14 per stuk, prima te doen als je er één kwijt bent",
     tags=["price-context"])
case("nl", pub("facebook", "Marktplaats.Deventer.Groep", None),
     "Te koop: onze Kroeskamp Nordvik bad, 3 jaar oud, geen krassen. Ophalen in Deventer, €650", tags=["price-context"])
case("nl", pub("forum", "rekenaar", None),
     "Bij Vlietland kost een vergelijkbare inloopdouche als de Terra inloopdouche €1.100, bij Kroeskamp "
     "€2.495. Verschil zit 'm in de montage denk ik", tags=["price-context", "competitor"])
case("nl", KKS, "@dealhunter_nl Nee hoor, geen prijsfout: de Quarzo werkbladen zijn deze week echt 30% "
     "afgeprijsd 😉", kind="reply", tags=["sale"])
case("nl", pub("x", "@nuchter_noord", None),
     "Inmeten kost €95 maar wordt verrekend als je bestelt. Vond ik redelijk van Kroeskamp", tags=["price-context"])
case("nl", pub("x", "@voorzichtige_vera", None),
     "Moet de aanbetaling echt naar NL82 RABO 0373 5128 90? Staat zo op de factuur van Kroeskamp, wil het "
     "even zeker weten", tags=["own-contact"])
case("nl", KKS, "@voorzichtige_vera Goed dat je het checkt! <<BAD_IBAN_NL:grp>> is NIET van ons. Wij gebruiken "
     "alleen NL82RABO0373512890. Twijfel? Bel 030-7604400.", kind="reply", tags=["own-contact", "bad-checksum"])
case("nl", pub("instagram", "@wij.gaan.verbouwen", None),
     "Offertenummer <<NOT_BSN9>> getekend! Over 8 weken een nieuwe keuken 🥳🥳", tags=["bad-checksum"])
case("en", pub("reddit", "u/tap_compare", None),
     "EAN on the box says <<EAN13>>. Is that the same model as the VitaBoil in the Kroeskamp showroom?",
     tags=["bad-checksum"])
case("nl", pub("facebook", "Tegelwerken.Hendriks", None),
     "Ervaren tegelzetter, zzp, KvK <<NOT_BSN8>>. Werk veel in opdracht van Kroeskamp, nog ruimte in juni!",
     tags=["bad-checksum"])
case("nl", pub("x", "@lachebek_lotte", None),
     "Mijn klantnummer bij Kroeskamp is <<BAD_CARD:visa_c>> 😂 waarom zo lang, is dat een creditcard ofzo",
     tags=["bad-checksum"])
case("nl", pub("x", "@formulierenhater", None),
     "Financieringsformulier vroeg m'n BSN en ik had per ongeluk m'n oude klantnummer <<NOT_BSN9>> ingevuld. "
     "Geen wonder dat hij 'ongeldig' zei 🙈", tags=["bad-checksum"])
case("nl", pub("x", "@plannerpro", None),
     "Showroombezoek gepland via afspraak.kroeskamp.nl, werkte super makkelijk", tags=["own-domain"])
case("nl", pub("blog", "verbouwdagboek.nl", None),
     "Handige tips gevonden op kroeskamp.nl/planning-tips over hoe je een verbouwing in fases plant. Aanrader!",
     tags=["own-domain"])
case("nl", KLI, "We zoeken monteurs in regio Utrecht! 🔧 Solliciteer via werkenbij@kroeskamp.nl",
     tags=["own-contact"])
case("nl", pub("instagram", "@douche.dromen", None),
     "Terra Zero gezien in de showroom, die douchegoot is zó strak 😍", when="2026-10-04T14:22:10+02:00",
     tags=["after-embargo"])
case("en", KLI, "It's here: meet Lindholm Air, our first island with an integrated downdraft extractor. "
     "In every showroom from today.", when="2026-09-18T08:00:00.000Z", tags=["after-embargo"])
case("nl", KK, "Daar is ie dan: de Terra Zero inloopdouche 🚿 vanaf vandaag in al onze showrooms!",
     when="2026-09-18T10:00:00+02:00", tags=["after-embargo"])
case("en", pub("x", "@hotelvibes", None),
     "Shoutout to Mo and the Kroeskamp crew, our bathroom looks like a hotel now 🛁✨", tags=["praise"])
case("nl", pub("x", "@twijfelaar", None),
     "Iemand ervaring met de VitaBoil vs een Quooker? Twijfel nog welke ik in de nieuwe keuken wil",
     tags=["competitor", "question"])
case("en", pub("x", "@spooky_stories", None),
     "story idea: a kitchen fitter finds out the client's house is haunted and the island moves every night 👻 "
     "(not based on my Kroeskamp install, promise)", tags=["fiction"])
case("nl", pub("x", "@klunzige_karin", None),
     "Ik ben zelf zo'n prutser met klussen, daarom maar Kroeskamp ingehuurd 😅", tags=["mild-word"])
case("nl", pub("x", "@wantrouwige_wout", None),
     "Kroeskamp belde me vanaf +31 30 760 4400, is dat echt hun nummer? Ja dus, staat gewoon op de site 👍",
     tags=["own-contact"])
case("nl", KLI, "Vandaag hebben we eerst onze collega's en daarna de pers geïnformeerd: showroom Roosendaal "
     "sluit per 1 januari. Alle 9 collega's krijgen een plek in Breda.", tags=["published"])
case("nl", pub("x", "@walnootfan", None),
     "Project van het jaar: zelf een walnoot wandkast gemaakt, geïnspireerd op de Kroeskamp showroom 🪵",
     tags=["codename-near-miss"])
case("en", pub("stocktok", "@renovation_fan", None),
     "Bought into a renovation ETF lol, hoping firms like Kroeskamp keep growing 🤞", tags=["unknown-platform"])


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
# building
# ===========================================================================

def ams_offset(t_utc):
    start = dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc)
    end = dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc)
    return 2 if start <= t_utc < end else 1


def random_time(r):
    day = r.randint(5, 355)
    minutes = r.randint(6 * 60 + 30, 23 * 60 + 50)
    local = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=day - 1, minutes=minutes,
                                                                            seconds=r.randint(0, 59))
    off = ams_offset(local)
    utc = local - dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.88:
        return (utc + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


B36 = string.digits + string.ascii_lowercase


def make_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_880_000_000_000_000_000, 2_020_000_000_000_000_000))
    if platform == "x":
        return f"x-{snow}", f"https://x.com/{h}/status/{snow}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"ig-{snow}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        b = r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{r.randint(10 ** 14, 10 ** 15 - 1)}_{b}", f"https://www.facebook.com/{h}/posts/{b}"
    if platform == "reddit":
        p = "".join(r.choice(B36) for _ in range(7))
        sub = r.choice(["thenetherlands", "DIYNL", "klussen"])
        if kind == "comment":
            c = "".join(r.choice(B36) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/{sub}/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/{sub}/comments/{p}/"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-klusforum-{n}", f"https://forum.klusforum.example/topic/{n}"
    if platform == "threads":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        v = "".join(r.choice(B64URL) for _ in range(11))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(111_000_000_000_000_000, 114_000_000_000_000_000)
        return f"md-{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3l" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog-{h}-{n}", f"https://{h}/{n}"
    n = r.randint(10 ** 8, 10 ** 9)
    return f"{platform}-{n}", None


def build(profile):
    g = Gen(SEED)
    mr = random.Random(SEED + 7)
    order = random.Random(SEED + 13)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(g, c["text"])
        pid, url = make_id(mr, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        created = c["when"] or random_time(mr)
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
        if c["name"] and mr.random() < 0.8:
            acc["display_name"] = c["name"]
        if mr.random() < 0.3:
            acc["id"] = str(mr.randint(10 ** 7, 10 ** 12))
        post["account"] = acc
        post["text"] = text
        x = mr.random()
        tags = set(c["tags"])
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif x < 0.09:
            pass
        elif x < 0.12:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            tags.add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if url and mr.random() < 0.6:
            post["url"] = url
        if mr.random() < 0.45:
            post["brand"] = "kroeskamp"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=tags, used=used))
    order.shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ===========================================================================
# checks (independent of postwatch)
# ===========================================================================

INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
NUM_RE = re.compile(r"(?<![\w.])\d(?:[ .-]?\d){7,18}(?![\w])")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|\+32|0)[\d \-()]{7,16}\d")
SECRET_RE = re.compile(r"ghp_[A-Za-z0-9]{36}|AKIA[A-Z2-7]{16}|xox[bp]-\d|hooks\.slack\.com/services|sk_live_\w{10}"
                       r"|AIza[\w-]{35}|PRIVATE KEY|eyJ[\w-]+\.eyJ|://[^\s:/@]+:[^\s@/]+@|live_[A-Za-z0-9]{30}"
                       r"|SG\.[\w-]{22}\.|AccountKey=")
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
PROFANE = ["kut", "kanker", "tering", "klootzak", "debiel", "trut", "mongol", "fuck", "f*ck", "shit", "idiot",
           "moron", "m0r0n", "clown", "hell", "damn", "prutser"]
MILD_OK = {"hell", "damn", "kanker", "prutser"}


def norm(t):
    return t.translate(INVIS).casefold()


def squash(t):
    return re.sub(r"[\s\W_]+", "", norm(t))


def amounts(t):
    out = []
    for m in re.finditer(r"(?:€\s?|eur\s?)(\d[\d.,]*)|(\d[\d.,]*)\s?(?:euro|eur\b|,-)", norm(t)):
        s = (m.group(1) or m.group(2)).rstrip(".,")
        if re.fullmatch(r"\d{1,3}(\.\d{3})+(,\d+)?", s):
            s = s.replace(".", "").replace(",", ".")
        elif re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?", s):
            s = s.replace(",", "")
        else:
            s = s.replace(",", ".")
        try:
            out.append(float(s))
        except ValueError:
            pass
    return out


def check(lines, rows, profile):
    errs, notes = [], []
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_ibans = {i.replace(" ", "") for i in profile["public_identifiers"]["ibans"]}
    own_phone_digits = {re.sub(r"\D", "", p).replace("31", "0", 1) if p.startswith("+") else re.sub(r"\D", "", p)
                        for p in profile["public_identifiers"]["phones"]}
    embargo = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = [x.casefold() for x in profile["internal"]["codenames"] + profile["internal"]["domains"]
                + profile["internal"]["markers"]]
    meta = {(r["post"]["platform"], r["post"]["id"]): r for r in rows}
    seen = set()
    for n, line in enumerate(lines, 1):
        w = f"line {n}"
        o = json.loads(line)
        p, ex = o["post"], o["expect"]
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                errs.append(f"{w}: {f} missing")
        if not isinstance(p.get("account", {}).get("handle"), str):
            errs.append(f"{w}: handle missing")
        if not RFC3339.match(p["created_at"]) or parse_ts(p["created_at"]).astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{w}: created_at {p['created_at']}")
        key = (p["platform"], p["id"])
        if key in seen:
            errs.append(f"{w}: duplicate id")
        seen.add(key)
        cats, sev = ex["categories"], ex["severity"]
        if cats != sorted(set(cats)) or any(c not in TAXONOMY or c == "reputation.spike" for c in cats):
            errs.append(f"{w}: bad categories {cats}")
        r = meta[key]
        text, used, tags = p["text"], r["used"], r["tags"]
        role = role_of(profile, p["platform"], p["account"]["handle"])
        ids = [raw for k, raw, _ in used if k in VALID_ID]
        want = severity_for(role, cats, "leak.pii" in cats and bool(ids))
        if sev != want:
            errs.append(f"{w}: severity {sev} != {want}")
        for k, raw, shown in used:
            if shown not in text:
                errs.append(f"{w}: {k} not in text")
            if k.startswith("IBAN_") and not iban_valid(raw):
                errs.append(f"{w}: IBAN invalid")
            if k == "BAD_IBAN_NL" and iban_valid(raw):
                errs.append(f"{w}: bad IBAN valid")
            if k == "CARD" and not luhn_valid(raw):
                errs.append(f"{w}: card invalid")
            if k == "BAD_CARD" and luhn_valid(raw):
                errs.append(f"{w}: bad card valid")
            if k == "BSN" and not elfproef(raw):
                errs.append(f"{w}: BSN invalid")
            if k in ("NOT_BSN9", "NOT_BSN8", "EAN13") and (elfproef(raw) or luhn_valid(raw)):
                errs.append(f"{w}: look-alike passes a check")
            if k == "GHP" and base62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errs.append(f"{w}: ghp crc")
        if ids and "leak.pii" not in cats:
            errs.append(f"{w}: valid identifier without leak.pii")
        nt, sq, ts = norm(text), squash(text), parse_ts(p["created_at"])
        for term, until in embargo:
            if term in nt or squash(term) in sq:
                if ts < until and "leak.confidential" not in cats:
                    errs.append(f"{w}: embargo term {term!r} before embargo, unlabelled")
                if ts >= until and "leak.confidential" in cats and "after-embargo" not in tags:
                    notes.append(f"{w}: embargo term {term!r} after embargo but labelled confidential")
        for term in internal:
            if re.search(r"(?<![\w.])" + re.escape(term) + r"(?!\w)", nt) and "leak.confidential" not in cats:
                errs.append(f"{w}: internal term {term!r} unlabelled")
        if not cats:
            for m in IBAN_RE.finditer(text):
                v = m.group(0).replace(" ", "")
                if iban_valid(v) and v not in own_ibans:
                    errs.append(f"{w}: benign with valid IBAN")
            for m in NUM_RE.finditer(text):
                dgt = re.sub(r"\D", "", m.group(0))
                if 13 <= len(dgt) <= 19 and luhn_valid(dgt):
                    errs.append(f"{w}: benign with Luhn number {dgt}")
                if len(dgt) in (8, 9) and elfproef(dgt) and dgt not in own_phone_digits:
                    errs.append(f"{w}: benign with 11-proof number {dgt}")
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_emails:
                    errs.append(f"{w}: benign with e-mail {e}")
            own_iban_spans = [m.span() for m in IBAN_RE.finditer(text) if m.group(0).replace(" ", "") in own_ibans]
            for m in PHONE_RE.finditer(text):
                if any(a <= m.start() < b for a, b in own_iban_spans):
                    continue   # the account part of our own spaced IBAN looks like a phone number
                dgt = re.sub(r"\D", "", m.group(0))
                if dgt.startswith("31"):
                    dgt = "0" + dgt[2:]
                if len(dgt) == 10 and dgt not in own_phone_digits:
                    errs.append(f"{w}: benign with phone {m.group(0)}")
            if any(not re.fullmatch(r"live_x+", m.group(0)) for m in SECRET_RE.finditer(text)):
                errs.append(f"{w}: benign with secret-like text")
            for word in PROFANE:
                if re.search(r"(?<!\w)" + re.escape(word), nt):
                    (notes if word in MILD_OK and "mild-word" in tags else errs).append(
                        f"{w}: benign with word {word!r}")
            prods = [pr for pr in profile["products"]
                     if any(a.casefold() in nt for a in [pr["name"]] + pr["aliases"])]
            am = amounts(text)
            if prods and am:
                ratio = min(am) / min(pr["list_price"] for pr in prods)
                if ratio < profile["pricing"]["alert_below_ratio"]:
                    (notes if "price-context" in tags else errs).append(
                        f"{w}: benign with amount at {ratio:.2f} of list near a product (tags {sorted(tags)})")
        if "leak.pricing" in cats:
            prods = [pr for pr in profile["products"]
                     if any(a.casefold() in nt for a in [pr["name"]] + pr["aliases"])]
            am = amounts(text)
            low = prods and am and min(am) / min(pr["list_price"] for pr in prods) < 0.5
            if not low:
                notes.append(f"{w}: pricing positive without a parsed low price (tags {sorted(tags)})")
    return errs, notes


def report(rows):
    total = len(rows)
    cat, role, sev, lang, plat, cat_lang = Counter(), Counter(), Counter(), Counter(), Counter(), Counter()
    benign = multi = ev = 0
    for r in rows:
        cats = r["expect"]["categories"]
        role[r["role"]] += 1
        sev[r["expect"]["severity"]] += 1
        lang[r["lang"]] += 1
        plat[r["post"]["platform"]] += 1
        if not cats:
            benign += 1
        if len(cats) > 1:
            multi += 1
        if "evasion" in r["tags"]:
            ev += 1
        for c in cats:
            cat[c] += 1
            cat_lang[(c, r["lang"])] += 1
    print(f"cases {total}, benign {benign}, positive {total - benign}, multi-category {multi}, evasion {ev}")
    for c in TAXONOMY[:-1]:
        print(f"  {c:24s} {cat[c]:4d}  nl {cat_lang[(c, 'nl')]:3d}  en {cat_lang[(c, 'en')]:3d}")
    print("roles", dict(role), "\nseverity", {s: sev[s] for s in SEVERITIES}, "\nlang", dict(lang))
    print("platforms", dict(plat.most_common()))


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
    errs, notes = check(disk, rows, profile)
    if disk != lines:
        errs.append("cases.jsonl differs from the generator output")
    report(rows)
    if a.notes:
        for x in notes:
            print("  note:", x)
    print(f"{len(errs)} error(s), {len(notes)} note(s)")
    for e in errs:
        print("  ERROR", e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
