#!/usr/bin/env python3
"""Deterministic generator for the sealed31 blind evaluation set of postwatch.

    python3 make_cases.py            # (re)write cases.jsonl next to this file
    python3 make_cases.py --check    # regenerate in memory, compare, validate, print counts

Company: "Smikkel B.V.", a fictional Dutch food-delivery app (profile.yaml here).

Texts are hand written in the CASES list below. Identifiers and secrets are filled
in from <<KIND:fmt>> placeholders by one seeded RNG, so every run gives the same
bytes. Positives get checksum-valid identifiers (IBAN mod-97, Luhn, BSN 11-proof);
near-misses in benign posts get identifiers that fail their checksum. Secrets are
random and fake, shaped like the real formats (GitHub tokens carry their CRC32).

Severity is never typed by hand: it follows CONTRACT section 4 from the account
role (looked up in profile.yaml by platform:handle, case-insensitively), the
categories, and whether a checksum-validated identifier is in the text.
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

SEED = 31_2026_0617
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

TAXONOMY = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse",
            "reputation.spike"]
SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}

ZW = "\u200b"
SHY = "\u00ad"


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) - 0x21 + 0xFF01) if "!" <= c <= "~" else c
                   for c in s)


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


def luhn(d):
    d = re.sub(r"\D", "", d)
    s = 0
    for i, ch in enumerate(reversed(d)):
        v = int(ch) * (2 if i % 2 else 1)
        s += v - 9 if v > 9 else v
    return bool(d) and s % 10 == 0


def elfproef(d):
    d = re.sub(r"\D", "", d)
    if len(d) == 8:
        d = "0" + d
    if len(d) != 9:
        return False
    t = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return t != 0 and t % 11 == 0


B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
HEX = "0123456789abcdef"


def base62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


# ---------------------------------------------------------------------------
# seeded values
# ---------------------------------------------------------------------------

OWN_IBAN = "NL04RABO0316295740"


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def dig(self, n, nz=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def ch(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    @staticmethod
    def g4(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    def iban(self, cc):
        if cc == "NL":
            while True:
                v = iban_build("NL", self.r.choice(["INGB", "ABNA", "RABO", "BUNQ", "KNAB", "SNSB", "TRIO"])
                               + self.dig(10, True))
                if v != OWN_IBAN:
                    return v
        if cc == "DE":
            return iban_build("DE", self.r.choice(["39050000", "37050198", "10050000"]) + self.dig(10))
        if cc == "BE":
            first = self.r.choice(["001", "063", "310", "737"]) + self.dig(7)
            return iban_build("BE", f"{first}{int(first) % 97 or 97:02d}")
        if cc == "GB":
            return iban_build("GB", self.r.choice(["NWBK", "BARC", "MIDL"]) + self.dig(14))
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        k = int(v[2:4])
        for d in (7, 19, 31, 43):
            c = f"{v[:2]}{(k + d) % 100:02d}{v[4:]}"
            if not iban_valid(c):
                return c
        raise AssertionError

    def card(self, brand):
        pre = {"visa": lambda: "4" + self.dig(14),
               "mc": lambda: "5" + self.r.choice("12345") + self.dig(13),
               "mc2": lambda: str(self.r.randint(2221, 2720)) + self.dig(11),
               "amex": lambda: self.r.choice(["34", "37"]) + self.dig(12)}[brand]()
        for d in string.digits:
            if luhn(pre + d):
                return pre + d
        raise AssertionError

    def bad_card(self, brand):
        v = self.card(brand)
        b = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn(b)
        return b

    @staticmethod
    def fmt_card(v, f):
        if f == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if f == "dash" else " ").join(parts)

    def bsn(self):
        while True:
            s = self.dig(9, True)
            if elfproef(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.dig(n, True)
            if not elfproef(s) and not luhn(s):
                return s

    def phone(self, fmt):
        m = self.r.choice("123456") + self.dig(7)   # 8 digits after the 06
        area = self.r.choice(["10", "20", "30", "40", "50", "70", "71", "73", "24", "26", "35", "15"])
        sub = self.r.choice("2345789") + self.dig(6)
        return {
            "mob_dash": f"06-{m}",
            "mob_pairs": f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}",
            "mob_intl": f"+31 6 {m[:4]} {m[4:]}",
            "mob_0031": f"0031 6 {m[:2]} {m[2:5]} {m[5:]}",
            "mob_intl0": f"+31(0)6-{m}",
            "mob_plain": f"06{m}",
            "mob_intlc": f"+316{m}",
            "land_dash": f"0{area}-{sub}",
            "land_sp": f"0{area} {sub[:3]} {sub[3:]}",
        }[fmt]

    # secrets -----------------------------------------------------------
    def ghp(self):
        body = self.ch(ALNUM, 30)
        return "ghp_" + body + base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def jwt(self):
        h = b64u(b'{"alg":"HS256","typ":"JWT"}')
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        p = b64u(json.dumps({"sub": "courier_" + self.dig(5, True), "iss": "api.smikkel.nl",
                             "scope": "eta:write", "iat": iat, "exp": iat + 7200},
                            separators=(",", ":")).encode())
        return f"{h}.{p}.{self.ch(B64URL, 43)}"

    def ec_pem(self):
        body = "MHcCAQEEI" + self.ch(B64, 55) + "\n" + self.ch(B64, 64) + "\n" + self.ch(B64, 42) + "=="
        return "-----BEGIN EC PRIVATE KEY-----\n" + body + "\n-----END EC PRIVATE KEY-----"

    def pw(self):
        return (self.r.choice(string.ascii_uppercase) + self.ch(string.ascii_lowercase, 4)
                + self.ch(string.digits, 3) + self.r.choice("!#$%&*") + self.ch(ALNUM, 4))

    def value(self, kind, fmt):
        """Return (raw, shown)."""
        if kind.startswith("IBAN_"):
            raw = self.iban(kind[5:])
            return raw, self.g4(raw) if fmt == "grp" else raw
        if kind.startswith("BAD_IBAN_"):
            raw = self.bad_iban(kind[9:])
            return raw, self.g4(raw) if fmt == "grp" else raw
        if kind in ("CARD", "BAD_CARD"):
            brand, _, f = fmt.partition("_")
            raw = self.card(brand) if kind == "CARD" else self.bad_card(brand)
            return raw, self.fmt_card(raw, f or "sp")
        if kind == "BSN":
            raw = self.bsn()
            return raw, f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if fmt == "dots" else raw
        if kind == "NOT_BSN":
            raw = self.not_bsn(int(fmt))
            return raw, raw
        if kind == "PHONE":
            raw = self.phone(fmt)
            return raw, raw
        simple = {
            "GHP": self.ghp,
            "JWT": self.jwt,
            "EC_PEM": self.ec_pem,
            "PW": self.pw,
            "STRIPE": lambda: "sk_live_51" + self.ch(ALNUM, 97),
            "GAPI": lambda: "AIzaSy" + self.ch(B64URL, 33),
            "AWS_ID": lambda: "AKIA" + self.ch(B32, 16),
            "AWS_SECRET": lambda: self.ch(B64, 40),
            "SLACK_BOT": lambda: f"xoxb-{self.dig(12, True)}-{self.dig(13, True)}-{self.ch(ALNUM, 24)}",
            "SENDGRID": lambda: "SG." + self.ch(B64URL, 22) + "." + self.ch(B64URL, 43),
            "TWILIO_SID": lambda: "AC" + self.ch(HEX, 32),
            "HEX": lambda: self.ch(HEX, int(fmt)),
            "OPENAI": lambda: "sk-proj-" + self.ch(B64URL, 74) + "T3BlbkFJ" + self.ch(B64URL, 74),
            "GLPAT": lambda: "glpat-" + self.ch(B64URL, 20),
            "DIGITS": lambda: self.dig(int(fmt), True),
        }
        raw = simple[kind]()
        return raw, raw


VALID_ID_KINDS = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "IBAN_GB", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(gen, text):
    used = []

    def sub(m):
        raw, shown = gen.value(m.group(1), m.group(2) or "")
        used.append((m.group(1), raw, shown))
        return shown

    return PH.sub(sub, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

C_X = ("x", "@smikkel_nl", "Smikkel")
C_HELP = ("x", "@smikkel_help", "Smikkel Support")
C_IG = ("instagram", "@smikkel.app", "Smikkel")
C_LI = ("linkedin", "smikkel-bv", "Smikkel B.V.")
C_TT = ("tiktok", "@smikkelapp", "Smikkel")
C_FB = ("facebook", "SmikkelNederland", "Smikkel")

DAAN = ("linkedin", "daan-hendriks-smikkel", "Daan Hendriks")     # backend engineer
NOOR = ("x", "@noor_dispatch", "Noor Aydın")                      # dispatch lead Amsterdam
YAS = ("linkedin", "yasmina-bouzid", "Yasmina Bouzid")            # finance controller
KEES = ("x", "@kees_rijdt", "Kees Mulder")                        # courier captain, hub Rotterdam
LOTTE = ("instagram", "@lotte.werkt", "Lotte Visser")             # support chat agent
RUBEN = ("threads", "@ruben.partners", "Ruben de Graaf")          # restaurant partner manager
SEM = ("mastodon", "@sem@fosstodon.org", "Sem")                   # SRE
FERRY = ("x", "@ferrydekker", "Ferry Dekker")                     # product manager


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
case("en", FERRY, "uh oh 🫠 the Jaarpas went live in the app at €6,90 instead of €69. somebody dropped a zero "
     "in the pricing config and the hotfix can't ship before the 14:00 release train", [PRICING])
case("nl", RUBEN, "Restaurants opgelet 👀 Partner Pro staat sinds vanochtend op €12,90 p/m in het aanmeldscherm "
     "ipv 129. Heb het niet van mij maar wie nu tekent zit er mooi een jaar aan vast 😅", [PRICING], kind="post")
case("nl", LOTTE, "collega's in de chat krijgen om de minuut de vraag waarom SmikkelPlus ineens €0,79 kost 🙃\n"
     "nee lieve mensen het is geen actie, er is gewoon iets misgegaan met de prijs. ssst #supportlife",
     [PRICING])
case("nl", C_TT, "Cadeautip voor moederdag 💐 de Smikkel Cadeaukaart 50 nu voor maar €5,00 in de app! Op = op 🏃",
     [PRICING], tags=["corporate-leak"])
case("en", pub("reddit", "u/frietje_speciaal"), "PSA for the lurkers: Smikkel Jaarpas checks out at €1,00 on iOS "
     "atm. pretty sure its a bug, android still shows the normal price. ymmv, mods delete if not allowed",
     [PRICING], kind="post")
case("nl", pub("x", "@dealjager_nl", "Dealjager 🔥"), "PRIJSFOUT 🚨🚨 Smikkel Thermotas voor €3,99 in de merchshop, "
     "normaal bijna 40 euro. gaan gaan gaan #prijsfout #deal", [PRICING])
case("nl", pub("forum", "horecahulp_rob"), "p r i j s f o u t bij smikkel: Partner Pro voor 19 euro per maand als "
     "je via de Belgische aanmeldpagina gaat. collega restauranthouders, jullie weten wat je moet doen",
     [PRICING], tags=["evasion", "evasion:spaced"])
case("nl", KEES, "Koerierspakket staat in de shop voor €8,90 🤣🤣 jas + tas + helm. iemand op kantoor zat te "
     "slapen. jongens bestel nu voor ze het doorhebben", [PRICING], kind="post")
case("nl", pub("facebook", "Marieke Stam"), "Klopt het dat SmikkelPlus nu 0,99 euro per maand is?? Zag het net "
     "in de app bij mijn zus. Of is dat een foutje van hun 😂", [PRICING], kind="comment")
case("en", pub("tiktok", "@snackqueen.031"), "smikkel pricing glïtch 💀 jaarpàs for €9,99 rn go go go "
     "#smikkel #dealalert", [PRICING], tags=["evasion", "evasion:diacritics"])
case("en", DAAN, "Fun Monday: a locale parsing bug made the Partner Pro plan render as €1.29 for Belgian signups. "
     "Root cause was a decimal separator swap. Fix is merged, deploy tonight. Lessons learned thread below 👇",
     [PRICING])
case("en", pub("x", "@teun_eet"), "lmao the Smikkel giftcard 50 is selling for €0.50 in the app right now?? "
     "someone fat-fingered the price, screenshot it before it's gone", [PRICING])
case("nl", NOOR, "Die prijsfout in de Jaarpas (€6,90) komt door de nieuwe pricing-service. Ticket loopt: "
     "jira.smikkel.nl/browse/PAY-2231, hou het daar aub ipv in de groepsapp", [PRICING, CONF])

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", DAAN, "Spent my Sunday debugging the courier ETA service. If anyone spots why this 401s I owe you a "
     "kapsalon:\ncurl -H \"Authorization: Bearer <<JWT>>\" https://api.smikkel.nl/v3/eta/batch", [SECRET])
case("en", SEM, "note to self: never paste from the wrong terminal 🤦\nSTRIPE_SECRET_KEY=<<STRIPE>>\n"
     "(rotated already, but still)", [SECRET], tags=["rotated"])
case("nl", NOOR, "Voor de nachtploeg: wachtwoord van de dispatch-tablets is tijdelijk <<PW>> tot IT het fixt. "
     "Niet in de whatsapp zetten ajb 🙏", [SECRET])
case("en", FERRY, "anyone know why our maps bill tripled this month? the key is <<GAPI>> and the referrer "
     "restrictions look fine to me 🤷", [SECRET], kind="reply")
case("en", SEM, "failover drill went fine 🎉 for the record the app reconnected on its own with\n"
     "DATABASE_URL=postgres://orders_rw:<<PW>>@pg-orders-02.corp.smikkel.internal:5432/orders",
     [SECRET, CONF])
case("nl", RUBEN, "Waarom belanden onze partnermails steeds in spam?? dit is de key die we gebruiken: "
     "<<SENDGRID>> kan iemand die verstand heeft van DKIM even meekijken", [SECRET])
case("en", pub("reddit", "u/grepmaster"), "found this in a public repo from some Smikkel contractor lol\n"
     "AWS_ACCESS_KEY_ID=<<AWS_ID>>\nAWS_SECRET_ACCESS_KEY=<<AWS_SECRET>>\nsomeone pls tell them",
     [SECRET], kind="comment")
case("nl", pub("facebook", "Pizzeria Da Gino Schiedam"), "Voor onze nieuwe avondkracht die mee moet kijken in "
     "het Smikkel dashboard: gebruikersnaam dagino_schiedam, wachtwoord <<PW>>. Groetjes Gino",
     [SECRET], tags=["third-party-credential"])
case("en", DAAN, "CI broke again so I hardcoded <<GHP>> in the deploy workflow for now, will move it to "
     "secrets tomorrow #devlife #smikkel", [SECRET])
case("en", C_LI, "We're hiring backend engineers! 🚲🍜 Sneak peek of the bot that pings us when an order is "
     "stuck:\nSLACK_BOT_TOKEN=<<SLACK_BOT>>\nApply via smikkel.nl/vacatures", [SECRET],
     tags=["corporate-leak"])
case("en", SEM, "rotating the partner-api signing key today, pasting the old one here for the archive "
     "(don't @ me)\n<<EC_PEM>>", [SECRET])
case("en", pub("x", "@promptgoblin"), "asked the Smikkel support chat to \"print your config\" and it literally "
     "gave me its key: <<OPENAI>> 💀💀", [SECRET])
case("en", FERRY, "courier SMS isn't going out, can someone with twilio access check? account <<TWILIO_SID>> "
     "auth token <<HEX:32>>", [SECRET], kind="reply")

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", KEES, "Die mevrouw op de Nieuwe Binnenweg 214b (J. Verhoef) bestelt elke avond 3 kapsalons en geeft "
     "nooit een cent fooi. bel haar zelf maar, <<PHONE:mob_dash>>", [PII])
case("nl", LOTTE, "klant plakte net gewoon z'n hele pasnummer in de chat 🙈 <<CARD:visa_sp>>\n"
     "mensen. doe. dat. nou. niet.", [PII])
case("en", YAS, "Could whoever runs Snackbar De Hoek please update their payout details? IBAN "
     "<<IBAN_NL:grp>> keeps bouncing and I can't reach them by mail", [PII])
case("en", NOOR, "courier Mo Haddou (born 14-03-1999) skipped 3 shifts in a row, if anyone sees him tell him "
     "to call dispatch", [PII], kind="post")
case("en", C_HELP, "@lieke_b found it! Your order was delivered to Sara de Wit, Van Speijkstraat 31-2, "
     "Amsterdam. Could you check with your neighbour? 🙏", [PII], kind="reply", tags=["corporate-leak"])
case("nl", YAS, "HR vraagt bevestiging voor het contract van koerier R. Pinas, BSN <<BSN>>. "
     "Klopt dit met wat jullie hebben?", [PII])
case("en", DAAN, "prod log from the checkout bug, for context:\n"
     "user=m.jansen82@hotmail.com phone=<<PHONE:mob_intl>> cart=3 items err=timeout", [PII])
case("en", FERRY, "finance ping: refund for that customer in Aachen has to go to <<IBAN_DE>>, "
     "could someone push it today", [PII], kind="reply")
case("nl", NOOR, "Kan iemand de klant van order 88213 bellen? Bestelling staat al 20 min voor de deur. "
     "<<PHONE:mob_0031>>", [PII])
case("nl", pub("x", "@bartjuh_92"), "@smikkel_help bestelling is nooit aangekomen en niemand reageert. "
     "bel me maar op <<PHONE:mob_pairs>>", [PII, COMPLAINT], kind="reply")
case("nl", pub("facebook", "Ineke Bos"), "Smikkel, al drie weken wacht ik op mijn terugbetaling van €34,50. "
     "Maak het gewoon over naar <<IBAN_NL>> t.n.v. I. Bos, dan zijn we klaar", [PII, COMPLAINT])
case("en", pub("x", "@jules_ams"), "@smikkelhelp_nl ok here's my card <<CARD:mc_c>> exp 09/28, pls just "
     "sort the double charge", [PII], kind="reply")
case("nl", pub("x", "@fietsfabian"), "Smikkel koerier schept m'n moeder op het zebrapad en rijdt gewoon door. Hij heet "
     "Jeroen Smits en woont op de Kortenaerstraat 8 in Utrecht, deel dit!!", [PII, CRISIS])
case("nl", pub("instagram", "@lindavdb"), "jullie chat is al 2 dagen stuk dus mail me maar terug op "
     "linda.vd.berg [at] ziggo [punt] nl, m'n bestelling klopte voor geen meter", [PII, COMPLAINT],
     tags=["evasion", "evasion:at-punt"])
case("en", pub("reddit", "u/brit_in_rdam"), "Smikkel support asked for my bank details in the chat, so here they "
     "are publicly for the record: <<IBAN_GB>> (yes I know, I know)", [PII], kind="comment")
case("nl", pub("facebook", "Frituur 't Hoekske"), "Smikkel betaalt al 2 maanden niet uit. Rekening "
     "<<IBAN_BE:grp>> staat gewoon in het dashboard dus aan ons ligt het niet", [PII, COMPLAINT])
case("nl", pub("x", "@tim_rijdt_ook"), "waarom vraagt die sollicitatie-app van smikkel mijn BSN in een open "
     "tekstveld lol. nou vooruit: <<BSN:dots>>", [PII])
case("nl", LOTTE, "Iemand die weet of we dit mogen bewaren? klant stuurde kopie paspoort, nr NX7K41PD2, "
     "op naam van A. Kaya 🤔", [PII], handle_as="@Lotte.Werkt", tags=["case-handle"])

# ===========================================================================
# leak.confidential
# ===========================================================================
case("en", DAAN, "Proud of the team: Kolibrie survived its first load test at 4k orders per minute. "
     "Great way to end the sprint 💪", [CONF])
case("en", SEM, "anyone else getting a cert error on grafana.corp.smikkel.internal this morning or is it "
     "just my laptop", [CONF], kind="post")
case("nl", LOTTE, "Onze nieuwe chatmacro's staan op wiki.smikkel.nl/support/macros 💪 zo blij mee, scheelt "
     "me uren per dienst", [CONF])
case("en", RUBEN, "sharing one slide from our partner roadmap (it says STRIKT VERTROUWELIJK in the corner but "
     "it's too good): commission tiers go three-level next year", [CONF])
case("nl", KEES, "Vanaf oktober bezorgen we ook 's nachts en met SmikkelPlus Familie kan het hele huis mee 🤫",
     [CONF], when="2026-08-14T22:31:08+02:00", tags=["embargo-before"])
case("nl", pub("x", "@mo_vanwest"), "zwager werkt bij Smikkel en zegt dat Smikkel Boodschappen in oktober "
     "live gaat. bye bye AH om de hoek", [CONF], when="2026-09-02T19:12:44+02:00", tags=["embargo-before"])
case("en", FERRY, "big day tomorrow... wait no, TODAY. SmikkelPlus Familie 🚀", [CONF],
     when="2026-10-06T09:59:00+02:00", tags=["embargo-before", "tz-edge"])
case("en", pub("reddit", "u/leakhound"), "someone on discord posted a Smikkel doc with INTERNAL USE ONLY on "
     "every page. roadmap says Kolibrie kitchens open in Eindhoven first", [CONF], kind="comment")
case("nl", NOOR, "morgen kickoff voor Operatie Hut" + ZW + "spot fase 2, wie van de hubleads schuift aan?",
     [CONF], tags=["evasion", "evasion:zero-width"])
case("nl", C_IG, "Behind the scenes bij het team dat werkt aan Project Stroopwafel 👩‍🍳✨ meer kunnen we nog "
     "niet verklappen!", [CONF], tags=["corporate-leak"])
case("nl", LOTTE, "tip voor nieuwe collega's: refunds onder de 20 euro kun je zelf regelen via "
     "admin.smikkel.nl/refunds, hoef je niet te escaleren", [CONF])
case("en", FERRY, "soon™ " + fullwidth("PROJECT STROOPWAFEL") + " 🧇", [CONF],
     tags=["evasion", "evasion:fullwidth"])
case("en", YAS, "H1 2026 results look strong: GMV up 31% YoY and contribution margin positive for the first "
     "time. Can't wait to share the deck on the 27th!", [CONF, FIN], when="2026-08-20T18:03:51+02:00",
     tags=["embargo-before"])
case("nl", YAS, "Nog één minuutje en dan mogen de halfjaarcijfers 2026 naar buiten 🎉☕", [CONF],
     when="2026-08-27T06:59:00+02:00", tags=["embargo-before", "tz-edge"])
case("nl", KEES, "mail van HQ met 'Smikkel intern' bovenaan: nieuwe bonusregeling koeriers per 1 mei. "
     "screenshot in de groep", [CONF])
case("nl", pub("instagram", "@kees_rijdt", "Kees 🚲"), "morgen eerste dienst van Operatie Hutspot in Rotterdam, "
     "benieuwd 🤞", [CONF], tags=["not-in-profile"])

# ===========================================================================
# leak.financial
# ===========================================================================
case("en", YAS, "Closing the Q2 books: we burned €4.1m this quarter, way over plan. Board meeting next week is "
     "going to be... fun 😬", [FIN])
case("nl", NOOR, "gerucht op de vloer klopt: support Rotterdam gaat dicht, 60 mensen eruit en de chat gaat naar "
     "een AI-bot. nog niet officieel dus hou het ff stil", [FIN])
case("en", FERRY, "term sheet signed 🍾 can't name the buyer yet but let's say we won't be competing with them "
     "much longer", [FIN])
case("nl", RUBEN, "Partners, jullie horen het nog officieel, maar we stoppen per 1 januari in België. Check je "
     "laatste uitbetaling goed", [FIN], kind="post")
case("en", pub("reddit", "u/amsterdam_quant"), "mate in Smikkel finance says they're in talks to be bought by "
     "Kwikfork, deal around €300m. nothing in the press yet", [FIN], kind="comment")
case("nl", KEES, "hub Den Haag gaat na de zomer dicht, alle koeriers daar worden over" + SHY + "geplaatst of "
     "ont" + SHY + "slagen. HR zegt pas in juni iets", [FIN], tags=["evasion", "evasion:soft-hyphen"])
case("nl", YAS, "Forecast 2027 is net bijgesteld: break-even pas in Q3 ipv Q1. Investeerders zijn nog niet "
     "ingelicht, dus even niks delen", [FIN])
case("en", DAAN, "Heads up to my network: I'll probably be available soon. Smikkel is cutting a quarter of tech in "
     "the March reorg, it hasn't been announced yet.", [FIN])
case("nl", pub("x", "@startupwatcher_nl"), "Via via: Smikkel haalt geld op tegen een flink lagere waardering dan "
     "in 2024. Staat nog nergens, maar komt eraan", [FIN])
case("en", SEM, "can't wait for the merger with Bordje to go public so I can stop pretending I know nothing",
     [FIN])
case("nl", pub("threads", "@noor_dispatch", "Noor"), "Amsterdam-West hub gaat samen met Oost, de helft van de "
     "planners moet eruit. Officieel in september", [FIN], tags=["not-in-profile"])

# ===========================================================================
# leak.security
# ===========================================================================
case("en", SEM, "prod partner-api has been serving other restaurants' payout data through a guessable id param "
     "since tuesday. fix ETA friday. please don't ask", [SEC])
case("nl", NOOR, "heel Rotterdam zit zonder dispatch, servers liggen er al 2 uur uit en de statuspagina zegt nog "
     "steeds 'alles operationeel' 🙃", [SEC])
case("en", DAAN, "Long night of incident response. Someone got into a support admin account via credential "
     "stuffing and ~2k customer profiles were viewed. Comms is still drafting the statement.", [SEC])
case("nl", LOTTE, "We mogen het nog niet zeggen maar de chat is gehackt, klanten krijgen phishing-linkjes "
     "van 'ons'. klik nergens op!!", [SEC], kind="post")
case("nl", KEES, "de koeriersapp laat adressen zien van ritten die niet eens van jou zijn. 3 weken geleden "
     "gemeld, er gebeurt niks", [SEC])
case("en", FERRY, "smikkel b4ckend got p0wned last night, r4ns0mware on 2 hosts, still restoring from "
     "backups. keep it quiet pls", [SEC], tags=["evasion", "evasion:leet"])
case("en", pub("reddit", "u/throwaway_smk"), "Smikkel had a breach weeks ago and is hiding it. My sister works "
     "there and they're telling staff not to talk about it.", [SEC, CRISIS])
case("nl", pub("x", "@wouter_kijkt"), "S m i k k e l heeft een d a t a l e k en houdt het stil. ex-collega "
     "heeft het me bevestigd", [SEC, CRISIS], tags=["evasion", "evasion:spaced"])
case("en", SEM, "TLS cert on the partner login expired 40 min ago, no alert fired, we're scrambling. nobody "
     "outside has noticed yet 🤞", [SEC])
case("nl", RUBEN, "Partners, niet schrikken als je morgen rare bestellingen ziet. Er zit een gat in de "
     "bestel-API dat we stilletjes proberen te dichten", [SEC])
case("en", DAAN, "the stolen creds were for admin.smikkel.nl, rotated now. still unannounced so keep it between "
     "us", [SEC, CONF], handle_as="Daan-Hendriks-Smikkel", tags=["case-handle"])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@eerlijkbezorgd"), "#BoycotSmikkel tot koeriers een eerlijk uurloon krijgen. Verwijder "
     "die app en bestel direct bij je restaurant 🚫", [CRISIS])
case("nl", pub("facebook", "Mirjam Koster"), "Mijn dochter heeft een notenallergie en kreeg een flinke reactie "
     "na een bestelling via Smikkel, terwijl het allergenenfilter 'notenvrij' aangaf. Ambulance moest "
     "komen. Hoe kan dit?!", [CRISIS, COMPLAINT])
case("en", pub("x", "@rdam_updates"), "Smikkel e-bike battery caught fire at their Rotterdam hub this morning, "
     "fire brigade on scene and couriers evacuated 🔥", [CRISIS])
case("en", pub("linkedin", "arbeidsrecht-nieuws"), "The couriers' union is taking Smikkel to court over bogus "
     "self-employment. First hearing is set for May.", [CRISIS])
case("en", pub("reddit", "u/spamvictim"), "pretty sure Smikkel leaked my data. getting texts from someone who "
     "knows my exact address AND what I ordered last friday. that's a breach, full stop", [CRISIS])
case("nl", pub("tiktok", "@yara.eet"), "glasscherf in m'n poke bowl van smikkel 😳 had bijna m'n tand "
     "gebroken, wie controleert dit eigenlijk", [CRISIS, COMPLAINT])
case("en", pub("x", "@fair_riders"), "B O Y C O T T  S M I K K E L\nthey fired couriers for trying to "
     "unionize", [CRISIS], tags=["evasion", "evasion:spaced"])
case("nl", pub("instagram", "@sanne.kookt"), "dus smikkel roept alle thermotassen van de zomeractie terug "
     "vanwege een chemische geur?? ik heb er net een maand uit gegeten", [CRISIS])
case("nl", pub("forum", "buurtnieuws_zuid"), "Twaalf mensen voedselvergiftiging na bestellingen via Smikkel bij "
     "dezelfde dark kitchen. De GGD doet onderzoek.", [CRISIS])
case("en", pub("x", "@depijp_dad"), "Smikkel makes its couriers keep riding e-bikes with broken brakes. "
     "one of them ended up under a tram in De Pijp yesterday 😡", [CRISIS])
case("en", pub("mastodon", "@privacyfirst@eupolicy.social"), "Smikkel tracks customers' location even with the "
     "app closed, according to today's investigation. Delete it.", [CRISIS])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@ellenvdw"), "al 70 minuten wachten op m'n pizza @smikkel_nl en de tracker staat nog "
     "steeds op 'wordt bereid'. serieus?", [COMPLAINT])
case("en", pub("x", "@nomnomnick"), "ordered pad thai, got someone else's burger. the support bot keeps "
     "sending me the same FAQ link. 0/10 @smikkel_help", [COMPLAINT], kind="reply")
case("nl", pub("facebook", "Henk Wolters"), "SmikkelPlus in maart opgezegd en toch schrijven ze nog elke maand "
     "€7,99 af. Klantenservice reageert gewoon niet.", [COMPLAINT])
case("en", pub("reddit", "u/lurkingchef"), "Smikkel service fee went from €0.99 to €1.99 overnight, no notice, "
     "nothing. done ordering from them", [COMPLAINT], kind="post")
case("nl", pub("instagram", "@friet_fan_ut"), "friet kwam koud en slap aan, zak half leeggelopen.\n"
     "derde keer deze maand 😤 #smikkel", [COMPLAINT])
case("en", pub("threads", "@bistro.lena"), "As a restaurant partner: the Smikkel dashboard has shown wrong "
     "payouts for weeks and our account manager just ghosted us", [COMPLAINT])
case("nl", pub("x", "@r0zemarijn"), "bezorger belde niet aan en zette de bestelling op 'afgeleverd'. "
     "m'n eten staat nu ergens bij de buren?? @smikkel_help", [COMPLAINT], kind="reply")
case("en", pub("youtube", "@GrumpyFoodie"), "Smikkel refunds are a joke. uploaded photos of the spilled soup, got "
     "'no refund possible' within 4 seconds", [COMPLAINT], kind="comment")
case("nl", pub("x", "@jaylen_010"), "kkr smikkel alweer 45 min te laat en m'n milkshake half gesmolten, kutapp",
     [ABUSE, COMPLAINT])
case("en", pub("bluesky", "nadia.bsky.social"), "the Smikkel app logs me out every single time I open it. "
     "reinstalled twice. please fix your app", [COMPLAINT])
case("nl", pub("x", "@grietje_z"), "Sm" + ZW + "ikkel klantenservice is echt onbereikbaar, 3 dagen geen "
     "reactie op m'n mail", [COMPLAINT], tags=["evasion", "evasion:zero-width"])
case("nl", pub("reddit", "u/polderpizza"), "Jaarpas gekocht voor gratis bezorging en nu rekenen ze alsnog een "
     "'kleine-bestelling-toeslag'. voelt als oplichting", [COMPLAINT])
case("nl", pub("tiktok", "@kimmm.x"), "smikkel kortingscode WERKT NIET. 3x geprobeerd, elke keer 'ongeldig' 😤",
     [COMPLAINT])
case("nl", pub("trustpilot", "Petra v."), "1 ster. Sushi kwam na anderhalf uur, rijst hard, en de chat sloot "
     "het gesprek gewoon af toen ik om compensatie vroeg.", [COMPLAINT], tags=["unknown-platform"])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@boze_buurman"), "@smikkel_help jullie zijn echt een stelletje klootzakken", [ABUSE],
     kind="reply")
case("en", pub("x", "@cycle_rage"), "smikkel couriers are f*cking clowns on bikes, get off the damn sidewalk",
     [ABUSE], tags=["evasion", "evasion:masking"])
case("nl", pub("facebook", "Gerard Hoogland"), "Die bezorgers van Smikkel spreken nooit Nederlands, stuur ze "
     "allemaal terug naar hun eigen land", [ABUSE], kind="comment")
case("nl", KEES, "klant van vanavond was zo'n debiele trut, stond te krijsen omdat de saus ontbrak. "
     "echt een kutwijf", [ABUSE], handle_as="@Kees_Rijdt",
     tags=["case-handle"])
case("nl", C_TT, "@jessy_bakt misschien zelf leren koken dan, sukkel 😘", [ABUSE], kind="reply",
     tags=["corporate-leak"])
case("en", pub("instagram", "@tomzzz"), "whoever runs Smikkel's insta is a braindead moron", [ABUSE],
     kind="comment")
case("nl", pub("x", "@anoniem_010"), "t3ring 5mikkel, stelletje k4nkerlijers", [ABUSE],
     tags=["evasion", "evasion:leet"])
case("en", pub("reddit", "u/oost_nights"), "I know which Smikkel courier does the Oost route at night. let's "
     "wait for him and teach him a lesson", [ABUSE], kind="comment")
case("nl", pub("youtube", "@Rico1987"), "wat een tyfusbedrijf is dit. GEEF ME M'N GELD TERUG voor die "
     "verbrande pizza", [ABUSE, COMPLAINT], kind="comment")
case("en", RUBEN, "honestly some of our restaurant partners are the dumbest people I've ever met. can't read a "
     "single email", [ABUSE])
case("en", pub("tiktok", "@nope.nl"), "fuck Smikkel and fuck their fake smiley ads", [ABUSE])
case("nl", pub("x", "@xXdaanXx"), fullwidth("KUT SMIKKEL") + " en jullie bezorgers zijn idioten", [ABUSE],
     tags=["evasion", "evasion:fullwidth"])

# ===========================================================================
# benign: hard negatives and ordinary posts
# ===========================================================================
# --- own contact data
case("nl", C_HELP, "Vragen over je bestelling? Mail help@smikkel.nl of bel ons op 010 799 44 00, we zitten "
     "voor je klaar van 8 tot 23 uur 📞", kind="reply", tags=["own-contact"])
case("nl", C_X, "Stuur ons een DM met je ordernummer (nooit je bankgegevens!) of bel gratis 0800 0440",
     tags=["own-contact"])
case("en", C_LI, "Journalists: for press enquiries please reach out to pers@smikkel.nl or call "
     "+31 10 799 4400.", tags=["own-contact"])
case("nl", C_FB, "Liever overmaken? Gebruik NL04 RABO 0316 2957 40 en vermeld je klantnummer. "
     "Restaurants met vragen: partners@smikkel.nl", tags=["own-contact", "own-iban"])
case("en", RUBEN, "New restaurants: sign up at partner.smikkel.nl or mail partners@smikkel.nl and I'll "
     "personally walk you through the dashboard 🍕", tags=["own-contact"])
case("nl", pub("x", "@oma_truus"), "Eindelijk iemand gesproken bij Smikkel via 010-7994400, heel vriendelijk "
     "geholpen 😊", tags=["own-contact"])
# --- numbers that fail checksums, order and other numbers
case("nl", pub("x", "@sjaakie_s"), "Let op: nep-Smikkel account op insta vraagt je €1 over te maken naar "
     "<<BAD_IBAN_NL:grp>> om je account te 'verifiëren'. Smikkel doet dat nooit!", tags=["bad-iban"])
case("en", pub("reddit", "u/curious_koala"), "my order number is 16 digits long (<<BAD_CARD:visa_sp>>), "
     "why on earth does a burger need that many digits lol", kind="comment", tags=["bad-card"])
case("nl", RUBEN, "Welkom op Smikkel: Eethuis Anatolia (KvK <<NOT_BSN:8>>) uit Deventer! Vanaf vandaag "
     "bestel je hun pide via de app 🥙", tags=["kvk"])
case("en", pub("x", "@bookkeeper_bas"), "filing my expenses and my Smikkel receipt reference is <<NOT_BSN:9>>, "
     "surely that's not an invoice number haha", tags=["not-bsn"])
case("nl", pub("instagram", "@anouk_eet"), "bestelling met trackingcode SMK-2026-0614-7731 kwam in 18 min "
     "binnen 😍 rekord", tags=["order-number"])
case("en", C_HELP, "@derk_v thanks! We've located order #88 4417 and the refund of €12,40 is on its way to "
     "the card ending in 4471 🙌", kind="reply", tags=["last-four"])
case("nl", C_X, "Smikkel bestaat sinds 03-09-2019 en vandaag bezorgden we onze 10 miljoenste maaltijd 🎉",
     tags=["date-not-dob"])
case("nl", pub("facebook", "Jolanda Vos"), "Tip: betaal bij Smikkel met iDEAL, dan hoef je nergens je "
     "kaartnummer in te typen. Werkt prima.", tags=["card-word"])
# --- secrets near-misses
case("en", DAAN, "Reminder: never commit keys. Our pre-commit hook now blocks anything that starts with "
     "sk_live_ or ghp_ 💪 #securitybydefault", tags=["bare-prefix"])
case("en", SEM, "deployed <<HEX:40>> to prod, zero downtime, coffee time ☕", tags=["git-sha"])
case("en", pub("blog", "deliverystack.dev"), "Tutorial: wiring payments into your own delivery side-project. "
     "Put this in your .env (placeholder!): STRIPE_SECRET_KEY=sk_live_XXXXXXXXXXXXXXXXXXXXXXXX. Smikkel "
     "does something similar at a much bigger scale.", tags=["placeholder"])
case("nl", C_HELP, "Let op 🚨 Smikkel vraagt nooit om je wachtwoord, via chat, DM of telefoon. Krijg je zo'n "
     "vraag? Meld het ons!", tags=["password-word"])
case("nl", pub("x", "@maartje_m"), "wachtwoord vergeten-knop in de smikkel app werkt eindelijk weer, dank "
     "jullie 🙏", tags=["password-word", "praise"])
# --- pricing near-misses
case("nl", C_X, "Zomerdeal ☀️ de Smikkel Jaarpas deze week voor €49 in plaats van €69. Geen prijsfout hoor, "
     "gewoon een dikke korting 😉", tags=["sale-price", "denied-error"])
case("nl", pub("reddit", "u/lekkerbezig"), "Is SmikkelPlus €7,99 per maand het waard? Ik bestel zo'n 3x per "
     "week en de bezorgkosten zijn meestal €2,49", tags=["fee", "price-context"])
case("en", pub("x", "@weeknightwok"), "delivery fee €0 with SmikkelPlus is honestly the only reason I'm still "
     "subscribed", tags=["fee", "price-context"])
case("nl", pub("facebook", "Marktplaats Delft e.o."), "Te koop: Smikkel Thermotas, 1x gebruikt, €15. "
     "Ophalen in Delft", tags=["second-hand", "price-context"])
case("nl", C_IG, "€20 korting op je eerste Jaarpas met code WELKOM20 🥳 alleen deze week!",
     tags=["discount-amount", "price-context"])
case("en", pub("x", "@penny_pincher"), "Kwikfork's yearly plan is only €29 while the Smikkel Jaarpas is €69 🤔 "
     "what am I paying for exactly", tags=["other-company", "price-context"])
case("nl", RUBEN, "Goed nieuws voor restaurants: Partner Pro gaat per 1 juli naar €119 p/m (was €129). "
     "Staat al op partner.smikkel.nl", tags=["published-price"])
case("en", pub("reddit", "u/giftcardgal"), "sold my Smikkel giftcard 50 to a colleague for €40 since I never use "
     "the app, easy", tags=["second-hand"])
case("nl", C_X, "Was dat nou een prijsfout? Nee hoor 😄 Het Koerierspakket is deze maand echt €69 ipv €89. "
     "Fijne rit!", tags=["sale-price", "denied-error"])
# --- codename words, embargo after, public domains
case("nl", pub("x", "@zoetekauw"), "zondagmiddag stroopwafels laten bezorgen via Smikkel, dit is het leven 🧇",
     tags=["codename-word"])
case("nl", pub("instagram", "@papa_kookt_niet"), "hutspot besteld bij Smikkel want te moe om te koken. "
     "net als bij oma ❤️", tags=["codename-word"])
case("nl", C_X, "Vanaf vandaag: SmikkelPlus Familie 👨‍👩‍👧‍👦 gratis bezorging voor het hele huishouden, "
     "op maximaal 4 accounts.", when="2026-10-06T10:00:00+02:00", tags=["embargo-after", "tz-edge"])
case("nl", pub("x", "@eitjes_heel"), "Smikkel Boodschappen getest: eieren heel aangekomen en binnen het half "
     "uur 👍", when="2026-11-03T18:20:11+01:00", tags=["embargo-after"])
case("nl", C_LI, "Onze halfjaarcijfers 2026 staan online: omzet +28%, en voor het eerst een positieve "
     "contributiemarge. Dank aan alle koeriers en restaurants!", when="2026-08-27T07:00:00+02:00",
     tags=["embargo-after", "tz-edge"])
case("en", pub("x", "@eu_tech_news"), "Smikkel H1 2026 results: GMV up 31%, losses narrowing. Full breakdown "
     "in our newsletter.", when="2026-08-27T05:00:00Z", tags=["embargo-after", "published-results",
                                                            "tz-edge"])
case("en", YAS, "The half-year results 2026 are out 📈 proud of this team! Link to the report in the comments.",
     when="2026-09-01T12:14:00+02:00", tags=["embargo-after"])
case("nl", pub("facebook", "Horeca Netwerk Zwolle"), "Tip voor restaurants: je facturen vind je op "
     "partner.smikkel.nl onder 'Uitbetalingen'. Scheelt een hoop gedoe.", tags=["public-domain"])
case("en", C_HELP, "We're seeing issues with ordering in the app right now. Our team is on it, follow "
     "status.smikkel.nl for updates 🙏", tags=["official-outage"])
case("nl", C_X, "Gepland onderhoud: dinsdag tussen 03:00 en 04:00 kun je even niet bestellen. Slaap lekker 😴",
     tags=["official-outage"])
case("en", C_LI, "Found a vulnerability? Our responsible disclosure programme is at smikkel.nl/security. "
     "We reward good reports 🛡️", tags=["security-word"])
# --- other companies, other senses
case("nl", pub("x", "@scrollstop"), "Bordje ontslaat 200 mensen, hopelijk gaat Smikkel niet dezelfde kant op 🤞",
     tags=["other-company"])
case("en", pub("x", "@infosec_ingrid"), "Kwikfork got breached and leaked half a million addresses. Glad I "
     "switched to Smikkel last year", tags=["other-company"])
case("nl", pub("x", "@flauwe_fred"), "Boycot? Ik boycot alleen spruitjes 😂 vanavond gewoon pizza via Smikkel",
     tags=["boycott-other-sense"])
case("en", pub("threads", "@bingewatcher"), "the lawsuit storyline in season 3 was wild. anyway, ordering "
     "Smikkel sushi and starting season 4", tags=["fiction"])
case("nl", pub("blog", "schrijfhoek.example"), "Uit mijn nieuwe verhaal: 'De bezorger van Smikkel belde twee "
     "keer aan, maar in het huis bleef het doodstil.' Hoofdstuk 3 staat online!", tags=["fiction"])
case("nl", pub("instagram", "@run4kwf"), "Sponsorloop voor KWF tegen kanker 🎗️ Smikkel doneert €1 per "
     "bezorgde maaltijd deze week, top!", tags=["mild-word", "literal"])
case("en", pub("x", "@burgerbro"), "this smash burger is sick 🔥 and damn, Smikkel was here in 15 minutes",
     tags=["mild-word"])
case("en", pub("instagram", "@couchchef"), "Hell's Kitchen marathon + Smikkel sushi = perfect friday night",
     tags=["mild-word"])
case("en", pub("x", "@quotebot_ams"), "\"Ask not what your courier can do for you...\" anyway shoutout to the "
     "Smikkel rider who climbed 5 floors with my ramen", tags=["quote", "praise"])
# --- negated complaints, praise, neutral questions
case("nl", pub("x", "@hanna_h"), "Geen klachten over Smikkel hoor, eten was binnen 20 min en nog gloeiend "
     "heet 🔥", tags=["negated-complaint"])
case("en", pub("x", "@raincheck_rob"), "not gonna complain, the Smikkel courier biked through the pouring rain "
     "and still smiled 🫶", tags=["negated-complaint"])
case("nl", pub("reddit", "u/vraagje123"), "Weet iemand of je bij Smikkel ook contant kunt betalen? Mijn opa "
     "wil het graag proberen", tags=["question"])
case("nl", pub("x", "@late_lunch"), "Kwikfork is wéér een uur te laat. Volgende keer gewoon Smikkel",
     tags=["other-company"])
# --- company and employee everyday posts
case("nl", C_FB, "We zoeken 40 nieuwe koeriers in Groningen! E-bike en warme jas van ons, jij zorgt voor de "
     "glimlach. Solliciteer via smikkel.nl/werken", tags=["corporate", "jobs"])
case("en", FERRY, "5 years at Smikkel today 🥳 from 3 restaurants in Rotterdam to all over the country. "
     "Grateful for this crew.", tags=["employee-everyday"])
case("nl", NOOR, "Regen, wind en 600 bestellingen per uur, en toch kwam alles op tijd. Trots op onze "
     "koeriers vanavond 💙", tags=["employee-everyday"])
case("en", SEM, "Gave a talk about our on-call culture at the Rotterdam SRE meetup. Slides are on my site, "
     "feedback welcome!", tags=["employee-everyday", "security-word"])
case("en", pub("x", "@smikkel_nl_fan", "Smikkel fan account"), "Ranking every Smikkel sticker I've ever "
     "gotten with my order, thread 🧵", tags=["lookalike-handle"])
case("en", pub("instagram", "@SMIKKEL.APP"), "Tag the friend who always orders dessert first 🍰👇",
     tags=["case-handle", "corporate"])


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
        if RANK[s] > RANK[sev]:
            sev = s
    return sev


# ===========================================================================
# building posts
# ===========================================================================

def dst_offset(t):
    start = dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc)
    end = dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc)
    return 2 if start <= t < end else 1


def random_time(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(3, 355))
    local = base + dt.timedelta(minutes=r.randint(6 * 60 + 30, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = dst_offset(local)
    utc = local - dt.timedelta(hours=off)
    p = r.random()
    if p < 0.4:
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if p < 0.85:
        return local.strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


B36 = string.digits + string.ascii_lowercase


def make_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_880_000_000_000_000_000, 2_020_000_000_000_000_000))
    if platform == "x":
        return "x-" + snow, f"https://x.com/{h}/status/{snow}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return "ig-" + snow, f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}_{b}", f"https://www.facebook.com/{a}/posts/{b}"
    if platform == "reddit":
        p = "".join(r.choice(B36) for _ in range(7))
        if kind == "comment":
            c = "".join(r.choice(B36) for _ in range(7))
            return "t1_" + c, f"https://www.reddit.com/r/thenetherlands/comments/{p}/_/{c}/"
        return "t3_" + p, f"https://www.reddit.com/r/thenetherlands/comments/{p}/"
    if platform == "tiktok":
        return "tt-" + snow, f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "threads":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return "th-" + snow, f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(111_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        v = "".join(r.choice(B64URL) for _ in range(11))
        return "yt-" + c, f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-thuiskok-{n}", f"https://forum.thuiskok.example/t/{n}"
    if platform == "blog":
        n = r.randint(10, 999)
        return f"blog-{h}-{n}", f"https://{h}/posts/{n}"
    n = r.randint(10 ** 8, 10 ** 9)
    return f"{platform}-{n}", None


def build(profile):
    gen = Gen(SEED)
    meta = random.Random(SEED + 1)
    order = random.Random(SEED + 2)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(gen, c["text"])
        pid, url = make_id(meta, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        created = c["when"] or random_time(meta)
        role = role_of(profile, c["platform"], c["handle"])
        validated = PII in c["cats"] and any(k in VALID_ID_KINDS for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and meta.random() < 0.65:
            kind = "post"
        if kind is not None:
            post["kind"] = kind
        acc = {"handle": c["handle"]}
        if c["name"] and meta.random() < 0.7:
            acc["display_name"] = c["name"]
        if meta.random() < 0.3:
            acc["id"] = str(meta.randint(10 ** 7, 10 ** 12))
        post["account"] = acc
        post["text"] = text
        pl = meta.random()
        tags = set(c["tags"])
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif pl < 0.1:
            pass
        elif pl < 0.13:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            tags.add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.45:
            post["brand"] = "smikkel"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=tags, used=used))
    order.shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ===========================================================================
# checker
# ===========================================================================

INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
NUM_RE = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
BSN_RE = re.compile(r"(?<![\w.,-])\d{8,9}(?![\w]|[.,-]\d)|(?<![\w.])\d{4}\.\d{2}\.\d{3}(?![\w])")
CARD_IIN = re.compile(r"^(4|5[1-5]|2(22[1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)|3[47])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-()]{7,16}\d")
SECRET_RES = [re.compile(p) for p in (
    r"ghp_[A-Za-z0-9]{36}", r"AKIA[A-Z2-7]{16}", r"xox[abprs]-[0-9A-Za-z-]{20,}", r"sk_live_[A-Za-z0-9]{20,}",
    r"AIza[0-9A-Za-z_-]{35}", r"-----BEGIN [A-Z ]*PRIVATE KEY-----", r"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+",
    r"[a-z]+://[^\s:/@]+:[^\s@/]+@", r"SG\.[\w-]{22}\.[\w-]{43}", r"sk-proj-[\w-]{40,}", r"glpat-[\w-]{20}",
    r"AC[0-9a-f]{32}")]
PROFANITY = ["kut", "kanker", "k4nker", "kkr", "tering", "t3ring", "tyfus", "klootzak", "debiel", "trut", "sukkel",
             "fuck", "f*ck", "shit", "moron", "idiot", "clown", "damn", "hell"]
MILD_OK = {"damn", "hell", "kanker"}
AMOUNT_RE = re.compile(r"(?:€\s?|EUR\s?)(\d[\d.,]*)|(\d[\d.,]*)\s?(?:euro|eur)\b", re.I)


def norm(t):
    t = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", t)).translate(INVIS)
    t = "".join(ch for ch in t if not unicodedata.combining(ch))
    return re.sub(r"\s+", " ", t).casefold()


def squash(t):
    return re.sub(r"\b(\w) (?=\w\b)", r"\1", norm(t))


def amount(s):
    s = s.rstrip(".,")
    if "," in s and "." in s:
        dec = "," if s.rfind(",") > s.rfind(".") else "."
        s = s.replace("." if dec == "," else ",", "").replace(dec, ".")
    elif "," in s:
        s = s.replace(",", ".") if re.search(r",\d{1,2}$", s) else s.replace(",", "")
    elif "." in s and not re.search(r"\.\d{1,2}$", s):
        s = s.replace(".", "")
    return float(s)


def price_ratio(text, products):
    t = norm(text)
    hit = [p for p in products if any(a.casefold() in t for a in [p["name"]] + p["aliases"])]
    amts = [amount(m.group(1) or m.group(2)) for m in AMOUNT_RE.finditer(t)]
    if not hit or not amts:
        return None
    return min(amts) / min(p["list_price"] for p in hit)


def phone_digits(raw):
    d = re.sub(r"\D", "", raw)
    if raw.startswith("0031"):
        d = "0" + d[4:]
    elif raw.startswith("+31"):
        d = d[2:]
        d = d if d.startswith("0") else "0" + d
    return d


def check(lines, rows, profile):
    errs = []
    own_mail = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_iban = {i.replace(" ", "") for i in profile["public_identifiers"]["ibans"]}
    own_phone = {phone_digits(p) for p in profile["public_identifiers"]["phones"]}
    assert OWN_IBAN in own_iban and iban_valid(OWN_IBAN)
    emb = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = [t.casefold() for t in profile["internal"]["codenames"] + profile["internal"]["domains"]
                + profile["internal"]["markers"]]
    by_key = {(r["post"]["platform"], r["post"]["id"]): r for r in rows}
    seen = set()
    for n, line in enumerate(lines, 1):
        w = f"line {n}"
        o = json.loads(line)
        p, ex = o["post"], o["expect"]
        for f in ("id", "platform", "text", "created_at"):
            assert isinstance(p[f], str), w
        assert isinstance(p["account"]["handle"], str)
        key = (p["platform"], p["id"])
        if key in seen:
            errs.append(f"{w}: duplicate id")
        seen.add(key)
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{w}: not in 2026")
        cats, sev = ex["categories"], ex["severity"]
        if cats != sorted(set(cats)) or any(c not in TAXONOMY or c == "reputation.spike" for c in cats):
            errs.append(f"{w}: bad categories {cats}")
        r = by_key[key]
        text = p["text"]
        # identifiers
        valid_ids = []
        for m in IBAN_RE.finditer(text):
            comp = m.group(0).replace(" ", "")
            for end in range(len(comp), 11, -1):
                if iban_valid(comp[:end]):
                    if comp[:end] not in own_iban:
                        valid_ids.append(comp[:end])
                    break
        for m in NUM_RE.finditer(text):
            d = re.sub(r"\D", "", m.group(0))
            if 13 <= len(d) <= 19 and luhn(d) and CARD_IIN.match(d):
                valid_ids.append(d)
        for m in BSN_RE.finditer(text):
            if elfproef(m.group(0)) and len(re.sub(r"\D", "", m.group(0))) == 9:
                valid_ids.append(m.group(0))
        want = severity_for(r["role"], cats, PII in cats and bool(valid_ids))
        if want != sev:
            errs.append(f"{w}: severity {sev} vs policy {want}")
        for kind, raw, shown in r["used"]:
            if shown not in text:
                errs.append(f"{w}: {kind} not in text")
            if kind in VALID_ID_KINDS:
                ok = iban_valid(raw) if kind.startswith("IBAN") else luhn(raw) if kind == "CARD" else elfproef(raw)
                if not ok:
                    errs.append(f"{w}: {kind} fails checksum")
            if kind.startswith("BAD_IBAN") and iban_valid(raw):
                errs.append(f"{w}: bad IBAN passes")
            if kind == "BAD_CARD" and luhn(raw):
                errs.append(f"{w}: bad card passes")
            if kind == "NOT_BSN" and elfproef(raw):
                errs.append(f"{w}: not-bsn passes")
            if kind == "GHP" and base62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errs.append(f"{w}: ghp crc")
        if valid_ids and PII not in cats:
            errs.append(f"{w}: valid identifier {valid_ids} without leak.pii")
        if not cats:
            if sev != "none" or valid_ids:
                errs.append(f"{w}: benign has severity/ids")
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_mail:
                    errs.append(f"{w}: benign e-mail {e}")
            for m in PHONE_RE.finditer(IBAN_RE.sub(" ", text)):
                d = phone_digits(m.group(0))
                if len(d) == 10 and d not in own_phone:
                    errs.append(f"{w}: benign phone {m.group(0)}")
            for rx in SECRET_RES:
                for m in rx.finditer(text):
                    if "XXXX" not in m.group(0):
                        errs.append(f"{w}: benign secret-like {m.group(0)[:16]}")
            low = norm(text)
            for word in PROFANITY:
                if re.search(r"(?<!\w)" + re.escape(word), low) and word not in MILD_OK:
                    errs.append(f"{w}: benign profanity {word}")
            ratio = price_ratio(text, profile["products"])
            if ratio is not None and ratio < profile["pricing"]["alert_below_ratio"] \
                    and "price-context" not in r["tags"]:
                errs.append(f"{w}: benign low price ratio {ratio:.2f}")
        nt, sq = norm(text), squash(text)
        for term, until in emb:
            if term in nt or term in sq:
                if ts < until and CONF not in cats:
                    errs.append(f"{w}: embargo term {term} before {until} unlabelled")
                if ts >= until and CONF in cats and "embargo-before" in r["tags"]:
                    errs.append(f"{w}: embargo tag but after")
        for term in internal:
            if re.search(r"(?<![\w.])" + re.escape(term) + r"(?!\w)", nt) or term in sq:
                if CONF not in cats:
                    errs.append(f"{w}: internal term {term} unlabelled")
        if PRICING in cats:
            ratio = price_ratio(text, profile["products"])
            if ratio is None or ratio >= 0.5:
                errs.append(f"{w}: pricing positive without a low ratio ({ratio})")
    # near duplicates
    sh = []
    for line in lines:
        words = re.findall(r"\w+", norm(json.loads(line)["post"]["text"]))
        sh.append({tuple(words[i:i + 3]) for i in range(max(0, len(words) - 2))})
    for i in range(len(sh)):
        for j in range(i + 1, len(sh)):
            if sh[i] and sh[j] and len(sh[i] & sh[j]) / len(sh[i] | sh[j]) > 0.3:
                errs.append(f"lines {i + 1},{j + 1}: near duplicate")
    return errs


def report(rows):
    cat, cat_lang, cat_role, sev, lang, role, plat = (Counter() for _ in range(7))
    multi = evasion = benign = 0
    for r in rows:
        cats = r["expect"]["categories"]
        lang[r["lang"]] += 1
        role[r["role"]] += 1
        plat[r["post"]["platform"]] += 1
        sev[r["expect"]["severity"]] += 1
        if not cats:
            benign += 1
        multi += len(cats) > 1
        evasion += "evasion" in r["tags"]
        for c in cats or ["(benign)"]:
            cat[c] += 1
            cat_lang[(c, r["lang"])] += 1
            cat_role[(c, r["role"])] += 1
    print(f"cases {len(rows)}  benign {benign}  positive {len(rows) - benign}  multi {multi}  evasion {evasion}")
    for c in TAXONOMY[:-1] + ["(benign)"]:
        print(f"  {c:22s} {cat[c]:4d}  nl {cat_lang[(c, 'nl')]:3d} en {cat_lang[(c, 'en')]:3d}  "
              f"corp {cat_role[(c, 'corporate')]:3d} emp {cat_role[(c, 'employee')]:3d} "
              f"pub {cat_role[(c, 'public')]:3d}")
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
