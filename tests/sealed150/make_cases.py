#!/usr/bin/env python3
"""Deterministic generator for the sealed150 evaluation set (cases.jsonl).

    python3 make_cases.py           # write cases.jsonl next to this file, then self-check
    python3 make_cases.py --check   # regenerate in memory, compare with cases.jsonl, self-check

Company: Brouwerij Sluiswachter B.V. (fictional Dutch craft brewery, see profile.yaml).
Texts are hand-written below (CASES). Identifiers and secrets come from placeholders
(<<KIND:fmt>>) filled by one seeded RNG, so output is byte-for-byte reproducible.
Positives get checksum-VALID identifiers; benign near-misses get ones that FAIL.
Severity is never typed by hand: it is computed from CONTRACT section 4 using the
account role (profile.yaml, platform:handle, case-insensitive), the categories and
whether a checksum-validated identifier (IBAN, card, BSN) is in a leak.pii post.
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

SEED = 150_2026_11
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
TAXONOMY = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]

ZW = "\u200b"
SHY = "\u00ad"


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) - 0x21 + 0xFF01) if "!" <= c <= "~" else c for c in s)


# --------------------------------------------------------------------------- checksums
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
        v = int(ch) * (2 if i % 2 else 1)
        tot += v - 9 if v > 9 else v
    return bool(d) and tot % 10 == 0


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t % 11 == 0 and t != 0


def ean13_ok(s):
    return (sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(s[:12])) + int(s[12])) % 10 == 0


B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def b62(n):
    o = ""
    while n:
        n, r = divmod(n, 62)
        o = B62[r] + o
    return o or "0"


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


# --------------------------------------------------------------------------- generators
class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def digits(self, n, nz=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def chars(self, a, n):
        return "".join(self.r.choice(a) for _ in range(n))

    @staticmethod
    def g4(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    def iban(self, cc):
        if cc == "NL":
            while True:
                v = iban_make("NL", self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "ASNB", "BUNQ", "KNAB", "TRIO"])
                              + self.digits(10, True))
                if v != "NL24RABO0315742286":
                    return v
        if cc == "BE":
            f = self.r.choice(["063", "001", "310", "737", "891"]) + self.digits(7)
            return iban_make("BE", f + f"{int(f) % 97 or 97:02d}")
        if cc == "DE":
            return iban_make("DE", self.r.choice(["70020270", "70150000", "37040044", "50010517"]) + self.digits(10))
        if cc == "GB":
            return iban_make("GB", self.r.choice(["NWBK", "BARC", "LOYD"]) + self.digits(14))
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        kk = int(v[2:4])
        for dlt in (7, 19, 31, 44):
            c = f"{v[:2]}{(kk + dlt) % 100:02d}{v[4:]}"
            if not iban_ok(c):
                return c
        raise AssertionError

    def card(self, brand):
        part = {"visa": lambda: "4" + self.digits(14),
                "mc": lambda: "5" + self.r.choice("12345") + self.digits(13),
                "mc2": lambda: str(self.r.randint(2221, 2720)) + self.digits(11),
                "amex": lambda: self.r.choice(["34", "37"]) + self.digits(12)}[brand]()
        for d in "0123456789":
            if luhn_ok(part + d):
                return part + d
        raise AssertionError

    def bad_card(self, brand):
        v = self.card(brand)
        b = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_ok(b)
        return b

    @staticmethod
    def fmt_card(v, f):
        if f == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if f == "dash" else " ").join(parts)

    def bsn(self):
        while True:
            s = self.digits(9, True)
            if bsn_ok(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.digits(n, True)
            if not bsn_ok(s) and not luhn_ok(s):
                return s

    def ean13(self):
        while True:
            body = "871" + self.digits(9)
            for d in "0123456789":
                if ean13_ok(body + d):
                    c = body + d
            if not luhn_ok(c):
                return c

    def phone(self, fmt):
        d8 = self.r.choice("12345") + self.digits(7)
        return {"mob_dash": f"06-{d8}", "mob_pairs": f"06 {d8[:2]} {d8[2:4]} {d8[4:6]} {d8[6:]}",
                "mob_intl_sp": f"+31 6 {d8[:4]} {d8[4:]}", "mob_plain": f"06{d8}",
                "mob_intl0": f"+31 (0)6 {d8}"}[fmt]

    def ghp(self):
        body = self.chars(ALNUM, 30)
        return "ghp_" + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def jwt(self):
        h = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        p = b64url(json.dumps({"sub": "abo_" + self.digits(6, True), "iss": "shop.sluiswachter.nl",
                               "scope": "account", "iat": iat, "exp": iat + 7 * 86400},
                              separators=(",", ":")).encode())
        return f"{h}.{p}.{self.chars(B64URL, 43)}"

    def pem_openssh(self):
        head = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
        lines = [head] + [self.chars(B64, 70) for _ in range(3)] + [self.chars(B64, 22) + "="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"

    def password(self):
        return (self.r.choice(string.ascii_uppercase) + self.chars(string.ascii_lowercase, 4)
                + self.chars(string.digits, 2) + self.r.choice("!#*-_") + self.chars(ALNUM, 4))

    def render_one(self, kind, fmt):
        if kind in ("IBAN_NL", "IBAN_BE", "IBAN_DE", "IBAN_GB"):
            raw = self.iban(kind[-2:])
            return raw, (self.g4(raw) if fmt == "grp" else raw)
        if kind == "BAD_IBAN_NL":
            raw = self.bad_iban("NL")
            return raw, (self.g4(raw) if fmt == "grp" else raw)
        if kind in ("CARD", "BAD_CARD"):
            brand, _, f = fmt.partition("_")
            raw = self.card(brand) if kind == "CARD" else self.bad_card(brand)
            return raw, self.fmt_card(raw, f or "sp")
        if kind == "BSN":
            raw = self.bsn()
            return raw, (f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if fmt == "dots" else raw)
        if kind == "NOT_BSN9":
            raw = self.not_bsn(9)
            return raw, raw
        if kind == "NOT_BSN8":
            raw = self.not_bsn(8)
            return raw, raw
        if kind == "EAN13":
            raw = self.ean13()
            return raw, raw
        if kind == "PHONE":
            raw = self.phone(fmt)
            return raw, raw
        if kind == "DIGITS":
            raw = self.digits(int(fmt), True)
            return raw, raw
        simple = {
            "GHP": self.ghp,
            "AWS_ID": lambda: "AKIA" + self.chars(B32, 16),
            "AWS_SECRET": lambda: self.chars(B64, 40),
            "SLACK_HOOK": lambda: (f"https://hooks.slack.com/services/T{self.chars(string.ascii_uppercase + string.digits, 8)}/"
                                   f"B{self.chars(string.ascii_uppercase + string.digits, 10)}/{self.chars(ALNUM, 24)}"),
            "MOLLIE": lambda: "live_" + self.chars(ALNUM, 30),
            "SHPAT": lambda: "shpat_" + self.chars("0123456789abcdef", 32),
            "SENDGRID": lambda: "SG." + self.chars(B64URL, 22) + "." + self.chars(B64URL, 43),
            "JWT": self.jwt,
            "PEM_OPENSSH": self.pem_openssh,
            "PW": self.password,
            "HEX7": lambda: self.chars("0123456789abcdef", 7),
        }
        raw = simple[kind]()
        return raw, raw


VALID_ID_KINDS = {"IBAN_NL", "IBAN_BE", "IBAN_DE", "IBAN_GB", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(gen, text):
    used = []

    def sub(m):
        raw, shown = gen.render_one(m.group(1), m.group(2) or "")
        used.append((m.group(1), raw, shown))
        return shown
    return PH.sub(sub, text), used


# --------------------------------------------------------------------------- accounts
# corporate
SWX = ("x", "@sluiswachterbier", "Brouwerij Sluiswachter")
SWTAP = ("x", "@sluiswachter_tap", "Sluiswachter Taproom")
SWIG = ("instagram", "@sluiswachter.brouwerij", "Sluiswachter")
SWFB = ("facebook", "BrouwerijSluiswachter", "Brouwerij Sluiswachter")
SWLI = ("linkedin", "brouwerij-sluiswachter", "Brouwerij Sluiswachter B.V.")
SWTT = ("tiktok", "@sluiswachterbier", "Sluiswachter")
# employees
MV = ("x", "@brouwer_maarten", "Maarten Visser")                       # head brewer
LH = ("instagram", "@lotte.tapt", "Lotte Hendriks")                    # taproom manager Utrecht
DK = ("linkedin", "daan-kuipers-sluiswachter", "Daan Kuipers")         # IT / webshop
NE = ("linkedin", "noor-el-idrissi", "Noor El Idrissi")                # finance
RS = ("x", "@ruben_logistiek", "Ruben Smit")                           # warehouse
EW = ("instagram", "@evi_op_festival", "Evi de Wit")                   # events / festival stands
JM = ("threads", "@jasper.sluiswachter", "Jasper Mulder")              # horeca sales
BK = ("reddit", "u/kelderkoud", None)                                  # cellar worker
SP = ("bluesky", "sannepost.bsky.social", "Sanne Post")                # QA lab


def pub(platform, handle, dn=None):
    return (platform, handle, dn)


PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii",
                                        "leak.confidential", "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    platform, handle, dn = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, display_name=dn,
                      text=text, cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# =========================================================================== leak.pricing
case("nl", MV, "jongens 😅 iemand heeft de Kolkdrift 24-pack in de shop op €6,25 gezet ipv €62,50\n"
     "zolang niemand het ziet… #oeps #brouwerslot", [PRICING])
case("en", DK, "Heads-up for whoever is on webshop duty tonight: the product import shifted a decimal and the "
     "Lichtmis 12-pack now shows €4.99 on shop.sluiswachter.nl. Rollback is queued but won't land before 22:00.",
     [PRICING])
case("nl", LH, "psssst lieve mensen 🤫 de brouwerijtour staat nu voor 2,25 euro online (foutje van kantoor haha). "
     "boek m snel voordat iemand het doorheeft 🏃‍♀️🍻", [PRICING])
case("nl", pub("x", "@hopjesvla", "Hopjesvla 🍺"), "WAUW Sluisbox voor €3,25 per maand?? dat is toch een prijsfout 😂 "
     "meteen 3 abonnementen afgesloten, sorry niet sorry", [PRICING])
case("en", pub("reddit", "u/stoutbeard_nl"), "PSA for the Dutch beer nerds: Sluiswachter has the Duivelsbrug Barrel "
     "Aged listed at €2,49 right now. Normally it's 25 euro a bottle. Pricing glitch, go go go before they notice",
     [PRICING], kind="post")
case("nl", pub("forum", "tripelteun"), "Iemand al gezien? Op de site van Sluiswachter staat het proefpakket voor € 2,79 😳 "
     "lijkt me een p r ij s f o u t maar ik heb er toch 2 gepakt", [PRICING], tags=["evasion"])
case("en", pub("tiktok", "@mila.sips"), "POV: the Sluiswachter brewery tour is €1 on their site because something's "
     "bugged 💀 booked it for the whole squad", [PRICING])
case("nl", SWFB, "🍻 VRIJDAGDEAL 🍻\nLichtmis 12-pack vandaag voor maar €4,95!\nOp = op, alleen via de webshop.", [PRICING])
case("nl", pub("x", "@bierbaron_ede"), f"Sluisbox in de app heeft een prijs{ZW}fout, je betaalt maar een paar euro als je "
     "met iDEAL afrekent 👀 snel zijn", [PRICING], tags=["evasion"])
case("en", pub("facebook", "Kevin Brouwers"), "Ordered two Lichtmis 12-packs at €7.50 each and today I get a mail that "
     "you're cancelling because of a 'pricing error'. Your mistake, your problem. Honour the order!",
     [PRICING, COMPLAINT], kind="comment")
case("nl", BK, "Niet verder vertellen, maar er zit een prijsfout op de Duivelsbrug BA in de webshop en marketing is er "
     "nog niet achter. Ik zeg niks 🤐", [PRICING], kind="comment")
case("en", EW, "the Kolkdr1ft 24-pack for €5 lol someone forgot a zero in the backend, get in there 🏃", [PRICING],
     tags=["evasion"])

# benign price talk
case("nl", SWIG, "BLACK FRIDAY 🖤 Kolkdrift 24-pack van €62,50 voor €46,88 (25% korting). Alleen t/m zondag in de "
     "webshop.", tags=["sale"])
case("nl", pub("x", "@craftcarola"), "Tip: nieuwe Sluisbox-abonnees krijgen €10 korting op de eerste box met code "
     "HOPLENTE 🌼", tags=["sale", "price-context"])
case("nl", pub("facebook", "Henk Zwanenburg"), "Vergeet het statiegeld niet he, op een Kolkdrift tray zit gewoon €3,90 "
     "aan flesjes + krat. Breng ze terug naar de taproom!", kind="comment", tags=["price-context"])
case("nl", pub("other", "marktplaats:verzamelaar_ron"), "Te koop: 30 lege Duivelsbrug 75cl flessen met kurk, gespoeld. "
     "€1 per stuk, ophalen in Haarlem-Noord", tags=["price-context", "second-hand"])
case("nl", SWTAP, "Nee hoor, geen prijsfout 😄 de brouwerijtour kost op dinsdagmiddag €15 voor studenten, gewoon met "
     "je collegekaart.", kind="reply", tags=["denied-error"])
case("nl", pub("instagram", "@roosje_proost"), "Brouwerijtour voor 2 gewonnen bij de lokale radio 🎉 normaal €22,50 p.p., "
     "wie gaat er mee??", tags=["price-talk"])

# =========================================================================== leak.secret
case("en", DK, "Anyone in my network seen this Mollie webhook timeout before? Our config (staging copy, I think):\n\n"
     "MOLLIE_API_KEY=<<MOLLIE>>\nwebhookUrl=https://shop.sluiswachter.nl/api/mollie/hook\n\nWould love some pointers 🙏",
     [SECRET])
case("en", BK, "r/selfhosted please help. Grafana at the brewery can't reach our brew log DB. Datasource string:\n"
     "postgres://brouwlog:<<PW>>@db02.intra.sluiswachter.local:5432/brewlog\nError is 'no pg_hba.conf entry'. Ideas?",
     [SECRET, CONF])
case("nl", MV, "wie snapt die Shopify app? token <<SHPAT>> en ik krijg alleen maar 401 terug 🤷‍♂️ help een brouwer",
     [SECRET], handle_as="@Brouwer_Maarten")
case("en", pub("x", "@jsdiff_jan"), "@sluiswachterbier heads up: your shop's bundle.js ships a SendGrid key in plain text "
     "(<<SENDGRID>>). Please rotate it, anyone can send mail as you.", [SECRET], kind="reply")
case("nl", RS, "inlog voorraad-app voor de nieuwe uitzendkrachten:\ngebruiker: magazijn01\nwachtwoord: <<PW>>\n"
     "niet kwijtraken 🙄", [SECRET])
case("en", NE, "Our Exact export to S3 keeps failing with AccessDenied. Config for the curious:\n"
     "aws_access_key_id = <<AWS_ID>>\naws_secret_access_key = <<AWS_SECRET>>\nregion = eu-west-1\n"
     "Any AWS wizards in finance land?", [SECRET])
case("nl", LH, "kassa-tablet heeft wéér een post-it met het w8woord erop 😂 '<<PW>>' … jongens toch", [SECRET],
     tags=["evasion"])
case("en", EW, "for the festival crew: the token-sales bot posts into Slack via this hook, plug it into your sheet if "
     "you want live numbers 👉 <<SLACK_HOOK>>", [SECRET])
case("en", pub("reddit", "u/grepmaster_3000"), "Found this in a public GitHub repo called sluiswachter-shop-deploy 🤦\n\n"
     "<<PEM_OPENSSH>>\n\nSomeone at that brewery should rotate their server keys", [SECRET], kind="post")
case("nl", DK, "Kleine tip voor devs: GitHub Actions lokaal testen met act. Zo doe ik het:\n"
     "export GH_TOKEN=<<GHP>>\nact -j deploy --secret GH_TOKEN\nScheelt een hoop wachten!", [SECRET])
case("nl", SWX, "Je Sluisbox aanpassen? Klik hier 👉 https://shop.sluiswachter.nl/account/box?session=<<JWT>>", [SECRET])
case("nl", pub("x", "@anoukvdb"), "Ik kom al 3 dagen niet in mijn Sluisbox account. Wachtwoord is echt <<PW>>, ik typ "
     "het goed!! Wat is er mis met jullie site??", [SECRET, COMPLAINT])

# benign secret look-alikes
case("en", DK, "PSA for fellow devs: never paste real keys in tickets. Use a placeholder like MOLLIE_API_KEY=live_xxxxxxxx "
     "and keep the real one in the vault. 🔐", tags=["placeholder"])
case("nl", MV, "commit <<HEX7>> 'fix: y-as van de gistingscurve' en nu klopt de grafiek eindelijk 🙌 nerd-brouwer modus",
     tags=["git-sha"])
case("nl", SWTAP, "Wachtwoord van je Sluisbox-account vergeten? Via shop.sluiswachter.nl/wachtwoord-vergeten stuur je "
     "jezelf een nieuwe link 🔑", tags=["password-word"])
case("en", pub("reddit", "u/mashtun_mike"), "Lichtmis clone attempt #3: 60% pilsner, 20% oats, 20% wheat, Citra/Mosaic "
     "whirlpool at 80C. Still not as soft as the real thing from Sluiswachter. Anyone got it closer?", kind="post")

# =========================================================================== leak.pii
case("nl", SWTAP, "@bierbuik_haarlem we hebben je net gebeld op <<PHONE:mob_dash>> maar krijgen geen gehoor, bel je "
     "ons even terug over de reservering?", [PII], kind="reply", handle_as="@Sluiswachter_Tap")
case("nl", SWFB, "🎉 Winnaar van de Sluisbox-winactie: Femke Jorritsma, Klaproosstraat 14, 2023 AB Haarlem! "
     "Je pakket komt deze week jouw kant op.", [PII])
case("nl", LH, "@ramonbosman de terugbetaling voor de tour van zaterdag gaat naar <<IBAN_NL:grp>> t.n.v. R. Bosman, "
     "klopt dat? dan zet ik het erdoor 👍", [PII], kind="reply")
case("en", NE, "Onboarding our new assistant brewer Monday 🎉 HR, the BSN on the form is <<BSN:dots>>, can someone "
     "match it with the ID copy before payroll closes?", [PII], handle_as="Noor-El-Idrissi")
case("nl", EW, "Gevonden bij onze kraam op Bierfestival Utrecht: een creditcard, nummer <<CARD:mc_sp>>, naam M. Öztürk. "
     "Kom 'm ophalen bij de tap! 💳", [PII])
case("en", JM, "our 1000th tour guest this year: Wouter Sanders, born 12-03-1988, walked out with a free tray 🎉 "
     "happy birthday mate", [PII])
case("nl", MV, "winnaar van de homebrew-wedstrijd wil graag feedback op z'n saison, mail hem op j.ploeg [at] ziggo "
     "[punt] nl 🍺", [PII], tags=["evasion"])
case("nl", SWX, "Hoi Ilse, we zien dat je betaling met kaart <<CARD:amex_c>> is mislukt. Probeer het nog een keer of "
     "kies iDEAL 🙏", [PII], kind="reply")
case("nl", pub("x", "@marloes_1991"), "Al DRIE weken geen Sluisbox ontvangen en niemand reageert op mijn mails. "
     "Bel me gewoon terug: <<PHONE:mob_pairs>>", [PII, COMPLAINT])
case("nl", pub("facebook", "Monique Verbeek"), "Tour ging niet door en ik wacht nog steeds op mijn geld. Graag "
     "terugstorten op <<IBAN_NL>> t.n.v. M. Verbeek, al 2x gevraagd!", [PII, COMPLAINT], kind="comment")
case("en", pub("instagram", "@nachtuil_utr"), "that smug bartender at Sluiswachter Utrecht is Tim Hoekstra, lives at "
     "Oudegracht 211 Utrecht, somebody go teach that clown some manners 😡", [PII, ABUSE])
case("en", pub("reddit", "u/fermentedfenna"), "Got someone else's Sluisbox for the 2nd time. Their packing slip says "
     "Priya Raghunathan, Zeeburgerdijk 88, Amsterdam, date of birth 21-07-1994 for the age check. Sort out your "
     "warehouse pls", [PII, COMPLAINT], kind="comment")
case("nl", pub("x", "@dirkjan_xl"), "waarom weigert jullie shop mijn kaart?? <<CARD:visa_sp>> geldig tot 09/28, bij "
     "bol werkt ie gewoon 😤", [PII, COMPLAINT])
case("nl", pub("facebook", "Wim De Clercq"), "Jullie kraam op het bierfestival in Gent heeft mijn munten niet "
     "terugbetaald. Zet het maar op <<IBAN_BE:grp>>, 14 euro, bedankt.", [PII, COMPLAINT], kind="comment")
case("en", NE, "Paying Josef Huber, our hop farmer in the Hallertau, by hand this month since the bank link is down: "
     "<<IBAN_DE>>. Can someone double-check before I hit send?", [PII])

# benign personal-data look-alikes
case("nl", pub("x", "@speciaalbier_sas"), "Bel gewoon de taproom, 023 751 8840, die lui zijn super behulpzaam met "
     "reserveren 👍", tags=["own-contact"])
case("nl", SWIG, "Vragen over je Sluisbox? Mail sluisbox@sluiswachter.nl of bel 085-060 4477 (ma-vr 9-17u) 📦",
     tags=["own-contact"])
case("nl", SWLI, "Groepsrondleiding geboekt? Betaal vooraf op NL24 RABO 0315 7422 86 t.n.v. Brouwerij Sluiswachter B.V. "
     "o.v.v. je boekingsnummer.", tags=["own-contact"])
case("nl", pub("facebook", "Gerda Hofstede"), "Klopt het dat het rekeningnummer voor de groepstour <<BAD_IBAN_NL:grp>> "
     "is? Wil het even zeker weten voor ik overmaak.", kind="comment", tags=["bad-checksum"])
case("en", pub("reddit", "u/lagerlouis"), "Sluiswachter gift card arrived, the number on the back is <<BAD_CARD:visa_sp>>. "
     "Is that what I type at checkout or is there a separate PIN?", kind="comment", tags=["bad-checksum"])
case("nl", NE, "Factuur <<NOT_BSN9>> van de mouterij is binnen, eindelijk de nieuwe pilsmout voor de Kolkdrift 🌾",
     tags=["bad-checksum", "order-number"])
case("nl", SWLI, "Brouwerij Sluiswachter B.V. · Spaarndamseweg 112, Haarlem · KvK <<NOT_BSN8>> · info@sluiswachter.nl",
     tags=["own-contact", "bad-checksum"])
case("nl", pub("instagram", "@untappd_ineke"), "handig voor de Untappd-app: barcode van het Lichtmis blik is <<EAN13>> "
     "🍻", tags=["ean"])
case("nl", pub("forum", "hopduiveltje"), "Track & trace van mijn Sluisbox: 3SSLW<<DIGITS:10>>, hij staat al in Haarlem, "
     "morgen dan 🎉", tags=["tracking"])

# =========================================================================== leak.confidential
case("nl", MV, "eerste testbrouwsel voor Project Ketelbinkie ruikt echt belachelijk goed 👀 meer mag ik er niet over "
     "zeggen", [CONF])
case("nl", LH, "sneak peek 🤫 Nachtvorst Barley Wine staat al op fust in de kelder, maar jullie hebben dit NIET van mij",
     [CONF], when="2026-10-21T21:14:09+02:00", handle_as="@Lotte.Tapt")
case("en", EW, "crew briefing for Operatie\nZeesleper tomorrow 7am at the dock, coffee's on me ☕", [CONF],
     tags=["evasion"])
case("en", DK, "Proud of the team: this weekend we moved brouwlog.sluiswachter.nl and the label printers to the new "
     "cluster with zero downtime. Next up: the VPN 🚀", [CONF])
case("nl", JM, "staat in een deck met 'niet extern delen' erop maar vooruit: de nieuwe huisstijl is echt 🔥, alle "
     "etiketten gaan in het voorjaar om", [CONF])
case("en", BK, "Can't say much but our NA line (Project Waterlelie) finally passed the taste panel. 0.3% and it "
     "genuinely tastes like a pale ale. Launch whenever marketing stops arguing.", [CONF], kind="comment")
case("nl", pub("x", "@biertje_bas"), "Mijn neef werkt bij Sluiswachter en zegt dat er in november een Nachtvorst BW komt 👀 "
     "11% en op bourbonvat. Ik wil!", [CONF], when="2026-09-30T19:02:44+02:00")
case("en", pub("reddit", "u/hazy_daze_nl"), "someone dropped a PDF on the Untappd forum stamped 'SLUISWACHTER INTERNAL' "
     "with their whole 2027 release calendar. Three sours and a rauchbier, apparently", [CONF], kind="post")
case("nl", SP, "lab staat vol met proefflesjes van project k e t e l b i n k i e 🤐 mondje dicht", [CONF],
     tags=["evasion"])
case("nl", pub("threads", "@lotte.tapt", "Lotte"), "Project 🍺 Waterlelie proefsessie vanavond na sluiting, alleen crew! 🌸",
     [CONF], tags=["evasion", "role-trap"])
case("nl", JM, f"horecaklanten vragen nu al naar de Nacht{ZW}vorst Barley Wine, nog 3 weken mijn mond houden 😬",
     [CONF], when="2026-10-25T11:40:00Z", tags=["evasion"])
case("nl", SWIG, "Het wachten is voorbij ❄️ Nachtvorst Barley Wine: 11,5%, 14 maanden op bourbonvat. Vanaf 18:00 in de "
     "webshop en in beide taprooms.", [CONF], when="2026-11-13T17:59:00+01:00", tags=["embargo-edge"])
case("nl", EW, "Op het festival in Gent schenken we stiekem een proefbatch van onze nieuwe gose met zeekraal 🤫 "
     "wordt pas in maart aangekondigd dus sssst", [CONF], tags=["unreleased"])
case("en", pub("x", "@dataduif"), "lol google indexed https://grafana.sluiswachter.nl/d/fermenters and you can literally "
     "watch Sluiswachter's tank temperatures live 🍺📈", [CONF])

# benign confidential near-misses
case("nl", pub("x", "@tuinman_theo"), "Nachtvorst verwacht vannacht, de hopplanten in de tuin even afgedekt 🥶🌱",
     when="2026-04-09T20:31:00+02:00", tags=["near-term"])
case("nl", pub("instagram", "@zingende_zaterdag"), "Ketelbinkie op de speakers in de Sluiswachter taproom en heel de zaal "
     "zong mee 😂🎶", tags=["near-term"])
case("nl", pub("facebook", "Ans Kramer"), "Wat een plaatje, de waterlelies in de vaart naast de brouwerij staan in bloei 🌸",
     tags=["near-term"])
case("en", pub("untappd", "hopsalot_kees"), "Nachtvorst Barley Wine by Sluiswachter. Toffee, dried figs, a whisper of "
     "bourbon. 4.5/5, perfect next to the fireplace.", when="2026-12-08T21:47:12+01:00",
     tags=["embargo-after", "unknown-platform"])
case("nl", SWIG, "❄️ Hij is er: Nachtvorst BW! Vanaf nu te koop in de webshop en in onze taprooms in Haarlem en Utrecht.",
     when="2026-11-13T18:00:00+01:00", tags=["embargo-after"])
case("nl", MV, "Onze stagiair (intern 😉) heeft vandaag z'n eerste eigen batch gebrouwen, trotse mentor hier",
     tags=["near-term"])
case("nl", pub("blog", "havenwandelaar.example"), "In Den Helder lag vandaag een oude zeesleper aan de kade, prachtig schip. "
     "Daarna een Kolkdrift in het café om de hoek.", tags=["near-term"])

# =========================================================================== leak.financial
case("nl", NE, "Even afronden voor het weekend: omzet Q3 komt 14% onder budget uit en het MT beslist volgende week of "
     "de Utrechtse taproom open blijft. Zwaar kwartaal.", [FIN])
case("en", NE, "Draft of the jaarcijfers 2026 is done. First negative EBITDA since 2019 😬 time for a long walk.",
     [FIN, CONF], when="2026-12-19T17:25:00+01:00")
case("nl", MV, f"zes man van de bottelarij worden na de zomer ont{SHY}slagen. ik ben er echt kapot van, topgasten "
     "allemaal", [FIN], tags=["evasion"])
case("en", JM, "overheard in the sales meeting: Operatie Zeesleper is dead, they're selling the Utrecht taproom instead "
     "to cover the loan 😶", [FIN, CONF])
case("nl", RS, "Magazijn verhuist naar Tilburg, de hal in Haarlem gaat in maart dicht. Reorganisatie, is nog niet "
     "bekendgemaakt dus ssst", [FIN])
case("en", pub("reddit", "u/maltmonster"), "Friend who works at Sluiswachter says a big brewer is buying them out, deal "
     "gets signed next month. You heard it here first.", [FIN], kind="comment")
case("en", DK, "Board signed off on the Sluisobligatie today: €1.5M at 6% for the new brewhouse. Launching in March, "
     "can't wait to tell everyone properly!", [FIN, CONF])
case("nl", EW, "festivalteam wordt volgend jaar gehalveerd, budget is op 😢 nog niet officieel maar zo voelt het wel",
     [FIN])
case("nl", pub("x", "@kroegtijger"), "Hoorde van iemand op kantoor bij Sluiswachter dat ze volgend jaar faillissement "
     "moeten aanvragen als de bank niet meebeweegt 😬", [FIN])
case("en", NE, "Q2 draft numbers for the board pack: taproom revenue €1.2M, webshop €640k, net loss €85k. Pack goes "
     "out Friday, comments welcome internally", [FIN])
case("nl", SP, "overname van Brouwerij De Kroes is rond!! hun ketels komen naar Haarlem. persbericht pas in mei dus "
     "nog even stil zijn 🤫", [FIN])

# benign financial near-misses
case("nl", SWLI, "Vandaag publiceerden we onze jaarcijfers 2025: omzet +18% en de Utrechtse taproom draaide voor het "
     "eerst winst. Dank aan iedereen die een biertje kwam drinken! 🍻", tags=["published"])
case("nl", pub("x", "@lokaalbier"), "Weer ontslagen bij een grote Belgische brouwgroep, 200 banen weg. Steun je lokale "
     "brouwer zoals Sluiswachter!", tags=["other-company"])
case("en", pub("linkedin", "marieke-de-ruiter-mkb"), "Great piece in Het Parool on how Sluiswachter grew from a garage "
     "brew kit to two taprooms. Inspiring read for anyone running a small business.", tags=["published"])

# =========================================================================== leak.security
case("en", DK, "Long night. Someone injected a card skimmer into our webshop checkout script, we pulled it around 3am. "
     "Customers haven't been told yet, please don't share this until comms has a statement.", [SEC])
case("nl", MV, "brouwhuis-PLC ligt plat door ransomware 😵 we draaien de gisting op handbediening en de pers weet nog "
     "van niks", [SEC])
case("nl", LH, "kassasysteem in Utrecht is al 2 dagen gehackt volgens IT, we pinnen nu op een los apparaat. niks tegen "
     "de gasten zeggen aub", [SEC])
case("en", RS, "so our shipping label tool leaked the addresses of ~3000 Sluisbox subscribers, IT only found out today. "
     "not public yet, yikes", [SEC])
case("en", BK, "Not naming names, but the subscription portal at my work lets you see other people's orders by "
     "changing the number in the URL. Reported it internally weeks ago. Still open.", [SEC], kind="comment")
case("nl", EW, f"ons muntensysteem op de festivals is ge{ZW}hackt, er worden munten dubbel uitgegeven en niemand mag het "
     "weten 🙈", [SEC], tags=["evasion"])
case("nl", JM, "webshop ligt al sinds vanochtend plat door een DDoS. op de statuspagina staat 'gepland onderhoud' maar "
     "dat is gewoon niet waar", [SEC])
case("nl", DK, "Phishingmail heeft gisteren twee accounts van finance overgenomen. Wachtwoorden worden nu overal "
     "gereset, extern is er nog niks over gezegd.", [SEC])
case("en", pub("reddit", "u/sourpuss_ams"), "Sluiswachter is sitting on a data breach. I got a phishing mail with my "
     "exact Sluisbox order and delivery slot. Not a word from them.", [SEC, CRISIS], kind="post")
case("nl", pub("x", "@wakkere_wessel"), "Sluiswachter is geh4ckt en ze houden hun mond 🤐 klantgegevens liggen gewoon "
     "op straat, zeg het nou gewoon eerlijk", [SEC, CRISIS], tags=["evasion"])

# benign security near-misses
case("nl", SWX, "Gepland onderhoud: onze webshop is vannacht tussen 23:00 en 01:00 offline. Daarna kun je gewoon weer "
     "bestellen 🛠️", tags=["official-notice"])
case("nl", SWTAP, "Storing bij het pinnen in de taproom Haarlem 😩 contant of Tikkie kan wel, we zijn ermee bezig!",
     tags=["official-notice"])
case("nl", pub("x", "@ellen_drinkt_ipa"), "Weer een datalek bij een grote webwinkel. Blij dat ik mijn bier gewoon bij de "
     "taproom van Sluiswachter haal 😅", tags=["other-company"])

# =========================================================================== reputation.crisis
case("nl", pub("x", "@rood_haarlem"), "BOYCOT SLUISWACHTER ✊ tapstaf in Utrecht eruit gegooid omdat ze een vakbond "
     "wilden. Deel dit!! #boycotsluiswachter", [CRISIS])
case("nl", pub("facebook", "Sandra Pel"), "Glasscherf in mijn flesje Kolkdrift!! Had het bijna ingeslikt. Foto's naar "
     "Sluiswachter gestuurd, dit moet een terugroepactie worden", [CRISIS, COMPLAINT])
case("en", pub("reddit", "u/canconnoisseur"), "Warning: this batch of Lichtmis cans is gushing like crazy. One burst in "
     "my fridge and sliced my hand open. Batch 26-114. Stay away until Sluiswachter says something.",
     [CRISIS, COMPLAINT], kind="post")
case("en", pub("x", "@leidenlocal"), "Several people report food poisoning after eating at the Sluiswachter stand at the "
     "Leiden beer festival, GGD is looking into it", [CRISIS])
case("nl", pub("blog", "bierjournaal.example"), "Brouwerij Sluiswachter wordt aangeklaagd door een oud-brouwer vanwege "
     "honderden onbetaalde overuren. De zaak dient in juni bij de kantonrechter.", [CRISIS])
case("nl", pub("instagram", "@haarlemsdagelijks"), "Video gaat rond van de portier bij Sluiswachter Haarlem die een groep "
     "jongens weigert met racistische opmerkingen. Dit kan echt niet, Sluiswachter.", [CRISIS])
case("en", pub("threads", "@dani.drinks"), "Sluiswachter data breach confirmed for me: my Sluisbox login and home "
     "address are in a dump on a hacker forum. Thanks for nothing.", [CRISIS])
case("nl", pub("mastodon", "moedervanmila@mastodon.nl"), "Proefpakket van Sluiswachter bevat een tarwebier zonder "
     "allergenenvermelding op het etiket. Dochter met coeliakie doodziek. Gemeld bij de NVWA.", [CRISIS, COMPLAINT])
case("en", pub("x", "@wild_not_trophies"), "#b o y c o t t sluiswachter until they drop their sponsorship of that "
     "trophy hunting expo 🦁", [CRISIS], tags=["evasion"])
case("nl", pub("youtube", "BierTV Noord"), "Let op: Sluiswachter roept Lichtmis blikken terug, te veel koolzuur en kans "
     "dat ze openbarsten. Check je batchnummer!", [CRISIS], kind="comment")
case("nl", pub("facebook", "Spaarne Natuurlijk"), "\u0405luiswachter schandaal: brouwerij loosde afvalwater in de Spaarne, "
     "overal dode vissen 🐟 #milieu", [CRISIS], tags=["evasion"])
case("en", pub("tiktok", "@joris.films"), "guy collapsed at the Sluiswachter taproom after the 'tripel challenge' they "
     "were hyping on insta. ambulance came. so irresponsible", [CRISIS])

# benign crisis near-misses
case("nl", pub("x", "@rijdendebart"), "Mijn auto moet terug naar de dealer vanwege een terugroepactie, dus vanavond laat "
     "ik me maar rijden naar de taproom 😎🍺", tags=["other-sense"])
case("nl", pub("x", "@tripeltiener"), "Ik boycot deze winter alles behalve tripels 😤 Kolkdrift op nummer 1",
     tags=["other-sense", "joke"])
case("nl", pub("facebook", "Buurtapp Waarderpolder"), "Grote brand in een loods op het industrieterrein, gelukkig ver van "
     "de brouwerij en iedereen is veilig. Sluiswachter deelt koffie uit aan de brandweer ❤️", tags=["other-sense"])
case("en", pub("blog", "inkandhops.example"), "Chapter 3 of my brewery thriller is up: a fermenter explodes at a "
     "fictional Haarlem brewery and the head brewer vanishes. (No, it's not Sluiswachter, they're lovely.)",
     tags=["fiction"])

# =========================================================================== reputation.complaint
case("nl", pub("x", "@joycevandam"), "@sluiswachterbier al 2 weken wachten op mijn Sluisbox en op mijn mails krijg ik "
     "geen reactie. beetje jammer zo 😕", [COMPLAINT], kind="reply")
case("en", pub("other", "googlemaps:Peter_L"), "Tour guide rushed the whole thing in 20 minutes and half the tasting "
     "glasses were dirty. €22.50 for that? Not coming back.", [COMPLAINT])
case("nl", pub("instagram", "@bierenbitterbal"), "Tray Kolkdrift kwam binnen met 4 kapotte flessen en een doorweekte "
     "doos 🙄 #sluiswachter", [COMPLAINT])
case("en", pub("facebook", "Rachel Timmers"), "Cancelled my Sluisbox in August, still charged for September AND "
     "October. Nobody picks up the phone. What a mess.", [COMPLAINT], kind="comment")
case("nl", pub("reddit", "u/hopkop"), "Wat is er met de Lichtmis gebeurd? Vorige batch was top, deze is dun en zoetig, "
     "smaakt bijna naar limonade. Jammer hoor.", [COMPLAINT], kind="comment")
case("nl", pub("forum", "gerrit_gist"), "€7,95 verzendkosten voor één proefpakket en dan komt ie ook nog een dag te "
     "laat. Volgende keer haal ik het zelf wel op.", [COMPLAINT], tags=["price-context"])
case("en", pub("youtube", "Sven Aerts"), "bought the brewery tour as a gift, the site wouldn't let us rebook when my dad "
     "got sick. no refund, no reply to 3 emails. not impressed", [COMPLAINT], kind="comment")
case("nl", pub("x", "@tom_tapt_niet"), "sluiswachter app crasht elke keer bij afrekene, al 3x geprobeert 🙄 kom op zeg",
     [COMPLAINT])
case("en", pub("instagram", "@lisa.and.lager"), "Ordered the Duivelsbrug BA for my husband's 40th. Cork was bone dry "
     "and the beer tasted like wet cardboard 😞 emailed support 5 days ago, nothing.", [COMPLAINT])
case("en", pub("reddit", "u/dentedcan"), "Sluiswachter customer service told me the dented cans in my order were "
     "'cosmetic' and refused to replace them. Half of them were leaking.", [COMPLAINT], kind="comment")
case("nl", pub("facebook", "Bart Koster"), "Rondleiding van 14u ging niet door, hoorden we pas toen we voor de deur "
     "stonden. Uur gereden voor niks en geen sorry.", [COMPLAINT])
case("nl", pub("x", "@femkefietst"), fullwidth("sluiswachter") + " bezorging is echt elke keer te laat, nu weer 3 dagen "
     "na de beloofde datum", [COMPLAINT], tags=["evasion"])

# benign complaint near-misses
case("nl", pub("x", "@abonnee_anja"), "Geen klachten hoor, Sluisbox komt elke maand keurig op tijd en de bieren zijn "
     "top 👌", tags=["negated"])
case("en", pub("other", "googlemaps:Ayesha K"), "Best brewery tour I've done in NL. Guide knew everything and the "
     "tasting was generous. 10/10", tags=["praise"])
case("nl", pub("facebook", "Jolanda Smits"), "Kun je in de taproom Haarlem ook met creditcard betalen of alleen pinnen?",
     kind="comment", tags=["question"])
case("nl", pub("x", "@gansgeweigerd"), "Brouwerij De Gulle Gans stuurt wéér een verkeerde bestelling. Gelukkig heb ik "
     "nog een paar Sluiswachters in de koelkast.", tags=["other-company"])
case("nl", SWIG, "“Te bitter voor mij” schreef iemand vorige week over onze IPA 😄 Challenge accepted: dit weekend "
     "staat er een zachte session pale op de tap.", tags=["quote"])
case("en", pub("reddit", "u/giftideas4bro"), "Is the Sluisbox worth it compared to just buying singles? Thinking of "
     "getting one for my brother's birthday.", kind="post", tags=["question"])

# =========================================================================== reputation.abuse
case("nl", pub("x", "@zuurpruim"), "die kutbrouwerij in Haarlem met hun hipsterbaarden, stelletje prutsers "
     "@sluiswachterbier", [ABUSE])
case("en", pub("reddit", "u/angry_ale_guy"), "The guy who owns Sluiswachter is a complete moron. Hope that whole place "
     "burns down with him in it.", [ABUSE], kind="comment")
case("nl", LH, "@bram_drinkt als je zo debiel blijft doen tegen mijn personeel ben je gewoon niet meer welkom, klaar",
     [ABUSE], kind="comment")
case("nl", SWTAP, "@bierkenner1979 Misschien eerst leren lezen voordat u een review schrijft. Zeurpiet zonder smaak 🙄",
     [ABUSE], kind="reply")
case("nl", pub("instagram", "@ongefilterd_oss"), "k@nkerzooi die brouwerij van jullie @sluiswachter.brouwerij",
     [ABUSE], kind="comment", tags=["evasion"])
case("en", pub("tiktok", "@no.hops.no.hope"), "f*cking hipster clowns at sluiswachter, every single one of them",
     [ABUSE], kind="comment", tags=["evasion"])
case("en", pub("x", "@echt_hollands"), "Sluiswachter taproom is full of foreigners behind the bar now. Go back where you "
     "came from, this is Haarlem.", [ABUSE])
case("nl", pub("forum", "boze_bert"), "Drie keer gebeld over mijn kapotte tray en die klantenservice-idioten hangen "
     "gewoon op. Tering zooi.", [ABUSE, COMPLAINT])
case("en", pub("x", "@refundplz"), "Paid for the Sluiswachter tour, nobody showed up to guide us. Absolute scumbags, "
     "give me my money back", [ABUSE, COMPLAINT])
case("en", JM, "lol the guys at De Gulle Gans brew actual piss, total clowns the lot of them 🤡", [ABUSE], kind="reply")
case("nl", pub("youtube", "Kees Mopper"), "t y f u s brouwerij, hoop dat jullie snel failliet gaan", [ABUSE],
     kind="comment", tags=["evasion"])
case("nl", pub("x", "@stamgast_nooit"), "@sluiswachter_tap jullie barman met dat snorretje is een ongelooflijke klootzak",
     [ABUSE], kind="reply")

# benign abuse near-misses
case("nl", SWFB, "Deze maand gaat €1 per verkochte Roze Tripel naar KWF voor onderzoek naar kanker 💗 Proost op een "
     "goed doel!", tags=["mild-word"])
case("en", SWIG, "Hell yes 😈 Duivelsbrug Barrel Aged is back on tap in both taprooms this weekend.", tags=["mild-word"])
case("nl", pub("x", "@bierbuik_bertus"), "Mijn vrouw noemt me een bierbuik. Ze heeft gelijk. Proost 🍻 #sluiswachter",
     tags=["joke"])
case("en", pub("reddit", "u/acdc_and_ales"), "The taproom played 'Highway to Hell' three times in a row last night and "
     "honestly nobody complained 🤘 Sluiswachter Utrecht knows its crowd", kind="comment", tags=["quote", "mild-word"])

# =========================================================================== general benign
case("nl", SWX, "Zaterdag staan we met de kraam op Bierfestival Utrecht 🍻 Kom langs voor de Lichtmis en onze zomerse "
     "witbier!", tags=["ordinary"])
case("nl", MV, "40 hl Kolkdrift gebotteld vandaag 💪 rug kapot, hart vol", tags=["ordinary"])
case("en", EW, "setting up the stand at Bierfestival Leiden ☀️ come say hi, first 50 visitors get a free glass",
     tags=["ordinary"])
case("en", pub("other", "untappd:juicebox_jules"), "Lichtmis NEIPA by Sluiswachter: juicy, soft, dangerously "
     "drinkable. 4.25", tags=["ordinary"])
case("nl", SWTT, "Zo maken we de Kolkdrift: van maischen tot fles in 60 seconden 🎬 #brouwerij #bier",
     tags=["ordinary"])
case("en", pub("linkedin", "joost-verhaar-horeca"), "Sluiswachter announced today they'll open a third taproom in "
     "Amsterdam-Noord next spring (press release on their site). Great news for the neighbourhood!",
     tags=["published"])
case("nl", JM, "Nieuwe horecaklant in Zandvoort 🎉 vanaf volgende week Kolkdrift van de tap aan het strand",
     tags=["ordinary"])
case("nl", NE, "Trots dat ik na 5 jaar nog steeds bij Sluiswachter werk. Van boekhouden tussen de moutzakken naar een "
     "echt kantoor 😄", tags=["ordinary"])
case("en", pub("bluesky", "granddaughter.bsky.social"), "Does anyone know if the Sluiswachter tour is wheelchair "
     "accessible? Planning a visit with my gran.", tags=["question"])
case("en", pub("reddit", "u/growlergirl"), "My growler from Sluiswachter has a tiny leak at the cap, any tips? Probably "
     "my own fault, I dropped it on the tiles 😅", kind="post", tags=["other-sense"])
case("en", SWLI, "Our head brewer Maarten Visser will speak at the Craft Beer Congress in Amsterdam on 14 May about "
     "barrel ageing. See you there?", tags=["ordinary"])
case("nl", EW, "Festivalseizoen zit erop! 14 festivals, 9000 glazen, 0 kapotte tapinstallaties 🙌 dank crew",
     tags=["ordinary"])
case("nl", SWFB, "Sluisbox van maart: een Belgische saison, een rauchbier en onze nieuwe lentebok 🌷 Abonneren kan via "
     "shop.sluiswachter.nl", tags=["ordinary"])
case("nl", pub("threads", "@vrijdagborrel_vera"), "wie gaat er mee naar de Sluiswachter taproom vrijdag? 🍻 eerste "
     "rondje van mij", tags=["ordinary"])


# =========================================================================== building
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
                crit = c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and pii_validated)
                s = "critical" if crit else "error"
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


def ams_offset(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def random_time(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(3, 355))
    guess = base + dt.timedelta(minutes=r.randint(8 * 60, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = ams_offset(guess)
    t = guess - dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.88:
        return (t + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


B36 = string.digits + string.ascii_lowercase


def make_id_url(r, platform, handle, kind):
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
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}_{b}", f"https://www.facebook.com/{h.replace(' ', '.')}/posts/{b}"
    if platform == "reddit":
        p = "".join(r.choice(B36) for _ in range(7))
        sub = r.choice(["Bier", "thenetherlands", "Haarlem", "craftbeer"])
        if kind == "comment":
            c = "".join(r.choice(B36) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/{sub}/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/{sub}/comments/{p}/"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"bierpraat-{n}", f"https://forum.bierpraat.example/topic/{n}"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        v = "".join(r.choice(B64URL) for _ in range(11))
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(111_000_000_000_000_000, 115_000_000_000_000_000)
        return f"md-{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3l" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "threads":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog-{h}-{n}", f"https://{h}/posts/{n}"
    n = r.randint(10 ** 8, 10 ** 9)
    return f"{platform}-{n}", None


def build(profile):
    gen = Gen(SEED)
    mr = random.Random(SEED + 1)
    orr = random.Random(SEED + 2)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(gen, c["text"])
        pid, url = make_id_url(mr, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "7"
        seen.add((c["platform"], pid))
        created = c["when"] or random_time(mr)
        role = role_of(profile, c["platform"], c["handle"])
        pii_valid = "leak.pii" in c["cats"] and any(k in VALID_ID_KINDS for k, _, _ in used)
        sev = severity_for(role, c["cats"], pii_valid)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and mr.random() < 0.65:
            kind = "post"
        if kind is not None:
            post["kind"] = kind
        acc = {"handle": c["handle"]}
        if c["display_name"] and mr.random() < 0.7:
            acc["display_name"] = c["display_name"]
        if mr.random() < 0.3:
            acc["id"] = str(mr.randint(10 ** 7, 10 ** 12))
        post["account"] = acc
        post["text"] = text
        p = mr.random()
        tags = set(c["tags"])
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif p < 0.1:
            pass
        elif p < 0.13:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            tags.add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if url and mr.random() < 0.6:
            post["url"] = url
        if mr.random() < 0.45:
            post["brand"] = "sluiswachter"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=tags, used=used))
    orr.shuffle(rows)
    return rows


def dump_lines(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# =========================================================================== self-check
INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
CARD_IIN = re.compile(r"^(4|5[1-5]|2(22[1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)|3[47])")
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
DIGITS_RE = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-()]{7,16}\d")
SECRET_RES = {
    "github": re.compile(r"\bghp_[A-Za-z0-9]{36}\b"),
    "aws": re.compile(r"\bAKIA[A-Z2-7]{16}\b"),
    "slack_hook": re.compile(r"hooks\.slack\.com/services/T\w+/B\w+/\w+"),
    "mollie": re.compile(r"\blive_[A-Za-z0-9]{30}\b"),
    "shopify": re.compile(r"\bshpat_[0-9a-f]{32}\b"),
    "sendgrid": re.compile(r"\bSG\.[\w-]{22}\.[\w-]{43}"),
    "pem": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "jwt": re.compile(r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+"),
    "url_creds": re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s:/@]+:[^\s@/]+@"),
}
PROFANITY = ["kut", "kanker", "tering", "tyfus", "klote", "klootzak", "debiel", "trut", "idioot", "idiot", "fuck",
             "f*ck", "shit", "moron", "scum", "clown", "hell", "damn", "prutser", "piss"]
MILD_OK = {"hell", "kanker"}
AMOUNT_RE = re.compile(r"(?:€\s?|EUR\s?)(\d[\d.,]*)(?:,-)?|(\d[\d.,]*)(?:,-)?\s?(?:euro|eur)\b", re.I)


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVISIBLE)
    t = "".join(" " if unicodedata.category(ch) == "So" else ch for ch in t)
    return re.sub(r"\s+", " ", t).casefold()


def squash(t):
    return re.sub(r"\b(\w) (?=\w\b)", r"\1", norm(t))


def parse_amount(s):
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
    t = norm(text)
    ment = [p for p in products if any(a.casefold() in t for a in [p["name"]] + p["aliases"])]
    amts = [parse_amount(m.group(1) or m.group(2)) for m in AMOUNT_RE.finditer(t)]
    if not ment or not amts:
        return None
    return min(amts) / min(p["list_price"] for p in ment)


def phones(text):
    out = []
    for m in PHONE_RE.finditer(IBAN_RE.sub(" ", text)):
        raw = m.group(0)
        d = re.sub(r"\D", "", raw)
        if raw.startswith("+31"):
            d = d[2:]
        elif raw.startswith("0031"):
            d = d[4:]
        d = "0" + d.lstrip("0")
        out.append((raw, d))
    return out


def check(lines, rows, profile):
    errors, notes = [], []
    own_ibans = set(profile["public_identifiers"]["ibans"])
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_phones = {"0" + re.sub(r"\D", "", p)[2:] if p.startswith("+31") else re.sub(r"\D", "", p)
                  for p in profile["public_identifiers"]["phones"]}
    embargo = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = ([c.casefold() for c in profile["internal"]["codenames"]]
                + [d.casefold() for d in profile["internal"]["domains"]]
                + [m.casefold() for m in profile["internal"]["markers"]])
    seen = set()
    for n, (line, r) in enumerate(zip(lines, rows), 1):
        obj = json.loads(line)
        p, ex = obj["post"], obj["expect"]
        w = f"line {n} ({p['id']})"
        text = p["text"]
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                errors.append(f"{w}: {f} missing")
        if (p["platform"], p["id"]) in seen:
            errors.append(f"{w}: duplicate id")
        seen.add((p["platform"], p["id"]))
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errors.append(f"{w}: not 2026")
        cats = ex["categories"]
        if cats != sorted(set(cats)) or any(c not in TAXONOMY for c in cats):
            errors.append(f"{w}: bad categories {cats}")
        role = role_of(profile, p["platform"], p["account"]["handle"])
        validated = any(k in VALID_ID_KINDS for k, _, _ in r["used"])
        if severity_for(role, cats, "leak.pii" in cats and validated) != ex["severity"]:
            errors.append(f"{w}: severity mismatch")
        for kind, raw, shown in r["used"]:
            if shown not in text:
                errors.append(f"{w}: {kind} not in text")
            if kind.startswith("IBAN_") and not iban_ok(raw):
                errors.append(f"{w}: IBAN invalid")
            if kind == "BAD_IBAN_NL" and iban_ok(raw):
                errors.append(f"{w}: bad IBAN passes")
            if kind == "CARD" and not (luhn_ok(raw) and CARD_IIN.match(raw)):
                errors.append(f"{w}: card invalid")
            if kind == "BAD_CARD" and luhn_ok(raw):
                errors.append(f"{w}: bad card passes Luhn")
            if kind == "BSN" and not bsn_ok(raw):
                errors.append(f"{w}: BSN invalid")
            if kind in ("NOT_BSN9", "NOT_BSN8") and bsn_ok(raw):
                errors.append(f"{w}: not-BSN passes 11-proof")
            if kind == "EAN13" and (not ean13_ok(raw) or luhn_ok(raw)):
                errors.append(f"{w}: EAN wrong")
            if kind == "GHP" and b62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errors.append(f"{w}: ghp crc wrong")
            if kind in VALID_ID_KINDS and "leak.pii" not in cats:
                errors.append(f"{w}: valid identifier without leak.pii")
        if not cats:
            for m in IBAN_RE.finditer(text):
                v = m.group(0).replace(" ", "")
                if iban_ok(v) and v not in own_ibans:
                    errors.append(f"{w}: benign has valid IBAN")
            for m in DIGITS_RE.finditer(text):
                d = re.sub(r"\D", "", m.group(0))
                if 13 <= len(d) <= 19 and luhn_ok(d):
                    errors.append(f"{w}: benign has Luhn-valid number {d}")
            for d in re.findall(r"(?<![\w.,-])\d{8,9}(?![\w]|[.,-]\d)", text):
                if bsn_ok(d):
                    errors.append(f"{w}: benign has 11-proof number {d}")
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_emails:
                    errors.append(f"{w}: benign has e-mail {e}")
            for raw, d in phones(text):
                if len(d) == 10 and d not in own_phones:
                    errors.append(f"{w}: benign has phone {raw} ({d})")
            for name, rx in SECRET_RES.items():
                if rx.search(text):
                    errors.append(f"{w}: benign has secret-like {name}")
            low = norm(text)
            for word in PROFANITY:
                if re.search(r"\b" + re.escape(word), low):
                    if word in MILD_OK and "mild-word" in r["tags"]:
                        notes.append(f"{w}: mild word {word!r} in benign (tagged)")
                    else:
                        errors.append(f"{w}: benign has word {word!r}")
            ratio = min_ratio(text, profile["products"])
            if ratio is not None and ratio < profile["pricing"]["alert_below_ratio"]:
                (notes if "price-context" in r["tags"] else errors).append(
                    f"{w}: benign with amount at {ratio:.2f} of list near a product")
        nt, sq = norm(text), squash(text)
        for term, until in embargo:
            if term in nt or term in sq:
                if ts < until and "leak.confidential" not in cats:
                    errors.append(f"{w}: embargo term {term!r} before embargo without leak.confidential")
                if ts >= until and cats:
                    notes.append(f"{w}: embargo term after embargo in a positive")
        for term in internal:
            if re.search(r"(?<![\w.])" + re.escape(term) + r"(?!\w)", nt) or re.search(
                    r"(?<![\w])" + re.escape(term.replace(" ", "")) + r"(?!\w)", sq.replace(" ", " ")) \
                    or re.search(r"\." + re.escape(term), nt):
                if "leak.confidential" not in cats:
                    errors.append(f"{w}: internal term {term!r} without leak.confidential")
        if "leak.pricing" in cats:
            ratio = min_ratio(text, profile["products"])
            if ratio is None or ratio >= 0.5:
                notes.append(f"{w}: pricing positive without a parsed low price ({ratio})")
    # near duplicates
    sh = []
    for line in lines:
        wds = re.findall(r"\w+", norm(json.loads(line)["post"]["text"]))
        sh.append({tuple(wds[i:i + 3]) for i in range(max(0, len(wds) - 2))})
    for i in range(len(sh)):
        for j in range(i + 1, len(sh)):
            if sh[i] and sh[j]:
                jac = len(sh[i] & sh[j]) / len(sh[i] | sh[j])
                if jac > 0.2:
                    (errors if jac > 0.4 else notes).append(f"lines {i + 1},{j + 1}: trigram overlap {jac:.2f}")
    return errors, notes


def stdnum_cross(rows):
    try:
        from stdnum import iban as si, luhn as sl
        from stdnum.nl import bsn as sb
    except ImportError:
        return "python-stdnum not installed: cross-check skipped"
    bad, n = [], 0
    for r in rows:
        for k, raw, _ in r["used"]:
            checks = {"IBAN_NL": si.is_valid, "IBAN_BE": si.is_valid, "IBAN_DE": si.is_valid, "IBAN_GB": si.is_valid,
                      "CARD": sl.is_valid, "BSN": sb.is_valid}
            negs = {"BAD_IBAN_NL": si.is_valid, "BAD_CARD": sl.is_valid, "NOT_BSN9": sb.is_valid,
                    "NOT_BSN8": lambda x: sb.is_valid("0" + x), "EAN13": sl.is_valid}
            if k in checks:
                n += 1
                if not checks[k](raw):
                    bad.append(raw)
            if k in negs:
                n += 1
                if negs[k](raw):
                    bad.append(raw)
    return f"python-stdnum DISAGREES on {bad}" if bad else f"python-stdnum agrees on all {n} identifiers"


def report(rows):
    from collections import Counter
    cat, catlang, role, sev, plat, lang = Counter(), Counter(), Counter(), Counter(), Counter(), Counter()
    multi = ev = 0
    for r in rows:
        cs = r["expect"]["categories"]
        for c in cs or ["(benign)"]:
            cat[c] += 1
            catlang[(c, r["lang"])] += 1
        multi += len(cs) > 1
        ev += "evasion" in r["tags"]
        role[r["role"]] += 1
        sev[r["expect"]["severity"]] += 1
        plat[r["post"]["platform"]] += 1
        lang[r["lang"]] += 1
    print(f"cases {len(rows)}  benign {cat['(benign)']}  multi-category {multi}  evasion {ev}")
    for c in TAXONOMY + ["(benign)"]:
        print(f"  {c:24s} {cat[c]:4d}  nl {catlang[(c, 'nl')]:3d}  en {catlang[(c, 'en')]:3d}")
    print("languages", dict(lang), "roles", dict(role))
    print("severities", {s: sev[s] for s in SEVERITIES})
    print("platforms", dict(plat.most_common()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--notes", action="store_true")
    a = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    lines = dump_lines(rows)
    if not a.check:
        OUT.write_text("".join(lines), encoding="utf-8")
        print(f"wrote {len(lines)} cases to {OUT}")
    disk = OUT.read_text(encoding="utf-8").splitlines(keepends=True)
    errors, notes = check(lines, rows, profile)
    if disk != lines:
        errors.append("cases.jsonl differs from the generator output")
    print(stdnum_cross(rows))
    report(rows)
    if a.notes:
        for x in notes:
            print("  note: " + x)
    print(f"{len(errors)} error(s), {len(notes)} note(s)")
    for e in errors:
        print("  ERROR " + e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
