#!/usr/bin/env python3
"""Deterministic generator for the sealed postwatch evaluation set (cases.jsonl).

    python3 make_cases.py           # write cases.jsonl next to this file, then self-check it
    python3 make_cases.py --check   # only regenerate in memory, compare and self-check

Company: Sproetje B.V. (fictional), a Dutch children's clothing webshop with a
second-hand resale line, kids' shoes, a monthly subscription box, returns and a
trade-in programme. The profile is profile.yaml next to this file.

Texts are hand-written below (CASES). Identifiers and secrets come from
placeholders like <<IBAN_NL:grp>> filled by one seeded RNG, so the output is
byte-for-byte reproducible. Positives get checksum-VALID identifiers (IBAN mod-97,
Luhn, BSN 11-proof), hard negatives get look-alikes that FAIL their checksum.
All secrets are random and fake but shaped like the real thing (GitHub tokens carry
a correct CRC32 checksum).

Severity is never typed by hand: severity_for() derives it from the CONTRACT
section 4 policy using the account role (profile.yaml, platform:handle compared
case-insensitively), the categories, and whether a checksum-valid identifier
(IBAN, card, BSN) is in a leak.pii post.
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

SEED = 46146
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
CATEGORIES = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
              "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]

ZW = "\u200b"    # zero-width space
SHY = "\u00ad"   # soft hyphen
NBSP = "\u00a0"
# Cyrillic look-alikes
CYR = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "p": "\u0440", "c": "\u0441", "i": "\u0456"}


def fw(s):
    """Full-width form of ASCII text."""
    return "".join("\u3000" if ch == " " else chr(ord(ch) - 0x21 + 0xFF01) if "!" <= ch <= "~" else ch
                   for ch in s)


def cyr(s, letters):
    """Swap the given Latin letters for Cyrillic look-alikes."""
    return "".join(CYR[ch] if ch in letters else ch for ch in s)


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------

def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def iban_make(country, bban):
    r = bban + country + "00"
    check = 98 - int("".join(str(int(c, 36)) for c in r)) % 97
    return f"{country}{check:02d}{bban}"


def luhn_ok(digits):
    digits = re.sub(r"\D", "", digits)
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return bool(digits) and total % 10 == 0


def luhn_complete(partial):
    return next(partial + d for d in "0123456789" if luhn_ok(partial + d))


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    total = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return total % 11 == 0 and total != 0


def ean13_ok(s):
    d = [int(c) for c in s]
    return (sum(d[i] * (3 if i % 2 else 1) for i in range(12)) + d[12]) % 10 == 0


# ---------------------------------------------------------------------------
# seeded placeholder values
# ---------------------------------------------------------------------------

ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
OWN_IBAN = "NL47RABO0318457290"


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def digits(self, n, nz=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        if nz and s[0] == "0":
            s = self.r.choice("123456789") + s[1:]
        return s

    def chars(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    @staticmethod
    def grp(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    # IBANs
    def iban_nl(self):
        while True:
            bank = self.r.choice(["INGB", "ABNA", "RABO", "SNSB", "ASNB", "BUNQ", "KNAB", "TRIO", "RBRB"])
            v = iban_make("NL", bank + self.digits(10, nz=True))
            if v != OWN_IBAN:
                return v

    def iban_be(self):
        first10 = self.r.choice(["063", "068", "001", "310", "734", "973"]) + self.digits(7)
        return iban_make("BE", f"{first10}{int(first10) % 97 or 97:02d}")

    def iban_de(self):
        return iban_make("DE", self.r.choice(["10010010", "37040044", "50070010", "76026000"]) + self.digits(10))

    def iban_gb(self):
        return iban_make("GB", self.r.choice(["BARC", "LOYD", "NWBK", "MIDL"]) + self.digits(14))

    def bad_iban(self, valid):
        kk = int(valid[2:4])
        for delta in (7, 19, 31, 43, 61):
            cand = f"{valid[:2]}{(kk + delta) % 100:02d}{valid[4:]}"
            if not iban_ok(cand):
                return cand
        raise AssertionError(valid)

    # cards
    def card(self, brand):
        if brand == "visa":
            return luhn_complete("4" + self.digits(14))
        if brand == "mc":
            return luhn_complete("5" + self.r.choice("12345") + self.digits(13))
        if brand == "mc2":
            return luhn_complete(str(self.r.randint(2221, 2720)) + self.digits(11))
        if brand == "amex":
            return luhn_complete(self.r.choice(["34", "37"]) + self.digits(12))
        raise ValueError(brand)

    def bad_card(self, brand):
        v = self.card(brand)
        bad = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_ok(bad)
        return bad

    @staticmethod
    def fmt_card(v, f):
        if f == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if f == "dash" else " ").join(parts)

    # BSN and look-alikes
    def bsn(self):
        while True:
            s = self.digits(9, nz=True)
            if bsn_ok(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.digits(n, nz=True)
            if not bsn_ok(s) and not luhn_ok(s):
                return s

    def ean13(self):
        while True:
            body = "87" + self.digits(10)
            cand = next(body + d for d in "0123456789" if ean13_ok(body + d))
            if not luhn_ok(cand):
                return cand

    # phones
    def phone(self, fmt):
        d8 = self.r.choice("12345") + self.digits(7)          # mobile digits after '06'
        area = self.r.choice(["10", "15", "20", "23", "30", "33", "35", "38", "40", "45", "50", "53", "70", "73"])
        sub = self.r.choice("2345789") + self.digits(6)
        return {
            "mob_dash": f"06-{d8}",
            "mob_plain": f"06{d8}",
            "mob_intl_sp": f"+31 6 {d8[:4]} {d8[4:]}",
            "mob_0031": f"0031 6 {d8}",
            "mob_pairs": f"06 {d8[:2]} {d8[2:4]} {d8[4:6]} {d8[6:]}",
            "mob_paren": f"(06) {d8[:4]} {d8[4:]}",
            "mob_intl0": f"+31(0)6 {d8}",
            "mob_intl_c": f"+316{d8}",
            "mob_dots": f"06.{d8[:2]}.{d8[2:4]}.{d8[4:6]}.{d8[6:]}",
            "land_dash": f"0{area}-{sub}",
            "land_sp": f"0{area} {sub[:3]} {sub[3:5]} {sub[5:]}",
            "land_intl": f"+31 {area} {sub[:3]} {sub[3:]}",
            "be_mob": f"+32 4{self.r.choice('789')}{self.digits(1)} {self.digits(2)} {self.digits(2)} {self.digits(2)}",
        }[fmt]

    # secrets
    def ghp(self):
        body = self.chars(ALNUM, 30)
        return "ghp_" + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def aws_id(self):
        return "AKIA" + self.chars(B32, 16)

    def aws_secret(self):
        return self.chars(B64, 40)

    def slack_bot(self):
        while True:   # keep the numeric parts from looking like a Luhn-valid card number
            a, b = self.digits(12, True), self.digits(13, True)
            if not luhn_ok(a) and not luhn_ok(b):
                return f"xoxb-{a}-{b}-{self.chars(ALNUM, 24)}"

    def stripe(self):
        return "sk_live_" + self.chars(ALNUM, 28)

    def mollie(self):
        return "live_" + self.chars(ALNUM, 30)

    def shopify(self):
        return "shpat_" + self.chars("0123456789abcdef", 32)

    def sendgrid(self):
        return "SG." + self.chars(B64URL, 22) + "." + self.chars(B64URL, 43)

    def gapi(self):
        return "AIzaSy" + self.chars(B64URL, 33)

    def jwt(self):
        h = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        payload = {"sub": "emp_" + self.digits(5, True), "iss": "auth.sproetje.nl",
                   "scope": "finance:read", "iat": iat, "exp": iat + 7200}
        p = b64url(json.dumps(payload, separators=(",", ":")).encode())
        return f"{h}.{p}.{self.chars(B64URL, 43)}"

    def pem_rsa(self):
        body = "MIIEowIBAAKCAQEA" + self.chars(B64, 64 * 6 - 16)
        lines = [body[i:i + 64] for i in range(0, len(body), 64)] + [self.chars(B64, 40) + "=="]
        return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"

    def pw(self):
        return (self.r.choice(string.ascii_uppercase) + self.chars(string.ascii_lowercase, 4)
                + self.chars(string.digits, 2) + self.r.choice("!#*-") + self.chars(ALNUM, 4))

    def hexs(self, n):
        return self.chars("0123456789abcdef", n)

    def uuid(self):
        h = self.hexs(32)
        h = h[:12] + "4" + h[13:16] + self.r.choice("89ab") + h[17:]
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


VALID_ID_KINDS = {"IBAN_NL", "IBAN_BE", "IBAN_DE", "IBAN_GB", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(gen, text):
    used = []

    def sub(m):
        kind, fmt = m.group(1), m.group(2) or ""
        if kind in ("IBAN_NL", "IBAN_BE", "IBAN_DE", "IBAN_GB"):
            raw = getattr(gen, kind.lower())()
            shown = gen.grp(raw) if fmt == "grp" else raw
        elif kind in ("BAD_IBAN_NL", "BAD_IBAN_BE"):
            raw = gen.bad_iban(getattr(gen, kind[4:].lower())())
            shown = gen.grp(raw) if fmt == "grp" else raw
        elif kind == "CARD":
            brand, _, f = fmt.partition("_")
            raw = gen.card(brand)
            shown = gen.fmt_card(raw, f or "sp")
        elif kind == "BAD_CARD":
            brand, _, f = fmt.partition("_")
            raw = gen.bad_card(brand)
            shown = gen.fmt_card(raw, f or "sp")
        elif kind == "BSN":
            raw = gen.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if fmt == "dots" else raw
        elif kind in ("NOT_BSN9", "NOT_BSN8"):
            shown = raw = gen.not_bsn(int(kind[-1]))
        elif kind == "EAN13":
            shown = raw = gen.ean13()
        elif kind == "PHONE":
            shown = raw = gen.phone(fmt)
        elif kind == "DIGITS":
            shown = raw = gen.digits(int(fmt), nz=True)
        elif kind == "HEX":
            shown = raw = gen.hexs(int(fmt))
        else:
            fn = {"GHP": gen.ghp, "AWS_ID": gen.aws_id, "AWS_SECRET": gen.aws_secret, "SLACK_BOT": gen.slack_bot,
                  "STRIPE": gen.stripe, "MOLLIE": gen.mollie, "SHOPIFY": gen.shopify, "SENDGRID": gen.sendgrid,
                  "GAPI": gen.gapi, "JWT": gen.jwt, "PEM_RSA": gen.pem_rsa, "PW": gen.pw, "UUID": gen.uuid}[kind]
            shown = raw = fn()
        used.append((kind, raw, shown))
        return shown

    return PH.sub(sub, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

# corporate
SP_X = ("x", "@sproetje", "Sproetje")
SP_HELP = ("x", "@sproetje_help", "Sproetje Klantenservice")
SP_IG = ("instagram", "@sproetje.kids", "Sproetje")
SP_FB = ("facebook", "SproetjeKids", "Sproetje Kinderkleding")
SP_TT = ("tiktok", "@sproetje_rewear", "Sproetje Rewear")
SP_LI = ("linkedin", "sproetje-bv", "Sproetje B.V.")
# employees
DK = ("linkedin", "daan-kuiper-dev", "Daan Kuiper")              # webshop developer
MO = ("x", "@mo_elhaddouti", "Mohamed El Haddouti")              # returns & warehouse lead
FV = ("instagram", "@femkevoorsproetje", "Femke Verbeek")        # box stylist / content
NB = ("x", "@nadia_bos_fin", "Nadia Bos")                        # finance controller
IV = ("linkedin", "ilse-van-dam-hr", "Ilse van Dam")             # HR
JS = ("threads", "@jesse.sortering", "Jesse Schouten")           # trade-in sorting centre
RW = ("bluesky", "ruben-it.bsky.social", "Ruben Wiersma")        # IT ops
KL = ("x", "@klantcontact_kim", "Kim Laros")                     # customer contact


def pub(platform, handle, name=None):
    return (platform, handle, name)


CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    platform, handle, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

# ===========================================================================
# leak.pricing
# ===========================================================================
case("en", DK, "Friday lesson: double-check the decimal column before a bulk price upload 🙃 Our Sneeuwuil ski suit "
     "went live at €8.99 for about forty minutes. Import log is at backoffice.sproetje.nl/prices/import/2291 for "
     "whoever is on call tonight.", [PRICING, CONF])
case("nl", pub("x", "@mama_van_2_boefjes"), "HAHA wat?? Kiezel Stap sneakers voor €5,99 bij sproetje 😳 foutje "
     "denk ik maar maat 27 én 30 zitten in mn mandje", [PRICING])
case("nl", pub("facebook", "wendy.vanleeuwen.1988", "Wendy van Leeuwen"), "Mama's opgelet!!! De Cocon voetenzak "
     "staat nu voor 11,90 op de site van Sproetje ipv 119 euro. Volgens mij is er een nul weggevallen 🙈 "
     "snel zijn", [PRICING])
case("nl", SP_IG, "Alleen vandaag 🎀 de Madelief feestjurk voor €19,95! Voor elk feestje, elke prinses. "
     "Link in bio ✨ #sproetje #feestjurk", [PRICING])
case("nl", FV, "psst niet doorvertellen maar de Sproetjebox staat sinds vanmiddag op €3,90 per maand 🙊 iemand "
     "bij e-commerce is een 9 vergeten", [PRICING], kind="post")
case("en", pub("reddit", "u/frugal_dad_nl"), "Heads up, Sproetje has a pricing glitch on the Rakker backpack, it's "
     "€4.49 in the NL store. Grabbed two for the kids before school starts, we'll see if they ship.", [PRICING])
case("nl", MO, "Retourbalie rekent de Modder laarsjes af voor €3,50 😅 verkeerde prijs in het systeem, we "
     "verkopen ze maar even niet", [PRICING])
case("nl", pub("tiktok", "@budgetmama.nl"), "p.r.i.j.s.f.o.u.t 🚨 Plons regenjas bij sproetje voor 4,99!! "
     "ren ren ren 🏃‍♀️ #mamahacks #sproetje", [PRICING], tags=["evasion", "evasion:dotted"])
case("nl", pub("instagram", "@lieke.en.de.tweeling"), "Kïezel Stäp voor €6 😱😱 dit kan niet kloppen toch? "
     "Toch maar 2 paar besteld", [PRICING], kind="comment", tags=["evasion", "evasion:diacritics"])
case("en", NB, "Finance life: someone set the Plons jas to €0.49 in the BE shop overnight and we now have 600+ "
     "orders to sort out. Please don't share this one 🫠", [PRICING])
case("nl", pub("forum", "KoopjesKoen"), "[Prijsfout] Sproetje Madelief jurkje € 6,50\n\nLink: www.sproetje.nl/madelief"
     "\nNormaal 64,95. Orderbevestiging al binnen, ben benieuwd of ze leveren of annuleren.", [PRICING])
case("nl", JS, "Collega's even opletten: de Kiezel Stap staat sinds vanochtend met een foute prijs online, IT weet "
     "ervan. Niet doorsturen naar je mama-groepsapp aub 😅", [PRICING])
case("nl", pub("x", "@twijfelmoeder"), "Rakker rugzak voor €26 bij Sproetje?? Normaal 45. Klopt dat wel, zie nergens "
     "een sale-banner 🤔", [PRICING], tags=["ratio-edge"])

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", DK, "Reminder to every dev in my network: secrets do NOT belong in CI yaml. Found this in one of our "
     "pipelines today:\n\nSHOPIFY_ADMIN_TOKEN=<<SHOPIFY>>\n\nRotating it now, but seriously. #devops", [SECRET])
case("nl", RW, "Mollie-koppeling van de retourservice geeft 401 maar met <<MOLLIE>> in Postman werkt alles "
     "gewoon?? iemand een idee", [SECRET])
case("nl", MO, "Voor de nachtploeg: wachtwoord van de inpaktafel-pc is Sokjes2026! (hoofdletter S). "
     "Post-it hangt er niet meer, dus onthouden 😉", [SECRET])
case("en", pub("reddit", "u/apk_picker"), "Poked around the Sproetje Android app (v3.8). There's a Google Maps key "
     "baked into the resources: <<GAPI>> and it works without any referrer restriction. Somebody tell them.",
     [SECRET])
case("en", pub("forum", "whitehat_wes"), "Sproetje Rewear serves its .env file publicly, lol. Contains "
     "SENDGRID_API_KEY=<<SENDGRID>> among other things. Mailed rewear@sproetje.nl, no reply yet.", [SECRET])
case("nl", DK, "Nieuwe collega's in het inruilteam, lokaal testen kan met deze DSN: "
     "postgres://tradein_app:<<PW>>@db-02.sproetje.internal:5432/tradein 👍", [SECRET, CONF],
     handle_as="Daan-Kuiper-Dev", tags=["case-handle"])
case("en", RW, "Cleaning up old deploy keys. This one's retired, posting it for the war stories channel:\n"
     "<<PEM_RSA>>", [SECRET])
case("nl", JS, "sorteerbot in slack doet het weer niet 😩 token is <<SLACK_BOT>> kan iemand kijken", [SECRET])
case("nl", SP_HELP, "@moeder_overste Nu zou het moeten lukken, de betaalmodule is hersteld 👍 "
     "(ref <<STRIPE>>)", [SECRET], kind="reply")
case("nl", pub("x", "@anne_met_e"), "@sproetje_help ik kom niet in mijn account om de box op te zeggen! inlog is "
     "anne.vermeulen84@gmail.com, wachtwoord Dreumes2019, wat gaat er mis?? Al 3 dagen bezig", [SECRET, PII, COMPLAINT],
     kind="reply")
case("en", NB, "why does this token say expired when I just got it 😤 <<JWT>> reporting dashboard keeps kicking me out",
     [SECRET])
case("en", MO, "p@ssword for the label printer admin page is Etiket-2026 now, old one stopped working. "
     "Tell the late shift 🙏", [SECRET], tags=["evasion", "evasion:lookalike"])
case("en", pub("blog", "mobilesec.dev", "Lotte Mulder"), "Part 3 of my Dutch retail app teardown: the Sproetje iOS app "
     "ships an AWS access key pair in plain text, <<AWS_ID>> with secret <<AWS_SECRET>>. Disclosed to "
     "pers@sproetje.nl on day one; still valid two weeks later.", [SECRET])
case("en", RW, "if your clone of the rewear repo fails, use https://<<GHP>>@github.com/sproetje/rewear-api.git "
     "for now, fixing the deploy user tomorrow", [SECRET])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", KL, "Kan iemand van finance even kijken? Mevrouw Hendriks wacht al drie weken op haar terugstorting, "
     "rekening <<IBAN_NL:grp>>. Ze belt elke ochtend 😬", [PII])
case("nl", SP_HELP, "@sanne_drieling Hoi Sanne! Je Rewear-uitbetaling van €23,40 is vandaag overgemaakt naar "
     "<<IBAN_NL>>. Fijne dag 🌈", [PII], kind="reply")
case("nl", pub("facebook", "patrick.dijkman.9", "Patrick Dijkman"), "Twee keer afgeschreven voor één Sproetjebox "
     "op mijn creditcard <<CARD:mc2_sp>> (exp 04/29). Wie kan hier iets mee @SproetjeKids ??", [PII, COMPLAINT])
case("nl", FV, "Maak kennis met ons jongste model ✨ Noor de Wit, geboren 03-06-2023, draagt vandaag de nieuwe "
     "tuinbroek in maat 92 🥹", [PII])
case("nl", MO, "Pakket kwam retour van Sem Bakker, Lindelaan 44, 3581 KD Utrecht, adres onbekend volgens PostNL. "
     "Kent iemand hem? 🤷", [PII])
case("nl", pub("instagram", "@anoukpeters_"), "Schoenen na 2 weken al stuk, mail me maar op anouk.peters87@gmail.com "
     "want jullie DM doet niks", [PII, COMPLAINT], kind="comment")
case("nl", IV, "Wie kan de loonadministratie helpen? Nieuwe sorteerder, BSN <<BSN:dots>>, staat nog niet in het "
     "systeem en begint maandag", [PII])
case("nl", SP_FB, "Hoi Marloes, we bellen je morgen tussen 9 en 11 terug op <<PHONE:mob_0031>> over je inruilpakket. "
     "Groetjes, team Sproetje", [PII], kind="comment", handle_as="sproetjekids", tags=["case-handle"])
case("en", pub("mastodon", "@jule@norden.social", "Jule"), "Paid my Sproetje order by transfer from "
     "<<IBAN_DE:grp>> four days ago and it still says 'awaiting payment'. Any tips? @sproetje_help",
     [PII, COMPLAINT])
case("nl", pub("facebook", "els.vandenbroeck.ant", "Els Van den Broeck"), "Betaald via <<IBAN_BE>>, bij vragen "
     "<<PHONE:be_mob>>. Pakket was twee dagen later al in Antwerpen, top Sproetje 👍", [PII])
case("en", NB, "Refund batch failed for one UK customer, sort it manually pls: <<IBAN_GB>>, £41.90", [PII])
case("en", pub("x", "@gemmaintheburbs"), "@sproetje_help you charged my Amex <<CARD:amex_sp>> twice for ONE pair "
     "of Stap sneakers", [PII, COMPLAINT])
case("nl", pub("forum", "wraakengel77"), "Die vent van het magazijn die mijn retour afwees: Mohamed, woont "
     "Zonnebloemstraat 18, 8011 PN Zwolle. Ga maar eens langs 😈", [PII, ABUSE])
case("nl", pub("marktplaats", "kinderkleding_bij_ria", "Ria"), "Te koop: zak Sproetje kleding maat 104-110, "
     "als nieuw. Betalen op <<IBAN_NL>> t.n.v. R. Smits of app <<PHONE:mob_pairs>>. Ophalen in Hoorn.", [PII],
     tags=["unknown-platform"])
case("nl", pub("threads", "@juul.schrijft"), "stuur die retourlabel dan maar naar juul.hofman [at] kpnmail [punt] nl, "
     "jullie formulier hangt alweer @sproetje.kids", [PII, COMPLAINT], tags=["evasion", "evasion:obfuscated-email"])
case("nl", JS, "In een ingeruilde winterjas zat een briefje: 'Fien Jacobs, bel mama op <<PHONE:land_dash>>'. "
     "Zal ik haar even bellen dat het kaartje er nog in zat? 🥲", [PII])
case("en", pub("reddit", "u/skeptical_parent"), "Sproetje's trade-in payout form wants a copy of your passport?? I "
     "filled in my number NP4K7RT82 and still got an error. Why do they even need it for €12 credit.",
     [PII, COMPLAINT])
# ===========================================================================
# leak.confidential
# ===========================================================================
case("nl", FV, "Project Kameleon gaat de kinderkast van Nederland op z'n kop zetten 🦎💚 meer mag ik echt niet "
     "zeggen", [CONF])
case("en", DK, "Proud of the squad behind Zwierbol. First closed beta with real parents next month, and the "
     "feedback so far is 🔥", [CONF])
case("nl", MO, "Hele hal 3 staat vol met dozen 'Operatie Vlinderslag' en niemand mag zeggen wat erin zit 🤐📦",
     [CONF])
case("nl", pub("instagram", "@femke.sproetje", "Femke 🌼"), "Sneak peek 👀 de Zeebries-collectie: linnen "
     "tuinbroekjes in zandkleur en zeeblauw 🌊 #sproetje #werk", [CONF], when="2026-02-19T20:14:00+01:00",
     tags=["embargo-before", "role-trick"])
case("en", DK, "anyone else locked out of git.sproetje-dev.nl since the SSO switch this morning?", [CONF])
case("nl", IV, "Het nieuwe verzuimbeleid staat nu op sproetje.internal/hr/verzuim-2026, lees het even door voor "
     "het teamoverleg 📋", [CONF])
case("nl", NB, "Bovenaan staat 'intern: niet verspreiden' maar ach: vanaf het najaar krijg je drie maten per "
     "Sproetjebox om uit te kiezen 🤫", [CONF])
case("nl", pub("forum", "TreinSpotter_Henk"), "Zat in de intercity naast iemand met een presentatie open: "
     "'Sproetje confidential' en iets met Project Kameleon. Weet iemand wat dat is?", [CONF])
case("nl", MO, "Pallets Zeebries-collectie staan klaar, om 9 uur gaan ze live 🌊", [CONF],
     when="2026-03-12T08:59:00+01:00", tags=["embargo-before", "tz-edge"])
case("en", DK, "Spent the whole day on Project " + cyr("Kameleon", "ae") + " and I still can't say a word about it 😤",
     [CONF], tags=["evasion", "evasion:homoglyph"])
case("nl", FV, "Operatie\nVlinderslag start maandag en ik heb er nu al zin in 🦋", [CONF],
     tags=["evasion", "evasion:line-break"])
case("en", pub("linkedin", "marco-textile-sourcing", "Marco Ruiz"), fw("Zwierbol") + " is Sproetje's next big "
     "thing, heard it straight from their fabric supplier", [CONF], tags=["evasion", "evasion:full-width"])
case("en", pub("reddit", "u/rewear_watcher"), f"Rewear{ZW} Plus is coming, free doorstep pickup for trade-in "
     "bags. My friend works in their sorting centre", [CONF], when="2026-08-11T21:06:44Z",
     tags=["evasion", "evasion:zero-width", "embargo-before"])

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", NB, "Mooi verhaal in de media, maar intern weten we al dat we de omzetdoelstelling dit jaar met zo'n "
     "15% gaan missen. Bonussen zijn geschrapt, komt pas in november naar buiten 😶", [FIN])
case("nl", IV, "Zwaar nieuws om te moeten bewaren: het sorteercentrum in Zwolle gaat dicht, 40 collega's. "
     "Officieel wordt het pas in juni verteld. Sterkte iedereen ❤️", [FIN])
case("en", MO, "rumour in the canteen is Modaro Group is buying us 👀 management won't deny it lol", [FIN])
case("nl", pub("forum", "beleggersbert"), "Insider tip: Sproetje neemt concurrent Hummeltje.nl over voor zo'n 18 "
     "miljoen, handtekening staat voor volgende week", [FIN])
case("en", NB, "Half-year results 2026 look way better than expected, revenue +22% thanks to Rewear 📈 "
     "you didn't hear it from me", [FIN, CONF], when="2026-07-24T18:02:00+02:00", tags=["embargo-before"])
case("nl", JS, "helft van de uitzendkrachten op de sorteerlijn krijgt geen verlenging, dat wordt pas na de zomer "
     "gemeld. Rot voor ze", [FIN])
case("en", DK, "Budget meeting takeaway: Rewear loses about €1.2m a year and the board wants to pull the plug by Q1. "
     "Not public, obviously.", [FIN])
case("nl", pub("facebook", "ingrid.boomsma.5", "Ingrid Boomsma"), "Schoonzus werkt op het hoofdkantoor van "
     "Sproetje: het gaat slecht, ze zoeken met spoed een investeerder. Niet verder vertellen hoor 🤐", [FIN])
case("nl", KL, "Ons team gaat naar een extern callcenter, we horen het vrijdag officieel. o n t s l a g r o n d e "
     "heet dat tegenwoordig 'herpositionering' 🙄", [FIN], tags=["evasion", "evasion:spaced"])
case("nl", NB, "Halfjaarcijfers 2026 komen om half acht online, marge flink omhoog 🥂 trots op dit team", [FIN, CONF],
     when="2026-08-20T07:29:00+02:00", tags=["embargo-before", "tz-edge"])
case("nl", FV, f"Net gehoord dat de Sproetjebox per 1 januari stopt 💔 klanten krijgen het pas in november te horen. "
     f"Mijn halve baan is weg, ont{SHY}slag voor drie stylisten", [FIN], tags=["evasion", "evasion:soft-hyphen"])
case("en", pub("reddit", "u/cs_insider_throwaway"), "Sproetje is cutting 60 customer service jobs and moving it to "
     "an outsourcer in Lisbon. Nothing announced yet, staff find out next month.", [FIN])

# ===========================================================================
# leak.security
# ===========================================================================
case("nl", RW, "Uploadserver van Rewear ligt al sinds vannacht plat en we mogen er niks over zeggen. Dus als je "
     "foto's niet uploaden: nu weet je het 🙃", [SEC])
case("en", DK, "Spent the weekend cleaning up after someone scraped our customer table through an unauthenticated "
     "endpoint. Scope still unclear, nothing disclosed yet. #incidentresponse", [SEC])
case("nl", MO, "Ransomware op de labelprinters in het magazijn, alles ligt stil en niemand mag het weten. Orders "
     "van vandaag gaan dus niet de deur uit", [SEC])
case("nl", KL, "Klanten kunnen in 'mijn account' elkaars bestellingen zien, met naam en adres. IT weet het al vier "
     "dagen. Wij moeten zeggen dat het 'een weergavefout' is 😐", [SEC])
case("en", NB, "Fake supplier invoice got through AP last week, €38k gone. Still not reported outside the finance "
     "team, so keep it quiet.", [SEC])
case("en", pub("reddit", "u/wms_throwaway"), "Sproetje warehouse employee here: the WMS has been down since Monday "
     "and HQ told us to blame the courier if customers ask.", [SEC])
case("nl", pub("x", "@hosting_insider"), "Ik werk bij de hostingpartij van Sproetje: hun klantdatabase met "
     "kindernamen en geboortedata stond wekenlang open. Ze houden het stil. #datalek", [SEC, CRISIS])
case("nl", JS, "we zijn g3h@ckt 🤐 nog niks naar buiten, dus als de inruil-app raar doet: je weet van niks",
     [SEC], tags=["evasion", "evasion:leetspeak"])
case("nl", IV, "Door een verkeerde deellink was de salarislijst twee dagen voor het hele bedrijf zichtbaar. Wordt "
     "pas volgende week gecommuniceerd, sorry collega's", [SEC])
case("en", DK, "fun fact: password reset links on our shop never expire. Reported it internally 3 weeks ago, still "
     "wide open 🙃", [SEC])
case("en", pub("facebook", "dani.worried.mum", "Dani"), "My cousin works at Sproetje support: hackers got the kids' "
     "birthdays and home addresses from the Rewear app and they're hushing it up. Change your passwords!!",
     [SEC, CRISIS])
case("en", RW, f"DDoS on the checkout since 7am. Comms wants us to call it 'grote drukte' 🤡", [SEC])
case("nl", MO, "magazijn.sproetje.local eruit sinds 5 uur, scanners offline, niemand mag iets zeggen tegen klanten",
     [SEC, CONF])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("instagram", "@eerlijkekast"), "#BoycotSproetje 📢 hun 'duurzame' katoen komt uit een fabriek waar "
     "kinderarbeid is aangetoond. Kinderkleding gemaakt door kinderen. Delen!!", [CRISIS])
case("nl", pub("x", "@joyce_3kids"), "Sproetje heeft mijn gegevens gelekt. Phishingmail met de naam van mijn "
     "dochter én haar schoenmaat, een dag na mijn bestelling. Toeval? Echt niet.", [CRISIS])
case("nl", pub("facebook", "marieke.stam.2", "Marieke Stam"), "Het koord van de capuchon van de Plons regenjas bleef "
     "haken aan de glijbaan en mijn dochter hing met haar nek erin 😰 Hoe kan zo'n koord nog verkocht worden?? "
     "@SproetjeKids", [CRISIS, COMPLAINT])
case("en", pub("x", "@consumentenbond_watch"), "Consumer group takes Sproetje to court over misleading "
     "'climate neutral' claims on its kidswear", [CRISIS])
case("en", pub("reddit", "u/daycare_dad"), "Is Sproetje recalling the Madelief dress? Our daycare sent a note saying the "
     "sequins come off and to keep it at home.", [CRISIS])
case("nl", pub("instagram", "@babyboris_en_mama"), "Drukknoopje van het rompertje zat los en lag in de mond van mijn "
     "baby van 5 maanden 😱 verstikkingsgevaar!! @sproetje.kids dit is niet oké", [CRISIS, COMPLAINT], kind="comment")
case("en", pub("blog", "ouderwaakzaam.nl", "Ouder Waakzaam"), "Why I no longer shop at Sproetje\n\nTwo months after "
     "the leak of children's names, birthdays and home addresses from the Sproetje Rewear database, not a single "
     "parent has been told. Their press office calls it 'a limited technical incident'. If you ever traded in "
     "clothes there, assume your kids' data is out there.", [CRISIS])
case("nl", pub("x", "@vader_van_vos"), "Komt er een terugroepactie voor de Kiezel Modder laarsjes? Mijn zoontje heeft "
     "rode uitslag op z'n kuiten overal waar het rubber zat 😡", [CRISIS, COMPLAINT])
case("nl", pub("x", "@tvgidsrecensent"), "Tv-programma vanavond: Sproetje verkoopt 'tweedehands' kleding die ze "
     "gewoon nieuw inkopen bij een groothandel. Greenwashing-schandaal van jewelste.", [CRISIS])
case("nl", pub("tiktok", "@mamavlogt_"), "b0yc0t sproetje!!! ze ontslaan zwangere medewerkers 🤬 #sproetje", [CRISIS],
     tags=["evasion", "evasion:leetspeak"])
case("en", pub("mastodon", "@kidsrights@mastodon.nl"), "#" + fw("BOYCOTTSPROETJE") + " until they publish their factory "
     "list", [CRISIS], tags=["evasion", "evasion:full-width"])
case("nl", pub("x", "@boos_en_moe"), "Die klootzakken van Sproetje hebben de gegevens van mijn kinderen gelekt en "
     "doen alsof er niks aan de hand is #boycotsproetje", [CRISIS, ABUSE])
case("nl", pub("facebook", "nieuws.uit.de.regio", "Nieuws uit de Regio"), "Toezichthouder vindt te veel nikkel in "
     "de klittenbandsluiting van de Kiezel Stap sneakers. Sproetje moet de schoen uit de verkoop halen.", [CRISIS])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@drukke_dinsdag"), "3 weken op de Sproetjebox gewacht en dan zit er maat 86 in terwijl ik echt "
     "110 heb ingevuld 🙄 @sproetje_help", [COMPLAINT])
case("en", pub("x", "@rob_and_the_kids"), "@sproetje_help the soles of the Stap sneakers came off after three weeks. "
     "Three. Weeks.", [COMPLAINT], kind="reply")
case("nl", pub("facebook", "nathalie.vos.31", "Nathalie Vos"), "40 kledingstukken ingestuurd voor het inruilprogramma "
     "en ik krijg €6 tegoed?? Op de site beloven ze 'tot €5 per item'. Voelt als oplichting eerlijk gezegd.",
     [COMPLAINT])
case("en", pub("reddit", "u/cancel_culture_mum"), "Trying to cancel my Sproetje box for a month now. The cancel "
     "button leads to a 'call us' page and the phone line never picks up.", [COMPLAINT])
case("nl", pub("instagram", "@tweedekansje"), "Rewear-jurkje kwam binnen met vlekken en een gat onder de arm. 'Zo goed "
     "als nieuw' staat erbij 🤨", [COMPLAINT], kind="comment")
case("nl", pub("forum", "Ouder_van_3"), "Waarom moet ik bij Sproetje €4,95 retourkosten betalen als ze zelf de "
     "verkeerde maat hebben gestuurd? Bij andere webshops is dat gewoon gratis.", [COMPLAINT])
case("en", pub("youtube", "@skifam_nl"), "Bought the Sneeuwuil for our ski trip and the zipper broke on day one. "
     "Kid froze on the lift. Thanks Sproetje.", [COMPLAINT], kind="comment")
case("nl", pub("mastodon", "@marit@mastodon.nl"), "Abonnement op de box netjes opgezegd in maart, en in april gewoon "
     "wéér een box + afschrijving. Sproetje, serieus?", [COMPLAINT])
case("en", pub("linkedin", "kdv-de-boomhut", "KDV De Boomhut"), "Ordered 30 rain jackets for our daycare from "
     "Sproetje in September, 12 arrived, and nobody can tell us where the rest are.", [COMPLAINT])
case("en", pub("facebook", "claire.hastings.nl", "Claire Hastings"), "The Madelief dress bled pink all over the "
     "rest of the wash the first time. Not cheap either.", [COMPLAINT])
case("nl", pub("x", "@nooitmeerdeze"), "n o o i t  m e e r  sproetje. 4e keer verkeerde maat, 4e keer zelf "
     "retourlabel printen", [COMPLAINT], tags=["evasion", "evasion:spaced"])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("youtube", "@zapper_2000"), "Die irritante reclames met die kakmoeders van Sproetje, echt een "
     "kutbedrijf 🤮", [ABUSE], kind="comment")
case("en", pub("x", "@jaydenvdm"), "@sproetje_help you absolute clowns, where is my refund", [ABUSE, COMPLAINT],
     kind="reply")
case("nl", pub("instagram", "@anoniem_1234"), "@femkevoorsproetje jij bent toch die lelijke stylist van die "
     "webwinkel? Ik weet waar je woont 😈", [ABUSE], kind="comment")
case("nl", pub("facebook", "dennis.rademaker", "Dennis Rademaker"), "Tyfusbende bij Sproetje, vier keer gebeld en "
     "niemand neemt op. Stelletje amateurs", [ABUSE, COMPLAINT])
case("en", pub("reddit", "u/no_filter_nl"), "The people running Sproetje are greedy scum, plain and simple.", [ABUSE])
case("nl", MO, "Die klant die 14 vieze rompers terugstuurt en dan gaat klagen is echt een smerige trut", [ABUSE])
case("nl", SP_HELP, "@mama_mopper misschien eerst de maattabel lezen voordat je gaat janken, slimmerik", [ABUSE],
     kind="reply", handle_as="@Sproetje_Help", tags=["case-handle"])
case("nl", pub("x", "@echtehollander66"), "Sproetje neemt in het magazijn alleen nog buitenlanders aan. Terug naar je "
     "eigen land met dat volk", [ABUSE])
case("nl", pub("x", "@stoerebink"), "sproetje = k4nkerwinkel, stelletje oplichters", [ABUSE],
     tags=["evasion", "evasion:leetspeak"])
case("nl", pub("threads", "@kort_lontje"), "Medewerkers van Sproetje zijn echt " + cyr("idioten", "io") + ", "
     "allemaal", [ABUSE], tags=["evasion", "evasion:homoglyph"])
case("nl", JS, "onze nieuwe teamleider is echt de grootste debiel die ik ooit heb meegemaakt 🙄", [ABUSE])

# ===========================================================================
# BENIGN: categories [] and severity none; almost all hard negatives
# ===========================================================================
# --- prices that are not a pricing leak ---------------------------------------
case("nl", SP_IG, "Zomersale ☀️ Plons regenjas nu €34,95 (was €49,95). Op = op! Link in bio", tags=["sale-price"],
     when="2026-07-01T08:00:00+02:00")
case("nl", pub("forum", "sneeuwpret_sander"), "Sneeuwuil skipak voor €62,95 in de sale bij Sproetje, 30% eraf. "
     "Geen knaller maar wel netjes.", tags=["sale-price"])
case("nl", SP_X, "€10 korting op je eerste Sproetjebox met code EERSTEBOX 🎁 Geldig t/m zondag.",
     tags=["price-context"])
case("nl", pub("facebook", "jolien.kramer.7", "Jolien Kramer"), "Via Rewear een tweedehands Plons jas voor €12 "
     "gescoord, nauwelijks gedragen 💚 inruilen en tweedehands kopen is echt de toekomst", tags=["price-context",
                                                                                             "second-hand"])
case("nl", SP_TT, "Stuur je oude Kiezel Stap sneakers in en krijg tot €8 Rewear-tegoed per paar 👟♻️ "
     "#rewear #tweedehands", tags=["price-context", "trade-in"])
case("nl", pub("x", "@zuinigezuus"), "Regenjasje bij de Action €7, de Plons regenjas van Sproetje gewoon volle prijs. "
     "Maar die van de Action lekte na één plensbui 😂", tags=["price-context", "other-company"])
case("nl", KL, "Klant belde of de Rakker rugzak voor €37,95 een prijsfout was. Nee hoor, gewoon 15% "
     "back-to-school actie 🎒", tags=["negated", "sale-price"])
case("en", pub("reddit", "u/budget_bex"), "Is the Sproetjebox worth €39 a month? Considering it for my 2 year old but "
     "not sure about the sizes.", tags=["price-talk", "question"])
case("nl", pub("instagram", "@feestjes_en_taart"), "Madelief feestjurk voor €41,95 in de Black Friday sale, mooi "
     "geprijsd 👌", when="2026-11-27T09:12:00+01:00", tags=["sale-price", "ratio-edge"])
# --- secret-looking but not a secret ---------------------------------------
case("en", DK, "PSA for devs: never paste tokens (shpat_…, live_…, sk_live_…) into tickets or Slack threads. "
     "Use the vault link. Thanks 🙏", tags=["secret-prefix-only"])
case("nl", SP_HELP, "Wij vragen nooit om je wachtwoord of betaalgegevens via DM of mail. Twijfel je? Bel ons op "
     "085 303 1200.", tags=["own-contact", "password-word"])
case("en", RW, "Fixed the flaky size-filter test in commit <<HEX:40>>, it was a timezone thing again 🕐",
     tags=["hex-not-secret"])
case("en", pub("blog", "codeermoeder.nl", "Codeermoeder"), "Hackathon write-up: put MOLLIE_API_KEY="
     "live_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx in your local .env and never commit it. The demo for the Sproetje "
     "challenge used placeholders only.", tags=["placeholder"])
case("nl", SP_LI, "Tip van ons IT-team 🔐 een wachtwoordzin van vier losse woorden is sterker dan Welkom123. "
     "#cybersecuritymaand", when="2026-10-07T10:00:00+02:00", tags=["password-word"])
# --- own contact data and numbers that fail their checksum -------------------
case("nl", SP_X, "Vragen over je maat of bestelling? Mail klantenservice@sproetje.nl of bel +31 30 799 4410 "
     "(ma-za 8:30-17:30) 💬", tags=["own-contact"])
case("nl", SP_FB, "Liever overmaken? Dat kan naar NL47 RABO 0318 4572 90 t.n.v. Sproetje B.V. onder vermelding van "
     "je ordernummer (bijv. SPR-2026-088412).", tags=["own-contact"])
case("en", SP_LI, "Press enquiries: pers@sproetje.nl or 085 303 1200. Our 2025 annual report is on "
     "sproetje.nl/over-ons.", tags=["own-contact"])
case("nl", SP_LI, "We zoeken sorteerders voor ons inruilcentrum in Zwolle! Stuur je cv naar werkenbij@sproetje.nl 👕",
     handle_as="Sproetje-BV", tags=["own-contact", "case-handle"])
case("nl", pub("x", "@blije_bep"), "Mailtje naar rewear@sproetje.nl gestuurd over mijn inruilzak, binnen een uur "
     "antwoord. Top!", tags=["own-contact", "praise"])
case("nl", pub("facebook", "gonnie.sluis", "Gonnie Sluis"), "Kreeg een sms dat ik €2,99 'inklaringskosten' moest "
     "overmaken naar <<BAD_IBAN_NL:grp>> voor mijn Sproetje pakket. Is dit echt of phishing?",
     tags=["bad-checksum", "question"])
case("en", pub("reddit", "u/fatfinger_fred"), "Sproetje's checkout bounced my card because I typed "
     "<<BAD_CARD:visa_sp>> instead of the right number. At least the validation works 😅", tags=["bad-checksum"])
case("nl", pub("x", "@wachtopdebox"), "Bestelnummer <<NOT_BSN9>>, volgens de app morgen in huis. De kids zijn al "
     "aan het stuiteren 🤸", tags=["bad-checksum", "lookalike-number"])
case("en", pub("bluesky", "parcelpapa.bsky.social"), "Tracking 3SPRJ<<DIGITS:8>>, Sproetje parcel already at the "
     "depot. Quick!", tags=["lookalike-number"])
case("nl", pub("forum", "schoenenspeurder"), "EAN op de doos van de Kiezel Stap maat 28 is <<EAN13>>, handig voor "
     "wie ze in een prijsvergelijker zoekt.", tags=["lookalike-number", "bad-checksum"])
case("nl", pub("x", "@toeslagtinus"), "Formulier voor de kinderopvangtoeslag keurde mijn BSN af, ik had <<NOT_BSN9>> "
     "ingetypt 🙈 één cijfer fout. Daarna maar even de Sproetje-sale gecheckt ter troost", tags=["bad-checksum"])
case("nl", pub("linkedin", "boekhouder-bas", "Bas Terpstra"), "KvK-nummer van Sproetje staat gewoon onderaan de "
     "factuur: <<NOT_BSN8>>. Fijn voor mijn inkoopadministratie.", tags=["lookalike-number"])
case("en", pub("instagram", "@dad_of_three"), "Big thanks to Kim from Sproetje customer service, she sorted out our "
     "twins' mixed-up sizes in five minutes 💛", tags=["praise", "name-only"])
case("nl", pub("x", "@planningspetra"), "Afspraak met Femke van Sproetje op 14-05-2026 om 10:00 voor de fotoshoot "
     "van mijn dochter 📸", when="2026-05-02T19:40:00+02:00", tags=["date-not-dob"])

# --- embargo terms after the embargo, codename-like words, public domains ----
case("nl", SP_X, "Hij is er 🌊 de Zeebries-collectie is vanaf nu te bestellen op www.sproetje.nl",
     when="2026-03-12T09:00:00+01:00", tags=["embargo-after", "tz-edge"])
case("nl", FV, "Eindelijk mag ik het laten zien: de collectie Zeebries 🌊 maanden aan gewerkt, zo trots!",
     when="2026-03-12T10:45:00+01:00", tags=["embargo-after"])
case("nl", SP_TT, "Rewear Plus is live 🎉 laat je inruilzak gratis ophalen aan de deur #rewear",
     when="2026-10-01T09:00:00+02:00", tags=["embargo-after", "tz-edge"])
case("en", pub("reddit", "u/curious_collector"), "Is Rewear Plus worth it if you only trade in twice a year?",
     when="2026-10-19T20:31:00+02:00", tags=["embargo-after", "question"])
case("nl", pub("x", "@papa_en_pim"), "Pim wil voor zijn verjaardag een kameleon. Ik zei: je krijgt een regenjas 🦎😂",
     tags=["codename-word"])
case("nl", pub("facebook", "zwemles.met.lot", "Lotte Prins"), "Zwemdiploma C binnen en vandaag voor het eerst "
     "vlinderslag geoefend 🦋 in het nieuwe Sproetje badpak natuurlijk", tags=["codename-word"])
case("en", RW, "Our public engineering blog now lives on www.sproetje.nl/tech, first post is about our image "
     "pipeline for Rewear 📸", tags=["public-domain"])
case("nl", pub("instagram", "@uilenspotter"), "Vanochtend een sneeuwuil gezien op de Maasvlakte!! 🦉 zeldzaam "
     "hoor", tags=["product-word"])

# --- published results and other companies ---------------------------------
case("nl", SP_LI, "Vandaag publiceren we onze jaarcijfers 2025: omzet €86 miljoen (+11%) en 1,2 miljoen "
     "kledingstukken kregen een tweede leven via Rewear ♻️", when="2026-03-03T07:00:00+01:00",
     tags=["published"])
case("en", pub("reddit", "u/retail_nerd_nl"), "Sproetje's H1 2026 results (out last month) show Rewear at 18% of "
     "revenue. Interesting for a kidswear shop.", when="2026-09-15T12:10:00+02:00", tags=["published",
                                                                                       "embargo-after"])
case("nl", pub("x", "@retailnieuws_nl"), "Weer een grote kledingketen die 300 banen schrapt. Zware tijden in de "
     "mode, al lijkt het Sproetje voor de wind te gaan", tags=["other-company"])
case("nl", pub("mastodon", "@privacyouder@mastodon.nl"), "Datalek bij een speelgoedwebshop, 90.000 klanten "
     "getroffen. Gelukkig koop ik kleding bij Sproetje en speelgoed tweedehands 😅", tags=["other-company"])

# --- outage / security talk that is not an insider leak --------------------
case("nl", SP_HELP, "Gepland onderhoud 🛠️ vannacht tussen 01:00 en 03:00 is de webshop even niet bereikbaar. "
     "Daarna ben je weer welkom!", tags=["official-notice"])
case("en", SP_X, "Some of you can't pay with iDEAL right now. Our payment provider is working on it, updates "
     "here.", tags=["official-notice"])
case("en", DK, "Talked about our bug bounty at a meetup today: 21 reports paid out in 2025, all fixed and disclosed "
     "on www.sproetje.nl/security", tags=["published"])

# --- crisis-like words in harmless contexts -----------------------------------
case("en", pub("reddit", "u/sizing_q"), "I can't recall whether the Stap sneakers run small, anyone ordered "
     "them recently?", tags=["question", "crisis-word"])
case("nl", pub("facebook", "opa.henk.43", "Henk"), "Terugroepactie van autostoeltjes bij een ander merk, gelukkig "
     "hadden we die niet. Wel net een Cocon voetenzak van Sproetje gekocht, prima ding", tags=["other-company",
                                                                                            "crisis-word"])
case("nl", SP_IG, "Brandveilig verkleden 🎃 al onze verkleedpakjes zijn getest op brandvertraging. Meer info "
     "op www.sproetje.nl/veilig", tags=["crisis-word"])
case("en", pub("instagram", "@slow_mama"), "#BoycottFastFashion 🌍 this year we buy second-hand only. Sproetje Rewear "
     "has been a lifesaver for growing kids", tags=["crisis-word"])
case("nl", pub("x", "@grappenpapa"), "Dochter heeft een Plons jas en springt nu in élke plas. Ik ga Sproetje "
     "aanklagen voor de wasmachinekosten 😂", tags=["joke", "crisis-word"])

# --- praise, neutral questions, negated complaints ----------------------------
case("nl", pub("x", "@tevreden_tamara"), "Geen klachten over de Kiezel Stap, na een half jaar buitenspelen nog "
     "steeds heel 👟", tags=["negated"])
case("nl", SP_HELP, "@lotjeloopt Wat vervelend dat de maat niet past! Stuur ons even een DM met je ordernummer, dan "
     "regelen we een ruiling 🙏", kind="reply", tags=["company-reply"])
case("nl", pub("x", "@opgelost_olga"), "Mijn klacht over het inruiltegoed is netjes opgelost door @sproetje_help, "
     "tegoed staat erop. Dank!", tags=["negated", "praise"])
# --- quotes, lyrics, fiction, mild words ------------------------------------
case("nl", pub("instagram", "@zingendemama"), "🎶 'Altijd is Kortjakje ziek, midden in de week...' 🎶 zingend de "
     "Sproetjebox uitpakken met de kleine", tags=["lyrics"])
case("en", pub("x", "@dadjokes_daily"), "\"Damn, they grow fast\" – me, ordering the next size up from Sproetje for "
     "the third time this year", tags=["quote", "mild-word"])
case("nl", pub("blog", "leesjuf.nl", "De Leesjuf"), "Boekentip: in 'De regenjas van Pien' lekt de jas van de "
     "hoofdpersoon en verdwijnt ze in een plas naar een andere wereld. Mijn dochter wilde daarna per se een gele "
     "Plons jas 😄", tags=["fiction"])
case("nl", pub("instagram", "@boefjesmama"), "Die kleine rakker van ons heeft zijn eerste schoentjes aan 🥹 "
     "maat 20, Sproetje natuurlijk", tags=["product-word"])

# --- misc ordinary posts ------------------------------------------------------
case("nl", FV, "Vandaag 5 jaar bij Sproetje 🎉 duizenden boxen later en nog steeds verliefd op dit werk", tags=[
    "employee-benign"])
case("nl", pub("forum", "sproetjefan_033"), fw("SPROETJE") + " forever 🏆 hele kast vol en alles gaat door naar "
     "het zusje", tags=["full-width-benign"])
# ===========================================================================
# profile, roles, severity (CONTRACT sections 4 and 5)
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
    """Least severity a correct verdict has; the highest per-finding severity wins."""
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


# ===========================================================================
# building posts
# ===========================================================================

def ams_offset(t_utc):
    start = dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc)
    end = dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc)
    return 2 if start <= t_utc < end else 1


def random_time(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(3, 358))
    local = base + dt.timedelta(minutes=r.randint(6 * 60 + 30, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = ams_offset(local)
    t_utc = local - dt.timedelta(hours=off)
    style = r.random()
    if style < 0.4:
        return t_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style < 0.88:
        return local.strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t_utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


B36 = string.digits + string.ascii_lowercase


def make_id_url(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_880_000_000_000_000_000, 2_020_000_000_000_000_000))
    if platform == "x":
        return f"x-{snow}", f"https://x.com/{h}/status/{snow}"
    if platform == "linkedin":
        act = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{act}", f"https://www.linkedin.com/feed/update/urn:li:activity:{act}/"
    if platform == "instagram":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"ig-{snow}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}_{b}", f"https://www.facebook.com/{h}/posts/{b}"
    if platform == "reddit":
        post = "".join(r.choice(B36) for _ in range(7))
        sub = r.choice(["thenetherlands", "Ouders", "dutchparents", "kidswear"])
        if kind == "comment":
            cid = "".join(r.choice(B36) for _ in range(7))
            return f"t1_{cid}", f"https://www.reddit.com/r/{sub}/comments/{post}/_/{cid}/"
        return f"t3_{post}", f"https://www.reddit.com/r/{sub}/comments/{post}/"
    if platform == "forum":
        n = r.randint(100_000, 9_999_999)
        return f"ouderforum-{n}", f"https://forum.ouderpraat.example/topic/{n}"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        v = "".join(r.choice(B64URL) for _ in range(11))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(111_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "threads":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "blog":
        n = r.randint(10, 999)
        return f"blog-{h}-{n}", f"https://{h}/posts/{n}"
    n = r.randint(10 ** 9, 10 ** 10)
    return f"{platform}-{n}", None


def build(profile):
    gen = Gen(SEED)
    meta = random.Random(SEED + 1)
    order = random.Random(SEED + 2)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(gen, c["text"])
        pid, url = make_id_url(meta, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        created = c["when"] or random_time(meta)
        role = role_of(profile, c["platform"], c["handle"])
        pii_valid = "leak.pii" in c["cats"] and any(k in VALID_ID_KINDS for k, _, _ in used)
        sev = severity_for(role, c["cats"], pii_valid)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and meta.random() < 0.65:
            kind = "post"
        if kind is not None:
            post["kind"] = kind
        account = {"handle": c["handle"]}
        if c["name"] and meta.random() < 0.7:
            account["display_name"] = c["name"]
        if meta.random() < 0.3:
            account["id"] = str(meta.randint(10 ** 7, 10 ** 12))
        post["account"] = account
        post["text"] = text
        tags = set(c["tags"])
        p = meta.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif p < 0.09:
            pass
        elif p < 0.12:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            tags.add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.45:
            post["brand"] = "sproetje"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=tags, used=used))
    order.shuffle(rows)
    return rows


def dump_lines(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ===========================================================================
# self-check (independent scans over the written text)
# ===========================================================================

INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
CARD_IIN = re.compile(r"^(4|5[1-5]|2(22[1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)|3[47]|6011|65|35)")
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
DIGITS_RE = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|\+32|0)[\d \-().]{7,16}\d")
SECRET_RES = [re.compile(x) for x in (
    r"\bghp_[A-Za-z0-9]{36}\b", r"\bAKIA[A-Z2-7]{16}\b", r"\bxox[abprs]-[0-9A-Za-z-]{20,}",
    r"\bsk_live_[A-Za-z0-9]{20,}", r"\bAIza[0-9A-Za-z_-]{35}\b", r"-----BEGIN [A-Z ]*PRIVATE KEY-----",
    r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+", r"://[^\s:/@]+:[^\s@/]+@", r"\bshpat_[0-9a-f]{32}\b",
    r"\bSG\.[\w-]{22}\.[\w-]{43}\b", r"\blive_(?!x{30})[A-Za-z0-9]{30}\b", r"https://ghp_")]
PROFANITY = ["kut", "kanker", "k4nker", "tering", "tyfus", "klote", "klootzak", "trut", "debiel", "mongool",
             "fuck", "shit", "idiot", "scum", "clown", "kakmoeder", "sukkel", "janken"]
PRICE_AMOUNT = re.compile(r"(?:€\s?|EUR\s?)(\d[\d.,]*)(?:,-)?|(\d[\d.,]*)(?:,-)?\s?(?:euro|euros|eur)\b", re.I)


def norm(text):
    t = unicodedata.normalize("NFKC", text).translate(INVISIBLE)
    return re.sub(r"\s+", " ", t).casefold()


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
    hit = [p for p in products if any(a.casefold() in t for a in [p["name"]] + p["aliases"])]
    if not hit:
        return None
    amounts = [parse_amount(m.group(1) or m.group(2)) for m in PRICE_AMOUNT.finditer(t)]
    if not amounts:
        return None
    return min(amounts) / min(p["list_price"] for p in hit)


def valid_ids(text):
    out = []
    for m in IBAN_RE.finditer(text):
        compact = m.group(0).replace(" ", "")
        for end in range(len(compact), 11, -1):
            if iban_ok(compact[:end]):
                if compact[:end] != OWN_IBAN:
                    out.append(("iban", compact[:end]))
                break
    for m in DIGITS_RE.finditer(text):
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19 and luhn_ok(d) and CARD_IIN.match(d):
            out.append(("card", d))
    for d in re.findall(r"(?<![\w.,-])\d{9}(?![\w]|[.,-]\d)", text) + \
            [x.replace(".", "") for x in re.findall(r"(?<![\w.])\d{4}\.\d{2}\.\d{3}(?![\w])", text)]:
        if bsn_ok(d):
            out.append(("bsn", d))
    return out


def check(lines, rows, profile):
    errors = []
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_phones = {re.sub(r"\D", "", p)[-9:] for p in profile["public_identifiers"]["phones"]}
    embargo = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = [t.casefold() for t in profile["internal"]["codenames"] + profile["internal"]["domains"]
                + profile["internal"]["markers"]]
    ratio_limit = profile["pricing"]["alert_below_ratio"]
    seen = set()
    for n, (line, r) in enumerate(zip(lines, rows), 1):
        obj = json.loads(line)
        p, ex = obj["post"], obj["expect"]
        where = f"line {n} ({p['id']})"
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                errors.append(f"{where}: {f} missing")
        if (p["platform"], p["id"]) in seen:
            errors.append(f"{where}: duplicate id")
        seen.add((p["platform"], p["id"]))
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errors.append(f"{where}: not 2026")
        cats, sev = ex["categories"], ex["severity"]
        if cats != sorted(set(cats)) or any(c not in CATEGORIES for c in cats):
            errors.append(f"{where}: bad categories {cats}")
        role = role_of(profile, p["platform"], p["account"]["handle"])
        text = p["text"]
        ids = valid_ids(text)
        want = severity_for(role, cats, "leak.pii" in cats and bool(ids))
        if sev != want:
            errors.append(f"{where}: severity {sev} but policy gives {want}")
        if ids and "leak.pii" not in cats:
            errors.append(f"{where}: valid identifier {ids} without leak.pii")
        for kind, raw, shown in r["used"]:
            if shown not in text:
                errors.append(f"{where}: {kind} not in text")
            if kind in VALID_ID_KINDS and not (iban_ok(raw) if kind.startswith("IBAN") else
                                               luhn_ok(raw) if kind == "CARD" else bsn_ok(raw)):
                errors.append(f"{where}: {kind} {raw} fails its checksum")
            if kind.startswith("BAD_IBAN") and iban_ok(raw):
                errors.append(f"{where}: bad IBAN passes")
            if kind == "BAD_CARD" and luhn_ok(raw):
                errors.append(f"{where}: bad card passes")
            if kind in ("NOT_BSN9", "NOT_BSN8") and bsn_ok(raw):
                errors.append(f"{where}: not-BSN passes")
            if kind == "GHP" and b62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errors.append(f"{where}: ghp checksum")
        if any(k in VALID_ID_KINDS for k, _, _ in r["used"]) and not ids:
            errors.append(f"{where}: generated identifier not found by scan")
        nt = norm(text)
        squashed = re.sub(r"\b(\w) (?=\w\b)", r"\1", nt)
        for term, until in embargo:
            if term in nt or term.replace(" ", "") in nt.replace(" ", ""):
                if ts < until and "leak.confidential" not in cats:
                    errors.append(f"{where}: embargo term {term!r} before its moment, not confidential")
                if ts >= until and "leak.confidential" in cats and "embargo-before" in r["tags"]:
                    errors.append(f"{where}: tagged embargo-before but created at/after the moment")
        for term in internal:
            if re.search(r"(?<![\w.])" + re.escape(term) + r"(?![\w])", nt) and "leak.confidential" not in cats:
                errors.append(f"{where}: internal term {term!r} without leak.confidential")
        ratio = min_ratio(text, profile["products"])
        if not cats:
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_emails:
                    errors.append(f"{where}: benign with e-mail {e}")
            for m in PHONE_RE.finditer(IBAN_RE.sub(" ", text)):
                d = re.sub(r"\D", "", m.group(0))
                if 9 <= len(d) <= 12 and d[-9:] not in own_phones:
                    errors.append(f"{where}: benign with phone-like {m.group(0)}")
            for m in DIGITS_RE.finditer(text):
                d = re.sub(r"\D", "", m.group(0))
                if 13 <= len(d) <= 19 and luhn_ok(d):
                    errors.append(f"{where}: benign with Luhn-valid {d}")
            for rx in SECRET_RES:
                if rx.search(text):
                    errors.append(f"{where}: benign with secret shape {rx.pattern}")
            for w in PROFANITY:
                if re.search(r"\b" + re.escape(w), squashed):
                    errors.append(f"{where}: benign with profanity {w!r}")
            if ratio is not None and ratio < ratio_limit and "price-context" not in r["tags"]:
                errors.append(f"{where}: benign with product price at {ratio:.2f} of list")
        elif "leak.pricing" not in cats and ratio is not None and ratio < ratio_limit:
            errors.append(f"{where}: product price at {ratio:.2f} of list but no leak.pricing")
    # near duplicates
    sh = []
    for line in lines:
        w = re.findall(r"\w+", norm(json.loads(line)["post"]["text"]))
        sh.append({tuple(w[i:i + 3]) for i in range(max(0, len(w) - 2))})
    for i in range(len(sh)):
        for j in range(i + 1, len(sh)):
            if sh[i] and sh[j] and len(sh[i] & sh[j]) / len(sh[i] | sh[j]) > 0.3:
                errors.append(f"lines {i + 1} and {j + 1}: near-duplicate texts")
    return errors


def cross_check_stdnum(rows):
    try:
        from stdnum import iban as s_iban, luhn as s_luhn
        from stdnum.nl import bsn as s_bsn
    except ImportError:
        return "python-stdnum not installed: cross-check skipped"
    bad, n = [], 0
    for r in rows:
        for kind, raw, _ in r["used"]:
            ok = None
            if kind.startswith("IBAN_"):
                ok = s_iban.is_valid(raw)
            elif kind.startswith("BAD_IBAN"):
                ok = not s_iban.is_valid(raw)
            elif kind == "CARD":
                ok = s_luhn.is_valid(raw)
            elif kind in ("BAD_CARD", "EAN13"):
                ok = not s_luhn.is_valid(raw)
            elif kind == "BSN":
                ok = s_bsn.is_valid(raw)
            elif kind == "NOT_BSN9":
                ok = not s_bsn.is_valid(raw)
            elif kind == "NOT_BSN8":
                ok = not s_bsn.is_valid("0" + raw)
            if ok is not None:
                n += 1
                if not ok:
                    bad.append(raw)
    if not s_iban.is_valid(OWN_IBAN):
        bad.append(OWN_IBAN)
    return f"python-stdnum DISAGREES on {bad}" if bad else f"python-stdnum agrees on all {n} identifiers"


def report(rows):
    cat, lang, role, sev, plat = Counter(), Counter(), Counter(), Counter(), Counter()
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
    print(f"cases {len(rows)}  benign {benign}  positive {len(rows) - benign}  multi {multi}  evasion {evasion}")
    for c in CATEGORIES:
        print(f"  {c:22s} {cat[c]}")
    print("lang", dict(lang), "role", dict(role))
    print("severity", {s: sev[s] for s in SEVERITIES})
    print("platforms", dict(plat.most_common()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    lines = dump_lines(rows)
    if not args.check:
        OUT.write_text("".join(lines), encoding="utf-8")
        print(f"wrote {len(lines)} cases to {OUT}")
    else:
        if OUT.read_text(encoding="utf-8").splitlines(keepends=True) != lines:
            print("cases.jsonl differs from the generator output")
            return 1
    errors = check(lines, rows, profile)
    print(cross_check_stdnum(rows))
    report(rows)
    for e in errors:
        print("ERROR", e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
