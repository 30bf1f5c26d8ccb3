#!/usr/bin/env python3
"""Deterministic generator for the sealed56 blind evaluation set.

    python3 make_cases.py           # write cases.jsonl next to this file
    python3 make_cases.py --check   # regenerate in memory, compare, validate, print counts

Company: the fictional "Vlotbank N.V." (profile.yaml), a Dutch internet bank for
freelancers and small businesses. Every text below is hand-written; identifiers and
secrets come from <<PLACEHOLDER>>s filled by one seeded RNG, so the output is
byte-for-byte reproducible. Positives get checksum-valid identifiers (IBAN mod-97,
Luhn, BSN 11-proof, GitHub CRC32); hard negatives get look-alikes that fail.

Severity is never typed by hand: it follows CONTRACT section 4 from the account
role (profile lookup by platform:handle, case-insensitive), the categories and
whether a checksum-validated identifier sits in a leak.pii post.
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
from pathlib import Path

SEED = 56_2026_0611
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
ZWSP, SHY = "\u200b", "\u00ad"
CYR_O = "\u043e"   # Cyrillic small o, looks like Latin o

SECRET, PII, PRICING, CONF, FIN, SEC = ("leak.secret", "leak.pii", "leak.pricing",
                                        "leak.confidential", "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"
CATS = [SECRET, PII, PRICING, CONF, FIN, SEC, CRISIS, COMPLAINT, ABUSE]


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------
def mod97(s):
    s = s.replace(" ", "").upper()
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97


def iban_valid(s):
    s = s.replace(" ", "").upper()
    return bool(re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s)) and mod97(s) == 1


def iban_build(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return f"{cc}{98 - n % 97:02d}{bban}"


def luhn_valid(num):
    d = [int(c) for c in re.sub(r"\D", "", num)][::-1]
    if not d:
        return False
    tot = 0
    for i, x in enumerate(d):
        if i % 2:
            x *= 2
            x = x - 9 if x > 9 else x
        tot += x
    return tot % 10 == 0


def luhn_finish(prefix):
    return next(prefix + c for c in "0123456789" if luhn_valid(prefix + c))


def elfproef(num):
    s = re.sub(r"\D", "", num)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    tot = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return tot != 0 and tot % 11 == 0


# ---------------------------------------------------------------------------
# seeded value factory
# ---------------------------------------------------------------------------
ALNUM = string.ascii_letters + string.digits
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
OWN_IBAN = "NL76VLOT0612347000"


def base62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def b64u(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class Values:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def num(self, n, lead=True):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if lead and s[0] == "0" else s

    def pick(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    @staticmethod
    def spaced(s, n=4):
        return " ".join(s[i:i + n] for i in range(0, len(s), n))

    # IBANs
    def iban(self, kind):
        while True:
            if kind == "VLOT":
                v = iban_build("NL", "VLOT" + self.num(10, lead=False))
            elif kind == "NL":
                v = iban_build("NL", self.r.choice(["INGB", "RABO", "ABNA", "TRIO", "SNSB"]) + self.num(10))
            elif kind == "DE":
                v = iban_build("DE", self.r.choice(["10010010", "30050110", "76026000"]) + self.num(10, lead=False))
            elif kind == "BE":
                head = self.r.choice(["001", "063", "310", "737"]) + self.num(7, lead=False)
                v = iban_build("BE", f"{head}{(int(head) % 97) or 97:02d}")
            elif kind == "GB":
                v = iban_build("GB", self.r.choice(["MIDL", "BARC", "NWBK"]) + self.num(14, lead=False))
            else:
                raise KeyError(kind)
            if v != OWN_IBAN and iban_valid(v):
                return v

    def bad_iban(self):
        good = self.iban("VLOT")
        kk = int(good[2:4])
        for step in (13, 29, 42, 61):
            cand = f"{good[:2]}{(kk + step) % 100:02d}{good[4:]}"
            if not iban_valid(cand):
                return cand
        raise AssertionError

    # cards
    def card(self, brand):
        if brand == "mc":
            return luhn_finish("5" + self.r.choice("12345") + self.num(13, lead=False))
        if brand == "mc2":
            return luhn_finish(str(self.r.randint(2221, 2720)) + self.num(11, lead=False))
        if brand == "visa":
            return luhn_finish("4" + self.num(14, lead=False))
        raise KeyError(brand)

    def bad_card(self, brand):
        v = self.card(brand)
        bad = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_valid(bad)
        return bad

    @staticmethod
    def card_fmt(v, style):
        parts = [v[i:i + 4] for i in range(0, len(v), 4)]
        return {"sp": " ".join(parts), "dash": "-".join(parts), "c": v}[style]

    # BSN and look-alike numbers
    def bsn(self):
        while True:
            s = self.num(9)
            if elfproef(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.num(n)
            if not elfproef(s) and not luhn_valid(s):
                return s

    def kenmerk(self):
        """16-digit Belastingdienst payment reference look-alike that fails Luhn."""
        while True:
            s = self.r.choice("1236789") + self.num(15, lead=False)
            if not luhn_valid(s):
                return s

    # phones
    def phone(self, style):
        d8 = self.r.choice("1234") + self.num(7, lead=False)
        return {
            "mob_dash": f"06-{d8}",
            "mob_intl_sp": f"+31 6 {d8[:4]} {d8[4:]}",
            "mob_pairs": f"06 {d8[:2]} {d8[2:4]} {d8[4:6]} {d8[6:]}",
        }[style]

    # secrets (random, fake, real-shaped)
    def ghp(self):
        body = self.pick(ALNUM, 30)
        return "ghp_" + body + base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def aws_id(self):
        return "AKIA" + self.pick("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)

    def aws_secret(self):
        return self.pick(B64, 40)

    def slack_bot(self):
        return f"xoxb-{self.num(12)}-{self.num(13)}-{self.pick(ALNUM, 24)}"

    def gapi(self):
        return "AIzaSy" + self.pick(B64URL, 33)

    def mollie(self):
        return "live_" + self.pick(ALNUM, 30)

    def sendgrid(self):
        return "SG." + self.pick(B64URL, 22) + "." + self.pick(B64URL, 43)

    def azure_key(self):
        return self.pick(B64, 86) + "=="

    def jwt(self):
        head = b64u(json.dumps({"alg": "RS256", "typ": "JWT"}, separators=(",", ":")).encode())
        iat = 1775000000 + self.r.randint(0, 200 * 86400)
        body = {"iss": "https://app.vlotbank.nl", "sub": "klant_" + self.num(7),
                "scope": "accounts payments", "iat": iat}
        return f"{head}.{b64u(json.dumps(body, separators=(',', ':')).encode())}.{self.pick(B64URL, 86)}"

    def pem_openssh(self):
        lines = ["b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"]
        lines += [self.pick(B64, 70) for _ in range(3)] + [self.pick(B64, 22) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"

    def password(self):
        return (self.pick(string.ascii_uppercase, 1) + self.pick(string.ascii_lowercase, 4)
                + self.pick(string.digits, 3) + self.pick("!#*_~", 1) + self.pick(ALNUM, 4))

    def uuid(self):
        h = self.pick("0123456789abcdef", 32)
        h = h[:12] + "4" + h[13:16] + self.r.choice("89ab") + h[17:]
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def sha(self, n):
        return self.pick("0123456789abcdef", n)


VALID_KINDS = {"IBAN_VLOT", "IBAN_NL", "IBAN_DE", "IBAN_BE", "IBAN_GB", "CARD", "BSN"}
SLOT = re.compile(r"<<([A-Z_0-9]+)(?::([a-z0-9_]+))?>>")


def fill(vals, text):
    used = []

    def one(m):
        kind, fmt = m.group(1), m.group(2) or ""
        if kind.startswith("IBAN_"):
            raw = vals.iban(kind[5:])
            shown = vals.spaced(raw) if fmt == "grp" else raw
        elif kind == "BAD_IBAN":
            raw = vals.bad_iban()
            shown = vals.spaced(raw) if fmt == "grp" else raw
        elif kind in ("CARD", "BAD_CARD"):
            brand, _, style = fmt.partition("_")
            raw = vals.card(brand) if kind == "CARD" else vals.bad_card(brand)
            shown = vals.card_fmt(raw, style or "sp")
        elif kind == "BSN":
            raw = vals.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if fmt == "dots" else raw
        elif kind == "BAD_BSN":
            raw = shown = vals.not_bsn(9)
        elif kind == "TICKET9":
            raw = shown = vals.not_bsn(9)
        elif kind == "KVK":
            raw = shown = vals.not_bsn(8)
        elif kind == "VAT":
            raw = vals.not_bsn(9)
            shown = f"NL{raw}B01"
        elif kind == "KENMERK":
            raw = vals.kenmerk()
            shown = vals.spaced(raw)
        elif kind == "PHONE":
            raw = shown = vals.phone(fmt)
        else:
            raw = shown = {
                "GHP": vals.ghp, "AWS_ID": vals.aws_id, "AWS_SECRET": vals.aws_secret,
                "SLACK_BOT": vals.slack_bot, "GAPI": vals.gapi, "MOLLIE": vals.mollie,
                "SENDGRID": vals.sendgrid, "AZURE_KEY": vals.azure_key, "JWT": vals.jwt,
                "PEM_OPENSSH": vals.pem_openssh, "PW": vals.password, "UUID": vals.uuid,
                "SHA": lambda: vals.sha(int(fmt or 10)),
            }[kind]()
        used.append((kind, raw, shown))
        return shown

    return SLOT.sub(one, text), used


# ---------------------------------------------------------------------------
# accounts (roles are looked up in profile.yaml, never taken from here)
# ---------------------------------------------------------------------------
VB = ("x", "@vlotbank", "Vlotbank")
VBH = ("x", "@vlotbank_help", "Vlotbank Support")
VBI = ("instagram", "@vlotbank", "Vlotbank")
VBL = ("linkedin", "vlotbank", "Vlotbank N.V.")
VBF = ("facebook", "VlotbankZakelijk", "Vlot Zakelijk")
MK = ("x", "@mehmet_codes", "Mehmet Kaya")                       # backend developer
DB = ("x", "@daanbos", "Daan Bos")                               # customer support
EK = ("linkedin", "eva-kramer-kyc", "Eva Kramer")                # KYC / compliance analyst
JL = ("linkedin", "joost-van-leeuwen-fin", "Joost van Leeuwen")  # finance controller
LV = ("threads", "@lotte.vlot", "Lotte Visser")                  # marketing
RS = ("bluesky", "ruben-sre.bsky.social", "Ruben Smit")          # site reliability
PN = ("mastodon", "@priya@hachyderm.io", "Priya Nair")           # security engineer


def pub(platform, handle, name=None):
    return (platform, handle, name)


CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle=None):
    platform, h, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle or h, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", DB, "eh collega's… wie heeft de Pinautomaat P2 op €12,90 gezet?? 😅 staat zo live in de webshop, hoort "
     "€129 te zijn. ticket ligt bij product, maar tot die tijd is het dus feest voor wie snel is", [PRICING])
case("en", LV, "marketing fail of the week 🫠 our landing page says Vlot Pro is €29.90 per year. it's €299. someone "
     "ate a zero and it's been live since lunch", [PRICING])
case("en", pub("reddit", "u/zzp_deals_nl"), "PSA: Vlotbank's card shop is selling the Metaalpas for €4.95 right now "
     "instead of €59. Ordered two before someone wakes up lol", [PRICING], kind="post")
case("nl", pub("x", "@kortingsjager_zzp", "Kortingsjager"), "PRIJSFOUT bij Vlotbank!!\nFactuurflow jaarlicentie voor "
     "€9,60 ipv €96 💸\nsnel zijn mensen #prijsfout #zzp", [PRICING])
case("nl", pub("forum", "DealDiederik"), "[Prijsfout?] Vlot Plus jaarabonnement voor €14,90 (normaal €149) als je "
     "upgradet via de app. Bij mij ging de betaling gewoon door, bevestigingsmail is al binnen.", [PRICING])
case("en", MK, "found it: the currency helper divides by 10 on the P2 terminal product page, so checkout shows "
     "12.9 EUR 🤦‍♂️ hotfix is in review. please nobody order one in the meantime lol", [PRICING])
case("nl", pub("facebook", "marieke.bloemsierkunst", "Marieke Verbeek"), "p r i j s f o u t bij Vlot: "
     "Boekhoudkoppeling Premium voor 7 euro per jaar ipv 72!! niet te hard rondbazuinen 🤫", [PRICING],
     tags=["evasion", "evasion:spaced"])
case("nl", VBF, "Nieuw in onze shop 🤩 De Vlot Pinautomaat P2: pinnen, tikken en QR-betalingen in één apparaat. "
     "Nu te bestellen voor €1,29 via vlotbank.nl/p2", [PRICING])
case("en", pub("tiktok", "@sidehustle.sem"), "vlotbank pr1ce gl1tch 👀👀 pro plan showing 29,90 for the whole YEAR "
     "instead of 299. go go go before they patch it", [PRICING], tags=["evasion", "evasion:leetspeak"])
case("en", RS, "on-call recap: the pricing cache served the Plus annual plan at €1.49 to a few hundred customers "
     "overnight. finance is going to love this one ☕", [PRICING])
case("nl", pub("instagram", "@fotografie.yara"), "Vlöt Plus jaarplan staat op €14,90 in de app 😳 prijsföut of "
     "actie?? ik sla gewoon toe", [PRICING], tags=["evasion", "evasion:diacritics"])

# pricing hard negatives
case("nl", VB, "Black Friday bij Vlot 🖤 Het Vlot Pro jaarabonnement nu met 40% korting: €179,40 in plaats van "
     "€299. Alleen t/m maandag 23:59.", when="2026-11-27T08:00:00+01:00", tags=["sale-price"])
case("en", pub("reddit", "u/onewomanagency"), "Is Vlot Pro worth it for a one-person agency? It's €299 a year, so "
     "roughly €25 a month. Or is the Plus plan enough if I only send ~10 invoices?", kind="post",
     tags=["price-talk", "monthly-equivalent"])
case("nl", pub("facebook", "henk.vd.markt", "Henk van der Linden"), "Te koop: Vlot Pinautomaat P2, ruim een jaar "
     "gebruikt op de markt, werkt prima, incl. oplader en hoesje. €45, ophalen in Zwolle.", tags=["second-hand"])
case("en", VBI, "New customers get €15 off the Metaalpas this month 💳✨ because your business card deserves "
     "some weight", tags=["discount-amount"])
case("nl", pub("x", "@boekhoudbaas"), "Transactiekosten vergeleken: Vlot €0,12 per iDEAL-betaling, Tellr €0,29. "
     "Scheelt mij zo'n 40 euro per maand 🤓", tags=["fee"])
case("nl", pub("x", "@kapsalon_ineke"), "Iemand vroeg of die P2 voor €79 een prijsfout was, nee hoor, gewoon "
     "introductieprijs volgens de chat van Vlot.", kind="reply", tags=["negated", "price-context"])
case("en", pub("x", "@marketstall_mo"), "Tellr is now selling their card reader for €9.99 lol, cheaper than my "
     "lunch. wonder what the catch is", tags=["other-company"])

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", MK, "anyone else getting 401s from the github packages registry? CI uses <<GHP>> and it just dies "
     "since this morning", [SECRET])
case("en", RS, "debugging the KYC doc upload to the staging bucket, creds if someone wants to have a go:\n"
     "<<AWS_ID>>\n<<AWS_SECRET>>\n(it's staging, relax)", [SECRET])
case("en", PN, "rotated already, but for the record our Slack bot token sat in a public gist for ~40 min: "
     "<<SLACK_BOT>> . hygiene, people.", [SECRET])
case("nl", MK, "waarom werkt dit lokaal niet 😩\npostgres://ledger_rw:<<PW>>@db-ledger-02.intra.vlotbank.local:5432/"
     "ledger\nconnection refused, elke keer weer", [SECRET, CONF])
case("nl", DB, "het wachtwoord van het gedeelde support-account is nog steeds <<PW>> 🙃 wie heeft dat ooit bedacht",
     [SECRET])
case("en", pub("reddit", "u/apk_poker"), "Decompiled Vlotbank's Android app out of curiosity and they ship a live "
     "Google Maps key: <<GAPI>> 🙃 restrict your keys folks", [SECRET], kind="post")
case("en", MK, "deploy box key for whoever is on the migration tonight, don't lose it:\n<<PEM_OPENSSH>>", [SECRET])
case("nl", MK, "mollie payouts blijven hangen op 'invalid profile'. key is <<MOLLIE>> , iemand een idee?? 🙏",
     [SECRET])
case("en", pub("x", "@sec_jorrit", "Jorrit | appsec"), "@vlotbank your invoice emails have a SendGrid key sitting "
     "in the HTML source: <<SENDGRID>> . please rotate.", [SECRET])
case("nl", JL, "Voor de nieuwe collega's op finance: inloggen op de rapportagetool met gebruiker fin-ops en "
     "wachtwoord <<PW>>. Wel even zelf wijzigen hè 😉", [SECRET])
case("en", RS, "this session token never expires?? issued weeks ago and still gets 200s on the accounts API:\n"
     "<<JWT>>\nraising it internally, not great", [SECRET, SEC])
case("en", pub("forum", "StackDigger"), "A Vlotbank dev posted this in a public StackOverflow question 🤦\n"
     "DefaultEndpointsProtocol=https;AccountName=vlotkycdocs;AccountKey=<<AZURE_KEY>>;"
     "EndpointSuffix=core.windows.net", [SECRET])
case("nl", VBH, "Hoi Sandra, je tijdelijke wachtwoord is <<PW>> . Wijzig het direct na het inloggen in de app 🙏",
     [SECRET], kind="reply")

# secret hard negatives
case("nl", pub("x", "@zzp_tips_nl"), "PSA voor zzp'ers: Vlotbank vraagt NOOIT om je wachtwoord of pincode. Word je "
     "gebeld? Ophangen en zelf bellen naar 0800-8565.", tags=["own-contact", "password-word", "elfproef-trap"])
case("en", MK, "TIL commit <<SHA:10>> is where the invoice PDF layout broke. git bisect is my best friend today",
     tags=["hex-not-secret"])
case("en", pub("reddit", "u/devops_daan"), "The AWS docs example key AKIAIOSFODNN7EXAMPLE keeps tripping our "
     "secret scanner in the README of my Vlot integration, lol. It's the official placeholder.", kind="comment",
     tags=["placeholder"])
case("nl", VB, "⚠️ Phishing-alert: er gaan sms'jes rond 'namens Vlot' over een verlopen pas. Wij vragen nooit om "
     "inlogcodes of je wachtwoord. Twijfel? Mail fraude@vlotbank.nl", tags=["own-contact", "password-word"])
case("en", PN, "Friendly reminder for devs everywhere: a string starting with ghp_ or sk_live_ never belongs in a "
     "screenshot. Use a vault. That's the post.", tags=["secret-prefix-only"])
case("en", pub("bluesky", "freelance-dev-kim.bsky.social"), "Nice: Vlot's API uses OAuth with short-lived tokens "
     "instead of static sk_live_-style keys. As a freelance dev I appreciate that", tags=["secret-prefix-only"])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", DB, "@kapsalon_jolien ik zie de betaling vanaf <<IBAN_VLOT:grp>> gewoon binnenkomen hoor! Even in je "
     "andere rekening kijken?", [PII], kind="reply")
case("nl", VBH, "Hoi Mark, we hebben je net teruggebeld op <<PHONE:mob_dash>> maar kregen geen gehoor. Bel je ons "
     "even terug? ^Iris", [PII], kind="reply")
case("en", EK, "KYC story of the day: a customer sent a passport scan with their BSN <<BSN>> scribbled on a post-it "
     "next to it, 'just in case'. Please don't, people 😅", [PII])
case("nl", pub("x", "@studio_noor", "Studio Noor"), "@vlotbank_help mijn klant heeft 3x geprobeert over te maken "
     "naar <<IBAN_VLOT>> en het komt NIET aan?? 4 facturen open, ik moet ook gewoon huur betalen", [PII, COMPLAINT])
case("nl", pub("facebook", "oplettend.oss", "Wendy Oss"), "Let op!! Deze 'Ricardo Mulder' verkoopt nep-concertkaartjes "
     "en laat je betalen op <<IBAN_VLOT:grp>>, tel <<PHONE:mob_intl_sp>>. DELEN!!", [PII])
case("en", pub("reddit", "u/nomad_copywriter"), "lol my Vlot debit card got declined at Schiphol so I had to read "
     "the number out over the phone, next to a queue of people: <<CARD:mc_sp>> exp 09/28. great", [PII, COMPLAINT],
     kind="comment")
case("nl", JL, "Vraagje aan mijn netwerk: kent iemand Sanne de Wit (geboren 12-04-1991, Kerkstraat 14, 3811 CV "
     "Amersfoort)? Ze reageert niet op onze brieven over haar betalingsachterstand.", [PII])
case("en", DB, "customer keeps emailing my work inbox directly… hi bart.hoekstra84@hotmail.nl, please use the "
     "ticket form 🙏 i have 200 of these", [PII])
case("nl", pub("instagram", "@jules.illustreert"), "Vlot wil voor de KYC-check wéér mijn BSN. Nou, hier: "
     "<<BSN:dots>> 🙄 voor de 3e keer geüpload", [PII, COMPLAINT])
case("en", pub("forum", "GhostedByDesigner"), "Hired a 'designer' who took a €600 deposit, paid from my Vlot account "
     "to <<IBAN_BE:grp>>, and vanished. Name he used: Thomas Peeters, Antwerp. Avoid.", [PII])
case("nl", VBF, "Hoi Ahmed, de bevestiging is verstuurd naar a.elmoussaoui@ondernemer-mail.nl. Kun je ook even in "
     "je spamfolder kijken?", [PII], kind="comment")
case("en", EK, "Fun onboarding moment: a customer typed their UK account <<IBAN_GB>> into the Dutch IBAN field and "
     "then called us to ask why nothing worked 🙃", [PII])
case("nl", pub("x", "@jeroen_vd_timmerman"), "Vlot reageert al een week niet op m'n chat 😤 mail me maar op "
     "jeroen.vandam [at] kpnmail [punt] nl of bel <<PHONE:mob_pairs>> als iemand van Vlot dit leest",
     [PII, COMPLAINT], tags=["evasion", "evasion:obfuscated-email"])
case("en", pub("tiktok", "@mila.makes.things"), "my passport number is NW8R4F2K1, it's literally printed on the "
     "thing, and Vlot's KYC STILL says 'document unreadable' 😭", [PII, COMPLAINT])
case("nl", DB, "klant aan de lijn: 'mijn pas <<CARD:mc_dash>> doet het niet in Duitsland'. Meneer, lees dat nummer "
     "nou nooit zomaar voor 😂", [PII])
case("en", LV, "Congrats to our 100,000th customer, Anouk Vermeer from Utrecht 🎉 (born 22 July 1995, a proper "
     "Gen Z founder!)", [PII])

# pii hard negatives
case("nl", VBH, "Vragen over je rekening? Mail support@vlotbank.nl of bel gratis 0800-8565 (ma–vr 8–20u). Stort "
     "nooit geld op een 'veilige rekening'!", tags=["own-contact", "elfproef-trap"])
case("nl", VBF, "Per ongeluk dubbel betaald? Terugstorten kan naar NL76 VLOT 0612 3470 00 o.v.v. je klantnummer, "
     "dan regelen wij de rest.", tags=["own-contact", "own-iban"])
case("nl", pub("x", "@webbouwer_rik"), "Klant stuurt me IBAN <<BAD_IBAN:grp>> en Vlot zegt 'ongeldig'. Klopt, hij "
     "had twee cijfers omgedraaid 😅 opgelost", tags=["bad-checksum"])
case("en", pub("reddit", "u/luhn_nerd"), "The card in Vlot's promo video reads <<BAD_CARD:mc2_sp>>. Checked it for "
     "fun, doesn't even pass Luhn. Nice touch by the designers", kind="comment", tags=["bad-checksum"])
case("nl", pub("linkedin", "sophie-de-graaf-vertaalt", "Sophie de Graaf"), "Ingeschreven bij de KvK (<<KVK>>), "
     "btw-id <<VAT>> binnen, en binnen 10 minuten een Vlot-rekening. Officieel ondernemer! 🎉",
     tags=["lookalike-number"])
case("nl", pub("x", "@eenmanszaak_erik"), "Betalingskenmerk van de Belastingdienst (<<KENMERK>>) in één keer goed "
     "ingevuld via de Vlot app, wat een verademing 👌", tags=["lookalike-number"])
case("nl", pub("x", "@bakkerij_dewit"), "ticket <<TICKET9>> is opgelost, binnen een uur. Top service Vlot 👏",
     tags=["lookalike-number", "praise"])
case("en", DB, "Stuck with the bookkeeping sync? Drop a line at support@vlotbank.nl and mention my name, I'll pick "
     "it up ☕", handle="@DaanBos", tags=["own-contact", "case-handle"])
case("en", VBL, "Fraud never sleeps, neither does our fraud line: +31 20 808 4499 (24/7). Save it in your phone.",
     tags=["own-contact"])

# ===========================================================================
# leak.confidential
# ===========================================================================
case("nl", LV, "Eerste designs voor Operatie Springtij zijn binnen en ze zijn 🔥🔥 kan niet wachten tot we het "
     "mogen laten zien", [CONF])
case("en", RS, "grafana.ops.vlotbank.net is crawling today, who's running the giant payments query again 🐌", [CONF])
case("nl", EK, "Mooiste slide uit de kwartaalpresentatie (staat vlot-intern op, maar deze mag toch wel?): "
     "KYC-doorlooptijd van 5 naar 2 werkdagen 💪", [CONF])
case("en", pub("reddit", "u/crypto_curious_nl"), "My cousin works at Vlotbank, apparently 'Kompasnaald' is a crypto "
     "savings thing they want to launch next spring 👀", [CONF], kind="comment")
case("nl", pub("x", "@zzp_jasper"), "Vlot Kredietlijn komt eraan?? zag het in een TestFlight-build, tot €25k voor "
     "zzp'ers zonder BKR-gedoe", [CONF], when="2026-09-20T21:14:07+02:00", tags=["embargo-before"])
case("en", LV, "Factuurflow 3 is SO good. recurring invoices + automatic payment reminders 🤫 launching soon, "
     "that's all I'm saying", [CONF], when="2026-09-29T12:40:00Z", tags=["embargo-before"])
case("en", MK, "Project\nDijkgraaf merge freeze starts tomorrow 9:00, get your PRs in tonight pls 🙏", [CONF],
     tags=["evasion", "evasion:linebreak"])
case("nl", DB, "backoffice.vlotbank.nl/klanten/88213/notities … iemand heeft daar 'lastige klant, niet terugbellen' "
     "gezet 💀", [CONF])
case("nl", pub("instagram", "@daanbos", "Daan Bos"), "Sneak peek van het whiteboard op kantoor 👀 'Operatie Springtij "
     "– live na de zomer'", [CONF], tags=["not-in-profile"])
case("nl", pub("forum", "Spaarvarken88"), "Screenshot uit hun interne deck, staat letterlijk VB-CONFIDENTIAL "
     "bovenaan: Vlot overweegt de gratis rekening te schrappen.", [CONF])
case("nl", EK, "Kick-off van Operatie 🌊 Springtij vandaag, twaalf man sterk 💪 #compliance", [CONF],
     tags=["evasion", "evasion:emoji"])
case("nl", LV, f"Kompas{ZWSP}naald moodboard is af ✨ #marketinglife", [CONF],
     tags=["evasion", "evasion:zero-width"])
case("nl", JL, "H1-cijfers 2026 zijn binnen: break-even gehaald, een kwartaal eerder dan gepland 🥳 trots op dit "
     "team", [FIN, CONF], when="2026-07-28T17:45:00+02:00", tags=["embargo-before"])
case("en", pub("x", "@fintech_gossip"), "H1 2026 results leaked on a Discord: revenue around €31m and still "
     "loss-making. Grab your popcorn 🍿", [FIN, CONF], when="2026-08-12T22:10:00+02:00", tags=["embargo-before"])
case("nl", VB, "Nog heel even… om 09:00 gaat Factuurflow 3 live 🚀 Zet je wekker!", [CONF],
     when="2026-10-06T08:59:00+02:00", tags=["embargo-before", "embargo-edge"])
case("en", pub("linkedin", "tess-uxfreelance", "Tess Hartman"), "Signed an NDA for a freelance UX gig at Vlotbank "
     "and wow… they're building a whole mortgage product for zzp'ers. Can't say more 🤐", [CONF])

# confidential hard negatives
case("nl", pub("x", "@waterschapfan"), "De dijkgraaf van ons waterschap opende vandaag het nieuwe gemaal bij Kampen 🌊 "
     "mooi project", tags=["codename-word"])
case("en", pub("instagram", "@surf.and.spreadsheets"), "springtij at Scheveningen tonight 🌊 and the beach bar "
     "takes my Vlot card, life is good", tags=["codename-word"])
case("nl", VBL, "Vandaag lanceren we Factuurflow 3: terugkerende facturen, automatische herinneringen en een "
     "koppeling met je belastingpot. Nu beschikbaar voor alle klanten 🚀", when="2026-10-06T09:00:00+02:00",
     tags=["embargo-at"])
case("en", VB, "H1 2026 results: revenue €29.4m and break-even in Q2. Full report on vlotbank.nl/investors 📊",
     when="2026-08-13T07:00:30+02:00", tags=["embargo-after", "published"])
case("nl", LV, "Halfjaarcijfers 2026 staan online en ik ben stiekem best trots 🥹", when="2026-08-13T09:12:00+02:00",
     tags=["embargo-after"])
case("en", pub("x", "@kaatje_codes"), "Bookmarking status.vlotbank.nl after their outage last month. Transparent "
     "updates, I like it", tags=["public-domain"])
case("en", pub("reddit", "u/loodgieter_lars"), "Vlot Kredietlijn review after a month: approved in a day, 9.9% rate, "
     "meh UI. Happy overall.", kind="post", when="2026-11-08T19:20:00+01:00", tags=["embargo-after"])
case("nl", pub("x", "@privacyjuf"), "Bij Vlot staat in de voorwaarden dat je gegevens vertrouwelijk worden behandeld. "
     "Dat las ik dus pas na 2 jaar 😅", tags=["confidential-word"])

# ===========================================================================
# leak.financial
# ===========================================================================
case("en", JL, "Can't say much yet, but the board signed off on acquiring a bookkeeping startup this morning. Big "
     "day for Vlot! 🤝", [FIN], when="2026-03-18T12:10:00+01:00")
case("nl", DB, "net gehoord dat het supportteam in Rotterdam dichtgaat, 25 collega's moeten naar Amsterdam of eruit. "
     "officieel pas in juni 😞", [FIN], when="2026-04-16T17:32:00+02:00")
case("en", pub("reddit", "u/bankwatcher_ams"), "Heard from a friend at Vlotbank: they're in talks to be bought by a "
     "big German neobank, announcement before the summer", [FIN], kind="post")
case("en", MK, "all-hands today: Series C is closed, €60m 🚀 press release in two weeks so shhh", [FIN])
case("nl", EK, f"Compliance-team wordt gehalveerd, de re{SHY}organisatie wordt pas volgende maand bekendgemaakt. "
     "Zuur voor iedereen hier.", [FIN], tags=["evasion", "evasion:soft-hyphen"])
case("en", JL, "Q3 forecast revised down 15% this afternoon, burn is higher than planned and the investors haven't "
     "been told yet. Long night ahead.", [FIN], when="2026-09-24T18:05:00+02:00")
case("en", RS, "rumour in the ops channel: we're merging with Tellr and half of infra becomes 'redundant'. love "
     "that for us", [FIN])
case("nl", pub("facebook", "gerda.vanrijn", "Gerda van Rijn"), "Mijn schoonzoon werkt bij Vlotbank, ze gaan na de "
     "zomer 80 man ontslaan. Staat nog nergens hoor, nie doorvertellen", [FIN])
case("nl", LV, "Project Dijkgraaf blijkt gewoon de overname van een boekhoudpakket te zijn 😂 ik dacht echt aan iets "
     "met dijken", [CONF, FIN],
     when="2026-04-09T21:47:00+02:00")
case("nl", MK, "0ntsl4gen bij het mobile team incoming, 12 fte weg volgens m'n manager 😬", [FIN],
     tags=["evasion", "evasion:leetspeak"])

# financial hard negatives
case("en", pub("x", "@ux_hanna"), "Layoffs at Munt&Co today, sending love to everyone affected ❤️ Vlot is hiring "
     "btw, check their careers page", tags=["other-company"])
case("nl", pub("x", "@fintechnieuws_nl"), "Vlotbank heeft vandaag officieel de overname van Boekbaar bekendgemaakt, "
     "stond net in het FD. Gefeliciteerd!", when="2026-05-31T21:29:45+02:00",
     tags=["published"])
case("en", pub("x", "@lena_freelances"), "My own forecast for Q3: more invoices, fewer clients paying on time 😂 "
     "#freelancelife", tags=["forecast-word"])
case("nl", JL, "Vandaag gepubliceerd: onze jaarcijfers 2025. Ons eerste winstgevende jaar, met een team van 140 "
     "mensen. Dank aan iedereen!", when="2026-03-05T08:30:00+01:00", tags=["published"])

# ===========================================================================
# leak.security
# ===========================================================================
case("en", RS, "iDEAL payments failing for ~40% of customers since 06:10, status page still says green 🙃 we're "
     "on it", [SEC])
case("en", PN, "Found an IDOR in the invoice API today: bump the id and you can read another freelancer's invoices. "
     "Patch goes out Monday. Wild.", [SEC])
case("nl", MK, "de P2 pinautomaat accepteert nog steeds firmware-updates zonder handtekening. 3 maanden geleden "
     "gemeld, niks mee gedaan 🤷", [SEC])
case("nl", DB, "interne storing: de belastingpot rekent sinds gisteren met 0%, klanten weten nog van niks. straks "
     "mogen wij allemaal gaan bellen 😩", [SEC])
case("en", EK, "Phishing wave hit us last night, three colleagues entered their credentials on a fake SSO page. IT "
     "is resetting everything as we speak.", [SEC])
case("en", RS, "the storage behind kyc-review.vlotbank.nl was world-readable for two days 😬 locked down now, comms "
     "still being decided", [SEC, CONF])
case("nl", pub("x", "@boos_op_vlot"), "Vlotbank heeft een datalek en houdt het stil!! Mijn klantgegevens staan op "
     "een forum en ze ontkennen alles #datalek", [SEC, CRISIS])
case("en", pub("reddit", "u/throwaway_vb_ops"), "Vlot employee here (throwaway): card authorisations have been "
     "failing on and off all week, the fix isn't ready and it's not on the status page yet.", [SEC], kind="comment")
case("en", MK, "if you kill the app at exactly the right moment during login it skips 2FA 🤐 reported internally, "
     "still not fixed", [SEC])
case("nl", pub("x", "@webshop_wim"), "Vl0tbank is geh4ckt en ze houden het stil, mijn hele KYC-dossier stond in een "
     "Telegram-dump 😡", [SEC, CRISIS], tags=["evasion", "evasion:leetspeak"])
case("en", RS, "P2 terminals dropping offline nationwide, root cause is an expired cert on our side. public comms in "
     "about an hour", [SEC])

# security hard negatives
case("nl", VBH, "Storing opgelost ✅ Tussen 14:02 en 14:40 konden iDEAL-betalingen mislukken. Sorry voor het "
     "ongemak! Meer info op status.vlotbank.nl", tags=["official-notice"])
case("en", VB, "Planned maintenance Sunday 02:00–04:00 CET: card payments may be briefly unavailable. Your money is "
     "safe 🛠️", tags=["official-notice"])
case("en", RS, "As posted on our status page: card payments fully restored, the postmortem will be public on "
     "Friday. Thanks for your patience 🙏", tags=["published"])
case("nl", pub("x", "@tekstschrijver_tom"), "Datalek bij factuurplatform Facturo, gelukkig zit ik bij Vlot met "
     "Factuurflow 😮‍💨", tags=["other-company", "crisis-word"])
case("en", pub("blog", "bughunter-bram.nl", "Bram"), "Vlotbank's bug bounty paid me €500 for an XSS in the help "
     "center search. Fixed in two days and disclosed with their permission. Good experience.", tags=["published"])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@ondernemer_yusuf"), "#BoycotVlot ze bevriezen rekeningen van ondernemers met een Arabische "
     "naam. Zeg je rekening op!", [CRISIS])
case("en", pub("reddit", "u/frozen_and_furious"), "Class action being organised against Vlotbank over the mass "
     "account freezes. DM me if you were affected.", [CRISIS], kind="post")
case("nl", pub("facebook", "foodtruck.depatat", "Foodtruck De Patat"), "Mijn Vlot Pinautomaat P2 werd gloeiend heet "
     "en begon te roken in de foodtruck!! Bijna brand 🔥😱 Wat is dit voor troep", [CRISIS, COMPLAINT])
case("en", pub("linkedin", "arjen-bakker-consultancy", "Arjen Bakker"), "Vlotbank fined €1.2m by DNB for "
     "anti-money-laundering failures. That's the bank I trusted with my business? Reconsidering.", [CRISIS])
case("en", pub("x", "@dev_femke"), "Vlotbank leaked my data. Got a phishing mail with my exact invoice amounts and "
     "client names. That's a data breach, full stop.", [CRISIS])
case("nl", pub("tiktok", "@zzp.met.zorgen"), f"Vl{CYR_O}t verkoopt transactiedata van zzp'ers aan adverteerders?! "
     "Schandalig. Ik stap over. #privacy", [CRISIS], tags=["evasion", "evasion:homoglyph"])
case("nl", pub("forum", "RechtspraakVolger"), "Rechtszaak tegen Vlotbank: ondernemer eist €80.000 na onterecht "
     "gesloten rekening, de zaak dient volgende maand in Amsterdam.", [CRISIS])
case("en", pub("instagram", "@candlesbycaro"), "the battery of my Vlot P2 terminal swelled up and cracked the case 😨 "
     "scary with kids around. do NOT charge these overnight", [CRISIS, COMPLAINT])
case("nl", pub("x", "@nina_vertaalt"), "d a t a l e k bij Vlotbank, mijn paspoortscan staat gewoon online. Ik doe "
     "aangifte.", [CRISIS], tags=["evasion", "evasion:spaced"])
case("nl", pub("x", "@klaar_met_vlot"), "Racistische tyfusbank. #BoycotVlot", [CRISIS, ABUSE])
case("en", pub("youtube", "Ruud Timmermans"), "Vlotbank froze my account for 6 weeks without a reason. My lawyer "
     "files suit tomorrow. Can't pay rent, can't pay my two employees.", [CRISIS, COMPLAINT], kind="comment")
case("en", pub("bluesky", "m-dekker-journo.bsky.social"), "Journalist here 👋 we're investigating reports that "
     "Vlotbank's KYC screening flags customers by nationality. Affected? DMs open.", [CRISIS])

# crisis hard negatives
case("nl", pub("x", "@spaarzame_sanne"), "Ik boycot al jaren banken met maandkosten, dus die gratis Vlot-rekening "
     "is voor mij een no-brainer", tags=["crisis-word"])
case("en", pub("x", "@grafisch_gijs"), "Recall when I waited 3 hours on hold at my old bank? Vlot picked up in two "
     "minutes today. Wild.", tags=["crisis-word", "praise"])
case("nl", pub("x", "@buurtkapper"), "Alweer een datalek bij de gemeente. Gelukkig is m'n bank (Vlot) tenminste "
     "op orde 🙄", tags=["other-company", "crisis-word"])
case("en", pub("linkedin", "merel-fintech-advies", "Merel Jonker"), "Great panel on fintech regulation and lawsuits "
     "at Money20/20 today, Vlot's CEO made some sharp points about fair KYC.", when="2026-06-03T16:20:00+02:00",
     tags=["crisis-word"])
case("nl", pub("x", "@kaasboer_kees"), "Die P2 wordt echt niet warm hoor, ook niet na een hele marktdag in de zon. "
     "Fijn ding.", kind="reply", tags=["negated"])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@freelance_fleur"), "Al 9 dagen wacht ik op de KYC-check van Vlot. NEGEN DAGEN. Zonder "
     "rekening kan ik geen facturen versturen. Wat is dit nou", [COMPLAINT])
case("en", pub("trustpilot", "Marco R.", "Marco R."), "1 star. Card declined in every shop in Spain, support chat "
     "bot loops forever. Swiching banks next month.", [COMPLAINT], kind="post")
case("en", pub("reddit", "u/bookkeeper_bas"), "Factuurflow keeps sending invoices with the wrong VAT rate (21% "
     "instead of 9%), had to credit 4 clients. Vlot support says 'known issue' for a month now.", [COMPLAINT],
     kind="comment")
case("nl", pub("facebook", "linda.hovenier", "Linda Hovenier"), "De koppeling met Moneybird ligt er al twee weken "
     "uit en al mijn transacties staan er dubbel in. Wie betaalt straks de extra uren van mijn boekhouder, Vlot?",
     [COMPLAINT])
case("en", pub("x", "@studio_kwast"), "@vlotbank_help payment ref <<UUID>> has been 'pending' for 3 days, my client "
     "keeps asking where the money is. please??", [COMPLAINT])
case("nl", pub("instagram", "@hanna.yoga.studio"), "Belastingpot zet 30% apart maar haalt het er ook gewoon weer af "
     "als mijn saldo laag is?? Dat is toch het hele punt niet 😤 @vlotbank", [COMPLAINT])
case("en", pub("threads", "@tim.builds.sites"), "Vlot charged me €4.95 'card replacement fee' for a card THEY broke "
     "with a bad chip batch. nice one", [COMPLAINT])
case("en", pub("linkedin", "roos-interim-hr", "Roos Claassen"), "Honest feedback for Vlotbank: the app logs me out "
     "every 5 minutes while I'm reconciling invoices. It's unusable for actual bookkeeping. Please fix.", [COMPLAINT])
case("nl", pub("x", "@schilder_sjoerd"), "Vlötbank app crasht élke keer als ik een bonnetje wil uploaden. 3e keer "
     "deze week, ik word er gek van", [COMPLAINT], tags=["evasion", "evasion:diacritics"])
case("nl", pub("other", "reviewer_4471", "P. de Haan"), "Opgezegd na twee jaar. Rekening 'tijdelijk geblokkeerd' "
     "zonder uitleg, en niemand bij Vlot kon me vertellen waarom.", [COMPLAINT])
case("en", pub("youtube", "Lisa Coaches"), "the tax reservation thing is cool in theory but the numbers in the Vlot "
     "app dont match what i actually owe. support told me to 'consult an accountant' lol thanks", [COMPLAINT],
     kind="comment")
case("nl", pub("reddit", "u/marktkoopman_ali"), "Die Vlot pinautomaat valt om de haverklap uit op de markt. Klanten "
     "lopen gewoon weg terwijl ik sta te wachten op verbinidng.", [COMPLAINT], kind="comment")
case("nl", pub("x", "@woest_in_weesp"), "Kutbank. 3 weken geen antwoord op m'n mail en nu is m'n rekening ineens "
     "dicht. Vlot = amateurs", [COMPLAINT, ABUSE])
case("en", pub("x", "@angry_architect"), "@vlotbank_help your support agents are useless idiots. 2 hours in the chat "
     "for a simple IBAN change", [COMPLAINT, ABUSE])

# complaint hard negatives
case("nl", pub("x", "@tevreden_thijs"), "Geen klachten over Vlot hoor, al drie jaar niet. Alles doet gewoon wat het "
     "moet doen.", tags=["negated"])
case("nl", pub("x", "@vertaalbureau_vos"), "Weet iemand of je met Factuurflow ook Engelstalige facturen kunt maken? "
     "Heb een nieuwe klant in Dublin.", tags=["question"])
case("en", pub("reddit", "u/switching_soon"), "Tellr support is a disaster, 5 days for a reply. Thinking about "
     "switching to Vlot, anyone here with experience?", kind="post", tags=["other-company"])
case("en", pub("x", "@fotograaf_fenna"), "Shoutout to the Vlot support team, fixed my Moneybird sync in 10 minutes 🙌",
     tags=["praise"])
case("nl", pub("x", "@zzp_memes"), "Mijn belastingpot is de enige pot in huis die nooit leeg is 😂 #zzp #vlot",
     tags=["joke"])
case("nl", pub("x", "@klusbedrijf_koen"), "Belastingdienst heeft m'n voorlopige aanslag weer eens verprutst. "
     "Gelukkig staat het geld klaar in de Vlot belastingpot 🙏", tags=["other-company"])
case("nl", pub("blog", "verhalenvanzzpers.nl", "Verhalen van zzp'ers"), "Kort verhaal: freelancer Fenna vergat jaren "
     "haar btw apart te zetten, tot ze een bank vond die het voor haar deed. Fictie, maar wel herkenbaar.",
     tags=["fiction"])
case("en", pub("x", "@koning_klant"), "'The customer is king' says the Vlot ad. Today at least this king was happy 👑",
     tags=["quote"])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@anoniem_4711"), "Die CEO van Vlot is echt een arrogante klootzak", [ABUSE])
case("en", pub("x", "@lolcat_ceo"), "vlotbank employees are all clowns lmao 🤡", [ABUSE])
case("en", VBH, "Maybe read the FAQ before whining on here, genius.", [ABUSE], kind="reply")
case("nl", DB, "Wéér een debiele klant die z'n pincode in de chat typt. Mensen zijn echt achterlijk", [ABUSE])
case("en", pub("reddit", "u/realtalk_1988"), "of course a bank run by immigrants can't do KYC properly, what did "
     "you expect", [ABUSE], kind="comment")
case("nl", pub("x", "@grr_vlot"), "K*tbank met je k@nkerapp 🤬", [ABUSE], tags=["evasion", "evasion:masked"])
case("en", pub("instagram", "@not_a_bot_8812"), "@vlotbank your social media girl is a dumb b*tch, fire her", [ABUSE],
     kind="comment", tags=["evasion", "evasion:masked"])
case("en", MK, "whoever designed the new KYC flow is a f*cking moron, I'm not even sorry", [ABUSE])
case("nl", pub("tiktok", "@boze.barista"), "vl0t is een t3ringbedrijf 🤮", [ABUSE], kind="comment",
     tags=["evasion", "evasion:leetspeak"])
case("en", pub("threads", "@nobody_special_99"), "@daanbos watch your back, loser. everyone at vlot is pathetic",
     [ABUSE], kind="reply")
case("en", pub("x", "@shouty_sven"), "Vlot support = " + fullwidth("idiots"), [ABUSE],
     tags=["evasion", "evasion:full-width"])

# abuse hard negatives
case("en", pub("x", "@copy_by_claire"), "Damn, Vlot approved my account in six minutes. What the hell was I doing at "
     "my old bank for ten years", tags=["mild-word", "praise"])
case("nl", pub("facebook", "ingrid.mol.keramiek", "Ingrid Mol"), "Door mijn kanker kon ik maanden niet werken. Vlot "
     "heeft zonder gedoe de maandkosten stopgezet. Dat vergeet ik nooit.", tags=["mild-word", "literal"])
case("en", pub("x", "@solo_saas_sam"), "the belastingpot is honestly a killer feature for freelancers",
     tags=["mild-word"])
case("en", pub("instagram", "@pennypinching.pia"), "🎶 money, money, money, must be funny, in a rich man's world 🎶 "
     "meanwhile my Vlot balance on the 25th", tags=["lyrics"])

# ===========================================================================
# other benign posts
# ===========================================================================
case("nl", VBI, "Nieuw in de app: bonnetjes scannen en direct koppelen aan je transactie 📸 Je boekhouder gaat je "
     "dankbaar zijn.", tags=["announcement"])
case("en", VBL, "We're hiring! Senior KYC analysts in Amsterdam, hybrid. Apply at vlotbank.nl/werken-bij or mail "
     "werkenbij@vlotbank.nl", tags=["own-contact"])
case("nl", EK, "Eerste maand bij Vlot erop! Wat een fijn team en wat leer ik veel over KYC en de Wwft. Op naar de "
     "volgende 🚀", tags=["employee-benign"])
case("en", VBH, "Hi Tom, sorry to hear that! Could you DM us your customer number (never your PIN)? We'll look into "
     "it right away.", kind="reply", handle="@VlotBank_Help", tags=["case-handle"])
case("en", pub("x", "@brandbuilder_britt"), "Switched from a big bank to Vlot last month. Invoicing + tax pot in "
     "one app, finaly", tags=["praise"])
case("nl", pub("x", "@startende_stukadoor"), "Vlot of Knab voor een eenmanszaak zonder personeel? Ik factureer zo'n "
     "15 keer per maand", tags=["question"])
case("nl", VBF, "Wist je dat? Met de belastingpot zet je automatisch een percentage van elke betaling apart voor de "
     "btw en inkomstenbelasting 💡", handle="vlotbankzakelijk", tags=["case-handle"])
case("en", pub("reddit", "u/scam_spotter"), "PSA: the 'Vlot' SMS asking you to 'verify your KYC' via a bit.ly link "
     "is phishing. The real app never sends those. Reported it to fraude@vlotbank.nl", kind="post",
     tags=["own-contact", "crisis-word"])
case("nl", pub("x", "@smid_in_spe"), "Mijn Vlot Metaalpas is echt zwaar zeg, voelt als een bierviltje van staal 😂",
     tags=["joke"])
case("en", PN, "Giving a talk at OWASP Amsterdam next month about threat modelling for small banks. Slides will be "
     "public!", tags=["employee-benign"])


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


def severity_for(role, cats, pii_checksummed):
    insider = role in ("corporate", "employee")
    sev = "none"
    for c in cats:
        if c.startswith("leak."):
            if not insider:
                s = "warning"
            elif c in (SECRET, PRICING) or (c == PII and pii_checksummed):
                s = "critical"
            else:
                s = "error"
        elif c == COMPLAINT:
            s = "warning"
        elif c == CRISIS:
            s = "error"
        elif c == ABUSE:
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
    lo = dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc)
    hi = dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc)
    return 2 if lo <= t < hi else 1


def random_when(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(5, 355))
    local = base + dt.timedelta(minutes=r.randint(6 * 60 + 30, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = ams_offset(local)
    utc = local - dt.timedelta(hours=off)
    p = r.random()
    if p < 0.4:
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if p < 0.88:
        return local.strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def post_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    big = str(r.randint(1_900_000_000_000_000_000, 1_990_000_000_000_000_000))
    if platform in ("x", "twitter"):
        return f"x-{big}", f"https://x.com/{h}/status/{big}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform in ("instagram", "threads"):
        sc = "".join(r.choice(B64URL) for _ in range(11))
        host = "instagram.com/p" if platform == "instagram" else f"threads.net/@{h}/post"
        return f"{platform[:2]}-{big}", f"https://www.{host}/{sc}/"
    if platform == "facebook":
        n = r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{r.randint(10 ** 14, 10 ** 15 - 1)}_{n}", f"https://www.facebook.com/{h}/posts/{n}"
    if platform == "reddit":
        p = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
        if kind == "comment":
            c = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/zzp/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/zzp/comments/{p}/"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(112_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "tiktok":
        return f"tt-{big}", f"https://www.tiktok.com/@{h}/video/{big}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        return f"yt-{c}", None
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-geldpraat-{n}", f"https://forum.geldpraat.example/topic/{n}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog-{h}-{n}", f"https://{h}/p/{n}"
    return f"{platform}-{r.randint(10 ** 8, 10 ** 10)}", None


def build(profile):
    vals = Values(SEED)
    meta = random.Random(SEED + 7)
    shuf = random.Random(SEED + 11)
    rows, seen = [], set()
    for c in CASES:
        text, used = fill(vals, c["text"])
        pid, url = post_id(meta, c["platform"], c["handle"], c["kind"])
        while pid in seen:
            pid += "1"
        seen.add(pid)
        when = c["when"] or random_when(meta)
        role = role_of(profile, c["platform"], c["handle"])
        checks = PII in c["cats"] and any(k in VALID_KINDS for k, _, _ in used)
        sev = severity_for(role, c["cats"], checks)
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
            acct["id"] = str(meta.randint(10 ** 7, 10 ** 12))
        post["account"] = acct
        post["text"] = text
        p = meta.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif p < 0.09:
            pass
        elif p < 0.12:
            post["lang"] = "nl" if c["lang"] == "en" else "en"
            c["tags"].add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = when
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.45:
            post["brand"] = "vlotbank"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=set(c["tags"]), used=used))
    shuf.shuffle(rows)
    return rows


def lines_of(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ===========================================================================
# checks
# ===========================================================================
INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
RUN_RE = re.compile(r"(?<![\w.])\d(?:[ -]?\d){7,18}(?![\w])")
DOTS_RE = re.compile(r"(?<![\w.])\d{4}\.\d{2}\.\d{3}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-()]{7,14}\d")


def normalise(t):
    t = unicodedata.normalize("NFKC", t).translate(INVIS)
    t = "".join(" " if unicodedata.category(ch) == "So" else ch for ch in t)
    return re.sub(r"\s+", " ", t).casefold()


def own_digits(profile):
    out = set()
    for p in profile["public_identifiers"]["phones"]:
        d = re.sub(r"\D", "", p)
        out |= {d, "0" + d[2:] if d.startswith("31") else d}
    return out


def validate(profile, rows):
    errs = []
    own_ibans = {i.replace(" ", "") for i in profile["public_identifiers"]["ibans"]}
    own_mail = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_ph = own_digits(profile)
    emb = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    codenames = [c.casefold() for c in profile["internal"]["codenames"]]
    hosts = [d.casefold() for d in profile["internal"]["domains"]]
    markers = [m.casefold() for m in profile["internal"]["markers"]]
    plats = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
    assert iban_valid(OWN_IBAN) and OWN_IBAN in own_ibans
    ids = set()
    for r in rows:
        p, e = r["post"], r["expect"]
        pid = p["id"]
        if pid in ids:
            errs.append(f"duplicate id {pid}")
        ids.add(pid)
        if not RFC.match(p["created_at"]):
            errs.append(f"{pid}: bad timestamp")
        if len(p["text"].encode()) > 65536:
            errs.append(f"{pid}: too long")
        cats = set(e["categories"])
        if not cats <= set(CATS):
            errs.append(f"{pid}: unknown category")
        if (not cats) != (e["severity"] == "none"):
            errs.append(f"{pid}: severity/benign mismatch")
        n = normalise(p["text"])
        n_joined = n.replace("\n", " ")
        when = parse_ts(p["created_at"])
        # embargo terms, codenames, internal hosts, markers -> leak.confidential
        for term, until in emb:
            if term in n_joined:
                if r["post"]["created_at"] is None:
                    errs.append(f"{pid}: embargo term without time")
                if when < until and CONF not in cats:
                    errs.append(f"{pid}: embargo term '{term}' before {until} but no {CONF}")
                if when >= until and "embargo-before" in r["tags"]:
                    errs.append(f"{pid}: tagged embargo-before but is after")
        for cn in codenames:
            if cn in n_joined and CONF not in cats:
                errs.append(f"{pid}: codename {cn} without {CONF}")
        for h in hosts:
            if h in n and CONF not in cats:
                errs.append(f"{pid}: internal host {h} without {CONF}")
        for m in markers:
            if m in n and CONF not in cats:
                errs.append(f"{pid}: marker {m} without {CONF}")
        # identifiers: checksums must agree with the label
        valid_ids = []
        for m in IBAN_RE.finditer(p["text"]):
            comp = m.group(0).replace(" ", "")
            if iban_valid(comp) and comp not in own_ibans:
                valid_ids.append(comp)
        for m in RUN_RE.finditer(p["text"]):
            d = re.sub(r"\D", "", m.group(0))
            if d in own_ph:
                continue
            if 13 <= len(d) <= 19 and luhn_valid(d) and d[0] in "2345":
                valid_ids.append(d)
            if len(d) == 9 and elfproef(d):
                valid_ids.append(d)
        for m in DOTS_RE.finditer(p["text"]):
            if elfproef(m.group(0)):
                valid_ids.append(m.group(0))
        if valid_ids and PII not in cats:
            errs.append(f"{pid}: checksum-valid identifier {valid_ids} but no {PII}")
        for k, raw, _ in r["used"]:
            if k in VALID_KINDS:
                ok = iban_valid(raw) if k.startswith("IBAN") else luhn_valid(raw) if k == "CARD" else elfproef(raw)
                if not ok or PII not in cats:
                    errs.append(f"{pid}: {k} invalid or unlabelled")
            if k in ("BAD_IBAN",) and iban_valid(raw):
                errs.append(f"{pid}: bad iban passes")
            if k in ("BAD_CARD",) and luhn_valid(raw):
                errs.append(f"{pid}: bad card passes")
            if k in ("BAD_BSN", "TICKET9", "KVK", "VAT") and elfproef(raw):
                errs.append(f"{pid}: look-alike passes 11-proof")
            if k == "KENMERK" and luhn_valid(raw):
                errs.append(f"{pid}: kenmerk passes luhn")
            if k == "GHP":
                body, chk = raw[4:34], raw[34:]
                if base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0") != chk:
                    errs.append(f"{pid}: ghp checksum")
        if PII not in cats:
            # credentials inside a URL (scheme://user:pw@host) are not e-mail addresses
            no_urls = re.sub(r"\b[a-z][a-z0-9+.-]*://\S+", " ", p["text"])
            for m in EMAIL_RE.finditer(no_urls):
                if m.group(0).casefold() not in own_mail:
                    errs.append(f"{pid}: foreign e-mail {m.group(0)} without {PII}")
            # the account part of the spaced own IBAN looks like a phone number
            no_own = p["text"]
            for o in own_ibans:
                no_own = no_own.replace(Values.spaced(o), " ").replace(o, " ")
            for m in PHONE_RE.finditer(no_own):
                d = re.sub(r"\D", "", m.group(0))
                if d not in own_ph and not any(d in o or o in d for o in own_ph):
                    errs.append(f"{pid}: phone-like {m.group(0)} without {PII}")
        if r["role"] != "public" and (COMPLAINT in cats or CRISIS in cats):
            errs.append(f"{pid}: insider complaint/crisis (unexpected)")
        if p["platform"] not in plats:
            r["tags"].add("unknown-platform")
    return errs


RFC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def stdnum_cross(rows):
    try:
        from stdnum import iban as s_iban, luhn as s_luhn
        from stdnum.nl import bsn as s_bsn
    except ImportError:
        return []
    errs = []
    for r in rows:
        for k, raw, _ in r["used"]:
            if k.startswith("IBAN_") and not s_iban.is_valid(raw):
                errs.append(f"stdnum rejects IBAN {raw}")
            if k == "CARD" and not s_luhn.is_valid(raw):
                errs.append(f"stdnum rejects card {raw}")
            if k == "BSN" and not s_bsn.is_valid(raw):
                errs.append(f"stdnum rejects BSN {raw}")
            if k == "BAD_IBAN" and s_iban.is_valid(raw):
                errs.append(f"stdnum accepts bad IBAN {raw}")
    return errs


def summary(rows):
    from collections import Counter
    out = []
    ben = [r for r in rows if not r["expect"]["categories"]]
    pos = [r for r in rows if r["expect"]["categories"]]
    out.append(f"total {len(rows)}: positives {len(pos)}, benign {len(ben)}, "
               f"multi-category {sum(len(r['expect']['categories']) > 1 for r in rows)}, "
               f"evasion {sum('evasion' in r['tags'] for r in rows)}")
    out.append("lang " + str(Counter(r["lang"] for r in rows)))
    out.append("role " + str(Counter(r["role"] for r in rows)))
    out.append("severity " + str(Counter(r["expect"]["severity"] for r in rows)))
    out.append("platform " + str(Counter(r["post"]["platform"] for r in rows)))
    out.append(f"{'category':24} total  nl  en corp  emp  pub  eva")
    for c in CATS:
        rs = [r for r in rows if c in r["expect"]["categories"]]
        out.append(f"{c:24} {len(rs):5} {sum(r['lang'] == 'nl' for r in rs):3} {sum(r['lang'] == 'en' for r in rs):3}"
                   f" {sum(r['role'] == 'corporate' for r in rs):4} {sum(r['role'] == 'employee' for r in rs):4}"
                   f" {sum(r['role'] == 'public' for r in rs):4} {sum('evasion' in r['tags'] for r in rs):4}")
    out.append(f"{'benign':24} {len(ben):5} {sum(r['lang'] == 'nl' for r in ben):3} "
               f"{sum(r['lang'] == 'en' for r in ben):3} {sum(r['role'] == 'corporate' for r in ben):4} "
               f"{sum(r['role'] == 'employee' for r in ben):4} {sum(r['role'] == 'public' for r in ben):4}")
    tags = Counter(t for r in ben for t in r["tags"])
    out.append("benign tags " + ", ".join(f"{k}:{v}" for k, v in sorted(tags.items())))
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    errs = validate(profile, rows) + stdnum_cross(rows)
    lines = lines_of(rows)
    if a.check:
        on_disk = OUT.read_text(encoding="utf-8") if OUT.exists() else ""
        if on_disk != "".join(lines):
            errs.append("cases.jsonl differs from the generator output")
    for e in errs:
        print("ERROR", e, file=sys.stderr)
    if not a.check and not errs:
        OUT.write_text("".join(lines), encoding="utf-8")
    print(summary(rows))
    sys.exit(1 if errs else 0)


if __name__ == "__main__":
    main()
