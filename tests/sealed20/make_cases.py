#!/usr/bin/env python3
"""Deterministic generator for the sealed20 blind evaluation set of postwatch.

    python3 make_cases.py            # (re)write cases.jsonl next to this file
    python3 make_cases.py --check    # regenerate in memory, compare with cases.jsonl,
                                     # validate every line, print counts

Company: the fictional Dutch ticketing platform "Podiumloket B.V." (profile.yaml).
All post texts are hand-written below. Identifiers and secrets are filled in from
placeholders like <<IBAN_NL>> by one seeded RNG, so the output is reproducible byte
for byte. Positives get checksum-VALID identifiers (IBAN mod-97, Luhn, BSN 11-proof);
near-miss benign posts get numbers that FAIL their checksum. Every secret is random
and fake, but shaped like the real thing (GitHub tokens carry a correct CRC32).

Severity is never typed by hand: severity_for() derives it from CONTRACT section 4,
the account role (from profile.yaml by platform:handle, case-insensitive), the
categories, and whether a checksum-valid identifier (IBAN, card, BSN) is present.
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

import yaml

SEED = 20261120
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
CATEGORIES = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
              "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]

ZW = "\u200b"     # zero-width space
ZWNJ = "\u200c"   # zero-width non-joiner
SHY = "\u00ad"    # soft hyphen
CYR_O = "\u043e"  # Cyrillic small o, looks like Latin o
CYR_P = "\u0420"  # Cyrillic capital Er, looks like Latin P
CYR_A = "\u0430"  # Cyrillic small a


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


def iban_build(country, bban):
    n = int("".join(str(int(c, 36)) for c in bban + country + "00"))
    return f"{country}{98 - n % 97:02d}{bban}"


def luhn_valid(num):
    d = re.sub(r"\D", "", num)
    s = 0
    for i, ch in enumerate(reversed(d)):
        v = int(ch)
        if i % 2:
            v = v * 2 - 9 if v > 4 else v * 2
        s += v
    return bool(d) and s % 10 == 0


def bsn_valid(num):
    d = re.sub(r"\D", "", num)
    if len(d) == 8:
        d = "0" + d
    if len(d) != 9:
        return False
    t = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return t != 0 and t % 11 == 0


B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def base62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
DOC_LETTERS = "ABCDEFGHIJKLMNPQRSTUVWXYZ"   # Dutch document numbers never use the letter O


class Gen:
    """All placeholder values come from one seeded RNG, drawn in CASES order."""

    def __init__(self, seed):
        self.r = random.Random(seed)

    def digits(self, n, lead=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if lead and s[0] == "0" else s

    def pick(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    # IBANs
    def iban(self, country):
        if country == "NL":
            bank = self.r.choice(["RABO", "INGB", "ABNA", "SNSB", "BUNQ", "KNAB", "ASNB", "TRIO"])
            v = iban_build("NL", bank + self.digits(10, lead=True))
            return v if v != "NL13INGB0007713420" else self.iban("NL")
        if country == "BE":
            head = self.r.choice(["001", "068", "363", "737", "973"]) + self.digits(7)
            return iban_build("BE", f"{head}{int(head) % 97 or 97:02d}")
        if country == "DE":
            return iban_build("DE", self.r.choice(["10010010", "50070010", "37050198", "76026000"])
                              + self.digits(10))
        raise ValueError(country)

    def bad_iban(self, country):
        v = self.iban(country)
        for step in (7, 19, 31, 45, 58):
            cand = f"{v[:2]}{(int(v[2:4]) + step) % 100:02d}{v[4:]}"
            if not iban_valid(cand):
                return cand
        raise AssertionError

    # cards
    def card(self, brand):
        body = {"visa": lambda: "4" + self.digits(14),
                "mc": lambda: "5" + self.r.choice("12345") + self.digits(13),
                "mc2": lambda: str(self.r.randint(2221, 2720)) + self.digits(11),
                "amex": lambda: self.r.choice(["34", "37"]) + self.digits(12)}[brand]()
        for d in string.digits:
            if luhn_valid(body + d):
                return body + d
        raise AssertionError

    def bad_card(self, brand):
        v = self.card(brand)
        bad = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_valid(bad)
        return bad

    @staticmethod
    def card_fmt(v, style):
        if style == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if style == "dash" else " ").join(parts)

    # BSN and look-alikes
    def bsn(self):
        while True:
            s = self.digits(9, lead=True)
            if bsn_valid(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.digits(n, lead=True)
            if not bsn_valid(s) and not luhn_valid(s):
                return s

    def not_luhn(self, n, first):
        while True:
            s = first + self.digits(n - len(first))
            if not luhn_valid(s):
                return s

    def docnr(self):
        return self.pick(DOC_LETTERS, 2) + self.pick(DOC_LETTERS + "0123456789", 6) + self.digits(1)

    # phones
    def phone(self, style):
        mob = self.r.choice("123456") + self.digits(7)      # 8 digits after '06'
        return {
            "mob_dash": f"06-{mob}",
            "mob_plain": f"06{mob}",
            "mob_sp": f"06 {mob[:4]} {mob[4:]}",
            "mob_pairs": f"06 {mob[:2]} {mob[2:4]} {mob[4:6]} {mob[6:]}",
            "mob_intl": f"+31 6 {mob[:4]} {mob[4:]}",
            "mob_intl_c": f"+316{mob}",
            "mob_0031": f"0031 6 {mob}",
            "mob_dots": f"06.{mob[:2]}.{mob[2:4]}.{mob[4:6]}.{mob[6:]}",
            "land_010": f"010-{self.r.choice('2345') + self.digits(6)}",
            "land_intl": f"+31 30 {self.r.choice('2369')}{self.digits(2)} {self.digits(4)}",
        }[style]

    # secrets
    def ghp(self):
        body = self.pick(ALNUM, 30)
        return "ghp_" + body + base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def glpat(self):
        return "glpat-" + self.pick(ALNUM + "-_", 20)

    def mollie(self):
        return "live_" + self.pick(ALNUM, 30)

    def sendgrid(self):
        return "SG." + self.pick(B64URL, 22) + "." + self.pick(B64URL, 43)

    def stripe(self):
        return "sk_live_" + self.pick(ALNUM, 24)

    def gapi(self):
        return "AIzaSy" + self.pick(B64URL, 33)

    def slack_bot(self):
        return f"xoxb-{self.digits(11, True)}-{self.digits(13, True)}-{self.pick(ALNUM, 24)}"

    def aws_id(self):
        return "AKIA" + self.pick(B32, 16)

    def aws_secret(self):
        return self.pick(B64, 40)

    def jwt(self):
        enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
        iat = 1780000000 + self.r.randint(0, 9000000)
        head = enc({"alg": "RS256", "typ": "JWT", "kid": "scan-" + self.digits(3)})
        body = enc({"sub": "crew_" + self.digits(5, True), "aud": "scan-gateway", "scope": "tickets:scan",
                    "iat": iat, "exp": iat + 43200})
        return f"{head}.{body}.{self.pick(B64URL, 86)}"

    def pem_openssh(self):
        rows = ["b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAABlwAAAAdzc2gtcn"]
        rows += [self.pick(B64, 70) for _ in range(5)] + [self.pick(B64, 22) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(rows) + "\n-----END OPENSSH PRIVATE KEY-----"

    def password(self):
        return (self.r.choice(string.ascii_uppercase) + self.pick(string.ascii_lowercase, 4)
                + self.digits(2) + self.r.choice("!*-_~.") + self.pick(ALNUM, 4))

    def hexs(self, n):
        return self.pick("0123456789abcdef", n)


VALID_ID = {"IBAN_NL", "IBAN_BE", "IBAN_DE", "CARD", "BSN"}
INVALID_ID = {"BAD_IBAN_NL", "BAD_CARD", "NOT_BSN9", "NOT_BSN8", "NOT_LUHN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(gen, text):
    used = []

    def sub(m):
        kind, fmt = m.group(1), m.group(2) or ""
        if kind in ("IBAN_NL", "IBAN_BE", "IBAN_DE"):
            raw = gen.iban(kind[-2:])
            shown = " ".join(raw[i:i + 4] for i in range(0, len(raw), 4)) if fmt == "grp" else raw
        elif kind == "BAD_IBAN_NL":
            raw = gen.bad_iban("NL")
            shown = " ".join(raw[i:i + 4] for i in range(0, len(raw), 4)) if fmt == "grp" else raw
        elif kind in ("CARD", "BAD_CARD"):
            brand, _, style = fmt.partition("_")
            while True:
                raw = gen.card(brand) if kind == "CARD" else gen.bad_card(brand)
                shown = gen.card_fmt(raw, style or "sp")
                if not re.search(r"[ -]0", shown):
                    break
        elif kind == "BSN":
            raw = gen.bsn()
            shown = f"{raw[:3]}.{raw[3:6]}.{raw[6:]}" if fmt == "dots" else raw
        elif kind == "NOT_BSN9":
            shown = raw = gen.not_bsn(9)
        elif kind == "NOT_BSN8":
            shown = raw = gen.not_bsn(8)
        elif kind == "NOT_LUHN":
            while True:
                raw = gen.not_luhn(16, "7")
                shown = " ".join(raw[i:i + 4] for i in range(0, 16, 4))
                if " 0" not in shown:
                    break
        elif kind == "DOCNR":
            shown = raw = gen.docnr()
        elif kind == "PHONE":
            shown = raw = gen.phone(fmt)
        elif kind == "HEX":
            shown = raw = gen.hexs(int(fmt))
        else:
            fn = {"GHP": gen.ghp, "GLPAT": gen.glpat, "MOLLIE": gen.mollie, "SENDGRID": gen.sendgrid,
                  "STRIPE": gen.stripe, "GAPI": gen.gapi, "SLACK_BOT": gen.slack_bot, "AWS_ID": gen.aws_id,
                  "AWS_SECRET": gen.aws_secret, "JWT": gen.jwt, "PEM_OPENSSH": gen.pem_openssh,
                  "PW": gen.password}[kind]
            shown = raw = fn()
        used.append((kind, raw, shown))
        return shown

    return PH.sub(sub, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

# corporate
PL_X = ("x", "@podiumloket", "Podiumloket")
PL_HELP = ("x", "@podiumloket_hulp", "Podiumloket Klantenservice")
PL_IG = ("instagram", "@podiumloket", "Podiumloket")
PL_TT = ("tiktok", "@podiumloket.nl", "Podiumloket")
PL_LI = ("linkedin", "podiumloket", "Podiumloket B.V.")
PL_FB = ("facebook", "PodiumloketNL", "Podiumloket")
DD_X = ("x", "@dijkdansfestival", "Dijkdans Festival")
# employees
WB = ("x", "@wessel_codeert", "Wessel Brouwer")                   # backend developer
IV = ("linkedin", "ilse-van-dam-podiumloket", "Ilse van Dam")     # finance controller
YM = ("x", "@yara_sre", "Yara Mulder")                            # SRE / operations
SV = ("instagram", "@stijn.aan.de.poort", "Stijn Verhoef")        # event-day crew lead, gates
KB = ("linkedin", "karim-bouzid", "Karim Bouzid")                 # partnerships, organiser accounts
FS = ("threads", "@femkedraait", "Femke Smit")                    # customer service agent
JK = ("linkedin", "joost-kramer-hr", "Joost Kramer")              # HR
LD = ("bluesky", "lindedekker.bsky.social", "Linde Dekker")       # product manager, app


def pub(platform, handle, name=None):
    return (platform, handle, name)


PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle=None):
    platform, h, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle or h, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", WB, "eh. waarom staat de Dijkdans weekendpas nu voor €17,90 in de shop 😳 volgens mij is er bij de "
     "nachtelijke import een nul weggevallen. hotfix loopt, ff niet rondsturen", [PRICING])
case("en", pub("reddit", "u/festivalfomo_nl"), "Dijkdans weekend ticket is showing €19 on podiumloket.nl instead of "
     "€179?? has to be a pricing error. grabbed two just in case, confirmation mail already in my inbox 👀",
     [PRICING])
case("en", KB, "To the organisers I work with: if this month's Organiser Pro invoice says €14.90, that is a billing "
     "configuration mistake on our side, the corrected invoice follows. Would appreciate it if this stays between "
     "us for now 🙏", [PRICING])
case("nl", PL_IG, "🎉 Alleen vandaag voor organisatoren: de ScanKit S2 voor €44,90!! Op = op 🔗 link in bio "
     "#organisatoren #ticketing", [PRICING])
case("en", YM, "rolled back the catalogue service at 02:10. for ~40 min the ScanKit S2 was €4.49 in the organiser "
     "store because cents got converted to euros twice 🙃 not public yet, pls no screenshots", [PRICING])
case("nl", pub("tiktok", "@evi.gaat.los"), "pov: je scoort een Dijkdans combi ticket voor €1,79 omdat podiumloket "
     "een prijsfoutje heeft 💀💀 #dijkdans #prijsfout #festivalszn", [PRICING])
case("nl", pub("x", "@dealdieter"), "p r i j s f o u t bij podiumloket!!! loketpas plus voor 3 euro ipv 35. rennen "
     "mensen", [PRICING], tags=["evasion", "evasion:spaced"])
case("en", pub("threads", "@bargainbram"), f"Org Pro for €1.49 a month on P{CYR_O}diumloket rn (yes, one forty-nine) "
     "— gotta be a glitch lol, signed up my cousin's band", [PRICING], tags=["evasion", "evasion:homoglyph"])
case("nl", pub("x", "@sjoerdjeee"), f"Dijkdans week{ZW}endpas voor 18 euro??? dat is toch een prijs{ZW}fout, "
     "snel zijn", [PRICING], tags=["evasion", "evasion:zero-width"])
case("nl", FS, "Collega's: belt er iemand over een Dijkdans dagticket van €8,90, dat was de prijsfout van vannacht. "
     "We mogen NIKS toezeggen, wacht op het belscript van de teamleads", [PRICING])
case("nl", IV, "Korte update voor het team: door een fout in de tariefkoppeling is LoketPas Plus sinds zondag "
     "afgerekend voor €3,49 i.p.v. €34,95. Het gaat om ruim 2.000 nieuwe leden. We zoeken uit hoe we dit "
     "rechttrekken, graag nog niet naar buiten brengen.", [PRICING])
case("nl", WB, "Dijkdans weekendpas staat sinds 09:00 op €17,90, zie "
     "git.podiumloket.dev/shop/pricing/-/issues/311. fix mag pas na de freeze 😬", [PRICING, CONF])

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", WB, "can someone explain why the mollie webhook keeps 401ing on staging?? using <<MOLLIE>> in the .env, "
     "same one as prod 🙃", [SECRET])
case("en", pub("reddit", "u/apk_poker"), "Decompiled the Podiumloket Android app (v7.3) for fun. There's a hard-coded "
     "Google Maps key in res/values/strings.xml: <<GAPI>>\nUnrestricted, works from any origin I tried.", [SECRET],
     kind="post")
case("nl", WB, "Kan iemand checken of deze key nog in een authorized_keys staat? Hoort bij de oude ticket-export "
     "job, wil hem weg hebben:\n<<PEM_OPENSSH>>", [SECRET])
case("en", YM, "psql being weird again. DATABASE_URL=postgresql://tickets_rw:<<PW>>@pg-main.intra.podiumloket.local"
     ":5432/tickets gives connection refused from the runner but works from my laptop. ideas?", [SECRET, CONF])
case("en", WB, "github actions keeps rejecting my PAT, is it scoped wrong? <<GHP>> — it needs repo + workflow "
     "right?", [SECRET])
case("en", pub("blog", "sanderpeeters.dev", "Sander Peeters"), "Short write-up: the Podiumloket organiser SDK on npm "
     "ships a SendGrid key in dist/config.js (<<SENDGRID>>). I sent the details to pers@podiumloket.nl last week "
     "and have had no reply so far.", [SECRET])
case("nl", SV, "Nieuwe build van de scan-app op mijn telefoon maar hij pakt mijn login niet 🤔 token is Bearer <<JWT>> "
     "als iemand van dev even wil meekijken 🙏 #crewlife", [SECRET])
case("en", pub("x", "@nightowl_infosec"), "lol podiumloket's support account posted a Slack bot token and deleted it "
     "4 minutes later. screenshot: <<SLACK_BOT>> — hope someone over there rotates it", [SECRET])
case("nl", SV, "w a c h t w o o r d van de kassa-laptop bij de muntenverkoop: Dijkdans#2026 💃 (briefje is "
     "zoekgeraakt)", [SECRET], tags=["evasion", "evasion:spaced"])
case("en", YM, "creds for the load-test bucket, they never expire lol:\naws_access_key_id = <<AWS_ID>>\n"
     "aws_secret_access_key = <<AWS_SECRET>>", [SECRET])
case("en", pub("forum", "kassatijger"), "Podiumloket's checkout widget embeds <<STRIPE>> in the page source. That "
     "is a secret key, not a publishable one. Pretty sure that is not supposed to be there.", [SECRET])
case("en", WB, "note to self + team: release bot token is <<GLPAT>>, rotate after the big on-sale friday",
     [SECRET], handle="@Wessel_Codeert")
case("nl", pub("x", "@lisa_lisa_nl"), "@podiumloket_hulp kom mijn account niet in!! mail is "
     "lisa.vermaat97@gmail.com en ww Zonnebloem77, wat doe ik fout? al 2 dagen bezig 😩", [SECRET, PII, COMPLAINT],
     kind="reply")

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", FS, "Kan iemand van finance even kijken? Meneer Bakkal wacht al 3 weken op zijn geld van de afgelaste "
     "show, rekening <<IBAN_NL:grp>>. Hij belt echt elke dag", [PII])
case("nl", PL_HELP, "@saskia_vd Hoi Saskia! Je tickets zijn opnieuw verstuurd naar saskia.vandijk84@gmail.com. "
     "Kijk ook even in je spam 🎟️", [PII], kind="reply")
case("en", pub("x", "@m_okafor"), "@podiumloket_hulp my card <<CARD:visa>> got charged THREE times for one Dijkdans "
     "ticket!!! fix this", [PII, COMPLAINT], kind="reply")
case("nl", SV, "Wie mist deze? Gevonden bij poort B: ID-kaart van Tessa Gerritsen, geboren 14-03-2001, "
     "documentnummer <<DOCNR>>. Ligt bij de crewtent 🙏 #dijkdans", [PII])
case("nl", pub("facebook", "ria.kuijpers.9", "Ria Kuijpers"), "Ik wil gewoon mijn geld terug voor het afgelaste "
     "concert!! Al 4x gemaild. Mijn IBAN is <<IBAN_NL>> t.n.v. R. Kuijpers. Waar blijft het Podiumloket??",
     [PII, COMPLAINT])
case("nl", JK, "Welkom aan onze 6 nieuwe collega's! 🎉 Praktisch puntje: Sander, je BSN <<BSN>> komt niet overeen "
     "met wat in AFAS staat, kun je het even nakijken?", [PII])
case("en", pub("reddit", "u/dubbeldekker22"), "Selling 2 Dijkdans weekend passes at face value through Podiumloket "
     "resale, or just text me <<PHONE:mob_dash>> and we'll sort it", [PII], kind="comment")
case("nl", FS, "deze mevrouw belde vandaag 6x: J. de Graaf, Lindelaan 22, 3941 KT Doorn. Wil haar ticket 'ruilen' "
     "voor een heel ander concert 🙄", [PII])
case("en", pub("x", "@tomverh"), "spare Dijkdans ticket for sat!! dm me or mail tom.verhulst [at] hotmail [dot] com",
     [PII], tags=["evasion", "evasion:obfuscated-email"])
case("nl", PL_FB, "🎉 Gewonnen! De 2 Dijkdans weekendpassen gaan naar Jasmijn Koster uit Zwolle (geboren 02-09-1998). "
     "We bellen je vandaag nog op <<PHONE:mob_pairs>>!", [PII])
case("en", YM, "pasting the failing payment webhook for debugging: {\"customer\":\"lieke.boon@ziggo.nl\","
     "\"card\":\"<<CARD:mc_c>>\",\"amount\":17900,\"status\":\"failed\"}", [PII])
case("en", IV, "Organiser payout to Bart Wuyts (sole trader, Wuyts Events) bounced again, IBAN <<IBAN_BE:grp>>. "
     "Anyone in treasury know if Belgian accounts need a BIC in the new batch file?", [PII])
case("en", pub("x", "@hannah_k_ber"), "@podiumloket_hulp refund still not here after 6 weeks. it's a German account, "
     "<<IBAN_DE>>, please just send it", [PII, COMPLAINT], kind="reply", hint="")
case("en", pub("x", "@jkwakman"), "Podiumloket charged my Amex <<CARD:amex_sp>> twice for one resale ticket and "
     "support just closes my ticket 😡", [PII, COMPLAINT])
case("nl", pub("forum", "zaalmanager_gert"), "Vraagje aan andere organisatoren: Podiumloket vraagt voor de "
     "uitbetaling mijn BSN, is dat normaal? Heb het gewoon ingevuld: <<BSN:dots>>. Klopt dat zo?",
     [PII])

# ===========================================================================
# leak.confidential
# ===========================================================================
case("en", KB, "Sneak peek for a few of our biggest organisers 👀 attached: 'PL-INTERN — Organiser roadmap H2'. "
     "Feedback welcome!", [CONF])
case("en", LD, "LoketPas Max is going to blow your mind. Can't share the launch date yet 🤐", [CONF],
     when="2026-09-22T16:41:07+02:00")
case("en", pub("blog", "appradar.nl", "AppRadar"), "Rumour: Podiumloket Wallet lands in October. A screenshot from "
     "the closed beta shows tickets, drink tokens and a locker code in one screen.", [CONF],
     when="2026-08-28T09:12:00Z")
case("nl", pub("x", "@festivalfreak_ams"), "LoketPas Max!!! stond net heel even op de site van podiumloket, met "
     "eerder toegang tot de wachtrij 👀", [CONF], when="2026-10-06T09:59:30+02:00")
case("nl", DD_X, "Oeps 🙈 de poster met de line-up Dijkdans 2027 stond een paar minuten te vroeg online. Jullie "
     "hebben niks gezien 👀", [CONF], when="2026-11-19T19:45:00+01:00")
case("nl", WB, "vandaag de eerste load test van Operatie\nZandloper gedraaid, 400k nepfans in de rij en niks "
     "omgevallen 😎", [CONF], tags=["evasion", "evasion:line-break"])
case("nl", pub("x", "@zusvanlotte"), "Project 🎵 Metronoom = dynamische prijzen bij Podiumloket, zegt mijn zus die "
     "er werkt. Let maar op", [CONF], tags=["evasion", "evasion:emoji-split"])
case("nl", IV, "Board deck is af 💪 er staat 'intern - niet delen' in koeienletters op, dus van mij horen jullie "
     "verder niks 😇", [CONF], handle="Ilse-van-Dam-Podiumloket")
case("en", pub("forum", "htmlhenk"), "found this in an html comment on the podiumloket organiser portal: "
     "<!-- TODO remove before launch: backoffice.podiumloket.nl/admin/orgs --> lol", [CONF])
case("nl", FS, "Collega's, de nieuwe macro's voor Dijkdans-vragen staan op "
     "https://intra.podiumloket.local/ks/macros, gebruik die aub ipv je eigen teksten", [CONF])
case("en", SV, "scanning with the new " + fullwidth("Polaris-Q") + " build at the gates tonight, so much faster 🙌",
     [CONF], tags=["evasion", "evasion:full-width"])
case("nl", IV, "Jaarcijfers 2026 zijn bijna rond. Wat een jaar was het 🙏", [CONF],
     when="2026-12-18T17:20:00+01:00")
case("nl", pub("x", "@stijn_aan_de_poort"), "Stiekem al getest: Operatie Zandloper. Jullie gaan het merken bij de "
     "volgende grote kaartverkoop 😏", [CONF])

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", IV, "Q3 valt een stuk beter uit dan de forecast: omzet rond de €41 mln en voor het eerst EBITDA-positief. "
     "Officieel pas in november, dus mondje dicht 🤫", [FIN], when="2026-10-08T18:02:11+02:00")
case("en", KB, "Big news coming: we're in the final stretch of talks to acquire Kaartjesbeurs. Can't say more until "
     "the deal closes 😉", [FIN], when="2026-04-14T11:03:00+02:00")
case("nl", JK, "Zwaar gesprek vandaag. De klantenservice gaat per 1 januari naar een partner in Lissabon en 38 fte "
     "vervalt. De teams horen het pas volgende week.", [FIN])
case("en", pub("reddit", "u/amsterdamvc_watch"), "Heard from someone in their finance team that Podiumloket is "
     "raising a €60m round at a €400m valuation, term sheet signed last week", [FIN])
case("nl", WB, "all-hands net: tech gaat van 9 naar 5 teams en 'een aantal functies vervalt'. nog niks officieel "
     "maar de sfeer is 💀", [FIN])
case("en", IV, "Forecast for the full year is now €12m EBITDA, up from €8m in the plan. Not public until the "
     "results, obviously.", [FIN])
case("nl", pub("x", "@beurswijsneus"), "Insider tip: Podiumloket wordt overgenomen door een Amerikaanse "
     "ticketreus, wordt volgende maand aangekondigd. Mijn zwager zit in de due diligence.", [FIN])
case("nl", LD, f"Rotdag. De helft van het app-team krijgt vandaag te horen dat ze ont{SHY}slagen worden, officieel "
     "pas volgende week", [FIN], tags=["evasion", "evasion:soft-hyphen"])
case("nl", KB, "Het contract met Zuiderpark Live wordt niet verlengd, scheelt ons zo'n 2,3 miljoen omzet volgend "
     "jaar. Weten ze daar zelf ook nog niet.", [FIN])
case("en", YM, "overheard near the boardroom: the CFO is out next month and the Belgian entity gets folded into NL. "
     "you didn't hear it from me", [FIN])
case("nl", IV, "Budget 2027 is goedgekeurd: de servicekosten per ticket gaan per 1 maart naar €4,95. Het "
     "persbericht komt pas in februari.", [FIN])
case("en", IV, "PL-INTERN: FY2026 results will show revenue of €171m, 16% above plan. Board sign-off Thursday.",
     [FIN, CONF], when="2026-12-09T08:30:00Z")

# ===========================================================================
# leak.security
# ===========================================================================
case("en", YM, "we're getting hammered by a DDoS on the queue servers right now, 2.3M req/s. comms hasn't said "
     "anything yet so pls don't RT", [SEC])
case("nl", WB, "ehm. via de transfer-API kun je met een ander ordernummer gewoon andermans QR-tickets downloaden 😬 "
     "fix staat voor morgen, tot dan graag stilhouden", [SEC])
case("en", SV, "All scanners at the Dijkdans gates are offline because the ticket DB is down since 14:00, we're "
     "letting people in on printed lists. Nothing on socials yet 🙈", [SEC], when="2026-07-11T14:37:00+02:00")
case("nl", IV, "Finance-share vannacht versleuteld door ransomware. IT communiceert niks naar buiten tot maandag, "
     "wij doen alles weer op papier 🙃", [SEC])
case("en", pub("reddit", "u/quietpacket"), "Podiumloket had a breach last month and they're keeping quiet. A mate "
     "in their IT says the organiser accounts table leaked. No notification to anyone.", [SEC, CRISIS])
case("nl", pub("x", "@privacy_pieter"), "Waarom zegt Podiumloket niks? Mensen daar weten al weken dat de ID-scans "
     "van de leeftijdscheck open en bloot online stonden #datalek #podiumloket", [SEC, CRISIS])
case("en", LD, "Heads up team: the pen test found that the Android app stores session tokens unencrypted. Patch "
     "ships in 7.4, no disclosure until then.", [SEC])
case("nl", YM, "we zijn geh4ckt 🫠 er zit sinds gisteren iemand in onze mailserver, CISO zegt niks naar buiten",
     [SEC], tags=["evasion", "evasion:leet"])
case("en", FS, "FYI for support: the bot attack on the resale page is why accounts are getting locked. Don't tell "
     "customers it's an attack, just say 'maintenance' 🤐", [SEC])
case("nl", SV, "Onze 'draaiende' QR-codes draaien al 3 weken niet door een bug, een screenshot werkt dus gewoon bij "
     "de poort. Organisatoren weten van niks", [SEC])
case("en", WB, f"the storage bucket with customer ID uploads was pub{ZW}lic for 3 weeks 😶 legal says no "
     "disclosure yet", [SEC], tags=["evasion", "evasion:zero-width"])
case("nl", pub("facebook", "marco.hendriks.771", "Marco Hendriks"), "Podiumloket verzwijgt een hack. Ik kreeg een "
     "mail van hun helpdesk met tickets van vreemden erin, en nu ontkennen ze alles.", [SEC, CRISIS])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@lotje_boos"), "BOYCOT PODIUMLOKET. Dynamische prijzen voor de Racoon-tour, kaartjes van 65 "
     "naar 240 euro binnen een uur. Koop daar niks meer! #boycotpodiumloket", [CRISIS])
case("en", pub("x", "@consumerwatch_nl"), "The Consumentenbond is taking Podiumloket to court over hidden service "
     "fees. About time.", [CRISIS], kind="repost")
case("en", pub("x", "@ravewithrik"), "Crowd crush at the Dijkdans entrance tonight, scanners failed and they "
     "closed the gates. People fainting. Podiumloket runs this festival, this is on them", [CRISIS],
     when="2026-07-11T21:18:00+02:00")
case("nl", pub("facebook", "poppodium.de.schuur", "Poppodium De Schuur"), "Onze ScanKit S2 werd gloeiend heet en "
     "begon te roken achter de kassa 😳 Als organisator durven we hem niet meer te gebruiken, @Podiumloket?",
     [CRISIS, COMPLAINT])
case("en", pub("reddit", "u/stagehand_mo"), "Is Podiumloket recalling the ScanKit S2 batteries? Saw a notice in an "
     "organiser group that some units swell up. Anyone know more?", [CRISIS], kind="post")
case("nl", pub("x", "@eerlijkkaartje"), "Schandalig: Podiumloket verkoopt via zijn eigen resale kaartjes door voor 3x "
     "de prijs. Dit is gewoon woekerhandel #schandaal", [CRISIS])
case("en", pub("x", "@ginnyz"), "d a t a b r e a c h at podiumloket, my name and address are on pastebin",
     [CRISIS], tags=["evasion", "evasion:spaced"])
case("nl", pub("x", "@boos_op_alles"), "P0diuml0ket heeft een d4t4l3k, al mijn gegevens liggen op straat",
     [CRISIS], tags=["evasion", "evasion:leet"])
case("en", pub("youtube", "@privacyweekly"), "the Podiumloket scandal is insane, they sold fan data to an ad broker "
     "without consent. GDPR fine incoming", [CRISIS], kind="comment")
case("en", pub("x", "@clubdeboei"), "Our ScanKit S2 gave a crew member an electric shock while charging. Podiumloket "
     "support says 'not reproducible'. Unacceptable.", [CRISIS, COMPLAINT])
case("nl", pub("x", "@woedendewout"), "Podiumloket zijn gewoon oplichters en criminelen, datalek na datalek. Boycot "
     "die tyfusclub", [CRISIS, ABUSE])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@froukjefanmila"), "Drie uur in de wachtrij voor Froukje en op plek 12 eruit gegooid: 'sessie "
     "verlopen'. @podiumloket dit is echt bizar slecht", [COMPLAINT])
case("en", pub("x", "@dnzz"), "the podiumloket app wouldn't load my QR at the gate. no signal, no offline mode. "
     "stood there 20 mins while the queue behind me lost it", [COMPLAINT])
case("nl", pub("facebook", "els.vanbeek.52", "Els van Beek"), "€4,50 servicekosten per kaartje + €2,95 "
     "'transactiekosten'. Voor een PDF. Serieus Podiumloket?", [COMPLAINT])
case("en", pub("reddit", "u/ticketless_in_utrecht"), "Resold my tickets through Podiumloket resale 5 weeks ago. "
     "Buyer got them, I still haven't been paid. Support keeps saying 'in progress'.", [COMPLAINT])
case("en", pub("instagram", "@kelderpop.events"), "Organiser here. Payouts from Podiumloket are 3 weeks late AGAIN and "
     "nobody answers in the organiser portal. Our crew needs to get paid.", [COMPLAINT])
case("nl", pub("forum", "teleurgestelde_theaterganger"), "Mijn ervaring met Podiumloket: voorstelling verplaatst, ik "
     "kan niet op de nieuwe datum, geld terug gevraagd → 'alleen een voucher'. Mag dat wettelijk eigenlijk nog wel?",
     [COMPLAINT])
case("en", pub("youtube", "@jaimy_vlogt"), "podiumloket queue said 'you're in!' and then it sold out before the "
     "checkout even loaded. what is the point of a queue", [COMPLAINT], kind="comment")
case("nl", pub("x", "@gijs_in_de_rij"), f"Waardeloos: P{ZWNJ}odiumloket heeft mijn bestelling geannuleerd en ik krijg "
     "mijn geld pas over 14 dagen terug", [COMPLAINT], tags=["evasion", "evasion:zero-width"])
case("en", pub("x", "@presale_pam"), "Bought LoketPas Plus for the presale access, presale code never arrived and "
     "now it's sold out. I want my €34.95 back.", [COMPLAINT])
case("nl", pub("x", "@kevin_r"), "Wachtrij open om 10:00, ik zit om 9:58 in de wachtkamer en krijg plek 184.302??? "
     "Mijn collega kwam om 10:05 en zat op plek 900. Hoe dan Podiumloket", [COMPLAINT])
case("nl", pub("linkedin", "henk-smeets-events"), "Als kleine organisator betaal ik €149 per maand voor Organiser "
     "Pro, en check-in-lijsten exporteren naar Excel kan nog steeds niet. Teleurgesteld.", [COMPLAINT])
case("en", pub("mastodon", "blindfan@toot.community"), "Podiumloket's website is basically unusable with a screen "
     "reader. Tried to buy theatre tickets, gave up after half an hour.", [COMPLAINT], hint="nl")
case("nl", pub("x", "@moeilijkemirte"), fullwidth("podiumloket") + " = klantonvriendelijk. Betaald, maar geen "
     "ticket ontvangen en niemand reageert", [COMPLAINT], tags=["evasion", "evasion:full-width"])
case("nl", pub("stocktwits", "festivalvader"), "Podiumloket klantenservice laat me al een week in de kou staan over "
     "het verplaatste concert van mijn dochter. Wat een dienstverlening.", [COMPLAINT], kind="message")

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@rrrrrobin"), "@podiumloket_hulp jullie zijn echt een stelletje kankerlijers", [ABUSE],
     kind="reply")
case("en", pub("twitter", "@notachillguy"), "@podiumloket_hulp whoever runs this account is a brain-dead moron", [ABUSE],
     kind="reply")
case("nl", pub("x", "@tess_fury"), "die Femke van de klantenservice van Podiumloket is echt een domme trut", [ABUSE])
case("en", pub("x", "@patriot_pete88"), "podiumloket helpdesk is all foreigners who can't even speak Dutch, send "
     "them back where they came from", [ABUSE])
case("nl", pub("x", "@bozebart"), "Podiumloket k*tbedrijf, stelletje kl**tzakken", [ABUSE],
     tags=["evasion", "evasion:masked"])
case("en", PL_HELP, "@bramvanr maybe learn to read before you whine at us, clown 🤡", [ABUSE], kind="reply",
     handle="@PodiumLoket_Hulp")
case("nl", FS, "klant van net noemde me een hoer omdat haar ticket niet laadde. ik word zo moe van al die "
     "debielen 🙃", [ABUSE])
case("en", pub("x", "@rvdmeer"), "podiumloket = one big sh1tshow run by id1ots", [ABUSE],
     tags=["evasion", "evasion:leet"])
case("en", pub("x", "@feesarefraud"), "fuck podiumloket and fuck their 'service fees', €11 extra on two tickets",
     [ABUSE, COMPLAINT])
case("nl", pub("x", "@nina_ndl"), "@podiumloket kutapp, 3x gecrasht tijdens het afrekenen en nu is alles "
     "uitverkocht", [ABUSE, COMPLAINT], kind="reply")
case("en", SV, "to the drunk idiot who spat at my crew at gate C: you're a pathetic piece of shit", [ABUSE],
     handle="@Stijn.Aan.De.Poort")
case("nl", pub("x", "@hardeharm"), f"{CYR_P}odiumloket is een bende oplichters en hun CEO is een vieze graaier",
     [ABUSE], tags=["evasion", "evasion:homoglyph"])

# ===========================================================================
# benign (hard negatives first)
# ===========================================================================
# own contact data
case("nl", PL_HELP, "Vragen over je bestelling? Bel 020 262 44 00 (ma t/m vr 9-17u) of mail "
     "klantenservice@podiumloket.nl. We helpen je graag! 🎟️", tags=["own-contact"])
case("nl", pub("x", "@scamalert_nl"), "Voor wie twijfelt of dat betaalverzoek echt is: Podiumloket gebruikt alleen "
     "NL13 INGB 0007 7134 20, staat ook onderaan hun facturen. Al het andere = phishing ⚠️", tags=["own-contact"])
case("nl", PL_FB, "Tijdens de feestdagen zijn we bereikbaar via 0900-8800 (lokaal tarief). Journalisten kunnen "
     "mailen naar pers@podiumloket.nl 🎄", tags=["own-contact"], when="2026-12-19T11:30:00+01:00")
case("en", pub("reddit", "u/helpful_hanneke"), "Podiumloket's real support number is +31 20 262 4400, not the mobile "
     "number going round in that facebook group. That one's a scam.", tags=["own-contact"], kind="comment")
case("nl", KB, "Organisator en vragen over Organiser Pro? Mail organisatoren@podiumloket.nl, je hebt binnen een "
     "werkdag antwoord.", tags=["own-contact"])
case("en", pub("x", "@oldskool_olga"), "Called podiumloket on 0031 20 2624400 from abroad, had a person on the line "
     "in 2 minutes. Wow.", tags=["own-contact"])
# numbers that fail their checksum, order and ticket numbers
case("nl", pub("x", "@typfoutje"), "Typfoutje in mijn IBAN (<<BAD_IBAN_NL:grp>>) bij de aanvraag voor geld terug, "
     "de site gaf meteen een foutmelding. Netjes dat ze dat checken 👍", tags=["bad-checksum"])
case("nl", pub("x", "@vraagjevanvera"), "@podiumloket_hulp ordernummer <<NOT_BSN9>>: kan ik die tickets nog op naam "
     "van mijn vriendin zetten?", tags=["order-number"], kind="reply")
case("nl", pub("instagram", "@roosmarijn.live"), "Tip: laadt je QR niet bij de ingang, dan kunnen ze ook het "
     "ticketnummer intikken. Staat onder de code, bij mij van gisteren (al gescand dus boeie): <<NOT_LUHN>>",
     tags=["ticket-number"])
case("nl", PL_LI, "Organisatoren: vul je KvK-nummer in bij je uitbetaalgegevens, anders blijft je payout hangen. "
     "Voorbeeld uit onze handleiding: KvK <<NOT_BSN8>>.", tags=["kvk-number"])
case("nl", PL_X, "⚠️ Let op: nepmails 'van Podiumloket' vragen je kaartnummer te bevestigen, bijvoorbeeld "
     "<<BAD_CARD:mc>>. Wij vragen NOOIT om je kaartgegevens per mail.", tags=["bad-checksum"])
case("nl", pub("x", "@gekkegerda"), "formulier bij podiumloket vroeg om 'klantnummer', ik vulde per ongeluk "
     "123456789 in en hij pakte het gewoon 😂", tags=["bad-checksum"])
# prices that are not leaks
case("nl", PL_X, "Early bird Dijkdans weekendpas: €139 (normaal €179) t/m zondag 🌞 Op = op. "
     "podiumloket.nl/dijkdans", tags=["price-talk"])
case("en", pub("x", "@lenteloes"), "Can't make it anymore 😢 my Dijkdans day ticket is up on Podiumloket Resale "
     "for €40, who wants it?", tags=["price-talk", "second-hand"])
case("nl", pub("x", "@fleur_festival"), "€3,95 servicekosten bovenop mijn Dijkdans weekendpas, valt eigenlijk best "
     "mee vergeleken met vorig jaar", tags=["price-talk", "fee"])
case("en", PL_LI, "New organisers get Organiser Pro at 20% off for their first three months: €119.20 a month. "
     "Details at organisers.podiumloket.nl", tags=["price-talk"])
case("en", pub("reddit", "u/smallvenue_sam"), "Ticketmeester sells their scanner for €99, Podiumloket's ScanKit S2 "
     "is €449. Anyone used both? Is the S2 worth it for a 300-cap venue?", tags=["price-talk", "competitor"],
     kind="post")
case("nl", DD_X, "Met de code DIJK50 krijg je €50 korting op je Dijkdans weekendpas, alleen dit weekend 💃",
     tags=["price-talk", "discount-amount"])
case("nl", PL_HELP, "@wouter_w Nee hoor, geen prijsfout: LoketPas Plus is deze week echt €24,95 als actie 😊",
     tags=["price-talk", "denied-error"], kind="reply")
# codename words, public domains, embargo after the moment
case("nl", pub("x", "@wachtrijwendy"), "Zandlopertje in de app draaide 20 minuten maar toen had ik ze gewoon 🙌 "
     "#dijkdans", tags=["codename-word"])
case("nl", pub("instagram", "@drummer.daan"), "Metronoom op 120 en gaan, oefenen voor de open podium avond 🥁",
     tags=["codename-word"])
case("nl", pub("x", "@sterrenkijker"), "Polaris vanavond prachtig te zien boven het festivalterrein ✨ #dijkdans",
     tags=["codename-word"])
case("nl", PL_X, "Hij is er: Podiumloket Wallet! 🎉 Al je tickets, muntjes en je kluiscode op één plek. Update "
     "de app en probeer het.", tags=["after-embargo"], when="2026-10-20T09:00:00+02:00")
case("nl", pub("x", "@dijkdanser_dirk"), "line-up Dijkdans 2027 is eindelijk bekend en ik ga huilen 😭😍",
     tags=["after-embargo"], when="2026-11-19T20:00:00+01:00")
case("nl", PL_X, "Vanaf vandaag: LoketPas Max ✨ Eerder in de wachtrij, gratis ticketverzekering en geen "
     "transferkosten. podiumloket.nl/loketpas", tags=["after-embargo"], when="2026-10-06T10:00:00+02:00")
case("en", pub("x", "@orga_olivia"), "organisers.podiumloket.nl got a new look, finally a dark mode for the sales "
     "dashboard 🙌", tags=["public-domain"])
# published results, other companies
case("nl", PL_LI, "Onze jaarcijfers 2025 staan online: omzet €148 mln (+22%). Het volledige verslag lees je op "
     "podiumloket.nl/investors", tags=["published-results"])
case("nl", pub("x", "@mediawatcher"), "Ticketmeester schrapt 200 banen, las ik in het FD. Hopelijk blijft het bij "
     "Podiumloket rustig.", tags=["other-company"])
case("nl", pub("x", "@muziekbizz"), "Net in het nieuws: Podiumloket heeft de overname van Kaartjesbeurs officieel "
     "afgerond. Benieuwd wat het voor resale betekent.", tags=["published-news"], when="2026-06-02T08:15:00+02:00")
case("en", pub("twitter", "@tixnews"), "Ticketmeester confirms a data breach affecting 1.2m accounts. If you reuse "
     "passwords, change them now.", tags=["other-company"])
case("nl", pub("x", "@rechtspraakjunkie"), "Consumentenbond wint rechtszaak tegen Ticketmeester over verborgen "
     "servicekosten. Benieuwd of andere verkopers nu ook gaan bewegen.", tags=["other-company"])
# official notices
case("nl", PL_HELP, "🔧 Gepland onderhoud: vannacht tussen 02:00 en 04:00 is de app niet bereikbaar. Tickets die je "
     "al in de app hebt blijven gewoon zichtbaar.", tags=["official-notice"])
case("nl", PL_X, "Update: de storing in de wachtrij van vanochtend is verholpen. Iedereen die eruit viel heeft een "
     "mail met een nieuwe toegangslink. Sorry!", tags=["official-notice"])
case("en", PL_LI, "We're hiring a Security Engineer 🔐 Help us keep the tickets of four million fans safe. "
     "Apply via podiumloket.nl/vacatures", tags=["hiring"])
# negations, jokes, quotes, mild words
case("nl", pub("x", "@kattenmens"), "mijn kat liep over het toetsenbord en ineens stond ik op plek 1 in de wachtrij. "
     "beste hacker ooit 🐈", tags=["joke"])
case("nl", pub("instagram", "@sterkesanne"), "Kanker overwonnen en nu eindelijk naar Dijkdans 🎉 Dank aan iedereen "
     "die me erdoorheen sleepte", tags=["mild-word", "literal"])
case("en", pub("x", "@acdcdad"), "'Highway to Hell' as the closer at Dijkdans, what a night 🤘", tags=["quote"])
case("en", pub("x", "@theatretara"), "damn, Carré is gorgeous inside. Podiumloket tickets were sorted in a minute.",
     tags=["mild-word"])
case("nl", pub("x", "@oma_gaat_los"), "Mijn oma boycot al 40 jaar alles met een synthesizer, maar ze ging wel mee "
     "naar Dijkdans en stond vooraan 😂", tags=["other-sense"])
case("en", pub("x", "@nuchterenora"), "Recall? Relax, that was a power bank from some discount store, not the "
     "ScanKit. Panic over nothing.", tags=["other-sense"])
case("nl", pub("x", "@feestbeest_fay"), "Schandalig goed optreden gisteren op Dijkdans 🔥🔥🔥", tags=["other-sense"])
case("en", pub("x", "@checkdeafzender"), "No, Podiumloket did not have a breach. It was a phishing mail pretending "
     "to be them. Always check the sender, people!", tags=["negation"])
case("nl", pub("x", "@blijeboris"), "Geen klachten over Podiumloket deze keer: binnen 5 min door de wachtrij en de "
     "QR deed het meteen 👌", tags=["negation"])
case("nl", pub("x", "@rijmoe"), "Ticketmeester is echt een drama, 4 uur in de rij. Volgende keer gewoon via "
     "Podiumloket", tags=["competitor"])
case("nl", pub("facebook", "yvonne.timmer.12", "Yvonne Timmer"), "Weet iemand of je bij Podiumloket een ticket op "
     "naam van iemand anders kunt zetten? Mijn man kan niet mee.", tags=["question"])
case("en", pub("x", "@offgridoscar"), "Was worried the app wouldn't work without signal but the QR loaded offline "
     "no problem. Chapeau podiumloket", tags=["praise"])
case("en", pub("other", "noveldrafts:marit"), "Chapter 3 is up: my villain screams at the poor ticket seller in "
     "the box office, and for once the seller screams back. Fiction, folks.", tags=["fiction"])
# secret look-alikes
case("nl", WB, "Tip: zet je Mollie key nooit in je frontend. live_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx hoort alleen "
     "server-side, test_ keys lokaal.", tags=["placeholder"])
case("en", YM, "deployed <<HEX:40>> to prod, queue p99 latency looks lovely 📈", tags=["git-sha"])
case("nl", PL_HELP, "We vragen nooit om je wachtwoord via DM of telefoon. Zo'n bericht gehad? Meld het via "
     "klantenservice@podiumloket.nl", tags=["own-contact"])
# ordinary company and employee posts
case("en", SV, "What a night at gate A: 18,000 scans and not a single hiccup 💪 #crewlife #dijkdans", tags=["ordinary"])
case("en", KB, "Great session at ADE with organisers about fair ticketing and resale caps. Thanks all who joined!",
     tags=["ordinary"])
case("en", LD, "We're hiring! A product designer for the app. Details on podiumloket.nl/vacatures", tags=["hiring"])
case("nl", pub("other", "trustreviews:ruud_k"), "Vijf sterren. Kaartjes voor de musical binnen twee minuten "
     "geregeld, duidelijke bevestiging en geen gedoe bij de zaal.", tags=["praise"])
case("nl", PL_TT, "3 tips voor de wachtrij bij een grote kaartverkoop: 1) log vooraf in 2) één tabblad "
     "3) ververs niet 🙏", tags=["ordinary"])
case("en", JK, "Proud to see our customer service team win the NL Service Award this year 🏆", tags=["ordinary"])
case("en", pub("mastodon", "gigs@muziek.social"), "Reminder that Podiumloket has a 'sell back to us' option if "
     "you can't go. Used it yesterday, money back in 3 days.", tags=["praise"])


# ===========================================================================
# severity (CONTRACT section 4)
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
        sev = max(sev, s, key=RANK.get)
    return sev


# ===========================================================================
# building posts
# ===========================================================================

def ams_offset(t_utc):
    start = dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc)
    end = dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc)
    return 2 if start <= t_utc < end else 1


def random_time(r):
    base = dt.datetime(2026, 1, 3, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(0, 350))
    local = base + dt.timedelta(minutes=r.randint(8 * 60, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = ams_offset(local)
    utc = local - dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.88:
        return local.strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


B36 = string.digits + string.ascii_lowercase


def make_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_900_000_000_000_000_000, 2_050_000_000_000_000_000))
    if platform in ("x", "twitter"):
        return ("x-" if platform == "x" else "tw-") + snow, f"https://x.com/{h}/status/{snow}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"ig-{sc}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        n = r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{h}-{n}", f"https://www.facebook.com/{h}/posts/{n}"
    if platform == "reddit":
        p = "".join(r.choice(B36) for _ in range(7))
        if kind == "comment":
            c = "".join(r.choice(B36) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/festivals_nl/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/festivals_nl/comments/{p}/"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        return f"yt-{c}", None
    if platform == "threads":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"th-{sc}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(113_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{n}", f"https://{inst}/@{user}/{n}"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-festivalforum-{n}", f"https://festivalforum.example/t/{n}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog-{h}-{n}", f"https://{h}/p/{n}"
    n = r.randint(10 ** 7, 10 ** 9)
    return f"{platform}-{n}", None


def build(profile):
    gen = Gen(SEED)
    meta = random.Random(SEED + 7)
    order = random.Random(SEED + 13)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(gen, c["text"])
        pid, url = make_id(meta, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        created = c["when"] or random_time(meta)
        role = role_of(profile, c["platform"], c["handle"])
        validated = "leak.pii" in c["cats"] and any(k in VALID_ID for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and meta.random() < 0.65:
            kind = "post"
        if kind is not None:
            post["kind"] = kind
        acct = {"handle": c["handle"]}
        if c["name"] and meta.random() < 0.7:
            acct["display_name"] = c["name"]
        if meta.random() < 0.3:
            acct["id"] = str(meta.randint(10 ** 7, 10 ** 12))
        post["account"] = acct
        post["text"] = text
        x = meta.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
                if c["hint"] != c["lang"]:
                    c["tags"].add("wrong-lang-hint")
        elif x < 0.1:
            pass
        elif x < 0.13:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            c["tags"].add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.45:
            post["brand"] = "dijkdans" if "dijkdans" in text.casefold() else "podiumloket"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=set(c["tags"]), used=used))
    order.shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ===========================================================================
# checker
# ===========================================================================

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
NUM_RE = re.compile(r"(?<![\w.])\d(?:[ .-]?\d){7,18}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-().]{7,16}\d")
SECRET_RES = [re.compile(p) for p in (
    r"ghp_[A-Za-z0-9]{36}", r"glpat-[\w-]{20}", r"\blive_[A-Za-z0-9]{30}\b", r"SG\.[\w-]{22}\.[\w-]{43}",
    r"sk_live_\w{20,}", r"AIza[\w-]{35}", r"xox[bp]-[\w-]{20,}", r"AKIA[A-Z2-7]{16}", r"-----BEGIN [A-Z ]*PRIVATE KEY",
    r"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+", r"://[^\s:/@]+:[^\s@/]+@")]
PROFANE = ["kut", "kanker", "tyfus", "kl**tzak", "klootzak", "trut", "debiel", "hoer", "fuck", "shit", "sh1t", "idiot",
           "id1ot", "moron", "clown", "hell", "damn", "graaier", "oplichter"]
MILD_OK = {"hell", "damn", "kanker"}


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVIS)
    return re.sub(r"\s+", " ", t).casefold()


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def valid_ids(text, own_ibans):
    hits = []
    for m in IBAN_RE.finditer(text):
        c = m.group(0).replace(" ", "")
        for end in range(len(c), 11, -1):
            if iban_valid(c[:end]):
                if c[:end] not in own_ibans:
                    hits.append(("iban", c[:end]))
                break
    for m in NUM_RE.finditer(text):
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19 and luhn_valid(d) and re.match(r"(4|5[1-5]|2[2-7]|3[47])", d):
            hits.append(("card", d))
        if len(d) == 9 and re.fullmatch(r"\d{9}|\d{3}\.\d{3}\.\d{3}", m.group(0)) and bsn_valid(d):
            hits.append(("bsn", d))
        if len(d) == 8 and re.fullmatch(r"\d{8}", m.group(0)) and bsn_valid(d):
            hits.append(("bsn8", d))
    return hits


def check(lines, rows, profile):
    errors = []
    own_ibans = set(profile["public_identifiers"]["ibans"])
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_phone_digits = {"0202624400", "09008800"}
    internal = ([c.casefold() for c in profile["internal"]["codenames"]]
                + [d.casefold() for d in profile["internal"]["domains"]]
                + [m.casefold() for m in profile["internal"]["markers"]])
    embargo = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    seen = set()
    for n, (line, r) in enumerate(zip(lines, rows), 1):
        where = f"line {n}"
        obj = json.loads(line)
        p, ex = obj["post"], obj["expect"]
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                errors.append(f"{where}: {f} missing")
        if not RFC3339.match(p["created_at"]) or parse_ts(p["created_at"]).astimezone(dt.timezone.utc).year != 2026:
            errors.append(f"{where}: bad created_at {p['created_at']}")
        if (p["platform"], p["id"]) in seen:
            errors.append(f"{where}: duplicate id")
        seen.add((p["platform"], p["id"]))
        cats, sev = ex["categories"], ex["severity"]
        if cats != sorted(set(cats)) or any(c not in CATEGORIES for c in cats):
            errors.append(f"{where}: bad categories {cats}")
        role = role_of(profile, p["platform"], p["account"]["handle"])
        text = p["text"]
        ids = valid_ids(text, own_ibans)
        want = severity_for(role, cats, "leak.pii" in cats and bool(ids))
        if want != sev:
            errors.append(f"{where}: severity {sev} but policy gives {want}")
        for kind, raw, shown in r["used"]:
            if shown not in text:
                errors.append(f"{where}: {kind} not in text")
            ok = {"IBAN_NL": iban_valid, "IBAN_BE": iban_valid, "IBAN_DE": iban_valid, "CARD": luhn_valid,
                  "BSN": bsn_valid}.get(kind)
            if ok and not ok(raw):
                errors.append(f"{where}: {kind} {raw} fails its checksum")
            bad = {"BAD_IBAN_NL": iban_valid, "BAD_CARD": luhn_valid, "NOT_BSN9": bsn_valid,
                   "NOT_BSN8": bsn_valid, "NOT_LUHN": luhn_valid}.get(kind)
            if bad and bad(raw):
                errors.append(f"{where}: negative {kind} {raw} passes its checksum")
            if kind == "GHP" and base62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errors.append(f"{where}: ghp checksum")
        if ids and "leak.pii" not in cats:
            errors.append(f"{where}: valid identifier {ids} without leak.pii")
        nt = norm(text)
        squashed = re.sub(r"\b(\w) (?=\w\b)", r"\1", nt)
        ts = parse_ts(p["created_at"])
        for term, until in embargo:
            if term in nt and ts < until and "leak.confidential" not in cats:
                errors.append(f"{where}: embargo term {term!r} before its end without leak.confidential")
        for term in internal:
            if re.search(r"(?<![\w.])" + re.escape(term) + r"(?!\w)", nt) and "leak.confidential" not in cats:
                errors.append(f"{where}: internal term {term!r} without leak.confidential")
        if not cats:
            if ids:
                errors.append(f"{where}: benign with valid identifier {ids}")
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_emails:
                    errors.append(f"{where}: benign with e-mail {e}")
            for m in PHONE_RE.finditer(IBAN_RE.sub(" ", text)):
                d = re.sub(r"\D", "", m.group(0))
                d = "0" + d[2:] if m.group(0).startswith("+31") else "0" + d[4:] if d.startswith("0031") else d
                if len(d) >= 10 and d not in own_phone_digits:
                    errors.append(f"{where}: benign with phone {m.group(0)}")
            for rx in SECRET_RES:
                if any(not re.fullmatch(r"live_x+", m.group(0)) for m in rx.finditer(text)):
                    errors.append(f"{where}: benign with secret-like {rx.pattern}")
            for w in PROFANE:
                if re.search(r"\b" + re.escape(w), squashed) and not (w in MILD_OK and r["tags"] & {"mild-word", "quote"}):
                    errors.append(f"{where}: benign with word {w!r}")
            if not r["tags"]:
                errors.append(f"{where}: benign without a tag")
    return errors


def report(rows):
    total = len(rows)
    cat, cat_lang, cat_role = Counter(), Counter(), Counter()
    lang, role, sev, plat = Counter(), Counter(), Counter(), Counter()
    benign = multi = evasion = 0
    for r in rows:
        cats = r["expect"]["categories"]
        lang[r["lang"]] += 1
        role[r["role"]] += 1
        sev[r["expect"]["severity"]] += 1
        plat[r["post"]["platform"]] += 1
        keys = cats or ["(benign)"]
        benign += not cats
        multi += len(cats) > 1
        evasion += "evasion" in r["tags"]
        for c in keys:
            cat[c] += 1
            cat_lang[(c, r["lang"])] += 1
            cat_role[(c, r["role"])] += 1
    print(f"cases {total}, benign {benign}, positive {total - benign}, multi-category {multi}, evasion {evasion}")
    print(f"{'category':24s} total   nl   en  corp  empl  publ")
    for c in CATEGORIES + ["(benign)"]:
        print(f"{c:24s} {cat[c]:5d} {cat_lang[(c, 'nl')]:4d} {cat_lang[(c, 'en')]:4d} "
              f"{cat_role[(c, 'corporate')]:5d} {cat_role[(c, 'employee')]:5d} {cat_role[(c, 'public')]:5d}")
    print("languages:", dict(lang), " roles:", dict(role))
    print("severities:", {s: sev[s] for s in SEVERITIES})
    print("platforms:", dict(plat.most_common()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    lines = dump(rows)
    if not args.check:
        OUT.write_text("".join(lines), encoding="utf-8")
        print(f"wrote {len(lines)} cases to {OUT}")
        return 0
    disk = OUT.read_text(encoding="utf-8").splitlines(keepends=True)
    errors = check(disk, rows, profile) if len(disk) == len(lines) else ["line count differs"]
    if disk != lines:
        errors.append("cases.jsonl differs from what make_cases.py generates")
    report(rows)
    print(f"{len(errors)} error(s)")
    for e in errors:
        print("  ERROR", e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
