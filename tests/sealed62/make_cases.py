#!/usr/bin/env python3
"""Deterministic generator and checker for the sealed62 blind evaluation set.

    python3 make_cases.py            # (re)write cases.jsonl next to this file
    python3 make_cases.py --check    # regenerate in memory, compare with cases.jsonl,
                                     # validate every line, print counts

Company: "Trappers Fietsservice B.V." (profile.yaml), a fictional Dutch chain of
bicycle repair and rental shops. Needs Python 3.9+ and PyYAML; python-stdnum is used
for a cross-check when installed.

Texts are hand-written in the CASES list. Identifiers and secrets come from
placeholders like <<IBAN_NL>> that a seeded RNG fills in: positives get
checksum-VALID values, hard negatives get values that FAIL their checksum. Every
secret is random and fake, shaped like the real format.

Severity is never typed by hand: severity_for() derives it from CONTRACT section 4
(account role from profile.yaml by platform:handle, case-insensitive; categories;
whether a checksum-validated IBAN / card / BSN is present).
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

import yaml

SEED = 6202026
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
TAXONOMY = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]
KINDS = ["post", "reply", "repost", "comment", "message"]

SECRET, PII, PRICING, CONF, FIN, SEC = ("leak.secret", "leak.pii", "leak.pricing",
                                        "leak.confidential", "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

ZWSP = "\u200b"
CYR_A = "\u0430"   # Cyrillic small a, looks like Latin a


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


def luhn_finish(prefix):
    return next(prefix + c for c in string.digits if luhn_valid(prefix + c))


def elfproef(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    tot = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return tot != 0 and tot % 11 == 0


def ean13_valid(s):
    return len(s) == 13 and sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(s)) % 10 == 0


# ---------------------------------------------------------------------------
# seeded value generator
# ---------------------------------------------------------------------------

ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"
B32 = string.ascii_uppercase + "234567"
OWN_IBAN = "NL93RABO0314159265"


def base62(n):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return s or "0"


class Values:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def num(self, n, lead_nonzero=True):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        if lead_nonzero and s[0] == "0":
            s = self.r.choice("123456789") + s[1:]
        return s

    def pick(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    @staticmethod
    def by4(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    # banks
    def iban_nl(self):
        while True:
            v = iban_build("NL", self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "BUNQ", "ASNB", "KNAB", "TRIO"])
                           + self.num(10))
            if v != OWN_IBAN:
                return v

    def iban_de(self):
        return iban_build("DE", self.r.choice(["50070010", "10020890", "43060967", "76010085"]) + self.num(10, False))

    def iban_be(self):
        head = self.r.choice(["001", "063", "310", "732", "967"]) + self.num(7, False)
        return iban_build("BE", head + f"{int(head) % 97 or 97:02d}")

    def broken_iban(self, valid):
        for d in (7, 19, 31, 44, 58):
            c = f"{valid[:2]}{(int(valid[2:4]) + d) % 100:02d}{valid[4:]}"
            if not iban_valid(c):
                return c
        raise AssertionError

    # cards
    def card(self, brand):
        if brand == "visa":
            return luhn_finish("4" + self.num(14, False))
        if brand == "mc":
            return luhn_finish("5" + self.r.choice("12345") + self.num(13, False))
        if brand == "amex":
            return luhn_finish(self.r.choice(["34", "37"]) + self.num(12, False))
        raise ValueError(brand)

    @staticmethod
    def card_fmt(v, style):
        if style == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if style == "dash" else " ").join(parts)

    def bad16(self):
        while True:
            s = self.r.choice("6789") + self.num(15, False)
            if not luhn_valid(s) and not elfproef(s) and not PHONE_RE.search(self.by4(s)):
                return s

    # national numbers
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

    def ean13(self):
        while True:
            b = "87" + self.num(10, False)
            v = next(b + c for c in string.digits if ean13_valid(b + c))
            if not luhn_valid(v):
                return v

    def passport_de(self):
        return self.r.choice("CFGHJK") + self.pick("CFGHJKLMNPRTVWXYZ0123456789", 8)

    def passport_us(self):
        return self.r.choice("ABC") + self.num(8, False)

    # phones
    def phone(self, style):
        d8 = self.r.choice("12345678") + self.num(7, False)
        if style == "mob_dash":
            return f"06-{d8}"
        if style == "mob_pairs":
            return f"06 {d8[:2]} {d8[2:4]} {d8[4:6]} {d8[6:]}"
        if style == "mob_intl":
            return f"+31 6 {d8[:4]} {d8[4:]}"
        if style == "mob_intl0":
            return f"+31(0)6 {d8[:2]} {d8[2:5]} {d8[5:]}"
        if style == "uk":
            return f"+44 7700 900{self.num(3, False)}"
        raise ValueError(style)

    # secrets
    def ghp(self):
        body = self.pick(ALNUM, 30)
        return "ghp_" + body + base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def aws_id(self):
        return "AKIA" + self.pick(B32, 16)

    def aws_secret(self):
        return self.pick(B64, 40)

    def mollie(self):
        return "live_" + self.pick(ALNUM, 30)

    def sendgrid(self):
        return "SG." + self.pick(B64URL, 22) + "." + self.pick(B64URL, 43)

    def stripe(self):
        return "sk_live_" + self.pick(ALNUM, 24)

    def slack_bot(self):
        return f"xoxb-{self.num(12)}-{self.num(13)}-{self.pick(ALNUM, 24)}"

    def gapi(self):
        return "AIzaSy" + self.pick(B64URL, 33)

    def jwt(self):
        enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
        iat = 1769904000 + self.r.randint(0, 200 * 86400)
        head = enc({"alg": "HS256", "typ": "JWT"})
        body = enc({"sub": "rider_" + self.num(7), "iss": "boeken.trappers.nl", "scope": "lock:open",
                    "iat": iat, "exp": iat + 86400})
        return f"{head}.{body}.{self.pick(B64URL, 43)}"

    def pem_openssh(self):
        rows = ["b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"]
        rows += [self.pick(B64, 70) for _ in range(3)] + [self.pick(B64, 22) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(rows) + "\n-----END OPENSSH PRIVATE KEY-----"

    def password(self):
        return (self.r.choice(string.ascii_uppercase) + self.pick(string.ascii_lowercase, 4)
                + self.pick(string.digits, 3) + self.r.choice("!#%*-") + self.pick(ALNUM, 4))


VALID_ID_KINDS = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def fill(vals, text):
    used = []

    def rep(m):
        kind, arg = m.group(1), m.group(2) or ""
        if kind in ("IBAN_NL", "IBAN_DE", "IBAN_BE"):
            raw = getattr(vals, kind.lower())()
            shown = vals.by4(raw) if arg == "grp" else raw
        elif kind == "BAD_IBAN_NL":
            raw = vals.broken_iban(vals.iban_nl())
            shown = vals.by4(raw) if arg == "grp" else raw
        elif kind == "CARD":
            brand, _, style = arg.partition("_")
            raw = vals.card(brand)
            shown = vals.card_fmt(raw, style or "sp")
        elif kind == "BAD16":
            raw = vals.bad16()
            shown = vals.by4(raw)
        elif kind == "BSN":
            raw = vals.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if arg == "dots" else raw
        elif kind == "NOT_BSN9":
            shown = raw = vals.not_bsn(9)
        elif kind == "NOT_BSN8":
            shown = raw = vals.not_bsn(8)
        elif kind == "EAN13":
            shown = raw = vals.ean13()
        elif kind == "PASS_DE":
            shown = raw = vals.passport_de()
        elif kind == "PASS_US":
            shown = raw = vals.passport_us()
        elif kind == "PHONE":
            shown = raw = vals.phone(arg)
        else:
            fn = {"GHP": vals.ghp, "AWS_ID": vals.aws_id, "AWS_SECRET": vals.aws_secret, "MOLLIE": vals.mollie,
                  "SENDGRID": vals.sendgrid, "STRIPE": vals.stripe, "SLACK_BOT": vals.slack_bot,
                  "GAPI": vals.gapi, "JWT": vals.jwt, "PEM_OPENSSH": vals.pem_openssh,
                  "PW": vals.password}[kind]
            shown = raw = fn()
        used.append((kind, raw, shown))
        return shown

    return PH.sub(rep, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

# corporate
T_NL = ("x", "@trappers_nl", "Trappers")
T_HELP = ("x", "@trappers_helpt", "Trappers Klantenservice")
T_IG = ("instagram", "@trappers.fietsen", "Trappers Fietsen")
T_LI = ("linkedin", "trappers-fietsservice", "Trappers Fietsservice B.V.")
T_FB = ("facebook", "TrappersFietsservice", "Trappers Fietsservice")
T_TT = ("tiktok", "@trappersrent", "Trappers Rent")
# employees
BAS = ("x", "@bas_bouwt", "Bas Hoekstra")                               # TrappersGo app developer
YARA = ("bluesky", "yarakoster.bsky.social", "Yara Koster")            # IT operations / security
MILAN = ("x", "@milan_sleutelt", "Milan de Graaf")                      # mechanic, Amsterdam workshop
NOOR = ("instagram", "@noor.verhuurt", "Noor Jansen")                   # rental desk, Amsterdam Centraal
ILSE = ("linkedin", "ilse-vermeulen-trappers", "Ilse Vermeulen")        # B2B lease account manager
RUBEN = ("linkedin", "ruben-oosterhuis-fin", "Ruben Oosterhuis")        # finance controller
FEMKE = ("threads", "@femke_bij_trappers", "Femke Smit")                # shop manager Utrecht


def pub(platform, handle, name=None):
    return (platform, handle, name)


CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    platform, handle, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", BAS, "kleine bug in de app 🙃 E-Volt 500 accu staat voor €6,49 ipv €649 in TrappersGo. decimaal kwijt "
     "bij de import. hotfix na de lunch, niet verder vertellen 🤐", [PRICING])
case("en", pub("reddit", "u/canalside_kate"), "Trappers' booking app is charging €3,25 for the e-bike day pass today "
     "(normally 32.50). Either a glitch or the best deal in Amsterdam. Booked four for the weekend 🚲", [PRICING])
case("nl", pub("x", "@robbert_fietst"), "@trappers_nl jullie Stadsrijder E7 staat op de site voor €229 😳 is dat een "
     "prijsfout of mag ik gewoon afrekenen? #prijsfout", [PRICING], kind="reply")
case("nl", FEMKE, "kassasysteem in de winkel Utrecht doet raar, het ART-3 kettingslot gaat voor 8,99 over de toonbank "
     "ipv 89,95. hebben er al 6 zo verkocht voordat het iemand opviel 🫠", [PRICING])
case("nl", pub("forum", "DealJager_040"), "[PRIJSFOUT] Trappers Tulpenroute Tour voor €5,90 p.p.\n\nBoeken via "
     "boeken.trappers.nl, geen code nodig. Normaal 59 euro. Gisteravond 2 plekken geboekt, bevestiging binnen en "
     "vanochtend stond het er nog steeds zo.", [PRICING])
case("nl", T_IG, "🌷 Tulpenseizoen! De Tulpenroute Tour deze week voor maar €19 p.p. Link in bio!! "
     "#bollenstreek #fietsen #trappers", [PRICING], handle_as="@Trappers.Fietsen")
case("en", ILSE, "Heads-up to my HR network: our partner portal briefly quoted the Stadsrijder E7 at €429 per bike "
     "for fleet orders because of a calculation error. Those quotes are not valid, we'll be in touch with everyone "
     "affected. Apologies!", [PRICING])
case("nl", pub("tiktok", "@lotte.rijdt"), "wacht... E-Volt 400 accu voor 52,90 in de trappers app?? 💀 prijsfout alert, "
     "mijn oude accu is toch al half dood #prijsfout #ebike #fyp", [PRICING])
case("nl", pub("x", "@hans_uit_hoorn"), "p r ij s f o u t bij trappers!!! grote beurt voor 14,90 in de app 🔧🔧 "
     "gauw boeken", [PRICING], tags=["evasion", "evasion:spaced"])
case("en", pub("instagram", "@wander.with.jess"), f"Tr{CYR_A}ppers tulip tour for €4.50?? pretty sure that's a typo "
     "lol, booked it anyway 🌷🚲 #amsterdam", [PRICING], tags=["evasion", "evasion:homoglyph"])
case("nl", MILAN, "Haha iemand van inkoop heeft de E-Volt 500 voor €64,90 in de kassa gezet. De rij bij de werkplaats "
     "heeft het al door 😅", [PRICING], handle_as="@Milan_Sleutelt")
case("nl", pub("facebook", "joyce.vanderlinden.3", "Joyce van der Linden"), "Heeft iemand dit al geprobeerd? De "
     "E-bike Dagkaart kost vandaag €0,35 via TrappersGo, volgens mij is daar iets misgegaan met hun prijzen 🤔",
     [PRICING], kind="comment")
case("nl", BAS, "pricing bug op staging gevonden: Stadsrijder E7 €22,99 i.p.v. 2299 – zie "
     "git.trappers-it.nl/shop/prijzen/-/issues/88. staat helaas óók al live 🙈", [PRICING, CONF])

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", BAS, "why is the Mollie webhook rejecting everything 😩 using <<MOLLIE>> straight from the dashboard and "
     "payments just time out. anyone seen this?", [SECRET])
case("nl", YARA, "PSA voor collega's: zet nooit je .env in een screenshot. Kwam dit vandaag tegen in een teamchat:\n\n"
     "AWS_ACCESS_KEY_ID=<<AWS_ID>>\nAWS_SECRET_ACCESS_KEY=<<AWS_SECRET>>\n\nis al ingetrokken, maar toch 🙄",
     [SECRET])
case("nl", NOOR, "voor de avondploeg bij de balie: code van de sleutelkast-tablet is nu Tulp2026!! (met hoofdletter T) "
     "✌️ en NIET weer op een post-it op het scherm plakken", [SECRET])
case("en", pub("reddit", "u/apk_poker"), "The TrappersGo Android app ships a Google Maps key in the APK: <<GAPI>> "
     "— no package restriction on it. Reported it to them last week, no answer yet.", [SECRET], kind="comment")
case("en", BAS, "ok who pushed the sendgrid key to the public repo 😬 <<SENDGRID>> revoked it already but secret "
     "scanning is screaming at me", [SECRET])
case("nl", MILAN, "wifi werkplaats = TrappersWerk / ww: Sleutel4u! voor de stagiairs die het elke ochtend weer vragen 🔧",
     [SECRET])
case("en", pub("forum", "lockpick_larry"), "Posting in case it helps someone: the lock API behind the Trappers rental "
     "bikes puts your session token in the URL. Mine was\n<<JWT>>\nand it still opened the lock the next day from a "
     "different phone.", [SECRET])
case("en", YARA, "for the on-call rota: new deploy key for the booking cluster, swap it into your agent 🔑\n<<PEM_OPENSSH>>",
     [SECRET])
case("nl", RUBEN, "Collega's van finance: zolang SSO nog niet werkt is de login voor het nieuwe boekhoudpakket "
     "fin-team / <<PW>>. Graag niet doorsturen, IT regelt het volgende week.", [SECRET])
case("nl", BAS, "staging db weer up 💪 connectie voor wie wil testen: "
     "postgresql://booking_rw:<<PW>>@db03.trappers.lan:5432/boekingen", [SECRET, CONF])
case("en", pub("x", "@jake_h_miller"), "@trappers_helpt can't log into the app for 2 days now. login is "
     "jake.h.miller88@gmail.com and password Amsterdam2026 what am I doing wrong?? worst app ever", 
     [SECRET, PII, COMPLAINT], kind="reply")
case("nl", FEMKE, "w@chtw00rd van de kluis-pc in de winkel Utrecht is sinds vandaag Spaak!2026 😇 wie sluit er "
     "zaterdag af?", [SECRET], tags=["evasion", "evasion:leet"])
case("nl", T_HELP, "@lisa_kraaij sorry voor het wachten, ik heb je melding intern doorgezet 🙏 <<SLACK_BOT>>",
     [SECRET], kind="reply")

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", NOOR, "Lieve collega's, er ligt een Duits paspoort bij de verhuurbalie: Anna Becker, nummer <<PASS_DE>>. "
     "Als ze terugkomt graag even bellen naar de centrale 🙏", [PII])
case("nl", T_HELP, "@ruudvanleeuwen Hoi Ruud, je borg van €150 is vandaag teruggestort op <<IBAN_NL:grp>>. "
     "Fijne dag! 🚲", [PII], kind="reply", handle_as="@Trappers_Helpt")
case("nl", ILSE, "Kan iemand van de salarisadministratie bij Hendriks Bouw even meekijken? De lease-aanvraag van "
     "J. Smit loopt vast op het BSN: <<BSN:dots>>. Graag even een DM.", [PII])
case("nl", MILAN, "Meneer die zijn Stadsrijder vorige week bij ons liet staan: Gerard Veenstra, Kinkerstraat 212-2 "
     "Amsterdam. Kom je hem ophalen? 🙏 staat hier nog steeds in de weg", [PII])
case("en", pub("x", "@brooke_in_ams"), "@trappers_helpt you charged me TWICE for the rental!! amex <<CARD:amex_sp>> "
     "booking TR-88213, fix this please", [PII, COMPLAINT], kind="reply")
case("nl", pub("facebook", "wendy.postma.52", "Wendy Postma"), "Wie heeft mijn fiets gezien bij Trappers Centraal? "
     "Groene Stadsrijder met een rieten mand voorop. Bel me aub <<PHONE:mob_dash>> 🙏", [PII])
case("nl", FEMKE, "klant belde vandaag 3x over haar reparatie, voor wie morgen dienst heeft: mevr. Bos, "
     "<<PHONE:mob_pairs>>, achterwiel moet nog besteld", [PII])
case("en", RUBEN, "Quick one for HR: the expense claim for our Haarlem mechanic Lars Peeters bounced again, his Belgian "
     "account <<IBAN_BE:grp>> keeps getting rejected. Anyone know why?", [PII])
case("en", pub("reddit", "u/emcarter_travels"), "Left my passport as a deposit at the Trappers shop near Dam Square and "
     "now they can't find it?! Passport no. <<PASS_US>>, name Emily Carter. Has this happened to anyone else??",
     [PII, COMPLAINT])
case("nl", pub("x", "@sannedijkstra_"), "@trappers_helpt al 3 weken geen reactie op mijn mail over de lease-fiets. "
     "Mail me terug op sanne.dijkstra [at] ziggo [punt] nl", [PII, COMPLAINT], kind="reply",
     tags=["evasion", "evasion:obfuscated-email"])
case("en", BAS, "debug log from prod, anyone recognise this? user=femke.ouwehand@kpnmail.nl booking_id=553201 "
     "err=PAYMENT_TIMEOUT retry=3", [PII])
case("en", T_HELP, "@mike_travels found your booking, Mike! A colleague will call you on <<PHONE:uk>> within the hour 👍",
     [PII], kind="reply")
case("nl", pub("instagram", "@mama_van_thijs"), "Feest! 🎉 Thijs Kramer, geboren 14-03-2013, krijgt vandaag zijn "
     "eerste e-bike van Trappers 😍🚲", [PII])
case("en", NOOR, "lost & found at the rental desk 💳 wallet with a Mastercard <<CARD:mc_sp>> in the name of D. Okafor. "
     "come pick it up at Centraal!", [PII], handle_as="@Noor.Verhuurt")
case("nl", pub("x", "@leasevraag_joost"), "Waarom wil Trappers Lease mijn BSN hebben?? Heb het maar ingevuld: <<BSN>>. "
     "Is dat normaal bij een fietsplan?", [PII])
case("nl", ILSE, "Voor de fleetmanager van Van Dijk Logistiek die me vanmiddag belde: genoteerd als Marco van Dijk, "
     "marco.vandijk79@gmail.com, <<PHONE:mob_intl>>. Klopt dat zo?", [PII])

# ===========================================================================
# leak.confidential
# ===========================================================================
case("nl", BAS, "eindelijk mag ik eraan beginnen: Project Zwaluwstaart 🚀 nieuwe abonnementsvorm in de app. "
     "meer mag ik nog niet zeggen 🤫", [CONF])
case("nl", MILAN, "prototype van de Velocirapto vandaag in de werkplaats gehad 😍 elektrische bakfiets met dubbele accu, "
     "dit wordt echt vet", [CONF])
case("nl", FEMKE, "Stadsrijder E8 staat al in ons magazijn in Utrecht 👀 lancering pas in september maar hij rijdt "
     "heerlijk", [CONF], when="2026-07-20T16:42:10+02:00")
case("en", pub("reddit", "u/bakfietsbaron"), "A mate who works at Trappers showed me the Cargo Lynx this weekend. "
     "Launches in autumn apparently, looks like a proper rival for the big bakfiets brands.", [CONF],
     when="2026-08-02T11:05:33Z")
case("en", YARA, "grafana.trappers.lan shows the booking queue climbing again, if anyone from ops sees this pls take "
     "a look", [CONF])
case("nl", ILSE, "Trots op ons lease-aanbod voor 2027! Voorproefje uit de sales-deck (Trappers intern): 15% korting "
     "voor werkgevers vanaf 200 fietsen.", [CONF])
case("nl", pub("instagram", "@milan_sleutelt", "Milan"), "Sneak peek uit de werkplaats 🤫 Operatie Dynamo gaat alle "
     "huurfietsen ombouwen naar slimme sloten", [CONF])
case("en", BAS, "working late on Project\nZwaluwstaart again ☕️ ship it ship it", [CONF],
     tags=["evasion", "evasion:linebreak"])
case("nl", NOOR, "nieuwe werkinstructie gekregen met in dikke letters ALLEEN VOOR MEDEWERKERS erop 😂 maar goed: "
     "vanaf juni geen contante borg meer aan de balie", [CONF])
case("nl", pub("forum", "e-bike_erik"), "Stadsrijder E8 staat al online op de site?! Prijs €2.649, de foto's zien er "
     "goed uit. Middenmotor eindelijk.", [CONF], when="2026-09-15T09:59:00+02:00")
case("en", MILAN, "Operatie 🔧 Dynamo is happening guys, we start converting the rental fleet next month", [CONF],
     tags=["evasion", "evasion:emoji-split"])
case("nl", BAS, "wie heeft admin.trappersgo.app/bookings/export open laten staan zonder 2FA?? 😤 iedereen kon erbij",
     [CONF, SEC])
case("en", FEMKE, fullwidth("Velocirapto") + " test ride today 🦖🚲 can't say more", [CONF],
     tags=["evasion", "evasion:fullwidth"])
case("en", ILSE, "Can't wait for our clients to see the Cargo Lynx, perfect for delivery fleets. More in Q3!",
     [CONF], when="2026-06-11T09:12:00+02:00")

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", RUBEN, "Nog niet officieel, maar de omzet van Trappers Lease is dit jaar bijna verdubbeld naar €18,4 mln. "
     "Trots op het team!", [FIN])
case("nl", FEMKE, "Vandaag gehoord dat de vestigingen in Leiden en Delft in januari dichtgaan. 14 collega's staan op "
     "straat en niemand mag het nog weten 😢", [FIN])
case("en", pub("reddit", "u/dutchdealflow"), "My cousin works at Trappers HQ: they're being bought by a Belgian private "
     "equity firm, deal closes before Christmas. You heard it here first.", [FIN])
case("nl", MILAN, "baas zegt dat alle werkplaatsen per 1 maart onder één regiomanager komen en dat 1 op de 4 monteurs "
     "eruit moet. lekker dan 🙃", [FIN])
case("en", ILSE, "Our internal forecast says we'll pass 25,000 lease bikes by the end of 2027. Not public yet but wow 📈",
     [FIN])
case("nl", BAS, "gerucht op de gang: overname van Zwiepfiets is rond, hun app gaat op in TrappersGo. aankondiging volgt "
     "'binnenkort' 👀", [FIN])
case("nl", NOOR, f"re{ZWSP}organisatie bij de verhuur komt eraan, 3 balies gaan dicht zegt mijn manager 🫣", [FIN],
     tags=["evasion", "evasion:zero-width"])
case("en", RUBEN, "Sneak peek: annual results 2026 look great, EBITDA up 31% 🚀 can't wait for March", [FIN, CONF],
     when="2026-12-04T17:20:00+01:00")
case("nl", pub("x", "@fietsinsider"), "Van een medewerker gehoord: Trappers draait 40% minder verhuuromzet dan vorig "
     "jaar en de bank wil het krediet terugschroeven. Dat gaat niet lang meer goed.", [FIN])
case("en", YARA, "Board decided yesterday to outsource all of IT by Q2, my whole team is affected. Nobody has been told "
     "officially yet.", [FIN])
case("nl", FEMKE, "prognose Q3 die we vandaag kregen: winkelomzet -12%, verhuur +20%. niet doorvertellen he", [FIN])
case("nl", pub("forum", "oud_monteur"), "Ex-collega hier. Trappers zit in gesprek met een grote leasemaatschappij over "
     "een fusie, de contracten liggen al bij de advocaten.", [FIN])

# ===========================================================================
# leak.security
# ===========================================================================
case("nl", YARA, "lange nacht gehad: via een oud API-endpoint kon iemand klantgegevens uit TrappersGo trekken, zo'n "
     "38.000 accounts. persbericht is er nog niet dus ssst", [SEC])
case("en", BAS, "found a fun one: on the booking API you can just bump the booking id and see other people's rentals "
     "incl. names. fixing it tomorrow, pls don't try it 🙃", [SEC])
case("nl", MILAN, "kassa's in alle werkplaatsen liggen sinds 8 uur plat, volgens IT is het ransomware. klanten krijgen "
     "te horen dat het 'een storing' is 🤐", [SEC])
case("en", NOOR, "heads up team: since the firmware update the smart locks on the rental bikes open with any old key "
     "fob. IT knows, don't tell customers", [SEC])
case("nl", pub("x", "@kritische_klant"), "Trappers verzwijgt een datalek! Vriendin werkt er, het hele klantenbestand "
     "lag op straat en ze zeggen helemaal niks #datalek", [SEC, CRISIS])
case("en", YARA, "phishing mail got through to half of finance this morning, two people entered their credentials. "
     "incident is open, not announced", [SEC])
case("nl", BAS, "ssst, de boekingsapp is vannacht geh@ckt, we weten nog niet hoeveel er weg is", [SEC],
     tags=["evasion", "evasion:leet"])
case("en", pub("reddit", "u/smsphished"), "Trappers is sitting on a breach. Got a phishing text quoting my exact rental "
     "booking, and someone on staff admitted off the record that their database leaked weeks ago. Zero notification.",
     [SEC, CRISIS])
case("nl", RUBEN, "Door een storing in de betaalkoppeling zijn gisteren ~1.200 lease-incasso's dubbel afgeschreven. "
     "We lossen het op, maar de communicatie naar klanten moet nog goedgekeurd worden.", [SEC])
case("en", FEMKE, "alarm in the Utrecht shop has been off for 3 days because the system's down, so we're basically "
     "wide open at night 😬", [SEC])
case("nl", pub("x", "@anoniem_030"), "Trappers houdt een d a t a l e k stil, hoorde het van iemand die daar werkt. "
     "Check je accounts", [SEC, CRISIS], tags=["evasion", "evasion:spaced"])
case("en", BAS, "prod is down because a token leaked and got abused, rotating everything now. the old one was "
     "<<GHP>> in case you spot it anywhere", [SEC, SECRET])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@woedende_wim"), "Mijn E-Volt 500 accu van Trappers vloog vannacht in de gang in brand 🔥🔥 "
     "brandweer erbij, gelukkig niemand gewond. Ik ben woest.", [CRISIS, COMPLAINT])
case("nl", pub("facebook", "eerlijkwerk.nl", "Eerlijk Werk"), "Boycot Trappers! Ze laten hun monteurs 50 uur per week "
     "werken voor het minimumloon. Deel dit!! #boycottrappers", [CRISIS], kind="post")
case("en", pub("reddit", "u/stitchesin_ams"), "Rented an e-bike from Trappers near Centraal, the front brake failed on "
     "a bridge and my girlfriend went over the handlebars. ER visit, six stitches. Their bikes are dangerous.",
     [CRISIS, COMPLAINT])
case("nl", pub("x", "@petravdb"), "Net een mail van Trappers dat mijn gegevens 'mogelijk zijn ingezien door "
     "onbevoegden'. Dus gewoon een datalek. Hoeveel mensen nog meer?", [CRISIS])
case("en", pub("linkedin", "mobility-watch-nl", "Mobility Watch NL"), "Consumer group files class action against "
     "Trappers Rent over 'hidden damage fees' charged to tourists. First hearing is set for November.", [CRISIS])
case("nl", pub("tiktok", "@buurtnieuws.zaandam"), "TRAPPERS ROEPT ACCU'S TERUG?? mijn buurman zegt dat alle E-Volt 400 "
     "accu's van 2025 terug moeten wegens brandgevaar 😳 iemand meer info?", [CRISIS])
case("en", pub("x", "@ij_cleanup"), "B0YC0TT Tr4ppers 🚫 they dumped 200 old rental bikes in the IJ instead of "
     "recycling them", [CRISIS], tags=["evasion", "evasion:leet"])
case("nl", pub("instagram", "@anouk.pedaleert"), "Accu van mijn lease-fiets (Trappers) werd zo heet dat de behuizing "
     "gesmolten is 😡 en nu moet ik 2 weken wachten op vervanging??", [CRISIS, COMPLAINT])
case("en", pub("mastodon", "@fietsfan@mastodon.nl"), "So the Trappers CEO was caught on tape calling tourists 'walking "
     "ATMs'. Classy. It's all over Dutch social media right now.", [CRISIS])
case("nl", pub("forum", "rechtspraak_volger"), "Oud-medewerkers slepen Trappers voor de rechter om onbetaalde overuren. "
     "De zaak dient in oktober bij de kantonrechter in Amsterdam.", [CRISIS])
case("en", pub("bluesky", "tulipsandtrains.bsky.social"), "Anyone else get a phishing SMS right after booking with "
     "Trappers? Looks like their booking data leaked. Textbook breach.", [CRISIS])
case("nl", pub("x", "@ellen_elektrisch"), "Kreeg een schok van de lader van mijn Trappers e-bike ⚡ kabel was gewoon "
     "beschadigd geleverd. Dit is levensgevaarlijk", [CRISIS, COMPLAINT])
case("nl", pub("reddit", "u/amsterdammertje"), "Trappers is een stelletje oplichters, klootzakken die toeristen "
     "uitkleden. Boycot die tent!", [CRISIS, ABUSE], kind="comment")
case("nl", pub("facebook", "gerrit.de.boer.1961", "Gerrit de Boer"), "Huurfiets van Trappers meegekregen zonder "
     "werkend achterlicht, ben in het donker bijna aangereden op de N201. Levensgevaarlijk, en aan de balie haalden ze "
     "hun schouders op.", [CRISIS, COMPLAINT], kind="comment")

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@marloes_wacht"), "Al 3 weken wacht ik op mijn lease-fiets van Trappers. Elke keer als ik bel: "
     "'volgende week'. Echt slechte service @trappers_helpt", [COMPLAINT])
case("en", pub("facebook", "tom.whitfield.uk", "Tom Whitfield"), "Worst rental experience in Amsterdam. Chain came "
     "off twice, the Trappers desk said that's 'normal' and refused a refund. Send it to <<IBAN_DE>> if you "
     "change your mind.", [COMPLAINT, PII], kind="comment")
case("nl", pub("x", "@kimberley_b"), "Afspraak gemaakt via TrappersGo voor 9:00, om 10:15 kijkt nog steeds niemand "
     "naar mijn fiets. Volgende keer ga ik gewoon ergens anders heen.", [COMPLAINT])
case("en", pub("reddit", "u/stillbilled"), "TrappersGo crashes every time I try to end my rental so it keeps billing "
     "me. Three extra hours charged for a bike I'd already returned 🙄", [COMPLAINT])
case("nl", pub("instagram", "@jorisvdmeer"), "Borg van €100 na 5 weken nog steeds niet terug. @trappers.fietsen "
     "reageren jullie ook nog ergens op?", [COMPLAINT], kind="comment")
case("en", pub("threads", "@gearhead_gwen"), "paid €139 for a 'grote beurt' at Trappers and my gears shift worse than "
     "before. brilliant.", [COMPLAINT])
case("nl", pub("forum", "accu_ellende"), "E-Volt 400 accu na 8 maanden nog maar 60% capaciteit. Garantie afgewezen "
     "want 'gebruikersfout'. Hoe dan??", [COMPLAINT])
case("nl", pub("mastodon", "@hannekevos@mastodon.social"), "Onderhoud bij Trappers laten doen, fiets teruggekregen "
     "met een flinke kras over het frame en niemand die even sorry zegt.", [COMPLAINT])
case("en", pub("x", "@nadia_r"), "@trappers_helpt your app double charged my visa <<CARD:visa_c>> for the tulip tour. "
     "Refund please, second time this happens", [COMPLAINT, PII], kind="reply")
case("nl", pub("linkedin", "petra-hofman-hr", "Petra Hofman"), "Als werkgever behoorlijk teleurgesteld in Trappers "
     "Lease: de facturen kloppen al maanden niet en onze accountmanager reageert niet meer.", [COMPLAINT])
case("nl", pub("x", "@dyllll4n"), "trapers krijgt het ff gewoon niet voor elkaar he. 2x afspraak verzet door hunzelf, "
     "fiets staat nu al 10 dagen daar", [COMPLAINT], tags=["evasion", "evasion:misspelled-brand"])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@boze_bart"), "Die gast achter de balie bij Trappers Centraal is echt een arrogante klootzak",
     [ABUSE])
case("en", pub("x", "@lmao_daniel"), "trappers staff are f*cking clowns lmao", [ABUSE],
     tags=["evasion", "evasion:masked"])
case("nl", MILAN, "weer zo'n debiele toerist die z'n huurfiets de gracht in rijdt. mensen zijn echt te dom om te "
     "fietsen 🤬", [ABUSE])
case("en", pub("reddit", "u/throwaway_8812"), "That girl Noor at the Trappers desk, I know where you live. You'll "
     "regret being rude to me.", [ABUSE], kind="comment")
case("nl", pub("instagram", "@echte_hollander_77"), "Trappers neemt alleen nog buitenlanders aan in de werkplaats, "
     "die kunnen toch geen fiets maken #nederlandersEerst", [ABUSE], kind="comment")
case("nl", pub("x", "@woest_in_west"), "Kutbedrijf. Fiets 2 weken in reparatie en nu is hij nog steeds kapot. "
     "Stelletje prutsers @trappers_helpt", [ABUSE, COMPLAINT])
case("en", pub("youtube", "@randomrider"), "whoever runs trappers is a complete idiot, shit company", [ABUSE],
     kind="comment")
case("nl", T_TT, "@fietsfanaat88 gast ga lekker ergens anders janken, jij bent gewoon een loser 🙄", [ABUSE],
     kind="reply")
case("nl", pub("x", "@zuurpruim"), "Tr@ppers = stelletje t y f u s lijers", [ABUSE],
     tags=["evasion", "evasion:spaced"])
case("en", pub("facebook", "craig.mccallum.9", "Craig McCallum"), "Your useless mechanics wrecked my derailleur, you "
     "bunch of morons. I want my money back.", [ABUSE, COMPLAINT], kind="comment")
case("nl", pub("threads", "@rijwiel_rob"), "die monteurs van Trappers Haarlem zijn echt debielen, allemaal", [ABUSE])
case("nl", FEMKE, "klant schold vandaag mijn collega uit, ik zei wat ik dacht: rot op trut. spijt? nul.", [ABUSE])

# ===========================================================================
# benign: corporate accounts
# ===========================================================================
case("nl", T_HELP, "Hoi! Je bereikt ons via service@trappers.nl of bel 020 808 4400 (ma–za 9–18 uur) 🚲",
     tags=["own-contact"])
case("nl", T_NL, "Storing: TrappersGo is op dit moment niet bereikbaar. We werken aan een oplossing, excuses voor het "
     "ongemak 🙏 Updates volgen hier.", tags=["official-notice"])
case("nl", T_IG, "Voorjaarsactie 🌸 E-Volt 500 accu nu €519 (was €649). Alleen in onze winkels, t/m zondag!",
     tags=["sale"])
case("en", T_LI, "We're proud to share our 2025 annual report: 14 stores, 9,000 lease bikes and €41 million in "
     "revenue. Full report on trappers.nl/jaarverslag", tags=["published-results"])
case("nl", T_FB, "Factuur voor je reparatie betalen? Maak over naar NL93 RABO 0314 1592 65 t.n.v. Trappers "
     "Fietsservice B.V. o.v.v. je ordernummer.", tags=["own-contact"])
case("en", T_TT, "POV: you rented a bike in Amsterdam and finally get the bike lanes 😂 rule #1: ring your bell 🔔 "
     "#amsterdam #biketok")
case("nl", T_NL, "Hij is er! 🎉 De Stadsrijder E8 is vanaf vandaag te koop in al onze winkels, vanaf €2.649.",
     when="2026-09-15T10:00:00+02:00", tags=["embargo-over"])
case("en", T_HELP, "@sarah_nyc so sorry to hear that! Please DM us your booking number and we'll sort it out right "
     "away 🙏", kind="reply")
case("nl", T_LI, "Stadsrijder E7 leasen via je werkgever? Vanaf €54 per maand, inclusief onderhoud en verzekering. "
     "Meer weten? lease@trappers.nl", tags=["lease-price", "own-contact"], handle_as="Trappers-Fietsservice")
case("en", T_IG, "The Tulip Route Tour is back from April 1st! €59 p.p. incl. e-bike and a coffee stop ☕🌷 "
     "book at boeken.trappers.nl", tags=["list-price"])
case("nl", T_FB, "Wij zoeken monteurs! 🔧 Zin om te sleutelen in Amsterdam of Utrecht? Stuur je cv naar "
     "service@trappers.nl", tags=["own-contact"])
case("nl", T_HELP, "@janneke_v Dank je wel voor je lieve woorden! We geven het door aan het team in Haarlem 💚",
     kind="reply", tags=["praise"])
case("nl", T_TT, "Zelf een lekke band plakken? 🛞 Onze monteur laat het zien in 60 seconden #fietstips",
     tags=["lek-other-sense"])

# ===========================================================================
# benign: employees
# ===========================================================================
case("nl", MILAN, "Mooiste dag van het jaar: 14 fietsen gerepareerd, 2 lekke banden, 1 dynamo vervangen en taart "
     "van een klant 🍰", tags=["codename-word"])
case("en", BAS, "TrappersGo 3.2 is out on iOS & Android 🎉 dark mode, finally! release notes on trappersgo.app")
case("nl", ILSE, "Mooi om te zien hoe steeds meer werkgevers voor de fiets kiezen. Interesse in een leaseregeling "
     "voor je team? Stuur een mail naar lease@trappers.nl", tags=["own-contact"])
case("en", YARA, "Gave a talk on secret scanning in CI today. The slides use placeholders like AKIAXXXXXXXXXXXXXXXX "
     "and sk_live_xxxx, don't worry 😄", tags=["placeholder-secret"])
case("en", RUBEN, "Another Dutch bike subscription startup announced 120 layoffs today. Tough market: our sector needs "
     "sustainable growth, not burn rates.", tags=["other-company"])
case("nl", NOOR, "Zwaluwstaart gespot langs de Tulpenroute vandaag 🦋 de toeristen gingen helemaal los",
     tags=["codename-word"])
case("nl", FEMKE, "Zaterdag in de winkel Utrecht: gratis bandencheck tussen 10 en 14 uur. Kom langs! 🚲")
case("nl", BAS, "bug zat in commit 9f3c2a1e7b4d8c06f5a2e1d3b7c9f0a8e6d4b2c1, revert staat klaar 😅 "
     "vrijdagmiddag-deploys ook nooit meer", tags=["git-sha"])
case("en", ILSE, "The Cargo Lynx is now available for lease fleets! Launched last week and the first 30 are already "
     "on the road 🚚🚲", when="2026-09-22T10:30:00+02:00", tags=["embargo-over"])

# ===========================================================================
# benign: public
# ===========================================================================
case("nl", pub("x", "@tevreden_tineke"), "Geen klachten over Trappers hoor, fiets binnen een uur gerepareerd en de "
     "monteur legde alles netjes uit 👌", tags=["negated-complaint"])
case("en", pub("reddit", "u/threedaysinams"), "Rented from Trappers for three days, the bikes were solid and the staff "
     "gave us a map with the nicest route to Zaandam. Recommend!", tags=["praise"])
case("nl", pub("x", "@fietsforens_ferry"), "Band lek op weg naar m'n werk, binnen 15 min geplakt bij Trappers op de "
     "Overtoom. Helden 🦸", tags=["lek-other-sense", "praise"])
case("nl", pub("forum", "verkoop_zwolle"), "Te koop: gebruikte E-Volt 400 accu, 2 jaar oud, nog 85% capaciteit. €180, "
     "ophalen in Zwolle.", tags=["second-hand", "price-context"])
case("nl", pub("x", "@koopjesjaap"), "Prijsfout bij Zwiepfiets: hun e-bike voor €199 😂 ben benieuwd of ze gaan "
     "leveren", tags=["other-company"])
case("en", pub("reddit", "u/chainless_chris"), "Does Trappers repair Gazelle bikes too, or only the ones they sell? "
     "Need a new chain before the weekend.", tags=["question"])
case("nl", pub("x", "@nieuwsfiets"), "Datalek bij fietsverhuurder RentaRad: gegevens van 20.000 klanten op straat. "
     "Als je daar huurt, verander je wachtwoord.", tags=["other-company"])
case("en", pub("instagram", "@inkandpedals"), "Chapter 4 of my Amsterdam mystery is done: the detective finds the "
     "stolen diamonds inside a rental e-bike battery 🔋📖 (inspired by the Trappers shop on my street) #amwriting",
     tags=["fiction"])
case("nl", pub("x", "@autoloos_anne"), "Ik boycot voortaan gewoon de auto 😎 alleen nog de fiets, dankzij mijn lease "
     "via Trappers", tags=["boycott-other-sense"])
case("nl", pub("x", "@borg_terug"), "@trappers_helpt klopt het dat de borg binnen 5 werkdagen terugkomt? Ik had dit "
     "rekeningnummer opgegeven: <<BAD_IBAN_NL:grp>>", kind="reply", tags=["invalid-iban"])
case("en", pub("reddit", "u/dateswap"), "Booking ref <<BAD16>> for a Trappers e-bike, can I still change the date in "
     "the app or do I need to call?", tags=["invalid-card-shape"])
case("nl", pub("x", "@zenuwachtig_z"), "Bestelling <<NOT_BSN9>> nog niet verzonden? Oh wacht, staat al in de "
     "track & trace 😅 sorry Trappers!", tags=["order-number"])
case("nl", pub("forum", "hr_hulp"), "Voor wie via Trappers Lease een fietsplan wil: je hebt het KvK-nummer van je "
     "werkgever nodig (bij ons <<NOT_BSN8>>) en minimaal 5 deelnemers.", tags=["kvk-number"])
case("nl", pub("x", "@binnenband_bert"), "Iemand ervaring met deze binnenband? EAN <<EAN13>>, gekocht bij Trappers, "
     "past op 28 inch", tags=["ean"])
case("en", pub("x", "@commute_carla"), "Test rode the new Stadsrijder E8 at Trappers today, the mid-motor is super "
     "smooth", when="2026-10-03T14:15:00+02:00", tags=["embargo-over"])
case("nl", pub("reddit", "u/cijferfreak"), "Trappers heeft net de jaarcijfers 2025 gepubliceerd: omzet €41 mln, winst "
     "licht omhoog. Best gezond voor een fietsbedrijf.", kind="comment", tags=["published-results"])
case("nl", pub("x", "@spaakje_los"), "'Wie het kleine niet eert...' zei de monteur bij Trappers toen ik voor één "
     "spaak binnenkwam 😂", tags=["quote"])
case("nl", pub("x", "@snel_geholpen"), "Voor wie zoekt: de klantenservice van Trappers is 085 401 0222, binnen 2 "
     "minuten had ik iemand aan de lijn 👍", tags=["own-contact"])
case("nl", pub("facebook", "ria.kuipers.9", "Ria Kuipers"), "Trappers heeft deze maand €40 korting op de grote beurt, "
     "echt een aanrader als je fiets net zo piept als de mijne", kind="comment", tags=["discount-amount"])
case("en", pub("x", "@weekend_wheels"), "Velocity Bikes or Trappers for a weekend rental? Velocity's e-bike is €25/day, "
     "the Trappers day pass is €32.50 but includes a lock", tags=["other-company", "list-price"])
case("en", pub("mastodon", "@windtegen@mastodon.nl"), "Cycled Haarlem to Zandvoort and back on a Trappers rental. "
     "Headwind both ways, somehow. Dutch physics 🌬️")
case("nl", pub("instagram", "@slotenkoning"), "Nee hoor, geen prijsfout: het ART-3 slot staat gewoon in de aanbieding "
     "voor €69,95 bij Trappers 🔒", kind="comment", tags=["denied-error", "sale"])
case("en", pub("threads", "@birthday_planner"), "Is the Trappers Tulip Route Tour worth €59? Thinking of booking it "
     "for my mum's birthday", tags=["list-price", "question"])
case("en", pub("reddit", "u/headlinehunter"), "\"Bike-sharing firm admits hack exposed riders' home addresses\" — "
     "glad it wasn't Trappers, that's where I rent lol", tags=["other-company", "quote"])
case("nl", pub("x", "@papa_van_sem"), "Mijn zoontje noemt zijn nieuwe fiets van Trappers 'de velociraptor' 🦖 "
     "hij scheurt door de wijk", tags=["codename-word"])
case("en", pub("x", "@history_henk"), "Rewatched Dunkirk. Operation Dynamo was insane. Then biked home on my "
     "Trappers lease bike like a civilian 😅", tags=["codename-word"])
case("nl", pub("x", "@regelneef"), "Reparatie inplannen gaat echt makkelijk via boeken.trappers.nl, binnen 2 minuten "
     "geregeld", tags=["public-domain", "praise"])
case("en", pub("instagram", "@late_for_the_train"), "Thanks @trappers.fietsen for fixing my brakes in 20 min before "
     "my train 🙏🚲", kind="comment", tags=["praise"])
case("nl", pub("strava", "ochtendrijder_arnhem", "Ochtendrijder"), "Ochtendrit 42 km op de Stadsrijder E7 van "
     "Trappers, accu nog 40% 💪", tags=["unknown-platform"])
case("nl", pub("x", "@eigen_schuld_eelco"), "Niks mis met Trappers, mijn fiets is gewoon gejat omdat ik 'm niet op "
     "slot had gezet 🤦‍♂️ eigen schuld", tags=["negated-complaint"])
case("en", pub("reddit", "u/leaseorbuy"), "Trappers lease quote for the Stadsrijder E7: €61/month over 36 months. "
     "Is that reasonable compared to buying it outright at €2,299?", tags=["lease-price", "list-price"])
case("nl", pub("forum", "spaak_en_zadel"), "Grote Beurt bij Pedaalpunt in Delft kost €65, bij Trappers €149 maar daar "
     "zit wel een nieuwe ketting en remblokjes bij. Appels en peren dus.", tags=["other-company", "price-context"])
case("nl", pub("x", "@grapjas_gijs"), "Mijn achterband is vaker lek dan het kabinet 😂 morgen maar weer naar Trappers",
     tags=["lek-other-sense", "joke"])
case("en", pub("linkedin", "sophie-de-wit-mech", "Sophie de Wit"), "Looking for a Trappers internship in bike "
     "mechanics next spring, has anyone here done one?", tags=["marker-near-miss"])
case("nl", pub("youtube", "@fietsvlogger_fenna"), "Eerlijke review: de E-Volt 500 accu van Trappers haalt bij mij zo'n "
     "90 km, precies wat ze beloven. Geen gedoe gehad.", kind="comment", tags=["negated-complaint", "praise"])
case("en", pub("bluesky", "kiki-rides.bsky.social"), "Took the Trappers tulip tour with my sister, the guide knew every "
     "windmill by name 🌷 10/10", tags=["praise"])


# ===========================================================================
# building posts
# ===========================================================================

def load_profile():
    return yaml.safe_load(PROFILE.read_text(encoding="utf-8"))


def role_of(profile, platform, handle):
    key = f"{platform}:{handle}".casefold()
    for role in ("corporate", "employee"):
        if key in {a.casefold() for a in profile["accounts"][role]}:
            return role
    return "public"


def severity_for(role, cats, pii_validated):
    """Least severity of a correct verdict (CONTRACT section 4); the highest finding wins."""
    insider = role in ("corporate", "employee")
    sev = "none"
    for c in cats:
        if c.startswith("leak."):
            if insider:
                crit = c in (SECRET, PRICING) or (c == PII and pii_validated)
                s = "critical" if crit else "error"
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


def ams_offset(t_utc):
    """Europe/Amsterdam UTC offset in hours for 2026 (DST 29 Mar 01:00Z .. 25 Oct 01:00Z)."""
    start = dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc)
    end = dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc)
    return 2 if start <= t_utc < end else 1


def random_time(r):
    t = (dt.datetime(2026, 1, 3, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(0, 350))
         + dt.timedelta(minutes=r.randint(6 * 60, 22 * 60 + 50), seconds=r.randint(0, 59)))
    off = ams_offset(t)
    t = t - dt.timedelta(hours=off)          # the minutes above were local time
    style = r.random()
    if style < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style < 0.88:
        return (t + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def post_id_url(r, platform, handle, kind):
    h = handle.lstrip("@")
    big = str(r.randint(1_880_000_000_000_000_000, 2_020_000_000_000_000_000))
    a36 = "abcdefghijklmnopqrstuvwxyz0123456789"
    if platform == "x":
        return f"x-{big}", f"https://x.com/{h}/status/{big}"
    if platform == "linkedin":
        act = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{act}", f"https://www.linkedin.com/feed/update/urn:li:activity:{act}/"
    if platform == "instagram":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"ig_{big[:17]}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb_{a}_{b}", f"https://www.facebook.com/{h}/posts/{b}"
    if platform == "reddit":
        p = "".join(r.choice(a36) for _ in range(7))
        if kind == "comment":
            c = "".join(r.choice(a36) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/Amsterdam/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/Amsterdam/comments/{p}/"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"fietsforum-{n}", f"https://forum.fietsforum.example/topic/{n}"
    if platform == "tiktok":
        return f"tt_{big}", f"https://www.tiktok.com/@{h}/video/{big}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        v = "".join(r.choice(B64URL) for _ in range(11))
        return f"yt_{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "threads":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"threads_{big[:18]}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(112_000_000_000_000_000, 116_000_000_000_000_000)
        return f"masto-{n}", f"https://{inst}/@{user}/{n}"
    n = r.randint(10 ** 9, 10 ** 10)
    return f"{platform}-{n}", None


def build(profile):
    vals = Values(SEED)
    mr = random.Random(SEED + 7)
    rows, seen = [], set()
    for c in CASES:
        text, used = fill(vals, c["text"])
        pid, url = post_id_url(mr, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        created = c["when"] or random_time(mr)
        role = role_of(profile, c["platform"], c["handle"])
        validated = PII in c["cats"] and any(k in VALID_ID_KINDS for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated)

        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and mr.random() < 0.6:
            kind = "post"
        if kind is not None:
            post["kind"] = kind
        acc = {"handle": c["handle"]}
        if c["name"] and mr.random() < 0.7:
            acc["display_name"] = c["name"]
        if mr.random() < 0.3:
            acc["id"] = str(mr.randint(10 ** 7, 10 ** 12))
        post["account"] = acc
        post["text"] = text
        tags = set(c["tags"])
        p = mr.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif p < 0.1:
            tags.add("no-lang-hint")
        elif p < 0.13:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            tags.add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if url and mr.random() < 0.6:
            post["url"] = url
        if mr.random() < 0.45:
            post["brand"] = "trappers"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=tags, used=used))
    random.Random(SEED + 13).shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ===========================================================================
# checker
# ===========================================================================

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
NUM_RE = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
DOTBSN_RE = re.compile(r"(?<![\w.])\d{4}\.\d{2}\.\d{3}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+\d{2}|00\d{2}|0)[\d \-()]{7,16}\d")
SECRET_RES = {
    "github": re.compile(r"\bghp_[A-Za-z0-9]{36}\b"),
    "aws": re.compile(r"\bAKIA[A-Z2-7]{16}\b"),
    "mollie": re.compile(r"\blive_[A-Za-z0-9]{30}\b"),
    "sendgrid": re.compile(r"\bSG\.[\w-]{22}\.[\w-]{43}\b"),
    "stripe": re.compile(r"\bsk_live_[A-Za-z0-9]{20,}"),
    "slack": re.compile(r"\bxox[abprs]-[0-9A-Za-z-]{20,}"),
    "google": re.compile(r"\bAIza[\w-]{35}\b"),
    "jwt": re.compile(r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+"),
    "pem": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "url_creds": re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s:/@]+:[^\s@/]+@"),
}
SWEAR = ["kut", "klootzak", "kanker", "tering", "tyfus", "klote", "debiel", "trut", "prutser", "fuck", "f*ck",
         "shit", "idiot", "moron", "clown", "loser", "oplichter"]
AMOUNT_RE = re.compile(r"(?:€\s?)(\d[\d.,]*)(?:,-)?|(\d[\d.,]*)(?:,-)?\s?(?:euro|eur)\b", re.I)


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVIS)
    t = "".join(" " if unicodedata.category(ch) == "So" else ch for ch in t)
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


def price_ratio(text, products):
    t = norm(text)
    hit = [p for p in products if any(re.search(r"(?<!\w)" + re.escape(a.casefold()) + r"(?!\w)", t)
                                       for a in [p["name"]] + p["aliases"])]
    amts = [amount(m.group(1) or m.group(2)) for m in AMOUNT_RE.finditer(t)]
    if not hit or not amts:
        return None
    return min(amts) / min(p["list_price"] for p in hit)


def valid_ids(text):
    out = []
    for m in IBAN_RE.finditer(text):
        c = m.group(0).replace(" ", "")
        for end in range(len(c), 11, -1):
            if iban_valid(c[:end]):
                if c[:end] != OWN_IBAN:
                    out.append(("iban", c[:end]))
                break
    for m in NUM_RE.finditer(text):
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19 and luhn_valid(d) and re.match(r"^(4|5[1-5]|2[2-7]|3[47])", d):
            out.append(("card", d))
    shapes = re.findall(r"(?<![\w.,-])\d{9}(?![\w]|[.,-]\d)", text)
    shapes += [m.group(0).replace(".", "") for m in DOTBSN_RE.finditer(text)]
    out += [("bsn", d) for d in shapes if elfproef(d)]
    return out


def nat_phone(raw):
    d = re.sub(r"\D", "", raw)
    if raw.startswith("+31"):
        d = "0" + d[2:].lstrip("0")
    elif raw.startswith("0031"):
        d = "0" + d[4:].lstrip("0")
    return d


def check(lines, rows, profile):
    errors, notes = [], []
    own_mail = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_phone = {nat_phone(p) for p in profile["public_identifiers"]["phones"]}
    embargo = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = ([c.casefold() for c in profile["internal"]["codenames"]]
                + [d.casefold() for d in profile["internal"]["domains"]]
                + [m.casefold() for m in profile["internal"]["markers"]])
    meta = {(r["post"]["platform"], r["post"]["id"]): r for r in rows}
    seen, parsed = set(), []
    for n, line in enumerate(lines, 1):
        w = f"line {n}"
        obj = json.loads(line)
        p, ex = obj["post"], obj["expect"]
        if set(obj) != {"post", "expect"}:
            errors.append(f"{w}: keys")
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                errors.append(f"{w}: {f} missing")
        if not isinstance(p.get("account", {}).get("handle"), str):
            errors.append(f"{w}: handle missing")
        if p.get("kind", "post") not in KINDS:
            errors.append(f"{w}: kind")
        if not (1 <= len(p["id"]) <= 256) or len(p["text"].encode()) > 65536:
            errors.append(f"{w}: size")
        if not RFC3339.match(p["created_at"]):
            errors.append(f"{w}: timestamp {p['created_at']}")
            continue
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errors.append(f"{w}: not 2026")
        key = (p["platform"], p["id"])
        if key in seen:
            errors.append(f"{w}: duplicate id")
        seen.add(key)
        cats, sev = ex["categories"], ex["severity"]
        if cats != sorted(set(cats)) or any(c not in TAXONOMY for c in cats):
            errors.append(f"{w}: categories {cats}")
        role = role_of(profile, p["platform"], p["account"]["handle"])
        text = p["text"]
        ids = valid_ids(text)
        want = severity_for(role, cats, PII in cats and bool(ids))
        if sev != want:
            errors.append(f"{w} ({p['id']}): severity {sev}, policy {want}")
        r = meta.get(key)
        used = r["used"] if r else []
        for kind, raw, shown in used:
            if shown not in text:
                errors.append(f"{w}: {kind} not in text")
            if kind.startswith("IBAN_") and not iban_valid(raw):
                errors.append(f"{w}: bad IBAN {raw}")
            if kind == "CARD" and not luhn_valid(raw):
                errors.append(f"{w}: bad card {raw}")
            if kind == "BSN" and not elfproef(raw):
                errors.append(f"{w}: bad BSN {raw}")
            if kind == "BAD_IBAN_NL" and iban_valid(raw):
                errors.append(f"{w}: negative IBAN passes")
            if kind in ("BAD16", "EAN13") and luhn_valid(raw):
                errors.append(f"{w}: negative number passes Luhn")
            if kind in ("NOT_BSN9", "NOT_BSN8") and elfproef(raw):
                errors.append(f"{w}: negative number passes 11-proof")
            if kind == "EAN13" and not ean13_valid(raw):
                errors.append(f"{w}: EAN invalid")
            if kind == "GHP" and base62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errors.append(f"{w}: ghp checksum")
        if any(k in VALID_ID_KINDS for k, _, _ in used) and not ids:
            errors.append(f"{w}: valid identifier not re-found")
        if ids and PII not in cats:
            errors.append(f"{w}: valid identifier {ids} without leak.pii")
        low = norm(text)
        sq = squash(text)
        if not cats:
            if sev != "none":
                errors.append(f"{w}: benign with severity")
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_mail:
                    errors.append(f"{w}: benign e-mail {e}")
            for m in PHONE_RE.finditer(IBAN_RE.sub(" ", text)):
                d = nat_phone(m.group(0))
                if len(d) >= 10 and d not in own_phone:
                    errors.append(f"{w}: benign phone {m.group(0)}")
            for nm, rx in SECRET_RES.items():
                for m in rx.finditer(text):
                    if m.group(0) != "AKIAXXXXXXXXXXXXXXXX":
                        errors.append(f"{w}: benign secret-like {nm}")
            for s in SWEAR:
                if re.search(r"\b" + re.escape(s), low) or s in sq.replace(" ", ""):
                    errors.append(f"{w}: benign has {s!r}")
            ratio = price_ratio(text, profile["products"])
            if ratio is not None and ratio < profile["pricing"]["alert_below_ratio"]:
                (notes if r and r["tags"] & {"price-context", "lease-price", "discount-amount", "second-hand"}
                 else errors).append(f"{w}: benign with price ratio {ratio:.2f} ({sorted(r['tags']) if r else ''})")
        for term, until in embargo:
            if term in low or term in sq:   # embargo terms are phrases: substring match is enough
                if ts < until and CONF not in cats:
                    errors.append(f"{w}: embargo term {term!r} before the end without leak.confidential")
                if ts >= until and CONF in cats:
                    errors.append(f"{w}: embargo term {term!r} after the end labelled confidential")
        for term in internal:
            rx = r"(?<![\w.])" + re.escape(term) + r"(?!\w)"
            if re.search(rx, low) or re.search(rx, sq):
                if CONF not in cats:
                    errors.append(f"{w}: internal term {term!r} without leak.confidential")
        if PRICING in cats:
            ratio = price_ratio(text, profile["products"])
            if ratio is None or ratio >= 0.5:
                notes.append(f"{w}: pricing positive without a parsed low price (ratio {ratio})")
        parsed.append((p, cats, sev, role, r))
    sh = []
    for p, *_ in parsed:
        ws = re.findall(r"\w+", norm(p["text"]))
        sh.append({tuple(ws[i:i + 3]) for i in range(max(0, len(ws) - 2))})
    for i in range(len(sh)):
        for j in range(i + 1, len(sh)):
            if sh[i] and sh[j]:
                jac = len(sh[i] & sh[j]) / len(sh[i] | sh[j])
                if jac > 0.3:
                    errors.append(f"lines {i + 1} and {j + 1}: trigram overlap {jac:.2f}")
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
            expect = {"IBAN_NL": (s_iban, True), "IBAN_DE": (s_iban, True), "IBAN_BE": (s_iban, True),
                      "BAD_IBAN_NL": (s_iban, False), "CARD": (s_luhn, True), "BAD16": (s_luhn, False),
                      "EAN13": (s_luhn, False), "BSN": (s_bsn, True), "NOT_BSN9": (s_bsn, False)}.get(kind)
            if expect:
                n += 1
                if expect[0].is_valid(raw) != expect[1]:
                    bad.append((kind, raw))
    if not s_iban.is_valid(OWN_IBAN):
        bad.append(("own", OWN_IBAN))
    return f"python-stdnum disagrees on {bad}" if bad else f"python-stdnum agrees on all {n} identifiers"


def report(parsed):
    from collections import Counter
    cat, lang, role, sev, plat, tag = Counter(), Counter(), Counter(), Counter(), Counter(), Counter()
    benign = multi = ev = 0
    for p, cats, s, rl, r in parsed:
        lang[r["lang"]] += 1
        role[rl] += 1
        sev[s] += 1
        plat[p["platform"]] += 1
        benign += not cats
        multi += len(cats) > 1
        ev += bool(cats) and "evasion" in r["tags"]
        for c in cats:
            cat[c] += 1
        for t in r["tags"]:
            tag[t] += 1
    print(f"cases {len(parsed)}  benign {benign}  positive {len(parsed) - benign}  multi {multi}  evasion {ev}")
    for c in TAXONOMY:
        print(f"  {c:24s} {cat[c]}")
    print("lang", dict(lang), "role", dict(role))
    print("severity", {s: sev[s] for s in SEVERITIES})
    print("platform", dict(plat.most_common()))
    print("tags", dict(sorted(tag.items())))


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
            print("  note " + x)
    print(f"{len(errors)} error(s), {len(notes)} note(s)")
    for e in errors:
        print("  ERROR " + e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
