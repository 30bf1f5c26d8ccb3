#!/usr/bin/env python3
"""Deterministic generator and checker for the sealed99 blind set (cases.jsonl).

    python3 make_cases.py           # write cases.jsonl next to this file
    python3 make_cases.py --check   # regenerate in memory, compare, validate, print counts

Company: Lindeveld Bloemen B.V. (see profile.yaml), a fictional Dutch online florist
and plant-delivery company with its own greenhouses.

Every post text is hand-written below. Identifiers and secrets come from placeholders
such as {{IBAN:nl:grp}} filled in by one seeded RNG, so the output is byte-for-byte
reproducible. Labelled positives get checksum-valid identifiers, benign look-alikes
get ones that fail their checksum. Severity is never typed by hand: it follows the
CONTRACT section 4 policy from the account role (looked up in profile.yaml), the
categories and whether a checksum-valid identifier is in a leak.pii post.
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

SEED = 99_0413_2026
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

TAXONOMY = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse",
            "reputation.spike"]
SEVS = ["none", "info", "warning", "error", "critical"]
KINDS = ["post", "reply", "repost", "comment", "message"]
PLATFORMS = ["x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"]

SECRET, PII, PRICE, CONF, FIN, SEC = ("leak.secret", "leak.pii", "leak.pricing",
                                      "leak.confidential", "leak.financial", "leak.security")
CRISIS, COMPL, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

ZWSP = "\u200b"
SHY = "\u00ad"
CYR_O = "\u043e"   # Cyrillic small o, looks like Latin o
CYR_A = "\u0430"   # Cyrillic small a
CYR_E = "\u0435"   # Cyrillic small e


def wide(s):
    """Full-width variant of ASCII text."""
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# ---------------------------------------------------------------------------
# checksums (own implementations)
# ---------------------------------------------------------------------------

def mod97(s):
    s = s.replace(" ", "").upper()
    return int("".join(str(int(ch, 36)) for ch in s[4:] + s[:4])) % 97


def iban_valid(s):
    s = re.sub(r"\s", "", s).upper()
    return bool(re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", s)) and mod97(s) == 1


def iban_build(cc, bban):
    rem = int("".join(str(int(ch, 36)) for ch in bban + cc + "00")) % 97
    return f"{cc}{98 - rem:02d}{bban}"


def luhn_valid(num):
    d = [int(x) for x in re.sub(r"\D", "", num)]
    if not d:
        return False
    s = 0
    for i, v in enumerate(reversed(d)):
        if i % 2:
            v = v * 2 - 9 if v > 4 else v * 2
        s += v
    return s % 10 == 0


def luhn_finish(prefix):
    return next(prefix + c for c in "0123456789" if luhn_valid(prefix + c))


def elfproef(num):
    s = re.sub(r"\D", "", num)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t != 0 and t % 11 == 0


def ean13_valid(s):
    return len(s) == 13 and (sum(int(c) * (1 if i % 2 == 0 else 3) for i, c in enumerate(s[:12]))
                             + int(s[12])) % 10 == 0


# ---------------------------------------------------------------------------
# placeholder filler
# ---------------------------------------------------------------------------

AN = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = AN + "+/"
B64U = AN + "-_"
B32 = string.ascii_uppercase + "234567"


def to_b62(n):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return s or "0"


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


class Filler:
    def __init__(self, seed, own_iban):
        self.r = random.Random(seed)
        self.own_iban = own_iban

    def d(self, n, lead=True):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if lead and s[0] == "0" else s

    def c(self, alpha, n):
        return "".join(self.r.choice(alpha) for _ in range(n))

    @staticmethod
    def g4(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    # IBANs
    def iban(self, cc):
        if cc == "nl":
            while True:
                v = iban_build("NL", self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "BUNQ", "TRIO", "ASNB"])
                               + self.d(10))
                if v != self.own_iban:
                    return v
        if cc == "de":
            return iban_build("DE", self.r.choice(["50070010", "30020900", "66010075", "12030000"]) + self.d(10, False))
        if cc == "be":
            head = self.r.choice(["063", "310", "431", "068", "973"]) + self.d(7, False)
            return iban_build("BE", head + f"{(int(head) % 97) or 97:02d}")
        if cc == "gb":
            return iban_build("GB", self.r.choice(["BARC", "LOYD", "NWBK", "HBUK"]) + self.d(14, False))
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        for k in range(1, 97):
            cand = v[:2] + f"{(int(v[2:4]) + k) % 100:02d}" + v[4:]
            if not any(iban_valid(cand[:e]) for e in range(14, len(cand) + 1)):
                return cand
        raise AssertionError

    # cards
    def card(self, brand):
        if brand == "visa":
            return luhn_finish("4" + self.d(14, False))
        if brand == "mc":
            return luhn_finish("5" + self.r.choice("12345") + self.d(13, False))
        if brand == "mc2":
            return luhn_finish(str(self.r.randint(2221, 2720)) + self.d(11, False))
        if brand == "amex":
            return luhn_finish(self.r.choice(["34", "37"]) + self.d(12, False))
        raise ValueError(brand)

    def bad_card(self, brand):
        v = self.card(brand)
        w = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_valid(w)
        return w

    @staticmethod
    def fmt_card(v, style):
        if style == "plain":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if style == "dash" else " ").join(parts)

    # BSN and look-alikes
    def bsn(self):
        while True:
            s = self.d(9)
            if elfproef(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.d(n)
            if not elfproef(s) and not luhn_valid(s):
                return s

    def ean13(self):
        while True:
            body = "87" + self.d(10, False)
            v = next(body + c for c in "0123456789" if ean13_valid(body + c))
            if not luhn_valid(v):
                return v

    # phones
    def phone(self, style):
        m = self.d(8, False)
        if style.startswith("m"):
            return {
                "m_dash": f"06-{m}",
                "m_plain": f"06{m}",
                "m_intl": f"+31 6 {m[:2]} {m[2:5]} {m[5:]}",
                "m_intl_c": f"+316{m}",
                "m_0031": f"0031-6-{m}",
                "m_pairs": f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}",
                "m_dots": f"06.{m[:2]}.{m[2:5]}.{m[5:]}",
                "m_paren": f"+31 (0)6 {m[:4]} {m[4:]}",
            }[style]
        area = self.r.choice(["10", "15", "20", "30", "35", "40", "50", "71", "72", "73", "74", "76", "77", "79"])
        sub = self.r.choice("23456789") + self.d(6, False)
        return {
            "l_dash": f"0{area}-{sub}",
            "l_sp": f"0{area} {sub[:3]} {sub[3:5]} {sub[5:]}",
            "l_intl": f"+31 {area} {sub[:3]} {sub[3:]}",
        }[style]

    # secrets
    def ghp(self):
        body = self.c(AN, 30)
        return "ghp_" + body + to_b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def glpat(self):
        return "glpat-" + self.c(AN + "-_", 20)

    def mollie(self):
        return "live_" + self.c(AN, 30)

    def sendgrid(self):
        return "SG." + self.c(B64U, 22) + "." + self.c(B64U, 43)

    def aws_id(self):
        return "AKIA" + self.c(B32, 16)

    def aws_secret(self):
        return self.c(B64, 40)

    def slack_bot(self):
        return f"xoxb-{self.d(11)}-{self.d(13)}-{self.c(AN, 24)}"

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return f"https://hooks.slack.com/services/T{self.c(up, 8)}/B{self.c(up, 10)}/{self.c(AN, 24)}"

    def stripe(self):
        return "sk_live_51" + self.c(AN, 40)

    def gapi(self):
        return "AIza" + self.c(B64U, 35)

    def jwt(self):
        h = b64u(b'{"alg":"HS256","typ":"JWT"}')
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        p = b64u(json.dumps({"sub": "drv_" + self.d(5), "iss": "bezorg.lindeveld.nl", "role": "driver",
                             "iat": iat, "exp": iat + 7200}, separators=(",", ":")).encode())
        return f"{h}.{p}.{self.c(B64U, 43)}"

    def pem_openssh(self):
        lines = ["b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"]
        lines += [self.c(B64, 70) for _ in range(4)] + [self.c(B64, 22) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"

    def pw(self):
        return (self.r.choice(["Tulp", "Roos", "Kas", "Bloem", "Varen", "Iris"]) + self.d(4, False)
                + self.r.choice("!#$%*") + self.c(AN, 4))

    def hexs(self, n):
        return self.c("0123456789abcdef", n)


VALID_KINDS = {"IBAN", "CARD", "BSN"}
BAD_KINDS = {"BADIBAN", "BADCARD", "NOTBSN", "EAN"}
PH = re.compile(r"\{\{([A-Z]+)(?::([a-z0-9_]+))?(?::([a-z0-9_]+))?\}\}")


def fill(f, text):
    used = []

    def sub(m):
        k, a, b = m.group(1), m.group(2) or "", m.group(3) or ""
        if k == "IBAN":
            raw = f.iban(a)
            shown = f.g4(raw) if b == "grp" else raw
        elif k == "BADIBAN":
            raw = f.bad_iban(a)
            shown = f.g4(raw) if b == "grp" else raw
        elif k == "CARD":
            raw = f.card(a)
            shown = f.fmt_card(raw, b or "sp")
        elif k == "BADCARD":
            raw = f.bad_card(a)
            shown = f.fmt_card(raw, b or "sp")
        elif k == "BSN":
            raw = f.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if a == "dots" else (
                f"{raw[:3]} {raw[3:6]} {raw[6:]}" if a == "sp" else raw)
        elif k == "NOTBSN":
            raw = shown = f.not_bsn(int(a or 9))
        elif k == "EAN":
            raw = shown = f.ean13()
        elif k == "PHONE":
            raw = shown = f.phone(a)
        elif k == "DIGITS":
            raw = shown = f.d(int(a))
        elif k == "HEX":
            raw = shown = f.hexs(int(a))
        elif k in ("GHP", "GLPAT", "MOLLIE", "SENDGRID", "AWSID", "AWSSECRET", "SLACKBOT", "SLACKHOOK",
                   "STRIPE", "GAPI", "JWT", "PEM", "PW"):
            raw = shown = {"GHP": f.ghp, "GLPAT": f.glpat, "MOLLIE": f.mollie, "SENDGRID": f.sendgrid,
                           "AWSID": f.aws_id, "AWSSECRET": f.aws_secret, "SLACKBOT": f.slack_bot,
                           "SLACKHOOK": f.slack_hook, "STRIPE": f.stripe, "GAPI": f.gapi, "JWT": f.jwt,
                           "PEM": f.pem_openssh, "PW": f.pw}[k]()
        else:
            raise KeyError(k)
        used.append((k, raw, shown))
        return shown

    return PH.sub(sub, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

# corporate
LV_X = ("x", "@lindeveld", "Lindeveld Bloemen")
LV_HELP = ("x", "@lindeveld_help", "Lindeveld Klantenservice")
LV_IG = ("instagram", "@lindeveldbloemen", "Lindeveld")
LV_FB = ("facebook", "LindeveldBloemen", "Lindeveld Bloemen & Planten")
LV_LI = ("linkedin", "lindeveld-bloemen-bv", "Lindeveld Bloemen B.V.")
GB_TT = ("tiktok", "@groenbus", "Groenbus")
# employees
RIK = ("x", "@rik_in_de_kas", "Rik Hoogendoorn")                    # teamleader greenhouse Naaldwijk
NOOR = ("linkedin", "noor-bakkal-lindeveld", "Noor Bakkal")          # platform engineer
EVI = ("instagram", "@evi.bindt", "Evi Kroon")                      # florist, binding hall Aalsmeer
MARK = ("x", "@markverhoef_log", "Mark Verhoef")                    # same-day logistics planner
JAS = ("linkedin", "jasper-de-graaf-fin", "Jasper de Graaf")         # finance controller
DEWI = ("threads", "@dewi.klantcontact", "Dewi Sastro")             # customer service
SOFIE = ("bluesky", "@sofie-dev.bsky.social", "Sofie Meijer")       # web developer


def pub(platform, handle, name=None):
    return (platform, handle, name)


CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle=None, brand=None):
    platform, h, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle or h, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint, brand=brand))


def at(y, mo, d, h, mi, s=0, style="local"):
    """A wall-clock Amsterdam time, written as local offset ('local') or UTC ('z')."""
    off = 2 if dt.datetime(2026, 3, 29, 2) <= dt.datetime(y, mo, d, h, mi) < dt.datetime(2026, 10, 25, 3) else 1
    loc = dt.datetime(y, mo, d, h, mi, s)
    if style == "z":
        return (loc - dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return loc.strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"


# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", EVI, "Meiden 😱 de Pioenenboeket XL staat op de site voor €5,49 ipv €54,95… volgens mij is er een "
     "nulletje weggevallen. Snel zijn voordat iemand het ziet 🤭 #pioenen #oeps", [PRICE])
case("en", MARK, "Webshop has been selling the Monstera XL for €8.90 since 6am. That is not a promo, that is "
     "somebody's spreadsheet. Vans are gonna be FULL of monsteras tomorrow 🙃", [PRICE])
case("nl", pub("x", "@roosje_vd_meer"), "lindeveld heeft 24 rode rozen voor €4,49 staan 🌹🌹 prijsfout?? "
     "valentijn is gered haha, 3x besteld", [PRICE], when=at(2026, 2, 12, 21, 7))
case("en", pub("reddit", "u/dutchdealhunter"), "[Deal?] Groenbus plant subscription showing €2.49/month at checkout "
     "instead of €24.95. Smells like a decimal bug but I got a confirmation mail so 🤷", [PRICE], brand="groenbus")
case("nl", LV_FB, "🌷 MEGA ACTIE 🌷\nOnze Boeket Classic vandaag voor maar €9,95!\nAlleen online, op=op 👉 "
     "lindeveld.nl/classic", [PRICE])
case("en", NOOR, "Postmortem in progress: a currency mapping bug in the price sync turned euros into cents for the "
     "Orchid Duo, it's live at €0.40 😬 Rolling back now, please nobody screenshot this 🙏", [PRICE])
case("nl", DEWI, "ja hoor, telefoon staat roodgloeiend want de Rozen 24 staat voor 4,50 euro in de app 🙃 prijs is "
     "gewoon fout en wij mogen niks toezeggen", [PRICE], kind="post")
case("nl", pub("tiktok", "@plantmama.jes"), "p r i j s f o u t bij lindeveld!!\nmonstera XL voor €9 🌿🏃‍♀️ "
     "ren ren ren", [PRICE], tags=["evasion:spaced"], brand="groenbus")
case("en", pub("x", "@kees_koopt"), "Lïndeveld Pïoenenboeket XL for €6 lmaooo price glítch of the year 💐", [PRICE],
     tags=["evasion:diacritics"])
case("nl", RIK, "Webshop heeft de Pioenen XL per ongeluk op €5,50 gezet en raad eens wie er nu 2000 extra pioenen mag "
     "snijden. juist. 🙄", [PRICE])
case("nl", SOFIE, "Wie heeft de prijzenfeed gedeployed?? Orchidee Duo voor €3,99 live, en "
     "kasbeheer.lindeveld.nl/prijzen draait nog op de import van gisteren", [PRICE, CONF])
case("nl", pub("threads", "@snelle.sanne"), f"pr{ZWSP}ijsfout: bloemenabonnement voor €1,99 per maand bij "
     "Lindeveld 😳 normaal bijna twintig", [PRICE], tags=["evasion:zero-width"])
case("en", pub("facebook", "gerrit.posthuma.7", "Gerrit Posthuma"), "Heads up to the group: Lindeveld's Rouwstuk Wit "
     "is €7,95 on their site right now, clearly a mistake. Not sure it's tasteful to profit from a funeral "
     "arrangement though.", [PRICE])

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", NOOR, "Friendly reminder to rotate your keys, folks. Found this sitting in a Slack thread today:\n\n"
     "MOLLIE_API_KEY={{MOLLIE}}\n\nYes it's ours. Yes it's rotated now. No, I'm not naming names. #devsecops",
     [SECRET])
case("nl", SOFIE, "hoe krijg ik deze runner weer aan de praat?? token {{GLPAT}} werkt lokaal prima 😩 #devlife",
     [SECRET])
case("en", MARK, "route planner keeps throwing 403 on the maps api, key is {{GAPI}} , anyone from IT awake? "
     "vans leave at 5", [SECRET])
case("nl", RIK, "wifi in kas 3 doet het weer 🎉 netwerk LV-Kas3, wachtwoord {{PW}}\nniet doorgeven aan de "
     "uitzendkrachten he 😉", [SECRET])
case("en", pub("reddit", "u/js_bundle_snooper"), "lol Lindeveld ships a Stripe secret key in their checkout JS: "
     "{{STRIPE}}\nsomeone should probably tell them", [SECRET], kind="comment")
case("nl", NOOR, "Kan iemand even meekijken waarom deze niet connect?\n"
     "postgres://orders_rw:{{PW}}@db-prod.intra.lindeveld.local:5432/orders", [SECRET, CONF])
case("en", DEWI, "testing the new helpdesk bot, ignore me lol\nSLACK_BOT_TOKEN={{SLACKBOT}}", [SECRET])
case("en", SOFIE, "pasting this here so I can grab it from my laptop at home, don't judge\n{{PEM}}", [SECRET])
case("nl", pub("forum", "apk_ontleder"), "Groenbus Android-app even gedecompileerd. Zit gewoon een AWS key in: "
     "{{AWSID}} met secret {{AWSSECRET}} 🤦 jongens toch", [SECRET], brand="groenbus")
case("en", MARK, "driver app login broken again. my session token if that helps debugging: {{JWT}}", [SECRET])
case("nl", LV_X, "Nieuw op de blog: 7 tips om je tulpen langer mooi te houden 🌷 {{SLACKHOOK}}", [SECRET])
case("en", NOOR, "If your transactional mails stopped this morning: the SendGrid key got revoked. Old one was "
     "{{SENDGRID}} , new one is in the vault.", [SECRET])
case("en", pub("mastodon", "@sec_jorn@infosec.exchange"), "Lindeveld's public GitHub repo still has a personal "
     "token in the CI file: {{GHP}} . Reported it to them, no reply yet.", [SECRET])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", pub("x", "@hanneke_p"), "@lindeveld_help mijn bestelling is nog steeds niet bezorgd!! bel me maar even op "
     "{{PHONE:m_dash}}", [PII, COMPL], kind="reply")
case("nl", pub("facebook", "hpostma.73", "Hilde Postma"), "Geld voor het verwelkte boeket nog steeds niet terug. Voor "
     "de DERDE keer: rekeningnummer {{IBAN:nl:grp}} t.n.v. H. Postma. Hoe moeilijk kan het zijn", [PII, COMPL])
case("en", DEWI, "customer on the phone for 20 mins because the card said 'Happy birthday' on a funeral "
     "arrangement 😭 fair, our mistake. Mrs Joanna Whitfield, Kerkstraat 14 Haarlem, if you ever read this: "
     "I'm so sorry", [PII])
case("nl", LV_HELP, "@bas_terpstra We hebben je nummer {{PHONE:m_intl}} genoteerd, de bezorger belt je morgen "
     "tussen 9 en 12 🌷", [PII], kind="reply")
case("en", JAS, "Refund batch keeps failing for one customer, IBAN {{IBAN:de}} bounces every time. Anyone in "
     "finance seen this with German banks?", [PII])
case("nl", EVI, "Dit kaartje mocht ik vandaag schrijven: 'voor mijn Marloes, gefeliciteerd met je 40e!' 🥹 "
     "Marloes de Wit, geboren 3 maart 1986, lang zal ze leven 🎂💐", [PII], when=at(2026, 3, 2, 16, 21))
case("en", pub("x", "@not_a_morning_person"), "@lindeveld_help payment keeps failing, tried my card "
     "{{CARD:mc:sp}} exp 08/28 three times now, what is going on", [PII, COMPL], kind="reply")
case("nl", RIK, "Piotr z'n BSN is {{BSN:dots}} toch? salarisadministratie blijft zeuren en hij zit in Polen tot "
     "maandag", [PII])
case("nl", pub("instagram", "@sanne.vos88"), "@lindeveldbloemen mail me even op sanne.vos88@hotmail.com want "
     "jullie chat doet het niet 🙏", [PII], kind="comment")
case("en", LV_IG, "Congrats to our Mother's Day giveaway winner, Fatma Yilmaz from Deventer! 🎉 Your prize is on "
     "its way to Brinkstraat 22 this week 💐", [PII], when=at(2026, 5, 11, 10, 15))
case("nl", DEWI, "klant wil teruggebeld worden, mailadres is j.kuipers [at] ziggo [punt] nl, kan iemand van de "
     "tweede lijn dit oppakken?", [PII], tags=["evasion:obfuscated-email"])
case("en", pub("x", "@bristol_dutchie"), "Lindeveld charged me twice for the Peony XL. Send it back to "
     "{{IBAN:gb:grp}} please, I live in Bristol now", [PII, COMPL])
case("en", MARK, "driver for route 14 called in sick. Mr Henk Blom needs his funeral flowers before 10, his "
     "number is {{PHONE:l_sp}}. who can take it?", [PII])
case("nl", DEWI, "klant las haar creditcard voor aan de telefoon en ik heb hem in de verkeerde notitie gezet 🙈 "
     "{{CARD:visa:dash}}, kan iemand van IT dat wissen?", [PII])
case("nl", pub("x", "@gentse_griet"), "Lindeveld, ik wacht al 3 weken op mijn terugbetaling. Belgische rekening: "
     "{{IBAN:be}}. Kom op nu.", [PII, COMPL])
case("nl", pub("reddit", "u/verbaasde_klant"), "Waarom wil Lindeveld een kopie van mijn ID voor een terugbetaling? "
     "Vooruit dan, documentnummer NW7K2RP84, geldig tot 2031. Nu wel graag mijn geld terug.", [PII, COMPL])
case("nl", JAS, "Voor de collega's van debiteuren: de klant met die dubbele afschrijving belde weer, kaart "
     "{{CARD:amex:plain}}, graag vandaag nog terugboeken", [PII])

case("nl", pub("facebook", "kamil.nowak.2004", "Kamil Nowak"), "Hallo Lindeveld, ik wil graag seizoenskracht zijn "
     "in de kas voor de Moederdagdrukte. Mijn BSN is {{BSN:sp}}, ik kan per direct beginnen 💪", [PII],
     kind="message", when=at(2026, 3, 16, 8, 12))
case("en", LV_HELP, "@dana_rijn So sorry! We can see card {{CARD:mc2:sp}} was charged twice for the Rozen 24, the "
     "second charge is being refunded today 🌹", [PII], kind="reply")

# ===========================================================================
# leak.confidential
# ===========================================================================
case("nl", RIK, "Kas 5 wordt helemaal leeggeruimd voor Project Zonnedauw. Meer mag ik niet zeggen 🤐🌱", [CONF])
case("en", NOOR, "Spent the whole week migrating the order pipeline for Operatie Magnolia. If this works, same-day "
     "delivery is going to look very different next year 👀", [CONF])
case("nl", EVI, "Sneak peek van iets waar we al maanden aan werken 🤫 de Moederdag Mega Box, vol pioenen en "
     "ranonkels. Nog niet verder vertellen!!", [CONF], when=at(2026, 4, 2, 20, 14))
case("nl", LV_IG, "Bijna zover… 🌸 de Moederdag Mega Box komt eraan, zet je wekker! ⏰", [CONF],
     when="2026-04-14T07:55:00+02:00", tags=["embargo-edge"])
case("nl", MARK, "runbook staat op wiki.lindeveld.nl/logistiek/piekdagen-moederdag, wie geeft me even rechten?",
     [CONF])
case("en", SOFIE, "LINDEVELD INTERN: draft homepage copy for autumn attached, feedback before friday please 🍂",
     [CONF])
case("nl", pub("x", "@drone_dave_nl"), "zwager werkt bij Lindeveld, volgens hem vliegt Kolibrie al stiekem met "
     "drones boven de kassen in Naaldwijk 🚁", [CONF])
case("en", NOOR, "Can't wait for Project\nZonnedauw to go live 🌞 best team ever", [CONF],
     tags=["evasion:line-break"])
case("nl", EVI, "Operatie 🌸 Magnolia gaat echt alles veranderen, trots op ons team 💪", [CONF],
     tags=["evasion:emoji-split"])
case("nl", pub("x", "@bloemenroddel"), f"Lindeveld test K{CYR_O}librie met drones, zag een filmpje van mn neef "
     "boven Monster", [CONF], tags=["evasion:homoglyph"])
case("nl", GB_TT, "Coming soon 👀🌿 de Groenbus Kamerjungle, de grootste plantenbox die we ooit gemaakt hebben",
     [CONF], when=at(2026, 8, 31, 21, 30), brand="groenbus")
case("en", pub("reddit", "u/floral_insider_watch"), "There's a deck labelled 'STRIKT VERTROUWELIJK – Lindeveld "
     "strategie 2027' doing the rounds on LinkedIn. Anyone seen it? Says they're dropping the flower subscription.",
     [CONF])
case("nl", EVI, "Mag het eigenlijk nog niet laten zien maar in oktober komt er een blauwe kamerplantenlijn die "
     "nog nergens te koop is, staat onder NDA bij de kweker 🤫💙", [CONF],
     when=at(2026, 7, 11, 19, 2))
case("en", SOFIE, "MR is up: gitlab.lindeveld.nl/web/shop/-/merge_requests/812, pls review before standup 🙏",
     [CONF])
case("en", pub("instagram", "@evi.bindt.bloemen"), "sneak peek from the binding hall 👀 Project Zonnedauw is "
     "gonna be huge", [CONF])

# ===========================================================================
# leak.financial
# ===========================================================================
case("en", JAS, "H1 2026 results look better than anyone expected. Can't say more until the 20th 😁", [CONF, FIN],
     when=at(2026, 7, 28, 17, 2))
case("nl", JAS, "Ik zeg alleen: de jaarcijfers 2026 worden mooi. Heel mooi. 🌷📈", [CONF, FIN],
     when=at(2026, 12, 18, 16, 45))
case("nl", JAS, "Gerucht kan ik bevestigen: we nemen een kwekerij in het Westland over, handtekening volgende "
     "week. Mooi moment voor het team! 🌱", [FIN])
case("en", RIK, "word on the floor is they're closing the Naaldwijk greenhouse after summer. 35 of us out. "
     "nobody from HR says a thing", [FIN])
case("nl", MARK, "Moederdagomzet komt 18% onder de forecast uit, zag het net in het MT-overleg. Dat gaat pijn doen "
     "bij de bonussen", [FIN], when=at(2026, 5, 12, 15, 30))
case("en", JAS, "Our Q4 forecast got cut by 2.4M this morning. Brace yourselves, colleagues.", [FIN])
case("nl", pub("x", "@westland_watcher"), "Hoor uit goede bron dat Lindeveld in gesprek is met Bloemwerk over een "
     "fusie 👀 #sierteelt", [FIN])
case("en", pub("reddit", "u/sister_in_finance"), "My sister-in-law is in finance at Lindeveld. Apparently they're "
     "moving all customer service to Portugal, Dutch team gets notice in March.", [FIN])
case("nl", DEWI, f"hele klantenservice wordt ont{SHY}slagen per 1 juni en wij horen het als laatste 😡", [FIN],
     tags=["evasion:soft-hyphen"], when=at(2026, 4, 23, 22, 17))
case("en", NOOR, "Board approved the reorg yesterday: tech splits into two units and around 20 roles disappear. "
     "Announcement comes 'when the timing is right'.", [FIN])
case("nl", RIK, "de r e o r g is rond, 40 man eruit in de kassen. niemand weet het nog officieel", [FIN],
     tags=["evasion:spaced"])
case("en", EVI, "not supposed to say this but we're being bought by a big Scandinavian garden chain 🙃 contracts "
     "signed friday", [FIN])
case("nl", JAS, "Liquiditeit is krap na de piek, de bank wil extra zekerheden. Geen paniek, maar betalingen aan "
     "kwekers schuiven een maand op.", [FIN], when=at(2026, 5, 20, 8, 44))

# ===========================================================================
# leak.security
# ===========================================================================
case("nl", NOOR, "Sinds vannacht draait er ransomware op de klimaatcomputers in kas 2. Komt voorlopig niet in de "
     "pers, dus hou het even binnen 🙏", [SEC])
case("en", SOFIE, "found out today anyone can read other customers' card messages by bumping the order id in the "
     "url. reported, not fixed, not public yet 🫠", [SEC])
case("nl", MARK, "Bezorgapp ligt al 3 uur plat door een aanval, chauffeurs rijden op papieren lijstjes. Klanten "
     "krijgen te horen dat het 'onderhoud' is 🙃", [SEC])
case("en", DEWI, "we're told to say 'technical issue' but honestly the customer database got scraped last week. "
     "feel awful lying to people on the phone", [SEC])
case("nl", pub("x", "@marjolein_n"), "Lindeveld heeft een datalek en houdt het stil! Mijn gegevens staan op een "
     "forum en ik heb alleen bij hen besteld. #datalek", [SEC, CRISIS])
case("en", pub("reddit", "u/cover_up_alert"), "Lindeveld is covering up a breach. Their helpdesk literally told me "
     "'something happened with the customer files' but there's no notice anywhere.", [SEC, CRISIS])
case("nl", RIK, "kasnetwerk is geh@ckt, alle sensoren op nul. baas zegt niks tegen de pers zeggen", [SEC],
     tags=["evasion:leet"])
case("nl", JAS, "Via een phishingmail heeft iemand toegang gekregen tot de boekhouding, €80k betaald aan een "
     "nepleverancier. Nog nergens gemeld.", [SEC])
case("en", NOOR, "There's a CVE in our payment plugin and we're exposed until the vendor patches. Fingers crossed "
     "nobody notices before the weekend.", [SEC])
case("en", MARK, wide("data breach") + " at work again. don't tell anyone I told you", [SEC],
     tags=["evasion:full-width"])
case("nl", SOFIE, f"webshop ligt eruit sinds 14:00 door een DD{ZWSP}oS en de statuspagina zegt nog steeds 'alles "
     "ok' 🙈", [SEC], tags=["evasion:zero-width"])
case("en", pub("x", "@amsterdamjenny"), "Lindeveld's order system is wide open. A friend who works there says "
     "they've been breached since Tuesday and are keeping quiet.", [SEC, CRISIS])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@eerlijke_bloem"), "BOYCOT Lindeveld! Hun kassen draaien op uitgebuite arbeidsmigranten, 14 uur "
     "per dag voor een hongerloontje. Deel dit! #boycotlindeveld", [CRISIS])
case("en", pub("facebook", "claire.obrien.nl", "Claire O'Brien"), "My cat ended up at the emergency vet after chewing "
     "the lilies from a Lindeveld bouquet. NO warning anywhere that they're toxic to cats. Never again.",
     [CRISIS, COMPL])
case("nl", pub("linkedin", "erik-smulders-sierteelt"), "Groep kwekers stapt naar de rechter tegen Lindeveld wegens "
     "maandenlang onbetaalde facturen. Pijnlijk voor een bedrijf dat zich zo 'duurzaam' noemt.", [CRISIS])
case("en", pub("x", "@petparents_nl"), "Lindeveld is recalling its 'pet-safe' plant box after several dogs got sick. "
     "Check your orders!! 🐶", [CRISIS], brand="groenbus")
case("nl", pub("instagram", "@mama_van_teun"), "Mijn zoontje kreeg blaren op zijn handen van het sap van de "
     "euphorbia van Groenbus. Geen enkele waarschuwing erbij 😡 huisarts zegt dat dit vaker gebeurt",
     [CRISIS, COMPL], brand="groenbus")
case("en", pub("x", "@privacy_paula"), "Lindeveld leaked my data. Got a phishing text with my exact order, name and "
     "address two days after ordering. Coincidence? I don't think so.", [CRISIS])
case("nl", pub("blog", "groenekritiek.nl"), "Uit ons eigen labonderzoek: op rozen uit de Lindeveld-kassen vonden we "
     "resten van drie verboden bestrijdingsmiddelen. Wij roepen iedereen op geen rozen meer bij hen te kopen.",
     [CRISIS])
case("en", pub("threads", "@greenwash.detector"), "Lindeveld's 'Dutch grown' claim is a lie, their roses are flown "
     "in from Kenya and relabelled in Aalsmeer. Straight up fraud. #greenwashing", [CRISIS])
case("nl", pub("x", "@boze_bea"), "Lindeveld = d 4 t 4 l e k. m'n gegevens liggen gewoon op straat", [CRISIS],
     tags=["evasion:leet"])
case("en", pub("x", "@overtoom_fietser"), "A Lindeveld delivery van ran a red light and hit a cyclist on the Overtoom "
     "this morning. Ambulance on scene. Van covered in their flowers logo.", [CRISIS])
case("nl", pub("facebook", "westlandnieuwsfan", "Westland Nieuws Fans"), "Ernstig ongeluk in de kas van Lindeveld in "
     "Naaldwijk, medewerker onder een heftruck terechtgekomen. Arbeidsinspectie doet onderzoek.", [CRISIS])
case("en", pub("reddit", "u/angry_gardener"), "Lindeveld exploits its pickers and their CEO is a greedy bastard. "
     "Boycott them.", [CRISIS, ABUSE])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@jorrit_1990"), "24 rode rozen besteld voor valentijn, komen er 24 slappe stelen aan die 's "
     "avonds al hangen 😒 @lindeveld", [COMPL], when=at(2026, 2, 14, 19, 48))
case("en", pub("x", "@lottie_in_utrecht"), "Ordered same-day delivery at 10am, flowers showed up at 22:40. Birthday "
     "was over. Thanks for nothing @lindeveld 🙃", [COMPL])
case("nl", pub("facebook", "ria.dekker.52", "Ria Dekker"), "Plantenabonnement opgezegd maar ze blijven gewoon "
     "afschrijven. Drie mails gestuurd, nul reactie. Iemand tips?", [COMPL], brand="groenbus")
case("en", pub("reddit", "u/rootrot_rick"), "The Monstera XL I got from Groenbus is about half the size of the "
     "photo and has root rot. Refund request ignored for 2 weeks.", [COMPL], brand="groenbus")
case("nl", pub("instagram", "@femke.fotografeert"), "bezorger heeft de doos gewoon over het hek gegooid, orchidee in "
     "drie stukken. bedankt lindeveld 👏👏", [COMPL], kind="comment")
case("en", pub("x", "@penny_wise_nl"), "why does lindeveld add a €6.95 'weekend delivery fee' that only shows up "
     "at the very last step of checkout?? sneaky", [COMPL])
case("nl", pub("facebook", "joyce.hermans.3", "Joyce Hermans"), "Rouwstuk besteld voor de uitvaart van mijn oma, "
     "kwam een uur te laat. De dienst was al begonnen. Ik ben er kapot van, Lindeveld.", [COMPL])
case("en", pub("reddit", "u/carnation_fatigue"), "Lindeveld flower subscription, week 3 in a row it's basically "
     "carnations and greenery. Looks nothing like the photos. Cancelling.", [COMPL])
case("en", pub("x", "@chilly_tulips"), "Tulips arrived frozen solid. In APRIL. How do you even manage that "
     "@lindeveld_help", [COMPL], when=at(2026, 4, 7, 12, 5))
case("nl", pub("x", "@ongeduldige_oma"), "Lïndeveld bezorgt wéér niet op tijd, derde keer dit jaar", [COMPL],
     tags=["evasion:diacritics"])
case("en", pub("mastodon", "@mira@mastodon.nl"), "Lindeveld's app logged me out mid-checkout three times and lost "
     "my Mother's Day order. Ended up at the local florist instead.", [COMPL], when=at(2026, 5, 9, 20, 11))

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@zuurpruim_88"), "@lindeveld_help stelletje kutprutsers, jullie bezorger is een vieze "
     "klootzak", [ABUSE], kind="reply")
case("en", pub("x", "@lol_at_brands"), "whoever runs the lindeveld account is a braindead idiot lmao", [ABUSE])
case("nl", pub("x", "@woedende_wim"), "Godverdomme Lindeveld, derde keer dat m'n boeket niet komt. Stelletje "
     "amateurs.", [ABUSE, COMPL])
case("en", pub("threads", "@not.impressed.nl"), "f*ck lindeveld and f*ck their overpriced weeds", [ABUSE],
     tags=["evasion:masked"])
case("nl", RIK, "die nieuwe teamleider is echt een debiele trut, ik hou het niet meer vol in die kas", [ABUSE])
case("en", LV_HELP, "@kevin_d0es_stuff go cry somewhere else, moron", [ABUSE], kind="reply",
     handle="@Lindeveld_Help")
case("nl", pub("facebook", "henk.vd.sluis.61"), "Bij Lindeveld werken alleen maar buitenlanders die geen woord "
     "Nederlands spreken. Ga terug naar je eigen land.", [ABUSE])
case("en", pub("instagram", "@trollingtulip"), "@evi.bindt you ugly cow, your bouquets look like roadkill",
     [ABUSE], kind="comment")
case("nl", pub("tiktok", "@boos_op_alles"), "lindeveld = k*t bedrijf, t3r1ng zooi 🤮", [ABUSE],
     tags=["evasion:leet"])
case("nl", pub("x", "@hangt_op"), "tyfuslijers bij de klantenservice van Lindeveld, hangen gewoon op als je "
     "doorvraagt", [ABUSE, COMPL])
case("en", pub("reddit", "u/hot_takes_only"), "Lindeveld's CEO is a clown and anyone still buying from them is a "
     "moron.", [ABUSE])

# ===========================================================================
# benign (hard negatives first)
# ===========================================================================
case("nl", LV_HELP, "Vragen over je bestelling? Bel ons op 0297 820 400 of mail naar klantenservice@lindeveld.nl 🌷 "
     "We zijn er ma t/m za van 8 tot 20 uur.", tags=["own-contact"])
case("nl", pub("x", "@dankbare_dorien"), "Klantenservice van Lindeveld (088 546 3300) was super snel, boeket "
     "dezelfde dag nog vervangen 👏", tags=["own-contact"])
case("nl", LV_FB, "Liever betalen via overschrijving? Dat kan naar NL64 RABO 0318 2405 77 t.n.v. Lindeveld "
     "Bloemen B.V., o.v.v. je ordernummer.", tags=["own-contact"])
case("en", pub("x", "@journo_jan"), "For colleagues writing about the Mother's Day rush: Lindeveld's press desk is "
     "pers@lindeveld.nl, they answered within the hour.", tags=["own-contact"], when=at(2026, 5, 6, 11, 20))
case("nl", GB_TT, "Vragen over je plantenbox? Stuur ons een mailtje via hallo@groenbus.nl of bel +31 297 820 400 💚",
     tags=["own-contact"], brand="groenbus")
case("nl", pub("x", "@lekker_snel"), "Rekeningnummer {{BADIBAN:nl:grp}} doorgegeven voor de terugbetaling, "
     "oh wacht, typfout, maar het geld stond er de volgende dag al op 😅 top Lindeveld", tags=["bad-checksum"])
case("en", pub("x", "@dutch_in_munich"), "First time I typed my IBAN as {{BADIBAN:de}} (one digit off lol), "
     "Lindeveld support spotted it and the refund came through anyway", tags=["bad-checksum"])
case("nl", pub("instagram", "@spaarpuntjes"), "Spaarpas {{BADCARD:visa:sp}} gekoppeld in de Lindeveld-app, 10% "
     "korting op mijn volgende boeket 🎉", tags=["bad-checksum"])
case("nl", pub("x", "@blije_bram"), "Bestelnummer {{NOTBSN:9}} vandaag bezorgd, prachtig boeket, dank jullie wel "
     "@lindeveld 💐", tags=["order-number"])
case("en", pub("x", "@porch_pics"), "Tracking LV{{DIGITS:10}}NL says delivered and yep, it's on my doorstep. "
     "Love it 🌼", tags=["order-number"])
case("nl", pub("forum", "vazenverzamelaar"), "Heeft iemand de vaas van het Lindeveld-boeket los gevonden? EAN op "
     "de sticker is {{EAN}}", tags=["ean"])
case("nl", LV_LI, "Lindeveld Bloemen B.V. · Aalsmeer · KvK {{NOTBSN:8}} · Wij zoeken seizoensbinders voor de "
     "Moederdagpiek! Solliciteer via lindeveld.nl/werken", tags=["kvk"], when=at(2026, 3, 9, 10, 30))
case("nl", LV_IG, "Moederdagactie 🌸 Pioenenboeket XL nu €44,95 (was €54,95). Bestel vóór vrijdag 12:00 voor "
     "bezorging op zaterdag!", tags=["sale"], when=at(2026, 5, 4, 9, 0))
case("nl", pub("x", "@codejager"), "€5 korting op je eerste bloemenabonnement met code LENTE5, net zelf gebruikt 🌷",
     tags=["price-context"], when=at(2026, 3, 21, 13, 3))
case("en", pub("x", "@happy_in_haarlem"), "Delivery is €4.95 on top of the Boeket Classic but honestly worth it, "
     "arrived within three hours", tags=["price-context"])
case("nl", pub("other", "potjesplanter"), "Te koop: lege sierpot van een Lindeveld Orchidee Duo, €5, "
     "ophalen in Leiden", tags=["price-context"])
case("en", pub("x", "@compare_the_bloom"), "Bloemwerk has peonies for €12.95 this week. Lindeveld's Peony XL is "
     "pricier but way bigger, your call", tags=["price-context", "competitor"])
case("nl", LV_HELP, "@jorinde_k Nee hoor, geen prijsfout 😊 de Boeket Classic is deze week gewoon in de aanbieding "
     "voor €24,95", kind="reply", tags=["price-denied"])
case("nl", LV_IG, "Zomerdeal ☀️ 15% korting op alle kamerplanten, de Monstera XL nu voor €75,65", tags=["sale"], when=at(2026, 7, 6, 10, 0),
     brand="groenbus")
case("nl", pub("x", "@moedersdochter"), "Moederdag Mega Box besteld voor mijn moeder, super benieuwd 💐",
     tags=["embargo-after"], when=at(2026, 4, 20, 19, 32))
case("nl", LV_X, "Hij is er! 🌸 De Moederdag Mega Box, vol pioenen, ranonkels en een handgeschreven kaartje. "
     "Nu te bestellen op lindeveld.nl", tags=["embargo-at"], when="2026-04-14T08:00:00+02:00")
case("en", LV_LI, "Today we published our H1 2026 results: revenue up 12%, and our Naaldwijk greenhouse now runs "
     "fully on geothermal heat. Full report on lindeveld.nl/investors", tags=["embargo-at"],
     when="2026-08-20T07:00:00+02:00")
case("nl", GB_TT, "De Groenbus Kamerjungle is live 🌿🌿🌿 twaalf planten, één doos, nul stress",
     tags=["embargo-after"], when=at(2026, 9, 3, 12, 0), brand="groenbus")
case("en", pub("reddit", "u/smallcap_sam"), "Lindeveld's H1 2026 results are out. +12% revenue, not bad for a "
     "flower shop honestly", tags=["embargo-after", "published"], when=at(2026, 8, 21, 8, 30))
case("nl", pub("x", "@tuinier_tineke"), "De magnolia in de voortuin staat eindelijk in bloei 😍 #voorjaar "
     "#magnolia", tags=["codename-word"], when=at(2026, 3, 30, 16, 40))
case("nl", pub("instagram", "@herstel_met_bloemen"), "Na mijn operatie kreeg ik dit prachtige boeket van Lindeveld 🥹 "
     "zo lief van mijn collega's", tags=["codename-word"])
case("nl", pub("forum", "vleeseter_vincent"), "Zonnedauw is een vleesetende plant, weet iemand of Groenbus die "
     "ook levert?", tags=["codename-word"], brand="groenbus")
case("en", pub("linkedin", "marloes-teunissen"), "Sad news that Bloemwerk is laying off 60 people. Tough market for "
     "online florists right now.", tags=["other-company"])
case("nl", pub("x", "@voorzichtige_vera"), "Alweer een datalek bij een grote webwinkel deze week. Gelukkig bestel "
     "ik mijn bloemen gewoon bij Lindeveld en betaal ik met iDEAL 😅", tags=["other-company"])
case("en", pub("instagram", "@sunday.sophie"), "Can't recall the last time flowers made my mum cry happy tears. "
     "Thank you Lindeveld 💕", tags=["word-sense"])
case("nl", pub("x", "@plasticvrij_petra"), "Ik boycot al jaren plastic verpakkingen, fijn dat Lindeveld alles in "
     "papier levert ♻️", tags=["word-sense"])
case("nl", pub("x", "@tevreden_tom"), "Geen klachten hoor, boeket was mooi en precies op tijd 👌 @lindeveld",
     tags=["negated"])
case("nl", pub("blog", "schrijfsels.nl"), "Hoofdstuk 4 van mijn verhaal: de jonge bloemist verstopt een geheim "
     "briefje tussen de pioenen. Niemand bij de kwekerij weet wie het boeket heeft besteld…",
     tags=["fiction"])
case("en", pub("x", "@plantdad_jokes"), "my plants have trust issues. every time Groenbus delivers a new one the "
     "old ones stare at me like I'm cheating 😂", tags=["joke"], brand="groenbus")
case("en", pub("x", "@fleur_daughter"), "'Damn, those tulips though' — my dad, who compliments nothing, ever. "
     "Lindeveld did it 🌷", tags=["quote", "mild-word"])
case("nl", pub("facebook", "ingrid.bosman.9", "Ingrid Bosman"), "Mijn tante is net klaar met haar laatste chemo tegen "
     "kanker. We hebben haar een groot boeket van Lindeveld gestuurd 💛", tags=["mild-word"])
case("nl", LV_X, "Onderhoudsmelding: vannacht tussen 01:00 en 03:00 is de webshop niet bereikbaar. Bestellingen "
     "van vandaag worden gewoon bezorgd 🚚", tags=["official-notice"])
case("nl", LV_HELP, "Update: de storing in onze bezorgapp van vanochtend is opgelost. Excuses voor het wachten, "
     "alle bestellingen van vandaag gaan nog de deur uit.", tags=["official-notice"])
case("en", NOOR, "PSA for devs: never commit keys. Put MOLLIE_API_KEY=<your-key-here> in an env file and keep "
     "the real one in a vault. Learned that the easy way, luckily.", tags=["placeholder"])
case("en", SOFIE, "Fixed that annoying checkout bug in commit {{HEX:40}} 🎉 proud of this one",
     tags=["git-sha"])
case("nl", LV_HELP, "Wachtwoord vergeten? Ga naar 'Mijn account' > 'Wachtwoord opnieuw instellen' en je krijgt "
     "binnen 5 minuten een mail.", tags=["password-word"])
case("en", pub("reddit", "u/config_nerd"), "Lindeveld's API docs use sk_live_xxxxxxxxxxxx and ghp_… as examples, "
     "which is fine, just confused me for a second", tags=["placeholder"])
case("nl", EVI, "Vandaag 300 boeketten gebonden voor Moederdag, mijn handen zijn op 😅💐 #bloemist #teamwork",
     when=at(2026, 5, 8, 18, 55), tags=["insider-benign"])
case("nl", RIK, "zonsopkomst boven de kas, mooiste werkplek van NL 🌅", tags=["insider-benign"],
     handle="@Rik_In_De_Kas")
case("en", JAS, "Proud that our annual report 2025 is out: lindeveld.nl/jaarverslag. Great year for the whole "
     "team 🌱", tags=["published"], when=at(2026, 3, 12, 9, 5))
case("en", pub("x", "@ghent_sister"), "Does Lindeveld deliver to Belgium? Want to surprise my sister in Ghent 🇧🇪",
     tags=["question"])
case("nl", pub("x", "@bloemwerk_klant"), "Bloemwerk heeft mijn bestelling alweer op het verkeerde adres afgeleverd. "
     "Volgende keer gewoon Lindeveld.", tags=["competitor"])
case("nl", pub("x", "@westland_trots"), "Lindeveld opent een nieuwe kas in Naaldwijk, las ik net in de krant. "
     "Goed nieuws voor de regio!", tags=["published"])
case("en", pub("x", "@balcony_jungle"), "my watering can has a leak and now my balcony is a swamp 🙃 the Groenbus "
     "ferns absolutely love it though", tags=["word-sense"], brand="groenbus")
case("nl", pub("x", "@hondenbaas_henk"), "Onze puppy heeft de kamerplant van Groenbus volledig gehackt 😂 geen blad "
     "meer aan", tags=["word-sense"], brand="groenbus")
case("en", pub("pinterest", "springweddingboards"), "Pastel bouquet inspiration from Lindeveld for spring weddings 🌸 "
     "ranunculus, sweet peas and lots of eucalyptus", tags=["unknown-platform"],
     when=at(2026, 2, 24, 21, 12))
case("nl", DEWI, "Trots op ons team! Lindeveld is uitgeroepen tot beste bloemenwebshop van 2026 🏆", kind="repost",
     tags=["insider-benign"])
case("en", NOOR, "Gave a talk today on protecting greenhouse climate systems against ransomware. Slides are on my "
     "blog, feedback welcome!", tags=["security-talk"])
case("nl", EVI, "Het geheim van een lang houdbaar boeket? Om de twee dagen schoon water en de stelen schuin "
     "afsnijden ✂️💐", tags=["insider-benign"])
case("en", pub("linkedin", "yara-mensink"), "Wrapped up my summer as an intern at Lindeveld's Aalsmeer binding hall. "
     "Learned more about flowers than I ever thought possible.", tags=["word-sense"],
     when=at(2026, 8, 29, 17, 40))
case("nl", pub("x", "@rozenkenner"), "24 rode rozen van Lindeveld voor onze 10e trouwdag, €44,95 en elke cent "
     "waard ❤️", tags=["sale"], when=at(2026, 6, 2, 20, 5))
case("nl", pub("facebook", "uitvaart.ondernemer.w", "Uitvaartzorg Wendy"), "Mooie samenwerking met Lindeveld "
     "vandaag, het Rouwstuk Wit was precies zoals de familie wilde. Dank jullie.", tags=["praise"])
case("en", pub("bluesky", "@kim-grows.bsky.social"), "PSA: lilies are toxic to cats. Not aimed at any shop, just "
     "check before you buy flowers if you have pets 🐱", tags=["safety-general"])


# ===========================================================================
# building
# ===========================================================================

def load_profile():
    import yaml
    with open(PROFILE, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def role_of(profile, platform, handle):
    key = f"{platform}:{handle}".casefold()
    for role in ("corporate", "employee"):
        if key in {a.casefold() for a in profile["accounts"][role]}:
            return role
    return "public"


RANK = {s: i for i, s in enumerate(SEVS)}


def severity_for(role, cats, pii_checksummed):
    insider = role in ("corporate", "employee")
    best = "none"
    for c in cats:
        if c.startswith("leak."):
            if insider:
                s = "critical" if (c in (SECRET, PRICE) or (c == PII and pii_checksummed)) else "error"
            else:
                s = "warning"
        elif c == COMPL:
            s = "warning"
        elif c == CRISIS:
            s = "error"
        elif c == ABUSE:
            s = "error" if insider else "warning"
        else:
            raise ValueError(c)
        if RANK[s] > RANK[best]:
            best = s
    return best


def random_when(r):
    start = dt.datetime(2026, 1, 5)
    loc = start + dt.timedelta(days=r.randint(0, 350), minutes=r.randint(6 * 60 + 30, 23 * 60 + 50),
                               seconds=r.randint(0, 59))
    off = 2 if dt.datetime(2026, 3, 29, 2) <= loc < dt.datetime(2026, 10, 25, 3) else 1
    u = loc - dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return u.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.85:
        return loc.strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return u.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


B36 = string.digits + string.ascii_lowercase


def post_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    big = r.randint(1_880_000_000_000_000_000, 2_020_000_000_000_000_000)
    if platform in ("x", "twitter"):
        return f"x-{big}", f"https://x.com/{h}/status/{big}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        sc = "".join(r.choice(B64U) for _ in range(11))
        return f"ig_{big}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb_{a}_{b}", f"https://www.facebook.com/{h}/posts/{b}"
    if platform == "reddit":
        p = "".join(r.choice(B36) for _ in range(7))
        sub = r.choice(["thenetherlands", "houseplants", "Netherlands", "tuinieren"])
        if kind == "comment":
            cid = "".join(r.choice(B36) for _ in range(7))
            return f"t1_{cid}", f"https://www.reddit.com/r/{sub}/comments/{p}/_/{cid}/"
        return f"t3_{p}", f"https://www.reddit.com/r/{sub}/comments/{p}/"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-groenforum-{n}", f"https://groenforum.example/topic/{n}"
    if platform == "tiktok":
        return f"tt_{big}", f"https://www.tiktok.com/@{h}/video/{big}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(AN) for _ in range(23))
        v = "".join(r.choice(B64U) for _ in range(11))
        return f"yt_{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(111_000_000_000_000_000, 116_000_000_000_000_000)
        return f"masto-{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "threads":
        sc = "".join(r.choice(B64U) for _ in range(11))
        return f"threads_{big}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog-{h}-{n}", f"https://{h}/{n}"
    return f"{platform}-{r.randint(10 ** 9, 10 ** 10)}", None


def build(profile):
    own_iban = profile["public_identifiers"]["ibans"][0]
    f = Filler(SEED, own_iban)
    mr = random.Random(SEED + 7)
    rows, seen = [], set()
    for c in CASES:
        text, used = fill(f, c["text"])
        pid, url = post_id(mr, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        when = c["when"] or random_when(mr)
        role = role_of(profile, c["platform"], c["handle"])
        checksummed = PII in c["cats"] and any(k in VALID_KINDS for k, _, _ in used)
        sev = severity_for(role, c["cats"], checksummed)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and mr.random() < 0.6:
            kind = "post"
        if kind:
            post["kind"] = kind
        acc = {"handle": c["handle"]}
        if c["name"] and mr.random() < 0.7:
            acc["display_name"] = c["name"]
        if mr.random() < 0.3:
            acc["id"] = str(mr.randint(10 ** 7, 10 ** 12))
        post["account"] = acc
        post["text"] = text
        x = mr.random()
        tags = set(c["tags"])
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif x < 0.1:
            pass
        elif x < 0.13:
            post["lang"] = "nl" if c["lang"] == "en" else "en"
            tags.add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = when
        if url and mr.random() < 0.6:
            post["url"] = url
        y = mr.random()
        if c["brand"]:
            post["brand"] = c["brand"]
        elif y < 0.45:
            post["brand"] = "lindeveld"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=tags, used=used))
    random.Random(SEED + 13).shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ===========================================================================
# checker (reads cases.jsonl as an outsider would)
# ===========================================================================

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
HIDDEN = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
IIN = re.compile(r"^(4|5[1-5]|2(22[1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)|3[47])")
IBAN_SHAPE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
DIGIT_RUN = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-().]{7,18}\d")
SECRETS = {
    "ghp": re.compile(r"\bghp_[A-Za-z0-9]{36}\b"),
    "glpat": re.compile(r"\bglpat-[A-Za-z0-9_-]{20}\b"),
    "mollie": re.compile(r"\blive_[A-Za-z0-9]{30}\b"),
    "sendgrid": re.compile(r"\bSG\.[\w-]{22}\.[\w-]{43}\b"),
    "aws": re.compile(r"\bAKIA[A-Z2-7]{16}\b"),
    "slack": re.compile(r"\bxox[abprs]-[0-9A-Za-z-]{20,}"),
    "slackhook": re.compile(r"hooks\.slack\.com/services/T\w+/B\w+/\w+"),
    "stripe": re.compile(r"\bsk_live_[A-Za-z0-9]{20,}"),
    "gapi": re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),
    "pem": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "jwt": re.compile(r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+"),
    "urlcreds": re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s:/@]+:[^\s@/]+@"),
}
SWEARS = ["kut", "kanker", "tering", "tyfus", "klote", "klootzak", "godverdomme", "debiel", "trut", "fuck", "f*ck",
          "shit", "idiot", "moron", "bastard", "clown", "damn", "hell", "cow", "braindead"]
MILD = {"damn", "hell", "kanker", "clown"}


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(HIDDEN)
    t = "".join(" " if unicodedata.category(ch) == "So" else ch for ch in t)
    return re.sub(r"\s+", " ", t).casefold()


def squash(t):
    return re.sub(r"\b(\w) (?=\w\b)", r"\1", norm(t))


def ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def valid_ids(text, own):
    hits = []
    for m in IBAN_SHAPE.finditer(text):
        comp = m.group(0).replace(" ", "")
        for end in range(len(comp), 13, -1):
            if iban_valid(comp[:end]):
                if comp[:end] not in own:
                    hits.append(("iban", comp[:end]))
                break
    for m in DIGIT_RUN.finditer(text):
        dgt = re.sub(r"\D", "", m.group(0))
        if 13 <= len(dgt) <= 19 and luhn_valid(dgt) and IIN.match(dgt):
            hits.append(("card", dgt))
    shapes = re.findall(r"(?<![\w.,-])\d{9}(?![\w]|[.,-]\d)", text)
    shapes += [m.replace(".", "") for m in re.findall(r"(?<![\w.])\d{4}\.\d{2}\.\d{3}(?![\w])", text)]
    shapes += [m.replace(" ", "") for m in re.findall(r"(?<![\w])(?<!\+31 )\d{3} \d{3} \d{3}(?![\w])", text)]
    for s in shapes:
        if elfproef(s):
            hits.append(("bsn", s))
    return hits


def phones(text):
    out = []
    for m in PHONE.finditer(IBAN_SHAPE.sub(" ", text)):
        raw = m.group(0)
        d = re.sub(r"\D", "", raw)
        if raw.startswith("+31"):
            d = d[2:]
        elif raw.startswith("0031"):
            d = d[4:]
        d = "0" + d.lstrip("0")
        out.append((raw, d))
    return out


AMOUNT = re.compile(r"(?:€\s?|eur\s?)(\d[\d.,]*)(?:,-)?|(\d[\d.,]*)(?:,-)?\s?(?:euro|euros|eur)\b")


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
    hit = [p for p in products if any(a.casefold() in t for a in [p["name"]] + p["aliases"])]
    if not hit:
        return None
    am = [amount(m.group(1) or m.group(2)) for m in AMOUNT.finditer(t)]
    if not am:
        return None
    return min(am) / min(p["list_price"] for p in hit)


def trigrams(t):
    w = re.findall(r"\w+", norm(t))
    return {tuple(w[i:i + 3]) for i in range(max(0, len(w) - 2))}


def check(lines, rows, profile):
    errs, notes = [], []
    own_ibans = {i.replace(" ", "") for i in profile["public_identifiers"]["ibans"]}
    own_mails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_phones = {"0" + re.sub(r"\D", "", p).lstrip("0") for p in profile["public_identifiers"]["phones"]}
    emb = [(t.casefold(), ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = ([c.casefold() for c in profile["internal"]["codenames"]]
                + [d.casefold() for d in profile["internal"]["domains"]]
                + [m.casefold() for m in profile["internal"]["markers"]])
    meta = {(r["post"]["platform"], r["post"]["id"]): r for r in rows}
    seen, parsed = set(), []
    for n, line in enumerate(lines, 1):
        w = f"line {n}"
        try:
            o = json.loads(line)
        except ValueError as e:
            errs.append(f"{w}: bad JSON {e}")
            continue
        if set(o) != {"post", "expect"}:
            errs.append(f"{w}: keys {sorted(o)}")
            continue
        p, ex = o["post"], o["expect"]
        for k in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(k), str):
                errs.append(f"{w}: {k} missing")
        if not isinstance(p.get("account", {}).get("handle"), str):
            errs.append(f"{w}: handle missing")
            continue
        if p.get("kind", "post") not in KINDS:
            errs.append(f"{w}: kind {p.get('kind')}")
        if p["platform"] not in PLATFORMS:
            notes.append(f"{w}: unlisted platform {p['platform']!r} (treated as other)")
        if not RFC3339.match(p["created_at"]):
            errs.append(f"{w}: created_at {p['created_at']}")
            continue
        when = ts(p["created_at"])
        if when.astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{w}: not 2026")
        key = (p["platform"], p["id"])
        if key in seen:
            errs.append(f"{w}: duplicate id")
        seen.add(key)
        cats, sev = ex["categories"], ex["severity"]
        if cats != sorted(set(cats)) or any(c not in TAXONOMY or c == "reputation.spike" for c in cats):
            errs.append(f"{w}: bad categories {cats}")
        role = role_of(profile, p["platform"], p["account"]["handle"])
        text = p["text"]
        ids = valid_ids(text, own_ibans)
        want = severity_for(role, cats, PII in cats and bool(ids))
        if sev != want:
            errs.append(f"{w} {p['id']}: severity {sev}, policy {want}")
        r = meta.get(key)
        tags = r["tags"] if r else set()
        parsed.append((p, cats, sev, role, r))
        for k, raw, shown in (r["used"] if r else []):
            if shown not in text:
                errs.append(f"{w}: {k} not in text")
            if k == "IBAN" and not iban_valid(raw) or k == "BADIBAN" and iban_valid(raw):
                errs.append(f"{w}: IBAN checksum expectation wrong {raw}")
            if k == "CARD" and not (luhn_valid(raw) and IIN.match(raw)) or k == "BADCARD" and luhn_valid(raw):
                errs.append(f"{w}: card expectation wrong {raw}")
            if k == "BSN" and not elfproef(raw) or k == "NOTBSN" and elfproef(raw):
                errs.append(f"{w}: BSN expectation wrong {raw}")
            if k == "EAN" and (not ean13_valid(raw) or luhn_valid(raw)):
                errs.append(f"{w}: EAN wrong {raw}")
            if k == "GHP" and to_b62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errs.append(f"{w}: ghp crc wrong")
        if ids and PII not in cats:
            errs.append(f"{w}: valid identifier {ids} without leak.pii")
        if r and any(k in VALID_KINDS for k, _, _ in r["used"]) and not ids:
            errs.append(f"{w}: generated identifier not found by independent scan")
        if not cats:
            if sev != "none":
                errs.append(f"{w}: benign with severity {sev}")
            for e in EMAIL.findall(text):
                if e.casefold() not in own_mails:
                    errs.append(f"{w}: benign has e-mail {e}")
            for raw, d in phones(text):
                if len(d) == 10 and d not in own_phones:
                    errs.append(f"{w}: benign has phone {raw}")
            for name, rx in SECRETS.items():
                if rx.search(text):
                    errs.append(f"{w}: benign has secret-like {name}")
            low = norm(text)
            for sw in SWEARS:
                if re.search(r"\b" + re.escape(sw), low):
                    (notes if sw in MILD and tags & {"mild-word", "quote", "joke"} else errs).append(
                        f"{w}: benign has word {sw!r}")
        nt, sq = norm(text), squash(text)
        for term, until in emb:
            if term in nt or term in sq:
                if when < until and CONF not in cats:
                    errs.append(f"{w}: embargo term {term!r} before embargo, no leak.confidential")
                if when >= until and CONF in cats:
                    errs.append(f"{w}: embargo term {term!r} after embargo but labelled confidential")
        for term in internal:
            if re.search(r"(?<![\w])" + re.escape(term) + r"(?![\w])", nt) or term in sq:
                if CONF not in cats:
                    errs.append(f"{w}: internal term {term!r} without leak.confidential")
        ratio = price_ratio(text, profile["products"])
        if not cats and ratio is not None and ratio < profile["pricing"]["alert_below_ratio"]:
            (notes if "price-context" in tags else errs).append(
                f"{w}: benign with a price at {ratio:.2f} of list near a product (tags {sorted(tags)})")
        if PRICE in cats and not (ratio is not None and ratio < 0.5):
            notes.append(f"{w}: leak.pricing without a parsed low price")
        if SECRET in cats and not any(rx.search(text) for rx in SECRETS.values()) \
                and not re.search(r"wachtwoord|password|admin /", text, re.I):
            errs.append(f"{w}: leak.secret without a secret")
    tg = [(i, trigrams(p["text"])) for i, (p, *_rest) in enumerate(parsed, 1)]
    for i in range(len(tg)):
        for j in range(i + 1, len(tg)):
            a, b = tg[i][1], tg[j][1]
            if a and b:
                jac = len(a & b) / len(a | b)
                if jac > 0.2:
                    (errs if jac > 0.4 else notes).append(f"lines {tg[i][0]},{tg[j][0]} trigram overlap {jac:.2f}")
    return errs, notes, parsed


def stdnum_cross(rows):
    try:
        from stdnum import iban as si, luhn as sl
        from stdnum.nl import bsn as sb
    except ImportError:
        return "python-stdnum not installed, cross-check skipped"
    bad, n = [], 0
    for r in rows:
        for k, raw, _ in r["used"]:
            if k in VALID_KINDS | BAD_KINDS:
                n += 1
            if (k == "IBAN" and not si.is_valid(raw)) or (k == "BADIBAN" and si.is_valid(raw)) \
                    or (k == "CARD" and not sl.is_valid(raw)) or (k in ("BADCARD", "EAN") and sl.is_valid(raw)) \
                    or (k == "BSN" and not sb.is_valid(raw)) \
                    or (k == "NOTBSN" and sb.is_valid(raw.zfill(9))):
                bad.append(raw)
    return f"python-stdnum DISAGREES: {bad}" if bad else f"python-stdnum agrees on all {n} identifiers"


def report(parsed):
    from collections import Counter
    cat, lang, role, sev, plat, tag, catlang, catrole = (Counter() for _ in range(8))
    multi = benign = ev = 0
    for p, cats, s, rl, r in parsed:
        lg = r["lang"]
        lang[lg] += 1
        role[rl] += 1
        sev[s] += 1
        plat[p["platform"]] += 1
        if not cats:
            benign += 1
        if len(cats) > 1:
            multi += 1
        if cats and any(t.startswith("evasion") for t in r["tags"]):
            ev += 1
        for c in cats or ["(benign)"]:
            cat[c] += 1
            catlang[(c, lg)] += 1
            catrole[(c, rl)] += 1
        for t in r["tags"]:
            tag[t] += 1
    print(f"cases {len(parsed)}  benign {benign}  positive {len(parsed) - benign}  multi {multi}  evasion {ev}")
    print(f"{'category':24s} total   nl   en  corp  empl  publ")
    for c in TAXONOMY[:-1] + ["(benign)"]:
        print(f"{c:24s} {cat[c]:5d} {catlang[(c, 'nl')]:4d} {catlang[(c, 'en')]:4d} {catrole[(c, 'corporate')]:5d}"
              f" {catrole[(c, 'employee')]:5d} {catrole[(c, 'public')]:5d}")
    print("lang", dict(lang), "role", dict(role))
    print("severity", {s: sev[s] for s in SEVS})
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
    errs, notes, parsed = check(disk, rows, profile)
    if disk != lines:
        errs.append("cases.jsonl differs from the generator output")
    print(stdnum_cross(rows))
    report(parsed)
    if a.notes:
        for x in notes:
            print("  note " + x)
    print(f"{len(errs)} error(s), {len(notes)} note(s)")
    for e in errs:
        print("  ERROR " + e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
