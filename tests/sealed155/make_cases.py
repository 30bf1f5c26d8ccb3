#!/usr/bin/env python3
"""Deterministic generator for the sealed postwatch evaluation set (cases.jsonl).

    python3 make_cases.py           # write cases.jsonl next to this file
    python3 make_cases.py --check   # regenerate in memory, compare, validate, print counts

Company: the fictional Dutch online pharmacy "Mediflora Apotheek B.V." (profile.yaml).
Texts are hand-written below. Identifiers and secrets come from placeholders such as
<<IBAN_NL>> filled by a seeded RNG: positives get checksum-VALID values, hard
negatives get values that FAIL their checksum. Secrets are random and fake, shaped
like real ones. Severity is computed from CONTRACT section 4, never typed by hand.
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

SEED = 155_2026
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
TAXONOMY = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]

ZW = "\u200b"     # zero-width space
SHY = "\u00ad"    # soft hyphen
CYR = str.maketrans({"a": "\u0430", "e": "\u0435", "o": "\u043e", "c": "\u0441", "p": "\u0440"})


def fullwidth(s):
    return "".join("\u3000" if ch == " " else chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in s)


def cyr(s):
    """Replace some Latin letters by Cyrillic look-alikes."""
    return s.translate(CYR)


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------

def iban_valid(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return int("".join(str(int(ch, 36)) for ch in s[4:] + s[:4])) % 97 == 1


def iban_build(cc, bban):
    n = int("".join(str(int(ch, 36)) for ch in bban + cc + "00"))
    return f"{cc}{98 - n % 97:02d}{bban}"


def luhn_valid(s):
    d = re.sub(r"\D", "", s)
    tot = 0
    for i, ch in enumerate(reversed(d)):
        v = int(ch)
        if i % 2:
            v = v * 2 - 9 if v > 4 else v * 2
        tot += v
    return bool(d) and tot % 10 == 0


def luhn_finish(prefix):
    return next(prefix + x for x in "0123456789" if luhn_valid(prefix + x))


def elfproef(s):
    d = re.sub(r"\D", "", s)
    if len(d) == 8:
        d = "0" + d
    if len(d) != 9:
        return False
    t = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return t != 0 and t % 11 == 0


def ean_valid(s):
    return len(s) == 13 and sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(s)) % 10 == 0


# ---------------------------------------------------------------------------
# seeded values
# ---------------------------------------------------------------------------

ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
OWN_IBAN = "NL67INGB0006543210"


def base62(n):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return s or "0"


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def d(self, n, nz=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def s(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    @staticmethod
    def g4(x):
        return " ".join(x[i:i + 4] for i in range(0, len(x), 4))

    def iban(self, cc):
        while True:
            if cc == "NL":
                v = iban_build("NL", self.r.choice(["RABO", "INGB", "ABNA", "SNSB", "ASNB", "BUNQ", "KNAB", "TRIO"])
                               + self.d(10, nz=True))
            elif cc == "BE":
                head = self.r.choice(["063", "310", "734", "001", "523"]) + self.d(7)
                v = iban_build("BE", f"{head}{(int(head) % 97) or 97:02d}")
            elif cc == "DE":
                v = iban_build("DE", self.r.choice(["50070010", "37050198", "12030000", "76050101"]) + self.d(10))
            else:
                raise ValueError(cc)
            if v != OWN_IBAN:
                return v

    def bad_iban(self, cc):
        v = self.iban(cc)
        for k in (7, 19, 31, 44, 58):
            c = f"{v[:2]}{(int(v[2:4]) + k) % 100:02d}{v[4:]}"
            if not iban_valid(c):
                return c
        raise AssertionError

    def card(self, brand):
        if brand == "visa":
            return luhn_finish("4" + self.d(14))
        if brand == "mc":
            return luhn_finish("5" + self.r.choice("12345") + self.d(13))
        if brand == "mc2":
            return luhn_finish(str(self.r.randint(2221, 2720)) + self.d(11))
        if brand == "amex":
            return luhn_finish(self.r.choice(["34", "37"]) + self.d(12))
        raise ValueError(brand)

    def bad_card(self, brand):
        v = self.card(brand)
        b = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_valid(b)
        return b

    @staticmethod
    def card_fmt(v, f):
        if f == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if f == "dash" else " ").join(parts)

    def bsn(self):
        while True:
            v = self.d(9, nz=True)
            if elfproef(v):
                return v

    def not_bsn(self, n):
        while True:
            v = self.d(n, nz=True)
            if not elfproef(v) and not luhn_valid(v):
                return v

    def ean(self):
        while True:
            body = "87" + self.d(10)
            v = next(body + x for x in "0123456789" if ean_valid(body + x))
            if not luhn_valid(v) and not elfproef(v):
                return v

    def phone(self, f):
        m = self.r.choice("12345") + self.d(7)          # 8 digits after "06"
        area = self.r.choice(["10", "13", "15", "20", "24", "26", "30", "35", "40", "43", "50", "58", "71", "73", "77"])
        sub = self.r.choice("2345789") + self.d(6)
        return {
            "mob_dash": f"06-{m}",
            "mob_plain": f"06{m}",
            "mob_intl": f"+31 6 {m[:4]} {m[4:]}",
            "mob_0031": f"0031 6{m}",
            "mob_pairs": f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}",
            "mob_dots": f"06.{m[:2]}.{m[2:4]}.{m[4:6]}.{m[6:]}",
            "mob_intl0": f"+31 (0)6 {m}",
            "land_dash": f"0{area}-{sub}",
            "land_sp": f"0{area} {sub[:3]} {sub[3:]}",
        }[f]

    # secrets
    def ghp(self):
        body = self.s(ALNUM, 30)
        return "ghp_" + body + base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def gh_pat(self):
        return "github_pat_11" + self.s(string.ascii_uppercase + string.digits, 20) + "_" + self.s(ALNUM, 59)

    def aws_id(self):
        return "AKIA" + self.s(B32, 16)

    def aws_secret(self):
        return self.s(B64, 40)

    def mollie(self):
        return "live_" + self.s(ALNUM, 30)

    def stripe(self):
        return "sk_live_51" + self.s(ALNUM, 96)

    def sendgrid(self):
        return "SG." + self.s(B64URL, 22) + "." + self.s(B64URL, 43)

    def slack(self):
        return f"xoxb-{self.d(12, True)}-{self.d(13, True)}-{self.s(ALNUM, 24)}"

    def gapi(self):
        return "AIzaSy" + self.s(B64URL, 33)

    def jwt(self):
        h = b64u(b'{"alg":"RS256","typ":"JWT","kid":"rx-1"}')
        iat = 1767225600 + self.r.randint(0, 320 * 86400)
        p = b64u(json.dumps({"sub": "pat_" + self.d(7, True), "scope": "recept:read", "iss": "app.mediflora.nl",
                             "iat": iat, "exp": iat + 1800}, separators=(",", ":")).encode())
        return f"{h}.{p}.{self.s(B64URL, 86)}"

    def pem(self):
        body = "MIIEowIBAAKCAQEA" + self.s(B64, 64 * 6 - 16)
        lines = [body[i:i + 64] for i in range(0, len(body), 64)] + [self.s(B64, 40) + "=="]
        return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"

    def pw(self):
        return (self.r.choice(string.ascii_uppercase) + self.s(string.ascii_lowercase, 4) + self.s(string.digits, 3)
                + self.r.choice("!#$%&*") + self.s(ALNUM, 4))

    def hexs(self, n):
        return self.s("0123456789abcdef", n)


VALID_ID = {"IBAN_NL", "IBAN_BE", "IBAN_DE", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(g, text):
    used = []

    def sub(m):
        k, f = m.group(1), m.group(2) or ""
        if k in ("IBAN_NL", "IBAN_BE", "IBAN_DE"):
            raw = g.iban(k[-2:])
            shown = g.g4(raw) if f == "grp" else raw
        elif k in ("BAD_IBAN_NL", "BAD_IBAN_DE"):
            raw = g.bad_iban(k[-2:])
            shown = g.g4(raw) if f == "grp" else raw
        elif k in ("CARD", "BAD_CARD"):
            brand, _, ff = f.partition("_")
            raw = g.card(brand) if k == "CARD" else g.bad_card(brand)
            shown = g.card_fmt(raw, ff or "sp")
        elif k == "BSN":
            raw = g.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if f == "dots" else (
                f"{raw[:3]} {raw[3:6]} {raw[6:]}" if f == "sp" else raw)
        elif k == "NOT_BSN":
            raw = shown = g.not_bsn(int(f or 9))
        elif k == "EAN":
            raw = shown = g.ean()
        elif k == "PHONE":
            raw = shown = g.phone(f)
        elif k == "DIG":
            raw = shown = g.d(int(f), nz=True)
        elif k == "HEX":
            raw = shown = g.hexs(int(f))
        else:
            fn = {"GHP": g.ghp, "GHPAT": g.gh_pat, "AWS_ID": g.aws_id, "AWS_SECRET": g.aws_secret,
                  "MOLLIE": g.mollie, "STRIPE": g.stripe, "SENDGRID": g.sendgrid, "SLACK": g.slack,
                  "GAPI": g.gapi, "JWT": g.jwt, "PEM": g.pem, "PW": g.pw}[k]
            raw = shown = fn()
        used.append((k, raw, shown))
        return shown

    return PH.sub(sub, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

# corporate
MF_X = ("x", "@mediflora_nl", "Mediflora")
MF_ZORG = ("x", "@mediflora_zorg", "Mediflora Klantenservice")
MF_IG = ("instagram", "@mediflora.apotheek", "Mediflora Apotheek")
MF_LI = ("linkedin", "mediflora-bv", "Mediflora Apotheek B.V.")
MF_FB = ("facebook", "MedifloraApotheek", "Mediflora Apotheek")
MF_TT = ("tiktok", "@mediflora", "Mediflora")
# employees
LOT = ("x", "@lotte_apotheker", "Lotte Mulder")                          # pharmacist, chat
RUB = ("linkedin", "ruben-de-wit-mediflora", "Ruben de Wit")             # platform engineering
YUS = ("x", "@yusuf_dc_venlo", "Yusuf Aydin")                            # distribution centre Venlo
ANO = ("linkedin", "anouk-verhoeven-fin", "Anouk Verhoeven")             # finance controller
BRM = ("x", "@bramcodeert", "Bram Kuipers")                              # app developer
IRS = ("mastodon", "@iris_w@mastodon.nl", "Iris Willems")                # security engineer
MRL = ("linkedin", "marloes-smit-klantcontact", "Marloes Smit")          # customer contact lead
FMK = ("instagram", "@femke.bezorgt", "Femke")                           # delivery courier
PIL = ("reddit", "u/pillenbouwer", None)                                 # backend dev (known alt)


def pub(platform, handle, name=None):
    return (platform, handle, name)


PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii",
                                        "leak.confidential", "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle=None):
    platform, h, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle or h, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", LOT, "Chat ontploft vanmiddag 😅 iedereen vraagt of de BloedDruk Pro echt €6,99 kost. Nee dus, "
     "normaal 69,95. Er is ergens een nul weggevallen in de prijslijst, wordt aan gewerkt", [PRICING])
case("en", BRM, "who approved that promo import 🫠 TandPro sonic is showing €8.90 in the app since 2pm. "
     "revert PR is up, needs one more review pls", [PRICING], kind="post")
case("nl", pub("x", "@kimberly_kortingjager"), "Omega-3 Visolie 180 caps voor €2,49 bij @mediflora_nl 😳😳 "
     "prijsfout?? heb er 6 in mn mandje gegooid #prijsfout #deal", [PRICING])
case("en", pub("reddit", "u/dutchdealhound"), "Mediflora has the FlashTherm forehead thermometer at €3.49 right now. "
     "Definitely a mistake. Does Dutch consumer law make them honour it or can they just cancel?",
     [PRICING], kind="post")
case("nl", pub("facebook", "wendy.jansen.1984", "Wendy Jansen"), "Meiden in deze groep!! De EHBO-koffer Gezin van "
     "Mediflora staat nu op €3,95 😱 normaal bijna 40 euro, volgens mij een foutje dus wees snel",
     [PRICING], kind="comment")
case("nl", MF_IG, "☀️ WEEKENDKNALLER ☀️\nZonnebrand SPF50 200 ml nu voor maar €4,99!\nAlleen za + zo, op=op 🧴 "
     "Link in bio #zomer #mediflora", [PRICING])
case("nl", YUS, "jongens er staat een v e r k e e r d e  p r i j s op de multivitamine compleet, €1,99 lol. "
     "orders stromen binnen hier in venlo, pickers draaien overuren", [PRICING], tags=["evasion", "ev:spaced"])
case("nl", pub("tiktok", "@noor.shopt"), "Vïtamine D3 365 vöor €0,99 bij Mediflöra?? prijsföutje 👀👀 "
     "snel bestellen voordat ze het zien #prijsfout #fyp", [PRICING], tags=["evasion", "ev:diacritics"])
case("nl", pub("forum", "DealDaan"), "[PRIJSFOUT] Mediflora TandPro elektrische tandenborstel € 19,-\n\n"
     "Adviesprijs is €89. Mijn bestelling is bevestigd, betaald met iDEAL. Eens kijken of ze gaan leveren of "
     "annuleren.", [PRICING])
case("en", ANO, "Internal recap for my finance colleagues who follow me here: the price glitch on the BloedDruk Pro "
     "(sold at €6.99 instead of €69.95 for about 5 hours) brought in roughly 1,400 orders. We're honouring "
     "them. Please keep this off public channels.", [PRICING])
case("nl", BRM, "Omega3 Visolie sinds 11:00 voor €2,49 live 🙃 ticket staat op jira.mediflora.nl/browse/SHOP-2291, "
     "fix mag pas na de release freeze", [PRICING, CONF], kind="post")
case("en", pub("bluesky", "@stackthosedeals.bsky.social"), f"price{ZW}glitch at Mediflora: Multi Compleet for "
     "€1.95 a tub, normally ~20. go go go", [PRICING], tags=["evasion", "ev:zero-width"])
case("nl", pub("x", "@sjors_zuinig"), "pr1jsf0ut bij mediflora, BP Pro bloeddrukmeter voor 7 euro 😂 mn opa is blij",
     [PRICING], tags=["evasion", "ev:leet"])

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", BRM, "note to future me: the renovate bot runs with <<GHP>> and it expires in March. "
     "set a calendar reminder this time 🙃", [SECRET])
case("nl", RUB, "Lessons learned deze week 🧵 Haal nooit je betaalprovider-key hard-coded in je mobile app. Dit "
     "vonden we terug in een oude build:\n\nMOLLIE_API_KEY=<<MOLLIE>>\n\nIs inmiddels ingetrokken, maar het blijft "
     "een goede reminder. #devsecops #lessonslearned", [SECRET])
case("nl", YUS, "wifi scanner in hal 3 doet t weer niet 🙄 ww van het magazijnnetwerk is <<PW>> als iemand van IT "
     "even wil kijken", [SECRET], kind="reply")
case("en", IRS, "ugh wrong window. please ignore 🙈\n\n<<PEM>>", [SECRET])
case("en", pub("reddit", "u/apk_picker"), "Decompiled the Mediflora Android app out of curiosity. They ship a Google "
     "API key in strings.xml: <<GAPI>>, and it doesn't look restricted at all lol", [SECRET], kind="comment")
case("nl", pub("forum", "scriptkiddo_nl"), "Kijk even in de javascript van de Mediflora checkout, daar staat gewoon "
     "een SendGrid key in: <<SENDGRID>>\nWie doet zoiets in 2026", [SECRET])
case("en", BRM, "anyone know why this times out from my laptop?\n\npsql postgres://rx_app:<<PW>>@db-rx-02.corp."
     "mediflora.local:5432/recepten\n\nworks fine from the jump host", [SECRET, CONF])
case("nl", MF_ZORG, "@sandra_v Kun je deze link eens proberen? Dan zie je direct de status van je recept: "
     "https://app.mediflora.nl/recept/status?token=<<JWT>>", [SECRET], kind="reply")
case("en", PIL, "Docker compose keeps ignoring my env file, what am I missing?\n\n```\nenvironment:\n"
     "  AWS_ACCESS_KEY_ID: <<AWS_ID>>\n  AWS_SECRET_ACCESS_KEY: <<AWS_SECRET>>\n  AWS_REGION: eu-west-1\n```",
     [SECRET], kind="post")
case("en", pub("blog", "bughunt.example", "Bug Hunt Notes"), "Write-up #14: while looking at a Dutch online "
     "pharmacy I found a Slack bot token hard-coded in a public JS bundle (<<SLACK>>). It belongs to Mediflora's "
     "delivery notifications workspace. Reported via their privacy@ address.", [SECRET])
case("nl", RUB, "Backup-NAS in het DC weer bereikbaar 💪 Inloggen met admin / p@ssw0rd: <<PW>> tot we SSO "
     "erop hebben", [SECRET], tags=["evasion", "ev:leet-keyword"])
case("en", PIL, "CI broke after I rotated stuff. The old fine-grained token was <<GHPAT>>, new one is in the vault. "
     "Is there a cache somewhere I'm missing?", [SECRET], kind="comment")

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", pub("x", "@ellen_vd_berg"), "@mediflora_zorg al 3 dagen geen reactie op mijn DM 😤 bel me gewoon op "
     "<<PHONE:mob_dash>>, het gaat om mijn insuline", [PII, COMPLAINT], kind="reply")
case("nl", pub("facebook", "gerrit.huisman.75", "Gerrit Huisman"), "Mijn herhaalrecept wordt elke keer afgekeurd "
     "bij Mediflora. Mijn BSN is toch echt <<BSN>>, dus wat doe ik fout?? Al 2x gebeld, niemand weet het",
     [PII, COMPLAINT])
case("nl", LOT, "Mevr. J. Hendriks (geb. 12-03-1958, Lindelaan 4 in Zeist) belt nu voor de 4e keer vandaag over "
     "haar insulinepennen. Iemand een idee hoe ik dit netjes afsluit? 😩", [PII])
case("en", MRL, "Small win for the team today 💙 We finally got the refund through for Mr P. de Graaf after 3 "
     "weeks, straight to <<IBAN_NL:grp>>. Persistence pays off!", [PII])
case("nl", MF_ZORG, "@henk_w Goed nieuws! We hebben het bedrag teruggestort op <<IBAN_NL>>. Binnen 2 werkdagen "
     "zou je het moeten zien 👍", [PII], kind="reply")
case("en", pub("reddit", "u/tiredoftheirapp"), "Mediflora charged my card twice for one order. Card is "
     "<<CARD:visa_sp>>, the support bot just keeps looping. How do I escalate this?", [PII, COMPLAINT])
case("nl", pub("instagram", "@mirjamvanmaanen"), "Jullie chat werkt al de hele dag niet. Stuur de bevestiging "
     "maar naar mirjam.vanmaanen@hotmail.com, ik wacht al sinds maandag", [PII, COMPLAINT], kind="comment")
case("nl", FMK, "Pakketje voor Kees Brouwer, Prinsengracht 12b in Haarlem, derde keer deze week niemand thuis "
     "🙄 morgen maar weer", [PII])
case("en", YUS, "Why do our picking lists print full patient names AND the bsn?? e.g. <<BSN:dots>> for a "
     "Mr. Visser on the top sheet today. This can't be right", [PII])
case("en", pub("x", "@sanne_p_89"), "mediflora lost my order AGAIN. DM me or mail sanne.pieters (at) ziggo "
     "(dot) nl if you actually want to fix it", [PII, COMPLAINT], tags=["evasion", "ev:email-words"])
case("nl", pub("forum", "waarheidzoeker71"), "Die apotheker die mij afwimpelde in de Mediflora chat heet Lotte "
     "Mulder en woont op de Kerkstraat 8 in Houten. Ga haar maar eens lekker lastigvallen, die trut",
     [PII, ABUSE])
case("nl", pub("x", "@jeroen_antwerpen"), "@mediflora_zorg mijn rekeningnummer is <<IBAN_BE:grp>>, wanneer krijg ik "
     "mijn geld nu eindelijk terug? retour is al 3 weken binnen", [PII, COMPLAINT], kind="reply")
case("nl", ANO, "Wie helpt? De factuur van onze freelance apotheker dr. M. Schulz komt telkens retour. Zijn IBAN "
     "is <<IBAN_DE>>, klopt dat formaat wel voor een Duitse rekening?", [PII])
case("en", pub("tiktok", "@jadeee.xo"), "storytime: the Mediflora pharmacist asked for ID so I just typed my "
     "passport number NW7K2LP84 into the chat 💀 is that normal??", [PII])
case("nl", MF_FB, "🎉 En de winnaar van onze zomer-giveaway is... Ellen Vos! Ellen, stuur je adres even naar "
     "ellenvos88@hotmail.com of reageer hieronder, dan komt je pakket eraan 💚", [PII])
case("en", PIL, "Is it just me or are there real customer cards in the staging payment logs? Just saw "
     "<<CARD:mc_c>> with a name attached. Raising it with security tomorrow", [PII], kind="post")
case("en", pub("x", "@marco_rdam"), "@mediflora_nl your courier left my meds at number 41 instead of 14. call me "
     "on <<PHONE:mob_intl>> because nobody picks up your line", [PII, COMPLAINT], kind="reply")

# ===========================================================================
# leak.confidential
# ===========================================================================
case("nl", RUB, "Trots op het team dat afgelopen sprint de eerste versie van Project Valeriaan heeft opgeleverd 🌿 "
     "Meer mag ik er nog niet over vertellen, maar het wordt groot. #teamwork", [CONF])
case("en", BRM, "is wiki.mediflora.nl/display/RX/Koelketen down for everyone or just me? need the cold chain "
     "checklist before tomorrow", [CONF])
case("nl", YUS, "Operatie Goudsbloem begint maandag hier in Venlo, alle orderpickers krijgen nieuwe handscanners "
     "en de helft van de stellingen gaat eruit 😬", [CONF])
case("en", pub("reddit", "u/lurkingpharmatech"), "Someone in a Discord I'm in posted slides marked 'Mediflora "
     "internal only' about something called Nachtpauw. Looks like they're planning same-day delivery with "
     "lockers at train stations?", [CONF], kind="post")
case("en", ANO, "Can't wait to present our H1 2026 results next week. Proud of what this team pulled off 🚀",
     [CONF], when="2026-08-19T18:42:10+02:00")
case("nl", LOT, "Binnenkort kun je via Mediflora Care+ elke maand een medicatiecheck met mij inplannen 😍 "
     "Ik ben zo benieuwd wat jullie ervan vinden!", [CONF], when="2026-09-12T20:05:00+02:00")
case("nl", pub("instagram", "@lotte_apotheker"), "Sneak peek: de VitaScan thuistest voor vitaminetekorten 🤫 "
     "ik heb hem al mogen proberen, echt super handig", [CONF], when="2026-09-20T11:30:00+02:00",
     tags=["not-in-profile"])
case("nl", MRL, "Vandaag met mijn team de nieuwe belscripts voor de retourregeling doorgenomen. Staat "
     "'strikt vertrouwelijk' bovenaan maar eerlijk, het is gewoon een mooi stuk werk 🙂", [CONF])
case("en", IRS, "staging of rxadmin.mediflora.nl finally runs on the new cluster. only took 3 weekends 😮‍💨",
     [CONF])
case("en", BRM, "demo day tomorrow! we're showing Project\nValeriaan to the board, fingers crossed nothing crashes "
     "🤞", [CONF], tags=["evasion", "ev:linebreak"])
case("nl", FMK, "Nieuwe bezorgroutes vanaf volgende maand door Operatie 🌼 Goudsbloem, wij koeriers krijgen "
     "allemaal een e-bike 🚲", [CONF], tags=["evasion", "ev:emoji-inside"])
case("nl", pub("forum", "insider_info"), "Weet iemand meer over " + cyr("Nachtpauw") + "? Schijnbaar het nieuwe "
     "project van Mediflora voor een symptoomchecker met AI", [CONF], tags=["evasion", "ev:homoglyph"])
case("nl", MF_X, "Om 9 uur gaat het los 🎉 Mediflora Care+ is er bijna, zet je wekker!", [CONF],
     when="2026-10-01T08:59:00+02:00", tags=["embargo-edge"])
case("nl", ANO, "Voorbereiding jaarcijfers 2026 is in volle gang. Als het zo doorgaat komen we uit rond €212 mln "
     "omzet, 18% groei 📈", [CONF, FIN], when="2026-12-03T21:14:00+01:00")

# ===========================================================================
# leak.financial
# ===========================================================================
case("en", ANO, "Between us: Q3 is tracking about 12% under plan and the board meets Thursday. "
     "Gonna be a long week ☕☕", [FIN])
case("nl", YUS, "gerucht klopt gewoon. DC Venlo gaat in het voorjaar dicht, zo'n 60 man op straat. officieel "
     "horen we het pas in november 😞", [FIN])
case("nl", RUB, "Mag nog niks zeggen maar de overname door Zorggroep Brabantia is rond 🤐 Volgende maand "
     "hoort iedereen het", [FIN])
case("nl", MRL, "Zwaar weekje. De reorganisatie bij klantcontact betekent dat 1 op de 3 plekken verdwijnt en de "
     "chat grotendeels naar een bot gaat. Ik moet het mijn team volgende week vertellen.", [FIN])
case("en", pub("reddit", "u/amsterdam_anon"), "Friend who works at Mediflora says they're about to be bought by "
     "PharmaNord Holding, announcement after the summer. Anyone heard the same?", [FIN], kind="comment")
case("en", PIL, "all-hands today: revenue guidance for this year gets cut, they're telling the market in two "
     "weeks. so that's fun", [FIN], kind="post")
case("nl", LOT, f"Er vallen ont{SHY}slagen bij de apotheek-chat, 8 van de 20 apothekers moeten weg voor de zomer. "
     "Nog niks officieel, maar ik weet het van mijn manager", [FIN], tags=["evasion", "ev:soft-hyphen"])
case("nl", pub("x", "@nieuwsgierig_nl"), "Mediflora zit in de problemen hoor. Zwager werkt op hun finance: ze "
     "halen hun omzetdoel bij lange na niet en de bank wil om tafel", [FIN])
case("en", LOT, "Heads up fellow pharmacists: Mediflora is freezing all hiring and cutting chat hours from January. "
     "Not announced yet, so maybe hold off on that application", [FIN])
case("en", IRS, fullwidth("layoffs") + " coming in IT, roughly 20% of the team. HR briefed the managers this "
     "morning", [FIN], tags=["evasion", "ev:fullwidth"])
case("nl", ANO, "Forecast voor Q4 bijgesteld: EBITDA komt waarschijnlijk €3 mln lager uit door de hogere "
     "inkoopprijzen bij de groothandel. Wordt pas in maart gecommuniceerd.", [FIN])

# ===========================================================================
# leak.security
# ===========================================================================
case("en", IRS, "great night 🙃 someone has been scraping patient records through an old API endpoint on the rx "
     "portal since Sunday. comms says no statement until we know the scope", [SEC])
case("nl", RUB, "Ransomware op de warehouse servers vannacht, orders liggen stil. Is nog niet naar buiten "
     "gebracht, dus even geduld met jullie bezorging de komende dagen", [SEC])
case("en", BRM, "pro tip: on the Mediflora prescription page you can just change the id in the url and see "
     "someone else's recept. reported it 3 weeks ago, still open 🙃", [SEC])
case("nl", YUS, "scanners en WMS liggen er sinds 6u uit, we pakken alles met de hand. klanten weten nog van niks "
     "😬", [SEC])
case("nl", MRL, "Onze chatomgeving is gehackt, klanten krijgen phishinglinks via de apotheker-chat. We mogen er "
     "nog niks over zeggen tot legal akkoord geeft.", [SEC])
case("en", pub("reddit", "u/angry_about_privacy"), "Mediflora is covering up a data breach. My prescription "
     "history showed up on a paste site last week and their support denies anything happened.", [SEC, CRISIS],
     kind="post")
case("nl", pub("x", "@privacy_waakhond"), "Mediflora houdt een " + cyr("datalek") + " stil!! BSN's en recepten "
     "liggen op straat en ze zeggen NIKS. #datalek", [SEC, CRISIS], tags=["evasion", "ev:homoglyph"])
case("nl", LOT, "i n b r a a k op ons apotheeksysteem vannacht, recepten van gisteren zijn mogelijk ingezien. "
     "officiële mail komt later", [SEC], tags=["evasion", "ev:spaced"])
case("en", PIL, "there's a bug in our checkout that lets you skip the prescription check for Rx-only meds. "
     "fix isn't planned before next sprint 🤷", [SEC], kind="comment")
case("nl", FMK, "bezorgapp ligt al de hele dag plat en de scanner stuurt adressen naar de verkeerde koerier. "
     "we mogen het niet zeggen tegen klanten 🙊", [SEC])
case("en", RUB, "we got pwn3d 🤦 the sftp to the wholesaler was reachable with default creds. not public yet, "
     "postmortem friday", [SEC], tags=["evasion", "ev:leet"])
case("nl", pub("forum", "eerlijkheidsfan"), "Kennis van me werkt bij de IT van Mediflora. Ze zijn al weken "
     "gehackt en verzwijgen het gewoon voor hun klanten.", [SEC, CRISIS])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@dochter_van_henk"), "@mediflora_zorg jullie hebben mijn vader de bloedverdunners van iemand "
     "anders gestuurd. Hij heeft er al twee ingenomen. Dit is levensgevaarlijk, waarom neemt niemand op?!",
     [CRISIS, COMPLAINT], kind="reply")
case("en", pub("reddit", "u/legaleagle_nl"), "There's now a class action being prepared against Mediflora over "
     "the vitamin D tablets that were 10x overdosed. Several kids ended up in hospital.", [CRISIS], kind="post")
case("nl", pub("x", "@zorgjournalist"), "Terugroepactie: Mediflora haalt een batch Vitamine D3 365 uit de "
     "verkoop, tabletten bevatten te veel vitamine D. Controleer je lotnummer.", [CRISIS])
case("en", pub("x", "@t1d_tess"), "my insulin from @mediflora_nl arrived at 31°C in a plain cardboard box, "
     "no cooling at all. that's genuinely dangerous, I can't use any of it", [CRISIS, COMPLAINT])
case("nl", pub("tiktok", "@vera.vertelt"), "Verkoopt Mediflora nep-Ozempic?? Mijn buurvrouw ligt in het "
     "ziekenhuis na hun 'afslankpen' 😰 #mediflora #ozempic", [CRISIS])
case("nl", pub("forum", "zorgwatch"), "De Inspectie onderzoekt Mediflora na een dodelijk incident met verkeerd "
     "afgeleverde medicatie. Hoe kan dit bij een 'apotheek'?", [CRISIS])
case("en", pub("x", "@marieke_codes"), "Got an email from a complete stranger quoting my Mediflora order "
     "history. You leaked my data, @mediflora_nl. Explain.", [CRISIS])
case("nl", pub("instagram", "@apothekersassistent_anoniem"), "b o y c o t t  #mediflora, ze laten "
     "apothekersassistenten 12 uur diensten draaien zonder pauze", [CRISIS], tags=["evasion", "ev:spaced"])
case("en", pub("mastodon", "@hannah@mastodon.social"), "Mediflora's pharmacist chat told my mum her new pills "
     "were fine with her heart meds. They weren't. She spent the night in the ER.", [CRISIS, COMPLAINT])
case("nl", pub("x", "@kritischeklant"), "m3d1fl0r4 sch4nd44l: verlopen antibiotica verstuurd naar "
     "honderden klanten en ze doen alsof er niks aan de hand is", [CRISIS], tags=["evasion", "ev:leet"])
case("en", pub("youtube", "@consumentenbond_fan"), "Why is no one talking about Mediflora selling customer data "
     "to health insurers?? #boycottmediflora", [CRISIS], kind="comment")
case("nl", pub("threads", "@klokkenluider.nl"), "Rechtszaak tegen Mediflora: apotheker ontslagen nadat ze "
     "aan de bel trok over de koelketen. Schandalig.", [CRISIS])
case("en", pub("linkedin", "dr-pieter-smeets-consultant", "Pieter Smeets"), "The Mediflora Omega-3 recall "
     "(rancid capsules, several hospital admissions) is a textbook example of what happens when quality control "
     "is outsourced.", [CRISIS])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@dirk_amersfoort"), "@mediflora_zorg besteld op maandag, nu vrijdag en nog steeds niks. "
     "'Morgen in huis' staat er. Welke morgen bedoelen jullie?", [COMPLAINT], kind="reply")
case("en", pub("x", "@lisa_in_utrecht"), "waited 55 min in the Mediflora pharmacist chat just to be told "
     "to call my GP. why does the chat even exist", [COMPLAINT])
case("nl", pub("x", "@oma_truus"), "De bezorger van Mediflora zet mijn medicijnen gewoon bij de buren neer, "
     "zonder briefje. Vind ik echt niet oké met medicatie", [COMPLAINT])
case("en", pub("reddit", "u/bp_meds_waiting"), "Order from Mediflora arrived with 2 of my 3 meds. Customer service "
     "says wait 5 working days for the blood pressure one?! I can't just skip it", [COMPLAINT], kind="post")
case("nl", pub("x", "@petravanbeek"), "Herhaalrecept aanvragen in de Mediflora app lukt al 3 dagen niet, "
     "steeds een foutmelding. Moet ik nu echt gaan bellen?", [COMPLAINT])
case("nl", pub("trustpilot", "Hanneke K."), "1 ster. Bestelling zonder uitleg geannuleerd, geld pas na 10 dagen "
     "terug en de klantenservice reageert met standaardzinnetjes. Nooit meer Mediflora.", [COMPLAINT],
     tags=["unknown-platform"])
case("en", pub("x", "@nurse_jolien"), "the FlashTherm I got from Mediflora died after two weeks. reads 34.1 "
     "on everyone in the house, including my feverish kid", [COMPLAINT])
case("nl", pub("instagram", "@fatima.b_"), "Kreeg ineens een ander merk omeprazol van Mediflora dan normaal "
     "en niemand die het even uitlegt. Beetje communicatie graag", [COMPLAINT], kind="comment")
case("en", pub("youtube", "@gran_tech_reviews"), "their app logs me out every single time I open my prescriptions. "
     "one star, do better Mediflora", [COMPLAINT], kind="comment")
case("nl", pub("x", "@ricky_010"), "wtf mediflora al 2x me pakketje kwijt 🙄🙄 #klantonvriendelijk", [COMPLAINT])
case("nl", pub("x", "@bettie_b"), "Wachtwoord vergeten bij Mediflora en de resetmail komt gewoon nooit aan. "
     "Al drie keer geprobeerd, ook in de spam gekeken", [COMPLAINT])
case("nl", pub("x", "@adhd_anouk"), "Kutbedrijf. Drie weken wachten op mijn ADHD-medicatie bij Mediflora en "
     "niemand die iets weet", [COMPLAINT, ABUSE])
case("nl", pub("threads", "@moeder_van_drie"), f"De klan{ZW}tenservice van Mediflora reageert gewoon niet meer. "
     "Al 5 mails gestuurd over mijn kapotte TandPro.", [COMPLAINT], tags=["evasion", "ev:zero-width"])
case("en", pub("bluesky", "@pharmafrustrated.bsky.social"), "mediflora's 'same-day delivery' has been next-week "
     "delivery three times in a row now. just stop advertising it", [COMPLAINT])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@boze_bert"), "die apothekers van Mediflora zijn stuk voor stuk debielen, echt waar", [ABUSE])
case("en", pub("x", "@rxrage"), "Mediflora's chat pharmacist is a f*cking moron", [ABUSE],
     tags=["evasion", "ev:masked"])
case("nl", pub("instagram", "@echte_nederlander_1"), "Wat moet zo'n hoofddoek achter de chat bij Mediflora. "
     "Ga terug naar je eigen land", [ABUSE], kind="comment")
case("nl", YUS, "sommige klanten zijn echt tyfuslijers, bellen 8 keer over 1 doosje vitamine c", [ABUSE])
case("en", MF_ZORG, "@karen_xx maybe read the leaflet before you start yelling at us, genius. "
     "not our fault you can't read", [ABUSE], kind="reply")
case("en", pub("reddit", "u/throwaway_rage22"), "Lotte from the Mediflora chat refused my refill. Everyone go "
     "spam her, stupid cow", [ABUSE], kind="comment")
case("nl", pub("tiktok", "@jaydenxx"), "k4nker bedrijf mediflora, stelletje oplichters", [ABUSE],
     tags=["evasion", "ev:leet"])
case("en", pub("x", "@noisy_neighbour"), "sh1t company, sh1t people @mediflora_nl", [ABUSE],
     tags=["evasion", "ev:leet"])
case("nl", pub("forum", "opgefokt"), "k l o o t z a k k e n van mediflora, ik hoop dat jullie failliet gaan",
     [ABUSE], tags=["evasion", "ev:spaced"])
case("en", LOT, "to the idiot who left us 1 star because we wouldn't sell you 10 packs of paracetamol at once: "
     "grow up", [ABUSE])

# ===========================================================================
# benign (hard negatives and ordinary posts)
# ===========================================================================
# own contact data
case("nl", MF_ZORG, "@gijs_t Bel ons gerust op 030 799 4410 of gratis via 0800-6334, dan kijkt een apotheker "
     "direct met je mee 💚", kind="reply", tags=["hn:own-contact"])
case("nl", pub("x", "@tonnie_h"), "Net +31307994410 gebeld over mijn herhaalrecept, binnen 2 minuten geholpen. "
     "Top @mediflora_zorg 👏", tags=["hn:own-contact"])
case("nl", MF_FB, "Liever per overschrijving betalen? Dat kan naar NL67 INGB 0006 5432 10 t.n.v. Mediflora "
     "Apotheek B.V. Vermeld altijd je bestelnummer.", tags=["hn:own-contact", "hn:own-iban"])
case("en", MF_X, "Questions about your medication? Our pharmacists are on apotheker@mediflora.nl every day "
     "from 8 to 22 🧑‍⚕️", tags=["hn:own-contact"])
case("en", MF_LI, "We're hiring pharmacists and pharmacy assistants in Utrecht and Venlo! Send your CV to "
     "werkenbij@mediflora.nl #vacature #pharmacy", tags=["hn:own-contact"])
# checksum failures, order numbers, tracking
case("nl", pub("x", "@linda_bakt"), "Bank zegt dat IBAN <<BAD_IBAN_NL:grp>> niet bestaat. Heb ik het verkeerd "
     "overgetypt van de Mediflora factuur? Even opnieuw checken", tags=["hn:bad-iban"])
case("en", pub("reddit", "u/checkout_nerd"), "typo'd my card number (<<BAD_CARD:visa_sp>>) at the Mediflora "
     "checkout and it got flagged instantly before I even hit pay. nice validation tbh", kind="comment",
     tags=["hn:bad-card"])
case("nl", pub("x", "@bas_w"), "Bestelling <<NOT_BSN:9>> van Mediflora al binnen, 1 dag na bestellen 🙌 "
     "track & trace 3SMDFL<<DIG:7>>", tags=["hn:order-number"])
case("nl", pub("forum", "vitamientje"), "Welke EAN heeft die vitamine K2 van Mediflora? Ik heb <<EAN>> maar de "
     "scanner-app vindt niks", tags=["hn:ean"])
case("nl", MF_LI, "Mediflora Apotheek B.V. · KvK <<NOT_BSN:8>> · Erkend internetapotheek, geregistreerd bij "
     "de IGJ. Benieuwd naar ons verhaal? Volg onze pagina!", tags=["hn:kvk"])
case("en", pub("x", "@ruudje_r"), "Mediflora says my patient number is <<NOT_BSN:9>> but the app shows "
     "something else. Oh wait, that's my order number. Never mind 🤦", tags=["hn:order-number"])
case("nl", pub("instagram", "@bsn_vergeten"), "Formulier vroeg om mijn BSN, ik vulde per ongeluk <<NOT_BSN:9>> "
     "in en het werd meteen afgekeurd. Gelukkig controleren ze dat 😅", tags=["hn:bad-bsn"])
# prices that are not leaks
case("nl", MF_X, "Deze week 25% korting op Vitamine D3 365: van €14,99 voor €11,24 🌞 Ideaal voor de donkere "
     "maanden.", tags=["hn:sale"])
case("nl", MF_IG, "2e halve prijs op alle Omega-3 Visolie 🐟 Stock up voor de winter! #deal", tags=["hn:sale"])
case("nl", pub("x", "@zuinige_zoe"), "Met code ZOMER5 krijg je €5 korting op de BloedDruk Pro bij Mediflora, "
     "voor wie er nog een zocht", tags=["hn:discount-amount"])
case("nl", pub("facebook", "marktplaats.fan", "Jan Veenstra"), "Te koop: Mediflora BloedDruk Pro, 1x gebruikt, "
     "€25 ophalen in Zwolle", tags=["hn:second-hand"])
case("nl", pub("x", "@spaarmuts"), "Bij PillenExpress kost hun eigen vitamine D maar €2,99, best goedkoop "
     "eigenlijk", tags=["hn:competitor"])
case("nl", MF_ZORG, "@jasper_m Nee hoor, geen prijsfout! De FlashTherm is deze week echt in de aanbieding voor "
     "€24,95 🌡️", kind="reply", tags=["hn:denied-error"])
case("en", pub("x", "@minimalist_mo"), "replacement heads for the TandPro are €4.99 each at Mediflora, not bad "
     "compared to the big brands", tags=["hn:accessory"])
case("en", MF_TT, "POV: you finally buy the EHBO-koffer Gezin (€39,95) before the summer holidays 🩹🧳 "
     "#firstaid", tags=["hn:list-price"])
# embargo after the moment
case("nl", MF_X, "Het is zover 🎉 Mediflora Care+ is live! Elke maand een medicatiecheck met je eigen "
     "apotheker. Kijk op mediflora.nl/careplus", when="2026-10-01T09:00:00+02:00", tags=["hn:embargo-after"])
case("en", MF_LI, "Our H1 2026 results are out: revenue up 9%, and 1.2 million prescriptions delivered. "
     "Thank you to every colleague who made this happen.", when="2026-08-27T06:00:00Z",
     tags=["hn:embargo-after"])
case("nl", pub("x", "@retailnieuws"), "Mediflora presenteert halfjaarresultaten 2026: omzet +9%, winst licht "
     "gedaald door investeringen in bezorging.", when="2026-08-27T10:15:22.481Z", tags=["hn:embargo-after"])
case("nl", pub("instagram", "@gezond_met_grace"), "Net de VitaScan thuistest gedaan die sinds vorige week te koop "
     "is. Uitslag binnen 2 dagen, handig!", when="2026-10-14T19:02:00+02:00", tags=["hn:embargo-after"])
# herb and moth names, not codenames
case("nl", pub("x", "@slapeloze_sien"), "Valeriaan druppels van Mediflora helpen mij echt om in slaap te komen 😴",
     tags=["hn:herb"])
case("nl", pub("instagram", "@huidhelden"), "Goudsbloemzalf op mijn droge handen en binnen een week verschil. "
     "Besteld bij Mediflora", tags=["hn:herb"])
case("nl", pub("mastodon", "@vlinderteller@natuur.social"), "Kleine nachtpauwoog gespot in de heide bij Venlo! "
     "Eerste van het seizoen 🦋", tags=["hn:moth"])
case("en", pub("x", "@herbal_hanna"), "does anyone know if valerian root (valeriaan in Dutch) interacts with "
     "antidepressants? asking the Mediflora pharmacist chat tomorrow", tags=["hn:herb"])
# published results, other companies
case("nl", MF_LI, "Onze jaarcijfers 2025 staan online: €164 mln omzet en ruim 2 miljoen bezorgde pakketten. "
     "Dank aan alle collega's!", tags=["hn:published"])
case("nl", pub("x", "@zorgnieuws"), "Bij PillenExpress vallen 200 ontslagen na de overname door een Duitse keten",
     tags=["hn:other-company"])
case("en", pub("x", "@infosec_dutch"), "Data breach at Apotheek Noorderlicht: customer emails and order history "
     "exposed. If you're a customer there, change your password.", tags=["hn:other-company"])
case("nl", pub("x", "@noorderlicht_fan"), "Noorderlicht Apotheek roept hun zonnebrand terug, gelukkig gebruik ik die "
     "van Mediflora", tags=["hn:other-company"])
# other senses
case("en", pub("x", "@forgetful_fred"), "I can't recall the name of the eye drops I bought last year. Can the "
     "Mediflora chat look it up from my order history?", tags=["hn:other-sense"])
case("nl", pub("x", "@kattenmens"), "Mijn kat boycot elk nieuw voer, maar de vitaminepasta van Mediflora eet ze "
     "gewoon op 😹", tags=["hn:other-sense"])
case("nl", MF_TT, "Slaap-hack van onze apotheker: geen schermen een uur voor bedtijd 📵😴 #slaaptips",
     tags=["hn:other-sense"])
case("en", pub("x", "@jokes_by_joost"), "The only scandal at Mediflora is how fast my order arrived 😂",
     tags=["hn:joke"])
# negated complaints, praise, questions
case("nl", pub("x", "@tevreden_toos"), "Geen klachten over Mediflora hoor, al twee jaar elke maand netjes "
     "op tijd", tags=["hn:negated"])
case("en", pub("x", "@sophie_runs"), "The pharmacist in the Mediflora chat really took her time with me today. "
     "Thank you @mediflora_zorg 💚", tags=["hn:praise"])
case("nl", pub("reddit", "u/hondenbaasje"), "Kan ik bij Mediflora ook medicijnen voor mijn hond bestellen, of "
     "moet dat via de dierenarts?", kind="post", tags=["hn:question"])
case("nl", pub("facebook", "mantelzorger.marian", "Marian"), "Mijn moeder heeft kanker en de medicatie voor de "
     "misselijkheid komt via Mediflora altijd netjes op tijd. Fijn dat dat in ieder geval goed geregeld is.",
     tags=["hn:literal-word"])
case("en", pub("x", "@quote_queen"), "\"What the hell is going on?\" - me at 7:59 waiting for the Mediflora chat to "
     "open at 8 lol", tags=["hn:quote", "hn:mild-word"])
case("en", pub("reddit", "u/fiction_writer_ams"), "In my novel the villain is a pharmacist who poisons people by "
     "mail order. No, it's not based on Mediflora, calm down 😅", kind="comment", tags=["hn:fiction"])
# corporate notices and ordinary posts
case("nl", MF_ZORG, "Gepland onderhoud: de Mediflora app is vannacht tussen 23:00 en 01:00 niet bereikbaar. "
     "Spoedvragen? Bel 0800-6334.", tags=["hn:official-notice", "hn:own-contact"])
case("en", MF_X, "Update: the login issue in our app has been fixed. Sorry for the trouble this afternoon, and "
     "thanks for your patience 🙏", tags=["hn:official-notice"])
case("en", RUB, "Proud that our team passed the ISO 27001 recertification audit this week 🎉 Security is a team "
     "sport.", tags=["hn:ordinary"])
case("en", BRM, "giving a talk on the OWASP top 10 for mobile apps at the Utrecht meetup next thursday, come say hi",
     tags=["hn:ordinary"])
case("en", BRM, "deployed <<HEX:40>> to the app stores today, release notes at mediflora.nl/app 🚀",
     tags=["hn:git-sha"])
case("en", RUB, "Reminder for devs: GitHub tokens start with ghp_ so secret scanning can catch them. Use it!",
     tags=["hn:bare-prefix"])
case("nl", RUB, "In onze docs gebruiken we altijd AKIAXXXXXXXXXXXXXXXX als voorbeeld-key, nooit een echte. "
     "Scheelt een hoop gedoe.", tags=["hn:placeholder"])
case("nl", MF_FB, "Tip: gebruik een wachtwoordmanager, ook voor je Mediflora account. Deel je wachtwoord nooit, "
     "ook niet met onze medewerkers.", tags=["hn:security-tip"])
case("en", MRL, "Our customer contact team answered 98% of chats within 2 minutes last month. So proud of these "
     "people 💙", tags=["hn:ordinary"])
case("nl", pub("x", "@dagelijksedeal"), "Zie ik nou dat Mediflora gewoon mediflora.nl/zomer heeft met "
     "10% op alle zonnebrand? Nice", tags=["hn:public-domain"])
case("nl", pub("x", "@mediflora_nl_fan"), "Bij Mediflora is het altijd een feestje als mijn vitamines binnenkomen 🎊",
     tags=["hn:lookalike-handle"])
case("en", pub("x", "@Lisa_Apotheek"), "Comparing online pharmacies for my thesis: Mediflora, Noorderlicht and "
     "PillenExpress all deliver within 2 days on average.", tags=["hn:competitor"])
case("nl", LOT, "Vanavond dienst in de chat tot 22:00. Vragen over je medicatie? Ik zit klaar ☕",
     handle="@Lotte_Apotheker", tags=["hn:ordinary", "handle-case"])
case("nl", MF_ZORG, "@yvonne_k Vervelend dat je pakket nog niet binnen is! Stuur ons even een DM met je "
     "bestelnummer, dan zoeken we het uit.", kind="reply", handle="@Mediflora_Zorg", tags=["hn:ordinary", "handle-case"])

# ---- a few more positives with handle-case variants and mixed roles ----------
case("nl", YUS, "Collega's, het pincode-slot van de koelcel is veranderd: wachtwoord KoelCel#2026!x, "
     "niet doorvertellen", [SECRET], handle="@Yusuf_DC_Venlo", tags=["handle-case"])
case("en", MF_LI, "Reminder for all people managers: the Zorggroep Brabantia takeover stays under wraps until the "
     "14th. Talking points and FAQ: wiki.mediflora.nl/display/HR/Overname", [FIN, CONF], handle="Mediflora-BV", tags=["handle-case"])
case("nl", MF_FB, "Jullie zeuren ook altijd maar door over die bezorgtijden, stelletje zeurpieten. Bestel dan "
     "lekker ergens anders", [ABUSE], handle="medifloraapotheek", tags=["handle-case"])


# ---------------------------------------------------------------------------
# building
# ---------------------------------------------------------------------------

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


def dst_offset(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < dt.datetime(
        2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def rand_time(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(3, 358))
    t = base + dt.timedelta(minutes=r.randint(6 * 60 + 30, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = dst_offset(t)
    t = t - dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.88:
        return (t + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


B36 = string.digits + string.ascii_lowercase


def make_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_880_000_000_000_000_000, 2_020_000_000_000_000_000))
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
        p = "".join(r.choice(B36) for _ in range(7))
        if kind == "comment":
            c = "".join(r.choice(B36) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/apotheek/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/thenetherlands/comments/{p}/"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        v = "".join(r.choice(B64URL) for _ in range(11))
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
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
    if platform == "forum":
        n = r.randint(1_000_000, 9_999_999)
        return f"forum-gezondheidspraat-{n}", f"https://forum.gezondheidspraat.example/t/{n}"
    if platform == "blog":
        n = r.randint(10, 99)
        return f"blog-{h}-{n}", f"https://{h}/posts/{n}"
    n = r.randint(10 ** 8, 10 ** 9)
    return f"{platform}-{n}", None


def build(profile):
    g = Gen(SEED)
    mr = random.Random(SEED + 1)
    order = random.Random(SEED + 2)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(g, c["text"])
        pid, url = make_id(mr, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        created = c["when"] or rand_time(mr)
        role = role_of(profile, c["platform"], c["handle"])
        validated = PII in c["cats"] and any(k in VALID_ID for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and mr.random() < 0.65:
            kind = "post"
        if kind:
            post["kind"] = kind
        acc = {"handle": c["handle"]}
        if c["name"] and mr.random() < 0.7:
            acc["display_name"] = c["name"]
        if mr.random() < 0.3:
            acc["id"] = str(mr.randint(10 ** 8, 10 ** 12))
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
            post["brand"] = "mediflora"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=set(c["tags"]), used=used))
    order.shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ---------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------

def validate(rows, profile):
    errs = []
    emb = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = [x.casefold() for x in profile["internal"]["codenames"] + profile["internal"]["domains"]
                + profile["internal"]["markers"]]
    for i, r in enumerate(rows):
        p, ex = r["post"], r["expect"]
        t = p["text"]
        tl = t.casefold()
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{p['id']}: not 2026")
        for k, raw, shown in r["used"]:
            if shown not in t:
                errs.append(f"{p['id']}: {k} not in text")
            if k.startswith("IBAN_") and not iban_valid(raw):
                errs.append(f"{p['id']}: bad IBAN")
            if k.startswith("BAD_IBAN") and iban_valid(raw):
                errs.append(f"{p['id']}: negative IBAN valid")
            if k == "CARD" and not luhn_valid(raw):
                errs.append(f"{p['id']}: bad card")
            if k == "BAD_CARD" and luhn_valid(raw):
                errs.append(f"{p['id']}: negative card valid")
            if k == "BSN" and not elfproef(raw):
                errs.append(f"{p['id']}: bad BSN")
            if k == "NOT_BSN" and elfproef(raw):
                errs.append(f"{p['id']}: negative BSN valid")
            if k == "GHP":
                if base62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                    errs.append(f"{p['id']}: ghp crc")
        if any(k in VALID_ID for k, _, _ in r["used"]) and PII not in ex["categories"]:
            errs.append(f"{p['id']}: valid identifier without leak.pii")
        for term, until in emb:
            if term in tl:
                if r["post"]["created_at"] and ts < until and CONF not in ex["categories"]:
                    errs.append(f"{p['id']}: embargo term {term} before until, not confidential")
                if ts >= until and ex["categories"]:
                    errs.append(f"{p['id']}: embargo term after until but labelled")
        for term in internal:
            if re.search(r"(?<![\w.])" + re.escape(term) + r"(?!\w)", tl) and CONF not in ex["categories"]:
                errs.append(f"{p['id']}: internal term {term} unlabelled")
        if not ex["categories"] and ex["severity"] != "none":
            errs.append(f"{p['id']}: benign with severity")
    return errs


def report(rows):
    cat, lang, role, sev, plat = Counter(), Counter(), Counter(), Counter(), Counter()
    catlang = Counter()
    benign = multi = ev = 0
    for r in rows:
        cs = r["expect"]["categories"]
        lang[r["lang"]] += 1
        role[r["role"]] += 1
        sev[r["expect"]["severity"]] += 1
        plat[r["post"]["platform"]] += 1
        if not cs:
            benign += 1
        multi += len(cs) > 1
        ev += "evasion" in r["tags"]
        for c in cs:
            cat[c] += 1
            catlang[(c, r["lang"])] += 1
    print(f"cases {len(rows)}  benign {benign}  positive {len(rows) - benign}  multi {multi}  evasion {ev}")
    for c in TAXONOMY:
        print(f"  {c:22s} {cat[c]:3d}  nl {catlang[(c, 'nl')]:3d}  en {catlang[(c, 'en')]:3d}")
    print("lang", dict(lang), "role", dict(role))
    print("severity", {s: sev[s] for s in SEVERITIES})
    print("platform", dict(plat.most_common()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    lines = dump(rows)
    errs = validate(rows, profile)
    if a.check:
        if OUT.read_text(encoding="utf-8").splitlines(keepends=True) != lines:
            errs.append("cases.jsonl differs from the generator output")
        report(rows)
    else:
        OUT.write_text("".join(lines), encoding="utf-8")
        print(f"wrote {len(lines)} cases to {OUT}")
    for e in errs:
        print("ERROR", e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
