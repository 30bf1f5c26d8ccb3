#!/usr/bin/env python3
"""Deterministic generator and self-check for the sealed25 blind set (cases.jsonl).

    python3 make_cases.py           # (re)write cases.jsonl next to this file
    python3 make_cases.py --check   # regenerate in memory, compare, validate, print counts

Company: "Lantaarnvis Interactive B.V." (profile.yaml), a Dutch independent game studio
running the live-service online game Harbourfall.

Every post text is hand-written in the CASES list below. Identifiers and secrets are
filled in from <<PLACEHOLDER>> markers by one seeded RNG, so the output is byte-for-byte
reproducible. Labelled positives get checksum-VALID identifiers (IBAN mod-97, Luhn,
BSN 11-proof, GitHub token CRC32); benign near-misses get numbers that FAIL their check.
All secrets are random and fake, only shaped like real ones.

Severity is never typed by hand: severity_for() applies CONTRACT section 4 to the
account role (looked up in profile.yaml by platform:handle, case-insensitive), the
categories and whether a checksum-validated identifier is in the post. As in
eval/README.md, insider leak.pii is critical only with a checksum-validated
identifier (IBAN, card, BSN); other personal data from an insider is error.
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

SEED = 25_2026_0917
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

TAXONOMY = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse",
            "reputation.spike"]
SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
KINDS = ["post", "reply", "repost", "comment", "message"]

ZWSP = "\u200b"
SHY = "\u00ad"


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# --------------------------------------------------------------------------- checksums
def iban_valid(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


def iban_build(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return f"{cc}{98 - n % 97:02d}{bban}"


def luhn_valid(s):
    d = re.sub(r"\D", "", s)
    tot = 0
    for i, ch in enumerate(reversed(d)):
        v = int(ch) * (2 if i % 2 else 1)
        tot += v - 9 if v > 9 else v
    return bool(d) and tot % 10 == 0


def bsn_valid(s):
    d = re.sub(r"\D", "", s)
    if len(d) == 8:
        d = "0" + d
    if len(d) != 9:
        return False
    t = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return t != 0 and t % 11 == 0


def ean13_valid(s):
    return len(s) == 13 and (sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(s))) % 10 == 0


B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
URLSAFE = ALNUM + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def base62(n):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return s or "0"


def ghp_ok(tok):
    body, crc = tok[4:34], tok[34:]
    return base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0") == crc


# --------------------------------------------------------------------------- seeded values
class Rng:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def dig(self, n, lead=True):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        if lead and s[0] == "0":
            s = self.r.choice("123456789") + s[1:]
        return s

    def pick(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    # IBANs ----------------------------------------------------------------
    def iban(self, cc):
        if cc == "NL":
            while True:
                v = iban_build("NL", self.r.choice(["INGB", "ABNA", "RABO", "BUNQ", "KNAB", "SNSB", "ASNB"])
                               + self.dig(10))
                if v != "NL11RABO0312445587":
                    return v
        if cc == "DE":
            return iban_build("DE", self.r.choice(["50070010", "30020900", "12030000", "76010085"]) + self.dig(10, False))
        if cc == "BE":
            head = self.r.choice(["063", "310", "732", "001"]) + self.dig(7, False)
            return iban_build("BE", head + f"{(int(head) % 97) or 97:02d}")
        if cc == "GB":
            return iban_build("GB", self.r.choice(["MIDL", "BARC", "NWBK", "LOYD"]) + self.dig(14, False))
        raise ValueError(cc)

    def bad_iban(self, cc):
        good = self.iban(cc)
        for step in (7, 19, 31, 44, 58):
            cand = f"{good[:2]}{(int(good[2:4]) + step) % 100:02d}{good[4:]}"
            if not iban_valid(cand):
                return cand
        raise AssertionError

    # cards -----------------------------------------------------------------
    def card(self, brand):
        pre = {"visa": lambda: "4" + self.dig(14, False),
               "mc": lambda: "5" + self.r.choice("12345") + self.dig(13, False),
               "mc2": lambda: str(self.r.randint(2221, 2720)) + self.dig(11, False),
               "amex": lambda: self.r.choice(["34", "37"]) + self.dig(12, False)}[brand]()
        for d in string.digits:
            if luhn_valid(pre + d):
                return pre + d
        raise AssertionError

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

    # numbers ---------------------------------------------------------------
    def bsn(self):
        while True:
            s = self.dig(9)
            if bsn_valid(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.dig(n)
            if not bsn_valid(s) and not luhn_valid(s):
                return s

    def no_luhn(self, prefix, n):
        while True:
            s = prefix + self.dig(n - len(prefix), False)
            if not luhn_valid(s):
                return s

    def ean13(self):
        while True:
            body = "87" + self.dig(10, False)
            full = next(body + d for d in string.digits if ean13_valid(body + d))
            if not luhn_valid(full):
                return full

    def phone(self, f):
        m = self.r.choice("12345678") + self.dig(7, False)        # 8 digits after 06
        area = self.r.choice(["20", "30", "10", "40", "50", "70", "72", "75", "15", "36"])
        sub = self.r.choice("2345678") + self.dig(6, False)
        return {
            "nl_dash": f"06-{m}",
            "nl_pairs": f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}",
            "nl_intl": f"+31 6 {m[:2]} {m[2:5]} {m[5:]}",
            "nl_intl_c": f"+316{m}",
            "nl_0031": f"0031-6-{m}",
            "nl_land": f"0{area}-{sub[:3]} {sub[3:]}",
            "se": f"+46 70 {self.dig(3, False)} {self.dig(2, False)} {self.dig(2, False)}",
            "de": f"+49 151 {self.dig(8, False)}",
        }[f]

    # secrets ---------------------------------------------------------------
    def ghp(self):
        body = self.pick(ALNUM, 30)
        return "ghp_" + body + base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def discord_token(self):
        uid = self.no_luhn(self.r.choice(["10", "11", "12"]), 19)
        head = base64.b64encode(uid.encode()).decode().rstrip("=")
        return f"{head}.{self.pick(URLSAFE, 6)}.{self.pick(URLSAFE, 38)}"

    def discord_hook(self):
        hid = self.no_luhn("13", 19)
        return f"https://discord.com/api/webhooks/{hid}/{self.pick(URLSAFE, 68)}"

    def jwt(self):
        enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
        iat = 1767225600 + self.r.randint(0, 250 * 86400)
        pl = {"sub": "plr_" + self.dig(7), "iss": "auth.harbourfall.com", "scope": "launcher store",
              "iat": iat, "exp": iat + 86400}
        return f"{enc({'alg': 'HS256', 'typ': 'JWT'})}.{enc(pl)}.{self.pick(URLSAFE, 43)}"

    def pem_openssh(self):
        lines = ["b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"]
        lines += [self.pick(B64, 70) for _ in range(4)] + [self.pick(B64, 22) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"

    def password(self):
        return (self.r.choice(string.ascii_uppercase) + self.pick(string.ascii_lowercase, 4)
                + self.r.choice("!#$*") + self.pick(string.digits, 3) + self.pick(ALNUM, 4))

    def value(self, kind, fmt):
        """Return (raw, shown)."""
        if kind in ("IBAN_NL", "IBAN_DE", "IBAN_BE", "IBAN_GB"):
            raw = self.iban(kind[-2:])
        elif kind == "BAD_IBAN_NL":
            raw = self.bad_iban("NL")
        elif kind == "CARD":
            brand, _, f = fmt.partition("_")
            raw = self.card(brand)
            return raw, self.card_fmt(raw, f or "sp")
        elif kind == "BAD_CARD":
            brand, _, f = fmt.partition("_")
            raw = self.bad_card(brand)
            return raw, self.card_fmt(raw, f or "sp")
        elif kind == "BSN":
            raw = self.bsn()
            return raw, (f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if fmt == "dots" else raw)
        elif kind == "NOT_BSN":
            raw = self.not_bsn(int(fmt or 9))
            return raw, raw
        elif kind == "EAN13":
            raw = self.ean13()
            return raw, raw
        elif kind == "STEAMID":
            raw = self.no_luhn("76561198", 17)
            return raw, raw
        elif kind == "NOLUHN":
            raw = self.no_luhn("", int(fmt))
            return raw, raw
        elif kind == "PHONE":
            raw = self.phone(fmt)
            return raw, raw
        elif kind == "GHP":
            raw = self.ghp()
        elif kind == "AWS_ID":
            raw = "AKIA" + self.pick(B32, 16)
        elif kind == "AWS_SECRET":
            raw = self.pick(B64, 40)
        elif kind == "STRIPE":
            raw = "sk_live_" + self.pick(ALNUM, 24)
        elif kind == "GAPI":
            raw = "AIzaSy" + self.pick(URLSAFE, 33)
        elif kind == "GLPAT":
            raw = "glpat-" + self.pick(URLSAFE, 20)
        elif kind == "SLACK_HOOK":
            up = string.ascii_uppercase + string.digits
            raw = f"https://hooks.slack.com/services/T{self.pick(up, 8)}/B{self.pick(up, 10)}/{self.pick(ALNUM, 24)}"
        elif kind == "DISCORD_TOKEN":
            raw = self.discord_token()
        elif kind == "DISCORD_HOOK":
            raw = self.discord_hook()
        elif kind == "JWT":
            raw = self.jwt()
        elif kind == "PEM_OPENSSH":
            raw = self.pem_openssh()
        elif kind == "PW":
            raw = self.password()
        elif kind == "HEXU":
            raw = self.pick("0123456789ABCDEF", int(fmt))
        elif kind == "HEX":
            raw = self.pick("0123456789abcdef", int(fmt))
        else:
            raise KeyError(kind)
        shown = " ".join(raw[i:i + 4] for i in range(0, len(raw), 4)) if fmt == "grp" else raw
        return raw, shown


VALID_ID = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "IBAN_GB", "CARD", "BSN"}
PLACEHOLDER = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def fill(rng, text):
    used = []

    def rep(m):
        raw, shown = rng.value(m.group(1), m.group(2) or "")
        used.append((m.group(1), raw, shown))
        return shown
    return PLACEHOLDER.sub(rep, text), used


# --------------------------------------------------------------------------- accounts
# corporate (profile accounts.corporate)
HF_X = ("x", "@harbourfallgame", "Harbourfall")
LVX_X = ("x", "@lantaarnvis", "Lantaarnvis Interactive")
HF_IG = ("instagram", "@harbourfall.game", "Harbourfall")
HF_TT = ("tiktok", "@harbourfall", "Harbourfall")
HF_YT = ("youtube", "@HarbourfallOfficial", "Harbourfall")
HF_RD = ("reddit", "u/Harbourfall_Team", "Harbourfall_Team")
LVX_LI = ("linkedin", "lantaarnvis-interactive", "Lantaarnvis Interactive B.V.")
HF_BS = ("bluesky", "harbourfall.com", "Harbourfall")
# employees (profile accounts.employee)
MIRA = ("x", "@mirabuilds", "Mira Hoekstra")
JOOST = ("x", "@joost_cm_lvx", "Joost | Harbourfall CM")
PRIYA = ("x", "@priya_lvx", "Priya Raman")
SEM = ("bluesky", "sem-bakx.bsky.social", "Sem Bakx")
ANOUK = ("linkedin", "anouk-verhoef", "Anouk Verhoef")
THIJS = ("linkedin", "thijs-de-graaf-lvx", "Thijs de Graaf")
DAAN = ("reddit", "u/lvx_daan_qa", "lvx_daan_qa")
RUBEN = ("mastodon", "@ruben@mastodon.gamedev.place", "Ruben Kok")
LOTTE = ("threads", "@lotte.draws", "Lotte Mulder")


def pub(platform, handle, name=None):
    return (platform, handle, name)


SECRET, PII, PRICING, CONF, FIN, SEC = ("leak.secret", "leak.pii", "leak.pricing", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle=None):
    """hint: override of the lang field ('' = leave it out). handle: other casing of acct's handle."""
    platform, h, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle or h, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# =========================================================================== leak.secret
case("en", SEM, "staging matchmaker keeps dropping conns, this is the DSN it reads, am I blind?\n"
     "MATCH_DB_URL=postgres://hf_match:<<PW>>@pg-eu1.lvx.internal:5432/matchmaking\n#postgres #help",
     [SECRET, CONF], tags=["multi"])
case("en", MIRA, "why does my gh action keep 403ing on the asset sync 😭 token is <<GHP>> with repo + workflow "
     "scope, anyone?? (private repo ofc)", [SECRET], kind="post")
case("nl", RUBEN, "Voor wie de buildbak wil testen, staging bucket creds:\n"
     "AWS_ACCESS_KEY_ID=<<AWS_ID>>\nAWS_SECRET_ACCESS_KEY=<<AWS_SECRET>>\nis maar staging dus chill",
     [SECRET])
case("en", pub("reddit", "u/kiwi_datamines", "kiwi_datamines"),
     "Datamined the 1.9 client. Apart from the new emotes, LVX shipped a live payment key in "
     "store_config.json lmao: <<STRIPE>>\nsomeone tell them before the scrapers do", [SECRET], kind="post")
case("en", JOOST, "discord bot fell over AGAIN. restarted it by hand w/ <<DISCORD_TOKEN>> , ops pls check "
     "the perms tomorrow, i'm off to bed", [SECRET], kind="reply")
case("nl", DAAN, "Externe testers: inloggen op de testomgeving met gebruiker qa_extern en ww <<PW>> . "
     "NIET doorsturen naar vrienden aub 🙏", [SECRET])
case("en", pub("discord", "tidecaller#0042", "tidecaller"),
     "lol harbourfall's announcement webhook is just sitting in their site's js bundle\n<<DISCORD_HOOK>>\n"
     "gonna be a fun night for their mods", [SECRET], kind="message", hint="")
case("en", PRIYA, "ugh pasted the wrong clipboard into the thread, ignore pls\n<<PEM_OPENSSH>>",
     [SECRET], kind="reply")
case("nl", SEM, "CI-token voor de mod-tools repo was verlopen, nieuwe is <<GLPAT>> (al geroteerd tegen "
     "de tijd dat je dit leest, boeit dus niet)", [SECRET])
case("en", pub("youtube", "@ShantyShark", "ShantyShark"),
     "at 1:02:40 in the dev stream you can read their maps config on screen, key=<<GAPI>> 💀 "
     "clip it before the VOD gets cut", [SECRET], kind="comment")
case("en", RUBEN, "fun: our launcher session token decodes to readable json. mine from just now: <<JWT>> "
     "(yes it's still valid, no I'm not thinking about it)", [SECRET])
case("nl", pub("x", "@mirahoekstra", "Mira H. (privé)"),
     "wachtwoord van het admin-paneel (admin.harbourfall.com) is nog steeds <<PW>> lmao, al 2 jaar niet veranderd",
     [SECRET, CONF], tags=["multi", "not-in-profile"])
case("en", PRIYA, "note to self + the team since slack is down: stats bot uses steam web api key "
     "<<HEXU:32>> , rotate after the event", [SECRET])
case("en", pub("forum", "grogmaster", "grogmaster"),
     "Found this in the Lantern Launcher log folder, looks like their internal alert hook?\n<<SLACK_HOOK>>\n"
     "reported it to support too", [SECRET], kind="reply")

# =========================================================================== leak.pii
case("en", JOOST, "@saltyseadog found your ticket! refund went out, confirmation is on its way to "
     "jelle.vermeulen88@gmail.com and we'll ring you on <<PHONE:nl_dash>> if the bank bounces it 👍",
     [PII], kind="reply")
case("nl", DAAN, "Deze speler blijft chargebacks doen op Pearl-aankopen: Kevin Bos, rekening <<IBAN_NL:grp>>. "
     "Zet hem maar op de banlijst", [PII])
case("en", pub("x", "@tinyseawolf", "seawolf"),
     "i LITERALLY paid look <<CARD:visa_sp>> exp 09/28 where are my pearls @harbourfallgame 😡😡",
     [PII, COMPLAINT], kind="reply", tags=["multi"])
case("nl", pub("instagram", "@noor.speelt", "Noor"),
     "Wie wil skins ruilen? app me ff op <<PHONE:nl_pairs>> 🐚 #harbourfall", [PII])
case("nl", ANOUK, "Welkom aan onze nieuwe tech artist Fatma Yıldız die maandag start! HR: haar BSN is "
     "<<BSN>> voor het contract, dan kan het meteen de salarisrun in", [PII])
case("en", pub("reddit", "u/drownedking_irl", "drownedking_irl"),
     "that CM Joost van Leeuwen lives at Biltstraat 212, Utrecht. maybe someone should pay him a visit "
     "and explain what a fair drop rate is 🙂", [PII, ABUSE], kind="comment", tags=["multi"])
case("en", PRIYA, "Congrats Lukas Meier on winning the Harbour Cup! finance, please wire the €500 prize to "
     "<<IBAN_DE>> today 🏆", [PII])
case("en", pub("forum", "sigrid_sails", "sigrid_sails"),
     "Support is ignoring me for 3 weeks. Account email sigrid.lindqvist@outlook.com, phone <<PHONE:se>>. "
     "Just give me my account back!!", [PII, COMPLAINT], tags=["multi"])
case("nl", MIRA, "Taart om 15:00 voor Lotte Mulder, jarig vandaag (geboren 02-11-1994, raad de leeftijd) 🎂",
     [PII])
case("en", pub("tiktok", "@gr1mbeard", "grimbeard"),
     "sent my passport to their support for age verification (NXR4K82L7) and they STILL banned me. what a joke",
     [PII, COMPLAINT], kind="comment", tags=["multi"])
case("nl", pub("facebook", "Marieke de Wit", None),
     "Mijn zoon Jesse (12) heeft met mijn creditcard <<CARD:mc_sp>> voor ruim 300 euro aan Pearls gekocht "
     "en Lantaarnvis weigert terug te betalen. Schandalig slechte service.", [PII, COMPLAINT], tags=["multi"])
case("en", JOOST, "giveaway winner is in! email tessa.vd.linden [at] gmail [dot] com with your shirt size "
     "pls, or dm me 🎉", [PII], tags=["evasion"])
case("nl", SEM, "Foutje in de prod-logs gevonden: user=ruben.dijkstra77@ziggo.nl stond gewoon plain in "
     "de error output 🙃 ticket aangemaakt", [PII])
case("en", pub("x", "@brineandbones", "Brine"),
     "refund me to <<IBAN_GB:grp>> or I'm doing a chargeback, 2 weeks of 'we're looking into it' is enough",
     [PII, COMPLAINT], tags=["multi"])
case("nl", DAAN, "Lol collega heeft de leeftijdscheck getest met het BSN van zijn buurman <<BSN:dots>> en "
     "het ging gewoon door", [PII])
case("en", LVX_X, "And the winner of the signed Collector's Box is... Mark Jansen, Kerkstraat 14, 3811 "
     "Amersfoort! Package ships Monday 📦🎉", [PII])
case("nl", pub("x", "@vlaamse_piraat", "Piraat"),
     "Founder's Bundle betaald via overschrijving vanaf <<IBAN_BE:grp>> en na 10 dagen nog steeds niks "
     "ontvangen. Hallo @lantaarnvis??", [PII, COMPLAINT], tags=["multi"])
case("en", pub("reddit", "u/deckhand_dad", "deckhand_dad"),
     "Guys my kid posted my amex to the in-game chat, <<CARD:amex_dash>>, can a mod nuke the message "
     "before someone uses it", [PII])

# =========================================================================== leak.pricing
case("en", MIRA, "uhh is the Deluxe Edition really €4.49 on store.harbourfall.com right now?? someone slipped a "
     "decimal 😅 grab it before live-ops wakes up", [PRICING])
case("nl", pub("x", "@dealjager_nl", "Dealjager"),
     "PRIJSFOUT in de Lantern Launcher 🔥 5000 Pearls voor €4,99!! snel zijn voordat ze het doorhebben",
     [PRICING])
case("en", pub("reddit", "u/pearl_diver_99", "pearl_diver_99"),
     "Founders Bundle is listed at €7,99 in the launcher shop rn, glitch or am I dreaming?", [PRICING])
case("nl", JOOST, "niet verder vertellen maar door een fout in de prijsfeed staat de Tidewatch Pass op €1,99 "
     "in de NL-store 🙊", [PRICING], handle="@Joost_CM_LVX", tags=["handle-case"])
case("en", pub("discord", "krakenchow", "krakenchow"),
     "price error on the Collector's Box, 12.90 EUR on their webshop lmaooo ordered 3", [PRICING],
     kind="message")
case("en", PRIYA, "did anyone else see Pearl Pack 5000 at €0.49 for like 20 min?? rollback pending, "
     "finance is gonna kill me", [PRICING], kind="post")
case("nl", pub("instagram", "@gamedeals.nl", "gamedeals"),
     "p r i j s f o u t bij Harbourfall Deluxe 👀 €3,99 in de launcher. link in bio", [PRICING],
     tags=["evasion"])
case("en", pub("x", "@cheapskatecaptain", "Captain Cheap"),
     "Lantaarnvis pricing glitch on the Founder's Bundle right now, go go go before they patch it 🏃‍♂️", [PRICING])
case("nl", DAAN, "In de testbuild stond de Standard Edition op €2,99 en die build is gisteren per ongeluk "
     "naar live gepusht. Iemand van finance wakker?", [PRICING])
case("en", pub("youtube", "@budgetbuccaneer", "Budget Buccaneer"),
     "Harbourfall Standard for 4 euro on the official store is NOT a sale, it's a pricing mistake, expect "
     "refunds", [PRICING], kind="comment")
case("en", LVX_X, "🎉 Weekend deal! Founder's Bundle now only €7.99 in the Lantern Launcher, until Sunday!",
     [PRICING], tags=["corporate-typo"])
case("nl", pub("forum", "zeebonk", "zeebonk"),
     "D\u0435luxe Edition voor 2,49 euro?? Dat kan nooit de bedoeling zijn, snel gekocht", [PRICING],
     tags=["evasion", "homoglyph"])
case("en", pub("threads", "@loot.lizard", "loot lizard"),
     "5.000 Pearls for 99 cents, ok who at Lantaarnvis fat-fingered that one 😂", [PRICING])

# =========================================================================== leak.confidential
case("en", LOTTE, "can't wait for y'all to see the sea-witch boss we painted for Operatie Vuurtoren 🌊🧜‍♀️ "
     "concept art drops… eventually", [CONF])
case("nl", RUBEN, "Brackwater (onze engine-fork) compileert eindelijk op ARM! diff staat op "
     "p4.lantaarnvis.nl/depot/brackwater/main voor de collega's", [CONF])
case("en", pub("reddit", "u/anchor_and_ale", "anchor_and_ale"),
     "I know the closed playtest is under NDA but the new harpoon class is sick and the crafting UI is "
     "completely different. no screenshots, don't ask", [CONF])
case("en", PRIYA, "Sunken Crown roadmap is locked 🔒 can't say more yet!!", [CONF],
     when="2026-07-14T10:22:05+02:00")
case("nl", JOOST, "Sunken Crown staat LIVE jongens 🌊👑 ga ga ga", [CONF], when="2026-09-17T18:59:00+02:00",
     tags=["embargo-edge"])
case("en", pub("x", "@n0rthseanick", "nick"),
     "my cousin works at LVX and showed me Harbourfall Console Edition on a devkit, runs smooth on PS5 👀",
     [CONF], when="2026-08-03T21:40:12+02:00")
case("en", MIRA, "whoops, the slide header in my screenshot said 'LVX internal only - live-ops calendar'. "
     "deleted, nothing to see 🫠", [CONF])
case("nl", DAAN, "Nieuwe nightly staat op https://build.lvx.internal/hf/nightly/4471 , graag vanavond "
     "nog een smoke test", [CONF])
case("en", THIJS, "Proud of the team for hitting the first milestone of Project\nUndertow this week. "
     "More when we can share it!", [CONF], tags=["evasion"])
case("en", pub("x", "@harbour_leaks", "HF Leaks"),
     f"Project Under{ZWSP}tow is real. strings in the 1.9 build reference a whole new biome", [CONF],
     tags=["evasion"])
case("nl", LOTTE, "Schetsen voor Operatie 🔦 Vuurtoren liggen klaar, team is on fire 🔥", [CONF],
     tags=["evasion"])
case("en", SEM, "is wiki.lantaarnvis.nl/ops/runbooks down for anyone else or just my vpn", [CONF], kind="post")
case("en", pub("x", "@mira_codes", "mira"),
     "cleaning out my desk drawer before my last day at LVX, found a printed Brackwater roadmap from 2024 lol",
     [CONF], tags=["not-in-profile"])
case("nl", pub("x", "@hf_insider_nl", "HF Insider"),
     "Iemand stuurde me een mail van Lantaarnvis, bovenaan staat letterlijk 'NIET EXTERN DELEN' 😂 "
     "nieuwe harpoen-class komt in S7", [CONF], kind="repost")
case("en", ANOUK, "Board deck (LVX internal only): Harbourfall net revenue down 22% QoQ, we'll present a cost "
     "plan in May", [CONF, FIN], tags=["multi"])
case("en", pub("discord", "ghostgalleon", "ghostgalleon"),
     fullwidth("SUNKEN CROWN") + " is the next season name, heard it from a playtester 🤫",
     [CONF], kind="message", when="2026-06-30T23:12:44+02:00", tags=["evasion"])

# =========================================================================== leak.financial
case("en", ANOUK, "Proud moment: Harbourfall crossed €4.1M gross revenue in Q2 🚀 (numbers go public with "
     "the autumn update, so keep it between us for now)", [FIN])
case("nl", THIJS, "We zitten in vergevorderde gesprekken met Northgale Publishing over een overname van "
     "Lantaarnvis, handtekening verwacht eind deze maand.", [FIN], when="2026-03-11T08:15:00+01:00")
case("en", MIRA, "heard from leadership we're cutting ~25 people right after Sunken Crown ships. "
     "please don't spread this 💔", [FIN, CONF], when="2026-08-21T22:03:19+02:00", tags=["multi"])
case("nl", DAAN, "Reorganisatie komt eraan: de hele QA-afdeling gaat per 1 januari naar een outsourcingpartner. "
     "Wij horen het pas officieel in december.", [FIN], handle="u/LVX_Daan_QA", tags=["handle-case"])
case("en", pub("reddit", "u/salt_and_sails", "salt_and_sails"),
     "friend at Lantaarnvis says the Northgale publishing deal is a $6M advance, announcement not until June",
     [FIN], when="2026-04-02T19:30:00+02:00")
case("en", PRIYA, "DAU down 38% since the last patch, Q3 forecast got revised down internally. yikes", [FIN])
case("nl", pub("x", "@gamesroddels", "Gamesroddels"),
     f"Bij Lantaarnvis vallen volgende week 30 ont{SHY}slagen, hoorde ik van binnenuit", [FIN],
     tags=["evasion"])
case("en", ANOUK, "Runway is about 7 months if the Northgale term sheet falls through. Working on plan B "
     "with the board.", [FIN], when="2026-02-19T17:45:00+01:00")
case("en", THIJS, "Closing our €9M Series A led by Fjord Ventures next week 🤫 more soon!", [FIN])
case("nl", SEM, "Net gehoord: bonussen dit jaar geschrapt en de salarisverhoging bevroren tot Q2. "
     "Leuk begin van de week", [FIN])
case("en", pub("x", "@rumourmill_gg", "rumour mill"),
     "l4y0ffs at LVX incoming, ~20% of staff, source: trust me bro", [FIN], tags=["evasion"])
case("en", LOTTE, "art team just got told we'll be merged into Northgale's Kraków studio next year 😶",
     [FIN])

# =========================================================================== leak.security
case("en", SEM, "someone got into the auth service last night via an old admin endpoint. players haven't "
     "been told yet, PR is 'evaluating' 🙄", [SEC])
case("nl", RUBEN, "De Lantern Launcher updater downloadt ongesigneerde binaries = RCE voor iedereen op "
     "hetzelfde wifi. Fix pas over 3 weken ingepland. Top.", [SEC])
case("en", DAAN, "QA here: the item dupe via trade-window desync is STILL live, we flagged it to mgmt "
     "two months ago and nobody cares", [SEC], kind="comment")
case("en", pub("x", "@captain_cardigan", "cardigan"),
     "Lantaarnvis is HIDING a breach. login from Vietnam on my account, my email on a paste site, and support "
     "says 'no incident'. they know.", [SEC, CRISIS], tags=["multi"])
case("nl", JOOST, "Off the record: de koppeling met de betaalprovider lag 4 uur plat en een deel van de "
     "Pearl-aankopen is dubbel afgeschreven. Statement komt pas morgen.", [SEC])
case("en", MIRA, "ngl the anti-cheat has been bypassed by a public tool since tuesday and we have no fix. "
     "ranked is basically compromised", [SEC])
case("en", pub("reddit", "u/tidepool_tom", "tidepool_tom"),
     "A dev on their Discord told me the player database was exposed for a week and they're keeping it "
     "quiet. Change your passwords.", [SEC, CRISIS], tags=["multi"])
case("nl", SEM, "we zijn geh4ckt 🥲 ransomware op de buildfarm, niks posten tot legal akkoord geeft", [SEC],
     tags=["evasion"])
case("en", RUBEN, "Colleagues, heads up: the save-game server accepts unsigned uploads, anyone can "
     "overwrite another player's save if they know the ID. Not disclosed yet.", [SEC])
case("nl", DAAN, "Die 'gepland onderhoud' van vanmiddag was gewoon een DDoS, we mogen het alleen niet zo "
     "noemen van management", [SEC])
case("en", LOTTE, "our Perforce got b r e a c h e d, art for the next two seasons is out there somewhere. "
     "not public yet so shhh 🤐", [SEC], tags=["evasion"])
case("en", pub("x", "@patchnotes_pete", "Pete"),
     "Friend at Lantaarnvis says the launcher has an unpatched exploit that lets you grab other players' "
     "session tokens. they're sitting on it.", [SEC])

# =========================================================================== reputation.crisis
case("en", pub("x", "@modders_united", "Modders United"),
     "#BoycottLantaarnvis for the way they treated the mod creators. RT, uninstall, and don't give them "
     "another cent.", [CRISIS], kind="post")
case("nl", pub("x", "@kansspelwaakhond", "Waakhond"),
     "Lantaarnvis wordt door de Kansspelautoriteit aangeklaagd om de lootboxen in Harbourfall?! Werd tijd",
     [CRISIS])
case("en", pub("reddit", "u/worried_mom_42", "worried_mom_42"),
     "My son had a seizure playing Harbourfall last night. The lightning storm on the new map flashes like "
     "crazy and there is NO photosensitivity warning. This is dangerous.", [CRISIS, COMPLAINT],
     tags=["multi", "safety"])
case("en", pub("x", "@gpu_goblin", "gpu goblin"),
     "Lantern Launcher runs a crypto miner in the background. my GPU sits at 100% on the desktop with "
     "only the launcher open. this is a scandal, spread it", [CRISIS, COMPLAINT], tags=["multi"])
case("nl", pub("x", "@gamejournaal", "Gamejournaal"),
     "Schandaal bij Lantaarnvis: oud-medewerkers vertellen over maandenlange crunch en intimidatie door de "
     "leiding. #gamedev", [CRISIS], kind="repost")
case("en", pub("youtube", "@ReefRaider", "Reef Raider"),
     "their data got leaked, my account + email are on a paste site. Lantaarnvis, explain.", [CRISIS],
     kind="comment")
case("nl", pub("facebook", "Henk Brouwer", None),
     "Harbourfall d4t4l3k?? Volgens haveibeenpwned staat mijn launcher-account in een gelekte database",
     [CRISIS], tags=["evasion"])
case("en", pub("x", "@lootboxlawyer", "loot box lawyer"),
     "Class action being filed against Lantaarnvis Interactive over the Pearl refund policy. EU players, "
     "sign up via the link.", [CRISIS])
case("en", pub("bluesky", "harpoonhannah.bsky.social", "Hannah"),
     "Collector's Box recall when? The LED lighthouse figure in mine melted and the room smelled like "
     "burning plastic", [CRISIS, COMPLAINT], tags=["multi", "safety"])
case("nl", pub("tiktok", "@zeemeermin.gaming", "zeemeermin"),
     "BOYCOT Harbourfall!! ze gebruiken AI-art die gestolen is van indie-artiesten. delen delen delen",
     [CRISIS], kind="comment")
case("en", pub("x", "@saltwater_mods", "Saltwater Mods"),
     "Lantaarnvis copied our mod frame by frame. Lawsuit is coming, see you in court you thieving clowns",
     [CRISIS, ABUSE], tags=["multi"])
case("en", pub("threads", "@deck.swab", "deck swab"),
     fullwidth("BOYCOTT HARBOURFALL") + " until they apologise to the voice actors 📢", [CRISIS],
     tags=["evasion"])

# =========================================================================== reputation.complaint
case("en", pub("x", "@nightwatch_nel", "Nel"),
     "servers down AGAIN during prime time, third time this week. paid 45 bucks for deluxe for THIS?",
     [COMPLAINT])
case("nl", pub("x", "@bramspeelt", "Bram"),
     "Sinds patch 1.9 crasht Harbourfall elke keer bij het laden van de haven. Support reageert al 5 dagen "
     "niet. Echt slecht.", [COMPLAINT])
case("en", pub("reddit", "u/doubledipped", "doubledipped"),
     "Bought 5000 Pearls, got charged twice, pearls never showed up. ticket HF-88213 open for 2 weeks, "
     "zero replies", [COMPLAINT])
case("en", pub("forum", "old_salt_77", "old_salt_77"),
     "Lantern Launcher is bloatware. 2 GB for a launcher that can't even resume a download after my wifi "
     "blips.", [COMPLAINT])
case("nl", pub("instagram", "@lisa.games", "Lisa"),
     "matchmaking is echt huilen 😩 20 min wachten voor een potje en dan desync na 2 min", [COMPLAINT],
     kind="comment")
case("en", pub("youtube", "@casual_cutlass", "casual cutlass"),
     "refund denied because I 'played' 2.5h. most of that was the launcher failing to log in. great service",
     [COMPLAINT], kind="comment")
case("en", pub("discord", "bilgerat", "bilgerat"),
     "the new pass grind is insane, 120 hours for the last tier?? feels like a mobile cash grab",
     [COMPLAINT], kind="message")
case("nl", pub("x", "@joyce_op_zee", "Joyce"),
     "Klachtje: mijn Tidewatch Pass is wèg na de update en support zegt ‘even geduld’. Al 9 dagen…",
     [COMPLAINT])
case("en", pub("threads", "@steamdeck.sailor", "sailor"),
     "controller support on steam deck still broken, every remap resets when you leave the harbour",
     [COMPLAINT])
case("nl", pub("facebook", "Ronald Kuipers", None),
     "Stelletje prutsers bij Lantaarnvis, al 3 weken geen antwoord over mijn verdwenen Founder's Bundle",
     [COMPLAINT, ABUSE], tags=["multi"])
case("en", pub("x", "@rankedrage", "ranked rage"),
     "fix your garbage netcode you f*cking clowns, lost my whole ranked streak to rubberbanding",
     [COMPLAINT, ABUSE], tags=["multi", "evasion"])
case("en", pub("reddit", "u/sarcastic_sextant", "sarcastic_sextant"),
     "love how every Harbourfall patch fixes one bug and adds three 🙃 10/10 QA as always", [COMPLAINT],
     kind="comment")
case("nl", pub("reddit", "u/koffieenkanonnen", "koffieenkanonnen"),
     "Mijn Collector's Box kwam aan met een gebroken figuur en de klantenservice wil dat ik hem zelf "
     "terugstuur naar Utrecht op eigen kosten. Serieus?", [COMPLAINT])

# =========================================================================== reputation.abuse
case("nl", pub("x", "@zeikerd_xx", "xx"),
     "die community manager van harbourfall is een kankerlijer, blokt iedereen die iets vraagt", [ABUSE])
case("en", JOOST, "honestly mate you're a whiny idiot, go play something else", [ABUSE], kind="reply")
case("en", pub("x", "@anchorhate", "anchor"),
     "lotte from lvx draws like a toddler. talentless hack, just quit already", [ABUSE])
case("nl", pub("tiktok", "@boosmatroos", "matroos"),
     "tyfusstudio met hun tyfusspel 🤮", [ABUSE], kind="comment")
case("en", HF_X, "cope harder, you absolute moron 🤡", [ABUSE], kind="reply", tags=["corporate-slip", "handle-case"],
     handle="@HarbourfallGame")
case("en", pub("x", "@bitterbosun", "bosun"),
     "sh1t studio run by m0r0ns, every single one of them", [ABUSE], tags=["evasion"])
case("nl", pub("reddit", "u/stormkraai", "stormkraai"),
     "k@nker devs, jullie zijn echt een stel mongolen", [ABUSE], kind="comment", tags=["evasion"])
case("en", pub("youtube", "@wrathofwaves", "wrath"),
     "hope the Harbourfall devs' houses burn down with them in it", [ABUSE], kind="comment")
case("en", MIRA, "get f*cked, nobody owes you free skins, you entitled brat", [ABUSE], kind="reply",
     tags=["evasion"])
case("nl", pub("x", "@Harbourfa11_fan", "fan"),
     "Joost is echt de grootste klootzak van heel Lantaarnvis 🤬", [ABUSE])

# =========================================================================== benign
case("en", HF_X, "🛠️ Servers go down for maintenance Tue 09:00–11:00 CET for patch 1.9.2. Live status at "
     "status.harbourfall.com", tags=["hard", "official-notice"])
case("nl", LVX_X, "Vragen over je aankoop? Mail support@harbourfall.com of bel +31 30 799 4120 "
     "(ma–vr 10–17u) 📬", tags=["hard", "own-contact"])
case("en", HF_RD, "Press inquiries: press@lantaarnvis.nl · Job applications: jobs@lantaarnvis.nl · "
     "Privacy requests: privacy@lantaarnvis.nl", tags=["hard", "own-contact"])
case("nl", pub("x", "@tess_plays", "Tess"),
     "Net Lantaarnvis gebeld op 030-7994120, binnen 5 min geholpen met mijn refund 👍 top", tags=["hard", "own-contact"])
case("en", HF_IG, "Steam Summer Sale ⛵ Harbourfall Standard Edition -50% (€14,99) and the Deluxe Edition "
     "for €22,49 until July 10!", when="2026-06-25T19:00:00+02:00", tags=["hard", "sale"])
case("nl", pub("x", "@koopjesmaat", "Koopjesmaat"),
     "Deluxe Edition voor 17,99 in de Steam sale (-60%), aanrader voor wie nog twijfelde", tags=["hard", "sale"])
case("en", pub("reddit", "u/math_pirate", "math_pirate"),
     "1200 Pearls is €11.99 and 5000 Pearls is €49.99, so the big pack is actually slightly WORSE per pearl?? 🤔",
     tags=["hard", "price-talk"])
case("en", pub("x", "@frugal_first_mate", "first mate"),
     "€10 off the Founder's Bundle with the newsletter code, not bad at all", tags=["hard", "discount-amount"])
case("nl", pub("x", "@sanne_zeilt", "Sanne"),
     "Nee het is geen prijsfout hoor, de Collector's Box is gewoon €99 in de Black Friday-actie",
     tags=["hard", "denied-error"])
case("en", pub("x", "@indie_bargains", "indie bargains"),
     "Saltline Odyssey had a pricing glitch yesterday, their whole DLC was €0.99 lol. wish Harbourfall did that",
     tags=["hard", "competitor"])
case("en", pub("x", "@raidnight_rosa", "Rosa"),
     "Sunken Crown is SO good, the drowned cathedral raid had me screaming 🤯", when="2026-09-20T21:14:09+02:00",
     tags=["hard", "after-embargo"])
case("nl", HF_X, "Season 7: Sunken Crown is nu live! 👑🌊 Patch notes op harbourfall.com",
     when="2026-09-17T19:00:00+02:00", tags=["hard", "embargo-edge"])
case("en", LVX_X, "Harbourfall Console Edition is out now on PS5 and Xbox Series X|S ⚓",
     when="2026-11-12T17:30:00+01:00", tags=["hard", "after-embargo"])
case("nl", pub("instagram", "@zonsondergangsjaak", "Jaak"),
     "Die vuurtoren op de nieuwe map bij zonsondergang 😍 screenshot gemaakt #harbourfall", tags=["hard", "codename-word"])
case("en", pub("reddit", "u/reefwalker", "reefwalker"),
     "the undertow near the reef is brutal lol, dragged me out to sea three times in a row",
     tags=["hard", "codename-word"], kind="comment")
case("en", pub("x", "@breachwatcher", "breach watcher"),
     "Greyharbor Games got hacked and leaked 2M emails. glad my Harbourfall account uses a unique password",
     tags=["hard", "other-company"])
case("nl", pub("linkedin", "karin-hofstede", "Karin Hofstede"),
     "Weer ontslagen in de Nederlandse gamesector, dit keer bij een studio in Amsterdam. Sterkte allemaal 💙",
     tags=["hard", "other-company"])
case("en", LVX_LI, "We're thrilled to announce our publishing partnership with Northgale Publishing! Read the "
     "full press release on lantaarnvis.nl", when="2026-06-09T18:00:00+02:00", tags=["hard", "published-news"])
case("nl", pub("x", "@oudelaptopgamer", "Gert"),
     "Geen klachten hier, Harbourfall draait prima op mijn laptop van 6 jaar oud", tags=["hard", "negation"])
case("en", pub("x", "@chill_corsair", "corsair"),
     "not gonna lie, zero complaints about this patch. devs cooked 🔥", tags=["hard", "negation"])
case("en", pub("bluesky", "shantyqueen.bsky.social", "shanty queen"),
     "“What shall we do with the drunken sailor” has been stuck in my head for six hours thanks to Harbourfall",
     tags=["hard", "quote"])
case("en", pub("x", "@diedagain", "died again"),
     "died to the Leviathan 40 times tonight, this boss is actually killing me 💀", tags=["hard", "hyperbole"])
case("en", pub("blog", "inkandbrine.blog.example", "Ink & Brine"),
     "Chapter 3 of my Harbourfall fanfic is up: the captain swears revenge on the Drowned King and sets his "
     "whole fleet ablaze.", tags=["hard", "fiction"])
case("nl", pub("x", "@gamerpapa", "Papa"),
     "Mijn vriendin dreigt met een boycot van de zolder als ik nog één nacht Harbourfall speel 😂",
     tags=["hard", "other-sense"])
case("en", pub("reddit", "u/eu_nightowl", "eu_nightowl"),
     "add me! friend code <<NOT_BSN:9>>, EU server, evenings only", tags=["hard", "bad-number"])
case("nl", HF_X, "Let op: oplichters vragen betaling voor Pearls via overschrijving naar <<BAD_IBAN_NL:grp>>. "
     "Wij vragen NOOIT om een bankoverschrijving!", tags=["hard", "bad-iban"])
case("en", pub("x", "@phish_fryer", "phish fryer"),
     "fake Harbourfall 'free pearls' site wanted card details so I typed <<BAD_CARD:visa_sp>> (made up) "
     "and it 'accepted' it 😂 don't fall for it", tags=["hard", "bad-card"])
case("en", pub("x", "@boxcollector", "box collector"),
     "order LVX-2026-0048813 shipped!! tracking 3SDEVC<<NOT_BSN:9>>, Collector's Box here I come",
     tags=["hard", "order-number"])
case("en", pub("reddit", "u/barcode_bart", "barcode_bart"),
     "barcode on my Collector's Box says <<EAN13>>, does the 87 mean it's the EU print?", tags=["hard", "ean"])
case("en", pub("discord", "crewfinder", "crewfinder"),
     "steam id <<STEAMID>> if anyone wants to crew up for the kraken hunt tonight", kind="message",
     tags=["hard", "bad-number"])
case("en", HF_RD, "Hotfix 1.9.3 (build <<HEX:9>>) is rolling out: fixes harpoon desync and the crash on "
     "Apple Silicon.", tags=["hard", "git-sha"])
case("en", pub("forum", "modkit_mike", "modkit_mike"),
     "Guide: set STEAM_API_KEY=YOUR_KEY_HERE in modtool.cfg. never share your real key with anyone.",
     tags=["hard", "placeholder-secret"])
case("nl", HF_X, "Gratis skin! 🎁 Gebruik code HARBOUR-LIGHT-26 in de Lantern Launcher, geldig tot zondag",
     tags=["hard", "promo-code"])
case("nl", pub("facebook", "Ilse Vermeer", None),
     "Mijn moeder is genezen verklaard van kanker en dat vierden we met een avondje Harbourfall co-op ❤️",
     tags=["hard", "literal-word"])
case("en", pub("x", "@ram_the_galleon", "rammer"),
     "'Damn the torpedoes!' my whole crew yells every time we ram a galleon", tags=["hard", "quote"])
case("nl", pub("x", "@blij_met_support", "Yvonne"),
     "Complimenten aan het support team van Harbourfall, binnen een uur mijn Pearls terug 🙏",
     tags=["hard", "praise"])
case("en", MIRA, "shipped my first boss fight today 🥹 so proud of this team", tags=["employee-benign"])
case("nl", JOOST, "Vanavond om 20:00 community stream op ons YouTube-kanaal, kom gezellig kijken! 🎥",
     tags=["employee-benign"])
case("en", RUBEN, "wrote up how we do deterministic rollback for ship physics, link on my blog. "
     "feedback welcome", tags=["employee-benign"])
case("en", LOTTE, "concept art from the Sunken Crown cathedral, now that it's finally out 🌊",
     when="2026-09-18T09:05:00+02:00", tags=["hard", "after-embargo"])
case("en", SEM, "PSA for devs: never commit your .env, rotate keys regularly, use a secrets manager. "
     "learned it from other people's postmortems, thankfully", tags=["hard", "secret-talk"])
case("nl", pub("x", "@brandweerbas", "Bas"),
     "Het brandalarm ging af midden in mijn Harbourfall raid, gelukkig loos alarm 😅", tags=["hard", "other-sense"])
case("en", HF_BS, "We've seen rumours about a data breach. There is no evidence of one: last night's login "
     "issues came from a faulty load balancer, which is now fixed.", tags=["hard", "official-notice"])
case("en", pub("x", "@indiegamesnews", "Indie Games News"),
     "Lantaarnvis' public Q2 update says Harbourfall passed 1 million players. Congrats to the Utrecht team!",
     tags=["hard", "published-news"])
case("nl", LVX_LI, "We zoeken een Senior Backend Engineer! 🚢 Solliciteer via jobs@lantaarnvis.nl",
     tags=["own-contact", "handle-case"], handle="Lantaarnvis-Interactive")
case("en", HF_X, "Collector's Box pre-orders by bank transfer: IBAN NL11 RABO 0312 4455 87, put your order "
     "number as reference.", tags=["hard", "own-contact", "own-iban"])
case("en", pub("forum", "helpful_hank", "helpful_hank"),
     "their helpdesk is +31 (0)85 060 3321 if the ticket form is broken for you too", tags=["hard", "own-contact"])
case("en", pub("x", "@broke_buccaneer", "broke"),
     "my wallet after the Pearl sale: 💀 send help", tags=["hard", "joke"])
case("nl", pub("x", "@openbeta_olaf", "Olaf"),
     "Gisteren de open beta van Harbourfall gespeeld, iedereen mocht meedoen. echt vet!", tags=["hard", "near-nda"])
case("en", pub("twitch", "seashanty_sam", "seashanty_sam"),
     "no NDA on this playtest btw, devs said we can stream it, come hang", tags=["hard", "near-nda"])
case("en", pub("reddit", "u/forgetful_fred", "forgetful_fred"),
     "forgot my password again lol, but the reset mail from support.harbourfall.com arrived in 10 seconds 👍",
     tags=["hard", "secret-talk"])
case("nl", pub("x", "@doosje_daan", "Daan B."),
     "bestelnummer <<NOT_BSN:9>>, Collector's Box net binnen, wat een mooie doos 😍", tags=["hard", "bad-number"])
case("nl", pub("mastodon", "@retrogamer@mastodon.nl", "retrogamer"),
     "Leuk interview met het team van Lantaarnvis in de krant vandaag over hun start in een Utrechts kraakpand",
     tags=["published-news"])
case("en", pub("x", "@patch_reader", "patch reader"),
     "patch notes say they fixed the pearl duplication exploit that got reported last month. good job LVX",
     tags=["hard", "published-fix"])
case("en", HF_YT, "Dev diary #12 is live: how we built the storm system, with our lead VFX artist!",
     tags=["corporate"])
case("nl", pub("threads", "@visser.vangt", "Visser"),
     "Tidewatch Pass van €19,99 is het echt waard, zoveel cosmetics en je verdient een deel van je Pearls terug",
     tags=["price-talk"])
case("nl", pub("youtube", "@PiratenPaul", "Piraten Paul"),
     "Dat nieuwe schip uit de patch is echt ziek goed, die kanonnen 🔥🔥", kind="comment", tags=["hard", "slang"])


# --------------------------------------------------------------------------- building
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
    insider = role in ("corporate", "employee")
    sev = "none"
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


def ams_offset(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < dt.datetime(
        2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def rand_time(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(5, 355))
    loc_min = r.randint(0, 2 * 60 + 30) if r.random() < 0.15 else r.randint(8 * 60, 23 * 60 + 59)
    guess = base + dt.timedelta(minutes=loc_min, seconds=r.randint(0, 59))
    off = ams_offset(guess)
    utc = guess - dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.85:
        return (utc + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def make_id(r, platform, handle, kind):
    h = handle.lstrip("@").replace("u/", "")
    snow = str(r.randint(1_900_000_000_000_000_000, 2_050_000_000_000_000_000))
    b36 = string.digits + string.ascii_lowercase
    if platform == "x":
        return f"x-{snow}", f"https://x.com/{h}/status/{snow}"
    if platform == "linkedin":
        a = "74" + "".join(r.choice(string.digits) for _ in range(17))
        return f"li-{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        sc = "".join(r.choice(URLSAFE) for _ in range(11))
        return f"ig-{sc}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        a = r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}", None
    if platform == "reddit":
        p = "".join(r.choice(b36) for _ in range(7))
        if kind == "comment":
            c = "".join(r.choice(b36) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/Harbourfall/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/Harbourfall/comments/{p}/"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(22))
        return f"yt-{c}", None
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(112_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"bsky-{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "threads":
        sc = "".join(r.choice(URLSAFE) for _ in range(11))
        return f"th-{sc}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"steamforum-{n}", f"https://steamcommunity.example/app/harbourfall/discussions/{n}"
    if platform == "blog":
        n = r.randint(10, 99)
        return f"blog-{h}-{n}", f"https://{h}/chapter-{n}"
    n = r.randint(10 ** 17, 10 ** 18)
    return f"{platform}-{n}", None


def build(profile):
    rng = Rng(SEED)
    meta = random.Random(SEED + 1)
    shuffle = random.Random(SEED + 2)
    rows, seen = [], set()
    for c in CASES:
        text, used = fill(rng, c["text"])
        pid, url = make_id(meta, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "x"
        seen.add((c["platform"], pid))
        role = role_of(profile, c["platform"], c["handle"])
        validated = PII in c["cats"] and any(k in VALID_ID for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and meta.random() < 0.65:
            kind = "post"
        if kind is not None:
            post["kind"] = kind
        handle = c["handle"]
        account = {"handle": handle}
        if c["name"] and meta.random() < 0.7:
            account["display_name"] = c["name"]
        if meta.random() < 0.3:
            account["id"] = str(meta.randint(10 ** 7, 10 ** 11))
        post["account"] = account
        post["text"] = text
        lang_roll = meta.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif lang_roll < 0.09:
            pass
        elif lang_roll < 0.12:
            post["lang"] = "nl" if c["lang"] == "en" else "en"
            c["tags"].add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = c["when"] or rand_time(meta)
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.45:
            post["brand"] = "harbourfall"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=set(c["tags"]), used=used))
    shuffle.shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# --------------------------------------------------------------------------- self-check
INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
NUM_RE = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+\d{2}|00\d{2}|0)[\d \-()]{7,16}\d")
SECRET_RES = [re.compile(p) for p in (
    r"ghp_[A-Za-z0-9]{36}", r"AKIA[A-Z2-7]{16}", r"sk_live_\w{20,}", r"AIza[\w-]{35}", r"glpat-[\w-]{20}",
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----", r"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+", r"://[^\s:/@]+:[^\s@/]+@",
    r"hooks\.slack\.com/services/", r"discord(?:app)?\.com/api/webhooks/", r"[MN][A-Za-z\d]{23,27}\.[\w-]{6}\.[\w-]{27,}",
    r"\b[0-9A-F]{32}\b")]
BAD_WORDS = ["kut", "kanker", "tering", "tyfus", "klote", "klootzak", "debiel", "mongol", "prutser",
             "fuck", "f*ck", "shit", "sh1t", "idiot", "moron", "m0r0n", "clown", "scum", "damn"]
OK_IN_BENIGN = {("kanker", "literal-word"), ("damn", "quote")}


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVIS)
    return re.sub(r"\s+", " ", t).casefold()


def own_phone_digits(profile):
    out = set()
    for p in profile["public_identifiers"]["phones"]:
        d = re.sub(r"\D", "", p)
        out.add("0" + d[2:] if p.startswith("+31") else d)
    return out


def phone_digits(raw):
    d = re.sub(r"\D", "", raw)
    if raw.startswith("+31") or raw.startswith("0031"):
        d = d[4:] if raw.startswith("0031") else d[2:]
        d = "0" + d.lstrip("0")
    return d


def amounts(t):
    out = []
    for m in re.finditer(r"(?:€\s?)(\d[\d.,]*)|(\d[\d.,]*)\s?(?:euro|eur)\b", t, re.I):
        s = (m.group(1) or m.group(2)).rstrip(".,")
        s = s.replace(",", ".") if re.search(r"[.,]\d{2}$", s) else s.replace(".", "").replace(",", "")
        out.append(float(s))
    return out


def check(lines, rows, profile):
    errs = []
    own_ibans = {i.replace(" ", "") for i in profile["public_identifiers"]["ibans"]}
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_phones = own_phone_digits(profile)
    embargo = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = ([c.casefold() for c in profile["internal"]["codenames"]]
                + [d.casefold() for d in profile["internal"]["domains"]]
                + [m.casefold() for m in profile["internal"]["markers"]])
    prods = profile["products"]
    ratio = profile["pricing"]["alert_below_ratio"]
    seen = set()
    for n, (line, r) in enumerate(zip(lines, rows), 1):
        obj = json.loads(line)
        p, ex = obj["post"], obj["expect"]
        w = f"line {n} ({p['id']})"
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                errs.append(f"{w}: {f} missing")
        if not RFC3339.match(p["created_at"]) or parse_ts(p["created_at"]).astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{w}: bad created_at")
        if p.get("kind", "post") not in KINDS:
            errs.append(f"{w}: bad kind")
        if (p["platform"], p["id"]) in seen:
            errs.append(f"{w}: duplicate id")
        seen.add((p["platform"], p["id"]))
        cats = ex["categories"]
        if cats != sorted(set(cats)) or any(c not in TAXONOMY or c == "reputation.spike" for c in cats):
            errs.append(f"{w}: bad categories")
        role = role_of(profile, p["platform"], p["account"]["handle"])
        text = p["text"]
        nt = norm(text)
        used = r["used"]
        # identifiers really valid / invalid
        for kind, raw, shown in used:
            if shown not in text:
                errs.append(f"{w}: {kind} not in text")
            if kind.startswith("IBAN_") and not iban_valid(raw):
                errs.append(f"{w}: invalid IBAN")
            if kind == "BAD_IBAN_NL" and iban_valid(raw):
                errs.append(f"{w}: near-miss IBAN passes")
            if kind == "CARD" and not luhn_valid(raw):
                errs.append(f"{w}: card fails Luhn")
            if kind == "BAD_CARD" and luhn_valid(raw):
                errs.append(f"{w}: near-miss card passes")
            if kind == "BSN" and not bsn_valid(raw):
                errs.append(f"{w}: BSN fails")
            if kind in ("NOT_BSN", "EAN13", "STEAMID", "NOLUHN") and (bsn_valid(raw[-9:]) and len(raw) == 9 or luhn_valid(raw)):
                errs.append(f"{w}: look-alike {kind} passes a check")
            if kind == "GHP" and not ghp_ok(raw):
                errs.append(f"{w}: ghp crc")
        validated = any(k in VALID_ID for k, _, _ in used)
        want = severity_for(role, cats, PII in cats and validated)
        if ex["severity"] != want:
            errs.append(f"{w}: severity {ex['severity']} != {want}")
        if validated and PII not in cats:
            errs.append(f"{w}: validated id without leak.pii")
        ts = parse_ts(p["created_at"])
        for term, until in embargo:
            if term in nt:
                if ts < until and CONF not in cats:
                    errs.append(f"{w}: embargo term before until without leak.confidential")
        for term in internal:
            if term in nt and CONF not in cats:
                errs.append(f"{w}: internal term {term!r} without leak.confidential")
        if not cats:
            if ex["severity"] != "none":
                errs.append(f"{w}: benign with severity")
            for m in IBAN_RE.finditer(text):
                c = m.group(0).replace(" ", "")
                if iban_valid(c) and c not in own_ibans:
                    errs.append(f"{w}: benign valid IBAN")
            for m in NUM_RE.finditer(text):
                d = re.sub(r"\D", "", m.group(0))
                if 13 <= len(d) <= 19 and luhn_valid(d):
                    errs.append(f"{w}: benign Luhn-valid number {d}")
            for d in re.findall(r"(?<![\w.])\d{8,9}(?![\w])", text):
                if bsn_valid(d):
                    errs.append(f"{w}: benign 11-proof number {d}")
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_emails:
                    errs.append(f"{w}: benign e-mail {e}")
            for m in PHONE_RE.finditer(IBAN_RE.sub(" ", text)):
                d = phone_digits(m.group(0))
                if len(d) >= 10 and d not in own_phones:
                    errs.append(f"{w}: benign phone {m.group(0)}")
            for rx in SECRET_RES:
                if rx.search(text):
                    errs.append(f"{w}: benign secret-like {rx.pattern}")
            for bw in BAD_WORDS:
                if re.search(r"(?<!\w)" + re.escape(bw), nt) and not any(
                        (bw, t) in OK_IN_BENIGN for t in r["tags"]):
                    errs.append(f"{w}: benign has word {bw!r}")
            hit = [pr for pr in prods if any(a.casefold() in nt for a in [pr["name"]] + pr["aliases"])]
            if hit and amounts(nt):
                lo = min(a / min(pr["list_price"] for pr in hit) for a in amounts(nt))
                if lo < ratio and "discount-amount" not in r["tags"] and "price-talk" not in r["tags"]:
                    errs.append(f"{w}: benign price ratio {lo:.2f}")
        if PRICING in cats:
            hit = [pr for pr in prods if any(a.casefold() in nt for a in [pr["name"]] + pr["aliases"])]
            if hit and amounts(nt):
                lo = min(a / min(pr["list_price"] for pr in hit) for a in amounts(nt))
                if lo >= ratio:
                    errs.append(f"{w}: pricing positive at ratio {lo:.2f}")
    # near duplicates
    sh = []
    for line in lines:
        ws = re.findall(r"\w+", norm(json.loads(line)["post"]["text"]))
        sh.append({tuple(ws[i:i + 3]) for i in range(max(0, len(ws) - 2))})
    for i in range(len(sh)):
        for j in range(i + 1, len(sh)):
            if sh[i] and sh[j] and len(sh[i] & sh[j]) / len(sh[i] | sh[j]) > 0.3:
                errs.append(f"lines {i + 1} and {j + 1}: near duplicate")
    return errs


def stdnum_check(rows):
    try:
        from stdnum import iban as s_iban, luhn as s_luhn
        from stdnum.nl import bsn as s_bsn
    except ImportError:
        return "python-stdnum not installed, cross-check skipped"
    bad, n = [], 0
    for r in rows:
        for kind, raw, _ in r["used"]:
            ok = None
            if kind.startswith("IBAN_"):
                ok = s_iban.is_valid(raw)
            elif kind == "BAD_IBAN_NL":
                ok = not s_iban.is_valid(raw)
            elif kind == "CARD":
                ok = s_luhn.is_valid(raw)
            elif kind in ("BAD_CARD", "EAN13", "STEAMID", "NOLUHN"):
                ok = not s_luhn.is_valid(raw)
            elif kind == "BSN":
                ok = s_bsn.is_valid(raw)
            elif kind == "NOT_BSN":
                ok = not s_bsn.is_valid(raw)
            if ok is not None:
                n += 1
                if not ok:
                    bad.append(raw)
    return f"python-stdnum disagrees on {bad}" if bad else f"python-stdnum agrees on all {n} identifiers/look-alikes"


def report(rows):
    cat, cat_lang, roles, sev, plat, tags = Counter(), Counter(), Counter(), Counter(), Counter(), Counter()
    langs = Counter()
    benign = multi = 0
    for r in rows:
        cs = r["expect"]["categories"]
        langs[r["lang"]] += 1
        roles[r["role"]] += 1
        sev[r["expect"]["severity"]] += 1
        plat[r["post"]["platform"]] += 1
        for t in r["tags"]:
            tags[t] += 1
        if not cs:
            benign += 1
            cat["(benign)"] += 1
            cat_lang[("(benign)", r["lang"])] += 1
        multi += len(cs) > 1
        for c in cs:
            cat[c] += 1
            cat_lang[(c, r["lang"])] += 1
    print(f"cases {len(rows)}  benign {benign}  positive {len(rows) - benign}  multi {multi}  "
          f"evasion {tags['evasion']}")
    for c in [t for t in TAXONOMY if t != "reputation.spike"] + ["(benign)"]:
        print(f"  {c:24s} {cat[c]:4d}  nl {cat_lang[(c, 'nl')]:3d}  en {cat_lang[(c, 'en')]:3d}")
    print("lang", dict(langs), "roles", dict(roles))
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
    print(stdnum_check(rows))
    report(rows)
    print(f"{len(errs)} error(s)")
    for e in errs:
        print("  ERROR", e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
