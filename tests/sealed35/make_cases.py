#!/usr/bin/env python3
"""Deterministic generator for the sealed35 blind evaluation set of postwatch.

    python3 make_cases.py            # (re)write cases.jsonl next to this file
    python3 make_cases.py --check    # regenerate in memory, compare with cases.jsonl,
                                     # validate every line, print counts

Company: "Muntwerf Payments B.V." (profile.yaml), a fictional Dutch payment
service provider for webshops and shops (terminals, checkout links, payouts,
chargebacks, merchant dashboard, WerfLater pay-later).

All texts are hand-written below (CASES). Identifiers and secrets are filled in
from placeholders like <<IBAN_NL>> by a seeded RNG, so output is byte-for-byte
reproducible. Positives get checksum-VALID identifiers (IBAN mod-97, Luhn,
BSN 11-proof); hard negatives get look-alikes that FAIL their checksum. Secrets
are random and fake, shaped like real ones (ghp_ tokens carry a correct CRC32).

Severity is never typed by hand: it is computed from CONTRACT section 4 using the
account role (profile.yaml, platform:handle, case-insensitive), the categories,
and whether a checksum-validated identifier (IBAN, card, BSN) is in the post.
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

SEED = 35_2026_1129
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

TAXONOMY = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]
SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
KINDS = ["post", "reply", "repost", "comment", "message"]

ZW = "\u200b"    # zero-width space
SHY = "\u00ad"   # soft hyphen
CYR = str.maketrans({"a": "\u0430", "e": "\u0435", "o": "\u043e", "p": "\u0440", "c": "\u0441"})


def cyr(s):
    """Swap some Latin letters for Cyrillic look-alikes."""
    return s.translate(CYR)


def fullwidth(s):
    return "".join("\u3000" if ch == " " else chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in s)


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------

def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    num = "".join(str(int(c, 36)) for c in s[4:] + s[:4])
    return int(num) % 97 == 1


def iban_make(cc, bban):
    num = "".join(str(int(c, 36)) for c in bban + cc + "00")
    return f"{cc}{98 - int(num) % 97:02d}{bban}"


def luhn_ok(d):
    d = re.sub(r"\D", "", d)
    tot = 0
    for i, ch in enumerate(reversed(d)):
        x = int(ch)
        if i % 2:
            x = x * 2 - 9 if x > 4 else x * 2
        tot += x
    return bool(d) and tot % 10 == 0


def luhn_finish(p):
    return next(p + c for c in "0123456789" if luhn_ok(p + c))


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    tot = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return tot % 11 == 0 and tot != 0


def ean13_ok(s):
    return (sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(s[:12])) + int(s[12])) % 10 == 0


# ---------------------------------------------------------------------------
# seeded values
# ---------------------------------------------------------------------------

ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
OWN_IBANS = {"NL29RABO0317264805", "NL66ABNA0842913367"}


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


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
        while True:
            if cc == "NL":
                v = iban_make("NL", self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "ASNB", "KNAB", "BUNQ", "TRIO"])
                              + self.d(10, True))
            elif cc == "DE":
                v = iban_make("DE", self.r.choice(["50010517", "37040044", "76026000", "12030000"]) + self.d(10))
            elif cc == "BE":
                f = self.r.choice(["001", "063", "310", "737", "973"]) + self.d(7)
                v = iban_make("BE", f + f"{int(f) % 97 or 97:02d}")
            elif cc == "GB":
                v = iban_make("GB", self.r.choice(["BARC", "LOYD", "NWBK", "MONZ"]) + self.d(14))
            else:
                raise ValueError(cc)
            if v not in OWN_IBANS:
                return v

    def bad_iban(self, cc):
        v = self.iban(cc)
        k = int(v[2:4])
        for delta in (7, 19, 31, 45, 53, 61):
            cand = f"{v[:2]}{(k + delta) % 100:02d}{v[4:]}"
            if not any(iban_ok(cand[:e]) for e in range(12, len(cand) + 1)):
                return cand
        raise AssertionError

    # cards
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
        assert not luhn_ok(b)
        return b

    @staticmethod
    def fmt_card(v, f):
        if f == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if f == "dash" else " ").join(parts)

    def bsn(self):
        while True:
            s = self.d(9, True)
            if bsn_ok(s):
                return s

    def no_id(self, n):
        """n digits that pass neither the 11-proof nor Luhn (order numbers, KvK, ...)."""
        while True:
            s = self.d(n, True)
            if not bsn_ok(s) and not luhn_ok(s):
                return s

    def ean13(self):
        while True:
            body = "87" + self.d(10)
            v = next(body + c for c in "0123456789" if ean13_ok(body + c))
            if not luhn_ok(v) and not bsn_ok(v):
                return v

    def phone(self, fmt):
        m = self.r.choice("1234568") + self.d(7)      # 8 digits after the 06
        area = self.r.choice(["10", "20", "30", "40", "50", "70", "72", "73", "76", "38", "55", "58"])
        sub = self.r.choice("2345789") + self.d(6)
        return {
            "mob_sp": f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}",
            "mob_dash": f"06-{m}",
            "mob_plain": f"06{m}",
            "mob_intl": f"+31 6 {m[:4]} {m[4:]}",
            "mob_intl0": f"+31 (0)6 {m}",
            "land_dash": f"0{area}-{sub}",
            "land_sp": f"0{area} {sub[:3]} {sub[3:]}",
        }[fmt]

    def passport(self):
        letters = "ABCDEFGHIJKLMNPQRSTUVWXYZ"
        return self.c(letters, 2) + self.c(letters + string.digits.replace("0", ""), 6) + self.d(1)

    # secrets
    def ghp(self):
        body = self.c(ALNUM, 30)
        return "ghp_" + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def glpat(self):
        return "glpat-" + self.c(ALNUM + "_-", 20)

    def aws_id(self):
        return "AKIA" + self.c(B32, 16)

    def aws_secret(self):
        return self.c(B64, 40)

    def sk_live(self):
        return "sk_live_51" + self.c(ALNUM, 97)

    def rk_live(self):
        return "rk_live_51" + self.c(ALNUM, 97)

    def whsec(self):
        return "whsec_" + self.c(ALNUM, 32)

    def sendgrid(self):
        return "SG." + self.c(B64URL, 22) + "." + self.c(B64URL, 43)

    def slack_bot(self):
        return f"xoxb-{self.d(12, True)}-{self.d(13, True)}-{self.c(ALNUM, 24)}"

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return f"https://hooks.slack.com/services/T{self.c(up, 10)}/B{self.c(up, 10)}/{self.c(ALNUM, 24)}"

    def gapi(self):
        return "AIzaSy" + self.c(B64URL, 33)

    def jwt(self):
        h = b64url(b'{"alg":"HS256","typ":"JWT"}')
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        p = b64url(json.dumps({"sub": "usr_" + self.c(string.ascii_lowercase + string.digits, 10),
                               "iss": "dashboard.muntwerf.nl", "scope": "disputes:write payouts:read",
                               "iat": iat, "exp": iat + 3600}, separators=(",", ":")).encode())
        return f"{h}.{p}.{self.c(B64URL, 43)}"

    def pem_ec(self):
        body = "MHcCAQEEI" + self.c(B64, 55) + "\n" + "oAoGCCqGSM49AwEHoUQDQgAE" + self.c(B64, 40) + "\n" + \
               self.c(B64, 22) + "=="
        return "-----BEGIN EC PRIVATE KEY-----\n" + body + "\n-----END EC PRIVATE KEY-----"

    def pw(self):
        return (self.r.choice("BKMPRSTVZ") + self.c(string.ascii_lowercase, 4) + self.r.choice("!*_~")
                + self.d(3) + self.c(ALNUM, 4))

    def hexs(self, n):
        return self.c("0123456789abcdef", n)


VALID_ID_KINDS = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "IBAN_GB", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(gen, text):
    used = []

    def sub(m):
        kind, fmt = m.group(1), m.group(2) or ""
        if kind.startswith("IBAN_"):
            raw = gen.iban(kind[5:])
            shown = gen.g4(raw) if fmt == "grp" else raw
        elif kind.startswith("BADIBAN_"):
            raw = gen.bad_iban(kind[8:])
            shown = gen.g4(raw) if fmt == "grp" else raw
        elif kind == "CARD":
            brand, _, f = fmt.partition("_")
            raw = gen.card(brand)
            shown = gen.fmt_card(raw, f or "sp")
        elif kind == "BADCARD":
            brand, _, f = fmt.partition("_")
            raw = gen.bad_card(brand)
            shown = gen.fmt_card(raw, f or "sp")
        elif kind == "BSN":
            raw = gen.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if fmt == "dots" else raw
        elif kind == "NOID":
            raw = shown = gen.no_id(int(fmt))
        elif kind == "EAN13":
            raw = shown = gen.ean13()
        elif kind == "PHONE":
            raw = shown = gen.phone(fmt)
        elif kind == "PASSPORT":
            raw = shown = gen.passport()
        elif kind == "HEX":
            raw = shown = gen.hexs(int(fmt))
        else:
            fn = {"GHP": gen.ghp, "GLPAT": gen.glpat, "AWS_ID": gen.aws_id, "AWS_SECRET": gen.aws_secret,
                  "SK_LIVE": gen.sk_live, "RK_LIVE": gen.rk_live, "WHSEC": gen.whsec, "SENDGRID": gen.sendgrid,
                  "SLACK_BOT": gen.slack_bot, "SLACK_HOOK": gen.slack_hook, "GAPI": gen.gapi, "JWT": gen.jwt,
                  "PEM_EC": gen.pem_ec, "PW": gen.pw}[kind]
            raw = shown = fn()
        used.append((kind, raw, shown))
        return shown

    return PH.sub(sub, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

# corporate
MW = ("x", "@muntwerf", "Muntwerf")
MW_SUP = ("x", "@muntwerf_support", "Muntwerf Support")
MW_LI = ("linkedin", "muntwerf-payments", "Muntwerf Payments B.V.")
MW_IG = ("instagram", "@muntwerf.nl", "Muntwerf")
MW_FB = ("facebook", "MuntwerfPayments", "Muntwerf Payments")
MW_TH = ("threads", "@muntwerf.nl", "Muntwerf")
# employees
LD = ("x", "@lotte_dekker_mw", "Lotte Dekker")                     # support team lead
BH = ("linkedin", "bas-hoogendoorn-muntwerf", "Bas Hoogendoorn")    # risk & chargebacks
RC = ("x", "@ruben_codeert", "Ruben Smit")                          # backend dev, payouts
YB = ("linkedin", "yara-benali", "Yara Benali")                     # finance / FP&A
KL = ("x", "@kimvdlinden", "Kim van der Linden")                    # account manager
TT = ("reddit", "u/terminal_tinus", None)                           # field engineer
NK = ("instagram", "@noor.op.kantoor", "Noor")                      # office & people


def pub(platform, handle, dn=None):
    return (platform, handle, dn)


CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    platform, handle, dn = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, dn=dn, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", KL, "Telefoon staat roodgloeiend 😅 in de webshop staat de Baken Pro voor €59,90 i.p.v. €599. "
     "Komma verschoven bij de import denk ik. Graag even niet rondsturen tot het gefixt is 🙏", [PRICING])
case("en", pub("reddit", "u/kaasboer_ecom"), "Is anyone else seeing this? Muntwerf Winkelstart bundle comes out at €89 "
     "at checkout for me, normally it's 899. glitch or are they THAT desperate for merchants lol. ordered 2 for my "
     "shops just in case", [PRICING], kind="post")
case("nl", pub("x", "@sjaak_verkoopt"), "Bonprinter P1 voor €12,90 bij Muntwerf 🤔🤔 dat is toch een prijsfout? "
     "heb er maar vast 3 in m'n mandje gegooid #prijsfout #ondernemen", [PRICING])
case("nl", TT, "Kan bevestigen dat dit fout is haha, de Baken T2 hoort echt geen 34,90 te kosten. Wij in de "
     "buitendienst kregen net een mail erover. Reken er maar op dat die orders geannuleerd worden",
     [PRICING], kind="comment")
case("en", RC, "shipped the new pricing service today and ofc Dashboard Plus yearly licence is now €2.40 in prod 🙃 "
     "rolling back, pls nobody buy 100 of them", [PRICING])
case("nl", MW_IG, "🎉 Alleen dit weekend: de Tik mini kaartlezer voor €19!\nStart vandaag nog met pinnen op de markt, "
     "in je salon of foodtruck 💳\n👉 link in bio #muntwerf #ondernemen", [PRICING])
case("en", pub("facebook", "marco.bakery.tilburg", "Marco Rietveld"), "Anyone here order the Baken T2 when it was "
     "listed at 3,49 on the Muntwerf site last night? Got an order confirmation so fingers crossed they ship 🤞",
     [PRICING], kind="comment")
case("nl", pub("tiktok", "@ondernemende.eva"), "p r ij s f o u t bij muntwerf!!! Winkelstart kit voor 99 euro 😱😱 "
     "rennen mensen #kleineondernemer #prijsfout", [PRICING], tags=["evasion", "evasion:spaced"])
case("nl", pub("x", "@deal_dirk"), "Bakën Pro terminal voor € 60,- 🤑 muntwerf heeft een fóutje gemaakt volgens mij",
     [PRICING], tags=["evasion", "evasion:diacritics"])
case("en", LD, f"psst team 🤫 the pri{ZW}cing bug is back: Tik mini shows €6.90 in the Belgian shop. Ticket's open, "
     "please don't share", [PRICING], tags=["evasion", "evasion:zero-width"])
case("nl", YB, "Ter info voor collega's die me hier volgen: door een fout in de prijstabel zijn gisteren 41 Winkelstart "
     "bundels de deur uit gegaan voor €89,90 per stuk. Sales belt de kopers vandaag. Verder graag niet delen.",
     [PRICING])
case("nl", pub("forum", "Kassa_Kees"), "[Prijsfout?] Muntwerf Bonprinter P1 – €1,29\n\nNormaal 129 euro. Bestelling "
     "bevestigd en al betaald met iDEAL. Iemand ervaring of ze dit soort orders leveren?", [PRICING])
case("en", pub("x", "@retailnerd_ams"), "lmao Muntwerf has the Baken Pro at the wrong price on their site, like 90% off. "
     "screenshotted it before someone in Amsterdam wakes up", [PRICING])
case("nl", RC, "Baken T2 staat voor €34,90 in de shop, zie jira.muntwerf.io/browse/PAY-2291. Wie heeft er aan de "
     "prijsfeed gezeten?? 😤", [PRICING, CONF], handle_as="@Ruben_Codeert")

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", RC, "why is the payout worker throwing 401s since lunch?? header is literally\n"
     "Authorization: Bearer <<RK_LIVE>>\nworks fine on my laptop 🤷‍♂️", [SECRET])
case("nl", RC, "Oké wie heeft dit in de README van de terminal-sync repo gezet 😩\n\n"
     "DATABASE_URL=postgres://payouts_rw:<<PW>>@db-payouts-02.intra.muntwerf.local:5432/payouts\n\n"
     "ik roteer hem zo wel, maar kom op mensen", [SECRET, CONF])
case("en", TT, "PSA for other field techs: if the firmware pull fails halfway, it's probably your gitlab token. "
     "mine (<<GLPAT>>) had expired mid rollout lol. made a new one, all good now", [SECRET], kind="comment")
case("nl", LD, "Is het wachtwoord van het gedeelde support-account nou alweer veranderd?? Volgens het briefje op de "
     "monitor is het nu <<PW>> 🙄 wie doet dit", [SECRET])
case("en", pub("forum", "woo_wizard"), "Integrating Muntwerf checkout links in WooCommerce, keep getting 'invalid "
     "signature' on every webhook. Secret is <<WHSEC>>, I'm verifying with hmac sha256 over the raw body. "
     "What am I missing?", [SECRET])
case("en", pub("reddit", "u/bytesnooper"), "lol found this in a public repo called muntwerf-demo-shop:\n\n"
     "aws_access_key_id = <<AWS_ID>>\naws_secret_access_key = <<AWS_SECRET>>\n\nsomeone's getting a call on monday",
     [SECRET], kind="comment")
case("nl", RC, "Alert-kanaal spamt weer de hele nacht. Webhook is <<SLACK_HOOK>> als iemand hem even wil dempen, "
     "ik lig in bed", [SECRET])
case("en", BH, "Reviewing 200+ disputes today and the dashboard session keeps dying after an hour. Pasting my token "
     "so IT can see what's up: <<JWT>> #chargebacks #fraudprevention", [SECRET])
case("en", RC, "can someone explain why openssl refuses this key for signing our settlement files?\n\n<<PEM_EC>>\n\n"
     "it's the one from the staging box, doesn't matter", [SECRET])
case("nl", pub("forum", "Webshop_Willemijn"), "Help! Na de update van de plugin werkt mijn Muntwerf live key niet "
     "meer: <<SK_LIVE>>\nFoutmelding 'unauthorized'. Iemand een idee?", [SECRET])
case("nl", KL, "Nieuwe mailtemplate voor merchants getest via SendGrid 💌 key <<SENDGRID>> stond nog in m'n klembord "
     "haha, ziet er top uit trouwens", [SECRET])
case("en", MW_SUP, "@hanna_handmade could you try this call and tell us what you get back?\n"
     "curl -u <<SK_LIVE>>: https://api.muntwerf.com/v1/payouts", [SECRET], kind="reply",
     handle_as="@MuntWerf_Support")
case("en", RC, "gh cli keeps logging me out on the build box, set GH_TOKEN=<<GHP>> in the env and now it works. "
     "devops is fun", [SECRET])
case("en", RC, "incident channel rn: attacker used a leaked key (<<AWS_ID>>) to list our settlement buckets, "
     "we're revoking everything. not public yet so shhh", [SECRET, SEC])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", MW_SUP, "@jverhoeven_bloemen We storten het bedrag van de chargeback terug op <<IBAN_NL:grp>>, "
     "klopt dat rekeningnummer nog? Dan zetten we het vandaag in gang 💐", [PII], kind="reply")
case("en", BH, "Fun day in risk 🕵️ a fraudster tried card <<CARD:visa_sp>>, fourteen times in 3 minutes on one small "
     "webshop. Our velocity rules caught it. Love this job", [PII])
case("nl", KL, "Nieuwe klant binnen 🎉 Bakkerij Jansen in Deventer! Mark, als je dit leest: ik bel je morgen op "
     "<<PHONE:mob_dash>> voor de installatie", [PII])
case("nl", NK, "Welkom aan onze nieuwe collega Sara Öztürk 🎂🎈 ze is geboren op 14-03-1996, dus volgende week "
     "taart! #teammuntwerf", [PII])
case("en", LD, "can someone from finance please reach out to peter.vermeulen84@gmail.com? he's been waiting on a "
     "payout correction since tuesday", [PII])
case("nl", BH, "KYC-check loopt vast bij een nieuwe merchant: de UBO heeft BSN <<BSN:dots>> opgegeven maar de naam "
     "op het paspoort is anders. Iemand dit eerder gehad?", [PII])
case("en", MW_FB, "Hi Anouk, we found your refund! It will be sent to <<IBAN_DE>> within 2 working days. "
     "Sorry for the wait 🙏", [PII], kind="reply")
case("nl", TT, "Vandaag terminal omgewisseld bij mevrouw Ans de Graaf, Lindenlaan 14 in Apeldoorn. Ze had de oude "
     "al 9 jaar, ze was er bijna emotioneel van 😄", [PII], kind="post")
case("nl", pub("x", "@tuincentrum_floor"), "@muntwerf_support al 9 dagen geen uitbetaling op <<IBAN_NL:grp>>! "
     "Wat is er aan de hand?? Ik moet mijn personeel betalen", [PII, COMPLAINT], kind="reply")
case("en", pub("x", "@dani_k_"), "WerfLater charged me twice on my card <<CARD:mc_sp>> for one order. "
     "@muntwerf_support refund please, this is the second time", [PII, COMPLAINT])
case("nl", pub("facebook", "gerda.smulders.5", "Gerda Smulders"), "Muntwerf, bel me maar terug op <<PHONE:mob_sp>>. "
     "Ik wacht al 3 dagen op een reactie over mijn WerfLater-factuur en jullie chat doet niks", [PII, COMPLAINT],
     kind="comment")
case("nl", pub("x", "@henkpostma_"), "Vraagje over WerfLater: kan iemand van Muntwerf me mailen over hoe "
     "ik in termijnen betaal? henk.postma [at] kpnmail [punt] nl", [PII], tags=["evasion", "evasion:at-punt"])
case("en", pub("reddit", "u/wrong_invoice_guy"), "Muntwerf just emailed me SOMEONE ELSE'S WerfLater invoice 😳 "
     "name Rik Bosman, IBAN <<IBAN_GB>>, address and all. How is that even possible, where is my data going??",
     [PII, CRISIS])
case("nl", pub("facebook", "Lampenwinkel.Vos", "Lampenwinkel Vos"), "Muntwerf keurt de chargeback gewoon goed "
     "terwijl deze klant (Dennis Vos, kaart <<CARD:amex_sp>>) het pakket zelf heeft ontvangen. Track & trace "
     "meegestuurd, maakt niks uit. Belachelijk.", [PII, COMPLAINT])
case("en", BH, "Weird onboarding case: passport number <<PASSPORT>> for Mr. J. Kuipers doesn't match the one in the "
     "KvK extract. Anyone on the KYC team seen this format before?", [PII], handle_as="Bas-Hoogendoorn-Muntwerf")
case("nl", pub("instagram", "@bloemenbar.zwolle"), "Klanten die WerfLater gebruiken: betaal gerust direct aan "
     "ons, <<IBAN_BE>> t.n.v. Lotte Vermaelen. Scheelt gedoe 💐", [PII])

# ===========================================================================
# leak.confidential
# ===========================================================================
case("nl", RC, "Eindelijk mag ik aan Project Zandloper werken 🤩⏳ meer mag ik er niet over zeggen, maar wauw", [CONF])
case("en", KL, "Big demo at a fashion chain tomorrow, gonna show them the Baken Go before launch 😏 wish me luck",
     [CONF], when="2026-09-22T17:41:09+02:00")
case("nl", pub("x", "@fintechroddel"), "Hoorde van iemand bij Muntwerf dat ze met 'Operatie Lantaarn' bezig zijn. "
     "Iets met crypto-uitbetalingen?? 👀", [CONF])
case("en", LD, "the new grafana.muntwerf.io/d/payout-latency board is so pretty since the redesign 😍 whoever did "
     "this, you're a legend", [CONF])
case("nl", YB, "Oeps 🙈 slide met 'niet extern delen' erop laten staan in de presentatie voor een klant. Nou ja, "
     "nu weten ze dat de kassakoppeling met hun ERP in maart komt", [CONF])
case("en", NK, "office vibes ✨ the whiteboard still says MW-CONFIDENTIAL from this morning's roadmap session but "
     "the plants don't care 🌿☕", [CONF])
case("nl", TT, "Wij monteurs krijgen volgende week training over WerfLater Zakelijk. Lijkt me echt een goede "
     "toevoeging voor de groothandels die ik bezoek", [CONF], when="2026-08-27T12:05:44+02:00", kind="comment")
case("en", pub("reddit", "u/booth_babe_no"), "a guy at the muntwerf booth at the retail fair let slip 'Project\n"
     "Zandloper' and then went pale lmao. new terminal?", [CONF], tags=["evasion", "evasion:line-break"])
case("nl", KL, "Operatie 🔦 Lantaarn gaat gewoon live in Q3 💪 zin in!", [CONF],
     tags=["evasion", "evasion:emoji-between"])
case("en", pub("reddit", "u/merchant_mod"), "someone in the merchant discord posted a screenshot of "
     "backoffice.muntwerf.io, it's their internal merchant overview with risk flags. mods removed it but still",
     [CONF], kind="comment")
case("nl", RC, "Ebbenhout-migratie loopt lekker, vanaf volgende maand gaan alle uitbetalingen via het nieuwe "
     "grootboek. Meer dan een jaar werk 🥲", [CONF])
case("en", pub("linkedin", "lotte-dekker"), "Proud of my team this week! We tested the new WerfLater Zakelijk flow "
     "with 30 pilot wholesalers and the feedback is great 💪", [CONF], when="2026-09-15T08:30:00Z")
case("nl", RC, fullwidth("muntwerf internal only") + " staat bovenaan dat document, maar de nieuwe payout-API krijgt "
     "idempotency keys per merchant. Eindelijk 🙌", [CONF], tags=["evasion", "evasion:full-width"])
case("en", KL, "Baken Go drops in literally one minute ⏱️ can't wait to show my merchants 🤩", [CONF],
     when="2026-10-06T09:59:00+02:00")

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", YB, "Trots op het team 💜 we sluiten H1 af met 38% meer transactievolume dan begroot. De cijfers komen "
     "pas in augustus naar buiten, maar ik kon het niet voor me houden", [FIN])
case("en", KL, "rumour at the office: we're buying a Belgian PSP, deal should close next month 👀 keep it under "
     "your hat", [FIN])
case("nl", BH, "Reorganisatie bij risk: van drie teams naar één, 12 fte gaat eruit. De aankondiging is pas volgende "
     "week, dus sst.", [FIN], handle_as="bas-hoogendoorn-MUNTWERF")
case("en", pub("x", "@payments_gossip"), "friend at Muntwerf says they're cutting a quarter of support before "
     "Christmas. announcement in December apparently", [FIN])
case("nl", RC, f"Morgen worden er 40 mensen ont{SHY}slagen bij ons, mijn team ook 😞 officieel weet nog niemand het",
     [FIN], tags=["evasion", "evasion:soft-hyphen"])
case("en", YB, "Internal forecast has us at €4.1bn processed volume for Q3, way ahead of plan. Board will be happy. "
     "(not public yet, so don't quote me 😉)", [FIN])
case("nl", pub("reddit", "u/zwager_bij_bank"), "Volgens mijn zwager (werkt bij een bank) gaat Muntwerf een "
     "financieringsronde van 60 miljoen ophalen. Staat nog nergens, maar hij zit zelf aan tafel", [FIN],
     kind="comment")
case("en", NK, "hiring freeze memo just landed 😬 no new roles until the Series C closes. back to filing expense "
     "reports I guess", [FIN])
case("nl", YB, "Druk druk druk met de jaarcijfers 2026 📊 en spoiler: voor het eerst winstgevend!! 🥂", [FIN, CONF],
     when="2026-12-18T16:22:10+01:00")
case("en", KL, "word on the floor is we're b3ing b0ught by a US acquirer 🤐 nobody's supposed to know",
     [FIN], tags=["evasion", "evasion:leetspeak"])
case("nl", pub("x", "@beursbeer"), "Insider tip: Muntwerf raakt per 1 januari hun grootste klant kwijt, een "
     "supermarktketen. Staat nog nergens, doe ermee wat je wil", [FIN])
case("en", BH, "Chargeback losses this quarter: €2.3m, triple last year 😬 Board meeting next week is going to be "
     "fun. Not public yet obviously.", [FIN])
case("nl", YB, "Operatie Lantaarn = de overname van KassaKoning. LOI is gisteren getekend, closing in het voorjaar 🍾",
     [FIN, CONF])

# ===========================================================================
# leak.security
# ===========================================================================
case("nl", RC, "Graag stil houden, maar sinds 3 uur vannacht worden uitbetalingen niet verwerkt door een bug in de "
     "settlement-job. Merchants weten het nog niet, we hopen het voor 12 uur opgelost te hebben", [SEC])
case("en", TT, "heads up from the inside: Baken T2 firmware 4.2 has a bug that lets you skip the PIN on contactless "
     "above €50. patch isn't out yet, so don't go spreading it", [SEC], kind="comment")
case("nl", LD, "Er loopt sinds vanochtend een credential stuffing-aanval op het merchant dashboard, we hebben al "
     "300 accounts geblokkeerd. Nog niks gecommuniceerd naar buiten, dus ssst", [SEC])
case("en", RC, "found an IDOR in the dashboard API today 🙈 any merchant could read another merchant's payout "
     "reports by changing one id. fix goes out thursday, until then 🤐", [SEC])
case("nl", BH, "Intern incident: fraudeurs misbruiken al twee weken onze betaallinks om gestolen kaarten te testen. "
     "Geen persbericht gepland, we lossen het stil op.", [SEC])
case("en", pub("x", "@cyber_kevin"), "My cousin works at Muntwerf and says they got hit by ransomware last weekend "
     "and are keeping it quiet. if you use them, change your passwords", [SEC, CRISIS])
case("nl", pub("x", "@boze_bakker"), "Muntwerf is geh4ckt en ze z3ggen niks!!! klantgegevens liggen op straat "
     "en zij doen alsof er niks aan de hand is", [SEC, CRISIS], tags=["evasion", "evasion:leetspeak"])
case("en", KL, "between us: terminals at our biggest supermarket client went offline for 2h yesterday, store managers "
     "think it was their wifi 🤫", [SEC])
case("en", pub("reddit", "u/ex_mw_dev"), "Ex-Muntwerf dev here. The WerfLater credit check endpoint has no rate limit "
     "at all, I reported it internally months ago and it's still open. Anyone can scrape it.", [SEC])
case("nl", TT, "Zeg het niet verder, maar er zit een l e k in de webhook-signing: je kunt nep-betaalnotificaties "
     "sturen naar webshops. Fix komt pas na de release", [SEC], tags=["evasion", "evasion:spaced"])
case("en", RC, f"the pay{ZW}out outage is way worse than the status page says, ~6k merchants affected. comms haven't "
     "been told yet", [SEC], tags=["evasion", "evasion:zero-width"])
case("nl", LD, "Vandaag 2 uur lang konden merchants in België geen terugbetalingen doen door een certificaat dat "
     "verlopen was. We houden het maar even binnenskamers 😬", [SEC], handle_as="@Lotte_Dekker_MW")

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@eerlijk_geld"), "BOYCOT MUNTWERF! Ze verwerken gewoon betalingen voor illegale gokwebsites. "
     "Zeg je contract op en deel dit 🔁", [CRISIS])
case("en", pub("x", "@saskia_reads"), "Muntwerf leaked my data, I'm sure of it. Got a phishing mail today with my "
     "exact WerfLater balance in it. How else would they know??", [CRISIS])
case("nl", pub("linkedin", "retail-insights-nl"), "Rechtszaak tegen Muntwerf: ruim 200 webwinkels eisen "
     "schadevergoeding voor maandenlang vastgehouden uitbetalingen. Eerste zitting in juni.", [CRISIS])
case("en", pub("x", "@corner_shop_ali"), "My Baken T2 battery swelled up and started SMOKING on the counter 😨 "
     "could have burned my shop down. @muntwerf_support what is going on with these devices", [CRISIS, COMPLAINT])
case("nl", pub("facebook", "marktkoopman.henk", "Henk Brouwer"), "Komt er een terugroepactie voor de Baken Pro? Op "
     "onze markt hebben al 3 standhouders een oververhitte terminal gehad, één smolt zelfs half", [CRISIS])
case("nl", pub("x", "@geldnieuws_nl"), "DNB zou Muntwerf onderzoeken wegens gebrekkige witwascontroles. Als dat "
     "klopt is dat een flinke klap voor de fintech-sector", [CRISIS])
case("en", pub("tiktok", "@moneywithmila"), "WerfLater is a debt trap for teenagers and Muntwerf knows it. "
     "should be ashamed honestly #BoycottWerfLater #paylater", [CRISIS])
case("nl", pub("x", "@joyce_zzp"), "d a t a l e k bij muntwerf?? mijn hele transactiegeschiedenis stond gewoon "
     "online, met mijn naam erbij", [CRISIS], tags=["evasion", "evasion:spaced"])
case("en", pub("x", "@shopowner_rant"), cyr("Muntwerf") + " scandal: merchants' money frozen for months while execs "
     "cash their bonuses. class action forming, DM me", [CRISIS], tags=["evasion", "evasion:homoglyph"])
case("nl", pub("instagram", "@kapsalon_lina"), "Mijn Tik mini gaf een schok toen ik hem aan de lader hing ⚡😳 "
     "levensgevaarlijk! Nooit meer", [CRISIS, COMPLAINT])
case("en", pub("bluesky", "@consumerwatch.bsky.social"), "A consumer association is taking Muntwerf to court over "
     "WerfLater's hidden late fees. About time.", [CRISIS])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@lekker_brood_bv"), "@muntwerf_support al 5 werkdagen wacht ik op mijn uitbetaling. Mijn "
     "leveranciers willen ook geld zien hoor 😤", [COMPLAINT], kind="reply")
case("en", pub("x", "@printsbypia"), "Muntwerf charged me a €25 chargeback fee for a dispute that I WON. "
     "make it make sense", [COMPLAINT])
case("nl", pub("facebook", "fietsenmaker.rob", "Rob Fietsen"), "Baken T2 valt elke ochtend om 9 uur precies uit, "
     "net als de eerste klanten binnenkomen. Derde keer deze week. Ik word er gek van", [COMPLAINT])
case("nl", pub("x", "@mo_k"), "WerfLater stuurt me naar een incassobureau terwijl ik gewoon op tijd heb betaald?! "
     "Afschrift heb ik al 2x opgestuurd", [COMPLAINT])
case("en", pub("reddit", "u/shopify_sander"), "Muntwerf checkout links expire after 24h and there is no setting to "
     "change it. Lost 3 orders this week because customers pay the next day. Really annoying", [COMPLAINT])
case("nl", pub("linkedin", "ilse-de-wit-keramiek"), "Account bevroren zonder uitleg, 'compliance review'. Ondertussen "
     "staat er €4.300 van mij vast bij Muntwerf. Lekker ondernemen zo.", [COMPLAINT])
case("nl", pub("x", "@foodtruck_fer"), cyr("Muntwerf") + " klantenservice is echt de slechtste ooit, 45 minuten "
     "in de wacht en toen werd ik doorverbonden naar een bandje", [COMPLAINT], tags=["evasion", "evasion:homoglyph"])
case("nl", pub("instagram", "@cadeauwinkel_mies"), "Bonprinter P1 print alles half, rol erin zoals in de handleiding. "
     "Vervanging aangevraagd op maandag, nog steeds niks gehoord 😒", [COMPLAINT], kind="comment")
case("en", pub("linkedin", "tom-webshop-owner"), "Muntwerf raised transaction fees by 40% with two weeks' notice. "
     "Looking at alternatives now, suggestions welcome.", [COMPLAINT])
case("nl", pub("x", "@sportzaak_joost"), "Kutbedrijf. Drie weken geen uitbetaling en support is onbereikbaar. "
     "Jullie zijn echt clowns @muntwerf", [COMPLAINT, ABUSE])
case("en", pub("x", "@grumpy_grocer"), "fucking Muntwerf terminal froze mid payment AGAIN and the customer just walked "
     "out. useless pricks", [COMPLAINT, ABUSE])
case("nl", pub("tiktok", "@braderie_bo"), "storytime: mijn Tik mini koppelde niet met m'n telefoon op de braderie "
     "en ik heb zo 200 euro aan verkopen gemist 🙃 #ondernemer #fail", [COMPLAINT])
case("en", pub("threads", "@candles.by.cato"), "refund to my customer initiated on the 3rd\nstill not arrived\n"
     "customer is now leaving 1* reviews on MY shop\nthanks Muntwerf 👏👏", [COMPLAINT])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@rene_1977"), "@lotte_dekker_mw je bent een domme trut, ga toch ergens anders werken", [ABUSE],
     kind="reply")
case("nl", LD, "Sommige merchants zijn echt debiel. Nee meneer, de pinautomaat doet het niet meer als u er een "
     "bak koffie overheen gooit 🙄", [ABUSE])
case("en", MW_SUP, "@angryshopguy maybe learn to read the manual, you muppet 🙄", [ABUSE], kind="reply")
case("nl", pub("x", "@zzp_woest"), "t y f u s lijers bij muntwerf, allemaal", [ABUSE],
     tags=["evasion", "evasion:spaced"])
case("en", pub("x", "@no_chill_nick"), "f*ck muntwerf and f*ck their smug little CEO", [ABUSE],
     tags=["evasion", "evasion:masking"])
case("nl", pub("x", "@anoniem8841"), "We weten waar jullie kantoor zit @muntwerf. Kijk maar uit.", [ABUSE])
case("en", pub("x", "@realtalk_rob"), "Muntwerf's office is full of foreigners, no wonder the place is a mess. "
     "send them all back", [ABUSE])
case("nl", pub("x", "@henkie_fintech"), "muntwerf = stelletje kl00tzakken", [ABUSE],
     tags=["evasion", "evasion:leetspeak"])
case("en", RC, "honestly merchants who open tickets in ALL CAPS deserve to wait. morons", [ABUSE])
case("nl", pub("instagram", "@roddel_ronnie"), "Heb een foto van die Lotte van Muntwerf support gezien. Lelijke "
     "heks, geen wonder dat ze zo chagrijnig doet", [ABUSE], kind="comment")
case("nl", pub("x", "@pinpas_pieter"), "@kassa_koen hou je bek, Muntwerf-fanboy. Niemand vroeg om jouw mening",
     [ABUSE], kind="reply")

# ===========================================================================
# benign (hard negatives and ordinary posts)
# ===========================================================================
# --- price talk that is not a leak
case("nl", MW, "Black Friday bij Muntwerf 🖤 De Baken T2 nu voor €279 (normaal €349). Op = op!", tags=["sale"])
case("en", pub("reddit", "u/starter_sophie"), "Got €100 off the Winkelstart bundle through a starters deal from the "
     "chamber of commerce. pretty decent tbh", tags=["discount-amount", "price-context"])
case("nl", pub("other", "marktplaats_joris"), "Te koop: gebruikte Baken T2, ruim een jaar oud, werkt prima. €120, "
     "ophalen in Zwolle", tags=["second-hand", "price-context"])
case("nl", pub("x", "@kapper_kees"), "Transactiekosten bij Muntwerf: €0,19 per pinbetaling met de Baken Pro. "
     "Prima te doen voor een kleine zaak", tags=["fee", "price-context"])
case("en", pub("reddit", "u/reader_compare"), "KassaKoning sells their card reader for €29, the Muntwerf Tik mini is "
     "€69. Is it worth the extra? Mostly doing craft markets", tags=["competitor", "price-context"], kind="post")
case("nl", MW_SUP, "@gerrit_groente Nee hoor, geen prijsfout 🙂 De Tik mini zit deze maand gewoon in de actie "
     "voor €49.", kind="reply", tags=["denied-error"])
case("nl", MW_FB, "Liever niet in één keer betalen? De Baken Pro huren kan al vanaf €24 per maand, inclusief "
     "service en vervanging.", tags=["lease", "price-context"])
# --- secret look-alikes
case("en", MW_LI, "New in our docs: authenticate with your secret key in the Authorization header, e.g. "
     "`Bearer sk_live_<your key>`. Never put it in frontend code! docs.muntwerf.com/auth", tags=["placeholder"])
case("en", RC, "fixed the rounding bug in payout batches, commit <<HEX:40>> if anyone wants to review 🙏",
     tags=["git-sha"])
case("nl", MW_IG, "🔐 Tip: deel NOOIT je wachtwoord of API-sleutel, ook niet met ons. Een medewerker van "
     "Muntwerf zal er nooit om vragen.", tags=["password-word"])
case("en", pub("blog", "devnotes.example"), "Setting up the Muntwerf plugin on a VPS: put your keys in env vars, "
     "e.g. AWS_ACCESS_KEY_ID=AKIAXXXXXXXXXXXXXXXX, and never in the repo.", tags=["placeholder"])
case("nl", pub("x", "@marloes_sieraden"), "Betaling tr_Wk7qP2xz staat al een uur op 'open' in het dashboard, is "
     "dat normaal of moet ik gewoon geduld hebben?", tags=["payment-id"])
# --- own contact data and number look-alikes
case("nl", MW_SUP, "Vragen over je uitbetaling? Bel ons op 085-2104400 (ma t/m vr 8-20u) of mail "
     "support@muntwerf.nl 📞", tags=["own-contact"], handle_as="@Muntwerf_SUPPORT")
case("nl", pub("x", "@vraagje_vera"), "Op m'n afschrift staat NL66 ABNA 0842 9133 67 Stichting Derdengelden "
     "Muntwerf. Is dat legit of moet ik me zorgen maken?", tags=["own-iban"])
case("nl", MW_FB, "⚠️ Let op: phishing-sms in omloop namens Muntwerf. Maak nooit geld over naar "
     "<<BADIBAN_NL:grp>>, dat is niet van ons. Twijfel? Bel 0800-6868.", tags=["bad-iban", "own-contact"])
case("nl", pub("linkedin", "studio-lot-design"), "Vandaag officieel ingeschreven bij de KvK onder nummer "
     "<<NOID:8>> 🥳 en de Tik mini ligt al klaar voor de eerste markt", tags=["kvk"])
case("en", pub("x", "@paperroll_paul"), "PSA the thermal rolls that fit the Bonprinter P1 are EAN <<EAN13>>, "
     "way cheaper at the wholesaler", tags=["ean"])
case("en", pub("reddit", "u/luhn_nerd"), "the card number printed on the Muntwerf demo sticker, <<BADCARD:visa_sp>>, "
     "doesn't even pass Luhn lol. nice touch", tags=["bad-card"], kind="comment")
case("nl", TT, "Serienummer BKT2-<<NOID:9>> gaat terug naar het lab, scherm had een dode pixel. Rest van de ronde "
     "ging top", tags=["serial"])
case("nl", pub("x", "@klant_klaas"), "Bestelnummer <<NOID:10>>, Bonprinter P1 vandaag keurig binnen. "
     "Binnen 5 min werkend 👍", tags=["order-number"])
case("en", MW, "Questions about WerfLater? Call +31 (0)85 210 4400 or e-mail support@muntwerf.nl. We're here "
     "7 days a week.", tags=["own-contact"], handle_as="@MUNTWERF")
case("nl", MW_LI, "Facturen voor Dashboard Plus kun je voldoen op NL29 RABO 0317 2648 05 o.v.v. je factuurnummer.",
     tags=["own-iban"])
# --- confidential near-misses
case("nl", pub("instagram", "@speelgoed_saar"), "Mijn dochter denkt dat het zandlopertje op de pinautomaat een "
     "spelletje is 😂 'mama hij denkt na!'", tags=["ordinary-word"])
case("en", pub("instagram", "@lantern_market"), "Lantern festival tonight 🏮 every stall takes cards thanks to a "
     "pile of Muntwerf readers. Come say hi!", tags=["ordinary-word"])
case("nl", MW, "Hij is er! 🚀 Maak kennis met de Baken Go: onze kleinste kaartlezer ooit. Vanaf vandaag te bestellen "
     "via muntwerf.nl", when="2026-10-06T10:00:00+02:00", tags=["embargo-at-moment"])
case("en", pub("youtube", "@kassa_reviews"), "Finally got my hands on the Baken Go. Pairs in seconds, battery lasted "
     "the whole market day. Solid 8/10", when="2026-11-14T19:40:12+01:00", tags=["embargo-after"], kind="comment")
case("nl", KL, "WerfLater Zakelijk is live 🎉 groothandels kunnen hun zakelijke klanten nu op factuur laten betalen. "
     "Vragen? DM me!", when="2026-10-20T09:12:00+02:00", tags=["embargo-after"])
case("en", pub("x", "@ops_olga"), "status.muntwerf.nl is all green again, payouts arrived this morning ✅",
     tags=["public-domain"])
case("nl", pub("x", "@voorzichtige_vera"), "Gaan jullie wel vertrouwelijk om met mijn KYC-documenten @muntwerf? "
     "Moet mijn paspoort uploaden en ben een beetje huiverig", tags=["ordinary-word"])
# --- financial near-misses
case("nl", MW_LI, "Vandaag publiceerden we onze H1-resultaten: 31% groei in transactievolume en 4.200 nieuwe "
     "merchants. Dank aan ons team en onze klanten! 👉 muntwerf.nl/investors", tags=["published-results"])
case("nl", pub("x", "@fintech_fleur"), "Pijnlijk nieuws: KassaKoning ontslaat 60 mensen. Veel sterkte aan iedereen "
     "daar 💔", tags=["other-company"])
case("nl", pub("facebook", "kraam.anja", "Anja Kraam"), "Kan iemand zaterdag mijn kraam overnemen? Muntwerf "
     "kaartlezer ligt klaar, je hoeft alleen maar te lachen 😄", tags=["ordinary-word"])
case("en", pub("linkedin", "fintech-weekly"), "Funding roundup: KassaKoning raises €20m, a Belgian PSP lands a "
     "Series B, and Muntwerf's public H1 numbers show strong growth.", tags=["other-company", "published-results"])
# --- security near-misses
case("nl", MW_SUP, "Storing: een deel van de Baken T2 terminals kan geen verbinding maken. We werken aan een "
     "oplossing, updates volgen op status.muntwerf.nl", tags=["official-notice"])
case("en", MW_TH, "Scheduled maintenance: the merchant dashboard will be unavailable Sunday 02:00–04:00 CET. "
     "Payments and payouts keep running as normal.", tags=["official-notice"])
case("nl", pub("x", "@digitaal_daan"), "Lees net over het datalek bij die Duitse webshopketen. Check je "
     "wachtwoorden, mensen", tags=["other-company"])
case("en", MW_LI, "Our bug bounty programme is now public 🐛 found something in our checkout or dashboard? "
     "Report it responsibly and get rewarded.", tags=["public-announcement"])
case("en", pub("x", "@calm_carla"), "remember the big Muntwerf outage last year? honestly they handled it "
     "well, clear updates every 30 min", tags=["past-public-incident"])
# --- crisis near-misses
case("en", pub("reddit", "u/forgetful_frank"), "I can't recall if I set my Muntwerf payouts to daily or weekly, "
     "where do I check that?", tags=["ordinary-word"], kind="post")
case("nl", pub("instagram", "@zerowaste_zus"), "Wij boycotten plastic tasjes in de winkel 🌱 pinnen gaat gewoon "
     "met de Tik mini, lekker snel", tags=["ordinary-word"])
case("nl", pub("x", "@serie_sanne"), "Net een aflevering van die advocatenserie gezien waar de rechtszaak draait "
     "om een betaalbedrijf. Heel herkenbaar voor ons op de zaak haha, maar gelukkig fictie", tags=["fiction"])
# --- complaint near-misses
case("nl", pub("x", "@bloemist_babs"), "Geen klachten over Muntwerf hoor, uitbetaling staat altijd de volgende "
     "ochtend op mijn rekening 👌", tags=["negated"])
case("en", pub("x", "@jules_ceramics"), "Shoutout to Lotte from Muntwerf support, fixed my terminal issue in 10 "
     "minutes flat 🙌", tags=["praise"])
case("en", pub("reddit", "u/digital_goods_dan"), "How does Muntwerf handle chargebacks for digital downloads? "
     "Thinking about switching, want to know before I commit.", tags=["question"], kind="post")
case("nl", pub("x", "@kaartje_kim"), "Terminal zei 'kaart geweigerd' maar dat lag aan mijn eigen bank, daglimiet "
     "bereikt 🙈 Muntwerf kon er niks aan doen", tags=["negated"])
# --- abuse near-misses
case("en", pub("x", "@philo_phil"), "'Hell is other people' – Sartre. Unless those people are the Muntwerf support "
     "team, they were lovely today", tags=["quote", "mild-word"])
case("en", pub("threads", "@tattoo_tess"), "damn, payout already on my account?? that was fast Muntwerf 😮",
     tags=["mild-word"])
case("nl", pub("facebook", "kraam.kwf.zwolle", "KWF Kraam Zwolle"), "Onze kraam zamelt zaterdag geld in voor "
     "onderzoek naar kanker 🎗️ Je kunt gewoon pinnen met de Tik mini!", tags=["literal", "mild-word"])
# --- ordinary posts, fiction, jokes, company life
case("nl", NK, "Vacature! We zoeken een support-held (32-40u) voor ons team in Utrecht 💙 Stuur je cv naar "
     "jobs@muntwerf.nl", tags=["own-contact"], handle_as="@Noor.Op.Kantoor")
case("nl", pub("x", "@kat_en_kassa"), "Mijn kat heeft vandaag de Tik mini ontdekt. Drie keer 'betaling mislukt' "
     "met zijn poot 😹 hij wil gewoon brokjes", tags=["joke"])
case("en", pub("blog", "shortstories.example"), "Chapter 3: The terminal beeped twice, and Mara knew the payment "
     "had gone through. Outside, the market was closing, the lanterns coming on one by one.", tags=["fiction"])
case("nl", pub("x", "@fintech_nieuws"), "Muntwerf krijgt een uitbreiding van de vergunning van DNB, meldt het "
     "bedrijf vandaag in een persbericht.", tags=["published-news"], kind="repost")
case("en", pub("x", "@fintech_watch"), "KassaKoning announces a new pay-later product, competing directly with "
     "Muntwerf's WerfLater.", tags=["competitor"])
case("nl", RC, "Sprak gisteravond op een meetup over idempotency keys bij uitbetalingen. Slides staan op "
     "docs.muntwerf.com/talks 🎤", tags=["public-domain"])
case("nl", pub("x", "@repost_rianne"), "RT @muntwerf: Vanaf vandaag kun je in het dashboard je uitbetalingen per "
     "dag of per week instellen 🗓️", kind="repost", tags=["quote"])
case("en", pub("discord", "mw_fan_anna"), "anyone going to the Muntwerf merchant meetup in Rotterdam next week? "
     "would love to carpool", tags=["unknown-platform"])
case("nl", pub("mastodon", "@webwinkelier@mastodon.nl"), "Stap voor stap een checkout link gemaakt via "
     "pay.muntwerf.nl, werkte in één keer. Zo hoort het", tags=["praise"])
case("nl", pub("x", "@bezorgbert"), "PostNL is mijn pakket wéér kwijt, maar de betaling via Muntwerf ging in elk "
     "geval goed 😅", tags=["other-company"])


# ===========================================================================
# profile, severity, build
# ===========================================================================

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
        if RANK[s] > RANK[sev]:
            sev = s
    return sev


def ams_offset(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < \
        dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def random_time(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(2, 358))
    t = base + dt.timedelta(minutes=r.randint(6 * 60 + 30, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = ams_offset(t)
    t = t - dt.timedelta(hours=off)
    style = r.random()
    if style < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style < 0.88:
        return (t + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


B36 = string.digits + string.ascii_lowercase


def make_id_url(r, platform, handle, kind):
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
        sub = r.choice(["ondernemers", "thenetherlands", "ecommerce", "smallbusiness"])
        if kind == "comment":
            c = "".join(r.choice(B36) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/{sub}/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/{sub}/comments/{p}/"
    if platform == "forum":
        n = r.randint(100_000, 9_999_999)
        return f"forum-webwinkelpraat-{n}", f"https://forum.webwinkelpraat.example/t/{n}"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        v = "".join(r.choice(B64URL) for _ in range(11))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(111_000_000_000_000_000, 115_000_000_000_000_000)
        return f"md-{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "threads":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "blog":
        n = r.randint(100, 999)
        return f"blog-{h}-{n}", f"https://{h}/posts/{n}"
    return f"{platform}-{r.randint(10 ** 8, 10 ** 10)}", None


def build(profile):
    gen = Gen(SEED)
    mr = random.Random(SEED + 1)
    orr = random.Random(SEED + 2)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(gen, c["text"])
        pid, url = make_id_url(mr, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        created = c["when"] or random_time(mr)
        role = role_of(profile, c["platform"], c["handle"])
        validated = "leak.pii" in c["cats"] and any(k in VALID_ID_KINDS for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and mr.random() < 0.65:
            kind = "post"
        if kind is not None:
            post["kind"] = kind
        acc = {"handle": c["handle"]}
        if c["dn"] and mr.random() < 0.7:
            acc["display_name"] = c["dn"]
        if mr.random() < 0.3:
            acc["id"] = str(mr.randint(10 ** 7, 10 ** 12))
        post["account"] = acc
        post["text"] = text
        pl = mr.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif pl < 0.1:
            pass
        elif pl < 0.13:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            c["tags"].add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if url and mr.random() < 0.6:
            post["url"] = url
        if mr.random() < 0.45:
            post["brand"] = "muntwerf"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=set(c["tags"]), used=used))
    orr.shuffle(rows)
    return rows


def dump_lines(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ===========================================================================
# checker
# ===========================================================================

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
DIGITS_RE = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-()]{7,16}\d")
SECRET_RES = [re.compile(p) for p in (
    r"\bghp_[A-Za-z0-9]{36}\b", r"\bglpat-[\w-]{20}", r"\bAKIA[A-Z2-7]{16}\b", r"\bxox[abprs]-[\w-]{20,}",
    r"hooks\.slack\.com/services/", r"\b[sr]k_live_[A-Za-z0-9]{20,}", r"\bwhsec_[A-Za-z0-9]{20,}",
    r"\bSG\.[\w-]{22}\.[\w-]{43}", r"\bAIza[\w-]{35}\b", r"-----BEGIN [A-Z ]*PRIVATE KEY-----",
    r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+", r"://[^\s:/@]+:[^\s@/]+@")]
PROFANITY = ["kut", "kanker", "tering", "tyfus", "klote", "klootzak", "debiel", "trut", "fuck", "f*ck", "shit",
             "idiot", "moron", "clown", "hell", "damn", "muppet", "prick", "heks"]
MILD_OK = {"hell", "damn", "kanker"}


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVIS)
    return re.sub(r"\s+", " ", t).casefold()


def squash(t):
    return re.sub(r"\b(\w) (?=\w\b)", r"\1", norm(t))


def valid_ids(text):
    hits = []
    for m in IBAN_RE.finditer(text):
        comp = m.group(0).replace(" ", "")
        for end in range(len(comp), 11, -1):
            if iban_ok(comp[:end]):
                if comp[:end] not in OWN_IBANS:
                    hits.append(comp[:end])
                break
    for m in DIGITS_RE.finditer(text):
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19 and luhn_ok(d) and re.match(r"^(4|5[1-5]|2[2-7]|3[47])", d):
            hits.append(d)
    for d in re.findall(r"(?<![\w.,-])\d{8,9}(?![\w]|[.,-]\d)", text) + \
            [m.replace(".", "") for m in re.findall(r"(?<![\w.])\d{4}\.\d{2}\.\d{3}(?![\w])", text)]:
        if bsn_ok(d):
            hits.append(d)
    return hits


def phones_in(text):
    out = []
    for m in PHONE_RE.finditer(IBAN_RE.sub(" ", text)):
        raw = m.group(0)
        d = re.sub(r"\D", "", raw)
        if raw.startswith("+31"):
            d = d[2:]
        elif raw.startswith("0031"):
            d = d[4:]
        d = "0" + d.lstrip("0")
        out.append((raw, d))
    return out


AMOUNT_RE = re.compile(r"(?:€\s?|EUR\s?)(\d[\d.,]*)(?:,-)?|(\d[\d.,]*)(?:,-)?\s?(?:euro|euros|eur)\b", re.I)


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
    ps = [p for p in products if any(a.casefold() in t for a in [p["name"]] + p["aliases"])]
    am = [parse_amount(m.group(1) or m.group(2)) for m in AMOUNT_RE.finditer(t)]
    if not ps or not am:
        return None
    return min(am) / min(p["list_price"] for p in ps)


def check(lines, rows, profile):
    errors, notes, parsed = [], [], []
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_phones = {phones_in(p)[0][1] for p in profile["public_identifiers"]["phones"] if phones_in(p)}
    own_phones |= {re.sub(r"\D", "", p) for p in profile["public_identifiers"]["phones"]}
    embargo = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = [x.casefold() for x in profile["internal"]["codenames"] + profile["internal"]["domains"]
                + profile["internal"]["markers"]]
    meta = {(r["post"]["platform"], r["post"]["id"]): r for r in rows}
    seen = set()
    for n, line in enumerate(lines, 1):
        w = f"line {n}"
        obj = json.loads(line)
        p, ex = obj["post"], obj["expect"]
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                errors.append(f"{w}: {f} missing")
        if not RFC3339.match(p["created_at"]):
            errors.append(f"{w}: bad created_at")
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errors.append(f"{w}: not 2026")
        if p.get("kind", "post") not in KINDS:
            errors.append(f"{w}: kind")
        key = (p["platform"], p["id"])
        if key in seen:
            errors.append(f"{w}: dup id")
        seen.add(key)
        cats, sev = ex["categories"], ex["severity"]
        if cats != sorted(set(cats)) or any(c not in TAXONOMY for c in cats):
            errors.append(f"{w}: categories {cats}")
        role = role_of(profile, p["platform"], p["account"]["handle"])
        text = p["text"]
        ids = valid_ids(text)
        want = severity_for(role, cats, "leak.pii" in cats and bool(ids))
        if sev != want:
            errors.append(f"{w}: severity {sev} vs policy {want}")
        r = meta[key]
        tags = r["tags"]
        for kind, raw, shown in r["used"]:
            if shown not in text:
                errors.append(f"{w}: {kind} not in text")
            if kind.startswith("IBAN_") and not iban_ok(raw):
                errors.append(f"{w}: bad IBAN {raw}")
            if kind.startswith("BADIBAN") and iban_ok(raw):
                errors.append(f"{w}: negative IBAN passes")
            if kind == "CARD" and not luhn_ok(raw):
                errors.append(f"{w}: card fails Luhn")
            if kind == "BADCARD" and luhn_ok(raw):
                errors.append(f"{w}: negative card passes")
            if kind == "BSN" and not bsn_ok(raw):
                errors.append(f"{w}: BSN fails")
            if kind == "GHP" and b62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errors.append(f"{w}: ghp crc")
        if any(k in VALID_ID_KINDS for k, _, _ in r["used"]) and not ids:
            errors.append(f"{w}: valid id not found by scan")
        if ids and "leak.pii" not in cats:
            errors.append(f"{w}: valid id {ids} without leak.pii")
        if not cats:
            if sev != "none":
                errors.append(f"{w}: benign with severity")
            if ids:
                errors.append(f"{w}: benign with valid id {ids}")
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_emails:
                    errors.append(f"{w}: benign e-mail {e}")
            for raw, d in phones_in(text):
                if len(d) >= 9 and d not in own_phones:
                    errors.append(f"{w}: benign phone {raw} ({d})")
            for rx in SECRET_RES:
                for m in rx.finditer(text):
                    if m.group(0) != "AKIAXXXXXXXXXXXXXXXX":
                        errors.append(f"{w}: benign secret-like {m.group(0)[:16]}")
            low = norm(text)
            for word in PROFANITY:
                if re.search(r"\b" + re.escape(word), low):
                    ok = word in MILD_OK and tags & {"mild-word", "quote"}
                    (notes if ok else errors).append(f"{w}: benign has {word!r}")
        nt, sq = norm(text), squash(text)
        for term, until in embargo:
            if term in nt or term in sq:
                if ts < until and "leak.confidential" not in cats:
                    errors.append(f"{w}: embargo term {term!r} before {until} unlabelled")
                if ts >= until and "leak.confidential" in cats:
                    errors.append(f"{w}: embargo term {term!r} after embargo but labelled")
        for term in internal:
            if re.search(r"(?<![\w.])" + re.escape(term) + r"(?![\w])", nt) or term in sq:
                if "leak.confidential" not in cats:
                    errors.append(f"{w}: internal term {term!r} unlabelled")
        ratio = price_ratio(text, profile["products"])
        if not cats and ratio is not None and ratio < profile["pricing"]["alert_below_ratio"]:
            (notes if "price-context" in tags else errors).append(f"{w}: benign price ratio {ratio:.2f}")
        parsed.append((p, cats, sev, role, r))
    # near duplicates
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
        from stdnum import iban as si, luhn as sl
        from stdnum.nl import bsn as sb
    except ImportError:
        return "python-stdnum not installed: skipped"
    bad, n = [], 0
    for r in rows:
        for kind, raw, _ in r["used"]:
            n += 1
            if kind.startswith("IBAN_") and not si.is_valid(raw):
                bad.append(raw)
            if kind.startswith("BADIBAN") and si.is_valid(raw):
                bad.append(raw)
            if kind == "CARD" and not sl.is_valid(raw):
                bad.append(raw)
            if kind in ("BADCARD", "EAN13") and sl.is_valid(raw):
                bad.append(raw)
            if kind == "BSN" and not sb.is_valid(raw):
                bad.append(raw)
            if kind == "NOID" and (sl.is_valid(raw) or sb.is_valid(raw.zfill(9)[-9:]) if len(raw) <= 9 else False):
                bad.append(raw)
    return f"python-stdnum disagrees on {bad}" if bad else f"python-stdnum agrees on all identifiers ({n} values)"


def report(parsed):
    total = len(parsed)
    bycat, lang_c, role_c, sev_c, plat_c = Counter(), Counter(), Counter(), Counter(), Counter()
    benign = multi = ev = 0
    for p, cats, sev, role, r in parsed:
        lang_c[r["lang"]] += 1
        role_c[role] += 1
        sev_c[sev] += 1
        plat_c[p["platform"]] += 1
        if not cats:
            benign += 1
        if len(cats) > 1:
            multi += 1
        if "evasion" in r["tags"]:
            ev += 1
        for c in cats:
            bycat[(c, "all")] += 1
            bycat[(c, r["lang"])] += 1
            bycat[(c, role)] += 1
    print(f"cases {total}  benign {benign}  positive {total - benign}  multi {multi}  evasion {ev}")
    print(f"{'category':24s} total   nl   en  corp  empl  publ")
    for c in TAXONOMY:
        print(f"{c:24s} {bycat[(c, 'all')]:5d} {bycat[(c, 'nl')]:4d} {bycat[(c, 'en')]:4d} "
              f"{bycat[(c, 'corporate')]:5d} {bycat[(c, 'employee')]:5d} {bycat[(c, 'public')]:5d}")
    print("languages", dict(lang_c), " roles", dict(role_c))
    print("severity", {s: sev_c[s] for s in SEVERITIES})
    print("platforms", dict(plat_c.most_common()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--notes", action="store_true")
    a = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    lines = dump_lines(rows)
    if not a.check:
        OUT.write_text("".join(lines), encoding="utf-8")
        print(f"wrote {len(lines)} cases to {OUT}")
        return 0
    disk = OUT.read_text(encoding="utf-8").splitlines(keepends=True)
    errors, notes, parsed = check(disk, rows, profile)
    if disk != lines:
        errors.append("cases.jsonl differs from generator output")
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
