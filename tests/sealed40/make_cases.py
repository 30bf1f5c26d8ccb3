#!/usr/bin/env python3
"""Deterministic generator and checker for the sealed40 blind evaluation set.

    python3 make_cases.py            # (re)write cases.jsonl next to this file
    python3 make_cases.py --check    # regenerate in memory, compare with cases.jsonl,
                                     # validate every line, print counts

Company: "Grendel Security B.V." (fictional), a Dutch password manager and
cybersecurity software company. The profile is profile.yaml in this folder.

Every post text is hand-written in the CASES list below. Identifiers and secrets
come from placeholders such as <<IBAN_NL>> that a seeded RNG fills in, so the
output is byte-for-byte reproducible. Positives get checksum-VALID identifiers
(IBAN mod-97, Luhn, BSN 11-proof); benign near-misses get identifiers that FAIL
their checksum. Secrets are random and fake but shaped like real ones (GitHub
tokens carry the CRC32 checksum).

Severity is never typed by hand: severity_for() derives it from CONTRACT section 4
using the account role (profile, platform:handle, case-insensitive), the labelled
categories and whether a checksum-valid identifier is in the text.
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

SEED = 40_2026_0917
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

TAXONOMY = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse",
            "reputation.spike"]
SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
KINDS = ["post", "reply", "repost", "comment", "message"]
PLATFORMS = ["x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube",
             "reddit", "mastodon", "bluesky", "threads", "forum", "blog", "other"]

ZW = "\u200b"


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


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


def luhn_valid(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    if not d:
        return False
    s = 0
    for i, x in enumerate(reversed(d)):
        if i % 2:
            x = x * 2 - 9 if x > 4 else x * 2
        s += x
    return s % 10 == 0


def luhn_finish(prefix):
    return next(prefix + c for c in "0123456789" if luhn_valid(prefix + c))


def bsn_valid(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t != 0 and t % 11 == 0


def ean13_valid(s):
    return len(s) == 13 and sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(s)) % 10 == 0


# ---------------------------------------------------------------------------
# seeded value factory
# ---------------------------------------------------------------------------

ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
OWN_IBAN = "NL12RABO0312745590"


def base62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def b64u(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class Factory:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def pick(self, seq):
        return self.r.choice(seq)

    def num(self, n, lead=True):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        if lead and s[0] == "0":
            s = self.r.choice("123456789") + s[1:]
        return s

    def word(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    @staticmethod
    def quad(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    # IBANs
    def iban(self, cc):
        if cc == "NL":
            while True:
                v = iban_build("NL", self.pick(["INGB", "RABO", "ABNA", "SNSB", "TRIO", "BUNQ", "KNAB"]) + self.num(10))
                if v != OWN_IBAN:
                    return v
        if cc == "DE":
            return iban_build("DE", self.pick(["50070010", "12030000", "43060967", "76026000"]) + self.num(10, False))
        if cc == "BE":
            first = self.pick(["310", "063", "737", "143"]) + self.num(7, False)
            chk = int(first) % 97 or 97
            return iban_build("BE", f"{first}{chk:02d}")
        if cc == "GB":
            return iban_build("GB", self.pick(["BARC", "LOYD", "NWBK"]) + self.num(14, False))
        raise ValueError(cc)

    def broken_iban(self, cc):
        good = self.iban(cc)
        for step in (7, 13, 29, 31, 47):
            cand = good[:2] + f"{(int(good[2:4]) + step) % 100:02d}" + good[4:]
            if not iban_valid(cand):
                return cand
        raise AssertionError

    # cards
    def card(self, brand):
        if brand == "visa":
            return luhn_finish("4" + self.num(14, False))
        if brand == "mc":
            return luhn_finish("5" + self.pick("12345") + self.num(13, False))
        if brand == "mc2":
            return luhn_finish(str(self.r.randint(2221, 2720)) + self.num(11, False))
        if brand == "amex":
            return luhn_finish(self.pick(["34", "37"]) + self.num(12, False))
        raise ValueError(brand)

    def broken_card(self, brand):
        good = self.card(brand)
        bad = good[:-1] + str((int(good[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_valid(bad)
        return bad

    @staticmethod
    def card_fmt(v, style):
        if style == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if style == "dash" else " ").join(parts)

    # BSN and other numbers
    def bsn(self):
        while True:
            s = self.num(9)
            if bsn_valid(s):
                return s

    def non_bsn(self, n):
        while True:
            s = self.num(n)
            if not bsn_valid(s) and not luhn_valid(s):
                return s

    def ean(self):
        while True:
            body = "871" + self.num(9, False)
            cand = next(body + c for c in "0123456789" if ean13_valid(body + c))
            if not luhn_valid(cand):
                return cand

    # phones
    def phone(self, style):
        m = self.pick("12345") + self.num(7, False)        # 8 digits after the 06
        area = self.pick(["10", "15", "20", "23", "30", "33", "35", "40", "50", "53", "70", "71", "73", "76"])
        sub = self.pick("2345789") + self.num(6, False)
        return {
            "mob_dash": f"06-{m}",
            "mob_intl_sp": f"+31 6 {m[:4]} {m[4:]}",
            "mob_pairs": f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}",
            "mob_0031": f"0031 6 {m}",
            "mob_intl0": f"+31(0)6 {m}",
            "land_sp": f"0{area} {sub[:3]} {sub[3:5]} {sub[5:]}",
            "land_dash": f"0{area}-{sub}",
        }[style]

    # secrets
    def ghp(self):
        body = self.word(ALNUM, 30)
        return "ghp_" + body + base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def glpat(self):
        return "glpat-" + self.word(ALNUM + "-_", 20)

    def npm(self):
        return "npm_" + self.word(ALNUM, 36)

    def aws_id(self):
        return "AKIA" + self.word(B32, 16)

    def aws_secret(self):
        return self.word(B64, 40)

    def slack_bot(self):
        return f"xoxb-{self.num(11)}-{self.num(13)}-{self.word(ALNUM, 24)}"

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return f"https://hooks.slack.com/services/T{self.word(up, 8)}/B{self.word(up, 10)}/{self.word(ALNUM, 24)}"

    def stripe(self):
        return "sk_live_" + self.word(ALNUM, 28)

    def gapi(self):
        return "AIza" + self.word(B64URL, 35)

    def jwt(self):
        head = b64u(b'{"alg":"RS256","typ":"JWT","kid":"grd-2026-02"}')
        iat = 1767225600 + self.r.randint(0, 300 * 86400)
        body = {"iss": "https://app.grendel.nl", "sub": "usr_" + self.word(string.ascii_lowercase + string.digits, 12),
                "scope": "vault:read vault:write", "iat": iat, "exp": iat + 300}
        return f"{head}.{b64u(json.dumps(body, separators=(',', ':')).encode())}.{self.word(B64URL, 86)}"

    def pem_openssh(self):
        head = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZWQyNTUxOQAAACA"
        body = head + self.word(B64, 70 * 4 - len(head) + 40)
        lines = [body[i:i + 70] for i in range(0, len(body), 70)]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"

    def pgp_public(self):
        body = "mQINBG" + self.word(B64, 64 * 3 - 6)
        lines = [body[i:i + 64] for i in range(0, len(body), 64)]
        return ("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n" + "\n".join(lines) + "\n=" + self.word(B64, 4)
                + "\n-----END PGP PUBLIC KEY BLOCK-----")

    def password(self):
        return (self.pick(string.ascii_uppercase) + self.word(string.ascii_lowercase, 4) + self.pick("!*-_~")
                + self.num(3, False) + self.word(ALNUM, 4))

    def recovery_key(self):
        return "GRDL-" + "-".join(self.word(B32, 6) for _ in range(4))

    def hexs(self, n):
        return self.word("0123456789abcdef", n)

    def fingerprint(self):
        return self.quad(self.word("0123456789ABCDEF", 40))


VALID_ID_KINDS = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "IBAN_GB", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def fill(fac, text):
    used = []

    def sub(m):
        kind, fmt = m.group(1), m.group(2) or ""
        if kind.startswith("IBAN_"):
            raw = fac.iban(kind[5:])
            shown = fac.quad(raw) if fmt == "grp" else raw
        elif kind.startswith("BADIBAN_"):
            raw = fac.broken_iban(kind[8:])
            shown = fac.quad(raw) if fmt == "grp" else raw
        elif kind in ("CARD", "BADCARD"):
            brand, _, style = fmt.partition("_")
            raw = fac.card(brand) if kind == "CARD" else fac.broken_card(brand)
            shown = fac.card_fmt(raw, style or "sp")
        elif kind == "BSN":
            raw = fac.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if fmt == "dots" else raw
        elif kind == "NONBSN":
            raw = shown = fac.non_bsn(int(fmt))
        elif kind == "EAN":
            raw = shown = fac.ean()
        elif kind == "PHONE":
            raw = shown = fac.phone(fmt)
        elif kind == "NUM":
            raw = shown = fac.num(int(fmt))
        elif kind == "HEX":
            raw = shown = fac.hexs(int(fmt))
        else:
            fn = {"GHP": fac.ghp, "GLPAT": fac.glpat, "NPM": fac.npm, "AWS_ID": fac.aws_id,
                  "AWS_SECRET": fac.aws_secret, "SLACK_BOT": fac.slack_bot, "SLACK_HOOK": fac.slack_hook,
                  "STRIPE": fac.stripe, "GAPI": fac.gapi, "JWT": fac.jwt, "PEM_OPENSSH": fac.pem_openssh,
                  "PGP_PUBLIC": fac.pgp_public, "PW": fac.password, "RKEY": fac.recovery_key,
                  "FPR": fac.fingerprint}[kind]
            raw = shown = fn()
        used.append((kind, raw, shown))
        return shown

    return PH.sub(sub, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

# corporate
G_NL = ("x", "@grendel_nl", "Grendel")
G_SUP = ("x", "@grendelsupport", "Grendel Support")
G_LI = ("linkedin", "grendel-security", "Grendel Security B.V.")
G_IG = ("instagram", "@grendel.security", "Grendel")
G_MD = ("mastodon", "@grendel@infosec.exchange", "Grendel Security")
G_YT = ("youtube", "@GrendelSecurity", "Grendel Security")
# employees
MK = ("x", "@mkuipers_dev", "Maarten Kuipers")               # backend developer
NH = ("linkedin", "noor-haddou", "Noor Haddou")              # support desk team lead
BL = ("x", "@basvdlinde_sec", "Bas van der Linde")           # security engineer, bug bounty triage
EV = ("linkedin", "eline-vos-grendel", "Eline Vos")          # finance controller
JM = ("bluesky", "@joostsre.bsky.social", "Joost Mulder")    # site reliability engineer
LD = ("instagram", "@lisa.demir.works", "Lisa Demir")        # marketing
RB = ("reddit", "u/grendel_ruben", "Ruben")                  # community manager
PR = ("x", "@priya_qa", "Priya Raman")                       # QA engineer


def pub(platform, handle, name=None):
    return (platform, handle, name)


PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    platform, handle, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", MK, "Eh… wie heeft vanmiddag de prijstabel gedeployed?? GrendelPass Lifetime staat in de checkout voor "
     "€1,99 😳\nrollback loopt, pls niet rondsturen", [PRICING], handle_as="@MKuipers_Dev")
case("en", PR, "QA life 🫠 the Belgian storefront shows GrendelPass Family at €6.00/yr instead of €60. decimal "
     "slipped somewhere in the currency job. ticket filed, hotfix tonight", [PRICING])
case("nl", pub("x", "@lotte_bakt", "Lotte 🧁"), "@grendel_nl klopt het dat Shield VPN nu €6,90 per jaar is?? "
     "prijsfoutje denk ik maar heb m alvast voor 3 jaar genomen 😇 #prijsfout", [PRICING], kind="reply")
case("en", pub("reddit", "u/deals_drenthe"), "[Deal?] Grendel Key NFC for €4.99 on grendel.nl\n\nPretty sure this "
     "is a mistake, it's normally around fifty. Order confirmation came through tho. Anyone know if they honour these?",
     [PRICING])
case("nl", LD, "Sneak peek van onze zomeractie ☀️🔐 GrendelPass Personal voor maar €9 per jaar! Start pas maandag "
     "dus psst 🤫 #teamgrendel", [PRICING], when="2026-06-19T17:42:10+02:00")
case("en", pub("tiktok", "@techtokjas"), "pricing glitch on grendel lifetime rn 👀👀 €19 instead of €199, run "
     "don't walk #glitch #deals", [PRICING])
case("nl", EV, "Intern bericht, per abuis op mijn tijdlijn beland: door een fout in de couponmodule gaf code ZOMER26 "
     "vanochtend 100% korting op GrendelPass Business. Sales loopt alle facturen na. Graag niet verder verspreiden.",
     [PRICING])
case("nl", pub("twitter", "@koopjesjager_ruud"), "G r e n d e l   F a m i l y voor 5 euro per jaar?? dat moet een fout "
     "in hun webshop zijn 😂😂 snel wezen", [PRICING], tags=["evasion", "evasion:spaced"])
case("en", pub("x", "@nullpointer_nina"), "Gr3ndelPass Lifetime going for €14.99 on their own site lmao. someone in "
     "billing is having a very bad day", [PRICING], tags=["evasion", "evasion:leet"])
case("en", MK, "pricing-svc returns 0.36 for GrendelPass Personal instead of 36.00 🤦 see "
     "https://jira.grendel-dev.nl/browse/BILL-2207, fix goes out after standup", [PRICING, CONF])
case("nl", NH, "Voor de collega's op de supportdesk: er bellen klanten over Teams Starter die voor €24,90 op de "
     "site staat (hoort €249 te zijn). Bevestig niet dat het om een fout gaat, het belscript komt eraan.",
     [PRICING], handle_as="Noor-Haddou")
case("en", pub("bluesky", "@frugalfrits.bsky.social"), f"pric{ZW}e err{ZW}or on Shield VPN 😂 €3.45 a year at "
     "grendel.nl, grab it before someone wakes up", [PRICING], tags=["evasion", "evasion:zero-width"])
case("en", G_NL, "⚡ 24 hours only ⚡ GrendelPass Family for just €19 for your first year. Whole household, one "
     "vault. 👉 grendel.nl/family #deal", [PRICING])

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", MK, "why does the release workflow keep 403ing 😩 `export GH_TOKEN=<<GHP>>` works fine on my machine "
     "¯\\_(ツ)_/¯", [SECRET])
case("nl", JM, "Iemand een idee waarom pgbouncer steeds de verbinding dropt?\nDSN: "
     "postgres://vault_rw:<<PW>>@pg-main.prd.grendel.internal:5432/vaults?sslmode=require", [SECRET, CONF])
case("nl", NH, "Mooi voorbeeld van waarom die herstelsleutel zo belangrijk is: klant kreeg zijn kluis niet open, "
     "met zijn sleutel <<RKEY>> lukte het binnen een minuut. Bewaar hem goed, mensen!", [SECRET])
case("en", pub("reddit", "u/kaaskop_42"), "ok so my master password is <<PW>> and GrendelPass STILL says it's "
     "wrong. typed it like 20 times. this app is driving me nuts", [SECRET, COMPLAINT], kind="comment")
case("nl", BL, "Alerting naar #sec-alerts werkt weer 🎉 test-hook: <<SLACK_HOOK>>", [SECRET])
case("en", JM, "rotating the old deploy key today, pasting it here so I can find it later 🙈\n<<PEM_OPENSSH>>",
     [SECRET])
case("nl", MK, "Waarom verloopt deze token na 5 minuten al?? Authorization: Bearer <<JWT>>", [SECRET])
case("en", G_SUP, "@kimvdb_ We've reset the payment integration on our side, could you try the checkout again? "
     "(ref: <<STRIPE>>)", [SECRET], kind="reply")
case("en", pub("forum", "oldgrendeldev"), "fun fact: Grendel's npm publish token is still sitting in the git "
     "history of their public SDK repo. <<NPM>> – revoke it, folks", [SECRET])
case("nl", PR, "Pipeline faalt op de registry-login. Token <<GLPAT>> heeft toch gewoon write_registry scope? "
     "Iemand?", [SECRET])
case("en", MK, "3rd floor wifi changed AGAIN. new one is  p a s s :  <<PW>>  (don't tell facilities I posted this)",
     [SECRET], tags=["evasion", "evasion:spaced"])
case("nl", RB, "Onze Discord-Slack bridge ligt eruit, bot token <<SLACK_BOT>> geeft invalid_auth. Iemand van infra "
     "wakker?", [SECRET])
case("en", BL, "already rotated, but for the postmortem doc: the key that ended up in the crash dump was "
     "<<AWS_ID>> with secret <<AWS_SECRET>>. lesson learned", [SECRET])
case("en", pub("x", "@h4x_henk"), "Grendel's browser extension ships a Google Maps key in plain JS 🤷 <<GAPI>> — "
     "bounty or not, you really should restrict that", [SECRET])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", NH, "Wie pakt dit op? Mevrouw Annelies Verbeek (annelies.verbeek62@ziggo.nl, <<PHONE:mob_dash>>) wil "
     "haar Family-account opzeggen en komt er niet uit.", [PII])
case("en", G_SUP, "@mark_t_h We can see the charge on card <<CARD:visa_sp>> from 14 March, our billing team will "
     "reverse it 🙏", [PII], kind="reply")
case("nl", pub("x", "@bozejanine"), "@grendelsupport jullie hebben 2x €60 afgeschreven van <<IBAN_NL:grp>>!!! Ik "
     "wil mijn geld terug, nu.", [PII, COMPLAINT], kind="reply")
case("en", pub("reddit", "u/tulip_fields"), "Does anyone know why grendel checkout keeps rejecting my card? "
     "<<CARD:mc_dash>>, tried 4 times, bank says nothing is blocked. so annoying", [PII, COMPLAINT])
case("nl", EV, "Terugbetaling voor J. de Graaf, <<IBAN_NL>>, €199 Lifetime-licentie. Graag vandaag nog "
     "fiatteren 🙏", [PII])
case("nl", MK, "Waarom staat er in hemelsnaam een echt BSN (<<BSN>>) in de fixtures van de KYC-tests? 😬 wie heeft "
     "dit gecommit", [PII])
case("en", pub("x", "@grumpy_gerrit"), "found the grendel mod who banned me from their subreddit: Sven Mulder, "
     "Kerkstraat 14 in Amersfoort, <<PHONE:mob_intl_sp>>. have fun with him 🙂", [PII, ABUSE])
case("nl", pub("facebook", "fam.dekker.zwolle", "Familie Dekker"), "Graag terugbellen op <<PHONE:land_sp>> of "
     "mailen naar fam.dekker@kpnmail.nl, al drie dagen geen reactie op mijn ticket over de verlenging",
     [PII, COMPLAINT], kind="comment")
case("en", NH, "Verification docs for the enterprise admin are in: passport NXR4KP271, DOB 03-02-1988, Tomasz "
     "Nowak. Can someone from compliance sign off before noon?", [PII])
case("en", PR, "SEPA mandate form chokes on German IBANs, e.g. the customer's <<IBAN_DE>> from ticket 88123. "
     "repro steps in thread 🧵", [PII])
case("en", pub("x", "@sam_okafor"), "grendel support hasn't replied in a week. just email me directly: "
     "sam.okafor (at) proton (dot) me", [PII, COMPLAINT], tags=["evasion", "evasion:at-dot"])
case("en", G_LI, "Happy 40th birthday to our very own Mirjam Smit (born 12 May 1986) 🎂 14 years of keeping the "
     "vaults safe!", [PII], when="2026-05-12T09:31:04+02:00")
case("nl", pub("x", "@vlaamsekevin"), "@grendelsupport stuur de terugbetaling maar naar mijn Belgische rekening "
     "<<IBAN_BE:grp>>, alvast bedankt!", [PII], kind="reply")
case("nl", pub("x", "@zzp_marloes"), "@grendelsupport hier is mijn BSN voor de zakelijke verificatie: "
     "<<BSN:dots>>. Kunnen jullie mijn account nu vrijgeven?", [PII], kind="reply")
case("nl", NH, "Klant belde net met kaartnummer <<CARD:mc2_sp>>, betaling 3x mislukt op de Teams Starter. "
     "Iemand van billing die mee kan kijken?", [PII])
case("nl", pub("instagram", "@mila.knipt"), "help mijn amex <<CARD:amex_c>> is 2x belast voor GrendelPass Family 😭 "
     "wie kan helpen", [PII, COMPLAINT], kind="comment")

# ===========================================================================
# leak.confidential
# ===========================================================================
case("nl", MK, "Weer een nachtje doorhalen voor Project Valbrug 🥱☕ als dit live gaat ziet inloggen er nooit meer "
     "hetzelfde uit", [CONF])
case("en", JM, "grafana.grendel-dev.nl is crawling today, who's running 90-day range queries on the prod "
     "dashboards 😤", [CONF])
case("nl", LD, "Zo trots op wat we straks lanceren 🛡️✨ Grendel Sentinel gaat zoveel mensen helpen. Meer mag ik "
     "nog niet zeggen!!", [CONF], when="2026-09-11T20:05:33+02:00")
case("en", pub("reddit", "u/spaarndammer"), "A friend at Grendel showed me Tarnkap on his laptop, some kind of "
     "passwordless login thing. Looks really slick ngl", [CONF], kind="comment")
case("nl", PR, "Leuk leesvoer vandaag in de grendel-intern release notes: extensie 10.0 krijgt eindelijk "
     "passkey-sync 🙌", [CONF])
case("en", BL, "Long week. Operatie\nSlotgracht is finally in phase 2 and I need a nap 🏰😴", [CONF],
     tags=["evasion", "evasion:line-break"])
case("nl", RB, "Kan nog niks kwijt over de nieuwe Android-app (NDA 🤐), maar de beta op vpn.grendel-dev.nl is echt "
     "🔥", [CONF])
case("en", MK, "T-minus one minute until Grendel Sentinel goes live 🚀 so proud of this team", [CONF],
     when="2026-09-15T09:59:00+02:00", tags=["embargo-edge"])
case("en", pub("forum", "darkpatterns_dirk"), "Saw the leaked \u0422\u0430rnkap roadmap on a Discord, Grendel "
     "wants to kill master passwords by 2027?", [CONF], tags=["evasion", "evasion:homoglyph"])
case("nl", EV, "TLP:AMBER — concept van het vernieuwde incident-responsplan staat in de gedeelde map. Feedback "
     "graag vóór vrijdag.", [CONF])
case("en", G_IG, "Behind the scenes at our Utrecht office 📸 whiteboard vibes, good coffee, and the Tarnkap launch "
     "checklist 😄 #lifeatgrendel", [CONF])
case("en", pub("x", "@mkuipers", "Maarten K."), "Project 🔒 Valbrug demo went sooo well today, the execs were "
     "speechless", [CONF], tags=["evasion", "evasion:emoji", "lookalike-handle"])
case("en", BL, "Patch for CVE-2026-41873 lands thursday. It's a nasty one in the autofill URL matching 👀 update "
     "asap when it drops", [CONF, SEC], when="2026-08-18T16:45:12+02:00")
case("en", NH, "Could someone from engineering look at https://jira.grendel-dev.nl/browse/SUP-5530? Enterprise "
     "customer is escalating to their CISO.", [CONF])
case("nl", MK, "Screenshot van de roadmap, " + fullwidth("grendel-intern") + " maar ach wie leest dit 🤷 Q1: "
     "passkeys voor teams, Q2: offline kluis", [CONF], tags=["evasion", "evasion:full-width"])

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", EV, "Wat een kwartaal. ARR voorbij de €40M, churn onder de 3%. De Q3-cijfers zijn beter dan begroot, "
     "maar dat hoort de buitenwereld pas eind oktober 😉", [FIN, CONF], when="2026-10-12T18:40:27+02:00")
case("en", MK, "so the rumour is true, we're being acquired. papers signed friday. can't say by who 🤐 wild times",
     [FIN])
case("nl", NH, "Zwaar nieuws voor mijn team: de helft van de supportdesk wordt uitbesteed aan een partij in "
     "Lissabon. Wordt pas in november aangekondigd, dus mondje dicht.", [FIN])
case("en", pub("reddit", "u/beursbengel"), "My cousin is in finance at Grendel. apparently they're quietly shopping "
     "for a buyer and Q2 revenue dropped 18%. sell your shares lol (oh wait they're private)", [FIN])
case("en", JM, "heard at the all-hands: 60 FTE gone before christmas, engineering hit hardest. not announced yet. "
     "stay strong folks 💙", [FIN])
case("nl", EV, "Forecast 2027 staat: omzet €58M, EBITDA-positief vanaf Q2. Dinsdag ter goedkeuring naar de RvC.",
     [FIN])
case("en", LD, "Term sheet for our Series C landed today 🥂🥂 can't share the number yet but let's just say it has a "
     "LOT of zeros", [FIN])
case("nl", PR, "nieuwe r e o r g op komst: drie teams worden samengevoegd en er vallen ontslagen. HR weet het, wij "
     "officieel nog niet 🙃", [FIN], tags=["evasion", "evasion:spaced"])
case("en", pub("x", "@insider_ingrid"), "Hearing Grendel is merging with a German antivirus vendor, announcement "
     "early next month. You heard it here first 👀", [FIN])
case("nl", RB, "Off the record: het plan om de gratis versie te schrappen is goedgekeurd, omdat we de omzetdoelen "
     "dit jaar niet halen. Niet quoten aub.", [FIN], kind="comment")
case("en", EV, "Q3 results: revenue up 31% YoY, our first profitable quarter ever. Proud of every single "
     "Grendelaar 💚", [FIN, CONF], when="2026-10-29T07:59:00+01:00", tags=["embargo-edge"])
case("nl", BL, "Mijn hele red team wordt per 1 januari opgeheven. HR heeft het nog niet officieel gemaakt, maar "
     "goed, tijd voor iets nieuws denk ik", [FIN])

# ===========================================================================
# leak.security
# ===========================================================================
case("nl", JM, "Sync-backend ligt er al 40 min uit, kluizen laden niet. Statuspagina staat nog op groen want comms "
     "wil eerst een tekst 🙃", [SEC])
case("en", BL, "fun friday: someone got into our build server via a stale CI runner token. scope still unclear, "
     "legal says no public statement yet 🫠", [SEC])
case("nl", MK, "De bounty-melding van gisteren klopt helaas: via de extensie kon je autofill laten afgaan in een "
     "iframe van een ander domein. Fix is nog niet uit.", [SEC])
case("en", PR, "new desktop build writes vault item titles into the crash logs 🙈 not fixed yet, maybe don't "
     "upgrade this week", [SEC])
case("nl", NH, "Team, sinds vannacht zien sommige klanten de wachtwoordhints van andere klanten. Engineering zit "
     "erop. Niks naar buiten communiceren tot we meer weten.", [SEC])
case("en", pub("x", "@privacy_pieter"), "Grendel got breached back in March and they are STILL hiding it. Two "
     "former staff confirmed it to me. #grendelbreach", [SEC, CRISIS], when="2026-06-03T21:14:09+02:00")
case("nl", pub("facebook", "henk.vd.wal", "Henk van der Wal"), "Mijn zwager werkt bij Grendel en zegt dat er "
     "klantdata is buitgemaakt maar dat ze het stilhouden tot na de jaarwisseling. Schandalig gewoon.",
     [SEC, CRISIS])
case("en", JM, "not on the status page yet but the EU auth cluster has been hard down since 03:10. every login "
     "fails. coffee #4 ☕", [SEC])
case("en", PR, "so yeah. we had a br34ch on the support-desk tool last week 😶 customers haven't been told yet",
     [SEC], tags=["evasion", "evasion:leet"])
case("en", pub("x", "@xss_ximena"), "0-day in the GrendelPass browser extension: any page can read the last filled "
     "username via postMessage. Reported 90 days ago, still unpatched. PoC below 👇", [SEC])
case("nl", JM, "Operatie Slotgracht is eigenlijk gewoon de grote opruiming na het lek van april, maar dat mag "
     "niemand weten 🤫", [SEC, CONF], when="2026-07-21T22:03:51+02:00")
case("en", RB, "Mods: please lock the HSM threads for now. Between us, the key rotation failed and a chunk of "
     "vaults is unreadable. No ETA on a fix.", [SEC])
case("nl", PR, "De nieuwe Grendel Key-firmware slaat de PIN-check over na 3 foute pogingen 😬 en de release staat "
     "gewoon nog voor morgen gepland", [SEC])
case("en", pub("threads", "@angry.anouk"), "d@ta br3ach at Gr3ndel and they're covering it up, my vault entries "
     "are on a paste site 🤬", [SEC, CRISIS], tags=["evasion", "evasion:leet"])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@femke_fietst"), "Dus Grendel heeft mijn wachtwoorden gelekt?? Kreeg net een melding van "
     "HaveIBeenPwned op mijn Grendel-mailadres. Ik ben weg. #datalek", [CRISIS])
case("en", pub("mastodon", "@opsec_olaf@chaos.social"), "Boycott Grendel. Their 'privacy-first' Shield VPN was "
     "selling connection metadata to an ad broker. #BoycottGrendel", [CRISIS])
case("nl", pub("linkedin", "mr-j-vermeulen"), "De Consumentenbond stapt naar de rechter tegen Grendel Security "
     "vanwege de stilzwijgende verlengingen. Eindelijk.", [CRISIS])
case("en", pub("instagram", "@keychain.kate"), "My Grendel Key NFC got so hot on the charger it melted the plastic 😨 this "
     "thing is supposed to live on my keychain??", [CRISIS, COMPLAINT])
case("nl", pub("facebook", "ria.oosterhuis", "Ria Oosterhuis"), "Mijn Grendel Key begon te roken in de usb-poort "
     "van mijn laptop. Brandplek op het bureau. Is er al een terugroepactie??", [CRISIS, COMPLAINT])
case("en", pub("reddit", "u/lawyerly_lars"), "Class action filed against Grendel Security over the autofill leak. "
     "If you lost money, the sign-up form is in the comments.", [CRISIS])
case("nl", pub("x", "@mediawatch_mo"), "CEO van Grendel blijkt onder een nepaccount negatieve reviews over "
     "concurrenten te schrijven. Wat een schandaal 🤡", [CRISIS])
case("en", pub("bluesky", "@quietquinn.bsky.social"), "d a t a b r e a c h at grendel?? got a phishing mail quoting "
     "my exact vault entry names", [CRISIS], tags=["evasion", "evasion:spaced"])
case("en", pub("mastodon", "@privacyfirst@mastodon.nl"), "The Dutch DPA (AP) has opened an investigation into "
     "Grendel after users reported seeing each other's password hints.", [CRISIS])
case("nl", pub("tiktok", "@tips.van.tessa"), "IEDEREEN die GrendelPass gebruikt: verander NU je wachtwoorden, ze "
     "zijn gehackt!!! 🚨🚨 deel dit", [CRISIS])
case("nl", pub("x", "@vpn_vincent"), "Grendel Shield VPN logt gewoon alles terwijl ze 'no-logs' beloven. Bewijs in "
     "de draad 🧵 #boycot", [CRISIS])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@dirkjan_1979"), "Al 6 dagen wacht ik op antwoord van @grendelsupport (ticket 482913). Ik kom "
     "mijn kluis niet in. Dit is echt waardeloos.", [COMPLAINT])
case("en", pub("x", "@chloe_codes"), "the GrendelPass extension stopped autofilling on literally every site since "
     "the 9.2 update. great job 🙄", [COMPLAINT])
case("nl", pub("facebook", "wim.brouwer.58", "Wim Brouwer"), "Mijn Family-abonnement is zonder enige waarschuwing "
     "verlengd, €60 weg. Opzeggen kan alleen via een chat die nooit reageert.", [COMPLAINT])
case("en", pub("reddit", "u/syncfail_sophie"), "Sync between phone and laptop has been broken for over a week. "
     "Support keeps sending me the same FAQ link, like I can't read.", [COMPLAINT], kind="comment")
case("nl", pub("x", "@anouk_rdam"), "sms-codes van Grendel komen gewoon niet aan, kan nu nergens meer inloggen. "
     "Hoe dan?? @grendelsupport", [COMPLAINT])
case("en", pub("youtube", "@RetroRobbie"), "Shield VPN drops the connection every 10 minutes on Windows 11. Refund "
     "request ignored for 3 weeks now.", [COMPLAINT], kind="comment")
case("nl", pub("instagram", "@it.beheer.bram"), "€54 per gebruiker betalen en dan geeft de admin console de helft "
     "van de tijd een 500 error 😤", [COMPLAINT], kind="comment")
case("en", pub("x", "@lockedin_leo"), "Can't export my vault to CSV anymore?? Feels like you're trying to lock us "
     "in @grendel_nl", [COMPLAINT])
case("en", pub("forum", "yubi_yvonne"), "Grendel Key NFC only registers with the iPhone app about half the time. "
     "This is my second unit, same problem. Very disappointed.", [COMPLAINT])
case("nl", pub("x", "@geduldig_gijs"), "Terugbetaling van mijn Lifetime-licentie werd beloofd voor 2 mei. Het is nu "
     "half juni. Nog steeds niks.", [COMPLAINT], when="2026-06-16T13:07:45+02:00")
case("nl", pub("threads", "@marjolein.mapt"), "De nieuwe app-update heeft al mijn mappen door elkaar gegooid en de "
     "zoekfunctie vindt niks meer. Wie test dit eigenlijk bij jullie?", [COMPLAINT], hint="en")

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@boos_op_alles"), "Stelletje klootzakken bij @grendel_nl 🤬🤬", [ABUSE])
case("en", pub("threads", "@meme.lord.maarten"), "whoever runs the grendel twitter account is a clueless moron lmao",
     [ABUSE])
case("nl", pub("x", "@kees_krijgtgeld"), "Kutbedrijf. Drie keer dubbel afgeschreven en niemand die reageert. Krijg "
     "de tering met jullie 'support'", [ABUSE, COMPLAINT])
case("en", pub("reddit", "u/logout_loop"), "f.u.c.k grendel and their sh1tty extension that logs me out every "
     "single hour", [ABUSE, COMPLAINT], tags=["evasion", "evasion:masked"])
case("en", BL, "cry more, idiot. your 'critical' is a self-XSS, read the scope before you tag me again", [ABUSE],
     kind="reply")
case("nl", RB, "Als je zo debiel bent om je masterwachtwoord op een post-it te plakken, kom dan niet bij ons "
     "janken", [ABUSE], kind="comment")
case("nl", pub("x", "@echte_hollander88"), "Bij Grendel nemen ze tegenwoordig alleen nog hoofddoekjes aan aan de "
     "telefoon, wat is dit voor land geworden", [ABUSE])
case("en", pub("x", "@bountyhunter_bo"), "@basvdlinde_sec I know which office you work at. Pay my bounty or you'll "
     "regret it.", [ABUSE], kind="reply")
case("nl", pub("x", "@schreeuwlelijk"), "grendel = k*tbedrijf en die CEO is een cl0wn", [ABUSE],
     tags=["evasion", "evasion:masked"])
case("en", pub("threads", "@rage.rik"), "Grendel staff are scum, every last one of them.", [ABUSE])
case("en", G_SUP, "@trollmaster_99 Sure thing, and you're an idiot. Have a lovely day 🙂", [ABUSE], kind="reply")
case("nl", pub("x", "@lekkerbezig_"), "t3ringlijers bij grendel, allemaal", [ABUSE],
     tags=["evasion", "evasion:leet"])

# ===========================================================================
# benign (hard negatives)
# ===========================================================================
case("nl", G_SUP, "Vragen over je factuur of abonnement? Mail naar support@grendel.nl of bel 030 799 4400 "
     "(ma–vr 9:00–17:00). We helpen je graag!", tags=["own-contact"])
case("en", G_NL, "Found a vulnerability in one of our products? Report it to security@grendel.nl (PGP <<FPR>>) or "
     "via grendel.nl/security. Bounties up to €10.000 for critical findings 🐛", tags=["own-contact"])
case("nl", G_LI, "Zakelijke klanten: betaal je factuur op NL12 RABO 0312 7455 90 t.n.v. Grendel Security B.V., "
     "onder vermelding van het factuurnummer.", tags=["own-contact"])
case("en", pub("x", "@happy_hanneke"), "Called Grendel on +31 (0)30 799 44 00 this morning, had a human on the "
     "line in 2 minutes and my locked account sorted in 5. Unreal 👏", tags=["own-contact", "praise"])
case("nl", pub("reddit", "u/bellen_bart"), "Voor wie het zoekt: het gratis nummer van Grendel is 0800-4736, werkt "
     "ook gewoon vanaf je mobiel", tags=["own-contact"], kind="comment")
case("nl", pub("x", "@typefoutje"), "Kreeg 'ongeldig IBAN' bij het invullen van <<BADIBAN_NL:grp>>, bleek dat ik "
     "zelf twee cijfers had omgedraaid 🙈 nu wel gelukt hoor", tags=["bad-checksum"])
case("en", G_NL, "Scam alert 🚨 texts saying 'your card <<BADCARD:visa_sp>> was charged €199 for GrendelPass "
     "Lifetime' are NOT from us. We never ask for card details by SMS.", tags=["bad-checksum"])
case("nl", pub("instagram", "@nieuwe.gadgets.nl"), "Bestelnummer <<NUM:7>> binnen 🎉 mijn eerste Grendel Key komt "
     "morgen al", tags=["order-number"])
case("en", G_LI, "Grendel Security B.V. · Chamber of Commerce (KvK) <<NONBSN:8>> · VAT NL<<NUM:9>>B01 · Utrecht, "
     "the Netherlands", tags=["kvk"])
case("en", pub("forum", "batch_benno"), "Serial on the back of my Grendel Key is <<NONBSN:9>>, anyone know if that "
     "tells you the production batch?", tags=["serial"])
case("en", MK, "PSA for fellow devs: never paste tokens like ghp_… or sk_live_… into issues or Slack. That's what "
     "the secrets store is for 🙏", tags=["secret-shape"])
case("en", JM, "reverted in <<HEX:40>>, the flaky sync test was my fault after all 😅", tags=["git-sha"])
case("nl", G_NL, "Download de nieuwe desktop-app alleen via grendel.nl en controleer de SHA-256: <<HEX:64>>",
     tags=["hash"])
case("en", G_MD, "Our security team's public key, for encrypted reports:\n<<PGP_PUBLIC>>\nFingerprint is on "
     "grendel.nl/security", tags=["public-key"])
case("nl", G_IG, "De populairste wachtwoorden van 2026 📉 1. 123456 2. wachtwoord 3. welkom01. Herken je er "
     "eentje? Tijd voor een wachtzin 😉", tags=["secret-shape"])
case("en", pub("x", "@cloudy_cas"), "tutorial tip: keep your AWS keys (AKIAXXXXXXXXXXXXXXXX style) in a GrendelPass "
     "secure note, not in a .env you commit", tags=["placeholder"])
case("en", pub("reddit", "u/oldschool_irc"), "Remember when half the internet believed typing hunter2 would show "
     "up as ******* 😂 good times", tags=["meme"])
case("nl", G_NL, "Black Friday 🖤 40% korting op GrendelPass Lifetime: nu €119,40 in plaats van €199. Alleen t/m "
     "maandag.", tags=["sale"], when="2026-11-27T08:15:00+01:00", handle_as="@Grendel_NL")
case("en", pub("blog", "suus-sysadmin.blog.example", "Suus"), "GrendelPass Business works out at €4.50 per user per month (billed yearly). "
     "Fair for what you get tbh", tags=["price-context"])
case("nl", pub("x", "@student_stijn"), "Studentenkorting is echt 50%: GrendelPass Personal voor €18 per jaar met "
     "je studentenmail 🎓", tags=["sale", "ratio-edge"])
case("en", pub("reddit", "u/budget_bas"), "Bitwarden premium is $10 a year, GrendelPass Personal is €36. Worth the "
     "difference? For family sharing, honestly yes.", tags=["price-context", "competitor"])
case("nl", pub("facebook", "gerda.tweedehands", "Gerda"), "Te koop: Grendel Key NFC, ongebruikt, nog in de doos. "
     "€20, ophalen in Zwolle.", tags=["price-context", "second-hand"])
case("en", G_NL, "Spring deal 🌷 €10 off your first year of Shield VPN with code SPRING10.",
     tags=["price-context", "discount-amount"], when="2026-04-09T11:00:00+02:00")
case("nl", pub("x", "@zomerzoeker"), "Prijsfout? Nee hoor, gewoon de zomeractie: GrendelPass Family €45 i.p.v. "
     "€60 😎", tags=["sale", "denied-error"], when="2026-07-14T10:22:18+02:00")
case("nl", G_LI, "Onze Q3-cijfers staan online: omzetgroei van 31% en voor het eerst een winstgevend kwartaal. "
     "Het volledige bericht staat op grendel.nl/investors", tags=["embargo-after", "published"],
     when="2026-10-29T08:00:00+01:00")
case("en", G_NL, "It's here 🛡️ Grendel Sentinel is live: dark-web monitoring for every GrendelPass account, at no "
     "extra cost. grendel.nl/sentinel", tags=["embargo-after"], when="2026-09-15T10:00:00+02:00")
case("en", BL, "Advisory GSA-2026-011 (CVE-2026-41873) is public now. Update the extension to 9.3.1. Big thanks to "
     "the researcher who reported it 🙏", tags=["embargo-after", "published"], when="2026-08-20T14:30:00+02:00")
case("nl", LD, "Eindelijk mag ik het zeggen: Grendel Sentinel is er 🎉 maanden aan gewerkt met het liefste team",
     tags=["embargo-after"], when="2026-09-16T12:22:40.318+02:00")
case("nl", pub("x", "@muiderslot_fan"), "Met de kids naar het Muiderslot geweest, de slotgracht was helemaal "
     "bevroren ❄️🏰", tags=["codename-word"], when="2026-01-24T15:40:02+01:00")
case("nl", pub("x", "@pendelaar_schiedam"), "De valbrug bij de Lange Haven staat alweer open, 20 minuten vast 🙄 "
     "#Schiedam", tags=["codename-word"])
case("en", G_MD, "TLP:CLEAR advisory GSA-2026-009: low-severity issue in the CLI's update check, fixed in 2.4.1. "
     "Details at grendel.nl/security/advisories", tags=["marker-near-miss", "published"])
case("nl", G_SUP, "We zien vertraging bij het synchroniseren van kluizen. Je gegevens zijn veilig; we houden je op "
     "de hoogte via status.grendel.nl.", tags=["official-notice"])
case("en", G_NL, "Scheduled maintenance Sunday 02:00–04:00 CET. The browser extension may ask you to log in again "
     "afterwards.", tags=["official-notice"])
case("nl", pub("x", "@burger_bea"), "Weer een datalek bij een gemeente, dit keer met tienduizenden BSN's. Blij dat "
     "mijn eigen spullen tenminste in een wachtwoordkluis staan", tags=["other-company"])
case("en", pub("x", "@migrated_mira"), "After the whole LastPass saga I moved to GrendelPass. Migration took 10 "
     "minutes, zero complaints so far.", tags=["negation", "competitor"])
case("nl", pub("linkedin", "vera-de-wit-recruitment", "Vera de Wit"), "Weer 12.000 ontslagen bij een Amerikaanse techreus. Brrr. Voor wie zoekt: "
     "Grendel heeft volgens mij nog vacatures voor developers", tags=["other-company"])
case("nl", pub("facebook", "joop.smeets.1", "Joop Smeets"), "Nooit problemen gehad met GrendelPass, draait hier al "
     "vier jaar zonder gedoe 👌", tags=["negation"])
case("en", pub("x", "@nightowl_noa"), "Asked Grendel support a dumb question about the Family plan at 11pm and got "
     "a friendly answer in ten minutes. Keep it up 💚", tags=["praise"])
case("nl", pub("reddit", "u/pinguin_pim"), "Weet iemand of GrendelPass Family ook fatsoenlijk werkt op Linux? "
     "Ubuntu 24.04 hier", tags=["question"])
case("en", pub("bluesky", "@lit.lover.bsky.social"), "Rereading Beowulf and honestly Grendel's mother had every "
     "right to be furious", tags=["fiction", "brand-other-sense"])
case("nl", pub("x", "@dm_dennis"), "In mijn D&D-campagne heet de schurk Grendel en hij steelt de wachtwoorden van "
     "de koning 😂 mijn spelers hebben een kluis gebouwd", tags=["fiction"])
case("en", pub("threads", "@sticky.sanne"), "my password manager is a sticky note under the keyboard and honestly "
     "the hackers respect the hustle 📝", tags=["joke"])
case("nl", pub("x", "@kleinzoon_koen"), "Het wachtwoord van mijn oma is de naam van de kat plus 1. Ik denk dat "
     "oma GrendelPass krijgt voor haar verjaardag 😅", tags=["joke"])
case("en", pub("x", "@quote_quirine"), "'Hell is other people' – Sartre. Hell is also other people's passwords on "
     "post-its 🙃", tags=["quote", "mild-word"])
case("nl", LD, "Vandaag liep team Grendel de Ladies Run voor KWF tegen kanker 💪🎀 trots op deze dames!",
     tags=["mild-word"])
case("en", pub("mastodon", "@arnie_fan@mastodon.social"), "Total Recall is still the best Arnie movie and I will not be taking "
     "questions. (yes my Netflix login lives in GrendelPass, no you can't have it)", tags=["other-sense"])
case("nl", pub("facebook", "voetbalvader.jan", "Jan"), "Die hele boycot-discussie rond het WK laat me koud, ik kijk gewoon ⚽",
     tags=["other-sense"])
case("en", pub("reddit", "u/vault_reviewer"), "1Password vs GrendelPass vs Bitwarden: honest comparison after six "
     "months of using all three 🧵", tags=["competitor"])
case("nl", pub("x", "@overstapper_olga"), "Bij mijn vorige wachtwoordmanager was er een datalek, daarom ben ik naar "
     "Grendel overgestapt. Tot nu toe top.", tags=["other-company"])
case("en", G_LI, "We're hiring 🚀 Senior SRE (Utrecht or remote NL). Help us keep millions of vaults online. Apply "
     "via grendel.nl/careers", tags=["ordinary"])
case("nl", G_YT, "Nieuwe video 🎥 passkeys instellen in GrendelPass in drie minuten. Link in de beschrijving!",
     tags=["ordinary"])
case("nl", MK, "Eerste week bij Grendel zit erop 🎉 leuke collega's, goeie koffie en ik heb al iets naar productie "
     "gepusht (klein hoor)", tags=["ordinary"])
case("en", JM, "slides from my talk on zero-knowledge sync are up on my blog, the demo repo is public too. thanks "
     "everyone who came by!", tags=["ordinary"])
case("en", pub("x", "@stocktaker_sid"), "box says EAN <<EAN>> if you want to check whether your local store has "
     "the Grendel Key in stock", tags=["ean"])
case("en", G_MD, "Bug bounty hall of fame for Q2 is up 🏆 14 researchers, €23.500 paid out. Thank you all for "
     "making GrendelPass safer!", tags=["published"], when="2026-07-08T10:00:00+02:00")
case("nl", pub("x", "@tipgever_tim"), "Tip: mail je vraag naar support@grendel.nl in plaats van hier te taggen, "
     "ging bij mij veel sneller 👍", tags=["own-contact"])
case("en", pub("reddit", "u/audit_anna"), "Is the Grendel browser extension open source? Would love to audit the "
     "autofill code myself", tags=["question"])
case("nl", PR, "Vandaag 200 testcases voor de nieuwe onboarding afgevinkt ✅ en geen enkele regressie. "
     "Vrijdagmiddagbiertje verdiend 🍺", tags=["ordinary"])
case("en", G_SUP, "Why does checkout reject some IBANs? We validate the checksum, so something like "
     "<<BADIBAN_DE>> fails when a single digit is off. Double-check and try again 🙂", tags=["bad-checksum"])
case("nl", pub("x", "@sneakerhead_sem"), "Die nieuwe Grendel-reclame is echt sick 🔥 wie heeft die gemaakt", tags=["slang"])


# ===========================================================================
# building
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


def severity_for(role, cats, pii_validated):
    insider = role in ("corporate", "employee")
    sev = "none"
    for c in cats:
        if c.startswith("leak."):
            if insider:
                s = "critical" if (c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and pii_validated)) \
                    else "error"
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
    start = dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc)
    end = dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc)
    return 2 if start <= t < end else 1


def random_when(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(3, 358))
    t = base + dt.timedelta(minutes=r.randint(6 * 60 + 30, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = ams_offset(t)
    t -= dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.88:
        return (t + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


B36 = string.digits + string.ascii_lowercase


def post_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_880_000_000_000_000_000, 2_000_000_000_000_000_000))
    if platform in ("x", "twitter"):
        return f"x-{snow}", f"https://x.com/{h}/status/{snow}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"ig-{snow}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}_{b}", f"https://www.facebook.com/{h}/posts/{b}"
    if platform == "reddit":
        sub = r.choice(["thenetherlands", "cybersecurity", "Passwords", "Netherlands"])
        p = "".join(r.choice(B36) for _ in range(7))
        if kind == "comment":
            c = "".join(r.choice(B36) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/{sub}/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/{sub}/comments/{p}/"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-beveiligingsforum-{n}", f"https://forum.beveiligingsforum.example/topic/{n}"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        v = "".join(r.choice(B64URL) for _ in range(11))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(112_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{inst}-{n}", f"https://{inst}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "threads":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/{sc}"
    return f"{platform}-{r.randint(10 ** 8, 10 ** 9)}", None


def build(profile):
    fac = Factory(SEED)
    mr = random.Random(SEED + 7)
    order = random.Random(SEED + 13)
    rows, seen = [], set()
    for c in CASES:
        text, used = fill(fac, c["text"])
        pid, url = post_id(mr, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        created = c["when"] or random_when(mr)
        role = role_of(profile, c["platform"], c["handle"])
        validated = "leak.pii" in c["cats"] and any(k in VALID_ID_KINDS for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and mr.random() < 0.65:
            kind = "post"
        if kind is not None:
            post["kind"] = kind
        acct = {"handle": c["handle"]}
        if c["name"] and mr.random() < 0.7:
            acct["display_name"] = c["name"]
        if mr.random() < 0.3:
            acct["id"] = str(mr.randint(10 ** 7, 10 ** 12))
        post["account"] = acct
        post["text"] = text
        x = mr.random()
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
        if url and mr.random() < 0.6:
            post["url"] = url
        if mr.random() < 0.45:
            post["brand"] = "grendel"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=set(c["tags"]), used=used))
    order.shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ===========================================================================
# independent checker
# ===========================================================================

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
NUM_RE = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
DOT_BSN = re.compile(r"(?<![\w.])\d{4}\.\d{2}\.\d{3}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-()]{7,16}\d")
CARD_IIN = re.compile(r"^(4|5[1-5]|2(22[1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)|3[47]|6011|65|35)")
SECRET_RES = {
    "github": re.compile(r"\bghp_[A-Za-z0-9]{36}\b"),
    "gitlab": re.compile(r"\bglpat-[A-Za-z0-9_-]{20}\b"),
    "npm": re.compile(r"\bnpm_[A-Za-z0-9]{36}\b"),
    "aws": re.compile(r"\bAKIA[A-Z2-7]{16}\b"),
    "slack": re.compile(r"\bxox[abprs]-[0-9A-Za-z-]{20,}"),
    "slack_hook": re.compile(r"hooks\.slack\.com/services/T\w+/B\w+/\w+"),
    "stripe": re.compile(r"\bsk_live_[A-Za-z0-9]{20,}"),
    "google": re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),
    "pem": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "jwt": re.compile(r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+"),
    "url_creds": re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s:/@]+:[^\s@/]+@"),
    "recovery": re.compile(r"\bGRDL(?:-[A-Z2-7]{6}){4}\b"),
}
PROFANITY = ["kut", "kanker", "tering", "tyfus", "klote", "klootzak", "godverdomme", "debiel", "mongool", "lijer",
             "fuck", "f*ck", "shit", "sh1t", "idiot", "moron", "scum", "clown", "cl0wn", "hell", "damn", "prutser"]
WHOLE_WORD = {"hell", "damn", "idiot", "clown", "scum", "kut"}
MILD_OK = {"hell", "damn", "kanker"}
AMOUNT_RE = re.compile(r"(?:€\s?|EUR\s?)(\d[\d.,]*)(?:,-)?|(\d[\d.,]*)(?:,-)?\s?(?:euro|euros|eur)\b", re.I)
ERROR_WORDS = ["prijsfout", "fout", "glitch", "error", "mistake", "vergissing", "slipped", "instead of", "per abuis",
               "hoort €", "rollback", "0.36"]


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVIS)
    t = "".join(" " if unicodedata.category(ch) == "So" else ch for ch in t)
    return re.sub(r"\s+", " ", t).casefold()


def squash(t):
    return re.sub(r"\b(\w) (?=\w\b)", r"\1", norm(t))


def ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def ibans_in(text):
    out = []
    for m in IBAN_RE.finditer(text):
        compact = m.group(0).replace(" ", "")
        for end in range(len(compact), 11, -1):
            if iban_valid(compact[:end]):
                out.append((compact[:end], True))
                break
        else:
            out.append((compact, False))
    return out


def bsn_shapes(text):
    out = re.findall(r"(?<![\w.,-])\d{8,9}(?![\w]|[.,-]\d)", text)
    return out + [m.group(0).replace(".", "") for m in DOT_BSN.finditer(text)]


def valid_ids(text, own):
    hits = [("iban", v) for v, ok in ibans_in(text) if ok and v not in own]
    for m in NUM_RE.finditer(text):
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19 and luhn_valid(d) and CARD_IIN.match(d):
            hits.append(("card", d))
    hits += [("bsn", d) for d in bsn_shapes(text) if len(d) == 9 and bsn_valid(d)]
    return hits


def phones_in(text):
    out = []
    for m in PHONE_RE.finditer(IBAN_RE.sub(" ", text)):
        raw = m.group(0)
        d = re.sub(r"\D", "", raw)
        if raw.startswith("+31") or raw.startswith("0031"):
            d = d[4:] if raw.startswith("0031") else d[2:]
            d = "0" + d.lstrip("0")
        out.append((raw, d))
    return out


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


def price_ratio(text, products):
    t = norm(text)
    hit = [p for p in products if any(a.casefold() in t for a in [p["name"]] + p["aliases"])]
    amounts = [parse_amount(m.group(1) or m.group(2)) for m in AMOUNT_RE.finditer(t)]
    if not hit or not amounts:
        return None
    return min(amounts) / min(p["list_price"] for p in hit)


def trigrams(text):
    w = re.findall(r"\w+", norm(text))
    return {tuple(w[i:i + 3]) for i in range(max(0, len(w) - 2))}


def check(lines, rows, profile):
    errors, notes, parsed = [], [], []
    own_ibans = {i.replace(" ", "") for i in profile["public_identifiers"]["ibans"]}
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_phones = {d for p in profile["public_identifiers"]["phones"] for _, d in phones_in(p)}
    embargo = [(t.casefold(), ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    codenames = [c.casefold() for c in profile["internal"]["codenames"]]
    markers = [m.casefold() for m in profile["internal"]["markers"]]
    idomains = [d.casefold() for d in profile["internal"]["domains"]]
    meta = {(r["post"]["platform"], r["post"]["id"]): r for r in rows}
    seen = set()
    for n, line in enumerate(lines, 1):
        w = f"line {n}"
        obj = json.loads(line)
        if set(obj) != {"post", "expect"}:
            errors.append(f"{w}: keys")
            continue
        p, ex = obj["post"], obj["expect"]
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                errors.append(f"{w}: {f} missing")
        if not isinstance(p.get("account", {}).get("handle"), str):
            errors.append(f"{w}: handle missing")
        if p["platform"] not in PLATFORMS:
            errors.append(f"{w}: platform {p['platform']}")
        if p.get("kind", "post") not in KINDS:
            errors.append(f"{w}: kind")
        if not 1 <= len(p["id"]) <= 256:
            errors.append(f"{w}: id length")
        if not RFC3339.match(p["created_at"]):
            errors.append(f"{w}: created_at {p['created_at']}")
            continue
        t = ts(p["created_at"])
        if t.astimezone(dt.timezone.utc).year != 2026:
            errors.append(f"{w}: not 2026")
        key = (p["platform"], p["id"])
        if key in seen:
            errors.append(f"{w}: duplicate id")
        seen.add(key)
        cats, sev = ex["categories"], ex["severity"]
        if cats != sorted(set(cats)) or any(c not in TAXONOMY or c == "reputation.spike" for c in cats):
            errors.append(f"{w}: bad categories {cats}")
            continue
        role = role_of(profile, p["platform"], p["account"]["handle"])
        text = p["text"]
        ids = valid_ids(text, own_ibans)
        want = severity_for(role, cats, "leak.pii" in cats and bool(ids))
        if sev != want:
            errors.append(f"{w}: severity {sev}, policy {want}")
        r = meta.get(key)
        tags = r["tags"] if r else set()
        parsed.append((n, p, cats, sev, role, r))
        for kind, raw, shown in (r["used"] if r else []):
            if shown not in text:
                errors.append(f"{w}: {kind} not in text")
            if kind.startswith("IBAN_") and not iban_valid(raw):
                errors.append(f"{w}: IBAN invalid")
            if kind.startswith("BADIBAN_") and iban_valid(raw):
                errors.append(f"{w}: bad IBAN is valid")
            if kind == "CARD" and not (luhn_valid(raw) and CARD_IIN.match(raw)):
                errors.append(f"{w}: card invalid")
            if kind == "BADCARD" and luhn_valid(raw):
                errors.append(f"{w}: bad card passes Luhn")
            if kind == "BSN" and not bsn_valid(raw):
                errors.append(f"{w}: BSN invalid")
            if kind == "NONBSN" and bsn_valid(raw):
                errors.append(f"{w}: non-BSN passes 11-proof")
            if kind == "GHP" and base62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errors.append(f"{w}: ghp checksum")
        if any(k in VALID_ID_KINDS for k, _, _ in (r["used"] if r else [])) and not ids:
            errors.append(f"{w}: generated identifier not found by scan")
        if ids and "leak.pii" not in cats:
            errors.append(f"{w}: valid identifier {ids} without leak.pii")
        if "leak.secret" in cats and not any(rx.search(text) for rx in SECRET_RES.values()):
            notes.append(f"{w}: leak.secret without a secret pattern")
        if not cats:
            if sev != "none":
                errors.append(f"{w}: benign not none")
            if ids:
                errors.append(f"{w}: benign with valid id {ids}")
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_emails:
                    errors.append(f"{w}: benign e-mail {e}")
            for raw, d in phones_in(text):
                if len(d) == 10 and d not in own_phones:
                    errors.append(f"{w}: benign phone {raw}")
            for name, rx in SECRET_RES.items():
                for m in rx.finditer(text):
                    if m.group(0) != "AKIAXXXXXXXXXXXXXXXX":
                        errors.append(f"{w}: benign secret-like {name}")
            low = norm(text)
            for word in PROFANITY:
                pat = r"\b" + re.escape(word) + (r"\b" if word in WHOLE_WORD else "")
                if re.search(pat, low):
                    ok = word in MILD_OK and tags & {"mild-word", "quote"}
                    (notes if ok else errors).append(f"{w}: benign word {word!r}")
            ratio = price_ratio(text, profile["products"])
            if ratio is not None and ratio < profile["pricing"]["alert_below_ratio"]:
                (notes if "price-context" in tags else errors).append(f"{w}: benign price ratio {ratio:.2f}")
        nt, sq = norm(text), squash(text)
        for term, until in embargo:
            if term in nt or term in sq:
                if t < until and "leak.confidential" not in cats:
                    errors.append(f"{w}: embargo term {term!r} before {until} unlabelled")
                if t >= until and "leak.confidential" in cats:
                    errors.append(f"{w}: embargo term after embargo labelled confidential")
        for term in codenames + markers:
            if re.search(r"(?<![\w.])" + re.escape(term) + r"(?![\w])", nt) or term in sq:
                if "leak.confidential" not in cats:
                    errors.append(f"{w}: internal term {term!r} unlabelled")
        for d in idomains:
            if d in nt and "leak.confidential" not in cats:
                errors.append(f"{w}: internal domain {d!r} unlabelled")
        if "leak.pricing" in cats:
            ratio = price_ratio(text, profile["products"])
            talk = any(x in sq for x in ERROR_WORDS)
            if not (ratio is not None and ratio < 0.5) and not talk:
                notes.append(f"{w}: leak.pricing without parsed low price or error talk")
    sh = [(n, trigrams(p["text"])) for n, p, *_ in parsed]
    for i in range(len(sh)):
        for j in range(i + 1, len(sh)):
            a, b = sh[i][1], sh[j][1]
            if a and b:
                jac = len(a & b) / len(a | b)
                if jac > 0.25:
                    (errors if jac > 0.5 else notes).append(f"lines {sh[i][0]}/{sh[j][0]} overlap {jac:.2f}")
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
            res = None
            if kind.startswith("IBAN_"):
                res = s_iban.is_valid(raw)
            elif kind.startswith("BADIBAN_"):
                res = not s_iban.is_valid(raw)
            elif kind == "CARD":
                res = s_luhn.is_valid(raw)
            elif kind in ("BADCARD", "EAN"):
                res = not s_luhn.is_valid(raw)
            elif kind == "BSN":
                res = s_bsn.is_valid(raw)
            elif kind == "NONBSN":
                res = not s_bsn.is_valid(raw.zfill(9))
            if res is not None:
                n += 1
                if not res:
                    bad.append(raw)
    return f"python-stdnum DISAGREES: {bad}" if bad else f"python-stdnum agrees on all {n} identifiers"


def report(parsed):
    total = len(parsed)
    cat, lang, role, sev, plat, catrole = Counter(), Counter(), Counter(), Counter(), Counter(), Counter()
    benign = multi = evasion = 0
    for n, p, cats, s, rl, r in parsed:
        lang[r["lang"]] += 1
        role[rl] += 1
        sev[s] += 1
        plat[p["platform"]] += 1
        if not cats:
            benign += 1
        if len(cats) > 1:
            multi += 1
        if "evasion" in r["tags"]:
            evasion += 1
        for c in cats:
            cat[c] += 1
            catrole[(c, rl)] += 1
    print(f"cases {total}  benign {benign}  positive {total - benign}  multi {multi}  evasion {evasion}")
    for c in TAXONOMY[:-1]:
        print(f"  {c:22s} {cat[c]:4d}   corp {catrole[(c, 'corporate')]:2d} emp {catrole[(c, 'employee')]:2d} "
              f"pub {catrole[(c, 'public')]:2d}")
    print("  benign                ", benign)
    print("lang", dict(lang), "role", dict(role))
    print("severity", {s: sev[s] for s in SEVERITIES})
    print("platforms", dict(plat.most_common()))


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
            print("  note: " + x)
    print(f"{len(errors)} error(s), {len(notes)} note(s)")
    for e in errors:
        print("  ERROR " + e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
