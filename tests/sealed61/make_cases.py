#!/usr/bin/env python3
"""Deterministic generator and checker for the sealed61 blind set.

    python3 make_cases.py           # (re)write cases.jsonl next to this file
    python3 make_cases.py --check   # regenerate in memory, compare, validate, print counts

Company: the fictional Dutch toy and games publisher "Tafelvos Games B.V." (profile.yaml).
Every text is hand-written below. Identifiers and secrets are filled in from
<<PLACEHOLDERS>> by one seeded RNG: positives get checksum-valid IBANs (mod-97), card
numbers (Luhn) and BSNs (11-proof); benign look-alikes get numbers that FAIL their
checksum. Secrets are random and fake but shaped like the real formats (GitHub tokens
carry a correct CRC32/base62 checksum).

Severity is never typed by hand: it is computed from CONTRACT section 4 using the
account role from profile.yaml (platform:handle, case-insensitive), the categories,
and whether a checksum-valid identifier (IBAN, card, BSN) is in a leak.pii post.
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

SEED = 61_2026_0611
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
CATS = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
        "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]
ZW = "\u200b"    # zero-width space
SHY = "\u00ad"   # soft hyphen


def fw(s):
    """Full-width letters."""
    return "".join("\u3000" if c == " " else chr(ord(c) - 0x21 + 0xFF01) if "!" <= c <= "~" else c for c in s)


# ---------------------------------------------------------------- checksums
def iban_valid(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


def iban_build(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return f"{cc}{98 - n % 97:02d}{bban}"


def luhn_valid(d):
    d = re.sub(r"\D", "", d)
    s = 0
    for i, c in enumerate(reversed(d)):
        v = int(c) * (2 if i % 2 else 1)
        s += v - 9 if v > 9 else v
    return bool(d) and s % 10 == 0


def bsn_valid(d):
    d = re.sub(r"\D", "", d)
    if len(d) == 8:
        d = "0" + d
    if len(d) != 9:
        return False
    t = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return t != 0 and t % 11 == 0


def ean13_valid(d):
    return len(d) == 13 and (sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(d[:12])) + int(d[12])) % 10 == 0


B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"
B32 = string.ascii_uppercase + "234567"


def base62(n):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return s or "0"


def ghp_ok(tok):
    body, crc = tok[4:34], tok[34:]
    return base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0") == crc


# ---------------------------------------------------------------- seeded values
class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def d(self, n, nz=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def c(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    @staticmethod
    def g4(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    # IBANs
    def iban(self, cc):
        if cc == "NL":
            while True:
                v = iban_build("NL", self.r.choice(["INGB", "ABNA", "RABO", "SNSB", "ASNB", "KNAB", "BUNQ", "TRIO"]) + self.d(10, True))
                if v != "NL24RABO0337105566":
                    return v
        if cc == "DE":
            return iban_build("DE", self.r.choice(["50010517", "10010010", "20040000", "76026000"]) + self.d(10))
        if cc == "BE":
            first = self.r.choice(["001", "063", "735", "310"]) + self.d(7)
            return iban_build("BE", first + f"{int(first) % 97 or 97:02d}")
        if cc == "GB":
            return iban_build("GB", self.r.choice(["BARC", "LOYD", "NWBK", "HBUK"]) + self.d(14))
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        for k in (7, 19, 31, 44, 58):
            b = f"{v[:2]}{(int(v[2:4]) + k) % 100:02d}{v[4:]}"
            if not iban_valid(b):
                return b
        raise AssertionError

    # cards
    def card(self, brand):
        stem = {"visa": lambda: "4" + self.d(14),
                "mc": lambda: "5" + self.r.choice("12345") + self.d(13),
                "mc2": lambda: str(self.r.randint(2221, 2720)) + self.d(11),
                "amex": lambda: self.r.choice(["34", "37"]) + self.d(12)}[brand]()
        for x in string.digits:
            if luhn_valid(stem + x):
                return stem + x
        raise AssertionError

    def bad_card(self, brand):
        v = self.card(brand)
        b = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_valid(b)
        return b

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
            if bsn_valid(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.d(n, True)
            if not bsn_valid(s) and not luhn_valid(s):
                return s

    def ean13(self):
        while True:
            body = "871" + self.d(9)
            for x in string.digits:
                if ean13_valid(body + x):
                    v = body + x
            if not luhn_valid(v):
                return v

    def passport(self):
        letters = "ABCDEFGHIJKLMNPQRSTUVWXYZ"  # Dutch documents skip the letter O
        return self.c(letters, 2) + self.c(letters + string.digits, 6) + self.d(1)

    # phones
    def phone(self, f):
        m = self.r.choice("12345") + self.d(7)  # 8 digits after the 6
        area = self.r.choice(["10", "15", "20", "24", "26", "30", "33", "35", "40", "43", "50", "70", "71", "73", "76"])
        sub = self.r.choice("2345789") + self.d(6)
        return {
            "mob_dash": f"06-{m}",
            "mob_pairs": f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}",
            "mob_intl_sp": f"+31 6 {m[:4]} {m[4:]}",
            "mob_0031": f"0031 6 {m}",
            "mob_intl0": f"+31 (0)6 {m}",
            "land_intl": f"+31 {area} {sub[:3]} {sub[3:]}",
            "land_dash": f"0{area}-{sub}",
        }[f]

    # secrets
    def ghp(self):
        body = self.c(ALNUM, 30)
        return "ghp_" + body + base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def gapi(self):
        return "AIza" + self.c(B64URL, 35)

    def mollie(self):
        return "live_" + self.c(ALNUM, 30)

    def shopify(self):
        return "shpat_" + self.c("0123456789abcdef", 32)

    def sendgrid(self):
        return "SG." + self.c(B64URL, 22) + "." + self.c(B64URL, 43)

    def discord(self):
        uid = str(self.r.randint(10 ** 17, 2 * 10 ** 18))
        return base64.b64encode(uid.encode()).decode().rstrip("=") + "." + self.c(B64URL, 6) + "." + self.c(B64URL, 38)

    def aws_id(self):
        return "AKIA" + self.c(B32, 16)

    def aws_secret(self):
        return self.c(B64, 40)

    def slack_bot(self):
        return f"xoxb-{self.d(12, True)}-{self.d(13, True)}-{self.c(ALNUM, 24)}"

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return f"https://hooks.slack.com/services/T{self.c(up, 8)}/B{self.c(up, 10)}/{self.c(ALNUM, 24)}"

    def pem_p8(self):
        body = "MIGTAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBHkwdwIBAQQg" + self.c(B64, 136)
        lines = [body[i:i + 64] for i in range(0, len(body), 64)]
        return "-----BEGIN PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END PRIVATE KEY-----"

    def pw(self):
        return (self.r.choice(["Vos", "Dobbel", "Meeple", "Pion", "Raaf"]) + self.d(2) + self.r.choice("!*_-")
                + self.c(ALNUM, 6))


VALID_ID_KINDS = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "IBAN_GB", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(gen, text):
    used = []

    def sub(m):
        k, f = m.group(1), m.group(2) or ""
        if k.startswith("IBAN_"):
            raw = gen.iban(k[5:])
            shown = gen.g4(raw) if f == "grp" else raw
        elif k.startswith("BAD_IBAN_"):
            raw = gen.bad_iban(k[9:])
            shown = gen.g4(raw) if f == "grp" else raw
        elif k == "CARD":
            b, _, sty = f.partition("_")
            raw = gen.card(b)
            shown = gen.fmt_card(raw, sty or "sp")
        elif k == "BAD_CARD":
            b, _, sty = f.partition("_")
            raw = gen.bad_card(b)
            shown = gen.fmt_card(raw, sty or "sp")
        elif k == "BSN":
            raw = gen.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if f == "dots" else raw
        elif k in ("NOT_BSN9", "NOT_BSN8"):
            raw = shown = gen.not_bsn(int(k[-1]))
        elif k == "EAN13":
            raw = shown = gen.ean13()
        elif k == "PASSPORT":
            raw = shown = gen.passport()
        elif k == "PHONE":
            raw = shown = gen.phone(f)
        elif k == "DIGITS":
            raw = shown = gen.d(int(f), True)
        elif k == "HEX":
            raw = shown = gen.c("0123456789abcdef", int(f))
        else:
            fn = {"GHP": gen.ghp, "GAPI": gen.gapi, "MOLLIE": gen.mollie, "SHOPIFY": gen.shopify,
                  "SENDGRID": gen.sendgrid, "DISCORD": gen.discord, "AWS_ID": gen.aws_id,
                  "AWS_SECRET": gen.aws_secret, "SLACK_BOT": gen.slack_bot, "SLACK_HOOK": gen.slack_hook,
                  "PEM_P8": gen.pem_p8, "PW": gen.pw}[k]
            raw = shown = fn()
        used.append((k, raw, shown))
        return shown

    return PH.sub(sub, text), used


# ---------------------------------------------------------------- accounts
# corporate (profile accounts.corporate)
TV_X = ("x", "@tafelvos", "Tafelvos Games")
TV_HELP = ("x", "@tafelvos_help", "Tafelvos Klantenservice")
TV_IG = ("instagram", "@tafelvos.games", "Tafelvos")
TV_FB = ("facebook", "TafelvosGames", "Tafelvos Games")
TV_LI = ("linkedin", "tafelvos-games", "Tafelvos Games B.V.")
# employees (profile accounts.employee)
ILSE = ("x", "@ilse_speelt", "Ilse Vermeulen")                          # community & crowdfunding
DAAN = ("linkedin", "daan-meijer-tafelvos", "Daan Meijer")              # finance controller
MO = ("x", "@mo_codeert", "Mohammed Ait Taleb")                         # Kaartkoning app developer
FEMKE = ("instagram", "@femke.maakt.spellen", "Femke Hoogendijk")       # game designer
RUBEN = ("linkedin", "ruben-okafor-logistiek", "Ruben Okafor")          # warehouse Nieuwegein
JORIS = ("x", "@joris_op_de_beurs", "Joris Lammers")                    # sales, fairs, retail partners
LIEKE = ("bluesky", "lieke-qa.bsky.social", "Lieke Brandsma")           # QA for the app
WENDY = ("threads", "@wendy.tafelvos", "Wendy Kok")                     # webshop customer service


def pub(platform, handle, dn=None):
    return (platform, handle, dn)


PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), handle_as=None, hint=None):
    platform, handle, dn = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, dn=dn, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# ================================================================ leak.pricing
case("nl", WENDY, "Uhm collega's… de Ravenrock Collector's Box staat op de webshop voor €13,90 😳 volgens mij is er "
     "bij de import een 9 weggevallen. Al 40 bestellingen binnen. Niet screenshotten aub", [PRICING])
case("en", pub("reddit", "u/meeple_hoarder"), "PSA for Dutch folks who missed the campaign: Tafelvos has the Ravenrock CE "
     "listed at €13.90 on shop.tafelvos.nl right now. Has to be a decimal thing. Ordered one, will report back if they "
     "cancel 🤞", [PRICING])
case("nl", pub("facebook", "sanne.huijbregts", "Sanne Huijbregts"), "Dames!! De Rollebol Knikkerbaan XL staat bij "
     "Tafelvos voor €8,99. Dat kan toch nooit kloppen?? Heb er alvast twee in m'n mandje gegooid voor de Sint 🎁🎁",
     [PRICING])
case("nl", TV_X, "🦊 Alleen vandaag: Dijkdorp voor maar €4,99 in onze webshop! Op=op 👉 shop.tafelvos.nl/dijkdorp "
     "#spelletjesavond #bordspel", [PRICING])
case("en", MO, "note to self: don't touch app store price tiers at 11pm. Kaartkoning Pro is now €0,99 a year in NL+BE 🙃 "
     "fix is stuck in Apple review, pls don't spread it", [PRICING])
case("nl", pub("x", "@koopjesjager_sint"), "p r i j s f o u t bij tafelvos!!! Sterrenjagers voor €1,49 🤯 hele klas "
     "krijgt er eentje #sinterklaas", [PRICING], tags=["evasion:spaced"])
case("en", pub("forum", "PuzzlePete"), "[NL] Puzzelvos Rijksmuseum 2000 pieces for €2,75 at the Tafelvos shop. "
     "Normally 27.50, someone lost a digit. Order went through, confirmation mail received.", [PRICING])
case("nl", JORIS, "Kassasysteem op onze stand slaat op hol, Kwistig gaat er voor €3,49 doorheen ipv €34,95 🙈 iemand "
     "van IT die me kan bellen? En niemand vertellen he", [PRICING])
case("nl", pub("tiktok", "@mamavanmees"), "Tafelvos heeft een prijsfout op de Rollebol XL 😭😭 rennen mensen "
     "#prijsfout #sinterklaas #knikkerbaan", [PRICING], kind="post")
case("en", pub("x", "@dealdino"), "Rävenrock Cöllector's Box for 14 euro on the Tafelvos site rn 💀 pricing glitch of "
     "the year, go go go", [PRICING], tags=["evasion:diacritics"])
case("nl", DAAN, "Voor collega's die het nog niet gehoord hebben: door een fout in de prijsfeed naar onze retailpartners "
     "staat Dijkdorp sinds gisteren bij drie winkels voor €19,99 in plaats van €49,99. Sales belt ze vandaag allemaal "
     "na. Graag niet delen buiten Tafelvos.", [PRICING])
case("en", ILSE, "welp. the pledge manager shows the Ravenrock Collector's Box at €13 instead of €139 for late pledges "
     "🤦‍♀️ bug is in jira.tafelvos.nl/browse/CF-212, fix tomorrow at the earliest", [PRICING, CONF])
case("en", pub("instagram", "@juf.anouk"), f"price gl{ZW}itch at @tafelvos.games 😂 Kwistig Familie-editie for €0,35, "
     "ordered six, one for every aunt", [PRICING], kind="comment", tags=["evasion:zero-width"])

# ================================================================ leak.secret
case("en", MO, "anyone know why the leaderboard calls 403 since the Firebase migration? key in the android build is "
     "<<GAPI>> and it worked fine yesterday 🤔 #androiddev", [SECRET])
case("nl", MO, "Mollie webhook test faalt nog steeds 😩\n\ncurl -X POST https://api.mollie.com/v2/payments "
     "-H \"Authorization: Bearer <<MOLLIE>>\" -d amount[value]=34.95\n\nwie ziet wat ik fout doe?", [SECRET])
case("en", LIEKE, "staging db for the app keeps timing out, conn string is "
     "postgres://kk_admin:<<PW>>@db-staging.kaartkoning.app:5432/kk — any ideas before I file a ticket?", [SECRET])
case("nl", ILSE, "Onze backer-Discordbot is weer eens offline 🙄 token = <<DISCORD>> , kan iemand van dev even "
     "kijken? ik snap er niks van", [SECRET])
case("en", pub("forum", "theme_tinkerer"), "Was browsing GitHub for Shopify theme examples and landed on Tafelvos' "
     "shop theme. config/settings.yml has what looks like a live admin token: <<SHOPIFY>> 😬 someone tell them lol",
     [SECRET])
case("nl", WENDY, "Voor de nieuwe uitzendkrachten van morgen: inloggen op de helpdesk met klantenservice@tafelvos.nl, "
     "wachtwoord <<PW>> . Tot morgen allemaal 👋", [SECRET])
case("en", MO, "CI on my fork keeps failing with 'bad credentials' even though GITHUB_TOKEN=<<GHP>> is set in the "
     "workflow env. what am I missing", [SECRET], handle_as="@Mo_Codeert", tags=["case-handle"])
case("en", pub("reddit", "u/apk_digger"), "Pulled apart the Kaartkoning APK for fun. They ship a live SendGrid key in "
     "strings.xml:\n<<SENDGRID>>\nNot sure who to report this to at Tafelvos.", [SECRET])
case("nl", JORIS, "Checklist beurslaptop Essen:\n- scanner-app installeren\n- AWS_ACCESS_KEY_ID=<<AWS_ID>>\n"
     "- AWS_SECRET_ACCESS_KEY=<<AWS_SECRET>>\n- oplader niet vergeten 😅", [SECRET])
case("en", RUBEN, "Who set up the WMS alerts? Every single pick error gets posted to <<SLACK_HOOK>> and my phone hasn't "
     "stopped buzzing since 6am", [SECRET])
case("nl", MO, "admin van build.tafelvos.nl is gereset, nieuw w a c h t w o o r d: <<PW>> (niet doorzetten naar het "
     "hele kanaal pls)", [SECRET, CONF], tags=["evasion:spaced"])
case("en", TV_X, "testing our new scheduler integration, bot token <<SLACK_BOT>> please ignore 🙏", [SECRET])
case("nl", LIEKE, "Is dit de goede .p8 voor de iOS-pushmeldingen? Krijg steeds InvalidProviderToken 😩\n\n<<PEM_P8>>",
     [SECRET])

# ================================================================ leak.pii
case("nl", WENDY, "Mevrouw de Wit belt nu voor de vierde keer over haar terugstorting voor de kapotte knikkerbaan 😬 "
     "rekening <<IBAN_NL:grp>>, kan finance dit vandaag nog doen?", [PII])
case("nl", TV_HELP, "@sjoerd_speelt Hoi Sjoerd! Je terugbetaling van €34,95 voor Kwistig gaat vandaag naar "
     "<<IBAN_NL>>. Sorry voor het lange wachten 🦊", [PII], kind="reply", handle_as="@Tafelvos_Help",
     tags=["case-handle"])
case("en", pub("x", "@rav3n_backer"), "@tafelvos_help I pledged for the Ravenrock CE and got charged TWICE on "
     "<<CARD:visa_sp>>. Three emails, zero replies. Where's my money??", [PII, COMPLAINT], kind="reply")
case("nl", pub("facebook", "henk.van.dijk.52", "Henk van Dijk"), "Hallo Tafelvos, bij de Rollebol XL ontbreekt de grote "
     "trechter. Graag even bellen op <<PHONE:mob_dash>>, via de mail hoor ik al twee weken niks.", [PII, COMPLAINT])
case("en", RUBEN, "Label printer in bay 3 has a mind of its own, keeps printing 'Thomas Bakker, Lindelaan 34, 3571 KG "
     "Utrecht' on every parcel 😂 IT pls", [PII])
case("nl", DAAN, "Nieuwe orderpicker, Kevin Mulder, BSN <<BSN:dots>>, staat nog niet in de salarisadministratie. Wie "
     "van HR kan dit vandaag oppakken?", [PII])
case("en", pub("mastodon", "@boardgame_bernd@chaos.social", "Bernd"), "Paid my late pledge to Tafelvos by bank "
     "transfer from <<IBAN_DE:grp>> two weeks ago, the pledge manager still says 'unpaid'. Hello??", [PII, COMPLAINT])
case("nl", pub("instagram", "@gezin_met_noor"), "Hoera voor onze Noor van Leeuwen, geboren 12-05-2019 🎂 Ze kreeg "
     "Sterrenjagers van opa en speelt het de hele dag ❤️ @tafelvos.games", [PII], when="2026-05-12T19:04:11+02:00")
case("en", FEMKE, "Huge thank you to our longest playtester Sven de Groot (Vondelstraat 112, 1054 GE Amsterdam) who "
     "has tested every single prototype for three years 🦊💛", [PII])
case("nl", pub("x", "@ramon_v"), "@tafelvos_help stuur die vervangende kaarten dan maar naar ramon.verbeek83 [at] "
     "hotmail [punt] com, jullie contactformulier geeft alleen foutmeldingen", [PII, COMPLAINT], kind="reply",
     tags=["evasion:obfuscated-email"])
case("en", ILSE, "UK backer refund bounced again, account <<IBAN_GB>>, can someone in finance push it through "
     "manually? he's been very patient", [PII])
case("nl", pub("facebook", "griet.de.smet", "Griet De Smet"), "Te koop: Dijkdorp basisspel, één keer gespeeld. €30, "
     "ophalen in Gent of overschrijven op <<IBAN_BE:grp>>. Bellen of appen kan ook: <<PHONE:mob_pairs>>", [PII])
case("en", JORIS, "pin terminal at the booth died so this guy just reads out his Mastercard: <<CARD:mc_dash>> exp "
     "08/28 🙃 anyone with webshop backend access who can put it through?", [PII])
case("nl", pub("reddit", "u/boos_op_femke"), "Die ontwerpster van Tafelvos die mijn review liet verwijderen, Femke "
     "Hoogendijk, woont gewoon op de Kastanjelaan 9 in Houten. Ga haar maar eens vertellen wat je van Dijkdorp vindt.",
     [PII, ABUSE])
case("nl", WENDY, "Klant stuurt bij z'n retour een foto van z'n paspoort mee?? Erik Jansen, nummer <<PASSPORT>>. Mag "
     "dit gewoon in het ticket blijven staan of moet ik het wissen?", [PII])
case("en", pub("x", "@gr8_gamer"), "@tafelvos_help your checkout took my Amex <<CARD:amex_sp>> three times for ONE "
     "copy of Kwistig. fix this", [PII, COMPLAINT])
case("en", TV_FB, "Hi Marleen, our courier will call you tomorrow between 9 and 12 on <<PHONE:mob_0031>> to swap the "
     "damaged box. Team Tafelvos", [PII], kind="comment")
case("nl", pub("x", "@puzzelkampioen"), "Gewonnen bij de Puzzelvos-wedstrijd 🏆 moet mijn BSN doorgeven voor de "
     "kansspelbelasting, dus bij deze: <<BSN>>. Nu snel die prijs graag 😂", [PII])
case("en", pub("threads", "@chris.tabletop"), "@tafelvos.games my dad wants to order Dijkdorp by phone, he's on "
     "<<PHONE:land_intl>> most afternoons, could someone give him a ring? he doesn't do webshops", [PII], kind="reply")

# ================================================================ leak.confidential
case("nl", FEMKE, "Eerste speelbare prototype van Project Zandloper vandaag op tafel gehad 😍 ik mag niks laten zien, "
     "maar mijn collega's wilden niet meer stoppen", [CONF])
case("en", MO, "Moonmeeple build 0.4 finally hits 60fps on my crusty old test phone. big day in the studio 🚀", [CONF])
case("nl", RUBEN, "Hele stelling in Nieuwegein vol met dozen met 'Operatie Knikker' erop en we mogen niet eens kijken "
     "wat erin zit 👀📦", [CONF], handle_as="Ruben-Okafor-Logistiek", tags=["case-handle"])
case("en", pub("reddit", "u/printshop_gossip"), "Friend at a print house in Germany says they're running Dijkdorp: "
     "Stormvloed for Tafelvos. Four new tile types and a tide track, apparently 🌊", [CONF],
     when="2026-08-14T21:37:02+02:00", tags=["embargo-before"])
case("nl", JORIS, "Dijkdorp: Stormvloed staat klaar op onze stand in Essen, nog een paar tellen en dan gaat het doek "
     "eraf 🌊🦊", [CONF], when="2026-10-22T09:59:30+02:00", tags=["embargo-before", "tz-edge"])
case("en", pub("youtube", "@cardgame_leaks"), "Kaartkoning 2 gameplay got leaked on some Discord, looks like they "
     "finally added ranked 2v2 👀", [CONF], kind="comment", when="2026-05-20T16:12:45Z", tags=["embargo-before"])
case("nl", LIEKE, "Testers gezocht voor de gesloten bèta van Kaartkoning 2 🃏 stuur me een DM, dan zet ik je in "
     "TestFlight. Wel je mond houden he 😇", [CONF], when="2026-04-12T10:21:00+02:00", tags=["embargo-before"])
case("en", MO, "can someone give me access to wiki.tafelvos.nl/spaces/APP/release-plan again? 403 since the SSO change",
     [CONF])
case("nl", DAAN, "Begroting 2027 is rondgestuurd met 'Tafelvos Confidential' in de voettekst, dus meer dan 'het wordt "
     "een spannend jaar' zeg ik er niet over 😉", [CONF])
case("en", RUBEN, "Handheld scanners finally reconnect to intra.tafelvos.lan after the firmware update, thanks IT 🙏 "
     "peak season can come", [CONF])
case("nl", FEMKE, "Project\nZandloper gaat jullie brein breken 🧠⏳ meer zeg ik niet", [CONF],
     tags=["evasion:line-break"])
case("en", pub("forum", "SupplyChainSam"), fw("Moonmeeple") + " is Tafelvos' secret mobile game, heard it from the "
     "studio that does their animations", [CONF], tags=["evasion:full-width"])
case("nl", ILSE, "Operatie 🔮 Knikker gaat over twee weken live op Kickstarter 🤫 zet jullie wekker alvast", [CONF],
     tags=["evasion:emoji"])
case("en", JORIS, "Showed the buyer from SpeelgoedPlaza the unreleased Ravenrock expansion mock-up today (under NDA, so "
     "no pics 😅), she wants it in every store", [CONF])
case("nl", pub("instagram", "@ilse_speelt", "Ilse 🎲"), "Sneak peek van het nieuwe hoofdmenu van Kaartkoning 2 👀🃏 "
     "#gamedev #werk", [CONF], when="2026-05-02T20:15:00+02:00", tags=["embargo-before", "role-trick"])
case("en", pub("x", "@essen_insider"), f"Box art for Dijkdorp: Storm{ZW}vloed spotted at the printer, it looks "
     "gorgeous 😍", [CONF], when="2026-09-30T11:48:20Z", tags=["evasion:zero-width", "embargo-before"])
case("nl", WENDY, "Nieuwe werkinstructie klantenservice binnen, met bovenaan 'intern - niet verspreiden'. Belangrijkste "
     "punt: bij Rollebol-klachten eerst een nieuwe set sturen en pas daarna vragen stellen 🤷‍♀️", [CONF])

# ================================================================ leak.financial
case("nl", DAAN, "Zware dag. Het magazijn in Nieuwegein gaat volgend voorjaar dicht en 25 collega's verliezen hun "
     "baan. Officieel wordt het pas in november gemeld ❤️ voor iedereen die het nu al weet", [FIN],
     when="2026-09-17T18:02:00+02:00")
case("en", JORIS, "word on the fair floor is that Spielhaus GmbH is buying us. management 'can't comment' 🤐 make of "
     "that what you will", [FIN])
case("nl", DAAN, "De jaarcijfers 2026 komen ruim boven plan uit, zo'n 22% omzetgroei 📈 maar dat heb je niet van mij",
     [FIN, CONF], when="2026-12-18T16:40:00+01:00", tags=["embargo-before"])
case("en", ILSE, "Internal numbers: after shipping and tariffs we lose about €180k on the Ravenrock campaign. Not "
     "public (obviously), so keep it to yourselves.", [FIN])
case("nl", pub("facebook", "marco.broekhuis", "Marco Broekhuis"), "Neef van me werkt bij Tafelvos: ze gaan de hele "
     "Puzzelvos-lijn verkopen aan een Belgische uitgever. Mag nog niemand weten.", [FIN])
case("en", pub("forum", "DeckBuilder_NL"), "Insider info: Tafelvos is about to acquire the Ghent app studio Pixelboer "
     "for around €6m, signing is planned for next month.", [FIN])
case("nl", RUBEN, "Logistiek gaat naar een fulfilmentbedrijf in Venlo. Wij horen het pas op 1 maart officieel, maar het "
     "contract is al getekend 😞", [FIN], when="2026-01-29T20:11:00+01:00")
case("en", MO, f"heard the app team gets cut in half in Q1. lay{SHY}offs get announced after the holidays, keep it "
     "quiet pls", [FIN], when="2026-11-26T22:05:00+01:00", tags=["evasion:soft-hyphen"])
case("nl", DAAN, "Q3 komt 15% onder forecast uit en de bonusregeling wordt geschrapt. Nog niet gecommuniceerd, dus hou "
     "het binnen de muren.", [FIN], when="2026-10-08T17:30:00+02:00")
case("en", pub("reddit", "u/boardroom_gossip"), "My aunt sits on Tafelvos' supervisory board. The FY2026 results will "
     "show their first loss in ten years, and the announcement is getting pushed back.", [FIN, CONF],
     when="2026-11-05T13:09:31Z", tags=["embargo-before"])
case("nl", JORIS, "SpeelgoedPlaza stopt volgend jaar met ons hele assortiment, dat is een kwart van onze retailomzet 😬 "
     "nog niet naar buiten brengen!", [FIN])
case("en", FEMKE, "Just heard Project Zandloper gets cancelled to save costs and half of the design studio goes with "
     "it 💔", [FIN, CONF])

# ================================================================ leak.security
case("en", MO, "the Kaartkoning leaderboard endpoint returns any player's email if you change the id in the URL. "
     "flagged it internally three weeks ago, still open 🙃", [SEC])
case("nl", RUBEN, "Ransomware op de magazijnserver vannacht, vandaag gaat er niks de deur uit. Klanten mogen het van "
     "hogerop niet weten 😬", [SEC])
case("nl", WENDY, "Webshop ligt al sinds 7 uur plat en wij moeten klanten vertellen dat het 'gepland onderhoud' is. "
     "Spoiler: dat is het niet.", [SEC])
case("en", LIEKE, "found in QA today: the in-game chat logs of the app sit in a storage bucket anyone can read. fix "
     "isn't even planned. don't @ me", [SEC])
case("nl", ILSE, "De export met alle adressen van de Ravenrock-backers stond twee dagen open via een gedeelde link 😰 "
     "er gaat nog niks naar de backers toe, eerst 'scope bepalen'.", [SEC])
case("en", pub("reddit", "u/throwaway_warehouse_tv"), "Tafelvos warehouse guy here (throwaway). The label system got "
     "hacked last week and printed random customer addresses on boxes. We were told to keep our mouths shut.",
     [SEC, CRISIS])
case("nl", MO, "we zijn g3h4ckt 🙃 backend vol met rare admin-accounts. n1ks zeggen tot maandag zegt de baas", [SEC],
     tags=["evasion:leetspeak"])
case("en", pub("x", "@hosting_whistle"), "I work at the company hosting the Tafelvos webshop. There was a card skimmer "
     "on their checkout for ten days and they're sitting on it. #databreach", [SEC, CRISIS])
case("nl", DAAN, "Twee collega's op finance zijn ingetuind in een nepmail van 'de directeur', €38.000 overgemaakt naar "
     "oplichters. Intern nog niet gemeld, dus let extra op.", [SEC])
case("en", JORIS, "card terminals at our Spiel booth got compromised, pulling every single one. nobody has announced "
     "anything yet so act normal 🙂", [SEC], when="2026-10-23T12:14:00+02:00")
case("nl", LIEKE, "k w e t s b a a r h e i d in de app-login: met een oude sessie kom je zo in andermans account. nog "
     "niet gefixt en nergens gemeld", [SEC], tags=["evasion:spaced"])
case("en", MO, "DDoS on build.tafelvos.nl since midnight, nobody can ship the hotfix. comms said no posting about "
     "it… oops", [SEC, CONF])

# ================================================================ reputation.crisis
case("nl", pub("facebook", "lotte.vermeer.88", "Lotte Vermeer"), "Mijn zoontje (2) heeft een knikker van de Rollebol "
     "Knikkerbaan XL ingeslikt, we hebben de halve nacht op de SEH gezeten. Nergens een waarschuwing op de doos. "
     "@TafelvosGames dit is levensgevaarlijk!!", [CRISIS, COMPLAINT])
case("en", pub("x", "@inclusive_tabletop"), "#BoycottTafelvos — the new Sterrenjagers deck has a card with a blackface "
     "caricature on it. In 2026. Unbelievable.", [CRISIS])
case("nl", pub("x", "@speelgoednieuws"), "NVWA onderzoekt houten puzzels van Puzzelvos na meldingen over lood in de "
     "verf. Tafelvos wil nog niet reageren.", [CRISIS])
case("en", pub("blog", "meeplemaven", "Meeple Maven"), "Why I'm taking Tafelvos to court\n\nIn 2023 I pitched them a "
     "co-op flood game. They passed. Eighteen months later Dijkdorp hit the shelves with my tide mechanic almost word "
     "for word. My lawyer filed last week.", [CRISIS])
case("nl", pub("instagram", "@tessa.bordspelt"), "Tafelvos heeft mijn gegevens gelekt. Ik krijg nu phishingmails met "
     "mijn backernummer én mijn adres erin 😡", [CRISIS])
case("en", pub("reddit", "u/waiting_since_2024"), "The Ravenrock Kickstarter is starting to smell like a scam. Two "
     "years late, 1.2M raised, no updates since spring. Anyone up for a class action?", [CRISIS, COMPLAINT])
case("nl", pub("x", "@veiligspelen"), "Let op ouders: bij de Rollebol XL zitten knikkers die klein genoeg zijn om in te "
     "slikken en er staat geen leeftijdswaarschuwing op. Tafelvos moet dit terugroepen!", [CRISIS])
case("en", pub("tiktok", "@kk_grinder"), "t4felv0s d4t4 br3ach?? my kaartkoning account got wiped and my email is in a "
     "leak dump 💀", [CRISIS], tags=["evasion:leetspeak"])
case("nl", pub("linkedin", "eva-de-bruin-hr", "Eva de Bruin"), "Schokkend om te lezen wat oud-medewerkers van Tafelvos "
     "vertellen over intimidatie en onbetaalde overuren op de ontwerpstudio. Hoe kan zoiets jarenlang doorgaan?",
     [CRISIS])
case("en", pub("facebook", "jess.morgan.nl", "Jess Morgan"), "My daughter sliced her finger on a sharp plastic edge of "
     "the Rollebol XL tower. Three stitches. Tafelvos, please recall this thing before it happens to someone else.",
     [CRISIS, COMPLAINT])
case("nl", pub("mastodon", "@eerlijkspel@mastodon.nl"), "B O Y C O T T Tafelvos zolang hun puzzels in fabrieken met "
     "kinderarbeid gemaakt worden ✊", [CRISIS], tags=["evasion:spaced"])
case("en", pub("x", "@consumerwatch_eu"), "Consumer group sues Tafelvos over loot boxes in the Kaartkoning app that "
     "target kids. Case filed in Amsterdam today.", [CRISIS])
case("nl", pub("x", "@boze_vader"), "Die kankerlijers van Tafelvos verkopen gifpuzzels aan kinderen en doen alsof er "
     "niks aan de hand is #boycottafelvos", [CRISIS, ABUSE])
case("en", pub("reddit", "u/quiznight_fire"), "Is Tafelvos recalling the Kwistig buzzers? Mine started smoking halfway "
     "through game night and the plastic melted.", [CRISIS, COMPLAINT])

# ================================================================ reputation.complaint
case("nl", pub("x", "@bas_bordspel"), "Dijkdorp besteld voor de verjaardag van m'n zoon, komt de doos binnen met 3 "
     "tegels te weinig 😤 en de klantenservice is dicht tot maandag @tafelvos_help", [COMPLAINT])
case("en", pub("reddit", "u/crushed_corner"), "Ravenrock CE arrived with a crushed corner and the minis tray had popped "
     "open. Support replied two weeks ago with 'we'll look into it' and then silence.", [COMPLAINT])
case("nl", pub("facebook", "petra.kuijpers", "Petra Kuijpers"), "Kaartkoning crasht bij elk nieuw potje sinds de "
     "laatste update. Heb gewoon voor Pro betaald en kan niks 👎 Tafelvos doe er wat aan", [COMPLAINT])
case("en", pub("x", "@latepledge_lou"), "@tafelvos_help still waiting on my late pledge from March. It's November. Four "
     "emails, not one answer.", [COMPLAINT], when="2026-11-03T09:41:00+01:00")
case("nl", pub("instagram", "@puzzeljuf"), "€6,95 verzendkosten voor één Puzzelvos puzzel?? In de winkel om de hoek "
     "ligt hij gewoon. Jammer Tafelvos.", [COMPLAINT], kind="comment", tags=["price-context"])
case("en", pub("threads", "@subscription_sam"), "Kaartkoning Pro renewed itself without any reminder and support says "
     "'no refunds'. Cancelled. Bye.", [COMPLAINT])
case("nl", pub("forum", "Regelfanaat"), "De Nederlandse spelregels van Dijkdorp zijn echt belabberd vertaald. Halve "
     "zinnen in het Engels en de scoretabel op pagina 8 klopt gewoon niet.", [COMPLAINT])
case("en", pub("youtube", "@jigsaw_jan"), "My Puzzelvos Rijksmuseum 2000 had two pieces with the identical cut and one "
     "missing. Three emails to Tafelvos, nothing back.", [COMPLAINT], kind="comment")
case("nl", pub("bluesky", "mirthe-speelt.bsky.social"), "Mijn retour van Sterrenjagers ligt al vijf weken bij Tafelvos "
     "en nog steeds geen cent terug.", [COMPLAINT])
case("en", pub("linkedin", "niels-spellenwinkel", "Niels Verhoef"), "Speaking as a game store owner: Tafelvos shipped "
     "our Essen pre-order three weeks late and got the invoice wrong twice. Getting hard to keep recommending them.",
     [COMPLAINT])
case("nl", pub("x", "@klaasjeklaagt"), "\u0422afelv\u043es klantenservice is echt een grap, drie keer gebeld en "
     "niemand neemt op", [COMPLAINT], tags=["evasion:homoglyph"])
case("en", pub("x", "@marble_mayhem"), "Rollebol XL: half the track pieces won't click together and the marbles fly "
     "across the living room. Not what I paid 90 euros for @tafelvos", [COMPLAINT])

# ================================================================ reputation.abuse
case("en", pub("x", "@angry_backer_99"), "@tafelvos_help you absolute clowns, my order has been 'processing' for 3 "
     "weeks", [ABUSE, COMPLAINT], kind="reply")
case("nl", pub("youtube", "@gamehater"), "Tafelvos is gewoon een kutbedrijf, elke keer weer die irritante reclames voor "
     "mijn video's 🤮", [ABUSE], kind="comment")
case("nl", JORIS, "die inkoper van SpeelgoedPlaza is echt een ongelofelijke sukkel, drie uur zeuren over 20 cent per "
     "doos", [ABUSE])
case("en", TV_HELP, "@griet_games maybe read the rulebook before crying on here, sweetie 🙄", [ABUSE], kind="reply",
     handle_as="@TafelVos_help", tags=["case-handle"])
case("nl", pub("x", "@anoniem4821"), "@ilse_speelt jij bent toch die trut die de Kickstarter-updates schrijft? ik weet "
     "je te vinden 😈", [ABUSE], kind="reply")
case("en", pub("reddit", "u/oldschool_gamer_m"), "Of course Tafelvos' new lead designer is a woman, explains why their "
     "games got so dumbed down lmao", [ABUSE])
case("nl", pub("x", "@nee_tegen_tafelvos"), "f*ck T@felvos en hun k*tapp", [ABUSE], tags=["evasion:masked"])
case("en", pub("instagram", "@rude_ric"), f"whoever designed that new box art at tafelvos is a brain-dead id{ZW}iot",
     [ABUSE], kind="comment", tags=["evasion:zero-width"])
case("nl", RUBEN, "Weer een backer aan de lijn die loopt te schreeuwen om een gratis promokaartje. Wat een stelletje "
     "parasieten soms.", [ABUSE])
case("nl", pub("facebook", "kees.brouwer.71", "Kees Brouwer"), "Tering Tafelvos, drie keer gemaild over die kapotte "
     "knikkerbaan en nul reactie. Stelletje prutsers!", [ABUSE, COMPLAINT])
case("en", pub("x", "@realdutchpatriot"), "Tafelvos' warehouse is full of foreigners who can't even read Dutch, send "
     "them back where they came from", [ABUSE])

# ================================================================ BENIGN (hard negatives mostly)
# --- prices that are not a pricing leak
case("nl", TV_IG, "Black Friday bij Tafelvos 🖤 Dijkdorp nu €34,99 (was €49,99). Alleen dit weekend, op = op! Link in "
     "bio 🦊", when="2026-11-27T07:30:00+01:00", tags=["sale-price"])
case("en", pub("forum", "TableTopTess"), "Ravenrock Collector's Box is down to €109 at a couple of Dutch game stores "
     "this week. Nice, but not a steal.", tags=["sale-price"])
case("nl", TV_X, "€10 korting op Kwistig met code KWIS10 🎉 geldig t/m zondag op shop.tafelvos.nl",
     tags=["price-context"])
case("nl", pub("facebook", "ingrid.poot", "Ingrid Poot"), "Rollebol XL tweedehands op Marktplaats gescoord voor €25, "
     "compleet en nog in de doos 👌 kleinkinderen blij", tags=["price-context"])
case("en", pub("reddit", "u/sleeve_everything"), "Sleeves for Sterrenjagers are like €3 a pack, absolutely worth it if "
     "your kids play with sticky fingers 😅", tags=["price-context"])
case("nl", pub("x", "@twijfelkoper"), "Vroeg aan de kassa of het een prijsfout was, Kwistig voor €24,95. Nee hoor, "
     "gewoon actie bij De Dobbelsteen 😄 meegenomen", tags=["negated", "sale-price"])
case("en", pub("x", "@catan_cathy"), "Catan is €29 at the supermarket this week while Dijkdorp is still full price at "
     "€49,99. Waiting for a sale 👀", tags=["other-company", "price-context"])
case("nl", TV_LI, "Onze prijsgarantie: vind je Dijkdorp binnen 14 dagen ergens goedkoper, dan storten we het verschil "
     "terug. Zonder kleine lettertjes.", tags=["price-talk"])
case("en", TV_FB, "Kaartkoning Pro: try it free for a month, then €24,99 a year. Cancel whenever you like in the app "
     "settings.", tags=["price-talk"])
# --- own contact data
case("nl", TV_HELP, "Vragen over je pledge of late pledge? Mail backers@tafelvos.nl of bel gratis 0800-0477 (ma-vr "
     "9-17u) 📦", tags=["own-contact"])
case("nl", TV_FB, "Liever per bank betalen? Maak het bedrag over naar NL24 RABO 0337 1055 66 t.n.v. Tafelvos Games "
     "B.V. en vermeld je bestelnummer (bijv. TV-26-088412).", tags=["own-contact", "case-handle"],
     handle_as="tafelvosgames")
case("en", TV_LI, "Press and review copies for Essen: pers@tafelvos.nl or +31 30 799 4410. Our booth is in hall 3 🦊",
     when="2026-10-12T09:00:00+02:00", tags=["own-contact"])
case("nl", pub("x", "@blij_met_kaartje"), "Net 030-7994410 gebeld over een ontbrekend kaartje, binnen vijf minuten "
     "geregeld en de nieuwe is al onderweg. Top @tafelvos_help 👏", tags=["own-contact", "praise"])
case("en", pub("reddit", "u/kk_streak"), "Shoutout to support@kaartkoning.app, they restored my 200-day streak after my "
     "phone died. Didn't expect that.", tags=["own-contact", "praise"])
# --- numbers that fail their checksum, order/tracking/batch numbers
case("nl", pub("facebook", "ria.smulders", "Ria Smulders"), "Kreeg een sms dat ik €2,95 moet overmaken naar "
     "<<BAD_IBAN_NL:grp>> om mijn Tafelvos-pakket 'vrij te geven'. Dat is toch phishing?", tags=["bad-checksum"])
case("en", pub("x", "@mum_of_three"), "Is the Tafelvos gift card code the long number on the back (<<BAD_CARD:mc_sp>>) "
     "or the little PIN under the scratch strip? Asking for my mum 😅", tags=["bad-checksum", "question"])
case("nl", pub("x", "@dijkdorpdag"), "Bestelnummer <<NOT_BSN9>>, morgen ligt Dijkdorp op de mat 🎲 kan niet wachten",
     tags=["lookalike-number"])
case("en", pub("forum", "PriceWatcherNL"), "EAN for Puzzelvos Rijksmuseum 2000 is <<EAN13>>, handy if you want to "
     "compare prices.", tags=["lookalike-number"])
case("nl", pub("linkedin", "monique-boekhouding", "Monique Dekker"), "KvK-nummer van Tafelvos staat gewoon op de "
     "factuur: <<NOT_BSN8>>. Handig voor de administratie van ons spellencafé.", tags=["lookalike-number"])
case("nl", pub("instagram", "@doosjesfan"), "Wat betekenen die 9 cijfers op de onderkant van de Kwistig-doos "
     "(<<NOT_BSN9>>)? Geen EAN toch? Batchcode?", tags=["lookalike-number", "question"])
case("nl", pub("x", "@ravenwachter"), "Track & trace 3STFV<<DIGITS:7>> zegt dat mijn Ravenrock-doos al in Nieuwegein "
     "ligt 🎉", tags=["lookalike-number"])
case("en", pub("x", "@scam_spotter_nl"), "Heads up: someone on Telegram sells 'Ravenrock CE backer slots' and wants "
     "payment to <<BAD_IBAN_DE:grp>>. Not even a valid IBAN. Don't.", tags=["bad-checksum"])
case("nl", pub("x", "@oeps_typfout"), "Mijn creditcard werd geweigerd bij Tafelvos… o wacht, ik had "
     "<<BAD_CARD:amex_sp>> getypt. Eigen schuld 🙈", tags=["bad-checksum", "negated"])
# --- secret-looking but not a secret
case("en", MO, "reminder for the team: tokens (ghp_…, sk_live_…, xoxb-…) never go in Jira tickets. Vault link or "
     "nothing 🙏", tags=["secret-prefix-only"])
case("en", MO, "merged the fix for the deck shuffle bug in <<HEX:40>> 🎉 turns out we seeded the RNG with today's "
     "date", tags=["hex-not-secret"])
case("nl", pub("blog", "kk-modders", "KK Modders"), "Voor de Kaartkoning-modding tutorial: zet KK_API_KEY=<jouw-sleutel> "
     "in je .env en commit dat bestand nooit. In de voorbeelden staat alleen een placeholder.", tags=["placeholder"])
case("nl", TV_HELP, "Wij vragen nooit naar je wachtwoord of pincode, ook niet via DM. Twijfel je? Bel ons gratis op "
     "0800-0477 🦊", tags=["own-contact", "password-word"])
case("en", pub("x", "@ravenrock_fan"), "The Thieves' Guild card in Ravenrock lets you steal the vault password from "
     "another player. Most evil card in the game 😈 love it", tags=["fiction", "password-word"])
# --- embargo terms at/after the embargo, codename-like words, public domains
case("nl", TV_X, "Hij is er! 🌊 Dijkdorp: Stormvloed is vanaf nu te pre-orderen op shop.tafelvos.nl en te spelen op "
     "onze stand in Essen", when="2026-10-22T10:00:00+02:00", tags=["embargo-after", "tz-edge"])
case("en", pub("youtube", "@boardgame_breakdown"), "Dijkdorp: Stormvloed full playthrough from Essen is up 🌊 "
     "timestamps in the description", when="2026-10-25T18:30:00Z", tags=["embargo-after"])
case("nl", pub("threads", "@kaartfanaat"), "Kaartkoning 2 is eindelijk uit en die 2v2-modus is heerlijk, hele avond "
     "mee bezig 🃏", when="2026-06-11T22:03:17+02:00", tags=["embargo-after"])
case("en", LIEKE, "Kaartkoning 2 launch day: done. Zero crash reports in the first two hours, proud of our QA crew 🥲",
     when="2026-06-04T18:30:00+02:00", tags=["embargo-after"])
case("nl", pub("x", "@kwisavond"), "Heeft iemand een zandloper over? Onze kat heeft die van Kwistig van tafel gemept en "
     "zonder 30 seconden is er geen lol aan 🐈", tags=["codename-word"])
case("en", pub("instagram", "@buildwithbram"), "Built a monster knikkerbaan with the kids today, Rollebol XL plus "
     "grandpa's old wooden one 🎢", tags=["codename-word"])
case("nl", FEMKE, "Mijn favoriete spelonderdeel blijft de zandloper. Dat gespannen gevoel als de laatste korrels vallen "
     "⏳ #gamedesign", tags=["codename-word", "employee-benign"])
# --- published results, other companies
case("nl", TV_LI, "Vandaag publiceren we onze jaarcijfers 2025: omzet €48,2 miljoen (+11%). Het volledige jaarverslag "
     "staat op tafelvos.nl/investeerders", when="2026-03-10T07:00:00+01:00", tags=["published"])
case("en", pub("reddit", "u/toy_industry_watch"), "Tafelvos' H1 report (published last week) shows crowdfunding "
     "revenue doubled. Not bad for a mid-size publisher.", when="2026-08-20T12:45:00+02:00", tags=["published"])
case("nl", pub("linkedin", "gerard-retailanalist", "Gerard Smit"), "Weer een grote speelgoedketen die 300 banen "
     "schrapt. Zwaar jaar voor de branche, al lijkt Tafelvos het volgens hun jaarverslag prima te doen.",
     tags=["other-company"])
case("en", pub("x", "@backer_bert"), "Data breach at some random crowdfunding clone site this week, glad I back "
     "everything through Tafelvos' own pledge manager 😅", tags=["other-company"])
# --- official notices, security talk
case("nl", TV_HELP, "Gepland onderhoud: zondagnacht tussen 01:00 en 03:00 is de webshop even niet bereikbaar. Daarna "
     "kun je gewoon weer bestellen 🛠️", tags=["official-notice"])
case("en", TV_X, "Kaartkoning servers are having a rough moment, some of you can't start a match. We're on it and will "
     "post updates here 🃏", tags=["official-notice"])
case("nl", TV_LI, "Oktober is cybersecuritymaand 🔐 Tip van ons IT-team: gebruik een wachtwoordmanager en zet "
     "tweestapsverificatie aan.", when="2026-10-07T08:30:00+02:00", tags=["password-word"])
# --- crisis-like words in harmless senses
case("en", pub("reddit", "u/solo_gamer"), "I can't recall whether Ravenrock has a proper solo mode, anyone know?",
     tags=["crisis-word", "question"])
case("nl", pub("x", "@spelletjesavond"), "Dijkdorp is echt de bom 💣 elke vrijdag op tafel bij ons",
     tags=["crisis-word", "praise"])
case("nl", pub("facebook", "wim.oosterhout", "Wim Oosterhout"), "Brandalarm ging af midden in ons potje Dijkdorp, "
     "bleek de ovenschotel 😂 potje gewoon afgemaakt", tags=["crisis-word"])
case("en", pub("instagram", "@murder_mystery_mel"), "Murder mystery night with a Tafelvos whodunit box was a blast, my "
     "aunt turned out to be the killer 🔪😂", tags=["fiction"])
case("nl", pub("x", "@spelavond_sanne"), "Mijn man verloor vier keer op rij met Kwistig en dreigt nu met een rechtszaak "
     "😂⚖️", tags=["joke", "crisis-word"])
# --- negations, praise, company replies, quotes
case("nl", pub("x", "@kerstspeler"), "Geen klachten over Kwistig hoor, al twee jaar elke kerst op tafel en nog steeds "
     "lachen", tags=["negated"])
case("en", pub("reddit", "u/happy_raven"), "No complaints at all, my Ravenrock CE arrived perfectly packed and every "
     "mini was intact.", tags=["negated"])
case("nl", TV_HELP, "@mirjam_puzzelt Wat balen dat er een stukje mist! Stuur ons even een DM met je bestelnummer, dan "
     "sturen we het na 🧩", kind="reply", tags=["company-reply"])
case("en", pub("x", "@coop_chaos"), "\"Hell is other people\" – Sartre, who clearly played co-op Dijkdorp with my "
     "family 😂", tags=["quote", "mild-word"])
case("nl", pub("instagram", "@kleindochter_lies"), "Mijn oma heeft kanker en puzzelen met de Puzzelvos Rijksmuseum "
     "houdt haar er echt doorheen 💛 dank jullie wel", tags=["mild-word", "praise"])
case("nl", ILSE, "Wat een weekend op Spellenspektakel! Dank aan iedereen die langskwam bij de stand 🦊🎲",
     tags=["employee-benign"])
case("nl", pub("other", "vosvriend"), fw("TAFELVOS") + " voor altijd 🦊 Dijkdorp op elke verjaardag",
     tags=["full-width-benign"])
case("nl", pub("x", "@juf_karin"), "Afspraak met Ilse van Tafelvos op 14-09-2026 voor een speldemo in groep 7, de kids "
     "zijn nu al hyper 🎲", when="2026-09-01T16:20:00+02:00", tags=["date-not-dob"])
case("en", pub("boardgamegeek", "meepleMarco"), "Dijkdorp with 5 players is not as slow as people say. Plays in 75 "
     "minutes once everyone knows the rules.", tags=["unknown-platform"])


# ---------------------------------------------------------------- profile, severity
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


RANK = {s: i for i, s in enumerate(SEVERITIES)}


def severity_for(role, cats, pii_validated):
    sev = "none"
    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                s = "critical" if (c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and pii_validated)) else "error"
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
        sev = s if RANK[s] > RANK[sev] else sev
    return sev


# ---------------------------------------------------------------- posts
def ams_offset(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def random_time(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(3, 355),
                                                                          minutes=r.randint(6 * 60 + 30, 23 * 60 + 50),
                                                                          seconds=r.randint(0, 59))
    off = ams_offset(base)
    utc = base - dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.88:
        return (utc + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def post_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_880_000_000_000_000_000, 2_020_000_000_000_000_000))
    b36 = string.digits + string.ascii_lowercase
    if platform == "x":
        return "x-" + snow, f"https://x.com/{h}/status/{snow}"
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
        p = "".join(r.choice(b36) for _ in range(7))
        sub = r.choice(["boardgames", "thenetherlands", "Kickstarter", "jigsawpuzzles"])
        if kind == "comment":
            c = "".join(r.choice(b36) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/{sub}/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/{sub}/comments/{p}/"
    if platform == "threads":
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/" + "".join(r.choice(B64URL) for _ in range(11))
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={''.join(r.choice(B64URL) for _ in range(11))}&lc={c}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(112_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-spellenhok-{n}", f"https://forum.spellenhok.example/t/{n}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog-{h}-{n}", f"https://{h}.blog.example/{n}"
    n = r.randint(10 ** 7, 10 ** 9)
    return f"{platform}-{n}", None


def build(profile):
    gen = Gen(SEED)
    mr = random.Random(SEED + 7)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(gen, c["text"])
        pid, url = post_id(mr, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        created = c["when"] or random_time(mr)
        role = role_of(profile, c["platform"], c["handle"])
        validated = "leak.pii" in c["cats"] and any(k.split("_")[0] in ("IBAN", "CARD", "BSN") and k in VALID_ID_KINDS | {"CARD"}
                                                    for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"] or ("post" if mr.random() < 0.6 else None)
        if kind:
            post["kind"] = kind
        acc = {"handle": c["handle"]}
        if c["dn"] and mr.random() < 0.7:
            acc["display_name"] = c["dn"]
        if mr.random() < 0.3:
            acc["id"] = str(mr.randint(10 ** 7, 10 ** 12))
        post["account"] = acc
        post["text"] = text
        x = mr.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif x < 0.09:
            pass
        elif x < 0.12:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            c["tags"].add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if url and mr.random() < 0.6:
            post["url"] = url
        if mr.random() < 0.45:
            post["brand"] = "tafelvos"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=set(c["tags"]), used=used))
    random.Random(SEED + 11).shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ---------------------------------------------------------------- independent checks
INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
NUM_RE = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-()]{7,16}\d")
CARD_IIN = re.compile(r"^(4|5[1-5]|2(22[1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)|3[47])")
SECRET_RES = [re.compile(p) for p in (
    r"\bghp_[A-Za-z0-9]{36}\b", r"\bAKIA[A-Z2-7]{16}\b", r"\bxox[abp]-[0-9A-Za-z-]{20,}", r"hooks\.slack\.com/services/",
    r"\bsk_live_[A-Za-z0-9]{20,}", r"\bAIza[0-9A-Za-z_-]{35}", r"-----BEGIN [A-Z ]*PRIVATE KEY-----",
    r"\blive_[A-Za-z0-9]{30}\b", r"\bshpat_[0-9a-f]{32}\b", r"\bSG\.[\w-]{22}\.[\w-]{43}", r"://[^\s:/@]+:[^\s@/]+@",
    r"\b[MN][A-Za-z0-9]{20,}\.[\w-]{6}\.[\w-]{27,}")]
PROFANITY = ["kut", "kanker", "tering", "tyfus", "klote", "trut", "sukkel", "idiot", "fuck", "f*ck", "shit", "clown",
             "prutser", "hell", "damn", "parasiet"]
MILD_OK = {"hell", "kanker"}
AMOUNT_RE = re.compile(r"(?:€\s?)(\d[\d.,]*)|(\d[\d.,]*)\s?(?:euro|euros|eur)\b", re.I)


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVIS)
    t = "".join(" " if unicodedata.category(ch) == "So" else ch for ch in t)
    return re.sub(r"\s+", " ", t).casefold()


def valid_ids(text, own_ibans):
    out = []
    for m in IBAN_RE.finditer(text):
        comp = m.group(0).replace(" ", "")
        for end in range(len(comp), 11, -1):
            if iban_valid(comp[:end]):
                if comp[:end] not in own_ibans:
                    out.append(("iban", comp[:end]))
                break
    for m in NUM_RE.finditer(text):
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19 and luhn_valid(d) and CARD_IIN.match(d):
            out.append(("card", d))
    shapes = re.findall(r"(?<![\w.,-])\d{9}(?![\w]|[.,-]\d)", text)
    shapes += [s.replace(".", "") for s in re.findall(r"(?<![\w.])\d{4}\.\d{2}\.\d{3}(?![\w])", text)]
    out += [("bsn", s) for s in shapes if bsn_valid(s)]
    return out


def phones(text):
    text = IBAN_RE.sub(" ", text)
    res = []
    for m in PHONE_RE.finditer(text):
        raw = m.group(0)
        d = re.sub(r"\D", "", raw)
        if raw.startswith("+31"):
            d = d[2:]
        elif raw.startswith("0031"):
            d = d[4:]
        d = "0" + d.lstrip("0")
        res.append((raw, d))
    return res


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
    amts = [parse_amount(m.group(1) or m.group(2)) for m in AMOUNT_RE.finditer(t)]
    if not hit or not amts:
        return None
    return min(amts) / min(p["list_price"] for p in hit)


def check(lines, rows, profile):
    errs, notes = [], []
    own_em = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_ib = set(profile["public_identifiers"]["ibans"])
    own_ph = {phones(p)[0][1] if phones(p) else re.sub(r"\D", "", p) for p in profile["public_identifiers"]["phones"]}
    emb = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = [x.casefold() for x in profile["internal"]["codenames"] + profile["internal"]["domains"]
                + profile["internal"]["markers"]]
    seen = set()
    for n, (line, r) in enumerate(zip(lines, rows), 1):
        o = json.loads(line)
        p, ex = o["post"], o["expect"]
        w = f"line {n} ({p['id']})"
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                errs.append(f"{w}: {f} missing")
        if not re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$", p["created_at"]):
            errs.append(f"{w}: bad timestamp")
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{w}: not in 2026")
        if (p["platform"], p["id"]) in seen:
            errs.append(f"{w}: duplicate id")
        seen.add((p["platform"], p["id"]))
        cats, sev = ex["categories"], ex["severity"]
        if cats != sorted(set(cats)) or any(c not in CATS for c in cats):
            errs.append(f"{w}: bad categories {cats}")
        role = role_of(profile, p["platform"], p["account"]["handle"])
        text = p["text"]
        ids = valid_ids(text, own_ib)
        want = severity_for(role, cats, "leak.pii" in cats and bool(ids))
        if sev != want:
            errs.append(f"{w}: severity {sev} but policy says {want}")
        for k, raw, shown in r["used"]:
            if shown not in text:
                errs.append(f"{w}: {k} not in text")
            if k.startswith("IBAN_") and not iban_valid(raw):
                errs.append(f"{w}: {raw} fails mod-97")
            if k.startswith("BAD_IBAN") and iban_valid(raw):
                errs.append(f"{w}: negative {raw} passes mod-97")
            if k == "CARD" and not luhn_valid(raw):
                errs.append(f"{w}: card fails Luhn")
            if k == "BAD_CARD" and luhn_valid(raw):
                errs.append(f"{w}: negative card passes Luhn")
            if k == "BSN" and not bsn_valid(raw):
                errs.append(f"{w}: BSN fails 11-proof")
            if k.startswith("NOT_BSN") and bsn_valid(raw):
                errs.append(f"{w}: look-alike passes 11-proof")
            if k == "EAN13" and (not ean13_valid(raw) or luhn_valid(raw)):
                errs.append(f"{w}: EAN wrong")
            if k == "GHP" and not ghp_ok(raw):
                errs.append(f"{w}: ghp checksum wrong")
        if any(k in VALID_ID_KINDS or k == "CARD" for k, _, _ in r["used"]) and not ids:
            errs.append(f"{w}: valid identifier not found by scan")
        if ids and "leak.pii" not in cats:
            errs.append(f"{w}: valid identifier {ids} without leak.pii")
        nt = norm(text)
        if not cats:
            if sev != "none":
                errs.append(f"{w}: benign with severity {sev}")
            if ids:
                errs.append(f"{w}: benign has valid id {ids}")
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_em:
                    errs.append(f"{w}: benign has e-mail {e}")
            for raw, d in phones(text):
                if len(d) == 10 and d not in own_ph:
                    errs.append(f"{w}: benign has phone {raw}")
            for rx in SECRET_RES:
                if rx.search(text):
                    errs.append(f"{w}: benign has secret-like {rx.pattern}")
            for word in PROFANITY:
                if re.search(r"\b" + re.escape(word), nt):
                    (notes if word in MILD_OK else errs).append(f"{w}: benign has word {word!r}")
            ratio = min_ratio(text, profile["products"])
            if ratio is not None and ratio < profile["pricing"]["alert_below_ratio"]:
                (notes if "price-context" in r["tags"] else errs).append(
                    f"{w}: benign with product price ratio {ratio:.2f}")
        for term, until in emb:
            if term in nt:
                if ts < until and "leak.confidential" not in cats:
                    errs.append(f"{w}: embargo term {term!r} before {until} without leak.confidential")
                if ts >= until and not cats:
                    notes.append(f"{w}: embargo term {term!r} at/after embargo, benign")
        for term in internal:
            if re.search(r"(?<![\w.])" + re.escape(term) + r"(?!\w)", nt) and "leak.confidential" not in cats:
                errs.append(f"{w}: internal term {term!r} without leak.confidential")
        if "leak.pricing" in cats:
            ratio = min_ratio(text, profile["products"])
            if ratio is None or ratio >= 0.5:
                notes.append(f"{w}: pricing positive without parsed low price (error talk only)")
    # near-duplicate wording
    sh = []
    for line in lines:
        ws = re.findall(r"\w+", norm(json.loads(line)["post"]["text"]))
        sh.append({tuple(ws[i:i + 3]) for i in range(max(0, len(ws) - 2))})
    for i in range(len(sh)):
        for j in range(i + 1, len(sh)):
            if sh[i] and sh[j]:
                jac = len(sh[i] & sh[j]) / len(sh[i] | sh[j])
                if jac > 0.3:
                    errs.append(f"lines {i + 1},{j + 1}: trigram overlap {jac:.2f}")
    return errs, notes


def stdnum_cross(rows):
    try:
        from stdnum import iban as si, luhn as sl
        from stdnum.nl import bsn as sb
    except ImportError:
        return "python-stdnum not installed: cross-check skipped"
    bad, n = [], 0
    for r in rows:
        for k, raw, _ in r["used"]:
            chk = {"CARD": lambda v: sl.is_valid(v), "BAD_CARD": lambda v: not sl.is_valid(v),
                   "BSN": lambda v: sb.is_valid(v), "NOT_BSN9": lambda v: not sb.is_valid(v),
                   "NOT_BSN8": lambda v: not sb.is_valid("0" + v)}.get(k)
            if k.startswith("IBAN_"):
                chk = si.is_valid
            elif k.startswith("BAD_IBAN"):
                chk = lambda v: not si.is_valid(v)
            if chk:
                n += 1
                if not chk(raw):
                    bad.append(raw)
    return f"python-stdnum disagrees on {bad}" if bad else f"python-stdnum agrees on all {n} identifiers"


def report(rows):
    by_cat, cat_lang, by_role, by_sev, by_plat, by_lang = Counter(), Counter(), Counter(), Counter(), Counter(), Counter()
    multi = ev = 0
    for r in rows:
        cats = r["expect"]["categories"]
        by_lang[r["lang"]] += 1
        by_role[r["role"]] += 1
        by_sev[r["expect"]["severity"]] += 1
        by_plat[r["post"]["platform"]] += 1
        multi += len(cats) > 1
        ev += any(t.startswith("evasion") for t in r["tags"])
        for c in cats or ["(benign)"]:
            by_cat[c] += 1
            cat_lang[(c, r["lang"])] += 1
    print(f"cases {len(rows)}, benign {by_cat['(benign)']}, multi-category {multi}, evasion {ev}")
    for c in CATS + ["(benign)"]:
        print(f"  {c:24s} {by_cat[c]:4d}   nl {cat_lang[(c, 'nl')]:3d}  en {cat_lang[(c, 'en')]:3d}")
    print("lang", dict(by_lang), "role", dict(by_role))
    print("severity", {s: by_sev[s] for s in SEVERITIES})
    print("platform", dict(by_plat.most_common()))


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
    errs, notes = check(lines, rows, profile)
    if disk != lines:
        errs.append("cases.jsonl differs from the generator output")
    print(stdnum_cross(rows))
    report(rows)
    if a.notes:
        for x in notes:
            print("  note", x)
    print(f"{len(errs)} error(s), {len(notes)} note(s)")
    for e in errs:
        print("  ERROR", e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
