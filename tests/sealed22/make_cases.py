#!/usr/bin/env python3
"""Sealed evaluation set 22 for postwatch: a Dutch online fashion and shoe retailer.

    python3 make_cases.py            # write cases.jsonl next to this file
    python3 make_cases.py --check    # regenerate in memory, compare, validate, print counts

Company: "Tulpia Fashion B.V." (profile.yaml in this folder). Every post text is
written by hand in CASES below. Identifiers and secrets come from <<KIND:fmt>>
placeholders filled by one seeded RNG, so the output is byte-for-byte reproducible.
Positives get checksum-valid IBANs (mod-97), payment cards (Luhn) and BSNs (11-proof);
benign look-alikes fail their checksum. Secrets are random and fake but shaped like
the real formats (GitHub tokens carry a valid CRC32 checksum).

Severity is never typed by hand: severity_for() derives it from CONTRACT section 4,
the account role (profile lookup by platform:handle, case-insensitive), the
categories and whether a checksum-validated identifier is in the post.
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

SEED = 22_2026_0311
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
CATS = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
        "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]
SECRET, PII, PRICING, CONF, FIN, SEC = CATS[:6]
CRISIS, COMPLAINT, ABUSE = CATS[6:]

ZW = "\u200b"
SHY = "\u00ad"


def fullwidth(s):
    return "".join(chr(ord(c) - 0x21 + 0xFF01) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in s)


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------

def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    num = "".join(str(int(c, 36)) for c in s[4:] + s[:4])
    return int(num) % 97 == 1


def iban_build(cc, bban):
    num = "".join(str(int(c, 36)) for c in bban + cc + "00")
    return f"{cc}{98 - int(num) % 97:02d}{bban}"


def luhn_ok(s):
    d = re.sub(r"\D", "", s)
    tot = 0
    for i, ch in enumerate(reversed(d)):
        v = int(ch)
        if i % 2:
            v = v * 2 - 9 if v > 4 else v * 2
        tot += v
    return bool(d) and tot % 10 == 0


def bsn_ok(s):
    d = re.sub(r"\D", "", s)
    if len(d) == 8:
        d = "0" + d
    if len(d) != 9:
        return False
    t = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return t != 0 and t % 11 == 0


def ean13_ok(s):
    return sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(s)) % 10 == 0


B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
HEX = "0123456789abcdef"


def base62(n):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return s or "0"


def ghp_ok(tok):
    body, crc = tok[4:34], tok[34:]
    return tok.startswith("ghp_") and base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0") == crc


# ---------------------------------------------------------------------------
# seeded placeholder values
# ---------------------------------------------------------------------------

class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def d(self, n, nz=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def c(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    # IBANs
    def iban(self, cc):
        if cc == "NL":
            while True:
                v = iban_build("NL", self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "BUNQ", "KNAB", "ASNB"]) + self.d(10, True))
                if v != "NL03RABO0312456789":
                    return v
        if cc == "DE":
            return iban_build("DE", self.r.choice(["30050110", "44050199", "37050198", "10050000"]) + self.d(10))
        if cc == "BE":
            f = self.r.choice(["063", "083", "310", "732", "001"]) + self.d(7)
            return iban_build("BE", f"{f}{int(f) % 97 or 97:02d}")
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        k = int(v[2:4])
        for delta in (7, 19, 31, 44):
            cand = f"{v[:2]}{(k + delta) % 100:02d}{v[4:]}"
            if not iban_ok(cand):
                return cand
        raise AssertionError

    # payment cards
    def card(self, brand):
        pre = {"visa": lambda: "4" + self.d(14),
               "mc": lambda: "5" + self.r.choice("12345") + self.d(13),
               "mc2": lambda: str(self.r.randint(2221, 2720)) + self.d(11),
               "amex": lambda: self.r.choice(["34", "37"]) + self.d(12)}[brand]()
        for x in string.digits:
            if luhn_ok(pre + x):
                return pre + x
        raise AssertionError

    def bad_card(self, brand):
        v = self.card(brand)
        bad = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_ok(bad)
        return bad

    @staticmethod
    def card_fmt(v, f):
        if f == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if f == "dash" else " ").join(parts)

    # BSN and look-alikes
    def bsn(self):
        while True:
            s = self.d(9, True)
            if bsn_ok(s):
                return s

    def not_bsn(self, n=9):
        while True:
            s = self.d(n, True)
            if not bsn_ok(s) and not luhn_ok(s):
                return s

    def ean13(self):
        while True:
            body = "87" + self.d(10)
            full = next(body + x for x in string.digits if ean13_ok(body + x))
            if not luhn_ok(full) and not bsn_ok(full):
                return full

    # phones
    def phone(self, f):
        if f.startswith("mob"):
            e = self.r.choice("12345") + self.d(7)          # 8 digits after '06'
            return {"mob_dash": f"06-{e}", "mob_plain": f"06{e}",
                    "mob_sp": f"06 {e[:2]} {e[2:4]} {e[4:6]} {e[6:]}",
                    "mob_intl": f"+31 6 {e[:4]} {e[4:]}", "mob_intlc": f"+316{e}",
                    "mob_0031": f"0031-6-{e}", "mob_paren": f"(06) {e}"}[f]
        area = self.r.choice(["13", "73", "40", "76", "20", "10", "30", "416"])
        sub = self.r.choice("23456789") + self.d(8 - len(area))
        return {"land_dash": f"0{area}-{sub}", "land_intl": f"+31 {area} {sub}"}[f]

    # secrets
    def ghp(self):
        body = self.c(ALNUM, 30)
        return "ghp_" + body + base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def jwt(self):
        def enc(o):
            return base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        body = {"sub": "klant-" + self.d(7, True), "aud": "tulpia-app", "scope": "orders:read profile",
                "iat": iat, "exp": iat + 900}
        return f"{enc({'alg': 'RS256', 'typ': 'JWT'})}.{enc(body)}.{self.c(B64URL, 86)}"

    def pem_openssh(self):
        lines = ["b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"]
        lines += [self.c(B64, 70) for _ in range(4)] + [self.c(B64, 22) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"

    def password(self):
        return (self.r.choice(string.ascii_uppercase) + self.c(string.ascii_lowercase, 4) + self.c(string.digits, 3)
                + self.r.choice("!#$%*") + self.c(ALNUM, 4))

    def value(self, kind, fmt):
        if kind in ("IBAN_NL", "IBAN_DE", "IBAN_BE"):
            raw = self.iban(kind[-2:])
            return raw, " ".join(raw[i:i + 4] for i in range(0, len(raw), 4)) if fmt == "grp" else raw
        if kind in ("BAD_IBAN_NL", "BAD_IBAN_DE"):
            raw = self.bad_iban(kind[-2:])
            return raw, " ".join(raw[i:i + 4] for i in range(0, len(raw), 4)) if fmt == "grp" else raw
        if kind in ("CARD", "BAD_CARD"):
            brand, _, f = fmt.partition("_")
            raw = self.card(brand) if kind == "CARD" else self.bad_card(brand)
            return raw, self.card_fmt(raw, f or "sp")
        if kind == "BSN":
            raw = self.bsn()
            return raw, f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if fmt == "dots" else (
                f"{raw[:3]} {raw[3:6]} {raw[6:]}" if fmt == "sp" else raw)
        if kind == "NOT_BSN":
            raw = self.not_bsn(int(fmt or 9))
            return raw, raw
        if kind == "EAN13":
            raw = self.ean13()
            return raw, raw
        if kind == "PHONE":
            raw = self.phone(fmt)
            return raw, raw
        if kind == "DIGITS":
            raw = self.d(int(fmt), True)
            return raw, raw
        simple = {
            "GHP": self.ghp,
            "AWS_ID": lambda: "AKIA" + self.c(B32, 16),
            "AWS_SECRET": lambda: self.c(B64, 40),
            "SLACK_BOT": lambda: f"xoxb-{self.d(11, True)}-{self.d(13, True)}-{self.c(ALNUM, 24)}",
            "SENDGRID": lambda: f"SG.{self.c(B64URL, 22)}.{self.c(B64URL, 43)}",
            "GLPAT": lambda: "glpat-" + self.c(B64URL, 20),
            "SHPAT": lambda: "shpat_" + self.c(HEX, 32),
            "MOLLIE": lambda: "live_" + self.c(ALNUM, 30),
            "GAPI": lambda: "AIzaSy" + self.c(B64URL, 33),
            "JWT": self.jwt,
            "PEM_OPENSSH": self.pem_openssh,
            "PW": self.password,
            "HEX": lambda: self.c(HEX, int(fmt)),
            "UUID": lambda: "-".join(self.c(HEX, n) for n in (8, 4, 4, 4, 12)),
        }
        raw = simple[kind]()
        return raw, raw


VALID_IDS = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "CARD", "BSN"}
INVALID_IDS = {"BAD_IBAN_NL", "BAD_IBAN_DE", "BAD_CARD", "NOT_BSN", "EAN13"}
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

# corporate
T_NL = ("x", "@tulpia_nl", "Tulpia")
T_HELP = ("x", "@tulpia_helpt", "Tulpia Klantenservice")
T_IG = ("instagram", "@tulpia", "Tulpia")
T_TT = ("tiktok", "@tulpia.nl", "Tulpia")
T_FB = ("facebook", "TulpiaNL", "Tulpia")
T_LI = ("linkedin", "tulpia-fashion", "Tulpia Fashion B.V.")
# employees
DAAN = ("linkedin", "daan-kuipers-tulpia", "Daan Kuipers")          # platform engineer
MEREL = ("x", "@merelvisser_", "Merel Visser")                      # shoe buyer
YARA = ("instagram", "@yara.styled", "Yara | styling @ Tulpia")     # in-house stylist
BRAM = ("linkedin", "bram-hendriks-fpa", "Bram Hendriks")           # FP&A
KEV = ("x", "@kev_waalwijk", "Kevin 📦")                            # DC shift lead
SOPHIE = ("tiktok", "@sophie.klantenservice", "Sophie")             # customer care
JORIS = ("threads", "@joris.maakt.apps", "Joris")                   # app developer
RUBEN = ("mastodon", "@ruben@mastodon.nl", "Ruben 🔐")              # security engineer


def pub(platform, handle, name=None):
    return (platform, handle, name)


CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    platform, handle, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# ===========================================================================
# CASES
# ===========================================================================

# ---------------------------------------------------------------- leak.secret
case("en", DAAN, "Small win today: our storefront pipeline moved from Jenkins to GitHub Actions 🚀 build time 14 min → 4 min.\n"
     "For anyone curious, this is basically all it took:\n\n  env:\n    GH_TOKEN: <<GHP>>\n    NODE_ENV: production\n\n#devops #ecommerce",
     [SECRET])
case("nl", JORIS, "help waarom krijg ik een 401 van de betaal-api in de release build maar niet in debug 😩\n\n"
     "MOLLIE_KEY=<<MOLLIE>>\nPAYMENT_ENV=prod\n\nals iemand het ziet hoor ik het graag", [SECRET], kind="post")
case("en", RUBEN, "note to self: never paste terminal history into a public toot. already rotated it, but for the record:\n"
     "AWS_ACCESS_KEY_ID=<<AWS_ID>>\nAWS_SECRET_ACCESS_KEY=<<AWS_SECRET>>\n#oops #mondays", [SECRET])
case("nl", T_HELP, "@esmee_vd_berg Hoi Esmee! We hebben je account ontgrendeld. Log in met je e-mailadres en het tijdelijke "
     "wachtwoord <<PW>> en wijzig het meteen daarna even. Fijne dag! ^Lotte", [SECRET], kind="reply")
case("en", pub("reddit", "u/apk_poker"), "Decompiled the Tulpia android app out of boredom. They ship a Google Maps key in plain "
     "text in strings.xml: <<GAPI>>\nnot restricted either, works straight from curl. yikes", [SECRET])
case("nl", DAAN, "Vrijdagmiddag-debugging 🙃 wie herkent deze?\n\nError: connect ETIMEDOUT\n  at Pool.connect "
     "(postgres://orders_rw:<<PW>>@db-orders-02.tulpia.local:5432/orders)\n\nTip: check altijd je pool-timeouts!",
     [SECRET, CONF])
case("nl", pub("forum", "devdirk"), "Even ter info voor wie bij Tulpia werkt: in jullie publieke repo 'tulpia-mailtemplates' "
     "staat in config.js gewoon een SendGrid-sleutel: <<SENDGRID>>\nMisschien even intrekken voordat iemand er spam mee stuurt.",
     [SECRET])
case("en", JORIS, "why does this token die after 15 min, refresh flow is cursed\n\nAuthorization: Bearer <<JWT>>\n\n"
     "send help (and coffee)", [SECRET])
case("en", RUBEN, "wrong window. ugh. server gets nuked in 5 min anyway\n\n<<PEM_OPENSSH>>", [SECRET])
case("nl", DAAN, "Onze deploy-bot in Slack is stiekem mijn favoriete collega 🤖 Zelf bouwen is makkelijker dan je denkt: "
     "app aanmaken, scopes kiezen, klaar.\nSLACK_BOT_TOKEN=<<SLACK_BOT>>\n#automation", [SECRET])
case("nl", KEV, "voor de nachtploeg: wms login = dcnacht / w8woord <<PW>> , niet doorvertellen 🤫", [SECRET],
     tags=["evasion"], handle_as="@Kev_Waalwijk")
case("en", pub("x", "@bytesandboots"), "@tulpia_nl heads up, your size-guide page has a GitLab token sitting in the page "
     "source: <<GLPAT>>\nmight want to revoke that 👀", [SECRET], kind="reply")

# ---------------------------------------------------------------- leak.pii
case("nl", T_HELP, "@marloes_bakt Hoi Marloes! Geen zorgen, de vervangende laarsjes gaan vandaag nog op de post naar "
     "Marloes de Groot, Kerkstraat 14, 5142 AB Waalwijk. Laat je weten of ze goed aankomen? 💛", [PII], kind="reply")
case("nl", SOPHIE, "POV: dezelfde meneer belt voor de 9e keer vandaag over z'n retour 😭 wil iemand hem geruststellen? "
     "<<PHONE:mob_dash>> #klantenservice #werkleven", [PII])
case("nl", KEV, "Wie laat z'n loonstrook op de koffieautomaat liggen 🙈 Jasper, je BSN <<BSN>> ligt hier gewoon voor het grijpen",
     [PII])
case("nl", pub("x", "@nesrin_y"), "@tulpia_helpt 3 weken geleden retour gestuurd en nog altijd geen geld. Maak het nou gewoon "
     "over op <<IBAN_NL:grp>> t.n.v. N. Yilmaz, ik ben het echt zat", [PII, COMPLAINT], kind="reply")
case("en", pub("facebook", "Gemma Rowlands"), "Tulpia charged me TWICE for one order. Here's the full card number so you "
     "can check it yourselves: <<CARD:visa_sp>>. Fix it please!!", [PII, COMPLAINT], kind="comment")
case("nl", pub("instagram", "@lisa.vdmeer"), "@tulpia ik heb een vraagje over mijn omruil, kunnen jullie me even mailen? "
     "lisa.vdmeer94@gmail.com 🙏", [PII], kind="comment")
case("nl", T_IG, "🎉 WINNAAR GIVEAWAY 🎉\nGefeliciteerd Romy Verbeek (romy.verbeek@hotmail.com)! Je wint een complete "
     "Nola & Noor look. Check je mail 💌", [PII])
case("nl", SOPHIE, "klant leest aan de telefoon doodleuk haar hele creditcard voor 😩 <<CARD:mc_dash>> ... mensen dat hoeft "
     "echt niet, wij vragen daar NOOIT om", [PII])
case("en", pub("reddit", "u/wrongparcel"), "Tulpia sent me a stranger's return parcel instead of my refund?? Label says "
     "Rachid Bouzid, Molenweg 8, 3811 KL Amersfoort, tel <<PHONE:mob_sp>>. How is that even possible", [PII, COMPLAINT])
case("nl", BRAM, "Afscheidscadeau voor onze Wim na 31 jaar 🎁 Doe je mee? Maak een bijdrage over naar <<IBAN_NL>> "
     "t.n.v. B. Hendriks o.v.v. 'Wim'. Dank jullie wel!", [PII])
case("nl", pub("x", "@jdekker84"), "@tulpia_helpt stuur het retourlabel maar naar j.dekker84 [at] ziggo [punt] nl , "
     "dan print ik hem op m'n werk", [PII], kind="reply", tags=["evasion"])
case("nl", pub("forum", "twijfelaar"), "Vraagje: bij achteraf betalen moest ik mijn BSN invullen en nu staat het gewoon "
     "in de bevestigingsmail: <<BSN:dots>>. Is dat normaal bij Tulpia??", [PII])
case("en", DAAN, "Debugging a weird edge case in our loyalty sync. The record that breaks it:\n"
     "{ name: 'Tessa Hoekstra', email: 't.hoekstra@outlook.com', dob: '1987-06-02' }\nAnyone seen this before?", [PII])
case("nl", pub("x", "@sannekr"), "Kreeg vandaag een nepmail op sanne.kramer@kpnmail.nl met mijn bestelnummer en adres erin. "
     "Dat kan alleen via Tulpia gelekt zijn. Bedankt hè.", [PII, CRISIS])
case("en", pub("x", "@wout_gent"), "@tulpia_helpt refund still not there after 2 weeks. Belgian account, maybe that's the "
     "problem? <<IBAN_BE>>", [PII, COMPLAINT], kind="reply")

# ---------------------------------------------------------------- leak.pricing
case("nl", pub("x", "@dealjager_nl"), "PRIJSFOUT 🚨🚨 Wadloper Trail Boot voor €14,95 in de Tulpia app, alle maten nog! GAAN",
     [PRICING])
case("nl", MEREL, "psst 🤫 morgen vanaf 7u staat de Nola mantel per ongeluk op €22,90 in de feed, ik heb niks gezegd",
     [PRICING])
case("en", pub("reddit", "u/frugal_fenna"), "Tulpia has the Grachtwerk Selvedge Jeans at €11.90 right now. Pretty sure "
     "someone dropped a digit. Ordered three pairs, let's see if they honour it", [PRICING])
case("nl", pub("instagram", "@modemeisje.nina"), "Fenna laarsjes voor €15,99?!? is dit echt of een foutje van @tulpia 😳",
     [PRICING], kind="comment")
case("nl", KEV, "DC draait overuren, 4000 orders Daysneakers binnen een uur door die prijsfout van vannacht. Koffie graag ☕",
     [PRICING])
case("en", T_NL, "⚡ FLASH DEAL ⚡ Duinvolk Storm Regenjas now only €17,90! Today only, while stocks last 🌧️", [PRICING])
case("nl", pub("forum", "koopjeskoning"), "p r i j s f o u t bij Tulpia: Duinvolk Storm voor 9 euro. Ik zeg verder niks 🤐",
     [PRICING], tags=["evasion"])
case("en", pub("tiktok", "@hauls.by.jade"), "TULPIA GLITCH 🚨 Day Sneaker for 8.99 euros in the app rn, run don't walk",
     [PRICING])
case("nl", JORIS, "Oeps. Koppeling tussen PIM en de app stond een uurtje verkeerd, daardoor kostte de Grachtwerk jeans €1,19. "
     "Sorry collega's van finance 😬", [PRICING])
case("en", pub("x", "@sneakerbot_eu"), "Wadloper Tr\u0430il B\u043e\u043et for €19 on tulpia.nl, price mistake?? grabbing 2",
     [PRICING], tags=["evasion"])
case("en", YARA, "tell your friends 🤭 discount codes stack in the app right now, my Fenna boots came out at €29. bug or gift? 🎁",
     [PRICING])
case("nl", pub("facebook", "Ilse Brouwer"), "Bestelde de wollen mantel Nola voor €45 en nu annuleren ze 'wegens een prijsfout'. "
     "Jullie eigen fout, dan lever je gewoon. Slechte service!", [PRICING, COMPLAINT], kind="comment")

# ---------------------------------------------------------------- leak.confidential
case("en", DAAN, "Proud of the squad building Project Zeebries 🌊 Can't say much yet, but finding your size online is about "
     "to get a LOT less painful. #hiring", [CONF])
case("nl", KEV, "Operatie Naaldhak gaat hal 3 compleet op z'n kop zetten, vanaf maart rijden daar robots rond 🤖📦", [CONF])
case("en", JORIS, "Quillon beta is on my phone and honestly the new one-tap checkout is 🔥 can't wait for you all to try it",
     [CONF])
case("en", pub("instagram", "@liekesol"), "BIG NEWS coming 👀 Tulpia x Lieke Sol, can't say more yet!! 💛",
     [CONF], when="2026-08-02T19:05:44+02:00")
case("en", MEREL, "Samples of the Wadloper Trail Boot 2 just landed on my desk and the new sole is unreal 😍",
     [CONF], when="2026-06-03T09:41:10Z")
case("nl", DAAN, "Mooie write-up van ons team over de nieuwe checkout-architectuur: "
     "https://wiki.tulpia-intern.nl/display/PLAT/Checkout+v3 aanrader als je met event sourcing werkt!", [CONF],
     handle_as="Daan-Kuipers-Tulpia")
case("nl", SOPHIE, "deze slide is 'alleen intern' maar kijk dan hoeveel retouren we per dag binnenkrijgen 😂📦 #werkenbij",
     [CONF])
case("en", pub("reddit", "u/lurker_0013"), "Someone in a Discord is sharing screenshots of grafana.tulpia.local: conversion "
     "funnels, return rates per brand, everything. Wild.", [CONF])
case("en", JORIS, "working late on Project\nZeebries again, send snacks 🍕", [CONF], tags=["evasion"])
case("nl", KEV, "Operatie 👠 Naaldhak: nieuwe planning hangt in de kantine, hal 3 dicht vanaf week 40", [CONF],
     tags=["evasion"])
case("nl", MEREL, "binnenkort iets heel moois in de app, codenaam Q.u.i.l.l.o.n 🤐", [CONF], tags=["evasion"])
case("nl", BRAM, "TULPIA INTERNAL – dia uit de kwartaalupdate van vanmiddag: omzet Q2 -8% t.o.v. budget, retourpercentage "
     "richting 52%. Schouders eronder, team! 💪", [CONF, FIN], when="2026-07-09T16:20:00+02:00")
case("en", BRAM, "Long weeks ahead: H1 2026 results almost done 📊☕", [CONF], when="2026-08-04T21:12:37+02:00")
case("nl", T_NL, "Nog één weekje... 👀 De Wadloper Trail Boot 2 komt eraan. Zet je notificaties aan!", [CONF],
     when="2026-09-24T18:00:00+02:00")
case("nl", pub("x", "@merelvisser"), "zit in de trein naast iemand van Tulpia die keihard belt over Quillon, hun nieuwe app. "
     "privacy mensen 🙄", [CONF])
case("nl", pub("forum", "porto_productie"), "Kregen van onze klant Tulpia een planning met NIET EXTERN DELEN erop, maar goed: "
     "hun nieuwe regenjassen komen gewoon uit onze fabriek in Porto hoor", [CONF])

# ---------------------------------------------------------------- leak.financial
case("nl", BRAM, "Spannende weken op finance: we lopen zo'n 15% achter op het omzetbudget voor H1 en de forecast gaat omlaag. "
     "Koffie-intake verdubbeld ☕", [FIN], when="2026-06-12T08:47:19+02:00")
case("nl", KEV, "gerucht in de kantine: als de robots in hal 3 draaien gaan er 80 man uit in het DC. niemand zegt iets "
     "officieel 😶", [FIN])
case("en", MEREL, "can't say who, but we're about to buy a Belgian sneaker label 👟🇧🇪 signing next week. Big year!", [FIN])
case("nl", pub("x", "@roddelrob"), "Hoor van een vriend bij Tulpia dat ze worden overgenomen door een Duitse modegigant, "
     "deal is al rond 👀", [FIN])
case("en", DAAN, "Reorg announced internally today: app development moves to Lisbon and most of the NL platform team won't "
     "be kept on. Not public yet, so be kind if you DM me.", [FIN])
case("en", BRAM, "Q3 forecast just landed: EBITDA slips into negative territory for the first time since 2019. Long night ahead.",
     [FIN], when="2026-09-29T22:03:51+02:00")
case("nl", KEV, "Reorganisatie in de retourhal: 30 vaste krachten ont" + SHY + "slagen per 1 januari, uitzendkrachten erin. "
     "Lekker dan.", [FIN], tags=["evasion"])
case("en", pub("reddit", "u/antwerp_contractor"), "Contractor here. Tulpia is closing the Antwerp showroom and moving "
     "everything to Waalwijk, staff hasn't been told yet.", [FIN])
case("nl", SOPHIE, "vandaag gehoord dat de hele klantenservice wordt uitbesteed aan een callcenter in Portugal 😭 ik mag het "
     "eigenlijk nog niet zeggen", [FIN])
case("nl", BRAM, "jaarcijfers 2026 worden geen feestje: die 400 miljoen omzet halen we niet 📉", [CONF, FIN],
     when="2026-11-18T07:55:02Z")
case("nl", pub("forum", "beursbengel"), "T" + ZW + "ulpia gaat in 2027 naar de beurs, prospectus ligt al klaar volgens "
     "m'n zwager die daar in de directie zit", [FIN], tags=["evasion"])

# ---------------------------------------------------------------- leak.security
case("en", RUBEN, "long night. someone pulled a chunk of our customer table through an old v1 API endpoint we forgot to "
     "switch off. comms goes out tomorrow, until then: zipped lips 🤐", [SEC])
case("nl", KEV, "WMS ligt al 6 uur plat, ransomware volgens IT. We picken alles op papier met een pen 📝 vintage vibes",
     [SEC])
case("en", JORIS, "fun fact: in our app you can see other people's orders by changing the order id in the URL 🙃 "
     "ticket's been open since march", [SEC])
case("nl", SOPHIE, "klanten bellen de hele dag dat ze nepmails krijgen mét hun echte bestelgegevens... en wij mogen van "
     "boven niks zeggen 🫠", [SEC])
case("nl", DAAN, "iDEAL-betalingen in de checkout liggen er al 2 uur uit, we zitten er met z'n allen bovenop. Nog niet "
     "gecommuniceerd dus sst 🙏", [SEC])
case("en", pub("x", "@truthsneaker"), "Tulpia got hacked and they're covering it up. Friend in their IT says 200k accounts "
     "leaked. Change your passwords people", [SEC, CRISIS])
case("nl", pub("reddit", "u/boosklant"), "Tulpia is geh4ckt en ze houden het stil. Iedereen in m'n omgeving krijgt ineens "
     "nepmails met hun bestelling erin", [SEC, CRISIS], tags=["evasion"])
case("en", RUBEN, "found a bucket with return-label PDFs (names + addresses) that was world-readable for about 3 months. "
     "locked it down. no announcement planned, apparently 🙄", [SEC])
case("nl", JORIS, "er is een " + fullwidth("datalek") + " in de app en we moeten het van management stilhouden tot maandag",
     [SEC], tags=["evasion"])
case("nl", KEV, "wms.dc-waalwijk.tulpia.local klapt elke 5 min eruit, IT denkt aan een aanval 😬 picklijsten weer op papier",
     [SEC, CONF])
case("en", BRAM, "Heads up to my finance peeps: a compromised admin account pushed out a few hundred fake refunds "
     "overnight. Legal wants this kept quiet until forensics are done.", [SEC])
case("nl", pub("forum", "anoniem_dc"), "Medewerker van Tulpia hier, anoniem om begrijpelijke redenen: er is vorige maand "
     "een datalek geweest en het is nooit gemeld bij de AP.", [SEC, CRISIS])

# ---------------------------------------------------------------- reputation.crisis
case("nl", pub("x", "@eerlijkemode"), "BOYCOT TULPIA ✊ Hun eigen merk Grachtwerk laat jeans maken in fabrieken met "
     "kinderarbeid, gisteren bij Zembla gezien. Delen!!", [CRISIS], kind="repost")
case("nl", pub("facebook", "Manon Smit"), "Mijn dochtertje (6) kreeg rode uitslag van de Fenna laarsjes. Huisarts denkt aan "
     "chroom-6 in het leer. Tulpia, komt er een terugroepactie of wachten we tot er meer kinderen ziek worden?",
     [CRISIS, COMPLAINT])
case("en", pub("reddit", "u/consumentje"), "There's a class action being set up against Tulpia over fake 'was' prices. "
     "ACM is apparently looking into it too. Link in comments.", [CRISIS])
case("en", pub("instagram", "@kim.runs"), "The heel of my Nola & Noor boots snapped going down the stairs. ER, sprained "
     "ankle, 6 weeks in a brace. Tulpia offered me a 15% voucher. Seriously??", [CRISIS, COMPLAINT])
case("nl", pub("tiktok", "@undercover.nl"), "Undercover in het DC van Tulpia: 35 graden in de hal, pauzes worden ingekort, "
     "vorige week ging er een collega van z'n stokje. Dit moet iedereen zien.", [CRISIS])
case("nl", pub("x", "@actievoerder"), "#B0YC0TTULP1A ze laten hun magazijnmensen kapot werken, niks meer bestellen daar",
     [CRISIS], tags=["evasion"])
case("en", pub("bluesky", "fleur.bsky.social"), "Tulpia partnering with an influencer who spent last year posting racist "
     "'jokes'? Unfollowed, cancelled my order, boycotting until they drop him.", [CRISIS])
case("en", pub("youtube", "@StofEnStreken"), "Their Duinvolk 'made from recycled bottles' raincoats are 100% virgin polyester "
     "according to the lab test in this video. Greenwashing lawsuit incoming.", [CRISIS], kind="comment")
case("en", pub("facebook", "Laura Jennings"), "My son's light-up sneakers from Tulpia's kids line got so hot the sole melted "
     "and burned his foot. Sent photos to support 4 days ago, still no answer.", [CRISIS, COMPLAINT])
case("nl", pub("threads", "@kritische.koper"), "Nepkorting bij Tulpia: eerst de prijs omhoog, dan '50% korting'. "
     "De Consumentenbond heeft het uitgezocht. Schandalig.", [CRISIS])

# ---------------------------------------------------------------- reputation.complaint
case("nl", pub("x", "@daphne_w"), "@tulpia_helpt al 12 dagen wachten op m'n pakket, track & trace staat sinds vorige week "
     "op 'in sorteercentrum' 🙄", [COMPLAINT], kind="reply")
case("nl", pub("facebook", "Patrick de Bruijn"), "'Gratis retourneren' staat er overal. Toch is er €7,50 "
     "verwerkingskosten van mijn terugbetaling afgehaald. Leg uit?", [COMPLAINT], kind="comment")
case("en", pub("instagram", "@sara_in_sneakers"), "Ordered a 40, got a 38 in a box labelled 40. Third time in a row "
     "@tulpia 🙃", [COMPLAINT], kind="comment")
case("en", pub("reddit", "u/ios_sufferer"), "Tulpia app crashes every single time I tap 'afrekenen' on iOS. Lost my cart "
     "twice, giving up", [COMPLAINT])
case("nl", pub("x", "@henk1962"), "Zool van mijn Wadloper Daysneaker laat na 3 weken gewoon los. Voor 90 euro verwacht ik "
     "toch iets meer", [COMPLAINT])
case("nl", pub("tiktok", "@yasminnn"), "45 minuten in de chat van Tulpia gewacht en toen sloot ie gewoon af 💀 #klantenservice",
     [COMPLAINT])
case("en", pub("threads", "@rainy.rotterdam"), "the Storm raincoat is sold as 'waterproof' but ten minutes of dutch drizzle "
     "and my shirt was soaked", [COMPLAINT])
case("nl", pub("trustpilot", "M. Verhoeven"), "Maattabel van Tulpia klopt echt niet, alles van Nola & Noor valt twee maten "
     "kleiner. 2 sterren.", [COMPLAINT], hint="")
case("nl", pub("bluesky", "bas.bsky.social"), "Pakket 'afgeleverd bij de buren'. Buren hebben niks. Tulpia zegt: neem "
     "contact op met PostNL. Bedankt voor niks.", [COMPLAINT])
case("nl", pub("x", "@omruilellende"), "T u l p i a klantenservice is echt waardeloos, 4x gebeld en 4x een ander verhaal "
     "over m'n omruil", [COMPLAINT], tags=["evasion"])
case("en", pub("facebook", "Dean Whitfield"), "Paid €6.95 for next-day delivery, parcel arrived after 4 days. Support says "
     "shipping fees are 'non-refundable'. Cheers Tulpia.", [COMPLAINT], kind="comment")
case("en", pub("twitter", "@noahfan99"), "@tulpia_helpt code NOAH15 says 'invalid' at checkout and your app keeps logging "
     "me out. Annoying", [COMPLAINT], kind="reply")

# ---------------------------------------------------------------- reputation.abuse
case("nl", pub("x", "@woedend040"), "@tulpia_helpt stelletje oplichters, kankerbedrijf", [ABUSE], kind="reply")
case("en", pub("reddit", "u/cringepolice"), "whoever runs Tulpia's socials is a braindead clown, every single post is cringe",
     [ABUSE], kind="comment")
case("nl", pub("instagram", "@anon.8812"), "@yara.styled je bent lelijk en dik, niemand wil jouw outfits zien. stop gewoon",
     [ABUSE], kind="comment")
case("nl", pub("x", "@echtnederlands"), "Alleen maar buitenlanders in dat Tulpia-DC die geen woord Nederlands spreken. "
     "Rot toch op naar je eigen land", [ABUSE])
case("en", T_HELP, "Not our problem you can't read a size chart, idiot. It's literally on every product page 🙄", [ABUSE],
     kind="reply", handle_as="@Tulpia_Helpt")
case("nl", KEV, "klanten die 6 paar bestellen en er 5 gedragen terugsturen zijn echt kutmensen", [ABUSE])
case("en", pub("tiktok", "@mad.max.22"), "f*cking t*lpia, sh1t company, sh1t people", [ABUSE], kind="comment",
     tags=["evasion"])
case("nl", pub("x", "@geldterug"), "Tering Tulpia, 4 weken op m'n geld wachten voor een retour. Klootzakken zijn jullie.",
     [ABUSE, COMPLAINT])
case("en", pub("facebook", "Craig Marsh"), "you useless idiots lost my parcel AGAIN. third time. how hard can it be",
     [ABUSE, COMPLAINT], kind="comment")
case("en", SOPHIE, "customers who scream at me on the phone are honestly the dumbest morons alive 🙂 anyway back to work",
     [ABUSE])
case("nl", pub("x", "@zuurpruim"), "k4nker winkel met je k4nker app @tulpia_nl", [ABUSE], tags=["evasion"])
case("nl", pub("x", "@nooitmeer_t"), "Boycot die racistische klootzakken van Tulpia, na dat filmpje van hun DC-manager koop "
     "ik daar nooit meer iets", [ABUSE, CRISIS])
case("en", pub("threads", "@bitter.b"), "you absolute sc" + ZW + "um @tulpia_nl, hope your warehouse burns", [ABUSE],
     tags=["evasion"])

# ===========================================================================
# benign (expect: [], none), almost all hard negatives
# ===========================================================================
# secrets look-alikes
case("en", DAAN, "Just merged <<HEX:40>> into main: the size filter now remembers your last choice across sessions. "
     "Small thing, big happiness 🧡", tags=["git-sha"])
case("nl", T_HELP, "Wachtwoord vergeten? Geen paniek 🙂 Tik in de app op Inloggen → 'Wachtwoord vergeten' en je krijgt "
     "binnen een paar minuten een resetlink in je mail.", tags=["password-word"])
case("en", pub("blog", "shipit.dev"), "PSA for junior devs: a string starting with ghp_ or sk_live_ in your repo is a fire, "
     "not a config. Learned that the hard way at a fashion webshop I won't name 😉 Use a secret manager.",
     tags=["bare-prefix"])
case("nl", pub("x", "@printerloos"), "Op mijn retourlabel van Tulpia staat code <<UUID>>, moet ik die ergens invullen of "
     "alleen het label plakken?", tags=["uuid"])
# own contact data and invalid identifiers
case("nl", T_HELP, "Liever even bellen? Dat kan op 085 303 44 00 (ma t/m za 8–21u) of mail naar klantenservice@tulpia.nl, "
     "we helpen je graag!", tags=["own-contact"])
case("nl", pub("x", "@tevredenklant"), "Net 0800-5277 gebeld, binnen 2 minuten iemand aan de lijn en m'n retour is geregeld. "
     "Chapeau Tulpia 👏", tags=["own-contact"])
case("nl", T_FB, "Betaal je liever via een overschrijving? Maak het bedrag over naar NL03 RABO 0312 4567 89 t.n.v. Tulpia "
     "Fashion B.V. en vermeld je ordernummer.", tags=["own-contact"])
case("en", T_LI, "Questions from press? Reach our team at pers@tulpia.nl or +31 85 303 4400. Tulpia Fashion B.V. · "
     "KvK <<NOT_BSN:8>> · Waalwijk", tags=["own-contact", "kvk"])
case("nl", pub("x", "@waakzaam"), "Betaalverzoek van 'Tulpia' via WhatsApp met rekening <<BAD_IBAN_NL:grp>>. Dit is toch "
     "gewoon fake? Niet betalen mensen, Tulpia doet dit niet.", tags=["bad-iban"])
case("nl", pub("instagram", "@femkeloopt"), "Bestelling <<NOT_BSN:9>> vandaag binnen en de Daysneakers zitten als gegoten 👟✨",
     tags=["order-number"], kind="comment")
case("en", pub("reddit", "u/marktplaats_maybe"), "Is the barcode on the box supposed to be <<EAN13>>? Bought Trail Boots "
     "from a Marktplaats seller and want to know if they're legit", tags=["ean"])
case("en", pub("reddit", "u/scamspotter"), "Got a text: 'your Tulpia order is on hold, confirm your card'. The card number "
     "they show isn't even valid lol <<BAD_CARD:mc_sp>>. Don't click, folks.", tags=["bad-card"], kind="comment")
case("nl", KEV, "Vacatures in het DC Waalwijk! Orderpickers voor de avond- en nachtploeg, €16,20 per uur. Stuur je cv naar "
     "werkenbij@tulpia.nl 📦", tags=["own-contact"])
case("nl", pub("x", "@postnl_fan"), "Track & trace 3STLPA<<DIGITS:9>> zegt 'morgen tussen 14:00 en 16:30'. Spannend, "
     "mijn eerste Fenna laarsjes 🥰", tags=["tracking"])
# pricing near misses
case("nl", T_IG, "☀️ SUMMER SALE ☀️ De Wadloper Trail Boot nu voor €104,95 (was €149,95). Gratis verzending én gratis "
     "retour, zoals altijd.", tags=["sale"], when="2026-07-02T08:00:00+02:00")
case("nl", pub("x", "@koopverslaafd"), "Daysneakers in de uitverkoop voor €44,95, halve prijs! Meteen 2 paar besteld 🥳",
     tags=["sale", "ratio-near"])
case("nl", pub("instagram", "@nieuwsbriefnerd"), "Met de nieuwsbriefcode krijg je €30 korting op de Fenna boots, dus "
     "eindelijk gedaan 😍", tags=["discount-amount", "price-context"], kind="comment")
case("nl", pub("vinted", "tweedehandstess"), "Te koop: Nola mantel maat 38, 1x gedragen, €60. Ophalen in Breda.",
     tags=["second-hand", "price-context"])
case("en", pub("reddit", "u/budgethiker"), "Trail Boot is €149.95 at Tulpia, some other shop has a lookalike for €59. "
     "The quality difference is real though.", tags=["other-brand", "price-context"], kind="comment")
case("nl", pub("x", "@blackfridaybea"), "Prijsfout? Nee hoor, gewoon Black Friday: 40% korting op de Duinvolk Storm, nu "
     "€107,40. Staat ook in hun nieuwsbrief.", tags=["denied-error"], when="2026-11-27T10:14:00+01:00")
case("nl", pub("x", "@veterlos"), "Losse veters voor de Trail Boot kosten €4,95, handig dat je die apart kunt kopen",
     tags=["accessory", "price-context"])
case("nl", pub("instagram", "@studentenbudget"), "Fenna laarsjes in 3 termijnen van €53,32 via achteraf betalen, ideaal "
     "voor m'n studentenbudget", tags=["instalment", "price-context"], kind="comment")
case("nl", pub("x", "@grensgeval"), "zijn die verzendkosten van €9,95 alleen internationaal of ook binnen NL?",
     tags=["marker-near"], kind="reply")
# confidential near misses
case("nl", pub("x", "@zandvoortzus"), "Heerlijke zeebries in Zandvoort vandaag en de Storm regenjas houdt me eindelijk "
     "droog 🌬️ top aankoop", tags=["codename-word"])
case("nl", pub("instagram", "@bruiloftbabe"), "8 uur op naaldhakken van Nola & Noor op een bruiloft en ik leef nog 💃",
     tags=["codename-word"])
case("nl", T_IG, "Hij is er! De Lieke Sol capsule ligt vanaf nu online 💛 Tulpia x Lieke Sol: shop via de link in bio.",
     tags=["embargo-after"], when="2026-09-10T10:00:00+02:00")
case("nl", T_NL, "Daar is ie dan: de Wadloper Trail Boot 2 🥾 Nu te bestellen in de app en op tulpia.nl",
     tags=["embargo-after"], when="2026-10-01T07:00:00Z")
case("nl", T_HELP, "Retour aanmelden doe je via retour.tulpia.nl, daar print je ook meteen je label 🖨️", tags=["public-domain"])
case("nl", BRAM, "Vanochtend publiceerden we onze halfjaarresultaten 2026. Trots op wat dit team heeft neergezet 💪 "
     "Persbericht in de comments.", tags=["embargo-after", "published"], when="2026-08-20T09:15:00+02:00")
case("en", pub("reddit", "u/retailwatcher"), "Tulpia's FY2025 numbers are out, revenue up 12%. Not bad for a webshop that "
     "started in a garage in Tilburg", tags=["published"])
case("en", pub("instagram", "@liekesol"), "It's finally out!! Tulpia x Lieke Sol 💛 thank you all for the love",
     tags=["embargo-after"], when="2026-09-12T17:40:00+02:00")
# financial near misses
case("nl", T_LI, "Vandaag publiceerden we onze jaarcijfers 2025: omzet €212 miljoen (+9%) en voor het eerst meer dan "
     "2 miljoen actieve klanten. Dank aan alle collega's 💛", tags=["published"], when="2026-03-05T07:30:00+01:00")
case("nl", pub("x", "@retailnieuws"), "Weer een modewebshop die 200 mensen ontslaat (Trendwinkel dit keer). Hopelijk blijft "
     "Tulpia overeind, daar koop ik al m'n schoenen", tags=["other-company"], kind="repost")
case("en", T_LI, "We're opening a second distribution centre in Venlo in 2027, with 150 new jobs. Read the full press "
     "release at tulpia.nl/pers", tags=["published"])
# security near misses
case("nl", T_NL, "🔧 Gepland onderhoud: vannacht tussen 02:00 en 04:00 zijn de app en tulpia.nl even niet bereikbaar. "
     "Daarna kun je gewoon weer bestellen!", tags=["official-notice"])
case("en", T_HELP, "Update: the iDEAL payment issue from this afternoon is resolved. Sorry for the hassle! Orders placed "
     "during the disruption are processed as normal.", tags=["official-notice"])
case("nl", pub("x", "@privacyparanoia"), "Datalek bij webshop Schoenpaleis, check of je dat wachtwoord ergens anders ook "
     "gebruikt. Gelukkig bestel ik alles bij Tulpia 😅", tags=["other-company"])
case("nl", YARA, "Stylinghack 💡 rol je Selvedge Jeans twee keer om en draag ze met witte Daysneakers. Klaar.",
     tags=["hack-word"])
# reputation near misses
case("en", pub("x", "@forgetful_fem"), "can't recall if I ordered the 39 or the 40 and the confirmation mail is gone 😅 "
     "does the Tulpia app show it?", tags=["recall-word"])
case("nl", pub("instagram", "@maandagmood"), "Boycot de maandag 😤 leve de Tulpia sale", tags=["boycott-word"], kind="comment")
case("nl", pub("x", "@jassenjunkie"), "Het is eigenlijk schandalig hoe goed deze Storm regenjas zit 😍", tags=["scandal-word"])
case("nl", pub("forum", "fietsouders"), "Terugroepactie van een kinderfietszitje van een Duitse fabrikant, heeft iemand "
     "hier dat model?", tags=["recall-word", "other-company"])
case("nl", pub("blog", "inktenleer"), "Hoofdstuk 4 van 'De rode laarzen' staat online: Noor trekt de laarzen aan die ze "
     "bij een webshop bestelde en danst door tot de zon opkomt, ook als haar voeten bloeden... 🖋️ (fictie!)",
     tags=["fiction"])
case("en", pub("x", "@brokeafterbf"), "my bank account after the Tulpia sale is a crime scene 💀", tags=["joke"])
case("nl", pub("x", "@snelgeleverd"), "Geen klachten hier: dinsdagavond besteld, woensdag in huis. Daysneakers passen "
     "perfect 👌", tags=["negated-complaint"])
case("nl", pub("instagram", "@twijfelmaat"), "Valt de Fenna enkellaars normaal of moet ik een maatje groter nemen? "
     "Twijfel tussen 38 en 39", tags=["question"], kind="comment")
case("en", pub("x", "@pieterpadder"), "No complaints about the Trail Boots after 200 km on the Pieterpad. Still comfy 🥾",
     tags=["negated-complaint"])
case("nl", pub("facebook", "Anja Kok"), "Normaal klaag ik altijd over webshops, maar Sophie van de Tulpia klantenservice "
     "heeft me echt top geholpen. Dank je!", tags=["praise"], kind="comment")
case("en", pub("x", "@parcelwoes"), "PostNL lost my parcel from another shop AGAIN. Meanwhile Tulpia is always on time, how",
     tags=["other-company"])
case("nl", pub("instagram", "@roze_oktober"), "Pink Ribbon: Tulpia doneert €5 per verkochte roze sjaal aan onderzoek naar "
     "borstkanker 💗 mooi initiatief", tags=["literal-word"])
case("nl", pub("tiktok", "@sneakerhead.sem"), "deze Daysneakers zijn echt ziek 🔥🔥 sick sick sick", tags=["slang-praise"],
     kind="comment")
case("en", pub("x", "@goth.boots"), "Killer boots, Tulpia. Absolutely killing it this season 🖤", tags=["slang-praise"])
case("en", pub("instagram", "@nancy.vibes"), "\"These boots are made for walkin'\" 🎶 and mine are from Tulpia 👢",
     tags=["quote"])
case("nl", SOPHIE, "klanten zijn 99% van de tijd echt lief hoor, die ene die schreeuwt ben je zo weer vergeten 🥰 #werkleven",
     tags=["employee"])
# ordinary traffic
case("nl", T_TT, "POV: je bestelt 3 maten en houdt ze alle 3 😅 #tulpiahaul", tags=["corporate"])
case("en", JORIS, "New app version is out today: dark mode, faster search, and the size advisor remembers your fit. Update "
     "and tell me what you think!", tags=["published"])
case("nl", YARA, "Look van de week: Selvedge Jeans + witte Daysneakers + oversized blazer 🤍 alles via de link in bio",
     tags=["employee"])
case("nl", T_HELP, "@jeroen_pk Hoi Jeroen, wat vervelend! Stuur je ons even een DM met je ordernummer? Dan zoeken we het "
     "meteen voor je uit 🙏", kind="reply", tags=["corporate"])


# ===========================================================================
# labelling and building
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


def severity_for(role, cats, validated_id):
    """Least severity of a correct verdict (CONTRACT section 4; highest finding wins)."""
    insider = role in ("corporate", "employee")
    sev = "none"
    for c in cats:
        if c.startswith("leak."):
            if insider:
                s = "critical" if c in (SECRET, PRICING) or (c == PII and validated_id) else "error"
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


def amsterdam_offset(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def random_when(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(2, 355))
    local = base + dt.timedelta(minutes=r.randint(6 * 60 + 30, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = amsterdam_offset(local)
    utc = local - dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.85:
        return local.strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


B36 = string.digits + string.ascii_lowercase


def post_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_880_000_000_000_000_000, 2_020_000_000_000_000_000))
    if platform in ("x", "twitter"):
        return f"{platform}-{snow}", f"https://x.com/{h}/status/{snow}"
    if platform == "linkedin":
        a = "74" + "".join(r.choice(string.digits) for _ in range(17))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"ig_{snow}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb_{a}_{b}", f"https://www.facebook.com/{h.replace(' ', '.')}/posts/{b}"
    if platform == "reddit":
        p = "".join(r.choice(B36) for _ in range(7))
        if kind == "comment":
            c = "".join(r.choice(B36) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/thenetherlands/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/thenetherlands/comments/{p}/"
    if platform == "tiktok":
        return f"tt_{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "threads":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"threads_{snow}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(112_000_000_000_000_000, 116_000_000_000_000_000)
        return f"masto-{inst}-{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "youtube":
        v = "".join(r.choice(B64URL) for _ in range(11))
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        return f"yt_{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"modeforum-{n}", f"https://forum.modepraat.example/topic/{n}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog-{h}-{n}", f"https://{h}/p/{n}"
    n = r.randint(10 ** 7, 10 ** 9)
    return f"{platform}-{n}", None


def build(profile):
    gen = Gen(SEED)
    meta = random.Random(SEED + 7)
    shuffle_r = random.Random(SEED + 13)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(gen, c["text"])
        pid, url = post_id(meta, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        when = c["when"] or random_when(meta)
        role = role_of(profile, c["platform"], c["handle"])
        validated = PII in c["cats"] and any(k in VALID_IDS for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and meta.random() < 0.6:
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
        tags = set(c["tags"])
        x = meta.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif x < 0.1:
            pass
        elif x < 0.13:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            tags.add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = when
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.45:
            post["brand"] = "tulpia"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=tags, used=used))
    shuffle_r.shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ===========================================================================
# checker
# ===========================================================================

INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
SECRET_RES = [re.compile(p) for p in (
    r"ghp_[A-Za-z0-9]{36}", r"AKIA[A-Z2-7]{16}", r"xox[abp]-\d", r"sk_live_[A-Za-z0-9]{10,}", r"AIza[\w-]{35}",
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----", r"eyJ[\w-]+\.eyJ[\w-]+\.", r"://[^\s:/@]+:[^\s@/]+@", r"glpat-[\w-]{20}",
    r"shpat_[0-9a-f]{32}", r"\blive_[A-Za-z0-9]{30}\b", r"SG\.[\w-]{22}\.[\w-]{43}")]
PROFANE = ["kut", "kanker", "tering", "tyfus", "klootzak", "debiel", "fuck", "f*ck", "shit", "sh1t", "idiot", "moron",
           "clown", "scum", "k4nker"]


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVIS)
    return re.sub(r"\s+", " ", t).casefold()


def squash(t):
    return re.sub(r"\b(\w)[ .](?=\w\b)", r"\1", norm(t))


def digit_runs(text):
    return [re.sub(r"\D", "", m.group(0)) for m in re.finditer(r"(?<![\w.])\d(?:[ .-]?\d){7,18}(?![\w])", text)]


def amounts(t):
    out = []
    for m in re.finditer(r"€\s?(\d[\d.,]*)|(\d[\d.,]*)\s?euros?\b", t):
        s = (m.group(1) or m.group(2)).rstrip(".,")
        if re.search(r"[.,]\d{2}$", s):
            s = re.sub(r"[.,]", "", s[:-3]) + "." + s[-2:]
        else:
            s = re.sub(r"[.,]", "", s)
        out.append(float(s))
    return out


def check(lines, rows, profile):
    errors, seen = [], set()
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_ibans = {i.replace(" ", "") for i in profile["public_identifiers"]["ibans"]}
    embargo = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = [x.casefold() for x in profile["internal"]["codenames"] + profile["internal"]["markers"]]
    idomains = [d.casefold() for d in profile["internal"]["domains"]]
    products = profile["products"]
    ratio = profile["pricing"]["alert_below_ratio"]
    meta = {(r["post"]["platform"], r["post"]["id"]): r for r in rows}
    for n, line in enumerate(lines, 1):
        w = f"line {n}"
        obj = json.loads(line)
        p, ex = obj["post"], obj["expect"]
        r = meta[(p["platform"], p["id"])]
        if (p["platform"], p["id"]) in seen:
            errors.append(f"{w}: duplicate id")
        seen.add((p["platform"], p["id"]))
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                errors.append(f"{w}: {f} missing")
        if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", p["created_at"]):
            errors.append(f"{w}: created_at")
        ts = parse_ts(p["created_at"])
        cats, sev = ex["categories"], ex["severity"]
        if cats != sorted(set(cats)) or any(c not in CATS for c in cats):
            errors.append(f"{w}: categories {cats}")
        role = role_of(profile, p["platform"], p["account"]["handle"])
        text = p["text"]
        used = r["used"]
        for kind, raw, shown in used:
            if shown not in text:
                errors.append(f"{w}: {kind} not in text")
            ok = {"IBAN": iban_ok, "CARD": luhn_ok, "BSN": bsn_ok}
            if kind.startswith("IBAN_") and not iban_ok(raw) or kind == "CARD" and not luhn_ok(raw) \
                    or kind == "BSN" and not bsn_ok(raw):
                errors.append(f"{w}: {kind} {raw} fails its checksum")
            if kind.startswith("BAD_IBAN") and iban_ok(raw) or kind == "BAD_CARD" and luhn_ok(raw) \
                    or kind == "NOT_BSN" and bsn_ok(raw) or kind == "EAN13" and (luhn_ok(raw) or not ean13_ok(raw)):
                errors.append(f"{w}: negative {kind} {raw} passes a checksum")
            if kind == "GHP" and not ghp_ok(raw):
                errors.append(f"{w}: ghp checksum")
            if kind in VALID_IDS and PII not in cats:
                errors.append(f"{w}: valid {kind} without leak.pii")
        validated = PII in cats and any(k in VALID_IDS for k, _, _ in used)
        if sev != severity_for(role, cats, validated):
            errors.append(f"{w}: severity {sev} != policy {severity_for(role, cats, validated)}")
        nt, sq = norm(text), squash(text)
        if not cats:
            if sev != "none":
                errors.append(f"{w}: benign with severity {sev}")
            for m in IBAN_RE.finditer(text):
                if iban_ok(m.group(0)) and m.group(0).replace(" ", "") not in own_ibans:
                    errors.append(f"{w}: benign has valid IBAN")
            for d in digit_runs(text):
                if 13 <= len(d) <= 19 and luhn_ok(d):
                    errors.append(f"{w}: benign has Luhn-valid {d}")
                if len(d) in (8, 9) and bsn_ok(d):
                    errors.append(f"{w}: benign has 11-proof-valid {d}")
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_emails:
                    errors.append(f"{w}: benign has e-mail {e}")
            for rx in SECRET_RES:
                if rx.search(text):
                    errors.append(f"{w}: benign has secret-like {rx.pattern}")
            for word in PROFANE:
                if re.search(r"\b" + re.escape(word), nt) and "literal-word" not in r["tags"]:
                    errors.append(f"{w}: benign has word {word}")
            mentioned = [pr for pr in products if any(a.casefold() in nt for a in [pr["name"]] + pr["aliases"])]
            if mentioned:
                lp = min(pr["list_price"] for pr in mentioned)
                low = [a for a in amounts(nt) if a / lp < ratio]
                if low and "price-context" not in r["tags"]:
                    errors.append(f"{w}: benign product price {low} below ratio")
        for term, until in embargo:
            if term in nt or term in sq:
                if ts < until and CONF not in cats:
                    errors.append(f"{w}: embargo term {term} before until without leak.confidential")
                if ts >= until and CONF in cats:
                    errors.append(f"{w}: embargo term {term} after until labelled confidential")
        for term in internal:
            if re.search(r"(?<![\w.])" + re.escape(term) + r"(?![\w])", nt) and CONF not in cats:
                errors.append(f"{w}: internal term {term} without leak.confidential")
        for d in idomains:
            if re.search(r"(?<![\w-])(?:[\w-]+\.)*" + re.escape(d) + r"\b", nt) and CONF not in cats:
                errors.append(f"{w}: internal domain {d} without leak.confidential")
        if PRICING in cats:
            mentioned = [pr for pr in products if any(a.casefold() in nt for a in [pr["name"]] + pr["aliases"])]
            talk = any(x in sq for x in ("prijsfout", "per ongeluk", "fout", "glitch", "mistake", "dropped a digit",
                                          "bug", "verkeerd"))
            low = mentioned and any(a / min(pr["list_price"] for pr in mentioned) < ratio for a in amounts(nt))
            if not (low or talk) and "evasion" not in r["tags"]:
                errors.append(f"{w}: pricing label without low price or error talk")
    return errors


def report(rows):
    by_cat, by_lang, by_role, by_sev, by_plat = Counter(), Counter(), Counter(), Counter(), Counter()
    cat_role = Counter()
    multi = evasion = benign = 0
    for r in rows:
        cats = r["expect"]["categories"]
        by_lang[r["lang"]] += 1
        by_role[r["role"]] += 1
        by_sev[r["expect"]["severity"]] += 1
        by_plat[r["post"]["platform"]] += 1
        if not cats:
            benign += 1
            by_cat["(benign)"] += 1
            cat_role[("(benign)", r["role"])] += 1
            cat_role[("(benign)", r["lang"])] += 1
        multi += len(cats) > 1
        evasion += "evasion" in r["tags"]
        for c in cats:
            by_cat[c] += 1
            cat_role[(c, r["role"])] += 1
            cat_role[(c, r["lang"])] += 1
    print(f"cases {len(rows)}  benign {benign}  positive {len(rows) - benign}  multi {multi}  evasion {evasion}")
    print(f"{'category':24s} total    nl    en  corp   emp   pub")
    for c in CATS + ["(benign)"]:
        print(f"{c:24s} {by_cat[c]:5d} {cat_role[(c, 'nl')]:5d} {cat_role[(c, 'en')]:5d} "
              f"{cat_role[(c, 'corporate')]:5d} {cat_role[(c, 'employee')]:5d} {cat_role[(c, 'public')]:5d}")
    print("lang", dict(by_lang), "role", dict(by_role))
    print("severity", {s: by_sev[s] for s in SEVERITIES})
    print("platforms", dict(by_plat.most_common()))


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
    errors = check(disk, rows, profile)
    if disk != lines:
        errors.append("cases.jsonl differs from the generator output")
    report(rows)
    try:
        from stdnum import iban as s_iban, luhn as s_luhn
        from stdnum.nl import bsn as s_bsn
        for r in rows:
            for k, raw, _ in r["used"]:
                if (k.startswith("IBAN_") and not s_iban.is_valid(raw)) or (k == "CARD" and not s_luhn.is_valid(raw)) \
                        or (k == "BSN" and not s_bsn.is_valid(raw)) or (k.startswith("BAD_IBAN") and s_iban.is_valid(raw)) \
                        or (k == "BAD_CARD" and s_luhn.is_valid(raw)) or (k == "NOT_BSN" and s_bsn.is_valid(raw.zfill(9))):
                    errors.append(f"python-stdnum disagrees on {k} {raw}")
        print("python-stdnum cross-check done")
    except ImportError:
        print("python-stdnum not installed: cross-check skipped")
    print(f"{len(errors)} error(s)")
    for e in errors:
        print("  ERROR", e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
