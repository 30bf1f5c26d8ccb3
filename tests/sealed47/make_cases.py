#!/usr/bin/env python3
"""Deterministic generator for the sealed47 blind evaluation set.

    python3 make_cases.py          # writes cases.jsonl next to this file
    python3 make_cases.py --check  # regenerate in memory, compare, validate, print counts

Company: Hummelhof Kinderopvang B.V. (fictional Dutch childcare organisation),
see profile.yaml in this folder.

Every text below is hand-written for this set. Identifiers and secrets are filled
in from placeholders like <<IBAN_NL>> by one seeded RNG, so the output is
byte-for-byte reproducible. Positives get checksum-VALID identifiers (IBAN mod-97,
Luhn, BSN 11-proof); hard negatives get look-alikes that FAIL their checksum.
Secrets are random and fake but shaped like the real thing (ghp_ tokens carry a
correct CRC32).

Severity is never typed by hand: it is computed from CONTRACT section 4 from the
account role (looked up in profile.yaml by platform:handle, case-insensitive), the
categories, and whether a checksum-validated identifier is in the text.
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

SEED = 47_2026_0611
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}

SECRET, PII, PRICING, CONF, FIN, SEC = ("leak.secret", "leak.pii", "leak.pricing",
                                        "leak.confidential", "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"
CATEGORIES = [SECRET, PII, PRICING, CONF, FIN, SEC, CRISIS, COMPLAINT, ABUSE]

ZW = "\u200b"    # zero-width space
SHY = "\u00ad"   # soft hyphen
CYR_O = "\u043e"  # Cyrillic small o, looks like Latin o


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------

def iban_valid(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    moved = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


def iban_build(country, bban):
    moved = bban + country + "00"
    return f"{country}{98 - int(''.join(str(int(c, 36)) for c in moved)) % 97:02d}{bban}"


def luhn_valid(s):
    d = [int(c) for c in re.sub(r"\D", "", s)][::-1]
    if not d:
        return False
    tot = 0
    for i, x in enumerate(d):
        if i % 2:
            x *= 2
            x -= 9 if x > 9 else 0
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
    d = [int(c) for c in s]
    return (sum(d[i] * (3 if i % 2 else 1) for i in range(12)) + d[12]) % 10 == 0


OWN_IBAN = "NL66RABO0312445567"
assert iban_valid(OWN_IBAN)
OWN_IBAN_GRP = " ".join(OWN_IBAN[i:i + 4] for i in range(0, len(OWN_IBAN), 4))

# ---------------------------------------------------------------------------
# seeded values
# ---------------------------------------------------------------------------

AN = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = string.ascii_letters + string.digits + "+/"
B64U = string.ascii_letters + string.digits + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def to_b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Rng:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def num(self, n, lead=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        if lead and s[0] == "0":
            s = self.r.choice("123456789") + s[1:]
        return s

    def pick(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    # IBANs
    def iban(self, country):
        if country == "NL":
            while True:
                v = iban_build("NL", self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "ASNB", "BUNQ", "KNAB", "TRIO"])
                               + self.num(10, lead=True))
                if v != OWN_IBAN:
                    return v
        if country == "BE":
            first = self.r.choice(["001", "063", "068", "143", "735"]) + self.num(7)
            return iban_build("BE", f"{first}{int(first) % 97 or 97:02d}")
        if country == "DE":
            return iban_build("DE", self.r.choice(["10010010", "37050198", "50070010", "76050101"]) + self.num(10))
        raise ValueError(country)

    def bad_iban(self, country):
        v = self.iban(country)
        for delta in (7, 19, 31, 44):
            cand = f"{v[:2]}{(int(v[2:4]) + delta) % 100:02d}{v[4:]}"
            if not iban_valid(cand):
                return cand
        raise AssertionError

    # cards
    def card(self, brand):
        if brand == "visa":
            return luhn_finish("4" + self.num(14))
        if brand == "mc":
            return luhn_finish("5" + self.r.choice("12345") + self.num(13))
        if brand == "mc2":
            return luhn_finish(str(self.r.randint(2221, 2720)) + self.num(11))
        if brand == "amex":
            return luhn_finish(self.r.choice(["34", "37"]) + self.num(12))
        raise ValueError(brand)

    def bad_card(self, brand):
        v = self.card(brand)
        bad = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_valid(bad)
        return bad

    # BSN and look-alikes
    def bsn(self):
        while True:
            s = self.num(9, lead=True)
            if elfproef(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.num(n, lead=True)
            if not elfproef(s) and not luhn_valid(s):
                return s

    def ean13(self):
        while True:
            body = "87" + self.num(10)
            cand = next(body + c for c in "0123456789" if ean13_valid(body + c))
            if not luhn_valid(cand) and not elfproef(cand):
                return cand

    def passport(self):
        letters = "ABCDEFGHIJKLMNPQRSTUVWXYZ"  # no O in Dutch document numbers
        return self.pick(letters, 2) + self.pick(letters + string.digits, 6) + self.num(1)

    # phones
    def phone(self, fmt):
        m = self.r.choice("12345") + self.num(7)          # mobile after '06'
        area = self.r.choice(["10", "15", "20", "23", "30", "33", "35", "40", "50", "70", "73", "76"])
        sub = self.r.choice("2345789") + self.num(6)
        return {
            "mob_dash": f"06-{m}",
            "mob_plain": f"06{m}",
            "mob_pairs": f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}",
            "mob_intl": f"+31 6 {m[:4]} {m[4:]}",
            "mob_intl_c": f"+316{m}",
            "mob_0031": f"0031 6 {m}",
            "mob_intl0": f"+31(0)6 {m[:2]} {m[2:5]} {m[5:]}",
            "mob_dots": f"06.{m[:2]}.{m[2:4]}.{m[4:6]}.{m[6:]}",
            "land_dash": f"0{area}-{sub}",
            "land_sp": f"0{area} {sub[:3]} {sub[3:5]} {sub[5:]}",
            "land_intl": f"+31 {area} {sub[:3]} {sub[3:]}",
        }[fmt]

    # secrets
    def ghp(self):
        body = self.pick(AN, 30)
        return "ghp_" + body + to_b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def github_pat(self):
        return "github_pat_11" + self.pick(string.ascii_uppercase + string.digits, 20) + "_" + self.pick(AN, 59)

    def aws_id(self):
        return "AKIA" + self.pick(B32, 16)

    def aws_secret(self):
        return self.pick(B64, 40)

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return f"https://hooks.slack.com/services/T{self.pick(up, 8)}/B{self.pick(up, 10)}/{self.pick(AN, 24)}"

    def slack_bot(self):
        return f"xoxb-{self.num(12, True)}-{self.num(13, True)}-{self.pick(AN, 24)}"

    def stripe(self):
        return "sk_live_51" + self.pick(AN, 97)

    def mollie(self):
        return "live_" + self.pick(AN, 30)

    def sendgrid(self):
        return "SG." + self.pick(B64U, 22) + "." + self.pick(B64U, 43)

    def gapi(self):
        return "AIzaSy" + self.pick(B64U, 33)

    def jwt(self):
        head = b64u(b'{"alg":"RS256","typ":"JWT","kid":"hh-prod-2"}')
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        body = {"sub": "ouder-" + self.num(7, True), "iss": "https://api.hummelhof.nl",
                "scope": "photos:read messages:write", "iat": iat, "exp": iat + 900}
        return f"{head}.{b64u(json.dumps(body, separators=(',', ':')).encode())}.{self.pick(B64U, 86)}"

    def pem_ec(self):
        der = (bytes.fromhex("30770201010420") + bytes(self.r.randrange(256) for _ in range(32))
               + bytes.fromhex("a00a06082a8648ce3d030107a14403420004")
               + bytes(self.r.randrange(256) for _ in range(64)))
        b = base64.b64encode(der).decode()
        return ("-----BEGIN EC PRIVATE KEY-----\n" + "\n".join(b[i:i + 64] for i in range(0, len(b), 64))
                + "\n-----END EC PRIVATE KEY-----")

    def pem_openssh(self):
        first = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
        rows = [first] + [self.pick(B64, 70) for _ in range(3)] + [self.pick(B64, 26) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(rows) + "\n-----END OPENSSH PRIVATE KEY-----"

    def password(self):
        w = self.r.choice(["Knuffel", "Zandbak", "Glijbaan", "Pannenkoek", "Egeltje", "Regenboog", "Schommel"])
        return w + self.num(2) + self.r.choice("!#*$") + self.pick(AN, 3)

    def hexs(self, n):
        return self.pick("0123456789abcdef", n)


VALID_ID = {"IBAN_NL", "IBAN_BE", "IBAN_DE", "CARD", "BSN"}
INVALID_ID = {"BAD_IBAN_NL", "BAD_IBAN_BE", "BAD_CARD", "NOT_BSN9", "NOT_BSN8", "EAN13"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def grp4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def fmt_card(v, style):
    if style == "c":
        return v
    parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
    return ("-" if style == "dash" else " ").join(parts)


def render(g, text):
    used = []

    def sub(m):
        kind, fmt = m.group(1), m.group(2) or ""
        if kind in ("IBAN_NL", "IBAN_BE", "IBAN_DE"):
            raw = g.iban(kind[-2:])
            shown = grp4(raw) if fmt == "grp" else raw
        elif kind in ("BAD_IBAN_NL", "BAD_IBAN_BE"):
            raw = g.bad_iban(kind[-2:])
            shown = grp4(raw) if fmt == "grp" else raw
        elif kind in ("CARD", "BAD_CARD"):
            brand, _, style = fmt.partition("_")
            raw = g.card(brand) if kind == "CARD" else g.bad_card(brand)
            shown = fmt_card(raw, style or "sp")
        elif kind == "BSN":
            raw = g.bsn()
            shown = {"dots": f"{raw[:4]}.{raw[4:6]}.{raw[6:]}",
                     "sp3": f"{raw[:3]} {raw[3:6]} {raw[6:]}"}.get(fmt, raw)
        elif kind == "NOT_BSN9":
            shown = raw = g.not_bsn(9)
        elif kind == "NOT_BSN8":
            shown = raw = g.not_bsn(8)
        elif kind == "EAN13":
            shown = raw = g.ean13()
        elif kind == "PASSPORT":
            shown = raw = g.passport()
        elif kind == "PHONE":
            shown = raw = g.phone(fmt)
        elif kind == "NUM":
            shown = raw = g.num(int(fmt), lead=True)
        elif kind == "HEX":
            shown = raw = g.hexs(int(fmt))
        else:
            fn = {"GHP": g.ghp, "GHPAT": g.github_pat, "AWS_ID": g.aws_id, "AWS_SECRET": g.aws_secret,
                  "SLACK_HOOK": g.slack_hook, "SLACK_BOT": g.slack_bot, "STRIPE": g.stripe,
                  "MOLLIE": g.mollie, "SENDGRID": g.sendgrid, "GAPI": g.gapi, "JWT": g.jwt,
                  "PEM_EC": g.pem_ec, "PEM_OPENSSH": g.pem_openssh, "PW": g.password}[kind]
            shown = raw = fn()
        used.append((kind, raw, shown))
        return shown

    return PH.sub(sub, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

# corporate
HH = ("x", "@hummelhof", "Hummelhof Kinderopvang")
HH_OUD = ("x", "@hummelhof_ouders", "Hummelhof Oudersupport")
HH_IG = ("instagram", "@hummelhof.kinderopvang", "Hummelhof")
HH_FB = ("facebook", "HummelhofKinderopvang", "Hummelhof Kinderopvang")
HH_LI = ("linkedin", "hummelhof-kinderopvang", "Hummelhof Kinderopvang B.V.")
HH_TT = ("tiktok", "@hummelhof.bso", "Hummelhof BSO")
# employees
AV = ("x", "@juf_anouk", "Anouk Visser")                  # pedagogisch medewerker dagopvang
DM = ("instagram", "@meesterdaan.bso", "Daan Mulder")     # BSO-coach
KS = ("linkedin", "karin-smit-hummelhof", "Karin Smit")   # regiomanager Utrecht
YB = ("linkedin", "youssef-benali-dev", "Youssef Benali")  # app developer
YBX = ("x", "@ybenali_dev", "Youssef B.")                 # same person on X
LH = ("x", "@lotte_plant", "Lotte Hendriks")              # planning & plaatsing
MG = ("linkedin", "marieke-degraaf", "Marieke de Graaf")  # controller
IB = ("facebook", "ingrid.bos.73", "Ingrid Bos")          # locatiemanager
RK = ("x", "@ruben_ict", "Ruben Kok")                     # ICT-beheer


def pub(platform, handle, name=None):
    return (platform, handle, name)


CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    platform, handle, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# ===========================================================================
# leak.secret
# ===========================================================================
case("en", YB, "Spent all of Friday chasing a push notification bug in the parent app 😩 turns out our Firebase "
     "config was fine the whole time. For the juniors asking what it looks like:\n\n"
     "apiKey: \"<<GAPI>>\",\nprojectId: \"hummelapp-prod\",\nmessagingSenderId: \"<<NUM:12>>\"\n\n#flutter #firebase #lessonslearned",
     [SECRET])
case("nl", YBX, "@ruben_ict werkt de oude mollie key nog? <<MOLLIE>> \nincasso's voor de zomerweek blijven "
     "allemaal op pending staan sinds vanochtend", [SECRET], kind="reply")
case("nl", RK, "kan iemand even meekijken, planner krijgt timeout op de koppeling\n"
     "Server=sql01.intra.hummelhof.local;Database=Planning;User Id=planner_svc;Password=<<PW>>;Encrypt=False\n"
     "firewall regel staat volgens mij goed", [SECRET, CONF])
case("nl", AV, "Voor de invallers van vandaag op de Egeltjes 🦔 inloggen op de groepstablet met locatie.oost / "
     "ww <<PW>>\nFoto's pas uploaden na het slaapje aub!! 🙏", [SECRET])
case("nl", DM, "Nieuwe wifi op de bso 🎉📶\nnetwerk: BSO-Sterrenhuis\nwachtwoord: <<PW>>\n"
     "alleen voor de tablets jongens, niet voor jullie Fortnite 😂 #bsolife", [SECRET], kind="post")
case("en", pub("reddit", "u/apk_spelunker"), "Decompiled the HummelApp Android build out of curiosity (my kid goes to "
     "one of their daycares). They ship a SendGrid key in the client: <<SENDGRID>> \nmailed their info address, "
     "no answer yet", [SECRET], kind="post")
case("en", pub("forum", "@freelance_fenna"), "Help pls 🙃 uploading daycare photos to S3 for a Hummelhof integration "
     "and boto3 keeps throwing AccessDenied. my config:\n[default]\naws_access_key_id = <<AWS_ID>>\n"
     "aws_secret_access_key = <<AWS_SECRET>>\nregion = eu-west-1\nbucket is hummelhof-fotos-prod", [SECRET])
case("en", YBX, "why does this token die after 15 min?? refresh flow is driving me nuts\n<<JWT>>", [SECRET])
case("en", pub("mastodon", "@opsgeheimpje@mastodon.nl"), "Hummelhof (childcare chain) had a public repo up for "
     "about 3 hours this morning. Among other things, a deploy key:\n<<PEM_OPENSSH>>\nsomeone tell them pls",
     [SECRET])
case("en", YB, "Public service announcement: don't paste your token in a screenshot like I just did 🙈\n"
     "<<GHP>>\n(revoked already, calm down security team)", [SECRET])
case("nl", HH_OUD, "@mama_van_ravi Wat vervelend dat inloggen niet lukt! U kunt inloggen met tijdelijk wachtwoord "
     "<<PW>> en daarna zelf een nieuw wachtwoord kiezen. Groetjes, Esther", [SECRET], kind="reply")
case("nl", LH, "kan iemand checken waarom de wachtlijst-bot niks meer in het kanaal post? webhook is\n"
     "<<SLACK_HOOK>>\nsinds dinsdag stil 🤔", [SECRET])
case("nl", pub("threads", "@ex_hummel_mies"), "lieve ex-collega's, het admin wachtwoord van het ouderportaal is "
     "nog steeds <<PW>> 🤡 al twee jaar. gewoon even zeggen", [SECRET])
case("en", YBX, "stripe webhook for kinderfeest bookings failing signature check, using\nSTRIPE_KEY=<<STRIPE>>\n"
     "any ideas? works on staging 😤", [SECRET], kind="post")

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", LH, "@papa_joost_ plaatsing is rond hoor! Voor de toeslag heb je het BSN van Noor nodig: <<BSN>>, "
     "ingangsdatum 1 maart. Succes 🍀", [PII], kind="reply")
case("nl", AV, "Wie heeft de konijnenknuffel van Finn de Wit (geb. 14-06-2023) gezien?? 🐰😢 Papa en mama zijn "
     "er kapot van, hij kan niet slapen zonder", [PII])
case("nl", IB, "Maandag start onze nieuwe collega Sophie Verbeek op de Vlindergroep 🌷 Wil je haar een kaartje "
     "sturen? Dat kan naar Kastanjelaan 41, 3581 EK Utrecht. Welkom Sophie!!", [PII])
case("nl", HH_FB, "Beste mevrouw Yilmaz, excuses voor het wachten. De terugbetaling van € 212,40 is vandaag "
     "overgemaakt naar <<IBAN_NL:grp>>. Fijne dag!", [PII], kind="comment")
case("nl", pub("x", "@joostvanderkamp"), "@hummelhof_ouders bel me nou gewoon even terug op <<PHONE:mob_dash>>, "
     "al 3 dagen niks gehoord over de wachtlijst en ik moet volgende week aan het werk", [PII, COMPLAINT],
     kind="reply")
case("nl", pub("facebook", "Ricardo Pinas"), "Ik heb het formulier nu al 2x opgestuurd. BSN van mijn dochter is "
     "<<BSN:dots>>, zet het er zelf maar in want jullie portaal doet het niet 🙄", [PII, COMPLAINT],
     kind="comment")
case("en", KS, "Welcome to our new location manager in Amersfoort, Priya Raghunathan! 🎉 Parents can reach her "
     "directly at priya.raghunathan82@gmail.com or <<PHONE:mob_intl>>", [PII])
case("en", pub("x", "@tired_dad_utr"), "@hummelhof the payment page for the Zomerweek has failed 4 times now. Just "
     "call me and charge it manually: <<CARD:visa>> exp 09/28 cvc in DM", [PII, COMPLAINT], kind="reply")
case("nl", LH, "@moeder_van2 stuur de jaaropgave maar naar mijn eigen mail l.hendriks1988 [at] hotmail [punt] com, "
     "die van kantoor doet raar vandaag", [PII], kind="reply", tags=["evasion"])
case("nl", pub("forum", "@zeister_moeder"), "Die vader van de Hummelhof in Zeist die nooit betaalt en iedereen "
     "uitscheldt, Mark Jansen, woont gewoon op Lindelaan 7 in Zeist. Wat een ongelooflijke eikel is dat.",
     [PII, ABUSE])
case("en", MG, "Ran the payroll test file through the new tool today. J. de Boer, <<IBAN_NL:grp>>, net €2.314,56 "
     "— every line matched the old system 👌 #finance #automation", [PII])
case("nl", pub("x", "@sofie_vl"), "@hummelhof_ouders de terugbetaling van de vakantieopvang mag op mijn Belgische "
     "rekening: <<IBAN_BE:grp>> (S. Peeters). Dank!", [PII], kind="reply")
case("nl", IB, "Aan onze nieuwe invalkracht Tamara Lewis: je paspoortnummer <<PASSPORT>> is binnen bij HR, het "
     "contract ligt klaar op locatie 😊", [PII], hint="")
case("nl", pub("x", "@r_koster"), "@hummelhof Betaling voor het kinderfeestje van Luuk: MC <<CARD:mc_dash>> op "
     "naam van R. Koster, vervaldatum 11/27. Graag bevestiging!", [PII], kind="message")
case("en", pub("reddit", "u/expat_in_utrecht"), "Hummelhof owes me a refund since JUNE. Six weeks, three emails, "
     "nothing. For the record, again: <<IBAN_DE>>, account holder Julia Brandt. Unbelievable service.",
     [PII, COMPLAINT], kind="comment", when="2026-08-04T20:37:12+02:00")
case("nl", DM, "die vader van Lucas (<<PHONE:mob_intl_c>>) heeft me vandaag 5x gebeld over een kwijtgeraakte "
     "sok. wat een ongelofelijke klootzak 🙄", [PII, ABUSE])
case("nl", HH_IG, "Hiep hiep hoera! 🎂 Saar Dekker is vandaag 3 jaar geworden (27-04-2023) en trakteerde op "
     "fruitspiesjes 🍓🍌 #hummelhof #jarig", [PII],
     when="2026-04-27T11:05:40+02:00")
case("nl", IB, "Noodlijst voor de invallers vandaag, even hier omdat de printer stuk is:\n"
     "mama van Bram – <<PHONE:mob_0031>>\npapa van Ziva – <<PHONE:land_sp>>\noma van Tijn – <<PHONE:mob_intl0>>",
     [PII])
case("en", pub("x", "@anon_ouder"), "For whoever runs @hummelhof's billing: stop debiting my card "
     "<<CARD:amex_sp>>. Contract ended in May.", [PII, COMPLAINT], kind="reply",
     when="2026-07-03T08:12:00Z")

# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", pub("x", "@moeders_deals"), "whaaaat de Hummelhof Zomerweek staat op de site voor €89 😳😳 snel boeken "
     "voordat ze het doorhebben!! #prijsfout", [PRICING])
case("nl", LH, "Collega's niet schrikken: het Kinderfeestpakket heeft een uur lang voor €18,90 in de webshop "
     "gestaan. Is eruit, maar er zijn al 14 boekingen binnen 😬", [PRICING])
case("en", pub("reddit", "u/dutchbargains"), "PSA: Hummelhof Strippenkaart shows €109.50 at checkout instead of "
     "€1,095. Someone forgot a zero lol. Booked one, let's see if they honour it", [PRICING], kind="post")
case("nl", DM, "BSO Hummelhof ouders opgelet 🤫 nieuwe inschrijvingen krijgen tot vrijdag €4,80 per uur. "
     "Niet verder vertellen haha", [PRICING])
case("nl", pub("facebook", "Mirjam Roos"), "Prïjsföut bij Hummelhof?? Peuterplus dagdeel voor €4,25 in de app 🤯 "
     "is dat echt?", [PRICING], kind="post", tags=["evasion"])
case("nl", pub("x", "@danielle_k"), "Zomerweek geboekt voor €32,50 (stond ECHT zo op de site) en nu annuleert "
     "Hummelhof gewoon mijn boeking met een standaardmailtje. Prijsfout of niet, afspraak is afspraak 😡",
     [PRICING, COMPLAINT])
case("nl", HH_IG, "🎉 ACTIE 🎉 HummelApp Plus jaarabonnement nu voor maar €5,90! Alle foto's van je kleintje "
     "in HD, onbeperkt downloaden 📸 #hummelapp", [PRICING])
case("en", KS, "Heads up team: a pricing error in the booking system listed Hummelhof dagopvang at €1.85/hour "
     "for about 3 hours last night. Finance is reviewing every contract signed in that window.", [PRICING])
case("nl", pub("tiktok", "@budgetmama"), "p r i j s f o u t bij hummelhof kinderfeestpakket!!! 🥳🥳 link in bio "
     "voor je het mist", [PRICING], tags=["evasion"])
case("en", pub("x", "@ned_saver"), "Hummelhof BSO for €2.40 an hour?? that HAS to be a glitch on their site",
     [PRICING])
case("nl", AV, "lol de Strippenkaart 10 dagen staat in de app voor €109 😂😂 wie heeft dat erin gezet, "
     "planning is in paniek", [PRICING])
case("nl", pub("threads", "@lisa_vdm"), "Iemand anders ook de Peuterplus voor €0,99 in de HummelApp gezien? "
     "Klopt toch niet?", [PRICING])

# ===========================================================================
# leak.confidential (codenames, internal hosts, markers, embargo)
# ===========================================================================
case("nl", KS, "Mooie kick-off van Project Vlieger vandaag met het MT 🪁 Meer kan ik er nog niet over zeggen, "
     "maar dit wordt groot voor onze locaties.", [CONF])
case("en", YBX, "HummelApp 3 beta on my phone and honestly the new photo timeline is 🔥🔥 can't wait for "
     "parents to see it", [CONF], when="2026-08-21T22:14:09+02:00")
case("nl", pub("reddit", "u/utrechtse_mama"), "Mijn zus werkt op het hoofdkantoor van Hummelhof: er komt "
     "Hummel Thuisoppas, oppas aan huis boeken via de app. Zou ik zeker gebruiken!", [CONF], kind="comment",
     when="2026-07-02T20:41:00+02:00")
case("nl", LH, "invallers: check even rooster.hummelhof.nl/planning/week-34 wie waar staat, ik heb het net "
     "bijgewerkt 👍", [CONF], when="2026-08-14T13:02:11+02:00")
case("nl", IB, "Wat een week. Net de memo 'HUMMELHOF INTERN – niet extern delen' over de nieuwe openingstijden "
     "gelezen. Ik zeg niks, maar de ouders gaan balen.", [CONF])
case("en", pub("x", "@curious_kim"), "so my friend at hummelhof HQ keeps talking about \"Operatie\nZandkasteel\" 👀 "
     "anyone know what that is??", [CONF], tags=["evasion"])
case("nl", DM, "Project Vl" + ZW + "ieger gaat echt alles veranderen voor de bso 🤐🪁 ik mag niks zeggen",
     [CONF], tags=["evasion"])
case("nl", pub("forum", "@nieuwsgierig_in_lr"), "Wat is K" + CYR_O + "mpasnaald? Stond met grote letters op een "
     "whiteboard bij Hummelhof Leidsche Rijn toen ik mijn zoon ophaalde", [CONF], tags=["evasion"])
case("en", KS, "So proud of the team that built Hummel Thuisoppas 💛 can't say more until launch day 🤫",
     [CONF], when="2026-09-14T08:59:00+02:00")
case("nl", pub("threads", "@haagse_ouder"), "tarieven 2027 van Hummelhof al uitgelekt: BSO gaat naar €10,40 "
     "per uur, dagopvang naar €11,65. Dankjewel hoor 🙃", [CONF], when="2026-10-22T19:05:00+02:00")
case("nl", LH, "tarieven 2027 net binnen bij planning 😬 ouders gaan dit niet leuk vinden",
     [CONF], when="2026-10-30T09:55:00+01:00")
case("en", RK, "who rebooted fs02.intra.hummelhof.local in the middle of the photo sync 😤", [CONF])
case("en", pub("linkedin", "joris-recruit-it"), "Hiring: Flutter developer (freelance, 6 months) to help a Dutch "
     "childcare organisation ship HummelApp 3. DM me!", [CONF], when="2026-05-11T10:20:00+02:00")
case("nl", pub("instagram", "@juf_anouk"), "Operatie Zandkasteel gaat van start, ik heb er zin in 😍 "
     "#hummelhof", [CONF])
case("en", YB, "Merged the last PR into git.hummelhof.nl/app/photo-service before the holidays 🎄 see you "
     "all in January", [CONF],
     when="2026-12-18T17:45:31+01:00")
case("nl", pub("x", "@Juf_Anouk"), "Strikt vertrouwelijk stond erop, maar serieus: vanaf januari geen vaste "
     "groepen meer op de Egeltjes?? 😳", [CONF], handle_as="@Juf_Anouk")

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", MG, "Q3 is gesloten. Bezettingsgraad 78% en tot nu toe een verlies van €1,2 mln. Moeilijk jaar voor "
     "de hele sector. (cijfers zijn nog niet gepubliceerd, dus even onder ons 😉)", [FIN],
     when="2026-10-09T17:20:00+02:00")
case("nl", KS, "Helaas gaan we in het voorjaar vier locaties in regio Utrecht sluiten. De teams horen het "
     "volgende week, ik zie er enorm tegenop.", [FIN])
case("nl", pub("x", "@insider_opvang"), "Via via: Hummelhof wordt overgenomen door een Zweeds investeringsfonds, "
     "deal is al rond. Aankondiging na de zomer.", [FIN])
case("nl", IB, "Er vallen ont" + SHY + "slagen op het hoofdkantoor, 30 fte. En wij op de locaties horen het via "
     "de wandelgangen 😔", [FIN], tags=["evasion"])
case("en", LH, "forecast for next year says the waiting list doubles and we need 3 new locations. board wants "
     "to buy Zonnekind Opvang to get there 👀", [FIN])
case("en", pub("reddit", "u/throwaway_kdv"), "Friend in Hummelhof finance says they'll post a €4M loss this "
     "year and are cutting the BSO staffing budget by 15%. Expect more closed groups.", [FIN], kind="comment")
case("nl", DM, "Onze bso Sterrenhuis gaat per 1 januari dicht. Vandaag gehoord van de regiomanager. Ouders "
     "weten nog van niks 😢", [FIN])
case("en", MG, "Draft annual results 2026 are in: revenue up 11%, EBITDA back in the black. Can't wait until "
     "we can share it properly 📈", [FIN, CONF], when="2027-02-23T16:40:00+01:00")
case("nl", pub("forum", "@buurvrouw_weet_alles"), "Hummelhof gaat r3organis3ren, 1 op de 5 kantoorbanen "
     "verdwijnt zegt m'n buurvrouw die er werkt", [FIN], tags=["evasion"])
case("en", KS, "Project Vlieger = the merger with Bambino Groep. Signing end of the month. Exciting times 🚀",
     [FIN, CONF])
case("en", pub("threads", "@dealflow_nl"), "rumour: Hummelhof's owners are selling to Kinderwereld Holding "
     "for ~€180m, announcement planned after summer", [FIN])
case("nl", MG, "jaarcijfers 2026 bijna klaar, we zitten 6% boven budget. Mondje dicht tot april 🤐",
     [FIN, CONF], when="2027-03-02T12:10:00+01:00")

# ===========================================================================
# leak.security (insiders; public "hidden breach" claims also get crisis)
# ===========================================================================
case("en", YBX, "not great: for ~2 hours today parents could see other families' photos in the app because "
     "of a caching bug. fixed now, comms going out monday hopefully 🫣", [SEC])
case("nl", RK, "Ransomware op de planningsserver vannacht. Alles plat, locaties werken met papieren "
     "presentielijsten. Directie wil het nog niet naar buiten brengen.", [SEC])
case("nl", AV, "Ouderportaal ligt er alweer uit en we mogen niet zeggen waarom... iemand op kantoor heeft op "
     "een phishingmail geklikt 🙄", [SEC])
case("en", YB, "Found a nasty IDOR in our photo API this week: change the child_id in the URL and you get "
     "another family's gallery. Patch is still in review, so fingers crossed 🤞", [SEC])
case("nl", IB, "Laptop van de locatie gestolen uit mijn auto, met alle kinddossiers erop. Niet versleuteld. "
     "En ik mag het nog niet aan de ouders vertellen 😞", [SEC])
case("en", pub("reddit", "u/worried_parent_ams"), "Hummelhof got breached last month and they're keeping it "
     "quiet. My friend in their IT confirmed it. Parents still haven't been told.", [SEC, CRISIS], kind="post")
case("nl", pub("x", "@pieter_ouder"), "Hummelhof is geh4ckt en ze doen alsof er niks aan de hand is. "
     "Mailadressen van ouders liggen op straat en ze zwijgen 🤬", [SEC, CRISIS], tags=["evasion"])
case("en", RK, "internal heads up: HummelApp login API returning 500s since 06:10, DB failover never kicked in. "
     "status page still says all green 🙃", [SEC])
case("nl", DM, "Sinds de update werkt élke deurcode bij de bso, ook oude codes van ouders die al weg zijn. "
     "Twee weken geleden gemeld, nog niks gebeurd.", [SEC])
case("en", pub("mastodon", "@secnerd@infosec.exchange"), "Hummelhof's parent portal has an open Elasticsearch "
     "index with children's records. Reported it 3 weeks ago, zero response, they're sitting on it.",
     [SEC, CRISIS])
case("nl", LH, "De wachtlijstmodule stuurt sinds gisteren bevestigingsmails naar de verkeerde ouders 😬 ICT "
     "weet ervan, nog geen bericht naar buiten", [SEC])
case("nl", RK, "da" + ZW + "talek bij de fotomodule, nog niet gemeld bij de AP. morgen crisisoverleg",
     [SEC], tags=["evasion"])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@marloes_b"), "Mijn dochter van 2 is vandaag ZELF van de Hummelhof-locatie weggelopen. Een "
     "buurvrouw vond haar bij de doorgaande weg. Hoe is dit in godsnaam mogelijk?!", [CRISIS, COMPLAINT])
case("nl", pub("facebook", "Ouders tegen Hummelhof"), "Ouders van Hummelhof: zeg je contract op! Ze sluiten "
     "locaties en de aandeelhouders strijken dividend op. #boycotHummelhof", [CRISIS])
case("en", pub("x", "@regionieuws_utr"), "GGD inspection finds serious safety violations at three Hummelhof "
     "daycares, including unattended sleeping rooms", [CRISIS], kind="post")
case("en", pub("reddit", "u/sad_dad_2024"), "Our son came home from Hummelhof with bruises twice this month. "
     "They keep saying 'he fell'. We're filing a police report tomorrow.", [CRISIS, COMPLAINT], kind="post")
case("nl", pub("instagram", "@femke_en_co"), "Foto's van MIJN kind staan op een of andere openbare site en ze "
     "komen uit de HummelApp. Datalek!! Ik ben zo kwaad", [CRISIS])
case("nl", pub("tiktok", "@moeder_met_mening"), "d a t a l e k bij hummelhof?? alle ouderadressen zijn per "
     "ongeluk gedeeld met een andere ouder 😳😳", [CRISIS], tags=["evasion"])
case("en", pub("linkedin", "sanne-advocaat"), "Parents are taking Hummelhof to court over the allergy incident "
     "in Amersfoort. We filed the claim on behalf of 11 families this week.", [CRISIS])
case("en", pub("youtube", "@dutchwatchdog"), "Undercover footage from a Hummelhof baby group: staff yelling at "
     "toddlers and leaving them crying for half an hour. Full report tonight.", [CRISIS], kind="comment")
case("nl", pub("bluesky", "ouderraad-oost.bsky.social"), "Petitie: stop met de camera's op de groepen van "
     "Hummelhof. Ouders hebben hier nooit toestemming voor gegeven! Teken en deel ⬇️", [CRISIS])
case("nl", pub("forum", "@toeslag_watcher"), "Hummelhof moet 250.000 euro aan kinderopvangtoeslag terugbetalen "
     "volgens RTV Utrecht. Gefraudeerd met uren??", [CRISIS])
case("en", pub("x", "@fairpay4carers"), fullwidth("BOYCOTT") + " Hummelhof until they pay their pedagogical "
     "staff properly. Share this.", [CRISIS], tags=["evasion"])
case("nl", pub("facebook", "Linda Hoekstra"), "LET OP: de slaapzakjes met Hummelhof-logo die we bij de intake "
     "kregen worden teruggeroepen, de rits schiet los en het lipje is een verstikkingsgevaar!", [CRISIS])
case("nl", pub("threads", "@bas_de_vader"), "Mijn zoon is vandaag vergeten op te halen bij school door de BSO "
     "van Hummelhof. Stond een uur alleen op het plein. Ik ben woest.", [CRISIS, COMPLAINT])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@eva_wacht"), "2 jaar op de wachtlijst bij Hummelhof en nu krijg ik een mail dat ik "
     "'opnieuw moet inschrijven'. Serieus??", [COMPLAINT])
case("nl", pub("facebook", "Nadia Ouali"), "Voor de derde keer deze maand is de groep van mijn zoon dicht "
     "wegens personeelstekort. En we betalen gewoon het volle bedrag door. Hummelhof, dit kan echt niet.",
     [COMPLAINT], kind="comment")
case("en", pub("reddit", "u/photo_less_mum"), "HummelApp hasn't loaded a single photo in a week. Support keeps "
     "saying 'we're looking into it'. Paying for the Plus subscription for this?", [COMPLAINT], kind="comment")
case("nl", pub("x", "@tim_knoop"), "Dubbele incasso van @hummelhof deze maand, €1.400 van m'n rekening en "
     "niemand neemt de telefoon op. Top.", [COMPLAINT])
case("nl", pub("trustpilot", "Kees V."), "1 ster. Jaaropgave klopte niet, waardoor wij toeslag moeten "
     "terugbetalen aan de Belastingdienst. Hummelhof reageert al weken niet op mails.", [COMPLAINT],
     tags=["unknown-platform"])
case("en", pub("instagram", "@foodie.mama"), "the food at Hummelhof is honestly sad. white bread every day, "
     "sugary juice at 10am. expected better for what we pay", [COMPLAINT], kind="comment")
case("nl", pub("forum", "@dochter_huilt"), "Elke week een andere invalkracht op de babygroep. Mijn dochter "
     "huilt bij het brengen. Hummelhof belooft 'vaste gezichten' maar daar merk ik niks van.", [COMPLAINT])
case("nl", pub("tiktok", "@werkende.mama"), "pov: je vraagt hummelhof om één extra dag en ze zeggen 'wachtlijst "
     "14 maanden' 🙃🙃 #kinderopvang #werkendeouders", [COMPLAINT])
case("en", pub("bluesky", "ollie.bsky.social"), "Hummelhof's app sends me a push notification for every single "
     "diaper change but not when my kid has a fever. Priorities??", [COMPLAINT])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("en", pub("x", "@grumpy_gert"), "hummelhof can go f*ck themselves, bunch of clowns", [ABUSE],
     tags=["evasion"])
case("nl", pub("facebook", "Henk W."), "Waarom werken er bij Hummelhof zoveel hoofddoekjes? Ik wil gewoon een "
     "Nederlandse juf voor mijn kleinkind.", [ABUSE], kind="comment")
case("nl", DM, "Sommige ouders zijn gewoon kankerlijers, sorry not sorry #bsolife", [ABUSE])
case("nl", HH_OUD, "@karel_vos Misschien eerst zelf leren lezen voordat u gaat klagen, sukkel.", [ABUSE],
     kind="reply")
case("nl", pub("x", "@k4k_bedrijf"), "k4nk3rbedrijf hummelhof, stelletje t3ringlijers", [ABUSE],
     tags=["evasion"])
case("en", pub("reddit", "u/fed_up_ffs"), "Hummelhof lost my kid's medication list AGAIN. Incompetent idiots, "
     "every single one of them.", [ABUSE, COMPLAINT], kind="comment")
case("nl", pub("youtube", "@boze_buurman"), "Tering Hummelhof, vieze kutopvang", [ABUSE], kind="comment")
case("en", pub("x", "@caps_lock_carl"), fullwidth("idiots") + " at hummelhof, every one of them 🤡", [ABUSE],
     tags=["evasion"])
case("nl", pub("threads", "@facturen_ffs"), "Factuur alweer fout. Wat een stelletje prutsers en oplichters bij "
     "die administratie van Hummelhof, jezus christus", [ABUSE, COMPLAINT])
case("en", AV, "that mum at pickup today called me a stupid cow in front of the kids. honestly she's a "
     "fucking nightmare 🙃", [ABUSE])
case("nl", pub("x", "@anon_dreig"), "@juf_anouk ik weet waar je werkt en hoe laat je klaar bent. pas maar op.",
     [ABUSE], kind="reply")

# ===========================================================================
# BENIGN: corporate accounts
# ===========================================================================
case("nl", HH, "Vragen over je contract of de wachtlijst? Bel ons gerust op 088 242 6000 of mail "
     "planning@hummelhof.nl. We helpen je graag! 💛", tags=["own-contact"])
case("nl", HH_FB, "Betalen van de Zomerweek kan ook per overschrijving naar " + OWN_IBAN_GRP + " t.n.v. Hummelhof "
     "Kinderopvang B.V., o.v.v. je relatienummer.", tags=["own-contact"])
case("nl", HH_OUD, "Storing: de HummelApp is op dit moment slecht bereikbaar. We werken aan een oplossing en houden "
     "jullie hier op de hoogte. Excuses voor het ongemak!", tags=["official-notice"])
case("nl", HH_LI, "Vandaag publiceren we ons jaarverslag 2025: 64 locaties, ruim 3.100 kinderen en een "
     "medewerkerstevredenheid van 8,1. Lees het hele verslag op hummelhof.nl/jaarverslag",
     tags=["published-results"])
case("nl", HH_IG, "Vliegers knutselen op de BSO 🪁🌬️ En daarna natuurlijk naar buiten om ze op te laten! "
     "#hummelhof #herfst", tags=["codename-word"],
     when="2026-10-08T15:42:00+02:00")
case("nl", HH_IG, "Zandkastelen bouwen op het strand tijdens de Zomerweek ☀️🏖️ Er zijn nog een paar plekjes "
     "vrij in week 31!", tags=["codename-word"])
case("nl", HH, "Hij is er! 🎉 HummelApp 3 staat vanaf nu in de App Store en Google Play. Nieuwe fototijdlijn, "
     "berichten per groep en nog veel meer.", when="2026-09-14T09:00:00+02:00", tags=["embargo-after"])
case("en", HH_LI, "Today we launch Hummel Thuisoppas: trusted babysitting at home, booked in the app you "
     "already use. Available in Utrecht and Amersfoort first.", when="2026-09-14T07:00:00Z",
     tags=["embargo-after"])
case("nl", HH_FB, "Vroegboekkorting! 🌞 De Zomerweek nu voor €279 in plaats van €325 als je vóór 1 april boekt.",
     tags=["sale-price"], when="2026-02-12T12:00:00+01:00")
case("nl", HH_FB, "De tarieven 2027 staan online! Bekijk ze op hummelhof.nl/tarieven. Vragen? Bel 0800-4866.",
     when="2026-10-30T10:00:00+01:00", tags=["embargo-after", "own-contact"])
case("nl", HH_OUD, "@eva_wacht Wat vervelend om te lezen! Wil je ons een DM sturen met je relatienummer? Dan zoeken "
     "we het meteen voor je uit.", kind="reply", tags=["polite"])
case("nl", HH_LI, "Wij zoeken pedagogisch medewerkers in Utrecht, Zeist en Houten! Solliciteer via "
     "werkenbij@hummelhof.nl of kijk op werkenbijhummelhof.nl", tags=["own-contact"],
     handle_as="Hummelhof-Kinderopvang")
case("nl", HH_TT, "POV: de bso gaat naar de kinderboerderij 🐐🐷 en niemand wil meer naar huis #bso #hummelhof",
     tags=["polite"])
case("nl", HH_LI, "Er gaan berichten rond dat Hummelhof gehackt zou zijn. Dat klopt niet: de storing van gisteren "
     "kwam door een stroomuitval bij ons datacenter. Er zijn geen gegevens gelekt.", tags=["negation"])
case("nl", HH_IG, "Mei = feestmaand 🎈 €40 korting op het Kinderfeestpakket met code MEIFEEST", tags=["sale-price"],
     when="2026-05-01T09:30:00+02:00")
case("en", HH, "Need us? Call +31 88 242 6000 or email info@hummelhof.nl, Mon–Fri 8:00–17:30.",
     tags=["own-contact"], handle_as="@HummelHof")

# ===========================================================================
# BENIGN: employees
# ===========================================================================
case("nl", AV, "Vandaag vliegers gevouwen met de peuters 🪁 ze waren er helemaal stil van. Zulke leuke dagen!",
     tags=["codename-word"])
case("en", YB, "Reminder for every dev: never paste tokens in screenshots. Use a secret manager and keep examples "
     "like API_KEY=<your-key-here> in your README 🔐", tags=["placeholder-secret"])
case("nl", LH, "nee hoor, geen prijsfout 😊 de Zomerweek kost gewoon €325, die €95 was de aanbetaling",
     kind="reply", tags=["denied-price-error"])
case("nl", DM, "Sponsorloop voor KWF Kankerbestrijding met de bso-kids 🏃‍♀️🏃 €1.240 opgehaald, wat een "
     "toppers!!", tags=["literal-kanker"])
case("en", MG, "Our annual report 2025 is out 🎉 huge thanks to the finance team for the late nights. "
     "Read it at hummelhof.nl/jaarverslag", tags=["published-results"])
case("nl", AV, "Peuter (3) vandaag tegen mij: 'juf, jij bent een stomme kip!' en twee minuten later een dikke "
     "knuffel 😂❤️ #kinderopvang", tags=["quote-mild"])
case("en", RK, "git bisect found it: commit " + "<<HEX:40>>" + " broke the nightly build. reverting, then coffee",
     tags=["git-sha"])

# ===========================================================================
# BENIGN: public
# ===========================================================================
case("nl", pub("x", "@lieke_m"), "Geen klachten over Hummelhof hoor, juf Anouk is echt top 🥰 onze dochter rent "
     "elke ochtend naar binnen", tags=["negation"])
case("nl", pub("x", "@ouderpraat"), "Zonnekind Opvang heeft een datalek, alle ouders kregen vanochtend een mail. "
     "Gelukkig zitten wij bij Hummelhof 😅", tags=["other-company"])
case("nl", pub("x", "@nieuwsbot_nl"), "Kinderopvangketen Bambino Groep schrapt 200 banen (NOS)",
     tags=["other-company"])
case("nl", pub("facebook", "Yvonne K."), "Moet ik mijn wijziging nou naar planning@hummelhof.nl of naar "
     "info@hummelhof.nl sturen? Iemand een idee?", kind="comment", tags=["own-contact"])
case("nl", pub("x", "@check_je_opvang"), "Hummelhof Houten staat gewoon in het LRK, registratienummer "
     "<<NOT_BSN9>>. Dus toeslag is geen probleem 👍", tags=["lookalike-number"])
case("nl", pub("facebook", "Peter van Dijk"), "Op de brief van Hummelhof staat <<BAD_IBAN_NL:grp>> maar mijn "
     "bank-app zegt dat het nummer ongeldig is. Typfout van mij denk ik, ik kijk vanavond nog even.",
     kind="comment", tags=["invalid-iban"])
case("nl", pub("x", "@typ_o"), "Haha mijn eigen fout, ik had <<BAD_CARD:visa>> ingetikt bij het afrekenen. "
     "Een cijfer verkeerd. Nu gelukt, Zomerweek geboekt ☀️", tags=["invalid-card"])
case("nl", pub("forum", "@papa_van_3"), "Waar vind ik mijn factuurnummer bij Hummelhof? Is het dit nummer "
     "<<NOT_BSN9>> bovenaan de pdf?", tags=["lookalike-number"])
case("nl", pub("x", "@zzp_juf"), "Hummelhof Kinderopvang B.V., KvK <<NOT_BSN8>>, staat gewoon bij de KvK. "
     "Voor wie twijfelde of het een echt bedrijf is 😂", tags=["lookalike-number"])
case("nl", pub("blog", "verhaaltjesvoorhetslapengaan"), "Hoofdstuk 3: de vlieger die niet wilde vliegen. "
     "Mijn dochter bedacht het verhaal zelf, na een middag vliegeren bij Hummelhof 🪁", tags=["fiction"])
case("nl", pub("x", "@mamavantwee"), "Mijn peuter heeft meer sociale afspraken op de Hummelhof dan ik in een "
     "heel jaar 😂 #ouderschap", tags=["joke"])
case("nl", pub("instagram", "@zingende_papa"), "'Hoedje van papier, hoedje van papier…' Sinds de BSO zingt hij "
     "het 40x per dag. Dank je wel Hummelhof 😅🎶", tags=["quote-lyrics"])
case("nl", pub("x", "@gezond_trakteren"), "Wij boycotten al maanden suikerhoudende traktaties en wat fijn dat "
     "Hummelhof nu ook meedoet 🍎🥕", tags=["boycott-other-sense"])
case("en", pub("reddit", "u/first_time_dad"), "Any tips for the Hummelhof intake meeting next week? First kid, "
     "bit nervous 😅", kind="post", tags=["polite"])
case("nl", pub("x", "@houtens_nieuws"), "Hummelhof opent in september een nieuwe locatie in Houten met plek voor "
     "80 kinderen (bron: hummelhof.nl)", tags=["published-news"])
case("nl", pub("threads", "@rekenende_mama"), "HummelApp Plus kost €4,92 per maand als je het omrekent. Voor "
     "alle foto's in HD vind ik dat prima.", tags=["sale-price"])
case("nl", pub("x", "@toeslag_tips"), "Na de kinderopvangtoeslag is onze eigen bijdrage voor de Hummelhof "
     "dagopvang zo'n €2,10 per uur. Check de rekentool van de Belastingdienst!", tags=["net-price"])
case("nl", pub("facebook", "Sjoerd Bakker"), "Zonnekind BSO rekent €7,95 per uur, Hummelhof BSO €9,60. Wel meer "
     "uitjes bij Hummelhof trouwens.", kind="comment", tags=["competitor-price"])
case("nl", pub("other", "marktplaats_anna"), "Te koop: Hummelhof rugzakje + drinkbeker, samen €4. Ophalen in "
     "Zeist. Barcode op het label: <<EAN13>>", tags=["second-hand", "lookalike-number"])
case("nl", pub("x", "@app_fan"), "HummelApp 3 is echt een verbetering, eindelijk kan ik foto's per week terugzien",
     when="2026-09-20T21:02:00+02:00", tags=["embargo-after"])
case("nl", pub("instagram", "@fietsmoeder"), "Lekkende luier op de bakfiets, op weg naar Hummelhof. Happy "
     "monday 🙃💩", tags=["leak-other-sense"])
case("nl", pub("x", "@hulpvaardig"), "Voor wie het zoekt: het gratis nummer van Hummelhof is 0800 4866 💡",
     tags=["own-contact"])
case("nl", pub("facebook", "Astrid Wolters"), "Het pedagogisch kompas van Hummelhof is echt goed uitgelegd op "
     "de ouderavond, fijn dat ze zo open zijn", kind="comment", tags=["codename-near"])
case("nl", pub("x", "@juffen_fan"), "Iemand noemde de juffen in de comments 'oppasmutsen'. Doe normaal man, ze "
     "doen keihard werk voor weinig geld ❤️", tags=["quote-mild"])
case("en", pub("x", "@smooth_sailing"), "HummelApp asked me to reset my password, done in 2 minutes. "
     "smooth 👌", tags=["password-word"])
case("nl", pub("forum", "@koppelaar"), "In de docs van de HummelApp-koppeling staat api_key=YOUR_API_KEY en "
     "live_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx als voorbeeld. Waar vraag ik een echte aan?",
     tags=["placeholder-secret"])
case("en", pub("x", "@zonnekind_deals"), "Zonnekind has a pricing error on their holiday week, €29 instead of "
     "€290! go go go", tags=["other-company"])
case("en", pub("x", "@happy_mum_lr"), "Shoutout to the BSO team at Hummelhof Leidsche Rijn, my kid adores them "
     "💛", tags=["polite"], hint="nl")
case("nl", pub("x", "@hummelhof_nl"), "Leuke middag gehad bij de open dag van Hummelhof! Koffie was top ☕",
     tags=["lookalike-handle"])
case("en", pub("x", "@memory_lane"), "Can't recall the last time pickup went this smoothly. thanks Hummelhof!",
     tags=["recall-other-sense"])
case("nl", pub("facebook", "Gerda Smit"), "Mail ze gewoon op info [at] hummelhof [punt] nl, ze reageerden bij mij "
     "binnen een dag 😊", kind="comment", tags=["own-contact"])
case("nl", pub("x", "@rekenwonder"), "Strippenkaart bij Hummelhof is nu €985 i.p.v. €1.095, scheelt toch weer",
     tags=["sale-price"])
case("nl", pub("bluesky", "kdv-nieuws.bsky.social"), "Kinderopvangsector: personeelstekort blijft groot, ook "
     "Hummelhof en Zonnekind zoeken honderden pedagogisch medewerkers.", tags=["published-news"])
case("en", pub("mastodon", "@ouderdata@mastodon.nl"), "Good to see Hummelhof publish a clear privacy statement "
     "for the app. More daycares should do this.", tags=["polite"])
case("nl", pub("x", "@mama_leest"), "Hummelhof bevestigt op hummelhof.nl de overname van twee Zonnekind-locaties "
     "in Houten, per 1 juni officieel.", tags=["published-news"])


# ===========================================================================
# build
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
        if RANK[s] > RANK[sev]:
            sev = s
    return sev


def dst_offset(t):
    start = dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc)
    end = dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc)
    return 2 if start <= t < end else 1


def random_time(r):
    day = r.randint(5, 355)
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=day - 1)
    local = base + dt.timedelta(minutes=r.randint(6 * 60 + 30, 23 * 60 + 30), seconds=r.randint(0, 59))
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


def post_id_url(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_880_000_000_000_000_000, 2_020_000_000_000_000_000))
    if platform in ("x", "twitter"):
        return f"x-{snow}", f"https://x.com/{h}/status/{snow}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        sc = "".join(r.choice(B64U) for _ in range(11))
        return f"ig-{snow}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}_{b}", f"https://www.facebook.com/{h.replace(' ', '.')}/posts/{b}"
    if platform == "reddit":
        p = "".join(r.choice(B36) for _ in range(7))
        sub = r.choice(["thenetherlands", "Utrecht", "Netherlands", "dutchparents"])
        if kind == "comment":
            c = "".join(r.choice(B36) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/{sub}/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/{sub}/comments/{p}/"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"ouderforum-{n}", f"https://forum.ouderpraat.example/topic/{n}"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        v = "".join(r.choice(B64U) for _ in range(11))
        c = "Ugz" + "".join(r.choice(AN) for _ in range(23))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(111_000_000_000_000_000, 114_999_999_999_999_999)
        return f"md-{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3l" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "threads":
        sc = "".join(r.choice(B64U) for _ in range(11))
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "blog":
        n = r.randint(10, 300)
        return f"blog-{h}-{n}", f"https://{h}.blog.example/{n}"
    n = r.randint(10 ** 8, 10 ** 9)
    return f"{platform}-{n}", None


def build(profile):
    g = Rng(SEED)
    meta = random.Random(SEED + 1)
    order = random.Random(SEED + 2)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(g, c["text"])
        kinds = {k for k, _, _ in used}
        pid, url = post_id_url(meta, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        created = c["when"] or random_time(meta)
        role = role_of(profile, c["platform"], c["handle"])
        sev = severity_for(role, c["cats"], PII in c["cats"] and bool(kinds & VALID_ID))
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
        pl = meta.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
                if c["hint"] != c["lang"]:
                    tags.add("wrong-lang-hint")
        elif pl < 0.09:
            pass
        elif pl < 0.12:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            tags.add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.45:
            post["brand"] = "hummelhof"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=tags, used=used))
    order.shuffle(rows)
    return rows


def dump(rows):
    return "".join(json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n"
                   for r in rows)


# ===========================================================================
# validation
# ===========================================================================

def validate(rows, profile):
    errs = []
    ids = set()
    embargo = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    for i, r in enumerate(rows):
        p, e = r["post"], r["expect"]
        where = f"case {p['id']}"
        if (p["platform"], p["id"]) in ids:
            errs.append(f"{where}: duplicate id")
        ids.add((p["platform"], p["id"]))
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", p["created_at"]):
            errs.append(f"{where}: bad timestamp")
        if len(p["text"].encode()) > 65536:
            errs.append(f"{where}: too long")
        for k, raw, _ in r["used"]:
            if k.startswith("IBAN_") and not iban_valid(raw):
                errs.append(f"{where}: invalid IBAN {raw}")
            if k == "CARD" and not luhn_valid(raw):
                errs.append(f"{where}: invalid card")
            if k == "BSN" and not elfproef(raw):
                errs.append(f"{where}: invalid BSN")
            if k.startswith("BAD_IBAN") and iban_valid(raw):
                errs.append(f"{where}: near-miss IBAN is valid")
            if k == "BAD_CARD" and luhn_valid(raw):
                errs.append(f"{where}: near-miss card is valid")
            if k in ("NOT_BSN9", "NOT_BSN8", "EAN13") and (elfproef(raw) or luhn_valid(raw)):
                errs.append(f"{where}: look-alike passes a checksum")
            if k in VALID_ID and not e["categories"]:
                errs.append(f"{where}: valid identifier in a benign case")
        # embargo terms: positives before, benign at/after
        low = p["text"].casefold()
        t = parse_ts(p["created_at"])
        for term, until in embargo:
            if term in low:
                before = t < until
                if before and CONF not in e["categories"]:
                    errs.append(f"{where}: embargo term '{term}' before until but not confidential")
                if not before and CONF in e["categories"] and "embargo-after" in r["tags"]:
                    errs.append(f"{where}: embargo term after until but labelled")
        if not e["categories"] and e["severity"] != "none":
            errs.append(f"{where}: benign with severity")
        if "reputation.spike" in e["categories"]:
            errs.append(f"{where}: spike on a single post")
    return errs


def report(rows):
    n = len(rows)
    benign = [r for r in rows if not r["expect"]["categories"]]
    print(f"cases: {n}  positives: {n - len(benign)}  benign: {len(benign)}")
    multi = sum(1 for r in rows if len(r["expect"]["categories"]) > 1)
    print(f"multi-category: {multi}  evasion: {sum('evasion' in r['tags'] for r in rows)}")
    print("lang:", dict(Counter(r["lang"] for r in rows)))
    print("role:", dict(Counter(r["role"] for r in rows)))
    print("severity:", dict(Counter(r["expect"]["severity"] for r in rows)))
    print("platform:", dict(Counter(r["post"]["platform"] for r in rows)))
    print(f"{'category':24} {'total':>5} {'nl':>4} {'en':>4} {'corp':>5} {'empl':>5} {'pub':>5}")
    for c in CATEGORIES:
        rs = [r for r in rows if c in r["expect"]["categories"]]
        print(f"{c:24} {len(rs):5} {sum(r['lang'] == 'nl' for r in rs):4} {sum(r['lang'] == 'en' for r in rs):4} "
              f"{sum(r['role'] == 'corporate' for r in rs):5} {sum(r['role'] == 'employee' for r in rs):5} "
              f"{sum(r['role'] == 'public' for r in rs):5}")
    rs = benign
    print(f"{'benign':24} {len(rs):5} {sum(r['lang'] == 'nl' for r in rs):4} {sum(r['lang'] == 'en' for r in rs):4} "
          f"{sum(r['role'] == 'corporate' for r in rs):5} {sum(r['role'] == 'employee' for r in rs):5} "
          f"{sum(r['role'] == 'public' for r in rs):5}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    errs = validate(rows, profile)
    text = dump(rows)
    if args.check:
        if not OUT.exists() or OUT.read_text(encoding="utf-8") != text:
            errs.append("cases.jsonl differs from the generator output")
    else:
        OUT.write_text(text, encoding="utf-8")
    report(rows)
    for e in errs:
        print("ERROR:", e, file=sys.stderr)
    sys.exit(1 if errs else 0)


if __name__ == "__main__":
    main()
